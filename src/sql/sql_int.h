/* Internals shared by the SQL lexer, parser, printer and walkers: the arena, tokens, keywords,
 * and error helpers. Not for use outside src/sql/. */
#ifndef CAIRN_SQL_SQL_INT_H
#define CAIRN_SQL_SQL_INT_H

#include <stdarg.h>

#include "sql/sql.h"

/* ---- Arena ---- */

/* Bytes of one arena block; larger allocations get a block of their own. */
#define SQL_ARENA_BLOCK_BYTES (32u * 1024)

struct sql_arena *sql_arena_new(void);
void sql_arena_free(struct sql_arena *a);
/* Bytes handed out so far (for the SQL_ARENA_BYTES_MAX check and tests). */
size_t sql_arena_used(const struct sql_arena *a);
/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *sql_arena_strndup(struct sql_arena *a, const char *s, size_t n);

/* ---- Errors ---- */

/* Fills err (sqlstate, formatted message, position from byte offset loc into text; loc < 0: no
 * position) and returns rc. err may be NULL. */
int sql_err_set(struct sql_error *err, int rc, const char *sqlstate, const char *text, size_t len,
                int loc, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int sql_err_vset(struct sql_error *err, int rc, const char *sqlstate, const char *text, size_t len,
                 int loc, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

/* ---- Keywords ---- */

enum sql_kw_cat {
    SQL_KWC_UNRESERVED, /* usable as any name */
    SQL_KWC_COL_NAME,   /* a column or table name, not a function or type name */
    SQL_KWC_TYPE_FUNC,  /* a function or type name, not a column name */
    SQL_KWC_RESERVED,   /* only as a label after AS or '.' */
};

/* X(ID, "text", category, bare): PostgreSQL 15's categories; bare is 0 for the keywords that
 * cannot be a column label without AS (AS_LABEL in kwlist.h). Sorted by text: lookup is a
 * binary search (a unit test checks the order). Unreserved words are listed only when the
 * grammar here uses them. */
#define SQL_KEYWORDS(X)                                                                            \
    X(ABORT, "abort", UNRESERVED, 1)                                                               \
    X(ACTION, "action", UNRESERVED, 1)                                                             \
    X(ADD, "add", UNRESERVED, 1)                                                                   \
    X(ALL, "all", RESERVED, 1)                                                                     \
    X(ALTER, "alter", UNRESERVED, 1)                                                               \
    X(ALWAYS, "always", UNRESERVED, 1)                                                             \
    X(ANALYSE, "analyse", RESERVED, 1)                                                             \
    X(ANALYZE, "analyze", RESERVED, 1)                                                             \
    X(AND, "and", RESERVED, 1)                                                                     \
    X(ANY, "any", RESERVED, 1)                                                                     \
    X(ARRAY, "array", RESERVED, 0)                                                                 \
    X(AS, "as", RESERVED, 0)                                                                       \
    X(ASC, "asc", RESERVED, 1)                                                                     \
    X(ASYMMETRIC, "asymmetric", RESERVED, 1)                                                       \
    X(AT, "at", UNRESERVED, 1)                                                                     \
    X(AUTHORIZATION, "authorization", TYPE_FUNC, 1)                                                \
    X(BEGIN, "begin", UNRESERVED, 1)                                                               \
    X(BETWEEN, "between", COL_NAME, 1)                                                             \
    X(BIGINT, "bigint", COL_NAME, 1)                                                               \
    X(BINARY, "binary", TYPE_FUNC, 1)                                                              \
    X(BIT, "bit", COL_NAME, 1)                                                                     \
    X(BOOLEAN, "boolean", COL_NAME, 1)                                                             \
    X(BOTH, "both", RESERVED, 1)                                                                   \
    X(BY, "by", UNRESERVED, 1)                                                                     \
    X(CASCADE, "cascade", UNRESERVED, 1)                                                           \
    X(CASE, "case", RESERVED, 1)                                                                   \
    X(CAST, "cast", RESERVED, 1)                                                                   \
    X(CHAIN, "chain", UNRESERVED, 1)                                                               \
    X(CHAR, "char", COL_NAME, 0)                                                                   \
    X(CHARACTER, "character", COL_NAME, 0)                                                         \
    X(CHARACTERISTICS, "characteristics", UNRESERVED, 1)                                           \
    X(CHECK, "check", RESERVED, 1)                                                                 \
    X(COALESCE, "coalesce", COL_NAME, 1)                                                           \
    X(COLLATE, "collate", RESERVED, 1)                                                             \
    X(COLLATION, "collation", TYPE_FUNC, 1)                                                        \
    X(COLUMN, "column", RESERVED, 1)                                                               \
    X(COMMIT, "commit", UNRESERVED, 1)                                                             \
    X(COMMITTED, "committed", UNRESERVED, 1)                                                       \
    X(CONCURRENTLY, "concurrently", TYPE_FUNC, 1)                                                  \
    X(CONFLICT, "conflict", UNRESERVED, 1)                                                         \
    X(CONSTRAINT, "constraint", RESERVED, 1)                                                       \
    X(CONTINUE, "continue", UNRESERVED, 1)                                                         \
    X(COPY, "copy", UNRESERVED, 1)                                                                 \
    X(CREATE, "create", RESERVED, 0)                                                               \
    X(CROSS, "cross", TYPE_FUNC, 1)                                                                \
    X(CSV, "csv", UNRESERVED, 1)                                                                   \
    X(CUBE, "cube", UNRESERVED, 1)                                                                 \
    X(CURRENT, "current", UNRESERVED, 1)                                                           \
    X(CURRENT_CATALOG, "current_catalog", RESERVED, 1)                                             \
    X(CURRENT_DATE, "current_date", RESERVED, 1)                                                   \
    X(CURRENT_ROLE, "current_role", RESERVED, 1)                                                   \
    X(CURRENT_SCHEMA, "current_schema", TYPE_FUNC, 1)                                              \
    X(CURRENT_TIME, "current_time", RESERVED, 1)                                                   \
    X(CURRENT_TIMESTAMP, "current_timestamp", RESERVED, 1)                                         \
    X(CURRENT_USER, "current_user", RESERVED, 1)                                                   \
    X(DATA, "data", UNRESERVED, 1)                                                                 \
    X(DAY, "day", UNRESERVED, 0)                                                                   \
    X(DEALLOCATE, "deallocate", UNRESERVED, 1)                                                     \
    X(DEC, "dec", COL_NAME, 1)                                                                     \
    X(DECIMAL, "decimal", COL_NAME, 1)                                                             \
    X(DEFAULT, "default", RESERVED, 1)                                                             \
    X(DEFERRABLE, "deferrable", RESERVED, 1)                                                       \
    X(DEFERRED, "deferred", UNRESERVED, 1)                                                         \
    X(DELETE, "delete", UNRESERVED, 1)                                                             \
    X(DELIMITER, "delimiter", UNRESERVED, 1)                                                       \
    X(DELIMITERS, "delimiters", UNRESERVED, 1)                                                     \
    X(DESC, "desc", RESERVED, 1)                                                                   \
    X(DISCARD, "discard", UNRESERVED, 1)                                                           \
    X(DISTINCT, "distinct", RESERVED, 1)                                                           \
    X(DO, "do", RESERVED, 1)                                                                       \
    X(DOUBLE, "double", UNRESERVED, 1)                                                             \
    X(DROP, "drop", UNRESERVED, 1)                                                                 \
    X(ELSE, "else", RESERVED, 1)                                                                   \
    X(ENCODING, "encoding", UNRESERVED, 1)                                                         \
    X(END, "end", RESERVED, 1)                                                                     \
    X(ESCAPE, "escape", UNRESERVED, 1)                                                             \
    X(EXCEPT, "except", RESERVED, 0)                                                               \
    X(EXCLUDE, "exclude", UNRESERVED, 1)                                                           \
    X(EXISTS, "exists", COL_NAME, 1)                                                               \
    X(EXPLAIN, "explain", UNRESERVED, 1)                                                           \
    X(EXTRACT, "extract", COL_NAME, 1)                                                             \
    X(FALSE, "false", RESERVED, 1)                                                                 \
    X(FETCH, "fetch", RESERVED, 0)                                                                 \
    X(FILTER, "filter", UNRESERVED, 0)                                                             \
    X(FIRST, "first", UNRESERVED, 1)                                                               \
    X(FLOAT, "float", COL_NAME, 1)                                                                 \
    X(FOLLOWING, "following", UNRESERVED, 1)                                                       \
    X(FOR, "for", RESERVED, 0)                                                                     \
    X(FORCE, "force", UNRESERVED, 1)                                                               \
    X(FOREIGN, "foreign", RESERVED, 1)                                                             \
    X(FREEZE, "freeze", TYPE_FUNC, 1)                                                              \
    X(FROM, "from", RESERVED, 0)                                                                   \
    X(FULL, "full", TYPE_FUNC, 1)                                                                  \
    X(GENERATED, "generated", UNRESERVED, 1)                                                       \
    X(GLOBAL, "global", UNRESERVED, 1)                                                             \
    X(GRANT, "grant", RESERVED, 0)                                                                 \
    X(GREATEST, "greatest", COL_NAME, 1)                                                           \
    X(GROUP, "group", RESERVED, 0)                                                                 \
    X(GROUPING, "grouping", COL_NAME, 1)                                                           \
    X(GROUPS, "groups", UNRESERVED, 1)                                                             \
    X(HAVING, "having", RESERVED, 0)                                                               \
    X(HEADER, "header", UNRESERVED, 1)                                                             \
    X(HOUR, "hour", UNRESERVED, 0)                                                                 \
    X(IDENTITY, "identity", UNRESERVED, 1)                                                         \
    X(IF, "if", UNRESERVED, 1)                                                                     \
    X(ILIKE, "ilike", TYPE_FUNC, 1)                                                                \
    X(IMMEDIATE, "immediate", UNRESERVED, 1)                                                       \
    X(IN, "in", RESERVED, 1)                                                                       \
    X(INCLUDE, "include", UNRESERVED, 1)                                                           \
    X(INDEX, "index", UNRESERVED, 1)                                                               \
    X(INITIALLY, "initially", RESERVED, 1)                                                         \
    X(INNER, "inner", TYPE_FUNC, 1)                                                                \
    X(INOUT, "inout", COL_NAME, 1)                                                                 \
    X(INSERT, "insert", UNRESERVED, 1)                                                             \
    X(INT, "int", COL_NAME, 1)                                                                     \
    X(INTEGER, "integer", COL_NAME, 1)                                                             \
    X(INTERSECT, "intersect", RESERVED, 0)                                                         \
    X(INTERVAL, "interval", COL_NAME, 1)                                                           \
    X(INTO, "into", RESERVED, 0)                                                                   \
    X(IS, "is", TYPE_FUNC, 1)                                                                      \
    X(ISNULL, "isnull", TYPE_FUNC, 1)                                                              \
    X(ISOLATION, "isolation", UNRESERVED, 1)                                                       \
    X(JOIN, "join", TYPE_FUNC, 1)                                                                  \
    X(KEY, "key", UNRESERVED, 1)                                                                   \
    X(LAST, "last", UNRESERVED, 1)                                                                 \
    X(LATERAL, "lateral", RESERVED, 1)                                                             \
    X(LEADING, "leading", RESERVED, 1)                                                             \
    X(LEAST, "least", COL_NAME, 1)                                                                 \
    X(LEFT, "left", TYPE_FUNC, 1)                                                                  \
    X(LEVEL, "level", UNRESERVED, 1)                                                               \
    X(LIKE, "like", TYPE_FUNC, 1)                                                                  \
    X(LIMIT, "limit", RESERVED, 0)                                                                 \
    X(LOCAL, "local", UNRESERVED, 1)                                                               \
    X(LOCALTIME, "localtime", RESERVED, 1)                                                         \
    X(LOCALTIMESTAMP, "localtimestamp", RESERVED, 1)                                               \
    X(LOCKED, "locked", UNRESERVED, 1)                                                             \
    X(MATCH, "match", UNRESERVED, 1)                                                               \
    X(MATERIALIZED, "materialized", UNRESERVED, 1)                                                 \
    X(MINUTE, "minute", UNRESERVED, 0)                                                             \
    X(MONTH, "month", UNRESERVED, 0)                                                               \
    X(NAMES, "names", UNRESERVED, 1)                                                               \
    X(NATIONAL, "national", COL_NAME, 1)                                                           \
    X(NATURAL, "natural", TYPE_FUNC, 1)                                                            \
    X(NCHAR, "nchar", COL_NAME, 1)                                                                 \
    X(NEXT, "next", UNRESERVED, 1)                                                                 \
    X(NO, "no", UNRESERVED, 1)                                                                     \
    X(NONE_P, "none", COL_NAME, 1)                                                                 \
    X(NORMALIZE, "normalize", COL_NAME, 1)                                                         \
    X(NOT, "not", RESERVED, 1)                                                                     \
    X(NOTHING, "nothing", UNRESERVED, 1)                                                           \
    X(NOTNULL, "notnull", TYPE_FUNC, 1)                                                            \
    X(NOWAIT, "nowait", UNRESERVED, 1)                                                             \
    X(NULL, "null", RESERVED, 1)                                                                   \
    X(NULLIF, "nullif", COL_NAME, 1)                                                               \
    X(NULLS, "nulls", UNRESERVED, 1)                                                               \
    X(NUMERIC, "numeric", COL_NAME, 1)                                                             \
    X(OF, "of", UNRESERVED, 1)                                                                     \
    X(OFF, "off", UNRESERVED, 1)                                                                   \
    X(OFFSET, "offset", RESERVED, 0)                                                               \
    X(OIDS, "oids", UNRESERVED, 1)                                                                 \
    X(ON, "on", RESERVED, 0)                                                                       \
    X(ONLY, "only", RESERVED, 1)                                                                   \
    X(OPERATOR, "operator", UNRESERVED, 1)                                                         \
    X(OR, "or", RESERVED, 1)                                                                       \
    X(ORDER, "order", RESERVED, 0)                                                                 \
    X(ORDINALITY, "ordinality", UNRESERVED, 1)                                                     \
    X(OTHERS, "others", UNRESERVED, 1)                                                             \
    X(OUT, "out", COL_NAME, 1)                                                                     \
    X(OUTER, "outer", TYPE_FUNC, 1)                                                                \
    X(OVER, "over", UNRESERVED, 0)                                                                 \
    X(OVERLAPS, "overlaps", TYPE_FUNC, 1)                                                          \
    X(OVERLAY, "overlay", COL_NAME, 1)                                                             \
    X(PARTITION, "partition", UNRESERVED, 1)                                                       \
    X(PLACING, "placing", RESERVED, 1)                                                             \
    X(PLANS, "plans", UNRESERVED, 1)                                                               \
    X(POSITION, "position", COL_NAME, 1)                                                           \
    X(PRECEDING, "preceding", UNRESERVED, 1)                                                       \
    X(PRECISION, "precision", COL_NAME, 0)                                                         \
    X(PREPARE, "prepare", UNRESERVED, 1)                                                           \
    X(PRIMARY, "primary", RESERVED, 1)                                                             \
    X(PROGRAM, "program", UNRESERVED, 1)                                                           \
    X(QUOTE, "quote", UNRESERVED, 1)                                                               \
    X(RANGE, "range", UNRESERVED, 1)                                                               \
    X(READ, "read", UNRESERVED, 1)                                                                 \
    X(REAL, "real", COL_NAME, 1)                                                                   \
    X(RECURSIVE, "recursive", UNRESERVED, 1)                                                       \
    X(REFERENCES, "references", RESERVED, 1)                                                       \
    X(RELEASE, "release", UNRESERVED, 1)                                                           \
    X(RENAME, "rename", UNRESERVED, 1)                                                             \
    X(REPEATABLE, "repeatable", UNRESERVED, 1)                                                     \
    X(RESET, "reset", UNRESERVED, 1)                                                               \
    X(RESTART, "restart", UNRESERVED, 1)                                                           \
    X(RESTRICT, "restrict", UNRESERVED, 1)                                                         \
    X(RETURNING, "returning", RESERVED, 0)                                                         \
    X(RIGHT, "right", TYPE_FUNC, 1)                                                                \
    X(ROLLBACK, "rollback", UNRESERVED, 1)                                                         \
    X(ROLLUP, "rollup", UNRESERVED, 1)                                                             \
    X(ROW, "row", COL_NAME, 1)                                                                     \
    X(ROWS, "rows", UNRESERVED, 1)                                                                 \
    X(SAVEPOINT, "savepoint", UNRESERVED, 1)                                                       \
    X(SECOND, "second", UNRESERVED, 0)                                                             \
    X(SELECT, "select", RESERVED, 1)                                                               \
    X(SEQUENCES, "sequences", UNRESERVED, 1)                                                       \
    X(SERIALIZABLE, "serializable", UNRESERVED, 1)                                                 \
    X(SESSION, "session", UNRESERVED, 1)                                                           \
    X(SESSION_USER, "session_user", RESERVED, 1)                                                   \
    X(SET, "set", UNRESERVED, 1)                                                                   \
    X(SETOF, "setof", COL_NAME, 1)                                                                 \
    X(SETS, "sets", UNRESERVED, 1)                                                                 \
    X(SHARE, "share", UNRESERVED, 1)                                                               \
    X(SHOW, "show", UNRESERVED, 1)                                                                 \
    X(SIMILAR, "similar", TYPE_FUNC, 1)                                                            \
    X(SKIP, "skip", UNRESERVED, 1)                                                                 \
    X(SMALLINT, "smallint", COL_NAME, 1)                                                           \
    X(SOME, "some", RESERVED, 1)                                                                   \
    X(START, "start", UNRESERVED, 1)                                                               \
    X(STDIN, "stdin", UNRESERVED, 1)                                                               \
    X(STDOUT, "stdout", UNRESERVED, 1)                                                             \
    X(STORED, "stored", UNRESERVED, 1)                                                             \
    X(SUBSTRING, "substring", COL_NAME, 1)                                                         \
    X(SYMMETRIC, "symmetric", RESERVED, 1)                                                         \
    X(TABLE, "table", RESERVED, 1)                                                                 \
    X(TABLESAMPLE, "tablesample", TYPE_FUNC, 1)                                                    \
    X(TEMP, "temp", UNRESERVED, 1)                                                                 \
    X(TEMPORARY, "temporary", UNRESERVED, 1)                                                       \
    X(THEN, "then", RESERVED, 1)                                                                   \
    X(TIES, "ties", UNRESERVED, 1)                                                                 \
    X(TIME, "time", COL_NAME, 1)                                                                   \
    X(TIMESTAMP, "timestamp", COL_NAME, 1)                                                         \
    X(TO, "to", RESERVED, 0)                                                                       \
    X(TRAILING, "trailing", RESERVED, 1)                                                           \
    X(TRANSACTION, "transaction", UNRESERVED, 1)                                                   \
    X(TREAT, "treat", COL_NAME, 1)                                                                 \
    X(TRIM, "trim", COL_NAME, 1)                                                                   \
    X(TRUE, "true", RESERVED, 1)                                                                   \
    X(TRUNCATE, "truncate", UNRESERVED, 1)                                                         \
    X(TYPE, "type", UNRESERVED, 1)                                                                 \
    X(UNBOUNDED, "unbounded", UNRESERVED, 1)                                                       \
    X(UNCOMMITTED, "uncommitted", UNRESERVED, 1)                                                   \
    X(UNION, "union", RESERVED, 0)                                                                 \
    X(UNIQUE, "unique", RESERVED, 1)                                                               \
    X(UNKNOWN, "unknown", UNRESERVED, 1)                                                           \
    X(UNLOGGED, "unlogged", UNRESERVED, 1)                                                         \
    X(UPDATE, "update", UNRESERVED, 1)                                                             \
    X(USER, "user", RESERVED, 1)                                                                   \
    X(USING, "using", RESERVED, 1)                                                                 \
    X(VACUUM, "vacuum", UNRESERVED, 1)                                                             \
    X(VALUES, "values", COL_NAME, 1)                                                               \
    X(VARCHAR, "varchar", COL_NAME, 1)                                                             \
    X(VARIADIC, "variadic", RESERVED, 1)                                                           \
    X(VARYING, "varying", UNRESERVED, 0)                                                           \
    X(VERBOSE, "verbose", TYPE_FUNC, 1)                                                            \
    X(WHEN, "when", RESERVED, 1)                                                                   \
    X(WHERE, "where", RESERVED, 0)                                                                 \
    X(WINDOW, "window", RESERVED, 0)                                                               \
    X(WITH, "with", RESERVED, 0)                                                                   \
    X(WITHIN, "within", UNRESERVED, 0)                                                             \
    X(WITHOUT, "without", UNRESERVED, 0)                                                           \
    X(WORK, "work", UNRESERVED, 1)                                                                 \
    X(WRITE, "write", UNRESERVED, 1)                                                               \
    X(YEAR, "year", UNRESERVED, 0)                                                                 \
    X(ZONE, "zone", UNRESERVED, 1)

enum sql_kw {
    SQL_KW_NONE = 0,
#define SQL_KW_ENUM(id, text, cat, bare) SQL_KW_##id,
    SQL_KEYWORDS(SQL_KW_ENUM)
#undef SQL_KW_ENUM
        SQL_KW_COUNT
};

struct sql_keyword {
    const char *text;
    enum sql_kw_cat cat;
    bool bare_label;
};

/* Indexed by enum sql_kw (SQL_KW_NONE has text NULL). */
extern const struct sql_keyword sql_keywords[SQL_KW_COUNT];
/* The keyword spelled s[0..n) in any case, or SQL_KW_NONE. */
enum sql_kw sql_keyword_lookup(const char *s, size_t n);

/* ---- Tokens ---- */

/* Single-character tokens are their own character: , ( ) [ ] . ; : + - * / % ^ < > = */
enum sql_tok_kind {
    SQL_TOK_EOF = 0,
    SQL_TOK_IDENT = 256, /* identifier or keyword: str (folded unless quoted), kw */
    SQL_TOK_STRING,      /* str/len decoded */
    SQL_TOK_INT,         /* integer literal that fits int64: ival, str as written */
    SQL_TOK_NUMERIC,     /* decimal, exponent, or integer beyond int64: str */
    SQL_TOK_BITS,        /* B'...' / X'...': str with a leading b or x */
    SQL_TOK_PARAM,       /* $n: ival */
    SQL_TOK_OP,          /* any other operator: str */
    SQL_TOK_TYPECAST,    /* :: */
    SQL_TOK_COLON_EQUALS, /* := */
    SQL_TOK_DOT_DOT,     /* .. */
    SQL_TOK_EQUALS_GREATER, /* => */
    SQL_TOK_LESS_EQUALS,    /* <= */
    SQL_TOK_GREATER_EQUALS, /* >= */
    SQL_TOK_NOT_EQUALS,     /* <> and != */
};

struct sql_token {
    int kind;
    enum sql_kw kw; /* unquoted identifiers that are keywords; else SQL_KW_NONE */
    bool quoted;    /* "identifier" */
    const char *str; /* NUL-terminated, in the arena or static */
    size_t len;
    int64_t ival;
    int loc, end; /* byte offsets of the token's first and one-past-last byte */
};

struct sql_lexer {
    const char *text;
    size_t len;
    size_t pos;
    struct sql_arena *arena;
};

/* Reads the next token at lx->pos. Returns 0, or an error code with err filled (unterminated
 * string / comment / identifier, invalid escapes, $n out of range, arena exhausted). */
int sql_lex_next(struct sql_lexer *lx, struct sql_token *t, struct sql_error *err);
/* Checks that text is UTF-8 without NUL bytes. Returns 0 or ERR_MALFORMED with 22021. */
int sql_check_encoding(const char *text, size_t len, struct sql_error *err);

#endif
