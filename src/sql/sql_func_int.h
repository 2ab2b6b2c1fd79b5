/* Internals shared by the sql_func*.c files: per-connection state, runtime typing of SQLite
 * values (what PostgreSQL type a value stands for), PostgreSQL-style error results, and the
 * registration lists each file contributes. Not part of the sql_ contract (sql_func.h). */
#ifndef CAIRN_SQL_SQL_FUNC_INT_H
#define CAIRN_SQL_SQL_FUNC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/rng.h"
#include "sql/sql_datetime.h"
#include "sql/sql_func.h"
#include "sql/sql_numeric.h"

/* Longest text or blob a function builds (repeat, lpad, string_agg...): past it, 54000
 * "requested length too large" rather than unbounded memory. Matches PostgreSQL's 1 GB field
 * limit in spirit at a size a node can afford. */
#define SQL_FUNC_RESULT_BYTES_MAX (64u * 1024 * 1024)

/* One per registered connection: the user data of every function. */
struct sql_fn_state {
    const struct sql_func_env *env;
    struct rng rng;
    uint64_t rng_seed, rng_statement; /* the env's when the sequence last restarted */
    bool rng_seeded;
};

static inline struct sql_fn_state *sql_fn_state(sqlite3_context *ctx)
{
    return (struct sql_fn_state *)sqlite3_user_data(ctx);
}

/* The statement's random sequence, restarted from env->random_seed at its first draw. */
static inline struct rng *sql_fn_rng(struct sql_fn_state *st)
{
    if (!st->rng_seeded || st->rng_seed != st->env->random_seed ||
        st->rng_statement != st->env->statement) {
        rng_seed(&st->rng, st->env->random_seed);
        st->rng_seed = st->env->random_seed;
        st->rng_statement = st->env->statement;
        st->rng_seeded = true;
    }
    return &st->rng;
}

/* ---- errors ---- */

/* Sets the result to the error "<sqlstate>: <message>". */
void sql_fn_error(sqlite3_context *ctx, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A rc from sql_numeric_* as PostgreSQL reports it (22003 overflow, 22012 division by zero...). */
void sql_fn_numeric_error(sqlite3_context *ctx, int rc);
void sql_fn_nomem(sqlite3_context *ctx);

/* ---- runtime types ---- */

enum sql_vkind {
    SQL_VK_NULL = 0,
    SQL_VK_INT,
    SQL_VK_FLOAT,
    SQL_VK_NUMERIC,
    SQL_VK_DATE,
    SQL_VK_TIMESTAMP,
    SQL_VK_INTERVAL,
    SQL_VK_TEXT,
    SQL_VK_BLOB,
};

/* A SQLite value read as the PostgreSQL value it stands for. TEXT that reads as a numeric is a
 * numeric; the ISO shapes of dates and timestamps and interval text are those; other TEXT is
 * text. num is only valid for SQL_VK_NUMERIC (and large: keep few of these on the stack). */
struct sql_val {
    enum sql_vkind kind;
    int64_t i;
    double f;
    int32_t date;
    int64_t ts;
    bool tz; /* a timestamp that named a zone: timestamptz (ts is then UTC) */
    struct sql_interval iv;
    const char *text; /* TEXT and BLOB bytes (valid while the sqlite3_value is) */
    int len;
    struct sql_numeric num;
};

/* Classifies v. Returns 0, or a sql_numeric_* error for a numeric-looking text that does not
 * fit (the caller reports it). */
int sql_fn_classify(sqlite3_value *v, struct sql_val *out);
/* As sql_fn_classify, but TEXT is left as text (no numeric/datetime sniffing). */
void sql_fn_classify_plain(sqlite3_value *v, struct sql_val *out);
/* Whether a value is INT, FLOAT or NUMERIC. */
static inline bool sql_fn_is_number(const struct sql_val *v)
{
    return v->kind == SQL_VK_INT || v->kind == SQL_VK_FLOAT || v->kind == SQL_VK_NUMERIC;
}
/* A number as numeric (INT exactly, FLOAT as PostgreSQL's float8 → numeric). */
void sql_fn_to_numeric(const struct sql_val *v, struct sql_numeric *out);
/* A number as double. */
double sql_fn_to_double(const struct sql_val *v);
/* PostgreSQL's name for the value's type in messages ("integer", "numeric", "text"...). */
const char *sql_fn_kind_name(enum sql_vkind k);

/* ---- results ---- */

void sql_fn_result_numeric(sqlite3_context *ctx, const struct sql_numeric *n);
void sql_fn_result_date(sqlite3_context *ctx, int32_t d);
void sql_fn_result_timestamp(sqlite3_context *ctx, int64_t ts);
/* A timestamp, printed as timestamptz ('…+00') when tz. */
void sql_fn_result_ts(sqlite3_context *ctx, int64_t ts, bool tz);
void sql_fn_result_interval(sqlite3_context *ctx, const struct sql_interval *iv);
/* A float8 result. SQLite has no NaN (it stores NULL), so NaN becomes the text 'NaN', which
 * reads back as a numeric NaN and prints the same. */
void sql_fn_result_double(sqlite3_context *ctx, double d);
/* A float8 result with PostgreSQL's overflow checks: inf from finite inputs is 22003 overflow,
 * 0 from nonzero inputs (when check_underflow) is 22003 underflow. */
void sql_fn_result_float(sqlite3_context *ctx, double r, bool inputs_inf, bool check_underflow,
                         bool inputs_zero);
/* Takes ownership of b's bytes as a TEXT result (freed with free); b is reset. */
void sql_fn_result_buf_text(sqlite3_context *ctx, struct buf *b);

/* ---- text helpers ---- */

/* Number of UTF-8 characters in s. */
int64_t sql_fn_utf8_chars(const unsigned char *s, int64_t len);
/* Byte offset of character index ci (clamped to len). */
int64_t sql_fn_utf8_offset(const unsigned char *s, int64_t len, int64_t ci);

/* ---- arrays as PostgreSQL's text ('{1,"b c",NULL}') ---- */

/* Appends one element, quoted when PostgreSQL would quote it. 0 or ERR_NOMEM. */
int sql_fn_array_elem(struct buf *out, const char *s, int len);
/* Parses a one-dimensional array literal, calling fn for each element (elem NULL for NULL;
 * fn's nonzero return stops and is returned). 0, ERR_MALFORMED or fn's code. */
int sql_fn_array_parse(const char *s, int len, int (*fn)(void *arg, const char *elem, int elen),
                       void *arg);

/* ---- registration ---- */

/* One SQLite function a file provides. nargs -1 is variadic. Scalars set func; aggregates set
 * step and final (and value/inverse stay NULL). */
struct sql_fn_def {
    const char *name;
    int nargs;
    int flags; /* SQLITE_DETERMINISTIC etc. */
    void (*func)(sqlite3_context *, int, sqlite3_value **);
    void (*step)(sqlite3_context *, int, sqlite3_value **);
    void (*final)(sqlite3_context *);
};

extern const struct sql_fn_def sql_fn_ops_defs[];
extern const struct sql_fn_def sql_fn_math_defs[];
extern const struct sql_fn_def sql_fn_str_defs[];
extern const struct sql_fn_def sql_fn_dt_defs[];
extern const struct sql_fn_def sql_fn_misc_defs[];
extern const struct sql_fn_def sql_fn_json_defs[];
extern const struct sql_fn_def sql_fn_bytea_defs[];

/* Whether text is one JSON value (with blanks around). */
bool sql_fn_json_valid(const char *text, int len);
/* jsonb's canonical text of a JSON document. 0, ERR_MALFORMED, ERR_UNSUPPORTED (\u0000),
 * ERR_TOOBIG (too deep or too large), ERR_NOMEM. */
int sql_fn_jsonb_canonical(const char *text, int len, struct buf *out);

/* Registers the aggregates (sum and avg as window functions too). 0 or ERR_NOMEM/ERR_INVAL. */
int sql_fn_register_aggregates(sqlite3 *db, struct sql_fn_state *st, struct errbuf *eb);

/* The pg_numeric collation. */
int sql_fn_numeric_collate(void *arg, int alen, const void *a, int blen, const void *b);

/* Casts v to the PostgreSQL type named by type (as pg_cast). Sets the result or an error. */
void sql_fn_cast(sqlite3_context *ctx, sqlite3_value *v, const char *type, bool explicit_cast);

#endif
