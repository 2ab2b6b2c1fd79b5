/* Tests of the router's walks over the SQL AST (src/sql/sql_walk.c) on statements parsed by
 * sql_parse: tables referenced (order, access, aliases, CTE scope), key conditions, inserted rows,
 * the children of an expression. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql_int.h"
#include "test.h"

static struct sql_parsed parsed;

/* The one statement of sql, or NULL (the error printed). The parse lives until the next call. */
static const struct sql_stmt *parse1(const char *sql)
{
    struct sql_error err = {0};
    sql_parsed_free(&parsed);
    int rc = sql_parse(sql, strlen(sql), &parsed, &err);
    if (rc != 0) {
        fprintf(stderr, "  parse failed (%s %s at %d): %s\n", err.sqlstate, err.message,
                err.position, sql);
        return NULL;
    }
    if (parsed.n != 1) {
        fprintf(stderr, "  %u statements: %s\n", parsed.n, sql);
        return NULL;
    }
    return parsed.stmts[0];
}

/* "R s.t/alias W u" for the tables of sql; "!" when the walk fails or the parse does. Also
 * checks what every reference's loc says: increasing, at the name as written. */
static char tables_text[64 * 1024];
static const char *tables_of(const char *sql)
{
    const struct sql_stmt *st = parse1(sql);
    strcpy(tables_text, "!");
    if (st == NULL)
        return tables_text;
    struct sql_table_ref *refs = NULL;
    uint32_t n = 99;
    int rc = sql_stmt_tables(st, &refs, &n);
    if (rc != 0) {
        snprintf(tables_text, sizeof tables_text, "!%s", err_name(rc));
        return tables_text;
    }
    size_t at = 0;
    tables_text[0] = '\0';
    int prev = -1;
    for (uint32_t i = 0; i < n; i++) {
        const struct sql_table_ref *r = &refs[i];
        const char *first = r->schema != NULL ? r->schema : r->name;
        const char *name_at = sql + r->loc + (r->loc >= 0 && sql[r->loc] == '"');
        if (r->loc <= prev || strncasecmp(name_at, first, strlen(first)) != 0) {
            snprintf(tables_text, sizeof tables_text, "!loc %d of %s", r->loc, r->name);
            return tables_text;
        }
        prev = r->loc;
        at += (size_t)snprintf(tables_text + at, sizeof tables_text - at, "%s%s%s%s%s%s%s",
                               i ? " " : "", r->access == SQL_ACCESS_WRITE ? "W " : "R ",
                               r->schema ? r->schema : "", r->schema ? "." : "", r->name,
                               r->alias ? "/" : "", r->alias ? r->alias : "");
        if (at >= sizeof tables_text)
            return "!too long";
    }
    return tables_text;
}

TEST(tables_from_items)
{
    CHECK_STR(tables_of("SELECT a FROM t"), "R t");
    CHECK_STR(tables_of("SELECT * FROM public.t AS x, u y"), "R public.t/x R u/y");
    CHECK_STR(tables_of("SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id)"),
              "R a R b R c");
    CHECK_STR(tables_of("SELECT * FROM t a JOIN t b ON a.x = b.x"), "R t/a R t/b");
    CHECK_STR(tables_of("SELECT * FROM (SELECT * FROM a) x, LATERAL (SELECT * FROM b "
                        "WHERE b.k = x.k) y"),
              "R a R b");
    CHECK_STR(tables_of("SELECT * FROM generate_series(1, (SELECT max(n) FROM m)) g"), "R m");
    CHECK_STR(tables_of("SELECT 1"), "");
    CHECK_STR(tables_of("SELECT * FROM a UNION SELECT * FROM b EXCEPT SELECT * FROM c"),
              "R a R b R c");
    CHECK_STR(tables_of("VALUES ((SELECT 1 FROM a)), (2)"), "R a");
    CHECK_STR(tables_of("SELECT * FROM \"Mixed\" JOIN s.\"T\" ON true"), "R Mixed R s.T");
}

TEST(tables_in_expressions)
{
    /* Subqueries in the select list, ON, WHERE, HAVING, ORDER BY, in text order. */
    CHECK_STR(tables_of("SELECT (SELECT max(x) FROM s1), a FROM t JOIN u ON u.id IN "
                        "(SELECT id FROM s2) WHERE EXISTS (SELECT 1 FROM s3) GROUP BY a "
                        "HAVING count(*) > ALL (SELECT n FROM s4) ORDER BY (SELECT 1 FROM s5)"),
              "R s1 R t R u R s2 R s3 R s4 R s5");
    CHECK_STR(tables_of("SELECT CASE WHEN a > 0 THEN (SELECT 1 FROM p) ELSE (SELECT 2 FROM q) "
                        "END, coalesce((SELECT 1 FROM r), 0), ARRAY(SELECT 1 FROM s) FROM t"),
              "R p R q R r R s R t");
    CHECK_STR(tables_of("SELECT * FROM t WHERE a = ANY (SELECT a FROM u) AND NOT b IN "
                        "(SELECT b FROM v) AND c BETWEEN (SELECT 1 FROM w) AND 2"),
              "R t R u R v R w");
    CHECK_STR(tables_of("SELECT sum(a) FILTER (WHERE a IN (SELECT 1 FROM f)) OVER "
                        "(PARTITION BY (SELECT 1 FROM p)) FROM t"),
              "R f R p R t");
    /* POSITION(a IN b) is stored as position(b, a): the answer is still in text order. */
    CHECK_STR(tables_of("SELECT position((SELECT 'a' FROM a1) IN (SELECT 'b' FROM b1))"),
              "R a1 R b1");
    CHECK_STR(tables_of("SELECT * FROM t LIMIT (SELECT 1 FROM l) OFFSET (SELECT 1 FROM o)"),
              "R t R l R o");
}

TEST(tables_cte_scope)
{
    CHECK_STR(tables_of("WITH c AS (SELECT * FROM t) SELECT * FROM c, d"), "R t R d");
    /* A non-recursive CTE does not see itself: the inner t is the table. */
    const char *self = "WITH t AS (SELECT * FROM t) SELECT * FROM t";
    CHECK_STR(tables_of(self), "R t");
    struct sql_table_ref *refs;
    uint32_t n;
    CHECK_EQ(sql_stmt_tables(parse1(self), &refs, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(refs[0].loc, strstr(self, "FROM t)") - self + 5);
    CHECK_STR(tables_of("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r "
                        "WHERE n < 5) SELECT * FROM r"),
              "");
    /* Siblings: a body sees the CTEs before it only. */
    CHECK_STR(tables_of("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM b"),
              "R b");
    CHECK_STR(tables_of("WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1) "
                        "SELECT * FROM a"),
              "");
    /* A WITH's names end with its query. */
    CHECK_STR(tables_of("SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) x, c"), "R c");
    CHECK_STR(tables_of("SELECT (WITH c AS (SELECT 1) SELECT * FROM c) FROM c"), "R c");
    CHECK_STR(tables_of("SELECT * FROM a WHERE EXISTS (WITH a AS (SELECT 1) SELECT * FROM a) "
                        "AND EXISTS (SELECT * FROM a)"),
              "R a R a");
    /* A qualified name is never a CTE. */
    CHECK_STR(tables_of("WITH c AS (SELECT 1) SELECT * FROM public.c"), "R public.c");
    /* Inner WITHs see the outer ones; the outer name stays a CTE after the inner one ends. */
    CHECK_STR(tables_of("WITH c AS (SELECT 1) SELECT * FROM (WITH c AS (SELECT * FROM c) "
                        "SELECT * FROM c) x, c"),
              "");
    CHECK_STR(tables_of("WITH c AS (SELECT 1) SELECT * FROM (SELECT * FROM c) x "
                        "WHERE EXISTS (SELECT 1 FROM c)"),
              "");
    /* The WITH of a set operation covers both sides. */
    CHECK_STR(tables_of("WITH c AS (SELECT * FROM t) SELECT * FROM c UNION SELECT * FROM c"),
              "R t");
    /* DML in a CTE, and a DML statement's own WITH. */
    CHECK_STR(tables_of("WITH d AS (DELETE FROM t WHERE a = 1 RETURNING *) INSERT INTO archive "
                        "SELECT * FROM d"),
              "W t W archive");
    CHECK_STR(tables_of("WITH c AS (SELECT 1 AS id) UPDATE t SET a = 1 FROM c WHERE t.id = c.id"),
              "W t");
    /* A DML target is a table even when a CTE has its name. */
    CHECK_STR(tables_of("WITH t AS (SELECT 1) INSERT INTO t SELECT * FROM t"), "W t");
    CHECK_STR(tables_of("WITH t AS (SELECT 1) DELETE FROM t USING t u"), "W t");
}

TEST(tables_dml)
{
    CHECK_STR(tables_of("INSERT INTO t (a, b) VALUES (1, (SELECT x FROM s))"), "W t R s");
    CHECK_STR(tables_of("INSERT INTO t AS z SELECT * FROM s ON CONFLICT (a) DO UPDATE SET "
                        "b = (SELECT 1 FROM u) WHERE z.a IN (SELECT a FROM v) RETURNING "
                        "(SELECT 1 FROM w)"),
              "W t/z R s R u R v R w");
    CHECK_STR(tables_of("INSERT INTO s.t DEFAULT VALUES"), "W s.t");
    CHECK_STR(tables_of("UPDATE t x SET a = (SELECT 1 FROM s) FROM u WHERE x.id = u.id "
                        "RETURNING *"),
              "W t/x R s R u");
    CHECK_STR(tables_of("UPDATE t SET (a, b) = (SELECT 1, 2 FROM s)"), "W t R s");
    CHECK_STR(tables_of("DELETE FROM ONLY t USING u WHERE t.id = u.id AND t.k IN "
                        "(SELECT k FROM v) RETURNING (SELECT 1 FROM r)"),
              "W t R u R v R r");
    CHECK_STR(tables_of("DELETE FROM t AS d"), "W t/d");
}

TEST(tables_ddl_and_others)
{
    CHECK_STR(tables_of("CREATE TABLE t (a int PRIMARY KEY, b int REFERENCES p (id))"), "W t R p");
    CHECK_STR(tables_of("CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES s.p)"), "W t R s.p");
    CHECK_STR(tables_of("CREATE TABLE t2 AS SELECT * FROM t"), "W t2 R t");
    CHECK_STR(tables_of("DROP TABLE IF EXISTS a, s.b"), "W a W s.b");
    CHECK_STR(tables_of("TRUNCATE a, b"), "W a W b");
    CHECK_STR(tables_of("ALTER TABLE a ADD COLUMN c int"), "W a");
    CHECK_STR(tables_of("CREATE INDEX i ON a (b)"), "W a");
    CHECK_STR(tables_of("DROP INDEX i"), "");
    CHECK_STR(tables_of("COPY t FROM STDIN"), "W t");
    CHECK_STR(tables_of("COPY t (a) TO STDOUT"), "R t");
    CHECK_STR(tables_of("COPY (SELECT * FROM t JOIN u USING (id)) TO STDOUT"), "R t R u");
    CHECK_STR(tables_of("EXPLAIN ANALYZE UPDATE t SET a = 1"), "W t");
    CHECK_STR(tables_of("EXPLAIN SELECT * FROM t, u"), "R t R u");
    CHECK_STR(tables_of("BEGIN"), "");
    CHECK_STR(tables_of("SET search_path = public"), "");
    CHECK_STR(tables_of("SHOW server_version"), "");
}

TEST(tables_many)
{
    /* Many references, and many CTEs: the order and the scope hold, in linear time. */
    struct buf b = BUF_INIT, want = BUF_INIT;
    enum { N = 3000 };
    CHECK_EQ(buf_printf(&b, "WITH "), 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ(buf_printf(&b, "%sc%d AS (SELECT 1 FROM x%d, c%d)", i ? ", " : "", i, i,
                            i > 0 ? i - 1 : N),
                 0);
    CHECK_EQ(buf_printf(&b, " SELECT * FROM c%d, c%d", N - 1, N), 0);
    CHECK_EQ(buf_append(&b, "", 1), 0);
    /* Body i reads x<i> and c<i-1> (a CTE), except body 0, whose c<N> is a table; the last
     * c<N> is one too. */
    for (int i = 0; i < N; i++) {
        CHECK_EQ(buf_printf(&want, "%sR x%d", i ? " " : "", i), 0);
        if (i == 0)
            CHECK_EQ(buf_printf(&want, " R c%d", N), 0);
    }
    CHECK_EQ(buf_printf(&want, " R c%d", N), 0);
    CHECK_EQ(buf_append(&want, "", 1), 0);
    const char *got = tables_of((const char *)b.data);
    int same = strcmp(got, (const char *)want.data) == 0;
    if (!same)
        fprintf(stderr, "  got %.200s\n", got);
    buf_free(&b);
    buf_free(&want);
    CHECK(same);
}

/* An AST deeper than any the parser builds: the walk refuses it instead of using the stack. */
TEST(tables_too_deep)
{
    struct sql_arena *a = sql_arena_new();
    CHECK(a != NULL);
    struct sql_expr *e = sql_arena_alloc(a, sizeof *e);
    e->kind = SQL_E_COLUMN;
    e->column.nparts = 1;
    e->column.parts[0] = "a";
    for (int i = 0; i < 5 * SQL_DEPTH_MAX; i++) {
        struct sql_expr *not = sql_arena_alloc(a, sizeof *not );
        not ->kind = SQL_E_NOT;
        not ->unary.arg = e;
        e = not ;
    }
    struct sql_select *sel = sql_arena_alloc(a, sizeof *sel);
    sel->kind = SQL_SELECT_PLAIN;
    sel->where = e;
    struct sql_stmt st = {.kind = SQL_STMT_SELECT, .arena = a, .select = sel};
    struct sql_table_ref *refs;
    uint32_t n;
    int rc = sql_stmt_tables(&st, &refs, &n);
    struct sql_key_cond *conds;
    uint32_t nc = 7;
    int rk = sql_where_keys(&st, &conds, &nc);
    sql_arena_free(a);
    CHECK_EQ(rc, ERR_TOOBIG);
    CHECK_EQ(rk, 0);
    CHECK_EQ(nc, 0);
}

/* ---- Key conditions ---- */

static void value_text(const struct sql_expr *e, struct buf *out)
{
    switch (e->kind) {
    case SQL_E_CONST:
        if (e->konst.kind == SQL_CONST_INT)
            buf_printf(out, "%lld", (long long)e->konst.ival);
        else if (e->konst.kind == SQL_CONST_STRING)
            buf_printf(out, "'%s'", e->konst.text);
        else if (e->konst.kind == SQL_CONST_NULL)
            buf_printf(out, "null");
        else
            buf_printf(out, "%s", e->konst.text ? e->konst.text : "?");
        return;
    case SQL_E_PARAM:
        buf_printf(out, "$%d", e->param.number);
        return;
    case SQL_E_CAST:
        value_text(e->cast.arg, out);
        buf_printf(out, "::%s", sql_type_kind_name(e->cast.type.kind));
        return;
    case SQL_E_UNARY:
        buf_printf(out, "-");
        value_text(e->unary.arg, out);
        return;
    default:
        buf_printf(out, "?");
    }
}

/* "t.a=1,$2 b='x'" for the key conditions of sql; "!" when the parse or the walk fails. */
static char keys_buf[1024];
static const char *keys_of(const char *sql)
{
    const struct sql_stmt *st = parse1(sql);
    if (st == NULL)
        return "!";
    struct sql_key_cond *conds = NULL;
    uint32_t n = 99;
    if (sql_where_keys(st, &conds, &n) != 0)
        return "!walk";
    struct buf b = BUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        const struct sql_key_cond *c = &conds[i];
        if (c->loc < 0 || c->loc >= st->loc + st->len || c->nvalues == 0) {
            buf_free(&b);
            return "!cond";
        }
        buf_printf(&b, "%s%s%s%s=", i ? " " : "", c->qualifier ? c->qualifier : "",
                   c->qualifier ? "." : "", c->column);
        for (uint32_t k = 0; k < c->nvalues; k++) {
            if (k)
                buf_printf(&b, ",");
            if (!sql_expr_is_value(c->values[k]))
                buf_printf(&b, "!");
            value_text(c->values[k], &b);
        }
    }
    snprintf(keys_buf, sizeof keys_buf, "%.*s", (int)b.len, b.len ? (const char *)b.data : "");
    buf_free(&b);
    return keys_buf;
}

TEST(where_keys_shapes)
{
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = 1"), "a=1");
    CHECK_STR(keys_of("SELECT * FROM t WHERE 1 = a"), "a=1");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a IN (1, $2)"), "a=1,$2");
    CHECK_STR(keys_of("SELECT * FROM t WHERE t.a = 'x'::text"), "t.a='x'::text");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = -5"), "a=-5");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = -$1"), "a=-$1");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = CAST($1 AS int8)"), "a=$1::int8");
    CHECK_STR(keys_of("SELECT * FROM s.t WHERE s.t.a = 1"), "t.a=1");
    CHECK_STR(keys_of("SELECT * FROM t x WHERE x.a = 1 AND b > 2 AND c IN (3) AND "
                      "(d = 4 AND e = 5) AND f NOT IN (1) AND g IN (SELECT 1) AND 'y' = h"),
              "x.a=1 c=3 d=4 e=5 h='y'");
    CHECK_STR(keys_of("UPDATE t SET b = 2 WHERE a = $1"), "a=$1");
    CHECK_STR(keys_of("DELETE FROM t WHERE a IN (1, 2, 3) AND b = 'x'"), "a=1,2,3 b='x'");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = NULL"), "a=null");
}

TEST(where_keys_negatives)
{
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = b"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a > 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a <> 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = 1 OR a = 2"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE NOT a = 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = 1 + 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = (SELECT 1)"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a::text = '1'"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a IN (1, b)"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = f(1)"), "");
    CHECK_STR(keys_of("SELECT * FROM t"), "");
    /* Shapes other than one table. */
    CHECK_STR(keys_of("SELECT * FROM t JOIN u ON t.id = u.id WHERE t.a = 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t, u WHERE a = 1"), "");
    CHECK_STR(keys_of("SELECT * FROM (SELECT * FROM t) x WHERE a = 1"), "");
    CHECK_STR(keys_of("SELECT * FROM generate_series(1, 3) a WHERE a = 1"), "");
    CHECK_STR(keys_of("SELECT * FROM t WHERE a = 1 UNION SELECT * FROM t WHERE a = 1"), "");
    CHECK_STR(keys_of("WITH c AS (SELECT 1) SELECT * FROM t WHERE a = 1"), "");
    CHECK_STR(keys_of("UPDATE t SET b = 2 FROM u WHERE a = 1"), "");
    CHECK_STR(keys_of("DELETE FROM t USING u WHERE a = 1"), "");
    CHECK_STR(keys_of("INSERT INTO t VALUES (1)"), "");
    CHECK_STR(keys_of("VALUES (1)"), "");
}

/* ---- Values and children ---- */

static int expr_parse(const char *text, struct sql_parsed *p, struct sql_expr **e)
{
    struct sql_error err = {0};
    int rc = sql_parse_expr(text, strlen(text), p, e, &err);
    if (rc != 0)
        fprintf(stderr, "  parse of %s failed: %s\n", text, err.message);
    return rc;
}

static bool is_value(const char *text)
{
    struct sql_parsed p = {0};
    struct sql_expr *e = NULL;
    bool v = expr_parse(text, &p, &e) == 0 && sql_expr_is_value(e);
    sql_parsed_free(&p);
    return v;
}

TEST(expr_is_value)
{
    const char *yes[] = {"1",
                         "-1",
                         "1.5",
                         "'x'",
                         "$1",
                         "NULL",
                         "true",
                         "1::int",
                         "CAST($1 AS text)",
                         "-$1",
                         "'2024-01-02'::date::text",
                         "DATE '2024-01-02'",
                         "-(-(1))"};
    const char *no[] = {"a",  "t.a",      "1 + 1",  "f(1)",     "(SELECT 1)",  "a::int",
                        "-a", "ARRAY[1]", "ROW(1)", "NOT true", "CURRENT_DATE"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!is_value(yes[i]))
            fprintf(stderr, "  not a value: %s\n", yes[i]);
        CHECK(is_value(yes[i]));
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (is_value(no[i]))
            fprintf(stderr, "  a value: %s\n", no[i]);
        CHECK(!is_value(no[i]));
    }
}

struct names_ctx {
    struct buf b;
    int stop_after; /* the callback returns 1 on this call (counted from 1); 0: never */
    int calls;
};

static int child_name(void *ctx, const struct sql_expr *e)
{
    struct names_ctx *c = ctx;
    c->calls++;
    buf_printf(&c->b, "%s", c->b.len ? " " : "");
    if (e->kind == SQL_E_COLUMN && e->column.nparts > 0)
        buf_printf(&c->b, "%s", e->column.parts[e->column.nparts - 1]);
    else if (e->kind == SQL_E_CONST && e->konst.text != NULL)
        buf_printf(&c->b, "%s", e->konst.text);
    else
        buf_printf(&c->b, "<%d>", (int)e->kind);
    return c->calls == c->stop_after;
}

static char children_buf[512];
static const char *children_of(const char *text, int stop_after, int *rc)
{
    struct sql_parsed p = {0};
    struct sql_expr *e = NULL;
    if (expr_parse(text, &p, &e) != 0)
        return "!";
    struct names_ctx c = {.b = BUF_INIT, .stop_after = stop_after};
    *rc = sql_expr_children(e, child_name, &c);
    snprintf(children_buf, sizeof children_buf, "%.*s", (int)c.b.len,
             c.b.len ? (const char *)c.b.data : "");
    buf_free(&c.b);
    sql_parsed_free(&p);
    return children_buf;
}

TEST(expr_children)
{
    int rc;
    CHECK_STR(children_of("a + b", 0, &rc), "a b");
    CHECK_EQ(rc, 0);
    CHECK_STR(children_of("f(a, b ORDER BY c) FILTER (WHERE d) OVER (PARTITION BY e ORDER BY g "
                          "ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING)",
                          0, &rc),
              "a b c d e g 1 2");
    CHECK_STR(children_of("CASE x WHEN 1 THEN y ELSE z END", 0, &rc), "x 1 y z");
    CHECK_STR(children_of("CASE WHEN p THEN y END", 0, &rc), "p y");
    CHECK_STR(children_of("a IN (SELECT b FROM t)", 0, &rc), "a");
    CHECK_STR(children_of("a NOT IN (b, c)", 0, &rc), "a b c");
    CHECK_STR(children_of("EXISTS (SELECT a FROM t)", 0, &rc), "");
    CHECK_STR(children_of("a = ANY (SELECT b FROM t)", 0, &rc), "a");
    CHECK_STR(children_of("a = ANY (b)", 0, &rc), "a b");
    CHECK_STR(children_of("a BETWEEN b AND c", 0, &rc), "a b c");
    CHECK_STR(children_of("a LIKE b ESCAPE c", 0, &rc), "a b c");
    CHECK_STR(children_of("a IS NOT NULL", 0, &rc), "a");
    CHECK_STR(children_of("a[b:c]", 0, &rc), "a b c");
    CHECK_STR(children_of("a COLLATE \"C\"", 0, &rc), "a");
    CHECK_STR(children_of("a::int", 0, &rc), "a");
    CHECK_STR(children_of("a AND b AND c", 0, &rc), "a b c");
    CHECK_STR(children_of("ROW(a, b)", 0, &rc), "a b");
    CHECK_STR(children_of("NOT a", 0, &rc), "a");
    CHECK_STR(children_of("a", 0, &rc), "");
    /* The first nonzero answer stops the walk and is returned. */
    CHECK_STR(children_of("f(a, b, c)", 2, &rc), "a b");
    CHECK_EQ(rc, 1);
}

/* ---- Inserted rows ---- */

TEST(insert_rows)
{
    const struct sql_names *cols = NULL;
    const struct sql_rows *rows = NULL;
    const struct sql_stmt *st = parse1("INSERT INTO t VALUES (1, 'a'), (2, $1)");
    CHECK(st != NULL);
    CHECK(sql_insert_rows(st, &cols, &rows));
    CHECK_EQ(cols->n, 0);
    CHECK_EQ(rows->n, 2);
    CHECK_EQ(rows->v[1].n, 2);
    CHECK_EQ(rows->v[0].v[0]->kind, SQL_E_CONST);
    CHECK_EQ(rows->v[0].v[0]->konst.ival, 1);
    CHECK_EQ(rows->v[1].v[1]->kind, SQL_E_PARAM);

    st = parse1("INSERT INTO t (b, a) VALUES (1, DEFAULT) RETURNING *");
    CHECK(st != NULL);
    CHECK(sql_insert_rows(st, &cols, &rows));
    CHECK_EQ(cols->n, 2);
    CHECK_STR(cols->v[0], "b");
    CHECK_STR(cols->v[1], "a");
    CHECK_EQ(rows->n, 1);
    CHECK_EQ(rows->v[0].v[1]->kind, SQL_E_DEFAULT);

    const char *not_rows[] = {"INSERT INTO t SELECT 1",
                              "INSERT INTO t DEFAULT VALUES",
                              "INSERT INTO t SELECT * FROM u",
                              "INSERT INTO t SELECT * FROM (VALUES (1)) v",
                              "SELECT 1",
                              "VALUES (1)",
                              "DELETE FROM t"};
    for (size_t i = 0; i < sizeof not_rows / sizeof not_rows[0]; i++) {
        st = parse1(not_rows[i]);
        CHECK(st != NULL);
        cols = (const void *)1;
        CHECK(!sql_insert_rows(st, &cols, &rows));
        CHECK(cols == NULL && rows == NULL);
    }
    sql_parsed_free(&parsed);
}

TEST_MAIN()
