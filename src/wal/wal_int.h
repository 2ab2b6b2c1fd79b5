/* Internals of the write-ahead log shared by its source files: the on-disk
 * layout, the in-memory index of every group, and the batch a flush writes. */
#ifndef CAIRN_WAL_INT_H
#define CAIRN_WAL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "wal/wal.h"

/* Segment header (WAL_SEGMENT_HEADER_BYTES, little-endian):
 *    0  magic "CAIRNWAL"
 *    8  u32 format version
 *   12  u32 crc32c of bytes [0, 12) and [16, 40)
 *   16  u64 sequence number (also the file name)
 *   24  u64 prev_end: where the records of segment seq-1 end (0 for seq 1)
 *   32  u64 segment_bytes it was preallocated to (informational)
 *
 * Record (WAL_RECORD_HEADER_BYTES + len):
 *    0  u32 crc32c, seeded with the segment's sequence number, of [4, 40+len)
 *    4  u32 len of the payload
 *    8  u8  type (enum wal_rec_type)
 *    9  u8  raft entry type (ENTRY), else 0
 *   10  u16 flags: WAL_REC_FLAG_KEEP on a SNAPSHOT; else 0
 *   12  u32 batch_off: offset in this segment where the write batch that
 *           carried this record began (recovery's proof of what was synced)
 *   16  u64 group, 24 u64 term, 32 u64 index
 *   40  payload: ENTRY the data; HARD_STATE u64 vote (term and commit are in
 *       term and index); SNAPSHOT u32 n_voters, u32 n_learners, then the
 *       u64 ids (term and index in the header); DROP nothing.
 *
 * A SNAPSHOT record says whether the entries after its index were kept (the
 * log had its entry, KEEP) or all dropped: replay must not work that out from
 * entries it may no longer have. */
#define WAL_SEGMENT_MAGIC              "CAIRNWAL"
#define WAL_FORMAT_VERSION             1u
#define WAL_HARD_STATE_PAYLOAD_BYTES   8u
#define WAL_SNAPSHOT_PAYLOAD_BYTES_MAX (8u + 8u * (RAFT_VOTERS_MAX + RAFT_MEMBERS_MAX))
#define WAL_RECORD_PAYLOAD_BYTES_MAX   WAL_ENTRY_BYTES_MAX
/* A segment grows past segment_bytes only by the group states and one record
 * after a roll, so this is far above anything wal writes; it keeps offsets in
 * 32 bits and bounds what recovery maps. */
#define WAL_SEGMENT_FILE_BYTES_MAX (UINT64_C(1) << 31)
#define WAL_SEGMENTS_MAX           1000000u /* files in the directory */

#define WAL_REC_FLAG_KEEP 1u

enum wal_rec_type {
    WAL_REC_ENTRY = 1,
    WAL_REC_HARD_STATE = 2,
    WAL_REC_SNAPSHOT = 3,
    WAL_REC_DROP = 4,
};

struct wal_rec {
    uint32_t len;
    uint8_t type;
    uint8_t etype;
    uint16_t flags;
    uint32_t batch_off;
    uint64_t group;
    uint64_t term;
    uint64_t index;
    const uint8_t *payload; /* len bytes */
};

/* One live entry of a group: where its record is, and its data if cached. */
struct wal_ent {
    uint64_t term;
    uint64_t seg;
    uint8_t *data; /* cached copy (owned), or NULL: read it back from seg */
    uint32_t off;  /* record offset in seg */
    uint32_t len;
    uint8_t type;
};

/* Cached entry data lives after this header, which links the block into a
 * group's deferred list when it is dropped while a reader may hold it: so a
 * deferral never needs memory. */
struct wal_cache_block {
    struct wal_cache_block *next;
    uint64_t len;
    _Alignas(16) uint8_t data[];
};

/* Bump allocator for entries read back from disk; freed at wal_release. */
struct wal_arena_block {
    struct wal_arena_block *next;
    size_t used, cap;
    uint8_t data[];
};

struct wal_group {
    uint64_t id;
    struct raft_hard_state hs;
    struct raft_snapshot_meta snap;
    /* Segments holding the latest HARD_STATE / SNAPSHOT record (0: none).
     * Older segments are not needed for them. */
    uint64_t hs_seg, snap_seg;
    /* Entries base+1 .. base+n_ents at ents[head ..]. base == snap.index,
     * except while replaying: once older segments are deleted, a kept one can
     * hold entries (dead by then) whose predecessors are gone. Entries
     * (snap.index, base] are then unknown, until a later record covers them;
     * recovery fails if one is still unknown at the end. */
    uint64_t base;
    struct wal_ent *ents;
    uint64_t head, n_ents, cap_ents;
    /* Pointers handed out by wal_entries since the last wal_release. */
    bool reads_out;
    struct wal_arena_block *scratch;
    struct wal_cache_block *deferred; /* cache data dropped meanwhile */
};

struct wal_seg {
    uint64_t seq;
    int fd;
};

/* The bytes a batch writes into one segment. */
struct wal_piece {
    uint64_t seg;
    uint64_t off;      /* file offset of bytes.data[0] */
    bool create;       /* the segment file does not exist yet */
    uint64_t prev_end; /* for its header, if create */
    int fd;            /* set at flush_begin, or by flush_write if create */
    struct buf bytes;
};

struct wal_batch {
    /* Written by the loop thread before flush_write, read-only there. */
    int dirfd;
    uint64_t segment_bytes;
    struct wal_piece *pieces;
    uint32_t n_pieces, cap_pieces;
    uint64_t *unlink_seqs; /* obsolete segments to delete, ascending */
    uint32_t n_unlink, cap_unlink;
    uint64_t end_seg, end_off; /* the tail once this batch is durable */
    uint64_t keep_from;        /* segments below it are obsolete once it is */
    /* Results of flush_write. */
    int rc;
    uint32_t syncs;
    uint32_t created, unlinked;
    uint64_t bytes;
    uint64_t sync_ns;
    struct errbuf eb;
};

struct wal_cache_ref {
    uint64_t group;
    uint64_t index;
    uint64_t seg;
    uint32_t off;
};

struct wal {
    char *dir;
    int dirfd;
    int lockfd;
    struct wal_options opt;

    struct wal_group **groups; /* sorted by id */
    uint32_t n_groups, cap_groups;

    struct wal_seg *segs; /* open segment files, consecutive seqs, ascending */
    uint32_t n_segs, cap_segs;

    uint64_t tail_seg, tail_off;       /* where the next record goes */
    uint64_t durable_seg, durable_off; /* everything before is synced */
    bool keep_dirty;                   /* something may have made segments obsolete */

    struct wal_batch *pending; /* filled by appends */
    struct wal_batch *inflight;
    struct wal_batch *spare;

    /* Cached entries in write order, oldest first, to evict the oldest durable
     * ones; refs to entries dropped since are skipped lazily. */
    struct wal_cache_ref *fifo;
    uint64_t fifo_head, fifo_n, fifo_cap;
    uint64_t cache_bytes, cache_n;

    struct wal_stats stats;
    int failed; /* 0, or the sticky error */
    char failed_msg[ERRBUF_SIZE];
};

/* wal_format.c */
void wal__seg_header_encode(uint8_t *out, uint64_t seq, uint64_t prev_end, uint64_t seg_bytes);
/* NULL if p[0..n) starts with a valid header, else why not. */
const char *wal__seg_header_decode(const uint8_t *p, uint64_t n, uint64_t *seq, uint64_t *prev_end);
/* Encodes r (payload r->len bytes) at out, which has room; returns its size. */
uint64_t wal__rec_encode(uint8_t *out, uint64_t seq, const struct wal_rec *r);
/* Decodes the record at p (avail bytes from there to the end of the file),
 * found at offset off of segment seq. NULL if valid, else why not; *crc_ok
 * tells a record that was written wrong from one that was not (fully) written. */
const char *wal__rec_decode(const uint8_t *p, uint64_t avail, uint64_t off, uint64_t seq,
                            struct wal_rec *r, bool *crc_ok);
uint32_t wal__conf_encoded_len(const struct raft_conf *c);
void wal__conf_encode(uint8_t *out, const struct raft_conf *c);
/* NULL if p[0..len) is a valid configuration, else why not. */
const char *wal__conf_decode(const uint8_t *p, uint32_t len, struct raft_conf *c);
/* NULL if c is within the raft.h bounds, else why not. */
const char *wal__conf_check(const struct raft_conf *c);
void wal__seg_name(char out[WAL_SEGMENT_NAME_BYTES], uint64_t seq);

/* wal.c: groups and the rules both appends and recovery follow. */
struct wal_group *wal__group_find(const struct wal *w, uint64_t id);
int wal__group_get(struct wal *w, uint64_t id, struct wal_group **out);
void wal__group_remove(struct wal *w, uint64_t id);
uint64_t wal__group_last(const struct wal_group *g);
struct wal_ent *wal__group_ent(const struct wal_group *g, uint64_t index);
/* NULL if an entry (index, term) may follow g's log, else why not. */
const char *wal__entry_check(const struct wal_group *g, uint64_t index, uint64_t term);
/* Term at index, for snap.index <= index <= last and index not unknown. */
uint64_t wal__group_term_at(const struct wal_group *g, uint64_t index);
/* Drops every entry and makes index the one before the (empty) log. */
void wal__group_reset(struct wal *w, struct wal_group *g, uint64_t index);
/* Puts e at index, dropping entries >= index first. ERR_NOMEM. */
int wal__entry_put(struct wal *w, struct wal_group *g, uint64_t index, const struct wal_ent *e);
const char *wal__hard_state_check(const struct wal_group *g, const struct raft_hard_state *hs);
/* NULL if meta may be recorded for g, else why not (*stale for an old index). */
const char *wal__snapshot_check(const struct wal_group *g, const struct raft_snapshot_meta *meta,
                                bool *stale);
/* Raft §7: does g's log hold meta's last entry (so the entries after stay)? */
bool wal__snapshot_keeps(const struct wal_group *g, const struct raft_snapshot_meta *meta);
/* Records meta as g's snapshot: with keep, entries up to meta->index go and
 * later ones stay; without, all go. */
void wal__snapshot_apply(struct wal *w, struct wal_group *g, const struct raft_snapshot_meta *meta,
                         bool keep);
/* The first segment something still needs. */
uint64_t wal__keep_from(const struct wal *w);
int wal__segs_push(struct wal *w, uint64_t seq, int fd);
/* Creates segment seq (via a temporary name, synced with its directory) and
 * returns its fd. ERR_IO. */
int wal__seg_create(int dirfd, uint64_t seq, uint64_t prev_end, uint64_t seg_bytes, int *fd,
                    struct errbuf *eb);
int wal__unlink_seg(int dirfd, uint64_t seq, struct errbuf *eb);
/* Segments are preallocated (posix_fallocate), but a write into space that was never written
 * makes its fdatasync record the extent as written too, a journal commit of its own: on ext4
 * here ~200 µs per write + sync against ~130 µs over written space. So the space just past the
 * log's end is kept written with zeros, in chunks of WAL_ZERO_AHEAD_BYTES: the chunk holding
 * the end and the next one. Zeros read as the end of the log, as unwritten space does. */
#define WAL_ZERO_AHEAD_BYTES (UINT64_C(1) << 20)
/* Writes zeros over [from, to) of a segment of seg_bytes (clamped to it). ERR_IO. */
int wal__zero_range(int fd, uint64_t from, uint64_t to, uint64_t seg_bytes);

/* wal_recover.c */
int wal__recover(struct wal *w, struct errbuf *eb);

/* wal_read.c: the entry cache and deferred frees. */
/* A copy of data[0..len) for the cache, or NULL (len > 0). */
uint8_t *wal__cache_copy(const void *data, uint32_t len);
void wal__cache_free(uint8_t *data);
/* Accounts a freshly cached entry and queues it for eviction. ERR_NOMEM. */
int wal__cache_add(struct wal *w, uint64_t group, uint64_t index, const struct wal_ent *e);
void wal__cache_evict(struct wal *w);
/* Frees (or defers, while g has reads out) e's cached data. */
void wal__ent_drop_data(struct wal *w, struct wal_group *g, struct wal_ent *e);
void wal__group_release(struct wal_group *g);

#endif
