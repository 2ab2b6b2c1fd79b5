/* PostgreSQL-dialect SQL for Cairn: the lexer and parser (text → AST), the printer (AST → the
 * SQLite SQL a replicaset runs) and the questions the router asks of a statement. See docs/sql.md.
 *
 * Memory: every node, list and string of a parse lives in one arena owned by struct sql_parsed;
 * sql_parsed_free releases all of it at once. Nothing in the AST is freed on its own.
 * Positions: `loc` fields are byte offsets into the parsed text (-1: none); errors carry the
 * 1-based *character* position PostgreSQL puts in ErrorResponse's 'P' field (sql_position). */
#ifndef CAIRN_SQL_SQL_H
#define CAIRN_SQL_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* ---- Bounds ---- */

/* One query string (all of its ';'-separated statements). */
#define SQL_TEXT_BYTES_MAX (4u * 1024 * 1024)
/* Nesting of the parse: parenthesized expressions, subqueries, and every link of an operator
 * chain (a + b + c is three levels). Past it: 54001. Parsing and every walk over the AST recurse
 * once per level, so this bounds their stack use. */
#define SQL_DEPTH_MAX 1000
/* Identifiers longer than NAMEDATALEN - 1 bytes are truncated, as PostgreSQL does. */
#define SQL_IDENT_BYTES_MAX 63
/* Items in any one list: select targets, VALUES rows, IN lists, arguments... */
#define SQL_LIST_ITEMS_MAX 100000
/* Columns in CREATE TABLE (PostgreSQL's MaxHeapAttributeNumber). */
#define SQL_COLUMNS_MAX 1600
/* Statements in one query string. */
#define SQL_STMTS_MAX 10000
/* The highest parameter number $n (the protocol counts parameters in an Int16). */
#define SQL_PARAM_MAX 65535
/* Memory of one parse (AST and strings). Past it: 54000. */
#define SQL_ARENA_BYTES_MAX (256u * 1024 * 1024)
/* Text the printer may produce for one statement. Past it: 54000. */
#define SQL_PRINT_BYTES_MAX (64u * 1024 * 1024)
/* Parts of a dotted name: catalog.schema.table.column. */
#define SQL_NAME_PARTS_MAX 4

/* ---- Errors ---- */

/* What went wrong, shaped for PostgreSQL's ErrorResponse. */
struct sql_error {
    char sqlstate[6];  /* five characters and a NUL: "42601" */
    char message[256]; /* PostgreSQL's wording where there is one: syntax error at or near "x" */
    int position;      /* 1-based character position in the query string; 0: none */
};

/* The 1-based character (not byte) position of byte offset loc in text, for error positions. */
int sql_position(const char *text, size_t len, int loc);

/* ---- Types ---- */

enum sql_type_kind {
    SQL_TYPE_UNKNOWN = 0, /* not known from the text alone */
    SQL_TYPE_BOOL,
    SQL_TYPE_INT2,
    SQL_TYPE_INT4,
    SQL_TYPE_INT8,
    SQL_TYPE_FLOAT4,
    SQL_TYPE_FLOAT8,
    SQL_TYPE_NUMERIC, /* mod1 precision, mod2 scale */
    SQL_TYPE_TEXT,
    SQL_TYPE_VARCHAR, /* mod1 length */
    SQL_TYPE_BPCHAR,  /* mod1 length; CHAR without one is char(1), bpchar without one is -1 */
    SQL_TYPE_BYTEA,
    SQL_TYPE_DATE,
    SQL_TYPE_TIME, /* mod1 fractional-second precision (also for the three below) */
    SQL_TYPE_TIMETZ,
    SQL_TYPE_TIMESTAMP,
    SQL_TYPE_TIMESTAMPTZ,
    SQL_TYPE_INTERVAL, /* fields (INTERVAL DAY TO SECOND) kept in interval_fields */
    SQL_TYPE_JSON,
    SQL_TYPE_JSONB,
    SQL_TYPE_UUID,
    SQL_TYPE_OTHER, /* any other name (regclass, oid, name, a user type...): see name */
};

/* A type name normalized: `character varying(10)` and `varchar(10)` are the same. */
struct sql_type {
    enum sql_type_kind kind;
    int32_t mod1, mod2; /* type modifiers as listed with the kinds; -1 when absent */
    uint8_t array_dims; /* int[] → 1 */
    bool serial;        /* SERIAL / BIGSERIAL / SMALLSERIAL (kind INT4 / INT8 / INT2) */
    const char *schema; /* as written (pg_catalog.int4), or NULL */
    const char *name;   /* SQL_TYPE_OTHER: the name, lower-cased unless quoted; else NULL */
    const char *interval_fields; /* SQL_TYPE_INTERVAL: "day", "day to second"...; else NULL */
    int loc;
};

/* Appends the normalized text of t: int4, numeric, numeric(10,2), varchar(5), bpchar(1), bool,
 * timestamp, timestamp(3), int4[]... (the type argument of pg_cast). Returns 0 or ERR_NOMEM. */
int sql_type_format(const struct sql_type *t, struct buf *out);
/* PostgreSQL's name for a kind as FigureColname uses it for a cast (int4, float8, varchar...). */
const char *sql_type_kind_name(enum sql_type_kind k);
/* Whether name (lower-cased, unqualified) is one of PostgreSQL 15's built-in types: a
 * SQL_TYPE_OTHER that is not is a type that does not exist (42704), one that is, a type Cairn
 * does not support yet (0A000). */
bool sql_type_is_builtin(const char *name);

/* ---- Expressions ---- */

struct sql_expr;
struct sql_select;
struct sql_stmt;
struct sql_arena;

struct sql_exprs {
    uint32_t n;
    struct sql_expr **v;
};

/* Identifiers: unquoted ones are folded to lower case; all are NUL-terminated and at most
 * SQL_IDENT_BYTES_MAX bytes. */
struct sql_names {
    uint32_t n;
    const char **v;
};

/* A possibly qualified object name: [catalog.][schema.]name. */
struct sql_qname {
    const char *catalog; /* NULL unless three parts were written */
    const char *schema;  /* NULL unless written */
    const char *name;
    int loc;
};

struct sql_qnames {
    uint32_t n;
    struct sql_qname *v;
};

enum sql_expr_kind {
    SQL_E_CONST,     /* literal: .konst */
    SQL_E_COLUMN,    /* a, t.a, s.t.a, t.*, *: .column */
    SQL_E_PARAM,     /* $n: .param */
    SQL_E_UNARY,     /* prefix operator: .unary */
    SQL_E_BINARY,    /* infix operator: .binary */
    SQL_E_AND,       /* n-ary, n >= 2: .list */
    SQL_E_OR,        /* n-ary, n >= 2: .list */
    SQL_E_NOT,       /* .unary.arg */
    SQL_E_IS,        /* x IS [NOT] NULL/TRUE/FALSE/UNKNOWN: .is */
    SQL_E_BETWEEN,   /* .between */
    SQL_E_IN,        /* x [NOT] IN (list) or (subquery): .in */
    SQL_E_LIKE,      /* [NOT] LIKE / ILIKE / SIMILAR TO [ESCAPE]: .like */
    SQL_E_QUANTIFIED, /* x op ANY|SOME|ALL (subquery or array): .quant */
    SQL_E_SUBLINK,   /* EXISTS (q), (q), ARRAY(q): .sublink */
    SQL_E_CAST,      /* CAST(x AS t), x::t, typed literal DATE '...': .cast */
    SQL_E_CASE,      /* .kase */
    SQL_E_FUNC,      /* f(...), aggregates, window calls and special syntax: .func */
    SQL_E_SVF,       /* CURRENT_DATE, CURRENT_USER...: .svf */
    SQL_E_ROW,       /* ROW(a, b) or (a, b): .list */
    SQL_E_ARRAY,     /* ARRAY[a, b]: .list */
    SQL_E_SUBSCRIPT, /* x[i] or x[i:j]: .subscript */
    SQL_E_COLLATE,   /* x COLLATE name: .collate */
    SQL_E_DEFAULT,   /* DEFAULT in VALUES or UPDATE SET */
};

enum sql_const_kind {
    SQL_CONST_INT,     /* fits int64: .ival, and .text as written (after folding a minus) */
    SQL_CONST_NUMERIC, /* 1.5, 1e10, or an integer beyond int64: .text */
    SQL_CONST_STRING,  /* .text (escapes decoded, UTF-8, no NUL), .len */
    SQL_CONST_BITS,    /* B'0101' / X'1F': .text as written without quotes and prefix */
    SQL_CONST_BOOL,    /* .bval */
    SQL_CONST_NULL,
};

enum sql_op {
    SQL_OP_ADD,
    SQL_OP_SUB,
    SQL_OP_MUL,
    SQL_OP_DIV,
    SQL_OP_MOD,
    SQL_OP_POW,    /* ^ */
    SQL_OP_CONCAT, /* || */
    SQL_OP_EQ,
    SQL_OP_NE, /* <> and != */
    SQL_OP_LT,
    SQL_OP_LE,
    SQL_OP_GT,
    SQL_OP_GE,
    SQL_OP_DISTINCT,     /* IS DISTINCT FROM */
    SQL_OP_NOT_DISTINCT, /* IS NOT DISTINCT FROM */
    SQL_OP_REGEX,        /* ~ */
    SQL_OP_NREGEX,       /* !~ */
    SQL_OP_IREGEX,       /* ~* */
    SQL_OP_NIREGEX,      /* !~* */
    SQL_OP_BITAND,       /* & */
    SQL_OP_BITOR,        /* | */
    SQL_OP_BITXOR,       /* # */
    SQL_OP_SHL,          /* << */
    SQL_OP_SHR,          /* >> */
    SQL_OP_AT_TIME_ZONE, /* x AT TIME ZONE z */
    SQL_OP_NEG,          /* unary - (a minus on a numeric literal is folded into it) */
    SQL_OP_PLUS,         /* unary + */
    SQL_OP_BITNOT,       /* unary ~ */
    SQL_OP_OTHER,        /* any other operator: its text in op_name (@>, ->>, |/ ...) */
};

enum sql_is_test {
    SQL_IS_NULL,
    SQL_IS_NOT_NULL,
    SQL_IS_TRUE,
    SQL_IS_NOT_TRUE,
    SQL_IS_FALSE,
    SQL_IS_NOT_FALSE,
    SQL_IS_UNKNOWN,
    SQL_IS_NOT_UNKNOWN,
};

enum sql_like_kind { SQL_LIKE, SQL_ILIKE, SQL_SIMILAR };

enum sql_sublink_kind { SQL_SUBLINK_EXISTS, SQL_SUBLINK_EXPR, SQL_SUBLINK_ARRAY };

enum sql_cast_style {
    SQL_CAST_FUNC,    /* CAST(x AS t) */
    SQL_CAST_COLONS,  /* x::t */
    SQL_CAST_LITERAL, /* DATE '2024-01-02': arg is a string constant */
};

/* How a SQL_E_FUNC was written: special syntax is parsed into an ordinary call whose name and
 * argument order are PostgreSQL's (EXTRACT(f FROM x) → extract('f', x); POSITION(a IN b) →
 * position(b, a); SUBSTRING(x FROM a FOR b) → substring(x, a, b); TRIM(LEADING c FROM x) →
 * ltrim(x, c); OVERLAY(a PLACING b FROM c FOR d) → overlay(a, b, c, d)). */
enum sql_func_form {
    SQL_FUNC_PLAIN,
    SQL_FUNC_EXTRACT,
    SQL_FUNC_POSITION,
    SQL_FUNC_SUBSTRING,
    SQL_FUNC_TRIM,
    SQL_FUNC_OVERLAY,
    SQL_FUNC_COALESCE, /* the keyword forms, which PostgreSQL names by keyword */
    SQL_FUNC_NULLIF,
    SQL_FUNC_GREATEST,
    SQL_FUNC_LEAST,
};

enum sql_svf {
    SQL_SVF_CURRENT_DATE,
    SQL_SVF_CURRENT_TIME,
    SQL_SVF_CURRENT_TIMESTAMP,
    SQL_SVF_LOCALTIME,
    SQL_SVF_LOCALTIMESTAMP,
    SQL_SVF_CURRENT_ROLE,
    SQL_SVF_CURRENT_USER,
    SQL_SVF_USER,
    SQL_SVF_SESSION_USER,
    SQL_SVF_CURRENT_CATALOG,
    SQL_SVF_CURRENT_SCHEMA,
};

enum sql_sort_dir { SQL_SORT_DEFAULT, SQL_SORT_ASC, SQL_SORT_DESC };
enum sql_nulls_order { SQL_NULLS_DEFAULT, SQL_NULLS_FIRST, SQL_NULLS_LAST };

struct sql_sort {
    struct sql_expr *expr;
    enum sql_sort_dir dir;
    enum sql_nulls_order nulls;
};

struct sql_sorts {
    uint32_t n;
    struct sql_sort *v;
};

enum sql_frame_mode { SQL_FRAME_NONE, SQL_FRAME_ROWS, SQL_FRAME_RANGE, SQL_FRAME_GROUPS };
enum sql_frame_bound_kind {
    SQL_BOUND_UNBOUNDED_PRECEDING,
    SQL_BOUND_PRECEDING, /* offset */
    SQL_BOUND_CURRENT_ROW,
    SQL_BOUND_FOLLOWING, /* offset */
    SQL_BOUND_UNBOUNDED_FOLLOWING,
};
enum sql_frame_exclude {
    SQL_EXCLUDE_NONE, /* not written (same as EXCLUDE NO OTHERS) */
    SQL_EXCLUDE_CURRENT_ROW,
    SQL_EXCLUDE_GROUP,
    SQL_EXCLUDE_TIES,
};

struct sql_frame_bound {
    enum sql_frame_bound_kind kind;
    struct sql_expr *offset;
};

/* OVER (...) or WINDOW w AS (...). */
struct sql_window {
    const char *ref; /* OVER w, or OVER (w ORDER BY ...): the named window; else NULL */
    struct sql_exprs partition_by;
    struct sql_sorts order_by;
    enum sql_frame_mode frame;
    bool frame_between; /* BETWEEN start AND end; else only start was written */
    struct sql_frame_bound start, end;
    enum sql_frame_exclude exclude;
    int loc;
};

struct sql_when {
    struct sql_expr *cond; /* for CASE x WHEN v: the value v */
    struct sql_expr *result;
};

struct sql_expr {
    enum sql_expr_kind kind;
    int loc;
    union {
        struct {
            enum sql_const_kind kind;
            const char *text;
            size_t len;
            int64_t ival;
            bool bval;
        } konst;
        struct {
            uint32_t nparts;                        /* 1..4 name parts (without the star) */
            const char *parts[SQL_NAME_PARTS_MAX]; /* parts[nparts-1] is the column */
            bool star;                             /* t.* (nparts >= 1) or * (nparts == 0) */
        } column;
        struct {
            int number; /* 1..SQL_PARAM_MAX */
        } param;
        struct {
            enum sql_op op; /* NEG, PLUS, BITNOT or OTHER; for SQL_E_NOT unused */
            const char *op_name;
            struct sql_expr *arg;
        } unary;
        struct {
            enum sql_op op;
            const char *op_name;   /* the operator as written (OTHER: the only source) */
            const char *op_schema; /* OPERATOR(pg_catalog.~): "pg_catalog"; else NULL */
            struct sql_expr *left, *right;
        } binary;
        struct sql_exprs list; /* AND, OR, ROW, ARRAY */
        struct {
            enum sql_is_test test;
            struct sql_expr *arg;
        } is;
        struct {
            bool negated, symmetric;
            struct sql_expr *arg, *low, *high;
        } between;
        struct {
            bool negated;
            struct sql_expr *arg;
            struct sql_exprs list;      /* when subquery is NULL */
            struct sql_select *subquery; /* x IN (SELECT ...) */
        } in;
        struct {
            enum sql_like_kind kind;
            bool negated;
            struct sql_expr *arg, *pattern, *escape; /* escape may be NULL */
        } like;
        struct {
            enum sql_op op; /* a comparison, or OTHER with op_name */
            const char *op_name;
            bool all;                /* ALL; else ANY / SOME */
            struct sql_expr *left;
            struct sql_select *subquery; /* either this */
            struct sql_expr *array;      /* or this */
        } quant;
        struct {
            enum sql_sublink_kind kind;
            struct sql_select *subquery;
        } sublink;
        struct {
            enum sql_cast_style style;
            struct sql_expr *arg;
            struct sql_type type;
        } cast;
        struct {
            struct sql_expr *arg; /* CASE arg WHEN ...; NULL for the searched form */
            uint32_t nwhens;
            struct sql_when *whens;
            struct sql_expr *else_result; /* NULL when absent */
        } kase;
        struct {
            struct sql_qname name; /* lower-cased unless quoted; schema kept (pg_catalog) */
            enum sql_func_form form;
            struct sql_exprs args;
            bool star;     /* count(*) */
            bool distinct; /* count(DISTINCT x) */
            bool variadic;
            struct sql_sorts agg_order;  /* string_agg(x, ',' ORDER BY y) */
            bool within_group;           /* the order came as WITHIN GROUP (ORDER BY ...) */
            struct sql_expr *filter;     /* FILTER (WHERE ...) */
            struct sql_window *over;     /* OVER ...: a window call */
        } func;
        struct {
            enum sql_svf kind;
            int precision; /* CURRENT_TIMESTAMP(3); -1 when absent */
        } svf;
        struct {
            struct sql_expr *arg;
            struct sql_expr *lower, *upper; /* x[lower] when !slice; x[lower:upper] may omit */
            bool slice;
        } subscript;
        struct {
            struct sql_expr *arg;
            struct sql_qname collation; /* "C", pg_catalog.default ... */
        } collate;
    };
};

/* ---- SELECT ---- */

struct sql_target {
    struct sql_expr *expr; /* SQL_E_COLUMN with star for * and t.* */
    const char *alias;     /* AS name (or a bare label); NULL when not written */
    int loc;
};

struct sql_targets {
    uint32_t n;
    struct sql_target *v;
};

struct sql_alias {
    const char *name;      /* NULL: no alias */
    struct sql_names cols; /* AS t(a, b) */
};

enum sql_from_kind { SQL_FROM_TABLE, SQL_FROM_SUBQUERY, SQL_FROM_FUNC, SQL_FROM_JOIN };
enum sql_join_kind { SQL_JOIN_INNER, SQL_JOIN_LEFT, SQL_JOIN_RIGHT, SQL_JOIN_FULL, SQL_JOIN_CROSS };

struct sql_from {
    enum sql_from_kind kind;
    int loc;
    struct sql_alias alias;
    bool lateral; /* SUBQUERY, FUNC */
    bool only;    /* TABLE: ONLY t */
    union {
        struct sql_qname table;      /* TABLE */
        struct sql_select *subquery; /* SUBQUERY (also (VALUES ...)) */
        struct sql_expr *func;       /* FUNC: an SQL_E_FUNC, generate_series(1, 3) */
        struct {
            enum sql_join_kind kind;
            bool natural;
            struct sql_from *left, *right;
            struct sql_expr *on;    /* ON; NULL for CROSS, NATURAL and USING */
            struct sql_names using; /* USING (a, b) */
        } join;
    };
};

struct sql_froms {
    uint32_t n;
    struct sql_from **v;
};

struct sql_cte {
    const char *name;
    struct sql_names cols;
    struct sql_stmt *query; /* SELECT, or INSERT/UPDATE/DELETE ... RETURNING */
    int materialized;       /* -1 NOT MATERIALIZED, 0 not written, 1 MATERIALIZED */
    int loc;
};

struct sql_with {
    bool recursive;
    uint32_t n;
    struct sql_cte *v;
};

struct sql_window_def {
    const char *name;
    struct sql_window *spec;
};

struct sql_window_defs {
    uint32_t n;
    struct sql_window_def *v;
};

struct sql_rows {
    uint32_t n;
    struct sql_exprs *v; /* every row has the same number of items (checked: 42601) */
};

enum sql_select_kind { SQL_SELECT_PLAIN, SQL_SELECT_VALUES, SQL_SELECT_SETOP };
enum sql_setop { SQL_SETOP_UNION, SQL_SETOP_INTERSECT, SQL_SETOP_EXCEPT };

/* A query expression. ORDER BY / LIMIT / OFFSET / WITH belong to the node they were written
 * on: on the SETOP node for `SELECT 1 UNION SELECT 2 ORDER BY 1`. */
struct sql_select {
    enum sql_select_kind kind;
    int loc;
    struct sql_with *with; /* NULL when absent */
    /* PLAIN */
    bool distinct;
    struct sql_exprs distinct_on; /* DISTINCT ON (...) (distinct is also set) */
    struct sql_targets targets;
    struct sql_froms from;
    struct sql_expr *where;
    struct sql_exprs group_by; /* an SQL_CONST_INT is an output column number, as written */
    struct sql_expr *having;
    struct sql_window_defs windows;
    /* VALUES */
    struct sql_rows values;
    /* SETOP */
    enum sql_setop op;
    bool all;
    struct sql_select *left, *right;
    /* any kind */
    struct sql_sorts order_by;
    struct sql_expr *limit;  /* LIMIT n / FETCH FIRST n ROWS ONLY; NULL for none or ALL */
    struct sql_expr *offset; /* NULL when absent */
    bool locking;            /* FOR UPDATE / SHARE ...: accepted, ignored */
};

/* ---- Statements ---- */

struct sql_set_clause {
    struct sql_names cols; /* one column, or (a, b) = ... */
    struct sql_expr *value; /* for several columns: a ROW, a subquery sublink, or DEFAULT */
    int loc;
};

struct sql_set_clauses {
    uint32_t n;
    struct sql_set_clause *v;
};

struct sql_on_conflict {
    struct sql_sorts target;    /* (a, b) or index expressions; n == 0 when not written */
    struct sql_expr *target_where;
    const char *constraint;     /* ON CONFLICT ON CONSTRAINT name */
    bool do_update;             /* else DO NOTHING */
    struct sql_set_clauses set; /* DO UPDATE SET ... (EXCLUDED.col is a column ref) */
    struct sql_expr *where;
    int loc;
};

struct sql_insert {
    struct sql_with *with;
    struct sql_qname table;
    const char *alias;
    struct sql_names cols; /* n == 0: the table's columns in order */
    /* The rows: a VALUES select for INSERT ... VALUES, any select for INSERT ... SELECT,
     * NULL for DEFAULT VALUES. */
    struct sql_select *select;
    struct sql_on_conflict *on_conflict; /* NULL when absent */
    struct sql_targets returning;
};

struct sql_update {
    struct sql_with *with;
    struct sql_qname table;
    const char *alias;
    bool only;
    struct sql_set_clauses set;
    struct sql_froms from;
    struct sql_expr *where;
    struct sql_targets returning;
};

struct sql_delete {
    struct sql_with *with;
    struct sql_qname table;
    const char *alias;
    bool only;
    struct sql_froms using;
    struct sql_expr *where;
    struct sql_targets returning;
};

enum sql_constraint_kind {
    SQL_CON_NOT_NULL,
    SQL_CON_NULL,
    SQL_CON_DEFAULT,
    SQL_CON_PRIMARY_KEY,
    SQL_CON_UNIQUE,
    SQL_CON_CHECK,
    SQL_CON_FOREIGN_KEY, /* REFERENCES: parsed and kept, not enforced */
    SQL_CON_GENERATED,   /* GENERATED ALWAYS AS (expr) STORED */
    SQL_CON_IDENTITY,    /* GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY */
};

struct sql_constraint {
    enum sql_constraint_kind kind;
    const char *name; /* CONSTRAINT name; NULL when not written */
    int loc;
    struct sql_names cols;     /* table constraints: PRIMARY KEY / UNIQUE / FOREIGN KEY (cols) */
    struct sql_expr *expr;     /* CHECK, DEFAULT, GENERATED */
    int expr_loc, expr_end;    /* expr's bytes in the query string (its text for the catalogs) */
    struct sql_qname ref_table; /* FOREIGN KEY */
    struct sql_names ref_cols;
};

struct sql_constraints {
    uint32_t n;
    struct sql_constraint *v;
};

struct sql_column_def {
    const char *name;
    struct sql_type type;
    int loc;
    struct sql_constraints constraints; /* as written, in order */
    /* Summary of constraints, for convenience: */
    bool not_null;            /* NOT NULL written (PRIMARY KEY implies it but does not set it) */
    bool primary_key;         /* PRIMARY KEY on this column */
    bool unique;              /* UNIQUE on this column */
    struct sql_expr *default_expr; /* NULL when absent */
    struct sql_qname collation;    /* COLLATE x; name NULL when absent */
};

struct sql_column_defs {
    uint32_t n;
    struct sql_column_def *v;
};

/* name = value pairs of WITH (...) options, EXPLAIN (...) and COPY (...). value is the text of
 * the value as written (a string's contents, a number, a keyword lower-cased) or NULL. */
struct sql_option {
    const char *name;
    const char *value;
    struct sql_names list; /* COPY's FORCE_QUOTE (a, b) style values */
    bool star;             /* FORCE_QUOTE * */
    int loc;
};

struct sql_options {
    uint32_t n;
    struct sql_option *v;
};

enum sql_distribution {
    SQL_DIST_DEFAULT, /* not written: the executor chooses (the primary key) */
    SQL_DIST_BY,      /* DISTRIBUTED BY (cols) */
    SQL_DIST_GLOBALLY /* DISTRIBUTED GLOBALLY: a copy on every replicaset */
};

struct sql_create_table {
    struct sql_qname table;
    bool if_not_exists;
    bool temporary, unlogged;
    struct sql_column_defs columns;
    struct sql_constraints constraints; /* table constraints */
    struct sql_options with;            /* WITH (fillfactor = 100) */
    enum sql_distribution distribution;
    struct sql_names distributed_by;
    /* CREATE TABLE t [(cols)] AS SELECT ... [WITH [NO] DATA]: columns holds only names. */
    struct sql_select *as_select;
    bool with_no_data;
};

enum sql_alter_kind {
    SQL_ALTER_ADD_COLUMN,      /* .column, .if_not_exists */
    SQL_ALTER_DROP_COLUMN,     /* .name, .if_exists, .cascade */
    SQL_ALTER_ADD_CONSTRAINT,  /* .constraint */
    SQL_ALTER_DROP_CONSTRAINT, /* .name, .if_exists, .cascade */
    SQL_ALTER_SET_DEFAULT,     /* .name, .expr */
    SQL_ALTER_DROP_DEFAULT,    /* .name */
    SQL_ALTER_SET_NOT_NULL,    /* .name */
    SQL_ALTER_DROP_NOT_NULL,   /* .name */
    SQL_ALTER_TYPE,            /* .name, .type, .expr (USING) */
    SQL_ALTER_RENAME_TABLE,    /* .new_name */
    SQL_ALTER_RENAME_COLUMN,   /* .name, .new_name */
    SQL_ALTER_RENAME_CONSTRAINT, /* .name, .new_name */
};

struct sql_alter_cmd {
    enum sql_alter_kind kind;
    int loc;
    bool if_exists, if_not_exists, cascade;
    const char *name;
    const char *new_name;
    struct sql_column_def *column;
    struct sql_constraint *constraint;
    struct sql_expr *expr;
    int expr_loc, expr_end; /* SET DEFAULT: expr's bytes in the query string */
    struct sql_type type;
};

struct sql_alter_table {
    struct sql_qname table;
    bool if_exists, only;
    uint32_t ncmds;
    struct sql_alter_cmd *cmds;
};

struct sql_index_elem {
    const char *column; /* a plain column; else NULL and expr is set */
    struct sql_expr *expr;
    struct sql_qname collation;
    const char *opclass;
    enum sql_sort_dir dir;
    enum sql_nulls_order nulls;
    int loc;      /* where the element starts in the query string */
    int expr_end; /* where its column or expression ends (before COLLATE, ASC, NULLS...) */
};

struct sql_create_index {
    bool unique, if_not_exists, concurrently;
    const char *name; /* NULL: not written */
    struct sql_qname table;
    bool only;
    const char *method; /* USING btree; NULL when absent */
    uint32_t nelems;
    struct sql_index_elem *elems;
    struct sql_names include;
    struct sql_options with;
    struct sql_expr *where; /* partial index */
    int where_loc, where_end; /* where's bytes in the query string */
};

/* DROP TABLE, DROP INDEX, TRUNCATE. */
struct sql_drop {
    struct sql_qnames names;
    bool if_exists, cascade, concurrently;
    bool restart_identity; /* TRUNCATE ... RESTART IDENTITY */
};

enum sql_isolation {
    SQL_ISO_DEFAULT,
    SQL_ISO_READ_UNCOMMITTED,
    SQL_ISO_READ_COMMITTED,
    SQL_ISO_REPEATABLE_READ,
    SQL_ISO_SERIALIZABLE,
};

struct sql_txn_modes {
    enum sql_isolation isolation;
    int read_only;  /* -1 READ WRITE, 0 not written, 1 READ ONLY */
    int deferrable; /* -1 NOT DEFERRABLE, 0 not written, 1 DEFERRABLE */
};

/* BEGIN / START TRANSACTION, COMMIT / END, ROLLBACK / ABORT, SAVEPOINT, RELEASE, ROLLBACK TO. */
struct sql_txn {
    struct sql_txn_modes modes;
    const char *savepoint;
    bool chain; /* AND CHAIN */
    bool start; /* written START TRANSACTION (the command tag says so), not BEGIN */
};

enum sql_set_kind {
    SQL_SET_VALUE,   /* SET name TO value[, value...] */
    SQL_SET_DEFAULT, /* SET name TO DEFAULT */
    SQL_SET_TRANSACTION, /* SET TRANSACTION modes: .modes */
    SQL_SET_SESSION_CHARACTERISTICS, /* SET SESSION CHARACTERISTICS AS TRANSACTION modes */
};

/* SET / RESET / SHOW. name is lower-cased and may be dotted (myapp.x); SET TIME ZONE is
 * timezone, SET NAMES is client_encoding, SHOW TRANSACTION ISOLATION LEVEL is
 * transaction_isolation; RESET ALL and SHOW ALL have name "all". */
struct sql_set {
    enum sql_set_kind kind;
    bool local; /* SET LOCAL */
    const char *name;
    struct sql_names values; /* as written: strings without quotes, numbers, words lower-cased */
    struct sql_txn_modes modes;
};

struct sql_explain {
    bool analyze, verbose;
    struct sql_options options; /* EXPLAIN (ANALYZE, COSTS OFF ...) as written */
    struct sql_stmt *stmt;
};

enum sql_copy_format { SQL_COPY_TEXT, SQL_COPY_CSV, SQL_COPY_BINARY };
enum sql_copy_target { SQL_COPY_STDIO, SQL_COPY_FILE, SQL_COPY_PROGRAM };

struct sql_copy {
    struct sql_qname table; /* name NULL when query is set */
    struct sql_names cols;
    struct sql_select *query; /* COPY (SELECT ...) TO */
    bool is_from;             /* COPY ... FROM (into the table); else TO */
    enum sql_copy_target target;
    const char *filename; /* FILE / PROGRAM */
    struct sql_options options; /* as written, both syntaxes, names lower-cased */
    /* Normalized from options (unknown names give 42601 option "x" not recognized): */
    enum sql_copy_format format;
    bool header, freeze;
    const char *delimiter; /* NULL: the format's default */
    const char *null_string;
    const char *quote, *escape, *encoding;
    struct sql_expr *where; /* COPY FROM ... WHERE */
};

/* VACUUM / ANALYZE. */
struct sql_maintenance {
    struct sql_qnames tables;
    bool full, freeze, verbose, analyze;
};

enum sql_discard { SQL_DISCARD_ALL, SQL_DISCARD_PLANS, SQL_DISCARD_SEQUENCES, SQL_DISCARD_TEMP };

#define SQL_STMT_KINDS(X)                                                                          \
    X(SELECT, "SELECT")                                                                            \
    X(INSERT, "INSERT")                                                                            \
    X(UPDATE, "UPDATE")                                                                            \
    X(DELETE, "DELETE")                                                                            \
    X(CREATE_TABLE, "CREATE TABLE")                                                                \
    X(DROP_TABLE, "DROP TABLE")                                                                    \
    X(TRUNCATE, "TRUNCATE TABLE")                                                                  \
    X(ALTER_TABLE, "ALTER TABLE")                                                                  \
    X(CREATE_INDEX, "CREATE INDEX")                                                                \
    X(DROP_INDEX, "DROP INDEX")                                                                    \
    X(BEGIN, "BEGIN")                                                                              \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")                                                                        \
    X(SAVEPOINT, "SAVEPOINT")                                                                      \
    X(RELEASE, "RELEASE")                                                                          \
    X(ROLLBACK_TO, "ROLLBACK")                                                                     \
    X(SET, "SET")                                                                                  \
    X(RESET, "RESET")                                                                              \
    X(SHOW, "SHOW")                                                                                \
    X(EXPLAIN, "EXPLAIN")                                                                          \
    X(COPY, "COPY")                                                                                \
    X(VACUUM, "VACUUM")                                                                            \
    X(ANALYZE, "ANALYZE")                                                                          \
    X(DISCARD, "DISCARD")                                                                          \
    X(DEALLOCATE, "DEALLOCATE")

enum sql_stmt_kind {
#define SQL_STMT_ENUM(name, tag) SQL_STMT_##name,
    SQL_STMT_KINDS(SQL_STMT_ENUM)
#undef SQL_STMT_ENUM
};

/* PostgreSQL's command tag word(s) for a kind ("SELECT", "CREATE TABLE"...), without counts. */
const char *sql_stmt_kind_tag(enum sql_stmt_kind k);

struct sql_stmt {
    enum sql_stmt_kind kind;
    int loc, len;  /* the statement's bytes in the query string, without the ';' */
    int param_max; /* the highest $n referenced anywhere in it; 0 when none */
    struct sql_arena *arena;
    const char *text; /* the whole query string (a copy in the arena, NUL-terminated) */
    size_t text_len;
    union {
        struct sql_select *select; /* SELECT (also VALUES, set operations, WITH ... SELECT) */
        struct sql_insert *insert;
        struct sql_update *update;
        struct sql_delete *del;
        struct sql_create_table *create_table;
        struct sql_alter_table *alter_table;
        struct sql_create_index *create_index;
        struct sql_drop *drop; /* DROP_TABLE, DROP_INDEX, TRUNCATE */
        struct sql_txn *txn;   /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK_TO */
        struct sql_set *set;   /* SET, RESET, SHOW */
        struct sql_explain *explain;
        struct sql_copy *copy;
        struct sql_maintenance *maintenance; /* VACUUM, ANALYZE */
        enum sql_discard discard;
        const char *deallocate; /* DEALLOCATE name; NULL for ALL */
    };
};

/* ---- Parsing ---- */

/* A parsed query string: its statements in order. An empty string (or only ';' and comments)
 * has n == 0, which PostgreSQL answers with EmptyQueryResponse. */
struct sql_parsed {
    uint32_t n;
    struct sql_stmt **stmts;
    struct sql_arena *arena; /* owns everything above */
};

/* Parses text[0..len) (need not be NUL-terminated; must be UTF-8 without NUL bytes). On success
 * fills *out (release with sql_parsed_free) and returns 0. On failure *out is empty, err is
 * filled and the return is one of:
 *   ERR_MALFORMED   42601 syntax errors (also unterminated strings, comments, identifiers),
 *                   22021 invalid UTF-8 or NUL (also from E'' escapes), 22025 bad escapes,
 *                   42P02 $0 or $n beyond SQL_PARAM_MAX
 *   ERR_UNSUPPORTED 0A000 a valid PostgreSQL statement Cairn does not parse (GRANT, CREATE VIEW...)
 *   ERR_TOOBIG      54001 nesting beyond SQL_DEPTH_MAX, 54000 other bounds (text, list items,
 *                   columns, statements, arena)
 *   ERR_NOMEM       53200 */
int sql_parse(const char *text, size_t len, struct sql_parsed *out, struct sql_error *err);
/* Parses one expression on its own (a stored DEFAULT or CHECK): *expr lives in out's arena. */
int sql_parse_expr(const char *text, size_t len, struct sql_parsed *out, struct sql_expr **expr,
                   struct sql_error *err);
/* Releases everything of a parse; safe on a zeroed or already freed struct. */
void sql_parsed_free(struct sql_parsed *p);

/* Allocates n zeroed bytes in the statement's arena (for callers that extend an AST). Returns
 * NULL when out of memory or past SQL_ARENA_BYTES_MAX. */
void *sql_arena_alloc(struct sql_arena *a, size_t n);

/* ---- Printing to SQLite ---- */

/* A column of a user table as the executor's catalog knows it. */
struct sql_table_column {
    const char *name;
    struct sql_type type;
    /* Its DEFAULT as SQLite SQL (sql_print_expr of the expression; NULL: none), printed for
     * DEFAULT in INSERT ... VALUES and UPDATE ... SET. default_known false: the catalog does not
     * say (such a DEFAULT is refused with 0A000). */
    const char *default_sql;
    bool default_known;
    /* The SQLite table's own DEFAULT for it is not default_sql (ALTER COLUMN SET or DROP
     * DEFAULT changed it): an INSERT that leaves the column out is printed with it and
     * default_sql (NULL: NULL) as its value. */
    bool default_stale;
    bool pk; /* a column of the table's primary key (for grouping's functional dependency) */
};

struct sql_print_opts {
    void *ctx; /* passed to the callbacks */
    /* The SQLite name of the table schema.name (schema NULL when not written), also for the
     * table a CREATE TABLE creates. NULL: no such table (the printer reports 42P01 at the
     * reference). The string must stay valid until sql_print returns. Callback NULL: the name
     * is printed as written. */
    const char *(*map_table)(void *ctx, const char *schema, const char *name);
    /* The same for index names (CREATE INDEX, DROP INDEX). NULL: printed as written. */
    const char *(*map_index)(void *ctx, const char *schema, const char *name);
    /* The user-visible columns of a table in order, for expanding * and RETURNING *, for the
     * column list of INSERT without one, and for assignment casts of inserted and updated
     * values. Returns 0, or -1 when the table is unknown (42P01). *cols must stay valid until
     * sql_print returns. Callback NULL: * is printed as *, no assignment casts. */
    int (*table_columns)(void *ctx, const char *schema, const char *table,
                         const struct sql_table_column **cols, uint32_t *n);
    /* The function library's lookup; NULL: sql_func_lookup (tests substitute their own). */
    const char *(*func_lookup)(const char *name, int nargs, bool *is_aggregate);
    /* CREATE TABLE: print the replicaset's table (declared types of docs/sql.md). */
    bool replicaset_create;
    /* Appended as the last column definition of a replicaset CREATE TABLE (the hidden
     * "__bucket" column); NULL for none. */
    const char *extra_column_def;
    /* CREATE TABLE: the names of its CHECK constraints, printed as CONSTRAINT "name" CHECK
     * (...) so that SQLite's errors name them; in the order the printer meets them (each
     * column's, in column order, then the table constraints'). NULL: printed without names. */
    const char *const *check_names;
    /* Printed as a string literal for CURRENT_USER, SESSION_USER, USER, CURRENT_ROLE; NULL:
     * they are printed as calls of the function library (current_user()...). */
    const char *current_user;
    /* 0: literals are printed inline. Else the integer, numeric and string literals of WHERE
     * clauses, UPDATE/ON CONFLICT SET values and INSERT VALUES rows (at most
     * SQL_LITERAL_PARAMS_MAX) are printed as parameters ?from, ?from+1, ... and listed in the
     * output's lits, so that statements differing only in such values print the same text and
     * a statement cache serves them all. Literals anywhere else (select lists, ORDER BY and
     * GROUP BY positions, LIMIT, window frames, ON CONFLICT targets) stay inline. */
    uint32_t literal_params_from;
    /* Refuse (42803) a column of a grouped query neither grouped nor aggregated nor of a table
     * whose primary key is grouped, where the FROM items' columns are known (table_columns). */
    bool check_grouping;
};

#define SQL_LITERAL_PARAMS_MAX 64
#define SQL_GROUP_LEAVES_MAX 16 /* tables of a grouped query judged for 42803 */

/* A literal printed as a parameter (literal_params_from). */
struct sql_literal {
    bool is_int;      /* ival; else text/len: a string's bytes, or a numeric as written */
    int64_t ival;
    const char *text; /* in the statement's arena */
    size_t len;
};

/* A result column of a SELECT or RETURNING: named as PostgreSQL names it. */
struct sql_out_column {
    const char *name;      /* alias, column name, function name, ?column?, case, ... */
    struct sql_type type;  /* what the AST shows (cast target, literal, operator); else UNKNOWN */
    const char *table;     /* a plain column reference: the table's name as written, else NULL */
    const char *column;    /* ... and the column's */
};

struct sql_printed {
    struct buf sql;               /* the SQLite statement, NUL-terminated; caller buf_frees */
    uint32_t ncols;               /* result columns (SELECT, VALUES, RETURNING); 0 otherwise */
    struct sql_out_column *cols;  /* in the statement's arena */
    bool has_star;                /* a * was printed unexpanded: names are SQLite's for those */
    struct sql_literal *lits;     /* literals printed as parameters, in number order (malloc'd) */
    uint32_t n_lits;
};

/* Renders one statement as SQLite SQL (docs/sql.md, "The printer's rewrites"). Kinds rendered:
 * SELECT, INSERT, UPDATE, DELETE, CREATE TABLE (replicaset_create), CREATE INDEX, DROP INDEX;
 * the others are the executor's and give ERR_UNSUPPORTED. Every result column is aliased with
 * its PostgreSQL name. On failure out->sql is freed and err is filled:
 *   ERR_NOTFOUND    42P01 unknown table (map_table / table_columns), 42883 unknown function,
 *                   42703 unknown column (for * expansion and INSERT columns)
 *   ERR_UNSUPPORTED 0A000 what SQLite cannot do (LATERAL, DISTINCT ON, arrays, ...)
 *   ERR_MALFORMED   42601/42P10/42704/... what PostgreSQL would reject at analysis
 *   ERR_TOOBIG      54000 / 54001
 *   ERR_NOMEM */
int sql_print(const struct sql_stmt *st, const struct sql_print_opts *o, struct sql_printed *out,
              struct sql_error *err);
/* Renders an expression on its own (a DEFAULT, a CHECK, a routing value); appends to out. */
int sql_print_expr(const struct sql_stmt *st, const struct sql_expr *e,
                   const struct sql_print_opts *o, struct buf *out, struct sql_error *err);
void sql_printed_free(struct sql_printed *p);

/* The declared SQLite type of a column of type t in a replicaset table (INT4,
 * NUMERIC_TEXT(10,2) COLLATE pg_numeric, VARCHAR(5), BOOL_INT ...), appended to out. Returns 0,
 * ERR_UNSUPPORTED for types Cairn does not store yet, or ERR_NOMEM. */
int sql_type_decl(const struct sql_type *t, struct buf *out);

/* ---- Questions for routing ---- */

enum sql_access { SQL_ACCESS_READ = 1, SQL_ACCESS_WRITE = 2 };

struct sql_table_ref {
    const char *schema; /* NULL when not written */
    const char *name;
    const char *alias;  /* NULL when not written */
    int access;         /* SQL_ACCESS_READ | SQL_ACCESS_WRITE */
    int loc;
};

/* Every table st references, in text order, CTE names excluded (a table written twice is
 * listed twice): FROM items, subqueries anywhere, CTE bodies, the target of INSERT / UPDATE /
 * DELETE (WRITE), TRUNCATE / DROP / ALTER / CREATE INDEX / COPY / CREATE TABLE targets (WRITE).
 * *refs lives in st's arena. Returns 0, ERR_NOMEM or ERR_TOOBIG. */
int sql_stmt_tables(const struct sql_stmt *st, struct sql_table_ref **refs, uint32_t *n);

/* A top-level AND-conjunct of a WHERE that pins a column: `col = v`, `v = col` (nvalues 1) or
 * `col IN (v1, v2...)`, where every v is a constant, $n, or a cast of one (sql_expr_is_value). */
struct sql_key_cond {
    const char *qualifier; /* t in t.col; NULL when not written */
    const char *column;
    uint32_t nvalues;
    struct sql_expr **values;
    int loc;
};

/* For a SELECT with exactly one FROM table and no set operation / WITH, and for UPDATE and
 * DELETE without FROM / USING: the conjuncts above, in text order. Otherwise *n = 0.
 * *conds lives in st's arena. Returns 0 or ERR_NOMEM. */
int sql_where_keys(const struct sql_stmt *st, struct sql_key_cond **conds, uint32_t *n);

/* True when e is a constant, a $n, or a cast (or unary minus) of one. */
bool sql_expr_is_value(const struct sql_expr *e);

/* For generic walks over expressions (the printer, the walks here, the executor's planner of
 * gathered queries): calls fn on every direct child expression of e (not into subqueries) and
 * returns the first nonzero result. */
typedef int (*sql_expr_fn)(void *ctx, const struct sql_expr *e);
int sql_expr_children(const struct sql_expr *e, sql_expr_fn fn, void *ctx);

/* INSERT ... VALUES (...), (...): the target columns (n == 0: the table's in order) and the
 * rows. False for INSERT ... SELECT and DEFAULT VALUES. */
bool sql_insert_rows(const struct sql_stmt *st, const struct sql_names **cols,
                     const struct sql_rows **rows);

#endif
