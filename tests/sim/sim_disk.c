/* Simulated disk of one node: the durable hard state, snapshot and log behind
 * struct raft_storage, plus one written-but-unsynced ready that a crash loses. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "sim.h"

static uint64_t sim_disk_first_index_cb(void *ctx)
{
    const struct sim_disk *d = ctx;
    return d->snap.meta.index + 1;
}

uint64_t sim_disk_last_index(const struct sim_disk *d)
{
    return d->snap.meta.index + d->n_log;
}

static uint64_t sim_disk_last_index_cb(void *ctx)
{
    return sim_disk_last_index(ctx);
}

const struct sim_entry *sim_disk_entry(const struct sim_disk *d, uint64_t index)
{
    if (index <= d->snap.meta.index || index > sim_disk_last_index(d))
        return NULL;
    return &d->log[index - d->snap.meta.index - 1];
}

static int sim_disk_term_cb(void *ctx, uint64_t index, uint64_t *term)
{
    const struct sim_disk *d = ctx;
    if (index < d->snap.meta.index)
        return ERR_COMPACTED;
    if (index > sim_disk_last_index(d))
        return ERR_UNAVAILABLE;
    if (index == d->snap.meta.index) {
        *term = d->snap.meta.term;
        return 0;
    }
    *term = sim_disk_entry(d, index)->e.term;
    return 0;
}

static int sim_disk_entries_cb(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                               struct raft_entry *out, uint32_t *n)
{
    const struct sim_disk *d = ctx;
    *n = 0;
    if (lo <= d->snap.meta.index)
        return ERR_COMPACTED;
    if (hi > sim_disk_last_index(d) + 1 || lo > hi)
        return ERR_UNAVAILABLE;
    uint64_t bytes = 0;
    for (uint64_t i = lo; i < hi; i++) {
        const struct sim_entry *se = sim_disk_entry(d, i);
        if (*n > 0 && bytes + se->e.len > max_bytes)
            break;
        bytes += se->e.len;
        out[(*n)++] = se->e; /* data stays ours; valid until the next raft_advance */
    }
    return 0;
}

static int sim_disk_snapshot_cb(void *ctx, struct raft_snapshot_meta *meta)
{
    const struct sim_disk *d = ctx;
    *meta = d->snap.meta;
    return 0;
}

static void sim_disk_wire(struct sim_disk *d)
{
    d->st.ctx = d;
    d->st.first_index = sim_disk_first_index_cb;
    d->st.last_index = sim_disk_last_index_cb;
    d->st.term = sim_disk_term_cb;
    d->st.entries = sim_disk_entries_cb;
    d->st.snapshot = sim_disk_snapshot_cb;
}

static void sim_disk_history_push(struct sim_disk *d, const struct sim_snap *s)
{
    if (d->n_history == SIM_SNAP_HISTORY_MAX) {
        memmove(&d->history[0], &d->history[1], (SIM_SNAP_HISTORY_MAX - 1) * sizeof d->history[0]);
        d->n_history--;
    }
    d->history[d->n_history++] = *s;
}

void sim_disk_init_empty(struct sim_disk *d)
{
    memset(d, 0, sizeof *d);
    sim_disk_wire(d);
}

void sim_disk_init_bootstrap(struct sim_disk *d, const struct raft_conf *voters)
{
    memset(d, 0, sizeof *d);
    d->snap.meta.index = RAFT_BOOTSTRAP_INDEX;
    d->snap.meta.term = RAFT_BOOTSTRAP_TERM;
    d->snap.meta.conf = *voters;
    d->snap.sm.index = RAFT_BOOTSTRAP_INDEX;
    d->snap.sm.term = RAFT_BOOTSTRAP_TERM;
    d->snap.sm.chain = SIM_CHAIN_BOOTSTRAP;
    d->snap.sm.conf = *voters;
    d->sm = d->snap.sm;
    sim_disk_history_push(d, &d->snap);
    sim_disk_wire(d);
}

static void sim_disk_bury(struct sim_disk *d, uint8_t *data)
{
    if (data == NULL)
        return;
    if (d->n_grave == d->cap_grave) {
        uint64_t cap = d->cap_grave ? d->cap_grave * 2 : 64;
        uint8_t **g = realloc(d->grave, cap * sizeof *g);
        ASSERT(g != NULL);
        d->grave = g;
        d->cap_grave = cap;
    }
    d->grave[d->n_grave++] = data;
}

void sim_disk_free_grave(struct sim_disk *d)
{
    for (uint64_t i = 0; i < d->n_grave; i++)
        free(d->grave[i]);
    d->n_grave = 0;
}

void sim_disk_drop_pending(struct sim_disk *d)
{
    for (uint32_t i = 0; i < d->p_n; i++)
        free(d->p_entries[i].e.data);
    free(d->p_entries);
    d->p_entries = NULL;
    d->p_n = 0;
    d->p_has_hs = false;
    d->p_has_snap = false;
    d->pending = false;
}

void sim_disk_free(struct sim_disk *d)
{
    sim_disk_drop_pending(d);
    for (uint64_t i = 0; i < d->n_log; i++)
        free(d->log[i].e.data);
    free(d->log);
    sim_disk_free_grave(d);
    free(d->grave);
    memset(d, 0, sizeof *d);
}

uint64_t sim_disk_view_snap_index(const struct sim_disk *d)
{
    return d->p_has_snap ? d->p_snap.meta.index : d->snap.meta.index;
}

uint64_t sim_disk_view_last(const struct sim_disk *d)
{
    if (d->p_n > 0)
        return d->p_entries[d->p_n - 1].e.index;
    if (d->p_has_snap)
        return d->p_snap.meta.index;
    return sim_disk_last_index(d);
}

bool sim_disk_view_chain(const struct sim_disk *d, uint64_t index, uint64_t *term, uint64_t *chain)
{
    if (d->p_n > 0 && index >= d->p_entries[0].e.index &&
        index <= d->p_entries[d->p_n - 1].e.index) {
        const struct sim_entry *se = &d->p_entries[index - d->p_entries[0].e.index];
        *term = se->e.term;
        *chain = se->chain;
        return true;
    }
    if (d->p_has_snap) {
        if (index != d->p_snap.meta.index)
            return false;
        *term = d->p_snap.meta.term;
        *chain = d->p_snap.sm.chain;
        return true;
    }
    if (d->p_n > 0 && index > d->p_entries[d->p_n - 1].e.index)
        return false;
    if (index == d->snap.meta.index) {
        *term = d->snap.meta.term;
        *chain = d->snap.sm.chain;
        return true;
    }
    const struct sim_entry *se = sim_disk_entry(d, index);
    if (se == NULL)
        return false;
    *term = se->e.term;
    *chain = se->chain;
    return true;
}

static void sim_disk_truncate_from(struct sim_disk *d, uint64_t index)
{
    while (d->n_log > 0 && d->log[d->n_log - 1].e.index >= index) {
        d->n_log--;
        sim_disk_bury(d, d->log[d->n_log].e.data);
    }
}

static void sim_disk_append(struct sim_disk *d, const struct sim_entry *se)
{
    ASSERT(se->e.index == sim_disk_last_index(d) + 1);
    if (d->n_log == d->cap_log) {
        uint64_t cap = d->cap_log ? d->cap_log * 2 : 64;
        struct sim_entry *l = realloc(d->log, cap * sizeof *l);
        ASSERT(l != NULL);
        d->log = l;
        d->cap_log = cap;
    }
    d->log[d->n_log++] = *se;
}

void sim_disk_sync(struct sim_disk *d)
{
    ASSERT(d->pending);
    if (d->p_has_snap) {
        /* The log restarts after an installed snapshot. */
        sim_disk_truncate_from(d, 0);
        d->snap = d->p_snap;
        sim_disk_history_push(d, &d->snap);
    }
    if (d->p_n > 0) {
        ASSERT(d->p_entries[0].e.index > d->snap.meta.index);
        sim_disk_truncate_from(d, d->p_entries[0].e.index);
        for (uint32_t i = 0; i < d->p_n; i++)
            sim_disk_append(d, &d->p_entries[i]); /* ownership moves to the log */
        free(d->p_entries);
        d->p_entries = NULL;
        d->p_n = 0;
    }
    if (d->p_has_hs)
        d->hs = d->p_hs;
    d->p_has_hs = false;
    d->p_has_snap = false;
    d->pending = false;
}

void sim_disk_compact(struct sim_disk *d, const struct sim_snap *s)
{
    ASSERT(!d->pending);
    ASSERT(s->meta.index >= d->snap.meta.index && s->meta.index <= sim_disk_last_index(d));
    uint64_t drop = s->meta.index - d->snap.meta.index;
    for (uint64_t i = 0; i < drop; i++)
        free(d->log[i].e.data);
    memmove(&d->log[0], &d->log[drop], (d->n_log - drop) * sizeof d->log[0]);
    d->n_log -= drop;
    d->snap = *s;
    sim_disk_history_push(d, s);
}

const struct sim_snap *sim_disk_find_snap(const struct sim_disk *d, uint64_t index, uint64_t term)
{
    for (uint32_t i = d->n_history; i-- > 0;)
        if (d->history[i].meta.index == index && d->history[i].meta.term == term)
            return &d->history[i];
    return NULL;
}
