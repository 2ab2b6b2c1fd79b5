/* JSON parser (RFC 8259) into an arena-backed DOM, with depth and size limits and byte-offset
 * errors; DOM lookups; UTF-8 validation shared with the writer. */
#include "proto/http/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

/* Arena blocks: small values are packed into blocks of this size; a bigger allocation gets a
 * block of its own. */
#define JSON_ARENA_BLOCK_BYTES (16 * 1024)
/* Numbers longer than this are copied to the heap for strtod. */
#define JSON_NUMBER_STACK_BYTES 64

struct json_arena_block {
    struct json_arena_block *next;
    size_t used;
    size_t cap;
    max_align_t data[];
};

static void *arena_alloc(struct json_doc *doc, size_t size)
{
    size_t align = _Alignof(max_align_t);
    size_t n = (size + align - 1) & ~(align - 1);
    if (n < size)
        return NULL;
    struct json_arena_block *b = doc->blocks;
    if (b != NULL && b->cap - b->used >= n) {
        void *p = (char *)b->data + b->used;
        b->used += n;
        return p;
    }
    size_t cap = n > JSON_ARENA_BLOCK_BYTES / 4 ? n : JSON_ARENA_BLOCK_BYTES;
    struct json_arena_block *nb = malloc(sizeof *nb + cap);
    if (nb == NULL)
        return NULL;
    nb->used = n;
    nb->cap = cap;
    if (b != NULL && cap == n) {
        /* A one-off big block: keep the current block first, it still has room. */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        doc->blocks = nb;
    }
    return nb->data;
}

void json_doc_free(struct json_doc *doc)
{
    struct json_arena_block *b = doc->blocks;
    while (b != NULL) {
        struct json_arena_block *next = b->next;
        free(b);
        b = next;
    }
    doc->blocks = NULL;
    doc->root = NULL;
}

/* ---- UTF-8 ---- */

size_t json_utf8_seq_len(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2) /* continuation byte, or overlong 2-byte lead */
        return 0;
    if (c < 0xE0)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0xF0) {
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* UTF-16 surrogates */
        if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* beyond U+10FFFF */
        if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

int json_utf8_valid(const void *p, size_t n)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = json_utf8_seq_len(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

static size_t utf8_put(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    ASSERT(cp <= 0x10FFFF);
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- Parser ---- */

struct jp {
    const uint8_t *s;
    size_t len;
    size_t pos;
    size_t depth_max;
    struct json_doc *doc;
    struct buf vstack; /* struct json_value: items of the arrays being parsed */
    struct buf mstack; /* struct json_member: members of the objects being parsed */
    struct errbuf *eb;
};

static int jp_fail(struct jp *jp, int code, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int jp_fail(struct jp *jp, int code, size_t off, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jp->doc->error_offset = off;
    return err_set(jp->eb, code, "json: %s at byte %zu", msg, off);
}

static int jp_nomem(struct jp *jp)
{
    return jp_fail(jp, ERR_NOMEM, jp->pos, "out of memory");
}

static void skip_ws(struct jp *jp)
{
    while (jp->pos < jp->len) {
        uint8_t c = jp->s[jp->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        jp->pos++;
    }
}

static int unexpected(struct jp *jp)
{
    if (jp->pos >= jp->len)
        return jp_fail(jp, ERR_MALFORMED, jp->len, "unexpected end of input");
    uint8_t c = jp->s[jp->pos];
    if (c > 0x20 && c < 0x7f)
        return jp_fail(jp, ERR_MALFORMED, jp->pos, "unexpected character '%c'", c);
    return jp_fail(jp, ERR_MALFORMED, jp->pos, "unexpected byte 0x%02x", c);
}

static int parse_value(struct jp *jp, struct json_value *out, size_t depth);

static int read_hex4(struct jp *jp, size_t at, uint32_t *out)
{
    if (jp->len - at < 4)
        return jp_fail(jp, ERR_MALFORMED, at, "invalid \\u escape");
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        uint8_t c = jp->s[at + k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return jp_fail(jp, ERR_MALFORMED, at, "invalid \\u escape");
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Reads the string starting at the '"' at pos into the arena. Decoded text is never longer than
 * its source, so the source length bounds the allocation. */
static int parse_string(struct jp *jp, const char **out, size_t *out_len)
{
    ASSERT(jp->s[jp->pos] == '"');
    size_t start = jp->pos + 1, end = start;
    while (end < jp->len && jp->s[end] != '"')
        end += jp->s[end] == '\\' ? 2 : 1;
    if (end >= jp->len)
        return jp_fail(jp, ERR_MALFORMED, jp->len, "unterminated string");
    char *dst = arena_alloc(jp->doc, end - start + 1);
    if (dst == NULL)
        return jp_nomem(jp);
    size_t o = 0, i = start;
    while (i < end) {
        uint8_t c = jp->s[i];
        if (c < 0x20)
            return jp_fail(jp, ERR_MALFORMED, i, "control character in string");
        if (c >= 0x80) {
            size_t k = json_utf8_seq_len(jp->s + i, end - i);
            if (k == 0)
                return jp_fail(jp, ERR_MALFORMED, i, "invalid UTF-8 in string");
            memcpy(dst + o, jp->s + i, k);
            o += k;
            i += k;
            continue;
        }
        if (c != '\\') {
            dst[o++] = (char)c;
            i++;
            continue;
        }
        uint8_t e = jp->s[i + 1]; /* i + 1 < end: the end scan skipped escapes in pairs */
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *hit = e != 0 ? strchr(from, e) : NULL;
        if (hit != NULL) {
            dst[o++] = to[hit - from];
            i += 2;
            continue;
        }
        if (e != 'u')
            return jp_fail(jp, ERR_MALFORMED, i, "invalid escape in string");
        uint32_t cp;
        int rc = read_hex4(jp, i + 2, &cp);
        if (rc != 0)
            return rc;
        size_t esc_at = i;
        i += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return jp_fail(jp, ERR_MALFORMED, esc_at, "lone surrogate in \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (end - i < 6 || jp->s[i] != '\\' || jp->s[i + 1] != 'u')
                return jp_fail(jp, ERR_MALFORMED, esc_at, "lone surrogate in \\u escape");
            rc = read_hex4(jp, i + 2, &lo);
            if (rc != 0)
                return rc;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return jp_fail(jp, ERR_MALFORMED, esc_at, "lone surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        o += utf8_put(dst + o, cp);
    }
    ASSERT(o <= end - start);
    dst[o] = '\0';
    *out = dst;
    *out_len = o;
    jp->pos = end + 1;
    return 0;
}

static int parse_number(struct jp *jp, struct json_value *out)
{
    size_t start = jp->pos, p = start;
    const uint8_t *s = jp->s;
    int neg = 0, integral = 1;
    if (s[p] == '-') {
        neg = 1;
        p++;
    }
    if (p < jp->len && s[p] == '0') {
        p++;
    } else if (p < jp->len && s[p] >= '1' && s[p] <= '9') {
        while (p < jp->len && s[p] >= '0' && s[p] <= '9')
            p++;
    } else {
        return jp_fail(jp, ERR_MALFORMED, p < jp->len ? p : jp->len, "invalid number");
    }
    if (p < jp->len && s[p] == '.') {
        integral = 0;
        p++;
        if (p >= jp->len || s[p] < '0' || s[p] > '9')
            return jp_fail(jp, ERR_MALFORMED, p, "invalid number: digit expected after '.'");
        while (p < jp->len && s[p] >= '0' && s[p] <= '9')
            p++;
    }
    if (p < jp->len && (s[p] == 'e' || s[p] == 'E')) {
        integral = 0;
        p++;
        if (p < jp->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= jp->len || s[p] < '0' || s[p] > '9')
            return jp_fail(jp, ERR_MALFORMED, p, "invalid number: digit expected in exponent");
        while (p < jp->len && s[p] >= '0' && s[p] <= '9')
            p++;
    }
    out->type = JSON_NUMBER;
    jp->pos = p;
    if (integral) {
        /* Magnitude up to 2^63 for negatives, 2^63 - 1 otherwise. */
        uint64_t mag = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        int fits = 1;
        for (size_t k = start + (size_t)neg; k < p && fits; k++) {
            unsigned d = (unsigned)(s[k] - '0');
            if (mag > (lim - d) / 10)
                fits = 0;
            else
                mag = mag * 10 + d;
        }
        if (fits) {
            out->u.num.is_int = 1;
            out->u.num.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
            out->u.num.d = neg ? -(double)mag : (double)mag;
            return 0;
        }
    }
    size_t n = p - start;
    char stackbuf[JSON_NUMBER_STACK_BYTES];
    char *tmp = n < sizeof stackbuf ? stackbuf : malloc(n + 1);
    if (tmp == NULL)
        return jp_nomem(jp);
    memcpy(tmp, s + start, n);
    tmp[n] = '\0';
    char *e;
    errno = 0;
    double d = strtod(tmp, &e);
    int erange = errno == ERANGE;
    /* The grammar above accepts a subset of what strtod reads. */
    ASSERT(e == tmp + n);
    if (tmp != stackbuf)
        free(tmp);
    if (erange && isinf(d))
        return jp_fail(jp, ERR_RANGE, start, "number out of range");
    out->u.num.is_int = 0;
    out->u.num.i = 0;
    out->u.num.d = d;
    return 0;
}

static int parse_literal(struct jp *jp, struct json_value *out)
{
    static const struct {
        const char *text;
        enum json_type type;
        int b;
    } lits[] = {{"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(lits[k].text);
        if (jp->len - jp->pos >= n && memcmp(jp->s + jp->pos, lits[k].text, n) == 0) {
            out->type = lits[k].type;
            out->u.boolean = lits[k].b;
            jp->pos += n;
            return 0;
        }
    }
    return jp_fail(jp, ERR_MALFORMED, jp->pos, "invalid literal");
}

static int enter(struct jp *jp, size_t depth)
{
    if (depth + 1 > jp->depth_max)
        return jp_fail(jp, ERR_TOOBIG, jp->pos, "nesting deeper than %zu", jp->depth_max);
    jp->pos++;
    return 0;
}

static int parse_array(struct jp *jp, struct json_value *out, size_t depth)
{
    int rc = enter(jp, depth);
    if (rc != 0)
        return rc;
    size_t base = jp->vstack.len;
    skip_ws(jp);
    if (jp->pos < jp->len && jp->s[jp->pos] == ']') {
        jp->pos++;
    } else {
        for (;;) {
            struct json_value v;
            rc = parse_value(jp, &v, depth + 1);
            if (rc != 0)
                return rc;
            if (buf_append(&jp->vstack, &v, sizeof v) != 0)
                return jp_nomem(jp);
            skip_ws(jp);
            if (jp->pos < jp->len && jp->s[jp->pos] == ',') {
                jp->pos++;
                continue;
            }
            if (jp->pos < jp->len && jp->s[jp->pos] == ']') {
                jp->pos++;
                break;
            }
            return jp->pos < jp->len
                       ? jp_fail(jp, ERR_MALFORMED, jp->pos, "expected ',' or ']' in array")
                       : unexpected(jp);
        }
    }
    size_t bytes = jp->vstack.len - base;
    struct json_value *items = NULL;
    if (bytes > 0) {
        items = arena_alloc(jp->doc, bytes);
        if (items == NULL)
            return jp_nomem(jp);
        memcpy(items, jp->vstack.data + base, bytes);
    }
    jp->vstack.len = base;
    out->type = JSON_ARRAY;
    out->u.arr.items = items;
    out->u.arr.n = bytes / sizeof(struct json_value);
    return 0;
}

static int parse_object(struct jp *jp, struct json_value *out, size_t depth)
{
    int rc = enter(jp, depth);
    if (rc != 0)
        return rc;
    size_t base = jp->mstack.len;
    skip_ws(jp);
    if (jp->pos < jp->len && jp->s[jp->pos] == '}') {
        jp->pos++;
    } else {
        for (;;) {
            struct json_member m;
            skip_ws(jp);
            if (jp->pos >= jp->len || jp->s[jp->pos] != '"')
                return jp->pos < jp->len
                           ? jp_fail(jp, ERR_MALFORMED, jp->pos, "expected a string key")
                           : unexpected(jp);
            rc = parse_string(jp, &m.key, &m.key_len);
            if (rc != 0)
                return rc;
            skip_ws(jp);
            if (jp->pos >= jp->len || jp->s[jp->pos] != ':')
                return jp->pos < jp->len
                           ? jp_fail(jp, ERR_MALFORMED, jp->pos, "expected ':' after key")
                           : unexpected(jp);
            jp->pos++;
            rc = parse_value(jp, &m.value, depth + 1);
            if (rc != 0)
                return rc;
            if (buf_append(&jp->mstack, &m, sizeof m) != 0)
                return jp_nomem(jp);
            skip_ws(jp);
            if (jp->pos < jp->len && jp->s[jp->pos] == ',') {
                jp->pos++;
                continue;
            }
            if (jp->pos < jp->len && jp->s[jp->pos] == '}') {
                jp->pos++;
                break;
            }
            return jp->pos < jp->len
                       ? jp_fail(jp, ERR_MALFORMED, jp->pos, "expected ',' or '}' in object")
                       : unexpected(jp);
        }
    }
    size_t bytes = jp->mstack.len - base;
    struct json_member *members = NULL;
    if (bytes > 0) {
        members = arena_alloc(jp->doc, bytes);
        if (members == NULL)
            return jp_nomem(jp);
        memcpy(members, jp->mstack.data + base, bytes);
    }
    jp->mstack.len = base;
    out->type = JSON_OBJECT;
    out->u.obj.members = members;
    out->u.obj.n = bytes / sizeof(struct json_member);
    return 0;
}

static int parse_value(struct jp *jp, struct json_value *out, size_t depth)
{
    memset(out, 0, sizeof *out);
    skip_ws(jp);
    if (jp->pos >= jp->len)
        return unexpected(jp);
    uint8_t c = jp->s[jp->pos];
    switch (c) {
    case '{':
        return parse_object(jp, out, depth);
    case '[':
        return parse_array(jp, out, depth);
    case '"':
        out->type = JSON_STRING;
        return parse_string(jp, &out->u.str.p, &out->u.str.len);
    case 't':
    case 'f':
    case 'n':
        return parse_literal(jp, out);
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return parse_number(jp, out);
        return unexpected(jp);
    }
}

int json_parse(struct json_doc *doc, const void *text, size_t len, const struct json_limits *lim,
               struct errbuf *eb)
{
    memset(doc, 0, sizeof *doc);
    struct jp jp = {.s = text, .len = len, .doc = doc, .eb = eb};
    size_t input_max =
        lim && lim->input_bytes_max ? lim->input_bytes_max : JSON_INPUT_BYTES_MAX_DEFAULT;
    jp.depth_max = lim && lim->depth_max ? lim->depth_max : JSON_DEPTH_MAX_DEFAULT;
    if (jp.depth_max > JSON_DEPTH_MAX_LIMIT)
        jp.depth_max = JSON_DEPTH_MAX_LIMIT;
    if (len > input_max)
        return jp_fail(&jp, ERR_TOOBIG, 0, "document of %zu bytes exceeds the limit of %zu", len,
                       input_max);
    struct json_value *root = arena_alloc(doc, sizeof *root);
    int rc = root ? parse_value(&jp, root, 0) : jp_nomem(&jp);
    if (rc == 0) {
        skip_ws(&jp);
        if (jp.pos != jp.len)
            rc = jp_fail(&jp, ERR_MALFORMED, jp.pos, "trailing characters after JSON value");
    }
    buf_free(&jp.vstack);
    buf_free(&jp.mstack);
    if (rc != 0) {
        size_t off = doc->error_offset;
        json_doc_free(doc);
        doc->error_offset = off;
        return rc;
    }
    doc->root = root;
    return 0;
}

/* ---- DOM access ---- */

const struct json_value *json_object_getn(const struct json_value *obj, const char *key,
                                          size_t key_len)
{
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = obj->u.obj.n; i > 0; i--) {
        const struct json_member *m = &obj->u.obj.members[i - 1];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return &m->value;
    }
    return NULL;
}

const struct json_value *json_object_get(const struct json_value *obj, const char *key)
{
    return json_object_getn(obj, key, strlen(key));
}

const struct json_value *json_array_at(const struct json_value *arr, size_t i)
{
    if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->u.arr.n)
        return NULL;
    return &arr->u.arr.items[i];
}

int json_get_string(const struct json_value *v, const char **p, size_t *len)
{
    if (v == NULL || v->type != JSON_STRING)
        return ERR_INVAL;
    *p = v->u.str.p;
    *len = v->u.str.len;
    return 0;
}

int json_get_int64(const struct json_value *v, int64_t *out)
{
    if (v == NULL || v->type != JSON_NUMBER || !v->u.num.is_int)
        return ERR_INVAL;
    *out = v->u.num.i;
    return 0;
}

int json_get_double(const struct json_value *v, double *out)
{
    if (v == NULL || v->type != JSON_NUMBER)
        return ERR_INVAL;
    *out = v->u.num.d;
    return 0;
}

int json_get_bool(const struct json_value *v, int *out)
{
    if (v == NULL || v->type != JSON_BOOL)
        return ERR_INVAL;
    *out = v->u.boolean;
    return 0;
}
