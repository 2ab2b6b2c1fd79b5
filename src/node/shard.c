/* Sharding on a node: the groups of the replicasets this node belongs to,
 * routing of keys to them, reads served by another node's replicaset, and
 * listings gathered from every replicaset. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "cluster/router.h"
#include "model/cluster/cluster.h"
#include "model/table/table.h"
#include "model/kv/kv.h"
#include "node/node_int.h"

#define SHARD_READ_TIMEOUT_MS 5000
#define SHARD_LIST_ITEMS_MAX 1000

struct shard_state {
    uint64_t adopt_map_version; /* map version whose buckets this node adopted */
    uint32_t ticks;
    bool settings_inflight;
    uint64_t conf_inflight[NODE_GROUPS_MAX]; /* groups with a membership change out */
    uint32_t n_conf_inflight;
    uint64_t schema_inflight[NODE_GROUPS_MAX]; /* groups with a schema change out */
    uint32_t n_schema_inflight;
};

static struct shard_state *shard_state(struct node *n)
{
    if (n->shard == NULL) {
        n->shard = calloc(1, sizeof *n->shard);
        ASSERT(n->shard != NULL);
    }
    return n->shard;
}

void shard_free(struct node *n)
{
    mover_free(n);
    router_free(&n->router);
    free(n->shard);
    n->shard = NULL;
}

/* ------------------------------------------------------------ routing */

static uint64_t shard_pick_member(void *ctx, uint64_t group, uint32_t attempt)
{
    struct node *n = ctx;
    return router_pick_member(&n->router, ROUTER_GROUP_RS(group), attempt);
}

uint64_t node_kv_group(struct node *n, const void *key, size_t len)
{
    if (n->router.bucket_count == 0)
        return 0;
    uint32_t rs = router_owner(&n->router, router_bucket(&n->router, key, len));
    return rs ? ROUTER_RS_GROUP(rs) : 0;
}

/* ------------------------------------------------------------ groups */

int shard_open_known_groups(struct node *n, struct errbuf *eb)
{
    uint64_t ids[NODE_GROUPS_MAX];
    uint32_t count = wal_group_ids(n->wal, ids, NODE_GROUPS_MAX);
    for (uint32_t i = 0; i < count && i < NODE_GROUPS_MAX; i++) {
        if (ids[i] == NODE_GOVERNOR_GROUP || node_find_group(n, ids[i]) != NULL)
            continue;
        int rc = node_open_group(n, ids[i], false, NULL, eb);
        if (rc != 0)
            return rc;
    }
    n->pick_member = shard_pick_member;
    n->pick_ctx = n;
    n->catalog_dirty = true;
    return 0;
}

/* Opens the group of the replicaset the catalog placed this node in. The
 * replicaset's founder (its first member) creates the group; everyone else
 * starts empty and is brought in by the group's leader. */
static void shard_ensure_my_group(struct node *n)
{
    struct errbuf eb = {{0}};
    uint32_t rs = 0;
    if (cluster_node_replicaset(node_store(n), n->ident.node_id, &rs, &eb) != 0 || rs == 0)
        return;
    uint64_t gid = ROUTER_RS_GROUP(rs);
    if (node_find_group(n, gid) != NULL)
        return;
    struct cluster_replicaset set;
    if (cluster_replicaset_get(node_store(n), rs, &set, &eb) != 0)
        return;
    struct wal_group_info info;
    bool known = wal_group_info(n->wal, gid, &info) == 0;
    /* Ids only grow, so the lowest member is the one that founded it. */
    bool founder = set.n_members > 0 && set.members[0] == n->ident.node_id && !known;
    LOGI("shard", "this node is in replicaset %u%s", rs, founder ? " (founding it)" : "");
    if (node_open_group(n, gid, founder, NULL, &eb) != 0)
        LOGE("shard", "cannot open the group of replicaset %u: %s", rs, eb.msg);
}

void shard_catalog_changed(struct node *n)
{
    struct errbuf eb = {{0}};
    if (router_refresh(&n->router, node_store(n), &eb) != 0) {
        LOGW("shard", "cannot read the bucket map: %s", eb.msg);
        return;
    }
    shard_ensure_my_group(n);
}

/* ------------------------------------------------------------ reads */

/* A read of one key, local or through a member of its replicaset. */
struct shard_get {
    struct node *n;
    uint64_t group;
    struct buf key;
    bool stale;
    uint32_t attempt;
    uint64_t deadline_ms;
    shard_get_fn fn;
    void *arg;
};

static void shard_get_finish(struct shard_get *q, int err, const uint8_t *v, size_t len,
                             uint64_t version)
{
    q->fn(q->arg, err, v, len, version);
    buf_free(&q->key);
    free(q);
}

static void shard_get_local_ready(void *arg, int err)
{
    struct shard_get *q = arg;
    struct group *g = node_find_group(q->n, q->group);
    if (err == 0 && g == NULL)
        err = ERR_UNAVAILABLE;
    if (err != 0) {
        shard_get_finish(q, err, NULL, 0, 0);
        return;
    }
    struct buf value = BUF_INIT;
    uint64_t version = 0;
    struct errbuf eb = {{0}};
    int rc = kv_get(group_store(g), q->key.data, q->key.len, &value, &version, &eb);
    shard_get_finish(q, rc, value.data, value.len, version);
    buf_free(&value);
}

static void shard_get_try(struct shard_get *q);

static void shard_get_remote_done(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct shard_get *q = arg;
    if (err == 0 && status == 0 && len >= 8) {
        shard_get_finish(q, 0, p + 8, len - 8, codec_get_u64(p));
        return;
    }
    if (err == 0 && status == ERR_NOTFOUND) {
        shard_get_finish(q, ERR_NOTFOUND, NULL, 0, 0);
        return;
    }
    if (clock_mono_ms() >= q->deadline_ms) {
        shard_get_finish(q, err ? ERR_TIMEOUT : status, NULL, 0, 0);
        return;
    }
    shard_get_try(q); /* another member */
}

static void shard_get_try(struct shard_get *q)
{
    struct node *n = q->n;
    if (node_find_group(n, q->group) != NULL) {
        node_read(n, q->group, q->stale, shard_get_local_ready, q);
        return;
    }
    uint64_t to = router_pick_member(&n->router, ROUTER_GROUP_RS(q->group), q->attempt++);
    uint64_t now = clock_mono_ms();
    if (to == RAFT_NONE || now >= q->deadline_ms) {
        shard_get_finish(q, ERR_UNAVAILABLE, NULL, 0, 0);
        return;
    }
    struct buf req = BUF_INIT;
    buf_append_u64(&req, q->group);
    buf_append_u8(&req, q->stale);
    buf_append(&req, q->key.data, q->key.len);
    int rc = node_rpc_call(n, to, NODE_RPC_KV_GET, req.data, req.len,
                           (uint32_t)(q->deadline_ms - now), shard_get_remote_done, q);
    buf_free(&req);
    if (rc != 0) {
        if (q->attempt > 2 * ROUTER_RS_MEMBERS_MAX)
            shard_get_finish(q, ERR_UNAVAILABLE, NULL, 0, 0);
        else
            shard_get_try(q);
    }
}

void shard_kv_get(struct node *n, const void *key, size_t len, bool stale, shard_get_fn fn,
                  void *arg)
{
    uint64_t group = node_kv_group(n, key, len);
    if (group == 0) {
        fn(arg, ERR_UNAVAILABLE, NULL, 0, 0);
        return;
    }
    struct shard_get *q = calloc(1, sizeof *q);
    ASSERT(q != NULL);
    q->n = n;
    q->group = group;
    q->stale = stale;
    q->deadline_ms = clock_mono_ms() + SHARD_READ_TIMEOUT_MS;
    q->fn = fn;
    q->arg = arg;
    buf_append(&q->key, key, len);
    shard_get_try(q);
}

/* ------------------------------------------------------------ listings */

/* A listing gathered from every replicaset that owns buckets: each returns
 * up to limit keys in order; the merge keeps the smallest limit of them. */
struct shard_list;

struct shard_list_part {
    struct shard_list *l;
    uint32_t rs;
    uint32_t attempt;
    struct buf items; /* (u32 klen, key, u32 vlen, value, u64 version)... */
    uint32_t n_items;
    bool more;
    bool done;
};

struct shard_list {
    struct node *n;
    struct kv_list_req req;
    struct buf prefix, after;
    bool stale;
    uint64_t deadline_ms;
    uint32_t n_parts, pending;
    int err;
    struct shard_list_part parts[ROUTER_RS_MAX];
    shard_list_fn fn;
    void *arg;
};

static int shard_list_collect(void *ctx, const struct kv_item *it)
{
    struct shard_list_part *p = ctx;
    buf_append_u32(&p->items, (uint32_t)it->key_len);
    buf_append(&p->items, it->key, it->key_len);
    buf_append_u32(&p->items, (uint32_t)it->value_len);
    buf_append(&p->items, it->value, it->value_len);
    buf_append_u64(&p->items, it->version);
    p->n_items++;
    return 0;
}

struct shard_item {
    const uint8_t *key, *value;
    uint32_t key_len, value_len;
    uint64_t version;
};

static int shard_item_cmp(const void *a, const void *b)
{
    const struct shard_item *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static void shard_list_finish(struct shard_list *l)
{
    if (l->err != 0) {
        l->fn(l->arg, l->err, NULL, 0, false);
    } else {
        uint32_t total = 0;
        bool more = false;
        for (uint32_t i = 0; i < l->n_parts; i++) {
            total += l->parts[i].n_items;
            more |= l->parts[i].more;
        }
        struct shard_item *items = calloc(total ? total : 1, sizeof *items);
        ASSERT(items != NULL);
        uint32_t k = 0;
        for (uint32_t i = 0; i < l->n_parts; i++) {
            struct codec_reader r;
            codec_reader_init(&r, l->parts[i].items.data, l->parts[i].items.len);
            for (uint32_t j = 0; j < l->parts[i].n_items && !r.err; j++) {
                struct shard_item *it = &items[k];
                it->key_len = codec_read_u32(&r);
                it->key = codec_read_bytes(&r, it->key_len);
                it->value_len = codec_read_u32(&r);
                it->value = codec_read_bytes(&r, it->value_len);
                it->version = codec_read_u64(&r);
                if (!r.err)
                    k++;
            }
        }
        qsort(items, k, sizeof *items, shard_item_cmp);
        uint32_t keep = k < l->req.limit ? k : l->req.limit;
        struct kv_item *out = calloc(keep ? keep : 1, sizeof *out);
        ASSERT(out != NULL);
        for (uint32_t i = 0; i < keep; i++) {
            out[i].key = items[i].key;
            out[i].key_len = items[i].key_len;
            out[i].value = items[i].value;
            out[i].value_len = items[i].value_len;
            out[i].version = items[i].version;
        }
        l->fn(l->arg, 0, out, keep, more || k > keep);
        free(out);
        free(items);
    }
    for (uint32_t i = 0; i < l->n_parts; i++)
        buf_free(&l->parts[i].items);
    buf_free(&l->prefix);
    buf_free(&l->after);
    free(l);
}

static void shard_list_part_done(struct shard_list_part *p, int err)
{
    struct shard_list *l = p->l;
    p->done = true;
    if (err != 0 && l->err == 0)
        l->err = err;
    if (--l->pending == 0)
        shard_list_finish(l);
}

static void shard_list_local_ready(void *arg, int err)
{
    struct shard_list_part *p = arg;
    struct shard_list *l = p->l;
    struct group *g = node_find_group(l->n, ROUTER_RS_GROUP(p->rs));
    if (err == 0 && g == NULL)
        err = ERR_UNAVAILABLE;
    if (err == 0) {
        struct errbuf eb = {{0}};
        err = kv_list(group_store(g), &l->req, shard_list_collect, p, &p->more, &eb);
    }
    shard_list_part_done(p, err);
}

static void shard_list_part_try(struct shard_list_part *p);

static void shard_list_remote_done(void *arg, int err, int status, const uint8_t *pl, size_t len)
{
    struct shard_list_part *p = arg;
    if (err == 0 && status == 0 && len >= 5) {
        p->more = pl[0] != 0;
        p->n_items = codec_get_u32(pl + 1);
        buf_append(&p->items, pl + 5, len - 5);
        shard_list_part_done(p, 0);
        return;
    }
    if (clock_mono_ms() >= p->l->deadline_ms) {
        shard_list_part_done(p, err ? ERR_TIMEOUT : status);
        return;
    }
    shard_list_part_try(p);
}

static void shard_list_part_try(struct shard_list_part *p)
{
    struct shard_list *l = p->l;
    struct node *n = l->n;
    uint64_t gid = ROUTER_RS_GROUP(p->rs);
    if (node_find_group(n, gid) != NULL) {
        node_read(n, gid, l->stale, shard_list_local_ready, p);
        return;
    }
    uint64_t to = router_pick_member(&n->router, p->rs, p->attempt++);
    uint64_t now = clock_mono_ms();
    if (to == RAFT_NONE || now >= l->deadline_ms || p->attempt > 2 * ROUTER_RS_MEMBERS_MAX) {
        shard_list_part_done(p, ERR_UNAVAILABLE);
        return;
    }
    struct buf req = BUF_INIT;
    buf_append_u64(&req, gid);
    buf_append_u8(&req, l->stale);
    buf_append_u32(&req, l->req.limit);
    buf_append_u32(&req, (uint32_t)l->prefix.len);
    buf_append(&req, l->prefix.data, l->prefix.len);
    buf_append_u32(&req, (uint32_t)l->after.len);
    buf_append(&req, l->after.data, l->after.len);
    int rc = node_rpc_call(n, to, NODE_RPC_KV_LIST, req.data, req.len,
                           (uint32_t)(l->deadline_ms - now), shard_list_remote_done, p);
    buf_free(&req);
    if (rc != 0)
        shard_list_part_try(p);
}

void shard_kv_list(struct node *n, const struct kv_list_req *req, bool stale, shard_list_fn fn,
                   void *arg)
{
    struct shard_list *l = calloc(1, sizeof *l);
    ASSERT(l != NULL);
    l->n = n;
    l->req = *req;
    l->stale = stale;
    l->fn = fn;
    l->arg = arg;
    l->deadline_ms = clock_mono_ms() + SHARD_READ_TIMEOUT_MS;
    buf_append(&l->prefix, req->prefix, req->prefix_len);
    buf_append(&l->after, req->after, req->after_len);
    l->req.prefix = l->prefix.data;
    l->req.after = l->after.data;
    for (uint32_t i = 0; i < n->router.n_rs; i++) {
        const struct router_rs *rs = &n->router.rs[i];
        if (rs->buckets == 0 && node_find_group(n, ROUTER_RS_GROUP(rs->id)) == NULL)
            continue;
        struct shard_list_part *p = &l->parts[l->n_parts++];
        p->l = l;
        p->rs = rs->id;
    }
    if (l->n_parts == 0) {
        l->err = ERR_UNAVAILABLE;
        shard_list_finish(l);
        return;
    }
    l->pending = l->n_parts;
    uint32_t parts = l->n_parts;
    for (uint32_t i = 0; i < parts; i++)
        shard_list_part_try(&l->parts[i]);
}

/* ------------------------------------------------------------ RPCs served */

struct shard_rpc_read {
    struct node *n;
    struct net_responder *r;
    uint64_t group;
    struct buf key;
    struct kv_list_req list;
    struct buf prefix, after;
};

static void shard_rpc_read_free(struct shard_rpc_read *c)
{
    buf_free(&c->key);
    buf_free(&c->prefix);
    buf_free(&c->after);
    free(c);
}

static void shard_serve_get(void *arg, int err)
{
    struct shard_rpc_read *c = arg;
    struct group *g = node_find_group(c->n, c->group);
    if (err == 0 && g == NULL)
        err = ERR_CONFLICT;
    if (err != 0) {
        net_rpc_respond(c->r, err, NULL, 0);
        shard_rpc_read_free(c);
        return;
    }
    struct buf out = BUF_INIT;
    buf_append_u64(&out, 0);
    struct buf value = BUF_INIT;
    uint64_t version;
    struct errbuf eb = {{0}};
    int rc = kv_get(group_store(g), c->key.data, c->key.len, &value, &version, &eb);
    if (rc == 0) {
        codec_put_u64(out.data, version);
        buf_append(&out, value.data, value.len);
        net_rpc_respond(c->r, 0, out.data, out.len);
    } else {
        net_rpc_respond(c->r, rc, NULL, 0);
    }
    buf_free(&value);
    buf_free(&out);
    shard_rpc_read_free(c);
}

static void shard_serve_list(void *arg, int err)
{
    struct shard_rpc_read *c = arg;
    struct group *g = node_find_group(c->n, c->group);
    if (err == 0 && g == NULL)
        err = ERR_CONFLICT;
    struct shard_list_part part = {0};
    if (err == 0) {
        struct errbuf eb = {{0}};
        err = kv_list(group_store(g), &c->list, shard_list_collect, &part, &part.more, &eb);
    }
    if (err != 0) {
        net_rpc_respond(c->r, err, NULL, 0);
    } else {
        struct buf out = BUF_INIT;
        buf_append_u8(&out, part.more);
        buf_append_u32(&out, part.n_items);
        buf_append(&out, part.items.data, part.items.len);
        net_rpc_respond(c->r, 0, out.data, out.len);
        buf_free(&out);
    }
    buf_free(&part.items);
    shard_rpc_read_free(c);
}

bool shard_on_rpc(struct node *n, uint64_t from, struct net_responder *r, uint16_t method,
                  const uint8_t *payload, size_t len)
{
    (void)from;
    if (mover_on_rpc(n, r, method, payload, len))
        return true;
    if (method != NODE_RPC_KV_GET && method != NODE_RPC_KV_LIST)
        return false;
    struct codec_reader rd;
    codec_reader_init(&rd, payload, len);
    uint64_t gid = codec_read_u64(&rd);
    bool stale = codec_read_u8(&rd) != 0;
    if (rd.err || node_find_group(n, gid) == NULL) {
        net_rpc_respond(r, rd.err ? ERR_MALFORMED : ERR_CONFLICT, NULL, 0);
        return true;
    }
    struct shard_rpc_read *c = calloc(1, sizeof *c);
    ASSERT(c != NULL);
    c->n = n;
    c->r = r;
    c->group = gid;
    if (method == NODE_RPC_KV_GET) {
        buf_append(&c->key, payload + rd.off, len - rd.off);
        node_read(n, gid, stale, shard_serve_get, c);
        return true;
    }
    uint32_t limit = codec_read_u32(&rd);
    uint32_t plen = codec_read_u32(&rd);
    const uint8_t *prefix = codec_read_bytes(&rd, plen);
    uint32_t alen = codec_read_u32(&rd);
    const uint8_t *after = codec_read_bytes(&rd, alen);
    if (rd.err || limit == 0 || limit > SHARD_LIST_ITEMS_MAX) {
        net_rpc_respond(r, ERR_MALFORMED, NULL, 0);
        shard_rpc_read_free(c);
        return true;
    }
    buf_append(&c->prefix, prefix, plen);
    buf_append(&c->after, after, alen);
    c->list.prefix = c->prefix.data;
    c->list.prefix_len = plen;
    c->list.after = c->after.data;
    c->list.after_len = alen;
    c->list.limit = limit;
    node_read(n, gid, stale, shard_serve_list, c);
    return true;
}

/* ------------------------------------------------------------ tick */

static void shard_settings_done(void *arg, int err, const struct store_result *res)
{
    struct node *n = arg;
    (void)res;
    shard_state(n)->settings_inflight = false;
    if (err != 0)
        LOGW("shard", "cluster settings not recorded yet: %s", err_msg(err));
}

/* The bootstrap node's governor records the replication factor and bucket
 * count once; they never change afterwards. */
static void shard_maybe_init_settings(struct node *n)
{
    struct shard_state *s = shard_state(n);
    if (n->router.bucket_count != 0 || s->settings_inflight || !group_is_leader(n->group))
        return;
    uint32_t rf, count;
    struct errbuf eb = {{0}};
    if (cluster_settings(node_store(n), &rf, &count, &eb) != ERR_NOTFOUND)
        return;
    struct buf cmd = BUF_INIT;
    if (cluster_encode_settings_init(&cmd, n->cfg.replication_factor, n->cfg.bucket_count, &eb) ==
        0) {
        s->settings_inflight = true;
        node_write(n, NODE_GOVERNOR_GROUP, cmd.data, cmd.len, shard_settings_done, n);
    }
    buf_free(&cmd);
}

/* ---- Replicaset membership: the leader of each replicaset's group moves
 * its Raft configuration towards the catalog's members, one change at a time. */

static bool *shard_conf_slot(struct node *n, uint64_t gid, bool take)
{
    static bool busy = true, idle = false;
    struct shard_state *s = shard_state(n);
    for (uint32_t i = 0; i < s->n_conf_inflight; i++)
        if (s->conf_inflight[i] == gid)
            return &busy;
    if (take && s->n_conf_inflight < NODE_GROUPS_MAX)
        s->conf_inflight[s->n_conf_inflight++] = gid;
    return &idle;
}

struct shard_conf_ctx {
    struct node *n;
    uint64_t gid;
};

static void shard_conf_done(void *arg, int err, const struct store_result *res)
{
    struct shard_conf_ctx *c = arg;
    struct shard_state *s = shard_state(c->n);
    (void)res;
    for (uint32_t i = 0; i < s->n_conf_inflight; i++)
        if (s->conf_inflight[i] == c->gid) {
            s->conf_inflight[i] = s->conf_inflight[--s->n_conf_inflight];
            break;
        }
    if (err != 0 && err != ERR_SHUTDOWN)
        LOGD("shard", "group %" PRIu64 ": membership change did not complete: %s", c->gid,
             err_msg(err));
    free(c);
}

static bool shard_propose_conf(struct node *n, struct group *g, uint8_t op, uint64_t id)
{
    uint64_t gid = group_id(g);
    if (*shard_conf_slot(n, gid, false))
        return false;
    struct shard_conf_ctx *c = calloc(1, sizeof *c);
    ASSERT(c != NULL);
    c->n = n;
    c->gid = gid;
    struct raft_conf_change cc = {.op = op, .node = id};
    if (group_propose_conf(g, &cc, NODE_WRITE_TIMEOUT_MS, shard_conf_done, c) != 0) {
        free(c);
        return false;
    }
    shard_conf_slot(n, gid, true);
    LOGI("shard", "replicaset %u: %s node %" PRIu64, ROUTER_GROUP_RS(gid),
         op == RAFT_CONF_ADD_VOTER     ? "promoting to voter"
         : op == RAFT_CONF_ADD_LEARNER ? "adding as learner"
                                       : "removing",
         id);
    return true;
}

static bool shard_is_member(const struct router_rs *rs, uint64_t id)
{
    for (uint32_t i = 0; i < rs->n_members; i++)
        if (rs->members[i] == id)
            return true;
    return false;
}

static void shard_reconcile_rs(struct node *n, struct group *g)
{
    if (!group_is_leader(g) || *shard_conf_slot(n, group_id(g), false))
        return;
    const struct router_rs *rs = router_rs_get(&n->router, ROUTER_GROUP_RS(group_id(g)));
    if (rs == NULL || rs->n_members == 0)
        return;
    struct raft_status st;
    group_status(g, &st);
    for (uint32_t i = 0; i < st.conf.n_voters; i++)
        if (!shard_is_member(rs, st.conf.voters[i]) && st.conf.n_voters > 1 &&
            shard_propose_conf(n, g, RAFT_CONF_REMOVE, st.conf.voters[i]))
            return;
    for (uint32_t i = 0; i < st.conf.n_learners; i++)
        if (!shard_is_member(rs, st.conf.learners[i]) &&
            shard_propose_conf(n, g, RAFT_CONF_REMOVE, st.conf.learners[i]))
            return;
    for (uint32_t i = 0; i < rs->n_members; i++) {
        uint64_t m = rs->members[i];
        if (!raft_conf_is_voter(&st.conf, m) && !raft_conf_is_learner(&st.conf, m) &&
            shard_propose_conf(n, g, RAFT_CONF_ADD_LEARNER, m))
            return;
    }
    /* Every member of a replicaset votes: the replication factor is its size. */
    for (uint32_t i = 0; i < st.conf.n_learners; i++)
        if (st.conf.n_voters < RAFT_VOTERS_MAX &&
            shard_propose_conf(n, g, RAFT_CONF_ADD_VOTER, st.conf.learners[i]))
            return;
}

/* ------------------------------------------------------------ schema */

struct shard_schema_op {
    struct node *n;
    uint64_t group;
};

static void shard_schema_done(void *arg, int err, const struct store_result *res)
{
    struct shard_schema_op *op = arg;
    struct shard_state *s = shard_state(op->n);
    for (uint32_t i = 0; i < s->n_schema_inflight; i++)
        if (s->schema_inflight[i] == op->group) {
            s->schema_inflight[i] = s->schema_inflight[--s->n_schema_inflight];
            break;
        }
    struct table_output o;
    if (err == 0 && res->output != NULL &&
        table_output_parse(res->output, res->output_len, &o) == 0 && o.state == TABLE_STATE_ERROR)
        LOGE("shard", "group %" PRIu64 ": a schema change failed to apply here (%s: %s); the "
             "version moved on", op->group, o.sqlstate, o.message);
    free(op);
}

/* On a replicaset's leader: brings its tables to the catalog's schema
 * version, one DDL at a time, in order (docs/sql.md). */
static void shard_sync_schema(struct node *n, struct group *g)
{
    struct shard_state *s = shard_state(n);
    if (!group_is_leader(g) || s->n_schema_inflight == NODE_GROUPS_MAX)
        return;
    for (uint32_t i = 0; i < s->n_schema_inflight; i++)
        if (s->schema_inflight[i] == group_id(g))
            return;
    struct errbuf eb = {{0}};
    uint64_t want = 0, have = 0;
    if (cluster_schema_version(node_store(n), &want, &eb) != 0 ||
        table_schema_version(group_store(g), &have, &eb) != 0 || have >= want)
        return;
    char *sql = NULL;
    if (cluster_ddl_get(node_store(n), have + 1, &sql, &eb) != 0)
        return;
    struct buf cmd = BUF_INIT;
    if (table_encode_schema(&cmd, have + 1, sql, &eb) == 0) {
        struct shard_schema_op *op = calloc(1, sizeof *op);
        ASSERT(op != NULL);
        op->n = n;
        op->group = group_id(g);
        s->schema_inflight[s->n_schema_inflight++] = op->group;
        LOGD("shard", "group %" PRIu64 ": schema version %" PRIu64, op->group, have + 1);
        node_write(n, op->group, cmd.data, cmd.len, shard_schema_done, op);
    }
    buf_free(&cmd);
    free(sql);
}

void shard_tick(struct node *n)
{
    struct shard_state *s = shard_state(n);
    s->ticks++;
    shard_maybe_init_settings(n);
    for (uint32_t i = 0; i < n->n_groups; i++) {
        if (group_id(n->groups[i]) == NODE_GOVERNOR_GROUP)
            continue;
        shard_reconcile_rs(n, n->groups[i]);
        shard_sync_schema(n, n->groups[i]);
        mover_adopt(n, n->groups[i]);
    }
    mover_tick(n);
}
