/* A tiny synchronous cluster for Raft unit tests: N replicas over in-memory
 * storage, a FIFO network with per-link cuts and a delivery filter, and a
 * driver that runs every ready to completion while checking the core's
 * safety promises. Header-only so each test file can use it.
 *
 * Besides whole-cluster runs (cl_settle, cl_tick_all) a test can drive one
 * replica by hand: preload its log and hard state before it starts, step a
 * hand-built message into it (cl_step), run its readies (cl_ready_all) and
 * look at what it queued (cl_queue_count, cl_queue_get) without delivering. */
#ifndef CAIRN_TEST_RAFT_CLUSTER_H
#define CAIRN_TEST_RAFT_CLUSTER_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "raft/raft.h"
#include "raft/raft_mem.h"

#define CL_NODES_MAX        9
#define CL_QUEUE_MAX        100000
#define CL_MSG_TYPES        (RAFT_MSG_READ_INDEX_RESP + 1)
#define CL_TERMS_MAX        4096  /* terms whose leader the driver remembers */
#define CL_TRACE_MAX        16384 /* delivery attempts recorded per cluster */
#define CL_READY_LOOPS_MAX  10000
#define CL_PRELOAD_DATA_LEN 3

struct cl_applied {
    uint64_t index, term;
    uint8_t type;
    uint32_t len;
    uint8_t data[64];
};

struct cl_node {
    uint64_t id;
    bool up;
    struct raft *r;
    struct raft_mem mem;
    struct cl_applied *applied;
    uint32_t n_applied, cap_applied;
    uint64_t reads_ok[64], reads_index[64];
    uint32_t n_reads_ok;
    uint64_t reads_failed[64];
    uint32_t n_reads_failed;
    uint32_t n_snapshots;  /* readies that carried a snapshot to install */
    uint64_t last_applied; /* highest index applied since the node last started */
};

struct cl_msg {
    struct raft_msg m;
};

/* One delivery attempt, for tests that count or inspect traffic. Entry data is
 * not kept: m.entries is NULL, first/last/bytes describe the entries. */
struct cl_trace {
    struct raft_msg m;
    uint64_t first, last, bytes;
    bool after_persist;
    bool delivered;
};

struct cl;
/* Returns false to drop m. Called for each message about to be delivered to an
 * up node over an uncut link. May look at m's entries, must not change them. */
typedef bool (*cl_filter_fn)(struct cl *c, const struct raft_msg *m);
/* Called with every ready before the driver persists it. */
typedef void (*cl_ready_fn)(struct cl *c, struct cl_node *nd, const struct raft_ready *rd);

struct cl {
    uint32_t n;
    struct cl_node nodes[CL_NODES_MAX];
    bool cut[CL_NODES_MAX + 1][CL_NODES_MAX + 1]; /* cut[from][to] */
    struct raft_msg *q;
    bool *q_ap; /* q[i] came from msgs_after_persist */
    uint32_t q_head, q_len;
    struct raft_config base_cfg;

    struct raft_config node_cfg[CL_NODES_MAX];
    bool has_node_cfg[CL_NODES_MAX];
    uint64_t seed_salt; /* added to every node's seed, to vary randomized timeouts */
    cl_filter_fn filter;
    cl_ready_fn on_ready;
    void *user;

    uint64_t n_sent[CL_MSG_TYPES];      /* queued, by type */
    uint64_t n_delivered[CL_MSG_TYPES]; /* stepped into a replica, by type */
    struct cl_trace *trace;
    uint32_t n_trace;

    /* Safety checks made by the driver; a test asserts n_violations == 0. */
    uint32_t n_violations;
    char violation[256];
    uint64_t *leader_of_term; /* [CL_TERMS_MAX] */
    uint64_t *applied_term;   /* term applied at each index, by anyone */
    uint64_t cap_applied_term;
    uint32_t n_step_corrupt; /* raft_step returned ERR_CORRUPT */
    uint32_t n_step_inval;   /* raft_step returned ERR_INVAL */
};

static inline void cl_violation(struct cl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void cl_violation(struct cl *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->n_violations == 0)
        vsnprintf(c->violation, sizeof c->violation, fmt, ap);
    va_end(ap);
    c->n_violations++;
}

static inline struct raft_msg cl_msg_copy(const struct raft_msg *m)
{
    struct raft_msg c = *m;
    if (m->n_entries) {
        c.entries = malloc(m->n_entries * sizeof *c.entries);
        for (uint32_t i = 0; i < m->n_entries; i++) {
            c.entries[i] = m->entries[i];
            if (m->entries[i].len) {
                c.entries[i].data = malloc(m->entries[i].len);
                memcpy(c.entries[i].data, m->entries[i].data, m->entries[i].len);
            }
        }
    } else {
        c.entries = NULL;
    }
    return c;
}

static inline void cl_msg_free(struct raft_msg *m)
{
    for (uint32_t i = 0; i < m->n_entries; i++)
        free(m->entries[i].data);
    free(m->entries);
}

static inline void cl_enqueue_ap(struct cl *c, const struct raft_msg *m, bool after_persist)
{
    ASSERT(c->q_len < CL_QUEUE_MAX);
    uint32_t at = (c->q_head + c->q_len) % CL_QUEUE_MAX;
    c->q[at] = cl_msg_copy(m);
    c->q_ap[at] = after_persist;
    c->q_len++;
    if (m->type < CL_MSG_TYPES)
        c->n_sent[m->type]++;
}

static inline void cl_enqueue(struct cl *c, const struct raft_msg *m)
{
    cl_enqueue_ap(c, m, false);
}

static inline struct cl_node *cl_node(struct cl *c, uint64_t id)
{
    ASSERT(id >= 1 && id <= c->n);
    return &c->nodes[id - 1];
}

static inline void cl_set_node_cfg(struct cl *c, uint64_t id, const struct raft_config *cfg)
{
    ASSERT(id >= 1 && id <= c->n);
    c->node_cfg[id - 1] = *cfg;
    c->has_node_cfg[id - 1] = true;
}

/* The configuration node id starts with: its own, or the cluster's base. */
static inline struct raft_config cl_cfg_of(struct cl *c, uint64_t id)
{
    struct raft_config cfg = c->has_node_cfg[id - 1] ? c->node_cfg[id - 1] : c->base_cfg;
    cfg.id = id;
    cfg.seed = id * 7919 + c->seed_salt;
    return cfg;
}

/* Starts (or restarts) a replica from its storage, the application having
 * applied up to applied. */
static inline int cl_start_node_at(struct cl *c, uint64_t id, uint64_t applied)
{
    struct cl_node *nd = cl_node(c, id);
    ASSERT(!nd->up);
    struct raft_config cfg = cl_cfg_of(c, id);
    struct raft_storage st = raft_mem_storage(&nd->mem);
    int rc = raft_create(&cfg, &st, &nd->mem.hs, applied, &nd->r);
    if (rc != 0)
        return rc;
    nd->up = true;
    nd->n_applied = 0;
    nd->last_applied = applied;
    return 0;
}

static inline void cl_start_node(struct cl *c, uint64_t id)
{
    int rc = cl_start_node_at(c, id, cl_node(c, id)->mem.snap.index);
    ASSERT(rc == 0);
}

/* n nodes with storage; the first n_voters bootstrap as voters, the rest
 * start empty. Nothing runs yet: set base_cfg, node configurations and
 * preloaded logs, then cl_start_all. */
static inline void cl_setup(struct cl *c, uint32_t n, uint32_t n_voters)
{
    ASSERT(n >= 1 && n <= CL_NODES_MAX && n_voters <= n);
    memset(c, 0, sizeof *c);
    c->n = n;
    c->q = calloc(CL_QUEUE_MAX, sizeof *c->q);
    c->q_ap = calloc(CL_QUEUE_MAX, sizeof *c->q_ap);
    c->trace = calloc(CL_TRACE_MAX, sizeof *c->trace);
    c->leader_of_term = calloc(CL_TERMS_MAX, sizeof *c->leader_of_term);
    ASSERT(c->q && c->q_ap && c->trace && c->leader_of_term);
    raft_config_default(&c->base_cfg, 1);
    uint64_t voters[CL_NODES_MAX];
    for (uint32_t i = 0; i < n_voters; i++)
        voters[i] = i + 1;
    for (uint32_t i = 0; i < n; i++) {
        c->nodes[i].id = i + 1;
        raft_mem_init(&c->nodes[i].mem, i < n_voters ? voters : NULL, n_voters);
    }
}

static inline void cl_start_all(struct cl *c)
{
    for (uint32_t i = 0; i < c->n; i++)
        cl_start_node(c, i + 1);
}

/* n nodes; the first n_voters bootstrap as voters, the rest start empty. */
static inline void cl_init(struct cl *c, uint32_t n, uint32_t n_voters)
{
    cl_setup(c, n, n_voters);
    cl_start_all(c);
}

/* Before a node starts: appends entries with the given terms to its stored
 * log. Each gets CL_PRELOAD_DATA_LEN bytes of data: 'p', term, index. */
static inline void cl_preload(struct cl *c, uint64_t id, const uint64_t *terms, uint32_t n)
{
    struct cl_node *nd = cl_node(c, id);
    ASSERT(!nd->up);
    if (n == 0)
        return;
    struct raft_entry *ents = calloc(n, sizeof *ents);
    uint8_t(*data)[CL_PRELOAD_DATA_LEN] = calloc(n, sizeof *data);
    ASSERT(ents && data);
    uint64_t last = nd->mem.snap.index + nd->mem.n;
    for (uint32_t i = 0; i < n; i++) {
        ents[i].index = last + 1 + i;
        ents[i].term = terms[i];
        ents[i].type = RAFT_ENTRY_NORMAL;
        ents[i].len = CL_PRELOAD_DATA_LEN;
        data[i][0] = 'p';
        data[i][1] = (uint8_t)terms[i];
        data[i][2] = (uint8_t)ents[i].index;
        ents[i].data = data[i];
    }
    struct raft_ready rd;
    memset(&rd, 0, sizeof rd);
    rd.entries = ents;
    rd.n_entries = n;
    raft_mem_persist(&nd->mem, &rd);
    free(ents);
    free(data);
}

/* Before a node starts: appends one entry of any type with the given data. */
static inline void cl_preload_entry(struct cl *c, uint64_t id, uint64_t term, uint8_t type,
                                    const void *data, uint32_t len)
{
    struct cl_node *nd = cl_node(c, id);
    ASSERT(!nd->up);
    struct raft_entry e = {.index = nd->mem.snap.index + nd->mem.n + 1,
                           .term = term,
                           .type = type,
                           .len = len,
                           .data = (uint8_t *)data};
    struct raft_ready rd;
    memset(&rd, 0, sizeof rd);
    rd.entries = &e;
    rd.n_entries = 1;
    raft_mem_persist(&nd->mem, &rd);
}

static inline void cl_preload_hs(struct cl *c, uint64_t id, uint64_t term, uint64_t vote,
                                 uint64_t commit)
{
    struct cl_node *nd = cl_node(c, id);
    ASSERT(!nd->up);
    nd->mem.hs.term = term;
    nd->mem.hs.vote = vote;
    nd->mem.hs.commit = commit;
}

static inline void cl_crash(struct cl *c, uint64_t id)
{
    struct cl_node *nd = cl_node(c, id);
    raft_destroy(nd->r);
    nd->r = NULL;
    nd->up = false;
}

static inline void cl_queue_clear(struct cl *c)
{
    while (c->q_len) {
        cl_msg_free(&c->q[c->q_head]);
        c->q_head = (c->q_head + 1) % CL_QUEUE_MAX;
        c->q_len--;
    }
}

static inline void cl_free(struct cl *c)
{
    cl_queue_clear(c);
    for (uint32_t i = 0; i < c->n; i++) {
        raft_destroy(c->nodes[i].r);
        raft_mem_free(&c->nodes[i].mem);
        free(c->nodes[i].applied);
    }
    free(c->q);
    free(c->q_ap);
    free(c->trace);
    free(c->leader_of_term);
    free(c->applied_term);
}

/* ---------------------------------------------------------------- checks */

static inline uint64_t cl_mem_last(const struct raft_mem *m)
{
    return m->snap.index + m->n;
}

/* Term of the stored entry at index, 0 if it is not stored. */
static inline uint64_t cl_mem_term(const struct raft_mem *m, uint64_t index)
{
    if (index == m->snap.index)
        return m->snap.term;
    if (index < m->snap.index || index > cl_mem_last(m))
        return 0;
    return m->ents[index - m->snap.index - 1].term;
}

static inline void cl_note_applied(struct cl *c, uint64_t index, uint64_t term)
{
    if (index >= c->cap_applied_term) {
        uint64_t cap = c->cap_applied_term ? c->cap_applied_term : 1024;
        while (cap <= index)
            cap *= 2;
        c->applied_term = realloc(c->applied_term, cap * sizeof *c->applied_term);
        ASSERT(c->applied_term != NULL);
        memset(c->applied_term + c->cap_applied_term, 0,
               (cap - c->cap_applied_term) * sizeof *c->applied_term);
        c->cap_applied_term = cap;
    }
    if (c->applied_term[index] == 0)
        c->applied_term[index] = term;
    else if (c->applied_term[index] != term)
        cl_violation(c, "state machine safety: index %llu applied with terms %llu and %llu",
                     (unsigned long long)index, (unsigned long long)c->applied_term[index],
                     (unsigned long long)term);
}

/* What the contract promises about a ready, checked before the driver acts. */
static inline void cl_check_ready(struct cl *c, struct cl_node *nd, const struct raft_ready *rd)
{
    const struct raft_mem *m = &nd->mem;
    uint64_t durable_last = cl_mem_last(m);
    for (uint32_t i = 0; i < rd->n_committed; i++) {
        const struct raft_entry *e = &rd->committed[i];
        if (e->index > durable_last ||
            (e->index > m->snap.index && cl_mem_term(m, e->index) != e->term))
            cl_violation(c, "node %llu: committed entry %llu handed out before it was durable",
                         (unsigned long long)nd->id, (unsigned long long)e->index);
        if (rd->n_entries > 0 && e->index >= rd->entries[0].index)
            cl_violation(c, "node %llu: entry %llu committed in the ready that persists it",
                         (unsigned long long)nd->id, (unsigned long long)e->index);
        if (i > 0 && e->index != rd->committed[i - 1].index + 1)
            cl_violation(c, "node %llu: committed entries out of order",
                         (unsigned long long)nd->id);
    }
    if (rd->has_hard_state) {
        const struct raft_hard_state *o = &m->hs, *h = &rd->hard_state;
        if (h->term < o->term)
            cl_violation(c, "node %llu: term went back from %llu to %llu",
                         (unsigned long long)nd->id, (unsigned long long)o->term,
                         (unsigned long long)h->term);
        if (h->term == o->term && o->vote != RAFT_NONE && h->vote != o->vote)
            cl_violation(c, "node %llu: voted twice in term %llu", (unsigned long long)nd->id,
                         (unsigned long long)h->term);
    }
    bool vote_break = (cl_cfg_of(c, nd->id).breaks & RAFT_BREAK_VOTE_PERSISTENCE) != 0;
    for (uint32_t i = 0; i < rd->n_msgs; i++) {
        const struct raft_msg *mm = &rd->msgs[i];
        if ((mm->type == RAFT_MSG_VOTE_RESP && !vote_break) || mm->type == RAFT_MSG_VOTE ||
            (mm->type == RAFT_MSG_APPEND_RESP && !mm->reject))
            cl_violation(c, "node %llu: %s sent before persisting", (unsigned long long)nd->id,
                         raft_msg_type_name(mm->type));
    }
}

static inline void cl_check_after(struct cl *c, struct cl_node *nd)
{
    struct raft_status st;
    raft_status(nd->r, &st);
    if (st.role == RAFT_LEADER && st.term < CL_TERMS_MAX) {
        uint64_t *l = &c->leader_of_term[st.term];
        if (*l == RAFT_NONE)
            *l = nd->id;
        else if (*l != nd->id)
            cl_violation(c, "election safety: %llu and %llu lead term %llu", (unsigned long long)*l,
                         (unsigned long long)nd->id, (unsigned long long)st.term);
    }
}

/* ---------------------------------------------------------------- driving */

static inline void cl_handle_ready(struct cl *c, struct cl_node *nd)
{
    struct raft_ready rd;
    raft_ready(nd->r, &rd);
    cl_check_ready(c, nd, &rd);
    if (c->on_ready)
        c->on_ready(c, nd, &rd);
    for (uint32_t i = 0; i < rd.n_msgs; i++)
        cl_enqueue_ap(c, &rd.msgs[i], false);
    raft_mem_persist(&nd->mem, &rd);
    if (rd.has_snapshot) {
        nd->n_applied = 0; /* state replaced by the snapshot */
        nd->n_snapshots++;
        if (rd.snapshot.index > nd->last_applied)
            nd->last_applied = rd.snapshot.index;
    }
    for (uint32_t i = 0; i < rd.n_msgs_after_persist; i++)
        cl_enqueue_ap(c, &rd.msgs_after_persist[i], true);
    for (uint32_t i = 0; i < rd.n_committed; i++) {
        if (nd->n_applied == nd->cap_applied) {
            nd->cap_applied = nd->cap_applied ? 2 * nd->cap_applied : 64;
            nd->applied = realloc(nd->applied, nd->cap_applied * sizeof *nd->applied);
        }
        struct cl_applied *a = &nd->applied[nd->n_applied++];
        a->index = rd.committed[i].index;
        a->term = rd.committed[i].term;
        a->type = rd.committed[i].type;
        a->len = rd.committed[i].len;
        if (a->len > 0)
            memcpy(a->data, rd.committed[i].data, a->len < 64 ? a->len : 64);
        cl_note_applied(c, a->index, a->term);
        if (a->index > nd->last_applied)
            nd->last_applied = a->index;
    }
    for (uint32_t i = 0; i < rd.n_reads && nd->n_reads_ok < 64; i++) {
        nd->reads_ok[nd->n_reads_ok] = rd.reads[i].ctx;
        nd->reads_index[nd->n_reads_ok++] = rd.reads[i].index;
    }
    for (uint32_t i = 0; i < rd.n_reads_failed && nd->n_reads_failed < 64; i++)
        nd->reads_failed[nd->n_reads_failed++] = rd.reads_failed[i];
    raft_advance(nd->r, &rd);
    cl_check_after(c, nd);
}

/* Runs one ready on each up node that has one. */
static inline bool cl_ready_pass(struct cl *c)
{
    bool moved = false;
    for (uint32_t i = 0; i < c->n; i++) {
        struct cl_node *nd = &c->nodes[i];
        if (nd->up && raft_has_ready(nd->r)) {
            cl_handle_ready(c, nd);
            moved = true;
        }
    }
    return moved;
}

/* Runs readies until no node has one; messages stay queued. */
static inline void cl_ready_all(struct cl *c)
{
    for (int k = 0; k < CL_READY_LOOPS_MAX; k++)
        if (!cl_ready_pass(c))
            return;
    ASSERT(!"readies did not quiesce");
}

/* Steps a hand-built message into a node, as if delivered. */
static inline int cl_step(struct cl *c, uint64_t to, const struct raft_msg *m)
{
    int rc = raft_step(cl_node(c, to)->r, m);
    if (rc == ERR_CORRUPT) {
        c->n_step_corrupt++;
        cl_violation(c, "node %llu: raft_step says a %s contradicts committed state",
                     (unsigned long long)to, raft_msg_type_name(m->type));
    } else if (rc == ERR_INVAL) {
        c->n_step_inval++;
    }
    return rc;
}

static inline void cl_deliver(struct cl *c, struct raft_msg *m, bool after_persist)
{
    bool ok = m->to >= 1 && m->to <= c->n && m->from >= 1 && m->from <= c->n &&
              !c->cut[m->from][m->to] && cl_node(c, m->to)->up;
    if (ok && c->filter != NULL)
        ok = c->filter(c, m);
    if (c->n_trace < CL_TRACE_MAX) {
        struct cl_trace *t = &c->trace[c->n_trace++];
        t->m = *m;
        t->m.entries = NULL;
        t->first = m->n_entries ? m->entries[0].index : 0;
        t->last = m->n_entries ? m->entries[m->n_entries - 1].index : 0;
        t->bytes = 0;
        for (uint32_t i = 0; i < m->n_entries; i++)
            t->bytes += m->entries[i].len;
        t->after_persist = after_persist;
        t->delivered = ok;
    }
    if (!ok)
        return;
    if (m->type < CL_MSG_TYPES)
        c->n_delivered[m->type]++;
    cl_step(c, m->to, m);
}

/* Delivers (or drops) the messages queued now; returns whether there were any. */
static inline bool cl_deliver_pending(struct cl *c)
{
    uint32_t n = c->q_len;
    for (uint32_t k = 0; k < n; k++) {
        struct raft_msg m = c->q[c->q_head];
        bool ap = c->q_ap[c->q_head];
        c->q_head = (c->q_head + 1) % CL_QUEUE_MAX;
        c->q_len--;
        cl_deliver(c, &m, ap);
        cl_msg_free(&m);
    }
    return n > 0;
}

/* One network hop: every node runs its readies, then what they sent arrives. */
static inline void cl_hop(struct cl *c)
{
    cl_ready_all(c);
    cl_deliver_pending(c);
}

/* Runs readies and delivers messages until nothing moves (bounded). */
static inline void cl_settle(struct cl *c)
{
    for (int round = 0; round < 100000; round++) {
        bool moved = cl_ready_pass(c);
        if (cl_deliver_pending(c))
            moved = true;
        if (!moved)
            return;
    }
    ASSERT(!"cluster did not settle");
}

static inline void cl_tick_all(struct cl *c, int ticks)
{
    for (int t = 0; t < ticks; t++) {
        for (uint32_t i = 0; i < c->n; i++)
            if (c->nodes[i].up)
                raft_tick(c->nodes[i].r);
        cl_settle(c);
    }
}

/* Ticks one node, nothing else; no messages move. */
static inline void cl_tick_node(struct cl *c, uint64_t id, int ticks)
{
    for (int t = 0; t < ticks; t++)
        raft_tick(cl_node(c, id)->r);
}

static inline uint64_t cl_leader(struct cl *c)
{
    uint64_t lead = RAFT_NONE;
    uint64_t term = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        if (!c->nodes[i].up)
            continue;
        struct raft_status st;
        raft_status(c->nodes[i].r, &st);
        if (st.role == RAFT_LEADER && st.term >= term) {
            lead = st.id;
            term = st.term;
        }
    }
    return lead;
}

static inline void cl_isolate(struct cl *c, uint64_t id, bool on)
{
    for (uint32_t j = 1; j <= c->n; j++) {
        c->cut[id][j] = on;
        c->cut[j][id] = on;
    }
}

static inline struct raft_status cl_status(struct cl *c, uint64_t id)
{
    struct raft_status st;
    raft_status(cl_node(c, id)->r, &st);
    return st;
}

/* Makes id campaign and runs hops until it leads (true) or gives up. The
 * cluster is not settled: the new leader's first appends may be queued. */
static inline bool cl_elect_hops(struct cl *c, uint64_t id)
{
    raft_campaign(cl_node(c, id)->r);
    for (int hop = 0; hop < 16; hop++) {
        cl_ready_all(c);
        if (cl_status(c, id).role == RAFT_LEADER)
            return true;
        cl_deliver_pending(c);
    }
    return cl_status(c, id).role == RAFT_LEADER;
}

/* Lets every replica live one election timeout with all links cut (so no
 * election succeeds), then heals: with leases on, a replica refuses votes
 * for its first election timeout, in case it was inside a lease before a
 * restart. */
static inline void cl_age(struct cl *c)
{
    for (uint64_t id = 1; id <= c->n; id++)
        cl_isolate(c, id, true);
    cl_tick_all(c, (int)c->base_cfg.election_ticks);
    for (uint64_t id = 1; id <= c->n; id++)
        cl_isolate(c, id, false);
}

/* Makes id campaign and settles the cluster. */
static inline bool cl_elect(struct cl *c, uint64_t id)
{
    raft_campaign(cl_node(c, id)->r);
    cl_settle(c);
    return cl_leader(c) == id;
}

/* ---------------------------------------------------------------- queue */

static inline bool cl_msg_matches(const struct raft_msg *m, int type, uint64_t from, uint64_t to)
{
    return (type == 0 || m->type == type) && (from == 0 || m->from == from) &&
           (to == 0 || m->to == to);
}

/* Queued messages of a type (0: any) from and to nodes (0: any). */
static inline uint32_t cl_queue_count(struct cl *c, int type, uint64_t from, uint64_t to)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->q_len; k++)
        if (cl_msg_matches(&c->q[(c->q_head + k) % CL_QUEUE_MAX], type, from, to))
            n++;
    return n;
}

/* The k-th such queued message, or NULL; *after_persist says which ready list
 * it came from. Valid until the queue moves. */
static inline const struct raft_msg *cl_queue_get(struct cl *c, int type, uint64_t from,
                                                  uint64_t to, uint32_t k, bool *after_persist)
{
    for (uint32_t i = 0; i < c->q_len; i++) {
        uint32_t at = (c->q_head + i) % CL_QUEUE_MAX;
        if (!cl_msg_matches(&c->q[at], type, from, to))
            continue;
        if (k-- == 0) {
            if (after_persist)
                *after_persist = c->q_ap[at];
            return &c->q[at];
        }
    }
    return NULL;
}

/* Delivery attempts recorded in the trace since index since. */
static inline uint32_t cl_trace_count(struct cl *c, uint32_t since, int type, uint64_t from,
                                      uint64_t to, bool delivered_only)
{
    uint32_t n = 0;
    for (uint32_t i = since; i < c->n_trace; i++)
        if (cl_msg_matches(&c->trace[i].m, type, from, to) &&
            (!delivered_only || c->trace[i].delivered))
            n++;
    return n;
}

/* The k-th recorded delivery attempt since index since, or NULL. */
static inline const struct cl_trace *cl_trace_get(struct cl *c, uint32_t since, int type,
                                                  uint64_t from, uint64_t to, uint32_t k)
{
    for (uint32_t i = since; i < c->n_trace; i++) {
        if (!cl_msg_matches(&c->trace[i].m, type, from, to))
            continue;
        if (k-- == 0)
            return &c->trace[i];
    }
    return NULL;
}

/* Applied entries of a node that carry commands (not no-ops or changes). */
static inline uint32_t cl_applied_normal(struct cl *c, uint64_t id)
{
    struct cl_node *nd = cl_node(c, id);
    uint32_t n = 0;
    for (uint32_t i = 0; i < nd->n_applied; i++)
        if (nd->applied[i].type == RAFT_ENTRY_NORMAL)
            n++;
    return n;
}

/* Do two nodes store the same log (index and term of every entry after the
 * later snapshot, and the same last index)? */
static inline bool cl_logs_equal(struct cl *c, uint64_t a, uint64_t b)
{
    const struct raft_mem *ma = &cl_node(c, a)->mem, *mb = &cl_node(c, b)->mem;
    if (cl_mem_last(ma) != cl_mem_last(mb))
        return false;
    uint64_t from = ma->snap.index > mb->snap.index ? ma->snap.index : mb->snap.index;
    for (uint64_t i = from + 1; i <= cl_mem_last(ma); i++)
        if (cl_mem_term(ma, i) != cl_mem_term(mb, i))
            return false;
    return true;
}

#endif
