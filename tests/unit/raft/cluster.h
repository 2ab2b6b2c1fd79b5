/* A tiny synchronous cluster for Raft unit tests: N replicas over in-memory
 * storage, a FIFO network with per-link cuts, and a driver that runs every
 * ready to completion. Header-only so each test file can use it. */
#ifndef CAIRN_TEST_RAFT_CLUSTER_H
#define CAIRN_TEST_RAFT_CLUSTER_H

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "raft/raft.h"
#include "raft/raft_mem.h"

#define CL_NODES_MAX 9
#define CL_QUEUE_MAX 100000

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
};

struct cl_msg {
    struct raft_msg m;
};

struct cl {
    uint32_t n;
    struct cl_node nodes[CL_NODES_MAX];
    bool cut[CL_NODES_MAX + 1][CL_NODES_MAX + 1]; /* cut[from][to] */
    struct raft_msg *q;
    uint32_t q_head, q_len;
    struct raft_config base_cfg;
};

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

static inline void cl_enqueue(struct cl *c, const struct raft_msg *m)
{
    ASSERT(c->q_len < CL_QUEUE_MAX);
    c->q[(c->q_head + c->q_len) % CL_QUEUE_MAX] = cl_msg_copy(m);
    c->q_len++;
}

static inline struct cl_node *cl_node(struct cl *c, uint64_t id)
{
    ASSERT(id >= 1 && id <= c->n);
    return &c->nodes[id - 1];
}

static inline void cl_start_node(struct cl *c, uint64_t id)
{
    struct cl_node *nd = cl_node(c, id);
    struct raft_config cfg = c->base_cfg;
    cfg.id = id;
    cfg.seed = id * 7919;
    struct raft_storage st = raft_mem_storage(&nd->mem);
    int rc = raft_create(&cfg, &st, &nd->mem.hs, nd->mem.snap.index, &nd->r);
    ASSERT(rc == 0);
    nd->up = true;
    nd->n_applied = 0;
}

/* n nodes; the first n_voters bootstrap as voters, the rest start empty. */
static inline void cl_init(struct cl *c, uint32_t n, uint32_t n_voters)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->q = calloc(CL_QUEUE_MAX, sizeof *c->q);
    raft_config_default(&c->base_cfg, 1);
    uint64_t voters[CL_NODES_MAX];
    for (uint32_t i = 0; i < n_voters; i++)
        voters[i] = i + 1;
    for (uint32_t i = 0; i < n; i++) {
        c->nodes[i].id = i + 1;
        raft_mem_init(&c->nodes[i].mem, i < n_voters ? voters : NULL, n_voters);
    }
    for (uint32_t i = 0; i < n; i++)
        cl_start_node(c, i + 1);
}

static inline void cl_crash(struct cl *c, uint64_t id)
{
    struct cl_node *nd = cl_node(c, id);
    raft_destroy(nd->r);
    nd->r = NULL;
    nd->up = false;
}

static inline void cl_free(struct cl *c)
{
    while (c->q_len) {
        cl_msg_free(&c->q[c->q_head]);
        c->q_head = (c->q_head + 1) % CL_QUEUE_MAX;
        c->q_len--;
    }
    for (uint32_t i = 0; i < c->n; i++) {
        raft_destroy(c->nodes[i].r);
        raft_mem_free(&c->nodes[i].mem);
        free(c->nodes[i].applied);
    }
    free(c->q);
}

static inline void cl_handle_ready(struct cl *c, struct cl_node *nd)
{
    struct raft_ready rd;
    raft_ready(nd->r, &rd);
    for (uint32_t i = 0; i < rd.n_msgs; i++)
        cl_enqueue(c, &rd.msgs[i]);
    raft_mem_persist(&nd->mem, &rd);
    if (rd.has_snapshot)
        nd->n_applied = 0; /* state replaced by the snapshot */
    for (uint32_t i = 0; i < rd.n_msgs_after_persist; i++)
        cl_enqueue(c, &rd.msgs_after_persist[i]);
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
        memcpy(a->data, rd.committed[i].data, a->len < 64 ? a->len : 64);
    }
    for (uint32_t i = 0; i < rd.n_reads && nd->n_reads_ok < 64; i++) {
        nd->reads_ok[nd->n_reads_ok] = rd.reads[i].ctx;
        nd->reads_index[nd->n_reads_ok++] = rd.reads[i].index;
    }
    for (uint32_t i = 0; i < rd.n_reads_failed && nd->n_reads_failed < 64; i++)
        nd->reads_failed[nd->n_reads_failed++] = rd.reads_failed[i];
    raft_advance(nd->r, &rd);
}

/* Runs readies and delivers messages until nothing moves (bounded). */
static inline void cl_settle(struct cl *c)
{
    for (int round = 0; round < 100000; round++) {
        bool moved = false;
        for (uint32_t i = 0; i < c->n; i++) {
            struct cl_node *nd = &c->nodes[i];
            if (nd->up && raft_has_ready(nd->r)) {
                cl_handle_ready(c, nd);
                moved = true;
            }
        }
        uint32_t n = c->q_len;
        for (uint32_t k = 0; k < n; k++) {
            struct raft_msg m = c->q[c->q_head];
            c->q_head = (c->q_head + 1) % CL_QUEUE_MAX;
            c->q_len--;
            if (m.to >= 1 && m.to <= c->n && !c->cut[m.from][m.to] && cl_node(c, m.to)->up)
                raft_step(cl_node(c, m.to)->r, &m);
            cl_msg_free(&m);
            moved = true;
        }
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

#endif
