/* Unit tests for the CLI's HTTP client side: response parsing (Content-Length, chunked, bodies
 * delimited by close, interim responses, errors) with the input split at every point, request
 * formatting, percent-encoding of keys, and address parsing. */
#include "test.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "cli/cli_http.h"

/* Feeds text to p in pieces of the given sizes (cycled). Returns the last result and the total
 * consumed through *consumed. */
static int feed_pieces(struct cli_http_parser *p, const char *text, size_t len, const size_t *sizes,
                       size_t n_sizes, size_t *consumed)
{
    size_t off = 0, k = 0;
    int rc = ERR_NEEDMORE;
    *consumed = 0;
    while (off < len) {
        size_t n = sizes[k++ % n_sizes];
        if (n > len - off)
            n = len - off;
        size_t used = 0;
        rc = cli_http_parser_feed(p, text + off, n, &used, NULL);
        *consumed += used;
        if (rc != ERR_NEEDMORE)
            return rc;
        if (used != n)
            return -1000; /* NEEDMORE must consume everything */
        off += n;
    }
    return rc;
}

/* Parses text whole, split in two at every point, and byte by byte; every way must give
 * status, body and keep_alive as expected and consume exactly `expect_used` bytes. */
static int check_all_splits(const char *text, size_t len, int status, const char *body,
                            size_t body_len, int keep_alive, size_t expect_used)
{
    for (size_t split = 0; split <= len + 1; split++) {
        struct cli_http_parser p;
        cli_http_parser_init(&p, 0, 0);
        cli_http_parser_reset(&p, 0);
        size_t consumed;
        int rc;
        if (split == len + 1) {
            size_t one = 1;
            rc = feed_pieces(&p, text, len, &one, 1, &consumed);
        } else {
            size_t sizes[2] = {split ? split : len, len};
            rc = feed_pieces(&p, text, len, sizes, 2, &consumed);
        }
        int ok = rc == 0 && consumed == expect_used && p.resp.status == status &&
                 p.resp.body.len == body_len && p.resp.body_bytes == body_len &&
                 (body_len == 0 || memcmp(p.resp.body.data, body, body_len) == 0) &&
                 p.resp.keep_alive == keep_alive;
        if (!ok)
            fprintf(stderr, "  split %zu: rc %d consumed %zu status %d body %zu keep %d\n", split,
                    rc, consumed, p.resp.status, p.resp.body.len, p.resp.keep_alive);
        cli_http_parser_free(&p);
        if (!ok)
            return 0;
    }
    return 1;
}

TEST(content_length_response_any_split)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                    "ETag: \"42\"\r\nContent-Length: 11\r\n\r\nhello world";
    CHECK(check_all_splits(r, strlen(r), 200, "hello world", 11, 1, strlen(r)));
    /* Bare LF line ends are accepted. */
    const char *lf = "HTTP/1.1 404 Not Found\nContent-Length: 3\n\nabc";
    CHECK(check_all_splits(lf, strlen(lf), 404, "abc", 3, 1, strlen(lf)));
}

TEST(headers_are_parsed_and_trimmed)
{
    const char *r = "HTTP/1.1 412 Precondition Failed\r\nETag:   \"7\"  \r\nX-Empty:\r\n"
                    "content-length: 2\r\n\r\n{}";
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 0);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, r, strlen(r), &used, NULL), 0);
    CHECK_EQ(used, strlen(r));
    CHECK_EQ(p.resp.status, 412);
    CHECK_STR(p.resp.reason, "Precondition Failed");
    CHECK_EQ(p.resp.version_minor, 1);
    CHECK_STR(cli_http_header(&p.resp, "etag"), "\"7\"");
    CHECK_STR(cli_http_header(&p.resp, "X-EMPTY"), "");
    CHECK(cli_http_header(&p.resp, "Missing") == NULL);
    CHECK(p.resp.has_content_length);
    CHECK_EQ(p.resp.content_length, 2);
    /* Complete: more input is not consumed. */
    CHECK_EQ(cli_http_parser_feed(&p, "xyz", 3, &used, NULL), 0);
    CHECK_EQ(used, 0);
    cli_http_parser_free(&p);
}

TEST(chunked_response_any_split)
{
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n"
                    "0\r\nX-Trailer: yes\r\n\r\n";
    CHECK(check_all_splits(r, strlen(r), 200, "hello 0123456789", 16, 1, strlen(r)));
    /* Upper-case hex, leading zeros, no trailers. */
    const char *r2 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                     "00B\r\nabcdefghijk\r\n0\r\n\r\n";
    CHECK(check_all_splits(r2, strlen(r2), 200, "abcdefghijk", 11, 1, strlen(r2)));
}

/* Random bodies in random chunkings, fed in random pieces, decode to the same bytes. */
TEST(chunked_random_round_trip)
{
    struct rng g;
    rng_seed(&g, 12345);
    for (int iter = 0; iter < 200; iter++) {
        size_t body_len = (size_t)rng_below(&g, 3000);
        struct buf body = BUF_INIT, wire = BUF_INIT;
        for (size_t i = 0; i < body_len; i++)
            CHECK_EQ(buf_append_u8(&body, (uint8_t)rng_next(&g)), 0);
        CHECK_EQ(buf_printf(&wire, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
        size_t off = 0;
        while (off < body_len) {
            size_t n = 1 + (size_t)rng_below(&g, 700);
            if (n > body_len - off)
                n = body_len - off;
            CHECK_EQ(buf_printf(&wire, "%zx\r\n", n), 0);
            CHECK_EQ(buf_append(&wire, body.data + off, n), 0);
            CHECK_EQ(buf_append(&wire, "\r\n", 2), 0);
            off += n;
        }
        CHECK_EQ(buf_printf(&wire, "0\r\n\r\nNEXT"), 0);
        size_t sizes[4];
        for (int k = 0; k < 4; k++)
            sizes[k] = 1 + (size_t)rng_below(&g, 200);
        struct cli_http_parser p;
        cli_http_parser_init(&p, 0, 0);
        size_t consumed;
        int rc = feed_pieces(&p, (const char *)wire.data, wire.len, sizes, 4, &consumed);
        CHECK_EQ(rc, 0);
        CHECK_EQ(consumed, wire.len - 4); /* "NEXT" is left over */
        CHECK_EQ(p.resp.body.len, body_len);
        CHECK(body_len == 0 || memcmp(p.resp.body.data, body.data, body_len) == 0);
        cli_http_parser_free(&p);
        buf_free(&body);
        buf_free(&wire);
    }
}

TEST(two_responses_back_to_back)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
                    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nBC";
    size_t first = strlen("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA");
    CHECK(check_all_splits(r, strlen(r), 200, "A", 1, 1, first));
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 0);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, r, strlen(r), &used, NULL), 0);
    CHECK_EQ(used, first);
    cli_http_parser_reset(&p, 0);
    CHECK(cli_http_parser_idle(&p));
    size_t used2;
    CHECK_EQ(cli_http_parser_feed(&p, r + used, strlen(r) - used, &used2, NULL), 0);
    CHECK_EQ(used2, strlen(r) - used);
    CHECK_EQ(p.resp.status, 201);
    CHECK_EQ(p.resp.body.len, 2);
    CHECK(memcmp(p.resp.body.data, "BC", 2) == 0);
    cli_http_parser_free(&p);
}

TEST(body_until_close)
{
    const char *r = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome text";
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 0);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, r, strlen(r), &used, NULL), ERR_NEEDMORE);
    CHECK_EQ(used, strlen(r));
    CHECK_EQ(cli_http_parser_eof(&p, NULL), 0);
    CHECK_EQ(p.resp.status, 200);
    CHECK_EQ(p.resp.keep_alive, 0);
    CHECK_EQ(p.resp.body.len, 9);
    CHECK(memcmp(p.resp.body.data, "some text", 9) == 0);
    cli_http_parser_free(&p);

    /* A Transfer-Encoding other than chunked is also delimited by the close. */
    const char *r2 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nabc";
    cli_http_parser_init(&p, 0, 0);
    CHECK_EQ(cli_http_parser_feed(&p, r2, strlen(r2), &used, NULL), ERR_NEEDMORE);
    CHECK_EQ(cli_http_parser_eof(&p, NULL), 0);
    CHECK_EQ(p.resp.body.len, 3);
    cli_http_parser_free(&p);
}

TEST(eof_before_the_end_is_an_error)
{
    const char *cases[] = {
        "",
        "HTTP/1.1 200 OK\r\nContent-Le",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_http_parser p;
        cli_http_parser_init(&p, 0, 0);
        size_t used;
        if (cases[i][0])
            CHECK_EQ(cli_http_parser_feed(&p, cases[i], strlen(cases[i]), &used, NULL),
                     ERR_NEEDMORE);
        struct errbuf eb;
        CHECK_EQ(cli_http_parser_eof(&p, &eb), ERR_MALFORMED);
        CHECK(strstr(eb.msg, "closed") != NULL);
        cli_http_parser_free(&p);
    }
}

TEST(bodiless_responses)
{
    /* 204 and 304 never have a body; a HEAD response neither, whatever Content-Length says. */
    const char *r204 = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
    CHECK(check_all_splits(r204, strlen(r204), 204, "", 0, 1, strlen(r204)));
    const char *r304 = "HTTP/1.1 304 Not Modified\r\n\r\n";
    CHECK(check_all_splits(r304, strlen(r304), 304, "", 0, 1, strlen(r304)));
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 0);
    cli_http_parser_reset(&p, 1);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, head, strlen(head), &used, NULL), 0);
    CHECK_EQ(used, strlen(head));
    CHECK_EQ(p.resp.content_length, 5);
    CHECK_EQ(p.resp.body_bytes, 0);
    cli_http_parser_free(&p);
}

TEST(interim_responses_are_skipped)
{
    const char *r = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    CHECK(check_all_splits(r, strlen(r), 200, "ok", 2, 1, strlen(r)));
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 0);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, r, strlen(r), &used, NULL), 0);
    CHECK(cli_http_header(&p.resp, "X") == NULL); /* headers of the interim one are gone */
    cli_http_parser_free(&p);
}

TEST(connection_persistence)
{
    struct {
        const char *text;
        int keep_alive;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 1},
        /* Both framings: chunked wins, but the connection is not trusted afterwards. */
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_http_parser p;
        cli_http_parser_init(&p, 0, 0);
        size_t used;
        CHECK_EQ(cli_http_parser_feed(&p, cases[i].text, strlen(cases[i].text), &used, NULL), 0);
        CHECK_EQ(p.resp.keep_alive, cases[i].keep_alive);
        cli_http_parser_free(&p);
    }
}

TEST(malformed_responses)
{
    struct {
        const char *text;
        int err;
    } cases[] = {
        {"HTTP/2 200 OK\r\n\r\n", ERR_MALFORMED},
        {"HTTX/1.1 200 OK\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 20 OK\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 2000 OK\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 099 Low\r\n\r\n", ERR_MALFORMED},
        {"\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", ERR_TOOBIG},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\rX", ERR_MALFORMED},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n",
         ERR_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_http_parser p;
        cli_http_parser_init(&p, 0, 0);
        size_t used;
        struct errbuf eb = {{0}};
        int rc = cli_http_parser_feed(&p, cases[i].text, strlen(cases[i].text), &used, &eb);
        if (rc != cases[i].err)
            fprintf(stderr, "  case %zu: rc %d\n", i, rc);
        CHECK_EQ(rc, cases[i].err);
        CHECK(eb.msg[0] != '\0');
        /* Sticky until reset. */
        CHECK_EQ(cli_http_parser_feed(&p, "HTTP/1.1 200 OK\r\n\r\n", 19, &used, NULL), rc);
        cli_http_parser_reset(&p, 0);
        CHECK_EQ(cli_http_parser_feed(&p, "HTTP/1.1 204 OK\r\n\r\n", 19, &used, NULL), 0);
        cli_http_parser_free(&p);
    }
}

TEST(limits)
{
    /* Body over the parser's limit, announced or streamed. */
    struct cli_http_parser p;
    cli_http_parser_init(&p, 10, 0);
    size_t used;
    const char *big = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n";
    CHECK_EQ(cli_http_parser_feed(&p, big, strlen(big), &used, NULL), ERR_TOOBIG);
    cli_http_parser_reset(&p, 0);
    const char *ten = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    CHECK_EQ(cli_http_parser_feed(&p, ten, strlen(ten), &used, NULL), 0);
    cli_http_parser_reset(&p, 0);
    const char *ch = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n";
    CHECK_EQ(cli_http_parser_feed(&p, ch, strlen(ch), &used, NULL), ERR_TOOBIG);
    cli_http_parser_reset(&p, 0);
    const char *eofb = "HTTP/1.1 200 OK\r\n\r\n0123456789A";
    CHECK_EQ(cli_http_parser_feed(&p, eofb, strlen(eofb), &used, NULL), ERR_TOOBIG);
    cli_http_parser_free(&p);

    /* A head that never ends. */
    cli_http_parser_init(&p, 0, 0);
    const char *start = "HTTP/1.1 200 OK\r\n";
    CHECK_EQ(cli_http_parser_feed(&p, start, strlen(start), &used, NULL), ERR_NEEDMORE);
    char line[1024];
    memset(line, 'a', sizeof line);
    memcpy(line, "X-Pad: ", 7);
    line[sizeof line - 2] = '\r';
    line[sizeof line - 1] = '\n';
    int rc = ERR_NEEDMORE;
    for (int i = 0; i < 100 && rc == ERR_NEEDMORE; i++)
        rc = cli_http_parser_feed(&p, line, sizeof line, &used, NULL);
    CHECK_EQ(rc, ERR_TOOBIG);
    cli_http_parser_free(&p);

    /* More headers than the table holds. */
    struct buf many = BUF_INIT;
    CHECK_EQ(buf_printf(&many, "HTTP/1.1 200 OK\r\n"), 0);
    for (int i = 0; i <= CLI_HTTP_HEADER_COUNT_MAX; i++)
        CHECK_EQ(buf_printf(&many, "X-%d: v\r\n", i), 0);
    CHECK_EQ(buf_printf(&many, "\r\n"), 0);
    cli_http_parser_init(&p, 0, 0);
    CHECK_EQ(cli_http_parser_feed(&p, many.data, many.len, &used, NULL), ERR_TOOBIG);
    cli_http_parser_free(&p);
    buf_free(&many);
}

TEST(discarded_body_is_counted)
{
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
                    "0\r\n\r\n";
    struct cli_http_parser p;
    cli_http_parser_init(&p, 0, 1);
    size_t used;
    CHECK_EQ(cli_http_parser_feed(&p, r, strlen(r), &used, NULL), 0);
    CHECK_EQ(p.resp.body_bytes, 5);
    CHECK_EQ(p.resp.body.len, 0);
    cli_http_parser_free(&p);
}

/* ---- Percent-encoding ---------------------------------------------------------------------- */

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

TEST(url_encode_known_keys)
{
    struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain-key_1.2~x", 15, "plain-key_1.2~x"},
        {"a/b", 3, "a%2Fb"},
        {"100%", 4, "100%25"},
        {"a b", 3, "a%20b"},
        {"a+b", 3, "a%2Bb"},
        {"?&=#", 4, "%3F%26%3D%23"},
        {"\xc3\xa9t\xc3\xa9", 5, "%C3%A9t%C3%A9"}, /* "été" in UTF-8 */
        {"\xe2\x82\xac", 3, "%E2%82%AC"},          /* euro sign */
        {"\x00\xff\x7f", 3, "%00%FF%7F"},
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = BUF_INIT;
        CHECK_EQ(cli_url_encode(&b, cases[i].in, cases[i].len), 0);
        CHECK_EQ(b.len, strlen(cases[i].out));
        CHECK(b.len == 0 || memcmp(b.data, cases[i].out, b.len) == 0);
        buf_free(&b);
    }
}

/* Every byte string encodes to unreserved characters and %XX only, and decodes back. */
TEST(url_encode_round_trip_random_bytes)
{
    struct rng g;
    rng_seed(&g, 99);
    for (int iter = 0; iter < 500; iter++) {
        uint8_t in[64];
        size_t n = (size_t)rng_below(&g, sizeof in);
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)rng_next(&g);
        struct buf b = BUF_INIT;
        CHECK_EQ(buf_append(&b, "prefix", 6), 0); /* appends, keeps what was there */
        CHECK_EQ(cli_url_encode(&b, in, n), 0);
        CHECK(memcmp(b.data, "prefix", 6) == 0);
        uint8_t out[64];
        size_t o = 0;
        for (size_t i = 6; i < b.len; i++) {
            int c = b.data[i];
            if (c == '%') {
                CHECK(i + 2 < b.len);
                int hi = hexval(b.data[i + 1]), lo = hexval(b.data[i + 2]);
                CHECK(hi >= 0 && lo >= 0);
                CHECK(o < sizeof out);
                out[o++] = (uint8_t)(hi * 16 + lo);
                /* Unreserved bytes are never escaped. */
                CHECK(strchr("-._~", out[o - 1]) == NULL || out[o - 1] == 0);
                i += 2;
            } else {
                CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      strchr("-._~", c) != NULL);
                CHECK(o < sizeof out);
                out[o++] = (uint8_t)c;
            }
        }
        CHECK_EQ(o, n);
        CHECK(n == 0 || memcmp(out, in, n) == 0);
        buf_free(&b);
    }
}

/* ---- Requests and addresses ---------------------------------------------------------------- */

TEST(request_bytes)
{
    struct cli_addr a;
    CHECK_EQ(cli_addr_parse("127.0.0.1:7080", &a, NULL), 0);
    struct cli_http_header h = {"If-Match", "\"5\""};
    struct cli_http_request put = {"PUT", "/v1/kv/a%2Fb", &h, 1, "xyz", 3};
    struct buf b = BUF_INIT;
    CHECK_EQ(cli_http_format_request(&b, &a, &put), 0);
    CHECK_EQ(buf_append_u8(&b, 0), 0);
    CHECK_STR((const char *)b.data, "PUT /v1/kv/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1:7080\r\n"
                                    "User-Agent: cairn-cli\r\nIf-Match: \"5\"\r\n"
                                    "Content-Length: 3\r\n\r\nxyz");
    buf_reset(&b);
    struct cli_http_request get = {"GET", "/health", NULL, 0, NULL, 0};
    CHECK_EQ(cli_http_format_request(&b, &a, &get), 0);
    CHECK_EQ(buf_append_u8(&b, 0), 0);
    CHECK_STR((const char *)b.data,
              "GET /health HTTP/1.1\r\nHost: 127.0.0.1:7080\r\nUser-Agent: cairn-cli\r\n\r\n");
    /* An empty PUT still says Content-Length: 0. */
    buf_reset(&b);
    struct cli_http_request empty = {"PUT", "/v1/kv/k", NULL, 0, NULL, 0};
    CHECK_EQ(cli_http_format_request(&b, &a, &empty), 0);
    CHECK_EQ(buf_append_u8(&b, 0), 0);
    CHECK(strstr((const char *)b.data, "Content-Length: 0\r\n\r\n") != NULL);
    buf_free(&b);
}

TEST(address_parsing)
{
    struct cli_addr a;
    CHECK_EQ(cli_addr_parse("127.0.0.1:7080", &a, NULL), 0);
    CHECK_STR(a.host, "127.0.0.1");
    CHECK_EQ(a.port, 7080);
    CHECK_STR(a.text, "127.0.0.1:7080");
    CHECK_EQ(cli_addr_parse("[::1]:1", &a, NULL), 0);
    CHECK_STR(a.host, "::1");
    CHECK_EQ(a.port, 1);
    CHECK_STR(a.text, "[::1]:1");
    CHECK_EQ(cli_addr_parse("node-3.example.com:65535", &a, NULL), 0);
    CHECK_STR(a.host, "node-3.example.com");
    CHECK_EQ(a.port, 65535);
    const char *bad[] = {
        "",          "7080",   "host",    ":7080", "host:",  "host:0", "host:65536",
        "host:70a0", "::1:80", "[::1]80", "[::1",  "a b:80", "h:+80",  "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct errbuf eb = {{0}};
        if (cli_addr_parse(bad[i], &a, &eb) != ERR_INVAL)
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
        CHECK_EQ(cli_addr_parse(bad[i], &a, &eb), ERR_INVAL);
        CHECK(strstr(eb.msg, "address") != NULL);
    }
}

TEST_MAIN()
