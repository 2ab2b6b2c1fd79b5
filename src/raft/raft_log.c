/* The Raft log as the core sees it: the driver's durable storage for the
 * prefix, the core's own unstable tail after it, and a pending snapshot. */
#include "raft/raft_log.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"

int raft_log_init(struct raft_log *l, const struct raft_storage *st)
{
    memset(l, 0, sizeof *l);
    l->st = *st;
    struct raft_snapshot_meta meta;
    int rc = st->snapshot(st->ctx, &meta);
    if (rc != 0)
        return rc;
    uint64_t first = st->first_index(st->ctx);
    uint64_t last = st->last_index(st->ctx);
    if (first != meta.index + 1 || last + 1 < first)
        return ERR_CORRUPT;
    l->offset = last + 1;
    l->hand_next = l->offset;
    l->committed = meta.index;
    l->applied = meta.index;
    l->applying = meta.index;
    return 0;
}

static void raft_log_bury(struct raft_log *l, uint8_t *data)
{
    if (data == NULL)
        return;
    if (!l->ready_outstanding) {
        free(data);
        return;
    }
    if (l->n_dead == l->cap_dead) {
        uint32_t cap = l->cap_dead ? 2 * l->cap_dead : 64;
        uint8_t **p = realloc(l->dead, cap * sizeof *p);
        ASSERT(p != NULL);
        l->dead = p;
        l->cap_dead = cap;
    }
    l->dead[l->n_dead++] = data;
}

void raft_log_free_dead(struct raft_log *l)
{
    for (uint32_t i = 0; i < l->n_dead; i++)
        free(l->dead[i]);
    l->n_dead = 0;
}

void raft_log_free(struct raft_log *l)
{
    l->ready_outstanding = false;
    for (uint32_t i = 0; i < l->n; i++)
        free(l->ents[i].data);
    free(l->ents);
    raft_log_free_dead(l);
    free(l->dead);
    memset(l, 0, sizeof *l);
}

uint64_t raft_log_first_index(const struct raft_log *l)
{
    if (l->has_pending_snap)
        return l->pending_snap.index + 1;
    return l->st.first_index(l->st.ctx);
}

uint64_t raft_log_last_index(const struct raft_log *l)
{
    return l->offset + l->n - 1;
}

int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term)
{
    *term = 0;
    if (index >= l->offset) {
        if (index - l->offset >= l->n)
            return ERR_UNAVAILABLE;
        *term = l->ents[index - l->offset].term;
        return 0;
    }
    if (l->has_pending_snap) {
        if (index == l->pending_snap.index) {
            *term = l->pending_snap.term;
            return 0;
        }
        return ERR_COMPACTED; /* offset == pending_snap.index + 1 */
    }
    int rc = l->st.term(l->st.ctx, index, term);
    if (rc != 0)
        *term = 0;
    return rc;
}

uint64_t raft_log_last_term(const struct raft_log *l)
{
    uint64_t t;
    int rc = raft_log_term(l, raft_log_last_index(l), &t);
    ASSERT(rc == 0);
    return t;
}

bool raft_log_match_term(const struct raft_log *l, uint64_t index, uint64_t term)
{
    uint64_t t;
    return raft_log_term(l, index, &t) == 0 && t == term;
}

bool raft_log_is_up_to_date(const struct raft_log *l, uint64_t index, uint64_t term)
{
    uint64_t last_term = raft_log_last_term(l);
    return term > last_term || (term == last_term && index >= raft_log_last_index(l));
}

static void raft_log_reserve(struct raft_log *l, uint32_t more)
{
    if (l->cap - l->n >= more)
        return;
    uint32_t cap = l->cap ? l->cap : 64;
    while (cap - l->n < more)
        cap *= 2;
    struct raft_entry *p = realloc(l->ents, cap * sizeof *p);
    ASSERT(p != NULL);
    l->ents = p;
    l->cap = cap;
}

static uint8_t *raft_log_copy_data(const void *data, uint32_t len)
{
    if (len == 0)
        return NULL;
    uint8_t *p = malloc(len);
    ASSERT(p != NULL);
    memcpy(p, data, len);
    return p;
}

/* Drops unstable entries >= index; index >= offset. */
static void raft_log_truncate_unstable(struct raft_log *l, uint64_t index)
{
    ASSERT(index >= l->offset);
    while (raft_log_last_index(l) >= index) {
        raft_log_bury(l, l->ents[l->n - 1].data);
        l->n--;
    }
    if (l->hand_next > index)
        l->hand_next = index;
}

int raft_log_append(struct raft_log *l, const struct raft_entry *ents, uint32_t n)
{
    if (n == 0)
        return 0;
    uint64_t at = ents[0].index;
    ASSERT(at > l->committed);
    if (at < l->offset) {
        /* The conflict is in the durable part: the whole unstable tail goes,
         * and the driver will overwrite its log from `at` on. */
        raft_log_truncate_unstable(l, l->offset);
        l->offset = at;
        l->hand_next = at;
    } else {
        raft_log_truncate_unstable(l, at);
        ASSERT(at == raft_log_last_index(l) + 1);
    }
    raft_log_reserve(l, n);
    for (uint32_t i = 0; i < n; i++) {
        ASSERT(ents[i].index == at + i);
        struct raft_entry *e = &l->ents[l->n++];
        *e = ents[i];
        e->data = raft_log_copy_data(ents[i].data, ents[i].len);
    }
    return 0;
}

int raft_log_append_new(struct raft_log *l, uint64_t term, uint8_t type, const void *data,
                        uint32_t len, uint64_t *index)
{
    raft_log_reserve(l, 1);
    struct raft_entry *e = &l->ents[l->n];
    e->term = term;
    e->index = raft_log_last_index(l) + 1;
    e->type = type;
    e->len = len;
    e->data = raft_log_copy_data(data, len);
    l->n++;
    if (index)
        *index = e->index;
    return 0;
}

int raft_log_maybe_append(struct raft_log *l, uint64_t prev_index, const struct raft_entry *ents,
                          uint32_t n, uint64_t *last_new)
{
    *last_new = prev_index + n;
    for (uint32_t i = 0; i < n; i++) {
        ASSERT(ents[i].index == prev_index + 1 + i);
        if (raft_log_match_term(l, ents[i].index, ents[i].term))
            continue;
        /* First conflict or first new entry. Committed entries never
         * conflict: the leader has them (Leader Completeness). */
        if (ents[i].index <= l->committed)
            return ERR_CORRUPT;
        return raft_log_append(l, &ents[i], n - i);
    }
    return 0;
}

void raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index, uint64_t term,
                                    uint64_t *out_index, uint64_t *out_term)
{
    uint64_t t = 0;
    for (;;) {
        int rc = raft_log_term(l, index, &t);
        if (rc != 0) {
            /* Compacted or unavailable: this is as far as we can tell. */
            t = 0;
            break;
        }
        if (t <= term)
            break;
        if (index == 0)
            break;
        index--;
    }
    *out_index = index;
    *out_term = t;
}

int raft_log_slice(struct raft_log *l, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                   uint32_t max_n, struct raft_entry **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    if (lo >= hi)
        return 0;
    if (hi - lo > max_n)
        hi = lo + max_n;
    if (lo < raft_log_first_index(l))
        return ERR_COMPACTED;
    ASSERT(hi <= raft_log_last_index(l) + 1);
    struct raft_entry *ents = malloc((size_t)(hi - lo) * sizeof *ents);
    ASSERT(ents != NULL);
    uint32_t count = 0;
    uint64_t bytes = 0;
    if (lo < l->offset) {
        uint64_t shi = hi < l->offset ? hi : l->offset;
        uint32_t got = 0;
        int rc = l->st.entries(l->st.ctx, lo, shi, max_bytes, ents, &got);
        if (rc != 0) {
            free(ents);
            return rc;
        }
        ASSERT(got >= 1 && got <= shi - lo);
        for (uint32_t i = 0; i < got; i++) {
            ASSERT(ents[i].index == lo + i);
            bytes += ents[i].len;
        }
        count = got;
        if (got < shi - lo) {
            *out = ents;
            *n = count;
            return 0;
        }
    }
    for (uint64_t i = lo + count; i < hi; i++) {
        const struct raft_entry *e = &l->ents[i - l->offset];
        if (count > 0 && bytes + e->len > max_bytes)
            break;
        ents[count++] = *e;
        bytes += e->len;
    }
    *out = ents;
    *n = count;
    return 0;
}

void raft_log_restore(struct raft_log *l, const struct raft_snapshot_meta *meta)
{
    raft_log_truncate_unstable(l, l->offset);
    l->has_pending_snap = true;
    l->pending_snap_handed = false;
    l->pending_snap = *meta;
    l->offset = meta->index + 1;
    l->hand_next = l->offset;
    l->committed = meta->index;
    if (l->applying < meta->index)
        l->applying = meta->index;
}

void raft_log_stable(struct raft_log *l)
{
    uint32_t k = (uint32_t)(l->hand_next - l->offset);
    ASSERT(k <= l->n);
    for (uint32_t i = 0; i < k; i++)
        free(l->ents[i].data);
    if (k > 0 && k < l->n)
        memmove(l->ents, l->ents + k, (size_t)(l->n - k) * sizeof *l->ents);
    l->n -= k;
    l->offset = l->hand_next;
}
