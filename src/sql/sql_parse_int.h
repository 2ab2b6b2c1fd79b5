/* The parser's internals, shared by its two halves: sql_parse.c (the parser state, tokens,
 * names, types, expressions and queries — everything a SELECT is made of) and sql_parse_stmt.c
 * (every statement: DML, DDL, transactions, SET/SHOW, EXPLAIN, COPY, maintenance).
 *
 * Conventions: every sqlp_ function returns 0 or an error code (ERR_*) with p->err filled; the
 * first error stops the parse (callers return it unchanged). "Current token" is p->tok; the
 * functions consume exactly what they parse and leave p->tok on the first token after it.
 * Allocation is from p->arena through sqlp_alloc, which reports 54000 past the arena bound. */
#ifndef CAIRN_SQL_SQL_PARSE_INT_H
#define CAIRN_SQL_SQL_PARSE_INT_H

#include "sql/sql_int.h"

/* Tokens of lookahead the parser keeps beyond the current one. */
#define SQLP_LOOKAHEAD 3

struct sql_parser {
    struct sql_lexer lx;
    struct sql_arena *arena;
    struct sql_error *err;
    const char *text; /* the arena copy of the whole query string */
    size_t len;
    struct sql_token tok;                   /* the current token */
    struct sql_token ahead[SQLP_LOOKAHEAD]; /* the tokens after it, read on demand */
    int nahead;
    int prev_end; /* byte offset one past the last consumed token (statement lengths) */
    int depth;    /* nesting, bounded by SQL_DEPTH_MAX (54001) */
    int param_max; /* highest $n seen in the current statement */
};

/* ---- Tokens (sql_parse.c) ---- */

/* Moves to the next token. */
int sqlp_advance(struct sql_parser *p);
/* The token k (1..SQLP_LOOKAHEAD) places after the current one; an EOF token past the end.
 * NULL only when reading it failed (p->err is then filled). */
const struct sql_token *sqlp_peek(struct sql_parser *p, int k);
/* The current token is the unquoted keyword kw / the single character c. */
bool sqlp_is_kw(const struct sql_parser *p, enum sql_kw kw);
bool sqlp_is_char(const struct sql_parser *p, int c);
/* The same for the token k places ahead (false when it cannot be read). */
bool sqlp_peek_is_kw(struct sql_parser *p, int k, enum sql_kw kw);
bool sqlp_peek_is_char(struct sql_parser *p, int k, int c);
/* If the current token is kw / c: consumes it and sets *taken. */
int sqlp_accept_kw(struct sql_parser *p, enum sql_kw kw, bool *taken);
int sqlp_accept_char(struct sql_parser *p, int c, bool *taken);
/* Consumes kw / c or fails with a syntax error at the current token. */
int sqlp_expect_kw(struct sql_parser *p, enum sql_kw kw);
int sqlp_expect_char(struct sql_parser *p, int c);

/* ---- Errors and memory (sql_parse.c) ---- */

/* 42601 syntax error at or near "<current token>" (or "at end of input"). */
int sqlp_syntax_error(struct sql_parser *p);
/* Any error at byte offset loc (-1: no position). Returns rc. */
int sqlp_error(struct sql_parser *p, int rc, const char *sqlstate, int loc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Zeroed memory from the arena; NULL with 54000 (arena bound) filled in p->err. */
void *sqlp_alloc(struct sql_parser *p, size_t n);
char *sqlp_strdup(struct sql_parser *p, const char *s);
/* Nesting guard: sqlp_enter fails with 54001 past SQL_DEPTH_MAX; pair with sqlp_leave. */
int sqlp_enter(struct sql_parser *p);
void sqlp_leave(struct sql_parser *p);

/* A growing array in the arena: sqlp_push returns a zeroed slot for one more element of size
 * elem, growing *v (capacity doubles, old storage stays in the arena), or NULL with 54000 past
 * SQL_LIST_ITEMS_MAX items or the arena bound. Use one struct sqlp_vec per list being built. */
struct sqlp_vec {
    void *v;
    uint32_t n, cap;
};
void *sqlp_push(struct sql_parser *p, struct sqlp_vec *vec, size_t elem);

/* ---- Names (sql_parse.c) ---- */

/* ColId: an identifier, an unreserved or column-name keyword. */
int sqlp_colid(struct sql_parser *p, const char **out);
/* ColLabel: any identifier or keyword (after AS, after '.'). */
int sqlp_label(struct sql_parser *p, const char **out);
/* True when the current token can start a ColId. */
bool sqlp_is_colid(const struct sql_parser *p);
/* [catalog.][schema.]name; more than three parts is 42601 improper qualified name. */
int sqlp_qname(struct sql_parser *p, struct sql_qname *out);
/* ( name [, ...] ) */
int sqlp_paren_names(struct sql_parser *p, struct sql_names *out);
/* name [, ...] without parentheses. */
int sqlp_names(struct sql_parser *p, struct sql_names *out);

/* ---- Types, expressions, queries (sql_parse.c) ---- */

/* A type name (Typename): int, character varying(10), numeric(10,2), timestamp with time zone,
 * interval day to second, double precision, int[], pg_catalog.int4, "MyType"... */
int sqlp_type(struct sql_parser *p, struct sql_type *out);
/* a_expr: any expression. */
int sqlp_expr(struct sql_parser *p, struct sql_expr **out);
/* expr [, ...] */
int sqlp_expr_list(struct sql_parser *p, struct sql_exprs *out);
/* A query expression with its WITH, ORDER BY, LIMIT/OFFSET/FETCH and locking clause: SELECT,
 * VALUES, TABLE t, set operations, parenthesized queries. */
int sqlp_select(struct sql_parser *p, struct sql_select **out);
/* The same when the WITH clause was already read (WITH ... SELECT at statement level). */
int sqlp_select_with(struct sql_parser *p, struct sql_with *with, struct sql_select **out);
/* WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (stmt) [, ...]; the current token is
 * WITH. CTE bodies may be INSERT / UPDATE / DELETE (sqlp_dml). */
int sqlp_with(struct sql_parser *p, struct sql_with **out);
/* Target list: expr [[AS] label] [, ...] (SELECT list, RETURNING). */
int sqlp_targets(struct sql_parser *p, struct sql_targets *out);
/* FROM-list items: from_item [, ...] (FROM, UPDATE ... FROM, DELETE ... USING). */
int sqlp_from_list(struct sql_parser *p, struct sql_froms *out);
/* sort_expr [ASC|DESC] [NULLS FIRST|LAST] [, ...] (after ORDER BY). */
int sqlp_sort_list(struct sql_parser *p, struct sql_sorts *out);

/* ---- Statements (sql_parse_stmt.c) ---- */

/* One statement starting at the current token into *st (kind, union member, and nothing
 * else: sql_parse sets loc, len, param_max, arena and text). */
int sqlp_statement(struct sql_parser *p, struct sql_stmt *st);
/* INSERT / UPDATE / DELETE (the current token is the verb), with the WITH already read (or
 * NULL): for CTE bodies and statements. */
int sqlp_dml(struct sql_parser *p, struct sql_with *with, struct sql_stmt *st);

#endif
