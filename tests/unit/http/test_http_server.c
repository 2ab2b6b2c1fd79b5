/* Unit tests for the HTTP server: a real server on 127.0.0.1 (ephemeral port) runs its libuv
 * loop on a thread; the test talks to it over plain blocking sockets. Covers keep-alive,
 * pipelining, chunked bodies, 100-continue, errors and limits, asynchronous responses, clients
 * that leave before an asynchronous response, server stop, connection limit and idle timeout. */
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/http/http.h"
#include "proto/http/json.h"

#define CLIENT_TIMEOUT_MS 5000

/* ---- The server fixture: loop thread plus "run this on the loop" jobs ---- */

static struct {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*job)(void *);
    void *job_arg;
    int job_done;
    struct http_server *srv;
    int port;
    struct http_request_ctx *pending; /* the request an /async handler kept */
    int pending_seen;
} F;

static void on_job(uv_async_t *a)
{
    pthread_mutex_lock(&F.mu);
    void (*fn)(void *) = F.job;
    void *arg = F.job_arg;
    pthread_mutex_unlock(&F.mu);
    if (fn == NULL)
        return;
    fn(arg);
    pthread_mutex_lock(&F.mu);
    F.job = NULL;
    F.job_done = 1;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
}

static void run_on_loop(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&F.mu);
    F.job = fn;
    F.job_arg = arg;
    F.job_done = 0;
    pthread_mutex_unlock(&F.mu);
    uv_async_send(&F.async);
    pthread_mutex_lock(&F.mu);
    while (!F.job_done)
        pthread_cond_wait(&F.cv, &F.mu);
    pthread_mutex_unlock(&F.mu);
}

static void *loop_main(void *arg)
{
    uv_run(&F.loop, UV_RUN_DEFAULT);
    return NULL;
}

/* The test handler. Paths: /echo (body back, request facts in headers), /async (kept for the
 * test to answer later), /info (JSON of what was parsed), /badheader (a header the writer
 * refuses), /empty (204). */
static void handler(void *ctx, struct http_request_ctx *req)
{
    struct http_request *r = &req->req;
    if (r->path_len == 6 && memcmp(r->path, "/async", 6) == 0) {
        pthread_mutex_lock(&F.mu);
        F.pending = req;
        F.pending_seen++;
        pthread_cond_broadcast(&F.cv);
        pthread_mutex_unlock(&F.mu);
        return;
    }
    if (strcmp(r->path, "/badheader") == 0) {
        struct http_header h[] = {{"X-Evil", "a\r\nInjected: 1"}};
        CHECK(http_respond(req, 200, h, 1, "x", 1) == ERR_INVAL);
        return;
    }
    if (strcmp(r->path, "/empty") == 0) {
        http_respond(req, 204, NULL, 0, NULL, 0);
        return;
    }
    if (strcmp(r->path, "/info") == 0) {
        struct buf b = BUF_INIT;
        struct json_writer w;
        json_writer_init(&w, &b);
        json_write_object_begin(&w);
        json_write_key(&w, "method");
        json_write_cstr(&w, r->method_name);
        json_write_key(&w, "path");
        json_write_str(&w, r->path, r->path_len);
        const struct http_query_param *q = http_request_param(r, "q");
        json_write_key(&w, "q");
        if (q)
            json_write_str(&w, q->value, q->value_len);
        else
            json_write_null(&w);
        const char *ua = http_request_header(r, "user-agent");
        json_write_key(&w, "ua");
        json_write_cstr(&w, ua ? ua : "");
        json_write_key(&w, "peer");
        json_write_cstr(&w, req->peer);
        json_write_object_end(&w);
        json_writer_finish(&w);
        struct http_header h[] = {{"Content-Type", "application/json"}};
        http_respond(req, 200, h, 1, b.data, b.len);
        buf_free(&b);
        return;
    }
    if (strcmp(r->path, "/error") == 0) {
        http_respond_error(req, 404, "NOT_FOUND", "no key %s", "k\"1");
        return;
    }
    char etag[32];
    snprintf(etag, sizeof etag, "\"%zu\"", r->body.len);
    struct http_header h[] = {{"Content-Type", "application/octet-stream"}, {"ETag", etag}};
    /* The body is the request's own: http_respond must copy it before freeing the request. */
    http_respond(req, 200, h, 2, r->body.data, r->body.len);
}

static void server_start(const struct http_server_config *cfg)
{
    memset(&F, 0, sizeof F);
    pthread_mutex_init(&F.mu, NULL);
    pthread_cond_init(&F.cv, NULL);
    if (uv_loop_init(&F.loop) != 0)
        abort();
    uv_async_init(&F.loop, &F.async, on_job);
    struct errbuf eb;
    if (http_server_start(&F.loop, "127.0.0.1", 0, cfg, handler, NULL, &F.srv, &eb) != 0) {
        fprintf(stderr, "server start: %s\n", eb.msg);
        abort();
    }
    F.port = http_server_port(F.srv);
    pthread_create(&F.thread, NULL, loop_main, NULL);
}

static void job_close(void *arg)
{
    http_server_close(F.srv);
    uv_close((uv_handle_t *)&F.async, NULL);
}

/* Returns 1 if the loop ended with every handle closed (the server freed itself). */
static int server_stop(void)
{
    run_on_loop(job_close, NULL);
    pthread_join(F.thread, NULL);
    int rc = uv_loop_close(&F.loop);
    pthread_mutex_destroy(&F.mu);
    pthread_cond_destroy(&F.cv);
    return rc == 0;
}

static void job_stats(void *arg)
{
    http_server_stats(F.srv, arg);
}

static struct http_server_stats stats(void)
{
    struct http_server_stats st;
    run_on_loop(job_stats, &st);
    return st;
}

/* Waits for the count of /async requests seen to reach n; returns the kept request. */
static struct http_request_ctx *wait_pending(int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += CLIENT_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&F.mu);
    while (F.pending_seen < n)
        if (pthread_cond_timedwait(&F.cv, &F.mu, &deadline) != 0)
            break;
    struct http_request_ctx *p = F.pending_seen >= n ? F.pending : NULL;
    pthread_mutex_unlock(&F.mu);
    return p;
}

struct respond_job {
    struct http_request_ctx *req;
    const char *body;
    int abandoned;
    int rc;
};

static void job_respond(void *arg)
{
    struct respond_job *j = arg;
    j->abandoned = http_request_abandoned(j->req);
    struct http_header h[] = {{"Content-Type", "text/plain"}};
    j->rc = http_respond(j->req, 200, h, 1, j->body, strlen(j->body));
}

static void job_abandoned(void *arg)
{
    struct respond_job *j = arg;
    j->abandoned = http_request_abandoned(j->req);
}

static void job_stop(void *arg)
{
    http_server_stop(F.srv);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- A minimal blocking client ---- */

struct client {
    int fd;
    struct buf in;
};

struct resp {
    int status;
    char head[4096];
    struct buf body;
};

static int client_connect(struct client *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {CLIENT_TIMEOUT_MS / 1000, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(c->fd, (struct sockaddr *)&a, sizeof a);
}

static void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
}

static int client_send(struct client *c, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

static int client_sends(struct client *c, const char *s)
{
    return client_send(c, s, strlen(s));
}

/* Reads more input; returns bytes read, 0 on EOF, -1 on error or timeout. */
static int client_fill(struct client *c)
{
    char tmp[65536];
    ssize_t k = recv(c->fd, tmp, sizeof tmp, 0);
    if (k > 0)
        buf_append(&c->in, tmp, (size_t)k);
    return (int)k;
}

static const char *find_header(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l != NULL; l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':')
            return l + 2 + n + 1 + (l[3 + n] == ' ');
    }
    return NULL;
}

/* Reads one response; no_body for answers to HEAD. Returns 0 or -1. */
static int client_read(struct client *c, struct resp *r, int no_body)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        const char *end = c->in.len ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4) : NULL;
        if (end != NULL) {
            size_t head_len = (size_t)(end - (const char *)c->in.data) + 4;
            if (head_len >= sizeof r->head)
                return -1;
            memcpy(r->head, c->in.data, head_len);
            r->head[head_len] = '\0';
            if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
                return -1;
            const char *cl = find_header(r->head, "Content-Length");
            size_t blen = cl && !no_body ? strtoul(cl, NULL, 10) : 0;
            while (c->in.len < head_len + blen)
                if (client_fill(c) <= 0)
                    return -1;
            buf_append(&r->body, c->in.data + head_len, blen);
            buf_consume(&c->in, head_len + blen);
            return 0;
        }
        if (client_fill(c) <= 0)
            return -1;
    }
}

/* 1 if the server closes the connection (EOF or reset) with no more bytes. */
static int client_sees_close(struct client *c)
{
    if (c->in.len > 0)
        return 0;
    char tmp[256];
    ssize_t k = recv(c->fd, tmp, sizeof tmp, 0);
    return k == 0 || (k < 0 && errno == ECONNRESET);
}

/* 1 if nothing arrives within ms. */
static int client_quiet(struct client *c, int ms)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    return c->in.len == 0 && poll(&p, 1, ms) == 0;
}

static int body_is(const struct resp *r, const char *s)
{
    return r->body.len == strlen(s) && memcmp(r->body.data, s, r->body.len) == 0;
}

/* The "code" of a JSON error body. */
static int error_code_is(const struct resp *r, const char *code)
{
    struct json_doc doc;
    if (json_parse(&doc, r->body.data, r->body.len, NULL, NULL) != 0)
        return 0;
    const struct json_value *e = json_object_get(doc.root, "error");
    const char *p;
    size_t n;
    int ok = json_get_string(json_object_get(e, "code"), &p, &n) == 0 && n == strlen(code) &&
             memcmp(p, code, n) == 0 && json_object_get(e, "message") != NULL;
    json_doc_free(&doc);
    return ok;
}

/* ---- Tests ---- */

TEST(keep_alive_get_and_post)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    struct resp r;
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body.len, 0);
    CHECK(find_header(r.head, "Date") != NULL);
    CHECK(strncmp(find_header(r.head, "ETag"), "\"0\"", 3) == 0);
    CHECK(find_header(r.head, "Connection") == NULL);
    buf_free(&r.body);
    CHECK_EQ(client_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"),
             0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK(body_is(&r, "hello"));
    buf_free(&r.body);
    CHECK_EQ(client_sends(&c, "GET /info?q=a%20b HTTP/1.1\r\nHost: t\r\nUser-Agent: ut\r\n\r\n"),
             0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.body.data, r.body.len, NULL, NULL), 0);
    const char *p;
    size_t n;
    CHECK_EQ(json_get_string(json_object_get(doc.root, "q"), &p, &n), 0);
    CHECK(n == 3 && memcmp(p, "a b", 3) == 0);
    CHECK_EQ(json_get_string(json_object_get(doc.root, "peer"), &p, &n), 0);
    CHECK(strncmp(p, "127.0.0.1:", 10) == 0);
    CHECK_EQ(json_get_string(json_object_get(doc.root, "ua"), &p, &n), 0);
    CHECK(n == 2 && memcmp(p, "ut", 2) == 0);
    json_doc_free(&doc);
    buf_free(&r.body);
    client_close(&c);
    struct http_server_stats st = stats();
    CHECK_EQ(st.requests_total, 3);
    CHECK_EQ(st.responses[2], 3);
    CHECK(st.bytes_in > 100 && st.bytes_out > 100);
    CHECK_EQ(st.connections_total, 1);
    CHECK(server_stop());
}

TEST(pipelined_chunked_and_many)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\na"
                              "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "2\r\nbb\r\n3\r\nccc\r\n0\r\n\r\n"
                              "GET /empty HTTP/1.1\r\nHost: t\r\n\r\n"
                              "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nddd"),
             0);
    struct resp r;
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "a"));
    buf_free(&r.body);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "bbccc"));
    buf_free(&r.body);
    CHECK_EQ(client_read(&c, &r, 1), 0);
    CHECK_EQ(r.status, 204);
    CHECK(find_header(r.head, "Content-Length") == NULL);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "ddd"));
    buf_free(&r.body);

    /* Many pipelined requests answered synchronously: all come back, in order. */
    struct buf many = BUF_INIT;
    for (int i = 0; i < 500; i++)
        buf_printf(&many, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%d",
                   snprintf(NULL, 0, "%d", i), i);
    CHECK_EQ(client_send(&c, many.data, many.len), 0);
    buf_free(&many);
    for (int i = 0; i < 500; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        CHECK_EQ(client_read(&c, &r, 0), 0);
        CHECK(body_is(&r, want));
        buf_free(&r.body);
    }
    client_close(&c);
    CHECK(server_stop());
}

TEST(large_body_and_head)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    size_t n = 1u << 20;
    struct buf m = BUF_INIT;
    buf_printf(&m, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);
    for (size_t i = 0; i < n; i++)
        buf_append_u8(&m, (uint8_t)(i * 7));
    CHECK_EQ(client_send(&c, m.data, m.len), 0);
    struct resp r;
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.body.len, n);
    CHECK(memcmp(r.body.data, m.data + m.len - n, n) == 0);
    buf_free(&r.body);
    buf_free(&m);
    /* HEAD: the length of what GET would send, no body bytes; the connection stays in sync. */
    CHECK_EQ(client_sends(&c, "HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n"
                              "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok"),
             0);
    CHECK_EQ(client_read(&c, &r, 1), 0);
    CHECK_EQ(r.status, 200);
    CHECK(find_header(r.head, "Content-Length") != NULL);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "ok"));
    buf_free(&r.body);
    client_close(&c);
    CHECK(server_stop());
}

TEST(expect_continue)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                              "Expect: 100-continue\r\n\r\n"),
             0);
    struct resp r;
    CHECK_EQ(client_read(&c, &r, 1), 0);
    CHECK_EQ(r.status, 100);
    CHECK_EQ(client_sends(&c, "12345"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK(body_is(&r, "12345"));
    buf_free(&r.body);
    client_close(&c);
    CHECK(server_stop());
}

TEST(http10_connections)
{
    server_start(NULL);
    struct client c;
    struct resp r;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.0\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK(strncmp(find_header(r.head, "Connection"), "close", 5) == 0);
    CHECK(client_sees_close(&c));
    client_close(&c);
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(strncmp(find_header(r.head, "Connection"), "keep-alive", 10) == 0);
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK(client_sees_close(&c));
    client_close(&c);
    CHECK(server_stop());
}

/* Sends m on a new connection; expects status with a JSON error code, then the close. */
static int bad_request_case(const char *m, size_t len, int status, const char *code)
{
    struct client c;
    struct resp r;
    int ok = client_connect(&c) == 0 && client_send(&c, m, len) == 0 && client_read(&c, &r, 0) == 0;
    ok = ok && r.status == status && error_code_is(&r, code);
    ok = ok && find_header(r.head, "Connection") != NULL && client_sees_close(&c);
    if (!ok)
        fprintf(stderr, "  expected %d %s, got %d: %s\n", status, code, r.status, r.head);
    buf_free(&r.body);
    client_close(&c);
    return ok;
}

TEST(bad_requests_and_limits)
{
    struct http_server_config cfg = {.body_bytes_max = 1000};
    server_start(&cfg);
    CHECK(bad_request_case("GARBAGE\r\n\r\n", 11, 400, "BAD_REQUEST"));
    CHECK(bad_request_case("GET / HTTP/1.1\r\n\r\n", 18, 400, "BAD_REQUEST"));
    CHECK(bad_request_case("\x16\x03\x01\x00\x05hello", 10, 400, "BAD_REQUEST"));
    CHECK(bad_request_case("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 27, 505, "NOT_IMPLEMENTED"));
    const char *big = "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n";
    CHECK(bad_request_case(big, strlen(big), 413, "TOO_LARGE"));
    /* The 413 reaches the client even though it sends the body anyway (lingering close). */
    struct buf m = BUF_INIT;
    buf_printf(&m, "%s", big);
    for (int i = 0; i < 5000; i++)
        buf_append_u8(&m, 'x');
    CHECK(bad_request_case((char *)m.data, m.len, 413, "TOO_LARGE"));
    buf_reset(&m);
    buf_printf(&m, "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3e8\r\n");
    for (int i = 0; i < 1000; i++)
        buf_append_u8(&m, 'x');
    buf_printf(&m, "\r\n1\r\n");
    CHECK(bad_request_case((char *)m.data, m.len, 413, "TOO_LARGE"));
    buf_reset(&m);
    buf_printf(&m, "GET /");
    for (int i = 0; i < HTTP_TARGET_BYTES_MAX; i++)
        buf_append_u8(&m, 'a');
    buf_printf(&m, " HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(bad_request_case((char *)m.data, m.len, 414, "TOO_LARGE"));
    buf_reset(&m);
    buf_printf(&m, "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < HTTP_HEADER_COUNT_MAX; i++)
        buf_printf(&m, "X-%d: 1\r\n", i);
    buf_printf(&m, "\r\n");
    CHECK(bad_request_case((char *)m.data, m.len, 431, "TOO_LARGE"));
    buf_free(&m);
    /* A bad request after a good one on the same connection: good answered, then 400. */
    struct client c;
    struct resp r;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\nBAD\x01\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 400);
    buf_free(&r.body);
    CHECK(client_sees_close(&c));
    client_close(&c);
    struct http_server_stats st = stats();
    CHECK_EQ(st.parse_errors, 10);
    CHECK_EQ(st.responses[4], 9);
    CHECK_EQ(st.responses[5], 1);
    CHECK(server_stop());
}

TEST(handler_errors)
{
    server_start(NULL);
    struct client c;
    struct resp r;
    CHECK_EQ(client_connect(&c), 0);
    /* A header the writer refuses becomes a 500; the connection stays usable. */
    CHECK_EQ(client_sends(&c, "GET /badheader HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 500);
    CHECK(error_code_is(&r, "INTERNAL"));
    CHECK(strstr(r.head, "Injected") == NULL);
    buf_free(&r.body);
    CHECK_EQ(client_sends(&c, "GET /error HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 404);
    CHECK(error_code_is(&r, "NOT_FOUND"));
    CHECK(strstr((char *)r.body.data, "no key k\\\"1") != NULL);
    CHECK(strncmp(find_header(r.head, "Content-Type"), "application/json", 16) == 0);
    buf_free(&r.body);
    client_close(&c);
    CHECK(server_stop());
}

TEST(async_response_keeps_order)
{
    server_start(NULL);
    struct client c;
    struct resp r;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"
                              "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nnext"),
             0);
    struct http_request_ctx *req = wait_pending(1);
    CHECK(req != NULL);
    /* The second request waits for the first one's answer. */
    CHECK(client_quiet(&c, 200));
    CHECK_EQ(stats().requests_inflight, 1);
    struct respond_job j = {.req = req, .body = "late"};
    run_on_loop(job_respond, &j);
    CHECK_EQ(j.rc, 0);
    CHECK_EQ(j.abandoned, 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "late"));
    buf_free(&r.body);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "next"));
    buf_free(&r.body);
    client_close(&c);
    struct http_server_stats st = stats();
    CHECK_EQ(st.requests_total, 2);
    CHECK_EQ(st.requests_inflight, 0);
    CHECK(server_stop());
}

static int wait_connections_open(uint64_t n)
{
    for (int i = 0; i < CLIENT_TIMEOUT_MS / 10; i++) {
        if (stats().connections_open == n)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

TEST(client_leaves_before_async_response)
{
    server_start(NULL);
    struct client c;
    /* Orderly close (FIN): the request stays valid; its answer goes nowhere. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    struct http_request_ctx *req = wait_pending(1);
    CHECK(req != NULL);
    client_close(&c);
    sleep_ms(100);
    struct respond_job j = {.req = req, .body = "nobody listens"};
    run_on_loop(job_respond, &j);
    CHECK(j.rc == 0 || j.rc == ERR_SHUTDOWN);
    CHECK(wait_connections_open(0));

    /* Reset (RST): the connection goes at once and the request is marked abandoned. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    req = wait_pending(2);
    CHECK(req != NULL);
    struct linger lg = {1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    client_close(&c);
    CHECK(wait_connections_open(0));
    struct respond_job k = {.req = req};
    run_on_loop(job_abandoned, &k);
    CHECK_EQ(k.abandoned, 1);
    CHECK_EQ(stats().requests_inflight, 1);
    k.body = "too late";
    run_on_loop(job_respond, &k);
    CHECK_EQ(k.rc, (uint64_t)ERR_SHUTDOWN);
    struct http_server_stats st = stats();
    CHECK_EQ(st.requests_abandoned, 1);
    CHECK_EQ(st.requests_inflight, 0);
    CHECK(server_stop());
}

TEST(stop_with_request_outstanding)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    struct http_request_ctx *req = wait_pending(1);
    CHECK(req != NULL);
    run_on_loop(job_stop, NULL);
    CHECK(client_sees_close(&c));
    client_close(&c);
    /* New connections are refused once stopped. */
    CHECK(client_connect(&c) != 0);
    client_close(&c);
    struct respond_job j = {.req = req, .body = "after stop"};
    run_on_loop(job_respond, &j);
    CHECK_EQ(j.abandoned, 1);
    CHECK_EQ(j.rc, (uint64_t)ERR_SHUTDOWN);
    CHECK(server_stop());
}

TEST(close_before_async_answer_frees_later)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    struct http_request_ctx *req = wait_pending(1);
    CHECK(req != NULL);
    /* The owner gives the server up while the handler still holds a request: the server
     * stays alive (no handles) until that request is answered. */
    run_on_loop(job_close, NULL);
    pthread_join(F.thread, NULL);
    struct respond_job j = {.req = req, .body = "x"};
    job_respond(&j); /* the loop is not running: this thread is its only user now */
    CHECK_EQ(j.rc, (uint64_t)ERR_SHUTDOWN);
    CHECK_EQ(uv_loop_close(&F.loop), 0);
    client_close(&c);
}

TEST(connection_limit)
{
    struct http_server_config cfg = {.connections_max = 2};
    server_start(&cfg);
    struct client a, b, x;
    struct resp r;
    CHECK_EQ(client_connect(&a), 0);
    CHECK_EQ(client_connect(&b), 0);
    CHECK_EQ(client_sends(&a, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&a, &r, 0), 0);
    CHECK_EQ(client_sends(&b, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&b, &r, 0), 0);
    CHECK_EQ(client_connect(&x), 0);
    CHECK_EQ(client_read(&x, &r, 0), 0);
    CHECK_EQ(r.status, 503);
    CHECK(error_code_is(&r, "UNAVAILABLE"));
    buf_free(&r.body);
    CHECK(client_sees_close(&x));
    client_close(&x);
    client_close(&a);
    CHECK(wait_connections_open(1));
    CHECK_EQ(client_connect(&x), 0);
    CHECK_EQ(client_sends(&x, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    CHECK_EQ(client_read(&x, &r, 0), 0);
    CHECK_EQ(r.status, 200);
    client_close(&x);
    client_close(&b);
    struct http_server_stats st = stats();
    CHECK_EQ(st.connections_rejected, 1);
    CHECK_EQ(st.connections_total, 4);
    CHECK(server_stop());
}

TEST(idle_timeout)
{
    struct http_server_config cfg = {.idle_timeout_ms = 150};
    server_start(&cfg);
    struct client c;
    struct resp r;
    /* Silent connection: closed without a word. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK(client_sees_close(&c));
    client_close(&c);
    /* Half a request: 408. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /echo HTTP/1.1\r\nHo"), 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK_EQ(r.status, 408);
    CHECK(error_code_is(&r, "TIMEOUT"));
    buf_free(&r.body);
    CHECK(client_sees_close(&c));
    client_close(&c);
    /* A request waiting for its handler is not idle. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_sends(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    struct http_request_ctx *req = wait_pending(1);
    CHECK(req != NULL);
    sleep_ms(400);
    struct respond_job j = {.req = req, .body = "slow"};
    run_on_loop(job_respond, &j);
    CHECK_EQ(j.rc, 0);
    CHECK_EQ(client_read(&c, &r, 0), 0);
    CHECK(body_is(&r, "slow"));
    buf_free(&r.body);
    client_close(&c);
    CHECK(server_stop());
}

TEST(start_errors)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct http_server *s, *s2;
    struct errbuf eb;
    CHECK_EQ(http_server_start(&loop, "127.0.0.1", 0, NULL, handler, NULL, &s, &eb), 0);
    int port = http_server_port(s);
    CHECK(port > 0);
    CHECK_EQ(http_server_start(&loop, "127.0.0.1", port, NULL, handler, NULL, &s2, &eb),
             (uint64_t)ERR_IO);
    CHECK(strstr(eb.msg, "in use") != NULL);
    CHECK_EQ(http_server_start(&loop, "no-such-host.invalid", 0, NULL, handler, NULL, &s2, &eb),
             (uint64_t)ERR_INVAL);
    CHECK_EQ(http_server_start(&loop, "127.0.0.1", 70000, NULL, handler, NULL, &s2, &eb),
             (uint64_t)ERR_INVAL);
    http_server_close(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

TEST_MAIN()
