/* The table model's side of bucket moves: the checks that keep client writes
 * to buckets owned here (cairn_bucket_writable, behind every sharded table's
 * triggers), the coordinator's bucket set, and moving a bucket's rows (pages
 * read at the source, BUCKET_IMPORT and BUCKET_CLEAR). See table.h, Buckets. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "model/kv/kv.h"
#include "model/table/table_int.h"
#include "store/store_model.h"

/* A sharded table is one with the hidden bucket column; the next after a name. */
#define TABLE_BUCKET_NEXT_TABLE_SQL                                                                \
    "SELECT m.name FROM sqlite_schema AS m WHERE m.type = 'table' AND m.name > ?1"                 \
    " AND EXISTS (SELECT 1 FROM pragma_table_xinfo(m.name) AS c WHERE c.name = '__bucket')"        \
    " ORDER BY m.name LIMIT 1"
#define TABLE_BUCKET_TABLES_MAX     100000 /* bound on the walk over tables */
#define TABLE_BUCKET_NAME_BYTES_MAX 256
#define TABLE_BUCKET_SET_LOOKUPS_MAX 16 /* a bucket set this small is checked bucket by bucket */

/* ------------------------------------------------------------ bucket states */

static bool table_set_has(const struct table_model_state *t, uint32_t b)
{
    return b / 8 < t->bucket_set_bytes && (t->bucket_set[b / 8] >> (b % 8)) & 1;
}

static int table_states_fill(void *ctx, uint32_t bucket, uint8_t state)
{
    struct table_model_state *t = ctx;
    if (bucket < t->bucket_count)
        t->states[bucket] = (uint8_t)(state + 1);
    return 0;
}

static int table_sharded(struct table_model_state *t, bool *sharded)
{
    if (t->in_run && t->sharded >= 0) {
        *sharded = t->sharded;
        return 0;
    }
    struct errbuf eb = {{0}};
    int rc = kv_sharded(t->store, sharded, &eb);
    if (rc == 0 && t->in_run)
        t->sharded = *sharded;
    return rc;
}

/* The kv state of bucket b here, as the bucket checks see it: in a store that
 * is not sharded yet every bucket is OWNED (kv.h). During a run the answers
 * are kept: only kv commands change them, and none runs inside a run. */
static int table_state(struct table_model_state *t, uint32_t b, uint8_t *state)
{
    ASSERT(t->store != NULL);
    bool sharded;
    int rc = table_sharded(t, &sharded);
    if (rc != 0)
        return rc;
    if (!sharded) {
        *state = KV_BUCKET_OWNED;
        return 0;
    }
    if (b >= t->bucket_count) {
        *state = KV_BUCKET_NONE;
        return 0;
    }
    if (t->in_run && t->states != NULL && t->states[b] != 0) {
        *state = (uint8_t)(t->states[b] - 1);
        return 0;
    }
    struct errbuf eb = {{0}};
    rc = kv_bucket_state(t->store, b, state, &eb);
    if (rc == 0 && t->in_run && t->states != NULL) {
        t->states[b] = (uint8_t)(*state + 1);
        t->states_used = true;
    }
    return rc;
}

/* At a run's start: what earlier runs read of the states is kept while the store's epoch
 * is unchanged (no kv write, no rollback since: store.h), which spares a select-only load
 * two SQLite lookups per statement. */
static void table_states_reset(struct table_model_state *t)
{
    uint64_t epoch = t->store != NULL ? store_epoch(t->store) : 0;
    if (epoch != 0 && epoch == t->states_epoch)
        return;
    t->states_epoch = epoch;
    t->sharded = -1;
    if (t->states == NULL) {
        t->states = calloc(t->bucket_count, 1);
        return; /* without it every check reads SQLite */
    }
    if (t->states_used)
        memset(t->states, 0, t->bucket_count);
    t->states_used = false;
}

static void table_run_setup(struct table_model_state *t, uint8_t mode)
{
    ASSERT(!t->in_run);
    table_states_reset(t);
    t->in_run = true;
    t->write_mode = mode;
    t->bucket_set = NULL;
    t->bucket_set_bytes = 0;
}

int table_bucket_run_begin(struct table_model_state *t, const struct table_exec *x,
                           char sqlstate[6], char *msg, size_t cap)
{
    table_run_setup(t, TABLE_WRITE_CLIENT);
    if (!(x->flags & TABLE_EXEC_BUCKETS) || t->store == NULL)
        return 0;
    t->bucket_set = x->buckets;
    t->bucket_set_bytes = x->buckets_bytes;
    bool sharded;
    int rc = table_sharded(t, &sharded);
    if (rc != 0)
        return rc;
    if (!sharded)
        return 0; /* it owns every bucket */
    /* A set of a few buckets (a key's) is looked up bucket by bucket; a larger one (a
     * replicaset's share) in one pass over the state table. */
    uint32_t n_set = 0;
    for (uint32_t i = 0; i < x->buckets_bytes && n_set <= TABLE_BUCKET_SET_LOOKUPS_MAX; i++)
        n_set += (uint32_t)__builtin_popcount(x->buckets[i]);
    bool scan = t->states != NULL && n_set > TABLE_BUCKET_SET_LOOKUPS_MAX;
    if (scan) {
        struct errbuf eb = {{0}};
        rc = kv_buckets_owned(t->store, table_states_fill, t, &eb);
        if (rc != 0)
            return rc;
        t->states_used = true;
    }
    for (uint32_t i = 0; i < x->buckets_bytes; i++) {
        for (uint32_t k = 0; x->buckets[i] != 0 && k < 8; k++) {
            if (!((x->buckets[i] >> k) & 1))
                continue;
            uint32_t b = i * 8 + k;
            uint8_t state = KV_BUCKET_NONE;
            if (b < t->bucket_count) {
                if (scan)
                    state = t->states[b] ? (uint8_t)(t->states[b] - 1) : KV_BUCKET_NONE;
                else if ((rc = table_state(t, b, &state)) != 0)
                    return rc;
            }
            if (state != KV_BUCKET_OWNED && state != KV_BUCKET_FENCED) {
                memcpy(sqlstate, "55000", 6);
                snprintf(msg, cap,
                         "bucket %u is not in this replicaset (it moved); the statement is "
                         "planned again",
                         b);
                return 1;
            }
        }
    }
    /* Buckets the pass did not list are not here: remember that too. */
    if (scan)
        for (uint32_t b = 0; b < t->bucket_count; b++)
            if (t->states[b] == 0)
                t->states[b] = KV_BUCKET_NONE + 1;
    return 0;
}

void table_bucket_run_end(struct table_model_state *t)
{
    t->in_run = false;
    t->write_mode = TABLE_WRITE_CLIENT;
    t->bucket_set = NULL;
    t->bucket_set_bytes = 0;
}

/* ------------------------------------------------------------ SQL functions */

/* cairn_bucket_writable(bucket, strict): asked by a sharded table's triggers
 * before a row in bucket is inserted (strict 1), updated or deleted. 1: go
 * on; 0: leave this row alone (a copy outside the run's bucket set); an error
 * 55000 when the bucket takes no writes here (fenced, receiving, gone). */
static void table_fn_writable(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct table_model_state *t = sqlite3_user_data(ctx);
    if (t->store == NULL || t->write_mode == TABLE_WRITE_CLEAR) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    sqlite3_int64 b = sqlite3_value_int64(argv[0]);
    bool strict = argc > 1 && sqlite3_value_int(argv[1]) != 0;
    char msg[200];
    if (b < 0 || b >= STORE_BUCKET_COUNT_MAX) {
        snprintf(msg, sizeof msg, "XX000: a row with bucket %lld", (long long)b);
        sqlite3_result_error(ctx, msg, -1);
        return;
    }
    uint8_t state;
    if (table_state(t, (uint32_t)b, &state) != 0) {
        sqlite3_result_error(ctx, "XX000: reading the bucket states failed", -1);
        return;
    }
    if (t->write_mode == TABLE_WRITE_IMPORT) {
        if ((uint32_t)b == t->import_bucket && state == KV_BUCKET_RECEIVING) {
            sqlite3_result_int(ctx, 1);
            return;
        }
        snprintf(msg, sizeof msg, "55000: the import of bucket %u has a row of bucket %lld",
                 t->import_bucket, (long long)b);
        sqlite3_result_error(ctx, msg, -1);
        return;
    }
    if (!strict && t->bucket_set != NULL && !table_set_has(t, (uint32_t)b)) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    if (state == KV_BUCKET_OWNED) {
        sqlite3_result_int(ctx, 1);
        return;
    }
    snprintf(msg, sizeof msg,
             "55000: bucket %lld is moving between replicasets (or has moved); retry",
             (long long)b);
    sqlite3_result_error(ctx, msg, -1);
}

/* cairn_bucket_visible(bucket): whether a read here should see rows of
 * bucket — those of the run's bucket set, else of buckets OWNED or FENCED. */
static void table_fn_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct table_model_state *t = sqlite3_user_data(ctx);
    sqlite3_int64 b = sqlite3_value_int64(argv[0]);
    if (t->store == NULL || b < 0 || b >= STORE_BUCKET_COUNT_MAX) {
        sqlite3_result_int(ctx, t->store == NULL);
        return;
    }
    if (t->bucket_set != NULL) {
        sqlite3_result_int(ctx, table_set_has(t, (uint32_t)b));
        return;
    }
    uint8_t state;
    if (table_state(t, (uint32_t)b, &state) != 0) {
        sqlite3_result_error(ctx, "XX000: reading the bucket states failed", -1);
        return;
    }
    sqlite3_result_int(ctx, state == KV_BUCKET_OWNED || state == KV_BUCKET_FENCED);
}

int table_bucket_register(sqlite3 *db, struct table_model_state *t, struct errbuf *eb)
{
    t->sharded = -1;
    /* Not SQLITE_DETERMINISTIC: the answers follow the replicated bucket states. */
    if (sqlite3_create_function(db, "cairn_bucket_writable", 2, SQLITE_UTF8, t, table_fn_writable,
                                NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "cairn_bucket_visible", 1, SQLITE_UTF8, t, table_fn_visible,
                                NULL, NULL) != SQLITE_OK)
        return err_set(eb, ERR_NOMEM, "registering the bucket functions");
    return 0;
}

/* ------------------------------------------------------------ sharded tables */

/* Appends "name" quoted as an SQL identifier. */
static void table_quote(struct buf *out, const char *name, size_t len)
{
    buf_append_u8(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '"')
            buf_append_u8(out, '"');
        buf_append_u8(out, (uint8_t)name[i]);
    }
    buf_append_u8(out, '"');
}

/* The sharded table after `after` in name order: into name (terminated).
 * Returns 1 found, 0 none left, or an ERR_*. */
static int table_next_sharded(sqlite3 *db, const char *after, size_t after_len, struct buf *name,
                              struct errbuf *eb)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, TABLE_BUCKET_NEXT_TABLE_SQL, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, "listing the sharded tables", eb);
    sqlite3_bind_text(st, 1, after, (int)after_len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        buf_reset(name);
        if (n == NULL || buf_append(name, n, len) != 0 || buf_append_u8(name, 0) != 0)
            out = err_set(eb, ERR_NOMEM, "a table name");
        else
            out = 1;
    } else if (rc != SQLITE_DONE) {
        out = store_sqlite_err(db, rc, "listing the sharded tables", eb);
    }
    sqlite3_finalize(st);
    return out;
}

/* The stored columns of table (not generated: __bucket is computed again on
 * insert), as a quoted list, and their count; and a name for the rowid that
 * no column takes. Returns 0, ERR_UNSUPPORTED, ERR_NOMEM, ERR_IO. */
static int table_columns(sqlite3 *db, const char *table, struct buf *cols, uint32_t *ncols,
                         struct buf *names, const char **rowid, struct errbuf *eb)
{
    static const char *const rowid_names[] = {"rowid", "_rowid_", "oid"};
    bool taken[3] = {false, false, false};
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, "a table's columns", eb);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    *ncols = 0;
    buf_reset(cols);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        for (int i = 0; i < 3; i++)
            taken[i] |= n != NULL && strcasecmp(n, rowid_names[i]) == 0;
        if (n == NULL || sqlite3_column_int(st, 1) != 0)
            continue; /* generated (or hidden): not stored by an INSERT */
        if (*ncols > 0)
            buf_append(cols, ", ", 2);
        table_quote(cols, n, len);
        if (names != NULL)
            table_put_str(names, n, len);
        (*ncols)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(db, rc, "a table's columns", eb);
    *rowid = NULL;
    for (int i = 0; i < 3 && *rowid == NULL; i++)
        if (!taken[i])
            *rowid = rowid_names[i];
    if (*rowid == NULL || *ncols == 0)
        return err_set(eb, ERR_UNSUPPORTED, "table %s: no name left for its rowid", table);
    return 0;
}

int table_bucket_triggers_sql(struct buf *out, const char *table)
{
    /* Inserts are strict: a row lands only in a bucket owned here. An update
     * or delete passes over rows outside the run's bucket set (RAISE(IGNORE)
     * skips the row, not the statement). The bucket column never changes in an
     * update (the coordinator refuses updates of a distribution key). */
    static const struct {
        const char *suffix, *event, *row;
        int strict;
    } trig[] = {{"__bw_insert", "INSERT", "NEW", 1},
                {"__bw_update", "UPDATE", "OLD", 0},
                {"__bw_delete", "DELETE", "OLD", 0}};
    size_t len = strlen(table);
    int rc = 0;
    for (size_t i = 0; i < sizeof trig / sizeof trig[0]; i++) {
        struct buf name = BUF_INIT;
        rc |= buf_printf(&name, "%s%s", table, trig[i].suffix);
        rc |= buf_printf(out, "; CREATE TRIGGER ");
        table_quote(out, (const char *)name.data, name.len);
        rc |= buf_printf(out, " BEFORE %s ON ", trig[i].event);
        table_quote(out, table, len);
        rc |= buf_printf(out,
                         " FOR EACH ROW WHEN NOT cairn_bucket_writable(%s.\"__bucket\", %d)"
                         " BEGIN SELECT RAISE(IGNORE); END",
                         trig[i].row, trig[i].strict);
        buf_free(&name);
    }
    return rc ? ERR_NOMEM : 0;
}

/* ------------------------------------------------------------ reading pages */

static int table_check_bucket(struct store *s, uint32_t bucket, struct errbuf *eb)
{
    if (bucket >= store_bucket_count(s))
        return err_set(eb, ERR_INVAL, "bucket %u is past the store's %u buckets", bucket,
                       store_bucket_count(s));
    return 0;
}

/* Appends table's rows of bucket after after_rowid to out as a page, up to
 * bytes_max; *n counts them (none: out is as before). */
static int table_read_rows(sqlite3 *db, const char *table, uint32_t bucket, int64_t after_rowid,
                           size_t bytes_max, struct buf *out, uint32_t *n, struct errbuf *eb)
{
    struct buf cols = BUF_INIT, names = BUF_INIT, sql = BUF_INIT;
    uint32_t ncols = 0;
    const char *rowid = NULL;
    *n = 0;
    int rc = table_columns(db, table, &cols, &ncols, &names, &rowid, eb);
    sqlite3_stmt *st = NULL;
    if (rc == 0) {
        buf_printf(&sql, "SELECT %s, %.*s FROM ", rowid, (int)cols.len, (const char *)cols.data);
        table_quote(&sql, table, strlen(table));
        buf_printf(&sql, " WHERE \"__bucket\" = ?1 AND %s > ?2 ORDER BY %s", rowid, rowid);
        buf_append_u8(&sql, 0);
        int src = sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL);
        if (src != SQLITE_OK)
            rc = (src & 0xff) == SQLITE_ERROR /* WITHOUT ROWID */
                     ? err_set(eb, ERR_UNSUPPORTED, "table %s: %s", table, sqlite3_errmsg(db))
                     : store_sqlite_err(db, src, "reading a bucket's rows", eb);
    }
    size_t head = out->len;
    if (rc == 0) {
        table_put_str(out, table, strlen(table));
        size_t at_last = out->len;
        buf_append_u64(out, 0); /* the last rowid, set below */
        buf_append_u32(out, ncols);
        buf_append(out, names.data, names.len);
        size_t at_count = out->len;
        buf_append_u32(out, 0); /* the row count, set below */
        sqlite3_bind_int64(st, 1, bucket);
        sqlite3_bind_int64(st, 2, after_rowid);
        int src = SQLITE_DONE;
        int64_t last = 0;
        while (rc == 0 && out->len - head < bytes_max && (src = sqlite3_step(st)) == SQLITE_ROW) {
            last = sqlite3_column_int64(st, 0);
            for (uint32_t c = 0; c < ncols; c++) {
                struct table_value v;
                table_value_from_sqlite(sqlite3_column_value(st, (int)c + 1), &v);
                if (table_value_put(out, &v) != 0)
                    rc = err_set(eb, ERR_NOMEM, "a page of rows");
            }
            (*n)++;
        }
        if (rc == 0 && src != SQLITE_ROW && src != SQLITE_DONE)
            rc = store_sqlite_err(db, src, "reading a bucket's rows", eb);
        if (rc == 0 && *n > 0) {
            codec_put_u64(out->data + at_last, (uint64_t)last);
            codec_put_u32(out->data + at_count, *n);
        } else {
            out->len = head; /* nothing of this table */
            *n = 0;
        }
    }
    sqlite3_finalize(st);
    buf_free(&cols);
    buf_free(&names);
    buf_free(&sql);
    return rc;
}

int table_bucket_read(struct store *s, uint32_t bucket, const char *after_table,
                      int64_t after_rowid, size_t bytes_max, struct buf *out, struct errbuf *eb)
{
    int rc = table_check_bucket(s, bucket, eb);
    if (rc != 0)
        return rc;
    if (bytes_max == 0 || bytes_max > TABLE_BUCKET_PAGE_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "a page of %zu bytes (1 to %u)", bytes_max,
                       TABLE_BUCKET_PAGE_BYTES_MAX);
    sqlite3 *db = store_db(s);
    size_t head = out->len;
    /* cur: the table being read; the next is looked up after it. */
    struct buf cur = BUF_INIT, next = BUF_INIT;
    buf_append(&cur, after_table, strlen(after_table) + 1);
    uint32_t n = 0;
    if (after_table[0] != '\0')
        rc = table_read_rows(db, after_table, bucket, after_rowid, bytes_max, out, &n, eb);
    for (uint32_t i = 0; rc == 0 && n == 0 && i < TABLE_BUCKET_TABLES_MAX; i++) {
        int found = table_next_sharded(db, (const char *)cur.data, strlen((const char *)cur.data),
                                       &next, eb);
        if (found <= 0) {
            rc = found;
            break;
        }
        struct buf swap = cur;
        cur = next;
        next = swap;
        rc = table_read_rows(db, (const char *)cur.data, bucket, INT64_MIN, bytes_max, out, &n, eb);
    }
    if (rc == 0 && n == 0) {
        /* The end: a page without rows. */
        table_put_str(out, "", 0);
        buf_append_u64(out, 0);
        buf_append_u32(out, 0);
        buf_append_u32(out, 0);
    }
    buf_free(&cur);
    buf_free(&next);
    if (rc != 0)
        out->len = head;
    return rc;
}

int table_bucket_page_parse(const uint8_t *p, size_t len, struct table_bucket_page *pg)
{
    memset(pg, 0, sizeof *pg);
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    pg->table = table_get_str(&r, &pg->table_len, TABLE_BUCKET_NAME_BYTES_MAX);
    pg->last_rowid = (int64_t)codec_read_u64(&r);
    pg->ncols = codec_read_u32(&r);
    if (r.err || pg->ncols > 32767)
        return ERR_MALFORMED;
    for (uint32_t c = 0; c < pg->ncols; c++) {
        uint32_t n;
        if (table_get_str(&r, &n, TABLE_BUCKET_NAME_BYTES_MAX) == NULL)
            return ERR_MALFORMED;
    }
    pg->nrows = codec_read_u32(&r);
    if (r.err || (pg->nrows > 0) != (pg->table_len > 0) || (pg->nrows > 0 && pg->ncols == 0))
        return ERR_MALFORMED;
    return 0;
}

/* Runs `<head> "table" WHERE "__bucket" = bucket` on every sharded table and
 * adds up in *total the first column of its row (a count), or for a statement
 * that returns none the rows it changed. Returns 0 or an ERR_*. */
static int table_each_sharded(sqlite3 *db, uint32_t bucket, const char *head, uint64_t *total,
                              struct errbuf *eb)
{
    struct buf name = BUF_INIT, prev = BUF_INIT, sql = BUF_INIT;
    int rc = 0;
    *total = 0;
    buf_append_u8(&name, 0);
    for (uint32_t i = 0; rc == 0 && i < TABLE_BUCKET_TABLES_MAX; i++) {
        buf_reset(&prev);
        buf_append(&prev, name.data, name.len);
        rc = table_next_sharded(db, (const char *)prev.data, strlen((const char *)prev.data), &name,
                                eb);
        if (rc <= 0)
            break;
        rc = 0;
        buf_reset(&sql);
        buf_printf(&sql, "%s ", head);
        table_quote(&sql, (const char *)name.data, strlen((const char *)name.data));
        buf_printf(&sql, " WHERE \"__bucket\" = ?1");
        buf_append_u8(&sql, 0);
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, bucket);
            src = sqlite3_step(st);
            if (src == SQLITE_ROW)
                *total += (uint64_t)sqlite3_column_int64(st, 0);
            else if (src == SQLITE_DONE)
                *total += (uint64_t)sqlite3_changes64(db);
        }
        sqlite3_finalize(st);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            rc = store_sqlite_err(db, src, head, eb);
    }
    buf_free(&name);
    buf_free(&prev);
    buf_free(&sql);
    return rc < 0 ? rc : 0;
}

int table_bucket_count_rows(struct store *s, uint32_t bucket, uint64_t *count, struct errbuf *eb)
{
    int rc = table_check_bucket(s, bucket, eb);
    return rc ? rc : table_each_sharded(store_db(s), bucket, "SELECT count(*) FROM", count, eb);
}

/* ------------------------------------------------------------ commands */

int table_encode_bucket_clear(struct buf *out, uint32_t bucket, struct errbuf *eb)
{
    if (bucket >= STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_INVAL, "bucket %u", bucket);
    int rc = buf_append_u8(out, STORE_MODEL_TABLE);
    rc |= buf_append_u8(out, TABLE_OP_BUCKET_CLEAR);
    rc |= buf_append_u32(out, bucket);
    return rc ? err_set(eb, ERR_NOMEM, "encoding a bucket clear") : 0;
}

int table_encode_bucket_import(struct buf *out, uint32_t bucket, uint64_t seq, const uint8_t *page,
                               size_t page_len, struct errbuf *eb)
{
    if (bucket >= STORE_BUCKET_COUNT_MAX || seq == 0)
        return err_set(eb, ERR_INVAL, "bucket %u, page %" PRIu64, bucket, seq);
    if (page_len > 2 * (size_t)TABLE_BUCKET_PAGE_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "a page of %zu bytes", page_len);
    int rc = buf_append_u8(out, STORE_MODEL_TABLE);
    rc |= buf_append_u8(out, TABLE_OP_BUCKET_IMPORT);
    rc |= buf_append_u32(out, bucket);
    rc |= buf_append_u64(out, seq);
    rc |= buf_append(out, page, page_len);
    return rc ? err_set(eb, ERR_NOMEM, "encoding a bucket import") : 0;
}

static void table_import_seq_name(char *name, size_t cap, uint32_t bucket)
{
    snprintf(name, cap, "import_seq:%u", bucket);
}

/* The bucket's state for a bucket command, or a refusal in res (*ok false). */
static int table_bucket_cmd_state(struct store *s, uint32_t bucket, uint8_t *state, bool *sharded,
                                  struct store_result *res, struct errbuf *eb)
{
    if (bucket >= store_bucket_count(s)) {
        res->status = ERR_RANGE;
        res->current_version = bucket;
        return 0;
    }
    int rc = kv_sharded(s, sharded, eb);
    if (rc == 0 && *sharded)
        rc = kv_bucket_state(s, bucket, state, eb);
    return rc;
}

int table_apply_bucket_clear(struct store *s, struct table_model_state *t, struct codec_reader *r,
                             struct store_result *res, struct errbuf *eb)
{
    uint32_t bucket = codec_read_u32(r);
    if (r->err || r->off != r->len)
        return err_set(eb, ERR_CORRUPT, "table bucket clear does not decode");
    uint8_t state = KV_BUCKET_NONE;
    bool sharded = false;
    int rc = table_bucket_cmd_state(s, bucket, &state, &sharded, res, eb);
    if (rc != 0 || res->status != 0)
        return rc;
    if (!sharded || (state != KV_BUCKET_RECEIVING && state != KV_BUCKET_NONE)) {
        /* Live rows (or a store that owns everything) are never cleared. */
        res->status = ERR_STALE;
        res->current_version = bucket;
        return 0;
    }
    uint64_t deleted = 0;
    table_run_setup(t, TABLE_WRITE_CLEAR);
    rc = table_each_sharded(store_db(s), bucket, "DELETE FROM", &deleted, eb);
    table_bucket_run_end(t);
    if (rc < 0)
        return rc;
    char seq_name[48];
    table_import_seq_name(seq_name, sizeof seq_name, bucket);
    res->version = deleted;
    return table_meta_set(s, t, seq_name, 0, eb);
}

/* Whether name is a sharded table here. Returns 1, 0 or an ERR_*. */
static int table_is_sharded(sqlite3 *db, const char *name, uint32_t len, struct errbuf *eb)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT 1 FROM sqlite_schema AS m WHERE m.type = 'table' AND m.name = ?1"
        " AND EXISTS (SELECT 1 FROM pragma_table_xinfo(m.name) AS c WHERE c.name = '__bucket')",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, "finding a sharded table", eb);
    sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : store_sqlite_err(db, rc, "finding a sharded table", eb);
}

/* Inserts the page's rows (r at its start) in import mode. Returns 0 (a
 * failure is in out, *failed set) or an ERR_*. */
static int table_import_rows(sqlite3 *db, struct codec_reader *r, struct buf *out, bool *failed,
                             struct errbuf *eb)
{
    struct table_bucket_page pg;
    if (table_bucket_page_parse(r->p + r->off, r->len - r->off, &pg) != 0)
        return err_set(eb, ERR_CORRUPT, "table bucket import: the page does not decode");
    uint32_t tl;
    const char *table = table_get_str(r, &tl, TABLE_BUCKET_NAME_BYTES_MAX);
    codec_read_u64(r);
    codec_read_u32(r);
    if (pg.nrows == 0) {
        codec_read_u32(r);
        return r->off == r->len && !r->err
                   ? 0
                   : err_set(eb, ERR_CORRUPT, "table bucket import: trailing");
    }
    char msg[400], sqlstate[6];
    int rc = table_is_sharded(db, table, tl, eb);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        snprintf(msg, sizeof msg, "table %.*s is not a sharded table here", (int)tl, table);
        table_output_error(out, "42P01", msg, 0);
        *failed = true;
        return 0;
    }
    struct buf sql = BUF_INIT;
    buf_printf(&sql, "INSERT INTO ");
    table_quote(&sql, table, tl);
    buf_append_u8(&sql, '(');
    for (uint32_t c = 0; c < pg.ncols; c++) {
        uint32_t n;
        const char *col = table_get_str(r, &n, TABLE_BUCKET_NAME_BYTES_MAX);
        if (c > 0)
            buf_append(&sql, ", ", 2);
        table_quote(&sql, col, n);
    }
    codec_read_u32(r);
    buf_printf(&sql, ") VALUES (");
    for (uint32_t c = 0; c < pg.ncols; c++)
        buf_printf(&sql, "%s?%u", c ? ", " : "", c + 1);
    buf_printf(&sql, ")");
    buf_append_u8(&sql, 0);
    rc = 0;
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, (const char *)sql.data, -1, &st, NULL);
    if (src != SQLITE_OK) {
        table_sqlstate(db, src, sqlstate, msg, sizeof msg);
        table_output_error(out, sqlstate, msg, 0);
        *failed = true;
    }
    for (uint32_t i = 0; !*failed && rc == 0 && i < pg.nrows; i++) {
        sqlite3_reset(st);
        for (uint32_t c = 0; c < pg.ncols && rc == 0; c++) {
            struct table_value v;
            if (table_value_get(r, &v) != 0)
                rc = err_set(eb, ERR_CORRUPT, "table bucket import: a row does not decode");
            else
                table_bind_value(st, (int)c + 1, &v);
        }
        if (rc == 0 && (src = sqlite3_step(st)) != SQLITE_DONE) {
            table_sqlstate(db, src, sqlstate, msg, sizeof msg);
            table_output_error(out, sqlstate, msg, i);
            *failed = true;
        }
    }
    if (rc == 0 && !*failed && r->off != r->len)
        rc = err_set(eb, ERR_CORRUPT, "table bucket import: trailing bytes");
    sqlite3_finalize(st);
    buf_free(&sql);
    return rc;
}

int table_apply_bucket_import(struct store *s, struct table_model_state *t, struct codec_reader *r,
                              struct store_result *res, struct errbuf *eb)
{
    uint32_t bucket = codec_read_u32(r);
    uint64_t seq = codec_read_u64(r);
    if (r->err || seq == 0)
        return err_set(eb, ERR_CORRUPT, "table bucket import does not decode");
    uint8_t state = KV_BUCKET_NONE;
    bool sharded = false;
    int rc = table_bucket_cmd_state(s, bucket, &state, &sharded, res, eb);
    if (rc != 0 || res->status != 0)
        return rc;
    if (!sharded || state != KV_BUCKET_RECEIVING) {
        res->status = ERR_STALE;
        res->current_version = bucket;
        return 0;
    }
    char seq_name[48];
    uint64_t last = 0;
    table_import_seq_name(seq_name, sizeof seq_name, bucket);
    rc = table_meta_get(s, t, seq_name, &last, eb);
    if (rc != 0)
        return rc;
    res->version = last;
    if (seq <= last) {
        res->existed = true; /* applied already: a proposal that came twice */
        return 0;
    }
    if (seq != last + 1) {
        res->status = ERR_CONDITION;
        return 0;
    }
    sqlite3 *db = store_db(s);
    if (table_exec_sql(db, "SAVEPOINT cairn_import") != SQLITE_OK)
        return store_sqlite_err(db, SQLITE_ERROR, "table bucket import", eb);
    struct buf out = BUF_INIT;
    bool failed = false;
    table_run_setup(t, TABLE_WRITE_IMPORT);
    t->import_bucket = bucket;
    rc = table_import_rows(db, r, &out, &failed, eb);
    table_bucket_run_end(t);
    if (rc != 0 || failed) {
        store_rollback_note(s);
        table_exec_sql(db, "ROLLBACK TO cairn_import");
        table_exec_sql(db, "RELEASE cairn_import");
        if (rc == 0)
            rc = table_result_output(res, &out);
        buf_free(&out);
        return rc;
    }
    buf_free(&out);
    if (table_exec_sql(db, "RELEASE cairn_import") != SQLITE_OK)
        return store_sqlite_err(db, SQLITE_ERROR, "table bucket import", eb);
    res->version = seq;
    return table_meta_set(s, t, seq_name, seq, eb);
}
