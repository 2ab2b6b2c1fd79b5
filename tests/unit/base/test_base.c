/* Unit tests for src/base: error table, CRC32C, varints, reader, buffers, PRNG. */
#include "test.h"

#include "base/base64.h"
#include "base/buf.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/rng.h"

TEST(err_names_and_messages)
{
    CHECK_STR(err_name(ERR_OK), "OK");
    CHECK_STR(err_name(ERR_CORRUPT), "CORRUPT");
    CHECK_STR(err_name(-9999), "UNKNOWN");
    CHECK_STR(err_msg(ERR_NOMEM), "out of memory");
    struct errbuf eb;
    CHECK_EQ(err_set(&eb, ERR_TOOBIG, "key is %d bytes", 5000), (uint64_t)ERR_TOOBIG);
    CHECK_STR(eb.msg, "key is 5000 bytes");
}

TEST(crc32c_known_vectors)
{
    CHECK_EQ(crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ(crc32c(0, "", 0), 0);
    uint8_t zeros[32] = {0};
    CHECK_EQ(crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4 */
}

TEST(crc32c_hw_matches_sw_and_is_incremental)
{
    uint8_t data[1000];
    struct rng r;
    rng_seed(&r, 7);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rng_next(&r);
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len + off <= sizeof data; len += 37) {
            uint32_t a = crc32c(0, data + off, len);
            CHECK_EQ(a, crc32c_software(0, data + off, len));
            size_t half = len / 2;
            CHECK_EQ(a, crc32c(crc32c(0, data + off, half), data + off + half, len - half));
        }
    }
}

TEST(uvarint_round_trip)
{
    uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t p[CODEC_UVARINT_LEN_MAX];
        size_t n = codec_put_uvarint(p, vals[i]);
        CHECK_EQ(n, codec_uvarint_len(vals[i]));
        uint64_t v;
        CHECK_EQ(codec_get_uvarint(p, n, &v), n);
        CHECK_EQ(v, vals[i]);
        for (size_t k = 0; k < n; k++)
            CHECK_EQ(codec_get_uvarint(p, k, &v), (uint64_t)ERR_NEEDMORE);
    }
}

TEST(uvarint_rejects_overlong)
{
    uint8_t p[11];
    memset(p, 0xff, sizeof p);
    uint64_t v;
    CHECK_EQ(codec_get_uvarint(p, sizeof p, &v), (uint64_t)ERR_MALFORMED);
    /* 10th byte may only carry one bit */
    memset(p, 0x80, 9);
    p[9] = 0x02;
    CHECK_EQ(codec_get_uvarint(p, 10, &v), (uint64_t)ERR_MALFORMED);
}

TEST(reader_is_bounds_checked_and_sticky)
{
    uint8_t p[] = {1, 2, 0, 3, 0, 0, 0};
    struct codec_reader r;
    codec_reader_init(&r, p, sizeof p);
    CHECK_EQ(codec_read_u8(&r), 1);
    CHECK_EQ(codec_read_u16(&r), 2);
    CHECK_EQ(codec_read_u32(&r), 3);
    CHECK_EQ(r.err, 0);
    CHECK_EQ(codec_read_u64(&r), 0);
    CHECK_EQ(r.err, (uint64_t)ERR_NEEDMORE);
    CHECK(codec_read_bytes(&r, 0) == NULL); /* sticky */
}

TEST(buf_grows_and_consumes)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(buf_append_u32(&b, (uint32_t)i), 0);
    CHECK_EQ(b.len, 4000);
    CHECK_EQ(codec_get_u32(b.data + 4 * 999), 999);
    buf_consume(&b, 3996);
    CHECK_EQ(codec_get_u32(b.data), 999);
    CHECK_EQ(buf_printf(&b, "x=%d", 42), 0);
    CHECK_EQ(b.len, 8);
    CHECK(memcmp(b.data + 4, "x=42", 4) == 0);
    buf_free(&b);
    CHECK(b.data == NULL);
}

TEST(rng_is_deterministic_and_bounded)
{
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(rng_next(&a), rng_next(&b));
    int hist[10] = {0};
    for (int i = 0; i < 10000; i++) {
        uint64_t v = rng_below(&a, 10);
        CHECK(v < 10);
        hist[v]++;
    }
    for (int i = 0; i < 10; i++)
        CHECK(hist[i] > 800 && hist[i] < 1200);
}

TEST(base64_round_trip_and_rejects_garbage)
{
    const char *vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                            {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        struct buf b = BUF_INIT, d = BUF_INIT;
        CHECK_EQ(base64_encode(&b, vec[i][0], strlen(vec[i][0])), 0);
        CHECK_EQ(b.len, strlen(vec[i][1]));
        CHECK(b.len == 0 || memcmp(b.data, vec[i][1], b.len) == 0);
        CHECK_EQ(base64_decode(&d, vec[i][1], strlen(vec[i][1])), 0);
        CHECK_EQ(d.len, strlen(vec[i][0]));
        CHECK(d.len == 0 || memcmp(d.data, vec[i][0], d.len) == 0);
        buf_free(&b);
        buf_free(&d);
    }
    const char *bad[] = {"Zg=", "Z===", "Zm9v!A==", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf d = BUF_INIT;
        CHECK_EQ(base64_decode(&d, bad[i], strlen(bad[i])), (uint64_t)ERR_MALFORMED);
        buf_free(&d);
    }
}

TEST_MAIN()
