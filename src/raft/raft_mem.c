/* In-memory raft_storage for tests and benchmarks. */
#include "raft/raft_mem.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"

void raft_mem_init(struct raft_mem *m, const uint64_t *voters, uint32_t n_voters)
{
    memset(m, 0, sizeof *m);
    if (voters != NULL) {
        m->snap.index = RAFT_BOOTSTRAP_INDEX;
        m->snap.term = RAFT_BOOTSTRAP_TERM;
        for (uint32_t i = 0; i < n_voters; i++)
            m->snap.conf.voters[i] = voters[i];
        m->snap.conf.n_voters = n_voters;
        m->hs.term = RAFT_BOOTSTRAP_TERM;
    }
}

static void raft_mem_truncate(struct raft_mem *m, uint32_t keep)
{
    for (uint32_t i = keep; i < m->n; i++)
        free(m->ents[i].data);
    if (keep < m->n)
        m->n = keep;
}

void raft_mem_free(struct raft_mem *m)
{
    raft_mem_truncate(m, 0);
    free(m->ents);
    memset(m, 0, sizeof *m);
}

static uint64_t raft_mem_first(void *ctx)
{
    struct raft_mem *m = ctx;
    return m->snap.index + 1;
}

static uint64_t raft_mem_last(void *ctx)
{
    struct raft_mem *m = ctx;
    return m->snap.index + m->n;
}

static int raft_mem_term(void *ctx, uint64_t index, uint64_t *term)
{
    struct raft_mem *m = ctx;
    if (index < m->snap.index)
        return ERR_COMPACTED;
    if (index == m->snap.index) {
        *term = m->snap.term;
        return 0;
    }
    if (index > m->snap.index + m->n)
        return ERR_UNAVAILABLE;
    *term = m->ents[index - m->snap.index - 1].term;
    return 0;
}

static int raft_mem_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                            struct raft_entry *out, uint32_t *n)
{
    struct raft_mem *m = ctx;
    if (lo <= m->snap.index)
        return ERR_COMPACTED;
    ASSERT(hi <= m->snap.index + m->n + 1);
    uint64_t bytes = 0;
    uint32_t k = 0;
    for (uint64_t i = lo; i < hi; i++) {
        const struct raft_entry *e = &m->ents[i - m->snap.index - 1];
        if (k > 0 && bytes + e->len > max_bytes)
            break;
        out[k++] = *e;
        bytes += e->len;
    }
    *n = k;
    return 0;
}

static int raft_mem_snapshot(void *ctx, struct raft_snapshot_meta *meta)
{
    struct raft_mem *m = ctx;
    *meta = m->snap;
    return 0;
}

struct raft_storage raft_mem_storage(struct raft_mem *m)
{
    struct raft_storage st = {.ctx = m,
                              .first_index = raft_mem_first,
                              .last_index = raft_mem_last,
                              .term = raft_mem_term,
                              .entries = raft_mem_entries,
                              .snapshot = raft_mem_snapshot};
    return st;
}

void raft_mem_persist(struct raft_mem *m, const struct raft_ready *rd)
{
    if (rd->has_snapshot) {
        raft_mem_truncate(m, 0);
        m->snap = rd->snapshot;
    }
    if (rd->n_entries > 0) {
        uint64_t first = rd->entries[0].index;
        ASSERT(first > m->snap.index && first <= m->snap.index + m->n + 1);
        raft_mem_truncate(m, (uint32_t)(first - m->snap.index - 1));
        if (m->cap < m->n + rd->n_entries) {
            uint32_t cap = m->cap ? m->cap : 64;
            while (cap < m->n + rd->n_entries)
                cap *= 2;
            m->ents = realloc(m->ents, cap * sizeof *m->ents);
            ASSERT(m->ents != NULL);
            m->cap = cap;
        }
        for (uint32_t i = 0; i < rd->n_entries; i++) {
            struct raft_entry e = rd->entries[i];
            if (e.len > 0) {
                e.data = malloc(e.len);
                ASSERT(e.data != NULL);
                memcpy(e.data, rd->entries[i].data, e.len);
            } else {
                e.data = NULL;
            }
            m->ents[m->n++] = e;
        }
    }
    if (rd->has_hard_state)
        m->hs = rd->hard_state;
}

void raft_mem_compact(struct raft_mem *m, const struct raft_snapshot_meta *meta)
{
    ASSERT(meta->index >= m->snap.index && meta->index <= m->snap.index + m->n);
    uint32_t drop = (uint32_t)(meta->index - m->snap.index);
    for (uint32_t i = 0; i < drop; i++)
        free(m->ents[i].data);
    memmove(m->ents, m->ents + drop, (m->n - drop) * sizeof *m->ents);
    m->n -= drop;
    m->snap = *meta;
}
