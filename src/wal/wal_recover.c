/* Recovery at open: replay every segment in order, rebuild each group's
 * state and entry index, cut a torn tail, and refuse (ERR_CORRUPT, naming the
 * file and offset) anything that could mean acknowledged data is lost. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/codec.h"
#include "base/log.h"
#include "wal/wal_int.h"

/* What is known about the segment being replayed. */
struct wal_scan {
    uint64_t seq;
    char name[WAL_SEGMENT_NAME_BYTES];
    const uint8_t *p;
    uint64_t size;
    bool last;
};

static int wal_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Parses a canonical segment name; with tmp, the name plus ".tmp". */
static bool wal_parse_name(const char *s, bool tmp, uint64_t *seq)
{
    size_t want = WAL_SEGMENT_NAME_BYTES - 1 + (tmp ? 4 : 0);
    if (strlen(s) != want)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            v = v << 4 | (uint64_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (uint64_t)(c - 'a' + 10);
        else
            return false;
    }
    if (strcmp(s + 16, tmp ? ".wal.tmp" : ".wal") != 0)
        return false;
    *seq = v;
    return true;
}

/* Lists segment sequence numbers, ascending, and deletes leftover temporary
 * segments (a crash while creating one). *seqs is the caller's to free. */
static int wal_list(struct wal *w, uint64_t **seqs, uint32_t *n, struct errbuf *eb)
{
    *seqs = NULL;
    *n = 0;
    int fd = dup(w->dirfd);
    if (fd < 0)
        return err_set(eb, ERR_IO, "list %s: %s", w->dir, strerror(errno));
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return err_set(eb, ERR_IO, "list %s: %s", w->dir, strerror(errno));
    }
    rewinddir(d);
    uint64_t *v = NULL;
    uint32_t cap = 0, count = 0, n_tmp = 0;
    uint64_t tmp[16];
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        uint64_t seq;
        if (wal_parse_name(de->d_name, true, &seq)) {
            if (n_tmp < sizeof tmp / sizeof tmp[0])
                tmp[n_tmp++] = seq;
            continue;
        }
        if (!wal_parse_name(de->d_name, false, &seq))
            continue;
        if (count == WAL_SEGMENTS_MAX) {
            rc =
                err_set(eb, ERR_TOOBIG, "%s holds more than %u segments", w->dir, WAL_SEGMENTS_MAX);
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *p = realloc(v, cap * sizeof *p);
            if (p == NULL) {
                rc = err_set(eb, ERR_NOMEM, "out of memory");
                break;
            }
            v = p;
        }
        v[count++] = seq;
    }
    if (rc == 0 && errno != 0)
        rc = err_set(eb, ERR_IO, "list %s: %s", w->dir, strerror(errno));
    closedir(d);
    for (uint32_t i = 0; rc == 0 && i < n_tmp; i++) {
        char name[WAL_SEGMENT_NAME_BYTES + 4];
        wal__seg_name(name, tmp[i]);
        strcat(name, ".tmp");
        if (unlinkat(w->dirfd, name, 0) != 0 && errno != ENOENT)
            rc = err_set(eb, ERR_IO, "delete %s/%s: %s", w->dir, name, strerror(errno));
    }
    if (rc != 0) {
        free(v);
        return rc;
    }
    if (count > 0)
        qsort(v, count, sizeof v[0], wal_cmp_u64);
    *seqs = v;
    *n = count;
    return 0;
}

/* Applies one good record to the groups. 0, ERR_NOMEM, ERR_TOOBIG, or
 * ERR_CORRUPT with *why when the record contradicts the log before it. */
static int wal_replay_record(struct wal *w, uint64_t seq, uint64_t off, const struct wal_rec *r,
                             const char **why)
{
    struct wal_group *g = wal__group_find(w, r->group);
    switch (r->type) {
    case WAL_REC_ENTRY: {
        if (r->index == 0 || (g != NULL && r->index <= g->snap.index)) {
            *why = "entry index is not above the snapshot index";
            return ERR_CORRUPT;
        }
        int rc = wal__group_get(w, r->group, &g);
        if (rc != 0)
            return rc;
        /* Outside the entries we know, the ones before it were in deleted
         * segments (or are missing: checked at the end). */
        if (r->index <= g->base || r->index > wal__group_last(g) + 1)
            wal__group_reset(w, g, r->index - 1);
        *why = wal__entry_check(g, r->index, r->term);
        if (*why != NULL)
            return ERR_CORRUPT;
        struct wal_ent e = {
            .term = r->term, .seg = seq, .off = (uint32_t)off, .len = r->len, .type = r->etype};
        return wal__entry_put(w, g, r->index, &e);
    }
    case WAL_REC_HARD_STATE: {
        if (r->len != WAL_HARD_STATE_PAYLOAD_BYTES) {
            *why = "hard state payload has the wrong length";
            return ERR_CORRUPT;
        }
        struct raft_hard_state hs = {
            .term = r->term, .vote = codec_get_u64(r->payload), .commit = r->index};
        *why = wal__hard_state_check(g, &hs);
        if (*why != NULL)
            return ERR_CORRUPT;
        int rc = wal__group_get(w, r->group, &g);
        if (rc != 0)
            return rc;
        g->hs = hs;
        g->hs_seg = seq;
        return 0;
    }
    case WAL_REC_SNAPSHOT: {
        struct raft_snapshot_meta meta = {.index = r->index, .term = r->term};
        *why = wal__conf_decode(r->payload, r->len, &meta.conf);
        if (*why != NULL)
            return ERR_CORRUPT;
        bool keep = (r->flags & WAL_REC_FLAG_KEEP) != 0;
        if (meta.index == (g ? g->snap.index : 0)) {
            /* A new segment restating the snapshot the group already has. */
            if (meta.term != (g ? g->snap.term : 0)) {
                *why = "snapshot term changed at the same index";
                return ERR_CORRUPT;
            }
            int rc = wal__group_get(w, r->group, &g);
            if (rc != 0)
                return rc;
            g->snap.conf = meta.conf;
            g->snap_seg = seq;
            return 0;
        }
        bool stale;
        *why = wal__snapshot_check(g, &meta, &stale);
        if (*why != NULL)
            return ERR_CORRUPT;
        int rc = wal__group_get(w, r->group, &g);
        if (rc != 0)
            return rc;
        if (keep && meta.index > g->base && meta.index <= wal__group_last(g) &&
            wal__group_term_at(g, meta.index) != meta.term) {
            *why = "snapshot keeps entries after an entry of another term";
            return ERR_CORRUPT;
        }
        wal__snapshot_apply(w, g, &meta, keep);
        g->snap_seg = seq;
        return 0;
    }
    case WAL_REC_DROP:
        if (r->len != 0) {
            *why = "group drop record has a payload";
            return ERR_CORRUPT;
        }
        wal__group_remove(w, r->group);
        return 0;
    }
    *why = "unknown record type";
    return ERR_CORRUPT;
}

/* End of the last non-zero byte in [from, size), or from if all are zero. */
static uint64_t wal_nonzero_end(const uint8_t *p, uint64_t from, uint64_t size)
{
    uint64_t end = size;
    while (end > from && (end & 7) != 0 && p[end - 1] == 0)
        end--;
    while (end >= from + 8 && (end & 7) == 0) {
        uint64_t word;
        memcpy(&word, p + end - 8, 8);
        if (word != 0)
            break;
        end -= 8;
    }
    while (end > from && p[end - 1] == 0)
        end--;
    return end;
}

/* A bad record at off in the last segment: was anything after it written by
 * a later batch? Such a batch was written only once the batch holding off had
 * been synced, so then off held durable data and this is corruption. Valid
 * records of the same batch (batch_off <= off) prove nothing: a torn write
 * may keep any subset of its pages. Returns the offset of such a record, or 0. */
static uint64_t wal_later_record(const struct wal_scan *s, uint64_t off, uint64_t nz)
{
    for (uint64_t q = off + 1; q < nz && s->size - q >= WAL_RECORD_HEADER_BYTES; q++) {
        const uint8_t *h = s->p + q;
        uint8_t type = h[8];
        if (type < WAL_REC_ENTRY || type > WAL_REC_DROP || (h[10] & ~WAL_REC_FLAG_KEEP) != 0 ||
            h[11] != 0)
            continue;
        uint32_t batch_off = codec_get_u32(h + 12);
        if (batch_off <= off || batch_off > q)
            continue;
        struct wal_rec r;
        bool crc_ok;
        if (wal__rec_decode(h, s->size - q, q, s->seq, &r, &crc_ok) == NULL)
            return q;
    }
    return 0;
}

/* Replays segment s from its first record; *end is where its records end. */
static int wal_replay_records(struct wal *w, const struct wal_scan *s, uint64_t *end, bool *torn,
                              struct errbuf *eb)
{
    uint64_t off = WAL_SEGMENT_HEADER_BYTES;
    uint32_t batch_off = 0;
    const char *why;
    bool crc_ok;
    for (;;) {
        struct wal_rec r;
        why = wal__rec_decode(s->p + off, s->size - off, off, s->seq, &r, &crc_ok);
        if (why != NULL)
            break;
        if (r.batch_off < batch_off) {
            why = "record batch offset goes back";
            crc_ok = true;
            break;
        }
        batch_off = r.batch_off;
        const char *rwhy = NULL;
        int rc = wal_replay_record(w, s->seq, off, &r, &rwhy);
        if (rc == ERR_CORRUPT)
            return err_set(eb, rc,
                           "segment %s offset %" PRIu64 ": %s (group %" PRIu64 " index %" PRIu64
                           " term %" PRIu64 ", in %s)",
                           s->name, off, rwhy, r.group, r.index, r.term, w->dir);
        if (rc == ERR_TOOBIG)
            return err_set(eb, rc, "segment %s offset %" PRIu64 ": more than %u groups (in %s)",
                           s->name, off, WAL_GROUPS_MAX, w->dir);
        if (rc != 0)
            return err_set(eb, rc, "out of memory replaying the wal");
        off += WAL_RECORD_HEADER_BYTES + (uint64_t)r.len;
    }
    if (crc_ok)
        /* Written whole and wrong: no crash does that. */
        return err_set(eb, ERR_CORRUPT, "segment %s offset %" PRIu64 ": %s (in %s)", s->name, off,
                       why, w->dir);
    uint64_t nz = wal_nonzero_end(s->p, off, s->size);
    *end = off;
    *torn = false;
    if (nz == off)
        return 0; /* the preallocated zero tail */
    if (!s->last)
        return err_set(eb, ERR_CORRUPT,
                       "segment %s offset %" PRIu64
                       ": %s, in a segment that is not the last (in %s)",
                       s->name, off, why, w->dir);
    uint64_t later = wal_later_record(s, off, nz);
    if (later != 0)
        return err_set(eb, ERR_CORRUPT,
                       "segment %s offset %" PRIu64 ": %s, followed at offset %" PRIu64
                       " by a record written after it was synced (in %s)",
                       s->name, off, why, later, w->dir);
    LOGW("wal", "%s/%s: cutting a torn write at offset %" PRIu64 " (%s; %" PRIu64 " bytes)", w->dir,
         s->name, off, why, nz - off);
    w->stats.torn_bytes_cut = nz - off;
    *torn = true;
    return 0;
}

/* Opens, checks and replays segment seq. prev_end is where the previous
 * segment's records ended (have_prev). On success the fd is in w->segs. */
static int wal_replay_segment(struct wal *w, uint64_t seq, bool last, bool have_prev,
                              uint64_t prev_end, uint64_t *end, bool *torn, uint64_t *size,
                              struct errbuf *eb)
{
    struct wal_scan s = {.seq = seq, .last = last};
    wal__seg_name(s.name, seq);
    int fd = openat(w->dirfd, s.name, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return err_set(eb, ERR_IO, "open segment %s/%s: %s", w->dir, s.name, strerror(errno));
    int rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = err_set(eb, ERR_IO, "stat segment %s/%s: %s", w->dir, s.name, strerror(errno));
        goto err_after_open;
    }
    s.size = (uint64_t)st.st_size;
    *size = s.size;
    if (s.size < WAL_SEGMENT_HEADER_BYTES || s.size > WAL_SEGMENT_FILE_BYTES_MAX) {
        rc = err_set(eb, ERR_CORRUPT,
                     "segment %s offset 0: file is %" PRIu64 " bytes, not a segment (in %s)",
                     s.name, s.size, w->dir);
        goto err_after_open;
    }
    void *map = mmap(NULL, s.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = err_set(eb, ERR_IO, "map segment %s/%s: %s", w->dir, s.name, strerror(errno));
        goto err_after_open;
    }
    s.p = map;
    uint64_t hseq, hprev;
    const char *why = wal__seg_header_decode(s.p, s.size, &hseq, &hprev);
    if (why == NULL && hseq != seq)
        why = "header names another sequence number";
    if (why != NULL) {
        rc = err_set(eb, ERR_CORRUPT, "segment %s offset 0: %s (in %s)", s.name, why, w->dir);
        goto err_after_map;
    }
    if (have_prev && hprev != prev_end) {
        char prev[WAL_SEGMENT_NAME_BYTES];
        wal__seg_name(prev, seq - 1);
        rc = err_set(eb, ERR_CORRUPT,
                     "segment %s offset %" PRIu64
                     ": records end here, but %s says they end at %" PRIu64 " (in %s)",
                     prev, prev_end, s.name, hprev, w->dir);
        goto err_after_map;
    }
    rc = wal_replay_records(w, &s, end, torn, eb);
    if (rc != 0)
        goto err_after_map;
    munmap(map, s.size);
    rc = wal__segs_push(w, seq, fd);
    if (rc != 0) {
        close(fd);
        return err_set(eb, rc, "out of memory");
    }
    return 0;

err_after_map:
    munmap(map, s.size);
err_after_open:
    close(fd);
    return rc;
}

/* Zeroes the last segment from end on and restores its preallocation, so
 * new records are never followed by leftovers of a torn write; and writes
 * zeros ahead of end (WAL_ZERO_AHEAD_BYTES). */
static int wal_repair_tail(struct wal *w, uint64_t end, bool torn, uint64_t size, struct errbuf *eb)
{
    const struct wal_seg *s = &w->segs[w->n_segs - 1];
    char name[WAL_SEGMENT_NAME_BYTES];
    wal__seg_name(name, s->seq);
    if (torn && ftruncate(s->fd, (off_t)end) != 0)
        return err_set(eb, ERR_IO, "truncate segment %s/%s: %s", w->dir, name, strerror(errno));
    int e = torn || size < w->opt.segment_bytes
                ? posix_fallocate(s->fd, 0, (off_t)w->opt.segment_bytes)
                : 0;
    if (e != 0)
        return err_set(eb, ERR_IO, "preallocate segment %s/%s: %s", w->dir, name, strerror(e));
    uint64_t ahead = (end / WAL_ZERO_AHEAD_BYTES + 2) * WAL_ZERO_AHEAD_BYTES;
    if (wal__zero_range(s->fd, end, ahead, w->opt.segment_bytes) != 0)
        return err_set(eb, ERR_IO, "write zeros in segment %s/%s: %s", w->dir, name,
                       strerror(errno));
    if (fdatasync(s->fd) != 0)
        return err_set(eb, ERR_IO, "sync segment %s/%s: %s", w->dir, name, strerror(errno));
    return 0;
}

int wal__recover(struct wal *w, struct errbuf *eb)
{
    uint64_t *seqs;
    uint32_t n;
    int rc = wal_list(w, &seqs, &n, eb);
    if (rc != 0)
        return rc;
    uint64_t end = 0, size = 0;
    bool torn = false;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && seqs[i] != seqs[i - 1] + 1) {
            char a[WAL_SEGMENT_NAME_BYTES], b[WAL_SEGMENT_NAME_BYTES];
            wal__seg_name(a, seqs[i - 1]);
            wal__seg_name(b, seqs[i]);
            rc = err_set(eb, ERR_CORRUPT, "segments are missing between %s and %s (in %s)", a, b,
                         w->dir);
            goto out;
        }
        rc = wal_replay_segment(w, seqs[i], i + 1 == n, i > 0, end, &end, &torn, &size, eb);
        if (rc != 0)
            goto out;
    }
    /* A stretch of a log still unknown was in a segment that is gone. */
    for (uint32_t i = 0; i < w->n_groups; i++) {
        const struct wal_group *g = w->groups[i];
        if (g->base != g->snap.index) {
            rc =
                err_set(eb, ERR_CORRUPT,
                        "group %" PRIu64 ": entries %" PRIu64 "..%" PRIu64
                        " are missing: their segments are gone but no snapshot covers them (in %s)",
                        g->id, g->snap.index + 1, g->base, w->dir);
            goto out;
        }
    }
    if (n == 0) {
        int fd;
        rc = wal__seg_create(w->dirfd, 1, 0, w->opt.segment_bytes, &fd, eb);
        if (rc != 0)
            goto out;
        rc = wal__segs_push(w, 1, fd);
        if (rc != 0) {
            close(fd);
            rc = err_set(eb, rc, "out of memory");
            goto out;
        }
        w->stats.segments_created++;
        end = WAL_SEGMENT_HEADER_BYTES;
    } else {
        rc = wal_repair_tail(w, end, torn, size, eb);
        if (rc != 0)
            goto out;
    }
    w->tail_seg = w->durable_seg = w->segs[w->n_segs - 1].seq;
    w->tail_off = w->durable_off = end;
    /* Everything replayed is durable: obsolete segments can go now. */
    uint64_t keep = wal__keep_from(w);
    while (w->n_segs > 1 && w->segs[0].seq < keep) {
        rc = wal__unlink_seg(w->dirfd, w->segs[0].seq, eb);
        if (rc != 0)
            goto out;
        close(w->segs[0].fd);
        memmove(w->segs, &w->segs[1], (w->n_segs - 1) * sizeof w->segs[0]);
        w->n_segs--;
        w->stats.segments_deleted++;
    }
    w->keep_dirty = false;
out:
    free(seqs);
    return rc;
}
