"""Rows of sharded SQL tables move with their buckets: a one-node cluster holds two sharded
tables, a second replicaset joins and the buckets rebalance while psycopg2 clients keep
updating rows by key, inserting new ones, updating every row at once and reading the tables
through gathered queries. After the moves every row is there exactly once with its last
written value, and the rows really are split between the two replicasets' stores."""
import glob
import os
import random
import sqlite3
import threading
import time

import psycopg2
import psycopg2.errors

from helpers import bucket_counts, metrics, wait_balanced, wait_for
from test_pg import connect, wait_pg

BUCKETS = 300
TOLERANCE = 0.03 * BUCKETS
ACCOUNTS = 3000   # never written during the moves: every read must see exactly these
COUNTERS = 1500   # updated by key, and all at once, during the moves


def retrying(fn, deadline_s=30):
    """Runs fn until it is not refused with 40001 (a bucket moving, a serialization failure)."""
    end = time.time() + deadline_s
    while True:
        try:
            return fn()
        except psycopg2.errors.SerializationFailure:
            if time.time() > end:
                raise
            time.sleep(0.05)


class Load:
    """Clients on every node: point updates with known increments, inserts of new keys,
    statements that update every row, and gathered reads that must always see ACCOUNTS rows
    with the same sum."""

    def __init__(self, nodes, acc_sum):
        self.nodes = nodes
        self.acc_sum = acc_sum
        self.lock = threading.Lock()
        self.expected = {i: 0 for i in range(COUNTERS)}  # id -> acknowledged increments
        self.unknown = set()  # ids whose last update may or may not have applied
        self.inserted = {}    # id -> value, acknowledged inserts
        self.insert_unknown = set()
        self.broadcasts = 0   # acknowledged "UPDATE counters SET bumps = bumps + 1"
        self.broadcast_unknown = 0
        self.reads = 0
        self.bad_reads = []
        self.errors = []
        self.stop = threading.Event()
        self.threads = []

    def _conn(self, k):
        """A connection to one of the nodes serving clients now (the new node joins the list
        once it can answer)."""
        with self.lock:
            node = self.nodes[k % len(self.nodes)]
        return connect(node).cursor()

    def _updates(self, k):
        cur = self._conn(k)
        rng = random.Random(k)
        next_id = 100000 * (k + 1)
        ops = 0
        while not self.stop.is_set():
            ops += 1
            if ops % 50 == 0:
                cur.connection.close()
                cur = self._conn(k + ops // 50)
            if rng.random() < 0.2:
                i, v = next_id, rng.randrange(1000)
                next_id += 1
                try:
                    retrying(lambda: cur.execute(
                        "INSERT INTO counters (id, n, bumps) VALUES (%s, %s, 0)", (i, v)))
                    with self.lock:
                        self.inserted[i] = v
                except psycopg2.Error as e:
                    with self.lock:
                        self.insert_unknown.add(i)
                        self.errors.append("insert %d: %s" % (i, e))
                    cur = self._conn(k)
                continue
            i, d = rng.randrange(COUNTERS), rng.randrange(1, 10)
            try:
                retrying(lambda: cur.execute("UPDATE counters SET n = n + %s WHERE id = %s",
                                             (d, i)))
                if cur.rowcount != 1:
                    with self.lock:
                        self.errors.append("update of %d changed %d rows" % (i, cur.rowcount))
                    continue
                with self.lock:
                    self.expected[i] += d
            except psycopg2.Error as e:
                with self.lock:
                    self.unknown.add(i)
                    self.errors.append("update %d: %s" % (i, e))
                cur = self._conn(k)

    def _broadcasts(self):
        cur = self._conn(0)
        ops = 0
        while not self.stop.is_set():
            ops += 1
            cur.connection.close()
            cur = self._conn(ops)
            try:
                retrying(lambda: cur.execute("UPDATE counters SET bumps = bumps + 1"))
                with self.lock:
                    self.broadcasts += 1
            except psycopg2.Error as e:
                with self.lock:
                    self.broadcast_unknown += 1
                    self.errors.append("broadcast: %s" % e)
                cur = self._conn(ops)
            time.sleep(0.1)

    def _reads(self, k):
        cur = self._conn(k)
        ops = 0
        while not self.stop.is_set():
            ops += 1
            if ops % 10 == 0:
                cur.connection.close()
                cur = self._conn(k + ops // 10)
            try:
                retrying(lambda: cur.execute("SELECT count(*), sum(balance) FROM accounts"))
                got = cur.fetchone()
                with self.lock:
                    self.reads += 1
                    if got[0] != ACCOUNTS or got[1] != self.acc_sum:
                        self.bad_reads.append(got)
            except psycopg2.Error as e:
                with self.lock:
                    self.errors.append("read: %s" % e)
                cur = self._conn(k)

    def start(self):
        fns = [lambda k=k: self._updates(k) for k in range(3)]
        fns += [self._broadcasts] + [lambda k=k: self._reads(k) for k in range(2)]
        for f in fns:
            t = threading.Thread(target=f, daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)


def answers(node, sql):
    """The rows of sql through node, or None while it cannot answer yet."""
    try:
        conn = connect(node)
        try:
            cur = conn.cursor()
            cur.execute(sql)
            return cur.fetchall()
        finally:
            conn.close()
    except psycopg2.Error:
        return None


def moves_finished(cluster):
    """Moves finished, over every node that led the governor."""
    return sum(metrics(n)[0].get(("cairn_moves_finished_total", ""), 0) for n in cluster.live())


def store_counts(node, table):
    """Rows of the SQLite table in each of the stopped node's replicaset stores."""
    out = {}
    for path in glob.glob(os.path.join(node.data_dir, "**", "*.db"), recursive=True):
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            have = db.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?",
                              (table,)).fetchone()[0]
            if have:
                out[path] = db.execute('SELECT count(*) FROM "%s"' % table).fetchone()[0]
        finally:
            db.close()
    return out


def test_sql_rows_move_with_their_buckets(cluster):
    cluster.start(1, rf=1, extra=["--bucket-count", str(BUCKETS)])
    n1 = cluster.nodes[0]
    wait_pg(n1)
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance bigint)")
    cur.execute("CREATE TABLE counters (id int PRIMARY KEY, n bigint, bumps bigint)")
    rng = random.Random(7)
    balances = [rng.randrange(1, 10 ** 6) for _ in range(ACCOUNTS)]
    for lo in range(0, ACCOUNTS, 500):
        cur.execute("INSERT INTO accounts VALUES " + ", ".join(
            "(%d, 'owner %d', %d)" % (i, i, balances[i]) for i in range(lo, lo + 500)))
    cur.execute("INSERT INTO counters VALUES " + ", ".join(
        "(%d, 0, 0)" % i for i in range(COUNTERS)))
    acc_sum = sum(balances)
    cur.execute("SELECT count(*), sum(balance) FROM accounts")
    assert cur.fetchone() == (ACCOUNTS, acc_sum)
    conn.close()
    started_before = moves_finished(cluster)

    # The load starts on the first node before the second joins, so that every move runs
    # under it; the new node serves clients too once it can answer.
    load = Load([n1], acc_sum)
    load.start()
    time.sleep(0.5)
    n2 = cluster.add().start()
    n2.wait_up()
    wait_pg(n2)
    wait_for(lambda: answers(n2, "SELECT count(*) FROM accounts") == [(ACCOUNTS,)], 30,
             "the new node to know the tables and the bucket map")
    with load.lock:
        load.nodes.append(n2)
    view = wait_balanced(cluster, 2, TOLERANCE, 180, "the buckets rebalanced with SQL tables")
    time.sleep(1.0)  # a little load after the last move
    load.finish()

    counts = bucket_counts(view)
    assert sorted(counts) == [1, 2] and sum(counts.values()) == BUCKETS, view
    assert all(c > BUCKETS / 4 for c in counts.values()), view
    moved = moves_finished(cluster) - started_before
    assert moved >= BUCKETS / 4, "only %s moves finished" % moved

    assert not load.bad_reads, "reads during the moves saw %d wrong answers: %s" % (
        len(load.bad_reads), load.bad_reads[:5])
    assert load.reads > 10, "the readers barely ran: %d" % load.reads
    assert not load.errors, "\n".join(load.errors[:20])
    assert sum(load.expected.values()) > 100, "the writers barely ran"

    conn = connect(n2)
    cur = conn.cursor()
    cur.execute("SELECT count(*), sum(balance) FROM accounts")
    assert cur.fetchone() == (ACCOUNTS, acc_sum)
    cur.execute("SELECT id, owner, balance FROM accounts ORDER BY id")
    assert cur.fetchall() == [(i, "owner %d" % i, balances[i]) for i in range(ACCOUNTS)]
    cur.execute("SELECT id, n, bumps FROM counters ORDER BY id")
    rows = cur.fetchall()
    want_ids = sorted(list(range(COUNTERS)) + list(load.inserted))
    got = {r[0]: r for r in rows}
    assert len(rows) == len(got), "a row is there twice"
    missing = [i for i in want_ids if i not in got]
    assert not missing, "rows lost: %s" % missing[:20]
    extra = [i for i in got if i not in load.inserted and i >= COUNTERS
             and i not in load.insert_unknown]
    assert not extra, "rows nobody inserted: %s" % extra[:20]
    wrong = [(i, got[i][1], load.expected[i]) for i in range(COUNTERS)
             if i not in load.unknown and got[i][1] != load.expected[i]]
    wrong += [(i, got[i][1], v) for i, v in load.inserted.items() if got[i][1] != v]
    assert not wrong, "rows without their last written value (id, has, want): %s" % wrong[:20]
    # Every statement that updated all rows did so once per row, moving or not.
    assert load.broadcasts > 0
    if load.broadcast_unknown == 0:
        originals = [got[i][2] for i in range(COUNTERS)]
        assert set(originals) == {load.broadcasts}, (
            "bumps per row after %d broadcasts: %s" % (load.broadcasts, sorted(set(originals))))
    cur.execute("SELECT count(*), sum(n) FROM counters")
    assert cur.fetchone() == (len(want_ids), sum(got[i][1] for i in want_ids))
    conn.close()

    # Each store holds its share, and the two shares are the whole: nothing doubled, nothing
    # stranded in a source. Read once the nodes stopped: a node's stores are its own (SQLite's
    # unix-excl VFS), no other process opens them while it runs.
    assert n1.terminate() == 0 and n2.terminate() == 0
    for table, want in (("t_accounts", ACCOUNTS), ("t_counters", len(want_ids))):
        c1, c2 = store_counts(n1, table), store_counts(n2, table)
        assert len(c1) == 1 and len(c2) == 1, (c1, c2)
        a, b = list(c1.values())[0], list(c2.values())[0]
        assert a > want / 5 and b > want / 5, (table, a, b)
        assert a + b == want, (table, a, b, want)
