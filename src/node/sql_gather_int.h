/* The plan of a SELECT over several replicasets, shared by its planner (sql_gather_plan.c) and
 * its runner (sql_gather.c): what every replicaset runs, and what this node runs over the rows
 * they return. Not for use outside src/node/sql_gather*.c. */
#ifndef CAIRN_NODE_SQL_GATHER_INT_H
#define CAIRN_NODE_SQL_GATHER_INT_H

#include "node/sql_exec_int.h"

#define SQLX_GATHER_KEYS_MAX 32 /* GROUP BY expressions a partial aggregate may have */
#define SQLX_GATHER_AGGS_MAX 64 /* aggregate calls a partial aggregate may combine */
/* Columns of the partial rows: a key each, a state per aggregate (avg has two). */
#define SQLX_GATHER_PARTIAL_COLUMNS_MAX (SQLX_GATHER_KEYS_MAX + 2 * SQLX_GATHER_AGGS_MAX)
_Static_assert(SQLX_GATHER_PARTIAL_COLUMNS_MAX <= SQLX_GATHER_COLUMNS_MAX,
               "a source returns at most SQLX_GATHER_COLUMNS_MAX columns");

enum sqlx_gplan_kind {
    /* Every table's rows (filtered, projected, limited where the query allows) are fetched
     * here, and the query runs here over them as printed. */
    SQLX_GPLAN_ROWS,
    /* Every replicaset aggregates its rows per group into partial states; this node combines
     * them per group (plan.combine), then runs plan.final over the groups. */
    SQLX_GPLAN_PARTIAL,
    /* The tables are joined on their distribution keys (sql_gather_plan.c): every replicaset
     * runs the join and returns its result rows into __rows; this node runs plan.final over
     * them (sorts, DISTINCT, LIMIT). */
    SQLX_GPLAN_JOINED,
};

_Static_assert(SQLX_GPLAN_JOINED < SQLX_GATHERED_MOVED, "sql_exec.gathers counts by plan kind");

/* One statement every replicaset holding a table runs, and the table here that receives the
 * rows it returns. */
struct sqlx_gsource {
    const struct sqlx_table *t;
    struct sql_printed sql; /* what the replicasets run */
    char name[SQL_IDENT_BYTES_MAX + 8]; /* the table here: t's SQLite name, or "__partial" */
    struct buf create;      /* CREATE TABLE name (...) with the declared types, NUL-terminated */
    uint32_t ncols;         /* columns sql returns, in create's order */
    bool filtered;          /* the query's WHERE runs at the source */
    uint64_t limit;         /* > 0: each replicaset returns at most this many rows */
    bool all_cols;          /* ROWS: every column of t is fetched */
    bool want[SQLX_GATHER_COLUMNS_MAX]; /* ROWS: which columns of t are fetched */
    /* ROWS: the fetched rows read back where they are moved (sqlx_gplan.moved), as a common
     * table expression named like t that hides t there, up to its parameter's number:
     *   "t"("a", "b") AS MATERIALIZED (SELECT CAST(c0 AS INT8), ... FROM cairn_rows(?
     * Made only for a join whose rows may move (gp_plan_moves); empty when t's cannot. */
    struct buf cte;
    /* ROWS: the SQLite affinity each fetched column has ('i', 'r', 't', 'b'): a value of
     * another storage class would not survive the CAST, and the rows are then not moved. */
    char affinity[SQLX_GATHER_COLUMNS_MAX];
};

/* JOINED, when the query keeps the replicasets' rows as they are (a LIMIT and OFFSET, if any,
 * constant; DISTINCT only when its ORDER BY covers every result column, so that equal rows
 * come together): each replicaset returns its rows sorted by the query's ORDER BY, and this
 * node merges them in that order (sql_gather_merge.c) instead of sorting them all again,
 * dropping a row equal to the one before it under DISTINCT. Without ORDER BY it takes them
 * as they come. */
struct sqlx_gmerge_key {
    uint32_t col; /* the column of the source's rows sorted by */
    bool desc;
    bool nulls_first;
    bool numeric; /* text compares by the pg_numeric collation, else by its bytes */
};

struct sqlx_gmerge {
    bool on;
    bool distinct;  /* every key a result column, every result column a key */
    uint32_t ncols; /* the result's: the first columns of the source's rows */
    uint32_t nkeys;
    struct sqlx_gmerge_key key[SQLX_GATHER_COLUMNS_MAX];
    uint64_t offset;
    uint64_t limit; /* UINT64_MAX: none */
};

struct sqlx_gplan {
    enum sqlx_gplan_kind kind;
    struct sqlx_gsource src[SQLX_GATHER_TABLES_MAX];
    uint32_t nsrc;
    /* PARTIAL */
    uint32_t nkeys, naggs;
    struct buf groups;        /* CREATE TABLE __groups (...), NUL-terminated */
    struct buf combine;       /* INSERT INTO __groups SELECT ... FROM __partial GROUP BY ...:
                                 no parameters, NUL-terminated */
    struct sql_printed final; /* the query over __groups (JOINED: __rows); its result is the
                                 answer */
    struct sqlx_gmerge merge; /* JOINED: final's work done by merging instead */
    uint32_t joined;          /* JOINED: the tables joined (1: one table's rows) */
    /* ROWS of a join not on the distribution keys: for each source i that may stay where it
     * is (sharded, read once, never the NULL side of an outer join), the plan its replicasets
     * run once the other sources' rows are moved to them — PARTIAL or JOINED with src[0]
     * reading i, the others hidden by their cte. NULL where i may not stay. The runner
     * decides from row counts whether to move (sql_gather.c). */
    struct sqlx_gplan *moved[SQLX_GATHER_TABLES_MAX];
};

/* Plans SELECT st (printed: st printed for the user tables, whose result columns name the
 * answer's). Every plan it can make is exact: a query it cannot push anything of is planned
 * as fetched rows. Returns 0, or an error with err filled (54000 too many tables or columns,
 * a printing error, 53200). Release p with sqlx_gplan_free either way. */
int sqlx_gplan_build(struct sqlx_session *s, const struct sql_stmt *st,
                     const struct sql_printed *printed, struct sqlx_gplan *p,
                     struct sql_error *err);
void sqlx_gplan_free(struct sqlx_gplan *p);

/* Merges the answers of a merged plan's source (outs[0..n), table_output bytes with the
 * source's columns, each sorted by m's keys) as m says into out, an output of m->ncols
 * columns named by cols. Returns 0; ERR_PROTO for a malformed answer, ERR_TOOBIG past
 * TABLE_OUTPUT_BYTES_MAX (why says which); ERR_NOMEM. */
int sqlx_gather_merge(const struct sqlx_gmerge *m, const struct buf *const *outs, uint32_t n,
                      const struct sql_out_column *cols, struct buf *out, char *why,
                      size_t why_cap);

#endif
