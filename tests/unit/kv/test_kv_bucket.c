/* Unit tests for the kv model's side of bucket moves: the bucket commands'
 * codec, ownership enforcement (and the unsharded mode), the state machine,
 * imports and the version shift, a whole move between two stores while writes
 * go on, and snapshots carrying the ownership table. */
#include "test.h"

#include <stdbool.h>

#include "base/buf.h"
#include "base/codec.h"
#include "base/err.h"
#include "base/rng.h"
#include "kv_fx.h"
#include "model/kv/kv.h"
#include "store/store.h"

/* ---- helpers ---- */

static int fx_own(struct fx *f, const uint32_t *buckets, uint32_t n, struct store_result *res)
{
    int rc = kv_encode_bucket_own(&f->cmd, buckets, n, NULL);
    return rc ? rc : fx_apply(f, res);
}

/* Applies one single-bucket command (kind RECEIVE, FENCE, UNFENCE, DROP). */
static int fx_bucket(struct fx *f, uint8_t kind, uint32_t bucket, struct store_result *res)
{
    int rc;
    switch (kind) {
    case KV_CMD_BUCKET_RECEIVE:
        rc = kv_encode_bucket_receive(&f->cmd, bucket, NULL);
        break;
    case KV_CMD_BUCKET_FENCE:
        rc = kv_encode_bucket_fence(&f->cmd, bucket, NULL);
        break;
    case KV_CMD_BUCKET_UNFENCE:
        rc = kv_encode_bucket_unfence(&f->cmd, bucket, NULL);
        break;
    case KV_CMD_BUCKET_DROP:
        rc = kv_encode_bucket_drop(&f->cmd, bucket, NULL);
        break;
    case KV_CMD_BUCKET_IMPORT: { /* an empty import */
        struct kv_import im;
        rc = kv_import_begin(&im, &f->cmd, bucket, 0, NULL);
        break;
    }
    default:
        return -1;
    }
    return rc ? rc : fx_apply(f, res);
}

static uint8_t state_of(struct fx *f, uint32_t bucket)
{
    uint8_t st = 99;
    if (kv_bucket_state(f->s, bucket, &st, NULL) != 0)
        return 98;
    return st;
}

/* Writes into key the n-th key (by a counter from *seq) whose bucket is
 * bucket, with prefix; returns its length. */
static size_t key_in(char *key, size_t cap, const char *prefix, uint32_t bucket, uint32_t count,
                     uint32_t *seq)
{
    for (;;) {
        int n = snprintf(key, cap, "%s%u", prefix, (*seq)++);
        if (kv_bucket(key, (size_t)n, count) == bucket)
            return (size_t)n;
    }
}

/* A bucket's rows as the mover sees them, canonically. */
static int dump_bucket(struct store *s, uint32_t bucket, struct buf *out)
{
    buf_reset(out);
    bool more;
    int rc = kv_bucket_scan(s, bucket, NULL, 0, KV_LIST_LIMIT_MAX, 0, dump_item, out, &more, NULL);
    return rc != 0 ? rc : more ? -1 : 0;
}

/* The whole store: rows, bucket states, sharded flag and version floor. */
static int dump_state_item(void *ctx, uint32_t bucket, uint8_t state)
{
    struct buf *b = ctx;
    buf_append_u32(b, bucket);
    buf_append_u8(b, state);
    return 0;
}

static int dump_all(struct store *s, struct buf *out)
{
    int rc = dump(s, out);
    if (rc != 0)
        return rc;
    buf_append_u8(out, 0xee);
    rc = kv_buckets_owned(s, dump_state_item, out, NULL);
    bool sharded;
    uint64_t floor;
    if (rc == 0)
        rc = kv_sharded(s, &sharded, NULL);
    if (rc == 0)
        rc = kv_version_floor(s, &floor, NULL);
    if (rc != 0)
        return rc;
    buf_append_u8(out, sharded);
    /* The floor includes the applied index, which every command moves: keep
     * only the shift part so that dumps compare across commands. */
    buf_append_u64(out, floor - store_applied_index(s));
    return 0;
}

/* ---- codec ---- */

TEST(bucket_commands_round_trip)
{
    struct buf b = BUF_INIT;
    struct kv_cmd *cmd = malloc(sizeof *cmd);
    CHECK(cmd != NULL);
    uint32_t own[3] = {0, 7, STORE_BUCKET_COUNT_MAX - 1};
    CHECK_EQ(kv_encode_bucket_own(&b, own, 3, NULL), 0);
    CHECK_EQ(b.len, 2 + 1 + 12);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0);
    CHECK_EQ(cmd->kind, KV_CMD_BUCKET_OWN);
    CHECK_EQ(cmd->n_ops, 0);
    CHECK_EQ(cmd->n_buckets, 3);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_EQ(kv_cmd_own_bucket(cmd, i), own[i]);

    /* No bucket at all is a command too (sharded, owning nothing). */
    buf_reset(&b);
    CHECK_EQ(kv_encode_bucket_own(&b, NULL, 0, NULL), 0);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0);
    CHECK_EQ(cmd->n_buckets, 0);

    const uint8_t kinds[4] = {KV_CMD_BUCKET_RECEIVE, KV_CMD_BUCKET_FENCE, KV_CMD_BUCKET_UNFENCE,
                              KV_CMD_BUCKET_DROP};
    for (int i = 0; i < 4; i++) {
        buf_reset(&b);
        uint32_t bucket = 1000u * (uint32_t)i + 3;
        switch (kinds[i]) {
        case KV_CMD_BUCKET_RECEIVE:
            CHECK_EQ(kv_encode_bucket_receive(&b, bucket, NULL), 0);
            break;
        case KV_CMD_BUCKET_FENCE:
            CHECK_EQ(kv_encode_bucket_fence(&b, bucket, NULL), 0);
            break;
        case KV_CMD_BUCKET_UNFENCE:
            CHECK_EQ(kv_encode_bucket_unfence(&b, bucket, NULL), 0);
            break;
        default:
            CHECK_EQ(kv_encode_bucket_drop(&b, bucket, NULL), 0);
        }
        CHECK_EQ(b.len, 6);
        CHECK_EQ(b.data[0], STORE_MODEL_KV);
        CHECK_EQ(b.data[1], kinds[i]);
        CHECK_EQ(codec_get_u32(b.data + 2), bucket);
        CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0);
        CHECK_EQ(cmd->kind, kinds[i]);
        CHECK_EQ(cmd->bucket, bucket);
    }

    /* An import: rows and deletes come back in order, with their versions. */
    buf_reset(&b);
    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &b, 42, 12345, NULL), 0);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0); /* an empty import is whole */
    CHECK_EQ(cmd->n_rows + cmd->n_deletes, 0);
    CHECK_EQ(kv_import_row(&im, "a", 1, "va", 2, 7, NULL), 0);
    CHECK_EQ(kv_import_delete(&im, "gone", 4, NULL), 0);
    CHECK_EQ(kv_import_row(&im, "b\0c", 3, "", 0, KV_VERSION_MAX, NULL), 0);
    CHECK_EQ(im.n_rows, 2);
    CHECK_EQ(im.n_deletes, 1);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0);
    CHECK_EQ(cmd->kind, KV_CMD_BUCKET_IMPORT);
    CHECK_EQ(cmd->bucket, 42);
    CHECK_EQ(cmd->floor, 12345);
    CHECK_EQ(cmd->n_rows, 2);
    CHECK_EQ(cmd->n_deletes, 1);
    struct kv_import_iter it;
    struct kv_import_item item;
    kv_import_iter_init(&it, cmd);
    CHECK(kv_import_iter_next(&it, &item));
    CHECK(item.type == KV_IMPORT_ROW && item.key_len == 1 && item.key[0] == 'a');
    CHECK(item.value_len == 2 && memcmp(item.value, "va", 2) == 0 && item.version == 7);
    CHECK(kv_import_iter_next(&it, &item));
    CHECK(item.type == KV_IMPORT_DELETE && item.key_len == 4 && memcmp(item.key, "gone", 4) == 0);
    CHECK(kv_import_iter_next(&it, &item));
    CHECK(item.type == KV_IMPORT_ROW && item.key_len == 3 && memcmp(item.key, "b\0c", 3) == 0);
    CHECK(item.value_len == 0 && item.version == KV_VERSION_MAX);
    CHECK(!kv_import_iter_next(&it, &item));
    buf_free(&b);
    free(cmd);
}

TEST(bucket_encoders_refuse_bad_input_and_leave_output_alone)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "xyz", 3);
    struct errbuf eb;
    uint32_t bad[2] = {1, STORE_BUCKET_COUNT_MAX};
    CHECK_EQ(kv_encode_bucket_own(&b, bad, 2, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_bucket_own(&b, bad, KV_BUCKET_OWN_MAX + 1, &eb), ERR_TOOBIG);
    CHECK_EQ(kv_encode_bucket_receive(&b, STORE_BUCKET_COUNT_MAX, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_bucket_fence(&b, STORE_BUCKET_COUNT_MAX, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_bucket_unfence(&b, STORE_BUCKET_COUNT_MAX, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_bucket_drop(&b, UINT32_MAX, &eb), ERR_INVAL);
    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &b, STORE_BUCKET_COUNT_MAX, 0, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_begin(&im, &b, 0, KV_VERSION_MAX + 1, &eb), ERR_INVAL);
    CHECK_EQ(b.len, 3);

    CHECK_EQ(kv_import_begin(&im, &b, 0, 0, &eb), 0);
    size_t len = b.len;
    static uint8_t key[KV_KEY_BYTES_MAX + 1];
    CHECK_EQ(kv_import_row(&im, key, 0, "v", 1, 1, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_row(&im, key, KV_KEY_BYTES_MAX + 1, "v", 1, 1, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_row(&im, key, 1, "v", 1, 0, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_row(&im, key, 1, "v", 1, KV_VERSION_MAX + 1, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_row(&im, key, 1, key, KV_VALUE_BYTES_MAX + 1, 1, &eb), ERR_INVAL);
    CHECK_EQ(kv_import_delete(&im, key, 0, &eb), ERR_INVAL);
    CHECK_EQ(b.len, len);
    CHECK_EQ(im.n_rows + im.n_deletes, 0);

    /* Every bucket of the largest cluster fits in one BUCKET_OWN. */
    uint32_t *all = malloc(sizeof *all * KV_BUCKET_OWN_MAX);
    CHECK(all != NULL);
    for (uint32_t i = 0; i < KV_BUCKET_OWN_MAX; i++)
        all[i] = KV_BUCKET_OWN_MAX - 1 - i;
    buf_reset(&b);
    CHECK_EQ(kv_encode_bucket_own(&b, all, KV_BUCKET_OWN_MAX, &eb), 0);
    CHECK(b.len <= KV_CMD_BYTES_MAX);
    struct kv_cmd *cmd = malloc(sizeof *cmd);
    CHECK(cmd != NULL);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, &eb), 0);
    CHECK_EQ(cmd->n_buckets, KV_BUCKET_OWN_MAX);
    CHECK_EQ(kv_cmd_own_bucket(cmd, 0), KV_BUCKET_OWN_MAX - 1);
    CHECK_EQ(kv_cmd_own_bucket(cmd, KV_BUCKET_OWN_MAX - 1), 0);
    free(all);
    free(cmd);
    buf_free(&b);
}

TEST(import_builder_fills_commands_up_to_the_limit)
{
    struct buf b = BUF_INIT;
    static uint8_t value[KV_VALUE_BYTES_MAX];
    memset(value, 'v', sizeof value);
    struct kv_import im;
    struct errbuf eb;
    CHECK_EQ(kv_import_begin(&im, &b, 3, 0, &eb), 0);
    /* Maximal rows until the command is full; the refused one leaves the
     * command whole, and goes into the next one. */
    uint32_t rows = 0;
    char key[16];
    int rc;
    for (;;) {
        int n = snprintf(key, sizeof key, "r%u", rows);
        size_t before = b.len;
        rc = kv_import_row(&im, key, (size_t)n, value, sizeof value, rows + 1, &eb);
        if (rc != 0) {
            CHECK_EQ(b.len, before);
            break;
        }
        rows++;
        CHECK(rows < 10);
    }
    CHECK_EQ(rc, ERR_TOOBIG);
    CHECK(rows >= 3);
    CHECK(b.len <= KV_CMD_BYTES_MAX);
    /* Small deletes still fit in the room left. */
    CHECK_EQ(kv_import_delete(&im, "d", 1, &eb), 0);
    struct kv_cmd *cmd = malloc(sizeof *cmd);
    CHECK(cmd != NULL);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, &eb), 0);
    CHECK_EQ(cmd->n_rows, rows);
    CHECK_EQ(cmd->n_deletes, 1);
    /* The refused row fits in a fresh import, appended after the first. */
    size_t first = b.len;
    CHECK_EQ(kv_import_begin(&im, &b, 3, 0, &eb), 0);
    CHECK_EQ(kv_import_row(&im, key, strlen(key), value, sizeof value, 99, &eb), 0);
    CHECK_EQ(kv_decode(b.data + first, b.len - first, cmd, &eb), 0);
    CHECK_EQ(cmd->n_rows, 1);
    free(cmd);
    buf_free(&b);
}

TEST(bucket_decoder_rejects_truncations_and_forgeries)
{
    struct kv_cmd *cmd = malloc(sizeof *cmd);
    CHECK(cmd != NULL);
    struct buf b = BUF_INIT;
    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &b, 9, 500, NULL), 0);
    CHECK_EQ(kv_import_row(&im, "key", 3, "value", 5, 300, NULL), 0);
    CHECK_EQ(kv_import_delete(&im, "old", 3, NULL), 0);
    CHECK_EQ(kv_import_row(&im, "k2", 2, "", 0, 301, NULL), 0);
    /* Every cut, also at an item boundary, is caught. */
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ(kv_decode(b.data, n, cmd, NULL), ERR_CORRUPT);
    buf_append_u8(&b, 0);
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), ERR_CORRUPT);
    b.len--;
    CHECK_EQ(kv_decode(b.data, b.len, cmd, NULL), 0);

    buf_reset(&b);
    uint32_t own[2] = {1, 2};
    CHECK_EQ(kv_encode_bucket_own(&b, own, 2, NULL), 0);
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ(kv_decode(b.data, n, cmd, NULL), ERR_CORRUPT);

    /* Hand-made commands the encoders would never write. */
    uint8_t big_bucket[] = {STORE_MODEL_KV, KV_CMD_BUCKET_FENCE, 0x40, 0x42, 0x0f, 0x00}; /* 1e6 */
    CHECK_EQ(kv_decode(big_bucket, sizeof big_bucket, cmd, NULL), ERR_CORRUPT);
    big_bucket[2] = 0x3f; /* 999999 */
    CHECK_EQ(kv_decode(big_bucket, sizeof big_bucket, cmd, NULL), 0);
    uint8_t own_big[] = {STORE_MODEL_KV, KV_CMD_BUCKET_OWN, 1, 0x40, 0x42, 0x0f, 0x00};
    CHECK_EQ(kv_decode(own_big, sizeof own_big, cmd, NULL), ERR_CORRUPT);
    uint8_t own_lie[] = {STORE_MODEL_KV, KV_CMD_BUCKET_OWN, 0xff, 0xff, 0x03, 1, 0, 0, 0};
    CHECK_EQ(kv_decode(own_lie, sizeof own_lie, cmd, NULL), ERR_CORRUPT);
    /* import header: bucket 1, 1 item, floor 0; then the item */
    uint8_t v0[] = {STORE_MODEL_KV,
                    KV_CMD_BUCKET_IMPORT,
                    1,
                    0,
                    0,
                    0,
                    1,
                    0,
                    0,
                    0,
                    0,
                    KV_IMPORT_ROW,
                    1,
                    'a',
                    0,
                    0};
    CHECK_EQ(kv_decode(v0, sizeof v0, cmd, NULL), ERR_CORRUPT); /* version 0 */
    v0[14] = 1;
    CHECK_EQ(kv_decode(v0, sizeof v0, cmd, NULL), 0);
    v0[11] = 3; /* unknown item type */
    CHECK_EQ(kv_decode(v0, sizeof v0, cmd, NULL), ERR_CORRUPT);
    v0[11] = KV_IMPORT_ROW;
    v0[12] = 0; /* empty key */
    CHECK_EQ(kv_decode(v0, sizeof v0, cmd, NULL), ERR_CORRUPT);
    uint8_t many[] = {STORE_MODEL_KV,
                      KV_CMD_BUCKET_IMPORT,
                      1,
                      0,
                      0,
                      0,
                      0xff,
                      0xff,
                      0xff,
                      0xff,
                      0,
                      KV_IMPORT_DELETE,
                      1,
                      'a'};
    CHECK_EQ(kv_decode(many, sizeof many, cmd, NULL), ERR_CORRUPT);
    /* floor 2^62 + 1 */
    uint8_t floor_big[] = {STORE_MODEL_KV,
                           KV_CMD_BUCKET_IMPORT,
                           1,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0,
                           0x81,
                           0x80,
                           0x80,
                           0x80,
                           0x80,
                           0x80,
                           0x80,
                           0x80,
                           0x40};
    CHECK_EQ(kv_decode(floor_big, sizeof floor_big, cmd, NULL), ERR_CORRUPT);
    floor_big[10] = 0x80; /* exactly 2^62 */
    CHECK_EQ(kv_decode(floor_big, sizeof floor_big, cmd, NULL), 0);
    CHECK_EQ(cmd->floor, KV_VERSION_MAX);
    buf_free(&b);
    free(cmd);
}

/* ---- ownership ---- */

TEST(unsharded_store_owns_everything_and_refuses_moves)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 4), 0);
    struct store_result res;
    bool sharded = true;
    CHECK_EQ(kv_sharded(f.s, &sharded, NULL), 0);
    CHECK(!sharded);
    char key[16];
    for (uint32_t b = 0, seq = 0; b < 4; b++) {
        key_in(key, sizeof key, "u", b, 4, &seq);
        CHECK_EQ(fx_put(&f, key, "v", NULL, &res), 0);
        CHECK_EQ(res.status, 0);
        CHECK_EQ(res.version, f.index); /* no import: the version is the index */
        CHECK_EQ(state_of(&f, b), KV_BUCKET_NONE);
    }
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump_all(f.s, &before), 0);
    /* Moving a bucket out of (or into) a store that owns all implicitly would
     * lose or clobber its rows: refused until a BUCKET_OWN. */
    const uint8_t kinds[5] = {KV_CMD_BUCKET_RECEIVE, KV_CMD_BUCKET_IMPORT, KV_CMD_BUCKET_FENCE,
                              KV_CMD_BUCKET_UNFENCE, KV_CMD_BUCKET_DROP};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(fx_bucket(&f, kinds[i], 1, &res), 0);
        CHECK_EQ(res.status, ERR_STALE);
        CHECK_EQ(res.current_version, 1);
    }
    /* A bucket past the store's count is a range error, even for BUCKET_OWN,
     * which then does not make the store sharded. */
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_FENCE, 4, &res), 0);
    CHECK_EQ(res.status, ERR_RANGE);
    uint32_t own[3] = {0, 1, 4};
    CHECK_EQ(fx_own(&f, own, 3, &res), 0);
    CHECK_EQ(res.status, ERR_RANGE);
    CHECK_EQ(res.failed_op, 2);
    CHECK_EQ(res.current_version, 4);
    CHECK_EQ(dump_all(f.s, &after), 0);
    CHECK(buf_same(&before, &after));
    CHECK_EQ(kv_sharded(f.s, &sharded, NULL), 0);
    CHECK(!sharded);
    CHECK_EQ(fx_put(&f, "again", "v", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

TEST(sharded_store_applies_client_writes_only_to_owned_buckets)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 4), 0);
    struct store_result res;
    char k0[16], k1[16], k1b[16], k3[16];
    uint32_t seq = 0;
    key_in(k0, sizeof k0, "k", 0, 4, &seq);
    key_in(k1, sizeof k1, "k", 1, 4, &seq);
    key_in(k1b, sizeof k1b, "k", 1, 4, &seq);
    key_in(k3, sizeof k3, "k", 3, 4, &seq);
    CHECK_EQ(fx_put(&f, k1, "before", NULL, &res), 0); /* written while unsharded */
    uint64_t v1 = res.version;

    uint32_t own[2] = {0, 3};
    CHECK_EQ(fx_own(&f, own, 2, &res), 0);
    CHECK_EQ(res.status, 0);
    bool sharded;
    CHECK_EQ(kv_sharded(f.s, &sharded, NULL), 0);
    CHECK(sharded);
    CHECK_EQ(state_of(&f, 0), KV_BUCKET_OWNED);
    CHECK_EQ(state_of(&f, 1), KV_BUCKET_NONE);

    CHECK_EQ(fx_put(&f, k0, "v", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, f.index);
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump_all(f.s, &before), 0);

    /* Not ours: refused with the op and the bucket, nothing changes. */
    CHECK_EQ(fx_put(&f, k1, "after", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.failed_op, 0);
    CHECK_EQ(res.current_version, 1);
    CHECK_EQ(res.version, 0);
    CHECK_EQ(fx_del(&f, k1, NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    /* A batch is refused whole, at its first foreign key, before conditions
     * are looked at (the third op's would fail too). */
    struct kv_op ops[4] = {
        {.type = KV_OP_PUT, .key = (const uint8_t *)k0, .key_len = strlen(k0), .value_len = 0},
        {.type = KV_OP_DELETE, .key = (const uint8_t *)k3, .key_len = strlen(k3)},
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"zz",
         .key_len = 2,
         .cond = {KV_COND_VERSION, 12345}},
        {.type = KV_OP_DELETE, .key = (const uint8_t *)k1b, .key_len = strlen(k1b)},
    };
    ops[0].value = (const uint8_t *)"";
    ops[2].value = (const uint8_t *)"";
    uint32_t bz = kv_bucket("zz", 2, 4);
    uint32_t want_op = (bz == 0 || bz == 3) ? 3 : 2;
    CHECK_EQ(kv_encode_batch(&f.cmd, ops, 4, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.failed_op, want_op);
    CHECK_EQ(res.current_version, want_op == 3 ? 1 : bz);
    CHECK_EQ(dump_all(f.s, &after), 0);
    CHECK(buf_same(&before, &after));
    /* The refused commands still advanced the applied index. */
    CHECK_EQ(store_applied_index(f.s), f.index);
    /* Rows of a bucket not owned stay readable (the router decides). */
    uint64_t ver;
    CHECK_EQ(kv_get(f.s, k1, strlen(k1), NULL, &ver, NULL), 0);
    CHECK_EQ(ver, v1);

    /* Owned buckets only: the batch goes through, one version for all. */
    ops[2].cond.type = KV_COND_NONE;
    uint32_t n_ok = want_op == 3 ? 3 : 2;
    CHECK_EQ(kv_encode_batch(&f.cmd, ops, n_ok, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, f.index);
    CHECK_EQ(kv_get(f.s, k0, strlen(k0), NULL, &ver, NULL), 0);
    CHECK_EQ(ver, f.index);

    /* Fenced: no writes, reads work; unfenced: writes again. */
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_FENCE, 0, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(fx_put(&f, k0, "x", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.current_version, 0);
    CHECK_EQ(kv_get(f.s, k0, strlen(k0), NULL, &ver, NULL), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_UNFENCE, 0, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(fx_put(&f, k0, "x", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    /* Receiving: no client writes either. */
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_RECEIVE, 2, &res), 0);
    CHECK_EQ(res.status, 0);
    char k2[16];
    key_in(k2, sizeof k2, "k", 2, 4, &seq);
    CHECK_EQ(fx_put(&f, k2, "x", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.current_version, 2);

    /* Sharded for good: with every bucket gone, nothing is owned. */
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_DROP, 2, &res), 0);
    for (uint32_t b = 0; b < 4; b += 3) {
        CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_FENCE, b, &res), 0);
        CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_DROP, b, &res), 0);
        CHECK_EQ(res.status, 0);
    }
    uint64_t n;
    CHECK_EQ(kv_count(f.s, NULL, 0, &n, NULL), 0);
    CHECK_EQ(n, 1); /* k1, from before sharding, in bucket 1 which was never ours */
    CHECK_EQ(kv_sharded(f.s, &sharded, NULL), 0);
    CHECK(sharded);
    CHECK_EQ(fx_put(&f, k0, "x", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    /* DROP also cleans rows of a bucket that has no state. */
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_DROP, 1, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.existed, 0);
    CHECK_EQ(kv_count(f.s, NULL, 0, &n, NULL), 0);
    CHECK_EQ(n, 0);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

/* ---- the state machine ---- */

/* Puts bucket 1 of a sharded store in state st, with one row in it unless
 * the state is NONE. */
static int setup_state(struct fx *f, uint8_t st, const char *key)
{
    struct store_result res;
    int rc = fx_own(f, NULL, 0, &res);
    uint32_t one = 1;
    switch (st) {
    case KV_BUCKET_NONE:
        break;
    case KV_BUCKET_OWNED:
    case KV_BUCKET_FENCED:
        rc = rc ? rc : fx_own(f, &one, 1, &res);
        rc = rc ? rc : fx_put(f, key, "row", NULL, &res);
        if (st == KV_BUCKET_FENCED)
            rc = rc ? rc : fx_bucket(f, KV_CMD_BUCKET_FENCE, 1, &res);
        break;
    case KV_BUCKET_RECEIVING: {
        rc = rc ? rc : fx_bucket(f, KV_CMD_BUCKET_RECEIVE, 1, &res);
        struct kv_import im;
        rc = rc ? rc : kv_import_begin(&im, &f->cmd, 1, 0, NULL);
        rc = rc ? rc : kv_import_row(&im, key, strlen(key), "row", 3, 5, NULL);
        rc = rc ? rc : fx_apply(f, &res);
        break;
    }
    }
    if (rc == 0 && (res.status != 0 || state_of(f, 1) != st))
        rc = -1;
    return rc;
}

TEST(each_bucket_command_from_each_state)
{
    /* expected[command][state]: the state after, or 0xff for refused. */
    enum { REFUSED = 0xff };
    const uint8_t kinds[5] = {KV_CMD_BUCKET_RECEIVE, KV_CMD_BUCKET_IMPORT, KV_CMD_BUCKET_FENCE,
                              KV_CMD_BUCKET_UNFENCE, KV_CMD_BUCKET_DROP};
    /* states in enum order: NONE, OWNED, RECEIVING, FENCED */
    const uint8_t expected[5][4] = {
        {KV_BUCKET_RECEIVING, REFUSED, KV_BUCKET_RECEIVING, REFUSED},
        {REFUSED, REFUSED, KV_BUCKET_RECEIVING, REFUSED},
        {REFUSED, KV_BUCKET_FENCED, REFUSED, KV_BUCKET_FENCED},
        {REFUSED, KV_BUCKET_OWNED, REFUSED, KV_BUCKET_OWNED},
        {KV_BUCKET_NONE, REFUSED, KV_BUCKET_NONE, KV_BUCKET_NONE},
    };
    char key[16];
    uint32_t seq = 0;
    key_in(key, sizeof key, "s", 1, 4, &seq);
    struct buf before = BUF_INIT, after = BUF_INIT, again = BUF_INIT;
    for (int c = 0; c < 5; c++) {
        for (uint8_t st = 0; st < 4; st++) {
            struct fx f;
            CHECK_EQ(fx_open_buckets(&f, 4), 0);
            CHECK_EQ(setup_state(&f, st, key), 0);
            CHECK_EQ(dump_all(f.s, &before), 0);
            uint64_t rows_before;
            CHECK_EQ(kv_bucket_count_rows(f.s, 1, &rows_before, NULL), 0);
            struct store_result res;
            CHECK_EQ(fx_bucket(&f, kinds[c], 1, &res), 0);
            CHECK_EQ(res.existed, st != KV_BUCKET_NONE);
            CHECK_EQ(dump_all(f.s, &after), 0);
            if (expected[c][st] == REFUSED) {
                CHECK_EQ(res.status, ERR_STALE);
                CHECK_EQ(res.current_version, 1);
                CHECK(buf_same(&before, &after));
            } else {
                CHECK_EQ(res.status, 0);
                CHECK_EQ(state_of(&f, 1), expected[c][st]);
                uint64_t rows;
                CHECK_EQ(kv_bucket_count_rows(f.s, 1, &rows, NULL), 0);
                /* RECEIVE starts clean and DROP removes; the rest keep rows. */
                bool clears = kinds[c] == KV_CMD_BUCKET_RECEIVE || kinds[c] == KV_CMD_BUCKET_DROP;
                CHECK_EQ(rows, clears ? 0 : rows_before);
                /* Applied again (a retry), it succeeds and changes nothing. */
                CHECK_EQ(fx_bucket(&f, kinds[c], 1, &res), 0);
                CHECK_EQ(res.status, 0);
                CHECK_EQ(dump_all(f.s, &again), 0);
                CHECK(buf_same(&after, &again));
            }
            fx_close(&f);
        }
    }
    buf_free(&before);
    buf_free(&after);
    buf_free(&again);
}

/* ---- imports and versions ---- */

TEST(import_writes_exact_versions_and_later_versions_exceed_them)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 4), 0);
    struct store_result res;
    CHECK_EQ(fx_own(&f, NULL, 0, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_RECEIVE, 2, &res), 0);
    char a[16], b[16], c[16], other[16];
    uint32_t seq = 0;
    key_in(a, sizeof a, "i", 2, 4, &seq);
    key_in(b, sizeof b, "i", 2, 4, &seq);
    key_in(c, sizeof c, "i", 2, 4, &seq);
    key_in(other, sizeof other, "i", 3, 4, &seq);

    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &f.cmd, 2, 0, NULL), 0);
    CHECK_EQ(kv_import_row(&im, a, strlen(a), "va", 2, 1000, NULL), 0);
    CHECK_EQ(kv_import_row(&im, b, strlen(b), "vb", 2, 5000, NULL), 0);
    CHECK_EQ(kv_import_row(&im, c, strlen(c), "vc", 2, 3, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    uint64_t import_index = f.index;
    uint64_t ver;
    struct buf v = BUF_INIT;
    CHECK_EQ(kv_get(f.s, a, strlen(a), &v, &ver, NULL), 0);
    CHECK(ver == 1000 && v.len == 2 && memcmp(v.data, "va", 2) == 0);
    CHECK_EQ(kv_get(f.s, b, strlen(b), NULL, &ver, NULL), 0);
    CHECK_EQ(ver, 5000);
    CHECK_EQ(kv_get(f.s, c, strlen(c), NULL, &ver, NULL), 0);
    CHECK_EQ(ver, 3);
    uint64_t floor;
    CHECK_EQ(kv_version_floor(f.s, &floor, NULL), 0);
    CHECK_EQ(floor, 5000); /* index + shift, the shift raised to 5000 - import_index */

    /* Deletes, a later row for the same key, and a key of another bucket
     * (refused whole, at that item). */
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump_all(f.s, &before), 0);
    CHECK_EQ(kv_import_begin(&im, &f.cmd, 2, 0, NULL), 0);
    CHECK_EQ(kv_import_delete(&im, a, strlen(a), NULL), 0);
    CHECK_EQ(kv_import_row(&im, other, strlen(other), "x", 1, 7, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, ERR_INVAL);
    CHECK_EQ(res.failed_op, 1);
    CHECK_EQ(dump_all(f.s, &after), 0);
    CHECK(buf_same(&before, &after));

    CHECK_EQ(kv_import_begin(&im, &f.cmd, 2, 0, NULL), 0);
    CHECK_EQ(kv_import_delete(&im, a, strlen(a), NULL), 0);
    CHECK_EQ(kv_import_row(&im, c, strlen(c), "c1", 2, 10, NULL), 0);
    CHECK_EQ(kv_import_row(&im, c, strlen(c), "c2", 2, 11, NULL), 0);
    struct buf saved = BUF_INIT;
    buf_append(&saved, f.cmd.data, f.cmd.len);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(kv_get(f.s, a, strlen(a), NULL, NULL, NULL), ERR_NOTFOUND);
    CHECK_EQ(kv_get(f.s, c, strlen(c), &v, &ver, NULL), 0);
    CHECK(ver == 11 && v.len == 2 && memcmp(v.data, "c2", 2) == 0);
    /* The same import again: the same state (the shift does not move). */
    CHECK_EQ(dump_all(f.s, &before), 0);
    buf_append(&f.cmd, saved.data, saved.len);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(dump_all(f.s, &after), 0);
    CHECK(buf_same(&before, &after));

    /* A floor above every row: it covers keys the source deleted. */
    CHECK_EQ(kv_import_begin(&im, &f.cmd, 2, 9000, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    uint64_t floor_index = f.index;
    CHECK_EQ(kv_version_floor(f.s, &floor, NULL), 0);
    CHECK_EQ(floor, 9000);

    /* Owned now: client writes get index + shift, above every import, and
     * strictly increasing; a re-created key too. */
    uint32_t two = 2;
    CHECK_EQ(fx_own(&f, &two, 1, &res), 0);
    CHECK_EQ(fx_put(&f, a, "new", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, f.index + (9000 - floor_index));
    CHECK(res.version > 9000);
    uint64_t last = res.version;
    CHECK_EQ(fx_noops(&f, 3), 0);
    struct kv_cond cond = {KV_COND_VERSION, 5000};
    CHECK_EQ(fx_put(&f, b, "b2", &cond, &res), 0); /* If-Match on an imported version */
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, last + 4);
    CHECK_EQ(kv_get(f.s, b, strlen(b), NULL, &ver, NULL), 0);
    CHECK_EQ(ver, res.version);
    (void)import_index;
    buf_free(&v);
    buf_free(&saved);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

TEST(an_import_below_the_index_leaves_versions_at_the_index)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 4), 0);
    struct store_result res;
    CHECK_EQ(fx_noops(&f, 100), 0);
    CHECK_EQ(fx_own(&f, NULL, 0, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_RECEIVE, 0, &res), 0);
    char a[16];
    uint32_t seq = 0;
    key_in(a, sizeof a, "j", 0, 4, &seq);
    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &f.cmd, 0, 50, NULL), 0);
    CHECK_EQ(kv_import_row(&im, a, strlen(a), "v", 1, 40, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    uint64_t floor;
    CHECK_EQ(kv_version_floor(f.s, &floor, NULL), 0);
    CHECK_EQ(floor, f.index);
    uint32_t zero = 0;
    CHECK_EQ(fx_own(&f, &zero, 1, &res), 0);
    CHECK_EQ(fx_put(&f, a, "w", NULL, &res), 0);
    CHECK_EQ(res.version, f.index);
    fx_close(&f);
}

/* ---- reads for moves ---- */

TEST(bucket_reads_page_filter_and_check_arguments)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 3), 0);
    struct store_result res;
    /* Keys in scrambled order; bucket 1's keys remembered with versions. */
    char keys[60][16];
    uint64_t versions[60];
    uint32_t n1 = 0;
    for (int i = 0; i < 60; i++) {
        char key[16];
        int n = snprintf(key, sizeof key, "p%02d", (i * 37) % 60);
        CHECK_EQ(fx_put(&f, key, "v", NULL, &res), 0);
        if (kv_bucket(key, (size_t)n, 3) == 1) {
            memcpy(keys[n1], key, (size_t)n + 1);
            versions[n1++] = res.version;
        }
    }
    CHECK(n1 >= 10);
    uint64_t count;
    CHECK_EQ(kv_bucket_count_rows(f.s, 1, &count, NULL), 0);
    CHECK_EQ(count, n1);
    /* Paging by 3 gives every key of the bucket once, in key order. */
    char after[16] = "";
    uint32_t seen = 0;
    bool more = true;
    char prev[16] = "";
    while (more) {
        struct collect c = {0};
        CHECK_EQ(kv_bucket_scan(f.s, 1, after, strlen(after), 3, 0, collect_item, &c, &more, NULL),
                 0);
        CHECK(c.n <= 3);
        for (uint32_t i = 0; i < c.n; i++) {
            char k[32];
            memcpy(k, c.keys[i], c.lens[i]);
            k[c.lens[i]] = '\0';
            CHECK(kv_bucket(k, c.lens[i], 3) == 1);
            CHECK(strcmp(prev, k) < 0);
            CHECK(!c.value_null[i]);
            strcpy(prev, k);
        }
        seen += c.n;
        if (c.n > 0) {
            memcpy(after, c.keys[c.n - 1], c.lens[c.n - 1]);
            after[c.lens[c.n - 1]] = '\0';
        }
        CHECK(seen <= n1);
    }
    CHECK_EQ(seen, n1);
    /* min_version keeps the rows written after it. */
    uint64_t mid = versions[n1 / 2];
    uint32_t newer = 0;
    for (uint32_t i = 0; i < n1; i++)
        newer += versions[i] > mid;
    struct collect c = {0};
    CHECK_EQ(kv_bucket_scan(f.s, 1, NULL, 0, 100, mid, collect_item, &c, &more, NULL), 0);
    CHECK_EQ(c.n, newer);
    for (uint32_t i = 0; i < c.n; i++)
        CHECK(c.versions[i] > mid);
    /* Keys only. */
    memset(&c, 0, sizeof c);
    CHECK_EQ(kv_bucket_keys(f.s, 1, NULL, 0, 100, collect_item, &c, &more, NULL), 0);
    CHECK_EQ(c.n, n1);
    CHECK(!more);
    CHECK(c.value_null[0]);

    struct errbuf eb;
    static uint8_t big[KV_KEY_BYTES_MAX + 1];
    CHECK_EQ(kv_bucket_scan(f.s, 3, NULL, 0, 1, 0, collect_item, &c, NULL, &eb), ERR_INVAL);
    CHECK_EQ(kv_bucket_scan(f.s, 1, NULL, 0, 0, 0, collect_item, &c, NULL, &eb), ERR_INVAL);
    CHECK_EQ(kv_bucket_scan(f.s, 1, NULL, 0, KV_LIST_LIMIT_MAX + 1, 0, collect_item, &c, NULL, &eb),
             ERR_INVAL);
    CHECK_EQ(kv_bucket_keys(f.s, 1, big, sizeof big, 1, collect_item, &c, NULL, &eb), ERR_TOOBIG);
    uint8_t st;
    CHECK_EQ(kv_bucket_state(f.s, 3, &st, &eb), ERR_INVAL);
    CHECK_EQ(kv_bucket_count_rows(f.s, 3, &count, &eb), ERR_INVAL);

    /* The state list, in bucket order, on a reader connection too. */
    uint32_t own[2] = {2, 0};
    CHECK_EQ(fx_own(&f, own, 2, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_FENCE, 2, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_RECEIVE, 1, &res), 0);
    struct store *r;
    CHECK_EQ(store_open_reader(f.s, &r, NULL), 0);
    struct buf list = BUF_INIT;
    CHECK_EQ(kv_buckets_owned(r, dump_state_item, &list, NULL), 0);
    const uint8_t want[] = {0, 0, 0, 0, KV_BUCKET_OWNED, 1, 0, 0, 0, KV_BUCKET_RECEIVING,
                            2, 0, 0, 0, KV_BUCKET_FENCED};
    CHECK(list.len == sizeof want && memcmp(list.data, want, sizeof want) == 0);
    CHECK_EQ(kv_bucket_count_rows(r, 1, &count, NULL), 0);
    CHECK_EQ(count, 0); /* RECEIVE started clean */
    store_close(r);
    buf_free(&list);
    fx_close(&f);
}

/* ---- a whole move ---- */

enum { MOVE_BUCKETS = 4, MOVE_B = 2, MOVE_PAGE = 7, MOVE_KEYS_MAX = 512 };

/* Copies scanned rows into imports to the destination, proposing each import
 * when the next row does not fit. */
struct copier {
    struct fx *dst;
    uint64_t floor;
    struct kv_import im;
    bool open;
    uint32_t imports;
    uint32_t splits; /* rows that did not fit in the import being built */
    uint32_t rows;
    int err;
    char last[KV_KEY_BYTES_MAX];
    size_t last_len;
};

static int copier_flush(struct copier *cp)
{
    if (!cp->open)
        return 0;
    cp->open = false;
    struct store_result res;
    int rc = fx_apply(cp->dst, &res);
    if (rc == 0 && res.status != 0)
        rc = res.status;
    cp->imports++;
    return rc;
}

static int copier_begin(struct copier *cp)
{
    cp->open = true;
    return kv_import_begin(&cp->im, &cp->dst->cmd, MOVE_B, cp->floor, NULL);
}

static int copier_row(void *ctx, const struct kv_item *it)
{
    struct copier *cp = ctx;
    int rc = cp->open ? 0 : copier_begin(cp);
    if (rc == 0)
        rc = kv_import_row(&cp->im, it->key, it->key_len, it->value, it->value_len, it->version,
                           NULL);
    if (rc == ERR_TOOBIG) {
        cp->splits++;
        /* A store connection per fx: applying to the destination while the
         * source's scan is open is fine. */
        rc = copier_flush(cp);
        rc = rc ? rc : copier_begin(cp);
        rc = rc ? rc
                : kv_import_row(&cp->im, it->key, it->key_len, it->value, it->value_len,
                                it->version, NULL);
    }
    memcpy(cp->last, it->key, it->key_len);
    cp->last_len = it->key_len;
    cp->rows++;
    cp->err = rc;
    return rc;
}

/* Every key of a bucket, in order. */
struct keyset {
    uint32_t n;
    char keys[MOVE_KEYS_MAX][24];
    size_t lens[MOVE_KEYS_MAX];
};

static int keyset_add(void *ctx, const struct kv_item *it)
{
    struct keyset *ks = ctx;
    if (ks->n == MOVE_KEYS_MAX || it->key_len >= 24)
        return 99;
    memcpy(ks->keys[ks->n], it->key, it->key_len);
    ks->keys[ks->n][it->key_len] = '\0';
    ks->lens[ks->n++] = it->key_len;
    return 0;
}

static int keyset_read(struct store *s, struct keyset *ks)
{
    ks->n = 0;
    bool more = true;
    while (more) {
        const char *after = ks->n ? ks->keys[ks->n - 1] : NULL;
        size_t after_len = ks->n ? ks->lens[ks->n - 1] : 0;
        int rc = kv_bucket_keys(s, MOVE_B, after, after_len, 5, keyset_add, ks, &more, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* Applies f->cmd and wants it to succeed. */
static int fx_ok(struct fx *f)
{
    struct store_result res;
    int rc = fx_apply(f, &res);
    return rc != 0 ? rc : res.status;
}

/* Writes at the source while the copy goes on: updates, deletes, new keys,
 * re-creations, and writes to other buckets. The first MOVE_BIGS keys of the
 * bucket (the large values) are left alone. */
enum { MOVE_BIGS = 8 };
static int source_writes(struct fx *src, struct keyset *bkeys, uint32_t round, uint32_t *seq)
{
    char key[24], value[32];
    snprintf(value, sizeof value, "round-%u", round);
    uint32_t small = bkeys->n - MOVE_BIGS;
    const char *k = bkeys->keys[MOVE_BIGS + (round * 5) % small];
    const char *d = bkeys->keys[MOVE_BIGS + (round * 11 + 3) % small];
    int rc = kv_encode_put(&src->cmd, k, strlen(k), value, strlen(value), NULL, NULL);
    rc = rc ? rc : fx_ok(src);
    rc = rc ? rc : kv_encode_delete(&src->cmd, d, strlen(d), NULL, NULL);
    rc = rc ? rc : fx_ok(src);
    size_t n = key_in(key, sizeof key, "new", MOVE_B, MOVE_BUCKETS, seq);
    rc = rc ? rc : kv_encode_put(&src->cmd, key, n, value, strlen(value), NULL, NULL);
    rc = rc ? rc : fx_ok(src);
    n = key_in(key, sizeof key, "elsewhere", (round % 2) ? 1 : 3, MOVE_BUCKETS, seq);
    rc = rc ? rc : kv_encode_put(&src->cmd, key, n, value, strlen(value), NULL, NULL);
    rc = rc ? rc : fx_ok(src);
    if (round % 3 == 0) { /* re-created */
        rc = rc ? rc : kv_encode_put(&src->cmd, d, strlen(d), "again", 5, NULL, NULL);
        rc = rc ? rc : fx_ok(src);
    }
    return rc;
}

TEST(a_bucket_moves_between_stores_while_writes_go_on)
{
    static struct fx src, dst;
    static struct keyset bkeys, at_src, at_dst;
    CHECK_EQ(fx_open_buckets(&src, MOVE_BUCKETS), 0);
    CHECK_EQ(fx_open_buckets(&dst, MOVE_BUCKETS), 0);
    struct store_result res;
    uint32_t all[MOVE_BUCKETS] = {0, 1, 2, 3};
    CHECK_EQ(fx_own(&src, all, MOVE_BUCKETS, &res), 0);
    CHECK_EQ(fx_own(&dst, NULL, 0, &res), 0); /* a new replicaset: sharded, owns nothing */

    /* The source's rows: small ones in every bucket, and values large enough
     * that the copy must split into several imports. */
    uint32_t seq = 0;
    char key[24];
    for (int i = 0; i < 200; i++) {
        char value[16];
        snprintf(value, sizeof value, "v%d", i);
        snprintf(key, sizeof key, "key%03d", i);
        CHECK_EQ(fx_put(&src, key, value, NULL, &res), 0);
    }
    static uint8_t big[700 * 1024];
    struct rng g;
    rng_seed(&g, 11);
    for (int i = 0; i < MOVE_BIGS; i++) {
        for (size_t j = 0; j < sizeof big; j++)
            big[j] = (uint8_t)rng_next(&g);
        size_t n = key_in(key, sizeof key, "big", MOVE_B, MOVE_BUCKETS, &seq);
        CHECK_EQ(kv_encode_put(&src.cmd, key, n, big, sizeof big, NULL, NULL), 0);
        CHECK_EQ(fx_apply(&src, &res), 0);
    }
    CHECK_EQ(keyset_read(src.s, &bkeys), 0);
    CHECK(bkeys.n > 40);
    /* "big..." sorts before "key...": the large values come first. */
    for (uint32_t i = 0; i < MOVE_BIGS; i++)
        CHECK(memcmp(bkeys.keys[i], "big", 3) == 0);
    uint64_t other_rows[MOVE_BUCKETS];

    /* 1. The destination starts receiving (a leftover of an earlier try is
     * cleaned out first). */
    CHECK_EQ(fx_bucket(&dst, KV_CMD_BUCKET_RECEIVE, MOVE_B, &res), 0);
    CHECK_EQ(res.status, 0);
    /* 2. The floor before the copy: every later write at the source is above. */
    uint64_t m;
    CHECK_EQ(kv_version_floor(src.s, &m, NULL), 0);
    CHECK_EQ(m, src.index);

    /* 3. Copy page by page while the source takes writes to the bucket. */
    static struct copier cp;
    cp = (struct copier){.dst = &dst};
    bool more = true;
    uint32_t round = 0;
    static char after[KV_KEY_BYTES_MAX];
    size_t after_len;
    while (more) {
        CHECK(round < 100);
        /* The callback moves cp.last on: the scan reads its own copy. */
        memcpy(after, cp.last, cp.last_len);
        after_len = cp.last_len;
        int rc = kv_bucket_scan(src.s, MOVE_B, after, after_len, MOVE_PAGE, 0, copier_row, &cp,
                                &more, NULL);
        CHECK_EQ(rc, 0);
        CHECK_EQ(copier_flush(&cp), 0);
        CHECK_EQ(source_writes(&src, &bkeys, round++, &seq), 0);
    }
    CHECK(cp.splits > 0); /* a page did not fit in one import */
    CHECK(cp.imports > cp.splits);
    for (int i = 0; i < 3; i++) /* writes after the copy, before the fence */
        CHECK_EQ(source_writes(&src, &bkeys, round++, &seq), 0);
    /* The copy is behind the source now. */
    struct buf s_rows = BUF_INIT, d_rows = BUF_INIT;
    CHECK_EQ(dump_bucket(src.s, MOVE_B, &s_rows), 0);
    CHECK_EQ(dump_bucket(dst.s, MOVE_B, &d_rows), 0);
    CHECK(!buf_same(&s_rows, &d_rows));

    /* 4. Fence at the source: no more writes to the bucket, others go on. */
    CHECK_EQ(fx_bucket(&src, KV_CMD_BUCKET_FENCE, MOVE_B, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(fx_put(&src, bkeys.keys[0], "late", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.current_version, MOVE_B);
    key_in(key, sizeof key, "elsewhere", 0, MOVE_BUCKETS, &seq);
    CHECK_EQ(fx_put(&src, key, "ok", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(keyset_read(src.s, &at_src), 0);
    CHECK_EQ(kv_get(src.s, at_src.keys[1], at_src.lens[1], NULL, NULL, NULL), 0); /* reads work */

    /* 5, 6. The delta: rows changed since m, and deletes for keys the
     * destination has that the source no longer has. */
    uint64_t floor;
    CHECK_EQ(kv_version_floor(src.s, &floor, NULL), 0);
    cp = (struct copier){.dst = &dst, .floor = floor};
    more = true;
    while (more) {
        memcpy(after, cp.last, cp.last_len);
        after_len = cp.last_len;
        CHECK_EQ(kv_bucket_scan(src.s, MOVE_B, after, after_len, MOVE_PAGE, m, copier_row, &cp,
                                &more, NULL),
                 0);
    }
    CHECK(cp.rows > 0);
    CHECK_EQ(keyset_read(src.s, &at_src), 0);
    CHECK(cp.rows < at_src.n); /* a delta, not a second copy */
    CHECK_EQ(keyset_read(dst.s, &at_dst), 0);
    uint32_t deletes = 0;
    static char gone[24];
    for (uint32_t i = 0, j = 0; i < at_dst.n; i++) {
        while (j < at_src.n &&
               keycmp(at_src.keys[j], at_src.lens[j], at_dst.keys[i], at_dst.lens[i]) < 0)
            j++;
        if (j < at_src.n &&
            keycmp(at_src.keys[j], at_src.lens[j], at_dst.keys[i], at_dst.lens[i]) == 0)
            continue;
        if (!cp.open)
            CHECK_EQ(copier_begin(&cp), 0);
        int rc = kv_import_delete(&cp.im, at_dst.keys[i], at_dst.lens[i], NULL);
        if (rc == ERR_TOOBIG) {
            CHECK_EQ(copier_flush(&cp), 0);
            CHECK_EQ(copier_begin(&cp), 0);
            rc = kv_import_delete(&cp.im, at_dst.keys[i], at_dst.lens[i], NULL);
        }
        CHECK_EQ(rc, 0);
        if (deletes++ == 0)
            memcpy(gone, at_dst.keys[i], at_dst.lens[i] + 1);
    }
    CHECK(deletes > 0);
    if (!cp.open)
        CHECK_EQ(copier_begin(&cp), 0); /* the floor goes over even with nothing else */
    CHECK_EQ(copier_flush(&cp), 0);

    /* 7. The flip; 8. the source drops its copy. */
    CHECK_EQ(dump_bucket(src.s, MOVE_B, &s_rows), 0);
    for (uint32_t b = 0; b < MOVE_BUCKETS; b++)
        CHECK_EQ(kv_bucket_count_rows(src.s, b, &other_rows[b], NULL), 0);
    uint32_t moved = MOVE_B;
    CHECK_EQ(fx_own(&dst, &moved, 1, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(fx_bucket(&src, KV_CMD_BUCKET_DROP, MOVE_B, &res), 0);
    CHECK_EQ(res.status, 0);

    /* The destination has exactly the source's last contents (keys, values,
     * versions); the source has none left, and its other buckets are whole. */
    CHECK_EQ(dump_bucket(dst.s, MOVE_B, &d_rows), 0);
    CHECK(s_rows.len > 8 * sizeof big);
    CHECK(buf_same(&s_rows, &d_rows));
    uint64_t n;
    CHECK_EQ(kv_bucket_count_rows(dst.s, MOVE_B, &n, NULL), 0);
    CHECK_EQ(n, other_rows[MOVE_B]);
    CHECK_EQ(kv_bucket_count_rows(src.s, MOVE_B, &n, NULL), 0);
    CHECK_EQ(n, 0);
    for (uint32_t b = 0; b < MOVE_BUCKETS; b++) {
        if (b == MOVE_B)
            continue;
        CHECK_EQ(kv_bucket_count_rows(src.s, b, &n, NULL), 0);
        CHECK_EQ(n, other_rows[b]);
        CHECK_EQ(kv_bucket_count_rows(dst.s, b, &n, NULL), 0);
        CHECK_EQ(n, 0);
    }
    CHECK_EQ(state_of(&src, MOVE_B), KV_BUCKET_NONE);
    CHECK_EQ(state_of(&dst, MOVE_B), KV_BUCKET_OWNED);

    /* Writes now go to the destination, above every version the bucket ever
     * had at the source, even for a key the source deleted. The source
     * refuses them. */
    CHECK(dst.index < m); /* the destination's log is much shorter */
    CHECK_EQ(fx_put(&dst, at_src.keys[0], "after", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK(res.version > floor);
    uint64_t first = res.version;
    CHECK_EQ(kv_get(dst.s, gone, strlen(gone), NULL, NULL, NULL), ERR_NOTFOUND);
    CHECK_EQ(fx_put(&dst, gone, "reborn", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, first + 1);
    CHECK_EQ(fx_put(&src, at_src.keys[0], "stale", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    buf_free(&s_rows);
    buf_free(&d_rows);
    fx_close(&src);
    fx_close(&dst);
}

/* ---- snapshots ---- */

static int snapshot_into(struct store *s, const char *path)
{
    struct store_snapshot *sn;
    struct store_restore *rs;
    struct errbuf eb;
    int rc = store_snapshot_open(s, STORE_SNAPSHOT_CHUNK_BYTES_MIN * 4, &sn, &eb);
    if (rc != 0)
        return rc;
    rc = store_restore_begin(path, &rs, &eb);
    if (rc != 0) {
        store_snapshot_close(sn);
        return rc;
    }
    struct buf chunk = BUF_INIT;
    bool done = false;
    while (!done && rc == 0) {
        rc = store_snapshot_next(sn, &chunk, &done, &eb);
        if (rc == 0)
            rc = store_restore_chunk(rs, chunk.data, chunk.len, &eb);
    }
    buf_free(&chunk);
    store_snapshot_close(sn);
    if (rc != 0) {
        fprintf(stderr, "snapshot: %s\n", eb.msg);
        store_restore_abort(rs);
        return rc;
    }
    return store_restore_finish(rs, &eb);
}

TEST(snapshots_carry_ownership_and_the_version_shift)
{
    struct fx f;
    CHECK_EQ(fx_open_buckets(&f, 8), 0);
    struct store_result res;
    uint32_t own[4] = {0, 3, 5, 7};
    CHECK_EQ(fx_own(&f, own, 4, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_FENCE, 5, &res), 0);
    CHECK_EQ(fx_bucket(&f, KV_CMD_BUCKET_RECEIVE, 6, &res), 0);
    char key[24], k5[24];
    uint32_t seq = 0;
    key_in(key, sizeof key, "s", 6, 8, &seq);
    struct kv_import im;
    CHECK_EQ(kv_import_begin(&im, &f.cmd, 6, 777777, NULL), 0);
    CHECK_EQ(kv_import_row(&im, key, strlen(key), "imported", 8, 4242, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    key_in(key, sizeof key, "s", 0, 8, &seq);
    CHECK_EQ(fx_put(&f, key, "own", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    key_in(k5, sizeof k5, "s", 5, 8, &seq);

    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump_all(f.s, &before), 0);
    uint64_t floor_before;
    CHECK_EQ(kv_version_floor(f.s, &floor_before, NULL), 0);
    CHECK(floor_before > 777777);

    char path[160];
    snprintf(path, sizeof path, "%s/copy.db", f.dir);
    CHECK_EQ(snapshot_into(f.s, path), 0);
    struct fx g = {0};
    strcpy(g.dir, f.dir);
    strcpy(g.path, path);
    CHECK_EQ(store_open(path, NULL, &g.s, NULL), 0);
    g.index = store_applied_index(g.s);
    CHECK_EQ(g.index, f.index);
    CHECK_EQ(dump_all(g.s, &after), 0);
    CHECK(buf_same(&before, &after));
    uint64_t floor_after;
    CHECK_EQ(kv_version_floor(g.s, &floor_after, NULL), 0);
    CHECK_EQ(floor_after, floor_before);

    /* The restored store behaves the same: fenced and foreign buckets refuse
     * writes, owned ones take them at the same version as the original. */
    CHECK_EQ(fx_put(&f, key, "again", NULL, &res), 0);
    uint64_t v_orig = res.version;
    CHECK_EQ(fx_put(&g, key, "again", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, v_orig);
    CHECK_EQ(fx_put(&g, k5, "x", NULL, &res), 0);
    CHECK_EQ(res.status, ERR_STALE);
    CHECK_EQ(res.current_version, 5);
    store_close(g.s);
    buf_free(&g.cmd);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

TEST_MAIN()
