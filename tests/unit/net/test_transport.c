/* Unit tests for the peer transport: real transports on 127.0.0.1 ephemeral
 * ports in one libuv loop exchanging Raft messages, RPCs and snapshot chunks;
 * timeouts, reconnects, full queues, and raw sockets sending garbage. */
#include "test.h"

#include <stdbool.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/log.h"
#include "net/net.h"

static uv_loop_t loop;
static uv_timer_t guard; /* wakes the loop every few ms so RUN_UNTIL can check its deadline */

static void guard_cb(uv_timer_t *h)
{
    (void)h;
}

/* Runs the loop until cond holds or ms pass; the caller CHECKs cond after. */
#define RUN_UNTIL(cond, ms)                                                                        \
    do {                                                                                           \
        uint64_t dl_ = clock_mono_ms() + (ms);                                                     \
        while (!(cond) && clock_mono_ms() < dl_)                                                   \
            uv_run(&loop, UV_RUN_ONCE);                                                            \
    } while (0)

/* Runs the loop for about ms, for checking that something does NOT happen. */
static void run_for(uint64_t ms)
{
    uint64_t dl = clock_mono_ms() + ms;
    while (clock_mono_ms() < dl)
        uv_run(&loop, UV_RUN_ONCE);
}

static const uint8_t cluster_a[NET_CLUSTER_ID_BYTES] = {0xca, 0x12, 0x34, 1, 2,  3,  4,  5,
                                                        6,    7,    8,    9, 10, 11, 12, 13};
static const uint8_t cluster_b[NET_CLUSTER_ID_BYTES] = {0xcb};
static const uint8_t cluster_none[NET_CLUSTER_ID_BYTES] = {0};

enum serve_mode { SERVE_NOW, SERVE_HOLD };

#define HELD_MAX 16

struct node {
    struct net_transport *t;
    uint64_t id;
    bool closed;
    enum serve_mode mode;
    /* Raft */
    int raft_count;
    uint64_t raft_from, raft_group;
    struct raft_msg last;
    uint8_t last_data[2][64];
    uint32_t last_len[2];
    uint64_t indexes[64]; /* index of each received message, in order */
    /* RPC */
    int requests;
    uint16_t last_method;
    bool last_member;
    struct net_responder *held[HELD_MAX];
    int n_held;
    /* snapshot */
    int chunks;
    uint32_t chunk_crc;
    uint32_t chunk_seq_next;
    bool chunk_order_ok;
    /* peers */
    int ups, downs, hellos;
};

static void on_raft(void *ctx, uint64_t from, uint64_t group, const struct raft_msg *m)
{
    struct node *n = ctx;
    if (n->raft_count < 64)
        n->indexes[n->raft_count] = m->index;
    n->raft_count++;
    n->raft_from = from;
    n->raft_group = group;
    n->last = *m;
    n->last.entries = NULL;
    for (uint32_t i = 0; i < m->n_entries && i < 2; i++) {
        n->last_len[i] = m->entries[i].len < 64 ? m->entries[i].len : 64;
        memcpy(n->last_data[i], m->entries[i].data, n->last_len[i]);
    }
}

static void on_rpc_request(void *ctx, uint64_t from, struct net_responder *r, uint64_t request_id,
                           uint16_t method, const uint8_t *payload, size_t len)
{
    struct node *n = ctx;
    (void)from;
    (void)request_id;
    n->requests++;
    n->last_method = method;
    n->last_member = net_responder_from_member(r);
    if (n->mode == SERVE_HOLD && n->n_held < HELD_MAX) {
        n->held[n->n_held++] = r;
        return;
    }
    if (method == 10) {
        net_rpc_respond(r, ERR_NOTLEADER, NULL, 0);
        return;
    }
    char out[128];
    int k = snprintf(out, sizeof out, "echo:%.*s", (int)len, (const char *)payload);
    net_rpc_respond(r, 0, out, (size_t)k);
}

static void on_snapshot_chunk(void *ctx, uint64_t from, struct net_responder *r,
                              const struct net_snapshot_chunk *c)
{
    struct node *n = ctx;
    (void)from;
    if (c->seq != n->chunk_seq_next)
        n->chunk_order_ok = false;
    n->chunk_seq_next = c->seq + 1;
    n->chunk_crc = crc32c(n->chunk_crc, c->data, c->len);
    n->chunks++;
    net_rpc_respond(r, 0, NULL, 0);
}

static void on_peer_state(void *ctx, uint64_t node, enum net_peer_state state)
{
    struct node *n = ctx;
    (void)node;
    if (state == NET_PEER_UP)
        n->ups++;
    if (state == NET_PEER_DOWN)
        n->downs++;
}

static void on_hello(void *ctx, uint64_t node, const char *addr, bool member)
{
    struct node *n = ctx;
    (void)node;
    (void)addr;
    (void)member;
    n->hellos++;
}

static struct errbuf start_err; /* why the last node_start failed */

static int node_start_cfg(struct node *n, uint64_t id, const char *listen, const uint8_t *cluster,
                          struct net_config *cfg)
{
    memset(n, 0, sizeof *n);
    n->id = id;
    n->chunk_order_ok = true;
    cfg->node_id = id;
    memcpy(cfg->cluster_id, cluster, NET_CLUSTER_ID_BYTES);
    cfg->seed = id;
    struct net_callbacks cb = {n,       on_raft, on_rpc_request, on_snapshot_chunk, on_peer_state,
                               on_hello};
    int rc = net_transport_start(&loop, listen, cfg, &cb, &n->t, &start_err);
    if (rc != 0 && getenv("CAIRN_LOG") != NULL)
        fprintf(stderr, "  start: %s\n", start_err.msg);
    return rc;
}

static void fast_config(struct net_config *cfg)
{
    net_config_default(cfg);
    cfg->reconnect_delay_ms_min = 10;
    cfg->reconnect_delay_ms_max = 80;
    cfg->connect_timeout_ms = 2000;
}

static int node_start(struct node *n, uint64_t id, const char *listen, const uint8_t *cluster)
{
    struct net_config cfg;
    fast_config(&cfg);
    return node_start_cfg(n, id, listen, cluster, &cfg);
}

static void on_closed(void *ctx)
{
    ((struct node *)ctx)->closed = true;
}

static void node_close(struct node *n)
{
    if (n->t == NULL)
        return;
    net_transport_close(n->t, on_closed, n);
    n->t = NULL;
    RUN_UNTIL(n->closed, 5000);
}

static struct net_stats stats(const struct node *n)
{
    struct net_stats s;
    net_transport_stats(n->t, &s);
    return s;
}

static void setup(void)
{
    if (getenv("CAIRN_LOG") == NULL)
        log_set_level(LOG_ERROR); /* the failures provoked here are expected */
    uv_loop_init(&loop);
    uv_timer_init(&loop, &guard);
    uv_timer_start(&guard, guard_cb, 5, 5);
}

/* Returns whether every handle was closed: uv_loop_close fails otherwise. */
static bool teardown(void)
{
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop) == 0;
}

/* Two members of cluster A that know each other's address. */
static bool pair_start(struct node *a, struct node *b)
{
    if (node_start(a, 1, "127.0.0.1:0", cluster_a) != 0 ||
        node_start(b, 2, "127.0.0.1:0", cluster_a) != 0)
        return false;
    return net_set_peer(a->t, 2, net_transport_addr(b->t)) == 0 &&
           net_set_peer(b->t, 1, net_transport_addr(a->t)) == 0;
}

struct rpc_result {
    int calls;
    int err;
    int status;
    char payload[128];
    size_t len;
};

static void rpc_done(void *ctx, int err, int status, const uint8_t *payload, size_t len)
{
    struct rpc_result *r = ctx;
    r->calls++;
    r->err = err;
    r->status = status;
    r->len = len < sizeof r->payload - 1 ? len : sizeof r->payload - 1;
    if (r->len)
        memcpy(r->payload, payload, r->len);
    r->payload[r->len] = '\0';
}

static struct raft_msg heartbeat(uint64_t from, uint64_t to, uint64_t index)
{
    struct raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .from = from, .to = to, .term = 4};
    m.index = index;
    m.commit = 9;
    return m;
}

/* ---- Tests -------------------------------------------------------------------------------- */

TEST(raft_messages_and_rpcs_flow_both_ways)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));

    /* the caller's memory may change right after the call: it was encoded */
    uint8_t d0[] = "first entry", d1[] = "second";
    struct raft_entry ents[2] = {{3, 11, RAFT_ENTRY_NORMAL, sizeof d0, d0},
                                 {3, 12, RAFT_ENTRY_CONF, sizeof d1, d1}};
    struct raft_msg m = {.type = RAFT_MSG_APPEND,
                         .from = 1,
                         .to = 2,
                         .term = 3,
                         .log_term = 2,
                         .index = 10,
                         .commit = 9,
                         .n_entries = 2,
                         .entries = ents};
    CHECK_EQ(net_send_raft(a.t, 2, 7, &m, 1), 0);
    memset(d0, 'X', sizeof d0);
    memset(&m, 0, sizeof m);
    RUN_UNTIL(b.raft_count == 1, 5000);
    CHECK_EQ(b.raft_count, 1);
    CHECK_EQ(b.raft_from, 1);
    CHECK_EQ(b.raft_group, 7);
    CHECK_EQ(b.last.type, RAFT_MSG_APPEND);
    CHECK_EQ(b.last.term, 3);
    CHECK_EQ(b.last.log_term, 2);
    CHECK_EQ(b.last.index, 10);
    CHECK_EQ(b.last.n_entries, 2);
    CHECK_EQ(b.last_len[0], sizeof d0);
    CHECK(memcmp(b.last_data[0], "first entry", sizeof d0) == 0);
    CHECK(memcmp(b.last_data[1], "second", sizeof d1) == 0);
    CHECK_EQ(a.ups, 1);
    CHECK_EQ(net_peer_state(a.t, 2), NET_PEER_UP);
    CHECK_EQ(b.hellos, 1);

    /* the other direction uses B's own connection */
    struct raft_msg hb = heartbeat(2, 1, 77);
    hb.reject = true;
    CHECK_EQ(net_send_raft(b.t, 1, 8, &hb, 1), 0);
    RUN_UNTIL(a.raft_count == 1, 5000);
    CHECK_EQ(a.raft_count, 1);
    CHECK_EQ(a.last.index, 77);
    CHECK(a.last.reject);
    CHECK_EQ(a.raft_group, 8);

    struct rpc_result r1 = {0}, r2 = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 9, "ping", 4, 5000, rpc_done, &r1), 0);
    CHECK_EQ(r1.calls, 0); /* never from inside the call */
    CHECK_EQ(net_rpc_call(a.t, 2, 10, NULL, 0, 5000, rpc_done, &r2), 0);
    RUN_UNTIL(r1.calls && r2.calls, 5000);
    CHECK_EQ(r1.calls, 1);
    CHECK_EQ(r1.err, 0);
    CHECK_EQ(r1.status, 0);
    CHECK_STR(r1.payload, "echo:ping");
    CHECK_EQ(b.last_method, 10);
    CHECK(b.last_member);
    CHECK_EQ(r2.calls, 1);
    CHECK_EQ(r2.err, 0);
    CHECK(r2.status == ERR_NOTLEADER);

    struct net_stats sa = stats(&a), sb = stats(&b);
    CHECK_EQ(sa.conns_open, 2); /* its outgoing one and B's incoming one */
    CHECK_EQ(sb.conns_open, 2);
    CHECK_EQ(sa.raft_msgs_out, 1);
    CHECK_EQ(sb.raft_msgs_in, 1);
    CHECK_EQ(sa.rpc_calls, 2);
    CHECK_EQ(sb.rpc_served, 2);
    CHECK_EQ(sa.decode_errors + sb.decode_errors + sa.protocol_errors + sb.protocol_errors, 0);
    CHECK(sa.bytes_out > 0 && sb.bytes_in > 0);
    node_close(&a);
    node_close(&b);
    CHECK(a.closed && b.closed);
    CHECK(teardown());
}

TEST(frames_queued_in_one_iteration_go_out_in_one_write)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    struct raft_msg hb = heartbeat(1, 2, 0);
    CHECK_EQ(net_send_raft(a.t, 2, 1, &hb, 1), 0);
    RUN_UNTIL(b.raft_count == 1, 5000);
    CHECK_EQ(b.raft_count, 1);

    uint64_t writes = stats(&a).writes;
    for (uint64_t i = 1; i <= 50; i++) {
        hb = heartbeat(1, 2, i);
        CHECK_EQ(net_send_raft(a.t, 2, 1, &hb, 1), 0);
    }
    struct raft_msg three[3] = {heartbeat(1, 2, 51), heartbeat(1, 2, 52), heartbeat(1, 2, 53)};
    CHECK_EQ(net_send_raft(a.t, 2, 1, three, 3), 0);
    RUN_UNTIL(b.raft_count == 54, 5000);
    CHECK_EQ(b.raft_count, 54);
    CHECK_EQ(stats(&a).writes, writes + 1);
    for (int i = 0; i < 54; i++)
        CHECK_EQ(b.indexes[i], (uint64_t)i);
    CHECK_EQ(stats(&a).frames_out, 1 + 1 + 51); /* HELLO, the first heartbeat, 51 batches */
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(rpc_timeout_fires_once_and_a_late_response_is_harmless)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    b.mode = SERVE_HOLD;
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "slow", 4, 100, rpc_done, &r), 0);
    RUN_UNTIL(r.calls == 1, 5000);
    CHECK_EQ(r.calls, 1);
    CHECK(r.err == ERR_TIMEOUT);
    CHECK_EQ(b.n_held, 1);
    CHECK_EQ(stats(&a).rpc_timeouts, 1);

    /* the answer arrives after the timeout: it is dropped, the callback stays fired once */
    uint64_t frames_in = stats(&a).frames_in;
    CHECK_EQ(net_rpc_respond(b.held[0], 0, "late", 4), 0);
    RUN_UNTIL(stats(&a).frames_in > frames_in, 5000);
    CHECK_EQ(stats(&a).frames_in, frames_in + 1);
    run_for(20);
    CHECK_EQ(r.calls, 1);

    /* answered later, from outside any callback */
    struct rpc_result r2 = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "held", 4, 5000, rpc_done, &r2), 0);
    RUN_UNTIL(b.n_held == 2, 5000);
    CHECK_EQ(b.n_held, 2);
    run_for(20);
    CHECK_EQ(r2.calls, 0);
    CHECK_EQ(net_rpc_respond(b.held[1], 5, "done", 4), 0);
    RUN_UNTIL(r2.calls == 1, 5000);
    CHECK_EQ(r2.err, 0);
    CHECK_EQ(r2.status, 5);
    CHECK_STR(r2.payload, "done");
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(responders_outlive_their_connection_and_transport)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    b.mode = SERVE_HOLD;
    struct rpc_result r1 = {0}, r2 = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "one", 3, 5000, rpc_done, &r1), 0);
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "two", 3, 5000, rpc_done, &r2), 0);
    RUN_UNTIL(b.n_held == 2, 5000);
    CHECK_EQ(b.n_held, 2);

    /* closing A fails its calls with ERR_SHUTDOWN */
    net_transport_close(a.t, on_closed, &a);
    a.t = NULL;
    CHECK_EQ(r1.calls, 1);
    CHECK(r1.err == ERR_SHUTDOWN);
    CHECK_EQ(r2.calls, 1);
    RUN_UNTIL(a.closed && stats(&b).conns_open == 0, 5000);
    CHECK(a.closed);
    CHECK_EQ(stats(&b).conns_open, 0);
    CHECK(net_rpc_respond(b.held[0], 0, "x", 1) == ERR_IO);
    CHECK_EQ(stats(&b).responses_dropped, 0); /* nothing was dropped: there was no connection */

    /* and a responder kept past its transport's end is still safe to answer */
    node_close(&b);
    CHECK(net_rpc_respond(b.held[1], 0, "y", 1) == ERR_IO);
    CHECK(teardown());
}

TEST(peer_that_goes_away_and_comes_back_is_redialed)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    uint16_t port = net_transport_port(b.t);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    struct raft_msg hb = heartbeat(1, 2, 1);
    CHECK_EQ(net_send_raft(a.t, 2, 1, &hb, 1), 0);
    RUN_UNTIL(b.raft_count == 1, 5000);
    CHECK_EQ(a.ups, 1);

    /* a call in flight when B dies fails with ERR_IO, and A hears B is down once */
    b.mode = SERVE_HOLD;
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "x", 1, 10000, rpc_done, &r), 0);
    RUN_UNTIL(b.n_held == 1, 5000);
    CHECK_EQ(b.n_held, 1);
    node_close(&b);
    RUN_UNTIL(r.calls == 1 && a.downs == 1, 5000);
    CHECK_EQ(r.calls, 1);
    CHECK(r.err == ERR_IO);
    CHECK_EQ(a.downs, 1);
    CHECK_EQ(net_peer_state(a.t, 2), NET_PEER_DOWN);
    CHECK(net_rpc_respond(b.held[0], 0, NULL, 0) == ERR_IO);

    /* while B is gone A keeps redialing with backoff; sends in the gaps are refused */
    int again = 0;
    uint64_t dl = clock_mono_ms() + 300;
    while (clock_mono_ms() < dl) {
        hb = heartbeat(1, 2, 2);
        int rc = net_send_raft(a.t, 2, 1, &hb, 1);
        CHECK(rc == 0 || rc == ERR_AGAIN);
        again += rc == ERR_AGAIN;
        uv_run(&loop, UV_RUN_ONCE);
    }
    CHECK(again > 0);
    CHECK_EQ(a.downs, 1); /* reported once, not once per attempt */
    CHECK(stats(&a).reconnects >= 2);
    CHECK(stats(&a).raft_msgs_dropped > 0);

    /* B comes back on the same port: A reconnects by itself */
    struct node b2;
    CHECK_EQ(node_start(&b2, 2, addr, cluster_a), 0);
    RUN_UNTIL(a.ups == 2, 5000);
    CHECK_EQ(a.ups, 2);
    CHECK_EQ(net_peer_state(a.t, 2), NET_PEER_UP);
    hb = heartbeat(1, 2, 99);
    CHECK_EQ(net_send_raft(a.t, 2, 1, &hb, 1), 0);
    RUN_UNTIL(b2.raft_count > 0 && b2.last.index == 99, 5000);
    CHECK_EQ(b2.last.index, 99);
    struct rpc_result r2 = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "back", 4, 5000, rpc_done, &r2), 0);
    RUN_UNTIL(r2.calls == 1, 5000);
    CHECK_EQ(r2.err, 0);
    CHECK_STR(r2.payload, "echo:back");
    node_close(&a);
    node_close(&b2);
    CHECK(teardown());
}

/* A raw TCP client that sends bytes and collects whatever comes back until
 * the server closes. */
struct raw {
    uv_tcp_t tcp;
    uv_connect_t conn;
    uv_write_t w;
    uv_buf_t out;
    struct buf in;
    bool done;
};

static void raw_closed(uv_handle_t *h)
{
    struct raw *r = h->data;
    r->done = true;
}

static void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    struct raw *r = h->data;
    buf_reserve(&r->in, 4096);
    *out = uv_buf_init((char *)r->in.data + r->in.len, 4096);
    (void)suggested;
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct raw *r = s->data;
    (void)b;
    if (n > 0)
        r->in.len += (size_t)n;
    if (n < 0 && !uv_is_closing((uv_handle_t *)s))
        uv_close((uv_handle_t *)s, raw_closed);
}

static void raw_written(uv_write_t *w, int status)
{
    (void)w;
    (void)status;
}

static void raw_connected(uv_connect_t *c, int status)
{
    struct raw *r = c->data;
    if (status < 0) {
        uv_close((uv_handle_t *)&r->tcp, raw_closed);
        return;
    }
    if (r->out.len > 0)
        uv_write(&r->w, (uv_stream_t *)&r->tcp, &r->out, 1, raw_written);
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
}

static void raw_send(struct raw *r, uint16_t port, const void *data, size_t len)
{
    memset(r, 0, sizeof *r);
    r->out = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);
    uv_tcp_init(&loop, &r->tcp);
    r->tcp.data = r;
    r->conn.data = r;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", port, &sa);
    uv_tcp_connect(&r->conn, &r->tcp, (const struct sockaddr *)&sa, raw_connected);
}

/* Whether what the server sent back is a CLOSE frame whose reason contains want. */
static bool raw_got_close(const struct raw *r, const char *want)
{
    struct net_frame f;
    size_t used;
    struct errbuf eb;
    struct net_frame_limits lim = {NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX, 4096};
    if (net_frame_decode(r->in.data, r->in.len, &lim, &f, &used, &eb) != 0)
        return false;
    struct net_close cl;
    if (f.type != NET_FRAME_CLOSE || net_close_decode(f.payload, f.len, &cl, &eb) != 0)
        return false;
    return strstr(cl.reason, want) != NULL;
}

static void hello_frame(struct buf *b, uint16_t version, const uint8_t *cluster, uint64_t node)
{
    struct net_hello h;
    memset(&h, 0, sizeof h);
    memcpy(h.cluster_id, cluster, NET_CLUSTER_ID_BYTES);
    h.node_id = node;
    h.version_min = h.version_max = version;
    strcpy(h.addr, "127.0.0.1:1");
    net_hello_encode(b, version, &h);
}

TEST(garbage_and_bad_handshakes_close_only_that_connection)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    uint16_t port = net_transport_port(b.t);
    struct raw r;

    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_send(&r, port, http, sizeof http - 1);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK_EQ(r.in.len, 0);
    CHECK_EQ(stats(&b).decode_errors, 1);
    buf_free(&r.in);

    /* a well-formed HELLO in a version this node does not speak */
    struct buf v2 = BUF_INIT;
    hello_frame(&v2, 2, cluster_a, 9);
    raw_send(&r, port, v2.data, v2.len);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK_EQ(stats(&b).decode_errors, 2);
    buf_free(&r.in);

    /* a frame longer than a handshake may be */
    uint8_t big[NET_FRAME_HEADER_BYTES];
    memcpy(big, "CRNP", 4);
    codec_put_u16(big + NET_FRAME_OFF_version, 1);
    codec_put_u16(big + NET_FRAME_OFF_type, NET_FRAME_HELLO);
    codec_put_u16(big + NET_FRAME_OFF_flags, 0);
    codec_put_u32(big + NET_FRAME_OFF_len, NET_FRAME_BYTES_MAX);
    codec_put_u32(big + NET_FRAME_OFF_crc, 0);
    raw_send(&r, port, big, sizeof big);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK_EQ(stats(&b).decode_errors, 3);
    buf_free(&r.in);

    /* another cluster: refused with a CLOSE frame that says why */
    struct buf other = BUF_INIT;
    hello_frame(&other, 1, cluster_b, 9);
    raw_send(&r, port, other.data, other.len);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK(raw_got_close(&r, "cluster id mismatch"));
    CHECK_EQ(stats(&b).handshake_rejects, 1);
    buf_free(&r.in);

    /* a frame other than HELLO first */
    struct buf req = BUF_INIT;
    struct net_rpc_request rq = {1, 1, NULL, 0};
    net_rpc_request_encode(&req, 1, &rq);
    raw_send(&r, port, req.data, req.len);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK_EQ(stats(&b).protocol_errors, 1);
    buf_free(&r.in);

    /* none of it disturbed a well-behaved peer */
    struct raft_msg hb = heartbeat(1, 2, 5);
    CHECK_EQ(net_send_raft(a.t, 2, 3, &hb, 1), 0);
    struct rpc_result res = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "ok", 2, 5000, rpc_done, &res), 0);
    RUN_UNTIL(b.raft_count == 1 && res.calls == 1, 5000);
    CHECK_EQ(b.raft_count, 1);
    CHECK_STR(res.payload, "echo:ok");
    CHECK_EQ(stats(&b).conns_open, 1);
    CHECK_EQ(stats(&a).decode_errors, 0);
    buf_free(&v2);
    buf_free(&other);
    buf_free(&req);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(a_peer_sending_garbage_after_the_handshake_is_cut_off)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    uint16_t port = net_transport_port(b.t);
    /* a valid HELLO from node 9 of the right cluster, then a frame with a bad CRC */
    static struct buf stream = BUF_INIT;
    buf_reset(&stream);
    hello_frame(&stream, 1, cluster_a, 9);
    size_t at = stream.len;
    struct raft_msg hb = heartbeat(9, 2, 1);
    net_raft_batch_encode(&stream, 1, 1, &hb, 1, NET_FRAME_BYTES_MAX, NULL);
    stream.data[stream.len - 1] ^= 1;
    struct raw r;
    raw_send(&r, port, stream.data, stream.len);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    /* the HELLO was answered, then the connection dropped without delivering anything */
    CHECK(r.in.len > 0);
    CHECK_EQ(b.raft_count, 0);
    CHECK_EQ(stats(&b).decode_errors, 1);
    buf_free(&r.in);

    /* raft messages claiming another sender are refused too */
    stream.len = at;
    hb = heartbeat(1, 2, 1);
    net_raft_batch_encode(&stream, 1, 1, &hb, 1, NET_FRAME_BYTES_MAX, NULL);
    raw_send(&r, port, stream.data, stream.len);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK_EQ(b.raft_count, 0);
    CHECK_EQ(stats(&b).protocol_errors, 1);
    buf_free(&r.in);
    buf_free(&stream);

    CHECK_EQ(net_send_raft(a.t, 2, 1, &hb, 1), 0);
    RUN_UNTIL(b.raft_count == 1, 5000);
    CHECK_EQ(b.raft_count, 1);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(full_queue_drops_raft_and_refuses_rpcs)
{
    setup();
    struct node a, b;
    struct net_config cfg;
    fast_config(&cfg);
    cfg.frame_bytes_max = 64 * 1024;
    cfg.queue_bytes_max = 128 * 1024;
    CHECK_EQ(node_start_cfg(&a, 1, "127.0.0.1:0", cluster_a, &cfg), 0);
    CHECK_EQ(node_start(&b, 2, "127.0.0.1:0", cluster_a), 0);
    CHECK_EQ(net_set_peer(a.t, 2, net_transport_addr(b.t)), 0);

    static uint8_t data[10000];
    struct raft_entry e = {1, 1, RAFT_ENTRY_NORMAL, sizeof data, data};
    struct raft_msg m = {
        .type = RAFT_MSG_APPEND, .from = 1, .to = 2, .n_entries = 1, .entries = &e};
    int accepted = 0, busy = 0;
    for (int i = 0; i < 40; i++) {
        m.index = (uint64_t)i;
        int rc = net_send_raft(a.t, 2, 1, &m, 1);
        CHECK(rc == 0 || rc == ERR_BUSY);
        accepted += rc == 0;
        busy += rc == ERR_BUSY;
    }
    CHECK(accepted >= 10 && accepted <= 13); /* 128 KiB of ~10 KiB frames */
    CHECK_EQ(busy, 40 - accepted);
    CHECK_EQ(stats(&a).raft_msgs_dropped, (uint64_t)busy);
    struct rpc_result r = {0};
    CHECK(net_rpc_call(a.t, 2, 1, data, 9000, 5000, rpc_done, &r) == ERR_BUSY);
    CHECK_EQ(stats(&a).rpc_busy, 1);
    /* too big for a frame at all */
    static uint8_t huge[70000];
    CHECK(net_rpc_call(a.t, 2, 1, huge, sizeof huge, 5000, rpc_done, &r) == ERR_TOOBIG);

    RUN_UNTIL(b.raft_count == accepted, 5000);
    run_for(20);
    CHECK_EQ(b.raft_count, accepted);
    for (int i = 0; i < accepted; i++)
        CHECK_EQ(b.indexes[i], (uint64_t)i);
    /* drained: accepted again */
    CHECK_EQ(net_send_raft(a.t, 2, 1, &m, 1), 0);
    CHECK_EQ(r.calls, 0);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

static void chunk_done(void *ctx, int err, int status, const uint8_t *payload, size_t len)
{
    int *acks = ctx;
    (void)payload;
    (void)len;
    if (err == 0 && status == 0)
        (*acks)++;
    else
        *acks = -1000;
}

TEST(snapshot_chunks_are_delivered_in_order_and_acknowledged)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    static uint8_t data[3][200000];
    uint32_t crc = 0;
    for (int i = 0; i < 3; i++) {
        for (size_t k = 0; k < sizeof data[i]; k++)
            data[i][k] = (uint8_t)(k * 31 + (size_t)i);
        crc = crc32c(crc, data[i], sizeof data[i]);
    }
    int acks = 0;
    for (uint32_t i = 0; i < 3; i++) {
        struct net_snapshot_chunk c = {0,
                                       5,
                                       1000,
                                       3,
                                       i * sizeof data[0],
                                       i,
                                       i == 2 ? NET_SNAPSHOT_CHUNK_LAST : 0,
                                       data[i],
                                       sizeof data[i]};
        CHECK_EQ(net_send_snapshot_chunk(a.t, 2, &c, 5000, chunk_done, &acks), 0);
    }
    RUN_UNTIL(acks == 3, 5000);
    CHECK_EQ(acks, 3);
    CHECK_EQ(b.chunks, 3);
    CHECK(b.chunk_order_ok);
    CHECK_EQ(b.chunk_crc, crc);
    struct net_snapshot_chunk big = {
        0, 5, 1000, 3, 0, 0, 0, NULL, NET_SNAPSHOT_CHUNK_BYTES_MAX + 1};
    CHECK(net_send_snapshot_chunk(a.t, 2, &big, 5000, chunk_done, &acks) == ERR_TOOBIG);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(joining_node_may_call_but_not_send_raft)
{
    setup();
    struct node a, b, j;
    CHECK(pair_start(&a, &b));
    CHECK_EQ(node_start(&j, 5, "127.0.0.1:0", cluster_none), 0);
    /* the joiner knows only an address: any node id may answer there */
    uint64_t seed = NET_PEER_ID_ADDR_ONLY | 1;
    CHECK_EQ(net_set_peer(j.t, seed, net_transport_addr(b.t)), 0);
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(j.t, seed, 3, "join", 4, 5000, rpc_done, &r), 0);
    RUN_UNTIL(r.calls == 1, 5000);
    CHECK_EQ(r.err, 0);
    CHECK_STR(r.payload, "echo:join");
    CHECK(!b.last_member);

    /* B does not take Raft traffic from a non-member */
    CHECK_EQ(net_set_peer(j.t, 2, net_transport_addr(b.t)), 0);
    struct raft_msg hb = heartbeat(5, 2, 1);
    CHECK_EQ(net_send_raft(j.t, 2, 1, &hb, 1), 0);
    RUN_UNTIL(stats(&b).protocol_errors == 1, 5000);
    CHECK_EQ(stats(&b).protocol_errors, 1);
    CHECK_EQ(b.raft_count, 0);

    /* and the member A refuses to talk to the joiner until it has the cluster id */
    CHECK_EQ(net_set_peer(a.t, 5, net_transport_addr(j.t)), 0);
    hb = heartbeat(1, 5, 1);
    CHECK_EQ(net_send_raft(a.t, 5, 1, &hb, 1), 0);
    RUN_UNTIL(a.downs == 1, 5000);
    CHECK_EQ(a.downs, 1);
    CHECK_EQ(j.raft_count, 0);
    net_set_cluster_id(j.t, cluster_a);
    RUN_UNTIL(a.ups == 1, 5000);
    CHECK_EQ(a.ups, 1);
    CHECK_EQ(net_send_raft(a.t, 5, 1, &hb, 1), 0);
    RUN_UNTIL(j.raft_count == 1, 5000);
    CHECK_EQ(j.raft_count, 1);
    node_close(&a);
    node_close(&b);
    node_close(&j);
    CHECK(teardown());
}

TEST(wrong_node_at_an_address_is_refused)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    CHECK_EQ(net_set_peer(a.t, 3, net_transport_addr(b.t)), 0); /* B is node 2 */
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(a.t, 3, 1, "x", 1, 5000, rpc_done, &r), 0);
    RUN_UNTIL(r.calls == 1, 5000);
    CHECK(r.err == ERR_IO);
    CHECK_EQ(b.requests, 0);
    CHECK_EQ(a.downs, 1);
    CHECK(stats(&a).handshake_rejects >= 1);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(removing_a_peer_fails_its_calls)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    b.mode = SERVE_HOLD;
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "x", 1, 5000, rpc_done, &r), 0);
    RUN_UNTIL(b.n_held == 1, 5000);
    net_del_peer(a.t, 2);
    CHECK_EQ(r.calls, 1);
    CHECK(r.err == ERR_IO);
    CHECK(net_rpc_call(a.t, 2, 1, "x", 1, 5000, rpc_done, &r) == ERR_NOTFOUND);
    CHECK_EQ(net_peer_state(a.t, 2), NET_PEER_UNKNOWN);
    RUN_UNTIL(stats(&b).conns_open == 0, 5000);
    CHECK(net_rpc_respond(b.held[0], 0, NULL, 0) == ERR_IO);
    CHECK_EQ(a.downs, 0);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(api_misuse_gets_clean_errors)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    struct raft_msg hb = heartbeat(1, 9, 1);
    CHECK(net_send_raft(a.t, 9, 1, &hb, 1) == ERR_NOTFOUND);
    hb = heartbeat(7, 2, 1);
    CHECK(net_send_raft(a.t, 2, 1, &hb, 1) == ERR_INVAL);
    CHECK(net_send_raft(a.t, 2, 1, &hb, 0) == ERR_INVAL);
    struct rpc_result r = {0};
    CHECK(net_rpc_call(a.t, 2, 1, NULL, 0, 0, rpc_done, &r) == ERR_INVAL);
    CHECK(net_rpc_call(a.t, 2, 1, NULL, 0, 100, NULL, NULL) == ERR_INVAL);
    CHECK(net_set_peer(a.t, 3, "nonsense") == ERR_INVAL);
    CHECK(net_set_peer(a.t, 0, "127.0.0.1:1") == ERR_INVAL);
    CHECK(net_set_peer(a.t, 3, "127.0.0.1:0") == ERR_INVAL);

    struct node c;
    CHECK(node_start(&c, 3, net_transport_addr(a.t), cluster_a) == ERR_IO); /* port taken */
    CHECK(strstr(start_err.msg, "address already in use") != NULL);
    CHECK(node_start(&c, 0, "127.0.0.1:0", cluster_a) == ERR_INVAL);
    CHECK(strstr(start_err.msg, "node id") != NULL);
    CHECK(node_start(&c, 3, "127.0.0.1", cluster_a) == ERR_INVAL);
    CHECK(strstr(start_err.msg, "host:port") != NULL);
    struct net_config cfg;
    fast_config(&cfg);
    cfg.queue_bytes_max = 10;
    CHECK(node_start_cfg(&c, 3, "127.0.0.1:0", cluster_a, &cfg) == ERR_INVAL);
    CHECK(strstr(start_err.msg, "queue_bytes_max") != NULL);
    CHECK_EQ(r.calls, 0);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST(dialing_a_dead_address_reports_down_and_backs_off)
{
    setup();
    struct node a, b;
    CHECK(pair_start(&a, &b));
    uint16_t port = net_transport_port(b.t);
    node_close(&b);
    char addr[64];
    snprintf(addr, sizeof addr, "localhost:%u", port); /* through the resolver */
    CHECK_EQ(net_set_peer(a.t, 2, addr), 0);
    struct rpc_result r = {0};
    CHECK_EQ(net_rpc_call(a.t, 2, 1, "x", 1, 5000, rpc_done, &r), 0);
    RUN_UNTIL(r.calls == 1, 5000);
    CHECK(r.err == ERR_IO);
    CHECK_EQ(a.downs, 1);
    run_for(200);
    uint64_t dialed = stats(&a).conns_dialed;
    CHECK(dialed >= 3);  /* it keeps trying ... */
    CHECK(dialed <= 40); /* ... with backoff (10..80 ms), not in a busy loop */
    CHECK_EQ(a.downs, 1);
    node_close(&a);
    CHECK(teardown());
}

/* A listener that accepts and then says nothing. */
struct silent {
    uv_tcp_t srv;
    uv_tcp_t conns[4];
    int n;
};

static void silent_accept(uv_stream_t *srv, int status)
{
    struct silent *s = srv->data;
    if (status < 0 || s->n == 4)
        return;
    uv_tcp_init(&loop, &s->conns[s->n]);
    if (uv_accept(srv, (uv_stream_t *)&s->conns[s->n]) == 0)
        s->n++;
    else
        uv_close((uv_handle_t *)&s->conns[s->n], NULL);
}

TEST(silent_peers_hit_the_handshake_deadline)
{
    setup();
    struct node a, b;
    struct net_config cfg;
    fast_config(&cfg);
    cfg.connect_timeout_ms = 200;
    CHECK_EQ(node_start_cfg(&a, 1, "127.0.0.1:0", cluster_a, &cfg), 0);
    CHECK_EQ(node_start_cfg(&b, 2, "127.0.0.1:0", cluster_a, &cfg), 0);

    /* a client that connects and never sends HELLO is cut off */
    struct raw r;
    uint64_t t0 = clock_mono_ms();
    raw_send(&r, net_transport_port(b.t), NULL, 0);
    RUN_UNTIL(r.done, 5000);
    CHECK(r.done);
    CHECK(clock_mono_ms() - t0 >= 150);
    CHECK_EQ(stats(&b).conns_open, 0);
    buf_free(&r.in);

    /* a listener that never answers our HELLO fails the call and the peer */
    static struct silent s;
    memset(&s, 0, sizeof s);
    uv_tcp_init(&loop, &s.srv);
    s.srv.data = &s;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    CHECK_EQ(uv_tcp_bind(&s.srv, (const struct sockaddr *)&sa, 0), 0);
    CHECK_EQ(uv_listen((uv_stream_t *)&s.srv, 8, silent_accept), 0);
    int len = sizeof sa;
    uv_tcp_getsockname(&s.srv, (struct sockaddr *)&sa, &len);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    CHECK_EQ(net_set_peer(a.t, 7, addr), 0);
    struct rpc_result res = {0};
    CHECK_EQ(net_rpc_call(a.t, 7, 1, "x", 1, 5000, rpc_done, &res), 0);
    RUN_UNTIL(res.calls == 1, 5000);
    CHECK_EQ(res.calls, 1);
    CHECK(res.err == ERR_IO);
    CHECK_EQ(a.downs, 1);
    CHECK(s.n >= 1);
    for (int i = 0; i < s.n; i++)
        uv_close((uv_handle_t *)&s.conns[i], NULL);
    uv_close((uv_handle_t *)&s.srv, NULL);
    node_close(&a);
    node_close(&b);
    CHECK(teardown());
}

TEST_MAIN()
