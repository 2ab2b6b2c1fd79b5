/* The write-ahead log: each group's state and the rules its records obey,
 * appends into the pending batch, group commit, segment files, open/close. */
#include "wal/wal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "wal/wal_int.h"

#define WAL_PWRITE_CHUNK_BYTES (UINT64_C(1) << 30)

void wal_options_default(struct wal_options *o)
{
    o->segment_bytes = WAL_SEGMENT_BYTES_DEFAULT;
    o->cache_bytes = WAL_CACHE_BYTES_DEFAULT;
}

/* ---- Failure ---- */

static int wal_failed_err(const struct wal *w, struct errbuf *eb)
{
    return err_set(eb, w->failed, "%s", w->failed_msg);
}

/* Makes the wal failed (sticky) and returns rc. */
__attribute__((format(printf, 4, 5))) static int wal_fail(struct wal *w, int rc, struct errbuf *eb,
                                                          const char *fmt, ...)
{
    ASSERT(rc < 0);
    if (w->failed == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->failed_msg, sizeof w->failed_msg, fmt, ap);
        va_end(ap);
        w->failed = rc;
        LOGE("wal", "%s: wal failed: %s", w->dir, w->failed_msg);
    }
    return wal_failed_err(w, eb);
}

/* ---- Groups ---- */

/* Position of the first group with id >= id. */
static uint32_t wal_group_pos(const struct wal *w, uint64_t id)
{
    uint32_t lo = 0, hi = w->n_groups;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->groups[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct wal_group *wal__group_find(const struct wal *w, uint64_t id)
{
    uint32_t i = wal_group_pos(w, id);
    if (i < w->n_groups && w->groups[i]->id == id)
        return w->groups[i];
    return NULL;
}

int wal__group_get(struct wal *w, uint64_t id, struct wal_group **out)
{
    uint32_t i = wal_group_pos(w, id);
    if (i < w->n_groups && w->groups[i]->id == id) {
        *out = w->groups[i];
        return 0;
    }
    if (w->n_groups == WAL_GROUPS_MAX)
        return ERR_TOOBIG;
    if (w->n_groups == w->cap_groups) {
        uint32_t cap = w->cap_groups ? 2 * w->cap_groups : 16;
        struct wal_group **p = realloc(w->groups, cap * sizeof *p);
        if (p == NULL)
            return ERR_NOMEM;
        w->groups = p;
        w->cap_groups = cap;
    }
    struct wal_group *g = calloc(1, sizeof *g);
    if (g == NULL)
        return ERR_NOMEM;
    g->id = id;
    memmove(&w->groups[i + 1], &w->groups[i], (w->n_groups - i) * sizeof w->groups[0]);
    w->groups[i] = g;
    w->n_groups++;
    *out = g;
    return 0;
}

static void wal_group_free(struct wal *w, struct wal_group *g)
{
    /* Its pointers are invalid from here on: free at once, defer nothing. */
    wal__group_release(g);
    for (uint64_t i = 0; i < g->n_ents; i++)
        wal__ent_drop_data(w, g, &g->ents[g->head + i]);
    free(g->ents);
    free(g);
}

void wal__group_remove(struct wal *w, uint64_t id)
{
    uint32_t i = wal_group_pos(w, id);
    if (i == w->n_groups || w->groups[i]->id != id)
        return;
    wal_group_free(w, w->groups[i]);
    memmove(&w->groups[i], &w->groups[i + 1], (w->n_groups - i - 1) * sizeof w->groups[0]);
    w->n_groups--;
    w->keep_dirty = true;
}

uint64_t wal__group_last(const struct wal_group *g)
{
    return g->base + g->n_ents;
}

struct wal_ent *wal__group_ent(const struct wal_group *g, uint64_t index)
{
    ASSERT(index > g->base && index <= wal__group_last(g));
    return &g->ents[g->head + (index - g->base - 1)];
}

uint64_t wal__group_term_at(const struct wal_group *g, uint64_t index)
{
    if (index == g->snap.index)
        return g->snap.term;
    return wal__group_ent(g, index)->term;
}

/* Drops the first k entries. */
static void wal_group_drop_front(struct wal *w, struct wal_group *g, uint64_t k)
{
    ASSERT(k <= g->n_ents);
    for (uint64_t i = 0; i < k; i++)
        wal__ent_drop_data(w, g, &g->ents[g->head + i]);
    g->head += k;
    g->n_ents -= k;
    g->base += k;
    if (g->n_ents == 0)
        g->head = 0;
    w->keep_dirty = true;
}

void wal__group_reset(struct wal *w, struct wal_group *g, uint64_t index)
{
    wal_group_drop_front(w, g, g->n_ents);
    g->base = index;
}

static const struct wal_group wal_group_empty;

const char *wal__entry_check(const struct wal_group *g, uint64_t index, uint64_t term)
{
    if (g == NULL)
        g = &wal_group_empty;
    if (index <= g->snap.index)
        return "entry index is not above the snapshot index";
    if (index <= g->base)
        return "entry index is in a stretch of the log that is missing";
    if (index > wal__group_last(g) + 1)
        return "entry index leaves a gap after the last entry";
    /* index - 1 >= base here; it is unknown only if base is. */
    bool prev_known = index - 1 > g->base || g->base == g->snap.index;
    if (prev_known && term < wal__group_term_at(g, index - 1))
        return "entry term is lower than the term before it";
    return NULL;
}

/* Drops entries >= index (index > base). */
static void wal_group_truncate(struct wal *w, struct wal_group *g, uint64_t index)
{
    ASSERT(index > g->base);
    while (g->n_ents > 0 && wal__group_last(g) >= index) {
        wal__ent_drop_data(w, g, &g->ents[g->head + g->n_ents - 1]);
        g->n_ents--;
        w->keep_dirty = true;
    }
    if (g->n_ents == 0)
        g->head = 0;
}

static int wal_group_reserve(struct wal_group *g)
{
    if (g->head + g->n_ents < g->cap_ents)
        return 0;
    if (g->head > 0 && g->head >= g->cap_ents / 2) {
        /* Compaction freed the front: slide down instead of growing. */
        memmove(g->ents, &g->ents[g->head], g->n_ents * sizeof g->ents[0]);
        g->head = 0;
        return 0;
    }
    uint64_t cap = g->cap_ents ? 2 * g->cap_ents : 16;
    struct wal_ent *p = realloc(g->ents, cap * sizeof *p);
    if (p == NULL)
        return ERR_NOMEM;
    g->ents = p;
    g->cap_ents = cap;
    return 0;
}

int wal__entry_put(struct wal *w, struct wal_group *g, uint64_t index, const struct wal_ent *e)
{
    ASSERT(wal__entry_check(g, index, e->term) == NULL);
    int rc = wal_group_reserve(g);
    if (rc != 0)
        return rc;
    wal_group_truncate(w, g, index);
    ASSERT(index == wal__group_last(g) + 1);
    ASSERT(g->head + g->n_ents < g->cap_ents);
    g->ents[g->head + g->n_ents] = *e;
    g->n_ents++;
    return 0;
}

const char *wal__hard_state_check(const struct wal_group *g, const struct raft_hard_state *hs)
{
    if (g != NULL && hs->term < g->hs.term)
        return "hard state term goes down";
    return NULL;
}

const char *wal__snapshot_check(const struct wal_group *g, const struct raft_snapshot_meta *meta,
                                bool *stale)
{
    *stale = false;
    if (g == NULL)
        g = &wal_group_empty;
    const char *why = wal__conf_check(&meta->conf);
    if (why != NULL)
        return why;
    if (meta->index == 0)
        return "snapshot index 0";
    if (meta->index <= g->snap.index) {
        *stale = true;
        return "snapshot index is not above the current snapshot's";
    }
    if (meta->term < g->snap.term)
        return "snapshot term is lower than the current snapshot's";
    return NULL;
}

bool wal__snapshot_keeps(const struct wal_group *g, const struct raft_snapshot_meta *meta)
{
    /* Raft §7: keep the entries after the snapshot only if the log has the
     * snapshot's last entry (same index and term); else the log is stale. */
    ASSERT(g->base == g->snap.index && meta->index > g->snap.index);
    return meta->index <= wal__group_last(g) && wal__group_term_at(g, meta->index) == meta->term;
}

void wal__snapshot_apply(struct wal *w, struct wal_group *g, const struct raft_snapshot_meta *meta,
                         bool keep)
{
    ASSERT(meta->index > g->snap.index);
    uint64_t last = wal__group_last(g);
    if (!keep || meta->index > last)
        wal__group_reset(w, g, meta->index);
    else if (meta->index > g->base)
        wal_group_drop_front(w, g, meta->index - g->base);
    /* else meta->index <= base: only unknown entries are covered. */
    g->snap = *meta;
    w->keep_dirty = true;
    ASSERT(g->base >= g->snap.index);
}

uint64_t wal__keep_from(const struct wal *w)
{
    uint64_t keep = w->tail_seg;
    for (uint32_t i = 0; i < w->n_groups; i++) {
        const struct wal_group *g = w->groups[i];
        /* A group's entries sit in index order in the files. */
        if (g->n_ents > 0 && g->ents[g->head].seg < keep)
            keep = g->ents[g->head].seg;
        if (g->hs_seg != 0 && g->hs_seg < keep)
            keep = g->hs_seg;
        if (g->snap_seg != 0 && g->snap_seg < keep)
            keep = g->snap_seg;
    }
    return keep;
}

/* ---- Segment files ---- */

int wal__segs_push(struct wal *w, uint64_t seq, int fd)
{
    ASSERT(w->n_segs == 0 || seq == w->segs[w->n_segs - 1].seq + 1);
    if (w->n_segs == w->cap_segs) {
        uint32_t cap = w->cap_segs ? 2 * w->cap_segs : 8;
        struct wal_seg *p = realloc(w->segs, cap * sizeof *p);
        if (p == NULL)
            return ERR_NOMEM;
        w->segs = p;
        w->cap_segs = cap;
    }
    w->segs[w->n_segs].seq = seq;
    w->segs[w->n_segs].fd = fd;
    w->n_segs++;
    return 0;
}

static int wal_pwrite_all(int fd, const uint8_t *p, uint64_t n, uint64_t off)
{
    while (n > 0) {
        size_t chunk = n > WAL_PWRITE_CHUNK_BYTES ? WAL_PWRITE_CHUNK_BYTES : (size_t)n;
        ssize_t k = pwrite(fd, p, chunk, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (uint64_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

int wal__zero_range(int fd, uint64_t from, uint64_t to, uint64_t seg_bytes)
{
    static const uint8_t zeros[64 << 10];
    if (to > seg_bytes)
        to = seg_bytes;
    while (from < to) {
        uint64_t n = to - from < sizeof zeros ? to - from : sizeof zeros;
        if (wal_pwrite_all(fd, zeros, n, from) != 0)
            return ERR_IO;
        from += n;
    }
    return 0;
}

/* After a write of [off, end) into a segment: when it entered a new chunk, zeroes up to the end
 * of the chunk after the one holding end (chunks up to off's next one are zeroed already). */
static int wal_zero_ahead(int fd, uint64_t off, uint64_t end, uint64_t seg_bytes)
{
    const uint64_t z = WAL_ZERO_AHEAD_BYTES;
    uint64_t first = off / z, last = (end - 1) / z;
    if (last == first)
        return 0;
    uint64_t from = end > (first + 2) * z ? end : (first + 2) * z;
    return wal__zero_range(fd, from, (last + 2) * z, seg_bytes);
}

int wal__seg_create(int dirfd, uint64_t seq, uint64_t prev_end, uint64_t seg_bytes, int *out,
                    struct errbuf *eb)
{
    char name[WAL_SEGMENT_NAME_BYTES], tmp[WAL_SEGMENT_NAME_BYTES + 4];
    wal__seg_name(name, seq);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    int fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(eb, ERR_IO, "create segment %s: %s", tmp, strerror(errno));
    /* Under a temporary name until header and size are durable: a segment
     * with its final name always has a valid header. */
    int e = posix_fallocate(fd, 0, (off_t)seg_bytes);
    if (e != 0) {
        err_set(eb, ERR_IO, "preallocate segment %s (%" PRIu64 " bytes): %s", tmp, seg_bytes,
                strerror(e));
        goto err_after_open;
    }
    uint8_t hdr[WAL_SEGMENT_HEADER_BYTES];
    wal__seg_header_encode(hdr, seq, prev_end, seg_bytes);
    if (wal_pwrite_all(fd, hdr, sizeof hdr, 0) != 0 ||
        wal__zero_range(fd, sizeof hdr, 2 * WAL_ZERO_AHEAD_BYTES, seg_bytes) != 0 ||
        fdatasync(fd) != 0) {
        err_set(eb, ERR_IO, "write segment header %s: %s", tmp, strerror(errno));
        goto err_after_open;
    }
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        err_set(eb, ERR_IO, "rename %s to %s: %s", tmp, name, strerror(errno));
        goto err_after_open;
    }
    /* The name must be durable before records in it are acknowledged. */
    if (fsync(dirfd) != 0) {
        err_set(eb, ERR_IO, "sync wal directory after creating %s: %s", name, strerror(errno));
        close(fd);
        return ERR_IO;
    }
    *out = fd;
    return 0;

err_after_open:
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return ERR_IO;
}

int wal__unlink_seg(int dirfd, uint64_t seq, struct errbuf *eb)
{
    char name[WAL_SEGMENT_NAME_BYTES];
    wal__seg_name(name, seq);
    if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
        return err_set(eb, ERR_IO, "delete segment %s: %s", name, strerror(errno));
    /* One at a time, oldest first, each durable: a crash leaves no gap. */
    if (fsync(dirfd) != 0)
        return err_set(eb, ERR_IO, "sync wal directory after deleting %s: %s", name,
                       strerror(errno));
    return 0;
}

static int wal_seg_fd(const struct wal *w, uint64_t seq)
{
    if (w->n_segs == 0 || seq < w->segs[0].seq || seq - w->segs[0].seq >= w->n_segs)
        return -1;
    const struct wal_seg *s = &w->segs[seq - w->segs[0].seq];
    ASSERT(s->seq == seq);
    return s->fd;
}

/* ---- Batches ---- */

static struct wal_batch *wal_batch_new(const struct wal *w)
{
    struct wal_batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->dirfd = w->dirfd;
    b->segment_bytes = w->opt.segment_bytes;
    return b;
}

static void wal_batch_reset(struct wal_batch *b)
{
    for (uint32_t i = 0; i < b->n_pieces; i++) {
        b->pieces[i].bytes.len = 0;
        b->pieces[i].fd = -1;
    }
    b->n_pieces = 0;
    b->n_unlink = 0;
    b->end_seg = b->end_off = b->keep_from = 0;
    b->rc = 0;
    b->syncs = b->created = b->unlinked = 0;
    b->bytes = b->sync_ns = 0;
    b->eb.msg[0] = '\0';
}

static void wal_batch_free(struct wal_batch *b)
{
    if (b == NULL)
        return;
    for (uint32_t i = 0; i < b->cap_pieces; i++)
        buf_free(&b->pieces[i].bytes);
    free(b->pieces);
    free(b->unlink_seqs);
    free(b);
}

static bool wal_batch_empty(const struct wal_batch *b)
{
    return b->n_pieces == 0 && b->n_unlink == 0;
}

static int wal_batch_add_unlink(struct wal_batch *b, uint64_t seq)
{
    if (b->n_unlink == b->cap_unlink) {
        uint32_t cap = b->cap_unlink ? 2 * b->cap_unlink : 8;
        uint64_t *p = realloc(b->unlink_seqs, cap * sizeof *p);
        if (p == NULL)
            return ERR_NOMEM;
        b->unlink_seqs = p;
        b->cap_unlink = cap;
    }
    b->unlink_seqs[b->n_unlink++] = seq;
    return 0;
}

/* The pending piece for the tail segment, or a new one starting at the tail. */
static struct wal_piece *wal_tail_piece(struct wal *w, bool create, uint64_t prev_end)
{
    struct wal_batch *b = w->pending;
    if (!create && b->n_pieces > 0 && b->pieces[b->n_pieces - 1].seg == w->tail_seg)
        return &b->pieces[b->n_pieces - 1];
    if (b->n_pieces == b->cap_pieces) {
        uint32_t cap = b->cap_pieces ? 2 * b->cap_pieces : 4;
        struct wal_piece *p = realloc(b->pieces, cap * sizeof *p);
        if (p == NULL)
            return NULL;
        memset(&p[b->cap_pieces], 0, (cap - b->cap_pieces) * sizeof *p);
        b->pieces = p;
        b->cap_pieces = cap;
    }
    struct wal_piece *p = &b->pieces[b->n_pieces++];
    p->seg = w->tail_seg;
    p->off = w->tail_off;
    p->create = create;
    p->prev_end = prev_end;
    p->fd = -1;
    p->bytes.len = 0;
    return p;
}

/* ---- Appending records ---- */

static int wal_roll(struct wal *w);

/* Appends record r at the tail, first rolling to a new segment if it does not
 * fit (and may_roll). Its position goes to *seg, *off. ERR_NOMEM. */
static int wal_emit(struct wal *w, const struct wal_rec *r, bool may_roll, uint64_t *seg,
                    uint32_t *off)
{
    uint64_t size = WAL_RECORD_HEADER_BYTES + (uint64_t)r->len;
    if (may_roll && w->tail_off > WAL_SEGMENT_HEADER_BYTES &&
        w->tail_off + size > w->opt.segment_bytes) {
        int rc = wal_roll(w);
        if (rc != 0)
            return rc;
    }
    struct wal_piece *p = wal_tail_piece(w, false, 0);
    if (p == NULL || buf_reserve(&p->bytes, size) != 0)
        return ERR_NOMEM;
    ASSERT(p->seg == w->tail_seg && p->off + p->bytes.len == w->tail_off);
    ASSERT(w->tail_off + size <= WAL_SEGMENT_FILE_BYTES_MAX);
    struct wal_rec rec = *r;
    rec.batch_off = (uint32_t)p->off;
    uint8_t *at = p->bytes.data + p->bytes.len;
    uint64_t n = wal__rec_encode(at, w->tail_seg, &rec);
    ASSERT(n == size);
#ifdef CAIRN_DEBUG_CHECKS
    struct wal_rec back;
    bool crc_ok;
    ASSERT(wal__rec_decode(at, n, w->tail_off, w->tail_seg, &back, &crc_ok) == NULL);
#endif
    p->bytes.len += n;
    *seg = w->tail_seg;
    *off = (uint32_t)w->tail_off;
    w->tail_off += n;
    w->stats.records_appended++;
    return 0;
}

static int wal_emit_hard_state(struct wal *w, uint64_t group, const struct raft_hard_state *hs,
                               bool may_roll, uint64_t *seg)
{
    uint8_t payload[WAL_HARD_STATE_PAYLOAD_BYTES];
    codec_put_u64(payload, hs->vote);
    struct wal_rec r = {.len = sizeof payload,
                        .type = WAL_REC_HARD_STATE,
                        .group = group,
                        .term = hs->term,
                        .index = hs->commit,
                        .payload = payload};
    uint32_t off;
    return wal_emit(w, &r, may_roll, seg, &off);
}

static int wal_emit_snapshot(struct wal *w, uint64_t group, const struct raft_snapshot_meta *meta,
                             bool keep, bool may_roll, uint64_t *seg)
{
    uint8_t payload[WAL_SNAPSHOT_PAYLOAD_BYTES_MAX];
    uint32_t len = wal__conf_encoded_len(&meta->conf);
    ASSERT(len <= sizeof payload);
    wal__conf_encode(payload, &meta->conf);
    struct wal_rec r = {.len = len,
                        .type = WAL_REC_SNAPSHOT,
                        .flags = keep ? WAL_REC_FLAG_KEEP : 0,
                        .group = group,
                        .term = meta->term,
                        .index = meta->index,
                        .payload = payload};
    uint32_t off;
    return wal_emit(w, &r, may_roll, seg, &off);
}

/* Starts the next segment with every group's hard state and snapshot, so
 * that no group needs an older segment for them. */
static int wal_roll(struct wal *w)
{
    uint64_t prev_end = w->tail_off;
    w->tail_seg++;
    w->tail_off = WAL_SEGMENT_HEADER_BYTES;
    if (wal_tail_piece(w, true, prev_end) == NULL)
        return ERR_NOMEM;
    for (uint32_t i = 0; i < w->n_groups; i++) {
        struct wal_group *g = w->groups[i];
        int rc = wal_emit_hard_state(w, g->id, &g->hs, false, &g->hs_seg);
        if (rc == 0)
            rc = wal_emit_snapshot(w, g->id, &g->snap, true, false, &g->snap_seg);
        if (rc != 0)
            return rc;
    }
    w->keep_dirty = true;
    return 0;
}

int wal_append_entries(struct wal *w, uint64_t group, const struct raft_entry *e, uint32_t n,
                       struct errbuf *eb)
{
    if (w->failed)
        return wal_failed_err(w, eb);
    if (n == 0)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].len > WAL_ENTRY_BYTES_MAX)
            return err_set(eb, ERR_TOOBIG,
                           "group %" PRIu64 " entry %" PRIu64 ": %" PRIu32
                           " bytes, over the %" PRIu32 " limit",
                           group, e[i].index, e[i].len, WAL_ENTRY_BYTES_MAX);
        if (e[i].len > 0 && e[i].data == NULL)
            return err_set(eb, ERR_INVAL, "group %" PRIu64 " entry %" PRIu64 ": no data", group,
                           e[i].index);
        if (i > 0 && (e[i].index != e[i - 1].index + 1 || e[i].term < e[i - 1].term))
            return err_set(eb, ERR_INVAL,
                           "group %" PRIu64 " entry %" PRIu64
                           ": indexes must be consecutive and terms must not go down",
                           group, e[i].index);
    }
    struct wal_group *g = wal__group_find(w, group);
    const char *why = wal__entry_check(g, e[0].index, e[0].term);
    if (why != NULL)
        return err_set(eb, ERR_INVAL, "group %" PRIu64 " entry %" PRIu64 " term %" PRIu64 ": %s",
                       group, e[0].index, e[0].term, why);
    if (g == NULL) {
        int rc = wal__group_get(w, group, &g);
        if (rc == ERR_TOOBIG)
            return err_set(eb, rc, "group %" PRIu64 ": more than %u groups", group, WAL_GROUPS_MAX);
        if (rc != 0)
            return wal_fail(w, rc, eb, "out of memory adding group %" PRIu64, group);
    }
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *copy = NULL;
        if (e[i].len > 0) {
            copy = wal__cache_copy(e[i].data, e[i].len);
            if (copy == NULL)
                return wal_fail(w, ERR_NOMEM, eb, "out of memory caching an entry");
        }
        struct wal_rec r = {.len = e[i].len,
                            .type = WAL_REC_ENTRY,
                            .etype = e[i].type,
                            .group = group,
                            .term = e[i].term,
                            .index = e[i].index,
                            .payload = e[i].data};
        struct wal_ent ent = {.term = e[i].term, .data = copy, .len = e[i].len, .type = e[i].type};
        int rc = wal_emit(w, &r, true, &ent.seg, &ent.off);
        if (rc == 0)
            rc = wal__entry_put(w, g, e[i].index, &ent);
        if (rc != 0) {
            wal__cache_free(copy);
            return wal_fail(w, rc, eb, "out of memory appending an entry");
        }
        if (copy != NULL && wal__cache_add(w, group, e[i].index, &ent) != 0)
            return wal_fail(w, ERR_NOMEM, eb, "out of memory caching an entry");
        w->stats.entries_appended++;
    }
    wal__cache_evict(w);
    return 0;
}

int wal_set_hard_state(struct wal *w, uint64_t group, const struct raft_hard_state *hs,
                       struct errbuf *eb)
{
    if (w->failed)
        return wal_failed_err(w, eb);
    struct wal_group *g = wal__group_find(w, group);
    const char *why = wal__hard_state_check(g, hs);
    if (why != NULL)
        return err_set(eb, ERR_INVAL, "group %" PRIu64 " hard state term %" PRIu64 ": %s", group,
                       hs->term, why);
    if (g != NULL && g->hs.term == hs->term && g->hs.vote == hs->vote && g->hs.commit == hs->commit)
        return 0;
    if (g == NULL) {
        int rc = wal__group_get(w, group, &g);
        if (rc == ERR_TOOBIG)
            return err_set(eb, rc, "group %" PRIu64 ": more than %u groups", group, WAL_GROUPS_MAX);
        if (rc != 0)
            return wal_fail(w, rc, eb, "out of memory adding group %" PRIu64, group);
    }
    uint64_t seg;
    int rc = wal_emit_hard_state(w, group, hs, true, &seg);
    if (rc != 0)
        return wal_fail(w, rc, eb, "out of memory appending a hard state");
    g->hs = *hs;
    if (g->hs_seg != seg)
        w->keep_dirty = true;
    g->hs_seg = seg;
    return 0;
}

int wal_set_snapshot(struct wal *w, uint64_t group, const struct raft_snapshot_meta *meta,
                     struct errbuf *eb)
{
    if (w->failed)
        return wal_failed_err(w, eb);
    struct wal_group *g = wal__group_find(w, group);
    bool stale;
    const char *why = wal__snapshot_check(g, meta, &stale);
    if (why != NULL)
        return err_set(eb, stale ? ERR_STALE : ERR_INVAL,
                       "group %" PRIu64 " snapshot index %" PRIu64 " term %" PRIu64 ": %s", group,
                       meta->index, meta->term, why);
    if (g == NULL) {
        int rc = wal__group_get(w, group, &g);
        if (rc == ERR_TOOBIG)
            return err_set(eb, rc, "group %" PRIu64 ": more than %u groups", group, WAL_GROUPS_MAX);
        if (rc != 0)
            return wal_fail(w, rc, eb, "out of memory adding group %" PRIu64, group);
    }
    uint64_t seg;
    bool keep = wal__snapshot_keeps(g, meta);
    int rc = wal_emit_snapshot(w, group, meta, keep, true, &seg);
    if (rc != 0)
        return wal_fail(w, rc, eb, "out of memory appending a snapshot");
    wal__snapshot_apply(w, g, meta, keep);
    g->snap_seg = seg;
    return 0;
}

int wal_drop_group(struct wal *w, uint64_t group, struct errbuf *eb)
{
    if (w->failed)
        return wal_failed_err(w, eb);
    if (wal__group_find(w, group) == NULL)
        return 0;
    struct wal_rec r = {.type = WAL_REC_DROP, .group = group};
    uint64_t seg;
    uint32_t off;
    int rc = wal_emit(w, &r, true, &seg, &off);
    if (rc != 0)
        return wal_fail(w, rc, eb, "out of memory appending a group drop");
    wal__group_remove(w, group);
    return 0;
}

/* ---- Group commit ---- */

int wal_flush_begin(struct wal *w, struct wal_batch **out)
{
    *out = NULL;
    if (w->failed)
        return w->failed;
    if (w->inflight != NULL)
        return ERR_BUSY;
    struct wal_batch *b = w->pending;
    if (wal_batch_empty(b))
        return 0;
    if (w->spare == NULL) {
        w->spare = wal_batch_new(w);
        if (w->spare == NULL)
            return ERR_NOMEM;
    }
    for (uint32_t i = 0; i < b->n_pieces; i++) {
        struct wal_piece *p = &b->pieces[i];
        ASSERT(p->bytes.len > 0);
        if (!p->create) {
            p->fd = wal_seg_fd(w, p->seg);
            ASSERT(p->fd >= 0);
        }
    }
    b->end_seg = w->tail_seg;
    b->end_off = w->tail_off;
    /* What is obsolete once everything appended so far is durable. */
    b->keep_from = 0;
    if (w->keep_dirty) {
        b->keep_from = wal__keep_from(w);
        w->keep_dirty = false;
    }
    w->inflight = b;
    w->pending = w->spare;
    w->spare = NULL;
    wal_batch_reset(w->pending);
    *out = b;
    return 0;
}

int wal_flush_write(struct wal_batch *b)
{
    char name[WAL_SEGMENT_NAME_BYTES];
    int last_fd = -1;
    bool dirty = false;
    uint64_t t0 = clock_mono_ns();
    for (uint32_t i = 0; i < b->n_pieces; i++) {
        struct wal_piece *p = &b->pieces[i];
        if (p->create) {
            /* A segment exists only once everything before it is durable:
             * recovery is strict about every segment but the last. */
            if (dirty) {
                if (fdatasync(last_fd) != 0) {
                    wal__seg_name(name, p->seg - 1);
                    err_set(&b->eb, ERR_IO, "sync segment %s: %s", name, strerror(errno));
                    goto err;
                }
                b->syncs++;
                dirty = false;
            }
            if (wal__seg_create(b->dirfd, p->seg, p->prev_end, b->segment_bytes, &p->fd, &b->eb) !=
                0)
                goto err;
            b->created++;
        }
        ASSERT(p->fd >= 0);
        if (wal_pwrite_all(p->fd, p->bytes.data, p->bytes.len, p->off) != 0) {
            wal__seg_name(name, p->seg);
            err_set(&b->eb, ERR_IO, "write %zu bytes to segment %s at offset %" PRIu64 ": %s",
                    p->bytes.len, name, p->off, strerror(errno));
            goto err;
        }
        b->bytes += p->bytes.len;
        last_fd = p->fd;
        dirty = true;
    }
    if (dirty) {
        if (fdatasync(last_fd) != 0) {
            wal__seg_name(name, b->pieces[b->n_pieces - 1].seg);
            err_set(&b->eb, ERR_IO, "sync segment %s: %s", name, strerror(errno));
            goto err;
        }
        b->syncs++;
    }
    b->sync_ns = clock_mono_ns() - t0;
    /* Past the sync, so that no commit waits for the zeros: the next batch's sync takes them. */
    for (uint32_t i = 0; i < b->n_pieces; i++) {
        struct wal_piece *p = &b->pieces[i];
        if (wal_zero_ahead(p->fd, p->off, p->off + p->bytes.len, b->segment_bytes) != 0) {
            wal__seg_name(name, p->seg);
            err_set(&b->eb, ERR_IO, "write zeros ahead of the end of segment %s: %s", name,
                    strerror(errno));
            goto err;
        }
    }
    for (uint32_t i = 0; i < b->n_unlink; i++) {
        struct errbuf ueb;
        /* Not fatal: recovery deletes an obsolete segment it finds. */
        if (wal__unlink_seg(b->dirfd, b->unlink_seqs[i], &ueb) != 0) {
            LOGW("wal", "%s", ueb.msg);
            break;
        }
        b->unlinked++;
    }
    b->rc = 0;
    return 0;

err:
    b->rc = ERR_IO;
    return ERR_IO;
}

int wal_flush_end(struct wal *w, struct wal_batch *b, int rc, struct errbuf *eb)
{
    ASSERT(b != NULL && b == w->inflight);
    w->inflight = NULL;
    for (uint32_t i = 0; i < b->n_pieces; i++) {
        struct wal_piece *p = &b->pieces[i];
        if (p->create && p->fd >= 0 && wal__segs_push(w, p->seg, p->fd) != 0) {
            close(p->fd);
            p->fd = -1;
            if (rc == 0)
                rc = ERR_NOMEM;
        }
    }
    w->stats.segments_created += b->created;
    w->stats.segments_deleted += b->unlinked;
    w->stats.syncs += b->syncs;
    if (rc != 0) {
        if (b->eb.msg[0] == '\0')
            snprintf(b->eb.msg, sizeof b->eb.msg, "%s", err_msg(rc));
        wal_fail(w, rc, NULL, "%s", b->eb.msg);
        wal_batch_reset(b);
        w->spare = b;
        return wal_failed_err(w, eb);
    }
    ASSERT(b->end_seg > w->durable_seg ||
           (b->end_seg == w->durable_seg && b->end_off >= w->durable_off));
    w->durable_seg = b->end_seg;
    w->durable_off = b->end_off;
    w->stats.flushes++;
    w->stats.bytes_written += b->bytes;
    w->stats.sync_ns_last = b->sync_ns;
    w->stats.sync_ns_total += b->sync_ns;
    if (b->sync_ns > w->stats.sync_ns_max)
        w->stats.sync_ns_max = b->sync_ns;
    /* Segments below keep_from: nothing live is in them and every group's
     * state is durable in a later one. The next batch deletes the files. */
    ASSERT(b->keep_from <= w->durable_seg);
    uint32_t drop = 0;
    while (drop < w->n_segs && w->segs[drop].seq < b->keep_from) {
        close(w->segs[drop].fd);
        if (wal_batch_add_unlink(w->pending, w->segs[drop].seq) != 0)
            LOGW("wal", "%s: out of memory; an obsolete segment stays until reopen", w->dir);
        drop++;
    }
    memmove(w->segs, &w->segs[drop], (w->n_segs - drop) * sizeof w->segs[0]);
    w->n_segs -= drop;
    wal__cache_evict(w);
    wal_batch_reset(b);
    w->spare = b;
    return 0;
}

int wal_sync(struct wal *w, struct errbuf *eb)
{
    if (w->inflight != NULL)
        return err_set(eb, ERR_BUSY, "a flush is already in flight");
    /* The second round only deletes what the first made obsolete. */
    for (int round = 0; round < 2; round++) {
        struct wal_batch *b;
        int rc = wal_flush_begin(w, &b);
        if (rc != 0)
            return w->failed ? wal_failed_err(w, eb) : err_set(eb, rc, "%s", err_msg(rc));
        if (b == NULL)
            return 0;
        rc = wal_flush_write(b);
        rc = wal_flush_end(w, b, rc, eb);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- Open and close ---- */

static void wal_free(struct wal *w)
{
    ASSERT(w->inflight == NULL);
    for (uint32_t i = 0; i < w->n_groups; i++)
        wal_group_free(w, w->groups[i]);
    free(w->groups);
    for (uint32_t i = 0; i < w->n_segs; i++)
        close(w->segs[i].fd);
    free(w->segs);
    wal_batch_free(w->pending);
    wal_batch_free(w->spare);
    free(w->fifo);
    if (w->lockfd >= 0)
        close(w->lockfd);
    if (w->dirfd >= 0)
        close(w->dirfd);
    free(w->dir);
    free(w);
}

int wal_open(const char *dir, const struct wal_options *opt, struct wal **out, struct errbuf *eb)
{
    *out = NULL;
    struct wal_options o;
    wal_options_default(&o);
    if (opt != NULL)
        o = *opt;
    if (o.segment_bytes < WAL_SEGMENT_BYTES_MIN || o.segment_bytes > WAL_SEGMENT_BYTES_MAX)
        return err_set(eb, ERR_INVAL,
                       "segment size %" PRIu64 " is outside [%" PRIu64 ", %" PRIu64 "]",
                       o.segment_bytes, WAL_SEGMENT_BYTES_MIN, WAL_SEGMENT_BYTES_MAX);
    struct wal *w = calloc(1, sizeof *w);
    if (w == NULL)
        return err_set(eb, ERR_NOMEM, "out of memory");
    w->dirfd = w->lockfd = -1;
    w->opt = o;
    int rc;
    w->dir = strdup(dir);
    if (w->dir == NULL) {
        rc = err_set(eb, ERR_NOMEM, "out of memory");
        goto err;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = err_set(eb, ERR_IO, "create wal directory %s: %s", dir, strerror(errno));
        goto err;
    }
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        rc = err_set(eb, ERR_IO, "open wal directory %s: %s", dir, strerror(errno));
        goto err;
    }
    w->lockfd = openat(w->dirfd, "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->lockfd < 0) {
        rc = err_set(eb, ERR_IO, "open %s/LOCK: %s", dir, strerror(errno));
        goto err;
    }
    if (flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            rc = err_set(eb, ERR_BUSY, "wal %s is open elsewhere", dir);
        else
            rc = err_set(eb, ERR_IO, "lock %s/LOCK: %s", dir, strerror(errno));
        goto err;
    }
    w->pending = wal_batch_new(w);
    w->spare = wal_batch_new(w);
    if (w->pending == NULL || w->spare == NULL) {
        rc = err_set(eb, ERR_NOMEM, "out of memory");
        goto err;
    }
    rc = wal__recover(w, eb);
    if (rc != 0)
        goto err;
    *out = w;
    return 0;

err:
    wal_free(w);
    return rc;
}

void wal_close(struct wal *w)
{
    if (w != NULL)
        wal_free(w);
}

/* ---- Inspection ---- */

uint32_t wal_group_count(const struct wal *w)
{
    return w->n_groups;
}

uint32_t wal_group_ids(const struct wal *w, uint64_t *ids, uint32_t cap)
{
    for (uint32_t i = 0; i < w->n_groups && i < cap; i++)
        ids[i] = w->groups[i]->id;
    return w->n_groups;
}

int wal_group_info(const struct wal *w, uint64_t group, struct wal_group_info *out)
{
    const struct wal_group *g = wal__group_find(w, group);
    if (g == NULL)
        return ERR_NOTFOUND;
    out->group = g->id;
    out->hs = g->hs;
    out->snap = g->snap;
    out->first_index = g->snap.index + 1;
    out->last_index = wal__group_last(g);
    return 0;
}

void wal_get_stats(const struct wal *w, struct wal_stats *out)
{
    *out = w->stats;
    out->pending_bytes = 0;
    for (uint32_t i = 0; i < w->pending->n_pieces; i++)
        out->pending_bytes += w->pending->pieces[i].bytes.len;
    out->segments = w->n_segs;
    out->cache_bytes = w->cache_bytes;
    out->cache_entries = w->cache_n;
}

void wal_tail(const struct wal *w, uint64_t *seg, uint64_t *off)
{
    *seg = w->tail_seg;
    *off = w->tail_off;
}
