/* Snapshots carry the table model's SQL tables: their definitions (generated
 * columns, CHECKs calling our functions, indexes), their rows and rowids, so
 * that a replica restored from one goes on applying the log exactly like the
 * replica it came from. */
#include <string.h>

#include "kv/kv_fx.h"
#include "model/table/table.h"
#include "store/store_model.h"
#include "test.h"

#define N_ITEMS 2000

static int schema(struct fx *f, uint64_t version, const char *sql)
{
    struct store_result res;
    int rc = table_encode_schema(&f->cmd, version, sql, NULL);
    if (rc == 0)
        rc = fx_apply(f, &res);
    if (rc == 0) {
        rc = res.status;
        store_results_free(&res, 1);
    }
    return rc;
}

/* Applies one statement as the next entry; its status, or the apply's error. */
static int exec(struct fx *f, uint64_t schema_version, const char *sql)
{
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql)};
    struct table_exec x = {
        .schema_version = schema_version, .now_us = 1, .seed = 7, .n = 1, .stmts = &st};
    struct store_result res;
    int rc = table_encode_exec(&f->cmd, &x, NULL);
    if (rc == 0)
        rc = fx_apply(f, &res);
    if (rc == 0) {
        rc = res.status;
        struct table_output o;
        if (rc != 0 && table_output_parse(res.output, res.output_len, &o) == 0)
            fprintf(stderr, "%s: %s %s\n", sql, o.sqlstate, o.message);
        store_results_free(&res, 1);
    }
    return rc;
}

/* A read's whole output: column names, declared types and every value. */
static int sql_dump(struct store *s, const char *sql, struct buf *out)
{
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql)};
    struct table_exec x = {.n = 1, .stmts = &st};
    buf_reset(out);
    int rc = table_run(s, &x, false, out, NULL);
    struct table_output o;
    if (rc == 0 && (table_output_parse(out->data, out->len, &o) != 0 || o.state != TABLE_STATE_OK))
        rc = -1;
    return rc;
}

static const char *const dumps[] = {
    "SELECT _rowid_, * FROM t_items ORDER BY 1",
    "SELECT _rowid_, * FROM t_log ORDER BY 1",
    "SELECT _rowid_, * FROM \"t_we\"\"ird\" ORDER BY 1",
    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
};
#define N_DUMPS (sizeof dumps / sizeof dumps[0])

static bool same_state(struct store *a, struct store *b)
{
    struct buf x = BUF_INIT, y = BUF_INIT;
    bool same = true;
    for (size_t i = 0; i < N_DUMPS && same; i++) {
        same = sql_dump(a, dumps[i], &x) == 0 && sql_dump(b, dumps[i], &y) == 0 && x.len == y.len &&
               memcmp(x.data, y.data, x.len) == 0;
        if (!same)
            fprintf(stderr, "differs: %s\n", dumps[i]);
    }
    buf_free(&x);
    buf_free(&y);
    return same;
}

/* Streams a snapshot of s in chunks of chunk_bytes into a restore at path. */
static int snapshot_into(struct store *s, uint32_t chunk_bytes, const char *path, uint32_t *chunks)
{
    struct store_snapshot *sn;
    struct store_restore *rs;
    struct errbuf eb;
    int rc = store_snapshot_open(s, chunk_bytes, &sn, &eb);
    if (rc != 0) {
        fprintf(stderr, "snapshot: %s\n", eb.msg);
        return rc;
    }
    rc = store_restore_begin(path, &rs, &eb);
    struct buf chunk = BUF_INIT;
    bool done = false;
    *chunks = 0;
    while (rc == 0 && !done) {
        rc = store_snapshot_next(sn, &chunk, &done, &eb);
        if (rc == 0)
            rc = store_restore_chunk(rs, chunk.data, chunk.len, &eb);
        (*chunks)++;
    }
    if (rc == 0)
        rc = store_restore_finish(rs, &eb);
    else if (rs != NULL)
        store_restore_abort(rs);
    if (rc != 0)
        fprintf(stderr, "snapshot or restore: %s\n", eb.msg);
    buf_free(&chunk);
    store_snapshot_close(sn);
    return rc;
}

/* Three tables: one sharded like the executor makes them (a generated __bucket, a CHECK and a
 * DEFAULT calling our functions, an index), one with only a rowid whose rows have gaps, and one
 * with a column named rowid and a quote in its name. */
static void build(struct fx *f)
{
    CHECK_EQ(fx_open_buckets(f, 64), 0);
    CHECK_EQ(schema(f, 1,
                    "CREATE TABLE t_items(id INT8 NOT NULL PRIMARY KEY,"
                    " name TEXT CHECK (pg_abs(qty) = qty),"
                    " qty INT4 DEFAULT (pg_abs(-5)),"
                    " __bucket INT8 GENERATED ALWAYS AS (cairn_bucket(id)) STORED);"
                    "CREATE INDEX items_name ON t_items(name);"
                    "CREATE TABLE t_log(msg TEXT);"
                    "CREATE TABLE \"t_we\"\"ird\"(\"rowid\" TEXT, v INT8)"),
             0);
    char sql[256];
    for (int i = 0; i < N_ITEMS; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO t_items(id, name%s) VALUES (%d, 'item %d'%s)",
                 i % 3 ? ", qty" : "", i * 7919 % 100003, i, i % 3 ? ", 2" : "");
        CHECK_EQ(exec(f, 1, sql), 0);
    }
    CHECK_EQ(exec(f, 1, "INSERT INTO t_log VALUES ('a'), ('b'), ('c'), ('d'), ('e')"), 0);
    CHECK_EQ(exec(f, 1, "DELETE FROM t_log WHERE msg IN ('b', 'e')"), 0);
    CHECK_EQ(exec(f, 1, "INSERT INTO \"t_we\"\"ird\" VALUES ('r', 1), (NULL, 2)"), 0);
}

TEST(a_snapshot_carries_sql_tables_rows_and_rowids)
{
    struct fx f;
    build(&f);
    /* The CHECK holds on the original. */
    CHECK(exec(&f, 1, "INSERT INTO t_items(id, name, qty) VALUES (-1, 'neg', -3)") != 0);

    uint32_t sizes[] = {700, STORE_SNAPSHOT_CHUNK_BYTES_DEFAULT};
    for (int i = 0; i < 2; i++) {
        char dst[160];
        snprintf(dst, sizeof dst, "%s/restored.db", f.dir);
        uint32_t chunks;
        CHECK_EQ(snapshot_into(f.s, sizes[i], dst, &chunks), 0);
        if (i == 0)
            CHECK(chunks > 50); /* rows and definitions spanned many chunks */
        struct store *r;
        CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
        CHECK(same_state(f.s, r));

        /* Both go on applying the same entries to the same result: rowids continue from the
         * same place (the log lost its last row, 5), generated buckets are computed, the
         * CHECK still refuses. */
        struct fx g = f;
        g.s = r;
        g.cmd = (struct buf)BUF_INIT;
        char more[3][128];
        snprintf(more[0], sizeof more[0], "INSERT INTO t_log VALUES ('f%d')", i);
        snprintf(more[1], sizeof more[1], "INSERT INTO t_items(id, name) VALUES (%d, 'late')",
                 100004 + i);
        snprintf(more[2], sizeof more[2], "UPDATE t_items SET qty = qty + 1 WHERE name = 'item 7'");
        for (size_t k = 0; k < 3; k++) {
            CHECK_EQ(exec(&f, 1, more[k]), 0);
            CHECK_EQ(exec(&g, 1, more[k]), 0);
        }
        CHECK(exec(&g, 1, "INSERT INTO t_items(id, name, qty) VALUES (-2, 'neg', -3)") != 0);
        CHECK(same_state(f.s, r));
        struct buf out = BUF_INIT;
        CHECK_EQ(sql_dump(r, i == 0 ? "SELECT _rowid_ FROM t_log WHERE msg = 'f0'"
                                    : "SELECT _rowid_ FROM t_log WHERE msg = 'f1'",
                          &out),
                 0);
        struct table_output o;
        struct table_value v;
        size_t pos = 0;
        CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
        CHECK_EQ(table_output_next_row(&o, &pos, &v), 1);
        CHECK(v.type == TABLE_INT && v.i == 5 + i);
        CHECK_EQ(sql_dump(r, "SELECT count(*) FROM t_items WHERE __bucket = cairn_bucket(id)", &out),
                 0);
        pos = 0;
        CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
        CHECK_EQ(table_output_next_row(&o, &pos, &v), 1);
        CHECK(v.type == TABLE_INT && v.i == N_ITEMS + 1 + i);
        buf_free(&out);
        buf_free(&g.cmd);
        store_close(r);
        unlink(dst);
    }
    fx_close(&f);
}

TEST(a_dropped_table_is_not_restored)
{
    struct fx f;
    build(&f);
    CHECK_EQ(schema(&f, 2, "DROP TABLE t_log"), 0);
    char dst[160];
    snprintf(dst, sizeof dst, "%s/restored.db", f.dir);
    uint32_t chunks;
    CHECK_EQ(snapshot_into(f.s, 4096, dst, &chunks), 0);
    struct store *r;
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    struct buf a = BUF_INIT, b = BUF_INIT;
    const char *q = "SELECT name FROM sqlite_schema ORDER BY name";
    CHECK_EQ(sql_dump(f.s, q, &a), 0);
    CHECK_EQ(sql_dump(r, q, &b), 0);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(sql_dump(r, "SELECT * FROM t_log", &b) != 0);
    uint64_t version = 0;
    CHECK_EQ(table_schema_version(r, &version, NULL), 0);
    CHECK_EQ(version, 2);
    buf_free(&a);
    buf_free(&b);
    store_close(r);
    fx_close(&f);
}

TEST_MAIN()
