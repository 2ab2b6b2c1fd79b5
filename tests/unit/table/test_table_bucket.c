/* The table model's side of bucket moves: writes refused outside owned
 * buckets, the coordinator's bucket set (check, skip, visibility), pages of a
 * bucket's rows read at a source and imported at a destination, clears. */
#include <string.h>

#include "kv/kv_fx.h"
#include "model/table/table.h"
#include "test.h"

#define N_KEYS 400

/* CHECK for helpers that return a value: the test is failed, the helper returns bad. */
#define REQUIRE(cond, bad)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);           \
            test_failed_now = 1;                                                                   \
            return bad;                                                                            \
        }                                                                                          \
    } while (0)

static void apply_ok(struct fx *f, struct store_result *res)
{
    CHECK_EQ(fx_apply(f, res), 0);
}

/* A store with the sharded table t(id, v) as the coordinator creates it. */
static void open_sharded(struct fx *f)
{
    struct store_result res;
    CHECK_EQ(fx_open_buckets(f, 64), 0);
    struct buf ddl = BUF_INIT;
    buf_printf(&ddl, "CREATE TABLE t(id INT8 PRIMARY KEY, v TEXT, \"__bucket\" INTEGER GENERATED "
                     "ALWAYS AS (cairn_bucket(\"id\")) STORED); CREATE INDEX t__bucket ON "
                     "t(\"__bucket\")");
    CHECK_EQ(table_bucket_triggers_sql(&ddl, "t"), 0);
    buf_printf(&ddl, "; CREATE TABLE u(k TEXT, \"__bucket\" INTEGER GENERATED ALWAYS AS "
                     "(cairn_bucket(\"k\")) STORED)");
    CHECK_EQ(table_bucket_triggers_sql(&ddl, "u"), 0);
    buf_append_u8(&ddl, 0);
    CHECK_EQ(table_encode_schema(&f->cmd, 1, (const char *)ddl.data, NULL), 0);
    apply_ok(f, &res);
    CHECK_EQ(res.status, 0);
    CHECK(res.output == NULL);
    store_results_free(&res, 1);
    buf_free(&ddl);
}

static uint32_t bucket_of(struct fx *f, int64_t id)
{
    struct table_value v = {.type = TABLE_INT, .i = id};
    return table_bucket(&v, 1, store_bucket_count(f->s));
}

/* Applies one statement (with a bucket set when set != NULL); returns the
 * output's state, its SQLSTATE in state_out, the changes in *changes. */
static int exec1(struct fx *f, const char *sql, const uint8_t *set, uint32_t set_bytes,
                 char sqlstate[6], uint64_t *changes)
{
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql)};
    struct table_exec x = {.now_us = 1,
                           .seed = 1,
                           .flags = set ? TABLE_EXEC_BUCKETS : 0,
                           .n = 1,
                           .stmts = &st,
                           .buckets = set,
                           .buckets_bytes = set_bytes};
    struct store_result res;
    REQUIRE(((table_encode_exec(&f->cmd, &x, NULL)) == (0)), -1);
    apply_ok(f, &res);
    struct table_output o;
    REQUIRE(((table_output_parse(res.output, res.output_len, &o)) == (0)), -1);
    sqlstate[0] = '\0';
    if (o.state == TABLE_STATE_ERROR)
        memcpy(sqlstate, o.sqlstate, 6);
    if (changes != NULL)
        *changes = o.state == TABLE_STATE_OK ? o.changes : 0;
    int state = o.state;
    store_results_free(&res, 1);
    return state;
}

/* A read outside the log, with an optional set: the first column of the first row. */
static int64_t read1(struct fx *f, const char *sql, const uint8_t *set, uint32_t set_bytes,
                     char sqlstate[6])
{
    struct table_stmt st = {.sql = sql, .sql_len = (uint32_t)strlen(sql)};
    struct table_exec x = {.flags = set ? TABLE_EXEC_BUCKETS : 0,
                           .n = 1,
                           .stmts = &st,
                           .buckets = set,
                           .buckets_bytes = set_bytes};
    struct buf out = BUF_INIT;
    REQUIRE(((table_run(f->s, &x, false, &out, NULL)) == (0)), -2);
    struct table_output o;
    struct table_value v;
    size_t pos = 0;
    int64_t n = -1;
    sqlstate[0] = '\0';
    REQUIRE(((table_output_parse(out.data, out.len, &o)) == (0)), -2);
    if (o.state == TABLE_STATE_ERROR)
        memcpy(sqlstate, o.sqlstate, 6);
    else if (table_output_next_row(&o, &pos, &v) == 1 && v.type == TABLE_INT)
        n = v.i;
    buf_free(&out);
    return n;
}

static void kv_cmd(struct fx *f, int kind, uint32_t bucket, int want_status)
{
    struct store_result res;
    switch (kind) {
    case KV_CMD_BUCKET_OWN:
        CHECK_EQ(kv_encode_bucket_own(&f->cmd, &bucket, 1, NULL), 0);
        break;
    case KV_CMD_BUCKET_RECEIVE:
        CHECK_EQ(kv_encode_bucket_receive(&f->cmd, bucket, NULL), 0);
        break;
    case KV_CMD_BUCKET_FENCE:
        CHECK_EQ(kv_encode_bucket_fence(&f->cmd, bucket, NULL), 0);
        break;
    case KV_CMD_BUCKET_DROP:
        CHECK_EQ(kv_encode_bucket_drop(&f->cmd, bucket, NULL), 0);
        break;
    }
    apply_ok(f, &res);
    CHECK_EQ(res.status, want_status);
    store_results_free(&res, 1);
}

static void own_all(struct fx *f)
{
    for (uint32_t b = 0; b < store_bucket_count(f->s); b++)
        kv_cmd(f, KV_CMD_BUCKET_OWN, b, 0);
}

static void insert_keys(struct fx *f, int64_t from, int64_t to)
{
    struct buf sql = BUF_INIT;
    buf_printf(&sql,
               "WITH RECURSIVE s(x) AS (SELECT %lld UNION ALL SELECT x + 1 FROM s WHERE x < "
               "%lld) INSERT INTO t(id, v) SELECT x, 'v' || x FROM s",
               (long long)from, (long long)to);
    buf_append_u8(&sql, 0);
    char ss[6];
    uint64_t changes = 0;
    CHECK_EQ(exec1(f, (const char *)sql.data, NULL, 0, ss, &changes), TABLE_STATE_OK);
    CHECK_EQ(changes, (uint64_t)(to - from + 1));
    buf_free(&sql);
}

/* Rows of t in bucket b, counted directly. */
static int64_t rows_in(struct fx *f, uint32_t b)
{
    char sql[96], ss[6];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE \"__bucket\" = %u", b);
    return read1(f, sql, NULL, 0, ss);
}

TEST(a_store_that_is_not_sharded_takes_every_write)
{
    struct fx f;
    open_sharded(&f);
    insert_keys(&f, 1, 50);
    char ss[6];
    uint64_t ch;
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'x'", NULL, 0, ss, &ch), TABLE_STATE_OK);
    CHECK_EQ(ch, 50);
    CHECK_EQ(
        read1(&f, "SELECT count(*) FROM t WHERE cairn_bucket_visible(\"__bucket\")", NULL, 0, ss),
        50);
    fx_close(&f);
}

TEST(writes_to_a_bucket_not_owned_here_are_refused_with_55000)
{
    struct fx f;
    open_sharded(&f);
    uint32_t b1 = bucket_of(&f, 1);
    int64_t other = 2;
    while (bucket_of(&f, other) == b1)
        other++;
    uint32_t b2 = bucket_of(&f, other);
    kv_cmd(&f, KV_CMD_BUCKET_OWN, b1, 0); /* sharded now, owning b1 only */
    char ss[6], sql[128];
    uint64_t ch;
    CHECK_EQ(exec1(&f, "INSERT INTO t(id, v) VALUES (1, 'a')", NULL, 0, ss, &ch), TABLE_STATE_OK);
    snprintf(sql, sizeof sql, "INSERT INTO t(id, v) VALUES (%lld, 'b')", (long long)other);
    CHECK_EQ(exec1(&f, sql, NULL, 0, ss, &ch), TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    /* Fenced: the row stays readable, but no update or delete touches it. */
    kv_cmd(&f, KV_CMD_BUCKET_FENCE, b1, 0);
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'z' WHERE id = 1", NULL, 0, ss, &ch), TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    CHECK_EQ(exec1(&f, "DELETE FROM t", NULL, 0, ss, &ch), TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t WHERE v = 'a'", NULL, 0, ss), 1);
    /* An update that touches no fenced row goes through. */
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'z' WHERE id = 99999", NULL, 0, ss, &ch), TABLE_STATE_OK);
    kv_cmd(&f, KV_CMD_BUCKET_OWN, b2, 0);
    CHECK_EQ(exec1(&f, sql, NULL, 0, ss, &ch), TABLE_STATE_OK);
    CHECK_EQ(rows_in(&f, b2), 1);
    fx_close(&f);
}

TEST(a_bucket_set_is_checked_and_scopes_updates_and_reads)
{
    struct fx f;
    open_sharded(&f);
    own_all(&f);
    insert_keys(&f, 1, N_KEYS);
    uint32_t count = store_bucket_count(f.s);
    uint8_t set[8] = {0};
    CHECK(count <= 64);
    /* The even buckets only. */
    int64_t in_set = 0;
    for (uint32_t b = 0; b < count; b += 2) {
        set[b / 8] |= (uint8_t)(1u << (b % 8));
        in_set += rows_in(&f, b);
    }
    CHECK(in_set > 0 && in_set < N_KEYS);
    char ss[6];
    uint64_t ch;
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t WHERE cairn_bucket_visible(\"__bucket\")", set,
                   sizeof set, ss),
             in_set);
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'even'", set, sizeof set, ss, &ch), TABLE_STATE_OK);
    CHECK_EQ((int64_t)ch, in_set);
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t WHERE v = 'even'", NULL, 0, ss), in_set);
    /* A fenced bucket in the set: reads go on, a write touching it is refused. */
    kv_cmd(&f, KV_CMD_BUCKET_FENCE, 0, 0);
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t WHERE cairn_bucket_visible(\"__bucket\")", set,
                   sizeof set, ss),
             in_set);
    if (rows_in(&f, 0) > 0) {
        CHECK_EQ(exec1(&f, "DELETE FROM t", set, sizeof set, ss, &ch), TABLE_STATE_ERROR);
        CHECK_STR(ss, "55000");
    }
    /* Dropped: a set that still names it is refused whole. */
    kv_cmd(&f, KV_CMD_BUCKET_DROP, 0, 0);
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t", set, sizeof set, ss), -1);
    CHECK_STR(ss, "55000");
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'again'", set, sizeof set, ss, &ch), TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    CHECK_EQ(read1(&f, "SELECT count(*) FROM t WHERE v = 'again'", NULL, 0, ss), 0);
    /* An insert is never skipped, set or not: outside the set it is refused. */
    set[0] &= (uint8_t)~1u;
    int64_t odd = 1;
    while (bucket_of(&f, N_KEYS + odd) % 2 == 0)
        odd++;
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO t(id, v) VALUES (%lld, 'n')", (long long)(N_KEYS + odd));
    CHECK_EQ(exec1(&f, sql, set, sizeof set, ss, &ch), TABLE_STATE_OK); /* owned: fine */
    fx_close(&f);
}

/* Reads every page of bucket b at src with pages of page_bytes; imports them at
 * dst from seq 1. Returns the pages. */
static uint32_t copy_bucket(struct fx *src, struct fx *dst, uint32_t b, size_t page_bytes,
                            uint64_t *rows)
{
    struct buf page = BUF_INIT, after = BUF_INIT;
    int64_t after_rowid = 0;
    uint32_t pages = 0;
    *rows = 0;
    buf_append_u8(&after, 0);
    for (int guard = 0; guard < 10000; guard++) {
        buf_reset(&page);
        REQUIRE(((table_bucket_read(src->s, b, (const char *)after.data, after_rowid, page_bytes,
                                    &page, NULL)) == (0)),
                0);
        struct table_bucket_page pg;
        REQUIRE(((table_bucket_page_parse(page.data, page.len, &pg)) == (0)), 0);
        if (pg.nrows == 0)
            break;
        struct store_result res;
        REQUIRE(
            ((table_encode_bucket_import(&dst->cmd, b, ++pages, page.data, page.len, NULL)) == (0)),
            0);
        apply_ok(dst, &res);
        REQUIRE(((res.status) == (0)), 0);
        store_results_free(&res, 1);
        *rows += pg.nrows;
        buf_reset(&after);
        buf_append(&after, pg.table, pg.table_len);
        buf_append_u8(&after, 0);
        after_rowid = pg.last_rowid;
    }
    buf_free(&page);
    buf_free(&after);
    return pages;
}

static void table_clear(struct fx *f, uint32_t b, int want_status)
{
    struct store_result res;
    CHECK_EQ(table_encode_bucket_clear(&f->cmd, b, NULL), 0);
    apply_ok(f, &res);
    CHECK_EQ(res.status, want_status);
    store_results_free(&res, 1);
}

TEST(a_bucket_moves_page_by_page_exactly_once)
{
    struct fx src, dst;
    open_sharded(&src);
    open_sharded(&dst);
    own_all(&src);
    insert_keys(&src, 1, N_KEYS);
    /* Rows in the second table too, so that pages cross tables. */
    char ss[6];
    uint64_t ch;
    CHECK_EQ(exec1(&src,
                   "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 300) "
                   "INSERT INTO u(k) SELECT 'k' || x FROM s",
                   NULL, 0, ss, &ch),
             TABLE_STATE_OK);
    uint32_t b = bucket_of(&src, 1);
    uint64_t want = 0;
    CHECK_EQ(table_bucket_count_rows(src.s, b, &want, NULL), 0);
    CHECK(want > 2);
    /* dst: sharded, owns nothing of b; a client write to b is refused while it receives. */
    uint32_t other = (b + 1) % store_bucket_count(dst.s);
    kv_cmd(&dst, KV_CMD_BUCKET_OWN, other, 0);
    table_clear(&dst, b, 0); /* NONE: allowed, nothing there */
    kv_cmd(&dst, KV_CMD_BUCKET_RECEIVE, b, 0);
    table_clear(&dst, b, 0);
    kv_cmd(&src, KV_CMD_BUCKET_FENCE, b, 0);
    table_clear(&src, b, ERR_STALE); /* the live copy is never cleared */
    uint64_t rows = 0;
    uint32_t pages = copy_bucket(&src, &dst, b, 40, &rows); /* a few rows a page */
    CHECK(pages > 1);
    CHECK_EQ(rows, want);
    uint64_t got = 0;
    CHECK_EQ(table_bucket_count_rows(dst.s, b, &got, NULL), 0);
    CHECK_EQ(got, want);
    /* Page 1 again (a proposal applied twice) changes nothing; a gap is refused. */
    struct buf page = BUF_INIT;
    CHECK_EQ(table_bucket_read(src.s, b, "", 0, 100, &page, NULL), 0);
    struct store_result res;
    CHECK_EQ(table_encode_bucket_import(&dst.cmd, b, 1, page.data, page.len, NULL), 0);
    apply_ok(&dst, &res);
    CHECK_EQ(res.status, 0);
    CHECK(res.existed);
    store_results_free(&res, 1);
    CHECK_EQ(table_encode_bucket_import(&dst.cmd, b, pages + 2, page.data, page.len, NULL), 0);
    apply_ok(&dst, &res);
    CHECK_EQ(res.status, ERR_CONDITION);
    store_results_free(&res, 1);
    CHECK_EQ(table_bucket_count_rows(dst.s, b, &got, NULL), 0);
    CHECK_EQ(got, want);
    /* Receiving: client writes to b are refused, and a gathered read does not see it. */
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM t WHERE \"__bucket\" = %u", b);
    CHECK_EQ(exec1(&dst, sql, NULL, 0, ss, &ch), TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    CHECK_EQ(
        read1(&dst, "SELECT count(*) FROM t WHERE cairn_bucket_visible(\"__bucket\")", NULL, 0, ss),
        0);
    /* The rows are the source's, value for value. */
    snprintf(sql, sizeof sql, "SELECT sum(id) + sum(length(v)) FROM t WHERE \"__bucket\" = %u", b);
    CHECK_EQ(read1(&dst, sql, NULL, 0, ss), read1(&src, sql, NULL, 0, ss));
    /* OWN at dst: writable there; DROP then CLEAR at the source removes its copy. */
    kv_cmd(&dst, KV_CMD_BUCKET_OWN, b, 0);
    CHECK_EQ(exec1(&dst, "UPDATE t SET v = 'moved'", NULL, 0, ss, &ch), TABLE_STATE_OK);
    CHECK_EQ((int64_t)ch, rows_in(&dst, b) + rows_in(&dst, other));
    /* An import into a bucket owned here is refused: the move is over. */
    CHECK_EQ(table_encode_bucket_import(&dst.cmd, b, pages + 1, page.data, page.len, NULL), 0);
    apply_ok(&dst, &res);
    CHECK_EQ(res.status, ERR_STALE);
    store_results_free(&res, 1);
    kv_cmd(&src, KV_CMD_BUCKET_DROP, b, 0);
    table_clear(&src, b, 0);
    CHECK_EQ(table_bucket_count_rows(src.s, b, &got, NULL), 0);
    CHECK_EQ(got, 0);
    CHECK_EQ(rows_in(&src, b), 0);
    buf_free(&page);
    fx_close(&src);
    fx_close(&dst);
}

TEST(an_import_with_a_row_of_another_bucket_is_rolled_back)
{
    struct fx src, dst;
    open_sharded(&src);
    open_sharded(&dst);
    own_all(&src);
    insert_keys(&src, 1, 50);
    uint32_t b = bucket_of(&src, 1);
    uint32_t c = bucket_of(&src, 2) != b ? bucket_of(&src, 2) : bucket_of(&src, 3);
    kv_cmd(&dst, KV_CMD_BUCKET_OWN, (b + 7) % 64 == c ? (b + 9) % 64 : (b + 7) % 64, 0);
    kv_cmd(&dst, KV_CMD_BUCKET_RECEIVE, b, 0);
    /* A page of bucket c offered as bucket b. */
    struct buf page = BUF_INIT;
    CHECK_EQ(table_bucket_read(src.s, c, "", 0, TABLE_BUCKET_PAGE_BYTES_MAX, &page, NULL), 0);
    struct store_result res;
    CHECK_EQ(table_encode_bucket_import(&dst.cmd, b, 1, page.data, page.len, NULL), 0);
    apply_ok(&dst, &res);
    CHECK_EQ(res.status, ERR_CONDITION);
    struct table_output o;
    CHECK_EQ(table_output_parse(res.output, res.output_len, &o), 0);
    CHECK_STR(o.sqlstate, "55000");
    store_results_free(&res, 1);
    uint64_t got = 1;
    CHECK_EQ(table_bucket_count_rows(dst.s, c, &got, NULL), 0);
    CHECK_EQ(got, 0);
    buf_free(&page);
    fx_close(&src);
    fx_close(&dst);
}

/* What a run read of the bucket states is kept for the next runs (table_states_reset), but
 * not past a change: a kv command's, or a rollback's that undid one. Here a batch fences
 * bucket b, runs a statement that reads b as FENCED, and fails at its last entry: the fence
 * is rolled back, and a write to b must be taken again. */
TEST(bucket_states_kept_between_runs_follow_a_rolled_back_batch)
{
    struct fx f;
    open_sharded(&f);
    own_all(&f);
    insert_keys(&f, 1, 50);
    uint32_t b = bucket_of(&f, 1);
    uint8_t set[8] = {0};
    set[b / 8] |= (uint8_t)(1u << (b % 8));
    char ss[6];
    uint64_t ch = 0;
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'a' WHERE id = 1", set, sizeof set, ss, &ch),
             TABLE_STATE_OK);
    CHECK_EQ(ch, 1);

    struct buf cmds[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
    CHECK_EQ(kv_encode_bucket_fence(&cmds[0], b, NULL), 0);
    struct table_stmt st = {.sql = "UPDATE t SET v = 'b' WHERE id = -1", .sql_len = 34};
    struct table_exec x = {.now_us = 1, .seed = 1, .flags = TABLE_EXEC_BUCKETS, .n = 1,
                           .stmts = &st, .buckets = set, .buckets_bytes = sizeof set};
    CHECK_EQ(table_encode_exec(&cmds[1], &x, NULL), 0);
    buf_append_u8(&cmds[2], 99); /* no model has this tag: apply stops, the batch rolls back */
    struct raft_entry e[3];
    for (int i = 0; i < 3; i++)
        e[i] = (struct raft_entry){.term = 1, .index = f.index + 1 + (uint64_t)i,
                                   .type = RAFT_ENTRY_NORMAL, .len = (uint32_t)cmds[i].len,
                                   .data = cmds[i].data};
    struct store_result res[3];
    struct errbuf eb;
    CHECK_EQ(store_apply(f.s, e, 3, res, &eb), ERR_UNSUPPORTED);

    /* b is OWNED again: the write goes through (a kept FENCED would refuse it, 55000). */
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'c' WHERE id = 1", set, sizeof set, ss, &ch),
             TABLE_STATE_OK);
    CHECK_EQ(ch, 1);
    /* And a fence that is applied is seen by the next write. */
    kv_cmd(&f, KV_CMD_BUCKET_FENCE, b, 0);
    CHECK_EQ(exec1(&f, "UPDATE t SET v = 'd' WHERE id = 1", set, sizeof set, ss, &ch),
             TABLE_STATE_ERROR);
    CHECK_STR(ss, "55000");
    for (int i = 0; i < 3; i++)
        buf_free(&cmds[i]);
    fx_close(&f);
}

TEST_MAIN()
