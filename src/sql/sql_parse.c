/* The core of the PostgreSQL-dialect parser (recursive descent over sql_lex_next's tokens): token
 * plumbing, errors, names, type names, expressions with PostgreSQL 15's precedences (gram.y), and
 * queries (SELECT, VALUES, TABLE, set operations, WITH). Statements are sql_parse_stmt.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "sql/sql_parse_int.h"

/* Every sqlp_ function fills p->err before returning nonzero; this passes it up. */
#define TRY(call)                                                                                  \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* A token the lexer could not read, kept in the lookahead: ival holds the error code. */
#define SQLP_TOK_ERROR (-1)
/* Name parts read before a dotted name is refused (more than any valid name has). */
#define SQLP_DOTTED_MAX 8
/* Array dimensions PostgreSQL allows (MAXDIM). */
#define SQLP_ARRAY_DIMS_MAX 6
/* Fractional-second precision of time types (MAX_TIMESTAMP_PRECISION). */
#define SQLP_TIME_PRECISION_MAX 6
/* varchar(n) / char(n) limit (MaxAttrSize). */
#define SQLP_CHAR_LENGTH_MAX 10485760
/* numeric(p, s) limits (NUMERIC_MAX_PRECISION, PostgreSQL 15's scale range). */
#define SQLP_NUMERIC_PRECISION_MAX 1000
#define SQLP_NUMERIC_SCALE_MIN (-1000)
#define SQLP_NUMERIC_SCALE_MAX 1000
/* Type modifiers read in one list. */
#define SQLP_TYPMODS_MAX 8
/* Bytes of a token shown in a syntax error. */
#define SQLP_ERROR_TOKEN_BYTES_MAX 200

/* Operator precedences, lowest first (gram.y's %left/%right/%nonassoc lines). */
enum {
    PREC_NONE = 0,
    PREC_OR,
    PREC_AND,
    PREC_NOT,
    PREC_IS,  /* IS, ISNULL, NOTNULL (nonassoc) */
    PREC_CMP, /* < > = <= >= <> (nonassoc) */
    PREC_IN,  /* BETWEEN IN LIKE ILIKE SIMILAR, NOT before them (nonassoc) */
    PREC_ESCAPE,
    PREC_OP, /* any other operator, OPERATOR(...) */
    PREC_ADD,
    PREC_MUL,
    PREC_POW,
    PREC_AT, /* AT TIME ZONE */
    PREC_COLLATE,
    PREC_UMINUS,
    PREC_TYPECAST,
};

/* ---- Errors and memory ---- */

int sqlp_error(struct sql_parser *p, int rc, const char *sqlstate, int loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sql_err_vset(p->err, rc, sqlstate, p->text, p->len, loc, fmt, ap);
    va_end(ap);
    return rc;
}

/* The code for a NULL from sqlp_alloc / sqlp_push / sqlp_strdup, from the SQLSTATE they filled. */
static int alloc_failed(const struct sql_parser *p)
{
    ASSERT(p->err != NULL);
    return strcmp(p->err->sqlstate, "53200") == 0 ? ERR_NOMEM : ERR_TOOBIG;
}

void *sqlp_alloc(struct sql_parser *p, size_t n)
{
    void *m = sql_arena_alloc(p->arena, n);
    if (m != NULL)
        return m;
    size_t used = sql_arena_used(p->arena);
    if (n > SQL_ARENA_BYTES_MAX || used > SQL_ARENA_BYTES_MAX - n)
        sqlp_error(p, ERR_TOOBIG, "54000", -1, "statement is too large to parse");
    else
        sqlp_error(p, ERR_NOMEM, "53200", -1, "out of memory");
    return NULL;
}

char *sqlp_strdup(struct sql_parser *p, const char *s)
{
    size_t n = strlen(s);
    char *d = sqlp_alloc(p, n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

int sqlp_enter(struct sql_parser *p)
{
    if (p->depth >= SQL_DEPTH_MAX)
        return sqlp_error(p, ERR_TOOBIG, "54001", -1, "stack depth limit exceeded");
    p->depth++;
    return 0;
}

void sqlp_leave(struct sql_parser *p)
{
    ASSERT(p->depth > 0);
    p->depth--;
}

void *sqlp_push(struct sql_parser *p, struct sqlp_vec *vec, size_t elem)
{
    ASSERT(vec->n <= vec->cap);
    if (vec->n == vec->cap) {
        if (vec->n >= SQL_LIST_ITEMS_MAX) {
            sqlp_error(p, ERR_TOOBIG, "54000", p->tok.loc, "too many items in a list (at most %d)",
                       SQL_LIST_ITEMS_MAX);
            return NULL;
        }
        uint32_t cap = vec->cap != 0 ? vec->cap * 2 : 4;
        if (cap > SQL_LIST_ITEMS_MAX)
            cap = SQL_LIST_ITEMS_MAX;
        void *v = sqlp_alloc(p, (size_t)cap * elem);
        if (v == NULL)
            return NULL;
        if (vec->n > 0)
            memcpy(v, vec->v, (size_t)vec->n * elem);
        vec->v = v;
        vec->cap = cap;
    }
    /* Arena memory is zeroed and a slot is never handed out twice. */
    return (char *)vec->v + (size_t)vec->n++ * elem;
}

static int push_expr(struct sql_parser *p, struct sqlp_vec *v, struct sql_expr *e)
{
    struct sql_expr **slot = sqlp_push(p, v, sizeof *slot);
    if (slot == NULL)
        return alloc_failed(p);
    *slot = e;
    return 0;
}

static int push_name(struct sql_parser *p, struct sqlp_vec *v, const char *s)
{
    const char **slot = sqlp_push(p, v, sizeof *slot);
    if (slot == NULL)
        return alloc_failed(p);
    *slot = s;
    return 0;
}

static int push_from(struct sql_parser *p, struct sqlp_vec *v, struct sql_from *f)
{
    struct sql_from **slot = sqlp_push(p, v, sizeof *slot);
    if (slot == NULL)
        return alloc_failed(p);
    *slot = f;
    return 0;
}

/* ---- Tokens ---- */

static int lex_token(struct sql_parser *p, struct sql_token *t)
{
    size_t start = p->lx.pos;
    int rc = sql_lex_next(&p->lx, t, p->err);
    if (rc != 0) {
        memset(t, 0, sizeof *t);
        t->kind = SQLP_TOK_ERROR;
        t->loc = (int)start;
        t->end = (int)start;
        t->ival = rc;
    }
    return rc;
}

/* Reports the error of a token that failed when read ahead again (p->err may have been used for
 * something else since): lexing is deterministic, so lexing from its start repeats it. */
static int relex_error(struct sql_parser *p, const struct sql_token *t)
{
    struct sql_lexer lx = p->lx;
    struct sql_token tmp;
    lx.pos = (size_t)t->loc;
    int rc = sql_lex_next(&lx, &tmp, p->err);
    return rc != 0 ? rc : (int)t->ival;
}

int sqlp_advance(struct sql_parser *p)
{
    if (p->tok.kind == SQLP_TOK_ERROR)
        return relex_error(p, &p->tok);
    p->prev_end = p->tok.end;
    if (p->nahead == 0)
        return lex_token(p, &p->tok);
    p->tok = p->ahead[0];
    p->nahead--;
    memmove(&p->ahead[0], &p->ahead[1], (size_t)p->nahead * sizeof p->ahead[0]);
    if (p->tok.kind == SQLP_TOK_ERROR)
        return relex_error(p, &p->tok);
    return 0;
}

const struct sql_token *sqlp_peek(struct sql_parser *p, int k)
{
    ASSERT(k >= 1 && k <= SQLP_LOOKAHEAD);
    while (p->nahead < k) {
        const struct sql_token *last = p->nahead > 0 ? &p->ahead[p->nahead - 1] : &p->tok;
        if (last->kind == SQLP_TOK_ERROR) {
            relex_error(p, last);
            return NULL;
        }
        if (last->kind == SQL_TOK_EOF) {
            p->ahead[p->nahead] = *last;
            p->nahead++;
            continue;
        }
        lex_token(p, &p->ahead[p->nahead]);
        p->nahead++;
    }
    if (p->ahead[k - 1].kind == SQLP_TOK_ERROR) {
        relex_error(p, &p->ahead[k - 1]);
        return NULL;
    }
    return &p->ahead[k - 1];
}

static bool tok_is_kw(const struct sql_token *t, enum sql_kw kw)
{
    return t != NULL && t->kind == SQL_TOK_IDENT && t->kw == kw;
}

bool sqlp_is_kw(const struct sql_parser *p, enum sql_kw kw)
{
    ASSERT(kw != SQL_KW_NONE);
    return tok_is_kw(&p->tok, kw);
}

bool sqlp_is_char(const struct sql_parser *p, int c)
{
    return p->tok.kind == c;
}

bool sqlp_peek_is_kw(struct sql_parser *p, int k, enum sql_kw kw)
{
    ASSERT(kw != SQL_KW_NONE);
    return tok_is_kw(sqlp_peek(p, k), kw);
}

bool sqlp_peek_is_char(struct sql_parser *p, int k, int c)
{
    const struct sql_token *t = sqlp_peek(p, k);
    return t != NULL && t->kind == c;
}

int sqlp_accept_kw(struct sql_parser *p, enum sql_kw kw, bool *taken)
{
    bool is = sqlp_is_kw(p, kw);
    if (taken != NULL)
        *taken = is;
    return is ? sqlp_advance(p) : 0;
}

int sqlp_accept_char(struct sql_parser *p, int c, bool *taken)
{
    bool is = sqlp_is_char(p, c);
    if (taken != NULL)
        *taken = is;
    return is ? sqlp_advance(p) : 0;
}

int sqlp_expect_kw(struct sql_parser *p, enum sql_kw kw)
{
    if (!sqlp_is_kw(p, kw))
        return sqlp_syntax_error(p);
    return sqlp_advance(p);
}

int sqlp_expect_char(struct sql_parser *p, int c)
{
    if (!sqlp_is_char(p, c))
        return sqlp_syntax_error(p);
    return sqlp_advance(p);
}

int sqlp_syntax_error(struct sql_parser *p)
{
    const struct sql_token *t = &p->tok;
    if (t->kind == SQLP_TOK_ERROR)
        return relex_error(p, t);
    if (t->kind == SQL_TOK_EOF)
        return sqlp_error(p, ERR_MALFORMED, "42601", t->loc, "syntax error at end of input");
    int n = t->end - t->loc;
    if (n > SQLP_ERROR_TOKEN_BYTES_MAX) {
        /* Cut on a character boundary: the message goes to the client as UTF-8. */
        n = SQLP_ERROR_TOKEN_BYTES_MAX;
        while (n > 0 && ((unsigned char)p->text[t->loc + n] & 0xC0) == 0x80)
            n--;
    }
    return sqlp_error(p, ERR_MALFORMED, "42601", t->loc, "syntax error at or near \"%.*s\"", n,
                      p->text + t->loc);
}

static int feature_error(struct sql_parser *p, int loc, const char *what)
{
    return sqlp_error(p, ERR_UNSUPPORTED, "0A000", loc, "%s is not supported", what);
}

/* ---- Names ---- */

static enum sql_kw_cat tok_cat(const struct sql_token *t)
{
    return t->kw == SQL_KW_NONE ? SQL_KWC_UNRESERVED : sql_keywords[t->kw].cat;
}

/* ColId: identifiers, unreserved and column-name keywords. */
static bool tok_is_colid(const struct sql_token *t)
{
    if (t == NULL || t->kind != SQL_TOK_IDENT)
        return false;
    enum sql_kw_cat c = tok_cat(t);
    return c == SQL_KWC_UNRESERVED || c == SQL_KWC_COL_NAME;
}

/* type_function_name: identifiers, unreserved and type/function-name keywords. */
static bool tok_is_func_name(const struct sql_token *t)
{
    if (t == NULL || t->kind != SQL_TOK_IDENT)
        return false;
    enum sql_kw_cat c = tok_cat(t);
    return c == SQL_KWC_UNRESERVED || c == SQL_KWC_TYPE_FUNC;
}

/* BareColLabel: a column alias without AS. */
static bool tok_is_bare_label(const struct sql_token *t)
{
    return t->kind == SQL_TOK_IDENT && (t->kw == SQL_KW_NONE || sql_keywords[t->kw].bare_label);
}

bool sqlp_is_colid(const struct sql_parser *p)
{
    return tok_is_colid(&p->tok);
}

int sqlp_colid(struct sql_parser *p, const char **out)
{
    if (!sqlp_is_colid(p))
        return sqlp_syntax_error(p);
    *out = p->tok.str;
    return sqlp_advance(p);
}

int sqlp_label(struct sql_parser *p, const char **out)
{
    if (p->tok.kind != SQL_TOK_IDENT)
        return sqlp_syntax_error(p);
    *out = p->tok.str;
    return sqlp_advance(p);
}

/* A dotted name as read: the first part (whatever the caller allowed), then '.' ColLabel parts,
 * optionally ending in '.*'. */
struct dotted {
    const char *parts[SQLP_DOTTED_MAX];
    int n;
    bool star;
    int loc;
};

static int dotted_error(struct sql_parser *p, const struct dotted *d, const char *fmt)
{
    char text[256];
    size_t len = 0;
    text[0] = '\0';
    for (int i = 0; i < d->n && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i > 0 ? "." : "",
                                d->parts[i]);
    if (d->star && len < sizeof text)
        snprintf(text + len, sizeof text - len, ".*");
    bool cross = strstr(fmt, "cross-database") != NULL;
    return sqlp_error(p, cross ? ERR_UNSUPPORTED : ERR_MALFORMED, cross ? "0A000" : "42601",
                      d->loc, fmt, text);
}

#define IMPROPER_NAME "improper qualified name (too many dotted names): %s"

/* Consumes the current IDENT token (the caller checked its category) and any '.' parts. */
static int read_dotted(struct sql_parser *p, struct dotted *d, bool allow_star)
{
    ASSERT(p->tok.kind == SQL_TOK_IDENT);
    d->n = 1;
    d->star = false;
    d->loc = p->tok.loc;
    d->parts[0] = p->tok.str;
    TRY(sqlp_advance(p));
    while (sqlp_is_char(p, '.')) {
        TRY(sqlp_advance(p));
        if (allow_star && sqlp_is_char(p, '*')) {
            d->star = true;
            return sqlp_advance(p);
        }
        if (p->tok.kind != SQL_TOK_IDENT)
            return sqlp_syntax_error(p);
        if (d->n == SQLP_DOTTED_MAX)
            return dotted_error(p, d, IMPROPER_NAME);
        d->parts[d->n++] = p->tok.str;
        TRY(sqlp_advance(p));
    }
    return 0;
}

static int qname_from_dotted(struct sql_parser *p, const struct dotted *d, struct sql_qname *out)
{
    memset(out, 0, sizeof *out);
    out->loc = d->loc;
    if (d->n > 3)
        return dotted_error(p, d, IMPROPER_NAME);
    out->name = d->parts[d->n - 1];
    if (d->n >= 2)
        out->schema = d->parts[d->n - 2];
    if (d->n == 3)
        out->catalog = d->parts[0];
    return 0;
}

int sqlp_qname(struct sql_parser *p, struct sql_qname *out)
{
    if (!sqlp_is_colid(p))
        return sqlp_syntax_error(p);
    struct dotted d;
    TRY(read_dotted(p, &d, false));
    return qname_from_dotted(p, &d, out);
}

/* item [, item ...]: item reads one element and appends it to v. */
typedef int (*list_item_fn)(struct sql_parser *p, struct sqlp_vec *v);

static int comma_list(struct sql_parser *p, struct sqlp_vec *v, list_item_fn item)
{
    for (;;) {
        TRY(item(p, v));
        if (!sqlp_is_char(p, ','))
            return 0;
        TRY(sqlp_advance(p));
    }
}

static int name_item(struct sql_parser *p, struct sqlp_vec *v)
{
    const char *s = NULL;
    TRY(sqlp_colid(p, &s));
    return push_name(p, v, s);
}

int sqlp_names(struct sql_parser *p, struct sql_names *out)
{
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, name_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

int sqlp_paren_names(struct sql_parser *p, struct sql_names *out)
{
    TRY(sqlp_expect_char(p, '('));
    TRY(sqlp_names(p, out));
    return sqlp_expect_char(p, ')');
}

/* ---- Types ---- */

static int type_int(struct sql_parser *p, int32_t *out)
{
    if (p->tok.kind != SQL_TOK_INT || p->tok.ival > INT32_MAX)
        return sqlp_syntax_error(p);
    *out = (int32_t)p->tok.ival;
    return sqlp_advance(p);
}

/* '(' Iconst ')' at the current '('. */
static int paren_int(struct sql_parser *p, int32_t *out)
{
    TRY(sqlp_expect_char(p, '('));
    TRY(type_int(p, out));
    return sqlp_expect_char(p, ')');
}

/* A type modifier in a generic list, which may be negative: numeric(5, -2). */
static int type_mod(struct sql_parser *p, int32_t *out)
{
    bool minus;
    TRY(sqlp_accept_char(p, '-', &minus));
    TRY(type_int(p, out));
    if (minus)
        *out = -*out;
    return 0;
}

/* '(' Iconst [, Iconst ...] ')' at the current '(' . */
static int type_mods(struct sql_parser *p, int32_t *m, int *n)
{
    TRY(sqlp_expect_char(p, '('));
    *n = 0;
    for (;;) {
        if (*n == SQLP_TYPMODS_MAX)
            return sqlp_error(p, ERR_MALFORMED, "22023", p->tok.loc, "invalid type modifier");
        TRY(type_mod(p, &m[(*n)++]));
        if (!sqlp_is_char(p, ','))
            break;
        TRY(sqlp_advance(p));
    }
    return sqlp_expect_char(p, ')');
}

static int time_precision(struct sql_parser *p, struct sql_type *t, int32_t v, const char *what)
{
    if (v < 0)
        return sqlp_error(p, ERR_MALFORMED, "22023", t->loc, "%s(%d) precision must not be negative",
                          what, (int)v);
    /* PostgreSQL warns and lowers it. */
    t->mod1 = v > SQLP_TIME_PRECISION_MAX ? SQLP_TIME_PRECISION_MAX : v;
    return 0;
}

/* Applies modifiers as PostgreSQL's typmodin functions check them. */
static int type_apply_mods(struct sql_parser *p, struct sql_type *t, const int32_t *m, int n)
{
    switch (t->kind) {
    case SQL_TYPE_NUMERIC:
        if (n > 2)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc, "invalid NUMERIC type modifier");
        if (m[0] < 1 || m[0] > SQLP_NUMERIC_PRECISION_MAX)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc,
                              "NUMERIC precision %d must be between 1 and %d", (int)m[0],
                              SQLP_NUMERIC_PRECISION_MAX);
        if (n == 2 && (m[1] < SQLP_NUMERIC_SCALE_MIN || m[1] > SQLP_NUMERIC_SCALE_MAX))
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc,
                              "NUMERIC scale %d must be between %d and %d", (int)m[1],
                              SQLP_NUMERIC_SCALE_MIN, SQLP_NUMERIC_SCALE_MAX);
        t->mod1 = m[0];
        t->mod2 = n == 2 ? m[1] : -1;
        return 0;
    case SQL_TYPE_VARCHAR:
    case SQL_TYPE_BPCHAR: {
        const char *name = t->kind == SQL_TYPE_VARCHAR ? "varchar" : "bpchar";
        if (n != 1)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc, "invalid type modifier");
        if (m[0] < 1)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc,
                              "length for type %s must be at least 1", name);
        if (m[0] > SQLP_CHAR_LENGTH_MAX)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc,
                              "length for type %s cannot exceed %d", name, SQLP_CHAR_LENGTH_MAX);
        t->mod1 = m[0];
        return 0;
    }
    case SQL_TYPE_TIME:
    case SQL_TYPE_TIMETZ:
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMPTZ:
    case SQL_TYPE_INTERVAL: {
        if (n != 1)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc, "invalid type modifier");
        const char *what = t->kind == SQL_TYPE_INTERVAL ? "INTERVAL"
                           : (t->kind == SQL_TYPE_TIME || t->kind == SQL_TYPE_TIMETZ) ? "TIME"
                                                                                      : "TIMESTAMP";
        return time_precision(p, t, m[0], what);
    }
    case SQL_TYPE_OTHER:
        t->mod1 = m[0];
        t->mod2 = n >= 2 ? m[1] : -1;
        return 0;
    default:
        return sqlp_error(p, ERR_MALFORMED, "42601", t->loc,
                          "type modifier is not allowed for type \"%s\"",
                          sql_type_kind_name(t->kind));
    }
}

static int opt_type_mods(struct sql_parser *p, struct sql_type *t)
{
    if (!sqlp_is_char(p, '('))
        return 0;
    int32_t m[SQLP_TYPMODS_MAX];
    int n;
    TRY(type_mods(p, m, &n));
    return type_apply_mods(p, t, m, n);
}

/* PostgreSQL's names for the built-in types (pg_type.typname), and the serial pseudo-types. */
static const struct {
    const char *name;
    enum sql_type_kind kind;
    bool serial;
} builtin_types[] = {
    {"int2", SQL_TYPE_INT2, false},
    {"int4", SQL_TYPE_INT4, false},
    {"int8", SQL_TYPE_INT8, false},
    {"float4", SQL_TYPE_FLOAT4, false},
    {"float8", SQL_TYPE_FLOAT8, false},
    {"numeric", SQL_TYPE_NUMERIC, false},
    {"bool", SQL_TYPE_BOOL, false},
    {"text", SQL_TYPE_TEXT, false},
    {"varchar", SQL_TYPE_VARCHAR, false},
    {"bpchar", SQL_TYPE_BPCHAR, false},
    {"bytea", SQL_TYPE_BYTEA, false},
    {"date", SQL_TYPE_DATE, false},
    {"time", SQL_TYPE_TIME, false},
    {"timetz", SQL_TYPE_TIMETZ, false},
    {"timestamp", SQL_TYPE_TIMESTAMP, false},
    {"timestamptz", SQL_TYPE_TIMESTAMPTZ, false},
    {"interval", SQL_TYPE_INTERVAL, false},
    {"json", SQL_TYPE_JSON, false},
    {"jsonb", SQL_TYPE_JSONB, false},
    {"uuid", SQL_TYPE_UUID, false},
    {"serial", SQL_TYPE_INT4, true},
    {"serial4", SQL_TYPE_INT4, true},
    {"bigserial", SQL_TYPE_INT8, true},
    {"serial8", SQL_TYPE_INT8, true},
    {"smallserial", SQL_TYPE_INT2, true},
    {"serial2", SQL_TYPE_INT2, true},
};

/* A type named by a dotted name (GenericType): built-in when unqualified or in pg_catalog (the
 * serial types only unqualified, as PostgreSQL recognizes them). */
static int named_type(struct sql_parser *p, const struct dotted *d, struct sql_type *t)
{
    if (d->n > 3)
        return dotted_error(p, d, IMPROPER_NAME);
    if (d->n == 3)
        return dotted_error(p, d, "cross-database references are not implemented: %s");
    const char *name = d->parts[d->n - 1];
    const char *schema = d->n == 2 ? d->parts[0] : NULL;
    t->schema = schema;
    t->kind = SQL_TYPE_OTHER;
    t->name = name;
    if (schema != NULL && strcmp(schema, "pg_catalog") != 0)
        return 0;
    for (size_t i = 0; i < sizeof builtin_types / sizeof builtin_types[0]; i++) {
        if (strcmp(builtin_types[i].name, name) != 0)
            continue;
        if (builtin_types[i].serial && schema != NULL)
            break;
        t->kind = builtin_types[i].kind;
        t->serial = builtin_types[i].serial;
        t->name = NULL;
        break;
    }
    return 0;
}

/* opt_interval after INTERVAL (or after INTERVAL 'literal'): YEAR, DAY TO SECOND(3)... */
static int interval_fields(struct sql_parser *p, struct sql_type *t)
{
    static const enum sql_kw units[] = {SQL_KW_YEAR, SQL_KW_MONTH,  SQL_KW_DAY,
                                        SQL_KW_HOUR, SQL_KW_MINUTE, SQL_KW_SECOND};
    int first = -1;
    for (int i = 0; i < 6; i++)
        if (sqlp_is_kw(p, units[i]))
            first = i;
    if (first < 0)
        return 0;
    int last = first;
    TRY(sqlp_advance(p));
    /* YEAR TO MONTH; DAY TO HOUR|MINUTE|SECOND; HOUR TO MINUTE|SECOND; MINUTE TO SECOND. */
    if (first != 1 && first != 5 && sqlp_is_kw(p, SQL_KW_TO)) {
        TRY(sqlp_advance(p));
        int lo = first == 0 ? 1 : first + 1, hi = first == 0 ? 1 : 5;
        last = -1;
        for (int i = lo; i <= hi; i++)
            if (sqlp_is_kw(p, units[i]))
                last = i;
        if (last < 0)
            return sqlp_syntax_error(p);
        TRY(sqlp_advance(p));
    }
    if (last == 5 && sqlp_is_char(p, '(')) {
        int32_t v = 0;
        TRY(paren_int(p, &v));
        TRY(time_precision(p, t, v, "INTERVAL"));
    }
    char text[32];
    if (last == first)
        snprintf(text, sizeof text, "%s", sql_keywords[units[first]].text);
    else
        snprintf(text, sizeof text, "%s to %s", sql_keywords[units[first]].text,
                 sql_keywords[units[last]].text);
    t->interval_fields = sqlp_strdup(p, text);
    return t->interval_fields != NULL ? 0 : alloc_failed(p);
}

static int float_type(struct sql_parser *p, struct sql_type *t)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p));
    t->kind = SQL_TYPE_FLOAT8;
    if (!sqlp_is_char(p, '('))
        return 0;
    int32_t v = 0;
    TRY(paren_int(p, &v));
    if (v < 1)
        return sqlp_error(p, ERR_MALFORMED, "22023", loc,
                          "precision for type float must be at least 1 bit");
    if (v > 53)
        return sqlp_error(p, ERR_MALFORMED, "22023", loc,
                          "precision for type float must be less than 54 bits");
    t->kind = v <= 24 ? SQL_TYPE_FLOAT4 : SQL_TYPE_FLOAT8;
    return 0;
}

/* CHARACTER [VARYING], CHAR, VARCHAR, NATIONAL CHAR[ACTER], NCHAR, BIT [VARYING]; literal: a
 * typed literal, where no length means no limit (ConstCharacter). */
static int char_type(struct sql_parser *p, struct sql_type *t, bool literal)
{
    enum sql_kw kw = p->tok.kw;
    TRY(sqlp_advance(p));
    if (kw == SQL_KW_NATIONAL) {
        if (!sqlp_is_kw(p, SQL_KW_CHARACTER) && !sqlp_is_kw(p, SQL_KW_CHAR))
            return sqlp_syntax_error(p);
        TRY(sqlp_advance(p));
    }
    bool varying = kw == SQL_KW_VARCHAR;
    if (!varying)
        TRY(sqlp_accept_kw(p, SQL_KW_VARYING, &varying));
    if (kw == SQL_KW_BIT) {
        t->kind = SQL_TYPE_OTHER;
        t->name = varying ? "varbit" : "bit";
        t->mod1 = varying || literal ? -1 : 1;
        if (!sqlp_is_char(p, '('))
            return 0;
        int32_t v = 0;
        TRY(paren_int(p, &v));
        if (v < 1)
            return sqlp_error(p, ERR_MALFORMED, "22023", t->loc,
                              "length for type %s must be at least 1", t->name);
        t->mod1 = v;
        return 0;
    }
    t->kind = varying ? SQL_TYPE_VARCHAR : SQL_TYPE_BPCHAR;
    t->mod1 = varying || literal ? -1 : 1;
    if (!sqlp_is_char(p, '('))
        return 0;
    int32_t v = 0;
    TRY(paren_int(p, &v));
    return type_apply_mods(p, t, &v, 1);
}

/* TIME / TIMESTAMP [(p)] [WITH | WITHOUT TIME ZONE]. */
static int datetime_type(struct sql_parser *p, struct sql_type *t)
{
    bool ts = sqlp_is_kw(p, SQL_KW_TIMESTAMP);
    int32_t prec = -1;
    bool have_prec = false;
    TRY(sqlp_advance(p));
    if (sqlp_is_char(p, '(')) {
        TRY(paren_int(p, &prec));
        have_prec = true;
    }
    bool tz = false;
    if ((sqlp_is_kw(p, SQL_KW_WITH) || sqlp_is_kw(p, SQL_KW_WITHOUT)) &&
        sqlp_peek_is_kw(p, 1, SQL_KW_TIME)) {
        tz = sqlp_is_kw(p, SQL_KW_WITH);
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_ZONE));
    }
    if (ts)
        t->kind = tz ? SQL_TYPE_TIMESTAMPTZ : SQL_TYPE_TIMESTAMP;
    else
        t->kind = tz ? SQL_TYPE_TIMETZ : SQL_TYPE_TIME;
    if (!have_prec)
        return 0;
    return time_precision(p, t, prec, ts ? "TIMESTAMP" : "TIME");
}

/* SimpleTypename (and ConstTypename when literal). */
static int simple_type(struct sql_parser *p, struct sql_type *t, bool literal)
{
    if (p->tok.kind != SQL_TOK_IDENT)
        return sqlp_syntax_error(p);
    switch (p->tok.kw) {
    case SQL_KW_INT:
    case SQL_KW_INTEGER:
        t->kind = SQL_TYPE_INT4;
        return sqlp_advance(p);
    case SQL_KW_SMALLINT:
        t->kind = SQL_TYPE_INT2;
        return sqlp_advance(p);
    case SQL_KW_BIGINT:
        t->kind = SQL_TYPE_INT8;
        return sqlp_advance(p);
    case SQL_KW_REAL:
        t->kind = SQL_TYPE_FLOAT4;
        return sqlp_advance(p);
    case SQL_KW_BOOLEAN:
        t->kind = SQL_TYPE_BOOL;
        return sqlp_advance(p);
    case SQL_KW_FLOAT:
        return float_type(p, t);
    case SQL_KW_DOUBLE:
        if (!sqlp_peek_is_kw(p, 1, SQL_KW_PRECISION))
            break;
        t->kind = SQL_TYPE_FLOAT8;
        TRY(sqlp_advance(p));
        return sqlp_advance(p);
    case SQL_KW_DECIMAL:
    case SQL_KW_DEC:
    case SQL_KW_NUMERIC:
        t->kind = SQL_TYPE_NUMERIC;
        TRY(sqlp_advance(p));
        return opt_type_mods(p, t);
    case SQL_KW_BIT:
    case SQL_KW_CHARACTER:
    case SQL_KW_CHAR:
    case SQL_KW_VARCHAR:
    case SQL_KW_NATIONAL:
    case SQL_KW_NCHAR:
        return char_type(p, t, literal);
    case SQL_KW_TIME:
    case SQL_KW_TIMESTAMP:
        return datetime_type(p, t);
    case SQL_KW_INTERVAL:
        t->kind = SQL_TYPE_INTERVAL;
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '(')) {
            int32_t v = 0;
            TRY(paren_int(p, &v));
            return time_precision(p, t, v, "INTERVAL");
        }
        return literal ? 0 : interval_fields(p, t);
    default:
        break;
    }
    if (!tok_is_func_name(&p->tok))
        return sqlp_syntax_error(p);
    struct dotted d;
    TRY(read_dotted(p, &d, false));
    TRY(named_type(p, &d, t));
    return opt_type_mods(p, t);
}

static void type_init(struct sql_type *t, int loc)
{
    memset(t, 0, sizeof *t);
    t->mod1 = -1;
    t->mod2 = -1;
    t->loc = loc;
}

int sqlp_type(struct sql_parser *p, struct sql_type *out)
{
    type_init(out, p->tok.loc);
    TRY(simple_type(p, out, false));
    if (sqlp_is_kw(p, SQL_KW_ARRAY)) {
        /* T ARRAY or T ARRAY[n]: one dimension. */
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '[')) {
            int32_t v = 0;
            TRY(sqlp_advance(p));
            TRY(type_int(p, &v));
            TRY(sqlp_expect_char(p, ']'));
        }
        out->array_dims = 1;
        return 0;
    }
    while (sqlp_is_char(p, '[')) {
        TRY(sqlp_advance(p));
        if (!sqlp_is_char(p, ']')) {
            int32_t v = 0;
            TRY(type_int(p, &v));
        }
        TRY(sqlp_expect_char(p, ']'));
        if (out->array_dims == SQLP_ARRAY_DIMS_MAX)
            return sqlp_error(p, ERR_TOOBIG, "54000", out->loc,
                              "number of array dimensions (%d) exceeds the maximum allowed (%d)",
                              SQLP_ARRAY_DIMS_MAX + 1, SQLP_ARRAY_DIMS_MAX);
        out->array_dims++;
    }
    return 0;
}

/* ---- Expression nodes ---- */

static struct sql_expr *new_expr(struct sql_parser *p, enum sql_expr_kind kind, int loc)
{
    struct sql_expr *e = sqlp_alloc(p, sizeof *e);
    if (e != NULL) {
        e->kind = kind;
        e->loc = loc;
    }
    return e;
}

static struct sql_select *new_select(struct sql_parser *p, enum sql_select_kind kind, int loc)
{
    struct sql_select *s = sqlp_alloc(p, sizeof *s);
    if (s != NULL) {
        s->kind = kind;
        s->loc = loc;
    }
    return s;
}

static int string_const(struct sql_parser *p, const char *s, size_t len, int loc,
                        struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_CONST, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->konst.kind = SQL_CONST_STRING;
    e->konst.text = s;
    e->konst.len = len;
    *out = e;
    return 0;
}

static int int_const(struct sql_parser *p, int64_t v, const char *text, int loc,
                     struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_CONST, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->konst.kind = SQL_CONST_INT;
    e->konst.ival = v;
    e->konst.text = text;
    *out = e;
    return 0;
}

/* B'0101' keeps its digits; X'1F' becomes the same bits in binary digits ("00011111"), which is
 * the value PostgreSQL's bit input makes of it. */
static int bits_const(struct sql_parser *p, struct sql_expr *e)
{
    const char *s = p->tok.str;
    size_t n = p->tok.len;
    ASSERT(n >= 1 && (s[0] == 'b' || s[0] == 'x'));
    e->konst.kind = SQL_CONST_BITS;
    if (s[0] == 'b') {
        e->konst.text = s + 1;
        return 0;
    }
    char *bits = sqlp_alloc(p, (n - 1) * 4 + 1);
    if (bits == NULL)
        return alloc_failed(p);
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        for (int b = 3; b >= 0; b--)
            bits[(i - 1) * 4 + (size_t)(3 - b)] = (char)('0' + ((v >> b) & 1));
    }
    e->konst.text = bits;
    return 0;
}

static int const_expr(struct sql_parser *p, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_CONST, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    switch (p->tok.kind) {
    case SQL_TOK_INT:
        e->konst.kind = SQL_CONST_INT;
        e->konst.ival = p->tok.ival;
        e->konst.text = p->tok.str;
        break;
    case SQL_TOK_NUMERIC:
        e->konst.kind = SQL_CONST_NUMERIC;
        e->konst.text = p->tok.str;
        break;
    case SQL_TOK_STRING:
        e->konst.kind = SQL_CONST_STRING;
        e->konst.text = p->tok.str;
        e->konst.len = p->tok.len;
        break;
    default:
        ASSERT(p->tok.kind == SQL_TOK_BITS);
        TRY(bits_const(p, e));
        break;
    }
    *out = e;
    return sqlp_advance(p);
}

/* Folds a minus into a numeric constant, as PostgreSQL's doNegate does: -5 is the constant -5,
 * and -9223372036854775808 fits int64 again. */
static int negate_const(struct sql_parser *p, struct sql_expr *e, int loc)
{
    const char *text = e->konst.text;
    char *neg;
    if (text[0] == '-') {
        neg = sqlp_strdup(p, text + 1);
    } else {
        size_t n = strlen(text);
        neg = sqlp_alloc(p, n + 2);
        if (neg != NULL) {
            neg[0] = '-';
            memcpy(neg + 1, text, n + 1);
        }
    }
    if (neg == NULL)
        return alloc_failed(p);
    e->konst.text = neg;
    e->loc = loc;
    if (e->konst.kind == SQL_CONST_INT) {
        if (e->konst.ival == INT64_MIN)
            e->konst.kind = SQL_CONST_NUMERIC;
        else
            e->konst.ival = -e->konst.ival;
        return 0;
    }
    /* A NUMERIC of digits only that is exactly 2^63 becomes INT64_MIN once negated. */
    const char *d = neg + 1;
    if (neg[0] != '-' || *d == '\0')
        return 0;
    uint64_t v = 0;
    for (; *d != '\0'; d++) {
        if (*d < '0' || *d > '9' || v > (UINT64_C(1) << 63) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*d - '0');
    }
    if (v == (UINT64_C(1) << 63)) {
        e->konst.kind = SQL_CONST_INT;
        e->konst.ival = INT64_MIN;
    }
    return 0;
}

/* ---- Operators ---- */

struct opinfo {
    enum sql_op op;
    const char *name;
    const char *schema;
    int loc;
};

static const struct {
    const char *text;
    enum sql_op op;
} op_names[] = {
    {"+", SQL_OP_ADD},     {"-", SQL_OP_SUB},     {"*", SQL_OP_MUL},      {"/", SQL_OP_DIV},
    {"%", SQL_OP_MOD},     {"^", SQL_OP_POW},     {"||", SQL_OP_CONCAT},  {"=", SQL_OP_EQ},
    {"<>", SQL_OP_NE},     {"!=", SQL_OP_NE},     {"<", SQL_OP_LT},       {"<=", SQL_OP_LE},
    {">", SQL_OP_GT},      {">=", SQL_OP_GE},     {"~", SQL_OP_REGEX},    {"!~", SQL_OP_NREGEX},
    {"~*", SQL_OP_IREGEX}, {"!~*", SQL_OP_NIREGEX}, {"&", SQL_OP_BITAND}, {"|", SQL_OP_BITOR},
    {"#", SQL_OP_BITXOR},  {"<<", SQL_OP_SHL},    {">>", SQL_OP_SHR},
};

static void op_from_text(struct opinfo *o, const char *text)
{
    o->op = SQL_OP_OTHER;
    o->name = text;
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++) {
        if (strcmp(op_names[i].text, text) == 0) {
            o->op = op_names[i].op;
            o->name = o->op == SQL_OP_NE ? "<>" : op_names[i].text;
            return;
        }
    }
}

/* The text of an operator token, or NULL when the token is not one. */
static const char *op_token_text(const struct sql_token *t)
{
    switch (t->kind) {
    case '+':
        return "+";
    case '-':
        return "-";
    case '*':
        return "*";
    case '/':
        return "/";
    case '%':
        return "%";
    case '^':
        return "^";
    case '<':
        return "<";
    case '>':
        return ">";
    case '=':
        return "=";
    case SQL_TOK_LESS_EQUALS:
        return "<=";
    case SQL_TOK_GREATER_EQUALS:
        return ">=";
    case SQL_TOK_NOT_EQUALS:
        return "<>";
    case SQL_TOK_OP:
        return t->str;
    default:
        return NULL;
    }
}

/* Consumes an operator token, or OPERATOR([schema.]op). */
static int read_operator(struct sql_parser *p, struct opinfo *o)
{
    memset(o, 0, sizeof *o);
    o->loc = p->tok.loc;
    if (!sqlp_is_kw(p, SQL_KW_OPERATOR)) {
        const char *text = op_token_text(&p->tok);
        if (text == NULL)
            return sqlp_syntax_error(p);
        op_from_text(o, text);
        return sqlp_advance(p);
    }
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_char(p, '('));
    if (p->tok.kind == SQL_TOK_IDENT) {
        TRY(sqlp_colid(p, &o->schema));
        TRY(sqlp_expect_char(p, '.'));
    }
    const char *text = op_token_text(&p->tok);
    if (text == NULL)
        return sqlp_syntax_error(p);
    op_from_text(o, text);
    TRY(sqlp_advance(p));
    return sqlp_expect_char(p, ')');
}

/* The precedence of the current token as an infix (or postfix) operator; PREC_NONE if it is
 * not one. NOT counts only before BETWEEN/IN/LIKE/ILIKE/SIMILAR (PostgreSQL's NOT_LA). */
static int infix_prec(struct sql_parser *p)
{
    const struct sql_token *t = &p->tok;
    switch (t->kind) {
    case '<':
    case '>':
    case '=':
    case SQL_TOK_LESS_EQUALS:
    case SQL_TOK_GREATER_EQUALS:
    case SQL_TOK_NOT_EQUALS:
        return PREC_CMP;
    case '+':
    case '-':
        return PREC_ADD;
    case '*':
    case '/':
    case '%':
        return PREC_MUL;
    case '^':
        return PREC_POW;
    case SQL_TOK_OP:
        return PREC_OP;
    case SQL_TOK_TYPECAST:
        return PREC_TYPECAST;
    case SQL_TOK_IDENT:
        break;
    default:
        return PREC_NONE;
    }
    switch (t->kw) {
    case SQL_KW_OR:
        return PREC_OR;
    case SQL_KW_AND:
        return PREC_AND;
    case SQL_KW_IS:
    case SQL_KW_ISNULL:
    case SQL_KW_NOTNULL:
        return PREC_IS;
    case SQL_KW_BETWEEN:
    case SQL_KW_IN:
    case SQL_KW_LIKE:
    case SQL_KW_ILIKE:
        return PREC_IN;
    case SQL_KW_SIMILAR:
        return sqlp_peek_is_kw(p, 1, SQL_KW_TO) ? PREC_IN : PREC_NONE;
    case SQL_KW_NOT: {
        const struct sql_token *n = sqlp_peek(p, 1);
        if (tok_is_kw(n, SQL_KW_BETWEEN) || tok_is_kw(n, SQL_KW_IN) || tok_is_kw(n, SQL_KW_LIKE) ||
            tok_is_kw(n, SQL_KW_ILIKE) || tok_is_kw(n, SQL_KW_SIMILAR))
            return PREC_IN;
        return PREC_NONE;
    }
    case SQL_KW_OPERATOR:
        return sqlp_peek_is_char(p, 1, '(') ? PREC_OP : PREC_NONE;
    case SQL_KW_AT:
        return sqlp_peek_is_kw(p, 1, SQL_KW_TIME) ? PREC_AT : PREC_NONE;
    case SQL_KW_COLLATE:
        return PREC_COLLATE;
    case SQL_KW_OVERLAPS:
        return PREC_CMP; /* row OVERLAPS row: refused in expr_infix */
    default:
        return PREC_NONE;
    }
}

/* ---- Queries, forward ---- */

static int select_full(struct sql_parser *p, struct sql_with *with, struct sql_select **out);
static int select_setops(struct sql_parser *p, int min, struct sql_select *left,
                         struct sql_select **out);
static int select_tail(struct sql_parser *p, struct sql_select *s);
static int window_spec(struct sql_parser *p, struct sql_window **out);
static int expr_prec(struct sql_parser *p, int min, struct sql_expr **out);
static int expr_primary(struct sql_parser *p, struct sql_expr **out);

/* SELECT, VALUES, TABLE or WITH: a query starts here (after a '('). */
static bool tok_starts_query(const struct sql_token *t)
{
    return tok_is_kw(t, SQL_KW_SELECT) || tok_is_kw(t, SQL_KW_VALUES) ||
           tok_is_kw(t, SQL_KW_WITH) || tok_is_kw(t, SQL_KW_TABLE);
}

/* After a parenthesized query in expression position: the query goes on. */
static bool query_continues(const struct sql_parser *p)
{
    static const enum sql_kw kws[] = {SQL_KW_UNION, SQL_KW_INTERSECT, SQL_KW_EXCEPT,
                                      SQL_KW_ORDER, SQL_KW_LIMIT,     SQL_KW_OFFSET,
                                      SQL_KW_FETCH, SQL_KW_FOR};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (sqlp_is_kw(p, kws[i]))
            return true;
    return false;
}

/* A sublink that is exactly a parenthesized query, (SELECT ...), nothing applied to it. */
static bool is_bare_subquery(const struct sql_expr *e)
{
    return e->kind == SQL_E_SUBLINK && e->sublink.kind == SQL_SUBLINK_EXPR;
}

/* ((SELECT 1) UNION SELECT 2): what looked like an expression was the first operand of a query. */
static int continue_query(struct sql_parser *p, struct sql_select *left, struct sql_select **out)
{
    TRY(sqlp_enter(p));
    TRY(select_setops(p, 0, left, out));
    TRY(select_tail(p, *out));
    sqlp_leave(p);
    return 0;
}

/* '(' query ')' at the current '('. */
static int select_with_parens(struct sql_parser *p, struct sql_select **out)
{
    TRY(sqlp_expect_char(p, '('));
    TRY(select_full(p, NULL, out));
    return sqlp_expect_char(p, ')');
}

static int sublink_expr(struct sql_parser *p, enum sql_sublink_kind kind, int loc,
                        struct sql_select *q, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_SUBLINK, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->sublink.kind = kind;
    e->sublink.subquery = q;
    *out = e;
    return 0;
}

/* '(' query ')' or '(' a_expr ')' at the current '(' (ANY/ALL's operand): one of *q, *e set. */
static int paren_query_or_expr(struct sql_parser *p, struct sql_select **q, struct sql_expr **e)
{
    *q = NULL;
    *e = NULL;
    if (tok_starts_query(sqlp_peek(p, 1)))
        return select_with_parens(p, q);
    TRY(sqlp_expect_char(p, '('));
    TRY(sqlp_expr(p, e));
    if (is_bare_subquery(*e)) {
        *q = (*e)->sublink.subquery;
        *e = NULL;
        if (query_continues(p))
            TRY(continue_query(p, *q, q));
    }
    return sqlp_expect_char(p, ')');
}

/* ---- Expressions: infix ---- */

static int quantified(struct sql_parser *p, const struct opinfo *o, struct sql_expr **left)
{
    struct sql_expr *e = new_expr(p, SQL_E_QUANTIFIED, o->loc);
    if (e == NULL)
        return alloc_failed(p);
    e->quant.op = o->op;
    e->quant.op_name = o->name;
    e->quant.all = sqlp_is_kw(p, SQL_KW_ALL);
    e->quant.left = *left;
    TRY(sqlp_advance(p));
    TRY(paren_query_or_expr(p, &e->quant.subquery, &e->quant.array));
    *left = e;
    return 0;
}

static bool at_quantifier(struct sql_parser *p)
{
    return (sqlp_is_kw(p, SQL_KW_ANY) || sqlp_is_kw(p, SQL_KW_SOME) ||
            sqlp_is_kw(p, SQL_KW_ALL)) &&
           sqlp_peek_is_char(p, 1, '(');
}

static int binary_expr(struct sql_parser *p, int prec, struct sql_expr **left)
{
    struct opinfo o;
    TRY(read_operator(p, &o));
    if (at_quantifier(p))
        return quantified(p, &o, left);
    struct sql_expr *e = new_expr(p, SQL_E_BINARY, o.loc);
    if (e == NULL)
        return alloc_failed(p);
    e->binary.op = o.op;
    e->binary.op_name = o.name;
    e->binary.op_schema = o.schema;
    e->binary.left = *left;
    TRY(expr_prec(p, prec + 1, &e->binary.right));
    *left = e;
    return 0;
}

/* a OR b OR c as one n-ary node (PostgreSQL's makeOrExpr flattens the same way). */
static int bool_chain(struct sql_parser *p, int prec, struct sql_expr **left)
{
    enum sql_kw kw = prec == PREC_OR ? SQL_KW_OR : SQL_KW_AND;
    struct sql_expr *e = new_expr(p, prec == PREC_OR ? SQL_E_OR : SQL_E_AND, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    struct sqlp_vec v = {0};
    TRY(push_expr(p, &v, *left));
    while (sqlp_is_kw(p, kw)) {
        struct sql_expr *r = NULL;
        TRY(sqlp_advance(p));
        TRY(expr_prec(p, prec + 1, &r));
        TRY(push_expr(p, &v, r));
    }
    e->list.n = v.n;
    e->list.v = v.v;
    *left = e;
    return 0;
}

/* IS [NOT] [NFC | NFD | NFKC | NFKD] NORMALIZED and IS [NOT] DOCUMENT: PostgreSQL's, not ours. */
static bool is_unsupported_test(const struct sql_parser *p)
{
    static const char *const words[] = {"normalized", "document", "nfc", "nfd", "nfkc", "nfkd"};
    if (p->tok.kind != SQL_TOK_IDENT || p->tok.quoted)
        return false;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(p->tok.str, words[i]) == 0)
            return true;
    return false;
}

static int is_expr(struct sql_parser *p, struct sql_expr **left)
{
    int loc = p->tok.loc;
    enum sql_is_test test;
    if (sqlp_is_kw(p, SQL_KW_ISNULL) || sqlp_is_kw(p, SQL_KW_NOTNULL)) {
        test = sqlp_is_kw(p, SQL_KW_ISNULL) ? SQL_IS_NULL : SQL_IS_NOT_NULL;
        TRY(sqlp_advance(p));
    } else {
        bool not;
        TRY(sqlp_advance(p));
        TRY(sqlp_accept_kw(p, SQL_KW_NOT, &not));
        if (sqlp_is_kw(p, SQL_KW_DISTINCT)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expect_kw(p, SQL_KW_FROM));
            struct sql_expr *e = new_expr(p, SQL_E_BINARY, loc);
            if (e == NULL)
                return alloc_failed(p);
            e->binary.op = not ? SQL_OP_NOT_DISTINCT : SQL_OP_DISTINCT;
            e->binary.op_name = not ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM";
            e->binary.left = *left;
            TRY(expr_prec(p, PREC_IS + 1, &e->binary.right));
            *left = e;
            return 0;
        }
        if (sqlp_is_kw(p, SQL_KW_NULL))
            test = not ? SQL_IS_NOT_NULL : SQL_IS_NULL;
        else if (sqlp_is_kw(p, SQL_KW_TRUE))
            test = not ? SQL_IS_NOT_TRUE : SQL_IS_TRUE;
        else if (sqlp_is_kw(p, SQL_KW_FALSE))
            test = not ? SQL_IS_NOT_FALSE : SQL_IS_FALSE;
        else if (sqlp_is_kw(p, SQL_KW_UNKNOWN))
            test = not ? SQL_IS_NOT_UNKNOWN : SQL_IS_UNKNOWN;
        else if (is_unsupported_test(p))
            return feature_error(p, loc, "IS NORMALIZED / IS DOCUMENT");
        else
            return sqlp_syntax_error(p);
        TRY(sqlp_advance(p));
    }
    struct sql_expr *e = new_expr(p, SQL_E_IS, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->is.test = test;
    e->is.arg = *left;
    *left = e;
    return 0;
}

static int in_expr(struct sql_parser *p, bool negated, int loc, struct sql_expr **left)
{
    struct sql_expr *e = new_expr(p, SQL_E_IN, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->in.negated = negated;
    e->in.arg = *left;
    *left = e;
    if (!sqlp_is_char(p, '('))
        return sqlp_syntax_error(p);
    if (tok_starts_query(sqlp_peek(p, 1)))
        return select_with_parens(p, &e->in.subquery);
    TRY(sqlp_advance(p));
    TRY(sqlp_expr_list(p, &e->in.list));
    /* x IN ((SELECT ...)) is the subquery form in PostgreSQL too. */
    if (e->in.list.n == 1 && is_bare_subquery(e->in.list.v[0])) {
        e->in.subquery = e->in.list.v[0]->sublink.subquery;
        e->in.list.n = 0;
        e->in.list.v = NULL;
        if (query_continues(p))
            TRY(continue_query(p, e->in.subquery, &e->in.subquery));
    }
    return sqlp_expect_char(p, ')');
}

/* [NOT] BETWEEN / IN / LIKE / ILIKE / SIMILAR TO. */
static int in_like_between(struct sql_parser *p, struct sql_expr **left)
{
    bool negated;
    TRY(sqlp_accept_kw(p, SQL_KW_NOT, &negated));
    int loc = p->tok.loc;
    enum sql_kw kw = p->tok.kw;
    TRY(sqlp_advance(p));
    if (kw == SQL_KW_IN)
        return in_expr(p, negated, loc, left);
    if (kw == SQL_KW_BETWEEN) {
        struct sql_expr *e = new_expr(p, SQL_E_BETWEEN, loc);
        if (e == NULL)
            return alloc_failed(p);
        e->between.negated = negated;
        e->between.arg = *left;
        TRY(sqlp_accept_kw(p, SQL_KW_SYMMETRIC, &e->between.symmetric));
        if (!e->between.symmetric)
            TRY(sqlp_accept_kw(p, SQL_KW_ASYMMETRIC, NULL));
        /* The low bound is a b_expr: it cannot contain AND (or IS, LIKE...). */
        TRY(expr_prec(p, PREC_IN + 1, &e->between.low));
        TRY(sqlp_expect_kw(p, SQL_KW_AND));
        TRY(expr_prec(p, PREC_IN + 1, &e->between.high));
        *left = e;
        return 0;
    }
    enum sql_like_kind lk = kw == SQL_KW_LIKE ? SQL_LIKE : kw == SQL_KW_ILIKE ? SQL_ILIKE : SQL_SIMILAR;
    if (lk == SQL_SIMILAR)
        TRY(sqlp_expect_kw(p, SQL_KW_TO));
    else if (at_quantifier(p)) {
        /* x [NOT] LIKE ANY (...): the operators ~~, !~~, ~~*, !~~* */
        static const char *const names[2][2] = {{"~~", "!~~"}, {"~~*", "!~~*"}};
        struct opinfo o = {SQL_OP_OTHER, names[lk == SQL_ILIKE][negated], NULL, loc};
        return quantified(p, &o, left);
    }
    struct sql_expr *e = new_expr(p, SQL_E_LIKE, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->like.kind = lk;
    e->like.negated = negated;
    e->like.arg = *left;
    TRY(expr_prec(p, PREC_IN + 1, &e->like.pattern));
    if (sqlp_is_kw(p, SQL_KW_ESCAPE)) {
        TRY(sqlp_advance(p));
        TRY(expr_prec(p, PREC_IN + 1, &e->like.escape));
    }
    *left = e;
    return 0;
}

static int collate_expr(struct sql_parser *p, struct sql_expr **left)
{
    struct sql_expr *e = new_expr(p, SQL_E_COLLATE, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    e->collate.arg = *left;
    TRY(sqlp_qname(p, &e->collate.collation));
    *left = e;
    return 0;
}

static int typecast_expr(struct sql_parser *p, struct sql_expr **left)
{
    struct sql_expr *e = new_expr(p, SQL_E_CAST, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    e->cast.style = SQL_CAST_COLONS;
    e->cast.arg = *left;
    TRY(sqlp_type(p, &e->cast.type));
    *left = e;
    return 0;
}

static int at_time_zone(struct sql_parser *p, struct sql_expr **left)
{
    struct sql_expr *e = new_expr(p, SQL_E_BINARY, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p)); /* AT */
    TRY(sqlp_expect_kw(p, SQL_KW_TIME));
    TRY(sqlp_expect_kw(p, SQL_KW_ZONE));
    e->binary.op = SQL_OP_AT_TIME_ZONE;
    e->binary.op_name = "AT TIME ZONE";
    e->binary.left = *left;
    TRY(expr_prec(p, PREC_AT + 1, &e->binary.right));
    *left = e;
    return 0;
}

static int expr_infix(struct sql_parser *p, int prec, struct sql_expr **left)
{
    switch (prec) {
    case PREC_OR:
    case PREC_AND:
        return bool_chain(p, prec, left);
    case PREC_IS:
        return is_expr(p, left);
    case PREC_IN:
        return in_like_between(p, left);
    case PREC_AT:
        return at_time_zone(p, left);
    case PREC_COLLATE:
        return collate_expr(p, left);
    case PREC_TYPECAST:
        return typecast_expr(p, left);
    case PREC_CMP:
        if (sqlp_is_kw(p, SQL_KW_OVERLAPS))
            return feature_error(p, p->tok.loc, "OVERLAPS");
        return binary_expr(p, prec, left);
    default:
        return binary_expr(p, prec, left);
    }
}

/* ---- Expressions: prefix operators and the climb ---- */

static int expr_prefix(struct sql_parser *p, struct sql_expr **out)
{
    int loc = p->tok.loc;
    if (sqlp_is_kw(p, SQL_KW_NOT)) {
        struct sql_expr *e = new_expr(p, SQL_E_NOT, loc);
        if (e == NULL)
            return alloc_failed(p);
        TRY(sqlp_advance(p));
        TRY(expr_prec(p, PREC_NOT, &e->unary.arg));
        *out = e;
        return 0;
    }
    bool sign = sqlp_is_char(p, '-') || sqlp_is_char(p, '+');
    bool op = p->tok.kind == SQL_TOK_OP ||
              (sqlp_is_kw(p, SQL_KW_OPERATOR) && sqlp_peek_is_char(p, 1, '('));
    if (!sign && !op)
        return expr_primary(p, out);
    struct opinfo o;
    TRY(read_operator(p, &o));
    if (o.schema != NULL && strcmp(o.schema, "pg_catalog") != 0)
        return feature_error(p, loc, "a prefix operator outside pg_catalog");
    struct sql_expr *arg = NULL;
    /* Unary minus binds tighter than everything but [] and ::; a prefix Op has Op's (left)
     * precedence, so ~ a + b is ~(a + b) and @ a || b is (@ a) || b. */
    TRY(expr_prec(p, sign ? PREC_UMINUS : PREC_OP + 1, &arg));
    if (o.op == SQL_OP_SUB && arg->kind == SQL_E_CONST &&
        (arg->konst.kind == SQL_CONST_INT || arg->konst.kind == SQL_CONST_NUMERIC)) {
        TRY(negate_const(p, arg, loc));
        *out = arg;
        return 0;
    }
    struct sql_expr *e = new_expr(p, SQL_E_UNARY, loc);
    if (e == NULL)
        return alloc_failed(p);
    e->unary.op = o.op == SQL_OP_SUB   ? SQL_OP_NEG
                  : o.op == SQL_OP_ADD ? SQL_OP_PLUS
                  : o.op == SQL_OP_REGEX ? SQL_OP_BITNOT
                                         : SQL_OP_OTHER;
    e->unary.op_name = o.name;
    e->unary.arg = arg;
    *out = e;
    return 0;
}

/* Precedence climbing: operators binding at least as tight as min. Every link of a chain counts
 * one level of nesting, because the tree it builds is that deep. */
static int expr_prec(struct sql_parser *p, int min, struct sql_expr **out)
{
    TRY(sqlp_enter(p));
    int levels = 1;
    struct sql_expr *left = NULL;
    TRY(expr_prefix(p, &left));
    for (;;) {
        int prec = infix_prec(p);
        if (prec == PREC_NONE || prec < min)
            break;
        TRY(sqlp_enter(p));
        levels++;
        TRY(expr_infix(p, prec, &left));
        /* IS, comparisons and BETWEEN/IN/LIKE do not associate: a < b < c is an error. */
        if ((prec == PREC_IS || prec == PREC_CMP || prec == PREC_IN) && infix_prec(p) == prec)
            return sqlp_syntax_error(p);
    }
    while (levels-- > 0)
        sqlp_leave(p);
    *out = left;
    return 0;
}

int sqlp_expr(struct sql_parser *p, struct sql_expr **out)
{
    return expr_prec(p, PREC_OR, out);
}

static int expr_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_expr *e = NULL;
    TRY(sqlp_expr(p, &e));
    return push_expr(p, v, e);
}

/* ", expr" as often as written: the rest of a list whose first item is in v. */
static int more_exprs(struct sql_parser *p, struct sqlp_vec *v)
{
    while (sqlp_is_char(p, ',')) {
        TRY(sqlp_advance(p));
        TRY(expr_item(p, v));
    }
    return 0;
}

int sqlp_expr_list(struct sql_parser *p, struct sql_exprs *out)
{
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, expr_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

/* ORDER BY sort_list at the current ORDER. */
static int order_by_clause(struct sql_parser *p, struct sql_sorts *out)
{
    TRY(sqlp_expect_kw(p, SQL_KW_ORDER));
    TRY(sqlp_expect_kw(p, SQL_KW_BY));
    return sqlp_sort_list(p, out);
}

/* ---- Expressions: primaries ---- */

/* x[i], x[i:j], x[:j], x[i:], x[:] after *e, for as many as are written. */
static int subscripts(struct sql_parser *p, struct sql_expr **e, int *levels)
{
    while (sqlp_is_char(p, '[')) {
        TRY(sqlp_enter(p));
        (*levels)++;
        struct sql_expr *s = new_expr(p, SQL_E_SUBSCRIPT, p->tok.loc);
        if (s == NULL)
            return alloc_failed(p);
        s->subscript.arg = *e;
        TRY(sqlp_advance(p));
        if (!sqlp_is_char(p, ':'))
            TRY(sqlp_expr(p, &s->subscript.lower));
        if (sqlp_is_char(p, ':')) {
            s->subscript.slice = true;
            TRY(sqlp_advance(p));
            if (!sqlp_is_char(p, ']'))
                TRY(sqlp_expr(p, &s->subscript.upper));
        }
        TRY(sqlp_expect_char(p, ']'));
        *e = s;
    }
    if (sqlp_is_char(p, '.'))
        return feature_error(p, p->tok.loc, "field selection from a composite value");
    return 0;
}

/* opt_indirection after a parameter, a parenthesized expression or a subquery. */
static int indirection(struct sql_parser *p, struct sql_expr **e)
{
    int levels = 0;
    TRY(subscripts(p, e, &levels));
    while (levels-- > 0)
        sqlp_leave(p);
    return 0;
}

static int paren_expr(struct sql_parser *p, struct sql_expr **out)
{
    int loc = p->tok.loc;
    if (tok_starts_query(sqlp_peek(p, 1))) {
        struct sql_select *q = NULL;
        TRY(select_with_parens(p, &q));
        TRY(sublink_expr(p, SQL_SUBLINK_EXPR, loc, q, out));
        return indirection(p, out);
    }
    TRY(sqlp_advance(p));
    struct sql_expr *e = NULL;
    TRY(sqlp_expr(p, &e));
    if (is_bare_subquery(e) && query_continues(p)) {
        struct sql_select *q = NULL;
        TRY(continue_query(p, e->sublink.subquery, &q));
        TRY(sublink_expr(p, SQL_SUBLINK_EXPR, loc, q, &e));
    } else if (sqlp_is_char(p, ',')) {
        /* (a, b): an implicit ROW. */
        struct sql_expr *row = new_expr(p, SQL_E_ROW, loc);
        if (row == NULL)
            return alloc_failed(p);
        struct sqlp_vec v = {0};
        TRY(push_expr(p, &v, e));
        TRY(more_exprs(p, &v));
        row->list.n = v.n;
        row->list.v = v.v;
        e = row;
    }
    TRY(sqlp_expect_char(p, ')'));
    *out = e;
    return indirection(p, out);
}

static int case_expr(struct sql_parser *p, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_CASE, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    if (!sqlp_is_kw(p, SQL_KW_WHEN))
        TRY(sqlp_expr(p, &e->kase.arg));
    struct sqlp_vec v = {0};
    if (!sqlp_is_kw(p, SQL_KW_WHEN))
        return sqlp_syntax_error(p);
    while (sqlp_is_kw(p, SQL_KW_WHEN)) {
        struct sql_when *w = sqlp_push(p, &v, sizeof *w);
        if (w == NULL)
            return alloc_failed(p);
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &w->cond));
        TRY(sqlp_expect_kw(p, SQL_KW_THEN));
        TRY(sqlp_expr(p, &w->result));
    }
    e->kase.nwhens = v.n;
    e->kase.whens = v.v;
    if (sqlp_is_kw(p, SQL_KW_ELSE)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &e->kase.else_result));
    }
    TRY(sqlp_expect_kw(p, SQL_KW_END));
    *out = e;
    return 0;
}

static int cast_func(struct sql_parser *p, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_CAST, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    e->cast.style = SQL_CAST_FUNC;
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_char(p, '('));
    TRY(sqlp_expr(p, &e->cast.arg));
    TRY(sqlp_expect_kw(p, SQL_KW_AS));
    TRY(sqlp_type(p, &e->cast.type));
    TRY(sqlp_expect_char(p, ')'));
    *out = e;
    return 0;
}

static int array_body(struct sql_parser *p, int loc, struct sql_expr **out);

static int array_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_expr *sub = NULL;
    TRY(array_body(p, p->tok.loc, &sub));
    return push_expr(p, v, sub);
}

/* '[' elements ']' after ARRAY, or nested inside one: [[1, 2], [3, 4]]. */
static int array_body(struct sql_parser *p, int loc, struct sql_expr **out)
{
    TRY(sqlp_enter(p));
    struct sql_expr *e = new_expr(p, SQL_E_ARRAY, loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_expect_char(p, '['));
    if (sqlp_is_char(p, '[')) {
        struct sqlp_vec v = {0};
        TRY(comma_list(p, &v, array_item));
        e->list.n = v.n;
        e->list.v = v.v;
    } else if (!sqlp_is_char(p, ']')) {
        TRY(sqlp_expr_list(p, &e->list));
    }
    TRY(sqlp_expect_char(p, ']'));
    sqlp_leave(p);
    *out = e;
    return 0;
}

static int array_expr(struct sql_parser *p, struct sql_expr **out)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p));
    if (sqlp_is_char(p, '(')) {
        struct sql_select *q = NULL;
        TRY(select_with_parens(p, &q));
        return sublink_expr(p, SQL_SUBLINK_ARRAY, loc, q, out);
    }
    if (!sqlp_is_char(p, '['))
        return sqlp_syntax_error(p);
    return array_body(p, loc, out);
}

static int row_expr(struct sql_parser *p, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_ROW, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_char(p, '('));
    if (!sqlp_is_char(p, ')'))
        TRY(sqlp_expr_list(p, &e->list));
    TRY(sqlp_expect_char(p, ')'));
    *out = e;
    return 0;
}

static int svf_expr(struct sql_parser *p, enum sql_svf kind, bool has_precision,
                    struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_SVF, p->tok.loc);
    if (e == NULL)
        return alloc_failed(p);
    e->svf.kind = kind;
    e->svf.precision = -1;
    TRY(sqlp_advance(p));
    if (has_precision && sqlp_is_char(p, '(')) {
        int32_t v = 0;
        TRY(paren_int(p, &v));
        e->svf.precision = v > SQLP_TIME_PRECISION_MAX ? SQLP_TIME_PRECISION_MAX : v;
    }
    *out = e;
    return 0;
}

/* The current STRING is the literal of a typed literal of type *t (DATE '...'). */
static int typed_literal(struct sql_parser *p, const struct sql_type *t, struct sql_expr **out)
{
    if (p->tok.kind != SQL_TOK_STRING)
        return sqlp_syntax_error(p);
    struct sql_expr *e = new_expr(p, SQL_E_CAST, t->loc);
    if (e == NULL)
        return alloc_failed(p);
    e->cast.style = SQL_CAST_LITERAL;
    e->cast.type = *t;
    TRY(string_const(p, p->tok.str, p->tok.len, p->tok.loc, &e->cast.arg));
    TRY(sqlp_advance(p));
    /* INTERVAL '1' DAY: the fields come after the string (not after INTERVAL(p) '...'). */
    if (t->kind == SQL_TYPE_INTERVAL && t->mod1 < 0 && t->interval_fields == NULL && t->schema == NULL)
        TRY(interval_fields(p, &e->cast.type));
    *out = e;
    return 0;
}

/* A keyword type name that starts a typed literal here (TIMESTAMP(3) '...', DOUBLE PRECISION
 * '1', CHARACTER VARYING 'x') rather than naming a column (time, interval...). */
static bool keyword_literal_ahead(struct sql_parser *p)
{
    enum sql_kw kw = p->tok.kw;
    switch (kw) {
    case SQL_KW_DOUBLE:
        return sqlp_peek_is_kw(p, 1, SQL_KW_PRECISION);
    case SQL_KW_INT:
    case SQL_KW_INTEGER:
    case SQL_KW_SMALLINT:
    case SQL_KW_BIGINT:
    case SQL_KW_REAL:
    case SQL_KW_FLOAT:
    case SQL_KW_DECIMAL:
    case SQL_KW_DEC:
    case SQL_KW_NUMERIC:
    case SQL_KW_BOOLEAN:
    case SQL_KW_BIT:
    case SQL_KW_CHAR:
    case SQL_KW_CHARACTER:
    case SQL_KW_VARCHAR:
    case SQL_KW_NCHAR:
    case SQL_KW_NATIONAL:
    case SQL_KW_TIME:
    case SQL_KW_TIMESTAMP:
    case SQL_KW_INTERVAL:
        break;
    default:
        return false;
    }
    const struct sql_token *n = sqlp_peek(p, 1);
    if (n == NULL)
        return false;
    if (n->kind == SQL_TOK_STRING || n->kind == '(')
        return true;
    if (tok_is_kw(n, SQL_KW_VARYING))
        return kw == SQL_KW_CHAR || kw == SQL_KW_CHARACTER || kw == SQL_KW_BIT || kw == SQL_KW_NCHAR;
    if (tok_is_kw(n, SQL_KW_CHAR) || tok_is_kw(n, SQL_KW_CHARACTER))
        return kw == SQL_KW_NATIONAL;
    if (tok_is_kw(n, SQL_KW_WITH) || tok_is_kw(n, SQL_KW_WITHOUT))
        return (kw == SQL_KW_TIME || kw == SQL_KW_TIMESTAMP) && sqlp_peek_is_kw(p, 2, SQL_KW_TIME);
    return false;
}

/* name(args) [WITHIN GROUP (...)] [FILTER (WHERE ...)] [OVER ...] at the current '('. */
static int func_call(struct sql_parser *p, const struct dotted *d, struct sql_expr **out)
{
    struct sql_expr *e = new_expr(p, SQL_E_FUNC, d->loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(qname_from_dotted(p, d, &e->func.name));
    e->func.form = SQL_FUNC_PLAIN;
    TRY(sqlp_expect_char(p, '('));
    if (sqlp_is_char(p, '*')) {
        e->func.star = true;
        TRY(sqlp_advance(p));
    } else if (!sqlp_is_char(p, ')')) {
        if (sqlp_is_kw(p, SQL_KW_DISTINCT)) {
            e->func.distinct = true;
            TRY(sqlp_advance(p));
        } else {
            TRY(sqlp_accept_kw(p, SQL_KW_ALL, NULL));
        }
        struct sqlp_vec v = {0};
        for (;;) {
            if (p->tok.kind == SQL_TOK_IDENT) {
                const struct sql_token *n = sqlp_peek(p, 1);
                if (n != NULL && (n->kind == SQL_TOK_COLON_EQUALS ||
                                  n->kind == SQL_TOK_EQUALS_GREATER))
                    return feature_error(p, p->tok.loc, "a named function argument");
            }
            bool variadic;
            TRY(sqlp_accept_kw(p, SQL_KW_VARIADIC, &variadic));
            struct sql_expr *a = NULL;
            TRY(sqlp_expr(p, &a));
            TRY(push_expr(p, &v, a));
            if (variadic) {
                e->func.variadic = true;
                break; /* VARIADIC is the last argument */
            }
            if (!sqlp_is_char(p, ','))
                break;
            TRY(sqlp_advance(p));
        }
        e->func.args.n = v.n;
        e->func.args.v = v.v;
        if (sqlp_is_kw(p, SQL_KW_ORDER))
            TRY(order_by_clause(p, &e->func.agg_order));
    }
    TRY(sqlp_expect_char(p, ')'));
    if (sqlp_is_kw(p, SQL_KW_WITHIN) && sqlp_peek_is_kw(p, 1, SQL_KW_GROUP)) {
        int loc = p->tok.loc;
        if (e->func.agg_order.n > 0)
            return sqlp_error(p, ERR_MALFORMED, "42601", loc,
                              "cannot use multiple ORDER BY clauses with WITHIN GROUP");
        if (e->func.distinct)
            return sqlp_error(p, ERR_MALFORMED, "42601", loc,
                              "cannot use DISTINCT with WITHIN GROUP");
        if (e->func.variadic)
            return sqlp_error(p, ERR_MALFORMED, "42601", loc,
                              "cannot use VARIADIC with WITHIN GROUP");
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_char(p, '('));
        TRY(order_by_clause(p, &e->func.agg_order));
        TRY(sqlp_expect_char(p, ')'));
        e->func.within_group = true;
    }
    if (sqlp_is_kw(p, SQL_KW_FILTER) && sqlp_peek_is_char(p, 1, '(')) {
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_WHERE));
        TRY(sqlp_expr(p, &e->func.filter));
        TRY(sqlp_expect_char(p, ')'));
    }
    if (sqlp_is_kw(p, SQL_KW_OVER)) {
        TRY(sqlp_advance(p));
        if (sqlp_is_char(p, '(')) {
            TRY(window_spec(p, &e->func.over));
        } else {
            struct sql_window *w = sqlp_alloc(p, sizeof *w);
            if (w == NULL)
                return alloc_failed(p);
            w->loc = p->tok.loc;
            TRY(sqlp_colid(p, &w->ref));
            e->func.over = w;
        }
    }
    *out = e;
    return 0;
}

static struct sql_expr *new_func(struct sql_parser *p, const char *name, enum sql_func_form form,
                                 int loc)
{
    struct sql_expr *e = new_expr(p, SQL_E_FUNC, loc);
    if (e != NULL) {
        e->func.name.name = name;
        e->func.name.loc = loc;
        e->func.form = form;
    }
    return e;
}

/* EXTRACT(field FROM x) → extract('field', x). */
static int extract_args(struct sql_parser *p, struct sqlp_vec *v)
{
    const struct sql_token *t = &p->tok;
    bool ok = t->kind == SQL_TOK_STRING ||
              (t->kind == SQL_TOK_IDENT &&
               (t->kw == SQL_KW_NONE || t->kw == SQL_KW_YEAR || t->kw == SQL_KW_MONTH ||
                t->kw == SQL_KW_DAY || t->kw == SQL_KW_HOUR || t->kw == SQL_KW_MINUTE ||
                t->kw == SQL_KW_SECOND));
    if (!ok)
        return sqlp_syntax_error(p);
    struct sql_expr *field = NULL, *x = NULL;
    TRY(string_const(p, t->str, strlen(t->str), t->loc, &field));
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_kw(p, SQL_KW_FROM));
    TRY(sqlp_expr(p, &x));
    TRY(push_expr(p, v, field));
    return push_expr(p, v, x);
}

/* SUBSTRING(x FROM a [FOR b]), (x FOR b [FROM a]), (x SIMILAR p ESCAPE e), or a plain list. */
static int substring_args(struct sql_parser *p, struct sql_expr *e, struct sqlp_vec *v)
{
    struct sql_expr *x = NULL, *a = NULL, *b = NULL;
    TRY(sqlp_expr(p, &x));
    TRY(push_expr(p, v, x));
    if (sqlp_is_kw(p, SQL_KW_SIMILAR)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &a));
        TRY(sqlp_expect_kw(p, SQL_KW_ESCAPE));
        TRY(sqlp_expr(p, &b));
        TRY(push_expr(p, v, a));
        return push_expr(p, v, b);
    }
    if (!sqlp_is_kw(p, SQL_KW_FROM) && !sqlp_is_kw(p, SQL_KW_FOR)) {
        e->func.form = SQL_FUNC_PLAIN;
        return more_exprs(p, v);
    }
    for (int i = 0; i < 2; i++) {
        if (a == NULL && sqlp_is_kw(p, SQL_KW_FROM)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expr(p, &a));
        } else if (b == NULL && sqlp_is_kw(p, SQL_KW_FOR)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expr(p, &b));
        }
    }
    if (a == NULL) /* substring(x FOR b) is substring(x, 1, b) */
        TRY(int_const(p, 1, "1", -1, &a));
    TRY(push_expr(p, v, a));
    return b != NULL ? push_expr(p, v, b) : 0;
}

/* TRIM([BOTH | LEADING | TRAILING] [c] FROM x) → btrim/ltrim/rtrim(x, c). */
static int trim_args(struct sql_parser *p, struct sql_expr *e, struct sqlp_vec *v)
{
    e->func.name.name = "btrim";
    if (sqlp_is_kw(p, SQL_KW_LEADING))
        e->func.name.name = "ltrim";
    else if (sqlp_is_kw(p, SQL_KW_TRAILING))
        e->func.name.name = "rtrim";
    if (sqlp_is_kw(p, SQL_KW_BOTH) || sqlp_is_kw(p, SQL_KW_LEADING) ||
        sqlp_is_kw(p, SQL_KW_TRAILING))
        TRY(sqlp_advance(p));
    struct sql_exprs list;
    struct sql_expr *first = NULL;
    if (sqlp_is_kw(p, SQL_KW_FROM)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr_list(p, &list));
    } else {
        TRY(sqlp_expr(p, &first));
        if (sqlp_is_kw(p, SQL_KW_FROM)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expr_list(p, &list));
        } else {
            TRY(push_expr(p, v, first));
            first = NULL;
            list.n = 0;
            TRY(more_exprs(p, v));
        }
    }
    for (uint32_t i = 0; i < list.n; i++)
        TRY(push_expr(p, v, list.v[i]));
    return first != NULL ? push_expr(p, v, first) : 0;
}

/* OVERLAY(a PLACING b FROM c [FOR d]) or a plain list. */
static int overlay_args(struct sql_parser *p, struct sql_expr *e, struct sqlp_vec *v)
{
    struct sql_expr *a = NULL;
    TRY(sqlp_expr(p, &a));
    TRY(push_expr(p, v, a));
    if (!sqlp_is_kw(p, SQL_KW_PLACING)) {
        e->func.form = SQL_FUNC_PLAIN;
        return more_exprs(p, v);
    }
    static const enum sql_kw kws[3] = {SQL_KW_PLACING, SQL_KW_FROM, SQL_KW_FOR};
    for (int i = 0; i < 3; i++) {
        if (i == 2 && !sqlp_is_kw(p, SQL_KW_FOR))
            break;
        TRY(sqlp_expect_kw(p, kws[i]));
        TRY(sqlp_expr(p, &a));
        TRY(push_expr(p, v, a));
    }
    return 0;
}

/* EXTRACT, POSITION, SUBSTRING, TRIM, OVERLAY, COALESCE, NULLIF, GREATEST, LEAST: keyword
 * functions with their own syntax; the current token is the keyword, a '(' follows. */
static int special_func(struct sql_parser *p, struct sql_expr **out)
{
    enum sql_kw kw = p->tok.kw;
    int loc = p->tok.loc;
    static const struct {
        enum sql_kw kw;
        const char *name;
        enum sql_func_form form;
    } forms[] = {
        {SQL_KW_EXTRACT, "extract", SQL_FUNC_EXTRACT},
        {SQL_KW_POSITION, "position", SQL_FUNC_POSITION},
        {SQL_KW_SUBSTRING, "substring", SQL_FUNC_SUBSTRING},
        {SQL_KW_TRIM, "btrim", SQL_FUNC_TRIM},
        {SQL_KW_OVERLAY, "overlay", SQL_FUNC_OVERLAY},
        {SQL_KW_COALESCE, "coalesce", SQL_FUNC_COALESCE},
        {SQL_KW_NULLIF, "nullif", SQL_FUNC_NULLIF},
        {SQL_KW_GREATEST, "greatest", SQL_FUNC_GREATEST},
        {SQL_KW_LEAST, "least", SQL_FUNC_LEAST},
    };
    size_t i = 0;
    while (forms[i].kw != kw) {
        i++;
        ASSERT(i < sizeof forms / sizeof forms[0]);
    }
    struct sql_expr *e = new_func(p, forms[i].name, forms[i].form, loc);
    if (e == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_char(p, '('));
    struct sqlp_vec v = {0};
    bool empty_ok = kw == SQL_KW_POSITION || kw == SQL_KW_SUBSTRING || kw == SQL_KW_OVERLAY;
    if (sqlp_is_char(p, ')') && empty_ok) {
        e->func.form = SQL_FUNC_PLAIN;
    } else if (kw == SQL_KW_EXTRACT) {
        TRY(extract_args(p, &v));
    } else if (kw == SQL_KW_POSITION) {
        /* POSITION(a IN b) → position(b, a); both are b_exprs, so IN ends the first. */
        struct sql_expr *a = NULL, *b = NULL;
        TRY(expr_prec(p, PREC_IN + 1, &a));
        TRY(sqlp_expect_kw(p, SQL_KW_IN));
        TRY(expr_prec(p, PREC_IN + 1, &b));
        TRY(push_expr(p, &v, b));
        TRY(push_expr(p, &v, a));
    } else if (kw == SQL_KW_SUBSTRING) {
        TRY(substring_args(p, e, &v));
    } else if (kw == SQL_KW_TRIM) {
        TRY(trim_args(p, e, &v));
    } else if (kw == SQL_KW_OVERLAY) {
        TRY(overlay_args(p, e, &v));
    } else if (kw == SQL_KW_NULLIF) {
        struct sql_expr *a = NULL;
        TRY(sqlp_expr(p, &a));
        TRY(push_expr(p, &v, a));
        TRY(sqlp_expect_char(p, ','));
        TRY(sqlp_expr(p, &a));
        TRY(push_expr(p, &v, a));
    } else {
        struct sql_exprs list;
        TRY(sqlp_expr_list(p, &list));
        e->func.args = list;
    }
    if (v.n > 0) {
        e->func.args.n = v.n;
        e->func.args.v = v.v;
    }
    TRY(sqlp_expect_char(p, ')'));
    *out = e;
    return 0;
}

/* A keyword that begins an expression of its own: constants, CASE, CAST, EXISTS, ARRAY, ROW,
 * DEFAULT, SQL value functions, special function syntax, keyword typed literals. *done is false
 * when the keyword is used as a name after all. */
static int keyword_expr(struct sql_parser *p, struct sql_expr **out, bool *done)
{
    enum sql_kw kw = p->tok.kw;
    int loc = p->tok.loc;
    bool paren = sqlp_peek_is_char(p, 1, '(');
    *done = true;
    switch (kw) {
    case SQL_KW_TRUE:
    case SQL_KW_FALSE:
    case SQL_KW_NULL: {
        struct sql_expr *e = new_expr(p, SQL_E_CONST, loc);
        if (e == NULL)
            return alloc_failed(p);
        e->konst.kind = kw == SQL_KW_NULL ? SQL_CONST_NULL : SQL_CONST_BOOL;
        e->konst.bval = kw == SQL_KW_TRUE;
        e->konst.text = kw == SQL_KW_NULL ? NULL : sql_keywords[kw].text;
        *out = e;
        return sqlp_advance(p);
    }
    case SQL_KW_DEFAULT:
        *out = new_expr(p, SQL_E_DEFAULT, loc);
        if (*out == NULL)
            return alloc_failed(p);
        return sqlp_advance(p);
    case SQL_KW_CASE:
        return case_expr(p, out);
    case SQL_KW_CAST:
        return cast_func(p, out);
    case SQL_KW_ARRAY:
        return array_expr(p, out);
    case SQL_KW_EXISTS:
        if (!paren)
            break;
        {
            struct sql_select *q = NULL;
            TRY(sqlp_advance(p));
            TRY(select_with_parens(p, &q));
            return sublink_expr(p, SQL_SUBLINK_EXISTS, loc, q, out);
        }
    case SQL_KW_ROW:
        if (!paren)
            break;
        return row_expr(p, out);
    case SQL_KW_CURRENT_DATE:
        return svf_expr(p, SQL_SVF_CURRENT_DATE, false, out);
    case SQL_KW_CURRENT_TIME:
        return svf_expr(p, SQL_SVF_CURRENT_TIME, true, out);
    case SQL_KW_CURRENT_TIMESTAMP:
        return svf_expr(p, SQL_SVF_CURRENT_TIMESTAMP, true, out);
    case SQL_KW_LOCALTIME:
        return svf_expr(p, SQL_SVF_LOCALTIME, true, out);
    case SQL_KW_LOCALTIMESTAMP:
        return svf_expr(p, SQL_SVF_LOCALTIMESTAMP, true, out);
    case SQL_KW_CURRENT_ROLE:
        return svf_expr(p, SQL_SVF_CURRENT_ROLE, false, out);
    case SQL_KW_CURRENT_USER:
        return svf_expr(p, SQL_SVF_CURRENT_USER, false, out);
    case SQL_KW_USER:
        return svf_expr(p, SQL_SVF_USER, false, out);
    case SQL_KW_SESSION_USER:
        return svf_expr(p, SQL_SVF_SESSION_USER, false, out);
    case SQL_KW_CURRENT_CATALOG:
        return svf_expr(p, SQL_SVF_CURRENT_CATALOG, false, out);
    case SQL_KW_CURRENT_SCHEMA:
        if (paren)
            break; /* current_schema() is an ordinary call */
        return svf_expr(p, SQL_SVF_CURRENT_SCHEMA, false, out);
    case SQL_KW_EXTRACT:
    case SQL_KW_POSITION:
    case SQL_KW_SUBSTRING:
    case SQL_KW_TRIM:
    case SQL_KW_OVERLAY:
    case SQL_KW_COALESCE:
    case SQL_KW_NULLIF:
    case SQL_KW_GREATEST:
    case SQL_KW_LEAST:
        if (!paren)
            break;
        return special_func(p, out);
    case SQL_KW_GROUPING:
        if (!paren)
            break;
        return feature_error(p, loc, "GROUPING");
    case SQL_KW_TREAT:
    case SQL_KW_NORMALIZE:
        if (!paren)
            break;
        return feature_error(p, loc, kw == SQL_KW_TREAT ? "TREAT" : "NORMALIZE");
    case SQL_KW_COLLATION:
        if (!sqlp_peek_is_kw(p, 1, SQL_KW_FOR))
            break;
        return feature_error(p, loc, "COLLATION FOR");
    default:
        if (!keyword_literal_ahead(p))
            break;
        {
            struct sql_type t;
            type_init(&t, loc);
            TRY(simple_type(p, &t, true));
            return typed_literal(p, &t, out);
        }
    }
    *done = false;
    return 0;
}

/* An identifier: a column reference, a function call, or a generic typed literal (date '...'). */
static int name_expr(struct sql_parser *p, struct sql_expr **out)
{
    enum sql_kw_cat cat = tok_cat(&p->tok);
    bool func_name = tok_is_func_name(&p->tok);
    const struct sql_token *n = sqlp_peek(p, 1);
    int next = n != NULL ? n->kind : SQLP_TOK_ERROR; /* an error surfaces when reached */
    if (cat == SQL_KWC_RESERVED)
        return sqlp_syntax_error(p);
    /* A type/function-name keyword is only a function or a type name, never a column. */
    if (cat == SQL_KWC_TYPE_FUNC && next != '(' && next != SQL_TOK_STRING)
        return sqlp_syntax_error(p);
    bool single_func = next == '(' && func_name;
    struct dotted d;
    TRY(read_dotted(p, &d, !single_func));
    if (sqlp_is_char(p, '(') && !d.star && (d.n == 1 ? single_func : true))
        return func_call(p, &d, out);
    if (p->tok.kind == SQL_TOK_STRING && !d.star && (d.n > 1 || func_name)) {
        struct sql_type ty;
        type_init(&ty, d.loc);
        TRY(named_type(p, &d, &ty));
        return typed_literal(p, &ty, out);
    }
    if (d.n > SQL_NAME_PARTS_MAX || (d.star && d.n > SQL_NAME_PARTS_MAX - 1))
        return dotted_error(p, &d, IMPROPER_NAME);
    struct sql_expr *e = new_expr(p, SQL_E_COLUMN, d.loc);
    if (e == NULL)
        return alloc_failed(p);
    e->column.nparts = (uint32_t)d.n;
    for (int i = 0; i < d.n; i++)
        e->column.parts[i] = d.parts[i];
    e->column.star = d.star;
    *out = e;
    return d.star ? 0 : indirection(p, out);
}

static int expr_primary(struct sql_parser *p, struct sql_expr **out)
{
    switch (p->tok.kind) {
    case SQL_TOK_INT:
    case SQL_TOK_NUMERIC:
    case SQL_TOK_STRING:
    case SQL_TOK_BITS:
        return const_expr(p, out);
    case SQL_TOK_PARAM: {
        struct sql_expr *e = new_expr(p, SQL_E_PARAM, p->tok.loc);
        if (e == NULL)
            return alloc_failed(p);
        ASSERT(p->tok.ival >= 1 && p->tok.ival <= SQL_PARAM_MAX);
        e->param.number = (int)p->tok.ival;
        if (e->param.number > p->param_max)
            p->param_max = e->param.number;
        *out = e;
        TRY(sqlp_advance(p));
        return indirection(p, out);
    }
    case '(':
        return paren_expr(p, out);
    case SQL_TOK_IDENT:
        if (p->tok.kw != SQL_KW_NONE) {
            bool done;
            TRY(keyword_expr(p, out, &done));
            if (done)
                return 0;
        }
        return name_expr(p, out);
    default:
        return sqlp_syntax_error(p);
    }
}

/* ---- Sorting and windows ---- */

/* expr [ASC | DESC | USING op] [NULLS FIRST | LAST] */
static int sort_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_sort *s = sqlp_push(p, v, sizeof *s);
    if (s == NULL)
        return alloc_failed(p);
    TRY(sqlp_expr(p, &s->expr));
    if (sqlp_is_kw(p, SQL_KW_ASC) || sqlp_is_kw(p, SQL_KW_DESC)) {
        s->dir = sqlp_is_kw(p, SQL_KW_ASC) ? SQL_SORT_ASC : SQL_SORT_DESC;
        TRY(sqlp_advance(p));
    } else if (sqlp_is_kw(p, SQL_KW_USING)) {
        TRY(sqlp_advance(p));
        struct opinfo o;
        int loc = p->tok.loc;
        TRY(read_operator(p, &o));
        if (o.op == SQL_OP_LT)
            s->dir = SQL_SORT_ASC;
        else if (o.op == SQL_OP_GT)
            s->dir = SQL_SORT_DESC;
        else
            return feature_error(p, loc, "ORDER BY USING with an operator other than < or >");
    }
    if (sqlp_is_kw(p, SQL_KW_NULLS) &&
        (sqlp_peek_is_kw(p, 1, SQL_KW_FIRST) || sqlp_peek_is_kw(p, 1, SQL_KW_LAST))) {
        TRY(sqlp_advance(p));
        s->nulls = sqlp_is_kw(p, SQL_KW_FIRST) ? SQL_NULLS_FIRST : SQL_NULLS_LAST;
        TRY(sqlp_advance(p));
    }
    return 0;
}

int sqlp_sort_list(struct sql_parser *p, struct sql_sorts *out)
{
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, sort_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

static int frame_bound(struct sql_parser *p, struct sql_frame_bound *b)
{
    if (sqlp_is_kw(p, SQL_KW_UNBOUNDED)) {
        TRY(sqlp_advance(p));
        if (sqlp_is_kw(p, SQL_KW_PRECEDING))
            b->kind = SQL_BOUND_UNBOUNDED_PRECEDING;
        else if (sqlp_is_kw(p, SQL_KW_FOLLOWING))
            b->kind = SQL_BOUND_UNBOUNDED_FOLLOWING;
        else
            return sqlp_syntax_error(p);
        return sqlp_advance(p);
    }
    if (sqlp_is_kw(p, SQL_KW_CURRENT) && sqlp_peek_is_kw(p, 1, SQL_KW_ROW)) {
        b->kind = SQL_BOUND_CURRENT_ROW;
        TRY(sqlp_advance(p));
        return sqlp_advance(p);
    }
    TRY(sqlp_expr(p, &b->offset));
    if (sqlp_is_kw(p, SQL_KW_PRECEDING))
        b->kind = SQL_BOUND_PRECEDING;
    else if (sqlp_is_kw(p, SQL_KW_FOLLOWING))
        b->kind = SQL_BOUND_FOLLOWING;
    else
        return sqlp_syntax_error(p);
    return sqlp_advance(p);
}

/* ROWS | RANGE | GROUPS frame_extent [EXCLUDE ...], with gram.y's checks of the bounds. */
static int frame_clause(struct sql_parser *p, struct sql_window *w)
{
    w->frame = sqlp_is_kw(p, SQL_KW_ROWS)    ? SQL_FRAME_ROWS
               : sqlp_is_kw(p, SQL_KW_RANGE) ? SQL_FRAME_RANGE
                                             : SQL_FRAME_GROUPS;
    TRY(sqlp_advance(p));
    int loc = p->tok.loc;
    TRY(sqlp_accept_kw(p, SQL_KW_BETWEEN, &w->frame_between));
    int start_loc = p->tok.loc;
    TRY(frame_bound(p, &w->start));
    enum sql_frame_bound_kind s = w->start.kind;
    if (s == SQL_BOUND_UNBOUNDED_FOLLOWING)
        return sqlp_error(p, ERR_MALFORMED, "42P20", start_loc,
                          "frame start cannot be UNBOUNDED FOLLOWING");
    if (w->frame_between) {
        TRY(sqlp_expect_kw(p, SQL_KW_AND));
        int end_loc = p->tok.loc;
        TRY(frame_bound(p, &w->end));
        enum sql_frame_bound_kind e = w->end.kind;
        if (e == SQL_BOUND_UNBOUNDED_PRECEDING)
            return sqlp_error(p, ERR_MALFORMED, "42P20", end_loc,
                              "frame end cannot be UNBOUNDED PRECEDING");
        if (s == SQL_BOUND_CURRENT_ROW && e == SQL_BOUND_PRECEDING)
            return sqlp_error(p, ERR_MALFORMED, "42P20", end_loc,
                              "frame starting from current row cannot have preceding rows");
        if (s == SQL_BOUND_FOLLOWING && (e == SQL_BOUND_PRECEDING || e == SQL_BOUND_CURRENT_ROW))
            return sqlp_error(p, ERR_MALFORMED, "42P20", end_loc,
                              "frame starting from following row cannot have preceding rows");
    } else {
        if (s == SQL_BOUND_FOLLOWING)
            return sqlp_error(p, ERR_UNSUPPORTED, "0A000", loc,
                              "frame starting from following row cannot end with current row");
        w->end.kind = SQL_BOUND_CURRENT_ROW;
    }
    if (!sqlp_is_kw(p, SQL_KW_EXCLUDE))
        return 0;
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_CURRENT)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_ROW));
        w->exclude = SQL_EXCLUDE_CURRENT_ROW;
    } else if (sqlp_is_kw(p, SQL_KW_GROUP)) {
        w->exclude = SQL_EXCLUDE_GROUP;
        TRY(sqlp_advance(p));
    } else if (sqlp_is_kw(p, SQL_KW_TIES)) {
        w->exclude = SQL_EXCLUDE_TIES;
        TRY(sqlp_advance(p));
    } else {
        TRY(sqlp_expect_kw(p, SQL_KW_NO));
        TRY(sqlp_expect_kw(p, SQL_KW_OTHERS));
        w->exclude = SQL_EXCLUDE_NONE;
    }
    return 0;
}

/* '(' [name] [PARTITION BY ...] [ORDER BY ...] [frame] ')' at the current '('. */
static int window_spec(struct sql_parser *p, struct sql_window **out)
{
    struct sql_window *w = sqlp_alloc(p, sizeof *w);
    if (w == NULL)
        return alloc_failed(p);
    w->loc = p->tok.loc;
    TRY(sqlp_enter(p));
    TRY(sqlp_expect_char(p, '('));
    /* PARTITION, RANGE, ROWS and GROUPS start clauses here, not a window name (gram.y's
     * opt_existing_window_name precedence trick). */
    if (sqlp_is_colid(p) && !sqlp_is_kw(p, SQL_KW_PARTITION) && !sqlp_is_kw(p, SQL_KW_RANGE) &&
        !sqlp_is_kw(p, SQL_KW_ROWS) && !sqlp_is_kw(p, SQL_KW_GROUPS))
        TRY(sqlp_colid(p, &w->ref));
    if (sqlp_is_kw(p, SQL_KW_PARTITION)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_BY));
        TRY(sqlp_expr_list(p, &w->partition_by));
    }
    if (sqlp_is_kw(p, SQL_KW_ORDER))
        TRY(order_by_clause(p, &w->order_by));
    if (sqlp_is_kw(p, SQL_KW_ROWS) || sqlp_is_kw(p, SQL_KW_RANGE) || sqlp_is_kw(p, SQL_KW_GROUPS))
        TRY(frame_clause(p, w));
    TRY(sqlp_expect_char(p, ')'));
    sqlp_leave(p);
    *out = w;
    return 0;
}

/* ---- Target lists ---- */

/* expr [[AS] label], or * */
static int target_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_target *t = sqlp_push(p, v, sizeof *t);
    if (t == NULL)
        return alloc_failed(p);
    t->loc = p->tok.loc;
    if (sqlp_is_char(p, '*')) {
        t->expr = new_expr(p, SQL_E_COLUMN, p->tok.loc);
        if (t->expr == NULL)
            return alloc_failed(p);
        t->expr->column.star = true;
        TRY(sqlp_advance(p));
    } else {
        TRY(sqlp_expr(p, &t->expr));
        if (sqlp_is_kw(p, SQL_KW_AS)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_label(p, &t->alias));
        } else if (tok_is_bare_label(&p->tok)) {
            TRY(sqlp_label(p, &t->alias));
        }
    }
    return 0;
}

int sqlp_targets(struct sql_parser *p, struct sql_targets *out)
{
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, target_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

/* ---- FROM ---- */

static struct sql_from *new_from(struct sql_parser *p, enum sql_from_kind kind, int loc)
{
    struct sql_from *f = sqlp_alloc(p, sizeof *f);
    if (f != NULL) {
        f->kind = kind;
        f->loc = loc;
    }
    return f;
}

/* [AS] ColId [(names)] when written; after a function (func), column definition lists
 * (AS (a int)) are refused. */
static int opt_alias(struct sql_parser *p, struct sql_alias *a, bool func)
{
    bool as;
    TRY(sqlp_accept_kw(p, SQL_KW_AS, &as));
    if (!as && !sqlp_is_colid(p)) {
        if (func && sqlp_is_char(p, '('))
            return feature_error(p, p->tok.loc, "a column definition list");
        return 0;
    }
    if (as && func && sqlp_is_char(p, '('))
        return feature_error(p, p->tok.loc, "a column definition list");
    TRY(sqlp_colid(p, &a->name));
    if (!sqlp_is_char(p, '('))
        return 0;
    if (func) {
        /* t(a int, b text) is a column definition list; t(a, b) names the columns. */
        const struct sql_token *n = sqlp_peek(p, 2);
        if (n != NULL && n->kind != ',' && n->kind != ')')
            return feature_error(p, p->tok.loc, "a column definition list");
    }
    return sqlp_paren_names(p, &a->cols);
}

static bool at_join(const struct sql_parser *p)
{
    return sqlp_is_kw(p, SQL_KW_JOIN) || sqlp_is_kw(p, SQL_KW_CROSS) ||
           sqlp_is_kw(p, SQL_KW_NATURAL) || sqlp_is_kw(p, SQL_KW_LEFT) ||
           sqlp_is_kw(p, SQL_KW_RIGHT) || sqlp_is_kw(p, SQL_KW_FULL) ||
           sqlp_is_kw(p, SQL_KW_INNER);
}

/* A subquery in FROM that has been read (q, written at paren_loc), with its alias: PostgreSQL 15
 * wants one. */
static int subquery_from(struct sql_parser *p, bool lateral, int loc, int paren_loc,
                         struct sql_select *q, struct sql_from **out)
{
    struct sql_from *f = new_from(p, SQL_FROM_SUBQUERY, loc);
    if (f == NULL)
        return alloc_failed(p);
    f->lateral = lateral;
    f->subquery = q;
    TRY(opt_alias(p, &f->alias, false));
    if (f->alias.name == NULL)
        return sqlp_error(p, ERR_MALFORMED, "42601", paren_loc,
                          q->kind == SQL_SELECT_VALUES ? "VALUES in FROM must have an alias"
                                                       : "subquery in FROM must have an alias");
    *out = f;
    return 0;
}

static int joins_onto(struct sql_parser *p, struct sql_from **left);
static int from_primary(struct sql_parser *p, struct sql_from **out);

/* '(' ... ')' in FROM where no query keyword follows the '(' directly: either a query in more
 * parentheses (((SELECT 1)) or ((SELECT 1) UNION (SELECT 2))), returned in *q, or a parenthesized
 * join (((SELECT 1) s JOIN t ON true), ((a JOIN b ON x) JOIN c ON y)), returned in *j. What
 * follows the first item inside tells them apart. */
static int from_paren(struct sql_parser *p, struct sql_select **q, struct sql_from **j)
{
    *q = NULL;
    *j = NULL;
    TRY(sqlp_enter(p));
    TRY(sqlp_expect_char(p, '('));
    int inner_loc = p->tok.loc;
    struct sql_from *left = NULL;
    if (sqlp_is_char(p, '(')) {
        struct sql_select *iq = NULL;
        struct sql_from *ij = NULL;
        if (tok_starts_query(sqlp_peek(p, 1)))
            TRY(select_with_parens(p, &iq));
        else
            TRY(from_paren(p, &iq, &ij));
        if (iq != NULL && (query_continues(p) || sqlp_is_char(p, ')'))) {
            if (query_continues(p))
                TRY(continue_query(p, iq, &iq));
            TRY(sqlp_expect_char(p, ')'));
            sqlp_leave(p);
            *q = iq;
            return 0;
        }
        if (iq != NULL) {
            TRY(subquery_from(p, false, inner_loc, inner_loc, iq, &left));
        } else {
            TRY(opt_alias(p, &ij->alias, false));
            left = ij;
            if (ij->alias.name == NULL && sqlp_is_char(p, ')')) {
                /* ((a JOIN b ON x)): the same join in more parentheses */
                TRY(sqlp_advance(p));
                sqlp_leave(p);
                *j = ij;
                return 0;
            }
        }
    } else {
        TRY(from_primary(p, &left));
    }
    if (!at_join(p))
        return sqlp_syntax_error(p);
    TRY(joins_onto(p, &left));
    TRY(sqlp_expect_char(p, ')'));
    sqlp_leave(p);
    *j = left;
    return 0;
}

static int from_func(struct sql_parser *p, bool lateral, const struct dotted *d,
                     struct sql_from **out)
{
    struct sql_from *f = new_from(p, SQL_FROM_FUNC, d->loc);
    if (f == NULL)
        return alloc_failed(p);
    f->lateral = lateral;
    TRY(func_call(p, d, &f->func));
    if (sqlp_is_kw(p, SQL_KW_WITH) && sqlp_peek_is_kw(p, 1, SQL_KW_ORDINALITY))
        return feature_error(p, p->tok.loc, "WITH ORDINALITY");
    TRY(opt_alias(p, &f->alias, true));
    *out = f;
    return 0;
}

/* One FROM item without the joins after it. */
static int from_primary(struct sql_parser *p, struct sql_from **out)
{
    int loc = p->tok.loc;
    bool lateral;
    TRY(sqlp_accept_kw(p, SQL_KW_LATERAL, &lateral));
    if (sqlp_is_char(p, '(')) {
        int paren_loc = p->tok.loc;
        struct sql_select *q = NULL;
        struct sql_from *j = NULL;
        if (lateral || tok_starts_query(sqlp_peek(p, 1)))
            TRY(select_with_parens(p, &q));
        else
            TRY(from_paren(p, &q, &j));
        if (q != NULL)
            return subquery_from(p, lateral, loc, paren_loc, q, out);
        TRY(opt_alias(p, &j->alias, false));
        *out = j;
        return 0;
    }
    if (sqlp_is_kw(p, SQL_KW_ROWS) && sqlp_peek_is_kw(p, 1, SQL_KW_FROM))
        return feature_error(p, loc, "ROWS FROM");
    bool only;
    TRY(sqlp_accept_kw(p, SQL_KW_ONLY, &only));
    bool paren = false;
    if (only)
        TRY(sqlp_accept_char(p, '(', &paren));
    const struct sql_token *n = sqlp_peek(p, 1);
    bool func = !only && n != NULL && n->kind == '(' && tok_is_func_name(&p->tok);
    if (!func && !sqlp_is_colid(p))
        return sqlp_syntax_error(p);
    struct dotted d;
    TRY(read_dotted(p, &d, false));
    if (!only && sqlp_is_char(p, '('))
        return from_func(p, lateral, &d, out);
    if (lateral)
        return sqlp_syntax_error(p);
    struct sql_from *f = new_from(p, SQL_FROM_TABLE, loc);
    if (f == NULL)
        return alloc_failed(p);
    f->only = only;
    TRY(qname_from_dotted(p, &d, &f->table));
    if (paren)
        TRY(sqlp_expect_char(p, ')'));
    else if (!only)
        TRY(sqlp_accept_char(p, '*', NULL)); /* t *: with descendants, the default */
    TRY(opt_alias(p, &f->alias, false));
    if (sqlp_is_kw(p, SQL_KW_TABLESAMPLE))
        return feature_error(p, p->tok.loc, "TABLESAMPLE");
    *out = f;
    return 0;
}

/* One join onto *left at a join keyword. The right side of a join that needs ON/USING takes
 * the joins written before its qualifier: a JOIN b JOIN c ON x ON y is a JOIN (b JOIN c ON x). */
static int join_one(struct sql_parser *p, struct sql_from **left)
{
    TRY(sqlp_enter(p));
    struct sql_from *j = new_from(p, SQL_FROM_JOIN, p->tok.loc);
    if (j == NULL)
        return alloc_failed(p);
    j->join.left = *left;
    j->join.kind = SQL_JOIN_INNER;
    bool qualified = true;
    if (sqlp_is_kw(p, SQL_KW_CROSS)) {
        j->join.kind = SQL_JOIN_CROSS;
        qualified = false;
        TRY(sqlp_advance(p));
    } else {
        TRY(sqlp_accept_kw(p, SQL_KW_NATURAL, &j->join.natural));
        qualified = !j->join.natural;
        if (sqlp_is_kw(p, SQL_KW_LEFT) || sqlp_is_kw(p, SQL_KW_RIGHT) ||
            sqlp_is_kw(p, SQL_KW_FULL)) {
            j->join.kind = sqlp_is_kw(p, SQL_KW_LEFT)    ? SQL_JOIN_LEFT
                           : sqlp_is_kw(p, SQL_KW_RIGHT) ? SQL_JOIN_RIGHT
                                                         : SQL_JOIN_FULL;
            TRY(sqlp_advance(p));
            TRY(sqlp_accept_kw(p, SQL_KW_OUTER, NULL));
        } else {
            TRY(sqlp_accept_kw(p, SQL_KW_INNER, NULL));
        }
    }
    TRY(sqlp_expect_kw(p, SQL_KW_JOIN));
    TRY(from_primary(p, &j->join.right));
    if (qualified) {
        while (at_join(p))
            TRY(join_one(p, &j->join.right));
        if (sqlp_is_kw(p, SQL_KW_ON)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expr(p, &j->join.on));
        } else if (sqlp_is_kw(p, SQL_KW_USING)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_paren_names(p, &j->join.using));
            if (sqlp_is_kw(p, SQL_KW_AS))
                return feature_error(p, p->tok.loc, "an alias for JOIN USING");
        } else {
            return sqlp_syntax_error(p);
        }
    }
    sqlp_leave(p);
    *left = j;
    return 0;
}

/* The joins written after *left, each one more level of nesting. */
static int joins_onto(struct sql_parser *p, struct sql_from **left)
{
    int levels = 0;
    while (at_join(p)) {
        TRY(sqlp_enter(p));
        levels++;
        TRY(join_one(p, left));
    }
    while (levels-- > 0)
        sqlp_leave(p);
    return 0;
}

/* A FROM item with its joins. */
static int table_ref(struct sql_parser *p, struct sql_from **out)
{
    TRY(sqlp_enter(p));
    TRY(from_primary(p, out));
    TRY(joins_onto(p, out));
    sqlp_leave(p);
    return 0;
}

static int from_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_from *f = NULL;
    TRY(table_ref(p, &f));
    return push_from(p, v, f);
}

int sqlp_from_list(struct sql_parser *p, struct sql_froms *out)
{
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, from_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

/* ---- SELECT ---- */

/* The target list is empty here (SELECT FROM t, SELECT;). */
static bool targets_end(const struct sql_parser *p)
{
    static const enum sql_kw kws[] = {
        SQL_KW_FROM,  SQL_KW_WHERE,  SQL_KW_GROUP, SQL_KW_HAVING,    SQL_KW_WINDOW,
        SQL_KW_ORDER, SQL_KW_LIMIT,  SQL_KW_OFFSET, SQL_KW_FETCH,    SQL_KW_FOR,
        SQL_KW_UNION, SQL_KW_EXCEPT, SQL_KW_INTO,  SQL_KW_INTERSECT,
    };
    int k = p->tok.kind;
    if (k == ')' || k == ';' || k == SQL_TOK_EOF)
        return true;
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++)
        if (sqlp_is_kw(p, kws[i]))
            return true;
    return false;
}

static int group_item(struct sql_parser *p, struct sqlp_vec *v)
{
    int loc = p->tok.loc;
    if (sqlp_is_char(p, '(') && sqlp_peek_is_char(p, 1, ')'))
        return feature_error(p, loc, "an empty grouping set");
    if ((sqlp_is_kw(p, SQL_KW_ROLLUP) || sqlp_is_kw(p, SQL_KW_CUBE)) &&
        sqlp_peek_is_char(p, 1, '('))
        return feature_error(p, loc, sqlp_is_kw(p, SQL_KW_ROLLUP) ? "ROLLUP" : "CUBE");
    if (sqlp_is_kw(p, SQL_KW_GROUPING) && sqlp_peek_is_kw(p, 1, SQL_KW_SETS))
        return feature_error(p, loc, "GROUPING SETS");
    struct sql_expr *e = NULL;
    TRY(sqlp_expr(p, &e));
    return push_expr(p, v, e);
}

static int group_by(struct sql_parser *p, struct sql_exprs *out)
{
    TRY(sqlp_advance(p));
    TRY(sqlp_expect_kw(p, SQL_KW_BY));
    if (sqlp_is_kw(p, SQL_KW_DISTINCT))
        return feature_error(p, p->tok.loc, "GROUP BY DISTINCT");
    TRY(sqlp_accept_kw(p, SQL_KW_ALL, NULL));
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, group_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

/* name AS (spec) */
static int window_def_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_window_def *d = sqlp_push(p, v, sizeof *d);
    if (d == NULL)
        return alloc_failed(p);
    TRY(sqlp_colid(p, &d->name));
    TRY(sqlp_expect_kw(p, SQL_KW_AS));
    if (!sqlp_is_char(p, '('))
        return sqlp_syntax_error(p);
    TRY(window_spec(p, &d->spec));
    return 0;
}

static int window_clause(struct sql_parser *p, struct sql_window_defs *out)
{
    TRY(sqlp_advance(p));
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, window_def_item));
    out->n = v.n;
    out->v = v.v;
    return 0;
}

static int simple_select(struct sql_parser *p, struct sql_select **out)
{
    struct sql_select *s = new_select(p, SQL_SELECT_PLAIN, p->tok.loc);
    if (s == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_DISTINCT)) {
        s->distinct = true;
        TRY(sqlp_advance(p));
        if (sqlp_is_kw(p, SQL_KW_ON)) {
            TRY(sqlp_advance(p));
            TRY(sqlp_expect_char(p, '('));
            TRY(sqlp_expr_list(p, &s->distinct_on));
            TRY(sqlp_expect_char(p, ')'));
        }
        if (targets_end(p))
            return sqlp_syntax_error(p);
    } else {
        TRY(sqlp_accept_kw(p, SQL_KW_ALL, NULL));
    }
    if (!targets_end(p))
        TRY(sqlp_targets(p, &s->targets));
    if (sqlp_is_kw(p, SQL_KW_INTO))
        return feature_error(p, p->tok.loc, "SELECT INTO");
    if (sqlp_is_kw(p, SQL_KW_FROM)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_from_list(p, &s->from));
    }
    if (sqlp_is_kw(p, SQL_KW_WHERE)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &s->where));
    }
    if (sqlp_is_kw(p, SQL_KW_GROUP))
        TRY(group_by(p, &s->group_by));
    if (sqlp_is_kw(p, SQL_KW_HAVING)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expr(p, &s->having));
    }
    if (sqlp_is_kw(p, SQL_KW_WINDOW))
        TRY(window_clause(p, &s->windows));
    *out = s;
    return 0;
}

/* ( expr, ... ): every row as long as the first */
static int values_row_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_exprs *row = sqlp_push(p, v, sizeof *row);
    if (row == NULL)
        return alloc_failed(p);
    TRY(sqlp_expect_char(p, '('));
    TRY(sqlp_expr_list(p, row));
    TRY(sqlp_expect_char(p, ')'));
    const struct sql_exprs *first = v->v;
    if (row->n != first->n)
        return sqlp_error(p, ERR_MALFORMED, "42601", row->v[0]->loc,
                          "VALUES lists must all be the same length");
    return 0;
}

static int values_select(struct sql_parser *p, struct sql_select **out)
{
    struct sql_select *s = new_select(p, SQL_SELECT_VALUES, p->tok.loc);
    if (s == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, values_row_item));
    s->values.n = v.n;
    s->values.v = v.v;
    *out = s;
    return 0;
}

/* TABLE t is SELECT * FROM t. */
static int table_select(struct sql_parser *p, struct sql_select **out)
{
    struct sql_select *s = new_select(p, SQL_SELECT_PLAIN, p->tok.loc);
    if (s == NULL)
        return alloc_failed(p);
    TRY(sqlp_advance(p));
    struct sql_from *f = new_from(p, SQL_FROM_TABLE, p->tok.loc);
    struct sql_target *t = sqlp_alloc(p, sizeof *t);
    struct sql_from **fv = sqlp_alloc(p, sizeof *fv);
    struct sql_expr *star = new_expr(p, SQL_E_COLUMN, s->loc);
    if (f == NULL || t == NULL || fv == NULL || star == NULL)
        return alloc_failed(p);
    TRY(sqlp_accept_kw(p, SQL_KW_ONLY, &f->only));
    bool paren = false;
    if (f->only)
        TRY(sqlp_accept_char(p, '(', &paren));
    TRY(sqlp_qname(p, &f->table));
    if (paren)
        TRY(sqlp_expect_char(p, ')'));
    else if (!f->only)
        TRY(sqlp_accept_char(p, '*', NULL));
    star->column.star = true;
    t->expr = star;
    t->loc = s->loc;
    s->targets.n = 1;
    s->targets.v = t;
    fv[0] = f;
    s->from.n = 1;
    s->from.v = fv;
    *out = s;
    return 0;
}

/* select_clause: a simple SELECT, VALUES, TABLE, or a parenthesized query. */
static int select_term(struct sql_parser *p, struct sql_select **out)
{
    if (sqlp_is_char(p, '(')) {
        TRY(sqlp_enter(p));
        TRY(select_with_parens(p, out));
        sqlp_leave(p);
        return 0;
    }
    if (sqlp_is_kw(p, SQL_KW_SELECT))
        return simple_select(p, out);
    if (sqlp_is_kw(p, SQL_KW_VALUES))
        return values_select(p, out);
    if (sqlp_is_kw(p, SQL_KW_TABLE))
        return table_select(p, out);
    return sqlp_syntax_error(p);
}

/* UNION / EXCEPT (left-associative) below INTERSECT; left is an operand already read, or NULL. */
static int select_setops(struct sql_parser *p, int min, struct sql_select *left,
                         struct sql_select **out)
{
    if (left == NULL)
        TRY(select_term(p, &left));
    int levels = 0;
    for (;;) {
        int prec;
        enum sql_setop op;
        if (sqlp_is_kw(p, SQL_KW_UNION) || sqlp_is_kw(p, SQL_KW_EXCEPT)) {
            prec = 1;
            op = sqlp_is_kw(p, SQL_KW_UNION) ? SQL_SETOP_UNION : SQL_SETOP_EXCEPT;
        } else if (sqlp_is_kw(p, SQL_KW_INTERSECT)) {
            prec = 2;
            op = SQL_SETOP_INTERSECT;
        } else {
            break;
        }
        if (prec < min)
            break;
        TRY(sqlp_enter(p));
        levels++;
        struct sql_select *s = new_select(p, SQL_SELECT_SETOP, p->tok.loc);
        if (s == NULL)
            return alloc_failed(p);
        s->op = op;
        s->left = left;
        TRY(sqlp_advance(p));
        TRY(sqlp_accept_kw(p, SQL_KW_ALL, &s->all));
        if (!s->all)
            TRY(sqlp_accept_kw(p, SQL_KW_DISTINCT, NULL));
        TRY(select_setops(p, prec + 1, NULL, &s->right));
        left = s;
    }
    while (levels-- > 0)
        sqlp_leave(p);
    *out = left;
    return 0;
}

static int multiple_clauses(struct sql_parser *p, int loc, const char *what)
{
    return sqlp_error(p, ERR_MALFORMED, "42601", loc, "multiple %s clauses not allowed", what);
}

/* FETCH FIRST|NEXT [n] ROW|ROWS ONLY. */
static int fetch_clause(struct sql_parser *p, struct sql_select *s)
{
    int loc = p->tok.loc;
    TRY(sqlp_advance(p));
    if (!sqlp_is_kw(p, SQL_KW_FIRST) && !sqlp_is_kw(p, SQL_KW_NEXT))
        return sqlp_syntax_error(p);
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_ROW) || sqlp_is_kw(p, SQL_KW_ROWS)) {
        TRY(int_const(p, 1, "1", -1, &s->limit));
    } else if (sqlp_is_char(p, '+') || sqlp_is_char(p, '-')) {
        int sign_loc = p->tok.loc;
        bool minus = sqlp_is_char(p, '-');
        TRY(sqlp_advance(p));
        if (p->tok.kind != SQL_TOK_INT && p->tok.kind != SQL_TOK_NUMERIC)
            return sqlp_syntax_error(p);
        TRY(const_expr(p, &s->limit));
        if (minus)
            TRY(negate_const(p, s->limit, sign_loc));
    } else {
        TRY(expr_primary(p, &s->limit));
    }
    if (!sqlp_is_kw(p, SQL_KW_ROW) && !sqlp_is_kw(p, SQL_KW_ROWS))
        return sqlp_syntax_error(p);
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_WITH) && sqlp_peek_is_kw(p, 1, SQL_KW_TIES))
        return feature_error(p, loc, "FETCH ... WITH TIES");
    return sqlp_expect_kw(p, SQL_KW_ONLY);
}

static int locked_table_item(struct sql_parser *p, struct sqlp_vec *v)
{
    (void)v;
    struct sql_qname q;
    TRY(sqlp_qname(p, &q));
    return 0;
}

/* FOR UPDATE | NO KEY UPDATE | SHARE | KEY SHARE [OF t, ...] [NOWAIT | SKIP LOCKED], or FOR READ
 * ONLY; accepted and ignored (a statement runs alone on its replicaset). */
static int locking_clause(struct sql_parser *p, struct sql_select *s)
{
    TRY(sqlp_advance(p));
    if (sqlp_is_kw(p, SQL_KW_READ)) {
        TRY(sqlp_advance(p));
        return sqlp_expect_kw(p, SQL_KW_ONLY);
    }
    if (sqlp_is_kw(p, SQL_KW_NO)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_KEY));
        TRY(sqlp_expect_kw(p, SQL_KW_UPDATE));
    } else if (sqlp_is_kw(p, SQL_KW_KEY)) {
        TRY(sqlp_advance(p));
        TRY(sqlp_expect_kw(p, SQL_KW_SHARE));
    } else if (sqlp_is_kw(p, SQL_KW_UPDATE) || sqlp_is_kw(p, SQL_KW_SHARE)) {
        TRY(sqlp_advance(p));
    } else {
        return sqlp_syntax_error(p);
    }
    s->locking = true;
    if (sqlp_is_kw(p, SQL_KW_OF)) {
        TRY(sqlp_advance(p));
        struct sqlp_vec v = {0}; /* the tables are not kept */
        TRY(comma_list(p, &v, locked_table_item));
    }
    if (sqlp_is_kw(p, SQL_KW_NOWAIT))
        return sqlp_advance(p);
    if (sqlp_is_kw(p, SQL_KW_SKIP)) {
        TRY(sqlp_advance(p));
        return sqlp_expect_kw(p, SQL_KW_LOCKED);
    }
    return 0;
}

/* ORDER BY, LIMIT / OFFSET / FETCH, FOR ... onto s (a parenthesized query's node may already
 * have some: PostgreSQL refuses a second of each). */
static int select_tail(struct sql_parser *p, struct sql_select *s)
{
    /* The errors point at the second clause's expression, as PostgreSQL's do. */
    if (sqlp_is_kw(p, SQL_KW_ORDER)) {
        bool had = s->order_by.n > 0;
        TRY(order_by_clause(p, &s->order_by));
        if (had)
            return multiple_clauses(p, s->order_by.v[0].expr->loc, "ORDER BY");
    }
    bool limit = false, offset = false;
    for (;;) {
        int loc = p->tok.loc;
        if (!limit && (sqlp_is_kw(p, SQL_KW_LIMIT) || sqlp_is_kw(p, SQL_KW_FETCH))) {
            struct sql_expr *had = s->limit;
            limit = true;
            if (sqlp_is_kw(p, SQL_KW_FETCH)) {
                TRY(fetch_clause(p, s));
            } else {
                TRY(sqlp_advance(p));
                if (sqlp_is_kw(p, SQL_KW_ALL)) {
                    TRY(sqlp_advance(p));
                    s->limit = NULL;
                } else {
                    TRY(sqlp_expr(p, &s->limit));
                    if (sqlp_is_char(p, ','))
                        return sqlp_error(p, ERR_MALFORMED, "42601", loc,
                                          "LIMIT #,# syntax is not supported");
                }
            }
            if (had != NULL)
                return multiple_clauses(p, s->limit != NULL ? s->limit->loc : loc, "LIMIT");
        } else if (!offset && sqlp_is_kw(p, SQL_KW_OFFSET)) {
            struct sql_expr *had = s->offset;
            offset = true;
            TRY(sqlp_advance(p));
            TRY(sqlp_expr(p, &s->offset));
            if (sqlp_is_kw(p, SQL_KW_ROW) || sqlp_is_kw(p, SQL_KW_ROWS))
                TRY(sqlp_advance(p));
            if (had != NULL)
                return multiple_clauses(p, s->offset->loc, "OFFSET");
        } else if (sqlp_is_kw(p, SQL_KW_FOR)) {
            TRY(locking_clause(p, s));
        } else {
            return 0;
        }
    }
}

/* A whole query: [WITH ...] select_clause [set operations] [ORDER BY] [LIMIT...] [FOR ...]. */
static int select_full(struct sql_parser *p, struct sql_with *with, struct sql_select **out)
{
    TRY(sqlp_enter(p));
    if (with == NULL && sqlp_is_kw(p, SQL_KW_WITH))
        TRY(sqlp_with(p, &with));
    struct sql_select *s = NULL;
    TRY(select_setops(p, 0, NULL, &s));
    TRY(select_tail(p, s));
    if (with != NULL) {
        /* PostgreSQL points at the outer WITH; its first name is as close as the AST keeps. */
        if (s->with != NULL)
            return multiple_clauses(p, with->v[0].loc, "WITH");
        s->with = with;
    }
    sqlp_leave(p);
    *out = s;
    return 0;
}

int sqlp_select(struct sql_parser *p, struct sql_select **out)
{
    return select_full(p, NULL, out);
}

int sqlp_select_with(struct sql_parser *p, struct sql_with *with, struct sql_select **out)
{
    return select_full(p, with, out);
}

/* ---- WITH ---- */

static bool at_dml(const struct sql_parser *p)
{
    return sqlp_is_kw(p, SQL_KW_INSERT) || sqlp_is_kw(p, SQL_KW_UPDATE) ||
           sqlp_is_kw(p, SQL_KW_DELETE);
}

/* The statement inside a CTE's parentheses. */
static int cte_body(struct sql_parser *p, struct sql_stmt **out)
{
    struct sql_stmt *st = sqlp_alloc(p, sizeof *st);
    if (st == NULL)
        return alloc_failed(p);
    st->loc = p->tok.loc;
    TRY(sqlp_enter(p));
    struct sql_with *with = NULL;
    if (sqlp_is_kw(p, SQL_KW_WITH))
        TRY(sqlp_with(p, &with));
    if (at_dml(p)) {
        TRY(sqlp_dml(p, with, st));
    } else {
        st->kind = SQL_STMT_SELECT;
        TRY(select_full(p, with, &st->select));
    }
    sqlp_leave(p);
    st->len = p->prev_end - st->loc;
    st->arena = p->arena;
    st->text = p->text;
    st->text_len = p->len;
    *out = st;
    return 0;
}

/* name [(cols)] AS [[NOT] MATERIALIZED] (statement) */
static int cte_item(struct sql_parser *p, struct sqlp_vec *v)
{
    struct sql_cte *c = sqlp_push(p, v, sizeof *c);
    if (c == NULL)
        return alloc_failed(p);
    c->loc = p->tok.loc;
    TRY(sqlp_colid(p, &c->name));
    if (sqlp_is_char(p, '('))
        TRY(sqlp_paren_names(p, &c->cols));
    TRY(sqlp_expect_kw(p, SQL_KW_AS));
    if (sqlp_is_kw(p, SQL_KW_MATERIALIZED)) {
        c->materialized = 1;
        TRY(sqlp_advance(p));
    } else if (sqlp_is_kw(p, SQL_KW_NOT) && sqlp_peek_is_kw(p, 1, SQL_KW_MATERIALIZED)) {
        c->materialized = -1;
        TRY(sqlp_advance(p));
        TRY(sqlp_advance(p));
    }
    TRY(sqlp_expect_char(p, '('));
    TRY(cte_body(p, &c->query));
    TRY(sqlp_expect_char(p, ')'));
    if (p->tok.kind == SQL_TOK_IDENT && !p->tok.quoted &&
        (strcmp(p->tok.str, "search") == 0 || strcmp(p->tok.str, "cycle") == 0))
        return feature_error(p, p->tok.loc,
                             strcmp(p->tok.str, "search") == 0 ? "SEARCH" : "CYCLE");
    return 0;
}

int sqlp_with(struct sql_parser *p, struct sql_with **out)
{
    struct sql_with *w = sqlp_alloc(p, sizeof *w);
    if (w == NULL)
        return alloc_failed(p);
    TRY(sqlp_expect_kw(p, SQL_KW_WITH));
    TRY(sqlp_accept_kw(p, SQL_KW_RECURSIVE, &w->recursive));
    struct sqlp_vec v = {0};
    TRY(comma_list(p, &v, cte_item));
    w->n = v.n;
    w->v = v.v;
    *out = w;
    return 0;
}

/* ---- Entry points ---- */

static int parser_init(struct sql_parser *p, const char *text, size_t len, struct sql_error *err)
{
    memset(p, 0, sizeof *p);
    p->err = err;
    if (len > SQL_TEXT_BYTES_MAX)
        return sql_err_set(err, ERR_TOOBIG, "54000", NULL, 0, -1,
                           "query string is too long (%zu bytes, at most %u)", len,
                           SQL_TEXT_BYTES_MAX);
    TRY(sql_check_encoding(text, len, err));
    p->arena = sql_arena_new();
    if (p->arena == NULL)
        return sql_err_set(err, ERR_NOMEM, "53200", NULL, 0, -1, "out of memory");
    char *copy = sql_arena_strndup(p->arena, len > 0 ? text : "", len);
    if (copy == NULL)
        return sql_err_set(err, ERR_NOMEM, "53200", NULL, 0, -1, "out of memory");
    p->text = copy;
    p->len = len;
    p->lx.text = copy;
    p->lx.len = len;
    p->lx.pos = 0;
    p->lx.arena = p->arena;
    return sqlp_advance(p);
}

/* The code sql_parse returns for err: allocation failures are reported by SQLSTATE. */
static int parse_failed(struct sql_parser *p, struct sql_parsed *out, int rc)
{
    ASSERT(rc != 0);
    if (strcmp(p->err->sqlstate, "53200") == 0)
        rc = ERR_NOMEM;
    sql_arena_free(p->arena);
    p->arena = NULL;
    memset(out, 0, sizeof *out);
    return rc;
}

static int parse_statement(struct sql_parser *p, struct sql_stmt **out)
{
    struct sql_stmt *st = sqlp_alloc(p, sizeof *st);
    if (st == NULL)
        return alloc_failed(p);
    int start = p->tok.loc;
    p->depth = 0;
    p->param_max = 0;
    TRY(sqlp_statement(p, st));
    if (!sqlp_is_char(p, ';') && !sqlp_is_char(p, SQL_TOK_EOF))
        return sqlp_syntax_error(p);
    ASSERT(p->depth == 0);
    st->loc = start;
    st->len = p->prev_end - start;
    st->param_max = p->param_max;
    st->arena = p->arena;
    st->text = p->text;
    st->text_len = p->len;
    *out = st;
    return 0;
}

int sql_parse(const char *text, size_t len, struct sql_parsed *out, struct sql_error *err)
{
    struct sql_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    struct sql_parser p;
    int rc = parser_init(&p, text, len, err);
    if (rc != 0)
        return parse_failed(&p, out, rc);
    struct sqlp_vec stmts = {0};
    for (;;) {
        while (sqlp_is_char(&p, ';') && rc == 0)
            rc = sqlp_advance(&p);
        if (rc != 0 || sqlp_is_char(&p, SQL_TOK_EOF))
            break;
        if (stmts.n == SQL_STMTS_MAX) {
            rc = sqlp_error(&p, ERR_TOOBIG, "54000", p.tok.loc,
                            "too many statements in one query string (at most %d)",
                            SQL_STMTS_MAX);
            break;
        }
        struct sql_stmt *st = NULL;
        rc = parse_statement(&p, &st);
        if (rc != 0)
            break;
        struct sql_stmt **slot = sqlp_push(&p, &stmts, sizeof *slot);
        if (slot == NULL) {
            rc = alloc_failed(&p);
            break;
        }
        *slot = st;
    }
    if (rc != 0)
        return parse_failed(&p, out, rc);
    out->n = stmts.n;
    out->stmts = stmts.v;
    out->arena = p.arena;
    return 0;
}

int sql_parse_expr(const char *text, size_t len, struct sql_parsed *out, struct sql_expr **expr,
                   struct sql_error *err)
{
    struct sql_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    *expr = NULL;
    struct sql_parser p;
    int rc = parser_init(&p, text, len, err);
    if (rc == 0)
        rc = sqlp_expr(&p, expr);
    if (rc == 0 && !sqlp_is_char(&p, SQL_TOK_EOF))
        rc = sqlp_syntax_error(&p);
    if (rc != 0) {
        *expr = NULL;
        return parse_failed(&p, out, rc);
    }
    ASSERT(p.depth == 0);
    out->arena = p.arena;
    return 0;
}
