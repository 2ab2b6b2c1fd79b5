/* HTTP/1.1 for Cairn's client API: an incremental request parser, a response
 * writer, and a libuv server that lets handlers answer now or later. */
#ifndef CAIRN_PROTO_HTTP_H
#define CAIRN_PROTO_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "base/err.h"

/* ---- Limits -------------------------------------------------------------------------------- */

#define HTTP_METHOD_BYTES_MAX 16
/* Past either: 414. The request line holds the method, the target and the version. */
#define HTTP_TARGET_BYTES_MAX       8192
#define HTTP_REQUEST_LINE_BYTES_MAX (HTTP_TARGET_BYTES_MAX + 64)
/* Past either: 431. Header bytes count everything from the first byte of the request to the
 * empty line that ends the head, line ends included. */
#define HTTP_HEADER_COUNT_MAX 64
#define HTTP_HEADER_BYTES_MAX (32 * 1024)
/* Past it: 414 (the target is what is too long). */
#define HTTP_QUERY_PARAMS_MAX 64
/* Chunk extensions are skipped; past this per chunk line: 400. */
#define HTTP_CHUNK_EXT_BYTES_MAX 1024
/* Body limit when the caller passes 0: room for a 1 MiB value and its JSON framing. Past the
 * limit in force: 413. */
#define HTTP_BODY_BYTES_MAX_DEFAULT (2u * 1024 * 1024)

/* ---- Requests ------------------------------------------------------------------------------ */

enum http_method {
    HTTP_OTHER = 0, /* any other token; see method_name */
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_PATCH,
};

/* A header: both strings NUL-terminated. In a parsed request they point into the request's
 * storage (a request header never contains NUL: the parser rejects it). In a response the
 * caller owns them for the duration of the call. */
struct http_header {
    const char *name;
    const char *value;
};

/* A percent-decoded query parameter ("+" decodes to a space). Decoded bytes may contain NUL,
 * so use the lengths; each string is also NUL-terminated. has_value is 0 for "?flag". */
struct http_query_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    int has_value;
};

/* A parsed request. Every pointer points into storage the request owns; it stays valid until
 * http_request_free (the server frees it in http_respond). */
struct http_request {
    enum http_method method;
    const char *method_name; /* as sent, e.g. "GET" */
    const char *target;      /* raw request-target, e.g. "/v1/kv/a%2Fb?limit=10" */
    size_t target_len;
    /* The target's path, percent-decoded ("%2F" becomes '/', "+" stays '+'). May contain NUL
     * (use path_len). For absolute-form targets ("http://host/p") the scheme and authority are
     * dropped; for "*" the path is "*". Dot segments are not removed. */
    const char *path;
    size_t path_len;
    const char *query; /* raw query after '?', or NULL if the target had no '?' */
    size_t query_len;
    struct http_query_param params[HTTP_QUERY_PARAMS_MAX];
    size_t n_params;
    int version_minor; /* HTTP/1.<version_minor>: 0 or 1 */
    struct http_header headers[HTTP_HEADER_COUNT_MAX];
    size_t n_headers;
    int has_content_length;
    uint64_t content_length;
    int chunked;         /* Transfer-Encoding: chunked */
    int keep_alive;      /* 1.1 unless "Connection: close"; 1.0 only with "keep-alive" */
    int expect_continue; /* "Expect: 100-continue" on an HTTP/1.1 request */
    struct buf body;     /* the decoded body (chunked framing removed) */
    struct buf store;    /* private: backing storage of the strings above */
};

/* First header named `name` (ASCII case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *r, const char *name);
/* First query parameter named `name` (compared byte-exact after decoding), or NULL. */
const struct http_query_param *http_request_param(const struct http_request *r, const char *name);
void http_request_free(struct http_request *r);

/* ---- Parser -------------------------------------------------------------------------------- */

/* An incremental parser for one request at a time. Bytes may arrive split anywhere; the result
 * (request, error code, status and message) does not depend on where. The parser copies what
 * it keeps, so the caller may discard bytes it has fed.
 *
 * Errors (sticky until http_parser_reset), with the HTTP status to answer in `status`:
 *   ERR_MALFORMED   400 — syntax or framing error (message in the errbuf)
 *   ERR_TOOBIG      413 body, 414 request line / target / query, 431 header count or bytes
 *   ERR_UNSUPPORTED 501 transfer coding other than chunked, 505 HTTP version other than 1.x,
 *                   417 an Expect other than 100-continue
 *   ERR_NOMEM       500
 * After an error the connection's framing is lost: answer and close. */
struct http_parser {
    struct http_request req; /* being filled; complete after a 0 return */
    int status;              /* HTTP status for the last error, 0 if none */
    /* private */
    size_t body_bytes_max;
    int phase;
    int err;
    char errmsg[ERRBUF_SIZE];
    int hstate;
    size_t head_bytes;
    size_t line_bytes;
    size_t lines;
    int cstate;
    uint64_t chunk_left;
    size_t chunk_digits;
    size_t chunk_ext_bytes;
    size_t trailer_bytes;
};

/* body_bytes_max 0 means HTTP_BODY_BYTES_MAX_DEFAULT. */
void http_parser_init(struct http_parser *p, size_t body_bytes_max);
/* Forgets the current request (freeing it) and any error; ready for a new request. */
void http_parser_reset(struct http_parser *p);
void http_parser_free(struct http_parser *p);

/* Feeds data[0..len) to the head. Returns 0 once the head is complete (*consumed is the number
 * of bytes used; the rest is body or the next request), ERR_NEEDMORE with every byte consumed,
 * or an error above. Once it returned 0 it returns 0 consuming nothing. */
int http_parse_head(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                    struct errbuf *eb);
/* After the head: feeds body bytes (Content-Length or chunked). Returns 0 once the body is
 * complete, ERR_NEEDMORE, or an error above. */
int http_parse_body(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                    struct errbuf *eb);
/* Head then body: 0 when the whole request is in p->req, *consumed bytes used. */
int http_parser_feed(struct http_parser *p, const void *data, size_t len, size_t *consumed,
                     struct errbuf *eb);
/* 1 once the head is complete (the body may still be coming). */
int http_parser_head_done(const struct http_parser *p);
/* 1 if any byte of the current request has been fed (blank lines before it do not count). */
int http_parser_started(const struct http_parser *p);
/* Moves the complete request to *out (the caller frees it with http_request_free) and resets
 * the parser for the next one. */
void http_parser_take(struct http_parser *p, struct http_request *out);

/* ---- Responses ----------------------------------------------------------------------------- */

struct http_response {
    int status;
    const struct http_header *headers; /* e.g. Content-Type, ETag, Location */
    size_t n_headers;
    const void *body;
    size_t body_len;
    int close;        /* add "Connection: close" */
    int keep_alive;   /* add "Connection: keep-alive" (for HTTP/1.0 clients that asked for it) */
    int head;         /* answer to HEAD: Content-Length of the body, but no body bytes */
    const char *date; /* Date header value, or NULL for none */
};

/* Appends "HTTP/1.1 <status> <reason>", the headers, Content-Length (except for 1xx, 204 and
 * 304, which carry no body) and the body to out. The writer owns framing: callers must not pass
 * Content-Length, Transfer-Encoding or Connection. Returns 0, ERR_INVAL (status out of 100..999,
 * a header name that is not a token or is one of those, a value with CR, LF or another control
 * character — refused so user data can never split a response — or a body with a bodiless
 * status), or ERR_NOMEM. On error out is unchanged. */
int http_response_write(struct buf *out, const struct http_response *r, struct errbuf *eb);
/* The reason phrase for a status ("Not Found"), or "Unknown". */
const char *http_status_reason(int status);
/* Appends {"error":{"code":"<code>","message":"<message>"}}, both strings JSON-escaped. */
int http_error_json(struct buf *out, const char *code, const char *message);
/* The API's error code for a status (docs/http-api.md): 400 BAD_REQUEST, 404 NOT_FOUND,
 * 405 METHOD_NOT_ALLOWED, 408 TIMEOUT, 409 CONFLICT, 412 CONDITION_FAILED, 413/414/431
 * TOO_LARGE, 417 EXPECTATION_FAILED, 501/505 NOT_IMPLEMENTED, 503 UNAVAILABLE, 504 TIMEOUT, other
 * 4xx BAD_REQUEST, other 5xx INTERNAL. The server uses these for the errors it answers itself. */
const char *http_error_code(int status);
/* The status for a Cairn error code: NOTFOUND 404, EXISTS/CONFLICT 409, CONDITION 412,
 * TOOBIG 413, INVAL/MALFORMED/RANGE/PROTO 400, NOTLEADER/BUSY/SHUTDOWN/UNAVAILABLE/AGAIN 503,
 * TIMEOUT 504, UNSUPPORTED 501, anything else 500. */
int http_status_for_err(int err);

/* ---- Server -------------------------------------------------------------------------------- */

#define HTTP_CONNECTIONS_MAX_DEFAULT 1024
#define HTTP_IDLE_TIMEOUT_MS_DEFAULT 60000
/* While a request waits for its handler, at most this much of the following (pipelined) input
 * is buffered before the connection stops reading. */
#define HTTP_CONN_INPUT_BYTES_MAX (64 * 1024)
/* The next request is not read while this many response bytes wait for the client. */
#define HTTP_CONN_WRITE_BYTES_MAX (4u * 1024 * 1024)
/* After the last response on a connection, input is drained (so the reply is not lost to a TCP
 * reset) for at most this long. */
#define HTTP_LINGER_MS 2000
/* Connections past connections_max are answered 503; past it plus this, closed unanswered. */
#define HTTP_CONN_REJECT_SLACK 64
#define HTTP_PEER_BYTES_MAX    64

struct http_server_config {
    size_t body_bytes_max;    /* 0: HTTP_BODY_BYTES_MAX_DEFAULT */
    unsigned connections_max; /* 0: HTTP_CONNECTIONS_MAX_DEFAULT */
    uint64_t idle_timeout_ms; /* 0: HTTP_IDLE_TIMEOUT_MS_DEFAULT */
};

struct http_server;
struct http_conn;

/* One request handed to the handler. The handler owns it from the call until it calls
 * http_respond exactly once — immediately or later from any loop callback — and http_respond
 * frees it. It stays valid in between even if the client disconnects or the server stops; the
 * response is then dropped. */
struct http_request_ctx {
    struct http_request req;
    char peer[HTTP_PEER_BYTES_MAX]; /* "127.0.0.1:50312", "[::1]:50312" or "" */
    void *user;                     /* free for the handler */
    /* private */
    struct http_server *srv;
    struct http_conn *conn; /* NULL once abandoned */
};

typedef void (*http_handler_fn)(void *ctx, struct http_request_ctx *req);

struct http_server_stats {
    uint64_t connections_open;
    uint64_t connections_total;    /* accepted, rejected ones included */
    uint64_t connections_rejected; /* over connections_max */
    uint64_t requests_total;       /* handed to the handler */
    uint64_t requests_inflight;    /* handed to the handler, not yet answered */
    uint64_t requests_abandoned;   /* answered after the client or server went away */
    uint64_t parse_errors;         /* requests refused by the parser (4xx/5xx sent) */
    uint64_t responses[6];         /* by class: [2] counts 2xx ... [5] counts 5xx */
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* Listens on host:port (a numeric address or a name; port 0 picks a free port, see
 * http_server_port) and serves on loop, calling handler(ctx, req) on the loop thread for every
 * request, in order per connection: the next request on a connection is read only after the
 * previous one was answered. cfg may be NULL for defaults. Returns 0 with *out set, ERR_INVAL
 * (bad host/port), ERR_IO (bind/listen failed; detail in eb) or ERR_NOMEM. */
int http_server_start(uv_loop_t *loop, const char *host, int port,
                      const struct http_server_config *cfg, http_handler_fn handler, void *ctx,
                      struct http_server **out, struct errbuf *eb);
/* The bound port. */
int http_server_port(const struct http_server *s);
void http_server_stats(const struct http_server *s, struct http_server_stats *out);
/* Stops listening and closes every connection; requests still with the handler become
 * abandoned (the handler must still answer each). Idempotent. */
void http_server_stop(struct http_server *s);
/* Stops the server and gives it up: the caller must not use s again. Its memory is released
 * once the loop has run the close callbacks and the handler has answered every outstanding
 * request, so keep running the loop (uv_run until it returns 0) after this. */
void http_server_close(struct http_server *s);

/* Answers req and frees it (req must not be used afterwards). body may point into req itself.
 * Adds Content-Length, Date and Connection as needed; a HEAD request gets no body bytes.
 * Returns 0 (queued for the client), ERR_SHUTDOWN (the client or server went away: dropped),
 * ERR_INVAL (bad header, see http_response_write; a 500 was sent instead), ERR_NOMEM. The
 * request is freed in every case. Loop thread only. */
int http_respond(struct http_request_ctx *req, int status, const struct http_header *hdrs, size_t n,
                 const void *body, size_t len);
/* Answers with Content-Type: application/json and the error body
 * {"error":{"code":"<code>","message":"<printf text>"}}. Returns as http_respond. */
int http_respond_error(struct http_request_ctx *req, int status, const char *code, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
/* 1 if the client or server went away and a response would be dropped. */
int http_request_abandoned(const struct http_request_ctx *req);

#endif
