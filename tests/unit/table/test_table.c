/* The table model: replicated statements at apply, reads and tentative runs,
 * result-hash validation, schema versions, and commands that do not decode. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "kv/kv_fx.h"
#include "model/table/table.h"
#include "store/store_model.h"
#include "test.h"

static int schema(struct fx *f, uint64_t version, const char *sql, struct store_result *res)
{
    int rc = table_encode_schema(&f->cmd, version, sql, NULL);
    return rc ? rc : fx_apply(f, res);
}

/* One EXEC of n statements without parameters. */
static int exec(struct fx *f, const char *const *sql, uint32_t n, const uint64_t *hashes,
                uint64_t schema_version, struct store_result *res)
{
    struct table_stmt st[8];
    for (uint32_t i = 0; i < n; i++)
        st[i] = (struct table_stmt){.sql = sql[i],
                                    .sql_len = (uint32_t)strlen(sql[i]),
                                    .expect_hash = hashes ? hashes[i] : 0};
    struct table_exec x = {.schema_version = schema_version,
                           .now_us = 1,
                           .seed = 7,
                           .flags = hashes ? TABLE_EXEC_VALIDATE : 0,
                           .n = n,
                           .stmts = st};
    int rc = table_encode_exec(&f->cmd, &x, NULL);
    return rc ? rc : fx_apply(f, res);
}

static int run(struct fx *f, const char *sql, bool tentative, struct buf *out)
{
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql)};
    struct table_exec x = {.n = 1, .stmts = &st};
    return table_run(f->s, &x, tentative, out, NULL);
}

static int64_t count_rows(struct fx *f)
{
    struct buf out = BUF_INIT;
    struct table_output o;
    struct table_value v;
    size_t pos = 0;
    int64_t n = -1;
    if (run(f, "SELECT count(*) FROM t", false, &out) == 0 &&
        table_output_parse(out.data, out.len, &o) == 0 && o.state == TABLE_STATE_OK &&
        table_output_next_row(&o, &pos, &v) == 1 && v.type == TABLE_INT)
        n = v.i;
    buf_free(&out);
    return n;
}

static void open_with_table(struct fx *f)
{
    struct store_result res;
    CHECK_EQ(fx_open(f), 0);
    CHECK_EQ(schema(f, 1, "CREATE TABLE t(id INT8 PRIMARY KEY, v TEXT)", &res), 0);
    CHECK_EQ(res.status, 0);
    store_results_free(&res, 1);
}

TEST(schema_versions_apply_in_order)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    uint64_t v = 0;
    CHECK_EQ(table_schema_version(f.s, &v, NULL), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(schema(&f, 1, "CREATE TABLE t(id INT8)", &res), 0); /* again: skipped */
    CHECK(res.existed);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(schema(&f, 3, "CREATE TABLE u(id INT8)", &res), 0); /* a gap: refused */
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(table_schema_version(f.s, &v, NULL), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(schema(&f, 2, "", &res), 0); /* nothing to run here, the version moves */
    CHECK_EQ(table_schema_version(f.s, &v, NULL), 0);
    CHECK_EQ(v, 2);
    fx_close(&f);
}

TEST(exec_writes_and_reads_back)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const char *ins[] = {"INSERT INTO t VALUES (1, 'a'), (2, 'b')"};
    CHECK_EQ(exec(&f, ins, 1, NULL, 1, &res), 0);
    CHECK_EQ(res.status, 0);
    struct table_output o;
    CHECK_EQ(table_output_parse(res.output, res.output_len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_OK);
    CHECK_EQ(o.changes, 2);
    CHECK_EQ(o.hash, table_hash_blind(2));
    store_results_free(&res, 1);

    struct buf out = BUF_INIT;
    CHECK_EQ(run(&f, "SELECT id, v FROM t ORDER BY id", false, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_OK);
    CHECK_EQ(o.ncols, 2);
    const char *name, *decl;
    uint32_t nl, dl;
    CHECK_EQ(table_output_col(&o, 1, &name, &nl, &decl, &dl), 0);
    CHECK(nl == 1 && name[0] == 'v' && dl == 4 && memcmp(decl, "TEXT", 4) == 0);
    struct table_value vals[2];
    size_t pos = 0;
    CHECK_EQ(table_output_next_row(&o, &pos, vals), 1);
    CHECK(vals[0].type == TABLE_INT && vals[0].i == 1);
    CHECK(vals[1].type == TABLE_TEXT && vals[1].len == 1 && vals[1].p[0] == 'a');
    CHECK_EQ(table_output_next_row(&o, &pos, vals), 1);
    CHECK_EQ(vals[0].i, 2);
    CHECK_EQ(table_output_next_row(&o, &pos, vals), 0);
    buf_free(&out);
    fx_close(&f);
}

TEST(a_failing_statement_rolls_back_the_whole_exec)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const char *sql[] = {"INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (1, 'dup')"};
    CHECK_EQ(exec(&f, sql, 2, NULL, 1, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    struct table_output o;
    CHECK_EQ(table_output_parse(res.output, res.output_len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_ERROR);
    CHECK_STR(o.sqlstate, "23505");
    CHECK_EQ(o.failed_stmt, 1);
    store_results_free(&res, 1);
    CHECK_EQ(count_rows(&f), 0);
    fx_close(&f);
}

TEST(validation_refuses_a_changed_read)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const char *ins[] = {"INSERT INTO t VALUES (1, 'a')"};
    CHECK_EQ(exec(&f, ins, 1, NULL, 1, &res), 0);
    store_results_free(&res, 1);
    /* What a transaction's client saw, tentatively: nothing is kept. */
    struct buf out = BUF_INIT;
    struct table_output o;
    CHECK_EQ(run(&f, "SELECT v FROM t WHERE id = 1", true, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_OK);
    uint64_t seen = o.hash;
    CHECK_EQ(run(&f, "INSERT INTO t VALUES (9, 'tentative')", true, &out), 0);
    CHECK_EQ(count_rows(&f), 1);
    buf_free(&out);

    /* Someone else changes the row before the commit: 40001, nothing applied. */
    const char *upd[] = {"UPDATE t SET v = 'b' WHERE id = 1"};
    CHECK_EQ(exec(&f, upd, 1, NULL, 1, &res), 0);
    store_results_free(&res, 1);
    const char *txn[] = {"SELECT v FROM t WHERE id = 1", "INSERT INTO t VALUES (2, 'x')"};
    uint64_t hashes[] = {seen, table_hash_blind(1)};
    CHECK_EQ(exec(&f, txn, 2, hashes, 1, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(table_output_parse(res.output, res.output_len, &o), 0);
    CHECK_STR(o.sqlstate, "40001");
    store_results_free(&res, 1);
    CHECK_EQ(count_rows(&f), 1);

    /* With what is there now, it commits. */
    CHECK_EQ(run(&f, "SELECT v FROM t WHERE id = 1", true, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    hashes[0] = o.hash;
    buf_free(&out);
    CHECK_EQ(exec(&f, txn, 2, hashes, 1, &res), 0);
    CHECK_EQ(res.status, 0);
    store_results_free(&res, 1);
    CHECK_EQ(count_rows(&f), 2);
    fx_close(&f);
}

TEST(another_schema_version_is_refused)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const char *ins[] = {"INSERT INTO t VALUES (1, 'a')"};
    CHECK_EQ(exec(&f, ins, 1, NULL, 2, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    struct table_output o;
    CHECK_EQ(table_output_parse(res.output, res.output_len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_SCHEMA);
    CHECK_EQ(o.schema_version, 1);
    store_results_free(&res, 1);
    CHECK_EQ(count_rows(&f), 0);
    fx_close(&f);
}

TEST(a_read_run_refuses_writes)
{
    struct fx f;
    open_with_table(&f);
    struct buf out = BUF_INIT;
    struct table_output o;
    CHECK_EQ(run(&f, "INSERT INTO t VALUES (1, 'a')", false, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_ERROR);
    CHECK_STR(o.sqlstate, "25006");
    CHECK_EQ(count_rows(&f), 0);
    CHECK_EQ(run(&f, "SELEC nonsense", false, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_STR(o.sqlstate, "42601");
    buf_free(&out);
    fx_close(&f);
}

TEST(commands_that_do_not_decode)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const uint8_t bad[][4] = {{STORE_MODEL_TABLE, 1, 0, 0}, {STORE_MODEL_TABLE, 9, 0, 0}};
    for (int i = 0; i < 2; i++) {
        buf_append(&f.cmd, bad[i], sizeof bad[i]);
        CHECK(fx_apply(&f, &res) != 0);
    }
    CHECK(table_output_parse((const uint8_t *)"\x07", 1, &(struct table_output){0}) ==
          ERR_MALFORMED);
    CHECK(table_run_encoded(f.s, bad[0], sizeof bad[0], false, 0, &f.cmd, NULL) == ERR_MALFORMED);
    buf_reset(&f.cmd);
    fx_close(&f);
}

TEST(buckets_of_equal_keys_are_equal)
{
    struct table_value i = {.type = TABLE_INT, .i = 42};
    struct table_value r = {.type = TABLE_REAL, .r = 42.0};
    struct table_value t = {.type = TABLE_TEXT, .p = (const uint8_t *)"42", .len = 2};
    CHECK_EQ(table_bucket(&i, 1, 3000), table_bucket(&r, 1, 3000));
    CHECK(table_bucket(&i, 1, 3000) < 3000);
    /* Text "42" is another key than the integer 42, unless they collide by chance. */
    uint32_t differ = 0;
    for (int64_t k = 0; k < 64; k++) {
        char s[8];
        struct table_value a = {.type = TABLE_INT, .i = k};
        struct table_value b = {.type = TABLE_TEXT, .p = (const uint8_t *)s,
                                .len = (uint32_t)snprintf(s, sizeof s, "%lld", (long long)k)};
        differ += table_bucket(&a, 1, 3000) != table_bucket(&b, 1, 3000);
    }
    CHECK(differ > 50);
    (void)t;
}

/* ---- a client transaction's savepoint held between its statements ---- */

/* A tentative run of the first n of a transaction's statements, as session 5 sends them. */
static int txn_run(struct fx *f, const char *const *sql, uint32_t n, struct buf *out)
{
    struct table_stmt st[8];
    for (uint32_t i = 0; i < n; i++)
        st[i] = (struct table_stmt){.sql = sql[i], .sql_len = (uint32_t)strlen(sql[i])};
    struct table_exec x = {.now_us = 1, .seed = 7, .n = n, .stmts = st, .session = 5};
    return table_run(f->s, &x, true, out, NULL);
}

/* The first value of the output's first row, or -1. */
static int64_t first_int(const struct buf *out)
{
    struct table_output o;
    struct table_value v;
    size_t pos = 0;
    if (table_output_parse(out->data, out->len, &o) != 0 || o.state != TABLE_STATE_OK ||
        table_output_next_row(&o, &pos, &v) != 1 || v.type != TABLE_INT)
        return -1;
    return v.i;
}

static uint8_t state_of(const struct buf *out)
{
    return out->len > 0 ? out->data[0] : 0xff;
}

TEST(a_held_transaction_runs_each_statement_once_and_commits_nothing)
{
    struct fx f;
    open_with_table(&f);
    struct buf out = BUF_INIT;
    /* the second statement would fail if the first ran twice (a duplicate key) */
    const char *sql[] = {"INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b')",
                         "SELECT count(*) FROM t", "INSERT INTO t VALUES (1, 'dup')",
                         "SELECT sum(id) FROM t"};
    CHECK_EQ(txn_run(&f, sql, 1, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    /* a row slipped into the held savepoint shows that the next runs continue it instead of
     * replaying the statements (a replay would start from the committed rows: none) */
    CHECK_EQ(sqlite3_exec(store_db_unreleased(f.s), "INSERT INTO t VALUES (100, 'marker')", NULL,
                          NULL, NULL),
             SQLITE_OK);
    CHECK_EQ(txn_run(&f, sql, 2, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    CHECK_EQ(txn_run(&f, sql, 3, &out), 0);
    CHECK_EQ(first_int(&out), 3);
    /* a failing statement is undone alone; the transaction's earlier rows stay */
    CHECK_EQ(txn_run(&f, sql, 4, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_ERROR);
    const char *next[] = {sql[0], sql[1], sql[2], sql[4]};
    CHECK_EQ(txn_run(&f, next, 4, &out), 0);
    CHECK_EQ(first_int(&out), 103);
    /* anything else on the store rolls the held savepoint back first: nothing was committed */
    CHECK_EQ(count_rows(&f), 0);
    /* and the transaction's next run replays it, from the committed rows */
    CHECK_EQ(txn_run(&f, next, 4, &out), 0);
    CHECK_EQ(first_int(&out), 3);
    buf_free(&out);
    fx_close(&f);
}

TEST(an_apply_after_a_held_run_sees_only_committed_rows)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    struct buf out = BUF_INIT;
    const char *sql[] = {"INSERT INTO t VALUES (7, 'tentative')", "SELECT count(*) FROM t"};
    CHECK_EQ(txn_run(&f, sql, 1, &out), 0);
    const char *w[] = {"INSERT INTO t VALUES (8, 'applied')"};
    CHECK_EQ(exec(&f, w, 1, NULL, 0, &res), 0);
    CHECK_EQ(res.status, 0);
    store_results_free(&res, 1);
    CHECK_EQ(count_rows(&f), 1);
    /* the transaction goes on over the new state: its first statement is run again */
    CHECK_EQ(txn_run(&f, sql, 2, &out), 0);
    CHECK_EQ(first_int(&out), 2);
    CHECK_EQ(count_rows(&f), 1);
    buf_free(&out);
    fx_close(&f);
}

TEST(a_held_transaction_that_sqlite_rolled_back_is_not_continued)
{
    struct fx f;
    open_with_table(&f);
    struct buf out = BUF_INIT;
    const char *sql[] = {"INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, 'b')"};
    CHECK_EQ(txn_run(&f, sql, 1, &out), 0);
    /* as SQLite does on an interrupt or a full disk: the whole transaction is gone */
    CHECK_EQ(sqlite3_exec(store_db_unreleased(f.s), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ(txn_run(&f, sql, 2, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    /* continued in autocommit, the second row would have been committed here */
    CHECK_EQ(count_rows(&f), 0);
    buf_free(&out);
    fx_close(&f);
}

/* A tentative run replays only the earlier statements its last one depends on: one that wrote
 * another table is left out, one that wrote a table the last one reads is not. Seen here by
 * an earlier INSERT that would now fail (its key committed meanwhile by someone else). */
TEST(a_tentative_run_replays_only_what_its_last_statement_reads)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    CHECK_EQ(schema(&f, 2, "CREATE TABLE u(id INT8 PRIMARY KEY)", &res), 0);
    CHECK_EQ(res.status, 0);
    store_results_free(&res, 1);
    struct buf out = BUF_INIT;
    const char *first[] = {"INSERT INTO u VALUES (5)"};
    CHECK_EQ(txn_run(&f, first, 1, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    const char *w[] = {"INSERT INTO u VALUES (5)"};
    CHECK_EQ(exec(&f, w, 1, NULL, 0, &res), 0); /* someone else's commit */
    CHECK_EQ(res.status, 0);
    store_results_free(&res, 1);
    /* another table: the INSERT into u is not run again */
    const char *other[] = {"INSERT INTO u VALUES (5)", "INSERT INTO t VALUES (1, 'a')",
                           "SELECT count(*) FROM t"};
    CHECK_EQ(txn_run(&f, other, 2, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    CHECK_EQ(txn_run(&f, other, 3, &out), 0);
    CHECK_EQ(first_int(&out), 1);
    /* the same table: it is, and fails */
    const char *same[] = {"INSERT INTO u VALUES (5)", "INSERT INTO t VALUES (1, 'a')",
                          "SELECT count(*) FROM u"};
    CHECK_EQ(txn_run(&f, same, 3, &out), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_ERROR);
    CHECK_EQ(count_rows(&f), 0);
    buf_free(&out);
    fx_close(&f);
}

/* Another connection holding the write lock for a moment, as the store's checkpoint does. */
struct locker {
    sqlite3 *db;
    pthread_t thread;
};

static void *locker_commit_later(void *arg)
{
    struct locker *k = arg;
    usleep(200 * 1000);
    sqlite3_exec(k->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

/* A tentative run that reads before it writes waits for the write lock another connection
 * holds: SQLite would fail the write at once, "database is locked", had the run begun as a
 * read transaction. */
TEST(a_tentative_run_waits_for_the_write_lock)
{
    struct fx f;
    open_with_table(&f);
    struct locker k;
    CHECK_EQ(sqlite3_open_v2(f.path, &k.db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(k.db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ(pthread_create(&k.thread, NULL, locker_commit_later, &k), 0);
    struct table_stmt st[] = {
        {.sql = "SELECT count(*) FROM t", .sql_len = 22},
        {.sql = "INSERT INTO t VALUES (1, 'a')", .sql_len = 29},
    };
    struct table_exec x = {.now_us = 1, .seed = 7, .flags = TABLE_EXEC_VALIDATE, .n = 2,
                           .stmts = st};
    struct buf out = BUF_INIT;
    CHECK_EQ(table_run(f.s, &x, true, &out, NULL), 0);
    CHECK_EQ(state_of(&out), TABLE_STATE_OK);
    pthread_join(k.thread, NULL);
    sqlite3_close(k.db);
    CHECK_EQ(count_rows(&f), 0); /* tentative: nothing stays */
    buf_free(&out);
    fx_close(&f);
}

/* Rows sent with a statement come back exactly as sent, through every answer in the blob, and
 * the statement's CAST gives them their column's type for comparisons. */
TEST(cairn_rows_reads_back_the_answers_bound_as_one_blob)
{
    struct fx f;
    struct store_result res;
    open_with_table(&f);
    const char *ins[] = {"INSERT INTO t VALUES (1, 'a'), (2, NULL)"};
    CHECK_EQ(exec(&f, ins, 1, NULL, 1, &res), 0);
    store_results_free(&res, 1);
    /* two answers, as two replicasets would send them: ints, text, NULL, a real, a blob */
    struct buf a = BUF_INIT, b = BUF_INIT, blob = BUF_INIT, out = BUF_INIT;
    CHECK_EQ(run(&f, "SELECT id, v, 0.5 FROM t ORDER BY id", false, &a), 0);
    CHECK_EQ(run(&f, "SELECT 9, x'00ff', -1e300", false, &b), 0);
    CHECK_EQ(table_rows_append(&blob, a.data, a.len), 0);
    CHECK_EQ(table_rows_append(&blob, b.data, b.len), 0);
    const char *sql = "WITH m(k, v, r) AS MATERIALIZED (SELECT CAST(c0 AS INT8), c1, c2 FROM "
                      "cairn_rows(?1)) SELECT k, typeof(v), v, r, k = '9' FROM m ORDER BY k";
    struct table_value p = {.type = TABLE_BLOB, .p = blob.data, .len = (uint32_t)blob.len};
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql), .params = &p,
                            .n_params = 1};
    struct table_exec x = {.n = 1, .stmts = &st};
    CHECK_EQ(table_run(f.s, &x, false, &out, NULL), 0);
    struct table_output o;
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_OK);
    struct table_value v[5];
    size_t pos = 0;
    CHECK_EQ(table_output_next_row(&o, &pos, v), 1);
    CHECK(v[0].i == 1 && v[2].type == TABLE_TEXT && v[2].len == 1 && v[3].r == 0.5);
    CHECK(v[4].type == TABLE_INT && v[4].i == 0);
    CHECK_EQ(table_output_next_row(&o, &pos, v), 1);
    CHECK(v[0].i == 2 && v[2].type == TABLE_NULL);
    CHECK_EQ(table_output_next_row(&o, &pos, v), 1);
    CHECK(v[0].i == 9 && v[2].type == TABLE_BLOB && v[2].len == 2 && v[2].p[1] == 0xff);
    CHECK(v[3].type == TABLE_REAL && v[3].r == -1e300);
    CHECK(v[4].i == 1); /* k has INT8's affinity: '9' compares as 9 */
    CHECK_EQ(table_output_next_row(&o, &pos, v), 0);
    /* a blob cut short is an error of the statement, not a crash */
    p.len = (uint32_t)blob.len - 3;
    CHECK_EQ(table_run(f.s, &x, false, &out, NULL), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_ERROR);
    CHECK(strstr(o.message, "cairn_rows") != NULL);
    /* without its argument it is refused */
    const char *bare = "SELECT c0 FROM cairn_rows";
    CHECK_EQ(run(&f, bare, false, &out), 0);
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.state, TABLE_STATE_ERROR);
    buf_free(&a);
    buf_free(&b);
    buf_free(&blob);
    buf_free(&out);
    fx_close(&f);
}

TEST_MAIN()
