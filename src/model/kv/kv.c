/* The kv model's table, its deterministic apply function and its reads. */
#include "model/kv/kv.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "store/store_model.h"

/* value is the last column so that reading a key's version or listing keys
 * only never walks a large value's overflow pages. Keys compare as BLOBs:
 * memcmp, shorter first. The index lets a bucket's rows be found to move them. */
static const char kv_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS kv(key BLOB PRIMARY KEY NOT NULL, version INTEGER NOT NULL,"
    " bucket INTEGER NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS kv_by_bucket ON kv(bucket);";

/* Statements prepared once per connection, and the decode scratch. */
struct kv_state {
    sqlite3_stmt *version_of;
    sqlite3_stmt *upsert;
    sqlite3_stmt *delete;
    sqlite3_stmt *get;
    sqlite3_stmt *list[2][2]; /* [has upper bound][keys only] */
    sqlite3_stmt *count[2];   /* [has upper bound] */
    struct kv_cmd cmd;
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
    struct kv_state *k = calloc(1, sizeof *k);
    if (k == NULL)
        return err_set(eb, ERR_NOMEM, "kv state");
    *state = k;
    return 0;
}

static void kv_close(void *state)
{
    struct kv_state *k = state;
    sqlite3_finalize(k->version_of);
    sqlite3_finalize(k->upsert);
    sqlite3_finalize(k->delete);
    sqlite3_finalize(k->get);
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

/* Looks up a key's version: *found is false if it is absent. */
static int kv_version_of(struct store *s, struct kv_state *k, const struct kv_op *op, bool *found,
                         uint64_t *version, struct errbuf *eb)
{
    int rc = store_stmt(s, &k->version_of, "SELECT version FROM kv WHERE key = ?1", eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(k->version_of, 1, op->key, (int)op->key_len, SQLITE_STATIC);
    rc = sqlite3_step(k->version_of);
    *found = rc == SQLITE_ROW;
    *version = *found ? (uint64_t)sqlite3_column_int64(k->version_of, 0) : 0;
    sqlite3_reset(k->version_of);
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

static int kv_write(struct store *s, struct kv_state *k, const struct kv_op *op, uint64_t version,
                    struct errbuf *eb)
{
    int rc;
    sqlite3_stmt *st;
    if (op->type == KV_OP_PUT) {
        /* An overwrite leaves bucket alone: it is a function of the key and
         * the store's fixed bucket count, and not naming it spares the bucket
         * index a write per update. */
        rc = store_stmt(s, &k->upsert,
                        "INSERT INTO kv(key, version, bucket, value) VALUES(?1, ?2, ?3, ?4)"
                        " ON CONFLICT(key) DO UPDATE SET version = excluded.version,"
                        " value = excluded.value",
                        eb);
        if (rc != 0)
            return rc;
        st = k->upsert;
        sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
        sqlite3_bind_int64(st, 3, kv_bucket(op->key, op->key_len, store_bucket_count(s)));
        sqlite3_bind_blob(st, 4, op->value_len ? op->value : kv_empty, (int)op->value_len,
                          SQLITE_STATIC);
    } else {
        ASSERT(op->type == KV_OP_DELETE);
        rc = store_stmt(s, &k->delete, "DELETE FROM kv WHERE key = ?1", eb);
        if (rc != 0)
            return rc;
        st = k->delete;
        sqlite3_bind_blob(st, 1, op->key, (int)op->key_len, SQLITE_STATIC);
    }
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "kv write", eb);
    return 0;
}

/* Every condition is checked against the state before the command (a batch
 * names each key once), and only if all hold is anything written: the batch
 * is atomic without a savepoint. */
static int kv_apply(struct store *s, void *state, const struct raft_entry *e,
                    struct store_result *res, struct errbuf *eb)
{
    struct kv_state *k = state;
    struct kv_cmd *cmd = &k->cmd;
    int rc = kv_decode(e->data, e->len, cmd, eb);
    if (rc != 0)
        return rc;
    ASSERT(cmd->n_ops >= 1 && cmd->n_ops <= KV_BATCH_OPS_MAX);
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
    for (uint32_t i = 0; i < cmd->n_ops; i++) {
        rc = kv_write(s, k, &cmd->ops[i], e->index, eb);
        if (rc != 0)
            return rc;
    }
    res->version = e->index;
    return 0;
}

const struct store_model kv_model = {
    .tag = STORE_MODEL_KV,
    .name = "kv",
    .schema_sql = kv_schema_sql,
    .n_tables = 1,
    .tables = {{"kv", "key, version, bucket, value", 4, "key"}},
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
    rc = store_stmt(s, &k->get, "SELECT version, value FROM kv WHERE key = ?1", eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(k->get, 1, key, (int)key_len, SQLITE_STATIC);
    rc = sqlite3_step(k->get);
    if (rc == SQLITE_ROW) {
        int err = 0;
        if (version != NULL)
            *version = (uint64_t)sqlite3_column_int64(k->get, 0);
        if (value != NULL) {
            const void *p = sqlite3_column_blob(k->get, 1);
            size_t n = (size_t)sqlite3_column_bytes(k->get, 1);
            buf_reset(value);
            if (buf_append(value, p, n) != 0)
                err = err_set(eb, ERR_NOMEM, "kv value of %zu bytes", n);
        }
        sqlite3_reset(k->get);
        return err;
    }
    sqlite3_reset(k->get);
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
    uint32_t given = 0;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
            break;
        if (given == req->limit) {
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
        return store_sqlite_err(store_db(s), rc, "kv list", eb);
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
