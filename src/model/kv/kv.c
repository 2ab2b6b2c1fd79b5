/* The kv model's table, its deterministic apply function and its reads. */
#include "model/kv/kv.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "model/kv/kv_internal.h"
#include "store/store_model.h"

/* value is the last column so that reading a key's version or listing keys
 * only never walks a large value's overflow pages. Keys compare as BLOBs:
 * memcmp, shorter first. The index (bucket, then the primary key, key) gives a
 * bucket's rows in key order for moves. kv_buckets holds the state of the
 * buckets this store has; kv_meta the store-wide values (KV_META_*). */
static const char kv_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY NOT NULL, version INTEGER NOT NULL,"
    " bucket INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS kv_by_bucket ON kv(bucket);"
    "CREATE TABLE IF NOT EXISTS kv_buckets(bucket INTEGER PRIMARY KEY NOT NULL,"
    " state INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kv_meta(name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL)"
    " WITHOUT ROWID;";

static const char *const kv_sql[KV_ST_N] = {
    [KV_ST_VERSION_OF] = "SELECT version FROM kv WHERE key = ?1",
    /* An overwrite leaves bucket alone: it is a function of the key and the
     * store's fixed bucket count, and not naming it spares the bucket index a
     * write per update. */
    [KV_ST_UPSERT] = "INSERT INTO kv(key, version, bucket, value) VALUES(?1, ?2, ?3, ?4)"
                     " ON CONFLICT(key) DO UPDATE SET version = excluded.version,"
                     " value = excluded.value",
    [KV_ST_DELETE] = "DELETE FROM kv WHERE key = ?1",
    [KV_ST_GET] = "SELECT version, value FROM kv WHERE key = ?1",
    [KV_ST_CONFIG] =
        "SELECT coalesce((SELECT value FROM kv_meta WHERE name = '" KV_META_SHARDED "'), 0),"
        " coalesce((SELECT value FROM kv_meta WHERE name = '" KV_META_VERSION_SHIFT "'), 0)",
    [KV_ST_META_SET] = "INSERT INTO kv_meta(name, value) VALUES(?1, ?2)"
                       " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    [KV_ST_STATE_GET] = "SELECT state FROM kv_buckets WHERE bucket = ?1",
    [KV_ST_STATE_SET] = "INSERT INTO kv_buckets(bucket, state) VALUES(?1, ?2)"
                        " ON CONFLICT(bucket) DO UPDATE SET state = excluded.state",
    [KV_ST_STATE_DELETE] = "DELETE FROM kv_buckets WHERE bucket = ?1",
    [KV_ST_BUCKET_CLEAR] = "DELETE FROM kv WHERE bucket = ?1",
    [KV_ST_BUCKET_SCAN] = "SELECT key, version, bucket, value FROM kv"
                          " WHERE bucket = ?1 AND key > ?2 AND version > ?4 ORDER BY key LIMIT ?3",
    [KV_ST_BUCKET_KEYS] = "SELECT key, version, bucket FROM kv"
                          " WHERE bucket = ?1 AND key > ?2 ORDER BY key LIMIT ?3",
    [KV_ST_BUCKET_LIST] = "SELECT bucket, state FROM kv_buckets ORDER BY bucket",
    [KV_ST_BUCKET_COUNT] = "SELECT count(*) FROM kv WHERE bucket = ?1",
    /* One statement, so both values come from the same committed state. */
    [KV_ST_FLOOR] =
        "SELECT (SELECT value FROM meta WHERE name = 'applied_index'),"
        " coalesce((SELECT value FROM kv_meta WHERE name = '" KV_META_VERSION_SHIFT "'), 0)",
};

static const char *const kv_list_sql[2][2] = {
    {"SELECT key, version, bucket, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?3",
     "SELECT key, version, bucket FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?3"},
    {"SELECT key, version, bucket, value FROM kv WHERE key >= ?1 AND key < ?2"
     " ORDER BY key LIMIT ?3",
     "SELECT key, version, bucket FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3"},
};
static const char *const kv_count_sql[2] = {
    "SELECT count(*) FROM kv WHERE key >= ?1",
    "SELECT count(*) FROM kv WHERE key >= ?1 AND key < ?2",
};

/* SQLite turns a NULL pointer into SQL NULL; an empty value must stay a BLOB. */
static const uint8_t kv_empty[1];

static int kv_open(struct store *s, void **state, struct errbuf *eb)
{
    (void)s;
    struct kv_state *k = calloc(1, sizeof *k);
    if (k == NULL)
        return err_set(eb, ERR_NOMEM, "kv state");
    *state = k;
    return 0;
}

static void kv_close(void *state)
{
    struct kv_state *k = state;
    for (int i = 0; i < KV_ST_N; i++)
        sqlite3_finalize(k->st[i]);
    for (int b = 0; b < 2; b++) {
        sqlite3_finalize(k->list[b][0]);
        sqlite3_finalize(k->list[b][1]);
        sqlite3_finalize(k->count[b]);
    }
    free(k);
}

static struct kv_state *kv_state_of(struct store *s)
{
    return store_model_state(s, STORE_MODEL_KV);
}

int kv_stmt(struct store *s, struct kv_state *k, enum kv_stmt_id id, sqlite3_stmt **out,
            struct errbuf *eb)
{
    ASSERT((unsigned)id < KV_ST_N && kv_sql[id] != NULL);
    int rc = store_stmt(s, &k->st[id], kv_sql[id], eb);
    *out = k->st[id];
    return rc;
}

int kv_step_done(struct store *s, sqlite3_stmt *st, const char *what, struct errbuf *eb)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, what, eb);
    return 0;
}

int kv_config_read(struct store *s, struct kv_state *k, struct kv_config *cfg, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_CONFIG, &st, eb);
    if (rc != 0)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 sharded = sqlite3_column_int64(st, 0);
        sqlite3_int64 shift = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        if (shift < 0 || (uint64_t)shift > KV_VERSION_MAX)
            return err_set(eb, ERR_CORRUPT, "kv version shift %lld is out of range",
                           (long long)shift);
        cfg->sharded = sharded != 0;
        cfg->version_shift = (uint64_t)shift;
        return 0;
    }
    sqlite3_reset(st);
    return store_sqlite_err(store_db(s), rc, "kv config", eb);
}

int kv_meta_write(struct store *s, struct kv_state *k, const char *name, uint64_t value,
                  struct errbuf *eb)
{
    ASSERT(value <= INT64_MAX);
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_META_SET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)value);
    store_epoch_bump(s); /* the table model keeps whether the store is sharded (store.h) */
    return kv_step_done(s, st, "kv meta write", eb);
}

int kv_state_read(struct store *s, struct kv_state *k, uint32_t bucket, uint8_t *state,
                  struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_STATE_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    rc = sqlite3_step(st);
    sqlite3_int64 v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : KV_BUCKET_NONE;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "kv bucket state", eb);
    if (v != KV_BUCKET_OWNED && v != KV_BUCKET_RECEIVING && v != KV_BUCKET_FENCED &&
        v != KV_BUCKET_NONE)
        return err_set(eb, ERR_CORRUPT, "bucket %u has unknown state %lld", bucket, (long long)v);
    *state = (uint8_t)v;
    return 0;
}

/* Looks up a key's version: *found is false if it is absent. */
static int kv_version_of(struct store *s, struct kv_state *k, const struct kv_op *op, bool *found,
                         uint64_t *version, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_VERSION_OF, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    *version = *found ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "kv version lookup", eb);
    return 0;
}

static bool kv_cond_holds(const struct kv_cond *c, bool found, uint64_t version)
{
    switch (c->type) {
    case KV_COND_NONE:
        return true;
    case KV_COND_VERSION:
        return found && version == c->version;
    case KV_COND_ABSENT:
        return !found;
    }
    PANIC("kv: condition %u passed the decoder", c->type);
}

int kv_row_put(struct store *s, struct kv_state *k, const uint8_t *key, size_t key_len,
               const uint8_t *value, size_t value_len, uint64_t version, struct errbuf *eb)
{
    ASSERT(version >= 1 && version <= INT64_MAX);
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_UPSERT, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(st, 1, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
    sqlite3_bind_int64(st, 3, kv_bucket(key, key_len, store_bucket_count(s)));
    sqlite3_bind_blob(st, 4, value_len ? value : kv_empty, (int)value_len, SQLITE_STATIC);
    return kv_step_done(s, st, "kv write", eb);
}

int kv_row_delete(struct store *s, struct kv_state *k, const uint8_t *key, size_t key_len,
                  struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = kv_stmt(s, k, KV_ST_DELETE, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(st, 1, key, (int)key_len, SQLITE_STATIC);
    return kv_step_done(s, st, "kv delete", eb);
}

/* A sharded store applies a client command only if it owns every key's
 * bucket: a FENCED bucket is being copied out, a RECEIVING one copied in, and
 * a write to either would be lost or overwritten by the move. */
static int kv_check_owned(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                          struct store_result *res, bool *owned, struct errbuf *eb)
{
    *owned = true;
    for (uint32_t i = 0; i < cmd->n_ops; i++) {
        const struct kv_op *op = &cmd->ops[i];
        uint32_t bucket = kv_bucket(op->key, op->key_len, store_bucket_count(s));
        uint8_t state;
        int rc = kv_state_read(s, k, bucket, &state, eb);
        if (rc != 0)
            return rc;
        if (state != KV_BUCKET_OWNED) {
            *owned = false;
            res->status = ERR_STALE;
            res->failed_op = i;
            res->current_version = bucket;
            return 0;
        }
    }
    return 0;
}

/* Every condition is checked against the state before the command (a batch
 * names each key once), and only if all hold is anything written: the batch
 * is atomic without a savepoint. */
static int kv_apply_client(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                           const struct raft_entry *e, struct store_result *res, struct errbuf *eb)
{
    ASSERT(cmd->n_ops >= 1 && cmd->n_ops <= KV_BATCH_OPS_MAX);
    struct kv_config cfg;
    int rc = kv_config_read(s, k, &cfg, eb);
    if (rc != 0)
        return rc;
    if (cfg.sharded) {
        bool owned;
        rc = kv_check_owned(s, k, cmd, res, &owned, eb);
        if (rc != 0 || !owned)
            return rc;
    }
    bool single = cmd->kind != KV_CMD_BATCH;
    for (uint32_t i = 0; i < cmd->n_ops; i++) {
        const struct kv_op *op = &cmd->ops[i];
        if (op->cond.type == KV_COND_NONE && !single)
            continue;
        bool found;
        uint64_t version;
        rc = kv_version_of(s, k, op, &found, &version, eb);
        if (rc != 0)
            return rc;
        if (single)
            res->existed = found;
        if (!kv_cond_holds(&op->cond, found, version)) {
            res->status = ERR_CONDITION;
            res->failed_op = i;
            res->current_version = version;
            return 0;
        }
    }
    /* The shift is <= KV_VERSION_MAX (2^62): only an index past 2^62 gets here. */
    if (e->index > (uint64_t)INT64_MAX - cfg.version_shift)
        return err_set(eb, ERR_RANGE,
                       "versions are exhausted (index %" PRIu64 ", shift %" PRIu64 ")", e->index,
                       cfg.version_shift);
    uint64_t version = e->index + cfg.version_shift;
    for (uint32_t i = 0; i < cmd->n_ops; i++) {
        const struct kv_op *op = &cmd->ops[i];
        if (op->type == KV_OP_PUT)
            rc = kv_row_put(s, k, op->key, op->key_len, op->value, op->value_len, version, eb);
        else
            rc = kv_row_delete(s, k, op->key, op->key_len, eb);
        if (rc != 0)
            return rc;
    }
    res->version = version;
    return 0;
}

static int kv_apply(struct store *s, void *state, const struct raft_entry *e,
                    struct store_result *res, struct errbuf *eb)
{
    struct kv_state *k = state;
    struct kv_cmd *cmd = &k->cmd;
    int rc = kv_decode(e->data, e->len, cmd, eb);
    if (rc != 0)
        return rc;
    switch (cmd->kind) {
    case KV_CMD_PUT:
    case KV_CMD_DELETE:
    case KV_CMD_BATCH:
        return kv_apply_client(s, k, cmd, e, res, eb);
    default:
        return kv_apply_bucket(s, k, cmd, e, res, eb);
    }
}

const struct store_model kv_model = {
    .tag = STORE_MODEL_KV,
    .name = "kv",
    .schema_sql = kv_schema_sql,
    .n_tables = 3,
    .tables = {{"kv", "key, version, bucket, value", 4, "key"},
               {"kv_buckets", "bucket, state", 2, "bucket"},
               {"kv_meta", "name, value", 2, "name"}},
    .open = kv_open,
    .close = kv_close,
    .apply = kv_apply,
};

static int kv_check_key(size_t key_len, const char *what, struct errbuf *eb)
{
    if (key_len < KV_KEY_BYTES_MIN)
        return err_set(eb, ERR_INVAL, "%s is empty", what);
    if (key_len > KV_KEY_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "%s is %zu bytes, the limit is %d", what, key_len,
                       KV_KEY_BYTES_MAX);
    return 0;
}

int kv_get(struct store *s, const void *key, size_t key_len, struct buf *value, uint64_t *version,
           struct errbuf *eb)
{
    int rc = kv_check_key(key_len, "key", eb);
    if (rc != 0)
        return rc;
    struct kv_state *k = kv_state_of(s);
    sqlite3_stmt *st;
    rc = kv_stmt(s, k, KV_ST_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(st, 1, key, (int)key_len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int err = 0;
        if (version != NULL)
            *version = (uint64_t)sqlite3_column_int64(st, 0);
        if (value != NULL) {
            const void *p = sqlite3_column_blob(st, 1);
            size_t n = (size_t)sqlite3_column_bytes(st, 1);
            buf_reset(value);
            if (buf_append(value, p, n) != 0)
                err = err_set(eb, ERR_NOMEM, "kv value of %zu bytes", n);
        }
        sqlite3_reset(st);
        return err;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return err_set(eb, ERR_NOTFOUND, "no such key");
    return store_sqlite_err(store_db(s), rc, "kv get", eb);
}

/* Byte order of keys: memcmp, then the shorter first. */
static int kv_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* The smallest key that no longer starts with prefix: drop trailing 0xff
 * bytes and increment the last. Returns its length, 0 if there is none (empty
 * prefix, or all 0xff: every longer key still matches). */
static size_t kv_prefix_end(const uint8_t *prefix, size_t len, uint8_t *end)
{
    while (len > 0 && prefix[len - 1] == 0xff)
        len--;
    if (len == 0)
        return 0;
    memcpy(end, prefix, len);
    end[len - 1]++;
    return len;
}

/* Binds the key range of prefix (and after) to ?1 and ?2 of a statement from
 * row `bounded` of the tables above. The buffers must outlive the step. */
struct kv_range {
    uint8_t lower[KV_KEY_BYTES_MAX + 1];
    size_t lower_len;
    uint8_t upper[KV_KEY_BYTES_MAX];
    size_t upper_len;
};

static int kv_range_make(struct kv_range *rg, const void *prefix, size_t prefix_len,
                         const void *after, size_t after_len, struct errbuf *eb)
{
    if (prefix_len > KV_KEY_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "prefix is %zu bytes, the limit is %d", prefix_len,
                       KV_KEY_BYTES_MAX);
    if (after_len > KV_KEY_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "after is %zu bytes, the limit is %d", after_len,
                       KV_KEY_BYTES_MAX);
    if (prefix_len)
        memcpy(rg->lower, prefix, prefix_len);
    rg->lower_len = prefix_len;
    if (after_len > 0) {
        /* key > after  <=>  key >= after || 0x00, its immediate successor. */
        uint8_t succ[KV_KEY_BYTES_MAX + 1];
        memcpy(succ, after, after_len);
        succ[after_len] = 0;
        if (kv_keycmp(succ, after_len + 1, rg->lower, rg->lower_len) > 0) {
            memcpy(rg->lower, succ, after_len + 1);
            rg->lower_len = after_len + 1;
        }
    }
    rg->upper_len = kv_prefix_end(prefix, prefix_len, rg->upper);
    return 0;
}

static void kv_range_bind(const struct kv_range *rg, sqlite3_stmt *st)
{
    /* A non-NULL pointer even for the empty key: the empty BLOB sorts first. */
    sqlite3_bind_blob(st, 1, rg->lower, (int)rg->lower_len, SQLITE_STATIC);
    if (rg->upper_len > 0)
        sqlite3_bind_blob(st, 2, rg->upper, (int)rg->upper_len, SQLITE_STATIC);
}

int kv_list(struct store *s, const struct kv_list_req *req, kv_list_fn fn, void *ctx, bool *more,
            struct errbuf *eb)
{
    if (more != NULL)
        *more = false;
    if (req->limit == 0 || req->limit > KV_LIST_LIMIT_MAX)
        return err_set(eb, ERR_INVAL, "list limit %u is not within 1..%d", req->limit,
                       KV_LIST_LIMIT_MAX);
    struct kv_range rg;
    int rc = kv_range_make(&rg, req->prefix, req->prefix_len, req->after, req->after_len, eb);
    if (rc != 0)
        return rc;
    struct kv_state *k = kv_state_of(s);
    int bounded = rg.upper_len > 0, keys_only = req->keys_only;
    sqlite3_stmt **slot = &k->list[bounded][keys_only];
    rc = store_stmt(s, slot, kv_list_sql[bounded][keys_only], eb);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st = *slot;
    kv_range_bind(&rg, st);
    /* One row past the limit tells whether there is another page. */
    sqlite3_bind_int64(st, 3, (sqlite3_int64)req->limit + 1);
    return kv_emit_rows(s, st, req->limit, keys_only, fn, ctx, more, "kv list", eb);
}

int kv_emit_rows(struct store *s, sqlite3_stmt *st, uint32_t limit, bool keys_only, kv_list_fn fn,
                 void *ctx, bool *more, const char *what, struct errbuf *eb)
{
    if (more != NULL)
        *more = false;
    uint32_t given = 0;
    int rc;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        if (given == limit) {
            if (more != NULL)
                *more = true;
            rc = SQLITE_DONE;
            break;
        }
        struct kv_item item = {
            .key = sqlite3_column_blob(st, 0),
            .key_len = (size_t)sqlite3_column_bytes(st, 0),
            .version = (uint64_t)sqlite3_column_int64(st, 1),
            .bucket = (uint32_t)sqlite3_column_int64(st, 2),
        };
        if (!keys_only) {
            item.value = sqlite3_column_blob(st, 3);
            item.value_len = (size_t)sqlite3_column_bytes(st, 3);
        }
        given++;
        int stop = fn(ctx, &item);
        if (stop != 0) {
            /* Reset before returning: a statement left mid-way would hold its
             * read transaction open. */
            sqlite3_reset(st);
            return stop;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, what, eb);
    return 0;
}

int kv_count(struct store *s, const void *prefix, size_t prefix_len, uint64_t *count,
             struct errbuf *eb)
{
    struct kv_range rg;
    int rc = kv_range_make(&rg, prefix, prefix_len, NULL, 0, eb);
    if (rc != 0)
        return rc;
    struct kv_state *k = kv_state_of(s);
    int bounded = rg.upper_len > 0;
    rc = store_stmt(s, &k->count[bounded], kv_count_sql[bounded], eb);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st = k->count[bounded];
    kv_range_bind(&rg, st);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_err(store_db(s), rc, "kv count", eb);
    return 0;
}
