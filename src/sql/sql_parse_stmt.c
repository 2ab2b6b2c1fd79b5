/* The statement half of the parser (PostgreSQL 15's gram.y, recursive descent): DML, DDL,
 * transactions, SET/RESET/SHOW, EXPLAIN, COPY (and its option normalization), maintenance, and
 * the refusal of valid statements Cairn does not run. Queries and expressions: sql_parse.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "base/err.h"
#include "sql/sql_parse_int.h"

#define TRY(call)                                                                                  \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* Words of the grammar written as plain identifiers: PostgreSQL's unreserved keywords that
 * SQL_KEYWORDS does not list (they behave as identifiers everywhere else). */
static bool tok_is_word(const struct sql_token *t, const char *w)
{
    return t != NULL && t->kind == SQL_TOK_IDENT && !t->quoted && strcmp(t->str, w) == 0;
}

static bool is_word(const struct sql_parser *p, const char *w)
{
    return tok_is_word(&p->tok, w);
}

static bool peek_is_word(struct sql_parser *p, int k, const char *w)
{
    return tok_is_word(sqlp_peek(p, k), w);
}

static int expect_word(struct sql_parser *p, const char *w)
{
    if (!is_word(p, w))
        return sqlp_syntax_error(p);
    return sqlp_advance(p);
}

static bool at_end(const struct sql_parser *p)
{
    return p->tok.kind == SQL_TOK_EOF || sqlp_is_char(p, ';');
}

static int unsupported(struct sql_parser *p, int loc, const char *what)
{
    return sqlp_error(p, ERR_UNSUPPORTED, "0A000", loc, "%s is not supported by Cairn", what);
}

/* Shorthands for "consume if present". */
static int take_kw(struct sql_parser *p, enum sql_kw kw, bool *taken)
{
    return sqlp_accept_kw(p, kw, taken);
}

static int take_char(struct sql_parser *p, int c, bool *taken)
{
    return sqlp_accept_char(p, c, taken);
}

static struct sql_expr *new_expr(struct sql_parser *p, enum sql_expr_kind kind, int loc)
{
    struct sql_expr *e = sqlp_alloc(p, sizeof *e);
    if (e != NULL) {
        e->kind = kind;
        e->loc = loc;
    }
    return e;
}

/* A lower-cased copy (GUC and option names compare case-insensitively in PostgreSQL). */
static const char *lower_dup(struct sql_parser *p, const char *s)
{
    char *d = sqlp_strdup(p, s);
    if (d != NULL)
        for (char *c = d; *c != '\0'; c++)
            *c = (char)tolower((unsigned char)*c);
    return d;
}

static const char *upper_dup(struct sql_parser *p, const char *s)
{
    char *d = sqlp_strdup(p, s);
    if (d != NULL)
        for (char *c = d; *c != '\0'; c++)
            *c = (char)toupper((unsigned char)*c);
    return d;
}

/* After an allocation: sqlp_alloc filled p->err (54000 past the arena bound, 53200 when malloc
 * failed); the code follows the SQLSTATE. */
static int nomem_if_null(const struct sql_parser *p, const void *v)
{
    if (v != NULL)
        return 0;
    if (p->err != NULL && strcmp(p->err->sqlstate, "53200") == 0)
        return ERR_NOMEM;
    return ERR_TOOBIG;
}

/* item [, item ...]: each item parsed by fn into a fresh zeroed slot of elem bytes in vec. */
typedef int (*list_item_fn)(struct sql_parser *p, void *slot);

static int comma_list(struct sql_parser *p, struct sqlp_vec *vec, size_t elem, list_item_fn fn)
{
    for (;;) {
        void *slot = sqlp_push(p, vec, elem);
        TRY(nomem_if_null(p, slot));
        TRY(fn(p, slot));
        bool t;
        TRY(take_char(p, ',', &t));
        if (!t)
            return 0;
    }
}

/* Sconst. */
static int expect_string(struct sql_parser *p, const char **out)
{
    if (p->tok.kind != SQL_TOK_STRING)
        return sqlp_syntax_error(p);
    *out = p->tok.str;
    return sqlp_advance(p);
}

/* NumericOnly: [+|-] number, as text with the sign folded in. NULL *out when the current
 * tokens are not a number (nothing consumed). */
static int numeric_only(struct sql_parser *p, const char **out)
{
    *out = NULL;
    bool neg = false;
    int k = 0;
    if (p->tok.kind == '+' || p->tok.kind == '-') {
        const struct sql_token *n = sqlp_peek(p, 1);
        if (n == NULL)
            return ERR_MALFORMED;
        if (n->kind != SQL_TOK_INT && n->kind != SQL_TOK_NUMERIC)
            return 0;
        neg = p->tok.kind == '-';
        k = 1;
    } else if (p->tok.kind != SQL_TOK_INT && p->tok.kind != SQL_TOK_NUMERIC) {
        return 0;
    }
    if (k == 1)
        TRY(sqlp_advance(p));
    if (neg) {
        size_t n = strlen(p->tok.str);
        char *s = sqlp_alloc(p, n + 2);
        TRY(nomem_if_null(p, s));
        s[0] = '-';
        memcpy(s + 1, p->tok.str, n + 1);
        *out = s;
    } else {
        *out = p->tok.str;
    }
    return sqlp_advance(p);
}

/* NonReservedWord: an identifier or any keyword that is not reserved. */
static bool is_nonreserved_word(const struct sql_parser *p)
{
    if (p->tok.kind != SQL_TOK_IDENT)
        return false;
    return p->tok.quoted || p->tok.kw == SQL_KW_NONE ||
           sql_keywords[p->tok.kw].cat != SQL_KWC_RESERVED;
}

/* opt_boolean_or_string | NumericOnly (var_value, utility option arguments): TRUE, FALSE, ON,
 * a non-reserved word or a string, or a signed number. *out NULL: none here. */
static int boolean_string_or_number(struct sql_parser *p, const char **out)
{
    *out = NULL;
    if (sqlp_is_kw(p, SQL_KW_TRUE) || sqlp_is_kw(p, SQL_KW_FALSE) || sqlp_is_kw(p, SQL_KW_ON) ||
        is_nonreserved_word(p) || p->tok.kind == SQL_TOK_STRING) {
        *out = p->tok.str;
        return sqlp_advance(p);
    }
    return numeric_only(p, out);
}

/* [CASCADE | RESTRICT] */
static int drop_behavior(struct sql_parser *p, bool *cascade)
{
    bool t;
    TRY(take_kw(p, SQL_KW_CASCADE, &t));
    if (t) {
        *cascade = true;
        return 0;
    }
    return take_kw(p, SQL_KW_RESTRICT, &t);
}

/* IF EXISTS */
static int if_exists(struct sql_parser *p, bool *out)
{
    if (sqlp_is_kw(p, SQL_KW_IF) && sqlp_peek_is_kw(p, 1, SQL_KW_EXISTS)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        *out = true;
    }
    return 0;
}

/* IF NOT EXISTS */
static int if_not_exists(struct sql_parser *p, bool *out)
{
    if (sqlp_is_kw(p, SQL_KW_IF)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_NOT));
        TRY(sqlp_expect_kw(p, SQL_KW_EXISTS));
        *out = true;
    }
    return 0;
}

/* relation_expr: name | name * | ONLY name | ONLY (name) */
static int relation_expr(struct sql_parser *p, struct sql_qname *out, bool *only)
{
    bool t;
    TRY(take_kw(p, SQL_KW_ONLY, &t));
    if (t) {
        if (only != NULL)
            *only = true;
        TRY(take_char(p, '(', &t));
        TRY(sqlp_qname(p, out));
        if (t)
            TRY(sqlp_expect_char(p, ')'));
        return 0;
    }
    TRY(sqlp_qname(p, out));
    return take_char(p, '*', &t);
}

static int relation_item(struct sql_parser *p, void *slot)
{
    return relation_expr(p, slot, NULL);
}

static int qname_item(struct sql_parser *p, void *slot)
{
    return sqlp_qname(p, slot);
}

/* Skips a balanced parenthesized group (sequence options, opclass parameters) whose contents
 * Cairn does not keep. The current token is '('. */
static int skip_parens(struct sql_parser *p)
{
    int depth = 0;
    do {
        if (p->tok.kind == SQL_TOK_EOF)
            return sqlp_syntax_error(p);
        if (sqlp_is_char(p, '('))
            depth++;
        else if (sqlp_is_char(p, ')'))
            depth--;
        TRY(sqlp_advance(p));
    } while (depth > 0);
    return 0;
}

/* ------------------------------------------------------------------ options */

/* The three option-list grammars PostgreSQL has. */
enum option_style {
    OPTS_RELOPTIONS, /* WITH (name [= def_arg], ...): names may be dotted, values any word */
    OPTS_UTILITY,    /* EXPLAIN / VACUUM / ANALYZE (name [value], ...): utility_option_list */
    OPTS_COPY,       /* COPY (name [value | * | (list)], ...): copy_generic_opt_list */
};

/* A string item of COPY's ( list ). */
static int option_list_item(struct sql_parser *p, void *slot)
{
    TRY(boolean_string_or_number(p, slot));
    return *(const char **)slot == NULL ? sqlp_syntax_error(p) : 0;
}

/* The value after an option's name, as text (a string's contents, a number, a word); for COPY
 * also * and a parenthesized list. Nothing consumed when none is there. */
static int option_value(struct sql_parser *p, struct sql_option *o, enum option_style style)
{
    if (style == OPTS_RELOPTIONS &&
        (p->tok.kind == SQL_TOK_STRING || p->tok.kind == SQL_TOK_IDENT)) {
        o->value = p->tok.str; /* def_arg takes reserved words too */
        return sqlp_advance(p);
    }
    TRY(boolean_string_or_number(p, &o->value));
    if (o->value != NULL || style != OPTS_COPY)
        return 0;
    if (sqlp_is_char(p, '*')) {
        o->star = true;
        return sqlp_advance(p);
    }
    if (sqlp_is_char(p, '(')) {
        TRY(sqlp_advance(p));
        struct sqlp_vec vec = {0};
        TRY(comma_list(p, &vec, sizeof(const char *), option_list_item));
        TRY(sqlp_expect_char(p, ')'));
        o->list.n = vec.n;
        o->list.v = vec.v;
    }
    return 0;
}

/* An option's name: utility options take non-reserved words and ANALYZE; the others any
 * label, reloptions also a dotted one (toast.autovacuum_enabled). */
static int option_name(struct sql_parser *p, enum option_style style, const char **out)
{
    if (style == OPTS_UTILITY && !is_nonreserved_word(p) && !sqlp_is_kw(p, SQL_KW_ANALYZE) &&
        !sqlp_is_kw(p, SQL_KW_ANALYSE))
        return sqlp_syntax_error(p);
    TRY(sqlp_label(p, out));
    if (style != OPTS_RELOPTIONS || !sqlp_is_char(p, '.'))
        return 0;
    TRY(sqlp_advance(p));
    const char *second = NULL;
    TRY(sqlp_label(p, &second));
    size_t n1 = strlen(*out), n2 = strlen(second);
    char *s = sqlp_alloc(p, n1 + n2 + 2);
    TRY(nomem_if_null(p, s));
    memcpy(s, *out, n1);
    s[n1] = '.';
    memcpy(s + n1 + 1, second, n2 + 1);
    *out = s;
    return 0;
}

static int option_list(struct sql_parser *p, struct sql_options *out, enum option_style style)
{
    TRY(sqlp_expect_char(p, '('));
    struct sqlp_vec vec = {0};
    for (;;) {
        struct sql_option *o = sqlp_push(p, &vec, sizeof *o);
        TRY(nomem_if_null(p, o));
        o->loc = p->tok.loc;
        TRY(option_name(p, style, &o->name));
        bool t = !sqlp_is_char(p, ',') && !sqlp_is_char(p, ')');
        if (style == OPTS_RELOPTIONS)
            TRY(take_char(p, '=', &t));
        if (t) {
            TRY(option_value(p, o, style));
            if (o->value == NULL && !o->star && o->list.v == NULL)
                return sqlp_syntax_error(p);
        }
        TRY(take_char(p, ',', &t));
        if (!t)
            break;
    }
    TRY(sqlp_expect_char(p, ')'));
    out->n = vec.n;
    out->v = vec.v;
    return 0;
}

/* defGetBoolean: no value is true; 0/1; true/false/on/off in any case. */
static int option_bool(struct sql_parser *p, const struct sql_option *o, bool *out)
{
    if (o->value == NULL && o->list.v == NULL && !o->star) {
        *out = true;
        return 0;
    }
    if (o->value != NULL) {
        static const struct {
            const char *text;
            bool value;
        } words[] = {{"true", true}, {"false", false}, {"on", true},
                     {"off", false}, {"1", true},      {"0", false}};
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
            if (strcasecmp(o->value, words[i].text) == 0) {
                *out = words[i].value;
                return 0;
            }
    }
    return sqlp_error(p, ERR_MALFORMED, "42601", -1, "%s requires a Boolean value", o->name);
}

/* ------------------------------------------------------------------ transactions */

/* transaction_mode_list (items separated by commas or not); required: at least one. */
static int txn_modes(struct sql_parser *p, struct sql_txn_modes *m, bool required)
{
    bool any = false;
    for (;;) {
        if (sqlp_is_kw(p, SQL_KW_ISOLATION)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expect_kw(p, SQL_KW_LEVEL));
            if (sqlp_is_kw(p, SQL_KW_SERIALIZABLE)) {
                m->isolation = SQL_ISO_SERIALIZABLE;
            } else if (sqlp_is_kw(p, SQL_KW_REPEATABLE)) {
                TRY(sqlp_advance(p));
                if (!sqlp_is_kw(p, SQL_KW_READ))
                    return sqlp_syntax_error(p);
                m->isolation = SQL_ISO_REPEATABLE_READ;
            } else if (sqlp_is_kw(p, SQL_KW_READ)) {
                TRY(sqlp_advance(p));
                if (sqlp_is_kw(p, SQL_KW_COMMITTED))
                    m->isolation = SQL_ISO_READ_COMMITTED;
                else if (sqlp_is_kw(p, SQL_KW_UNCOMMITTED))
                    m->isolation = SQL_ISO_READ_UNCOMMITTED;
                else
                    return sqlp_syntax_error(p);
            } else {
                return sqlp_syntax_error(p);
            }
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_READ)) {
            TRY(sqlp_advance(p));
            if (sqlp_is_kw(p, SQL_KW_ONLY))
                m->read_only = 1;
            else if (sqlp_is_kw(p, SQL_KW_WRITE))
                m->read_only = -1;
            else
                return sqlp_syntax_error(p);
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_DEFERRABLE)) {
            m->deferrable = 1;
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_NOT) && sqlp_peek_is_kw(p, 1, SQL_KW_DEFERRABLE)) {
            m->deferrable = -1;
            TRY(sqlp_advance(p));
            TRY(sqlp_advance(p));
        } else {
            if (required && !any)
                return sqlp_syntax_error(p);
            return 0;
        }
        any = true;
        bool comma;
        TRY(take_char(p, ',', &comma));
        if (comma && !sqlp_is_kw(p, SQL_KW_ISOLATION) && !sqlp_is_kw(p, SQL_KW_READ) &&
            !sqlp_is_kw(p, SQL_KW_DEFERRABLE) && !sqlp_is_kw(p, SQL_KW_NOT))
            return sqlp_syntax_error(p);
    }
}

/* [WORK | TRANSACTION] */
static int opt_transaction(struct sql_parser *p)
{
    if (sqlp_is_kw(p, SQL_KW_WORK) || sqlp_is_kw(p, SQL_KW_TRANSACTION))
        return sqlp_advance(p);
    return 0;
}

/* [AND [NO] CHAIN] */
static int opt_chain(struct sql_parser *p, bool *chain)
{
    bool t;
    TRY(take_kw(p, SQL_KW_AND, &t));
    if (!t)
        return 0;
    TRY(take_kw(p, SQL_KW_NO, &t));
    TRY(sqlp_expect_kw(p, SQL_KW_CHAIN));
    *chain = !t;
    return 0;
}

/* An optional keyword before a name (RELEASE [SAVEPOINT] x, DEALLOCATE [PREPARE] x): alone,
 * the word is the name, as PostgreSQL's grammar reads RELEASE savepoint. */
static int opt_kw_before_name(struct sql_parser *p, enum sql_kw kw)
{
    const struct sql_token *next = sqlp_peek(p, 1);
    if (sqlp_is_kw(p, kw) && next != NULL && next->kind != SQL_TOK_EOF && next->kind != ';')
        return sqlp_advance(p);
    return 0;
}

static int txn_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct sql_txn *tx = sqlp_alloc(p, sizeof *tx);
    TRY(nomem_if_null(p, tx));
    st->txn = tx;
    int loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_BEGIN)) {
        st->kind = SQL_STMT_BEGIN;
        TRY(sqlp_advance(p));
        TRY(opt_transaction(p));
        return txn_modes(p, &tx->modes, false);
    }
    if (sqlp_is_kw(p, SQL_KW_START)) {
        st->kind = SQL_STMT_BEGIN;
        tx->start = true;
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_TRANSACTION));
        return txn_modes(p, &tx->modes, false);
    }
    if (sqlp_is_kw(p, SQL_KW_COMMIT) || sqlp_is_kw(p, SQL_KW_END)) {
        bool commit = sqlp_is_kw(p, SQL_KW_COMMIT);
        st->kind = SQL_STMT_COMMIT;
        TRY(sqlp_advance(p));
        if (commit && is_word(p, "prepared"))
            return unsupported(p, loc, "COMMIT PREPARED");
        TRY(opt_transaction(p));
        return opt_chain(p, &tx->chain);
    }
    if (sqlp_is_kw(p, SQL_KW_ROLLBACK) || sqlp_is_kw(p, SQL_KW_ABORT)) {
        bool rollback = sqlp_is_kw(p, SQL_KW_ROLLBACK);
        st->kind = SQL_STMT_ROLLBACK;
        TRY(sqlp_advance(p));
        if (rollback && is_word(p, "prepared"))
            return unsupported(p, loc, "ROLLBACK PREPARED");
        TRY(opt_transaction(p));
        if (rollback && sqlp_is_kw(p, SQL_KW_TO)) {
            st->kind = SQL_STMT_ROLLBACK_TO;
            TRY(sqlp_advance(p));
            TRY(opt_kw_before_name(p, SQL_KW_SAVEPOINT));
            return sqlp_colid(p, &tx->savepoint);
        }
        return opt_chain(p, &tx->chain);
    }
    if (sqlp_is_kw(p, SQL_KW_SAVEPOINT)) {
        st->kind = SQL_STMT_SAVEPOINT;
        TRY(sqlp_advance(p));
        return sqlp_colid(p, &tx->savepoint);
    }
    ASSERT(sqlp_is_kw(p, SQL_KW_RELEASE));
    st->kind = SQL_STMT_RELEASE;
    TRY(sqlp_advance(p));
    TRY(opt_kw_before_name(p, SQL_KW_SAVEPOINT));
    return sqlp_colid(p, &tx->savepoint);
}

/* ------------------------------------------------------------------ SET / RESET / SHOW */

/* var_name: ColId ['.' ColId ...], lower-cased. */
static int var_name(struct sql_parser *p, const char **out)
{
    const char *first = NULL;
    TRY(sqlp_colid(p, &first));
    size_t len = strlen(first);
    char *name = sqlp_strdup(p, first);
    TRY(nomem_if_null(p, name));
    while (sqlp_is_char(p, '.')) {
        TRY(sqlp_advance(p));
        const char *part = NULL;
        TRY(sqlp_colid(p, &part));
        size_t n = strlen(part);
        char *s = sqlp_alloc(p, len + n + 2);
        TRY(nomem_if_null(p, s));
        memcpy(s, name, len);
        s[len] = '.';
        memcpy(s + len + 1, part, n + 1);
        name = s;
        len += n + 1;
    }
    *out = lower_dup(p, name);
    return nomem_if_null(p, *out);
}

static int push_value(struct sql_parser *p, struct sqlp_vec *vec, const char *v)
{
    const char **slot = sqlp_push(p, vec, sizeof *slot);
    TRY(nomem_if_null(p, slot));
    *slot = v;
    return 0;
}

static int set_single(struct sql_parser *p, struct sql_set *s, const char *name, const char *v)
{
    struct sqlp_vec vec = {0};
    s->name = name;
    if (v == NULL) {
        s->kind = SQL_SET_DEFAULT;
        return 0;
    }
    TRY(push_value(p, &vec, v));
    s->values.n = vec.n;
    s->values.v = vec.v;
    return 0;
}

static bool is_interval_field(const struct sql_parser *p)
{
    return sqlp_is_kw(p, SQL_KW_YEAR) || sqlp_is_kw(p, SQL_KW_MONTH) || sqlp_is_kw(p, SQL_KW_DAY) ||
           sqlp_is_kw(p, SQL_KW_HOUR) || sqlp_is_kw(p, SQL_KW_MINUTE) ||
           sqlp_is_kw(p, SQL_KW_SECOND);
}

/* opt_interval after SET TIME ZONE INTERVAL 'x': [field [(p)] [TO field [(p)]]]. PostgreSQL
 * checks the fields (HOUR TO MINUTE) when it sets the zone; the value string is what counts. */
static int interval_fields(struct sql_parser *p)
{
    for (int part = 0; part < 2 && is_interval_field(p); part++) {
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '('))
            TRY(skip_parens(p));
        if (part == 1 || !sqlp_is_kw(p, SQL_KW_TO))
            return 0;
        TRY(sqlp_advance(p));
        if (!is_interval_field(p))
            return sqlp_syntax_error(p);
    }
    return 0;
}

/* SET TIME ZONE zone_value */
static int set_time_zone(struct sql_parser *p, struct sql_set *s)
{
    const char *v = NULL;
    if (sqlp_is_kw(p, SQL_KW_DEFAULT) || sqlp_is_kw(p, SQL_KW_LOCAL)) {
        TRY(sqlp_advance(p));
    } else if (p->tok.kind == SQL_TOK_STRING) {
        TRY(expect_string(p, &v));
    } else if (sqlp_is_kw(p, SQL_KW_INTERVAL)) {
        /* INTERVAL ['(' p ')'] 'value' [HOUR TO MINUTE]: the string carries the offset. */
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '('))
            TRY(skip_parens(p));
        TRY(expect_string(p, &v));
        TRY(interval_fields(p));
    } else if (p->tok.kind == SQL_TOK_IDENT && (p->tok.quoted || p->tok.kw == SQL_KW_NONE)) {
        v = p->tok.str;
        TRY(sqlp_advance(p));
    } else {
        TRY(numeric_only(p, &v));
        if (v == NULL)
            return sqlp_syntax_error(p);
    }
    return set_single(p, s, "timezone", v);
}

/* generic_set after the name: {TO | =} {DEFAULT | var_value [, ...]} */
static int set_generic(struct sql_parser *p, struct sql_set *s, const char *name)
{
    s->name = name;
    if (sqlp_is_kw(p, SQL_KW_FROM) && sqlp_peek_is_kw(p, 1, SQL_KW_CURRENT))
        return unsupported(p, p->tok.loc, "SET ... FROM CURRENT");
    if (!sqlp_is_kw(p, SQL_KW_TO) && !sqlp_is_char(p, '='))
        return sqlp_syntax_error(p);
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_DEFAULT)) {
        s->kind = SQL_SET_DEFAULT;
        return sqlp_advance(p);
    }
    struct sqlp_vec vec = {0};
    for (;;) {
        const char *v = NULL;
        TRY(boolean_string_or_number(p, &v));
        if (v == NULL)
            return sqlp_syntax_error(p);
        TRY(push_value(p, &vec, v));
        bool t;
        TRY(take_char(p, ',', &t));
        if (!t)
            break;
    }
    s->values.n = vec.n;
    s->values.v = vec.v;
    return 0;
}

/* The special forms apply unless the word is used as a parameter name: `SET names TO x`. */
static bool special_set_form(struct sql_parser *p)
{
    return !sqlp_peek_is_kw(p, 1, SQL_KW_TO) && !sqlp_peek_is_char(p, 1, '=') &&
           !sqlp_peek_is_char(p, 1, '.');
}

static int set_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct sql_set *s = sqlp_alloc(p, sizeof *s);
    TRY(nomem_if_null(p, s));
    st->kind = SQL_STMT_SET;
    st->set = s;
    TRY(sqlp_advance(p)); /* SET */
    /* LOCAL and SESSION are scopes unless they name the parameter (SET session = 1). */
    if (sqlp_is_kw(p, SQL_KW_LOCAL) && special_set_form(p)) {
        s->local = true;
        TRY(sqlp_advance(p));
    } else if (sqlp_is_kw(p, SQL_KW_SESSION) && !sqlp_peek_is_kw(p, 1, SQL_KW_CHARACTERISTICS) &&
               !sqlp_peek_is_kw(p, 1, SQL_KW_AUTHORIZATION) && special_set_form(p)) {
        TRY(sqlp_advance(p)); /* SET SESSION: the default scope */
    }
    int loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_TRANSACTION) && special_set_form(p)) {
        TRY(sqlp_advance(p));
        if (is_word(p, "snapshot"))
            return unsupported(p, loc, "SET TRANSACTION SNAPSHOT");
        s->kind = SQL_SET_TRANSACTION;
        s->name = "transaction";
        return txn_modes(p, &s->modes, true);
    }
    if (sqlp_is_kw(p, SQL_KW_SESSION) && sqlp_peek_is_kw(p, 1, SQL_KW_CHARACTERISTICS)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_AS));
        TRY(sqlp_expect_kw(p, SQL_KW_TRANSACTION));
        s->kind = SQL_SET_SESSION_CHARACTERISTICS;
        s->name = "session_characteristics";
        return txn_modes(p, &s->modes, true);
    }
    if (sqlp_is_kw(p, SQL_KW_SESSION) && sqlp_peek_is_kw(p, 1, SQL_KW_AUTHORIZATION)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        const char *v = NULL;
        if (sqlp_is_kw(p, SQL_KW_DEFAULT)) {
            TRY(sqlp_advance(p));
        } else if (is_nonreserved_word(p) || p->tok.kind == SQL_TOK_STRING) {
            v = p->tok.str;
            TRY(sqlp_advance(p));
        } else {
            return sqlp_syntax_error(p);
        }
        return set_single(p, s, "session_authorization", v);
    }
    if (sqlp_is_kw(p, SQL_KW_TIME) && sqlp_peek_is_kw(p, 1, SQL_KW_ZONE)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        return set_time_zone(p, s);
    }
    if (sqlp_is_kw(p, SQL_KW_NAMES) && special_set_form(p)) {
        TRY(sqlp_advance(p));
        const char *v = NULL;
        if (sqlp_is_kw(p, SQL_KW_DEFAULT))
            TRY(sqlp_advance(p));
        else if (p->tok.kind == SQL_TOK_STRING)
            TRY(expect_string(p, &v));
        return set_single(p, s, "client_encoding", v);
    }
    if (is_word(p, "schema") && special_set_form(p)) {
        TRY(sqlp_advance(p));
        const char *v = NULL;
        TRY(expect_string(p, &v));
        return set_single(p, s, "search_path", v);
    }
    if (is_word(p, "role") && special_set_form(p)) {
        TRY(sqlp_advance(p));
        if (!is_nonreserved_word(p) && p->tok.kind != SQL_TOK_STRING)
            return sqlp_syntax_error(p);
        const char *v = p->tok.str;
        TRY(sqlp_advance(p));
        return set_single(p, s, "role", v);
    }
    if (is_word(p, "catalog") && special_set_form(p)) {
        TRY(sqlp_advance(p));
        int value_loc = p->tok.loc;
        const char *v = NULL;
        TRY(expect_string(p, &v));
        return sqlp_error(p, ERR_UNSUPPORTED, "0A000", value_loc,
                          "current database cannot be changed");
    }
    if (is_word(p, "xml") && peek_is_word(p, 1, "option")) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        if (!is_word(p, "document") && !is_word(p, "content"))
            return sqlp_syntax_error(p);
        const char *v = p->tok.str;
        TRY(sqlp_advance(p));
        return set_single(p, s, "xmloption", v);
    }
    const char *name = NULL;
    TRY(var_name(p, &name));
    return set_generic(p, s, name);
}

/* RESET and SHOW: var_name | TIME ZONE | TRANSACTION ISOLATION LEVEL | SESSION AUTHORIZATION |
 * ALL. */
static int reset_show_stmt(struct sql_parser *p, struct sql_stmt *st, bool show)
{
    struct sql_set *s = sqlp_alloc(p, sizeof *s);
    TRY(nomem_if_null(p, s));
    st->kind = show ? SQL_STMT_SHOW : SQL_STMT_RESET;
    st->set = s;
    s->kind = show ? SQL_SET_VALUE : SQL_SET_DEFAULT;
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_ALL)) {
        s->name = "all";
        return sqlp_advance(p);
    }
    if (sqlp_is_kw(p, SQL_KW_TIME) && sqlp_peek_is_kw(p, 1, SQL_KW_ZONE)) {
        s->name = "timezone";
        TRY(sqlp_advance(p));
        return sqlp_advance(p);
    }
    if (sqlp_is_kw(p, SQL_KW_TRANSACTION) && sqlp_peek_is_kw(p, 1, SQL_KW_ISOLATION)) {
        s->name = "transaction_isolation";
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        return sqlp_expect_kw(p, SQL_KW_LEVEL);
    }
    if (sqlp_is_kw(p, SQL_KW_SESSION) && sqlp_peek_is_kw(p, 1, SQL_KW_AUTHORIZATION)) {
        s->name = "session_authorization";
        TRY(sqlp_advance(p));
        return sqlp_advance(p);
    }
    return var_name(p, &s->name);
}

/* ------------------------------------------------------------------ column definitions */

static int col_conflict(struct sql_parser *p, int loc, const char *what,
                        const struct sql_column_def *cd, const char *table)
{
    return sqlp_error(p, ERR_MALFORMED, "42601", loc, "%s for column \"%s\" of table \"%s\"", what,
                      cd->name, table != NULL ? table : "");
}

/* [MATCH FULL | PARTIAL | SIMPLE] and ON DELETE / ON UPDATE actions, in any order. */
static int key_match_actions(struct sql_parser *p)
{
    for (;;) {
        if (sqlp_is_kw(p, SQL_KW_MATCH)) {
            int loc = p->tok.loc;
            TRY(sqlp_advance(p));
            if (is_word(p, "partial"))
                return sqlp_error(p, ERR_UNSUPPORTED, "0A000", loc,
                                  "MATCH PARTIAL not yet implemented");
            if (!sqlp_is_kw(p, SQL_KW_FULL) && !is_word(p, "simple"))
                return sqlp_syntax_error(p);
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_ON) &&
                   (sqlp_peek_is_kw(p, 1, SQL_KW_DELETE) || sqlp_peek_is_kw(p, 1, SQL_KW_UPDATE))) {
            TRY(sqlp_advance(p));
            TRY(sqlp_advance(p));
            if (sqlp_is_kw(p, SQL_KW_NO)) {
                TRY(sqlp_advance(p));
                TRY(sqlp_expect_kw(p, SQL_KW_ACTION));
            } else if (sqlp_is_kw(p, SQL_KW_RESTRICT) || sqlp_is_kw(p, SQL_KW_CASCADE)) {
                TRY(sqlp_advance(p));
            } else if (sqlp_is_kw(p, SQL_KW_SET)) {
                TRY(sqlp_advance(p));
                if (!sqlp_is_kw(p, SQL_KW_NULL) && !sqlp_is_kw(p, SQL_KW_DEFAULT))
                    return sqlp_syntax_error(p);
                TRY(sqlp_advance(p));
                if (sqlp_is_char(p, '(')) {
                    struct sql_names ignored;
                    TRY(sqlp_paren_names(p, &ignored));
                }
            } else {
                return sqlp_syntax_error(p);
            }
        } else {
            return 0;
        }
    }
}

/* ConstraintAttributeSpec: DEFERRABLE, NOT DEFERRABLE, INITIALLY DEFERRED | IMMEDIATE, NOT VALID,
 * NO INHERIT: accepted; Cairn checks constraints immediately. */
static int constraint_attrs(struct sql_parser *p)
{
    for (;;) {
        if (sqlp_is_kw(p, SQL_KW_DEFERRABLE)) {
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_NOT) &&
                   (sqlp_peek_is_kw(p, 1, SQL_KW_DEFERRABLE) || peek_is_word(p, 1, "valid"))) {
            TRY(sqlp_advance(p));
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_INITIALLY)) {
            TRY(sqlp_advance(p));
            if (!sqlp_is_kw(p, SQL_KW_DEFERRED) && !sqlp_is_kw(p, SQL_KW_IMMEDIATE))
                return sqlp_syntax_error(p);
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_NO) && peek_is_word(p, 1, "inherit")) {
            TRY(sqlp_advance(p));
            TRY(sqlp_advance(p));
        } else {
            return 0;
        }
    }
}

/* After UNIQUE / PRIMARY KEY: [NULLS [NOT] DISTINCT] ... [INCLUDE (cols)] [WITH (...)]
 * [USING INDEX TABLESPACE name]; nulls_ok: the NULLS clause may appear here. */
static int index_constraint_tail(struct sql_parser *p, bool nulls_ok, struct sql_names *cols)
{
    if (nulls_ok && sqlp_is_kw(p, SQL_KW_NULLS)) {
        int loc = p->tok.loc;
        TRY(sqlp_advance(p));
        bool not ;
        TRY(take_kw(p, SQL_KW_NOT, &not ));
        TRY(sqlp_expect_kw(p, SQL_KW_DISTINCT));
        if (not )
            return unsupported(p, loc, "UNIQUE NULLS NOT DISTINCT");
    }
    if (cols != NULL)
        TRY(sqlp_paren_names(p, cols));
    if (sqlp_is_kw(p, SQL_KW_INCLUDE)) {
        TRY(sqlp_advance(p));
        struct sql_names ignored;
        TRY(sqlp_paren_names(p, &ignored));
    }
    if (sqlp_is_kw(p, SQL_KW_WITH) && sqlp_peek_is_char(p, 1, '(')) {
        TRY(sqlp_advance(p));
        struct sql_options ignored;
        TRY(option_list(p, &ignored, OPTS_RELOPTIONS));
    }
    if (sqlp_is_kw(p, SQL_KW_USING) && sqlp_peek_is_kw(p, 1, SQL_KW_INDEX)) {
        int loc = p->tok.loc;
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        if (!is_word(p, "tablespace"))
            return unsupported(p, loc, "a constraint USING INDEX");
        TRY(sqlp_advance(p));
        const char *ignored = NULL;
        TRY(sqlp_colid(p, &ignored));
    }
    return 0;
}

/* REFERENCES table [(cols)] [MATCH ...] [ON DELETE ...] [ON UPDATE ...] */
static int references(struct sql_parser *p, struct sql_constraint *c)
{
    TRY(sqlp_expect_kw(p, SQL_KW_REFERENCES));
    TRY(sqlp_qname(p, &c->ref_table));
    if (sqlp_is_char(p, '('))
        TRY(sqlp_paren_names(p, &c->ref_cols));
    return key_match_actions(p);
}

/* CHECK ( a_expr ) [NO INHERIT] */
static int check_expr(struct sql_parser *p, struct sql_constraint *c)
{
    TRY(sqlp_expect_kw(p, SQL_KW_CHECK));
    TRY(sqlp_expect_char(p, '('));
    c->expr_loc = p->tok.loc;
    TRY(sqlp_expr(p, &c->expr));
    c->expr_end = p->prev_end;
    return sqlp_expect_char(p, ')');
}

/* DEFAULT's b_expr. PostgreSQL's b_expr has no COLLATE: a COLLATE after the default belongs
 * to the column, so a top-level COLLATE that the expression parser took (and that was not
 * inside parentheses) is handed back. */
static int default_expr(struct sql_parser *p, struct sql_expr **out, struct sql_qname *collation,
                        int *end)
{
    int start = p->tok.loc;
    TRY(sqlp_expr(p, out));
    *end = p->prev_end;
    struct sql_expr *e = *out;
    if (e->kind == SQL_E_COLLATE && collation != NULL && p->prev_end > start &&
        p->text[p->prev_end - 1] != ')') {
        *collation = e->collate.collation;
        *out = e->collate.arg;
        *end = e->loc; /* where COLLATE is */
    }
    return 0;
}

/* GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(seq options)] | GENERATED ALWAYS AS (expr)
 * STORED. The current token is GENERATED. */
static int generated(struct sql_parser *p, struct sql_constraint *c)
{
    TRY(sqlp_advance(p));
    bool always = false;
    int when_loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_ALWAYS)) {
        always = true;
        TRY(sqlp_advance(p));
    } else {
        TRY(sqlp_expect_kw(p, SQL_KW_BY));
        TRY(sqlp_expect_kw(p, SQL_KW_DEFAULT));
    }
    TRY(sqlp_expect_kw(p, SQL_KW_AS));
    if (sqlp_is_kw(p, SQL_KW_IDENTITY)) {
        c->kind = SQL_CON_IDENTITY;
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '('))
            TRY(skip_parens(p));
        return 0;
    }
    c->kind = SQL_CON_GENERATED;
    TRY(sqlp_expect_char(p, '('));
    TRY(sqlp_expr(p, &c->expr));
    TRY(sqlp_expect_char(p, ')'));
    TRY(sqlp_expect_kw(p, SQL_KW_STORED));
    if (!always)
        return sqlp_error(p, ERR_MALFORMED, "42601", when_loc,
                          "for a generated column, GENERATED ALWAYS must be specified");
    return 0;
}

/* One ColConstraint (or attribute / COLLATE); *done when the current token starts none. */
static int column_constraint(struct sql_parser *p, struct sql_column_def *cd, struct sqlp_vec *cons,
                             bool *done)
{
    *done = false;
    int loc = p->tok.loc;
    const char *name = NULL;
    if (sqlp_is_kw(p, SQL_KW_CONSTRAINT)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_colid(p, &name));
    } else if (sqlp_is_kw(p, SQL_KW_COLLATE)) {
        TRY(sqlp_advance(p));
        return sqlp_qname(p, &cd->collation);
    } else if (sqlp_is_kw(p, SQL_KW_DEFERRABLE) || sqlp_is_kw(p, SQL_KW_INITIALLY) ||
               (sqlp_is_kw(p, SQL_KW_NOT) && sqlp_peek_is_kw(p, 1, SQL_KW_DEFERRABLE))) {
        return constraint_attrs(p);
    }
    struct sql_constraint c = {.name = name, .loc = loc};
    if (sqlp_is_kw(p, SQL_KW_NOT) && sqlp_peek_is_kw(p, 1, SQL_KW_NULL)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        c.kind = SQL_CON_NOT_NULL;
        cd->not_null = true;
    } else if (sqlp_is_kw(p, SQL_KW_NULL)) {
        TRY(sqlp_advance(p));
        c.kind = SQL_CON_NULL;
    } else if (sqlp_is_kw(p, SQL_KW_UNIQUE)) {
        TRY(sqlp_advance(p));
        TRY(index_constraint_tail(p, true, NULL));
        c.kind = SQL_CON_UNIQUE;
        cd->unique = true;
    } else if (sqlp_is_kw(p, SQL_KW_PRIMARY)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_KEY));
        TRY(index_constraint_tail(p, false, NULL));
        c.kind = SQL_CON_PRIMARY_KEY;
        cd->primary_key = true;
    } else if (sqlp_is_kw(p, SQL_KW_CHECK)) {
        c.kind = SQL_CON_CHECK;
        TRY(check_expr(p, &c));
        TRY(constraint_attrs(p));
    } else if (sqlp_is_kw(p, SQL_KW_DEFAULT)) {
        TRY(sqlp_advance(p));
        c.kind = SQL_CON_DEFAULT;
        c.expr_loc = p->tok.loc;
        TRY(default_expr(p, &c.expr, &cd->collation, &c.expr_end));
        cd->default_expr = c.expr;
    } else if (sqlp_is_kw(p, SQL_KW_GENERATED)) {
        TRY(generated(p, &c));
    } else if (sqlp_is_kw(p, SQL_KW_REFERENCES)) {
        c.kind = SQL_CON_FOREIGN_KEY;
        TRY(references(p, &c));
        TRY(constraint_attrs(p));
    } else {
        if (name != NULL)
            return sqlp_syntax_error(p);
        *done = true;
        return 0;
    }
    struct sql_constraint *slot = sqlp_push(p, cons, sizeof *slot);
    TRY(nomem_if_null(p, slot));
    *slot = c;
    return 0;
}

/* columnDef: ColId Typename [COMPRESSION x] ColQualList. */
static int column_def(struct sql_parser *p, struct sql_column_def *cd)
{
    cd->loc = p->tok.loc;
    TRY(sqlp_colid(p, &cd->name));
    TRY(sqlp_type(p, &cd->type));
    if (is_word(p, "compression")) {
        TRY(sqlp_advance(p));
        const char *ignored = NULL;
        if (sqlp_is_kw(p, SQL_KW_DEFAULT))
            TRY(sqlp_advance(p));
        else
            TRY(sqlp_colid(p, &ignored));
    }
    if (is_word(p, "options") && sqlp_peek_is_char(p, 1, '('))
        return unsupported(p, p->tok.loc, "column OPTIONS");
    struct sqlp_vec cons = {0};
    for (;;) {
        bool done;
        TRY(column_constraint(p, cd, &cons, &done));
        if (done)
            break;
    }
    cd->constraints.n = cons.n;
    cd->constraints.v = cons.v;
    return 0;
}

/* TableConstraint: [CONSTRAINT name] CHECK | UNIQUE | PRIMARY KEY | FOREIGN KEY | EXCLUDE. */
static bool starts_table_constraint(const struct sql_parser *p)
{
    return sqlp_is_kw(p, SQL_KW_CONSTRAINT) || sqlp_is_kw(p, SQL_KW_CHECK) ||
           sqlp_is_kw(p, SQL_KW_UNIQUE) || sqlp_is_kw(p, SQL_KW_PRIMARY) ||
           sqlp_is_kw(p, SQL_KW_FOREIGN) || sqlp_is_kw(p, SQL_KW_EXCLUDE);
}

static int table_constraint(struct sql_parser *p, struct sql_constraint *c)
{
    c->loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_CONSTRAINT)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_colid(p, &c->name));
    }
    bool existing = (sqlp_is_kw(p, SQL_KW_UNIQUE) && sqlp_peek_is_kw(p, 1, SQL_KW_USING)) ||
                    (sqlp_is_kw(p, SQL_KW_PRIMARY) && sqlp_peek_is_kw(p, 2, SQL_KW_USING));
    if (existing)
        return unsupported(p, c->loc, "a constraint USING INDEX");
    if (sqlp_is_kw(p, SQL_KW_CHECK)) {
        c->kind = SQL_CON_CHECK;
        TRY(check_expr(p, c));
    } else if (sqlp_is_kw(p, SQL_KW_UNIQUE)) {
        c->kind = SQL_CON_UNIQUE;
        TRY(sqlp_advance(p));
        TRY(index_constraint_tail(p, true, &c->cols));
    } else if (sqlp_is_kw(p, SQL_KW_PRIMARY)) {
        c->kind = SQL_CON_PRIMARY_KEY;
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_KEY));
        TRY(index_constraint_tail(p, false, &c->cols));
    } else if (sqlp_is_kw(p, SQL_KW_FOREIGN)) {
        c->kind = SQL_CON_FOREIGN_KEY;
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_KEY));
        TRY(sqlp_paren_names(p, &c->cols));
        TRY(references(p, c));
    } else if (sqlp_is_kw(p, SQL_KW_EXCLUDE)) {
        return unsupported(p, c->loc, "EXCLUDE constraint");
    } else {
        return sqlp_syntax_error(p);
    }
    return constraint_attrs(p);
}

/* ------------------------------------------------------------------ CREATE TABLE */

static int create_table_element(struct sql_parser *p, struct sql_create_table *ct,
                                struct sqlp_vec *cols, struct sqlp_vec *cons)
{
    if (sqlp_is_kw(p, SQL_KW_LIKE))
        return unsupported(p, p->tok.loc, "CREATE TABLE ... LIKE");
    if (starts_table_constraint(p)) {
        struct sql_constraint *c = sqlp_push(p, cons, sizeof *c);
        TRY(nomem_if_null(p, c));
        return table_constraint(p, c);
    }
    if (cols->n >= SQL_COLUMNS_MAX)
        return sqlp_error(p, ERR_TOOBIG, "54011", -1, "tables can have at most %d columns",
                          SQL_COLUMNS_MAX);
    struct sql_column_def *cd = sqlp_push(p, cols, sizeof *cd);
    TRY(nomem_if_null(p, cd));
    return column_def(p, cd);
}

/* CREATE TABLE's node with what its checks after the parse need. st->create_table points at ct. */
struct create_table_node {
    struct sql_create_table ct;
    bool on_commit; /* ON COMMIT ... written */
};

/* transformColumnDefinition's checks of one column's constraints: contradictions while going
 * through them in order, then the combinations, reported at the last constraint as PostgreSQL
 * reports them. */
static int column_checks(struct sql_parser *p, const struct sql_column_def *cd, const char *table)
{
    bool null = false, not_null = false, def = false, identity = false, generated = false;
    const struct sql_constraint *c = NULL;
    for (uint32_t i = 0; i < cd->constraints.n; i++) {
        c = &cd->constraints.v[i];
        const char *conflict = NULL;
        if (c->kind == SQL_CON_NULL || c->kind == SQL_CON_NOT_NULL) {
            if ((c->kind == SQL_CON_NULL && not_null) || (c->kind == SQL_CON_NOT_NULL && null))
                conflict = "conflicting NULL/NOT NULL declarations";
            null |= c->kind == SQL_CON_NULL;
            not_null |= c->kind == SQL_CON_NOT_NULL;
        } else if (c->kind == SQL_CON_DEFAULT) {
            conflict = def ? "multiple default values specified" : NULL;
            def = true;
        } else if (c->kind == SQL_CON_IDENTITY) {
            conflict = identity ? "multiple identity specifications" : NULL;
            identity = true;
        } else if (c->kind == SQL_CON_GENERATED) {
            conflict = generated ? "multiple generation clauses specified" : NULL;
            generated = true;
        }
        if (conflict != NULL)
            return col_conflict(p, c->loc, conflict, cd, table);
    }
    const char *combination = def && identity         ? "both default and identity specified"
                              : def && generated      ? "both default and generation expression "
                                                        "specified"
                              : identity && generated ? "both identity and generation expression "
                                                        "specified"
                                                      : NULL;
    return combination != NULL ? col_conflict(p, c->loc, combination, cd, table) : 0;
}

/* What PostgreSQL refuses in CREATE TABLE that needs only the statement, in its order: each
 * column's constraints and a second primary key (transformCreateStmt), then ON COMMIT on a
 * permanent table and a column named twice (DefineRelation). */
static int create_table_checks(struct sql_parser *p, const struct create_table_node *node)
{
    const struct sql_create_table *ct = &node->ct;
    for (uint32_t i = 0; i < ct->columns.n; i++)
        TRY(column_checks(p, &ct->columns.v[i], ct->table.name));
    /* Column constraints first, then the table's. */
    int pks = 0;
    for (uint32_t i = 0; i < ct->columns.n; i++) {
        const struct sql_constraints *cs = &ct->columns.v[i].constraints;
        for (uint32_t k = 0; k < cs->n; k++)
            if (cs->v[k].kind == SQL_CON_PRIMARY_KEY && pks++ > 0)
                return sqlp_error(p, ERR_MALFORMED, "42P16", cs->v[k].loc,
                                  "multiple primary keys for table \"%s\" are not allowed",
                                  ct->table.name);
    }
    for (uint32_t k = 0; k < ct->constraints.n; k++)
        if (ct->constraints.v[k].kind == SQL_CON_PRIMARY_KEY && pks++ > 0)
            return sqlp_error(p, ERR_MALFORMED, "42P16", ct->constraints.v[k].loc,
                              "multiple primary keys for table \"%s\" are not allowed",
                              ct->table.name);
    if (node->on_commit && !ct->temporary)
        return sqlp_error(p, ERR_MALFORMED, "42P16", -1,
                          "ON COMMIT can only be used on temporary tables");
    for (uint32_t i = 1; i < ct->columns.n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(ct->columns.v[i].name, ct->columns.v[j].name) == 0)
                return sqlp_error(p, ERR_MALFORMED, "42701", -1,
                                  "column \"%s\" specified more than once", ct->columns.v[i].name);
    return 0;
}

/* [USING method] [WITH (options) | WITHOUT OIDS] [ON COMMIT ...] [TABLESPACE name]. */
static int create_table_tail(struct sql_parser *p, struct sql_create_table *ct)
{
    if (sqlp_is_kw(p, SQL_KW_USING)) {
        int loc = p->tok.loc;
        TRY(sqlp_advance(p));
        const char *method = NULL;
        TRY(sqlp_colid(p, &method));
        if (strcmp(method, "heap") != 0)
            return unsupported(p, loc, "a table access method");
    }
    if (sqlp_is_kw(p, SQL_KW_WITH) && sqlp_peek_is_char(p, 1, '(')) {
        TRY(sqlp_advance(p));
        TRY(option_list(p, &ct->with, OPTS_RELOPTIONS));
    } else if (sqlp_is_kw(p, SQL_KW_WITHOUT) && sqlp_peek_is_kw(p, 1, SQL_KW_OIDS)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
    }
    if (sqlp_is_kw(p, SQL_KW_ON) && peek_is_word(p, 1, "commit")) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        if (is_word(p, "drop")) {
            TRY(sqlp_advance(p));
        } else if (sqlp_is_kw(p, SQL_KW_DELETE) || is_word(p, "preserve")) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expect_kw(p, SQL_KW_ROWS));
        } else {
            return sqlp_syntax_error(p);
        }
        ((struct create_table_node *)ct)->on_commit = true;
    }
    if (is_word(p, "tablespace")) {
        TRY(sqlp_advance(p));
        const char *ignored = NULL;
        TRY(sqlp_colid(p, &ignored));
    }
    return 0;
}

/* Cairn's placement: DISTRIBUTED BY (cols) | DISTRIBUTED GLOBALLY. */
static int distribution(struct sql_parser *p, struct sql_create_table *ct)
{
    if (!is_word(p, "distributed"))
        return 0;
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_BY)) {
        TRY(sqlp_advance(p));
        ct->distribution = SQL_DIST_BY;
        return sqlp_paren_names(p, &ct->distributed_by);
    }
    TRY(expect_word(p, "globally"));
    ct->distribution = SQL_DIST_GLOBALLY;
    return 0;
}

/* ( name [, ...] ) AS ...: the column list of CREATE TABLE AS rather than table elements. */
static bool create_as_columns(struct sql_parser *p)
{
    if (!sqlp_is_char(p, '('))
        return false;
    const struct sql_token *a = sqlp_peek(p, 1);
    if (a == NULL || a->kind != SQL_TOK_IDENT)
        return false;
    return sqlp_peek_is_char(p, 2, ',') || sqlp_peek_is_char(p, 2, ')');
}

/* After CREATE [TEMP|UNLOGGED] TABLE. */
static int create_table(struct sql_parser *p, struct sql_stmt *st, struct sql_create_table *ct)
{
    st->kind = SQL_STMT_CREATE_TABLE;
    st->create_table = ct;
    TRY(if_not_exists(p, &ct->if_not_exists));
    TRY(sqlp_qname(p, &ct->table));
    if (is_word(p, "of"))
        return unsupported(p, p->tok.loc, "CREATE TABLE ... OF");
    if (is_word(p, "partition") || sqlp_is_kw(p, SQL_KW_PARTITION))
        return unsupported(p, p->tok.loc, "CREATE TABLE ... PARTITION OF");
    struct sqlp_vec cols = {0}, cons = {0};
    bool as = sqlp_is_kw(p, SQL_KW_AS) || create_as_columns(p);
    if (as) {
        if (sqlp_is_char(p, '(')) {
            struct sql_names names;
            int loc = p->tok.loc;
            TRY(sqlp_paren_names(p, &names));
            if (names.n > SQL_COLUMNS_MAX)
                return sqlp_error(p, ERR_TOOBIG, "54011", -1, "tables can have at most %d columns",
                                  SQL_COLUMNS_MAX);
            ct->columns.v = sqlp_alloc(p, names.n * sizeof *ct->columns.v);
            TRY(nomem_if_null(p, ct->columns.v));
            ct->columns.n = names.n;
            for (uint32_t i = 0; i < names.n; i++) {
                struct sql_column_def *cd = &ct->columns.v[i];
                cd->name = names.v[i];
                cd->type =
                    (struct sql_type){.kind = SQL_TYPE_UNKNOWN, .mod1 = -1, .mod2 = -1, .loc = -1};
                cd->loc = loc;
            }
        }
        TRY(create_table_tail(p, ct));
        TRY(sqlp_expect_kw(p, SQL_KW_AS));
        if (is_word(p, "execute"))
            return unsupported(p, p->tok.loc, "CREATE TABLE ... AS EXECUTE");
        TRY(sqlp_select(p, &ct->as_select));
        if (sqlp_is_kw(p, SQL_KW_WITH)) {
            TRY(sqlp_advance(p));
            bool no;
            TRY(take_kw(p, SQL_KW_NO, &no));
            TRY(sqlp_expect_kw(p, SQL_KW_DATA));
            ct->with_no_data = no;
        }
        TRY(distribution(p, ct));
        return 0;
    }
    TRY(sqlp_expect_char(p, '('));
    if (!sqlp_is_char(p, ')')) {
        for (;;) {
            TRY(create_table_element(p, ct, &cols, &cons));
            bool t;
            TRY(take_char(p, ',', &t));
            if (!t)
                break;
        }
    }
    TRY(sqlp_expect_char(p, ')'));
    ct->columns.n = cols.n;
    ct->columns.v = cols.v;
    ct->constraints.n = cons.n;
    ct->constraints.v = cons.v;
    if (is_word(p, "inherits"))
        return unsupported(p, p->tok.loc, "CREATE TABLE ... INHERITS");
    if (sqlp_is_kw(p, SQL_KW_PARTITION) && sqlp_peek_is_kw(p, 1, SQL_KW_BY))
        return unsupported(p, p->tok.loc, "CREATE TABLE ... PARTITION BY");
    TRY(create_table_tail(p, ct));
    TRY(distribution(p, ct));
    return 0;
}

/* ------------------------------------------------------------------ CREATE INDEX */

/* 42601 syntax error at the token that starts at byte loc (the parser is past it). */
static int syntax_error_at(struct sql_parser *p, int loc)
{
    struct sql_lexer lx = {.text = p->text, .len = p->len, .pos = (size_t)loc, .arena = p->arena};
    struct sql_token t;
    TRY(sql_lex_next(&lx, &t, p->err));
    if (t.kind == SQL_TOK_EOF)
        return sqlp_error(p, ERR_MALFORMED, "42601", loc, "syntax error at end of input");
    return sqlp_error(p, ERR_MALFORMED, "42601", loc, "syntax error at or near \"%.*s\"",
                      t.end - t.loc, p->text + t.loc);
}

/* An index element that is not a plain column nor parenthesized must be a function call
 * (func_expr_windowless): a name, '(' arguments ')'; or a keyword function without them
 * (current_date); else the syntax error is PostgreSQL's (at "+" in (+ 1), at ")" in (t.a)).
 * *end: where the call ends in the text, which is where PostgreSQL's grammar stops the element
 * (f(x) + 1 or f(x)::int fail there). Looks ahead without consuming. */
static int func_call_end(struct sql_parser *p, int *end)
{
    struct sql_lexer lx = {
        .text = p->text, .len = p->len, .pos = (size_t)p->tok.loc, .arena = p->arena};
    struct sql_token t;
    int parts = 0;
    bool keyword = false;
    for (;;) {
        TRY(sql_lex_next(&lx, &t, p->err));
        if (t.kind != SQL_TOK_IDENT)
            break;
        keyword = t.kw != SQL_KW_NONE && !t.quoted;
        parts++;
        TRY(sql_lex_next(&lx, &t, p->err));
        if (t.kind != '.')
            break;
    }
    if (parts == 1 && keyword && t.kind != '(') {
        *end = t.loc; /* current_date */
        return 0;
    }
    if (parts == 0 || t.kind != '(')
        return syntax_error_at(p, parts == 0 ? p->tok.loc : t.loc);
    for (int depth = 1; depth > 0 && t.kind != SQL_TOK_EOF;) {
        TRY(sql_lex_next(&lx, &t, p->err));
        depth += t.kind == '(' ? 1 : t.kind == ')' ? -1 : 0;
    }
    if (t.kind == ')')
        TRY(sql_lex_next(&lx, &t, p->err));
    *end = t.loc;
    return 0;
}

/* index_elem: ColId | func_call | ( a_expr ), then [COLLATE x] [opclass [(params)]]
 * [ASC|DESC] [NULLS FIRST|LAST]. */
static int index_elem(struct sql_parser *p, void *slot)
{
    struct sql_index_elem *el = slot;
    el->loc = p->tok.loc;
    bool plain = sqlp_is_colid(p) && !sqlp_peek_is_char(p, 1, '(') && !sqlp_peek_is_char(p, 1, '.');
    if (plain) {
        TRY(sqlp_colid(p, &el->column));
    } else {
        bool paren = sqlp_is_char(p, '(');
        int start = p->tok.loc, call_end = -1;
        if (!paren)
            TRY(func_call_end(p, &call_end));
        TRY(sqlp_expr(p, &el->expr));
        if (!paren && p->tok.loc != call_end)
            return syntax_error_at(p, call_end);
        /* f(x) COLLATE c: the COLLATE is the element's, as in a column default. */
        if (!paren && el->expr->kind == SQL_E_COLLATE && p->prev_end > start &&
            p->text[p->prev_end - 1] != ')') {
            el->collation = el->expr->collate.collation;
            el->expr = el->expr->collate.arg;
        } else if (paren && el->expr->kind == SQL_E_COLUMN && !el->expr->column.star &&
                   el->expr->column.nparts == 1) {
            /* (a) indexes the column a, as PostgreSQL's transformIndexStmt decides too. */
            el->column = el->expr->column.parts[0];
            el->expr = NULL;
        }
    }
    el->expr_end = p->prev_end;
    if (sqlp_is_kw(p, SQL_KW_COLLATE)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_qname(p, &el->collation));
    }
    bool nulls_order = sqlp_is_kw(p, SQL_KW_NULLS) &&
                       (sqlp_peek_is_kw(p, 1, SQL_KW_FIRST) || sqlp_peek_is_kw(p, 1, SQL_KW_LAST));
    if (sqlp_is_colid(p) && !nulls_order) {
        struct sql_qname opclass;
        TRY(sqlp_qname(p, &opclass));
        el->opclass = opclass.name;
        if (sqlp_is_char(p, '('))
            TRY(skip_parens(p));
    }
    if (sqlp_is_kw(p, SQL_KW_ASC) || sqlp_is_kw(p, SQL_KW_DESC)) {
        el->dir = sqlp_is_kw(p, SQL_KW_ASC) ? SQL_SORT_ASC : SQL_SORT_DESC;
        TRY(sqlp_advance(p));
    }
    if (sqlp_is_kw(p, SQL_KW_NULLS)) {
        TRY(sqlp_advance(p));
        if (sqlp_is_kw(p, SQL_KW_FIRST))
            el->nulls = SQL_NULLS_FIRST;
        else if (sqlp_is_kw(p, SQL_KW_LAST))
            el->nulls = SQL_NULLS_LAST;
        else
            return sqlp_syntax_error(p);
        TRY(sqlp_advance(p));
    }
    return 0;
}

/* ( index_elem [, ...] ) */
static int index_elems(struct sql_parser *p, struct sql_index_elem **elems, uint32_t *n)
{
    TRY(sqlp_expect_char(p, '('));
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct sql_index_elem), index_elem));
    TRY(sqlp_expect_char(p, ')'));
    *elems = vec.v;
    *n = vec.n;
    return 0;
}

/* INCLUDE ( index_elem [, ...] ): PostgreSQL's grammar takes index elements there and refuses
 * expressions later; only the column names are kept. */
static int index_include(struct sql_parser *p, struct sql_names *out)
{
    TRY(sqlp_advance(p)); /* INCLUDE */
    struct sql_index_elem *elems = NULL;
    uint32_t n = 0;
    TRY(index_elems(p, &elems, &n));
    const char **names = sqlp_alloc(p, n * sizeof *names);
    TRY(nomem_if_null(p, names));
    for (uint32_t i = 0; i < n; i++) {
        if (elems[i].column == NULL)
            return sqlp_error(p, ERR_UNSUPPORTED, "0A000", -1,
                              "expressions are not supported in included columns");
        names[i] = elems[i].column;
    }
    out->n = n;
    out->v = names;
    return 0;
}

/* After CREATE [UNIQUE] INDEX. */
static int create_index(struct sql_parser *p, struct sql_stmt *st, bool unique)
{
    struct sql_create_index *ci = sqlp_alloc(p, sizeof *ci);
    TRY(nomem_if_null(p, ci));
    st->kind = SQL_STMT_CREATE_INDEX;
    st->create_index = ci;
    ci->unique = unique;
    bool t;
    TRY(take_kw(p, SQL_KW_CONCURRENTLY, &t));
    ci->concurrently = t;
    if (sqlp_is_kw(p, SQL_KW_IF)) {
        TRY(if_not_exists(p, &ci->if_not_exists));
        TRY(sqlp_colid(p, &ci->name));
    } else if (!sqlp_is_kw(p, SQL_KW_ON)) {
        TRY(sqlp_colid(p, &ci->name));
    }
    TRY(sqlp_expect_kw(p, SQL_KW_ON));
    TRY(relation_expr(p, &ci->table, &ci->only));
    if (sqlp_is_kw(p, SQL_KW_USING)) {
        TRY(sqlp_advance(p));
        const char *method = NULL;
        TRY(sqlp_colid(p, &method));
        ci->method = lower_dup(p, method);
        TRY(nomem_if_null(p, ci->method));
    }
    TRY(index_elems(p, &ci->elems, &ci->nelems));
    if (sqlp_is_kw(p, SQL_KW_INCLUDE))
        TRY(index_include(p, &ci->include));
    if (sqlp_is_kw(p, SQL_KW_NULLS)) {
        int loc = p->tok.loc;
        TRY(sqlp_advance(p));
        bool not ;
        TRY(take_kw(p, SQL_KW_NOT, &not ));
        TRY(sqlp_expect_kw(p, SQL_KW_DISTINCT));
        if (not )
            return unsupported(p, loc, "NULLS NOT DISTINCT");
    }
    if (sqlp_is_kw(p, SQL_KW_WITH)) {
        TRY(sqlp_advance(p));
        TRY(option_list(p, &ci->with, OPTS_RELOPTIONS));
    }
    if (is_word(p, "tablespace")) {
        TRY(sqlp_advance(p));
        const char *ignored = NULL;
        TRY(sqlp_colid(p, &ignored));
    }
    if (sqlp_is_kw(p, SQL_KW_WHERE)) {
        TRY(sqlp_advance(p));
        ci->where_loc = p->tok.loc;
        TRY(sqlp_expr(p, &ci->where));
        ci->where_end = p->prev_end;
    }
    return 0;
}

/* ------------------------------------------------------------------ CREATE / DROP / ALTER */

/* Object kinds PostgreSQL creates, drops or alters that Cairn does not: the words that name
 * them after the verb (a second word when the first alone is not the kind) and the tag. */
struct object_word {
    const char *w1, *w2;
    const char *tag;
};

static const struct object_word object_words[] = {
    {"materialized", "view", "MATERIALIZED VIEW"},
    {"foreign", "table", "FOREIGN TABLE"},
    {"foreign", "data", "FOREIGN DATA WRAPPER"},
    {"text", "search", "TEXT SEARCH"},
    {"event", "trigger", "EVENT TRIGGER"},
    {"access", "method", "ACCESS METHOD"},
    {"user", "mapping", "USER MAPPING"},
    {"operator", "class", "OPERATOR CLASS"},
    {"operator", "family", "OPERATOR FAMILY"},
    {"default", "conversion", "CONVERSION"},
    {"constraint", "trigger", "TRIGGER"},
    {"recursive", "view", "VIEW"},
    {"procedural", "language", "LANGUAGE"},
    {"trusted", "language", "LANGUAGE"},
    {"trusted", "procedural", "LANGUAGE"},
    {"default", "privileges", "DEFAULT PRIVILEGES"},
    {"large", "object", "LARGE OBJECT"},
    {"owned", "by", "OWNED"},
    {"view", NULL, "VIEW"},
    {"schema", NULL, "SCHEMA"},
    {"sequence", NULL, "SEQUENCE"},
    {"function", NULL, "FUNCTION"},
    {"procedure", NULL, "PROCEDURE"},
    {"routine", NULL, "ROUTINE"},
    {"aggregate", NULL, "AGGREGATE"},
    {"extension", NULL, "EXTENSION"},
    {"database", NULL, "DATABASE"},
    {"role", NULL, "ROLE"},
    {"user", NULL, "USER"},
    {"group", NULL, "GROUP"},
    {"type", NULL, "TYPE"},
    {"domain", NULL, "DOMAIN"},
    {"trigger", NULL, "TRIGGER"},
    {"rule", NULL, "RULE"},
    {"policy", NULL, "POLICY"},
    {"publication", NULL, "PUBLICATION"},
    {"subscription", NULL, "SUBSCRIPTION"},
    {"server", NULL, "SERVER"},
    {"tablespace", NULL, "TABLESPACE"},
    {"collation", NULL, "COLLATION"},
    {"conversion", NULL, "CONVERSION"},
    {"cast", NULL, "CAST"},
    {"operator", NULL, "OPERATOR"},
    {"language", NULL, "LANGUAGE"},
    {"statistics", NULL, "STATISTICS"},
    {"transform", NULL, "TRANSFORM"},
    {"index", NULL, "INDEX"},
    {"system", NULL, "SYSTEM"},
};

/* The object kind at the current token, or NULL. */
static const struct object_word *object_word(struct sql_parser *p)
{
    if (p->tok.kind != SQL_TOK_IDENT || p->tok.quoted)
        return NULL;
    for (size_t i = 0; i < sizeof object_words / sizeof object_words[0]; i++) {
        const struct object_word *o = &object_words[i];
        if (strcmp(p->tok.str, o->w1) != 0)
            continue;
        if (o->w2 == NULL || peek_is_word(p, 1, o->w2))
            return o;
    }
    return NULL;
}

static int refuse_object(struct sql_parser *p, int loc, const char *verb)
{
    const struct object_word *o = object_word(p);
    if (o == NULL)
        return sqlp_syntax_error(p);
    char what[64];
    snprintf(what, sizeof what, "%s %s", verb, o->tag);
    return unsupported(p, loc, what);
}

static int create_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* CREATE */
    if (sqlp_is_kw(p, SQL_KW_OR) && peek_is_word(p, 1, "replace")) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        return refuse_object(p, loc, "CREATE");
    }
    bool unique;
    TRY(take_kw(p, SQL_KW_UNIQUE, &unique));
    if (unique || sqlp_is_kw(p, SQL_KW_INDEX)) {
        TRY(sqlp_expect_kw(p, SQL_KW_INDEX));
        return create_index(p, st, unique);
    }
    struct create_table_node *node = sqlp_alloc(p, sizeof *node);
    TRY(nomem_if_null(p, node));
    struct sql_create_table *ct = &node->ct;
    if (sqlp_is_kw(p, SQL_KW_LOCAL) || sqlp_is_kw(p, SQL_KW_GLOBAL)) {
        TRY(sqlp_advance(p));
        if (!sqlp_is_kw(p, SQL_KW_TEMP) && !sqlp_is_kw(p, SQL_KW_TEMPORARY))
            return sqlp_syntax_error(p);
    }
    if (sqlp_is_kw(p, SQL_KW_TEMP) || sqlp_is_kw(p, SQL_KW_TEMPORARY)) {
        ct->temporary = true;
        TRY(sqlp_advance(p));
    } else if (sqlp_is_kw(p, SQL_KW_UNLOGGED)) {
        ct->unlogged = true;
        TRY(sqlp_advance(p));
    }
    if (sqlp_is_kw(p, SQL_KW_TABLE)) {
        TRY(sqlp_advance(p));
        return create_table(p, st, ct);
    }
    return refuse_object(p, loc, "CREATE");
}

/* DROP TABLE | INDEX [CONCURRENTLY] [IF EXISTS] name [, ...] [CASCADE | RESTRICT]. */
static int drop_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* DROP */
    bool table = sqlp_is_kw(p, SQL_KW_TABLE);
    if (!table && !sqlp_is_kw(p, SQL_KW_INDEX))
        return refuse_object(p, loc, "DROP");
    struct sql_drop *d = sqlp_alloc(p, sizeof *d);
    TRY(nomem_if_null(p, d));
    st->kind = table ? SQL_STMT_DROP_TABLE : SQL_STMT_DROP_INDEX;
    st->drop = d;
    TRY(sqlp_advance(p));
    if (!table) {
        bool t;
        TRY(take_kw(p, SQL_KW_CONCURRENTLY, &t));
        d->concurrently = t;
    }
    TRY(if_exists(p, &d->if_exists));
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct sql_qname), qname_item));
    d->names.n = vec.n;
    d->names.v = vec.v;
    return drop_behavior(p, &d->cascade);
}

/* TRUNCATE [TABLE] relation_expr [, ...] [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT] */
static int truncate_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct sql_drop *d = sqlp_alloc(p, sizeof *d);
    TRY(nomem_if_null(p, d));
    st->kind = SQL_STMT_TRUNCATE;
    st->drop = d;
    TRY(sqlp_advance(p));
    bool t;
    TRY(take_kw(p, SQL_KW_TABLE, &t));
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct sql_qname), relation_item));
    d->names.n = vec.n;
    d->names.v = vec.v;
    if (sqlp_is_kw(p, SQL_KW_RESTART) || sqlp_is_kw(p, SQL_KW_CONTINUE)) {
        d->restart_identity = sqlp_is_kw(p, SQL_KW_RESTART);
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_IDENTITY));
    }
    return drop_behavior(p, &d->cascade);
}

/* An ALTER TABLE action Cairn refuses: its first words name it in the message. */
static int alter_refuse(struct sql_parser *p, int loc)
{
    static const char *const words[] = {
        "owner",   "enable",   "disable", "cluster", "inherit", "no",  "of",    "not",
        "replica", "validate", "attach",  "detach",  "force",   "set", "reset",
    };
    bool known = false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        known |= is_word(p, words[i]);
    if (!known)
        return sqlp_syntax_error(p);
    const struct sql_token *next = sqlp_peek(p, 1);
    const char *w1 = upper_dup(p, p->tok.str);
    const char *w2 = next != NULL && next->kind == SQL_TOK_IDENT ? upper_dup(p, next->str) : NULL;
    TRY(nomem_if_null(p, w1));
    char what[160];
    snprintf(what, sizeof what, "ALTER TABLE ... %s%s%s", w1, w2 ? " " : "", w2 ? w2 : "");
    return unsupported(p, loc, what);
}

/* ALTER [COLUMN] name ... */
static int alter_column(struct sql_parser *p, struct sql_alter_cmd *cmd)
{
    int loc = cmd->loc;
    TRY(sqlp_colid(p, &cmd->name));
    if (sqlp_is_kw(p, SQL_KW_SET) && sqlp_peek_is_kw(p, 1, SQL_KW_DEFAULT)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        cmd->kind = SQL_ALTER_SET_DEFAULT;
        cmd->expr_loc = p->tok.loc;
        TRY(sqlp_expr(p, &cmd->expr));
        cmd->expr_end = p->prev_end;
        return 0;
    }
    if (sqlp_is_kw(p, SQL_KW_DROP) && sqlp_peek_is_kw(p, 1, SQL_KW_DEFAULT)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        cmd->kind = SQL_ALTER_DROP_DEFAULT;
        return 0;
    }
    if ((sqlp_is_kw(p, SQL_KW_SET) || sqlp_is_kw(p, SQL_KW_DROP)) &&
        sqlp_peek_is_kw(p, 1, SQL_KW_NOT)) {
        cmd->kind = sqlp_is_kw(p, SQL_KW_SET) ? SQL_ALTER_SET_NOT_NULL : SQL_ALTER_DROP_NOT_NULL;
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        return sqlp_expect_kw(p, SQL_KW_NULL);
    }
    bool type = sqlp_is_kw(p, SQL_KW_TYPE);
    if (sqlp_is_kw(p, SQL_KW_SET) && sqlp_peek_is_kw(p, 1, SQL_KW_DATA)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        if (!sqlp_is_kw(p, SQL_KW_TYPE))
            return sqlp_syntax_error(p);
        type = true;
    }
    if (type) {
        TRY(sqlp_advance(p));
        cmd->kind = SQL_ALTER_TYPE;
        TRY(sqlp_type(p, &cmd->type));
        if (sqlp_is_kw(p, SQL_KW_COLLATE))
            return unsupported(p, p->tok.loc, "ALTER TABLE ... ALTER COLUMN ... TYPE ... COLLATE");
        if (sqlp_is_kw(p, SQL_KW_USING)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expr(p, &cmd->expr));
        }
        return 0;
    }
    static const char *const refused[] = {"set", "reset", "drop", "add", "restart", "options"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (is_word(p, refused[i])) {
            const struct sql_token *next = sqlp_peek(p, 1);
            const char *w1 = upper_dup(p, p->tok.str);
            const char *w2 =
                next != NULL && next->kind == SQL_TOK_IDENT ? upper_dup(p, next->str) : NULL;
            TRY(nomem_if_null(p, w1));
            char what[160];
            snprintf(what, sizeof what, "ALTER TABLE ... ALTER COLUMN ... %s%s%s", w1,
                     w2 ? " " : "", w2 ? w2 : "");
            return unsupported(p, loc, what);
        }
    return sqlp_syntax_error(p);
}

static int alter_cmd(struct sql_parser *p, struct sql_alter_cmd *cmd)
{
    cmd->loc = p->tok.loc;
    bool t;
    if (sqlp_is_kw(p, SQL_KW_ADD)) {
        TRY(sqlp_advance(p));
        if (starts_table_constraint(p)) {
            cmd->kind = SQL_ALTER_ADD_CONSTRAINT;
            cmd->constraint = sqlp_alloc(p, sizeof *cmd->constraint);
            TRY(nomem_if_null(p, cmd->constraint));
            return table_constraint(p, cmd->constraint);
        }
        TRY(take_kw(p, SQL_KW_COLUMN, &t));
        cmd->kind = SQL_ALTER_ADD_COLUMN;
        TRY(if_not_exists(p, &cmd->if_not_exists));
        cmd->column = sqlp_alloc(p, sizeof *cmd->column);
        TRY(nomem_if_null(p, cmd->column));
        TRY(column_def(p, cmd->column));
        cmd->name = cmd->column->name;
        return 0;
    }
    if (sqlp_is_kw(p, SQL_KW_DROP)) {
        if (sqlp_peek_is_kw(p, 1, SQL_KW_CONSTRAINT)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_advance(p));
            cmd->kind = SQL_ALTER_DROP_CONSTRAINT;
        } else {
            TRY(sqlp_advance(p));
            TRY(take_kw(p, SQL_KW_COLUMN, &t));
            cmd->kind = SQL_ALTER_DROP_COLUMN;
        }
        TRY(if_exists(p, &cmd->if_exists));
        TRY(sqlp_colid(p, &cmd->name));
        return drop_behavior(p, &cmd->cascade);
    }
    if (sqlp_is_kw(p, SQL_KW_ALTER)) {
        if (sqlp_peek_is_kw(p, 1, SQL_KW_CONSTRAINT))
            return unsupported(p, cmd->loc, "ALTER TABLE ... ALTER CONSTRAINT");
        TRY(sqlp_advance(p));
        TRY(take_kw(p, SQL_KW_COLUMN, &t));
        return alter_column(p, cmd);
    }
    return alter_refuse(p, cmd->loc);
}

/* RENAME TO n | RENAME [COLUMN] a TO b | RENAME CONSTRAINT a TO b: a statement of its own in
 * PostgreSQL's grammar (no other actions beside it). */
static int alter_rename(struct sql_parser *p, struct sql_alter_cmd *cmd)
{
    cmd->loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* RENAME */
    if (sqlp_is_kw(p, SQL_KW_TO)) {
        TRY(sqlp_advance(p));
        cmd->kind = SQL_ALTER_RENAME_TABLE;
        return sqlp_colid(p, &cmd->new_name);
    }
    bool t;
    if (sqlp_is_kw(p, SQL_KW_CONSTRAINT)) {
        TRY(sqlp_advance(p));
        cmd->kind = SQL_ALTER_RENAME_CONSTRAINT;
    } else {
        TRY(take_kw(p, SQL_KW_COLUMN, &t));
        cmd->kind = SQL_ALTER_RENAME_COLUMN;
    }
    TRY(sqlp_colid(p, &cmd->name));
    TRY(sqlp_expect_kw(p, SQL_KW_TO));
    return sqlp_colid(p, &cmd->new_name);
}

static int alter_table(struct sql_parser *p, struct sql_stmt *st)
{
    struct sql_alter_table *at = sqlp_alloc(p, sizeof *at);
    TRY(nomem_if_null(p, at));
    st->kind = SQL_STMT_ALTER_TABLE;
    st->alter_table = at;
    if (sqlp_is_kw(p, SQL_KW_ALL) && sqlp_peek_is_kw(p, 1, SQL_KW_IN))
        return unsupported(p, p->tok.loc, "ALTER TABLE ALL IN TABLESPACE");
    TRY(if_exists(p, &at->if_exists));
    TRY(relation_expr(p, &at->table, &at->only));
    struct sqlp_vec vec = {0};
    if (sqlp_is_kw(p, SQL_KW_RENAME)) {
        struct sql_alter_cmd *cmd = sqlp_push(p, &vec, sizeof *cmd);
        TRY(nomem_if_null(p, cmd));
        TRY(alter_rename(p, cmd));
    } else if (sqlp_is_kw(p, SQL_KW_SET) && peek_is_word(p, 1, "schema")) {
        return unsupported(p, p->tok.loc, "ALTER TABLE ... SET SCHEMA");
    } else {
        for (;;) {
            struct sql_alter_cmd *cmd = sqlp_push(p, &vec, sizeof *cmd);
            TRY(nomem_if_null(p, cmd));
            TRY(alter_cmd(p, cmd));
            bool t;
            TRY(take_char(p, ',', &t));
            if (!t)
                break;
        }
    }
    at->ncmds = vec.n;
    at->cmds = vec.v;
    return 0;
}

static int alter_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* ALTER */
    if (sqlp_is_kw(p, SQL_KW_TABLE)) {
        TRY(sqlp_advance(p));
        return alter_table(p, st);
    }
    return refuse_object(p, loc, "ALTER");
}

/* ------------------------------------------------------------------ INSERT / UPDATE / DELETE */

/* ColId without indirection (a.b and a[1] assign into a field or element). */
static int target_column(struct sql_parser *p, void *slot)
{
    const char **out = slot;
    int loc = p->tok.loc;
    TRY(sqlp_colid(p, out));
    if (sqlp_is_char(p, '.') || sqlp_is_char(p, '['))
        return unsupported(p, loc, "assignment to a field or array element");
    return 0;
}

/* ( target_column [, ...] ): INSERT's columns, UPDATE's (a, b) = ... */
static int target_columns(struct sql_parser *p, struct sql_names *out)
{
    TRY(sqlp_expect_char(p, '('));
    struct sqlp_vec cols = {0};
    TRY(comma_list(p, &cols, sizeof(const char *), target_column));
    TRY(sqlp_expect_char(p, ')'));
    out->n = cols.n;
    out->v = cols.v;
    return 0;
}

/* DEFAULT (as a whole VALUES item or SET source) or a_expr. */
static int value_or_default(struct sql_parser *p, void *slot)
{
    struct sql_expr **out = slot;
    if (sqlp_is_kw(p, SQL_KW_DEFAULT)) {
        *out = new_expr(p, SQL_E_DEFAULT, p->tok.loc);
        TRY(nomem_if_null(p, *out));
        return sqlp_advance(p);
    }
    return sqlp_expr(p, out);
}

/* set_clause_list: col = expr | (a, b) = source [, ...] */
static int set_clause(struct sql_parser *p, void *slot)
{
    struct sql_set_clause *sc = slot;
    sc->loc = p->tok.loc;
    if (!sqlp_is_char(p, '(')) {
        const char **col = sqlp_alloc(p, sizeof *col);
        TRY(nomem_if_null(p, col));
        TRY(target_column(p, col));
        sc->cols.n = 1;
        sc->cols.v = col;
        TRY(sqlp_expect_char(p, '='));
        return value_or_default(p, &sc->value);
    }
    TRY(target_columns(p, &sc->cols));
    TRY(sqlp_expect_char(p, '='));
    return value_or_default(p, &sc->value);
}

/* The first name that occurs twice in names[0..n), or NULL. */
static const char *duplicate_name(const char *const *names, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return names[i];
    return NULL;
}

static int set_clauses(struct sql_parser *p, struct sql_set_clauses *out)
{
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct sql_set_clause), set_clause));
    out->n = vec.n;
    out->v = vec.v;
    return 0;
}

/* What PostgreSQL's analysis and rewriter refuse in SET clauses, checked once the statement has
 * parsed (its syntax errors come first): the source of (a, b) = ..., and a column assigned
 * twice (42601, no position). */
static int set_clauses_check(struct sql_parser *p, const struct sql_set_clauses *set)
{
    struct sqlp_vec all = {0};
    for (uint32_t i = 0; i < set->n; i++) {
        const struct sql_set_clause *sc = &set->v[i];
        for (uint32_t k = 0; k < sc->cols.n; k++)
            TRY(push_value(p, &all, sc->cols.v[k]));
        const struct sql_expr *v = sc->value;
        if (p->text[sc->loc] != '(')
            continue; /* col = value */
        bool row = v->kind == SQL_E_ROW;
        bool sub = v->kind == SQL_E_SUBLINK && v->sublink.kind == SQL_SUBLINK_EXPR;
        if (!row && !sub && v->kind != SQL_E_DEFAULT)
            return sqlp_error(p, ERR_UNSUPPORTED, "0A000", v->loc,
                              "source for a multiple-column UPDATE item must be a sub-SELECT or "
                              "ROW() expression");
        if (row && v->list.n != sc->cols.n)
            return sqlp_error(p, ERR_MALFORMED, "42601", v->loc,
                              "number of columns does not match number of values");
    }
    const char *dup = duplicate_name(all.v, all.n);
    if (dup != NULL)
        return sqlp_error(p, ERR_MALFORMED, "42601", -1,
                          "multiple assignments to same column \"%s\"", dup);
    return 0;
}

/* WHERE a_expr | WHERE CURRENT OF cursor (refused) | nothing. */
static int where_clause(struct sql_parser *p, struct sql_expr **out)
{
    if (!sqlp_is_kw(p, SQL_KW_WHERE))
        return 0;
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_CURRENT) && sqlp_peek_is_kw(p, 1, SQL_KW_OF))
        return unsupported(p, p->tok.loc, "WHERE CURRENT OF");
    return sqlp_expr(p, out);
}

static int returning(struct sql_parser *p, struct sql_targets *out)
{
    if (!sqlp_is_kw(p, SQL_KW_RETURNING))
        return 0;
    TRY(sqlp_advance(p));
    return sqlp_targets(p, out);
}

/* VALUES (row) [, ...] of an INSERT: items may be DEFAULT. */
static int insert_values(struct sql_parser *p, struct sql_select **out)
{
    struct sql_select *sel = sqlp_alloc(p, sizeof *sel);
    TRY(nomem_if_null(p, sel));
    sel->kind = SQL_SELECT_VALUES;
    sel->loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* VALUES */
    struct sqlp_vec rows = {0};
    for (;;) {
        TRY(sqlp_expect_char(p, '('));
        struct sqlp_vec items = {0};
        TRY(comma_list(p, &items, sizeof(struct sql_expr *), value_or_default));
        TRY(sqlp_expect_char(p, ')'));
        struct sql_exprs *row = sqlp_push(p, &rows, sizeof *row);
        TRY(nomem_if_null(p, row));
        row->n = items.n;
        row->v = items.v;
        bool t;
        TRY(take_char(p, ',', &t));
        if (!t)
            break;
    }
    sel->values.n = rows.n;
    sel->values.v = rows.v;
    *out = sel;
    if (sqlp_is_kw(p, SQL_KW_ORDER) || sqlp_is_kw(p, SQL_KW_LIMIT) ||
        sqlp_is_kw(p, SQL_KW_OFFSET) || sqlp_is_kw(p, SQL_KW_FETCH) ||
        sqlp_is_kw(p, SQL_KW_UNION) || sqlp_is_kw(p, SQL_KW_INTERSECT) ||
        sqlp_is_kw(p, SQL_KW_EXCEPT))
        return unsupported(p, p->tok.loc,
                           "INSERT ... VALUES with ORDER BY, LIMIT or a set "
                           "operation");
    return 0;
}

/* INSERT's node with where its columns were written, for the checks after the parse (they
 * point at a column). st->insert points at ins, the first member. */
struct insert_node {
    struct sql_insert ins;
    int *col_locs; /* ins.cols.n positions; NULL when no columns were written */
};

/* A column of INSERT's list and where it was written. */
struct located_name {
    const char *name;
    int loc;
};

static int located_column(struct sql_parser *p, void *slot)
{
    struct located_name *l = slot;
    l->loc = p->tok.loc;
    return target_column(p, &l->name);
}

/* ( col [, ...] ) of INSERT into ins->cols, *locs their positions. */
static int insert_columns(struct sql_parser *p, struct sql_insert *ins, int **locs)
{
    TRY(sqlp_expect_char(p, '('));
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct located_name), located_column));
    TRY(sqlp_expect_char(p, ')'));
    const struct located_name *l = vec.v;
    const char **names = sqlp_alloc(p, vec.n * sizeof *names);
    TRY(nomem_if_null(p, names));
    *locs = sqlp_alloc(p, vec.n * sizeof **locs);
    TRY(nomem_if_null(p, *locs));
    for (uint32_t i = 0; i < vec.n; i++) {
        names[i] = l[i].name;
        (*locs)[i] = l[i].loc;
    }
    ins->cols.n = vec.n;
    ins->cols.v = names;
    return 0;
}

/* checkInsertTargets / transformInsertRow counts, where the statement shows
 * both sides: explicit columns against VALUES rows or a plain SELECT list without *. */
static int insert_count_check(struct sql_parser *p, const struct sql_insert *ins,
                              const int *col_locs)
{
    if (ins->cols.n == 0 || ins->select == NULL)
        return 0;
    const struct sql_select *s = ins->select;
    uint32_t n;
    struct sql_expr *const *items;
    if (s->kind == SQL_SELECT_VALUES) {
        n = s->values.v[0].n;
        items = s->values.v[0].v;
    } else if (s->kind == SQL_SELECT_PLAIN) {
        for (uint32_t i = 0; i < s->targets.n; i++)
            if (s->targets.v[i].expr->kind == SQL_E_COLUMN && s->targets.v[i].expr->column.star)
                return 0;
        n = s->targets.n;
        items = NULL;
    } else {
        return 0;
    }
    if (n > ins->cols.n) {
        int loc = items != NULL ? items[ins->cols.n]->loc : s->targets.v[ins->cols.n].loc;
        return sqlp_error(p, ERR_MALFORMED, "42601", loc,
                          "INSERT has more expressions than target columns");
    }
    if (n < ins->cols.n)
        return sqlp_error(p, ERR_MALFORMED, "42601", col_locs[n],
                          "INSERT has more target columns than expressions");
    return 0;
}

/* What PostgreSQL's transformInsertStmt refuses that the statement alone shows, in its order,
 * once the statement has parsed (syntax errors come first): a column named twice
 * (checkInsertTargets), explicit columns against VALUES rows or a plain SELECT list without *,
 * VALUES rows of different lengths, DO UPDATE without a conflict target, then the DO UPDATE SET
 * clauses. */
static int insert_checks(struct sql_parser *p, const struct sql_insert *ins, const int *col_locs)
{
    for (uint32_t i = 1; i < ins->cols.n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(ins->cols.v[i], ins->cols.v[j]) == 0)
                return sqlp_error(p, ERR_MALFORMED, "42701", col_locs[i],
                                  "column \"%s\" specified more than once", ins->cols.v[i]);
    /* Row by row: the first row against the columns, then each row's length against the
     * first's (the later rows then match the columns too). */
    TRY(insert_count_check(p, ins, col_locs));
    const struct sql_select *s = ins->select;
    if (s != NULL && s->kind == SQL_SELECT_VALUES)
        for (uint32_t i = 1; i < s->values.n; i++)
            if (s->values.v[i].n != s->values.v[0].n)
                return sqlp_error(p, ERR_MALFORMED, "42601", s->values.v[i].v[0]->loc,
                                  "VALUES lists must all be the same length");
    const struct sql_on_conflict *oc = ins->on_conflict;
    if (oc == NULL || !oc->do_update)
        return 0;
    if (oc->target.n == 0 && oc->constraint == NULL)
        return sqlp_error(p, ERR_MALFORMED, "42601", oc->loc,
                          "ON CONFLICT DO UPDATE requires inference specification or constraint "
                          "name");
    return set_clauses_check(p, &oc->set);
}

/* ON CONFLICT [ (index_elems) [WHERE] | ON CONSTRAINT name ] DO NOTHING | DO UPDATE SET ... */
static int on_conflict(struct sql_parser *p, struct sql_on_conflict **out)
{
    struct sql_on_conflict *oc = sqlp_alloc(p, sizeof *oc);
    TRY(nomem_if_null(p, oc));
    oc->loc = p->tok.loc;
    TRY(sqlp_advance(p)); /* ON */
    TRY(sqlp_expect_kw(p, SQL_KW_CONFLICT));
    if (sqlp_is_char(p, '(')) {
        struct sql_index_elem *elems;
        uint32_t n;
        TRY(index_elems(p, &elems, &n));
        oc->target.v = sqlp_alloc(p, n * sizeof *oc->target.v);
        TRY(nomem_if_null(p, oc->target.v));
        oc->target.n = n;
        for (uint32_t i = 0; i < n; i++) {
            struct sql_sort *s = &oc->target.v[i];
            s->dir = elems[i].dir;
            s->nulls = elems[i].nulls;
            if (elems[i].expr != NULL) {
                s->expr = elems[i].expr;
            } else {
                s->expr = new_expr(p, SQL_E_COLUMN, elems[i].loc);
                TRY(nomem_if_null(p, s->expr));
                s->expr->column.nparts = 1;
                s->expr->column.parts[0] = elems[i].column;
            }
        }
        TRY(where_clause(p, &oc->target_where));
    } else if (sqlp_is_kw(p, SQL_KW_ON)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_CONSTRAINT));
        TRY(sqlp_colid(p, &oc->constraint));
    }
    TRY(sqlp_expect_kw(p, SQL_KW_DO));
    if (sqlp_is_kw(p, SQL_KW_NOTHING)) {
        *out = oc;
        return sqlp_advance(p);
    }
    TRY(sqlp_expect_kw(p, SQL_KW_UPDATE));
    TRY(sqlp_expect_kw(p, SQL_KW_SET));
    oc->do_update = true;
    TRY(set_clauses(p, &oc->set));
    TRY(where_clause(p, &oc->where));
    *out = oc;
    return 0;
}

static int insert_stmt(struct sql_parser *p, struct sql_with *with, struct sql_stmt *st)
{
    struct insert_node *node = sqlp_alloc(p, sizeof *node);
    TRY(nomem_if_null(p, node));
    struct sql_insert *ins = &node->ins;
    st->kind = SQL_STMT_INSERT;
    st->insert = ins;
    ins->with = with;
    TRY(sqlp_advance(p)); /* INSERT */
    TRY(sqlp_expect_kw(p, SQL_KW_INTO));
    TRY(sqlp_qname(p, &ins->table));
    if (sqlp_is_kw(p, SQL_KW_AS)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_colid(p, &ins->alias));
    }
    if (sqlp_is_char(p, '(') && !sqlp_peek_is_kw(p, 1, SQL_KW_SELECT) &&
        !sqlp_peek_is_kw(p, 1, SQL_KW_VALUES) && !sqlp_peek_is_kw(p, 1, SQL_KW_WITH) &&
        !sqlp_peek_is_kw(p, 1, SQL_KW_TABLE) && !sqlp_peek_is_char(p, 1, '(')) {
        TRY(insert_columns(p, ins, &node->col_locs));
    }
    if (is_word(p, "overriding"))
        return unsupported(p, p->tok.loc, "INSERT ... OVERRIDING");
    if (sqlp_is_kw(p, SQL_KW_DEFAULT) && ins->cols.n == 0) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_VALUES));
    } else if (sqlp_is_kw(p, SQL_KW_VALUES)) {
        TRY(insert_values(p, &ins->select));
    } else {
        TRY(sqlp_select(p, &ins->select));
    }
    if (sqlp_is_kw(p, SQL_KW_ON))
        TRY(on_conflict(p, &ins->on_conflict));
    return returning(p, &ins->returning);
}

/* [[AS] alias] after an UPDATE / DELETE target; for UPDATE the alias cannot be SET. */
static int target_alias(struct sql_parser *p, const char **alias, bool update)
{
    if (sqlp_is_kw(p, SQL_KW_AS)) {
        TRY(sqlp_advance(p));
        return sqlp_colid(p, alias);
    }
    if (sqlp_is_colid(p) && !(update && sqlp_is_kw(p, SQL_KW_SET)))
        return sqlp_colid(p, alias);
    return 0;
}

static int update_stmt(struct sql_parser *p, struct sql_with *with, struct sql_stmt *st)
{
    struct sql_update *up = sqlp_alloc(p, sizeof *up);
    TRY(nomem_if_null(p, up));
    st->kind = SQL_STMT_UPDATE;
    st->update = up;
    up->with = with;
    TRY(sqlp_advance(p)); /* UPDATE */
    TRY(relation_expr(p, &up->table, &up->only));
    TRY(target_alias(p, &up->alias, true));
    TRY(sqlp_expect_kw(p, SQL_KW_SET));
    TRY(set_clauses(p, &up->set));
    if (sqlp_is_kw(p, SQL_KW_FROM)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_from_list(p, &up->from));
    }
    TRY(where_clause(p, &up->where));
    return returning(p, &up->returning);
}

static int delete_stmt(struct sql_parser *p, struct sql_with *with, struct sql_stmt *st)
{
    struct sql_delete *del = sqlp_alloc(p, sizeof *del);
    TRY(nomem_if_null(p, del));
    st->kind = SQL_STMT_DELETE;
    st->del = del;
    del->with = with;
    TRY(sqlp_advance(p)); /* DELETE */
    TRY(sqlp_expect_kw(p, SQL_KW_FROM));
    TRY(relation_expr(p, &del->table, &del->only));
    TRY(target_alias(p, &del->alias, false));
    if (sqlp_is_kw(p, SQL_KW_USING)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_from_list(p, &del->using));
    }
    TRY(where_clause(p, &del->where));
    return returning(p, &del->returning);
}

int sqlp_dml(struct sql_parser *p, struct sql_with *with, struct sql_stmt *st)
{
    TRY(sqlp_enter(p));
    int rc;
    if (sqlp_is_kw(p, SQL_KW_INSERT))
        rc = insert_stmt(p, with, st);
    else if (sqlp_is_kw(p, SQL_KW_UPDATE))
        rc = update_stmt(p, with, st);
    else if (sqlp_is_kw(p, SQL_KW_DELETE))
        rc = delete_stmt(p, with, st);
    else if (is_word(p, "merge"))
        rc = unsupported(p, p->tok.loc, "MERGE");
    else
        rc = sqlp_syntax_error(p);
    sqlp_leave(p);
    return rc;
}

/* ------------------------------------------------------------------ EXPLAIN */

static int explainable(struct sql_parser *p, struct sql_stmt **out);

/* EXPLAIN's options, checked as ExplainQuery checks them. */
static int explain_options(struct sql_parser *p, struct sql_explain *ex)
{
    static const char *const bools[] = {"analyze", "analyse", "verbose", "costs",  "settings",
                                        "buffers", "wal",     "timing",  "summary"};
    for (uint32_t i = 0; i < ex->options.n; i++) {
        struct sql_option *o = &ex->options.v[i];
        o->name = lower_dup(p, o->name);
        TRY(nomem_if_null(p, o->name));
        if (strcmp(o->name, "format") == 0) {
            static const char *const formats[] = {"text", "xml", "json", "yaml"};
            bool known = false;
            for (size_t k = 0; o->value != NULL && k < 4; k++)
                known |= strcmp(o->value, formats[k]) == 0;
            if (!known)
                return sqlp_error(p, ERR_MALFORMED, "22023", o->loc,
                                  "unrecognized value for EXPLAIN option \"%s\": \"%s\"", o->name,
                                  o->value != NULL ? o->value : "");
            continue;
        }
        bool known = false, value = false;
        for (size_t k = 0; k < sizeof bools / sizeof bools[0]; k++)
            if (strcmp(o->name, bools[k]) == 0)
                known = true;
        if (!known)
            return sqlp_error(p, ERR_MALFORMED, "42601", o->loc,
                              "unrecognized EXPLAIN option \"%s\"", o->name);
        TRY(option_bool(p, o, &value));
        if (strcmp(o->name, "analyze") == 0 || strcmp(o->name, "analyse") == 0)
            ex->analyze = value;
        else if (strcmp(o->name, "verbose") == 0)
            ex->verbose = value;
    }
    return 0;
}

static int explain_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct sql_explain *ex = sqlp_alloc(p, sizeof *ex);
    TRY(nomem_if_null(p, ex));
    st->kind = SQL_STMT_EXPLAIN;
    st->explain = ex;
    TRY(sqlp_advance(p)); /* EXPLAIN */
    bool query_paren =
        sqlp_is_char(p, '(') &&
        (sqlp_peek_is_kw(p, 1, SQL_KW_SELECT) || sqlp_peek_is_kw(p, 1, SQL_KW_VALUES) ||
         sqlp_peek_is_kw(p, 1, SQL_KW_WITH) || sqlp_peek_is_kw(p, 1, SQL_KW_TABLE) ||
         sqlp_peek_is_char(p, 1, '('));
    if (sqlp_is_char(p, '(') && !query_paren) {
        TRY(option_list(p, &ex->options, OPTS_UTILITY));
    } else if (sqlp_is_kw(p, SQL_KW_ANALYZE) || sqlp_is_kw(p, SQL_KW_ANALYSE)) {
        ex->analyze = true;
        TRY(sqlp_advance(p));
        bool t;
        TRY(take_kw(p, SQL_KW_VERBOSE, &t));
        ex->verbose = t;
    } else if (sqlp_is_kw(p, SQL_KW_VERBOSE)) {
        ex->verbose = true;
        TRY(sqlp_advance(p));
    }
    return explainable(p, &ex->stmt);
}

/* ------------------------------------------------------------------ COPY */

/* COPY's node with what its checks after the parse need. st->copy points at copy. */
struct copy_node {
    struct sql_copy copy;
    bool program_stdio; /* PROGRAM STDIN / STDOUT */
    int where_loc;
};

/* ProcessCopyOptions: the options into sql_copy's fields, with PostgreSQL's errors. */
enum copy_opt {
    COPY_OPT_FORMAT,
    COPY_OPT_FREEZE,
    COPY_OPT_DELIMITER,
    COPY_OPT_NULL,
    COPY_OPT_HEADER,
    COPY_OPT_QUOTE,
    COPY_OPT_ESCAPE,
    COPY_OPT_FORCE_QUOTE,
    COPY_OPT_FORCE_NOT_NULL,
    COPY_OPT_FORCE_NULL,
    COPY_OPT_ENCODING,
    COPY_OPT_COUNT
};

static const char *const copy_opt_names[COPY_OPT_COUNT] = {
    [COPY_OPT_FORMAT] = "format",
    [COPY_OPT_FREEZE] = "freeze",
    [COPY_OPT_DELIMITER] = "delimiter",
    [COPY_OPT_NULL] = "null",
    [COPY_OPT_HEADER] = "header",
    [COPY_OPT_QUOTE] = "quote",
    [COPY_OPT_ESCAPE] = "escape",
    [COPY_OPT_FORCE_QUOTE] = "force_quote",
    [COPY_OPT_FORCE_NOT_NULL] = "force_not_null",
    [COPY_OPT_FORCE_NULL] = "force_null",
    [COPY_OPT_ENCODING] = "encoding",
};

static int copy_err(struct sql_parser *p, const char *state, int loc, const char *msg)
{
    return sqlp_error(p, strcmp(state, "0A000") == 0 ? ERR_UNSUPPORTED : ERR_MALFORMED, state, loc,
                      "%s", msg);
}

/* defGetString: the option's value, required. */
static int copy_string(struct sql_parser *p, const struct sql_option *o, const char **out)
{
    if (o->value == NULL)
        return sqlp_error(p, ERR_MALFORMED, "42601", -1, "%s requires a parameter", o->name);
    *out = o->value;
    return 0;
}

static int copy_one_option(struct sql_parser *p, struct sql_copy *c, const struct sql_option *o,
                           bool seen[COPY_OPT_COUNT], bool *force_any)
{
    int k = 0;
    while (k < COPY_OPT_COUNT && strcmp(o->name, copy_opt_names[k]) != 0)
        k++;
    if (k == COPY_OPT_COUNT)
        return sqlp_error(p, ERR_MALFORMED, "42601", o->loc, "option \"%s\" not recognized",
                          o->name);
    if (seen[k])
        return copy_err(p, "42601", o->loc, "conflicting or redundant options");
    seen[k] = true;
    switch ((enum copy_opt)k) {
    case COPY_OPT_FORMAT: {
        const char *f = NULL;
        TRY(copy_string(p, o, &f));
        if (strcmp(f, "text") == 0)
            c->format = SQL_COPY_TEXT;
        else if (strcmp(f, "csv") == 0)
            c->format = SQL_COPY_CSV;
        else if (strcmp(f, "binary") == 0)
            c->format = SQL_COPY_BINARY;
        else
            return sqlp_error(p, ERR_MALFORMED, "22023", o->loc,
                              "COPY format \"%s\" not recognized", f);
        return 0;
    }
    case COPY_OPT_FREEZE:
        return option_bool(p, o, &c->freeze);
    case COPY_OPT_HEADER:
        if (o->value != NULL && strcasecmp(o->value, "match") == 0) {
            if (!c->is_from)
                return sqlp_error(p, ERR_UNSUPPORTED, "0A000", -1,
                                  "cannot use \"%s\" with HEADER in COPY TO", o->value);
            c->header = true;
            return 0;
        }
        if (o->list.v != NULL || o->star ||
            (o->value != NULL && option_bool(p, o, &c->header) != 0))
            return sqlp_error(p, ERR_MALFORMED, "42601", -1,
                              "%s requires a Boolean value or \"match\"", o->name);
        if (o->value == NULL)
            c->header = true;
        return 0;
    case COPY_OPT_DELIMITER:
        return copy_string(p, o, &c->delimiter);
    case COPY_OPT_NULL:
        return copy_string(p, o, &c->null_string);
    case COPY_OPT_QUOTE:
        return copy_string(p, o, &c->quote);
    case COPY_OPT_ESCAPE:
        return copy_string(p, o, &c->escape);
    case COPY_OPT_ENCODING:
        return copy_string(p, o, &c->encoding);
    case COPY_OPT_FORCE_QUOTE:
    case COPY_OPT_FORCE_NOT_NULL:
    case COPY_OPT_FORCE_NULL:
        if (o->list.v == NULL && !(o->star && k == COPY_OPT_FORCE_QUOTE))
            return sqlp_error(p, ERR_MALFORMED, "22023", o->loc,
                              "argument to option \"%s\" must be a list of column names", o->name);
        force_any[k - COPY_OPT_FORCE_QUOTE] = true;
        return 0;
    case COPY_OPT_COUNT:
        break;
    }
    return 0;
}

/* The combinations ProcessCopyOptions refuses. */
static int copy_check(struct sql_parser *p, const struct sql_copy *c, const bool *force_any)
{
    bool csv = c->format == SQL_COPY_CSV, binary = c->format == SQL_COPY_BINARY;
    if (binary && c->delimiter != NULL)
        return copy_err(p, "42601", -1, "cannot specify DELIMITER in BINARY mode");
    if (binary && c->null_string != NULL)
        return copy_err(p, "42601", -1, "cannot specify NULL in BINARY mode");
    const char *delim = c->delimiter != NULL ? c->delimiter : csv ? "," : "\t";
    const char *null_print = c->null_string != NULL ? c->null_string : csv ? "" : "\\N";
    const char *quote = c->quote != NULL ? c->quote : "\"";
    if (strlen(delim) != 1)
        return copy_err(p, "0A000", -1, "COPY delimiter must be a single one-byte character");
    if (delim[0] == '\n' || delim[0] == '\r')
        return copy_err(p, "22023", -1, "COPY delimiter cannot be newline or carriage return");
    if (strchr(null_print, '\r') != NULL || strchr(null_print, '\n') != NULL)
        return copy_err(p, "22023", -1,
                        "COPY null representation cannot use newline or carriage return");
    if (!csv && strchr("\\.abcdefghijklmnopqrstuvwxyz0123456789", delim[0]) != NULL)
        return sqlp_error(p, ERR_MALFORMED, "22023", -1, "COPY delimiter cannot be \"%s\"", delim);
    if (binary && c->header)
        return copy_err(p, "0A000", -1, "cannot specify HEADER in BINARY mode");
    if (!csv && c->quote != NULL)
        return copy_err(p, "0A000", -1, "COPY quote available only in CSV mode");
    if (csv && strlen(quote) != 1)
        return copy_err(p, "0A000", -1, "COPY quote must be a single one-byte character");
    if (csv && delim[0] == quote[0])
        return copy_err(p, "22023", -1, "COPY delimiter and quote must be different");
    if (!csv && c->escape != NULL)
        return copy_err(p, "0A000", -1, "COPY escape available only in CSV mode");
    if (csv && c->escape != NULL && strlen(c->escape) != 1)
        return copy_err(p, "0A000", -1, "COPY escape must be a single one-byte character");
    if (!csv && force_any[0])
        return copy_err(p, "0A000", -1, "COPY force quote available only in CSV mode");
    if (force_any[0] && c->is_from)
        return copy_err(p, "0A000", -1, "COPY force quote only available using COPY TO");
    if (!csv && force_any[1])
        return copy_err(p, "0A000", -1, "COPY force not null available only in CSV mode");
    if (force_any[1] && !c->is_from)
        return copy_err(p, "0A000", -1, "COPY force not null only available using COPY FROM");
    if (!csv && force_any[2])
        return copy_err(p, "0A000", -1, "COPY force null available only in CSV mode");
    if (force_any[2] && !c->is_from)
        return copy_err(p, "0A000", -1, "COPY force null only available using COPY FROM");
    if (!binary && strchr(null_print, delim[0]) != NULL)
        return copy_err(p, "0A000", -1, "COPY delimiter must not appear in the NULL specification");
    if (csv && strchr(null_print, quote[0]) != NULL)
        return copy_err(p, "0A000", -1,
                        "CSV quote character must not appear in the NULL specification");
    return 0;
}

static struct sql_option *copy_push(struct sql_parser *p, struct sqlp_vec *vec, const char *name,
                                    const char *value, int loc)
{
    struct sql_option *o = sqlp_push(p, vec, sizeof *o);
    if (o != NULL) {
        o->name = name;
        o->value = value;
        o->loc = loc;
    }
    return o;
}

/* copy_opt_list, the pre-9.0 syntax: BINARY, CSV, HEADER, FREEZE, DELIMITER [AS] 's',
 * NULL [AS] 's', QUOTE [AS] 's', ESCAPE [AS] 's', FORCE QUOTE cols | *, FORCE NOT NULL cols,
 * FORCE NULL cols, ENCODING 's' — recorded under the new syntax's option names. */
static int copy_old_options(struct sql_parser *p, struct sqlp_vec *vec)
{
    for (;;) {
        int loc = p->tok.loc;
        struct sql_option *o;
        const char *name = NULL, *value = NULL;
        bool needs_string = false;
        if (sqlp_is_kw(p, SQL_KW_BINARY)) {
            name = "format", value = "binary";
        } else if (sqlp_is_kw(p, SQL_KW_CSV)) {
            name = "format", value = "csv";
        } else if (sqlp_is_kw(p, SQL_KW_HEADER)) {
            name = "header";
        } else if (sqlp_is_kw(p, SQL_KW_FREEZE)) {
            name = "freeze";
        } else if (sqlp_is_kw(p, SQL_KW_DELIMITER)) {
            name = "delimiter", needs_string = true;
        } else if (sqlp_is_kw(p, SQL_KW_NULL)) {
            name = "null", needs_string = true;
        } else if (sqlp_is_kw(p, SQL_KW_QUOTE)) {
            name = "quote", needs_string = true;
        } else if (sqlp_is_kw(p, SQL_KW_ESCAPE)) {
            name = "escape", needs_string = true;
        } else if (sqlp_is_kw(p, SQL_KW_ENCODING)) {
            TRY(sqlp_advance(p));
            TRY(expect_string(p, &value));
            o = copy_push(p, vec, "encoding", value, loc);
            TRY(nomem_if_null(p, o));
            continue;
        } else if (sqlp_is_kw(p, SQL_KW_FORCE)) {
            TRY(sqlp_advance(p));
            if (sqlp_is_kw(p, SQL_KW_QUOTE)) {
                name = "force_quote";
            } else if (sqlp_is_kw(p, SQL_KW_NOT)) {
                TRY(sqlp_advance(p));
                if (!sqlp_is_kw(p, SQL_KW_NULL))
                    return sqlp_syntax_error(p);
                name = "force_not_null";
            } else if (sqlp_is_kw(p, SQL_KW_NULL)) {
                name = "force_null";
            } else {
                return sqlp_syntax_error(p);
            }
            TRY(sqlp_advance(p));
            o = copy_push(p, vec, name, NULL, loc);
            TRY(nomem_if_null(p, o));
            if (strcmp(name, "force_quote") == 0 && sqlp_is_char(p, '*')) {
                o->star = true;
                TRY(sqlp_advance(p));
            } else {
                TRY(sqlp_names(p, &o->list));
            }
            continue;
        } else {
            return 0;
        }
        TRY(sqlp_advance(p));
        if (needs_string) {
            bool t;
            TRY(take_kw(p, SQL_KW_AS, &t));
            TRY(expect_string(p, &value));
        }
        o = copy_push(p, vec, name, value, loc);
        TRY(nomem_if_null(p, o));
    }
}

static int copy_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct copy_node *node = sqlp_alloc(p, sizeof *node);
    TRY(nomem_if_null(p, node));
    struct sql_copy *c = &node->copy;
    st->kind = SQL_STMT_COPY;
    st->copy = c;
    TRY(sqlp_advance(p)); /* COPY */
    struct sqlp_vec opts = {0};
    if (sqlp_is_char(p, '(')) {
        TRY(sqlp_advance(p));
        if (sqlp_is_kw(p, SQL_KW_INSERT) || sqlp_is_kw(p, SQL_KW_UPDATE) ||
            sqlp_is_kw(p, SQL_KW_DELETE))
            return unsupported(p, p->tok.loc, "COPY of INSERT, UPDATE or DELETE");
        TRY(sqlp_select(p, &c->query));
        TRY(sqlp_expect_char(p, ')'));
        TRY(sqlp_expect_kw(p, SQL_KW_TO));
    } else {
        if (sqlp_is_kw(p, SQL_KW_BINARY)) {
            struct sql_option *o = copy_push(p, &opts, "format", "binary", p->tok.loc);
            TRY(nomem_if_null(p, o));
            TRY(sqlp_advance(p));
        }
        TRY(sqlp_qname(p, &c->table));
        if (sqlp_is_char(p, '('))
            TRY(sqlp_paren_names(p, &c->cols));
        if (sqlp_is_kw(p, SQL_KW_FROM))
            c->is_from = true;
        else if (!sqlp_is_kw(p, SQL_KW_TO))
            return sqlp_syntax_error(p);
        TRY(sqlp_advance(p));
    }
    bool program;
    TRY(take_kw(p, SQL_KW_PROGRAM, &program));
    if (sqlp_is_kw(p, SQL_KW_STDIN) || sqlp_is_kw(p, SQL_KW_STDOUT)) {
        node->program_stdio = program;
        c->target = SQL_COPY_STDIO;
        TRY(sqlp_advance(p));
    } else {
        TRY(expect_string(p, &c->filename));
        c->target = program ? SQL_COPY_PROGRAM : SQL_COPY_FILE;
    }
    if (c->query == NULL && (sqlp_is_kw(p, SQL_KW_USING) || sqlp_is_kw(p, SQL_KW_DELIMITERS))) {
        bool t;
        TRY(take_kw(p, SQL_KW_USING, &t));
        int loc = p->tok.loc;
        TRY(sqlp_expect_kw(p, SQL_KW_DELIMITERS));
        const char *d = NULL;
        TRY(expect_string(p, &d));
        struct sql_option *o = copy_push(p, &opts, "delimiter", d, loc);
        TRY(nomem_if_null(p, o));
    }
    bool with;
    TRY(take_kw(p, SQL_KW_WITH, &with));
    if (sqlp_is_char(p, '(')) {
        struct sql_options generic;
        TRY(option_list(p, &generic, OPTS_COPY));
        for (uint32_t i = 0; i < generic.n; i++) {
            struct sql_option *o = sqlp_push(p, &opts, sizeof *o);
            TRY(nomem_if_null(p, o));
            *o = generic.v[i];
        }
    } else {
        TRY(copy_old_options(p, &opts));
    }
    c->options.n = opts.n;
    c->options.v = opts.v;
    node->where_loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_WHERE)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &c->where));
    }
    return 0;
}

/* In PostgreSQL's order: the grammar's checks once the statement has parsed, then the options
 * (ProcessCopyOptions, when the statement runs) into sql_copy's fields. */
static int copy_checks(struct sql_parser *p, struct copy_node *node)
{
    struct sql_copy *c = &node->copy;
    if (node->program_stdio)
        return sqlp_error(p, ERR_MALFORMED, "42601", -1, "STDIN/STDOUT not allowed with PROGRAM");
    if (c->where != NULL && !c->is_from)
        return sqlp_error(p, ERR_MALFORMED, "42601", node->where_loc,
                          "WHERE clause not allowed with COPY TO");
    bool seen[COPY_OPT_COUNT] = {0}, force_any[3] = {0};
    for (uint32_t i = 0; i < c->options.n; i++)
        TRY(copy_one_option(p, c, &c->options.v[i], seen, force_any));
    return copy_check(p, c, force_any);
}

/* ------------------------------------------------------------------ maintenance */

/* qualified_name [(cols)]: the columns only narrow what ANALYZE looks at. */
static int vacuum_table(struct sql_parser *p, void *slot)
{
    TRY(sqlp_qname(p, slot));
    if (sqlp_is_char(p, '(')) {
        struct sql_names ignored;
        TRY(sqlp_paren_names(p, &ignored));
    }
    return 0;
}

/* [vacuum_table [, ...]] */
static int vacuum_tables(struct sql_parser *p, struct sql_qnames *out)
{
    if (!sqlp_is_colid(p))
        return 0;
    struct sqlp_vec vec = {0};
    TRY(comma_list(p, &vec, sizeof(struct sql_qname), vacuum_table));
    out->n = vec.n;
    out->v = vec.v;
    return 0;
}

/* VACUUM / ANALYZE's node with its parenthesized options, checked after the parse.
 * st->maintenance points at m. */
struct maintenance_node {
    struct sql_maintenance m;
    struct sql_options opts;
};

/* VACUUM (...) / ANALYZE (...) options, checked once the statement has parsed. */
static int maintenance_options(struct sql_parser *p, const struct sql_options *opts,
                               struct sql_maintenance *m, bool vacuum)
{
    static const char *const vacuum_only[] = {
        "full",     "freeze",   "disable_page_skipping", "index_cleanup", "process_toast",
        "truncate", "parallel",
    };
    for (uint32_t i = 0; i < opts->n; i++) {
        const struct sql_option *o = &opts->v[i];
        const char *name = lower_dup(p, o->name);
        TRY(nomem_if_null(p, name));
        bool known = strcmp(name, "verbose") == 0 || strcmp(name, "skip_locked") == 0;
        if (vacuum) {
            known |= strcmp(name, "analyze") == 0 || strcmp(name, "analyse") == 0;
            for (size_t k = 0; k < sizeof vacuum_only / sizeof vacuum_only[0]; k++)
                known |= strcmp(name, vacuum_only[k]) == 0;
        }
        if (!known)
            return sqlp_error(p, ERR_MALFORMED, "42601", o->loc, "unrecognized %s option \"%s\"",
                              vacuum ? "VACUUM" : "ANALYZE", name);
        bool v = true;
        if (strcmp(name, "index_cleanup") != 0 && strcmp(name, "parallel") != 0)
            TRY(option_bool(p, o, &v));
        if (strcmp(name, "full") == 0)
            m->full = v;
        else if (strcmp(name, "freeze") == 0)
            m->freeze = v;
        else if (strcmp(name, "verbose") == 0)
            m->verbose = v;
        else if (strcmp(name, "analyze") == 0 || strcmp(name, "analyse") == 0)
            m->analyze = v;
    }
    return 0;
}

static int vacuum_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct maintenance_node *node = sqlp_alloc(p, sizeof *node);
    TRY(nomem_if_null(p, node));
    struct sql_maintenance *m = &node->m;
    st->kind = SQL_STMT_VACUUM;
    st->maintenance = m;
    TRY(sqlp_advance(p)); /* VACUUM */
    if (sqlp_is_char(p, '(')) {
        TRY(option_list(p, &node->opts, OPTS_UTILITY));
        return vacuum_tables(p, &m->tables);
    }
    bool t;
    TRY(take_kw(p, SQL_KW_FULL, &t));
    m->full = t;
    TRY(take_kw(p, SQL_KW_FREEZE, &t));
    m->freeze = t;
    TRY(take_kw(p, SQL_KW_VERBOSE, &t));
    m->verbose = t;
    if (sqlp_is_kw(p, SQL_KW_ANALYZE) || sqlp_is_kw(p, SQL_KW_ANALYSE)) {
        m->analyze = true;
        TRY(sqlp_advance(p));
    }
    return vacuum_tables(p, &m->tables);
}

static int analyze_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    struct maintenance_node *node = sqlp_alloc(p, sizeof *node);
    TRY(nomem_if_null(p, node));
    struct sql_maintenance *m = &node->m;
    st->kind = SQL_STMT_ANALYZE;
    st->maintenance = m;
    m->analyze = true;
    TRY(sqlp_advance(p)); /* ANALYZE */
    if (sqlp_is_char(p, '(')) {
        TRY(option_list(p, &node->opts, OPTS_UTILITY));
    } else {
        bool t;
        TRY(take_kw(p, SQL_KW_VERBOSE, &t));
        m->verbose = t;
    }
    return vacuum_tables(p, &m->tables);
}

static int discard_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    st->kind = SQL_STMT_DISCARD;
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_ALL))
        st->discard = SQL_DISCARD_ALL;
    else if (sqlp_is_kw(p, SQL_KW_PLANS))
        st->discard = SQL_DISCARD_PLANS;
    else if (sqlp_is_kw(p, SQL_KW_SEQUENCES))
        st->discard = SQL_DISCARD_SEQUENCES;
    else if (sqlp_is_kw(p, SQL_KW_TEMP) || sqlp_is_kw(p, SQL_KW_TEMPORARY))
        st->discard = SQL_DISCARD_TEMP;
    else
        return sqlp_syntax_error(p);
    return sqlp_advance(p);
}

static int deallocate_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    st->kind = SQL_STMT_DEALLOCATE;
    TRY(sqlp_advance(p));
    TRY(opt_kw_before_name(p, SQL_KW_PREPARE));
    if (sqlp_is_kw(p, SQL_KW_ALL)) {
        st->deallocate = NULL;
        return sqlp_advance(p);
    }
    return sqlp_colid(p, &st->deallocate);
}

/* ------------------------------------------------------------------ dispatch */

/* Statements PostgreSQL has and Cairn does not run, by their first word(s): the command tag
 * names them in the refusal. */
static const struct object_word refused_stmts[] = {
    {"prepare", "transaction", "PREPARE TRANSACTION"},
    {"import", "foreign", "IMPORT FOREIGN SCHEMA"},
    {"security", "label", "SECURITY LABEL"},
    {"refresh", "materialized", "REFRESH MATERIALIZED VIEW"},
    {"reassign", "owned", "REASSIGN OWNED"},
    {"grant", NULL, "GRANT"},
    {"revoke", NULL, "REVOKE"},
    {"prepare", NULL, "PREPARE"},
    {"execute", NULL, "EXECUTE"},
    {"listen", NULL, "LISTEN"},
    {"unlisten", NULL, "UNLISTEN"},
    {"notify", NULL, "NOTIFY"},
    {"do", NULL, "DO"},
    {"comment", NULL, "COMMENT"},
    {"lock", NULL, "LOCK TABLE"},
    {"call", NULL, "CALL"},
    {"merge", NULL, "MERGE"},
    {"checkpoint", NULL, "CHECKPOINT"},
    {"cluster", NULL, "CLUSTER"},
    {"reindex", NULL, "REINDEX"},
    {"load", NULL, "LOAD"},
    {"declare", NULL, "DECLARE CURSOR"},
    {"fetch", NULL, "FETCH"},
    {"move", NULL, "MOVE"},
    {"close", NULL, "CLOSE CURSOR"},
};

static bool starts_select(struct sql_parser *p)
{
    return sqlp_is_kw(p, SQL_KW_SELECT) || sqlp_is_kw(p, SQL_KW_VALUES) ||
           sqlp_is_kw(p, SQL_KW_TABLE) || sqlp_is_char(p, '(');
}

/* SELECT-like, or WITH ... followed by a query or INSERT / UPDATE / DELETE. */
static int query_stmt(struct sql_parser *p, struct sql_stmt *st)
{
    if (sqlp_is_kw(p, SQL_KW_WITH)) {
        struct sql_with *with;
        TRY(sqlp_with(p, &with));
        if (sqlp_is_kw(p, SQL_KW_INSERT) || sqlp_is_kw(p, SQL_KW_UPDATE) ||
            sqlp_is_kw(p, SQL_KW_DELETE) || is_word(p, "merge"))
            return sqlp_dml(p, with, st);
        st->kind = SQL_STMT_SELECT;
        return sqlp_select_with(p, with, &st->select);
    }
    st->kind = SQL_STMT_SELECT;
    return sqlp_select(p, &st->select);
}

/* ExplainableStmt, into a statement of its own (loc and len cover its text). */
static int explainable(struct sql_parser *p, struct sql_stmt **out)
{
    struct sql_stmt *st = sqlp_alloc(p, sizeof *st);
    TRY(nomem_if_null(p, st));
    st->loc = p->tok.loc;
    st->arena = p->arena;
    st->text = p->text;
    st->text_len = p->len;
    if (starts_select(p) || sqlp_is_kw(p, SQL_KW_WITH)) {
        TRY(query_stmt(p, st));
    } else if (sqlp_is_kw(p, SQL_KW_INSERT) || sqlp_is_kw(p, SQL_KW_UPDATE) ||
               sqlp_is_kw(p, SQL_KW_DELETE)) {
        TRY(sqlp_dml(p, NULL, st));
    } else if (sqlp_is_kw(p, SQL_KW_CREATE) || is_word(p, "execute") || is_word(p, "declare") ||
               is_word(p, "refresh") || is_word(p, "merge")) {
        char what[64];
        snprintf(what, sizeof what, "EXPLAIN %s", p->tok.str);
        for (char *c = what; *c != '\0'; c++)
            *c = (char)toupper((unsigned char)*c);
        return unsupported(p, p->tok.loc, what);
    } else {
        return sqlp_syntax_error(p);
    }
    st->len = p->prev_end - st->loc;
    st->param_max = p->param_max;
    *out = st;
    return 0;
}

static int statement(struct sql_parser *p, struct sql_stmt *st)
{
    if (starts_select(p) || sqlp_is_kw(p, SQL_KW_WITH))
        return query_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_INSERT) || sqlp_is_kw(p, SQL_KW_UPDATE) ||
        sqlp_is_kw(p, SQL_KW_DELETE))
        return sqlp_dml(p, NULL, st);
    if (sqlp_is_kw(p, SQL_KW_CREATE))
        return create_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_ALTER))
        return alter_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_DROP))
        return drop_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_TRUNCATE))
        return truncate_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_BEGIN) || sqlp_is_kw(p, SQL_KW_START) ||
        sqlp_is_kw(p, SQL_KW_COMMIT) || sqlp_is_kw(p, SQL_KW_END) ||
        sqlp_is_kw(p, SQL_KW_ROLLBACK) || sqlp_is_kw(p, SQL_KW_ABORT) ||
        sqlp_is_kw(p, SQL_KW_SAVEPOINT) || sqlp_is_kw(p, SQL_KW_RELEASE))
        return txn_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_SET))
        return set_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_RESET) || sqlp_is_kw(p, SQL_KW_SHOW))
        return reset_show_stmt(p, st, sqlp_is_kw(p, SQL_KW_SHOW));
    if (sqlp_is_kw(p, SQL_KW_EXPLAIN))
        return explain_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_COPY))
        return copy_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_VACUUM))
        return vacuum_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_ANALYZE) || sqlp_is_kw(p, SQL_KW_ANALYSE))
        return analyze_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_DISCARD))
        return discard_stmt(p, st);
    if (sqlp_is_kw(p, SQL_KW_DEALLOCATE))
        return deallocate_stmt(p, st);
    for (size_t i = 0; i < sizeof refused_stmts / sizeof refused_stmts[0]; i++) {
        const struct object_word *o = &refused_stmts[i];
        if (is_word(p, o->w1) && (o->w2 == NULL || peek_is_word(p, 1, o->w2)))
            return unsupported(p, p->tok.loc, o->tag);
    }
    return sqlp_syntax_error(p);
}

/* ------------------------------------------------------------------ checks after the parse */

/* What PostgreSQL refuses after its grammar accepted the statement — at analysis, in the
 * rewriter, or when the statement runs — and that the statement alone shows. Run once the whole
 * statement has parsed, so that a syntax error anywhere comes first, as it does there. */
static int stmt_checks(struct sql_parser *p, struct sql_stmt *st);

/* The INSERT / UPDATE / DELETE bodies of a statement's WITH (PostgreSQL analyzes CTEs first). */
static int with_checks(struct sql_parser *p, const struct sql_with *with)
{
    for (uint32_t i = 0; with != NULL && i < with->n; i++)
        if (with->v[i].query != NULL)
            TRY(stmt_checks(p, with->v[i].query));
    return 0;
}

static int stmt_checks(struct sql_parser *p, struct sql_stmt *st)
{
    TRY(sqlp_enter(p));
    int rc = 0;
    switch (st->kind) {
    case SQL_STMT_SELECT:
        rc = with_checks(p, st->select->with);
        break;
    case SQL_STMT_INSERT: {
        const struct insert_node *node = (const struct insert_node *)st->insert;
        rc = with_checks(p, node->ins.with);
        if (rc == 0)
            rc = insert_checks(p, &node->ins, node->col_locs);
        break;
    }
    case SQL_STMT_UPDATE:
        rc = with_checks(p, st->update->with);
        if (rc == 0)
            rc = set_clauses_check(p, &st->update->set);
        break;
    case SQL_STMT_DELETE:
        rc = with_checks(p, st->del->with);
        break;
    case SQL_STMT_CREATE_TABLE:
        rc = create_table_checks(p, (const struct create_table_node *)st->create_table);
        break;
    case SQL_STMT_ALTER_TABLE:
        for (uint32_t i = 0; rc == 0 && i < st->alter_table->ncmds; i++)
            if (st->alter_table->cmds[i].column != NULL)
                rc = column_checks(p, st->alter_table->cmds[i].column, st->alter_table->table.name);
        break;
    case SQL_STMT_EXPLAIN:
        /* ExplainQuery looks at its options before the statement. */
        rc = explain_options(p, st->explain);
        if (rc == 0)
            rc = stmt_checks(p, st->explain->stmt);
        break;
    case SQL_STMT_COPY:
        rc = copy_checks(p, (struct copy_node *)st->copy);
        break;
    case SQL_STMT_VACUUM:
    case SQL_STMT_ANALYZE: {
        struct maintenance_node *node = (struct maintenance_node *)st->maintenance;
        rc = maintenance_options(p, &node->opts, &node->m, st->kind == SQL_STMT_VACUUM);
        break;
    }
    default:
        break;
    }
    sqlp_leave(p);
    return rc;
}

int sqlp_statement(struct sql_parser *p, struct sql_stmt *st)
{
    TRY(sqlp_enter(p));
    int rc = statement(p, st);
    sqlp_leave(p);
    if (rc != 0)
        return rc;
    if (!at_end(p))
        return sqlp_syntax_error(p);
    return stmt_checks(p, st);
}
