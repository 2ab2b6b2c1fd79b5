/* The HTTP/1.1 server on libuv: keep-alive connections, one request at a time per connection
 * (pipelined requests wait their turn), handlers that answer now or later, and bounds on
 * connections, idle time, buffered input and unsent output.
 *
 * Lifetimes. A connection is freed only in its handles' close callbacks, never while a callback
 * of ours is on the stack. A request handed to the handler (struct http_request_ctx) is owned
 * by the handler until http_respond; if its connection closes first, the connection forgets it
 * (ctx->conn = NULL: "abandoned") and the response is dropped. The server is freed once the
 * owner released it, the listener is closed, no connection is left and no request is out with
 * the handler. */
#include "proto/http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "net/net_listen.h"
#include "proto/http/json.h"

#define HTTP_READ_CHUNK_BYTES (64 * 1024)
#define HTTP_DATE_BYTES_MAX   40
/* Error messages for handler-formatted errors are cut at this size. */
#define HTTP_ERROR_MESSAGE_BYTES_MAX 1024

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    http_handler_fn handler;
    void *ctx;
    size_t body_bytes_max;
    unsigned connections_max;
    uint64_t idle_timeout_ms;
    int port;
    int listening;       /* listener open, uv_close not yet called */
    int listener_closed; /* listener's close callback ran */
    int stopped;
    int released; /* http_server_close was called */
    struct http_conn *conns;
    size_t n_conns; /* in the list, rejected ones included */
    struct http_server_stats st;
    time_t date_sec;
    char date[HTTP_DATE_BYTES_MAX];
    /* Reads land here and are copied out in the read callback, so one buffer serves all. */
    char rbuf[HTTP_READ_CHUNK_BYTES];
};

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* idle timeout; later the flush and linger deadline */
    uv_shutdown_t shutdown_req;
    struct http_server *srv;
    struct http_conn *prev, *next;
    struct http_parser parser;
    struct buf in; /* received, not yet fed to the parser */
    struct http_request_ctx *inflight;
    int handles_open;
    int closing;   /* uv_close called */
    int finishing; /* last response queued: flushing, then draining input until close */
    int reading;
    int eof;
    int rejected; /* over connections_max: answered 503 */
    int in_dispatch;
    int sent_continue;
    char peer[HTTP_PEER_BYTES_MAX];
};

struct http_write {
    uv_write_t req;
    struct http_conn *conn;
    uint8_t *data;
    size_t len;
};

static void conn_process(struct http_conn *c);

/* ---- Server lifetime ---- */

static void server_maybe_free(struct http_server *s)
{
    if (s->released && s->listener_closed && s->conns == NULL && s->st.requests_inflight == 0)
        free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;
    s->listener_closed = 1;
    server_maybe_free(s);
}

static const char *server_date(struct http_server *s)
{
    time_t now = time(NULL);
    if (now != s->date_sec || s->date[0] == '\0') {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_sec = now;
    }
    return s->date;
}

/* ---- Connection teardown ---- */

static void on_conn_handle_closed(uv_handle_t *h)
{
    struct http_conn *c = h->data;
    ASSERT(c->handles_open > 0);
    if (--c->handles_open > 0)
        return;
    struct http_server *s = c->srv;
    ASSERT(c->inflight == NULL);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->n_conns--;
    if (!c->rejected)
        s->st.connections_open--;
    http_parser_free(&c->parser);
    buf_free(&c->in);
    free(c);
    server_maybe_free(s);
}

/* Closes at once: pending writes are cancelled and a request with the handler is abandoned. */
static void conn_close(struct http_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->inflight != NULL) {
        c->inflight->conn = NULL;
        c->inflight = NULL;
    }
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_linger_timer(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct http_conn *c = req->data;
    if (c->closing)
        return;
    if (status < 0 || c->eof) {
        conn_close(c);
        return;
    }
    /* Our FIN is out. Drain what the client still sends for a while, so the kernel does not
     * answer it with a reset that could destroy the response before the client reads it. */
    uint64_t ms =
        c->srv->idle_timeout_ms < HTTP_LINGER_MS ? c->srv->idle_timeout_ms : HTTP_LINGER_MS;
    uv_timer_start(&c->timer, on_linger_timer, ms, 0);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);

static void conn_set_reading(struct http_conn *c, int want)
{
    if (c->closing || c->eof || want == c->reading)
        return;
    if (want) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
            conn_close(c);
            return;
        }
    } else {
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
    c->reading = want;
}

/* Closes after the queued responses are written: no more requests are read. */
static void conn_finish(struct http_conn *c)
{
    if (c->closing || c->finishing)
        return;
    ASSERT(c->inflight == NULL);
    c->finishing = 1;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    /* Bounds the wait for a client that does not read its responses. */
    uv_timer_start(&c->timer, on_linger_timer, c->srv->idle_timeout_ms, 0);
    conn_set_reading(c, 1);
}

/* ---- Writing ---- */

static void on_write(uv_write_t *req, int status)
{
    struct http_write *w = req->data;
    struct http_conn *c = w->conn;
    if (status == 0)
        c->srv->st.bytes_out += w->len;
    free(w->data);
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        LOGD("http", "write to %s failed: %s", c->peer, uv_strerror(status));
        conn_close(c);
        return;
    }
    /* Output drained: reading the next request may have been waiting for this. */
    if (!c->finishing && c->inflight == NULL)
        conn_process(c);
}

/* Queues out's bytes, taking ownership of out's memory. */
static void conn_write(struct http_conn *c, struct buf *out)
{
    if (c->closing) {
        buf_free(out);
        return;
    }
    struct http_write *w = malloc(sizeof *w);
    if (w == NULL) {
        buf_free(out);
        conn_close(c);
        return;
    }
    w->conn = c;
    w->data = out->data;
    w->len = out->len;
    w->req.data = w;
    out->data = NULL;
    out->len = out->cap = 0;
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc != 0) {
        /* If uv_write fails its callback never runs. */
        free(w->data);
        free(w);
        conn_close(c);
    }
}

static void count_response(struct http_server *s, int status)
{
    if (status >= 100 && status < 600)
        s->st.responses[status / 100]++;
}

/* Answers status with the JSON error body and closes the connection after it. */
static void conn_error(struct http_conn *c, int status, const char *code, const char *msg)
{
    struct buf body = BUF_INIT, out = BUF_INIT;
    struct http_header h[] = {{"Content-Type", "application/json"}};
    struct http_response r = {
        .status = status, .headers = h, .n_headers = 1, .close = 1, .date = server_date(c->srv)};
    if (http_error_json(&body, code, msg) == 0) {
        r.body = body.data;
        r.body_len = body.len;
        if (http_response_write(&out, &r, NULL) == 0) {
            count_response(c->srv, status);
            conn_write(c, &out);
        }
    }
    buf_free(&out);
    buf_free(&body);
    conn_finish(c);
}

/* ---- Requests ---- */

static void conn_dispatch(struct http_conn *c)
{
    struct http_server *s = c->srv;
    struct http_request_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        conn_error(c, 500, "INTERNAL", "out of memory");
        return;
    }
    http_parser_take(&c->parser, &ctx->req);
    ctx->srv = s;
    ctx->conn = c;
    memcpy(ctx->peer, c->peer, sizeof ctx->peer);
    c->inflight = ctx;
    c->sent_continue = 0;
    s->st.requests_total++;
    s->st.requests_inflight++;
    uv_timer_stop(&c->timer);
    c->in_dispatch = 1;
    s->handler(s->ctx, ctx);
    c->in_dispatch = 0;
}

static void on_idle_timer(uv_timer_t *t)
{
    struct http_conn *c = t->data;
    if (c->closing || c->finishing || c->inflight != NULL)
        return;
    if (http_parser_started(&c->parser)) {
        char msg[96];
        snprintf(msg, sizeof msg, "request not completed within %llu ms",
                 (unsigned long long)c->srv->idle_timeout_ms);
        conn_error(c, 408, http_error_code(408), msg);
    } else {
        conn_close(c);
    }
}

static void conn_idle_timer(struct http_conn *c)
{
    uv_timer_start(&c->timer, on_idle_timer, c->srv->idle_timeout_ms, 0);
}

/* Feeds buffered input to the parser and dispatches complete requests, one at a time. */
static void conn_process(struct http_conn *c)
{
    while (!c->closing && !c->finishing && c->inflight == NULL && c->in.len > 0) {
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > HTTP_CONN_WRITE_BYTES_MAX)
            break;
        size_t used = 0;
        struct errbuf eb;
        int rc = http_parser_feed(&c->parser, c->in.data, c->in.len, &used, &eb);
        buf_consume(&c->in, used);
        if (rc == ERR_NEEDMORE) {
            struct http_request *r = &c->parser.req;
            if (http_parser_head_done(&c->parser) && r->expect_continue && !c->sent_continue) {
                struct buf out = BUF_INIT;
                if (buf_append(&out, "HTTP/1.1 100 Continue\r\n\r\n", 25) == 0)
                    conn_write(c, &out);
                buf_free(&out);
                c->sent_continue = 1;
            }
            break;
        }
        if (rc != 0) {
            c->srv->st.parse_errors++;
            LOGD("http", "bad request from %s: %s", c->peer, eb.msg);
            int status = c->parser.status ? c->parser.status : 400;
            conn_error(c, status, http_error_code(status), eb.msg);
            return;
        }
        conn_dispatch(c);
    }
    if (c->closing || c->finishing)
        return;
    if (c->eof && c->inflight == NULL && c->in.len == 0) {
        conn_finish(c);
        return;
    }
    conn_set_reading(c, c->in.len < HTTP_CONN_INPUT_BYTES_MAX);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct http_conn *c = h->data;
    *b = uv_buf_init(c->srv->rbuf, sizeof c->srv->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct http_conn *c = st->data;
    if (c->closing)
        return;
    if (nread > 0) {
        c->srv->st.bytes_in += (uint64_t)nread;
        if (c->finishing)
            return; /* draining before close */
        if (buf_append(&c->in, b->base, (size_t)nread) != 0) {
            conn_close(c);
            return;
        }
        if (c->inflight == NULL)
            conn_idle_timer(c);
        conn_process(c);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_EOF) {
        uv_read_stop(st);
        c->reading = 0;
        c->eof = 1;
        if (c->finishing) {
            conn_close(c);
            return;
        }
        /* A half-closed client still gets the answers to what it sent. */
        conn_process(c);
        return;
    }
    LOGD("http", "read from %s failed: %s", c->peer, uv_strerror((int)nread));
    conn_close(c);
}

int http_request_abandoned(const struct http_request_ctx *req)
{
    return req->conn == NULL;
}

int http_respond(struct http_request_ctx *req, int status, const struct http_header *hdrs, size_t n,
                 const void *body, size_t len)
{
    struct http_server *s = req->srv;
    struct http_conn *c = req->conn;
    int rc = 0;
    if (c == NULL) {
        s->st.requests_abandoned++;
        http_request_free(&req->req);
        free(req);
        s->st.requests_inflight--;
        server_maybe_free(s);
        return ERR_SHUTDOWN;
    }
    ASSERT(c->inflight == req && !c->closing && !c->finishing);
    int close = !req->req.keep_alive || c->eof || s->stopped;
    struct http_response r = {.status = status,
                              .headers = hdrs,
                              .n_headers = n,
                              .body = body,
                              .body_len = len,
                              .close = close,
                              .keep_alive = !close && req->req.version_minor == 0,
                              .head = req->req.method == HTTP_HEAD,
                              .date = server_date(s)};
    struct buf out = BUF_INIT;
    struct errbuf eb;
    rc = http_response_write(&out, &r, &eb);
    if (rc == ERR_INVAL) {
        LOGE("http", "handler response to %s %s refused: %s", req->req.method_name, req->req.target,
             eb.msg);
        struct buf ebody = BUF_INIT;
        struct http_header h[] = {{"Content-Type", "application/json"}};
        status = 500;
        r = (struct http_response){.status = status,
                                   .headers = h,
                                   .n_headers = 1,
                                   .close = close,
                                   .keep_alive = r.keep_alive,
                                   .head = r.head,
                                   .date = r.date};
        if (http_error_json(&ebody, http_error_code(500), "the server built an invalid response") ==
            0) {
            r.body = ebody.data;
            r.body_len = ebody.len;
            if (http_response_write(&out, &r, NULL) != 0)
                rc = ERR_NOMEM;
        } else {
            rc = ERR_NOMEM;
        }
        buf_free(&ebody);
    }
    /* The body may live in the request: free the request only now that it is copied. */
    c->inflight = NULL;
    http_request_free(&req->req);
    free(req);
    s->st.requests_inflight--;
    if (rc == ERR_NOMEM) {
        buf_free(&out);
        conn_close(c);
        return rc;
    }
    count_response(s, status);
    conn_write(c, &out);
    if (close) {
        conn_finish(c);
    } else if (!c->closing) {
        conn_idle_timer(c);
        /* Called from inside the handler, the dispatch loop goes on by itself. */
        if (!c->in_dispatch)
            conn_process(c);
    }
    return rc;
}

int http_respond_error(struct http_request_ctx *req, int status, const char *code, const char *fmt,
                       ...)
{
    char msg[HTTP_ERROR_MESSAGE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct buf body = BUF_INIT;
    struct http_header h[] = {{"Content-Type", "application/json"}};
    int rc = http_error_json(&body, code, msg);
    if (rc != 0) {
        /* Still answer (and free) the request: an empty-bodied error beats none. */
        rc = http_respond(req, status, h, 0, NULL, 0);
        return rc == 0 ? ERR_NOMEM : rc;
    }
    rc = http_respond(req, status, h, 1, body.data, body.len);
    buf_free(&body);
    return rc;
}

/* ---- Accepting ---- */

static void format_peer(struct http_conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    c->peer[0] = '\0';
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, host, sizeof host);
        snprintf(c->peer, sizeof c->peer, "%s:%u", host, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, host, sizeof host);
        snprintf(c->peer, sizeof c->peer, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct http_server *s = listener->data;
    if (status < 0) {
        LOGW("http", "accept failed: %s", uv_strerror(status));
        return;
    }
    struct http_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        LOGW("http", "out of memory accepting a connection");
        return;
    }
    c->srv = s;
    http_parser_init(&c->parser, s->body_bytes_max);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    s->st.connections_total++;
    if (s->st.connections_open >= s->connections_max) {
        c->rejected = 1;
        s->st.connections_rejected++;
    } else {
        s->st.connections_open++;
    }
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    format_peer(c);
    if (c->rejected) {
        if (s->n_conns > (size_t)s->connections_max + HTTP_CONN_REJECT_SLACK)
            conn_close(c);
        else
            conn_error(c, 503, http_error_code(503), "too many connections");
        return;
    }
    conn_idle_timer(c);
    conn_set_reading(c, 1);
}

/* Binds with plain sockets first, so that the usual failures (address in use, permission)
 * happen before any libuv handle exists and need no close callback. */
int http_server_start(uv_loop_t *loop, const char *host, int port,
                      const struct http_server_config *cfg, http_handler_fn handler, void *ctx,
                      struct http_server **out, struct errbuf *eb)
{
    ASSERT(loop != NULL && handler != NULL && out != NULL);
    if (host == NULL || port < 0 || port > 65535)
        return err_set(eb, ERR_INVAL, "invalid listen address");
    int fd = -1;
    int rc = net_listen_socket(host, port, &fd, eb);
    if (rc != 0)
        return rc;
    struct http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        close(fd);
        return err_set(eb, ERR_NOMEM, "out of memory");
    }
    s->loop = loop;
    s->handler = handler;
    s->ctx = ctx;
    s->body_bytes_max =
        cfg && cfg->body_bytes_max ? cfg->body_bytes_max : HTTP_BODY_BYTES_MAX_DEFAULT;
    s->connections_max =
        cfg && cfg->connections_max ? cfg->connections_max : HTTP_CONNECTIONS_MAX_DEFAULT;
    s->idle_timeout_ms =
        cfg && cfg->idle_timeout_ms ? cfg->idle_timeout_ms : HTTP_IDLE_TIMEOUT_MS_DEFAULT;
    s->listening = 1;
    rc = net_listen_adopt(loop, &s->listener, fd, on_connection, &s->port);
    s->listener.data = s;
    if (rc != 0) {
        /* Freed by the close callback: the loop must run once more. */
        s->released = 1;
        s->stopped = 1;
        s->listening = 0;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
        return err_set(eb, ERR_IO, "cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
    }
    LOGI("http", "listening on %s:%d", host, s->port);
    *out = s;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stats(const struct http_server *s, struct http_server_stats *out)
{
    *out = s->st;
}

void http_server_stop(struct http_server *s)
{
    if (s->stopped)
        return;
    s->stopped = 1;
    if (s->listening) {
        s->listening = 0;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    }
    /* conn_close frees nothing synchronously, so walking the list is safe. */
    for (struct http_conn *c = s->conns; c != NULL; c = c->next)
        conn_close(c);
}

void http_server_close(struct http_server *s)
{
    http_server_stop(s);
    s->released = 1;
    server_maybe_free(s);
}
