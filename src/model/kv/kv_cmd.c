/* The kv command codec and the bucket hash. The encoder is the gate for
 * user input; the decoder checks the same rules again on what the log holds. */
#include "model/kv/kv.h"

#include <string.h>

#include "base/assert.h"
#include "base/codec.h"

#define KV_FNV_OFFSET 0xcbf29ce484222325ull
#define KV_FNV_PRIME  0x100000001b3ull

uint64_t kv_hash(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = KV_FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= KV_FNV_PRIME;
    }
    /* MurmurHash3 fmix64. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

uint32_t kv_bucket(const void *key, size_t len, uint32_t bucket_count)
{
    ASSERT(bucket_count > 0);
    return (uint32_t)(kv_hash(key, len) % bucket_count);
}

/* Checks one op against the limits; code is the error to report (ERR_INVAL
 * style for the encoder, ERR_CORRUPT for the decoder), too_big the code for a
 * size past a limit. */
static int kv_check_op(const struct kv_op *op, uint32_t i, int code, int too_big, struct errbuf *eb)
{
    if (op->type != KV_OP_PUT && op->type != KV_OP_DELETE)
        return err_set(eb, code, "op %u: unknown op type %u", i, op->type);
    if (op->key_len < KV_KEY_BYTES_MIN)
        return err_set(eb, code, "op %u: key is empty", i);
    if (op->key_len > KV_KEY_BYTES_MAX)
        return err_set(eb, too_big, "op %u: key is %zu bytes, the limit is %d", i, op->key_len,
                       KV_KEY_BYTES_MAX);
    if (op->type == KV_OP_PUT && op->value_len > KV_VALUE_BYTES_MAX)
        return err_set(eb, too_big, "op %u: value is %zu bytes, the limit is %d", i, op->value_len,
                       KV_VALUE_BYTES_MAX);
    switch (op->cond.type) {
    case KV_COND_NONE:
    case KV_COND_ABSENT:
        break;
    case KV_COND_VERSION:
        if (op->cond.version == 0)
            return err_set(eb, code, "op %u: if_version 0 (versions start at 1)", i);
        break;
    default:
        return err_set(eb, code, "op %u: unknown condition %u", i, op->cond.type);
    }
    return 0;
}

/* A batch names each key once, so that its conditions all read the state
 * before the batch and its result does not depend on op order. */
static int kv_check_unique(const struct kv_op *ops, uint32_t n, int code, struct errbuf *eb)
{
    ASSERT(n <= KV_BATCH_OPS_MAX); /* so this is at most 8128 comparisons */
    for (uint32_t i = 1; i < n; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (ops[i].key_len == ops[j].key_len &&
                memcmp(ops[i].key, ops[j].key, ops[i].key_len) == 0)
                return err_set(eb, code, "ops %u and %u name the same key", j, i);
        }
    }
    return 0;
}

static size_t kv_op_encoded_len(const struct kv_op *op)
{
    size_t n = 1 + codec_uvarint_len(op->key_len) + op->key_len;
    if (op->cond.type == KV_COND_VERSION)
        n += codec_uvarint_len(op->cond.version);
    if (op->type == KV_OP_PUT)
        n += codec_uvarint_len(op->value_len) + op->value_len;
    return n;
}

/* Writes an op's fields (not its type byte) into room already reserved. */
static void kv_put_op(struct buf *out, const struct kv_op *op)
{
    int rc = buf_append_u8(out, op->cond.type);
    if (op->cond.type == KV_COND_VERSION)
        rc |= buf_append_uvarint(out, op->cond.version);
    rc |= buf_append_uvarint(out, op->key_len);
    rc |= buf_append(out, op->key, op->key_len);
    if (op->type == KV_OP_PUT) {
        rc |= buf_append_uvarint(out, op->value_len);
        rc |= buf_append(out, op->value, op->value_len);
    }
    ASSERT(rc == 0); /* the room was reserved */
}

static int kv_encode(struct buf *out, uint8_t kind, const struct kv_op *ops, uint32_t n,
                     struct errbuf *eb)
{
    if (n == 0)
        return err_set(eb, ERR_INVAL, "a batch needs at least one op");
    if (n > KV_BATCH_OPS_MAX)
        return err_set(eb, ERR_TOOBIG, "batch has %u ops, the limit is %d", n, KV_BATCH_OPS_MAX);
    size_t total = 2; /* model byte, kind */
    if (kind == KV_CMD_BATCH)
        total += codec_uvarint_len(n) + n; /* count, one op type byte each */
    for (uint32_t i = 0; i < n; i++) {
        int rc = kv_check_op(&ops[i], i, ERR_INVAL, ERR_TOOBIG, eb);
        if (rc != 0)
            return rc;
        total += kv_op_encoded_len(&ops[i]);
    }
    if (total > KV_CMD_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "command is %zu bytes, the limit is %d", total,
                       KV_CMD_BYTES_MAX);
    int rc = kv_check_unique(ops, n, ERR_INVAL, eb);
    if (rc != 0)
        return rc;
    if (buf_reserve(out, total) != 0)
        return err_set(eb, ERR_NOMEM, "kv command of %zu bytes", total);

    size_t start = out->len;
    rc = buf_append_u8(out, STORE_MODEL_KV);
    rc |= buf_append_u8(out, kind);
    if (kind == KV_CMD_BATCH)
        rc |= buf_append_uvarint(out, n);
    for (uint32_t i = 0; i < n; i++) {
        if (kind == KV_CMD_BATCH)
            rc |= buf_append_u8(out, ops[i].type);
        kv_put_op(out, &ops[i]);
    }
    ASSERT(rc == 0); /* the room was reserved */
    ASSERT(out->len - start == total);
    return 0;
}

int kv_encode_put(struct buf *out, const void *key, size_t key_len, const void *value,
                  size_t value_len, const struct kv_cond *cond, struct errbuf *eb)
{
    struct kv_op op = {
        .type = KV_OP_PUT, .key = key, .key_len = key_len, .value = value, .value_len = value_len};
    if (cond != NULL)
        op.cond = *cond;
    return kv_encode(out, KV_CMD_PUT, &op, 1, eb);
}

int kv_encode_delete(struct buf *out, const void *key, size_t key_len, const struct kv_cond *cond,
                     struct errbuf *eb)
{
    struct kv_op op = {.type = KV_OP_DELETE, .key = key, .key_len = key_len};
    if (cond != NULL)
        op.cond = *cond;
    return kv_encode(out, KV_CMD_DELETE, &op, 1, eb);
}

int kv_encode_batch(struct buf *out, const struct kv_op *ops, uint32_t n_ops, struct errbuf *eb)
{
    return kv_encode(out, KV_CMD_BATCH, ops, n_ops, eb);
}

/* Reads an op's fields; the length checks come before the bytes are taken. */
static void kv_read_op(struct codec_reader *r, struct kv_op *op)
{
    op->cond.type = codec_read_u8(r);
    op->cond.version = 0;
    if (op->cond.type == KV_COND_VERSION)
        op->cond.version = codec_read_uvarint(r);
    uint64_t key_len = codec_read_uvarint(r);
    if (key_len > KV_KEY_BYTES_MAX && r->err == 0)
        r->err = ERR_MALFORMED;
    op->key_len = (size_t)key_len;
    op->key = codec_read_bytes(r, op->key_len);
    op->value = NULL;
    op->value_len = 0;
    if (op->type == KV_OP_PUT) {
        uint64_t value_len = codec_read_uvarint(r);
        if (value_len > KV_VALUE_BYTES_MAX && r->err == 0)
            r->err = ERR_MALFORMED;
        op->value_len = (size_t)value_len;
        op->value = codec_read_bytes(r, op->value_len);
    }
}

/* ---- Bucket commands ---- */

_Static_assert(2 + CODEC_UVARINT_LEN_MAX + 4ull * KV_BUCKET_OWN_MAX <= KV_CMD_BYTES_MAX,
               "a BUCKET_OWN of every bucket fits in one command");
/* The header of an import and its largest item. */
#define KV_IMPORT_HEADER_BYTES_MAX (2 + 4 + 4 + CODEC_UVARINT_LEN_MAX)
/* Where an import's item count sits, so the builder can update it in place. */
#define KV_IMPORT_COUNT_OFFSET 6
#define KV_IMPORT_ITEM_BYTES_MAX                                                                   \
    (1 + 3 * CODEC_UVARINT_LEN_MAX + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX)
_Static_assert(KV_IMPORT_HEADER_BYTES_MAX + KV_IMPORT_ITEM_BYTES_MAX <= KV_CMD_BYTES_MAX,
               "any row fits in an empty import");

static int kv_check_bucket(uint32_t bucket, struct errbuf *eb)
{
    if (bucket >= STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_INVAL, "bucket %u is past the limit %d", bucket,
                       STORE_BUCKET_COUNT_MAX);
    return 0;
}

int kv_encode_bucket_own(struct buf *out, const uint32_t *buckets, uint32_t n_buckets,
                         struct errbuf *eb)
{
    if (n_buckets > KV_BUCKET_OWN_MAX)
        return err_set(eb, ERR_TOOBIG, "%u buckets, the limit is %d", n_buckets, KV_BUCKET_OWN_MAX);
    for (uint32_t i = 0; i < n_buckets; i++) {
        int rc = kv_check_bucket(buckets[i], eb);
        if (rc != 0)
            return rc;
    }
    size_t total = 2 + codec_uvarint_len(n_buckets) + 4 * (size_t)n_buckets;
    ASSERT(total <= KV_CMD_BYTES_MAX);
    if (buf_reserve(out, total) != 0)
        return err_set(eb, ERR_NOMEM, "kv command of %zu bytes", total);
    size_t start = out->len;
    int rc = buf_append_u8(out, STORE_MODEL_KV);
    rc |= buf_append_u8(out, KV_CMD_BUCKET_OWN);
    rc |= buf_append_uvarint(out, n_buckets);
    for (uint32_t i = 0; i < n_buckets; i++)
        rc |= buf_append_u32(out, buckets[i]);
    ASSERT(rc == 0); /* the room was reserved */
    ASSERT(out->len - start == total);
    return 0;
}

static int kv_encode_bucket_cmd(struct buf *out, uint8_t kind, uint32_t bucket, struct errbuf *eb)
{
    int rc = kv_check_bucket(bucket, eb);
    if (rc != 0)
        return rc;
    if (buf_reserve(out, 6) != 0)
        return err_set(eb, ERR_NOMEM, "kv command of 6 bytes");
    rc = buf_append_u8(out, STORE_MODEL_KV);
    rc |= buf_append_u8(out, kind);
    rc |= buf_append_u32(out, bucket);
    ASSERT(rc == 0);
    return 0;
}

int kv_encode_bucket_receive(struct buf *out, uint32_t bucket, struct errbuf *eb)
{
    return kv_encode_bucket_cmd(out, KV_CMD_BUCKET_RECEIVE, bucket, eb);
}

int kv_encode_bucket_fence(struct buf *out, uint32_t bucket, struct errbuf *eb)
{
    return kv_encode_bucket_cmd(out, KV_CMD_BUCKET_FENCE, bucket, eb);
}

int kv_encode_bucket_unfence(struct buf *out, uint32_t bucket, struct errbuf *eb)
{
    return kv_encode_bucket_cmd(out, KV_CMD_BUCKET_UNFENCE, bucket, eb);
}

int kv_encode_bucket_drop(struct buf *out, uint32_t bucket, struct errbuf *eb)
{
    return kv_encode_bucket_cmd(out, KV_CMD_BUCKET_DROP, bucket, eb);
}

uint32_t kv_cmd_own_bucket(const struct kv_cmd *cmd, uint32_t i)
{
    ASSERT(cmd->kind == KV_CMD_BUCKET_OWN && i < cmd->n_buckets);
    return codec_get_u32(cmd->buckets + 4 * (size_t)i);
}

int kv_import_begin(struct kv_import *im, struct buf *out, uint32_t bucket, uint64_t floor,
                    struct errbuf *eb)
{
    int rc = kv_check_bucket(bucket, eb);
    if (rc != 0)
        return rc;
    if (floor > KV_VERSION_MAX)
        return err_set(eb, ERR_INVAL, "floor %llu is past the version limit",
                       (unsigned long long)floor);
    if (buf_reserve(out, KV_IMPORT_HEADER_BYTES_MAX) != 0)
        return err_set(eb, ERR_NOMEM, "kv import header");
    *im = (struct kv_import){.out = out, .start = out->len};
    rc = buf_append_u8(out, STORE_MODEL_KV);
    rc |= buf_append_u8(out, KV_CMD_BUCKET_IMPORT);
    rc |= buf_append_u32(out, bucket);
    rc |= buf_append_u32(out, 0);
    rc |= buf_append_uvarint(out, floor);
    ASSERT(rc == 0);
    return 0;
}

/* Counts an item just appended in the command's header. */
static void kv_import_counted(struct kv_import *im)
{
    uint32_t n = im->n_rows + im->n_deletes;
    ASSERT(n < UINT32_MAX && n < KV_CMD_BYTES_MAX); /* each item takes >= 3 bytes */
    codec_put_u32(im->out->data + im->start + KV_IMPORT_COUNT_OFFSET, n);
}

/* Appends one item of n bytes if the command stays within its bound. */
static int kv_import_room(struct kv_import *im, size_t n, struct errbuf *eb)
{
    ASSERT(im->out != NULL && im->out->len >= im->start);
    size_t used = im->out->len - im->start;
    ASSERT(used <= KV_CMD_BYTES_MAX);
    if (n > KV_CMD_BYTES_MAX - used)
        return err_set(eb, ERR_TOOBIG, "the import is full (%zu bytes, %zu more do not fit)", used,
                       n);
    if (buf_reserve(im->out, n) != 0)
        return err_set(eb, ERR_NOMEM, "kv import item of %zu bytes", n);
    return 0;
}

static int kv_check_import_key(size_t key_len, struct errbuf *eb)
{
    if (key_len < KV_KEY_BYTES_MIN || key_len > KV_KEY_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "import key of %zu bytes is not within %d..%d", key_len,
                       KV_KEY_BYTES_MIN, KV_KEY_BYTES_MAX);
    return 0;
}

int kv_import_row(struct kv_import *im, const void *key, size_t key_len, const void *value,
                  size_t value_len, uint64_t version, struct errbuf *eb)
{
    int rc = kv_check_import_key(key_len, eb);
    if (rc != 0)
        return rc;
    if (value_len > KV_VALUE_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "import value is %zu bytes, the limit is %d", value_len,
                       KV_VALUE_BYTES_MAX);
    if (version == 0 || version > KV_VERSION_MAX)
        return err_set(eb, ERR_INVAL, "import version %llu is not within 1..2^62",
                       (unsigned long long)version);
    size_t n = 1 + codec_uvarint_len(key_len) + key_len + codec_uvarint_len(version) +
               codec_uvarint_len(value_len) + value_len;
    rc = kv_import_room(im, n, eb);
    if (rc != 0)
        return rc;
    size_t before = im->out->len;
    rc = buf_append_u8(im->out, KV_IMPORT_ROW);
    rc |= buf_append_uvarint(im->out, key_len);
    rc |= buf_append(im->out, key, key_len);
    rc |= buf_append_uvarint(im->out, version);
    rc |= buf_append_uvarint(im->out, value_len);
    rc |= buf_append(im->out, value, value_len);
    ASSERT(rc == 0 && im->out->len - before == n);
    im->n_rows++;
    kv_import_counted(im);
    return 0;
}

int kv_import_delete(struct kv_import *im, const void *key, size_t key_len, struct errbuf *eb)
{
    int rc = kv_check_import_key(key_len, eb);
    if (rc != 0)
        return rc;
    size_t n = 1 + codec_uvarint_len(key_len) + key_len;
    rc = kv_import_room(im, n, eb);
    if (rc != 0)
        return rc;
    rc = buf_append_u8(im->out, KV_IMPORT_DELETE);
    rc |= buf_append_uvarint(im->out, key_len);
    rc |= buf_append(im->out, key, key_len);
    ASSERT(rc == 0);
    im->n_deletes++;
    kv_import_counted(im);
    return 0;
}

/* Reads one import item; a failure is left in r->err (ERR_MALFORMED for a
 * length or version out of bounds, checked before the bytes are taken). */
static void kv_read_import_item(struct codec_reader *r, struct kv_import_item *it)
{
    *it = (struct kv_import_item){.type = codec_read_u8(r)};
    if (r->err == 0 && it->type != KV_IMPORT_ROW && it->type != KV_IMPORT_DELETE)
        r->err = ERR_MALFORMED;
    uint64_t key_len = codec_read_uvarint(r);
    if (r->err == 0 && (key_len < KV_KEY_BYTES_MIN || key_len > KV_KEY_BYTES_MAX))
        r->err = ERR_MALFORMED;
    it->key_len = r->err == 0 ? (size_t)key_len : 0;
    it->key = codec_read_bytes(r, it->key_len);
    if (it->type != KV_IMPORT_ROW || r->err != 0)
        return;
    it->version = codec_read_uvarint(r);
    if (r->err == 0 && (it->version == 0 || it->version > KV_VERSION_MAX))
        r->err = ERR_MALFORMED;
    uint64_t value_len = codec_read_uvarint(r);
    if (r->err == 0 && value_len > KV_VALUE_BYTES_MAX)
        r->err = ERR_MALFORMED;
    it->value_len = r->err == 0 ? (size_t)value_len : 0;
    it->value = codec_read_bytes(r, it->value_len);
}

void kv_import_iter_init(struct kv_import_iter *it, const struct kv_cmd *cmd)
{
    ASSERT(cmd->kind == KV_CMD_BUCKET_IMPORT);
    *it = (struct kv_import_iter){.p = cmd->items, .len = cmd->items_len};
}

bool kv_import_iter_next(struct kv_import_iter *it, struct kv_import_item *item)
{
    if (it->off == it->len)
        return false;
    struct codec_reader r;
    codec_reader_init(&r, it->p + it->off, it->len - it->off);
    kv_read_import_item(&r, item);
    ASSERT(r.err == 0); /* kv_decode checked every item */
    it->off += r.off;
    return true;
}

/* The rest of a bucket command after its kind byte. */
static int kv_decode_bucket_cmd(struct codec_reader *r, struct kv_cmd *cmd, struct errbuf *eb)
{
    if (cmd->kind == KV_CMD_BUCKET_OWN) {
        uint64_t n = codec_read_uvarint(r);
        if (r->err == 0 && (n > KV_BUCKET_OWN_MAX || n * 4 > r->len - r->off))
            return err_set(eb, ERR_CORRUPT, "kv BUCKET_OWN of %llu buckets in %zu bytes",
                           (unsigned long long)n, r->len - r->off);
        if (r->err != 0)
            return 0;
        cmd->n_buckets = (uint32_t)n;
        cmd->buckets = codec_read_bytes(r, 4 * (size_t)n);
        for (uint32_t i = 0; i < cmd->n_buckets; i++) {
            if (kv_cmd_own_bucket(cmd, i) >= STORE_BUCKET_COUNT_MAX)
                return err_set(eb, ERR_CORRUPT, "kv BUCKET_OWN names bucket %u",
                               kv_cmd_own_bucket(cmd, i));
        }
        return 0;
    }
    cmd->bucket = codec_read_u32(r);
    if (r->err == 0 && cmd->bucket >= STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_CORRUPT, "kv bucket command names bucket %u", cmd->bucket);
    if (cmd->kind != KV_CMD_BUCKET_IMPORT)
        return 0;
    uint32_t n_items = codec_read_u32(r);
    cmd->floor = codec_read_uvarint(r);
    if (r->err != 0)
        return 0;
    if (cmd->floor > KV_VERSION_MAX)
        return err_set(eb, ERR_CORRUPT, "kv import floor %llu is past the version limit",
                       (unsigned long long)cmd->floor);
    /* Each item takes at least 3 bytes: a count past that is a lie, and the
     * loop below is bounded by the command's length. */
    if (n_items > (r->len - r->off) / 3)
        return err_set(eb, ERR_CORRUPT, "kv import of %u items in %zu bytes", n_items,
                       r->len - r->off);
    cmd->items = r->p + r->off;
    for (uint32_t i = 0; i < n_items; i++) {
        struct kv_import_item it;
        kv_read_import_item(r, &it);
        if (r->err != 0)
            return err_set(eb, ERR_CORRUPT, "kv import item %u is %s", i,
                           r->err == ERR_NEEDMORE ? "truncated" : "malformed");
        if (it.type == KV_IMPORT_ROW)
            cmd->n_rows++;
        else
            cmd->n_deletes++;
    }
    cmd->items_len = (size_t)(r->p + r->off - cmd->items);
    return 0;
}

int kv_decode(const uint8_t *p, size_t len, struct kv_cmd *cmd, struct errbuf *eb)
{
    if (len > KV_CMD_BYTES_MAX)
        return err_set(eb, ERR_CORRUPT, "kv command is %zu bytes, the limit is %d", len,
                       KV_CMD_BYTES_MAX);
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    uint8_t model = codec_read_u8(&r);
    if (r.err == 0 && model != STORE_MODEL_KV)
        return err_set(eb, ERR_CORRUPT, "not a kv command (model %u)", model);
    cmd->kind = codec_read_u8(&r);
    cmd->n_ops = 0;
    cmd->bucket = 0;
    cmd->n_buckets = 0;
    cmd->buckets = NULL;
    cmd->floor = 0;
    cmd->n_rows = 0;
    cmd->n_deletes = 0;
    cmd->items = NULL;
    cmd->items_len = 0;
    if (r.err != 0)
        return err_set(eb, ERR_CORRUPT, "kv command is truncated (%zu bytes)", len);
    switch (cmd->kind) {
    case KV_CMD_PUT:
    case KV_CMD_DELETE:
        cmd->n_ops = 1;
        cmd->ops[0].type = cmd->kind == KV_CMD_PUT ? KV_OP_PUT : KV_OP_DELETE;
        kv_read_op(&r, &cmd->ops[0]);
        break;
    case KV_CMD_BATCH: {
        uint64_t n = codec_read_uvarint(&r);
        if (r.err == 0 && (n == 0 || n > KV_BATCH_OPS_MAX))
            return err_set(eb, ERR_CORRUPT, "kv batch has %llu ops", (unsigned long long)n);
        for (uint32_t i = 0; i < n && r.err == 0; i++) {
            cmd->ops[i].type = codec_read_u8(&r);
            if (r.err == 0 && cmd->ops[i].type != KV_OP_PUT && cmd->ops[i].type != KV_OP_DELETE)
                return err_set(eb, ERR_CORRUPT, "kv batch op %u has unknown type %u", i,
                               cmd->ops[i].type);
            kv_read_op(&r, &cmd->ops[i]);
            cmd->n_ops = i + 1;
        }
        break;
    }
    case KV_CMD_BUCKET_OWN:
    case KV_CMD_BUCKET_RECEIVE:
    case KV_CMD_BUCKET_IMPORT:
    case KV_CMD_BUCKET_FENCE:
    case KV_CMD_BUCKET_UNFENCE:
    case KV_CMD_BUCKET_DROP: {
        int rc = kv_decode_bucket_cmd(&r, cmd, eb);
        if (rc != 0)
            return rc;
        break;
    }
    default:
        return err_set(eb, ERR_UNSUPPORTED, "unknown kv command kind %u", cmd->kind);
    }
    if (r.err != 0)
        return err_set(eb, ERR_CORRUPT, "kv command is %s at byte %zu",
                       r.err == ERR_NEEDMORE ? "truncated" : "malformed", r.off);
    if (r.off != len)
        return err_set(eb, ERR_CORRUPT, "kv command has %zu trailing bytes", len - r.off);
    for (uint32_t i = 0; i < cmd->n_ops; i++) {
        int rc = kv_check_op(&cmd->ops[i], i, ERR_CORRUPT, ERR_CORRUPT, eb);
        if (rc != 0)
            return rc;
    }
    return kv_check_unique(cmd->ops, cmd->n_ops, ERR_CORRUPT, eb);
}
