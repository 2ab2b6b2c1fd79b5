/* The group driver: one Raft group's ready loop over the WAL and the store,
 * with the requests waiting on it and the snapshots streaming in and out. */
#include "node/group.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

struct group_waiter {
    uint64_t index, term;
    uint64_t deadline_ms;
    group_write_fn fn;
    void *arg;
};

struct group_reader {
    uint64_t ctx;
    uint64_t index;      /* valid once has_index */
    bool has_index;
    bool asked;          /* raft_read_index called for ctx */
    uint64_t deadline_ms;
    group_read_fn fn;
    void *arg;
};

struct group;

/* Leader side: pushing one snapshot to one follower, a chunk at a time. */
struct group_snap_send {
    struct group *g;
    bool active;
    bool inflight;     /* a chunk is out, or the retry timer runs */
    bool net_inflight; /* the transport owes us a callback for a chunk */
    uint64_t to;
    struct raft_msg msg; /* the RAFT_MSG_SNAPSHOT to step once all data is there */
    struct store_snapshot *snap;
    struct buf chunk;
    uint32_t seq;
    bool last;
    int retries;
    uv_timer_t retry_timer;
};

/* Follower side: the snapshot being received. */
struct group_snap_recv {
    struct store_restore *rs;
    uint64_t from;
    uint64_t index, term;
    bool complete;
};

struct group_conf_at {
    uint64_t index;
    struct raft_conf conf;
};

#define GROUP_SNAP_SENDS_MAX 16
#define GROUP_CONF_HISTORY_MAX 64
#define GROUP_SNAPSHOT_RETRIES_MAX 5
#define GROUP_IDLE_READ_CONNS_MAX 4 /* reader connections kept open between long reads */

struct group {
    uv_loop_t *loop;
    struct group_config cfg;
    char dir[1024];
    char store_path[1100];
    struct wal *wal;
    struct flusher *flusher;
    struct net_transport *net;
    struct group_hooks hooks;

    struct raft *r;
    struct wal_storage ws;
    struct raft_storage wal_st; /* the WAL's view, wrapped by st */
    struct raft_storage st;
    struct store *store;

    uv_check_t check;
    uv_idle_t idle; /* runs while work is pending, so poll does not block */
    bool idle_active;
    uint32_t handles_open;
    bool handles_closing;
    bool persisting; /* a ready is out: waiting for the flusher */
    bool has_rd;
    struct raft_ready rd;
    bool closing;
    void (*close_done)(void *);
    void *close_arg;
    int fatal;

    struct group_waiter *waiters; /* ring, ordered by index */
    uint32_t w_head, w_len, w_cap;
    struct group_reader *readers;
    uint32_t n_readers, cap_readers;
    uint64_t next_read_ctx;

    struct group_snap_send sends[GROUP_SNAP_SENDS_MAX];
    struct group_snap_recv recv;

    struct group_conf_at conf_hist[GROUP_CONF_HISTORY_MAX];
    uint32_t n_conf_hist;

    struct raft_hard_state durable_hs; /* term and vote as last written to the WAL */

    /* Store checkpoints run on the thread pool (never on the loop). */
    uv_work_t ckpt_work;
    bool ckpt_running;
    int ckpt_rc;
    uint64_t ckpt_result;
    uint64_t ckpt_generation;  /* store generation the running checkpoint saw */
    uint64_t store_generation; /* bumped when a snapshot replaces the store */
    uint64_t durable_index;    /* applied index durable in the store file */
    uint64_t ckpt_last_ms;
    bool install_waiting;      /* a snapshot install waits for the checkpoint */

    /* Reader connections for reads off the loop (group_read_conn_take): idle ones, all of the
     * store that store_serial names. */
    struct store *idle_read_conns[GROUP_IDLE_READ_CONNS_MAX];
    uint32_t n_idle_read_conns;
    uint64_t store_serial;

    uint64_t last_leader;
    enum raft_role last_role;
    uint64_t leader_changes;
    uint64_t proposals;
};

static void group_kick(struct group *g);
static void group_fail(struct group *g, int err, const char *msg);

/* ------------------------------------------------------------ reader connections */

/* Names every store a group opens, node-wide and never reused: a reader handed back after
 * its store was replaced (a snapshot) or its group closed and made again is not kept. */
static uint64_t group_store_serial_next(void)
{
    static uint64_t serial; /* loop thread only */
    return ++serial;
}

static void group_read_conns_drop(struct group *g)
{
    while (g->n_idle_read_conns > 0)
        store_close(g->idle_read_conns[--g->n_idle_read_conns]);
}

int group_read_conn_take(struct group *g, struct store **out, uint64_t *serial, struct errbuf *eb)
{
    if (g->store == NULL || g->closing || g->fatal)
        return err_set(eb, ERR_UNAVAILABLE, "group %" PRIu64 " has no store open",
                       g->cfg.group_id);
    *serial = g->store_serial;
    if (g->n_idle_read_conns > 0) {
        *out = g->idle_read_conns[--g->n_idle_read_conns];
        return 0;
    }
    return store_open_reader(g->store, out, eb);
}

void group_read_conn_give(struct group *g, struct store *r, uint64_t serial)
{
    if (g == NULL || serial != g->store_serial || g->closing || g->fatal ||
        g->n_idle_read_conns == GROUP_IDLE_READ_CONNS_MAX) {
        store_close(r);
        return;
    }
    g->idle_read_conns[g->n_idle_read_conns++] = r;
}

/* ------------------------------------------------------------ storage */

/* The WAL's storage, except that the snapshot a leader sends is the state
 * as applied right now: the store is read at that point by the same loop
 * turn, so data and metadata agree. */
static uint64_t group_st_first(void *ctx)
{
    struct group *g = ctx;
    return g->wal_st.first_index(g->wal_st.ctx);
}
static uint64_t group_st_last(void *ctx)
{
    struct group *g = ctx;
    return g->wal_st.last_index(g->wal_st.ctx);
}
static int group_st_term(void *ctx, uint64_t index, uint64_t *term)
{
    struct group *g = ctx;
    return g->wal_st.term(g->wal_st.ctx, index, term);
}
static int group_st_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                            struct raft_entry *out, uint32_t *n)
{
    struct group *g = ctx;
    return g->wal_st.entries(g->wal_st.ctx, lo, hi, max_bytes, out, n);
}
static int group_st_snapshot(void *ctx, struct raft_snapshot_meta *meta)
{
    struct group *g = ctx;
    if (g->r == NULL)
        return g->wal_st.snapshot(g->wal_st.ctx, meta); /* during raft_create */
    return raft_snapshot_meta(g->r, meta);
}

/* ------------------------------------------------------------ waiters */

static void group_waiters_push(struct group *g, const struct group_waiter *w)
{
    if (g->w_len == g->w_cap) {
        uint32_t cap = g->w_cap ? 2 * g->w_cap : 256;
        struct group_waiter *p = malloc(cap * sizeof *p);
        ASSERT(p != NULL);
        for (uint32_t i = 0; i < g->w_len; i++)
            p[i] = g->waiters[(g->w_head + i) % g->w_cap];
        free(g->waiters);
        g->waiters = p;
        g->w_cap = cap;
        g->w_head = 0;
    }
    g->waiters[(g->w_head + g->w_len) % g->w_cap] = *w;
    g->w_len++;
}

static struct group_waiter *group_waiters_front(struct group *g)
{
    return g->w_len ? &g->waiters[g->w_head] : NULL;
}

static void group_waiters_pop(struct group *g)
{
    g->w_head = (g->w_head + 1) % g->w_cap;
    g->w_len--;
}

/* An entry was applied: answer the write waiting for that index, if any. */
static void group_waiters_applied(struct group *g, const struct raft_entry *e,
                                  const struct store_result *res)
{
    struct group_waiter *w;
    while ((w = group_waiters_front(g)) != NULL && w->index <= e->index) {
        struct group_waiter cur = *w;
        group_waiters_pop(g);
        if (cur.index == e->index && cur.term == e->term)
            cur.fn(cur.arg, 0, res);
        else
            cur.fn(cur.arg, ERR_NOTLEADER, NULL); /* our entry was overwritten */
    }
}

static void group_waiters_expire(struct group *g, uint64_t now_ms)
{
    /* Waiters are ordered by index, not deadline; deadlines are the same
     * timeout from nearly the same time, so sweeping the whole ring is rare. */
    uint32_t n = g->w_len;
    for (uint32_t i = 0; i < n; i++) {
        struct group_waiter *w = &g->waiters[(g->w_head + i) % g->w_cap];
        if (w->fn != NULL && w->deadline_ms <= now_ms) {
            group_write_fn fn = w->fn;
            w->fn = NULL;
            fn(w->arg, ERR_TIMEOUT, NULL);
        }
    }
    while (g->w_len && g->waiters[g->w_head].fn == NULL)
        group_waiters_pop(g);
}

static void group_waiters_fail_all(struct group *g, int err)
{
    while (g->w_len) {
        struct group_waiter cur = *group_waiters_front(g);
        group_waiters_pop(g);
        if (cur.fn)
            cur.fn(cur.arg, err, NULL);
    }
}

/* ------------------------------------------------------------ reads */

static void group_reader_remove(struct group *g, uint32_t i)
{
    g->readers[i] = g->readers[--g->n_readers];
}

/* Serves every read whose index this replica has applied; fails expired ones. */
static void group_readers_serve(struct group *g, uint64_t now_ms)
{
    struct raft_status st;
    raft_status(g->r, &st);
    for (uint32_t i = 0; i < g->n_readers;) {
        struct group_reader *rd = &g->readers[i];
        if (rd->has_index && st.applied >= rd->index) {
            struct group_reader cur = *rd;
            group_reader_remove(g, i);
            cur.fn(cur.arg, 0);
            continue;
        }
        if (rd->deadline_ms <= now_ms) {
            struct group_reader cur = *rd;
            group_reader_remove(g, i);
            cur.fn(cur.arg, st.leader == RAFT_NONE ? ERR_UNAVAILABLE : ERR_TIMEOUT);
            continue;
        }
        if (!rd->asked && st.leader != RAFT_NONE) {
            /* (Re)ask: the first try may have failed for want of a leader. */
            if (raft_read_index(g->r, rd->ctx) == 0)
                rd->asked = true;
        }
        i++;
    }
}

static struct group_reader *group_reader_find(struct group *g, uint64_t ctx)
{
    for (uint32_t i = 0; i < g->n_readers; i++)
        if (g->readers[i].ctx == ctx)
            return &g->readers[i];
    return NULL;
}

/* ------------------------------------------------------------ snapshots out */

static void group_snap_send_end(struct group_snap_send *s, bool ok)
{
    struct group *g = s->g;
    if (s->snap)
        store_snapshot_close(s->snap);
    s->snap = NULL;
    buf_free(&s->chunk);
    s->active = false;
    if (!g->closing) {
        raft_report_snapshot(g->r, s->to, ok);
        group_kick(g);
    }
}

static void group_snap_send_chunk(struct group_snap_send *s);

static void group_snap_retry(uv_timer_t *t)
{
    struct group_snap_send *s = t->data;
    s->inflight = false;
    if (s->active && !s->g->closing)
        group_snap_send_chunk(s);
}

static void group_snap_failed(struct group_snap_send *s, const char *why)
{
    if (++s->retries > GROUP_SNAPSHOT_RETRIES_MAX) {
        LOGW("group", "group %" PRIu64 ": giving up sending snapshot to node %" PRIu64 ": %s",
             s->g->cfg.group_id, s->to, why);
        group_snap_send_end(s, false);
        return;
    }
    s->inflight = true;
    uv_timer_start(&s->retry_timer, group_snap_retry, 200u << s->retries, 0);
}

static void group_snap_acked(void *arg, int err, int status, const uint8_t *payload, size_t len)
{
    struct group_snap_send *s = arg;
    struct group *g = s->g;
    s->inflight = false;
    s->net_inflight = false;
    if (g->closing) {
        group_close(g, g->close_done, g->close_arg); /* it may have waited for us */
        return;
    }
    if (!s->active)
        return;
    if (err != 0) {
        group_snap_failed(s, err_msg(err));
        return;
    }
    if (status == ERR_RANGE && len == 8) {
        /* The receiver wants another chunk (it restarted or lost one). */
        uint64_t want = codec_get_u64(payload);
        struct errbuf eb = {{0}};
        if (store_snapshot_seek(s->snap, want, &eb) != 0) {
            group_snap_send_end(s, false);
            return;
        }
        s->seq = (uint32_t)want;
        s->retries++;
        group_snap_send_chunk(s);
        return;
    }
    if (status != 0) {
        LOGW("group", "node %" PRIu64 " refused snapshot chunk %u: %s", s->to, s->seq,
             err_name(status));
        group_snap_send_end(s, false);
        return;
    }
    if (s->last) {
        /* All data is there: now the metadata, which the follower steps. */
        net_send_raft(g->net, s->to, g->cfg.group_id, &s->msg, 1);
        LOGI("group", "group %" PRIu64 ": sent snapshot at index %" PRIu64 " to node %" PRIu64
             " (%u chunks)", g->cfg.group_id, s->msg.snap.index, s->to, s->seq + 1);
        group_snap_send_end(s, true);
        return;
    }
    s->seq++;
    s->retries = 0;
    group_snap_send_chunk(s);
}

static void group_snap_send_chunk(struct group_snap_send *s)
{
    struct group *g = s->g;
    struct errbuf eb = {{0}};
    bool done = false;
    int rc = store_snapshot_next(s->snap, &s->chunk, &done, &eb);
    if (rc != 0) {
        LOGE("group", "reading snapshot for node %" PRIu64 ": %s", s->to, eb.msg);
        group_snap_send_end(s, false);
        return;
    }
    s->last = done;
    struct net_snapshot_chunk c = {.group = g->cfg.group_id,
                                   .index = s->msg.snap.index,
                                   .term = s->msg.snap.term,
                                   .seq = s->seq,
                                   .flags = done ? NET_SNAPSHOT_CHUNK_LAST : 0,
                                   .data = s->chunk.data,
                                   .len = (uint32_t)s->chunk.len};
    rc = net_send_snapshot_chunk(g->net, s->to, &c, GROUP_SNAPSHOT_CHUNK_TIMEOUT_MS,
                                 group_snap_acked, s);
    if (rc != 0) {
        /* Rewind so the retry sends this chunk again. */
        store_snapshot_seek(s->snap, s->seq, &eb);
        group_snap_failed(s, err_msg(rc));
        return;
    }
    s->inflight = true;
    s->net_inflight = true;
}

static void group_snap_send_start(struct group *g, const struct raft_msg *m)
{
    struct group_snap_send *s = NULL, *free_slot = NULL;
    for (int i = 0; i < GROUP_SNAP_SENDS_MAX; i++) {
        if (g->sends[i].active && g->sends[i].to == m->to)
            s = &g->sends[i];
        else if (!g->sends[i].active && !g->sends[i].inflight && free_slot == NULL)
            free_slot = &g->sends[i];
    }
    if (s != NULL)
        return; /* one at a time per follower; the core waits for our report */
    if (free_slot == NULL) {
        raft_report_snapshot(g->r, m->to, false);
        return;
    }
    s = free_slot;
    struct errbuf eb = {{0}};
    struct store_snapshot *snap;
    if (store_snapshot_open(g->store, GROUP_SNAPSHOT_CHUNK_BYTES, &snap, &eb) != 0) {
        LOGE("group", "cannot open a snapshot for node %" PRIu64 ": %s", m->to, eb.msg);
        raft_report_snapshot(g->r, m->to, false);
        return;
    }
    uint64_t idx = store_snapshot_index(snap);
    if (idx < RAFT_BOOTSTRAP_INDEX)
        idx = RAFT_BOOTSTRAP_INDEX; /* a new store stands for the bootstrap state */
    if (idx != m->snap.index) {
        LOGE("group", "snapshot index %" PRIu64 " does not match the store's %" PRIu64,
             m->snap.index, idx);
        store_snapshot_close(snap);
        raft_report_snapshot(g->r, m->to, false);
        return;
    }
    s->g = g;
    s->active = true;
    s->to = m->to;
    s->msg = *m;
    s->msg.entries = NULL;
    s->msg.n_entries = 0;
    s->snap = snap;
    s->seq = 0;
    s->retries = 0;
    s->last = false;
    LOGI("group", "group %" PRIu64 ": sending snapshot at index %" PRIu64 " to node %" PRIu64,
         g->cfg.group_id, m->snap.index, m->to);
    group_snap_send_chunk(s);
}

/* ------------------------------------------------------------ snapshots in */

static void group_recv_reset(struct group *g)
{
    store_restore_abort(g->recv.rs);
    memset(&g->recv, 0, sizeof g->recv);
}

static int group_respond_next(struct net_responder *r, uint64_t want)
{
    uint8_t p[8];
    codec_put_u64(p, want);
    return net_rpc_respond(r, ERR_RANGE, p, sizeof p);
}

void group_snapshot_chunk(struct group *g, uint64_t from, struct net_responder *r,
                          const struct net_snapshot_chunk *c)
{
    struct errbuf eb = {{0}};
    if (g->closing || g->persisting) {
        /* Never change the staging file under an install in progress. */
        net_rpc_respond(r, ERR_BUSY, NULL, 0);
        return;
    }
    struct group_snap_recv *rv = &g->recv;
    if (c->seq == 0 && (rv->rs == NULL || rv->index != c->index || rv->term != c->term ||
                        store_restore_next_seq(rv->rs) != 0)) {
        group_recv_reset(g);
        if (store_restore_begin(g->store_path, &rv->rs, &eb) != 0) {
            LOGE("group", "cannot start restoring a snapshot: %s", eb.msg);
            net_rpc_respond(r, ERR_IO, NULL, 0);
            return;
        }
        rv->from = from;
        rv->index = c->index;
        rv->term = c->term;
    }
    if (rv->rs == NULL || rv->index != c->index || rv->term != c->term) {
        group_respond_next(r, 0);
        return;
    }
    uint64_t want = store_restore_next_seq(rv->rs);
    if (c->seq != want) {
        if (c->seq < want)
            net_rpc_respond(r, 0, NULL, 0); /* a duplicate: already stored */
        else
            group_respond_next(r, want);
        return;
    }
    int rc = store_restore_chunk(rv->rs, c->data, c->len, &eb);
    if (rc != 0) {
        LOGW("group", "snapshot chunk %u from node %" PRIu64 " rejected: %s", c->seq, from,
             eb.msg);
        group_respond_next(r, store_restore_next_seq(rv->rs));
        return;
    }
    rv->complete = store_restore_complete(rv->rs);
    net_rpc_respond(r, 0, NULL, 0);
}

/* Replaces the store with the restored snapshot: after the WAL has durably
 * recorded the snapshot, so a crash in between is repaired at open. */
static int group_install_store(struct group *g, const struct raft_snapshot_meta *meta,
                               struct errbuf *eb)
{
    struct group_snap_recv *rv = &g->recv;
    if (rv->rs == NULL || !rv->complete || rv->index != meta->index)
        return err_set(eb, ERR_INVAL, "snapshot data for index %" PRIu64 " is not here",
                       meta->index);
    store_close(g->store);
    g->store = NULL;
    group_read_conns_drop(g);
    g->store_serial = group_store_serial_next();
    int rc = store_restore_finish(rv->rs, eb);
    rv->rs = NULL;
    memset(rv, 0, sizeof *rv);
    if (rc != 0)
        return rc;
    struct store_opts o;
    store_opts_default(&o);
    o.cluster_id = g->cfg.cluster_id;
    o.group_id = g->cfg.group_id;
    o.background_checkpoint = true;
    rc = store_open(g->store_path, &o, &g->store, eb);
    if (rc != 0)
        return rc;
    LOGI("group", "group %" PRIu64 ": installed snapshot at index %" PRIu64, g->cfg.group_id,
         meta->index);
    return 0;
}

/* ------------------------------------------------------------ the ready loop */

static void group_note_state(struct group *g)
{
    struct raft_status st;
    raft_status(g->r, &st);
    if (st.leader != g->last_leader || st.role != g->last_role) {
        if (st.leader != g->last_leader && st.leader != RAFT_NONE)
            g->leader_changes++;
        if (st.role == RAFT_LEADER && g->last_role != RAFT_LEADER)
            LOGI("group", "group %" PRIu64 ": node %" PRIu64 " is leader in term %" PRIu64,
                 g->cfg.group_id, g->cfg.node_id, st.term);
        g->last_leader = st.leader;
        g->last_role = st.role;
        if (g->hooks.on_state)
            g->hooks.on_state(g->hooks.ctx, g);
    }
}

static void group_conf_record(struct group *g, uint64_t index)
{
    struct raft_status st;
    raft_status(g->r, &st);
    if (g->n_conf_hist > 0 &&
        memcmp(&g->conf_hist[g->n_conf_hist - 1].conf, &st.conf, sizeof st.conf) == 0)
        return;
    if (g->n_conf_hist == GROUP_CONF_HISTORY_MAX) {
        memmove(g->conf_hist, g->conf_hist + 1, (GROUP_CONF_HISTORY_MAX - 1) * sizeof g->conf_hist[0]);
        g->n_conf_hist--;
    }
    g->conf_hist[g->n_conf_hist].index = index;
    g->conf_hist[g->n_conf_hist].conf = st.conf;
    g->n_conf_hist++;
    if (g->hooks.on_state)
        g->hooks.on_state(g->hooks.ctx, g);
}

/* The configuration in force at index, if we still know it. */
static bool group_conf_at(const struct group *g, uint64_t index, struct raft_conf *out)
{
    for (uint32_t i = g->n_conf_hist; i > 0; i--) {
        if (g->conf_hist[i - 1].index <= index) {
            *out = g->conf_hist[i - 1].conf;
            return true;
        }
    }
    return false;
}

/* Compacts the log once enough is applied, up to what the store has durably
 * checkpointed, keeping some entries for followers slightly behind. */
static void group_maybe_compact(struct group *g)
{
    struct raft_status st;
    raft_status(g->r, &st);
    uint64_t first = wal_first_index(g->wal, g->cfg.group_id);
    if (st.applied < first + GROUP_COMPACT_ENTRIES + GROUP_COMPACT_KEEP_ENTRIES ||
        g->durable_index < GROUP_COMPACT_KEEP_ENTRIES)
        return;
    uint64_t target = g->durable_index - GROUP_COMPACT_KEEP_ENTRIES;
    struct raft_snapshot_meta meta = {.index = target};
    if (target < first || !group_conf_at(g, target, &meta.conf) ||
        wal_term(g->wal, g->cfg.group_id, target, &meta.term) != 0)
        return;
    struct errbuf eb = {{0}};
    int rc = wal_set_snapshot(g->wal, g->cfg.group_id, &meta, &eb);
    if (rc != 0 && rc != ERR_STALE)
        group_fail(g, rc, eb.msg);
}

/* Store checkpoints: SQLite copies its WAL back into the database file on a
 * worker thread, and tells us how far the file is durable. */
static void group_ckpt_work(uv_work_t *w)
{
    struct group *g = w->data;
    struct errbuf eb = {{0}};
    g->ckpt_rc = store_checkpoint_background(g->store_path, &g->ckpt_result, &eb);
}

static void group_persisted(void *arg, int rc);

static void group_ckpt_done(uv_work_t *w, int status)
{
    struct group *g = w->data;
    g->ckpt_running = false;
    if (status == 0 && g->ckpt_rc == 0 && g->ckpt_generation == g->store_generation &&
        g->ckpt_result > g->durable_index)
        g->durable_index = g->ckpt_result;
    if (g->ckpt_rc != 0 && g->ckpt_rc != ERR_BUSY)
        LOGW("group", "group %" PRIu64 ": store checkpoint failed: %s", g->cfg.group_id,
             err_msg(g->ckpt_rc));
    if (g->closing) {
        if (g->install_waiting) {
            g->install_waiting = false;
            g->persisting = false; /* the install is abandoned with the group */
        }
        group_close(g, g->close_done, g->close_arg);
        return;
    }
    if (g->install_waiting) {
        g->install_waiting = false;
        group_persisted(g, 0);
    }
}

#define GROUP_CKPT_INTERVAL_MS 1000

static void group_maybe_checkpoint(struct group *g, uint64_t now_ms)
{
    if (g->ckpt_running || g->closing || g->fatal || now_ms < g->ckpt_last_ms + GROUP_CKPT_INTERVAL_MS)
        return;
    struct raft_status st;
    raft_status(g->r, &st);
    if (st.applied <= g->durable_index)
        return;
    g->ckpt_last_ms = now_ms;
    g->ckpt_running = true;
    /* A transaction held open on the store would keep the checkpoint's RESTART pass waiting. */
    if (g->store != NULL)
        store_release(g->store);
    g->ckpt_generation = g->store_generation;
    g->ckpt_work.data = g;
    uv_queue_work(g->loop, &g->ckpt_work, group_ckpt_work, group_ckpt_done);
}

static void group_process_one(struct group *g)
{
    struct errbuf eb = {{0}};
    raft_ready(g->r, &g->rd);
    g->has_rd = true;
    struct raft_ready *rd = &g->rd;
    group_note_state(g);

    for (uint32_t i = 0; i < rd->n_msgs; i++) {
        if (rd->msgs[i].type == RAFT_MSG_SNAPSHOT)
            group_snap_send_start(g, &rd->msgs[i]);
        else
            net_send_raft(g->net, rd->msgs[i].to, g->cfg.group_id, &rd->msgs[i], 1);
    }
    bool flush = false;
    int rc = 0;
    if (rd->has_snapshot) {
        rc = wal_set_snapshot(g->wal, g->cfg.group_id, &rd->snapshot, &eb);
        flush = true;
    }
    if (rc == 0 && rd->n_entries > 0) {
        rc = wal_append_entries(g->wal, g->cfg.group_id, rd->entries, rd->n_entries, &eb);
        flush = true;
    }
    /* The commit index is only a hint (it is relearned from the leader), so
     * a change of commit alone costs no write and no sync: only term and
     * vote must be durable before the messages that depend on them. */
    if (rc == 0 && rd->has_hard_state &&
        (rd->hard_state.term != g->durable_hs.term || rd->hard_state.vote != g->durable_hs.vote)) {
        rc = wal_set_hard_state(g->wal, g->cfg.group_id, &rd->hard_state, &eb);
        g->durable_hs = rd->hard_state;
        flush = true;
    }
    g->persisting = true;
    if (rc != 0) {
        group_fail(g, rc, eb.msg);
        return;
    }
    if (flush)
        flusher_request(g->flusher, group_persisted, g);
    else
        group_persisted(g, 0);
}

static void group_apply(struct group *g, const struct raft_ready *rd)
{
    if (rd->n_committed == 0)
        return;
    struct errbuf eb = {{0}};
    struct store_result *res = calloc(rd->n_committed, sizeof *res);
    ASSERT(res != NULL);
    /* The entries are committed in the log, so their results may be answered before SQLite's
     * COMMIT of the batch writes its pages: the client's next request is on its way while
     * it does. Whatever a waiter runs on the store meanwhile commits the batch first. */
    int rc = store_apply_open(g->store, rd->committed, rd->n_committed, res, &eb);
    if (rc != 0) {
        free(res);
        group_fail(g, rc, eb.msg);
        return;
    }
    for (uint32_t i = 0; i < rd->n_committed; i++) {
        const struct raft_entry *e = &rd->committed[i];
        if (res[i].skipped)
            continue;
        if (e->type == RAFT_ENTRY_NORMAL && g->hooks.on_applied)
            g->hooks.on_applied(g->hooks.ctx, g, e, &res[i]);
        group_waiters_applied(g, e, &res[i]);
    }
    store_results_free(res, rd->n_committed);
    free(res);
    rc = store_apply_close(g->store, &eb);
    if (rc != 0)
        group_fail(g, rc, eb.msg);
}

static void group_persisted(void *arg, int rc)
{
    struct group *g = arg;
    struct errbuf eb = {{0}};
    struct raft_ready *rd = &g->rd;
    if (rc != 0) {
        group_fail(g, rc, "the write-ahead log failed");
        return;
    }
    if (g->fatal)
        return;
    if (rd->has_snapshot && g->ckpt_running) {
        g->install_waiting = true; /* its connection must not see the swap */
        return;
    }
    if (rd->has_snapshot) {
        g->store_generation++;
        g->durable_index = rd->snapshot.index; /* restore_finish fsynced it */
        rc = group_install_store(g, &rd->snapshot, &eb);
        if (rc != 0) {
            group_fail(g, rc, eb.msg);
            return;
        }
    }
    for (uint32_t i = 0; i < rd->n_msgs_after_persist; i++)
        net_send_raft(g->net, rd->msgs_after_persist[i].to, g->cfg.group_id,
                      &rd->msgs_after_persist[i], 1);
    group_apply(g, rd);
    if (g->fatal)
        return;
    for (uint32_t i = 0; i < rd->n_reads; i++) {
        struct group_reader *r = group_reader_find(g, rd->reads[i].ctx);
        if (r != NULL) {
            r->has_index = true;
            r->index = rd->reads[i].index;
        }
    }
    for (uint32_t i = 0; i < rd->n_reads_failed; i++) {
        struct group_reader *r = group_reader_find(g, rd->reads_failed[i]);
        if (r != NULL)
            r->asked = false; /* ask again on the next tick */
    }
    bool had_conf = false;
    uint64_t last_conf = 0;
    for (uint32_t i = 0; i < rd->n_committed; i++)
        if (rd->committed[i].type == RAFT_ENTRY_CONF) {
            had_conf = true;
            last_conf = rd->committed[i].index;
        }
    bool had_snapshot = rd->has_snapshot;
    uint64_t snap_index = rd->snapshot.index;
    raft_advance(g->r, rd);
    g->has_rd = false;
    wal_release(g->wal, g->cfg.group_id);
    if (had_snapshot) {
        g->n_conf_hist = 0;
        group_conf_record(g, snap_index);
    }
    if (had_conf)
        group_conf_record(g, last_conf);
    g->persisting = false;
    group_note_state(g);
    group_readers_serve(g, clock_mono_ms());
    group_maybe_compact(g);
    if (g->closing) {
        group_close(g, g->close_done, g->close_arg);
        return;
    }
    group_kick(g);
}

static void group_on_check(uv_check_t *h)
{
    struct group *g = h->data;
    while (!g->persisting && !g->closing && !g->fatal && raft_has_ready(g->r))
        group_process_one(g);
    if (g->idle_active && (g->persisting || !raft_has_ready(g->r))) {
        uv_idle_stop(&g->idle);
        g->idle_active = false;
    }
}

static void group_on_idle(uv_idle_t *h)
{
    (void)h; /* only here so that poll does not block while work is pending */
}

static void group_kick(struct group *g)
{
    if (!g->idle_active && !g->closing && !g->fatal) {
        uv_idle_start(&g->idle, group_on_idle);
        g->idle_active = true;
    }
}

static void group_fail(struct group *g, int err, const char *msg)
{
    if (g->fatal)
        return;
    g->fatal = err ? err : ERR_IO;
    LOGE("group", "group %" PRIu64 ": fatal storage error: %s (%s)", g->cfg.group_id, msg,
         err_name(err));
    if (g->hooks.on_fatal)
        g->hooks.on_fatal(g->hooks.ctx, g, err, msg);
}

/* ------------------------------------------------------------ open / close */

/* Makes the WAL and the store agree after a crash during a snapshot install:
 * the WAL recorded the snapshot but the store was not yet swapped. Nothing
 * after the snapshot had been acknowledged then, so the group starts over as
 * an empty member (keeping its term and vote) and is sent a snapshot again. */
static int group_repair(struct group *g, struct errbuf *eb)
{
    struct wal_group_info info;
    if (wal_group_info(g->wal, g->cfg.group_id, &info) != 0)
        return 0;
    uint64_t applied = store_applied_index(g->store);
    if (applied >= info.snap.index || info.snap.index <= RAFT_BOOTSTRAP_INDEX)
        return 0;
    LOGW("group", "group %" PRIu64 ": store (applied %" PRIu64 ") is behind the log's snapshot "
         "(%" PRIu64 "): an install was interrupted; fetching the snapshot again",
         g->cfg.group_id, applied, info.snap.index);
    int rc = wal_drop_group(g->wal, g->cfg.group_id, eb);
    if (rc == 0)
        rc = wal_set_hard_state(g->wal, g->cfg.group_id, &info.hs, eb);
    if (rc == 0)
        rc = wal_sync(g->wal, eb);
    if (rc != 0)
        return rc;
    store_close(g->store);
    g->store = NULL;
    group_read_conns_drop(g);
    g->store_serial = group_store_serial_next();
    if (unlink(g->store_path) != 0 && errno != ENOENT)
        return err_set(eb, ERR_IO, "cannot remove %s: %s", g->store_path, strerror(errno));
    char side[1200];
    snprintf(side, sizeof side, "%s-wal", g->store_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", g->store_path);
    unlink(side);
    struct store_opts o;
    store_opts_default(&o);
    o.cluster_id = g->cfg.cluster_id;
    o.group_id = g->cfg.group_id;
    o.bucket_count = g->cfg.bucket_count;
    o.background_checkpoint = true;
    return store_open(g->store_path, &o, &g->store, eb);
}

int group_open(uv_loop_t *loop, const struct group_config *cfg, struct wal *wal,
               struct flusher *flusher, struct net_transport *net,
               const struct group_hooks *hooks, struct group **out, struct errbuf *eb)
{
    struct group *g = calloc(1, sizeof *g);
    if (g == NULL)
        return ERR_NOMEM;
    g->loop = loop;
    g->cfg = *cfg;
    snprintf(g->dir, sizeof g->dir, "%s", cfg->dir);
    g->cfg.dir = g->dir;
    snprintf(g->store_path, sizeof g->store_path, "%s/store.db", g->dir);
    g->wal = wal;
    g->flusher = flusher;
    g->net = net;
    g->hooks = *hooks;
    g->next_read_ctx = 1;
    g->last_role = RAFT_FOLLOWER;
    g->store_serial = group_store_serial_next();

    struct store_opts o;
    store_opts_default(&o);
    o.cluster_id = cfg->cluster_id;
    o.group_id = cfg->group_id;
    o.bucket_count = cfg->bucket_count;
    o.background_checkpoint = true;
    int rc = store_open(g->store_path, &o, &g->store, eb);
    if (rc != 0)
        goto err_after_alloc;

    struct wal_group_info info;
    bool known = wal_group_info(wal, cfg->group_id, &info) == 0;
    if (!known && cfg->bootstrap) {
        struct raft_snapshot_meta boot = {.index = RAFT_BOOTSTRAP_INDEX,
                                          .term = RAFT_BOOTSTRAP_TERM};
        boot.conf.voters[0] = cfg->node_id;
        boot.conf.n_voters = 1;
        struct raft_hard_state hs = {.term = RAFT_BOOTSTRAP_TERM};
        rc = wal_set_snapshot(wal, cfg->group_id, &boot, eb);
        if (rc == 0)
            rc = wal_set_hard_state(wal, cfg->group_id, &hs, eb);
        if (rc == 0)
            rc = wal_sync(wal, eb);
        if (rc != 0)
            goto err_after_store;
    }
    rc = group_repair(g, eb);
    if (rc != 0)
        goto err_after_store;
    known = wal_group_info(wal, cfg->group_id, &info) == 0;
    if (!known)
        memset(&info, 0, sizeof info);

    wal_storage_init(&g->ws, wal, cfg->group_id, &g->wal_st);
    g->st.ctx = g;
    g->st.first_index = group_st_first;
    g->st.last_index = group_st_last;
    g->st.term = group_st_term;
    g->st.entries = group_st_entries;
    g->st.snapshot = group_st_snapshot;

    uint64_t applied = store_applied_index(g->store);
    if (applied < info.snap.index)
        applied = info.snap.index;
    if (applied > info.last_index) {
        rc = err_set(eb, ERR_CORRUPT,
                     "group %" PRIu64 ": the store has applied index %" PRIu64
                     " but the log ends at %" PRIu64 "; the data directory is damaged",
                     cfg->group_id, applied, info.last_index);
        goto err_after_store;
    }
    struct raft_config rcfg;
    raft_config_default(&rcfg, cfg->node_id);
    rcfg.election_ticks = cfg->election_ticks;
    rcfg.heartbeat_ticks = cfg->heartbeat_ticks;
    rcfg.lease_reads = cfg->lease_reads;
    rcfg.max_msg_bytes = GROUP_ENTRY_BYTES_MAX; /* a message always fits one whole entry */
    rcfg.seed = clock_mono_ns() ^ (cfg->node_id << 32) ^ cfg->group_id;
    g->durable_hs = info.hs;
    rc = raft_create(&rcfg, &g->st, &info.hs, applied, &g->r);
    if (rc != 0) {
        err_set(eb, rc, "group %" PRIu64 ": cannot restore Raft state from the log: %s",
                cfg->group_id, err_msg(rc));
        goto err_after_store;
    }
    group_conf_record(g, applied);

    uv_check_init(loop, &g->check);
    g->check.data = g;
    uv_check_start(&g->check, group_on_check);
    uv_idle_init(loop, &g->idle);
    g->idle.data = g;
    g->handles_open = 2;
    for (int i = 0; i < GROUP_SNAP_SENDS_MAX; i++) {
        uv_timer_init(loop, &g->sends[i].retry_timer);
        g->sends[i].retry_timer.data = &g->sends[i];
        g->sends[i].g = g;
        g->handles_open++;
    }
    /* A lone voter need not wait out an election timeout. */
    struct raft_status st;
    raft_status(g->r, &st);
    if (st.conf.n_voters == 1 && st.conf.voters[0] == cfg->node_id)
        raft_campaign(g->r);
    group_kick(g);
    *out = g;
    return 0;

err_after_store:
    store_close(g->store);
err_after_alloc:
    free(g);
    return rc;
}

static void group_handle_closed(uv_handle_t *h)
{
    struct group *g = h->data;
    if (h->type == UV_TIMER)
        g = ((struct group_snap_send *)h->data)->g;
    if (--g->handles_open > 0)
        return;
    void (*done)(void *) = g->close_done;
    void *arg = g->close_arg;
    raft_destroy(g->r);
    store_close(g->store);
    free(g->waiters);
    free(g->readers);
    free(g);
    if (done)
        done(arg);
}

void group_close(struct group *g, void (*done)(void *arg), void *arg)
{
    g->close_done = done;
    g->close_arg = arg;
    if (!g->closing) {
        g->closing = true;
        group_read_conns_drop(g);
        group_waiters_fail_all(g, ERR_SHUTDOWN);
        while (g->n_readers) {
            struct group_reader r = g->readers[0];
            group_reader_remove(g, 0);
            r.fn(r.arg, ERR_SHUTDOWN);
        }
        for (int i = 0; i < GROUP_SNAP_SENDS_MAX; i++)
            if (g->sends[i].active)
                group_snap_send_end(&g->sends[i], false);
        group_recv_reset(g);
    }
    if (g->persisting && !g->fatal)
        return; /* group_persisted calls us again once the flush is back */
    for (int i = 0; i < GROUP_SNAP_SENDS_MAX; i++)
        if (g->sends[i].net_inflight)
            return; /* group_snap_acked calls us again */
    if (g->ckpt_running)
        return; /* group_ckpt_done calls us again */
    if (g->handles_closing)
        return;
    g->handles_closing = true;
    if (g->has_rd) {
        raft_advance(g->r, &g->rd); /* frees it; nothing more is applied */
        g->has_rd = false;
    }
    if (g->idle_active)
        uv_idle_stop(&g->idle);
    uv_close((uv_handle_t *)&g->check, group_handle_closed);
    uv_close((uv_handle_t *)&g->idle, group_handle_closed);
    for (int i = 0; i < GROUP_SNAP_SENDS_MAX; i++)
        uv_close((uv_handle_t *)&g->sends[i].retry_timer, group_handle_closed);
}

/* ------------------------------------------------------------ inputs */

void group_tick(struct group *g)
{
    if (g->closing || g->fatal)
        return;
    raft_tick(g->r);
    uint64_t now = clock_mono_ms();
    group_waiters_expire(g, now);
    group_readers_serve(g, now);
    group_maybe_checkpoint(g, now);
    group_kick(g);
}

void group_step(struct group *g, const struct raft_msg *m)
{
    if (g->closing || g->fatal)
        return;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        /* Step the metadata only once its data is all here. */
        struct group_snap_recv *rv = &g->recv;
        if (!rv->complete || rv->index != m->snap.index || rv->term != m->snap.term) {
            LOGW("group", "group %" PRIu64 ": snapshot message for index %" PRIu64
                 " before its data; ignored", g->cfg.group_id, m->snap.index);
            return;
        }
    }
    int rc = raft_step(g->r, m);
    if (rc == ERR_CORRUPT) {
        group_fail(g, rc, "a message contradicts committed entries: Raft safety is broken");
        return;
    }
    group_kick(g);
}

void group_peer_unreachable(struct group *g, uint64_t node)
{
    if (!g->closing && !g->fatal)
        raft_report_unreachable(g->r, node);
}

static int group_wait(struct group *g, uint64_t index, uint32_t timeout_ms, group_write_fn fn,
                      void *arg)
{
    struct raft_status st;
    raft_status(g->r, &st);
    struct group_waiter w = {.index = index,
                             .term = st.term,
                             .deadline_ms = clock_mono_ms() + timeout_ms,
                             .fn = fn,
                             .arg = arg};
    group_waiters_push(g, &w);
    g->proposals++;
    group_kick(g);
    return 0;
}

int group_propose(struct group *g, const void *cmd, size_t len, uint32_t timeout_ms,
                  group_write_fn fn, void *arg)
{
    if (g->closing || g->fatal)
        return ERR_SHUTDOWN;
    if (g->w_len >= GROUP_WAITERS_MAX)
        return ERR_BUSY;
    if (len > UINT32_MAX)
        return ERR_TOOBIG;
    uint64_t index;
    int rc = raft_propose(g->r, cmd, (uint32_t)len, &index);
    if (rc != 0)
        return rc;
    return group_wait(g, index, timeout_ms, fn, arg);
}

int group_propose_conf(struct group *g, const struct raft_conf_change *cc, uint32_t timeout_ms,
                       group_write_fn fn, void *arg)
{
    if (g->closing || g->fatal)
        return ERR_SHUTDOWN;
    uint64_t index;
    int rc = raft_propose_conf(g->r, cc, &index);
    if (rc != 0)
        return rc;
    return group_wait(g, index, timeout_ms, fn, arg);
}

int group_read(struct group *g, uint32_t timeout_ms, group_read_fn fn, void *arg)
{
    if (g->closing || g->fatal)
        return ERR_SHUTDOWN;
    if (g->n_readers >= GROUP_READS_MAX)
        return ERR_BUSY;
    if (g->n_readers == g->cap_readers) {
        uint32_t cap = g->cap_readers ? 2 * g->cap_readers : 64;
        struct group_reader *p = realloc(g->readers, cap * sizeof *p);
        if (p == NULL)
            return ERR_NOMEM;
        g->readers = p;
        g->cap_readers = cap;
    }
    struct group_reader *r = &g->readers[g->n_readers++];
    memset(r, 0, sizeof *r);
    r->ctx = g->next_read_ctx++;
    r->deadline_ms = clock_mono_ms() + timeout_ms;
    r->fn = fn;
    r->arg = arg;
    struct raft_status st;
    raft_status(g->r, &st);
    if (st.leader != RAFT_NONE && raft_read_index(g->r, r->ctx) == 0)
        r->asked = true;
    group_kick(g);
    return 0;
}

int group_transfer_leader(struct group *g, uint64_t to)
{
    int rc = raft_transfer_leader(g->r, to);
    group_kick(g);
    return rc;
}

/* ------------------------------------------------------------ state */

struct store *group_store(struct group *g)
{
    return g->store;
}

uint64_t group_leader(const struct group *g)
{
    struct raft_status st;
    raft_status(g->r, &st);
    return st.leader;
}

bool group_is_leader(const struct group *g)
{
    struct raft_status st;
    raft_status(g->r, &st);
    return st.role == RAFT_LEADER;
}

void group_status(const struct group *g, struct raft_status *st)
{
    raft_status(g->r, st);
}

uint64_t group_id(const struct group *g)
{
    return g->cfg.group_id;
}

uint64_t group_leader_changes(const struct group *g)
{
    return g->leader_changes;
}

uint64_t group_proposals(const struct group *g)
{
    return g->proposals;
}
