/* The state store: one SQLite database per replicated group holding every
 * model's rows and the group's applied index, changed only by applying
 * committed Raft entries in order, plus streamed snapshots to catch up a replica.
 *
 * Determinism. store_apply is a pure function of (database, entries): it reads
 * no clock and no randomness, so every replica that applies the same log ends
 * in the same state. A kv version is the index of the entry that wrote it.
 *
 * Durability. The database runs in WAL mode with synchronous=NORMAL by default:
 * a commit reaches the OS but is fsynced only at SQLite checkpoints, because
 * the Raft log is the durable record. After a power loss the store may be
 * behind the log and replays it. So the node may compact its Raft log only up
 * to the index store_checkpoint reports as durable.
 *
 * Threading. A store handle (and every statement it caches) is used by one
 * thread at a time. Reads for other threads go through handles from
 * store_open_reader, each with its own connection; a snapshot has its own
 * connection too and may run on another thread while apply continues.
 *
 * Errors: functions return 0 or a negative ERR_* code from base/err.h, with
 * detail in the errbuf (which may be NULL). SQLite failures map to ERR_IO
 * (disk, full, cannot open), ERR_CORRUPT (damaged file), ERR_NOMEM, ERR_BUSY. */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "raft/raft.h"

/* On-disk layout of the database; a store of another version is refused. */
#define STORE_FORMAT_VERSION 1

#define STORE_BUCKET_COUNT_DEFAULT 3000
#define STORE_BUCKET_COUNT_MAX     1000000

/* Snapshot chunks: the whole chunk (header, payload, checksum) is within these. */
#define STORE_SNAPSHOT_CHUNK_BYTES_MIN     64
#define STORE_SNAPSHOT_CHUNK_BYTES_DEFAULT (1024 * 1024)
#define STORE_SNAPSHOT_CHUNK_BYTES_MAX     (16 * 1024 * 1024)
/* One encoded row in the snapshot stream; rows span chunks, so a receiver
 * buffers at most this much besides one chunk. */
#define STORE_SNAPSHOT_ROW_BYTES_MAX (16 * 1024 * 1024)
#define STORE_SNAPSHOT_HEADER_BYTES  40
#define STORE_SNAPSHOT_TRAILER_BYTES 4

/* The first byte of every NORMAL entry names the model whose apply function
 * receives it. Values are part of the log format: never renumber. Only the
 * models registered in store.c exist; an entry for another tag stops apply with
 * ERR_UNSUPPORTED (a newer leader's command an older replica cannot run). */
enum store_model_tag {
    STORE_MODEL_KV = 1,
    STORE_MODEL_TABLE = 2,   /* SQL tables (src/model/table) */
    STORE_MODEL_STREAM = 3,  /* reserved */
    STORE_MODEL_LEDGER = 4,  /* reserved */
    STORE_MODEL_BLOB = 5,    /* reserved */
    STORE_MODEL_CLUSTER = 6, /* the governor's catalog (src/model/cluster) */
};

struct store_opts {
    /* Identity, recorded when the database is created. On reopen a nonzero
     * value that differs from the recorded one is refused (ERR_INVAL): it
     * catches opening another group's file. */
    uint64_t cluster_id;
    uint64_t group_id;
    /* Buckets of the cluster (kv_bucket's modulus), fixed at creation; 0 means
     * STORE_BUCKET_COUNT_DEFAULT on creation and "whatever is recorded" on
     * reopen. */
    uint32_t bucket_count;
    /* synchronous=FULL: every applied batch is fsynced (slower; then the
     * durable index is always the applied index). */
    bool sync_full;
    /* SQLite's automatic checkpoints (which copy the WAL back into the
     * database on the applying thread, up to 64 MiB at a time) are off: the
     * owner runs store_checkpoint_background on another thread instead. */
    bool background_checkpoint;
};

/* All zeros: a new store gets the default bucket count and no identity; a
 * reopened one is taken as recorded. */
void store_opts_default(struct store_opts *o);

/* What applying one entry did, for the client waiting on it. */
struct store_result {
    uint64_t index;           /* the entry's index */
    int status;               /* 0, or ERR_CONDITION: a condition failed and nothing changed */
    bool skipped;             /* index <= applied index before the call: not applied again,
                                 every other field is zero */
    uint8_t model;            /* NORMAL entries: the model tag; 0 for NOOP and CONF */
    bool existed;             /* kv PUT/DELETE: the key existed before the command */
    uint64_t version;         /* status 0, kv: the version written (== index) */
    uint32_t failed_op;       /* ERR_CONDITION: index of the failing op in a batch (0 if single) */
    uint64_t current_version; /* ERR_CONDITION: the failing key's version now, 0 if absent */
    /* Model output for the client (table: rows, SQLSTATE), malloc'd by the
     * model or NULL; freed by store_results_free. */
    uint8_t *output;
    uint32_t output_len;
};

/* Frees the outputs of n results (the results themselves are the caller's). */
void store_results_free(struct store_result *res, uint32_t n);

struct store;

/* Opens the database at path, creating it (tables, metadata) if absent, in
 * WAL mode. *out is owned by the caller until store_close. Returns 0, ERR_IO,
 * ERR_CORRUPT, ERR_NOMEM, ERR_INVAL (identity mismatch, bad options),
 * ERR_UNSUPPORTED (another STORE_FORMAT_VERSION). */
int store_open(const char *path, const struct store_opts *opts, struct store **out,
               struct errbuf *eb);
/* Opens another, read-only connection to s's database for reads on another
 * thread (kv_get, kv_list, store_meta_get). It sees each committed batch as a
 * whole. It may outlive s. Errors as store_open. */
int store_open_reader(const struct store *s, struct store **out, struct errbuf *eb);
/* Closes the connection and frees s (NULL is fine). Nothing is lost: every
 * applied batch was committed. */
void store_close(struct store *s);

/* A model may keep a transaction open on the connection between its calls (the table model
 * keeps a client transaction's tentative statements, so the next one need not replay them):
 * holder->release(arg) must roll it back, and is called once, before anything else uses the
 * connection — every store function and store_db/store_stmt call store_release first. A holder
 * continuing its own transaction takes it back with store_hold(s, NULL, NULL) (no release) and
 * holds again after.
 *
 * holder->keep (may be NULL) is asked by store_apply first, with the first entry it is to
 * apply: true when the transaction held is exactly what applying that entry would write (its
 * statements, run on this same state). The entry is then applied inside that transaction
 * instead of after rolling it back — nothing runs twice — and the model's apply learns it from
 * its own state, which keep set. */
struct store_holder {
    void (*release)(void *arg);
    bool (*keep)(void *arg, const struct raft_entry *e);
};
void store_hold(struct store *s, const struct store_holder *holder, void *arg);
void store_release(struct store *s);
/* How many entries this connection applied in the transaction their holder held. */
uint64_t store_kept_total(const struct store *s);

/* The connection's epoch, for what a model reads often and changes seldom (the bucket
 * states): while it is unchanged so is what was read. It changes when such a value is
 * written (the writer calls store_epoch_bump) and at every rollback that may undo a write:
 * whoever rolls back on the connection (ROLLBACK, ROLLBACK TO) calls store_rollback_note
 * first. 0 on a reader, which sees the writer's commits without knowing of them: keep
 * nothing. */
uint64_t store_epoch(const struct store *s);
void store_epoch_bump(struct store *s);
/* Before a rollback: changes the epoch if the transaction has written. */
void store_rollback_note(struct store *s);

/* The index of the last applied entry and its term; 0 for a new store (which
 * stands for the bootstrap snapshot's empty state). On a reader: as of open;
 * use store_meta_get for the current value. */
uint64_t store_applied_index(const struct store *s);
uint64_t store_applied_term(const struct store *s);
uint32_t store_bucket_count(const struct store *s);
uint64_t store_cluster_id(const struct store *s);
uint64_t store_group_id(const struct store *s);
const char *store_path(const struct store *s);
/* Reads a metadata value from the database now ("applied_index",
 * "applied_term", "bucket_count", "cluster_id", "group_id", "format_version").
 * ERR_NOTFOUND for another name. */
int store_meta_get(struct store *s, const char *name, uint64_t *value, struct errbuf *eb);

/* Applies committed entries entries[0..n) in one transaction, together with
 * the new applied index and term. Indexes must be consecutive. Entries at or
 * below the applied index are skipped (replay after restart is harmless); the
 * first one above it must be applied+1 (or, on a new store, 1 or
 * RAFT_BOOTSTRAP_INDEX+1), else ERR_INVAL: a gap would silently lose commands.
 *
 * NORMAL entries go to the model named by their first byte; NOOP and CONF only
 * advance the applied index. results[i] (room for n) describes entry i; a
 * failed condition is a result, not an error.
 *
 * On error nothing is applied (the transaction is rolled back, the applied
 * index is unchanged) and the node must stop: ERR_IO, ERR_NOMEM, ERR_BUSY,
 * ERR_CORRUPT (a malformed command in the log, or a damaged file),
 * ERR_UNSUPPORTED (unknown model or command), ERR_INVAL (gap, or s is a reader). */
int store_apply(struct store *s, const struct raft_entry *entries, uint32_t n,
                struct store_result *results, struct errbuf *eb);
/* store_apply in two steps, so that the results can be answered while SQLite's COMMIT (a
 * write of every page the batch changed) has not run yet: open applies the batch, with the
 * applied index, in a transaction left open; close commits it. Between the two, whatever uses
 * the connection (every store function, store_db, store_stmt, store_hold, store_release)
 * commits it first, so nothing ever sees the batch uncommitted — and since the batch may have
 * been answered, a commit that fails there stops the process (PANIC; the log has the batch and
 * applies it again at restart). A failed open is a failed store_apply; a failed close rolls
 * the batch back, restores the applied index, frees nothing, and the node must stop. */
int store_apply_open(struct store *s, const struct raft_entry *entries, uint32_t n,
                     struct store_result *results, struct errbuf *eb);
int store_apply_close(struct store *s, struct errbuf *eb);

/* Makes everything applied so far durable (one synchronous commit that fsyncs
 * the SQLite WAL) and returns that applied index in *durable_index. The node
 * compacts its Raft log only up to it. Returns 0, ERR_IO, ERR_BUSY, ERR_INVAL
 * (reader). */
int store_checkpoint(struct store *s, uint64_t *durable_index, struct errbuf *eb);
/* A passive checkpoint of the database at path on a connection of its own,
 * for a worker thread while the writer goes on applying. It copies the WAL
 * into the database file and fsyncs it; *durable_index is then the applied
 * index that is durable in that file, or 0 if the checkpoint could not take
 * every frame (a reader, such as an open snapshot, holds older ones).
 * Returns 0, ERR_IO, ERR_BUSY, ERR_NOMEM. */
int store_checkpoint_background(const char *path, uint64_t *durable_index, struct errbuf *eb);

/* ---- Snapshots ----
 *
 * A snapshot is a stream of chunks taken from one consistent point (a read
 * transaction on its own connection; apply goes on meanwhile). Chunk layout,
 * all integers little-endian:
 *
 *     0  u32 magic "CSNP"          16  u64 applied index of the snapshot
 *     4  u8  format (1)            24  u64 applied term
 *     5  u8  flags (1 = last)      32  u32 chunk_bytes_max the stream was cut with
 *     6  u16 zero                  36  u32 payload length
 *     8  u64 sequence number (0, 1, 2, ...)
 *    40  payload, then u32 CRC32C of every byte before it
 *
 * Every chunk carries the index, so a receiver can check that all chunks come
 * from the same snapshot. The payloads concatenated are the rows of the
 * metadata table and of every model table, each table in primary-key order,
 * encoded with base/codec.h; a row may span chunks.
 *
 * Resuming: the stream is a pure function of (database state at the index,
 * chunk_bytes_max). A receiver that lost its connection keeps its
 * store_restore and asks for store_restore_next_seq; the sender calls
 * store_snapshot_seek on the snapshot it still holds, or opens a new one and
 * seeks if that one has the same index (else the receiver must start over). */
struct store_snapshot;

/* Starts a snapshot of s's database at its latest committed state.
 * chunk_bytes_max within STORE_SNAPSHOT_CHUNK_BYTES_MIN..MAX (0 for the
 * default). *out owned by the caller until store_snapshot_close; it may be
 * used on another thread than s and may outlive s. Returns 0, ERR_INVAL, ERR_IO,
 * ERR_NOMEM, ERR_CORRUPT. Holding a snapshot open keeps SQLite from recycling
 * its WAL file, which grows until the snapshot is closed. */
int store_snapshot_open(struct store *s, uint32_t chunk_bytes_max, struct store_snapshot **out,
                        struct errbuf *eb);
uint64_t store_snapshot_index(const struct store_snapshot *snap);
uint64_t store_snapshot_term(const struct store_snapshot *snap);
/* Replaces out's contents with the next chunk (at most chunk_bytes_max bytes).
 * *done is set when it is the last one; calling again after that returns
 * ERR_INVAL. Returns 0, ERR_IO, ERR_NOMEM, ERR_CORRUPT, ERR_TOOBIG (a row past
 * STORE_SNAPSHOT_ROW_BYTES_MAX). */
int store_snapshot_next(struct store_snapshot *snap, struct buf *out, bool *done,
                        struct errbuf *eb);
/* Makes chunk seq the next one store_snapshot_next returns (forward or back).
 * It re-reads the rows before it from the same consistent point: time grows
 * with seq, memory does not. ERR_RANGE if the stream has fewer chunks. */
int store_snapshot_seek(struct store_snapshot *snap, uint64_t seq, struct errbuf *eb);
void store_snapshot_close(struct store_snapshot *snap);

/* The header of a chunk, checked (magic, lengths, checksum) but not applied. */
struct store_chunk_info {
    uint64_t seq;
    uint64_t index;
    uint64_t term;
    uint32_t chunk_bytes_max;
    uint32_t payload_len;
    bool last;
};
/* Returns 0 or ERR_CORRUPT (bad magic, format, length or checksum). */
int store_chunk_info(const uint8_t *chunk, size_t len, struct store_chunk_info *info,
                     struct errbuf *eb);

/* Restoring builds a new database beside path (path + ".restore") from the
 * chunks, then store_restore_finish renames it over path. */
struct store_restore;

/* Starts a restore that will end up at path (removing a stale temp file).
 * Returns 0, ERR_IO, ERR_NOMEM, ERR_INVAL. */
int store_restore_begin(const char *path, struct store_restore **out, struct errbuf *eb);
/* Adds the next chunk. Each chunk is taken whole or not at all: on error the
 * restore is as before and can go on with the right chunk. ERR_CORRUPT: bad
 * checksum, magic, or length; a sequence number other than
 * store_restore_next_seq; another index, term or chunk size than chunk 0; rows
 * that do not decode. ERR_INVAL: the last chunk was already taken. ERR_IO,
 * ERR_NOMEM. */
int store_restore_chunk(struct store_restore *rs, const uint8_t *chunk, size_t len,
                        struct errbuf *eb);
/* The sequence number of the chunk the restore needs next. */
uint64_t store_restore_next_seq(const struct store_restore *rs);
/* The snapshot's index and term (0 before chunk 0), and whether the last
 * chunk arrived. */
uint64_t store_restore_index(const struct store_restore *rs);
uint64_t store_restore_term(const struct store_restore *rs);
bool store_restore_complete(const struct store_restore *rs);
/* Makes the restored database the one at path: fsyncs it, checkpoints away
 * any WAL the old database left (it would otherwise be replayed into the new
 * one), renames it over path and fsyncs the directory. No store handle
 * (writer, reader, snapshot) may be open on path: close the store first, then
 * finish, then store_open again. Always frees rs. On error the database at
 * path is the old one and the temp file is removed, except for ERR_IO from the
 * final directory fsync: then the new database is in place but the rename may
 * not survive a power loss. Returns 0, ERR_INVAL (the last chunk has not
 * arrived), ERR_CORRUPT (the restored metadata disagrees with the headers),
 * ERR_IO, ERR_NOMEM. */
int store_restore_finish(struct store_restore *rs, struct errbuf *eb);
/* Abandons the restore: removes the temp file and frees rs (NULL is fine). */
void store_restore_abort(struct store_restore *rs);

#endif
