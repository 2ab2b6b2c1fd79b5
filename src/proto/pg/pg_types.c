/* Text <-> binary conversions of PostgreSQL values for the types Cairn stores, so the backend
 * works in text only and clients that ask for binary (JDBC, asyncpg, libpq with
 * resultFormat 1) still get it. Binary layouts are the send and recv functions of PostgreSQL:
 * big-endian integers, IEEE floats, dates as days and timestamps as microseconds since
 * 2000-01-01, numeric as base-10000 digit groups. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "proto/pg/pg_wire.h"

/* Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for dates and timestamps. */
#define PG_EPOCH_DAYS_FROM_UNIX 10957
#define USECS_PER_DAY           86400000000LL
#define USECS_PER_SEC           1000000LL
/* Timestamps stay within PostgreSQL's range (4713 BC .. 294276 AD) without int64 overflow. */
#define TS_DAYS_ABS_MAX 100000000LL
/* A float's text form longer than this is not something a float prints. */
#define FLOAT_TEXT_BYTES_MAX 512
/* Numeric: PostgreSQL's NUMERIC_DSCALE_MAX and the digit groups a weight can address. */
#define NUMERIC_DSCALE_MAX     0x3fff
#define NUMERIC_POS            0x0000
#define NUMERIC_NEG            0x4000
#define NUMERIC_NAN            0xc000
#define NUMERIC_PINF           0xd000
#define NUMERIC_NINF           0xf000
#define NUMERIC_TEXT_BYTES_MAX (1u << 20)

int pg_type_size(uint32_t oid)
{
    switch (oid) {
    case PG_OID_BOOL:
    case PG_OID_CHAR:
        return 1;
    case PG_OID_INT2:
        return 2;
    case PG_OID_INT4:
    case PG_OID_OID:
    case PG_OID_FLOAT4:
    case PG_OID_DATE:
        return 4;
    case PG_OID_INT8:
    case PG_OID_FLOAT8:
    case PG_OID_TIME:
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ:
        return 8;
    case PG_OID_INTERVAL:
    case PG_OID_UUID:
        return 16;
    case PG_OID_NAME:
        return 64;
    case PG_OID_UNKNOWN:
        return -2;
    }
    return -1;
}

int pg_type_has_binary(uint32_t oid)
{
    switch (oid) {
    case PG_OID_BOOL:
    case PG_OID_BYTEA:
    case PG_OID_CHAR:
    case PG_OID_NAME:
    case PG_OID_INT8:
    case PG_OID_INT2:
    case PG_OID_INT4:
    case PG_OID_TEXT:
    case PG_OID_OID:
    case PG_OID_JSON:
    case PG_OID_FLOAT4:
    case PG_OID_FLOAT8:
    case PG_OID_UNKNOWN:
    case PG_OID_BPCHAR:
    case PG_OID_VARCHAR:
    case PG_OID_DATE:
    case PG_OID_TIME:
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ:
    case PG_OID_NUMERIC:
    case PG_OID_UUID:
    case PG_OID_JSONB:
        return 1;
    }
    return 0;
}

/* ---- Small helpers ---- */

static int app_be(struct buf *out, uint64_t v, size_t n)
{
    uint8_t t[8];
    for (size_t i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return buf_append(out, t, n);
}

static uint64_t get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Trims ASCII whitespace at both ends, as PostgreSQL's input functions allow. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int bad_text(struct errbuf *eb, uint32_t oid, const char *s, size_t n)
{
    return err_set(eb, ERR_INVAL, "invalid input for type %u: \"%.*s\"", oid,
                   (int)(n > 64 ? 64 : n), s);
}

/* A signed decimal in [lo, hi]. */
static int parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return ERR_INVAL;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return ERR_RANGE;
        v = v * 10 + d;
    }
    int64_t r = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    if (r < lo || r > hi)
        return ERR_RANGE;
    *out = r;
    return 0;
}

/* n decimal digits at s[*i]; fails unless exactly n (or, with n_max > n, up to n_max). */
static int parse_digits(const char *s, size_t len, size_t *i, size_t n_min, size_t n_max,
                        int64_t *out)
{
    int64_t v = 0;
    size_t k = 0;
    while (*i < len && k < n_max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < n_min)
        return ERR_INVAL;
    *out = v;
    return 0;
}

/* ---- Dates and times (proleptic Gregorian, as PostgreSQL) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* "YYYY-MM-DD" at s[*i] → days since 2000-01-01 (BC applied by the caller). */
static int parse_date_part(const char *s, size_t n, size_t *i, int64_t *year, unsigned *mon,
                           unsigned *day)
{
    int64_t y, m, d;
    if (parse_digits(s, n, i, 1, 9, &y) != 0 || *i >= n || s[(*i)++] != '-' ||
        parse_digits(s, n, i, 2, 2, &m) != 0 || *i >= n || s[(*i)++] != '-' ||
        parse_digits(s, n, i, 2, 2, &d) != 0)
        return ERR_INVAL;
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return ERR_INVAL;
    *year = y;
    *mon = (unsigned)m;
    *day = (unsigned)d;
    return 0;
}

/* " BC" at s[*i] (consumed if present). */
static int take_bc(const char *s, size_t n, size_t *i)
{
    if (n - *i >= 3 && s[*i] == ' ' && strncasecmp(s + *i + 1, "BC", 2) == 0) {
        *i += 3;
        return 1;
    }
    return 0;
}

static int finish_days(int64_t y, unsigned m, unsigned d, int bc, int64_t *days)
{
    if (bc)
        y = 1 - y; /* 1 BC is astronomical year 0 */
    if (d > days_in_month(y, m))
        return ERR_INVAL;
    *days = days_from_civil(y, m, d) - PG_EPOCH_DAYS_FROM_UNIX;
    return 0;
}

/* "HH:MM:SS[.ffffff]" at s[*i] → microseconds since midnight (24:00:00 allowed). Fractions
 * beyond microseconds are rounded, as PostgreSQL does. */
static int parse_time_part(const char *s, size_t n, size_t *i, int64_t *us)
{
    int64_t h, m, sec = 0, frac = 0;
    if (parse_digits(s, n, i, 1, 2, &h) != 0 || *i >= n || s[(*i)++] != ':' ||
        parse_digits(s, n, i, 2, 2, &m) != 0)
        return ERR_INVAL;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (parse_digits(s, n, i, 2, 2, &sec) != 0)
            return ERR_INVAL;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            size_t k = 0;
            int round = 0;
            while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
                if (k < 6)
                    frac = frac * 10 + (s[*i] - '0');
                else if (k == 6)
                    round = s[*i] >= '5';
                k++;
                (*i)++;
            }
            if (k == 0)
                return ERR_INVAL;
            for (size_t j = k; j < 6; j++)
                frac *= 10;
            frac += round;
        }
    }
    if (m > 59 || sec > 59 || h > 24)
        return ERR_INVAL;
    int64_t v = ((h * 60 + m) * 60 + sec) * USECS_PER_SEC + frac;
    if (v > USECS_PER_DAY)
        return ERR_INVAL;
    *us = v;
    return 0;
}

/* "+HH[:MM[:SS]]" / "-..." / "Z" at s[*i] → seconds east of UTC. */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *secs)
{
    if (*i < n && (s[*i] == 'Z' || s[*i] == 'z')) {
        (*i)++;
        *secs = 0;
        return 0;
    }
    if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
        return ERR_INVAL;
    int neg = s[(*i)++] == '-';
    int64_t h, m = 0, sec = 0;
    if (parse_digits(s, n, i, 1, 2, &h) != 0)
        return ERR_INVAL;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (parse_digits(s, n, i, 2, 2, &m) != 0)
            return ERR_INVAL;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (parse_digits(s, n, i, 2, 2, &sec) != 0)
                return ERR_INVAL;
        }
    }
    if (h > 15 || m > 59 || sec > 59)
        return ERR_INVAL;
    *secs = (neg ? -1 : 1) * (h * 3600 + m * 60 + sec);
    return 0;
}

static int parse_date(const char *s, size_t n, int32_t *out)
{
    trim(&s, &n);
    if (n == 8 && strncasecmp(s, "infinity", 8) == 0) {
        *out = INT32_MAX;
        return 0;
    }
    if (n == 9 && strncasecmp(s, "-infinity", 9) == 0) {
        *out = INT32_MIN;
        return 0;
    }
    size_t i = 0;
    int64_t y, days;
    unsigned m, d;
    if (parse_date_part(s, n, &i, &y, &m, &d) != 0)
        return ERR_INVAL;
    int bc = take_bc(s, n, &i);
    if (i != n || finish_days(y, m, d, bc, &days) != 0)
        return ERR_INVAL;
    if (days <= INT32_MIN || days >= INT32_MAX)
        return ERR_RANGE;
    *out = (int32_t)days;
    return 0;
}

static int parse_timestamp(const char *s, size_t n, int with_zone, int64_t *out)
{
    trim(&s, &n);
    if (n == 8 && strncasecmp(s, "infinity", 8) == 0) {
        *out = INT64_MAX;
        return 0;
    }
    if (n == 9 && strncasecmp(s, "-infinity", 9) == 0) {
        *out = INT64_MIN;
        return 0;
    }
    size_t i = 0;
    int64_t y, days, us = 0, zone = 0;
    unsigned m, d;
    if (parse_date_part(s, n, &i, &y, &m, &d) != 0)
        return ERR_INVAL;
    if (i < n && (s[i] == ' ' || s[i] == 'T') && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
        i++;
        if (parse_time_part(s, n, &i, &us) != 0)
            return ERR_INVAL;
        if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == 'Z' || s[i] == 'z')) {
            if (parse_zone(s, n, &i, &zone) != 0)
                return ERR_INVAL;
            if (!with_zone)
                zone = 0; /* PostgreSQL ignores a zone in timestamp input */
        }
    }
    int bc = take_bc(s, n, &i);
    if (i != n || finish_days(y, m, d, bc, &days) != 0)
        return ERR_INVAL;
    if (days > TS_DAYS_ABS_MAX || days < -TS_DAYS_ABS_MAX)
        return ERR_RANGE;
    *out = days * USECS_PER_DAY + us - zone * USECS_PER_SEC;
    return 0;
}

/* Appends "YYYY-MM-DD"; returns 1 if the date is BC (the caller appends " BC" where
 * PostgreSQL puts it), 0, or ERR_NOMEM. */
static int put_date(struct buf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days + PG_EPOCH_DAYS_FROM_UNIX, &y, &m, &d);
    int bc = y <= 0;
    if (bc)
        y = 1 - y;
    if (buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d) != 0)
        return ERR_NOMEM;
    return bc;
}

/* "HH:MM:SS" and up to six fraction digits without trailing zeros. */
static int put_time(struct buf *out, int64_t us)
{
    int64_t sec = us / USECS_PER_SEC, frac = us % USECS_PER_SEC;
    if (buf_printf(out, "%02lld:%02lld:%02lld", (long long)(sec / 3600), (long long)(sec / 60 % 60),
                   (long long)(sec % 60)) != 0)
        return ERR_NOMEM;
    if (frac == 0)
        return 0;
    char f[24];
    snprintf(f, sizeof f, ".%06lld", (long long)frac);
    size_t k = strlen(f);
    while (f[k - 1] == '0')
        k--;
    return buf_append(out, f, k);
}

static int put_timestamp(struct buf *out, int64_t ts, int with_zone)
{
    if (ts == INT64_MAX)
        return buf_printf(out, "infinity");
    if (ts == INT64_MIN)
        return buf_printf(out, "-infinity");
    int64_t days = ts / USECS_PER_DAY, us = ts % USECS_PER_DAY;
    if (us < 0) {
        us += USECS_PER_DAY;
        days--;
    }
    int bc = put_date(out, days);
    if (bc < 0)
        return bc;
    int rc = buf_append_u8(out, ' ');
    rc = rc ? rc : put_time(out, us);
    if (rc == 0 && with_zone)
        rc = buf_printf(out, "+00");
    if (rc == 0 && bc)
        rc = buf_printf(out, " BC");
    return rc;
}

/* ---- Floats ---- */

/* Shortest text that reads back as the same value, laid out as PostgreSQL 12+ prints floats:
 * plain decimals for exponents in [-4, digits), exponent notation otherwise. */
static int put_float(struct buf *out, double v, int is_float4)
{
    if (isnan(v))
        return buf_printf(out, "NaN");
    if (isinf(v))
        return buf_printf(out, v < 0 ? "-Infinity" : "Infinity");
    int max = is_float4 ? 9 : 17;
    char t[64];
    int p = 1;
    for (; p < max; p++) {
        snprintf(t, sizeof t, "%.*e", p - 1, v);
        if (is_float4 ? strtof(t, NULL) == (float)v : strtod(t, NULL) == v)
            break;
    }
    snprintf(t, sizeof t, "%.*e", p - 1, v);
    int exp10 = atoi(strchr(t, 'e') + 1);
    int fixed_max = is_float4 ? 6 : 15;
    if (exp10 >= -4 && exp10 < fixed_max) {
        int decimals = p - 1 - exp10;
        snprintf(t, sizeof t, "%.*f", decimals < 0 ? 0 : decimals, v);
    }
    return buf_append(out, t, strlen(t));
}

static int parse_float(const char *s, size_t n, int is_float4, double *out)
{
    trim(&s, &n);
    if (n == 0 || n >= FLOAT_TEXT_BYTES_MAX)
        return ERR_INVAL;
    char t[FLOAT_TEXT_BYTES_MAX];
    memcpy(t, s, n);
    t[n] = '\0';
    char *end;
    errno = 0;
    double v = is_float4 ? (double)strtof(t, &end) : strtod(t, &end);
    if (end != t + n)
        return ERR_INVAL;
    /* Underflow to a subnormal is fine; overflow of a finite literal is not. */
    if (errno == ERANGE && isinf(v))
        return ERR_RANGE;
    *out = v;
    return 0;
}

/* ---- Numeric ---- */

static int numeric_text_to_binary(const char *s, size_t n, struct buf *out)
{
    trim(&s, &n);
    if (n > NUMERIC_TEXT_BYTES_MAX)
        return ERR_RANGE;
    uint16_t special = 0;
    if (n == 3 && strncasecmp(s, "nan", 3) == 0)
        special = NUMERIC_NAN;
    else if ((n == 8 && strncasecmp(s, "infinity", 8) == 0) ||
             (n == 9 && strncasecmp(s, "+infinity", 9) == 0))
        special = NUMERIC_PINF;
    else if (n == 9 && strncasecmp(s, "-infinity", 9) == 0)
        special = NUMERIC_NINF;
    if (special) {
        int rc = app_be(out, 0, 2);
        rc = rc ? rc : app_be(out, 0, 2);
        rc = rc ? rc : app_be(out, special, 2);
        return rc ? rc : app_be(out, 0, 2);
    }
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    /* The digits without the point, and how many of them precede it. */
    size_t start = i, n_int = 0, n_frac = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        i++;
        n_int++;
    }
    size_t frac_start = i;
    if (i < n && s[i] == '.') {
        i++;
        frac_start = i;
        while (i < n && isdigit((unsigned char)s[i])) {
            i++;
            n_frac++;
        }
    }
    if (n_int + n_frac == 0)
        return ERR_INVAL;
    int64_t exp10 = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (parse_digits(s, n, &i, 1, 6, &exp10) != 0)
            return ERR_INVAL;
        if (eneg)
            exp10 = -exp10;
    }
    if (i != n)
        return ERR_INVAL;
    size_t nd = n_int + n_frac;
    char *dig = malloc(nd);
    if (dig == NULL)
        return ERR_NOMEM;
    memcpy(dig, s + start, n_int);
    memcpy(dig + n_int, s + frac_start, n_frac);
    int64_t point = (int64_t)n_int + exp10; /* digits before the decimal point */
    int64_t dscale = (int64_t)nd - point;
    if (dscale < 0)
        dscale = 0;
    size_t lead = 0;
    while (lead < nd && dig[lead] == '0')
        lead++;
    int rc = 0;
    if (dscale > NUMERIC_DSCALE_MAX) {
        rc = ERR_RANGE;
        goto out;
    }
    if (lead == nd) { /* zero */
        rc = app_be(out, 0, 2);
        rc = rc ? rc : app_be(out, 0, 2);
        rc = rc ? rc : app_be(out, NUMERIC_POS, 2);
        rc = rc ? rc : app_be(out, (uint64_t)dscale, 2);
        goto out;
    }
    {
        const char *d = dig + lead;
        int64_t len = (int64_t)(nd - lead);
        point -= (int64_t)lead;
        /* Digit d[k] has power point-1-k; base-10000 group of power q is floor(q / 4). */
        int64_t top = point - 1, bottom = point - len;
        int64_t wg = top >= 0 ? top / 4 : -((-top + 3) / 4);
        int64_t lg = bottom >= 0 ? bottom / 4 : -((-bottom + 3) / 4);
        if (wg > INT16_MAX || lg < INT16_MIN || wg - lg + 1 > 0x7fff) {
            rc = ERR_RANGE;
            goto out;
        }
        size_t ng = (size_t)(wg - lg + 1);
        uint16_t *g = calloc(ng, sizeof *g);
        if (g == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        for (int64_t k = 0; k < len; k++) {
            int64_t q = point - 1 - k;
            int64_t grp = q >= 0 ? q / 4 : -((-q + 3) / 4);
            int64_t pos = q - grp * 4; /* 0..3: power within the group */
            static const uint16_t pw[] = {1, 10, 100, 1000};
            g[wg - grp] = (uint16_t)(g[wg - grp] + (d[k] - '0') * pw[pos]);
        }
        while (ng > 0 && g[ng - 1] == 0)
            ng--;
        rc = app_be(out, ng, 2);
        rc = rc ? rc : app_be(out, (uint16_t)(int16_t)wg, 2);
        rc = rc ? rc : app_be(out, neg ? NUMERIC_NEG : NUMERIC_POS, 2);
        rc = rc ? rc : app_be(out, (uint64_t)dscale, 2);
        for (size_t k = 0; k < ng && rc == 0; k++)
            rc = app_be(out, g[k], 2);
        free(g);
    }
out:
    free(dig);
    return rc;
}

static int numeric_binary_to_text(const uint8_t *p, size_t len, struct buf *out)
{
    if (len < 8)
        return ERR_INVAL;
    size_t ng = (size_t)get_be(p, 2);
    int32_t weight = (int16_t)get_be(p + 2, 2); /* int32: normalising moves it */
    uint16_t sign = (uint16_t)get_be(p + 4, 2);
    uint16_t dscale = (uint16_t)get_be(p + 6, 2);
    if (ng > 0x7fff || len != 8 + 2 * ng)
        return ERR_INVAL;
    if (sign == NUMERIC_NAN)
        return ng == 0 ? buf_printf(out, "NaN") : ERR_INVAL;
    if (sign == NUMERIC_PINF)
        return ng == 0 ? buf_printf(out, "Infinity") : ERR_INVAL;
    if (sign == NUMERIC_NINF)
        return ng == 0 ? buf_printf(out, "-Infinity") : ERR_INVAL;
    if ((sign != NUMERIC_POS && sign != NUMERIC_NEG) || dscale > NUMERIC_DSCALE_MAX)
        return ERR_INVAL;
    for (size_t k = 0; k < ng; k++)
        if (get_be(p + 8 + 2 * k, 2) >= 10000)
            return ERR_INVAL;
    /* Normalise as PostgreSQL's numeric_recv does: no leading or trailing zero groups, and
     * zero has weight 0. */
    const uint8_t *dg = p + 8;
    while (ng > 0 && get_be(dg, 2) == 0) {
        dg += 2;
        ng--;
        weight--;
    }
    while (ng > 0 && get_be(dg + 2 * (ng - 1), 2) == 0)
        ng--;
    if (ng == 0)
        weight = 0;
#define GROUP(i) ((i) >= 0 && (size_t)(i) < ng ? (unsigned)get_be(dg + 2 * (size_t)(i), 2) : 0u)
    int rc = 0;
    if (sign == NUMERIC_NEG)
        rc = buf_append_u8(out, '-');
    if (weight < 0) {
        rc = rc ? rc : buf_append_u8(out, '0');
    } else {
        for (int64_t i = 0; i <= weight && rc == 0; i++)
            rc = buf_printf(out, i == 0 ? "%u" : "%04u", GROUP(i));
    }
    if (dscale > 0 && rc == 0) {
        rc = buf_append_u8(out, '.');
        size_t left = dscale;
        for (int64_t i = (int64_t)weight + 1; left > 0 && rc == 0; i++) {
            char t[8];
            snprintf(t, sizeof t, "%04u", GROUP(i));
            size_t k = left < 4 ? left : 4;
            rc = buf_append(out, t, k);
            left -= k;
        }
    }
#undef GROUP
    return rc;
}

/* ---- bytea, char, uuid ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int bytea_text_to_binary(const char *s, size_t n, struct buf *out)
{
    size_t start = out->len;
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (size_t i = 2; i < n;) {
            if (isspace((unsigned char)s[i])) {
                i++;
                continue;
            }
            int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
            if (hi < 0 || lo < 0) {
                out->len = start;
                return ERR_INVAL;
            }
            if (buf_append_u8(out, (uint8_t)(hi << 4 | lo)) != 0) {
                out->len = start;
                return ERR_NOMEM;
            }
            i += 2;
        }
        return 0;
    }
    /* The escape format: \\ for a backslash, \ooo for any byte. */
    for (size_t i = 0; i < n;) {
        uint8_t c = (uint8_t)s[i];
        if (c == '\\') {
            if (i + 1 < n && s[i + 1] == '\\') {
                i += 2;
            } else if (i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                       s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                c = (uint8_t)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
                i += 4;
            } else {
                out->len = start;
                return ERR_INVAL;
            }
        } else {
            i++;
        }
        if (buf_append_u8(out, c) != 0) {
            out->len = start;
            return ERR_NOMEM;
        }
    }
    return 0;
}

static int bytea_binary_to_text(const uint8_t *p, size_t len, struct buf *out)
{
    static const char hex[] = "0123456789abcdef";
    int rc = buf_reserve(out, 2 + 2 * len);
    if (rc != 0)
        return rc;
    out->data[out->len++] = '\\';
    out->data[out->len++] = 'x';
    for (size_t i = 0; i < len; i++) {
        out->data[out->len++] = (uint8_t)hex[p[i] >> 4];
        out->data[out->len++] = (uint8_t)hex[p[i] & 15];
    }
    return 0;
}

static int uuid_text_to_binary(const char *s, size_t n, struct buf *out)
{
    trim(&s, &n);
    if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
        s++;
        n -= 2;
    }
    uint8_t u[16];
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '-' && i > 0 && i + 1 < n && k % 2 == 0) {
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = i + 1 < n ? hexval(s[i + 1]) : -1;
        if (hi < 0 || lo < 0 || k == 16)
            return ERR_INVAL;
        u[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (k != 16)
        return ERR_INVAL;
    return buf_append(out, u, 16);
}

static int uuid_binary_to_text(const uint8_t *p, struct buf *out)
{
    return buf_printf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                      p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11],
                      p[12], p[13], p[14], p[15]);
}

static int bool_text(const char *s, size_t n, int *v)
{
    trim(&s, &n);
    static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
    static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
    for (size_t i = 0; i < 6; i++) {
        if (n == strlen(yes[i]) && strncasecmp(s, yes[i], n) == 0) {
            *v = 1;
            return 0;
        }
        if (n == strlen(no[i]) && strncasecmp(s, no[i], n) == 0) {
            *v = 0;
            return 0;
        }
    }
    return ERR_INVAL;
}

/* ---- The conversions ---- */

int pg_text_to_binary(uint32_t oid, const char *text, size_t len, struct buf *out,
                      struct errbuf *eb)
{
    size_t start = out->len;
    int rc;
    int64_t iv;
    double dv;
    switch (oid) {
    case PG_OID_BOOL: {
        int b;
        rc = bool_text(text, len, &b);
        if (rc == 0)
            rc = buf_append_u8(out, (uint8_t)b);
        break;
    }
    case PG_OID_INT2:
    case PG_OID_INT4:
    case PG_OID_INT8: {
        size_t w = (size_t)pg_type_size(oid);
        int64_t lo = oid == PG_OID_INT2 ? INT16_MIN : oid == PG_OID_INT4 ? INT32_MIN : INT64_MIN;
        int64_t hi = oid == PG_OID_INT2 ? INT16_MAX : oid == PG_OID_INT4 ? INT32_MAX : INT64_MAX;
        rc = parse_int(text, len, lo, hi, &iv);
        if (rc == 0)
            rc = app_be(out, (uint64_t)iv, w);
        break;
    }
    case PG_OID_OID:
        rc = parse_int(text, len, INT32_MIN, UINT32_MAX, &iv);
        if (rc == 0)
            rc = app_be(out, (uint32_t)iv, 4);
        break;
    case PG_OID_FLOAT4:
    case PG_OID_FLOAT8:
        rc = parse_float(text, len, oid == PG_OID_FLOAT4, &dv);
        if (rc == 0 && oid == PG_OID_FLOAT4) {
            float f = (float)dv;
            uint32_t bits;
            memcpy(&bits, &f, 4);
            rc = app_be(out, bits, 4);
        } else if (rc == 0) {
            uint64_t bits;
            memcpy(&bits, &dv, 8);
            rc = app_be(out, bits, 8);
        }
        break;
    case PG_OID_TEXT:
    case PG_OID_VARCHAR:
    case PG_OID_BPCHAR:
    case PG_OID_NAME:
    case PG_OID_JSON:
    case PG_OID_UNKNOWN:
        rc = buf_append(out, text, len);
        break;
    case PG_OID_JSONB:
        rc = buf_append_u8(out, 1); /* jsonb binary format version */
        rc = rc ? rc : buf_append(out, text, len);
        break;
    case PG_OID_CHAR:
        if (len == 0) {
            rc = buf_append_u8(out, 0);
        } else if (len == 4 && text[0] == '\\' && text[1] >= '0' && text[1] <= '3' &&
                   text[2] >= '0' && text[2] <= '7' && text[3] >= '0' && text[3] <= '7') {
            rc = buf_append_u8(
                out, (uint8_t)((text[1] - '0') << 6 | (text[2] - '0') << 3 | (text[3] - '0')));
        } else {
            rc = buf_append_u8(out, (uint8_t)text[0]);
        }
        break;
    case PG_OID_BYTEA:
        rc = bytea_text_to_binary(text, len, out);
        break;
    case PG_OID_UUID:
        rc = uuid_text_to_binary(text, len, out);
        break;
    case PG_OID_NUMERIC:
        rc = numeric_text_to_binary(text, len, out);
        break;
    case PG_OID_DATE: {
        int32_t d;
        rc = parse_date(text, len, &d);
        if (rc == 0)
            rc = app_be(out, (uint32_t)d, 4);
        break;
    }
    case PG_OID_TIME: {
        const char *s = text;
        size_t n = len, i = 0;
        trim(&s, &n);
        rc = parse_time_part(s, n, &i, &iv);
        if (rc == 0 && i != n)
            rc = ERR_INVAL;
        if (rc == 0)
            rc = app_be(out, (uint64_t)iv, 8);
        break;
    }
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ:
        rc = parse_timestamp(text, len, oid == PG_OID_TIMESTAMPTZ, &iv);
        if (rc == 0)
            rc = app_be(out, (uint64_t)iv, 8);
        break;
    default:
        return err_set(eb, ERR_UNSUPPORTED, "binary format is not supported for type %u", oid);
    }
    if (rc == ERR_NOMEM) {
        out->len = start;
        return err_set(eb, ERR_NOMEM, "out of memory");
    }
    if (rc != 0) {
        out->len = start;
        if (rc == ERR_RANGE)
            return err_set(eb, ERR_INVAL, "value out of range for type %u: \"%.*s\"", oid,
                           (int)(len > 64 ? 64 : len), text);
        return bad_text(eb, oid, text, len);
    }
    return 0;
}

static int bad_binary(struct errbuf *eb, uint32_t oid, size_t len)
{
    return err_set(eb, ERR_INVAL, "incorrect binary data format for type %u (%zu bytes)", oid, len);
}

int pg_binary_to_text(uint32_t oid, const void *data, size_t len, struct buf *out,
                      struct errbuf *eb)
{
    const uint8_t *p = data;
    size_t start = out->len;
    int rc;
    int size = pg_type_size(oid);
    if (size > 0 && oid != PG_OID_NAME && (size_t)size != len && pg_type_has_binary(oid))
        return bad_binary(eb, oid, len);
    switch (oid) {
    case PG_OID_BOOL:
        rc = buf_append_u8(out, p[0] ? 't' : 'f');
        break;
    case PG_OID_INT2:
        rc = buf_printf(out, "%d", (int)(int16_t)get_be(p, 2));
        break;
    case PG_OID_INT4:
        rc = buf_printf(out, "%d", (int)(int32_t)get_be(p, 4));
        break;
    case PG_OID_INT8:
        rc = buf_printf(out, "%lld", (long long)(int64_t)get_be(p, 8));
        break;
    case PG_OID_OID:
        rc = buf_printf(out, "%u", (unsigned)get_be(p, 4));
        break;
    case PG_OID_FLOAT4: {
        uint32_t bits = (uint32_t)get_be(p, 4);
        float f;
        memcpy(&f, &bits, 4);
        rc = put_float(out, (double)f, 1);
        break;
    }
    case PG_OID_FLOAT8: {
        uint64_t bits = get_be(p, 8);
        double d;
        memcpy(&d, &bits, 8);
        rc = put_float(out, d, 0);
        break;
    }
    case PG_OID_TEXT:
    case PG_OID_VARCHAR:
    case PG_OID_BPCHAR:
    case PG_OID_NAME:
    case PG_OID_JSON:
    case PG_OID_UNKNOWN:
        rc = buf_append(out, p, len);
        break;
    case PG_OID_JSONB:
        if (len < 1 || p[0] != 1)
            return bad_binary(eb, oid, len);
        rc = buf_append(out, p + 1, len - 1);
        break;
    case PG_OID_CHAR:
        if (p[0] == 0)
            rc = 0;
        else if (p[0] >= 0x80 || p[0] == '\\')
            rc = buf_printf(out, "\\%03o", p[0]);
        else
            rc = buf_append_u8(out, p[0]);
        break;
    case PG_OID_BYTEA:
        rc = bytea_binary_to_text(p, len, out);
        break;
    case PG_OID_UUID:
        rc = uuid_binary_to_text(p, out);
        break;
    case PG_OID_NUMERIC:
        rc = numeric_binary_to_text(p, len, out);
        break;
    case PG_OID_DATE: {
        int32_t d = (int32_t)get_be(p, 4);
        if (d == INT32_MAX)
            rc = buf_printf(out, "infinity");
        else if (d == INT32_MIN)
            rc = buf_printf(out, "-infinity");
        else {
            rc = put_date(out, d);
            if (rc == 1)
                rc = buf_printf(out, " BC");
        }
        break;
    }
    case PG_OID_TIME: {
        int64_t us = (int64_t)get_be(p, 8);
        if (us < 0 || us > USECS_PER_DAY)
            return bad_binary(eb, oid, len);
        rc = put_time(out, us);
        break;
    }
    case PG_OID_TIMESTAMP:
    case PG_OID_TIMESTAMPTZ: {
        int64_t ts = (int64_t)get_be(p, 8);
        if (ts != INT64_MAX && ts != INT64_MIN &&
            (ts / USECS_PER_DAY > TS_DAYS_ABS_MAX || ts / USECS_PER_DAY < -TS_DAYS_ABS_MAX))
            return bad_binary(eb, oid, len);
        rc = put_timestamp(out, ts, oid == PG_OID_TIMESTAMPTZ);
        break;
    }
    default:
        return err_set(eb, ERR_UNSUPPORTED, "binary format is not supported for type %u", oid);
    }
    if (rc == ERR_INVAL) {
        out->len = start;
        return bad_binary(eb, oid, len);
    }
    if (rc != 0) {
        out->len = start;
        return err_set(eb, ERR_NOMEM, "out of memory");
    }
    return 0;
}
