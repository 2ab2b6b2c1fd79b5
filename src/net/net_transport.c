/* The peer transport on libuv: a listener, outgoing connections with a
 * handshake and backoff, per-connection write queues flushed once per loop
 * iteration, RPC calls with timeouts, and responders that outlive their
 * connection. See net.h for the contract. */
#include "net/net.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"

#define NET_LOG                  "net"
#define NET_HOUSEKEEPING_MS      100u /* how often handshake deadlines are checked */
#define NET_LISTEN_BACKLOG       128
#define NET_KEEPALIVE_DELAY_S    10u
#define NET_WRITE_BUF_KEEP_BYTES (1u << 20)   /* larger write buffers are freed once drained */
#define NET_QUEUE_BYTES_LIMIT    (1ull << 30) /* the most queue_bytes_max may be set to */
#define NET_CONN_NAME_BYTES      400
#define NET_REMOTE_NAME_BYTES    64

/* Frames queued for a peer before its handshake is done are encoded in the
 * newest version. While only one version exists that is always the agreed
 * one; a second version must re-encode those frames once it is agreed. */
_Static_assert(NET_PROTO_VERSION_MIN == NET_PROTO_VERSION_MAX,
               "re-encode frames queued before the handshake (see above)");

/* ---- Intrusive lists and a u64-keyed hash --------------------------------------- */

struct net_link {
    struct net_link *prev, *next;
};

#define NET_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static void net_list_init(struct net_link *h)
{
    h->prev = h->next = h;
}

static bool net_list_empty(const struct net_link *h)
{
    return h->next == h;
}

static void net_list_push(struct net_link *h, struct net_link *e)
{
    e->prev = h->prev;
    e->next = h;
    h->prev->next = e;
    h->prev = e;
}

static void net_list_remove(struct net_link *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = e;
}

struct net_hnode {
    struct net_hnode *next;
    uint64_t key;
};

struct net_htab {
    struct net_hnode **slots;
    size_t n_slots; /* a power of two, or 0 before the first insert */
    size_t n;
};

static size_t net_hslot(size_t n_slots, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (n_slots - 1);
}

static struct net_hnode *net_hfind(const struct net_htab *h, uint64_t key)
{
    if (h->n_slots == 0)
        return NULL;
    for (struct net_hnode *n = h->slots[net_hslot(h->n_slots, key)]; n != NULL; n = n->next)
        if (n->key == key)
            return n;
    return NULL;
}

static int net_hinsert(struct net_htab *h, struct net_hnode *node)
{
    ASSERT(net_hfind(h, node->key) == NULL);
    if (h->n >= h->n_slots) {
        size_t ns = h->n_slots ? h->n_slots * 2 : 16;
        struct net_hnode **slots = calloc(ns, sizeof *slots);
        if (slots == NULL)
            return ERR_NOMEM;
        for (size_t i = 0; i < h->n_slots; i++) {
            while (h->slots[i] != NULL) {
                struct net_hnode *n = h->slots[i];
                h->slots[i] = n->next;
                size_t s = net_hslot(ns, n->key);
                n->next = slots[s];
                slots[s] = n;
            }
        }
        free(h->slots);
        h->slots = slots;
        h->n_slots = ns;
    }
    size_t s = net_hslot(h->n_slots, node->key);
    node->next = h->slots[s];
    h->slots[s] = node;
    h->n++;
    return 0;
}

static void net_hremove(struct net_htab *h, struct net_hnode *node)
{
    struct net_hnode **pp = &h->slots[net_hslot(h->n_slots, node->key)];
    while (*pp != node) {
        ASSERT(*pp != NULL);
        pp = &(*pp)->next;
    }
    *pp = node->next;
    node->next = NULL;
    h->n--;
}

/* Any one node, or NULL when empty: for tearing a table down. */
static struct net_hnode *net_hany(const struct net_htab *h)
{
    for (size_t i = 0; i < h->n_slots && h->n > 0; i++)
        if (h->slots[i] != NULL)
            return h->slots[i];
    return NULL;
}

/* ---- Objects ------------------------------------------------------------------------ */

/* Connection states: X(NAME, "name", states it may move to). */
#define NET_CONN_STATES(X)                                                                         \
    X(RESOLVING, "resolving", NET_BIT(CONNECTING) | NET_BIT(CLOSED))                               \
    X(CONNECTING, "connecting", NET_BIT(HELLO_SENT) | NET_BIT(CLOSED))                             \
    X(HELLO_SENT, "awaiting the peer's hello", NET_BIT(READY) | NET_BIT(CLOSED))                   \
    X(AWAIT_HELLO, "awaiting hello", NET_BIT(READY) | NET_BIT(CLOSED))                             \
    X(READY, "ready", NET_BIT(CLOSED))                                                             \
    X(CLOSED, "closed", 0u)

enum net_conn_state {
#define NET_CONN_STATE_ENUM(name, str, next) NET_CONN_##name,
    NET_CONN_STATES(NET_CONN_STATE_ENUM)
#undef NET_CONN_STATE_ENUM
};

#define NET_BIT(state) (1u << NET_CONN_##state)
static const unsigned net_conn_next[] = {
#define NET_CONN_STATE_NEXT(name, str, next) next,
    NET_CONN_STATES(NET_CONN_STATE_NEXT)
#undef NET_CONN_STATE_NEXT
};
#undef NET_BIT

static const char *const net_conn_state_names[] = {
#define NET_CONN_STATE_NAME(name, str, next) str,
    NET_CONN_STATES(NET_CONN_STATE_NAME)
#undef NET_CONN_STATE_NAME
};

struct net_peer;
struct net_resolve;

struct net_conn {
    struct net_transport *t;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    struct net_resolve *resolve; /* getaddrinfo in flight, or NULL */
    enum net_conn_state state;
    bool outbound;
    bool member;  /* inbound: the dialer presented our cluster id */
    bool writing; /* write_req is in flight with wflight */
    bool dirty;   /* on t->dirty */
    uint16_t version;
    uint64_t node;         /* outbound: the peer dialed; inbound: from HELLO (0 before) */
    struct net_peer *peer; /* outbound, while the peer is in the address book */
    uint64_t deadline_ms;  /* loop time by which the handshake must be done */
    int deferred_err;      /* a failure to act on in the check phase, not inside an API call */
    char deferred_why[96];
    struct net_decoder dec;
    struct buf wq;              /* frames waiting for the next write */
    struct buf wflight;         /* the bytes of the write in flight */
    size_t wflight_sent;        /* of which the socket took this many at once */
    struct net_link link;       /* t->conns */
    struct net_link dirty_link; /* t->dirty */
    struct net_link calls;      /* outgoing calls whose request went on this connection */
    struct net_link serving;    /* responders for requests that came in on it */
    uint32_t n_serving;
    char remote[NET_REMOTE_NAME_BYTES]; /* inbound: the socket's peer address */
    char name[NET_CONN_NAME_BYTES];     /* who is on the other end, for logs */
};

struct net_peer {
    struct net_hnode h; /* key: node id */
    struct net_transport *t;
    char addr[NET_ADDR_LEN_MAX + 1];
    struct net_conn *conn; /* outgoing connection, or NULL */
    uv_timer_t timer;      /* redial */
    bool backoff;          /* the timer will redial */
    bool dialed;           /* at least once */
    uint32_t failures;     /* since the last successful handshake */
    enum net_peer_state state;
};

struct net_call {
    struct net_hnode h;   /* key: request id */
    struct net_link link; /* conn->calls */
    struct net_transport *t;
    struct net_conn *conn;
    uv_timer_t timer;
    net_rpc_cb cb;
    void *ctx;
};

struct net_responder {
    struct net_link link;  /* conn->serving while the connection is open */
    struct net_conn *conn; /* NULL once it closed */
    uint64_t request_id;
    bool member;
};

/* Outlives its connection if that closes first: the callback then only frees it. */
struct net_resolve {
    uv_getaddrinfo_t req;
    struct net_conn *conn;
};

struct net_transport {
    uv_loop_t *loop;
    struct net_config cfg;
    struct net_callbacks cb;
    char advertise[NET_ADDR_LEN_MAX + 1];
    char listen_name[NET_ADDR_LEN_MAX + 16];
    uint16_t port;
    uv_tcp_t listener;
    uv_idle_t idle;   /* active while frames wait: keeps the loop from blocking before check */
    /* Flushes every dirty connection once per iteration. Always started, from the start: libuv
     * runs check handles newest first, so this one runs after those of everything created
     * later (the groups), and what they queue in an iteration goes out in the same one. */
    uv_check_t check;
    uv_timer_t housekeeping;
    bool flush_armed; /* idle started */
    unsigned handles; /* open libuv handles; t is freed after the last one closes */
    bool closing;
    void (*done)(void *ctx);
    void *done_ctx;
    struct net_htab peers;
    struct net_htab calls;
    struct net_link conns;
    struct net_link dirty;
    uint32_t n_inbound;
    uint64_t next_request_id;
    struct rng rng;
    struct net_stats stats;
    struct raft_entry entries[RAFT_MSG_ENTRIES_MAX]; /* decode arena for on_raft */
};

static void net_conn_close(struct net_conn *c, int err);
static void net_conn_mark_dirty(struct net_conn *c);
static int net_peer_dial(struct net_peer *p);
static void net_on_redial(uv_timer_t *h);

/* ---- Small helpers ---------------------------------------------------------------- */

/* Copies src into dst[cap], cutting it if it does not fit. */
static void net_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool net_id_is_zero(const uint8_t id[NET_CLUSTER_ID_BYTES])
{
    for (int i = 0; i < NET_CLUSTER_ID_BYTES; i++)
        if (id[i] != 0)
            return false;
    return true;
}

static void net_id_hex(const uint8_t id[NET_CLUSTER_ID_BYTES],
                       char out[2 * NET_CLUSTER_ID_BYTES + 1])
{
    for (int i = 0; i < NET_CLUSTER_ID_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static void net_sockaddr_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[64] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        uv_ip4_name(in, ip, sizeof ip);
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(in6, ip, sizeof ip);
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%d", ip, port);
    } else {
        snprintf(out, cap, "unknown address");
    }
}

static void net_maybe_free(struct net_transport *t)
{
    if (!t->closing || t->handles > 0)
        return;
    ASSERT(net_list_empty(&t->conns));
    ASSERT(t->calls.n == 0 && t->peers.n == 0);
    free(t->peers.slots);
    free(t->calls.slots);
    void (*done)(void *) = t->done;
    void *ctx = t->done_ctx;
    free(t);
    if (done != NULL)
        done(ctx);
}

static void net_on_base_closed(uv_handle_t *h)
{
    struct net_transport *t = h->data;
    ASSERT(t->handles > 0);
    t->handles--;
    net_maybe_free(t);
}

static uint64_t net_backoff_ms(struct net_transport *t, uint32_t failures)
{
    uint64_t d = t->cfg.reconnect_delay_ms_min;
    for (uint32_t i = 1; i < failures && d < t->cfg.reconnect_delay_ms_max; i++)
        d *= 2;
    if (d > t->cfg.reconnect_delay_ms_max)
        d = t->cfg.reconnect_delay_ms_max;
    /* Half fixed so retries do back off, half random so that the peers of a
     * restarted node do not all redial in the same millisecond. */
    return d - d / 2 + rng_below(&t->rng, d / 2 + 1);
}

/* ---- Calls -------------------------------------------------------------------------- */

static void net_on_call_closed(uv_handle_t *h)
{
    struct net_call *call = h->data;
    struct net_transport *t = call->t;
    free(call);
    ASSERT(t->handles > 0);
    t->handles--;
    net_maybe_free(t);
}

/* Takes call out of every index before its callback runs, so that the
 * callback may start new calls or close anything. */
static void net_call_finish(struct net_call *call, int err, int status, const uint8_t *payload,
                            size_t len)
{
    struct net_transport *t = call->t;
    net_hremove(&t->calls, &call->h);
    net_list_remove(&call->link);
    call->conn = NULL;
    uv_close((uv_handle_t *)&call->timer, net_on_call_closed);
    call->cb(call->ctx, err, status, payload, len);
}

static void net_on_call_timeout(uv_timer_t *h)
{
    struct net_call *call = h->data;
    call->t->stats.rpc_timeouts++;
    net_call_finish(call, ERR_TIMEOUT, 0, NULL, 0);
}

/* ---- Connections: lifetime ------------------------------------------------------------- */

static void net_conn_set_state(struct net_conn *c, enum net_conn_state s)
{
    ASSERT(net_conn_next[c->state] & (1u << s));
    c->state = s;
}

static void net_on_conn_closed(uv_handle_t *h)
{
    struct net_conn *c = h->data;
    struct net_transport *t = c->t;
    ASSERT(c->state == NET_CONN_CLOSED && !c->writing);
    net_list_remove(&c->link);
    net_decoder_free(&c->dec);
    buf_free(&c->wq);
    buf_free(&c->wflight);
    free(c);
    ASSERT(t->handles > 0);
    t->handles--;
    net_maybe_free(t);
}

static struct net_conn *net_conn_new(struct net_transport *t, bool outbound,
                                     enum net_conn_state state)
{
    struct net_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (uv_tcp_init(t->loop, &c->tcp) != 0) {
        free(c);
        return NULL;
    }
    c->t = t;
    c->tcp.data = c;
    c->connect_req.data = c;
    c->write_req.data = c;
    c->outbound = outbound;
    c->state = state;
    c->version = NET_PROTO_VERSION_MAX;
    struct net_frame_limits lim = {NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX,
                                   NET_HANDSHAKE_FRAME_BYTES_MAX};
    net_decoder_init(&c->dec, &lim);
    net_list_init(&c->link);
    net_list_init(&c->dirty_link);
    net_list_init(&c->calls);
    net_list_init(&c->serving);
    net_list_push(&t->conns, &c->link);
    c->deadline_ms = uv_now(t->loop) + t->cfg.connect_timeout_ms;
    t->handles++;
    t->stats.conns_open++;
    return c;
}

/* Marks the peer's outgoing connection lost and schedules the redial.
 * Returns whether the node should hear that the peer is down. */
static bool net_peer_failed(struct net_peer *p)
{
    struct net_transport *t = p->t;
    p->failures++;
    t->stats.conn_failures++;
    if (!t->closing) {
        uv_timer_start(&p->timer, net_on_redial, net_backoff_ms(t, p->failures), 0);
        p->backoff = true;
    }
    bool report = p->state != NET_PEER_DOWN;
    p->state = NET_PEER_DOWN;
    return report;
}

/* Closes c now: it fails the calls sent on it with err, orphans the
 * responders of requests that came in on it, and, for an outgoing
 * connection, reports the peer down and schedules the redial. */
static void net_conn_close(struct net_conn *c, int err)
{
    struct net_transport *t = c->t;
    if (c->state == NET_CONN_CLOSED)
        return;
    net_conn_set_state(c, NET_CONN_CLOSED);
    ASSERT(t->stats.conns_open > 0);
    t->stats.conns_open--;
    if (c->dirty) {
        net_list_remove(&c->dirty_link);
        c->dirty = false;
    }
    if (c->resolve != NULL) {
        c->resolve->conn = NULL;
        uv_cancel((uv_req_t *)&c->resolve->req);
        c->resolve = NULL;
    }
    while (!net_list_empty(&c->serving)) {
        struct net_responder *r = NET_CONTAINER(c->serving.next, struct net_responder, link);
        net_list_remove(&r->link);
        r->conn = NULL;
    }
    c->n_serving = 0;
    if (!c->outbound) {
        ASSERT(t->n_inbound > 0);
        t->n_inbound--;
    }
    uv_close((uv_handle_t *)&c->tcp, net_on_conn_closed);

    struct net_peer *p = c->peer;
    bool report = false;
    if (p != NULL) {
        ASSERT(p->conn == c);
        p->conn = NULL;
        c->peer = NULL;
        report = net_peer_failed(p);
    }
    if (report && !t->closing && t->cb.on_peer_state != NULL)
        t->cb.on_peer_state(t->cb.ctx, p->h.key, NET_PEER_DOWN);
    /* Callbacks may start calls or close things; each pass takes the first. */
    while (!net_list_empty(&c->calls)) {
        struct net_call *call = NET_CONTAINER(c->calls.next, struct net_call, link);
        if (err == ERR_IO)
            t->stats.rpc_conn_failures++;
        net_call_finish(call, err, 0, NULL, 0);
    }
}

/* Logs why c is being closed, then closes it. Repeated failures to reach a
 * peer that is already known to be down are logged at debug level only. */
static void net_conn_fail(struct net_conn *c, int err, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void net_conn_fail(struct net_conn *c, int err, enum log_level level, const char *fmt, ...)
{
    if (c->state == NET_CONN_CLOSED)
        return;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (c->outbound && c->peer != NULL && c->peer->state == NET_PEER_DOWN && level < LOG_ERROR)
        level = LOG_DEBUG;
    LOG_AT(level, NET_LOG, "%s: %s", c->name, why);
    net_conn_close(c, err);
}

/* A failure found inside an API call: acted on in the check phase, so no
 * callback runs inside the call that found it. */
static void net_conn_defer_fail(struct net_conn *c, const char *what, int uv_err)
{
    if (c->deferred_err == 0) {
        c->deferred_err = uv_err;
        snprintf(c->deferred_why, sizeof c->deferred_why, "%s: %s", what, uv_strerror(uv_err));
    }
    net_conn_mark_dirty(c);
}

/* ---- Connections: writing ----------------------------------------------------------- */

static void net_on_write(uv_write_t *req, int status);

static void net_conn_start_write(struct net_conn *c)
{
    struct net_transport *t = c->t;
    ASSERT(!c->writing && c->wflight.len > 0);
    t->stats.writes++;
    /* Tried at once first. Most writes complete, and then need no request, no callback and no
     * change to the poll set: libuv re-arms the descriptor after every completed uv_write, a
     * system call per write. */
    uv_buf_t ub = uv_buf_init((char *)c->wflight.data, (unsigned)c->wflight.len);
    int rc = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
    size_t sent = rc > 0 ? (size_t)rc : 0;
    t->stats.bytes_out += sent;
    if (sent == c->wflight.len) {
        c->wflight.len = 0;
        if (c->wflight.cap > NET_WRITE_BUF_KEEP_BYTES)
            buf_free(&c->wflight);
        return;
    }
    if (rc >= 0 || rc == UV_EAGAIN) {
        c->wflight_sent = sent;
        ub = uv_buf_init((char *)c->wflight.data + sent, (unsigned)(c->wflight.len - sent));
        rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &ub, 1, net_on_write);
    }
    if (rc < 0) {
        /* a reset peer, found at once now: acted on in the check phase, as a failed write's
         * callback would be, not inside the caller (the handshake goes on after its HELLO) */
        c->wflight.len = 0;
        net_conn_defer_fail(c, "write", rc);
        return;
    }
    c->writing = true;
}

/* Sends everything queued in one write. Only a ready connection writes:
 * before that only its HELLO may go out. */
static void net_conn_flush(struct net_conn *c)
{
    if (c->state != NET_CONN_READY || c->writing || c->wq.len == 0)
        return;
    ASSERT(c->wflight.len == 0);
    struct buf tmp = c->wflight;
    c->wflight = c->wq;
    c->wq = tmp;
    net_conn_start_write(c);
}

static void net_on_write(uv_write_t *req, int status)
{
    struct net_conn *c = req->data;
    struct net_transport *t = c->t;
    ASSERT(c->writing);
    c->writing = false;
    size_t n = c->wflight.len - c->wflight_sent;
    c->wflight.len = 0;
    if (c->wflight.cap > NET_WRITE_BUF_KEEP_BYTES)
        buf_free(&c->wflight);
    if (status < 0) {
        if (c->state != NET_CONN_CLOSED)
            net_conn_fail(c, ERR_IO, LOG_INFO, "write: %s", uv_strerror(status));
        return;
    }
    t->stats.bytes_out += n;
    net_conn_flush(c);
}

static void net_on_idle(uv_idle_t *h)
{
    (void)h;
}

static void net_on_check(uv_check_t *h)
{
    struct net_transport *t = h->data;
    struct net_link work;
    net_list_init(&work);
    /* Take the whole list: connections dirtied while flushing wait for the next pass. */
    if (!net_list_empty(&t->dirty)) {
        work.next = t->dirty.next;
        work.prev = t->dirty.prev;
        work.next->prev = &work;
        work.prev->next = &work;
        net_list_init(&t->dirty);
    }
    if (t->flush_armed) {
        uv_idle_stop(&t->idle);
        t->flush_armed = false;
    }
    while (!net_list_empty(&work)) {
        struct net_conn *c = NET_CONTAINER(work.next, struct net_conn, dirty_link);
        net_list_remove(&c->dirty_link);
        c->dirty = false;
        if (c->deferred_err != 0)
            net_conn_fail(c, ERR_IO, LOG_INFO, "%s", c->deferred_why);
        else
            net_conn_flush(c);
    }
}

static void net_conn_mark_dirty(struct net_conn *c)
{
    struct net_transport *t = c->t;
    if (c->dirty || c->state == NET_CONN_CLOSED || t->closing)
        return;
    c->dirty = true;
    net_list_push(&t->dirty, &c->dirty_link);
    if (!t->flush_armed) {
        uv_idle_start(&t->idle, net_on_idle);
        t->flush_armed = true;
    }
}

/* Accounts for frames just appended to c->wq at start: takes them back out
 * if they are over the frame limit or the queue bound. */
static int net_conn_queued(struct net_conn *c, size_t start, bool single_frame)
{
    struct net_transport *t = c->t;
    if (single_frame && c->wq.len - start - NET_FRAME_HEADER_BYTES > t->cfg.frame_bytes_max) {
        c->wq.len = start;
        return ERR_TOOBIG;
    }
    if (c->wq.len + c->wflight.len > t->cfg.queue_bytes_max) {
        c->wq.len = start;
        return ERR_BUSY;
    }
    net_conn_mark_dirty(c);
    return 0;
}

static bool net_conn_queue_full(const struct net_conn *c)
{
    return c->wq.len + c->wflight.len >= c->t->cfg.queue_bytes_max;
}

static int net_conn_respond(struct net_conn *c, uint64_t request_id, int status,
                            const void *payload, size_t len)
{
    if (c->state != NET_CONN_READY)
        return ERR_IO;
    if (len > c->t->cfg.frame_bytes_max)
        return ERR_TOOBIG;
    if (net_conn_queue_full(c))
        return ERR_BUSY;
    struct net_rpc_response resp = {request_id, status, payload, (uint32_t)len};
    size_t start = c->wq.len;
    int rc = net_rpc_response_encode(&c->wq, c->version, &resp);
    if (rc != 0)
        return rc;
    c->t->stats.frames_out++;
    return net_conn_queued(c, start, true);
}

/* Best effort: tells the other side why before closing. */
static void net_conn_reject(struct net_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void net_conn_reject(struct net_conn *c, const char *fmt, ...)
{
    struct net_close cl = {.status = ERR_PROTO};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cl.reason, sizeof cl.reason, fmt, ap);
    va_end(ap);
    c->t->stats.handshake_rejects++;
    LOGW(NET_LOG, "%s: refused: %s", c->name, cl.reason);
    struct buf b = BUF_INIT;
    if (!c->writing && net_close_encode(&b, NET_PROTO_VERSION_MIN, &cl) == 0) {
        uv_buf_t ub = uv_buf_init((char *)b.data, (unsigned)b.len);
        (void)uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
    }
    buf_free(&b);
    net_conn_close(c, ERR_IO);
}

/* ---- Connections: the handshake --------------------------------------------------------- */

static int net_conn_send_hello(struct net_conn *c, uint16_t version)
{
    struct net_transport *t = c->t;
    ASSERT(!c->writing && c->wflight.len == 0);
    struct net_hello h;
    memset(&h, 0, sizeof h);
    memcpy(h.cluster_id, t->cfg.cluster_id, NET_CLUSTER_ID_BYTES);
    h.node_id = t->cfg.node_id;
    h.version_min = NET_PROTO_VERSION_MIN;
    h.version_max = NET_PROTO_VERSION_MAX;
    net_copy_str(h.addr, sizeof h.addr, t->advertise);
    int rc = net_hello_encode(&c->wflight, version, &h);
    if (rc != 0)
        return rc;
    t->stats.frames_out++;
    net_conn_start_write(c);
    return 0;
}

static void net_conn_ready(struct net_conn *c, uint16_t version)
{
    net_conn_set_state(c, NET_CONN_READY);
    c->version = version;
    struct net_frame_limits lim = {version, version, c->t->cfg.frame_bytes_max};
    net_decoder_set_limits(&c->dec, &lim);
}

/* The common protocol version, or 0 if the ranges do not meet. */
static uint16_t net_version_agree(const struct net_hello *h)
{
    uint16_t lo = h->version_min > NET_PROTO_VERSION_MIN ? h->version_min : NET_PROTO_VERSION_MIN;
    uint16_t hi = h->version_max < NET_PROTO_VERSION_MAX ? h->version_max : NET_PROTO_VERSION_MAX;
    return lo <= hi ? hi : 0;
}

/* Inbound: the dialer introduced itself. */
static void net_on_hello_in(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_hello h;
    struct errbuf eb;
    if (net_hello_decode(f->payload, f->len, &h, &eb) != 0) {
        t->stats.decode_errors++;
        net_conn_fail(c, ERR_IO, LOG_WARN, "closing: %s", eb.msg);
        return;
    }
    if (h.node_id == RAFT_NONE || (h.node_id & NET_PEER_ID_ADDR_ONLY)) {
        net_conn_reject(c, "invalid node id %" PRIu64, h.node_id);
        return;
    }
    uint16_t version = net_version_agree(&h);
    if (version == 0) {
        net_conn_reject(c, "no common protocol version (peer speaks %u-%u, this node %u-%u)",
                        h.version_min, h.version_max, NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX);
        return;
    }
    bool theirs_zero = net_id_is_zero(h.cluster_id);
    if (!theirs_zero && net_id_is_zero(t->cfg.cluster_id)) {
        net_conn_reject(c, "node %" PRIu64 " is not a cluster member yet", t->cfg.node_id);
        return;
    }
    if (!theirs_zero && memcmp(h.cluster_id, t->cfg.cluster_id, NET_CLUSTER_ID_BYTES) != 0) {
        char theirs[2 * NET_CLUSTER_ID_BYTES + 1], ours[2 * NET_CLUSTER_ID_BYTES + 1];
        net_id_hex(h.cluster_id, theirs);
        net_id_hex(t->cfg.cluster_id, ours);
        net_conn_reject(c, "cluster id mismatch (peer %s, this node %s)", theirs, ours);
        return;
    }
    snprintf(c->name, sizeof c->name, "node %" PRIu64 " at %s (from %s)", h.node_id, h.addr,
             c->remote);
    c->node = h.node_id;
    c->member = !theirs_zero;
    net_conn_ready(c, version);
    if (net_conn_send_hello(c, version) != 0) {
        net_conn_fail(c, ERR_IO, LOG_WARN, "out of memory for the hello");
        return;
    }
    /* An older connection from the same node is left alone: a node may reach
     * this address under two peer ids (a seed it also knows by id), and a
     * dead one is found by TCP keepalive or the dialer's own close. */
    LOGD(NET_LOG, "%s: accepted%s", c->name, c->member ? "" : " (not a member: RPC only)");
    if (t->cb.on_hello != NULL)
        t->cb.on_hello(t->cb.ctx, h.node_id, h.addr, c->member);
}

/* Outbound: the listener answered our HELLO. */
static void net_on_hello_reply(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_hello h;
    struct errbuf eb;
    if (net_hello_decode(f->payload, f->len, &h, &eb) != 0) {
        t->stats.decode_errors++;
        net_conn_fail(c, ERR_IO, LOG_WARN, "closing: %s", eb.msg);
        return;
    }
    uint16_t version = net_version_agree(&h);
    const char *why = NULL;
    char detail[128] = "";
    if (version == 0) {
        why = "no common protocol version";
        snprintf(detail, sizeof detail, " (peer %u-%u, this node %u-%u)", h.version_min,
                 h.version_max, NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX);
    } else if (!(c->node & NET_PEER_ID_ADDR_ONLY) && h.node_id != c->node) {
        why = "wrong node answers at this address";
        snprintf(detail, sizeof detail, " (node %" PRIu64 ")", h.node_id);
    } else if (!net_id_is_zero(t->cfg.cluster_id) &&
               memcmp(h.cluster_id, t->cfg.cluster_id, NET_CLUSTER_ID_BYTES) != 0) {
        why = net_id_is_zero(h.cluster_id) ? "peer is not a cluster member yet"
                                           : "cluster id mismatch";
    }
    if (why != NULL) {
        t->stats.handshake_rejects++;
        net_conn_fail(c, ERR_IO, LOG_WARN, "handshake refused: %s%s", why, detail);
        return;
    }
    net_conn_ready(c, version);
    struct net_peer *p = c->peer;
    ASSERT(p != NULL && p->conn == c);
    bool report = p->state != NET_PEER_UP;
    if (p->state == NET_PEER_DOWN)
        LOGI(NET_LOG, "%s: connected again after %u failed attempts", c->name, p->failures);
    else
        LOGD(NET_LOG, "%s: connected", c->name);
    p->failures = 0;
    p->state = NET_PEER_UP;
    net_conn_mark_dirty(c);
    if (report && t->cb.on_peer_state != NULL)
        t->cb.on_peer_state(t->cb.ctx, p->h.key, NET_PEER_UP);
}

static void net_on_close_frame(struct net_conn *c, const struct net_frame *f)
{
    struct net_close cl;
    struct errbuf eb;
    if (net_close_decode(f->payload, f->len, &cl, &eb) != 0) {
        c->t->stats.decode_errors++;
        net_conn_fail(c, ERR_IO, LOG_WARN, "closing: %s", eb.msg);
        return;
    }
    net_conn_fail(c, ERR_IO, LOG_WARN, "peer closed the connection: %s (%s)", cl.reason,
                  err_name(cl.status));
}

/* ---- Connections: frames after the handshake ---------------------------------------------- */

static void net_conn_protocol_error(struct net_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void net_conn_protocol_error(struct net_conn *c, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    c->t->stats.protocol_errors++;
    net_conn_fail(c, ERR_IO, LOG_WARN, "protocol error, closing: %s", why);
}

static void net_conn_decode_error(struct net_conn *c, const struct errbuf *eb)
{
    c->t->stats.decode_errors++;
    net_conn_fail(c, ERR_IO, LOG_WARN, "malformed frame, closing: %s", eb->msg);
}

/* Decodes the whole batch before delivering any of it: a batch is taken or
 * refused as a unit. */
static void net_on_raft_frame(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_raft_batch it;
    struct raft_msg m;
    struct errbuf eb;
    int rc = net_raft_batch_open(&it, f->payload, f->len, &eb);
    while (rc == 0 &&
           (rc = net_raft_batch_next(&it, &m, t->entries, RAFT_MSG_ENTRIES_MAX, &eb)) == 1) {
        if (m.from != c->node || m.to != t->cfg.node_id) {
            net_conn_protocol_error(c,
                                    "raft message from %" PRIu64 " to %" PRIu64
                                    " on a connection from node %" PRIu64 " to node %" PRIu64,
                                    m.from, m.to, c->node, t->cfg.node_id);
            return;
        }
        rc = 0;
    }
    if (rc < 0) {
        net_conn_decode_error(c, &eb);
        return;
    }
    rc = net_raft_batch_open(&it, f->payload, f->len, &eb);
    ASSERT(rc == 0);
    while (net_raft_batch_next(&it, &m, t->entries, RAFT_MSG_ENTRIES_MAX, &eb) == 1) {
        t->stats.raft_msgs_in++;
        if (t->cb.on_raft != NULL)
            t->cb.on_raft(t->cb.ctx, c->node, it.group, &m);
        if (c->state == NET_CONN_CLOSED || t->closing)
            return;
    }
}

/* Hands out a responder, or answers at once when none can be handed out. */
static struct net_responder *net_conn_serve(struct net_conn *c, uint64_t request_id, bool handled)
{
    struct net_transport *t = c->t;
    int status = 0;
    struct net_responder *r = NULL;
    if (!handled)
        status = ERR_UNSUPPORTED;
    else if (c->n_serving >= NET_RPC_SERVING_PER_CONN_MAX)
        status = ERR_BUSY;
    else if ((r = calloc(1, sizeof *r)) == NULL)
        status = ERR_NOMEM;
    if (r == NULL) {
        if (net_conn_respond(c, request_id, status, NULL, 0) != 0)
            t->stats.responses_dropped++;
        return NULL;
    }
    r->conn = c;
    r->request_id = request_id;
    r->member = c->member;
    net_list_init(&r->link);
    net_list_push(&c->serving, &r->link);
    c->n_serving++;
    t->stats.rpc_served++;
    return r;
}

static void net_on_rpc_request(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_rpc_request req;
    struct errbuf eb;
    if (net_rpc_request_decode(f->payload, f->len, &req, &eb) != 0) {
        net_conn_decode_error(c, &eb);
        return;
    }
    struct net_responder *r = net_conn_serve(c, req.request_id, t->cb.on_rpc_request != NULL);
    if (r != NULL)
        t->cb.on_rpc_request(t->cb.ctx, c->node, r, req.request_id, req.method, req.payload,
                             req.len);
}

static void net_on_snapshot_chunk(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_snapshot_chunk ch;
    struct errbuf eb;
    if (net_snapshot_chunk_decode(f->payload, f->len, &ch, &eb) != 0) {
        net_conn_decode_error(c, &eb);
        return;
    }
    struct net_responder *r = net_conn_serve(c, ch.request_id, t->cb.on_snapshot_chunk != NULL);
    if (r != NULL)
        t->cb.on_snapshot_chunk(t->cb.ctx, c->node, r, &ch);
}

static void net_on_rpc_response(struct net_conn *c, const struct net_frame *f)
{
    struct net_transport *t = c->t;
    struct net_rpc_response resp;
    struct errbuf eb;
    if (net_rpc_response_decode(f->payload, f->len, &resp, &eb) != 0) {
        net_conn_decode_error(c, &eb);
        return;
    }
    struct net_hnode *h = net_hfind(&t->calls, resp.request_id);
    struct net_call *call = h ? NET_CONTAINER(h, struct net_call, h) : NULL;
    if (call == NULL || call->conn != c) {
        /* Timed out already: the caller has its answer. */
        LOGD(NET_LOG, "%s: late response to request %" PRIu64, c->name, resp.request_id);
        return;
    }
    net_call_finish(call, 0, resp.status, resp.payload, resp.len);
}

static void net_conn_on_frame(struct net_conn *c, const struct net_frame *f)
{
    uint16_t type = f->type;
    if (type == NET_FRAME_CLOSE) {
        net_on_close_frame(c, f);
        return;
    }
    switch (c->state) {
    case NET_CONN_AWAIT_HELLO:
        if (type == NET_FRAME_HELLO) {
            net_on_hello_in(c, f);
            return;
        }
        break;
    case NET_CONN_HELLO_SENT:
        if (type == NET_FRAME_HELLO) {
            net_on_hello_reply(c, f);
            return;
        }
        break;
    case NET_CONN_READY:
        if (c->outbound && type == NET_FRAME_RPC_RESPONSE) {
            net_on_rpc_response(c, f);
            return;
        }
        if (!c->outbound && type == NET_FRAME_RPC_REQUEST) {
            net_on_rpc_request(c, f);
            return;
        }
        if (!c->outbound && c->member && type == NET_FRAME_RAFT) {
            net_on_raft_frame(c, f);
            return;
        }
        if (!c->outbound && c->member && type == NET_FRAME_SNAPSHOT_CHUNK) {
            net_on_snapshot_chunk(c, f);
            return;
        }
        break;
    default:
        break;
    }
    net_conn_protocol_error(c, "unexpected %s frame on %s %s connection", net_frame_type_name(type),
                            c->outbound ? "an outgoing" : "an incoming",
                            net_conn_state_names[c->state]);
}

/* ---- Connections: reading --------------------------------------------------------------- */

static void net_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    struct net_conn *c = h->data;
    uint8_t *p;
    size_t n;
    (void)suggested;
    if (net_decoder_space(&c->dec, NET_READ_BYTES, &p, &n) != 0) {
        *out = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS to net_on_read */
        return;
    }
    *out = uv_buf_init((char *)p, n > NET_READ_BYTES ? NET_READ_BYTES : (unsigned)n);
}

static void net_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *ub)
{
    struct net_conn *c = s->data;
    struct net_transport *t = c->t;
    (void)ub;
    if (c->state == NET_CONN_CLOSED || nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF)
            net_conn_fail(c, ERR_IO, c->outbound ? LOG_WARN : LOG_DEBUG,
                          "connection closed by the peer");
        else if (nread == UV_ENOBUFS)
            net_conn_fail(c, ERR_IO, LOG_WARN, "out of memory for the read buffer");
        else
            net_conn_fail(c, ERR_IO, LOG_INFO, "read: %s", uv_strerror((int)nread));
        return;
    }
    net_decoder_commit(&c->dec, (size_t)nread);
    t->stats.bytes_in += (uint64_t)nread;
    for (;;) {
        struct net_frame f;
        struct errbuf eb;
        int rc = net_decoder_next(&c->dec, &f, &eb);
        if (rc == ERR_NEEDMORE)
            return;
        if (rc != 0) {
            net_conn_decode_error(c, &eb);
            return;
        }
        t->stats.frames_in++;
        net_conn_on_frame(c, &f);
        if (c->state == NET_CONN_CLOSED)
            return;
    }
}

static void net_conn_start_reading(struct net_conn *c)
{
    uv_tcp_nodelay(&c->tcp, 1); /* frames are batched here, not by Nagle */
    uv_tcp_keepalive(&c->tcp, 1, NET_KEEPALIVE_DELAY_S);
    int rc = uv_read_start((uv_stream_t *)&c->tcp, net_on_alloc, net_on_read);
    if (rc != 0)
        net_conn_fail(c, ERR_IO, LOG_WARN, "read start: %s", uv_strerror(rc));
}

/* ---- Dialing ---------------------------------------------------------------------------- */

static void net_on_connect(uv_connect_t *req, int status)
{
    struct net_conn *c = req->data;
    if (status == UV_ECANCELED || c->state == NET_CONN_CLOSED)
        return;
    if (status < 0) {
        net_conn_fail(c, ERR_IO, LOG_INFO, "connect: %s", uv_strerror(status));
        return;
    }
    net_conn_set_state(c, NET_CONN_HELLO_SENT);
    net_conn_start_reading(c);
    if (c->state == NET_CONN_CLOSED)
        return;
    /* The HELLO goes in the oldest version this node speaks: every peer that
     * can talk to it at all can read it. */
    if (net_conn_send_hello(c, NET_PROTO_VERSION_MIN) != 0)
        net_conn_fail(c, ERR_IO, LOG_WARN, "out of memory for the hello");
}

static void net_conn_connect(struct net_conn *c, const struct sockaddr *sa)
{
    net_conn_set_state(c, NET_CONN_CONNECTING);
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, sa, net_on_connect);
    if (rc != 0)
        net_conn_defer_fail(c, "connect", rc);
}

static void net_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct net_resolve *rs = NET_CONTAINER(req, struct net_resolve, req);
    struct net_conn *c = rs->conn;
    free(rs);
    if (c == NULL) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        return;
    }
    c->resolve = NULL;
    if (status < 0 || res == NULL) {
        net_conn_fail(c, ERR_IO, LOG_INFO, "cannot resolve the address: %s", uv_strerror(status));
        if (res != NULL)
            uv_freeaddrinfo(res);
        return;
    }
    net_conn_connect(c, res->ai_addr);
    uv_freeaddrinfo(res);
}

/* Opens the peer's outgoing connection. Failures after the connection object
 * exists are reported from the loop, not from here. */
static int net_peer_dial(struct net_peer *p)
{
    struct net_transport *t = p->t;
    ASSERT(p->conn == NULL && !p->backoff && !t->closing);
    struct net_conn *c = net_conn_new(t, true, NET_CONN_RESOLVING);
    if (c == NULL)
        return ERR_NOMEM;
    t->stats.conns_dialed++;
    if (p->dialed)
        t->stats.reconnects++;
    p->dialed = true;
    c->peer = p;
    c->node = p->h.key;
    p->conn = c;
    if (p->h.key & NET_PEER_ID_ADDR_ONLY)
        snprintf(c->name, sizeof c->name, "peer at %s (id %" PRIu64 ", node id not known yet)",
                 p->addr, (uint64_t)(p->h.key & ~NET_PEER_ID_ADDR_ONLY));
    else
        snprintf(c->name, sizeof c->name, "node %" PRIu64 " at %s", p->h.key, p->addr);

    char host[NET_ADDR_LEN_MAX + 1];
    uint16_t port;
    int rc = net_addr_parse(p->addr, host, sizeof host, &port, NULL);
    ASSERT(rc == 0); /* checked by net_set_peer */
    struct sockaddr_storage ss;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0) {
        net_conn_connect(c, (const struct sockaddr *)&ss);
        return 0;
    }
    struct net_resolve *rs = calloc(1, sizeof *rs);
    if (rs == NULL) {
        net_conn_defer_fail(c, "resolve", UV_ENOMEM);
        return 0;
    }
    rs->conn = c;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = uv_getaddrinfo(t->loop, &rs->req, net_on_resolved, host, service, &hints);
    if (rc != 0) {
        free(rs);
        net_conn_defer_fail(c, "resolve", rc);
        return 0;
    }
    c->resolve = rs;
    return 0;
}

static void net_on_redial(uv_timer_t *h)
{
    struct net_peer *p = h->data;
    p->backoff = false;
    if (p->conn == NULL && !p->t->closing)
        (void)net_peer_dial(p); /* on ERR_NOMEM the next send tries again */
}

static void net_on_peer_closed(uv_handle_t *h)
{
    struct net_peer *p = h->data;
    struct net_transport *t = p->t;
    free(p);
    ASSERT(t->handles > 0);
    t->handles--;
    net_maybe_free(t);
}

static struct net_peer *net_peer_find(const struct net_transport *t, uint64_t node)
{
    struct net_hnode *h = net_hfind(&t->peers, node);
    return h ? NET_CONTAINER(h, struct net_peer, h) : NULL;
}

/* Drops the peer's outgoing connection without counting it as a failure. */
static void net_peer_disconnect(struct net_peer *p)
{
    struct net_conn *c = p->conn;
    if (c == NULL)
        return;
    c->peer = NULL;
    p->conn = NULL;
    net_conn_close(c, ERR_IO);
}

/* The connection that carries frames to node `to`, dialing it if needed. */
static int net_conn_for(struct net_transport *t, uint64_t to, struct net_conn **out)
{
    if (t->closing)
        return ERR_SHUTDOWN;
    struct net_peer *p = net_peer_find(t, to);
    if (p == NULL)
        return ERR_NOTFOUND;
    if (p->conn == NULL) {
        if (p->backoff)
            return ERR_AGAIN;
        int rc = net_peer_dial(p);
        if (rc != 0)
            return rc;
    }
    *out = p->conn;
    return 0;
}

/* ---- Inbound -------------------------------------------------------------------------- */

static void net_on_connection(uv_stream_t *server, int status)
{
    struct net_transport *t = server->data;
    if (status < 0) {
        LOGW(NET_LOG, "accept on %s: %s", t->listen_name, uv_strerror(status));
        return;
    }
    if (t->closing)
        return;
    struct net_conn *c = net_conn_new(t, false, NET_CONN_AWAIT_HELLO);
    if (c == NULL) {
        LOGW(NET_LOG, "accept on %s: out of memory", t->listen_name);
        return;
    }
    t->n_inbound++;
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc != 0) {
        snprintf(c->name, sizeof c->name, "incoming connection");
        net_conn_fail(c, ERR_IO, LOG_WARN, "accept: %s", uv_strerror(rc));
        return;
    }
    t->stats.conns_accepted++;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    snprintf(c->remote, sizeof c->remote, "unknown address");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
        net_sockaddr_name(&ss, c->remote, sizeof c->remote);
    snprintf(c->name, sizeof c->name, "%s", c->remote);
    if (t->n_inbound > t->cfg.inbound_conns_max) {
        net_conn_fail(c, ERR_IO, LOG_WARN, "refused: %u incoming connections open (limit %u)",
                      t->n_inbound - 1, t->cfg.inbound_conns_max);
        return;
    }
    net_conn_start_reading(c);
}

static void net_on_housekeeping(uv_timer_t *h)
{
    struct net_transport *t = h->data;
    uint64_t now = uv_now(t->loop);
    for (struct net_link *l = t->conns.next, *next; l != &t->conns; l = next) {
        next = l->next; /* closing only changes state; the object stays until its close callback */
        struct net_conn *c = NET_CONTAINER(l, struct net_conn, link);
        if (c->state != NET_CONN_READY && c->state != NET_CONN_CLOSED && now >= c->deadline_ms)
            net_conn_fail(c, ERR_IO, LOG_INFO, "handshake not done within %u ms (%s)",
                          t->cfg.connect_timeout_ms, net_conn_state_names[c->state]);
    }
}

/* ---- Public API ------------------------------------------------------------------------- */

void net_config_default(struct net_config *c)
{
    memset(c, 0, sizeof *c);
    c->frame_bytes_max = NET_FRAME_BYTES_MAX;
    c->queue_bytes_max = NET_PEER_QUEUE_BYTES_MAX;
    c->rpc_pending_max = NET_RPC_PENDING_MAX;
    c->inbound_conns_max = NET_INBOUND_CONNS_MAX;
    c->connect_timeout_ms = NET_CONNECT_TIMEOUT_MS;
    c->reconnect_delay_ms_min = NET_RECONNECT_DELAY_MS_MIN;
    c->reconnect_delay_ms_max = NET_RECONNECT_DELAY_MS_MAX;
}

static int net_config_check(const struct net_config *c, struct errbuf *eb)
{
    if (c->node_id == RAFT_NONE || (c->node_id & NET_PEER_ID_ADDR_ONLY))
        return err_set(eb, ERR_INVAL, "invalid node id %" PRIu64, c->node_id);
    if (c->frame_bytes_max < NET_HANDSHAKE_FRAME_BYTES_MAX ||
        c->frame_bytes_max > NET_FRAME_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "frame_bytes_max %u outside %u..%u", c->frame_bytes_max,
                       NET_HANDSHAKE_FRAME_BYTES_MAX, NET_FRAME_BYTES_MAX);
    if (c->queue_bytes_max < (uint64_t)c->frame_bytes_max + NET_FRAME_HEADER_BYTES ||
        c->queue_bytes_max > NET_QUEUE_BYTES_LIMIT)
        return err_set(eb, ERR_INVAL,
                       "queue_bytes_max %" PRIu64 " must hold one whole frame "
                       "and be at most %llu",
                       c->queue_bytes_max, NET_QUEUE_BYTES_LIMIT);
    if (c->rpc_pending_max == 0 || c->inbound_conns_max == 0 || c->connect_timeout_ms == 0)
        return err_set(eb, ERR_INVAL,
                       "rpc_pending_max, inbound_conns_max and "
                       "connect_timeout_ms must be positive");
    if (c->reconnect_delay_ms_min == 0 || c->reconnect_delay_ms_max < c->reconnect_delay_ms_min)
        return err_set(eb, ERR_INVAL, "reconnect delays must satisfy 0 < min <= max");
    if (c->advertise_addr != NULL) {
        char host[NET_ADDR_LEN_MAX + 1];
        uint16_t port;
        if (net_addr_parse(c->advertise_addr, host, sizeof host, &port, eb) != 0)
            return ERR_INVAL;
    }
    return 0;
}

/* Resolves a listen address, by name only if it is not numeric. */
static int net_resolve_listen(uv_loop_t *loop, const char *host, uint16_t port,
                              struct sockaddr_storage *ss, struct errbuf *eb)
{
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    uv_getaddrinfo_t req;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = uv_getaddrinfo(loop, &req, NULL, host, service, &hints);
    if (rc != 0)
        return err_set(eb, ERR_INVAL, "cannot resolve %s: %s", host, uv_strerror(rc));
    memset(ss, 0, sizeof *ss);
    memcpy(ss, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
    uv_freeaddrinfo(req.addrinfo);
    return 0;
}

int net_transport_start(uv_loop_t *loop, const char *listen_addr, const struct net_config *cfg,
                        const struct net_callbacks *cb, struct net_transport **out,
                        struct errbuf *eb)
{
    int rc = net_config_check(cfg, eb);
    if (rc != 0)
        return rc;
    char host[NET_ADDR_LEN_MAX + 1];
    uint16_t port;
    rc = net_addr_parse(listen_addr, host, sizeof host, &port, eb);
    if (rc != 0)
        return rc;
    struct sockaddr_storage ss;
    rc = net_resolve_listen(loop, host, port, &ss, eb);
    if (rc != 0)
        return rc;

    struct net_transport *t = calloc(1, sizeof *t);
    if (t == NULL)
        return err_set(eb, ERR_NOMEM, "out of memory");
    t->loop = loop;
    t->cfg = *cfg;
    t->cfg.advertise_addr = NULL; /* copied into t->advertise below */
    t->cb = *cb;
    net_list_init(&t->conns);
    net_list_init(&t->dirty);
    rng_seed(&t->rng, cfg->seed ? cfg->seed : cfg->node_id ^ clock_mono_ns());

    uv_tcp_init(loop, &t->listener);
    uv_idle_init(loop, &t->idle);
    uv_check_init(loop, &t->check);
    uv_timer_init(loop, &t->housekeeping);
    t->listener.data = t->idle.data = t->check.data = t->housekeeping.data = t;
    t->handles = 4;
    uv_check_start(&t->check, net_on_check);
    uv_unref((uv_handle_t *)&t->check); /* it alone does not keep the loop running */

    const char *what = "bind";
    int uvrc = uv_tcp_bind(&t->listener, (const struct sockaddr *)&ss, 0);
    if (uvrc == 0) {
        what = "listen";
        uvrc = uv_listen((uv_stream_t *)&t->listener, NET_LISTEN_BACKLOG, net_on_connection);
    }
    int len = sizeof ss;
    if (uvrc == 0) {
        what = "getsockname";
        uvrc = uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len);
    }
    if (uvrc != 0) {
        rc = err_set(eb, ERR_IO, "cannot listen on %s: %s: %s", listen_addr, what,
                     uv_strerror(uvrc));
        t->closing = true;
        uv_close((uv_handle_t *)&t->listener, net_on_base_closed);
        uv_close((uv_handle_t *)&t->idle, net_on_base_closed);
        uv_close((uv_handle_t *)&t->check, net_on_base_closed);
        uv_close((uv_handle_t *)&t->housekeeping, net_on_base_closed);
        return rc;
    }
    t->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    if (strchr(host, ':') != NULL)
        snprintf(t->listen_name, sizeof t->listen_name, "[%s]:%u", host, t->port);
    else
        snprintf(t->listen_name, sizeof t->listen_name, "%s:%u", host, t->port);
    net_copy_str(t->advertise, sizeof t->advertise,
                 cfg->advertise_addr ? cfg->advertise_addr : t->listen_name);
    uv_timer_start(&t->housekeeping, net_on_housekeeping, NET_HOUSEKEEPING_MS, NET_HOUSEKEEPING_MS);
    uv_unref((uv_handle_t *)&t->housekeeping);
    LOGI(NET_LOG, "node %" PRIu64 " listening for peers on %s", cfg->node_id, t->listen_name);
    *out = t;
    return 0;
}

void net_transport_close(struct net_transport *t, void (*done)(void *ctx), void *ctx)
{
    ASSERT(!t->closing);
    t->closing = true;
    t->done = done;
    t->done_ctx = ctx;
    uv_close((uv_handle_t *)&t->listener, net_on_base_closed);
    uv_close((uv_handle_t *)&t->idle, net_on_base_closed);
    uv_close((uv_handle_t *)&t->check, net_on_base_closed);
    uv_close((uv_handle_t *)&t->housekeeping, net_on_base_closed);
    /* Connections first, so that their calls fail with ERR_SHUTDOWN. */
    for (struct net_link *l = t->conns.next, *next; l != &t->conns; l = next) {
        next = l->next;
        net_conn_close(NET_CONTAINER(l, struct net_conn, link), ERR_SHUTDOWN);
    }
    struct net_hnode *h;
    while ((h = net_hany(&t->peers)) != NULL) {
        struct net_peer *p = NET_CONTAINER(h, struct net_peer, h);
        net_hremove(&t->peers, h);
        ASSERT(p->conn == NULL);
        uv_close((uv_handle_t *)&p->timer, net_on_peer_closed);
    }
    ASSERT(t->calls.n == 0);
}

const char *net_transport_addr(const struct net_transport *t)
{
    return t->listen_name;
}

uint16_t net_transport_port(const struct net_transport *t)
{
    return t->port;
}

void net_transport_stats(const struct net_transport *t, struct net_stats *out)
{
    *out = t->stats;
}

void net_set_cluster_id(struct net_transport *t, const uint8_t id[NET_CLUSTER_ID_BYTES])
{
    memcpy(t->cfg.cluster_id, id, NET_CLUSTER_ID_BYTES);
}

int net_set_peer(struct net_transport *t, uint64_t node, const char *addr)
{
    if (t->closing)
        return ERR_SHUTDOWN;
    char host[NET_ADDR_LEN_MAX + 1];
    uint16_t port;
    struct errbuf eb;
    if (node == RAFT_NONE || net_addr_parse(addr, host, sizeof host, &port, &eb) != 0 || port == 0)
        return ERR_INVAL;
    struct net_peer *p = net_peer_find(t, node);
    if (p != NULL) {
        if (strcmp(p->addr, addr) == 0)
            return 0;
        LOGI(NET_LOG, "node %" PRIu64 " moved from %s to %s", node, p->addr, addr);
        snprintf(p->addr, sizeof p->addr, "%s", addr);
        net_peer_disconnect(p);
        uv_timer_stop(&p->timer);
        p->backoff = false;
        p->failures = 0;
        return 0;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return ERR_NOMEM;
    p->t = t;
    p->h.key = node;
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    uv_timer_init(t->loop, &p->timer);
    p->timer.data = p;
    t->handles++;
    if (net_hinsert(&t->peers, &p->h) != 0) {
        uv_close((uv_handle_t *)&p->timer, net_on_peer_closed);
        return ERR_NOMEM;
    }
    return 0;
}

void net_del_peer(struct net_transport *t, uint64_t node)
{
    struct net_peer *p = t->closing ? NULL : net_peer_find(t, node);
    if (p == NULL)
        return;
    net_hremove(&t->peers, &p->h);
    net_peer_disconnect(p);
    uv_close((uv_handle_t *)&p->timer, net_on_peer_closed);
}

enum net_peer_state net_peer_state(const struct net_transport *t, uint64_t node)
{
    struct net_peer *p = net_peer_find(t, node);
    return p ? p->state : NET_PEER_UNKNOWN;
}

int net_send_raft(struct net_transport *t, uint64_t to, uint64_t group, const struct raft_msg *msgs,
                  uint32_t n)
{
    if (n == 0 || n > NET_RAFT_BATCH_MSGS_MAX)
        return ERR_INVAL;
    for (uint32_t i = 0; i < n; i++)
        if (msgs[i].from != t->cfg.node_id)
            return ERR_INVAL;
    struct net_conn *c;
    int rc = net_conn_for(t, to, &c);
    if (rc == 0 && net_conn_queue_full(c))
        rc = ERR_BUSY;
    size_t start = 0;
    uint32_t frames = 0;
    if (rc == 0) {
        start = c->wq.len;
        rc = net_raft_batch_encode(&c->wq, c->version, group, msgs, n, t->cfg.frame_bytes_max,
                                   &frames);
        if (rc == 0)
            rc = net_conn_queued(c, start, false);
    }
    if (rc == ERR_AGAIN || rc == ERR_BUSY)
        t->stats.raft_msgs_dropped += n;
    if (rc != 0)
        return rc;
    t->stats.raft_msgs_out += n;
    t->stats.frames_out += frames;
    return 0;
}

/* What a call sends: an RPC request or a snapshot chunk. */
struct net_call_frame {
    const struct net_rpc_request *req;
    const struct net_snapshot_chunk *chunk;
};

static int net_call_start(struct net_transport *t, uint64_t to, struct net_call_frame *fr,
                          uint32_t timeout_ms, net_rpc_cb cb, void *ctx)
{
    if (cb == NULL || timeout_ms == 0)
        return ERR_INVAL;
    if (t->closing)
        return ERR_SHUTDOWN;
    if (t->calls.n >= t->cfg.rpc_pending_max) {
        t->stats.rpc_busy++;
        return ERR_BUSY;
    }
    struct net_conn *c;
    int rc = net_conn_for(t, to, &c);
    if (rc != 0)
        return rc;
    if (net_conn_queue_full(c)) {
        t->stats.rpc_busy++;
        return ERR_BUSY;
    }
    struct net_call *call = calloc(1, sizeof *call);
    if (call == NULL)
        return ERR_NOMEM;
    call->t = t;
    call->h.key = ++t->next_request_id;
    call->cb = cb;
    call->ctx = ctx;
    size_t start = c->wq.len;
    if (fr->req != NULL) {
        struct net_rpc_request req = *fr->req;
        req.request_id = call->h.key;
        rc = net_rpc_request_encode(&c->wq, c->version, &req);
    } else {
        struct net_snapshot_chunk ch = *fr->chunk;
        ch.request_id = call->h.key;
        rc = net_snapshot_chunk_encode(&c->wq, c->version, &ch);
    }
    if (rc == 0)
        rc = net_conn_queued(c, start, true);
    if (rc == 0) {
        rc = net_hinsert(&t->calls, &call->h);
        if (rc != 0)
            c->wq.len = start;
    }
    if (rc != 0) {
        if (rc == ERR_BUSY)
            t->stats.rpc_busy++;
        free(call);
        return rc;
    }
    call->conn = c;
    net_list_init(&call->link);
    net_list_push(&c->calls, &call->link);
    uv_timer_init(t->loop, &call->timer);
    call->timer.data = call;
    t->handles++;
    uv_timer_start(&call->timer, net_on_call_timeout, timeout_ms, 0);
    t->stats.rpc_calls++;
    t->stats.frames_out++;
    return 0;
}

int net_rpc_call(struct net_transport *t, uint64_t to, uint16_t method, const void *payload,
                 size_t len, uint32_t timeout_ms, net_rpc_cb cb, void *ctx)
{
    if (len > t->cfg.frame_bytes_max)
        return ERR_TOOBIG;
    struct net_rpc_request req = {0, method, payload, (uint32_t)len};
    struct net_call_frame fr = {&req, NULL};
    return net_call_start(t, to, &fr, timeout_ms, cb, ctx);
}

int net_send_snapshot_chunk(struct net_transport *t, uint64_t to,
                            const struct net_snapshot_chunk *c, uint32_t timeout_ms, net_rpc_cb cb,
                            void *ctx)
{
    if (c->len > NET_SNAPSHOT_CHUNK_BYTES_MAX)
        return ERR_TOOBIG;
    if (c->flags & ~NET_SNAPSHOT_CHUNK_LAST)
        return ERR_INVAL;
    struct net_call_frame fr = {NULL, c};
    return net_call_start(t, to, &fr, timeout_ms, cb, ctx);
}

int net_rpc_respond(struct net_responder *r, int status, const void *payload, size_t len)
{
    struct net_conn *c = r->conn;
    uint64_t id = r->request_id;
    if (c != NULL) {
        net_list_remove(&r->link);
        ASSERT(c->n_serving > 0);
        c->n_serving--;
    }
    free(r);
    if (c == NULL)
        return ERR_IO; /* the transport may be gone: nothing to count it in */
    int rc = net_conn_respond(c, id, status, payload, len);
    if (rc == ERR_TOOBIG) {
        if (net_conn_respond(c, id, ERR_TOOBIG, NULL, 0) != 0)
            c->t->stats.responses_dropped++;
        return ERR_TOOBIG;
    }
    if (rc != 0)
        c->t->stats.responses_dropped++;
    return rc;
}

bool net_responder_from_member(const struct net_responder *r)
{
    return r->member;
}
