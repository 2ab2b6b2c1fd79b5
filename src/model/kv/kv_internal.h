/* What kv.c (client commands, reads) and kv_bucket.c (bucket commands, reads
 * for moves) share: the per-connection state and the row primitives. Not for
 * use outside src/model/kv/. */
#ifndef CAIRN_MODEL_KV_INTERNAL_H
#define CAIRN_MODEL_KV_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/kv/kv.h"
#include "raft/raft.h"
#include "store/store_model.h"

/* Statements prepared once per connection; kv_sql in kv.c has their text. */
enum kv_stmt_id {
    KV_ST_VERSION_OF,
    KV_ST_UPSERT,
    KV_ST_DELETE,
    KV_ST_GET,
    KV_ST_CONFIG,
    KV_ST_META_SET,
    KV_ST_STATE_GET,
    KV_ST_STATE_SET,
    KV_ST_STATE_DELETE,
    KV_ST_BUCKET_CLEAR,
    KV_ST_BUCKET_SCAN,
    KV_ST_BUCKET_KEYS,
    KV_ST_BUCKET_LIST,
    KV_ST_BUCKET_COUNT,
    KV_ST_FLOOR,
    KV_ST_N
};

struct kv_state {
    sqlite3_stmt *st[KV_ST_N];
    sqlite3_stmt *list[2][2]; /* [has upper bound][keys only] */
    sqlite3_stmt *count[2];   /* [has upper bound] */
    struct kv_cmd cmd;        /* decode scratch: too large for the stack */
};

/* Names of rows in kv_meta. */
#define KV_META_SHARDED       "sharded"
#define KV_META_VERSION_SHIFT "version_shift"

/* The store-wide values every command reads first. */
struct kv_config {
    bool sharded;
    uint64_t version_shift;
};

/* Prepares (once) and returns statement id on this connection. */
int kv_stmt(struct store *s, struct kv_state *k, enum kv_stmt_id id, sqlite3_stmt **out,
            struct errbuf *eb);
int kv_config_read(struct store *s, struct kv_state *k, struct kv_config *cfg, struct errbuf *eb);
int kv_meta_write(struct store *s, struct kv_state *k, const char *name, uint64_t value,
                  struct errbuf *eb);
/* The recorded state of a bucket, KV_BUCKET_NONE if it has no row. */
int kv_state_read(struct store *s, struct kv_state *k, uint32_t bucket, uint8_t *state,
                  struct errbuf *eb);
/* Inserts or overwrites a row with exactly this version. */
int kv_row_put(struct store *s, struct kv_state *k, const uint8_t *key, size_t key_len,
               const uint8_t *value, size_t value_len, uint64_t version, struct errbuf *eb);
int kv_row_delete(struct store *s, struct kv_state *k, const uint8_t *key, size_t key_len,
                  struct errbuf *eb);
/* Runs a prepared SELECT of (key, version, bucket[, value]) rows, calling fn
 * for up to limit of them and setting *more if one more followed (the
 * statement must ask for limit + 1). Resets st. */
int kv_emit_rows(struct store *s, sqlite3_stmt *st, uint32_t limit, bool keys_only, kv_list_fn fn,
                 void *ctx, bool *more, const char *what, struct errbuf *eb);
/* Steps a statement that returns no row, and resets it. */
int kv_step_done(struct store *s, sqlite3_stmt *st, const char *what, struct errbuf *eb);

/* Applies a decoded bucket command (kv_bucket.c). */
int kv_apply_bucket(struct store *s, struct kv_state *k, const struct kv_cmd *cmd,
                    const struct raft_entry *e, struct store_result *res, struct errbuf *eb);

#endif
