/* `cairn bench kv`: a closed-loop load generator. One epoll loop drives C keep-alive HTTP/1.1
 * connections with non-blocking sockets; each connection has one request in flight at a time and
 * sends the next as soon as the answer arrives. Latencies go into log-bucketed histograms. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/rng.h"
#include "cli/cli_hist.h"
#include "cli/cli_int.h"

#define CLI_BENCH_CONCURRENCY_MAX     10000
#define CLI_BENCH_CONCURRENCY_DEFAULT 32
#define CLI_BENCH_ADDRS_MAX           64
#define CLI_BENCH_DURATION_S_MAX      86400
#define CLI_BENCH_DURATION_S_DEFAULT  10
#define CLI_BENCH_VALUE_BYTES_MAX     (1024 * 1024)
#define CLI_BENCH_VALUE_BYTES_DEFAULT 100
#define CLI_BENCH_KEYS_MAX            1000000000
#define CLI_BENCH_KEYS_DEFAULT        10000
#define CLI_BENCH_TIMEOUT_MS_DEFAULT  10000
/* After a failed connect, a connection waits this long before trying again, so a node that is
 * down is not hammered by C connections in a tight loop. */
#define CLI_BENCH_RECONNECT_BACKOFF_MS 100
/* Time to find which address of a name with several a node listens on. */
#define CLI_BENCH_PROBE_MS 1000
/* Deadlines and backoffs are checked this often. */
#define CLI_BENCH_TIMER_TICK_MS 10
#define CLI_BENCH_EPOLL_EVENTS  256
#define CLI_BENCH_READ_BYTES    65536
/* Random value bytes to pick each value from (at a random offset). */
#define CLI_BENCH_VALUE_POOL_EXTRA_BYTES 4096
/* File descriptors kept free beside the connections (stdio, epoll, resolver). */
#define CLI_BENCH_FD_SLACK 32
/* Status codes are three digits. */
#define CLI_BENCH_STATUS_MAX 1000

static const struct cli_usage bench_usage = {
    "bench",
    "cairn bench kv [--addr HOST:PORT[,HOST:PORT...]] [--concurrency C] [--duration SECONDS]\n"
    "               [--value-size BYTES] [--keys N] [--read-ratio R] [--stale] [--json]",
    "Load-tests the key-value API: C keep-alive connections (spread over the addresses) each\n"
    "send one request at a time, PUT /v1/kv/bench-<n> with a random value or, with probability\n"
    "R, GET /v1/kv/bench-<n>, for a key n chosen uniformly among N. At the end it prints the\n"
    "throughput and the write and read latency percentiles of successful requests, and the\n"
    "errors: every non-2xx answer (404 of a key not written yet, 412, 503 ...), timeout and\n"
    "connection failure counts as one and the run goes on.\n"
    "  --concurrency C     connections (default 32, at most 10000)\n"
    "  --duration SECONDS  how long to send (default 10; Ctrl-C ends it early); requests\n"
    "                      in flight then finish\n"
    "  --value-size BYTES  value length (default 100, at most 1 MiB)\n"
    "  --keys N            key space bench-0 .. bench-<N-1> (default 10000)\n"
    "  --read-ratio R      fraction of GETs, 0..1 (default 0.5)\n"
    "  --stale             GET with ?consistency=stale\n"
    "  --timeout SECONDS   per request (default 10)\n"
    "  --seed N            random seed (default: from the clock)\n"
    "  --json              print the summary as JSON\n",
};

enum { OP_WRITE, OP_READ, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"writes", "reads"};

/* Why a request failed when no HTTP status explains it. */
enum { FAIL_TIMEOUT, FAIL_CONNECT, FAIL_IO, FAIL_PROTOCOL, FAIL_KINDS };
static const char *const fail_names[FAIL_KINDS] = {"timeout", "connect", "io", "protocol"};

enum { ST_IDLE, ST_CONNECTING, ST_SENDING, ST_RECEIVING, ST_BACKOFF, ST_DONE };

struct bench_target {
    struct cli_addr addr;
    struct sockaddr_storage sa;
    socklen_t sa_len;
};

struct bench;

struct bench_conn {
    struct bench *b;
    int fd;           /* -1 when closed */
    int state;        /* ST_* */
    uint32_t watched; /* epoll events registered, 0 if fd is not in the epoll set */
    size_t target;
    int op;
    int reused; /* a response already came over this socket */
    struct buf wbuf;
    size_t woff;
    struct cli_http_parser parser;
    uint64_t start_ns;    /* the request's first byte went out */
    uint64_t deadline_ns; /* of the connect or the request */
    uint64_t retry_ns;    /* ST_BACKOFF: when to start the next request */
};

struct bench_op_stats {
    uint64_t ok;
    uint64_t errors;
    struct cli_hist latency_us; /* successful requests only */
};

struct bench {
    /* configuration */
    struct bench_target targets[CLI_BENCH_ADDRS_MAX];
    size_t n_targets;
    size_t concurrency;
    uint64_t duration_ns;
    size_t value_bytes;
    uint64_t keys;
    double read_ratio;
    uint64_t timeout_ns;
    int stale;
    /* run */
    int epfd;
    struct bench_conn *conns;
    size_t active; /* connections not ST_DONE */
    int stopping;
    struct rng rng;
    uint8_t *values;
    size_t values_len;
    struct buf target_buf;
    uint8_t rbuf[CLI_BENCH_READ_BYTES];
    /* results */
    struct bench_op_stats op[OP_COUNT];
    uint64_t by_status[CLI_BENCH_STATUS_MAX];
    uint64_t by_fail[FAIL_KINDS];
};

/* ---- Connections --------------------------------------------------------------------------- */

static void start_request(struct bench_conn *c, uint64_t now);

static uint64_t done_ops(const struct bench *b)
{
    uint64_t n = 0;
    for (int i = 0; i < OP_COUNT; i++)
        n += b->op[i].ok + b->op[i].errors;
    return n;
}

static uint64_t error_ops(const struct bench *b)
{
    return b->op[OP_WRITE].errors + b->op[OP_READ].errors;
}

/* Registers interest in events (EPOLLIN or EPOLLOUT) for c's socket. */
static void watch(struct bench_conn *c, uint32_t events)
{
    if (c->watched == events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    int op = c->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(c->b->epfd, op, c->fd, &ev) != 0)
        PANIC("epoll_ctl: %s", strerror(errno));
    c->watched = events;
}

static void conn_close(struct bench_conn *c)
{
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->watched = 0;
    c->reused = 0;
}

static void conn_done(struct bench_conn *c)
{
    ASSERT(c->state != ST_DONE && c->b->active > 0);
    conn_close(c);
    c->state = ST_DONE;
    c->b->active--;
}

/* The request failed for a reason of kind `why`: count it, drop the connection, try again later
 * (through the timer, so failures never recurse). */
static void conn_fail(struct bench_conn *c, int why, uint64_t now)
{
    struct bench *b = c->b;
    ASSERT(why >= 0 && why < FAIL_KINDS);
    b->op[c->op].errors++;
    b->by_fail[why]++;
    conn_close(c);
    if (b->stopping) {
        conn_done(c);
        return;
    }
    c->state = ST_BACKOFF;
    c->retry_ns = now + (why == FAIL_CONNECT ? CLI_BENCH_RECONNECT_BACKOFF_MS * 1000000ull : 0);
}

static void conn_complete(struct bench_conn *c, int leftover, uint64_t now)
{
    struct bench *b = c->b;
    const struct cli_http_response *r = &c->parser.resp;
    struct bench_op_stats *st = &b->op[c->op];
    if (r->status / 100 == 2) {
        st->ok++;
        cli_hist_record(&st->latency_us, (now - c->start_ns) / 1000);
    } else {
        st->errors++;
        ASSERT(r->status >= 0 && r->status < CLI_BENCH_STATUS_MAX);
        b->by_status[r->status]++;
    }
    c->reused = 1;
    /* Bytes after the response were never asked for: the framing cannot be trusted. */
    if (!r->keep_alive || leftover)
        conn_close(c);
    if (b->stopping)
        conn_done(c);
    else
        start_request(c, now);
}

static void conn_recv(struct bench_conn *c, uint64_t now)
{
    struct bench *b = c->b;
    for (;;) {
        ssize_t n = recv(c->fd, b->rbuf, sizeof b->rbuf, 0);
        if (n > 0) {
            size_t used;
            int rc = cli_http_parser_feed(&c->parser, b->rbuf, (size_t)n, &used, NULL);
            if (rc == 0) {
                conn_complete(c, used < (size_t)n, now);
                return;
            }
            if (rc != ERR_NEEDMORE) {
                conn_fail(c, FAIL_PROTOCOL, now);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n == 0) {
            if (!cli_http_parser_idle(&c->parser) && cli_http_parser_eof(&c->parser, NULL) == 0) {
                c->parser.resp.keep_alive = 0;
                conn_complete(c, 0, now);
                return;
            }
            conn_fail(c, cli_http_parser_idle(&c->parser) ? FAIL_IO : FAIL_PROTOCOL, now);
            return;
        }
        conn_fail(c, FAIL_IO, now);
        return;
    }
}

static void conn_send(struct bench_conn *c, uint64_t now)
{
    while (c->woff < c->wbuf.len) {
        ssize_t n = send(c->fd, c->wbuf.data + c->woff, c->wbuf.len - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(c, EPOLLOUT);
            return;
        }
        conn_fail(c, FAIL_IO, now);
        return;
    }
    c->state = ST_RECEIVING;
    watch(c, EPOLLIN);
}

static void send_begin(struct bench_conn *c, uint64_t now)
{
    c->state = ST_SENDING;
    c->start_ns = now;
    c->deadline_ns = now + c->b->timeout_ns;
    c->woff = 0;
    cli_http_parser_reset(&c->parser, 0);
    conn_send(c, now);
}

static void conn_connect(struct bench_conn *c, uint64_t now)
{
    const struct bench_target *t = &c->b->targets[c->target];
    c->fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(c, FAIL_CONNECT, now);
        return;
    }
    int one = 1;
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (const struct sockaddr *)&t->sa, t->sa_len) == 0) {
        send_begin(c, now);
        return;
    }
    if (errno != EINPROGRESS) {
        conn_fail(c, FAIL_CONNECT, now);
        return;
    }
    c->state = ST_CONNECTING;
    c->deadline_ns = now + c->b->timeout_ns;
    watch(c, EPOLLOUT);
}

static void conn_connected(struct bench_conn *c, uint64_t now)
{
    int e = 0;
    socklen_t el = sizeof e;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
        e = errno;
    if (e == EINPROGRESS || e == EALREADY)
        return;
    if (e != 0) {
        conn_fail(c, FAIL_CONNECT, now);
        return;
    }
    send_begin(c, now);
}

/* Builds the next request (PUT or GET of a random key) and starts it, connecting first if the
 * connection is closed. */
static void start_request(struct bench_conn *c, uint64_t now)
{
    struct bench *b = c->b;
    ASSERT(!b->stopping);
    uint64_t key = rng_below(&b->rng, b->keys);
    /* A uniform double in [0, 1) from the top 53 bits. */
    double u = (double)(rng_next(&b->rng) >> 11) * 0x1.0p-53;
    c->op = u < b->read_ratio ? OP_READ : OP_WRITE;
    buf_reset(&b->target_buf);
    buf_reset(&c->wbuf);
    int rc = buf_printf(&b->target_buf, "/v1/kv/bench-%" PRIu64 "%s", key,
                        c->op == OP_READ && b->stale ? "?consistency=stale" : "");
    if (rc == 0)
        rc = buf_append_u8(&b->target_buf, 0);
    struct cli_http_header put_hdr = {"Content-Type", "application/octet-stream"};
    struct cli_http_request req = {"GET", (const char *)b->target_buf.data, NULL, 0, NULL, 0};
    if (c->op == OP_WRITE) {
        size_t off = (size_t)rng_below(&b->rng, b->values_len - b->value_bytes + 1);
        req.method = "PUT";
        req.headers = &put_hdr;
        req.n_headers = 1;
        req.body = b->values + off;
        req.body_len = b->value_bytes;
    }
    if (rc == 0)
        rc = cli_http_format_request(&c->wbuf, &b->targets[c->target].addr, &req);
    if (rc != 0)
        PANIC("out of memory building a request");
    if (c->fd >= 0)
        send_begin(c, now);
    else
        conn_connect(c, now);
}

static void on_event(struct bench_conn *c, uint64_t now)
{
    switch (c->state) {
    case ST_CONNECTING:
        conn_connected(c, now);
        break;
    case ST_SENDING:
        conn_send(c, now);
        break;
    case ST_RECEIVING:
        conn_recv(c, now);
        break;
    default:
        break; /* closed earlier in this batch */
    }
}

/* Timeouts, backoffs, and the end of the sending period. */
static void on_tick(struct bench *b, uint64_t now, uint64_t stop_ns)
{
    if (!b->stopping && now >= stop_ns) {
        b->stopping = 1;
        /* Connections with a request on the wire finish it; the others stop here. */
        for (size_t i = 0; i < b->concurrency; i++) {
            struct bench_conn *c = &b->conns[i];
            if (c->state == ST_IDLE || c->state == ST_BACKOFF || c->state == ST_CONNECTING)
                conn_done(c);
        }
    }
    for (size_t i = 0; i < b->concurrency; i++) {
        struct bench_conn *c = &b->conns[i];
        if ((c->state == ST_CONNECTING || c->state == ST_SENDING || c->state == ST_RECEIVING) &&
            now >= c->deadline_ns)
            conn_fail(c, FAIL_TIMEOUT, now);
        else if (c->state == ST_BACKOFF && now >= c->retry_ns)
            start_request(c, now);
    }
}

static void progress(const struct cli_io *io, struct bench *b, uint64_t elapsed_s,
                     uint64_t ops_in_last_s)
{
    fprintf(io->err,
            "\r[%4" PRIu64 "s] %9" PRIu64 " ops/s  %" PRIu64 " ops  %" PRIu64 " errors\033[K",
            elapsed_s, ops_in_last_s, done_ops(b), error_ops(b));
    fflush(io->err);
}

/* Set by the first Ctrl-C: end the run early but still report. The handler resets itself, so a
 * second Ctrl-C kills as usual. */
static volatile sig_atomic_t bench_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    bench_interrupted = 1;
}

/* Runs the load until the duration passed and every request in flight has finished or timed
 * out. Returns the elapsed time in ns. */
static uint64_t bench_loop(const struct cli_io *io, struct bench *b)
{
    struct epoll_event events[CLI_BENCH_EPOLL_EVENTS];
    uint64_t start = clock_mono_ns();
    uint64_t stop_ns = start + b->duration_ns;
    uint64_t next_tick = start, next_progress = start + 1000000000ull, progress_ops = 0;
    int show_progress = io->err_is_tty;
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    bench_interrupted = 0;
    int handled = sigaction(SIGINT, &sa, &old_sa) == 0;
    for (size_t i = 0; i < b->concurrency; i++)
        start_request(&b->conns[i], start);
    /* Ends: after stop_ns no request starts, and every request in flight ends by its deadline. */
    while (b->active > 0) {
        uint64_t now = clock_mono_ns();
        if (bench_interrupted && stop_ns > now) {
            stop_ns = now;
            next_tick = now;
        }
        if (now >= next_tick) {
            on_tick(b, now, stop_ns);
            next_tick = now + CLI_BENCH_TIMER_TICK_MS * 1000000ull;
        }
        if (show_progress && now >= next_progress) {
            uint64_t ops = done_ops(b);
            progress(io, b, (now - start) / 1000000000ull, ops - progress_ops);
            progress_ops = ops;
            next_progress += 1000000000ull;
        }
        if (b->active == 0)
            break;
        /* The end of the sending period is noticed on a tick, within CLI_BENCH_TIMER_TICK_MS. */
        int timeout_ms = next_tick > now ? (int)((next_tick - now + 999999) / 1000000) : 0;
        int n = epoll_wait(b->epfd, events, CLI_BENCH_EPOLL_EVENTS, timeout_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            PANIC("epoll_wait: %s", strerror(errno));
        }
        now = clock_mono_ns();
        for (int i = 0; i < n; i++)
            on_event(events[i].data.ptr, now);
    }
    if (handled)
        sigaction(SIGINT, &old_sa, NULL);
    if (show_progress) {
        fputs("\r\033[K", io->err);
        fflush(io->err);
    }
    return clock_mono_ns() - start;
}

/* ---- Report -------------------------------------------------------------------------------- */

static double us_to_ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void write_op_json(struct json_writer *w, const struct bench_op_stats *st)
{
    const struct cli_hist *h = &st->latency_us;
    json_write_object_begin(w);
    json_write_key(w, "ops");
    json_write_uint64(w, st->ok + st->errors);
    json_write_key(w, "ok");
    json_write_uint64(w, st->ok);
    json_write_key(w, "errors");
    json_write_uint64(w, st->errors);
    json_write_key(w, "latency_ms");
    json_write_object_begin(w);
    static const struct {
        const char *name;
        double pct;
    } pcts[] = {{"p50", 50}, {"p99", 99}, {"p99_9", 99.9}};
    for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        json_write_key(w, pcts[i].name);
        json_write_double(w, us_to_ms(cli_hist_percentile(h, pcts[i].pct)));
    }
    json_write_key(w, "max");
    json_write_double(w, us_to_ms(h->max));
    json_write_key(w, "mean");
    json_write_double(w, cli_hist_mean(h) / 1000.0);
    json_write_object_end(w);
    json_write_object_end(w);
}

static int report_json(const struct cli_io *io, const struct bench *b, double elapsed_s)
{
    struct buf out = BUF_INIT;
    struct json_writer w;
    uint64_t ops = done_ops(b), errors = error_ops(b);
    json_writer_init(&w, &out);
    json_write_object_begin(&w);
    json_write_key(&w, "addrs");
    json_write_array_begin(&w);
    for (size_t i = 0; i < b->n_targets; i++)
        json_write_cstr(&w, b->targets[i].addr.text);
    json_write_array_end(&w);
    json_write_key(&w, "concurrency");
    json_write_uint64(&w, b->concurrency);
    json_write_key(&w, "value_size");
    json_write_uint64(&w, b->value_bytes);
    json_write_key(&w, "keys");
    json_write_uint64(&w, b->keys);
    json_write_key(&w, "read_ratio");
    json_write_double(&w, b->read_ratio);
    json_write_key(&w, "elapsed_s");
    json_write_double(&w, elapsed_s);
    json_write_key(&w, "ops");
    json_write_uint64(&w, ops);
    json_write_key(&w, "ok");
    json_write_uint64(&w, ops - errors);
    json_write_key(&w, "errors");
    json_write_uint64(&w, errors);
    json_write_key(&w, "throughput_ops_s");
    json_write_double(&w, elapsed_s > 0 ? (double)ops / elapsed_s : 0.0);
    json_write_key(&w, "ok_ops_s");
    json_write_double(&w, elapsed_s > 0 ? (double)(ops - errors) / elapsed_s : 0.0);
    for (int i = 0; i < OP_COUNT; i++) {
        json_write_key(&w, op_names[i]);
        write_op_json(&w, &b->op[i]);
    }
    json_write_key(&w, "errors_by_status");
    json_write_object_begin(&w);
    for (int s = 0; s < CLI_BENCH_STATUS_MAX; s++) {
        if (b->by_status[s] == 0)
            continue;
        char name[8];
        snprintf(name, sizeof name, "%d", s);
        json_write_key(&w, name);
        json_write_uint64(&w, b->by_status[s]);
    }
    json_write_object_end(&w);
    for (int k = 0; k < FAIL_KINDS; k++) {
        char name[32];
        snprintf(name, sizeof name, "%s_errors", fail_names[k]);
        json_write_key(&w, name);
        json_write_uint64(&w, b->by_fail[k]);
    }
    json_write_object_end(&w);
    int rc = json_writer_finish(&w);
    if (rc == 0) {
        cli_write(io->out, out.data, out.len);
        fputc('\n', io->out);
    } else {
        cli_errorf(io, "out of memory");
    }
    buf_free(&out);
    return rc;
}

static void report_text(const struct cli_io *io, const struct bench *b, double elapsed_s)
{
    FILE *f = io->out;
    uint64_t ops = done_ops(b), errors = error_ops(b);
    fprintf(f, "cairn bench kv: %zu connections to", b->concurrency);
    for (size_t i = 0; i < b->n_targets; i++)
        fprintf(f, "%s%s", i ? "," : " ", b->targets[i].addr.text);
    fprintf(f, ", %zu-byte values, %" PRIu64 " keys, read ratio %.2f\n", b->value_bytes, b->keys,
            b->read_ratio);
    fprintf(f, "ops         %" PRIu64 " (%" PRIu64 " ok, %" PRIu64 " errors) in %.2f s\n", ops,
            ops - errors, errors, elapsed_s);
    fprintf(f, "throughput  %.0f ops/s (%.0f ok/s)\n",
            elapsed_s > 0 ? (double)ops / elapsed_s : 0.0,
            elapsed_s > 0 ? (double)(ops - errors) / elapsed_s : 0.0);
    fprintf(f, "latency of successful requests, ms:\n");
    fprintf(f, "            %10s %10s %10s %10s %10s %10s\n", "ok", "p50", "p99", "p99.9", "max",
            "mean");
    for (int i = 0; i < OP_COUNT; i++) {
        const struct cli_hist *h = &b->op[i].latency_us;
        fprintf(f, "  %-9s %10" PRIu64 " %10.3f %10.3f %10.3f %10.3f %10.3f\n", op_names[i],
                b->op[i].ok, us_to_ms(cli_hist_percentile(h, 50)),
                us_to_ms(cli_hist_percentile(h, 99)), us_to_ms(cli_hist_percentile(h, 99.9)),
                us_to_ms(h->max), cli_hist_mean(h) / 1000.0);
    }
    fprintf(f, "errors      %s", errors == 0 ? "none" : "");
    const char *sep = "";
    for (int s = 0; s < CLI_BENCH_STATUS_MAX; s++) {
        if (b->by_status[s]) {
            fprintf(f, "%s%d: %" PRIu64, sep, s, b->by_status[s]);
            sep = ", ";
        }
    }
    for (int k = 0; k < FAIL_KINDS; k++) {
        if (b->by_fail[k]) {
            fprintf(f, "%s%s: %" PRIu64, sep, fail_names[k], b->by_fail[k]);
            sep = ", ";
        }
    }
    fprintf(f, "\n");
}

/* ---- Setup --------------------------------------------------------------------------------- */

static int parse_targets(const struct cli_io *io, struct bench *b, const char *list)
{
    const char *p = list;
    /* Bounded by CLI_BENCH_ADDRS_MAX items. */
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (b->n_targets == CLI_BENCH_ADDRS_MAX)
            return cli_usage_error(io, &bench_usage, "at most %d addresses", CLI_BENCH_ADDRS_MAX);
        char one[CLI_ADDR_TEXT_BYTES_MAX];
        if (n >= sizeof one)
            return cli_usage_error(io, &bench_usage, "address too long: %.*s", (int)n, p);
        memcpy(one, p, n);
        one[n] = '\0';
        struct errbuf eb;
        if (cli_addr_parse(one, &b->targets[b->n_targets].addr, &eb) != 0)
            return cli_usage_error(io, &bench_usage, "%s", eb.msg);
        b->n_targets++;
        if (e == NULL)
            return 0;
        p = e + 1;
    }
}

/* Makes room for the connections in the open-file limit. */
static int raise_fd_limit(const struct cli_io *io, size_t conns)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)(conns + CLI_BENCH_FD_SLACK);
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        cli_errorf(io, "--concurrency %zu needs %llu open files but the limit is %llu (ulimit -n)",
                   conns, (unsigned long long)need, (unsigned long long)rl.rlim_max);
        return CLI_EXIT_FAIL;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        cli_errorf(io, "cannot raise the open-file limit to %llu: %s", (unsigned long long)need,
                   strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return 0;
}

static void bench_free(struct bench *b)
{
    if (b->conns != NULL) {
        for (size_t i = 0; i < b->concurrency; i++) {
            conn_close(&b->conns[i]);
            buf_free(&b->conns[i].wbuf);
            cli_http_parser_free(&b->conns[i].parser);
        }
        free(b->conns);
    }
    if (b->epfd >= 0)
        close(b->epfd);
    free(b->values);
    buf_free(&b->target_buf);
    free(b);
}

static int bench_kv(const struct cli_io *io, int argc, char **argv)
{
    struct cli_common com = {0};
    const char *conc = NULL, *dur = NULL, *vsize = NULL, *keys = NULL, *ratio = NULL;
    const char *seed_text = NULL, *timeout = NULL;
    int stale = 0;
    const struct cli_opt opts[] = {
        {"addr", "HOST:PORT[,...]", &com.addr_text, NULL},
        {"json", NULL, NULL, &com.json},
        {"concurrency", "C", &conc, NULL},
        {"duration", "SECONDS", &dur, NULL},
        {"value-size", "BYTES", &vsize, NULL},
        {"keys", "N", &keys, NULL},
        {"read-ratio", "R", &ratio, NULL},
        {"stale", NULL, NULL, &stale},
        {"timeout", "SECONDS", &timeout, NULL},
        {"seed", "N", &seed_text, NULL},
    };
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &bench_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                           0, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;

    struct bench *b = calloc(1, sizeof *b);
    if (b == NULL) {
        cli_errorf(io, "out of memory");
        return CLI_EXIT_FAIL;
    }
    b->epfd = -1;
    int ex = CLI_EXIT_USAGE;
    uint64_t u;
    double d;
    b->concurrency = CLI_BENCH_CONCURRENCY_DEFAULT;
    b->duration_ns = CLI_BENCH_DURATION_S_DEFAULT * 1000000000ull;
    b->value_bytes = CLI_BENCH_VALUE_BYTES_DEFAULT;
    b->keys = CLI_BENCH_KEYS_DEFAULT;
    b->read_ratio = 0.5;
    b->timeout_ns = CLI_BENCH_TIMEOUT_MS_DEFAULT * 1000000ull;
    b->stale = stale;
    uint64_t seed = clock_wall_ms() ^ clock_mono_ns() ^ ((uint64_t)getpid() << 32);
    if (conc != NULL) {
        if (cli_parse_u64(conc, 1, CLI_BENCH_CONCURRENCY_MAX, &u) != 0) {
            cli_usage_error(io, &bench_usage, "--concurrency must be 1..%d, not \"%s\"",
                            CLI_BENCH_CONCURRENCY_MAX, conc);
            goto out;
        }
        b->concurrency = (size_t)u;
    }
    if (dur != NULL) {
        if (cli_parse_double(dur, 0.001, CLI_BENCH_DURATION_S_MAX, &d) != 0) {
            cli_usage_error(io, &bench_usage, "--duration must be seconds in 0.001..%d, not \"%s\"",
                            CLI_BENCH_DURATION_S_MAX, dur);
            goto out;
        }
        b->duration_ns = (uint64_t)llround(d * 1e9);
    }
    if (vsize != NULL) {
        if (cli_parse_u64(vsize, 0, CLI_BENCH_VALUE_BYTES_MAX, &u) != 0) {
            cli_usage_error(io, &bench_usage, "--value-size must be 0..%d bytes, not \"%s\"",
                            CLI_BENCH_VALUE_BYTES_MAX, vsize);
            goto out;
        }
        b->value_bytes = (size_t)u;
    }
    if (keys != NULL) {
        if (cli_parse_u64(keys, 1, CLI_BENCH_KEYS_MAX, &u) != 0) {
            cli_usage_error(io, &bench_usage, "--keys must be 1..%d, not \"%s\"",
                            CLI_BENCH_KEYS_MAX, keys);
            goto out;
        }
        b->keys = u;
    }
    if (ratio != NULL && cli_parse_double(ratio, 0, 1, &b->read_ratio) != 0) {
        cli_usage_error(io, &bench_usage, "--read-ratio must be 0..1, not \"%s\"", ratio);
        goto out;
    }
    if (timeout != NULL) {
        if (cli_parse_double(timeout, 0.001, CLI_TIMEOUT_S_MAX, &d) != 0) {
            cli_usage_error(io, &bench_usage, "--timeout must be seconds in 0.001..%d, not \"%s\"",
                            CLI_TIMEOUT_S_MAX, timeout);
            goto out;
        }
        b->timeout_ns = (uint64_t)llround(d * 1e9);
    }
    if (seed_text != NULL && cli_parse_u64(seed_text, 0, UINT64_MAX, &seed) != 0) {
        cli_usage_error(io, &bench_usage, "--seed must be a number, not \"%s\"", seed_text);
        goto out;
    }
    const char *addrs = com.addr_text;
    if (addrs == NULL)
        addrs = io->default_addr != NULL ? io->default_addr : CLI_ADDR_DEFAULT;
    if (parse_targets(io, b, addrs) != 0)
        goto out;

    ex = CLI_EXIT_FAIL;
    for (size_t i = 0; i < b->n_targets; i++) {
        struct errbuf eb;
        struct bench_target *t = &b->targets[i];
        if (cli_addr_resolve(&t->addr, CLI_BENCH_PROBE_MS, &t->sa, &t->sa_len, &eb) != 0) {
            cli_errorf(io, "%s", eb.msg);
            goto out;
        }
    }
    if (raise_fd_limit(io, b->concurrency) != 0)
        goto out;
    rng_seed(&b->rng, seed);
    b->values_len = b->value_bytes + CLI_BENCH_VALUE_POOL_EXTRA_BYTES;
    b->values = malloc(b->values_len);
    b->conns = calloc(b->concurrency, sizeof *b->conns);
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->values == NULL || b->conns == NULL || b->epfd < 0) {
        cli_errorf(io, "cannot set up: %s", b->epfd < 0 ? strerror(errno) : "out of memory");
        goto out;
    }
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (size_t i = 0; i < b->values_len; i++)
        b->values[i] = (uint8_t)alnum[rng_below(&b->rng, sizeof alnum - 1)];
    for (int i = 0; i < OP_COUNT; i++)
        cli_hist_init(&b->op[i].latency_us);
    for (size_t i = 0; i < b->concurrency; i++) {
        struct bench_conn *c = &b->conns[i];
        c->b = b;
        c->fd = -1;
        c->state = ST_IDLE;
        c->target = i % b->n_targets;
        cli_http_parser_init(&c->parser, 0, 1);
    }
    b->active = b->concurrency;

    double elapsed_s = (double)bench_loop(io, b) / 1e9;
    ASSERT(b->active == 0);
    uint64_t fails = 0;
    for (int k = 0; k < FAIL_KINDS; k++)
        fails += b->by_fail[k];
    for (int s = 0; s < CLI_BENCH_STATUS_MAX; s++)
        fails += b->by_status[s];
    ASSERT(fails == error_ops(b));

    if (com.json) {
        if (report_json(io, b, elapsed_s) != 0)
            goto out;
    } else {
        report_text(io, b, elapsed_s);
    }
    ex = cli_finish_output(io);
    if (ex == CLI_EXIT_OK && done_ops(b) == error_ops(b)) {
        cli_errorf(io, "no request succeeded");
        ex = CLI_EXIT_FAIL;
    }
out:
    bench_free(b);
    return ex;
}

int cli_bench_run(const struct cli_io *io, int argc, char **argv)
{
    ASSERT(argc >= 1);
    if (argc < 2)
        return cli_usage_error(io, &bench_usage, "expected a workload: kv");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        cli_usage_print(io->out, &bench_usage);
        return CLI_EXIT_OK;
    }
    if (strcmp(sub, "kv") == 0)
        return bench_kv(io, argc - 1, argv + 1);
    return cli_usage_error(io, &bench_usage, "unknown workload \"%s\" (try kv)", sub);
}
