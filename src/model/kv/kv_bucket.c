/* The kv model's side of bucket moves: the bucket commands' apply (ownership
 * states, imports, drops) and the reads a mover needs. See kv.h for the move. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "base/assert.h"
#include "model/kv/kv.h"
#include "model/kv/kv_internal.h"
#include "store/store_model.h"

/* A non-NULL pointer for an empty BLOB (NULL would bind SQL NULL). */
static const uint8_t kv_bucket_empty[1];

static void kv_refuse(struct store_result *res, int status, uint32_t failed_op, uint32_t bucket)
{
    res->status = status;
    res->failed_op = failed_op;
    res->current_version = bucket;
}

static int kv_state_write(struct store *s, struct kv_state *k, uint32_t bucket, uint8_t state,
                          struct errbuf *eb)
{
    ASSERT(state == KV_BUCKET_OWNED || state == KV_BUCKET_RECEIVING || state == KV_BUCKET_FENCED);
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_STATE_SET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    sqlite3_bind_int64(st, 2, state);
    store_epoch_bump(s); /* the table model keeps the states it read (store.h) */
    return kv_step_done(s, st, "kv bucket state write", eb);
}

static int kv_state_delete(struct store *s, struct kv_state *k, uint32_t bucket, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_STATE_DELETE, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    store_epoch_bump(s);
    return kv_step_done(s, st, "kv bucket state delete", eb);
}

static int kv_bucket_clear(struct store *s, struct kv_state *k, uint32_t bucket, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_BUCKET_CLEAR, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    return kv_step_done(s, st, "kv bucket clear", eb);
}

/* BUCKET_OWN is all or nothing: a bucket past the store's count refuses the
 * whole list. Owning turns the store sharded, for good. */
static int kv_apply_own(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                        struct store_result *res, struct errbuf *eb)
{
    uint32_t count = store_bucket_count(s);
    for (uint32_t i = 0; i < cmd->n_buckets; i++) {
        uint32_t bucket = kv_cmd_own_bucket(cmd, i);
        if (bucket >= count) {
            kv_refuse(res, ERR_RANGE, i, bucket);
            return 0;
        }
    }
    int rc = kv_meta_write(s, k, KV_META_SHARDED, 1, eb);
    for (uint32_t i = 0; i < cmd->n_buckets && rc == 0; i++)
        rc = kv_state_write(s, k, kv_cmd_own_bucket(cmd, i), KV_BUCKET_OWNED, eb);
    return rc;
}

/* Rows arrive with the versions they had at the source. Raising the shift so
 * that index + shift > every imported version (and the floor, which covers
 * keys the source deleted) keeps later versions above all of them. */
static int kv_apply_import(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                           const struct raft_entry *e, const struct kv_config *cfg,
                           struct store_result *res, struct errbuf *eb)
{
    uint32_t count = store_bucket_count(s);
    uint64_t top = cmd->floor;
    struct kv_import_iter it;
    struct kv_import_item item;
    uint32_t i = 0;
    kv_import_iter_init(&it, cmd);
    while (kv_import_iter_next(&it, &item)) {
        if (kv_bucket(item.key, item.key_len, count) != cmd->bucket) {
            kv_refuse(res, ERR_INVAL, i, cmd->bucket);
            return 0;
        }
        if (item.type == KV_IMPORT_ROW && item.version > top)
            top = item.version;
        i++;
    }
    ASSERT(i == cmd->n_rows + cmd->n_deletes);
    kv_import_iter_init(&it, cmd);
    while (kv_import_iter_next(&it, &item)) {
        int rc;
        if (item.type == KV_IMPORT_ROW)
            rc = kv_row_put(s, k, item.key, item.key_len, item.value, item.value_len, item.version,
                            eb);
        else
            rc = kv_row_delete(s, k, item.key, item.key_len, eb);
        if (rc != 0)
            return rc;
    }
    ASSERT(top <= KV_VERSION_MAX);
    if (top > e->index && top - e->index > cfg->version_shift)
        return kv_meta_write(s, k, KV_META_VERSION_SHIFT, top - e->index, eb);
    return 0;
}

/* The transitions, each refused (ERR_STALE, nothing changes) from a state it
 * does not apply to, and a no-op from the state it leads to, so a retried
 * command is harmless:
 *     RECEIVE  NONE, RECEIVING -> RECEIVING (the bucket's rows deleted first)
 *     IMPORT   RECEIVING
 *     FENCE    OWNED -> FENCED
 *     UNFENCE  FENCED -> OWNED
 *     DROP     NONE, RECEIVING, FENCED -> NONE (the bucket's rows deleted)
 * DROP refuses an OWNED bucket: the live copy goes only after a fence. */
int kv_apply_bucket(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                    const struct raft_entry *e, struct store_result *res, struct errbuf *eb)
{
    if (cmd->kind == KV_CMD_BUCKET_OWN)
        return kv_apply_own(s, k, cmd, res, eb);
    uint32_t bucket = cmd->bucket;
    if (bucket >= store_bucket_count(s)) {
        kv_refuse(res, ERR_RANGE, 0, bucket);
        return 0;
    }
    struct kv_config cfg;
    int rc = kv_config_read(s, k, &cfg, eb);
    if (rc != 0)
        return rc;
    if (!cfg.sharded) {
        /* Every bucket is implicitly owned: moving one needs BUCKET_OWN first. */
        kv_refuse(res, ERR_STALE, 0, bucket);
        return 0;
    }
    uint8_t state;
    rc = kv_state_read(s, k, bucket, &state, eb);
    if (rc != 0)
        return rc;
    res->existed = state != KV_BUCKET_NONE;
    switch (cmd->kind) {
    case KV_CMD_BUCKET_RECEIVE:
        if (state == KV_BUCKET_OWNED || state == KV_BUCKET_FENCED)
            break;
        rc = kv_bucket_clear(s, k, bucket, eb);
        return rc ? rc : kv_state_write(s, k, bucket, KV_BUCKET_RECEIVING, eb);
    case KV_CMD_BUCKET_IMPORT:
        if (state != KV_BUCKET_RECEIVING)
            break;
        return kv_apply_import(s, k, cmd, e, &cfg, res, eb);
    case KV_CMD_BUCKET_FENCE:
        if (state == KV_BUCKET_FENCED)
            return 0;
        if (state != KV_BUCKET_OWNED)
            break;
        return kv_state_write(s, k, bucket, KV_BUCKET_FENCED, eb);
    case KV_CMD_BUCKET_UNFENCE:
        if (state == KV_BUCKET_OWNED)
            return 0;
        if (state != KV_BUCKET_FENCED)
            break;
        return kv_state_write(s, k, bucket, KV_BUCKET_OWNED, eb);
    case KV_CMD_BUCKET_DROP:
        if (state == KV_BUCKET_OWNED)
            break;
        rc = kv_bucket_clear(s, k, bucket, eb);
        return rc ? rc : kv_state_delete(s, k, bucket, eb);
    default:
        PANIC("kv: command kind %u passed the decoder", cmd->kind);
    }
    kv_refuse(res, ERR_STALE, 0, bucket);
    return 0;
}

/* ---- Reads for moves ---- */

static struct kv_state *kv_bucket_state_of(struct store *s)
{
    return store_model_state(s, STORE_MODEL_KV);
}

static int kv_check_read_bucket(struct store *s, uint32_t bucket, struct errbuf *eb)
{
    if (bucket >= store_bucket_count(s))
        return err_set(eb, ERR_INVAL, "bucket %u is past the store's %u buckets", bucket,
                       store_bucket_count(s));
    return 0;
}

static int kv_check_page(uint32_t limit, size_t after_len, struct errbuf *eb)
{
    if (limit == 0 || limit > KV_LIST_LIMIT_MAX)
        return err_set(eb, ERR_INVAL, "limit %u is not within 1..%d", limit, KV_LIST_LIMIT_MAX);
    if (after_len > KV_KEY_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "after is %zu bytes, the limit is %d", after_len,
                       KV_KEY_BYTES_MAX);
    return 0;
}

/* kv_bucket_scan and kv_bucket_keys: one page of a bucket after a key. */
static int kv_bucket_page(struct store *s, enum kv_stmt_id id, uint32_t bucket, const void *after,
                          size_t after_len, uint32_t limit, uint64_t min_version, kv_list_fn fn,
                          void *ctx, bool *more, struct errbuf *eb)
{
    if (more != NULL)
        *more = false;
    int rc = kv_check_read_bucket(s, bucket, eb);
    if (rc == 0)
        rc = kv_check_page(limit, after_len, eb);
    if (rc != 0)
        return rc;
    if (min_version > INT64_MAX)
        return err_set(eb, ERR_INVAL, "min_version %" PRIu64 " is past every version", min_version);
    sqlite3_stmt *st;
    rc = kv_stmt(s, kv_bucket_state_of(s), id, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    /* Keys are never empty, so key > the empty BLOB starts at the first. */
    sqlite3_bind_blob(st, 2, after_len ? after : kv_bucket_empty, (int)after_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit + 1);
    bool keys_only = id == KV_ST_BUCKET_KEYS;
    if (!keys_only)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)min_version);
    return kv_emit_rows(s, st, limit, keys_only, fn, ctx, more, "kv bucket scan", eb);
}

int kv_bucket_scan(struct store *s, uint32_t bucket, const void *after, size_t after_len,
                   uint32_t limit, uint64_t min_version, kv_list_fn fn, void *ctx, bool *more,
                   struct errbuf *eb)
{
    return kv_bucket_page(s, KV_ST_BUCKET_SCAN, bucket, after, after_len, limit, min_version, fn,
                          ctx, more, eb);
}

int kv_bucket_keys(struct store *s, uint32_t bucket, const void *after, size_t after_len,
                   uint32_t limit, kv_list_fn fn, void *ctx, bool *more, struct errbuf *eb)
{
    return kv_bucket_page(s, KV_ST_BUCKET_KEYS, bucket, after, after_len, limit, 0, fn, ctx, more,
                          eb);
}

int kv_bucket_state(struct store *s, uint32_t bucket, uint8_t *state, struct errbuf *eb)
{
    int rc = kv_check_read_bucket(s, bucket, eb);
    if (rc != 0)
        return rc;
    return kv_state_read(s, kv_bucket_state_of(s), bucket, state, eb);
}

int kv_buckets_owned(struct store *s, kv_bucket_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, kv_bucket_state_of(s), KV_ST_BUCKET_LIST, &st, eb);
    if (rc != 0)
        return rc;
    /* Bounded by the table, which has at most one row per bucket. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 bucket = sqlite3_column_int64(st, 0);
        sqlite3_int64 state = sqlite3_column_int64(st, 1);
        if (bucket < 0 || bucket >= STORE_BUCKET_COUNT_MAX || state < KV_BUCKET_OWNED ||
            state > KV_BUCKET_FENCED) {
            sqlite3_reset(st);
            return err_set(eb, ERR_CORRUPT, "kv_buckets row (%lld, %lld)", (long long)bucket,
                           (long long)state);
        }
        int stop = fn(ctx, (uint32_t)bucket, (uint8_t)state);
        if (stop != 0) {
            sqlite3_reset(st);
            return stop;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "kv bucket list", eb);
    return 0;
}

int kv_bucket_count_rows(struct store *s, uint32_t bucket, uint64_t *count, struct errbuf *eb)
{
    int rc = kv_check_read_bucket(s, bucket, eb);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st;
    rc = kv_stmt(s, kv_bucket_state_of(s), KV_ST_BUCKET_COUNT, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_err(store_db(s), rc, "kv bucket count", eb);
    return 0;
}

int kv_sharded(struct store *s, bool *sharded, struct errbuf *eb)
{
    struct kv_config cfg;
    int rc = kv_config_read(s, kv_bucket_state_of(s), &cfg, eb);
    if (rc == 0)
        *sharded = cfg.sharded;
    return rc;
}

int kv_version_floor(struct store *s, uint64_t *floor, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, kv_bucket_state_of(s), KV_ST_FLOOR, &st, eb);
    if (rc != 0)
        return rc;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return store_sqlite_err(store_db(s), rc, "kv version floor", eb);
    }
    bool has_index = sqlite3_column_type(st, 0) == SQLITE_INTEGER;
    sqlite3_int64 applied = sqlite3_column_int64(st, 0);
    sqlite3_int64 shift = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    if (!has_index || applied < 0 || shift < 0 || (uint64_t)shift > KV_VERSION_MAX ||
        applied > INT64_MAX - shift)
        return err_set(eb, ERR_CORRUPT, "kv version floor from applied index %lld, shift %lld",
                       (long long)applied, (long long)shift);
    *floor = (uint64_t)applied + (uint64_t)shift;
    return 0;
}
