/* The state store: opening the SQLite database, applying committed entries in
 * one transaction per batch, and making the applied state durable on demand. */
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/log.h"
#include "store/store_internal.h"
#include "store/store_model.h"

/* The registry: adding a model means adding it here and giving it a tag. */
const struct store_model *const store_models[] = {&kv_model, &cluster_model, &table_model};
const uint32_t store_n_models = sizeof store_models / sizeof store_models[0];

/* The applied index and identity live in `meta`, which is replicated and
 * snapshotted. `local` holds what belongs to this replica alone (the durable
 * index) and never leaves it. */
static const char store_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS local(name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
    " WITHOUT ROWID;";

static const struct store_table store_meta_table = {"meta", "name, value", 2, "name"};

uint32_t store_tables(const struct store_table **tables)
{
    uint32_t n = 0;
    tables[n++] = &store_meta_table;
    for (uint32_t m = 0; m < store_n_models; m++) {
        for (uint32_t t = 0; t < store_models[m]->n_tables; t++) {
            ASSERT(n < STORE_TABLES_MAX);
            tables[n++] = &store_models[m]->tables[t];
        }
    }
    return n;
}

void store_opts_default(struct store_opts *o)
{
    memset(o, 0, sizeof *o);
}

int store_sqlite_err(sqlite3 *db, int rc, const char *what, struct errbuf *eb)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        code = ERR_NOMEM;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        code = ERR_CORRUPT;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = ERR_BUSY;
        break;
    default:
        code = ERR_IO; /* IOERR, FULL, CANTOPEN, READONLY, PROTOCOL, ... */
        break;
    }
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return err_set(eb, code, "%s: %s (sqlite %d)", what, msg, rc);
}

int store_exec(sqlite3 *db, const char *sql, const char *what, struct errbuf *eb)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, what, eb);
    return 0;
}

/* An applied batch left open (store_apply_open) is committed before anything else uses the
 * connection. It may have been answered already: failing here, nothing may read past it. */
static void store_settle(struct store *s)
{
    if (!s->commit_pending)
        return;
    struct errbuf eb = {{0}};
    if (store_apply_close(s, &eb) != 0)
        PANIC("store %s: committing an applied batch failed: %s", s->path, eb.msg);
}

void store_hold(struct store *s, const struct store_holder *holder, void *arg)
{
    store_settle(s);
    s->holder = holder;
    s->held_arg = holder != NULL ? arg : NULL;
}

void store_release(struct store *s)
{
    store_settle(s);
    const struct store_holder *holder = s->holder;
    if (holder == NULL)
        return;
    s->holder = NULL; /* release itself uses the connection */
    holder->release(s->held_arg);
    s->held_arg = NULL;
}

/* Whether the held transaction is e's writes: then it stays open, as the batch's. */
static bool store_keep_held(struct store *s, const struct raft_entry *e)
{
    const struct store_holder *holder = s->holder;
    if (holder == NULL || holder->keep == NULL || !holder->keep(s->held_arg, e))
        return false;
    s->holder = NULL;
    s->held_arg = NULL;
    s->kept++;
    return true;
}

uint64_t store_kept_total(const struct store *s)
{
    return s->kept;
}

uint64_t store_epoch(const struct store *s)
{
    return s->epoch;
}

void store_epoch_bump(struct store *s)
{
    if (!s->reader)
        s->epoch++;
}

void store_rollback_note(struct store *s)
{
    if (sqlite3_txn_state(s->db, NULL) == SQLITE_TXN_WRITE)
        store_epoch_bump(s);
}

int store_stmt(struct store *s, sqlite3_stmt **stmt, const char *sql, struct errbuf *eb)
{
    store_release(s);
    if (*stmt != NULL) {
        sqlite3_reset(*stmt);
        sqlite3_clear_bindings(*stmt);
        return 0;
    }
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
    if (rc != SQLITE_OK) {
        *stmt = NULL;
        return store_sqlite_err(s->db, rc, "prepare", eb);
    }
    ASSERT(*stmt != NULL);
    return 0;
}

sqlite3 *store_db(struct store *s)
{
    store_release(s);
    return s->db;
}

sqlite3 *store_db_unreleased(struct store *s)
{
    return s->db;
}

void *store_model_state(struct store *s, uint8_t tag)
{
    for (uint32_t m = 0; m < store_n_models; m++) {
        if (store_models[m]->tag == tag)
            return s->model_state[m];
    }
    PANIC("store: no model with tag %u", tag);
}

int store_connect(const char *path, bool create, sqlite3 **out, struct errbuf *eb)
{
    /* NOMUTEX: each connection is used by one thread at a time (store.h). */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create)
        flags |= SQLITE_OPEN_CREATE;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, STORE_VFS);
    if (rc != SQLITE_OK) {
        int err = store_sqlite_err(db, rc, path, eb);
        sqlite3_close(db);
        return err;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    char pragmas[96];
    snprintf(pragmas, sizeof pragmas, "PRAGMA trusted_schema=OFF; PRAGMA cache_size=-%d",
             STORE_PAGE_CACHE_KIB);
    rc = store_exec(db, pragmas, path, eb);
    if (rc != 0) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int store_create_schema(sqlite3 *db, struct errbuf *eb)
{
    int rc = store_exec(db, store_schema_sql, "create tables", eb);
    for (uint32_t m = 0; rc == 0 && m < store_n_models; m++)
        rc = store_exec(db, store_models[m]->schema_sql, store_models[m]->name, eb);
    return rc;
}

/* Steps a statement that returns no rows, and resets it. */
static int store_step_done(struct store *s, sqlite3_stmt *st, const char *what, struct errbuf *eb)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(s->db, rc, what, eb);
    return 0;
}

static int store_begin(struct store *s, struct errbuf *eb)
{
    /* IMMEDIATE: take the write lock now, so a busy database fails here and
     * not halfway through a batch. */
    int rc = store_stmt(s, &s->begin, "BEGIN IMMEDIATE", eb);
    if (rc == 0)
        rc = store_step_done(s, s->begin, "begin", eb);
    return rc;
}

static int store_commit(struct store *s, struct errbuf *eb)
{
    int rc = store_stmt(s, &s->commit, "COMMIT", eb);
    if (rc == 0)
        rc = store_step_done(s, s->commit, "commit", eb);
    return rc;
}

static void store_rollback(struct store *s)
{
    /* Whatever the batch wrote is gone: the epoch changes even when SQLite already rolled
     * back (it does on some I/O errors) and the transaction state no longer says it wrote. */
    store_epoch_bump(s);
    if (sqlite3_get_autocommit(s->db))
        return;
    if (store_stmt(s, &s->rollback, "ROLLBACK", NULL) == 0 &&
        store_step_done(s, s->rollback, "rollback", NULL) == 0)
        return;
    /* The caller is returning an error already and the node will stop. */
    LOGE("store", "rollback failed: %s path=%s", sqlite3_errmsg(s->db), s->path);
}

int store_meta_get(struct store *s, const char *name, uint64_t *value, struct errbuf *eb)
{
    int rc = store_stmt(s, &s->meta_get, "SELECT value FROM meta WHERE name = ?1", eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s->meta_get, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(s->meta_get);
    if (rc == SQLITE_ROW) {
        *value = (uint64_t)sqlite3_column_int64(s->meta_get, 0);
        sqlite3_reset(s->meta_get);
        return 0;
    }
    sqlite3_reset(s->meta_get);
    if (rc == SQLITE_DONE)
        return err_set(eb, ERR_NOTFOUND, "no metadata value %s", name);
    return store_sqlite_err(s->db, rc, "read metadata", eb);
}

static int store_meta_set(struct store *s, const char *name, uint64_t value, struct errbuf *eb)
{
    int rc = store_stmt(s, &s->meta_set,
                        "INSERT INTO meta(name, value) VALUES(?1, ?2)"
                        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s->meta_set, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->meta_set, 2, (sqlite3_int64)value);
    return store_step_done(s, s->meta_set, "write metadata", eb);
}

/* Reads the recorded identity and applied index into s. */
static int store_load_meta(struct store *s, struct errbuf *eb)
{
    uint64_t format = 0, bucket_count = 0;
    struct {
        const char *name;
        uint64_t *value;
    } fields[] = {
        {STORE_META_FORMAT, &format},
        {STORE_META_APPLIED_INDEX, &s->applied_index},
        {STORE_META_APPLIED_TERM, &s->applied_term},
        {STORE_META_CLUSTER_ID, &s->cluster_id},
        {STORE_META_GROUP_ID, &s->group_id},
        {STORE_META_BUCKET_COUNT, &bucket_count},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int rc = store_meta_get(s, fields[i].name, fields[i].value, eb);
        if (rc == ERR_NOTFOUND)
            return err_set(eb, ERR_CORRUPT, "%s: metadata has no %s", s->path, fields[i].name);
        if (rc != 0)
            return rc;
    }
    if (format != STORE_FORMAT_VERSION)
        return err_set(eb, ERR_UNSUPPORTED, "%s: store format %" PRIu64 ", this build reads %d",
                       s->path, format, STORE_FORMAT_VERSION);
    if (bucket_count == 0 || bucket_count > STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_CORRUPT, "%s: bucket count %" PRIu64 " out of range", s->path,
                       bucket_count);
    s->bucket_count = (uint32_t)bucket_count;
    return 0;
}

/* Creates the metadata of a new store, or checks a reopened one against opts. */
static int store_init_meta(struct store *s, const struct store_opts *opts, struct errbuf *eb)
{
    uint64_t format;
    int rc = store_meta_get(s, STORE_META_FORMAT, &format, eb);
    if (rc == ERR_NOTFOUND) {
        uint32_t buckets = opts->bucket_count ? opts->bucket_count : STORE_BUCKET_COUNT_DEFAULT;
        rc = store_begin(s, eb);
        if (rc != 0)
            return rc;
        rc = store_meta_set(s, STORE_META_FORMAT, STORE_FORMAT_VERSION, eb);
        if (rc == 0)
            rc = store_meta_set(s, STORE_META_APPLIED_INDEX, 0, eb);
        if (rc == 0)
            rc = store_meta_set(s, STORE_META_APPLIED_TERM, 0, eb);
        if (rc == 0)
            rc = store_meta_set(s, STORE_META_BUCKET_COUNT, buckets, eb);
        if (rc == 0)
            rc = store_meta_set(s, STORE_META_CLUSTER_ID, opts->cluster_id, eb);
        if (rc == 0)
            rc = store_meta_set(s, STORE_META_GROUP_ID, opts->group_id, eb);
        if (rc == 0)
            rc = store_commit(s, eb);
        if (rc != 0) {
            store_rollback(s);
            return rc;
        }
    } else if (rc != 0) {
        return rc;
    }
    rc = store_load_meta(s, eb);
    if (rc != 0)
        return rc;
    if (opts->cluster_id != 0 && opts->cluster_id != s->cluster_id)
        return err_set(eb, ERR_INVAL, "%s belongs to cluster %" PRIu64 ", not %" PRIu64, s->path,
                       s->cluster_id, opts->cluster_id);
    if (opts->group_id != 0 && opts->group_id != s->group_id)
        return err_set(eb, ERR_INVAL, "%s belongs to group %" PRIu64 ", not %" PRIu64, s->path,
                       s->group_id, opts->group_id);
    if (opts->bucket_count != 0 && opts->bucket_count != s->bucket_count)
        return err_set(eb, ERR_INVAL, "%s has %u buckets, not %u", s->path, s->bucket_count,
                       opts->bucket_count);
    return 0;
}

static int store_open_models(struct store *s, struct errbuf *eb)
{
    ASSERT(store_n_models <= STORE_MODELS_MAX);
    for (uint32_t m = 0; m < store_n_models; m++) {
        int rc = store_models[m]->open(s, &s->model_state[m], eb);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Makes the handle for a connection to path; on error frees everything. */
static int store_new(const char *path, bool reader, struct store **out, struct errbuf *eb)
{
    struct store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return err_set(eb, ERR_NOMEM, "store handle");
    s->path = strdup(path);
    s->reader = reader;
    s->epoch = reader ? 0 : 1;
    if (s->path == NULL) {
        free(s);
        return err_set(eb, ERR_NOMEM, "store path");
    }
    int rc = store_connect(path, !reader, &s->db, eb);
    if (rc != 0) {
        free(s->path);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Sets the journal mode and checks SQLite agreed (it answers with the mode in
 * force, e.g. "memory" for an in-memory database). */
static int store_set_wal(struct store *s, struct errbuf *eb)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(s->db, rc, "journal_mode", eb);
    rc = sqlite3_step(st);
    int err = 0;
    if (rc != SQLITE_ROW)
        err = store_sqlite_err(s->db, rc, "journal_mode", eb);
    else if (sqlite3_column_text(st, 0) == NULL ||
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
        err = err_set(eb, ERR_IO, "%s: cannot use WAL mode", s->path);
    sqlite3_finalize(st);
    return err;
}

int store_open(const char *path, const struct store_opts *opts, struct store **out,
               struct errbuf *eb)
{
    struct store_opts def;
    if (opts == NULL) {
        store_opts_default(&def);
        opts = &def;
    }
    if (path == NULL || path[0] == '\0')
        return err_set(eb, ERR_INVAL, "store path is empty");
    if (opts->bucket_count > STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_INVAL, "bucket count %u above %d", opts->bucket_count,
                       STORE_BUCKET_COUNT_MAX);
    struct store *s;
    int rc = store_new(path, false, &s, eb);
    if (rc != 0)
        return rc;
    s->sync_full = opts->sync_full;
    rc = store_set_wal(s, eb);
    if (rc == 0)
        rc = store_exec(s->db,
                        s->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
                        "synchronous", eb);
    if (rc == 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%d; PRAGMA journal_size_limit=%d",
                 opts->background_checkpoint ? 0 : STORE_WAL_AUTOCHECKPOINT_PAGES,
                 STORE_WAL_KEEP_BYTES);
        rc = store_exec(s->db, sql, "wal pragmas", eb);
    }
    if (rc == 0)
        rc = store_create_schema(s->db, eb);
    if (rc == 0)
        rc = store_init_meta(s, opts, eb);
    if (rc == 0)
        rc = store_open_models(s, eb);
    if (rc != 0) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int store_open_reader(const struct store *w, struct store **out, struct errbuf *eb)
{
    struct store *s;
    int rc = store_new(w->path, true, &s, eb);
    if (rc != 0)
        return rc;
    rc = store_exec(s->db, "PRAGMA query_only=ON", "query_only", eb);
    /* A reader may outlive its database: a snapshot renames a new file over the path while a
     * long read is out. Closed last, it would checkpoint and then delete the WAL and shared
     * memory files *by name*, the new database's. With a persistent WAL it touches only the
     * files it has open. */
    int persist = 1;
    if (rc == 0 && sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) !=
                       SQLITE_OK)
        rc = err_set(eb, ERR_IO, "%s: cannot keep the WAL of a reader", w->path);
    if (rc == 0)
        rc = store_load_meta(s, eb);
    if (rc == 0)
        rc = store_open_models(s, eb);
    if (rc != 0) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    store_release(s);
    for (uint32_t m = 0; m < store_n_models; m++) {
        if (s->model_state[m] != NULL)
            store_models[m]->close(s->model_state[m]);
    }
    sqlite3_finalize(s->begin);
    sqlite3_finalize(s->commit);
    sqlite3_finalize(s->rollback);
    sqlite3_finalize(s->meta_get);
    sqlite3_finalize(s->meta_set);
    sqlite3_finalize(s->local_set);
    /* Every statement is finalized, so close cannot fail with BUSY; the last
     * connection's close checkpoints the WAL and removes it. */
    int rc = sqlite3_close(s->db);
    ASSERT(rc == SQLITE_OK);
    free(s->path);
    free(s);
}

uint64_t store_applied_index(const struct store *s)
{
    return s->applied_index;
}

uint64_t store_applied_term(const struct store *s)
{
    return s->applied_term;
}

uint32_t store_bucket_count(const struct store *s)
{
    return s->bucket_count;
}

uint64_t store_cluster_id(const struct store *s)
{
    return s->cluster_id;
}

uint64_t store_group_id(const struct store *s)
{
    return s->group_id;
}

const char *store_path(const struct store *s)
{
    return s->path;
}

void store_results_free(struct store_result *res, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(res[i].output);
        res[i].output = NULL;
        res[i].output_len = 0;
    }
}

static int store_apply_entry(struct store *s, const struct raft_entry *e, struct store_result *res,
                             struct errbuf *eb)
{
    switch (e->type) {
    case RAFT_ENTRY_NOOP:
    case RAFT_ENTRY_CONF:
        return 0;
    case RAFT_ENTRY_NORMAL:
        break;
    default:
        return err_set(eb, ERR_CORRUPT, "entry %" PRIu64 " has unknown type %u", e->index, e->type);
    }
    if (e->len == 0)
        return err_set(eb, ERR_CORRUPT, "entry %" PRIu64 " is an empty command", e->index);
    ASSERT(e->data != NULL);
    uint8_t tag = e->data[0];
    for (uint32_t m = 0; m < store_n_models; m++) {
        if (store_models[m]->tag != tag)
            continue;
        res->model = tag;
        int rc = store_models[m]->apply(s, s->model_state[m], e, res, eb);
        if (rc != 0 && eb != NULL) {
            /* The log position is what an operator needs to find the entry. */
            char detail[ERRBUF_SIZE];
            memcpy(detail, eb->msg, sizeof detail);
            detail[sizeof detail - 1] = '\0';
            err_set(eb, rc, "entry %" PRIu64 " (%s): %s", e->index, store_models[m]->name, detail);
        }
        return rc;
    }
    return err_set(eb, ERR_UNSUPPORTED, "entry %" PRIu64 " is for unknown model %u", e->index, tag);
}

int store_apply(struct store *s, const struct raft_entry *entries, uint32_t n,
                struct store_result *results, struct errbuf *eb)
{
    int rc = store_apply_open(s, entries, n, results, eb);
    if (rc != 0)
        return rc; /* open freed the results */
    rc = store_apply_close(s, eb);
    if (rc != 0)
        store_results_free(results, n);
    return rc;
}

int store_apply_close(struct store *s, struct errbuf *eb)
{
    if (!s->commit_pending)
        return 0;
    s->commit_pending = false; /* the commit below uses the connection */
    int rc = store_commit(s, eb);
    if (rc != 0) {
        store_rollback(s);
        s->applied_index = s->pending_prev_index;
        s->applied_term = s->pending_prev_term;
    }
    return rc;
}

int store_apply_open(struct store *s, const struct raft_entry *entries, uint32_t n,
                     struct store_result *results, struct errbuf *eb)
{
    ASSERT(n == 0 || (entries != NULL && results != NULL));
    store_settle(s);
    if (s->reader)
        return err_set(eb, ERR_INVAL, "apply on a read-only store handle");
    uint32_t first = 0; /* the first entry not yet applied */
    for (uint32_t i = 0; i < n; i++) {
        /* Raft hands out committed entries as one consecutive run. */
        ASSERT(i == 0 || entries[i].index == entries[i - 1].index + 1);
        memset(&results[i], 0, sizeof results[i]);
        results[i].index = entries[i].index;
        if (entries[i].index <= s->applied_index) {
            results[i].skipped = true;
            first = i + 1;
        }
    }
    if (first == n)
        return 0;
    uint64_t next = entries[first].index;
    bool after_bootstrap = s->applied_index == 0 && next == RAFT_BOOTSTRAP_INDEX + 1;
    if (next != s->applied_index + 1 && !after_bootstrap) {
        store_release(s);
        return err_set(eb, ERR_INVAL, "entry %" PRIu64 " leaves a gap after applied index %" PRIu64,
                       next, s->applied_index);
    }
    bool kept = store_keep_held(s, &entries[first]);
    if (!kept)
        store_release(s);

    int rc = kept ? 0 : store_begin(s, eb);
    if (rc != 0)
        return rc;
    for (uint32_t i = first; i < n && rc == 0; i++)
        rc = store_apply_entry(s, &entries[i], &results[i], eb);
    const struct raft_entry *last = &entries[n - 1];
    if (rc == 0)
        rc = store_meta_set(s, STORE_META_APPLIED_INDEX, last->index, eb);
    if (rc == 0)
        rc = store_meta_set(s, STORE_META_APPLIED_TERM, last->term, eb);
    if (rc != 0) {
        store_rollback(s);
        store_results_free(results, n);
        return rc;
    }
    s->pending_prev_index = s->applied_index;
    s->pending_prev_term = s->applied_term;
    s->applied_index = last->index;
    s->applied_term = last->term;
    s->commit_pending = true;
    return 0;
}

int store_checkpoint(struct store *s, uint64_t *durable_index, struct errbuf *eb)
{
    if (s->reader)
        return err_set(eb, ERR_INVAL, "checkpoint on a read-only store handle");
    store_release(s);
    /* A commit under synchronous=FULL fsyncs the WAL file, which makes every
     * earlier commit durable too (frames already copied into the database file
     * were fsynced by the SQLite checkpoint that copied them). The commit must
     * change a page or SQLite writes nothing, hence the durable index in
     * `local`: it changes exactly when there is something new to make durable. */
    int rc = 0;
    if (!s->sync_full)
        rc = store_exec(s->db, "PRAGMA synchronous=FULL", "synchronous", eb);
    if (rc != 0)
        return rc;
    rc = store_begin(s, eb);
    if (rc == 0)
        rc = store_stmt(s, &s->local_set,
                        "INSERT INTO local(name, value) VALUES('durable_index', ?1)"
                        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        eb);
    if (rc == 0) {
        sqlite3_bind_int64(s->local_set, 1, (sqlite3_int64)s->applied_index);
        rc = store_step_done(s, s->local_set, "write durable index", eb);
    }
    if (rc == 0)
        rc = store_commit(s, eb);
    if (rc != 0)
        store_rollback(s);
    if (!s->sync_full) {
        int rc2 =
            store_exec(s->db, "PRAGMA synchronous=NORMAL", "synchronous", rc == 0 ? eb : NULL);
        if (rc == 0)
            rc = rc2;
    }
    if (rc != 0)
        return rc;
    *durable_index = s->applied_index;
    return 0;
}

/* The applied index committed in the database as this connection sees it. */
static uint64_t store_read_applied(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    uint64_t applied = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = '" STORE_META_APPLIED_INDEX "'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        applied = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return applied;
}

/* The RESTART pass's busy handler: a few short waits, then it gives up. The pass holds the
 * writer's lock while it waits for readers, and the store's writer is the event loop; a read
 * may take seconds (a snapshot sent to a peer, a long query), and SQLite's own timeout would
 * hold the loop that long. Given up, the pass is tried again at the next checkpoint. */
static int store_checkpoint_busy(void *arg, int n)
{
    (void)arg;
    if ((int64_t)n * STORE_CHECKPOINT_RETRY_US >= STORE_CHECKPOINT_WAIT_US)
        return 0;
    usleep(STORE_CHECKPOINT_RETRY_US);
    return 1;
}

int store_checkpoint_background(const char *path, uint64_t *durable_index, struct errbuf *eb)
{
    *durable_index = 0;
    sqlite3 *db;
    int rc = store_connect(path, false, &db, eb);
    if (rc != 0)
        return rc;
    rc = store_exec(db, "PRAGMA synchronous=NORMAL", path, eb);
    /* Two passes. PASSIVE copies the bulk of the WAL into the database while
     * the writer goes on. Under steady writes it never covers every frame, and
     * then SQLite can never restart the WAL, which grows without end; so a
     * RESTART pass follows: it holds writers off only while it copies the few
     * frames written meanwhile and syncs, and waits a moment at most for
     * readers (store_checkpoint_busy); the next write starts the WAL over.
     * Everything committed before the second pass began is durable in the
     * database file when it succeeds. */
    int n_log = -1, n_ckpt = -1, src = SQLITE_OK;
    if (rc == 0)
        src = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &n_log, &n_ckpt);
    uint64_t applied = 0;
    if (rc == 0 && (src == SQLITE_OK || src == SQLITE_BUSY)) {
        applied = store_read_applied(db);
        sqlite3_busy_handler(db, store_checkpoint_busy, NULL);
        src = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_RESTART, &n_log, &n_ckpt);
    }
    if (rc == 0 && src != SQLITE_OK && src != SQLITE_BUSY)
        rc = store_sqlite_err(db, src, "checkpoint", eb);
    if (rc == 0 && src == SQLITE_OK && n_log >= 0 && n_ckpt == n_log)
        *durable_index = applied;
    sqlite3_close(db);
    return rc;
}
