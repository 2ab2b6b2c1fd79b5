/* Exact decimal arithmetic with PostgreSQL's numeric semantics: values are decimal coefficients
 * with a display scale, results take PostgreSQL's scales (select_div_scale for division), text is
 * PostgreSQL's canonical output ("12.50", "-0.001", "NaN", "Infinity"). */
#ifndef CAIRN_SQL_SQL_NUMERIC_H
#define CAIRN_SQL_SQL_NUMERIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Bounds (PostgreSQL allows 131072 integer digits and a scale of 16383; Cairn keeps arithmetic
 * quadratic in these, so it stops earlier): a value has at most SQL_NUMERIC_INT_DIGITS_MAX
 * digits before the point (more is 22003 "value overflows numeric format") and at most
 * SQL_NUMERIC_SCALE_MAX after it (PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE; results that would
 * carry more are rounded to it, input that carries more is rounded too). */
#define SQL_NUMERIC_INT_DIGITS_MAX 1000
#define SQL_NUMERIC_SCALE_MAX      1000
/* PostgreSQL's NUMERIC_MIN_SIG_DIGITS: division and functions give at least this many. */
#define SQL_NUMERIC_MIN_SIG_DIGITS 16
/* Room for intermediate results (a product of two maximal values, a scaled dividend). */
#define SQL_NUMERIC_BUF_DIGITS 4400
/* Longest canonical text of a value, NUL excluded: sign, digits, point. */
#define SQL_NUMERIC_TEXT_BYTES_MAX (SQL_NUMERIC_INT_DIGITS_MAX + SQL_NUMERIC_SCALE_MAX + 3)

enum sql_numeric_kind {
    SQL_NUMERIC_FINITE = 0,
    SQL_NUMERIC_NAN,
    SQL_NUMERIC_PINF,
    SQL_NUMERIC_NINF,
};

/* value = (neg ? -1 : 1) × digits × 10^-scale, digits little-endian (digits[0] is the last
 * digit). ndigits has no leading (high) zeros; zero is ndigits 0 and never negative. The
 * struct is large (about 4.4 KB): keep few on the stack. */
struct sql_numeric {
    uint8_t kind; /* enum sql_numeric_kind */
    bool neg;
    int32_t scale; /* display scale, 0 <= scale */
    int32_t ndigits;
    uint8_t digits[SQL_NUMERIC_BUF_DIGITS];
};

/* Errors the operations return: */
/* ERR_MALFORMED: text is not a numeric (22P02 invalid input syntax for type numeric) */
/* ERR_RANGE: the result has too many integer digits (22003 value overflows numeric format) */
/* ERR_INVAL: division by zero (22012) */

/* Parses PostgreSQL numeric input: optional blanks, sign, digits with one optional point,
 * optional exponent (1.5e3), blanks; or NaN / Infinity / inf (any case, signed). */
int sql_numeric_parse(const char *s, size_t len, struct sql_numeric *out);
/* Whether s reads as a finite numeric or as one of the canonical words NaN, Infinity,
 * -Infinity — what a TEXT holding a numeric looks like. Cheap; no conversion. */
bool sql_numeric_looks_like(const char *s, size_t len);
void sql_numeric_from_i64(int64_t v, struct sql_numeric *out);
/* v × 10^-scale with display scale `scale` (0 <= scale <= SQL_NUMERIC_SCALE_MAX): 8500, 3 is
 * 8.500. */
void sql_numeric_from_i64_scaled(int64_t v, int scale, struct sql_numeric *out);
/* As PostgreSQL converts float8 (digits = 15, like %.15g) and float4 (digits = 6). NaN and
 * infinities map to the numeric ones. */
void sql_numeric_from_double(double d, int digits, struct sql_numeric *out);
/* Rounds half away from zero to an integer. ERR_RANGE if it does not fit, ERR_UNSUPPORTED for
 * NaN and infinities (0A000 cannot convert NaN to bigint). */
int sql_numeric_to_i64(const struct sql_numeric *n, int64_t *out);
double sql_numeric_to_double(const struct sql_numeric *n);
/* Canonical text into out (at least SQL_NUMERIC_TEXT_BYTES_MAX + 1 bytes). Returns length. */
size_t sql_numeric_format(const struct sql_numeric *n, char *out);
/* Appends the canonical text. Returns 0 or ERR_NOMEM. */
int sql_numeric_append(const struct sql_numeric *n, struct buf *out);

bool sql_numeric_is_zero(const struct sql_numeric *n);
bool sql_numeric_is_finite(const struct sql_numeric *n);
/* -1, 0, 1 as PostgreSQL orders numerics: -Infinity < finite < Infinity < NaN, NaN = NaN. */
int sql_numeric_cmp(const struct sql_numeric *a, const struct sql_numeric *b);

/* out may alias a or b. Scales: + - keep the larger scale, * adds them, / uses PostgreSQL's
 * select_div_scale and rounds half away from zero, % keeps the larger scale (sign of a). */
int sql_numeric_add(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out);
int sql_numeric_sub(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out);
int sql_numeric_mul(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out);
int sql_numeric_div(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out);
/* Division to exactly `scale` digits after the point, rounded (round) or truncated. */
int sql_numeric_div_scale(const struct sql_numeric *a, const struct sql_numeric *b, int scale,
                          bool round, struct sql_numeric *out);
int sql_numeric_mod(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out);
/* PostgreSQL's div(a, b): the integer quotient truncated toward zero, scale 0. */
int sql_numeric_div_trunc(const struct sql_numeric *a, const struct sql_numeric *b,
                          struct sql_numeric *out);
/* PostgreSQL's select_div_scale(a, b): the result scale of a / b. */
int sql_numeric_div_result_scale(const struct sql_numeric *a, const struct sql_numeric *b);
void sql_numeric_neg(struct sql_numeric *n);
void sql_numeric_abs(struct sql_numeric *n);

/* round(n, scale) / trunc(n, scale): scale may be negative (round(1234, -2) = 1200); the
 * result's display scale is max(scale, 0). Rounding is half away from zero. ERR_RANGE if
 * rounding up overflows. */
int sql_numeric_round(struct sql_numeric *n, int scale);
void sql_numeric_trunc(struct sql_numeric *n, int scale);
/* ceil / floor, scale 0. */
int sql_numeric_ceil(struct sql_numeric *n);
int sql_numeric_floor(struct sql_numeric *n);
/* Applies numeric(precision, scale): rounds to scale, then ERR_RANGE (22003 numeric field
 * overflow) if more than precision - scale integer digits remain. */
int sql_numeric_apply_typmod(struct sql_numeric *n, int precision, int scale);
/* sqrt with PostgreSQL's result scale; ERR_INVAL for a negative argument (2201F). */
int sql_numeric_sqrt(const struct sql_numeric *a, struct sql_numeric *out);
/* sqrt rounded to exactly rscale fractional digits (a >= 0). */
int sql_numeric_sqrt_scale(const struct sql_numeric *a, int rscale, struct sql_numeric *out);
/* exp, ln, log(base, x) and power with PostgreSQL's result scales (at least 16 significant
 * digits), computed with guard digits and rounded. Errors: ERR_RANGE when the result overflows
 * (22003 value overflows numeric format); for ln/log ERR_INVAL on zero (2201E cannot take
 * logarithm of zero) and ERR_UNSUPPORTED on a negative (2201E ... of a negative number), for
 * log ERR_CONDITION when the base is 1 (22012 division by zero); for
 * power ERR_INVAL for zero to a negative power and ERR_UNSUPPORTED for a negative base to a
 * non-integer power (both 2201F). */
int sql_numeric_exp(const struct sql_numeric *a, struct sql_numeric *out);
int sql_numeric_ln(const struct sql_numeric *a, struct sql_numeric *out);
int sql_numeric_log(const struct sql_numeric *base, const struct sql_numeric *x,
                    struct sql_numeric *out);
int sql_numeric_power(const struct sql_numeric *a, const struct sql_numeric *b,
                      struct sql_numeric *out);
/* Sets the display scale to at least `scale` (padding zeros), never losing digits. */
void sql_numeric_widen_scale(struct sql_numeric *n, int scale);
/* Drops trailing fractional zeros (PostgreSQL's trim_scale). */
void sql_numeric_trim_scale(struct sql_numeric *n);
/* Number of digits before the point (0 for |n| < 1). */
int sql_numeric_int_digits(const struct sql_numeric *n);

#endif
