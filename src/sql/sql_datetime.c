/* PostgreSQL's date, timestamp and interval semantics: parsing a practical subset of its input
 * formats, printing with DateStyle ISO / IntervalStyle postgres, and the calendar arithmetic of
 * timestamp.c and date.c, re-derived here on days and microseconds since PostgreSQL's epoch. */
#include "sql/sql_datetime.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"

#define DT_DAYS_PER_MONTH  30
#define DT_MONTHS_PER_YEAR 12
#define DT_SECS_PER_DAY    86400
/* Longest date/time or interval input examined; longer text is malformed. */
#define DT_INPUT_BYTES_MAX 256

/* The range PostgreSQL accepts: Julian day 0 (4714-11-24 BC) to 5874897-12-31 for dates and to
 * 294276-12-31 23:59:59.999999 for timestamps. Days are counted from 2000-01-01, PostgreSQL's
 * epoch, which is what lets that whole range fit 64-bit microseconds. */
#define DT_JULIAN_OF_2000 2451545
#define DT_DATE_DAYS_MIN  (-DT_JULIAN_OF_2000)
#define DT_DATE_DAYS_MAX  2145031948 /* 5874897-12-31 */
#define DT_TS_DAYS_MAX    106751982  /* 294276-12-31 */
/* 1970-01-01 (the Unix epoch) in days and microseconds from 2000-01-01 */
#define DT_UNIX_EPOCH_DAYS (-10957)
#define DT_UNIX_EPOCH_US   (INT64_C(-946684800000000))

/* Broken-down time. year is astronomical: 1 BC is 0. */
struct dt_tm {
    int64_t year;
    int mon, mday, hour, min, sec;
    int32_t usec;
};

/* ---- calendar ---- */

static int64_t dt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static bool dt_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int dt_days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    ASSERT(m >= 1 && m <= 12);
    return m == 2 && dt_is_leap(y) ? 29 : days[m - 1];
}

/* Days since 2000-01-01 of a proleptic Gregorian date (after H. Hinnant's days_from_civil). */
static int64_t dt_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = dt_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 730425;
}

static void dt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 730425;
    int64_t era = dt_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* 0 = Sunday. 2000-01-01 was a Saturday. */
static int dt_dow(int64_t days)
{
    return (int)(((days + 6) % 7 + 7) % 7);
}

static int dt_doy(int64_t y, int m, int d)
{
    return (int)(dt_days_from_civil(y, m, d) - dt_days_from_civil(y, 1, 1)) + 1;
}

/* Days of the Monday starting ISO week 1 of ISO year y. */
static int64_t dt_iso_year_start(int64_t y)
{
    int64_t jan4 = dt_days_from_civil(y, 1, 4);
    int isodow = dt_dow(jan4) == 0 ? 7 : dt_dow(jan4);
    return jan4 - (isodow - 1);
}

static void dt_iso_week(int64_t days, int64_t *iso_year, int *week)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    int64_t start = dt_iso_year_start(y + 1);
    if (days >= start) {
        y++;
    } else {
        start = dt_iso_year_start(y);
        if (days < start) {
            y--;
            start = dt_iso_year_start(y);
        }
    }
    *iso_year = y;
    *week = (int)((days - start) / 7) + 1;
}

static void dt_ts_to_tm(int64_t ts, struct dt_tm *tm)
{
    int64_t days = dt_floor_div(ts, SQL_DT_USECS_PER_DAY);
    int64_t t = ts - days * SQL_DT_USECS_PER_DAY;
    dt_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
    tm->hour = (int)(t / SQL_DT_USECS_PER_HOUR);
    t -= tm->hour * SQL_DT_USECS_PER_HOUR;
    tm->min = (int)(t / (60 * SQL_DT_USECS_PER_SEC));
    t -= tm->min * 60 * SQL_DT_USECS_PER_SEC;
    tm->sec = (int)(t / SQL_DT_USECS_PER_SEC);
    tm->usec = (int32_t)(t - tm->sec * SQL_DT_USECS_PER_SEC);
}

static bool dt_ts_days_ok(int64_t days)
{
    return days >= DT_DATE_DAYS_MIN && days <= DT_TS_DAYS_MAX;
}

static bool dt_ts_ok(int64_t ts)
{
    return dt_ts_days_ok(dt_floor_div(ts, SQL_DT_USECS_PER_DAY));
}

static bool dt_date_ok(int64_t days)
{
    return days >= DT_DATE_DAYS_MIN && days <= DT_DATE_DAYS_MAX;
}

/* A timestamp from fields that are already validated; ERR_TOOBIG outside the range. */
static int dt_tm_to_ts(const struct dt_tm *tm, int64_t *out)
{
    if (tm->year < -5000000 || tm->year > 5000000)
        return ERR_TOOBIG;
    int64_t days = dt_days_from_civil(tm->year, tm->mon, tm->mday);
    if (!dt_ts_days_ok(days))
        return ERR_TOOBIG;
    int64_t ts = days * SQL_DT_USECS_PER_DAY + tm->hour * SQL_DT_USECS_PER_HOUR +
                 (int64_t)tm->min * 60 * SQL_DT_USECS_PER_SEC +
                 (int64_t)tm->sec * SQL_DT_USECS_PER_SEC + tm->usec;
    if (!dt_ts_ok(ts))
        return ERR_TOOBIG;
    *out = ts;
    return 0;
}

/* ---- names ---- */

static const char *const dt_month_names[12] = {"January",   "February", "March",    "April",
                                               "May",       "June",     "July",     "August",
                                               "September", "October",  "November", "December"};
static const char *const dt_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};

/* Month number from a name or its three-letter abbreviation (lower case), or 0. */
static int dt_month_from_name(const char *w, size_t n)
{
    for (int i = 0; i < 12; i++) {
        size_t full = strlen(dt_month_names[i]);
        if ((n == 3 || n == full || (i == 8 && n == 4)) && n <= full &&
            strncasecmp(w, dt_month_names[i], n) == 0)
            return i + 1;
    }
    return 0;
}

/* ---- units (date_trunc, extract, interval input) ---- */

enum dt_unit {
    DT_U_NONE = 0,
    DT_U_MICROSEC,
    DT_U_MILLISEC,
    DT_U_SECOND,
    DT_U_MINUTE,
    DT_U_HOUR,
    DT_U_DAY,
    DT_U_WEEK,
    DT_U_MONTH,
    DT_U_QUARTER,
    DT_U_YEAR,
    DT_U_DECADE,
    DT_U_CENTURY,
    DT_U_MILLENNIUM,
    DT_U_DOW,
    DT_U_ISODOW,
    DT_U_DOY,
    DT_U_EPOCH,
    DT_U_JULIAN,
    DT_U_ISOYEAR,
    DT_U_TIMEZONE,
    DT_U_TIMEZONE_H,
    DT_U_TIMEZONE_M,
};

static const struct {
    const char *name;
    enum dt_unit unit;
} dt_units[] = {
    {"microsecond", DT_U_MICROSEC},
    {"microseconds", DT_U_MICROSEC},
    {"us", DT_U_MICROSEC},
    {"usec", DT_U_MICROSEC},
    {"usecs", DT_U_MICROSEC},
    {"useconds", DT_U_MICROSEC},
    {"millisecond", DT_U_MILLISEC},
    {"milliseconds", DT_U_MILLISEC},
    {"ms", DT_U_MILLISEC},
    {"msec", DT_U_MILLISEC},
    {"msecs", DT_U_MILLISEC},
    {"mseconds", DT_U_MILLISEC},
    {"second", DT_U_SECOND},
    {"seconds", DT_U_SECOND},
    {"s", DT_U_SECOND},
    {"sec", DT_U_SECOND},
    {"secs", DT_U_SECOND},
    {"minute", DT_U_MINUTE},
    {"minutes", DT_U_MINUTE},
    {"m", DT_U_MINUTE},
    {"min", DT_U_MINUTE},
    {"mins", DT_U_MINUTE},
    {"hour", DT_U_HOUR},
    {"hours", DT_U_HOUR},
    {"h", DT_U_HOUR},
    {"hr", DT_U_HOUR},
    {"hrs", DT_U_HOUR},
    {"day", DT_U_DAY},
    {"days", DT_U_DAY},
    {"d", DT_U_DAY},
    {"week", DT_U_WEEK},
    {"weeks", DT_U_WEEK},
    {"w", DT_U_WEEK},
    {"month", DT_U_MONTH},
    {"months", DT_U_MONTH},
    {"mon", DT_U_MONTH},
    {"mons", DT_U_MONTH},
    {"quarter", DT_U_QUARTER},
    {"qtr", DT_U_QUARTER},
    {"year", DT_U_YEAR},
    {"years", DT_U_YEAR},
    {"y", DT_U_YEAR},
    {"yr", DT_U_YEAR},
    {"yrs", DT_U_YEAR},
    {"decade", DT_U_DECADE},
    {"decades", DT_U_DECADE},
    {"dec", DT_U_DECADE},
    {"decs", DT_U_DECADE},
    {"century", DT_U_CENTURY},
    {"centuries", DT_U_CENTURY},
    {"c", DT_U_CENTURY},
    {"cent", DT_U_CENTURY},
    {"millennium", DT_U_MILLENNIUM},
    {"millennia", DT_U_MILLENNIUM},
    {"mil", DT_U_MILLENNIUM},
    {"mils", DT_U_MILLENNIUM},
    {"dow", DT_U_DOW},
    {"isodow", DT_U_ISODOW},
    {"doy", DT_U_DOY},
    {"epoch", DT_U_EPOCH},
    {"julian", DT_U_JULIAN},
    {"j", DT_U_JULIAN},
    {"isoyear", DT_U_ISOYEAR},
    {"timezone", DT_U_TIMEZONE},
    {"timezone_hour", DT_U_TIMEZONE_H},
    {"timezone_minute", DT_U_TIMEZONE_M},
};

/* PostgreSQL lower-cases the unit but does not trim it: ' hour ' is unknown. */
static enum dt_unit dt_unit_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(dt_units) / sizeof(dt_units[0]); i++) {
        if (strlen(dt_units[i].name) == n && strncasecmp(dt_units[i].name, s, n) == 0)
            return dt_units[i].unit;
    }
    return DT_U_NONE;
}

/* ---- date and timestamp input ---- */

/* A cursor over lower-cased input. */
struct dt_cur {
    const char *s;
    size_t len, pos;
};

static void dt_skip_spaces(struct dt_cur *c)
{
    while (c->pos < c->len && isspace((unsigned char)c->s[c->pos]))
        c->pos++;
}

static bool dt_at_end(struct dt_cur *c)
{
    return c->pos >= c->len;
}

static char dt_peek(struct dt_cur *c, size_t ahead)
{
    return c->pos + ahead < c->len ? c->s[c->pos + ahead] : '\0';
}

/* Reads a run of digits (at most 18): value and digit count (0 if none). */
static int dt_read_digits(struct dt_cur *c, int64_t *v)
{
    int n = 0;
    int64_t x = 0;
    while (c->pos < c->len && isdigit((unsigned char)c->s[c->pos])) {
        if (n >= 18)
            return -1;
        x = x * 10 + (c->s[c->pos] - '0');
        c->pos++;
        n++;
    }
    *v = x;
    return n;
}

static size_t dt_read_word(struct dt_cur *c, const char **w)
{
    size_t start = c->pos;
    while (c->pos < c->len && (isalpha((unsigned char)c->s[c->pos]) || c->s[c->pos] == '.'))
        c->pos++;
    *w = c->s + start;
    return c->pos - start;
}

static bool dt_word_is(const char *w, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(w, word, n) == 0;
}

/* Reads ".ffff" into microseconds, rounded like PostgreSQL (may reach 1000000). */
static int dt_read_fraction(struct dt_cur *c, int32_t *usec)
{
    *usec = 0;
    if (dt_peek(c, 0) != '.')
        return 0;
    c->pos++;
    size_t start = c->pos;
    double frac = 0, scale = 0.1;
    while (c->pos < c->len && isdigit((unsigned char)c->s[c->pos])) {
        frac += (c->s[c->pos] - '0') * scale;
        scale /= 10;
        c->pos++;
    }
    if (c->pos == start)
        return 0; /* "05." is allowed */
    /* PostgreSQL rounds the fraction to microseconds with rint(); re-read the text exactly. */
    char buf[40];
    size_t n = c->pos - start;
    if (n > 30)
        n = 30;
    buf[0] = '0';
    buf[1] = '.';
    memcpy(buf + 2, c->s + start, n);
    buf[2 + n] = '\0';
    frac = strtod(buf, NULL);
    *usec = (int32_t)rint(frac * 1e6);
    return 0;
}

/* Time of day "h:mm[:ss[.f]]" with an optional am/pm; fields are validated. */
static int dt_parse_time(struct dt_cur *c, struct dt_tm *tm)
{
    int64_t h, mi, se = 0;
    if (dt_read_digits(c, &h) <= 0 || dt_peek(c, 0) != ':')
        return ERR_MALFORMED;
    c->pos++;
    if (dt_read_digits(c, &mi) <= 0)
        return ERR_MALFORMED;
    int32_t usec = 0;
    if (dt_peek(c, 0) == ':') {
        c->pos++;
        if (dt_read_digits(c, &se) <= 0)
            return ERR_MALFORMED;
        int rc = dt_read_fraction(c, &usec);
        if (rc != 0)
            return rc;
    }
    size_t save = c->pos;
    dt_skip_spaces(c);
    const char *w;
    size_t wn = dt_read_word(c, &w);
    if (dt_word_is(w, wn, "am") || dt_word_is(w, wn, "a.m.")) {
        if (h < 1 || h > 12)
            return ERR_RANGE;
        if (h == 12)
            h = 0;
    } else if (dt_word_is(w, wn, "pm") || dt_word_is(w, wn, "p.m.")) {
        if (h < 1 || h > 12)
            return ERR_RANGE;
        if (h != 12)
            h += 12;
    } else {
        c->pos = save;
    }
    if (h > 24 || mi > 59 || se > 60 || (h == 24 && (mi != 0 || se != 0 || usec != 0)))
        return ERR_RANGE;
    tm->hour = (int)h;
    tm->min = (int)mi;
    tm->sec = (int)se;
    tm->usec = usec;
    return 0;
}

/* A zone suffix: z, utc, gmt, +hh, +hh:mm, +hhmm, +hh:mm:ss. *offset_sec is east of UTC. */
static int dt_parse_zone(struct dt_cur *c, int *offset_sec)
{
    char ch = dt_peek(c, 0);
    if (ch == '+' || ch == '-') {
        c->pos++;
        int64_t h, m = 0, sec = 0;
        int n = dt_read_digits(c, &h);
        if (n <= 0 || n > 6)
            return ERR_MALFORMED;
        if (n > 2) {
            /* +hhmm or +hhmmss */
            int64_t v = h;
            if (n <= 4) {
                h = v / 100;
                m = v % 100;
            } else {
                h = v / 10000;
                m = v / 100 % 100;
                sec = v % 100;
            }
        } else if (dt_peek(c, 0) == ':') {
            c->pos++;
            if (dt_read_digits(c, &m) <= 0)
                return ERR_MALFORMED;
            if (dt_peek(c, 0) == ':') {
                c->pos++;
                if (dt_read_digits(c, &sec) <= 0)
                    return ERR_MALFORMED;
            }
        }
        if (h > 15 || m > 59 || sec > 59)
            return ERR_RANGE;
        int off = (int)(h * 3600 + m * 60 + sec);
        *offset_sec = ch == '-' ? -off : off;
        return 0;
    }
    const char *w;
    size_t wn = dt_read_word(c, &w);
    if (dt_word_is(w, wn, "z") || dt_word_is(w, wn, "utc") || dt_word_is(w, wn, "gmt") ||
        dt_word_is(w, wn, "zulu")) {
        *offset_sec = 0;
        return 0;
    }
    return ERR_MALFORMED;
}

/* Two-digit years as PostgreSQL reads them: 70..99 are 1900s, 00..69 are 2000s. */
static int64_t dt_adjust_year(int64_t y, int ndigits)
{
    if (ndigits == 2)
        return y < 70 ? 2000 + y : 1900 + y;
    return y;
}

/* The date part: year (as written, before BC), month, day. */
static int dt_parse_date_part(struct dt_cur *c, int64_t *year, int *mon, int *mday)
{
    int64_t a, b, d;
    int na, nb, nd;
    if (isdigit((unsigned char)dt_peek(c, 0))) {
        na = dt_read_digits(c, &a);
        if (na <= 0)
            return ERR_MALFORMED;
        char sep = dt_peek(c, 0);
        if (sep == '-' || sep == '/' || sep == '.') {
            c->pos++;
            int month_word = 0;
            if (isalpha((unsigned char)dt_peek(c, 0))) {
                const char *w;
                size_t wn = dt_read_word(c, &w);
                month_word = dt_month_from_name(w, wn);
                if (month_word == 0)
                    return ERR_MALFORMED;
                b = month_word;
                nb = 2;
            } else {
                nb = dt_read_digits(c, &b);
                if (nb <= 0)
                    return ERR_MALFORMED;
            }
            if (dt_peek(c, 0) != sep)
                return ERR_MALFORMED;
            c->pos++;
            nd = dt_read_digits(c, &d);
            if (nd <= 0)
                return ERR_MALFORMED;
            if (na >= 3) { /* Y-M-D */
                *year = a;
                *mon = (int)(b > 99 ? 99 : b);
                *mday = (int)(d > 99 ? 99 : d);
            } else if (month_word) { /* D-Mon-Y */
                *mday = (int)a;
                *mon = month_word;
                *year = dt_adjust_year(d, nd);
            } else { /* M/D/Y, PostgreSQL's default DateStyle order */
                *mon = (int)(a > 99 ? 99 : a);
                *mday = (int)(b > 99 ? 99 : b);
                *year = dt_adjust_year(d, nd);
            }
            return 0;
        }
        if (na == 8) { /* YYYYMMDD */
            *year = a / 10000;
            *mon = (int)(a / 100 % 100);
            *mday = (int)(a % 100);
            return 0;
        }
        /* "2 Jan 2024" */
        if (na > 2)
            return ERR_MALFORMED;
        dt_skip_spaces(c);
        const char *w;
        size_t wn = dt_read_word(c, &w);
        int m = dt_month_from_name(w, wn);
        if (m == 0)
            return ERR_MALFORMED;
        dt_skip_spaces(c);
        nd = dt_read_digits(c, &d);
        if (nd <= 0)
            return ERR_MALFORMED;
        *mday = (int)a;
        *mon = m;
        *year = dt_adjust_year(d, nd);
        return 0;
    }
    /* "Jan 2 2024", "January 2, 2024" */
    const char *w;
    size_t wn = dt_read_word(c, &w);
    int m = dt_month_from_name(w, wn);
    if (m == 0)
        return ERR_MALFORMED;
    dt_skip_spaces(c);
    nb = dt_read_digits(c, &b);
    if (nb <= 0 || nb > 2)
        return ERR_MALFORMED;
    if (dt_peek(c, 0) == ',')
        c->pos++;
    dt_skip_spaces(c);
    nd = dt_read_digits(c, &d);
    if (nd <= 0)
        return ERR_MALFORMED;
    *mon = m;
    *mday = (int)b;
    *year = dt_adjust_year(d, nd);
    return 0;
}

enum dt_special {
    DT_FINITE = 0,
    DT_POS_INF,
    DT_NEG_INF,
};

/* Parses date/timestamp text into tm (midnight when no time is given). */
static int dt_parse(const char *s, size_t len, int64_t now_us, struct dt_tm *tm,
                    enum dt_special *special, bool *has_zone, int *zone_sec)
{
    *has_zone = false;
    *zone_sec = 0;
    char low[DT_INPUT_BYTES_MAX];
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof(low))
        return ERR_MALFORMED;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    memset(tm, 0, sizeof(*tm));
    *special = DT_FINITE;
    if (dt_word_is(low, len, "infinity") || dt_word_is(low, len, "+infinity")) {
        *special = DT_POS_INF;
        return 0;
    }
    if (dt_word_is(low, len, "-infinity")) {
        *special = DT_NEG_INF;
        return 0;
    }
    int64_t rel_days = 0;
    bool relative = false, now = false;
    if (dt_word_is(low, len, "epoch")) {
        tm->year = 1970;
        tm->mon = tm->mday = 1;
        return 0;
    }
    if (dt_word_is(low, len, "now")) {
        now = true;
    } else if (dt_word_is(low, len, "today")) {
        relative = true;
    } else if (dt_word_is(low, len, "tomorrow")) {
        relative = true;
        rel_days = 1;
    } else if (dt_word_is(low, len, "yesterday")) {
        relative = true;
        rel_days = -1;
    }
    if (now || relative) {
        int64_t now_ts = sql_timestamp_from_unix_us(now_us);
        dt_ts_to_tm(now_ts, tm);
        if (relative) {
            int64_t days = dt_floor_div(now_ts, SQL_DT_USECS_PER_DAY) + rel_days;
            memset(tm, 0, sizeof(*tm));
            dt_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
        }
        return 0;
    }

    struct dt_cur c = {low, len, 0};
    int64_t year;
    int rc = dt_parse_date_part(&c, &year, &tm->mon, &tm->mday);
    if (rc != 0)
        return rc;
    bool bc = false;
    for (int round = 0; round < 4 && !dt_at_end(&c); round++) {
        char ch = dt_peek(&c, 0);
        if (ch == 't' && isdigit((unsigned char)dt_peek(&c, 1))) {
            c.pos++;
            rc = dt_parse_time(&c, tm);
        } else if (isspace((unsigned char)ch)) {
            dt_skip_spaces(&c);
            continue;
        } else if (isdigit((unsigned char)ch)) {
            rc = dt_parse_time(&c, tm);
        } else if (ch == '+' || ch == '-' || ch == 'z' || ch == 'u' || ch == 'g') {
            rc = dt_parse_zone(&c, zone_sec);
            *has_zone = true;
        } else {
            const char *w;
            size_t wn = dt_read_word(&c, &w);
            if (dt_word_is(w, wn, "bc") || dt_word_is(w, wn, "b.c."))
                bc = true;
            else if (!(dt_word_is(w, wn, "ad") || dt_word_is(w, wn, "a.d.")))
                return ERR_MALFORMED;
        }
        if (rc != 0)
            return rc;
    }
    if (!dt_at_end(&c))
        return ERR_MALFORMED;
    if (year == 0 && bc)
        return ERR_RANGE;
    if (bc)
        year = 1 - year;
    if (tm->mon < 1 || tm->mon > 12 || tm->mday < 1 || year > 99999999 ||
        tm->mday > dt_days_in_month(year, tm->mon))
        return ERR_RANGE;
    tm->year = year;
    return 0;
}

/* Folds a leap second or 24:00:00 or a rounded-up fraction into the timestamp. */
static int dt_tm_to_ts_loose(const struct dt_tm *tm, int64_t *out)
{
    struct dt_tm t = *tm;
    int64_t extra = 0;
    if (t.hour == 24) {
        t.hour = 0;
        extra += SQL_DT_USECS_PER_DAY;
    }
    if (t.sec == 60) {
        t.sec = 0;
        extra += 60 * SQL_DT_USECS_PER_SEC;
    }
    extra += t.usec;
    t.usec = 0;
    int rc = dt_tm_to_ts(&t, out);
    if (rc != 0)
        return rc;
    *out += extra;
    return dt_ts_ok(*out) ? 0 : ERR_TOOBIG;
}

int sql_timestamp_parse(const char *s, size_t len, int64_t now_us, int64_t *out)
{
    struct dt_tm tm;
    enum dt_special special;
    bool has_zone;
    int zone_sec;
    int rc = dt_parse(s, len, now_us, &tm, &special, &has_zone, &zone_sec);
    if (rc != 0)
        return rc;
    if (special != DT_FINITE) {
        *out = special == DT_POS_INF ? SQL_TS_POS_INF : SQL_TS_NEG_INF;
        return 0;
    }
    return dt_tm_to_ts_loose(&tm, out);
}

int sql_date_parse(const char *s, size_t len, int64_t now_us, int32_t *out)
{
    struct dt_tm tm;
    enum dt_special special;
    bool has_zone;
    int zone_sec;
    int rc = dt_parse(s, len, now_us, &tm, &special, &has_zone, &zone_sec);
    if (rc != 0)
        return rc;
    if (special != DT_FINITE) {
        *out = special == DT_POS_INF ? SQL_DATE_POS_INF : SQL_DATE_NEG_INF;
        return 0;
    }
    if (tm.year < -5000000 || tm.year > 6000000)
        return ERR_TOOBIG;
    int64_t days = dt_days_from_civil(tm.year, tm.mon, tm.mday);
    if (!dt_date_ok(days))
        return ERR_TOOBIG;
    *out = (int32_t)days;
    return 0;
}

int sql_timestamptz_parse(const char *s, size_t len, int64_t now_us, int64_t *out, bool *has_zone)
{
    struct dt_tm tm;
    enum dt_special special;
    bool zone;
    int zone_sec;
    int rc = dt_parse(s, len, now_us, &tm, &special, &zone, &zone_sec);
    if (has_zone != NULL)
        *has_zone = zone;
    if (rc != 0)
        return rc;
    if (special != DT_FINITE) {
        *out = special == DT_POS_INF ? SQL_TS_POS_INF : SQL_TS_NEG_INF;
        return 0;
    }
    int64_t local;
    rc = dt_tm_to_ts_loose(&tm, &local);
    if (rc != 0)
        return rc;
    /* local time = UTC + offset */
    int64_t utc = local - (int64_t)zone_sec * SQL_DT_USECS_PER_SEC;
    if (!dt_ts_ok(utc))
        return ERR_TOOBIG;
    *out = utc;
    return 0;
}

/* "HH:MM[:SS[.f]]" with am/pm and a zone (for timetz), or a whole timestamp's time of day. */
static int dt_parse_time_of_day(const char *s, size_t len, int64_t *us, bool *has_zone,
                                int *zone_sec)
{
    char low[DT_INPUT_BYTES_MAX];
    *has_zone = false;
    *zone_sec = 0;
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof(low))
        return ERR_MALFORMED;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    if (len == 8 && memcmp(low, "allballs", 8) == 0) {
        *us = 0;
        return 0;
    }
    /* a date in front (digits then - or /, or a month name): read it all as a timestamp */
    size_t k = 0;
    while (k < len && isdigit((unsigned char)low[k]))
        k++;
    bool has_date = (k > 0 && k < len && (low[k] == '-' || low[k] == '/' || low[k] == '.')) ||
                    (k == 0 && isalpha((unsigned char)low[0]));
    struct dt_tm tm;
    memset(&tm, 0, sizeof(tm));
    int rc;
    if (has_date) {
        enum dt_special special;
        rc = dt_parse(s, len, 0, &tm, &special, has_zone, zone_sec);
        if (rc != 0)
            return rc;
        if (special != DT_FINITE)
            return ERR_MALFORMED;
    } else {
        struct dt_cur c = {low, len, 0};
        rc = dt_parse_time(&c, &tm);
        if (rc != 0)
            return rc;
        dt_skip_spaces(&c);
        if (!dt_at_end(&c)) {
            rc = dt_parse_zone(&c, zone_sec);
            if (rc != 0)
                return rc;
            *has_zone = true;
            dt_skip_spaces(&c);
            if (!dt_at_end(&c))
                return ERR_MALFORMED;
        }
    }
    *us = tm.hour * SQL_DT_USECS_PER_HOUR + (int64_t)tm.min * 60 * SQL_DT_USECS_PER_SEC +
          (int64_t)tm.sec * SQL_DT_USECS_PER_SEC + tm.usec;
    if (*us > SQL_DT_USECS_PER_DAY)
        return ERR_RANGE;
    return 0;
}

int sql_time_parse(const char *s, size_t len, int64_t *us)
{
    bool has_zone;
    int zone_sec;
    return dt_parse_time_of_day(s, len, us, &has_zone, &zone_sec);
}

int sql_timetz_parse(const char *s, size_t len, int64_t *us, int *zone_sec)
{
    bool has_zone;
    return dt_parse_time_of_day(s, len, us, &has_zone, zone_sec);
}

int64_t sql_dt_round_precision(int64_t us, int precision)
{
    static const int64_t scales[6] = {1000000, 100000, 10000, 1000, 100, 10};
    if (precision < 0 || precision >= 6)
        return us;
    int64_t sc = scales[precision], off = sc / 2;
    /* half away from zero, as PostgreSQL's AdjustTimestampForTypmod */
    if (us >= 0)
        return (us + off) / sc * sc;
    return -(((-us) + off) / sc * sc);
}

/* ---- interval input ---- */

/* Accumulates interval fields with PostgreSQL's fraction cascade. */
struct dt_iacc {
    int64_t months, days;
    double us; /* exact for the magnitudes that can fit an interval */
};

/* Adds frac (of a day) as microseconds. */
static void dt_frac_us(struct dt_iacc *a, double frac, double unit_us)
{
    a->us += rint(frac * unit_us);
}

/* Adds frac × scale days, whole days to days and the rest as time (AdjustFractDays). */
static void dt_frac_days(struct dt_iacc *a, double frac, double scale)
{
    double d = frac * scale;
    int64_t whole = (int64_t)d;
    a->days += whole;
    dt_frac_us(a, d - (double)whole, (double)SQL_DT_USECS_PER_DAY);
}

/* Adds value (with fraction) of unit u. Returns 0 or ERR_MALFORMED for a unit an interval has
 * no place for. */
static int dt_iacc_add(struct dt_iacc *a, double value, enum dt_unit u)
{
    double whole_d = trunc(value);
    double frac = value - whole_d;
    if (fabs(whole_d) > 9e15)
        return ERR_CONDITION;
    int64_t whole = (int64_t)whole_d;
    switch (u) {
    case DT_U_MICROSEC:
        a->us += rint(value);
        break;
    case DT_U_MILLISEC:
        a->us += rint(value * 1000);
        break;
    case DT_U_SECOND:
        a->us += rint(value * 1e6);
        break;
    case DT_U_MINUTE:
        a->us += (double)whole * 60e6;
        dt_frac_us(a, frac, 60e6);
        break;
    case DT_U_HOUR:
        a->us += (double)whole * 3600e6;
        dt_frac_us(a, frac, 3600e6);
        break;
    case DT_U_DAY:
        a->days += whole;
        dt_frac_us(a, frac, (double)SQL_DT_USECS_PER_DAY);
        break;
    case DT_U_WEEK:
        a->days += whole * 7;
        dt_frac_days(a, frac, 7);
        break;
    case DT_U_MONTH:
        a->months += whole;
        dt_frac_days(a, frac, DT_DAYS_PER_MONTH);
        break;
    case DT_U_YEAR:
        a->months += whole * 12 + (int64_t)rint(frac * 12);
        break;
    case DT_U_DECADE:
        a->months += whole * 120 + (int64_t)rint(frac * 120);
        break;
    case DT_U_CENTURY:
        a->months += whole * 1200 + (int64_t)rint(frac * 1200);
        break;
    case DT_U_MILLENNIUM:
        a->months += whole * 12000 + (int64_t)rint(frac * 12000);
        break;
    default:
        return ERR_MALFORMED;
    }
    if (llabs(a->months) > INT32_MAX || llabs(a->days) > INT32_MAX)
        return ERR_CONDITION;
    return 0;
}

/* Reads a signed decimal number ("-1.5", "+2", ".5"). */
static bool dt_read_number(struct dt_cur *c, double *v)
{
    size_t start = c->pos;
    if (dt_peek(c, 0) == '+' || dt_peek(c, 0) == '-')
        c->pos++;
    size_t digits = 0;
    while (isdigit((unsigned char)dt_peek(c, 0))) {
        c->pos++;
        digits++;
    }
    if (dt_peek(c, 0) == '.') {
        c->pos++;
        while (isdigit((unsigned char)dt_peek(c, 0))) {
            c->pos++;
            digits++;
        }
    }
    if (digits == 0 || c->pos - start > 60) {
        c->pos = start;
        return false;
    }
    char buf[64];
    memcpy(buf, c->s + start, c->pos - start);
    buf[c->pos - start] = '\0';
    *v = strtod(buf, NULL);
    return true;
}

/* ISO 8601 "P1Y2M3W4DT5H6M7.5S". */
static int dt_parse_iso_interval(struct dt_cur *c, struct dt_iacc *a)
{
    c->pos++; /* 'p' */
    bool time = false, any = false;
    while (!dt_at_end(c)) {
        if (dt_peek(c, 0) == 't') {
            if (time)
                return ERR_MALFORMED;
            time = true;
            c->pos++;
            continue;
        }
        double v;
        if (!dt_read_number(c, &v))
            return ERR_MALFORMED;
        char u = dt_peek(c, 0);
        c->pos++;
        enum dt_unit unit;
        switch (u) {
        case 'y':
            unit = time ? DT_U_NONE : DT_U_YEAR;
            break;
        case 'm':
            unit = time ? DT_U_MINUTE : DT_U_MONTH;
            break;
        case 'w':
            unit = time ? DT_U_NONE : DT_U_WEEK;
            break;
        case 'd':
            unit = time ? DT_U_NONE : DT_U_DAY;
            break;
        case 'h':
            unit = time ? DT_U_HOUR : DT_U_NONE;
            break;
        case 's':
            unit = time ? DT_U_SECOND : DT_U_NONE;
            break;
        default:
            unit = DT_U_NONE;
        }
        if (unit == DT_U_NONE)
            return ERR_MALFORMED;
        int rc = dt_iacc_add(a, v, unit);
        if (rc != 0)
            return rc;
        any = true;
    }
    return any ? 0 : ERR_MALFORMED;
}

/* "[-]h:mm[:ss[.f]]" or "[-]mm:ss.f"; adds it to a. */
static int dt_parse_interval_time(struct dt_cur *c, struct dt_iacc *a)
{
    bool neg = false;
    if (dt_peek(c, 0) == '+' || dt_peek(c, 0) == '-') {
        neg = dt_peek(c, 0) == '-';
        c->pos++;
    }
    int64_t f1, f2, f3 = 0;
    if (dt_read_digits(c, &f1) <= 0 || dt_peek(c, 0) != ':')
        return ERR_MALFORMED;
    c->pos++;
    if (dt_read_digits(c, &f2) <= 0)
        return ERR_MALFORMED;
    int32_t usec = 0;
    double us;
    if (dt_peek(c, 0) == ':') {
        c->pos++;
        if (dt_read_digits(c, &f3) <= 0)
            return ERR_MALFORMED;
        dt_read_fraction(c, &usec);
        if (f2 > 59 || f3 > 60)
            return ERR_CONDITION;
        us = (double)f1 * 3600e6 + (double)f2 * 60e6 + (double)f3 * 1e6 + usec;
    } else if (dt_peek(c, 0) == '.') {
        /* minutes:seconds.fraction */
        dt_read_fraction(c, &usec);
        if (f2 > 60)
            return ERR_CONDITION;
        us = (double)f1 * 60e6 + (double)f2 * 1e6 + usec;
    } else {
        if (f2 > 59)
            return ERR_CONDITION;
        us = (double)f1 * 3600e6 + (double)f2 * 60e6;
    }
    a->us += neg ? -us : us;
    return 0;
}

int sql_interval_parse(const char *s, size_t len, struct sql_interval *out)
{
    char low[DT_INPUT_BYTES_MAX];
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof(low))
        return ERR_MALFORMED;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    struct dt_cur c = {low, len, 0};
    struct dt_iacc a = {0, 0, 0};
    bool ago = false;
    int rc = 0;
    if (low[0] == 'p') {
        rc = dt_parse_iso_interval(&c, &a);
    } else {
        if (low[0] == '@')
            c.pos++;
        int fields = 0;
        for (;;) {
            dt_skip_spaces(&c);
            if (dt_at_end(&c))
                break;
            if (ago)
                return ERR_MALFORMED; /* "ago" must come last */
            /* a time field? look past a sign and digits for ':' */
            size_t k = c.pos;
            if (low[k] == '+' || low[k] == '-')
                k++;
            while (k < len && isdigit((unsigned char)low[k]))
                k++;
            if (k < len && low[k] == ':' && k > c.pos) {
                rc = dt_parse_interval_time(&c, &a);
                if (rc != 0)
                    return rc;
                fields++;
                continue;
            }
            if (isalpha((unsigned char)low[c.pos])) {
                const char *w;
                size_t wn = dt_read_word(&c, &w);
                if (dt_word_is(w, wn, "ago") && fields > 0) {
                    ago = true;
                    continue;
                }
                return ERR_MALFORMED;
            }
            double v;
            if (!dt_read_number(&c, &v))
                return ERR_MALFORMED;
            /* the unit, attached or after blanks; none means seconds */
            size_t save = c.pos;
            dt_skip_spaces(&c);
            enum dt_unit u = DT_U_SECOND;
            if (isalpha((unsigned char)dt_peek(&c, 0))) {
                const char *w;
                size_t wn = dt_read_word(&c, &w);
                if (dt_word_is(w, wn, "ago")) {
                    c.pos = save;
                } else {
                    u = dt_unit_lookup(w, wn);
                    if (u == DT_U_NONE || u > DT_U_MILLENNIUM || u == DT_U_QUARTER)
                        return ERR_MALFORMED;
                }
            } else {
                c.pos = save;
            }
            rc = dt_iacc_add(&a, v, u);
            if (rc != 0)
                return rc;
            fields++;
        }
        if (fields == 0)
            return ERR_MALFORMED;
    }
    if (rc != 0)
        return rc;
    if (ago) {
        a.months = -a.months;
        a.days = -a.days;
        a.us = -a.us;
    }
    if (llabs(a.months) > INT32_MAX || llabs(a.days) > INT32_MAX)
        return ERR_CONDITION;
    if (!(fabs(a.us) < 9.2e18))
        return ERR_TOOBIG;
    out->months = (int32_t)a.months;
    out->days = (int32_t)a.days;
    out->us = (int64_t)a.us;
    return 0;
}

/* ---- classification of stored text ---- */

static bool dt_digits_at(const char *s, size_t len, size_t pos, size_t n)
{
    if (pos + n > len)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[pos + i]))
            return false;
    }
    return true;
}

enum sql_dt_kind sql_dt_classify(const char *s, size_t len)
{
    /* YYYY-MM-DD with 4 or more year digits */
    size_t y = 0;
    while (y < len && isdigit((unsigned char)s[y]))
        y++;
    if (y >= 4 && y + 6 <= len && s[y] == '-' && dt_digits_at(s, len, y + 1, 2) &&
        s[y + 3] == '-' && dt_digits_at(s, len, y + 4, 2)) {
        size_t p = y + 6;
        if (p == len || (len - p == 3 && memcmp(s + p, " BC", 3) == 0))
            return SQL_DT_DATE;
        if ((s[p] == ' ' || s[p] == 'T') && dt_digits_at(s, len, p + 1, 2) && p + 3 < len &&
            s[p + 3] == ':')
            return SQL_DT_TIMESTAMP;
        return SQL_DT_NONE;
    }
    /* An interval: its words and times, never a bare number (that is a numeric). */
    bool has_alpha_or_colon = false;
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)s[i]) || s[i] == ':') {
            has_alpha_or_colon = true;
            break;
        }
    }
    struct sql_interval iv;
    if (has_alpha_or_colon && sql_interval_parse(s, len, &iv) == 0)
        return SQL_DT_INTERVAL;
    return SQL_DT_NONE;
}

/* ---- output ---- */

static size_t dt_format_ymd(char *out, int64_t y, int m, int d, bool *bc)
{
    *bc = y <= 0;
    return (size_t)sprintf(out, "%04lld-%02d-%02d", (long long)(*bc ? 1 - y : y), m, d);
}

size_t sql_date_format(int32_t d, char *out)
{
    if (d == SQL_DATE_POS_INF)
        return (size_t)sprintf(out, "infinity");
    if (d == SQL_DATE_NEG_INF)
        return (size_t)sprintf(out, "-infinity");
    int64_t y;
    int m, dd;
    bool bc;
    dt_civil_from_days(d, &y, &m, &dd);
    size_t n = dt_format_ymd(out, y, m, dd, &bc);
    if (bc)
        n += (size_t)sprintf(out + n, " BC");
    return n;
}

/* ":SS[.ffffff]" seconds with trailing fractional zeros dropped (PostgreSQL's AppendSeconds). */
static size_t dt_format_seconds(char *out, int sec, int32_t usec)
{
    size_t n = (size_t)sprintf(out, "%02d", sec);
    if (usec != 0) {
        n += (size_t)sprintf(out + n, ".%06d", (int)usec);
        while (out[n - 1] == '0')
            n--;
        out[n] = '\0';
    }
    return n;
}

size_t sql_timestamp_format(int64_t ts, char *out)
{
    if (ts == SQL_TS_POS_INF)
        return (size_t)sprintf(out, "infinity");
    if (ts == SQL_TS_NEG_INF)
        return (size_t)sprintf(out, "-infinity");
    struct dt_tm tm;
    dt_ts_to_tm(ts, &tm);
    bool bc;
    size_t n = dt_format_ymd(out, tm.year, tm.mon, tm.mday, &bc);
    n += (size_t)sprintf(out + n, " %02d:%02d:", tm.hour, tm.min);
    n += dt_format_seconds(out + n, tm.sec, tm.usec);
    if (bc)
        n += (size_t)sprintf(out + n, " BC");
    return n;
}

size_t sql_timestamptz_format(int64_t ts, char *out)
{
    if (ts == SQL_TS_POS_INF || ts == SQL_TS_NEG_INF)
        return sql_timestamp_format(ts, out);
    size_t n = sql_timestamp_format(ts, out);
    /* the zone goes before a BC suffix, as PostgreSQL prints it */
    if (n > 3 && memcmp(out + n - 3, " BC", 3) == 0) {
        memcpy(out + n - 3, "+00 BC", 7);
        return n + 3;
    }
    memcpy(out + n, "+00", 4);
    return n + 3;
}

size_t sql_time_format(int64_t us, char *out)
{
    int64_t h = us / SQL_DT_USECS_PER_HOUR;
    us -= h * SQL_DT_USECS_PER_HOUR;
    int64_t m = us / (60 * SQL_DT_USECS_PER_SEC);
    us -= m * 60 * SQL_DT_USECS_PER_SEC;
    size_t n = (size_t)sprintf(out, "%02lld:%02lld:", (long long)h, (long long)m);
    return n + dt_format_seconds(out + n, (int)(us / SQL_DT_USECS_PER_SEC),
                                 (int32_t)(us % SQL_DT_USECS_PER_SEC));
}

size_t sql_timetz_format(int64_t us, int zone_sec, char *out)
{
    size_t n = sql_time_format(us, out);
    int a = zone_sec < 0 ? -zone_sec : zone_sec;
    n += (size_t)sprintf(out + n, "%c%02d", zone_sec < 0 ? '-' : '+', a / 3600);
    if (a % 3600 != 0)
        n += (size_t)sprintf(out + n, ":%02d", a / 60 % 60);
    if (a % 60 != 0)
        n += (size_t)sprintf(out + n, ":%02d", a % 60);
    return n;
}

/* One "N unit(s)" part of the postgres interval style. is_before: the previous part was
 * negative, so a positive part gets an explicit '+'. */
static size_t dt_interval_part(char *out, int64_t value, const char *unit, bool *is_zero,
                               bool *is_before)
{
    if (value == 0)
        return 0;
    size_t n = (size_t)sprintf(out, "%s%s%lld %s%s", *is_zero ? "" : " ",
                               (*is_before && value > 0) ? "+" : "", (long long)value, unit,
                               value != 1 ? "s" : "");
    *is_before = value < 0;
    *is_zero = false;
    return n;
}

size_t sql_interval_format(const struct sql_interval *iv, char *out)
{
    bool is_zero = true, is_before = false;
    size_t n = 0;
    n += dt_interval_part(out + n, iv->months / 12, "year", &is_zero, &is_before);
    n += dt_interval_part(out + n, iv->months % 12, "mon", &is_zero, &is_before);
    n += dt_interval_part(out + n, iv->days, "day", &is_zero, &is_before);
    int64_t t = iv->us;
    int64_t hour = t / SQL_DT_USECS_PER_HOUR;
    t -= hour * SQL_DT_USECS_PER_HOUR;
    int64_t min = t / (60 * SQL_DT_USECS_PER_SEC);
    t -= min * 60 * SQL_DT_USECS_PER_SEC;
    int64_t sec = t / SQL_DT_USECS_PER_SEC;
    int64_t usec = t - sec * SQL_DT_USECS_PER_SEC;
    if (is_zero || iv->us != 0) {
        bool minus = iv->us < 0;
        n += (size_t)sprintf(out + n, "%s%s%02lld:%02lld:", is_zero ? "" : " ",
                             minus ? "-" : (is_before ? "+" : ""), llabs(hour), llabs(min));
        n += dt_format_seconds(out + n, (int)llabs(sec), (int32_t)llabs(usec));
    }
    out[n] = '\0';
    return n;
}

int64_t sql_timestamp_from_unix_us(int64_t unix_us)
{
    return unix_us + DT_UNIX_EPOCH_US;
}

int64_t sql_timestamp_to_unix_us(int64_t ts)
{
    return ts - DT_UNIX_EPOCH_US;
}

/* ---- arithmetic ---- */

static bool dt_add_overflows(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_add_overflow(a, b, r);
}

int sql_date_add_days(int32_t d, int64_t days, int32_t *out)
{
    if (d == SQL_DATE_POS_INF || d == SQL_DATE_NEG_INF) {
        *out = d;
        return 0;
    }
    int64_t r = (int64_t)d + days;
    if (days > INT32_MAX || days < INT32_MIN || !dt_date_ok(r))
        return ERR_TOOBIG;
    *out = (int32_t)r;
    return 0;
}

int sql_date_diff(int32_t d1, int32_t d2, int32_t *out)
{
    if (d1 == SQL_DATE_POS_INF || d1 == SQL_DATE_NEG_INF || d2 == SQL_DATE_POS_INF ||
        d2 == SQL_DATE_NEG_INF)
        return ERR_CONFLICT;
    *out = d1 - d2; /* both within the date range: no overflow */
    return 0;
}

int64_t sql_date_to_timestamp(int32_t d)
{
    if (d == SQL_DATE_POS_INF)
        return SQL_TS_POS_INF;
    if (d == SQL_DATE_NEG_INF)
        return SQL_TS_NEG_INF;
    /* Dates past the timestamp range (beyond 294276 AD) saturate just past it, where any
     * arithmetic reports "timestamp out of range"; they do not wrap. */
    if (d > DT_TS_DAYS_MAX)
        return (int64_t)(DT_TS_DAYS_MAX + 1) * SQL_DT_USECS_PER_DAY;
    return (int64_t)d * SQL_DT_USECS_PER_DAY;
}

int sql_timestamp_to_date(int64_t ts, int32_t *out)
{
    if (ts == SQL_TS_POS_INF) {
        *out = SQL_DATE_POS_INF;
        return 0;
    }
    if (ts == SQL_TS_NEG_INF) {
        *out = SQL_DATE_NEG_INF;
        return 0;
    }
    *out = (int32_t)dt_floor_div(ts, SQL_DT_USECS_PER_DAY);
    return 0;
}

int sql_timestamp_add_interval(int64_t ts, const struct sql_interval *iv, int64_t *out)
{
    if (ts == SQL_TS_POS_INF || ts == SQL_TS_NEG_INF) {
        *out = ts;
        return 0;
    }
    if (!dt_ts_ok(ts))
        return ERR_TOOBIG;
    if (iv->months != 0) {
        struct dt_tm tm;
        dt_ts_to_tm(ts, &tm);
        int64_t m = (int64_t)tm.mon - 1 + iv->months;
        tm.year += dt_floor_div(m, 12);
        tm.mon = (int)(m - dt_floor_div(m, 12) * 12) + 1;
        int dim = dt_days_in_month(tm.year, tm.mon);
        if (tm.mday > dim)
            tm.mday = dim;
        int rc = dt_tm_to_ts(&tm, &ts);
        if (rc != 0)
            return rc;
    }
    if (iv->days != 0) {
        int64_t r = ts + (int64_t)iv->days * SQL_DT_USECS_PER_DAY;
        if (!dt_ts_ok(r))
            return ERR_TOOBIG;
        ts = r;
    }
    int64_t r;
    if (dt_add_overflows(ts, iv->us, &r) || !dt_ts_ok(r))
        return ERR_TOOBIG;
    *out = r;
    return 0;
}

int sql_timestamp_sub_interval(int64_t ts, const struct sql_interval *iv, int64_t *out)
{
    struct sql_interval neg;
    int rc = sql_interval_neg(iv, &neg);
    if (rc != 0)
        return rc;
    return sql_timestamp_add_interval(ts, &neg, out);
}

void sql_interval_justify_hours(struct sql_interval *iv)
{
    int64_t whole = iv->us / SQL_DT_USECS_PER_DAY;
    iv->us -= whole * SQL_DT_USECS_PER_DAY;
    iv->days += (int32_t)whole;
    if (iv->days > 0 && iv->us < 0) {
        iv->us += SQL_DT_USECS_PER_DAY;
        iv->days--;
    } else if (iv->days < 0 && iv->us > 0) {
        iv->us -= SQL_DT_USECS_PER_DAY;
        iv->days++;
    }
}

void sql_interval_justify_days(struct sql_interval *iv)
{
    int32_t whole = iv->days / DT_DAYS_PER_MONTH;
    iv->days -= whole * DT_DAYS_PER_MONTH;
    iv->months += whole;
    if (iv->months > 0 && iv->days < 0) {
        iv->days += DT_DAYS_PER_MONTH;
        iv->months--;
    } else if (iv->months < 0 && iv->days > 0) {
        iv->days -= DT_DAYS_PER_MONTH;
        iv->months++;
    }
}

void sql_interval_justify_interval(struct sql_interval *iv)
{
    int64_t wholeday = iv->us / SQL_DT_USECS_PER_DAY;
    iv->us -= wholeday * SQL_DT_USECS_PER_DAY;
    iv->days += (int32_t)wholeday;
    int32_t wholemonth = iv->days / DT_DAYS_PER_MONTH;
    iv->days -= wholemonth * DT_DAYS_PER_MONTH;
    iv->months += wholemonth;
    if (iv->months > 0 && (iv->days < 0 || (iv->days == 0 && iv->us < 0))) {
        iv->days += DT_DAYS_PER_MONTH;
        iv->months--;
    } else if (iv->months < 0 && (iv->days > 0 || (iv->days == 0 && iv->us > 0))) {
        iv->days -= DT_DAYS_PER_MONTH;
        iv->months++;
    }
    if (iv->days > 0 && iv->us < 0) {
        iv->us += SQL_DT_USECS_PER_DAY;
        iv->days--;
    } else if (iv->days < 0 && iv->us > 0) {
        iv->us -= SQL_DT_USECS_PER_DAY;
        iv->days++;
    }
}

int sql_timestamp_diff(int64_t a, int64_t b, struct sql_interval *out)
{
    if (a == SQL_TS_POS_INF || a == SQL_TS_NEG_INF || b == SQL_TS_POS_INF || b == SQL_TS_NEG_INF)
        return ERR_CONFLICT;
    struct sql_interval r = {0, 0, 0};
    if (__builtin_sub_overflow(a, b, &r.us))
        return ERR_TOOBIG;
    sql_interval_justify_hours(&r);
    *out = r;
    return 0;
}

int sql_interval_add(const struct sql_interval *a, const struct sql_interval *b,
                     struct sql_interval *out)
{
    struct sql_interval r;
    if (__builtin_add_overflow(a->months, b->months, &r.months) ||
        __builtin_add_overflow(a->days, b->days, &r.days) ||
        __builtin_add_overflow(a->us, b->us, &r.us))
        return ERR_TOOBIG;
    *out = r;
    return 0;
}

int sql_interval_neg(const struct sql_interval *a, struct sql_interval *out)
{
    if (a->months == INT32_MIN || a->days == INT32_MIN || a->us == INT64_MIN)
        return ERR_TOOBIG;
    out->months = -a->months;
    out->days = -a->days;
    out->us = -a->us;
    return 0;
}

int sql_interval_sub(const struct sql_interval *a, const struct sql_interval *b,
                     struct sql_interval *out)
{
    struct sql_interval r;
    if (__builtin_sub_overflow(a->months, b->months, &r.months) ||
        __builtin_sub_overflow(a->days, b->days, &r.days) ||
        __builtin_sub_overflow(a->us, b->us, &r.us))
        return ERR_TOOBIG;
    *out = r;
    return 0;
}

/* PostgreSQL's TSROUND: rounds to microsecond precision to mask binary fractions. */
static double dt_tsround(double x)
{
    return rint(x * 1e6) / 1e6;
}

/* interval_mul / interval_div: whole months and days scale, their fractions cascade down. */
static int dt_interval_scale(double months_f, double days_f, double time_f,
                             struct sql_interval *out)
{
    if (isnan(months_f) || fabs(months_f) > INT32_MAX || fabs(days_f) > INT32_MAX)
        return ERR_TOOBIG;
    struct sql_interval r;
    r.months = (int32_t)months_f;
    r.days = (int32_t)days_f;
    double month_remainder_days = dt_tsround((months_f - r.months) * DT_DAYS_PER_MONTH);
    double sec_remainder = dt_tsround(
        (days_f - r.days + month_remainder_days - (int)month_remainder_days) * DT_SECS_PER_DAY);
    if (fabs(sec_remainder) >= DT_SECS_PER_DAY) {
        r.days += (int)(sec_remainder / DT_SECS_PER_DAY);
        sec_remainder -= (int)(sec_remainder / DT_SECS_PER_DAY) * DT_SECS_PER_DAY;
    }
    r.days += (int32_t)month_remainder_days;
    double t = rint(time_f + sec_remainder * 1e6);
    if (isnan(t) || !(t > -9.2e18 && t < 9.2e18))
        return ERR_TOOBIG;
    r.us = (int64_t)t;
    *out = r;
    return 0;
}

int sql_interval_mul(const struct sql_interval *a, double factor, struct sql_interval *out)
{
    return dt_interval_scale(a->months * factor, a->days * factor, (double)a->us * factor, out);
}

int sql_interval_div(const struct sql_interval *a, double divisor, struct sql_interval *out)
{
    if (divisor == 0.0)
        return ERR_INVAL;
    return dt_interval_scale(a->months / divisor, a->days / divisor, (double)a->us / divisor, out);
}

int sql_interval_cmp(const struct sql_interval *a, const struct sql_interval *b)
{
    __int128 sa =
        ((__int128)a->months * DT_DAYS_PER_MONTH + a->days) * SQL_DT_USECS_PER_DAY + a->us;
    __int128 sb =
        ((__int128)b->months * DT_DAYS_PER_MONTH + b->days) * SQL_DT_USECS_PER_DAY + b->us;
    return sa < sb ? -1 : sa > sb;
}

int sql_timestamp_age(int64_t a, int64_t b, struct sql_interval *out)
{
    if (a == SQL_TS_POS_INF || a == SQL_TS_NEG_INF || b == SQL_TS_POS_INF || b == SQL_TS_NEG_INF)
        return ERR_TOOBIG;
    struct dt_tm t1, t2;
    dt_ts_to_tm(a, &t1);
    dt_ts_to_tm(b, &t2);
    /* the symbolic difference, field by field, then borrow upward (timestamp_age) */
    int64_t usec = t1.usec - t2.usec;
    int64_t sec = t1.sec - t2.sec, min = t1.min - t2.min, hour = t1.hour - t2.hour;
    int64_t mday = t1.mday - t2.mday, mon = t1.mon - t2.mon, year = t1.year - t2.year;
    bool flip = a < b;
    if (flip) {
        usec = -usec, sec = -sec, min = -min, hour = -hour;
        mday = -mday, mon = -mon, year = -year;
    }
    while (usec < 0) {
        usec += SQL_DT_USECS_PER_SEC;
        sec--;
    }
    while (sec < 0) {
        sec += 60;
        min--;
    }
    while (min < 0) {
        min += 60;
        hour--;
    }
    while (hour < 0) {
        hour += 24;
        mday--;
    }
    while (mday < 0) {
        const struct dt_tm *ref = flip ? &t1 : &t2;
        mday += dt_days_in_month(ref->year, ref->mon);
        mon--;
    }
    while (mon < 0) {
        mon += 12;
        year--;
    }
    if (flip) {
        usec = -usec, sec = -sec, min = -min, hour = -hour;
        mday = -mday, mon = -mon, year = -year;
    }
    int64_t months = year * 12 + mon;
    if (llabs(months) > INT32_MAX)
        return ERR_TOOBIG;
    out->months = (int32_t)months;
    out->days = (int32_t)mday;
    out->us = ((hour * 60 + min) * 60 + sec) * SQL_DT_USECS_PER_SEC + usec;
    return 0;
}

/* ---- date_trunc ---- */

int sql_timestamp_trunc(const char *unit, size_t unit_len, int64_t ts, int64_t *out)
{
    enum dt_unit u = dt_unit_lookup(unit, unit_len);
    /* dow, epoch and the like are not truncation units at all */
    if (u == DT_U_NONE || (u >= DT_U_DOW && u <= DT_U_ISOYEAR))
        return ERR_INVAL;
    if (ts == SQL_TS_POS_INF || ts == SQL_TS_NEG_INF) {
        *out = ts;
        return 0;
    }
    struct dt_tm tm;
    dt_ts_to_tm(ts, &tm);
    switch (u) {
    case DT_U_WEEK: {
        int64_t days = dt_floor_div(ts, SQL_DT_USECS_PER_DAY);
        int isodow = dt_dow(days) == 0 ? 7 : dt_dow(days);
        days -= isodow - 1;
        *out = days * SQL_DT_USECS_PER_DAY;
        return dt_ts_ok(*out) ? 0 : ERR_TOOBIG;
    }
    case DT_U_MILLENNIUM:
        tm.year = tm.year > 0 ? ((tm.year + 999) / 1000) * 1000 - 999
                              : -((999 - (tm.year - 1)) / 1000) * 1000 + 1;
        goto year;
    case DT_U_CENTURY:
        tm.year = tm.year > 0 ? ((tm.year + 99) / 100) * 100 - 99
                              : -((99 - (tm.year - 1)) / 100) * 100 + 1;
        goto year;
    case DT_U_DECADE:
        tm.year = tm.year > 0 ? (tm.year / 10) * 10 : -((8 - (tm.year - 1)) / 10) * 10;
        goto year;
    case DT_U_YEAR:
    year:
        tm.mon = 1;
        /* fall through */
    case DT_U_QUARTER:
        tm.mon = 3 * ((tm.mon - 1) / 3) + 1;
        /* fall through */
    case DT_U_MONTH:
        tm.mday = 1;
        /* fall through */
    case DT_U_DAY:
        tm.hour = 0;
        /* fall through */
    case DT_U_HOUR:
        tm.min = 0;
        /* fall through */
    case DT_U_MINUTE:
        tm.sec = 0;
        /* fall through */
    case DT_U_SECOND:
        tm.usec = 0;
        break;
    case DT_U_MILLISEC:
        tm.usec = (tm.usec / 1000) * 1000;
        break;
    case DT_U_MICROSEC:
        break;
    default:
        return ERR_UNSUPPORTED;
    }
    return dt_tm_to_ts(&tm, out);
}

int sql_interval_trunc(const char *unit, size_t unit_len, const struct sql_interval *iv,
                       struct sql_interval *out)
{
    enum dt_unit u = dt_unit_lookup(unit, unit_len);
    if (u == DT_U_NONE || (u >= DT_U_DOW && u <= DT_U_ISOYEAR))
        return ERR_INVAL;
    int64_t year = iv->months / 12, mon = iv->months % 12, mday = iv->days;
    int64_t t = iv->us;
    int64_t hour = t / SQL_DT_USECS_PER_HOUR;
    t -= hour * SQL_DT_USECS_PER_HOUR;
    int64_t min = t / (60 * SQL_DT_USECS_PER_SEC);
    t -= min * 60 * SQL_DT_USECS_PER_SEC;
    int64_t sec = t / SQL_DT_USECS_PER_SEC;
    int64_t usec = t - sec * SQL_DT_USECS_PER_SEC;
    switch (u) {
    case DT_U_MILLENNIUM:
        year = (year / 1000) * 1000;
        /* fall through */
    case DT_U_CENTURY:
        year = (year / 100) * 100;
        /* fall through */
    case DT_U_DECADE:
        year = (year / 10) * 10;
        /* fall through */
    case DT_U_YEAR:
        mon = 0;
        /* fall through */
    case DT_U_QUARTER:
        mon = 3 * (mon / 3);
        /* fall through */
    case DT_U_MONTH:
        mday = 0;
        /* fall through */
    case DT_U_DAY:
        hour = 0;
        /* fall through */
    case DT_U_HOUR:
        min = 0;
        /* fall through */
    case DT_U_MINUTE:
        sec = 0;
        /* fall through */
    case DT_U_SECOND:
        usec = 0;
        break;
    case DT_U_MILLISEC:
        usec = (usec / 1000) * 1000;
        break;
    case DT_U_MICROSEC:
        break;
    default:
        return ERR_UNSUPPORTED;
    }
    out->months = (int32_t)(year * 12 + mon);
    out->days = (int32_t)mday;
    out->us = ((hour * 60 + min) * 60 + sec) * SQL_DT_USECS_PER_SEC + usec;
    return 0;
}

/* ---- extract ---- */

/* PostgreSQL's year numbering for output: 1 BC is -1. */
static int64_t dt_display_year(int64_t astro)
{
    return astro > 0 ? astro : astro - 1;
}

/* The date-level fields shared by date and timestamp extract; 1 if handled. */
static int dt_extract_date_unit(enum dt_unit u, int64_t days, int64_t *v)
{
    int64_t y;
    int m, d;
    dt_civil_from_days(days, &y, &m, &d);
    switch (u) {
    case DT_U_DAY:
        *v = d;
        return 1;
    case DT_U_MONTH:
        *v = m;
        return 1;
    case DT_U_QUARTER:
        *v = (m - 1) / 3 + 1;
        return 1;
    case DT_U_WEEK: {
        int64_t iy;
        int w;
        dt_iso_week(days, &iy, &w);
        *v = w;
        return 1;
    }
    case DT_U_YEAR:
        *v = dt_display_year(y);
        return 1;
    case DT_U_DECADE:
        *v = y >= 0 ? y / 10 : -((8 - (y - 1)) / 10);
        return 1;
    case DT_U_CENTURY:
        *v = y > 0 ? (y + 99) / 100 : -((99 - (y - 1)) / 100);
        return 1;
    case DT_U_MILLENNIUM:
        *v = y > 0 ? (y + 999) / 1000 : -((999 - (y - 1)) / 1000);
        return 1;
    case DT_U_ISOYEAR: {
        int64_t iy;
        int w;
        dt_iso_week(days, &iy, &w);
        *v = iy <= 0 ? iy - 1 : iy;
        return 1;
    }
    case DT_U_DOW:
        *v = dt_dow(days);
        return 1;
    case DT_U_ISODOW:
        *v = dt_dow(days) == 0 ? 7 : dt_dow(days);
        return 1;
    case DT_U_DOY:
        *v = dt_doy(y, m, d);
        return 1;
    default:
        return 0;
    }
}

int sql_timestamp_extract(const char *unit, size_t unit_len, int64_t ts, struct sql_numeric *out)
{
    enum dt_unit u = dt_unit_lookup(unit, unit_len);
    if (u == DT_U_NONE)
        return ERR_INVAL;
    if (u == DT_U_TIMEZONE || u == DT_U_TIMEZONE_H || u == DT_U_TIMEZONE_M)
        return ERR_UNSUPPORTED;
    if (ts == SQL_TS_POS_INF || ts == SQL_TS_NEG_INF) {
        /* PostgreSQL gives +-Infinity for the units that grow with time (and NULL for the
         * others, which Cairn cannot express here: it gives the infinity too). */
        int rc = sql_numeric_parse(ts > 0 ? "Infinity" : "-Infinity", ts > 0 ? 8 : 9, out);
        ASSERT(rc == 0);
        return 0;
    }
    int64_t days = dt_floor_div(ts, SQL_DT_USECS_PER_DAY);
    int64_t tod = ts - days * SQL_DT_USECS_PER_DAY;
    int64_t v;
    if (dt_extract_date_unit(u, days, &v)) {
        sql_numeric_from_i64(v, out);
        return 0;
    }
    int64_t sec_us = tod % (60 * SQL_DT_USECS_PER_SEC);
    switch (u) {
    case DT_U_MICROSEC:
        sql_numeric_from_i64(sec_us, out);
        return 0;
    case DT_U_MILLISEC:
        sql_numeric_from_i64_scaled(sec_us, 3, out);
        return 0;
    case DT_U_SECOND:
        sql_numeric_from_i64_scaled(sec_us, 6, out);
        return 0;
    case DT_U_MINUTE:
        sql_numeric_from_i64(tod / (60 * SQL_DT_USECS_PER_SEC) % 60, out);
        return 0;
    case DT_U_HOUR:
        sql_numeric_from_i64(tod / SQL_DT_USECS_PER_HOUR, out);
        return 0;
    case DT_U_EPOCH:
        sql_numeric_from_i64_scaled(ts - DT_UNIX_EPOCH_US, 6, out);
        return 0;
    case DT_U_JULIAN: {
        struct sql_numeric frac, per_day;
        sql_numeric_from_i64(tod, &frac);
        sql_numeric_from_i64(SQL_DT_USECS_PER_DAY, &per_day);
        int rc = sql_numeric_div(&frac, &per_day, &frac);
        if (rc != 0)
            return rc;
        sql_numeric_from_i64(days + DT_JULIAN_OF_2000, out);
        return sql_numeric_add(out, &frac, out);
    }
    default:
        return ERR_UNSUPPORTED;
    }
}

int sql_date_extract(const char *unit, size_t unit_len, int32_t d, struct sql_numeric *out)
{
    enum dt_unit u = dt_unit_lookup(unit, unit_len);
    if (u == DT_U_NONE)
        return ERR_INVAL;
    if (d == SQL_DATE_POS_INF || d == SQL_DATE_NEG_INF) {
        int rc = sql_numeric_parse(d > 0 ? "Infinity" : "-Infinity", d > 0 ? 8 : 9, out);
        ASSERT(rc == 0);
        return 0;
    }
    int64_t v;
    if (dt_extract_date_unit(u, d, &v)) {
        sql_numeric_from_i64(v, out);
        return 0;
    }
    if (u == DT_U_JULIAN) {
        sql_numeric_from_i64((int64_t)d + DT_JULIAN_OF_2000, out);
        return 0;
    }
    if (u == DT_U_EPOCH) {
        sql_numeric_from_i64(((int64_t)d - DT_UNIX_EPOCH_DAYS) * DT_SECS_PER_DAY, out);
        return 0;
    }
    return ERR_UNSUPPORTED;
}

int sql_interval_extract(const char *unit, size_t unit_len, const struct sql_interval *iv,
                         struct sql_numeric *out)
{
    enum dt_unit u = dt_unit_lookup(unit, unit_len);
    if (u == DT_U_NONE)
        return ERR_INVAL;
    int64_t year = iv->months / 12, mon = iv->months % 12;
    int64_t t = iv->us;
    int64_t hour = t / SQL_DT_USECS_PER_HOUR;
    t -= hour * SQL_DT_USECS_PER_HOUR;
    int64_t min = t / (60 * SQL_DT_USECS_PER_SEC);
    int64_t sec_us = t - min * 60 * SQL_DT_USECS_PER_SEC;
    switch (u) {
    case DT_U_MICROSEC:
        sql_numeric_from_i64(sec_us, out);
        return 0;
    case DT_U_MILLISEC:
        sql_numeric_from_i64_scaled(sec_us, 3, out);
        return 0;
    case DT_U_SECOND:
        sql_numeric_from_i64_scaled(sec_us, 6, out);
        return 0;
    case DT_U_MINUTE:
        sql_numeric_from_i64(min, out);
        return 0;
    case DT_U_HOUR:
        sql_numeric_from_i64(hour, out);
        return 0;
    case DT_U_DAY:
        sql_numeric_from_i64(iv->days, out);
        return 0;
    case DT_U_MONTH:
        sql_numeric_from_i64(mon, out);
        return 0;
    case DT_U_QUARTER:
        sql_numeric_from_i64(mon / 3 + 1, out);
        return 0;
    case DT_U_YEAR:
        sql_numeric_from_i64(year, out);
        return 0;
    case DT_U_DECADE:
        sql_numeric_from_i64(year / 10, out);
        return 0;
    case DT_U_CENTURY:
        sql_numeric_from_i64(year / 100, out);
        return 0;
    case DT_U_MILLENNIUM:
        sql_numeric_from_i64(year / 1000, out);
        return 0;
    case DT_U_EPOCH: {
        /* a year is 365.25 days, a month 30 (PostgreSQL's interval_part) */
        __int128 secs = (__int128)31557600 * year +
                        (__int128)DT_DAYS_PER_MONTH * DT_SECS_PER_DAY * mon +
                        (__int128)DT_SECS_PER_DAY * iv->days;
        __int128 v = secs * SQL_DT_USECS_PER_SEC + iv->us;
        if (v > INT64_MAX || v < INT64_MIN) {
            /* beyond 64 bits: go through numeric arithmetic */
            struct sql_numeric a, b;
            sql_numeric_from_i64((int64_t)secs, &a);
            sql_numeric_from_i64_scaled(iv->us, 6, &b);
            return sql_numeric_add(&a, &b, out);
        }
        sql_numeric_from_i64_scaled((int64_t)v, 6, out);
        return 0;
    }
    default:
        return ERR_UNSUPPORTED;
    }
}

/* ---- make_* ---- */

int sql_make_date(int64_t year, int64_t month, int64_t day, int32_t *out)
{
    if (year == 0 || month < 1 || month > 12 || day < 1 || year > 6000000 || year < -6000000)
        return ERR_RANGE;
    int64_t y = year < 0 ? year + 1 : year;
    if (day > dt_days_in_month(y, (int)month))
        return ERR_RANGE;
    int64_t days = dt_days_from_civil(y, (int)month, (int)day);
    if (!dt_date_ok(days))
        return ERR_TOOBIG;
    *out = (int32_t)days;
    return 0;
}

int sql_make_timestamp(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min,
                       double sec, int64_t *out)
{
    int32_t d;
    int rc = sql_make_date(year, month, day, &d);
    if (rc != 0)
        return rc;
    if (hour < 0 || hour > 24 || min < 0 || min > 59 || !(sec >= 0 && sec <= 60))
        return ERR_RANGE;
    int64_t us = (int64_t)rint(sec * 1e6);
    if (hour == 24 && (min != 0 || us != 0))
        return ERR_RANGE;
    int64_t ts = (int64_t)d * SQL_DT_USECS_PER_DAY + hour * SQL_DT_USECS_PER_HOUR +
                 min * 60 * SQL_DT_USECS_PER_SEC + us;
    if (!dt_ts_ok(ts))
        return ERR_TOOBIG;
    *out = ts;
    return 0;
}

int sql_make_interval(int64_t years, int64_t months, int64_t weeks, int64_t days, int64_t hours,
                      int64_t mins, double secs, struct sql_interval *out)
{
    int64_t m = years * 12 + months, d = weeks * 7 + days;
    if (llabs(years) > INT32_MAX || llabs(weeks) > INT32_MAX || llabs(m) > INT32_MAX ||
        llabs(d) > INT32_MAX || isnan(secs))
        return ERR_TOOBIG;
    double us = (double)hours * 3600e6 + (double)mins * 60e6 + rint(secs * 1e6);
    if (!(fabs(us) < 9.2e18))
        return ERR_TOOBIG;
    out->months = (int32_t)m;
    out->days = (int32_t)d;
    out->us = (int64_t)us;
    return 0;
}

/* ---- to_char ---- */

enum dt_fmt_key {
    K_NONE = 0,
    K_HH24,
    K_HH12,
    K_HH,
    K_MI,
    K_SSSSS,
    K_SSSS,
    K_SS,
    K_MS,
    K_US,
    K_FF1,
    K_FF2,
    K_FF3,
    K_FF4,
    K_FF5,
    K_FF6,
    K_AM_UP,
    K_PM_UP,
    K_AM_LO,
    K_PM_LO,
    K_AMD_UP,
    K_PMD_UP,
    K_AMD_LO,
    K_PMD_LO,
    K_Y_YYY,
    K_YYYY,
    K_YYY,
    K_YY,
    K_Y,
    K_IYYY,
    K_IYY,
    K_IY,
    K_I,
    K_BC_UP,
    K_AD_UP,
    K_BC_LO,
    K_AD_LO,
    K_BCD_UP,
    K_ADD_UP,
    K_BCD_LO,
    K_ADD_LO,
    K_MONTH_UP,
    K_MONTH_CAP,
    K_MONTH_LO,
    K_MON_UP,
    K_MON_CAP,
    K_MON_LO,
    K_MM,
    K_DAY_UP,
    K_DAY_CAP,
    K_DAY_LO,
    K_DY_UP,
    K_DY_CAP,
    K_DY_LO,
    K_DDD,
    K_IDDD,
    K_DD,
    K_D,
    K_ID,
    K_W,
    K_WW,
    K_IW,
    K_CC,
    K_J,
    K_Q,
    K_RM_UP,
    K_RM_LO,
    K_TZ_UP,
    K_TZ_LO,
    K_TZH,
    K_TZM,
    K_OF,
};

/* Longest first where one is a prefix of another. Keys whose output has letters (names, AM,
 * BC, RM, TZ) match case-sensitively, their case choosing the output's; the numeric ones match
 * in any case, as in PostgreSQL. */
static const struct {
    const char *text;
    enum dt_fmt_key key;
} dt_fmt_keys[] = {
    {"HH24", K_HH24},
    {"HH12", K_HH12},
    {"HH", K_HH},
    {"MI", K_MI},
    {"SSSSS", K_SSSSS},
    {"SSSS", K_SSSS},
    {"SS", K_SS},
    {"MS", K_MS},
    {"US", K_US},
    {"FF1", K_FF1},
    {"FF2", K_FF2},
    {"FF3", K_FF3},
    {"FF4", K_FF4},
    {"FF5", K_FF5},
    {"FF6", K_FF6},
    {"A.M.", K_AMD_UP},
    {"P.M.", K_PMD_UP},
    {"a.m.", K_AMD_LO},
    {"p.m.", K_PMD_LO},
    {"AM", K_AM_UP},
    {"PM", K_PM_UP},
    {"am", K_AM_LO},
    {"pm", K_PM_LO},
    {"Y,YYY", K_Y_YYY},
    {"YYYY", K_YYYY},
    {"YYY", K_YYY},
    {"YY", K_YY},
    {"Y", K_Y},
    {"IYYY", K_IYYY},
    {"IYY", K_IYY},
    {"IY", K_IY},
    {"IDDD", K_IDDD},
    {"ID", K_ID},
    {"IW", K_IW},
    {"I", K_I},
    {"B.C.", K_BCD_UP},
    {"A.D.", K_ADD_UP},
    {"b.c.", K_BCD_LO},
    {"a.d.", K_ADD_LO},
    {"BC", K_BC_UP},
    {"AD", K_AD_UP},
    {"bc", K_BC_LO},
    {"ad", K_AD_LO},
    {"MONTH", K_MONTH_UP},
    {"Month", K_MONTH_CAP},
    {"month", K_MONTH_LO},
    {"MON", K_MON_UP},
    {"Mon", K_MON_CAP},
    {"mon", K_MON_LO},
    {"MM", K_MM},
    {"DAY", K_DAY_UP},
    {"Day", K_DAY_CAP},
    {"day", K_DAY_LO},
    {"DY", K_DY_UP},
    {"Dy", K_DY_CAP},
    {"dy", K_DY_LO},
    {"DDD", K_DDD},
    {"DD", K_DD},
    {"D", K_D},
    {"WW", K_WW},
    {"W", K_W},
    {"CC", K_CC},
    {"J", K_J},
    {"Q", K_Q},
    {"RM", K_RM_UP},
    {"rm", K_RM_LO},
    {"TZH", K_TZH},
    {"TZM", K_TZM},
    {"TZ", K_TZ_UP},
    {"tz", K_TZ_LO},
    {"OF", K_OF},
};

static bool dt_fmt_key_is_textual(enum dt_fmt_key k)
{
    return (k >= K_AM_UP && k <= K_PMD_LO) || (k >= K_BC_UP && k <= K_MON_LO) ||
           (k >= K_DAY_UP && k <= K_DY_LO) || k == K_RM_UP || k == K_RM_LO || k == K_TZ_UP ||
           k == K_TZ_LO;
}

/* The fields to_char reads, from a timestamp or an interval. */
struct dt_fields {
    int64_t year; /* astronomical for timestamps; the interval's years */
    int mon;      /* 1-12 (interval: months % 12, may be 0) */
    int64_t mday;
    int64_t hour;
    int min, sec;
    int32_t usec;
    int64_t days; /* days since 2000-01-01 (timestamps only) */
    bool is_interval;
};

/* As dt_put_num, but a negative value keeps all width digits (PostgreSQL widens the field by
 * one for the sign in HH, MI, SS, MS, US, MM, YYYY and CC; not in DD). */
static int dt_put_num_signed(struct buf *out, int64_t v, int width, bool fm, int th);

static const char *dt_ordinal_suffix(int64_t v, bool upper)
{
    int64_t a = llabs(v);
    const char *s;
    if (a % 100 >= 11 && a % 100 <= 13)
        s = "th";
    else if (a % 10 == 1)
        s = "st";
    else if (a % 10 == 2)
        s = "nd";
    else if (a % 10 == 3)
        s = "rd";
    else
        s = "th";
    if (!upper)
        return s;
    if (s[0] == 't')
        return "TH";
    if (s[0] == 's')
        return "ST";
    if (s[0] == 'n')
        return "ND";
    return "RD";
}

/* A number zero-padded to width (no padding under FM); th: 1 "th", 2 "TH" suffix. */
static int dt_put_num(struct buf *out, int64_t v, int width, bool fm, int th)
{
    /* the width counts a minus sign, as C's %0*d does */
    int rc =
        fm ? buf_printf(out, "%lld", (long long)v) : buf_printf(out, "%0*lld", width, (long long)v);
    if (rc == 0 && th)
        rc = buf_printf(out, "%s", dt_ordinal_suffix(v, th == 2));
    return rc;
}

static int dt_put_num_signed(struct buf *out, int64_t v, int width, bool fm, int th)
{
    return dt_put_num(out, v, v < 0 ? width + 1 : width, fm, th);
}

/* Month or day name in the case the pattern asks for, blank-padded to 9 unless fm. */
static int dt_put_name(struct buf *out, const char *name, int casing, bool abbrev, bool fm)
{
    char tmp[16];
    size_t n = strlen(name);
    if (abbrev)
        n = 3;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (casing == 0)
            ch = (char)toupper((unsigned char)ch);
        else if (casing == 2 || i > 0)
            ch = (char)tolower((unsigned char)ch);
        tmp[i] = ch;
    }
    tmp[n] = '\0';
    if (!abbrev && !fm)
        return buf_printf(out, "%-9s", tmp);
    return buf_printf(out, "%s", tmp);
}

static int dt_to_char(const struct dt_fields *f, const char *fmt, size_t len, struct buf *out)
{
    static const char *const roman[12] = {"I",   "II",   "III", "IV", "V",  "VI",
                                          "VII", "VIII", "IX",  "X",  "XI", "XII"};
    size_t i = 0;
    int rc = 0;
    int64_t display_year = f->is_interval ? f->year : dt_display_year(f->year);
    int64_t abs_year = llabs(display_year);
    int hour12 = (int)(f->hour % 12 == 0 ? 12 : f->hour % 12);
    bool pm = f->hour % 24 >= 12;
    while (i < len && rc == 0) {
        bool fm = false;
        if (len - i >= 2 && (memcmp(fmt + i, "FM", 2) == 0 || memcmp(fmt + i, "fm", 2) == 0)) {
            fm = true;
            i += 2;
        }
        if (len - i >= 2 && (memcmp(fmt + i, "FX", 2) == 0 || memcmp(fmt + i, "TM", 2) == 0 ||
                             memcmp(fmt + i, "tm", 2) == 0)) {
            i += 2;
            continue;
        }
        if (i >= len)
            break;
        if (fmt[i] == '"') {
            i++;
            while (i < len && fmt[i] != '"') {
                if (fmt[i] == '\\' && i + 1 < len)
                    i++;
                rc = buf_append_u8(out, (uint8_t)fmt[i]);
                i++;
            }
            i++;
            continue;
        }
        if (fmt[i] == '\\' && i + 1 < len && fmt[i + 1] == '"') {
            rc = buf_append_u8(out, '"');
            i += 2;
            continue;
        }
        enum dt_fmt_key key = K_NONE;
        size_t klen = 0;
        for (size_t k = 0; k < sizeof(dt_fmt_keys) / sizeof(dt_fmt_keys[0]); k++) {
            size_t n = strlen(dt_fmt_keys[k].text);
            if (n > len - i)
                continue;
            bool textual = dt_fmt_key_is_textual(dt_fmt_keys[k].key);
            if (textual ? memcmp(fmt + i, dt_fmt_keys[k].text, n) == 0
                        : strncasecmp(fmt + i, dt_fmt_keys[k].text, n) == 0) {
                key = dt_fmt_keys[k].key;
                klen = n;
                break;
            }
        }
        if (key == K_NONE) {
            rc = buf_append_u8(out, (uint8_t)fmt[i]);
            i++;
            continue;
        }
        i += klen;
        int th = 0;
        if (len - i >= 2 && memcmp(fmt + i, "TH", 2) == 0) {
            th = 2;
            i += 2;
        } else if (len - i >= 2 && memcmp(fmt + i, "th", 2) == 0) {
            th = 1;
            i += 2;
        }
        int64_t iso_year = 0;
        int iso_week = 0;
        if (!f->is_interval && (key == K_IYYY || key == K_IYY || key == K_IY || key == K_I ||
                                key == K_IW || key == K_IDDD))
            dt_iso_week(f->days, &iso_year, &iso_week);
        int mon_idx = f->mon >= 1 && f->mon <= 12 ? f->mon - 1 : 0;
        int dow = f->is_interval ? 0 : dt_dow(f->days);
        switch (key) {
        case K_HH24:
            rc = dt_put_num_signed(out, f->hour, 2, fm, th);
            break;
        case K_HH12:
        case K_HH:
            rc = dt_put_num_signed(out, hour12, 2, fm, th);
            break;
        case K_MI:
            rc = dt_put_num_signed(out, f->min, 2, fm, th);
            break;
        case K_SS:
            rc = dt_put_num_signed(out, f->sec, 2, fm, th);
            break;
        case K_SSSS:
        case K_SSSSS:
            rc = dt_put_num(out, (f->hour * 60 + f->min) * 60 + f->sec, 1, true, th);
            break;
        case K_MS:
            rc = dt_put_num_signed(out, f->usec / 1000, 3, fm, th);
            break;
        case K_US:
            rc = dt_put_num_signed(out, f->usec, 6, fm, th);
            break;
        case K_FF1:
        case K_FF2:
        case K_FF3:
        case K_FF4:
        case K_FF5:
        case K_FF6: {
            int digits = key - K_FF1 + 1;
            int64_t v = f->usec;
            for (int k = digits; k < 6; k++)
                v /= 10;
            rc = dt_put_num(out, v, digits, false, th);
            break;
        }
        case K_AM_UP:
        case K_PM_UP:
            rc = buf_printf(out, "%s", pm ? "PM" : "AM");
            break;
        case K_AM_LO:
        case K_PM_LO:
            rc = buf_printf(out, "%s", pm ? "pm" : "am");
            break;
        case K_AMD_UP:
        case K_PMD_UP:
            rc = buf_printf(out, "%s", pm ? "P.M." : "A.M.");
            break;
        case K_AMD_LO:
        case K_PMD_LO:
            rc = buf_printf(out, "%s", pm ? "p.m." : "a.m.");
            break;
        case K_Y_YYY:
            rc = buf_printf(out, "%lld,%03lld", (long long)(abs_year / 1000),
                            (long long)(abs_year % 1000));
            break;
        case K_YYYY:
            rc = dt_put_num_signed(out, f->is_interval ? display_year : abs_year, 4, fm, th);
            break;
        case K_YYY:
            rc = dt_put_num(out, abs_year % 1000, 3, fm, th);
            break;
        case K_YY:
            rc = dt_put_num(out, abs_year % 100, 2, fm, th);
            break;
        case K_Y:
            rc = dt_put_num(out, abs_year % 10, 1, fm, th);
            break;
        case K_IYYY:
            rc = dt_put_num(out, iso_year <= 0 ? 1 - iso_year : iso_year, 4, fm, th);
            break;
        case K_IYY:
            rc = dt_put_num(out, llabs(iso_year) % 1000, 3, fm, th);
            break;
        case K_IY:
            rc = dt_put_num(out, llabs(iso_year) % 100, 2, fm, th);
            break;
        case K_I:
            rc = dt_put_num(out, llabs(iso_year) % 10, 1, fm, th);
            break;
        case K_BC_UP:
        case K_AD_UP:
            rc = buf_printf(out, "%s", display_year < 0 ? "BC" : "AD");
            break;
        case K_BC_LO:
        case K_AD_LO:
            rc = buf_printf(out, "%s", display_year < 0 ? "bc" : "ad");
            break;
        case K_BCD_UP:
        case K_ADD_UP:
            rc = buf_printf(out, "%s", display_year < 0 ? "B.C." : "A.D.");
            break;
        case K_BCD_LO:
        case K_ADD_LO:
            rc = buf_printf(out, "%s", display_year < 0 ? "b.c." : "a.d.");
            break;
        case K_MONTH_UP:
        case K_MONTH_CAP:
        case K_MONTH_LO:
            if (f->mon == 0)
                break;
            rc = dt_put_name(out, dt_month_names[mon_idx], key - K_MONTH_UP, false, fm);
            break;
        case K_MON_UP:
        case K_MON_CAP:
        case K_MON_LO:
            if (f->mon == 0)
                break;
            rc = dt_put_name(out, dt_month_names[mon_idx], key - K_MON_UP, true, fm);
            break;
        case K_MM:
            rc = dt_put_num_signed(out, f->mon, 2, fm, th);
            break;
        case K_DAY_UP:
        case K_DAY_CAP:
        case K_DAY_LO:
            rc = dt_put_name(out, dt_day_names[dow], key - K_DAY_UP, false, fm);
            break;
        case K_DY_UP:
        case K_DY_CAP:
        case K_DY_LO:
            rc = dt_put_name(out, dt_day_names[dow], key - K_DY_UP, true, fm);
            break;
        case K_DDD:
            rc = dt_put_num(out, f->is_interval ? f->mday : dt_doy(f->year, f->mon, (int)f->mday),
                            3, fm, th);
            break;
        case K_IDDD:
            rc = dt_put_num(out, f->days - dt_iso_year_start(iso_year) + 1, 3, fm, th);
            break;
        case K_DD:
            rc = dt_put_num(out, f->mday, 2, fm, th);
            break;
        case K_D:
            rc = dt_put_num(out, dow + 1, 1, fm, th);
            break;
        case K_ID:
            rc = dt_put_num(out, dow == 0 ? 7 : dow, 1, fm, th);
            break;
        case K_W:
            rc = dt_put_num(out, (f->mday - 1) / 7 + 1, 1, fm, th);
            break;
        case K_WW:
            rc = dt_put_num(out, (dt_doy(f->year, f->mon, (int)f->mday) - 1) / 7 + 1, 2, fm, th);
            break;
        case K_IW:
            rc = dt_put_num(out, iso_week, 2, fm, th);
            break;
        case K_CC: {
            int64_t cc =
                display_year > 0 ? (display_year + 99) / 100 : -((99 - display_year) / 100);
            rc = dt_put_num_signed(out, cc, 2, fm, th);
            break;
        }
        case K_J:
            rc = dt_put_num(out, f->days + DT_JULIAN_OF_2000, 1, true, th);
            break;
        case K_Q:
            rc = dt_put_num(out, (f->mon - 1) / 3 + 1, 1, true, th);
            break;
        case K_RM_UP:
        case K_RM_LO: {
            if (f->mon == 0)
                break;
            char r[8];
            snprintf(r, sizeof(r), "%s", roman[mon_idx]);
            if (key == K_RM_LO) {
                for (char *p = r; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
            }
            rc = fm ? buf_printf(out, "%s", r) : buf_printf(out, "%-4s", r);
            break;
        }
        case K_TZ_UP:
        case K_TZ_LO:
            break; /* timestamp without time zone: empty, as PostgreSQL */
        case K_TZH:
            rc = buf_printf(out, "+00");
            break;
        case K_TZM:
            rc = buf_printf(out, "00");
            break;
        case K_OF:
            rc = buf_printf(out, "+00");
            break;
        default:
            break;
        }
    }
    return rc;
}

int sql_timestamp_to_char(int64_t ts, const char *fmt, size_t fmt_len, struct buf *out)
{
    struct dt_tm tm;
    dt_ts_to_tm(ts, &tm);
    struct dt_fields f = {
        .year = tm.year,
        .mon = tm.mon,
        .mday = tm.mday,
        .hour = tm.hour,
        .min = tm.min,
        .sec = tm.sec,
        .usec = tm.usec,
        .days = dt_floor_div(ts, SQL_DT_USECS_PER_DAY),
        .is_interval = false,
    };
    return dt_to_char(&f, fmt, fmt_len, out);
}

int sql_interval_to_char(const struct sql_interval *iv, const char *fmt, size_t fmt_len,
                         struct buf *out)
{
    int64_t t = iv->us;
    struct dt_fields f = {
        .year = iv->months / 12,
        .mon = iv->months % 12,
        .mday = iv->days,
        .is_interval = true,
    };
    f.hour = t / SQL_DT_USECS_PER_HOUR;
    t -= f.hour * SQL_DT_USECS_PER_HOUR;
    f.min = (int)(t / (60 * SQL_DT_USECS_PER_SEC));
    t -= (int64_t)f.min * 60 * SQL_DT_USECS_PER_SEC;
    f.sec = (int)(t / SQL_DT_USECS_PER_SEC);
    f.usec = (int32_t)(t - (int64_t)f.sec * SQL_DT_USECS_PER_SEC);
    return dt_to_char(&f, fmt, fmt_len, out);
}
