/* Registration of Cairn's PostgreSQL-semantics functions on a SQLite connection and the table
 * mapping PostgreSQL function names to them. (Stub: the library is being filled in.) */
#include "sql/sql_func.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int sql_func_register(sqlite3 *db, const struct sql_func_env *env, struct errbuf *eb)
{
    if (db == NULL || env == NULL)
        return err_set(eb, ERR_INVAL, "sql_func_register: db and env are required");
    return 0;
}

const char *sql_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (is_aggregate != NULL)
        *is_aggregate = false;
    return NULL;
}

enum sql_pg_type sql_pg_type_from_decltype(const char *decltype)
{
    return SQL_PG_UNKNOWN;
}

uint32_t sql_pg_type_oid(enum sql_pg_type t)
{
    return 25;
}

const char *sql_pg_type_name(enum sql_pg_type t)
{
    return "text";
}

enum sql_pg_type sql_pg_type_of_storage(int sqlite_type)
{
    return SQL_PG_UNKNOWN;
}

int sql_value_to_pg_text(sqlite3_value *v, enum sql_pg_type t, struct buf *out)
{
    const unsigned char *s = sqlite3_value_text(v);
    return buf_append(out, s, (size_t)sqlite3_value_bytes(v));
}

size_t sql_format_float8(double d, char out[SQL_FLOAT_TEXT_BYTES_MAX])
{
    return (size_t)snprintf(out, SQL_FLOAT_TEXT_BYTES_MAX, "%.17g", d);
}

size_t sql_format_float4(float f, char out[SQL_FLOAT_TEXT_BYTES_MAX])
{
    return (size_t)snprintf(out, SQL_FLOAT_TEXT_BYTES_MAX, "%.9g", (double)f);
}
