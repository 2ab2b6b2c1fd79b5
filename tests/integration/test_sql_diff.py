"""The differential SQL suite: every tests/sql/*.sql file runs on PostgreSQL 15 (the reference,
a fresh database per file) and on a target, and every difference in columns, rows, row order,
command status or SQLSTATE fails the file's test with file:line, the SQL and both answers.

Targets: `postgres` (a second database of the same server, shared by all files as Cairn's is: it
proves the corpus and the runner), `cairn-1node` and `cairn-sharded` (6 nodes, replication factor
3: two replicasets), which skip until `cairn run --help` offers --pg. TARGET=postgres|cairn picks
one kind. The harness's own tests (deliberately wrong answers must be caught) come last. See
tests/sql/README.md.
"""
import glob
import json
import os
import re
import subprocess
import sys
import time

import pytest

from conftest import CAIRN, ROOT, Cluster, free_port
from helpers import wait_balanced, wait_for

sys.path.insert(0, os.path.join(ROOT, "tests", "sql"))
import difftest  # noqa: E402

SQL_DIR = os.path.join(ROOT, "tests", "sql")
SQL_FILES = sorted(glob.glob(os.path.join(SQL_DIR, "*.sql")))
# Cairn's PostgreSQL front end: the user and database names a client sends at startup.
CAIRN_PG_USER = "cairn"
CAIRN_PG_DB = "cairn"
SHARDED_BUCKETS = 300
# DIFFTEST_TYPES=0 leaves column type OIDs out of the comparison (to see value differences first).
COMPARE_TYPES = os.environ.get("DIFFTEST_TYPES", "1") != "0"

# Every SQLSTATE the corpus must exercise with `-- error` (test_corpus_parses_and_covers_sqlstates).
REQUIRED_SQLSTATES = {"42601", "42P01", "42703", "42883", "23505", "23502", "23514", "22012",
                      "22003", "22P02", "22001", "25P02"}


def _rel(path):
    return os.path.relpath(path, ROOT)


def cairn_pg_missing():
    """Why the Cairn targets cannot run (checked at collection), or None."""
    if not os.access(CAIRN, os.X_OK):
        return "no cairn binary at %s (build it, or set CAIRN_BIN)" % CAIRN
    try:
        r = subprocess.run([CAIRN, "run", "--help"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "`cairn run --help` failed: %s" % e
    text = (r.stdout + r.stderr).decode("utf-8", "replace")
    if not re.search(r"--pg\b", text):
        return ("`cairn run --help` does not mention --pg: Cairn's PostgreSQL front end is "
                "not in this build yet")
    return None


# TARGET=postgres or TARGET=cairn runs only those targets (default: all that can run).
TARGET = os.environ.get("TARGET", "all")
if TARGET not in ("all", "postgres", "cairn"):
    raise ValueError("TARGET must be postgres, cairn or all, not %r" % TARGET)
CAIRN_MISSING = cairn_pg_missing() if TARGET != "postgres" else "TARGET=postgres"
needs_cairn = pytest.mark.skipif(CAIRN_MISSING is not None, reason=CAIRN_MISSING or "")
only_postgres = pytest.mark.skipif(TARGET == "cairn", reason="TARGET=cairn")


class Summary:
    """Per-target totals and every deliberate deviation, printed when the module ends (with
    pytest's capture suspended, so a passing run still lists the reasons)."""

    def __init__(self):
        self.results = []

    def add(self, res):
        self.results.append(res)

    def lines(self):
        out = []
        targets = []
        for r in self.results:
            if r.target not in targets:
                targets.append(r.target)
        for t in targets:
            rs = [r for r in self.results if r.target == t]
            out.append("sql-diff %s: %d files, %d statements compared, %d mismatches, "
                       "%d deviations" % (t, len(rs), sum(r.compared for r in rs),
                                          sum(len(r.mismatches) for r in rs),
                                          sum(len(r.deviations) for r in rs)))
            for r in rs:
                for st, reason, differs in r.deviations:
                    out.append("  %s: deviation%s: %s" % (
                        _rel(st.where), "" if differs else " (answers now EQUAL)", reason))
        return out


@pytest.fixture(scope="module")
def summary(request):
    s = Summary()
    yield s
    lines = s.lines()
    if not lines:
        return
    capman = request.config.pluginmanager.getplugin("capturemanager")
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    if capman is None or tr is None:
        print("\n".join(lines))
        return
    with capman.global_and_fixture_disabled():
        tr.write_line("")
        for line in lines:
            tr.write_line(line)


@pytest.fixture(scope="session")
def reference(pg_server):
    return difftest.Reference(difftest.FreshDatabaseTarget(pg_server, "ref"))


# Cairn does not yet answer every statement of the corpus as PostgreSQL does. BASELINE holds,
# per target and file, how many statements still differ: a file may not get worse (a regression
# fails), and when it gets better the test says to lower the number. DIFFTEST_STRICT=1 demands
# zero differences; DIFFTEST_WRITE_BASELINE=1 records the current counts.
BASELINE_PATH = os.path.join(SQL_DIR, "cairn_baseline.json")
STRICT = os.environ.get("DIFFTEST_STRICT") == "1"
WRITE_BASELINE = os.environ.get("DIFFTEST_WRITE_BASELINE") == "1"


def _baseline():
    try:
        with open(BASELINE_PATH) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _record_baseline(target, name, count):
    data = _baseline()
    data.setdefault(target, {})[name] = count
    with open(BASELINE_PATH, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


def _check(path, reference, target, summary):
    res = difftest.run_file(path, reference, target, index=SQL_FILES.index(path),
                            compare_types=COMPARE_TYPES)
    summary.add(res)
    name = os.path.basename(path)
    allowed = None if STRICT else _baseline().get(target.name, {}).get(name)
    if WRITE_BASELINE and target.name.startswith("cairn"):
        _record_baseline(target.name, name, len(res.mismatches))
        allowed = len(res.mismatches)
    report = "%s on %s: %d mismatches, %d corpus errors\n%s" % (
        _rel(path), target.name, len(res.mismatches), len(res.corpus_errors), res.report())
    if allowed is None:
        assert res.ok, report
        return
    assert not res.corpus_errors, report
    # On several replicasets a few answers depend on timing (a statement retried across a
    # schema change, the order rows are gathered in): a little slack there, none on one node.
    if "sharded" in target.name:
        allowed += max(3, allowed // 10)
    assert len(res.mismatches) <= allowed, (
        "regression: %d statements differ from PostgreSQL, the baseline allows %d\n%s" % (
            len(res.mismatches), allowed, report))
    if len(res.mismatches) < allowed:
        print("%s on %s: %d differences, baseline %d: lower it in %s" % (
            name, target.name, len(res.mismatches), allowed, _rel(BASELINE_PATH)))


# ------------------------------------------------------------------ corpus

def test_corpus_parses_and_covers_sqlstates():
    assert SQL_FILES, "no .sql files in %s" % SQL_DIR
    seen = set()
    total = 0
    for p in SQL_FILES:
        sts = difftest.parse_file(p)
        assert sts, "%s has no statements" % p
        total += len(sts)
        seen |= {s.error for s in sts if s.error}
    assert not REQUIRED_SQLSTATES - seen, "no `-- error` for %s" % sorted(REQUIRED_SQLSTATES - seen)
    assert total >= 500, "only %d statements in the corpus" % total


# ------------------------------------------------------------------ target: PostgreSQL

@pytest.fixture(scope="module")
def pg_target(pg_server):
    pg_server.create_database("target")
    yield difftest.SharedDatabaseTarget("postgres", [lambda: pg_server.connect("target")])
    pg_server.drop_database("target")


@only_postgres
@pytest.mark.parametrize("path", SQL_FILES, ids=[os.path.basename(p) for p in SQL_FILES])
def test_postgres(path, reference, pg_target, summary):
    _check(path, reference, pg_target, summary)


# ------------------------------------------------------------------ targets: Cairn

def _pg_connect(port):
    import psycopg2
    return lambda: psycopg2.connect(host="127.0.0.1", port=port, user=CAIRN_PG_USER,
                                    dbname=CAIRN_PG_DB, connect_timeout=10)


def _wait_pg(node):
    import psycopg2

    def up():
        try:
            _pg_connect(node.pg_port)().close()
            return True
        except psycopg2.OperationalError:
            return False
    wait_for(up, 30, "%s to accept PostgreSQL connections on %d" % (node.name, node.pg_port))


def _start_cairn(workdir, count, rf):
    """A cluster whose every node also listens for PostgreSQL clients (node.pg_port): the first
    rf nodes form replicaset 1, then the rest join and the buckets rebalance."""
    c = Cluster(workdir)
    try:
        for i in range(count):
            port = free_port()
            extra = ["--pg", "127.0.0.1:%d" % port]
            if i == 0:
                extra += ["--replication-factor", str(rf), "--bucket-count", str(SHARDED_BUCKETS)]
            node = c.add(extra=extra)
            node.pg_port = port
            node.start().wait_up()
            if i == rf - 1:
                c.wait_voters(min(rf, 5) if rf != 4 else 3)
                c.wait_kv_ready()
                c.wait_replicaset_formed(rf)
        if count > rf:
            wait_balanced(c, count // rf, 0.03 * SHARDED_BUCKETS, 90,
                          "%d replicasets sharing the buckets" % (count // rf))
        for n in c.nodes:
            _wait_pg(n)
    except BaseException:
        for n in c.nodes:
            print("---- %s log ----\n%s" % (n.name, n.log_tail(80)))
        c.stop_all()
        raise
    return c


def _cairn_fixture(tmp_path_factory, name, count, rf):
    c = _start_cairn(str(tmp_path_factory.mktemp(name)), count, rf)
    t = difftest.SharedDatabaseTarget(name, [_pg_connect(n.pg_port) for n in c.nodes],
                                      cairn=True, sharded=count > rf)
    return c, t


def _stop_cairn(c):
    if any(not n.alive() for n in c.nodes):
        for n in c.nodes:
            print("---- %s log ----\n%s" % (n.name, n.log_tail(80)))
    c.stop_all()
    c.check_sanitizers()


@pytest.fixture(scope="module")
def cairn_single(tmp_path_factory):
    c, t = _cairn_fixture(tmp_path_factory, "cairn-1node", 1, 1)
    yield t
    _stop_cairn(c)


@pytest.fixture(scope="module")
def cairn_sharded(tmp_path_factory):
    c, t = _cairn_fixture(tmp_path_factory, "cairn-sharded", 6, 3)
    yield t
    _stop_cairn(c)


@needs_cairn
@pytest.mark.parametrize("path", SQL_FILES, ids=[os.path.basename(p) for p in SQL_FILES])
def test_cairn_1node(path, reference, cairn_single, summary):
    _check(path, reference, cairn_single, summary)


@needs_cairn
@pytest.mark.parametrize("path", SQL_FILES, ids=[os.path.basename(p) for p in SQL_FILES])
def test_cairn_sharded(path, reference, cairn_sharded, summary):
    _check(path, reference, cairn_sharded, summary)


# ------------------------------------------------------------------ the harness can fail

def test_directives_and_splitting():
    sts = difftest.parse_sql(
        "-- prose\n"
        "CREATE TABLE t (a int, b text); -- cairn: DISTRIBUTED BY (a)\n"
        "-- error 23505\n"
        "INSERT INTO t VALUES (1, 'x;y'), (2, E'it\\'s;'), (3, $$;$$), (4, $q$ $$ ; $q$);\n"
        "SELECT a, \"b;\" FROM t /* ; /* nested ; */ */ ORDER BY a;\n"
        "-- unordered\n"
        "SELECT a FROM t ORDER BY b;\n"
        "SELECT * FROM (SELECT a FROM t ORDER BY a) s;\n"
        "SELECT string_agg(b, ',' ORDER BY a), count(*) OVER (ORDER BY a) FROM t\n"
        "  -- cairn-differs: a reason\n"
        ";\n;\n"
        "-- session other\n"
        "SELECT 1 UNION SELECT 2 ORDER BY 1; -- cairn-sharded-differs: another\n", "x.sql")
    got = [(s.line, s.error, s.ordered, s.cairn_suffix, s.cairn_differs, s.sharded_differs,
            s.session) for s in sts]
    assert got == [
        (2, None, False, ["DISTRIBUTED BY (a)"], None, None, "main"),
        (4, "23505", False, [], None, None, "main"),
        (5, None, True, [], None, None, "main"),
        (7, None, False, [], None, None, "main"),
        (8, None, False, [], None, None, "main"),
        (9, None, False, [], "a reason", None, "main"),
        (14, None, True, [], None, "another", "other"),
    ], got
    assert sts[1].sql.endswith("$q$ $$ ; $q$)")
    assert sts[5].sql.endswith("FROM t"), "a trailing comment must not be sent"
    assert difftest.tables_created(sts) == ["t"]
    for bad in ["SELECT 1", "SELECT 'a;", "SELECT 1; -- error 2350", "-- error handling\nSELECT 1;",
                "SELECT 1;\n-- unordered\n", "-- cairn-foo: x\nSELECT 1;", "/* x\nSELECT 1;"]:
        with pytest.raises(difftest.CorpusError):
            difftest.parse_sql(bad, "bad.sql")


def test_values_come_back_as_the_servers_text(pg_server):
    conn = difftest.raw_text(pg_server.connect())
    try:
        o = difftest.execute(conn, "SELECT 1::int8, 1.50::numeric, 1e20::float8, 0.1::real, true, "
                             "'\\x0a1b'::bytea, DATE '2024-01-02', "
                             "TIMESTAMP '2024-01-02 03:04:05.5', interval '26 hours', "
                             "ARRAY[1, 2], '{\"a\" : 1}'::json, 'x'::char(3), '', NULL, "
                             "'😀'::text")
        assert o.sqlstate is None, o.summary()
        assert o.rows == [("1", "1.50", "1e+20", "0.1", "t", "\\x0a1b", "2024-01-02",
                           "2024-01-02 03:04:05.5", "26:00:00", "{1,2}", '{"a" : 1}', "x  ", "",
                           None, "😀")], o.rows
        assert o.status == "SELECT 1"
        assert [t for _, t in o.columns] == [20, 1700, 701, 700, 16, 17, 1082, 1114, 1186, 1007,
                                             114, 1042, 25, 25, 25]
        o = difftest.execute(conn, "SELECT 1 AS a, 2 AS a")
        assert [n for n, _ in o.columns] == ["a", "a"]
    finally:
        conn.close()


FALSIFY = """\
CREATE TABLE s (id int PRIMARY KEY, v text);
INSERT INTO s VALUES (1, 'a'), (2, 'b'), (3, NULL);
SELECT id, v FROM s ORDER BY id;
SELECT v FROM s;
SELECT id FROM s WHERE id = 1;
SELECT 1 AS x;
SELECT 1::int AS x;
UPDATE s SET v = v WHERE id < 3;
SELECT 1/0; -- error 22012
SELECT 1/1; -- error 22012
SELECT ''::text AS e;
SELECT 7 AS dev; -- cairn-differs: known deviation
SELECT 8 AS same; -- cairn-differs: fixed since
SELECT 9 AS suffixed -- cairn: WHERE false
;
SELECT count(*) AS n FROM s;
"""

# The target's lie for each line of FALSIFY, and what the runner must call it.
LIES = {
    3: ("ORDER BY id", "ORDER BY id DESC", "row order"),
    4: ("FROM s", "FROM s ORDER BY id DESC", None),        # unordered: still equal
    5: ("id = 1", "id = 2", "rows"),
    6: ("AS x", "AS y", "column names"),
    7: ("1::int", "1::bigint", "column types"),
    8: ("id < 3", "id < 2", "command status"),
    9: ("1/0", "1/1", "SQLSTATE"),
    11: ("''::text", "NULL::text", "rows"),
    12: ("7 AS", "70 AS", None),                           # deviation: not compared
}


def _lie(st, sql):
    lie = LIES.get(st.line)
    if lie:
        assert lie[0] in sql, (st.line, sql)
        sql = sql.replace(lie[0], lie[1])
    return sql


def test_wrong_answers_are_caught(pg_server, tmp_path):
    path = str(tmp_path / "falsify.sql")
    with open(path, "w") as f:
        f.write(FALSIFY)
    ref = difftest.Reference(difftest.FreshDatabaseTarget(pg_server, "ref_falsify"))
    pg_server.create_database("falsify_target")
    try:
        liar = difftest.SharedDatabaseTarget("liar", [lambda: pg_server.connect("falsify_target")],
                                             cairn=True)
        res = difftest.run_file(path, ref, liar, rewrite=_lie)
        kinds = {m.stmt.line: m.kind for m in res.mismatches}
        want = {line: k for line, (_, _, k) in LIES.items() if k}
        want[14] = "command status; rows"  # the `-- cairn:` suffix reached the Cairn-flavoured target
        assert kinds == want, res.report()
        assert [m.stmt.line for m in res.corpus_errors] == [10], res.report()
        assert [(st.line, differs) for st, _, differs in res.deviations] == [(12, True), (13, False)]
        text = res.report()
        assert "falsify.sql:5: rows" in text and "SELECT id FROM s WHERE id = 1" in text, text
        assert "known deviation" in text and "now EQUAL" in text, text
        assert not res.ok

        # The same file told the truth: only the corpus error remains, and on a target that is
        # not Cairn the `-- cairn` directives do nothing.
        honest = difftest.SharedDatabaseTarget("honest",
                                               [lambda: pg_server.connect("falsify_target")])
        res = difftest.run_file(path, ref, honest)
        assert not res.mismatches and not res.deviations, res.report()
        assert [m.stmt.line for m in res.corpus_errors] == [10]
    finally:
        pg_server.drop_database("falsify_target")


def test_a_hung_statement_times_out(pg_server, tmp_path):
    path = str(tmp_path / "slow.sql")
    with open(path, "w") as f:
        f.write("SELECT 1 AS a;\nSELECT pg_sleep(2) IS NULL AS slept;\nSELECT 2 AS b;\n")
    ref = difftest.Reference(difftest.FreshDatabaseTarget(pg_server, "ref_slow"))
    pg_server.create_database("slow_target")
    try:
        t = difftest.SharedDatabaseTarget("slow", [lambda: pg_server.connect("slow_target")])
        t0 = time.time()
        res = difftest.run_file(path, ref, t, timeout_s=0.5)
        assert time.time() - t0 < 10
        kinds = [(m.stmt.line, m.kind) for m in res.mismatches]
        assert kinds == [(2, "target broke"), (3, "not run")], res.report()
        assert "statement timeout" in res.report()

        # A server that accepts connections and never answers: the connect times out too.
        import socket
        import psycopg2
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(4)
            port = silent.getsockname()[1]
            mute = difftest.SharedDatabaseTarget("mute", [lambda: psycopg2.connect(
                host="127.0.0.1", port=port, user="x", dbname="x", connect_timeout=60)])
            t0 = time.time()
            res = difftest.run_file(path, ref, mute, timeout_s=0.5)
            assert time.time() - t0 < 10
            kinds = [(m.stmt.line, m.kind) for m in res.mismatches]
            assert kinds == [(1, "target broke"), (2, "not run"), (3, "not run")], res.report()
            assert "cannot connect" in res.report()
    finally:
        pg_server.drop_database("slow_target")
