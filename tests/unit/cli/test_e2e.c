/* End-to-end tests of the CLI commands against a small fake node: a thread on 127.0.0.1:0 that
 * parses requests with the server's own HTTP parser and answers like docs/http-api.md (an
 * in-memory key-value map, canned cluster answers, a counting bench endpoint). Checks output,
 * exit codes, what reached the server, and that `bench kv` counts what the server saw. */
#include "test.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base64.h"
#include "cli/cli_int.h"
#include "proto/http/http.h"
#include "proto/http/json.h"

/* ---- The fake node ------------------------------------------------------------------------- */

#define FAKE_CONNS_MAX 64
#define FAKE_KEYS_MAX  256
/* Every this many bench responses, the fake answers with Connection: close and hangs up, so the
 * bench's reconnect path is exercised. */
#define FAKE_BENCH_CLOSE_EVERY 97
/* Every this many bench PUTs fails its (pretend) condition with 412. */
#define FAKE_BENCH_412_EVERY 7

enum { SLOT_FREE, SLOT_RUNNING, SLOT_FINISHED };

struct fake_kv {
    struct buf key, value;
    uint64_t version;
};

struct fake;

struct fake_slot {
    struct fake *f;
    int state;
    int fd;
    pthread_t thread;
};

struct fake {
    int lfd;
    char addr[64];
    pthread_t acceptor;
    pthread_mutex_t mu;
    int stopping;
    struct fake_slot slots[FAKE_CONNS_MAX];
    /* everything below under mu */
    struct fake_kv kv[FAKE_KEYS_MAX];
    size_t n_kv;
    uint64_t version;
    char last_method[16];
    struct buf last_path; /* decoded */
    char last_if_match[64];
    char last_if_none_match[64];
    struct buf last_body;
    uint64_t accepted;
    uint64_t bench_puts, bench_gets, bench_412, bench_bad_len, bench_responses;
    size_t bench_value_size;
};

static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : al < bl ? -1 : al > bl;
}

static void respond(struct buf *out, int status, const char *reason, const char *headers,
                    const void *body, size_t len)
{
    buf_printf(out, "HTTP/1.1 %d %s\r\n%sContent-Length: %zu\r\n\r\n", status, reason, headers,
               len);
    buf_append(out, body, len);
}

/* The same body in 7-byte chunks, to exercise the client's chunked decoding. */
static void respond_chunked(struct buf *out, int status, const char *body, size_t len)
{
    buf_printf(out,
               "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               status);
    for (size_t off = 0; off < len; off += 7) {
        size_t n = len - off < 7 ? len - off : 7;
        buf_printf(out, "%zx\r\n", n);
        buf_append(out, body + off, n);
        buf_append(out, "\r\n", 2);
    }
    buf_printf(out, "0\r\n\r\n");
}

static void respond_error(struct buf *out, int status, const char *reason, const char *code,
                          const char *msg)
{
    struct buf b = BUF_INIT;
    http_error_json(&b, code, msg);
    respond(out, status, reason, "Content-Type: application/json\r\n", b.data, b.len);
    buf_free(&b);
}

static struct fake_kv *kv_find(struct fake *f, const char *k, size_t kl)
{
    for (size_t i = 0; i < f->n_kv; i++) {
        if (bytes_cmp(f->kv[i].key.data, f->kv[i].key.len, k, kl) == 0)
            return &f->kv[i];
    }
    return NULL;
}

static void write_bytes_member(struct json_writer *w, const char *name, const struct buf *b)
{
    if (json_utf8_valid(b->data, b->len)) {
        json_write_key(w, name);
        json_write_str(w, b->len ? (const char *)b->data : "", b->len);
    } else {
        char n[32];
        snprintf(n, sizeof n, "%s_base64", name);
        struct buf e = BUF_INIT;
        base64_encode(&e, b->data, b->len);
        json_write_key(w, n);
        json_write_str(w, (const char *)e.data, e.len);
        buf_free(&e);
    }
}

static int kv_order(const void *a, const void *b)
{
    const struct fake_kv *x = a, *y = b;
    return bytes_cmp(x->key.data, x->key.len, y->key.data, y->key.len);
}

static void handle_list(struct fake *f, const struct http_request *req, struct buf *out)
{
    const struct http_query_param *pp = http_request_param(req, "prefix");
    const struct http_query_param *lp = http_request_param(req, "limit");
    const struct http_query_param *ap = http_request_param(req, "after");
    size_t limit = lp ? (size_t)atoi(lp->value) : 100;
    qsort(f->kv, f->n_kv, sizeof f->kv[0], kv_order);
    struct buf body = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &body);
    json_write_object_begin(&w);
    json_write_key(&w, "items");
    json_write_array_begin(&w);
    size_t n = 0;
    int more = 0;
    const struct fake_kv *last = NULL;
    for (size_t i = 0; i < f->n_kv; i++) {
        const struct fake_kv *e = &f->kv[i];
        if (pp && (e->key.len < pp->value_len || memcmp(e->key.data, pp->value, pp->value_len)))
            continue;
        if (ap && bytes_cmp(e->key.data, e->key.len, ap->value, ap->value_len) <= 0)
            continue;
        if (n == limit) {
            more = 1;
            break;
        }
        json_write_object_begin(&w);
        write_bytes_member(&w, "key", &e->key);
        write_bytes_member(&w, "value", &e->value);
        json_write_key(&w, "version");
        json_write_uint64(&w, e->version);
        json_write_object_end(&w);
        last = e;
        n++;
    }
    json_write_array_end(&w);
    json_write_key(&w, "more");
    json_write_bool(&w, more);
    if (more && last != NULL)
        write_bytes_member(&w, "next", &last->key);
    json_write_object_end(&w);
    json_writer_finish(&w);
    respond_chunked(out, 200, (const char *)body.data, body.len);
    buf_free(&body);
}

static void handle_key(struct fake *f, const struct http_request *req, const char *k, size_t kl,
                       struct buf *out)
{
    struct fake_kv *e = kv_find(f, k, kl);
    char hdr[96], json[128];
    if (kl == 4 && memcmp(k, "boom", 4) == 0) {
        respond(out, 500, "Internal Server Error", "Content-Type: text/plain\r\n",
                "internal oops\n", 14);
        return;
    }
    if (req->method == HTTP_GET) {
        if (e == NULL) {
            respond_error(out, 404, "Not Found", "NOT_FOUND", "key not found");
            return;
        }
        snprintf(hdr, sizeof hdr, "ETag: \"%" PRIu64 "\"\r\n", e->version);
        respond(out, 200, "OK", hdr, e->value.data, e->value.len);
        return;
    }
    const char *im = http_request_header(req, "If-Match");
    const char *inm = http_request_header(req, "If-None-Match");
    if (im != NULL) {
        char want[40];
        snprintf(want, sizeof want, "\"%" PRIu64 "\"", e ? e->version : 0);
        if (e == NULL || strcmp(im, want) != 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "key is at version %" PRIu64 ", not %s", e ? e->version : 0,
                     im);
            respond_error(out, 412, "Precondition Failed", "CONDITION_FAILED", msg);
            return;
        }
    }
    if (req->method == HTTP_PUT) {
        if (inm != NULL && strcmp(inm, "*") == 0 && e != NULL) {
            respond_error(out, 412, "Precondition Failed", "CONDITION_FAILED",
                          "key already exists");
            return;
        }
        if (e == NULL) {
            if (f->n_kv == FAKE_KEYS_MAX) {
                respond_error(out, 503, "Service Unavailable", "UNAVAILABLE", "full");
                return;
            }
            e = &f->kv[f->n_kv++];
            memset(e, 0, sizeof *e);
            buf_append(&e->key, k, kl);
        }
        buf_reset(&e->value);
        buf_append(&e->value, req->body.data, req->body.len);
        e->version = ++f->version;
        snprintf(hdr, sizeof hdr, "Content-Type: application/json\r\nETag: \"%" PRIu64 "\"\r\n",
                 e->version);
        snprintf(json, sizeof json, "{\"key\": \"k\", \"version\": %" PRIu64 "}", e->version);
        respond(out, 200, "OK", hdr, json, strlen(json));
        return;
    }
    if (req->method == HTTP_DELETE) {
        if (e == NULL) {
            respond_error(out, 404, "Not Found", "NOT_FOUND", "key not found");
            return;
        }
        buf_free(&e->key);
        buf_free(&e->value);
        *e = f->kv[--f->n_kv];
        snprintf(json, sizeof json, "{\"key\": \"k\", \"deleted\": true, \"version\": %" PRIu64 "}",
                 ++f->version);
        respond(out, 200, "OK", "Content-Type: application/json\r\n", json, strlen(json));
        return;
    }
    respond_error(out, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "no");
}

static const char fake_cluster_json[] =
    "{\"cluster_id\": \"c-0123\", \"leader\": {\"id\": 1, \"name\": \"n1\"}, \"term\": 7, "
    "\"nodes\": ["
    "{\"id\": 1, \"name\": \"n1\", \"peer_addr\": \"127.0.0.1:7081\", "
    "\"http_addr\": \"127.0.0.1:7080\", \"role\": \"leader\", \"state\": \"online\"},"
    "{\"id\": 2, \"name\": \"node-two\", \"peer_addr\": \"127.0.0.1:7091\", "
    "\"http_addr\": \"127.0.0.1:7090\", \"role\": \"follower\", \"state\": \"offline\"}]}";

/* Answers one request into out; sets *close_after to hang up afterwards. Called under f->mu. */
static void handle(struct fake *f, const struct http_request *req, struct buf *out,
                   int *close_after)
{
    snprintf(f->last_method, sizeof f->last_method, "%s", req->method_name);
    buf_reset(&f->last_path);
    buf_append(&f->last_path, req->path, req->path_len);
    const char *im = http_request_header(req, "If-Match");
    const char *inm = http_request_header(req, "If-None-Match");
    snprintf(f->last_if_match, sizeof f->last_if_match, "%s", im ? im : "");
    snprintf(f->last_if_none_match, sizeof f->last_if_none_match, "%s", inm ? inm : "");
    buf_reset(&f->last_body);
    buf_append(&f->last_body, req->body.data, req->body.len);

    const char *path = req->path;
    size_t plen = req->path_len;
    if (plen > 13 && memcmp(path, "/v1/kv/bench-", 13) == 0) {
        if (req->method == HTTP_PUT) {
            f->bench_puts++;
            if (req->body.len != f->bench_value_size)
                f->bench_bad_len++;
        } else {
            f->bench_gets++;
        }
        const char *hdr = "";
        if (++f->bench_responses % FAKE_BENCH_CLOSE_EVERY == 0) {
            hdr = "Connection: close\r\n";
            *close_after = 1;
        }
        if (req->method == HTTP_PUT && f->bench_puts % FAKE_BENCH_412_EVERY == 0) {
            f->bench_412++;
            struct buf b = BUF_INIT;
            http_error_json(&b, "CONDITION_FAILED", "no");
            respond(out, 412, "Precondition Failed", hdr, b.data, b.len);
            buf_free(&b);
        } else {
            respond(out, 200, "OK", hdr, "{\"version\": 1}", 14);
        }
        return;
    }
    if (plen == 7 && memcmp(path, "/health", 7) == 0) {
        const char *b = "{\"status\": \"UP\", \"node\": \"n1\"}";
        respond(out, 200, "OK", "Content-Type: application/json\r\n", b, strlen(b));
        return;
    }
    if (plen == 11 && memcmp(path, "/v1/cluster", 11) == 0) {
        respond(out, 200, "OK", "Content-Type: application/json\r\n", fake_cluster_json,
                strlen(fake_cluster_json));
        return;
    }
    if (plen == 17 && memcmp(path, "/v1/cluster/expel", 17) == 0 && req->method == HTTP_POST) {
        struct json_doc doc;
        const char *node;
        size_t node_len;
        if (json_parse(&doc, req->body.data, req->body.len, NULL, NULL) != 0) {
            respond_error(out, 400, "Bad Request", "BAD_REQUEST", "bad JSON");
            return;
        }
        if (json_get_string(json_object_get(doc.root, "node"), &node, &node_len) != 0) {
            respond_error(out, 400, "Bad Request", "BAD_REQUEST", "no node");
        } else if (node_len == 2 && memcmp(node, "n9", 2) == 0) {
            respond_error(out, 404, "Not Found", "NOT_FOUND", "no node named \"n9\"");
        } else {
            respond(out, 200, "OK", "Content-Type: application/json\r\n", "{\"expelled\": true}",
                    18);
        }
        json_doc_free(&doc);
        return;
    }
    if (plen == 6 && memcmp(path, "/v1/kv", 6) == 0 && req->method == HTTP_GET) {
        handle_list(f, req, out);
        return;
    }
    if (plen >= 7 && memcmp(path, "/v1/kv/", 7) == 0) {
        handle_key(f, req, path + 7, plen - 7, out);
        return;
    }
    respond_error(out, 404, "Not Found", "NOT_FOUND", "unknown path");
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void *conn_main(void *arg)
{
    struct fake_slot *s = arg;
    struct fake *f = s->f;
    struct http_parser p;
    http_parser_init(&p, 0);
    struct buf out = BUF_INIT;
    static __thread uint8_t in[65536];
    for (;;) {
        ssize_t n = recv(s->fd, in, sizeof in, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t off = 0;
        int close_after = 0;
        while (off < (size_t)n && !close_after) {
            size_t used;
            int rc = http_parser_feed(&p, in + off, (size_t)n - off, &used, NULL);
            off += used;
            if (rc == ERR_NEEDMORE)
                break;
            if (rc != 0)
                goto done;
            struct http_request req;
            http_parser_take(&p, &req);
            buf_reset(&out);
            pthread_mutex_lock(&f->mu);
            handle(f, &req, &out, &close_after);
            pthread_mutex_unlock(&f->mu);
            http_request_free(&req);
            if (send_all(s->fd, out.data, out.len) != 0)
                goto done;
        }
        if (close_after)
            break;
    }
done:
    http_parser_free(&p);
    buf_free(&out);
    pthread_mutex_lock(&f->mu);
    close(s->fd);
    s->fd = -1;
    s->state = SLOT_FINISHED;
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void *accept_main(void *arg)
{
    struct fake *f = arg;
    for (;;) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break; /* shut down */
        }
        pthread_mutex_lock(&f->mu);
        struct fake_slot *slot = NULL;
        for (size_t i = 0; i < FAKE_CONNS_MAX && slot == NULL; i++) {
            if (f->slots[i].state == SLOT_FINISHED) {
                pthread_join(f->slots[i].thread, NULL);
                f->slots[i].state = SLOT_FREE;
            }
            if (f->slots[i].state == SLOT_FREE)
                slot = &f->slots[i];
        }
        if (f->stopping || slot == NULL) {
            pthread_mutex_unlock(&f->mu);
            close(fd);
            continue;
        }
        f->accepted++;
        slot->f = f;
        slot->fd = fd;
        slot->state = SLOT_RUNNING;
        if (pthread_create(&slot->thread, NULL, conn_main, slot) != 0) {
            close(fd);
            slot->fd = -1;
            slot->state = SLOT_FREE;
        }
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("fake server");
        exit(2);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

static struct fake *fake_start(void)
{
    struct fake *f = calloc(1, sizeof *f);
    int port;
    f->lfd = listen_loopback(&port);
    snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", port);
    pthread_mutex_init(&f->mu, NULL);
    for (size_t i = 0; i < FAKE_CONNS_MAX; i++)
        f->slots[i].fd = -1;
    if (pthread_create(&f->acceptor, NULL, accept_main, f) != 0)
        exit(2);
    return f;
}

static void fake_stop(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_mutex_unlock(&f->mu);
    shutdown(f->lfd, SHUT_RDWR); /* wakes accept() */
    pthread_join(f->acceptor, NULL);
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < FAKE_CONNS_MAX; i++) {
        if (f->slots[i].state == SLOT_RUNNING)
            shutdown(f->slots[i].fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&f->mu);
    for (size_t i = 0; i < FAKE_CONNS_MAX; i++) {
        if (f->slots[i].state != SLOT_FREE)
            pthread_join(f->slots[i].thread, NULL);
    }
    close(f->lfd);
    for (size_t i = 0; i < f->n_kv; i++) {
        buf_free(&f->kv[i].key);
        buf_free(&f->kv[i].value);
    }
    buf_free(&f->last_path);
    buf_free(&f->last_body);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* ---- Running commands ---------------------------------------------------------------------- */

typedef int (*run_fn)(const struct cli_io *, int, char **);

struct result {
    int exit;
    char *out, *err;
    size_t out_len, err_len;
};

/* Runs fn with args (NULL-terminated) and the given stdin, the fake's address as the default
 * (as if from CAIRN_ADDR). */
static struct result run_in(struct fake *f, run_fn fn, const char *const *args, const void *in,
                            size_t in_len)
{
    char *argv[32];
    int argc = 0;
    while (args[argc] != NULL && argc < 31) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    struct result r = {0};
    struct cli_io io = {0};
    io.out = open_memstream(&r.out, &r.out_len);
    io.err = open_memstream(&r.err, &r.err_len);
    io.in = in != NULL ? fmemopen((void *)in, in_len, "r") : NULL;
    io.default_addr = f != NULL ? f->addr : NULL;
    r.exit = fn(&io, argc, argv);
    fclose(io.out);
    fclose(io.err);
    if (io.in != NULL)
        fclose(io.in);
    return r;
}

static struct result run(struct fake *f, run_fn fn, const char *const *args)
{
    return run_in(f, fn, args, NULL, 0);
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- Tests --------------------------------------------------------------------------------- */

TEST(kv_put_get_del_round_trip)
{
    struct fake *f = fake_start();
    /* A key with '/', '%', a space and UTF-8 reaches the server as the same bytes. */
    const char *key = "dir/a b%25\xc3\xa9";
    struct result r = run(f, cli_kv_run, ARGS("kv", "put", key, "hello"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(r.out, "version 1\n");
    CHECK_EQ(r.err_len, 0);
    result_free(&r);
    CHECK_STR(f->last_method, "PUT");
    CHECK_EQ(f->last_path.len, 7 + strlen(key));
    CHECK(memcmp(f->last_path.data, "/v1/kv/", 7) == 0);
    CHECK(memcmp(f->last_path.data + 7, key, strlen(key)) == 0);
    CHECK_EQ(f->last_body.len, 5);
    CHECK(memcmp(f->last_body.data, "hello", 5) == 0);

    r = run(f, cli_kv_run, ARGS("kv", "get", key));
    CHECK_EQ(r.exit, 0);
    CHECK_EQ(r.out_len, 5);
    CHECK(memcmp(r.out, "hello", 5) == 0); /* raw bytes, no newline added */
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "get", "--json", key));
    CHECK_EQ(r.exit, 0);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.out, r.out_len, NULL, NULL), 0);
    const char *s;
    size_t sl;
    int64_t v;
    CHECK_EQ(json_get_string(json_object_get(doc.root, "key"), &s, &sl), 0);
    CHECK(sl == strlen(key) && memcmp(s, key, sl) == 0);
    CHECK_EQ(json_get_string(json_object_get(doc.root, "value"), &s, &sl), 0);
    CHECK(sl == 5 && memcmp(s, "hello", 5) == 0);
    CHECK_EQ(json_get_int64(json_object_get(doc.root, "version"), &v), 0);
    CHECK_EQ(v, 1);
    json_doc_free(&doc);
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "del", key, "--addr", f->addr));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(r.out, "deleted, version 2\n");
    result_free(&r);
    CHECK_STR(f->last_method, "DELETE");

    r = run(f, cli_kv_run, ARGS("kv", "get", key));
    CHECK_EQ(r.exit, 1);
    CHECK_EQ(r.out_len, 0);
    char want[128];
    snprintf(want, sizeof want, "cairn: key not found: %s\n", key);
    CHECK_STR(r.err, want);
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "del", "nope"));
    CHECK_EQ(r.exit, 1);
    CHECK_STR(r.err, "cairn: key not found: nope\n");
    result_free(&r);
    fake_stop(f);
}

TEST(kv_conditions)
{
    struct fake *f = fake_start();
    struct result r = run(f, cli_kv_run, ARGS("kv", "put", "k", "v1", "--if-absent"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(f->last_if_none_match, "*");
    CHECK_STR(r.out, "version 1\n");
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "put", "k", "v2", "--if-absent"));
    CHECK_EQ(r.exit, 1);
    CHECK_EQ(r.out_len, 0);
    CHECK_STR(r.err, "cairn: key already exists (412 CONDITION_FAILED)\n");
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "put", "k", "v3", "--if-version", "5"));
    CHECK_EQ(r.exit, 1);
    CHECK_STR(f->last_if_match, "\"5\"");
    CHECK_STR(r.err, "cairn: key is at version 1, not \"5\" (412 CONDITION_FAILED)\n");
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "put", "--if-version=1", "k", "v4", "--json"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(r.out, "{\"key\": \"k\", \"version\": 2}\n");
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "del", "k", "--if-version", "1"));
    CHECK_EQ(r.exit, 1);
    CHECK(strstr(r.err, "412 CONDITION_FAILED") != NULL);
    result_free(&r);
    r = run(f, cli_kv_run, ARGS("kv", "del", "k", "--if-version", "2"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(f->last_if_match, "\"2\"");
    result_free(&r);
    fake_stop(f);
}

TEST(kv_put_from_stdin_and_binary_values)
{
    struct fake *f = fake_start();
    const char text[] = "line one\nline two\n";
    struct result r = run_in(f, cli_kv_run, ARGS("kv", "put", "t", "-"), text, sizeof text - 1);
    CHECK_EQ(r.exit, 0);
    result_free(&r);
    CHECK_EQ(f->last_body.len, sizeof text - 1);
    CHECK(memcmp(f->last_body.data, text, sizeof text - 1) == 0);

    const uint8_t bin[] = {0x00, 0xff, 0x80, 'a', 0x00};
    r = run_in(f, cli_kv_run, ARGS("kv", "put", "b", "-"), bin, sizeof bin);
    CHECK_EQ(r.exit, 0);
    result_free(&r);

    r = run(f, cli_kv_run, ARGS("kv", "get", "b"));
    CHECK_EQ(r.exit, 0);
    CHECK_EQ(r.out_len, sizeof bin);
    CHECK(memcmp(r.out, bin, sizeof bin) == 0);
    result_free(&r);

    /* Not UTF-8: --json gives value_base64, which decodes to the bytes. */
    r = run(f, cli_kv_run, ARGS("kv", "get", "b", "--json"));
    CHECK_EQ(r.exit, 0);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.out, r.out_len, NULL, NULL), 0);
    CHECK(json_object_get(doc.root, "value") == NULL);
    const char *s;
    size_t sl;
    CHECK_EQ(json_get_string(json_object_get(doc.root, "value_base64"), &s, &sl), 0);
    struct buf dec = BUF_INIT;
    CHECK_EQ(base64_decode(&dec, s, sl), 0);
    CHECK_EQ(dec.len, sizeof bin);
    CHECK(memcmp(dec.data, bin, sizeof bin) == 0);
    buf_free(&dec);
    json_doc_free(&doc);
    result_free(&r);

    /* An empty value. */
    r = run(f, cli_kv_run, ARGS("kv", "put", "e", ""));
    CHECK_EQ(r.exit, 0);
    result_free(&r);
    r = run(f, cli_kv_run, ARGS("kv", "get", "e"));
    CHECK_EQ(r.exit, 0);
    CHECK_EQ(r.out_len, 0);
    result_free(&r);
    fake_stop(f);
}

TEST(kv_ls_pages)
{
    struct fake *f = fake_start();
    /* 25 keys p/00..p/24 (written out of order), plus others outside the prefix. */
    for (int i = 24; i >= 0; i--) {
        char k[16], v[16];
        snprintf(k, sizeof k, "p/%02d", i);
        snprintf(v, sizeof v, "val%d", i);
        struct result r = run(f, cli_kv_run, ARGS("kv", "put", k, v));
        CHECK_EQ(r.exit, 0);
        result_free(&r);
    }
    const uint8_t bin[] = {'p', '/', 'z', 0xff};
    struct result r = run_in(f, cli_kv_run, ARGS("kv", "put", "q", "-"), bin, sizeof bin);
    CHECK_EQ(r.exit, 0);
    result_free(&r);
    r = run(f, cli_kv_run, ARGS("kv", "put", "other", "x"));
    result_free(&r);

    /* One page. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "p/", "--limit", "10"));
    CHECK_EQ(r.exit, 0);
    struct buf want = BUF_INIT;
    for (int i = 0; i < 10; i++) {
        /* version = 25 - i: written in reverse order */
        CHECK_EQ(buf_printf(&want, "p/%02d\tval%d\t%d\n", i, i, 25 - i), 0);
    }
    CHECK_EQ(r.out_len, want.len);
    CHECK(memcmp(r.out, want.data, want.len) == 0);
    CHECK(strstr(r.err, "more keys follow") != NULL);
    result_free(&r);

    /* Every page. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "p/", "--limit", "10", "--all"));
    CHECK_EQ(r.exit, 0);
    for (int i = 10; i < 25; i++)
        CHECK_EQ(buf_printf(&want, "p/%02d\tval%d\t%d\n", i, i, 25 - i), 0);
    CHECK_EQ(r.out_len, want.len);
    CHECK(memcmp(r.out, want.data, want.len) == 0);
    CHECK_EQ(r.err_len, 0);
    result_free(&r);
    buf_free(&want);

    /* --after, a limit that ends exactly at the last key. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "p/", "--after", "p/22", "--limit", "2"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(r.out, "p/23\tval23\t2\np/24\tval24\t1\n");
    result_free(&r);

    /* --json --all: one document with every item, binary values as value_base64. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "--json", "--all", "--limit", "4"));
    CHECK_EQ(r.exit, 0);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.out, r.out_len, NULL, NULL), 0);
    const struct json_value *items = json_object_get(doc.root, "items");
    CHECK(items != NULL && items->type == JSON_ARRAY);
    CHECK_EQ(items->u.arr.n, 27);
    const char *s;
    size_t sl;
    CHECK_EQ(json_get_string(json_object_get(json_array_at(items, 0), "key"), &s, &sl), 0);
    CHECK(sl == 5 && memcmp(s, "other", 5) == 0);
    CHECK(json_object_get(json_array_at(items, 26), "value_base64") != NULL);
    json_doc_free(&doc);
    result_free(&r);

    /* Human output of a binary value is its raw bytes. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "q"));
    CHECK_EQ(r.exit, 0);
    CHECK_EQ(r.out_len, 2 + sizeof bin + strlen("\t26\n"));
    CHECK(memcmp(r.out, "q\t", 2) == 0);
    CHECK(memcmp(r.out + 2, bin, sizeof bin) == 0);
    result_free(&r);

    /* Empty listing. */
    r = run(f, cli_kv_run, ARGS("kv", "ls", "nothing-here"));
    CHECK_EQ(r.exit, 0);
    CHECK_EQ(r.out_len, 0);
    result_free(&r);
    fake_stop(f);
}

TEST(status_and_expel)
{
    struct fake *f = fake_start();
    struct result r = run(f, cli_status_run, ARGS("status"));
    CHECK_EQ(r.exit, 0);
    CHECK(strstr(r.out, "health   UP\n") != NULL);
    CHECK(strstr(r.out, "cluster  c-0123\n") != NULL);
    CHECK(strstr(r.out, "leader   n1 (id 1)\n") != NULL);
    CHECK(strstr(r.out, "term     7\n") != NULL);
    CHECK(strstr(r.out, "ID  NAME      ROLE      STATE    PEER            HTTP\n") != NULL);
    CHECK(strstr(r.out, "1   n1        leader    online   127.0.0.1:7081  127.0.0.1:7080\n") !=
          NULL);
    CHECK(strstr(r.out, "2   node-two  follower  offline  127.0.0.1:7091  127.0.0.1:7090\n") !=
          NULL);
    result_free(&r);

    r = run(f, cli_status_run, ARGS("status", "--json"));
    CHECK_EQ(r.exit, 0);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.out, r.out_len, NULL, NULL), 0);
    const char *s;
    size_t sl;
    CHECK_EQ(
        json_get_string(json_object_get(json_object_get(doc.root, "health"), "status"), &s, &sl),
        0);
    CHECK(sl == 2 && memcmp(s, "UP", 2) == 0);
    const struct json_value *nodes = json_object_get(json_object_get(doc.root, "cluster"), "nodes");
    CHECK(nodes != NULL && nodes->type == JSON_ARRAY && nodes->u.arr.n == 2);
    json_doc_free(&doc);
    result_free(&r);

    r = run(f, cli_expel_run, ARGS("expel", "node-two"));
    CHECK_EQ(r.exit, 0);
    CHECK_STR(r.out, "expelled node-two\n");
    result_free(&r);
    CHECK_STR(f->last_method, "POST");
    CHECK_EQ(f->last_body.len, strlen("{\"node\":\"node-two\"}"));
    CHECK_EQ(json_parse(&doc, f->last_body.data, f->last_body.len, NULL, NULL), 0);
    CHECK_EQ(json_get_string(json_object_get(doc.root, "node"), &s, &sl), 0);
    CHECK(sl == 8 && memcmp(s, "node-two", 8) == 0);
    json_doc_free(&doc);

    r = run(f, cli_expel_run, ARGS("expel", "n9"));
    CHECK_EQ(r.exit, 1);
    CHECK_STR(r.err, "cairn: no node named \"n9\" (404 NOT_FOUND)\n");
    result_free(&r);
    fake_stop(f);
}

TEST(connection_errors_and_odd_answers)
{
    /* A port nothing listens on: bind one, note it, close it. */
    int port;
    close(listen_loopback(&port));
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    struct result r = run(NULL, cli_kv_run, ARGS("kv", "get", "k", "--addr", addr));
    CHECK_EQ(r.exit, 1);
    char want[256];
    snprintf(want, sizeof want,
             "cairn: cannot connect to %s: Connection refused (is a node running? start one "
             "with `cairn run`)\n",
             addr);
    CHECK_STR(r.err, want);
    result_free(&r);

    /* Listening but never answering: the timeout. */
    int lfd = listen_loopback(&port);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    r = run(NULL, cli_status_run, ARGS("status", "--addr", addr, "--timeout", "0.2"));
    CHECK_EQ(r.exit, 1);
    snprintf(want, sizeof want, "cairn: no response from %s within 200 ms\n", addr);
    CHECK_STR(r.err, want);
    result_free(&r);
    close(lfd);

    /* A non-JSON error answer is shown as it came. */
    struct fake *f = fake_start();
    r = run(f, cli_kv_run, ARGS("kv", "get", "boom"));
    CHECK_EQ(r.exit, 1);
    CHECK_STR(r.err, "cairn: server answered 500 Internal Server Error: internal oops...\n");
    result_free(&r);
    fake_stop(f);
}

/* Finds member name (a non-negative integer) of obj. */
static uint64_t num(const struct json_value *obj, const char *name)
{
    int64_t v = -1;
    if (json_get_int64(json_object_get(obj, name), &v) != 0 || v < 0) {
        fprintf(stderr, "  no integer \"%s\"\n", name);
        return UINT64_MAX;
    }
    return (uint64_t)v;
}

TEST(bench_counts_what_the_server_saw)
{
    struct fake *f = fake_start();
    f->bench_value_size = 64;
    struct result r =
        run(f, cli_bench_run,
            ARGS("bench", "kv", "--concurrency", "8", "--duration", "1", "--json", "--keys", "100",
                 "--value-size", "64", "--read-ratio", "0.3", "--seed", "42"));
    CHECK_EQ(r.exit, 0);
    struct json_doc doc;
    int parsed = json_parse(&doc, r.out, r.out_len, NULL, NULL);
    if (parsed != 0)
        fprintf(stderr, "  output: %.*s\n  stderr: %s\n", (int)r.out_len, r.out, r.err);
    CHECK_EQ(parsed, 0);
    const struct json_value *root = doc.root;
    const struct json_value *w = json_object_get(root, "writes");
    const struct json_value *rd = json_object_get(root, "reads");
    const struct json_value *by = json_object_get(root, "errors_by_status");
    pthread_mutex_lock(&f->mu);
    uint64_t puts = f->bench_puts, gets = f->bench_gets, e412 = f->bench_412;
    uint64_t bad_len = f->bench_bad_len, accepted = f->accepted;
    pthread_mutex_unlock(&f->mu);
    CHECK(puts > 0 && gets > 0);
    CHECK_EQ(num(w, "ops"), puts);
    CHECK_EQ(num(rd, "ops"), gets);
    CHECK_EQ(num(w, "errors"), e412);
    CHECK_EQ(num(w, "ok"), puts - e412);
    CHECK_EQ(num(rd, "errors"), 0);
    CHECK_EQ(num(by, "412"), e412);
    CHECK_EQ(by->u.obj.n, 1);
    CHECK_EQ(num(root, "ops"), puts + gets);
    CHECK_EQ(num(root, "errors"), e412);
    CHECK_EQ(num(root, "concurrency"), 8);
    CHECK_EQ(num(root, "timeout_errors"), 0);
    CHECK_EQ(num(root, "connect_errors"), 0);
    CHECK_EQ(num(root, "io_errors"), 0);
    CHECK_EQ(num(root, "protocol_errors"), 0);
    CHECK_EQ(bad_len, 0);
    /* Every connection was opened once, plus once more per Connection: close — except that a
     * close during the final drain is not followed by a reconnect, and a reconnect begun just
     * before the end may not have been accepted yet. */
    uint64_t closes = (puts + gets) / FAKE_BENCH_CLOSE_EVERY;
    CHECK(closes > 0);
    CHECK(accepted <= 8 + closes && accepted + 2 >= 8 + closes);
    double p50, p99, mx;
    const struct json_value *lat = json_object_get(w, "latency_ms");
    CHECK_EQ(json_get_double(json_object_get(lat, "p50"), &p50), 0);
    CHECK_EQ(json_get_double(json_object_get(lat, "p99"), &p99), 0);
    CHECK_EQ(json_get_double(json_object_get(lat, "max"), &mx), 0);
    CHECK(p50 > 0 && p50 <= p99 && p99 <= mx);
    json_doc_free(&doc);
    result_free(&r);

    /* The text summary names the same parts. */
    r = run(f, cli_bench_run,
            ARGS("bench", "kv", "--concurrency", "2", "--duration", "0.2", "--value-size", "64"));
    CHECK_EQ(r.exit, 0);
    CHECK(strstr(r.out, "throughput") != NULL);
    CHECK(strstr(r.out, "writes") != NULL && strstr(r.out, "reads") != NULL);
    CHECK(strstr(r.out, "412: ") != NULL);
    result_free(&r);
    fake_stop(f);
}

TEST(bench_without_a_server_counts_connect_errors)
{
    int port;
    close(listen_loopback(&port));
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    struct result r = run(
        NULL, cli_bench_run,
        ARGS("bench", "kv", "--addr", addr, "--concurrency", "4", "--duration", "0.3", "--json"));
    CHECK_EQ(r.exit, 1); /* nothing succeeded */
    CHECK(strstr(r.err, "no request succeeded") != NULL);
    struct json_doc doc;
    CHECK_EQ(json_parse(&doc, r.out, r.out_len, NULL, NULL), 0);
    uint64_t connect_errors = num(doc.root, "connect_errors");
    CHECK(connect_errors >= 4 && connect_errors != UINT64_MAX);
    CHECK_EQ(num(doc.root, "errors"), connect_errors);
    CHECK_EQ(num(doc.root, "ok"), 0);
    json_doc_free(&doc);
    result_free(&r);
}

TEST_MAIN()
