/* PostgreSQL's date, timestamp (without time zone) and interval: input, output with DateStyle
 * ISO and IntervalStyle postgres, arithmetic, date_trunc, extract, age, to_char. Values are
 * plain numbers; the SQL layer stores their text. */
#ifndef CAIRN_SQL_SQL_DATETIME_H
#define CAIRN_SQL_SQL_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "sql/sql_numeric.h"

#define SQL_DT_USECS_PER_SEC  INT64_C(1000000)
#define SQL_DT_USECS_PER_HOUR INT64_C(3600000000)
#define SQL_DT_USECS_PER_DAY  INT64_C(86400000000)
/* Room for any text sql_*_format writes, NUL included. */
#define SQL_DT_TEXT_BYTES_MAX 128

/* A date is days since 2000-01-01, PostgreSQL's epoch (proleptic Gregorian); these two are
 * -infinity and infinity. */
#define SQL_DATE_NEG_INF INT32_MIN
#define SQL_DATE_POS_INF INT32_MAX
/* A timestamp is microseconds since 2000-01-01 00:00:00, PostgreSQL's epoch (which is what lets
 * its range, to 294276 AD, fit 64 bits); these two are the infinities. */
#define SQL_TS_NEG_INF INT64_MIN
#define SQL_TS_POS_INF INT64_MAX

/* PostgreSQL's interval: months, days and microseconds kept apart (a month is not a fixed number
 * of days, nor a day of hours across DST in PostgreSQL). */
struct sql_interval {
    int32_t months;
    int32_t days;
    int64_t us;
};

/* Errors, and the SQLSTATE the SQL layer raises for them:
 *   ERR_MALFORMED   22007 invalid input syntax for type date/timestamp/interval
 *   ERR_RANGE       22008 date/time field value out of range (a bad month, day, hour...)
 *   ERR_TOOBIG      22008 date out of range / timestamp out of range / interval out of range
 *   ERR_CONDITION   22015 interval field value out of range (a field beyond 32 bits)
 *   ERR_INVAL       22023 unit "x" not recognized (trunc, extract)
 *   ERR_UNSUPPORTED 0A000 unit "x" not supported for this type
 *   ERR_CONFLICT    22008 cannot subtract infinite dates/timestamps */

/* Conversions from and to microseconds since 1970-01-01 (sql_func_env.now_us). */
int64_t sql_timestamp_from_unix_us(int64_t unix_us);
int64_t sql_timestamp_to_unix_us(int64_t ts);

/* Input as PostgreSQL reads it (ISO 'YYYY-MM-DD', 'YYYYMMDD', 'YYYY/MM/DD', 'MM/DD/YYYY',
 * month names, ' BC', a time part and a zone, which timestamp without time zone ignores;
 * 'epoch', 'infinity', '-infinity', and 'now', 'today', 'tomorrow', 'yesterday' relative to
 * now_us, microseconds since 1970). A date takes a timestamp's date part. */
int sql_date_parse(const char *s, size_t len, int64_t now_us, int32_t *out);
int sql_timestamp_parse(const char *s, size_t len, int64_t now_us, int64_t *out);
/* timestamp with time zone: the zone in the text (default UTC, the session zone Cairn uses) is
 * applied, giving UTC; *has_zone (may be NULL) tells whether the text named one. */
int sql_timestamptz_parse(const char *s, size_t len, int64_t now_us, int64_t *out, bool *has_zone);
/* time of day in microseconds (0 .. 24:00:00): 'HH:MM[:SS[.f]]', am/pm, 'allballs', or the time
 * part of a timestamp text. timetz also reads a zone (default UTC), east-positive seconds. */
int sql_time_parse(const char *s, size_t len, int64_t *us);
int sql_timetz_parse(const char *s, size_t len, int64_t *us, int *zone_sec);
/* Rounds microseconds to `precision` fractional digits (0-6) as timestamp(p), time(p) and
 * interval(p) do: half away from zero. */
int64_t sql_dt_round_precision(int64_t us, int precision);
/* PostgreSQL interval input: '1 day 02:00:00', '3 mons', '-1 days +02:00:00', '1.5 hours',
 * '2 weeks ago', '@ 1 day', 'P1Y2M3DT4H5M6S', a bare number of seconds. */
int sql_interval_parse(const char *s, size_t len, struct sql_interval *out);

enum sql_dt_kind {
    SQL_DT_NONE = 0,
    SQL_DT_DATE,
    SQL_DT_TIMESTAMP,
    SQL_DT_INTERVAL,
};
/* What a TEXT value holds, for runtime-typed operators: the strict ISO shapes Cairn stores
 * ('YYYY-MM-DD[ BC]' a date, with ' HH:MM[:SS[.f]]' or 'T…' a timestamp), else an interval if
 * it parses as one and is not a plain number, else NONE. */
enum sql_dt_kind sql_dt_classify(const char *s, size_t len);

/* Text as PostgreSQL prints it ('2024-01-02', '0044-03-15 BC', '2024-01-02 03:04:05.5',
 * 'infinity', '1 year 2 mons -3 days +04:05:06'). Return the length; out holds
 * SQL_DT_TEXT_BYTES_MAX bytes. */
size_t sql_date_format(int32_t d, char *out);
size_t sql_timestamp_format(int64_t ts, char *out);
size_t sql_interval_format(const struct sql_interval *iv, char *out);
/* timestamptz in the UTC session zone: '2024-01-02 03:04:05+00'. */
size_t sql_timestamptz_format(int64_t ts, char *out);
/* '10:11:12.5'; timetz with its zone: '10:00:00+05:30'. */
size_t sql_time_format(int64_t us, char *out);
size_t sql_timetz_format(int64_t us, int zone_sec, char *out);

/* ---- arithmetic (infinite dates and timestamps stay infinite where PostgreSQL keeps them) */
int sql_date_add_days(int32_t d, int64_t days, int32_t *out);
/* d1 - d2 in days; ERR_CONFLICT if either is infinite. */
int sql_date_diff(int32_t d1, int32_t d2, int32_t *out);
int64_t sql_date_to_timestamp(int32_t d);
/* The date part; ERR_TOOBIG out of the date range. */
int sql_timestamp_to_date(int64_t ts, int32_t *out);
/* ts + iv: months first (clamping the day to the month's end), then days, then time. */
int sql_timestamp_add_interval(int64_t ts, const struct sql_interval *iv, int64_t *out);
int sql_timestamp_sub_interval(int64_t ts, const struct sql_interval *iv, int64_t *out);
/* a - b with whole days split off the time (justify_hours), as PostgreSQL's timestamp_mi. */
int sql_timestamp_diff(int64_t a, int64_t b, struct sql_interval *out);
int sql_interval_add(const struct sql_interval *a, const struct sql_interval *b,
                     struct sql_interval *out);
int sql_interval_sub(const struct sql_interval *a, const struct sql_interval *b,
                     struct sql_interval *out);
int sql_interval_neg(const struct sql_interval *a, struct sql_interval *out);
/* interval * factor and interval / factor with PostgreSQL's cascade of fractional months to days
 * and fractional days to time. ERR_INVAL for division by zero (22012). */
int sql_interval_mul(const struct sql_interval *a, double factor, struct sql_interval *out);
int sql_interval_div(const struct sql_interval *a, double divisor, struct sql_interval *out);
/* Compares as PostgreSQL does: months as 30 days, days as 24 hours. */
int sql_interval_cmp(const struct sql_interval *a, const struct sql_interval *b);
void sql_interval_justify_hours(struct sql_interval *iv);
void sql_interval_justify_days(struct sql_interval *iv);
void sql_interval_justify_interval(struct sql_interval *iv);

/* age(a, b): the symbolic difference in years, months, days and time, as PostgreSQL's
 * timestamp_age. ERR_TOOBIG for infinite inputs. */
int sql_timestamp_age(int64_t a, int64_t b, struct sql_interval *out);

/* date_trunc(unit, …). unit is PostgreSQL's unit text (any case: 'month', 'mons', 'hour'…). */
int sql_timestamp_trunc(const char *unit, size_t unit_len, int64_t ts, int64_t *out);
int sql_interval_trunc(const char *unit, size_t unit_len, const struct sql_interval *iv,
                       struct sql_interval *out);
/* extract(unit from …) as PostgreSQL 14+ returns it: numeric ('8.500000' seconds, '2024' year). */
int sql_timestamp_extract(const char *unit, size_t unit_len, int64_t ts, struct sql_numeric *out);
int sql_date_extract(const char *unit, size_t unit_len, int32_t d, struct sql_numeric *out);
int sql_interval_extract(const char *unit, size_t unit_len, const struct sql_interval *iv,
                         struct sql_numeric *out);

/* make_date / make_timestamp: year < 0 is BC. ERR_RANGE for a bad field (22008). */
int sql_make_date(int64_t year, int64_t month, int64_t day, int32_t *out);
int sql_make_timestamp(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t min,
                       double sec, int64_t *out);
int sql_make_interval(int64_t years, int64_t months, int64_t weeks, int64_t days, int64_t hours,
                      int64_t mins, double secs, struct sql_interval *out);

/* to_char(timestamp, format) with PostgreSQL's template patterns (YYYY MM DD HH24 HH12 MI SS
 * MS US AM PM Mon Month Dy Day D DDD IW WW Q J TZ, FM and TH modifiers, "quoted" text).
 * Appends to out; 0 or ERR_NOMEM. */
int sql_timestamp_to_char(int64_t ts, const char *fmt, size_t fmt_len, struct buf *out);
/* to_char(interval, format): the same patterns on the interval's fields. */
int sql_interval_to_char(const struct sql_interval *iv, const char *fmt, size_t fmt_len,
                         struct buf *out);

#endif
