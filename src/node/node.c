/* The node runtime: start-up (bootstrap, join or restart), the tick, the
 * peer RPCs, forwarding of writes to the leader, the membership reconciler
 * and graceful shutdown. */
#include "node/node.h"

#include "node/node_int.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "model/cluster/cluster.h"
#include "net/net.h"
#include "node/api.h"
#include "node/flusher.h"
#include "node/identity.h"
#include "node/sql_exec.h"
#include "wal/wal.h"

static void node_start_member(struct node *n);
static void node_begin_shutdown(struct node *n, int exit_code);
static void node_fatal(struct node *n, const char *what, const char *msg);

/* ------------------------------------------------------------ results on the wire */

/* The fixed fields, then the model's output (if any) to the end. */
static void node_result_encode(struct buf *out, const struct store_result *r)
{
    uint8_t p[NODE_RESULT_BYTES];
    codec_put_u32(p, (uint32_t)r->status);
    codec_put_u64(p + 4, r->version);
    p[12] = r->existed;
    codec_put_u32(p + 13, r->failed_op);
    codec_put_u64(p + 17, r->current_version);
    buf_append(out, p, sizeof p);
    if (r->output_len > 0)
        buf_append(out, r->output, r->output_len);
}

/* r->output points into p afterwards: valid as long as p is. */
static int node_result_decode(const uint8_t *p, size_t len, struct store_result *r)
{
    if (len < NODE_RESULT_BYTES)
        return ERR_MALFORMED;
    memset(r, 0, sizeof *r);
    r->status = (int32_t)codec_get_u32(p);
    r->version = codec_get_u64(p + 4);
    r->existed = p[12] != 0;
    r->failed_op = codec_get_u32(p + 13);
    r->current_version = codec_get_u64(p + 17);
    if (len > NODE_RESULT_BYTES) {
        r->output = (uint8_t *)(p + NODE_RESULT_BYTES);
        r->output_len = (uint32_t)(len - NODE_RESULT_BYTES);
    }
    return 0;
}

/* ------------------------------------------------------------ accessors */

uv_loop_t *node_loop(struct node *n)
{
    return &n->loop;
}

struct store *node_store(struct node *n)
{
    return group_store(n->group);
}

struct group *node_group(struct node *n)
{
    return n->group;
}

enum node_state node_state(const struct node *n)
{
    return n->state;
}

int node_rpc_call(struct node *n, uint64_t to, uint16_t method, const void *payload, size_t len,
                  uint32_t timeout_ms, net_rpc_cb cb, void *ctx)
{
    if (n->net == NULL || n->closing)
        return ERR_SHUTDOWN;
    return net_rpc_call(n->net, to, method, payload, len, timeout_ms, cb, ctx);
}

uint64_t node_id(const struct node *n)
{
    return n->ident.node_id;
}

enum net_peer_state node_peer_state(const struct node *n, uint64_t id)
{
    return n->net ? net_peer_state(n->net, id) : NET_PEER_UNKNOWN;
}

const char *node_name(const struct node *n)
{
    return n->cfg.name;
}

const char *node_cluster_hex(const struct node *n)
{
    return n->cluster_hex;
}

/* ------------------------------------------------------------ writes */

struct group *node_find_group(struct node *n, uint64_t id)
{
    for (uint32_t i = 0; i < n->n_groups; i++)
        if (group_id(n->groups[i]) == id)
            return n->groups[i];
    return NULL;
}

static void node_write_finish(struct node_write_op *op, int err, const struct store_result *res)
{
    op->fn(op->arg, err, res);
    buf_free(&op->cmd);
    buf_free(&op->key);
    free(op);
}

static void node_write_retry_later(struct node_write_op *op);

/* A kv write refused for a bucket its replicaset does not own (a move
 * flipped it, or our route is stale) changed nothing: route it again. */
static bool node_write_rerouted(struct node_write_op *op, int err, const struct store_result *res)
{
    if (err != 0 || res == NULL || res->status != ERR_STALE || op->key.len == 0)
        return false;
    op->n->catalog_dirty = true;
    op->n->router.retries++;
    node_write_retry_later(op);
    return true;
}

static void node_write_try(struct node_write_op *op);

static void node_on_retry(uv_timer_t *t);

static void node_write_retry_later(struct node_write_op *op)
{
    struct node *n = op->n;
    op->next_retry = n->retry_head;
    n->retry_head = op;
    if (!uv_is_active((uv_handle_t *)&n->retry_timer))
        uv_timer_start(&n->retry_timer, node_on_retry, NODE_RETRY_MS, 0);
}

static void node_on_retry(uv_timer_t *t)
{
    struct node *n = t->data;
    struct node_write_op *list = n->retry_head;
    n->retry_head = NULL;
    while (list) {
        struct node_write_op *op = list;
        list = op->next_retry;
        op->next_retry = NULL;
        node_write_try(op);
    }
}

static void node_write_local_done(void *arg, int err, const struct store_result *res)
{
    struct node_write_op *op = arg;
    if (node_write_rerouted(op, err, res))
        return;
    if (err == ERR_NOTLEADER) {
        /* Our entry was overwritten by a new leader: it was never applied,
         * so it is safe to try again. */
        node_write_retry_later(op);
        return;
    }
    node_write_finish(op, err, res);
}

static void node_write_rpc_done(void *arg, int err, int status, const uint8_t *payload, size_t len)
{
    struct node_write_op *op = arg;
    if (op->n->closing) {
        node_write_finish(op, ERR_SHUTDOWN, NULL);
        return;
    }
    if (err != 0) {
        /* The leader may or may not have applied it: say so, do not retry. */
        node_write_finish(op, err == ERR_SHUTDOWN ? ERR_SHUTDOWN : ERR_TIMEOUT, NULL);
        return;
    }
    if (status == ERR_NOTLEADER && len == 8 && codec_get_u64(payload) != RAFT_NONE &&
        node_find_group(op->n, op->group) == NULL) {
        op->leader_hint = codec_get_u64(payload); /* not proposed: go to the leader */
        node_write_try(op);
        return;
    }
    if (status == ERR_NOTLEADER || status == ERR_UNAVAILABLE || status == ERR_NOTFOUND ||
        status == ERR_BUSY) {
        node_write_retry_later(op); /* it was not proposed */
        return;
    }
    if (status == ERR_PROTO) {
        /* The members no longer take our forwards: we are being expelled. */
        node_write_finish(op, ERR_SHUTDOWN, NULL);
        return;
    }
    if (status != 0) {
        node_write_finish(op, status, NULL);
        return;
    }
    struct store_result res;
    if (node_result_decode(payload, len, &res) != 0) {
        node_write_finish(op, ERR_PROTO, NULL);
        return;
    }
    if (node_write_rerouted(op, 0, &res))
        return;
    node_write_finish(op, 0, &res);
}

static void node_write_try(struct node_write_op *op)
{
    struct node *n = op->n;
    uint64_t now = clock_mono_ms();
    if (n->closing) {
        node_write_finish(op, ERR_SHUTDOWN, NULL);
        return;
    }
    if (now >= op->deadline_ms) {
        node_write_finish(op, ERR_UNAVAILABLE, NULL);
        return;
    }
    uint32_t left = (uint32_t)(op->deadline_ms - now);
    if (op->key.len > 0) {
        uint64_t gid = node_kv_group(n, op->key.data, op->key.len);
        if (gid == 0) {
            node_write_retry_later(op); /* no replicaset owns it yet */
            return;
        }
        if (gid != op->group) {
            op->group = gid;
            codec_put_u64(op->cmd.data, gid);
        }
    }
    struct group *g = node_find_group(n, op->group);
    uint64_t leader = RAFT_NONE;
    if (g != NULL) {
        if (group_is_leader(g)) {
            int rc = group_propose(g, op->cmd.data + op->cmd_off, op->cmd.len - op->cmd_off, left,
                                   node_write_local_done, op);
            if (rc == 0)
                return;
            if (rc == ERR_BUSY) {
                /* A leadership transfer, or too much uncommitted: it passes. */
                node_write_retry_later(op);
                return;
            }
            if (rc != ERR_NOTLEADER) {
                node_write_finish(op, rc, NULL);
                return;
            }
        }
        leader = group_leader(g);
    } else {
        /* Not a member: the leader we were told of, or any member. */
        leader = op->leader_hint;
        op->leader_hint = RAFT_NONE;
        if (leader == RAFT_NONE && n->pick_member != NULL)
            leader = n->pick_member(n->pick_ctx, op->group, op->attempt++);
    }
    if (leader == RAFT_NONE || leader == n->ident.node_id) {
        node_write_retry_later(op);
        return;
    }
    int rc = net_rpc_call(n->net, leader, NODE_RPC_FORWARD, op->cmd.data, op->cmd.len, left,
                          node_write_rpc_done, op);
    if (rc != 0)
        node_write_retry_later(op); /* not sent: the peer is down or unknown */
}

static void node_write_start(struct node *n, uint64_t group, const void *key, size_t key_len,
                             const void *cmd, size_t len, node_write_fn fn, void *arg);

void node_write(struct node *n, uint64_t group, const void *cmd, size_t len, node_write_fn fn,
                void *arg)
{
    node_write_start(n, group, NULL, 0, cmd, len, fn, arg);
}

void node_write_kv(struct node *n, const void *key, size_t key_len, const void *cmd, size_t len,
                   node_write_fn fn, void *arg)
{
    node_write_start(n, node_kv_group(n, key, key_len), key, key_len, cmd, len, fn, arg);
}

static void node_write_start(struct node *n, uint64_t group, const void *key, size_t key_len,
                             const void *cmd, size_t len, node_write_fn fn, void *arg)
{
    struct node_write_op *op = calloc(1, sizeof *op);
    ASSERT(op != NULL);
    op->n = n;
    op->group = group;
    op->fn = fn;
    op->arg = arg;
    op->deadline_ms = clock_mono_ms() + NODE_WRITE_TIMEOUT_MS;
    if (key != NULL && key_len > 0)
        buf_append(&op->key, key, key_len);
    buf_append_u64(&op->cmd, group);
    op->cmd_off = op->cmd.len;
    if (buf_append(&op->cmd, cmd, len) != 0) {
        free(op);
        fn(arg, ERR_NOMEM, NULL);
        return;
    }
    node_write_try(op);
}

void node_read(struct node *n, uint64_t group, bool stale, group_read_fn fn, void *arg)
{
    struct group *g = node_find_group(n, group);
    if (g == NULL) {
        fn(arg, ERR_NOTFOUND);
        return;
    }
    if (stale) {
        fn(arg, 0);
        return;
    }
    int rc = group_read(g, NODE_READ_TIMEOUT_MS, fn, arg);
    if (rc != 0)
        fn(arg, rc);
}

void node_expel(struct node *n, uint64_t id, node_write_fn fn, void *arg)
{
    struct buf cmd = BUF_INIT;
    cluster_encode_expel(&cmd, id);
    node_write(n, NODE_GOVERNOR_GROUP, cmd.data, cmd.len, fn, arg);
    buf_free(&cmd);
}

/* ------------------------------------------------------------ catalog */

/* Tells the transport where node id is, if that is news. */
static void node_set_peer(struct node *n, uint64_t id, const char *addr)
{
    if (id == n->ident.node_id || n->net == NULL)
        return;
    struct node_peer_addr *p = NULL;
    for (uint32_t i = 0; i < n->n_peers; i++)
        if (n->peers[i].id == id)
            p = &n->peers[i];
    if (p != NULL && strcmp(p->addr, addr) == 0)
        return;
    if (p == NULL) {
        if (n->n_peers == NODE_PEERS_MAX)
            return;
        p = &n->peers[n->n_peers++];
        p->id = id;
    }
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    if (net_set_peer(n->net, id, addr) != 0)
        LOGW("node", "bad address \"%s\" for node %" PRIu64, addr, id);
}

static int node_book_one(void *ctx, const struct cluster_node *c)
{
    struct node *n = ctx;
    /* Expelled nodes keep an address: one may hold a retiring replicaset's
     * last copy, and the others must be told they are out. */
    node_set_peer(n, c->id, c->peer_addr);
    if (c->state == CLUSTER_NODE_EXPELLED && n->n_expelled < NODE_PEERS_MAX)
        n->expelled[n->n_expelled++] = c->id;
    return 0;
}

static bool node_holds_last_copy(struct node *n, uint64_t id);

/* Expelled for good: its messages are dropped (not while it still holds a
 * retiring replicaset's only copy). */
static bool node_is_expelled(struct node *n, uint64_t id)
{
    for (uint32_t i = 0; i < n->n_expelled; i++)
        if (n->expelled[i] == id)
            return !node_holds_last_copy(n, id);
    return false;
}

/* Points the transport at every active node's current address. */
static void node_refresh_address_book(struct node *n)
{
    struct errbuf eb = {{0}};
    n->n_expelled = 0;
    if (cluster_nodes(node_store(n), node_book_one, n, &eb) != 0)
        LOGW("node", "cannot read the node registry: %s", eb.msg);
}

static void node_registered(void *arg, int err, const struct store_result *res)
{
    struct node *n = arg;
    n->registering = false;
    if (err == 0 && res->status == 0) {
        n->registered = true;
        LOGI("node", "registered as node %" PRIu64 " (%s)", n->ident.node_id, n->cfg.name);
    } else if (err == 0) {
        LOGE("node", "the cluster refused this node's registration: the name \"%s\" belongs to "
             "node %" PRIu64 " (or this node was expelled)", n->cfg.name, res->current_version);
    }
}

/* Makes sure the registry holds this node with its current addresses. */
static void node_maybe_register(struct node *n)
{
    if (n->registered || n->registering || group_leader(n->group) == RAFT_NONE)
        return;
    struct cluster_node cur;
    struct errbuf eb = {{0}};
    int rc = cluster_node_get(node_store(n), n->ident.node_id, &cur, &eb);
    if (rc == 0 && cur.state == CLUSTER_NODE_ACTIVE && strcmp(cur.name, n->cfg.name) == 0 &&
        strcmp(cur.peer_addr, n->cfg.advertise) == 0 && strcmp(cur.http_addr, n->cfg.http) == 0) {
        n->registered = true;
        return;
    }
    struct cluster_node me = {.id = n->ident.node_id};
    snprintf(me.name, sizeof me.name, "%s", n->cfg.name);
    snprintf(me.peer_addr, sizeof me.peer_addr, "%s", n->cfg.advertise);
    snprintf(me.http_addr, sizeof me.http_addr, "%s", n->cfg.http);
    snprintf(me.zone, sizeof me.zone, "%s", n->cfg.zone);
    struct buf cmd = BUF_INIT;
    if (cluster_encode_join(&cmd, &me, &eb) == 0) {
        n->registering = true;
        node_write(n, NODE_GOVERNOR_GROUP, cmd.data, cmd.len, node_registered, n);
    }
    buf_free(&cmd);
}

/* ------------------------------------------------------------ reconciler */

struct node_catalog_view {
    struct cluster_node nodes[RAFT_MEMBERS_MAX];
    uint32_t n;
};

static int node_catalog_collect(void *ctx, const struct cluster_node *c)
{
    struct node_catalog_view *v = ctx;
    if (v->n < RAFT_MEMBERS_MAX)
        v->nodes[v->n++] = *c;
    return 0;
}

static void node_conf_done(void *arg, int err, const struct store_result *res)
{
    struct node *n = arg;
    (void)res;
    n->conf_inflight = false;
    if (err != 0 && err != ERR_SHUTDOWN)
        LOGW("node", "membership change did not complete: %s", err_msg(err));
}

static bool node_propose_conf(struct node *n, uint8_t op, uint64_t id)
{
    struct raft_conf_change cc = {.op = op, .node = id};
    int rc = group_propose_conf(n->group, &cc, NODE_WRITE_TIMEOUT_MS, node_conf_done, n);
    if (rc != 0)
        return false;
    n->conf_inflight = true;
    LOGI("node", "membership: %s node %" PRIu64,
         op == RAFT_CONF_ADD_VOTER ? "promoting to voter" :
         op == RAFT_CONF_ADD_LEARNER ? "adding as learner" : "removing", id);
    return true;
}

static uint32_t node_voters_target(uint32_t active)
{
    if (active >= 5)
        return NODE_VOTERS_MAX;
    if (active >= 3)
        return 3;
    return active;
}

static void node_notify_expelled(struct node *n, uint64_t id);

static bool node_zone_has_voter(const struct node_catalog_view *v, const struct raft_conf *conf,
                                const char *zone)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (raft_conf_is_voter(conf, v->nodes[i].id) && strcmp(v->nodes[i].zone, zone) == 0)
            return true;
    return false;
}

/* Whether an expelled node is still the member of a retiring replicaset. */
static bool node_holds_last_copy(struct node *n, uint64_t id)
{
    uint32_t rs = 0;
    struct errbuf eb = {{0}};
    if (cluster_node_replicaset(node_store(n), id, &rs, &eb) != 0 || rs == 0)
        return false;
    struct cluster_replicaset set;
    return cluster_replicaset_get(node_store(n), rs, &set, &eb) == 0 &&
           set.state == CLUSTER_RS_RETIRING;
}

static const struct cluster_node *node_view_find(const struct node_catalog_view *v, uint64_t id)
{
    for (uint32_t i = 0; i < v->n; i++)
        if (v->nodes[i].id == id)
            return &v->nodes[i];
    return NULL;
}

/* A voter that can be let go: marked offline, or (when spread is set) one of
 * several voters in its zone. Never the leader itself. */
static uint64_t node_voter_to_demote(struct node *n, const struct node_catalog_view *v,
                                     const struct raft_conf *conf, bool spread)
{
    /* Expelled voters are not candidates: the registry loop removes them
     * (or keeps one that holds the last copy of its data). */
    for (uint32_t i = 0; i < conf->n_voters; i++) {
        const struct cluster_node *c = node_view_find(v, conf->voters[i]);
        if (c != NULL && c->state == CLUSTER_NODE_ACTIVE && c->id != n->ident.node_id &&
            c->offline)
            return c->id;
    }
    for (uint32_t i = 0; spread && i < conf->n_voters; i++) {
        const struct cluster_node *c = node_view_find(v, conf->voters[i]);
        if (c == NULL || c->state != CLUSTER_NODE_ACTIVE || c->id == n->ident.node_id)
            continue;
        for (uint32_t j = 0; j < conf->n_voters; j++) {
            const struct cluster_node *o = node_view_find(v, conf->voters[j]);
            if (o != NULL && o != c && o->state == CLUSTER_NODE_ACTIVE &&
                strcmp(o->zone, c->zone) == 0)
                return c->id;
        }
    }
    return 0;
}

/* An online learner to promote: first one from a zone no voter is in, then
 * (unless zone_only) any. 0 if none. */
static uint64_t node_learner_to_promote(const struct node_catalog_view *v,
                                        const struct raft_conf *conf, bool zone_only)
{
    for (int pass = 0; pass < (zone_only ? 1 : 2); pass++) {
        for (uint32_t i = 0; i < v->n; i++) {
            const struct cluster_node *c = &v->nodes[i];
            if (c->state != CLUSTER_NODE_ACTIVE || c->offline ||
                !raft_conf_is_learner(conf, c->id))
                continue;
            if (pass == 0 && node_zone_has_voter(v, conf, c->zone))
                continue;
            return c->id;
        }
    }
    return 0;
}

/* On the leader: drives the Raft configuration towards the registry — new
 * nodes in as learners, learners promoted once caught up (voter count by
 * cluster size: 1, 2, 3, 3, 5), expelled nodes out, an offline voter replaced
 * by an online learner (promote first, then demote, so the group never has
 * fewer live voters than before), voters spread over as many zones as there
 * are. One change at a time. */
static void node_reconcile(struct node *n)
{
    if (!group_is_leader(n->group) || n->conf_inflight || n->state == NODE_STOPPING)
        return;
    struct node_catalog_view *v = calloc(1, sizeof *v);
    ASSERT(v != NULL);
    struct errbuf eb = {{0}};
    if (cluster_nodes(node_store(n), node_catalog_collect, v, &eb) != 0)
        goto out;
    struct raft_status st;
    group_status(n->group, &st);
    uint32_t active = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        const struct cluster_node *c = &v->nodes[i];
        bool member = raft_conf_is_voter(&st.conf, c->id) || raft_conf_is_learner(&st.conf, c->id);
        if (c->state == CLUSTER_NODE_EXPELLED) {
            /* The last member of a replicaset that still owns buckets holds
             * the only copy: it stays until the rebalancer has moved them. */
            if (node_holds_last_copy(n, c->id))
                continue;
            if (member && node_propose_conf(n, RAFT_CONF_REMOVE, c->id))
                goto out;
            if (!member)
                node_notify_expelled(n, c->id);
            continue;
        }
        active++;
        if (!member && node_propose_conf(n, RAFT_CONF_ADD_LEARNER, c->id))
            goto out;
    }
    uint32_t target = node_voters_target(active);
    uint32_t voters = 0; /* active ones: expelled voters are on their way out */
    for (uint32_t i = 0; i < st.conf.n_voters; i++) {
        const struct cluster_node *c = node_view_find(v, st.conf.voters[i]);
        voters += c != NULL && c->state == CLUSTER_NODE_ACTIVE;
    }
    uint64_t id = 0;
    if (voters < target) {
        id = node_learner_to_promote(v, &st.conf, false);
    } else if (voters == target) {
        /* A replacement in first: for an offline voter any live learner will
         * do; to spread zones, only a learner from a zone without a voter. */
        bool replace = node_voter_to_demote(n, v, &st.conf, false) != 0;
        bool crowded = node_voter_to_demote(n, v, &st.conf, true) != 0;
        if (replace || crowded)
            id = node_learner_to_promote(v, &st.conf, !replace);
    } else {
        /* One voter too many (a replacement went in): let the offline or
         * crowded one go; the registry loop re-adds it as a learner. */
        uint64_t out_id = node_voter_to_demote(n, v, &st.conf, true);
        if (out_id != 0)
            node_propose_conf(n, RAFT_CONF_REMOVE, out_id);
        goto out;
    }
    if (id != 0)
        node_propose_conf(n, RAFT_CONF_ADD_VOTER, id);
out:
    free(v);
}

/* ------------------------------------------------------------ liveness */

static void node_liveness_done(void *arg, int err, const struct store_result *res)
{
    struct node *n = arg;
    (void)err;
    (void)res;
    n->liveness_inflight = false;
}

static struct node_liveness *node_liveness_slot(struct node *n, uint64_t id)
{
    for (uint32_t i = 0; i < n->n_liveness; i++)
        if (n->liveness[i].id == id)
            return &n->liveness[i];
    if (n->n_liveness == NODE_PEERS_MAX)
        return NULL;
    struct node_liveness *l = &n->liveness[n->n_liveness++];
    *l = (struct node_liveness){.id = id};
    return l;
}

struct node_liveness_walk {
    struct node *n;
    uint64_t now_ms;
    uint64_t id;  /* the node whose state should change, 0 if none */
    bool offline; /* to what */
};

static int node_liveness_one(void *ctx, const struct cluster_node *c)
{
    struct node_liveness_walk *w = ctx;
    if (c->state != CLUSTER_NODE_ACTIVE || w->id != 0)
        return 0;
    bool up = c->id == w->n->ident.node_id || node_peer_state(w->n, c->id) == NET_PEER_UP;
    struct node_liveness *l = node_liveness_slot(w->n, c->id);
    if (l == NULL)
        return 0;
    if (up || l->last_up_ms == 0)
        l->last_up_ms = w->now_ms; /* a new leader gives everyone the full timeout */
    if (up && c->offline) {
        w->id = c->id;
        w->offline = false;
    } else if (!up && !c->offline && w->now_ms - l->last_up_ms >= NODE_OFFLINE_AFTER_MS) {
        w->id = c->id;
        w->offline = true;
    }
    return 0;
}

/* On the governor leader: marks a node offline once its peer link has been
 * down for NODE_OFFLINE_AFTER_MS, online again once it is back (the reconciler
 * then replaces or restores voters). One proposal at a time. */
static void node_liveness_tick(struct node *n)
{
    if (!group_is_leader(n->group)) {
        n->n_liveness = 0; /* the next term as leader starts every clock afresh */
        return;
    }
    if (n->liveness_inflight || n->state == NODE_STOPPING)
        return;
    struct node_liveness_walk w = {.n = n, .now_ms = clock_mono_ms()};
    struct errbuf eb = {{0}};
    if (cluster_nodes(node_store(n), node_liveness_one, &w, &eb) != 0 || w.id == 0)
        return;
    struct buf cmd = BUF_INIT;
    if (cluster_encode_node_state(&cmd, w.id, w.offline) == 0) {
        LOGI("node", "marking node %" PRIu64 " %s", w.id, w.offline ? "offline" : "online");
        n->liveness_inflight = true;
        node_write(n, NODE_GOVERNOR_GROUP, cmd.data, cmd.len, node_liveness_done, n);
    }
    buf_free(&cmd);
}

/* ------------------------------------------------------------ expelled nodes */

static void node_expelled_sent(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    (void)arg;
    (void)err;
    (void)status;
    (void)p;
    (void)len;
}

static void node_notify_expelled(struct node *n, uint64_t id)
{
    struct node_expel_notice *no = NULL;
    for (uint32_t i = 0; i < n->n_notices; i++)
        if (n->notices[i].id == id)
            no = &n->notices[i];
    if (no == NULL) {
        if (n->n_notices == sizeof n->notices / sizeof n->notices[0])
            return;
        no = &n->notices[n->n_notices++];
        memset(no, 0, sizeof *no);
        no->id = id;
    }
    uint64_t now = clock_mono_ms();
    if (no->sent >= NODE_EXPEL_NOTICES_MAX || now < no->next_ms)
        return;
    no->sent++;
    no->next_ms = now + 2000;
    struct cluster_node c;
    struct errbuf eb = {{0}};
    if (cluster_node_get(node_store(n), id, &c, &eb) != 0)
        return;
    node_set_peer(n, id, c.peer_addr);
    net_rpc_call(n->net, id, NODE_RPC_EXPELLED, NULL, 0, NODE_RPC_TIMEOUT_MS, node_expelled_sent,
                 NULL);
}

/* ------------------------------------------------------------ RPCs */

struct node_rpc_ctx {
    struct node *n;
    struct net_responder *r;
    struct cluster_node joiner;
};

static void node_forward_done(void *arg, int err, const struct store_result *res)
{
    struct node_rpc_ctx *c = arg;
    if (err != 0) {
        net_rpc_respond(c->r, err == ERR_NOTLEADER ? ERR_UNAVAILABLE : err, NULL, 0);
    } else {
        struct buf p = BUF_INIT;
        node_result_encode(&p, res);
        net_rpc_respond(c->r, 0, p.data, p.len);
        buf_free(&p);
    }
    free(c);
}

static void node_rpc_forward(struct node *n, struct net_responder *r, const uint8_t *payload,
                             size_t len)
{
    if (!net_responder_from_member(r)) {
        net_rpc_respond(r, ERR_PROTO, NULL, 0);
        return;
    }
    if (len < 8) {
        net_rpc_respond(r, ERR_MALFORMED, NULL, 0);
        return;
    }
    struct group *g = node_find_group(n, codec_get_u64(payload));
    if (g == NULL) {
        net_rpc_respond(r, ERR_NOTFOUND, NULL, 0); /* not a member: try another */
        return;
    }
    if (!group_is_leader(g)) {
        /* Name the leader, so the sender goes there directly. */
        uint8_t hint[8];
        codec_put_u64(hint, group_leader(g));
        net_rpc_respond(r, ERR_NOTLEADER, hint, sizeof hint);
        return;
    }
    struct node_rpc_ctx *c = calloc(1, sizeof *c);
    ASSERT(c != NULL);
    c->n = n;
    c->r = r;
    int rc = group_propose(g, payload + 8, len - 8, NODE_WRITE_TIMEOUT_MS, node_forward_done, c);
    if (rc != 0) {
        net_rpc_respond(r, rc, NULL, 0);
        free(c);
    }
}

/* JOIN payload: the node's name, peer address, HTTP address and zone as
 * uvarint-length strings. The answer: node id u64, cluster id [16], then the
 * active nodes as (id u64, peer address string). */
static void node_put_str(struct buf *b, const char *s)
{
    buf_append_uvarint(b, strlen(s));
    buf_append(b, s, strlen(s));
}

static int node_get_str(struct codec_reader *r, char *out, size_t cap)
{
    uint64_t len = codec_read_uvarint(r);
    if (r->err || len >= cap)
        return ERR_MALFORMED;
    const uint8_t *p = codec_read_bytes(r, (size_t)len);
    if (p == NULL)
        return ERR_MALFORMED;
    memcpy(out, p, (size_t)len);
    out[len] = '\0';
    return 0;
}

static int node_join_answer_one(void *ctx, const struct cluster_node *c)
{
    struct buf *b = ctx;
    if (c->state == CLUSTER_NODE_ACTIVE) {
        buf_append_u64(b, c->id);
        node_put_str(b, c->peer_addr);
    }
    return 0;
}

static void node_join_done(void *arg, int err, const struct store_result *res)
{
    struct node_rpc_ctx *c = arg;
    struct node *n = c->n;
    if (err != 0) {
        net_rpc_respond(c->r, err == ERR_NOTLEADER ? ERR_UNAVAILABLE : err, NULL, 0);
    } else if (res->status != 0) {
        uint8_t p[8];
        codec_put_u64(p, res->current_version);
        net_rpc_respond(c->r, ERR_CONDITION, p, sizeof p);
    } else {
        struct buf b = BUF_INIT;
        buf_append_u64(&b, res->version);
        buf_append(&b, n->ident.cluster_id, IDENTITY_CLUSTER_ID_BYTES);
        struct errbuf eb = {{0}};
        cluster_nodes(node_store(n), node_join_answer_one, &b, &eb);
        net_rpc_respond(c->r, 0, b.data, b.len);
        buf_free(&b);
        LOGI("node", "node \"%s\" at %s joined as node %" PRIu64, c->joiner.name,
             c->joiner.peer_addr, res->version);
    }
    free(c);
}

static void node_relay_done(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct node_rpc_ctx *c = arg;
    net_rpc_respond(c->r, err != 0 ? ERR_UNAVAILABLE : status, p, len);
    free(c);
}

static void node_rpc_join(struct node *n, struct net_responder *r, const uint8_t *payload,
                          size_t len)
{
    struct node_rpc_ctx *c = calloc(1, sizeof *c);
    ASSERT(c != NULL);
    c->n = n;
    c->r = r;
    struct codec_reader rd;
    codec_reader_init(&rd, payload, len);
    if (node_get_str(&rd, c->joiner.name, sizeof c->joiner.name) ||
        node_get_str(&rd, c->joiner.peer_addr, sizeof c->joiner.peer_addr) ||
        node_get_str(&rd, c->joiner.http_addr, sizeof c->joiner.http_addr) ||
        node_get_str(&rd, c->joiner.zone, sizeof c->joiner.zone)) {
        net_rpc_respond(r, ERR_MALFORMED, NULL, 0);
        free(c);
        return;
    }
    if (!group_is_leader(n->group)) {
        /* The joiner knows only us: relay to the governor's leader. */
        uint64_t leader = group_leader(n->group);
        if (leader == RAFT_NONE || leader == n->ident.node_id ||
            net_rpc_call(n->net, leader, NODE_RPC_JOIN, payload, len, NODE_RPC_TIMEOUT_MS,
                         node_relay_done, c) != 0) {
            net_rpc_respond(r, ERR_UNAVAILABLE, NULL, 0);
            free(c);
        }
        return;
    }
    struct buf cmd = BUF_INIT;
    struct errbuf eb = {{0}};
    int rc = cluster_encode_join(&cmd, &c->joiner, &eb);
    if (rc == 0)
        rc = group_propose(n->group, cmd.data, cmd.len, NODE_WRITE_TIMEOUT_MS, node_join_done, c);
    buf_free(&cmd);
    if (rc != 0) {
        net_rpc_respond(r, rc == ERR_NOTLEADER ? ERR_UNAVAILABLE : rc, NULL, 0);
        free(c);
    }
}

static void node_on_rpc(void *ctx, uint64_t from, struct net_responder *r, uint64_t request_id,
                        uint16_t method, const uint8_t *payload, size_t len)
{
    struct node *n = ctx;
    (void)request_id;
    if (n->closing || n->group == NULL) {
        net_rpc_respond(r, ERR_SHUTDOWN, NULL, 0);
        return;
    }
    if (node_is_expelled(n, from)) {
        net_rpc_respond(r, ERR_PROTO, NULL, 0);
        return;
    }
    if (sql_exec_on_rpc(n, from, r, method, payload, len))
        return;
    if (shard_on_rpc(n, from, r, method, payload, len))
        return;
    switch (method) {
    case NODE_RPC_FORWARD:
        node_rpc_forward(n, r, payload, len);
        return;
    case NODE_RPC_CLUSTER_ID:
        net_rpc_respond(r, 0, n->ident.cluster_id, IDENTITY_CLUSTER_ID_BYTES);
        return;
    case NODE_RPC_JOIN:
        node_rpc_join(n, r, payload, len);
        return;
    case NODE_RPC_EXPELLED: {
        /* Believe it only from a current member. */
        struct cluster_node c;
        struct errbuf eb = {{0}};
        bool member = net_responder_from_member(r);
        net_rpc_respond(r, 0, NULL, 0); /* frees r */
        if (!member ||
            cluster_node_get(node_store(n), from, &c, &eb) != 0 || c.state != CLUSTER_NODE_ACTIVE)
            return;
        LOGW("node", "this node was expelled from the cluster by node %" PRIu64 "; stopping",
             from);
        identity_mark_expelled(n->cfg.data_dir, &eb);
        node_begin_shutdown(n, 0);
        return;
    }
    }
    net_rpc_respond(r, ERR_UNSUPPORTED, NULL, 0);
}

static void node_on_raft(void *ctx, uint64_t from, uint64_t group, const struct raft_msg *m)
{
    struct node *n = ctx;
    struct group *g = n->closing ? NULL : node_find_group(n, group);
    if (g == NULL)
        return;
    if (node_is_expelled(n, from)) {
        node_notify_expelled(n, from); /* it was down when it was expelled */
        return;
    }
    group_step(g, m);
}

static void node_on_chunk(void *ctx, uint64_t from, struct net_responder *r,
                          const struct net_snapshot_chunk *c)
{
    struct node *n = ctx;
    struct group *g = n->closing ? NULL : node_find_group(n, c->group);
    if (g == NULL) {
        net_rpc_respond(r, ERR_SHUTDOWN, NULL, 0);
        return;
    }
    group_snapshot_chunk(g, from, r, c);
}

/* A member that dials us says where it listens: enough to answer it even
 * before our registry (restored by snapshot) knows it. */
static void node_on_hello(void *ctx, uint64_t node, const char *addr, bool member)
{
    struct node *n = ctx;
    if (!member || addr[0] == '\0')
        return;
    for (uint32_t i = 0; i < n->n_peers; i++)
        if (n->peers[i].id == node)
            return; /* the registry's word wins */
    node_set_peer(n, node, addr);
}

static void node_on_peer_state(void *ctx, uint64_t node, enum net_peer_state state)
{
    struct node *n = ctx;
    if (state == NET_PEER_DOWN)
        for (uint32_t i = 0; i < n->n_groups; i++)
            group_peer_unreachable(n->groups[i], node);
}

/* ------------------------------------------------------------ group hooks */

static void node_on_applied(void *ctx, struct group *g, const struct raft_entry *e,
                            const struct store_result *res)
{
    struct node *n = ctx;
    (void)res;
    if (group_id(g) == NODE_GOVERNOR_GROUP && e->len > 0 && e->data[0] == STORE_MODEL_CLUSTER &&
        n->net != NULL) {
        node_refresh_address_book(n);
        n->catalog_dirty = true; /* shard_catalog_changed runs once per tick */
    }
}

static void node_on_state(void *ctx, struct group *g)
{
    struct node *n = ctx;
    if (group_leader(g) != RAFT_NONE)
        n->ever_had_leader = true;
    /* A snapshot may have replaced the catalog without any entry applied. */
    if (group_id(g) == NODE_GOVERNOR_GROUP)
        n->catalog_dirty = true;
}

static void node_on_fatal(void *ctx, struct group *g, int err, const char *msg)
{
    struct node *n = ctx;
    (void)g;
    (void)err;
    node_fatal(n, "storage", msg);
}

/* ------------------------------------------------------------ tick and shutdown */

static void node_finish_close(struct node *n);

static void node_on_tick(uv_timer_t *t)
{
    struct node *n = t->data;
    if (n->group == NULL)
        return;
    for (uint32_t i = 0; i < n->n_groups; i++)
        group_tick(n->groups[i]);
    if (++n->ticks_since_catalog >= NODE_CATALOG_REFRESH_TICKS)
        n->catalog_dirty = true; /* cheap: the bucket map reloads only if it changed */
    if (n->catalog_dirty && !n->closing) {
        n->ticks_since_catalog = 0;
        n->catalog_dirty = false;
        shard_catalog_changed(n);
    }
    if (n->state == NODE_STARTING && group_leader(n->group) != RAFT_NONE)
        n->state = NODE_UP;
    if (n->state == NODE_UP) {
        node_maybe_register(n);
        node_liveness_tick(n);
        node_reconcile(n);
        shard_tick(n);
    }
    if (n->state == NODE_STOPPING && !n->closing) {
        uint64_t waited = clock_mono_ms() - n->stop_started_ms;
        struct http_server_stats hs = {0};
        if (n->http)
            http_server_stats(n->http, &hs);
        bool leads = false;
        for (uint32_t g = 0; g < n->n_groups; g++)
            leads |= group_is_leader(n->groups[g]);
        bool handed_off = !n->handing_off || !leads || waited > 2000;
        if (handed_off && (hs.requests_inflight == 0 || waited > NODE_SHUTDOWN_GRACE_MS))
            node_finish_close(n);
    }
}

/* SIGTERM: hand leadership off, let in-flight requests finish, then close. */
static void node_begin_shutdown(struct node *n, int exit_code)
{
    if (n->state == NODE_STOPPING)
        return;
    LOGI("node", "stopping: finishing in-flight requests%s",
         n->group && group_is_leader(n->group) ? " and handing off leadership" : "");
    /* (every group this node leads is handed off below) */
    n->state = NODE_STOPPING;
    n->exit_code = exit_code;
    n->stop_started_ms = clock_mono_ms();
    if (n->group == NULL) {
        node_finish_close(n);
        return;
    }
    for (uint32_t g = 0; g < n->n_groups; g++) {
        if (!group_is_leader(n->groups[g]))
            continue;
        struct raft_status st;
        group_status(n->groups[g], &st);
        for (uint32_t i = 0; i < st.conf.n_voters; i++)
            if (st.conf.voters[i] != n->ident.node_id) {
                if (group_transfer_leader(n->groups[g], st.conf.voters[i]) == 0)
                    n->handing_off = true;
                break;
            }
    }
}

static void node_on_signal(uv_signal_t *s, int signum)
{
    struct node *n = s->data;
    if (n->state == NODE_STOPPING) {
        LOGW("node", "second signal %d: exiting now", signum);
        exit(1);
    }
    node_begin_shutdown(n, 0);
}

static void node_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void node_net_closed(void *arg)
{
    struct node *n = arg;
    n->net = NULL;
    struct errbuf eb = {{0}};
    if (n->wal) {
        if (wal_sync(n->wal, &eb) != 0)
            LOGW("node", "final log sync failed: %s", eb.msg);
        wal_close(n->wal);
        n->wal = NULL;
    }
    node_close_handle((uv_handle_t *)&n->tick);
    node_close_handle((uv_handle_t *)&n->retry_timer);
    node_close_handle((uv_handle_t *)&n->join_timer);
    node_close_handle((uv_handle_t *)&n->sigterm);
    node_close_handle((uv_handle_t *)&n->sigint);
    LOGI("node", "stopped");
}

static void node_group_closed(void *arg)
{
    struct node *n = arg;
    if (n->groups_closing > 0 && --n->groups_closing > 0)
        return;
    n->group = NULL;
    n->n_groups = 0;
    if (n->net)
        net_transport_close(n->net, node_net_closed, n);
    else
        node_net_closed(n);
}

static void node_finish_close(struct node *n)
{
    if (n->closing)
        return;
    n->closing = true;
    node_on_retry(&n->retry_timer); /* fails every queued write: we are closing */
    if (n->http) {
        http_server_close(n->http);
        n->http = NULL;
    }
    if (n->sql)
        sql_exec_stop(n->sql);
    if (n->join_net) {
        net_transport_close(n->join_net, NULL, NULL);
        n->join_net = NULL;
    }
    if (n->n_groups > 0) {
        /* Detach them first: ticks and peer callbacks must not reach a group
         * that has finished closing while the others still are. */
        struct group *closing[NODE_GROUPS_MAX];
        uint32_t count = n->n_groups;
        memcpy(closing, n->groups, count * sizeof closing[0]);
        n->n_groups = 0;
        n->group = NULL;
        n->groups_closing = count;
        for (uint32_t i = 0; i < count; i++)
            group_close(closing[i], node_group_closed, n);
    } else {
        node_group_closed(n);
    }
}

static void node_fatal(struct node *n, const char *what, const char *msg)
{
    LOGE("node", "fatal %s error: %s; the node stops so that nothing is acknowledged that is "
         "not durable", what, msg);
    fflush(stderr);
    (void)n;
    exit(1);
}

/* ------------------------------------------------------------ join */

static void node_join_try(struct node *n);

static void node_join_retry(uv_timer_t *t)
{
    node_join_try(t->data);
}

static void node_join_net_closed(void *arg)
{
    node_start_member(arg);
}

static void node_join_answered(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct node *n = arg;
    if (n->closing)
        return;
    if (err == 0 && status == ERR_CONDITION) {
        fprintf(stderr, "cairn: cannot join: the cluster already has an active node named \"%s\"; "
                "pick another --name\n", n->cfg.name);
        n->exit_code = 1;
        node_begin_shutdown(n, 1);
        return;
    }
    if (err != 0 || status != 0) {
        n->join_seed = (n->join_seed + 1) % n->n_seeds;
        if (clock_mono_ms() > n->join_deadline_ms) {
            fprintf(stderr, "cairn: cannot join the cluster through %s: %s; is a member running "
                    "there?\n", n->cfg.join, err ? err_msg(err) : err_msg(status));
            node_begin_shutdown(n, 1);
            return;
        }
        uv_timer_start(&n->join_timer, node_join_retry, 500, 0);
        return;
    }
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    uint64_t id = codec_read_u64(&r);
    const uint8_t *cid = codec_read_bytes(&r, IDENTITY_CLUSTER_ID_BYTES);
    if (r.err || id == 0 || cid == NULL) {
        LOGE("node", "malformed join answer");
        node_begin_shutdown(n, 1);
        return;
    }
    n->ident.node_id = id;
    memcpy(n->ident.cluster_id, cid, IDENTITY_CLUSTER_ID_BYTES);
    /* The members, to reach them before our registry arrives by snapshot. */
    n->n_peers = 0;
    while (r.off < r.len && n->n_peers < NODE_PEERS_MAX) {
        struct node_peer_addr *pa = &n->peers[n->n_peers];
        pa->id = codec_read_u64(&r);
        if (r.err || node_get_str(&r, pa->addr, sizeof pa->addr) != 0)
            break;
        if (pa->id != id)
            n->n_peers++;
    }
    snprintf(n->ident.name, sizeof n->ident.name, "%s", n->cfg.name);
    struct errbuf eb = {{0}};
    if (identity_save(n->cfg.data_dir, &n->ident, &eb) != 0) {
        node_fatal(n, "data directory", eb.msg);
        return;
    }
    LOGI("node", "joined the cluster as node %" PRIu64, id);
    net_transport_close(n->join_net, node_join_net_closed, n);
    n->join_net = NULL;
}

static void node_join_try(struct node *n)
{
    struct buf b = BUF_INIT;
    node_put_str(&b, n->cfg.name);
    node_put_str(&b, n->cfg.advertise);
    node_put_str(&b, n->cfg.http);
    node_put_str(&b, n->cfg.zone);
    int rc = net_rpc_call(n->join_net, NET_PEER_ID_ADDR_ONLY | (n->join_seed + 1), NODE_RPC_JOIN,
                          b.data, b.len, NODE_RPC_TIMEOUT_MS, node_join_answered, n);
    buf_free(&b);
    if (rc != 0)
        node_join_answered(n, rc, 0, NULL, 0);
}

/* A transport for a node that is not a member (yet): a provisional id and
 * no cluster id, on an ephemeral port, with the --join seeds in its book. */
static int node_start_provisional(struct node *n, struct errbuf *eb)
{
    char list[NODE_JOIN_LEN_MAX + 1];
    snprintf(list, sizeof list, "%s", n->cfg.join);
    n->n_seeds = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok && n->n_seeds < 16;
         tok = strtok_r(NULL, ",", &save))
        snprintf(n->seeds[n->n_seeds++], sizeof n->seeds[0], "%s", tok);
    if (n->n_seeds == 0)
        return err_set(eb, ERR_INVAL, "--join needs at least one HOST:PORT");
    struct net_config nc;
    net_config_default(&nc);
    uint64_t provisional = 0;
    if (getrandom(&provisional, sizeof provisional, 0) != sizeof provisional)
        provisional = clock_mono_ns();
    nc.node_id = (provisional & ~NET_PEER_ID_ADDR_ONLY) | 1;
    nc.advertise_addr = n->cfg.advertise;
    char host[NODE_ADDR_LEN_MAX + 1];
    uint16_t port;
    int rc = net_addr_parse(n->cfg.listen, host, sizeof host, &port, eb);
    if (rc != 0)
        return rc;
    char any[NODE_ADDR_LEN_MAX + 8];
    snprintf(any, sizeof any, "%s:0", host);
    struct net_callbacks cb = {.ctx = n};
    rc = net_transport_start(&n->loop, any, &nc, &cb, &n->join_net, eb);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < n->n_seeds; i++) {
        rc = net_set_peer(n->join_net, NET_PEER_ID_ADDR_ONLY | (i + 1), n->seeds[i]);
        if (rc != 0)
            return err_set(eb, rc, "bad --join address \"%s\"", n->seeds[i]);
    }
    return 0;
}

static int node_start_join(struct node *n, struct errbuf *eb)
{
    int rc = node_start_provisional(n, eb);
    if (rc != 0)
        return rc;
    n->join_deadline_ms = clock_mono_ms() + NODE_JOIN_TIMEOUT_MS;
    LOGI("node", "joining the cluster through %s", n->cfg.join);
    node_join_try(n);
    return 0;
}

static void node_verify_answered(void *arg, int err, int status, const uint8_t *p, size_t len);

static int node_start_verify(struct node *n, struct errbuf *eb)
{
    int rc = node_start_provisional(n, eb);
    if (rc != 0)
        return rc;
    rc = net_rpc_call(n->join_net, NET_PEER_ID_ADDR_ONLY | 1, NODE_RPC_CLUSTER_ID, NULL, 0,
                      2000, node_verify_answered, n);
    if (rc != 0)
        node_verify_answered(n, rc, 0, NULL, 0);
    return 0;
}

/* ------------------------------------------------------------ restart with --join */

/* A node restarting with --join checks that the seed is in its own cluster:
 * a data directory of another cluster must not be mixed in by mistake. */
static void node_verify_answered(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct node *n = arg;
    if (n->closing)
        return;
    if (err == 0 && status == 0 && len == IDENTITY_CLUSTER_ID_BYTES &&
        memcmp(p, n->ident.cluster_id, len) != 0) {
        char theirs[33];
        identity_cluster_hex(p, theirs);
        identity_cluster_hex(n->ident.cluster_id, n->cluster_hex);
        fprintf(stderr,
                "cairn: data directory %s belongs to cluster %s, but %s is in cluster %s; "
                "start with an empty --data-dir to join that cluster\n",
                n->cfg.data_dir, n->cluster_hex, n->seeds[0], theirs);
        n->exit_code = 1;
        net_transport_close(n->join_net, NULL, NULL);
        n->join_net = NULL;
        node_begin_shutdown(n, 1);
        return;
    }
    if (err != 0 || status != 0)
        LOGW("node", "cannot confirm the cluster of %s (%s); starting anyway", n->seeds[0],
             err_msg(err ? err : status));
    net_transport_close(n->join_net, node_join_net_closed, n);
    n->join_net = NULL;
}

/* ------------------------------------------------------------ start-up */

int node_open_group(struct node *n, uint64_t id, bool bootstrap, struct group **out,
                    struct errbuf *eb)
{
    if (n->n_groups == NODE_GROUPS_MAX)
        return err_set(eb, ERR_TOOBIG, "this node is already in %d groups", NODE_GROUPS_MAX);
    char dir[NODE_PATH_LEN_MAX + 32];
    snprintf(dir, sizeof dir, "%s/group%" PRIu64, n->cfg.data_dir, id);
    mkdir(dir, 0755);
    struct group_config gc = {.group_id = id,
                              .node_id = n->ident.node_id,
                              .dir = dir,
                              .cluster_id = codec_get_u64(n->ident.cluster_id),
                              /* The cluster's, fixed at bootstrap; 0 reopens as recorded. */
                              .bucket_count = id == NODE_GOVERNOR_GROUP
                                                  ? (n->bootstrap ? n->cfg.bucket_count : 0)
                                                  : n->router.bucket_count,
                              .election_ticks = n->cfg.election_ticks,
                              .heartbeat_ticks = 1,
                              .lease_reads = n->cfg.lease_reads,
                              .tick_ms = n->cfg.tick_ms,
                              .bootstrap = bootstrap};
    struct group_hooks hooks = {.ctx = n,
                                .on_applied = node_on_applied,
                                .on_state = node_on_state,
                                .on_fatal = node_on_fatal};
    struct group *g;
    int rc = group_open(&n->loop, &gc, n->wal, &n->flusher, n->net, &hooks, &g, eb);
    if (rc != 0)
        return rc;
    n->groups[n->n_groups++] = g;
    if (out)
        *out = g;
    return 0;
}

static void node_start_member(struct node *n)
{
    struct errbuf eb = {{0}};
    identity_cluster_hex(n->ident.cluster_id, n->cluster_hex);
    struct wal_options wo;
    wal_options_default(&wo);
    int rc = wal_open(n->wal_dir, &wo, &n->wal, &eb);
    if (rc != 0) {
        node_fatal(n, "write-ahead log", eb.msg);
        return;
    }
    flusher_init(&n->flusher, &n->loop, n->wal, &n->wal_sync_seconds);

    struct net_config nc;
    net_config_default(&nc);
    memcpy(nc.cluster_id, n->ident.cluster_id, NET_CLUSTER_ID_BYTES);
    nc.node_id = n->ident.node_id;
    nc.advertise_addr = n->cfg.advertise;
    nc.seed = n->ident.node_id;
    struct net_callbacks cb = {.ctx = n,
                               .on_raft = node_on_raft,
                               .on_rpc_request = node_on_rpc,
                               .on_snapshot_chunk = node_on_chunk,
                               .on_peer_state = node_on_peer_state,
                               .on_hello = node_on_hello};
    rc = net_transport_start(&n->loop, n->cfg.listen, &nc, &cb, &n->net, &eb);
    if (rc != 0) {
        fprintf(stderr, "cairn: cannot listen on peer address %s: %s\n", n->cfg.listen, eb.msg);
        exit(1);
    }

    rc = node_open_group(n, NODE_GOVERNOR_GROUP, n->bootstrap, &n->group, &eb);
    if (rc != 0) {
        node_fatal(n, "start-up", eb.msg);
        return;
    }
    /* A new cluster's node becomes one with its identity, written only now that the governor
     * group holds its first configuration: written before, a start that failed in between (the
     * peer port taken) left a member of a cluster that never began, which waited forever. */
    if (n->bootstrap && identity_save(n->cfg.data_dir, &n->ident, &eb) != 0) {
        node_fatal(n, "start-up", eb.msg);
        return;
    }
    rc = shard_open_known_groups(n, &eb);
    if (rc != 0) {
        node_fatal(n, "start-up", eb.msg);
        return;
    }
    /* Peers from the join answer first, then the registry. */
    uint32_t known = n->n_peers;
    n->n_peers = 0;
    for (uint32_t i = 0; i < known; i++) {
        struct node_peer_addr pa = n->peers[i];
        node_set_peer(n, pa.id, pa.addr);
    }
    node_refresh_address_book(n);

    rc = api_start(n, n->cfg.http, &n->api, &n->http, &eb);
    if (rc != 0) {
        fprintf(stderr, "cairn: cannot serve HTTP on %s: %s\n", n->cfg.http, eb.msg);
        exit(1);
    }
    rc = sql_exec_start(n, n->cfg.pg, &n->sql, &eb);
    if (rc != 0) {
        fprintf(stderr, "cairn: cannot serve the PostgreSQL protocol on %s: %s\n", n->cfg.pg,
                eb.msg);
        exit(1);
    }
    uv_timer_start(&n->tick, node_on_tick, n->cfg.tick_ms, n->cfg.tick_ms);
    char pg_host[NODE_ADDR_LEN_MAX + 1], pg_port_text[8];
    uint16_t pg_port = 0;
    if (net_addr_parse(n->cfg.pg, pg_host, sizeof pg_host, &pg_port, &eb) != 0)
        snprintf(pg_host, sizeof pg_host, "%s", n->cfg.pg); /* checked at load: cannot happen */
    snprintf(pg_port_text, sizeof pg_port_text, "%u", (unsigned)pg_port);
    LOGI("node", "node %" PRIu64 " \"%s\" of cluster %s: peer %s, http %s, pg %s, data %s",
         n->ident.node_id, n->cfg.name, n->cluster_hex, n->cfg.listen, n->cfg.http, n->cfg.pg,
         n->cfg.data_dir);
    fprintf(stderr,
            "cairn: node \"%s\" is starting. Try:\n"
            "  curl -X PUT --data-binary hello http://%s/v1/kv/greeting\n"
            "  curl http://%s/v1/kv/greeting\n"
            "  curl http://%s/v1/cluster\n"
            "  psql \"host=%s port=%s user=cairn\"\n",
            n->cfg.name, n->cfg.http, n->cfg.http, n->cfg.http, pg_host, pg_port_text);
}

int node_run(const struct node_config *cfg)
{
    struct node *n = calloc(1, sizeof *n);
    ASSERT(n != NULL);
    n->cfg = *cfg;
    n->state = NODE_STARTING;
    struct errbuf eb = {{0}};
    int lvl = log_parse_level(cfg->log_level);
    if (lvl < 0) {
        fprintf(stderr, "cairn: unknown log level \"%s\" (use debug, info, warn or error)\n",
                cfg->log_level);
        free(n);
        return 2;
    }
    log_set_level((enum log_level)lvl);
    signal(SIGPIPE, SIG_IGN);

    int rc = identity_lock_dir(cfg->data_dir, &eb);
    bool exists = false;
    if (rc == 0)
        rc = identity_load(cfg->data_dir, &n->ident, &exists, &eb);
    if (rc != 0) {
        fprintf(stderr, "cairn: %s\n", eb.msg);
        free(n);
        return 1;
    }
    snprintf(n->wal_dir, sizeof n->wal_dir, "%s/wal", cfg->data_dir);
    snprintf(n->group_dir, sizeof n->group_dir, "%s/group1", cfg->data_dir);
    mkdir(n->wal_dir, 0755);

    uv_loop_init(&n->loop);
    uv_timer_init(&n->loop, &n->tick);
    n->tick.data = n;
    uv_timer_init(&n->loop, &n->retry_timer);
    n->retry_timer.data = n;
    uv_timer_init(&n->loop, &n->join_timer);
    n->join_timer.data = n;
    uv_signal_init(&n->loop, &n->sigterm);
    n->sigterm.data = n;
    uv_signal_start(&n->sigterm, node_on_signal, SIGTERM);
    uv_signal_init(&n->loop, &n->sigint);
    n->sigint.data = n;
    uv_signal_start(&n->sigint, node_on_signal, SIGINT);

    rc = 0;
    if (exists) {
        if (strcmp(n->ident.name, cfg->name) != 0 && cfg->name[0] != '\0')
            LOGW("node", "this data directory belongs to node \"%s\"; renaming it to \"%s\"",
                 n->ident.name, cfg->name);
        if (cfg->join[0] != '\0')
            rc = node_start_verify(n, &eb);
        else
            node_start_member(n);
    } else if (cfg->join[0] != '\0') {
        rc = node_start_join(n, &eb);
    } else {
        n->bootstrap = true;
        n->ident.node_id = 1;
        snprintf(n->ident.name, sizeof n->ident.name, "%s", cfg->name);
        if (identity_new_cluster_id(n->ident.cluster_id) != 0) {
            rc = ERR_IO;
            err_set(&eb, rc, "cannot create a cluster in %s: no random cluster id",
                    cfg->data_dir);
        } else {
            LOGI("node", "bootstrapping a new cluster in %s", cfg->data_dir);
            node_start_member(n);
        }
    }
    if (rc != 0) {
        /* Nothing runs yet but the loop's own handles: close them and leave. */
        fprintf(stderr, "cairn: %s\n", eb.msg);
        n->state = NODE_STOPPING;
        n->exit_code = 1;
        node_finish_close(n);
    }
    uv_run(&n->loop, UV_RUN_DEFAULT);
    api_free(n->api);
    sql_exec_free(n->sql);
    shard_free(n);
    int code = n->exit_code;
    uv_loop_close(&n->loop);
    free(n);
    return code;
}

/* ------------------------------------------------------------ metrics */

void node_write_metrics(struct node *n, struct buf *out)
{
    static const struct {
        const char *name, *help, *type;
    } raft_metrics[] = {
        {"cairn_raft_term", "current Raft term", "gauge"},
        {"cairn_raft_commit_index", "highest committed log index", "gauge"},
        {"cairn_raft_applied_index", "highest applied log index", "gauge"},
        {"cairn_raft_last_index", "last log index", "gauge"},
        {"cairn_raft_is_leader", "1 if this node leads the group", "gauge"},
        {"cairn_raft_leader_changes_total", "leader changes seen", "counter"},
        {"cairn_raft_proposals_total", "entries proposed on this node", "counter"},
        {"cairn_raft_voters", "voters in the group", "gauge"},
    };
    for (size_t m = 0; m < sizeof raft_metrics / sizeof raft_metrics[0]; m++) {
        for (uint32_t i = 0; i < n->n_groups; i++) {
            struct group *g = n->groups[i];
            struct raft_status st;
            group_status(g, &st);
            double v[] = {(double)st.term,
                          (double)st.commit,
                          (double)st.applied,
                          (double)st.last_index,
                          st.role == RAFT_LEADER ? 1 : 0,
                          (double)group_leader_changes(g),
                          (double)group_proposals(g),
                          (double)st.conf.n_voters};
            char labels[64];
            snprintf(labels, sizeof labels, "group=\"%" PRIu64 "\"", group_id(g));
            metrics_write_value(out, raft_metrics[m].name, i == 0 ? raft_metrics[m].help : NULL,
                                raft_metrics[m].type, labels, v[m]);
        }
    }
    for (uint32_t i = 0; i < n->n_groups; i++) {
        struct store *s = group_store(n->groups[i]);
        char labels[64];
        snprintf(labels, sizeof labels, "group=\"%" PRIu64 "\"", group_id(n->groups[i]));
        metrics_write_value(out, "cairn_store_commits_kept_total",
                            i == 0 ? "transactions applied by keeping the savepoint their "
                                     "statements ran in on this node, instead of running them "
                                     "again"
                                   : NULL,
                            "counter", labels, s != NULL ? (double)store_kept_total(s) : 0);
    }
    metrics_write_hist(out, "cairn_wal_sync_seconds", "write + fdatasync latency of a WAL batch",
                       "", &n->wal_sync_seconds);
    struct wal_stats ws;
    wal_get_stats(n->wal, &ws);
    metrics_write_value(out, "cairn_wal_bytes_written_total", "WAL bytes written", "counter", "",
                        (double)ws.bytes_written);
    metrics_write_value(out, "cairn_wal_syncs_total", "WAL fdatasync calls", "counter", "",
                        (double)ws.syncs);
    metrics_write_value(out, "cairn_wal_flushes_total", "WAL batches written", "counter", "",
                        (double)ws.flushes);
    metrics_write_value(out, "cairn_wal_disk_seconds_total",
                        "time in the write + fdatasync calls of WAL batches (the rest of "
                        "cairn_wal_sync_seconds is handing the batch to a thread and back)",
                        "counter", "", (double)ws.sync_ns_total / 1e9);
    metrics_write_value(out, "cairn_wal_segments", "WAL segment files", "gauge", "",
                        (double)ws.segments);
    struct net_stats ns;
    net_transport_stats(n->net, &ns);
#define NODE_NET_METRIC(name, help)                                                                \
    metrics_write_value(out, "cairn_peer_" #name, help,                                            \
                        strncmp(help, "gauge", 5) == 0 ? "gauge" : "counter", "", (double)ns.name);
    NET_STATS(NODE_NET_METRIC)
#undef NODE_NET_METRIC
    mover_write_metrics(n, out);
    sqlx_gather_write_metrics(n, out);
}
