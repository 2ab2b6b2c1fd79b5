/* PostgreSQL-semantics functions, aggregates and the pg_numeric collation for SQLite, and the
 * text output of SQLite values as PostgreSQL prints them. See docs/sql.md, "Values in SQLite". */
#ifndef CAIRN_SQL_SQL_FUNC_H
#define CAIRN_SQL_SQL_FUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/err.h"

/* The deterministic inputs of one statement, fixed by the coordinator before proposing. */
struct sql_func_env {
    int64_t now_us;       /* transaction timestamp, microseconds since 1970-01-01 UTC */
    uint64_t random_seed; /* seeds random() for this statement */
    /* Added beyond docs/sql.md; both may stay NULL (zero-initialized). The strings are the
     * caller's and must stay valid while env is registered. */
    const char *user;     /* current_user, session_user, user; NULL → "postgres" */
    const char *database; /* current_database(); NULL → "cairn" */
    uint64_t statement;   /* changed by the caller before every statement */
};
/* Registers every pg_* function, aggregate and the pg_numeric collation on db. env is read at
 * call time through the pointer: the caller owns it and may change it between statements; it
 * must outlive db. Returns 0 or ERR_NOMEM/ERR_INVAL.
 * random() and gen_random_uuid() restart their sequence from env->random_seed at the first
 * call of every statement (env->statement changed) and continue it within the statement: a
 * statement run twice with one seed draws the same values, whatever ran in between. */
int sql_func_register(sqlite3 *db, const struct sql_func_env *env, struct errbuf *eb);
/* The SQLite function that implements PostgreSQL's function `name` (lower case) called with
 * nargs arguments, or NULL if Cairn has none. Aggregates included (is_aggregate set).
 * The returned string is static. */
const char *sql_func_lookup(const char *name, int nargs, bool *is_aggregate);
/* The SQLite function for `name` called with an OVER clause: the aggregates' window variants
 * (SQLite requires different callbacks, e.g. "pg_min_w"; sum, avg and count serve both) and
 * the window-only functions SQLite has with PostgreSQL's meaning (row_number, rank,
 * dense_rank, percent_rank, cume_dist, ntile, lag, lead, first_value, last_value, nth_value).
 * NULL if `name` cannot be a window function. The returned string is static. */
const char *sql_func_lookup_window(const char *name, int nargs);
/* The pg_numeric collation's order of two texts (numerics in numeric order before any other
 * text, in byte order): for merging rows that SQLite sorted with it. <0, 0 or >0. */
int sql_numeric_collate(const void *a, int alen, const void *b, int blen);

/* ---- PostgreSQL types of values, for the executor's text output and RowDescription ---- */

enum sql_pg_type {
    SQL_PG_UNKNOWN = 0, /* no declared type: printed by the value's SQLite storage class */
    SQL_PG_BOOL,
    SQL_PG_INT2,
    SQL_PG_INT4,
    SQL_PG_INT8,
    SQL_PG_FLOAT4,
    SQL_PG_FLOAT8,
    SQL_PG_NUMERIC,
    SQL_PG_TEXT,
    SQL_PG_VARCHAR,
    SQL_PG_BPCHAR,
    SQL_PG_BYTEA,
    SQL_PG_DATE,
    SQL_PG_TIMESTAMP,
    SQL_PG_INTERVAL,
    SQL_PG_JSON,
    SQL_PG_TIMESTAMPTZ,
    SQL_PG_TIME,
    SQL_PG_TIMETZ,
    SQL_PG_UUID,
    SQL_PG_JSONB,
};

/* The PostgreSQL type of a column from its SQLite declared type (sqlite3_column_decltype):
 * INT2 INT4 INT8 FLOAT4 FLOAT8 NUMERIC_TEXT(p,s) TEXT VARCHAR(n) BPCHAR(n) BOOL_INT BYTEA_BLOB
 * DATE_TEXT TIMESTAMP_TEXT TIMESTAMPTZ_TEXT TIME_TEXT TIMETZ_TEXT INTERVAL_TEXT JSON_TEXT
 * JSONB_TEXT UUID_TEXT, case-insensitive; NULL or anything else is SQL_PG_UNKNOWN. */
enum sql_pg_type sql_pg_type_from_decltype(const char *decltype);
/* PostgreSQL's type OID (pg_type.oid) for RowDescription: bool 16, int8 20, int2 21, int4 23,
 * text 25, json 114, float4 700, float8 701, bpchar 1042, varchar 1043, date 1082, time 1083,
 * timestamp 1114, timestamptz 1184, interval 1186, timetz 1266, numeric 1700, uuid 2950,
 * jsonb 3802, bytea 17; SQL_PG_UNKNOWN → text (25). */
uint32_t sql_pg_type_oid(enum sql_pg_type t);
/* PostgreSQL's name for the type ("integer", "numeric", "timestamp without time zone"...). */
const char *sql_pg_type_name(enum sql_pg_type t);
/* The PostgreSQL type a value of SQLite storage class `sqlite_type` (SQLITE_INTEGER ...) has
 * when nothing else is known: INTEGER → int8, REAL → float8, BLOB → bytea, else text. */
enum sql_pg_type sql_pg_type_of_storage(int sqlite_type);

/* Appends v as PostgreSQL's text output for type t: bool 0/1 → t/f, float shortest round-trip
 * (float4 at single precision), bytea → \x hex, INTEGER under a numeric type → decimal, other
 * values as stored. For SQL_PG_UNKNOWN the storage class decides (INTEGER decimal, REAL as
 * float8, TEXT as is, BLOB as bytea). v must not be SQL NULL (the caller sends NULL itself).
 * Returns 0 or ERR_NOMEM. */
int sql_value_to_pg_text(sqlite3_value *v, enum sql_pg_type t, struct buf *out);

/* Room for any float text sql_format_float8/4 writes, NUL included. */
#define SQL_FLOAT_TEXT_BYTES_MAX 32
/* Writes d as PostgreSQL 12+ prints float8 (extra_float_digits = 1): the shortest text that
 * reads back as d, exponent form outside 1e-4 <= |d| < 1e15 ("0.1", "1e+20", "3",
 * "1.5e-05", "NaN", "Infinity", "-Infinity", "-0"). Returns the length written (NUL-terminated). */
size_t sql_format_float8(double d, char out[SQL_FLOAT_TEXT_BYTES_MAX]);
/* The same for float4: the shortest text that reads back as the float f. */
size_t sql_format_float4(float f, char out[SQL_FLOAT_TEXT_BYTES_MAX]);

#endif
