/* Statements over pg_catalog and information_schema (psql's \d family, pgbench's start-up
 * queries): answered on this node from an in-memory SQLite database that sql_catalog_build
 * fills from the catalog's user tables. The database is kept until the schema version (or the
 * session user, which the catalogs name as owner) changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/assert.h"
#include "base/log.h"
#include "node/node_int.h"
#include "node/sql_exec_int.h"
#include "sql/sql_catalog.h"

/* The first oid handed to user tables; each table takes a few (its own, its row type's). */
#define SQLX_PGCAT_OID_BASE (SQL_CATALOG_OID_USER_MIN + 16)
#define SQLX_PGCAT_OIDS_PER_TABLE 4

bool sqlx_pgcat_wants(const struct sql_stmt *st)
{
    struct sql_table_ref *refs = NULL;
    uint32_t n = 0;
    if (st->kind != SQL_STMT_SELECT || sql_stmt_tables(st, &refs, &n) != 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (sql_catalog_is_catalog_ref(refs[i].schema, refs[i].name))
            return true;
    return false;
}

/* Describes the user tables for sql_catalog_build and builds the database into x->pgcat. */
static int sqlx_pgcat_build(struct sql_exec *x, struct sqlx_catalog *cat, const char *user,
                            struct errbuf *eb)
{
    static const char sep[] = SQLX_INDEX_ELEM_SEP_STR;
    struct sql_catalog_table *tables = calloc(cat->n + 1, sizeof *tables);
    struct sql_catalog_column **cols = calloc(cat->n + 1, sizeof *cols);
    struct sql_catalog_index **ixs = calloc(cat->n + 1, sizeof *ixs);
    struct sql_catalog_check **cks = calloc(cat->n + 1, sizeof *cks);
    struct buf elems = BUF_INIT; /* the indexes' element texts, split, and pointers to them */
    int rc = tables != NULL && cols != NULL && ixs != NULL && cks != NULL ? 0 : ERR_NOMEM;
    size_t nelems = 0;
    for (uint32_t i = 0; rc == 0 && i < cat->n; i++) {
        for (uint32_t k = 0; rc == 0 && k < cat->t[i].nindexes; k++) {
            const struct sqlx_ixdef *d = &cat->t[i].ixdefs[k];
            if (d->known && d->elems != NULL) {
                rc = buf_printf(&elems, "%s%c", d->elems, 0);
                nelems += d->ncols;
            }
        }
    }
    char *next_elem = (char *)elems.data;
    const char **elem_ptrs = calloc(nelems + 1, sizeof *elem_ptrs);
    const char **next_ptr = elem_ptrs;
    rc = rc == 0 && elem_ptrs == NULL ? ERR_NOMEM : rc;
    uint32_t ix_oid = SQLX_PGCAT_OID_BASE + cat->n * SQLX_PGCAT_OIDS_PER_TABLE; /* after them */
    for (uint32_t i = 0; rc == 0 && i < cat->n; i++) {
        const struct sqlx_table *t = &cat->t[i];
        cols[i] = calloc(t->ncols + 1, sizeof *cols[i]);
        ixs[i] = calloc(t->nindexes + 1, sizeof *ixs[i]);
        cks[i] = calloc(t->nchecks + 1, sizeof *cks[i]);
        if (cols[i] == NULL || ixs[i] == NULL || cks[i] == NULL) {
            rc = ERR_NOMEM;
            break;
        }
        /* its CREATE INDEXes whose columns the definition records */
        uint32_t nix = 0;
        for (uint32_t k = 0; k < t->nindexes; k++) {
            const struct sqlx_ixdef *d = &t->ixdefs[k];
            if (!d->known)
                continue;
            const char *const *elem = NULL;
            if (d->elems != NULL) {
                /* the elements, split at SQLX_INDEX_ELEM_SEP in the copy in elems (as many
                 * as columns: sqlx_table_from_def checked) */
                elem = next_ptr;
                for (uint32_t c = 0; c < d->ncols; c++) {
                    *next_ptr++ = next_elem;
                    next_elem += strcspn(next_elem, sep);
                    *next_elem++ = '\0';
                }
            }
            ixs[i][nix++] = (struct sql_catalog_index){.name = t->indexes[k],
                                                       .oid = ix_oid++,
                                                       .unique = d->unique,
                                                       .constraint = d->constraint,
                                                       .ncols = d->ncols,
                                                       .cols = d->cols,
                                                       .elems = elem,
                                                       .where = d->where};
        }
        for (uint32_t c = 0; c < t->ncols; c++) {
            cols[i][c].name = t->cols[c].name;
            cols[i][c].type = t->cols[c].type;
            cols[i][c].not_null = t->cols[c].not_null;
            cols[i][c].default_text = t->cols[c].default_text;
        }
        for (uint32_t k = 0; k < t->nchecks; k++)
            cks[i][k] = (struct sql_catalog_check){.name = t->checks[k].name,
                                                   .expr_text = t->checks[k].text};
        tables[i] = (struct sql_catalog_table){
            .name = t->name,
            .oid = SQLX_PGCAT_OID_BASE + i * SQLX_PGCAT_OIDS_PER_TABLE,
            .ncols = t->ncols,
            .cols = cols[i],
            .npk = t->npk,
            .pk = t->pk,
            .global = t->global,
            .ndist = t->ndist,
            .dist = t->dist,
            .nindexes = nix,
            .indexes = ixs[i],
            .nchecks = t->nchecks,
            .checks = cks[i],
        };
    }
    if (rc == 0) {
        snprintf(x->pgcat_user, sizeof x->pgcat_user, "%s", user ? user : "");
        x->pgcat_env.user = x->pgcat_user;
        x->pgcat_env.database = "cairn";
        if (sqlite3_open_v2(":memory:", &x->pgcat, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            NULL) != SQLITE_OK)
            rc = err_set(eb, ERR_NOMEM, "opening the catalog database");
    }
    if (rc == 0) {
        sqlite3_db_config(x->pgcat, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
        rc = sql_catalog_build(x->pgcat, &x->pgcat_env, tables, cat->n, eb);
    }
    if (rc == 0)
        sqlite3_exec(x->pgcat, "PRAGMA case_sensitive_like = ON", NULL, NULL, NULL);
    for (uint32_t i = 0; cols != NULL && i < cat->n; i++)
        free(cols[i]);
    for (uint32_t i = 0; ixs != NULL && i < cat->n; i++)
        free(ixs[i]);
    for (uint32_t i = 0; cks != NULL && i < cat->n; i++)
        free(cks[i]);
    free(cols);
    free(ixs);
    free(cks);
    free(elem_ptrs);
    buf_free(&elems);
    free(tables);
    if (rc != 0) {
        sqlite3_close(x->pgcat);
        x->pgcat = NULL;
        return rc;
    }
    x->pgcat_version = cat->version;
    return 0;
}

void sqlx_pgcat_free(struct sql_exec *x)
{
    sqlite3_close(x->pgcat);
    x->pgcat = NULL;
}

/* The catalog database for this session, rebuilt when the schema or the user changed. */
static sqlite3 *sqlx_pgcat_db(struct sqlx_session *s, struct errbuf *eb)
{
    struct sql_exec *x = s->x;
    struct sqlx_catalog *cat = sqlx_catalog(x);
    const char *user = pg_conn_user(s->c);
    if (x->pgcat != NULL && x->pgcat_version == cat->version &&
        strcmp(x->pgcat_user, user ? user : "") == 0)
        return x->pgcat;
    sqlx_pgcat_free(x);
    if (sqlx_pgcat_build(x, cat, user, eb) != 0)
        return NULL;
    return x->pgcat;
}

/* A query that certainly returns nothing (over relations Cairn never fills): the columns and
 * no rows, without running it — psql's array syntax there is beyond SQLite. */
static void sqlx_pgcat_empty(struct sqlx_session *s, const struct sql_stmt *st, uint32_t ncols)
{
    if (s->portal == NULL && ncols > 0) {
        struct pg_column cols[PG_COLUMNS_MAX];
        const struct sql_select *q = st->select;
        while (q->kind == SQL_SELECT_SETOP)
            q = q->left;
        for (uint32_t i = 0; i < ncols && i < PG_COLUMNS_MAX; i++) {
            const char *name = "?column?";
            if (q->kind == SQL_SELECT_PLAIN && i < q->targets.n) {
                const struct sql_target *t = &q->targets.v[i];
                if (t->alias != NULL)
                    name = t->alias;
                else if (t->expr->kind == SQL_E_COLUMN && t->expr->column.nparts > 0)
                    name = t->expr->column.parts[t->expr->column.nparts - 1];
            }
            cols[i] = PG_COLUMN(name, PG_OID_TEXT);
        }
        pg_send_row_description(s->c, cols, ncols < PG_COLUMNS_MAX ? ncols : PG_COLUMNS_MAX);
    }
    pg_send_command_complete(s->c, "SELECT 0");
}

void sqlx_pgcat_run(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct errbuf eb = {{0}};
    uint32_t ncols = 0;
    if (sql_catalog_result_is_empty(st, &ncols)) {
        sqlx_pgcat_empty(s, st, ncols);
        sqlx_statement_done(s);
        return;
    }
    sqlite3 *db = sqlx_pgcat_db(s, &eb);
    if (db == NULL) {
        pg_send_errorf(s->c, "XX000", "building the pg_catalog emulation: %s", eb.msg);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    struct sql_print_opts o = {
        .map_table = sql_catalog_map_table,
        .table_columns = sql_catalog_table_columns,
        .func_lookup = sql_catalog_func_lookup,
        .current_user = pg_conn_user(s->c),
    };
    struct sql_printed printed = {0};
    struct sql_error err = {0};
    if (sql_print(st, &o, &printed, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    s->x->pgcat_env.now_us = s->txn != SQLX_IDLE ? s->txn_now_us : sqlx_now_us();
    s->x->pgcat_env.random_seed = rng_next(&s->x->rng);
    s->x->pgcat_env.statement++;
    uint32_t n_params = 0;
    struct table_value *params = sqlx_params(s, &n_params);
    struct table_stmt ts = {.sql = (const char *)printed.sql.data,
                            .sql_len = (uint32_t)printed.sql.len,
                            .params = params,
                            .n_params = n_params};
    struct buf out = BUF_INIT;
    struct table_output res;
    int rc = table_query_db(db, &ts, &out);
    if (rc != 0 || table_output_parse(out.data, out.len, &res) != 0) {
        pg_send_errorf(s->c, "XX000", "running a pg_catalog query: %s", err_msg(rc));
        sqlx_failed(s);
    } else if (res.state != TABLE_STATE_OK) {
        sqlx_send_output_error(s, &res);
        sqlx_failed(s);
    } else {
        sqlx_send_rows(s, &res, printed.cols, printed.ncols, "SELECT", true);
    }
    buf_free(&out);
    free(params);
    sql_printed_free(&printed);
    sqlx_statement_done(s);
}
