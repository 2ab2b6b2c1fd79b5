/* The client side of HTTP/1.1 for the `cairn` command line: node addresses, percent-encoding,
 * an incremental response parser (shared by the blocking client and the bench loop) and a small
 * blocking client with timeouts. */
#ifndef CAIRN_CLI_HTTP_H
#define CAIRN_CLI_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/buf.h"
#include "base/err.h"

/* ---- Limits -------------------------------------------------------------------------------- */

/* Status line and headers together, line ends included. Past it: ERR_TOOBIG. */
#define CLI_HTTP_HEAD_BYTES_MAX   (64 * 1024)
#define CLI_HTTP_HEADER_COUNT_MAX 64
/* Body limit when the caller passes 0: a page of `kv ls` holds up to 1000 values of 1 MiB in
 * JSON, but nothing the node sends legitimately comes close to this. */
#define CLI_HTTP_BODY_BYTES_MAX_DEFAULT (64u * 1024 * 1024)
/* A chunk-size line with its extensions, and each trailer line. */
#define CLI_HTTP_CHUNK_LINE_BYTES_MAX 1024
#define CLI_HTTP_TRAILER_BYTES_MAX    (16 * 1024)
/* Interim (1xx) responses skipped before the final one. */
#define CLI_HTTP_INTERIM_MAX 8
/* Host part of an address, e.g. "node-3.example.com" or "::1". */
#define CLI_ADDR_HOST_BYTES_MAX 256
/* "host:port" or "[v6]:port" with its NUL. */
#define CLI_ADDR_TEXT_BYTES_MAX     (CLI_ADDR_HOST_BYTES_MAX + 16)
#define CLI_HTTP_TIMEOUT_MS_DEFAULT 30000

/* ---- Addresses ----------------------------------------------------------------------------- */

struct cli_addr {
    char host[CLI_ADDR_HOST_BYTES_MAX]; /* without brackets */
    uint16_t port;
    char text[CLI_ADDR_TEXT_BYTES_MAX]; /* "host:port" / "[v6]:port", for messages and Host: */
};

/* Parses "HOST:PORT" or "[IPV6]:PORT" (PORT 1..65535). Returns 0 or ERR_INVAL with the reason
 * in eb. */
int cli_addr_parse(const char *s, struct cli_addr *out, struct errbuf *eb);
/* Resolves a to one socket address (getaddrinfo; may block on DNS). When the name has several
 * (e.g. "localhost": ::1 and 127.0.0.1) and probe_ms > 0, it returns the first that accepts a
 * TCP connection within probe_ms in total, so a node listening on one family is found; if none
 * does, the first. Returns 0, or ERR_IO with "cannot resolve HOST: ..." in eb. */
int cli_addr_resolve(const struct cli_addr *a, uint64_t probe_ms, struct sockaddr_storage *sa,
                     socklen_t *sa_len, struct errbuf *eb);

/* ---- Percent-encoding ---------------------------------------------------------------------- */

/* Appends p[0..n) to out with every byte outside RFC 3986 "unreserved" (A-Z a-z 0-9 - . _ ~)
 * written as %XX (upper-case hex): '/' becomes %2F so a key is one path segment, '+' becomes
 * %2B so query decoders that map '+' to space leave it alone. Returns 0 or ERR_NOMEM. */
int cli_url_encode(struct buf *out, const void *p, size_t n);

/* ---- Response parser ----------------------------------------------------------------------- */

struct cli_http_header {
    const char *name;  /* NUL-terminated, as sent */
    const char *value; /* NUL-terminated, surrounding whitespace removed */
};

/* A parsed response. Every pointer points into the parser that produced it and stays valid
 * until that parser is reset or freed. */
struct cli_http_response {
    int status;        /* 100..999 */
    int version_minor; /* HTTP/1.<version_minor> */
    const char *reason;
    struct cli_http_header headers[CLI_HTTP_HEADER_COUNT_MAX];
    size_t n_headers;
    int has_content_length;
    uint64_t content_length;
    int chunked;
    /* 1 if the connection may carry another request after this response: HTTP/1.1 without
     * "Connection: close", HTTP/1.0 with "keep-alive", and a body not delimited by the close. */
    int keep_alive;
    struct buf body;     /* decoded body; stays empty when the parser discards bodies */
    uint64_t body_bytes; /* decoded body length, counted even when discarded */
};

/* One response at a time, fed bytes as they arrive: the result does not depend on where the
 * input is split. Interim 1xx responses (other than 101) are skipped. Errors are sticky until
 * cli_http_parser_reset:
 *   ERR_MALFORMED   bad status line, header, Content-Length or chunk framing; eb says what
 *   ERR_TOOBIG      head over CLI_HTTP_HEAD_BYTES_MAX or more headers than the table holds,
 *                   body over the parser's limit
 *   ERR_NOMEM */
struct cli_http_parser {
    struct cli_http_response resp; /* complete after a 0 return */
    /* private */
    size_t body_bytes_max;
    int discard_body;
    int head_request;
    int phase;
    int err;
    char errmsg[ERRBUF_SIZE];
    struct buf head; /* the raw head; resp's strings point into it */
    size_t interim;
    uint64_t left; /* Content-Length or chunk bytes still to come */
    int cstate;
    size_t chunk_digits;
    size_t line_bytes;
    size_t trailer_bytes;
};

/* body_bytes_max 0 means CLI_HTTP_BODY_BYTES_MAX_DEFAULT. With discard_body the body is counted
 * (resp.body_bytes) and checked against the limit, but not kept. */
void cli_http_parser_init(struct cli_http_parser *p, size_t body_bytes_max, int discard_body);
/* Forgets the response and any error; the next bytes begin a new response. head_request says
 * the request was a HEAD, whose response has no body whatever its headers say. */
void cli_http_parser_reset(struct cli_http_parser *p, int head_request);
void cli_http_parser_free(struct cli_http_parser *p);
/* Feeds data[0..len). Returns 0 once the response is complete (*consumed bytes used; any rest
 * belongs to what follows the response), ERR_NEEDMORE with every byte consumed, or an error.
 * After 0 it keeps returning 0 consuming nothing until reset. */
int cli_http_parser_feed(struct cli_http_parser *p, const void *data, size_t len, size_t *consumed,
                         struct errbuf *eb);
/* The connection was closed by the peer. Returns 0 if that completes the response (a body
 * delimited by the close, or the response was already complete), else ERR_MALFORMED
 * ("connection closed after N bytes of the response"). */
int cli_http_parser_eof(struct cli_http_parser *p, struct errbuf *eb);
/* 1 if no byte of the current response has been fed. */
int cli_http_parser_idle(const struct cli_http_parser *p);

/* First header named name (ASCII case-insensitive), or NULL. */
const char *cli_http_header(const struct cli_http_response *r, const char *name);

/* ---- Blocking client ----------------------------------------------------------------------- */

struct cli_http_client {
    struct cli_addr addr;
    uint64_t timeout_ms;           /* connect, and each whole request */
    struct cli_http_parser parser; /* parser.resp is the last response */
    /* private */
    int fd; /* -1 when not connected */
    int reusable;
};

/* Prepares a client for addr (copied); no connection is made yet. timeout_ms 0 means
 * CLI_HTTP_TIMEOUT_MS_DEFAULT. */
void cli_http_client_init(struct cli_http_client *c, const struct cli_addr *addr,
                          uint64_t timeout_ms);
/* Closes the connection and frees the last response. */
void cli_http_client_free(struct cli_http_client *c);

struct cli_http_request {
    const char *method; /* "GET", "PUT", ... */
    const char *target; /* already percent-encoded, e.g. "/v1/kv/a%2Fb?consistency=stale" */
    const struct cli_http_header *headers; /* extra headers; none may be Content-Length or Host */
    size_t n_headers;
    /* Sent with Content-Length when not NULL; POST, PUT and PATCH always carry a Content-Length
     * (0 for a NULL body). */
    const void *body;
    size_t body_len;
};

/* Sends req and reads the whole response into c->parser.resp (valid until the next request or
 * cli_http_client_free). Reuses the previous connection when the server allowed it; a GET or
 * HEAD that finds a reused connection closed is retried once on a new one. Returns
 *   0             a response arrived (any status)
 *   ERR_IO        cannot connect, or the connection failed; eb reads like
 *                 "cannot connect to 127.0.0.1:7080: Connection refused (is a node running? ...)"
 *   ERR_TIMEOUT   no connection or no complete response within the timeout
 *   ERR_MALFORMED / ERR_TOOBIG  the response could not be parsed
 *   ERR_NOMEM */
int cli_http_client_do(struct cli_http_client *c, const struct cli_http_request *req,
                       struct errbuf *eb);

/* Appends the request's bytes (request line, Host, extra headers, Content-Length, body) to
 * out. Shared with the bench so both send the same thing. Returns 0 or ERR_NOMEM. */
int cli_http_format_request(struct buf *out, const struct cli_addr *addr,
                            const struct cli_http_request *req);

#endif
