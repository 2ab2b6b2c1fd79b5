/* Queries that read rows of several replicasets (docs/sql.md, "Queries over several
 * replicasets"): the coordinator fetches, from every replicaset, the rows of each table the
 * query reads — filtered there when the query reads one table — into a private SQLite database
 * on this node, and runs the query there with the same printed SQL and the same functions.
 * Joins of any kind, subqueries, aggregates, sorts and set operations are then exactly what a
 * single replicaset would compute. The database is a temporary file that SQLite pages to disk
 * past its cache, so the rows moved are bounded by SQLX_GATHER_BYTES_MAX, not by memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/assert.h"
#include "base/log.h"
#include "model/cluster/cluster.h"
#include "node/node_int.h"
#include "node/sql_exec_int.h"
#include "sql/sql_func.h"

/* One fetch: the rows of one table from one group. */
struct sqlx_part {
    struct sqlx_gather *g;
    uint32_t table; /* index into g->tables */
    struct buf out;
};

struct sqlx_gather_table {
    const struct sqlx_table *t;
    struct sql_printed fetch; /* the fetch statement, printed */
    bool filtered;            /* the query's WHERE runs at the source */
};

struct sqlx_gather {
    struct sqlx_session *s;
    struct sql_printed printed; /* the query, run here at the end */
    struct table_value *params;
    uint32_t n_params;
    struct sqlx_gather_table tables[SQLX_GATHER_TABLES_MAX];
    uint32_t ntables;
    struct sqlx_part *parts;
    uint32_t nparts, pending;
    size_t bytes;
    bool answered, replan;
    struct sql_func_env env;
};

static void sqlx_gather_free(struct sqlx_gather *g)
{
    sql_printed_free(&g->printed);
    for (uint32_t i = 0; i < g->ntables; i++)
        sql_printed_free(&g->tables[i].fetch);
    for (uint32_t i = 0; i < g->nparts; i++)
        buf_free(&g->parts[i].out);
    free(g->parts);
    free(g->params);
    free(g);
}

/* The groups holding t's rows: every replicaset that holds data, or the governor for a table
 * distributed globally. */
static uint32_t sqlx_gather_groups(struct node *n, const struct sqlx_table *t,
                                   uint64_t groups[ROUTER_RS_MAX])
{
    if (t->global) {
        groups[0] = NODE_GOVERNOR_GROUP;
        return 1;
    }
    uint32_t ng = 0;
    for (uint32_t i = 0; i < n->router.n_rs; i++)
        if (n->router.rs[i].state == CLUSTER_RS_ACTIVE ||
            n->router.rs[i].state == CLUSTER_RS_RETIRING)
            groups[ng++] = ROUTER_RS_GROUP(n->router.rs[i].id);
    return ng;
}

/* Whether the query reads one table, directly in its FROM: its WHERE can then run where the
 * rows are. */
static bool sqlx_gather_one_table(const struct sql_stmt *st, uint32_t nrefs)
{
    const struct sql_select *q = st->select;
    return nrefs == 1 && q->kind == SQL_SELECT_PLAIN && q->with == NULL && q->from.n == 1 &&
           q->from.v[0]->kind == SQL_FROM_TABLE;
}

/* The fetch of a sharded table reads only the buckets the run's bucket set names (the ones
 * this coordinator's map places in that replicaset): while a bucket moves, its rows are in two
 * replicasets (the destination receiving them, or owning them before the source dropped its
 * copy), and each must be read from one. The replicaset refuses the set when its map is stale
 * (table.h, Buckets), and the query is planned again. */
static const char *sqlx_gather_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (nargs == 1 && strcmp(name, "cairn_bucket_visible") == 0) {
        *is_aggregate = false;
        return name;
    }
    return sql_func_lookup(name, nargs, is_aggregate);
}

/* where AND cairn_bucket_visible("__bucket"), in the statement's arena; NULL when it is full. */
static struct sql_expr *sqlx_gather_visible(struct sql_arena *a, struct sql_expr *where)
{
    struct sql_expr *call = sql_arena_alloc(a, sizeof *call);
    struct sql_expr *col = sql_arena_alloc(a, sizeof *col);
    struct sql_expr **arg = sql_arena_alloc(a, sizeof *arg);
    if (call == NULL || col == NULL || arg == NULL)
        return NULL;
    col->kind = SQL_E_COLUMN;
    col->loc = -1;
    col->column.nparts = 1;
    col->column.parts[0] = "__bucket";
    arg[0] = col;
    call->kind = SQL_E_FUNC;
    call->loc = -1;
    call->func.name.name = "cairn_bucket_visible";
    call->func.name.loc = -1;
    call->func.args.n = 1;
    call->func.args.v = arg;
    if (where == NULL)
        return call;
    struct sql_expr *and = sql_arena_alloc(a, sizeof *and);
    struct sql_expr **terms = sql_arena_alloc(a, 2 * sizeof *terms);
    if (and == NULL || terms == NULL)
        return NULL;
    terms[0] = where;
    terms[1] = call;
    and->kind = SQL_E_AND;
    and->loc = -1;
    and->list.n = 2;
    and->list.v = terms;
    return and;
}

/* The statement that fetches t: `SELECT * FROM t [alias] WHERE <the query's WHERE>` when the
 * query reads only t (its filter then runs at the source and again here, harmlessly), else
 * every row of t. */
static int sqlx_gather_print_fetch(struct sqlx_session *s, const struct sql_stmt *st,
                                   uint32_t nrefs, struct sqlx_gather_table *gt,
                                   struct sql_error *err)
{
    const struct sql_select *q = st->select;
    struct sql_arena *a = st->arena;
    struct sql_select *f = sql_arena_alloc(a, sizeof *f);
    struct sql_expr *star = sql_arena_alloc(a, sizeof *star);
    struct sql_target *target = sql_arena_alloc(a, sizeof *target);
    struct sql_from *from = sql_arena_alloc(a, sizeof *from);
    struct sql_from **froms = sql_arena_alloc(a, sizeof *froms);
    if (f == NULL || star == NULL || target == NULL || from == NULL || froms == NULL) {
        snprintf(err->sqlstate, sizeof err->sqlstate, "53200");
        snprintf(err->message, sizeof err->message, "out of memory planning the query");
        return ERR_NOMEM;
    }
    star->kind = SQL_E_COLUMN;
    star->loc = -1;
    star->column.star = true;
    target->expr = star;
    target->loc = -1;
    f->kind = SQL_SELECT_PLAIN;
    f->loc = -1;
    f->targets.n = 1;
    f->targets.v = target;
    if (sqlx_gather_one_table(st, nrefs)) {
        f->from = q->from;
        f->where = q->where;
        gt->filtered = q->where != NULL;
    } else {
        from->kind = SQL_FROM_TABLE;
        from->loc = -1;
        from->table.name = gt->t->name;
        from->table.loc = -1;
        froms[0] = from;
        f->from.n = 1;
        f->from.v = froms;
    }
    struct sql_stmt fetch = *st;
    fetch.kind = SQL_STMT_SELECT;
    fetch.select = f;
    struct sqlx_print_ctx pctx = {.cat = sqlx_catalog(s->x)};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    if (!gt->t->global) {
        o.func_lookup = sqlx_gather_func_lookup;
        f->where = sqlx_gather_visible(a, f->where);
        if (f->where == NULL) {
            snprintf(err->sqlstate, sizeof err->sqlstate, "53200");
            snprintf(err->message, sizeof err->message, "out of memory planning the query");
            return ERR_NOMEM;
        }
    }
    return sql_print(&fetch, &o, &gt->fetch, err);
}

static void sqlx_gather_answer(struct sqlx_gather *g);

static void sqlx_gather_part_done(struct sqlx_run *r, int err)
{
    struct sqlx_part *part = r->arg;
    struct sqlx_gather *g = part->g;
    struct sqlx_session *s = g->s;
    g->pending--;
    if (!g->answered) {
        struct table_output o;
        if (err != 0) {
            sqlx_send_err(s, err, "fetching rows from a replicaset");
            g->answered = true;
        } else if (r->out.len > 0 && r->out.data[0] == TABLE_STATE_SCHEMA) {
            g->replan = true;
        } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
            pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
            g->answered = true;
        } else if (o.state != TABLE_STATE_OK && strcmp(o.sqlstate, "55000") == 0) {
            g->replan = true; /* a bucket moved: this node's map was older than the replicaset */
        } else if (o.state != TABLE_STATE_OK) {
            sqlx_send_output_error(s, &o);
            g->answered = true;
        } else if (g->bytes + r->out.len > SQLX_GATHER_BYTES_MAX) {
            pg_send_errorf(s->c, "54000",
                           "this query would move more than %u MiB of rows between nodes; "
                           "filter on the distribution key, or narrow the tables it reads",
                           SQLX_GATHER_BYTES_MAX >> 20);
            g->answered = true;
        } else {
            g->bytes += r->out.len;
            part->out = r->out; /* taken over */
            r->out = (struct buf)BUF_INIT;
        }
        if (g->answered)
            sqlx_failed(s);
    }
    sqlx_run_free(r);
    if (g->pending > 0)
        return;
    if (g->answered) {
        sqlx_gather_free(g);
        sqlx_statement_done(s);
    } else if (g->replan) {
        sqlx_gather_free(g);
        sqlx_retry_statement(s);
    } else {
        sqlx_gather_answer(g);
        sqlx_gather_free(g);
        sqlx_statement_done(s);
    }
}

/* ---- the coordinator's database ---- */

static int sqlx_gather_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ERR_IO;
}

/* Creates table gt in db with the declared types of the replicasets and loads its parts. */
static int sqlx_gather_load(struct sqlx_gather *g, sqlite3 *db, uint32_t ti,
                            struct buf *sql, char *why, size_t why_cap)
{
    const struct sqlx_table *t = g->tables[ti].t;
    buf_reset(sql);
    buf_printf(sql, "CREATE TABLE \"%s\" (", t->sqlite_name);
    for (uint32_t c = 0; c < t->ncols; c++) {
        buf_printf(sql, "%s\"%s\" ", c ? ", " : "", t->cols[c].name);
        if (sql_type_decl(&t->cols[c].type, sql) != 0)
            buf_printf(sql, "TEXT");
    }
    buf_printf(sql, ")");
    buf_append_u8(sql, 0);
    if (sqlx_gather_exec(db, (const char *)sql->data) != 0) {
        snprintf(why, why_cap, "%s", sqlite3_errmsg(db));
        return ERR_IO;
    }
    buf_reset(sql);
    buf_printf(sql, "INSERT INTO \"%s\" VALUES (", t->sqlite_name);
    for (uint32_t c = 0; c < t->ncols; c++)
        buf_printf(sql, "%s?", c ? ", " : "");
    buf_printf(sql, ")");
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(db, (const char *)sql->data, (int)sql->len, &ins, NULL) != SQLITE_OK) {
        snprintf(why, why_cap, "%s", sqlite3_errmsg(db));
        return ERR_IO;
    }
    int rc = 0;
    struct table_value vals[SQLX_GATHER_COLUMNS_MAX];
    for (uint32_t p = 0; p < g->nparts && rc == 0; p++) {
        if (g->parts[p].table != ti)
            continue;
        struct table_output o;
        if (table_output_parse(g->parts[p].out.data, g->parts[p].out.len, &o) != 0 ||
            o.ncols != t->ncols) {
            snprintf(why, why_cap, "a replicaset answered with other columns than %s's",
                     t->name);
            rc = ERR_PROTO;
            break;
        }
        size_t pos = 0;
        int more;
        while (rc == 0 && (more = table_output_next_row(&o, &pos, vals)) == 1) {
            for (uint32_t c = 0; c < t->ncols; c++)
                table_bind_value(ins, (int)c + 1, &vals[c]);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                snprintf(why, why_cap, "%s", sqlite3_errmsg(db));
                rc = ERR_IO;
            }
            sqlite3_reset(ins);
        }
        if (rc == 0 && more != 0) {
            snprintf(why, why_cap, "a malformed answer from a replicaset");
            rc = ERR_PROTO;
        }
        buf_free(&g->parts[p].out); /* loaded: the memory goes back now */
    }
    sqlite3_finalize(ins);
    return rc;
}

/* Every part is here: load them and run the query. */
static void sqlx_gather_answer(struct sqlx_gather *g)
{
    struct sqlx_session *s = g->s;
    sqlite3 *db = NULL;
    struct errbuf eb = {{0}};
    struct buf sql = BUF_INIT, out = BUF_INIT;
    char why[256] = "";
    /* "": a private temporary database that SQLite keeps on disk past its cache. */
    int rc = sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
                     SQLITE_OK
                 ? 0
                 : ERR_IO;
    if (rc == 0) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    }
    if (rc == 0 && (rc = sql_func_register(db, &g->env, &eb)) != 0)
        snprintf(why, sizeof why, "%s", eb.msg);
    if (rc == 0)
        rc = sqlx_gather_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                  "PRAGMA case_sensitive_like = ON; PRAGMA cache_size = -65536;"
                                  " BEGIN");
    for (uint32_t i = 0; rc == 0 && i < g->ntables; i++)
        rc = sqlx_gather_load(g, db, i, &sql, why, sizeof why);
    if (rc == 0) {
        struct table_stmt ts = {.sql = (const char *)g->printed.sql.data,
                                .sql_len = (uint32_t)g->printed.sql.len,
                                .params = g->params,
                                .n_params = g->n_params};
        rc = table_query_db(db, &ts, &out);
    }
    struct table_output o;
    if (rc != 0) {
        pg_send_errorf(s->c, rc == ERR_NOMEM ? "53200" : "XX000",
                       "running the query over the gathered rows: %s",
                       why[0] ? why : (db ? sqlite3_errmsg(db) : err_msg(rc)));
        sqlx_failed(s);
    } else if (table_output_parse(out.data, out.len, &o) != 0) {
        pg_send_errorf(s->c, "XX000", "a malformed result of the gathered query");
        sqlx_failed(s);
    } else if (o.state != TABLE_STATE_OK) {
        sqlx_send_output_error(s, &o);
        sqlx_failed(s);
    } else {
        sqlx_send_rows(s, &o, g->printed.cols, g->printed.ncols, "SELECT", true);
    }
    sqlite3_close(db);
    buf_free(&sql);
    buf_free(&out);
}

/* ---- entry points ---- */

void sqlx_gather_start(struct sqlx_session *s, const struct sql_stmt *st,
                       struct sql_printed *printed)
{
    struct node *n = s->x->n;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sqlx_gather *g = calloc(1, sizeof *g);
    ASSERT(g != NULL);
    g->s = s;
    g->printed = *printed; /* taken over */
    *printed = (struct sql_printed){0};
    g->env.now_us = s->txn != SQLX_IDLE ? s->txn_now_us : sqlx_now_us();
    g->env.random_seed = rng_next(&s->x->rng);
    g->env.user = pg_conn_user(s->c);
    g->env.database = pg_conn_database(s->c);
    struct sql_table_ref *refs = NULL;
    uint32_t nrefs = 0;
    struct sql_error err = {0};
    if (sql_stmt_tables(st, &refs, &nrefs) != 0) {
        pg_send_errorf(s->c, "54000", "statement too complex to plan");
        goto fail;
    }
    for (uint32_t i = 0; i < nrefs; i++) {
        const struct sqlx_table *t = sqlx_table_find(cat, refs[i].schema, refs[i].name);
        bool seen = false;
        for (uint32_t k = 0; k < g->ntables && !seen; k++)
            seen = g->tables[k].t == t;
        if (t == NULL || seen)
            continue;
        if (g->ntables == SQLX_GATHER_TABLES_MAX) {
            pg_send_errorf(s->c, "54000", "a query over several replicasets may read at most %d "
                           "tables", SQLX_GATHER_TABLES_MAX);
            goto fail;
        }
        if (t->ncols > SQLX_GATHER_COLUMNS_MAX) {
            pg_send_errorf(s->c, "54000", "table %s has too many columns (%u) to gather; at "
                           "most %d", t->name, t->ncols, SQLX_GATHER_COLUMNS_MAX);
            goto fail;
        }
        struct sqlx_gather_table *gt = &g->tables[g->ntables++];
        gt->t = t;
        if (sqlx_gather_print_fetch(s, st, nrefs, gt, &err) != 0) {
            pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
            goto fail;
        }
    }
    uint64_t groups[SQLX_GATHER_TABLES_MAX][ROUTER_RS_MAX];
    uint32_t ngroups[SQLX_GATHER_TABLES_MAX];
    uint32_t total = 0;
    for (uint32_t i = 0; i < g->ntables; i++) {
        ngroups[i] = sqlx_gather_groups(n, g->tables[i].t, groups[i]);
        total += ngroups[i];
    }
    if (total == 0) {
        pg_send_errorf(s->c, "08006", "no replicaset holds data yet; try again shortly");
        goto fail;
    }
    g->parts = calloc(total, sizeof *g->parts);
    ASSERT(g->parts != NULL);
    g->params = sqlx_params(s, &g->n_params);
    g->pending = total;
    for (uint32_t i = 0; i < g->ntables; i++) {
        struct table_stmt ts = {.sql = (const char *)g->tables[i].fetch.sql.data,
                                .sql_len = (uint32_t)g->tables[i].fetch.sql.len,
                                .params = g->params,
                                .n_params = g->n_params};
        for (uint32_t k = 0; k < ngroups[i]; k++) {
            struct sqlx_part *part = &g->parts[g->nparts++];
            part->g = g;
            part->table = i;
            sqlx_run_start(s, groups[i][k], false, false, &ts, 1,
                           g->tables[i].t->global ? 0 : TABLE_EXEC_BUCKETS, sqlx_gather_part_done,
                           part);
        }
    }
    return;
fail:
    sqlx_failed(s);
    sqlx_gather_free(g);
    sqlx_statement_done(s);
}

void sqlx_gather_explain(struct sqlx_session *s, const struct sql_stmt *st,
                         void (*line)(struct sqlx_session *s, const char *text))
{
    struct node *n = s->x->n;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sql_table_ref *refs = NULL;
    uint32_t nrefs = 0;
    char text[512];
    if (sql_stmt_tables(st, &refs, &nrefs) != 0)
        return;
    line(s, "Gather: the rows each table contributes are fetched to this node, and the query "
            "runs here");
    const struct sqlx_table *seen[SQLX_GATHER_TABLES_MAX];
    uint32_t nseen = 0;
    for (uint32_t i = 0; i < nrefs && nseen < SQLX_GATHER_TABLES_MAX; i++) {
        const struct sqlx_table *t = sqlx_table_find(cat, refs[i].schema, refs[i].name);
        bool dup = false;
        for (uint32_t k = 0; k < nseen && !dup; k++)
            dup = seen[k] == t;
        if (t == NULL || dup)
            continue;
        seen[nseen++] = t;
        uint64_t groups[ROUTER_RS_MAX];
        uint32_t ng = sqlx_gather_groups(n, t, groups);
        int at = snprintf(text, sizeof text, "  Fetch %s from %s", t->name,
                          t->global ? "the governor (distributed globally)" : "replicasets");
        for (uint32_t k = 0; !t->global && k < ng && at < (int)sizeof text - 16; k++)
            at += snprintf(text + at, sizeof text - (size_t)at, "%s%u", k ? ", " : " ",
                           ROUTER_GROUP_RS(groups[k]));
        if (sqlx_gather_one_table(st, nrefs) && st->select->where != NULL &&
            at < (int)sizeof text - 40)
            snprintf(text + at, sizeof text - (size_t)at, " (WHERE runs there)");
        line(s, text);
    }
}
