/* PostgreSQL's operators and casts on runtime-typed SQLite values: + - * / % unary - ^, the
 * comparisons, pg_cast, pg_numeric literals, LIKE/ILIKE, and the pg_numeric collation. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

enum sql_op {
    SQL_OP_ADD,
    SQL_OP_SUB,
    SQL_OP_MUL,
    SQL_OP_DIV,
    SQL_OP_MOD,
};

static const char *const sql_op_sym[] = {"+", "-", "*", "/", "%"};

static void sql_op_undefined(sqlite3_context *ctx, enum sql_op op, const struct sql_val *a,
                             const struct sql_val *b)
{
    sql_fn_error(ctx, "42883", "operator does not exist: %s %s %s", sql_fn_kind_name(a->kind),
                 sql_op_sym[op], sql_fn_kind_name(b->kind));
}

/* An unknown-looking text operand of a numeric operator: PostgreSQL reads it with the other
 * operand's input function and reports that. */
static void sql_op_bad_text(sqlite3_context *ctx, const struct sql_val *text,
                            const struct sql_val *other)
{
    const char *type = other->kind == SQL_VK_FLOAT     ? "double precision"
                       : other->kind == SQL_VK_NUMERIC ? "numeric"
                                                       : "integer";
    sql_fn_error(ctx, "22P02", "invalid input syntax for type %s: \"%.*s\"", type,
                 text->len > 200 ? 200 : text->len, text->text);
}

static void sql_op_int(sqlite3_context *ctx, enum sql_op op, int64_t a, int64_t b)
{
    int64_t r = 0;
    bool overflow = false;
    switch (op) {
    case SQL_OP_ADD:
        overflow = __builtin_add_overflow(a, b, &r);
        break;
    case SQL_OP_SUB:
        overflow = __builtin_sub_overflow(a, b, &r);
        break;
    case SQL_OP_MUL:
        overflow = __builtin_mul_overflow(a, b, &r);
        break;
    case SQL_OP_DIV:
        if (b == 0) {
            sql_fn_error(ctx, "22012", "division by zero");
            return;
        }
        if (a == INT64_MIN && b == -1)
            overflow = true;
        else
            r = a / b; /* C truncates toward zero, as PostgreSQL */
        break;
    case SQL_OP_MOD:
        if (b == 0) {
            sql_fn_error(ctx, "22012", "division by zero");
            return;
        }
        r = b == -1 ? 0 : a % b;
        break;
    }
    if (overflow) {
        sql_fn_error(ctx, "22003", "bigint out of range");
        return;
    }
    sqlite3_result_int64(ctx, r);
}

static void sql_op_float(sqlite3_context *ctx, enum sql_op op, double a, double b)
{
    bool inf = isinf(a) || isinf(b);
    switch (op) {
    case SQL_OP_ADD:
        sql_fn_result_float(ctx, a + b, inf, false, false);
        return;
    case SQL_OP_SUB:
        sql_fn_result_float(ctx, a - b, inf, false, false);
        return;
    case SQL_OP_MUL:
        sql_fn_result_float(ctx, a * b, inf, true, a == 0.0 || b == 0.0);
        return;
    case SQL_OP_DIV:
        if (b == 0.0 && !isnan(a)) {
            sql_fn_error(ctx, "22012", "division by zero");
            return;
        }
        sql_fn_result_float(ctx, a / b, isinf(a), true, a == 0.0 || isinf(b));
        return;
    case SQL_OP_MOD:
        sql_fn_error(ctx, "42883", "operator does not exist: double precision %% double precision");
        return;
    }
}

static void sql_op_numeric(sqlite3_context *ctx, enum sql_op op, const struct sql_val *a,
                           const struct sql_val *b)
{
    struct sql_numeric *x = malloc(2 * sizeof(*x));
    if (x == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_numeric *y = x + 1;
    sql_fn_to_numeric(a, x);
    sql_fn_to_numeric(b, y);
    int rc = 0;
    switch (op) {
    case SQL_OP_ADD:
        rc = sql_numeric_add(x, y, x);
        break;
    case SQL_OP_SUB:
        rc = sql_numeric_sub(x, y, x);
        break;
    case SQL_OP_MUL:
        rc = sql_numeric_mul(x, y, x);
        break;
    case SQL_OP_DIV:
        rc = sql_numeric_div(x, y, x);
        break;
    case SQL_OP_MOD:
        rc = sql_numeric_mod(x, y, x);
        break;
    }
    if (rc != 0)
        sql_fn_numeric_error(ctx, rc);
    else
        sql_fn_result_numeric(ctx, x);
    free(x);
}

/* The datetime rules of + and -. Returns false if the pair has no datetime meaning. */
static bool sql_op_datetime(sqlite3_context *ctx, enum sql_op op, const struct sql_val *a,
                            const struct sql_val *b)
{
    enum sql_vkind ka = a->kind, kb = b->kind;
    int rc = 0;
    if (op == SQL_OP_ADD) {
        if (ka == SQL_VK_INT &&
            (kb == SQL_VK_DATE || kb == SQL_VK_TIMESTAMP || kb == SQL_VK_INTERVAL))
            return sql_op_datetime(ctx, op, b, a);
        if (ka == SQL_VK_INTERVAL && (kb == SQL_VK_DATE || kb == SQL_VK_TIMESTAMP))
            return sql_op_datetime(ctx, op, b, a);
    }
    if (ka == SQL_VK_DATE && kb == SQL_VK_INT) {
        int32_t d;
        int64_t n = b->i;
        if (op == SQL_OP_SUB) {
            if (n == INT64_MIN)
                n = INT64_MAX;
            else
                n = -n;
        } else if (op != SQL_OP_ADD) {
            return false;
        }
        rc = sql_date_add_days(a->date, n, &d);
        if (rc != 0)
            sql_fn_error(ctx, "22008", "date out of range");
        else
            sql_fn_result_date(ctx, d);
        return true;
    }
    if (ka == SQL_VK_DATE && kb == SQL_VK_DATE && op == SQL_OP_SUB) {
        int32_t days;
        rc = sql_date_diff(a->date, b->date, &days);
        if (rc != 0)
            sql_fn_error(ctx, "22008", "cannot subtract infinite dates");
        else
            sqlite3_result_int64(ctx, days);
        return true;
    }
    if ((ka == SQL_VK_DATE || ka == SQL_VK_TIMESTAMP) && kb == SQL_VK_INTERVAL &&
        (op == SQL_OP_ADD || op == SQL_OP_SUB)) {
        int64_t ts = ka == SQL_VK_DATE ? sql_date_to_timestamp(a->date) : a->ts, r;
        rc = op == SQL_OP_ADD ? sql_timestamp_add_interval(ts, &b->iv, &r)
                              : sql_timestamp_sub_interval(ts, &b->iv, &r);
        if (rc != 0)
            sql_fn_error(ctx, "22008", "timestamp out of range");
        else
            sql_fn_result_ts(ctx, r, ka == SQL_VK_TIMESTAMP && a->tz);
        return true;
    }
    if ((ka == SQL_VK_DATE || ka == SQL_VK_TIMESTAMP) &&
        (kb == SQL_VK_DATE || kb == SQL_VK_TIMESTAMP) && op == SQL_OP_SUB) {
        int64_t t1 = ka == SQL_VK_DATE ? sql_date_to_timestamp(a->date) : a->ts;
        int64_t t2 = kb == SQL_VK_DATE ? sql_date_to_timestamp(b->date) : b->ts;
        struct sql_interval iv;
        rc = sql_timestamp_diff(t1, t2, &iv);
        if (rc == ERR_CONFLICT)
            sql_fn_error(ctx, "22008", "cannot subtract infinite timestamps");
        else if (rc != 0)
            sql_fn_error(ctx, "22008", "interval out of range");
        else
            sql_fn_result_interval(ctx, &iv);
        return true;
    }
    if (ka == SQL_VK_INTERVAL && kb == SQL_VK_INTERVAL && (op == SQL_OP_ADD || op == SQL_OP_SUB)) {
        struct sql_interval iv;
        rc = op == SQL_OP_ADD ? sql_interval_add(&a->iv, &b->iv, &iv)
                              : sql_interval_sub(&a->iv, &b->iv, &iv);
        if (rc != 0)
            sql_fn_error(ctx, "22008", "interval out of range");
        else
            sql_fn_result_interval(ctx, &iv);
        return true;
    }
    if ((op == SQL_OP_MUL || op == SQL_OP_DIV) && ka == SQL_VK_INTERVAL && sql_fn_is_number(b)) {
        struct sql_interval iv;
        double f = sql_fn_to_double(b);
        rc = op == SQL_OP_MUL ? sql_interval_mul(&a->iv, f, &iv) : sql_interval_div(&a->iv, f, &iv);
        if (rc == ERR_INVAL)
            sql_fn_error(ctx, "22012", "division by zero");
        else if (rc != 0)
            sql_fn_error(ctx, "22008", "interval out of range");
        else
            sql_fn_result_interval(ctx, &iv);
        return true;
    }
    if (op == SQL_OP_MUL && kb == SQL_VK_INTERVAL && sql_fn_is_number(a))
        return sql_op_datetime(ctx, op, b, a);
    return false;
}

static void sql_op_binary(sqlite3_context *ctx, enum sql_op op, sqlite3_value **argv)
{
    struct sql_val *v = malloc(2 * sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_val *a = &v[0], *b = &v[1];
    int rc = sql_fn_classify(argv[0], a);
    if (rc == 0)
        rc = sql_fn_classify(argv[1], b);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
    } else if (a->kind == SQL_VK_NULL || b->kind == SQL_VK_NULL) {
        sqlite3_result_null(ctx);
    } else if (sql_fn_is_number(a) && sql_fn_is_number(b)) {
        if (a->kind == SQL_VK_FLOAT || b->kind == SQL_VK_FLOAT)
            sql_op_float(ctx, op, sql_fn_to_double(a), sql_fn_to_double(b));
        else if (a->kind == SQL_VK_NUMERIC || b->kind == SQL_VK_NUMERIC)
            sql_op_numeric(ctx, op, a, b);
        else
            sql_op_int(ctx, op, a->i, b->i);
    } else if (sql_op_datetime(ctx, op, a, b)) {
        /* done */
    } else if (a->kind == SQL_VK_TEXT && sql_fn_is_number(b)) {
        sql_op_bad_text(ctx, a, b);
    } else if (b->kind == SQL_VK_TEXT && sql_fn_is_number(a)) {
        sql_op_bad_text(ctx, b, a);
    } else {
        sql_op_undefined(ctx, op, a, b);
    }
    free(v);
}

static void sql_fn_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_op_binary(ctx, SQL_OP_ADD, argv);
}

static void sql_fn_sub(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_op_binary(ctx, SQL_OP_SUB, argv);
}

static void sql_fn_mul(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_op_binary(ctx, SQL_OP_MUL, argv);
}

static void sql_fn_div(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_op_binary(ctx, SQL_OP_DIV, argv);
}

static void sql_fn_mod(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_op_binary(ctx, SQL_OP_MOD, argv);
}

static void sql_fn_neg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *a = malloc(sizeof(*a));
    if (a == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int rc = sql_fn_classify(argv[0], a);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
    } else {
        switch (a->kind) {
        case SQL_VK_NULL:
            sqlite3_result_null(ctx);
            break;
        case SQL_VK_INT:
            if (a->i == INT64_MIN)
                sql_fn_error(ctx, "22003", "bigint out of range");
            else
                sqlite3_result_int64(ctx, -a->i);
            break;
        case SQL_VK_FLOAT:
            sql_fn_result_double(ctx, -a->f);
            break;
        case SQL_VK_NUMERIC:
            sql_numeric_neg(&a->num);
            sql_fn_result_numeric(ctx, &a->num);
            break;
        case SQL_VK_INTERVAL: {
            struct sql_interval iv;
            if (sql_interval_neg(&a->iv, &iv) != 0)
                sql_fn_error(ctx, "22008", "interval out of range");
            else
                sql_fn_result_interval(ctx, &iv);
            break;
        }
        case SQL_VK_TEXT:
            sql_fn_error(ctx, "22P02", "invalid input syntax for type integer: \"%.*s\"",
                         a->len > 200 ? 200 : a->len, a->text);
            break;
        default:
            sql_fn_error(ctx, "42883", "operator does not exist: - %s", sql_fn_kind_name(a->kind));
            break;
        }
    }
    free(a);
}

/* PostgreSQL's dpow: POSIX pow() with its errors made SQL errors. */
void sql_fn_float_pow(sqlite3_context *ctx, double x, double y);
void sql_fn_float_pow(sqlite3_context *ctx, double x, double y)
{
    if (isnan(x)) {
        sql_fn_result_double(ctx, isnan(y) || y != 0.0 ? NAN : 1.0);
        return;
    }
    if (isnan(y)) {
        sql_fn_result_double(ctx, x != 1.0 ? NAN : 1.0);
        return;
    }
    if (x == 0.0 && y < 0.0) {
        sql_fn_error(ctx, "2201F", "zero raised to a negative power is undefined");
        return;
    }
    if (x < 0.0 && floor(y) != y) {
        sql_fn_error(ctx, "2201F",
                     "a negative number raised to a non-integer power yields a complex result");
        return;
    }
    double r = pow(x, y);
    if (isinf(r) && !isinf(x) && !isinf(y)) {
        sql_fn_error(ctx, "22003", "value out of range: overflow");
        return;
    }
    if (r == 0.0 && x != 0.0 && !isinf(x) && !isinf(y)) {
        sql_fn_error(ctx, "22003", "value out of range: underflow");
        return;
    }
    sql_fn_result_double(ctx, r);
}

/* x ^ y and power(x, y): float8 unless a numeric is involved (integers go to float8, as
 * PostgreSQL has no integer power). */
static void sql_fn_pow(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = malloc(2 * sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int rc = sql_fn_classify(argv[0], &v[0]);
    if (rc == 0)
        rc = sql_fn_classify(argv[1], &v[1]);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
    } else if (v[0].kind == SQL_VK_NULL || v[1].kind == SQL_VK_NULL) {
        sqlite3_result_null(ctx);
    } else if (!sql_fn_is_number(&v[0]) || !sql_fn_is_number(&v[1])) {
        if (v[0].kind == SQL_VK_TEXT)
            sql_op_bad_text(ctx, &v[0], &v[1]);
        else if (v[1].kind == SQL_VK_TEXT)
            sql_op_bad_text(ctx, &v[1], &v[0]);
        else
            sql_fn_error(ctx, "42883", "operator does not exist: %s ^ %s",
                         sql_fn_kind_name(v[0].kind), sql_fn_kind_name(v[1].kind));
    } else if (v[0].kind == SQL_VK_FLOAT || v[1].kind == SQL_VK_FLOAT ||
               (v[0].kind == SQL_VK_INT && v[1].kind == SQL_VK_INT)) {
        sql_fn_float_pow(ctx, sql_fn_to_double(&v[0]), sql_fn_to_double(&v[1]));
    } else {
        struct sql_numeric *x = malloc(2 * sizeof(*x));
        if (x == NULL) {
            sql_fn_nomem(ctx);
        } else {
            sql_fn_to_numeric(&v[0], &x[0]);
            sql_fn_to_numeric(&v[1], &x[1]);
            rc = sql_numeric_power(&x[0], &x[1], &x[0]);
            if (rc == ERR_INVAL)
                sql_fn_error(ctx, "2201F", "zero raised to a negative power is undefined");
            else if (rc == ERR_UNSUPPORTED)
                sql_fn_error(ctx, "2201F",
                             "a negative number raised to a non-integer power "
                             "yields a complex result");
            else if (rc != 0)
                sql_fn_numeric_error(ctx, rc);
            else
                sql_fn_result_numeric(ctx, &x[0]);
            free(x);
        }
    }
    free(v);
}

/* ---- comparison ---- */

/* Compares two classified, non-NULL values as PostgreSQL would. Returns -1/0/1, or 2 when the
 * pair has no ordering (after setting an error). */
int sql_fn_compare(sqlite3_context *ctx, const struct sql_val *a, const struct sql_val *b);
int sql_fn_compare(sqlite3_context *ctx, const struct sql_val *a, const struct sql_val *b)
{
    if (sql_fn_is_number(a) && sql_fn_is_number(b)) {
        if (a->kind == SQL_VK_INT && b->kind == SQL_VK_INT)
            return a->i < b->i ? -1 : a->i > b->i;
        if (a->kind == SQL_VK_FLOAT || b->kind == SQL_VK_FLOAT) {
            double x = sql_fn_to_double(a), y = sql_fn_to_double(b);
            /* PostgreSQL orders NaN above everything and equal to itself */
            if (isnan(x) || isnan(y))
                return isnan(x) && isnan(y) ? 0 : isnan(x) ? 1 : -1;
            return x < y ? -1 : x > y;
        }
        struct sql_numeric *x = malloc(2 * sizeof(*x));
        if (x == NULL) {
            sql_fn_nomem(ctx);
            return 2;
        }
        sql_fn_to_numeric(a, &x[0]);
        sql_fn_to_numeric(b, &x[1]);
        int c = sql_numeric_cmp(&x[0], &x[1]);
        free(x);
        return c;
    }
    bool adt = a->kind == SQL_VK_DATE || a->kind == SQL_VK_TIMESTAMP;
    bool bdt = b->kind == SQL_VK_DATE || b->kind == SQL_VK_TIMESTAMP;
    if (adt && bdt) {
        if (a->kind == SQL_VK_DATE && b->kind == SQL_VK_DATE)
            return a->date < b->date ? -1 : a->date > b->date;
        int64_t x = a->kind == SQL_VK_DATE ? sql_date_to_timestamp(a->date) : a->ts;
        int64_t y = b->kind == SQL_VK_DATE ? sql_date_to_timestamp(b->date) : b->ts;
        return x < y ? -1 : x > y;
    }
    if (a->kind == SQL_VK_INTERVAL && b->kind == SQL_VK_INTERVAL)
        return sql_interval_cmp(&a->iv, &b->iv);
    if (sql_fn_is_number(a) && b->kind == SQL_VK_TEXT) {
        sql_op_bad_text(ctx, b, a);
        return 2;
    }
    if (sql_fn_is_number(b) && a->kind == SQL_VK_TEXT) {
        sql_op_bad_text(ctx, a, b);
        return 2;
    }
    bool astr = a->kind != SQL_VK_INT && a->kind != SQL_VK_FLOAT;
    bool bstr = b->kind != SQL_VK_INT && b->kind != SQL_VK_FLOAT;
    if (astr && bstr && (a->kind == SQL_VK_BLOB) == (b->kind == SQL_VK_BLOB)) {
        /* text (and values whose text we kept) in the C collation: bytewise */
        int n = a->len < b->len ? a->len : b->len;
        int c = n > 0 ? memcmp(a->text, b->text, (size_t)n) : 0;
        if (c != 0)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    sql_fn_error(ctx, "42883", "operator does not exist: %s = %s", sql_fn_kind_name(a->kind),
                 sql_fn_kind_name(b->kind));
    return 2;
}

enum sql_cmp_op {
    SQL_CMP_CMP,
    SQL_CMP_EQ,
    SQL_CMP_NE,
    SQL_CMP_LT,
    SQL_CMP_LE,
    SQL_CMP_GT,
    SQL_CMP_GE,
};

static void sql_cmp_common(sqlite3_context *ctx, sqlite3_value **argv, enum sql_cmp_op op)
{
    struct sql_val *v = malloc(2 * sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int rc = sql_fn_classify(argv[0], &v[0]);
    if (rc == 0)
        rc = sql_fn_classify(argv[1], &v[1]);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
    } else if (v[0].kind == SQL_VK_NULL || v[1].kind == SQL_VK_NULL) {
        sqlite3_result_null(ctx);
    } else {
        /* Text kept as text on both sides compares bytewise even when one looks like a date. */
        int c = sql_fn_compare(ctx, &v[0], &v[1]);
        if (c != 2) {
            int r = 0;
            switch (op) {
            case SQL_CMP_CMP:
                r = c;
                break;
            case SQL_CMP_EQ:
                r = c == 0;
                break;
            case SQL_CMP_NE:
                r = c != 0;
                break;
            case SQL_CMP_LT:
                r = c < 0;
                break;
            case SQL_CMP_LE:
                r = c <= 0;
                break;
            case SQL_CMP_GT:
                r = c > 0;
                break;
            case SQL_CMP_GE:
                r = c >= 0;
                break;
            }
            sqlite3_result_int(ctx, r);
        }
    }
    free(v);
}

static void sql_fn_cmp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_CMP);
}

static void sql_fn_eq(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_EQ);
}

static void sql_fn_ne(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_NE);
}

static void sql_fn_lt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_LT);
}

static void sql_fn_le(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_LE);
}

static void sql_fn_gt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_GT);
}

static void sql_fn_ge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_cmp_common(ctx, argv, SQL_CMP_GE);
}

/* ---- the pg_numeric collation ---- */

/* Numerics (in numeric order) sort before other text (in byte order): a total order, so SQLite
 * indexes stay consistent even if a column holds both. '1.0' and '1.00' are equal, as in
 * PostgreSQL. */
/* A plain decimal ([blanks][sign]digits[.digits][blanks], no exponent) split into its
 * significant parts, without converting. */
struct sql_plain_dec {
    int sign;            /* -1, 0 (zero), 1 */
    const char *ip, *fp; /* integer digits without leading zeros, fraction without trailing */
    int ilen, flen;
};

static bool sql_plain_dec_scan(const char *s, int n, struct sql_plain_dec *d)
{
    int i = 0;
    while (i < n && s[i] == ' ')
        i++;
    while (n > i && s[n - 1] == ' ')
        n--;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    int istart = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    int iend = i, fstart = i, fend = i;
    if (i < n && s[i] == '.') {
        fstart = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        fend = i;
    }
    if (i != n || (iend == istart && fend == fstart))
        return false;
    while (istart < iend && s[istart] == '0')
        istart++;
    while (fend > fstart && s[fend - 1] == '0')
        fend--;
    d->ip = s + istart;
    d->ilen = iend - istart;
    d->fp = s + fstart;
    d->flen = fend - fstart;
    d->sign = d->ilen == 0 && d->flen == 0 ? 0 : neg ? -1 : 1;
    return true;
}

/* Compares the magnitudes of two scanned decimals. */
static int sql_plain_dec_cmp_abs(const struct sql_plain_dec *x, const struct sql_plain_dec *y)
{
    if (x->ilen != y->ilen)
        return x->ilen < y->ilen ? -1 : 1;
    int c = x->ilen > 0 ? memcmp(x->ip, y->ip, (size_t)x->ilen) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    int m = x->flen < y->flen ? x->flen : y->flen;
    c = m > 0 ? memcmp(x->fp, y->fp, (size_t)m) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    /* the longer fraction has a nonzero digit beyond (trailing zeros were trimmed) */
    return x->flen < y->flen ? -1 : x->flen > y->flen;
}

int sql_fn_numeric_collate(void *arg, int alen, const void *a, int blen, const void *b)
{
    /* the common case, two plain decimals, compares without converting */
    struct sql_plain_dec da, db;
    if (sql_plain_dec_scan(a, alen, &da) && sql_plain_dec_scan(b, blen, &db)) {
        if (da.sign != db.sign)
            return da.sign < db.sign ? -1 : 1;
        int c = sql_plain_dec_cmp_abs(&da, &db);
        return da.sign < 0 ? -c : c;
    }
    bool an = sql_numeric_looks_like(a, (size_t)alen);
    bool bn = sql_numeric_looks_like(b, (size_t)blen);
    if (an && bn) {
        struct sql_numeric *x = malloc(2 * sizeof(*x));
        if (x != NULL && sql_numeric_parse(a, (size_t)alen, &x[0]) == 0 &&
            sql_numeric_parse(b, (size_t)blen, &x[1]) == 0) {
            int c = sql_numeric_cmp(&x[0], &x[1]);
            free(x);
            return c;
        }
        free(x);
        /* unparsable (out of bounds) or out of memory: bytes decide, consistently */
    } else if (an != bn) {
        return an ? -1 : 1;
    }
    int n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, (size_t)n) : 0;
    if (c != 0)
        return c;
    return alen - blen;
}

int sql_numeric_collate(const void *a, int alen, const void *b, int blen)
{
    return sql_fn_numeric_collate(NULL, alen, a, blen, b);
}

/* ---- pg_numeric(text): a decimal literal ---- */

static void sql_fn_numeric_literal(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sql_fn_cast(ctx, argv[0], "numeric", true);
}

/* ---- LIKE and ILIKE ---- */

static int sql_like_fold(int c, bool icase)
{
    return icase && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Length in bytes of the UTF-8 character at s (1 for a stray byte). */
static int sql_utf8_len(const unsigned char *s, int n)
{
    int l = 1;
    if (s[0] >= 0xF0)
        l = 4;
    else if (s[0] >= 0xE0)
        l = 3;
    else if (s[0] >= 0xC0)
        l = 2;
    return l > n ? n : l;
}

/* PostgreSQL's LIKE: % any run, _ one character, esc quotes the next; 1 match, 0 none, -1 the
 * pattern ends with the escape. Iterative, backtracking only to the last %, so the work is at
 * most |s| × |p|. */
static int sql_like_match(const unsigned char *s, int sn, const unsigned char *p, int pn, int esc,
                          bool icase)
{
    int si = 0, pi = 0;
    int star_p = -1, star_s = 0;
    for (;;) {
        if (pi < pn) {
            int pc = p[pi];
            if (pc == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            }
            int skip = 0;
            if (esc >= 0 && pc == esc) {
                if (pi + 1 >= pn)
                    return -1;
                skip = 1;
            }
            if (si < sn) {
                int slen = sql_utf8_len(s + si, sn - si);
                bool ok;
                int padv;
                if (pc == '_' && skip == 0) {
                    ok = true;
                    padv = sql_utf8_len(p + pi, pn - pi);
                } else {
                    const unsigned char *pch = p + pi + skip;
                    int plen = sql_utf8_len(pch, pn - pi - skip);
                    ok = slen == plen;
                    for (int k = 0; ok && k < plen; k++)
                        ok = sql_like_fold(s[si + k], icase) == sql_like_fold(pch[k], icase);
                    padv = skip + plen;
                }
                if (ok) {
                    si += slen;
                    pi += padv;
                    continue;
                }
            }
        } else if (si >= sn) {
            return 1;
        }
        /* mismatch: let the last % take one more character */
        if (star_p < 0 || star_s >= sn)
            return 0;
        star_s += sql_utf8_len(s + star_s, sn - star_s);
        si = star_s;
        pi = star_p;
    }
}

static void sql_like_common(sqlite3_context *ctx, int argc, sqlite3_value **argv, bool icase)
{
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    }
    const unsigned char *s = sqlite3_value_text(argv[0]);
    int sn = sqlite3_value_bytes(argv[0]);
    const unsigned char *p = sqlite3_value_text(argv[1]);
    int pn = sqlite3_value_bytes(argv[1]);
    int esc = '\\';
    if (argc == 3) {
        const unsigned char *e = sqlite3_value_text(argv[2]);
        int en = sqlite3_value_bytes(argv[2]);
        if (en == 0) {
            esc = -1;
        } else if (en == 1) {
            esc = e[0];
        } else {
            sql_fn_error(ctx, "22019", "invalid escape string");
            return;
        }
    }
    if (s == NULL || p == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int r = sql_like_match(s, sn, p, pn, esc, icase);
    if (r < 0)
        sql_fn_error(ctx, "22025", "LIKE pattern must not end with escape character");
    else
        sqlite3_result_int(ctx, r);
}

static void sql_fn_like(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_like_common(ctx, argc, argv, false);
}

static void sql_fn_ilike(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_like_common(ctx, argc, argv, true);
}

/* ---- casts ---- */

enum sql_cast_kind {
    SQL_CK_INT2,
    SQL_CK_INT4,
    SQL_CK_INT8,
    SQL_CK_FLOAT4,
    SQL_CK_FLOAT8,
    SQL_CK_NUMERIC,
    SQL_CK_TEXT,
    SQL_CK_VARCHAR,
    SQL_CK_BPCHAR,
    SQL_CK_BOOL,
    SQL_CK_DATE,
    SQL_CK_TIMESTAMP,
    SQL_CK_TIMESTAMPTZ,
    SQL_CK_TIME,
    SQL_CK_TIMETZ,
    SQL_CK_INTERVAL,
    SQL_CK_BYTEA,
    SQL_CK_JSON,
    SQL_CK_JSONB,
    SQL_CK_UUID,
    SQL_CK_OID,
    SQL_CK_REGCLASS,
};

struct sql_cast_type {
    enum sql_cast_kind kind;
    int n_mods;
    int mod[2];
    bool array; /* "int4[]": a one-dimensional array of the kind */
};

static const struct {
    const char *name;
    enum sql_cast_kind kind;
} sql_cast_names[] = {
    {"int2", SQL_CK_INT2},
    {"smallint", SQL_CK_INT2},
    {"int4", SQL_CK_INT4},
    {"int", SQL_CK_INT4},
    {"integer", SQL_CK_INT4},
    {"int8", SQL_CK_INT8},
    {"bigint", SQL_CK_INT8},
    {"float4", SQL_CK_FLOAT4},
    {"real", SQL_CK_FLOAT4},
    {"float8", SQL_CK_FLOAT8},
    {"float", SQL_CK_FLOAT8},
    {"double precision", SQL_CK_FLOAT8},
    {"numeric", SQL_CK_NUMERIC},
    {"decimal", SQL_CK_NUMERIC},
    {"text", SQL_CK_TEXT},
    {"name", SQL_CK_TEXT},
    {"varchar", SQL_CK_VARCHAR},
    {"character varying", SQL_CK_VARCHAR},
    {"bpchar", SQL_CK_BPCHAR},
    {"char", SQL_CK_BPCHAR},
    {"character", SQL_CK_BPCHAR},
    {"bool", SQL_CK_BOOL},
    {"boolean", SQL_CK_BOOL},
    {"date", SQL_CK_DATE},
    {"timestamp", SQL_CK_TIMESTAMP},
    {"timestamp without time zone", SQL_CK_TIMESTAMP},
    {"timestamptz", SQL_CK_TIMESTAMPTZ},
    {"timestamp with time zone", SQL_CK_TIMESTAMPTZ},
    {"time", SQL_CK_TIME},
    {"time without time zone", SQL_CK_TIME},
    {"timetz", SQL_CK_TIMETZ},
    {"time with time zone", SQL_CK_TIMETZ},
    {"interval", SQL_CK_INTERVAL},
    {"bytea", SQL_CK_BYTEA},
    {"json", SQL_CK_JSON},
    {"jsonb", SQL_CK_JSONB},
    {"uuid", SQL_CK_UUID},
    {"oid", SQL_CK_OID},
    {"regclass", SQL_CK_REGCLASS},
    {"regtype", SQL_CK_REGCLASS},
    {"regproc", SQL_CK_REGCLASS},
    {"regnamespace", SQL_CK_REGCLASS},
};

/* Parses "numeric(10,2)", "varchar(5)", "double precision"... Returns 0 or ERR_NOTFOUND. */
static int sql_cast_parse_type(const char *s, struct sql_cast_type *t)
{
    char name[64];
    size_t n = 0;
    while (*s == ' ')
        s++;
    while (*s && *s != '(' && *s != '[' && n + 1 < sizeof(name))
        name[n++] = (char)tolower((unsigned char)*s++);
    while (n > 0 && name[n - 1] == ' ')
        n--;
    name[n] = '\0';
    if (strncmp(name, "pg_catalog.", 11) == 0)
        memmove(name, name + 11, n - 10);
    t->n_mods = 0;
    t->array = false;
    bool found = false;
    for (size_t i = 0; i < sizeof(sql_cast_names) / sizeof(sql_cast_names[0]); i++) {
        if (strcmp(name, sql_cast_names[i].name) == 0) {
            t->kind = sql_cast_names[i].kind;
            found = true;
            break;
        }
    }
    if (!found)
        return ERR_NOTFOUND;
    if (*s == '(') {
        s++;
        for (;;) {
            while (*s == ' ')
                s++;
            char *end;
            long v = strtol(s, &end, 10);
            if (end == s || t->n_mods == 2)
                return ERR_NOTFOUND;
            t->mod[t->n_mods++] = (int)v;
            s = end;
            while (*s == ' ')
                s++;
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s != ')')
                return ERR_NOTFOUND;
            s++;
            break;
        }
    }
    while (*s == ' ')
        s++;
    if (s[0] == '[' && s[1] == ']') {
        t->array = true;
        s += 2;
        while (*s == ' ')
            s++;
    }
    if (*s != '\0')
        return ERR_NOTFOUND;
    /* bare char/character is char(1); bare bpchar is unbounded */
    if (t->kind == SQL_CK_BPCHAR && t->n_mods == 0 &&
        (strcmp(name, "char") == 0 || strcmp(name, "character") == 0)) {
        t->n_mods = 1;
        t->mod[0] = 1;
    }
    return 0;
}

static const char *sql_cast_int_name(enum sql_cast_kind k)
{
    return k == SQL_CK_INT2 ? "smallint" : k == SQL_CK_INT4 ? "integer" : "bigint";
}

static bool sql_cast_int_fits(enum sql_cast_kind k, int64_t v)
{
    if (k == SQL_CK_INT2)
        return v >= INT16_MIN && v <= INT16_MAX;
    if (k == SQL_CK_INT4 || k == SQL_CK_OID)
        return v >= INT32_MIN && v <= INT32_MAX;
    return true;
}

/* PostgreSQL's integer input: blanks, sign, digits, blanks. 0, ERR_MALFORMED, ERR_RANGE. */
static int sql_parse_int_text(const char *s, int len, int64_t *out)
{
    int i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    int start = i;
    uint64_t m = 0;
    bool overflow = false;
    while (i < len && isdigit((unsigned char)s[i])) {
        if (m > (UINT64_MAX - 9) / 10)
            overflow = true;
        else
            m = m * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == start)
        return ERR_MALFORMED;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i != len)
        return ERR_MALFORMED;
    if (overflow || m > (uint64_t)INT64_MAX + (neg ? 1 : 0))
        return ERR_RANGE;
    *out = neg ? (int64_t)(0 - m) : (int64_t)m;
    return 0;
}

static void sql_cast_to_int(sqlite3_context *ctx, const struct sql_val *v, enum sql_cast_kind k)
{
    const char *tname = sql_cast_int_name(k);
    int64_t r = 0;
    switch (v->kind) {
    case SQL_VK_INT:
        r = v->i;
        break;
    case SQL_VK_FLOAT: {
        /* float to integer rounds half to even (rint), as PostgreSQL */
        double d = rint(v->f);
        if (isnan(d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
            sql_fn_error(ctx, "22003", "%s out of range", tname);
            return;
        }
        r = (int64_t)d;
        break;
    }
    case SQL_VK_NUMERIC:
    case SQL_VK_TEXT: {
        if (v->kind == SQL_VK_TEXT || sql_numeric_is_finite(&v->num)) {
            int rc = sql_parse_int_text(v->text, v->len, &r);
            if (rc == ERR_RANGE) {
                sql_fn_error(ctx, "22003", "value \"%.*s\" is out of range for type %s",
                             v->len > 200 ? 200 : v->len, v->text, tname);
                return;
            }
            if (rc == 0)
                break;
        }
        if (v->kind == SQL_VK_TEXT) {
            sql_fn_error(ctx, "22P02", "invalid input syntax for type %s: \"%.*s\"", tname,
                         v->len > 200 ? 200 : v->len, v->text);
            return;
        }
        /* a numeric: round half away from zero */
        int rc = sql_numeric_to_i64(&v->num, &r);
        if (rc == ERR_UNSUPPORTED) {
            sql_fn_error(ctx, "0A000", "cannot convert %s to %s",
                         v->num.kind == SQL_NUMERIC_NAN ? "NaN" : "infinity", tname);
            return;
        }
        if (rc != 0) {
            sql_fn_error(ctx, "22003", "%s out of range", tname);
            return;
        }
        break;
    }
    default:
        sql_fn_error(ctx, "42846", "cannot cast type %s to %s", sql_fn_kind_name(v->kind), tname);
        return;
    }
    if (!sql_cast_int_fits(k, r)) {
        sql_fn_error(ctx, "22003", "%s out of range", tname);
        return;
    }
    sqlite3_result_int64(ctx, r);
}

/* PostgreSQL's float input (float8in/float4in). Returns 0, ERR_MALFORMED or ERR_RANGE. */
static int sql_parse_float_text(const char *s, int len, bool single, double *out)
{
    char buf[512];
    if (len >= (int)sizeof(buf))
        return ERR_MALFORMED;
    memcpy(buf, s, (size_t)len);
    buf[len] = '\0';
    char *p = buf;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '\0')
        return ERR_MALFORMED;
    /* strtod also takes hex floats and "infinity"/"nan" words; PostgreSQL takes the words
     * (NaN, Infinity, inf, with a sign for the infinities) but not hex. */
    const char *q = *p == '+' || *p == '-' ? p + 1 : p;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
        return ERR_MALFORMED;
    errno = 0;
    char *end;
    double d = strtod(p, &end);
    if (end == p)
        return ERR_MALFORMED;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return ERR_MALFORMED;
    if (errno == ERANGE && (d == 0.0 || isinf(d)))
        return ERR_RANGE;
    if (single) {
        float f = (float)d;
        if ((isinf(f) && !isinf(d)) || (f == 0.0f && d != 0.0))
            return ERR_RANGE;
        d = (double)f;
    }
    *out = d;
    return 0;
}

static void sql_cast_to_float(sqlite3_context *ctx, const struct sql_val *v, bool single)
{
    const char *tname = single ? "real" : "double precision";
    double d;
    switch (v->kind) {
    case SQL_VK_INT:
        d = (double)v->i;
        break;
    case SQL_VK_FLOAT:
        d = v->f;
        break;
    case SQL_VK_NUMERIC:
    case SQL_VK_TEXT: {
        int rc = sql_parse_float_text(v->text, v->len, false, &d);
        if (rc == ERR_RANGE) {
            sql_fn_error(ctx, "22003", "\"%.*s\" is out of range for type %s",
                         v->len > 200 ? 200 : v->len, v->text, tname);
            return;
        }
        if (rc != 0) {
            sql_fn_error(ctx, "22P02", "invalid input syntax for type %s: \"%.*s\"", tname,
                         v->len > 200 ? 200 : v->len, v->text);
            return;
        }
        break;
    }
    default:
        sql_fn_error(ctx, "42846", "cannot cast type %s to %s", sql_fn_kind_name(v->kind), tname);
        return;
    }
    if (single) {
        float f = (float)d;
        if (isinf(f) && !isinf(d)) {
            sql_fn_error(ctx, "22003", "value out of range: overflow");
            return;
        }
        if (f == 0.0f && d != 0.0) {
            sql_fn_error(ctx, "22003", "value out of range: underflow");
            return;
        }
        d = (double)f;
    }
    sql_fn_result_double(ctx, d);
}

static void sql_cast_to_numeric(sqlite3_context *ctx, struct sql_val *v,
                                const struct sql_cast_type *t)
{
    struct sql_numeric *n = &v->num;
    switch (v->kind) {
    case SQL_VK_INT:
    case SQL_VK_FLOAT:
        sql_fn_to_numeric(v, n);
        break;
    case SQL_VK_NUMERIC:
        break;
    case SQL_VK_TEXT: {
        int rc = sql_numeric_parse(v->text, (size_t)v->len, n);
        if (rc == ERR_RANGE) {
            sql_fn_error(ctx, "22003", "value overflows numeric format");
            return;
        }
        if (rc != 0) {
            sql_fn_error(ctx, "22P02", "invalid input syntax for type numeric: \"%.*s\"",
                         v->len > 200 ? 200 : v->len, v->text);
            return;
        }
        break;
    }
    default:
        sql_fn_error(ctx, "42846", "cannot cast type %s to numeric", sql_fn_kind_name(v->kind));
        return;
    }
    if (t->n_mods > 0) {
        int precision = t->mod[0], scale = t->n_mods > 1 ? t->mod[1] : 0;
        if (precision < 1 || precision > 1000) {
            sql_fn_error(ctx, "22023", "NUMERIC precision %d must be between 1 and 1000",
                         precision);
            return;
        }
        if (scale < -1000 || scale > 1000) {
            sql_fn_error(ctx, "22023", "NUMERIC scale %d must be between -1000 and 1000", scale);
            return;
        }
        if (sql_numeric_apply_typmod(n, precision, scale) != 0) {
            sql_fn_error(ctx, "22003", "numeric field overflow");
            return;
        }
    }
    sql_fn_result_numeric(ctx, n);
}

/* Text of any value as PostgreSQL's ::text gives it. Appends to out. */
static int sql_cast_text_of(const struct sql_val *v, struct buf *out)
{
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    switch (v->kind) {
    case SQL_VK_INT:
        return buf_printf(out, "%lld", (long long)v->i);
    case SQL_VK_FLOAT:
        return buf_append(out, text, sql_format_float8(v->f, text));
    case SQL_VK_BLOB: {
        static const char hex[] = "0123456789abcdef";
        int rc = buf_append(out, "\\x", 2);
        for (int i = 0; rc == 0 && i < v->len; i++) {
            unsigned char c = (unsigned char)v->text[i];
            char two[2] = {hex[c >> 4], hex[c & 15]};
            rc = buf_append(out, two, 2);
        }
        return rc;
    }
    default:
        return buf_append(out, v->text, (size_t)v->len);
    }
}

static void sql_cast_to_string(sqlite3_context *ctx, const struct sql_val *v,
                               const struct sql_cast_type *t, bool explicit_cast)
{
    struct buf b = BUF_INIT;
    if (sql_cast_text_of(v, &b) != 0) {
        buf_free(&b);
        sql_fn_nomem(ctx);
        return;
    }
    if ((t->kind == SQL_CK_VARCHAR || t->kind == SQL_CK_BPCHAR) && t->n_mods > 0) {
        int64_t max = t->mod[0];
        if (max < 1) {
            buf_free(&b);
            sql_fn_error(ctx, "22023", "length for type %s must be at least 1",
                         t->kind == SQL_CK_VARCHAR ? "varchar" : "char");
            return;
        }
        int64_t chars = sql_fn_utf8_chars(b.data, (int64_t)b.len);
        if (chars > max) {
            int64_t cut = sql_fn_utf8_offset(b.data, (int64_t)b.len, max);
            bool only_spaces = true;
            for (size_t i = (size_t)cut; i < b.len; i++) {
                if (b.data[i] != ' ') {
                    only_spaces = false;
                    break;
                }
            }
            if (!only_spaces && !explicit_cast) {
                buf_free(&b);
                sql_fn_error(ctx, "22001", "value too long for type %s(%d)",
                             t->kind == SQL_CK_VARCHAR ? "character varying" : "character",
                             t->mod[0]);
                return;
            }
            b.len = (size_t)cut;
            chars = max;
        }
        if (t->kind == SQL_CK_BPCHAR) {
            for (int64_t i = chars; i < max; i++) {
                if (buf_append_u8(&b, ' ') != 0) {
                    buf_free(&b);
                    sql_fn_nomem(ctx);
                    return;
                }
            }
        }
    }
    sql_fn_result_buf_text(ctx, &b);
}

/* PostgreSQL's boolean input: unique prefixes of true/false/yes/no, on/off, 1/0, any case. */
static int sql_parse_bool_text(const char *s, int len, bool *out)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0)
        return ERR_MALFORMED;
    struct {
        const char *word;
        int min;
        bool value;
    } words[] = {{"true", 1, true}, {"false", 1, false}, {"yes", 1, true}, {"no", 1, false},
                 {"on", 2, true},   {"off", 2, false},   {"1", 1, true},   {"0", 1, false}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (len >= words[i].min && (size_t)len <= strlen(words[i].word) &&
            strncasecmp(s, words[i].word, (size_t)len) == 0) {
            *out = words[i].value;
            return 0;
        }
    }
    return ERR_MALFORMED;
}

static void sql_cast_to_bool(sqlite3_context *ctx, const struct sql_val *v)
{
    bool b;
    switch (v->kind) {
    case SQL_VK_INT:
        sqlite3_result_int(ctx, v->i != 0);
        return;
    case SQL_VK_TEXT:
    case SQL_VK_NUMERIC:
        if (sql_parse_bool_text(v->text, v->len, &b) != 0) {
            sql_fn_error(ctx, "22P02", "invalid input syntax for type boolean: \"%.*s\"",
                         v->len > 200 ? 200 : v->len, v->text);
            return;
        }
        sqlite3_result_int(ctx, b);
        return;
    default:
        sql_fn_error(ctx, "42846", "cannot cast type %s to boolean", sql_fn_kind_name(v->kind));
        return;
    }
}

static void sql_cast_dt_error(sqlite3_context *ctx, int rc, const char *type,
                              const struct sql_val *v)
{
    int n = v->len > 200 ? 200 : v->len;
    switch (rc) {
    case ERR_MALFORMED:
        sql_fn_error(ctx, "22007", "invalid input syntax for type %s: \"%.*s\"", type, n, v->text);
        break;
    case ERR_RANGE:
        sql_fn_error(ctx, "22008", "date/time field value out of range: \"%.*s\"", n, v->text);
        break;
    case ERR_CONDITION:
        sql_fn_error(ctx, "22015", "interval field value out of range: \"%.*s\"", n, v->text);
        break;
    default:
        if (strcmp(type, "interval") == 0)
            sql_fn_error(ctx, "22008", "interval out of range");
        else
            sql_fn_error(ctx, "22008", "%s out of range: \"%.*s\"",
                         strcmp(type, "date") == 0 ? "date" : "timestamp", n, v->text);
        break;
    }
}

/* The typmod precision of timestamp(p), time(p), interval(p); -1 when none. */
static int sql_cast_precision(const struct sql_cast_type *t)
{
    if (t->n_mods == 0)
        return -1;
    return t->mod[0] < 0 ? 0 : t->mod[0] > 6 ? 6 : t->mod[0];
}

static void sql_cast_to_datetime(sqlite3_context *ctx, const struct sql_val *v,
                                 const struct sql_cast_type *t, int64_t now_us)
{
    enum sql_cast_kind k = t->kind;
    const char *tname = k == SQL_CK_DATE          ? "date"
                        : k == SQL_CK_TIMESTAMP   ? "timestamp without time zone"
                        : k == SQL_CK_TIMESTAMPTZ ? "timestamp with time zone"
                        : k == SQL_CK_TIME        ? "time without time zone"
                        : k == SQL_CK_TIMETZ      ? "time with time zone"
                                                  : "interval";
    if (v->kind != SQL_VK_TEXT) {
        sql_fn_error(ctx, "42846", "cannot cast type %s to %s", sql_fn_kind_name(v->kind), tname);
        return;
    }
    int prec = sql_cast_precision(t);
    char text[SQL_DT_TEXT_BYTES_MAX];
    size_t n;
    int rc;
    const char *s = v->text;
    size_t len = (size_t)v->len;
    switch (k) {
    case SQL_CK_DATE: {
        int32_t d;
        rc = sql_date_parse(s, len, now_us, &d);
        if (rc != 0) {
            sql_cast_dt_error(ctx, rc, "date", v);
            return;
        }
        n = sql_date_format(d, text);
        break;
    }
    case SQL_CK_TIMESTAMP:
    case SQL_CK_TIMESTAMPTZ: {
        int64_t ts;
        rc = k == SQL_CK_TIMESTAMP ? sql_timestamp_parse(s, len, now_us, &ts)
                                   : sql_timestamptz_parse(s, len, now_us, &ts, NULL);
        if (rc != 0) {
            sql_cast_dt_error(ctx, rc,
                              k == SQL_CK_TIMESTAMP ? "timestamp" : "timestamp with time zone", v);
            return;
        }
        if (prec >= 0 && ts != SQL_TS_POS_INF && ts != SQL_TS_NEG_INF)
            ts = sql_dt_round_precision(ts, prec);
        n = k == SQL_CK_TIMESTAMP ? sql_timestamp_format(ts, text)
                                  : sql_timestamptz_format(ts, text);
        break;
    }
    case SQL_CK_TIME:
    case SQL_CK_TIMETZ: {
        int64_t us;
        int zone = 0;
        rc = k == SQL_CK_TIME ? sql_time_parse(s, len, &us) : sql_timetz_parse(s, len, &us, &zone);
        if (rc != 0 && k == SQL_CK_TIME) {
            /* an interval's time of day, as PostgreSQL's interval → time cast */
            struct sql_interval iv;
            if (sql_interval_parse(s, len, &iv) == 0) {
                us = iv.us % SQL_DT_USECS_PER_DAY;
                if (us < 0)
                    us += SQL_DT_USECS_PER_DAY;
                rc = 0;
            }
        }
        if (rc != 0) {
            sql_cast_dt_error(ctx, rc == ERR_MALFORMED ? rc : ERR_RANGE,
                              k == SQL_CK_TIME ? "time" : "time with time zone", v);
            return;
        }
        if (prec >= 0)
            us = sql_dt_round_precision(us, prec);
        n = k == SQL_CK_TIME ? sql_time_format(us, text) : sql_timetz_format(us, zone, text);
        break;
    }
    default: {
        struct sql_interval iv;
        rc = sql_interval_parse(s, len, &iv);
        if (rc != 0) {
            sql_cast_dt_error(ctx, rc, "interval", v);
            return;
        }
        if (prec >= 0)
            iv.us = sql_dt_round_precision(iv.us, prec);
        n = sql_interval_format(&iv, text);
        break;
    }
    }
    sqlite3_result_text(ctx, text, (int)n, SQLITE_TRANSIENT);
}

static int sql_hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* PostgreSQL's bytea input: "\x" hex (blanks between bytes) or the escape format. */
static void sql_cast_to_bytea(sqlite3_context *ctx, const struct sql_val *v)
{
    if (v->kind == SQL_VK_BLOB) {
        sqlite3_result_blob(ctx, v->text, v->len, SQLITE_TRANSIENT);
        return;
    }
    if (v->kind != SQL_VK_TEXT && v->kind != SQL_VK_NUMERIC) {
        sql_fn_error(ctx, "42846", "cannot cast type %s to bytea", sql_fn_kind_name(v->kind));
        return;
    }
    const unsigned char *s = (const unsigned char *)v->text;
    int n = v->len;
    unsigned char *out = malloc((size_t)n + 1);
    if (out == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int o = 0;
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (int i = 2; i < n;) {
            if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
                i++;
                continue;
            }
            int hi = sql_hex_val(s[i]);
            if (hi < 0) {
                sql_fn_error(ctx, "22023", "invalid hexadecimal digit: \"%c\"", s[i]);
                free(out);
                return;
            }
            if (i + 1 >= n) {
                sql_fn_error(ctx, "22023", "invalid hexadecimal data: odd number of digits");
                free(out);
                return;
            }
            int lo = sql_hex_val(s[i + 1]);
            if (lo < 0) {
                sql_fn_error(ctx, "22023", "invalid hexadecimal digit: \"%c\"", s[i + 1]);
                free(out);
                return;
            }
            out[o++] = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
    } else {
        for (int i = 0; i < n;) {
            if (s[i] != '\\') {
                out[o++] = s[i++];
            } else if (i + 1 < n && s[i + 1] == '\\') {
                out[o++] = '\\';
                i += 2;
            } else if (i + 3 < n + 0 && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                       s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                out[o++] = (unsigned char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
                                           (s[i + 3] - '0'));
                i += 4;
            } else {
                sql_fn_error(ctx, "22P02", "invalid input syntax for type bytea");
                free(out);
                return;
            }
        }
    }
    sqlite3_result_blob(ctx, out, o, free);
}

/* json keeps the text as written; jsonb stores PostgreSQL's canonical form. */
static void sql_cast_to_json(sqlite3_context *ctx, const struct sql_val *v, bool jsonb)
{
    if (v->kind == SQL_VK_INT || v->kind == SQL_VK_FLOAT || v->kind == SQL_VK_BLOB) {
        sql_fn_error(ctx, "42846", "cannot cast type %s to %s", sql_fn_kind_name(v->kind),
                     jsonb ? "jsonb" : "json");
        return;
    }
    if (!jsonb) {
        if (!sql_fn_json_valid(v->text, v->len)) {
            sql_fn_error(ctx, "22P02", "invalid input syntax for type json");
            return;
        }
        sqlite3_result_text(ctx, v->text, v->len, SQLITE_TRANSIENT);
        return;
    }
    struct buf out = BUF_INIT;
    int rc = sql_fn_jsonb_canonical(v->text, v->len, &out);
    if (rc == ERR_NOMEM)
        sql_fn_nomem(ctx);
    else if (rc == ERR_TOOBIG)
        sql_fn_error(ctx, "54001", "stack depth limit exceeded");
    else if (rc == ERR_UNSUPPORTED)
        sql_fn_error(ctx, "22P05", "unsupported Unicode escape sequence");
    else if (rc != 0)
        sql_fn_error(ctx, "22P02", "invalid input syntax for type json");
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
}

static void sql_cast_to_uuid(sqlite3_context *ctx, const struct sql_val *v)
{
    if (v->kind != SQL_VK_TEXT && v->kind != SQL_VK_NUMERIC) {
        sql_fn_error(ctx, "42846", "cannot cast type %s to uuid", sql_fn_kind_name(v->kind));
        return;
    }
    /* 32 hex digits, optionally in braces, hyphens allowed after any group of four */
    const char *s = v->text;
    int n = v->len, i = 0;
    bool brace = n > 0 && s[0] == '{';
    if (brace) {
        i++;
        n--;
        if (n < 1 || s[n] != '}')
            goto bad;
    }
    char hex[33];
    int h = 0;
    for (; i < n; i++) {
        if (s[i] == '-' && h > 0 && h % 4 == 0 && h < 32 && i + 1 < n && s[i + 1] != '-')
            continue;
        if (sql_hex_val(s[i]) < 0 || h >= 32)
            goto bad;
        hex[h++] = (char)tolower((unsigned char)s[i]);
    }
    if (h != 32)
        goto bad;
    char out[37];
    snprintf(out, sizeof(out), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    sqlite3_result_text(ctx, out, 36, SQLITE_TRANSIENT);
    return;
bad:
    sql_fn_error(ctx, "22P02", "invalid input syntax for type uuid: \"%.*s\"",
                 v->len > 200 ? 200 : v->len, v->text);
}

/* One element of an array cast, canonicalized by the element type's input function into out.
 * Returns 0, ERR_NOMEM, or ERR_MALFORMED with msg set to PostgreSQL's error (sqlstate too). */
static int sql_cast_array_elem(const struct sql_cast_type *t, const char *e, int len,
                               int64_t now_us, struct buf *out, char *sqlstate, char *msg,
                               size_t cap)
{
    char text[SQL_DT_TEXT_BYTES_MAX + SQL_NUMERIC_TEXT_BYTES_MAX];
    int rc;
    switch (t->kind) {
    case SQL_CK_INT2:
    case SQL_CK_INT4:
    case SQL_CK_INT8:
    case SQL_CK_OID: {
        int64_t v;
        rc = sql_parse_int_text(e, len, &v);
        if (rc == 0 && !sql_cast_int_fits(t->kind, v))
            rc = ERR_RANGE;
        if (rc != 0) {
            strcpy(sqlstate, rc == ERR_RANGE ? "22003" : "22P02");
            if (rc == ERR_RANGE)
                snprintf(msg, cap, "value \"%.*s\" is out of range for type %s",
                         len > 200 ? 200 : len, e, sql_cast_int_name(t->kind));
            else
                snprintf(msg, cap, "invalid input syntax for type %s: \"%.*s\"",
                         sql_cast_int_name(t->kind), len > 200 ? 200 : len, e);
            return ERR_MALFORMED;
        }
        return buf_printf(out, "%lld", (long long)v);
    }
    case SQL_CK_FLOAT4:
    case SQL_CK_FLOAT8: {
        double d;
        bool single = t->kind == SQL_CK_FLOAT4;
        rc = sql_parse_float_text(e, len, single, &d);
        if (rc != 0) {
            strcpy(sqlstate, rc == ERR_RANGE ? "22003" : "22P02");
            snprintf(msg, cap, "invalid input syntax for type %s: \"%.*s\"",
                     single ? "real" : "double precision", len > 200 ? 200 : len, e);
            return ERR_MALFORMED;
        }
        size_t n = single ? sql_format_float4((float)d, text) : sql_format_float8(d, text);
        return buf_append(out, text, n);
    }
    case SQL_CK_NUMERIC: {
        struct sql_numeric *num = malloc(sizeof(*num));
        if (num == NULL)
            return ERR_NOMEM;
        rc = sql_numeric_parse(e, (size_t)len, num);
        if (rc == 0 && t->n_mods > 0 &&
            sql_numeric_apply_typmod(num, t->mod[0], t->n_mods > 1 ? t->mod[1] : 0) != 0) {
            strcpy(sqlstate, "22003");
            snprintf(msg, cap, "numeric field overflow");
            free(num);
            return ERR_MALFORMED;
        }
        if (rc != 0) {
            strcpy(sqlstate, rc == ERR_RANGE ? "22003" : "22P02");
            snprintf(msg, cap, "invalid input syntax for type numeric: \"%.*s\"",
                     len > 200 ? 200 : len, e);
            free(num);
            return ERR_MALFORMED;
        }
        rc = sql_numeric_append(num, out);
        free(num);
        return rc;
    }
    case SQL_CK_BOOL: {
        bool b;
        if (sql_parse_bool_text(e, len, &b) != 0) {
            strcpy(sqlstate, "22P02");
            snprintf(msg, cap, "invalid input syntax for type boolean: \"%.*s\"",
                     len > 200 ? 200 : len, e);
            return ERR_MALFORMED;
        }
        return buf_append_u8(out, b ? 't' : 'f');
    }
    case SQL_CK_DATE:
    case SQL_CK_TIMESTAMP:
    case SQL_CK_TIMESTAMPTZ:
    case SQL_CK_INTERVAL: {
        size_t n = 0;
        if (t->kind == SQL_CK_DATE) {
            int32_t d;
            rc = sql_date_parse(e, (size_t)len, now_us, &d);
            if (rc == 0)
                n = sql_date_format(d, text);
        } else if (t->kind == SQL_CK_INTERVAL) {
            struct sql_interval iv;
            rc = sql_interval_parse(e, (size_t)len, &iv);
            if (rc == 0)
                n = sql_interval_format(&iv, text);
        } else {
            int64_t ts;
            rc = t->kind == SQL_CK_TIMESTAMP
                     ? sql_timestamp_parse(e, (size_t)len, now_us, &ts)
                     : sql_timestamptz_parse(e, (size_t)len, now_us, &ts, NULL);
            if (rc == 0)
                n = t->kind == SQL_CK_TIMESTAMP ? sql_timestamp_format(ts, text)
                                                : sql_timestamptz_format(ts, text);
        }
        if (rc != 0) {
            strcpy(sqlstate, rc == ERR_MALFORMED ? "22007" : "22008");
            snprintf(msg, cap, "invalid input syntax for type %s: \"%.*s\"",
                     t->kind == SQL_CK_DATE       ? "date"
                     : t->kind == SQL_CK_INTERVAL ? "interval"
                                                  : "timestamp",
                     len > 200 ? 200 : len, e);
            return ERR_MALFORMED;
        }
        return sql_fn_array_elem(out, text, (int)n);
    }
    default:
        return sql_fn_array_elem(out, e, len);
    }
}

struct sql_cast_array_ctx {
    const struct sql_cast_type *t;
    int64_t now_us;
    struct buf *out;
    bool first;
    char sqlstate[6];
    char msg[300];
};

static int sql_cast_array_each(void *arg, const char *elem, int elen)
{
    struct sql_cast_array_ctx *a = arg;
    int rc = a->first ? 0 : buf_append_u8(a->out, ',');
    a->first = false;
    if (rc != 0)
        return rc;
    if (elem == NULL)
        return buf_append(a->out, "NULL", 4);
    return sql_cast_array_elem(a->t, elem, elen, a->now_us, a->out, a->sqlstate, a->msg,
                               sizeof(a->msg));
}

/* x::type[]: an array literal with every element read by the element type, printed
 * canonically ('{1,2,3}', '{t,f}', '{1.50,2}'). */
static void sql_cast_to_array(sqlite3_context *ctx, const struct sql_val *v,
                              const struct sql_cast_type *t, int64_t now_us)
{
    if (v->kind != SQL_VK_TEXT) {
        sql_fn_error(ctx, "42846", "cannot cast type %s to an array", sql_fn_kind_name(v->kind));
        return;
    }
    struct buf out = BUF_INIT;
    struct sql_cast_array_ctx a = {t, now_us, &out, true, "", ""};
    int rc = buf_append_u8(&out, '{');
    if (rc == 0)
        rc = sql_fn_array_parse(v->text, v->len, sql_cast_array_each, &a);
    if (rc == 0)
        rc = buf_append_u8(&out, '}');
    if (rc == ERR_MALFORMED && a.msg[0] != '\0')
        sql_fn_error(ctx, a.sqlstate, "%s", a.msg);
    else if (rc == ERR_MALFORMED)
        sql_fn_error(ctx, "22P02", "malformed array literal: \"%.*s\"", v->len > 200 ? 200 : v->len,
                     v->text);
    else if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_buf_text(ctx, &out);
    buf_free(&out);
}

void sql_fn_cast(sqlite3_context *ctx, sqlite3_value *arg, const char *type, bool explicit_cast)
{
    struct sql_cast_type t;
    if (type == NULL || sql_cast_parse_type(type, &t) != 0) {
        sql_fn_error(ctx, "42704", "type \"%s\" does not exist", type ? type : "");
        return;
    }
    if (sqlite3_value_type(arg) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    /* Text keeps its text: each target reads it with its own input function. A numeric-looking
     * text is marked NUMERIC so integer casts can round it (numeric columns are TEXT). */
    sql_fn_classify_plain(arg, v);
    if (v->kind == SQL_VK_TEXT && sql_numeric_looks_like(v->text, (size_t)v->len) &&
        sql_numeric_parse(v->text, (size_t)v->len, &v->num) == 0)
        v->kind = SQL_VK_NUMERIC;
    const struct sql_fn_state *st = sql_fn_state(ctx);
    if (t.array) {
        sql_cast_to_array(ctx, v, &t, st->env->now_us);
        free(v);
        return;
    }
    switch (t.kind) {
    case SQL_CK_INT2:
    case SQL_CK_INT4:
    case SQL_CK_INT8:
        sql_cast_to_int(ctx, v, t.kind);
        break;
    case SQL_CK_OID:
        sql_cast_to_int(ctx, v, SQL_CK_INT8);
        break;
    case SQL_CK_FLOAT4:
    case SQL_CK_FLOAT8:
        sql_cast_to_float(ctx, v, t.kind == SQL_CK_FLOAT4);
        break;
    case SQL_CK_NUMERIC:
        sql_cast_to_numeric(ctx, v, &t);
        break;
    case SQL_CK_TEXT:
    case SQL_CK_VARCHAR:
    case SQL_CK_BPCHAR:
    case SQL_CK_REGCLASS:
        sql_cast_to_string(ctx, v, &t, explicit_cast);
        break;
    case SQL_CK_BOOL:
        sql_cast_to_bool(ctx, v);
        break;
    case SQL_CK_DATE:
    case SQL_CK_TIMESTAMP:
    case SQL_CK_TIMESTAMPTZ:
    case SQL_CK_TIME:
    case SQL_CK_TIMETZ:
    case SQL_CK_INTERVAL:
        if (v->kind == SQL_VK_NUMERIC)
            v->kind = SQL_VK_TEXT; /* '1' is a valid interval */
        sql_cast_to_datetime(ctx, v, &t, st->env->now_us);
        break;
    case SQL_CK_BYTEA:
        sql_cast_to_bytea(ctx, v);
        break;
    case SQL_CK_JSON:
    case SQL_CK_JSONB:
        sql_cast_to_json(ctx, v, t.kind == SQL_CK_JSONB);
        break;
    case SQL_CK_UUID:
        sql_cast_to_uuid(ctx, v);
        break;
    }
    free(v);
}

/* pg_cast(x, 'type') has assignment semantics for varchar(n)/char(n) (22001 when too long);
 * pg_cast(x, 'type', 1) is an explicit CAST, which truncates silently, as PostgreSQL. */
static void sql_fn_cast_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *type = (const char *)sqlite3_value_text(argv[1]);
    bool explicit_cast = argc > 2 && sqlite3_value_int(argv[2]) != 0;
    sql_fn_cast(ctx, argv[0], type, explicit_cast);
}

const struct sql_fn_def sql_fn_ops_defs[] = {
    {"pg_add", 2, SQLITE_DETERMINISTIC, sql_fn_add, NULL, NULL},
    {"pg_sub", 2, SQLITE_DETERMINISTIC, sql_fn_sub, NULL, NULL},
    {"pg_mul", 2, SQLITE_DETERMINISTIC, sql_fn_mul, NULL, NULL},
    {"pg_div", 2, SQLITE_DETERMINISTIC, sql_fn_div, NULL, NULL},
    {"pg_mod", 2, SQLITE_DETERMINISTIC, sql_fn_mod, NULL, NULL},
    {"pg_neg", 1, SQLITE_DETERMINISTIC, sql_fn_neg, NULL, NULL},
    {"pg_pow", 2, SQLITE_DETERMINISTIC, sql_fn_pow, NULL, NULL},
    {"pg_power", 2, SQLITE_DETERMINISTIC, sql_fn_pow, NULL, NULL},
    {"pg_cmp", 2, SQLITE_DETERMINISTIC, sql_fn_cmp, NULL, NULL},
    {"pg_eq", 2, SQLITE_DETERMINISTIC, sql_fn_eq, NULL, NULL},
    {"pg_ne", 2, SQLITE_DETERMINISTIC, sql_fn_ne, NULL, NULL},
    {"pg_lt", 2, SQLITE_DETERMINISTIC, sql_fn_lt, NULL, NULL},
    {"pg_le", 2, SQLITE_DETERMINISTIC, sql_fn_le, NULL, NULL},
    {"pg_gt", 2, SQLITE_DETERMINISTIC, sql_fn_gt, NULL, NULL},
    {"pg_ge", 2, SQLITE_DETERMINISTIC, sql_fn_ge, NULL, NULL},
    {"pg_numeric", 1, SQLITE_DETERMINISTIC, sql_fn_numeric_literal, NULL, NULL},
    {"pg_like", 2, SQLITE_DETERMINISTIC, sql_fn_like, NULL, NULL},
    {"pg_like", 3, SQLITE_DETERMINISTIC, sql_fn_like, NULL, NULL},
    {"pg_ilike", 2, SQLITE_DETERMINISTIC, sql_fn_ilike, NULL, NULL},
    {"pg_ilike", 3, SQLITE_DETERMINISTIC, sql_fn_ilike, NULL, NULL},
    /* not deterministic: 'now'/'today' read the statement's time */
    {"pg_cast", 2, 0, sql_fn_cast_sql, NULL, NULL},
    {"pg_cast", 3, 0, sql_fn_cast_sql, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
