/* What store.c and store_snapshot.c share: the handle, the model registry and
 * the schema. Not for use outside src/store/. */
#ifndef CAIRN_STORE_INTERNAL_H
#define CAIRN_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_model.h"

#define STORE_MODELS_MAX 8
/* The metadata table plus every model's tables. */
#define STORE_TABLES_MAX (1 + STORE_MODELS_MAX * STORE_MODEL_TABLES_MAX)
/* SQLite's unix VFS with the database file locked by this process alone, and the WAL index in
 * the process's memory shared by its connections: a transaction's locks are taken without a
 * system call (the plain unix VFS takes and drops a POSIX lock with fcntl for each; they were
 * a twentieth of a read by key). Only this process opens its stores. */
#define STORE_VFS "unix-excl"
/* How long a connection waits on another's lock (checkpoints, WAL recovery). */
#define STORE_BUSY_TIMEOUT_MS 10000
/* How long the checkpoint's RESTART pass waits, in all (store_checkpoint_background): for the
 * writer's lock and then, holding it, for the readers of the WAL. */
#define STORE_CHECKPOINT_WAIT_US 5000
#define STORE_CHECKPOINT_RETRY_US 250
/* SQLite copies the WAL back into the database (two fsyncs) once it holds this
 * many pages. SQLite's default, 1000, made checkpoints the main cost of apply
 * on random keys: a page written by many commits is copied back many times.
 * At 16384 pages (64 MiB at 4 KiB pages) they coalesce. */
#define STORE_WAL_AUTOCHECKPOINT_PAGES 16384
/* SQLite's page cache per connection (its default is 2 MiB). A read that
 * misses it costs a pread; reads of a table larger than the cache missed on
 * almost every query. The cache grows only as pages are read. */
#define STORE_PAGE_CACHE_KIB (64 * 1024)
/* After a checkpoint the WAL file is cut back to this size. */
#define STORE_WAL_KEEP_BYTES (64 * 1024 * 1024)

struct store {
    sqlite3 *db;
    char *path;
    bool reader;
    bool sync_full;
    uint64_t epoch; /* store_epoch's; 0 on a reader */
    uint64_t applied_index;
    uint64_t applied_term;
    uint64_t cluster_id;
    uint64_t group_id;
    uint32_t bucket_count;
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
    sqlite3_stmt *meta_get;
    sqlite3_stmt *meta_set;
    sqlite3_stmt *local_set;
    void *model_state[STORE_MODELS_MAX];
    /* store_hold's: what to call before the connection is used, or NULL. */
    const struct store_holder *holder;
    void *held_arg;
    uint64_t kept; /* entries applied in the transaction their holder held */
    /* store_apply_open's batch, applied but not yet committed (store_apply_close), and the
     * applied index and term before it. */
    bool commit_pending;
    uint64_t pending_prev_index, pending_prev_term;
};

/* Registered models, in snapshot order. */
extern const struct store_model *const store_models[];
extern const uint32_t store_n_models;

/* Replicated tables in snapshot order: the metadata table, then each model's.
 * Returns how many were written into tables (room for STORE_TABLES_MAX). */
uint32_t store_tables(const struct store_table **tables);

/* Opens a connection with Cairn's settings (not yet WAL mode or schema). */
int store_connect(const char *path, bool create, sqlite3 **db, struct errbuf *eb);
/* Creates the metadata table and every model's tables if absent. */
int store_create_schema(sqlite3 *db, struct errbuf *eb);
/* Runs one or more statements without results. */
int store_exec(sqlite3 *db, const char *sql, const char *what, struct errbuf *eb);

#define STORE_META_FORMAT        "format_version"
#define STORE_META_APPLIED_INDEX "applied_index"
#define STORE_META_APPLIED_TERM  "applied_term"
#define STORE_META_BUCKET_COUNT  "bucket_count"
#define STORE_META_CLUSTER_ID    "cluster_id"
#define STORE_META_GROUP_ID      "group_id"

#endif
