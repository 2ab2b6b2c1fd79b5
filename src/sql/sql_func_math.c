/* PostgreSQL's mathematical functions on runtime-typed values: integers stay integers where
 * PostgreSQL keeps them, numerics are exact, floats behave like PostgreSQL's float8. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

/* From sql_func_ops.c. */
int sql_fn_compare(sqlite3_context *ctx, const struct sql_val *a, const struct sql_val *b);
void sql_fn_float_pow(sqlite3_context *ctx, double x, double y);

/* The largest n with n! within Cairn's numeric bound (1000 integer digits). */
#define SQL_FACTORIAL_ARG_MAX 449

/* Classifies argument i into *v (allocated by the caller). Returns false after setting the
 * result when the function is done: NULL in, NULL out; a non-number is an error. */
static bool sql_math_arg(sqlite3_context *ctx, sqlite3_value *arg, struct sql_val *v,
                         const char *fname)
{
    int rc = sql_fn_classify(arg, v);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
        return false;
    }
    if (v->kind == SQL_VK_NULL) {
        sqlite3_result_null(ctx);
        return false;
    }
    if (!sql_fn_is_number(v)) {
        if (v->kind == SQL_VK_TEXT)
            sql_fn_error(ctx, "22P02", "invalid input syntax for type double precision: \"%.*s\"",
                         v->len > 200 ? 200 : v->len, v->text);
        else
            sql_fn_error(ctx, "42883", "function %s(%s) does not exist", fname,
                         sql_fn_kind_name(v->kind));
        return false;
    }
    return true;
}

static struct sql_val *sql_math_alloc(sqlite3_context *ctx, int n)
{
    struct sql_val *v = malloc((size_t)n * sizeof(*v));
    if (v == NULL)
        sql_fn_nomem(ctx);
    return v;
}

static void sql_fn_abs(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, argv[0], v, "abs")) {
        free(v);
        return;
    }
    switch (v->kind) {
    case SQL_VK_INT:
        if (v->i == INT64_MIN)
            sql_fn_error(ctx, "22003", "bigint out of range");
        else
            sqlite3_result_int64(ctx, v->i < 0 ? -v->i : v->i);
        break;
    case SQL_VK_FLOAT:
        sql_fn_result_double(ctx, fabs(v->f));
        break;
    default:
        sql_numeric_abs(&v->num);
        sql_fn_result_numeric(ctx, &v->num);
        break;
    }
    free(v);
}

enum sql_rounding {
    SQL_ROUND_CEIL,
    SQL_ROUND_FLOOR,
    SQL_ROUND_ROUND,
    SQL_ROUND_TRUNC,
};

static void sql_round_common(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                             enum sql_rounding mode, const char *fname)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, argv[0], v, fname)) {
        free(v);
        return;
    }
    if (argc == 2) {
        /* round(x, n) / trunc(x, n) exist for numeric only; integers and floats go through
         * numeric (PostgreSQL has no float version; Cairn accepts it rather than fail) */
        if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            free(v);
            return;
        }
        int64_t n = sqlite3_value_int64(argv[1]);
        if (n > 100000)
            n = 100000;
        if (n < -100000)
            n = -100000;
        struct sql_numeric *x = &v->num;
        if (v->kind != SQL_VK_NUMERIC)
            sql_fn_to_numeric(v, x);
        int rc = 0;
        if (mode == SQL_ROUND_ROUND)
            rc = sql_numeric_round(x, (int)n);
        else
            sql_numeric_trunc(x, (int)n);
        if (rc != 0)
            sql_fn_numeric_error(ctx, rc);
        else
            sql_fn_result_numeric(ctx, x);
        free(v);
        return;
    }
    switch (v->kind) {
    case SQL_VK_INT:
        sqlite3_result_int64(ctx, v->i);
        break;
    case SQL_VK_FLOAT: {
        double d = v->f;
        double r = mode == SQL_ROUND_CEIL    ? ceil(d)
                   : mode == SQL_ROUND_FLOOR ? floor(d)
                   : mode == SQL_ROUND_ROUND ? rint(d) /* half to even, as PostgreSQL */
                                             : trunc(d);
        sql_fn_result_double(ctx, r);
        break;
    }
    default: {
        int rc = 0;
        switch (mode) {
        case SQL_ROUND_CEIL:
            rc = sql_numeric_ceil(&v->num);
            break;
        case SQL_ROUND_FLOOR:
            rc = sql_numeric_floor(&v->num);
            break;
        case SQL_ROUND_ROUND:
            rc = sql_numeric_round(&v->num, 0);
            break;
        case SQL_ROUND_TRUNC:
            sql_numeric_trunc(&v->num, 0);
            break;
        }
        if (rc != 0)
            sql_fn_numeric_error(ctx, rc);
        else
            sql_fn_result_numeric(ctx, &v->num);
        break;
    }
    }
    free(v);
}

static void sql_fn_ceil(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_round_common(ctx, argc, argv, SQL_ROUND_CEIL, "ceil");
}

static void sql_fn_floor(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_round_common(ctx, argc, argv, SQL_ROUND_FLOOR, "floor");
}

static void sql_fn_round(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_round_common(ctx, argc, argv, SQL_ROUND_ROUND, "round");
}

static void sql_fn_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_round_common(ctx, argc, argv, SQL_ROUND_TRUNC, "trunc");
}

enum sql_transcendental {
    SQL_TR_SQRT,
    SQL_TR_EXP,
    SQL_TR_LN,
    SQL_TR_LOG10,
};

static void sql_transcendental(sqlite3_context *ctx, sqlite3_value *arg, enum sql_transcendental f,
                               const char *fname)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, arg, v, fname)) {
        free(v);
        return;
    }
    if (v->kind == SQL_VK_NUMERIC) {
        struct sql_numeric *r = malloc(sizeof(*r));
        if (r == NULL) {
            sql_fn_nomem(ctx);
            free(v);
            return;
        }
        int rc;
        switch (f) {
        case SQL_TR_SQRT:
            rc = sql_numeric_sqrt(&v->num, r);
            if (rc == ERR_INVAL) {
                sql_fn_error(ctx, "2201F", "cannot take square root of a negative number");
                goto done;
            }
            break;
        case SQL_TR_EXP:
            rc = sql_numeric_exp(&v->num, r);
            break;
        case SQL_TR_LN:
            rc = sql_numeric_ln(&v->num, r);
            break;
        default: {
            struct sql_numeric *ten = malloc(sizeof(*ten));
            if (ten == NULL) {
                rc = ERR_NOMEM;
                break;
            }
            sql_numeric_from_i64(10, ten);
            rc = sql_numeric_log(ten, &v->num, r);
            free(ten);
            break;
        }
        }
        if (rc == ERR_INVAL)
            sql_fn_error(ctx, "2201E", "cannot take logarithm of zero");
        else if (rc == ERR_UNSUPPORTED)
            sql_fn_error(ctx, "2201E", "cannot take logarithm of a negative number");
        else if (rc != 0)
            sql_fn_numeric_error(ctx, rc);
        else
            sql_fn_result_numeric(ctx, r);
    done:
        free(r);
        free(v);
        return;
    }
    double x = sql_fn_to_double(v), r = 0;
    free(v);
    switch (f) {
    case SQL_TR_SQRT:
        if (x < 0) {
            sql_fn_error(ctx, "2201F", "cannot take square root of a negative number");
            return;
        }
        r = sqrt(x);
        break;
    case SQL_TR_EXP:
        r = exp(x);
        if (isinf(r) && !isinf(x)) {
            sql_fn_error(ctx, "22003", "value out of range: overflow");
            return;
        }
        if (r == 0.0 && !isinf(x)) {
            sql_fn_error(ctx, "22003", "value out of range: underflow");
            return;
        }
        break;
    case SQL_TR_LN:
    case SQL_TR_LOG10:
        if (x == 0.0) {
            sql_fn_error(ctx, "2201E", "cannot take logarithm of zero");
            return;
        }
        if (x < 0) {
            sql_fn_error(ctx, "2201E", "cannot take logarithm of a negative number");
            return;
        }
        r = f == SQL_TR_LN ? log(x) : log10(x);
        break;
    }
    sql_fn_result_double(ctx, r);
}

static void sql_fn_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_transcendental(ctx, argv[0], SQL_TR_SQRT, "sqrt");
}

static void sql_fn_exp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_transcendental(ctx, argv[0], SQL_TR_EXP, "exp");
}

static void sql_fn_ln(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_transcendental(ctx, argv[0], SQL_TR_LN, "ln");
}

/* log(x) is log10; log(b, x) exists for numeric only, so its arguments become numeric. */
static void sql_fn_log(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (argc == 1) {
        sql_transcendental(ctx, argv[0], SQL_TR_LOG10, "log");
        return;
    }
    struct sql_val *v = sql_math_alloc(ctx, 2);
    if (v == NULL || !sql_math_arg(ctx, argv[0], &v[0], "log") ||
        !sql_math_arg(ctx, argv[1], &v[1], "log")) {
        free(v);
        return;
    }
    if (v[0].kind != SQL_VK_NUMERIC)
        sql_fn_to_numeric(&v[0], &v[0].num);
    if (v[1].kind != SQL_VK_NUMERIC)
        sql_fn_to_numeric(&v[1], &v[1].num);
    int rc = sql_numeric_log(&v[0].num, &v[1].num, &v[0].num);
    if (rc == ERR_CONDITION)
        sql_fn_error(ctx, "22012", "division by zero");
    else if (rc == ERR_INVAL)
        sql_fn_error(ctx, "2201E", "cannot take logarithm of zero");
    else if (rc == ERR_UNSUPPORTED)
        sql_fn_error(ctx, "2201E", "cannot take logarithm of a negative number");
    else if (rc != 0)
        sql_fn_numeric_error(ctx, rc);
    else
        sql_fn_result_numeric(ctx, &v[0].num);
    free(v);
}

static void sql_fn_cbrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, argv[0], v, "cbrt")) {
        free(v);
        return;
    }
    sql_fn_result_double(ctx, cbrt(sql_fn_to_double(v)));
    free(v);
}

static void sql_fn_sign(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, argv[0], v, "sign")) {
        free(v);
        return;
    }
    switch (v->kind) {
    case SQL_VK_INT:
        sqlite3_result_int64(ctx, (v->i > 0) - (v->i < 0));
        break;
    case SQL_VK_FLOAT:
        sql_fn_result_double(ctx, v->f > 0 ? 1.0 : v->f < 0 ? -1.0 : 0.0);
        break;
    default: {
        struct sql_numeric *n = &v->num;
        if (n->kind == SQL_NUMERIC_NAN) {
            sql_fn_result_numeric(ctx, n);
        } else {
            int s = n->kind == SQL_NUMERIC_PINF   ? 1
                    : n->kind == SQL_NUMERIC_NINF ? -1
                    : sql_numeric_is_zero(n)      ? 0
                    : n->neg                      ? -1
                                                  : 1;
            sqlite3_result_int(ctx, s);
        }
        break;
    }
    }
    free(v);
}

static void sql_fn_pi(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_fn_result_double(ctx, M_PI);
}

/* random(): uniform in [0, 1) from the statement's seed (sql_func_env.random_seed); the
 * sequence restarts with every statement. */
static void sql_fn_random(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct rng *rng = sql_fn_rng(sql_fn_state(ctx));
    uint64_t r = rng_next(rng) >> 11;
    sql_fn_result_double(ctx, (double)r * 0x1.0p-53);
}

/* div(a, b): the truncated integer quotient, as numeric. */
static void sql_fn_div_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 2);
    if (v == NULL || !sql_math_arg(ctx, argv[0], &v[0], "div") ||
        !sql_math_arg(ctx, argv[1], &v[1], "div")) {
        free(v);
        return;
    }
    if (v[0].kind != SQL_VK_NUMERIC)
        sql_fn_to_numeric(&v[0], &v[0].num);
    if (v[1].kind != SQL_VK_NUMERIC)
        sql_fn_to_numeric(&v[1], &v[1].num);
    int rc = sql_numeric_div_trunc(&v[0].num, &v[1].num, &v[0].num);
    if (rc != 0)
        sql_fn_numeric_error(ctx, rc);
    else
        sql_fn_result_numeric(ctx, &v[0].num);
    free(v);
}

/* greatest / least: NULLs are ignored, NULL only if all are NULL (unlike SQLite's max/min). */
static void sql_extreme(sqlite3_context *ctx, int argc, sqlite3_value **argv, int want)
{
    struct sql_val *v = sql_math_alloc(ctx, 2);
    if (v == NULL)
        return;
    int best = -1;
    for (int i = 0; i < argc; i++) {
        int rc = sql_fn_classify(argv[i], &v[1]);
        if (rc != 0) {
            sql_fn_numeric_error(ctx, rc);
            free(v);
            return;
        }
        if (v[1].kind == SQL_VK_NULL)
            continue;
        if (best >= 0) {
            int c = sql_fn_compare(ctx, &v[1], &v[0]);
            if (c == 2) {
                free(v);
                return;
            }
            if (c != want)
                continue;
        }
        best = i;
        rc = sql_fn_classify(argv[i], &v[0]);
        ASSERT(rc == 0);
    }
    if (best < 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_value(ctx, argv[best]);
    free(v);
}

static void sql_fn_greatest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_extreme(ctx, argc, argv, 1);
}

static void sql_fn_least(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_extreme(ctx, argc, argv, -1);
}

/* width_bucket(operand, low, high, count) on float8, as PostgreSQL's width_bucket_float8. */
static void sql_fn_width_bucket(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 4);
    if (v == NULL)
        return;
    for (int i = 0; i < 4; i++) {
        if (!sql_math_arg(ctx, argv[i], &v[i], "width_bucket")) {
            free(v);
            return;
        }
    }
    double op = sql_fn_to_double(&v[0]), lo = sql_fn_to_double(&v[1]), hi = sql_fn_to_double(&v[2]);
    int64_t count = v[3].kind == SQL_VK_INT ? v[3].i : (int64_t)sql_fn_to_double(&v[3]);
    free(v);
    if (count <= 0 || count > INT32_MAX) {
        sql_fn_error(ctx, "2201G", "count must be greater than zero");
        return;
    }
    if (isnan(op) || isnan(lo) || isnan(hi)) {
        sql_fn_error(ctx, "2201G", "operand, lower bound, and upper bound cannot be NaN");
        return;
    }
    if (isinf(lo) || isinf(hi)) {
        sql_fn_error(ctx, "2201G", "lower and upper bounds must be finite");
        return;
    }
    if (lo == hi) {
        sql_fn_error(ctx, "2201G", "lower bound cannot equal upper bound");
        return;
    }
    int64_t r;
    if (lo < hi) {
        if (op < lo)
            r = 0;
        else if (op >= hi)
            r = count + 1;
        else
            r = (int64_t)((double)count * ((op - lo) / (hi - lo))) + 1;
    } else {
        if (op > lo)
            r = 0;
        else if (op <= hi)
            r = count + 1;
        else
            r = (int64_t)((double)count * ((lo - op) / (lo - hi))) + 1;
    }
    sqlite3_result_int64(ctx, r);
}

enum sql_trig {
    SQL_TRIG_SIN,
    SQL_TRIG_COS,
    SQL_TRIG_TAN,
    SQL_TRIG_COT,
    SQL_TRIG_ASIN,
    SQL_TRIG_ACOS,
    SQL_TRIG_ATAN,
    SQL_TRIG_DEGREES,
    SQL_TRIG_RADIANS,
};

static void sql_trig(sqlite3_context *ctx, sqlite3_value *arg, enum sql_trig f, const char *fname)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, arg, v, fname)) {
        free(v);
        return;
    }
    double x = sql_fn_to_double(v), r = 0;
    free(v);
    if (isnan(x)) {
        sql_fn_result_double(ctx, NAN);
        return;
    }
    switch (f) {
    case SQL_TRIG_SIN:
    case SQL_TRIG_COS:
    case SQL_TRIG_TAN:
    case SQL_TRIG_COT:
        if (isinf(x)) {
            sql_fn_error(ctx, "22003", "input is out of range");
            return;
        }
        r = f == SQL_TRIG_SIN   ? sin(x)
            : f == SQL_TRIG_COS ? cos(x)
            : f == SQL_TRIG_TAN ? tan(x)
                                : 1.0 / tan(x);
        break;
    case SQL_TRIG_ASIN:
    case SQL_TRIG_ACOS:
        if (x < -1.0 || x > 1.0) {
            sql_fn_error(ctx, "22003", "input is out of range");
            return;
        }
        r = f == SQL_TRIG_ASIN ? asin(x) : acos(x);
        break;
    case SQL_TRIG_ATAN:
        r = atan(x);
        break;
    case SQL_TRIG_DEGREES:
        r = x * (180.0 / M_PI);
        break;
    case SQL_TRIG_RADIANS:
        r = x * (M_PI / 180.0);
        break;
    }
    sql_fn_result_float(ctx, r, isinf(x), false, false);
}

#define SQL_TRIG_FN(fn, f, name)                                                                   \
    static void fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)                           \
    {                                                                                              \
        sql_trig(ctx, argv[0], f, name);                                                           \
    }
SQL_TRIG_FN(sql_fn_sin, SQL_TRIG_SIN, "sin")
SQL_TRIG_FN(sql_fn_cos, SQL_TRIG_COS, "cos")
SQL_TRIG_FN(sql_fn_tan, SQL_TRIG_TAN, "tan")
SQL_TRIG_FN(sql_fn_cot, SQL_TRIG_COT, "cot")
SQL_TRIG_FN(sql_fn_asin, SQL_TRIG_ASIN, "asin")
SQL_TRIG_FN(sql_fn_acos, SQL_TRIG_ACOS, "acos")
SQL_TRIG_FN(sql_fn_atan, SQL_TRIG_ATAN, "atan")
SQL_TRIG_FN(sql_fn_degrees, SQL_TRIG_DEGREES, "degrees")
SQL_TRIG_FN(sql_fn_radians, SQL_TRIG_RADIANS, "radians")

static void sql_fn_atan2(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = sql_math_alloc(ctx, 2);
    if (v == NULL || !sql_math_arg(ctx, argv[0], &v[0], "atan2") ||
        !sql_math_arg(ctx, argv[1], &v[1], "atan2")) {
        free(v);
        return;
    }
    sql_fn_result_double(ctx, atan2(sql_fn_to_double(&v[0]), sql_fn_to_double(&v[1])));
    free(v);
}

static uint64_t sql_gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* gcd / lcm on integers (numerics that are integers are accepted). */
static void sql_gcd_lcm(sqlite3_context *ctx, sqlite3_value **argv, bool lcm)
{
    const char *fname = lcm ? "lcm" : "gcd";
    struct sql_val *v = sql_math_alloc(ctx, 2);
    if (v == NULL || !sql_math_arg(ctx, argv[0], &v[0], fname) ||
        !sql_math_arg(ctx, argv[1], &v[1], fname)) {
        free(v);
        return;
    }
    int64_t x[2];
    for (int i = 0; i < 2; i++) {
        if (v[i].kind == SQL_VK_INT) {
            x[i] = v[i].i;
        } else if (v[i].kind != SQL_VK_NUMERIC || sql_numeric_to_i64(&v[i].num, &x[i]) != 0) {
            sql_fn_error(ctx, "42883", "function %s(%s) does not exist", fname,
                         sql_fn_kind_name(v[i].kind));
            free(v);
            return;
        }
    }
    free(v);
    uint64_t a = x[0] < 0 ? (uint64_t)0 - (uint64_t)x[0] : (uint64_t)x[0];
    uint64_t b = x[1] < 0 ? (uint64_t)0 - (uint64_t)x[1] : (uint64_t)x[1];
    uint64_t g = sql_gcd_u64(a, b);
    uint64_t r = g;
    if (lcm) {
        if (a == 0 || b == 0) {
            r = 0;
        } else if (__builtin_mul_overflow(a / g, b, &r)) {
            sql_fn_error(ctx, "22003", "bigint out of range");
            return;
        }
    }
    if (r > (uint64_t)INT64_MAX) {
        sql_fn_error(ctx, "22003", "bigint out of range");
        return;
    }
    sqlite3_result_int64(ctx, (int64_t)r);
}

static void sql_fn_gcd(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_gcd_lcm(ctx, argv, false);
}

static void sql_fn_lcm(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_gcd_lcm(ctx, argv, true);
}

static void sql_fn_factorial(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    int64_t n = sqlite3_value_int64(argv[0]);
    if (n < 0) {
        sql_fn_error(ctx, "2201F", "factorial of a negative number is undefined");
        return;
    }
    if (n > SQL_FACTORIAL_ARG_MAX) {
        sql_fn_error(ctx, "22003", "value overflows numeric format");
        return;
    }
    struct sql_numeric *r = malloc(2 * sizeof(*r));
    if (r == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    sql_numeric_from_i64(1, &r[0]);
    for (int64_t k = 2; k <= n; k++) {
        sql_numeric_from_i64(k, &r[1]);
        int rc = sql_numeric_mul(&r[0], &r[1], &r[0]);
        ASSERT(rc == 0);
    }
    sql_fn_result_numeric(ctx, &r[0]);
    free(r);
}

/* scale / min_scale / trim_scale of a numeric. */
static void sql_scale_common(sqlite3_context *ctx, sqlite3_value **argv, int which)
{
    struct sql_val *v = sql_math_alloc(ctx, 1);
    if (v == NULL || !sql_math_arg(ctx, argv[0], v, "scale")) {
        free(v);
        return;
    }
    if (v->kind != SQL_VK_NUMERIC)
        sql_fn_to_numeric(v, &v->num);
    struct sql_numeric *n = &v->num;
    if (!sql_numeric_is_finite(n)) {
        if (which == 2)
            sql_fn_result_numeric(ctx, n);
        else
            sqlite3_result_null(ctx);
        free(v);
        return;
    }
    if (which == 0) {
        sqlite3_result_int(ctx, n->scale);
    } else {
        sql_numeric_trim_scale(n);
        if (which == 1)
            sqlite3_result_int(ctx, n->scale);
        else
            sql_fn_result_numeric(ctx, n);
    }
    free(v);
}

static void sql_fn_scale(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_scale_common(ctx, argv, 0);
}

static void sql_fn_min_scale(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_scale_common(ctx, argv, 1);
}

static void sql_fn_trim_scale(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_scale_common(ctx, argv, 2);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_math_defs[] = {
    {"pg_abs", 1, D, sql_fn_abs, NULL, NULL},
    {"pg_ceil", 1, D, sql_fn_ceil, NULL, NULL},
    {"pg_floor", 1, D, sql_fn_floor, NULL, NULL},
    {"pg_round", 1, D, sql_fn_round, NULL, NULL},
    {"pg_round", 2, D, sql_fn_round, NULL, NULL},
    {"pg_trunc", 1, D, sql_fn_trunc, NULL, NULL},
    {"pg_trunc", 2, D, sql_fn_trunc, NULL, NULL},
    {"pg_sqrt", 1, D, sql_fn_sqrt, NULL, NULL},
    {"pg_cbrt", 1, D, sql_fn_cbrt, NULL, NULL},
    {"pg_exp", 1, D, sql_fn_exp, NULL, NULL},
    {"pg_ln", 1, D, sql_fn_ln, NULL, NULL},
    {"pg_log", 1, D, sql_fn_log, NULL, NULL},
    {"pg_log", 2, D, sql_fn_log, NULL, NULL},
    {"pg_sign", 1, D, sql_fn_sign, NULL, NULL},
    {"pg_pi", 0, D, sql_fn_pi, NULL, NULL},
    {"pg_random", 0, 0, sql_fn_random, NULL, NULL},
    {"pg_div_trunc", 2, D, sql_fn_div_trunc, NULL, NULL},
    {"pg_greatest", -1, D, sql_fn_greatest, NULL, NULL},
    {"pg_least", -1, D, sql_fn_least, NULL, NULL},
    {"pg_width_bucket", 4, D, sql_fn_width_bucket, NULL, NULL},
    {"pg_sin", 1, D, sql_fn_sin, NULL, NULL},
    {"pg_cos", 1, D, sql_fn_cos, NULL, NULL},
    {"pg_tan", 1, D, sql_fn_tan, NULL, NULL},
    {"pg_cot", 1, D, sql_fn_cot, NULL, NULL},
    {"pg_asin", 1, D, sql_fn_asin, NULL, NULL},
    {"pg_acos", 1, D, sql_fn_acos, NULL, NULL},
    {"pg_atan", 1, D, sql_fn_atan, NULL, NULL},
    {"pg_atan2", 2, D, sql_fn_atan2, NULL, NULL},
    {"pg_degrees", 1, D, sql_fn_degrees, NULL, NULL},
    {"pg_radians", 1, D, sql_fn_radians, NULL, NULL},
    {"pg_gcd", 2, D, sql_fn_gcd, NULL, NULL},
    {"pg_lcm", 2, D, sql_fn_lcm, NULL, NULL},
    {"pg_factorial", 1, D, sql_fn_factorial, NULL, NULL},
    {"pg_scale", 1, D, sql_fn_scale, NULL, NULL},
    {"pg_min_scale", 1, D, sql_fn_min_scale, NULL, NULL},
    {"pg_trim_scale", 1, D, sql_fn_trim_scale, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
