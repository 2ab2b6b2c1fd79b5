/* The PostgreSQL protocol server on libuv: accepts connections, feeds each one's bytes to its
 * session (pg_session.c) and writes what the session produces, with bounds on connections,
 * startup time, idle time and buffered input/output, and the cancel-key lookup.
 *
 * Lifetimes. A connection (struct pg_sconn, whose first member is its session) is freed only
 * when both its handles are closed and its session released it (the backend finished every
 * request and got close) — never while a callback of ours is on the stack. The server is
 * freed once the owner gave it up, the listener is closed and no connection is left. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/net_listen.h"
#include "proto/pg/pg_int.h"

#define PG_READ_CHUNK_BYTES (64 * 1024)
/* A closing connection's last output (e.g. a FATAL) gets this long to reach the client. */
#define PG_FINISH_FLUSH_MS 10000
/* Process ids stay in the positive int32 range, as PostgreSQL's. */
#define PG_PID_MAX                  0x7fffffffu
#define PG_SERVER_VERSION_BYTES_MAX 64

struct pg_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    struct pg_backend be;
    struct pg_session_config scfg;
    char server_version[PG_SERVER_VERSION_BYTES_MAX];
    unsigned connections_max;
    uint64_t startup_timeout_ms;
    uint64_t idle_session_timeout_ms;
    uint64_t idle_in_transaction_timeout_ms;
    int port;
    int listening;       /* listener open, uv_close not yet called */
    int listener_closed; /* listener's close callback ran */
    int stopped;
    int released; /* pg_server_close was called */
    struct pg_sconn *conns;
    size_t n_conns;
    uint32_t next_pid;
    struct pg_server_stats st;
    /* Reads land here and are copied into the session, so one buffer serves all. */
    char rbuf[PG_READ_CHUNK_BYTES];
};

struct pg_sconn {
    struct pg_conn s; /* first: the session's io callbacks cast back */
    uv_tcp_t tcp;
    uv_timer_t timer;  /* startup, then idle timeouts; the flush and linger deadline */
    uv_timer_t resume; /* io->defer */
    uv_shutdown_t shutdown_req;
    struct pg_server *srv;
    struct pg_sconn *prev, *next;
    int handles_open;
    int closing;   /* uv_close called */
    int finishing; /* the session ended: flushing, then draining input until close */
    int reading;
    int eof;
    int released; /* the session will not touch it again */
    int rejected; /* over connections_max */
};

struct pg_write {
    uv_write_t req;
    struct pg_sconn *sc;
    uint8_t *data;
    size_t len;
};

static struct pg_sconn *sconn(const struct pg_conn *c)
{
    return (struct pg_sconn *)c;
}

/* ---- Lifetimes ---- */

static void server_maybe_free(struct pg_server *s)
{
    if (s->released && s->listener_closed && s->conns == NULL)
        free(s);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct pg_server *s = h->data;
    s->listener_closed = 1;
    server_maybe_free(s);
}

static void sconn_maybe_free(struct pg_sconn *sc)
{
    if (sc->handles_open > 0 || !sc->released)
        return;
    struct pg_server *s = sc->srv;
    if (sc->prev != NULL)
        sc->prev->next = sc->next;
    else
        s->conns = sc->next;
    if (sc->next != NULL)
        sc->next->prev = sc->prev;
    s->n_conns--;
    if (!sc->rejected)
        s->st.connections_open--;
    pg_session_free(&sc->s);
    free(sc);
    server_maybe_free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct pg_sconn *sc = h->data;
    ASSERT(sc->handles_open > 0);
    sc->handles_open--;
    sconn_maybe_free(sc);
}

/* Closes at once: pending writes are cancelled and the session ends (a request with the
 * backend is cancelled; the memory waits for it). */
static void conn_close(struct pg_sconn *sc)
{
    if (sc->closing)
        return;
    sc->closing = 1;
    uv_close((uv_handle_t *)&sc->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&sc->timer, on_handle_closed);
    uv_close((uv_handle_t *)&sc->resume, on_handle_closed);
    pg_session_end(&sc->s);
}

static void on_linger_timer(uv_timer_t *t)
{
    conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct pg_sconn *sc = req->data;
    if (sc->closing)
        return;
    if (status < 0 || sc->eof) {
        conn_close(sc);
        return;
    }
    /* Our FIN is out. Drain what the client still sends for a while, so the kernel does not
     * answer it with a reset that could destroy the last message before the client reads it. */
    uv_timer_start(&sc->timer, on_linger_timer, PG_LINGER_MS, 0);
}

/* ---- Reading and writing ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct pg_sconn *sc = h->data;
    *b = uv_buf_init(sc->srv->rbuf, sizeof sc->srv->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b);

static void set_reading(struct pg_sconn *sc, int want)
{
    if (sc->closing || sc->eof || want == sc->reading)
        return;
    if (want) {
        if (uv_read_start((uv_stream_t *)&sc->tcp, on_alloc, on_read) != 0) {
            conn_close(sc);
            return;
        }
    } else {
        uv_read_stop((uv_stream_t *)&sc->tcp);
    }
    sc->reading = want;
}

static void on_write(uv_write_t *req, int status)
{
    struct pg_write *w = req->data;
    struct pg_sconn *sc = w->sc;
    if (status == 0)
        sc->srv->st.bytes_out += w->len;
    free(w->data);
    free(w);
    if (sc->closing)
        return;
    if (status < 0) {
        LOGD("pg", "write to %s failed: %s", sc->s.peer, uv_strerror(status));
        conn_close(sc);
        return;
    }
    if (!sc->finishing)
        pg_session_drained(&sc->s);
}

static void on_resume(uv_timer_t *t);

/* Hands the session's output to the socket. Most of it is written at once (uv_try_write), and
 * the buffer stays the session's for the next turn: no request, no completion callback, and
 * no change to the poll set — libuv re-arms the descriptor after every completed uv_write, a
 * system call per answer. What the socket does not take goes by uv_write, which takes the
 * buffer's memory; the write queue keeps the order (uv_try_write refuses while it is not
 * empty). A large write done at once still tells the session, on the next turn, as a
 * completion would: it may have stopped for that output (PG_CONN_OUTPUT_BYTES_HIGH). */
static void write_out(struct pg_sconn *sc)
{
    struct buf *out = &sc->s.out;
    if (out->len == 0)
        return;
    uv_buf_t b = uv_buf_init((char *)out->data, (unsigned)out->len);
    int n = uv_try_write((uv_stream_t *)&sc->tcp, &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        LOGD("pg", "write to %s failed: %s", sc->s.peer, uv_strerror(n));
        out->len = 0;
        conn_close(sc);
        return;
    }
    size_t sent = n > 0 ? (size_t)n : 0;
    sc->srv->st.bytes_out += sent;
    if (sent == out->len) {
        out->len = 0;
        if (sent > PG_CONN_OUTPUT_FLUSH_BYTES)
            uv_timer_start(&sc->resume, on_resume, 0, 0);
        if (out->cap > PG_CONN_OUTPUT_FLUSH_BYTES)
            buf_free(out); /* a large answer's memory is not kept */
        return;
    }
    struct pg_write *w = malloc(sizeof *w);
    if (w == NULL) {
        out->len = 0;
        conn_close(sc);
        return;
    }
    w->sc = sc;
    w->data = out->data;
    w->len = out->len - sent;
    w->req.data = w;
    out->data = NULL;
    out->len = out->cap = 0;
    b = uv_buf_init((char *)w->data + sent, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&sc->tcp, &b, 1, on_write) != 0) {
        /* If uv_write fails its callback never runs. */
        free(w->data);
        free(w);
        conn_close(sc);
    }
}

static void on_idle_timer(uv_timer_t *t)
{
    struct pg_sconn *sc = t->data;
    if (!sc->closing && !sc->finishing)
        pg_session_timeout(&sc->s, 0);
}

static void on_startup_timer(uv_timer_t *t)
{
    struct pg_sconn *sc = t->data;
    if (!sc->closing && !sc->finishing)
        pg_session_timeout(&sc->s, 1);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct pg_sconn *sc = st->data;
    if (sc->closing)
        return;
    if (nread > 0) {
        sc->srv->st.bytes_in += (uint64_t)nread;
        if (sc->finishing)
            return; /* draining before close */
        pg_session_input(&sc->s, b->base, (size_t)nread);
        return;
    }
    if (nread == 0)
        return;
    if (nread == UV_EOF) {
        uv_read_stop(st);
        sc->reading = 0;
        sc->eof = 1;
        if (sc->finishing) {
            conn_close(sc);
            return;
        }
        pg_session_eof(&sc->s);
        return;
    }
    LOGD("pg", "read from %s failed: %s", sc->s.peer, uv_strerror((int)nread));
    conn_close(sc);
}

/* ---- The session's transport (struct pg_io) ---- */

static void io_kick(struct pg_conn *c)
{
    struct pg_sconn *sc = sconn(c);
    if (sc->closing) {
        c->out.len = 0;
        return;
    }
    write_out(sc);
    if (sc->closing || sc->finishing)
        return;
    set_reading(sc, pg_session_read_wanted(c));
    if (!pg_session_ready(c))
        return; /* the startup timer runs from accept */
    struct pg_server *s = sc->srv;
    int idle = pg_session_idle(c);
    uint64_t ms = idle == PG_TXN_IDLE ? s->idle_session_timeout_ms
                  : idle              ? s->idle_in_transaction_timeout_ms
                                      : 0;
    /* Restarted at every turn: the timeout counts from the session's last activity. */
    if (ms > 0)
        uv_timer_start(&sc->timer, on_idle_timer, ms, 0);
    else
        uv_timer_stop(&sc->timer);
}

/* The session's deferred turn (io_defer), and the news of a large write done at once
 * (write_out): drained goes on as resume does, first telling a backend that waits for output
 * to drain. */
static void on_resume(uv_timer_t *t)
{
    struct pg_sconn *sc = t->data;
    if (!sc->closing)
        pg_session_drained(&sc->s);
}

static void io_defer(struct pg_conn *c)
{
    struct pg_sconn *sc = sconn(c);
    if (!sc->closing)
        uv_timer_start(&sc->resume, on_resume, 0, 0);
}

static size_t io_unsent(const struct pg_conn *c)
{
    const struct pg_sconn *sc = sconn(c);
    return sc->closing ? 0 : uv_stream_get_write_queue_size((const uv_stream_t *)&sc->tcp);
}

static void io_finish(struct pg_conn *c)
{
    struct pg_sconn *sc = sconn(c);
    if (sc->closing || sc->finishing)
        return;
    write_out(sc);
    if (sc->closing)
        return;
    sc->finishing = 1;
    uv_timer_stop(&sc->resume);
    sc->shutdown_req.data = sc;
    if (uv_shutdown(&sc->shutdown_req, (uv_stream_t *)&sc->tcp, on_shutdown) != 0) {
        conn_close(sc);
        return;
    }
    /* Bounds the wait for a client that does not read. */
    uv_timer_start(&sc->timer, on_linger_timer, PG_FINISH_FLUSH_MS, 0);
    set_reading(sc, 1);
}

static void io_cancel(struct pg_conn *c, uint32_t pid, uint32_t secret)
{
    struct pg_sconn *self = sconn(c);
    for (struct pg_sconn *o = self->srv->conns; o != NULL; o = o->next) {
        if (o == self || o->closing || !pg_session_ready(&o->s) || o->s.pid != pid)
            continue;
        /* Compare the whole key regardless of where it differs. */
        if ((o->s.secret ^ secret) == 0) {
            pg_session_cancel(&o->s);
        } else {
            LOGD("pg", "CancelRequest from %s for pid %u with a wrong key", c->peer, pid);
        }
        return;
    }
}

static void io_release(struct pg_conn *c)
{
    struct pg_sconn *sc = sconn(c);
    sc->released = 1;
    sconn_maybe_free(sc);
}

static const struct pg_io server_io = {
    .kick = io_kick,
    .defer = io_defer,
    .unsent = io_unsent,
    .finish = io_finish,
    .cancel = io_cancel,
    .release = io_release,
};

/* ---- Accepting ---- */

static void format_peer(uv_tcp_t *tcp, char *out, size_t n)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    out[0] = '\0';
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        uv_ip4_name(a, host, sizeof host);
        snprintf(out, n, "%s:%u", host, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, host, sizeof host);
        snprintf(out, n, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
    }
}

/* A process id no open session uses. */
static uint32_t next_pid(struct pg_server *s)
{
    for (size_t tries = 0; tries <= s->n_conns; tries++) {
        s->next_pid = s->next_pid >= PG_PID_MAX ? 1 : s->next_pid + 1;
        int used = 0;
        for (struct pg_sconn *o = s->conns; o != NULL && !used; o = o->next)
            used = o->s.pid == s->next_pid;
        if (!used)
            return s->next_pid;
    }
    PANIC("no free pg process id among %zu connections", s->n_conns);
}

/* The cancel key must not be guessable from other sessions' keys. */
static uint32_t random_secret(void)
{
    uint32_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
        return v;
    LOGW("pg", "getrandom failed (%s): cancel keys fall back to the clock", strerror(errno));
    uint64_t t = clock_mono_ns() * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(t >> 32) ^ (uint32_t)t;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct pg_server *s = listener->data;
    if (status < 0) {
        LOGW("pg", "accept failed: %s", uv_strerror(status));
        return;
    }
    struct pg_sconn *sc = calloc(1, sizeof *sc);
    if (sc == NULL) {
        LOGW("pg", "out of memory accepting a connection");
        return;
    }
    sc->srv = s;
    uv_tcp_init(s->loop, &sc->tcp);
    uv_timer_init(s->loop, &sc->timer);
    uv_timer_init(s->loop, &sc->resume);
    sc->tcp.data = sc;
    sc->timer.data = sc;
    sc->resume.data = sc;
    sc->handles_open = 3;
    struct pg_session_config scfg = s->scfg;
    if (s->st.connections_open >= s->connections_max) {
        sc->rejected = 1;
        scfg.reject_too_many = 1;
        s->st.connections_rejected++;
    } else {
        s->st.connections_open++;
    }
    s->st.connections_total++;
    int accepted = uv_accept(listener, (uv_stream_t *)&sc->tcp) == 0;
    char peer[PG_PEER_BYTES_MAX] = "";
    if (accepted) {
        uv_tcp_nodelay(&sc->tcp, 1);
        format_peer(&sc->tcp, peer, sizeof peer);
    }
    pg_session_init(&sc->s, &s->be, &server_io, &scfg, &s->st, next_pid(s), random_secret(), peer);
    sc->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = sc;
    s->conns = sc;
    s->n_conns++;
    if (!accepted ||
        (sc->rejected && s->n_conns > (size_t)s->connections_max + PG_CONN_REJECT_SLACK)) {
        conn_close(sc);
        return;
    }
    uv_timer_start(&sc->timer, on_startup_timer, s->startup_timeout_ms, 0);
    set_reading(sc, 1);
}

/* Binds with plain sockets first, so that the usual failures (address in use, permission)
 * happen before any libuv handle exists and need no close callback. */
int pg_server_start(uv_loop_t *loop, const char *host, int port, const struct pg_server_config *cfg,
                    const struct pg_backend *be, struct pg_server **out, struct errbuf *eb)
{
    ASSERT(loop != NULL && be != NULL && out != NULL);
    if (host == NULL || port < 0 || port > 65535)
        return err_set(eb, ERR_INVAL, "invalid listen address");
    if (!be->startup || !be->query || !be->prepare || !be->execute || !be->close)
        return err_set(eb, ERR_INVAL, "the pg backend lacks a required callback");
    size_t msg_max =
        cfg && cfg->message_bytes_max ? cfg->message_bytes_max : PG_MESSAGE_BYTES_MAX_DEFAULT;
    if (msg_max < PG_MESSAGE_BYTES_MAX_MIN || msg_max > PG_MESSAGE_BYTES_MAX_CEILING)
        return err_set(eb, ERR_INVAL, "message_bytes_max %zu is outside [%u, %u]", msg_max,
                       PG_MESSAGE_BYTES_MAX_MIN, PG_MESSAGE_BYTES_MAX_CEILING);
    const char *version = cfg && cfg->server_version ? cfg->server_version : PG_SERVER_VERSION;
    if (strlen(version) >= PG_SERVER_VERSION_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "server_version is longer than %d bytes",
                       PG_SERVER_VERSION_BYTES_MAX - 1);
    int fd = -1;
    int rc = net_listen_socket(host, port, &fd, eb);
    if (rc != 0)
        return rc;
    struct pg_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        close(fd);
        return err_set(eb, ERR_NOMEM, "out of memory");
    }
    s->loop = loop;
    s->be = *be;
    snprintf(s->server_version, sizeof s->server_version, "%s", version);
    s->scfg.message_bytes_max = msg_max;
    s->scfg.server_version = s->server_version;
    s->connections_max =
        cfg && cfg->connections_max ? cfg->connections_max : PG_CONNECTIONS_MAX_DEFAULT;
    s->startup_timeout_ms =
        cfg && cfg->startup_timeout_ms ? cfg->startup_timeout_ms : PG_STARTUP_TIMEOUT_MS_DEFAULT;
    s->idle_session_timeout_ms = cfg ? cfg->idle_session_timeout_ms : 0;
    s->idle_in_transaction_timeout_ms = cfg ? cfg->idle_in_transaction_timeout_ms : 0;
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
    LOGI("pg", "listening on %s:%d", host, s->port);
    *out = s;
    return 0;
}

int pg_server_port(const struct pg_server *s)
{
    return s->port;
}

void pg_server_stats(const struct pg_server *s, struct pg_server_stats *out)
{
    *out = s->st;
}

void pg_server_stop(struct pg_server *s)
{
    if (s->stopped)
        return;
    s->stopped = 1;
    if (s->listening) {
        s->listening = 0;
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    }
    /* conn_close frees nothing synchronously (handles close later), so the walk is safe. */
    for (struct pg_sconn *sc = s->conns; sc != NULL; sc = sc->next)
        conn_close(sc);
}

void pg_server_close(struct pg_server *s)
{
    pg_server_stop(s);
    s->released = 1;
    server_maybe_free(s);
}
