/* Tests of the printer (src/sql/sql_print.c): statements parsed by sql_parse, printed against a
 * small catalog, and where it matters run in an in-memory SQLite with the function library, so
 * that what is checked is the answer PostgreSQL 15 gives (the expectations were taken from it). */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql.h"
#include "sql/sql_func.h"
#include "test.h"

/* ---- a catalog of two tables ---- */

#define T(k) {.kind = (k), .mod1 = -1, .mod2 = -1, .loc = -1}

static const struct sql_table_column items_cols[] = {
    {.name = "id", .type = T(SQL_TYPE_INT4), .pk = true},
    {.name = "sku", .type = T(SQL_TYPE_TEXT)},
    {.name = "qty", .type = T(SQL_TYPE_INT4), .default_sql = "0", .default_known = true},
    {.name = "price",
     .type = {.kind = SQL_TYPE_NUMERIC, .mod1 = 10, .mod2 = 2, .loc = -1},
     .default_known = true},
    {.name = "flag", .type = T(SQL_TYPE_BOOL), .default_sql = "1", .default_known = true},
};
static const struct sql_table_column tags_cols[] = {
    {.name = "item_id", .type = T(SQL_TYPE_INT4)},
    {.name = "tag", .type = T(SQL_TYPE_TEXT)},
};

static const struct {
    const char *name, *sqlite;
    const struct sql_table_column *cols;
    uint32_t n;
} pt_tables[] = {
    {"items", "t_items", items_cols, sizeof items_cols / sizeof items_cols[0]},
    {"tags", "t_tags", tags_cols, sizeof tags_cols / sizeof tags_cols[0]},
};

static int pt_find(const char *schema, const char *name)
{
    if (schema != NULL && strcmp(schema, "public") != 0)
        return -1;
    for (size_t i = 0; i < sizeof pt_tables / sizeof pt_tables[0]; i++)
        if (strcmp(pt_tables[i].name, name) == 0)
            return (int)i;
    return -1;
}

static const char *pt_map_table(void *ctx, const char *schema, const char *name)
{
    (void)ctx;
    int i = pt_find(schema, name);
    return i < 0 ? NULL : pt_tables[i].sqlite;
}

static int pt_table_columns(void *ctx, const char *schema, const char *table,
                            const struct sql_table_column **cols, uint32_t *n)
{
    (void)ctx;
    int i = pt_find(schema, table);
    if (i < 0)
        return -1;
    *cols = pt_tables[i].cols;
    *n = pt_tables[i].n;
    return 0;
}

static struct sql_print_opts pt_opts(void)
{
    return (struct sql_print_opts){.map_table = pt_map_table, .table_columns = pt_table_columns};
}

/* ---- printing ---- */

static struct sql_parsed parsed;
static struct sql_printed printed;
static char print_text[16 * 1024];

/* The SQLite text of the one statement sql, or "!<sqlstate> <message>". The result and the
 * printed columns (printed.cols) live until the next call. */
static const char *print_with(const char *sql, const struct sql_print_opts *o)
{
    struct sql_error err = {0};
    sql_printed_free(&printed);
    sql_parsed_free(&parsed);
    if (sql_parse(sql, strlen(sql), &parsed, &err) != 0 || parsed.n != 1) {
        snprintf(print_text, sizeof print_text, "!parse %s %s", err.sqlstate, err.message);
        return print_text;
    }
    if (sql_print(parsed.stmts[0], o, &printed, &err) != 0) {
        snprintf(print_text, sizeof print_text, "!%s %s", err.sqlstate, err.message);
        return print_text;
    }
    snprintf(print_text, sizeof print_text, "%s", (const char *)printed.sql.data);
    return print_text;
}

static const char *print1(const char *sql)
{
    struct sql_print_opts o = pt_opts();
    return print_with(sql, &o);
}

/* The SQLSTATE the printer refuses sql with, or "ok". */
static const char *state_of(const char *sql)
{
    const char *t = print1(sql);
    static char state[8];
    if (t[0] != '!')
        return "ok";
    snprintf(state, sizeof state, "%.5s", t + 1);
    return state;
}

/* "name type, name type" of the printed statement's result columns. */
static char cols_text[1024];
static const char *cols_of(const char *sql)
{
    const char *t = print1(sql);
    if (t[0] == '!')
        return t;
    size_t at = 0;
    cols_text[0] = '\0';
    for (uint32_t i = 0; i < printed.ncols && at < sizeof cols_text; i++) {
        struct buf b = BUF_INIT;
        const struct sql_type *ty = &printed.cols[i].type;
        if (ty->kind == SQL_TYPE_UNKNOWN)
            buf_printf(&b, "?");
        else
            sql_type_format(ty, &b);
        at += (size_t)snprintf(cols_text + at, sizeof cols_text - at, "%s%s %.*s", i ? ", " : "",
                               printed.cols[i].name, (int)b.len, (const char *)b.data);
        buf_free(&b);
    }
    return cols_text;
}

/* ---- running in SQLite ---- */

static struct sql_func_env env = {.now_us = INT64_C(1709618828500000), .random_seed = 42};

static sqlite3 *pt_open(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return NULL;
    struct errbuf eb;
    if (sql_func_register(db, &env, &eb) != 0) {
        sqlite3_close(db);
        return NULL;
    }
    /* The catalog's tables, created as the executor creates them. */
    static const char *ddl[] = {
        "CREATE TABLE items (id int PRIMARY KEY, sku text NOT NULL, qty int DEFAULT 0, "
        "price numeric(10,2), flag bool DEFAULT true)",
        "CREATE TABLE tags (item_id int, tag text, PRIMARY KEY (item_id, tag))",
    };
    for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++) {
        struct sql_print_opts o = pt_opts();
        o.replicaset_create = true;
        const char *s = print_with(ddl[i], &o);
        if (s[0] == '!' || sqlite3_exec(db, s, NULL, NULL, NULL) != SQLITE_OK) {
            fprintf(stderr, "  %s: %s\n", s, sqlite3_errmsg(db));
            sqlite3_close(db);
            return NULL;
        }
    }
    return db;
}

/* Prints sql and runs it on db: its rows as PostgreSQL text, "a,b;c,d" (NULL as "NULL", in the
 * printed columns' types), or "ERR <sqlstate>", or the printer's "!..." refusal. */
static char run_text[16 * 1024];
static const char *run(sqlite3 *db, const char *sql)
{
    const char *s = print1(sql);
    if (s[0] == '!')
        return s;
    sqlite3_stmt *st = NULL;
    size_t at = 0;
    run_text[0] = '\0';
    int rc = sqlite3_prepare_v2(db, s, -1, &st, NULL);
    int nrows = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            sqlite3_value *v = sqlite3_column_value(st, c);
            enum sql_pg_type t = SQL_PG_UNKNOWN;
            if ((uint32_t)c < printed.ncols && printed.cols[c].type.kind == SQL_TYPE_BOOL)
                t = SQL_PG_BOOL;
            struct buf b = BUF_INIT;
            if (sqlite3_value_type(v) == SQLITE_NULL)
                buf_printf(&b, "NULL");
            else
                sql_value_to_pg_text(v, t, &b);
            at += (size_t)snprintf(run_text + at, sizeof run_text - at, "%s%.*s",
                                   c ? "," : nrows ? ";" : "", (int)b.len,
                                   (const char *)b.data);
            buf_free(&b);
        }
        nrows++;
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        const char *msg = sqlite3_errmsg(db);
        if (strlen(msg) > 7 && msg[5] == ':' && msg[6] == ' ')
            snprintf(run_text, sizeof run_text, "ERR %.5s", msg);
        else
            snprintf(run_text, sizeof run_text, "ERR sqlite: %s", msg);
    }
    sqlite3_finalize(st);
    return run_text;
}

/* ---- tests ---- */

TEST(create_table_hidden_column_before_table_constraints)
{
    struct sql_print_opts o = pt_opts();
    o.replicaset_create = true;
    o.extra_column_def = "\"__bucket\" INTEGER";
    CHECK_STR(print_with("CREATE TABLE pairs (a int, b text, PRIMARY KEY (a, b), CHECK (a > 0))",
                         &o),
              "CREATE TABLE \"pairs\" (\"a\" INT4 NOT NULL, \"b\" TEXT NOT NULL, "
              "\"__bucket\" INTEGER, PRIMARY KEY (\"a\", \"b\"), CHECK ((\"a\" > 0)))");
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    int rc = sqlite3_exec(db, print_text, NULL, NULL, NULL);
    CHECK_EQ(rc, SQLITE_OK);
    /* the key's columns refuse NULL as PostgreSQL's do */
    rc = sqlite3_exec(db, "INSERT INTO pairs (a, b) VALUES (1, NULL)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_EQ(rc, SQLITE_CONSTRAINT);
}

TEST(returning_sees_the_target_unqualified)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku) VALUES (1, 'a'), (2, 'b') RETURNING *"),
              "1,a,0,NULL,t;2,b,0,NULL,t");
    CHECK_STR(cols_of("INSERT INTO items (id, sku) VALUES (1, 'a') RETURNING *"),
              "id int4, sku text, qty int4, price numeric, flag bool");
    CHECK_STR(run(db, "UPDATE items SET qty = qty + 1 WHERE id = 2 RETURNING items.id, qty"),
              "2,1");
    CHECK_STR(run(db, "UPDATE items i SET qty = 5 WHERE i.id = 1 RETURNING i.*, i.qty * 2"),
              "1,a,5,NULL,t,10");
    CHECK_STR(run(db, "DELETE FROM items WHERE id = 1 RETURNING items.sku, "
                      "(SELECT count(*) FROM items WHERE items.id = 2)"),
              "a,1");
    sqlite3_close(db);
}

/* The expectations are PostgreSQL 15's pg_typeof / RowDescription for the same statements. */
TEST(result_types_of_functions_and_operators)
{
    CHECK_STR(cols_of("SELECT length(sku), upper(sku), abs(qty), abs(price), round(price, 1), "
                      "round(qty), sqrt(price) FROM items"),
              "length int4, upper text, abs int4, abs numeric, round numeric, round float8, "
              "sqrt numeric");
    CHECK_STR(cols_of("SELECT extract(year FROM DATE '2024-01-02'), "
                      "date_trunc('day', TIMESTAMP '2024-01-02 03:04:05'), now(), "
                      "bool_and(flag), avg(qty), stddev(price), max(sku) FROM items"),
              "extract numeric, date_trunc timestamp, now timestamptz, bool_and bool, "
              "avg numeric, stddev numeric, max text");
    CHECK_STR(cols_of("SELECT 2 ^ 10, 2.0 ^ 0.5, 5 & 3, ~5, 1::real + 1::real, 1::real + 1, "
                      "1 + '2', DATE '2024-01-02' + interval '1 day', "
                      "TIMESTAMP '2024-01-02' - TIMESTAMP '2024-01-01', interval '1 hour' / 2"),
              "?column? float8, ?column? numeric, ?column? int4, ?column? int4, ?column? float4, "
              "?column? float8, ?column? int4, ?column? timestamp, ?column? interval, "
              "?column? interval");
    CHECK_STR(cols_of("SELECT 0.1::real::float8, 2.5::float8::int, DATE '2024-05-06'::timestamp, "
                      "qty::text::int FROM items"),
              "float8 float8, int4 int4, timestamp timestamp, qty int4");
    CHECK_STR(cols_of("SELECT CASE WHEN true THEN 1 ELSE 2.5 END, coalesce(NULL, qty, 1), "
                      "CASE WHEN false THEN 'x' END FROM items"),
              "case numeric, coalesce int4, case text");
}

TEST(result_types_through_subqueries_ctes_and_set_operations)
{
    CHECK_STR(cols_of("SELECT n * 10 FROM (VALUES (1), (2)) v(n)"), "?column? int4");
    CHECK_STR(cols_of("SELECT s.t FROM (SELECT qty * price AS t FROM items) s"), "t numeric");
    CHECK_STR(cols_of("WITH a AS (SELECT qty FROM items), b AS (SELECT qty * 10 AS v FROM a) "
                      "SELECT v, (SELECT max(price) FROM items) FROM b"),
              "v int4, max numeric");
    CHECK_STR(cols_of("SELECT 1 UNION ALL SELECT 1.5"), "?column? numeric");
    CHECK_STR(cols_of("SELECT NULL UNION SELECT 1"), "?column? int4");
    CHECK_STR(cols_of("VALUES (1, 'a'), (2.5, NULL)"), "column1 numeric, column2 text");
    CHECK_STR(cols_of("SELECT g FROM generate_series(1, 3) g"), "g int4");
    CHECK_STR(cols_of("SELECT i.qty, t.tag FROM items i JOIN tags t ON t.item_id = i.id"),
              "qty int4, tag text");
}

TEST(analysis_errors_of_types)
{
    CHECK_STR(state_of("SELECT CASE WHEN true THEN true ELSE 1 END"), "42804");
    CHECK_STR(state_of("SELECT 1 UNION SELECT true"), "42804");
    CHECK_STR(state_of("SELECT coalesce(sku, qty) FROM items"), "42804");
    CHECK_STR(state_of("SELECT upper(1)"), "42883");
    CHECK_STR(state_of("SELECT length(qty) FROM items"), "42883");
    CHECK_STR(state_of("SELECT sqrt('a'::text)"), "42883");
    /* an untyped literal converts: not an error */
    CHECK_STR(state_of("SELECT sqrt('4'), upper('x'), CASE WHEN true THEN 'a' ELSE 'b' END"),
              "ok");
    CHECK_STR(state_of("SELECT CASE WHEN true THEN 1 ELSE NULL END"), "ok");
}

TEST(analysis_of_operands_and_assignments)
{
    CHECK_STR(state_of("SELECT 1 = 'a'"), "22P02");
    CHECK_STR(state_of("SELECT id FROM items WHERE id = 'x'"), "22P02");
    CHECK_STR(state_of("SELECT '1.5'::bigint"), "22P02");
    CHECK_STR(state_of("SELECT 1 UNION SELECT 'a'"), "22P02");
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES ('12.5', 'a')"), "22P02");
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES ('99999999999', 'a')"), "22003");
    CHECK_STR(state_of("INSERT INTO items (id, sku, flag) VALUES (1, 'a', 2)"), "42804");
    CHECK_STR(state_of("UPDATE items SET qty = sku"), "42804");
    CHECK_STR(state_of("SELECT id FROM items WHERE sku = 1"), "42883");
    CHECK_STR(state_of("DELETE FROM items WHERE sku > qty"), "42883");
    CHECK_STR(state_of("SELECT sku + 1 FROM items"), "42883");
    CHECK_STR(state_of("SELECT qty || qty FROM items"), "42883");
    /* what PostgreSQL accepts */
    CHECK_STR(state_of("SELECT id FROM items WHERE id = ' 12 ' AND price > '1.5e1' "
                       "AND sku || qty = 'a1' AND qty::text = sku"),
              "ok");
    CHECK_STR(state_of("INSERT INTO items (id, sku, qty, price) VALUES (1, 2, 3.5, 4)"), "ok");
}

TEST(integer_results_checked_against_their_range)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty) VALUES (1, 'a', 2147483647), "
                      "(2, 'b', -2147483648)"),
              "");
    CHECK_STR(run(db, "SELECT qty + 1 FROM items WHERE id = 1"), "ERR 22003");
    CHECK_STR(run(db, "SELECT qty - 1 FROM items WHERE id = 2"), "ERR 22003");
    CHECK_STR(run(db, "SELECT -qty FROM items WHERE id = 2"), "ERR 22003");
    CHECK_STR(run(db, "SELECT abs(qty) FROM items WHERE id = 2"), "ERR 22003");
    CHECK_STR(run(db, "SELECT 32767::smallint + 1::smallint"), "ERR 22003");
    /* bigint arithmetic is wider: the same sums succeed */
    CHECK_STR(run(db, "SELECT qty::bigint + 1, qty + 1::bigint FROM items WHERE id = 1"),
              "2147483648,2147483648");
    CHECK_STR(run(db, "SELECT 'v' || 2.50 || true, 'x' || false"), "v2.50true,xfalse");
    sqlite3_close(db);
}

TEST(delete_using)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku) VALUES (1, 'a'), (2, 'b'), (3, 'c')"), "");
    CHECK_STR(run(db, "INSERT INTO tags VALUES (1, 'x'), (1, 'y'), (3, 'z')"), "");
    CHECK_STR(run(db, "DELETE FROM items i USING tags t WHERE t.item_id = i.id AND t.tag <> 'z' "
                      "RETURNING i.id"),
              "1");
    CHECK_STR(run(db, "DELETE FROM items USING tags RETURNING id"), "2;3");
    sqlite3_close(db);
}

TEST(analysis_of_clauses)
{
    CHECK_STR(state_of("SELECT sku FROM items GROUP BY 2"), "42P10");
    CHECK_STR(state_of("SELECT id FROM items ORDER BY 2"), "42P10");
    CHECK_STR(state_of("SELECT DISTINCT sku FROM items ORDER BY qty"), "42P10");
    CHECK_STR(state_of("SELECT id FROM items UNION SELECT item_id FROM tags ORDER BY sku"),
              "42703");
    CHECK_STR(state_of("SELECT id FROM items LIMIT -1"), "2201W");
    CHECK_STR(state_of("SELECT id FROM items OFFSET -1"), "2201X");
    CHECK_STR(state_of("SELECT id FROM items LIMIT 'x'"), "22P02");
    CHECK_STR(state_of("WITH x AS (SELECT 1), x AS (SELECT 2) SELECT 1"), "42712");
    CHECK_STR(state_of("SELECT count(*) FROM items WHERE sum(qty) > 1"), "42803");
    CHECK_STR(state_of("SELECT sum(count(*)) FROM items"), "42803");
    /* accepted */
    CHECK_STR(state_of("SELECT DISTINCT sku AS s, qty FROM items ORDER BY s, qty, 1"), "ok");
    CHECK_STR(state_of("SELECT id FROM items WHERE id IN (SELECT sum(qty) FROM items) "
                       "ORDER BY 1 LIMIT NULL OFFSET '2'"),
              "ok");
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "VALUES (3), (1), (2) ORDER BY 1 LIMIT 2"), "1;2");
    CHECK_STR(run(db, "SELECT (1, 2) = (1, 2), (1, 2) < (1, 3), (1, NULL) = (1, 2)"),
              "t,t,NULL");
    CHECK_STR(run(db, "SELECT 1 LIMIT NULL"), "1");
    sqlite3_close(db);
}

TEST(default_in_values_and_set)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items VALUES (1, 'a', DEFAULT, DEFAULT, DEFAULT), "
                      "(2, 'b', 5, 1.5, false) RETURNING *"),
              "1,a,0,NULL,t;2,b,5,1.50,f");
    CHECK_STR(run(db, "UPDATE items SET qty = DEFAULT, flag = DEFAULT, price = DEFAULT "
                      "WHERE id = 2 RETURNING qty, flag, price"),
              "0,t,NULL");
    /* NOT NULL id without a default: PostgreSQL's 23502, SQLite's NOT NULL failure */
    CHECK_STR(run(db, "INSERT INTO tags DEFAULT VALUES"),
              "ERR sqlite: NOT NULL constraint failed: t_tags.item_id");
    /* a table whose catalog does not know its defaults refuses */
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES (DEFAULT, 'x')"), "0A000");
    sqlite3_close(db);
}

TEST(text_bytea_and_json_operands)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "SELECT position('lo' IN 'hello'), position('' IN 'abc'), "
                      "'{\"a\": \"x\"}'::json ->> 'a' = '2', '9' < '10'::text"),
              "4,1,f,f");
    CHECK_STR(run(db, "SELECT 'a'::bytea || '\\x00'::bytea || 'b'::bytea, "
                      "'abc'::bytea = '\\x616263', encode('\\x41', 'hex'), to_json(1 = 1)"),
              "\\x610062,t,41,true");
    CHECK_STR(state_of("SELECT max('a'::bytea)"), "42883");
    CHECK_STR(run(db, "SELECT 'hello' ^@ 'hel', 'hello' ^@ 'lo'"), "t,f");
    CHECK_STR(run(db, "SELECT 'abc' SIMILAR TO 'a(b|x)c', 'abd' SIMILAR TO 'a(b|x)c', "
                      "'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', 'x%' SIMILAR TO 'x\\%', "
                      "'xyz' NOT SIMILAR TO 'x%', 'b' SIMILAR TO '[a-c]_?'"),
              "t,f,t,f,t,f,t");
    sqlite3_close(db);
}

TEST(star_over_subqueries_ctes_and_merged_joins)
{
    CHECK_STR(cols_of("SELECT * FROM (VALUES (1, 'a'), (2, NULL)) AS v(n, s)"), "n int4, s text");
    CHECK_STR(cols_of("SELECT * FROM (SELECT id, qty * price AS t FROM items) x"),
              "id int4, t numeric");
    CHECK_STR(cols_of("WITH w AS (SELECT 1 AS a, 'x' AS b) SELECT * FROM w"), "a int4, b text");
    CHECK_STR(cols_of("SELECT * FROM items JOIN tags ON tags.item_id = items.id"),
              "id int4, sku text, qty int4, price numeric, flag bool, item_id int4, tag text");
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku) VALUES (1, 'a'), (2, 'b')"), "");
    CHECK_STR(run(db, "INSERT INTO tags VALUES (1, 'x'), (3, 'z')"), "");
    /* a USING column comes once, first: the left's, or the first non-NULL of a FULL JOIN */
    CHECK_STR(run(db, "SELECT * FROM (SELECT id AS k, sku FROM items) a JOIN "
                      "(SELECT item_id AS k, tag FROM tags) b USING (k)"),
              "1,a,x");
    CHECK_STR(cols_of("SELECT * FROM (SELECT id AS k, sku FROM items) a NATURAL JOIN "
                      "(SELECT item_id AS k, tag FROM tags) b"),
              "k int4, sku text, tag text");
    CHECK_STR(run(db, "SELECT * FROM (SELECT id AS k, sku FROM items) a FULL JOIN "
                      "(SELECT item_id AS k, tag FROM tags) b USING (k) ORDER BY k"),
              "1,a,x;2,b,NULL;3,NULL,z");
    sqlite3_close(db);
}

TEST(quantified_comparisons)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty, price) VALUES (1, 'a', 1, 9.5), "
                      "(2, 'b', 2, 10), (3, 'c', 3, NULL)"),
              "");
    /* the subquery's column has the outer column's name: x still names the outer one */
    CHECK_STR(run(db, "SELECT id FROM items i WHERE qty > ALL (SELECT qty FROM items WHERE "
                      "id < 3) ORDER BY id"),
              "3");
    CHECK_STR(run(db, "SELECT id FROM items WHERE price < ANY (SELECT price FROM items WHERE "
                      "id >= 2) ORDER BY id"),
              "1");
    CHECK_STR(run(db, "SELECT 1 = ALL (SELECT 1 WHERE false), 1 = ANY (SELECT 1 WHERE false), "
                      "2 > ALL (SELECT NULL::int), 2 > ANY (VALUES (1), (NULL)), "
                      "3 >= ALL (ARRAY[1, 2, NULL]), 3 >= ANY (ARRAY[1, NULL])"),
              "t,f,NULL,t,NULL,t");
    /* a subquery's numeric compares as a number (it has no collation to do it) */
    CHECK_STR(run(db, "SELECT id FROM (SELECT id, price * 2 AS dbl FROM items) x "
                      "WHERE dbl > 19.5 ORDER BY id"),
              "2");
    sqlite3_close(db);
}

TEST(aggregates_with_order_by)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty, price) VALUES (1, 'pear', 2, 1.5), "
                      "(2, 'apple', 1, 10), (3, 'pear', NULL, 9.5), (4, 'fig', 3, NULL)"),
              "");
    CHECK_STR(run(db, "SELECT string_agg(sku, ',' ORDER BY id DESC), "
                      "string_agg(DISTINCT sku, '|' ORDER BY sku), "
                      "string_agg(sku, ',' ORDER BY qty NULLS FIRST, id), "
                      "string_agg(sku, ',' ORDER BY price DESC NULLS LAST) FROM items"),
              "fig,pear,apple,pear,apple|fig|pear,pear,apple,pear,fig,apple,pear,pear,fig");
    CHECK_STR(run(db, "SELECT array_agg(id ORDER BY price), sum(qty ORDER BY id) FROM items"),
              "{1,3,2,4},6");
    CHECK_STR(run(db, "SELECT sku, string_agg(id::text, '+' ORDER BY id DESC) "
                      "FILTER (WHERE id > 1) FROM items GROUP BY sku ORDER BY sku"),
              "apple,2;fig,4;pear,3");
    CHECK_STR(run(db, "SELECT string_agg(sku, ',' ORDER BY id) FROM items WHERE false"), "NULL");
    CHECK_STR(run(db, "SELECT json_agg(id ORDER BY id DESC), json_agg(sku), "
                      "json_object_agg(id, qty ORDER BY id) FILTER (WHERE id < 3), "
                      "json_agg(qty IS NULL ORDER BY id) FROM items"),
              "[4, 3, 2, 1],[\"pear\", \"apple\", \"pear\", \"fig\"],"
              "{ \"1\" : 2, \"2\" : 1 },[false, false, true, false]");
    CHECK_STR(run(db, "SELECT json_agg(id) FROM items WHERE false"), "NULL");
    sqlite3_close(db);
}

TEST(nullif_and_unknown_operands)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, price) VALUES (1, 'a', 0), (2, 'b', 2.5)"), "");
    CHECK_STR(run(db, "SELECT 1 / nullif(price, 0) FROM items ORDER BY id"),
              "NULL;0.40000000000000000000");
    CHECK_STR(state_of("SELECT 'a' + 'b'"), "42725");
    sqlite3_close(db);
}

TEST(intersect_and_except_all)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty) VALUES (1, 'a', 1), (2, 'b', 1), "
                      "(3, 'c', 2), (4, 'd', NULL), (5, 'e', NULL), (6, 'f', 3)"),
              "");
    CHECK_STR(run(db, "INSERT INTO tags VALUES (1, 'x'), (2, 'x'), (3, 'x'), (1, 'y'), (5, 'x')"),
              "");
    /* qty: 1, 1, 2, NULL, NULL, 3; item_id: 1, 1, 2, 3, 5 */
    CHECK_STR(run(db, "SELECT qty FROM items INTERSECT ALL SELECT item_id FROM tags ORDER BY 1"),
              "1;1;2;3");
    CHECK_STR(run(db, "SELECT qty FROM items EXCEPT ALL SELECT item_id FROM tags "
                      "ORDER BY 1 NULLS FIRST"),
              "NULL;NULL");
    CHECK_STR(run(db, "SELECT item_id FROM tags EXCEPT ALL SELECT qty FROM items"), "5");
    sqlite3_close(db);
}

TEST(scalar_subquery_of_several_rows)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty) VALUES (1, 'a', 1), (2, 'b', 1)"), "");
    CHECK_STR(run(db, "SELECT (SELECT sku FROM items)"), "ERR 21000");
    CHECK_STR(run(db, "SELECT id FROM items WHERE id = (SELECT id FROM items WHERE qty = 1)"),
              "ERR 21000");
    CHECK_STR(run(db, "SELECT (SELECT sku FROM items WHERE id = 2), "
                      "(SELECT sku FROM items WHERE id = 3), (SELECT max(id) FROM items), "
                      "(SELECT i.sku FROM items j WHERE j.id = i.id) FROM items i ORDER BY id"),
              "b,NULL,2,a;b,NULL,2,b");
    sqlite3_close(db);
}

TEST(returning_null_tests_and_numeric_order)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku) VALUES (1, 'a') RETURNING price IS NULL, "
                      "price IS NOT NULL, qty IS NULL"),
              "t,f,f");
    CHECK_STR(run(db, "INSERT INTO items (id, sku, price) VALUES (2, 'b', 9.5), (3, 'c', 10), "
                      "(4, 'd', 100.25)"),
              "");
    CHECK_STR(run(db, "SELECT id FROM items ORDER BY price * 2 DESC NULLS LAST, id"),
              "4;3;2;1");
    CHECK_STR(run(db, "SELECT id FROM items i ORDER BY (SELECT sum(price) FROM items j WHERE "
                      "j.id <= i.id) NULLS FIRST"),
              "1;2;3;4");
    sqlite3_close(db);
}

TEST(distinct_on)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, qty) VALUES (1, 'a', 5), (2, 'a', 7), "
                      "(3, 'b', NULL), (4, 'b', 1), (5, 'c', 2)"),
              "");
    CHECK_STR(run(db, "SELECT DISTINCT ON (sku) sku, id, qty FROM items "
                      "ORDER BY sku, qty DESC NULLS LAST, id"),
              "a,2,7;b,4,1;c,5,2");
    CHECK_STR(run(db, "SELECT DISTINCT ON (1) sku AS s, id FROM items ORDER BY s DESC, id "
                      "LIMIT 2"),
              "c,5;b,3");
    CHECK_STR(cols_of("SELECT DISTINCT ON (sku) sku, qty FROM items ORDER BY sku, id"),
              "sku text, qty int4");
    sqlite3_close(db);
}

TEST(unknown_names)
{
    CHECK_STR(state_of("SELECT missing.id FROM items"), "42P01");
    CHECK_STR(state_of("SELECT i.id FROM items i WHERE items.id = 3"), "42P01");
    CHECK_STR(state_of("SELECT \"ID\" FROM items"), "42703");
    CHECK_STR(state_of("SELECT id FROM items WHERE nope = 1"), "42703");
    /* outer references, aliases where PostgreSQL takes them, hidden or unknown columns */
    CHECK_STR(state_of("SELECT id AS k FROM items i WHERE EXISTS (SELECT 1 FROM tags t WHERE "
                       "t.item_id = i.id AND tag = sku) ORDER BY k"),
              "ok");
    CHECK_STR(state_of("SELECT id FROM items ORDER BY (SELECT count(*) FROM tags WHERE "
                       "tags.item_id = items.id)"),
              "ok");
    CHECK_STR(state_of("UPDATE items SET qty = (SELECT count(*) FROM tags WHERE "
                       "tags.item_id = items.id) RETURNING (SELECT items.sku)"),
              "ok");
    CHECK_STR(state_of("SELECT x.a, b FROM (SELECT 1 AS a, 2 AS b) x"), "ok");
    CHECK_STR(state_of("SELECT whatever FROM (SELECT * FROM items) x"), "ok");
    CHECK_STR(state_of("SELECT * FROM nope"), "42P01");
    CHECK_STR(state_of("SELECT nope(1)"), "42883");
    CHECK_STR(state_of("SELECT 1"), "ok");
}

/* The literals of WHERE, SET and VALUES print as parameters after the client's; the others stay
 * inline (a position in ORDER BY or GROUP BY, a LIMIT, a select list). */
TEST(literals_as_parameters)
{
    struct sql_print_opts o = pt_opts();
    o.literal_params_from = 2;
    const char *t = print_with("UPDATE items SET qty = qty + 5 WHERE id = $1 AND sku = 'a''b'", &o);
    CHECK(strstr(t, "?2") != NULL && strstr(t, "?3") != NULL && strstr(t, "?1") != NULL);
    CHECK(strstr(t, "5") == NULL && strstr(t, "a'") == NULL);
    CHECK_EQ(printed.n_lits, 2);
    CHECK(printed.lits[0].is_int && printed.lits[0].ival == 5);
    CHECK(!printed.lits[1].is_int && printed.lits[1].len == 3 &&
          memcmp(printed.lits[1].text, "a'b", 3) == 0);
    /* two statements that differ in their literals print alike */
    char first[1024];
    snprintf(first, sizeof first, "%s", print_with("SELECT qty FROM items WHERE id = 7", &o));
    CHECK_STR(print_with("SELECT qty FROM items WHERE id = 123456", &o), first);
    CHECK_EQ(printed.lits[0].ival, 123456);
    /* positions, limits and select lists stay literal */
    t = print_with("SELECT sku, 3 FROM items WHERE price > 1.5 GROUP BY 1 ORDER BY 1 LIMIT 4", &o);
    CHECK(strstr(t, "GROUP BY 1") != NULL || strstr(t, "GROUP BY \"sku\"") != NULL);
    CHECK(strstr(t, "LIMIT 4") != NULL);
    CHECK_EQ(printed.n_lits, 1);
    CHECK_STR(printed.lits[0].text, "1.5");
    t = print_with("INSERT INTO tags VALUES (1, 'x'), (2, 'y')", &o);
    CHECK_EQ(printed.n_lits, 4);
    /* at most SQL_LITERAL_PARAMS_MAX; the rest inline */
    struct buf many = BUF_INIT;
    buf_printf(&many, "SELECT id FROM items WHERE id IN (0");
    for (int i = 1; i < SQL_LITERAL_PARAMS_MAX + 10; i++)
        buf_printf(&many, ", %d", i);
    buf_printf(&many, ")");
    buf_append_u8(&many, 0);
    t = print_with((const char *)many.data, &o);
    buf_free(&many);
    CHECK_EQ(printed.n_lits, SQL_LITERAL_PARAMS_MAX);
    CHECK(strstr(t, ", 73)") != NULL);
    /* off by default */
    print1("SELECT qty FROM items WHERE id = 7");
    CHECK_EQ(printed.n_lits, 0);
}

/* Bound in SQLite, the parameters give the answers the literals gave. */
TEST(literal_parameters_answer_as_literals)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items VALUES (1, 'a', 2, 3.25, true), (2, 'b', 5, 1.5, false)"),
              "");
    const char *q = "SELECT id, sku FROM items WHERE price > 1.75 AND sku <> 'zz' ORDER BY 1";
    char inline_answer[256];
    snprintf(inline_answer, sizeof inline_answer, "%s", run(db, q));
    CHECK_STR(inline_answer, "1,a");
    struct sql_print_opts o = pt_opts();
    o.literal_params_from = 1;
    const char *s = print_with(q, &o);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(db, s, -1, &st, NULL) == SQLITE_OK);
    CHECK_EQ(printed.n_lits, 2);
    sqlite3_bind_text(st, 1, printed.lits[0].text, (int)printed.lits[0].len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, printed.lits[1].text, (int)printed.lits[1].len, SQLITE_STATIC);
    CHECK_EQ(sqlite3_step(st), SQLITE_ROW);
    CHECK_EQ(sqlite3_column_int64(st, 0), 1);
    CHECK_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ORDER BY a computed numeric by its result name or position sorts numerically, not as text. */
TEST(order_by_a_computed_numeric_by_name_or_position)
{
    sqlite3 *db = pt_open();
    CHECK(db != NULL);
    CHECK_STR(run(db, "INSERT INTO items (id, sku, price) VALUES (1, 'a', 9.5), (2, 'b', 10.25), "
                      "(3, 'c', 1.5)"),
              "");
    const char *by_name = run(db, "SELECT id, price + 1 AS x FROM items ORDER BY x");
    CHECK(strncmp(by_name, "3,", 2) == 0 && strstr(by_name, ";1,") != NULL &&
          strstr(by_name, ";2,") > strstr(by_name, ";1,"));
    const char *by_position = run(db, "SELECT price * 2, id FROM items ORDER BY 1 DESC");
    CHECK(strstr(by_position, ",2;") != NULL && strstr(by_position, ",2;") < strstr(by_position, ",1;"));
    CHECK(strstr(by_position, ",1;") < strstr(by_position, ",3"));
    sqlite3_close(db);
}

/* An upsert whose VALUES rows repeat a key would update a row twice: 21000, as PostgreSQL. */
TEST(upsert_rows_repeating_a_key)
{
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES (1, 'a'), (2, 'b'), (1, 'c') "
                       "ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku"),
              "21000");
    CHECK_STR(state_of("INSERT INTO tags VALUES (1, 'x'), (1, 'x') "
                       "ON CONFLICT (item_id, tag) DO UPDATE SET tag = 'y'"),
              "21000");
    CHECK_STR(state_of("INSERT INTO tags VALUES (1, 'x'), (1, 'y') "
                       "ON CONFLICT (item_id, tag) DO UPDATE SET tag = 'y'"),
              "ok");
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES (1, 'a'), (1, 'c') "
                       "ON CONFLICT (id) DO NOTHING"),
              "ok");
    CHECK_STR(state_of("INSERT INTO items (id, sku) VALUES (NULL, 'a'), (NULL, 'c') "
                       "ON CONFLICT (id) DO UPDATE SET sku = 'z'"),
              "ok");
}

/* A column of a grouped query neither grouped, aggregated nor of a table whose primary key is
 * grouped: 42803, where the printer can be sure. */
TEST(columns_neither_grouped_nor_aggregated)
{
    struct sql_print_opts o = pt_opts();
    o.check_grouping = true;
    static const struct {
        const char *sql, *state;
    } cases[] = {
        {"SELECT sku, qty FROM items GROUP BY sku", "42803"},
        {"SELECT sku, count(*) FROM items", "42803"},
        {"SELECT sku FROM items GROUP BY sku HAVING qty > 1", "42803"},
        {"SELECT id, sku, qty FROM items GROUP BY id", "ok"}, /* the primary key */
        {"SELECT sku, count(*) FROM items GROUP BY 1", "ok"},
        {"SELECT i.sku, count(*) FROM items i GROUP BY sku", "ok"},
        {"SELECT lower(sku), count(*) FROM items GROUP BY lower(sku)", "ok"}, /* not judged */
        {"SELECT t.tag, count(*) FROM items i JOIN tags t ON t.item_id = i.id GROUP BY t.tag",
         "ok"},
        {"SELECT sku, (SELECT count(*) FROM tags WHERE item_id = qty) FROM items GROUP BY sku",
         "ok"},
        {"SELECT count(*), max(qty) + 1 FROM items", "ok"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = print_with(cases[i].sql, &o);
        const char *got = t[0] != '!' ? "ok" : t + 1;
        if (strncmp(got, cases[i].state, strlen(cases[i].state)) != 0)
            fprintf(stderr, "  %s: %s\n", cases[i].sql, t);
        CHECK(strncmp(got, cases[i].state, strlen(cases[i].state)) == 0);
    }
    /* off unless asked */
    CHECK_STR(state_of("SELECT sku, qty FROM items GROUP BY sku"), "ok");
}

TEST_MAIN()
