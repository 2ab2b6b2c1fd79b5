/* Unit tests for src/model/kv: the command codec and its limits, the bucket
 * hash, and apply + reads through a real state store (unsharded, as the
 * single-group node runs; bucket moves are in test_kv_bucket.c). */
#include "test.h"

#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "kv_fx.h"
#include "model/kv/kv.h"
#include "store/store.h"

/* ---- codec ---- */

TEST(codec_round_trip_put_delete_batch)
{
    struct buf b = BUF_INIT;
    struct kv_cond cond = {KV_COND_VERSION, 300};
    CHECK_EQ(kv_encode_put(&b, "k\0y", 3, "value", 5, &cond, NULL), 0);
    struct kv_cmd cmd;
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), 0);
    CHECK_EQ(cmd.kind, KV_CMD_PUT);
    CHECK_EQ(cmd.n_ops, 1);
    CHECK_EQ(cmd.ops[0].type, KV_OP_PUT);
    CHECK_EQ(cmd.ops[0].cond.type, KV_COND_VERSION);
    CHECK_EQ(cmd.ops[0].cond.version, 300);
    CHECK_EQ(cmd.ops[0].key_len, 3);
    CHECK(memcmp(cmd.ops[0].key, "k\0y", 3) == 0);
    CHECK_EQ(cmd.ops[0].value_len, 5);
    CHECK(memcmp(cmd.ops[0].value, "value", 5) == 0);

    buf_reset(&b);
    CHECK_EQ(kv_encode_delete(&b, "gone", 4, NULL, NULL), 0);
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), 0);
    CHECK_EQ(cmd.kind, KV_CMD_DELETE);
    CHECK_EQ(cmd.ops[0].type, KV_OP_DELETE);
    CHECK_EQ(cmd.ops[0].cond.type, KV_COND_NONE);
    CHECK_EQ(cmd.ops[0].value_len, 0);

    struct kv_op ops[3] = {
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"a",
         .key_len = 1,
         .value = (const uint8_t *)"",
         .value_len = 0,
         .cond = {KV_COND_ABSENT, 0}},
        {.type = KV_OP_DELETE, .key = (const uint8_t *)"b", .key_len = 1},
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"c",
         .key_len = 1,
         .value = (const uint8_t *)"vc",
         .value_len = 2,
         .cond = {KV_COND_VERSION, 1ull << 40}},
    };
    buf_reset(&b);
    CHECK_EQ(kv_encode_batch(&b, ops, 3, NULL), 0);
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), 0);
    CHECK_EQ(cmd.kind, KV_CMD_BATCH);
    CHECK_EQ(cmd.n_ops, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(cmd.ops[i].type, ops[i].type);
        CHECK_EQ(cmd.ops[i].cond.type, ops[i].cond.type);
        CHECK_EQ(cmd.ops[i].cond.version, ops[i].cond.version);
        CHECK_EQ(cmd.ops[i].key_len, 1);
        CHECK_EQ(cmd.ops[i].key[0], ops[i].key[0]);
        CHECK_EQ(cmd.ops[i].value_len, ops[i].value_len);
    }
    buf_free(&b);
}

TEST(encoder_enforces_limits_and_leaves_output_alone)
{
    struct buf b = BUF_INIT;
    buf_append(&b, "xyz", 3); /* something already there must survive a refusal */
    struct errbuf eb;
    static uint8_t big[KV_VALUE_BYTES_MAX + 1];
    static uint8_t key[KV_KEY_BYTES_MAX + 1];
    memset(key, 'k', sizeof key);

    CHECK_EQ(kv_encode_put(&b, key, 0, "v", 1, NULL, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_put(&b, key, KV_KEY_BYTES_MAX + 1, "v", 1, NULL, &eb), ERR_TOOBIG);
    CHECK(strstr(eb.msg, "1025") != NULL);
    CHECK_EQ(kv_encode_put(&b, key, 1, big, KV_VALUE_BYTES_MAX + 1, NULL, &eb), ERR_TOOBIG);
    struct kv_cond v0 = {KV_COND_VERSION, 0}, bad = {7, 0};
    CHECK_EQ(kv_encode_put(&b, key, 1, "v", 1, &v0, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_delete(&b, key, 1, &bad, &eb), ERR_INVAL);
    CHECK_EQ(kv_encode_batch(&b, NULL, 0, &eb), ERR_INVAL);
    CHECK_EQ(b.len, 3);

    /* The largest key and value are accepted, and decode. */
    CHECK_EQ(kv_encode_put(&b, key, KV_KEY_BYTES_MAX, big, KV_VALUE_BYTES_MAX, NULL, &eb), 0);
    struct kv_cmd cmd;
    CHECK_EQ(kv_decode(b.data + 3, b.len - 3, &cmd, &eb), 0);
    CHECK_EQ(cmd.ops[0].value_len, KV_VALUE_BYTES_MAX);

    /* Op count and duplicate keys. */
    static struct kv_op ops[KV_BATCH_OPS_MAX + 1];
    static char names[KV_BATCH_OPS_MAX + 1][8];
    for (int i = 0; i <= KV_BATCH_OPS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        ops[i] = (struct kv_op){
            .type = KV_OP_DELETE, .key = (const uint8_t *)names[i], .key_len = strlen(names[i])};
    }
    buf_reset(&b);
    CHECK_EQ(kv_encode_batch(&b, ops, KV_BATCH_OPS_MAX + 1, &eb), ERR_TOOBIG);
    CHECK_EQ(kv_encode_batch(&b, ops, KV_BATCH_OPS_MAX, &eb), 0);
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, &eb), 0);
    CHECK_EQ(cmd.n_ops, KV_BATCH_OPS_MAX);
    ops[5].key = ops[9].key;
    ops[5].key_len = ops[9].key_len;
    CHECK_EQ(kv_encode_batch(&b, ops, 10, &eb), ERR_INVAL);
    CHECK(strstr(eb.msg, "same key") != NULL);

    /* Five maximal values pass one by one but not as one command. */
    for (int i = 0; i < 5; i++) {
        ops[i] = (struct kv_op){.type = KV_OP_PUT,
                                .key = (const uint8_t *)names[i],
                                .key_len = strlen(names[i]),
                                .value = big,
                                .value_len = KV_VALUE_BYTES_MAX};
    }
    buf_reset(&b);
    CHECK_EQ(kv_encode_batch(&b, ops, 5, &eb), ERR_TOOBIG);
    CHECK_EQ(b.len, 0);
    CHECK_EQ(kv_encode_batch(&b, ops, 3, &eb), 0);
    buf_free(&b);
}

TEST(decoder_rejects_every_truncation_and_forgery)
{
    struct buf b = BUF_INIT;
    struct kv_op ops[2] = {
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"key",
         .key_len = 3,
         .value = (const uint8_t *)"value",
         .value_len = 5,
         .cond = {KV_COND_VERSION, 999}},
        {.type = KV_OP_DELETE, .key = (const uint8_t *)"other", .key_len = 5},
    };
    CHECK_EQ(kv_encode_batch(&b, ops, 2, NULL), 0);
    struct kv_cmd cmd;
    for (size_t n = 0; n < b.len; n++)
        CHECK_EQ(kv_decode(b.data, n, &cmd, NULL), ERR_CORRUPT);
    buf_append_u8(&b, 0);
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), ERR_CORRUPT); /* trailing byte */
    b.len--;
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), 0);

    uint8_t saved = b.data[0];
    b.data[0] = STORE_MODEL_KV + 1;
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), ERR_CORRUPT);
    b.data[0] = saved;
    b.data[1] = 77; /* a command kind from the future */
    CHECK_EQ(kv_decode(b.data, b.len, &cmd, NULL), ERR_UNSUPPORTED);

    /* Hand-made commands the encoder would never write. */
    uint8_t dup[] = {
        STORE_MODEL_KV, KV_CMD_BATCH, 2, KV_OP_DELETE, 0, 1, 'a', KV_OP_DELETE, 0, 1, 'a'};
    CHECK_EQ(kv_decode(dup, sizeof dup, &cmd, NULL), ERR_CORRUPT);
    uint8_t v0[] = {STORE_MODEL_KV, KV_CMD_DELETE, KV_COND_VERSION, 0, 1, 'a'};
    CHECK_EQ(kv_decode(v0, sizeof v0, &cmd, NULL), ERR_CORRUPT);
    uint8_t nokey[] = {STORE_MODEL_KV, KV_CMD_DELETE, 0, 0};
    CHECK_EQ(kv_decode(nokey, sizeof nokey, &cmd, NULL), ERR_CORRUPT);
    uint8_t zero_ops[] = {STORE_MODEL_KV, KV_CMD_BATCH, 0};
    CHECK_EQ(kv_decode(zero_ops, sizeof zero_ops, &cmd, NULL), ERR_CORRUPT);
    uint8_t many_ops[] = {STORE_MODEL_KV, KV_CMD_BATCH, 0x81, 0x01}; /* 129 */
    CHECK_EQ(kv_decode(many_ops, sizeof many_ops, &cmd, NULL), ERR_CORRUPT);
    uint8_t bad_op[] = {STORE_MODEL_KV, KV_CMD_BATCH, 1, 9, 0, 1, 'a'};
    CHECK_EQ(kv_decode(bad_op, sizeof bad_op, &cmd, NULL), ERR_CORRUPT);
    /* A key length past the limit is refused before the bytes are looked at. */
    uint8_t long_key[] = {STORE_MODEL_KV, KV_CMD_DELETE, 0, 0x81, 0x08, 'a'}; /* 1025 */
    CHECK_EQ(kv_decode(long_key, sizeof long_key, &cmd, NULL), ERR_CORRUPT);
    uint8_t huge_value[] = {STORE_MODEL_KV, KV_CMD_PUT, 0, 1, 'a', 0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK_EQ(kv_decode(huge_value, sizeof huge_value, &cmd, NULL), ERR_CORRUPT);
    buf_free(&b);
}

/* ---- bucket hash ---- */

static uint64_t ref_fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

TEST(hash_is_fnv1a_then_fmix64_and_stable)
{
    /* Published FNV-1a 64 vectors. */
    CHECK_EQ(kv_hash("", 0), ref_fmix64(0xcbf29ce484222325ull));
    CHECK_EQ(kv_hash("a", 1), ref_fmix64(0xaf63dc4c8601ec8cull));
    CHECK_EQ(kv_hash("foobar", 6), ref_fmix64(0x85944171f73967e8ull));
    /* Frozen outputs: a change here moves every stored record's bucket. */
    CHECK_EQ(kv_bucket("a", 1, 3000), ref_fmix64(0xaf63dc4c8601ec8cull) % 3000);
    CHECK_EQ(kv_hash("user/42", 7), 0xab51e013121d86fdull);
    CHECK_EQ(kv_bucket("user/42", 7, 3000), 629);
    CHECK_EQ(kv_bucket("a\0b", 3, 3000) == kv_bucket("a", 1, 3000), 0);
}

TEST(buckets_spread_evenly)
{
    enum { BUCKETS = 3000, KEYS = 30000 };
    static uint32_t counts[BUCKETS];
    char key[32];
    for (int i = 0; i < KEYS; i++) {
        int n = snprintf(key, sizeof key, "key-%d", i);
        uint32_t b = kv_bucket(key, (size_t)n, BUCKETS);
        CHECK(b < BUCKETS);
        counts[b]++;
    }
    uint32_t max = 0, empty = 0;
    for (int i = 0; i < BUCKETS; i++) {
        max = counts[i] > max ? counts[i] : max;
        empty += counts[i] == 0;
    }
    /* Poisson(10): P(> 30) per bucket is about 1e-7; about 0.14 empty buckets expected. */
    CHECK(max <= 30);
    CHECK(empty <= 5);
}

/* ---- apply and reads ---- */

/* A store that never imported a bucket has version shift 0, so a version is
 * the index of the entry that wrote it (test_kv_bucket.c covers the shift). */
TEST(put_get_delete_and_versions_are_entry_indexes)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    struct buf v = BUF_INIT;
    uint64_t ver;

    CHECK_EQ(fx_put(&f, "alpha", "one", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.model, STORE_MODEL_KV);
    CHECK_EQ(res.existed, 0);
    CHECK_EQ(res.version, f.index);
    CHECK_EQ(kv_get(f.s, "alpha", 5, &v, &ver, NULL), 0);
    CHECK_EQ(ver, f.index);
    CHECK(v.len == 3 && memcmp(v.data, "one", 3) == 0);

    /* A no-op entry in between: versions jump with the log, not per key. */
    struct raft_entry noop = {.term = 2, .index = f.index + 1, .type = RAFT_ENTRY_NOOP};
    CHECK_EQ(store_apply(f.s, &noop, 1, &res, NULL), 0);
    f.index++;
    CHECK_EQ(fx_put(&f, "alpha", "two!", NULL, &res), 0);
    CHECK_EQ(res.existed, 1);
    CHECK_EQ(res.version, 3);
    CHECK_EQ(kv_get(f.s, "alpha", 5, &v, &ver, NULL), 0);
    CHECK_EQ(ver, 3);
    CHECK(v.len == 4 && memcmp(v.data, "two!", 4) == 0);

    CHECK_EQ(fx_del(&f, "alpha", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.existed, 1);
    CHECK_EQ(kv_get(f.s, "alpha", 5, &v, &ver, NULL), ERR_NOTFOUND);
    /* Deleting what is absent succeeds and says so. */
    CHECK_EQ(fx_del(&f, "alpha", NULL, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.existed, 0);
    /* A re-created key gets a new, larger version. */
    CHECK_EQ(fx_put(&f, "alpha", "", NULL, &res), 0);
    CHECK_EQ(kv_get(f.s, "alpha", 5, &v, &ver, NULL), 0);
    CHECK_EQ(ver, f.index);
    CHECK_EQ(v.len, 0); /* an empty value is a value */
    CHECK_EQ(store_applied_index(f.s), f.index);
    buf_free(&v);
    fx_close(&f);
}

TEST(conditional_put_and_delete)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    struct buf before = BUF_INIT, after = BUF_INIT;
    struct kv_cond absent = {KV_COND_ABSENT, 0};

    CHECK_EQ(fx_put(&f, "k", "v1", &absent, &res), 0);
    CHECK_EQ(res.status, 0);
    uint64_t v1 = res.version;
    CHECK_EQ(dump(f.s, &before), 0);

    /* Create-only on an existing key fails, changes nothing, reports the version. */
    CHECK_EQ(fx_put(&f, "k", "v2", &absent, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(res.current_version, v1);
    CHECK_EQ(res.version, 0);
    CHECK_EQ(dump(f.s, &after), 0);
    CHECK(after.len == before.len && memcmp(after.data, before.data, before.len) == 0);

    struct kv_cond wrong = {KV_COND_VERSION, v1 + 100}, right = {KV_COND_VERSION, v1};
    CHECK_EQ(fx_put(&f, "k", "v2", &wrong, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(res.current_version, v1);
    CHECK_EQ(fx_del(&f, "k", &wrong, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(dump(f.s, &after), 0);
    CHECK(after.len == before.len && memcmp(after.data, before.data, before.len) == 0);
    /* The failed commands still advanced the applied index. */
    CHECK_EQ(store_applied_index(f.s), f.index);

    CHECK_EQ(fx_put(&f, "k", "v2", &right, &res), 0);
    CHECK_EQ(res.status, 0);
    uint64_t v2 = res.version;
    CHECK(v2 > v1);
    /* The old version no longer matches. */
    CHECK_EQ(fx_del(&f, "k", &right, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(res.current_version, v2);
    struct kv_cond now = {KV_COND_VERSION, v2};
    CHECK_EQ(fx_del(&f, "k", &now, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(kv_get(f.s, "k", 1, NULL, NULL, NULL), ERR_NOTFOUND);
    /* if_version on an absent key fails with current version 0. */
    CHECK_EQ(fx_put(&f, "k", "v3", &now, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(res.current_version, 0);
    CHECK_EQ(kv_get(f.s, "k", 1, NULL, NULL, NULL), ERR_NOTFOUND);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

TEST(batch_is_atomic)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    CHECK_EQ(fx_put(&f, "a", "a0", NULL, &res), 0);
    uint64_t va = res.version;
    CHECK_EQ(fx_put(&f, "b", "b0", NULL, &res), 0);
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump(f.s, &before), 0);

    /* The third op's condition fails: the first two must not happen either. */
    struct kv_op ops[4] = {
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"a",
         .key_len = 1,
         .value = (const uint8_t *)"a1",
         .value_len = 2,
         .cond = {KV_COND_VERSION, va}},
        {.type = KV_OP_DELETE, .key = (const uint8_t *)"b", .key_len = 1},
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"c",
         .key_len = 1,
         .value = (const uint8_t *)"c1",
         .value_len = 2,
         .cond = {KV_COND_VERSION, 5}},
        {.type = KV_OP_PUT,
         .key = (const uint8_t *)"d",
         .key_len = 1,
         .value = (const uint8_t *)"d1",
         .value_len = 2},
    };
    CHECK_EQ(kv_encode_batch(&f.cmd, ops, 4, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, ERR_CONDITION);
    CHECK_EQ(res.failed_op, 2);
    CHECK_EQ(res.current_version, 0);
    CHECK_EQ(dump(f.s, &after), 0);
    CHECK(after.len == before.len && memcmp(after.data, before.data, before.len) == 0);

    /* With the condition fixed, every op happens, all at one version. */
    ops[2].cond.type = KV_COND_ABSENT;
    CHECK_EQ(kv_encode_batch(&f.cmd, ops, 4, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    CHECK_EQ(res.status, 0);
    CHECK_EQ(res.version, f.index);
    uint64_t ver;
    struct buf v = BUF_INIT;
    CHECK_EQ(kv_get(f.s, "a", 1, &v, &ver, NULL), 0);
    CHECK(ver == f.index && v.len == 2 && memcmp(v.data, "a1", 2) == 0);
    CHECK_EQ(kv_get(f.s, "b", 1, &v, &ver, NULL), ERR_NOTFOUND);
    CHECK_EQ(kv_get(f.s, "c", 1, &v, &ver, NULL), 0);
    CHECK_EQ(ver, f.index);
    CHECK_EQ(kv_get(f.s, "d", 1, &v, &ver, NULL), 0);
    CHECK_EQ(ver, f.index);
    uint64_t n;
    CHECK_EQ(kv_count(f.s, NULL, 0, &n, NULL), 0);
    CHECK_EQ(n, 3);
    buf_free(&v);
    buf_free(&before);
    buf_free(&after);
    fx_close(&f);
}

TEST(keys_with_nul_bytes_are_distinct_and_ordered)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    const char *keys[] = {"a\0b", "a", "\0", "a\0", "\0\0"};
    const size_t lens[] = {3, 1, 1, 2, 2};
    for (int i = 0; i < 5; i++) {
        char value[8];
        snprintf(value, sizeof value, "v%d", i);
        CHECK_EQ(kv_encode_put(&f.cmd, keys[i], lens[i], value, strlen(value), NULL, NULL), 0);
        CHECK_EQ(fx_apply(&f, &res), 0);
        CHECK_EQ(res.existed, 0); /* no two of them are the same key */
    }
    struct buf v = BUF_INIT;
    for (int i = 0; i < 5; i++) {
        char value[8];
        snprintf(value, sizeof value, "v%d", i);
        CHECK_EQ(kv_get(f.s, keys[i], lens[i], &v, NULL, NULL), 0);
        CHECK(v.len == strlen(value) && memcmp(v.data, value, v.len) == 0);
    }
    struct collect c = {0};
    struct kv_list_req req = {.limit = 10};
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 5);
    /* memcmp order, shorter first: "\0" "\0\0" "a" "a\0" "a\0b" */
    const int order[] = {2, 4, 1, 3, 0};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(c.lens[i], lens[order[i]]);
        CHECK(memcmp(c.keys[i], keys[order[i]], c.lens[i]) == 0);
    }
    /* The key right after "a" in byte order is "a\0": `after` must not skip it. */
    memset(&c, 0, sizeof c);
    req.after = "a";
    req.after_len = 1;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 2);
    CHECK(c.lens[0] == 2 && memcmp(c.keys[0], "a\0", 2) == 0);
    req.after = NULL;
    req.after_len = 0;
    /* Prefix "a\0" matches "a\0" and "a\0b", not "a". */
    memset(&c, 0, sizeof c);
    req.prefix = "a\0";
    req.prefix_len = 2;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.lens[0], 2);
    CHECK_EQ(c.lens[1], 3);
    buf_free(&v);
    fx_close(&f);
}

/* All keys of the test below, as the list calls should see them. */
static const char *const page_keys[] = {"a",  "b",  "b0", "b1", "b2", "b3",
                                        "b4", "b5", "b6", "ba", "bb", "c"};
#define PAGE_KEYS (sizeof page_keys / sizeof page_keys[0])

TEST(prefix_listing_and_pagination_boundaries)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    /* Insert in a scrambled order; listing must sort. */
    for (size_t i = 0; i < PAGE_KEYS; i++) {
        size_t j = (i * 7) % PAGE_KEYS;
        CHECK_EQ(fx_put(&f, page_keys[j], "x", NULL, &res), 0);
    }
    /* Page through prefix "b" with every page size: the pages put together are
     * exactly the b keys, in order, and `more` is false only on the last. */
    for (uint32_t limit = 1; limit <= 11; limit++) {
        char after[8] = "";
        size_t seen = 0;
        bool more = true;
        for (int page = 0; more; page++) {
            CHECK(page < 20);
            struct collect c = {0};
            struct kv_list_req req = {.prefix = "b",
                                      .prefix_len = 1,
                                      .after = after,
                                      .after_len = strlen(after),
                                      .limit = limit};
            CHECK_EQ(kv_list(f.s, &req, collect_item, &c, &more, NULL), 0);
            CHECK(c.n <= limit);
            for (uint32_t i = 0; i < c.n; i++) {
                const char *want = page_keys[1 + seen + i];
                CHECK(c.lens[i] == strlen(want) && memcmp(c.keys[i], want, c.lens[i]) == 0);
            }
            seen += c.n;
            CHECK(more == (seen < 10));
            if (c.n > 0) {
                memcpy(after, c.keys[c.n - 1], c.lens[c.n - 1]);
                after[c.lens[c.n - 1]] = '\0';
            }
        }
        CHECK_EQ(seen, 10);
    }
    /* `after` below the prefix starts at the prefix; above it, nothing. */
    struct collect c = {0};
    struct kv_list_req req = {
        .prefix = "b", .prefix_len = 1, .after = "a", .after_len = 1, .limit = 100};
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 10);
    memset(&c, 0, sizeof c);
    req.after = "bz";
    req.after_len = 2;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 0);
    /* `after` equal to a key excludes it; after "b" starts at "b0". */
    memset(&c, 0, sizeof c);
    req.after = "b";
    req.after_len = 1;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 9);
    CHECK(c.lens[0] == 2 && memcmp(c.keys[0], "b0", 2) == 0);
    /* Counts follow the same ranges. */
    uint64_t n;
    CHECK_EQ(kv_count(f.s, "b", 1, &n, NULL), 0);
    CHECK_EQ(n, 10);
    CHECK_EQ(kv_count(f.s, NULL, 0, &n, NULL), 0);
    CHECK_EQ(n, PAGE_KEYS);
    CHECK_EQ(kv_count(f.s, "zz", 2, &n, NULL), 0);
    CHECK_EQ(n, 0);
    /* keys_only leaves values out. */
    memset(&c, 0, sizeof c);
    struct kv_list_req ko = {.limit = 3, .keys_only = true};
    CHECK_EQ(kv_list(f.s, &ko, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 3);
    CHECK(c.value_null[0] && c.value_null[2]);
    fx_close(&f);
}

TEST(prefixes_of_ff_bytes)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    const char *keys[] = {"\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\x01"};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(kv_encode_put(&f.cmd, keys[i], strlen(keys[i]) + (i == 2), "v", 1, NULL, NULL), 0);
        CHECK_EQ(fx_apply(&f, &res), 0);
    }
    uint64_t n;
    CHECK_EQ(kv_count(f.s, "\xff", 1, &n, NULL), 0);
    CHECK_EQ(n, 4);
    CHECK_EQ(kv_count(f.s, "\xff\xff", 2, &n, NULL), 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(kv_count(f.s, "\xfe", 1, &n, NULL), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(kv_count(f.s, "\xfe\xff", 2, &n, NULL), 0);
    CHECK_EQ(n, 1);
    struct collect c = {0};
    struct kv_list_req req = {
        .prefix = "\xff", .prefix_len = 1, .after = "\xff\x00", .after_len = 2, .limit = 10};
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, NULL), 0);
    CHECK_EQ(c.n, 2);
    CHECK(c.lens[0] == 2 && memcmp(c.keys[0], "\xff\xff", 2) == 0);
    fx_close(&f);
}

struct buckets {
    uint32_t n;
    uint32_t count;
    int bad;
};

static int check_bucket(void *ctx, const struct kv_item *it)
{
    struct buckets *b = ctx;
    b->n++;
    if (it->bucket != kv_bucket(it->key, it->key_len, b->count))
        b->bad++;
    return 0;
}

TEST(rows_record_their_bucket_under_the_stores_bucket_count)
{
    struct fx f;
    memset(&f, 0, sizeof f);
    strcpy(f.dir, "/tmp/cairn-kv-XXXXXX");
    CHECK(mkdtemp(f.dir) != NULL);
    snprintf(f.path, sizeof f.path, "%s/state.db", f.dir);
    struct store_opts o;
    store_opts_default(&o);
    o.bucket_count = 7;
    CHECK_EQ(store_open(f.path, &o, &f.s, NULL), 0);
    struct store_result res;
    uint32_t hist[7] = {0};
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof key, "bk%d", i);
        CHECK_EQ(fx_put(&f, key, "v", NULL, &res), 0);
        hist[kv_bucket(key, strlen(key), 7)]++;
    }
    for (int i = 0; i < 7; i++)
        CHECK(hist[i] > 0); /* the check below sees every bucket */
    struct buckets b = {.count = 7};
    struct kv_list_req req = {.limit = 100};
    CHECK_EQ(kv_list(f.s, &req, check_bucket, &b, NULL, NULL), 0);
    CHECK_EQ(b.n, 50);
    CHECK_EQ(b.bad, 0);
    fx_close(&f);
}

static int stop_after_two(void *ctx, const struct kv_item *it)
{
    (void)it;
    int *n = ctx;
    return ++*n == 2 ? 42 : 0;
}

TEST(list_callback_can_stop_and_the_store_goes_on)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store_result res;
    for (int i = 0; i < 5; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        CHECK_EQ(fx_put(&f, key, "v", NULL, &res), 0);
    }
    int n = 0;
    struct kv_list_req req = {.limit = 10};
    CHECK_EQ(kv_list(f.s, &req, stop_after_two, &n, NULL, NULL), 42);
    CHECK_EQ(n, 2);
    /* No read transaction was left open: writes and a checkpoint still work. */
    CHECK_EQ(fx_put(&f, "k9", "v", NULL, &res), 0);
    uint64_t durable;
    CHECK_EQ(store_checkpoint(f.s, &durable, NULL), 0);
    CHECK_EQ(durable, f.index);
    fx_close(&f);
}

TEST(read_arguments_are_checked)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    static uint8_t key[KV_KEY_BYTES_MAX + 2];
    struct errbuf eb;
    CHECK_EQ(kv_get(f.s, key, 0, NULL, NULL, &eb), ERR_INVAL);
    CHECK_EQ(kv_get(f.s, key, KV_KEY_BYTES_MAX + 1, NULL, NULL, &eb), ERR_TOOBIG);
    CHECK_EQ(kv_get(f.s, key, KV_KEY_BYTES_MAX, NULL, NULL, &eb), ERR_NOTFOUND);
    struct collect c = {0};
    struct kv_list_req req = {.limit = 0};
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, &eb), ERR_INVAL);
    req.limit = KV_LIST_LIMIT_MAX + 1;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, &eb), ERR_INVAL);
    req.limit = 1;
    req.prefix = key;
    req.prefix_len = KV_KEY_BYTES_MAX + 1;
    CHECK_EQ(kv_list(f.s, &req, collect_item, &c, NULL, &eb), ERR_TOOBIG);
    fx_close(&f);
}

TEST(large_values_and_a_reader_on_another_connection)
{
    struct fx f;
    CHECK_EQ(fx_open(&f), 0);
    struct store *r;
    CHECK_EQ(store_open_reader(f.s, &r, NULL), 0);
    static uint8_t big[KV_VALUE_BYTES_MAX];
    struct rng g;
    rng_seed(&g, 5);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)rng_next(&g);
    struct store_result res;
    CHECK_EQ(kv_encode_put(&f.cmd, "big", 3, big, sizeof big, NULL, NULL), 0);
    CHECK_EQ(fx_apply(&f, &res), 0);
    struct buf v = BUF_INIT;
    uint64_t ver;
    CHECK_EQ(kv_get(r, "big", 3, &v, &ver, NULL), 0);
    CHECK_EQ(ver, res.version);
    CHECK(v.len == sizeof big && memcmp(v.data, big, sizeof big) == 0);
    uint64_t applied;
    CHECK_EQ(store_meta_get(r, "applied_index", &applied, NULL), 0);
    CHECK_EQ(applied, f.index);
    /* A reader cannot write. */
    struct raft_entry noop = {.term = 1, .index = f.index + 1, .type = RAFT_ENTRY_NOOP};
    CHECK_EQ(store_apply(r, &noop, 1, &res, NULL), ERR_INVAL);
    store_close(r);
    buf_free(&v);
    fx_close(&f);
}

TEST_MAIN()
