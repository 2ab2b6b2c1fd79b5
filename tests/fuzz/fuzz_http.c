/* Fuzz driver for the HTTP request parser and response writer. Properties checked: no crash or
 * sanitizer report; the same stream fed whole, in input-derived pieces and byte by byte gives
 * the same requests and the same error; parsed fields respect their limits; errors carry a
 * status and a message; request header values can always be echoed in a response. */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/http/http.h"

/* Small, so inputs reach the body limit. */
#define FUZZ_HTTP_BODY_BYTES_MAX 4096
/* Byte-by-byte feeding is quadratic in nothing but slow per byte: only for short inputs. */
#define FUZZ_HTTP_BYTEWISE_BYTES_MAX 4096

const char *const fuzz_dict[] = {
    "GET ",
    "POST ",
    "PUT ",
    "DELETE ",
    "HEAD ",
    " HTTP/1.1\r\n",
    " HTTP/1.0\r\n",
    "HTTP/2.0",
    "\r\n",
    "\r\n\r\n",
    "\n",
    "Host: a\r\n",
    "Content-Length: ",
    "Transfer-Encoding: chunked\r\n",
    "Connection: close\r\n",
    "Connection: keep-alive\r\n",
    "Expect: 100-continue\r\n",
    "0\r\n\r\n",
    "ffffffffffffffff",
    ";ext=1",
    "%2F",
    "%00",
    "%",
    "?a=1&b",
    "+",
    "http://h/",
    "*",
    ": ",
    " \t",
    "4096",
    "4097",
    "99999999999999999999",
};
const size_t fuzz_dict_len = sizeof fuzz_dict / sizeof fuzz_dict[0];

static void put_escaped(struct buf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x21 && c < 0x7f && c != '\\')
            buf_append_u8(b, c);
        else
            buf_printf(b, "\\x%02x", c);
    }
}

static void check_request(const uint8_t *data, size_t size, const struct http_request *r)
{
    if (r->target_len == 0 || r->target_len > HTTP_TARGET_BYTES_MAX || r->path_len == 0)
        fuzz_fail(data, size, "target length out of bounds");
    if (r->path_len > r->target_len && !(r->path_len == 1 && r->path[0] == '/'))
        fuzz_fail(data, size, "decoded path longer than the target");
    if (r->n_headers > HTTP_HEADER_COUNT_MAX || r->n_params > HTTP_QUERY_PARAMS_MAX)
        fuzz_fail(data, size, "too many headers or parameters");
    if (r->body.len > FUZZ_HTTP_BODY_BYTES_MAX)
        fuzz_fail(data, size, "body over the limit");
    if (r->has_content_length && !r->chunked && r->body.len != r->content_length)
        fuzz_fail(data, size, "body length differs from Content-Length");
    if (r->version_minor == 1 && http_request_header(r, "host") == NULL)
        fuzz_fail(data, size, "HTTP/1.1 request without Host accepted");
    /* Echoing any request header value in a response is always safe: the writer accepts it
     * unless the name is one it owns. */
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->headers[i].name;
        if (name[0] == '\0' || strchr(r->headers[i].value, '\r') ||
            strchr(r->headers[i].value, '\n'))
            fuzz_fail(data, size, "bad header parsed");
        struct http_header h = {name, r->headers[i].value};
        struct http_response resp = {.status = 200,
                                     .headers = &h,
                                     .n_headers = 1,
                                     .body = r->body.data,
                                     .body_len = r->body.len};
        struct buf out = BUF_INIT;
        int rc = http_response_write(&out, &resp, NULL);
        int owned = strcasecmp(name, "content-length") == 0 ||
                    strcasecmp(name, "transfer-encoding") == 0 ||
                    strcasecmp(name, "connection") == 0;
        if ((rc == 0) == owned)
            fuzz_fail(data, size, "response writer refused or accepted the wrong header");
        buf_free(&out);
    }
    const struct http_query_param *q = r->n_params ? &r->params[0] : NULL;
    if (q != NULL && q->name_len == strlen(q->name) && http_request_param(r, q->name) != q)
        fuzz_fail(data, size, "parameter lookup does not find the first match");
}

static void summarize(struct buf *b, const struct http_request *r)
{
    buf_printf(b, "REQ %s(%d) ", r->method_name, (int)r->method);
    put_escaped(b, r->target, r->target_len);
    buf_printf(b, " ");
    put_escaped(b, r->path, r->path_len);
    for (size_t i = 0; i < r->n_params; i++) {
        buf_printf(b, " p=");
        put_escaped(b, r->params[i].name, r->params[i].name_len);
        buf_printf(b, "%s", r->params[i].has_value ? "=" : "");
        put_escaped(b, r->params[i].value, r->params[i].value_len);
    }
    for (size_t i = 0; i < r->n_headers; i++) {
        buf_printf(b, " h=%s:", r->headers[i].name);
        put_escaped(b, r->headers[i].value, strlen(r->headers[i].value));
    }
    buf_printf(b, " v%d cl%d=%llu ch%d ka%d ex%d body=", r->version_minor, r->has_content_length,
               (unsigned long long)r->content_length, r->chunked, r->keep_alive,
               r->expect_continue);
    put_escaped(b, (const char *)r->body.data, r->body.len);
    buf_printf(b, "\n");
}

/* piece(i) gives the size of the i-th piece (0: everything left). */
static void run(const uint8_t *data, size_t size, size_t (*piece)(const uint8_t *, size_t, size_t),
                struct buf *out, int check)
{
    struct http_parser p;
    http_parser_init(&p, FUZZ_HTTP_BODY_BYTES_MAX);
    size_t off = 0, k = 0;
    int failed = 0;
    while (off < size && !failed) {
        size_t n = piece(data, size, k++);
        if (n == 0 || n > size - off)
            n = size - off;
        size_t pos = 0;
        while (pos < n) {
            size_t used = 0;
            struct errbuf eb;
            int rc = http_parser_feed(&p, data + off + pos, n - pos, &used, &eb);
            if (used > n - pos)
                fuzz_fail(data, size, "parser consumed more than it was given");
            pos += used;
            if (rc == ERR_NEEDMORE) {
                if (pos != n)
                    fuzz_fail(data, size, "ERR_NEEDMORE without consuming everything");
                break;
            }
            if (rc != 0) {
                int s = p.status;
                if (s != 400 && s != 413 && s != 414 && s != 431 && s != 417 && s != 501 &&
                    s != 505)
                    fuzz_fail(data, size, "parser error without a fitting status");
                if (eb.msg[0] == '\0')
                    fuzz_fail(data, size, "parser error without a message");
                buf_printf(out, "ERR %s %d %s\n", err_name(rc), s, eb.msg);
                failed = 1;
                break;
            }
            struct http_request r;
            http_parser_take(&p, &r);
            if (check)
                check_request(data, size, &r);
            summarize(out, &r);
            http_request_free(&r);
        }
        off += n;
    }
    if (!failed && http_parser_started(&p))
        buf_printf(out, "INCOMPLETE %d\n", http_parser_head_done(&p));
    http_parser_free(&p);
}

static size_t whole(const uint8_t *d, size_t n, size_t i)
{
    return 0;
}

static size_t derived(const uint8_t *d, size_t n, size_t i)
{
    return 1 + (size_t)(d[(i * 7) % n] % 23);
}

static size_t bytewise(const uint8_t *d, size_t n, size_t i)
{
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct buf a = BUF_INIT, b = BUF_INIT;
    run(data, size, whole, &a, 1);
    run(data, size, derived, &b, 0);
    if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
        fuzz_fail(data, size, "split feeding changed the result");
    if (size <= FUZZ_HTTP_BYTEWISE_BYTES_MAX) {
        buf_reset(&b);
        run(data, size, bytewise, &b, 0);
        if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
            fuzz_fail(data, size, "byte-by-byte feeding changed the result");
    }
    buf_free(&a);
    buf_free(&b);
    return 0;
}
