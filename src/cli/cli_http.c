/* HTTP/1.1 client side for the CLI (RFC 9112): the response parser collects the head, parses it
 * in place once complete, then decodes the body as it arrives; the blocking client drives it over
 * a socket with poll() deadlines. */
#include "cli/cli_http.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"

/* ---- Addresses ----------------------------------------------------------------------------- */

int cli_addr_parse(const char *s, struct cli_addr *out, struct errbuf *eb)
{
    memset(out, 0, sizeof *out);
    const char *host, *host_end, *colon;
    if (s[0] == '[') {
        host = s + 1;
        host_end = strchr(host, ']');
        if (host_end == NULL || host_end[1] != ':')
            return err_set(eb, ERR_INVAL, "bad address \"%s\": expected [IPV6]:PORT", s);
        colon = host_end + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return err_set(eb, ERR_INVAL, "bad address \"%s\": expected HOST:PORT", s);
        host = s;
        host_end = colon;
        if (memchr(host, ':', (size_t)(host_end - host)) != NULL)
            return err_set(eb, ERR_INVAL, "bad address \"%s\": write an IPv6 host as [HOST]:PORT",
                           s);
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0)
        return err_set(eb, ERR_INVAL, "bad address \"%s\": empty host", s);
    if (host_len >= sizeof out->host)
        return err_set(eb, ERR_INVAL, "bad address: host longer than %d bytes",
                       CLI_ADDR_HOST_BYTES_MAX - 1);
    for (size_t i = 0; i < host_len; i++) {
        unsigned char ch = (unsigned char)host[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '[' || ch == ']' || ch == '@')
            return err_set(eb, ERR_INVAL, "bad address \"%s\": bad character in host", s);
    }
    const char *port = colon + 1;
    unsigned long v = 0;
    size_t digits = 0;
    for (const char *q = port; *q; q++, digits++) {
        if (*q < '0' || *q > '9' || digits >= 5)
            return err_set(eb, ERR_INVAL, "bad address \"%s\": bad port", s);
        v = v * 10 + (unsigned long)(*q - '0');
    }
    if (digits == 0 || v == 0 || v > 65535)
        return err_set(eb, ERR_INVAL, "bad address \"%s\": port must be 1..65535", s);
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    out->port = (uint16_t)v;
    int is_v6 = strchr(out->host, ':') != NULL;
    snprintf(out->text, sizeof out->text, is_v6 ? "[%s]:%u" : "%s:%u", out->host,
             (unsigned)out->port);
    return 0;
}

static int addr_lookup(const struct cli_addr *a, struct addrinfo **res, struct errbuf *eb)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)a->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int rc = getaddrinfo(a->host, port, &hints, res);
    if (rc != 0)
        return err_set(eb, ERR_IO, "cannot resolve %s: %s", a->host,
                       rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return 0;
}

/* Milliseconds left until deadline_ms (0 once passed), as a poll() timeout. */
static int ms_left(uint64_t deadline_ms)
{
    uint64_t now = clock_mono_ms();
    if (now >= deadline_ms)
        return 0;
    uint64_t left = deadline_ms - now;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Waits until fd is ready for events. Returns 1 when ready, 0 on timeout, or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, ms_left(deadline_ms));
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* Connects a non-blocking socket to ai by deadline_ms. Returns the socket, or -1 with *err set
 * to the errno (ETIMEDOUT once the deadline passed). */
static int connect_ai(const struct addrinfo *ai, uint64_t deadline_ms, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    int e = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        e = errno;
        if (e == EINPROGRESS) {
            int w = wait_fd(fd, POLLOUT, deadline_ms);
            socklen_t el = sizeof e;
            if (w == 0)
                e = ETIMEDOUT;
            else if (w < 0)
                e = -w;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
                e = errno;
        }
    }
    if (e != 0) {
        close(fd);
        *err = e;
        return -1;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int cli_addr_resolve(const struct cli_addr *a, uint64_t probe_ms, struct sockaddr_storage *sa,
                     socklen_t *sa_len, struct errbuf *eb)
{
    struct addrinfo *res;
    int rc = addr_lookup(a, &res, eb);
    if (rc != 0)
        return rc;
    ASSERT(res != NULL);
    const struct addrinfo *pick = res;
    if (res->ai_next != NULL && probe_ms > 0) {
        uint64_t deadline_ms = clock_mono_ms() + probe_ms;
        for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
            int e;
            int fd = connect_ai(ai, deadline_ms, &e);
            if (fd >= 0) {
                close(fd);
                pick = ai;
                break;
            }
        }
    }
    ASSERT(pick->ai_addrlen <= sizeof *sa);
    memcpy(sa, pick->ai_addr, pick->ai_addrlen);
    *sa_len = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* ---- Percent-encoding ---------------------------------------------------------------------- */

static int is_unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int cli_url_encode(struct buf *out, const void *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *s = p;
    if (n > SIZE_MAX / 3 || buf_reserve(out, n * 3) != 0)
        return ERR_NOMEM;
    uint8_t *w = out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        if (is_unreserved(s[i])) {
            *w++ = s[i];
        } else {
            *w++ = '%';
            *w++ = (uint8_t)hex[s[i] >> 4];
            *w++ = (uint8_t)hex[s[i] & 15];
        }
    }
    out->len = (size_t)(w - out->data);
    ASSERT(out->len <= out->cap);
    return 0;
}

/* ---- Response parser ----------------------------------------------------------------------- */

enum { PH_HEAD, PH_BODY_LENGTH, PH_BODY_CHUNKED, PH_BODY_EOF, PH_DONE, PH_ERROR };

/* Chunked decoder states (RFC 9112 7.1). A bare LF is accepted where CRLF is expected. */
enum {
    CS_SIZE,
    CS_SIZE_MORE,
    CS_EXT,
    CS_SIZE_LF,
    CS_DATA,
    CS_DATA_CR,
    CS_DATA_LF,
    CS_TRAILER_START,
    CS_TRAILER,
    CS_TRAILER_LF,
    CS_END_LF,
};

#define CHUNK_SIZE_DIGITS_MAX 16

static int fail(struct cli_http_parser *p, struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct cli_http_parser *p, struct errbuf *eb, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    p->phase = PH_ERROR;
    p->err = code;
    if (eb != NULL)
        memcpy(eb->msg, p->errmsg, sizeof eb->msg);
    return code;
}

void cli_http_parser_init(struct cli_http_parser *p, size_t body_bytes_max, int discard_body)
{
    memset(p, 0, sizeof *p);
    p->body_bytes_max = body_bytes_max ? body_bytes_max : CLI_HTTP_BODY_BYTES_MAX_DEFAULT;
    p->discard_body = discard_body;
    p->phase = PH_HEAD;
}

static void parser_clear_response(struct cli_http_parser *p)
{
    struct buf body = p->resp.body;
    buf_reset(&body);
    memset(&p->resp, 0, sizeof p->resp);
    p->resp.body = body;
    buf_reset(&p->head);
    p->left = 0;
    p->cstate = CS_SIZE;
    p->chunk_digits = 0;
    p->line_bytes = 0;
    p->trailer_bytes = 0;
    p->phase = PH_HEAD;
}

void cli_http_parser_reset(struct cli_http_parser *p, int head_request)
{
    parser_clear_response(p);
    p->err = 0;
    p->errmsg[0] = '\0';
    p->interim = 0;
    p->head_request = head_request;
}

void cli_http_parser_free(struct cli_http_parser *p)
{
    buf_free(&p->resp.body);
    buf_free(&p->head);
    memset(p, 0, sizeof *p);
}

int cli_http_parser_idle(const struct cli_http_parser *p)
{
    return p->phase == PH_HEAD && p->head.len == 0 && p->interim == 0;
}

const char *cli_http_header(const struct cli_http_response *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    }
    return NULL;
}

static int is_tchar(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 if the comma-separated list v contains token t (case-insensitive). */
static int list_has(const char *v, const char *t, int last_only)
{
    size_t tl = strlen(t);
    int found = 0;
    const char *q = v;
    for (;;) {
        while (*q == ' ' || *q == '\t' || *q == ',')
            q++;
        if (*q == '\0')
            break;
        const char *e = q;
        while (*e && *e != ',')
            e++;
        const char *te = e;
        while (te > q && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        int match = (size_t)(te - q) == tl && strncasecmp(q, t, tl) == 0;
        if (last_only)
            found = match;
        else if (match)
            return 1;
        q = e;
    }
    return found;
}

static int parse_content_length(const char *v, uint64_t *out)
{
    uint64_t n = 0;
    if (*v == '\0')
        return ERR_MALFORMED;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return ERR_MALFORMED;
        if (n > (UINT64_MAX - 9) / 10)
            return ERR_TOOBIG;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    *out = n;
    return 0;
}

/* Splits one line of the head (NUL-terminated in place, CR stripped) into a header. */
static int parse_header_line(struct cli_http_parser *p, char *line, struct errbuf *eb)
{
    struct cli_http_response *r = &p->resp;
    if (line[0] == ' ' || line[0] == '\t')
        return fail(p, eb, ERR_MALFORMED, "response header continuation lines are not supported");
    char *colon = line;
    while (is_tchar((uint8_t)*colon))
        colon++;
    if (*colon != ':' || colon == line)
        return fail(p, eb, ERR_MALFORMED, "malformed response header line");
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    char *e = v + strlen(v);
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *e = '\0';
    for (char *q = v; q < e; q++) {
        uint8_t c = (uint8_t)*q;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(p, eb, ERR_MALFORMED, "control character in response header %s", line);
    }
    if (r->n_headers == CLI_HTTP_HEADER_COUNT_MAX)
        return fail(p, eb, ERR_TOOBIG, "response has more than %d headers",
                    CLI_HTTP_HEADER_COUNT_MAX);
    r->headers[r->n_headers].name = line;
    r->headers[r->n_headers].value = v;
    r->n_headers++;
    return 0;
}

/* Parses the complete head in p->head (NUL-terminated, ends with an empty line) in place. */
static int parse_head(struct cli_http_parser *p, struct errbuf *eb)
{
    struct cli_http_response *r = &p->resp;
    char *s = (char *)p->head.data;
    char *nl = strchr(s, '\n');
    ASSERT(nl != NULL);
    *nl = '\0';
    if (nl > s && nl[-1] == '\r')
        nl[-1] = '\0';
    /* status-line = HTTP-version SP status-code SP [ reason-phrase ] */
    if (strncmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
        return fail(p, eb, ERR_MALFORMED, "not an HTTP/1.x response");
    r->version_minor = s[7] - '0';
    const char *st = s + 9;
    for (int i = 0; i < 3; i++) {
        if (st[i] < '0' || st[i] > '9')
            return fail(p, eb, ERR_MALFORMED, "malformed status code in response");
    }
    if (st[3] != ' ' && st[3] != '\0')
        return fail(p, eb, ERR_MALFORMED, "malformed status line in response");
    r->status = (st[0] - '0') * 100 + (st[1] - '0') * 10 + (st[2] - '0');
    if (r->status < 100)
        return fail(p, eb, ERR_MALFORMED, "status code %d out of range", r->status);
    r->reason = st[3] == ' ' ? st + 4 : st + 3;

    char *line = nl + 1;
    for (;;) {
        nl = strchr(line, '\n');
        ASSERT(nl != NULL); /* the head ends with an empty line */
        *nl = '\0';
        if (nl > line && nl[-1] == '\r')
            nl[-1] = '\0';
        if (line[0] == '\0')
            break;
        int rc = parse_header_line(p, line, eb);
        if (rc != 0)
            return rc;
        line = nl + 1;
    }

    int te_present = 0, close = 0, keep_alive_token = 0;
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *n = r->headers[i].name, *v = r->headers[i].value;
        if (strcasecmp(n, "Content-Length") == 0) {
            uint64_t cl;
            int rc = parse_content_length(v, &cl);
            if (rc != 0)
                return fail(p, eb, rc, "bad Content-Length \"%.40s\" in response", v);
            if (r->has_content_length && cl != r->content_length)
                return fail(p, eb, ERR_MALFORMED, "conflicting Content-Length in response");
            r->has_content_length = 1;
            r->content_length = cl;
        } else if (strcasecmp(n, "Transfer-Encoding") == 0) {
            te_present = 1;
            /* Only the last coding frames the message (RFC 9112 6.3). */
            r->chunked = list_has(v, "chunked", 1);
        } else if (strcasecmp(n, "Connection") == 0) {
            close |= list_has(v, "close", 0);
            keep_alive_token |= list_has(v, "keep-alive", 0);
        }
    }
    r->keep_alive = !close && (r->version_minor >= 1 || keep_alive_token);
    return te_present;
}

static int body_append(struct cli_http_parser *p, const uint8_t *data, size_t n, struct errbuf *eb)
{
    struct cli_http_response *r = &p->resp;
    if (n > p->body_bytes_max - r->body_bytes)
        return fail(p, eb, ERR_TOOBIG, "response body over %zu bytes", p->body_bytes_max);
    if (!p->discard_body && buf_append(&r->body, data, n) != 0)
        return fail(p, eb, ERR_NOMEM, "out of memory for the response body");
    r->body_bytes += n;
    return 0;
}

/* Decides how the body is delimited once the head is parsed (RFC 9112 6.3). */
static int start_body(struct cli_http_parser *p, int te_present, struct errbuf *eb)
{
    struct cli_http_response *r = &p->resp;
    if (p->head_request || r->status < 200 || r->status == 204 || r->status == 304) {
        p->phase = PH_DONE;
        return 0;
    }
    if (r->chunked) {
        /* Framing was ambiguous if a Content-Length came along: do not reuse the connection. */
        if (r->has_content_length)
            r->keep_alive = 0;
        p->phase = PH_BODY_CHUNKED;
        p->cstate = CS_SIZE;
        return 0;
    }
    if (te_present || !r->has_content_length) {
        r->keep_alive = 0;
        p->phase = PH_BODY_EOF;
        return 0;
    }
    if (r->content_length > p->body_bytes_max)
        return fail(p, eb, ERR_TOOBIG, "response body of %" PRIu64 " bytes is over %zu",
                    r->content_length, p->body_bytes_max);
    p->left = r->content_length;
    p->phase = p->left ? PH_BODY_LENGTH : PH_DONE;
    return 0;
}

/* Collects head bytes up to and including the empty line. Returns 0 when the head is complete
 * and parsed, ERR_NEEDMORE, or an error. */
static int feed_head(struct cli_http_parser *p, const uint8_t *d, size_t len, size_t *used,
                     struct errbuf *eb)
{
    size_t i = 0;
    int end = 0;
    for (; i < len; i++) {
        uint8_t c = d[i];
        if (c == '\n') {
            if (p->line_bytes == 0 && p->head.len + i > 0) {
                i++;
                end = 1;
                break;
            }
            p->line_bytes = 0;
        } else if (c != '\r') {
            p->line_bytes++;
        }
    }
    if (p->head.len + i > CLI_HTTP_HEAD_BYTES_MAX)
        return fail(p, eb, ERR_TOOBIG, "response head over %d bytes", CLI_HTTP_HEAD_BYTES_MAX);
    if (buf_append(&p->head, d, i) != 0)
        return fail(p, eb, ERR_NOMEM, "out of memory for the response head");
    *used = i;
    if (!end)
        return ERR_NEEDMORE;
    if (p->head.len == 1 || (p->head.len == 2 && p->head.data[0] == '\r'))
        return fail(p, eb, ERR_MALFORMED, "response starts with an empty line");
    if (buf_append_u8(&p->head, 0) != 0)
        return fail(p, eb, ERR_NOMEM, "out of memory for the response head");
    p->line_bytes = 0;
    int te = parse_head(p, eb);
    if (te < 0)
        return te;
    return start_body(p, te, eb);
}

static int feed_chunked(struct cli_http_parser *p, const uint8_t *d, size_t len, size_t *used,
                        struct errbuf *eb)
{
    size_t i = 0;
    while (i < len && p->phase == PH_BODY_CHUNKED) {
        uint8_t c = d[i];
        if (p->cstate == CS_DATA) {
            size_t n = len - i;
            if (n > p->left)
                n = (size_t)p->left;
            int rc = body_append(p, d + i, n, eb);
            if (rc != 0)
                return rc;
            i += n;
            p->left -= n;
            if (p->left == 0)
                p->cstate = CS_DATA_CR;
            continue;
        }
        i++;
        switch (p->cstate) {
        case CS_SIZE:
        case CS_SIZE_MORE: {
            int v = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                             : -1;
            if (v >= 0) {
                if (++p->chunk_digits > CHUNK_SIZE_DIGITS_MAX)
                    return fail(p, eb, ERR_MALFORMED, "chunk size has over %d digits",
                                CHUNK_SIZE_DIGITS_MAX);
                p->left = p->left * 16 + (uint64_t)v;
                p->cstate = CS_SIZE_MORE;
                break;
            }
            if (p->cstate == CS_SIZE)
                return fail(p, eb, ERR_MALFORMED, "malformed chunk size");
            if (c == ';' || c == ' ' || c == '\t') {
                p->cstate = CS_EXT;
                p->line_bytes = p->chunk_digits + 1;
            } else if (c == '\r') {
                p->cstate = CS_SIZE_LF;
            } else if (c == '\n') {
                goto size_line_done;
            } else {
                return fail(p, eb, ERR_MALFORMED, "malformed chunk size");
            }
            break;
        }
        case CS_EXT:
            if (c == '\r') {
                p->cstate = CS_SIZE_LF;
            } else if (c == '\n') {
                goto size_line_done;
            } else if (++p->line_bytes > CLI_HTTP_CHUNK_LINE_BYTES_MAX) {
                return fail(p, eb, ERR_TOOBIG, "chunk line over %d bytes",
                            CLI_HTTP_CHUNK_LINE_BYTES_MAX);
            }
            break;
        case CS_SIZE_LF:
            if (c != '\n')
                return fail(p, eb, ERR_MALFORMED, "chunk size line not ended by CRLF");
        size_line_done:
            p->chunk_digits = 0;
            p->line_bytes = 0;
            if (p->left == 0) {
                p->cstate = CS_TRAILER_START;
            } else if (p->left > p->body_bytes_max - p->resp.body_bytes) {
                return fail(p, eb, ERR_TOOBIG, "response body over %zu bytes", p->body_bytes_max);
            } else {
                p->cstate = CS_DATA;
            }
            break;
        case CS_DATA_CR:
            if (c == '\n')
                p->cstate = CS_SIZE;
            else if (c == '\r')
                p->cstate = CS_DATA_LF;
            else
                return fail(p, eb, ERR_MALFORMED, "chunk data not followed by CRLF");
            break;
        case CS_DATA_LF:
            if (c != '\n')
                return fail(p, eb, ERR_MALFORMED, "chunk data not followed by CRLF");
            p->cstate = CS_SIZE;
            break;
        case CS_TRAILER_START:
            if (c == '\n') {
                p->phase = PH_DONE;
            } else if (c == '\r') {
                p->cstate = CS_END_LF;
            } else {
                p->cstate = CS_TRAILER;
                p->line_bytes = 1;
            }
            break;
        case CS_TRAILER:
            if (c == '\n')
                p->cstate = CS_TRAILER_START;
            else if (c == '\r')
                p->cstate = CS_TRAILER_LF;
            else if (++p->line_bytes > CLI_HTTP_CHUNK_LINE_BYTES_MAX)
                return fail(p, eb, ERR_TOOBIG, "trailer line over %d bytes",
                            CLI_HTTP_CHUNK_LINE_BYTES_MAX);
            break;
        case CS_TRAILER_LF:
            if (c != '\n')
                return fail(p, eb, ERR_MALFORMED, "trailer line not ended by CRLF");
            p->cstate = CS_TRAILER_START;
            break;
        case CS_END_LF:
            if (c != '\n')
                return fail(p, eb, ERR_MALFORMED, "chunked body not ended by CRLF");
            p->phase = PH_DONE;
            break;
        default:
            PANIC("chunk state %d", p->cstate);
        }
        if (p->cstate >= CS_TRAILER_START && ++p->trailer_bytes > CLI_HTTP_TRAILER_BYTES_MAX)
            return fail(p, eb, ERR_TOOBIG, "trailers over %d bytes", CLI_HTTP_TRAILER_BYTES_MAX);
    }
    *used = i;
    return p->phase == PH_DONE ? 0 : ERR_NEEDMORE;
}

int cli_http_parser_feed(struct cli_http_parser *p, const void *data, size_t len, size_t *consumed,
                         struct errbuf *eb)
{
    const uint8_t *d = data;
    size_t off = 0;
    *consumed = 0;
    if (p->phase == PH_ERROR) {
        if (eb != NULL)
            memcpy(eb->msg, p->errmsg, sizeof eb->msg);
        return p->err;
    }
    /* Bounded: each turn either consumes input, finishes, fails, or ends an interim response,
     * and interim responses are capped. */
    for (;;) {
        size_t used = 0;
        int rc;
        switch (p->phase) {
        case PH_DONE:
            *consumed = off;
            return 0;
        case PH_HEAD:
            if (off == len) {
                *consumed = off;
                return ERR_NEEDMORE;
            }
            rc = feed_head(p, d + off, len - off, &used, eb);
            off += used;
            if (rc == 0 && p->resp.status < 200 && p->resp.status != 101) {
                if (++p->interim > CLI_HTTP_INTERIM_MAX)
                    return fail(p, eb, ERR_MALFORMED, "more than %d interim responses",
                                CLI_HTTP_INTERIM_MAX);
                parser_clear_response(p);
                continue;
            }
            break;
        case PH_BODY_LENGTH: {
            size_t n = len - off;
            if (n > p->left)
                n = (size_t)p->left;
            rc = body_append(p, d + off, n, eb);
            if (rc != 0)
                return rc;
            off += n;
            p->left -= n;
            if (p->left == 0)
                p->phase = PH_DONE;
            rc = p->phase == PH_DONE ? 0 : ERR_NEEDMORE;
            break;
        }
        case PH_BODY_CHUNKED:
            rc = feed_chunked(p, d + off, len - off, &used, eb);
            off += used;
            break;
        case PH_BODY_EOF:
            rc = body_append(p, d + off, len - off, eb);
            if (rc != 0)
                return rc;
            off = len;
            rc = ERR_NEEDMORE;
            break;
        default:
            PANIC("parser phase %d", p->phase);
        }
        if (rc != 0 && rc != ERR_NEEDMORE)
            return rc;
        if (rc == ERR_NEEDMORE) {
            ASSERT(off == len);
            *consumed = off;
            return ERR_NEEDMORE;
        }
    }
}

int cli_http_parser_eof(struct cli_http_parser *p, struct errbuf *eb)
{
    if (p->phase == PH_ERROR) {
        if (eb != NULL)
            memcpy(eb->msg, p->errmsg, sizeof eb->msg);
        return p->err;
    }
    if (p->phase == PH_BODY_EOF)
        p->phase = PH_DONE;
    if (p->phase == PH_DONE)
        return 0;
    uint64_t got = p->head.len + p->resp.body_bytes;
    if (got == 0 && p->interim == 0)
        return fail(p, eb, ERR_MALFORMED, "connection closed before any response byte");
    return fail(p, eb, ERR_MALFORMED, "connection closed in the middle of the response");
}

/* ---- Request bytes ------------------------------------------------------------------------- */

static int method_has_body(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

static int no_crlf(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

int cli_http_format_request(struct buf *out, const struct cli_addr *addr,
                            const struct cli_http_request *req)
{
    ASSERT(no_crlf(req->method) && no_crlf(req->target) && req->target[0] == '/');
    int rc = buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: cairn-cli\r\n", req->method,
                        req->target, addr->text);
    for (size_t i = 0; rc == 0 && i < req->n_headers; i++) {
        const struct cli_http_header *h = &req->headers[i];
        ASSERT(no_crlf(h->name) && no_crlf(h->value));
        ASSERT(strcasecmp(h->name, "Content-Length") != 0 && strcasecmp(h->name, "Host") != 0);
        rc = buf_printf(out, "%s: %s\r\n", h->name, h->value);
    }
    if (rc == 0 && (req->body != NULL || method_has_body(req->method)))
        rc = buf_printf(out, "Content-Length: %zu\r\n", req->body ? req->body_len : 0);
    if (rc == 0)
        rc = buf_append(out, "\r\n", 2);
    if (rc == 0 && req->body != NULL)
        rc = buf_append(out, req->body, req->body_len);
    return rc;
}

/* ---- Blocking client ----------------------------------------------------------------------- */

#define CLI_HTTP_READ_BYTES 65536

void cli_http_client_init(struct cli_http_client *c, const struct cli_addr *addr,
                          uint64_t timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->addr = *addr;
    c->timeout_ms = timeout_ms ? timeout_ms : CLI_HTTP_TIMEOUT_MS_DEFAULT;
    cli_http_parser_init(&c->parser, 0, 0);
    c->fd = -1;
}

static void client_close(struct cli_http_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->reusable = 0;
}

void cli_http_client_free(struct cli_http_client *c)
{
    client_close(c);
    cli_http_parser_free(&c->parser);
}

static const char *connect_hint(int e)
{
    return e == ECONNREFUSED ? " (is a node running? start one with `cairn run`)" : "";
}

static int client_connect(struct cli_http_client *c, uint64_t deadline_ms, struct errbuf *eb)
{
    struct addrinfo *res;
    int rc = addr_lookup(&c->addr, &res, eb);
    if (rc != 0)
        return rc;
    /* Every address of the name in turn ("localhost" may be ::1 and 127.0.0.1). */
    int e = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai != NULL && e != ETIMEDOUT; ai = ai->ai_next) {
        c->fd = connect_ai(ai, deadline_ms, &e);
        if (c->fd >= 0) {
            freeaddrinfo(res);
            return 0;
        }
    }
    freeaddrinfo(res);
    if (e == ETIMEDOUT)
        return err_set(eb, ERR_TIMEOUT, "cannot connect to %s: timed out after %" PRIu64 " ms",
                       c->addr.text, c->timeout_ms);
    return err_set(eb, ERR_IO, "cannot connect to %s: %s%s", c->addr.text, strerror(e),
                   connect_hint(e));
}

static int client_send(struct cli_http_client *c, const struct buf *req, uint64_t deadline_ms,
                       struct errbuf *eb)
{
    size_t off = 0;
    while (off < req->len) {
        ssize_t n = send(c->fd, req->data + off, req->len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_fd(c->fd, POLLOUT, deadline_ms);
            if (w == 0)
                return err_set(eb, ERR_TIMEOUT, "timed out sending to %s after %" PRIu64 " ms",
                               c->addr.text, c->timeout_ms);
            if (w < 0)
                return err_set(eb, ERR_IO, "connection to %s failed: %s", c->addr.text,
                               strerror(-w));
            continue;
        }
        return err_set(eb, ERR_IO, "connection to %s lost while sending: %s", c->addr.text,
                       strerror(errno));
    }
    return 0;
}

/* Reads until the response is complete. *nothing is set when the connection ended before any
 * response byte (a reused connection the server had closed). */
static int client_recv(struct cli_http_client *c, uint64_t deadline_ms, int *nothing,
                       struct errbuf *eb)
{
    uint8_t chunk[CLI_HTTP_READ_BYTES];
    *nothing = 0;
    for (;;) {
        ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_fd(c->fd, POLLIN, deadline_ms);
            if (w == 0)
                return err_set(eb, ERR_TIMEOUT, "no response from %s within %" PRIu64 " ms",
                               c->addr.text, c->timeout_ms);
            if (w < 0)
                return err_set(eb, ERR_IO, "connection to %s failed: %s", c->addr.text,
                               strerror(-w));
            continue;
        }
        if (n < 0 || n == 0) {
            int e = n < 0 ? errno : 0;
            if (cli_http_parser_idle(&c->parser)) {
                *nothing = 1;
                return err_set(eb, ERR_IO, "connection to %s closed before a response%s%s",
                               c->addr.text, e ? ": " : "", e ? strerror(e) : "");
            }
            if (e != 0)
                return err_set(eb, ERR_IO, "connection to %s lost: %s", c->addr.text, strerror(e));
            struct errbuf peb;
            int rc = cli_http_parser_eof(&c->parser, &peb);
            if (rc != 0)
                return err_set(eb, ERR_IO, "bad response from %s: %s", c->addr.text, peb.msg);
            c->reusable = 0;
            return 0;
        }
        size_t used;
        struct errbuf peb;
        int rc = cli_http_parser_feed(&c->parser, chunk, (size_t)n, &used, &peb);
        if (rc == 0) {
            /* Bytes after the response were not asked for: do not trust the connection. */
            c->reusable = c->parser.resp.keep_alive && used == (size_t)n;
            return 0;
        }
        if (rc != ERR_NEEDMORE)
            return err_set(eb, rc, "bad response from %s: %s", c->addr.text, peb.msg);
    }
}

int cli_http_client_do(struct cli_http_client *c, const struct cli_http_request *req,
                       struct errbuf *eb)
{
    struct buf out = BUF_INIT;
    if (cli_http_format_request(&out, &c->addr, req) != 0) {
        buf_free(&out);
        return err_set(eb, ERR_NOMEM, "out of memory for the request");
    }
    int idempotent = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    uint64_t deadline_ms = clock_mono_ms() + c->timeout_ms;
    int rc = 0;
    /* At most one retry, and only when a reused connection turned out to be closed. */
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = c->fd >= 0 && c->reusable;
        if (!reused) {
            client_close(c);
            rc = client_connect(c, deadline_ms, eb);
            if (rc != 0)
                break;
        }
        cli_http_parser_reset(&c->parser, strcmp(req->method, "HEAD") == 0);
        c->reusable = 0;
        int nothing = 0;
        rc = client_send(c, &out, deadline_ms, eb);
        if (rc == ERR_IO)
            nothing = 1;
        if (rc == 0)
            rc = client_recv(c, deadline_ms, &nothing, eb);
        if (rc == 0)
            break;
        client_close(c);
        if (!(reused && nothing && idempotent && rc == ERR_IO))
            break;
    }
    if (rc == 0 && !c->reusable)
        client_close(c);
    buf_free(&out);
    return rc;
}
