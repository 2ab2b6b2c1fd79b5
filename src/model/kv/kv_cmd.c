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
