/* The table model's internals, shared by table.c (statements, output, apply)
 * and table_bucket.c (the bucket checks, moving a bucket's rows). Not for use
 * outside src/model/table/. */
#ifndef CAIRN_MODEL_TABLE_INT_H
#define CAIRN_MODEL_TABLE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/codec.h"
#include "base/err.h"
#include "model/table/table.h"
#include "sql/sql_func.h"
#include "store/store.h"

/* Prepared user statements kept per connection, by text. */
#define TABLE_STMT_CACHE 64

enum table_op {
    TABLE_OP_EXEC = 1,
    TABLE_OP_SCHEMA = 2,
    TABLE_OP_BUCKET_CLEAR = 3,
    TABLE_OP_BUCKET_IMPORT = 4,
};

/* Who is writing rows, for cairn_bucket_writable(). */
enum table_write_mode {
    TABLE_WRITE_CLIENT = 0, /* statements of a client: OWNED buckets only */
    TABLE_WRITE_IMPORT = 1, /* BUCKET_IMPORT: rows of import_bucket, RECEIVING here */
    TABLE_WRITE_CLEAR = 2,  /* BUCKET_CLEAR: its own deletes, checked before */
};

#define TABLE_STMT_TABLES_MAX 8

/* The tables a statement reads and writes (its triggers' too), as SQLite's authorizer names
 * them while it prepares: what a tentative run must replay before it (table.c). */
struct table_touch {
    uint64_t name[TABLE_STMT_TABLES_MAX]; /* hashes of the lower-cased names */
    uint8_t n;
    uint8_t writes; /* bit i: name[i] is written */
    bool all;       /* something else (DDL, a pragma, too many tables): touches everything */
};

struct table_cached {
    char *sql;
    uint32_t sql_len;
    sqlite3_stmt *st;
    uint64_t used; /* for eviction: least recently used goes */
    struct table_touch touch;
};

struct table_model_state {
    struct sql_func_env env; /* read by the SQL functions during a statement */
    uint32_t bucket_count;
    sqlite3_stmt *meta_get, *meta_set;
#define TABLE_SAVEPOINT_STMTS 8
    sqlite3_stmt *savepoint[TABLE_SAVEPOINT_STMTS]; /* enum table_sp (table.c) */
    bool savepoint_outer; /* the run's savepoint began the transaction */
    /* The client transaction whose tentative savepoint is held open (table_exec.session). */
    struct {
        uint64_t session; /* 0: none */
        uint32_t n;       /* its statements run in the savepoint */
        uint64_t prefix;  /* table_stmts_fold of them */
        int64_t now_us;
        uint64_t seed;
        uint64_t *hashes; /* each statement's result hash, what COMMIT expects (hashes_cap) */
        uint32_t hashes_cap;
        uint64_t changes; /* the last statement's */
        /* Set by table_held_keep: the entry store_apply applies next is this transaction. */
        bool kept;
    } held;
    /* The schema version as table_run last read it, and the store's applied index then: it
     * holds until something is applied. Apply itself always reads SQLite (a batch that rolls
     * back must not leave its version here). */
    uint64_t run_version, run_version_at;
    bool run_version_known;
    /* table_run: the monotonic clock (ms) past which its statement is interrupted; 0 while
     * applying, which must give the same result on every replica whatever the time. */
    uint64_t run_deadline_ms;
    uint32_t run_limit_ms;             /* what run_deadline_ms allowed, for the message */
    const struct table_read_stop *run_stop; /* a read off the loop: also stop on these */
    enum table_stopped stopped;             /* why the progress handler stopped the run */
    struct table_cached cache[TABLE_STMT_CACHE];
    uint64_t clock;
    struct table_touch *collecting; /* the authorizer fills it while table_prepare prepares */
    /* The store of this connection; NULL on a snapshot restore's, where no
     * trigger runs (triggers are restored after the rows). */
    struct store *store;
    /* While a run or a bucket command is under way (table_bucket.c). The
     * bucket states cannot change during one: only kv commands change them.
     * Between runs they are kept while the store's epoch stays (store_epoch). */
    bool in_run;
    uint8_t write_mode; /* enum table_write_mode */
    uint32_t import_bucket;
    const uint8_t *bucket_set; /* the run's TABLE_EXEC_BUCKETS set, or NULL */
    uint32_t bucket_set_bytes;
    int8_t sharded;  /* -1: not read yet */
    uint8_t *states; /* bucket_count entries: kv state + 1 as read; 0 = not yet */
    bool states_used;
    uint64_t states_epoch; /* the store epoch sharded and states were read in; 0: none */
};

/* ---- table.c ---- */
int table_put_str(struct buf *out, const char *s, size_t n);
const char *table_get_str(struct codec_reader *r, uint32_t *len, uint32_t max);
int table_value_get(struct codec_reader *r, struct table_value *v);
void table_value_from_sqlite(sqlite3_value *sv, struct table_value *v);
void table_output_error(struct buf *out, const char *sqlstate, const char *msg, uint32_t stmt);
/* The SQLSTATE and message of a failed step or prepare on db. */
void table_sqlstate(sqlite3 *db, int rc, char sqlstate[6], char *msg, size_t cap);
int table_exec_sql(sqlite3 *db, const char *sql);
int table_meta_get(struct store *s, struct table_model_state *t, const char *name, uint64_t *v,
                   struct errbuf *eb);
int table_meta_set(struct store *s, struct table_model_state *t, const char *name, uint64_t v,
                   struct errbuf *eb);
/* Moves out into res->output (status ERR_CONDITION unless the output is OK). */
int table_result_output(struct store_result *res, struct buf *out);

/* ---- table_bucket.c ---- */

/* Registers cairn_bucket_writable(bucket, strict) and cairn_bucket_visible(bucket) on db. */
int table_bucket_register(sqlite3 *db, struct table_model_state *t, struct errbuf *eb);
/* Starts a run of x: the bucket set, and its check. Returns 0, 1 when the set
 * names a bucket that is not OWNED or FENCED here (sqlstate and msg say so:
 * nothing may run), or ERR_IO/ERR_CORRUPT reading the states. Pair with
 * table_bucket_run_end whatever it returned. */
int table_bucket_run_begin(struct table_model_state *t, const struct table_exec *x,
                           char sqlstate[6], char *msg, size_t cap);
void table_bucket_run_end(struct table_model_state *t);
/* The BUCKET_CLEAR and BUCKET_IMPORT apply, r after the op byte. */
int table_apply_bucket_clear(struct store *s, struct table_model_state *t, struct codec_reader *r,
                             struct store_result *res, struct errbuf *eb);
int table_apply_bucket_import(struct store *s, struct table_model_state *t, struct codec_reader *r,
                              struct store_result *res, struct errbuf *eb);

#endif
