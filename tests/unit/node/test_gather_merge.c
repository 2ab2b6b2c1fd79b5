/* Merging replicasets' sorted answers (sql_gather_merge.c): the merge must order rows exactly
 * as SQLite's ORDER BY orders them, so the reference here is SQLite itself. Random rows of
 * every storage class (integers at the edges of 64 bits, reals equal to integers, numerics as
 * text, bytes, NULLs) are dealt to a few "replicasets", each sorted by SQLite, merged, and
 * compared with SQLite's sort of all of them. A failure prints the seed that reproduces it. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "model/table/table.h"
#include "node/sql_gather_int.h"
#include "sql/sql_func.h"
#include "test.h"

#define SOURCES_MAX 5
#define ROWS 400

static int numeric_collate(void *arg, int alen, const void *a, int blen, const void *b)
{
    (void)arg;
    return sql_numeric_collate(a, alen, b, blen);
}

/* The answer of `sql` as a table_output (what a replicaset sends). */
static void answer(sqlite3 *db, const char *sql, int src, struct buf *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        abort();
    }
    if (src >= 0)
        sqlite3_bind_int(st, 1, src);
    int ncols = sqlite3_column_count(st);
    table_output_head(out, (uint32_t)ncols);
    for (int c = 0; c < ncols; c++)
        table_output_head_col(out, sqlite3_column_name(st, c), "");
    struct table_output_writer w;
    table_output_writer_init(&w, out);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct table_value v[2];
        for (int c = 0; c < ncols; c++) {
            sqlite3_value *sv = sqlite3_column_value(st, c);
            memset(&v[c], 0, sizeof v[c]);
            switch (sqlite3_value_type(sv)) {
            case SQLITE_INTEGER:
                v[c] = (struct table_value){.type = TABLE_INT, .i = sqlite3_value_int64(sv)};
                break;
            case SQLITE_FLOAT:
                v[c] = (struct table_value){.type = TABLE_REAL, .r = sqlite3_value_double(sv)};
                break;
            case SQLITE_TEXT:
                v[c] = (struct table_value){.type = TABLE_TEXT, .p = sqlite3_value_text(sv),
                                            .len = (uint32_t)sqlite3_value_bytes(sv)};
                break;
            case SQLITE_BLOB:
                v[c] = (struct table_value){.type = TABLE_BLOB, .p = sqlite3_value_blob(sv),
                                            .len = (uint32_t)sqlite3_value_bytes(sv)};
                break;
            default:
                break;
            }
        }
        table_output_put_row(&w, v, (uint32_t)ncols);
    }
    table_output_finish(&w);
    sqlite3_finalize(st);
}

static void bind_random(sqlite3_stmt *ins, struct rng *r, bool numeric)
{
    static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX,
                                    9007199254740993LL};
    static const double reals[] = {-1e300, -2.5, 0.0, 0.5, 1.0, 2.0, 9007199254740992.0,
                                   9.3e18, -9.3e18, 1e300};
    static const char *const texts[] = {"10.5", "9.25", "-3", "1.0", "1.00", "abc", "", "Z",
                                        "zz", "\xc3\xa9t\xc3\xa9", "100", "-0.001"};
    switch (rng_next(r) % (numeric ? 3 : 6)) {
    case 0: sqlite3_bind_null(ins, 1); break;
    case 1: sqlite3_bind_text(ins, 1, texts[rng_next(r) % 12], -1, SQLITE_STATIC); break;
    case 2: {
        char t[32];
        snprintf(t, sizeof t, "%d.%02d", (int)(rng_next(r) % 2001) - 1000,
                 (int)(rng_next(r) % 100));
        sqlite3_bind_text(ins, 1, t, -1, SQLITE_TRANSIENT);
        break;
    }
    case 3:
        if (rng_next(r) % 2)
            sqlite3_bind_int64(ins, 1, edges[rng_next(r) % 8]);
        else
            sqlite3_bind_int64(ins, 1, (int64_t)(rng_next(r) % 7) - 3);
        break;
    case 4:
        if (rng_next(r) % 2)
            sqlite3_bind_double(ins, 1, reals[rng_next(r) % 10]);
        else
            sqlite3_bind_double(ins, 1, (double)((int64_t)(rng_next(r) % 13) - 6) / 2);
        break;
    default: {
        uint8_t b[3] = {(uint8_t)rng_next(r), (uint8_t)rng_next(r), 0};
        sqlite3_bind_blob(ins, 1, b, (int)(rng_next(r) % 3), SQLITE_TRANSIENT);
        break;
    }
    }
}

/* Values with many duplicates, none equal to another written otherwise (1 and 1.0, '1.0' and
 * '1.00' under pg_numeric): which of two such SQLite's DISTINCT keeps is not told. */
static void bind_random_few(sqlite3_stmt *ins, struct rng *r)
{
    static const char *const texts[] = {"10.5", "9.25", "-3", "1.0", "abc", "", "Z", "100"};
    switch (rng_next(r) % 4) {
    case 0: sqlite3_bind_null(ins, 1); break;
    case 1: sqlite3_bind_text(ins, 1, texts[rng_next(r) % 8], -1, SQLITE_STATIC); break;
    case 2: sqlite3_bind_int64(ins, 1, (int64_t)(rng_next(r) % 7) - 3); break;
    default: {
        uint8_t b[1] = {(uint8_t)(rng_next(r) % 3)};
        sqlite3_bind_blob(ins, 1, b, 1, SQLITE_TRANSIENT);
        break;
    }
    }
}

/* One round: returns false (after printing why) when the merge differs from SQLite's sort
 * (distinct: from SELECT DISTINCT a ... ORDER BY a). */
static bool round_ok(uint64_t seed, bool distinct)
{
    struct rng r;
    rng_seed(&r, seed);
    bool numeric = rng_next(&r) % 2, desc = rng_next(&r) % 2, nulls_first = rng_next(&r) % 2;
    uint32_t nsrc = 1 + (uint32_t)(rng_next(&r) % SOURCES_MAX);
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    sqlite3_create_collation(db, "pg_numeric", SQLITE_UTF8, NULL, numeric_collate);
    sqlite3_exec(db, "CREATE TABLE t (a, id INTEGER PRIMARY KEY, src INTEGER)", 0, 0, 0);
    sqlite3_stmt *ins = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?, ?)", -1, &ins, NULL);
    for (int i = 0; i < ROWS; i++) {
        if (distinct)
            bind_random_few(ins, &r);
        else
            bind_random(ins, &r, numeric);
        sqlite3_bind_int(ins, 2, i);
        sqlite3_bind_int(ins, 3, (int)(rng_next(&r) % nsrc));
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    char order[128], sql[256];
    snprintf(order, sizeof order, "ORDER BY a%s %s NULLS %s%s",
             numeric ? " COLLATE pg_numeric" : "", desc ? "DESC" : "ASC",
             nulls_first ? "FIRST" : "LAST", distinct ? "" : ", id");
    const char *what = distinct ? "DISTINCT a" : "a, id";
    struct sqlx_gmerge m = {.on = true, .distinct = distinct, .ncols = distinct ? 1 : 2,
                            .nkeys = distinct ? 1 : 2, .offset = rng_next(&r) % 20,
                            .limit = rng_next(&r) % 2 ? UINT64_MAX : rng_next(&r) % 300};
    m.key[0] = (struct sqlx_gmerge_key){.col = 0, .desc = desc, .nulls_first = nulls_first,
                                        .numeric = numeric};
    m.key[1] = (struct sqlx_gmerge_key){.col = 1};
    struct buf outs[SOURCES_MAX], want = BUF_INIT, got = BUF_INIT;
    const struct buf *ptrs[SOURCES_MAX];
    for (uint32_t s = 0; s < nsrc; s++) {
        outs[s] = (struct buf)BUF_INIT;
        snprintf(sql, sizeof sql, "SELECT %s FROM t WHERE src = ? %s", what, order);
        answer(db, sql, (int)s, &outs[s]);
        ptrs[s] = &outs[s];
    }
    if (m.limit == UINT64_MAX)
        snprintf(sql, sizeof sql, "SELECT %s FROM t %s LIMIT -1 OFFSET %llu", what, order,
                 (unsigned long long)m.offset);
    else
        snprintf(sql, sizeof sql, "SELECT %s FROM t %s LIMIT %llu OFFSET %llu", what, order,
                 (unsigned long long)m.limit, (unsigned long long)m.offset);
    answer(db, sql, -1, &want);
    struct sql_out_column cols[2] = {{.name = "a"}, {.name = "id"}};
    char why[128] = "";
    int rc = sqlx_gather_merge(&m, ptrs, nsrc, cols, &got, why, sizeof why);
    bool ok = rc == 0 && got.len == want.len && memcmp(got.data, want.data, got.len) == 0;
    if (!ok)
        fprintf(stderr, "  seed %llu (%s %s, %u sources): merge rc %d %s, %zu bytes, SQLite %zu\n",
                (unsigned long long)seed, what, order, nsrc, rc, why, got.len, want.len);
    for (uint32_t s = 0; s < nsrc; s++)
        buf_free(&outs[s]);
    buf_free(&want);
    buf_free(&got);
    sqlite3_close(db);
    return ok;
}

/* Seeds 1..300, or only CAIRN_TEST_SEED when it is set; false at the first round that fails. */
static bool rounds_ok(bool distinct)
{
    const char *env = getenv("CAIRN_TEST_SEED");
    if (env != NULL)
        return round_ok(strtoull(env, NULL, 10), distinct);
    for (uint64_t seed = 1; seed <= 300; seed++)
        if (!round_ok(seed, distinct))
            return false;
    return true;
}

TEST(merge_orders_as_sqlite_sorts)
{
    CHECK(rounds_ok(false));
}

TEST(merge_drops_duplicates_as_sqlite_distinct)
{
    CHECK(rounds_ok(true));
}

TEST(merge_refuses_a_malformed_answer)
{
    struct buf bad = BUF_INIT, out = BUF_INIT;
    buf_append_u8(&bad, 0);
    buf_append_u8(&bad, 7);
    const struct buf *ptrs[1] = {&bad};
    struct sqlx_gmerge m = {.on = true, .ncols = 1, .limit = UINT64_MAX};
    struct sql_out_column cols[1] = {{.name = "a"}};
    char why[128] = "";
    CHECK_EQ(sqlx_gather_merge(&m, ptrs, 1, cols, &out, why, sizeof why), (uint64_t)ERR_PROTO);
    CHECK(strstr(why, "malformed") != NULL);
    buf_free(&bad);
    buf_free(&out);
}

TEST(merge_of_no_answers_is_empty)
{
    struct buf out = BUF_INIT;
    struct sqlx_gmerge m = {.on = true, .ncols = 1, .limit = UINT64_MAX};
    struct sql_out_column cols[1] = {{.name = "a"}};
    char why[128] = "";
    CHECK_EQ(sqlx_gather_merge(&m, NULL, 0, cols, &out, why, sizeof why), 0);
    struct table_output o;
    CHECK_EQ(table_output_parse(out.data, out.len, &o), 0);
    CHECK_EQ(o.ncols, 1);
    size_t pos = 0;
    struct table_value v;
    CHECK_EQ(table_output_next_row(&o, &pos, &v), 0);
    buf_free(&out);
}

TEST_MAIN()
