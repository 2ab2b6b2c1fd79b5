/* The SQL executor's internals, shared by its modules: sql_exec.c (sessions, routing, DML,
 * transactions, DDL, COPY), sql_gather.c (queries over several replicasets) and sql_pgcat.c
 * (statements over pg_catalog). Not for use outside src/node/sql_*.c. */
#ifndef CAIRN_NODE_SQL_EXEC_INT_H
#define CAIRN_NODE_SQL_EXEC_INT_H

#include <sqlite3.h>
#include <uv.h>

#include "base/buf.h"
#include "base/rng.h"
#include "model/cluster/cluster.h"
#include "model/table/table.h"
#include "node/readers.h"
#include "node/sql_exec.h"
#include "proto/pg/pg.h"
#include "sql/sql.h"
#include "sql/sql_func.h"

#define SQLX_TIMEOUT_MS 10000       /* one statement's deadline, retries included */
#define SQLX_CANCEL_RPC_MS 2000     /* a cancel sent to a node running the session's read */
#define SQLX_RETRY_MS 20            /* before retrying a schema or routing miss */
#define SQLX_TABLES_MAX 4096        /* tables in the catalog cache */
#define SQLX_TXN_STMTS_MAX TABLE_STMTS_MAX
#define SQLX_TXN_BYTES_MAX (64u << 20) /* statements a transaction may buffer */
#define SQLX_COPY_BATCH_ROWS 2000      /* COPY FROM rows per INSERT */
#define SQLX_COPY_BYTES_MAX (256u << 20)
#define SQLX_TABLE_PREFIX "t_"
#define SQLX_COMMIT_ENTRY_BYTES (3u << 20) /* statements of a transaction per log entry */
#define SQLX_GATHER_TABLES_MAX 16          /* tables one query over several replicasets reads */
#define SQLX_GATHER_COLUMNS_MAX 256        /* columns of a table it gathers */
#define SQLX_GATHER_BYTES_MAX (256u << 20) /* rows it may move to the coordinator */
/* Rows it may move on to the replicasets of a join's larger side: they travel in one request
 * (under NET_FRAME_BYTES_MAX); past it they are joined on the coordinator instead. */
#define SQLX_GATHER_MOVE_BYTES_MAX (8u << 20)
/* An INSERT split between replicasets sends each at most this many rows per write (one log
 * entry each, well under TABLE_SQL_BYTES_MAX for ordinary rows). */
#define SQLX_SPLIT_PART_ROWS 1000
/* SQLite's highest parameter number (SQLITE_MAX_VARIABLE_NUMBER as Debian builds it). */
#define SQLX_SQLITE_PARAMS_MAX 32766
/* Statements of one schema change tried on the rows (sqlx_ddl_propose_checked). */
#define SQLX_DDL_STATEMENTS_MAX 64
/* An UPDATE or DELETE that reads several replicasets names every row it changes, by key, in
 * one statement (sql_exec.c, sqlx_gwrite_start): bounded by its size, TABLE_SQL_BYTES_MAX, not
 * by a count of rows. The gathered keys and values are refused before the statement is made
 * past this many bytes (an integer takes 9 bytes there, and at least 2 in the statement). */
#define SQLX_GWRITE_ROWS_BYTES_MAX (4 * TABLE_SQL_BYTES_MAX)

struct sqlx_col {
    char name[SQL_IDENT_BYTES_MAX + 1];
    struct sql_type type;
    bool not_null;
    /* Its DEFAULT as SQLite SQL, NULL for none (in the catalog: malloc'd, the table's). */
    const char *default_sql;
    /* The same DEFAULT as PostgreSQL's catalogs show it (sql_catalog_expr_text); NULL for none,
     * or for a table made before definitions recorded it. Owned as default_sql is. */
    const char *default_text;
    /* The SQLite table's own DEFAULT is not default_sql (ALTER COLUMN SET / DROP DEFAULT):
     * INSERT and COPY give the column its DEFAULT themselves when it is left out. */
    bool default_stale;
    /* not_null is enforced by the index <sqlite name>_<column>_nn (sqlx_not_null_index), not
     * by the SQLite column: ALTER COLUMN DROP NOT NULL can drop it. */
    bool nn_index;
};

/* A CHECK constraint: its name (the one written, or the one PostgreSQL would give it:
 * sqlx_check_name), its text for the catalogs (sql_catalog_expr_text; malloc'd, the table's
 * in the catalog), and the column it was written on, -1 for a table constraint (a column's
 * CHECKs go when it is dropped, as SQLite drops them). */
struct sqlx_check {
    char name[SQL_IDENT_BYTES_MAX + 1];
    char *text;
    int32_t col;
    /* added by ALTER TABLE: enforced by the index <sqlite name>_<name>_ck, which DROP
     * CONSTRAINT can drop (one made with the table is SQLite's own) */
    bool indexed;
};

/* A CREATE INDEX's columns as the table's definition records them ("ixd"); not known for an
 * index of expressions, or one made before definitions recorded them. A UNIQUE constraint is
 * listed among the indexes too (constraint), under the name PostgreSQL gives it. */
#define SQLX_INDEX_COLS_MAX 16
/* sqlx_ixdef.cols for an element that is an expression */
#define SQLX_INDEX_EXPR UINT32_MAX
/* Between the elements of sqlx_ixdef.elems (the unit separator: not in a normalized text) */
#define SQLX_INDEX_ELEM_SEP '\x1f'
#define SQLX_INDEX_ELEM_SEP_STR "\x1f"
struct sqlx_ixdef {
    bool known;
    bool unique;
    bool constraint;
    /* a UNIQUE constraint added by ALTER TABLE: its index is <sqlite name>_<name>, which DROP
     * CONSTRAINT can drop (one made with the table is SQLite's own) */
    bool added;
    uint32_t ncols;
    uint32_t cols[SQLX_INDEX_COLS_MAX]; /* column positions, or SQLX_INDEX_EXPR */
    /* For an index of more than ascending columns: its elements as pg_get_indexdef shows them,
     * joined by SQLX_INDEX_ELEM_SEP, and its WHERE's text (NULL for none). Owned by the
     * catalog's table; copies of an ixdef borrow them. */
    char *elems;
    char *where;
};

struct sqlx_table {
    char name[SQL_IDENT_BYTES_MAX + 1];
    char sqlite_name[SQL_IDENT_BYTES_MAX + 8];
    bool global;
    uint32_t ncols;
    struct sqlx_col *cols;
    struct sql_table_column *print_cols;
    uint32_t ndist;
    uint32_t dist[16];
    uint32_t npk;
    uint32_t pk[16]; /* primary key columns, in key order */
    bool defaults_known; /* the definition records the DEFAULTs (tables made since it does) */
    char **indexes;      /* its CREATE INDEXes' and UNIQUE constraints' names (malloc'd) */
    uint32_t nindexes;
    struct sqlx_ixdef *ixdefs; /* what each of them indexes (nindexes of them), for pg_catalog */
    struct sqlx_check *checks; /* its named CHECKs (none for tables made before they were) */
    uint32_t nchecks;
};

struct sqlx_catalog {
    uint64_t version;    /* schema version it was read at */
    uint64_t checked_at; /* the governor replica's applied index when the version was read */
    bool loaded;
    uint32_t n;
    struct sqlx_table *t;
    bool any_sharded;
};

#define SQLX_GATHERED_MOVED 3
#define SQLX_GATHERED_KINDS 4

struct sql_exec {
    struct node *n;
    struct pg_server *srv;
    struct sqlx_catalog cat;
    struct rng rng;
    uint64_t sessions; /* sessions started: the last one's token */
    /* sql_pgcat.c: the catalog database, for this schema version and user */
    sqlite3 *pgcat;
    uint64_t pgcat_version;
    char pgcat_user[64];
    struct sql_func_env pgcat_env; /* registered on pgcat: lives as long */
    /* sql_gather.c: queries over several replicasets answered, by plan (enum sqlx_gplan_kind,
     * then SQLX_GATHERED_MOVED), and the bytes of rows moved to a join's larger side */
    uint64_t gathers[SQLX_GATHERED_KINDS];
    uint64_t gathers_moved_bytes;
    uint64_t gathers_merged; /* JOINED plans whose sorted rows were merged (sqlx_gmerge) */
    /* Reads that outlasted their turn on the loop, run again on the reader threads; NULL once
     * the server stops. */
    struct reader_pool *readers;
    uint64_t long_reads;
    uint64_t next_run_id;         /* names a read sent to another node, to cancel it */
    struct sqlx_rpc *rpcs;        /* reads other nodes asked for, still running here */
};

enum sqlx_txn {
    SQLX_IDLE,
    SQLX_BLOCK,
    SQLX_FAILED,
};

/* A statement of an open transaction: what COMMIT proposes again. */
struct sqlx_txn_stmt {
    char *sql;
    uint32_t sql_len;
    struct table_value *params;
    uint32_t n_params;
    struct buf param_bytes; /* text and blob bytes the params point into */
    uint64_t hash;
    bool write;
    /* A read of a transaction that had not written yet ran as any read does (off the loop
     * when long): how long it took, since a later write makes COMMIT run it again at apply. */
    uint32_t read_ms;
};

struct sqlx_savepoint {
    char name[SQL_IDENT_BYTES_MAX + 1];
    uint32_t n_stmts;
    uint64_t txn_group;
    size_t txn_bytes;
};

struct sqlx_session {
    struct sql_exec *x;
    struct pg_conn *c;
    uint64_t token; /* unique on this node: table_exec.session of its transaction's runs */
    enum sqlx_txn txn;
    uint64_t txn_group; /* 0 until the transaction's first statement picked one */
    int64_t txn_now_us;
    uint64_t txn_seed;
    /* Transaction characteristics (sql_txn_modes.c): the session's defaults, and the open
     * block's; txn_queried once the block has run a statement (its level is then fixed). */
    enum sql_isolation iso_default, txn_iso;
    bool read_only_default, txn_read_only;
    bool txn_queried;
    /* now() of the runs being started, when not 0: a gathered statement's, so that every
     * replicaset computes the one now() a statement has (sql_gather.c) */
    int64_t run_now_us;
    /* The place in the transaction of the runs' first statement: its random() draws from
     * txn_seed + place, in every run of it (a read alone, a tentative run, a part of COMMIT). */
    uint32_t run_stmt_at;
    struct sqlx_txn_stmt *stmts;
    uint32_t n_stmts, cap_stmts;
    size_t txn_bytes;
    /* SAVEPOINTs of the open transaction, oldest first: what the transaction was when each was
     * set (ROLLBACK TO drops the statements since). */
    struct sqlx_savepoint *savepoints;
    uint32_t n_savepoints, cap_savepoints;
    /* The request being served. */
    struct sql_parsed parsed;
    uint32_t next; /* next statement of parsed */
    bool in_query;
    struct pg_portal *portal; /* extended: the portal being executed */
    const struct pg_value *params;
    uint32_t n_params;
    uint64_t deadline_ms;
    bool cancelled;
    struct sqlx_run *runs_out; /* sent to other nodes, not answered yet */
    atomic_bool cancel_now; /* cancelled, for a read running off the loop (sqlx_long_read) */
    uint32_t statement_timeout_ms; /* SET statement_timeout; 0: none (TABLE_READ_MS_MAX) */
    bool stmt_failed; /* the current statement sent an error */
    /* COPY FROM */
    bool copying;
    struct sqlx_copy *copy;
    uint32_t commit_next, commit_parts; /* COMMIT of a transaction larger than one entry */
    /* a schema change waiting on retry_timer: for the replicasets to apply it, or (a DROP of
     * several tables) for this node's catalog to have the last one */
    struct sqlx_ddl *ddl_barrier;
    uv_timer_t retry_timer;
    bool timer_open;
    /* A write run in every replicaset, each on the buckets the map places there: the buckets
     * whose part is applied, so that a replanned retry does not apply them twice (bucket_count
     * bits, kept until the statement is done; NULL when none). */
    uint8_t *buckets_done;
    /* The bucket a key pinned the current statement to (its run carries it as its bucket
     * set, so a replicaset that no longer has it refuses instead of finding no row); -1. */
    int64_t route_bucket;
    bool route_share; /* the single replicaset with buckets got it, with its share as the set */
};

/* A request to run statements on a group: a read, a tentative run or a write. */
struct sqlx_run {
    struct sqlx_session *s;
    uint64_t group;
    struct table_exec x;
    struct table_stmt *stmts;
    bool tentative, write;
    /* Sent to another node and not answered yet: in the session's runs_out, so that a cancel
     * reaches it there (NODE_RPC_SQL_CANCEL with run_id). */
    uint64_t run_id, rpc_to;
    struct sqlx_run *out_prev, *out_next;
    bool in_out; /* on runs_out */
    struct buf sql; /* the statements' text, owned */
    struct buf req; /* the encoded request (RPC) or command (write) */
    struct buf out; /* the output */
    uint32_t attempt;
    struct buf buckets; /* TABLE_EXEC_BUCKETS: the bucket set, owned */
    void (*done)(struct sqlx_run *r, int err);
    void *arg;
};

struct sqlx_print_ctx {
    struct sqlx_catalog *cat;
    const char *creating;      /* CREATE TABLE: the new table's name */
    char creating_sqlite[SQL_IDENT_BYTES_MAX + 8];
};

/* ---- sql_tabledef.c ---- */

/* Reads the governor's definition of a table (sql_tabledef.c says what it holds) into t.
 * Returns 0, ERR_CORRUPT or ERR_NOMEM; t is then to free either way. */
int sqlx_table_from_def(struct sqlx_table *t, const struct cluster_table *ct);
void sqlx_table_free(struct sqlx_table *t);
/* The definition of t for a table called name (t->name is not read: a rename writes the
 * new one), NUL-terminated, appended to out. */
void sqlx_def_write(struct buf *out, const struct sqlx_table *t, const char *name);
/* The name PostgreSQL gives a CHECK over e of table: table_col_check when e names one column,
 * else table_check; check1, check2... in place of check while one of taken[0..ntaken) has it. */
void sqlx_check_name(const char *table, const struct sql_expr *e, const struct sqlx_check *taken,
                     uint32_t ntaken, char out[SQL_IDENT_BYTES_MAX + 1]);
/* The text for the catalogs (sql_catalog_expr_text) of st's bytes [loc, end): malloc'd, into
 * *out. Returns 0, ERR_INVAL (no such bytes), ERR_MALFORMED, ERR_TOOBIG or ERR_NOMEM. */
int sqlx_expr_text(const struct sql_stmt *st, int loc, int end, char **out);
/* Appends CHECK c of st (CREATE or ALTER TABLE on table), written on column col (-1: a table
 * constraint), to checks[*n] (room for it is the caller's), named as written or by
 * sqlx_check_name among checks[0..*n), with its text. Returns 0, ERR_EXISTS (the name written
 * is taken: 42710), or sqlx_expr_text's errors. */
int sqlx_check_add(const struct sql_stmt *st, const char *table, const struct sql_constraint *c,
                   int32_t col, struct sqlx_check *checks, uint32_t *n);
/* *text (malloc'd) with the name from written as to (ALTER TABLE RENAME COLUMN); left as it
 * was if that cannot be done (out of memory). */
void sqlx_text_rename(char **text, const char *from, const char *to);
/* Whether a catalog text names column name (true, too, when that cannot be told). */
bool sqlx_text_names(const char *text, const char *name);
/* Makes x's texts its own copies (of the catalog's), to free. */
void sqlx_ixdef_own(struct sqlx_ixdef *x);
/* sqlx_text_rename on each of x's element texts and its WHERE (owned: sqlx_ixdef_own). */
void sqlx_ixdef_rename(struct sqlx_ixdef *x, const char *from, const char *to);
/* The CHECKs of CREATE TABLE st, in the order the printer meets them (sql_print_opts.
 * check_names): *out malloc'd (its texts too, to free), *n of them. Errors as sqlx_check_add. */
int sqlx_create_checks(const struct sql_stmt *st, struct sqlx_check **out, uint32_t *n);

/* ---- sql_exec.c ---- */

/* Wall-clock time for now(): fixed by the coordinator, never read at apply. */
int64_t sqlx_now_us(void);
/* The catalog as of the local governor replica, reloaded when its schema version moved. */
struct sqlx_catalog *sqlx_catalog(struct sql_exec *x);
/* A user table by name (schema NULL or public), or NULL. */
struct sqlx_table *sqlx_table_find(struct sqlx_catalog *c, const char *schema, const char *name);
/* Starts a run of stmts on group (a read, a tentative run or a write); done gets it back, to
 * free with sqlx_run_free. The statements' text is copied; their params must live until done. */
struct sqlx_run *sqlx_run_start(struct sqlx_session *s, uint64_t group, bool write,
                                bool tentative, const struct table_stmt *stmts, uint32_t n,
                                uint8_t flags, void (*done)(struct sqlx_run *, int), void *arg);
void sqlx_run_free(struct sqlx_run *r);
/* Answers with an OK output: RowDescription (unless a portal runs), DataRows, the tag. */
int sqlx_send_rows(struct sqlx_session *s, const struct table_output *o,
                   const struct sql_out_column *hints, uint32_t n_hints, const char *tag,
                   bool rows_wanted);
/* Answers with an output that is not OK, as the error it carries. */
void sqlx_send_output_error(struct sqlx_session *s, const struct table_output *o);
/* Answers with an error code of ours (timeouts, unavailable groups...). */
void sqlx_send_err(struct sqlx_session *s, int err, const char *what);
/* Whether a statement of the open block has written (after any ROLLBACK TO). */
bool sqlx_txn_wrote(const struct sqlx_session *s);
/* The current statement failed (its error is sent): fails the transaction block too. */
void sqlx_failed(struct sqlx_session *s);
/* The current statement is answered: on to the next one. */
void sqlx_statement_done(struct sqlx_session *s);
/* A schema or routing miss: the statement runs again shortly, planned anew. */
void sqlx_retry_statement(struct sqlx_session *s);
/* Printer options for a session's statement over the user tables. */
void sqlx_print_opts(struct sql_print_opts *o, struct sqlx_print_ctx *ctx,
                     struct sqlx_session *s);
/* The session's bound parameters as table values (text); malloc'd, NULL when none. */
struct table_value *sqlx_params(struct sqlx_session *s, uint32_t *n);

/* ---- sql_gather.c ---- */

/* Runs SELECT st, which reads rows of several replicasets, by gathering them here; printed is
 * st printed for the user tables, taken over. Answers the client and ends the statement. */
void sqlx_gather_start(struct sqlx_session *s, const struct sql_stmt *st,
                       struct sql_printed *printed);
/* Where a gathered SELECT's rows go instead of the client: called once, with the result (an OK
 * table output, to read before returning; the statement is then the callback's to finish), or
 * with NULL when the gather answered the client itself (an error, or the statement planned
 * again): the callback then only frees what it holds. */
/* AST nodes made by the executor, in a statement's arena (NULL when it is full): a name
 * printed from fmt with n ("__g%u"), and a column reference qual.name (qual NULL: name). */
char *sqlx_arena_name(struct sql_arena *a, const char *fmt, unsigned n);
struct sql_expr *sqlx_col_ref(struct sql_arena *a, const char *qual, const char *name);

typedef void (*sqlx_gather_into_fn)(struct sqlx_session *s, void *arg, const struct buf *rows);
/* sqlx_gather_start, the rows to into. st must live until into is called. */
void sqlx_gather_into(struct sqlx_session *s, const struct sql_stmt *st,
                      struct sql_printed *printed, sqlx_gather_into_fn into, void *arg);
/* EXPLAIN's lines for a gathered SELECT, through line(). */
void sqlx_gather_explain(struct sqlx_session *s, const struct sql_stmt *st,
                         void (*line)(struct sqlx_session *s, const char *text));

/* ---- sql_pgcat.c ---- */

/* Whether SELECT st reads pg_catalog or information_schema. */
bool sqlx_pgcat_wants(const struct sql_stmt *st);
/* Answers st from the catalog database and ends the statement. */
void sqlx_pgcat_run(struct sqlx_session *s, const struct sql_stmt *st);
void sqlx_pgcat_free(struct sql_exec *x);

/* ---- sql_txn_modes.c ---- */

/* The startup packet's defaults (default_transaction_isolation, default_transaction_read_only,
 * as parameters or in options "-c name=value"). false: a value is not one (FATAL sent). */
bool sqlx_txn_modes_startup(struct sqlx_session *s);
/* BEGIN with modes m (SQL_ISO_DEFAULT and 0: the session's defaults). */
void sqlx_txn_modes_begin(struct sqlx_session *s, const struct sql_txn_modes *m);
/* SET / RESET of the transaction characteristics (SET TRANSACTION, SET SESSION
 * CHARACTERISTICS, [default_]transaction_isolation, [default_]transaction_read_only):
 * false when st is none of them. *ok false: refused, the error sent. RESET ALL resets the
 * defaults and returns false, for the rest of RESET ALL. */
bool sqlx_txn_modes_set(struct sqlx_session *s, const struct sql_stmt *st, bool *ok);
/* SHOW's value for one of those names, NULL for any other. */
const char *sqlx_txn_modes_show(const struct sqlx_session *s, const char *name);
/* Before each statement st of a block: notes that the block has run a query (its level is then
 * fixed); true when the block is READ ONLY and st writes (25006 sent: st is refused). */
bool sqlx_txn_modes_before(struct sqlx_session *s, const struct sql_stmt *st);
/* Whether the open block is READ COMMITTED (or READ UNCOMMITTED). */
bool sqlx_txn_reads_committed(const struct sqlx_session *s);
/* Whether SELECT st, routed to group (spans: to several replicasets), runs as a statement of
 * its own rather than as one of the open block: a read of a READ COMMITTED block that does not
 * lock, before the block writes or of a replicaset other than the one it writes in. */
bool sqlx_txn_reads_alone(const struct sqlx_session *s, const struct sql_stmt *st,
                          uint64_t group, bool spans);

#endif
