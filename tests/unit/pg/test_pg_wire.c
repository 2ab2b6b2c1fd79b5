/* Unit tests for the PostgreSQL protocol codec and value conversions: every frontend message
 * round-trips through its encoder and decoder, every prefix of a message needs more bytes,
 * framing and body errors are told apart and named, backend messages have PostgreSQL's exact
 * bytes, and text <-> binary conversions match PostgreSQL's binary formats. */
#include "test.h"

#include <math.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/pg/pg.h"
#include "proto/pg/pg_wire.h"

#define MSG_MAX (1u << 20)

/* Every strict prefix of a complete message must answer ERR_NEEDMORE without consuming. */
static int prefixes_need_more(const uint8_t *p, size_t len)
{
    for (size_t k = 0; k < len; k++) {
        struct pg_msg m;
        size_t used = 99;
        struct errbuf eb;
        int rc = pg_decode_msg(p, k, MSG_MAX, &m, &used, &eb);
        if (rc != ERR_NEEDMORE || used != 0)
            return 0;
    }
    return 1;
}

static int decode_all(const struct buf *b, struct pg_msg *m)
{
    size_t used = 0;
    struct errbuf eb;
    int rc = pg_decode_msg(b->data, b->len, MSG_MAX, m, &used, &eb);
    if (rc != 0) {
        fprintf(stderr, "  decode: %s %s\n", err_name(rc), eb.msg);
        return rc;
    }
    return used == b->len ? 0 : ERR_CORRUPT;
}

/* ---- Startup packets ---- */

TEST(startup_message_roundtrip)
{
    struct buf b = BUF_INIT;
    const char *names[] = {"user", "database", "application_name"};
    const char *values[] = {"alice", "db1", "psql"};
    CHECK_EQ(pg_put_startup(&b, PG_PROTOCOL_3_0, names, values, 3), 0);
    struct pg_startup su;
    size_t used;
    struct errbuf eb;
    for (size_t k = 0; k < b.len; k++)
        CHECK_EQ(pg_decode_startup(b.data, k, &su, &used, &eb), ERR_NEEDMORE);
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, &eb), 0);
    CHECK_EQ(used, b.len);
    CHECK_EQ(su.kind, PG_STARTUP_MESSAGE);
    CHECK_EQ(su.version, 196608);
    CHECK_EQ(su.n_params, 3);
    for (size_t i = 0; i < 3; i++) {
        CHECK_STR(su.names[i], names[i]);
        CHECK_STR(su.values[i], values[i]);
    }
    buf_free(&b);
}

TEST(startup_requests)
{
    struct buf b = BUF_INIT;
    struct pg_startup su;
    size_t used;
    struct errbuf eb;
    CHECK_EQ(pg_put_request_code(&b, PG_CODE_SSL_REQUEST), 0);
    CHECK_EQ(b.len, 8);
    CHECK(memcmp(b.data, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8) == 0);
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, &eb), 0);
    CHECK_EQ(su.kind, PG_STARTUP_SSL);
    buf_reset(&b);
    CHECK_EQ(pg_put_request_code(&b, PG_CODE_GSSENC_REQUEST), 0);
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, &eb), 0);
    CHECK_EQ(su.kind, PG_STARTUP_GSSENC);
    buf_reset(&b);
    CHECK_EQ(pg_put_cancel_request(&b, 4242, 0xdeadbeef), 0);
    CHECK_EQ(b.len, 16);
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, &eb), 0);
    CHECK_EQ(su.kind, PG_STARTUP_CANCEL);
    CHECK_EQ(su.cancel_pid, 4242);
    CHECK_EQ(su.cancel_secret, 0xdeadbeef);
    /* Another protocol's version decodes without parameters, for the session to refuse. */
    buf_reset(&b);
    const char *n[] = {"user"}, *v[] = {"x"};
    CHECK_EQ(pg_put_startup(&b, PG_PROTOCOL(2, 0), n, v, 1), 0);
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, &eb), 0);
    CHECK_EQ(su.kind, PG_STARTUP_MESSAGE);
    CHECK_EQ(su.version, 0x20000);
    CHECK_EQ(su.n_params, 0);
    buf_free(&b);
}

static int startup_err(const void *p, size_t len, const char *needle)
{
    struct pg_startup su;
    size_t used = 99;
    struct errbuf eb = {{0}};
    int rc = pg_decode_startup(p, len, &su, &used, &eb);
    if (rc != ERR_MALFORMED || used != 0 || strstr(eb.msg, needle) == NULL) {
        fprintf(stderr, "  got %s \"%s\", wanted \"%s\"\n", err_name(rc), eb.msg, needle);
        return 0;
    }
    return 1;
}

TEST(startup_malformed)
{
    /* Bad lengths are known from the first four bytes. */
    CHECK(startup_err("\x00\x00\x00\x07", 4, "invalid length"));
    CHECK(startup_err("\x00\x00\x27\x11", 4, "invalid length")); /* 10001 */
    CHECK(startup_err("\xff\xff\xff\xff", 4, "invalid length"));
    CHECK(startup_err("\x00\x00\x00\x0c\x04\xd2\x16\x2f\x00\x00\x00\x00", 12, "SSLRequest"));
    CHECK(startup_err("\x00\x00\x00\x0c\x04\xd2\x16\x2e\x00\x00\x00\x00", 12, "CancelRequest"));
    CHECK(startup_err("\x00\x00\x00\x0c\x00\x03\x00\x00user", 12, "terminator"));
    CHECK(startup_err("\x00\x00\x00\x0d\x00\x03\x00\x00user\x00", 13, "has no value"));
    CHECK(startup_err("\x00\x00\x00\x0f\x00\x03\x00\x00u\x00v\x00\x00\x00", 15, "after"));
    struct buf b = BUF_INIT;
    const char *names[PG_STARTUP_PARAMS_MAX + 1], *values[PG_STARTUP_PARAMS_MAX + 1];
    for (size_t i = 0; i <= PG_STARTUP_PARAMS_MAX; i++) {
        names[i] = "k";
        values[i] = "v";
    }
    CHECK_EQ(pg_put_startup(&b, PG_PROTOCOL_3_0, names, values, PG_STARTUP_PARAMS_MAX), 0);
    struct pg_startup su;
    size_t used;
    CHECK_EQ(pg_decode_startup(b.data, b.len, &su, &used, NULL), 0);
    CHECK_EQ(su.n_params, PG_STARTUP_PARAMS_MAX);
    buf_reset(&b);
    CHECK_EQ(pg_put_startup(&b, PG_PROTOCOL_3_0, names, values, PG_STARTUP_PARAMS_MAX + 1), 0);
    CHECK(startup_err(b.data, b.len, "more than"));
    buf_free(&b);
}

/* ---- Frontend messages ---- */

TEST(query_and_empty_messages)
{
    struct buf b = BUF_INIT;
    struct pg_msg m;
    CHECK_EQ(pg_put_query(&b, "SELECT 1"), 0);
    CHECK(memcmp(b.data, "Q\x00\x00\x00\x0dSELECT 1\x00", 14) == 0);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_EQ(m.type, 'Q');
    CHECK_EQ(m.u.query.len, 8);
    CHECK_STR(m.u.query.sql, "SELECT 1");
    const uint8_t types[] = {'S', 'H', 'X', 'c'};
    for (size_t i = 0; i < sizeof types; i++) {
        buf_reset(&b);
        CHECK_EQ(pg_msg_begin(&b, types[i], &(size_t){0}), 0);
        pg_msg_end(&b, 0);
        CHECK_EQ(b.len, 5);
        CHECK(prefixes_need_more(b.data, b.len));
        CHECK_EQ(decode_all(&b, &m), 0);
        CHECK_EQ(m.type, types[i]);
    }
    buf_free(&b);
}

TEST(parse_message)
{
    struct buf b = BUF_INIT;
    struct pg_msg m;
    uint32_t oids[] = {23, 0, 25};
    CHECK_EQ(pg_put_parse(&b, "s1", "SELECT $1, $2, $3", oids, 3), 0);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_STR(m.u.parse.name, "s1");
    CHECK_STR(m.u.parse.sql, "SELECT $1, $2, $3");
    CHECK_EQ(m.u.parse.sql_len, 17);
    CHECK_EQ(m.u.parse.n_param_oids, 3);
    for (size_t i = 0; i < 3; i++)
        CHECK_EQ(pg_parse_param_oid(&m, i), oids[i]);
    buf_free(&b);
}

TEST(bind_message)
{
    struct buf b = BUF_INIT;
    struct pg_msg m;
    int16_t pf[] = {0, 1, 0};
    const uint8_t *vals[] = {(const uint8_t *)"42", (const uint8_t *)"\x00\x00\x00\x07", NULL};
    size_t lens[] = {2, 4, 0};
    int16_t rf[] = {1};
    CHECK_EQ(pg_put_bind(&b, "p1", "s1", pf, 3, vals, lens, 3, rf, 1), 0);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_STR(m.u.bind.portal, "p1");
    CHECK_STR(m.u.bind.stmt, "s1");
    CHECK_EQ(m.u.bind.n_params, 3);
    CHECK_EQ(m.u.bind.n_param_formats, 3);
    CHECK_EQ(pg_bind_param_format(&m, 1), 1);
    CHECK_EQ(pg_bind_param_format(&m, 2), 0);
    CHECK_EQ(m.u.bind.n_result_formats, 1);
    CHECK_EQ(pg_bind_result_format(&m, 0), 1);
    CHECK_EQ(pg_bind_result_format(&m, 5), 1); /* one code applies to every column */
    size_t off = 0;
    const uint8_t *d;
    size_t n;
    pg_bind_next_param(&m, &off, &d, &n);
    CHECK(d != NULL && n == 2 && memcmp(d, "42", 2) == 0);
    pg_bind_next_param(&m, &off, &d, &n);
    CHECK(d != NULL && n == 4 && d[3] == 7);
    pg_bind_next_param(&m, &off, &d, &n);
    CHECK(d == NULL);
    /* No format codes: everything is text. */
    buf_reset(&b);
    CHECK_EQ(pg_put_bind(&b, "", "", NULL, 0, NULL, NULL, 0, NULL, 0), 0);
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_EQ(pg_bind_param_format(&m, 0), 0);
    CHECK_EQ(pg_bind_result_format(&m, 0), 0);
    buf_free(&b);
}

TEST(describe_close_execute_copy_messages)
{
    struct buf b = BUF_INIT;
    struct pg_msg m;
    CHECK_EQ(pg_put_describe(&b, 'S', "s1"), 0);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK(m.type == 'D' && m.u.describe.kind == 'S');
    CHECK_STR(m.u.describe.name, "s1");
    buf_reset(&b);
    CHECK_EQ(pg_put_close(&b, 'P', ""), 0);
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK(m.type == 'C' && m.u.close.kind == 'P');
    CHECK_STR(m.u.close.name, "");
    buf_reset(&b);
    CHECK_EQ(pg_put_execute(&b, "p", 10), 0);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_STR(m.u.execute.portal, "p");
    CHECK_EQ(m.u.execute.max_rows, 10);
    buf_reset(&b);
    CHECK_EQ(pg_put_execute(&b, "", -5), 0);
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK(m.u.execute.max_rows == -5);
    buf_reset(&b);
    size_t s;
    CHECK_EQ(pg_msg_begin(&b, 'd', &s), 0);
    CHECK_EQ(buf_append(&b, "1\t2\n", 4), 0);
    pg_msg_end(&b, s);
    CHECK(prefixes_need_more(b.data, b.len));
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK(m.u.copy_data.len == 4 && memcmp(m.u.copy_data.data, "1\t2\n", 4) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_copy_fail(&b, "disk full"), 0);
    CHECK_EQ(decode_all(&b, &m), 0);
    CHECK_STR(m.u.copy_fail.message, "disk full");
    /* FunctionCall and password bodies are passed through uninterpreted. */
    const uint8_t raw_types[] = {'F', 'p'};
    for (size_t i = 0; i < 2; i++) {
        buf_reset(&b);
        CHECK_EQ(pg_msg_begin(&b, raw_types[i], &s), 0);
        CHECK_EQ(buf_append(&b, "\x01\x02\x03", 3), 0);
        pg_msg_end(&b, s);
        CHECK_EQ(decode_all(&b, &m), 0);
        CHECK(m.u.raw.len == 3 && m.u.raw.data[2] == 3);
    }
    buf_free(&b);
}

TEST(pipelined_messages_decode_in_order)
{
    struct buf b = BUF_INIT;
    CHECK_EQ(pg_put_parse(&b, "", "SELECT 1", NULL, 0), 0);
    CHECK_EQ(pg_put_bind(&b, "", "", NULL, 0, NULL, NULL, 0, NULL, 0), 0);
    CHECK_EQ(pg_put_execute(&b, "", 0), 0);
    CHECK_EQ(pg_msg_begin(&b, 'S', &(size_t){0}), 0);
    pg_msg_end(&b, b.len - 5);
    const char want[] = "PBES";
    size_t off = 0;
    for (size_t i = 0; i < 4; i++) {
        struct pg_msg m;
        size_t used;
        CHECK_EQ(pg_decode_msg(b.data + off, b.len - off, MSG_MAX, &m, &used, NULL), 0);
        CHECK_EQ(m.type, want[i]);
        off += used;
    }
    CHECK_EQ(off, b.len);
    buf_free(&b);
}

static int frame_err(const void *p, size_t len, int want, const char *needle)
{
    struct pg_msg m;
    size_t used = 99;
    struct errbuf eb = {{0}};
    int rc = pg_decode_msg(p, len, MSG_MAX, &m, &used, &eb);
    if (rc != want || used != 0 || strstr(eb.msg, needle) == NULL) {
        fprintf(stderr, "  got %s \"%s\" used %zu\n", err_name(rc), eb.msg, used);
        return 0;
    }
    return 1;
}

TEST(framing_errors)
{
    /* An unknown type is known from its first byte (e.g. an HTTP request on the pg port). */
    CHECK(frame_err("G", 1, ERR_MALFORMED, "invalid frontend message type 71"));
    CHECK(frame_err("\x00", 1, ERR_MALFORMED, "invalid frontend message type 0"));
    CHECK(frame_err("Q\x00\x00\x00\x03", 5, ERR_MALFORMED, "invalid message length 3"));
    /* Too long: known from the header, before any body arrives. */
    CHECK(frame_err("Q\x00\x20\x00\x05", 5, ERR_TOOBIG, "exceeds the limit"));
    CHECK(frame_err("Q\xff\xff\xff\xff", 5, ERR_TOOBIG, "exceeds"));
    /* Small messages have PostgreSQL's small limit whatever the configured one. */
    CHECK(frame_err("S\x00\x00\x27\x20", 5, ERR_TOOBIG, "Sync message"));
    CHECK(frame_err("E\x00\x01\x00\x00", 5, ERR_TOOBIG, "Execute"));
    /* CopyData is large. */
    struct pg_msg m;
    size_t used;
    CHECK_EQ(pg_decode_msg((const uint8_t *)"d\x00\x01\x00\x00", 5, MSG_MAX, &m, &used, NULL),
             ERR_NEEDMORE);
}

static int body_err(const void *p, size_t len, const char *needle)
{
    struct pg_msg m;
    size_t used = 0;
    struct errbuf eb = {{0}};
    int rc = pg_decode_msg(p, len, MSG_MAX, &m, &used, &eb);
    /* A body error leaves the framing usable: consumed covers the message. */
    if (rc != ERR_MALFORMED || used != len || strstr(eb.msg, needle) == NULL) {
        fprintf(stderr, "  got %s \"%s\" used %zu of %zu\n", err_name(rc), eb.msg, used, len);
        return 0;
    }
    return 1;
}

TEST(body_errors)
{
    CHECK(body_err("Q\x00\x00\x00\x07SEL", 8, "Query message: query string not terminated"));
    CHECK(body_err("Q\x00\x00\x00\x08S\x00XY", 9, "left over"));
    CHECK(body_err("S\x00\x00\x00\x05x", 6, "Sync message: bytes left over"));
    CHECK(body_err("P\x00\x00\x00\x0as\x00q\x00\x00\x05", 11, "parameter types run past"));
    CHECK(body_err("P\x00\x00\x00\x08s\x00q\x00", 9, "parameter type count missing"));
    CHECK(body_err("D\x00\x00\x00\x07X\x00\x00", 8, "kind is neither"));
    CHECK(body_err("C\x00\x00\x00\x04", 5, "kind missing"));
    CHECK(body_err("E\x00\x00\x00\x07p\x00\x00\x00", 8, "row limit missing"));
    CHECK(body_err("f\x00\x00\x00\x05x", 6, "message not terminated"));
    /* Bind: a parameter longer than the body, a negative length other than -1. */
    CHECK(body_err("B\x00\x00\x00\x14\x00\x00\x00\x00\x00\x01\x00\x00\x00\x09xyz\x00\x00", 21,
                   "parameter value runs past"));
    CHECK(body_err("B\x00\x00\x00\x10\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00", 17,
                   "negative parameter length"));
    CHECK(body_err("B\x00\x00\x00\x0a\x00\x00\x00\x05\x00\x00", 11, "parameter formats run past"));
    CHECK(body_err("B\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x02", 13,
                   "result formats run past"));
}

/* ---- Backend messages ---- */

TEST(backend_message_bytes)
{
    struct buf b = BUF_INIT;
    CHECK_EQ(pg_put_auth_ok(&b), 0);
    CHECK(b.len == 9 && memcmp(b.data, "R\x00\x00\x00\x08\x00\x00\x00\x00", 9) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_ready(&b, 'T'), 0);
    CHECK(b.len == 6 && memcmp(b.data, "Z\x00\x00\x00\x05T", 6) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_parameter_status(&b, "TimeZone", "UTC"), 0);
    CHECK(b.len == 18 && memcmp(b.data, "S\x00\x00\x00\x11TimeZone\x00UTC\x00", 18) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_backend_key(&b, 7, 0x01020304), 0);
    CHECK(b.len == 13 &&
          memcmp(b.data, "K\x00\x00\x00\x0c\x00\x00\x00\x07\x01\x02\x03\x04", 13) == 0);
    buf_reset(&b);
    struct pg_column col = PG_COLUMN("n", PG_OID_INT4);
    int16_t fmt = 1;
    CHECK_EQ(pg_put_row_description(&b, &col, 1, &fmt), 0);
    const uint8_t want_t[] = {'T', 0, 0, 0, 26, 0, 1, 'n',  0,    0,    0,    0, 0, 0,
                              0,   0, 0, 0, 23, 0, 4, 0xff, 0xff, 0xff, 0xff, 0, 1};
    CHECK_EQ(b.len, sizeof want_t);
    CHECK(memcmp(b.data, want_t, sizeof want_t) == 0);
    buf_reset(&b);
    const uint8_t *vals[] = {(const uint8_t *)"ab", NULL};
    size_t lens[] = {2, 0};
    CHECK_EQ(pg_put_data_row(&b, vals, lens, 2), 0);
    const uint8_t want_d[] = {'D', 0, 0, 0, 16, 0, 2, 0, 0, 0, 2, 'a', 'b', 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(b.len, sizeof want_d);
    CHECK(memcmp(b.data, want_d, sizeof want_d) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_command_complete(&b, "SELECT 2"), 0);
    CHECK(memcmp(b.data, "C\x00\x00\x00\x0dSELECT 2\x00", 14) == 0);
    buf_reset(&b);
    uint32_t oids[] = {23, 25};
    CHECK_EQ(pg_put_parameter_description(&b, oids, 2), 0);
    CHECK(b.len == 15 &&
          memcmp(b.data, "t\x00\x00\x00\x0e\x00\x02\x00\x00\x00\x17\x00\x00\x00\x19", 15) == 0);
    buf_reset(&b);
    int16_t cf[] = {0, 0};
    CHECK_EQ(pg_put_copy_response(&b, PG_BE_COPY_IN_RESPONSE, 0, cf, 2), 0);
    CHECK(b.len == 12 && memcmp(b.data, "G\x00\x00\x00\x0b\x00\x00\x02\x00\x00\x00\x00", 12) == 0);
    buf_reset(&b);
    const char *opts[] = {"_pq_.x"};
    CHECK_EQ(pg_put_negotiate_protocol(&b, 0, opts, 1), 0);
    CHECK(b.len == 20 &&
          memcmp(b.data, "v\x00\x00\x00\x13\x00\x00\x00\x00\x00\x00\x00\x01_pq_.x", 19) == 0);
    buf_reset(&b);
    CHECK_EQ(pg_put_notification(&b, 9, "ch", "hi"), 0);
    CHECK(b.len == 15 && memcmp(b.data,
                                "A\x00\x00\x00\x0e\x00\x00\x00\x09"
                                "ch\x00hi",
                                15) == 0);
    buf_free(&b);
}

/* Finds field `code` in an ErrorResponse body. */
static const char *error_field(const uint8_t *body, size_t len, char code)
{
    size_t i = 0;
    while (i < len && body[i] != 0) {
        char c = (char)body[i++];
        const char *v = (const char *)body + i;
        i += strlen(v) + 1;
        if (c == code)
            return v;
    }
    return NULL;
}

TEST(error_response_fields)
{
    struct buf b = BUF_INIT;
    struct pg_error_fields f = {.severity = "ERROR",
                                .sqlstate = "42P01",
                                .message = "relation \"t\" does not exist",
                                .hint = "create it",
                                .position = 15};
    CHECK_EQ(pg_put_error(&b, PG_BE_ERROR, &f), 0);
    uint8_t type;
    const uint8_t *body;
    size_t blen, used;
    CHECK_EQ(pg_frame_backend(b.data, b.len, MSG_MAX, &type, &body, &blen, &used), 0);
    CHECK_EQ(used, b.len);
    CHECK_EQ(type, 'E');
    CHECK_EQ(body[blen - 1], 0);
    CHECK_STR(error_field(body, blen, 'S'), "ERROR");
    CHECK_STR(error_field(body, blen, 'V'), "ERROR");
    CHECK_STR(error_field(body, blen, 'C'), "42P01");
    CHECK_STR(error_field(body, blen, 'M'), "relation \"t\" does not exist");
    CHECK_STR(error_field(body, blen, 'H'), "create it");
    CHECK_STR(error_field(body, blen, 'P'), "15");
    CHECK(error_field(body, blen, 'D') == NULL);
    /* Long fields are cut at a character boundary. */
    buf_reset(&b);
    size_t n = PG_ERROR_FIELD_BYTES_MAX + 10;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2) {
        big[i] = (char)0xc3;
        big[i + 1] = (char)0xa9; /* é */
    }
    big[n] = '\0';
    f.message = big;
    CHECK_EQ(pg_put_error(&b, PG_BE_NOTICE, &f), 0);
    CHECK_EQ(pg_frame_backend(b.data, b.len, MSG_MAX, &type, &body, &blen, &used), 0);
    const char *msg = error_field(body, blen, 'M');
    CHECK(strlen(msg) <= PG_ERROR_FIELD_BYTES_MAX && pg_utf8_valid(msg, strlen(msg)));
    free(big);
    buf_free(&b);
}

TEST(utf8_validation)
{
    CHECK(pg_utf8_valid("", 0));
    CHECK(pg_utf8_valid("plain ascii", 11));
    CHECK(pg_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    CHECK(!pg_utf8_valid("a\0b", 3));             /* NUL */
    CHECK(!pg_utf8_valid("\xc0\xaf", 2));         /* overlong */
    CHECK(!pg_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!pg_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!pg_utf8_valid("\xe2\x82", 2));         /* truncated */
    CHECK(!pg_utf8_valid("\x80", 1));
    CHECK(!pg_utf8_valid("\xff", 1));
}

/* ---- Value conversions ---- */

static int to_bin(uint32_t oid, const char *text, const void *want, size_t want_len)
{
    struct buf b = BUF_INIT;
    struct errbuf eb;
    int rc = pg_text_to_binary(oid, text, strlen(text), &b, &eb);
    int ok = rc == 0 && b.len == want_len && memcmp(b.data, want, want_len) == 0;
    if (!ok) {
        fprintf(stderr, "  %u \"%s\": rc %s (%s), %zu bytes:", oid, text, err_name(rc),
                rc ? eb.msg : "", b.len);
        for (size_t i = 0; i < b.len; i++)
            fprintf(stderr, " %02x", b.data[i]);
        fprintf(stderr, "\n");
    }
    buf_free(&b);
    return ok;
}

static int to_text(uint32_t oid, const void *bin, size_t len, const char *want)
{
    struct buf b = BUF_INIT;
    struct errbuf eb;
    int rc = pg_binary_to_text(oid, bin, len, &b, &eb);
    int ok = rc == 0 && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok)
        fprintf(stderr, "  %u: rc %s (%s) \"%.*s\" want \"%s\"\n", oid, err_name(rc),
                rc ? eb.msg : "", (int)b.len, (const char *)b.data, want);
    buf_free(&b);
    return ok;
}

/* text -> binary -> text gives the text back. */
static int roundtrip(uint32_t oid, const char *text)
{
    struct buf b = BUF_INIT;
    struct errbuf eb;
    int ok = pg_text_to_binary(oid, text, strlen(text), &b, &eb) == 0 &&
             to_text(oid, b.data, b.len, text);
    if (!ok)
        fprintf(stderr, "  roundtrip %u \"%s\" failed\n", oid, text);
    buf_free(&b);
    return ok;
}

static int bad_text(uint32_t oid, const char *text)
{
    struct buf b = BUF_INIT;
    struct errbuf eb;
    int rc = pg_text_to_binary(oid, text, strlen(text), &b, &eb);
    int ok = rc == ERR_INVAL && b.len == 0 && strlen(eb.msg) > 0;
    if (!ok)
        fprintf(stderr, "  %u \"%s\" accepted (rc %s)\n", oid, text, err_name(rc));
    buf_free(&b);
    return ok;
}

TEST(binary_integers_bool_float)
{
    CHECK(to_bin(PG_OID_INT4, "42", "\x00\x00\x00\x2a", 4));
    CHECK(to_bin(PG_OID_INT4, "-1", "\xff\xff\xff\xff", 4));
    CHECK(to_bin(PG_OID_INT2, "-32768", "\x80\x00", 2));
    CHECK(to_bin(PG_OID_INT8, "9223372036854775807", "\x7f\xff\xff\xff\xff\xff\xff\xff", 8));
    CHECK(to_bin(PG_OID_INT8, "-9223372036854775808", "\x80\x00\x00\x00\x00\x00\x00\x00", 8));
    CHECK(to_bin(PG_OID_OID, "4294967295", "\xff\xff\xff\xff", 4));
    CHECK(to_bin(PG_OID_BOOL, "t", "\x01", 1));
    CHECK(to_bin(PG_OID_BOOL, "false", "\x00", 1));
    CHECK(to_bin(PG_OID_FLOAT8, "1.5", "\x3f\xf8\x00\x00\x00\x00\x00\x00", 8));
    CHECK(to_bin(PG_OID_FLOAT4, "1.5", "\x3f\xc0\x00\x00", 4));
    CHECK(to_bin(PG_OID_FLOAT8, "-Infinity", "\xff\xf0\x00\x00\x00\x00\x00\x00", 8));
    CHECK(bad_text(PG_OID_INT4, "2147483648"));
    CHECK(bad_text(PG_OID_INT2, "32768"));
    CHECK(bad_text(PG_OID_INT4, "12a"));
    CHECK(bad_text(PG_OID_INT4, ""));
    CHECK(bad_text(PG_OID_INT8, "99999999999999999999"));
    CHECK(bad_text(PG_OID_BOOL, "maybe"));
    CHECK(bad_text(PG_OID_FLOAT8, "1.5x"));
    CHECK(bad_text(PG_OID_FLOAT8, "1e999"));
    CHECK(roundtrip(PG_OID_INT8, "-12345678901"));
    CHECK(roundtrip(PG_OID_INT2, "7"));
    CHECK(roundtrip(PG_OID_BOOL, "t"));
    /* Floats print shortest-exact, as PostgreSQL 12+ does. */
    CHECK(roundtrip(PG_OID_FLOAT8, "0.1"));
    CHECK(roundtrip(PG_OID_FLOAT8, "1e+20"));
    CHECK(roundtrip(PG_OID_FLOAT8, "100000"));
    CHECK(roundtrip(PG_OID_FLOAT8, "-2.5e-05"));
    CHECK(roundtrip(PG_OID_FLOAT8, "3.141592653589793"));
    CHECK(roundtrip(PG_OID_FLOAT8, "NaN"));
    CHECK(roundtrip(PG_OID_FLOAT8, "Infinity"));
    CHECK(roundtrip(PG_OID_FLOAT4, "0.1"));
    CHECK(roundtrip(PG_OID_FLOAT4, "1e+06"));
    /* Bad binary lengths. */
    struct buf b = BUF_INIT;
    CHECK_EQ(pg_binary_to_text(PG_OID_INT4, "\x00\x01", 2, &b, NULL), ERR_INVAL);
    CHECK_EQ(pg_binary_to_text(PG_OID_INT8, "\x00\x01\x00\x00", 4, &b, NULL), ERR_INVAL);
    CHECK_EQ(b.len, 0);
    CHECK_EQ(pg_binary_to_text(PG_OID_INTERVAL, "0123456789abcdef", 16, &b, NULL), ERR_UNSUPPORTED);
    buf_free(&b);
}

TEST(binary_numeric)
{
    /* ndigits, weight, sign, dscale, base-10000 digits */
    CHECK(to_bin(PG_OID_NUMERIC, "12.50", "\x00\x02\x00\x00\x00\x00\x00\x02\x00\x0c\x13\x88", 12));
    CHECK(to_bin(PG_OID_NUMERIC, "-0.0001", "\x00\x01\xff\xff\x40\x00\x00\x04\x00\x01", 10));
    CHECK(to_bin(PG_OID_NUMERIC, "10000", "\x00\x01\x00\x01\x00\x00\x00\x00\x00\x01", 10));
    CHECK(to_bin(PG_OID_NUMERIC, "0", "\x00\x00\x00\x00\x00\x00\x00\x00", 8));
    CHECK(to_bin(PG_OID_NUMERIC, "0.00", "\x00\x00\x00\x00\x00\x00\x00\x02", 8));
    CHECK(to_bin(PG_OID_NUMERIC, "NaN", "\x00\x00\x00\x00\xc0\x00\x00\x00", 8));
    CHECK(to_bin(PG_OID_NUMERIC, "1.5e3", "\x00\x01\x00\x00\x00\x00\x00\x00\x05\xdc", 10));
    const char *vals[] = {"0",
                          "1",
                          "-1",
                          "12.50",
                          "0.0001",
                          "-0.0001",
                          "10000",
                          "99999999",
                          "123456789.987654321",
                          "0.00000001",
                          "1000000000000000000000",
                          "NaN",
                          "Infinity",
                          "-Infinity",
                          "3.14159"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        CHECK(roundtrip(PG_OID_NUMERIC, vals[i]));
    /* Received values are normalised, as PostgreSQL's numeric_recv does. */
    CHECK(to_text(PG_OID_NUMERIC, "\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x05", 12, "5"));
    CHECK(to_text(PG_OID_NUMERIC, "\x00\x00\x35\x00\x00\x00\x00\x02", 8, "0.00"));
    CHECK(to_text(PG_OID_NUMERIC, "\x00\x02\xff\xff\x40\x00\x00\x01\x13\x88\x00\x00", 12, "-0.5"));
    CHECK(bad_text(PG_OID_NUMERIC, "1.2.3"));
    CHECK(bad_text(PG_OID_NUMERIC, "."));
    CHECK(bad_text(PG_OID_NUMERIC, "abc"));
    /* A digit group of 10000 or a length that does not match ndigits is not numeric. */
    struct buf b = BUF_INIT;
    CHECK_EQ(
        pg_binary_to_text(PG_OID_NUMERIC, "\x00\x01\x00\x00\x00\x00\x00\x00\x27\x10", 10, &b, NULL),
        ERR_INVAL);
    CHECK_EQ(
        pg_binary_to_text(PG_OID_NUMERIC, "\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01", 10, &b, NULL),
        ERR_INVAL);
    CHECK_EQ(pg_binary_to_text(PG_OID_NUMERIC, "\x00\x00\x00\x00\x12\x34\x00\x00", 8, &b, NULL),
             ERR_INVAL);
    buf_free(&b);
}

TEST(binary_dates_and_times)
{
    CHECK(to_bin(PG_OID_DATE, "2000-01-01", "\x00\x00\x00\x00", 4));
    CHECK(to_bin(PG_OID_DATE, "1999-12-31", "\xff\xff\xff\xff", 4));
    CHECK(to_bin(PG_OID_DATE, "2024-03-01", "\x00\x00\x22\x7a", 4)); /* 24*365+6+31+29 days */
    CHECK(to_bin(PG_OID_TIMESTAMP, "2000-01-01 00:00:01.5", "\x00\x00\x00\x00\x00\x16\xe3\x60", 8));
    CHECK(to_bin(PG_OID_TIMESTAMPTZ, "2000-01-01 01:00:01.5+01", "\x00\x00\x00\x00\x00\x16\xe3\x60",
                 8));
    CHECK(to_bin(PG_OID_TIME, "00:00:01", "\x00\x00\x00\x00\x00\x0f\x42\x40", 8));
    CHECK(roundtrip(PG_OID_DATE, "2024-02-29"));
    CHECK(roundtrip(PG_OID_DATE, "1970-01-01"));
    CHECK(roundtrip(PG_OID_DATE, "0044-03-15 BC"));
    CHECK(roundtrip(PG_OID_DATE, "infinity"));
    CHECK(roundtrip(PG_OID_TIMESTAMP, "2024-01-02 03:04:05"));
    CHECK(roundtrip(PG_OID_TIMESTAMP, "2024-01-02 03:04:05.123456"));
    CHECK(roundtrip(PG_OID_TIMESTAMP, "1900-12-31 23:59:59.5"));
    CHECK(roundtrip(PG_OID_TIMESTAMP, "-infinity"));
    CHECK(roundtrip(PG_OID_TIMESTAMPTZ, "2024-01-02 03:04:05+00"));
    CHECK(roundtrip(PG_OID_TIME, "23:59:59.999999"));
    CHECK(bad_text(PG_OID_DATE, "2023-02-29"));
    CHECK(bad_text(PG_OID_DATE, "2023-13-01"));
    CHECK(bad_text(PG_OID_DATE, "2023-1-01"));
    CHECK(bad_text(PG_OID_TIMESTAMP, "2023-01-01 25:00:00"));
    CHECK(bad_text(PG_OID_TIMESTAMP, "2023-01-01 12:00:00 junk"));
    CHECK(bad_text(PG_OID_TIME, "12:60:00"));
}

TEST(binary_bytes_text_uuid)
{
    CHECK(to_bin(PG_OID_BYTEA, "\\x0a1B", "\x0a\x1b", 2));
    CHECK(to_bin(PG_OID_BYTEA, "a\\\\b\\001", "a\\b\x01", 4));
    CHECK(roundtrip(PG_OID_BYTEA, "\\x00ff10"));
    CHECK(roundtrip(PG_OID_BYTEA, "\\x"));
    CHECK(bad_text(PG_OID_BYTEA, "\\xzz"));
    CHECK(bad_text(PG_OID_BYTEA, "\\x0"));
    CHECK(to_bin(PG_OID_TEXT, "héllo", "h\xc3\xa9llo", 6));
    CHECK(roundtrip(PG_OID_VARCHAR, "abc"));
    CHECK(to_bin(PG_OID_JSONB, "{}", "\x01{}", 3));
    CHECK(roundtrip(PG_OID_JSONB, "{\"a\": 1}"));
    CHECK(roundtrip(PG_OID_UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    CHECK(to_bin(PG_OID_UUID, "{A0EEBC999C0B4EF8BB6D6BB9BD380A11}",
                 "\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11", 16));
    CHECK(bad_text(PG_OID_UUID, "a0eebc99"));
    CHECK(roundtrip(PG_OID_CHAR, "x"));
    CHECK_EQ(pg_type_size(PG_OID_INT4), 4);
    CHECK_EQ(pg_type_size(PG_OID_TEXT), -1);
    CHECK_EQ(pg_type_size(PG_OID_UNKNOWN), -2);
    CHECK(pg_type_has_binary(PG_OID_NUMERIC) && !pg_type_has_binary(PG_OID_INTERVAL));
    struct buf b = BUF_INIT;
    struct errbuf eb;
    CHECK_EQ(pg_text_to_binary(PG_OID_INTERVAL, "1 day", 5, &b, &eb), ERR_UNSUPPORTED);
    CHECK_EQ(pg_binary_to_text(PG_OID_JSONB, "\x02{}", 3, &b, &eb), ERR_INVAL);
    buf_free(&b);
}

TEST_MAIN()
