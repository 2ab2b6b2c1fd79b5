/* The table model: the SQL tables of a replicaset (or of the governor, for
 * tables distributed globally), changed only by replicated statements that
 * every replica executes at apply, in log order (docs/sql.md says why).
 *
 * Commands. STORE_MODEL_TABLE (u8), an op (u8), then its fields; integers
 * little-endian, strings and blobs as uvarint length + bytes:
 *
 *   op  command        fields
 *   1   EXEC           u64 schema_version, i64 now_us, u64 seed, u8 flags,
 *                      [uvarint n_bytes, bytes: the bucket set, if flags has
 *                      TABLE_EXEC_BUCKETS], u32 n,
 *                      n × (str sql, u32 n_params, params, u64 expect_hash)
 *   2   SCHEMA         u64 version, str sql (may be empty: the change is for
 *                      another kind of group)
 *   3   BUCKET_CLEAR   u32 bucket
 *   4   BUCKET_IMPORT  u32 bucket, u64 seq, then a page (table_bucket_read)
 *
 *   a param: u8 type (enum table_type), then i64 | f64 bits | str | str.
 *
 * EXEC runs its statements in order inside one savepoint. If one fails (a
 * constraint, a PostgreSQL-semantics function raising "SQLSTATE: message"),
 * or, with TABLE_EXEC_VALIDATE, a statement's result hash differs from the
 * one the client saw (expect_hash 0: a blind write, nothing to compare), everything it did is rolled back and the result says
 * why; it changes nothing, on every replica alike. schema_version must equal
 * the store's (0 skips the check): planned against another schema, the
 * statement is refused (TABLE_STATE_SCHEMA) for the coordinator to replan.
 *
 * SCHEMA applies the catalog's DDL number `version` if it is the next one
 * (current + 1); an older one is skipped (already here), a newer one is
 * refused (a gap: the reconciler sends them in order).
 *
 * Buckets. Every sharded table (one with the hidden column __bucket) carries
 * triggers that ask cairn_bucket_writable() before a row changes; the answer
 * comes from the kv model's bucket states in the same database (replicated
 * state), so it is the same on every replica:
 *   - an inserted row must be in a bucket OWNED here, else the statement fails
 *     with 55000 ("moving": the coordinator plans it again, see sql_exec.c);
 *   - an updated or deleted row likewise, except that with a bucket set
 *     (TABLE_EXEC_BUCKETS) a row of a bucket outside the set is left alone:
 *     it is a copy this replicaset holds while a move runs (a fenced source
 *     after the flip, a destination still receiving), not the one the
 *     coordinator's map placed here.
 * The bucket set is a bitmap, bit b (byte b / 8, bit b % 8) for bucket b, of
 * the buckets the coordinator's map placed in this replicaset; before any
 * statement runs, every bucket in it must be OWNED or FENCED here, else the
 * whole EXEC (or read) is refused with 55000 (the coordinator's map is older
 * than this replicaset: a moved bucket is gone). cairn_bucket_visible(b) is
 * true for buckets of the set (without a set: OWNED or FENCED here); a
 * gathered read filters its rows with it, so that each row is read from one
 * replicaset, also while two hold it.
 *
 * BUCKET_CLEAR deletes the bucket's rows from every sharded table. It applies
 * only to a bucket RECEIVING here (before an import) or not here at all (after
 * the kv model dropped it): never to live rows (else ERR_STALE, and in a store
 * that is not sharded too). BUCKET_IMPORT inserts a page of rows read at the
 * source (table_bucket_read) into a bucket RECEIVING here (else ERR_STALE);
 * pages are numbered from 1 after each BUCKET_CLEAR: a page numbered at or
 * below the last one applied is skipped (a retried proposal, res->existed), one
 * past the next is refused (ERR_CONDITION), so applying a page twice never
 * doubles its rows. A page whose rows fail (a table or column missing here, a
 * row of another bucket) is rolled back: ERR_CONDITION with the reason.
 *
 * Results (store_result): status 0, or ERR_CONDITION with the reason in the
 * output. output holds one table_output (below), malloc'd; the caller of
 * store_apply frees it (store_results_free).
 *
 * Output, also produced by table_run for reads and tentative runs:
 *   u8 state (enum table_state)
 *   OK:      the last statement's u32 ncols, ncols × (str name, str decltype),
 *            rows as (u8 1, ncols values), u8 0, then u64 changes (rows the
 *            last statement inserted, updated or deleted), u64 hash of the last
 *            statement's results (table_hash_blind for a write returning nothing)
 *   ERROR:   char[5] sqlstate, str message, u32 index of the failing statement
 *   SCHEMA:  u64 the store's schema version
 *   values:  u8 type then i64 | f64 bits | str | str (NULL: the type alone) */
#ifndef CAIRN_MODEL_TABLE_H
#define CAIRN_MODEL_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

#define TABLE_STMTS_MAX 1024                 /* statements in one EXEC (a transaction) */
#define TABLE_PARAMS_MAX 65535               /* like PostgreSQL's Bind */
#define TABLE_SQL_BYTES_MAX (1u << 20)       /* one statement's text */
#define TABLE_OUTPUT_BYTES_MAX (64u << 20)   /* rows one statement may return */
#define TABLE_ROWS_SCANNED_MAX 100000000ull  /* bound on one statement's steps */
/* A tentative run executes on the node's event loop, where a long one would
 * hold up every group's heartbeats: past this it is interrupted (57014).
 * Apply has no such bound: its result must not depend on time. */
#define TABLE_RUN_MS_MAX 2000
/* A read outside a transaction gets this long on the loop (table_exec.loop_ms); one that
 * needs longer is run again off the loop, on a reader connection (table_read), for up to
 * TABLE_READ_MS_MAX or the caller's own bound. */
#define TABLE_RUN_LOOP_MS 20
#define TABLE_READ_MS_MAX (30u * 60 * 1000)

/* A read's bound: limit_ms (statement_timeout), or TABLE_READ_MS_MAX for 0. */
static inline uint32_t table_read_limit_ms(uint32_t limit_ms)
{
    return limit_ms != 0 ? limit_ms : TABLE_READ_MS_MAX;
}
/* VM instructions between two looks at the clock. */
#define TABLE_PROGRESS_OPS 10000

enum table_type {
    TABLE_NULL = 0,
    TABLE_INT = 1,
    TABLE_REAL = 2,
    TABLE_TEXT = 3,
    TABLE_BLOB = 4,
};

struct table_value {
    uint8_t type; /* enum table_type */
    int64_t i;
    double r;
    const uint8_t *p; /* TEXT (UTF-8, not terminated) or BLOB bytes */
    uint32_t len;
};

enum table_exec_flags {
    /* Compare every statement's result hash with expect_hash: at COMMIT (a write, or a read
     * of a transaction that only read), and on a tentative run, which then runs every
     * statement (none left out) and may still be held. */
    TABLE_EXEC_VALIDATE = 1,
    TABLE_EXEC_BUCKETS = 2,  /* buckets/buckets_bytes: the coordinator's placement (above) */
};

/* A bucket set covers every bucket a store may have. */
#define TABLE_BUCKET_SET_BYTES_MAX ((STORE_BUCKET_COUNT_MAX + 7) / 8)
/* One page of a bucket's rows read for a move: about this many bytes (one row more at most). */
#define TABLE_BUCKET_PAGE_BYTES_MAX (1u << 20)

struct table_stmt {
    const char *sql;
    uint32_t sql_len;
    const struct table_value *params;
    uint32_t n_params;
    uint64_t expect_hash;
};

struct table_exec {
    uint64_t schema_version; /* 0: any */
    int64_t now_us;          /* now() for every statement */
    uint64_t seed;           /* random() */
    uint8_t flags;
    uint32_t n;
    const struct table_stmt *stmts;
    /* TABLE_EXEC_BUCKETS: the bucket set (1..TABLE_BUCKET_SET_BYTES_MAX bytes). */
    const uint8_t *buckets;
    uint32_t buckets_bytes;
    /* Not encoded. Non-zero on a tentative table_run of a client transaction's statements (its
     * session, unique on this node): the run's savepoint stays open afterwards (store_hold),
     * and the session's next run — these statements and one more — runs only the new one in it,
     * as long as nothing else used the store meanwhile. */
    uint64_t session;
    /* Not encoded. Non-zero on a read (table_run without tentative): the run is stopped after
     * loop_ms and table_run returns ERR_AGAIN with out empty, to be run again by table_read
     * off the loop. Zero: TABLE_RUN_MS_MAX, then 57014. */
    uint32_t loop_ms;
};

enum table_state {
    TABLE_STATE_OK = 0,
    TABLE_STATE_ERROR = 1,
    TABLE_STATE_SCHEMA = 2, /* refused: planned against another schema version */
};

/* EXEC. Returns 0, ERR_INVAL (too many statements or params, text too long), ERR_NOMEM. */
int table_encode_exec(struct buf *out, const struct table_exec *x, struct errbuf *eb);
/* SCHEMA. sql may be "" (nothing to run here, but the version still advances). */
int table_encode_schema(struct buf *out, uint64_t version, const char *sql, struct errbuf *eb);

/* Runs x on s outside the log, on the loop thread between applies. With
 * tentative, inside a savepoint that is always rolled back (a transaction's
 * statements replayed to give the client its results); without, every
 * statement must be read-only (else TABLE_STATE_ERROR 25006). Output as
 * above into out. Returns 0 (the outcome, good or bad, is in out), ERR_NOMEM,
 * ERR_IO, or ERR_AGAIN: a read that outlasted x->loop_ms (out empty). */
int table_run(struct store *s, const struct table_exec *x, bool tentative, struct buf *out,
              struct errbuf *eb);

/* Why a read off the loop should stop early; either pointer may be NULL. */
struct table_read_stop {
    uint32_t limit_ms;         /* 57014 past it; 0: TABLE_READ_MS_MAX */
    const atomic_bool *cancel; /* set: 57014, the client cancelled */
    const atomic_bool *node;   /* set: 57P01, the node is stopping */
};

/* Why a read was stopped early. */
enum table_stopped {
    TABLE_STOPPED_NO = 0,
    TABLE_STOPPED_TIME,   /* past its deadline */
    TABLE_STOPPED_CANCEL, /* stop->cancel */
    TABLE_STOPPED_NODE,   /* stop->node */
};

/* Whether a read off the loop must stop now, and why: for SQLite progress handlers (a store's
 * reader, a coordinator's gathered rows). stop may be NULL (then only the deadline counts). */
enum table_stopped table_read_should_stop(const struct table_read_stop *stop,
                                          uint64_t deadline_ms);
/* The error of a read stopped for why (57014; 57P01 when the node stops). in_txn: a
 * transaction's statement, stopped at TABLE_RUN_MS_MAX on the loop. */
void table_stopped_error(enum table_stopped why, uint32_t limit_ms, bool in_txn,
                         char sqlstate[6], char *msg, size_t cap);

/* Runs the read x on r, a reader connection (store_open_reader), on whichever one thread
 * holds r: the schema version is checked and the statements run in one read transaction, so
 * both see the same committed state (never a transaction held open on the store's own
 * connection). Output and returns as table_run's, never ERR_AGAIN. */
int table_read(struct store *r, const struct table_exec *x, const struct table_read_stop *stop,
               struct buf *out, struct errbuf *eb);

/* Runs one read-only statement on a database of the caller's (the pg_catalog emulation, a
 * coordinator's gathered rows) — not a store — with the same output as table_run. Returns 0
 * (the outcome is in out) or ERR_NOMEM. */
int table_query_db(sqlite3 *db, const struct table_stmt *ts, struct buf *out);

/* table_run of an encoded EXEC (table_encode_exec's bytes). ERR_MALFORMED if
 * it does not decode. */
int table_run_encoded(struct store *s, const uint8_t *cmd, size_t len, bool tentative,
                      uint32_t loop_ms, struct buf *out, struct errbuf *eb);
/* table_read of an encoded EXEC. ERR_MALFORMED if it does not decode. */
int table_read_encoded(struct store *r, const uint8_t *cmd, size_t len,
                       const struct table_read_stop *stop, struct buf *out, struct errbuf *eb);

/* The store's schema version (the last SCHEMA applied), 0 if none. */
int table_schema_version(struct store *s, uint64_t *out, struct errbuf *eb);

/* Reading an output. */
struct table_output {
    uint8_t state;
    /* OK */
    uint32_t ncols;
    const uint8_t *cols;           /* ncols × (str name, str decltype) */
    const uint8_t *rows;           /* first row marker */
    size_t rows_len;
    uint64_t changes;
    uint64_t hash;
    /* ERROR */
    char sqlstate[6];
    char message[512];
    uint32_t failed_stmt;
    /* SCHEMA */
    uint64_t schema_version;
};
/* Parses the head and tail of an output. Returns 0 or ERR_MALFORMED. */
int table_output_parse(const uint8_t *p, size_t len, struct table_output *out);
/* Column i's name and SQLite declared type ("" if none); pointers into the output. */
int table_output_col(const struct table_output *o, uint32_t i, const char **name, uint32_t *name_len,
                     const char **decltype, uint32_t *decl_len);
/* Iterates the rows: *pos starts at 0; fills vals[ncols] (pointers into the
 * output) and returns 1, or 0 after the last row, or ERR_MALFORMED. */
int table_output_next_row(const struct table_output *o, size_t *pos, struct table_value *vals);

/* Writing an OK output (a coordinator's answer from rows it merged itself): the head with
 * ncols, then each column's name and declared type (NULL: ""), then the rows through a
 * writer, whose hash is the one table_run gives the same rows. */
void table_output_head(struct buf *out, uint32_t ncols);
void table_output_head_col(struct buf *out, const char *name, const char *decltype);
struct table_output_writer {
    struct buf *out;
    uint64_t hash;
};
void table_output_writer_init(struct table_output_writer *w, struct buf *out);
/* Returns 0 or ERR_NOMEM. */
int table_output_put_row(struct table_output_writer *w, const struct table_value *vals,
                         uint32_t ncols);
/* The end of the rows and the tail (no changes). Returns 0 or ERR_NOMEM. */
int table_output_finish(struct table_output_writer *w);

/* The hash a statement returning no rows that changed `changes` rows has: a
 * transaction can expect it without running the statement first. */
uint64_t table_hash_blind(uint64_t changes);

/* Binds v as parameter k (1-based) of st; text and blobs are not copied (SQLITE_STATIC). */
void table_bind_value(sqlite3_stmt *st, int k, const struct table_value *v);

/* Writes a value as its tagged encoding (for params and outputs). */
int table_value_put(struct buf *out, const struct table_value *v);

/* ---- Rows sent with a statement ----
 *
 * A coordinator that moves one table's rows to the replicasets holding another's (a join's
 * smaller side) binds them as one blob parameter: answers of table_run, each as a u32 length
 * and its bytes (table_rows_append). A statement reads them back as the eponymous virtual
 * table cairn_rows(blob), whose columns c0 .. c255 hold the answers' columns as they were sent
 * (storage class and bytes) and have no type: the statement casts them. */
#define TABLE_ROWS_COLUMNS_MAX 256

/* Appends one answer (table_output bytes) to blob. Returns 0, ERR_TOOBIG, ERR_NOMEM. */
int table_rows_append(struct buf *blob, const uint8_t *output, size_t len);
/* Registers cairn_rows on db (every store connection has it). Returns 0 or ERR_NOMEM. */
int table_rows_register(sqlite3 *db, struct errbuf *eb);

/* ---- Moving a bucket's rows (see Buckets above) ---- */

/* BUCKET_CLEAR and BUCKET_IMPORT of page (table_bucket_read's bytes, copied).
 * Return 0, ERR_INVAL (bucket >= STORE_BUCKET_COUNT_MAX, seq 0), ERR_TOOBIG (a
 * page past TABLE_BUCKET_PAGE_BYTES_MAX twice over), ERR_NOMEM. */
int table_encode_bucket_clear(struct buf *out, uint32_t bucket, struct errbuf *eb);
int table_encode_bucket_import(struct buf *out, uint32_t bucket, uint64_t seq, const uint8_t *page,
                               size_t page_len, struct errbuf *eb);

/* Appends to out the next page of bucket's rows in the sharded tables, in
 * (table name, rowid) order after the row (after_table, after_rowid) —
 * after_table "" for the first: rows of one table, about bytes_max bytes
 * (1..TABLE_BUCKET_PAGE_BYTES_MAX; at least one row). A page without rows says
 * the bucket has no more. Any handle. Page format: str table, i64 the last
 * row's rowid, u32 ncols, ncols × str column (the stored ones: not __bucket),
 * u32 nrows, nrows × ncols values. Returns 0, ERR_INVAL (bucket past the
 * store's count, bytes_max), ERR_UNSUPPORTED (a sharded table WITHOUT ROWID),
 * ERR_NOMEM, ERR_IO. */
int table_bucket_read(struct store *s, uint32_t bucket, const char *after_table, int64_t after_rowid,
                      size_t bytes_max, struct buf *out, struct errbuf *eb);

/* A page's head, to page on. Pointers into the page. */
struct table_bucket_page {
    const char *table; /* not terminated */
    uint32_t table_len;
    int64_t last_rowid;
    uint32_t ncols, nrows;
};
/* Returns 0 or ERR_MALFORMED. */
int table_bucket_page_parse(const uint8_t *p, size_t len, struct table_bucket_page *pg);

/* The triggers every sharded table (SQLite name table) gets with its CREATE
 * TABLE, so that its writes ask cairn_bucket_writable (Buckets, above):
 * statements appended to out, each preceded by "; ". Returns 0 or ERR_NOMEM. */
int table_bucket_triggers_sql(struct buf *out, const char *table);

/* Rows of bucket in the sharded tables (tests, checks). Returns 0, ERR_INVAL, ERR_IO. */
int table_bucket_count_rows(struct store *s, uint32_t bucket, uint64_t *count, struct errbuf *eb);

/* The bucket of a distribution key: kv_bucket over the canonical bytes of the
 * values (integers in decimal, reals as %.17g, text and blobs as they are,
 * each preceded by its type byte). Used by the coordinator to route and by
 * the cairn_bucket() SQL function behind every sharded table's __bucket. */
uint32_t table_bucket(const struct table_value *vals, uint32_t n, uint32_t bucket_count);

#endif
