/* Rows sent along with a statement (table.h, "Rows sent with a statement"): the eponymous
 * virtual table cairn_rows(blob), which reads back the rows of table outputs a coordinator
 * collected elsewhere and bound as one parameter. A join's smaller side is moved to the
 * replicasets of the larger this way (docs/sql.md, "Queries over several replicasets"); the
 * statement gives the columns their types:
 *   WITH "t"("a", "b") AS MATERIALIZED (SELECT CAST(c0 AS INT8), CAST(c1 AS TEXT)
 *                                       FROM cairn_rows(?7)) SELECT ...
 * Values come back exactly as they were sent: storage class, bytes, NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/table/table_int.h"

/* The schema every cairn_rows has: c0 .. c255, then the blob it reads as a hidden column. */
#define TABLE_ROWS_ARG TABLE_ROWS_COLUMNS_MAX

struct table_rows_cursor {
    sqlite3_vtab_cursor base;
    uint8_t *blob; /* a copy of the argument: the values point into it */
    size_t len;
    size_t next_output;          /* offset of the next output's length in blob */
    struct table_output o;       /* the output being read */
    size_t pos;                  /* in o's rows */
    bool in_output, eof;
    sqlite3_int64 rowid;
    struct table_value vals[TABLE_ROWS_COLUMNS_MAX];
};

static int table_rows_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                              sqlite3_vtab **out, char **err)
{
    (void)aux, (void)argc, (void)argv, (void)err;
    struct buf schema = BUF_INIT;
    buf_printf(&schema, "CREATE TABLE x(");
    for (int i = 0; i < TABLE_ROWS_COLUMNS_MAX; i++)
        buf_printf(&schema, "c%d, ", i);
    buf_printf(&schema, "rows HIDDEN)");
    if (buf_append_u8(&schema, 0) != 0)
        return SQLITE_NOMEM;
    int rc = sqlite3_declare_vtab(db, (const char *)schema.data);
    buf_free(&schema);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab *v = sqlite3_malloc(sizeof *v);
    if (v == NULL)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    *out = v;
    return SQLITE_OK;
}

static int table_rows_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* The blob is required: cairn_rows without its argument is no plan. */
static int table_rows_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == TABLE_ROWS_ARG && c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
            if (!c->usable)
                return SQLITE_CONSTRAINT;
            info->aConstraintUsage[i].argvIndex = 1;
            info->aConstraintUsage[i].omit = 1;
            info->estimatedCost = 1000;
            info->estimatedRows = 1000;
            return SQLITE_OK;
        }
    }
    sqlite3_free(v->zErrMsg);
    v->zErrMsg = sqlite3_mprintf("cairn_rows needs its rows as an argument");
    return SQLITE_ERROR;
}

static int table_rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    struct table_rows_cursor *c = calloc(1, sizeof *c);
    if (c == NULL)
        return SQLITE_NOMEM;
    *out = &c->base;
    return SQLITE_OK;
}

static int table_rows_close(sqlite3_vtab_cursor *cur)
{
    struct table_rows_cursor *c = (struct table_rows_cursor *)cur;
    free(c->blob);
    free(c);
    return SQLITE_OK;
}

static int table_rows_fail(struct table_rows_cursor *c, const char *why)
{
    sqlite3_vtab *v = c->base.pVtab;
    sqlite3_free(v->zErrMsg);
    v->zErrMsg = sqlite3_mprintf("XX000: cairn_rows: %s", why);
    return SQLITE_ERROR;
}

/* Moves to the next row, through the outputs in turn. */
static int table_rows_next(sqlite3_vtab_cursor *cur)
{
    struct table_rows_cursor *c = (struct table_rows_cursor *)cur;
    for (;;) {
        if (c->in_output) {
            int more = table_output_next_row(&c->o, &c->pos, c->vals);
            if (more == 1) {
                c->rowid++;
                return SQLITE_OK;
            }
            if (more != 0)
                return table_rows_fail(c, "a malformed row");
            c->in_output = false;
        }
        if (c->next_output == c->len) {
            c->eof = true;
            return SQLITE_OK;
        }
        if (c->len - c->next_output < 4)
            return table_rows_fail(c, "a malformed output length");
        uint32_t n = codec_get_u32(c->blob + c->next_output);
        if (n > c->len - c->next_output - 4)
            return table_rows_fail(c, "an output longer than the rows");
        const uint8_t *p = c->blob + c->next_output + 4;
        c->next_output += 4 + (size_t)n;
        if (table_output_parse(p, n, &c->o) != 0 || c->o.state != TABLE_STATE_OK ||
            c->o.ncols > TABLE_ROWS_COLUMNS_MAX)
            return table_rows_fail(c, "not an output of rows");
        c->pos = 0;
        c->in_output = true;
    }
}

static int table_rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
                             sqlite3_value **argv)
{
    (void)idx, (void)idx_str;
    struct table_rows_cursor *c = (struct table_rows_cursor *)cur;
    free(c->blob);
    c->blob = NULL;
    c->len = 0;
    c->next_output = 0;
    c->in_output = c->eof = false;
    c->rowid = 0;
    int type = argc == 1 ? sqlite3_value_type(argv[0]) : SQLITE_NULL;
    if (type != SQLITE_BLOB) {
        c->eof = true;
        return type == SQLITE_NULL ? SQLITE_OK : table_rows_fail(c, "the rows must be a blob");
    }
    int n = sqlite3_value_bytes(argv[0]);
    const void *p = sqlite3_value_blob(argv[0]);
    c->blob = malloc(n > 0 ? (size_t)n : 1);
    if (c->blob == NULL)
        return SQLITE_NOMEM;
    if (n > 0)
        memcpy(c->blob, p, (size_t)n);
    c->len = (size_t)n;
    return table_rows_next(cur);
}

static int table_rows_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct table_rows_cursor *)cur)->eof;
}

static int table_rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
    struct table_rows_cursor *c = (struct table_rows_cursor *)cur;
    if (i < 0 || (uint32_t)i >= c->o.ncols) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const struct table_value *v = &c->vals[i];
    switch (v->type) {
    case TABLE_INT: sqlite3_result_int64(ctx, v->i); break;
    case TABLE_REAL: sqlite3_result_double(ctx, v->r); break;
    case TABLE_TEXT:
        sqlite3_result_text(ctx, (const char *)v->p, (int)v->len, SQLITE_TRANSIENT);
        break;
    case TABLE_BLOB: sqlite3_result_blob(ctx, v->p, (int)v->len, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
    }
    return SQLITE_OK;
}

static int table_rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct table_rows_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module table_rows_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = table_rows_connect,
    .xBestIndex = table_rows_best_index,
    .xDisconnect = table_rows_disconnect,
    .xDestroy = table_rows_disconnect,
    .xOpen = table_rows_open,
    .xClose = table_rows_close,
    .xFilter = table_rows_filter,
    .xNext = table_rows_next,
    .xEof = table_rows_eof,
    .xColumn = table_rows_column,
    .xRowid = table_rows_rowid,
};

int table_rows_register(sqlite3 *db, struct errbuf *eb)
{
    if (sqlite3_create_module(db, "cairn_rows", &table_rows_module, NULL) != SQLITE_OK)
        return err_set(eb, ERR_NOMEM, "registering cairn_rows: %s", sqlite3_errmsg(db));
    return 0;
}

int table_rows_append(struct buf *blob, const uint8_t *output, size_t len)
{
    if (len > UINT32_MAX)
        return ERR_TOOBIG;
    if (buf_append_u32(blob, (uint32_t)len) != 0 || buf_append(blob, output, len) != 0)
        return ERR_NOMEM;
    return 0;
}
