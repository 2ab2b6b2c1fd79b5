/* Write-ahead log: the durable Raft log of every group on a node, kept in
 * append-only, preallocated segment files and synced with group commit.
 *
 * One WAL holds the records of many Raft groups. Every record carries its
 * length, a CRC32C, its type, the group id, a term and an index:
 *
 *   ENTRY       a raft_entry. Appending index i for a group drops that group's
 *               entries >= i first (truncation is implicit).
 *   HARD_STATE  term, vote, commit.
 *   SNAPSHOT    snapshot metadata: the group's log now starts after its index.
 *   DROP        the group is gone (its replica moved away).
 *
 * Segments are named WAL_SEGMENT_NAME_FMT (a sequence number), preallocated to
 * wal_options.segment_bytes and never reused. Each new segment begins with the
 * hard state and snapshot of every group, so an old segment is deleted once no
 * group needs an entry or a state record in it.
 *
 * Recovery (wal_open) replays the segments in order:
 *   - the zero bytes after the last record (the preallocated tail) are the end;
 *   - a bad record at the tail of the LAST segment that nothing synced later
 *     follows is a torn write: it is cut off (the file is zeroed from there) and
 *     appends continue after the last good record;
 *   - anything else is ERR_CORRUPT, with the file and byte offset in the
 *     errbuf: a bad record in a segment that is not the last, non-zero bytes
 *     after its last record, a missing segment, a record that contradicts the
 *     log (an index gap, a term going back), or a bad record followed by a
 *     record that was written after it had been synced.
 *   "Synced later" is exact: every record stores the offset at which its write
 *   batch began, and a batch is written only after the previous one was synced.
 *   Inside the one batch that was being written at the crash, the disk may have
 *   kept any subset of its pages, so valid records after a bad one in that same
 *   batch are not proof of corruption; that batch was never acknowledged.
 *
 * Threads: a wal is used from one thread (the event loop), except for
 * wal_flush_write, which may run on another thread at the same time as any
 * other wal call on the loop thread (it touches only the batch and its fds).
 * At most one batch is in flight; appends made meanwhile go out together in
 * the next batch (group commit).
 *
 * Errors: functions return 0 or a negative ERR_* code (base/err.h) and put the
 * detail in the errbuf when one is passed (it may be NULL). After a failed
 * write or sync (ERR_IO), or running out of memory while appending (ERR_NOMEM),
 * the wal is failed: every later append and flush returns that error, because
 * what is durable is no longer known (after a failed fsync the kernel may have
 * dropped the dirty pages). Close it and open it again to recover from disk. */
#ifndef CAIRN_WAL_H
#define CAIRN_WAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "raft/raft.h"

/* Bounds and defaults. */
#define WAL_SEGMENT_BYTES_DEFAULT (UINT64_C(64) << 20)
#define WAL_SEGMENT_BYTES_MIN     UINT64_C(512)
#define WAL_SEGMENT_BYTES_MAX     (UINT64_C(1) << 30)
#define WAL_CACHE_BYTES_DEFAULT   (UINT64_C(32) << 20)
#define WAL_ENTRY_BYTES_MAX       (UINT32_C(16) << 20) /* data of one entry */
#define WAL_GROUPS_MAX            16384u               /* groups in one wal */

/* On-disk layout, part of the contract so tools and tests can find records. */
#define WAL_SEGMENT_HEADER_BYTES 40
#define WAL_RECORD_HEADER_BYTES  40
#define WAL_SEGMENT_NAME_FMT     "%016" PRIx64 ".wal"
#define WAL_SEGMENT_NAME_BYTES   21 /* 16 hex digits, ".wal", NUL */

struct wal_options {
    uint64_t segment_bytes; /* preallocated size of a segment file */
    uint64_t cache_bytes;   /* entry data kept in memory once durable */
};

/* Fills in the defaults: 64 MiB segments, a 32 MiB entry cache. */
void wal_options_default(struct wal_options *o);

struct wal;

/* Opens (creating it if needed: the parent must exist) the wal in directory
 * dir, takes an exclusive lock on it and recovers every group's state. With
 * opt NULL the defaults apply. *out is owned by the caller (wal_close).
 * Returns 0; ERR_INVAL for bad options; ERR_BUSY if another wal has dir open;
 * ERR_CORRUPT (file and offset in eb) as described above; ERR_IO; ERR_NOMEM;
 * ERR_TOOBIG if the log holds more than WAL_GROUPS_MAX groups. */
int wal_open(const char *dir, const struct wal_options *opt, struct wal **out, struct errbuf *eb);

/* Closes the files and frees everything. Appends not yet flushed are lost, as
 * in a crash: call wal_sync first to keep them. No batch may be in flight. */
void wal_close(struct wal *w);

/* ---- State of the groups (as recovered, plus every append since) ---- */

struct wal_group_info {
    uint64_t group;
    struct raft_hard_state hs;
    struct raft_snapshot_meta snap; /* index 0, term 0 if none */
    uint64_t first_index;           /* snap.index + 1 */
    uint64_t last_index;            /* snap.index if the log is empty */
};

uint32_t wal_group_count(const struct wal *w);
/* Copies the ids of up to cap groups, ascending, into ids; returns how many
 * groups there are (which may exceed cap). */
uint32_t wal_group_ids(const struct wal *w, uint64_t *ids, uint32_t cap);
/* ERR_NOTFOUND if the wal holds nothing for group. */
int wal_group_info(const struct wal *w, uint64_t group, struct wal_group_info *out);

/* ---- Appends: in memory only until flushed; cheap; loop thread ---- */

/* Appends e[0..n) to group's log (creating the group on first use), after
 * dropping the group's entries >= e[0].index. Data is copied. Indexes must be
 * consecutive, with snapshot index < e[0].index <= last index + 1, and terms
 * must not go down (from the entry before e[0] on). ERR_INVAL if they do;
 * ERR_TOOBIG for an entry over WAL_ENTRY_BYTES_MAX or one group too many. */
int wal_append_entries(struct wal *w, uint64_t group, const struct raft_entry *e, uint32_t n,
                       struct errbuf *eb);
/* Records group's hard state (nothing is written if it is unchanged).
 * ERR_INVAL if the term goes down. */
int wal_set_hard_state(struct wal *w, uint64_t group, const struct raft_hard_state *hs,
                       struct errbuf *eb);
/* Records a snapshot of group at meta->index. As in Raft's InstallSnapshot: if
 * the log holds the entry at meta->index with meta->term, the entries after it
 * are kept and those up to it are compacted (local compaction always takes
 * this path); otherwise the whole log goes (a leader's snapshot that does not
 * match). The record says which, so replay never guesses. Segments whose
 * entries are all compacted are deleted by a later flush. ERR_STALE if
 * meta->index is not above the current snapshot's; ERR_INVAL for index 0, a
 * term below the current snapshot's, or a configuration over the raft.h
 * bounds. */
int wal_set_snapshot(struct wal *w, uint64_t group, const struct raft_snapshot_meta *meta,
                     struct errbuf *eb);
/* Forgets group entirely (its data pointers from wal_entries become invalid).
 * Does nothing if it is unknown. */
int wal_drop_group(struct wal *w, uint64_t group, struct errbuf *eb);

/* ---- Group commit ---- */

struct wal_batch;

/* Takes every pending append into a batch for wal_flush_write. *out is NULL if
 * there is nothing to do. ERR_BUSY if a batch is still in flight (the pending
 * appends stay pending); ERR_NOMEM; or the error that failed the wal. The
 * batch belongs to the wal; hand it back with wal_flush_end. */
int wal_flush_begin(struct wal *w, struct wal_batch **out);
/* Writes the batch (one write per segment touched, normally one) and
 * fdatasyncs it; creates the new segments a roll needs, and unlinks the
 * segments an earlier batch made obsolete. Safe on a worker thread while the
 * loop thread keeps using the wal. Returns 0 or ERR_IO. */
int wal_flush_write(struct wal_batch *b);
/* Back on the loop thread, with rc from wal_flush_write: on 0 the batch's
 * appends are durable; otherwise the wal is failed (see above). Returns rc,
 * with the worker's message in eb. */
int wal_flush_end(struct wal *w, struct wal_batch *b, int rc, struct errbuf *eb);
/* All three on the calling thread, until nothing is pending. ERR_BUSY if a
 * batch is in flight. */
int wal_sync(struct wal *w, struct errbuf *eb);

/* ---- Reads (they see every append, durable or not) ---- */

/* An unknown group reads as empty: first 1, last 0, term(0) = 0. */
uint64_t wal_first_index(const struct wal *w, uint64_t group);
uint64_t wal_last_index(const struct wal *w, uint64_t group);
/* Term of the entry at index, for first_index - 1 <= index <= last_index.
 * ERR_COMPACTED below that range, ERR_UNAVAILABLE above. */
int wal_term(const struct wal *w, uint64_t group, uint64_t index, uint64_t *term);
int wal_snapshot_meta(const struct wal *w, uint64_t group, struct raft_snapshot_meta *meta);
/* Entries [lo, hi) of group into out (room for hi - lo). Entries are taken
 * while their data totals at most max_bytes, but always at least one; *n is
 * the count. Recent entries come from the in-memory cache, older ones are read
 * back from their segment (and checked). Data pointers stay valid until
 * wal_release(w, group) or wal_drop_group; the wal defers freeing anything it
 * handed out until then. lo == hi gives *n = 0. ERR_COMPACTED if lo <
 * first_index; ERR_UNAVAILABLE if hi > last_index + 1; ERR_INVAL if lo > hi;
 * ERR_CORRUPT or ERR_IO if a record read back is bad. */
int wal_entries(struct wal *w, uint64_t group, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                struct raft_entry *out, uint32_t *n, struct errbuf *eb);
/* Ends the lifetime of every pointer wal_entries handed out for group. */
void wal_release(struct wal *w, uint64_t group);

/* A raft_storage for one group. ws is the ctx: the caller owns it and keeps it
 * (and w) alive as long as the raft using *st; call wal_release(w, group)
 * after each raft_advance. Errors from disk reads are logged. */
struct wal_storage {
    struct wal *w;
    uint64_t group;
};
void wal_storage_init(struct wal_storage *ws, struct wal *w, uint64_t group,
                      struct raft_storage *st);

/* ---- Metrics ---- */

struct wal_stats {
    uint64_t flushes;          /* batches written */
    uint64_t syncs;            /* fdatasync calls on segment files */
    uint64_t bytes_written;    /* record bytes written */
    uint64_t records_appended; /* records of every type */
    uint64_t entries_appended;
    uint64_t sync_ns_last; /* write + fdatasync time of the last batch */
    uint64_t sync_ns_max;
    uint64_t sync_ns_total; /* over all batches: average = total / flushes */
    uint64_t pending_bytes; /* appended, not yet in a batch */
    uint64_t segments;      /* segment files now */
    uint64_t segments_created;
    uint64_t segments_deleted;
    uint64_t cache_bytes; /* entry data held in memory */
    uint64_t cache_entries;
    uint64_t entries_read_disk; /* served by pread rather than the cache */
    uint64_t torn_bytes_cut;    /* by recovery at open */
};
void wal_get_stats(const struct wal *w, struct wal_stats *out);

/* Where the next record goes: segment sequence number and byte offset. */
void wal_tail(const struct wal *w, uint64_t *seg, uint64_t *off);

#endif
