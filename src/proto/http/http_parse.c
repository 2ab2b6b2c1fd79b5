/* Incremental HTTP/1.1 request parser (RFC 9112): the head is collected byte by byte into the
 * request's own storage and parsed in one pass once complete, the body is decoded as it comes. */
#include "proto/http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"

enum { PH_HEAD, PH_BODY, PH_DONE, PH_ERROR };

/* Head scanner states: line ends are CRLF or a bare LF (RFC 9112 2.2 lets a recipient accept
 * LF); a CR anywhere else is an error. Empty lines before the request line are skipped. */
enum { HS_START, HS_START_CR, HS_LINE, HS_LINE_CR, HS_LINE_START, HS_EMPTY_CR };

/* Chunked decoder states (RFC 9112 7.1). Chunk framing must use CRLF. */
enum {
    CH_SIZE,
    CH_SIZE_MORE,
    CH_SIZE_WS,
    CH_EXT,
    CH_SIZE_LF,
    CH_DATA,
    CH_DATA_CR,
    CH_DATA_LF,
    CH_TRAILER_START,
    CH_TRAILER,
    CH_TRAILER_LF,
    CH_END_LF,
};

/* Below this the body buffer grows as bytes arrive, so a client announcing a large body and
 * sending nothing does not pin memory. */
#define HTTP_BODY_PREALLOC_BYTES_MAX (64 * 1024)
#define HTTP_CHUNK_SIZE_DIGITS_MAX   16

static int fail(struct http_parser *p, struct errbuf *eb, int code, int status, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static int fail(struct http_parser *p, struct errbuf *eb, int code, int status, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    p->phase = PH_ERROR;
    p->err = code;
    p->status = status;
    if (eb != NULL)
        memcpy(eb->msg, p->errmsg, sizeof eb->msg);
    return code;
}

static int sticky(const struct http_parser *p, struct errbuf *eb)
{
    ASSERT(p->phase == PH_ERROR && p->err < 0);
    if (eb != NULL)
        memcpy(eb->msg, p->errmsg, sizeof eb->msg);
    return p->err;
}

void http_parser_init(struct http_parser *p, size_t body_bytes_max)
{
    memset(p, 0, sizeof *p);
    p->body_bytes_max = body_bytes_max ? body_bytes_max : HTTP_BODY_BYTES_MAX_DEFAULT;
    p->phase = PH_HEAD;
    p->hstate = HS_START;
}

void http_parser_reset(struct http_parser *p)
{
    size_t max = p->body_bytes_max;
    http_request_free(&p->req);
    http_parser_init(p, max);
}

void http_parser_free(struct http_parser *p)
{
    http_request_free(&p->req);
}

void http_request_free(struct http_request *r)
{
    buf_free(&r->store);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

int http_parser_head_done(const struct http_parser *p)
{
    return p->phase == PH_BODY || p->phase == PH_DONE;
}

int http_parser_started(const struct http_parser *p)
{
    return p->phase != PH_HEAD || p->req.store.len > 0;
}

void http_parser_take(struct http_parser *p, struct http_request *out)
{
    ASSERT(p->phase == PH_DONE);
    *out = p->req;
    memset(&p->req, 0, sizeof p->req);
    http_parser_reset(p);
}

/* ---- Character classes ---- */

static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- Head scanning ---- */

/* Appends a content byte of the current line (room was reserved by the caller). */
static int head_content(struct http_parser *p, unsigned char c, struct errbuf *eb)
{
    if (is_ctl(c))
        return fail(p, eb, ERR_MALFORMED, 400, "control character 0x%02x in request head", c);
    ASSERT(p->req.store.len < p->req.store.cap);
    p->req.store.data[p->req.store.len++] = c;
    p->line_bytes++;
    if (p->lines == 0 && p->line_bytes > HTTP_REQUEST_LINE_BYTES_MAX)
        return fail(p, eb, ERR_TOOBIG, 414, "request line longer than %d bytes",
                    HTTP_REQUEST_LINE_BYTES_MAX);
    return 0;
}

static int head_line_end(struct http_parser *p, struct errbuf *eb)
{
    ASSERT(p->req.store.len < p->req.store.cap);
    p->req.store.data[p->req.store.len++] = '\n';
    p->lines++;
    p->line_bytes = 0;
    p->hstate = HS_LINE_START;
    if (p->lines - 1 > HTTP_HEADER_COUNT_MAX)
        return fail(p, eb, ERR_TOOBIG, 431, "more than %d header fields", HTTP_HEADER_COUNT_MAX);
    return 0;
}

/* One byte of the head. Returns 0 to go on, 1 when the empty line ending the head was read, or
 * an error. */
static int head_byte(struct http_parser *p, unsigned char c, struct errbuf *eb)
{
    if (++p->head_bytes > HTTP_HEADER_BYTES_MAX)
        return fail(p, eb, ERR_TOOBIG, 431, "request head larger than %d bytes",
                    HTTP_HEADER_BYTES_MAX);
    switch (p->hstate) {
    case HS_START:
        if (c == '\n')
            return 0;
        if (c == '\r') {
            p->hstate = HS_START_CR;
            return 0;
        }
        p->hstate = HS_LINE;
        return head_content(p, c, eb);
    case HS_START_CR:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "CR not followed by LF in request head");
        p->hstate = HS_START;
        return 0;
    case HS_LINE:
        if (c == '\r') {
            p->hstate = HS_LINE_CR;
            return 0;
        }
        if (c == '\n')
            return head_line_end(p, eb);
        return head_content(p, c, eb);
    case HS_LINE_CR:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "CR not followed by LF in request head");
        return head_line_end(p, eb);
    case HS_LINE_START:
        if (c == '\n')
            return 1;
        if (c == '\r') {
            p->hstate = HS_EMPTY_CR;
            return 0;
        }
        p->hstate = HS_LINE;
        return head_content(p, c, eb);
    case HS_EMPTY_CR:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "CR not followed by LF in request head");
        return 1;
    }
    PANIC("bad head state %d", p->hstate);
}

/* ---- Head parsing ---- */

static int ieq_n(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* Percent-decodes src[0..len) to dst (room for len + 1 bytes), NUL-terminates it and returns
 * the decoded length, or -1 on a bad escape. */
static long pct_decode(const char *src, size_t len, int plus_is_space, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return -1;
            int h = hex_val((unsigned char)src[i + 1]), l = hex_val((unsigned char)src[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            dst[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            dst[o++] = ' ';
        } else {
            dst[o++] = c;
        }
    }
    dst[o] = '\0';
    return (long)o;
}

/* Hands out decoded-string room from the storage reserved after the head. */
static char *store_room(struct http_request *r, size_t n)
{
    ASSERT(r->store.cap - r->store.len >= n);
    char *p = (char *)r->store.data + r->store.len;
    r->store.len += n;
    return p;
}

static int parse_query(struct http_parser *p, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    const char *q = r->query, *end = r->query + r->query_len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        if (pe > q) {
            if (r->n_params == HTTP_QUERY_PARAMS_MAX)
                return fail(p, eb, ERR_TOOBIG, 414, "more than %d query parameters",
                            HTTP_QUERY_PARAMS_MAX);
            struct http_query_param *qp = &r->params[r->n_params++];
            const char *eq = memchr(q, '=', (size_t)(pe - q));
            const char *ne = eq ? eq : pe;
            char *name = store_room(r, (size_t)(ne - q) + 1);
            long nl = pct_decode(q, (size_t)(ne - q), 1, name);
            const char *vs = eq ? eq + 1 : pe;
            char *val = store_room(r, (size_t)(pe - vs) + 1);
            long vl = pct_decode(vs, (size_t)(pe - vs), 1, val);
            if (nl < 0 || vl < 0)
                return fail(p, eb, ERR_MALFORMED, 400, "invalid percent-encoding in query");
            qp->name = name;
            qp->name_len = (size_t)nl;
            qp->value = val;
            qp->value_len = (size_t)vl;
            qp->has_value = eq != NULL;
        }
        q = amp ? amp + 1 : end;
    }
    return 0;
}

/* Splits and decodes the request-target (RFC 9112 3.2): origin-form, absolute-form or "*". */
static int parse_target(struct http_parser *p, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    const char *t = r->target, *end = r->target + r->target_len;
    if (memchr(t, '#', r->target_len) != NULL)
        return fail(p, eb, ERR_MALFORMED, 400, "request target contains a fragment ('#')");
    if (r->target_len == 1 && t[0] == '*') {
        char *path = store_room(r, 2);
        memcpy(path, "*", 2);
        r->path = path;
        r->path_len = 1;
        return 0;
    }
    const char *ps = t;
    if (t[0] != '/') {
        size_t skip = 0;
        if (r->target_len > 7 && strncasecmp(t, "http://", 7) == 0)
            skip = 7;
        else if (r->target_len > 8 && strncasecmp(t, "https://", 8) == 0)
            skip = 8;
        if (skip == 0)
            return fail(p, eb, ERR_MALFORMED, 400, "request target must start with '/'");
        ps = t + skip;
        while (ps < end && *ps != '/' && *ps != '?')
            ps++;
        if (ps == t + skip)
            return fail(p, eb, ERR_MALFORMED, 400, "absolute request target without a host");
    }
    const char *qm = memchr(ps, '?', (size_t)(end - ps));
    const char *pe = qm ? qm : end;
    if (pe == ps) {
        char *path = store_room(r, 2);
        memcpy(path, "/", 2);
        r->path = path;
        r->path_len = 1;
    } else {
        char *path = store_room(r, (size_t)(pe - ps) + 1);
        long n = pct_decode(ps, (size_t)(pe - ps), 0, path);
        if (n < 0)
            return fail(p, eb, ERR_MALFORMED, 400, "invalid percent-encoding in path");
        r->path = path;
        r->path_len = (size_t)n;
    }
    if (qm != NULL) {
        r->query = qm + 1;
        r->query_len = (size_t)(end - qm - 1);
        return parse_query(p, eb);
    }
    return 0;
}

static enum http_method method_of(const char *m, size_t n)
{
    static const struct {
        const char *name;
        enum http_method m;
    } tab[] = {{"GET", HTTP_GET},    {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
               {"PUT", HTTP_PUT},    {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS},
               {"PATCH", HTTP_PATCH}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strlen(tab[i].name) == n && memcmp(tab[i].name, m, n) == 0)
            return tab[i].m;
    return HTTP_OTHER;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3). Splits the first line in
 * place, NUL-terminating method and target. */
static int parse_request_line(struct http_parser *p, char *line, size_t len, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    char *end = line + len;
    char *sp1 = memchr(line, ' ', len);
    if (sp1 == NULL || sp1 == line)
        return fail(p, eb, ERR_MALFORMED, 400, "request line is not 'METHOD target HTTP/1.x'");
    for (char *c = line; c < sp1; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(p, eb, ERR_MALFORMED, 400, "invalid character in method");
    if (sp1 - line > HTTP_METHOD_BYTES_MAX)
        return fail(p, eb, ERR_MALFORMED, 400, "method longer than %d bytes",
                    HTTP_METHOD_BYTES_MAX);
    char *ts = sp1 + 1;
    char *sp2 = memchr(ts, ' ', (size_t)(end - ts));
    if (sp2 == NULL || sp2 == ts)
        return fail(p, eb, ERR_MALFORMED, 400, "request line is not 'METHOD target HTTP/1.x'");
    if (sp2 - ts > HTTP_TARGET_BYTES_MAX)
        return fail(p, eb, ERR_TOOBIG, 414, "request target longer than %d bytes",
                    HTTP_TARGET_BYTES_MAX);
    char *v = sp2 + 1;
    size_t vlen = (size_t)(end - v);
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(p, eb, ERR_MALFORMED, 400, "invalid HTTP version in request line");
    if (v[5] != '1')
        return fail(p, eb, ERR_UNSUPPORTED, 505, "HTTP version %c.%c not supported", v[5], v[7]);
    /* A higher 1.x minor is answered as 1.1 (RFC 9110 6.2). */
    r->version_minor = v[7] == '0' ? 0 : 1;
    *sp1 = '\0';
    *sp2 = '\0';
    r->method_name = line;
    r->method = method_of(line, (size_t)(sp1 - line));
    r->target = ts;
    r->target_len = (size_t)(sp2 - ts);
    return 0;
}

/* Splits a header line in place: name ':' OWS value OWS (RFC 9112 5). */
static int parse_header_line(struct http_parser *p, char *line, char *end, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    if (line[0] == ' ' || line[0] == '\t')
        return fail(p, eb, ERR_MALFORMED, 400, "obsolete line folding in header");
    char *colon = memchr(line, ':', (size_t)(end - line));
    if (colon == NULL)
        return fail(p, eb, ERR_MALFORMED, 400, "header line without ':'");
    if (colon == line)
        return fail(p, eb, ERR_MALFORMED, 400, "empty header name");
    for (char *c = line; c < colon; c++)
        if (!is_tchar((unsigned char)*c))
            return fail(p, eb, ERR_MALFORMED, 400, "invalid character in header name");
    char *v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    char *ve = end;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    *colon = '\0';
    *ve = '\0';
    ASSERT(r->n_headers < HTTP_HEADER_COUNT_MAX);
    r->headers[r->n_headers].name = line;
    r->headers[r->n_headers].value = v;
    r->n_headers++;
    return 0;
}

/* Calls fn on each element of a comma-separated list (RFC 9110 5.6.1), OWS trimmed, empty
 * elements skipped. Stops at the first nonzero return. */
static int list_each(const char *v, int (*fn)(void *arg, const char *e, size_t n), void *arg)
{
    while (*v != '\0') {
        const char *comma = strchr(v, ',');
        const char *e = comma ? comma : v + strlen(v);
        const char *s = v;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (t > s) {
            int rc = fn(arg, s, (size_t)(t - s));
            if (rc != 0)
                return rc;
        }
        v = comma ? comma + 1 : e;
    }
    return 0;
}

struct head_sem {
    int conn_close, conn_keep;
    int te_seen, te_chunked, te_other, te_chunked_twice;
    int expect_other, expect_continue;
};

static int on_connection_token(void *arg, const char *e, size_t n)
{
    struct head_sem *s = arg;
    if (ieq_n(e, n, "close"))
        s->conn_close = 1;
    else if (ieq_n(e, n, "keep-alive"))
        s->conn_keep = 1;
    return 0;
}

static int on_te_token(void *arg, const char *e, size_t n)
{
    struct head_sem *s = arg;
    if (ieq_n(e, n, "chunked")) {
        if (s->te_chunked)
            s->te_chunked_twice = 1;
        s->te_chunked = 1;
    } else {
        s->te_other = 1;
    }
    return 0;
}

static int on_expect_token(void *arg, const char *e, size_t n)
{
    struct head_sem *s = arg;
    if (ieq_n(e, n, "100-continue"))
        s->expect_continue = 1;
    else
        s->expect_other = 1;
    return 0;
}

/* Message framing and connection semantics from the header fields (RFC 9112 6, 9.3). */
static int head_semantics(struct http_parser *p, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    struct head_sem s = {0};
    size_t hosts = 0;
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->headers[i].name, *v = r->headers[i].value;
        if (strcasecmp(name, "content-length") == 0) {
            if (*v == '\0')
                return fail(p, eb, ERR_MALFORMED, 400, "empty Content-Length");
            uint64_t n = 0;
            for (const char *c = v; *c != '\0'; c++) {
                if (*c < '0' || *c > '9')
                    return fail(p, eb, ERR_MALFORMED, 400, "invalid Content-Length");
                unsigned d = (unsigned)(*c - '0');
                if (n > (UINT64_MAX - d) / 10)
                    return fail(p, eb, ERR_TOOBIG, 413, "Content-Length too large");
                n = n * 10 + d;
            }
            if (r->has_content_length && r->content_length != n)
                return fail(p, eb, ERR_MALFORMED, 400, "conflicting Content-Length headers");
            r->has_content_length = 1;
            r->content_length = n;
        } else if (strcasecmp(name, "transfer-encoding") == 0) {
            s.te_seen = 1;
            list_each(v, on_te_token, &s);
        } else if (strcasecmp(name, "connection") == 0) {
            list_each(v, on_connection_token, &s);
        } else if (strcasecmp(name, "expect") == 0) {
            list_each(v, on_expect_token, &s);
        } else if (strcasecmp(name, "host") == 0) {
            hosts++;
        }
    }
    if (r->version_minor == 1 && hosts == 0)
        return fail(p, eb, ERR_MALFORMED, 400, "HTTP/1.1 request without a Host header");
    if (hosts > 1)
        return fail(p, eb, ERR_MALFORMED, 400, "more than one Host header");
    if (s.te_seen) {
        /* Both framings at once is how requests get smuggled: refuse (RFC 9112 6.1). */
        if (r->has_content_length)
            return fail(p, eb, ERR_MALFORMED, 400,
                        "both Transfer-Encoding and Content-Length in request");
        if (r->version_minor == 0)
            return fail(p, eb, ERR_MALFORMED, 400, "Transfer-Encoding in an HTTP/1.0 request");
        if (s.te_other)
            return fail(p, eb, ERR_UNSUPPORTED, 501,
                        "only the chunked transfer coding is "
                        "supported");
        if (s.te_chunked_twice || !s.te_chunked)
            return fail(p, eb, ERR_MALFORMED, 400, "invalid Transfer-Encoding");
        r->chunked = 1;
    }
    if (r->version_minor == 1) {
        /* Expect is ignored on HTTP/1.0 requests (RFC 9110 10.1.1). */
        if (s.expect_other)
            return fail(p, eb, ERR_UNSUPPORTED, 417, "only 'Expect: 100-continue' is supported");
        r->expect_continue = s.expect_continue;
        r->keep_alive = !s.conn_close;
    } else {
        r->keep_alive = s.conn_keep && !s.conn_close;
    }
    if (r->has_content_length && r->content_length > p->body_bytes_max)
        return fail(p, eb, ERR_TOOBIG, 413, "request body of %llu bytes exceeds the limit of %zu",
                    (unsigned long long)r->content_length, p->body_bytes_max);
    return 0;
}

/* The empty line was read: store holds the head's lines, each ended by '\n'. */
static int head_done(struct http_parser *p, struct errbuf *eb)
{
    struct http_request *r = &p->req;
    size_t head_len = r->store.len;
    ASSERT(head_len > 0 && r->store.data[head_len - 1] == '\n');
    char *s = (char *)r->store.data;
    char *nl = memchr(s, '\n', head_len);
    ASSERT(nl != NULL);
    size_t line_len = (size_t)(nl - s);
    /* Room for the decoded path and query: reserved now, before any pointer into store is
     * taken, so store never moves again. */
    if (buf_reserve(&r->store, 2 * line_len + 2 * HTTP_QUERY_PARAMS_MAX + 8) != 0)
        return fail(p, eb, ERR_NOMEM, 500, "out of memory");
    s = (char *)r->store.data;
    nl = s + line_len;
    int rc = parse_request_line(p, s, line_len, eb);
    if (rc != 0)
        return rc;
    char *line = nl + 1, *end = s + head_len;
    while (line < end) {
        char *e = memchr(line, '\n', (size_t)(end - line));
        ASSERT(e != NULL);
        rc = parse_header_line(p, line, e, eb);
        if (rc != 0)
            return rc;
        line = e + 1;
    }
    rc = parse_target(p, eb);
    if (rc != 0)
        return rc;
    rc = head_semantics(p, eb);
    if (rc != 0)
        return rc;
    if (r->chunked) {
        p->phase = PH_BODY;
        p->cstate = CH_SIZE;
    } else if (r->has_content_length && r->content_length > 0) {
        size_t pre = r->content_length < HTTP_BODY_PREALLOC_BYTES_MAX
                         ? (size_t)r->content_length
                         : HTTP_BODY_PREALLOC_BYTES_MAX;
        if (buf_reserve(&r->body, pre) != 0)
            return fail(p, eb, ERR_NOMEM, 500, "out of memory");
        p->phase = PH_BODY;
    } else {
        p->phase = PH_DONE;
    }
    return 0;
}

int http_parse_head(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                    struct errbuf *eb)
{
    *consumed = 0;
    if (p->phase == PH_ERROR)
        return sticky(p, eb);
    if (p->phase != PH_HEAD)
        return 0;
    /* Each input byte stores at most one byte, and never more than the head limit. */
    size_t room = len < HTTP_HEADER_BYTES_MAX + 1 ? len : HTTP_HEADER_BYTES_MAX + 1;
    if (buf_reserve(&p->req.store, room) != 0)
        return fail(p, eb, ERR_NOMEM, 500, "out of memory");
    const unsigned char *d = data;
    for (size_t i = 0; i < len; i++) {
        int rc = head_byte(p, d[i], eb);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *consumed = i + 1;
            return head_done(p, eb);
        }
    }
    *consumed = len;
    return ERR_NEEDMORE;
}

/* ---- Body ---- */

static int body_append(struct http_parser *p, const unsigned char *d, size_t n, struct errbuf *eb)
{
    if (buf_append(&p->req.body, d, n) != 0)
        return fail(p, eb, ERR_NOMEM, 500, "out of memory");
    return 0;
}

/* One step of the chunked decoder at d[*i]; advances *i. Returns 0, 1 when the last chunk's
 * trailer section ended, or an error. */
static int chunked_step(struct http_parser *p, const unsigned char *d, size_t len, size_t *i,
                        struct errbuf *eb)
{
    unsigned char c = d[*i];
    switch (p->cstate) {
    case CH_SIZE:
        if (hex_val(c) < 0)
            return fail(p, eb, ERR_MALFORMED, 400, "invalid chunk size");
        p->chunk_left = (uint64_t)hex_val(c);
        p->chunk_digits = 1;
        p->chunk_ext_bytes = 0;
        p->cstate = CH_SIZE_MORE;
        break;
    case CH_SIZE_MORE:
        if (hex_val(c) >= 0) {
            if (p->chunk_digits == HTTP_CHUNK_SIZE_DIGITS_MAX)
                return fail(p, eb, ERR_TOOBIG, 413, "chunk size too large");
            p->chunk_left = p->chunk_left * 16 + (uint64_t)hex_val(c);
            p->chunk_digits++;
        } else if (c == ';') {
            p->cstate = CH_EXT;
        } else if (c == ' ' || c == '\t') {
            p->cstate = CH_SIZE_WS;
        } else if (c == '\r') {
            p->cstate = CH_SIZE_LF;
        } else {
            return fail(p, eb, ERR_MALFORMED, 400, "invalid character after chunk size");
        }
        break;
    case CH_SIZE_WS: /* BWS before a chunk extension */
        if (++p->chunk_ext_bytes > HTTP_CHUNK_EXT_BYTES_MAX)
            return fail(p, eb, ERR_MALFORMED, 400, "chunk extension longer than %d bytes",
                        HTTP_CHUNK_EXT_BYTES_MAX);
        if (c == ';')
            p->cstate = CH_EXT;
        else if (c != ' ' && c != '\t')
            return fail(p, eb, ERR_MALFORMED, 400, "invalid character after chunk size");
        break;
    case CH_EXT:
        if (c == '\r') {
            p->cstate = CH_SIZE_LF;
        } else if (is_ctl(c)) {
            return fail(p, eb, ERR_MALFORMED, 400, "control character in chunk extension");
        } else if (++p->chunk_ext_bytes > HTTP_CHUNK_EXT_BYTES_MAX) {
            return fail(p, eb, ERR_MALFORMED, 400, "chunk extension longer than %d bytes",
                        HTTP_CHUNK_EXT_BYTES_MAX);
        }
        break;
    case CH_SIZE_LF:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "chunk size line not ended by CRLF");
        if (p->chunk_left == 0) {
            p->cstate = CH_TRAILER_START;
        } else {
            if (p->chunk_left > p->body_bytes_max - p->req.body.len)
                return fail(p, eb, ERR_TOOBIG, 413, "chunked request body exceeds the limit of %zu",
                            p->body_bytes_max);
            p->cstate = CH_DATA;
        }
        break;
    case CH_DATA: {
        size_t n = len - *i;
        if (n > p->chunk_left)
            n = (size_t)p->chunk_left;
        int rc = body_append(p, d + *i, n, eb);
        if (rc != 0)
            return rc;
        p->chunk_left -= n;
        if (p->chunk_left == 0)
            p->cstate = CH_DATA_CR;
        *i += n;
        return 0;
    }
    case CH_DATA_CR:
        if (c != '\r')
            return fail(p, eb, ERR_MALFORMED, 400, "chunk data not followed by CRLF");
        p->cstate = CH_DATA_LF;
        break;
    case CH_DATA_LF:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "chunk data not followed by CRLF");
        p->cstate = CH_SIZE;
        break;
    case CH_TRAILER_START:
    case CH_TRAILER:
        if (c == '\r') {
            p->cstate = p->cstate == CH_TRAILER_START ? CH_END_LF : CH_TRAILER_LF;
            break;
        }
        /* Trailer fields are read and dropped: nothing here acts on them. */
        if (is_ctl(c))
            return fail(p, eb, ERR_MALFORMED, 400, "control character in chunked trailer");
        if (++p->trailer_bytes > HTTP_HEADER_BYTES_MAX)
            return fail(p, eb, ERR_TOOBIG, 431, "chunked trailer larger than %d bytes",
                        HTTP_HEADER_BYTES_MAX);
        p->cstate = CH_TRAILER;
        break;
    case CH_TRAILER_LF:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "trailer line not ended by CRLF");
        p->cstate = CH_TRAILER_START;
        break;
    case CH_END_LF:
        if (c != '\n')
            return fail(p, eb, ERR_MALFORMED, 400, "chunked body not ended by CRLF");
        (*i)++;
        return 1;
    default:
        PANIC("bad chunked state %d", p->cstate);
    }
    (*i)++;
    return 0;
}

int http_parse_body(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                    struct errbuf *eb)
{
    *consumed = 0;
    if (p->phase == PH_ERROR)
        return sticky(p, eb);
    if (p->phase == PH_DONE)
        return 0;
    ASSERT(p->phase == PH_BODY);
    const unsigned char *d = data;
    struct http_request *r = &p->req;
    if (!r->chunked) {
        ASSERT(r->body.len < r->content_length);
        size_t n = len;
        if (n > r->content_length - r->body.len)
            n = (size_t)(r->content_length - r->body.len);
        int rc = body_append(p, d, n, eb);
        if (rc != 0)
            return rc;
        *consumed = n;
        if (r->body.len < r->content_length)
            return ERR_NEEDMORE;
        p->phase = PH_DONE;
        return 0;
    }
    size_t i = 0;
    while (i < len) {
        int rc = chunked_step(p, d, len, &i, eb);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *consumed = i;
            p->phase = PH_DONE;
            return 0;
        }
    }
    *consumed = len;
    return ERR_NEEDMORE;
}

int http_parser_feed(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                     struct errbuf *eb)
{
    size_t used = 0;
    int rc = http_parse_head(p, data, len, &used, eb);
    *consumed = used;
    if (rc != 0)
        return rc;
    size_t more = 0;
    rc = http_parse_body(p, (const char *)data + used, len - used, &more, eb);
    *consumed = used + more;
    return rc;
}

/* ---- Lookups ---- */

const char *http_request_header(const struct http_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

const struct http_query_param *http_request_param(const struct http_request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_params; i++)
        if (r->params[i].name_len == n && memcmp(r->params[i].name, name, n) == 0)
            return &r->params[i];
    return NULL;
}
