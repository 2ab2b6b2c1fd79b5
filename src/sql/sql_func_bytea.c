/* PostgreSQL's bytea functions that read or change single bytes, and the SHA-2 digests
 * (FIPS 180-4): get_byte, set_byte, sha224, sha256, sha384, sha512. A bytea is a BLOB. */
#include <stdint.h>
#include <string.h>

#include "sql/sql_func_int.h"

/* The bytes of a bytea argument: a BLOB as is, anything else as its text. */
static const uint8_t *sql_bytea_arg(sqlite3_value *v, size_t *n)
{
    const void *p = sqlite3_value_type(v) == SQLITE_BLOB ? sqlite3_value_blob(v)
                                                         : (const void *)sqlite3_value_text(v);
    *n = (size_t)sqlite3_value_bytes(v);
    return p != NULL ? p : (const uint8_t *)"";
}

/* The byte offset argument k of a value n bytes long, or -1 after raising PostgreSQL's 2202E. */
static int64_t sql_bytea_offset(sqlite3_context *ctx, sqlite3_value *k, size_t n)
{
    int64_t i = sqlite3_value_int64(k);
    if (i < 0 || (uint64_t)i >= n) {
        sql_fn_error(ctx, "2202E", "index %lld out of valid range, 0..%lld", (long long)i,
                     (long long)n - 1);
        return -1;
    }
    return i;
}

static bool sql_bytea_any_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return true;
        }
    return false;
}

static void sql_fn_get_byte(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_bytea_any_null(ctx, argc, argv))
        return;
    size_t n;
    const uint8_t *p = sql_bytea_arg(argv[0], &n);
    int64_t i = sql_bytea_offset(ctx, argv[1], n);
    if (i >= 0)
        sqlite3_result_int(ctx, p[i]);
}

static void sql_fn_set_byte(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_bytea_any_null(ctx, argc, argv))
        return;
    size_t n;
    const uint8_t *p = sql_bytea_arg(argv[0], &n);
    int64_t i = sql_bytea_offset(ctx, argv[1], n);
    if (i < 0)
        return;
    uint8_t *copy = sqlite3_malloc64(n ? n : 1);
    if (copy == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    memcpy(copy, p, n);
    copy[i] = (uint8_t)sqlite3_value_int64(argv[2]);
    sqlite3_result_blob64(ctx, copy, n, sqlite3_free);
}

/* ---- SHA-2 ---- */

/* Runs block(h, b) over every block of p, then over the padding: 0x80, zeros, and the length
 * in bits big-endian in the block's last 8 bytes (SHA-512's 16-byte length has its high half
 * 0 here). block_bytes is 64 or 128. */
static void sha2_blocks(const uint8_t *p, size_t n, size_t block_bytes,
                        void (*block)(void *h, const uint8_t *b), void *h)
{
    size_t full = n / block_bytes * block_bytes;
    for (size_t at = 0; at < full; at += block_bytes)
        block(h, p + at);
    uint8_t last[256] = {0};
    size_t rest = n - full;
    size_t len = rest + 1 + block_bytes / 8 <= block_bytes ? block_bytes : 2 * block_bytes;
    memcpy(last, p + full, rest);
    last[rest] = 0x80;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        last[len - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t at = 0; at < len; at += block_bytes)
        block(h, last + at);
}

/* ---- SHA-256 and SHA-224 ---- */

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror32(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(void *state, const uint8_t *p)
{
    uint32_t *h = state;
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[i] + w[i];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

/* SHA-256 (or, with other initial values and 28 bytes kept, SHA-224) of p into out. */
static void sha256(const uint8_t *p, size_t n, bool is224, uint8_t out[32])
{
    static const uint32_t init256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    static const uint32_t init224[8] = {0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939,
                                        0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4};
    uint32_t h[8];
    memcpy(h, is224 ? init224 : init256, sizeof h);
    sha2_blocks(p, n, 64, sha256_block, h);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++)
            out[4 * i + b] = (uint8_t)(h[i] >> (24 - 8 * b));
}

/* ---- SHA-512 and SHA-384 ---- */

static const uint64_t sha512_k[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
    0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
    0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
    0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
    0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
    0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
    0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
    0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
    0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
    0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
    0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

static uint64_t ror64(uint64_t x, int n)
{
    return (x >> n) | (x << (64 - n));
}

static void sha512_block(void *state, const uint8_t *p)
{
    uint64_t *h = state;
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        w[i] = 0;
        for (int b = 0; b < 8; b++)
            w[i] = w[i] << 8 | p[8 * i + b];
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 80; i++) {
        uint64_t t1 = k + (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) + ((e & f) ^ (~e & g)) +
                      sha512_k[i] + w[i];
        uint64_t t2 = (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

/* SHA-512 (or, with other initial values and 48 bytes kept, SHA-384) of p into out. */
static void sha512(const uint8_t *p, size_t n, bool is384, uint8_t out[64])
{
    static const uint64_t init512[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                                        0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                                        0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};
    static const uint64_t init384[8] = {0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17,
                                        0x152fecd8f70e5939, 0x67332667ffc00b31, 0x8eb44a8768581511,
                                        0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4};
    uint64_t h[8];
    memcpy(h, is384 ? init384 : init512, sizeof h);
    sha2_blocks(p, n, 128, sha512_block, h);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 8; b++)
            out[8 * i + b] = (uint8_t)(h[i] >> (56 - 8 * b));
}

/* sha224/256/384/512(bytea): the digest, a bytea of bits / 8 bytes. */
static void sql_sha2(sqlite3_context *ctx, sqlite3_value **argv, int bits)
{
    if (sql_bytea_any_null(ctx, 1, argv))
        return;
    size_t n;
    const uint8_t *p = sql_bytea_arg(argv[0], &n);
    uint8_t out[64];
    if (bits <= 256)
        sha256(p, n, bits == 224, out);
    else
        sha512(p, n, bits == 384, out);
    sqlite3_result_blob(ctx, out, bits / 8, SQLITE_TRANSIENT);
}

static void sql_fn_sha224(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sql_sha2(ctx, argv, 224);
}

static void sql_fn_sha256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sql_sha2(ctx, argv, 256);
}

static void sql_fn_sha384(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sql_sha2(ctx, argv, 384);
}

static void sql_fn_sha512(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sql_sha2(ctx, argv, 512);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_bytea_defs[] = {
    {"pg_get_byte", 2, D, sql_fn_get_byte, NULL, NULL},
    {"pg_set_byte", 3, D, sql_fn_set_byte, NULL, NULL},
    {"pg_sha224", 1, D, sql_fn_sha224, NULL, NULL},
    {"pg_sha256", 1, D, sql_fn_sha256, NULL, NULL},
    {"pg_sha384", 1, D, sql_fn_sha384, NULL, NULL},
    {"pg_sha512", 1, D, sql_fn_sha512, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
