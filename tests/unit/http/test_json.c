/* Unit tests for the JSON parser and writer: values, escapes and \u surrogates, invalid inputs
 * with their offsets, depth and size limits, writer escaping, and random round trips. */
#include "test.h"

#include <math.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "proto/http/json.h"

#define S(lit) lit, sizeof(lit) - 1

static char *write_value_text(const struct json_value *v)
{
    struct buf b = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &b);
    json_write_value(&w, v);
    if (json_writer_finish(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    buf_append_u8(&b, 0);
    return (char *)b.data;
}

/* Parses text and writes it back. */
static char *reformat(const char *text, size_t len)
{
    struct json_doc doc;
    if (json_parse(&doc, text, len, NULL, NULL) != 0)
        return NULL;
    char *s = write_value_text(doc.root);
    json_doc_free(&doc);
    return s;
}

TEST(scalars)
{
    struct json_doc doc;
    struct errbuf eb;
    CHECK_EQ(json_parse(&doc, S(" null "), NULL, &eb), 0);
    CHECK_EQ(doc.root->type, JSON_NULL);
    json_doc_free(&doc);
    int b = -1;
    CHECK_EQ(json_parse(&doc, S("true"), NULL, &eb), 0);
    CHECK_EQ(json_get_bool(doc.root, &b), 0);
    CHECK_EQ(b, 1);
    json_doc_free(&doc);
    CHECK_EQ(json_parse(&doc, S("\tfalse\r\n"), NULL, &eb), 0);
    CHECK_EQ(json_get_bool(doc.root, &b), 0);
    CHECK_EQ(b, 0);
    json_doc_free(&doc);
}

TEST(numbers)
{
    struct {
        const char *text;
        int is_int;
        int64_t i;
        double d;
    } cases[] = {
        {"0", 1, 0, 0.0},
        {"-0", 1, 0, -0.0},
        {"123", 1, 123, 123.0},
        {"-42", 1, -42, -42.0},
        {"9223372036854775807", 1, INT64_MAX, 9223372036854775807.0},
        {"-9223372036854775808", 1, INT64_MIN, -9223372036854775808.0},
        {"9223372036854775808", 0, 0, 9223372036854775808.0},
        {"-9223372036854775809", 0, 0, -9223372036854775809.0},
        {"1.5", 0, 0, 1.5},
        {"1e3", 0, 0, 1000.0},
        {"1E+2", 0, 0, 100.0},
        {"-1.25e-2", 0, 0, -0.0125},
        {"1.0", 0, 0, 1.0},
        {"1e-400", 0, 0, 0.0}, /* underflow rounds to zero */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct json_doc doc;
        struct errbuf eb;
        int rc = json_parse(&doc, cases[k].text, strlen(cases[k].text), NULL, &eb);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", cases[k].text, eb.msg);
        CHECK_EQ(rc, 0);
        CHECK_EQ(doc.root->type, JSON_NUMBER);
        CHECK_EQ(doc.root->u.num.is_int, cases[k].is_int);
        int64_t i;
        double d;
        CHECK_EQ(json_get_double(doc.root, &d), 0);
        CHECK(d == cases[k].d && signbit(d) == signbit(cases[k].d));
        if (cases[k].is_int) {
            CHECK_EQ(json_get_int64(doc.root, &i), 0);
            CHECK(i == cases[k].i);
        } else {
            CHECK_EQ(json_get_int64(doc.root, &i), (uint64_t)ERR_INVAL);
        }
        json_doc_free(&doc);
    }
}

TEST(strings_and_escapes)
{
    struct {
        const char *text;
        const char *want;
        size_t want_len;
    } cases[] = {
        {"\"\"", S("")},
        {"\"plain\"", S("plain")},
        {"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", S("\"\\/\b\f\n\r\t")},
        {"\"\\u0041\\u00e9\\u20AC\"", S("A\xc3\xa9\xe2\x82\xac")},
        {"\"\\ud83d\\ude00\"", S("\xf0\x9f\x98\x80")},
        {"\"\\uDBFF\\uDFFF\"", S("\xf4\x8f\xbf\xbf")},
        {"\"a\\u0000b\"", S("a\0b")},
        {"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")},
        {"\"\x7f\"", S("\x7f")},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct json_doc doc;
        struct errbuf eb;
        int rc = json_parse(&doc, cases[k].text, strlen(cases[k].text), NULL, &eb);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", cases[k].text, eb.msg);
        CHECK_EQ(rc, 0);
        const char *p;
        size_t n;
        CHECK_EQ(json_get_string(doc.root, &p, &n), 0);
        CHECK_EQ(n, cases[k].want_len);
        CHECK(memcmp(p, cases[k].want, n) == 0);
        CHECK_EQ(p[n], 0);
        json_doc_free(&doc);
    }
}

TEST(objects_arrays_lookup)
{
    const char *t = "{\"a\": [1, 2.5, \"x\", null, {\"deep\": true}], \"b\": {},"
                    " \"c\": [], \"a\\u0000z\": 7, \"dup\": 1, \"dup\": 2}";
    struct json_doc doc;
    struct errbuf eb;
    CHECK_EQ(json_parse(&doc, t, strlen(t), NULL, &eb), 0);
    CHECK_EQ(doc.root->type, JSON_OBJECT);
    CHECK_EQ(doc.root->u.obj.n, 6);
    const struct json_value *a = json_object_get(doc.root, "a");
    CHECK(a != NULL && a->type == JSON_ARRAY && a->u.arr.n == 5);
    int64_t i;
    CHECK_EQ(json_get_int64(json_array_at(a, 0), &i), 0);
    CHECK_EQ(i, 1);
    double d;
    CHECK_EQ(json_get_double(json_array_at(a, 1), &d), 0);
    CHECK(d == 2.5);
    CHECK_EQ(json_array_at(a, 3)->type, JSON_NULL);
    int b;
    CHECK_EQ(json_get_bool(json_object_get(json_array_at(a, 4), "deep"), &b), 0);
    CHECK(b);
    CHECK(json_array_at(a, 5) == NULL);
    CHECK(json_array_at(doc.root, 0) == NULL);
    CHECK_EQ(json_object_get(doc.root, "b")->u.obj.n, 0);
    CHECK_EQ(json_object_get(doc.root, "c")->u.arr.n, 0);
    CHECK(json_object_get(doc.root, "a\0z") != NULL); /* stops at NUL: finds "a" */
    CHECK_EQ(json_get_int64(json_object_getn(doc.root, "a\0z", 3), &i), 0);
    CHECK_EQ(i, 7);
    CHECK_EQ(json_get_int64(json_object_get(doc.root, "dup"), &i), 0);
    CHECK_EQ(i, 2); /* last wins */
    CHECK(json_object_get(doc.root, "missing") == NULL);
    CHECK(json_object_get(a, "a") == NULL);
    const char *p;
    size_t n;
    CHECK_EQ(json_get_string(json_object_get(doc.root, "b"), &p, &n), (uint64_t)ERR_INVAL);
    CHECK_EQ(json_get_string(NULL, &p, &n), (uint64_t)ERR_INVAL);
    json_doc_free(&doc);
}

TEST(invalid_inputs_with_offsets)
{
    struct {
        const char *text;
        size_t len;
        int rc;
        size_t off;
    } cases[] = {
        {S(""), ERR_MALFORMED, 0},
        {S("   "), ERR_MALFORMED, 3},
        {S("["), ERR_MALFORMED, 1},
        {S("[1,]"), ERR_MALFORMED, 3},
        {S("[1 2]"), ERR_MALFORMED, 3},
        {S("{\"a\":1,}"), ERR_MALFORMED, 7},
        {S("{a:1}"), ERR_MALFORMED, 1},
        {S("{\"a\" 1}"), ERR_MALFORMED, 5},
        {S("{\"a\":}"), ERR_MALFORMED, 5},
        {S("01"), ERR_MALFORMED, 1},
        {S("1."), ERR_MALFORMED, 2},
        {S(".5"), ERR_MALFORMED, 0},
        {S("-"), ERR_MALFORMED, 1},
        {S("-a"), ERR_MALFORMED, 1},
        {S("1e"), ERR_MALFORMED, 2},
        {S("1e+"), ERR_MALFORMED, 3},
        {S("+1"), ERR_MALFORMED, 0},
        {S("NaN"), ERR_MALFORMED, 0},
        {S("Infinity"), ERR_MALFORMED, 0},
        {S("tru"), ERR_MALFORMED, 0},
        {S("nulll"), ERR_MALFORMED, 4},
        {S("\"abc"), ERR_MALFORMED, 4},
        {S("\"abc\\\""), ERR_MALFORMED, 6},
        {S("\"\\x\""), ERR_MALFORMED, 1},
        {S("\"\\u12\""), ERR_MALFORMED, 3},
        {S("\"\\u12G4\""), ERR_MALFORMED, 3},
        {S("\"\\ud800\""), ERR_MALFORMED, 1},
        {S("\"\\udc00\""), ERR_MALFORMED, 1},
        {S("\"ab\\ud800\\u0041\""), ERR_MALFORMED, 3},
        {S("\"\\ud800\\n\""), ERR_MALFORMED, 1},
        {S("\"a\x01\""), ERR_MALFORMED, 2},
        {S("\"\n\""), ERR_MALFORMED, 1},
        {S("\"\xff\""), ERR_MALFORMED, 1},
        {S("\"\xc0\xaf\""), ERR_MALFORMED, 1},         /* overlong '/' */
        {S("\"\xed\xa0\x80\""), ERR_MALFORMED, 1},     /* UTF-8-encoded surrogate */
        {S("\"\xf4\x90\x80\x80\""), ERR_MALFORMED, 1}, /* beyond U+10FFFF */
        {S("\"\xe2\x82\""), ERR_MALFORMED, 1},         /* truncated */
        {S("[1] 2"), ERR_MALFORMED, 4},
        {S("\xef\xbb\xbf[]"), ERR_MALFORMED, 0}, /* BOM */
        {S("/* c */ 1"), ERR_MALFORMED, 0},
        {S("[1,\0]"), ERR_MALFORMED, 3},
        {S("1e400"), ERR_RANGE, 0},
        {S("[-1e999]"), ERR_RANGE, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct json_doc doc;
        struct errbuf eb;
        int rc = json_parse(&doc, cases[k].text, cases[k].len, NULL, &eb);
        if (rc != cases[k].rc || doc.error_offset != cases[k].off)
            fprintf(stderr, "  case %zu: rc %d off %zu: %s\n", k, rc, doc.error_offset, eb.msg);
        CHECK_EQ(rc, cases[k].rc);
        CHECK_EQ(doc.error_offset, cases[k].off);
        CHECK(doc.root == NULL);
        char want[32];
        snprintf(want, sizeof want, "at byte %zu", cases[k].off);
        CHECK(strstr(eb.msg, want) != NULL);
        json_doc_free(&doc);
    }
}

TEST(depth_and_size_limits)
{
    size_t n = 100000;
    char *deep = malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    struct json_doc doc;
    struct errbuf eb;
    /* Exactly the default depth parses; one more level does not. */
    size_t ok = JSON_DEPTH_MAX_DEFAULT;
    CHECK_EQ(json_parse(&doc, deep + n - ok, 2 * ok, NULL, &eb), 0);
    json_doc_free(&doc);
    CHECK_EQ(json_parse(&doc, deep + n - ok - 1, 2 * ok + 2, NULL, &eb), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(doc.error_offset, ok);
    /* Far too deep fails at the limit without recursing further. */
    CHECK_EQ(json_parse(&doc, deep, 2 * n, NULL, &eb), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(doc.error_offset, JSON_DEPTH_MAX_DEFAULT);
    struct json_limits lim = {.depth_max = 3};
    CHECK_EQ(json_parse(&doc, S("[{\"a\":[]}]"), &lim, &eb), 0);
    json_doc_free(&doc);
    CHECK_EQ(json_parse(&doc, S("[{\"a\":[[]]}]"), &lim, &eb), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(doc.error_offset, 7);
    /* A configured depth is capped to what the C stack is known to take. */
    lim.depth_max = 1000000;
    CHECK_EQ(json_parse(&doc, deep, 2 * n, &lim, &eb), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(doc.error_offset, JSON_DEPTH_MAX_LIMIT);
    lim.depth_max = JSON_DEPTH_MAX_LIMIT;
    CHECK_EQ(json_parse(&doc, deep + n - JSON_DEPTH_MAX_LIMIT, 2 * JSON_DEPTH_MAX_LIMIT, &lim, &eb),
             0);
    /* Deep documents write back out. */
    char *s = write_value_text(doc.root);
    CHECK(s != NULL && strlen(s) == 2 * JSON_DEPTH_MAX_LIMIT);
    free(s);
    json_doc_free(&doc);
    free(deep);

    struct json_limits small = {.input_bytes_max = 10};
    CHECK_EQ(json_parse(&doc, S("[1,2,3,4,5]"), &small, &eb), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(json_parse(&doc, S("[1,2,3,45]"), &small, &eb), 0);
    json_doc_free(&doc);
}

TEST(long_tokens)
{
    /* A long number and a long string, bigger than any internal stack buffer or arena block. */
    size_t n = 300000;
    char *t = malloc(n + 3);
    t[0] = '1';
    memset(t + 1, '0', n - 3);
    memcpy(t + n - 2, ".5", 2);
    struct json_doc doc;
    struct errbuf eb;
    CHECK_EQ(json_parse(&doc, t, n, NULL, &eb), (uint64_t)ERR_RANGE);
    memset(t, 'x', n + 2);
    t[0] = '"';
    t[n + 1] = '"';
    CHECK_EQ(json_parse(&doc, t, n + 2, NULL, &eb), 0);
    CHECK_EQ(doc.root->u.str.len, n);
    json_doc_free(&doc);
    free(t);
}

TEST(writer_shapes_and_escapes)
{
    struct buf b = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &b);
    json_write_object_begin(&w);
    json_write_key(&w, "s");
    json_write_str(&w, "q\"b\\n\n\t\x01\x1f\0z\x7f", 12);
    json_write_key(&w, "utf8");
    json_write_cstr(&w, "\xc3\xa9\xf0\x9f\x98\x80");
    json_write_key(&w, "bad");
    json_write_cstr(&w, "a\xff"
                        "b\xc3"
                        "c\xed\xa0\x80");
    json_write_keyn(&w, "k\0ey", 4);
    json_write_array_begin(&w);
    json_write_int64(&w, INT64_MIN);
    json_write_uint64(&w, UINT64_MAX);
    json_write_double(&w, 0.1);
    json_write_double(&w, 100.0);
    json_write_double(&w, -0.0);
    json_write_double(&w, 1e300);
    json_write_double(&w, 1.5e-7);
    json_write_double(&w, NAN);
    json_write_double(&w, -INFINITY);
    json_write_bool(&w, 1);
    json_write_bool(&w, 0);
    json_write_null(&w);
    json_write_array_begin(&w);
    json_write_array_end(&w);
    json_write_object_begin(&w);
    json_write_object_end(&w);
    json_write_array_end(&w);
    json_write_object_end(&w);
    CHECK_EQ(json_writer_finish(&w), 0);
    buf_append_u8(&b, 0);
    CHECK_STR((char *)b.data,
              "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u001f\\u0000z\x7f\","
              "\"utf8\":\"\xc3\xa9\xf0\x9f\x98\x80\","
              "\"bad\":\"a\xef\xbf\xbd"
              "b\xef\xbf\xbd"
              "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
              "\"k\\u0000ey\":[-9223372036854775808,18446744073709551615,0.1,100.0,-0.0,"
              "1e+300,1.5e-07,null,null,true,false,null,[],{}]}");
    /* Always valid JSON, always valid UTF-8. */
    CHECK(json_utf8_valid(b.data, b.len - 1));
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, b.data, b.len - 1, NULL, NULL), 0);
    const char *p;
    size_t n;
    CHECK_EQ(json_get_string(json_object_get(doc.root, "s"), &p, &n), 0);
    CHECK_EQ(n, 12);
    CHECK(memcmp(p, "q\"b\\n\n\t\x01\x1f\0z\x7f", 12) == 0);
    CHECK(json_object_getn(doc.root, "k\0ey", 4) != NULL);
    json_doc_free(&doc);
    buf_free(&b);
}

TEST(utf8_validation)
{
    CHECK(json_utf8_valid("", 0));
    CHECK(json_utf8_valid(S("plain \x7f")));
    CHECK(json_utf8_valid(
        S("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")));
    CHECK(!json_utf8_valid(S("\x80")));
    CHECK(!json_utf8_valid(S("\xc1\xbf")));
    CHECK(!json_utf8_valid(S("\xe0\x9f\xbf")));
    CHECK(!json_utf8_valid(S("\xed\xbf\xbf")));
    CHECK(!json_utf8_valid(S("\xf0\x8f\xbf\xbf")));
    CHECK(!json_utf8_valid(S("\xf4\x90\x80\x80")));
    CHECK(!json_utf8_valid(S("\xf5\x80\x80\x80")));
    CHECK(!json_utf8_valid(S("ok\xe2\x82")));
    CHECK_EQ(json_utf8_seq_len((const uint8_t *)"\xe2\x82\xac", 3), 3);
    CHECK_EQ(json_utf8_seq_len((const uint8_t *)"\xe2\x82\xac", 2), 0);
}

/* ---- Random round trips ---- */

static void random_string(struct rng *r, struct buf *b, int valid_utf8)
{
    size_t n = (size_t)rng_below(r, 12);
    for (size_t i = 0; i < n; i++) {
        switch (rng_below(r, 6)) {
        case 0:
            buf_append_u8(b, (uint8_t)rng_below(r, 0x20)); /* control, NUL included */
            break;
        case 1:
            buf_append(b, "\"\\/", 3);
            break;
        case 2:
            buf_append(b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
            break;
        case 3:
            if (!valid_utf8) {
                buf_append_u8(b, (uint8_t)(0x80 + rng_below(r, 0x80)));
                break;
            }
            /* fallthrough */
        default:
            buf_append_u8(b, (uint8_t)(0x20 + rng_below(r, 0x5f)));
        }
    }
}

static double random_double(struct rng *r)
{
    for (;;) {
        uint64_t bits = rng_next(r);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            return d;
    }
}

static void random_value(struct rng *r, struct json_writer *w, int depth)
{
    uint64_t kind = rng_below(r, depth > 4 ? 6 : 8);
    struct buf s = BUF_INIT;
    switch (kind) {
    case 0:
        json_write_null(w);
        break;
    case 1:
        json_write_bool(w, (int)rng_below(r, 2));
        break;
    case 2:
        json_write_int64(w, (int64_t)rng_next(r) >> rng_below(r, 64));
        break;
    case 3:
        json_write_double(w, random_double(r));
        break;
    case 4:
    case 5:
        random_string(r, &s, 1);
        json_write_str(w, (const char *)s.data, s.len);
        break;
    case 6: {
        json_write_array_begin(w);
        uint64_t n = rng_below(r, 5);
        for (uint64_t i = 0; i < n; i++)
            random_value(r, w, depth + 1);
        json_write_array_end(w);
        break;
    }
    default: {
        json_write_object_begin(w);
        uint64_t n = rng_below(r, 5);
        for (uint64_t i = 0; i < n; i++) {
            buf_reset(&s);
            random_string(r, &s, 1);
            json_write_keyn(w, (const char *)s.data, s.len);
            random_value(r, w, depth + 1);
        }
        json_write_object_end(w);
        break;
    }
    }
    buf_free(&s);
}

TEST(random_round_trips)
{
    struct rng r;
    rng_seed(&r, 20261121);
    for (int iter = 0; iter < 2000; iter++) {
        struct buf b = BUF_INIT;
        struct json_writer w;
        json_writer_init(&w, &b);
        random_value(&r, &w, 0);
        CHECK_EQ(json_writer_finish(&w), 0);
        /* Written text parses, and writing the parse gives the same text back. */
        char *again = reformat((const char *)b.data, b.len);
        CHECK(again != NULL);
        CHECK_EQ(strlen(again), b.len);
        CHECK(memcmp(again, b.data, b.len) == 0);
        free(again);
        buf_free(&b);
    }
}

TEST(random_doubles_exact)
{
    struct rng r;
    rng_seed(&r, 7);
    for (int iter = 0; iter < 20000; iter++) {
        double d = iter < 10000 ? random_double(&r) : (double)(int64_t)rng_next(&r) / 1024.0;
        struct buf b = BUF_INIT;
        struct json_writer w;
        json_writer_init(&w, &b);
        json_write_double(&w, d);
        CHECK_EQ(json_writer_finish(&w), 0);
        struct json_doc doc;
        struct errbuf eb;
        CHECK_EQ(json_parse(&doc, b.data, b.len, NULL, &eb), 0);
        CHECK_EQ(doc.root->u.num.is_int, 0);
        CHECK(memcmp(&doc.root->u.num.d, &d, sizeof d) == 0);
        json_doc_free(&doc);
        buf_free(&b);
    }
}

TEST(invalid_utf8_is_replaced_not_lost)
{
    struct rng r;
    rng_seed(&r, 99);
    for (int iter = 0; iter < 2000; iter++) {
        struct buf s = BUF_INIT, b = BUF_INIT;
        random_string(&r, &s, 0);
        CHECK_EQ(json_append_string(&b, (const char *)s.data, s.len), 0);
        struct json_doc doc;
        struct errbuf eb;
        CHECK_EQ(json_parse(&doc, b.data, b.len, NULL, &eb), 0);
        const char *p;
        size_t n;
        CHECK_EQ(json_get_string(doc.root, &p, &n), 0);
        CHECK(json_utf8_valid(p, n));
        if (json_utf8_valid(s.data, s.len)) {
            CHECK_EQ(n, s.len);
            CHECK(n == 0 || memcmp(p, s.data, n) == 0);
        } else {
            CHECK(memmem(p, n, "\xef\xbf\xbd", 3) != NULL);
        }
        json_doc_free(&doc);
        buf_free(&s);
        buf_free(&b);
    }
}

TEST_MAIN()
