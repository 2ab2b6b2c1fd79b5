"""Cairn's PostgreSQL front end driven by the clients people have: psql, psycopg2 and pgbench,
unmodified, against real `cairn` processes on loopback. What they check: the SQLSTATE of every
error class the issue names, that a session survives its errors, transactions (commit,
rollback, 40001 on a conflict, 0A000 across replicasets), COPY both ways, the pg_catalog
queries of psql's \\d family and pgbench's start-up, queries gathered from several
replicasets, and that killing a node under a write load loses no acknowledged row."""
import io
import os
import re
import subprocess
import threading
import time

from datetime import date, timedelta
from decimal import Decimal

import psycopg2
import psycopg2.errors
import pytest

from conftest import Cluster
from helpers import group_leader, metrics, wait_balanced, wait_for

USER = "cairn"
DB = "cairn"


def connect(node, autocommit=True):
    c = psycopg2.connect(host="127.0.0.1", port=node.pg_port, user=USER, dbname=DB,
                         connect_timeout=10)
    c.autocommit = autocommit
    return c


def wait_pg(node, timeout=30):
    def up():
        try:
            connect(node).close()
            return True
        except psycopg2.OperationalError:
            return False
    wait_for(up, timeout, "%s to accept PostgreSQL connections" % node.name)


def psql(node, *args, input=None, check=True):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10", PAGER="cat")
    r = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.pg_port), "-U", USER,
                        "-d", DB, "-v", "ON_ERROR_STOP=1"] + list(args),
                       input=input, capture_output=True, text=True, timeout=60, env=env)
    if check:
        assert r.returncode == 0, "psql %s failed (%d):\n%s%s" % (args, r.returncode, r.stdout,
                                                                 r.stderr)
    return r


def block_on(node, *setup):
    """A connection in transaction-block mode and its cursor, after the setup statements are
    committed."""
    conn = connect(node, autocommit=False)
    cur = conn.cursor()
    for sql in setup:
        cur.execute(sql)
    conn.commit()
    return conn, cur


def sqlstate_of(conn, sql, params=None):
    """Runs sql expecting an error; returns its SQLSTATE (the connection stays usable)."""
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql, params)
    return e.value.pgcode


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("pg1")))
    c.start(1)
    n = c.nodes[0]
    wait_pg(n)
    yield n
    if not n.alive():
        print("---- %s log ----\n%s" % (n.name, n.log_tail(80)))
    c.stop_all()
    c.check_sanitizers()


# ---- psql ----

def test_psql_create_insert_select(node):
    psql(node, "-c", "CREATE TABLE ps_items (id integer PRIMARY KEY, name varchar(20) NOT NULL, "
                     "price numeric(10,2), added date DEFAULT '2024-01-01')")
    psql(node, "-c", "INSERT INTO ps_items (id, name, price) VALUES (1, 'apple', 1.10), "
                     "(2, 'pear', 2.5), (3, 'plum', NULL)")
    r = psql(node, "-At", "-F", "|", "-c", "SELECT id, name, price, added FROM ps_items ORDER BY id")
    assert r.stdout.splitlines() == ["1|apple|1.10|2024-01-01", "2|pear|2.50|2024-01-01",
                                     "3|plum||2024-01-01"]


def test_psql_describe(node):
    psql(node, "-c", "CREATE TABLE ps_desc (k bigint PRIMARY KEY, v text, f boolean)")
    r = psql(node, "-c", r"\dt")
    assert "ps_desc" in r.stdout and "table" in r.stdout, r.stdout
    r = psql(node, "-c", r"\d ps_desc")
    out = r.stdout
    assert 'Table "public.ps_desc"' in out, out
    assert "bigint" in out and "text" in out and "boolean" in out, out
    assert "ps_desc_pkey" in out and "PRIMARY KEY" in out, out
    r = psql(node, "-c", r"\d")
    assert "ps_desc" in r.stdout, r.stdout
    r = psql(node, "-c", r"\l")
    assert "cairn" in r.stdout, r.stdout



def test_psql_describe_lists_indexes(node):
    """\\d TABLE lists the CREATE INDEXes with their columns, also after a column before them
    was dropped, and not once dropped."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE ps_ix (id int PRIMARY KEY, gone int, a text, b int, c int)")
    cur.execute("CREATE INDEX ps_ix_ab ON ps_ix (a, b)")
    cur.execute("CREATE UNIQUE INDEX ps_ix_c ON ps_ix (c)")
    cur.execute("CREATE INDEX ps_ix_expr ON ps_ix ((b + 1))")
    cur.execute("ALTER TABLE ps_ix DROP COLUMN gone")
    out = psql(node, "-c", r"\d ps_ix").stdout
    assert '"ps_ix_pkey" PRIMARY KEY, btree (id)' in out, out
    assert '"ps_ix_ab" btree (a, b)' in out, out
    assert '"ps_ix_c" UNIQUE, btree (c)' in out, out
    assert '"ps_ix_expr" btree ((b + 1))' in out, out
    cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'ps_ix' ORDER BY 1")
    assert [r[0] for r in cur.fetchall()] == ["ps_ix_ab", "ps_ix_c", "ps_ix_expr", "ps_ix_pkey"]
    cur.execute("DROP INDEX ps_ix_ab")
    out = psql(node, "-c", r"\d ps_ix").stdout
    assert "ps_ix_ab" not in out and '"ps_ix_c" UNIQUE, btree (c)' in out, out
    cur.execute("DROP TABLE ps_ix")
    # UNIQUE constraints, under the names PostgreSQL gives them; their index stays theirs.
    cur.execute("CREATE TABLE ps_uq (id int PRIMARY KEY, v text UNIQUE, a int, b int, w int, "
                "UNIQUE (a, b), CONSTRAINT ps_uq_named UNIQUE (w))")
    cur.execute("ALTER TABLE ps_uq ADD COLUMN z int")
    cur.execute("ALTER TABLE ps_uq ADD UNIQUE (z)")
    out = psql(node, "-c", r"\d ps_uq").stdout
    for line in ['"ps_uq_v_key" UNIQUE CONSTRAINT, btree (v)',
                 '"ps_uq_a_b_key" UNIQUE CONSTRAINT, btree (a, b)',
                 '"ps_uq_named" UNIQUE CONSTRAINT, btree (w)',
                 '"ps_uq_z_key" UNIQUE CONSTRAINT, btree (z)']:
        assert line in out, out
    with pytest.raises(psycopg2.errors.DependentObjectsStillExist):
        cur.execute("DROP INDEX ps_uq_v_key")
    with pytest.raises(psycopg2.errors.DuplicateTable):
        cur.execute("CREATE INDEX ps_uq_a_b_key ON ps_uq (a)")
    cur.execute("INSERT INTO ps_uq VALUES (1, 'x', 1, 1, 1, 1)")
    with pytest.raises(psycopg2.errors.UniqueViolation):
        cur.execute("INSERT INTO ps_uq VALUES (2, 'y', 2, 2, 2, 1)")
    cur.execute("DROP TABLE ps_uq")

def test_psql_describe_shows_defaults_checks_and_index_expressions(node):
    """\\d TABLE shows DEFAULTs, CHECK constraints (named as PostgreSQL names them) and indexes
    of expressions, descending or partial, in PostgreSQL's words; a renamed column is renamed
    in them too."""
    psql(node, "-c", "CREATE TABLE ps_ck (id int PRIMARY KEY, name text DEFAULT 'x', "
         "price numeric(10,2) CHECK (price > 0), qty int NOT NULL DEFAULT 1, "
         "added timestamp DEFAULT now(), "
         "CONSTRAINT qty_ok CHECK (qty < 100), CHECK (price < qty * 10))")
    psql(node, "-c", "CREATE INDEX ps_ck_lower ON ps_ck (lower(name))",
         "-c", "CREATE INDEX ps_ck_desc ON ps_ck (qty DESC, price NULLS FIRST)",
         "-c", "CREATE INDEX ps_ck_part ON ps_ck (qty) WHERE price > 5")
    out = psql(node, "-c", r"\d ps_ck").stdout
    for want in [" name   | text                        |           |          | 'x'::text",
                 " qty    | integer                     |           | not null | 1",
                 " added  | timestamp without time zone |           |          | now()",
                 '"ps_ck_check" CHECK (price < qty * 10)',
                 '"ps_ck_price_check" CHECK (price > 0)',
                 '"qty_ok" CHECK (qty < 100)',
                 '"ps_ck_lower" btree (lower(name))',
                 '"ps_ck_desc" btree (qty DESC, price NULLS FIRST)',
                 '"ps_ck_part" btree (qty) WHERE price > 5']:
        assert want in out, out
    psql(node, "-c", "ALTER TABLE ps_ck RENAME COLUMN qty TO quantity",
         "-c", "ALTER TABLE ps_ck ADD COLUMN w int DEFAULT 3 CHECK (w <> 4)")
    out = psql(node, "-c", r"\d ps_ck").stdout
    for want in ['"ps_ck_check" CHECK (price < quantity * 10)',
                 '"qty_ok" CHECK (quantity < 100)',
                 '"ps_ck_w_check" CHECK (w <> 4)',
                 " w        | integer                     |           |          | 3",
                 '"ps_ck_desc" btree (quantity DESC, price NULLS FIRST)',
                 '"ps_ck_part" btree (quantity) WHERE price > 5']:
        assert want in out, out
    # the same through information_schema and pg_constraint
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("SELECT column_name, column_default FROM information_schema.columns "
                "WHERE table_name = 'ps_ck' AND column_default IS NOT NULL ORDER BY 1")
    assert cur.fetchall() == [("added", "now()"), ("name", "'x'::text"), ("quantity", "1"),
                              ("w", "3")]
    cur.execute("SELECT conname, pg_get_constraintdef(oid, true) FROM pg_constraint "
                "WHERE conrelid = 'ps_ck'::regclass AND contype = 'c' ORDER BY 1")
    assert cur.fetchall() == [("ps_ck_check", "CHECK (price < quantity * 10)"),
                              ("ps_ck_price_check", "CHECK (price > 0)"),
                              ("ps_ck_w_check", "CHECK (w <> 4)"),
                              ("qty_ok", "CHECK (quantity < 100)")]
    # a name written twice is refused, as PostgreSQL does
    with pytest.raises(psycopg2.errors.DuplicateObject):
        cur.execute("CREATE TABLE ps_ck2 (a int, CONSTRAINT c1 CHECK (a > 0), "
                    "CONSTRAINT c1 CHECK (a < 9))")
    cur.execute("DROP TABLE ps_ck")
    conn.close()


def test_constraint_errors_name_the_constraint(node):
    """A broken constraint is reported in PostgreSQL's words, with the table, column and
    constraint in the error's fields (psycopg2's e.diag), whichever constraint it is."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE ps_ce (id int PRIMARY KEY, e text UNIQUE, n int NOT NULL, "
                "m int CHECK (m > 0))")
    cur.execute("INSERT INTO ps_ce VALUES (1, 'a', 1, 1)")

    def failure(sql):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        return e.value

    e = failure("INSERT INTO ps_ce VALUES (1, 'b', 1, 1)")
    assert e.pgcode == "23505" and e.diag.constraint_name == "ps_ce_pkey"
    assert e.diag.message_primary == 'duplicate key value violates unique constraint "ps_ce_pkey"'
    assert e.diag.table_name == "ps_ce" and e.diag.schema_name == "public"
    e = failure("INSERT INTO ps_ce VALUES (2, 'a', 1, 1)")
    assert e.pgcode == "23505" and e.diag.constraint_name == "ps_ce_e_key"
    cur.execute("CREATE UNIQUE INDEX ps_ce_lower ON ps_ce (lower(e))")
    e = failure("INSERT INTO ps_ce VALUES (2, 'A', 1, 1)")
    assert e.pgcode == "23505" and e.diag.constraint_name == "ps_ce_lower"
    e = failure("INSERT INTO ps_ce VALUES (2, 'b', NULL, 1)")
    assert e.pgcode == "23502" and e.diag.column_name == "n" and e.diag.table_name == "ps_ce"
    assert e.diag.message_primary == \
        'null value in column "n" of relation "ps_ce" violates not-null constraint'
    e = failure("UPDATE ps_ce SET m = 0")
    assert e.pgcode == "23514" and e.diag.constraint_name == "ps_ce_m_check"
    assert e.diag.message_primary == \
        'new row for relation "ps_ce" violates check constraint "ps_ce_m_check"'
    cur.execute("SELECT * FROM ps_ce")
    assert cur.fetchall() == [(1, "a", 1, 1)]
    cur.execute("DROP TABLE ps_ce")
    conn.close()


def test_constraints_added_and_dropped_by_alter_table(node):
    """ALTER COLUMN SET / DROP NOT NULL, ADD CONSTRAINT ... CHECK and DROP CONSTRAINT, as
    migrations send them: the rows there are asked first, later writes are held to the new
    constraint, with PostgreSQL's words and names in the error's fields; COPY's rows too; and
    a constraint made with the table cannot be dropped, with a hint why."""
    conn = connect(node)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE ps_alt_con (id int PRIMARY KEY, qty int, note text NOT NULL)")
    cur.execute("INSERT INTO ps_alt_con VALUES (1, 5, 'a'), (2, NULL, 'b')")

    def failure(sql, *args):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql, *args)
        return e.value

    e = failure("ALTER TABLE ps_alt_con ALTER COLUMN qty SET NOT NULL")
    assert e.pgcode == "23502"
    assert e.diag.message_primary == 'column "qty" of relation "ps_alt_con" contains null values'
    cur.execute("UPDATE ps_alt_con SET qty = 0 WHERE id = 2")
    e = failure("ALTER TABLE ps_alt_con ADD CONSTRAINT qty_positive CHECK (qty > 0)")
    assert e.pgcode == "23514" and e.diag.constraint_name == "qty_positive"
    assert e.diag.message_primary == \
        'check constraint "qty_positive" of relation "ps_alt_con" is violated by some row'
    cur.execute("UPDATE ps_alt_con SET qty = 1 WHERE id = 2")
    cur.execute("ALTER TABLE ps_alt_con ALTER COLUMN qty SET NOT NULL, "
                "ADD CONSTRAINT qty_positive CHECK (qty > 0)")

    e = failure("INSERT INTO ps_alt_con VALUES (3, NULL, 'c')")
    assert e.pgcode == "23502" and e.diag.column_name == "qty"
    assert e.diag.table_name == "ps_alt_con"
    e = failure("UPDATE ps_alt_con SET qty = -1 WHERE id = 1")
    assert e.pgcode == "23514" and e.diag.constraint_name == "qty_positive"
    assert e.diag.table_name == "ps_alt_con"
    with pytest.raises(psycopg2.Error) as ei:
        cur.copy_expert("COPY ps_alt_con FROM STDIN", io.StringIO("4\t-4\td\n"))
    assert ei.value.pgcode == "23514"
    cur.execute("SELECT conname::text FROM pg_constraint "
                "WHERE conrelid = 'ps_alt_con'::regclass AND contype = 'c'")
    assert cur.fetchall() == [("qty_positive",)]

    cur.execute("ALTER TABLE ps_alt_con DROP CONSTRAINT qty_positive")
    cur.execute("ALTER TABLE ps_alt_con ALTER COLUMN qty DROP NOT NULL")
    cur.copy_expert("COPY ps_alt_con FROM STDIN", io.StringIO("4\t-4\td\n5\t\\N\te\n"))
    cur.execute("SELECT id, qty FROM ps_alt_con ORDER BY id")
    assert cur.fetchall() == [(1, 5), (2, 1), (4, -4), (5, None)]
    e = failure("ALTER TABLE ps_alt_con ALTER COLUMN note DROP NOT NULL")
    assert e.pgcode == "0A000" and "ALTER TABLE" in e.diag.message_hint
    e = failure("ALTER TABLE ps_alt_con DROP CONSTRAINT qty_positive")
    assert e.pgcode == "42704"
    e = failure("ALTER TABLE ps_alt_con ADD CHECK (1 > 0)")  # a row check needs a column
    assert e.pgcode == "0A000" and "must name a column" in e.diag.message_primary
    cur.execute("CREATE TABLE ps_alt_con2 (id int PRIMARY KEY, v int CHECK (v > 0) UNIQUE)")
    for name in ("ps_alt_con2_v_check", "ps_alt_con2_v_key"):
        e = failure(f"ALTER TABLE ps_alt_con2 DROP CONSTRAINT {name}")
        assert e.pgcode == "0A000" and "made with the table" in e.diag.message_primary
    e = failure("INSERT INTO ps_alt_con2 VALUES (1, 0)")  # still enforced
    assert e.pgcode == "23514"
    cur.execute("DROP TABLE ps_alt_con, ps_alt_con2")
    conn.close()


def test_alter_column_default_holds_for_copy(node):
    """ALTER COLUMN SET / DROP DEFAULT (as Django's migrations send after ADD COLUMN ... DEFAULT)
    changes what a row left without the column gets, COPY's rows too, and what \\d shows."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE ps_dd (id int PRIMARY KEY, a int DEFAULT 1)")
    cur.execute("ALTER TABLE ps_dd ADD COLUMN b int DEFAULT 0 NOT NULL")
    cur.execute("ALTER TABLE ps_dd ALTER COLUMN b DROP DEFAULT")
    cur.execute("ALTER TABLE ps_dd ALTER COLUMN a SET DEFAULT 5")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        cur.execute("INSERT INTO ps_dd (id) VALUES (1)")
    cur.copy_expert("COPY ps_dd (id, b) FROM STDIN", io.StringIO("1\t10\n2\t20\n"))
    cur.execute("SELECT id, a, b FROM ps_dd ORDER BY id")
    assert cur.fetchall() == [(1, 5, 10), (2, 5, 20)]
    out = psql(node, "-c", r"\d ps_dd").stdout
    assert " a      | integer |           |          | 5" in out, out
    assert " b      | integer |           | not null | " in out, out
    cur.execute("DROP TABLE ps_dd")
    conn.close()


def test_psql_error_keeps_session(node):
    # Without ON_ERROR_STOP psql goes on after the error, in the same session.
    r = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.pg_port), "-U", USER,
                        "-d", DB, "-At", "-c", "SELEC 1", "-c", "SELECT 40 + 2"],
                       capture_output=True, text=True, timeout=60)
    assert 'syntax error at or near "SELEC"' in r.stderr, r.stderr
    assert r.stdout.strip() == "42", r.stdout


# ---- psycopg2 ----

def test_psycopg2_params_and_types(node):
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE py_types (id int PRIMARY KEY, i8 bigint, f float8, n numeric(20,5),"
                " t text, b boolean, d date, ts timestamp, j json, raw bytea)")
    big = 2 ** 63 - 1
    cur.execute("INSERT INTO py_types VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (1, big, 0.1, "12345678901234.12345", "héllo ✓", True, "2024-02-29",
                 "2024-02-29 13:14:15.5", '{"a": [1, 2]}', psycopg2.Binary(b"\x00\x01\xff")))
    cur.execute("INSERT INTO py_types (id, t) VALUES (%s, %s)", (2, ""))
    cur.execute("INSERT INTO py_types (id) VALUES (3)")
    cur.execute("SELECT i8, f, n, t, b, d, ts, j, raw FROM py_types WHERE id = %s", (1,))
    row = cur.fetchone()
    assert row[0] == big
    assert row[1] == 0.1
    assert str(row[2]) == "12345678901234.12345"
    assert row[3] == "héllo ✓"
    assert row[4] is True
    assert str(row[5]) == "2024-02-29"
    assert str(row[6]) == "2024-02-29 13:14:15.500000"
    assert row[7] == {"a": [1, 2]}
    assert bytes(row[8]) == b"\x00\x01\xff"
    # NULL is not the empty string.
    cur.execute("SELECT id, t IS NULL, t = '' FROM py_types WHERE id IN (2, 3) ORDER BY id")
    assert cur.fetchall() == [(2, False, True), (3, True, None)]
    conn.close()


def test_psycopg2_sqlstates(node):
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE py_err (id int PRIMARY KEY, v int NOT NULL CHECK (v >= 0), "
                "s varchar(3))")
    cur.execute("INSERT INTO py_err VALUES (1, 1, 'a')")
    assert sqlstate_of(conn, "SELEC 1") == "42601"
    assert sqlstate_of(conn, "SELECT * FROM no_such_table") == "42P01"
    assert sqlstate_of(conn, "SELECT nope FROM py_err") == "42703"
    assert sqlstate_of(conn, "SELECT no_such_fn(1)") == "42883"
    assert sqlstate_of(conn, "INSERT INTO py_err VALUES (1, 2, 'b')") == "23505"
    assert sqlstate_of(conn, "INSERT INTO py_err (id, v) VALUES (2, NULL)") == "23502"
    assert sqlstate_of(conn, "INSERT INTO py_err VALUES (3, -1, 'c')") == "23514"
    assert sqlstate_of(conn, "SELECT 1 / 0") == "22012"
    assert sqlstate_of(conn, "SELECT 9223372036854775807 + 1") == "22003"
    assert sqlstate_of(conn, "SELECT 'abc'::int") == "22P02"
    assert sqlstate_of(conn, "INSERT INTO py_err VALUES (4, 4, 'long')") == "22001"
    # A row value where only a comparison takes one: not supported, and said so.
    with cur.connection.cursor() as c2:
        with pytest.raises(psycopg2.Error) as e:
            c2.execute("SELECT count(DISTINCT (id, v)) FROM py_err")
    assert e.value.pgcode == "0A000" and "row value" in str(e.value)
    cur.execute("SELECT (1, 2) = (1, 2), 1 IN (1, 2)")
    assert cur.fetchone() == (True, True)
    # Nothing of the failed statements was applied; the session still works.
    cur.execute("SELECT id, v, s FROM py_err ORDER BY id")
    assert cur.fetchall() == [(1, 1, "a")]
    conn.close()


def test_psycopg2_transactions(node):
    conn = connect(node, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TABLE py_txn (id int PRIMARY KEY, v int)")
    conn.commit()
    cur.execute("INSERT INTO py_txn VALUES (1, 10)")
    cur.execute("INSERT INTO py_txn VALUES (2, 20)")
    cur.execute("SELECT sum(v) FROM py_txn")  # sees its own writes
    assert cur.fetchone()[0] == 30
    conn.commit()
    cur.execute("UPDATE py_txn SET v = 99 WHERE id = 1")
    conn.rollback()
    cur.execute("SELECT v FROM py_txn WHERE id = 1")
    assert cur.fetchone()[0] == 10
    conn.commit()
    # An error fails the block (25P02) until ROLLBACK.
    cur.execute("INSERT INTO py_txn VALUES (3, 30)")
    with pytest.raises(psycopg2.errors.UniqueViolation):
        cur.execute("INSERT INTO py_txn VALUES (1, 0)")
    with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
        cur.execute("SELECT 1")
    conn.rollback()
    cur.execute("SELECT count(*) FROM py_txn")
    assert cur.fetchone()[0] == 2
    conn.commit()
    conn.close()


def test_random_values_in_a_transaction_commit_as_the_client_saw_them(node):
    """random() and gen_random_uuid() inside a block: every later statement sees the values the
    first one returned, and COMMIT writes those (it used to fail with 40001 every time: the
    statement drew other values when run again). A query of no table (SELECT 1, now()) before
    or between the writes does not tie the block to another replicaset (it used to: 0A000)."""
    conn, cur = block_on(node, "CREATE TABLE py_rand (id int PRIMARY KEY, v float, u uuid)",
                         "INSERT INTO py_rand VALUES (1, 0, NULL), (2, 0, NULL)")
    cur.execute("SELECT 1")
    cur.execute("UPDATE py_rand SET v = random(), u = gen_random_uuid() WHERE id = 1 "
                "RETURNING v, u")
    v1, u1 = cur.fetchone()
    cur.execute("SELECT now() = now()")
    assert cur.fetchone()[0] is True
    cur.execute("SELECT v, u FROM py_rand WHERE id = 1")
    assert cur.fetchone() == (v1, u1)
    cur.execute("UPDATE py_rand SET v = random() + 1 WHERE id = 2 RETURNING v")
    v2 = cur.fetchone()[0]
    assert 1 <= v2 < 2 and v2 != v1 + 1  # another statement, another draw
    cur.execute("SELECT v FROM py_rand ORDER BY id")
    assert [r[0] for r in cur.fetchall()] == [v1, v2]
    conn.commit()
    cur.execute("SELECT v, u FROM py_rand ORDER BY id")
    rows = cur.fetchall()
    assert rows == [(v1, u1), (v2, None)]
    conn.commit()
    conn.close()


def kept_commits(nodes, group=2):
    """cairn_store_commits_kept_total of a group, summed over nodes."""
    total = 0
    for n in nodes:
        m, _ = metrics(n)
        total += m.get(("cairn_store_commits_kept_total", 'group="%d"' % group), 0)
    return total


def test_commit_keeps_the_savepoint_its_statements_ran_in_unless_a_read_changed(node):
    """A block nobody interleaves with commits what its statements wrote as they ran, without
    running them again (the metric counts it). When another session's write lands between a
    block's read and its COMMIT, the statements ran again on the new state and the result the
    client saw is no longer what they give: COMMIT must still fail with 40001, not keep them."""
    a = connect(node, autocommit=False)
    b = connect(node)
    ca, cb = a.cursor(), b.cursor()
    cb.execute("CREATE TABLE py_keep (id int PRIMARY KEY, v int)")
    cb.execute("INSERT INTO py_keep VALUES (1, 10), (2, 20)")
    before = kept_commits([node])
    # Kept unless the store's checkpoint (each second after writes) released the savepoint
    # in between: then it is run again, and another try is kept.
    for tries in range(1, 11):
        ca.execute("UPDATE py_keep SET v = v + 1 WHERE id = 1")
        ca.execute("SELECT v FROM py_keep WHERE id = 1")
        assert ca.fetchone()[0] == 10 + tries
        ca.execute("INSERT INTO py_keep VALUES (%s, 30)", (2 + tries,))
        a.commit()
        if kept_commits([node]) > before:
            break
    kept = kept_commits([node])
    assert kept > before
    cb.execute("SELECT id, v FROM py_keep WHERE id <= 3 ORDER BY id")
    assert cb.fetchall() == [(1, 10 + tries), (2, 20), (3, 30)]
    cb.execute("DELETE FROM py_keep WHERE id > 3")

    ca.execute("UPDATE py_keep SET v = v + 100 WHERE id = 3")
    ca.execute("SELECT v FROM py_keep WHERE id = 2")
    assert ca.fetchone()[0] == 20
    cb.execute("UPDATE py_keep SET v = 21 WHERE id = 2")  # lands before a's COMMIT
    with pytest.raises(psycopg2.Error) as e:
        a.commit()
    assert e.value.pgcode == "40001"
    assert kept_commits([node]) == kept
    cb.execute("SELECT id, v FROM py_keep ORDER BY id")
    assert cb.fetchall() == [(1, 10 + tries), (2, 21), (3, 30)]  # nothing of a's block

    # A block that read first: its first write runs those reads again, and a read that
    # changed fails it there (40001), before anything more is done in vain.
    ca.execute("SELECT v FROM py_keep WHERE id = 2")
    assert ca.fetchone()[0] == 21
    cb.execute("UPDATE py_keep SET v = 22 WHERE id = 2")
    with pytest.raises(psycopg2.Error) as e:
        ca.execute("UPDATE py_keep SET v = v + 100 WHERE id = 3")
    assert e.value.pgcode == "40001"
    a.rollback()
    # Unchanged, the same block commits, kept as it ran.
    for tries in range(10):
        ca.execute("SELECT v FROM py_keep WHERE id = 2")
        assert ca.fetchone()[0] == 22
        ca.execute("UPDATE py_keep SET v = v + 1 WHERE id = 3")
        ca.execute("UPDATE py_keep SET v = v - 1 WHERE id = 3")
        a.commit()
        if kept_commits([node]) > kept:
            break
    assert kept_commits([node]) > kept
    a.close()
    b.close()


def test_a_block_that_only_reads_commits_by_reading_again(node):
    """A transaction that only read writes nothing through the log: COMMIT runs its reads again
    on one state, and each must give what the client was given (serializable: it is as if it
    had read everything then), else 40001; a single read needs no check. random() draws as it did (each statement its own
    seed in the transaction, wherever it runs)."""
    a = connect(node, autocommit=False)
    b = connect(node)
    ca, cb = a.cursor(), b.cursor()
    cb.execute("CREATE TABLE py_ro (id int PRIMARY KEY, v int)")
    cb.execute("INSERT INTO py_ro VALUES (1, 10), (2, 20)")
    ca.execute("SELECT v FROM py_ro WHERE id = 1")
    assert ca.fetchone()[0] == 10
    ca.execute("SELECT v + random() FROM py_ro WHERE id = 2")
    drawn = ca.fetchone()[0]
    assert 20 <= drawn < 21
    ca.execute("SELECT v + random() FROM py_ro WHERE id = 2")
    assert ca.fetchone()[0] != drawn  # another statement, another draw
    cb.execute("UPDATE py_ro SET v = 11 WHERE id = 3")  # no row it read: no conflict
    logged = metrics(node)[0][("cairn_raft_last_index", 'group="2"')]
    a.commit()
    assert metrics(node)[0][("cairn_raft_last_index", 'group="2"')] == logged

    ca.execute("SELECT v FROM py_ro WHERE id = 1")
    assert ca.fetchone()[0] == 10
    ca.execute("SELECT sum(v) FROM py_ro")
    assert ca.fetchone()[0] == 30
    cb.execute("UPDATE py_ro SET v = 12 WHERE id = 1")
    with pytest.raises(psycopg2.Error) as e:
        a.commit()
    assert e.value.pgcode == "40001"

    # One read is of one state: it commits whatever happened since (before that write).
    ca.execute("SELECT v FROM py_ro WHERE id = 1")
    assert ca.fetchone()[0] == 12
    cb.execute("UPDATE py_ro SET v = 13 WHERE id = 1")
    a.commit()
    cb.execute("UPDATE py_ro SET v = 12 WHERE id = 1")

    # After a ROLLBACK TO that forgets the write, the block commits as one that only read.
    ca.execute("SAVEPOINT s1")
    ca.execute("UPDATE py_ro SET v = 0 WHERE id = 2")
    ca.execute("ROLLBACK TO SAVEPOINT s1")
    ca.execute("SELECT v FROM py_ro WHERE id = 2")
    assert ca.fetchone()[0] == 20
    a.commit()
    cb.execute("SELECT id, v FROM py_ro ORDER BY id")
    assert cb.fetchall() == [(1, 12), (2, 20)]
    a.close()
    b.close()


def test_blocks_that_read_first_go_on_past_store_checkpoints(node):
    """The store's checkpoint (every second, after writes) writes on a connection of its own. A
    block whose first statements only read holds a read snapshot; its first write after such a
    checkpoint must run afresh, and its COMMIT must not be applied in that stale snapshot (it
    was: "database is locked", and the node stopped). Many short blocks over a few seconds."""
    a = connect(node, autocommit=False)
    b = connect(node)
    ca, cb = a.cursor(), b.cursor()
    cb.execute("CREATE TABLE py_ckpt (id int PRIMARY KEY, v int)")
    cb.execute("INSERT INTO py_ckpt VALUES (1, 0)")
    deadline = time.time() + 4
    n = 0
    while time.time() < deadline:
        ca.execute("SELECT v FROM py_ckpt WHERE id = 1")
        assert ca.fetchone()[0] == n
        time.sleep(0.002)
        ca.execute("UPDATE py_ckpt SET v = v + 1 WHERE id = 1")
        a.commit()
        n += 1
        ca.execute("SELECT count(*) FROM py_ckpt")
        a.commit()
    cb.execute("SELECT v FROM py_ckpt WHERE id = 1")
    assert cb.fetchone()[0] == n
    a.close()
    b.close()


def test_schema_change_in_a_block_warns_that_rollback_keeps_it(node):
    """Schema changes apply at once through the governor: inside BEGIN the client is warned,
    and what the warning says holds (the table outlives the ROLLBACK)."""
    conn = connect(node, autocommit=False)
    cur = conn.cursor()
    cur.execute("CREATE TABLE ddl_in_block (id int PRIMARY KEY)")
    assert any("ROLLBACK of the transaction block will not undo it" in n for n in conn.notices)
    conn.rollback()
    conn.autocommit = True
    cur.execute("SELECT count(*) FROM ddl_in_block")
    assert cur.fetchone()[0] == 0
    before = len(conn.notices)
    cur.execute("CREATE TABLE ddl_outside (id int PRIMARY KEY)")  # not in a block: no warning
    assert len(conn.notices) == before
    conn.close()


def test_transaction_characteristics(node):
    """The isolation level and READ ONLY of a block: BEGIN's modes, SET TRANSACTION, the
    session's defaults, SHOW; a READ ONLY block refuses every write with 25006."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE tc_rows (id int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO tc_rows VALUES (1, 10)")

    def show(name):
        cur.execute("SHOW " + name)
        return cur.fetchone()[0]

    assert show("transaction_isolation") == "serializable"
    cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    assert show("transaction_isolation") == "read committed"
    cur.execute("SELECT v FROM tc_rows WHERE id = 1")
    # The level is fixed once the block has run a query, as in PostgreSQL.
    assert sqlstate_of(conn, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE") == "25001"
    cur.execute("ROLLBACK")
    assert show("transaction_isolation") == "serializable"
    cur.execute("BEGIN")
    cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    assert show("transaction_isolation") == "read committed"
    cur.execute("COMMIT")
    # The session's default, set either way, lasts until it is reset.
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED")
    assert show("default_transaction_isolation") == "read committed"
    cur.execute("BEGIN")
    assert show("transaction_isolation") == "read committed"
    cur.execute("COMMIT")
    cur.execute("RESET default_transaction_isolation")
    cur.execute("SET default_transaction_isolation = 'REPEATABLE READ'")
    assert show("default_transaction_isolation") == "repeatable read"
    cur.execute("RESET ALL")
    assert show("default_transaction_isolation") == "serializable"
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET default_transaction_isolation = 'sometimes'")
    assert e.value.pgcode == "22023" and "read committed" in str(e.value)
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SET default_transaction_read_only = maybe")
    assert e.value.pgcode == "22023" and "Boolean" in str(e.value)
    # READ ONLY: reads go on, every kind of write is refused and fails the block.
    cur.execute("BEGIN READ ONLY")
    cur.execute("SELECT v FROM tc_rows WHERE id = 1")
    assert cur.fetchone() == (10,)
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("UPDATE tc_rows SET v = 11 WHERE id = 1")
    assert e.value.pgcode == "25006" and "read-only transaction" in str(e.value)
    cur.execute("ROLLBACK")
    cur.execute("SET default_transaction_read_only = on")
    for sql in ("INSERT INTO tc_rows VALUES (2, 20)", "DELETE FROM tc_rows",
                "TRUNCATE tc_rows", "CREATE TABLE tc_other (id int PRIMARY KEY)",
                "EXPLAIN ANALYZE DELETE FROM tc_rows"):
        cur.execute("BEGIN")
        assert sqlstate_of(conn, sql) == "25006", sql
        cur.execute("ROLLBACK")
    cur.execute("BEGIN READ WRITE")
    cur.execute("UPDATE tc_rows SET v = 12 WHERE id = 1")
    cur.execute("COMMIT")
    # Outside a block every statement is its own transaction, and may write.
    cur.execute("INSERT INTO tc_rows VALUES (3, 30)")
    cur.execute("RESET default_transaction_read_only")
    cur.execute("SELECT id, v FROM tc_rows ORDER BY id")
    assert cur.fetchall() == [(1, 12), (3, 30)]
    conn.close()
    # The defaults as the startup packet gives them (libpq's options, PGOPTIONS).
    c = psycopg2.connect(host="127.0.0.1", port=node.pg_port, user=USER, dbname=DB,
                         options=r"-c default_transaction_isolation=read\ committed "
                                 "--default-transaction-read-only=on -c work_mem=64MB")
    cur = c.cursor()
    assert show("default_transaction_isolation") == "read committed"
    assert show("transaction_read_only") == "on"
    assert sqlstate_of(c, "DELETE FROM tc_rows") == "25006"
    c.close()
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(host="127.0.0.1", port=node.pg_port, user=USER, dbname=DB,
                         options="-c default_transaction_isolation=sometimes")
    assert "default_transaction_isolation" in str(e.value)
    pgoptions = r"-c default_transaction_isolation=read\ committed"
    out = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(node.pg_port),
                          "-U", USER, "-d", DB, "-c", "SHOW transaction_isolation"],
                         env=dict(os.environ, PGOPTIONS=pgoptions),
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "read committed", out


def test_serialization_failure_40001(node):
    a = connect(node, autocommit=False)
    b = connect(node, autocommit=False)
    ca, cb = a.cursor(), b.cursor()
    ca.execute("CREATE TABLE py_ser (id int PRIMARY KEY, v int)")
    a.commit()
    ca.execute("INSERT INTO py_ser VALUES (1, 100)")
    a.commit()
    # Both read the row, both write it: the second to commit read a value that changed.
    ca.execute("SELECT v FROM py_ser WHERE id = 1")
    cb.execute("SELECT v FROM py_ser WHERE id = 1")
    assert ca.fetchone()[0] == 100 and cb.fetchone()[0] == 100
    ca.execute("UPDATE py_ser SET v = v + 1 WHERE id = 1")
    cb.execute("UPDATE py_ser SET v = v + 10 WHERE id = 1")
    a.commit()
    with pytest.raises(psycopg2.Error) as e:
        b.commit()
    assert e.value.pgcode == "40001"
    ca.execute("SELECT v FROM py_ser WHERE id = 1")
    assert ca.fetchone()[0] == 101  # b applied nothing
    a.commit()
    a.close()
    b.close()


def test_copy_in_and_out(node):
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE py_copy (id int PRIMARY KEY, name text, score numeric(6,2))")
    import io
    rows = "".join("%d\tname %d\t%d.%02d\n" % (i, i, i, i % 100) for i in range(1, 2001))
    rows += "2001\t\\N\t\\N\n"
    cur.copy_expert("COPY py_copy FROM STDIN", io.StringIO(rows))
    cur.execute("SELECT count(*), sum(score) FROM py_copy")
    count, total = cur.fetchone()
    assert count == 2001
    assert str(total) == str(sum(__import__("decimal").Decimal("%d.%02d" % (i, i % 100))
                                 for i in range(1, 2001)))
    out = io.StringIO()
    cur.copy_expert("COPY py_copy (id, name) TO STDOUT WITH (FORMAT csv, HEADER)", out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "id,name" and len(lines) == 2002
    assert "1,name 1" in lines and "2001," in lines
    # A bad row fails the COPY and loads nothing of it.
    with pytest.raises(psycopg2.Error) as e:
        cur.copy_expert("COPY py_copy FROM STDIN", io.StringIO("3000\tx\tnot-a-number\n"))
    assert e.value.pgcode == "22P02"
    cur.execute("SELECT count(*) FROM py_copy")
    assert cur.fetchone()[0] == 2001
    conn.close()


def test_copy_to_from_a_query_and_inside_a_block(node):
    """COPY (query) TO STDOUT answers any SELECT as COPY data; COPY TO inside a transaction
    block sees the block's own writes (it read only what was committed) and COMMIT validates
    what it read as for a SELECT; unknown names and failing queries are the query's errors."""
    conn, cur = block_on(node, "CREATE TABLE py_cq (id int PRIMARY KEY, v text, n numeric(6,2))",
                         "INSERT INTO py_cq VALUES (1, 'a', 1.5), (3, 'c,d', NULL)")
    cur.execute("INSERT INTO py_cq VALUES (2, 'b', 2.25)")
    out = io.StringIO()
    cur.copy_expert("COPY py_cq TO STDOUT", out)
    assert sorted(out.getvalue().splitlines()) == ["1\ta\t1.50", "2\tb\t2.25", "3\tc,d\t\\N"]
    cur.execute("UPDATE py_cq SET v = 'z' WHERE id = 1")
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT id, v, n * 2 AS twice FROM py_cq ORDER BY id) TO STDOUT "
                    "WITH (FORMAT csv, HEADER)", out)
    assert out.getvalue().splitlines() == ["id,v,twice", "1,z,3.00", "2,b,4.50", '3,"c,d",']
    conn.commit()
    conn.autocommit = True
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT count(*), max(v) FROM py_cq) TO STDOUT", out)
    assert out.getvalue() == "3\tz\n"
    assert cur.rowcount == 1
    for sql, state in (("COPY (SELECT * FROM py_nope) TO STDOUT", "42P01"),
                       ("COPY (SELECT 1 / 0) TO STDOUT", "22012"),
                       ("COPY py_cq (nope) TO STDOUT", "42703"),
                       ("COPY py_cq TO '/tmp/py_cq.txt'", "0A000"),
                       ("COPY (SELECT 1) TO STDOUT (FORMAT binary)", "0A000")):
        with pytest.raises(psycopg2.Error) as e:
            cur.copy_expert(sql, io.StringIO())
        assert e.value.pgcode == state, sql
    out = io.StringIO()
    cur.copy_expert("COPY py_cq (v) TO STDOUT", out)  # the session goes on
    assert sorted(out.getvalue().splitlines()) == ["b", "c,d", "z"]
    conn.close()


def test_a_runaway_read_is_interrupted(node):
    """A read that would run for minutes is stopped by statement_timeout with 57014, and
    everything goes on (test_pg_long_reads.py has the rest of long reads)."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("SET statement_timeout = '1s'")
    started = time.monotonic()
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT count(*) FROM generate_series(1, 2000000000) g")
    assert e.value.pgcode == "57014", e.value
    assert "ms" in str(e.value)
    assert time.monotonic() - started < 10
    cur.execute("SELECT count(*) FROM generate_series(1, 1000) g")
    assert cur.fetchone()[0] == 1000
    conn.close()


def test_a_schema_change_the_rows_refuse_is_refused(node):
    """A change the existing rows make impossible is an error, and the table goes on as before:
    the catalog must not take a change no replicaset can apply."""
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("CREATE TABLE ddl_rows (id int, v text)")
    cur.execute("INSERT INTO ddl_rows VALUES (1, 'a'), (1, 'b'), (2, NULL)")
    for sql, state in (("ALTER TABLE ddl_rows ADD PRIMARY KEY (id)", "23505"),
                       ("CREATE UNIQUE INDEX ddl_rows_id ON ddl_rows (id)", "23505")):
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == state, (sql, e.value.pgcode, e.value)
    # Nothing of them stayed: duplicates still go in, and a later change applies.
    cur.execute("INSERT INTO ddl_rows VALUES (1, 'c')")
    cur.execute("SELECT count(*) FROM ddl_rows WHERE id = 1")
    assert cur.fetchone()[0] == 3
    cur.execute("DELETE FROM ddl_rows WHERE v IN ('b', 'c')")
    cur.execute("ALTER TABLE ddl_rows ADD PRIMARY KEY (id)")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO ddl_rows VALUES (1, 'again')")
    assert e.value.pgcode == "23505"
    # A key's columns are NOT NULL: over a NULL already there the key is refused, and after it
    # a NULL key is (SQLite cannot alter a column: an index does it, see pg_not_null).
    cur.execute("CREATE TABLE ddl_nulls (k int, v text)")
    cur.execute("INSERT INTO ddl_nulls VALUES (NULL, 'x'), (1, 'y')")
    assert sqlstate_of(conn, "ALTER TABLE ddl_nulls ADD PRIMARY KEY (k)") == "23502"
    cur.execute("DELETE FROM ddl_nulls WHERE k IS NULL")
    cur.execute("ALTER TABLE ddl_nulls ADD PRIMARY KEY (k)")
    assert sqlstate_of(conn, "INSERT INTO ddl_nulls VALUES (NULL, 'z')") == "23502"
    assert sqlstate_of(conn, "UPDATE ddl_nulls SET k = NULL") == "23502"
    # A NOT NULL column without a DEFAULT: refused over rows (theirs would be NULL), taken on an
    # empty table, where a row without it is refused; renamed and dropped like any column.
    assert sqlstate_of(conn, "ALTER TABLE ddl_nulls ADD COLUMN n int NOT NULL") == "23502"
    cur.execute("CREATE TABLE ddl_empty (id int PRIMARY KEY)")
    cur.execute("ALTER TABLE ddl_empty ADD COLUMN n int NOT NULL")
    assert sqlstate_of(conn, "INSERT INTO ddl_empty (id) VALUES (1)") == "23502"
    cur.execute("ALTER TABLE ddl_empty RENAME COLUMN n TO m")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO ddl_empty (id) VALUES (1)")
    assert e.value.pgcode == "23502" and '"m"' in e.value.pgerror
    cur.execute("INSERT INTO ddl_empty VALUES (1, 7)")
    cur.execute("ALTER TABLE ddl_empty DROP COLUMN m")
    cur.execute("INSERT INTO ddl_empty VALUES (2)")
    cur.execute("SELECT id FROM ddl_empty ORDER BY id")
    assert cur.fetchall() == [(1,), (2,)]
    conn.close()


def test_garbage_on_the_port_harms_nobody(node):
    import socket
    conn = connect(node)
    s = socket.create_connection(("127.0.0.1", node.pg_port), timeout=5)
    s.sendall(b"\x00\x00\x00\x08garbage!" * 8)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
    with conn.cursor() as cur:
        cur.execute("SELECT 1 + 1")
        assert cur.fetchone()[0] == 2
    conn.close()


# ---- pgbench ----

def pgbench(node, *args, timeout=300):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    r = subprocess.run(["pgbench", "-h", "127.0.0.1", "-p", str(node.pg_port), "-U", USER]
                       + list(args) + [DB], capture_output=True, text=True, timeout=timeout,
                       env=env)
    assert r.returncode == 0, "pgbench %s failed (%d):\n%s%s" % (args, r.returncode, r.stdout,
                                                                r.stderr)
    return r.stdout + r.stderr


def test_pgbench_initialize_and_run(node):
    pgbench(node, "-i", "-s", "1")
    conn = connect(node)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pgbench_accounts")
    assert cur.fetchone()[0] == 100000
    cur.execute("SELECT count(*) FROM pgbench_branches")
    assert cur.fetchone()[0] == 1
    out = pgbench(node, "-S", "-T", "3", "-c", "2")
    assert "number of failed transactions: 0" in out, out
    # Two TPC-B clients conflict, rarely, when both draw one account (serializable: 40001,
    # as the issue asks); a client retries those, as pgbench does with --max-tries. A
    # conflict that is not one (a wrong 40001) would show as retries far past that rate.
    out = pgbench(node, "-T", "3", "-c", "2", "--max-tries=5")
    assert "number of failed transactions: 0" in out, out
    done = int(re.search(r"actually processed: (\d+)", out).group(1))
    retried = int(re.search(r"transactions retried: (\d+)", out).group(1))
    assert done > 0 and retried * 100 < done, out
    # TPC-B keeps the books: every balance change is in the history.
    cur.execute("SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
                "(SELECT sum(bbalance) FROM pgbench_branches), "
                "(SELECT sum(delta) FROM pgbench_history)")
    a, b, h = cur.fetchone()
    assert h is not None and a == b == h
    conn.close()


# ---- several replicasets ----

@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """Two replicasets of one node each, sharing the buckets."""
    c = Cluster(str(tmp_path_factory.mktemp("pgsharded")))
    c.start(1, extra=["--bucket-count", "64"], rf=1)
    c.add().start().wait_up()
    wait_balanced(c, 2, 4, 60, "two replicasets sharing the buckets")
    for n in c.nodes:
        wait_pg(n)
    yield c
    c.stop_all()
    c.check_sanitizers()


def test_gathered_queries(sharded):
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE sh_orders (id int PRIMARY KEY, customer int, amount numeric(8,2))")
    cur.execute("CREATE TABLE sh_customers (id int PRIMARY KEY, name text)")
    cur.execute("CREATE TABLE sh_regions (code text PRIMARY KEY, label text) DISTRIBUTED GLOBALLY")
    for i in range(1, 41):
        cur.execute("INSERT INTO sh_customers VALUES (%s, %s)", (i, "c%d" % i))
    for i in range(1, 201):
        cur.execute("INSERT INTO sh_orders VALUES (%s, %s, %s)", (i, i % 40 + 1, "%d.50" % i))
    cur.execute("INSERT INTO sh_regions VALUES ('n', 'north'), ('s', 'south')")
    other = connect(n2).cursor()
    # The rows really are spread: each replicaset holds part of them.
    cur.execute("EXPLAIN SELECT count(*) FROM sh_orders")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Gather" in plan, plan
    for c in (cur, other):
        c.execute("SELECT count(*), sum(amount), min(id), max(id) FROM sh_orders")
        count, total, lo, hi = c.fetchone()
        assert (count, str(total), lo, hi) == (200, "20200.00", 1, 200)
        c.execute("SELECT o.customer, count(*), c.name FROM sh_orders o "
                  "JOIN sh_customers c ON c.id = o.customer "
                  "GROUP BY o.customer, c.name ORDER BY o.customer LIMIT 3")
        assert c.fetchall() == [(1, 5, "c1"), (2, 5, "c2"), (3, 5, "c3")]
        c.execute("SELECT id FROM sh_orders WHERE amount > 195 ORDER BY id DESC")
        assert [r[0] for r in c.fetchall()] == [200, 199, 198, 197, 196, 195]
        c.execute("SELECT count(*) FROM sh_customers c WHERE NOT EXISTS "
                  "(SELECT 1 FROM sh_orders o WHERE o.customer = c.id AND o.id > 195)")
        assert c.fetchone()[0] == 35
        c.execute("SELECT r.label, count(*) FROM sh_customers c CROSS JOIN sh_regions r "
                  "GROUP BY r.label ORDER BY r.label")
        assert c.fetchall() == [("north", 40), ("south", 40)]
    # A key does not pin a query whose subquery reads the table again.
    cur.execute("SELECT (SELECT count(*) FROM sh_orders) FROM sh_orders WHERE id = 7")
    assert cur.fetchall() == [(200,)]
    # Changing a distribution key would leave the row in the wrong replicaset: refused.
    assert sqlstate_of(conn, "UPDATE sh_orders SET id = 1000 WHERE id = 7") == "0A000"
    # A write whose subquery reads every replicaset finds its rows over all of them (a
    # gathered SELECT), not over each replicaset's own (test_writes_that_read_other_replicasets).
    cur.execute("SELECT count(*), sum(amount) FROM sh_orders")
    assert cur.fetchone() == (200, 20200)
    cur.execute("SELECT count(*) FROM sh_orders WHERE customer IN "
                "(SELECT id FROM sh_customers WHERE name = 'c1')")
    c1_orders = cur.fetchone()[0]
    cur.execute("UPDATE sh_orders SET amount = 0 WHERE customer IN "
                "(SELECT id FROM sh_customers WHERE name = 'c1')")
    assert cur.rowcount == c1_orders > 0
    cur.execute("SELECT avg(amount), count(*) FILTER (WHERE amount > (SELECT avg(amount) "
                "FROM sh_orders)) FROM sh_orders")
    mean, above = cur.fetchone()
    cur.execute("DELETE FROM sh_orders WHERE amount > (SELECT avg(amount) FROM sh_orders)")
    assert cur.rowcount == above > 0
    cur.execute("SELECT count(*), count(*) FILTER (WHERE amount > %s) FROM sh_orders", (mean,))
    assert cur.fetchone() == (200 - above, 0)
    # Point queries still go to one replicaset.
    cur.execute("EXPLAIN SELECT * FROM sh_orders WHERE id = 7")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "chosen by the distribution key" in plan, plan
    # A transaction may not span replicasets: 0A000, and nothing of it is applied.
    t = connect(n1, autocommit=False)
    tc = t.cursor()
    with pytest.raises(psycopg2.Error) as e:
        for i in range(1, 41):
            tc.execute("UPDATE sh_customers SET name = 'x' WHERE id = %s", (i,))
    assert e.value.pgcode == "0A000"
    assert "replicaset" in str(e.value)
    t.rollback()
    cur.execute("SELECT count(*) FROM sh_customers WHERE name = 'x'")
    assert cur.fetchone()[0] == 0
    t.close()
    conn.close()


def replicaset_of(cur, table, key):
    cur.execute("EXPLAIN SELECT * FROM %s WHERE id = %%s" % table, (key,))
    plan = "\n".join(r[0] for r in cur.fetchall())
    m = re.search(r"Runs on replicaset (\d+)", plan)
    assert m, plan
    return int(m.group(1))


def three_keys_of_each_replicaset(cur, table, n):
    """Keys among 1..n of the two replicasets' rows: three of each."""
    where = {}
    for k in range(1, n + 1):
        where.setdefault(replicaset_of(cur, table, k), []).append(k)
    assert len(where) == 2, where
    return [ks[:3] for ks in where.values()]


def test_read_committed_blocks_read_every_replicaset(sharded):
    """A READ COMMITTED block reads any replicasets, each statement seeing what is committed
    when it runs; a serializable one (the default) may read only its own (0A000)."""
    n1, _ = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE rc_acct (id int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO rc_acct SELECT g, 100 FROM generate_series(1, 60) g")
    a, b = three_keys_of_each_replicaset(cur, "rc_acct", 60)
    t = connect(n1, autocommit=False)
    tc = t.cursor()
    # The default: a query over both replicasets, or a second replicaset, is refused.
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("SELECT count(*) FROM rc_acct")
    assert e.value.pgcode == "0A000" and "READ COMMITTED" in str(e.value)
    t.rollback()
    tc.execute("SELECT v FROM rc_acct WHERE id = %s", (a[0],))
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("SELECT v FROM rc_acct WHERE id = %s", (b[0],))
    assert e.value.pgcode == "0A000"
    t.rollback()
    # READ COMMITTED: both replicasets, and another session's commit is seen by the next
    # statement, as PostgreSQL's READ COMMITTED sees it.
    t.set_session(isolation_level="READ COMMITTED")
    tc.execute("SELECT count(*), sum(v) FROM rc_acct")
    assert tc.fetchone() == (60, 6000)
    tc.execute("SELECT v FROM rc_acct WHERE id = %s", (b[0],))
    assert tc.fetchone() == (100,)
    cur.execute("UPDATE rc_acct SET v = 150 WHERE id = %s", (b[0],))
    tc.execute("SELECT v FROM rc_acct WHERE id = %s", (b[0],))
    assert tc.fetchone() == (150,)
    tc.execute("SELECT sum(v) FROM rc_acct")
    assert tc.fetchone() == (6050,)
    # It writes in one replicaset; reads of the other still run alone, its own see its write.
    tc.execute("UPDATE rc_acct SET v = v - 30 WHERE id = %s", (a[0],))
    tc.execute("SELECT v FROM rc_acct WHERE id = %s", (a[0],))
    assert tc.fetchone() == (70,)
    tc.execute("SELECT v FROM rc_acct WHERE id = %s", (b[1],))
    assert tc.fetchone() == (100,)
    cur.execute("SELECT v FROM rc_acct WHERE id = %s", (a[0],))
    assert cur.fetchone() == (100,), "not committed yet"
    # A query over both could not see the write: refused, with what to do instead.
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("SELECT sum(v) FROM rc_acct")
    assert e.value.pgcode == "0A000" and "has written" in str(e.value)
    t.rollback()
    cur.execute("SELECT v FROM rc_acct WHERE id = %s", (a[0],))
    assert cur.fetchone() == (100,), "rolled back"
    # A write in the other replicaset than the block's writes is still refused; committed,
    # the block's writes are all there.
    tc.execute("SELECT sum(v) FROM rc_acct")
    tc.execute("UPDATE rc_acct SET v = v + 1 WHERE id = %s", (b[0],))
    tc.execute("UPDATE rc_acct SET v = v + 1 WHERE id = %s", (b[1],))
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("UPDATE rc_acct SET v = v + 1 WHERE id = %s", (a[1],))
    assert e.value.pgcode == "0A000"
    t.rollback()
    tc.execute("SELECT count(*) FROM rc_acct")
    tc.execute("UPDATE rc_acct SET v = v + 1 WHERE id = %s", (b[1],))
    tc.execute("UPDATE rc_acct SET v = v + 1 WHERE id = %s", (b[2],))
    t.commit()
    cur.execute("SELECT id, v FROM rc_acct WHERE id IN (%s, %s, %s) ORDER BY id",
                (b[0], b[1], b[2]))
    assert sorted(cur.fetchall()) == sorted([(b[0], 150), (b[1], 101), (b[2], 101)])
    # A locking read stays in the block: checked at COMMIT, and it ties the block to its
    # replicaset as a serializable block's reads do.
    tc.execute("SELECT v FROM rc_acct WHERE id = %s FOR UPDATE", (a[2],))
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("UPDATE rc_acct SET v = 0 WHERE id = %s", (b[2],))
    assert e.value.pgcode == "0A000"
    t.rollback()
    t.close()
    conn.close()


def test_a_key_list_in_one_replicaset_runs_there(sharded):
    """`key IN (...)` whose keys all live in one replicaset is routed there like `key = v`:
    one replicaset reads it, and a transaction may write through it."""
    n1, _ = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE kl_rows (id int PRIMARY KEY, v int)")
    cur.execute("INSERT INTO kl_rows SELECT g, g FROM generate_series(1, 40) g")
    a, b = three_keys_of_each_replicaset(cur, "kl_rows", 40)
    cur.execute("EXPLAIN SELECT * FROM kl_rows WHERE id IN (%s, %s, %s)" % tuple(a))
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "chosen by the distribution key" in plan, plan
    cur.execute("EXPLAIN SELECT * FROM kl_rows WHERE id IN (%s, %s)" % (a[0], b[0]))
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Gather" in plan, plan
    cur.execute("SELECT id, v FROM kl_rows WHERE id IN (%s, %s, %s) ORDER BY id" % tuple(a))
    assert cur.fetchall() == [(k, k) for k in sorted(a)]
    t = connect(n1, autocommit=False)
    tc = t.cursor()
    tc.execute("UPDATE kl_rows SET v = v + 100 WHERE id IN (%s, %s)", (a[0], a[1]))
    assert tc.rowcount == 2
    tc.execute("SELECT sum(v) FROM kl_rows WHERE id IN (%s, %s, %s)", tuple(a))
    assert tc.fetchone()[0] == sum(a) + 200
    t.commit()
    with pytest.raises(psycopg2.Error) as e:
        tc.execute("UPDATE kl_rows SET v = 0 WHERE id IN (%s, %s)", (a[2], b[2]))
    assert e.value.pgcode == "0A000"
    t.rollback()
    cur.execute("SELECT id, v FROM kl_rows WHERE v <> id ORDER BY id")
    assert cur.fetchall() == sorted([(a[0], a[0] + 100), (a[1], a[1] + 100)])
    t.close()
    conn.close()


def test_copy_into_a_sharded_table(sharded):
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE sc_rows (id int PRIMARY KEY, name text, amount numeric(8,2))")
    rows = "".join("%d\tn%d\t%d.25\n" % (i, i, i) for i in range(1, 3001))
    cur.copy_expert("COPY sc_rows FROM STDIN", io.StringIO(rows))
    assert cur.rowcount == 3000
    for c in (cur, connect(n2).cursor()):
        c.execute("SELECT count(*), count(DISTINCT id), sum(amount) FROM sc_rows")
        assert c.fetchone() == (3000, 3000, Decimal("4502250.00"))
    cur.execute("EXPLAIN SELECT * FROM sc_rows")
    # A failing row fails its batch only; the error names it.
    with pytest.raises(psycopg2.Error) as e:
        cur.copy_expert("COPY sc_rows FROM STDIN", io.StringIO("5000\tx\tnot-a-number\n"))
    assert e.value.pgcode == "22P02"
    # A number right after the key: each row must land where its key's bucket is, so that a
    # lookup by key (routed to one replicaset) finds it.
    cur.execute("CREATE TABLE sc_nums (id int, grp int)")
    cur.copy_expert("COPY sc_nums FROM STDIN",
                    io.StringIO("".join("%d\t%d\n" % (i, i % 10) for i in range(1, 2001))))
    for k in range(1, 2001, 37):
        cur.execute("SELECT grp FROM sc_nums WHERE id = %s", (k,))
        assert cur.fetchall() == [(k % 10,)], k
    out = io.StringIO()
    cur.copy_expert("COPY sc_rows TO STDOUT", out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3000 and sorted(lines)[0] == "1\tn1\t1.25"
    # A query over both replicasets, sorted and aggregated where the rows meet.
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT id % 3 AS k, count(*), sum(amount) FROM sc_rows GROUP BY 1 "
                    "ORDER BY 1) TO STDOUT (FORMAT csv)", out)
    assert out.getvalue().splitlines() == ["0,1000,1501750.00", "1,1000,1499750.00",
                                           "2,1000,1500750.00"]
    conn.close()


def test_insert_split_between_replicasets(sharded):
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE sp_items (id int PRIMARY KEY, v text NOT NULL)")
    rows = ", ".join("(%d, 'v%d')" % (i, i) for i in range(1, 101))
    cur.execute("EXPLAIN INSERT INTO sp_items VALUES " + rows)
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Split by the distribution key" in plan, plan
    cur.execute("INSERT INTO sp_items VALUES " + rows + " RETURNING id, v")
    assert cur.rowcount == 100
    assert sorted(cur.fetchall()) == [(i, "v%d" % i) for i in range(1, 101)]
    # The rows are in both replicasets, each once.
    homes = set()
    for i in (1, 2, 3, 4, 5, 6, 7, 8):
        cur.execute("EXPLAIN SELECT * FROM sp_items WHERE id = %s", (i,))
        homes.add(cur.fetchall()[0][0])
    assert len(homes) == 2, homes
    cur.execute("SELECT count(*), count(DISTINCT id), sum(id) FROM sp_items")
    assert cur.fetchone() == (100, 100, 5050)

    # All or nothing: a duplicate key in one replicaset's part leaves no row of the others.
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO sp_items VALUES " +
                    ", ".join("(%d, 'new')" % i for i in range(101, 121)) + ", (50, 'dup')")
    assert e.value.pgcode == "23505"
    cur.execute("SELECT count(*) FROM sp_items")
    assert cur.fetchone()[0] == 100
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO sp_items VALUES (200, 'a'), (201, NULL), (202, 'c')")
    assert e.value.pgcode == "23502"
    cur.execute("SELECT count(*) FROM sp_items WHERE id >= 200")
    assert cur.fetchone()[0] == 0

    # RETURNING of a statement broadcast to every replicaset brings every replicaset's rows.
    cur.execute("UPDATE sp_items SET v = 'even' WHERE id % 2 = 0 RETURNING id")
    assert cur.rowcount == 50
    assert sorted(r[0] for r in cur.fetchall()) == list(range(2, 101, 2))
    cur.execute("DELETE FROM sp_items WHERE id > 90 RETURNING id, v")
    assert sorted(cur.fetchall()) == [(i, "even" if i % 2 == 0 else "v%d" % i)
                                      for i in range(91, 101)]
    other = connect(n2).cursor()
    other.execute("SELECT count(*) FROM sp_items")
    assert other.fetchone()[0] == 90

    # Inside a transaction block the split would span replicasets: refused, nothing applied.
    t = connect(n1, autocommit=False)
    with pytest.raises(psycopg2.Error) as e:
        t.cursor().execute("INSERT INTO sp_items VALUES " +
                           ", ".join("(%d, 't')" % i for i in range(300, 320)))
    assert e.value.pgcode == "0A000"
    t.rollback()
    t.close()
    cur.execute("SELECT count(*) FROM sp_items WHERE id >= 300")
    assert cur.fetchone()[0] == 0

    # A key whose bucket is not known before the row is stored (a computed one, a numeric) is
    # refused whole with 0A000 and a way out; a row too wide for the targets with 42601.
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO sp_items VALUES (400, 'a'), (400 + length('xy'), 'b')")
    assert e.value.pgcode == "0A000" and "one statement per key" in e.value.pgerror
    cur.execute("CREATE TABLE sp_num (k numeric(8,2) PRIMARY KEY, v text)")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO sp_num VALUES (1.5, 'a'), (2.5, 'b'), (3.5, 'c')")
    assert e.value.pgcode == "0A000"
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO sp_items VALUES (500, 'a', 'extra'), (501, 'b', 'extra')")
    assert e.value.pgcode == "42601"
    cur.execute("SELECT count(*) FROM sp_items WHERE id >= 400")
    assert cur.fetchone()[0] == 0
    cur.execute("SELECT count(*) FROM sp_num")
    assert cur.fetchone()[0] == 0
    conn.close()


def test_broadcast_write_refused_anywhere_changes_nothing(sharded):
    """An UPDATE or DELETE sent to every replicaset is tried on all of them first: when the rows
    of one refuse it (a CHECK, a division by zero), the others' rows are not changed either."""
    n1, _ = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE bc_rows (id int PRIMARY KEY, n int CHECK (n > 0), d int)")
    cur.execute("INSERT INTO bc_rows SELECT g, g, g FROM generate_series(1, 60) g")
    homes = set()
    for i in range(1, 61):
        cur.execute("EXPLAIN SELECT * FROM bc_rows WHERE id = %s", (i,))
        homes.add(cur.fetchall()[0][0])
    assert len(homes) == 2, homes  # the rows are in both replicasets
    for sql, state in (("UPDATE bc_rows SET n = n - 30", "23514"),
                       ("UPDATE bc_rows SET d = 100 / (d - 45)", "22012"),
                       ("DELETE FROM bc_rows WHERE 1 / (id - 7) > 0", "22012")):
        assert sqlstate_of(conn, sql) == state, sql
        cur.execute("SELECT count(*), sum(n), sum(d) FROM bc_rows")
        assert cur.fetchone() == (60, 1830, 1830), sql
    cur.execute("UPDATE bc_rows SET n = n + 1 RETURNING id")
    assert sorted(r[0] for r in cur.fetchall()) == list(range(1, 61))
    cur.execute("SELECT sum(n) FROM bc_rows")
    assert cur.fetchone()[0] == 1890
    conn.close()


def test_writes_that_read_other_replicasets(sharded):
    """An UPDATE or DELETE whose subquery, join or second table reads rows of several
    replicasets finds its rows by a gathered SELECT first, then writes them by key."""
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE gw_cust (id int PRIMARY KEY, tier text)")
    cur.execute("CREATE TABLE gw_orders (id int PRIMARY KEY, cust_id int, total int)")
    cur.execute("CREATE TABLE gw_pairs (a int, b int, v int, PRIMARY KEY (a, b))")
    cur.execute("CREATE TABLE gw_nokey (a int, v int)")
    cur.execute("INSERT INTO gw_cust SELECT g, 'std' FROM generate_series(1, 40) g")
    cur.execute("INSERT INTO gw_orders SELECT g, g % 50, g * 10 FROM generate_series(1, 120) g")
    cur.execute("INSERT INTO gw_pairs SELECT g % 7, g, g FROM generate_series(1, 30) g")
    totals = {}
    for o in range(1, 121):
        totals[o % 50] = totals.get(o % 50, 0) + o * 10
    vip = sorted(c for c in range(1, 41) if totals.get(c, 0) > 1500)
    assert 0 < len(vip) < 40
    cur.execute("UPDATE gw_cust SET tier = 'vip' WHERE id IN (SELECT cust_id FROM gw_orders "
                "GROUP BY cust_id HAVING sum(total) > 1500) RETURNING id")
    assert sorted(r[0] for r in cur.fetchall()) == vip
    # a correlated subquery in SET, read from the other node
    cur.execute("UPDATE gw_orders o SET total = total + (SELECT count(*) FROM gw_cust c "
                "WHERE c.id = o.cust_id AND c.tier = 'vip') WHERE o.id <= 60")
    assert cur.rowcount == 60
    other = connect(n2).cursor()
    other.execute("SELECT sum(total) FROM gw_orders")
    assert other.fetchone()[0] == sum(o * 10 for o in range(1, 121)) + \
        len([o for o in range(1, 61) if o % 50 in vip])
    # UPDATE ... FROM and DELETE ... USING another table
    cur.execute("UPDATE gw_cust c SET tier = 'big' FROM gw_orders o WHERE o.cust_id = c.id "
                "AND o.total > 1150")
    other.execute("SELECT count(*) FROM gw_cust WHERE tier = 'big'")
    assert other.fetchone()[0] == len({o % 50 for o in range(116, 121)} & set(range(1, 41)))
    cur.execute("DELETE FROM gw_orders o USING gw_cust c WHERE c.id = o.cust_id AND "
                "c.tier = 'big' RETURNING o.id")
    deleted = sorted(r[0] for r in cur.fetchall())
    cur.execute("DELETE FROM gw_orders o WHERE NOT EXISTS (SELECT 1 FROM gw_cust c "
                "WHERE c.id = o.cust_id)")
    other.execute("SELECT count(*) FROM gw_orders")
    left = other.fetchone()[0]
    assert deleted and left == 120 - len(deleted) - cur.rowcount
    other.execute("SELECT count(*) FROM gw_orders o WHERE NOT EXISTS (SELECT 1 FROM gw_cust c "
                  "WHERE c.id = o.cust_id)")
    assert other.fetchone()[0] == 0
    # a key of two columns; nothing matching; no key to write by
    cur.execute("DELETE FROM gw_pairs WHERE (a, b) IN (SELECT a, b FROM gw_pairs "
                "WHERE v % 3 = 0)")
    assert cur.rowcount == 10
    cur.execute("UPDATE gw_cust SET tier = 'none' WHERE id IN (SELECT cust_id FROM gw_orders "
                "WHERE total < 0)")
    assert cur.rowcount == 0 and cur.statusmessage == "UPDATE 0"
    assert sqlstate_of(conn, "UPDATE gw_nokey SET v = 1 WHERE a IN "
                             "(SELECT id FROM gw_cust)") == "0A000"
    # the rows are bounded by the size of the statement that names them, not by their count:
    # 12,000 rows are written; rows whose keys and values pass TABLE_SQL_BYTES_MAX (1 MiB) get
    # 54000, and nothing is written
    cur.execute("CREATE TABLE gw_many (id int PRIMARY KEY, v int, pad text)")
    for at in range(0, 40000, 10000):
        cur.execute("INSERT INTO gw_many SELECT g, 0, NULL FROM generate_series(%s, %s) g",
                    (at + 1, at + 10000))
    cur.execute("UPDATE gw_many SET v = 2 WHERE id IN (SELECT id FROM gw_many WHERE id <= 12000)")
    assert cur.rowcount == 12000
    other.execute("SELECT count(*) FROM gw_many WHERE v = 2")
    assert other.fetchone()[0] == 12000
    assert sqlstate_of(conn, "UPDATE gw_many SET v = 1, pad = 'padding padding' WHERE id IN "
                             "(SELECT id FROM gw_many WHERE v >= 0)") == "54000"
    cur.execute("SELECT count(*) FROM gw_many WHERE v = 1")
    assert cur.fetchone()[0] == 0
    conn.close()


def test_null_distribution_keys(sharded):
    """A NULL distribution key has a bucket like any value: such rows go in (alone, among
    others split between replicasets, and by parameter), are found, and never join."""
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE nk_a (k int, v text) DISTRIBUTED BY (k)")
    cur.execute("CREATE TABLE nk_b (k int, w text) DISTRIBUTED BY (k)")
    cur.execute("INSERT INTO nk_a VALUES (NULL, 'alone')")
    cur.execute("INSERT INTO nk_a VALUES " + ", ".join("(%d, 'v%d')" % (i, i) for i in range(1, 41)) +
                ", (NULL, 'among')")
    cur.execute("INSERT INTO nk_a VALUES (%s, %s)", (None, "param"))
    cur.execute("INSERT INTO nk_b VALUES (NULL, 'bnull'), (2, 'b2'), (3, 'b3')")
    other = connect(n2).cursor()
    other.execute("SELECT v FROM nk_a WHERE k IS NULL ORDER BY v")
    assert other.fetchall() == [("alone",), ("among",), ("param",)]
    other.execute("SELECT count(*) FROM nk_a")
    assert other.fetchone()[0] == 43
    other.execute("SELECT a.v, b.w FROM nk_a a JOIN nk_b b ON a.k = b.k ORDER BY 1")
    assert other.fetchall() == [("v2", "b2"), ("v3", "b3")]
    # a NULL primary key is still refused, as PostgreSQL does
    cur.execute("CREATE TABLE nk_pk (id int PRIMARY KEY, v text)")
    assert sqlstate_of(conn, "INSERT INTO nk_pk VALUES (NULL, 'x')") == "23502"
    assert sqlstate_of(conn, "INSERT INTO nk_pk VALUES (1, 'a'), (NULL, 'x'), (2, 'b')") == "23502"
    cur.execute("SELECT count(*) FROM nk_pk")
    assert cur.fetchone()[0] == 0
    conn.close()


def test_insert_select_across_replicasets(sharded):
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE is_src (id int PRIMARY KEY, grp int, amount numeric(8,2), "
                "day date, ok boolean)")
    cur.execute("CREATE TABLE is_dst (id int PRIMARY KEY, grp int, amount numeric(8,2), "
                "day date, ok boolean)")
    cur.execute("CREATE TABLE is_sums (grp int PRIMARY KEY, n bigint, total numeric(12,2))")
    cur.execute("INSERT INTO is_src SELECT g, g % 7, g * 1.5, DATE '2024-01-01' + g, g % 2 = 0 "
                "FROM generate_series(1, 2500) g")
    cur.execute("SELECT count(*) FROM is_src")
    assert cur.fetchone()[0] == 2500
    cur.execute("EXPLAIN INSERT INTO is_dst SELECT * FROM is_src")
    plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Gather the SELECT here" in plan, plan
    cur.execute("INSERT INTO is_dst SELECT * FROM is_src WHERE id > 100")
    assert cur.rowcount == 2400
    for c in (cur, connect(n2).cursor()):
        c.execute("SELECT count(*), sum(amount), min(day), max(day), count(*) FILTER (WHERE ok) "
                  "FROM is_dst")
        n, total, lo, hi, oks = c.fetchone()
        assert (n, total, str(lo), str(hi), oks) == (
            2400, Decimal(sum(g * 1.5 for g in range(101, 2501))).quantize(Decimal("0.01")),
            str(date(2024, 1, 1) + timedelta(101)), str(date(2024, 1, 1) + timedelta(2500)), 1200)
    # Aggregates over a gathered table into another, with a WITH and RETURNING.
    cur.execute("WITH s AS (SELECT grp, count(*) AS n, sum(amount) AS total FROM is_src "
                "GROUP BY grp) INSERT INTO is_sums SELECT * FROM s RETURNING grp, n")
    assert sorted(cur.fetchall()) == [(g, len([x for x in range(1, 2501) if x % 7 == g]))
                                      for g in range(7)]
    # All or nothing: one duplicate key among the rows leaves none of them.
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO is_dst SELECT * FROM is_src WHERE id <= 101")
    assert e.value.pgcode == "23505"
    cur.execute("SELECT count(*) FROM is_dst")
    assert cur.fetchone()[0] == 2400
    cur.execute("INSERT INTO is_dst SELECT * FROM is_src WHERE id < 0")
    assert cur.rowcount == 0
    # More values than target columns is PostgreSQL's 42601, nothing written.
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("INSERT INTO is_sums SELECT grp, 1, 2, 3 FROM is_src")
    assert e.value.pgcode == "42601"
    cur.execute("SELECT count(*) FROM is_sums")
    assert cur.fetchone()[0] == 7
    conn.close()


def test_rename_table(sharded):
    """ALTER TABLE RENAME TO: the rows, keys, indexes and constraints go with the new name, on
    every node and replicaset; the old name is free for a table of its own; errors name the
    table by its new name."""
    n1, n2 = sharded.nodes
    conn = connect(n1)
    cur = conn.cursor()
    cur.execute("CREATE TABLE rn_a (id int PRIMARY KEY, v text UNIQUE, n int NOT NULL)")
    cur.execute("CREATE INDEX rn_a_n ON rn_a (n)")
    cur.execute("CREATE TABLE rn_g (code text PRIMARY KEY, label text) DISTRIBUTED GLOBALLY")
    cur.execute("INSERT INTO rn_a SELECT g, 'v' || g, g * 10 FROM generate_series(1, 60) g")
    cur.execute("INSERT INTO rn_g VALUES ('x', 'ex')")
    cur.execute("ALTER TABLE rn_a RENAME TO rn_b")
    assert cur.statusmessage == "ALTER TABLE"
    cur.execute("ALTER TABLE rn_g RENAME TO rn_h")
    other = connect(n2).cursor()
    for c in (cur, other):
        c.execute("SELECT count(*), sum(n) FROM rn_b")
        assert c.fetchone() == (60, sum(range(1, 61)) * 10)
        c.execute("SELECT v FROM rn_b WHERE id = 7")  # routed by key
        assert c.fetchone() == ("v7",)
        c.execute("SELECT label FROM rn_h")
        assert c.fetchall() == [("ex",)]
        for old in ("rn_a", "rn_g"):
            with pytest.raises(psycopg2.errors.UndefinedTable):
                c.execute("SELECT * FROM %s" % old)
    with pytest.raises(psycopg2.errors.UniqueViolation) as e:
        cur.execute("INSERT INTO rn_b VALUES (3, 'v300', 1)")
    assert "rn_b" in str(e.value) and "rn_a" not in str(e.value), str(e.value)
    with pytest.raises(psycopg2.errors.NotNullViolation):
        cur.execute("INSERT INTO rn_b VALUES (101, 'new', NULL)")
    # The old name is free: a table of its own, its own rows.
    cur.execute("CREATE TABLE rn_a (k text PRIMARY KEY, w int)")
    cur.execute("INSERT INTO rn_a VALUES ('one', 1), ('two', 2)")
    cur.execute("SELECT k FROM rn_a ORDER BY k")
    assert cur.fetchall() == [("one",), ("two",)]
    cur.execute("SELECT count(*) FROM rn_b")
    assert cur.fetchone() == (60,)
    with pytest.raises(psycopg2.errors.UniqueViolation) as e:
        cur.execute("INSERT INTO rn_a VALUES ('one', 3)")
    assert "rn_a" in str(e.value) and "rn_b" not in str(e.value), str(e.value)
    # A name that is taken; a table that is not there.
    with pytest.raises(psycopg2.errors.DuplicateTable):
        cur.execute("ALTER TABLE rn_b RENAME TO rn_a")
    with pytest.raises(psycopg2.errors.UndefinedTable):
        cur.execute("ALTER TABLE rn_nothing RENAME TO rn_z")
    cur.execute("ALTER TABLE IF EXISTS rn_nothing RENAME TO rn_z")
    # Renamed again, altered and written: the definition keeps its SQLite table.
    cur.execute("ALTER TABLE rn_b RENAME TO rn_c")
    cur.execute("ALTER TABLE rn_c ADD COLUMN w int DEFAULT 7")
    cur.execute("UPDATE rn_c SET w = w + id WHERE id <= 2")
    cur.execute("INSERT INTO rn_c (id, v, n) VALUES (61, 'v61', 610)")
    cur.execute("SELECT id, w FROM rn_c WHERE id IN (1, 2, 3, 61) ORDER BY id")
    assert cur.fetchall() == [(1, 8), (2, 9), (3, 7), (61, 7)]
    cur.execute("SELECT table_name FROM information_schema.tables "
                "WHERE table_name LIKE 'rn%' ORDER BY 1")
    assert cur.fetchall() == [("rn_a",), ("rn_c",), ("rn_h",)]
    r = psql(n2, "-c", r"\d rn_c")
    assert 'Table "public.rn_c"' in r.stdout and '"rn_c_pkey" PRIMARY KEY' in r.stdout, r.stdout
    assert '"rn_a_n" btree (n)' in r.stdout, r.stdout
    cur.execute("DROP TABLE rn_a, rn_c, rn_h")
    cur.execute("CREATE TABLE rn_c (x int)")
    cur.execute("SELECT count(*) FROM rn_c")
    assert cur.fetchone() == (0,)
    cur.execute("DROP TABLE rn_c")


def test_renamed_table_survives_a_restart(tmp_path):
    c = Cluster(str(tmp_path))
    c.start(1)
    n = c.nodes[0]
    try:
        wait_pg(n)
        cur = connect(n).cursor()
        cur.execute("CREATE TABLE rs_a (id int PRIMARY KEY, v text)")
        cur.execute("INSERT INTO rs_a VALUES (1, 'kept')")
        cur.execute("ALTER TABLE rs_a RENAME TO rs_b")
        cur.execute("CREATE TABLE rs_a (id int PRIMARY KEY, w text)")
        cur.execute("INSERT INTO rs_a VALUES (1, 'new')")
        n.terminate()
        n.start()
        n.wait_up()
        wait_pg(n)
        cur = connect(n).cursor()
        cur.execute("SELECT v FROM rs_b")
        assert cur.fetchall() == [("kept",)]
        cur.execute("SELECT w FROM rs_a")
        assert cur.fetchall() == [("new",)]
    finally:
        c.stop_all()
    c.check_sanitizers()


# ---- a node killed under a write load ----

def test_a_node_just_started_takes_sql_writes(tmp_path):
    """The protocol answers a moment before the node has learned where rows go: statements
    and COPY then wait for the map instead of failing (pgbench -i run the instant psql works)."""
    c = Cluster(str(tmp_path))
    try:
        node = c.add(extra=["--replication-factor", "1"]).start()
        deadline = time.time() + 30
        while True:
            try:
                connect(node).close()
                break
            except psycopg2.OperationalError:
                assert time.time() < deadline, "the node never answered"
                time.sleep(0.02)
        pgbench(node, "-i", "-s", "1")
        conn = connect(node)
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == 100000
        conn.close()
    finally:
        c.stop_all()
        c.check_sanitizers()


def test_copy_while_buckets_move(tmp_path):
    """COPY FROM while a second replicaset takes its buckets: the COPY waits for the moves
    (its batches are not re-routed), and every row lands where its key says."""
    c = Cluster(str(tmp_path))
    try:
        c.start(1, extra=["--bucket-count", "64"], rf=1)
        wait_pg(c.nodes[0])
        conn = connect(c.nodes[0])
        cur = conn.cursor()
        cur.execute("CREATE TABLE mv_copy (id int PRIMARY KEY, grp int)")
        c.add().start().wait_up()
        wait_for(lambda: c.nodes[0].cluster().get("moves"), 30, "bucket moves to begin")
        for round_ in range(3):
            rows = "".join("%d\t%d\n" % (i, i % 10)
                           for i in range(round_ * 4000 + 1, round_ * 4000 + 4001))
            cur.copy_expert("COPY mv_copy FROM STDIN", io.StringIO(rows))
            assert cur.rowcount == 4000
        wait_balanced(c, 2, 4, 60, "two replicasets sharing the buckets")
        cur.execute("SELECT count(*), count(DISTINCT id), sum(id) FROM mv_copy")
        assert cur.fetchone() == (12000, 12000, 12000 * 12001 // 2)
        for k in range(1, 12001, 997):
            cur.execute("SELECT grp FROM mv_copy WHERE id = %s", (k,))
            assert cur.fetchall() == [(k % 10,)], k
        conn.close()
    finally:
        c.stop_all()
        c.check_sanitizers()


def test_kept_commits_are_what_the_followers_apply(tmp_path):
    """The leader commits a block by keeping the savepoint its statements ran in; its followers
    run the statements from the log. With random() and gen_random_uuid() in them, the two must
    still agree: after the leader is killed, another replica answers with the very values the
    client saw and committed."""
    c = Cluster(str(tmp_path))
    try:
        c.start(3)
        for n in c.nodes:
            wait_pg(n)
        conn, cur = block_on(c.nodes[0],
                             "CREATE TABLE kept_rand (id int PRIMARY KEY, v float, u uuid)")
        seen = {}
        for i in range(20):
            cur.execute("INSERT INTO kept_rand VALUES (%s, random(), gen_random_uuid()) "
                        "RETURNING v, u", (i,))
            seen[i] = cur.fetchone()
            if i % 2:
                cur.execute("UPDATE kept_rand SET v = v + random() WHERE id = %s RETURNING v",
                            (i,))
                seen[i] = (cur.fetchone()[0], seen[i][1])
            conn.commit()
        conn.close()
        # Most were kept (a store checkpoint between a statement and its COMMIT releases the
        # savepoint: that one is run again, as on the followers).
        assert kept_commits(c.nodes) >= 10
        leader = group_leader(c.nodes, 2)
        assert leader is not None
        leader.kill()
        survivor = [n for n in c.nodes if n is not leader][0]

        def read_all():
            try:
                cur = connect(survivor).cursor()
                cur.execute("SELECT id, v, u FROM kept_rand ORDER BY id")
                return cur.fetchall()
            except psycopg2.Error:
                return None
        wait_for(lambda: read_all() is not None, 60, "a new leader to answer")
        assert {r[0]: (r[1], r[2]) for r in read_all()} == seen
    finally:
        c.stop_all()
        c.check_sanitizers()


def test_node_killed_during_writes_loses_no_acknowledged_row(tmp_path):
    c = Cluster(str(tmp_path))
    try:
        c.start(3)
        for n in c.nodes:
            wait_pg(n)
        conn = connect(c.nodes[0])
        conn.cursor().execute("CREATE TABLE kill_rows (id int PRIMARY KEY, v text)")
        conn.close()
        acked = []
        stop = threading.Event()
        errors = []

        def writer(node, start):
            i = start
            conn = None
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = connect(node)
                    conn.cursor().execute("INSERT INTO kill_rows VALUES (%s, 'x')", (i,))
                    acked.append(i)
                    i += 2
                except psycopg2.Error as e:
                    errors.append(str(e))
                    if getattr(e, "pgcode", None) == "23505":
                        i += 2  # the write did land before its answer was lost
                    conn = None
                    time.sleep(0.05)

        victim = c.leader()
        survivors = [n for n in c.nodes if n is not victim]
        threads = [threading.Thread(target=writer, args=(survivors[0], 0)),
                   threading.Thread(target=writer, args=(survivors[1], 1))]
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= 50, 60, "50 acknowledged inserts")
        victim.kill()
        before = len(acked)
        wait_for(lambda: len(acked) >= before + 50, 90, "inserts to go on after the kill")
        stop.set()
        for t in threads:
            t.join(30)
        cur = connect(survivors[0]).cursor()
        cur.execute("SELECT id FROM kill_rows")
        present = {r[0] for r in cur.fetchall()}
        missing = sorted(set(acked) - present)
        assert not missing, "acknowledged rows lost: %s (errors: %s)" % (missing[:20], errors[:5])
    finally:
        c.stop_all()
        c.check_sanitizers()
