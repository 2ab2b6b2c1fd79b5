/* The key-value model, after Pravega Key-Value Tables: keys and values are
 * arbitrary bytes, every key has a version, updates may be conditional on it,
 * and a batch of updates to several keys is applied atomically.
 *
 * Writes are commands: the router encodes one (kv_encode_*), proposes it to the
 * key's group, and the store applies it on every replica (the apply function is
 * registered with the store as kv_model). Reads go straight to a store handle.
 *
 * Versions. A command applied at Raft index i writes version
 *     i + version_shift
 * where version_shift is a replicated value of the store, 0 until a
 * BUCKET_IMPORT raises it so that every later version exceeds every version
 * imported (and the import's floor). So versions are deterministic on every
 * replica, strictly increasing across all writes of the store, and never
 * reused: a key's next version is always > max(i, its previous version), also
 * after its bucket moved here from a group with a longer log, and also for a
 * key deleted and re-created (the source's floor covers versions of keys that
 * are gone). In a store that never imported, a version is the entry's index.
 * All keys of one batch get the same version. Versions are >= 1. If-Match
 * (KV_COND_VERSION) compares with the stored version as before.
 *
 * Buckets. Every row records kv_bucket(key) so that buckets can move between
 * groups. The hash is fixed forever (see kv_hash). Each store records the
 * state of the buckets it has (table kv_buckets, carried by snapshots):
 *     OWNED      client writes are applied;
 *     RECEIVING  a move is copying the bucket in: only BUCKET_IMPORT writes;
 *     FENCED     a move is copying the bucket out: no writes, reads still work;
 *     absent     not this store's bucket.
 * Ownership is enforced once the store is sharded: the first BUCKET_OWN sets
 * that flag, for good. Before that (a store that never saw a bucket command)
 * the store owns every bucket, as the single-group node always did, and
 * every other bucket command is refused (ERR_STALE): it would move data the
 * store implicitly owns.
 *
 * A move of bucket b from store S to store D (each step a command in the
 * log of the store named, the reads on any handle of that store):
 *     1. D: BUCKET_RECEIVE(b)            clears leftovers of an earlier try
 *     2. S: m = kv_version_floor         before the copy starts
 *     3. copy: kv_bucket_scan(S, b, min_version 0) pages -> D: BUCKET_IMPORT
 *        (writes to b go on at S meanwhile)
 *     4. S: BUCKET_FENCE(b)              from now on b is frozen at S
 *     5. S: f = kv_version_floor
 *     6. delta -> D: BUCKET_IMPORT(b, floor f): the rows of
 *        kv_bucket_scan(S, b, min_version m), and as deletes the keys of
 *        kv_bucket_keys(D, b) that kv_bucket_keys(S, b) lacks
 *     7. D: BUCKET_OWN([b]); the governor flips b's owner to D
 *     8. S: BUCKET_DROP(b)
 * A write at S during step 3 is applied at an index > the applied index read
 * in step 2, so its version is > m and step 6 sees it. Rolling back before
 * step 7: S: BUCKET_UNFENCE(b), D: BUCKET_DROP(b).
 *
 * Command format (after the store's model byte STORE_MODEL_KV), little-endian,
 * varints from base/codec.h:
 *     u8 kind (enum kv_cmd_kind)
 *     PUT:    cond, key, value        DELETE: cond, key
 *     BATCH:  uvarint n_ops, then per op: u8 op (KV_OP_PUT/KV_OP_DELETE), the op's fields
 *     cond:   u8 type (KV_COND_*), then uvarint version if KV_COND_VERSION
 *     key, value: uvarint length, bytes
 *     BUCKET_OWN:     uvarint n (0..KV_BUCKET_OWN_MAX), then n times u32 bucket
 *     BUCKET_RECEIVE, BUCKET_FENCE, BUCKET_UNFENCE, BUCKET_DROP: u32 bucket
 *     BUCKET_IMPORT:  u32 bucket, u32 n_items, uvarint floor (0..KV_VERSION_MAX),
 *                     then n_items items (the last ends the command), each u8 type and:
 *                     KV_IMPORT_ROW: key, uvarint version (1..KV_VERSION_MAX), value
 *                     KV_IMPORT_DELETE: key
 *     bucket: < STORE_BUCKET_COUNT_MAX
 *
 * Results (struct store_result). A command that is refused changes nothing
 * (but the applied index) and says why in res->status:
 *     ERR_CONDITION  PUT/DELETE/BATCH: a condition failed; failed_op is the op,
 *                    current_version the key's version now (0 if absent).
 *     ERR_STALE      PUT/DELETE/BATCH: op failed_op's key is in bucket
 *                    current_version, which is not OWNED here ("wrong bucket").
 *                    Bucket commands: the bucket (current_version) is not in a
 *                    state the command applies to, or the store is not sharded.
 *     ERR_RANGE      bucket commands: a bucket >= the store's bucket count;
 *                    failed_op its position in a BUCKET_OWN, current_version it.
 *     ERR_INVAL      BUCKET_IMPORT: item failed_op's key is not in the bucket.
 * On success PUT/DELETE/BATCH set res->version to the version written (and
 * PUT/DELETE res->existed); the single-bucket commands set res->existed if
 * the bucket had a state row before.
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
/* Buckets one BUCKET_OWN names: every bucket of the largest cluster, so a
 * bootstrap is one command (4 bytes each: it fits in KV_CMD_BYTES_MAX). */
#define KV_BUCKET_OWN_MAX STORE_BUCKET_COUNT_MAX
/* The largest version an import may carry (and floor). Written versions may
 * grow past it only after 2^62 more entries, which no log reaches. */
#define KV_VERSION_MAX (1ull << 62)

enum kv_cmd_kind {
    KV_CMD_PUT = 1,
    KV_CMD_DELETE = 2,
    KV_CMD_BATCH = 3,
    KV_CMD_BUCKET_OWN = 4,
    KV_CMD_BUCKET_RECEIVE = 5,
    KV_CMD_BUCKET_IMPORT = 6,
    KV_CMD_BUCKET_FENCE = 7,
    KV_CMD_BUCKET_UNFENCE = 8,
    KV_CMD_BUCKET_DROP = 9,
};
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

/* Values of kv_buckets.state; never renumber (they are in the database). */
enum kv_bucket_state {
    KV_BUCKET_NONE = 0, /* no row: not this store's bucket */
    KV_BUCKET_OWNED = 1,
    KV_BUCKET_RECEIVING = 2,
    KV_BUCKET_FENCED = 3,
};

enum kv_import_type { KV_IMPORT_ROW = 1, KV_IMPORT_DELETE = 2 };

/* A decoded command; PUT and DELETE are one op. Pointers point into the
 * decoded bytes. */
struct kv_cmd {
    uint8_t kind;   /* enum kv_cmd_kind */
    uint32_t n_ops; /* PUT, DELETE, BATCH; 0 for bucket commands */
    struct kv_op ops[KV_BATCH_OPS_MAX];
    uint32_t bucket; /* RECEIVE, IMPORT, FENCE, UNFENCE, DROP */
    /* BUCKET_OWN: n_buckets u32s at buckets; read them with kv_cmd_own_bucket. */
    uint32_t n_buckets;
    const uint8_t *buckets;
    /* BUCKET_IMPORT: the floor, how many items of each type, and the encoded
     * items (walk them with kv_import_iter). */
    uint64_t floor;
    uint32_t n_rows;
    uint32_t n_deletes;
    const uint8_t *items;
    size_t items_len;
};

/* Bucket i (< cmd->n_buckets) of a decoded BUCKET_OWN. */
uint32_t kv_cmd_own_bucket(const struct kv_cmd *cmd, uint32_t i);

/* One item of a decoded BUCKET_IMPORT; pointers into the command. */
struct kv_import_item {
    uint8_t type; /* enum kv_import_type */
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* rows only */
    size_t value_len;
    uint64_t version; /* rows only */
};

struct kv_import_iter {
    const uint8_t *p;
    size_t len;
    size_t off;
};

/* Walks the items of a decoded BUCKET_IMPORT in command order:
 * kv_import_iter_next fills item and returns true until they are done. */
void kv_import_iter_init(struct kv_import_iter *it, const struct kv_cmd *cmd);
bool kv_import_iter_next(struct kv_import_iter *it, struct kv_import_item *item);

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

/* Bucket commands (see the top of this file for what each does). On error out
 * is as before: ERR_INVAL (a bucket >= STORE_BUCKET_COUNT_MAX), ERR_TOOBIG
 * (more than KV_BUCKET_OWN_MAX buckets), ERR_NOMEM. A BUCKET_OWN may name no
 * bucket (it makes the store sharded and owns nothing) or one twice. */
int kv_encode_bucket_own(struct buf *out, const uint32_t *buckets, uint32_t n_buckets,
                         struct errbuf *eb);
int kv_encode_bucket_receive(struct buf *out, uint32_t bucket, struct errbuf *eb);
int kv_encode_bucket_fence(struct buf *out, uint32_t bucket, struct errbuf *eb);
int kv_encode_bucket_unfence(struct buf *out, uint32_t bucket, struct errbuf *eb);
int kv_encode_bucket_drop(struct buf *out, uint32_t bucket, struct errbuf *eb);

/* Builds a BUCKET_IMPORT in out, item by item, never past KV_CMD_BYTES_MAX:
 * after kv_import_begin and after every call that returned 0, out holds a
 * whole command (the one begun, up to the last item added) ready to propose.
 * Items are applied in the order added; a key may come twice (the later item
 * wins), so the same import applied twice leaves the same state. */
struct kv_import {
    struct buf *out;
    size_t start; /* where the command begins in out */
    uint32_t n_rows;
    uint32_t n_deletes;
};

/* Appends the command's header to out. floor: the source's kv_version_floor
 * read after the bucket was fenced (0 before: copy-phase imports need none).
 * Returns 0, ERR_INVAL (bucket >= STORE_BUCKET_COUNT_MAX, floor past
 * KV_VERSION_MAX), ERR_NOMEM. */
int kv_import_begin(struct kv_import *im, struct buf *out, uint32_t bucket, uint64_t floor,
                    struct errbuf *eb);
/* Add a row with exactly this version, or the deletion of a key. Returns 0;
 * ERR_TOOBIG when the item does not fit in this command: propose it and begin
 * another (any item fits in an empty import); ERR_INVAL for a key or value
 * past the limits, or version 0 or past KV_VERSION_MAX; ERR_NOMEM. On error
 * out is as before. */
int kv_import_row(struct kv_import *im, const void *key, size_t key_len, const void *value,
                  size_t value_len, uint64_t version, struct errbuf *eb);
int kv_import_delete(struct kv_import *im, const void *key, size_t key_len, struct errbuf *eb);

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

/* ---- Reads for bucket moves; any handle. A bucket past the store's bucket
 * count is ERR_INVAL. ---- */

/* Calls fn for up to limit (1..KV_LIST_LIMIT_MAX) rows of bucket in key
 * order, after the key after (after_len 0: from the first), with values;
 * with min_version > 0 only rows whose version is > min_version. *more (may
 * be NULL) as for kv_list. Time is linear in the bucket's rows from after on
 * (min_version filters, it does not seek). Returns 0, fn's nonzero return,
 * ERR_INVAL, ERR_TOOBIG (after too long), ERR_NOMEM, ERR_IO. */
int kv_bucket_scan(struct store *s, uint32_t bucket, const void *after, size_t after_len,
                   uint32_t limit, uint64_t min_version, kv_list_fn fn, void *ctx, bool *more,
                   struct errbuf *eb);
/* As kv_bucket_scan without values (item->value NULL) and every version. */
int kv_bucket_keys(struct store *s, uint32_t bucket, const void *after, size_t after_len,
                   uint32_t limit, kv_list_fn fn, void *ctx, bool *more, struct errbuf *eb);
/* The recorded state of bucket (KV_BUCKET_NONE if no row). In a store that is
 * not sharded every bucket is NONE here yet all are owned: see kv_sharded.
 * Returns 0, ERR_INVAL, ERR_IO. */
int kv_bucket_state(struct store *s, uint32_t bucket, uint8_t *state, struct errbuf *eb);
/* Calls fn for every bucket with a state row, in bucket order. Returns 0, fn's
 * nonzero return, ERR_IO, ERR_NOMEM. */
typedef int (*kv_bucket_fn)(void *ctx, uint32_t bucket, uint8_t state);
int kv_buckets_owned(struct store *s, kv_bucket_fn fn, void *ctx, struct errbuf *eb);
/* Rows of bucket. Returns 0, ERR_INVAL, ERR_IO. */
int kv_bucket_count_rows(struct store *s, uint32_t bucket, uint64_t *count, struct errbuf *eb);
/* Whether the store enforces bucket ownership (it applied a BUCKET_OWN). */
int kv_sharded(struct store *s, bool *sharded, struct errbuf *eb);
/* A bound on every version this store has ever written or imported, for
 * BUCKET_IMPORT's floor: applied index + version shift, read now. Returns 0,
 * ERR_IO, ERR_CORRUPT. */
int kv_version_floor(struct store *s, uint64_t *floor, struct errbuf *eb);

#endif
