/* PostgreSQL's date/time functions for SQLite: now() and current_date from the statement's
 * environment (never the clock), date_trunc, extract/date_part, age, make_*, justify_*,
 * to_timestamp/to_date, isfinite. Values are the ISO text sql_datetime prints. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sql/sql_func_int.h"

static int64_t sql_dt_now(sqlite3_context *ctx)
{
    return sql_timestamp_from_unix_us(sql_fn_state(ctx)->env->now_us);
}

/* now(), current_timestamp: the transaction's time, fixed by the coordinator, a timestamptz
 * in the UTC session zone ('…+00'). */
static void sql_fn_now(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_fn_result_ts(ctx, sql_dt_now(ctx), true);
}

/* localtimestamp: the same instant as timestamp without time zone. */
static void sql_fn_localtimestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_fn_result_ts(ctx, sql_dt_now(ctx), false);
}

static void sql_fn_current_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int32_t d;
    int rc = sql_timestamp_to_date(sql_dt_now(ctx), &d);
    ASSERT(rc == 0);
    sql_fn_result_date(ctx, d);
}

/* Reads a date/time argument: classified text, or text that parses as a timestamp. */
static int sql_dt_arg(sqlite3_context *ctx, sqlite3_value *arg, struct sql_val *v)
{
    int rc = sql_fn_classify(arg, v);
    if (rc != 0) {
        sql_fn_numeric_error(ctx, rc);
        return -1;
    }
    if (v->kind == SQL_VK_TEXT || v->kind == SQL_VK_NUMERIC) {
        /* other spellings PostgreSQL would read as a timestamp literal */
        int64_t ts;
        bool tz;
        const char *t = (const char *)sqlite3_value_text(arg);
        int n = sqlite3_value_bytes(arg);
        if (t != NULL &&
            sql_timestamptz_parse(t, (size_t)n, sql_fn_state(ctx)->env->now_us, &ts, &tz) == 0) {
            v->kind = SQL_VK_TIMESTAMP;
            v->ts = ts;
            v->tz = tz;
        }
    }
    return 0;
}

static void sql_dt_unit_error(sqlite3_context *ctx, int rc, sqlite3_value *unit, const char *type)
{
    char low[64];
    const char *u = (const char *)sqlite3_value_text(unit);
    size_t n = 0;
    for (; u && u[n] && n + 1 < sizeof(low); n++)
        low[n] = (char)tolower((unsigned char)u[n]);
    low[n] = '\0';
    if (rc == ERR_INVAL)
        sql_fn_error(ctx, "22023", "unit \"%s\" not recognized for type %s", low, type);
    else if (rc == ERR_UNSUPPORTED)
        sql_fn_error(ctx, "0A000", "unit \"%s\" not supported for type %s", low, type);
    else if (rc == ERR_NOMEM)
        sql_fn_nomem(ctx);
    else
        sql_fn_error(ctx, "22008", "%s out of range",
                     strcmp(type, "interval") == 0 ? "interval" : "timestamp");
}

static bool sql_dt_nulls(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    for (int i = 0; i < argc; i++) {
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return true;
        }
    }
    return false;
}

/* date_trunc(unit, x): a date is truncated as the timestamp at its midnight. */
static void sql_fn_date_trunc(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    const char *unit = (const char *)sqlite3_value_text(argv[0]);
    size_t ulen = (size_t)sqlite3_value_bytes(argv[0]);
    if (unit == NULL || sql_dt_arg(ctx, argv[1], v) != 0) {
        if (unit == NULL)
            sql_fn_nomem(ctx);
        free(v);
        return;
    }
    int rc;
    switch (v->kind) {
    case SQL_VK_DATE:
    case SQL_VK_TIMESTAMP: {
        int64_t ts = v->kind == SQL_VK_DATE ? sql_date_to_timestamp(v->date) : v->ts, r;
        /* a date is truncated as timestamptz, as PostgreSQL picks date_trunc(text, timestamptz) */
        bool tz = v->kind == SQL_VK_DATE || v->tz;
        rc = sql_timestamp_trunc(unit, ulen, ts, &r);
        if (rc != 0)
            sql_dt_unit_error(ctx, rc, argv[0],
                              tz ? "timestamp with time zone" : "timestamp without time zone");
        else
            sql_fn_result_ts(ctx, r, tz);
        break;
    }
    case SQL_VK_INTERVAL: {
        struct sql_interval r;
        rc = sql_interval_trunc(unit, ulen, &v->iv, &r);
        if (rc != 0)
            sql_dt_unit_error(ctx, rc, argv[0], "interval");
        else
            sql_fn_result_interval(ctx, &r);
        break;
    }
    default:
        sql_fn_error(ctx, "42883", "function date_trunc(unknown, %s) does not exist",
                     sql_fn_kind_name(v->kind));
        break;
    }
    free(v);
}

/* extract(unit FROM x) returns numeric; date_part(unit, x) the same value as float8 (and reads
 * a date as its timestamp, as PostgreSQL's date_part has no date version). */
static void sql_extract_common(sqlite3_context *ctx, sqlite3_value **argv, bool as_float)
{
    if (sql_dt_nulls(ctx, 2, argv))
        return;
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    const char *unit = (const char *)sqlite3_value_text(argv[0]);
    size_t ulen = (size_t)sqlite3_value_bytes(argv[0]);
    if (unit == NULL || sql_dt_arg(ctx, argv[1], v) != 0) {
        if (unit == NULL)
            sql_fn_nomem(ctx);
        free(v);
        return;
    }
    struct sql_numeric *r = &v->num;
    int rc;
    const char *type;
    if (v->kind == SQL_VK_DATE && as_float) {
        v->kind = SQL_VK_TIMESTAMP;
        v->ts = sql_date_to_timestamp(v->date);
    }
    switch (v->kind) {
    case SQL_VK_DATE:
        type = "date";
        rc = sql_date_extract(unit, ulen, v->date, r);
        break;
    case SQL_VK_TIMESTAMP:
        type = "timestamp without time zone";
        rc = sql_timestamp_extract(unit, ulen, v->ts, r);
        break;
    case SQL_VK_INTERVAL:
        type = "interval";
        rc = sql_interval_extract(unit, ulen, &v->iv, r);
        break;
    default:
        sql_fn_error(ctx, "42883", "function %s(unknown, %s) does not exist",
                     as_float ? "date_part" : "extract", sql_fn_kind_name(v->kind));
        free(v);
        return;
    }
    if (rc != 0)
        sql_dt_unit_error(ctx, rc, argv[0], type);
    else if (as_float)
        sql_fn_result_double(ctx, sql_numeric_to_double(r));
    else
        sql_fn_result_numeric(ctx, r);
    free(v);
}

static void sql_fn_extract(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_extract_common(ctx, argv, false);
}

static void sql_fn_date_part(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_extract_common(ctx, argv, true);
}

/* Reads a timestamp (a date at midnight). Returns false after setting the result. */
static bool sql_dt_timestamp_arg(sqlite3_context *ctx, sqlite3_value *arg, const char *fname,
                                 int64_t *ts)
{
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return false;
    }
    bool ok = false;
    if (sql_dt_arg(ctx, arg, v) == 0) {
        if (v->kind == SQL_VK_TIMESTAMP) {
            *ts = v->ts;
            ok = true;
        } else if (v->kind == SQL_VK_DATE) {
            *ts = sql_date_to_timestamp(v->date);
            ok = true;
        } else {
            sql_fn_error(ctx, "42883", "function %s(%s) does not exist", fname,
                         sql_fn_kind_name(v->kind));
        }
    }
    free(v);
    return ok;
}

/* age(a, b), and age(a) = age(current_date at midnight, a). */
static void sql_fn_age(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    int64_t a, b;
    if (argc == 1) {
        int32_t today;
        int rc = sql_timestamp_to_date(sql_dt_now(ctx), &today);
        ASSERT(rc == 0);
        a = sql_date_to_timestamp(today);
        if (!sql_dt_timestamp_arg(ctx, argv[0], "age", &b))
            return;
    } else if (!sql_dt_timestamp_arg(ctx, argv[0], "age", &a) ||
               !sql_dt_timestamp_arg(ctx, argv[1], "age", &b)) {
        return;
    }
    struct sql_interval iv;
    if (sql_timestamp_age(a, b, &iv) != 0)
        sql_fn_error(ctx, "22008", "timestamp out of range");
    else
        sql_fn_result_interval(ctx, &iv);
}

static void sql_fn_make_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    int64_t y = sqlite3_value_int64(argv[0]), m = sqlite3_value_int64(argv[1]),
            d = sqlite3_value_int64(argv[2]);
    int32_t r;
    int rc = sql_make_date(y, m, d, &r);
    if (rc == ERR_RANGE)
        sql_fn_error(ctx, "22008", "date field value out of range: %lld-%02lld-%02lld",
                     (long long)y, (long long)m, (long long)d);
    else if (rc != 0)
        sql_fn_error(ctx, "22008", "date out of range: %lld-%02lld-%02lld", (long long)y,
                     (long long)m, (long long)d);
    else
        sql_fn_result_date(ctx, r);
}

static void sql_fn_make_timestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    int64_t y = sqlite3_value_int64(argv[0]), mo = sqlite3_value_int64(argv[1]),
            d = sqlite3_value_int64(argv[2]), h = sqlite3_value_int64(argv[3]),
            mi = sqlite3_value_int64(argv[4]);
    double sec = sqlite3_value_double(argv[5]);
    int32_t dd;
    if (sql_make_date(y, mo, d, &dd) != 0) {
        sql_fn_error(ctx, "22008", "date field value out of range: %lld-%02lld-%02lld",
                     (long long)y, (long long)mo, (long long)d);
        return;
    }
    int64_t r;
    int rc = sql_make_timestamp(y, mo, d, h, mi, sec, &r);
    if (rc == ERR_RANGE)
        sql_fn_error(ctx, "22008", "time field value out of range: %lld:%02lld:%02g", (long long)h,
                     (long long)mi, sec);
    else if (rc != 0)
        sql_fn_error(ctx, "22008", "timestamp out of range");
    else
        sql_fn_result_timestamp(ctx, r);
}

/* make_interval(years, months, weeks, days, hours, mins, secs), positional. */
static void sql_fn_make_interval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    int64_t f[6] = {0, 0, 0, 0, 0, 0};
    double secs = 0;
    for (int i = 0; i < argc && i < 6; i++)
        f[i] = sqlite3_value_int64(argv[i]);
    if (argc == 7)
        secs = sqlite3_value_double(argv[6]);
    struct sql_interval iv;
    if (sql_make_interval(f[0], f[1], f[2], f[3], f[4], f[5], secs, &iv) != 0)
        sql_fn_error(ctx, "22008", "interval out of range");
    else
        sql_fn_result_interval(ctx, &iv);
}

static void sql_justify_common(sqlite3_context *ctx, sqlite3_value **argv, int which)
{
    if (sql_dt_nulls(ctx, 1, argv))
        return;
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    struct sql_interval iv;
    if (t == NULL || sql_interval_parse(t, (size_t)sqlite3_value_bytes(argv[0]), &iv) != 0) {
        sql_fn_error(ctx, "22007", "invalid input syntax for type interval: \"%s\"", t ? t : "");
        return;
    }
    if (which == 0)
        sql_interval_justify_hours(&iv);
    else if (which == 1)
        sql_interval_justify_days(&iv);
    else
        sql_interval_justify_interval(&iv);
    sql_fn_result_interval(ctx, &iv);
}

static void sql_fn_justify_hours(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_justify_common(ctx, argv, 0);
}

static void sql_fn_justify_days(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_justify_common(ctx, argv, 1);
}

static void sql_fn_justify_interval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_justify_common(ctx, argv, 2);
}

/* ---- to_timestamp / to_date with a template ---- */

static const char *const sql_month_abbr[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                               "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const sql_month_full[12] = {"january",   "february", "march",    "april",
                                               "may",       "june",     "july",     "august",
                                               "september", "october",  "november", "december"};

/* Reads up to max digits (a leading sign allowed for years). */
static bool sql_tpl_num(const char *s, int n, int *i, int max, int64_t *out)
{
    while (*i < n && s[*i] == ' ')
        (*i)++;
    bool neg = false;
    if (*i < n && s[*i] == '-') {
        neg = true;
        (*i)++;
    }
    int start = *i;
    int64_t v = 0;
    while (*i < n && *i - start < max && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (*i == start)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* Parses text by a to_char template (the common patterns). Returns 0, or ERR_MALFORMED with
 * *what naming the field, ERR_RANGE for a bad field value. */
static int sql_tpl_parse(const char *s, int n, const char *f, int fn, int64_t *ts,
                         const char **what)
{
    int64_t year = 1, mon = 1, day = 1, hour = 0, min = 0, sec = 0, usec = 0, doy = 0;
    int pm = -1;
    bool hour12 = false;
    int i = 0;
    *what = "";
    for (int k = 0; k < fn;) {
        int64_t v;
#define TPL(p) (fn - k >= (int)strlen(p) && strncasecmp(f + k, p, strlen(p)) == 0)
        if (TPL("FM") || TPL("FX") || TPL("TM")) {
            k += 2;
            continue;
        }
        if (TPL("YYYY")) {
            *what = "YYYY";
            /* more than four digits only when a separator follows in the template */
            bool next_digit = k + 4 < fn && isalpha((unsigned char)f[k + 4]);
            if (!sql_tpl_num(s, n, &i, next_digit ? 4 : 9, &year))
                return ERR_MALFORMED;
            k += 4;
        } else if (TPL("YY")) {
            *what = "YY";
            if (!sql_tpl_num(s, n, &i, 2, &v))
                return ERR_MALFORMED;
            year = v < 70 ? 2000 + v : 1900 + v;
            k += 2;
        } else if (TPL("MONTH") || TPL("MON")) {
            bool full = TPL("MONTH");
            *what = full ? "MONTH" : "MON";
            while (i < n && s[i] == ' ')
                i++;
            int found = -1;
            for (int m = 0; m < 12 && found < 0; m++) {
                const char *name = full ? sql_month_full[m] : sql_month_abbr[m];
                size_t l = strlen(name);
                if ((size_t)(n - i) >= l && strncasecmp(s + i, name, l) == 0) {
                    found = m;
                    i += (int)l;
                }
            }
            if (found < 0)
                return ERR_MALFORMED;
            mon = found + 1;
            k += full ? 5 : 3;
        } else if (TPL("MM")) {
            *what = "MM";
            if (!sql_tpl_num(s, n, &i, 2, &mon))
                return ERR_MALFORMED;
            k += 2;
        } else if (TPL("DDD")) {
            *what = "DDD";
            if (!sql_tpl_num(s, n, &i, 3, &doy))
                return ERR_MALFORMED;
            k += 3;
        } else if (TPL("DD")) {
            *what = "DD";
            if (!sql_tpl_num(s, n, &i, 2, &day))
                return ERR_MALFORMED;
            k += 2;
        } else if (TPL("HH24")) {
            *what = "HH24";
            if (!sql_tpl_num(s, n, &i, 2, &hour))
                return ERR_MALFORMED;
            k += 4;
        } else if (TPL("HH12") || TPL("HH")) {
            *what = "HH";
            if (!sql_tpl_num(s, n, &i, 2, &hour))
                return ERR_MALFORMED;
            hour12 = true;
            k += TPL("HH12") ? 4 : 2;
        } else if (TPL("MI")) {
            *what = "MI";
            if (!sql_tpl_num(s, n, &i, 2, &min))
                return ERR_MALFORMED;
            k += 2;
        } else if (TPL("SS")) {
            *what = "SS";
            if (!sql_tpl_num(s, n, &i, 2, &sec))
                return ERR_MALFORMED;
            k += 2;
        } else if (TPL("MS")) {
            *what = "MS";
            int start = i;
            if (!sql_tpl_num(s, n, &i, 3, &v))
                return ERR_MALFORMED;
            for (int d = i - start; d < 3; d++)
                v *= 10;
            usec = v * 1000;
            k += 2;
        } else if (TPL("US")) {
            *what = "US";
            int start = i;
            if (!sql_tpl_num(s, n, &i, 6, &v))
                return ERR_MALFORMED;
            for (int d = i - start; d < 6; d++)
                v *= 10;
            usec = v;
            k += 2;
        } else if (TPL("AM") || TPL("PM") || TPL("A.M.") || TPL("P.M.")) {
            bool dots = TPL("A.M.") || TPL("P.M.");
            while (i < n && s[i] == ' ')
                i++;
            if (n - i >= 2 &&
                (strncasecmp(s + i, "pm", 2) == 0 || strncasecmp(s + i, "p.", 2) == 0))
                pm = 1;
            else if (n - i >= 2 &&
                     (strncasecmp(s + i, "am", 2) == 0 || strncasecmp(s + i, "a.", 2) == 0))
                pm = 0;
            else
                return ERR_MALFORMED;
            i += dots ? 4 : 2;
            k += dots ? 4 : 2;
        } else if (f[k] == '"') {
            k++;
            while (k < fn && f[k] != '"') {
                k++;
                if (i < n)
                    i++;
            }
            k++;
        } else {
            /* any other template character skips one input character (blanks collapse) */
            if (f[k] == ' ') {
                while (i < n && s[i] == ' ')
                    i++;
            } else if (i < n && !isalnum((unsigned char)s[i])) {
                i++;
            } else if (i < n && isalnum((unsigned char)f[k])) {
                i++;
            }
            k++;
        }
#undef TPL
    }
    if (hour12) {
        if (hour < 1 || hour > 12)
            return ERR_RANGE;
        if (pm == 1 && hour != 12)
            hour += 12;
        if (pm == 0 && hour == 12)
            hour = 0;
    }
    int32_t d;
    int rc;
    if (doy > 0) {
        rc = sql_make_date(year, 1, 1, &d);
        if (rc == 0)
            rc = sql_date_add_days(d, doy - 1, &d);
    } else {
        rc = sql_make_date(year, mon, day, &d);
    }
    if (rc != 0)
        return ERR_RANGE;
    if (hour > 24 || min > 59 || sec > 60)
        return ERR_RANGE;
    *ts = sql_date_to_timestamp(d) + hour * SQL_DT_USECS_PER_HOUR +
          min * 60 * SQL_DT_USECS_PER_SEC + sec * SQL_DT_USECS_PER_SEC + usec;
    return 0;
}

/* to_timestamp(epoch seconds) or to_timestamp(text, template). */
static void sql_fn_to_timestamp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    if (argc == 1) {
        double secs = sqlite3_value_double(argv[0]);
        if (isnan(secs)) {
            sql_fn_error(ctx, "22008", "timestamp cannot be NaN");
            return;
        }
        if (isinf(secs)) {
            sql_fn_result_ts(ctx, secs > 0 ? SQL_TS_POS_INF : SQL_TS_NEG_INF, true);
            return;
        }
        double us = rint(secs * 1e6);
        if (!(us > -9.2e18 && us < 9.2e18)) {
            sql_fn_error(ctx, "22008", "timestamp out of range: \"%g\"", secs);
            return;
        }
        sql_fn_result_ts(ctx, sql_timestamp_from_unix_us((int64_t)us), true);
        return;
    }
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *f = (const char *)sqlite3_value_text(argv[1]);
    int64_t ts;
    const char *what;
    int rc = s && f ? sql_tpl_parse(s, sqlite3_value_bytes(argv[0]), f,
                                    sqlite3_value_bytes(argv[1]), &ts, &what)
                    : ERR_NOMEM;
    if (rc == ERR_MALFORMED)
        sql_fn_error(ctx, "22007", "invalid value \"%s\" for \"%s\"", s, what);
    else if (rc == ERR_RANGE)
        sql_fn_error(ctx, "22008", "date/time field value out of range: \"%s\"", s);
    else if (rc != 0)
        sql_fn_nomem(ctx);
    else
        sql_fn_result_ts(ctx, ts, true);
}

static void sql_fn_to_date(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    const char *s = (const char *)sqlite3_value_text(argv[0]);
    const char *f = (const char *)sqlite3_value_text(argv[1]);
    int64_t ts;
    const char *what;
    int rc = s && f ? sql_tpl_parse(s, sqlite3_value_bytes(argv[0]), f,
                                    sqlite3_value_bytes(argv[1]), &ts, &what)
                    : ERR_NOMEM;
    int32_t d;
    if (rc == ERR_MALFORMED)
        sql_fn_error(ctx, "22007", "invalid value \"%s\" for \"%s\"", s, what);
    else if (rc == ERR_RANGE)
        sql_fn_error(ctx, "22008", "date/time field value out of range: \"%s\"", s);
    else if (rc != 0)
        sql_fn_nomem(ctx);
    else if (sql_timestamp_to_date(ts, &d) != 0)
        sql_fn_error(ctx, "22008", "date out of range: \"%s\"", s);
    else
        sql_fn_result_date(ctx, d);
}

static void sql_fn_isfinite(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sql_dt_nulls(ctx, argc, argv))
        return;
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    if (sql_dt_arg(ctx, argv[0], v) == 0) {
        const char *t = (const char *)sqlite3_value_text(argv[0]);
        bool inf = t && (strcmp(t, "infinity") == 0 || strcmp(t, "-infinity") == 0);
        if (v->kind == SQL_VK_DATE)
            inf = v->date == SQL_DATE_POS_INF || v->date == SQL_DATE_NEG_INF;
        else if (v->kind == SQL_VK_TIMESTAMP)
            inf = v->ts == SQL_TS_POS_INF || v->ts == SQL_TS_NEG_INF;
        sqlite3_result_int(ctx, !inf);
    }
    free(v);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_dt_defs[] = {
    /* now() and friends read the environment: constant within a statement, not across */
    {"pg_now", 0, 0, sql_fn_now, NULL, NULL},
    {"pg_localtimestamp", 0, 0, sql_fn_localtimestamp, NULL, NULL},
    {"pg_current_date", 0, 0, sql_fn_current_date, NULL, NULL},
    {"pg_date_trunc", 2, D, sql_fn_date_trunc, NULL, NULL},
    {"pg_extract", 2, D, sql_fn_extract, NULL, NULL},
    {"pg_date_part", 2, D, sql_fn_date_part, NULL, NULL},
    {"pg_age", 1, 0, sql_fn_age, NULL, NULL},
    {"pg_age", 2, D, sql_fn_age, NULL, NULL},
    {"pg_make_date", 3, D, sql_fn_make_date, NULL, NULL},
    {"pg_make_timestamp", 6, D, sql_fn_make_timestamp, NULL, NULL},
    {"pg_make_interval", -1, D, sql_fn_make_interval, NULL, NULL},
    {"pg_justify_hours", 1, D, sql_fn_justify_hours, NULL, NULL},
    {"pg_justify_days", 1, D, sql_fn_justify_days, NULL, NULL},
    {"pg_justify_interval", 1, D, sql_fn_justify_interval, NULL, NULL},
    {"pg_to_timestamp", 1, D, sql_fn_to_timestamp, NULL, NULL},
    {"pg_to_timestamp", 2, D, sql_fn_to_timestamp, NULL, NULL},
    {"pg_to_date", 2, D, sql_fn_to_date, NULL, NULL},
    {"pg_isfinite", 1, D, sql_fn_isfinite, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
