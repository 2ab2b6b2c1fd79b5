"""Long reads run off the event loop (docs/sql.md, "Long reads"): a read outside a transaction
that outlasts TABLE_RUN_LOOP_MS on the loop runs again on a reader thread, over a read-only
connection of its own. So it is no longer cut at TABLE_RUN_MS_MAX (2 s), other clients are
answered meanwhile, the client can cancel it, and SET statement_timeout bounds it. A
transaction's reads run so too until it writes; then its statements run on the loop and keep
the 2 s bound. Checked on one node and on two replicasets, where the long part runs on the
other node (an RPC)."""
import threading
import time
from collections import Counter

import psycopg2
import pytest

from helpers import metrics
from test_pg import connect, node  # noqa: F401 (a fixture: one node)
from test_pg_gather import sharded  # noqa: F401 (a fixture: two replicasets)

# Long enough to pass the old 2 s bound on this machine (about 3 s in a release build).
LONG_ROWS = 8_000_000
LONG_SQL = "SELECT count(*) FROM generate_series(1, %d) g WHERE g %% 7 <> 3" % LONG_ROWS
LONG_ANSWER = LONG_ROWS - ((LONG_ROWS - 3) // 7 + 1)  # every g but 3, 10, 17, ...
ENDLESS_SQL = "SELECT count(*) FROM generate_series(1, 2000000000) g"


def long_reads(n):
    m, types = metrics(n)
    assert types["cairn_sql_long_reads_total"] == "counter"
    return m[("cairn_sql_long_reads_total", "")]


def query_in_thread(node, sql):
    """Runs sql on its own connection in a thread; box gets (first value, seconds) or error."""
    box = {}

    def go():
        c = connect(node)
        try:
            started = time.monotonic()
            cur = c.cursor()
            cur.execute(sql)
            box["value"] = (cur.fetchone()[0], time.monotonic() - started)
        except Exception as e:  # handed to the test, which asserts on it
            box["error"] = e
        finally:
            c.close()
    t = threading.Thread(target=go)
    t.start()
    return t, box


def test_a_long_read_completes_and_others_are_served_meanwhile(node):
    before = long_reads(node)
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE lr_side (id int PRIMARY KEY, v text)")

    t, box = query_in_thread(node, LONG_SQL)
    time.sleep(0.5)
    # Meanwhile: reads and writes of another session answer at once.
    slowest = 0.0
    for i in range(20):
        started = time.monotonic()
        cur.execute("INSERT INTO lr_side VALUES (%s, %s)", (i, "v%d" % i))
        cur.execute("SELECT count(*) FROM lr_side")
        assert cur.fetchone()[0] == i + 1
        slowest = max(slowest, time.monotonic() - started)
    assert t.is_alive(), "the long read was not long: the test measures nothing"
    t.join(120)
    assert "error" not in box, box.get("error")
    count, took = box["value"]
    assert count == LONG_ANSWER
    assert took > 2.0, "ran in %.2f s: not past the old 2 s bound, so nothing was shown" % took
    assert slowest < 0.5, "another session waited %.2f s behind the long read" % slowest
    assert long_reads(node) >= before + 1
    conn.close()


def test_short_reads_stay_on_the_loop(node):
    before = long_reads(node)
    conn = connect(node)
    cur = conn.cursor()
    for _ in range(50):
        cur.execute("SELECT count(*) FROM generate_series(1, 1000) g")
        assert cur.fetchone()[0] == 1000
    # The loop's budget is wall-clock time: on a busy host (the sanitizer build, CI) a read
    # preempted past it moves now and then. All or most of them moving would be the bug.
    moved = long_reads(node) - before
    assert moved <= 3, "%d of 50 short reads left the loop" % moved
    conn.close()


def test_statement_timeout_bounds_a_long_read(node):
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("SHOW statement_timeout")
    assert cur.fetchone()[0] == "0"
    cur.execute("SET statement_timeout = '700ms'")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchone()[0] == "700ms"
    started = time.monotonic()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(ENDLESS_SQL)
    took = time.monotonic() - started
    assert e.value.pgcode == "57014", e.value
    assert "statement timeout" in str(e.value) and "700 ms" in str(e.value)
    assert 0.6 < took < 5, took
    # A number is milliseconds; units as PostgreSQL takes them.
    for value, shown in (("1500", "1500ms"), ("'2s'", "2s"), ("'1min'", "1min"), ("0", "0")):
        cur.execute("SET statement_timeout = %s" % value)
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == shown, value
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET statement_timeout = 'soon'")
    assert e.value.pgcode == "22023" and "statement_timeout" in str(e.value)
    cur.execute("SET statement_timeout = 100")
    cur.execute("RESET statement_timeout")
    cur.execute("SHOW statement_timeout")
    assert cur.fetchone()[0] == "0"
    conn.close()


def test_a_long_read_can_be_cancelled(node):
    conn = connect(node)
    cur = conn.cursor()
    timer = threading.Timer(0.8, conn.cancel)
    started = time.monotonic()
    timer.start()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(ENDLESS_SQL)
    took = time.monotonic() - started
    timer.join()
    assert e.value.pgcode == "57014", e.value
    assert "user request" in str(e.value)
    assert took < 5, took
    cur.execute("SELECT 1")
    assert cur.fetchone()[0] == 1
    conn.close()


def test_a_long_read_in_a_transaction_that_only_reads(node):
    """A transaction that has not written runs its reads as any read runs — off the loop when
    long, bounded by statement_timeout — and COMMIT checks them all at once instead of running
    them again at apply. Its first write after a read longer than TABLE_RUN_MS_MAX is refused
    (54000: COMMIT would run that read again on every replica's loop); a transaction that wrote
    first keeps the 2 s bound, and the message says to run the read outside."""
    conn = connect(node, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TABLE lr_in_block (id int PRIMARY KEY)")
    cur.execute("INSERT INTO lr_in_block VALUES (1)")
    conn.commit()
    long_in_block = ("SELECT count(*) FROM lr_in_block, generate_series(1, %d) g "
                     "WHERE g %% 7 <> 3" % LONG_ROWS)
    before = long_reads(node)
    cur.execute("SELECT count(*) FROM lr_in_block")
    assert cur.fetchone()[0] == 1
    started = time.monotonic()
    cur.execute(long_in_block)
    took = time.monotonic() - started
    assert cur.fetchone()[0] == LONG_ANSWER
    assert took > 2.0, "ran in %.2f s: not past the 2 s bound, so nothing was shown" % took
    assert long_reads(node) >= before + 1
    conn.commit()

    # The same read, then a write: refused, and the block is failed as any error fails it.
    cur.execute(long_in_block)
    assert cur.fetchone()[0] == LONG_ANSWER
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO lr_in_block VALUES (2)")
    assert e.value.pgcode == "54000", e.value
    assert "outside the transaction block" in str(e.value)
    conn.rollback()
    cur.execute("SELECT count(*) FROM lr_in_block")
    assert cur.fetchone()[0] == 1  # nothing of it
    conn.commit()

    # Written first: the block's statements run on the loop and keep the bound.
    cur.execute("INSERT INTO lr_in_block VALUES (2)")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT count(*) FROM lr_in_block, generate_series(1, 2000000000) g")
    assert e.value.pgcode == "57014", e.value
    assert "outside the transaction" in str(e.value)
    conn.rollback()

    # statement_timeout bounds a read of a transaction as it bounds any read.
    cur.execute("SET statement_timeout = '500ms'")
    conn.commit()
    cur.execute("SELECT count(*) FROM lr_in_block")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT count(*) FROM lr_in_block, generate_series(1, 2000000000) g")
    assert e.value.pgcode == "57014" and "statement timeout" in str(e.value), e.value
    conn.rollback()
    cur.execute("SELECT count(*) FROM generate_series(1, 10) g")
    assert cur.fetchone()[0] == 10
    conn.commit()
    conn.close()


# ---- two replicasets: the long part runs on the other node ----

def explained(cur, sql):
    """EXPLAIN's plan of sql, as one text."""
    cur.execute("EXPLAIN " + sql)
    return "\n".join(r[0] for r in cur.fetchall())


def make_lr_rows(cur):
    """lr_rows: ids 1..400 over both replicasets, v = id % 9 (made once per module)."""
    cur.execute("CREATE TABLE IF NOT EXISTS lr_rows (id int PRIMARY KEY, v int)")
    cur.execute("SELECT count(*) FROM lr_rows")
    if cur.fetchone()[0] == 0:
        cur.execute("INSERT INTO lr_rows SELECT g, g % 9 FROM generate_series(1, 400) g")


def test_a_long_read_on_another_replicaset(sharded):
    """Each replicaset counts its own rows under a WHERE that is slow per row (a partial
    aggregate): the other node runs its part off its loop, past 2 s, and answers the RPC."""
    a, b = sharded.nodes
    conn = connect(a)
    cur = conn.cursor()
    make_lr_rows(cur)
    sql = ("SELECT count(*) FROM lr_rows WHERE (SELECT count(*) FROM generate_series(1, 30000) g"
           " WHERE g % 7 = lr_rows.v) > 0")
    assert "Partial aggregate on replicasets" in explained(cur, sql)
    before = [long_reads(n) for n in (a, b)]
    started = time.monotonic()
    cur.execute(sql)
    took = time.monotonic() - started
    assert cur.fetchone()[0] == sum(1 for i in range(1, 401) if i % 9 < 7)
    after = [long_reads(n) for n in (a, b)]
    assert after[1] >= before[1] + 1, "the other node ran no long read (%s -> %s)" % (
        before, after)
    assert took > 2.0, "ran in %.2f s: not past the old 2 s bound" % took
    conn.close()


def test_the_coordinators_part_runs_off_its_loop(sharded):
    """A join not on the keys is computed on the coordinator over the fetched rows: that runs
    on a reader thread too, so the coordinator answers others meanwhile, and statement_timeout
    bounds it."""
    a = sharded.nodes[0]
    conn = connect(a)
    cur = conn.cursor()
    make_lr_rows(cur)
    sql = ("SELECT count(*) FROM lr_rows x JOIN lr_rows y ON x.v = y.v, "
           "generate_series(1, 1500) g WHERE x.id + g % 3 <> 1")
    assert "fetched to this node" in explained(cur, sql)

    t, box = query_in_thread(a, sql)
    time.sleep(0.7)
    slowest = 0.0
    for _ in range(10):
        started = time.monotonic()
        cur.execute("SELECT count(*) FROM lr_rows WHERE id = 7")
        assert cur.fetchone()[0] == 1
        slowest = max(slowest, time.monotonic() - started)
    assert t.is_alive(), "the join was not long: the test measures nothing"
    t.join(120)
    assert "error" not in box, box.get("error")
    per_v = Counter(i % 9 for i in range(1, 401))
    pairs_ids = Counter()
    for i in range(1, 401):
        pairs_ids[i] = per_v[i % 9]  # partners y of x = i
    expected = sum(n * sum(1 for g in range(1, 1501) if i + g % 3 != 1)
                   for i, n in pairs_ids.items())
    assert box["value"][0] == expected
    assert slowest < 0.5, "another session waited %.2f s behind the coordinator" % slowest
    cur.execute("SET statement_timeout = '300ms'")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute(sql)
    assert e.value.pgcode == "57014" and "statement timeout" in str(e.value), e.value
    conn.close()


def test_a_cancel_reaches_the_other_nodes_part(sharded):
    """Cancelling a query whose parts run on both replicasets stops the other node's part too
    (NODE_RPC_SQL_CANCEL): the answer comes at once, not when that part ends (~30 s)."""
    a, b = sharded.nodes
    conn = connect(a)
    cur = conn.cursor()
    make_lr_rows(cur)
    before = long_reads(b)
    timer = threading.Timer(1.5, conn.cancel)
    started = time.monotonic()
    timer.start()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT count(*) FROM lr_rows WHERE (SELECT count(*) FROM "
                    "generate_series(1, 300000) g WHERE g % 7 = lr_rows.v) > 0")
    took = time.monotonic() - started
    timer.join()
    assert e.value.pgcode == "57014" and "user request" in str(e.value), e.value
    assert long_reads(b) >= before + 1, "the other node's part was not a long read"
    assert took < 6, "the answer waited %.1f s for the other node's part" % took
    cur.execute("SELECT count(*) FROM lr_rows WHERE id < 10")
    assert cur.fetchone()[0] == 9
    conn.close()


def test_a_long_read_in_a_transaction_on_the_other_replicaset(sharded):
    """A transaction's read of a key the other node's replicaset holds runs off that node's
    loop, and COMMIT checks it there (an RPC both times)."""
    a, b = sharded.nodes
    conn = connect(a)
    cur = conn.cursor()
    make_lr_rows(cur)
    # A key of the replicaset the second node (b) leads: the second one made.
    key = next(i for i in range(1, 401) if "Runs on replicaset 2 " in
               explained(cur, "SELECT v FROM lr_rows WHERE id = %d" % i))
    conn.autocommit = False
    before = long_reads(b)
    cur.execute("SELECT v FROM lr_rows WHERE id = %s", (key,))
    assert cur.fetchone()[0] == key % 9
    started = time.monotonic()
    cur.execute("SELECT (SELECT count(*) FROM generate_series(1, %d) g WHERE g %% 7 <> 3) "
                "FROM lr_rows WHERE id = %d" % (LONG_ROWS, key))
    took = time.monotonic() - started
    assert cur.fetchone()[0] == LONG_ANSWER
    assert took > 2.0, "ran in %.2f s: not past the 2 s bound" % took
    assert long_reads(b) >= before + 1, "the other node ran no long read"
    conn.commit()
    conn.close()
