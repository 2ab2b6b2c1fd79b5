/* PostgreSQL's aggregates for SQLite: sum and avg with PostgreSQL's result types (exact for
 * integers and numerics), min/max that order numerics numerically, string_agg, bool_and/or,
 * array_agg, and the variance family. sum and avg also run as window functions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

/* From sql_func_ops.c and sql_func_str.c. */
int sql_fn_compare(sqlite3_context *ctx, const struct sql_val *a, const struct sql_val *b);
int sql_fn_array_append(struct buf *out, sqlite3_value *v, bool first);

/* ---- sum and avg ---- */

enum sql_sum_kind {
    SQL_SUM_EMPTY = 0,
    SQL_SUM_INT,     /* exact in i (switches to NUMERIC on overflow) */
    SQL_SUM_FLOAT,   /* f */
    SQL_SUM_NUMERIC, /* num */
    SQL_SUM_INTERVAL,
};

struct sql_sum_state {
    enum sql_sum_kind kind;
    bool from_ints; /* every input was an integer (avg's and sum's result type) */
    bool failed;    /* an error was reported; ignore the rest */
    int64_t count;
    int64_t i;
    double f;
    struct sql_interval iv;
    struct sql_numeric num;
};

/* Moves the sum to numeric (on integer overflow or a numeric input). */
static void sql_sum_promote(struct sql_sum_state *s)
{
    if (s->kind == SQL_SUM_INT)
        sql_numeric_from_i64(s->i, &s->num);
    else if (s->kind == SQL_SUM_EMPTY)
        sql_numeric_from_i64(0, &s->num);
    s->kind = SQL_SUM_NUMERIC;
}

/* Adds (sign 1) or removes (sign -1, a window's inverse) one value. */
static void sql_sum_accum(sqlite3_context *ctx, sqlite3_value *arg, int sign, const char *fname)
{
    struct sql_sum_state *s = sqlite3_aggregate_context(ctx, sizeof(*s));
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    if (s->failed)
        return;
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    int rc = sql_fn_classify(arg, v);
    if (rc != 0) {
        s->failed = true;
        sql_fn_numeric_error(ctx, rc);
        goto done;
    }
    if (v->kind == SQL_VK_NULL)
        goto done;
    if (s->count == 0 && s->kind == SQL_SUM_EMPTY)
        s->from_ints = true;
    switch (v->kind) {
    case SQL_VK_INT:
        if (s->kind == SQL_SUM_EMPTY) {
            s->kind = SQL_SUM_INT;
            s->i = 0;
        }
        if (s->kind == SQL_SUM_INT) {
            int64_t r;
            bool ovf = sign > 0 ? __builtin_add_overflow(s->i, v->i, &r)
                                : __builtin_sub_overflow(s->i, v->i, &r);
            if (!ovf) {
                s->i = r;
                break;
            }
            sql_sum_promote(s);
        }
        if (s->kind == SQL_SUM_FLOAT) {
            s->f += sign * (double)v->i;
        } else if (s->kind == SQL_SUM_NUMERIC) {
            struct sql_numeric *x = malloc(sizeof(*x));
            if (x == NULL) {
                sql_fn_nomem(ctx);
                s->failed = true;
                goto done;
            }
            sql_numeric_from_i64(v->i, x);
            rc = sign > 0 ? sql_numeric_add(&s->num, x, &s->num)
                          : sql_numeric_sub(&s->num, x, &s->num);
            free(x);
        } else {
            goto mismatch;
        }
        break;
    case SQL_VK_FLOAT:
        s->from_ints = false;
        if (s->kind == SQL_SUM_EMPTY) {
            s->kind = SQL_SUM_FLOAT;
            s->f = 0;
        } else if (s->kind == SQL_SUM_INT) {
            s->kind = SQL_SUM_FLOAT;
            s->f = (double)s->i;
        } else if (s->kind == SQL_SUM_NUMERIC) {
            s->kind = SQL_SUM_FLOAT;
            s->f = sql_numeric_to_double(&s->num);
        } else if (s->kind != SQL_SUM_FLOAT) {
            goto mismatch;
        }
        s->f += sign * v->f;
        break;
    case SQL_VK_NUMERIC:
        s->from_ints = false;
        if (s->kind == SQL_SUM_FLOAT) {
            s->f += sign * sql_numeric_to_double(&v->num);
            break;
        }
        if (s->kind == SQL_SUM_INTERVAL)
            goto mismatch;
        sql_sum_promote(s);
        rc = sign > 0 ? sql_numeric_add(&s->num, &v->num, &s->num)
                      : sql_numeric_sub(&s->num, &v->num, &s->num);
        break;
    case SQL_VK_INTERVAL:
        s->from_ints = false;
        if (s->kind == SQL_SUM_EMPTY) {
            s->kind = SQL_SUM_INTERVAL;
            memset(&s->iv, 0, sizeof(s->iv));
        } else if (s->kind != SQL_SUM_INTERVAL) {
            goto mismatch;
        }
        rc = sign > 0 ? sql_interval_add(&s->iv, &v->iv, &s->iv)
                      : sql_interval_sub(&s->iv, &v->iv, &s->iv);
        if (rc != 0) {
            s->failed = true;
            sql_fn_error(ctx, "22008", "interval out of range");
            goto done;
        }
        break;
    default:
        goto mismatch;
    }
    if (rc != 0) {
        s->failed = true;
        sql_fn_numeric_error(ctx, rc);
        goto done;
    }
    s->count += sign;
    goto done;
mismatch:
    s->failed = true;
    sql_fn_error(ctx, "42883", "function %s(%s) does not exist", fname, sql_fn_kind_name(v->kind));
done:
    free(v);
}

static void sql_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_sum_accum(ctx, argv[0], 1, "sum");
}

static void sql_sum_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_sum_accum(ctx, argv[0], -1, "sum");
}

static void sql_sum_result(sqlite3_context *ctx, struct sql_sum_state *s)
{
    if (s == NULL || s->count == 0) {
        sqlite3_result_null(ctx);
        return;
    }
    switch (s->kind) {
    case SQL_SUM_INT:
        sqlite3_result_int64(ctx, s->i);
        break;
    case SQL_SUM_FLOAT:
        sql_fn_result_float(ctx, s->f, false, false, false);
        break;
    case SQL_SUM_NUMERIC:
        sql_fn_result_numeric(ctx, &s->num);
        break;
    case SQL_SUM_INTERVAL:
        sql_fn_result_interval(ctx, &s->iv);
        break;
    default:
        sqlite3_result_null(ctx);
        break;
    }
}

static void sql_sum_value(sqlite3_context *ctx)
{
    struct sql_sum_state *s = sqlite3_aggregate_context(ctx, 0);
    if (s != NULL && s->failed)
        return;
    sql_sum_result(ctx, s);
}

static void sql_avg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_sum_accum(ctx, argv[0], 1, "avg");
}

static void sql_avg_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_sum_accum(ctx, argv[0], -1, "avg");
}

/* avg: numeric sum / count with PostgreSQL's division scale for integers and numerics, float
 * for floats, interval / count for intervals. */
static void sql_avg_value(sqlite3_context *ctx)
{
    struct sql_sum_state *s = sqlite3_aggregate_context(ctx, 0);
    if (s != NULL && s->failed)
        return;
    if (s == NULL || s->count == 0) {
        sqlite3_result_null(ctx);
        return;
    }
    switch (s->kind) {
    case SQL_SUM_FLOAT:
        sql_fn_result_double(ctx, s->f / (double)s->count);
        return;
    case SQL_SUM_INTERVAL: {
        struct sql_interval r;
        if (sql_interval_div(&s->iv, (double)s->count, &r) != 0)
            sql_fn_error(ctx, "22008", "interval out of range");
        else
            sql_fn_result_interval(ctx, &r);
        return;
    }
    default: {
        struct sql_numeric *x = malloc(2 * sizeof(*x));
        if (x == NULL) {
            sql_fn_nomem(ctx);
            return;
        }
        if (s->kind == SQL_SUM_INT)
            sql_numeric_from_i64(s->i, &x[0]);
        else
            x[0] = s->num;
        sql_numeric_from_i64(s->count, &x[1]);
        int rc = sql_numeric_div(&x[0], &x[1], &x[0]);
        if (rc != 0)
            sql_fn_numeric_error(ctx, rc);
        else
            sql_fn_result_numeric(ctx, &x[0]);
        free(x);
        return;
    }
    }
}

/* ---- aggregates over a state struct ----
 *
 * min, max, string_agg, array_agg, bool_and/or and the variance family are written as
 * add/result/cleanup on a state struct, so that each serves twice: as a plain aggregate (the
 * state in SQLite's aggregate context) and as a window function (pg_*_w), which also keeps the
 * frame's values so that a row leaving the frame can be taken out by recomputing. */

struct sql_agg_ops {
    size_t state_size;
    int nargs;
    /* adds one row; on error, sets it on ctx and marks the state failed */
    void (*add)(sqlite3_context *ctx, void *state, sqlite3_value **argv);
    /* sets the result from the state without consuming it (a failed state sets nothing) */
    void (*result)(sqlite3_context *ctx, void *state);
    void (*cleanup)(void *state);
};

/* Every state starts with this. */
struct sql_agg_head {
    bool failed;
};

/* ---- min and max ---- */

struct sql_minmax_state {
    struct sql_agg_head h;
    sqlite3_value *best; /* a copy, owned */
};

static void sql_minmax_add(sqlite3_context *ctx, struct sql_minmax_state *s, sqlite3_value *arg,
                           int want)
{
    if (s->h.failed || sqlite3_value_type(arg) == SQLITE_NULL)
        return;
    if (s->best != NULL) {
        struct sql_val *v = malloc(2 * sizeof(*v));
        if (v == NULL) {
            sql_fn_nomem(ctx);
            s->h.failed = true;
            return;
        }
        int rc = sql_fn_classify(arg, &v[0]);
        if (rc == 0)
            rc = sql_fn_classify(s->best, &v[1]);
        int c = rc == 0 ? sql_fn_compare(ctx, &v[0], &v[1]) : 2;
        if (rc != 0)
            sql_fn_numeric_error(ctx, rc);
        free(v);
        if (c == 2) {
            s->h.failed = true;
            return;
        }
        if (c != want)
            return;
        sqlite3_value_free(s->best);
    }
    s->best = sqlite3_value_dup(arg);
    if (s->best == NULL) {
        s->h.failed = true;
        sql_fn_nomem(ctx);
    }
}

static void sql_min_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    sql_minmax_add(ctx, state, argv[0], -1);
}

static void sql_max_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    sql_minmax_add(ctx, state, argv[0], 1);
}

static void sql_minmax_result(sqlite3_context *ctx, void *state)
{
    struct sql_minmax_state *s = state;
    if (s->h.failed)
        return;
    if (s->best != NULL)
        sqlite3_result_value(ctx, s->best);
    else
        sqlite3_result_null(ctx);
}

static void sql_minmax_cleanup(void *state)
{
    struct sql_minmax_state *s = state;
    sqlite3_value_free(s->best);
    s->best = NULL;
}

/* ---- string_agg and array_agg ---- */

struct sql_concat_state {
    struct sql_agg_head h;
    struct buf out;
    bool any;
    bool blob;
};

static void sql_string_agg_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    struct sql_concat_state *s = state;
    if (s->h.failed || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    int rc = 0;
    /* the separator goes before every value but the first, taken from the value's row */
    if (s->any && sqlite3_value_type(argv[1]) != SQLITE_NULL) {
        const void *sep = sqlite3_value_type(argv[1]) == SQLITE_BLOB
                              ? sqlite3_value_blob(argv[1])
                              : (const void *)sqlite3_value_text(argv[1]);
        int n = sqlite3_value_bytes(argv[1]);
        if (n > 0)
            rc = buf_append(&s->out, sep, (size_t)n);
    }
    if (!s->any)
        s->blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB;
    s->any = true;
    if (rc == 0) {
        if (s->blob) {
            int n = sqlite3_value_bytes(argv[0]);
            if (n > 0)
                rc = buf_append(&s->out, sqlite3_value_blob(argv[0]), (size_t)n);
        } else if (sqlite3_value_type(argv[0]) == SQLITE_FLOAT) {
            char text[SQL_FLOAT_TEXT_BYTES_MAX];
            rc = buf_append(&s->out, text, sql_format_float8(sqlite3_value_double(argv[0]), text));
        } else {
            const unsigned char *t = sqlite3_value_text(argv[0]);
            rc = t ? buf_append(&s->out, t, (size_t)sqlite3_value_bytes(argv[0])) : ERR_NOMEM;
        }
    }
    if (rc == 0 && s->out.len > SQL_FUNC_RESULT_BYTES_MAX) {
        s->h.failed = true;
        sql_fn_error(ctx, "54000", "string_agg result is too long");
        return;
    }
    if (rc != 0) {
        s->h.failed = true;
        sql_fn_nomem(ctx);
    }
}

static void sql_concat_result(sqlite3_context *ctx, void *state)
{
    struct sql_concat_state *s = state;
    if (s->h.failed)
        return;
    if (!s->any)
        sqlite3_result_null(ctx);
    else if (s->blob)
        sqlite3_result_blob64(ctx, s->out.data ? (const void *)s->out.data : "", s->out.len,
                              SQLITE_TRANSIENT);
    else
        sqlite3_result_text64(ctx, s->out.data ? (const char *)s->out.data : "", s->out.len,
                              SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void sql_concat_cleanup(void *state)
{
    struct sql_concat_state *s = state;
    buf_free(&s->out);
}

/* array_agg(x): PostgreSQL's array text, NULLs included ('{1,2,NULL}'); the closing brace is
 * added by the result. */
static void sql_array_agg_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    struct sql_concat_state *s = state;
    if (s->h.failed)
        return;
    int rc = 0;
    if (!s->any)
        rc = buf_append_u8(&s->out, '{');
    if (rc == 0)
        rc = sql_fn_array_append(&s->out, argv[0], !s->any);
    s->any = true;
    if (rc == 0 && s->out.len > SQL_FUNC_RESULT_BYTES_MAX) {
        s->h.failed = true;
        sql_fn_error(ctx, "54000", "array_agg result is too long");
        return;
    }
    if (rc != 0) {
        s->h.failed = true;
        sql_fn_nomem(ctx);
    }
}

static void sql_array_agg_result(sqlite3_context *ctx, void *state)
{
    struct sql_concat_state *s = state;
    if (s->h.failed)
        return;
    if (!s->any) {
        sqlite3_result_null(ctx);
        return;
    }
    if (buf_append_u8(&s->out, '}') != 0) {
        sql_fn_nomem(ctx);
        return;
    }
    sqlite3_result_text64(ctx, (const char *)s->out.data, s->out.len, SQLITE_TRANSIENT,
                          SQLITE_UTF8);
    s->out.len--; /* the state goes on without the brace */
}

/* ---- bool_and, bool_or ---- */

struct sql_bool_state {
    struct sql_agg_head h;
    int64_t trues, falses;
};

static void sql_bool_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    struct sql_bool_state *s = state;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    if (sqlite3_value_int64(argv[0]) != 0)
        s->trues++;
    else
        s->falses++;
}

static void sql_bool_and_result(sqlite3_context *ctx, void *state)
{
    struct sql_bool_state *s = state;
    if (s->trues + s->falses == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int(ctx, s->falses == 0);
}

static void sql_bool_or_result(sqlite3_context *ctx, void *state)
{
    struct sql_bool_state *s = state;
    if (s->trues + s->falses == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int(ctx, s->trues > 0);
}

static void sql_no_cleanup(void *state)
{
    (void)state;
}

/* ---- variance and standard deviation ---- */

struct sql_var_state {
    struct sql_agg_head h;
    bool is_float;
    /* float8: Youngs-Cramer, as PostgreSQL's float8_accum */
    double n, sx, sxx;
    /* integers and numerics: exact sums */
    int64_t count;
    struct sql_numeric sum, sum2;
};

static void sql_var_add(sqlite3_context *ctx, void *state, sqlite3_value **argv)
{
    struct sql_var_state *s = state;
    if (s->h.failed)
        return;
    struct sql_val *v = malloc(sizeof(*v));
    struct sql_numeric *x = malloc(sizeof(*x));
    if (v == NULL || x == NULL) {
        free(v);
        free(x);
        sql_fn_nomem(ctx);
        s->h.failed = true;
        return;
    }
    int rc = sql_fn_classify(argv[0], v);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
        s->h.failed = true;
    } else if (v->kind == SQL_VK_NULL) {
        /* skipped */
    } else if (!sql_fn_is_number(v)) {
        sql_fn_error(ctx, "42883", "function variance(%s) does not exist",
                     sql_fn_kind_name(v->kind));
        s->h.failed = true;
    } else if (v->kind == SQL_VK_FLOAT || s->is_float) {
        if (!s->is_float && s->count > 0) {
            /* floats after exact values: restart the float sums from the exact ones */
            double n = (double)s->count, sx = sql_numeric_to_double(&s->sum);
            s->n = n;
            s->sx = sx;
            s->sxx = sql_numeric_to_double(&s->sum2) - sx * sx / n;
        }
        s->is_float = true;
        double d = sql_fn_to_double(v);
        double n_old = s->n;
        s->n += 1.0;
        s->sx += d;
        if (n_old > 0.0) {
            double tmp = d * s->n - s->sx;
            s->sxx += tmp * tmp / (s->n * n_old);
        }
    } else {
        if (s->count == 0) {
            sql_numeric_from_i64(0, &s->sum);
            sql_numeric_from_i64(0, &s->sum2);
        }
        sql_fn_to_numeric(v, x);
        rc = sql_numeric_add(&s->sum, x, &s->sum);
        if (rc == 0)
            rc = sql_numeric_mul(x, x, x);
        if (rc == 0)
            rc = sql_numeric_add(&s->sum2, x, &s->sum2);
        if (rc != 0) {
            sql_fn_numeric_error(ctx, rc);
            s->h.failed = true;
        }
        s->count++;
    }
    free(v);
    free(x);
}

static void sql_var_result(sqlite3_context *ctx, struct sql_var_state *s, bool sample, bool stddev)
{
    if (s->h.failed)
        return;
    if ((s->is_float ? s->n == 0 : s->count == 0) ||
        (sample && (s->is_float ? s->n <= 1.0 : s->count <= 1))) {
        sqlite3_result_null(ctx);
        return;
    }
    if (s->is_float) {
        double var = s->sxx / (sample ? s->n - 1.0 : s->n);
        sql_fn_result_double(ctx, stddev ? sqrt(var) : var);
        return;
    }
    /* (N × sumX2 - sumX²) / (N × (N - 1)), PostgreSQL's numeric_stddev_internal */
    struct sql_numeric *w = malloc(4 * sizeof(*w));
    if (w == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    struct sql_numeric *sx2 = &w[0], *nsum2 = &w[1], *n = &w[2], *den = &w[3];
    sql_numeric_from_i64(s->count, n);
    int rc = sql_numeric_mul(&s->sum, &s->sum, sx2);
    if (rc == 0)
        rc = sql_numeric_mul(n, &s->sum2, nsum2);
    if (rc == 0)
        rc = sql_numeric_sub(nsum2, sx2, nsum2);
    if (rc == 0 && (sql_numeric_is_zero(nsum2) || nsum2->neg)) {
        sqlite3_result_int(ctx, 0);
        free(w);
        return;
    }
    if (rc == 0) {
        sql_numeric_from_i64(sample ? s->count - 1 : s->count, den);
        rc = sql_numeric_mul(n, den, den);
    }
    int rscale = 0;
    if (rc == 0) {
        rscale = sql_numeric_div_result_scale(nsum2, den);
        rc = sql_numeric_div_scale(nsum2, den, rscale, true, sx2);
    }
    if (rc == 0 && stddev)
        rc = sql_numeric_sqrt_scale(sx2, rscale, sx2);
    if (rc != 0)
        sql_fn_numeric_error(ctx, rc);
    else
        sql_fn_result_numeric(ctx, sx2);
    free(w);
}

static void sql_var_samp_result(sqlite3_context *ctx, void *state)
{
    sql_var_result(ctx, state, true, false);
}

static void sql_var_pop_result(sqlite3_context *ctx, void *state)
{
    sql_var_result(ctx, state, false, false);
}

static void sql_stddev_samp_result(sqlite3_context *ctx, void *state)
{
    sql_var_result(ctx, state, true, true);
}

static void sql_stddev_pop_result(sqlite3_context *ctx, void *state)
{
    sql_var_result(ctx, state, false, true);
}

/* ---- plain and window wrappers ---- */

/* The state of a window variant: a running state, and the frame's rows so that one leaving the
 * frame can be taken out by recomputing (only then: a frame that only grows stays O(1)). */
struct sql_win_state {
    void *running;
    bool dirty;
    sqlite3_value **rows; /* ring of count × nargs copies starting at head */
    size_t head, count, cap;
};

static void sql_agg_plain_step(const struct sql_agg_ops *ops, sqlite3_context *ctx,
                               sqlite3_value **argv)
{
    void *st = sqlite3_aggregate_context(ctx, (int)ops->state_size);
    if (st == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    ops->add(ctx, st, argv);
}

static void sql_agg_plain_final(const struct sql_agg_ops *ops, sqlite3_context *ctx)
{
    void *st = sqlite3_aggregate_context(ctx, (int)ops->state_size);
    if (st == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    ops->result(ctx, st);
    ops->cleanup(st);
}

static struct sql_win_state *sql_win_get(const struct sql_agg_ops *ops, sqlite3_context *ctx)
{
    struct sql_win_state *w = sqlite3_aggregate_context(ctx, sizeof(*w));
    if (w == NULL) {
        sql_fn_nomem(ctx);
        return NULL;
    }
    if (w->running == NULL) {
        w->running = calloc(1, ops->state_size);
        if (w->running == NULL) {
            sql_fn_nomem(ctx);
            return NULL;
        }
    }
    return w;
}

static void sql_win_step(const struct sql_agg_ops *ops, sqlite3_context *ctx, sqlite3_value **argv)
{
    struct sql_win_state *w = sql_win_get(ops, ctx);
    if (w == NULL)
        return;
    size_t k = (size_t)ops->nargs;
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        sqlite3_value **rows = malloc(cap * k * sizeof(*rows));
        if (rows == NULL) {
            sql_fn_nomem(ctx);
            return;
        }
        for (size_t i = 0; i < w->count; i++)
            memcpy(rows + i * k, w->rows + ((w->head + i) % w->cap) * k, k * sizeof(*rows));
        free(w->rows);
        w->rows = rows;
        w->head = 0;
        w->cap = cap;
    }
    sqlite3_value **slot = w->rows + ((w->head + w->count) % w->cap) * k;
    for (size_t j = 0; j < k; j++) {
        slot[j] = sqlite3_value_dup(argv[j]);
        if (slot[j] == NULL) {
            for (size_t i = 0; i < j; i++)
                sqlite3_value_free(slot[i]);
            sql_fn_nomem(ctx);
            return;
        }
    }
    w->count++;
    if (!w->dirty)
        ops->add(ctx, w->running, argv);
}

static void sql_win_inverse(const struct sql_agg_ops *ops, sqlite3_context *ctx,
                            sqlite3_value **argv)
{
    struct sql_win_state *w = sql_win_get(ops, ctx);
    if (w == NULL || w->count == 0)
        return;
    size_t k = (size_t)ops->nargs;
    for (size_t j = 0; j < k; j++)
        sqlite3_value_free(w->rows[w->head * k + j]);
    w->head = (w->head + 1) % w->cap;
    w->count--;
    w->dirty = true;
}

static void sql_win_value(const struct sql_agg_ops *ops, sqlite3_context *ctx)
{
    struct sql_win_state *w = sql_win_get(ops, ctx);
    if (w == NULL)
        return;
    if (w->dirty) {
        ops->cleanup(w->running);
        memset(w->running, 0, ops->state_size);
        size_t k = (size_t)ops->nargs;
        for (size_t i = 0; i < w->count; i++)
            ops->add(ctx, w->running, w->rows + ((w->head + i) % w->cap) * k);
        w->dirty = false;
    }
    ops->result(ctx, w->running);
}

static void sql_win_final(const struct sql_agg_ops *ops, sqlite3_context *ctx)
{
    struct sql_win_state *w = sqlite3_aggregate_context(ctx, 0);
    if (w == NULL) {
        /* no rows at all: the result of an empty state */
        void *st = calloc(1, ops->state_size);
        if (st == NULL) {
            sql_fn_nomem(ctx);
            return;
        }
        ops->result(ctx, st);
        ops->cleanup(st);
        free(st);
        return;
    }
    sql_win_value(ops, ctx);
    if (w->running != NULL) {
        ops->cleanup(w->running);
        free(w->running);
        w->running = NULL;
    }
    size_t k = (size_t)ops->nargs;
    for (size_t i = 0; i < w->count; i++) {
        for (size_t j = 0; j < k; j++)
            sqlite3_value_free(w->rows[((w->head + i) % w->cap) * k + j]);
    }
    free(w->rows);
    w->rows = NULL;
    w->count = 0;
}

/* Five SQLite callbacks per aggregate, bound to its ops. */
#define SQL_AGG_WRAPPERS(name, ops)                                                                \
    static void name##_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)                  \
    {                                                                                              \
        sql_agg_plain_step(&ops, ctx, argv);                                                       \
    }                                                                                              \
    static void name##_final(sqlite3_context *ctx)                                                 \
    {                                                                                              \
        sql_agg_plain_final(&ops, ctx);                                                            \
    }                                                                                              \
    static void name##_wstep(sqlite3_context *ctx, int argc, sqlite3_value **argv)                 \
    {                                                                                              \
        sql_win_step(&ops, ctx, argv);                                                             \
    }                                                                                              \
    static void name##_winverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)              \
    {                                                                                              \
        sql_win_inverse(&ops, ctx, argv);                                                          \
    }                                                                                              \
    static void name##_wvalue(sqlite3_context *ctx)                                                \
    {                                                                                              \
        sql_win_value(&ops, ctx);                                                                  \
    }                                                                                              \
    static void name##_wfinal(sqlite3_context *ctx)                                                \
    {                                                                                              \
        sql_win_final(&ops, ctx);                                                                  \
    }

static const struct sql_agg_ops sql_min_ops = {sizeof(struct sql_minmax_state), 1, sql_min_add,
                                               sql_minmax_result, sql_minmax_cleanup};
static const struct sql_agg_ops sql_max_ops = {sizeof(struct sql_minmax_state), 1, sql_max_add,
                                               sql_minmax_result, sql_minmax_cleanup};
static const struct sql_agg_ops sql_string_agg_ops = {
    sizeof(struct sql_concat_state), 2, sql_string_agg_add, sql_concat_result, sql_concat_cleanup};
static const struct sql_agg_ops sql_array_agg_ops = {sizeof(struct sql_concat_state), 1,
                                                     sql_array_agg_add, sql_array_agg_result,
                                                     sql_concat_cleanup};
static const struct sql_agg_ops sql_bool_and_ops = {sizeof(struct sql_bool_state), 1, sql_bool_add,
                                                    sql_bool_and_result, sql_no_cleanup};
static const struct sql_agg_ops sql_bool_or_ops = {sizeof(struct sql_bool_state), 1, sql_bool_add,
                                                   sql_bool_or_result, sql_no_cleanup};
static const struct sql_agg_ops sql_var_samp_ops = {sizeof(struct sql_var_state), 1, sql_var_add,
                                                    sql_var_samp_result, sql_no_cleanup};
static const struct sql_agg_ops sql_var_pop_ops = {sizeof(struct sql_var_state), 1, sql_var_add,
                                                   sql_var_pop_result, sql_no_cleanup};
static const struct sql_agg_ops sql_stddev_samp_ops = {sizeof(struct sql_var_state), 1, sql_var_add,
                                                       sql_stddev_samp_result, sql_no_cleanup};
static const struct sql_agg_ops sql_stddev_pop_ops = {sizeof(struct sql_var_state), 1, sql_var_add,
                                                      sql_stddev_pop_result, sql_no_cleanup};

SQL_AGG_WRAPPERS(sql_min, sql_min_ops)
SQL_AGG_WRAPPERS(sql_max, sql_max_ops)
SQL_AGG_WRAPPERS(sql_string_agg, sql_string_agg_ops)
SQL_AGG_WRAPPERS(sql_array_agg, sql_array_agg_ops)
SQL_AGG_WRAPPERS(sql_bool_and, sql_bool_and_ops)
SQL_AGG_WRAPPERS(sql_bool_or, sql_bool_or_ops)
SQL_AGG_WRAPPERS(sql_var_samp, sql_var_samp_ops)
SQL_AGG_WRAPPERS(sql_var_pop, sql_var_pop_ops)
SQL_AGG_WRAPPERS(sql_stddev_samp, sql_stddev_samp_ops)
SQL_AGG_WRAPPERS(sql_stddev_pop, sql_stddev_pop_ops)

/* ---- ORDER BY inside an aggregate call ----
 *
 * pg_agg_ordered('string_agg', distinct, nargs, arg1..argN, key1, flags1, key2, flags2...):
 * SQLite 3.40 takes no ORDER BY in an aggregate call, so the rows are kept, sorted at the end
 * by the keys with PostgreSQL's comparison (flags: 1 descending, 2 NULLs first) and fed in
 * that order to the aggregate. With distinct, a row whose arguments equal the one before is
 * skipped (PostgreSQL requires DISTINCT's ORDER BY to be on the arguments, so equal rows are
 * neighbours). */

#define SQL_AGG_ORDERED_KEYS_MAX 32

struct sql_ordered_state {
    bool failed, started;
    const struct sql_agg_ops *ops;
    int nargs, nkeys;
    bool distinct;
    int flags[SQL_AGG_ORDERED_KEYS_MAX];
    sqlite3_value ***rows; /* each nargs + nkeys values, owned */
    size_t n, cap, bytes;
    sqlite3_context *ctx;  /* while sorting: where a comparison error goes */
    struct sql_val *cmp;   /* two, for comparisons */
};

static const struct sql_agg_ops *sql_ordered_ops(const char *name)
{
    if (name != NULL && strcmp(name, "string_agg") == 0)
        return &sql_string_agg_ops;
    if (name != NULL && strcmp(name, "array_agg") == 0)
        return &sql_array_agg_ops;
    return NULL;
}

static void sql_ordered_fail(sqlite3_context *ctx, struct sql_ordered_state *s, const char *state,
                             const char *msg)
{
    s->failed = true;
    sql_fn_error(ctx, state, "%s", msg);
}

static void sql_agg_ordered_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_ordered_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (s == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    if (s->failed)
        return;
    if (!s->started) {
        s->started = true;
        s->ops = argc >= 3 ? sql_ordered_ops((const char *)sqlite3_value_text(argv[0])) : NULL;
        s->distinct = argc >= 3 && sqlite3_value_int(argv[1]) != 0;
        s->nargs = argc >= 3 ? sqlite3_value_int(argv[2]) : 0;
        s->nkeys = (argc - 3 - s->nargs) / 2;
        if (s->ops == NULL || s->nargs != s->ops->nargs || s->nkeys < 1 ||
            s->nkeys > SQL_AGG_ORDERED_KEYS_MAX || 3 + s->nargs + 2 * s->nkeys != argc) {
            sql_ordered_fail(ctx, s, "42883", "pg_agg_ordered: unknown aggregate or arguments");
            return;
        }
        for (int k = 0; k < s->nkeys; k++)
            s->flags[k] = sqlite3_value_int(argv[3 + s->nargs + 2 * k + 1]);
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        sqlite3_value ***rows = realloc(s->rows, cap * sizeof *rows);
        if (rows == NULL) {
            sql_ordered_fail(ctx, s, "53200", "out of memory");
            return;
        }
        s->rows = rows;
        s->cap = cap;
    }
    int width = s->nargs + s->nkeys;
    sqlite3_value **row = calloc((size_t)width, sizeof *row);
    if (row == NULL) {
        sql_ordered_fail(ctx, s, "53200", "out of memory");
        return;
    }
    s->rows[s->n++] = row;
    for (int i = 0; i < width; i++) {
        sqlite3_value *v = argv[i < s->nargs ? 3 + i : 3 + s->nargs + 2 * (i - s->nargs)];
        s->bytes += (size_t)sqlite3_value_bytes(v) + 16;
        if ((row[i] = sqlite3_value_dup(v)) == NULL) {
            sql_ordered_fail(ctx, s, "53200", "out of memory");
            return;
        }
    }
    if (s->bytes > SQL_FUNC_RESULT_BYTES_MAX)
        sql_ordered_fail(ctx, s, "54000", "the rows of an ordered aggregate are too large");
}

/* -1, 0, 1 as PostgreSQL orders a and b (NULL as the flags say); 2 on an error (set). */
static int sql_ordered_compare(struct sql_ordered_state *s, sqlite3_value *a, sqlite3_value *b,
                               int flags)
{
    bool na = sqlite3_value_type(a) == SQLITE_NULL, nb = sqlite3_value_type(b) == SQLITE_NULL;
    if (na || nb) {
        if (na && nb)
            return 0;
        return (na != ((flags & 2) != 0)) ? 1 : -1;
    }
    int rc = sql_fn_classify(a, &s->cmp[0]);
    if (rc == 0)
        rc = sql_fn_classify(b, &s->cmp[1]);
    if (rc != 0) {
        sql_fn_numeric_error(s->ctx, rc);
        return 2;
    }
    int c = sql_fn_compare(s->ctx, &s->cmp[0], &s->cmp[1]);
    if (c == 2)
        return 2;
    return (flags & 1) ? -c : c;
}

static int sql_ordered_sort_cmp(const void *pa, const void *pb, void *arg)
{
    struct sql_ordered_state *s = arg;
    sqlite3_value *const *a = *(sqlite3_value **const *)pa;
    sqlite3_value *const *b = *(sqlite3_value **const *)pb;
    for (int k = 0; k < s->nkeys && !s->failed; k++) {
        int c = sql_ordered_compare(s, a[s->nargs + k], b[s->nargs + k], s->flags[k]);
        if (c == 2)
            s->failed = true;
        else if (c != 0)
            return c;
    }
    return 0;
}

static void sql_agg_ordered_final(sqlite3_context *ctx)
{
    struct sql_ordered_state *s = sqlite3_aggregate_context(ctx, 0);
    if (s == NULL) {
        sqlite3_result_null(ctx); /* no rows */
        return;
    }
    void *st = NULL;
    if (s->failed || !s->started)
        goto out;
    s->ctx = ctx;
    s->cmp = malloc(2 * sizeof *s->cmp);
    st = s->ops ? calloc(1, s->ops->state_size) : NULL;
    if (s->cmp == NULL || st == NULL) {
        sql_fn_nomem(ctx);
        goto out;
    }
    qsort_r(s->rows, s->n, sizeof *s->rows, sql_ordered_sort_cmp, s);
    for (size_t i = 0; i < s->n && !s->failed; i++) {
        bool same = s->distinct && i > 0;
        for (int a = 0; same && a < s->nargs; a++) {
            int c = sql_ordered_compare(s, s->rows[i][a], s->rows[i - 1][a], 0);
            s->failed |= c == 2;
            same = c == 0;
        }
        if (!same && !s->failed)
            s->ops->add(ctx, st, s->rows[i]);
    }
    if (!s->failed)
        s->ops->result(ctx, st);
    s->ops->cleanup(st);
out:
    free(st);
    free(s->cmp);
    s->cmp = NULL;
    for (size_t i = 0; i < s->n; i++) {
        for (int k = 0; k < s->nargs + s->nkeys; k++)
            sqlite3_value_free(s->rows[i][k]);
        free(s->rows[i]);
    }
    free(s->rows);
    s->rows = NULL;
    s->n = s->cap = 0;
}

/* ---- registration ---- */

struct sql_agg_def {
    const char *name;
    int nargs;
    void (*step)(sqlite3_context *, int, sqlite3_value **);
    void (*final)(sqlite3_context *);
    void (*value)(sqlite3_context *);                          /* window functions only */
    void (*inverse)(sqlite3_context *, int, sqlite3_value **); /* window functions only */
};

#define SQL_AGG_PAIR(sqlname, nargs, name)                                                         \
    {sqlname, nargs, name##_step, name##_final, NULL, NULL},                                       \
    {                                                                                              \
        sqlname "_w", nargs, name##_wstep, name##_wfinal, name##_wvalue, name##_winverse           \
    }

static const struct sql_agg_def sql_agg_defs[] = {
    /* sum and avg take rows out exactly: one function serves both uses */
    {"pg_sum", 1, sql_sum_step, sql_sum_value, sql_sum_value, sql_sum_inverse},
    {"pg_avg", 1, sql_avg_step, sql_avg_value, sql_avg_value, sql_avg_inverse},
    SQL_AGG_PAIR("pg_min", 1, sql_min),
    SQL_AGG_PAIR("pg_max", 1, sql_max),
    SQL_AGG_PAIR("pg_string_agg", 2, sql_string_agg),
    SQL_AGG_PAIR("pg_array_agg", 1, sql_array_agg),
    SQL_AGG_PAIR("pg_bool_and", 1, sql_bool_and),
    SQL_AGG_PAIR("pg_bool_or", 1, sql_bool_or),
    SQL_AGG_PAIR("pg_var_samp", 1, sql_var_samp),
    SQL_AGG_PAIR("pg_var_pop", 1, sql_var_pop),
    SQL_AGG_PAIR("pg_stddev_samp", 1, sql_stddev_samp),
    SQL_AGG_PAIR("pg_stddev_pop", 1, sql_stddev_pop),
    {"pg_agg_ordered", -1, sql_agg_ordered_step, sql_agg_ordered_final, NULL, NULL},
};

int sql_fn_register_aggregates(sqlite3 *db, struct sql_fn_state *st, struct errbuf *eb)
{
    for (size_t i = 0; i < sizeof(sql_agg_defs) / sizeof(sql_agg_defs[0]); i++) {
        const struct sql_agg_def *d = &sql_agg_defs[i];
        int rc;
        if (d->value != NULL)
            rc = sqlite3_create_window_function(db, d->name, d->nargs,
                                                SQLITE_UTF8 | SQLITE_DETERMINISTIC, st, d->step,
                                                d->final, d->value, d->inverse, NULL);
        else
            rc = sqlite3_create_function_v2(db, d->name, d->nargs,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC, st, NULL, d->step,
                                            d->final, NULL);
        if (rc != SQLITE_OK)
            return err_set(eb, rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_INVAL,
                           "registering aggregate %s: %s", d->name, sqlite3_errstr(rc));
    }
    return 0;
}
