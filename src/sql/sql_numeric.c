/* Exact decimal arithmetic with PostgreSQL's numeric semantics on base-10 coefficients. Base 10
 * keeps scale handling trivial; values stay small enough (SQL_NUMERIC_*_MAX) that schoolbook
 * algorithms are fast. PostgreSQL computes in base 10000 (NBASE), which only shows through in
 * select_div_scale and sqrt's scale, reproduced here from the decimal digits. */
#include "sql/sql_numeric.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"

/* PostgreSQL's base-10000 digit size, for reproducing its scale choices. */
#define NUM_DEC_DIGITS 4

static void num_set_zero(struct sql_numeric *n, int scale)
{
    n->kind = SQL_NUMERIC_FINITE;
    n->neg = false;
    n->scale = scale;
    n->ndigits = 0;
}

static void num_copy(struct sql_numeric *dst, const struct sql_numeric *src)
{
    if (dst == src)
        return;
    dst->kind = src->kind;
    dst->neg = src->neg;
    dst->scale = src->scale;
    dst->ndigits = src->ndigits;
    memcpy(dst->digits, src->digits, (size_t)src->ndigits);
}

static void num_set_special(struct sql_numeric *n, enum sql_numeric_kind kind)
{
    n->kind = (uint8_t)kind;
    n->neg = false;
    n->scale = 0;
    n->ndigits = 0;
}

static void num_norm(struct sql_numeric *n)
{
    while (n->ndigits > 0 && n->digits[n->ndigits - 1] == 0)
        n->ndigits--;
    if (n->ndigits == 0)
        n->neg = false;
}

/* The digit at power-of-ten position p (0 = units, -1 = tenths). */
static int num_digit_at(const struct sql_numeric *n, int p)
{
    int i = p + n->scale;
    if (i < 0 || i >= n->ndigits)
        return 0;
    return n->digits[i];
}

int sql_numeric_int_digits(const struct sql_numeric *n)
{
    int d = n->ndigits - n->scale;
    return d > 0 ? d : 0;
}

/* Multiplies the coefficient by 10^k and raises the scale by k: same value, more digits. */
static void num_raise_scale(struct sql_numeric *n, int k)
{
    ASSERT(k >= 0);
    if (k == 0)
        return;
    if (n->ndigits > 0) {
        ASSERT(n->ndigits + k <= SQL_NUMERIC_BUF_DIGITS);
        memmove(n->digits + k, n->digits, (size_t)n->ndigits);
        memset(n->digits, 0, (size_t)k);
        n->ndigits += k;
    }
    n->scale += k;
}

void sql_numeric_widen_scale(struct sql_numeric *n, int scale)
{
    if (n->kind != SQL_NUMERIC_FINITE || scale <= n->scale)
        return;
    if (scale > SQL_NUMERIC_SCALE_MAX)
        scale = SQL_NUMERIC_SCALE_MAX;
    num_raise_scale(n, scale - n->scale);
}

/* Adds one unit in the last place to the magnitude. The caller guarantees room. */
static void num_increment(struct sql_numeric *n)
{
    int i = 0;
    while (i < n->ndigits && n->digits[i] == 9)
        n->digits[i++] = 0;
    if (i == n->ndigits) {
        ASSERT(n->ndigits < SQL_NUMERIC_BUF_DIGITS);
        n->digits[n->ndigits++] = 1;
    } else {
        n->digits[i]++;
    }
}

/* Drops the k lowest digits of the coefficient (lowering the scale by k), rounding half away
 * from zero when round is set. */
static void num_drop_digits(struct sql_numeric *n, int k, bool round)
{
    ASSERT(k >= 0);
    if (k == 0)
        return;
    bool up = round && k - 1 < n->ndigits && n->digits[k - 1] >= 5;
    if (k >= n->ndigits) {
        n->ndigits = 0;
    } else {
        memmove(n->digits, n->digits + k, (size_t)(n->ndigits - k));
        n->ndigits -= k;
    }
    n->scale -= k;
    if (up)
        num_increment(n);
    num_norm(n);
}

/* Enforces the bounds on a result: too many fractional digits are rounded away, too many
 * integer digits are ERR_RANGE. */
static int num_check(struct sql_numeric *n)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return 0;
    num_norm(n);
    if (n->scale > SQL_NUMERIC_SCALE_MAX)
        num_drop_digits(n, n->scale - SQL_NUMERIC_SCALE_MAX, true);
    if (sql_numeric_int_digits(n) > SQL_NUMERIC_INT_DIGITS_MAX)
        return ERR_RANGE;
    return 0;
}

bool sql_numeric_is_zero(const struct sql_numeric *n)
{
    return n->kind == SQL_NUMERIC_FINITE && n->ndigits == 0;
}

bool sql_numeric_is_finite(const struct sql_numeric *n)
{
    return n->kind == SQL_NUMERIC_FINITE;
}

/* ---- text ---- */

/* The shape of numeric text, found by one scan; positions index s. */
struct num_scan {
    size_t int_start, int_len;   /* digits before the point */
    size_t frac_start, frac_len; /* digits after it */
    bool neg;
    long exp; /* decimal exponent, saturated at +-100000 (far past any bound) */
    enum sql_numeric_kind kind;
};

static bool num_word(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* PostgreSQL's numeric_in syntax. Returns 0 or ERR_MALFORMED. */
static int num_scan(const char *s, size_t len, struct num_scan *sc)
{
    memset(sc, 0, sizeof(*sc));
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    while (len > i && isspace((unsigned char)s[len - 1]))
        len--;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        sc->neg = s[i] == '-';
        i++;
    }
    const char *w = s + i;
    size_t wl = len - i;
    if (num_word(w, wl, "nan")) {
        if (i > 0 && (s[i - 1] == '+' || s[i - 1] == '-'))
            return ERR_MALFORMED;
        sc->kind = SQL_NUMERIC_NAN;
        return 0;
    }
    if (num_word(w, wl, "infinity") || num_word(w, wl, "inf")) {
        sc->kind = sc->neg ? SQL_NUMERIC_NINF : SQL_NUMERIC_PINF;
        return 0;
    }
    sc->kind = SQL_NUMERIC_FINITE;
    sc->int_start = i;
    while (i < len && isdigit((unsigned char)s[i]))
        i++;
    sc->int_len = i - sc->int_start;
    if (i < len && s[i] == '.') {
        i++;
        sc->frac_start = i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        sc->frac_len = i - sc->frac_start;
    }
    if (sc->int_len + sc->frac_len == 0)
        return ERR_MALFORMED;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        size_t estart = i;
        long e = 0;
        while (i < len && isdigit((unsigned char)s[i])) {
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        if (i == estart)
            return ERR_MALFORMED;
        sc->exp = eneg ? -e : e;
    }
    if (i != len)
        return ERR_MALFORMED;
    return 0;
}

bool sql_numeric_looks_like(const char *s, size_t len)
{
    struct num_scan sc;
    if (num_scan(s, len, &sc) != 0)
        return false;
    if (sc.kind == SQL_NUMERIC_FINITE)
        return true;
    /* Only the canonical spellings: a TEXT 'inf' is more likely a word than a number. */
    return num_word(s, len, "NaN") || num_word(s, len, "Infinity") || num_word(s, len, "-Infinity");
}

int sql_numeric_parse(const char *s, size_t len, struct sql_numeric *out)
{
    struct num_scan sc;
    int rc = num_scan(s, len, &sc);
    if (rc != 0)
        return rc;
    if (sc.kind != SQL_NUMERIC_FINITE) {
        num_set_special(out, sc.kind);
        return 0;
    }
    long scale = (long)sc.frac_len - sc.exp;
    if (scale < 0)
        scale = 0;
    /* Digits below this power are only needed to round at SQL_NUMERIC_SCALE_MAX. */
    long keep_scale = scale > SQL_NUMERIC_SCALE_MAX ? SQL_NUMERIC_SCALE_MAX + 1 : scale;
    num_set_zero(out, (int)keep_scale);
    out->neg = sc.neg;
    size_t ndig = sc.int_len + sc.frac_len;
    for (size_t k = 0; k < ndig; k++) {
        char c = k < sc.int_len ? s[sc.int_start + k] : s[sc.frac_start + (k - sc.int_len)];
        int d = c - '0';
        /* power of ten of this digit */
        long p = (long)sc.int_len - 1 - (long)k + sc.exp;
        if (p < -keep_scale)
            break;
        if (d == 0 && out->ndigits == 0)
            continue; /* a leading zero */
        if (p >= SQL_NUMERIC_INT_DIGITS_MAX)
            return ERR_RANGE;
        long idx = p + keep_scale;
        if (out->ndigits == 0) {
            out->ndigits = (int32_t)idx + 1;
            memset(out->digits, 0, (size_t)out->ndigits);
        }
        out->digits[idx] = (uint8_t)d;
    }
    num_norm(out);
    if (scale > SQL_NUMERIC_SCALE_MAX)
        num_drop_digits(out, 1, true);
    return num_check(out);
}

size_t sql_numeric_format(const struct sql_numeric *n, char *out)
{
    switch (n->kind) {
    case SQL_NUMERIC_NAN:
        return (size_t)sprintf(out, "NaN");
    case SQL_NUMERIC_PINF:
        return (size_t)sprintf(out, "Infinity");
    case SQL_NUMERIC_NINF:
        return (size_t)sprintf(out, "-Infinity");
    default:
        break;
    }
    ASSERT(n->scale <= SQL_NUMERIC_SCALE_MAX &&
           sql_numeric_int_digits(n) <= SQL_NUMERIC_INT_DIGITS_MAX);
    char *p = out;
    if (n->neg && n->ndigits > 0)
        *p++ = '-';
    int top = n->ndigits - 1 - n->scale; /* power of the leading digit */
    if (top < 0)
        top = 0;
    for (int pw = top; pw >= 0; pw--)
        *p++ = (char)('0' + num_digit_at(n, pw));
    if (n->scale > 0) {
        *p++ = '.';
        for (int pw = -1; pw >= -n->scale; pw--)
            *p++ = (char)('0' + num_digit_at(n, pw));
    }
    *p = '\0';
    return (size_t)(p - out);
}

int sql_numeric_append(const struct sql_numeric *n, struct buf *out)
{
    char text[SQL_NUMERIC_TEXT_BYTES_MAX + 1];
    size_t len = sql_numeric_format(n, text);
    return buf_append(out, text, len);
}

/* ---- conversions ---- */

void sql_numeric_from_i64(int64_t v, struct sql_numeric *out)
{
    num_set_zero(out, 0);
    out->neg = v < 0;
    /* Negate in unsigned arithmetic: INT64_MIN has no positive int64. */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (m > 0) {
        out->digits[out->ndigits++] = (uint8_t)(m % 10);
        m /= 10;
    }
    num_norm(out);
}

void sql_numeric_from_i64_scaled(int64_t v, int scale, struct sql_numeric *out)
{
    ASSERT(scale >= 0 && scale <= SQL_NUMERIC_SCALE_MAX);
    sql_numeric_from_i64(v, out);
    out->scale = scale;
}

void sql_numeric_from_double(double d, int digits, struct sql_numeric *out)
{
    if (isnan(d)) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return;
    }
    if (isinf(d)) {
        num_set_special(out, d > 0 ? SQL_NUMERIC_PINF : SQL_NUMERIC_NINF);
        return;
    }
    char text[64];
    int len = snprintf(text, sizeof(text), "%.*g", digits, d);
    ASSERT(len > 0 && (size_t)len < sizeof(text));
    int rc = sql_numeric_parse(text, (size_t)len, out);
    /* %g of a finite double has at most 309 integer digits and an exponent within 1000. */
    ASSERT(rc == 0);
}

int sql_numeric_to_i64(const struct sql_numeric *n, int64_t *out)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return ERR_UNSUPPORTED;
    /* Round half away from zero on the digit just below the units. */
    bool up = num_digit_at(n, -1) >= 5;
    int top = n->ndigits - 1 - n->scale;
    if (top > 18)
        return ERR_RANGE;
    uint64_t m = 0;
    for (int p = top; p >= 0; p--)
        m = m * 10 + (uint64_t)num_digit_at(n, p);
    if (up)
        m++;
    if (n->neg) {
        if (m > (uint64_t)INT64_MAX + 1)
            return ERR_RANGE;
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX)
            return ERR_RANGE;
        *out = (int64_t)m;
    }
    return 0;
}

double sql_numeric_to_double(const struct sql_numeric *n)
{
    switch (n->kind) {
    case SQL_NUMERIC_NAN:
        return NAN;
    case SQL_NUMERIC_PINF:
        return INFINITY;
    case SQL_NUMERIC_NINF:
        return -INFINITY;
    default:
        break;
    }
    char text[SQL_NUMERIC_TEXT_BYTES_MAX + 1];
    sql_numeric_format(n, text);
    return strtod(text, NULL);
}

/* ---- comparison ---- */

/* Compares magnitudes of finite values. */
static int num_cmp_abs(const struct sql_numeric *a, const struct sql_numeric *b)
{
    int ta = a->ndigits - a->scale, tb = b->ndigits - b->scale; /* one past the top power */
    if (a->ndigits == 0 || b->ndigits == 0)
        return (a->ndigits > 0) - (b->ndigits > 0);
    if (ta != tb)
        return ta > tb ? 1 : -1;
    int low = -(a->scale > b->scale ? a->scale : b->scale);
    for (int p = ta - 1; p >= low; p--) {
        int da = num_digit_at(a, p), db = num_digit_at(b, p);
        if (da != db)
            return da > db ? 1 : -1;
    }
    return 0;
}

/* Order key of the special values: -Infinity, finite, Infinity, NaN. */
static int num_kind_rank(const struct sql_numeric *n)
{
    switch (n->kind) {
    case SQL_NUMERIC_NINF:
        return 0;
    case SQL_NUMERIC_FINITE:
        return 1;
    case SQL_NUMERIC_PINF:
        return 2;
    default:
        return 3;
    }
}

int sql_numeric_cmp(const struct sql_numeric *a, const struct sql_numeric *b)
{
    int ra = num_kind_rank(a), rb = num_kind_rank(b);
    if (ra != rb)
        return ra > rb ? 1 : -1;
    if (a->kind != SQL_NUMERIC_FINITE)
        return 0;
    if (a->neg != b->neg)
        return a->neg ? -1 : 1;
    int c = num_cmp_abs(a, b);
    return a->neg ? -c : c;
}

/* ---- addition and subtraction ---- */

/* |a| + |b| into r (r distinct from a and b), scale max(a, b). */
static void num_add_abs(const struct sql_numeric *a, const struct sql_numeric *b,
                        struct sql_numeric *r)
{
    int scale = a->scale > b->scale ? a->scale : b->scale;
    int ta = a->ndigits - a->scale, tb = b->ndigits - b->scale;
    int top = ta > tb ? ta : tb; /* one past the highest power */
    num_set_zero(r, scale);
    int carry = 0;
    int n = top + scale;
    if (n < 0)
        n = 0;
    ASSERT(n + 1 <= SQL_NUMERIC_BUF_DIGITS);
    for (int i = 0; i < n; i++) {
        int p = i - scale;
        int s = num_digit_at(a, p) + num_digit_at(b, p) + carry;
        carry = s >= 10;
        r->digits[i] = (uint8_t)(carry ? s - 10 : s);
    }
    r->ndigits = n;
    if (carry)
        r->digits[r->ndigits++] = 1;
    num_norm(r);
}

/* |a| - |b| into r where |a| >= |b|, scale max(a, b). */
static void num_sub_abs(const struct sql_numeric *a, const struct sql_numeric *b,
                        struct sql_numeric *r)
{
    int scale = a->scale > b->scale ? a->scale : b->scale;
    int ta = a->ndigits - a->scale;
    num_set_zero(r, scale);
    int n = ta + scale;
    if (n < 0)
        n = 0;
    ASSERT(n <= SQL_NUMERIC_BUF_DIGITS);
    int borrow = 0;
    for (int i = 0; i < n; i++) {
        int p = i - scale;
        int d = num_digit_at(a, p) - num_digit_at(b, p) - borrow;
        borrow = d < 0;
        r->digits[i] = (uint8_t)(borrow ? d + 10 : d);
    }
    ASSERT(borrow == 0);
    r->ndigits = n;
    num_norm(r);
}

/* a + (negate_b ? -b : b) for finite values. */
static int num_add_signed(const struct sql_numeric *a, const struct sql_numeric *b, bool negate_b,
                          struct sql_numeric *out)
{
    struct sql_numeric r;
    bool bneg = b->ndigits > 0 && (b->neg != negate_b);
    if (a->neg == bneg || a->ndigits == 0 || b->ndigits == 0) {
        num_add_abs(a, b, &r);
        r.neg = a->ndigits > 0 ? a->neg : bneg;
    } else if (num_cmp_abs(a, b) >= 0) {
        num_sub_abs(a, b, &r);
        r.neg = a->neg;
    } else {
        num_sub_abs(b, a, &r);
        r.neg = bneg;
    }
    num_norm(&r);
    int rc = num_check(&r);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

/* The sign of a special or finite value as -1, 0, 1 (NaN 0). */
static int num_sign(const struct sql_numeric *n)
{
    switch (n->kind) {
    case SQL_NUMERIC_PINF:
        return 1;
    case SQL_NUMERIC_NINF:
        return -1;
    case SQL_NUMERIC_NAN:
        return 0;
    default:
        return n->ndigits == 0 ? 0 : (n->neg ? -1 : 1);
    }
}

static void num_set_inf(struct sql_numeric *n, int sign)
{
    num_set_special(n, sign > 0 ? SQL_NUMERIC_PINF : SQL_NUMERIC_NINF);
}

int sql_numeric_add(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    if (a->kind != SQL_NUMERIC_FINITE || b->kind != SQL_NUMERIC_FINITE) {
        int sa = a->kind == SQL_NUMERIC_FINITE ? 0 : num_sign(a);
        int sb = b->kind == SQL_NUMERIC_FINITE ? 0 : num_sign(b);
        if (sa != 0 && sb != 0 && sa != sb)
            num_set_special(out, SQL_NUMERIC_NAN);
        else
            num_set_inf(out, sa != 0 ? sa : sb);
        return 0;
    }
    return num_add_signed(a, b, false, out);
}

int sql_numeric_sub(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    if (a->kind != SQL_NUMERIC_FINITE || b->kind != SQL_NUMERIC_FINITE) {
        int sa = a->kind == SQL_NUMERIC_FINITE ? 0 : num_sign(a);
        int sb = b->kind == SQL_NUMERIC_FINITE ? 0 : -num_sign(b);
        if (sa != 0 && sb != 0 && sa != sb)
            num_set_special(out, SQL_NUMERIC_NAN);
        else
            num_set_inf(out, sa != 0 ? sa : sb);
        return 0;
    }
    return num_add_signed(a, b, true, out);
}

/* ---- multiplication ---- */

int sql_numeric_mul(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    if (a->kind != SQL_NUMERIC_FINITE || b->kind != SQL_NUMERIC_FINITE) {
        int s = num_sign(a) * num_sign(b);
        if (s == 0)
            num_set_special(out, SQL_NUMERIC_NAN);
        else
            num_set_inf(out, s);
        return 0;
    }
    _Static_assert(2 * (SQL_NUMERIC_INT_DIGITS_MAX + SQL_NUMERIC_SCALE_MAX) + 1 <=
                       SQL_NUMERIC_BUF_DIGITS,
                   "a product of two bounded values fits the buffer");
    struct sql_numeric r;
    num_set_zero(&r, a->scale + b->scale);
    int n = a->ndigits + b->ndigits;
    if (a->ndigits > 0 && b->ndigits > 0) {
        uint32_t acc[SQL_NUMERIC_BUF_DIGITS];
        memset(acc, 0, sizeof(uint32_t) * (size_t)n);
        for (int i = 0; i < a->ndigits; i++) {
            uint32_t da = a->digits[i];
            if (da == 0)
                continue;
            /* A slot sums at most min(na, nb) products of 81: far below 2^32. */
            for (int j = 0; j < b->ndigits; j++)
                acc[i + j] += da * b->digits[j];
        }
        uint32_t carry = 0;
        for (int k = 0; k < n; k++) {
            uint32_t v = acc[k] + carry;
            r.digits[k] = (uint8_t)(v % 10);
            carry = v / 10;
        }
        ASSERT(carry == 0);
        r.ndigits = n;
        r.neg = a->neg != b->neg;
    }
    num_norm(&r);
    int rc = num_check(&r);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

/* ---- division ---- */

/* PostgreSQL's weight (in base-10000 digits) and leading base-10000 digit of a value. */
static void num_nbase_lead(const struct sql_numeric *n, int *weight, int *first)
{
    if (n->ndigits == 0) {
        *weight = 0;
        *first = 0;
        return;
    }
    int e = n->ndigits - 1 - n->scale; /* power of the leading digit */
    int w = e >= 0 ? e / NUM_DEC_DIGITS : -((-e + NUM_DEC_DIGITS - 1) / NUM_DEC_DIGITS);
    int f = 0;
    for (int p = w * NUM_DEC_DIGITS + NUM_DEC_DIGITS - 1; p >= w * NUM_DEC_DIGITS; p--)
        f = f * 10 + num_digit_at(n, p);
    *weight = w;
    *first = f;
}

int sql_numeric_div_result_scale(const struct sql_numeric *a, const struct sql_numeric *b)
{
    int w1, f1, w2, f2;
    num_nbase_lead(a, &w1, &f1);
    num_nbase_lead(b, &w2, &f2);
    /* If the leading digits are equal we cannot tell; assume a < b, as PostgreSQL does. */
    int qweight = w1 - w2;
    if (f1 <= f2)
        qweight--;
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - qweight * NUM_DEC_DIGITS;
    if (rscale < a->scale)
        rscale = a->scale;
    if (rscale < b->scale)
        rscale = b->scale;
    if (rscale < 0)
        rscale = 0;
    if (rscale > SQL_NUMERIC_SCALE_MAX)
        rscale = SQL_NUMERIC_SCALE_MAX;
    return rscale;
}

/* Integer long division of magnitudes: q = floor(num / den), num and den little-endian digit
 * strings (den nonzero, no high zeros). q has room for nn digits. */
static int num_long_div(const uint8_t *num, int nn, const uint8_t *den, int nd, uint8_t *q)
{
    /* rem is little-endian with room for nd + 1 digits */
    uint8_t rem[SQL_NUMERIC_BUF_DIGITS + 1];
    int nr = 0;
    for (int i = nn - 1; i >= 0; i--) {
        /* rem = rem * 10 + num[i] */
        if (nr > 0 || num[i] != 0) {
            memmove(rem + 1, rem, (size_t)nr);
            rem[0] = num[i];
            nr++;
        }
        int qd = 0;
        for (;;) {
            /* compare rem with den */
            int c = 0;
            if (nr != nd) {
                c = nr > nd ? 1 : -1;
            } else {
                for (int k = nr - 1; k >= 0; k--) {
                    if (rem[k] != den[k]) {
                        c = rem[k] > den[k] ? 1 : -1;
                        break;
                    }
                }
            }
            if (c < 0)
                break;
            int borrow = 0;
            for (int k = 0; k < nr; k++) {
                int d = rem[k] - (k < nd ? den[k] : 0) - borrow;
                borrow = d < 0;
                rem[k] = (uint8_t)(borrow ? d + 10 : d);
            }
            while (nr > 0 && rem[nr - 1] == 0)
                nr--;
            qd++;
        }
        ASSERT(qd < 10);
        q[i] = (uint8_t)qd;
    }
    int nq = nn;
    while (nq > 0 && q[nq - 1] == 0)
        nq--;
    return nq;
}

/* The finite quotient a / b to exactly `scale` fractional digits. */
static int num_div_finite(const struct sql_numeric *a, const struct sql_numeric *b, int scale,
                          bool round, struct sql_numeric *out)
{
    ASSERT(b->ndigits > 0);
    /* q × 10^-(scale+1) ≈ (A × 10^-sa) / (B × 10^-sb), so q = A × 10^(sb + scale + 1 - sa) / B */
    int guard = round ? 1 : 0;
    int k = b->scale + scale + guard - a->scale;
    uint8_t numer[SQL_NUMERIC_BUF_DIGITS], denom[SQL_NUMERIC_BUF_DIGITS];
    int nn = a->ndigits, nd = b->ndigits;
    if (k >= 0) {
        if (nn + k > SQL_NUMERIC_BUF_DIGITS)
            return ERR_RANGE;
        memset(numer, 0, (size_t)k);
        memcpy(numer + k, a->digits, (size_t)nn);
        if (nn > 0)
            nn += k;
        memcpy(denom, b->digits, (size_t)nd);
    } else {
        if (nd - k > SQL_NUMERIC_BUF_DIGITS)
            return ERR_RANGE;
        memcpy(numer, a->digits, (size_t)nn);
        memset(denom, 0, (size_t)-k);
        memcpy(denom - k, b->digits, (size_t)nd);
        nd -= k;
    }
    struct sql_numeric r;
    num_set_zero(&r, scale + guard);
    r.ndigits = nn > 0 ? num_long_div(numer, nn, denom, nd, r.digits) : 0;
    r.neg = a->neg != b->neg;
    num_norm(&r);
    if (round)
        num_drop_digits(&r, 1, true);
    int rc = num_check(&r);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

/* The special cases of division; returns 1 if out is set, 0 to go on, or an error. */
static int num_div_special(const struct sql_numeric *a, const struct sql_numeric *b,
                           struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 1;
    }
    if (a->kind != SQL_NUMERIC_FINITE) {
        if (b->kind != SQL_NUMERIC_FINITE) {
            num_set_special(out, SQL_NUMERIC_NAN);
            return 1;
        }
        if (b->ndigits == 0)
            return ERR_INVAL;
        num_set_inf(out, num_sign(a) * num_sign(b));
        return 1;
    }
    if (b->kind != SQL_NUMERIC_FINITE) {
        num_set_zero(out, 0);
        return 1;
    }
    if (b->ndigits == 0)
        return ERR_INVAL;
    return 0;
}

int sql_numeric_div_scale(const struct sql_numeric *a, const struct sql_numeric *b, int scale,
                          bool round, struct sql_numeric *out)
{
    int rc = num_div_special(a, b, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return num_div_finite(a, b, scale, round, out);
}

int sql_numeric_div(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out)
{
    int rc = num_div_special(a, b, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return num_div_finite(a, b, sql_numeric_div_result_scale(a, b), true, out);
}

int sql_numeric_div_trunc(const struct sql_numeric *a, const struct sql_numeric *b,
                          struct sql_numeric *out)
{
    int rc = num_div_special(a, b, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return num_div_finite(a, b, 0, false, out);
}

int sql_numeric_mod(const struct sql_numeric *a, const struct sql_numeric *b,
                    struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    if (b->kind == SQL_NUMERIC_FINITE && b->ndigits == 0)
        return ERR_INVAL;
    if (a->kind != SQL_NUMERIC_FINITE) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    if (b->kind != SQL_NUMERIC_FINITE) {
        num_copy(out, a);
        return 0;
    }
    /* a - b × trunc(a / b), as PostgreSQL's mod_var */
    struct sql_numeric q;
    int rc = num_div_finite(a, b, 0, false, &q);
    if (rc != 0)
        return rc;
    rc = sql_numeric_mul(b, &q, &q);
    if (rc != 0)
        return rc;
    return sql_numeric_sub(a, &q, out);
}

void sql_numeric_neg(struct sql_numeric *n)
{
    switch (n->kind) {
    case SQL_NUMERIC_PINF:
        n->kind = SQL_NUMERIC_NINF;
        break;
    case SQL_NUMERIC_NINF:
        n->kind = SQL_NUMERIC_PINF;
        break;
    case SQL_NUMERIC_FINITE:
        if (n->ndigits > 0)
            n->neg = !n->neg;
        break;
    default:
        break;
    }
}

void sql_numeric_abs(struct sql_numeric *n)
{
    if (n->kind == SQL_NUMERIC_NINF)
        n->kind = SQL_NUMERIC_PINF;
    n->neg = false;
}

/* ---- rounding ---- */

static int num_clamp_scale(int scale)
{
    if (scale > SQL_NUMERIC_SCALE_MAX)
        return SQL_NUMERIC_SCALE_MAX;
    if (scale < -SQL_NUMERIC_INT_DIGITS_MAX - 1)
        return -SQL_NUMERIC_INT_DIGITS_MAX - 1;
    return scale;
}

/* Rounds or truncates at power 10^-scale; the display scale becomes max(scale, 0). */
static int num_round_at(struct sql_numeric *n, int scale, bool round)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return 0;
    scale = num_clamp_scale(scale);
    if (scale >= n->scale) {
        num_raise_scale(n, scale - n->scale);
        return 0;
    }
    num_drop_digits(n, n->scale - scale, round);
    if (scale < 0) {
        /* Back to units: the dropped places become zeros. */
        if (n->ndigits > 0)
            num_raise_scale(n, -scale);
        n->scale = 0;
    }
    return num_check(n);
}

int sql_numeric_round(struct sql_numeric *n, int scale)
{
    return num_round_at(n, scale, true);
}

void sql_numeric_trunc(struct sql_numeric *n, int scale)
{
    int rc = num_round_at(n, scale, false);
    ASSERT(rc == 0);
}

/* Whether any fractional digit is nonzero. */
static bool num_has_fraction(const struct sql_numeric *n)
{
    for (int i = 0; i < n->scale && i < n->ndigits; i++) {
        if (n->digits[i] != 0)
            return true;
    }
    return false;
}

static int num_ceil_floor(struct sql_numeric *n, bool ceil)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return 0;
    bool frac = num_has_fraction(n);
    bool neg = n->neg;
    num_drop_digits(n, n->scale, false);
    n->neg = neg && n->ndigits > 0;
    if (frac && (ceil ? !neg : neg)) {
        num_increment(n);
        n->neg = neg;
    }
    return num_check(n);
}

int sql_numeric_ceil(struct sql_numeric *n)
{
    return num_ceil_floor(n, true);
}

int sql_numeric_floor(struct sql_numeric *n)
{
    return num_ceil_floor(n, false);
}

int sql_numeric_apply_typmod(struct sql_numeric *n, int precision, int scale)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return n->kind == SQL_NUMERIC_NAN ? 0 : ERR_RANGE;
    int rc = sql_numeric_round(n, scale);
    if (rc != 0)
        return rc;
    /* The value must be below 10^(precision - scale). */
    int top = n->ndigits - n->scale; /* one past the highest power with a digit */
    if (n->ndigits > 0 && top > precision - scale)
        return ERR_RANGE;
    return 0;
}

void sql_numeric_trim_scale(struct sql_numeric *n)
{
    if (n->kind != SQL_NUMERIC_FINITE)
        return;
    int k = 0;
    while (k < n->scale && (k >= n->ndigits || n->digits[k] == 0))
        k++;
    if (k >= n->ndigits) {
        num_set_zero(n, 0);
        return;
    }
    num_drop_digits(n, k, false);
}

/* ---- square root ---- */

int sql_numeric_sqrt_scale(const struct sql_numeric *a, int rscale, struct sql_numeric *out)
{
    ASSERT(a->kind == SQL_NUMERIC_FINITE && !a->neg);
    if (rscale < 0)
        rscale = 0;
    if (rscale > SQL_NUMERIC_SCALE_MAX)
        rscale = SQL_NUMERIC_SCALE_MAX;
    if (a->ndigits == 0) {
        num_set_zero(out, rscale);
        return 0;
    }
    /* r = isqrt(A × 10^k) with k = 2(rscale+1) - sa carries rscale + 1 fractional digits
     * (k + sa is even, and k > 0 whenever rscale >= sa / 2). */
    int k = 2 * (rscale + 1) - a->scale;
    struct sql_numeric big, r, t, sum, two;
    num_copy(&big, a);
    if (k < 0) {
        /* more input digits than the result needs: drop them (truncation keeps the floor) */
        int drop = -k + ((-k) & 1);
        num_drop_digits(&big, drop, false);
        k += drop;
    }
    if (big.ndigits + k > SQL_NUMERIC_BUF_DIGITS)
        return ERR_RANGE;
    num_raise_scale(&big, k);
    big.scale = 0;
    /* Newton's iteration on integers from an overestimate, x' = (x + N/x) / 2, until it stops
     * decreasing; 10^ceil(digits/2) >= sqrt(N) starts it. */
    num_set_zero(&r, 0);
    int half = (big.ndigits + 1) / 2;
    r.ndigits = half + 1;
    memset(r.digits, 0, (size_t)r.ndigits);
    r.digits[half] = 1;
    sql_numeric_from_i64(2, &two);
    for (int iter = 0; iter < 10000; iter++) {
        int rc = num_div_finite(&big, &r, 0, false, &t);
        if (rc == 0)
            rc = sql_numeric_add(&r, &t, &sum);
        if (rc == 0)
            rc = num_div_finite(&sum, &two, 0, false, &t);
        if (rc != 0)
            return rc;
        if (num_cmp_abs(&t, &r) >= 0)
            break;
        num_copy(&r, &t);
    }
    r.scale = rscale + 1;
    num_drop_digits(&r, 1, true);
    int rc = num_check(&r);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

int sql_numeric_sqrt(const struct sql_numeric *a, struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NAN || a->kind == SQL_NUMERIC_PINF) {
        num_set_special(out, (enum sql_numeric_kind)a->kind);
        return 0;
    }
    if (a->kind == SQL_NUMERIC_NINF || a->neg)
        return ERR_INVAL;
    /* PostgreSQL: at least NUMERIC_MIN_SIG_DIGITS significant digits, from the base-10000
     * weight of the argument, and never fewer than the argument's scale. */
    int weight, first;
    num_nbase_lead(a, &weight, &first);
    int sweight = (weight + 1) * NUM_DEC_DIGITS / 2 - 1;
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - sweight;
    if (rscale < a->scale)
        rscale = a->scale;
    return sql_numeric_sqrt_scale(a, rscale, out);
}

/* ---- exp, ln, log, power ---- */

/* PostgreSQL's NUMERIC_MAX_RESULT_SCALE, which bounds its weight estimates. */
#define NUM_MAX_RESULT_SCALE 2000

static int num_clamp_rscale(int rscale)
{
    if (rscale < 0)
        return 0;
    return rscale > SQL_NUMERIC_SCALE_MAX ? SQL_NUMERIC_SCALE_MAX : rscale;
}

/* Power of ten of the leading digit (|n| ~ d × 10^e); n nonzero. */
static int num_lead_exp(const struct sql_numeric *n)
{
    return n->ndigits - 1 - n->scale;
}

static void num_const(struct sql_numeric *n, const char *text)
{
    int rc = sql_numeric_parse(text, strlen(text), n);
    ASSERT(rc == 0);
}

/* Rounds n to scale w when it carries more (keeps intermediate results bounded). */
static void num_limit(struct sql_numeric *n, int w)
{
    if (n->scale > w) {
        int rc = sql_numeric_round(n, w);
        ASSERT(rc == 0);
    }
}

/* PostgreSQL's estimate_ln_dweight: the decimal weight of ln(x), from a couple of base-10000
 * digits, or from x - 1 near 1. */
static int num_estimate_ln_dweight(const struct sql_numeric *x)
{
    if (x->kind != SQL_NUMERIC_FINITE || x->neg || x->ndigits == 0)
        return 0;
    struct sql_numeric lo, hi, d;
    num_const(&lo, "0.9");
    num_const(&hi, "1.1");
    if (sql_numeric_cmp(x, &lo) >= 0 && sql_numeric_cmp(x, &hi) <= 0) {
        struct sql_numeric one;
        sql_numeric_from_i64(1, &one);
        int rc = sql_numeric_sub(x, &one, &d);
        ASSERT(rc == 0);
        return d.ndigits > 0 ? num_lead_exp(&d) : 0;
    }
    int w, first;
    num_nbase_lead(x, &w, &first);
    double digits = first;
    int dweight = w * NUM_DEC_DIGITS;
    /* is there a nonzero base-10000 digit after the first? */
    int low = 0;
    while (low < x->ndigits && x->digits[low] == 0)
        low++;
    if (low - x->scale < w * NUM_DEC_DIGITS) {
        int second = 0;
        for (int p = w * NUM_DEC_DIGITS - 1; p >= (w - 1) * NUM_DEC_DIGITS; p--)
            second = second * 10 + num_digit_at(x, p);
        digits = digits * 10000 + second;
        dweight -= NUM_DEC_DIGITS;
    }
    double ln_var = log(digits) + dweight * 2.302585092994046;
    return (int)log10(fabs(ln_var));
}

/* ln(x) for x > 0 to about w fractional digits: square roots bring x into (0.9, 1.1), then
 * ln x = 2^(k+1) × atanh-series((x-1)/(x+1)). */
static int num_ln_work(const struct sql_numeric *x, int w, struct sql_numeric *out)
{
    struct sql_numeric t, z, z2, term, sum, lo, hi, one, k2;
    num_const(&lo, "0.9");
    num_const(&hi, "1.1");
    sql_numeric_from_i64(1, &one);
    num_copy(&t, x);
    int64_t factor = 2;
    int rc = 0;
    /* every square root halves the logarithm: keep w digits plus what the doubling costs */
    int ws = w + 10;
    for (int i = 0; i < 64 && (sql_numeric_cmp(&t, &lo) <= 0 || sql_numeric_cmp(&t, &hi) >= 0);
         i++) {
        int sw = ws + (num_lead_exp(&t) < 0 ? -num_lead_exp(&t) : 0);
        rc = sql_numeric_sqrt_scale(&t, num_clamp_rscale(sw), &t);
        if (rc != 0)
            return rc;
        factor *= 2;
    }
    ws += 20; /* 2^64 at most multiplies the error */
    if (ws > SQL_NUMERIC_SCALE_MAX)
        ws = SQL_NUMERIC_SCALE_MAX;
    rc = sql_numeric_sub(&t, &one, &z);
    if (rc == 0)
        rc = sql_numeric_add(&t, &one, &term);
    if (rc == 0)
        rc = sql_numeric_div_scale(&z, &term, ws, true, &z);
    if (rc == 0)
        rc = sql_numeric_mul(&z, &z, &z2);
    if (rc != 0)
        return rc;
    num_limit(&z2, ws);
    num_copy(&sum, &z);
    num_copy(&term, &z);
    for (int64_t n = 3; n < 100000; n += 2) {
        rc = sql_numeric_mul(&term, &z2, &term);
        if (rc != 0)
            return rc;
        num_limit(&term, ws);
        if (term.ndigits == 0)
            break;
        struct sql_numeric nn, q;
        sql_numeric_from_i64(n, &nn);
        rc = sql_numeric_div_scale(&term, &nn, ws, true, &q);
        if (rc == 0)
            rc = sql_numeric_add(&sum, &q, &sum);
        if (rc != 0)
            return rc;
        if (q.ndigits == 0)
            break;
    }
    sql_numeric_from_i64(factor, &k2);
    rc = sql_numeric_mul(&sum, &k2, out);
    if (rc == 0)
        num_limit(out, ws);
    return rc;
}

/* exp(x) to about w significant... fractional digits: x / 2^n small, Taylor series, n
 * squarings. The caller bounds x (|x| < 2400). */
static int num_exp_work(const struct sql_numeric *x, int w, struct sql_numeric *out)
{
    double val = fabs(sql_numeric_to_double(x));
    int ndiv2 = 0;
    while (val > 0.01 && ndiv2 < 40) {
        val /= 2;
        ndiv2++;
    }
    /* the squarings multiply the relative error by 2^ndiv2; the result may have up to
     * 1000 integer digits, all of which must be right */
    double est = sql_numeric_to_double(x) * 0.434294481903252;
    int lead = est > 0 ? (int)est + 1 : 0;
    int ws = w + lead + (int)(ndiv2 * 0.302) + 12;
    if (ws > SQL_NUMERIC_SCALE_MAX)
        ws = SQL_NUMERIC_SCALE_MAX;
    struct sql_numeric y, term, sum, nn;
    num_copy(&y, x);
    int rc = 0;
    if (ndiv2 > 0) {
        struct sql_numeric p2;
        sql_numeric_from_i64((int64_t)1 << ndiv2, &p2);
        rc = sql_numeric_div_scale(&y, &p2, ws, true, &y);
        if (rc != 0)
            return rc;
    }
    sql_numeric_from_i64(1, &sum);
    sql_numeric_from_i64(1, &term);
    for (int64_t n = 1; n < 100000; n++) {
        rc = sql_numeric_mul(&term, &y, &term);
        if (rc != 0)
            return rc;
        sql_numeric_from_i64(n, &nn);
        rc = sql_numeric_div_scale(&term, &nn, ws, true, &term);
        if (rc != 0)
            return rc;
        if (term.ndigits == 0)
            break;
        rc = sql_numeric_add(&sum, &term, &sum);
        if (rc != 0)
            return rc;
    }
    for (int i = 0; i < ndiv2; i++) {
        rc = sql_numeric_mul(&sum, &sum, &sum);
        if (rc != 0)
            return rc;
        num_limit(&sum, ws);
    }
    num_copy(out, &sum);
    return 0;
}

int sql_numeric_exp(const struct sql_numeric *a, struct sql_numeric *out)
{
    if (a->kind == SQL_NUMERIC_NINF) {
        num_set_zero(out, 0);
        return 0;
    }
    if (a->kind != SQL_NUMERIC_FINITE) {
        num_copy(out, a);
        return 0;
    }
    double val = sql_numeric_to_double(a) * 0.434294481903252;
    if (val > NUM_MAX_RESULT_SCALE)
        val = NUM_MAX_RESULT_SCALE;
    if (val < -NUM_MAX_RESULT_SCALE)
        val = -NUM_MAX_RESULT_SCALE;
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - (int)val;
    if (rscale < a->scale)
        rscale = a->scale;
    rscale = num_clamp_rscale(rscale);
    if (val > SQL_NUMERIC_INT_DIGITS_MAX)
        return ERR_RANGE;
    if (val < -(SQL_NUMERIC_SCALE_MAX + 2)) {
        num_set_zero(out, rscale);
        return 0;
    }
    struct sql_numeric r;
    int rc = num_exp_work(a, rscale, &r);
    if (rc == 0)
        rc = sql_numeric_round(&r, rscale);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

static int num_ln_checked(const struct sql_numeric *a)
{
    if (a->kind == SQL_NUMERIC_NINF || (a->kind == SQL_NUMERIC_FINITE && a->neg))
        return ERR_UNSUPPORTED;
    if (a->kind == SQL_NUMERIC_FINITE && a->ndigits == 0)
        return ERR_INVAL;
    return 0;
}

int sql_numeric_ln(const struct sql_numeric *a, struct sql_numeric *out)
{
    int rc = num_ln_checked(a);
    if (rc != 0)
        return rc;
    if (a->kind != SQL_NUMERIC_FINITE) {
        num_copy(out, a);
        return 0;
    }
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - num_estimate_ln_dweight(a);
    if (rscale < a->scale)
        rscale = a->scale;
    rscale = num_clamp_rscale(rscale);
    struct sql_numeric r;
    rc = num_ln_work(a, rscale + 8, &r);
    if (rc == 0)
        rc = sql_numeric_round(&r, rscale);
    if (rc == 0)
        num_copy(out, &r);
    return rc;
}

int sql_numeric_log(const struct sql_numeric *base, const struct sql_numeric *x,
                    struct sql_numeric *out)
{
    if (base->kind == SQL_NUMERIC_NAN || x->kind == SQL_NUMERIC_NAN) {
        num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    int rc = num_ln_checked(base);
    if (rc == 0)
        rc = num_ln_checked(x);
    if (rc != 0)
        return rc;
    if (base->kind == SQL_NUMERIC_PINF) {
        if (x->kind == SQL_NUMERIC_PINF)
            num_set_special(out, SQL_NUMERIC_NAN);
        else
            num_set_zero(out, 0);
        return 0;
    }
    if (x->kind == SQL_NUMERIC_PINF) {
        num_set_special(out, SQL_NUMERIC_PINF);
        return 0;
    }
    int ln_base_dweight = num_estimate_ln_dweight(base);
    int ln_num_dweight = num_estimate_ln_dweight(x);
    int result_dweight = ln_num_dweight - ln_base_dweight;
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - result_dweight;
    if (rscale < base->scale)
        rscale = base->scale;
    if (rscale < x->scale)
        rscale = x->scale;
    rscale = num_clamp_rscale(rscale);
    struct sql_numeric lb, lx;
    int wb = rscale + result_dweight - ln_base_dweight + 12;
    int wx = rscale + result_dweight - ln_num_dweight + 12;
    rc = num_ln_work(base, num_clamp_rscale(wb < 12 ? 12 : wb), &lb);
    if (rc == 0)
        rc = num_ln_work(x, num_clamp_rscale(wx < 12 ? 12 : wx), &lx);
    if (rc != 0)
        return rc;
    if (lb.ndigits == 0)
        return ERR_CONDITION; /* log base 1: PostgreSQL divides by zero */
    return sql_numeric_div_scale(&lx, &lb, rscale, true, out);
}

/* Whether a finite value is an integer. */
static bool num_is_integral(const struct sql_numeric *n)
{
    return !num_has_fraction(n);
}

int sql_numeric_power(const struct sql_numeric *a, const struct sql_numeric *b,
                      struct sql_numeric *out)
{
    struct sql_numeric one;
    sql_numeric_from_i64(1, &one);
    if (a->kind == SQL_NUMERIC_NAN || b->kind == SQL_NUMERIC_NAN) {
        /* POSIX: NaN ^ 0 = 1 and 1 ^ NaN = 1 */
        if ((a->kind == SQL_NUMERIC_NAN && sql_numeric_is_zero(b)) ||
            (b->kind == SQL_NUMERIC_NAN && a->kind == SQL_NUMERIC_FINITE &&
             sql_numeric_cmp(a, &one) == 0))
            num_copy(out, &one);
        else
            num_set_special(out, SQL_NUMERIC_NAN);
        return 0;
    }
    int sa = num_sign(a), sb = num_sign(b);
    if (sa == 0 && sb < 0)
        return ERR_INVAL;
    bool b_integral = b->kind == SQL_NUMERIC_FINITE && num_is_integral(b);
    if (sa < 0 && !b_integral && b->kind == SQL_NUMERIC_FINITE)
        return ERR_UNSUPPORTED;
    if (a->kind != SQL_NUMERIC_FINITE || b->kind != SQL_NUMERIC_FINITE) {
        /* POSIX pow() with infinities, as PostgreSQL's numeric_power */
        if (a->kind == SQL_NUMERIC_FINITE && sql_numeric_cmp(a, &one) == 0) {
            num_copy(out, &one);
            return 0;
        }
        if (sb == 0) {
            num_copy(out, &one);
            return 0;
        }
        if (sa == 0 && sb > 0) {
            num_set_zero(out, 0);
            return 0;
        }
        if (b->kind != SQL_NUMERIC_FINITE) {
            bool gt_one = true;
            if (a->kind == SQL_NUMERIC_FINITE) {
                struct sql_numeric m;
                num_copy(&m, a);
                m.neg = false;
                if (a->neg && sql_numeric_cmp(&m, &one) == 0) {
                    num_copy(out, &one);
                    return 0;
                }
                gt_one = sql_numeric_cmp(&m, &one) > 0;
            }
            if (gt_one == (sb > 0))
                num_set_special(out, SQL_NUMERIC_PINF);
            else
                num_set_zero(out, 0);
            return 0;
        }
        if (a->kind == SQL_NUMERIC_PINF) {
            if (sb > 0)
                num_set_special(out, SQL_NUMERIC_PINF);
            else
                num_set_zero(out, 0);
            return 0;
        }
        /* -Infinity */
        if (sb < 0) {
            num_set_zero(out, 0);
            return 0;
        }
        bool odd = b_integral && b->ndigits > 0 && (num_digit_at(b, 0) & 1);
        num_set_special(out, odd ? SQL_NUMERIC_NINF : SQL_NUMERIC_PINF);
        return 0;
    }
    int64_t e;
    if (b_integral && sql_numeric_to_i64(b, &e) == 0 && e >= INT32_MIN && e <= INT32_MAX) {
        /* PostgreSQL's power_var_int: the scale is max(16, the base's scale) */
        int rscale = num_clamp_rscale(
            a->scale > SQL_NUMERIC_MIN_SIG_DIGITS ? a->scale : SQL_NUMERIC_MIN_SIG_DIGITS);
        if (e == 0) {
            num_copy(out, &one);
            num_raise_scale(out, rscale);
            return 0;
        }
        if (sa == 0) {
            num_set_zero(out, rscale);
            return 0;
        }
        uint64_t m = e < 0 ? (uint64_t)(-(int64_t)e) : (uint64_t)e;
        /* exactly, by squaring, when the digits stay within bounds */
        double digits_est = (double)a->ndigits * (double)m;
        double mag = fabs((double)num_lead_exp(a) + 1) * (double)m;
        if (digits_est <= 2 * (SQL_NUMERIC_INT_DIGITS_MAX + SQL_NUMERIC_SCALE_MAX) - 10 &&
            mag <= SQL_NUMERIC_INT_DIGITS_MAX + 2) {
            struct sql_numeric base, acc;
            num_copy(&base, a);
            num_copy(&acc, &one);
            int rc = 0;
            for (uint64_t bit = m; bit > 0 && rc == 0; bit >>= 1) {
                if (bit & 1)
                    rc = sql_numeric_mul(&acc, &base, &acc);
                if (rc == 0 && bit > 1)
                    rc = sql_numeric_mul(&base, &base, &base);
            }
            if (rc != 0)
                return rc;
            if (e < 0) {
                /* num_check rounded nothing away: the scale stayed within bounds */
                return sql_numeric_div_scale(&one, &acc, rscale, true, out);
            }
            rc = sql_numeric_round(&acc, rscale);
            if (rc == 0)
                num_copy(out, &acc);
            return rc;
        }
        /* too many digits for an exact power: fall through to exp(b ln a) */
    }
    if (sa == 0) {
        num_set_zero(out, SQL_NUMERIC_MIN_SIG_DIGITS);
        return 0;
    }
    struct sql_numeric absa;
    num_copy(&absa, a);
    bool negate = false;
    if (a->neg) {
        absa.neg = false;
        negate = b->ndigits > 0 && (num_digit_at(b, 0) & 1);
    }
    /* the result's decimal weight from a low-precision b × ln|a| */
    int ln_dweight = num_estimate_ln_dweight(&absa);
    struct sql_numeric lna, prod;
    int rc = num_ln_work(&absa, num_clamp_rscale(8 - ln_dweight), &lna);
    if (rc == 0)
        rc = sql_numeric_mul(&lna, b, &prod);
    if (rc != 0)
        return rc;
    double val = sql_numeric_to_double(&prod);
    if (fabs(val) > NUM_MAX_RESULT_SCALE * 3.01) {
        if (val > 0)
            return ERR_RANGE;
        num_set_zero(out, SQL_NUMERIC_SCALE_MAX);
        return 0;
    }
    val *= 0.434294481903252;
    int rscale = SQL_NUMERIC_MIN_SIG_DIGITS - (int)val;
    if (rscale < a->scale)
        rscale = a->scale;
    if (rscale < b->scale)
        rscale = b->scale;
    rscale = num_clamp_rscale(rscale);
    if (val > SQL_NUMERIC_INT_DIGITS_MAX)
        return ERR_RANGE;
    if (val < -(SQL_NUMERIC_SCALE_MAX + 2)) {
        num_set_zero(out, rscale);
        return 0;
    }
    /* ln|a| precise enough that b × ln|a| keeps rscale + weight digits */
    int bdig = num_lead_exp(b) > 0 ? num_lead_exp(b) + 1 : 0;
    int wl = rscale + (val > 0 ? (int)val : 0) + bdig + 12;
    rc = num_ln_work(&absa, num_clamp_rscale(wl), &lna);
    if (rc == 0)
        rc = sql_numeric_mul(&lna, b, &prod);
    if (rc != 0)
        return rc;
    num_limit(&prod, num_clamp_rscale(wl));
    struct sql_numeric r;
    rc = num_exp_work(&prod, rscale + 4, &r);
    if (rc == 0)
        rc = sql_numeric_round(&r, rscale);
    if (rc != 0)
        return rc;
    if (negate)
        sql_numeric_neg(&r);
    num_copy(out, &r);
    return 0;
}
