#!/usr/bin/python3
"""Differential SQL testing: run a .sql file's statements on PostgreSQL (the reference) and on
a target (Cairn, or PostgreSQL again), and report every statement whose answer differs: column
names and types, rows as the text the server sent, row order when the query orders, command
status, SQLSTATE. The file format and its directives are described in tests/sql/README.md.

Library for tests/integration/test_sql_diff.py, and a command line to run files by hand:
    /usr/bin/python3 tests/sql/difftest.py tests/sql/joins.sql            # PG against PG
    /usr/bin/python3 tests/sql/difftest.py --cairn 127.0.0.1:7432 tests/sql/*.sql
"""
import os
import re
import select
import sys
import time

STATEMENT_TIMEOUT_S = float(os.environ.get("DIFFTEST_STATEMENT_TIMEOUT_S", "30"))
REPORT_ROWS_MAX = 25  # rows of each side printed for one mismatch

SQLSTATE_RE = re.compile(r"^[0-9A-Z]{5}$")


class CorpusError(Exception):
    """A .sql file that cannot be parsed (unterminated string, malformed directive)."""


# ------------------------------------------------------------------ lexing and splitting

_IDENT_START = re.compile(r"[A-Za-z_\x80-\U0010ffff]")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")


def tokens(text, path="<sql>"):
    """Yields (kind, start, end) over text, kind one of: 'comment' (-- or /* */), 'string'
    ('..', E'..', $$..$$), 'ident' ("..", words), 'punct' (one char), 'space'. Follows
    PostgreSQL's lexer where statement boundaries depend on it: standard_conforming_strings
    (backslash is literal in '..' but escapes in E'..'), nested /* */, dollar quoting."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            yield "space", i, j
            i = j
        elif text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            yield "comment", i, j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                raise CorpusError("%s:%d: unterminated /* comment" % (path, line_of(text, i)))
            yield "comment", i, j
            i = j
        elif c in "eE" and text.startswith("'", i + 1):
            j = i + 2
            while True:
                if j >= n:
                    raise CorpusError("%s:%d: unterminated E'' string" % (path, line_of(text, i)))
                if text[j] == "\\":
                    j += 2
                elif text.startswith("''", j):
                    j += 2
                elif text[j] == "'":
                    j += 1
                    break
                else:
                    j += 1
            yield "string", i, j
            i = j
        elif c == "'" or c == '"':
            j = i + 1
            while True:
                k = text.find(c, j)
                if k < 0:
                    raise CorpusError("%s:%d: unterminated %s" % (path, line_of(text, i), c))
                if text.startswith(c + c, k):
                    j = k + 2
                    continue
                j = k + 1
                break
            yield ("string" if c == "'" else "ident"), i, j
            i = j
        elif c == "$" and _DOLLAR_TAG.match(text, i):
            tag = _DOLLAR_TAG.match(text, i).group(0)
            k = text.find(tag, i + len(tag))
            if k < 0:
                raise CorpusError("%s:%d: unterminated %s quote" % (path, line_of(text, i), tag))
            yield "string", i, k + len(tag)
            i = k + len(tag)
        elif _IDENT_START.match(c) or c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            yield "ident", i, j
            i = j
        else:
            yield "punct", i, i + 1
            i += 1


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


class Statement:
    """One statement of a .sql file with the directives that apply to it."""

    def __init__(self, path, line, sql):
        self.path = path
        self.line = line            # line of the statement's first token
        self.sql = sql              # as sent to PostgreSQL, without the terminating ';'
        self.error = None           # expected SQLSTATE (-- error XXXXX)
        self.unordered = False      # -- unordered
        self.cairn_suffix = []      # -- cairn: TEXT, appended for Cairn targets
        self.cairn_differs = None   # -- cairn-differs: reason
        self.sharded_differs = None  # -- cairn-sharded-differs: reason
        self.session = "main"       # -- session NAME
        self.ordered = None         # set by finish(): compare row order?

    @property
    def where(self):
        return "%s:%d" % (self.path, self.line)

    def sql_for(self, target):
        if target.cairn and self.cairn_suffix:
            return self.sql + " " + " ".join(self.cairn_suffix)
        return self.sql

    def differs_on(self, target):
        """The reason this statement is a deliberate deviation on target, or None."""
        if target.cairn and self.cairn_differs:
            return self.cairn_differs
        if target.cairn and target.sharded and self.sharded_differs:
            return self.sharded_differs
        return None

    def finish(self):
        self.ordered = has_top_level_order_by(self.sql) and not self.unordered


_DIRECTIVE_WORDS = ("unordered", "error", "session", "cairn")


def _apply_directive(stmt, comment, path, line):
    """Applies the directive in a `--` comment to stmt; returns False when the comment is prose.
    A comment whose first word is a directive word must be a well-formed directive."""
    if not comment.startswith("--"):
        return False
    body = comment[2:].strip()
    word = re.match(r"[a-z-]*", body).group(0)
    if word not in _DIRECTIVE_WORDS and not word.startswith("cairn"):
        return False
    where = "%s:%d" % (path, line)
    m = re.fullmatch(r"unordered", body)
    if m:
        stmt.unordered = True
        return True
    m = re.fullmatch(r"error\s+(\S+)", body)
    if m:
        if not SQLSTATE_RE.match(m.group(1)):
            raise CorpusError("%s: `-- error` needs a 5-character SQLSTATE, got %r" % (
                where, m.group(1)))
        if stmt.error:
            raise CorpusError("%s: two `-- error` directives for one statement" % where)
        stmt.error = m.group(1)
        return True
    m = re.fullmatch(r"session\s+([A-Za-z0-9_]+)", body)
    if m:
        stmt.session = m.group(1)
        return True
    m = re.fullmatch(r"cairn:\s*(\S.*)", body)
    if m:
        stmt.cairn_suffix.append(m.group(1).strip())
        return True
    m = re.fullmatch(r"cairn-differs:\s*(\S.*)", body)
    if m:
        stmt.cairn_differs = m.group(1).strip()
        return True
    m = re.fullmatch(r"cairn-sharded-differs:\s*(\S.*)", body)
    if m:
        stmt.sharded_differs = m.group(1).strip()
        return True
    raise CorpusError("%s: malformed directive %r (see tests/sql/README.md)" % (where, comment))


def parse_sql(text, path="<sql>"):
    """Splits a .sql file into Statements. Directives (`-- ...` comments, README.md) apply to
    the statement they precede, sit inside, or trail on the line of its terminating ';'."""
    out = []
    pending = []        # (comment, pos) directives seen before the next statement starts
    cur_start = None    # position of the current statement's first token
    cur_end = None      # end of its last token so far
    cur_comments = []
    last = None         # the statement just ended, and the line its ';' is on
    last_semi_line = None
    for kind, s, e in tokens(text, path):
        if kind == "space":
            continue
        if kind == "comment":
            if cur_start is None and last is not None and line_of(text, s) == last_semi_line:
                _apply_directive(last, text[s:e], path, last_semi_line)  # prose: ignored
                continue
            (pending if cur_start is None else cur_comments).append((text[s:e], s))
            continue
        if kind == "punct" and text[s] == ";":
            if cur_start is None:
                continue  # an empty statement
            stmt = Statement(path, line_of(text, cur_start), text[cur_start:cur_end])
            for comment, pos in pending + cur_comments:
                _apply_directive(stmt, comment, path, line_of(text, pos))
            out.append(stmt)
            pending, cur_comments, cur_start = [], [], None
            last, last_semi_line = stmt, line_of(text, s)
            continue
        if cur_start is None:
            cur_start = s
        cur_end = e  # trailing comments stay out: a Cairn suffix must not land in one
    if cur_start is not None:
        raise CorpusError("%s:%d: statement without a terminating ';'" % (
            path, line_of(text, cur_start)))
    for comment, pos in pending:
        probe = Statement(path, 0, "")
        if _apply_directive(probe, comment, path, line_of(text, pos)):
            raise CorpusError("%s:%d: directive after the last statement" % (
                path, line_of(text, pos)))
    for stmt in out:
        stmt.finish()
    return out


def parse_file(path):
    with open(path, encoding="utf-8") as f:
        return parse_sql(f.read(), path)


def _words(sql):
    """Upper-cased words of sql outside strings and comments, with their paren depth."""
    depth = 0
    for kind, s, e in tokens(sql):
        if kind == "punct":
            if sql[s] == "(":
                depth += 1
            elif sql[s] == ")":
                depth -= 1
        elif kind == "ident" and sql[s] != '"':
            yield sql[s:e].upper(), depth


def has_top_level_order_by(sql):
    """True when the outermost query orders its rows (ORDER BY outside any parentheses: not in
    a subquery, a window or an aggregate's argument list)."""
    prev = None
    for w, depth in _words(sql):
        if depth == 0 and prev == "ORDER" and w == "BY":
            return True
        prev = w if depth == 0 else None
    return False


_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)", re.I)
_RENAME_TABLE = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?\S+\s+RENAME\s+TO\s+"
    r"(\"(?:[^\"]|\"\")+\"|[A-Za-z_][A-Za-z0-9_$]*)", re.I)


def tables_created(statements):
    """Names (as written) of the tables a file creates: what to drop around it on a target that
    shares one database between files."""
    out = []
    for st in statements:
        for rx in (_CREATE_TABLE, _RENAME_TABLE):
            m = rx.match(st.sql)
            if m and m.group(1) not in out:
                out.append(m.group(1))
    return out


# ------------------------------------------------------------------ executing

class Outcome:
    """What one statement did: error (SQLSTATE and message) or success (command status, columns
    as (name, type OID), rows as tuples of the server's text or None)."""

    def __init__(self, status=None, columns=None, rows=None, sqlstate=None, message=None,
                 broken=None):
        self.status = status
        self.columns = columns
        self.rows = rows
        self.sqlstate = sqlstate
        self.message = message
        self.broken = broken  # timeout, lost connection, undecodable reply: rest not run

    @property
    def failed(self):
        return self.sqlstate is not None or self.broken is not None

    def summary(self):
        if self.broken:
            return "BROKEN: %s" % self.broken
        if self.sqlstate:
            return "ERROR %s: %s" % (self.sqlstate, (self.message or "").strip().splitlines()[0]
                                     if self.message else "")
        cols = ""
        if self.columns is not None:
            cols = "  [%s]" % ", ".join("%s %s" % (n, _type_name(t)) for n, t in self.columns)
        return "%s%s" % (self.status, cols)


_TYPE_NAMES = {16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2",
               23: "int4", 25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8",
               705: "unknown", 1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time",
               1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1700: "numeric",
               3802: "jsonb", 2950: "uuid", 1007: "int4[]", 1009: "text[]", 1016: "int8[]"}


def _type_name(oid):
    return _TYPE_NAMES.get(oid, "oid%s" % oid)


def _raw(value, cursor):
    return value


_deadline = [None]
_cancelled = [False]


def _wait_with_deadline(conn):
    """psycopg2 wait callback (green mode): like psycopg2.extras.wait_select, but a statement
    running past the deadline is cancelled, and if the server ignores the cancel the wait ends
    with TimeoutError (the connection is then unusable)."""
    import psycopg2.extensions as ext
    cancelled = False
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        now = time.monotonic()
        limit = _deadline[0]
        if limit is not None and now > limit:
            if cancelled:
                raise TimeoutError("no answer %ss after the statement timeout and a cancel"
                                   % STATEMENT_TIMEOUT_S)
            try:
                conn.cancel()
            except Exception as e:  # not connected yet, or the cancel cannot be sent
                raise TimeoutError("no answer within the timeout (%s)" % str(e).strip())
            cancelled = _cancelled[0] = True
            _deadline[0] = now + 5
            continue
        wait = 0.5 if limit is None else max(0.0, min(0.5, limit - now))
        if state == ext.POLL_READ:
            select.select([conn.fileno()], [], [], wait)
        elif state == ext.POLL_WRITE:
            select.select([], [conn.fileno()], [], wait)
        else:
            raise OSError("bad psycopg2 poll state %r" % state)


class _GreenMode:
    """Installs the deadline wait callback for the duration of a run (it is process-global)."""

    def __enter__(self):
        import psycopg2.extensions as ext
        self.saved = ext.get_wait_callback()
        ext.set_wait_callback(_wait_with_deadline)

    def __exit__(self, *exc):
        import psycopg2.extensions as ext
        ext.set_wait_callback(self.saved)
        _deadline[0] = None


def connect_within(fn, timeout_s=STATEMENT_TIMEOUT_S):
    """fn() (a psycopg2 connect) with a deadline: in green mode libpq's connect_timeout is not
    applied, and a server that accepts but never answers must not hang the run."""
    _deadline[0] = time.monotonic() + timeout_s
    _cancelled[0] = False
    try:
        return fn()
    finally:
        _deadline[0] = None


def raw_text(conn):
    """Makes conn return every value as the exact text the server sent (None for NULL): a
    typecaster returning its input, registered on conn for every OID psycopg2 would otherwise
    convert. OIDs psycopg2 does not know already come back as str."""
    import psycopg2.extensions as ext
    for oid in list(ext.string_types):
        ext.register_type(ext.new_type((oid,), "RAW_%d" % oid, _raw), conn)
    conn.autocommit = True
    return conn


def execute(conn, sql, timeout_s=STATEMENT_TIMEOUT_S):
    """Runs one statement on a raw_text() connection; returns its Outcome, never raises."""
    import psycopg2
    cur = conn.cursor()
    _deadline[0] = time.monotonic() + timeout_s
    _cancelled[0] = False
    try:
        cur.execute(sql)
        columns = rows = None
        if cur.description is not None:
            columns = [(d.name, d.type_code) for d in cur.description]
            rows = [tuple(r) for r in cur.fetchall()]
        return Outcome(status=cur.statusmessage, columns=columns, rows=rows)
    except TimeoutError as e:
        return Outcome(broken="timed out: %s" % e)
    except psycopg2.Error as e:
        if e.pgcode:
            if e.pgcode == "57014" and _cancelled[0]:
                return Outcome(broken="cancelled after the %ss statement timeout" % timeout_s)
            msg = getattr(getattr(e, "diag", None), "message_primary", None)
            return Outcome(sqlstate=e.pgcode, message=msg or e.pgerror or str(e))
        return Outcome(broken="%s: %s" % (type(e).__name__, str(e).strip()))
    except Exception as e:  # undecodable text, protocol surprises: all the target's fault
        return Outcome(broken="%s: %s" % (type(e).__name__, e))
    finally:
        _deadline[0] = None
        try:
            cur.close()
        except Exception:
            pass


# ------------------------------------------------------------------ targets

class Target:
    """Where statements run. Subclasses give connections for one file at a time.
    cairn: Cairn-only directives apply; sharded: more than one replicaset."""
    name = "target"
    cairn = False
    sharded = False

    def begin_file(self, index, path, statements):
        """Prepares an empty namespace for the file (index counts files run so far)."""

    def connect(self, session="main", ordinal=0):
        """A new connection for the file's session `session`, the ordinal-th opened (0 for the
        first); targets with several nodes spread sessions over them."""
        raise NotImplementedError

    def end_file(self):
        """Called after every connection of the file is closed."""

    def notes(self):
        return []


class FreshDatabaseTarget(Target):
    """PostgreSQL: a new database per file (dropped afterwards). The reference runs this way."""

    def __init__(self, server, prefix="ref", name="postgres"):
        self.server = server
        self.prefix = prefix
        self.name = name
        self.db = None

    def begin_file(self, index, path, statements):
        stem = re.sub(r"[^a-z0-9_]", "_", os.path.splitext(os.path.basename(path))[0].lower())
        self.db = "%s_%s" % (self.prefix, stem)
        self.server.create_database(self.db)

    def connect(self, session="main", ordinal=0):
        return self.server.connect(self.db)

    def end_file(self):
        self.server.drop_database(self.db)


class SharedDatabaseTarget(Target):
    """One database for every file (Cairn has no CREATE DATABASE): before and after a file,
    `DROP TABLE IF EXISTS` every table the file creates. connect_fns are tried round-robin by
    file, so a cluster's files arrive through different nodes."""

    def __init__(self, name, connect_fns, cairn=False, sharded=False):
        self.name = name
        self.connect_fns = list(connect_fns)
        self.cairn = cairn
        self.sharded = sharded
        self.index = 0
        self.tables = []
        self._notes = []

    def _drop(self, when):
        if not self.tables:
            return
        try:
            conn = raw_text(connect_within(self.connect_fns[self.index % len(self.connect_fns)]))
        except Exception as e:
            self._notes.append("%s: cannot connect to drop tables %s: %s" % (when, self.tables, e))
            return
        try:
            o = execute(conn, "DROP TABLE IF EXISTS %s" % ", ".join(self.tables))
            if o.failed:
                self._notes.append("%s: DROP TABLE IF EXISTS %s: %s" % (
                    when, ", ".join(self.tables), o.summary()))
        finally:
            conn.close()

    def begin_file(self, index, path, statements):
        self.index = index
        self.tables = tables_created(statements)
        self._drop("before %s" % path)

    def connect(self, session="main", ordinal=0):
        # A second session goes through another node: what one commits, all must see.
        return self.connect_fns[(self.index + ordinal) % len(self.connect_fns)]()

    def end_file(self):
        self._drop("after file")

    def notes(self):
        out, self._notes = self._notes, []
        return out


def run_statements(target, statements, path, index=0, timeout_s=STATEMENT_TIMEOUT_S,
                   rewrite=None):
    """Runs statements on target in order; returns one Outcome per statement (None for those
    not run because the target broke). rewrite(stmt, sql) -> sql lets tests falsify a target."""
    import psycopg2
    outcomes = []
    conns = {}
    broken = None
    with _GreenMode():
        target.begin_file(index, path, statements)
        try:
            for st in statements:
                if broken:
                    outcomes.append(None)
                    continue
                conn = conns.get(st.session)
                if conn is None:
                    try:
                        conn = conns[st.session] = raw_text(connect_within(
                            lambda: target.connect(st.session, len(conns)), timeout_s))
                    except (psycopg2.Error, OSError) as e:
                        broken = "cannot connect: %s" % str(e).strip()
                        outcomes.append(Outcome(broken=broken))
                        continue
                sql = st.sql_for(target)
                if rewrite:
                    sql = rewrite(st, sql)
                o = execute(conn, sql, timeout_s)
                if o.broken:
                    broken = o.broken
                outcomes.append(o)
        finally:
            for c in conns.values():
                try:
                    c.close()
                except Exception:
                    pass
            target.end_file()
    return outcomes


# ------------------------------------------------------------------ comparing

class Mismatch:
    def __init__(self, stmt, kind, detail, ref=None, got=None, target=None):
        self.stmt, self.kind, self.detail = stmt, kind, detail
        self.ref, self.got, self.target = ref, got, target

    def render(self):
        out = ["%s: %s%s" % (self.stmt.where, self.kind, (": " + self.detail) if self.detail else ""),
               "  SQL: %s" % _indent(self.stmt.sql, "       ")]
        if self.ref is not None:
            out += _render_outcome("postgres", self.ref)
        if self.got is not None:
            out += _render_outcome(self.target or "target", self.got)
        return "\n".join(out)


def _indent(text, pad):
    return ("\n" + pad).join(text.splitlines())


def _fmt_row(row):
    return "(" + ", ".join("NULL" if v is None else repr(v) for v in row) + ")"


def _render_outcome(label, o):
    out = ["  %s: %s" % (label, o.summary())]
    if o.rows is not None:
        for r in o.rows[:REPORT_ROWS_MAX]:
            out.append("      " + _fmt_row(r))
        if len(o.rows) > REPORT_ROWS_MAX:
            out.append("      ... %d rows in all" % len(o.rows))
    return out


def _row_key(row):
    return tuple((v is None, v or "") for v in row)


def _multiset_diff(a, b):
    """Rows of a missing from b, and rows of b not in a (as multisets)."""
    from collections import Counter
    ca, cb = Counter(a), Counter(b)
    return sorted((ca - cb).elements(), key=_row_key), sorted((cb - ca).elements(), key=_row_key)


class FileResult:
    def __init__(self, path, target):
        self.path = path
        self.target = target
        self.mismatches = []      # Mismatch: target differs from PostgreSQL
        self.corpus_errors = []   # Mismatch: PostgreSQL itself contradicts the file
        self.deviations = []      # (stmt, reason, still differs?)
        self.notes = []
        self.compared = 0

    @property
    def ok(self):
        return not self.mismatches and not self.corpus_errors

    def report(self):
        out = []
        for m in self.corpus_errors:
            out.append("CORPUS " + m.render())
        for m in self.mismatches:
            out.append(m.render())
        for st, reason, differs in self.deviations:
            out.append("%s: deviation on %s (not compared%s): %s" % (
                st.where, self.target, "" if differs else "; the answers are now EQUAL",
                reason))
        for n in self.notes:
            out.append("note: %s" % n)
        return "\n".join(out)


def check_reference(statements, ref):
    """Corpus errors: PostgreSQL must fail exactly where the file says it fails."""
    out = []
    for st, r in zip(statements, ref):
        if r is None:
            continue
        if r.broken:
            out.append(Mismatch(st, "reference broke", r.broken, ref=r))
        elif st.error and r.sqlstate != st.error:
            out.append(Mismatch(st, "reference", "PostgreSQL answered %s, the file expects "
                                "error %s" % (r.sqlstate or "success", st.error), ref=r))
        elif not st.error and r.sqlstate:
            out.append(Mismatch(st, "reference", "PostgreSQL failed with %s and the file has no "
                                "`-- error %s`" % (r.sqlstate, r.sqlstate), ref=r))
    return out


def compare_one(st, r, g, target_name, compare_types=True):
    """The ways target outcome g differs from reference outcome r (list of (kind, detail))."""
    if g is None:
        return [("not run", "the target broke earlier in the file")]
    if g.broken:
        return [("target broke", g.broken)]
    if r.sqlstate or g.sqlstate:
        if r.sqlstate != g.sqlstate:
            return [("SQLSTATE", "expected %s, got %s" % (r.sqlstate or "success",
                                                          g.sqlstate or "success"))]
        return []
    out = []
    if r.status != g.status:
        out.append(("command status", "expected %r, got %r" % (r.status, g.status)))
    if (r.columns is None) != (g.columns is None):
        out.append(("result shape", "expected %s, got %s" % (
            "rows" if r.columns is not None else "no rows",
            "rows" if g.columns is not None else "no rows")))
        return out
    if r.columns is None:
        return out
    rn, gn = [c[0] for c in r.columns], [c[0] for c in g.columns]
    if rn != gn:
        out.append(("column names", "expected %s, got %s" % (rn, gn)))
    if compare_types and len(rn) == len(gn):
        rt, gt = [c[1] for c in r.columns], [c[1] for c in g.columns]
        if rt != gt:
            out.append(("column types", "expected %s, got %s" % (
                [_type_name(t) for t in rt], [_type_name(t) for t in gt])))
    if st.ordered:
        if r.rows != g.rows:
            missing, extra = _multiset_diff(r.rows, g.rows)
            if not missing and not extra:
                out.append(("row order", "same rows, different order (the query has ORDER BY)"))
            else:
                out.append(("rows", _diff_text(missing, extra)))
    else:
        missing, extra = _multiset_diff(r.rows, g.rows)
        if missing or extra:
            out.append(("rows", "(compared unordered) " + _diff_text(missing, extra)))
    return out


def _diff_text(missing, extra):
    parts = []
    if missing:
        parts.append("missing %s" % ", ".join(_fmt_row(x) for x in missing[:5]) +
                     (" ... (%d)" % len(missing) if len(missing) > 5 else ""))
    if extra:
        parts.append("unexpected %s" % ", ".join(_fmt_row(x) for x in extra[:5]) +
                     (" ... (%d)" % len(extra) if len(extra) > 5 else ""))
    return "; ".join(parts)


def compare(statements, ref, got, target, path, compare_types=True):
    """FileResult of target's outcomes `got` against PostgreSQL's `ref`."""
    res = FileResult(path, target.name)
    res.corpus_errors = check_reference(statements, ref)
    for st, r, g in zip(statements, ref, got):
        if r is None:
            continue
        diffs = compare_one(st, r, g, target.name, compare_types)
        reason = st.differs_on(target)
        if reason:
            res.deviations.append((st, reason, bool(diffs)))
            continue
        res.compared += 1
        if diffs:
            res.mismatches.append(Mismatch(st, "; ".join(k for k, _ in diffs),
                                           " | ".join(d for _, d in diffs),
                                           ref=r, got=g, target=target.name))
    res.notes = target.notes()
    return res


class Reference:
    """PostgreSQL's outcomes per file, computed once (fresh database per file) and shared by
    every target compared against it."""

    def __init__(self, target, timeout_s=STATEMENT_TIMEOUT_S):
        self.target = target
        self.timeout_s = timeout_s
        self.cache = {}

    def outcomes(self, path, statements):
        key = (path, tuple(s.sql for s in statements))
        if key not in self.cache:
            self.cache[key] = run_statements(self.target, statements, path,
                                             timeout_s=self.timeout_s)
        return self.cache[key]


def run_file(path, reference, target, index=0, compare_types=True, statements=None,
             rewrite=None, timeout_s=STATEMENT_TIMEOUT_S):
    """Parses path (unless statements are given), runs it on the reference and on target, and
    returns the FileResult."""
    statements = statements if statements is not None else parse_file(path)
    ref = reference.outcomes(path, statements)
    got = run_statements(target, statements, path, index=index, timeout_s=timeout_s,
                         rewrite=rewrite)
    return compare(statements, ref, got, target, path, compare_types)


# ------------------------------------------------------------------ command line

def _main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Run .sql files on PostgreSQL and a target; "
                                 "print every difference.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--cairn", metavar="HOST:PORT", action="append",
                    help="a running Cairn's --pg address (repeat for several nodes of a "
                    "cluster); default: compare PostgreSQL with itself")
    ap.add_argument("--sharded", action="store_true",
                    help="the Cairn target has more than one replicaset")
    ap.add_argument("--ref-dsn", help="reference PostgreSQL server (libpq DSN of a database "
                    "whose user may CREATE DATABASE); default: a private PostgreSQL 15")
    ap.add_argument("--no-types", action="store_true", help="do not compare column type OIDs")
    ap.add_argument("--show", action="store_true", help="print PostgreSQL's answer to every "
                    "statement (for writing a file), then compare as usual")
    args = ap.parse_args(argv)

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(os.path.dirname(here), "integration"))
    import psycopg2
    from pgfixture import PgServer

    own = None
    if args.ref_dsn:
        class _Dsn:
            def __init__(self, dsn):
                self.base = psycopg2.extensions.parse_dsn(dsn)

            def connect(self, dbname=None, autocommit=True):
                p = dict(self.base)
                if dbname:
                    p["dbname"] = dbname
                c = psycopg2.connect(**p)
                c.autocommit = autocommit
                return c

            def create_database(self, name):
                c = self.connect()
                c.cursor().execute('DROP DATABASE IF EXISTS "%s"' % name)
                c.cursor().execute('CREATE DATABASE "%s" TEMPLATE template0' % name)
                c.close()

            def drop_database(self, name):
                c = self.connect()
                c.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
                c.close()
        server = _Dsn(args.ref_dsn)
    else:
        server = own = PgServer().start()
    try:
        reference = Reference(FreshDatabaseTarget(server, "ref"))
        if args.cairn:
            fns = []
            for addr in args.cairn:
                host, port = addr.rsplit(":", 1)
                fns.append(lambda h=host, p=int(port): psycopg2.connect(
                    host=h, port=p, user="cairn", dbname="cairn", connect_timeout=10))
            target = SharedDatabaseTarget("cairn", fns, cairn=True, sharded=args.sharded)
        else:
            server.create_database("difftest_target")
            target = SharedDatabaseTarget("postgres-2", [lambda: server.connect("difftest_target")])
        bad = 0
        for i, path in enumerate(args.files):
            t0 = time.time()
            if args.show:
                sts = parse_file(path)
                for st, o in zip(sts, reference.outcomes(path, sts)):
                    print("%s:%d: %s" % (path, st.line, _indent(st.sql, "    ")))
                    print("\n".join(_render_outcome("    postgres", o) if o else ["    (not run)"]))
            res = run_file(path, reference, target, index=i, compare_types=not args.no_types)
            print("%s: %d compared, %d mismatches, %d corpus errors, %d deviations (%.1fs)" % (
                path, res.compared, len(res.mismatches), len(res.corpus_errors),
                len(res.deviations), time.time() - t0))
            text = res.report()
            if text:
                print(text)
            bad += not res.ok
        return 1 if bad else 0
    finally:
        if own:
            own.stop()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
