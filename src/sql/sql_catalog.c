/* PostgreSQL's system catalogs for Cairn's user tables, built as SQLite tables in a private
 * database, and the catalog functions psql and pgbench call on them. See sql_catalog.h. */
#include "sql/sql_catalog.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"

/* What the catalogs say about the server. Cairn's pg layer announces the same version in
 * ParameterStatus (src/proto/pg/pg.h, PG_SERVER_VERSION); this layer cannot include it. */
#define CAT_SERVER_VERSION     "15.0 (Cairn)"
#define CAT_SERVER_VERSION_NUM "150000"

/* PostgreSQL's fixed oids. */
#define OID_NS_PG_CATALOG         11u
#define OID_NS_PG_TOAST           99u
#define OID_NS_PUBLIC             2200u
#define OID_NS_INFORMATION_SCHEMA 13207u
#define OID_ROLE_SUPERUSER        10u
#define OID_ROLE_DATABASE_OWNER   6171u
#define OID_DATABASE              5u
#define OID_AM_HEAP               2u
#define OID_AM_BTREE              403u
#define OID_TABLESPACE_DEFAULT    1663u
#define OID_COLLATION_DEFAULT     100u
#define OID_PG_CLASS              1259u
#define OID_PG_CONSTRAINT         2606u
#define OID_PG_TYPE               1247u
#define OID_PG_NAMESPACE          2615u
#define OID_PG_DATABASE           1262u
#define OID_PG_AUTHID             1260u
#define OID_PG_PROC               1255u
#define OID_PG_AM                 2601u
#define OID_PG_ATTRDEF            2604u
#define OID_PG_INDEX              2610u

/* Encoding number of UTF8 in pg_database.encoding. */
#define CAT_ENCODING_UTF8 6

/* Statements prepared once per build for the row inserts. */
#define CAT_STMT_CACHE_MAX 64
/* Elements of an array value the array functions parse (catalog arrays are short). */
#define CAT_ARRAY_ITEMS_MAX 4096
/* pg_cast's argument counts the catalog's pg_cast takes over (value, type [, typmod]). */
#define CAT_CAST_NARGS_MAX 3
/* A qualified name given to regclass/regtype input. */
#define CAT_REGNAME_BYTES_MAX 256

/* ---- Types ---- */

/* One row of pg_type for the types Cairn's columns and catalogs use. */
struct cat_type {
    uint32_t oid;
    const char *typname;
    const char *display; /* format_type's name without modifiers */
    int16_t typlen;
    bool typbyval;
    char typcategory, typalign, typstorage;
    uint32_t typelem, typarray, typcollation;
};

static const struct cat_type cat_types[] = {
    {16, "bool", "boolean", 1, true, 'B', 'c', 'p', 0, 1000, 0},
    {17, "bytea", "bytea", -1, false, 'U', 'i', 'x', 0, 1001, 0},
    {18, "char", "\"char\"", 1, true, 'Z', 'c', 'p', 0, 1002, 0},
    {19, "name", "name", 64, false, 'S', 'c', 'p', 18, 1003, 950},
    {20, "int8", "bigint", 8, true, 'N', 'd', 'p', 0, 1016, 0},
    {21, "int2", "smallint", 2, true, 'N', 's', 'p', 0, 1005, 0},
    {22, "int2vector", "int2vector", -1, false, 'A', 'i', 'p', 21, 1006, 0},
    {23, "int4", "integer", 4, true, 'N', 'i', 'p', 0, 1007, 0},
    {24, "regproc", "regproc", 4, true, 'N', 'i', 'p', 0, 1008, 0},
    {25, "text", "text", -1, false, 'S', 'i', 'x', 0, 1009, 100},
    {26, "oid", "oid", 4, true, 'N', 'i', 'p', 0, 1028, 0},
    {28, "xid", "xid", 4, true, 'U', 'i', 'p', 0, 1011, 0},
    {30, "oidvector", "oidvector", -1, false, 'A', 'i', 'p', 26, 1013, 0},
    {114, "json", "json", -1, false, 'U', 'i', 'x', 0, 199, 0},
    {194, "pg_node_tree", "pg_node_tree", -1, false, 'Z', 'i', 'x', 0, 0, 100},
    {700, "float4", "real", 4, true, 'N', 'i', 'p', 0, 1021, 0},
    {701, "float8", "double precision", 8, true, 'N', 'd', 'p', 0, 1022, 0},
    {705, "unknown", "unknown", -2, false, 'X', 'c', 'p', 0, 0, 0},
    {1033, "aclitem", "aclitem", 12, false, 'U', 'i', 'p', 0, 1034, 0},
    {1042, "bpchar", "character", -1, false, 'S', 'i', 'x', 0, 1014, 100},
    {1043, "varchar", "character varying", -1, false, 'S', 'i', 'x', 0, 1015, 100},
    {1082, "date", "date", 4, true, 'D', 'i', 'p', 0, 1182, 0},
    {1083, "time", "time without time zone", 8, true, 'D', 'd', 'p', 0, 1183, 0},
    {1114, "timestamp", "timestamp without time zone", 8, true, 'D', 'd', 'p', 0, 1115, 0},
    {1184, "timestamptz", "timestamp with time zone", 8, true, 'D', 'd', 'p', 0, 1185, 0},
    {1186, "interval", "interval", 16, false, 'T', 'd', 'p', 0, 1187, 0},
    {1266, "timetz", "time with time zone", 12, false, 'D', 'd', 'p', 0, 1270, 0},
    {1700, "numeric", "numeric", -1, false, 'N', 'i', 'm', 0, 1231, 0},
    {2205, "regclass", "regclass", 4, true, 'N', 'i', 'p', 0, 2210, 0},
    {2206, "regtype", "regtype", 4, true, 'N', 'i', 'p', 0, 2211, 0},
    {2277, "anyarray", "anyarray", -1, false, 'P', 'd', 'x', 0, 0, 0},
    {2950, "uuid", "uuid", 16, false, 'U', 'c', 'p', 0, 2951, 0},
    {3802, "jsonb", "jsonb", -1, false, 'U', 'i', 'x', 0, 3807, 0},
    {4089, "regnamespace", "regnamespace", 4, true, 'N', 'i', 'p', 0, 4090, 0},
    {4096, "regrole", "regrole", 4, true, 'N', 'i', 'p', 0, 4097, 0},
};
#define CAT_NTYPES (sizeof(cat_types) / sizeof(cat_types[0]))

static const struct cat_type *cat_type_by_oid(uint32_t oid)
{
    for (size_t i = 0; i < CAT_NTYPES; i++)
        if (cat_types[i].oid == oid)
            return &cat_types[i];
    return NULL;
}

/* The base type of an array type oid, or NULL when oid is not one of ours. */
static const struct cat_type *cat_type_by_array_oid(uint32_t oid)
{
    for (size_t i = 0; i < CAT_NTYPES; i++)
        if (cat_types[i].typarray == oid && oid != 0)
            return &cat_types[i];
    return NULL;
}

static const struct cat_type *cat_type_by_name(const char *name)
{
    for (size_t i = 0; i < CAT_NTYPES; i++)
        if (strcmp(cat_types[i].typname, name) == 0 || strcmp(cat_types[i].display, name) == 0)
            return &cat_types[i];
    return NULL;
}

/* Interval typmod fields, as PostgreSQL's datetime.h numbers them. */
#define ITV_YEAR           (1 << 2)
#define ITV_MONTH          (1 << 1)
#define ITV_DAY            (1 << 3)
#define ITV_HOUR           (1 << 10)
#define ITV_MINUTE         (1 << 11)
#define ITV_SECOND         (1 << 12)
#define ITV_FULL_RANGE     0x7FFF
#define ITV_FULL_PRECISION 0xFFFF

static const struct {
    const char *text;
    int range;
} cat_interval_fields[] = {
    {"year", ITV_YEAR},
    {"month", ITV_MONTH},
    {"day", ITV_DAY},
    {"hour", ITV_HOUR},
    {"minute", ITV_MINUTE},
    {"second", ITV_SECOND},
    {"year to month", ITV_YEAR | ITV_MONTH},
    {"day to hour", ITV_DAY | ITV_HOUR},
    {"day to minute", ITV_DAY | ITV_HOUR | ITV_MINUTE},
    {"day to second", ITV_DAY | ITV_HOUR | ITV_MINUTE | ITV_SECOND},
    {"hour to minute", ITV_HOUR | ITV_MINUTE},
    {"hour to second", ITV_HOUR | ITV_MINUTE | ITV_SECOND},
    {"minute to second", ITV_MINUTE | ITV_SECOND},
};

/* PostgreSQL's format_type(oid, typmod): typmod < 0 is "none"; has_typmod false is SQL NULL,
 * which differs only for bpchar ("character" rather than "bpchar"). */
static int cat_format_type_oid(uint32_t oid, int32_t typmod, bool has_typmod, struct buf *out)
{
    const struct cat_type *elem = cat_type_by_array_oid(oid);
    if (elem != NULL && oid != 22 && oid != 30) {
        int rc = cat_format_type_oid(elem->oid, typmod, has_typmod, out);
        return rc != 0 ? rc : buf_append(out, "[]", 2);
    }
    const struct cat_type *t = cat_type_by_oid(oid);
    if (t == NULL)
        return buf_append(out, "???", 3);
    bool mod = has_typmod && typmod >= 0;
    switch (oid) {
    case 1042:
        if (mod && typmod >= 4)
            return buf_printf(out, "character(%d)", (int)(typmod - 4));
        return buf_printf(out, "%s", has_typmod ? "bpchar" : "character");
    case 1043:
        if (mod && typmod >= 4)
            return buf_printf(out, "character varying(%d)", (int)(typmod - 4));
        return buf_printf(out, "character varying");
    case 1700:
        if (mod && typmod >= 4)
            return buf_printf(out, "numeric(%d,%d)", (int)(((typmod - 4) >> 16) & 0xffff),
                              (int)((typmod - 4) & 0xffff));
        return buf_printf(out, "numeric");
    case 1083:
    case 1114:
        if (mod)
            return buf_printf(out, "%s(%d) without time zone", oid == 1083 ? "time" : "timestamp",
                              (int)typmod);
        return buf_printf(out, "%s", t->display);
    case 1266:
    case 1184:
        if (mod)
            return buf_printf(out, "%s(%d) with time zone", oid == 1266 ? "time" : "timestamp",
                              (int)typmod);
        return buf_printf(out, "%s", t->display);
    case 1186: {
        int rc = buf_printf(out, "interval");
        if (rc != 0 || !mod)
            return rc;
        int range = (typmod >> 16) & ITV_FULL_RANGE;
        int prec = typmod & 0xFFFF;
        for (size_t i = 0; range != ITV_FULL_RANGE &&
                           i < sizeof(cat_interval_fields) / sizeof(cat_interval_fields[0]);
             i++) {
            if (cat_interval_fields[i].range == range) {
                rc = buf_printf(out, " %s", cat_interval_fields[i].text);
                break;
            }
        }
        if (rc == 0 && prec != ITV_FULL_PRECISION)
            rc = buf_printf(out, "(%d)", prec);
        return rc;
    }
    default:
        return buf_printf(out, "%s", t->display);
    }
}

/* The pg_type oid and typmod of a column type as CREATE TABLE wrote it. */
static void cat_type_of(const struct sql_type *t, uint32_t *oid, int32_t *typmod)
{
    *typmod = -1;
    switch (t->kind) {
    case SQL_TYPE_BOOL:
        *oid = 16;
        break;
    case SQL_TYPE_INT2:
        *oid = 21;
        break;
    case SQL_TYPE_INT4:
        *oid = 23;
        break;
    case SQL_TYPE_INT8:
        *oid = 20;
        break;
    case SQL_TYPE_FLOAT4:
        *oid = 700;
        break;
    case SQL_TYPE_FLOAT8:
        *oid = 701;
        break;
    case SQL_TYPE_NUMERIC:
        *oid = 1700;
        if (t->mod1 >= 0)
            *typmod =
                (int32_t)((((uint32_t)t->mod1 << 16) | (uint32_t)(t->mod2 >= 0 ? t->mod2 : 0)) + 4);
        break;
    case SQL_TYPE_TEXT:
        *oid = 25;
        break;
    case SQL_TYPE_VARCHAR:
        *oid = 1043;
        if (t->mod1 >= 0)
            *typmod = t->mod1 + 4;
        break;
    case SQL_TYPE_BPCHAR:
        *oid = 1042;
        if (t->mod1 >= 0)
            *typmod = t->mod1 + 4;
        break;
    case SQL_TYPE_BYTEA:
        *oid = 17;
        break;
    case SQL_TYPE_DATE:
        *oid = 1082;
        break;
    case SQL_TYPE_TIME:
        *oid = 1083;
        *typmod = t->mod1;
        break;
    case SQL_TYPE_TIMETZ:
        *oid = 1266;
        *typmod = t->mod1;
        break;
    case SQL_TYPE_TIMESTAMP:
        *oid = 1114;
        *typmod = t->mod1;
        break;
    case SQL_TYPE_TIMESTAMPTZ:
        *oid = 1184;
        *typmod = t->mod1;
        break;
    case SQL_TYPE_INTERVAL: {
        *oid = 1186;
        int range = ITV_FULL_RANGE;
        if (t->interval_fields != NULL) {
            for (size_t i = 0; i < sizeof(cat_interval_fields) / sizeof(cat_interval_fields[0]);
                 i++)
                if (strcmp(cat_interval_fields[i].text, t->interval_fields) == 0)
                    range = cat_interval_fields[i].range;
        }
        if (range != ITV_FULL_RANGE || t->mod1 >= 0)
            *typmod = (int32_t)(((uint32_t)range << 16) |
                                (uint32_t)(t->mod1 >= 0 ? t->mod1 : ITV_FULL_PRECISION));
        break;
    }
    case SQL_TYPE_JSON:
        *oid = 114;
        break;
    case SQL_TYPE_JSONB:
        *oid = 3802;
        break;
    case SQL_TYPE_UUID:
        *oid = 2950;
        break;
    case SQL_TYPE_UNKNOWN:
        *oid = 25;
        break;
    case SQL_TYPE_OTHER: {
        const struct cat_type *ct = t->name != NULL ? cat_type_by_name(t->name) : NULL;
        *oid = ct != NULL ? ct->oid : 25;
        break;
    }
    }
    if (t->array_dims > 0) {
        const struct cat_type *ct = cat_type_by_oid(*oid);
        ASSERT(ct != NULL);
        if (ct->typarray != 0)
            *oid = ct->typarray;
    }
}

int sql_catalog_format_type(const struct sql_type *t, struct buf *out)
{
    uint32_t oid;
    int32_t typmod;
    cat_type_of(t, &oid, &typmod);
    return cat_format_type_oid(oid, typmod, true, out);
}

/* ---- Identifiers ---- */

/* Keywords PostgreSQL's quote_ident quotes (every category but unreserved), sorted. */
static const char *const cat_keywords[] = {
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
};

static int cat_keyword_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sql_catalog_quote_ident(const char *s, struct buf *out)
{
    bool safe = (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_';
    for (const char *p = s; safe && *p != '\0'; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (safe && bsearch(&s, cat_keywords, sizeof(cat_keywords) / sizeof(cat_keywords[0]),
                        sizeof(cat_keywords[0]), cat_keyword_cmp) != NULL)
        safe = false;
    if (safe)
        return buf_append(out, s, strlen(s));
    int rc = buf_append_u8(out, '"');
    for (const char *p = s; rc == 0 && *p != '\0'; p++)
        rc = *p == '"' ? buf_append(out, "\"\"", 2) : buf_append_u8(out, (uint8_t)*p);
    return rc != 0 ? rc : buf_append_u8(out, '"');
}

/* A buf's bytes as a C string (appends a NUL that len does not count). */
static const char *cat_cstr(struct buf *b)
{
    if (buf_append_u8(b, 0) != 0)
        return NULL;
    b->len--;
    return (const char *)b->data;
}

/* ---- Catalog relations ---- */

/* Column types of the catalog relations, written in their column lists by these names. */
struct cat_coltype {
    const char *token;
    uint32_t typoid;
    const char *decl; /* SQLite declared type (docs/sql.md) */
    const char *dflt; /* DEFAULT for columns a row leaves out; NULL: none */
    enum sql_type_kind kind;
    const char *other; /* SQL_TYPE_OTHER name */
    uint8_t array_dims;
};

static const struct cat_coltype cat_coltypes[] = {
    {"oid", 26, "INT8", "0", SQL_TYPE_OTHER, "oid", 0},
    {"name", 19, "TEXT", NULL, SQL_TYPE_OTHER, "name", 0},
    {"int2", 21, "INT2", "0", SQL_TYPE_INT2, NULL, 0},
    {"int4", 23, "INT4", "0", SQL_TYPE_INT4, NULL, 0},
    {"int8", 20, "INT8", "0", SQL_TYPE_INT8, NULL, 0},
    {"float4", 700, "FLOAT4", "0", SQL_TYPE_FLOAT4, NULL, 0},
    {"bool", 16, "BOOL_INT", "0", SQL_TYPE_BOOL, NULL, 0},
    {"char", 18, "TEXT", "''", SQL_TYPE_OTHER, "char", 0},
    {"text", 25, "TEXT", NULL, SQL_TYPE_TEXT, NULL, 0},
    {"xid", 28, "INT8", "0", SQL_TYPE_OTHER, "xid", 0},
    {"timestamptz", 1184, "TEXT", NULL, SQL_TYPE_TIMESTAMPTZ, NULL, 0},
    {"bytea", 17, "BYTEA_BLOB", NULL, SQL_TYPE_BYTEA, NULL, 0},
    {"node", 194, "TEXT", NULL, SQL_TYPE_OTHER, "pg_node_tree", 0},
    {"regproc", 24, "TEXT", "'-'", SQL_TYPE_OTHER, "regproc", 0},
    {"int2vector", 22, "TEXT", "''", SQL_TYPE_OTHER, "int2vector", 0},
    {"oidvector", 30, "TEXT", "''", SQL_TYPE_OTHER, "oidvector", 0},
    {"aclitem[]", 1034, "TEXT", NULL, SQL_TYPE_OTHER, "aclitem", 1},
    {"text[]", 1009, "TEXT", NULL, SQL_TYPE_TEXT, NULL, 1},
    {"int2[]", 1005, "TEXT", NULL, SQL_TYPE_INT2, NULL, 1},
    {"oid[]", 1028, "TEXT", NULL, SQL_TYPE_OTHER, "oid", 1},
    {"char[]", 1002, "TEXT", NULL, SQL_TYPE_OTHER, "char", 1},
    {"anyarray", 2277, "TEXT", NULL, SQL_TYPE_OTHER, "anyarray", 0},
};
#define CAT_NCOLTYPES (sizeof(cat_coltypes) / sizeof(cat_coltypes[0]))

struct cat_rel {
    const char *schema; /* pg_catalog or information_schema */
    const char *name;
    const char *sqlite_name;
    uint32_t oid;
    char relkind;     /* 'r' table, 'v' view */
    bool shared;      /* relisshared */
    const char *cols; /* "name type, name type, ..." with the types of cat_coltypes */
};

#define IS  "information_schema"
#define PGC "pg_catalog"

/* PostgreSQL 15's columns, in order, for every relation Cairn serves. */
static const struct cat_rel cat_rels[] = {
    {PGC, "pg_class", "pg_class", 1259, 'r', false,
     "oid oid, relname name, relnamespace oid, reltype oid, reloftype oid, relowner oid, "
     "relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4, "
     "relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, "
     "relpersistence char, relkind char, relnatts int2, relchecks int2, relhasrules bool, "
     "relhastriggers bool, relhassubclass bool, relrowsecurity bool, relforcerowsecurity bool, "
     "relispopulated bool, relreplident char, relispartition bool, relrewrite oid, "
     "relfrozenxid xid, relminmxid xid, relacl aclitem[], reloptions text[], relpartbound node"},
    {PGC, "pg_namespace", "pg_namespace", 2615, 'r', false,
     "oid oid, nspname name, nspowner oid, nspacl aclitem[]"},
    {PGC, "pg_attribute", "pg_attribute", 1249, 'r', false,
     "attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2, attnum int2, "
     "attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign char, "
     "attstorage char, attcompression char, attnotnull bool, atthasdef bool, "
     "atthasmissing bool, attidentity char, attgenerated char, attisdropped bool, "
     "attislocal bool, attinhcount int4, attcollation oid, attacl aclitem[], "
     "attoptions text[], attfdwoptions text[], attmissingval anyarray"},
    {PGC, "pg_type", "pg_type", 1247, 'r', false,
     "oid oid, typname name, typnamespace oid, typowner oid, typlen int2, typbyval bool, "
     "typtype char, typcategory char, typispreferred bool, typisdefined bool, typdelim char, "
     "typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc, "
     "typoutput regproc, typreceive regproc, typsend regproc, typmodin regproc, "
     "typmodout regproc, typanalyze regproc, typalign char, typstorage char, typnotnull bool, "
     "typbasetype oid, typtypmod int4, typndims int4, typcollation oid, typdefaultbin node, "
     "typdefault text, typacl aclitem[]"},
    {PGC, "pg_index", "pg_index", 2610, 'r', false,
     "indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool, "
     "indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool, "
     "indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, "
     "indislive bool, indisreplident bool, indkey int2vector, indcollation oidvector, "
     "indclass oidvector, indoption int2vector, indexprs node, indpred node"},
    {PGC, "pg_constraint", "pg_constraint", 2606, 'r', false,
     "oid oid, conname name, connamespace oid, contype char, condeferrable bool, "
     "condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid, "
     "conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char, "
     "conislocal bool, coninhcount int4, connoinherit bool, conkey int2[], confkey int2[], "
     "conpfeqop oid[], conppeqop oid[], conffeqop oid[], confdelsetcols int2[], "
     "conexclop oid[], conbin node"},
    {PGC, "pg_attrdef", "pg_attrdef", 2604, 'r', false,
     "oid oid, adrelid oid, adnum int2, adbin node"},
    {PGC, "pg_database", "pg_database", 1262, 'r', true,
     "oid oid, datname name, datdba oid, encoding int4, datlocprovider char, "
     "datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid xid, "
     "datminmxid xid, dattablespace oid, datcollate text, datctype text, daticulocale text, "
     "datcollversion text, datacl aclitem[]"},
    {PGC, "pg_roles", "pg_roles", 12000, 'v', false,
     "rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool, "
     "rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, "
     "rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text[], oid oid"},
    {PGC, "pg_authid", "pg_authid", 1260, 'r', true,
     "oid oid, rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, "
     "rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolbypassrls bool, "
     "rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz"},
    {PGC, "pg_user", "pg_user", 12014, 'v', false,
     "usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool, "
     "usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]"},
    {PGC, "pg_am", "pg_am", 2601, 'r', false,
     "oid oid, amname name, amhandler regproc, amtype char"},
    {PGC, "pg_description", "pg_description", 2609, 'r', false,
     "objoid oid, classoid oid, objsubid int4, description text"},
    {PGC, "pg_shdescription", "pg_shdescription", 2396, 'r', true,
     "objoid oid, classoid oid, description text"},
    {PGC, "pg_inherits", "pg_inherits", 2611, 'r', false,
     "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool"},
    {PGC, "pg_partitioned_table", "pg_partitioned_table", 3350, 'r', false,
     "partrelid oid, partstrat char, partnatts int2, partdefid oid, partattrs int2vector, "
     "partclass oidvector, partcollation oidvector, partexprs node"},
    {PGC, "pg_trigger", "pg_trigger", 2620, 'r', false,
     "oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2, "
     "tgenabled char, tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, "
     "tgconstraint oid, tgdeferrable bool, tginitdeferred bool, tgnargs int2, "
     "tgattr int2vector, tgargs bytea, tgqual node, tgoldtable name, tgnewtable name"},
    {PGC, "pg_policy", "pg_policy", 3256, 'r', false,
     "oid oid, polname name, polrelid oid, polcmd char, polpermissive bool, polroles oid[], "
     "polqual node, polwithcheck node"},
    {PGC, "pg_statistic_ext", "pg_statistic_ext", 3381, 'r', false,
     "oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid, "
     "stxstattarget int4, stxkeys int2vector, stxkind char[], stxexprs node"},
    {PGC, "pg_publication", "pg_publication", 6104, 'r', false,
     "oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool, "
     "pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool"},
    {PGC, "pg_publication_rel", "pg_publication_rel", 6106, 'r', false,
     "oid oid, prpubid oid, prrelid oid, prqual node, prattrs int2vector"},
    {PGC, "pg_publication_namespace", "pg_publication_namespace", 6237, 'r', false,
     "oid oid, pnpubid oid, pnnspid oid"},
    {PGC, "pg_tablespace", "pg_tablespace", 1213, 'r', true,
     "oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]"},
    {PGC, "pg_settings", "pg_settings", 12104, 'v', false,
     "name text, setting text, unit text, category text, short_desc text, extra_desc text, "
     "context text, vartype text, source text, min_val text, max_val text, enumvals text[], "
     "boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool"},
    {PGC, "pg_collation", "pg_collation", 3456, 'r', false,
     "oid oid, collname name, collnamespace oid, collowner oid, collprovider char, "
     "collisdeterministic bool, collencoding int4, collcollate text, collctype text, "
     "colliculocale text, collversion text"},
    {PGC, "pg_proc", "pg_proc", 1255, 'r', false,
     "oid oid, proname name, pronamespace oid, proowner oid, prolang oid, procost float4, "
     "prorows float4, provariadic oid, prosupport regproc, prokind char, prosecdef bool, "
     "proleakproof bool, proisstrict bool, proretset bool, provolatile char, "
     "proparallel char, pronargs int2, pronargdefaults int2, prorettype oid, "
     "proargtypes oidvector, proallargtypes oid[], proargmodes char[], proargnames text[], "
     "proargdefaults node, protrftypes oid[], prosrc text, probin text, prosqlbody node, "
     "proconfig text[], proacl aclitem[]"},
    {PGC, "pg_sequence", "pg_sequence", 2224, 'r', false,
     "seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8, "
     "seqmin int8, seqcache int8, seqcycle bool"},
    {PGC, "pg_extension", "pg_extension", 3079, 'r', false,
     "oid oid, extname name, extowner oid, extnamespace oid, extrelocatable bool, "
     "extversion text, extconfig oid[], extcondition text[]"},
    {PGC, "pg_rewrite", "pg_rewrite", 2618, 'r', false,
     "oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char, is_instead bool, "
     "ev_qual node, ev_action node"},
    {PGC, "pg_foreign_table", "pg_foreign_table", 3118, 'r', false,
     "ftrelid oid, ftserver oid, ftoptions text[]"},
    {PGC, "pg_depend", "pg_depend", 2608, 'r', false,
     "classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid, refobjsubid int4, "
     "deptype char"},
    {PGC, "pg_tables", "pg_tables", 12033, 'v', false,
     "schemaname name, tablename name, tableowner name, tablespace name, hasindexes bool, "
     "hasrules bool, hastriggers bool, rowsecurity bool"},
    {PGC, "pg_indexes", "pg_indexes", 12043, 'v', false,
     "schemaname name, tablename name, indexname name, tablespace name, indexdef text"},
    {PGC, "pg_views", "pg_views", 12028, 'v', false,
     "schemaname name, viewname name, viewowner name, definition text"},
    {PGC, "pg_stat_user_tables", "pg_stat_user_tables", 12161, 'v', false,
     "relid oid, schemaname name, relname name, seq_scan int8, seq_tup_read int8, "
     "idx_scan int8, idx_tup_fetch int8, n_tup_ins int8, n_tup_upd int8, n_tup_del int8, "
     "n_tup_hot_upd int8, n_live_tup int8, n_dead_tup int8, n_mod_since_analyze int8, "
     "n_ins_since_vacuum int8, last_vacuum timestamptz, last_autovacuum timestamptz, "
     "last_analyze timestamptz, last_autoanalyze timestamptz, vacuum_count int8, "
     "autovacuum_count int8, analyze_count int8, autoanalyze_count int8"},
    {IS, "tables", "information_schema_tables", 13425, 'v', false,
     "table_catalog name, table_schema name, table_name name, table_type text, "
     "self_referencing_column_name name, reference_generation text, "
     "user_defined_type_catalog name, user_defined_type_schema name, "
     "user_defined_type_name name, is_insertable_into text, is_typed text, commit_action text"},
    {IS, "columns", "information_schema_columns", 13295, 'v', false,
     "table_catalog name, table_schema name, table_name name, column_name name, "
     "ordinal_position int4, column_default text, is_nullable text, data_type text, "
     "character_maximum_length int4, character_octet_length int4, numeric_precision int4, "
     "numeric_precision_radix int4, numeric_scale int4, datetime_precision int4, "
     "interval_type text, interval_precision int4, character_set_catalog name, "
     "character_set_schema name, character_set_name name, collation_catalog name, "
     "collation_schema name, collation_name name, domain_catalog name, domain_schema name, "
     "domain_name name, udt_catalog name, udt_schema name, udt_name name, scope_catalog name, "
     "scope_schema name, scope_name name, maximum_cardinality int4, dtd_identifier name, "
     "is_self_referencing text, is_identity text, identity_generation text, "
     "identity_start text, identity_increment text, identity_maximum text, "
     "identity_minimum text, identity_cycle text, is_generated text, "
     "generation_expression text, is_updatable text"},
    {IS, "schemata", "information_schema_schemata", 13382, 'v', false,
     "catalog_name name, schema_name name, schema_owner name, "
     "default_character_set_catalog name, default_character_set_schema name, "
     "default_character_set_name name, sql_path text"},
    {IS, "table_constraints", "information_schema_table_constraints", 13411, 'v', false,
     "constraint_catalog name, constraint_schema name, constraint_name name, "
     "table_catalog name, table_schema name, table_name name, constraint_type text, "
     "is_deferrable text, initially_deferred text, enforced text, nulls_distinct text"},
    {IS, "key_column_usage", "information_schema_key_column_usage", 13329, 'v', false,
     "constraint_catalog name, constraint_schema name, constraint_name name, "
     "table_catalog name, table_schema name, table_name name, column_name name, "
     "ordinal_position int4, position_in_unique_constraint int4"},
    {IS, "views", "information_schema_views", 13483, 'v', false,
     "table_catalog name, table_schema name, table_name name, view_definition text, "
     "check_option text, is_updatable text, is_insertable_into text, "
     "is_trigger_updatable text, is_trigger_deletable text, is_trigger_insertable_into text"},
};
#define CAT_NRELS (sizeof(cat_rels) / sizeof(cat_rels[0]))

/* The relations Cairn never fills (no comments, inheritance, partitions, triggers, policies,
 * extended statistics, publications, functions, sequences, extensions, rules, foreign tables,
 * dependencies, views), by SQLite name. sql_catalog_result_is_empty relies on it; a test checks
 * that building leaves them empty. */
static const char *const cat_empty_rels[] = {
    "pg_description",
    "pg_shdescription",
    "pg_inherits",
    "pg_partitioned_table",
    "pg_trigger",
    "pg_policy",
    "pg_statistic_ext",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_namespace",
    "pg_proc",
    "pg_sequence",
    "pg_extension",
    "pg_rewrite",
    "pg_foreign_table",
    "pg_depend",
    "pg_views",
    "information_schema_views",
};

static bool cat_rel_is_empty(const struct cat_rel *r)
{
    for (size_t i = 0; i < sizeof(cat_empty_rels) / sizeof(cat_empty_rels[0]); i++)
        if (strcmp(cat_empty_rels[i], r->sqlite_name) == 0)
            return true;
    return false;
}

/* One column of a catalog relation, parsed from its column list. */
struct cat_col {
    char name[64];
    const struct cat_coltype *type;
};

/* Calls fn for every column of r in order; stops at a nonzero return and returns it. The lists
 * are this file's constants: a malformed one is a bug. */
static int cat_rel_each_col(const struct cat_rel *r,
                            int (*fn)(void *arg, uint32_t i, const struct cat_col *c), void *arg)
{
    const char *p = r->cols;
    for (uint32_t i = 0; *p != '\0'; i++) {
        struct cat_col c;
        size_t n = strcspn(p, " ");
        ASSERT(n > 0 && n < sizeof(c.name) && p[n] == ' ');
        memcpy(c.name, p, n);
        c.name[n] = '\0';
        p += n + 1;
        size_t m = strcspn(p, ",");
        c.type = NULL;
        for (size_t k = 0; k < CAT_NCOLTYPES; k++)
            if (strlen(cat_coltypes[k].token) == m && strncmp(cat_coltypes[k].token, p, m) == 0)
                c.type = &cat_coltypes[k];
        ASSERT(c.type != NULL);
        p += m;
        if (*p == ',')
            p += 2;
        int rc = fn(arg, i, &c);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const struct cat_rel *cat_rel_find(const char *schema, const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < CAT_NRELS; i++) {
        const struct cat_rel *r = &cat_rels[i];
        if (strcmp(r->name, name) != 0)
            continue;
        if (schema == NULL ? strcmp(r->schema, PGC) == 0 : strcmp(r->schema, schema) == 0)
            return r;
    }
    return NULL;
}

bool sql_catalog_is_catalog_ref(const char *schema, const char *name)
{
    if (schema != NULL)
        return strcmp(schema, PGC) == 0 || strcmp(schema, IS) == 0;
    return cat_rel_find(NULL, name) != NULL;
}

const char *sql_catalog_map_table(void *ctx, const char *schema, const char *name)
{
    (void)ctx;
    const struct cat_rel *r = cat_rel_find(schema, name);
    return r != NULL ? r->sqlite_name : NULL;
}

/* The columns of every catalog relation as the printer wants them, made once per process. */
static struct {
    pthread_once_t once;
    struct sql_table_column *cols[CAT_NRELS];
    uint32_t ncols[CAT_NRELS];
    char *names; /* all column names, NUL-separated */
} cat_columns = {PTHREAD_ONCE_INIT, {0}, {0}, NULL};

struct cat_count_arg {
    uint32_t ncols;
    size_t name_bytes;
};

static int cat_count_col(void *arg, uint32_t i, const struct cat_col *c)
{
    struct cat_count_arg *a = arg;
    a->ncols = i + 1;
    a->name_bytes += strlen(c->name) + 1;
    return 0;
}

struct cat_fill_arg {
    struct sql_table_column *cols;
    char *names;
};

static int cat_fill_col(void *arg, uint32_t i, const struct cat_col *c)
{
    struct cat_fill_arg *a = arg;
    size_t n = strlen(c->name) + 1;
    memcpy(a->names, c->name, n);
    struct sql_table_column *col = &a->cols[i];
    memset(col, 0, sizeof(*col));
    col->name = a->names;
    col->type.kind = c->type->kind;
    col->type.mod1 = col->type.mod2 = -1;
    col->type.array_dims = c->type->array_dims;
    col->type.name = c->type->other;
    col->type.loc = -1;
    a->names += n;
    return 0;
}

static void cat_columns_init(void)
{
    struct cat_count_arg counts[CAT_NRELS];
    size_t total_cols = 0, total_names = 0;
    for (size_t i = 0; i < CAT_NRELS; i++) {
        memset(&counts[i], 0, sizeof(counts[i]));
        cat_rel_each_col(&cat_rels[i], cat_count_col, &counts[i]);
        total_cols += counts[i].ncols;
        total_names += counts[i].name_bytes;
    }
    /* Allocated once for the life of the process; on failure table_columns reports -1. */
    struct sql_table_column *cols = calloc(total_cols, sizeof(*cols));
    char *names = malloc(total_names);
    if (cols == NULL || names == NULL) {
        free(cols);
        free(names);
        return;
    }
    cat_columns.names = names;
    for (size_t i = 0; i < CAT_NRELS; i++) {
        struct cat_fill_arg a = {cols, names};
        cat_rel_each_col(&cat_rels[i], cat_fill_col, &a);
        cat_columns.cols[i] = cols;
        cat_columns.ncols[i] = counts[i].ncols;
        cols += counts[i].ncols;
        names = a.names;
    }
}

int sql_catalog_table_columns(void *ctx, const char *schema, const char *table,
                              const struct sql_table_column **cols, uint32_t *n)
{
    (void)ctx;
    const struct cat_rel *r = cat_rel_find(schema, table);
    if (r == NULL)
        return -1;
    pthread_once(&cat_columns.once, cat_columns_init);
    size_t i = (size_t)(r - cat_rels);
    if (cat_columns.cols[i] == NULL)
        return -1;
    *cols = cat_columns.cols[i];
    *n = cat_columns.ncols[i];
    return 0;
}

/* ---- Building the database ---- */

/* Definitions the pg_get_*def functions return, computed while building: (kind 'i' index or 'c'
 * constraint, oid, column: 0 for the whole definition, k for an index's k-th column). Not
 * reachable through map_table. */
#define CAT_DEFS_TABLE "cairn_catalog_defs"
/* The col of an index's pretty-printed definition. */
#define CAT_DEF_PRETTY (-1)

struct cat_build {
    sqlite3 *db;
    struct errbuf *eb;
    const char *user;
    const char *database;
    uint32_t next_oid;
    uint32_t ncache;
    struct {
        const char *table;
        const char *cols;
        sqlite3_stmt *st;
    } cache[CAT_STMT_CACHE_MAX];
    struct buf sql;
};

static int cat_sqlite_err(struct cat_build *b, const char *what)
{
    if (sqlite3_errcode(b->db) == SQLITE_NOMEM)
        return err_set(b->eb, ERR_NOMEM, "catalog: out of memory (%s)", what);
    if ((sqlite3_errcode(b->db) & 0xff) == SQLITE_CONSTRAINT)
        return err_set(b->eb, ERR_INVAL, "catalog: %s: %s (an oid or name given twice?)", what,
                       sqlite3_errmsg(b->db));
    return err_set(b->eb, ERR_IO, "catalog: %s: %s", what, sqlite3_errmsg(b->db));
}

static int cat_exec(struct cat_build *b, const char *sql)
{
    if (sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cat_sqlite_err(b, sql);
    return 0;
}

#define CAT_NULL_INT INT64_MIN

/* Returns from the calling function when x fails (for fills that hold nothing to release). */
#define CAT_TRY(x)                                                                                 \
    do {                                                                                           \
        int try_rc_ = (x);                                                                         \
        if (try_rc_ != 0)                                                                          \
            return try_rc_;                                                                        \
    } while (0)

/* Inserts one row into table: cols is "a, b, c"; fmt has one letter per column:
 *   u uint32_t   i int   I int64_t   b bool (as int)   f double
 *   s const char * (NULL: SQL NULL)   c char (one-character text; '\0' gives '')   n SQL NULL
 *   z int64_t, CAT_NULL_INT giving SQL NULL */
static int cat_row(struct cat_build *b, const char *table, const char *cols, const char *fmt, ...)
{
    size_t ncols = 1;
    for (const char *p = cols; *p != '\0'; p++)
        ncols += *p == ',';
    ASSERT(ncols == strlen(fmt));
    sqlite3_stmt *st = NULL;
    for (uint32_t i = 0; i < b->ncache; i++)
        if (strcmp(b->cache[i].table, table) == 0 && strcmp(b->cache[i].cols, cols) == 0)
            st = b->cache[i].st;
    if (st == NULL) {
        buf_reset(&b->sql);
        int rc = buf_printf(&b->sql, "INSERT INTO %s(%s) VALUES(", table, cols);
        for (size_t k = 0; rc == 0 && fmt[k] != '\0'; k++)
            rc = buf_printf(&b->sql, k == 0 ? "?" : ",?");
        if (rc == 0)
            rc = buf_printf(&b->sql, ")");
        if (rc != 0)
            return err_set(b->eb, ERR_NOMEM, "catalog: out of memory");
        if (sqlite3_prepare_v2(b->db, (const char *)b->sql.data, (int)b->sql.len, &st, NULL) !=
            SQLITE_OK)
            return cat_sqlite_err(b, "prepare insert");
        if (b->ncache < CAT_STMT_CACHE_MAX) {
            b->cache[b->ncache].table = table;
            b->cache[b->ncache].cols = cols;
            b->cache[b->ncache].st = st;
            b->ncache++;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int brc = SQLITE_OK;
    for (int k = 0; fmt[k] != '\0' && brc == SQLITE_OK; k++) {
        int pos = k + 1;
        switch (fmt[k]) {
        case 'u':
            brc = sqlite3_bind_int64(st, pos, (int64_t)va_arg(ap, uint32_t));
            break;
        case 'i':
            brc = sqlite3_bind_int64(st, pos, (int64_t)va_arg(ap, int));
            break;
        case 'I':
            brc = sqlite3_bind_int64(st, pos, va_arg(ap, int64_t));
            break;
        case 'b':
            brc = sqlite3_bind_int(st, pos, va_arg(ap, int) ? 1 : 0);
            break;
        case 'f':
            brc = sqlite3_bind_double(st, pos, va_arg(ap, double));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            brc = s != NULL ? sqlite3_bind_text(st, pos, s, -1, SQLITE_TRANSIENT)
                            : sqlite3_bind_null(st, pos);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            brc = sqlite3_bind_text(st, pos, &c, c != '\0' ? 1 : 0, SQLITE_TRANSIENT);
            break;
        }
        case 'n':
            brc = sqlite3_bind_null(st, pos);
            break;
        case 'z': {
            int64_t v = va_arg(ap, int64_t);
            brc = v == CAT_NULL_INT ? sqlite3_bind_null(st, pos) : sqlite3_bind_int64(st, pos, v);
            break;
        }
        default:
            PANIC("cat_row: format letter %c", fmt[k]);
        }
    }
    va_end(ap);
    int rc = 0;
    if (brc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        rc = cat_sqlite_err(b, table);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    bool cached = false;
    for (uint32_t i = 0; i < b->ncache; i++)
        cached = cached || b->cache[i].st == st;
    if (!cached)
        sqlite3_finalize(st);
    return rc;
}

struct cat_create_arg {
    struct buf *sql;
    bool defaults; /* pg_catalog's columns are NOT NULL where information_schema's are NULL */
};

static int cat_create_col(void *arg, uint32_t i, const struct cat_col *c)
{
    struct cat_create_arg *a = arg;
    int rc = buf_printf(a->sql, "%s\"%s\" %s", i == 0 ? "" : ", ", c->name, c->type->decl);
    if (rc == 0 && a->defaults && c->type->dflt != NULL)
        rc = buf_printf(a->sql, " DEFAULT %s", c->type->dflt);
    return rc;
}

static int cat_create_tables(struct cat_build *b)
{
    for (size_t i = 0; i < CAT_NRELS; i++) {
        buf_reset(&b->sql);
        struct cat_create_arg a = {&b->sql, strcmp(cat_rels[i].schema, PGC) == 0};
        int rc = buf_printf(&b->sql, "CREATE TABLE \"%s\" (", cat_rels[i].sqlite_name);
        if (rc == 0)
            rc = cat_rel_each_col(&cat_rels[i], cat_create_col, &a);
        if (rc == 0)
            rc = buf_printf(&b->sql, ")");
        if (rc != 0 || cat_cstr(&b->sql) == NULL)
            return err_set(b->eb, ERR_NOMEM, "catalog: out of memory");
        rc = cat_exec(b, (const char *)b->sql.data);
        if (rc != 0)
            return rc;
    }
    /* Unique keys catch an oid given twice; the others serve the catalog functions' lookups. */
    return cat_exec(b,
                    "CREATE UNIQUE INDEX cairn_pg_class_oid ON pg_class(oid);"
                    "CREATE UNIQUE INDEX cairn_pg_class_name ON pg_class(relnamespace, relname);"
                    "CREATE UNIQUE INDEX cairn_pg_attribute_num ON pg_attribute(attrelid, attnum);"
                    "CREATE UNIQUE INDEX cairn_pg_type_oid ON pg_type(oid);"
                    "CREATE UNIQUE INDEX cairn_pg_index_oid ON pg_index(indexrelid);"
                    "CREATE UNIQUE INDEX cairn_pg_constraint_oid ON pg_constraint(oid);"
                    "CREATE INDEX cairn_pg_constraint_rel ON pg_constraint(conrelid);"
                    "CREATE TABLE " CAT_DEFS_TABLE " (kind TEXT, oid INT8, col INT4, def TEXT, "
                    "PRIMARY KEY (kind, oid, col))");
}

static int cat_fill_fixed(struct cat_build *b)
{
    static const char ns_cols[] = "oid, nspname, nspowner";
    CAT_TRY(cat_row(b, "pg_namespace", ns_cols, "usu", OID_NS_PG_CATALOG, PGC, OID_ROLE_SUPERUSER));
    CAT_TRY(cat_row(b, "pg_namespace", ns_cols, "usu", OID_NS_PG_TOAST, "pg_toast",
                    OID_ROLE_SUPERUSER));
    CAT_TRY(cat_row(b, "pg_namespace", ns_cols, "usu", OID_NS_PUBLIC, "public",
                    OID_ROLE_DATABASE_OWNER));
    CAT_TRY(cat_row(b, "pg_namespace", ns_cols, "usu", OID_NS_INFORMATION_SCHEMA, IS,
                    OID_ROLE_SUPERUSER));

    static const char authid_cols[] =
        "oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
        "rolreplication, rolbypassrls, rolconnlimit";
    CAT_TRY(cat_row(b, "pg_authid", authid_cols, "usbbbbbbbi", OID_ROLE_SUPERUSER, b->user, 1, 1, 1,
                    1, 1, 1, 1, -1));
    CAT_TRY(cat_row(b, "pg_authid", authid_cols, "usbbbbbbbi", OID_ROLE_DATABASE_OWNER,
                    "pg_database_owner", 0, 1, 0, 0, 0, 0, 0, -1));
    CAT_TRY(cat_exec(b, "INSERT INTO pg_roles SELECT rolname, rolsuper, rolinherit, "
                        "rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, "
                        "rolconnlimit, CASE WHEN rolcanlogin THEN '********' END, NULL, "
                        "rolbypassrls, NULL, oid FROM pg_authid ORDER BY oid;"
                        "INSERT INTO pg_user SELECT rolname, oid, rolcreatedb, rolsuper, "
                        "rolreplication, rolbypassrls, '********', NULL, NULL "
                        "FROM pg_authid WHERE rolcanlogin ORDER BY oid"));

    CAT_TRY(cat_row(b, "pg_database",
                    "oid, datname, datdba, encoding, datlocprovider, datistemplate, "
                    "datallowconn, datconnlimit, datfrozenxid, datminmxid, dattablespace, "
                    "datcollate, datctype",
                    "usuicbbiiiuss", OID_DATABASE, b->database, OID_ROLE_SUPERUSER,
                    CAT_ENCODING_UTF8, 'c', 0, 1, -1, 0, 1, OID_TABLESPACE_DEFAULT, "C", "C"));

    static const char am_cols[] = "oid, amname, amhandler, amtype";
    CAT_TRY(cat_row(b, "pg_am", am_cols, "ussc", OID_AM_HEAP, "heap", "heap_tableam_handler", 't'));
    CAT_TRY(cat_row(b, "pg_am", am_cols, "ussc", OID_AM_BTREE, "btree", "bthandler", 'i'));
    CAT_TRY(cat_row(b, "pg_am", am_cols, "ussc", 405u, "hash", "hashhandler", 'i'));

    static const char spc_cols[] = "oid, spcname, spcowner";
    CAT_TRY(cat_row(b, "pg_tablespace", spc_cols, "usu", OID_TABLESPACE_DEFAULT, "pg_default",
                    OID_ROLE_SUPERUSER));
    CAT_TRY(cat_row(b, "pg_tablespace", spc_cols, "usu", 1664u, "pg_global", OID_ROLE_SUPERUSER));

    static const char coll_cols[] =
        "oid, collname, collnamespace, collowner, collprovider, collisdeterministic, "
        "collencoding, collcollate, collctype";
    CAT_TRY(cat_row(b, "pg_collation", coll_cols, "usuucbiss", OID_COLLATION_DEFAULT, "default",
                    OID_NS_PG_CATALOG, OID_ROLE_SUPERUSER, 'd', 1, -1, NULL, NULL));
    CAT_TRY(cat_row(b, "pg_collation", coll_cols, "usuucbiss", 950u, "C", OID_NS_PG_CATALOG,
                    OID_ROLE_SUPERUSER, 'c', 1, -1, "C", "C"));
    CAT_TRY(cat_row(b, "pg_collation", coll_cols, "usuucbiss", 951u, "POSIX", OID_NS_PG_CATALOG,
                    OID_ROLE_SUPERUSER, 'c', 1, -1, "POSIX", "POSIX"));

    for (size_t i = 0; i < CAT_NTYPES; i++) {
        const struct cat_type *t = &cat_types[i];
        CAT_TRY(cat_row(b, "pg_type",
                        "oid, typname, typnamespace, typowner, typlen, typbyval, typtype, "
                        "typcategory, typisdefined, typdelim, typelem, typarray, typalign, "
                        "typstorage, typcollation, typtypmod, typndims",
                        "usuuibccbcuuccuii", t->oid, t->typname, OID_NS_PG_CATALOG,
                        OID_ROLE_SUPERUSER, (int)t->typlen, t->typbyval,
                        t->typcategory == 'P' ? 'p' : 'b', t->typcategory, 1, ',', t->typelem,
                        t->typarray, t->typalign, t->typstorage, t->typcollation, -1, 0));
        if (t->typarray != 0) {
            char aname[72];
            snprintf(aname, sizeof(aname), "_%s", t->typname);
            CAT_TRY(cat_row(b, "pg_type",
                            "oid, typname, typnamespace, typowner, typlen, typbyval, typtype, "
                            "typcategory, typisdefined, typdelim, typelem, typarray, typalign, "
                            "typstorage, typcollation, typtypmod, typndims",
                            "usuuibccbcuuccuii", t->typarray, aname, OID_NS_PG_CATALOG,
                            OID_ROLE_SUPERUSER, -1, 0, 'b', 'A', 1, ',', t->oid, 0u,
                            t->typalign == 'd' ? 'd' : 'i', 'x', t->typcollation, -1, 0));
        }
    }

    static const char set_cols[] =
        "name, setting, unit, category, short_desc, context, vartype, source, boot_val, reset_val";
    static const struct {
        const char *name, *setting, *context, *vartype;
    } settings[] = {
        {"DateStyle", "ISO, MDY", "user", "string"},
        {"IntervalStyle", "postgres", "user", "enum"},
        {"TimeZone", "UTC", "user", "string"},
        {"block_size", "8192", "internal", "integer"},
        {"client_encoding", "UTF8", "user", "string"},
        {"default_transaction_isolation", "serializable", "user", "enum"},
        {"extra_float_digits", "1", "user", "integer"},
        {"integer_datetimes", "on", "internal", "bool"},
        {"lc_collate", "C", "internal", "string"},
        {"lc_ctype", "C", "internal", "string"},
        {"max_connections", "100", "postmaster", "integer"},
        {"max_identifier_length", "63", "internal", "integer"},
        {"search_path", "\"$user\", public", "user", "string"},
        {"server_encoding", "UTF8", "internal", "string"},
        {"server_version", CAT_SERVER_VERSION, "internal", "string"},
        {"server_version_num", CAT_SERVER_VERSION_NUM, "internal", "integer"},
        {"standard_conforming_strings", "on", "user", "bool"},
        {"transaction_isolation", "serializable", "user", "string"},
    };
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        CAT_TRY(cat_row(b, "pg_settings", set_cols, "ssnnnsssss", settings[i].name,
                        settings[i].setting, settings[i].context, settings[i].vartype, "default",
                        settings[i].setting, settings[i].setting));

    static const char sch_cols[] = "catalog_name, schema_name, schema_owner";
    CAT_TRY(cat_row(b, "information_schema_schemata", sch_cols, "sss", b->database, IS, b->user));
    CAT_TRY(cat_row(b, "information_schema_schemata", sch_cols, "sss", b->database, PGC, b->user));
    CAT_TRY(cat_row(b, "information_schema_schemata", sch_cols, "sss", b->database, "pg_toast",
                    b->user));
    CAT_TRY(cat_row(b, "information_schema_schemata", sch_cols, "sss", b->database, "public",
                    "pg_database_owner"));
    return 0;
}

/* Attributes of one column, in pg_attribute's terms. */
struct cat_attr {
    uint32_t typoid;
    int32_t typmod;
    int16_t len;
    bool byval;
    char align, storage;
    uint32_t collation;
    int ndims;
};

static void cat_attr_of_oid(uint32_t typoid, int32_t typmod, struct cat_attr *a)
{
    const struct cat_type *t = cat_type_by_oid(typoid);
    const struct cat_type *elem = cat_type_by_array_oid(typoid);
    a->typoid = typoid;
    a->typmod = typmod;
    a->ndims = 0;
    if (elem != NULL && typoid != 22 && typoid != 30) {
        a->len = -1;
        a->byval = false;
        a->align = elem->typalign == 'd' ? 'd' : 'i';
        a->storage = 'x';
        a->collation = elem->typcollation;
        a->ndims = 1;
        return;
    }
    ASSERT(t != NULL);
    a->len = t->typlen;
    a->byval = t->typbyval;
    a->align = t->typalign;
    a->storage = t->typstorage;
    a->collation = t->typcollation;
}

static int cat_attribute_row(struct cat_build *b, uint32_t relid, const char *name, int attnum,
                             const struct cat_attr *a, bool notnull, bool hasdef)
{
    return cat_row(b, "pg_attribute",
                   "attrelid, attname, atttypid, attstattarget, attlen, attnum, attndims, "
                   "attcacheoff, atttypmod, attbyval, attalign, attstorage, attnotnull, "
                   "atthasdef, attislocal, attcollation",
                   "usuiiiiiibccbbbu", relid, name, a->typoid, -1, (int)a->len, attnum, a->ndims,
                   -1, (int)a->typmod, a->byval, a->align, a->storage, notnull, hasdef, 1,
                   a->collation);
}

struct cat_relcol_arg {
    struct cat_build *b;
    uint32_t relid;
    uint32_t n;
};

static int cat_relcol(void *arg, uint32_t i, const struct cat_col *c)
{
    struct cat_relcol_arg *a = arg;
    struct cat_attr at;
    cat_attr_of_oid(c->type->typoid, -1, &at);
    a->n = i + 1;
    return cat_attribute_row(a->b, a->relid, c->name, (int)i + 1, &at, true, false);
}

/* pg_class and pg_attribute rows for the catalogs themselves, so that \d pg_class works. */
static int cat_fill_catalog_rels(struct cat_build *b)
{
    for (size_t i = 0; i < CAT_NRELS; i++) {
        const struct cat_rel *r = &cat_rels[i];
        struct cat_relcol_arg a = {b, r->oid, 0};
        int rc = cat_rel_each_col(r, cat_relcol, &a);
        if (rc != 0)
            return rc;
        bool is_table = r->relkind == 'r';
        rc = cat_row(b, "pg_class",
                     "oid, relname, relnamespace, relowner, relam, relfilenode, reltablespace, "
                     "reltuples, relhasindex, relisshared, relpersistence, relkind, relnatts, "
                     "relispopulated, relreplident",
                     "usuuuuufbbcciic", r->oid, r->name,
                     strcmp(r->schema, PGC) == 0 ? OID_NS_PG_CATALOG : OID_NS_INFORMATION_SCHEMA,
                     OID_ROLE_SUPERUSER, is_table ? OID_AM_HEAP : 0u, is_table ? r->oid : 0u,
                     r->shared ? 1664u : 0u, -1.0, is_table, r->shared, 'p', r->relkind, (int)a.n,
                     1, 'n');
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Is s one SQL string literal ('...' with '' inside)? */
static bool cat_is_string_literal(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || s[0] != '\'' || s[n - 1] != '\'')
        return false;
    for (size_t i = 1; i < n - 1; i++) {
        if (s[i] != '\'')
            continue;
        if (s[i + 1] != '\'' || i + 1 == n - 1)
            return false;
        i++;
    }
    return true;
}

static bool cat_is_negative_number(const char *s)
{
    if (s[0] != '-' || s[1] == '\0')
        return false;
    for (const char *p = s + 1; *p != '\0'; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return false;
    return true;
}

/* The DEFAULT as pg_get_expr shows it: PostgreSQL stores a literal coerced to the column's type,
 * and prints it back with a cast where it would not read as that type alone ('x'::text,
 * '-1'::integer, '2024-01-01'::date); true/false in lower case. */
static int cat_render_default(const struct sql_catalog_table *t, const struct sql_catalog_column *c,
                              struct buf *out)
{
    uint32_t oid;
    int32_t typmod;
    cat_type_of(&c->type, &oid, &typmod);
    const char *d = c->default_text;
    if (d == NULL) {
        ASSERT(c->type.serial);
        int rc = buf_printf(out, "nextval('");
        struct buf seq = BUF_INIT;
        if (rc == 0)
            rc = buf_printf(&seq, "%s_%s_seq", t->name, c->name);
        /* The sequence name is a quoted identifier inside a string literal. */
        struct buf q = BUF_INIT;
        if (rc == 0 && cat_cstr(&seq) == NULL)
            rc = ERR_NOMEM;
        if (rc == 0)
            rc = sql_catalog_quote_ident((const char *)seq.data, &q);
        for (size_t i = 0; rc == 0 && i < q.len; i++)
            rc = q.data[i] == '\'' ? buf_append(out, "''", 2) : buf_append_u8(out, q.data[i]);
        buf_free(&seq);
        buf_free(&q);
        return rc != 0 ? rc : buf_printf(out, "'::regclass)");
    }
    bool numeric_type =
        oid == 20 || oid == 21 || oid == 23 || oid == 700 || oid == 701 || oid == 1700;
    if (strcasecmp(d, "true") == 0 || strcasecmp(d, "false") == 0)
        return buf_printf(out, "%s", tolower((unsigned char)d[0]) == 't' ? "true" : "false");
    if ((cat_is_string_literal(d) && !numeric_type && oid != 16) ||
        (numeric_type && cat_is_negative_number(d))) {
        int rc = d[0] == '\'' ? buf_printf(out, "%s::", d) : buf_printf(out, "'%s'::", d);
        return rc != 0 ? rc : cat_format_type_oid(oid, -1, true, out);
    }
    return buf_printf(out, "%s", d);
}

static int cat_def_row(struct cat_build *b, char kind, uint32_t oid, int col, const char *def)
{
    return cat_row(b, CAT_DEFS_TABLE, "kind, oid, col, def", "cuis", kind, oid, col, def);
}

/* '{1,2}' (int2[]) or '1 2' (int2vector) of 1-based column numbers. */
static int cat_attnums(const uint32_t *cols, uint32_t n, bool vector, struct buf *out)
{
    int rc = vector ? 0 : buf_append_u8(out, '{');
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = buf_printf(out, "%s%" PRIu32, i == 0 ? "" : vector ? " " : ",",
                        cols[i] == SQL_CATALOG_INDEX_EXPR ? 0 : cols[i] + 1);
    if (rc == 0 && !vector)
        rc = buf_append_u8(out, '}');
    return rc != 0 ? rc : cat_cstr(out) != NULL ? 0 : ERR_NOMEM;
}

/* "(a, b)" of column names. */
static int cat_col_list(const struct sql_catalog_table *t, const uint32_t *cols, uint32_t n,
                        struct buf *out)
{
    int rc = buf_append_u8(out, '(');
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0)
            rc = buf_append(out, ", ", 2);
        if (rc == 0)
            rc = sql_catalog_quote_ident(t->cols[cols[i]].name, out);
    }
    return rc != 0 ? rc : buf_append_u8(out, ')');
}

/* One index of a user table: its pg_class, pg_attribute, pg_index rows, its definitions, and
 * for a primary key or UNIQUE constraint its pg_constraint and information_schema rows. */
struct cat_index_desc {
    const char *name;
    uint32_t oid;
    bool unique, primary, constraint;
    uint32_t ncols;
    const uint32_t *cols;
    const char *const *elems;
    const char *where;
};

/* "(a, lower(b) DESC)": an index's elements, and its WHERE (in parentheses but when pretty). */
static int cat_index_elems(const struct sql_catalog_table *t, const struct cat_index_desc *ix,
                           bool pretty, struct buf *out)
{
    if (ix->elems == NULL)
        return cat_col_list(t, ix->cols, ix->ncols, out);
    int rc = buf_append_u8(out, '(');
    /* not pretty, PostgreSQL puts an operator's expression in parentheses of its own too */
    for (uint32_t i = 0; rc == 0 && i < ix->ncols; i++)
        rc = buf_printf(out, !pretty && ix->elems[i][0] == '(' ? "%s(%s)" : "%s%s",
                        i == 0 ? "" : ", ", ix->elems[i]);
    rc = rc ? rc : buf_append_u8(out, ')');
    if (rc == 0 && ix->where != NULL)
        rc = buf_printf(out, pretty ? " WHERE %s" : " WHERE (%s)", ix->where);
    return rc;
}

static int cat_fill_index(struct cat_build *b, const struct sql_catalog_table *t,
                          const struct cat_index_desc *ix)
{
    int rc = cat_row(b, "pg_class",
                     "oid, relname, relnamespace, relowner, relam, relfilenode, reltuples, "
                     "relpersistence, relkind, relnatts, relispopulated, relreplident",
                     "usuuuufcciic", ix->oid, ix->name, OID_NS_PUBLIC, OID_ROLE_SUPERUSER,
                     OID_AM_BTREE, ix->oid, 0.0, 'p', 'i', (int)ix->ncols, 1, 'n');
    struct buf key = BUF_INIT, coll = BUF_INIT, cls = BUF_INIT, opt = BUF_INIT, def = BUF_INIT;
    for (uint32_t k = 0; rc == 0 && k < ix->ncols; k++) {
        /* an expression: a column "expr" of type text (PostgreSQL has the expression's type) */
        bool expr = ix->cols[k] == SQL_CATALOG_INDEX_EXPR;
        const struct sql_catalog_column *c = expr ? NULL : &t->cols[ix->cols[k]];
        struct cat_attr a;
        uint32_t oid = 25;
        int32_t typmod = -1;
        if (c != NULL)
            cat_type_of(&c->type, &oid, &typmod);
        cat_attr_of_oid(oid, typmod, &a);
        rc = cat_attribute_row(b, ix->oid, c != NULL ? c->name : "expr", (int)k + 1, &a, false,
                               false);
        if (rc == 0)
            rc = buf_printf(&coll, "%s%" PRIu32, k == 0 ? "" : " ", a.collation);
        /* The default btree operator class of the type (PostgreSQL's oids where they matter
         * little: psql never shows them). */
        if (rc == 0)
            rc = buf_printf(&cls, "%s%u", k == 0 ? "" : " ", a.collation != 0 ? 3126u : 1978u);
        if (rc == 0)
            rc = buf_printf(&opt, "%s0", k == 0 ? "" : " ");
        if (rc == 0) {
            buf_reset(&def);
            rc = ix->elems != NULL ? buf_printf(&def, "%s", ix->elems[k])
                                   : sql_catalog_quote_ident(c->name, &def);
        }
        if (rc == 0 && cat_cstr(&def) == NULL)
            rc = ERR_NOMEM;
        if (rc == 0)
            rc = cat_def_row(b, 'i', ix->oid, (int)k + 1, (const char *)def.data);
    }
    if (rc == 0)
        rc = cat_attnums(ix->cols, ix->ncols, true, &key);
    if (rc == 0 && (cat_cstr(&coll) == NULL || cat_cstr(&cls) == NULL || cat_cstr(&opt) == NULL))
        rc = ERR_NOMEM;
    if (rc == 0)
        rc = cat_row(b, "pg_index",
                     "indexrelid, indrelid, indnatts, indnkeyatts, indisunique, indisprimary, "
                     "indimmediate, indisvalid, indisready, indislive, indkey, indcollation, "
                     "indclass, indoption",
                     "uuiibbbbbbssss", ix->oid, t->oid, (int)ix->ncols, (int)ix->ncols, ix->unique,
                     ix->primary, 1, 1, 1, 1, (const char *)key.data, (const char *)coll.data,
                     (const char *)cls.data, (const char *)opt.data);
    if (rc == 0) {
        buf_reset(&def);
        rc = buf_printf(&def, "CREATE %sINDEX ", ix->unique ? "UNIQUE " : "");
        rc = rc ? rc : sql_catalog_quote_ident(ix->name, &def);
        rc = rc ? rc : buf_printf(&def, " ON public.");
        rc = rc ? rc : sql_catalog_quote_ident(t->name, &def);
        rc = rc ? rc : buf_printf(&def, " USING btree ");
        rc = rc ? rc : cat_index_elems(t, ix, false, &def);
        rc = rc ? rc : cat_cstr(&def) != NULL ? 0 : ERR_NOMEM;
    }
    rc = rc ? rc : cat_def_row(b, 'i', ix->oid, 0, (const char *)def.data);
    rc = rc ? rc
            : cat_row(b, "pg_indexes", "schemaname, tablename, indexname, indexdef", "ssss",
                      "public", t->name, ix->name, (const char *)def.data);
    if (rc == 0) {
        /* Pretty-printed (pg_get_indexdef(oid, 0, true)), a visible table is not qualified. */
        buf_reset(&def);
        rc = buf_printf(&def, "CREATE %sINDEX ", ix->unique ? "UNIQUE " : "");
        rc = rc ? rc : sql_catalog_quote_ident(ix->name, &def);
        rc = rc ? rc : buf_printf(&def, " ON ");
        rc = rc ? rc : sql_catalog_quote_ident(t->name, &def);
        rc = rc ? rc : buf_printf(&def, " USING btree ");
        rc = rc ? rc : cat_index_elems(t, ix, true, &def);
        rc = rc ? rc : cat_cstr(&def) != NULL ? 0 : ERR_NOMEM;
    }
    rc = rc ? rc : cat_def_row(b, 'i', ix->oid, CAT_DEF_PRETTY, (const char *)def.data);
    if (rc == 0 && (ix->primary || ix->constraint)) {
        buf_reset(&key);
        rc = cat_attnums(ix->cols, ix->ncols, false, &key);
        rc =
            rc ? rc
               : cat_row(b, "pg_constraint",
                         "oid, conname, connamespace, contype, convalidated, conrelid, "
                         "conindid, confupdtype, confdeltype, confmatchtype, conislocal, "
                         "connoinherit, conkey",
                         "usucbuucccbbs", ix->oid, ix->name, OID_NS_PUBLIC, ix->primary ? 'p' : 'u',
                         1, t->oid, ix->oid, ' ', ' ', ' ', 1, 1, (const char *)key.data);
        if (rc == 0) {
            buf_reset(&def);
            rc = buf_printf(&def, "%s ", ix->primary ? "PRIMARY KEY" : "UNIQUE");
            rc = rc ? rc : cat_col_list(t, ix->cols, ix->ncols, &def);
            rc = rc ? rc : cat_cstr(&def) != NULL ? 0 : ERR_NOMEM;
        }
        rc = rc ? rc : cat_def_row(b, 'c', ix->oid, 0, (const char *)def.data);
        rc = rc ? rc
                : cat_row(b, "information_schema_table_constraints",
                          "constraint_catalog, constraint_schema, constraint_name, "
                          "table_catalog, table_schema, table_name, constraint_type, "
                          "is_deferrable, initially_deferred, enforced, nulls_distinct",
                          "sssssssssss", b->database, "public", ix->name, b->database, "public",
                          t->name, ix->primary ? "PRIMARY KEY" : "UNIQUE", "NO", "NO", "YES",
                          ix->primary ? NULL : "YES");
        for (uint32_t k = 0; rc == 0 && k < ix->ncols; k++)
            rc = cat_row(b, "information_schema_key_column_usage",
                         "constraint_catalog, constraint_schema, constraint_name, table_catalog, "
                         "table_schema, table_name, column_name, ordinal_position",
                         "sssssssi", b->database, "public", ix->name, b->database, "public",
                         t->name, t->cols[ix->cols[k]].name, (int)k + 1);
    }
    buf_free(&key);
    buf_free(&coll);
    buf_free(&cls);
    buf_free(&opt);
    buf_free(&def);
    return rc == ERR_NOMEM ? err_set(b->eb, ERR_NOMEM, "catalog: out of memory") : rc;
}

/* information_schema.columns for one column. */
static int cat_fill_is_column(struct cat_build *b, const struct sql_catalog_table *t, uint32_t i,
                              const char *dflt, bool notnull)
{
    const struct sql_catalog_column *c = &t->cols[i];
    uint32_t oid;
    int32_t typmod;
    cat_type_of(&c->type, &oid, &typmod);
    const struct cat_type *elem = cat_type_by_array_oid(oid);
    bool is_array = elem != NULL;
    const struct cat_type *ty = is_array ? NULL : cat_type_by_oid(oid);
    struct buf dtype = BUF_INIT;
    int rc = is_array ? buf_printf(&dtype, "ARRAY") : cat_format_type_oid(oid, -1, false, &dtype);
    rc = rc ? rc : cat_cstr(&dtype) != NULL ? 0 : ERR_NOMEM;
    char udt[72], dtd[16];
    snprintf(udt, sizeof(udt), "%s%s", is_array ? "_" : "", is_array ? elem->typname : ty->typname);
    snprintf(dtd, sizeof(dtd), "%" PRIu32, i + 1);
    int64_t charmax = CAT_NULL_INT, octets = CAT_NULL_INT, prec = CAT_NULL_INT,
            radix = CAT_NULL_INT, scale = CAT_NULL_INT, dtprec = CAT_NULL_INT;
    if (!is_array) {
        switch (oid) {
        case 1042:
        case 1043:
        case 25:
            if (oid != 25 && typmod >= 4) {
                charmax = typmod - 4;
                octets = (int64_t)(typmod - 4) * 4;
            } else {
                octets = 1073741824;
            }
            break;
        case 21:
            prec = 16;
            radix = 2;
            scale = 0;
            break;
        case 23:
            prec = 32;
            radix = 2;
            scale = 0;
            break;
        case 20:
            prec = 64;
            radix = 2;
            scale = 0;
            break;
        case 700:
            prec = 24;
            radix = 2;
            break;
        case 701:
            prec = 53;
            radix = 2;
            break;
        case 1700:
            radix = 10;
            if (typmod >= 4) {
                prec = ((typmod - 4) >> 16) & 0xffff;
                scale = (typmod - 4) & 0xffff;
            }
            break;
        case 1082:
            dtprec = 0;
            break;
        case 1083:
        case 1266:
        case 1114:
        case 1184:
            dtprec = typmod >= 0 ? typmod : 6;
            break;
        case 1186:
            dtprec = typmod >= 0 && (typmod & 0xffff) != ITV_FULL_PRECISION ? (typmod & 0xffff) : 6;
            break;
        default:
            break;
        }
    }
    char itype[64] = "";
    if (!is_array && oid == 1186 && c->type.interval_fields != NULL) {
        size_t k = 0;
        for (const char *p = c->type.interval_fields; *p != '\0' && k + 1 < sizeof(itype); p++)
            itype[k++] = (char)toupper((unsigned char)*p);
        itype[k] = '\0';
        if (c->type.mod1 >= 0)
            snprintf(itype + k, sizeof(itype) - k, "(%d)", (int)c->type.mod1);
    }
    if (rc == 0)
        rc = cat_row(b, "information_schema_columns",
                     "table_catalog, table_schema, table_name, column_name, ordinal_position, "
                     "column_default, is_nullable, data_type, udt_catalog, udt_schema, udt_name, "
                     "dtd_identifier, is_self_referencing, is_identity, is_generated, "
                     "is_updatable, interval_type, character_maximum_length, "
                     "character_octet_length, numeric_precision, numeric_precision_radix, "
                     "numeric_scale, datetime_precision",
                     "ssssisssssssssssszzzzzz", b->database, "public", t->name, c->name, (int)i + 1,
                     dflt, notnull ? "NO" : "YES", (const char *)dtype.data, b->database, PGC, udt,
                     dtd, "NO", "NO", "NEVER", "YES", itype[0] != '\0' ? itype : NULL, charmax,
                     octets, prec, radix, scale, dtprec);
    buf_free(&dtype);
    if (rc == ERR_NOMEM)
        return err_set(b->eb, ERR_NOMEM, "catalog: out of memory");
    return rc;
}

static int cat_fill_table(struct cat_build *b, const struct sql_catalog_table *t)
{
    bool has_index = t->npk > 0 || t->nindexes > 0;
    int rc =
        cat_row(b, "pg_class",
                "oid, relname, relnamespace, relowner, relam, relfilenode, reltuples, "
                "relhasindex, relpersistence, relkind, relnatts, relchecks, relispopulated, "
                "relreplident",
                "usuuuufbcciiic", t->oid, t->name, OID_NS_PUBLIC, OID_ROLE_SUPERUSER, OID_AM_HEAP,
                t->oid, -1.0, has_index, 'p', 'r', (int)t->ncols, (int)t->nchecks, 1, 'd');
    struct buf dflt = BUF_INIT;
    for (uint32_t i = 0; rc == 0 && i < t->ncols; i++) {
        const struct sql_catalog_column *c = &t->cols[i];
        bool in_pk = false;
        for (uint32_t k = 0; k < t->npk; k++)
            in_pk = in_pk || t->pk[k] == i;
        bool notnull = c->not_null || in_pk || c->type.serial;
        bool hasdef = c->default_text != NULL || c->type.serial;
        uint32_t oid;
        int32_t typmod;
        cat_type_of(&c->type, &oid, &typmod);
        struct cat_attr a;
        cat_attr_of_oid(oid, typmod, &a);
        rc = cat_attribute_row(b, t->oid, c->name, (int)i + 1, &a, notnull, hasdef);
        buf_reset(&dflt);
        if (rc == 0 && hasdef) {
            rc = cat_render_default(t, c, &dflt);
            rc = rc ? rc : cat_cstr(&dflt) != NULL ? 0 : ERR_NOMEM;
            rc = rc ? rc
                    : cat_row(b, "pg_attrdef", "oid, adrelid, adnum, adbin", "uuis", b->next_oid++,
                              t->oid, (int)i + 1, (const char *)dflt.data);
        }
        if (rc == 0)
            rc = cat_fill_is_column(b, t, i, hasdef ? (const char *)dflt.data : NULL, notnull);
        if (rc == 0 && notnull) {
            char name[64];
            snprintf(name, sizeof(name), "%u_%" PRIu32 "_%" PRIu32 "_not_null", OID_NS_PUBLIC,
                     t->oid, i + 1);
            rc = cat_row(b, "information_schema_table_constraints",
                         "constraint_catalog, constraint_schema, constraint_name, "
                         "table_catalog, table_schema, table_name, constraint_type, "
                         "is_deferrable, initially_deferred, enforced",
                         "ssssssssss", b->database, "public", name, b->database, "public", t->name,
                         "CHECK", "NO", "NO", "YES");
        }
    }
    buf_free(&dflt);
    if (rc == ERR_NOMEM)
        return err_set(b->eb, ERR_NOMEM, "catalog: out of memory");
    if (rc == 0 && t->npk > 0) {
        char name[128];
        if (t->pk_name == NULL)
            snprintf(name, sizeof(name), "%.*s_pkey", (int)SQL_IDENT_BYTES_MAX - 5, t->name);
        struct cat_index_desc ix = {t->pk_name != NULL ? t->pk_name : name,
                                    t->pk_oid != 0 ? t->pk_oid : b->next_oid++,
                                    true,
                                    true,
                                    true,
                                    t->npk,
                                    t->pk,
                                    NULL,
                                    NULL};
        rc = cat_fill_index(b, t, &ix);
    }
    for (uint32_t i = 0; rc == 0 && i < t->nindexes; i++) {
        const struct sql_catalog_index *x = &t->indexes[i];
        struct cat_index_desc ix = {.name = x->name,
                                    .oid = x->oid,
                                    .unique = x->unique || x->constraint,
                                    .constraint = x->constraint,
                                    .ncols = x->ncols,
                                    .cols = x->cols,
                                    .elems = x->elems,
                                    .where = x->where};
        rc = cat_fill_index(b, t, &ix);
    }
    for (uint32_t i = 0; rc == 0 && i < t->nchecks; i++) {
        const struct sql_catalog_check *k = &t->checks[i];
        uint32_t oid = b->next_oid++;
        struct buf def = BUF_INIT;
        rc = buf_printf(&def, "CHECK (%s)", k->expr_text);
        rc = rc ? rc : cat_cstr(&def) != NULL ? 0 : ERR_NOMEM;
        if (rc == ERR_NOMEM)
            rc = err_set(b->eb, ERR_NOMEM, "catalog: out of memory");
        rc = rc ? rc
                : cat_row(b, "pg_constraint",
                          "oid, conname, connamespace, contype, convalidated, conrelid, "
                          "confupdtype, confdeltype, confmatchtype, conislocal, conbin",
                          "usucbucccbs", oid, k->name, OID_NS_PUBLIC, 'c', 1, t->oid, ' ', ' ', ' ',
                          1, k->expr_text);
        rc = rc ? rc : cat_def_row(b, 'c', oid, 0, (const char *)def.data);
        rc = rc ? rc
                : cat_row(b, "information_schema_table_constraints",
                          "constraint_catalog, constraint_schema, constraint_name, "
                          "table_catalog, table_schema, table_name, constraint_type, "
                          "is_deferrable, initially_deferred, enforced",
                          "ssssssssss", b->database, "public", k->name, b->database, "public",
                          t->name, "CHECK", "NO", "NO", "YES");
        buf_free(&def);
    }
    rc = rc ? rc
            : cat_row(b, "pg_tables",
                      "schemaname, tablename, tableowner, hasindexes, hasrules, "
                      "hastriggers, rowsecurity",
                      "sssbbbb", "public", t->name, b->user, has_index, 0, 0, 0);
    rc = rc ? rc
            : cat_row(b, "information_schema_tables",
                      "table_catalog, table_schema, table_name, table_type, "
                      "is_insertable_into, is_typed",
                      "ssssss", b->database, "public", t->name, "BASE TABLE", "YES", "NO");
    rc = rc ? rc
            : cat_row(b, "pg_stat_user_tables", "relid, schemaname, relname", "uss", t->oid,
                      "public", t->name);
    return rc;
}

/* cols[0..n) name columns of t; elems (an index's, or NULL): an element that has one may be an
 * expression instead. */
static int cat_check_cols(struct errbuf *eb, const struct sql_catalog_table *t, const char *what,
                          const uint32_t *cols, uint32_t n, const char *const *elems)
{
    if (n > SQL_CATALOG_INDEX_COLUMNS_MAX)
        return err_set(eb, ERR_TOOBIG, "catalog: table %s: %s has %" PRIu32 " columns", t->name,
                       what, n);
    if (n > 0 && cols == NULL)
        return err_set(eb, ERR_INVAL, "catalog: table %s: %s without columns", t->name, what);
    for (uint32_t i = 0; i < n; i++)
        if (cols[i] >= t->ncols &&
            (cols[i] != SQL_CATALOG_INDEX_EXPR || elems == NULL || elems[i] == NULL))
            return err_set(eb, ERR_INVAL,
                           "catalog: table %s: %s names column %" PRIu32 " of %" PRIu32, t->name,
                           what, cols[i], t->ncols);
    return 0;
}

static bool cat_oid_ok(uint32_t oid)
{
    return oid >= SQL_CATALOG_OID_USER_MIN && oid < SQL_CATALOG_OID_SYNTH_MIN;
}

static int cat_validate(const struct sql_catalog_table *tables, uint32_t n, struct errbuf *eb)
{
    if (n > SQL_CATALOG_TABLES_MAX)
        return err_set(eb, ERR_TOOBIG, "catalog: %" PRIu32 " tables", n);
    if (n > 0 && tables == NULL)
        return err_set(eb, ERR_INVAL, "catalog: no table array");
    for (uint32_t i = 0; i < n; i++) {
        const struct sql_catalog_table *t = &tables[i];
        if (t->name == NULL)
            return err_set(eb, ERR_INVAL, "catalog: table %" PRIu32 " has no name", i);
        if (!cat_oid_ok(t->oid) || (t->pk_oid != 0 && !cat_oid_ok(t->pk_oid)))
            return err_set(eb, ERR_INVAL, "catalog: table %s: oid out of the user range", t->name);
        if (t->ncols > SQL_COLUMNS_MAX)
            return err_set(eb, ERR_TOOBIG, "catalog: table %s: %" PRIu32 " columns", t->name,
                           t->ncols);
        if (t->ncols > 0 && t->cols == NULL)
            return err_set(eb, ERR_INVAL, "catalog: table %s: no column array", t->name);
        for (uint32_t k = 0; k < t->ncols; k++) {
            if (t->cols[k].name == NULL)
                return err_set(eb, ERR_INVAL, "catalog: table %s: column %" PRIu32 " has no name",
                               t->name, k);
            const struct sql_type *ty = &t->cols[k].type;
            if (ty->kind == SQL_TYPE_OTHER && ty->name == NULL)
                return err_set(eb, ERR_INVAL, "catalog: table %s: column %s: type without name",
                               t->name, t->cols[k].name);
        }
        int rc = cat_check_cols(eb, t, "the primary key", t->pk, t->npk, NULL);
        rc = rc ? rc : cat_check_cols(eb, t, "DISTRIBUTED BY", t->dist, t->ndist, NULL);
        if (rc != 0)
            return rc;
        if (t->nindexes > 0 && t->indexes == NULL)
            return err_set(eb, ERR_INVAL, "catalog: table %s: no index array", t->name);
        for (uint32_t k = 0; k < t->nindexes; k++) {
            const struct sql_catalog_index *x = &t->indexes[k];
            if (x->name == NULL || !cat_oid_ok(x->oid))
                return err_set(eb, ERR_INVAL,
                               "catalog: table %s: index %" PRIu32
                               " without a name or with an oid out of the user range",
                               t->name, k);
            rc = cat_check_cols(eb, t, "an index", x->cols, x->ncols, x->elems);
            if (rc != 0)
                return rc;
        }
        if (t->nchecks > 0 && t->checks == NULL)
            return err_set(eb, ERR_INVAL, "catalog: table %s: no check array", t->name);
        for (uint32_t k = 0; k < t->nchecks; k++)
            if (t->checks[k].name == NULL || t->checks[k].expr_text == NULL)
                return err_set(eb, ERR_INVAL,
                               "catalog: table %s: check %" PRIu32 " without name or expression",
                               t->name, k);
    }
    return 0;
}

static int cat_register_functions(sqlite3 *db, const struct sql_func_env *env, struct errbuf *eb);

int sql_catalog_build(sqlite3 *db, const struct sql_func_env *env,
                      const struct sql_catalog_table *t, uint32_t n, struct errbuf *eb)
{
    if (db == NULL || env == NULL)
        return err_set(eb, ERR_INVAL, "catalog: db and env are required");
    int rc = cat_validate(t, n, eb);
    if (rc != 0)
        return rc;
    rc = sql_func_register(db, env, eb);
    if (rc != 0)
        return rc;
    rc = cat_register_functions(db, env, eb);
    if (rc != 0)
        return rc;
    struct cat_build b;
    memset(&b, 0, sizeof(b));
    b.db = db;
    b.eb = eb;
    b.user = env->user != NULL ? env->user : "postgres";
    b.database = env->database != NULL ? env->database : "cairn";
    b.next_oid = SQL_CATALOG_OID_SYNTH_MIN;
    rc = cat_exec(&b, "BEGIN");
    if (rc != 0)
        return rc;
    rc = cat_create_tables(&b);
    rc = rc ? rc : cat_fill_fixed(&b);
    rc = rc ? rc : cat_fill_catalog_rels(&b);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = cat_fill_table(&b, &t[i]);
    for (uint32_t i = 0; i < b.ncache; i++)
        sqlite3_finalize(b.cache[i].st);
    rc = rc ? rc : cat_exec(&b, "COMMIT");
    if (rc != 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    buf_free(&b.sql);
    return rc;
}

/* ---- Catalog functions ---- */

/* Runs a one-row query on the catalog database the function is called in. The statement is
 * prepared per call: catalog queries are small and this keeps functions free of state. */
static sqlite3_stmt *cat_fn_prepare(sqlite3_context *ctx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(sqlite3_context_db_handle(ctx), sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        sqlite3_result_error(ctx, "XX000: catalog query failed", -1);
        return NULL;
    }
    return st;
}

static void cat_result_buf(sqlite3_context *ctx, struct buf *b, int rc)
{
    if (rc != 0)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, b->len > 0 ? (const char *)b->data : "", (int)b->len,
                            SQLITE_TRANSIENT);
    buf_free(b);
}

static void cat_result_error(sqlite3_context *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void cat_result_error(sqlite3_context *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sqlite3_result_error(ctx, msg, -1);
}

/* Splits a possibly qualified, possibly quoted name ("s"."t", public.t, T) into at most two
 * parts, folding unquoted parts to lower case. Returns the number of parts, 0 when malformed. */
static int cat_split_name(const char *in, char parts[2][CAT_REGNAME_BYTES_MAX])
{
    int np = 0;
    const char *p = in;
    while (isspace((unsigned char)*p))
        p++;
    for (;;) {
        if (np == 2)
            return 0;
        size_t n = 0;
        char *out = parts[np];
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0')
                    return 0;
                if (*p == '"' && p[1] == '"') {
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                }
                if (n + 1 >= CAT_REGNAME_BYTES_MAX)
                    return 0;
                out[n++] = *p++;
            }
        } else {
            while (*p != '\0' && *p != '.' && !isspace((unsigned char)*p)) {
                if (n + 1 >= CAT_REGNAME_BYTES_MAX)
                    return 0;
                out[n++] = (char)tolower((unsigned char)*p++);
            }
        }
        if (n == 0)
            return 0;
        out[n] = '\0';
        np++;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return np;
        if (*p != '.')
            return 0;
        p++;
    }
}

static bool cat_text_is_oid(const char *s, int64_t *oid)
{
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v > UINT32_MAX)
        return false;
    *oid = (int64_t)v;
    return true;
}

/* The oid of relation `name` (qualified or not, searched in pg_catalog then public), or -1. */
static int64_t cat_regclass_in(sqlite3_context *ctx, const char *name)
{
    char parts[2][CAT_REGNAME_BYTES_MAX];
    int np = cat_split_name(name, parts);
    if (np == 0)
        return -1;
    sqlite3_stmt *st = cat_fn_prepare(
        ctx, "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE c.relname = ?1 AND (n.nspname = ?2 OR (?2 IS NULL AND n.nspname IN "
             "('pg_catalog', 'public'))) ORDER BY c.relnamespace <> 11 LIMIT 1");
    if (st == NULL)
        return -2;
    sqlite3_bind_text(st, 1, parts[np - 1], -1, SQLITE_TRANSIENT);
    if (np == 2)
        sqlite3_bind_text(st, 2, parts[0], -1, SQLITE_TRANSIENT);
    int64_t oid = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return oid;
}

/* Reads an argument PostgreSQL would take as oid or regclass: an integer, digits, or a relation
 * name (PostgreSQL coerces the literal 't' to regclass). False when NULL or unknown. */
static bool cat_arg_oid(sqlite3_context *ctx, sqlite3_value *v, int64_t *oid)
{
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        *oid = sqlite3_value_int64(v);
        return true;
    case SQLITE_FLOAT:
        *oid = (int64_t)sqlite3_value_double(v);
        return true;
    case SQLITE_TEXT: {
        const char *s = (const char *)sqlite3_value_text(v);
        if (s == NULL)
            return false;
        if (cat_text_is_oid(s, oid))
            return true;
        *oid = cat_regclass_in(ctx, s);
        return *oid >= 0;
    }
    default:
        return false;
    }
}

/* Text of one column of a one-row query with one oid parameter (and an optional int), or
 * SQL NULL when no row. */
static void cat_fn_lookup_text(sqlite3_context *ctx, const char *sql, int64_t oid, int64_t arg2)
{
    sqlite3_stmt *st = cat_fn_prepare(ctx, sql);
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, oid);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, arg2);
    if (sqlite3_step(st) == SQLITE_ROW)
        sqlite3_result_value(ctx, sqlite3_column_value(st, 0));
    else
        sqlite3_result_null(ctx);
    sqlite3_finalize(st);
}

static int cat_regclass_out(sqlite3_context *ctx, int64_t oid, struct buf *out)
{
    if (oid == 0)
        return buf_append_u8(out, '-');
    sqlite3_stmt *st = cat_fn_prepare(ctx, "SELECT c.relname, n.nspname, c.relnamespace FROM "
                                           "pg_class c JOIN pg_namespace n ON n.oid = "
                                           "c.relnamespace WHERE c.oid = ?1");
    if (st == NULL)
        return ERR_IO;
    sqlite3_bind_int64(st, 1, oid);
    int rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t ns = sqlite3_column_int64(st, 2);
        rc = 0;
        if (ns != OID_NS_PG_CATALOG && ns != OID_NS_PUBLIC) {
            rc = sql_catalog_quote_ident((const char *)sqlite3_column_text(st, 1), out);
            rc = rc ? rc : buf_append_u8(out, '.');
        }
        rc = rc ? rc : sql_catalog_quote_ident((const char *)sqlite3_column_text(st, 0), out);
    } else {
        rc = buf_printf(out, "%" PRId64, oid);
    }
    sqlite3_finalize(st);
    return rc;
}

static void fn_pg_table_is_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(ctx, "SELECT relnamespace IN (11, 2200) FROM pg_class WHERE oid = ?1", oid,
                       0);
}

static void fn_pg_type_is_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(ctx, "SELECT typnamespace IN (11, 2200) FROM pg_type WHERE oid = ?1", oid,
                       0);
}

static void fn_format_type(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t oid = sqlite3_value_int64(argv[0]);
    bool has_typmod = sqlite3_value_type(argv[1]) != SQLITE_NULL;
    int64_t typmod = has_typmod ? sqlite3_value_int64(argv[1]) : -1;
    struct buf out = BUF_INIT;
    int rc = oid < 0 || oid > UINT32_MAX
                 ? buf_append(&out, "???", 3)
                 : cat_format_type_oid((uint32_t)oid, (int32_t)typmod, has_typmod, &out);
    cat_result_buf(ctx, &out, rc);
}

/* pg_get_expr(text, relation [, pretty]): Cairn stores expressions as PostgreSQL text. */
static void fn_pg_get_expr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    sqlite3_result_text(ctx, (const char *)sqlite3_value_text(argv[0]), -1, SQLITE_TRANSIENT);
}

static void fn_pg_get_indexdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    int64_t col = argc >= 2 ? sqlite3_value_int64(argv[1]) : 0;
    bool pretty = argc >= 3 && sqlite3_value_int(argv[2]) != 0;
    if (col <= 0)
        col = pretty ? CAT_DEF_PRETTY : 0;
    cat_fn_lookup_text(ctx,
                       "SELECT def FROM " CAT_DEFS_TABLE " WHERE kind = 'i' AND oid = ?1 AND "
                       "col = ?2",
                       oid, col);
}

static void fn_pg_get_constraintdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(ctx,
                       "SELECT def FROM " CAT_DEFS_TABLE " WHERE kind = 'c' AND oid = ?1 AND "
                       "col = 0",
                       oid, 0);
}

static void fn_pg_get_userbyid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t oid = sqlite3_value_int64(argv[0]);
    sqlite3_stmt *st = cat_fn_prepare(ctx, "SELECT rolname FROM pg_authid WHERE oid = ?1");
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, oid);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_result_value(ctx, sqlite3_column_value(st, 0));
    } else {
        char s[48];
        snprintf(s, sizeof(s), "unknown (OID=%" PRId64 ")", oid);
        sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
    }
    sqlite3_finalize(st);
}

/* obj_description(oid [, catalog name]) and col_description(table oid, column number). */
static void fn_obj_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    sqlite3_stmt *st = cat_fn_prepare(
        ctx, "SELECT description FROM pg_description WHERE objoid = ?1 AND objsubid = 0 AND "
             "(?2 IS NULL OR classoid = (SELECT c.oid FROM pg_class c WHERE c.relname = ?2 AND "
             "c.relnamespace = 11)) LIMIT 1");
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, oid);
    if (argc >= 2)
        sqlite3_bind_value(st, 2, argv[1]);
    if (sqlite3_step(st) == SQLITE_ROW)
        sqlite3_result_value(ctx, sqlite3_column_value(st, 0));
    else
        sqlite3_result_null(ctx);
    sqlite3_finalize(st);
}

static void fn_col_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid) || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(ctx,
                       "SELECT description FROM pg_description WHERE objoid = ?1 AND "
                       "classoid = 1259 AND objsubid = ?2",
                       oid, sqlite3_value_int64(argv[1]));
}

static void fn_shobj_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(ctx, "SELECT description FROM pg_shdescription WHERE objoid = ?1", oid, 0);
}

static void fn_pg_encoding_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    static const char *const names[] = {"SQL_ASCII", "EUC_JP",        "EUC_CN",
                                        "EUC_KR",    "EUC_TW",        "EUC_JIS_2004",
                                        "UTF8",      "MULE_INTERNAL", "LATIN1"};
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t e = sqlite3_value_int64(argv[0]);
    const char *s = e >= 0 && e < (int64_t)(sizeof(names) / sizeof(names[0])) ? names[e] : "";
    sqlite3_result_text(ctx, s, -1, SQLITE_STATIC);
}

/* ---- Arrays in PostgreSQL's text form ---- */

/* A parsed one-dimensional array: elements NUL-terminated in data at off[i]; null[i] for NULL. */
struct cat_array {
    uint32_t n;
    uint32_t off[CAT_ARRAY_ITEMS_MAX];
    bool null[CAT_ARRAY_ITEMS_MAX];
    struct buf data;
};

/* Parses '{a,"b c",NULL}' (and int2vector's '1 2'). Returns 0, ERR_MALFORMED, ERR_TOOBIG or
 * ERR_NOMEM; a->data is the caller's to free either way. */
static int cat_array_parse(const char *s, struct cat_array *a)
{
    a->n = 0;
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    bool braces = *p == '{';
    char sep = braces ? ',' : ' ';
    if (braces)
        p++;
    while (isspace((unsigned char)*p))
        p++;
    if ((braces && *p == '}') || (!braces && *p == '\0'))
        return braces && p[1] != '\0' ? ERR_MALFORMED : 0;
    for (;;) {
        if (a->n == CAT_ARRAY_ITEMS_MAX)
            return ERR_TOOBIG;
        while (isspace((unsigned char)*p))
            p++;
        uint32_t start = (uint32_t)a->data.len;
        bool quoted = *p == '"';
        int rc = 0;
        if (quoted) {
            p++;
            while (*p != '"') {
                if (*p == '\0')
                    return ERR_MALFORMED;
                if (*p == '\\' && p[1] != '\0')
                    p++;
                rc = rc ? rc : buf_append_u8(&a->data, (uint8_t)*p++);
            }
            p++;
        } else {
            while (*p != '\0' && *p != sep && *p != '}' &&
                   !(braces && isspace((unsigned char)*p))) {
                if (*p == '{' || *p == '"')
                    return ERR_MALFORMED;
                if (*p == '\\' && p[1] != '\0')
                    p++;
                rc = rc ? rc : buf_append_u8(&a->data, (uint8_t)*p++);
            }
        }
        rc = rc ? rc : buf_append_u8(&a->data, 0);
        if (rc != 0)
            return rc;
        a->off[a->n] = start;
        a->null[a->n] = !quoted && strcasecmp((const char *)a->data.data + start, "NULL") == 0;
        a->n++;
        while (isspace((unsigned char)*p) && *p != sep)
            p++;
        if (*p == sep) {
            p++;
            continue;
        }
        if (braces && *p == '}') {
            p++;
            while (isspace((unsigned char)*p))
                p++;
            return *p == '\0' ? 0 : ERR_MALFORMED;
        }
        return !braces && *p == '\0' ? 0 : ERR_MALFORMED;
    }
}

static const char *cat_array_item(const struct cat_array *a, uint32_t i)
{
    return (const char *)a->data.data + a->off[i];
}

/* Parses argument v as an array; false (with the function's result set) when the result is
 * decided already: NULL for a NULL array, an error for a malformed one. */
static bool cat_array_arg(sqlite3_context *ctx, sqlite3_value *v, struct cat_array **out)
{
    *out = NULL;
    if (sqlite3_value_type(v) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return false;
    }
    struct cat_array *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        sqlite3_result_error_nomem(ctx);
        return false;
    }
    int rc = cat_array_parse((const char *)sqlite3_value_text(v), a);
    if (rc != 0) {
        buf_free(&a->data);
        free(a);
        if (rc == ERR_NOMEM)
            sqlite3_result_error_nomem(ctx);
        else
            cat_result_error(ctx, "22P02: malformed array literal: \"%s\"",
                             (const char *)sqlite3_value_text(v));
        return false;
    }
    *out = a;
    return true;
}

static void cat_array_free(struct cat_array *a)
{
    if (a != NULL)
        buf_free(&a->data);
    free(a);
}

static void fn_array_to_string(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct cat_array *a;
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    if (!cat_array_arg(ctx, argv[0], &a))
        return;
    const char *sep = (const char *)sqlite3_value_text(argv[1]);
    const char *nullstr = argc >= 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL
                              ? (const char *)sqlite3_value_text(argv[2])
                              : NULL;
    struct buf out = BUF_INIT;
    int rc = 0;
    bool first = true;
    for (uint32_t i = 0; rc == 0 && i < a->n; i++) {
        const char *item = a->null[i] ? nullstr : cat_array_item(a, i);
        if (item == NULL)
            continue;
        if (!first)
            rc = buf_append(&out, sep, strlen(sep));
        rc = rc ? rc : buf_append(&out, item, strlen(item));
        first = false;
    }
    cat_array_free(a);
    cat_result_buf(ctx, &out, rc);
}

static void fn_array_position(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct cat_array *a;
    if (!cat_array_arg(ctx, argv[0], &a))
        return;
    bool want_null = sqlite3_value_type(argv[1]) == SQLITE_NULL;
    const char *want = want_null ? NULL : (const char *)sqlite3_value_text(argv[1]);
    int64_t start =
        argc >= 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL ? sqlite3_value_int64(argv[2]) : 1;
    sqlite3_result_null(ctx);
    for (uint32_t i = start > 1 ? (uint32_t)(start - 1) : 0; i < a->n; i++) {
        if (want_null ? a->null[i] : !a->null[i] && strcmp(cat_array_item(a, i), want) == 0) {
            sqlite3_result_int64(ctx, (int64_t)i + 1);
            break;
        }
    }
    cat_array_free(a);
}

/* array_upper / array_length (upper 1), array_lower (lower 1), cardinality (upper 0). */
static void cat_array_dim(sqlite3_context *ctx, int argc, sqlite3_value **argv, int which)
{
    struct cat_array *a;
    if (argc >= 2 && sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    if (!cat_array_arg(ctx, argv[0], &a))
        return;
    int64_t dim = argc >= 2 ? sqlite3_value_int64(argv[1]) : 1;
    if (which == 0)
        sqlite3_result_int64(ctx, a->n);
    else if (dim != 1 || a->n == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, which == 2 ? 1 : (int64_t)a->n);
    cat_array_free(a);
}

static void fn_array_upper(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    cat_array_dim(ctx, argc, argv, 1);
}

static void fn_array_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    cat_array_dim(ctx, argc, argv, 2);
}

static void fn_cardinality(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    cat_array_dim(ctx, argc, argv, 0);
}

/* ---- Sizes, schemas, privileges ---- */

/* Cairn does not know a table's size on the node that answers the catalog query. */
static void fn_zero_size(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    sqlite3_result_int64(ctx, 0);
}

/* PostgreSQL 15's pg_size_pretty(bigint). */
static void fn_pg_size_pretty(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t size = sqlite3_value_int64(argv[0]);
    static const char *const units[] = {"kB", "MB", "GB", "TB"};
    const int64_t limit = 10 * 1024, limit2 = limit * 2 - 1;
    char s[64];
    if ((size < 0 ? -size : size) < limit) {
        snprintf(s, sizeof(s), "%" PRId64 " bytes", size);
    } else {
        /* PostgreSQL shifts (rounding toward minus infinity), keeping one extra bit for the
         * final rounding; gcc's >> on a negative value is arithmetic. */
        size >>= 9;
        size_t u = 0;
        while (u + 1 < sizeof(units) / sizeof(units[0]) && (size < 0 ? -size : size) >= limit2) {
            size >>= 10;
            u++;
        }
        int64_t half = (size + (size < 0 ? -1 : 1)) / 2;
        snprintf(s, sizeof(s), "%" PRId64 " %s", half, units[u]);
    }
    sqlite3_result_text(ctx, s, -1, SQLITE_TRANSIENT);
}

static void fn_current_schemas(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    sqlite3_result_text(ctx, sqlite3_value_int(argv[0]) ? "{pg_catalog,public}" : "{public}", -1,
                        SQLITE_STATIC);
}

static void fn_current_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_text(ctx, "public", -1, SQLITE_STATIC);
}

/* Cairn has one superuser-like role per session: every privilege is held. */
static void fn_true(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_int(ctx, 1);
}

static void fn_false(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_int(ctx, 0);
}

static void fn_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    sqlite3_result_null(ctx);
}

static void fn_pg_relation_is_publishable(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t oid;
    if (!cat_arg_oid(ctx, argv[0], &oid))
        return sqlite3_result_null(ctx);
    cat_fn_lookup_text(
        ctx, "SELECT relkind = 'r' AND relnamespace = 2200 FROM pg_class WHERE oid = ?1", oid, 0);
}

static void fn_quote_ident(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    struct buf out = BUF_INIT;
    int rc = sql_catalog_quote_ident((const char *)sqlite3_value_text(argv[0]), &out);
    cat_result_buf(ctx, &out, rc);
}

/* ---- reg* types ---- */

static const struct {
    const char *alias, *typname;
} cat_type_aliases[] = {
    {"int", "int4"},
    {"integer", "int4"},
    {"smallint", "int2"},
    {"bigint", "int8"},
    {"real", "float4"},
    {"float", "float8"},
    {"decimal", "numeric"},
    {"boolean", "bool"},
    {"double precision", "float8"},
    {"character varying", "varchar"},
    {"character", "bpchar"},
    {"char", "bpchar"},
    {"\"char\"", "char"},
    {"timestamp without time zone", "timestamp"},
    {"timestamp with time zone", "timestamptz"},
    {"time without time zone", "time"},
    {"time with time zone", "timetz"},
};

/* The oid of a type name as regtype reads it: int4, integer, character varying(20), text[],
 * pg_catalog.int8; -1 when unknown. */
static int64_t cat_regtype_in(const char *in)
{
    char name[CAT_REGNAME_BYTES_MAX];
    size_t n = 0;
    const char *p = in;
    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "pg_catalog.", 11) == 0)
        p += 11;
    bool array = false;
    for (; *p != '\0' && n + 1 < sizeof(name); p++) {
        if (*p == '(') { /* a typmod does not change the type */
            while (*p != '\0' && *p != ')')
                p++;
            if (*p == '\0')
                break;
            continue;
        }
        if (*p == '[') {
            array = true;
            break;
        }
        name[n++] = (char)tolower((unsigned char)*p);
    }
    while (n > 0 && isspace((unsigned char)name[n - 1]))
        n--;
    name[n] = '\0';
    const char *lookup = name;
    for (size_t i = 0; i < sizeof(cat_type_aliases) / sizeof(cat_type_aliases[0]); i++)
        if (strcmp(cat_type_aliases[i].alias, name) == 0)
            lookup = cat_type_aliases[i].typname;
    const struct cat_type *t = NULL;
    for (size_t i = 0; i < CAT_NTYPES && t == NULL; i++)
        if (strcmp(cat_types[i].typname, lookup) == 0)
            t = &cat_types[i];
    if (t == NULL && lookup[0] == '_' && !array) {
        for (size_t i = 0; i < CAT_NTYPES && t == NULL; i++)
            if (strcmp(cat_types[i].typname, lookup + 1) == 0 && cat_types[i].typarray != 0)
                return cat_types[i].typarray;
    }
    if (t == NULL)
        return -1;
    return array ? (t->typarray != 0 ? (int64_t)t->typarray : -1) : (int64_t)t->oid;
}

/* Casts to the catalog's types. Values of reg* types travel as the oid (an INTEGER) when they
 * were read from text, so that `attrelid = 't'::regclass` compares oids, and as the name (TEXT)
 * when they were made from an oid, so that `c.oid::regclass` shows the name as PostgreSQL does.
 * Returns false when the cast is not one of these (the caller hands it to the library). */
static bool cat_cast_catalog(sqlite3_context *ctx, sqlite3_value *v, const char *type)
{
    int vt = sqlite3_value_type(v);
    bool is_reg = strcmp(type, "regclass") == 0 || strcmp(type, "regtype") == 0 ||
                  strcmp(type, "regnamespace") == 0 || strcmp(type, "regrole") == 0 ||
                  strcmp(type, "regproc") == 0 || strcmp(type, "regprocedure") == 0;
    size_t tl = strlen(type);
    bool is_array = tl > 2 && strcmp(type + tl - 2, "[]") == 0;
    bool is_texty = strcmp(type, "text") == 0 || strcmp(type, "name") == 0 ||
                    strcmp(type, "varchar") == 0 || strcmp(type, "char") == 0;
    if (!is_reg && !is_array && !is_texty && strcmp(type, "oid") != 0)
        return false;
    if (vt == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return true;
    }
    if (is_array || is_texty) {
        /* An integer reads as its digits, except as "char" (its byte) or an array. */
        if (vt != SQLITE_TEXT && !(is_texty && vt == SQLITE_INTEGER && strcmp(type, "char") != 0))
            return false;
        if (strcmp(type, "char") == 0 && vt == SQLITE_TEXT) /* "char": the first byte */
            sqlite3_result_text(ctx, (const char *)sqlite3_value_text(v),
                                sqlite3_value_bytes(v) > 0 ? 1 : 0, SQLITE_TRANSIENT);
        else
            sqlite3_result_text(ctx, (const char *)sqlite3_value_text(v), -1, SQLITE_TRANSIENT);
        return true;
    }
    const char *s = vt == SQLITE_TEXT ? (const char *)sqlite3_value_text(v) : NULL;
    int64_t oid;
    if (s == NULL || cat_text_is_oid(s, &oid)) {
        if (s == NULL) {
            if (vt != SQLITE_INTEGER)
                return false;
            oid = sqlite3_value_int64(v);
        }
        if (strcmp(type, "oid") == 0 || s != NULL) {
            /* Digits read as a reg* type are that oid. */
            sqlite3_result_int64(ctx, oid);
            return true;
        }
        struct buf out = BUF_INIT;
        int rc = 0;
        if (strcmp(type, "regclass") == 0) {
            rc = cat_regclass_out(ctx, oid, &out);
        } else if (strcmp(type, "regtype") == 0) {
            rc = oid == 0 ? buf_append_u8(&out, '-')
                          : cat_format_type_oid((uint32_t)oid, -1, false, &out);
        } else {
            const char *sql = strcmp(type, "regnamespace") == 0
                                  ? "SELECT nspname FROM pg_namespace WHERE oid = ?1"
                              : strcmp(type, "regrole") == 0
                                  ? "SELECT rolname FROM pg_authid WHERE oid = ?1"
                                  : "SELECT proname FROM pg_proc WHERE oid = ?1";
            sqlite3_stmt *st = cat_fn_prepare(ctx, sql);
            if (st == NULL)
                return true;
            sqlite3_bind_int64(st, 1, oid);
            if (oid == 0)
                rc = buf_append_u8(&out, '-');
            else if (sqlite3_step(st) == SQLITE_ROW)
                rc = sql_catalog_quote_ident((const char *)sqlite3_column_text(st, 0), &out);
            else
                rc = buf_printf(&out, "%" PRId64, oid);
            sqlite3_finalize(st);
        }
        if (rc == ERR_IO) {
            buf_free(&out);
            return true;
        }
        cat_result_buf(ctx, &out, rc);
        return true;
    }
    /* A name. */
    if (strcmp(type, "regclass") == 0 || strcmp(type, "oid") == 0) {
        oid = cat_regclass_in(ctx, s);
        if (oid == -2)
            return true;
        if (oid < 0) {
            if (strcmp(type, "oid") == 0)
                cat_result_error(ctx, "22P02: invalid input syntax for type oid: \"%s\"", s);
            else
                cat_result_error(ctx, "42P01: relation \"%s\" does not exist", s);
            return true;
        }
    } else if (strcmp(type, "regtype") == 0) {
        oid = cat_regtype_in(s);
        if (oid < 0) {
            cat_result_error(ctx, "42704: type \"%s\" does not exist", s);
            return true;
        }
    } else {
        const char *sql =
            strcmp(type, "regnamespace") == 0 ? "SELECT oid FROM pg_namespace WHERE nspname = ?1"
            : strcmp(type, "regrole") == 0    ? "SELECT oid FROM pg_authid WHERE rolname = ?1"
                                              : "SELECT oid FROM pg_proc WHERE proname = ?1";
        char parts[2][CAT_REGNAME_BYTES_MAX];
        int np = cat_split_name(s, parts);
        sqlite3_stmt *st = cat_fn_prepare(ctx, sql);
        if (st == NULL)
            return true;
        sqlite3_bind_text(st, 1, np > 0 ? parts[np - 1] : s, -1, SQLITE_TRANSIENT);
        oid = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        if (oid < 0) {
            if (strcmp(type, "regnamespace") == 0)
                cat_result_error(ctx, "3F000: schema \"%s\" does not exist", s);
            else if (strcmp(type, "regrole") == 0)
                cat_result_error(ctx, "42704: role \"%s\" does not exist", s);
            else
                cat_result_error(ctx, "42883: function \"%s\" does not exist", s);
            return true;
        }
    }
    sqlite3_result_int64(ctx, oid);
    return true;
}

static void fn_to_regclass(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t oid = cat_regclass_in(ctx, (const char *)sqlite3_value_text(argv[0]));
    if (oid == -2)
        return;
    if (oid < 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, oid);
}

static void fn_to_regtype(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return sqlite3_result_null(ctx);
    int64_t oid = cat_regtype_in((const char *)sqlite3_value_text(argv[0]));
    if (oid < 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, oid);
}

/* The pg_cast registered over the library's on a catalog database: catalog types here, every
 * other cast on a private connection where the library's pg_cast is registered. */
struct cat_cast {
    const struct sql_func_env *env;
    sqlite3 *helper;
    sqlite3_stmt *st;
};

static void cat_cast_destroy(void *p)
{
    struct cat_cast *c = p;
    sqlite3_finalize(c->st);
    sqlite3_close(c->helper);
    free(c);
}

static void fn_pg_cast(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    if (argc >= 2 && sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
        char type[64];
        const char *t = (const char *)sqlite3_value_text(argv[1]);
        if (strncmp(t, "pg_catalog.", 11) == 0)
            t += 11;
        size_t n = strlen(t);
        if (n < sizeof(type)) {
            for (size_t i = 0; i <= n; i++)
                type[i] = (char)tolower((unsigned char)t[i]);
            if (cat_cast_catalog(ctx, argv[0], type))
                return;
        }
    }
    struct cat_cast *c = sqlite3_user_data(ctx);
    if (c->st == NULL) {
        struct errbuf eb;
        if (c->helper == NULL &&
            sqlite3_open_v2(":memory:", &c->helper, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            NULL) != SQLITE_OK) {
            sqlite3_close(c->helper);
            c->helper = NULL;
            return sqlite3_result_error_nomem(ctx);
        }
        if (sql_func_register(c->helper, c->env, &eb) != 0) {
            sqlite3_close(c->helper);
            c->helper = NULL;
            return cat_result_error(ctx, "XX000: %s", eb.msg);
        }
        char sql[64];
        int k = snprintf(sql, sizeof(sql), "SELECT pg_cast(");
        for (int i = 0; i < argc; i++)
            k += snprintf(sql + k, sizeof(sql) - (size_t)k, "%s?%d", i == 0 ? "" : ",", i + 1);
        snprintf(sql + k, sizeof(sql) - (size_t)k, ")");
        if (argc > CAT_CAST_NARGS_MAX ||
            sqlite3_prepare_v2(c->helper, sql, -1, &c->st, NULL) != SQLITE_OK) {
            cat_result_error(ctx, "0A000: cast not supported here: %s", sqlite3_errmsg(c->helper));
            sqlite3_finalize(c->st);
            c->st = NULL;
            return;
        }
    }
    if (sqlite3_bind_parameter_count(c->st) != argc)
        return cat_result_error(ctx, "XX000: pg_cast called with %d arguments", argc);
    for (int i = 0; i < argc; i++)
        sqlite3_bind_value(c->st, i + 1, argv[i]);
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW)
        sqlite3_result_value(ctx, sqlite3_column_value(c->st, 0));
    else
        sqlite3_result_error(ctx, sqlite3_errmsg(c->helper), -1);
    sqlite3_reset(c->st);
    sqlite3_clear_bindings(c->st);
}

/* ---- unnest(array) in FROM ---- */

/* An eponymous table-valued function: SELECT value FROM pgcat_unnest('{a,b}'), one row per
 * element, NULL for NULL elements, no rows for a NULL array. */
struct cat_unnest_cursor {
    sqlite3_vtab_cursor base;
    struct cat_array *arr;
    uint32_t i;
};

enum { CAT_UNNEST_COL_VALUE, CAT_UNNEST_COL_ARR };

static int cat_unnest_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                              sqlite3_vtab **out, char **err)
{
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, arr HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab *vt = sqlite3_malloc(sizeof(*vt));
    if (vt == NULL)
        return SQLITE_NOMEM;
    memset(vt, 0, sizeof(*vt));
    *out = vt;
    return SQLITE_OK;
}

static int cat_unnest_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* The array argument is required: a plan without it is refused. */
static int cat_unnest_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == CAT_UNNEST_COL_ARR && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!c->usable)
                return SQLITE_CONSTRAINT;
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 10;
            info->estimatedRows = 10;
            return SQLITE_OK;
        }
    }
    return SQLITE_CONSTRAINT;
}

static int cat_unnest_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    struct cat_unnest_cursor *c = sqlite3_malloc(sizeof(*c));
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    *out = &c->base;
    return SQLITE_OK;
}

static int cat_unnest_close(sqlite3_vtab_cursor *cur)
{
    struct cat_unnest_cursor *c = (struct cat_unnest_cursor *)cur;
    cat_array_free(c->arr);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int cat_unnest_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                             sqlite3_value **argv)
{
    struct cat_unnest_cursor *c = (struct cat_unnest_cursor *)cur;
    cat_array_free(c->arr);
    c->arr = NULL;
    c->i = 0;
    if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return SQLITE_OK;
    struct cat_array *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return SQLITE_NOMEM;
    int rc = cat_array_parse((const char *)sqlite3_value_text(argv[0]), a);
    if (rc != 0) {
        cat_array_free(a);
        sqlite3_free(cur->pVtab->zErrMsg);
        cur->pVtab->zErrMsg = sqlite3_mprintf("22P02: malformed array literal: \"%s\"",
                                              (const char *)sqlite3_value_text(argv[0]));
        return rc == ERR_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    c->arr = a;
    return SQLITE_OK;
}

static int cat_unnest_next(sqlite3_vtab_cursor *cur)
{
    ((struct cat_unnest_cursor *)cur)->i++;
    return SQLITE_OK;
}

static int cat_unnest_eof(sqlite3_vtab_cursor *cur)
{
    struct cat_unnest_cursor *c = (struct cat_unnest_cursor *)cur;
    return c->arr == NULL || c->i >= c->arr->n;
}

static int cat_unnest_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    struct cat_unnest_cursor *c = (struct cat_unnest_cursor *)cur;
    ASSERT(c->arr != NULL && c->i < c->arr->n);
    if (col != CAT_UNNEST_COL_VALUE || c->arr->null[c->i])
        sqlite3_result_null(ctx);
    else
        sqlite3_result_text(ctx, cat_array_item(c->arr, c->i), -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
}

static int cat_unnest_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct cat_unnest_cursor *)cur)->i + 1;
    return SQLITE_OK;
}

static const sqlite3_module cat_unnest_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = cat_unnest_connect,
    .xBestIndex = cat_unnest_best_index,
    .xDisconnect = cat_unnest_disconnect,
    .xDestroy = cat_unnest_disconnect,
    .xOpen = cat_unnest_open,
    .xClose = cat_unnest_close,
    .xFilter = cat_unnest_filter,
    .xNext = cat_unnest_next,
    .xEof = cat_unnest_eof,
    .xColumn = cat_unnest_column,
    .xRowid = cat_unnest_rowid,
};

typedef void (*cat_sqlfn)(sqlite3_context *, int, sqlite3_value **);

struct cat_fn {
    const char *pg; /* PostgreSQL's name */
    int nargs_min, nargs_max;
    const char *sqlite; /* the name registered on the catalog database */
    cat_sqlfn fn;
};

static const struct cat_fn cat_fns[] = {
    {"pg_table_is_visible", 1, 1, "pgcat_pg_table_is_visible", fn_pg_table_is_visible},
    {"pg_type_is_visible", 1, 1, "pgcat_pg_type_is_visible", fn_pg_type_is_visible},
    {"format_type", 2, 2, "pgcat_format_type", fn_format_type},
    {"pg_get_expr", 2, 3, "pgcat_pg_get_expr", fn_pg_get_expr},
    {"pg_get_indexdef", 1, 3, "pgcat_pg_get_indexdef", fn_pg_get_indexdef},
    {"pg_get_constraintdef", 1, 2, "pgcat_pg_get_constraintdef", fn_pg_get_constraintdef},
    {"pg_get_userbyid", 1, 1, "pgcat_pg_get_userbyid", fn_pg_get_userbyid},
    {"obj_description", 1, 2, "pgcat_obj_description", fn_obj_description},
    {"col_description", 2, 2, "pgcat_col_description", fn_col_description},
    {"shobj_description", 2, 2, "pgcat_shobj_description", fn_shobj_description},
    {"pg_encoding_to_char", 1, 1, "pgcat_pg_encoding_to_char", fn_pg_encoding_to_char},
    {"array_to_string", 2, 3, "pgcat_array_to_string", fn_array_to_string},
    {"array_position", 2, 3, "pgcat_array_position", fn_array_position},
    {"array_upper", 2, 2, "pgcat_array_upper", fn_array_upper},
    {"array_lower", 2, 2, "pgcat_array_lower", fn_array_lower},
    {"array_length", 2, 2, "pgcat_array_length", fn_array_upper},
    {"cardinality", 1, 1, "pgcat_cardinality", fn_cardinality},
    {"pg_relation_size", 1, 2, "pgcat_pg_relation_size", fn_zero_size},
    {"pg_table_size", 1, 1, "pgcat_pg_table_size", fn_zero_size},
    {"pg_total_relation_size", 1, 1, "pgcat_pg_total_relation_size", fn_zero_size},
    {"pg_indexes_size", 1, 1, "pgcat_pg_indexes_size", fn_zero_size},
    {"pg_size_pretty", 1, 1, "pgcat_pg_size_pretty", fn_pg_size_pretty},
    {"current_schemas", 1, 1, "pgcat_current_schemas", fn_current_schemas},
    {"current_schema", 0, 0, "pgcat_current_schema", fn_current_schema},
    {"has_table_privilege", 2, 3, "pgcat_has_table_privilege", fn_true},
    {"has_schema_privilege", 2, 3, "pgcat_has_schema_privilege", fn_true},
    {"has_database_privilege", 2, 3, "pgcat_has_database_privilege", fn_true},
    {"has_column_privilege", 3, 4, "pgcat_has_column_privilege", fn_true},
    {"pg_get_partkeydef", 1, 1, "pgcat_pg_get_partkeydef", fn_null},
    {"pg_relation_is_publishable", 1, 1, "pgcat_pg_relation_is_publishable",
     fn_pg_relation_is_publishable},
    {"pg_get_statisticsobjdef_columns", 1, 1, "pgcat_pg_get_statisticsobjdef_columns", fn_null},
    {"pg_get_viewdef", 1, 2, "pgcat_pg_get_viewdef", fn_null},
    {"pg_get_triggerdef", 1, 2, "pgcat_pg_get_triggerdef", fn_null},
    {"pg_is_in_recovery", 0, 0, "pgcat_pg_is_in_recovery", fn_false},
    {"quote_ident", 1, 1, "pgcat_quote_ident", fn_quote_ident},
    {"to_regclass", 1, 1, "pgcat_to_regclass", fn_to_regclass},
    {"to_regtype", 1, 1, "pgcat_to_regtype", fn_to_regtype},
    /* Table-valued, in FROM only (registered as a module, not a function). */
    {"unnest", 1, 1, "pgcat_unnest", NULL},
};
#define CAT_NFNS (sizeof(cat_fns) / sizeof(cat_fns[0]))

const char *sql_catalog_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (name == NULL)
        return NULL;
    if (strncmp(name, "pg_catalog.", 11) == 0)
        name += 11;
    for (size_t i = 0; i < CAT_NFNS; i++) {
        if (strcmp(cat_fns[i].pg, name) == 0 && nargs >= cat_fns[i].nargs_min &&
            nargs <= cat_fns[i].nargs_max) {
            if (is_aggregate != NULL)
                *is_aggregate = false;
            return cat_fns[i].sqlite;
        }
    }
    return sql_func_lookup(name, nargs, is_aggregate);
}

static int cat_register_functions(sqlite3 *db, const struct sql_func_env *env, struct errbuf *eb)
{
    for (size_t i = 0; i < CAT_NFNS; i++) {
        if (cat_fns[i].fn == NULL)
            continue;
        if (sqlite3_create_function_v2(db, cat_fns[i].sqlite, -1, SQLITE_UTF8, NULL, cat_fns[i].fn,
                                       NULL, NULL, NULL) != SQLITE_OK)
            return err_set(eb, ERR_NOMEM, "catalog: registering %s: %s", cat_fns[i].sqlite,
                           sqlite3_errmsg(db));
    }
    if (sqlite3_create_module(db, "pgcat_unnest", &cat_unnest_module, NULL) != SQLITE_OK)
        return err_set(eb, ERR_NOMEM, "catalog: registering pgcat_unnest: %s", sqlite3_errmsg(db));
    /* SQLite prefers a registration with the exact argument count over a variadic one, so
     * pg_cast is registered for each count the printer uses, each with its own state (SQLite
     * calls the destructor itself when a registration fails). */
    for (int nargs = 1; nargs <= CAT_CAST_NARGS_MAX; nargs++) {
        struct cat_cast *c = calloc(1, sizeof(*c));
        if (c == NULL)
            return err_set(eb, ERR_NOMEM, "catalog: out of memory");
        c->env = env;
        if (sqlite3_create_function_v2(db, "pg_cast", nargs, SQLITE_UTF8, c, fn_pg_cast, NULL, NULL,
                                       cat_cast_destroy) != SQLITE_OK)
            return err_set(eb, ERR_NOMEM, "catalog: registering pg_cast: %s", sqlite3_errmsg(db));
    }
    return 0;
}

/* ---- Results known to be empty ---- */

static bool cat_select_empty(const struct sql_select *s, uint32_t depth);

/* Could e make a row out of no rows (an aggregate, or a function we cannot tell)? Subqueries
 * are their own scope and are not entered. */
static bool cat_expr_aggregates(const struct sql_expr *e, uint32_t depth)
{
    if (e == NULL)
        return false;
    if (depth > SQL_DEPTH_MAX)
        return true;
    depth++;
    switch (e->kind) {
    case SQL_E_CONST:
    case SQL_E_COLUMN:
    case SQL_E_PARAM:
    case SQL_E_SVF:
    case SQL_E_DEFAULT:
    case SQL_E_SUBLINK:
        return false;
    case SQL_E_UNARY:
    case SQL_E_NOT:
        return cat_expr_aggregates(e->unary.arg, depth);
    case SQL_E_BINARY:
        return cat_expr_aggregates(e->binary.left, depth) ||
               cat_expr_aggregates(e->binary.right, depth);
    case SQL_E_AND:
    case SQL_E_OR:
    case SQL_E_ROW:
    case SQL_E_ARRAY:
        for (uint32_t i = 0; i < e->list.n; i++)
            if (cat_expr_aggregates(e->list.v[i], depth))
                return true;
        return false;
    case SQL_E_IS:
        return cat_expr_aggregates(e->is.arg, depth);
    case SQL_E_BETWEEN:
        return cat_expr_aggregates(e->between.arg, depth) ||
               cat_expr_aggregates(e->between.low, depth) ||
               cat_expr_aggregates(e->between.high, depth);
    case SQL_E_IN:
        for (uint32_t i = 0; i < e->in.list.n; i++)
            if (cat_expr_aggregates(e->in.list.v[i], depth))
                return true;
        return cat_expr_aggregates(e->in.arg, depth);
    case SQL_E_LIKE:
        return cat_expr_aggregates(e->like.arg, depth) ||
               cat_expr_aggregates(e->like.pattern, depth) ||
               cat_expr_aggregates(e->like.escape, depth);
    case SQL_E_QUANTIFIED:
        return cat_expr_aggregates(e->quant.left, depth) ||
               cat_expr_aggregates(e->quant.array, depth);
    case SQL_E_CAST:
        return cat_expr_aggregates(e->cast.arg, depth);
    case SQL_E_CASE:
        if (cat_expr_aggregates(e->kase.arg, depth) ||
            cat_expr_aggregates(e->kase.else_result, depth))
            return true;
        for (uint32_t i = 0; i < e->kase.nwhens; i++)
            if (cat_expr_aggregates(e->kase.whens[i].cond, depth) ||
                cat_expr_aggregates(e->kase.whens[i].result, depth))
                return true;
        return false;
    case SQL_E_FUNC: {
        if (e->func.over == NULL) {
            bool agg = true;
            const char *impl =
                sql_catalog_func_lookup(e->func.name.name, (int)e->func.args.n, &agg);
            if (impl == NULL || agg || e->func.star || e->func.filter != NULL ||
                e->func.agg_order.n > 0)
                return true;
        }
        for (uint32_t i = 0; i < e->func.args.n; i++)
            if (cat_expr_aggregates(e->func.args.v[i], depth))
                return true;
        return false;
    }
    case SQL_E_SUBSCRIPT:
        return cat_expr_aggregates(e->subscript.arg, depth) ||
               cat_expr_aggregates(e->subscript.lower, depth) ||
               cat_expr_aggregates(e->subscript.upper, depth);
    case SQL_E_COLLATE:
        return cat_expr_aggregates(e->collate.arg, depth);
    }
    return true;
}

static bool cat_from_empty(const struct sql_from *f, uint32_t depth)
{
    if (f == NULL || depth > SQL_DEPTH_MAX)
        return false;
    depth++;
    switch (f->kind) {
    case SQL_FROM_TABLE: {
        if (f->table.catalog != NULL)
            return false;
        const struct cat_rel *r = cat_rel_find(f->table.schema, f->table.name);
        return r != NULL && cat_rel_is_empty(r);
    }
    case SQL_FROM_SUBQUERY:
        return cat_select_empty(f->subquery, depth);
    case SQL_FROM_FUNC:
        return false;
    case SQL_FROM_JOIN: {
        bool l = cat_from_empty(f->join.left, depth), r = cat_from_empty(f->join.right, depth);
        switch (f->join.kind) {
        case SQL_JOIN_INNER:
        case SQL_JOIN_CROSS:
            return l || r;
        case SQL_JOIN_LEFT:
            return l;
        case SQL_JOIN_RIGHT:
            return r;
        case SQL_JOIN_FULL:
            return l && r;
        }
        return false;
    }
    }
    return false;
}

static bool cat_select_empty(const struct sql_select *s, uint32_t depth)
{
    if (s == NULL || s->with != NULL || depth > SQL_DEPTH_MAX)
        return false;
    depth++;
    switch (s->kind) {
    case SQL_SELECT_VALUES:
        return false;
    case SQL_SELECT_SETOP:
        switch (s->op) {
        case SQL_SETOP_UNION:
            return cat_select_empty(s->left, depth) && cat_select_empty(s->right, depth);
        case SQL_SETOP_INTERSECT:
            return cat_select_empty(s->left, depth) || cat_select_empty(s->right, depth);
        case SQL_SETOP_EXCEPT:
            return cat_select_empty(s->left, depth);
        }
        return false;
    case SQL_SELECT_PLAIN: {
        bool from_empty = false;
        for (uint32_t i = 0; i < s->from.n && !from_empty; i++)
            from_empty = cat_from_empty(s->from.v[i], depth);
        if (!from_empty)
            return false;
        if (s->group_by.n > 0)
            return true;
        /* Without GROUP BY, an aggregate (or a HAVING) makes one row of no rows. */
        if (s->having != NULL)
            return false;
        for (uint32_t i = 0; i < s->targets.n; i++)
            if (cat_expr_aggregates(s->targets.v[i].expr, depth))
                return false;
        return true;
    }
    }
    return false;
}

/* The number of result columns of s, or -1 when a * hides it. */
static int64_t cat_select_ncols(const struct sql_select *s)
{
    while (s->kind == SQL_SELECT_SETOP)
        s = s->left;
    if (s->kind != SQL_SELECT_PLAIN)
        return -1;
    for (uint32_t i = 0; i < s->targets.n; i++) {
        const struct sql_expr *e = s->targets.v[i].expr;
        if (e != NULL && e->kind == SQL_E_COLUMN && e->column.star)
            return -1;
    }
    return s->targets.n;
}

bool sql_catalog_result_is_empty(const struct sql_stmt *st, uint32_t *ncols)
{
    if (st == NULL || st->kind != SQL_STMT_SELECT || st->select == NULL)
        return false;
    int64_t n = cat_select_ncols(st->select);
    if (n < 0 || !cat_select_empty(st->select, 0))
        return false;
    *ncols = (uint32_t)n;
    return true;
}
