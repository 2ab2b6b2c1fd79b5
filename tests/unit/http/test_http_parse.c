/* Unit tests for the HTTP request parser and response writer: valid and invalid requests, each
 * fed whole, split at every byte boundary and byte by byte (the results must not differ),
 * pipelining, chunked bodies, limits. */
#include "test.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "proto/http/http.h"
#include "proto/http/json.h"

/* ---- A canonical summary of everything the parser produced for a byte stream ---- */

static void put_escaped(struct buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x21 && c < 0x7f && c != '\\' && c != '|')
            buf_append_u8(b, c);
        else
            buf_printf(b, "\\x%02x", c);
    }
}

static void summarize_request(struct buf *b, const struct http_request *r)
{
    buf_printf(b, "REQ %s(%d) target=", r->method_name, (int)r->method);
    put_escaped(b, r->target, r->target_len);
    buf_printf(b, " path=");
    put_escaped(b, r->path, r->path_len);
    if (r->query != NULL) {
        buf_printf(b, " query=");
        put_escaped(b, r->query, r->query_len);
    }
    for (size_t i = 0; i < r->n_params; i++) {
        buf_printf(b, " p[");
        put_escaped(b, r->params[i].name, r->params[i].name_len);
        if (r->params[i].has_value) {
            buf_printf(b, "=");
            put_escaped(b, r->params[i].value, r->params[i].value_len);
        }
        buf_printf(b, "]");
    }
    buf_printf(b, " v=1.%d", r->version_minor);
    for (size_t i = 0; i < r->n_headers; i++) {
        buf_printf(b, " h[%s|", r->headers[i].name);
        put_escaped(b, r->headers[i].value, strlen(r->headers[i].value));
        buf_printf(b, "]");
    }
    if (r->has_content_length)
        buf_printf(b, " cl=%llu", (unsigned long long)r->content_length);
    buf_printf(b, " chunked=%d ka=%d expect=%d body=", r->chunked, r->keep_alive,
               r->expect_continue);
    put_escaped(b, (const char *)r->body.data, r->body.len);
    buf_printf(b, "\n");
}

/* Feeds stream[0..len) in pieces of the given sizes (cycled; 0 = whole) and summarizes every
 * request or error. */
static void run_parser(const char *stream, size_t len, const size_t *pieces, size_t n_pieces,
                       size_t body_max, struct buf *out)
{
    struct http_parser p;
    http_parser_init(&p, body_max);
    size_t off = 0, k = 0;
    int failed = 0;
    while (off < len && !failed) {
        size_t piece = n_pieces ? pieces[k++ % n_pieces] : len;
        if (piece > len - off)
            piece = len - off;
        size_t pos = 0;
        while (pos < piece) {
            size_t used = 0;
            struct errbuf eb;
            int rc = http_parser_feed(&p, stream + off + pos, piece - pos, &used, &eb);
            pos += used;
            if (rc == ERR_NEEDMORE) {
                if (pos != piece)
                    buf_printf(out, "BUG needmore without consuming\n");
                break;
            }
            if (rc != 0) {
                buf_printf(out, "ERR %s status=%d msg=%s\n", err_name(rc), p.status, eb.msg);
                failed = 1;
                break;
            }
            struct http_request r;
            http_parser_take(&p, &r);
            summarize_request(out, &r);
            http_request_free(&r);
        }
        off += piece;
    }
    if (!failed && http_parser_started(&p))
        buf_printf(out, "INCOMPLETE head_done=%d\n", http_parser_head_done(&p));
    http_parser_free(&p);
}

static char *summary(const char *stream, size_t len, size_t body_max)
{
    struct buf b = BUF_INIT;
    run_parser(stream, len, NULL, 0, body_max, &b);
    buf_append_u8(&b, 0);
    return (char *)b.data;
}

/* Checks that every way of splitting stream gives the same summary as feeding it whole. */
static int split_invariant(const char *stream, size_t len, size_t body_max)
{
    char *whole = summary(stream, len, body_max);
    int ok = 1;
    for (size_t cut = 1; cut < len && ok; cut++) {
        struct buf b = BUF_INIT;
        size_t pieces[2] = {cut, len};
        run_parser(stream, len, pieces, 2, body_max, &b);
        buf_append_u8(&b, 0);
        if (strcmp((char *)b.data, whole) != 0) {
            fprintf(stderr, "  split at %zu differs:\n%s  vs whole:\n%s", cut, (char *)b.data,
                    whole);
            ok = 0;
        }
        buf_free(&b);
    }
    size_t ones[1] = {1}, threes[3] = {3, 1, 7};
    for (int mode = 0; mode < 2 && ok; mode++) {
        struct buf b = BUF_INIT;
        run_parser(stream, len, mode ? threes : ones, mode ? 3 : 1, body_max, &b);
        buf_append_u8(&b, 0);
        if (strcmp((char *)b.data, whole) != 0) {
            fprintf(stderr, "  piecewise feed differs:\n%s  vs whole:\n%s", (char *)b.data, whole);
            ok = 0;
        }
        buf_free(&b);
    }
    free(whole);
    return ok;
}

#define S(lit) lit, sizeof(lit) - 1

/* ---- Valid requests ---- */

TEST(simple_get_fields)
{
    const char *m = "GET /v1/kv/a%2Fb%00c?limit=10&prefix=x+y%21&flag&&empty= HTTP/1.1\r\n"
                    "Host: example\r\n"
                    "X-Thing:   padded value \t\r\n"
                    "x-thing: second\r\n"
                    "\r\n";
    struct http_parser p;
    http_parser_init(&p, 0);
    size_t used;
    struct errbuf eb;
    CHECK_EQ(http_parser_feed(&p, m, strlen(m), &used, &eb), 0);
    CHECK_EQ(used, strlen(m));
    struct http_request *r = &p.req;
    CHECK_EQ(r->method, HTTP_GET);
    CHECK_STR(r->method_name, "GET");
    CHECK_EQ(r->target_len, strlen("/v1/kv/a%2Fb%00c?limit=10&prefix=x+y%21&flag&&empty="));
    CHECK(memcmp(r->target, "/v1/kv/a%2Fb%00c?", 17) == 0);
    CHECK_EQ(r->path_len, 12);
    CHECK(memcmp(r->path, "/v1/kv/a/b\0c", 12) == 0);
    CHECK_EQ(r->n_params, 4);
    const struct http_query_param *q = http_request_param(r, "limit");
    CHECK(q != NULL && q->value_len == 2 && memcmp(q->value, "10", 2) == 0);
    q = http_request_param(r, "prefix");
    CHECK(q != NULL && q->value_len == 4 && memcmp(q->value, "x y!", 4) == 0);
    q = http_request_param(r, "flag");
    CHECK(q != NULL && !q->has_value && q->value_len == 0);
    q = http_request_param(r, "empty");
    CHECK(q != NULL && q->has_value && q->value_len == 0);
    CHECK(http_request_param(r, "missing") == NULL);
    CHECK_EQ(r->version_minor, 1);
    CHECK_EQ(r->n_headers, 3);
    CHECK_STR(http_request_header(r, "HOST"), "example");
    CHECK_STR(http_request_header(r, "x-THING"), "padded value");
    CHECK(http_request_header(r, "X-Missing") == NULL);
    CHECK(r->keep_alive);
    CHECK(!r->has_content_length && !r->chunked && !r->expect_continue);
    CHECK_EQ(r->body.len, 0);
    http_parser_free(&p);
    CHECK(split_invariant(m, strlen(m), 0));
}

TEST(post_with_content_length_and_continue)
{
    const char *m = "PUT /k HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
                    "Expect: 100-Continue\r\n\r\nhello world";
    struct http_parser p;
    http_parser_init(&p, 0);
    size_t used;
    struct errbuf eb;
    size_t head_len = strlen(m) - 11;
    /* Head alone: head done, body pending. */
    CHECK_EQ(http_parser_feed(&p, m, head_len, &used, &eb), (uint64_t)ERR_NEEDMORE);
    CHECK_EQ(used, head_len);
    CHECK(http_parser_head_done(&p));
    CHECK(p.req.expect_continue);
    CHECK_EQ(p.req.content_length, 11);
    CHECK_EQ(http_parser_feed(&p, m + head_len, 11, &used, &eb), 0);
    CHECK_EQ(used, 11);
    CHECK_EQ(p.req.body.len, 11);
    CHECK(memcmp(p.req.body.data, "hello world", 11) == 0);
    CHECK_EQ(p.req.method, HTTP_PUT);
    http_parser_free(&p);
    CHECK(split_invariant(m, strlen(m), 0));
}

TEST(chunked_body_decoded)
{
    const char *m =
        "POST /v1/kv HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip-not, chunked\r\n\r\n";
    /* gzip-not is an unknown coding: 501. */
    char *s = summary(m, strlen(m), 0);
    CHECK(strstr(s, "ERR UNSUPPORTED status=501") == s);
    free(s);

    const char *c = "POST /v1/kv HTTP/1.1\r\nHost: h\r\ntransfer-encoding:  Chunked \r\n\r\n"
                    "5\r\nhello\r\n"
                    "1;ext=1;name=\"q\"\r\n \r\n"
                    "0000A \t;x\r\n0123456789\r\n"
                    "0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n";
    struct http_parser p;
    http_parser_init(&p, 0);
    size_t used;
    struct errbuf eb;
    CHECK_EQ(http_parser_feed(&p, c, strlen(c), &used, &eb), 0);
    CHECK_EQ(used, strlen(c));
    CHECK(p.req.chunked);
    CHECK_EQ(p.req.body.len, 16);
    CHECK(memcmp(p.req.body.data, "hello 0123456789", 16) == 0);
    http_parser_free(&p);
    CHECK(split_invariant(c, strlen(c), 0));
}

TEST(versions_and_connection)
{
    struct {
        const char *m;
        int minor, keep_alive;
    } cases[] = {
        {"GET / HTTP/1.0\r\n\r\n", 0, 0},
        {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, 1},
        {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0, 0},
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, 1},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, CLOSE\r\n\r\n", 1, 0},
        {"GET / HTTP/1.7\r\nHost: a\r\n\r\n", 1, 1},
        /* Bare LF line ends and leading blank lines are accepted. */
        {"\r\n\nGET / HTTP/1.1\nHost: a\n\n", 1, 1},
        /* Expect is ignored for 1.0. */
        {"GET / HTTP/1.0\r\nExpect: something\r\n\r\n", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_parser p;
        http_parser_init(&p, 0);
        size_t used;
        struct errbuf eb;
        CHECK_EQ(http_parser_feed(&p, cases[i].m, strlen(cases[i].m), &used, &eb), 0);
        CHECK_EQ(used, strlen(cases[i].m));
        CHECK_EQ(p.req.version_minor, cases[i].minor);
        CHECK_EQ(p.req.keep_alive, cases[i].keep_alive);
        CHECK_EQ(p.req.path_len, 1);
        http_parser_free(&p);
        CHECK(split_invariant(cases[i].m, strlen(cases[i].m), 0));
    }
}

TEST(target_forms)
{
    struct {
        const char *target, *path, *query;
    } cases[] = {
        {"/", "/", NULL},
        {"/a/b/../c", "/a/b/../c", NULL},
        {"/a?", "/a", ""},
        {"/a%20b+c", "/a b+c", NULL},
        {"http://example.com:8080/x%41?y=1", "/xA", "y=1"},
        {"HTTPS://example.com", "/", NULL},
        {"http://example.com?q", "/", "q"},
        {"*", "*", NULL},
        {"/\xc3\xa9t\xc3\xa9", "/\xc3\xa9t\xc3\xa9", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char m[256];
        snprintf(m, sizeof m, "OPTIONS %s HTTP/1.1\r\nHost: a\r\n\r\n", cases[i].target);
        struct http_parser p;
        http_parser_init(&p, 0);
        size_t used;
        struct errbuf eb;
        int rc = http_parser_feed(&p, m, strlen(m), &used, &eb);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", cases[i].target, eb.msg);
        CHECK_EQ(rc, 0);
        CHECK_EQ(p.req.method, HTTP_OPTIONS);
        CHECK_STR(p.req.target, cases[i].target);
        CHECK_EQ(p.req.path_len, strlen(cases[i].path));
        CHECK_STR(p.req.path, cases[i].path);
        if (cases[i].query == NULL) {
            CHECK(p.req.query == NULL);
        } else {
            CHECK(p.req.query != NULL);
            CHECK_EQ(p.req.query_len, strlen(cases[i].query));
            CHECK(memcmp(p.req.query, cases[i].query, p.req.query_len) == 0);
        }
        http_parser_free(&p);
    }
}

/* ---- Invalid requests ---- */

TEST(invalid_requests)
{
    struct {
        const char *m;
        size_t len;
        int rc, status;
    } cases[] = {
        {S("GET / HTTP/1.1\r\n\r\n"), ERR_MALFORMED, 400}, /* no Host */
        {S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET /\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), ERR_UNSUPPORTED, 505},
        {S("GET / http/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GETGETGETGETGETGET / HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET a HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET /?a=%G0 HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"), ERR_MALFORMED, 400},
        {S("GET / HTTP/1.1\r\nHost: a\r\n\rX"), ERR_MALFORMED, 400},
        {S("\rGET / HTTP/1.1\r\n"), ERR_MALFORMED, 400},
        {S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), ERR_MALFORMED, 400}, /* TLS hello */
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"), ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n"), ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
         ERR_TOOBIG, 413},
        {S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
           "Transfer-Encoding: chunked\r\n\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), ERR_UNSUPPORTED, 501},
        {S("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), ERR_UNSUPPORTED, 417},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nx\r\n"), ERR_MALFORMED,
         400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\nab"), ERR_MALFORMED,
         400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\na\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\x01\r\na\r\n"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "11111111111111111\r\n"),
         ERR_TOOBIG, 413},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\rx"),
         ERR_MALFORMED, 400},
        {S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\rx"),
         ERR_MALFORMED, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = summary(cases[i].m, cases[i].len, 0);
        char want[64];
        snprintf(want, sizeof want, "ERR %s status=%d msg=", err_name(cases[i].rc),
                 cases[i].status);
        if (strncmp(s, want, strlen(want)) != 0)
            fprintf(stderr, "  case %zu: got %s", i, s);
        CHECK(strncmp(s, want, strlen(want)) == 0);
        CHECK(strlen(s) > strlen(want) + 1); /* says what was malformed */
        free(s);
        CHECK(split_invariant(cases[i].m, cases[i].len, 0));
    }
}

TEST(errors_are_sticky_and_reset_clears)
{
    struct http_parser p;
    http_parser_init(&p, 0);
    size_t used;
    struct errbuf eb;
    const char *bad = "BAD\x01 / HTTP/1.1\r\n";
    CHECK_EQ(http_parser_feed(&p, bad, strlen(bad), &used, &eb), (uint64_t)ERR_MALFORMED);
    CHECK_EQ(p.status, 400);
    CHECK(strstr(eb.msg, "control character") != NULL);
    struct errbuf eb2;
    CHECK_EQ(http_parser_feed(&p, "GET", 3, &used, &eb2), (uint64_t)ERR_MALFORMED);
    CHECK_STR(eb2.msg, eb.msg);
    http_parser_reset(&p);
    const char *good = "GET / HTTP/1.0\r\n\r\n";
    CHECK_EQ(http_parser_feed(&p, good, strlen(good), &used, &eb), 0);
    http_parser_free(&p);
}

/* ---- Pipelining ---- */

TEST(pipelined_requests_in_order)
{
    const char *m = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                    "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    "PUT /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "2\r\nxy\r\n0\r\n\r\n"
                    "DELETE /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    "GET /partial HTTP/1.1\r\nHo";
    char *s = summary(m, strlen(m), 0);
    const char *one = strstr(s, "REQ GET(1) target=/one");
    const char *two = strstr(s, "REQ POST(3) target=/two");
    const char *three = strstr(s, "REQ PUT(4) target=/three");
    const char *four = strstr(s, "REQ DELETE(5) target=/four");
    const char *part = strstr(s, "INCOMPLETE head_done=0");
    CHECK(one && two && three && four && part);
    CHECK(one < two && two < three && three < four && four < part);
    CHECK(strstr(two, "body=abc\n") != NULL);
    CHECK(strstr(three, "chunked=1 ka=1 expect=0 body=xy\n") != NULL);
    CHECK(strstr(four, "ka=0") != NULL);
    free(s);
    CHECK(split_invariant(m, strlen(m), 0));
}

/* ---- Limits ---- */

static char *repeat_request(const char *prefix, char fill, size_t n, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *m = malloc(pl + n + sl + 1);
    memcpy(m, prefix, pl);
    memset(m + pl, fill, n);
    memcpy(m + pl + n, suffix, sl + 1);
    return m;
}

TEST(limits)
{
    /* Target at the limit passes; one more byte is 414. */
    char *m =
        repeat_request("GET /", 'a', HTTP_TARGET_BYTES_MAX - 1, " HTTP/1.1\r\nHost: a\r\n\r\n");
    char *s = summary(m, strlen(m), 0);
    CHECK(strncmp(s, "REQ GET", 7) == 0);
    free(s);
    free(m);
    m = repeat_request("GET /", 'a', HTTP_TARGET_BYTES_MAX, " HTTP/1.1\r\nHost: a\r\n\r\n");
    s = summary(m, strlen(m), 0);
    CHECK(strncmp(s, "ERR TOOBIG status=414", 21) == 0);
    free(s);
    free(m);
    /* A request line that never ends is cut at the line limit, before the head limit. */
    m = repeat_request("GET /", 'a', HTTP_HEADER_BYTES_MAX * 2, "");
    s = summary(m, strlen(m), 0);
    CHECK(strncmp(s, "ERR TOOBIG status=414", 21) == 0);
    free(s);
    free(m);

    /* Header count. */
    struct buf b = BUF_INIT;
    buf_printf(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < HTTP_HEADER_COUNT_MAX; i++)
        buf_printf(&b, "X-%d: v\r\n", i);
    buf_printf(&b, "\r\n");
    s = summary((char *)b.data, b.len, 0);
    CHECK(strncmp(s, "REQ GET", 7) == 0);
    free(s);
    b.len -= 2;
    buf_printf(&b, "X-last: v\r\n\r\n");
    s = summary((char *)b.data, b.len, 0);
    CHECK(strncmp(s, "ERR TOOBIG status=431", 21) == 0);
    free(s);
    CHECK(split_invariant((char *)b.data, b.len, 0));
    buf_free(&b);

    /* Header bytes. */
    m = repeat_request("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", 'v', HTTP_HEADER_BYTES_MAX,
                       "\r\n\r\n");
    s = summary(m, strlen(m), 0);
    CHECK(strncmp(s, "ERR TOOBIG status=431", 21) == 0);
    free(s);
    free(m);

    /* Query parameter count. */
    b = (struct buf)BUF_INIT;
    buf_printf(&b, "GET /?");
    for (int i = 0; i <= HTTP_QUERY_PARAMS_MAX; i++)
        buf_printf(&b, "p%d=%d&", i, i);
    buf_printf(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
    s = summary((char *)b.data, b.len, 0);
    CHECK(strncmp(s, "ERR TOOBIG status=414", 21) == 0);
    free(s);
    buf_free(&b);
}

TEST(body_limits)
{
    const size_t max = 16;
    const char *at = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n0123456789abcdef";
    char *s = summary(at, strlen(at), max);
    CHECK(strstr(s, "body=0123456789abcdef\n") != NULL);
    free(s);
    const char *over = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n";
    s = summary(over, strlen(over), max);
    CHECK(strncmp(s, "ERR TOOBIG status=413", 21) == 0);
    free(s);
    const char *ch_at = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n";
    s = summary(ch_at, strlen(ch_at), max);
    CHECK(strstr(s, "body=0123456789abcdef\n") != NULL);
    free(s);
    const char *ch_over = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "8\r\n01234567\r\n9\r\n";
    s = summary(ch_over, strlen(ch_over), max);
    CHECK(strncmp(s, "ERR TOOBIG status=413", 21) == 0);
    free(s);
    CHECK(split_invariant(ch_over, strlen(ch_over), max));
    /* The default limit takes a 1 MiB value with room to spare. */
    struct http_parser p;
    http_parser_init(&p, 0);
    CHECK(p.body_bytes_max >= (1u << 20) + 4096);
    http_parser_free(&p);
}

/* ---- Random well-formed requests, random splits ---- */

TEST(random_requests_round_trip)
{
    struct rng r;
    rng_seed(&r, 42);
    for (int iter = 0; iter < 300; iter++) {
        struct buf m = BUF_INIT, body = BUF_INIT;
        size_t body_len = (size_t)rng_below(&r, 3000);
        for (size_t i = 0; i < body_len; i++)
            buf_append_u8(&body, (uint8_t)rng_next(&r));
        int chunked = (int)rng_below(&r, 2);
        buf_printf(&m, "PUT /k%d HTTP/1.1\r\nHost: h\r\n", iter);
        size_t nh = (size_t)rng_below(&r, 10);
        for (size_t i = 0; i < nh; i++)
            buf_printf(&m, "X-H%zu: %llu\r\n", i, (unsigned long long)rng_next(&r));
        if (chunked) {
            buf_printf(&m, "Transfer-Encoding: chunked\r\n\r\n");
            size_t off = 0;
            while (off < body_len) {
                size_t n = 1 + (size_t)rng_below(&r, 700);
                if (n > body_len - off)
                    n = body_len - off;
                buf_printf(&m, "%zx\r\n", n);
                buf_append(&m, body.data + off, n);
                buf_printf(&m, "\r\n");
                off += n;
            }
            buf_printf(&m, "0\r\n\r\n");
        } else {
            buf_printf(&m, "Content-Length: %zu\r\n\r\n", body_len);
            buf_append(&m, body.data, body_len);
        }
        /* Feed in random pieces. */
        struct http_parser p;
        http_parser_init(&p, 0);
        size_t off = 0;
        int rc = ERR_NEEDMORE;
        while (off < m.len) {
            size_t piece = 1 + (size_t)rng_below(&r, 512);
            if (piece > m.len - off)
                piece = m.len - off;
            size_t used;
            struct errbuf eb;
            rc = http_parser_feed(&p, m.data + off, piece, &used, &eb);
            off += used;
            if (rc != ERR_NEEDMORE)
                break;
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(off, m.len);
        CHECK_EQ(p.req.n_headers, nh + 2);
        CHECK_EQ(p.req.chunked, chunked);
        CHECK_EQ(p.req.body.len, body_len);
        CHECK(body_len == 0 || memcmp(p.req.body.data, body.data, body_len) == 0);
        http_parser_free(&p);
        buf_free(&m);
        buf_free(&body);
    }
}

/* ---- Response writer ---- */

TEST(response_writer)
{
    struct buf out = BUF_INIT;
    struct http_header h[] = {{"Content-Type", "application/json"}, {"ETag", "\"42\""}};
    struct http_response r = {.status = 200,
                              .headers = h,
                              .n_headers = 2,
                              .body = "{}",
                              .body_len = 2,
                              .date = "Sun, 06 Nov 1994 08:49:37 GMT"};
    CHECK_EQ(http_response_write(&out, &r, NULL), 0);
    buf_append_u8(&out, 0);
    CHECK_STR((char *)out.data, "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                "Content-Type: application/json\r\nETag: \"42\"\r\n"
                                "Content-Length: 2\r\n\r\n{}");
    buf_reset(&out);
    r = (struct http_response){.status = 404, .body = "x", .body_len = 1, .close = 1, .head = 1};
    CHECK_EQ(http_response_write(&out, &r, NULL), 0);
    buf_append_u8(&out, 0);
    CHECK_STR((char *)out.data,
              "HTTP/1.1 404 Not Found\r\nContent-Length: 1\r\nConnection: close\r\n\r\n");
    buf_reset(&out);
    r = (struct http_response){.status = 204, .keep_alive = 1};
    CHECK_EQ(http_response_write(&out, &r, NULL), 0);
    buf_append_u8(&out, 0);
    CHECK_STR((char *)out.data, "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");

    /* Refusals leave the buffer as it was. */
    size_t before = out.len;
    struct errbuf eb;
    struct http_header split[] = {{"Location", "/a\r\nSet-Cookie: x=1"}};
    r = (struct http_response){.status = 302, .headers = split, .n_headers = 1};
    CHECK_EQ(http_response_write(&out, &r, &eb), (uint64_t)ERR_INVAL);
    struct http_header framing[] = {{"content-length", "5"}};
    r = (struct http_response){.status = 200, .headers = framing, .n_headers = 1};
    CHECK_EQ(http_response_write(&out, &r, &eb), (uint64_t)ERR_INVAL);
    struct http_header badname[] = {{"Bad Name", "v"}};
    r = (struct http_response){.status = 200, .headers = badname, .n_headers = 1};
    CHECK_EQ(http_response_write(&out, &r, &eb), (uint64_t)ERR_INVAL);
    r = (struct http_response){.status = 304, .body = "x", .body_len = 1};
    CHECK_EQ(http_response_write(&out, &r, &eb), (uint64_t)ERR_INVAL);
    r = (struct http_response){.status = 42};
    CHECK_EQ(http_response_write(&out, &r, &eb), (uint64_t)ERR_INVAL);
    CHECK_EQ(out.len, before);
    buf_free(&out);
}

TEST(error_body_and_status_mapping)
{
    struct buf out = BUF_INIT;
    CHECK_EQ(http_error_json(&out, "BAD_REQUEST", "key \"a\\b\"\n\x01"), 0);
    buf_append_u8(&out, 0);
    CHECK_STR(
        (char *)out.data,
        "{\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"key \\\"a\\\\b\\\"\\n\\u0001\"}}");
    /* It is JSON our own parser reads back to the same strings. */
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, out.data, out.len - 1, NULL, NULL), 0);
    const struct json_value *msg = json_object_get(json_object_get(doc.root, "error"), "message");
    const char *p;
    size_t n;
    CHECK_EQ(json_get_string(msg, &p, &n), 0);
    CHECK_EQ(n, strlen("key \"a\\b\"\n\x01"));
    CHECK(memcmp(p, "key \"a\\b\"\n\x01", n) == 0);
    json_doc_free(&doc);
    buf_free(&out);

    CHECK_EQ(http_status_for_err(ERR_NOTFOUND), 404);
    CHECK_EQ(http_status_for_err(ERR_CONDITION), 412);
    CHECK_EQ(http_status_for_err(ERR_TOOBIG), 413);
    CHECK_EQ(http_status_for_err(ERR_NOTLEADER), 503);
    CHECK_EQ(http_status_for_err(ERR_TIMEOUT), 504);
    CHECK_EQ(http_status_for_err(ERR_IO), 500);
    CHECK_STR(http_error_code(414), "TOO_LARGE");
    CHECK_STR(http_error_code(431), "TOO_LARGE");
    CHECK_STR(http_error_code(400), "BAD_REQUEST");
    CHECK_STR(http_error_code(412), "CONDITION_FAILED");
    CHECK_STR(http_error_code(599), "INTERNAL");
    CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
    CHECK_STR(http_status_reason(299), "Unknown");
}

TEST_MAIN()
