/* PostgreSQL's string functions on UTF-8 text (characters, not bytes, where PostgreSQL counts
 * characters), its bytea helpers, POSIX regular expressions, format(), arrays as text, and
 * to_char for numbers. Case mapping is ASCII-only, as in a database with the C locale. */
#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/base64.h"
#include "sql/sql_func_int.h"

/* Longest regular expression compiled, in bytes (glibc's compiler is exponential in places). */
#define SQL_REGEX_PATTERN_BYTES_MAX 4096
/* Bound on regexp_replace/count iterations over one string. */
#define SQL_REGEX_MATCHES_MAX 1000000
/* Capture groups reported by regexp_match. */
#define SQL_REGEX_GROUPS_MAX 32

/* ---- arguments ---- */

/* Text of argument v as PostgreSQL's ::text would give it (numbers in their text, floats in
 * shortest form, bytea as \x hex). *len set; NULL for SQL NULL. The pointer lives in *tmp when
 * a conversion was needed (caller frees tmp), else in the sqlite3_value. */
static const char *sql_str_arg(sqlite3_value *v, int *len, struct buf *tmp)
{
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        return NULL;
    case SQLITE_FLOAT: {
        char text[SQL_FLOAT_TEXT_BYTES_MAX];
        size_t n = sql_format_float8(sqlite3_value_double(v), text);
        buf_reset(tmp);
        if (buf_append(tmp, text, n) != 0 || buf_append_u8(tmp, 0) != 0)
            return NULL;
        *len = (int)n;
        return (const char *)tmp->data;
    }
    case SQLITE_BLOB: {
        buf_reset(tmp);
        if (sql_value_to_pg_text(v, SQL_PG_BYTEA, tmp) != 0 || buf_append_u8(tmp, 0) != 0)
            return NULL;
        *len = (int)tmp->len - 1;
        return (const char *)tmp->data;
    }
    default: {
        const char *s = (const char *)sqlite3_value_text(v);
        *len = sqlite3_value_bytes(v);
        return s ? s : "";
    }
    }
}

/* Returns true (after setting a NULL result) when any of the first n arguments is NULL. */
static bool sql_str_any_null(sqlite3_context *ctx, int n, sqlite3_value **argv)
{
    for (int i = 0; i < n; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return true;
        }
    }
    return false;
}

static int sql_u8len(const unsigned char *s, int n)
{
    int l = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    return l > n ? n : l;
}

/* Splits s into character offsets: offs[i] is the byte offset of character i, offs[n] = len.
 * Returns the character count or -1 (out of memory; offs is malloc'd). */
static int64_t sql_str_chars(const char *s, int len, int **offs)
{
    int *o = malloc(((size_t)len + 1) * sizeof(int));
    if (o == NULL)
        return -1;
    int64_t n = 0;
    for (int i = 0; i < len;) {
        o[n++] = i;
        i += sql_u8len((const unsigned char *)s + i, len - i);
    }
    o[n] = len;
    *offs = o;
    return n;
}

/* ---- length, case ---- */

static void sql_fn_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
        sqlite3_result_int(ctx, sqlite3_value_bytes(argv[0]));
        return;
    }
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    if (s == NULL)
        sql_fn_nomem(ctx);
    else
        sqlite3_result_int64(ctx, sql_fn_utf8_chars((const unsigned char *)s, len));
    buf_free(&tmp);
}

static void sql_fn_octet_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf tmp = BUF_INIT;
    int len = 0;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
        len = sqlite3_value_bytes(argv[0]);
    else if (sql_str_arg(argv[0], &len, &tmp) == NULL)
        len = 0;
    sqlite3_result_int64(ctx, len);
    buf_free(&tmp);
}

static void sql_fn_bit_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf tmp = BUF_INIT;
    int len = 0;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
        len = sqlite3_value_bytes(argv[0]);
    else if (sql_str_arg(argv[0], &len, &tmp) == NULL)
        len = 0;
    sqlite3_result_int64(ctx, (int64_t)len * 8);
    buf_free(&tmp);
}

enum sql_case {
    SQL_CASE_LOWER,
    SQL_CASE_UPPER,
    SQL_CASE_INITCAP,
};

static void sql_case_common(sqlite3_context *ctx, sqlite3_value **argv, enum sql_case mode)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    char *r = s ? malloc((size_t)len + 1) : NULL;
    if (r == NULL) {
        buf_free(&tmp);
        sql_fn_nomem(ctx);
        return;
    }
    bool in_word = false;
    for (int i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (mode == SQL_CASE_LOWER) {
            r[i] = (char)(c < 0x80 ? tolower(c) : c);
        } else if (mode == SQL_CASE_UPPER) {
            r[i] = (char)(c < 0x80 ? toupper(c) : c);
        } else {
            bool alnum = c < 0x80 && isalnum(c);
            r[i] = (char)(c >= 0x80 ? c : in_word ? tolower(c) : toupper(c));
            in_word = alnum;
        }
    }
    sqlite3_result_text(ctx, r, len, free);
    buf_free(&tmp);
}

static void sql_fn_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_case_common(ctx, argv, SQL_CASE_LOWER);
}

static void sql_fn_upper(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_case_common(ctx, argv, SQL_CASE_UPPER);
}

static void sql_fn_initcap(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_case_common(ctx, argv, SQL_CASE_INITCAP);
}

/* ---- substrings ---- */

/* substr(s, start [, count]): characters start .. start+count-1, clipped to the string (start
 * may be zero or negative), as PostgreSQL's text_substring; bytes for bytea. */
static void sql_regexp_substring(sqlite3_context *ctx, sqlite3_value **argv);

static void sql_fn_substr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    if (argc == 2 && sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
        /* substring(s FROM pattern): a text second argument that is not a number */
        int64_t ignored;
        const char *t = (const char *)sqlite3_value_text(argv[1]);
        char *end = NULL;
        ignored = t ? strtoll(t, &end, 10) : 0;
        (void)ignored;
        if (t == NULL || end == t || *end != '\0') {
            sql_regexp_substring(ctx, argv);
            return;
        }
    }
    int64_t start = sqlite3_value_int64(argv[1]);
    bool has_count = argc > 2;
    int64_t count = has_count ? sqlite3_value_int64(argv[2]) : 0;
    if (has_count && count < 0) {
        sql_fn_error(ctx, "22011", "negative substring length not allowed");
        return;
    }
    /* [first, last) in 1-based positions */
    int64_t first = start, last;
    if (has_count) {
        if (__builtin_add_overflow(start, count, &last))
            last = INT64_MAX;
    } else {
        last = INT64_MAX;
    }
    if (first < 1)
        first = 1;
    bool blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB;
    if (blob) {
        const char *b = sqlite3_value_blob(argv[0]);
        int64_t n = sqlite3_value_bytes(argv[0]);
        if (last > n + 1)
            last = n + 1;
        if (last <= first) {
            sqlite3_result_zeroblob(ctx, 0);
            return;
        }
        sqlite3_result_blob64(ctx, b + first - 1, (sqlite3_uint64)(last - first), SQLITE_TRANSIENT);
        return;
    }
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    if (last <= first) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
    } else {
        const unsigned char *u = (const unsigned char *)s;
        int64_t b0 = sql_fn_utf8_offset(u, len, first - 1);
        int64_t b1 = last == INT64_MAX ? len : sql_fn_utf8_offset(u, len, last - 1);
        sqlite3_result_text(ctx, s + b0, (int)(b1 - b0), SQLITE_TRANSIENT);
    }
    buf_free(&tmp);
}

/* The 1-based character position of needle in hay, 0 if absent (1 for an empty needle). */
static int64_t sql_str_position(const char *hay, int hn, const char *needle, int nn)
{
    if (nn == 0)
        return 1;
    const char *p = memmem(hay, (size_t)hn, needle, (size_t)nn);
    if (p == NULL)
        return 0;
    return sql_fn_utf8_chars((const unsigned char *)hay, p - hay) + 1;
}

static void sql_position_common(sqlite3_context *ctx, sqlite3_value *needle_v, sqlite3_value *hay_v)
{
    if (sqlite3_value_type(needle_v) == SQLITE_BLOB && sqlite3_value_type(hay_v) == SQLITE_BLOB) {
        /* bytea: the 1-based byte position */
        size_t hn = (size_t)sqlite3_value_bytes(hay_v), nn = (size_t)sqlite3_value_bytes(needle_v);
        const void *hay = sqlite3_value_blob(hay_v), *needle = sqlite3_value_blob(needle_v);
        const uint8_t *at = nn == 0 ? hay : hn > 0 ? memmem(hay, hn, needle, nn) : NULL;
        sqlite3_result_int64(ctx, nn == 0 ? 1 : at ? at - (const uint8_t *)hay + 1 : 0);
        return;
    }
    struct buf t1 = BUF_INIT, t2 = BUF_INIT;
    int hn, nn;
    const char *hay = sql_str_arg(hay_v, &hn, &t1);
    const char *needle = sql_str_arg(needle_v, &nn, &t2);
    if (hay == NULL || needle == NULL)
        sql_fn_nomem(ctx);
    else
        sqlite3_result_int64(ctx, sql_str_position(hay, hn, needle, nn));
    buf_free(&t1);
    buf_free(&t2);
}

/* position(sub IN s) is pg_position(sub, s). */
static void sql_fn_position(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (!sql_str_any_null(ctx, 2, argv))
        sql_position_common(ctx, argv[0], argv[1]);
}

/* strpos(s, sub). */
static void sql_fn_strpos(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (!sql_str_any_null(ctx, 2, argv))
        sql_position_common(ctx, argv[1], argv[0]);
}

static void sql_left_right(sqlite3_context *ctx, sqlite3_value **argv, bool right)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    const unsigned char *u = (const unsigned char *)s;
    int64_t chars = sql_fn_utf8_chars(u, len);
    int64_t n = sqlite3_value_int64(argv[1]);
    /* n < 0 means all but |n| characters from the other end */
    int64_t keep = n >= 0 ? (n > chars ? chars : n) : (chars + n > 0 ? chars + n : 0);
    int64_t b0, b1;
    if (right) {
        b0 = sql_fn_utf8_offset(u, len, chars - keep);
        b1 = len;
    } else {
        b0 = 0;
        b1 = sql_fn_utf8_offset(u, len, keep);
    }
    sqlite3_result_text(ctx, s + b0, (int)(b1 - b0), SQLITE_TRANSIENT);
    buf_free(&tmp);
}

static void sql_fn_left(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_left_right(ctx, argv, false);
}

static void sql_fn_right(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_left_right(ctx, argv, true);
}

static void sql_pad(sqlite3_context *ctx, int argc, sqlite3_value **argv, bool left)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT, out = BUF_INIT;
    int len, flen = 1;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *fill = argc > 2 ? sql_str_arg(argv[2], &flen, &t2) : " ";
    int64_t target = sqlite3_value_int64(argv[1]);
    if (s == NULL || fill == NULL) {
        sql_fn_nomem(ctx);
        goto done;
    }
    if (target < 0)
        target = 0;
    const unsigned char *u = (const unsigned char *)s;
    int64_t chars = sql_fn_utf8_chars(u, len);
    if (chars >= target || flen == 0) {
        int64_t keep = chars < target ? chars : target;
        sqlite3_result_text(ctx, s, (int)sql_fn_utf8_offset(u, len, keep), SQLITE_TRANSIENT);
        goto done;
    }
    int64_t need = target - chars;
    if ((uint64_t)need * 4 + (uint64_t)len > SQL_FUNC_RESULT_BYTES_MAX) {
        sql_fn_error(ctx, "54000", "requested length too large");
        goto done;
    }
    int *foffs;
    int64_t fchars = sql_str_chars(fill, flen, &foffs);
    if (fchars < 0) {
        sql_fn_nomem(ctx);
        goto done;
    }
    int rc = 0;
    if (!left)
        rc = buf_append(&out, s, (size_t)len);
    for (int64_t i = 0; rc == 0 && i < need; i++) {
        int64_t k = i % fchars;
        rc = buf_append(&out, fill + foffs[k], (size_t)(foffs[k + 1] - foffs[k]));
    }
    if (rc == 0 && left)
        rc = buf_append(&out, s, (size_t)len);
    free(foffs);
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
done:
    buf_free(&out);
    buf_free(&t1);
    buf_free(&t2);
}

static void sql_fn_lpad(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_pad(ctx, argc, argv, true);
}

static void sql_fn_rpad(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_pad(ctx, argc, argv, false);
}

/* Whether the character at c (clen bytes) is one of the characters of set. */
static bool sql_in_set(const char *c, int clen, const char *set, int slen)
{
    for (int i = 0; i < slen;) {
        int l = sql_u8len((const unsigned char *)set + i, slen - i);
        if (l == clen && memcmp(set + i, c, (size_t)l) == 0)
            return true;
        i += l;
    }
    return false;
}

static void sql_trim_common(sqlite3_context *ctx, int argc, sqlite3_value **argv, bool lead,
                            bool trail)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT;
    int len, slen = 1;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *set = argc > 1 ? sql_str_arg(argv[1], &slen, &t2) : " ";
    int *offs = NULL;
    int64_t n = s && set ? sql_str_chars(s, len, &offs) : -1;
    if (n < 0) {
        sql_fn_nomem(ctx);
    } else {
        int64_t a = 0, b = n;
        while (lead && a < b && sql_in_set(s + offs[a], offs[a + 1] - offs[a], set, slen))
            a++;
        while (trail && b > a && sql_in_set(s + offs[b - 1], offs[b] - offs[b - 1], set, slen))
            b--;
        sqlite3_result_text(ctx, s + offs[a], offs[b] - offs[a], SQLITE_TRANSIENT);
    }
    free(offs);
    buf_free(&t1);
    buf_free(&t2);
}

static void sql_fn_ltrim(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_trim_common(ctx, argc, argv, true, false);
}

static void sql_fn_rtrim(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_trim_common(ctx, argc, argv, false, true);
}

static void sql_fn_btrim(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_trim_common(ctx, argc, argv, true, true);
}

static void sql_fn_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 3, argv))
        return;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT, t3 = BUF_INIT, out = BUF_INIT;
    int len, flen, tlen;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *from = sql_str_arg(argv[1], &flen, &t2);
    const char *to = sql_str_arg(argv[2], &tlen, &t3);
    int rc = s && from && to ? 0 : ERR_NOMEM;
    if (rc == 0 && flen == 0) {
        rc = buf_append(&out, s, (size_t)len);
    } else {
        for (int i = 0; rc == 0 && i < len;) {
            const char *p = memmem(s + i, (size_t)(len - i), from, (size_t)flen);
            if (p == NULL) {
                rc = buf_append(&out, s + i, (size_t)(len - i));
                break;
            }
            rc = buf_append(&out, s + i, (size_t)(p - (s + i)));
            if (rc == 0)
                rc = buf_append(&out, to, (size_t)tlen);
            if (out.len > SQL_FUNC_RESULT_BYTES_MAX)
                break;
            i = (int)(p - s) + flen;
        }
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
    buf_free(&t1);
    buf_free(&t2);
    buf_free(&t3);
}

static void sql_fn_repeat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    struct buf t1 = BUF_INIT, out = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    int64_t n = sqlite3_value_int64(argv[1]);
    if (s == NULL) {
        sql_fn_nomem(ctx);
    } else if (n > 0 && (uint64_t)len * (uint64_t)n > SQL_FUNC_RESULT_BYTES_MAX) {
        sql_fn_error(ctx, "54000", "requested length too large");
    } else {
        int rc = 0;
        for (int64_t i = 0; rc == 0 && i < n; i++)
            rc = buf_append(&out, s, (size_t)len);
        if (rc != 0)
            sql_fn_nomem(ctx);
        else
            sql_fn_result_buf_text(ctx, &out);
    }
    buf_free(&out);
    buf_free(&t1);
}

static void sql_fn_reverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf t1 = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    char *r = s ? malloc((size_t)len + 1) : NULL;
    if (r == NULL) {
        sql_fn_nomem(ctx);
    } else {
        int o = len;
        for (int i = 0; i < len;) {
            int l = sql_u8len((const unsigned char *)s + i, len - i);
            o -= l;
            memcpy(r + o, s + i, (size_t)l);
            i += l;
        }
        sqlite3_result_text(ctx, r, len, free);
    }
    buf_free(&t1);
}

static void sql_fn_split_part(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 3, argv))
        return;
    int64_t field = sqlite3_value_int64(argv[2]);
    if (field == 0) {
        sql_fn_error(ctx, "22023", "field position must not be zero");
        return;
    }
    struct buf t1 = BUF_INIT, t2 = BUF_INIT;
    int len, dlen;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *d = sql_str_arg(argv[1], &dlen, &t2);
    if (s == NULL || d == NULL) {
        sql_fn_nomem(ctx);
        goto done;
    }
    if (dlen == 0) {
        /* the whole string is the only field */
        if (field == 1 || field == -1)
            sqlite3_result_text(ctx, s, len, SQLITE_TRANSIENT);
        else
            sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        goto done;
    }
    /* count the fields, then pick one (negative counts from the end) */
    int64_t nfields = 1;
    for (const char *p = s; (p = memmem(p, (size_t)(s + len - p), d, (size_t)dlen)) != NULL;
         p += dlen)
        nfields++;
    if (field < 0)
        field = nfields + field + 1;
    if (field < 1 || field > nfields) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        goto done;
    }
    const char *start = s;
    for (int64_t k = 1; k < field; k++)
        start = (const char *)memmem(start, (size_t)(s + len - start), d, (size_t)dlen) + dlen;
    const char *end = memmem(start, (size_t)(s + len - start), d, (size_t)dlen);
    if (end == NULL)
        end = s + len;
    sqlite3_result_text(ctx, start, (int)(end - start), SQLITE_TRANSIENT);
done:
    buf_free(&t1);
    buf_free(&t2);
}

/* concat / concat_ws: NULL arguments are skipped. */
static void sql_concat_common(sqlite3_context *ctx, int argc, sqlite3_value **argv, int first,
                              const char *sep, int seplen)
{
    struct buf out = BUF_INIT, tmp = BUF_INIT;
    bool any = false;
    int rc = 0;
    for (int i = first; rc == 0 && i < argc; i++) {
        int len;
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            continue;
        const char *s = sql_str_arg(argv[i], &len, &tmp);
        if (s == NULL) {
            rc = ERR_NOMEM;
            break;
        }
        if (any && seplen > 0)
            rc = buf_append(&out, sep, (size_t)seplen);
        if (rc == 0)
            rc = buf_append(&out, s, (size_t)len);
        any = true;
        if (out.len > SQL_FUNC_RESULT_BYTES_MAX)
            break;
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
    buf_free(&tmp);
}

static void sql_fn_concat(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_concat_common(ctx, argc, argv, 0, "", 0);
}

static void sql_fn_concat_ws(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf tmp = BUF_INIT;
    int seplen;
    const char *sep = sql_str_arg(argv[0], &seplen, &tmp);
    if (sep == NULL) {
        sql_fn_nomem(ctx);
    } else {
        /* the separator may live in tmp; copy it before tmp is reused */
        char *copy = malloc((size_t)seplen + 1);
        if (copy == NULL) {
            sql_fn_nomem(ctx);
        } else {
            memcpy(copy, sep, (size_t)seplen);
            sql_concat_common(ctx, argc, argv, 1, copy, seplen);
            free(copy);
        }
    }
    buf_free(&tmp);
}

static void sql_fn_starts_with(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT;
    int len, plen;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *p = sql_str_arg(argv[1], &plen, &t2);
    if (s == NULL || p == NULL)
        sql_fn_nomem(ctx);
    else
        sqlite3_result_int(ctx, plen <= len && memcmp(s, p, (size_t)plen) == 0);
    buf_free(&t1);
    buf_free(&t2);
}

/* ---- convert_to / convert_from: text and its bytes in an encoding (the database's, UTF8) ---- */

/* Whether the encoding named by v is UTF8; else the error is set (dir: "to" / "from"). */
static bool sql_encoding_utf8(sqlite3_context *ctx, sqlite3_value *v, const char *dir)
{
    const char *name = (const char *)sqlite3_value_text(v);
    if (name != NULL && (strcasecmp(name, "UTF8") == 0 || strcasecmp(name, "UTF-8") == 0 ||
                         strcasecmp(name, "UNICODE") == 0))
        return true;
    sql_fn_error(ctx, "0A000", "conversion %s encoding \"%s\" is not supported", dir,
                 name ? name : "");
    return false;
}

/* The length of the valid UTF-8 sequence at s[0..n), or 0: overlong forms, surrogates, code
 * points past U+10FFFF and NUL are invalid, as in PostgreSQL's text. */
static int sql_utf8_valid_len(const unsigned char *s, int n)
{
    if (s[0] == 0)
        return 0;
    if (s[0] < 0x80)
        return 1;
    int len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

static void sql_fn_convert_to(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sql_str_any_null(ctx, 2, argv))
        return;
    if (!sql_encoding_utf8(ctx, argv[1], "to"))
        return;
    struct buf tmp = BUF_INIT;
    int len;
    const char *t = sql_str_arg(argv[0], &len, &tmp);
    if (t == NULL)
        sql_fn_nomem(ctx);
    else
        sqlite3_result_blob(ctx, t, len, SQLITE_TRANSIENT);
    buf_free(&tmp);
}

static void sql_fn_convert_from(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sql_str_any_null(ctx, 2, argv))
        return;
    if (!sql_encoding_utf8(ctx, argv[1], "from"))
        return;
    const unsigned char *b = sqlite3_value_type(argv[0]) == SQLITE_BLOB
                                 ? sqlite3_value_blob(argv[0])
                                 : sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    for (int i = 0; b != NULL && i < n;) {
        int l = sql_utf8_valid_len(b + i, n - i);
        if (l == 0) {
            sql_fn_error(ctx, "22021", "invalid byte sequence for encoding \"UTF8\": 0x%02x",
                         b[i]);
            return;
        }
        i += l;
    }
    sqlite3_result_text(ctx, b ? (const char *)b : "", n, SQLITE_TRANSIENT);
}

/* ---- md5 (RFC 1321) ---- */

struct sql_md5 {
    uint32_t a, b, c, d;
    uint64_t len;
    uint8_t block[64];
};

static uint32_t sql_md5_rotl(uint32_t x, int c)
{
    return (x << c) | (x >> (32 - c));
}

static void sql_md5_block(struct sql_md5 *m, const uint8_t *p)
{
    static const uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = m->a, b = m->b, c = m->c, d = m->d;
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + sql_md5_rotl(a + f + k[i] + w[g], r[i]);
        a = t;
    }
    m->a += a;
    m->b += b;
    m->c += c;
    m->d += d;
}

static void sql_md5(const uint8_t *p, size_t n, char hex[33])
{
    struct sql_md5 m = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0, {0}};
    size_t full = n / 64 * 64;
    for (size_t i = 0; i < full; i += 64)
        sql_md5_block(&m, p + i);
    uint8_t tail[128] = {0};
    size_t rest = n - full;
    memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    size_t tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 8 + i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tlen; i += 64)
        sql_md5_block(&m, tail + i);
    uint32_t words[4] = {m.a, m.b, m.c, m.d};
    for (int i = 0; i < 16; i++)
        sprintf(hex + 2 * i, "%02x", (words[i / 4] >> (8 * (i % 4))) & 0xff);
}

static void sql_fn_md5(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    char hex[33];
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
        sql_md5(sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), hex);
    } else {
        struct buf tmp = BUF_INIT;
        int len;
        const char *s = sql_str_arg(argv[0], &len, &tmp);
        if (s == NULL) {
            sql_fn_nomem(ctx);
            return;
        }
        sql_md5((const uint8_t *)s, (size_t)len, hex);
        buf_free(&tmp);
    }
    sqlite3_result_text(ctx, hex, 32, SQLITE_TRANSIENT);
}

/* ---- characters ---- */

static int sql_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static void sql_fn_chr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    int64_t cp = sqlite3_value_int64(argv[0]);
    if (cp < 0) {
        sql_fn_error(ctx, "22023", "character number must be positive");
        return;
    }
    if (cp == 0) {
        sql_fn_error(ctx, "54000", "null character not permitted");
        return;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        sql_fn_error(ctx, "54000", "requested character too large for encoding: %lld",
                     (long long)cp);
        return;
    }
    char out[4];
    int n = sql_utf8_encode((uint32_t)cp, out);
    sqlite3_result_text(ctx, out, n, SQLITE_TRANSIENT);
}

static void sql_fn_ascii(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    struct buf tmp = BUF_INIT;
    int len;
    const unsigned char *s = (const unsigned char *)sql_str_arg(argv[0], &len, &tmp);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    uint32_t cp = 0;
    if (len > 0) {
        int l = sql_u8len(s, len);
        cp = l == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> l));
        for (int i = 1; i < l; i++)
            cp = cp << 6 | (s[i] & 0x3F);
    }
    sqlite3_result_int64(ctx, cp);
    buf_free(&tmp);
}

/* to_hex: negative int4-range values in 32 bits (an integer literal is int4 in PostgreSQL). */
static void sql_fn_to_hex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 1, argv))
        return;
    int64_t v = sqlite3_value_int64(argv[0]);
    char out[24];
    if (v < 0 && v >= INT32_MIN)
        snprintf(out, sizeof(out), "%x", (uint32_t)v);
    else
        snprintf(out, sizeof(out), "%llx", (unsigned long long)v);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* ---- quoting ---- */

/* PostgreSQL's reserved keywords (and the type/function names it also quotes). */
static const char *const sql_reserved_words[] = {
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "coalesce",
    "dec",
    "decimal",
    "exists",
    "extract",
    "float",
    "greatest",
    "grouping",
    "inout",
    "int",
    "integer",
    "interval",
    "least",
    "national",
    "nchar",
    "none",
    "normalize",
    "nullif",
    "numeric",
    "out",
    "overlay",
    "position",
    "precision",
    "real",
    "row",
    "setof",
    "smallint",
    "substring",
    "time",
    "timestamp",
    "treat",
    "trim",
    "values",
    "varchar",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
};

static bool sql_ident_needs_quotes(const char *s, int len)
{
    if (len == 0 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return true;
    for (int i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '_'))
            return true;
    }
    for (size_t i = 0; i < sizeof(sql_reserved_words) / sizeof(sql_reserved_words[0]); i++) {
        if (strlen(sql_reserved_words[i]) == (size_t)len &&
            memcmp(sql_reserved_words[i], s, (size_t)len) == 0)
            return true;
    }
    return false;
}

static int sql_quote_ident_buf(const char *s, int len, struct buf *out)
{
    if (!sql_ident_needs_quotes(s, len))
        return buf_append(out, s, (size_t)len);
    int rc = buf_append_u8(out, '"');
    for (int i = 0; rc == 0 && i < len; i++) {
        if (s[i] == '"')
            rc = buf_append_u8(out, '"');
        if (rc == 0)
            rc = buf_append_u8(out, (uint8_t)s[i]);
    }
    return rc == 0 ? buf_append_u8(out, '"') : rc;
}

static int sql_quote_literal_buf(const char *s, int len, struct buf *out)
{
    int rc = 0;
    if (memchr(s, '\\', (size_t)len) != NULL)
        rc = buf_append_u8(out, 'E');
    if (rc == 0)
        rc = buf_append_u8(out, '\'');
    for (int i = 0; rc == 0 && i < len; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            rc = buf_append_u8(out, (uint8_t)s[i]);
        if (rc == 0)
            rc = buf_append_u8(out, (uint8_t)s[i]);
    }
    return rc == 0 ? buf_append_u8(out, '\'') : rc;
}

static void sql_quote_common(sqlite3_context *ctx, sqlite3_value **argv, int which)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        if (which == 2)
            sqlite3_result_text(ctx, "NULL", 4, SQLITE_STATIC);
        else
            sqlite3_result_null(ctx);
        return;
    }
    struct buf tmp = BUF_INIT, out = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    int rc = s == NULL    ? ERR_NOMEM
             : which == 0 ? sql_quote_ident_buf(s, len, &out)
                          : sql_quote_literal_buf(s, len, &out);
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
    buf_free(&tmp);
}

static void sql_fn_quote_ident(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_quote_common(ctx, argv, 0);
}

static void sql_fn_quote_literal(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_quote_common(ctx, argv, 1);
}

static void sql_fn_quote_nullable(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_quote_common(ctx, argv, 2);
}

/* ---- format() ---- */

static void sql_fn_format(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    struct buf fmt_tmp = BUF_INIT, tmp = BUF_INIT, out = BUF_INIT, piece = BUF_INIT;
    int flen;
    const char *f = sql_str_arg(argv[0], &flen, &fmt_tmp);
    int next = 1; /* the next argument */
    int rc = f ? 0 : ERR_NOMEM;
    for (int i = 0; rc == 0 && i < flen; i++) {
        if (f[i] != '%') {
            rc = buf_append_u8(&out, (uint8_t)f[i]);
            continue;
        }
        if (++i >= flen) {
            sql_fn_error(ctx, "22023", "unterminated format() type specifier");
            goto done;
        }
        if (f[i] == '%') {
            rc = buf_append_u8(&out, '%');
            continue;
        }
        /* [argpos$][-][width|*|*n$]type */
        int pos = 0;
        int j = i;
        while (j < flen && isdigit((unsigned char)f[j]))
            j++;
        if (j < flen && f[j] == '$' && j > i) {
            pos = atoi(f + i);
            if (pos < 1) {
                sql_fn_error(ctx, "22023",
                             "format specifies argument 0, but arguments are "
                             "numbered from 1");
                goto done;
            }
            i = j + 1;
        }
        bool minus = false;
        if (i < flen && f[i] == '-') {
            minus = true;
            i++;
        }
        int64_t width = 0;
        if (i < flen && f[i] == '*') {
            i++;
            int wpos = 0;
            j = i;
            while (j < flen && isdigit((unsigned char)f[j]))
                j++;
            if (j < flen && f[j] == '$' && j > i) {
                wpos = atoi(f + i);
                i = j + 1;
            } else {
                wpos = next++;
            }
            if (wpos >= argc) {
                sql_fn_error(ctx, "22023", "too few arguments for format()");
                goto done;
            }
            width = sqlite3_value_int64(argv[wpos]);
            if (width < 0) {
                minus = true;
                width = -width;
            }
        } else {
            while (i < flen && isdigit((unsigned char)f[i])) {
                if (width < 100000000)
                    width = width * 10 + (f[i] - '0');
                i++;
            }
        }
        if (i >= flen) {
            sql_fn_error(ctx, "22023", "unterminated format() type specifier");
            goto done;
        }
        char type = f[i];
        if (type != 's' && type != 'I' && type != 'L') {
            sql_fn_error(ctx, "22023", "unrecognized format() type specifier \"%c\"", type);
            goto done;
        }
        int argi = pos > 0 ? pos : next;
        next = argi + 1;
        if (argi >= argc) {
            sql_fn_error(ctx, "22023", "too few arguments for format()");
            goto done;
        }
        buf_reset(&piece);
        bool isnull = sqlite3_value_type(argv[argi]) == SQLITE_NULL;
        if (type == 'I' && isnull) {
            sql_fn_error(ctx, "22004", "null values cannot be formatted as an SQL identifier");
            goto done;
        }
        if (isnull) {
            if (type == 'L')
                rc = buf_append(&piece, "NULL", 4);
        } else {
            int len;
            const char *s = sql_str_arg(argv[argi], &len, &tmp);
            if (s == NULL)
                rc = ERR_NOMEM;
            else if (type == 's')
                rc = buf_append(&piece, s, (size_t)len);
            else if (type == 'I')
                rc = sql_quote_ident_buf(s, len, &piece);
            else
                rc = sql_quote_literal_buf(s, len, &piece);
        }
        int64_t chars = sql_fn_utf8_chars(piece.data, (int64_t)piece.len);
        if (width > SQL_FUNC_RESULT_BYTES_MAX) {
            sql_fn_error(ctx, "54000", "requested length too large");
            goto done;
        }
        for (int64_t k = chars; rc == 0 && !minus && k < width; k++)
            rc = buf_append_u8(&out, ' ');
        if (rc == 0 && piece.len > 0)
            rc = buf_append(&out, piece.data, piece.len);
        for (int64_t k = chars; rc == 0 && minus && k < width; k++)
            rc = buf_append_u8(&out, ' ');
        if (out.len > SQL_FUNC_RESULT_BYTES_MAX) {
            sql_fn_error(ctx, "54000", "requested length too large");
            goto done;
        }
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
done:
    buf_free(&out);
    buf_free(&piece);
    buf_free(&tmp);
    buf_free(&fmt_tmp);
}

/* ---- regular expressions ---- */

struct sql_regex {
    regex_t re;
    int cflags;
    int ngroups;
};

static void sql_regex_free(void *p)
{
    struct sql_regex *r = p;
    regfree(&r->re);
    free(r);
}

/* Rewrites the escapes of PostgreSQL's advanced regular expressions that POSIX ERE lacks
 * (\d \D \s \S \w \W, and \. style escapes of ordinary characters) into ERE. */
static int sql_regex_translate(const char *p, int n, struct buf *out)
{
    bool in_bracket = false;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        char c = p[i];
        if (in_bracket) {
            if (c == ']' &&
                !(i > 0 && (p[i - 1] == '[' || (p[i - 1] == '^' && i > 1 && p[i - 2] == '[')))) {
                in_bracket = false;
                rc = buf_append_u8(out, ']');
                continue;
            }
            if (c == '\\' && i + 1 < n) {
                char e = p[++i];
                const char *rep = e == 'd'   ? "0-9"
                                  : e == 's' ? "[:space:]"
                                  : e == 'w' ? "[:alnum:]_"
                                             : NULL;
                if (rep)
                    rc = buf_append(out, rep, strlen(rep));
                else
                    rc = buf_append_u8(out, (uint8_t)e);
                continue;
            }
            rc = buf_append_u8(out, (uint8_t)c);
            continue;
        }
        if (c == '[') {
            in_bracket = true;
            rc = buf_append_u8(out, '[');
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char e = p[++i];
            const char *rep = NULL;
            switch (e) {
            case 'd':
                rep = "[0-9]";
                break;
            case 'D':
                rep = "[^0-9]";
                break;
            case 's':
                rep = "[[:space:]]";
                break;
            case 'S':
                rep = "[^[:space:]]";
                break;
            case 'w':
                rep = "[[:alnum:]_]";
                break;
            case 'W':
                rep = "[^[:alnum:]_]";
                break;
            case 'n':
                rep = "\n";
                break;
            case 't':
                rep = "\t";
                break;
            default:
                break;
            }
            if (rep != NULL) {
                rc = buf_append(out, rep, strlen(rep));
            } else {
                rc = buf_append_u8(out, '\\');
                if (rc == 0)
                    rc = buf_append_u8(out, (uint8_t)e);
            }
            continue;
        }
        rc = buf_append_u8(out, (uint8_t)c);
    }
    return rc == 0 ? buf_append_u8(out, 0) : rc;
}

/* Parses PostgreSQL regex flags. Returns false (after an error) for an unknown flag. */
static bool sql_regex_flags(sqlite3_context *ctx, const char *flags, int *cflags, bool *global)
{
    *cflags = REG_EXTENDED;
    *global = false;
    for (const char *p = flags; p && *p; p++) {
        switch (*p) {
        case 'g':
            *global = true;
            break;
        case 'i':
            *cflags |= REG_ICASE;
            break;
        case 'c':
            *cflags &= ~REG_ICASE;
            break;
        case 'n':
        case 'm':
            *cflags |= REG_NEWLINE;
            break;
        case 's':
            *cflags &= ~REG_NEWLINE;
            break;
        default:
            sql_fn_error(ctx, "22023", "invalid regular expression option: \"%c\"", *p);
            return false;
        }
    }
    return true;
}

/* The compiled pattern of argument pat_arg, cached on the statement when it is constant. */
static struct sql_regex *sql_regex_get(sqlite3_context *ctx, sqlite3_value **argv, int pat_arg,
                                       int cflags, bool *owned)
{
    *owned = false;
    struct sql_regex *r = sqlite3_get_auxdata(ctx, pat_arg);
    if (r != NULL && r->cflags == cflags)
        return r;
    int plen = sqlite3_value_bytes(argv[pat_arg]);
    const char *pat = (const char *)sqlite3_value_text(argv[pat_arg]);
    if (pat == NULL) {
        sql_fn_nomem(ctx);
        return NULL;
    }
    if (plen > SQL_REGEX_PATTERN_BYTES_MAX) {
        sql_fn_error(ctx, "54000", "regular expression is too long");
        return NULL;
    }
    struct buf ere = BUF_INIT;
    r = malloc(sizeof(*r));
    if (r == NULL || sql_regex_translate(pat, plen, &ere) != 0) {
        free(r);
        buf_free(&ere);
        sql_fn_nomem(ctx);
        return NULL;
    }
    int rc = regcomp(&r->re, (const char *)ere.data, cflags);
    buf_free(&ere);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &r->re, msg, sizeof(msg));
        free(r);
        sql_fn_error(ctx, "2201B", "invalid regular expression: %s", msg);
        return NULL;
    }
    r->cflags = cflags;
    r->ngroups = (int)r->re.re_nsub;
    /* SQLite keeps it while the argument stays constant, or frees it at once */
    sqlite3_set_auxdata(ctx, pat_arg, r, sql_regex_free);
    struct sql_regex *cached = sqlite3_get_auxdata(ctx, pat_arg);
    if (cached == r)
        return r;
    /* not cached (and already freed by SQLite): compile a private copy */
    r = malloc(sizeof(*r));
    if (r == NULL) {
        sql_fn_nomem(ctx);
        return NULL;
    }
    ere = (struct buf)BUF_INIT;
    if (sql_regex_translate(pat, plen, &ere) != 0 ||
        regcomp(&r->re, (const char *)ere.data, cflags) != 0) {
        buf_free(&ere);
        free(r);
        sql_fn_nomem(ctx);
        return NULL;
    }
    buf_free(&ere);
    r->cflags = cflags;
    r->ngroups = (int)r->re.re_nsub;
    *owned = true;
    return r;
}

static void sql_regex_release(struct sql_regex *r, bool owned)
{
    if (owned)
        sql_regex_free(r);
}

/* regexp_like(s, pattern [, flags]), the ~ operator. */
static void sql_fn_regexp_like(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    int cflags;
    bool global, owned;
    if (!sql_regex_flags(ctx, argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL, &cflags,
                         &global))
        return;
    struct sql_regex *r = sql_regex_get(ctx, argv, 1, cflags | REG_NOSUB, &owned);
    if (r == NULL)
        return;
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &tmp);
    if (s == NULL)
        sql_fn_nomem(ctx);
    else
        sqlite3_result_int(ctx, regexec(&r->re, s, 0, NULL, 0) == 0);
    buf_free(&tmp);
    sql_regex_release(r, owned);
}

/* Appends the replacement with \1..\9 and \& substituted. */
static int sql_regex_subst(struct buf *out, const char *s, const regmatch_t *m, int ngroups,
                           const char *rep, int rlen)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < rlen; i++) {
        if (rep[i] == '\\' && i + 1 < rlen) {
            char e = rep[i + 1];
            int g = -1;
            if (e >= '1' && e <= '9')
                g = e - '0';
            else if (e == '&')
                g = 0;
            if (g >= 0) {
                i++;
                if (g <= ngroups && m[g].rm_so >= 0)
                    rc = buf_append(out, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
                continue;
            }
            if (e == '\\') {
                i++;
                rc = buf_append_u8(out, '\\');
                continue;
            }
        }
        rc = buf_append_u8(out, (uint8_t)rep[i]);
    }
    return rc;
}

static void sql_fn_regexp_replace(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    int cflags;
    bool global, owned;
    if (!sql_regex_flags(ctx, argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : NULL, &cflags,
                         &global))
        return;
    struct sql_regex *r = sql_regex_get(ctx, argv, 1, cflags, &owned);
    if (r == NULL)
        return;
    struct buf t1 = BUF_INIT, t3 = BUF_INIT, out = BUF_INIT;
    int len, rlen;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *rep = sql_str_arg(argv[2], &rlen, &t3);
    regmatch_t m[10];
    int rc = s && rep ? 0 : ERR_NOMEM;
    int pos = 0;
    for (int iter = 0; rc == 0 && pos <= len && iter < SQL_REGEX_MATCHES_MAX; iter++) {
        int eflags = pos > 0 ? REG_NOTBOL : 0;
        if (regexec(&r->re, s + pos, 10, m, eflags) != 0)
            break;
        /* offsets relative to s */
        for (int g = 0; g < 10; g++) {
            if (m[g].rm_so >= 0) {
                m[g].rm_so += pos;
                m[g].rm_eo += pos;
            }
        }
        rc = buf_append(&out, s + pos, (size_t)(m[0].rm_so - pos));
        if (rc == 0)
            rc = sql_regex_subst(&out, s, m, r->ngroups < 9 ? r->ngroups : 9, rep, rlen);
        if (m[0].rm_eo == m[0].rm_so) {
            /* an empty match: copy one character and go on */
            if (m[0].rm_eo < len && rc == 0) {
                int l = sql_u8len((const unsigned char *)s + m[0].rm_eo, len - (int)m[0].rm_eo);
                rc = buf_append(&out, s + m[0].rm_eo, (size_t)l);
                pos = (int)m[0].rm_eo + l;
            } else {
                pos = len + 1;
            }
        } else {
            pos = (int)m[0].rm_eo;
        }
        if (!global || out.len > SQL_FUNC_RESULT_BYTES_MAX)
            break;
    }
    if (rc == 0 && pos < len)
        rc = buf_append(&out, s + pos, (size_t)(len - pos));
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
    buf_free(&t1);
    buf_free(&t3);
    sql_regex_release(r, owned);
}

/* ---- arrays as PostgreSQL's text ---- */

/* Appends one element of an array literal, quoted when PostgreSQL would quote it. */
int sql_fn_array_elem(struct buf *out, const char *s, int len)
{
    bool quote = len == 0 || (len == 4 && strncasecmp(s, "null", 4) == 0);
    for (int i = 0; !quote && i < len; i++) {
        char c = s[i];
        quote =
            c == ',' || c == '{' || c == '}' || c == '"' || c == '\\' || isspace((unsigned char)c);
    }
    if (!quote)
        return buf_append(out, s, (size_t)len);
    int rc = buf_append_u8(out, '"');
    for (int i = 0; rc == 0 && i < len; i++) {
        if (s[i] == '"' || s[i] == '\\')
            rc = buf_append_u8(out, '\\');
        if (rc == 0)
            rc = buf_append_u8(out, (uint8_t)s[i]);
    }
    return rc == 0 ? buf_append_u8(out, '"') : rc;
}

int sql_fn_array_append(struct buf *out, sqlite3_value *v, bool first);
/* Appends value v as the next element of an array literal being built in out ('{' written by
 * the caller when first). */
int sql_fn_array_append(struct buf *out, sqlite3_value *v, bool first)
{
    int rc = first ? 0 : buf_append_u8(out, ',');
    if (rc != 0)
        return rc;
    if (sqlite3_value_type(v) == SQLITE_NULL)
        return buf_append(out, "NULL", 4);
    struct buf tmp = BUF_INIT;
    int len;
    const char *s = sql_str_arg(v, &len, &tmp);
    rc = s ? sql_fn_array_elem(out, s, len) : ERR_NOMEM;
    buf_free(&tmp);
    return rc;
}

/* Parses a one-dimensional array literal '{a,"b c",NULL}'. Calls fn for each element (elem
 * NULL for NULL). Returns 0 or ERR_MALFORMED. */
int sql_fn_array_parse(const char *s, int len, int (*fn)(void *arg, const char *elem, int elen),
                       void *arg)
{
    int i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i >= len || s[i] != '{')
        return ERR_MALFORMED;
    i++;
    struct buf el = BUF_INIT;
    int rc = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i < len && s[i] == '}') {
        i++;
        goto end;
    }
    for (;;) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        buf_reset(&el);
        bool quoted = false;
        if (i < len && s[i] == '"') {
            quoted = true;
            i++;
            while (i < len && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < len)
                    i++;
                if (buf_append_u8(&el, (uint8_t)s[i]) != 0) {
                    rc = ERR_NOMEM;
                    goto end;
                }
                i++;
            }
            if (i >= len) {
                rc = ERR_MALFORMED;
                goto end;
            }
            i++;
        } else {
            while (i < len && s[i] != ',' && s[i] != '}') {
                if (s[i] == '\\' && i + 1 < len)
                    i++;
                if (buf_append_u8(&el, (uint8_t)s[i]) != 0) {
                    rc = ERR_NOMEM;
                    goto end;
                }
                i++;
            }
            while (el.len > 0 && isspace(el.data[el.len - 1]))
                el.len--;
        }
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        bool is_null = !quoted && el.len == 4 && strncasecmp((const char *)el.data, "null", 4) == 0;
        rc = fn(arg, is_null ? NULL : (el.len ? (const char *)el.data : ""), (int)el.len);
        if (rc != 0)
            goto end;
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len && s[i] == '}') {
            i++;
            break;
        }
        rc = ERR_MALFORMED;
        goto end;
    }
end:
    buf_free(&el);
    if (rc == 0) {
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (i != len)
            rc = ERR_MALFORMED;
    }
    return rc;
}

struct sql_a2s {
    struct buf *out;
    const char *sep, *null_str;
    int seplen, null_len;
    bool any;
};

static int sql_a2s_elem(void *arg, const char *elem, int elen)
{
    struct sql_a2s *a = arg;
    if (elem == NULL && a->null_str == NULL)
        return 0;
    int rc = a->any ? buf_append(a->out, a->sep, (size_t)a->seplen) : 0;
    a->any = true;
    if (rc == 0)
        rc = elem ? buf_append(a->out, elem, (size_t)elen)
                  : buf_append(a->out, a->null_str, (size_t)a->null_len);
    return rc;
}

static void sql_fn_array_to_string(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    struct buf out = BUF_INIT;
    struct sql_a2s a = {&out, NULL, NULL, 0, 0, false};
    a.sep = (const char *)sqlite3_value_text(argv[1]);
    a.seplen = sqlite3_value_bytes(argv[1]);
    if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
        a.null_str = (const char *)sqlite3_value_text(argv[2]);
        a.null_len = sqlite3_value_bytes(argv[2]);
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    int rc = s && a.sep ? sql_fn_array_parse(s, sqlite3_value_bytes(argv[0]), sql_a2s_elem, &a)
                        : ERR_NOMEM;
    if (rc == ERR_MALFORMED)
        sql_fn_error(ctx, "22P02", "malformed array literal: \"%s\"", s);
    else if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
}

static void sql_fn_string_to_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    struct buf t1 = BUF_INIT, out = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    bool split_chars = sqlite3_value_type(argv[1]) == SQLITE_NULL;
    const char *d = split_chars ? "" : (const char *)sqlite3_value_text(argv[1]);
    int dlen = split_chars ? 0 : sqlite3_value_bytes(argv[1]);
    const char *null_str = argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL
                               ? (const char *)sqlite3_value_text(argv[2])
                               : NULL;
    int null_len = null_str ? (int)strlen(null_str) : 0;
    int rc = s && d ? buf_append_u8(&out, '{') : ERR_NOMEM;
    bool first = true;
    int i = 0;
    while (rc == 0 && len > 0 && i <= len) {
        int end, next;
        if (split_chars) {
            if (i >= len)
                break;
            end = i + sql_u8len((const unsigned char *)s + i, len - i);
            next = end;
        } else if (dlen == 0) {
            end = len;
            next = len + 1;
        } else {
            const char *p = memmem(s + i, (size_t)(len - i), d, (size_t)dlen);
            end = p ? (int)(p - s) : len;
            next = p ? end + dlen : len + 1;
        }
        if (!first)
            rc = buf_append_u8(&out, ',');
        first = false;
        if (rc == 0) {
            if (null_str && end - i == null_len && memcmp(s + i, null_str, (size_t)null_len) == 0)
                rc = buf_append(&out, "NULL", 4);
            else
                rc = sql_fn_array_elem(&out, s + i, end - i);
        }
        i = next;
    }
    if (rc == 0)
        rc = buf_append_u8(&out, '}');
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
    buf_free(&t1);
}

/* regexp_match(s, pattern [, flags]): the first match's groups as a text array (the whole match
 * when there are none), NULL when it does not match. */
static void sql_fn_regexp_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    int cflags;
    bool global, owned;
    if (!sql_regex_flags(ctx, argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL, &cflags,
                         &global))
        return;
    if (global) {
        sql_fn_error(ctx, "22023", "regexp_match() does not support the \"global\" option");
        return;
    }
    struct sql_regex *r = sql_regex_get(ctx, argv, 1, cflags, &owned);
    if (r == NULL)
        return;
    struct buf t1 = BUF_INIT, out = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    regmatch_t m[SQL_REGEX_GROUPS_MAX + 1];
    if (s == NULL) {
        sql_fn_nomem(ctx);
    } else if (regexec(&r->re, s, SQL_REGEX_GROUPS_MAX + 1, m, 0) != 0) {
        sqlite3_result_null(ctx);
    } else {
        int rc = buf_append_u8(&out, '{');
        int ng = r->ngroups > SQL_REGEX_GROUPS_MAX ? SQL_REGEX_GROUPS_MAX : r->ngroups;
        int g0 = ng == 0 ? 0 : 1, g1 = ng == 0 ? 0 : ng;
        for (int g = g0; rc == 0 && g <= g1; g++) {
            if (g > g0)
                rc = buf_append_u8(&out, ',');
            if (rc != 0)
                break;
            if (m[g].rm_so < 0)
                rc = buf_append(&out, "NULL", 4);
            else
                rc = sql_fn_array_elem(&out, s + m[g].rm_so, (int)(m[g].rm_eo - m[g].rm_so));
        }
        if (rc == 0)
            rc = buf_append_u8(&out, '}');
        if (rc != 0)
            sql_fn_nomem(ctx);
        else
            sql_fn_result_buf_text(ctx, &out);
    }
    buf_free(&out);
    buf_free(&t1);
    sql_regex_release(r, owned);
}

/* substring(s FROM pattern): the first parenthesized group's match (the whole match when there
 * is none), NULL when the pattern does not match. */
static void sql_regexp_substring(sqlite3_context *ctx, sqlite3_value **argv)
{
    bool owned;
    struct sql_regex *r = sql_regex_get(ctx, argv, 1, REG_EXTENDED, &owned);
    if (r == NULL)
        return;
    struct buf t1 = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    regmatch_t m[2];
    if (s == NULL) {
        sql_fn_nomem(ctx);
    } else if (regexec(&r->re, s, 2, m, 0) != 0) {
        sqlite3_result_null(ctx);
    } else {
        int g = r->ngroups > 0 ? 1 : 0;
        if (m[g].rm_so < 0)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_text(ctx, s + m[g].rm_so, (int)(m[g].rm_eo - m[g].rm_so),
                                SQLITE_TRANSIENT);
    }
    buf_free(&t1);
    sql_regex_release(r, owned);
}

/* regexp_count(s, pattern [, start [, flags]]). */
static void sql_fn_regexp_count(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, argc, argv))
        return;
    int cflags;
    bool global, owned;
    if (!sql_regex_flags(ctx, argc > 3 ? (const char *)sqlite3_value_text(argv[3]) : NULL, &cflags,
                         &global))
        return;
    int64_t start = argc > 2 ? sqlite3_value_int64(argv[2]) : 1;
    if (start <= 0) {
        sql_fn_error(ctx, "22023", "invalid value for parameter \"start\": %lld", (long long)start);
        return;
    }
    struct sql_regex *r = sql_regex_get(ctx, argv, 1, cflags, &owned);
    if (r == NULL)
        return;
    struct buf t1 = BUF_INIT;
    int len;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    if (s == NULL) {
        sql_fn_nomem(ctx);
    } else {
        int pos = (int)sql_fn_utf8_offset((const unsigned char *)s, len, start - 1);
        int64_t count = 0;
        regmatch_t m[1];
        for (int iter = 0; pos <= len && iter < SQL_REGEX_MATCHES_MAX; iter++) {
            if (regexec(&r->re, s + pos, 1, m, pos > 0 ? REG_NOTBOL : 0) != 0)
                break;
            count++;
            int adv = (int)m[0].rm_eo;
            pos += adv > 0 ? adv : 1;
        }
        sqlite3_result_int64(ctx, count);
    }
    buf_free(&t1);
    sql_regex_release(r, owned);
}

static void sql_fn_translate(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 3, argv))
        return;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT, t3 = BUF_INIT, out = BUF_INIT;
    int len, flen, tlen;
    const char *s = sql_str_arg(argv[0], &len, &t1);
    const char *from = sql_str_arg(argv[1], &flen, &t2);
    const char *to = sql_str_arg(argv[2], &tlen, &t3);
    int *fo = NULL, *to_o = NULL;
    int64_t fn = from ? sql_str_chars(from, flen, &fo) : -1;
    int64_t tn = to ? sql_str_chars(to, tlen, &to_o) : -1;
    int rc = s && fn >= 0 && tn >= 0 ? 0 : ERR_NOMEM;
    for (int i = 0; rc == 0 && i < len;) {
        int l = sql_u8len((const unsigned char *)s + i, len - i);
        int64_t k = 0;
        for (; k < fn; k++) {
            if (fo[k + 1] - fo[k] == l && memcmp(from + fo[k], s + i, (size_t)l) == 0)
                break;
        }
        if (k == fn)
            rc = buf_append(&out, s + i, (size_t)l);
        else if (k < tn)
            rc = buf_append(&out, to + to_o[k], (size_t)(to_o[k + 1] - to_o[k]));
        i += l;
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    free(fo);
    free(to_o);
    buf_free(&out);
    buf_free(&t1);
    buf_free(&t2);
    buf_free(&t3);
}

/* ---- encode / decode ---- */

static void sql_fn_encode(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    const unsigned char *p;
    int n;
    struct buf tmp = BUF_INIT, out = BUF_INIT;
    if (sqlite3_value_type(argv[0]) == SQLITE_BLOB) {
        p = sqlite3_value_blob(argv[0]);
        n = sqlite3_value_bytes(argv[0]);
    } else {
        p = (const unsigned char *)sql_str_arg(argv[0], &n, &tmp);
    }
    const char *fmt = (const char *)sqlite3_value_text(argv[1]);
    int rc = 0;
    if (p == NULL && n > 0) {
        rc = ERR_NOMEM;
    } else if (strcasecmp(fmt, "hex") == 0) {
        for (int i = 0; rc == 0 && i < n; i++)
            rc = buf_printf(&out, "%02x", p[i]);
    } else if (strcasecmp(fmt, "base64") == 0) {
        /* PostgreSQL breaks base64 lines at 76 characters */
        for (int i = 0; rc == 0 && i < n; i += 57) {
            if (i > 0)
                rc = buf_append_u8(&out, '\n');
            if (rc == 0)
                rc = base64_encode(&out, p + i, (size_t)(n - i < 57 ? n - i : 57));
        }
    } else if (strcasecmp(fmt, "escape") == 0) {
        for (int i = 0; rc == 0 && i < n; i++) {
            if (p[i] == '\\')
                rc = buf_append(&out, "\\\\", 2);
            else if (p[i] == 0 || p[i] >= 0x80)
                rc = buf_printf(&out, "\\%03o", p[i]);
            else
                rc = buf_append_u8(&out, p[i]);
        }
    } else {
        sql_fn_error(ctx, "22023", "unrecognized encoding: \"%s\"", fmt);
        goto done;
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
done:
    buf_free(&out);
    buf_free(&tmp);
}

static void sql_fn_decode(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    const char *fmt = (const char *)sqlite3_value_text(argv[1]);
    struct buf out = BUF_INIT, clean = BUF_INIT;
    int rc = 0;
    if (s == NULL || fmt == NULL) {
        rc = ERR_NOMEM;
    } else if (strcasecmp(fmt, "hex") == 0) {
        for (int i = 0; rc == 0 && i < n;) {
            if (isspace((unsigned char)s[i])) {
                i++;
                continue;
            }
            int hi =
                isxdigit((unsigned char)s[i])
                    ? (isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                    : (tolower((unsigned char)s[i]) - 'a' + 10))
                    : -1;
            if (hi < 0) {
                sql_fn_error(ctx, "22023", "invalid hexadecimal digit: \"%c\"", s[i]);
                goto done;
            }
            if (i + 1 >= n || !isxdigit((unsigned char)s[i + 1])) {
                if (i + 1 >= n)
                    sql_fn_error(ctx, "22023", "invalid hexadecimal data: odd number of digits");
                else
                    sql_fn_error(ctx, "22023", "invalid hexadecimal digit: \"%c\"", s[i + 1]);
                goto done;
            }
            int lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0'
                                                      : tolower((unsigned char)s[i + 1]) - 'a' + 10;
            rc = buf_append_u8(&out, (uint8_t)(hi << 4 | lo));
            i += 2;
        }
    } else if (strcasecmp(fmt, "base64") == 0) {
        for (int i = 0; rc == 0 && i < n; i++) {
            if (!isspace((unsigned char)s[i]))
                rc = buf_append_u8(&clean, (uint8_t)s[i]);
        }
        if (rc == 0 && clean.len > 0) {
            rc = base64_decode(&out, (const char *)clean.data, clean.len);
            if (rc == ERR_MALFORMED) {
                sql_fn_error(ctx, "22023", "invalid base64 end sequence");
                goto done;
            }
        }
    } else if (strcasecmp(fmt, "escape") == 0) {
        for (int i = 0; rc == 0 && i < n;) {
            if (s[i] != '\\') {
                rc = buf_append_u8(&out, (uint8_t)s[i++]);
            } else if (i + 1 < n && s[i + 1] == '\\') {
                rc = buf_append_u8(&out, '\\');
                i += 2;
            } else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                       s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                rc = buf_append_u8(&out, (uint8_t)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
                                                   (s[i + 3] - '0')));
                i += 4;
            } else {
                sql_fn_error(ctx, "22P02", "invalid input syntax for type bytea");
                goto done;
            }
        }
    } else {
        sql_fn_error(ctx, "22023", "unrecognized encoding: \"%s\"", fmt);
        goto done;
    }
    if (rc != 0) {
        sql_fn_nomem(ctx);
    } else {
        if (out.data == NULL) {
            sqlite3_result_zeroblob(ctx, 0);
        } else {
            sqlite3_result_blob64(ctx, out.data, out.len, free);
            out.data = NULL;
        }
    }
done:
    buf_free(&out);
    buf_free(&clean);
}

/* ---- to_char(number, format) ---- */

/* The numeric template, after PostgreSQL's formatting.c: first a pass that counts digit slots
 * and notes flags (its NUMDesc_prepare), then the number rounded and laid out slot by slot with
 * the sign written just before the first printed digit (its NUM_processor). */
enum sql_nk {
    SQL_NK_LITERAL = 0,
    SQL_NK_9,
    SQL_NK_0,
    SQL_NK_DEC,
    SQL_NK_D,
    SQL_NK_COMMA,
    SQL_NK_G,
    SQL_NK_FM,
    SQL_NK_S,
    SQL_NK_MI,
    SQL_NK_PL,
    SQL_NK_SG,
    SQL_NK_PR,
    SQL_NK_TH_UP,
    SQL_NK_TH_LO,
    SQL_NK_EEEE,
    SQL_NK_V,
    SQL_NK_L,
    SQL_NK_B,
};

#define SQL_NF_DECIMAL  (1u << 0)
#define SQL_NF_ZERO     (1u << 1)
#define SQL_NF_FILLMODE (1u << 2)
#define SQL_NF_BRACKET  (1u << 3)
#define SQL_NF_MINUS    (1u << 4)
#define SQL_NF_PLUS     (1u << 5)
#define SQL_NF_LSIGN    (1u << 6)
#define SQL_NF_EEEE     (1u << 7)
#define SQL_NF_MULTI    (1u << 8)

struct sql_num_desc {
    int pre, post, multi;
    int zero_start, zero_end;
    int lsign; /* -1 before the number, 1 after, 0 none */
    int pre_lsign_num;
    unsigned flags;
};

struct sql_num_node {
    enum sql_nk key;
    const char *text; /* literal bytes */
    int len;
};

static const struct {
    const char *text;
    enum sql_nk key;
} sql_num_keys[] = {
    {"EEEE", SQL_NK_EEEE}, {"eeee", SQL_NK_EEEE}, {"FM", SQL_NK_FM}, {"fm", SQL_NK_FM},
    {"MI", SQL_NK_MI},     {"mi", SQL_NK_MI},     {"PL", SQL_NK_PL}, {"pl", SQL_NK_PL},
    {"SG", SQL_NK_SG},     {"sg", SQL_NK_SG},     {"PR", SQL_NK_PR}, {"pr", SQL_NK_PR},
    {"TH", SQL_NK_TH_UP},  {"th", SQL_NK_TH_LO},  {"9", SQL_NK_9},   {"0", SQL_NK_0},
    {".", SQL_NK_DEC},     {"D", SQL_NK_D},       {"d", SQL_NK_D},   {",", SQL_NK_COMMA},
    {"G", SQL_NK_G},       {"g", SQL_NK_G},       {"S", SQL_NK_S},   {"s", SQL_NK_S},
    {"V", SQL_NK_V},       {"v", SQL_NK_V},       {"L", SQL_NK_L},   {"l", SQL_NK_L},
    {"B", SQL_NK_B},       {"b", SQL_NK_B},
};

/* Splits the template into nodes and fills the descriptor. Returns the node count, or -1 with
 * *err set to PostgreSQL's message for a bad template. */
static int sql_num_parse(const char *f, int flen, struct sql_num_node *nodes, int max,
                         struct sql_num_desc *d, const char **err)
{
    memset(d, 0, sizeof(*d));
    int n = 0;
    for (int i = 0; i < flen && n < max;) {
        struct sql_num_node *node = &nodes[n++];
        node->key = SQL_NK_LITERAL;
        node->text = f + i;
        node->len = 1;
        if (f[i] == '"') {
            int j = i + 1;
            while (j < flen && f[j] != '"')
                j++;
            node->text = f + i + 1;
            node->len = j - i - 1;
            i = j < flen ? j + 1 : j;
            continue;
        }
        if (f[i] == '\\' && i + 1 < flen) {
            node->text = f + i + 1;
            i += 2;
            continue;
        }
        for (size_t k = 0; k < sizeof(sql_num_keys) / sizeof(sql_num_keys[0]); k++) {
            size_t l = strlen(sql_num_keys[k].text);
            if ((size_t)(flen - i) >= l && memcmp(f + i, sql_num_keys[k].text, l) == 0) {
                node->key = sql_num_keys[k].key;
                node->len = (int)l;
                break;
            }
        }
        if (node->key == SQL_NK_LITERAL) {
            node->len = sql_u8len((const unsigned char *)f + i, flen - i);
            i += node->len;
            continue;
        }
        i += node->len;
        if ((d->flags & SQL_NF_EEEE) && node->key != SQL_NK_EEEE) {
            *err = "\"EEEE\" must be the last pattern used";
            return -1;
        }
        switch (node->key) {
        case SQL_NK_9:
            if (d->flags & SQL_NF_BRACKET) {
                *err = "\"9\" must be ahead of \"PR\"";
                return -1;
            }
            if (d->flags & SQL_NF_MULTI)
                d->multi++;
            else if (d->flags & SQL_NF_DECIMAL)
                d->post++;
            else
                d->pre++;
            break;
        case SQL_NK_0:
            if (d->flags & SQL_NF_BRACKET) {
                *err = "\"0\" must be ahead of \"PR\"";
                return -1;
            }
            if (!(d->flags & SQL_NF_ZERO) && !(d->flags & SQL_NF_DECIMAL)) {
                d->flags |= SQL_NF_ZERO;
                d->zero_start = d->pre + 1;
            }
            if (d->flags & SQL_NF_DECIMAL)
                d->post++;
            else
                d->pre++;
            d->zero_end = d->pre + d->post;
            break;
        case SQL_NK_D:
        case SQL_NK_DEC:
            if (d->flags & SQL_NF_DECIMAL) {
                *err = "multiple decimal points";
                return -1;
            }
            if (d->flags & SQL_NF_MULTI) {
                *err = "cannot use \"V\" and decimal point together";
                return -1;
            }
            d->flags |= SQL_NF_DECIMAL;
            break;
        case SQL_NK_FM:
            d->flags |= SQL_NF_FILLMODE;
            break;
        case SQL_NK_S:
            if (d->flags & (SQL_NF_PLUS | SQL_NF_MINUS | SQL_NF_BRACKET)) {
                *err = "cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" together";
                return -1;
            }
            if (!(d->flags & SQL_NF_DECIMAL)) {
                d->lsign = -1;
                d->pre_lsign_num = d->pre;
                d->flags |= SQL_NF_LSIGN;
            } else if (d->lsign == 0) {
                d->lsign = 1;
                d->flags |= SQL_NF_LSIGN;
            }
            break;
        case SQL_NK_MI:
            d->flags |= SQL_NF_MINUS;
            break;
        case SQL_NK_PL:
            d->flags |= SQL_NF_PLUS;
            break;
        case SQL_NK_SG:
            d->flags |= SQL_NF_MINUS | SQL_NF_PLUS;
            break;
        case SQL_NK_PR:
            if (d->flags & (SQL_NF_LSIGN | SQL_NF_PLUS | SQL_NF_MINUS)) {
                *err = "cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" together";
                return -1;
            }
            d->flags |= SQL_NF_BRACKET;
            break;
        case SQL_NK_V:
            if (d->flags & SQL_NF_DECIMAL) {
                *err = "cannot use \"V\" and decimal point together";
                return -1;
            }
            d->flags |= SQL_NF_MULTI;
            break;
        case SQL_NK_EEEE:
            if (d->flags & (SQL_NF_EEEE | SQL_NF_FILLMODE | SQL_NF_LSIGN | SQL_NF_BRACKET |
                            SQL_NF_MINUS | SQL_NF_PLUS | SQL_NF_MULTI)) {
                *err = "\"EEEE\" is incompatible with other formats";
                return -1;
            }
            d->flags |= SQL_NF_EEEE;
            break;
        default:
            break;
        }
    }
    return n;
}

/* Layout state (PostgreSQL's NUMProc). */
struct sql_num_out {
    struct sql_num_desc *d;
    const char *number, *number_p; /* the digits and point, no sign */
    const char *last_relevant;     /* FM: the last fractional digit worth printing */
    int out_pre_spaces, num_count, num_curr;
    char sign;
    bool sign_wrote, num_in;
    struct buf *out;
};

static bool sql_num_predec_space(const struct sql_num_out *o)
{
    return !(o->d->flags & SQL_NF_ZERO) && o->number == o->number_p && o->number[0] == '0' &&
           o->d->post != 0;
}

static int sql_num_digit(struct sql_num_out *o, enum sql_nk key)
{
    struct sql_num_desc *d = o->d;
    bool fm = d->flags & SQL_NF_FILLMODE;
    bool zero = d->flags & SQL_NF_ZERO;
    int rc = 0;
    o->num_in = false;
    /* the sign goes right before the first digit that prints */
    if (!o->sign_wrote &&
        (o->num_curr >= o->out_pre_spaces || (zero && d->zero_start == o->num_curr)) &&
        (!sql_num_predec_space(o) || (o->last_relevant && *o->last_relevant == '.'))) {
        if (d->flags & SQL_NF_LSIGN) {
            if (d->lsign == -1) {
                rc = buf_append_u8(o->out, o->sign == '-' ? '-' : '+');
                o->sign_wrote = true;
            }
        } else if (d->flags & SQL_NF_BRACKET) {
            rc = buf_append_u8(o->out, o->sign == '+' ? ' ' : '<');
            o->sign_wrote = true;
        } else if (o->sign == '+') {
            if (!fm)
                rc = buf_append_u8(o->out, ' ');
            o->sign_wrote = true;
        } else if (o->sign == '-') {
            rc = buf_append_u8(o->out, '-');
            o->sign_wrote = true;
        }
    }
    if (rc != 0)
        return rc;
    if (o->num_curr < o->out_pre_spaces && (d->zero_start > o->num_curr || !zero)) {
        if (!fm)
            rc = buf_append_u8(o->out, ' ');
    } else if (zero && o->num_curr < o->out_pre_spaces && d->zero_start <= o->num_curr) {
        rc = buf_append_u8(o->out, '0');
        o->num_in = true;
    } else {
        if (*o->number_p == '.') {
            if (!o->last_relevant || *o->last_relevant != '.' || fm)
                rc = buf_append_u8(o->out, '.');
        } else if (o->last_relevant && o->number_p > o->last_relevant && key != SQL_NK_0) {
            /* FM: an irrelevant trailing zero */
        } else if (sql_num_predec_space(o)) {
            if (!fm)
                rc = buf_append_u8(o->out, ' ');
            else if (o->last_relevant && *o->last_relevant == '.')
                rc = buf_append_u8(o->out, '0');
        } else if (*o->number_p) {
            rc = buf_append_u8(o->out, (uint8_t)*o->number_p);
            o->num_in = true;
        }
        if (*o->number_p)
            o->number_p++;
    }
    int end = o->num_count + (o->out_pre_spaces ? 1 : 0) + ((d->flags & SQL_NF_DECIMAL) ? 1 : 0);
    if (o->last_relevant && o->last_relevant == o->number_p)
        end = o->num_curr;
    if (rc == 0 && o->num_curr + 1 == end) {
        if (o->sign_wrote && (d->flags & SQL_NF_BRACKET))
            rc = buf_append_u8(o->out, o->sign == '+' ? ' ' : '>');
        else if ((d->flags & SQL_NF_LSIGN) && d->lsign == 1)
            rc = buf_append_u8(o->out, o->sign == '-' ? '-' : '+');
    }
    o->num_curr++;
    return rc;
}

/* The ordinal suffix of the last digits of a number text. */
static const char *sql_num_th(const char *num, bool upper)
{
    size_t len = strlen(num);
    const char *s = "th";
    if (len > 0) {
        char last = num[len - 1];
        if (!(len > 1 && num[len - 2] == '1')) {
            if (last == '1')
                s = "st";
            else if (last == '2')
                s = "nd";
            else if (last == '3')
                s = "rd";
        }
    }
    if (!upper)
        return s;
    return s[0] == 's' ? "ST" : s[0] == 'n' ? "ND" : s[0] == 'r' ? "RD" : "TH";
}

/* to_char(numeric, template). Returns 0, ERR_NOMEM, or ERR_MALFORMED with *err set. */
static int sql_num_to_char(const struct sql_numeric *value, const char *fmt, int flen,
                           struct buf *out, const char **err)
{
    struct sql_num_node *nodes = malloc(((size_t)flen + 1) * sizeof(*nodes));
    struct sql_numeric *n = malloc(sizeof(*n));
    char *text = malloc(SQL_NUMERIC_TEXT_BYTES_MAX + 8);
    int rc = nodes && n && text ? 0 : ERR_NOMEM;
    struct sql_num_desc d;
    int count = rc == 0 ? sql_num_parse(fmt, flen, nodes, flen + 1, &d, err) : 0;
    if (count < 0)
        rc = ERR_MALFORMED;
    if (rc != 0)
        goto done;
    *n = *value;
    if (d.flags & SQL_NF_EEEE) {
        if (!sql_numeric_is_finite(n)) {
            for (int i = 0; rc == 0 && i < d.pre + d.post + 6; i++)
                rc = buf_append_u8(out, '#');
            goto done;
        }
        char sci[64];
        snprintf(sci, sizeof(sci), "%.*e", d.post, sql_numeric_to_double(n));
        rc = buf_printf(out, "%s%s", sci[0] == '-' ? "" : " ", sci);
        goto done;
    }
    if (d.flags & SQL_NF_MULTI) {
        struct sql_numeric *p10 = malloc(sizeof(*p10));
        if (p10 == NULL) {
            rc = ERR_NOMEM;
            goto done;
        }
        sql_numeric_from_i64(1, p10);
        sql_numeric_widen_scale(p10, 0);
        for (int i = 0; i < d.multi && rc == 0; i++) {
            struct sql_numeric ten;
            sql_numeric_from_i64(10, &ten);
            rc = sql_numeric_mul(p10, &ten, p10);
        }
        if (rc == 0)
            rc = sql_numeric_mul(n, p10, n);
        free(p10);
        if (rc != 0)
            goto done;
        d.pre += d.multi;
    }
    if (sql_numeric_is_finite(n))
        rc = sql_numeric_round(n, d.post);
    if (rc != 0)
        goto done;
    sql_numeric_format(n, text);
    char sign = '+';
    const char *numstr = text;
    if (text[0] == '-') {
        sign = '-';
        numstr = text + 1;
    }
    const char *dot = strchr(numstr, '.');
    int pre_len = dot ? (int)(dot - numstr) : (int)strlen(numstr);
    int out_pre_spaces = 0;
    char *hashes = NULL;
    if (!sql_numeric_is_finite(n) || pre_len > d.pre) {
        /* overflow: every slot shows # */
        hashes = malloc((size_t)(d.pre + d.post + 2));
        if (hashes == NULL) {
            rc = ERR_NOMEM;
            goto done;
        }
        memset(hashes, '#', (size_t)(d.pre + d.post + 1));
        hashes[d.pre] = '.';
        hashes[d.pre + d.post + 1] = '\0';
        numstr = hashes;
    } else if (pre_len < d.pre) {
        out_pre_spaces = d.pre - pre_len;
    }
    struct sql_num_out o = {&d,   numstr, numstr, NULL, out_pre_spaces, 0, 0,
                            sign, false,  false,  out};
    if (d.zero_start)
        d.zero_start--;
    if (d.flags & (SQL_NF_PLUS | SQL_NF_MINUS)) {
        o.sign_wrote = !((d.flags & SQL_NF_PLUS) && !(d.flags & SQL_NF_MINUS));
    } else {
        if (sign != '-') {
            if ((d.flags & SQL_NF_BRACKET) && (d.flags & SQL_NF_FILLMODE))
                d.flags &= ~SQL_NF_BRACKET;
        }
        o.sign_wrote = sign == '+' && (d.flags & SQL_NF_FILLMODE) && !(d.flags & SQL_NF_LSIGN);
        if (d.lsign == -1 && d.pre == d.pre_lsign_num)
            d.lsign = 1;
    }
    o.num_count = d.post + d.pre - 1;
    if ((d.flags & SQL_NF_FILLMODE) && (d.flags & SQL_NF_DECIMAL)) {
        const char *p = strchr(numstr, '.');
        if (p != NULL) {
            o.last_relevant = p;
            for (const char *q = p + 1; *q; q++) {
                if (*q != '0')
                    o.last_relevant = q;
            }
            if (d.zero_end > out_pre_spaces) {
                const char *last_zero = numstr + (d.zero_end - out_pre_spaces);
                size_t nl = strlen(numstr);
                if (last_zero > numstr + nl - 1)
                    last_zero = numstr + nl - 1;
                if (o.last_relevant < last_zero)
                    o.last_relevant = last_zero;
            }
        }
    }
    if (!o.sign_wrote && out_pre_spaces == 0)
        o.num_count++;
    bool fm = d.flags & SQL_NF_FILLMODE;
    for (int i = 0; i < count && rc == 0; i++) {
        const struct sql_num_node *node = &nodes[i];
        switch (node->key) {
        case SQL_NK_9:
        case SQL_NK_0:
        case SQL_NK_DEC:
        case SQL_NK_D:
            rc = sql_num_digit(&o, node->key);
            break;
        case SQL_NK_COMMA:
        case SQL_NK_G:
            if (o.num_in)
                rc = buf_append_u8(out, ',');
            else if (!fm)
                rc = buf_append_u8(out, ' ');
            break;
        case SQL_NK_TH_UP:
        case SQL_NK_TH_LO:
            if (numstr[0] != '#' && sign != '-' && !(d.flags & SQL_NF_DECIMAL))
                rc = buf_printf(out, "%s", sql_num_th(numstr, node->key == SQL_NK_TH_UP));
            break;
        case SQL_NK_MI:
            if (sign == '-')
                rc = buf_append_u8(out, '-');
            else if (!fm)
                rc = buf_append_u8(out, ' ');
            break;
        case SQL_NK_PL:
            if (sign == '+')
                rc = buf_append_u8(out, '+');
            else if (!fm)
                rc = buf_append_u8(out, ' ');
            break;
        case SQL_NK_SG:
            rc = buf_append_u8(out, (uint8_t)sign);
            break;
        case SQL_NK_L:
            rc = buf_append_u8(out, ' '); /* the C locale's currency symbol */
            break;
        case SQL_NK_LITERAL:
            rc = buf_append(out, node->text, (size_t)node->len);
            break;
        default:
            break;
        }
    }
    free(hashes);
done:
    free(nodes);
    free(n);
    free(text);
    return rc;
}

/* to_char(x, format): timestamps, dates and intervals by the datetime patterns, numbers by the
 * numeric ones. */
static void sql_fn_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct buf out = BUF_INIT;
    const char *fmt = (const char *)sqlite3_value_text(argv[1]);
    int flen = sqlite3_value_bytes(argv[1]);
    int rc = sql_fn_classify(argv[0], v);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
        goto done;
    }
    if (fmt == NULL) {
        sql_fn_nomem(ctx);
        goto done;
    }
    switch (v->kind) {
    case SQL_VK_DATE:
        rc = sql_timestamp_to_char(sql_date_to_timestamp(v->date), fmt, (size_t)flen, &out);
        break;
    case SQL_VK_TIMESTAMP:
        rc = sql_timestamp_to_char(v->ts, fmt, (size_t)flen, &out);
        break;
    case SQL_VK_INTERVAL:
        rc = sql_interval_to_char(&v->iv, fmt, (size_t)flen, &out);
        break;
    case SQL_VK_INT:
    case SQL_VK_FLOAT:
    case SQL_VK_NUMERIC: {
        struct sql_numeric *n = malloc(sizeof(*n));
        if (n == NULL) {
            rc = ERR_NOMEM;
            break;
        }
        sql_fn_to_numeric(v, n);
        const char *err = NULL;
        rc = sql_num_to_char(n, fmt, flen, &out, &err);
        free(n);
        if (rc == ERR_MALFORMED) {
            sql_fn_error(ctx, "42601", "%s", err);
            goto done;
        }
        if (rc == ERR_RANGE) {
            sql_fn_numeric_error(ctx, rc);
            goto done;
        }
        break;
    }
    default:
        sql_fn_error(ctx, "42883", "function to_char(%s, unknown) does not exist",
                     sql_fn_kind_name(v->kind));
        goto done;
    }
    if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
done:
    buf_free(&out);
    free(v);
}

/* to_number(text, format): the digits, sign and decimal point of text (format positions are
 * not enforced beyond that). */
static void sql_fn_to_number(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_str_any_null(ctx, 2, argv))
        return;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    struct buf clean = BUF_INIT;
    bool neg = false, any = false;
    int rc = 0;
    for (int i = 0; rc == 0 && s && i < n; i++) {
        char c = s[i];
        if (isdigit((unsigned char)c)) {
            rc = buf_append_u8(&clean, (uint8_t)c);
            any = true;
        } else if (c == '.') {
            rc = buf_append_u8(&clean, '.');
        } else if (c == '-' || c == '<') {
            neg = true;
        }
    }
    struct sql_numeric *num = malloc(sizeof(*num));
    if (rc != 0 || num == NULL || s == NULL) {
        sql_fn_nomem(ctx);
    } else if (!any) {
        sql_fn_error(ctx, "22P02", "invalid input syntax for type numeric: \" \"");
    } else if (sql_numeric_parse((const char *)clean.data, clean.len, num) != 0) {
        sql_fn_error(ctx, "22P02", "invalid input syntax for type numeric: \"%s\"", s);
    } else {
        if (neg)
            sql_numeric_neg(num);
        sql_fn_result_numeric(ctx, num);
    }
    free(num);
    buf_free(&clean);
}

static void sql_fn_gen_random_uuid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct rng *rng = sql_fn_rng(sql_fn_state(ctx));
    uint8_t b[16];
    uint64_t r0 = rng_next(rng), r1 = rng_next(rng);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(r0 >> (8 * i));
        b[8 + i] = (uint8_t)(r1 >> (8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    char out[37];
    snprintf(out, sizeof(out),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    sqlite3_result_text(ctx, out, 36, SQLITE_TRANSIENT);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_str_defs[] = {
    {"pg_length", 1, D, sql_fn_length, NULL, NULL},
    {"pg_octet_length", 1, D, sql_fn_octet_length, NULL, NULL},
    {"pg_bit_length", 1, D, sql_fn_bit_length, NULL, NULL},
    {"pg_lower", 1, D, sql_fn_lower, NULL, NULL},
    {"pg_upper", 1, D, sql_fn_upper, NULL, NULL},
    {"pg_initcap", 1, D, sql_fn_initcap, NULL, NULL},
    {"pg_substr", 2, D, sql_fn_substr, NULL, NULL},
    {"pg_substr", 3, D, sql_fn_substr, NULL, NULL},
    {"pg_position", 2, D, sql_fn_position, NULL, NULL},
    {"pg_strpos", 2, D, sql_fn_strpos, NULL, NULL},
    {"pg_left", 2, D, sql_fn_left, NULL, NULL},
    {"pg_right", 2, D, sql_fn_right, NULL, NULL},
    {"pg_lpad", 2, D, sql_fn_lpad, NULL, NULL},
    {"pg_lpad", 3, D, sql_fn_lpad, NULL, NULL},
    {"pg_rpad", 2, D, sql_fn_rpad, NULL, NULL},
    {"pg_rpad", 3, D, sql_fn_rpad, NULL, NULL},
    {"pg_ltrim", 1, D, sql_fn_ltrim, NULL, NULL},
    {"pg_ltrim", 2, D, sql_fn_ltrim, NULL, NULL},
    {"pg_rtrim", 1, D, sql_fn_rtrim, NULL, NULL},
    {"pg_rtrim", 2, D, sql_fn_rtrim, NULL, NULL},
    {"pg_btrim", 1, D, sql_fn_btrim, NULL, NULL},
    {"pg_btrim", 2, D, sql_fn_btrim, NULL, NULL},
    {"pg_replace", 3, D, sql_fn_replace, NULL, NULL},
    {"pg_repeat", 2, D, sql_fn_repeat, NULL, NULL},
    {"pg_reverse", 1, D, sql_fn_reverse, NULL, NULL},
    {"pg_split_part", 3, D, sql_fn_split_part, NULL, NULL},
    {"pg_concat", -1, D, sql_fn_concat, NULL, NULL},
    {"pg_concat_ws", -1, D, sql_fn_concat_ws, NULL, NULL},
    {"pg_starts_with", 2, D, sql_fn_starts_with, NULL, NULL},
    {"pg_md5", 1, D, sql_fn_md5, NULL, NULL},
    {"pg_chr", 1, D, sql_fn_chr, NULL, NULL},
    {"pg_ascii", 1, D, sql_fn_ascii, NULL, NULL},
    {"pg_to_hex", 1, D, sql_fn_to_hex, NULL, NULL},
    {"pg_format", -1, D, sql_fn_format, NULL, NULL},
    {"pg_regexp_replace", 3, D, sql_fn_regexp_replace, NULL, NULL},
    {"pg_regexp_replace", 4, D, sql_fn_regexp_replace, NULL, NULL},
    {"pg_regexp_match", 2, D, sql_fn_regexp_match, NULL, NULL},
    {"pg_regexp_match", 3, D, sql_fn_regexp_match, NULL, NULL},
    {"pg_regexp_like", 2, D, sql_fn_regexp_like, NULL, NULL},
    {"pg_regexp_like", 3, D, sql_fn_regexp_like, NULL, NULL},
    {"pg_regexp_count", 2, D, sql_fn_regexp_count, NULL, NULL},
    {"pg_regexp_count", 3, D, sql_fn_regexp_count, NULL, NULL},
    {"pg_regexp_count", 4, D, sql_fn_regexp_count, NULL, NULL},
    {"pg_quote_ident", 1, D, sql_fn_quote_ident, NULL, NULL},
    {"pg_quote_literal", 1, D, sql_fn_quote_literal, NULL, NULL},
    {"pg_quote_nullable", 1, D, sql_fn_quote_nullable, NULL, NULL},
    {"pg_translate", 3, D, sql_fn_translate, NULL, NULL},
    {"pg_encode", 2, D, sql_fn_encode, NULL, NULL},
    {"pg_decode", 2, D, sql_fn_decode, NULL, NULL},
    {"pg_convert_to", 2, D, sql_fn_convert_to, NULL, NULL},
    {"pg_convert_from", 2, D, sql_fn_convert_from, NULL, NULL},
    {"pg_string_to_array", 2, D, sql_fn_string_to_array, NULL, NULL},
    {"pg_string_to_array", 3, D, sql_fn_string_to_array, NULL, NULL},
    {"pg_array_to_string", 2, D, sql_fn_array_to_string, NULL, NULL},
    {"pg_array_to_string", 3, D, sql_fn_array_to_string, NULL, NULL},
    {"pg_to_char", 2, D, sql_fn_to_char, NULL, NULL},
    {"pg_to_number", 2, D, sql_fn_to_number, NULL, NULL},
    {"pg_gen_random_uuid", 0, 0, sql_fn_gen_random_uuid, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
