/* The text of an expression as PostgreSQL's catalogs show it (pg_get_expr,
 * pg_get_constraintdef, pg_get_indexdef), made from the expression as the user wrote it: the
 * DEFAULTs, CHECKs and index expressions of a table are recorded this way when it is made, and
 * rewritten when a column they name is renamed.
 *
 * PostgreSQL prints its parsed tree back; this prints the tokens back, which gives the same text
 * for what people write in a DEFAULT or a CHECK (a literal, a call, a comparison) and keeps the
 * user's form where PostgreSQL would rewrite it (BETWEEN stays BETWEEN, no casts are added). */
#include <stdlib.h>
#include <string.h>

#include "sql/sql_catalog.h"
#include "sql/sql_int.h"

/* Tokens of one expression text at most (a longer one is refused: ERR_TOOBIG). */
#define CTEXT_TOKENS_MAX 4096

static enum sql_kw_cat ctext_cat(const struct sql_token *t)
{
    return t->quoted || t->kw == SQL_KW_NONE ? SQL_KWC_UNRESERVED : sql_keywords[t->kw].cat;
}

/* A token that stands for a value: after it, + and - are binary. */
static bool ctext_is_value(const struct sql_token *t)
{
    switch (t->kind) {
    case SQL_TOK_STRING:
    case SQL_TOK_INT:
    case SQL_TOK_NUMERIC:
    case SQL_TOK_BITS:
    case SQL_TOK_PARAM:
    case ')':
    case ']':
        return true;
    case SQL_TOK_IDENT:
        switch (t->quoted ? SQL_KW_NONE : t->kw) {
        case SQL_KW_TRUE:
        case SQL_KW_FALSE:
        case SQL_KW_NULL:
        case SQL_KW_CURRENT_DATE:
        case SQL_KW_CURRENT_TIME:
        case SQL_KW_CURRENT_TIMESTAMP:
        case SQL_KW_CURRENT_USER:
        case SQL_KW_LOCALTIME:
        case SQL_KW_LOCALTIMESTAMP:
        case SQL_KW_SESSION_USER:
        case SQL_KW_USER:
            return true;
        default:
            return ctext_cat(t) == SQL_KWC_UNRESERVED;
        }
    default:
        return false;
    }
}

/* A name that a column could be: quoted, or not a keyword that only a keyword can be. */
static bool ctext_is_name(const struct sql_token *t)
{
    enum sql_kw_cat c = ctext_cat(t);
    return t->kind == SQL_TOK_IDENT && (c == SQL_KWC_UNRESERVED || c == SQL_KWC_COL_NAME);
}

/* Whether a space goes between tokens a and b (a has the token before it, or NULL). */
static bool ctext_space(const struct sql_token *before_a, const struct sql_token *a,
                        const struct sql_token *b)
{
    if (a->kind == '(' || a->kind == '[' || a->kind == '.' || a->kind == SQL_TOK_TYPECAST)
        return false;
    if (b->kind == ')' || b->kind == ']' || b->kind == ',' || b->kind == '.' || b->kind == '[' ||
        b->kind == SQL_TOK_TYPECAST)
        return false;
    /* a call or a type's modifiers: lower(x), numeric(10,2), CAST(; but EXISTS (, IN ( */
    if (b->kind == '(' && a->kind == SQL_TOK_IDENT &&
        (a->quoted || a->kw == SQL_KW_CAST ||
         (ctext_cat(a) != SQL_KWC_RESERVED && a->kw != SQL_KW_EXISTS && a->kw != SQL_KW_BETWEEN)))
        return false;
    /* a sign: -1, x * -y */
    if ((a->kind == '-' || a->kind == '+') && (before_a == NULL || !ctext_is_value(before_a)))
        return false;
    return true;
}

static int ctext_string(const struct sql_token *t, struct buf *out)
{
    int rc = buf_append_u8(out, '\'');
    for (size_t i = 0; rc == 0 && i < t->len; i++)
        rc = t->str[i] == '\'' ? buf_append(out, "''", 2) : buf_append_u8(out, (uint8_t)t->str[i]);
    return rc != 0 ? rc : buf_append_u8(out, '\'');
}

/* A keyword as PostgreSQL prints it: upper case, but true and false, and words that name a
 * column or a type here (unreserved ones, and column-name keywords not called as functions:
 * a column "position", the type in x::integer). */
static int ctext_keyword(const struct sql_token *t, const struct sql_token *before,
                         const struct sql_token *after, struct buf *out)
{
    enum sql_kw_cat c = ctext_cat(t);
    /* an index element's NULLS FIRST / NULLS LAST */
    bool nulls_order = (t->kw == SQL_KW_NULLS && after != NULL &&
                        (after->kw == SQL_KW_FIRST || after->kw == SQL_KW_LAST)) ||
                       ((t->kw == SQL_KW_FIRST || t->kw == SQL_KW_LAST) && before != NULL &&
                        before->kw == SQL_KW_NULLS);
    bool lower = !nulls_order && (t->kw == SQL_KW_TRUE || t->kw == SQL_KW_FALSE || c == SQL_KWC_UNRESERVED ||
                 (before != NULL && before->kind == SQL_TOK_TYPECAST) ||
                 (c == SQL_KWC_COL_NAME && t->kw != SQL_KW_BETWEEN && t->kw != SQL_KW_EXISTS &&
                  (after == NULL || after->kind != '(')));
    int rc = 0;
    for (const char *p = t->str; rc == 0 && *p != '\0'; p++)
        rc = buf_append_u8(out, (uint8_t)(lower || *p < 'a' || *p > 'z' ? *p : *p - 'a' + 'A'));
    return rc;
}

/* A typed literal's type (DATE '2024-01-01'), as PostgreSQL writes the cast it becomes
 * ('2024-01-01'::date); NULL when t is not one of the types written so. */
static const char *ctext_literal_type(const struct sql_token *t)
{
    static const struct {
        const char *written, *shown;
    } types[] = {
        {"date", "date"},
        {"time", "time without time zone"},
        {"timestamp", "timestamp without time zone"},
        {"timestamptz", "timestamp with time zone"},
        {"interval", "interval"},
        {"json", "json"},
        {"jsonb", "jsonb"},
        {"uuid", "uuid"},
        {"bytea", "bytea"},
    };
    if (t->kind != SQL_TOK_IDENT || t->quoted)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(t->str, types[i].written) == 0)
            return types[i].shown;
    return NULL;
}

int sql_catalog_expr_text(const char *text, size_t len, const char *rename_from,
                          const char *rename_to, struct buf *out)
{
    struct sql_arena *arena = sql_arena_new();
    struct sql_token *toks = calloc(CTEXT_TOKENS_MAX, sizeof *toks);
    if (arena == NULL || toks == NULL) {
        sql_arena_free(arena);
        free(toks);
        return ERR_NOMEM;
    }
    struct sql_lexer lx = {.text = text, .len = len, .arena = arena};
    struct sql_error err = {0};
    uint32_t n = 0;
    int rc = 0;
    for (;;) {
        if (n == CTEXT_TOKENS_MAX) {
            rc = ERR_TOOBIG;
            break;
        }
        rc = sql_lex_next(&lx, &toks[n], &err);
        if (rc != 0 || toks[n].kind == SQL_TOK_EOF)
            break;
        n++;
    }
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const struct sql_token *t = &toks[i];
        const struct sql_token *before = i > 0 ? &toks[i - 1] : NULL;
        const struct sql_token *after = i + 1 < n ? &toks[i + 1] : NULL;
        if (before != NULL && ctext_space(i > 1 ? &toks[i - 2] : NULL, before, t))
            rc = buf_append_u8(out, ' ');
        if (rc != 0)
            break;
        const char *literal_type = after != NULL && after->kind == SQL_TOK_STRING
                                       ? ctext_literal_type(t)
                                       : NULL;
        if (literal_type != NULL) {
            /* DATE '2024-01-01': the string now, its cast after it */
            rc = ctext_string(after, out);
            rc = rc ? rc : buf_printf(out, "::%s", literal_type);
            i++;
            continue;
        }
        switch (t->kind) {
        case SQL_TOK_IDENT: {
            bool renamed = rename_from != NULL && ctext_is_name(t) &&
                           strcmp(t->str, rename_from) == 0 &&
                           (after == NULL || after->kind != '(') &&
                           (before == NULL || before->kind != SQL_TOK_TYPECAST);
            if (renamed)
                rc = sql_catalog_quote_ident(rename_to, out);
            else if (t->quoted)
                rc = sql_catalog_quote_ident(t->str, out);
            else if (t->kw != SQL_KW_NONE)
                rc = ctext_keyword(t, before, after, out);
            else
                rc = buf_append(out, t->str, strlen(t->str));
            break;
        }
        case SQL_TOK_STRING:
            rc = ctext_string(t, out);
            break;
        case SQL_TOK_BITS:
            rc = buf_printf(out, "%c'%s'", t->str[0] == 'x' ? 'X' : 'B', t->str + 1);
            break;
        case SQL_TOK_PARAM:
            rc = buf_printf(out, "$%lld", (long long)t->ival);
            break;
        default:
            /* numbers, operators, punctuation: as written */
            rc = buf_append(out, text + t->loc, (size_t)(t->end - t->loc));
            break;
        }
    }
    sql_arena_free(arena);
    free(toks);
    return rc == ERR_NOMEM || rc == ERR_TOOBIG || rc == 0 ? rc : ERR_MALFORMED;
}
