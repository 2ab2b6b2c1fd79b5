/* PostgreSQL's json and jsonb on JSON text: validation, jsonb's canonical form (keys ordered by
 * length then bytes, the last duplicate kept, numbers as numerics, ", " and ": " separators),
 * the -> ->> #> #>> operators, json_typeof, json_build_object/array, to_json. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

/* Nesting bound: deeper documents are refused (54001) rather than recursing without limit. */
#define SQL_JSON_DEPTH_MAX 1000
/* The subtype of a value that is JSON text already (SQLite's own JSON functions use 'J'). */
#define SQL_J_SUBTYPE 74
/* Values one document may hold (a bound on the tree built for jsonb). */
#define SQL_JSON_NODES_MAX (4u * 1024 * 1024)

enum sql_jkind {
    SQL_J_NULL,
    SQL_J_FALSE,
    SQL_J_TRUE,
    SQL_J_NUMBER,
    SQL_J_STRING,
    SQL_J_ARRAY,
    SQL_J_OBJECT,
};

/* One value of a parsed document. Strings and numbers point into the source text; arrays and
 * objects list their children (objects as key, value pairs, keys being strings). */
struct sql_jnode {
    enum sql_jkind kind;
    int start, end;   /* the value's bytes in the source */
    int first, count; /* children: indexes into sql_jdoc.kids */
};

struct sql_jdoc {
    const char *s;
    int n, pos;
    struct sql_jnode *nodes;
    size_t nnodes, cap;
    int *kids;
    size_t nkids, kcap;
    int err; /* 0, ERR_MALFORMED, ERR_TOOBIG (depth), ERR_NOMEM */
};

static void sql_j_ws(struct sql_jdoc *d)
{
    while (d->pos < d->n && (d->s[d->pos] == ' ' || d->s[d->pos] == '\t' || d->s[d->pos] == '\n' ||
                             d->s[d->pos] == '\r'))
        d->pos++;
}

static int sql_j_new(struct sql_jdoc *d, enum sql_jkind kind)
{
    if (d->nnodes == d->cap) {
        if (d->cap >= SQL_JSON_NODES_MAX) {
            d->err = ERR_TOOBIG;
            return -1;
        }
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct sql_jnode *p = realloc(d->nodes, cap * sizeof(*p));
        if (p == NULL) {
            d->err = ERR_NOMEM;
            return -1;
        }
        d->nodes = p;
        d->cap = cap;
    }
    struct sql_jnode *nd = &d->nodes[d->nnodes];
    nd->kind = kind;
    nd->start = d->pos;
    nd->end = d->pos;
    nd->first = 0;
    nd->count = 0;
    return (int)d->nnodes++;
}

static int sql_j_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool sql_j_string(struct sql_jdoc *d)
{
    if (d->pos >= d->n || d->s[d->pos] != '"')
        return false;
    d->pos++;
    while (d->pos < d->n) {
        unsigned char ch = (unsigned char)d->s[d->pos++];
        if (ch == '"')
            return true;
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (d->pos >= d->n)
                return false;
            char e = d->s[d->pos++];
            if (e == 'u') {
                for (int k = 0; k < 4; k++) {
                    if (d->pos >= d->n || sql_j_hex((unsigned char)d->s[d->pos]) < 0)
                        return false;
                    d->pos++;
                }
            } else if (!strchr("\"\\/bfnrt", e)) {
                return false;
            }
        }
    }
    return false;
}

static bool sql_j_number(struct sql_jdoc *d)
{
    int start = d->pos;
    const char *s = d->s;
    if (d->pos < d->n && s[d->pos] == '-')
        d->pos++;
    if (d->pos < d->n && s[d->pos] == '0') {
        d->pos++;
    } else {
        int k = d->pos;
        while (d->pos < d->n && isdigit((unsigned char)s[d->pos]))
            d->pos++;
        if (d->pos == k)
            return false;
    }
    if (d->pos < d->n && s[d->pos] == '.') {
        d->pos++;
        int k = d->pos;
        while (d->pos < d->n && isdigit((unsigned char)s[d->pos]))
            d->pos++;
        if (d->pos == k)
            return false;
    }
    if (d->pos < d->n && (s[d->pos] == 'e' || s[d->pos] == 'E')) {
        d->pos++;
        if (d->pos < d->n && (s[d->pos] == '+' || s[d->pos] == '-'))
            d->pos++;
        int k = d->pos;
        while (d->pos < d->n && isdigit((unsigned char)s[d->pos]))
            d->pos++;
        if (d->pos == k)
            return false;
    }
    return d->pos > start;
}

static bool sql_j_word(struct sql_jdoc *d, const char *w)
{
    size_t l = strlen(w);
    if ((size_t)(d->n - d->pos) < l || memcmp(d->s + d->pos, w, l) != 0)
        return false;
    d->pos += (int)l;
    return true;
}

/* Parses one value; returns its node index or -1 (d->err set). Children are collected on a
 * scratch list and copied contiguously into kids when the container closes. */
static int sql_j_value(struct sql_jdoc *d, int depth, int **scratch, size_t *sn, size_t *scap)
{
    if (depth > SQL_JSON_DEPTH_MAX) {
        d->err = ERR_TOOBIG;
        return -1;
    }
    sql_j_ws(d);
    if (d->pos >= d->n) {
        d->err = ERR_MALFORMED;
        return -1;
    }
    char ch = d->s[d->pos];
    int id;
    if (ch == '{' || ch == '[') {
        bool obj = ch == '{';
        id = sql_j_new(d, obj ? SQL_J_OBJECT : SQL_J_ARRAY);
        if (id < 0)
            return -1;
        d->pos++;
        size_t base = *sn;
        sql_j_ws(d);
        char close = obj ? '}' : ']';
        if (d->pos < d->n && d->s[d->pos] == close) {
            d->pos++;
        } else {
            for (;;) {
                int kid[2], nk = 0;
                if (obj) {
                    sql_j_ws(d);
                    int k = sql_j_new(d, SQL_J_STRING);
                    if (k < 0)
                        return -1;
                    if (!sql_j_string(d)) {
                        d->err = ERR_MALFORMED;
                        return -1;
                    }
                    d->nodes[k].end = d->pos;
                    kid[nk++] = k;
                    sql_j_ws(d);
                    if (d->pos >= d->n || d->s[d->pos] != ':') {
                        d->err = ERR_MALFORMED;
                        return -1;
                    }
                    d->pos++;
                }
                int v = sql_j_value(d, depth + 1, scratch, sn, scap);
                if (v < 0)
                    return -1;
                kid[nk++] = v;
                for (int i = 0; i < nk; i++) {
                    if (*sn == *scap) {
                        size_t cap = *scap ? *scap * 2 : 64;
                        int *p = realloc(*scratch, cap * sizeof(int));
                        if (p == NULL) {
                            d->err = ERR_NOMEM;
                            return -1;
                        }
                        *scratch = p;
                        *scap = cap;
                    }
                    (*scratch)[(*sn)++] = kid[i];
                }
                sql_j_ws(d);
                if (d->pos < d->n && d->s[d->pos] == ',') {
                    d->pos++;
                    continue;
                }
                if (d->pos < d->n && d->s[d->pos] == close) {
                    d->pos++;
                    break;
                }
                d->err = ERR_MALFORMED;
                return -1;
            }
        }
        /* move this container's children from the scratch stack into kids */
        size_t count = *sn - base;
        if (d->nkids + count > d->kcap) {
            size_t cap = d->kcap ? d->kcap : 64;
            while (cap < d->nkids + count)
                cap *= 2;
            int *p = realloc(d->kids, cap * sizeof(int));
            if (p == NULL) {
                d->err = ERR_NOMEM;
                return -1;
            }
            d->kids = p;
            d->kcap = cap;
        }
        if (count > 0)
            memcpy(d->kids + d->nkids, *scratch + base, count * sizeof(int));
        d->nodes[id].first = (int)d->nkids;
        d->nodes[id].count = (int)count;
        d->nkids += count;
        *sn = base;
        d->nodes[id].end = d->pos;
        return id;
    }
    if (ch == '"') {
        id = sql_j_new(d, SQL_J_STRING);
        if (id < 0)
            return -1;
        if (!sql_j_string(d)) {
            d->err = ERR_MALFORMED;
            return -1;
        }
    } else if (ch == '-' || isdigit((unsigned char)ch)) {
        id = sql_j_new(d, SQL_J_NUMBER);
        if (id < 0)
            return -1;
        if (!sql_j_number(d)) {
            d->err = ERR_MALFORMED;
            return -1;
        }
    } else {
        enum sql_jkind k = ch == 't' ? SQL_J_TRUE : ch == 'f' ? SQL_J_FALSE : SQL_J_NULL;
        id = sql_j_new(d, k);
        if (id < 0)
            return -1;
        if (!sql_j_word(d, k == SQL_J_TRUE ? "true" : k == SQL_J_FALSE ? "false" : "null")) {
            d->err = ERR_MALFORMED;
            return -1;
        }
    }
    d->nodes[id].end = d->pos;
    return id;
}

/* Parses a whole document (one value with blanks around). Returns the root or -1. The caller
 * frees with sql_j_free. */
static int sql_j_parse(struct sql_jdoc *d, const char *s, int n)
{
    memset(d, 0, sizeof(*d));
    d->s = s;
    d->n = n;
    int *scratch = NULL;
    size_t sn = 0, scap = 0;
    int root = sql_j_value(d, 0, &scratch, &sn, &scap);
    free(scratch);
    if (root < 0)
        return -1;
    sql_j_ws(d);
    if (d->pos != d->n) {
        d->err = ERR_MALFORMED;
        return -1;
    }
    return root;
}

static void sql_j_free(struct sql_jdoc *d)
{
    free(d->nodes);
    free(d->kids);
}

static void sql_j_error(sqlite3_context *ctx, int err, const char *type)
{
    if (err == ERR_NOMEM)
        sql_fn_nomem(ctx);
    else if (err == ERR_TOOBIG)
        sql_fn_error(ctx, "54001", "stack depth limit exceeded");
    else if (err == ERR_UNSUPPORTED)
        sql_fn_error(ctx, "22P05", "unsupported Unicode escape sequence");
    else
        sql_fn_error(ctx, "22P02", "invalid input syntax for type %s", type);
}

bool sql_fn_json_valid(const char *text, int len)
{
    struct sql_jdoc d;
    int root = sql_j_parse(&d, text, len);
    sql_j_free(&d);
    return root >= 0;
}

/* ---- strings ---- */

/* Decodes a JSON string token (with its quotes) into UTF-8. ERR_UNSUPPORTED for \u0000. */
static int sql_j_unescape(const char *s, int n, struct buf *out)
{
    int rc = 0;
    for (int i = 1; rc == 0 && i < n - 1; i++) {
        char c = s[i];
        if (c != '\\') {
            rc = buf_append_u8(out, (uint8_t)c);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'b':
            rc = buf_append_u8(out, '\b');
            break;
        case 'f':
            rc = buf_append_u8(out, '\f');
            break;
        case 'n':
            rc = buf_append_u8(out, '\n');
            break;
        case 'r':
            rc = buf_append_u8(out, '\r');
            break;
        case 't':
            rc = buf_append_u8(out, '\t');
            break;
        case 'u': {
            uint32_t cp = 0;
            for (int k = 1; k <= 4; k++)
                cp = cp << 4 | (uint32_t)sql_j_hex((unsigned char)s[i + k]);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < n && s[i + 1] == '\\' && s[i + 2] == 'u') {
                uint32_t lo = 0;
                for (int k = 3; k <= 6; k++)
                    lo = lo << 4 | (uint32_t)sql_j_hex((unsigned char)s[i + k]);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp == 0)
                return ERR_UNSUPPORTED;
            char u[4];
            int l;
            if (cp < 0x80) {
                u[0] = (char)cp;
                l = 1;
            } else if (cp < 0x800) {
                u[0] = (char)(0xC0 | cp >> 6);
                u[1] = (char)(0x80 | (cp & 0x3F));
                l = 2;
            } else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12);
                u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (char)(0x80 | (cp & 0x3F));
                l = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18);
                u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                u[3] = (char)(0x80 | (cp & 0x3F));
                l = 4;
            }
            rc = buf_append(out, u, (size_t)l);
            break;
        }
        default: /* " \ / */
            rc = buf_append_u8(out, (uint8_t)e);
            break;
        }
    }
    return rc;
}

/* Appends s as a JSON string literal, escaped as PostgreSQL escapes. */
static int sql_j_quote(const char *s, size_t n, struct buf *out)
{
    int rc = buf_append_u8(out, '"');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rc = buf_append(out, "\\\"", 2);
            break;
        case '\\':
            rc = buf_append(out, "\\\\", 2);
            break;
        case '\b':
            rc = buf_append(out, "\\b", 2);
            break;
        case '\f':
            rc = buf_append(out, "\\f", 2);
            break;
        case '\n':
            rc = buf_append(out, "\\n", 2);
            break;
        case '\r':
            rc = buf_append(out, "\\r", 2);
            break;
        case '\t':
            rc = buf_append(out, "\\t", 2);
            break;
        default:
            if (c < 0x20)
                rc = buf_printf(out, "\\u%04x", c);
            else
                rc = buf_append_u8(out, c);
        }
    }
    return rc == 0 ? buf_append_u8(out, '"') : rc;
}

/* ---- jsonb's canonical text ---- */

struct sql_j_member {
    int key, value;
    struct buf name; /* the decoded key */
};

static int sql_j_member_cmp(const void *pa, const void *pb)
{
    const struct sql_j_member *a = pa, *b = pb;
    if (a->name.len != b->name.len)
        return a->name.len < b->name.len ? -1 : 1;
    int c = a->name.len ? memcmp(a->name.data, b->name.data, a->name.len) : 0;
    if (c != 0)
        return c;
    /* equal keys: the later one last, so that it wins */
    return a->key < b->key ? -1 : a->key > b->key;
}

static int sql_j_canon(const struct sql_jdoc *d, int id, struct buf *out)
{
    const struct sql_jnode *nd = &d->nodes[id];
    switch (nd->kind) {
    case SQL_J_NULL:
        return buf_append(out, "null", 4);
    case SQL_J_TRUE:
        return buf_append(out, "true", 4);
    case SQL_J_FALSE:
        return buf_append(out, "false", 5);
    case SQL_J_NUMBER: {
        struct sql_numeric *num = malloc(sizeof(*num));
        if (num == NULL)
            return ERR_NOMEM;
        int rc = sql_numeric_parse(d->s + nd->start, (size_t)(nd->end - nd->start), num);
        if (rc == 0)
            rc = sql_numeric_append(num, out);
        free(num);
        return rc == ERR_RANGE ? ERR_MALFORMED : rc;
    }
    case SQL_J_STRING: {
        struct buf raw = BUF_INIT;
        int rc = sql_j_unescape(d->s + nd->start, nd->end - nd->start, &raw);
        if (rc == 0)
            rc = sql_j_quote(raw.data ? (const char *)raw.data : "", raw.len, out);
        buf_free(&raw);
        return rc;
    }
    case SQL_J_ARRAY: {
        int rc = buf_append_u8(out, '[');
        for (int i = 0; rc == 0 && i < nd->count; i++) {
            if (i > 0)
                rc = buf_append(out, ", ", 2);
            if (rc == 0)
                rc = sql_j_canon(d, d->kids[nd->first + i], out);
        }
        return rc == 0 ? buf_append_u8(out, ']') : rc;
    }
    case SQL_J_OBJECT: {
        int n = nd->count / 2;
        struct sql_j_member *m = calloc((size_t)(n > 0 ? n : 1), sizeof(*m));
        if (m == NULL)
            return ERR_NOMEM;
        int rc = 0;
        for (int i = 0; rc == 0 && i < n; i++) {
            m[i].key = d->kids[nd->first + 2 * i];
            m[i].value = d->kids[nd->first + 2 * i + 1];
            const struct sql_jnode *k = &d->nodes[m[i].key];
            rc = sql_j_unescape(d->s + k->start, k->end - k->start, &m[i].name);
        }
        if (rc == 0)
            qsort(m, (size_t)n, sizeof(*m), sql_j_member_cmp);
        if (rc == 0)
            rc = buf_append_u8(out, '{');
        bool first = true;
        for (int i = 0; rc == 0 && i < n; i++) {
            /* of equal keys only the last stays */
            if (i + 1 < n && m[i].name.len == m[i + 1].name.len &&
                (m[i].name.len == 0 ||
                 memcmp(m[i].name.data, m[i + 1].name.data, m[i].name.len) == 0))
                continue;
            if (!first)
                rc = buf_append(out, ", ", 2);
            first = false;
            if (rc == 0)
                rc = sql_j_quote(m[i].name.data ? (const char *)m[i].name.data : "", m[i].name.len,
                                 out);
            if (rc == 0)
                rc = buf_append(out, ": ", 2);
            if (rc == 0)
                rc = sql_j_canon(d, m[i].value, out);
        }
        for (int i = 0; i < n; i++)
            buf_free(&m[i].name);
        free(m);
        return rc == 0 ? buf_append_u8(out, '}') : rc;
    }
    }
    return ERR_MALFORMED;
}

int sql_fn_jsonb_canonical(const char *text, int len, struct buf *out);
/* jsonb's text for a JSON document. 0, ERR_MALFORMED, ERR_UNSUPPORTED (\u0000), ERR_TOOBIG
 * (too deep or too large), ERR_NOMEM. */
int sql_fn_jsonb_canonical(const char *text, int len, struct buf *out)
{
    struct sql_jdoc d;
    int root = sql_j_parse(&d, text, len);
    int rc = root < 0 ? d.err : sql_j_canon(&d, root, out);
    sql_j_free(&d);
    return rc;
}

/* ---- operators ---- */

/* The child of node id selected by a key (objects) or an index (arrays, negative from the
 * end); -1 if none. key NULL means use the index. */
static int sql_j_select(const struct sql_jdoc *d, int id, const char *key, int klen, int64_t idx)
{
    const struct sql_jnode *nd = &d->nodes[id];
    if (nd->kind == SQL_J_OBJECT && key != NULL) {
        int found = -1;
        struct buf name = BUF_INIT;
        for (int i = 0; i < nd->count / 2; i++) {
            const struct sql_jnode *k = &d->nodes[d->kids[nd->first + 2 * i]];
            buf_reset(&name);
            if (sql_j_unescape(d->s + k->start, k->end - k->start, &name) != 0)
                break;
            if (name.len == (size_t)klen &&
                (klen == 0 || memcmp(name.data, key, (size_t)klen) == 0))
                found = d->kids[nd->first + 2 * i + 1]; /* the last duplicate, as jsonb keeps */
        }
        buf_free(&name);
        return found;
    }
    if (nd->kind == SQL_J_ARRAY && key == NULL) {
        if (idx < 0)
            idx += nd->count;
        if (idx < 0 || idx >= nd->count)
            return -1;
        return d->kids[nd->first + idx];
    }
    return -1;
}

/* Sets the result to node id: as JSON text, or (as_text) strings unquoted and null as NULL. */
static void sql_j_result(sqlite3_context *ctx, const struct sql_jdoc *d, int id, bool as_text)
{
    const struct sql_jnode *nd = &d->nodes[id];
    if (as_text && nd->kind == SQL_J_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (as_text && nd->kind == SQL_J_STRING) {
        struct buf raw = BUF_INIT;
        int rc = sql_j_unescape(d->s + nd->start, nd->end - nd->start, &raw);
        if (rc == ERR_UNSUPPORTED)
            sql_j_error(ctx, rc, "json");
        else if (rc != 0)
            sql_fn_nomem(ctx);
        else
            sql_fn_result_buf_text(ctx, &raw);
        buf_free(&raw);
        return;
    }
    sqlite3_result_text(ctx, d->s + nd->start, nd->end - nd->start, SQLITE_TRANSIENT);
}

/* j -> key|index and j ->> key|index: an INTEGER (or integer-looking) selector indexes arrays. */
static void sql_j_get(sqlite3_context *ctx, sqlite3_value **argv, bool as_text)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_jdoc d;
    int root = sql_j_parse(&d, s, n);
    if (root < 0) {
        sql_j_error(ctx, d.err, "json");
        sql_j_free(&d);
        return;
    }
    int id;
    if (sqlite3_value_type(argv[1]) == SQLITE_INTEGER) {
        id = sql_j_select(&d, root, NULL, 0, sqlite3_value_int64(argv[1]));
    } else {
        const char *k = (const char *)sqlite3_value_text(argv[1]);
        id = sql_j_select(&d, root, k ? k : "", sqlite3_value_bytes(argv[1]), 0);
    }
    if (id < 0)
        sqlite3_result_null(ctx);
    else
        sql_j_result(ctx, &d, id, as_text);
    sql_j_free(&d);
}

static void sql_fn_json_get(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_j_get(ctx, argv, false);
}

static void sql_fn_json_get_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_j_get(ctx, argv, true);
}

struct sql_j_path {
    const struct sql_jdoc *d;
    int cur;
};

static int sql_j_path_step(void *arg, const char *elem, int elen)
{
    struct sql_j_path *p = arg;
    if (p->cur < 0)
        return 0;
    if (elem == NULL) {
        p->cur = -1;
        return 0;
    }
    const struct sql_jnode *nd = &p->d->nodes[p->cur];
    if (nd->kind == SQL_J_ARRAY) {
        char *end;
        char tmp[32];
        if (elen <= 0 || elen >= (int)sizeof(tmp)) {
            p->cur = -1;
            return 0;
        }
        memcpy(tmp, elem, (size_t)elen);
        tmp[elen] = '\0';
        long long v = strtoll(tmp, &end, 10);
        p->cur = *end == '\0' ? sql_j_select(p->d, p->cur, NULL, 0, v) : -1;
    } else {
        p->cur = sql_j_select(p->d, p->cur, elem, elen, 0);
    }
    return 0;
}

/* j #> '{a,b,0}' and j #>> '{…}'. */
static void sql_j_path(sqlite3_context *ctx, sqlite3_value **argv, bool as_text)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *path = (const char *)sqlite3_value_text(argv[1]);
    if (s == NULL || path == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_jdoc d;
    int root = sql_j_parse(&d, s, sqlite3_value_bytes(argv[0]));
    if (root < 0) {
        sql_j_error(ctx, d.err, "json");
        sql_j_free(&d);
        return;
    }
    struct sql_j_path p = {&d, root};
    int rc = sql_fn_array_parse(path, sqlite3_value_bytes(argv[1]), sql_j_path_step, &p);
    if (rc == ERR_MALFORMED)
        sql_fn_error(ctx, "22P02", "malformed array literal: \"%s\"", path);
    else if (rc != 0)
        sql_fn_nomem(ctx);
    else if (p.cur < 0)
        sqlite3_result_null(ctx);
    else
        sql_j_result(ctx, &d, p.cur, as_text);
    sql_j_free(&d);
}

static void sql_fn_json_path(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_j_path(ctx, argv, false);
}

static void sql_fn_json_path_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_j_path(ctx, argv, true);
}

static void sql_fn_json_typeof(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    struct sql_jdoc d;
    int root = s ? sql_j_parse(&d, s, sqlite3_value_bytes(argv[0])) : -1;
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    if (root < 0) {
        sql_j_error(ctx, d.err, "json");
    } else {
        static const char *const names[] = {"null",   "boolean", "boolean", "number",
                                            "string", "array",   "object"};
        sqlite3_result_text(ctx, names[d.nodes[root].kind], -1, SQLITE_STATIC);
    }
    sql_j_free(&d);
}

static void sql_fn_json_array_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_jdoc d;
    int root = sql_j_parse(&d, s, sqlite3_value_bytes(argv[0]));
    if (root < 0)
        sql_j_error(ctx, d.err, "json");
    else if (d.nodes[root].kind != SQL_J_ARRAY)
        sql_fn_error(ctx, "22023", "cannot get array length of a non-array");
    else
        sqlite3_result_int(ctx, d.nodes[root].count);
    sql_j_free(&d);
}

/* A SQL value as JSON: numbers as they are (numeric text too), other text quoted, NULL as
 * null, bytea as its \x text. */
static int sql_j_from_value(sqlite3_value *v, struct buf *out)
{
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    if (sqlite3_value_subtype(v) == SQL_J_SUBTYPE && sqlite3_value_type(v) == SQLITE_TEXT)
        return buf_append(out, sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        return buf_append(out, "null", 4);
    case SQLITE_INTEGER:
        return buf_printf(out, "%lld", (long long)sqlite3_value_int64(v));
    case SQLITE_FLOAT: {
        double f = sqlite3_value_double(v);
        size_t n = sql_format_float8(f, text);
        if (text[0] == 'N' || text[0] == 'I' || text[1] == 'I')
            return sql_j_quote(text, n, out);
        return buf_append(out, text, n);
    }
    case SQLITE_BLOB: {
        struct buf hex = BUF_INIT;
        int rc = sql_value_to_pg_text(v, SQL_PG_BYTEA, &hex);
        if (rc == 0)
            rc = sql_j_quote((const char *)hex.data, hex.len, out);
        buf_free(&hex);
        return rc;
    }
    default: {
        const char *s = (const char *)sqlite3_value_text(v);
        int n = sqlite3_value_bytes(v);
        if (s == NULL)
            return ERR_NOMEM;
        /* numeric text is a JSON number, as PostgreSQL's to_json(numeric) */
        if (sql_numeric_looks_like(s, (size_t)n) && (isdigit((unsigned char)s[0]) || s[0] == '-'))
            return buf_append(out, s, (size_t)n);
        return sql_j_quote(s, (size_t)n, out);
    }
    }
}

/* Sets the result from a built JSON text: as is, or in jsonb's canonical form. */
static void sql_j_finish(sqlite3_context *ctx, struct buf *built, bool jsonb)
{
    if (!jsonb) {
        sql_fn_result_buf_text(ctx, built);
        return;
    }
    struct buf canon = BUF_INIT;
    int rc = sql_fn_jsonb_canonical(built->data ? (const char *)built->data : "", (int)built->len,
                                    &canon);
    if (rc != 0)
        sql_j_error(ctx, rc, "json");
    else
        sql_fn_result_buf_text(ctx, &canon);
    buf_free(&canon);
}

static void sql_to_json_common(sqlite3_context *ctx, sqlite3_value **argv, bool jsonb)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    struct buf out = BUF_INIT;
    if (sql_j_from_value(argv[0], &out) != 0)
        sql_fn_nomem(ctx);
    else
        sql_j_finish(ctx, &out, jsonb);
    buf_free(&out);
}

static void sql_fn_to_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_to_json_common(ctx, argv, false);
}

static void sql_fn_to_jsonb(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_to_json_common(ctx, argv, true);
}

/* json_build_object(k1, v1, ...) in json's spacing: {"a" : 1, "b" : 2}; the jsonb variant in
 * jsonb's canonical form. */
static void sql_build_object_common(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                                    bool jsonb)
{
    if (argc % 2 != 0) {
        sql_fn_error(ctx, "22023", "argument list must have even number of elements");
        return;
    }
    struct buf out = BUF_INIT;
    int rc = buf_append_u8(&out, '{');
    for (int i = 0; rc == 0 && i < argc; i += 2) {
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            buf_free(&out);
            sql_fn_error(ctx, "22004", "null value not allowed for object key");
            return;
        }
        if (i > 0)
            rc = buf_append(&out, ", ", 2);
        const char *k = (const char *)sqlite3_value_text(argv[i]);
        if (rc == 0)
            rc = k ? sql_j_quote(k, (size_t)sqlite3_value_bytes(argv[i]), &out) : ERR_NOMEM;
        if (rc == 0)
            rc = buf_append(&out, " : ", 3);
        if (rc == 0)
            rc = sql_j_from_value(argv[i + 1], &out);
    }
    if (rc == 0)
        rc = buf_append_u8(&out, '}');
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_j_finish(ctx, &out, jsonb);
    buf_free(&out);
}

static void sql_fn_json_build_object(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_build_object_common(ctx, argc, argv, false);
}

static void sql_fn_jsonb_build_object(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_build_object_common(ctx, argc, argv, true);
}

static void sql_fn_json_build_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct buf out = BUF_INIT;
    int rc = buf_append_u8(&out, '[');
    for (int i = 0; rc == 0 && i < argc; i++) {
        if (i > 0)
            rc = buf_append(&out, ", ", 2);
        if (rc == 0)
            rc = sql_j_from_value(argv[i], &out);
    }
    if (rc == 0)
        rc = buf_append_u8(&out, ']');
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
}

/* pg_json_bool(b): a boolean (1 / 0) as the JSON true / false, marked as JSON for the builders
 * above (the printer wraps a json_build_* argument of type boolean in it). */
static void sql_fn_json_bool(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, sqlite3_value_int64(argv[0]) ? "true" : "false", -1, SQLITE_STATIC);
    sqlite3_result_subtype(ctx, SQL_J_SUBTYPE);
}

/* pg_json_raw(j): a json value, marked so that the builders embed it rather than quote it. */
static void sql_fn_json_raw(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_value(ctx, argv[0]);
    if (sqlite3_value_type(argv[0]) == SQLITE_TEXT)
        sqlite3_result_subtype(ctx, SQL_J_SUBTYPE);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_json_defs[] = {
    {"pg_json_bool", 1, D, sql_fn_json_bool, NULL, NULL},
    {"pg_json_raw", 1, D, sql_fn_json_raw, NULL, NULL},
    {"pg_json_get", 2, D, sql_fn_json_get, NULL, NULL},
    {"pg_json_get_text", 2, D, sql_fn_json_get_text, NULL, NULL},
    {"pg_json_path", 2, D, sql_fn_json_path, NULL, NULL},
    {"pg_json_path_text", 2, D, sql_fn_json_path_text, NULL, NULL},
    {"pg_json_typeof", 1, D, sql_fn_json_typeof, NULL, NULL},
    {"pg_json_array_length", 1, D, sql_fn_json_array_length, NULL, NULL},
    {"pg_to_json", 1, D, sql_fn_to_json, NULL, NULL},
    {"pg_json_build_object", -1, D, sql_fn_json_build_object, NULL, NULL},
    {"pg_json_build_array", -1, D, sql_fn_json_build_array, NULL, NULL},
    {"pg_jsonb_build_object", -1, D, sql_fn_jsonb_build_object, NULL, NULL},
    {"pg_to_jsonb", 1, D, sql_fn_to_jsonb, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
