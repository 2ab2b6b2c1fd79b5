/* JSON writer: appends well-formed JSON to a struct buf, escaping strings so the output is always
 * valid UTF-8 JSON whatever bytes the caller passes. */
#include "proto/http/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

#define LEVEL_OBJECT   1u
#define LEVEL_NONEMPTY 2u

int json_append_string(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    size_t start_len = out->len;
    int rc = buf_reserve(out, len + 2);
    if (rc == 0)
        rc = buf_append_u8(out, '"');
    size_t i = 0, run = 0;
    while (rc == 0 && i < len) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = json_utf8_seq_len(p + i, len - i);
            if (k > 0) {
                i += k;
                continue;
            }
        }
        rc = buf_append(out, p + run, i - run);
        if (rc != 0)
            break;
        static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
        const char *hit = c != 0 ? strchr(from, c) : NULL;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        if (hit != NULL) {
            esc[1] = to[hit - from];
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        } else {
            /* Not well-formed UTF-8: U+FFFD REPLACEMENT CHARACTER. */
            memcpy(esc, "\xEF\xBF\xBD", 3);
            n = 3;
        }
        rc = buf_append(out, esc, n);
        i++;
        run = i;
    }
    if (rc == 0)
        rc = buf_append(out, p + run, len - run);
    if (rc == 0)
        rc = buf_append_u8(out, '"');
    if (rc != 0)
        out->len = start_len;
    return rc;
}

void json_writer_init(struct json_writer *w, struct buf *out)
{
    w->out = out;
    w->err = 0;
    w->depth = 0;
    w->after_key = 0;
    w->done = 0;
}

static void put(struct json_writer *w, const void *p, size_t n)
{
    if (w->err == 0)
        w->err = buf_append(w->out, p, n);
}

/* Separators and shape checks before any value. Returns 0 if the value should be written. */
static int before_value(struct json_writer *w)
{
    if (w->err != 0)
        return -1;
    if (w->depth == 0) {
        ASSERT(!w->done);
        return 0;
    }
    uint8_t *lvl = &w->levels[w->depth - 1];
    if (*lvl & LEVEL_OBJECT) {
        ASSERT(w->after_key);
        w->after_key = 0;
        return 0;
    }
    if (*lvl & LEVEL_NONEMPTY)
        put(w, ",", 1);
    *lvl |= LEVEL_NONEMPTY;
    return w->err != 0 ? -1 : 0;
}

static void after_value(struct json_writer *w)
{
    if (w->depth == 0)
        w->done = 1;
}

static void begin(struct json_writer *w, char open, uint8_t kind)
{
    if (before_value(w) != 0)
        return;
    if (w->depth == JSON_DEPTH_MAX_LIMIT) {
        w->err = ERR_TOOBIG;
        return;
    }
    put(w, &open, 1);
    w->levels[w->depth++] = kind;
}

static void end(struct json_writer *w, char close, uint8_t kind)
{
    if (w->err != 0)
        return;
    ASSERT(w->depth > 0 && (w->levels[w->depth - 1] & LEVEL_OBJECT) == kind && !w->after_key);
    put(w, &close, 1);
    w->depth--;
    after_value(w);
}

void json_write_object_begin(struct json_writer *w)
{
    begin(w, '{', LEVEL_OBJECT);
}

void json_write_object_end(struct json_writer *w)
{
    end(w, '}', LEVEL_OBJECT);
}

void json_write_array_begin(struct json_writer *w)
{
    begin(w, '[', 0);
}

void json_write_array_end(struct json_writer *w)
{
    end(w, ']', 0);
}

void json_write_keyn(struct json_writer *w, const char *key, size_t len)
{
    if (w->err != 0)
        return;
    ASSERT(w->depth > 0 && (w->levels[w->depth - 1] & LEVEL_OBJECT) && !w->after_key);
    uint8_t *lvl = &w->levels[w->depth - 1];
    if (*lvl & LEVEL_NONEMPTY)
        put(w, ",", 1);
    *lvl |= LEVEL_NONEMPTY;
    if (w->err == 0)
        w->err = json_append_string(w->out, key, len);
    put(w, ":", 1);
    w->after_key = 1;
}

void json_write_key(struct json_writer *w, const char *key)
{
    json_write_keyn(w, key, strlen(key));
}

void json_write_str(struct json_writer *w, const char *s, size_t len)
{
    if (before_value(w) != 0)
        return;
    w->err = json_append_string(w->out, s, len);
    after_value(w);
}

void json_write_cstr(struct json_writer *w, const char *s)
{
    json_write_str(w, s, strlen(s));
}

void json_write_int64(struct json_writer *w, int64_t v)
{
    if (before_value(w) != 0)
        return;
    w->err = buf_printf(w->out, "%" PRId64, v);
    after_value(w);
}

void json_write_uint64(struct json_writer *w, uint64_t v)
{
    if (before_value(w) != 0)
        return;
    w->err = buf_printf(w->out, "%" PRIu64, v);
    after_value(w);
}

void json_write_double(struct json_writer *w, double v)
{
    if (before_value(w) != 0)
        return;
    if (!isfinite(v)) {
        put(w, "null", 4);
        after_value(w);
        return;
    }
    /* The shortest %g precision that reads back exactly; 17 digits always do. */
    char tmp[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* Enough precision for every integer digit, so 100.0 prints as "100" and not "1e+02". */
    double mag = fabs(v);
    if (mag >= 1 && mag < 1e17) {
        int digits = (int)floor(log10(mag)) + 1;
        if (digits > prec)
            prec = digits;
    }
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    put(w, tmp, strlen(tmp));
    if (strpbrk(tmp, ".eE") == NULL)
        put(w, ".0", 2);
    after_value(w);
}

void json_write_bool(struct json_writer *w, int v)
{
    if (before_value(w) != 0)
        return;
    put(w, v ? "true" : "false", v ? 4 : 5);
    after_value(w);
}

void json_write_null(struct json_writer *w)
{
    if (before_value(w) != 0)
        return;
    put(w, "null", 4);
    after_value(w);
}

void json_write_value(struct json_writer *w, const struct json_value *v)
{
    switch (v->type) {
    case JSON_NULL:
        json_write_null(w);
        break;
    case JSON_BOOL:
        json_write_bool(w, v->u.boolean);
        break;
    case JSON_NUMBER:
        if (v->u.num.is_int)
            json_write_int64(w, v->u.num.i);
        else
            json_write_double(w, v->u.num.d);
        break;
    case JSON_STRING:
        json_write_str(w, v->u.str.p, v->u.str.len);
        break;
    case JSON_ARRAY:
        json_write_array_begin(w);
        for (size_t i = 0; i < v->u.arr.n && w->err == 0; i++)
            json_write_value(w, &v->u.arr.items[i]);
        json_write_array_end(w);
        break;
    case JSON_OBJECT:
        json_write_object_begin(w);
        for (size_t i = 0; i < v->u.obj.n && w->err == 0; i++) {
            const struct json_member *m = &v->u.obj.members[i];
            json_write_keyn(w, m->key, m->key_len);
            json_write_value(w, &m->value);
        }
        json_write_object_end(w);
        break;
    }
}

int json_writer_finish(struct json_writer *w)
{
    if (w->err != 0)
        return w->err;
    ASSERT(w->depth == 0 && w->done);
    return 0;
}
