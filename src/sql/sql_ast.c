/* The parse arena, error formatting, keyword table and type names. The walks that answer the
 * router's questions are in sql_walk.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "sql/sql_int.h"

/* ---- Arena ---- */

struct sql_arena_block {
    struct sql_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

struct sql_arena {
    struct sql_arena_block *head;
    size_t total; /* bytes handed out */
};

struct sql_arena *sql_arena_new(void)
{
    return calloc(1, sizeof(struct sql_arena));
}

void sql_arena_free(struct sql_arena *a)
{
    if (a == NULL)
        return;
    struct sql_arena_block *b = a->head;
    while (b != NULL) {
        struct sql_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

size_t sql_arena_used(const struct sql_arena *a)
{
    return a->total;
}

void *sql_arena_alloc(struct sql_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    if (n > SQL_ARENA_BYTES_MAX || a->total + n > SQL_ARENA_BYTES_MAX)
        return NULL;
    n = (n + align - 1) / align * align;
    if (n == 0)
        n = align;
    struct sql_arena_block *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > SQL_ARENA_BLOCK_BYTES / 2 ? n : SQL_ARENA_BLOCK_BYTES;
        struct sql_arena_block *nb = malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (b != NULL && cap == n) {
            /* A big allocation of its own: keep filling the current block afterwards. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

char *sql_arena_strndup(struct sql_arena *a, const char *s, size_t n)
{
    char *p = sql_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sql_parsed_free(struct sql_parsed *p)
{
    if (p == NULL)
        return;
    sql_arena_free(p->arena);
    memset(p, 0, sizeof *p);
}

/* ---- Errors ---- */

int sql_position(const char *text, size_t len, int loc)
{
    if (loc < 0)
        return 0;
    size_t end = (size_t)loc < len ? (size_t)loc : len;
    int chars = 0;
    for (size_t i = 0; i < end; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            chars++;
    /* Past the end ("at end of input") points one past the last character, as PG does. */
    return chars + 1;
}

int sql_err_vset(struct sql_error *err, int rc, const char *sqlstate, const char *text, size_t len,
                 int loc, const char *fmt, va_list ap)
{
    if (err == NULL)
        return rc;
    ASSERT(strlen(sqlstate) == 5);
    memcpy(err->sqlstate, sqlstate, 6);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    err->position = text != NULL ? sql_position(text, len, loc) : 0;
    return rc;
}

int sql_err_set(struct sql_error *err, int rc, const char *sqlstate, const char *text, size_t len,
                int loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sql_err_vset(err, rc, sqlstate, text, len, loc, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- Keywords ---- */

const struct sql_keyword sql_keywords[SQL_KW_COUNT] = {
    [SQL_KW_NONE] = {NULL, SQL_KWC_UNRESERVED, true},
#define SQL_KW_ENTRY(id, text, cat, bare) [SQL_KW_##id] = {text, SQL_KWC_##cat, bare},
    SQL_KEYWORDS(SQL_KW_ENTRY)
#undef SQL_KW_ENTRY
};

enum sql_kw sql_keyword_lookup(const char *s, size_t n)
{
    char low[32];
    if (n == 0 || n >= sizeof low)
        return SQL_KW_NONE;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
    }
    low[n] = '\0';
    int lo = 1, hi = SQL_KW_COUNT - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(low, sql_keywords[mid].text);
        if (c == 0)
            return (enum sql_kw)mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return SQL_KW_NONE;
}

/* ---- Statement kinds and types ---- */

const char *sql_stmt_kind_tag(enum sql_stmt_kind k)
{
    switch (k) {
#define SQL_STMT_TAG(name, tag)                                                                    \
    case SQL_STMT_##name:                                                                          \
        return tag;
        SQL_STMT_KINDS(SQL_STMT_TAG)
#undef SQL_STMT_TAG
    }
    return "???";
}

const char *sql_type_kind_name(enum sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_UNKNOWN:
        return "unknown";
    case SQL_TYPE_BOOL:
        return "bool";
    case SQL_TYPE_INT2:
        return "int2";
    case SQL_TYPE_INT4:
        return "int4";
    case SQL_TYPE_INT8:
        return "int8";
    case SQL_TYPE_FLOAT4:
        return "float4";
    case SQL_TYPE_FLOAT8:
        return "float8";
    case SQL_TYPE_NUMERIC:
        return "numeric";
    case SQL_TYPE_TEXT:
        return "text";
    case SQL_TYPE_VARCHAR:
        return "varchar";
    case SQL_TYPE_BPCHAR:
        return "bpchar";
    case SQL_TYPE_BYTEA:
        return "bytea";
    case SQL_TYPE_DATE:
        return "date";
    case SQL_TYPE_TIME:
        return "time";
    case SQL_TYPE_TIMETZ:
        return "timetz";
    case SQL_TYPE_TIMESTAMP:
        return "timestamp";
    case SQL_TYPE_TIMESTAMPTZ:
        return "timestamptz";
    case SQL_TYPE_INTERVAL:
        return "interval";
    case SQL_TYPE_JSON:
        return "json";
    case SQL_TYPE_JSONB:
        return "jsonb";
    case SQL_TYPE_UUID:
        return "uuid";
    case SQL_TYPE_OTHER:
        return "other";
    }
    return "unknown";
}

bool sql_type_is_builtin(const char *name)
{
    /* pg_type of a fresh PostgreSQL 15 database, less the array types (_int4...) */
    static const char *const names[] = {
        "aclitem", "any", "anyarray", "anycompatible", "anycompatiblearray",
        "anycompatiblemultirange", "anycompatiblenonarray", "anycompatiblerange", "anyelement",
        "anyenum", "anymultirange", "anynonarray", "anyrange", "bit", "bool", "box", "bpchar",
        "bytea", "char", "cid", "cidr", "circle", "cstring", "date", "datemultirange",
        "daterange", "event_trigger", "fdw_handler", "float4", "float8", "gtsvector",
        "index_am_handler", "inet", "int2", "int2vector", "int4", "int4multirange", "int4range",
        "int8", "int8multirange", "int8range", "internal", "interval", "json", "jsonb",
        "jsonpath", "language_handler", "line", "lseg", "macaddr", "macaddr8", "money", "name",
        "numeric", "nummultirange", "numrange", "oid", "oidvector", "path", "pg_brin_bloom_summary",
        "pg_brin_minmax_multi_summary", "pg_ddl_command", "pg_dependencies", "pg_lsn",
        "pg_mcv_list", "pg_ndistinct", "pg_node_tree", "pg_snapshot", "point", "polygon",
        "record", "refcursor", "regclass", "regcollation", "regconfig", "regdictionary",
        "regnamespace", "regoper", "regoperator", "regproc", "regprocedure", "regrole",
        "regtype", "table_am_handler", "text", "tid", "time", "timestamp", "timestamptz",
        "timetz", "trigger", "tsm_handler", "tsmultirange", "tsquery", "tsrange",
        "tstzmultirange", "tstzrange", "tsvector", "txid_snapshot", "unknown", "uuid", "varbit",
        "varchar", "void", "xid", "xid8", "xml",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

int sql_type_format(const struct sql_type *t, struct buf *out)
{
    int rc;
    if (t->kind == SQL_TYPE_OTHER)
        rc = buf_printf(out, "%s", t->name != NULL ? t->name : "unknown");
    else
        rc = buf_printf(out, "%s", sql_type_kind_name(t->kind));
    if (rc != 0)
        return rc;
    switch (t->kind) {
    case SQL_TYPE_NUMERIC:
        if (t->mod1 >= 0 && t->mod2 != -1)
            rc = buf_printf(out, "(%d,%d)", (int)t->mod1, (int)t->mod2);
        else if (t->mod1 >= 0)
            rc = buf_printf(out, "(%d)", (int)t->mod1);
        break;
    case SQL_TYPE_VARCHAR:
    case SQL_TYPE_BPCHAR:
    case SQL_TYPE_TIME:
    case SQL_TYPE_TIMETZ:
    case SQL_TYPE_TIMESTAMP:
    case SQL_TYPE_TIMESTAMPTZ:
    case SQL_TYPE_INTERVAL:
        if (t->mod1 >= 0)
            rc = buf_printf(out, "(%d)", (int)t->mod1);
        break;
    default:
        break;
    }
    for (unsigned i = 0; rc == 0 && i < t->array_dims; i++)
        rc = buf_append(out, "[]", 2);
    return rc;
}
