/* The key-value model, after Pravega Key-Value Tables: keys and values are
 * arbitrary bytes, every key has a version, updates may be conditional on it,
 * and a batch of updates to several keys is applied atomically.
 *
 * Writes are commands: the router encodes one (kv_encode_*), proposes it to the
 * key's group, and the store applies it on every replica (the apply function is
 * registered with the store as kv_model). Reads go straight to a store handle.
 *
 * Versions. The version of a key is the Raft index of the entry that last
 * wrote it: deterministic on every replica, increasing with every write, never
 * reused (a deleted then re-created key gets a new, larger version). All keys
 * of one batch get the same version. Versions are >= 1.
 *
 * Buckets. Every row records kv_bucket(key) so that buckets can move between
 * groups. The hash is fixed forever (see kv_hash).
 *
 * Command format (after the store's model byte STORE_MODEL_KV), little-endian,
 * varints from base/codec.h:
 *     u8 kind (KV_CMD_PUT, KV_CMD_DELETE, KV_CMD_BATCH)
 *     PUT:    cond, key, value        DELETE: cond, key
 *     BATCH:  uvarint n_ops, then per op: u8 op (KV_OP_PUT/KV_OP_DELETE), the op's fields
 *     cond:   u8 type (KV_COND_*), then uvarint version if KV_COND_VERSION
 *     key, value: uvarint length, bytes
 *
 * Errors: 0 or a negative ERR_* code (base/err.h), detail in the errbuf. */
#ifndef CAIRN_MODEL_KV_H
#define CAIRN_MODEL_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

#define KV_KEY_BYTES_MIN   1
#define KV_KEY_BYTES_MAX   1024
#define KV_VALUE_BYTES_MAX (1024 * 1024)
#define KV_BATCH_OPS_MAX   128
/* A whole encoded command: one maximal put fits; a batch of many large values
 * does not, so one entry never carries more than this. */
#define KV_CMD_BYTES_MAX  (4 * 1024 * 1024)
#define KV_LIST_LIMIT_MAX 10000

enum kv_cmd_kind { KV_CMD_PUT = 1, KV_CMD_DELETE = 2, KV_CMD_BATCH = 3 };
enum kv_op_type { KV_OP_PUT = 1, KV_OP_DELETE = 2 };
enum kv_cond_type {
    KV_COND_NONE = 0,
    KV_COND_VERSION = 1, /* the key exists with exactly this version */
    KV_COND_ABSENT = 2,  /* the key does not exist (create only) */
};

struct kv_cond {
    uint8_t type; /* enum kv_cond_type */
    uint64_t version;
};

/* One update. Pointers are borrowed: into the caller's memory when encoding,
 * into the entry's data after kv_decode. */
struct kv_op {
    uint8_t type; /* enum kv_op_type */
    struct kv_cond cond;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* KV_OP_PUT only */
    size_t value_len;
};

/* A decoded command; PUT and DELETE are one op. */
struct kv_cmd {
    uint8_t kind; /* enum kv_cmd_kind */
    uint32_t n_ops;
    struct kv_op ops[KV_BATCH_OPS_MAX];
};

/* Encoders append a whole command, model byte first, to out (on error out is
 * as before). cond may be NULL for none. They check every limit: ERR_INVAL
 * (empty key, unknown condition or op, if_version 0, a batch with no op or
 * with a key twice), ERR_TOOBIG (key, value, op count or command size past the
 * limits above), ERR_NOMEM. */
int kv_encode_put(struct buf *out, const void *key, size_t key_len, const void *value,
                  size_t value_len, const struct kv_cond *cond, struct errbuf *eb);
int kv_encode_delete(struct buf *out, const void *key, size_t key_len, const struct kv_cond *cond,
                     struct errbuf *eb);
int kv_encode_batch(struct buf *out, const struct kv_op *ops, uint32_t n_ops, struct errbuf *eb);

/* Decodes a command (model byte first) into cmd, pointing into p. Checks the
 * same limits as the encoders: since every command in the log passed an
 * encoder, a failure means corruption or a bug. Returns 0, ERR_CORRUPT, or
 * ERR_UNSUPPORTED (a command kind this build does not know). */
int kv_decode(const uint8_t *p, size_t len, struct kv_cmd *cmd, struct errbuf *eb);

/* The bucket hash, fixed forever: FNV-1a 64 (offset basis 0xcbf29ce484222325,
 * prime 0x100000001b3) over the key bytes, then MurmurHash3's fmix64 finalizer
 * so that every output bit depends on every input bit and `% bucket_count`
 * spreads evenly. kv_hash("", 0) == 0xcbf29ce484222325 passed through fmix64. */
uint64_t kv_hash(const void *key, size_t len);
/* kv_hash(key) % bucket_count; bucket_count > 0. */
uint32_t kv_bucket(const void *key, size_t len, uint32_t bucket_count);

/* Reads work on any store handle (writer or reader), on its thread. */

/* Copies the key's value into value (replacing its contents) and sets
 * *version. ERR_NOTFOUND if absent; ERR_INVAL/ERR_TOOBIG for a key that could
 * not exist; ERR_NOMEM, ERR_IO. value or version may be NULL. */
int kv_get(struct store *s, const void *key, size_t key_len, struct buf *value, uint64_t *version,
           struct errbuf *eb);

/* One row handed to a kv_list callback; pointers are valid during the call. */
struct kv_item {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* NULL with value_len 0 when keys_only */
    size_t value_len;
    uint64_t version;
    uint32_t bucket;
};

/* Returns 0 to go on; anything else stops kv_list, which returns it. */
typedef int (*kv_list_fn)(void *ctx, const struct kv_item *item);

struct kv_list_req {
    const void *prefix; /* only keys starting with these bytes; prefix_len 0 for all */
    size_t prefix_len;
    const void *after; /* only keys > after (byte order); after_len 0 to start at the first */
    size_t after_len;
    uint32_t limit; /* 1..KV_LIST_LIMIT_MAX */
    bool keys_only; /* leave values unread */
};

/* Calls fn for up to limit keys matching req in byte order (memcmp, shorter
 * first), and sets *more if more keys match after the last one given (page on
 * with after = that key). Returns 0, fn's nonzero return, ERR_INVAL (limit,
 * lengths), ERR_NOMEM, ERR_IO. more may be NULL. */
int kv_list(struct store *s, const struct kv_list_req *req, kv_list_fn fn, void *ctx, bool *more,
            struct errbuf *eb);

/* Counts keys starting with prefix (prefix_len 0: all). Time is linear in the
 * count. Returns 0, ERR_INVAL, ERR_NOMEM, ERR_IO. */
int kv_count(struct store *s, const void *prefix, size_t prefix_len, uint64_t *count,
             struct errbuf *eb);

#endif
