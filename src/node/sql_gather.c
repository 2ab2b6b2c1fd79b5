/* Queries that read rows of several replicasets (docs/sql.md, "Queries over several
 * replicasets"): every replicaset holding a table the query reads runs the plan's statement for
 * it (sql_gather_plan.c: the table's rows, only the columns the query reads, filtered and
 * limited where the query allows; or its partial aggregates per group), the answers are loaded
 * into a private SQLite database on this node, and the query — or the combining of the groups
 * and the rest of the query — runs there with the same printed SQL and the same functions.
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
#include "node/sql_gather_int.h"
#include "sql/sql_func.h"

/* One fetch: what one group answered to one source's statement. */
struct sqlx_part {
    struct sqlx_gather *g;
    uint32_t src; /* index into g->plan.src */
    struct buf out;
};

struct sqlx_gather {
    struct sqlx_session *s;
    struct sql_printed printed; /* the query; its result columns name the answer's */
    struct table_value *params;
    uint32_t n_params;
    struct sqlx_gplan plan;
    sqlx_gather_into_fn into; /* NULL: the rows go to the client */
    void *into_arg;
    bool handed; /* the rows went to into, which finishes the statement */
    struct sqlx_part *parts;
    uint32_t nparts, pending;
    size_t bytes;
    bool answered, replan;
    struct sql_func_env env;
};

static void sqlx_gather_free(struct sqlx_gather *g)
{
    sql_printed_free(&g->printed);
    sqlx_gplan_free(&g->plan);
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

static void sqlx_gather_answer(struct sqlx_gather *g);

/* Frees g, first telling its into callback that no rows come, unless they went there. */
static void sqlx_gather_abandon(struct sqlx_gather *g)
{
    if (g->into != NULL && !g->handed)
        g->into(g->s, g->into_arg, NULL);
    sqlx_gather_free(g);
}

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
        sqlx_gather_abandon(g);
        sqlx_statement_done(s);
    } else if (g->replan) {
        sqlx_gather_abandon(g);
        sqlx_retry_statement(s);
    } else {
        sqlx_gather_answer(g);
        bool handed = g->handed;
        sqlx_gather_abandon(g);
        if (!handed)
            sqlx_statement_done(s);
    }
}

/* ---- the coordinator's database ---- */

static int sqlx_gather_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ERR_IO;
}

/* Creates source si's table in db and loads what every group answered into it. */
static int sqlx_gather_load(struct sqlx_gather *g, sqlite3 *db, uint32_t si, struct buf *sql,
                            char *why, size_t why_cap)
{
    const struct sqlx_gsource *src = &g->plan.src[si];
    ASSERT(src->ncols > 0 && src->ncols <= SQLX_GATHER_COLUMNS_MAX);
    if (sqlx_gather_exec(db, (const char *)src->create.data) != 0) {
        snprintf(why, why_cap, "%s", sqlite3_errmsg(db));
        return ERR_IO;
    }
    buf_reset(sql);
    buf_printf(sql, "INSERT INTO \"%s\" VALUES (", src->name);
    for (uint32_t c = 0; c < src->ncols; c++)
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
        if (g->parts[p].src != si)
            continue;
        struct table_output o;
        if (table_output_parse(g->parts[p].out.data, g->parts[p].out.len, &o) != 0 ||
            o.ncols != src->ncols) {
            snprintf(why, why_cap, "a replicaset answered with other columns than %s's",
                     src->t->name);
            rc = ERR_PROTO;
            break;
        }
        size_t pos = 0;
        int more;
        while (rc == 0 && (more = table_output_next_row(&o, &pos, vals)) == 1) {
            for (uint32_t c = 0; c < src->ncols; c++)
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

/* Every part is here: load them and run the query (for partial aggregates: combine the groups,
 * then run the final query over them). */
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
    for (uint32_t i = 0; rc == 0 && i < g->plan.nsrc; i++)
        rc = sqlx_gather_load(g, db, i, &sql, why, sizeof why);
    struct table_output o;
    bool sent = false; /* an error of the query's own went to the client */
    if (rc == 0 && g->plan.kind == SQLX_GPLAN_PARTIAL) {
        if ((rc = sqlx_gather_exec(db, (const char *)g->plan.groups.data)) != 0) {
            snprintf(why, sizeof why, "%s", sqlite3_errmsg(db));
        } else if (sqlx_gather_exec(db, (const char *)g->plan.combine.data) != 0) {
            /* Combining runs the library's aggregates, whose errors are the query's:
             * "22003: numeric field overflow". */
            const char *msg = sqlite3_errmsg(db);
            char state[6] = "XX000";
            if (strlen(msg) > 7 && msg[5] == ':' && msg[6] == ' ') {
                memcpy(state, msg, 5);
                msg += 7;
            }
            pg_send_error(s->c, state, "ERROR", msg, NULL, NULL, 0);
            sqlx_failed(s);
            sent = true;
        }
    }
    const struct sql_printed *run = g->plan.kind != SQLX_GPLAN_ROWS ? &g->plan.final : &g->printed;
    if (rc == 0 && !sent) {
        struct table_stmt ts = {.sql = (const char *)run->sql.data,
                                .sql_len = (uint32_t)run->sql.len,
                                .params = g->params,
                                .n_params = g->n_params};
        rc = table_query_db(db, &ts, &out);
    }
    if (sent) {
        /* answered */
    } else if (rc != 0) {
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
    } else if (g->into != NULL) {
        g->handed = true;
        g->into(s, g->into_arg, &out);
    } else {
        sqlx_send_rows(s, &o, g->printed.cols, g->printed.ncols, "SELECT", true);
    }
    sqlite3_close(db);
    buf_free(&sql);
    buf_free(&out);
}

/* ---- entry points ---- */

static void sqlx_gather_plan_error(struct sqlx_session *s, const struct sql_error *err)
{
    pg_send_error(s->c, err->sqlstate[0] ? err->sqlstate : "XX000", "ERROR",
                  err->message[0] ? err->message : "planning the query failed", NULL, NULL,
                  err->position);
}

static void sqlx_gather_begin(struct sqlx_session *s, const struct sql_stmt *st,
                              struct sql_printed *printed, sqlx_gather_into_fn into, void *arg)
{
    struct node *n = s->x->n;
    struct sqlx_gather *g = calloc(1, sizeof *g);
    ASSERT(g != NULL);
    g->s = s;
    g->into = into;
    g->into_arg = arg;
    g->printed = *printed; /* taken over */
    *printed = (struct sql_printed){0};
    g->env.now_us = s->txn != SQLX_IDLE ? s->txn_now_us : sqlx_now_us();
    g->env.random_seed = rng_next(&s->x->rng);
    g->env.user = pg_conn_user(s->c);
    g->env.database = pg_conn_database(s->c);
    struct sql_error err = {0};
    if (sqlx_gplan_build(s, st, &g->printed, &g->plan, &err) != 0) {
        sqlx_gather_plan_error(s, &err);
        goto fail;
    }
    uint64_t groups[SQLX_GATHER_TABLES_MAX][ROUTER_RS_MAX];
    uint32_t ngroups[SQLX_GATHER_TABLES_MAX];
    uint32_t total = 0;
    for (uint32_t i = 0; i < g->plan.nsrc; i++) {
        ngroups[i] = sqlx_gather_groups(n, g->plan.src[i].t, groups[i]);
        total += ngroups[i];
    }
    if (g->plan.nsrc == 0) {
        /* It reads no table (an INSERT's SELECT of generate_series): computed here alone. */
        g->params = sqlx_params(s, &g->n_params);
        sqlx_gather_answer(g);
        bool handed = g->handed;
        sqlx_gather_abandon(g);
        if (!handed)
            sqlx_statement_done(s);
        return;
    }
    if (total == 0) {
        pg_send_errorf(s->c, "08006", "no replicaset holds data yet; try again shortly");
        goto fail;
    }
    g->parts = calloc(total, sizeof *g->parts);
    ASSERT(g->parts != NULL);
    g->params = sqlx_params(s, &g->n_params);
    g->pending = total;
    for (uint32_t i = 0; i < g->plan.nsrc; i++) {
        const struct sqlx_gsource *src = &g->plan.src[i];
        struct table_stmt ts = {.sql = (const char *)src->sql.sql.data,
                                .sql_len = (uint32_t)src->sql.sql.len,
                                .params = g->params,
                                .n_params = g->n_params};
        for (uint32_t k = 0; k < ngroups[i]; k++) {
            struct sqlx_part *part = &g->parts[g->nparts++];
            part->g = g;
            part->src = i;
            sqlx_run_start(s, groups[i][k], false, false, &ts, 1,
                           src->t->global ? 0 : TABLE_EXEC_BUCKETS, sqlx_gather_part_done, part);
        }
    }
    return;
fail:
    sqlx_failed(s);
    sqlx_gather_abandon(g);
    sqlx_statement_done(s);
}

void sqlx_gather_start(struct sqlx_session *s, const struct sql_stmt *st,
                       struct sql_printed *printed)
{
    sqlx_gather_begin(s, st, printed, NULL, NULL);
}

void sqlx_gather_into(struct sqlx_session *s, const struct sql_stmt *st,
                      struct sql_printed *printed, sqlx_gather_into_fn into, void *arg)
{
    sqlx_gather_begin(s, st, printed, into, arg);
}

/* "replicasets 1, 2" or "the governor (distributed globally)". */
static int sqlx_gather_explain_where(struct node *n, const struct sqlx_table *t, char *text,
                                     size_t cap)
{
    if (t->global)
        return snprintf(text, cap, "the governor (distributed globally)");
    uint64_t groups[ROUTER_RS_MAX];
    uint32_t ng = sqlx_gather_groups(n, t, groups);
    int at = snprintf(text, cap, "replicasets");
    for (uint32_t k = 0; k < ng && at < (int)cap - 16; k++)
        at += snprintf(text + at, cap - (size_t)at, "%s%u", k ? ", " : " ",
                       ROUTER_GROUP_RS(groups[k]));
    return at;
}

void sqlx_gather_explain(struct sqlx_session *s, const struct sql_stmt *st,
                         void (*line)(struct sqlx_session *s, const char *text))
{
    struct node *n = s->x->n;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sql_printed printed = {0};
    struct sql_error err = {0};
    struct sqlx_gplan *p = calloc(1, sizeof *p);
    ASSERT(p != NULL);
    char where[128], text[512];
    if (sql_print(st, &o, &printed, &err) != 0 || sqlx_gplan_build(s, st, &printed, p, &err) != 0) {
        snprintf(text, sizeof text, "Gather (not planned: %s)", err.message);
        line(s, text);
    } else if (p->kind == SQLX_GPLAN_PARTIAL) {
        const struct sqlx_gsource *src = &p->src[0];
        line(s, "Gather: partial aggregates computed on the replicasets, combined here");
        sqlx_gather_explain_where(n, src->t, where, sizeof where);
        snprintf(text, sizeof text, "  Partial aggregate on %s: %u grouping key%s, %u aggregate%s%s",
                 where, p->nkeys, p->nkeys == 1 ? "" : "s", p->naggs, p->naggs == 1 ? "" : "s",
                 src->filtered ? "; WHERE runs there" : "");
        line(s, text);
        snprintf(text, sizeof text, "    There: %.480s", (const char *)src->sql.sql.data);
        line(s, text);
        snprintf(text, sizeof text, "  Combined here: %.480s", (const char *)p->combine.data);
        line(s, text);
        snprintf(text, sizeof text, "  Final here: %.480s", (const char *)p->final.sql.data);
        line(s, text);
    } else if (p->kind == SQLX_GPLAN_JOINED) {
        const struct sqlx_gsource *src = &p->src[0];
        line(s, "Gather: the tables are joined on their distribution keys, so each replicaset "
                "joins its own rows; the result rows are merged here");
        sqlx_gather_explain_where(n, src->t, where, sizeof where);
        int at = snprintf(text, sizeof text, "  Join on %s%s", where,
                          src->filtered ? "; WHERE runs there" : "");
        if (src->limit > 0)
            snprintf(text + at, sizeof text - (size_t)at,
                     "; Limit pushed down: at most %" PRIu64 " rows from each", src->limit);
        line(s, text);
        snprintf(text, sizeof text, "    There: %.480s", (const char *)src->sql.sql.data);
        line(s, text);
        snprintf(text, sizeof text, "  Merged here: %.480s", (const char *)p->final.sql.data);
        line(s, text);
    } else {
        line(s, "Gather: the rows each table contributes are fetched to this node, and the "
                "query runs here");
        for (uint32_t i = 0; i < p->nsrc; i++) {
            const struct sqlx_gsource *src = &p->src[i];
            sqlx_gather_explain_where(n, src->t, where, sizeof where);
            int at = snprintf(text, sizeof text, "  Fetch %s from %s: ", src->t->name, where);
            if (src->all_cols) {
                at += snprintf(text + at, sizeof text - (size_t)at, "all columns");
            } else {
                at += snprintf(text + at, sizeof text - (size_t)at, "columns");
                bool first = true;
                for (uint32_t k = 0; k < src->t->ncols && at < (int)sizeof text - 80; k++) {
                    if (!src->want[k])
                        continue;
                    at += snprintf(text + at, sizeof text - (size_t)at, "%s%s",
                                   first ? " " : ", ", src->t->cols[k].name);
                    first = false;
                }
            }
            if (src->filtered && at < (int)sizeof text - 80)
                at += snprintf(text + at, sizeof text - (size_t)at, "; WHERE runs there");
            if (src->limit > 0 && at < (int)sizeof text - 80)
                snprintf(text + at, sizeof text - (size_t)at,
                         "; Limit pushed down: at most %" PRIu64 " rows from each", src->limit);
            line(s, text);
        }
    }
    sqlx_gplan_free(p);
    free(p);
    sql_printed_free(&printed);
}
