/* PostgreSQL's system information functions and the catalog helpers psql's backslash commands
 * call, answered from what a Cairn session knows (user, database, schema "public"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql_func_int.h"

/* What version() reports: clients parse the leading "PostgreSQL 15.0". */
#define SQL_VERSION_TEXT     "PostgreSQL 15.0 (Cairn) on x86_64-pc-linux-gnu, compiled by gcc, 64-bit"
#define SQL_DEFAULT_USER     "postgres"
#define SQL_DEFAULT_DATABASE "cairn"

static void sql_fn_typeof(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sql_val *v = malloc(sizeof(*v));
    if (v == NULL) {
        sql_fn_nomem(ctx);
        return;
    }
    const char *name = "unknown";
    if (sql_fn_classify(argv[0], v) == 0) {
        if (v->kind == SQL_VK_INT)
            name = v->i >= INT32_MIN && v->i <= INT32_MAX ? "integer" : "bigint";
        else if (v->kind != SQL_VK_NULL)
            name = sql_fn_kind_name(v->kind);
    }
    sqlite3_result_text(ctx, name, -1, SQLITE_STATIC);
    free(v);
}

static void sql_fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_text(ctx, SQL_VERSION_TEXT, -1, SQLITE_STATIC);
}

static void sql_fn_current_database(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *db = sql_fn_state(ctx)->env->database;
    sqlite3_result_text(ctx, db ? db : SQL_DEFAULT_DATABASE, -1, SQLITE_TRANSIENT);
}

static void sql_fn_current_user(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *user = sql_fn_state(ctx)->env->user;
    sqlite3_result_text(ctx, user ? user : SQL_DEFAULT_USER, -1, SQLITE_TRANSIENT);
}

static void sql_fn_current_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_text(ctx, "public", -1, SQLITE_STATIC);
}

static void sql_fn_current_schemas(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    bool implicit = sqlite3_value_int(argv[0]) != 0;
    sqlite3_result_text(ctx, implicit ? "{pg_catalog,public}" : "{public}", -1, SQLITE_STATIC);
}

/* A constant: there is no backend process per session. */
static void sql_fn_backend_pid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_int(ctx, 1);
}

static void sql_fn_get_userbyid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sql_fn_current_user(ctx, 0, NULL);
}

static void sql_fn_format_type(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    int64_t oid = sqlite3_value_int64(argv[0]);
    int64_t typmod = sqlite3_value_type(argv[1]) == SQLITE_NULL ? -1 : sqlite3_value_int64(argv[1]);
    char out[96];
    const char *name;
    switch (oid) {
    case 16:
        name = "boolean";
        break;
    case 17:
        name = "bytea";
        break;
    case 18:
        name = "\"char\"";
        break;
    case 19:
        name = "name";
        break;
    case 20:
        name = "bigint";
        break;
    case 21:
        name = "smallint";
        break;
    case 23:
        name = "integer";
        break;
    case 25:
        name = "text";
        break;
    case 26:
        name = "oid";
        break;
    case 114:
        name = "json";
        break;
    case 700:
        name = "real";
        break;
    case 701:
        name = "double precision";
        break;
    case 1042:
        name = "character";
        break;
    case 1043:
        name = "character varying";
        break;
    case 1082:
        name = "date";
        break;
    case 1114:
        name = "timestamp without time zone";
        break;
    case 1184:
        name = "timestamp with time zone";
        break;
    case 1186:
        name = "interval";
        break;
    case 1700:
        name = "numeric";
        break;
    case 2950:
        name = "uuid";
        break;
    case 3802:
        name = "jsonb";
        break;
    default:
        name = "???";
        break;
    }
    if ((oid == 1042 || oid == 1043) && typmod >= 4)
        snprintf(out, sizeof(out), "%s(%lld)", name, (long long)(typmod - 4));
    else if (oid == 1700 && typmod >= 4)
        snprintf(out, sizeof(out), "%s(%lld,%lld)", name,
                 (long long)(((typmod - 4) >> 16) & 0xffff), (long long)((typmod - 4) & 0xffff));
    else
        snprintf(out, sizeof(out), "%s", name);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* pg_table_is_visible and the privilege checks: everything is visible and allowed. */
static void sql_fn_true(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_int(ctx, 1);
}

/* obj_description, col_description, pg_get_expr: Cairn keeps no comments or expression trees. */
static void sql_fn_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_null(ctx);
}

static void sql_fn_encoding_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_text(ctx, "UTF8", -1, SQLITE_STATIC);
}

static void sql_count_nulls(sqlite3_context *ctx, int argc, sqlite3_value **argv, bool nulls)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if ((sqlite3_value_type(argv[i]) == SQLITE_NULL) == nulls)
            n++;
    }
    sqlite3_result_int(ctx, n);
}

static void sql_fn_num_nulls(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_count_nulls(ctx, argc, argv, true);
}

static void sql_fn_num_nonnulls(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sql_count_nulls(ctx, argc, argv, false);
}

/* pg_single(rows, value): a scalar subquery's value, printed as
 * (SELECT pg_single(count(*), min(c)) FROM (subquery LIMIT 2)): SQLite takes the first row
 * where PostgreSQL fails on a second (21000). */
static void sql_fn_single(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_int64(argv[0]) > 1) {
        sql_fn_error(ctx, "21000", "more than one row returned by a subquery used as an "
                     "expression");
        return;
    }
    sqlite3_result_value(ctx, argv[1]);
}

/* pg_not_null(value, column, table): the value, or 23502 when it is NULL. An index on it over
 * the rows where the column IS NULL enforces NOT NULL on a column SQLite cannot alter (a primary
 * key or a NOT NULL column added by ALTER TABLE): its creation fails on such a row already
 * there, and every later write of one fails the same way. The index itself stays empty. */
static void sql_fn_not_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    const char *col = (const char *)sqlite3_value_text(argv[1]);
    const char *table = (const char *)sqlite3_value_text(argv[2]);
    sql_fn_error(ctx, "23502", "null value in column \"%s\" of relation \"%s\" violates not-null "
                 "constraint", col ? col : "?", table ? table : "?");
}

/* pg_check_violated(value, constraint, table): 23514, whatever value is. An index on it over
 * the rows where a CHECK is false (WHERE NOT (check)) enforces a CHECK added by ALTER TABLE,
 * which SQLite cannot add to a table: every write of such a row fails. value is one of the
 * table's columns, so that the key is computed per row and not once per statement. */
static void sql_fn_check_violated(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *name = (const char *)sqlite3_value_text(argv[1]);
    const char *table = (const char *)sqlite3_value_text(argv[2]);
    sql_fn_error(ctx, "23514", "new row for relation \"%s\" violates check constraint \"%s\"",
                 table ? table : "?", name ? name : "?");
}

/* pg_raise_if(n, sqlstate, message): NULL when n is 0 or NULL, else the error. A schema change
 * asks the rows with it first (SELECT pg_raise_if(count(*), ...) FROM t WHERE ...), to fail in
 * PostgreSQL's words before it builds an index that would fail in a row's. */
static void sql_fn_raise_if(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_int64(argv[0]) == 0) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *state = (const char *)sqlite3_value_text(argv[1]);
    const char *msg = (const char *)sqlite3_value_text(argv[2]);
    sql_fn_error(ctx, state != NULL && strlen(state) == 5 ? state : "XX000", "%s",
                 msg ? msg : "a schema change's check failed");
}

/* pg_float4_text(r): a real as float4's text (the shortest that reads back as the float, in
 * exponent form from 10^6), as PostgreSQL casts a real to text. Other values pass. */
static void sql_fn_float4_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int t = sqlite3_value_type(argv[0]);
    if (t != SQLITE_FLOAT && t != SQLITE_INTEGER) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    char text[SQL_FLOAT_TEXT_BYTES_MAX];
    size_t n = sql_format_float4((float)sqlite3_value_double(argv[0]), text);
    sqlite3_result_text(ctx, text, (int)n, SQLITE_TRANSIENT);
}

#define D SQLITE_DETERMINISTIC
const struct sql_fn_def sql_fn_misc_defs[] = {
    {"pg_check_violated", 3, D, sql_fn_check_violated, NULL, NULL},
    {"pg_float4_text", 1, D, sql_fn_float4_text, NULL, NULL},
    {"pg_not_null", 3, D, sql_fn_not_null, NULL, NULL},
    {"pg_raise_if", 3, D, sql_fn_raise_if, NULL, NULL},
    {"pg_single", 2, D, sql_fn_single, NULL, NULL},
    {"pg_typeof", 1, D, sql_fn_typeof, NULL, NULL},
    {"pg_version", 0, D, sql_fn_version, NULL, NULL},
    {"pg_current_database", 0, 0, sql_fn_current_database, NULL, NULL},
    {"pg_current_schema", 0, D, sql_fn_current_schema, NULL, NULL},
    {"pg_current_schemas", 1, D, sql_fn_current_schemas, NULL, NULL},
    {"pg_current_user", 0, 0, sql_fn_current_user, NULL, NULL},
    {"pg_backend_pid", 0, D, sql_fn_backend_pid, NULL, NULL},
    {"pg_get_userbyid", 1, 0, sql_fn_get_userbyid, NULL, NULL},
    {"pg_format_type", 2, D, sql_fn_format_type, NULL, NULL},
    {"pg_true1", 1, D, sql_fn_true, NULL, NULL},
    {"pg_truen", -1, D, sql_fn_true, NULL, NULL},
    {"pg_nulln", -1, D, sql_fn_null, NULL, NULL},
    {"pg_encoding_to_char", 1, D, sql_fn_encoding_to_char, NULL, NULL},
    {"pg_num_nulls", -1, D, sql_fn_num_nulls, NULL, NULL},
    {"pg_num_nonnulls", -1, D, sql_fn_num_nonnulls, NULL, NULL},
    {NULL, 0, 0, NULL, NULL, NULL},
};
#undef D
