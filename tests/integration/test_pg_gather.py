"""Queries over several replicasets push work down to them (docs/sql.md, "Queries over several
replicasets"): partial aggregates per group (count, sum, min, max, avg as sum and count) combined
on the coordinator, only the columns a query reads, a one-table ORDER BY ... LIMIT at each
source. Every shape is checked against the answer computed here from the same rows, against the
same query on the path that pushes nothing down (a WITH in front of it: same values, same
column types), and by EXPLAIN that the pushdown really happened, so that a silent fallback
fails. Shapes that cannot be pushed down must still answer right."""
import math
import re
import time
from collections import Counter
from decimal import Decimal

import psycopg2
import pytest

from conftest import Cluster
from helpers import metrics, wait_balanced
from test_pg import connect, wait_pg

ROWS = 3000
BIG = 2 ** 62


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """Two replicasets of one node each, sharing the buckets."""
    c = Cluster(str(tmp_path_factory.mktemp("pggather")))
    c.start(1, extra=["--bucket-count", "64"], rf=1)
    c.add().start().wait_up()
    # Balanced exactly: no bucket moves while the tests read.
    wait_balanced(c, 2, 0, 120, "two replicasets sharing the buckets evenly")
    for n in c.nodes:
        wait_pg(n)
    yield c
    c.stop_all()
    c.check_sanitizers()


def make_row(i):
    grp = None if i % 50 == 0 else i % 7
    small = None if i % 11 == 0 else (i * 37) % 1000 - 500
    big = BIG - i if i % 3 == 0 else -i * 12345
    f = None if i % 13 == 0 else i * 0.25 - 100.0  # exact in binary: sums do not depend on order
    num = None if i % 17 == 0 else Decimal((i * 7) % 2000 - 1000) / 8
    name = "n%02d" % (i % 23)
    return (i, grp, small, big, f, None if num is None else num.quantize(Decimal("0.001")), name)


DATA = [make_row(i) for i in range(1, ROWS + 1)]
COLS = ["id", "grp", "small", "big", "f", "num", "name"]


def col(name, rows=DATA):
    k = COLS.index(name)
    return [r[k] for r in rows]


@pytest.fixture(scope="module")
def db(sharded):
    conn = connect(sharded.nodes[0])
    cur = conn.cursor()
    cur.execute("CREATE TABLE gx (id int PRIMARY KEY, grp int, small int, big bigint, "
                "f float8, num numeric(12,3), name text)")
    cur.execute("CREATE TABLE gx_empty (id int PRIMARY KEY, v int, n numeric(8,2))")
    cur.execute("CREATE TABLE gx_names (id int PRIMARY KEY, label text, extra text)")

    def insert(table, rows):
        # Chunks of one INSERT each: atomic, so one refused while a bucket moves (40001) is
        # sent again whole.
        for at in range(0, len(rows), 500):
            chunk = rows[at:at + 500]
            sql = "INSERT INTO %s VALUES %s" % (
                table, ", ".join(["(" + ", ".join(["%s"] * len(chunk[0])) + ")"] * len(chunk)))
            for attempt in range(50):
                try:
                    cur.execute(sql, [v for r in chunk for v in r])
                    break
                except psycopg2.errors.SerializationFailure:
                    time.sleep(0.2)
            else:
                raise AssertionError("INSERT INTO %s kept failing" % table)
    insert("gx", DATA)
    insert("gx_names", [(i, "label %d" % i, "x" * 50) for i in range(0, 23)])
    cur.execute("SELECT count(*) FROM gx")
    assert cur.fetchone()[0] == ROWS
    yield cur
    conn.close()


def plan(cur, sql):
    cur.execute("EXPLAIN " + sql)
    return "\n".join(r[0] for r in cur.fetchall())


def fetch(cur, sql):
    cur.execute(sql)
    return cur.fetchall(), [(d.name, d.type_code) for d in cur.description]


def unpushed(cur, sql):
    """The same query on the path that pushes nothing down: a WITH makes it read a CTE."""
    return fetch(cur, "WITH gx_all AS (SELECT 1) " + sql)


def check_same_as_unpushed(cur, sql):
    got = fetch(cur, sql)
    want = unpushed(cur, sql)
    assert got == want, "%s\npushed:   %s\nunpushed: %s" % (sql, got, want)
    return got[0]


def avg_of(values):
    vs = [v for v in values if v is not None]
    return None if not vs else Decimal(sum(Decimal(v) for v in vs)) / Decimal(len(vs))


def sum_of(values):
    vs = [v for v in values if v is not None]
    return None if not vs else sum(vs)


def close(a, b):
    return abs(Decimal(a) - Decimal(b)) < Decimal("1e-12") * max(1, abs(Decimal(b)))


def test_partial_aggregates_without_groups(db):
    sql = ("SELECT count(*), count(small), sum(small), min(small), max(small), avg(small), "
           "sum(big), avg(big), min(big), max(big), sum(num), avg(num), sum(f), avg(f), "
           "min(name), max(name) FROM gx")
    p = plan(db, sql)
    assert "Partial aggregate on replicasets 1, 2" in p, p
    row = check_same_as_unpushed(db, sql)[0]
    smalls, bigs, nums, fs = col("small"), col("big"), col("num"), col("f")
    assert row[0] == ROWS
    assert row[1] == len([v for v in smalls if v is not None])
    assert row[2] == sum_of(smalls)
    assert (row[3], row[4]) == (min(v for v in smalls if v is not None),
                                max(v for v in smalls if v is not None))
    assert close(row[5], avg_of(smalls))
    # Sums of bigints near 2^62 overflow 64 bits: numeric, exact.
    assert row[6] == sum(bigs) and abs(sum(bigs)) > 2 ** 63
    assert close(row[7], avg_of(bigs))
    assert (row[8], row[9]) == (min(bigs), max(bigs))
    assert row[10] == sum_of(nums) and str(row[10]).endswith(str(sum_of(nums))[-4:])
    assert close(row[11], avg_of(nums))
    assert row[12] == sum_of(fs)
    # avg(float8) is float8 in PostgreSQL; the printer still calls every avg numeric, on both
    # paths alike (compared above): the value is the double.
    assert float(row[13]) == sum_of(fs) / len([v for v in fs if v is not None])
    assert (row[14], row[15]) == (min(col("name")), max(col("name")))


def test_partial_aggregates_per_group(db):
    sql = ("SELECT grp, count(*), count(num), sum(big), avg(small), min(f), max(num), "
           "sum(num) FROM gx GROUP BY grp ORDER BY grp")
    p = plan(db, sql)
    assert "Partial aggregate on replicasets 1, 2" in p, p
    rows = check_same_as_unpushed(db, sql)
    groups = sorted({r[1] for r in DATA}, key=lambda g: (g is None, g))
    assert [r[0] for r in rows] == groups  # NULL is a group of its own, sorted last
    for r in rows:
        part = [d for d in DATA if d[1] == r[0]]
        assert r[1] == len(part)
        assert r[2] == len([v for v in col("num", part) if v is not None])
        assert r[3] == sum(col("big", part))
        assert close(r[4], avg_of(col("small", part)))
        assert r[5] == min(v for v in col("f", part) if v is not None)
        assert r[6] == max(v for v in col("num", part) if v is not None)
        assert r[7] == sum_of(col("num", part))


def test_partial_where_having_order_limit(db):
    sql = ("SELECT id % 5 AS m, count(*) AS n, sum(num) AS total, avg(f) FROM gx "
           "WHERE small > 0 GROUP BY m HAVING count(*) > 10 AND sum(num) > -100000 "
           "ORDER BY n DESC, m LIMIT 3")
    p = plan(db, sql)
    assert "Partial aggregate" in p and "WHERE runs there" in p, p
    rows = check_same_as_unpushed(db, sql)
    part = [d for d in DATA if d[2] is not None and d[2] > 0]
    want = []
    for m in range(5):
        g = [d for d in part if d[0] % 5 == m]
        total = sum_of(col("num", g))
        if len(g) > 10 and total is not None and total > -100000:
            want.append((m, len(g), total))
    want.sort(key=lambda w: (-w[1], w[0]))
    assert [(r[0], r[1], r[2]) for r in rows] == want[:3]


def test_partial_group_by_position_alias_and_expression(db):
    for sql in ["SELECT name, count(*) FROM gx GROUP BY 1 ORDER BY 1",
                "SELECT upper(name) AS u, count(*) FROM gx GROUP BY u ORDER BY u",
                "SELECT upper(name), count(*) FROM gx GROUP BY upper(name) ORDER BY 1"]:
        p = plan(db, sql)
        assert "Partial aggregate" in p, (sql, p)
        rows = check_same_as_unpushed(db, sql)
        names = sorted({d[6] for d in DATA})
        assert [r[0].lower() for r in rows] == names
        assert [r[1] for r in rows] == [len([d for d in DATA if d[6] == n]) for n in names]
    # Grouped without aggregates: a DISTINCT that runs where the rows are.
    sql = "SELECT grp FROM gx WHERE grp IS NOT NULL GROUP BY grp HAVING max(id) > 0 ORDER BY grp"
    assert "Partial aggregate" in plan(db, sql)
    assert [r[0] for r in check_same_as_unpushed(db, sql)] == list(range(7))
    # Expressions over aggregates and keys, DISTINCT over the groups.
    sql = ("SELECT DISTINCT count(*) / 100 AS c FROM gx GROUP BY grp ORDER BY c")
    assert "Partial aggregate" in plan(db, sql)
    check_same_as_unpushed(db, sql)
    sql = "SELECT grp * 2 + 1, sum(small) - min(small), coalesce(max(num), 0) FROM gx GROUP BY grp"
    assert "Partial aggregate" in plan(db, sql)
    got = sorted(fetch(db, sql)[0], key=repr)
    want = sorted(unpushed(db, sql)[0], key=repr)
    assert got == want


def test_partial_empty_and_no_match(db):
    sql = "SELECT count(*), count(v), sum(v), avg(v), min(n), max(n), sum(n) FROM gx_empty"
    assert "Partial aggregate" in plan(db, sql)
    assert check_same_as_unpushed(db, sql) == [(0, 0, None, None, None, None, None)]
    sql = "SELECT v, count(*) FROM gx_empty GROUP BY v"
    assert check_same_as_unpushed(db, sql) == []
    sql = "SELECT count(*), max(id), avg(big) FROM gx WHERE id < 0"
    assert check_same_as_unpushed(db, sql) == [(0, None, None)]
    sql = "SELECT count(*) FROM gx HAVING count(*) > %d" % ROWS
    assert check_same_as_unpushed(db, sql) == []


def test_partial_result_types_match_postgres(db):
    # count is bigint (20), sum(int) bigint, sum(bigint) and sum(numeric) numeric (1700),
    # avg(int) numeric, min keeps the column's type (int4 23, text 25).
    _, desc = fetch(db, "SELECT count(*), sum(small), sum(big), sum(num), avg(small), min(small), "
                        "min(name) FROM gx")
    assert [t for _, t in desc] == [20, 20, 1700, 1700, 1700, 23, 25]
    assert [n for n, _ in desc] == ["count", "sum", "sum", "sum", "avg", "min", "min"]


def test_shapes_that_are_not_pushed_down_still_answer(db):
    cases = {
        "SELECT count(DISTINCT grp) FROM gx": [(7,)],
        "SELECT count(*) FILTER (WHERE small > 0) FROM gx":
            [(len([v for v in col("small") if v is not None and v > 0]),)],
        "SELECT grp, string_agg(name, ',') IS NOT NULL FROM gx WHERE grp = 1 GROUP BY grp":
            [(1, True)],
        "SELECT count(*) FROM gx WHERE small > (SELECT avg(small) FROM gx)":
            [(len([v for v in col("small") if v is not None and v > avg_of(col("small"))]),)],
    }
    for sql, want in cases.items():
        p = plan(db, sql)
        assert "Partial aggregate" not in p, (sql, p)
        db.execute(sql)
        assert db.fetchall() == want, sql
    sql = "SELECT id, sum(small) OVER (ORDER BY id) FROM gx ORDER BY id LIMIT 3"
    p = plan(db, sql)
    assert "Partial aggregate" not in p and "Limit pushed down" not in p, p
    db.execute(sql)
    smalls = col("small")
    assert db.fetchall() == [(i + 1, sum_of(smalls[:i + 1])) for i in range(3)]


def test_projection_fetches_only_the_columns_read(db):
    sql = ("SELECT g.grp, n.label, count(*) FROM gx g JOIN gx_names n ON n.id = g.id % 23 "
           "WHERE g.small > 400 GROUP BY g.grp, n.label ORDER BY 3 DESC, 1, 2 LIMIT 5")
    p = plan(db, sql)
    assert re.search(r"Fetch gx from replicasets 1, 2: columns id, grp, small\b", p), p
    assert re.search(r"Fetch gx_names from replicasets 1, 2: columns id, label\b", p), p
    rows = check_same_as_unpushed(db, sql)
    counts = {}
    for d in DATA:
        if d[2] is not None and d[2] > 400:
            k = (d[1], "label %d" % (d[0] % 23))
            counts[k] = counts.get(k, 0) + 1
    want = sorted(((k[0], k[1], v) for k, v in counts.items()),
                  key=lambda w: (-w[2], w[0] is None, w[0] or 0, w[1]))
    assert rows == want[:5]
    # count(*) over a join reads no column: one per row still comes (the key).
    sql = "SELECT count(*) FROM gx, gx_names WHERE gx_names.id < 3"
    assert "columns id" in plan(db, sql)
    db.execute(sql)
    assert db.fetchone()[0] == ROWS * 3
    # A * reads every column (of a join not on the key: a co-located one is computed there).
    sql = "SELECT * FROM gx g JOIN gx_names n ON n.id = g.id % 23 WHERE g.id < 3 ORDER BY g.id"
    assert "all columns" in plan(db, sql)
    db.execute(sql)
    assert [r[:7] for r in db.fetchall()] == [tuple(DATA[0]), tuple(DATA[1])]


def test_limit_pushed_down(db):
    def key(d):
        return (d[4] is None, -(d[4] or 0), d[0])
    ordered = sorted(DATA, key=key)
    shapes = [
        ("SELECT id, f FROM gx ORDER BY f DESC NULLS LAST, id LIMIT 5 OFFSET 2", 7,
         [(d[0], d[4]) for d in ordered[2:7]]),
        ("SELECT id AS k, f AS score FROM gx ORDER BY score DESC NULLS LAST, k LIMIT 4", 4,
         [(d[0], d[4]) for d in ordered[:4]]),
        ("SELECT f, id FROM gx WHERE small < 0 ORDER BY 1 DESC NULLS LAST, 2 LIMIT 3", 3,
         [(d[4], d[0]) for d in [d for d in ordered if d[2] is not None and d[2] < 0][:3]]),
        ("SELECT id, num FROM gx ORDER BY num, id LIMIT 6", 6,
         [(d[0], d[5]) for d in sorted(DATA, key=lambda d: (d[5] is None, d[5] or 0, d[0]))[:6]]),
    ]
    for sql, each, want in shapes:
        p = plan(db, sql)
        assert "Limit pushed down: at most %d rows from each" % each in p, (sql, p)
        assert check_same_as_unpushed(db, sql) == want, sql
    # LIMIT without ORDER BY: any rows, but as many as asked.
    sql = "SELECT id FROM gx LIMIT 10"
    assert "Limit pushed down" in plan(db, sql)
    db.execute(sql)
    assert len({r[0] for r in db.fetchall()}) == 10
    # With DISTINCT too (each replicaset's first distinct rows hold the query's).
    sql = "SELECT DISTINCT grp FROM gx ORDER BY grp LIMIT 3"
    assert "Limit pushed down: at most 3 rows from each" in plan(db, sql)
    assert check_same_as_unpushed(db, sql) == [(0,), (1,), (2,)]
    sql = ("SELECT DISTINCT grp, small % 3 AS m FROM gx "
           "ORDER BY 2 DESC NULLS LAST, 1 NULLS FIRST LIMIT 4 OFFSET 2")
    assert "Limit pushed down: at most 6 rows from each" in plan(db, sql)
    # % takes the dividend's sign, as math.fmod does
    pairs = {(d[1], None if d[2] is None else int(math.fmod(d[2], 3))) for d in DATA}
    want = sorted(pairs, key=lambda r: (r[1] is None, -(r[1] or 0), r[0] is not None,
                                        r[0] or 0))[2:6]
    assert check_same_as_unpushed(db, sql) == want
    # Not pushed down: a LIMIT that is not a constant.
    sql = "SELECT id FROM gx ORDER BY id LIMIT 2 + 1"
    assert "Limit pushed down" not in plan(db, sql), sql
    check_same_as_unpushed(db, sql)


def replicaset_of(cur, table, key):
    p = plan(cur, "SELECT * FROM %s WHERE id = %d" % (table, key))
    m = re.search(r"Runs on replicaset (\d+)", p)
    assert m, p
    return int(m.group(1))


def test_partial_sums_overflow_only_when_combined(db):
    # Two bigints near 2^63 in different replicasets: each one's partial sum fits 64 bits,
    # their total does not, and comes back exact as numeric.
    db.execute("CREATE TABLE gx_big (id int PRIMARY KEY, v bigint)")
    first = 1
    second = next(k for k in range(2, 200)
                  if replicaset_of(db, "gx_big", k) != replicaset_of(db, "gx_big", first))
    v = 2 ** 63 - 1000
    db.execute("INSERT INTO gx_big VALUES (%s, %s)", (first, v))
    db.execute("INSERT INTO gx_big VALUES (%s, %s)", (second, v - 1))
    sql = "SELECT sum(v), avg(v), count(*), min(v) FROM gx_big"
    assert "Partial aggregate" in plan(db, sql)
    row = check_same_as_unpushed(db, sql)[0]
    assert row[0] == 2 * v - 1 and row[0] > 2 ** 63
    assert close(row[1], Decimal(2 * v - 1) / 2)
    assert (row[2], row[3]) == (2, v - 1)


def test_partial_numeric_keys_group_and_sort_as_numbers(db):
    # An unconstrained numeric keeps the scale it was written with: 1.5 and 1.50 are one
    # group for PostgreSQL (equal), and 10 sorts after 9.
    db.execute("CREATE TABLE gx_num (id int PRIMARY KEY, v numeric)")
    values = ["1.5", "1.50", "1.500", "9", "10", "10.0", "-2", "-2.00"]
    rows = [(i, values[i % len(values)]) for i in range(80)]
    db.execute("INSERT INTO gx_num VALUES " + ", ".join(["(%s, %s)"] * len(rows)),
               [x for r in rows for x in r])
    sql = "SELECT v, count(*), sum(v) FROM gx_num GROUP BY v ORDER BY v"
    assert "Partial aggregate" in plan(db, sql)
    got = check_same_as_unpushed(db, sql)
    assert [(Decimal(r[0]), r[1], r[2]) for r in got] == [
        (Decimal("-2"), 20, Decimal("-40")), (Decimal("1.5"), 30, Decimal("45")),
        (Decimal("9"), 10, Decimal("90")), (Decimal("10"), 20, Decimal("200"))]
    assert str(got[1][2]) == "45.000"  # sum keeps the largest scale, as PostgreSQL's


def test_partial_with_alias_and_qualified_names(db):
    sql = ("SELECT g.grp, count(g.id) AS c, max(g.small) FROM gx AS g WHERE g.grp < 3 "
           "GROUP BY g.grp ORDER BY g.grp DESC")
    assert "Partial aggregate" in plan(db, sql)
    rows = check_same_as_unpushed(db, sql)
    assert rows == [(k, len([d for d in DATA if d[1] == k]),
                     max(v for v in col("small", [d for d in DATA if d[1] == k]) if v is not None))
                    for k in (2, 1, 0)]
    sql = ("SELECT g.grp, count(*) AS c FROM gx AS g WHERE g.grp < 3 "
           "GROUP BY g.grp ORDER BY c, g.grp")
    assert "Partial aggregate" in plan(db, sql)
    assert [r[0] for r in check_same_as_unpushed(db, sql)] == sorted(
        range(3), key=lambda k: (len([d for d in DATA if d[1] == k]), k))


def test_limit_with_star(db):
    sql = "SELECT * FROM gx WHERE grp = 3 ORDER BY id DESC LIMIT 4"
    p = plan(db, sql)
    assert "Merged here in the order" in p and "Limit pushed down: at most 4 rows from each" in p, p
    assert check_same_as_unpushed(db, sql) == sorted(
        [d for d in DATA if d[1] == 3], key=lambda d: -d[0])[:4]


def merged(node):
    m, _types = metrics(node)
    return m.get(("cairn_sql_gathers_merged_total", ""), 0)


def nulls_last(v):
    return (v is None, v if v is not None else 0)


def test_sorted_rows_merged_not_sorted_again(sharded, db):
    """A query that keeps the rows as they are: each replicaset sorts its own (by positions,
    with the collation of the sort key's type), this node merges them. Every order a sort
    key can have across replicasets: numerics by value (a text compare would put 10 before
    9), floats and integers with NULLs first and last, text by its bytes, descending, ties
    broken by a second key, OFFSET without LIMIT, LIMIT 0."""
    node = sharded.nodes[0]
    by_id = sorted(DATA, key=lambda d: d[0])
    shapes = [
        ("SELECT id, num FROM gx ORDER BY num DESC NULLS LAST, id",
         [(d[0], d[5]) for d in sorted(by_id, key=lambda d: (d[5] is None,
                                                               -(d[5] or 0), d[0]))]),
        ("SELECT id, f FROM gx ORDER BY f NULLS FIRST, id DESC",
         [(d[0], d[4]) for d in sorted(by_id, key=lambda d: (d[4] is not None,
                                                               d[4] or 0, -d[0]))]),
        ("SELECT name, id FROM gx ORDER BY name DESC, id OFFSET 2990",
         [(d[6], d[0]) for d in sorted(by_id, key=lambda d: (d[6], -d[0]),
                                       reverse=True)][2990:]),
        ("SELECT big, id FROM gx WHERE small > 300 ORDER BY 1, 2",
         sorted([(d[3], d[0]) for d in by_id if d[2] is not None and d[2] > 300])),
        ("SELECT id, num * 2 AS twice FROM gx ORDER BY twice, id LIMIT 25",
         [(d[0], d[5] * 2) for d in sorted([d for d in by_id if d[5] is not None],
                                           key=lambda d: (d[5], d[0]))][:25]),
        ("SELECT id FROM gx ORDER BY small NULLS FIRST, id LIMIT 7 OFFSET 3",
         [(d[0],) for d in sorted(by_id, key=lambda d: (d[2] is not None, d[2] or 0,
                                                         d[0]))][3:10]),
        ("SELECT id FROM gx ORDER BY id LIMIT 0", []),
        # DISTINCT whose ORDER BY covers every result column: duplicates come together
        ("SELECT DISTINCT grp FROM gx ORDER BY grp NULLS FIRST",
         [(None,)] + [(g,) for g in range(7)]),
        ("SELECT DISTINCT name, grp FROM gx WHERE id < 200 ORDER BY grp DESC, name OFFSET 3",
         sorted({(d[6], d[1]) for d in DATA if d[0] < 200},
                key=lambda r: (r[1] is not None, -(r[1] or 0), r[0]))[3:]),
    ]
    for sql, want in shapes:
        p = plan(db, sql)
        assert "Merged here in the order they were sorted there" in p, (sql, p)
        before = merged(node)
        rows = check_same_as_unpushed(db, sql)
        assert merged(node) - before == 1, sql
        assert rows == want, sql
    # Without ORDER BY the rows are taken as they come: all of them.
    sql = "SELECT id, grp FROM gx WHERE small < 0"
    assert "Merged here as they come" in plan(db, sql)
    db.execute(sql)
    assert sorted(db.fetchall()) == sorted((d[0], d[1]) for d in DATA
                                           if d[2] is not None and d[2] < 0)
    # DISTINCT not sorted by every result column, or a LIMIT that is not a constant: sorted
    # here (still right).
    for sql in ["SELECT DISTINCT grp, grp * 2 AS twice FROM gx ORDER BY 1 NULLS FIRST",
                "SELECT id FROM gx ORDER BY id LIMIT 2 + 1"]:
        assert "Merged here:" in plan(db, sql), sql
        check_same_as_unpushed(db, sql)


def test_sort_by_result_name_that_is_a_column(db):
    """ORDER BY a result name means the result column, also where a table has a column of
    that name: the replicasets sort by position (they sorted by the table's column and kept
    the wrong rows under a LIMIT)."""
    sql = "SELECT id AS small, small AS id FROM gx ORDER BY small DESC LIMIT 5"
    rows = check_same_as_unpushed(db, sql)
    assert rows == [(d[0], d[2]) for d in sorted(DATA, key=lambda d: -d[0])[:5]]
    sql = "SELECT id AS big, big AS id FROM gx ORDER BY id, big LIMIT 4"
    want = sorted(((d[0], d[3]) for d in DATA), key=lambda r: (r[1], r[0]))[:4]
    assert check_same_as_unpushed(db, sql) == want


def test_partial_bool_aggregates(db):
    # small is -500 only in the NULL group: bool_and is false there alone.
    sql = ("SELECT grp, bool_and(small > -500), bool_or(small > 490), every(id > 0) FROM gx "
           "GROUP BY grp ORDER BY grp")
    assert "Partial aggregate" in plan(db, sql)
    rows = check_same_as_unpushed(db, sql)
    for r in rows:
        smalls = [v for v in col("small", [d for d in DATA if d[1] == r[0]]) if v is not None]
        assert r[1:] == (all(v > -500 for v in smalls), any(v > 490 for v in smalls), True)
    assert {r[1] for r in rows} == {True, False}


# ---- joins on the distribution key ----

DETAIL = [(i, s, Decimal(i * s) / 4) for i in range(1, ROWS + 1) if i % 4 != 0
          for s in range(1, i % 3 + 2)] + [(5000 + i, 1, Decimal(i)) for i in range(10)]


@pytest.fixture(scope="module")
def detail(db):
    db.execute("CREATE TABLE gx_detail (id int, seq int, amount numeric(10,2), "
               "PRIMARY KEY (id, seq)) DISTRIBUTED BY (id)")
    for at in range(0, len(DETAIL), 500):
        chunk = DETAIL[at:at + 500]
        db.execute("INSERT INTO gx_detail VALUES " + ", ".join(["(%s, %s, %s)"] * len(chunk)),
                   [v for r in chunk for v in r])
    db.execute("SELECT count(*) FROM gx_detail")
    assert db.fetchone()[0] == len(DETAIL)
    return db


def test_colocated_join_aggregates_on_the_replicasets(detail):
    sql = ("SELECT g.grp, count(*), sum(d.amount) FROM gx g JOIN gx_detail d ON d.id = g.id "
           "GROUP BY g.grp ORDER BY 1")
    p = plan(detail, sql)
    assert "Partial aggregate" in p, p
    rows = check_same_as_unpushed(detail, sql)
    grp = {r[0]: r[1] for r in DATA}
    want = {}
    for i, _s, amount in DETAIL:
        if i in grp:
            c, s = want.get(grp[i], (0, Decimal(0)))
            want[grp[i]] = (c + 1, s + amount)
    assert rows == sorted([(k, c, s) for k, (c, s) in want.items()],
                          key=lambda r: (r[0] is None, r[0] or 0))


def test_colocated_join_rows_merged_with_limit(detail):
    sql = ("SELECT g.id, g.name, d.seq, d.amount FROM gx g JOIN gx_detail d ON g.id = d.id "
           "WHERE g.grp = 3 ORDER BY g.id DESC, d.seq LIMIT 20 OFFSET 5")
    p = plan(detail, sql)
    assert "joined on their distribution keys" in p and "Limit pushed down: at most 25" in p, p
    rows = check_same_as_unpushed(detail, sql)
    names = {r[0]: r[6] for r in DATA if r[1] == 3}
    want = sorted([(i, names[i], s, a) for i, s, a in DETAIL if i in names],
                  key=lambda r: (-r[0], r[2]))[5:25]
    assert rows == want


def test_colocated_join_merged_star_and_result_names(detail):
    # A * over a co-located join is computed there too; sorted by a numeric (as a number),
    # merged here.
    sql = ("SELECT * FROM gx g JOIN gx_detail d ON d.id = g.id WHERE g.id < 60 "
           "ORDER BY d.amount DESC, d.seq, g.id")
    p = plan(detail, sql)
    assert "joined on their distribution keys" in p and "Merged here in the order" in p, p
    rows = check_same_as_unpushed(detail, sql)
    by_id = {r[0]: r for r in DATA}
    want = [tuple(by_id[i]) + (i, seq, a) for i, seq, a in
            sorted((r for r in DETAIL if r[0] < 60), key=lambda r: (-r[2], r[1], r[0]))]
    assert rows == want
    # A result name that is also a column of a table: the result column (positions there).
    sql = ("SELECT g.id AS seq, d.seq AS id FROM gx g JOIN gx_detail d ON g.id = d.id "
           "ORDER BY seq DESC, id LIMIT 5")
    want = sorted(((i, seq) for i, seq, _a in DETAIL if i in by_id),
                  key=lambda r: (-r[0], r[1]))[:5]
    assert check_same_as_unpushed(detail, sql) == want


def test_statement_has_one_now_on_every_replicaset(detail):
    for sql in ["SELECT DISTINCT now() FROM gx g JOIN gx_detail d ON d.id = g.id",
                "SELECT DISTINCT now(), current_timestamp FROM gx"]:
        assert "Gather" in plan(detail, sql)
        detail.execute(sql)
        assert len(detail.fetchall()) == 1, sql


def test_colocated_outer_joins_keep_unmatched_rows(detail):
    ids = {r[0] for r in DATA}
    sql = ("SELECT g.id, d.seq FROM gx g LEFT JOIN gx_detail d ON d.id = g.id "
           "WHERE g.id <= 120 ORDER BY 1, 2")
    assert "joined on their distribution keys" in plan(detail, sql)
    rows = check_same_as_unpushed(detail, sql)
    want = sorted([(i, s) for i, s, _a in DETAIL if i <= 120] +
                  [(i, None) for i in range(1, 121) if i % 4 == 0])
    assert rows == want
    sql = ("SELECT d.id, g.id IS NULL FROM gx g FULL JOIN gx_detail d ON d.id = g.id "
           "WHERE d.id IS NULL OR d.id > 2990 ORDER BY d.id NULLS FIRST, 2 LIMIT 40")
    assert "joined on their distribution keys" in plan(detail, sql)
    rows = check_same_as_unpushed(detail, sql)
    unmatched = [(None, False)] * (ROWS // 4)
    want = (unmatched + sorted((i, i not in ids) for i, _s, _a in DETAIL if i > 2990))[:40]
    assert rows == want


def test_colocated_comma_join_distinct_and_self_join(detail):
    sql = ("SELECT DISTINCT g.grp FROM gx g, gx_detail d WHERE g.id = d.id AND d.seq = 3 "
           "ORDER BY 1")
    assert "joined on their distribution keys" in plan(detail, sql)
    rows = check_same_as_unpushed(detail, sql)
    grp = {r[0]: r[1] for r in DATA}
    want = sorted({grp[i] for i, s, _a in DETAIL if s == 3 and i in grp},
                  key=lambda v: (v is None, v or 0))
    assert rows == [(v,) for v in want]
    sql = ("SELECT a.id, b.seq FROM gx_detail a JOIN gx_detail b ON a.id = b.id "
           "WHERE a.seq = 1 AND a.id < 40 ORDER BY 1, 2")
    assert "joined on their distribution keys" in plan(detail, sql)
    rows = check_same_as_unpushed(detail, sql)
    assert rows == sorted((i, s) for i, s, _a in DETAIL if i < 40)


def test_joins_not_on_the_key_are_not_pushed_down(detail):
    # d.seq is no distribution key: rows of different replicasets join, so all are fetched
    sql = ("SELECT count(*) FROM gx g JOIN gx_detail d ON d.seq = g.id")
    p = plan(detail, sql)
    assert "joined on their distribution keys" not in p and "Partial aggregate" not in p, p
    detail.execute(sql)
    per_seq = {}
    for _i, s, _a in DETAIL:
        per_seq[s] = per_seq.get(s, 0) + 1
    assert detail.fetchone()[0] == sum(per_seq.values())
    # a key equated with another column, or only one of the tables' keys in the condition
    sql = "SELECT count(*) FROM gx g JOIN gx_detail d ON d.id = g.small"
    assert "joined on their distribution keys" not in plan(detail, sql)
    sql = "SELECT count(*) FROM gx g JOIN gx_detail d ON d.id = g.id OR d.seq = g.id"
    assert "Partial aggregate" not in plan(detail, sql)


# ---- joins not on the key: the smaller side moved to the larger's replicasets ----

SMALL = [(1, Decimal("100.00"), b"\x00\x01", 0.5, "one"),
         (2, Decimal("9.25"), None, -1.5, "two"),
         (3, Decimal("10.50"), b"\xff", None, "three"),
         (4, None, b"", 1e300, None),
         (5, Decimal("-3.00"), b"ab", 2.25, "five")]


@pytest.fixture(scope="module")
def small(detail):
    detail.execute("CREATE TABLE gx_small (id int PRIMARY KEY, num numeric(8,2), b bytea, "
                   "f float8, label text)")
    detail.execute("INSERT INTO gx_small VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * 5),
                   [v for r in SMALL for v in r])
    detail.execute("CREATE TABLE gx_regions (code int PRIMARY KEY, region text) "
                   "DISTRIBUTED GLOBALLY")
    detail.execute("INSERT INTO gx_regions VALUES (0, 'zero'), (1, 'one'), (2, 'two'), "
                   "(3, 'three')")
    return detail


def gathers(node):
    m, _types = metrics(node)
    return {plan: m.get(("cairn_sql_gathers_total", 'plan="%s"' % plan), 0)
            for plan in ("rows", "partial", "joined", "moved")}


def answered_by(cur, node, sql, want_plan):
    """Runs sql, asserting that the coordinator answered it with want_plan; its rows."""
    before = gathers(node)
    got = fetch(cur, sql)
    after = gathers(node)
    diff = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert diff == {want_plan: 1}, "%s: answered by %s" % (sql, diff)
    return got


def test_smaller_side_moved_to_the_larger(sharded, small):
    node = sharded.nodes[0]
    # gx_small joins gx on a column that is no distribution key: its 5 rows move to the
    # replicasets of gx (3000 rows), which aggregate there
    sql = ("SELECT s.label, count(*), sum(g.small) FROM gx g JOIN gx_small s ON s.id = g.grp "
           "GROUP BY s.label ORDER BY 1")
    p = plan(small, sql)
    assert "Or move the other tables' rows to gx on replicasets" in p, p
    rows, cols = answered_by(small, node, sql, "moved")
    assert (rows, cols) == unpushed(small, sql)
    want = {}
    labels = {r[0]: r[4] for r in SMALL}
    for r in DATA:
        if r[1] in labels:
            c, t = want.get(labels[r[1]], (0, None))
            want[labels[r[1]]] = (c + 1, t if r[2] is None else (t or 0) + r[2])
    assert rows == sorted([(k, c, t) for k, (c, t) in want.items()],
                          key=lambda r: (r[0] is None, r[0] or ""))
    # the same with the tables the other way round: the larger one stays where it is
    sql2 = ("SELECT s.label, count(*), sum(g.small) FROM gx_small s JOIN gx g ON g.grp = s.id "
            "GROUP BY s.label ORDER BY 1")
    assert answered_by(small, node, sql2, "moved")[0] == rows


def test_moved_rows_keep_types_and_order(sharded, small):
    node = sharded.nodes[0]
    # rows come back from the replicasets, sorted and limited here; the moved side's numeric
    # sorts as numbers, its bytea and float8 come back exact
    sql = ("SELECT g.id, s.num, s.b, s.f, s.label FROM gx g JOIN gx_small s ON s.id = g.grp "
           "WHERE g.id < 100 ORDER BY s.num DESC NULLS LAST, g.id LIMIT 30")
    rows, cols = answered_by(small, node, sql, "moved")
    assert (rows, cols) == unpushed(small, sql)
    by_id = {r[0]: r for r in SMALL}
    want = [(r[0],) + by_id[r[1]][1:] for r in DATA if r[0] < 100 and r[1] in by_id]
    want.sort(key=lambda r: (r[1] is None, -(r[1] or 0), r[0]))
    assert [(i, n, None if b is None else bytes(b), f, l) for i, n, b, f, l in rows] == want[:30]
    # comparisons with the moved columns follow their types
    sql = ("SELECT count(*) FROM gx g JOIN gx_small s ON s.id = g.grp "
           "WHERE s.num > 9.5 AND s.label <> 'x'")
    rows, _ = answered_by(small, node, sql, "moved")
    keep = {r[0] for r in SMALL if r[1] is not None and r[1] > Decimal("9.5") and r[4]}
    assert rows == [(sum(1 for r in DATA if r[1] in keep),)]


def test_outer_joins_move_only_what_stays_exact(sharded, small):
    node = sharded.nodes[0]
    # gx keeps its unmatched rows: it may stay where it is
    sql = ("SELECT count(*), count(s.id) FROM gx g LEFT JOIN gx_small s ON s.id = g.grp "
           "WHERE g.id <= 700")
    rows, _ = answered_by(small, node, sql, "moved")
    inner = sum(1 for r in DATA if r[0] <= 700 and r[1] in (1, 2, 3, 4, 5))
    assert rows == [(700, inner)]
    # gx on the NULL side would give its unmatched rows from every replicaset: gx_small may
    # not stay (it is the smaller side anyway), so both come here
    sql = ("SELECT s.id, count(g.id) FROM gx_small s LEFT JOIN gx g ON g.grp = s.id + 4 "
           "GROUP BY s.id ORDER BY 1")
    rows, _ = answered_by(small, node, sql, "rows")
    per = Counter(r[1] for r in DATA)
    assert rows == [(s[0], per[s[0] + 4]) for s in SMALL]


def test_global_table_moves_without_counting(sharded, small):
    node = sharded.nodes[0]
    sql = ("SELECT r.region, count(*) FROM gx g JOIN gx_regions r ON r.code = g.grp "
           "GROUP BY r.region ORDER BY 2 DESC, 1")
    p = plan(small, sql)
    assert "as it is the only sharded table" in p, p
    rows, _ = answered_by(small, node, sql, "moved")
    names = {0: "zero", 1: "one", 2: "two", 3: "three"}
    want = Counter(names[r[1]] for r in DATA if r[1] in names)
    assert rows == sorted(want.items(), key=lambda kv: (-kv[1], kv[0]))


def test_larger_side_not_moved_when_both_are_alike(sharded, small):
    # gx and gx_detail are about the same size: moving either to the other's two replicasets
    # would move more than fetching both here
    node = sharded.nodes[0]
    sql = "SELECT count(*) FROM gx g JOIN gx_detail d ON d.seq = g.grp"
    rows, _ = answered_by(small, node, sql, "rows")
    per = Counter(r[1] for r in DATA)
    assert rows == [(sum(per[s] for _i, s, _a in DETAIL),)]


def test_join_where_runs_at_each_source(sharded, small):
    node = sharded.nodes[0]
    # each table's own conjuncts run at its source: gx is cut to 9 rows there, which makes it
    # the smaller side of a join with gx_detail
    sql = ("SELECT g.id, count(*) FROM gx g JOIN gx_detail d ON d.seq = g.grp "
           "WHERE g.id < 10 AND d.amount > 100 AND g.grp + d.id > 0 GROUP BY g.id ORDER BY 1")
    p = plan(small, sql)
    assert re.search(r"Fetch gx from .*WHERE runs there", p), p
    assert re.search(r"Fetch gx_detail from .*WHERE runs there", p), p
    rows, _ = answered_by(small, node, sql, "moved")
    want = {}
    for r in DATA:
        if r[0] < 10:
            n = sum(1 for i, s, a in DETAIL if s == r[1] and a > 100 and r[1] + i > 0)
            if n:
                want[r[0]] = n
    assert rows == sorted(want.items())


def test_join_where_not_run_on_the_null_side(sharded, small):
    # an anti-join: filtering gx_small's rows before the join would turn gx rows whose match
    # was filtered out into unmatched ones, which IS NULL keeps
    sql = ("SELECT count(*) FROM gx g LEFT JOIN gx_small s ON s.id = g.grp "
           "WHERE s.label IS NULL AND g.id <= 100")
    p = plan(small, sql)
    assert not re.search(r"Fetch gx_small from .*WHERE runs there", p), p
    small.execute(sql)
    labelled = {r[0] for r in SMALL if r[4] is not None}
    assert small.fetchone()[0] == sum(1 for r in DATA if r[0] <= 100 and r[1] not in labelled)
    # a table read twice (a self join, a subquery) is fetched whole for both
    sql = ("SELECT count(*) FROM gx a JOIN gx b ON a.grp = b.id WHERE a.id < 20 "
           "AND b.id IN (SELECT grp FROM gx WHERE id > 2990)")
    assert "WHERE runs there" not in plan(small, sql)
    small.execute(sql)
    late = {r[1] for r in DATA if r[0] > 2990}
    ids = {r[0] for r in DATA}
    assert small.fetchone()[0] == sum(1 for r in DATA
                                      if r[0] < 20 and r[1] in late and r[1] in ids)


def test_values_a_cast_would_change_are_not_moved(sharded, small):
    # float8's NaN and infinities are kept as text in a REAL column; a CAST to REAL would
    # change them, so such rows are joined here instead
    node = sharded.nodes[0]
    small.execute("CREATE TABLE gx_nan (id int PRIMARY KEY, f float8)")
    small.execute("INSERT INTO gx_nan VALUES (1, 'NaN'), (2, '-Infinity'), (3, 1.5)")
    sql = ("SELECT g.id, n.f FROM gx g JOIN gx_nan n ON n.id = g.grp WHERE g.id < 30 "
           "ORDER BY 1")
    rows, _ = answered_by(small, node, sql, "rows")
    f = {1: "nan", 2: "-inf", 3: "1.5"}
    assert [(i, str(v)) for i, v in rows] == [(r[0], f[r[1]]) for r in DATA
                                              if r[0] < 30 and r[1] in f]
    small.execute("DELETE FROM gx_nan WHERE id < 3")
    rows, _ = answered_by(small, node, sql, "moved")
    assert rows == [(r[0], 1.5) for r in DATA if r[0] < 30 and r[1] == 3]
