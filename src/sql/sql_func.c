/* Registration of Cairn's PostgreSQL-semantics functions on a SQLite connection, the table that
 * maps PostgreSQL function names to them, runtime typing of values, and the text output of
 * values as PostgreSQL prints them. */
#include "sql/sql_func.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

/* ---- errors ---- */

void sql_fn_error(sqlite3_context *ctx, const char *sqlstate, const char *fmt, ...)
{
    char msg[512];
    ASSERT(strlen(sqlstate) == 5);
    int n = snprintf(msg, sizeof(msg), "%s: ", sqlstate);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    sqlite3_result_error(ctx, msg, -1);
}

void sql_fn_nomem(sqlite3_context *ctx)
{
    sqlite3_result_error_nomem(ctx);
}

void sql_fn_numeric_error(sqlite3_context *ctx, int rc)
{
    switch (rc) {
    case ERR_INVAL:
        sql_fn_error(ctx, "22012", "division by zero");
        break;
    case ERR_RANGE:
        sql_fn_error(ctx, "22003", "value overflows numeric format");
        break;
    case ERR_NOMEM:
        sql_fn_nomem(ctx);
        break;
    default:
        sql_fn_error(ctx, "XX000", "numeric operation failed (%d)", rc);
        break;
    }
}

/* ---- runtime types ---- */

void sql_fn_classify_plain(sqlite3_value *v, struct sql_val *out)
{
    out->kind = SQL_VK_NULL;
    out->tz = false;
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        out->kind = SQL_VK_INT;
        out->i = sqlite3_value_int64(v);
        break;
    case SQLITE_FLOAT:
        out->kind = SQL_VK_FLOAT;
        out->f = sqlite3_value_double(v);
        break;
    case SQLITE_TEXT:
        out->kind = SQL_VK_TEXT;
        out->text = (const char *)sqlite3_value_text(v);
        out->len = sqlite3_value_bytes(v);
        if (out->text == NULL) {
            out->text = "";
            out->len = 0;
        }
        break;
    case SQLITE_BLOB:
        out->kind = SQL_VK_BLOB;
        out->text = (const char *)sqlite3_value_blob(v);
        out->len = sqlite3_value_bytes(v);
        if (out->text == NULL)
            out->text = "";
        break;
    default:
        break;
    }
}

int sql_fn_classify(sqlite3_value *v, struct sql_val *out)
{
    sql_fn_classify_plain(v, out);
    if (out->kind != SQL_VK_TEXT)
        return 0;
    if (sql_numeric_looks_like(out->text, (size_t)out->len)) {
        int rc = sql_numeric_parse(out->text, (size_t)out->len, &out->num);
        if (rc != 0)
            return rc;
        out->kind = SQL_VK_NUMERIC;
        return 0;
    }
    switch (sql_dt_classify(out->text, (size_t)out->len)) {
    case SQL_DT_DATE:
        if (sql_date_parse(out->text, (size_t)out->len, 0, &out->date) == 0)
            out->kind = SQL_VK_DATE;
        break;
    case SQL_DT_TIMESTAMP:
        if (sql_timestamptz_parse(out->text, (size_t)out->len, 0, &out->ts, &out->tz) == 0)
            out->kind = SQL_VK_TIMESTAMP;
        break;
    case SQL_DT_INTERVAL:
        if (sql_interval_parse(out->text, (size_t)out->len, &out->iv) == 0)
            out->kind = SQL_VK_INTERVAL;
        break;
    default:
        break;
    }
    return 0;
}

void sql_fn_to_numeric(const struct sql_val *v, struct sql_numeric *out)
{
    switch (v->kind) {
    case SQL_VK_INT:
        sql_numeric_from_i64(v->i, out);
        break;
    case SQL_VK_FLOAT:
        sql_numeric_from_double(v->f, 15, out);
        break;
    case SQL_VK_NUMERIC:
        *out = v->num;
        break;
    default:
        PANIC("sql_fn_to_numeric on a non-number (kind %d)", (int)v->kind);
    }
}

double sql_fn_to_double(const struct sql_val *v)
{
    switch (v->kind) {
    case SQL_VK_INT:
        return (double)v->i;
    case SQL_VK_FLOAT:
        return v->f;
    case SQL_VK_NUMERIC:
        return sql_numeric_to_double(&v->num);
    default:
        PANIC("sql_fn_to_double on a non-number (kind %d)", (int)v->kind);
    }
}

const char *sql_fn_kind_name(enum sql_vkind k)
{
    switch (k) {
    case SQL_VK_NULL:
        return "unknown";
    case SQL_VK_INT:
        return "integer";
    case SQL_VK_FLOAT:
        return "double precision";
    case SQL_VK_NUMERIC:
        return "numeric";
    case SQL_VK_DATE:
        return "date";
    case SQL_VK_TIMESTAMP:
        return "timestamp without time zone";
    case SQL_VK_INTERVAL:
        return "interval";
    case SQL_VK_TEXT:
        return "text";
    case SQL_VK_BLOB:
        return "bytea";
    }
    return "unknown";
}

/* ---- results ---- */

void sql_fn_result_numeric(sqlite3_context *ctx, const struct sql_numeric *n)
{
    char text[SQL_NUMERIC_TEXT_BYTES_MAX + 1];
    size_t len = sql_numeric_format(n, text);
    sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

void sql_fn_result_date(sqlite3_context *ctx, int32_t d)
{
    char text[SQL_DT_TEXT_BYTES_MAX];
    size_t len = sql_date_format(d, text);
    sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

void sql_fn_result_timestamp(sqlite3_context *ctx, int64_t ts)
{
    char text[SQL_DT_TEXT_BYTES_MAX];
    size_t len = sql_timestamp_format(ts, text);
    sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

void sql_fn_result_ts(sqlite3_context *ctx, int64_t ts, bool tz)
{
    char text[SQL_DT_TEXT_BYTES_MAX];
    size_t len = tz ? sql_timestamptz_format(ts, text) : sql_timestamp_format(ts, text);
    sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

void sql_fn_result_interval(sqlite3_context *ctx, const struct sql_interval *iv)
{
    char text[SQL_DT_TEXT_BYTES_MAX];
    size_t len = sql_interval_format(iv, text);
    sqlite3_result_text(ctx, text, (int)len, SQLITE_TRANSIENT);
}

void sql_fn_result_double(sqlite3_context *ctx, double d)
{
    if (isnan(d))
        sqlite3_result_text(ctx, "NaN", 3, SQLITE_STATIC);
    else
        sqlite3_result_double(ctx, d);
}

void sql_fn_result_float(sqlite3_context *ctx, double r, bool inputs_inf, bool check_underflow,
                         bool inputs_zero)
{
    if (isinf(r) && !inputs_inf) {
        sql_fn_error(ctx, "22003", "value out of range: overflow");
        return;
    }
    if (check_underflow && r == 0.0 && !inputs_zero) {
        sql_fn_error(ctx, "22003", "value out of range: underflow");
        return;
    }
    sql_fn_result_double(ctx, r);
}

void sql_fn_result_buf_text(sqlite3_context *ctx, struct buf *b)
{
    if (b->len > SQL_FUNC_RESULT_BYTES_MAX) {
        buf_free(b);
        sql_fn_error(ctx, "54000", "requested length too large");
        return;
    }
    if (b->data == NULL) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    sqlite3_result_text64(ctx, (const char *)b->data, b->len, free, SQLITE_UTF8);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- UTF-8 ---- */

int64_t sql_fn_utf8_chars(const unsigned char *s, int64_t len)
{
    int64_t n = 0;
    for (int64_t i = 0; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            n++;
    }
    return n;
}

int64_t sql_fn_utf8_offset(const unsigned char *s, int64_t len, int64_t ci)
{
    int64_t i = 0;
    while (i < len && ci > 0) {
        i++;
        while (i < len && (s[i] & 0xC0) == 0x80)
            i++;
        ci--;
    }
    return i;
}

/* ---- float text ---- */

/* Formats digits (a decimal significand "d[ddd]" without point) and its decimal exponent the way
 * PostgreSQL's float output does: plain notation when -4 <= exp < digits_max, else d.ddde+XX. */
static size_t sql_float_layout(const char *digits, int ndig, int exp, bool neg, int exp_max,
                               char *out)
{
    char *p = out;
    if (neg)
        *p++ = '-';
    if (exp < -4 || exp >= exp_max) {
        *p++ = digits[0];
        if (ndig > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(ndig - 1));
            p += ndig - 1;
        }
        p += sprintf(p, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -exp - 1; i++)
            *p++ = '0';
        memcpy(p, digits, (size_t)ndig);
        p += ndig;
    } else {
        for (int i = 0; i <= exp; i++)
            *p++ = i < ndig ? digits[i] : '0';
        if (ndig > exp + 1) {
            *p++ = '.';
            memcpy(p, digits + exp + 1, (size_t)(ndig - exp - 1));
            p += ndig - exp - 1;
        }
    }
    *p = '\0';
    return (size_t)(p - out);
}

/* The shortest significand that reads back as d (as float when single). Returns the digit
 * count; digits hold them without the point, *exp the decimal exponent of the first. */
static int sql_float_shortest(double d, bool single, char *digits, int *exp)
{
    char buf[40];
    int max_prec = single ? 9 : 17;
    for (int prec = 1; prec <= max_prec; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        double back = strtod(buf, NULL);
        bool ok = single ? (float)back == (float)d : back == d;
        if (!ok)
            continue;
        /* buf is "d.ddde+XX" (no sign: d > 0) */
        int n = 0;
        const char *q = buf;
        for (; *q && *q != 'e'; q++) {
            if (isdigit((unsigned char)*q))
                digits[n++] = *q;
        }
        *exp = atoi(q + 1);
        while (n > 1 && digits[n - 1] == '0')
            n--;
        return n;
    }
    PANIC("no round-trip representation for %a", d);
}

static size_t sql_format_float(double d, bool single, char out[SQL_FLOAT_TEXT_BYTES_MAX])
{
    if (isnan(d))
        return (size_t)sprintf(out, "NaN");
    if (isinf(d))
        return (size_t)sprintf(out, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0)
        return (size_t)sprintf(out, signbit(d) ? "-0" : "0");
    char digits[24];
    int exp;
    int n = sql_float_shortest(fabs(d), single, digits, &exp);
    /* PostgreSQL switches to exponent form at DBL_DIG (15) / FLT_DIG (6) integer digits. */
    return sql_float_layout(digits, n, exp, d < 0, single ? 6 : 15, out);
}

size_t sql_format_float8(double d, char out[SQL_FLOAT_TEXT_BYTES_MAX])
{
    return sql_format_float(d, false, out);
}

size_t sql_format_float4(float f, char out[SQL_FLOAT_TEXT_BYTES_MAX])
{
    return sql_format_float((double)f, true, out);
}

/* ---- PostgreSQL types ---- */

static const struct {
    const char *decl; /* declared type prefix, upper case */
    enum sql_pg_type type;
} sql_decltypes[] = {
    {"INT2", SQL_PG_INT2},
    {"INT4", SQL_PG_INT4},
    {"INT8", SQL_PG_INT8},
    {"FLOAT4", SQL_PG_FLOAT4},
    {"FLOAT8", SQL_PG_FLOAT8},
    {"NUMERIC_TEXT", SQL_PG_NUMERIC},
    {"TEXT", SQL_PG_TEXT},
    {"VARCHAR", SQL_PG_VARCHAR},
    {"BPCHAR", SQL_PG_BPCHAR},
    {"BOOL_INT", SQL_PG_BOOL},
    {"BYTEA_BLOB", SQL_PG_BYTEA},
    {"DATE_TEXT", SQL_PG_DATE},
    {"TIMESTAMP_TEXT", SQL_PG_TIMESTAMP},
    {"INTERVAL_TEXT", SQL_PG_INTERVAL},
    {"JSON_TEXT", SQL_PG_JSON},
    {"TIMESTAMPTZ_TEXT", SQL_PG_TIMESTAMPTZ},
    {"TIME_TEXT", SQL_PG_TIME},
    {"TIMETZ_TEXT", SQL_PG_TIMETZ},
    {"UUID_TEXT", SQL_PG_UUID},
    {"JSONB_TEXT", SQL_PG_JSONB},
};

enum sql_pg_type sql_pg_type_from_decltype(const char *decltype)
{
    if (decltype == NULL)
        return SQL_PG_UNKNOWN;
    size_t n = strlen(decltype);
    for (size_t i = 0; i < sizeof(sql_decltypes) / sizeof(sql_decltypes[0]); i++) {
        size_t k = strlen(sql_decltypes[i].decl);
        /* the name, then the end, a typmod, or blanks ("NUMERIC_TEXT(10,2)") */
        if (n >= k && strncasecmp(decltype, sql_decltypes[i].decl, k) == 0 &&
            (decltype[k] == '\0' || decltype[k] == '(' || decltype[k] == ' '))
            return sql_decltypes[i].type;
    }
    return SQL_PG_UNKNOWN;
}

uint32_t sql_pg_type_oid(enum sql_pg_type t)
{
    switch (t) {
    case SQL_PG_BOOL:
        return 16;
    case SQL_PG_BYTEA:
        return 17;
    case SQL_PG_INT8:
        return 20;
    case SQL_PG_INT2:
        return 21;
    case SQL_PG_INT4:
        return 23;
    case SQL_PG_JSON:
        return 114;
    case SQL_PG_FLOAT4:
        return 700;
    case SQL_PG_FLOAT8:
        return 701;
    case SQL_PG_BPCHAR:
        return 1042;
    case SQL_PG_VARCHAR:
        return 1043;
    case SQL_PG_DATE:
        return 1082;
    case SQL_PG_TIMESTAMP:
        return 1114;
    case SQL_PG_INTERVAL:
        return 1186;
    case SQL_PG_NUMERIC:
        return 1700;
    case SQL_PG_TIMESTAMPTZ:
        return 1184;
    case SQL_PG_TIME:
        return 1083;
    case SQL_PG_TIMETZ:
        return 1266;
    case SQL_PG_UUID:
        return 2950;
    case SQL_PG_JSONB:
        return 3802;
    case SQL_PG_TEXT:
    case SQL_PG_UNKNOWN:
        return 25;
    }
    return 25;
}

const char *sql_pg_type_name(enum sql_pg_type t)
{
    switch (t) {
    case SQL_PG_BOOL:
        return "boolean";
    case SQL_PG_BYTEA:
        return "bytea";
    case SQL_PG_INT8:
        return "bigint";
    case SQL_PG_INT2:
        return "smallint";
    case SQL_PG_INT4:
        return "integer";
    case SQL_PG_JSON:
        return "json";
    case SQL_PG_FLOAT4:
        return "real";
    case SQL_PG_FLOAT8:
        return "double precision";
    case SQL_PG_BPCHAR:
        return "character";
    case SQL_PG_VARCHAR:
        return "character varying";
    case SQL_PG_DATE:
        return "date";
    case SQL_PG_TIMESTAMP:
        return "timestamp without time zone";
    case SQL_PG_INTERVAL:
        return "interval";
    case SQL_PG_NUMERIC:
        return "numeric";
    case SQL_PG_TIMESTAMPTZ:
        return "timestamp with time zone";
    case SQL_PG_TIME:
        return "time without time zone";
    case SQL_PG_TIMETZ:
        return "time with time zone";
    case SQL_PG_UUID:
        return "uuid";
    case SQL_PG_JSONB:
        return "jsonb";
    case SQL_PG_TEXT:
    case SQL_PG_UNKNOWN:
        return "text";
    }
    return "text";
}

enum sql_pg_type sql_pg_type_of_storage(int sqlite_type)
{
    switch (sqlite_type) {
    case SQLITE_INTEGER:
        return SQL_PG_INT8;
    case SQLITE_FLOAT:
        return SQL_PG_FLOAT8;
    case SQLITE_BLOB:
        return SQL_PG_BYTEA;
    default:
        return SQL_PG_TEXT;
    }
}

static int sql_append_bytea_hex(const unsigned char *p, size_t n, struct buf *out)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_reserve(out, 2 + 2 * n);
    if (rc != 0)
        return rc;
    out->data[out->len++] = '\\';
    out->data[out->len++] = 'x';
    for (size_t i = 0; i < n; i++) {
        out->data[out->len++] = (uint8_t)hex[p[i] >> 4];
        out->data[out->len++] = (uint8_t)hex[p[i] & 15];
    }
    return 0;
}

int sql_value_to_pg_text(sqlite3_value *v, enum sql_pg_type t, struct buf *out)
{
    int st = sqlite3_value_type(v);
    ASSERT(st != SQLITE_NULL);
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    if (st == SQLITE_BLOB) {
        const unsigned char *p = sqlite3_value_blob(v);
        return sql_append_bytea_hex(p, (size_t)sqlite3_value_bytes(v), out);
    }
    if (t == SQL_PG_BOOL && st == SQLITE_INTEGER)
        return buf_append(out, sqlite3_value_int64(v) != 0 ? "t" : "f", 1);
    if (st == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        size_t n =
            t == SQL_PG_FLOAT4 ? sql_format_float4((float)d, text) : sql_format_float8(d, text);
        return buf_append(out, text, n);
    }
    if (st == SQLITE_INTEGER && (t == SQL_PG_FLOAT4 || t == SQL_PG_FLOAT8)) {
        /* an integral value stored in a REAL column comes back INTEGER from SQLite */
        double d = (double)sqlite3_value_int64(v);
        size_t n =
            t == SQL_PG_FLOAT4 ? sql_format_float4((float)d, text) : sql_format_float8(d, text);
        return buf_append(out, text, n);
    }
    if (st == SQLITE_INTEGER)
        return buf_printf(out, "%lld", (long long)sqlite3_value_int64(v));
    const unsigned char *s = sqlite3_value_text(v);
    if (s == NULL)
        return ERR_NOMEM;
    return buf_append(out, s, (size_t)sqlite3_value_bytes(v));
}

/* ---- the lookup table: PostgreSQL function → SQLite function ---- */

struct sql_fn_name {
    const char *pg;   /* PostgreSQL name, lower case */
    int nargs_min;    /* inclusive */
    int nargs_max;    /* inclusive; -1 unbounded */
    const char *impl; /* SQLite function */
    bool aggregate;
};

static const struct sql_fn_name sql_fn_names[] = {
    /* math */
    {"abs", 1, 1, "pg_abs", false},
    {"ceil", 1, 1, "pg_ceil", false},
    {"ceiling", 1, 1, "pg_ceil", false},
    {"floor", 1, 1, "pg_floor", false},
    {"round", 1, 2, "pg_round", false},
    {"trunc", 1, 2, "pg_trunc", false},
    {"sqrt", 1, 1, "pg_sqrt", false},
    {"cbrt", 1, 1, "pg_cbrt", false},
    {"power", 2, 2, "pg_power", false},
    {"pow", 2, 2, "pg_power", false},
    {"exp", 1, 1, "pg_exp", false},
    {"ln", 1, 1, "pg_ln", false},
    {"log", 1, 2, "pg_log", false},
    {"log10", 1, 1, "pg_log", false},
    {"mod", 2, 2, "pg_mod", false},
    {"sign", 1, 1, "pg_sign", false},
    {"pi", 0, 0, "pg_pi", false},
    {"random", 0, 0, "pg_random", false},
    {"div", 2, 2, "pg_div_trunc", false},
    {"greatest", 1, -1, "pg_greatest", false},
    {"least", 1, -1, "pg_least", false},
    {"width_bucket", 4, 4, "pg_width_bucket", false},
    {"degrees", 1, 1, "pg_degrees", false},
    {"radians", 1, 1, "pg_radians", false},
    {"sin", 1, 1, "pg_sin", false},
    {"cos", 1, 1, "pg_cos", false},
    {"tan", 1, 1, "pg_tan", false},
    {"cot", 1, 1, "pg_cot", false},
    {"asin", 1, 1, "pg_asin", false},
    {"acos", 1, 1, "pg_acos", false},
    {"atan", 1, 1, "pg_atan", false},
    {"atan2", 2, 2, "pg_atan2", false},
    {"gcd", 2, 2, "pg_gcd", false},
    {"lcm", 2, 2, "pg_lcm", false},
    {"factorial", 1, 1, "pg_factorial", false},
    {"scale", 1, 1, "pg_scale", false},
    {"min_scale", 1, 1, "pg_min_scale", false},
    {"trim_scale", 1, 1, "pg_trim_scale", false},
    /* strings */
    {"length", 1, 1, "pg_length", false},
    {"char_length", 1, 1, "pg_length", false},
    {"character_length", 1, 1, "pg_length", false},
    {"octet_length", 1, 1, "pg_octet_length", false},
    {"bit_length", 1, 1, "pg_bit_length", false},
    {"lower", 1, 1, "pg_lower", false},
    {"upper", 1, 1, "pg_upper", false},
    {"initcap", 1, 1, "pg_initcap", false},
    {"substr", 2, 3, "pg_substr", false},
    {"substring", 2, 3, "pg_substr", false},
    {"position", 2, 2, "pg_position", false},
    {"strpos", 2, 2, "pg_strpos", false},
    {"left", 2, 2, "pg_left", false},
    {"right", 2, 2, "pg_right", false},
    {"lpad", 2, 3, "pg_lpad", false},
    {"rpad", 2, 3, "pg_rpad", false},
    {"ltrim", 1, 2, "pg_ltrim", false},
    {"rtrim", 1, 2, "pg_rtrim", false},
    {"btrim", 1, 2, "pg_btrim", false},
    {"trim", 1, 2, "pg_btrim", false},
    {"replace", 3, 3, "pg_replace", false},
    {"repeat", 2, 2, "pg_repeat", false},
    {"reverse", 1, 1, "pg_reverse", false},
    {"split_part", 3, 3, "pg_split_part", false},
    {"concat", 1, -1, "pg_concat", false},
    {"concat_ws", 2, -1, "pg_concat_ws", false},
    {"starts_with", 2, 2, "pg_starts_with", false},
    {"md5", 1, 1, "pg_md5", false},
    {"chr", 1, 1, "pg_chr", false},
    {"ascii", 1, 1, "pg_ascii", false},
    {"to_hex", 1, 1, "pg_to_hex", false},
    {"format", 1, -1, "pg_format", false},
    {"regexp_replace", 3, 4, "pg_regexp_replace", false},
    {"regexp_match", 2, 3, "pg_regexp_match", false},
    {"regexp_like", 2, 3, "pg_regexp_like", false},
    {"regexp_count", 2, 4, "pg_regexp_count", false},
    {"quote_ident", 1, 1, "pg_quote_ident", false},
    {"quote_literal", 1, 1, "pg_quote_literal", false},
    {"quote_nullable", 1, 1, "pg_quote_nullable", false},
    {"translate", 3, 3, "pg_translate", false},
    {"encode", 2, 2, "pg_encode", false},
    {"decode", 2, 2, "pg_decode", false},
    {"get_byte", 2, 2, "pg_get_byte", false},
    {"set_byte", 3, 3, "pg_set_byte", false},
    {"sha224", 1, 1, "pg_sha224", false},
    {"sha256", 1, 1, "pg_sha256", false},
    {"sha384", 1, 1, "pg_sha384", false},
    {"sha512", 1, 1, "pg_sha512", false},
    {"convert_to", 2, 2, "pg_convert_to", false},
    {"convert_from", 2, 2, "pg_convert_from", false},
    {"string_to_array", 2, 3, "pg_string_to_array", false},
    {"array_to_string", 2, 3, "pg_array_to_string", false},
    {"to_char", 2, 2, "pg_to_char", false},
    {"to_number", 2, 2, "pg_to_number", false},
    {"gen_random_uuid", 0, 0, "pg_gen_random_uuid", false},
    /* json and jsonb */
    {"json_typeof", 1, 1, "pg_json_typeof", false},
    {"jsonb_typeof", 1, 1, "pg_json_typeof", false},
    {"json_array_length", 1, 1, "pg_json_array_length", false},
    {"jsonb_array_length", 1, 1, "pg_json_array_length", false},
    {"to_json", 1, 1, "pg_to_json", false},
    {"to_jsonb", 1, 1, "pg_to_jsonb", false},
    {"json_build_object", 0, -1, "pg_json_build_object", false},
    {"jsonb_build_object", 0, -1, "pg_jsonb_build_object", false},
    {"json_build_array", 0, -1, "pg_json_build_array", false},
    {"jsonb_build_array", 0, -1, "pg_json_build_array", false},
    {"json_extract_path", 2, 2, "pg_json_path", false},
    {"json_extract_path_text", 2, 2, "pg_json_path_text", false},
    /* date and time */
    {"now", 0, 0, "pg_now", false},
    {"current_timestamp", 0, 0, "pg_now", false},
    {"localtimestamp", 0, 0, "pg_localtimestamp", false},
    {"transaction_timestamp", 0, 0, "pg_now", false},
    {"statement_timestamp", 0, 0, "pg_now", false},
    {"clock_timestamp", 0, 0, "pg_now", false},
    {"current_date", 0, 0, "pg_current_date", false},
    {"date_trunc", 2, 2, "pg_date_trunc", false},
    {"date_part", 2, 2, "pg_date_part", false},
    {"extract", 2, 2, "pg_extract", false},
    {"age", 1, 2, "pg_age", false},
    {"make_date", 3, 3, "pg_make_date", false},
    {"make_timestamp", 6, 6, "pg_make_timestamp", false},
    {"make_interval", 0, 7, "pg_make_interval", false},
    {"justify_hours", 1, 1, "pg_justify_hours", false},
    {"justify_days", 1, 1, "pg_justify_days", false},
    {"justify_interval", 1, 1, "pg_justify_interval", false},
    {"to_timestamp", 1, 2, "pg_to_timestamp", false},
    {"to_date", 2, 2, "pg_to_date", false},
    {"isfinite", 1, 1, "pg_isfinite", false},
    /* aggregates */
    {"count", 0, 1, "count", true},
    {"sum", 1, 1, "pg_sum", true},
    {"avg", 1, 1, "pg_avg", true},
    {"min", 1, 1, "pg_min", true},
    {"max", 1, 1, "pg_max", true},
    {"string_agg", 2, 2, "pg_string_agg", true},
    {"bool_and", 1, 1, "pg_bool_and", true},
    {"bool_or", 1, 1, "pg_bool_or", true},
    {"every", 1, 1, "pg_bool_and", true},
    {"array_agg", 1, 1, "pg_array_agg", true},
    {"stddev", 1, 1, "pg_stddev_samp", true},
    {"stddev_samp", 1, 1, "pg_stddev_samp", true},
    {"stddev_pop", 1, 1, "pg_stddev_pop", true},
    {"variance", 1, 1, "pg_var_samp", true},
    {"var_samp", 1, 1, "pg_var_samp", true},
    {"var_pop", 1, 1, "pg_var_pop", true},
    /* conditionals SQLite has with PostgreSQL's meaning */
    {"coalesce", 1, -1, "coalesce", false},
    {"nullif", 2, 2, "nullif", false},
    {"num_nulls", 1, -1, "pg_num_nulls", false},
    {"num_nonnulls", 1, -1, "pg_num_nonnulls", false},
    /* system information */
    {"pg_typeof", 1, 1, "pg_typeof", false},
    {"version", 0, 0, "pg_version", false},
    {"current_database", 0, 0, "pg_current_database", false},
    {"current_catalog", 0, 0, "pg_current_database", false},
    {"current_schema", 0, 0, "pg_current_schema", false},
    {"current_schemas", 1, 1, "pg_current_schemas", false},
    {"current_user", 0, 0, "pg_current_user", false},
    {"current_role", 0, 0, "pg_current_user", false},
    {"session_user", 0, 0, "pg_current_user", false},
    {"user", 0, 0, "pg_current_user", false},
    {"pg_backend_pid", 0, 0, "pg_backend_pid", false},
    {"pg_get_userbyid", 1, 1, "pg_get_userbyid", false},
    {"format_type", 2, 2, "pg_format_type", false},
    {"pg_table_is_visible", 1, 1, "pg_true1", false},
    {"pg_type_is_visible", 1, 1, "pg_true1", false},
    {"pg_function_is_visible", 1, 1, "pg_true1", false},
    {"has_table_privilege", 2, 3, "pg_truen", false},
    {"has_schema_privilege", 2, 3, "pg_truen", false},
    {"has_database_privilege", 2, 3, "pg_truen", false},
    {"obj_description", 1, 2, "pg_nulln", false},
    {"col_description", 2, 2, "pg_nulln", false},
    {"shobj_description", 2, 2, "pg_nulln", false},
    {"pg_get_expr", 2, 3, "pg_nulln", false},
    {"pg_encoding_to_char", 1, 1, "pg_encoding_to_char", false},
};

const char *sql_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (is_aggregate != NULL)
        *is_aggregate = false;
    if (name == NULL)
        return NULL;
    /* pg_catalog.f is f */
    if (strncmp(name, "pg_catalog.", 11) == 0)
        name += 11;
    for (size_t i = 0; i < sizeof(sql_fn_names) / sizeof(sql_fn_names[0]); i++) {
        const struct sql_fn_name *f = &sql_fn_names[i];
        if (strcmp(f->pg, name) != 0)
            continue;
        if (nargs < f->nargs_min || (f->nargs_max >= 0 && nargs > f->nargs_max))
            continue;
        if (is_aggregate != NULL)
            *is_aggregate = f->aggregate;
        return f->impl;
    }
    return NULL;
}

/* Window variants of the aggregates whose plain form SQLite cannot run over a frame. */
static const struct {
    const char *impl, *window;
} sql_fn_window_impls[] = {
    {"count", "count"},
    {"pg_sum", "pg_sum"},
    {"pg_avg", "pg_avg"},
    {"pg_min", "pg_min_w"},
    {"pg_max", "pg_max_w"},
    {"pg_string_agg", "pg_string_agg_w"},
    {"pg_array_agg", "pg_array_agg_w"},
    {"pg_bool_and", "pg_bool_and_w"},
    {"pg_bool_or", "pg_bool_or_w"},
    {"pg_var_samp", "pg_var_samp_w"},
    {"pg_var_pop", "pg_var_pop_w"},
    {"pg_stddev_samp", "pg_stddev_samp_w"},
    {"pg_stddev_pop", "pg_stddev_pop_w"},
};

/* Window-only functions SQLite implements as PostgreSQL does. */
static const struct sql_fn_name sql_fn_window_names[] = {
    {"row_number", 0, 0, "row_number", true},
    {"rank", 0, 0, "rank", true},
    {"dense_rank", 0, 0, "dense_rank", true},
    {"percent_rank", 0, 0, "percent_rank", true},
    {"cume_dist", 0, 0, "cume_dist", true},
    {"ntile", 1, 1, "ntile", true},
    {"lag", 1, 3, "lag", true},
    {"lead", 1, 3, "lead", true},
    {"first_value", 1, 1, "first_value", true},
    {"last_value", 1, 1, "last_value", true},
    {"nth_value", 2, 2, "nth_value", true},
};

const char *sql_func_lookup_window(const char *name, int nargs)
{
    if (name == NULL)
        return NULL;
    if (strncmp(name, "pg_catalog.", 11) == 0)
        name += 11;
    for (size_t i = 0; i < sizeof(sql_fn_window_names) / sizeof(sql_fn_window_names[0]); i++) {
        const struct sql_fn_name *f = &sql_fn_window_names[i];
        if (strcmp(f->pg, name) == 0 && nargs >= f->nargs_min && nargs <= f->nargs_max)
            return f->impl;
    }
    bool agg = false;
    const char *impl = sql_func_lookup(name, nargs, &agg);
    if (impl == NULL || !agg)
        return NULL;
    for (size_t i = 0; i < sizeof(sql_fn_window_impls) / sizeof(sql_fn_window_impls[0]); i++) {
        if (strcmp(sql_fn_window_impls[i].impl, impl) == 0)
            return sql_fn_window_impls[i].window;
    }
    return NULL;
}

/* ---- registration ---- */

static void sql_fn_state_free(void *p)
{
    free(p);
}

/* The function that owns the per-connection state: SQLite frees the state with it. */
static void sql_fn_state_owner(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_null(ctx);
}

static int sql_register_defs(sqlite3 *db, struct sql_fn_state *st, const struct sql_fn_def *defs,
                             struct errbuf *eb)
{
    for (const struct sql_fn_def *d = defs; d->name != NULL; d++) {
        int rc = sqlite3_create_function_v2(db, d->name, d->nargs, SQLITE_UTF8 | d->flags, st,
                                            d->func, d->step, d->final, NULL);
        if (rc != SQLITE_OK)
            return err_set(eb, rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_INVAL, "registering %s/%d: %s",
                           d->name, d->nargs, sqlite3_errstr(rc));
    }
    return 0;
}

int sql_func_register(sqlite3 *db, const struct sql_func_env *env, struct errbuf *eb)
{
    if (db == NULL || env == NULL)
        return err_set(eb, ERR_INVAL, "sql_func_register: db and env are required");
    struct sql_fn_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return err_set(eb, ERR_NOMEM, "sql_func_register: out of memory");
    st->env = env;
    /* On failure SQLite calls the destructor itself: st is not ours to free after this. */
    int rc = sqlite3_create_function_v2(db, "pg_cairn_state", 0, SQLITE_UTF8, st,
                                        sql_fn_state_owner, NULL, NULL, sql_fn_state_free);
    if (rc != SQLITE_OK)
        return err_set(eb, ERR_NOMEM, "sql_func_register: %s", sqlite3_errstr(rc));
    const struct sql_fn_def *lists[] = {sql_fn_ops_defs, sql_fn_math_defs, sql_fn_str_defs,
                                        sql_fn_dt_defs,  sql_fn_misc_defs, sql_fn_json_defs,
                                        sql_fn_bytea_defs};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        int r = sql_register_defs(db, st, lists[i], eb);
        if (r != 0)
            return r;
    }
    int r = sql_fn_register_aggregates(db, st, eb);
    if (r != 0)
        return r;
    rc = sqlite3_create_collation_v2(db, "pg_numeric", SQLITE_UTF8, NULL, sql_fn_numeric_collate,
                                     NULL);
    if (rc != SQLITE_OK)
        return err_set(eb, ERR_NOMEM, "registering the pg_numeric collation: %s",
                       sqlite3_errstr(rc));
    return 0;
}
