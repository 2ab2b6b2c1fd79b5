/* Reading the log back: the bounded cache of recent entry data, reads of
 * older entries from their segment, pointer lifetimes, and the raft_storage
 * adapter. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "wal/wal_int.h"

#define WAL_ARENA_BLOCK_BYTES (UINT64_C(64) << 10)
/* Stale refs the eviction queue may hold beyond twice the live ones. */
#define WAL_FIFO_SLACK_REFS 1024

/* ---- The cache ---- */

uint8_t *wal__cache_copy(const void *data, uint32_t len)
{
    ASSERT(len > 0);
    struct wal_cache_block *b = malloc(sizeof *b + len);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->len = len;
    memcpy(b->data, data, len);
    return b->data;
}

static struct wal_cache_block *wal_cache_block_of(uint8_t *data)
{
    return (struct wal_cache_block *)(void *)(data - offsetof(struct wal_cache_block, data));
}

void wal__cache_free(uint8_t *data)
{
    if (data != NULL)
        free(wal_cache_block_of(data));
}

void wal__ent_drop_data(struct wal *w, struct wal_group *g, struct wal_ent *e)
{
    if (e->data == NULL)
        return;
    ASSERT(w->cache_n > 0 && w->cache_bytes >= e->len);
    w->cache_n--;
    w->cache_bytes -= e->len;
    struct wal_cache_block *b = wal_cache_block_of(e->data);
    ASSERT(b->len == e->len);
    e->data = NULL;
    if (g->reads_out) {
        /* A reader may still hold it (until wal_release). */
        b->next = g->deferred;
        g->deferred = b;
    } else {
        free(b);
    }
}

void wal__group_release(struct wal_group *g)
{
    while (g->scratch != NULL) {
        struct wal_arena_block *next = g->scratch->next;
        free(g->scratch);
        g->scratch = next;
    }
    while (g->deferred != NULL) {
        struct wal_cache_block *next = g->deferred->next;
        free(g->deferred);
        g->deferred = next;
    }
    g->reads_out = false;
}

static struct wal_cache_ref *wal_fifo_at(const struct wal *w, uint64_t i)
{
    ASSERT(i < w->fifo_n);
    return &w->fifo[(w->fifo_head + i) % w->fifo_cap];
}

static int wal_fifo_grow(struct wal *w)
{
    uint64_t cap = w->fifo_cap ? 2 * w->fifo_cap : 256;
    struct wal_cache_ref *p = malloc(cap * sizeof *p);
    if (p == NULL)
        return ERR_NOMEM;
    for (uint64_t i = 0; i < w->fifo_n; i++)
        p[i] = *wal_fifo_at(w, i);
    free(w->fifo);
    w->fifo = p;
    w->fifo_cap = cap;
    w->fifo_head = 0;
    return 0;
}

int wal__cache_add(struct wal *w, uint64_t group, uint64_t index, const struct wal_ent *e)
{
    ASSERT(e->data != NULL && e->len > 0);
    /* Accounted first: the entry holds the data whether or not it is queued. */
    w->cache_n++;
    w->cache_bytes += e->len;
    if (w->fifo_n == w->fifo_cap && wal_fifo_grow(w) != 0)
        return ERR_NOMEM;
    struct wal_cache_ref *r = &w->fifo[(w->fifo_head + w->fifo_n) % w->fifo_cap];
    r->group = group;
    r->index = index;
    r->seg = e->seg;
    r->off = e->off;
    w->fifo_n++;
    return 0;
}

/* The cached entry ref still names, or NULL if it was dropped since. */
static struct wal_ent *wal_ref_ent(const struct wal *w, const struct wal_cache_ref *ref,
                                   struct wal_group **gout)
{
    struct wal_group *g = wal__group_find(w, ref->group);
    if (g == NULL || ref->index <= g->base || ref->index > wal__group_last(g))
        return NULL;
    struct wal_ent *e = wal__group_ent(g, ref->index);
    /* A position names one record: a rewritten index has a new one. */
    if (e->seg != ref->seg || e->off != ref->off || e->data == NULL)
        return NULL;
    *gout = g;
    return e;
}

static bool wal_ent_durable(const struct wal *w, const struct wal_ent *e)
{
    return e->seg < w->durable_seg || (e->seg == w->durable_seg && e->off < w->durable_off);
}

static void wal_fifo_pop(struct wal *w)
{
    w->fifo_head = (w->fifo_head + 1) % w->fifo_cap;
    w->fifo_n--;
}

void wal__cache_evict(struct wal *w)
{
    /* Oldest first; an entry not yet durable cannot be read back, so it and
     * everything after it stay. */
    while (w->fifo_n > 0) {
        struct wal_group *g;
        struct wal_ent *e = wal_ref_ent(w, wal_fifo_at(w, 0), &g);
        if (e == NULL) {
            wal_fifo_pop(w);
            continue;
        }
        if (w->cache_bytes <= w->opt.cache_bytes || !wal_ent_durable(w, e))
            break;
        wal__ent_drop_data(w, g, e);
        wal_fifo_pop(w);
    }
    /* Refs to entries truncated or compacted behind a live one pile up:
     * sweep them out so the queue stays within a constant of the cache. */
    if (w->fifo_n > 2 * w->cache_n + WAL_FIFO_SLACK_REFS) {
        uint64_t kept = 0;
        for (uint64_t i = 0; i < w->fifo_n; i++) {
            struct wal_group *g;
            struct wal_cache_ref ref = *wal_fifo_at(w, i);
            if (wal_ref_ent(w, &ref, &g) != NULL)
                w->fifo[(w->fifo_head + kept++) % w->fifo_cap] = ref;
        }
        w->fifo_n = kept;
    }
}

/* ---- Reads ---- */

uint64_t wal_first_index(const struct wal *w, uint64_t group)
{
    const struct wal_group *g = wal__group_find(w, group);
    return g ? g->snap.index + 1 : 1;
}

uint64_t wal_last_index(const struct wal *w, uint64_t group)
{
    const struct wal_group *g = wal__group_find(w, group);
    return g ? wal__group_last(g) : 0;
}

int wal_term(const struct wal *w, uint64_t group, uint64_t index, uint64_t *term)
{
    const struct wal_group *g = wal__group_find(w, group);
    uint64_t snap_index = g ? g->snap.index : 0;
    uint64_t last = g ? wal__group_last(g) : 0;
    if (index < snap_index)
        return ERR_COMPACTED;
    if (index > last)
        return ERR_UNAVAILABLE;
    if (index == snap_index)
        *term = g ? g->snap.term : 0;
    else
        *term = wal__group_ent(g, index)->term;
    return 0;
}

int wal_snapshot_meta(const struct wal *w, uint64_t group, struct raft_snapshot_meta *meta)
{
    const struct wal_group *g = wal__group_find(w, group);
    if (g != NULL)
        *meta = g->snap;
    else
        memset(meta, 0, sizeof *meta);
    return 0;
}

static uint8_t *wal_arena_alloc(struct wal_group *g, uint64_t n)
{
    n = (n + 15) & ~(uint64_t)15;
    struct wal_arena_block *b = g->scratch;
    if (b == NULL || b->cap - b->used < n) {
        uint64_t cap = n > WAL_ARENA_BLOCK_BYTES ? n : WAL_ARENA_BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = g->scratch;
        g->scratch = b;
    }
    uint8_t *p = b->data + b->used;
    b->used += n;
    return p;
}

static int wal_seg_fd_of(const struct wal *w, uint64_t seq)
{
    if (w->n_segs == 0 || seq < w->segs[0].seq || seq - w->segs[0].seq >= w->n_segs)
        return -1;
    return w->segs[seq - w->segs[0].seq].fd;
}

/* Reads entry index of g back from its record, into g's scratch. */
static int wal_read_back(struct wal *w, struct wal_group *g, uint64_t index,
                         const struct wal_ent *e, uint8_t **data, struct errbuf *eb)
{
    /* Only durable entries leave the cache, and their segments stay open
     * while a group has entries in them. */
    int fd = wal_seg_fd_of(w, e->seg);
    ASSERT(fd >= 0 && wal_ent_durable(w, e));
    char name[WAL_SEGMENT_NAME_BYTES];
    wal__seg_name(name, e->seg);
    uint64_t size = WAL_RECORD_HEADER_BYTES + (uint64_t)e->len;
    uint8_t *p = wal_arena_alloc(g, size);
    if (p == NULL)
        return err_set(eb, ERR_NOMEM, "out of memory reading an entry back");
    uint64_t got = 0;
    while (got < size) {
        ssize_t k = pread(fd, p + got, size - got, (off_t)(e->off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return err_set(eb, ERR_IO, "read segment %s at offset %" PRIu32 ": %s", name, e->off,
                           strerror(errno));
        if (k == 0)
            return err_set(eb, ERR_CORRUPT,
                           "segment %s offset %" PRIu32
                           ": file ends inside the record of group %" PRIu64 " entry %" PRIu64,
                           name, e->off, g->id, index);
        got += (uint64_t)k;
    }
    struct wal_rec r;
    bool crc_ok;
    const char *why = wal__rec_decode(p, size, e->off, e->seg, &r, &crc_ok);
    if (why == NULL && (r.type != WAL_REC_ENTRY || r.group != g->id || r.index != index ||
                        r.term != e->term || r.len != e->len || r.etype != e->type))
        why = "record is not the entry the index says is there";
    if (why != NULL)
        return err_set(eb, ERR_CORRUPT,
                       "segment %s offset %" PRIu32 ": %s (group %" PRIu64 " entry %" PRIu64
                       ", in %s)",
                       name, e->off, why, g->id, index, w->dir);
    *data = p + WAL_RECORD_HEADER_BYTES;
    w->stats.entries_read_disk++;
    return 0;
}

int wal_entries(struct wal *w, uint64_t group, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                struct raft_entry *out, uint32_t *n, struct errbuf *eb)
{
    *n = 0;
    if (lo > hi)
        return err_set(eb, ERR_INVAL, "entries [%" PRIu64 ", %" PRIu64 ")", lo, hi);
    if (lo == hi)
        return 0;
    struct wal_group *g = wal__group_find(w, group);
    uint64_t first = g ? g->snap.index + 1 : 1;
    uint64_t last = g ? wal__group_last(g) : 0;
    if (lo < first)
        return err_set(eb, ERR_COMPACTED,
                       "group %" PRIu64 ": entry %" PRIu64 " is compacted (first is %" PRIu64 ")",
                       group, lo, first);
    if (hi > last + 1)
        return err_set(eb, ERR_UNAVAILABLE,
                       "group %" PRIu64 ": entry %" PRIu64 " is past the last (%" PRIu64 ")", group,
                       hi - 1, last);
    if (hi - lo > UINT32_MAX)
        hi = lo + UINT32_MAX;
    uint64_t bytes = 0;
    uint32_t k = 0;
    for (uint64_t i = lo; i < hi; i++) {
        struct wal_ent *e = wal__group_ent(g, i);
        if (k > 0 && bytes + e->len > max_bytes)
            break;
        struct raft_entry *o = &out[k];
        o->term = e->term;
        o->index = i;
        o->type = e->type;
        o->len = e->len;
        o->data = NULL;
        if (e->len > 0) {
            /* Set before reading back: scratch is freed only by release. */
            g->reads_out = true;
            if (e->data != NULL) {
                o->data = e->data;
            } else {
                int rc = wal_read_back(w, g, i, e, &o->data, eb);
                if (rc != 0)
                    return rc;
            }
        }
        bytes += e->len;
        k++;
    }
    ASSERT(k >= 1);
    *n = k;
    return 0;
}

void wal_release(struct wal *w, uint64_t group)
{
    struct wal_group *g = wal__group_find(w, group);
    if (g != NULL)
        wal__group_release(g);
}

/* ---- raft_storage ---- */

static uint64_t wal_st_first_index(void *ctx)
{
    struct wal_storage *ws = ctx;
    return wal_first_index(ws->w, ws->group);
}

static uint64_t wal_st_last_index(void *ctx)
{
    struct wal_storage *ws = ctx;
    return wal_last_index(ws->w, ws->group);
}

static int wal_st_term(void *ctx, uint64_t index, uint64_t *term)
{
    struct wal_storage *ws = ctx;
    return wal_term(ws->w, ws->group, index, term);
}

static int wal_st_entries(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                          struct raft_entry *out, uint32_t *n)
{
    struct wal_storage *ws = ctx;
    struct errbuf eb;
    int rc = wal_entries(ws->w, ws->group, lo, hi, max_bytes, out, n, &eb);
    if (rc != 0 && rc != ERR_COMPACTED && rc != ERR_UNAVAILABLE)
        LOGE("wal", "group %" PRIu64 ": %s", ws->group, eb.msg);
    return rc;
}

static int wal_st_snapshot(void *ctx, struct raft_snapshot_meta *meta)
{
    struct wal_storage *ws = ctx;
    return wal_snapshot_meta(ws->w, ws->group, meta);
}

void wal_storage_init(struct wal_storage *ws, struct wal *w, uint64_t group,
                      struct raft_storage *st)
{
    ws->w = w;
    ws->group = group;
    st->ctx = ws;
    st->first_index = wal_st_first_index;
    st->last_index = wal_st_last_index;
    st->term = wal_st_term;
    st->entries = wal_st_entries;
    st->snapshot = wal_st_snapshot;
}
