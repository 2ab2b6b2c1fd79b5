/* Fuzz driver for the SQL front end: the input is a query string for sql_parse (and, on its own,
 * for sql_parse_expr). Every statement parsed is asked the router's questions and, when the
 * printer is built in (FUZZ_SQL_PRINT), printed to SQLite twice: with no callbacks and with a
 * catalog that knows every table. Properties checked: no crash, leak or sanitizer report; a
 * failed parse leaves nothing behind and says what failed (a SQLSTATE, a position inside the
 * text); statements lie inside the text; the walks succeed and their answers hold together; a
 * failed print says why and a successful one is NUL-terminated text. */
#include "fuzz.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql.h"

const char *const fuzz_dict[] = {
    "SELECT ",
    " FROM ",
    " WHERE ",
    " AND ",
    " OR ",
    " NOT ",
    " IN (",
    " = ",
    " JOIN ",
    " ON ",
    " USING (",
    " LEFT JOIN ",
    "WITH ",
    " AS (",
    "RECURSIVE ",
    " UNION ",
    " EXCEPT ",
    " INTERSECT ",
    " ALL ",
    " DISTINCT ",
    " GROUP BY ",
    " HAVING ",
    " ORDER BY ",
    " LIMIT ",
    " OFFSET ",
    "INSERT INTO ",
    " VALUES (",
    " DEFAULT ",
    " RETURNING ",
    "UPDATE ",
    " SET ",
    "DELETE FROM ",
    " ON CONFLICT ",
    " DO UPDATE SET ",
    " DO NOTHING",
    "CREATE TABLE ",
    " PRIMARY KEY",
    " REFERENCES ",
    " CHECK (",
    "CREATE INDEX ",
    "DROP TABLE ",
    "ALTER TABLE ",
    " ADD COLUMN ",
    "TRUNCATE ",
    "COPY ",
    " TO STDOUT",
    " FROM STDIN",
    "EXPLAIN ",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT ",
    "SHOW ",
    "EXISTS (",
    "CASE ",
    " WHEN ",
    " THEN ",
    " ELSE ",
    " END",
    "CAST(",
    "::",
    "::int",
    "::text[]",
    " OVER (",
    " PARTITION BY ",
    " FILTER (",
    " WITHIN GROUP (",
    " LATERAL ",
    " BETWEEN ",
    " LIKE ",
    " ESCAPE ",
    " IS NOT NULL",
    " IS DISTINCT FROM ",
    " ANY (",
    "ARRAY[",
    "ROW(",
    "[1:2]",
    " COLLATE ",
    " AT TIME ZONE ",
    "EXTRACT(",
    "POSITION(",
    "SUBSTRING(",
    "TRIM(",
    "OVERLAY(",
    " PLACING ",
    "$1",
    "$65536",
    "'str'",
    "E'\\x41'",
    "$$d$$",
    "U&'\\0041'",
    "B'01'",
    "X'1f'",
    "1e400",
    "9223372036854775808",
    "\"Quoted\"",
    "/*",
    "*/",
    "--",
    ";",
    "(",
    ")",
    ",",
    "*",
    ".",
    "->>",
    "||",
};
const size_t fuzz_dict_len = sizeof fuzz_dict / sizeof fuzz_dict[0];

static void check_error(const uint8_t *data, size_t size, const struct sql_error *err)
{
    if (strnlen(err->sqlstate, sizeof err->sqlstate) != 5)
        fuzz_fail(data, size, "an error without a five-character SQLSTATE");
    if (memchr(err->message, '\0', sizeof err->message) == NULL || err->message[0] == '\0')
        fuzz_fail(data, size, "an error without a message");
    if (err->position < 0 || (size_t)err->position > size + 1)
        fuzz_fail(data, size, "an error position outside the text");
}

static void check_walks(const uint8_t *data, size_t size, const struct sql_stmt *st)
{
    struct sql_table_ref *refs = NULL;
    uint32_t n = 0;
    int rc = sql_stmt_tables(st, &refs, &n);
    if (rc != 0 && rc != ERR_TOOBIG && rc != ERR_NOMEM)
        fuzz_fail(data, size, "sql_stmt_tables: an undocumented error");
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        if (refs[i].name == NULL ||
            (refs[i].access != SQL_ACCESS_READ && refs[i].access != SQL_ACCESS_WRITE))
            fuzz_fail(data, size, "sql_stmt_tables: a reference without a name or an access");
        if (refs[i].loc >= (int)size ||
            (i > 0 && refs[i].loc >= 0 && refs[i - 1].loc > refs[i].loc))
            fuzz_fail(data, size, "sql_stmt_tables: references out of the text or its order");
    }
    struct sql_key_cond *conds = NULL;
    uint32_t nc = 0;
    if (sql_where_keys(st, &conds, &nc) != 0)
        return; /* out of memory */
    for (uint32_t i = 0; i < nc; i++) {
        if (conds[i].column == NULL || conds[i].nvalues == 0)
            fuzz_fail(data, size, "sql_where_keys: a condition without column or values");
        for (uint32_t k = 0; k < conds[i].nvalues; k++)
            if (!sql_expr_is_value(conds[i].values[k]))
                fuzz_fail(data, size, "sql_where_keys: a key value that is not a value");
    }
    const struct sql_names *cols;
    const struct sql_rows *rows;
    if (sql_insert_rows(st, &cols, &rows)) {
        if (st->kind != SQL_STMT_INSERT || rows->n == 0)
            fuzz_fail(data, size, "sql_insert_rows: rows of no INSERT, or none");
        for (uint32_t r = 1; r < rows->n; r++)
            if (rows->v[r].n != rows->v[0].n)
                fuzz_fail(data, size, "sql_insert_rows: rows of different lengths");
    }
}

#ifdef FUZZ_SQL_PRINT

/* A catalog that knows every table, with the same two columns. */
static const struct sql_table_column fuzz_cols[] = {
    {.name = "a", .type = {.kind = SQL_TYPE_INT4, .mod1 = -1, .mod2 = -1, .loc = -1}},
    {.name = "b", .type = {.kind = SQL_TYPE_TEXT, .mod1 = -1, .mod2 = -1, .loc = -1}},
};

static const char *fuzz_map(void *ctx, const char *schema, const char *name)
{
    return name;
}

static int fuzz_table_columns(void *ctx, const char *schema, const char *table,
                              const struct sql_table_column **cols, uint32_t *n)
{
    *cols = fuzz_cols;
    *n = 2;
    return 0;
}

static void check_print(const uint8_t *data, size_t size, const struct sql_stmt *st,
                        const struct sql_print_opts *o)
{
    struct sql_printed out;
    struct sql_error err;
    memset(&out, 0, sizeof out);
    memset(&err, 0, sizeof err);
    int rc = sql_print(st, o, &out, &err);
    if (rc == 0) {
        if (out.sql.data == NULL || out.sql.len == 0 || out.sql.data[out.sql.len] != '\0' ||
            strlen((const char *)out.sql.data) != out.sql.len)
            fuzz_fail(data, size, "sql_print: not NUL-terminated text");
        for (uint32_t i = 0; i < out.ncols; i++)
            if (out.cols[i].name == NULL)
                fuzz_fail(data, size, "sql_print: a result column without a name");
    } else {
        if (strnlen(err.sqlstate, sizeof err.sqlstate) != 5)
            fuzz_fail(data, size, "sql_print: an error without a SQLSTATE");
    }
    sql_printed_free(&out);
}

static void check_prints(const uint8_t *data, size_t size, const struct sql_stmt *st)
{
    struct sql_print_opts bare;
    memset(&bare, 0, sizeof bare);
    check_print(data, size, st, &bare);
    struct sql_print_opts known = {
        .map_table = fuzz_map,
        .map_index = fuzz_map,
        .table_columns = fuzz_table_columns,
        .replicaset_create = true,
        .extra_column_def = "\"__bucket\" INTEGER NOT NULL",
        .current_user = "fuzz",
    };
    check_print(data, size, st, &known);
}

#else

static void check_prints(const uint8_t *data, size_t size, const struct sql_stmt *st) {}

#endif

static void check_parse(const uint8_t *data, size_t size)
{
    struct sql_parsed p;
    struct sql_error err;
    memset(&p, 0xa5, sizeof p); /* a failed parse must empty it */
    memset(&err, 0, sizeof err);
    int rc = sql_parse((const char *)data, size, &p, &err);
    if (rc != 0) {
        if (p.n != 0 || p.stmts != NULL || p.arena != NULL)
            fuzz_fail(data, size, "a failed parse left a result behind");
        check_error(data, size, &err);
        sql_parsed_free(&p);
        return;
    }
    for (uint32_t i = 0; i < p.n; i++) {
        const struct sql_stmt *st = p.stmts[i];
        if (st->loc < 0 || st->len < 0 || (size_t)st->loc + (size_t)st->len > size ||
            st->arena != p.arena || st->text_len != size || st->param_max < 0 ||
            st->param_max > SQL_PARAM_MAX)
            fuzz_fail(data, size, "a statement outside its text");
        check_walks(data, size, st);
        check_prints(data, size, st);
    }
    sql_parsed_free(&p);
}

static void check_parse_expr(const uint8_t *data, size_t size)
{
    struct sql_parsed p;
    struct sql_error err;
    struct sql_expr *e = NULL;
    memset(&p, 0, sizeof p);
    memset(&err, 0, sizeof err);
    int rc = sql_parse_expr((const char *)data, size, &p, &e, &err);
    if (rc != 0)
        check_error(data, size, &err);
    else if (e == NULL)
        fuzz_fail(data, size, "sql_parse_expr: success without an expression");
    else
        (void)sql_expr_is_value(e);
    sql_parsed_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_parse_expr(data, size);
    /* One broken statement fails the whole string: its ';'-separated pieces alone get further. */
    const uint8_t *end = data + size, *piece = data;
    for (const uint8_t *semi; piece < end && (semi = memchr(piece, ';', (size_t)(end - piece)));
         piece = semi + 1)
        if (semi != piece && (piece != data || semi + 1 != end))
            check_parse(piece, (size_t)(semi + 1 - piece));
    if (piece != data && piece < end)
        check_parse(piece, (size_t)(end - piece));
    return 0;
}
