/* The table model: the SQL tables of a replicaset (or of the governor, for
 * tables distributed globally), changed only by replicated statements that
 * every replica executes at apply, in log order (docs/sql.md says why).
 *
 * Commands. STORE_MODEL_TABLE (u8), an op (u8), then its fields; integers
 * little-endian, strings and blobs as uvarint length + bytes:
 *
 *   op  command  fields
 *   1   EXEC     u64 schema_version, i64 now_us, u64 seed, u8 flags, u32 n,
 *                n × (str sql, u32 n_params, params, u64 expect_hash)
 *   2   SCHEMA   u64 version, str sql (may be empty: the change is for
 *                another kind of group)
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
    TABLE_EXEC_VALIDATE = 1, /* compare every statement's result hash with expect_hash */
};

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
 * ERR_IO. */
int table_run(struct store *s, const struct table_exec *x, bool tentative, struct buf *out,
              struct errbuf *eb);

/* Runs one read-only statement on a database of the caller's (the pg_catalog emulation, a
 * coordinator's gathered rows) — not a store — with the same output as table_run. Returns 0
 * (the outcome is in out) or ERR_NOMEM. */
int table_query_db(sqlite3 *db, const struct table_stmt *ts, struct buf *out);

/* table_run of an encoded EXEC (table_encode_exec's bytes). ERR_MALFORMED if
 * it does not decode. */
int table_run_encoded(struct store *s, const uint8_t *cmd, size_t len, bool tentative,
                      struct buf *out, struct errbuf *eb);

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

/* The hash a statement returning no rows that changed `changes` rows has: a
 * transaction can expect it without running the statement first. */
uint64_t table_hash_blind(uint64_t changes);

/* Binds v as parameter k (1-based) of st; text and blobs are not copied (SQLITE_STATIC). */
void table_bind_value(sqlite3_stmt *st, int k, const struct table_value *v);

/* Writes a value as its tagged encoding (for params and outputs). */
int table_value_put(struct buf *out, const struct table_value *v);

/* The bucket of a distribution key: kv_bucket over the canonical bytes of the
 * values (integers in decimal, reals as %.17g, text and blobs as they are,
 * each preceded by its type byte). Used by the coordinator to route and by
 * the cairn_bucket() SQL function behind every sharded table's __bucket. */
uint32_t table_bucket(const struct table_value *vals, uint32_t n, uint32_t bucket_count);

#endif
