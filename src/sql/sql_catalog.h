/* PostgreSQL's system catalogs (pg_catalog.*, information_schema.*) for Cairn's user tables, as a
 * private in-memory SQLite database in which psql's \d family and pgbench's start-up queries run.
 *
 * How a catalog statement runs: the executor sees (sql_catalog_is_catalog_ref on every table the
 * statement names) that it reads the catalogs, opens an in-memory SQLite database, calls
 * sql_catalog_build with a description of the user tables, prints the statement with
 * sql_catalog_map_table / sql_catalog_table_columns / sql_catalog_func_lookup as the printer's
 * callbacks and runs it there. Nothing in that database is ever written back.
 *
 * What the database holds (the PostgreSQL 15 columns of each relation, declared with the SQLite
 * types of docs/sql.md so that booleans print as t/f; oids are INT8; arrays, int2vector and
 * pg_node_tree are TEXT in PostgreSQL's text form, '{1,2}' and '1 2'):
 *   pg_class pg_namespace pg_attribute pg_type pg_index pg_constraint pg_attrdef pg_database
 *   pg_roles pg_authid pg_user pg_am pg_description pg_shdescription pg_inherits
 *   pg_partitioned_table pg_trigger pg_policy pg_statistic_ext pg_publication
 *   pg_publication_rel pg_publication_namespace pg_tablespace pg_settings pg_collation pg_proc
 *   pg_sequence pg_extension pg_rewrite pg_tables pg_indexes pg_views pg_stat_user_tables
 *   pg_foreign_table pg_depend
 * and information_schema's tables, columns, schemata, table_constraints, key_column_usage, views
 * as SQLite tables named information_schema_<name>. User tables live in schema public (oid
 * 2200), owned by the session's user (role oid 10); catalog relations keep PostgreSQL's oids.
 *
 * The catalog functions psql and pgbench call are registered under the SQLite names
 * sql_catalog_func_lookup returns: pg_table_is_visible, pg_type_is_visible, format_type,
 * pg_get_expr, pg_get_indexdef, pg_get_constraintdef, pg_get_userbyid, obj_description,
 * col_description, shobj_description, pg_encoding_to_char, array_to_string, array_position,
 * array_upper, array_lower, array_length, cardinality, pg_relation_size, pg_table_size,
 * pg_total_relation_size, pg_indexes_size, pg_size_pretty, current_schemas, current_schema,
 * has_table_privilege, has_schema_privilege, has_database_privilege, pg_get_partkeydef,
 * pg_relation_is_publishable, pg_get_statisticsobjdef_columns, pg_get_viewdef,
 * pg_get_triggerdef, pg_is_in_recovery, quote_ident, to_regclass, to_regtype; and unnest(array)
 * for FROM as the table-valued pgcat_unnest, whose one column is named value (the printer must
 * print `FROM unnest(a) x` so that a reference to x reads that column).
 * Casts to regclass, regtype, regnamespace, regproc, regrole, oid and name are handled by the
 * pg_cast this module registers over the function library's (see sql_catalog_build). */
#ifndef CAIRN_SQL_SQL_CATALOG_H
#define CAIRN_SQL_SQL_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/err.h"
#include "sql/sql.h"
#include "sql/sql_func.h"

/* PostgreSQL assigns user objects oids from here up (FirstNormalObjectId); the catalogs' own
 * objects are below it. Every oid given to sql_catalog_build must be at least this. */
#define SQL_CATALOG_OID_USER_MIN 16384u
/* Oids sql_catalog_build makes up itself (constraints, column defaults, primary-key indexes
 * whose oid the caller left 0) are taken from here up: keep the caller's oids below it. */
#define SQL_CATALOG_OID_SYNTH_MIN 0x70000000u
/* Bounds of one description, checked by sql_catalog_build (ERR_TOOBIG). */
#define SQL_CATALOG_TABLES_MAX        100000u
#define SQL_CATALOG_INDEX_COLUMNS_MAX 32u

/* One column of a user table. */
struct sql_catalog_column {
    const char *name;
    struct sql_type type;     /* as the CREATE TABLE wrote it (serial kept) */
    bool not_null;            /* NOT NULL written (primary-key and serial columns are NOT NULL
                               * whatever this says) */
    const char *default_text; /* PostgreSQL text of the DEFAULT expression, or NULL. A serial
                               * column without one shows nextval('<table>_<col>_seq'::regclass)
                               * as PostgreSQL does. */
};

/* An index of a user table (other than the primary key's, which is described by pk). */
struct sql_catalog_index {
    const char *name;
    uint32_t oid;
    bool unique;
    bool constraint; /* made by a UNIQUE constraint (psql: "UNIQUE CONSTRAINT", pg_constraint
                      * row of type 'u'); false for CREATE [UNIQUE] INDEX */
    uint32_t ncols;
    const uint32_t *cols; /* column indexes into the table's cols, 0-based, or
                           * SQL_CATALOG_INDEX_EXPR for an element that is an expression */
    /* Its elements as pg_get_indexdef shows them ("lower(e)", "a DESC", "(a + b)"), ncols of
     * them, for an index with more than ascending columns; NULL: the names of cols. */
    const char *const *elems;
    const char *where; /* a partial index's predicate as pg_get_indexdef shows it, or NULL */
};
/* sql_catalog_index.cols for an element that is an expression (pg_index.indkey 0). */
#define SQL_CATALOG_INDEX_EXPR UINT32_MAX

/* A CHECK constraint. */
struct sql_catalog_check {
    const char *name;
    const char *expr_text; /* PostgreSQL text of the expression, without CHECK and parentheses */
};

struct sql_catalog_table {
    const char *name; /* all user tables live in schema public */
    uint32_t oid;     /* stable per table, >= SQL_CATALOG_OID_USER_MIN, unique among all oids */
    uint32_t ncols;
    const struct sql_catalog_column *cols;
    uint32_t npk;
    const uint32_t *pk;  /* column indexes of the primary key, in key order */
    const char *pk_name; /* NULL: <table>_pkey */
    uint32_t pk_oid;     /* oid of the primary key's index (and constraint); 0: made up, which is
                          * stable only while the set of tables is the same */
    /* Distribution: validated but not shown (PostgreSQL's catalogs have no place for it). */
    bool global; /* DISTRIBUTED GLOBALLY */
    uint32_t ndist;
    const uint32_t *dist; /* DISTRIBUTED BY columns */
    uint32_t nindexes;
    const struct sql_catalog_index *indexes;
    uint32_t nchecks;
    const struct sql_catalog_check *checks;
};

/* Creates the catalog relations in db's main schema, fills them for the n tables t[] and
 * registers, on db, the function library (sql_func_register with env) and the catalog functions.
 * Names come from env->user (NULL: "postgres") and env->database (NULL: "cairn"), read now.
 * db should be a fresh in-memory database; the caller owns it and env (which must outlive db).
 * The catalog's pg_cast replaces the library's on db: it implements the catalog types itself and
 * hands every other cast to the library's pg_cast on a private connection that closes with db.
 * Returns 0, or:
 *   ERR_INVAL    a description that cannot be (column index out of range, oid below
 *                SQL_CATALOG_OID_USER_MIN, a name missing), with detail in eb
 *   ERR_TOOBIG   beyond SQL_CATALOG_TABLES_MAX or SQL_CATALOG_INDEX_COLUMNS_MAX
 *   ERR_NOMEM
 *   ERR_IO       SQLite refused a statement (detail in eb) */
int sql_catalog_build(sqlite3 *db, const struct sql_func_env *env,
                      const struct sql_catalog_table *t, uint32_t n, struct errbuf *eb);

/* Whether a table reference belongs to the catalogs: schema pg_catalog or information_schema
 * (any name: an unknown one then fails with 42P01 in the catalog database, as in PostgreSQL),
 * or no schema and a name of a pg_catalog relation (pg_catalog comes first in PostgreSQL's
 * search path, so an unqualified pg_class is always the catalog's). */
bool sql_catalog_is_catalog_ref(const char *schema, const char *name);

/* struct sql_print_opts.map_table for a catalog statement (ctx unused): the SQLite name of
 * pg_catalog.pg_class ("pg_class"), information_schema.tables ("information_schema_tables"),
 * unqualified pg_class...; NULL for anything else. The string is static. */
const char *sql_catalog_map_table(void *ctx, const char *schema, const char *name);

/* struct sql_print_opts.table_columns for a catalog statement (ctx unused): the columns of a
 * catalog relation in order. Returns 0, or -1 when it is not one. *cols is static. */
int sql_catalog_table_columns(void *ctx, const char *schema, const char *table,
                              const struct sql_table_column **cols, uint32_t *n);

/* struct sql_print_opts.func_lookup for a catalog statement: the SQLite name of a catalog
 * function (listed at the top), else sql_func_lookup's answer. The string is static. */
const char *sql_catalog_func_lookup(const char *name, int nargs, bool *is_aggregate);

/* Whether SELECT st over the catalogs certainly returns no rows, whatever the printer can do
 * with it: every branch reads, through inner joins (or the preserved side of an outer join), a
 * relation Cairn never fills (pg_policy, pg_statistic_ext, pg_publication*, pg_inherits,
 * pg_trigger, pg_description, ...) and has no aggregate that would make one row of none.
 * psql's \d TABLE sends several such queries in array syntax SQLite cannot run: the executor
 * may answer them with RowDescription (*ncols columns) and no rows without printing them.
 * False when unsure (WITH, a * in the targets, a function sql_catalog_func_lookup does not know).
 */
bool sql_catalog_result_is_empty(const struct sql_stmt *st, uint32_t *ncols);

/* PostgreSQL's format_type(type oid, typmod) for the type of a column: "integer",
 * "numeric(10,2)", "character varying(20)", "timestamp(3) without time zone", "integer[]"...
 * Appends to out; returns 0 or ERR_NOMEM. Exposed for the executor's own messages and tests. */
int sql_catalog_format_type(const struct sql_type *t, struct buf *out);

/* PostgreSQL's quote_ident: s in double quotes (inner ones doubled) unless it is a lower-case
 * identifier and not a keyword that PostgreSQL quotes. Appends to out; 0 or ERR_NOMEM. */
int sql_catalog_quote_ident(const char *s, struct buf *out);

/* The expression written at text[0..len) (a DEFAULT's, a CHECK's, an index element's, a partial
 * index's WHERE) as PostgreSQL's catalogs print one (pg_get_expr, pg_get_constraintdef with
 * pretty, pg_get_indexdef): its tokens one space apart but inside parentheses and brackets,
 * before commas, around '.' and '::', and after a sign; comments and line breaks gone; names
 * folded, quoted only where quote_ident would; keywords in upper case but true, false and
 * names of columns and types; strings in '...'. PostgreSQL prints its parsed tree back, so it
 * adds casts (0::numeric) and rewrites some forms (BETWEEN, IN) that this keeps as written.
 * rename_from, when not NULL: a name to write as rename_to wherever it stands as a name, not as
 * a function or after '::' (ALTER TABLE RENAME COLUMN on recorded texts).
 * Appends to out. Returns 0, ERR_MALFORMED (text does not lex, e.g. an unterminated string),
 * ERR_TOOBIG (over 4096 tokens) or ERR_NOMEM. */
int sql_catalog_expr_text(const char *text, size_t len, const char *rename_from,
                          const char *rename_to, struct buf *out);

#endif
