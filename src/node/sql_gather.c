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
#include "base/clock.h"
#include "base/log.h"
#include "model/cluster/cluster.h"
#include "node/metrics.h"
#include "node/node_int.h"
#include "node/sql_gather_int.h"
#include "sql/sql_func.h"

/* One fetch: what one group answered to one source's statement. */
struct sqlx_part {
    struct sqlx_gather *g;
    const struct sqlx_gplan *plan; /* g->plan, or one of its moved plans */
    uint32_t src;                  /* index into plan->src */
    bool count;                    /* the source's row count, not its rows */
    struct buf out;
};

/* A gather runs in stages: the row counts that choose whether to move the smaller side of a
 * join (only when there is a choice), the sources' rows, and the join where the rows were
 * moved (sqlx_gplan.moved). Each stage's fetches run at once; the next starts when all are in. */
enum sqlx_gather_stage { SQLX_GS_COUNT, SQLX_GS_FETCH, SQLX_GS_RUN };

struct sqlx_gather {
    struct sqlx_session *s;
    struct sql_printed printed; /* the query; its result columns name the answer's */
    struct table_value *params;
    uint32_t n_params;
    struct sqlx_gplan plan;
    sqlx_gather_into_fn into; /* NULL: the rows go to the client */
    void *into_arg;
    bool handed; /* the rows went to into, which finishes the statement */
    struct sqlx_part **parts;
    uint32_t nparts, cap_parts, pending;
    size_t bytes;
    bool answered, replan;
    struct sql_func_env env;
    enum sqlx_gather_stage stage;
    int anchor; /* the source the others' rows move to, or -1 */
    /* SQLX_GS_RUN: the moved rows (one blob per source) after the query's parameters */
    struct buf blobs[SQLX_GATHER_TABLES_MAX];
    struct table_value *run_params;
    /* The answer: computed on a reader thread (loading the rows and running the query there
     * may take seconds), sent from the loop. */
    struct reader_job job;
    const struct sqlx_gplan *answer_plan;
    struct table_read_stop stop;
    uint64_t deadline_ms;
    enum table_stopped stopped;
    int rc;
    char why[256];
    bool query_error; /* combining failed with an error of the query's own: state, msg */
    char state[6];
    char msg[400];
    struct buf out;
};

static void sqlx_gather_free(struct sqlx_gather *g)
{
    sql_printed_free(&g->printed);
    sqlx_gplan_free(&g->plan);
    for (uint32_t i = 0; i < g->nparts; i++) {
        buf_free(&g->parts[i]->out);
        free(g->parts[i]);
    }
    for (uint32_t i = 0; i < SQLX_GATHER_TABLES_MAX; i++)
        buf_free(&g->blobs[i]);
    buf_free(&g->out);
    free(g->parts);
    free(g->params);
    free(g->run_params);
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

static void sqlx_gather_next(struct sqlx_gather *g);

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
        sqlx_gather_next(g);
    }
}

/* ---- the coordinator's database ---- */

static int sqlx_gather_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ERR_IO;
}

/* Creates source si of plan in db and loads what every group answered into it. */
static int sqlx_gather_load(struct sqlx_gather *g, sqlite3 *db, const struct sqlx_gplan *plan,
                            uint32_t si, struct buf *sql, char *why, size_t why_cap)
{
    const struct sqlx_gsource *src = &plan->src[si];
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
        struct sqlx_part *part = g->parts[p];
        if (part->plan != plan || part->src != si || part->count)
            continue;
        struct table_output o;
        if (table_output_parse(part->out.data, part->out.len, &o) != 0 ||
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
        buf_free(&part->out); /* loaded: the memory goes back now */
    }
    sqlite3_finalize(ins);
    return rc;
}

/* The coordinator's database stops like a read off the loop: statement_timeout, a cancel,
 * the node stopping. */
static int sqlx_gather_progress(void *arg)
{
    struct sqlx_gather *g = arg;
    g->stopped = table_read_should_stop(&g->stop, g->deadline_ms);
    return g->stopped != TABLE_STOPPED_NO;
}

/* Every part of a merged plan is here: merge them (sqlx_gather_merge). */
static void sqlx_gather_compute_merge(struct sqlx_gather *g, const struct sqlx_gplan *plan)
{
    const struct buf **outs = calloc(g->nparts + 1, sizeof *outs);
    uint32_t n = 0;
    for (uint32_t p = 0; p < g->nparts && outs != NULL; p++)
        if (g->parts[p]->plan == plan && !g->parts[p]->count)
            outs[n++] = &g->parts[p]->out;
    g->rc = outs == NULL ? ERR_NOMEM
                         : sqlx_gather_merge(&plan->merge, outs, n, g->printed.cols, &g->out,
                                             g->why, sizeof g->why);
    if (g->rc == ERR_TOOBIG) {
        memcpy(g->state, "54000", 6);
        snprintf(g->msg, sizeof g->msg, "%s", g->why);
        g->query_error = true;
    }
    free(outs);
}

/* Every part of plan is here: load them and run the query (for partial aggregates: combine
 * the groups, then run the final query over them), or merge them. Touches nothing but g's
 * parts and its own database, so it runs on a reader thread; g->rc, why, query_error or out
 * tell the outcome. */
static void sqlx_gather_compute(struct sqlx_gather *g)
{
    const struct sqlx_gplan *plan = g->answer_plan;
    if (plan->kind == SQLX_GPLAN_JOINED && plan->merge.on) {
        sqlx_gather_compute_merge(g, plan);
        return;
    }
    sqlite3 *db = NULL;
    struct errbuf eb = {{0}};
    struct buf sql = BUF_INIT;
    /* "": a private temporary database that SQLite keeps on disk past its cache. */
    int rc = sqlite3_open_v2("", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
                     SQLITE_OK
                 ? 0
                 : ERR_IO;
    if (rc == 0) {
        sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
        sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
        sqlite3_progress_handler(db, TABLE_PROGRESS_OPS, sqlx_gather_progress, g);
    }
    if (rc == 0 && (rc = sql_func_register(db, &g->env, &eb)) != 0)
        snprintf(g->why, sizeof g->why, "%s", eb.msg);
    if (rc == 0)
        rc = sqlx_gather_exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                  "PRAGMA case_sensitive_like = ON; PRAGMA cache_size = -65536;"
                                  " BEGIN");
    for (uint32_t i = 0; rc == 0 && i < plan->nsrc; i++)
        rc = sqlx_gather_load(g, db, plan, i, &sql, g->why, sizeof g->why);
    if (rc == 0 && plan->kind == SQLX_GPLAN_PARTIAL) {
        if ((rc = sqlx_gather_exec(db, (const char *)plan->groups.data)) != 0) {
            snprintf(g->why, sizeof g->why, "%s", sqlite3_errmsg(db));
        } else if (sqlx_gather_exec(db, (const char *)plan->combine.data) != 0) {
            /* Combining runs the library's aggregates, whose errors are the query's:
             * "22003: numeric field overflow". */
            const char *msg = sqlite3_errmsg(db);
            memcpy(g->state, "XX000", 6);
            if (strlen(msg) > 7 && msg[5] == ':' && msg[6] == ' ') {
                memcpy(g->state, msg, 5);
                msg += 7;
            }
            snprintf(g->msg, sizeof g->msg, "%s", msg);
            g->query_error = true;
        }
    }
    const struct sql_printed *run = plan->kind != SQLX_GPLAN_ROWS ? &plan->final : &g->printed;
    if (rc == 0 && !g->query_error) {
        struct table_stmt ts = {.sql = (const char *)run->sql.data,
                                .sql_len = (uint32_t)run->sql.len,
                                .params = g->params,
                                .n_params = g->n_params};
        rc = table_query_db(db, &ts, &g->out);
    }
    if (rc != 0 && g->why[0] == '\0')
        snprintf(g->why, sizeof g->why, "%s", db ? sqlite3_errmsg(db) : err_msg(rc));
    g->rc = rc;
    sqlite3_close(db);
    buf_free(&sql);
}

/* Sends what sqlx_gather_compute found. */
static void sqlx_gather_reply(struct sqlx_gather *g)
{
    struct sqlx_session *s = g->s;
    struct table_output o;
    if (g->stopped != TABLE_STOPPED_NO) {
        char state[6], msg[400];
        table_stopped_error(g->stopped, table_read_limit_ms(g->stop.limit_ms), false, state, msg,
                            sizeof msg);
        pg_send_error(s->c, state, "ERROR", msg, NULL, NULL, 0);
        sqlx_failed(s);
    } else if (g->query_error) {
        pg_send_error(s->c, g->state, "ERROR", g->msg, NULL, NULL, 0);
        sqlx_failed(s);
    } else if (g->rc != 0) {
        pg_send_errorf(s->c, g->rc == ERR_NOMEM ? "53200" : "XX000",
                       "running the query over the gathered rows: %s", g->why);
        sqlx_failed(s);
    } else if (table_output_parse(g->out.data, g->out.len, &o) != 0) {
        pg_send_errorf(s->c, "XX000", "a malformed result of the gathered query");
        sqlx_failed(s);
    } else if (o.state != TABLE_STATE_OK) {
        sqlx_send_output_error(s, &o);
        sqlx_failed(s);
    } else if (g->into != NULL) {
        g->handed = true;
        g->into(s, g->into_arg, &g->out);
    } else {
        sqlx_send_rows(s, &o, g->printed.cols, g->printed.ncols, "SELECT", true);
    }
}

/* The answer is sent: g goes, and so does the statement unless into took it over. */
static void sqlx_gather_end(struct sqlx_gather *g)
{
    struct sqlx_session *s = g->s;
    sqlx_gather_reply(g);
    bool handed = g->handed;
    sqlx_gather_abandon(g);
    if (!handed)
        sqlx_statement_done(s);
}

static void sqlx_gather_compute_job(struct reader_job *j)
{
    sqlx_gather_compute((struct sqlx_gather *)((char *)j - offsetof(struct sqlx_gather, job)));
}

static void sqlx_gather_computed(struct reader_job *j)
{
    sqlx_gather_end((struct sqlx_gather *)((char *)j - offsetof(struct sqlx_gather, job)));
}

/* Computes the answer over plan's rows on a reader thread (inline once the server stops). */
static void sqlx_gather_answer(struct sqlx_gather *g, const struct sqlx_gplan *plan)
{
    struct sqlx_session *s = g->s;
    g->answer_plan = plan;
    g->stop.limit_ms = s->statement_timeout_ms;
    g->stop.cancel = &s->cancel_now;
    g->stop.node = s->x->readers != NULL ? reader_pool_stopping(s->x->readers) : NULL;
    g->deadline_ms = clock_mono_ms() + table_read_limit_ms(s->statement_timeout_ms);
    if (s->x->readers == NULL) {
        sqlx_gather_compute(g);
        sqlx_gather_end(g);
        return;
    }
    g->job.work = sqlx_gather_compute_job;
    g->job.done = sqlx_gather_computed;
    reader_pool_submit(s->x->readers, &g->job);
}

/* ---- the stages ---- */

/* Ends the statement after an error went to the client. */
static void sqlx_gather_fail(struct sqlx_gather *g)
{
    struct sqlx_session *s = g->s;
    sqlx_failed(s);
    sqlx_gather_abandon(g);
    sqlx_statement_done(s);
}

/* The tables of p that are sharded (not distributed globally). */
static uint32_t sqlx_gather_sharded(const struct sqlx_gplan *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nsrc; i++)
        n += !p->src[i].t->global;
    return n;
}

/* One statement a stage runs on every group holding a source's table. */
struct sqlx_fetch {
    const struct sqlx_gplan *plan;
    uint32_t src;
    bool count;
    struct table_stmt ts;
};

/* Starts every fetch of f on every group holding its source's table: all are counted as
 * pending before the first starts, as any may finish before it returns. Nothing of g may be
 * touched after the last one started. false when no group holds a table (answered). */
static bool sqlx_gather_send(struct sqlx_gather *g, const struct sqlx_fetch *f, uint32_t nf)
{
    struct sqlx_session *s = g->s;
    struct node *n = s->x->n;
    uint64_t groups[SQLX_GATHER_TABLES_MAX][ROUTER_RS_MAX];
    uint32_t ngroups[SQLX_GATHER_TABLES_MAX];
    uint32_t total = 0;
    ASSERT(nf <= SQLX_GATHER_TABLES_MAX);
    for (uint32_t i = 0; i < nf; i++) {
        ngroups[i] = sqlx_gather_groups(n, f[i].plan->src[f[i].src].t, groups[i]);
        if (ngroups[i] == 0) {
            pg_send_errorf(s->c, "08006", "no replicaset holds data yet; try again shortly");
            return false;
        }
        total += ngroups[i];
    }
    if (g->nparts + total > g->cap_parts) {
        uint32_t cap = g->nparts + total;
        struct sqlx_part **v = realloc(g->parts, cap * sizeof *v);
        ASSERT(v != NULL);
        g->parts = v;
        g->cap_parts = cap;
    }
    uint32_t first = g->nparts;
    for (uint32_t i = 0; i < nf; i++)
        for (uint32_t k = 0; k < ngroups[i]; k++) {
            struct sqlx_part *part = calloc(1, sizeof *part);
            ASSERT(part != NULL);
            *part = (struct sqlx_part){.g = g, .plan = f[i].plan, .src = f[i].src,
                                       .count = f[i].count, .out = BUF_INIT};
            g->parts[g->nparts++] = part;
        }
    g->pending += total;
    struct sqlx_part **parts = g->parts + first;
    /* a statement has one now(), wherever its parts are computed */
    s->run_now_us = g->env.now_us;
    for (uint32_t i = 0, at = 0; i < nf; i++) {
        bool global = f[i].plan->src[f[i].src].t->global;
        for (uint32_t k = 0; k < ngroups[i]; k++, at++)
            sqlx_run_start(s, groups[i][k], false, false, &f[i].ts, 1,
                           global ? 0 : TABLE_EXEC_BUCKETS, sqlx_gather_part_done, parts[at]);
    }
    s->run_now_us = 0;
    return true;
}

/* The fetch of source i's rows (sql: its statement, or one over it), with the query's
 * parameters. */
static struct sqlx_fetch sqlx_gather_fetch_of(const struct sqlx_gather *g, uint32_t i,
                                              const struct buf *sql)
{
    return (struct sqlx_fetch){.plan = &g->plan, .src = i,
                               .ts = {.sql = (const char *)sql->data,
                                      .sql_len = (uint32_t)sql->len,
                                      .params = g->params,
                                      .n_params = g->n_params}};
}

/* The rows of every source but the anchor, to this node. */
static bool sqlx_gather_fetch_sources(struct sqlx_gather *g)
{
    struct sqlx_fetch f[SQLX_GATHER_TABLES_MAX];
    uint32_t nf = 0;
    for (uint32_t i = 0; i < g->plan.nsrc; i++)
        if ((int)i != g->anchor)
            f[nf++] = sqlx_gather_fetch_of(g, i, &g->plan.src[i].sql.sql);
    return sqlx_gather_send(g, f, nf);
}

/* The number of rows each sharded source would fetch. */
static bool sqlx_gather_count(struct sqlx_gather *g)
{
    struct sqlx_fetch f[SQLX_GATHER_TABLES_MAX];
    struct buf sql[SQLX_GATHER_TABLES_MAX];
    uint32_t nf = 0;
    for (uint32_t i = 0; i < g->plan.nsrc; i++) {
        const struct sqlx_gsource *src = &g->plan.src[i];
        if (src->t->global)
            continue;
        sql[nf] = (struct buf)BUF_INIT;
        buf_printf(&sql[nf], "SELECT count(*) FROM (%.*s)", (int)src->sql.sql.len,
                   (const char *)src->sql.sql.data);
        f[nf] = sqlx_gather_fetch_of(g, i, &sql[nf]);
        f[nf++].count = true;
    }
    bool ok = sqlx_gather_send(g, f, nf); /* the runs copied the text */
    for (uint32_t i = 0; i < nf; i++)
        buf_free(&sql[i]);
    return ok;
}

/* The source to move the others to, from the counts: the one with the most rows, when the
 * others' rows, sent to each of its replicasets, are fewer than its own (what fetching it here
 * would move); else -1. */
static int sqlx_gather_choose(struct sqlx_gather *g)
{
    uint64_t rows[SQLX_GATHER_TABLES_MAX] = {0};
    for (uint32_t p = 0; p < g->nparts; p++) {
        struct sqlx_part *part = g->parts[p];
        struct table_output o;
        struct table_value v;
        size_t pos = 0;
        if (!part->count)
            continue;
        if (table_output_parse(part->out.data, part->out.len, &o) != 0 || o.ncols != 1 ||
            table_output_next_row(&o, &pos, &v) != 1 || v.type != TABLE_INT || v.i < 0)
            return -1;
        rows[part->src] += (uint64_t)v.i;
        buf_free(&part->out);
    }
    int best = -1;
    for (uint32_t i = 0; i < g->plan.nsrc; i++)
        if (g->plan.moved[i] != NULL && (best < 0 || rows[i] > rows[best]))
            best = (int)i;
    if (best < 0)
        return -1;
    uint64_t others = 0, groups[ROUTER_RS_MAX];
    for (uint32_t i = 0; i < g->plan.nsrc; i++)
        if ((int)i != best)
            others += rows[i];
    uint32_t ng = sqlx_gather_groups(g->s->x->n, g->plan.src[best].t, groups);
    return others * ng < rows[best] ? best : -1;
}

/* Whether value v keeps its storage class and bytes through a CAST to affinity a. */
static bool sqlx_gather_castable(const struct table_value *v, char a)
{
    switch (v->type) {
    case TABLE_NULL: return true;
    case TABLE_INT: return a == 'i';
    case TABLE_REAL: return a == 'r';
    case TABLE_TEXT: return a == 't';
    default: return a == 'b';
    }
}

/* Whether the fetched rows of every source but the anchor may move to the anchor's
 * replicasets: at most SQLX_GATHER_MOVE_BYTES_MAX, and no value the CAST would change. */
static bool sqlx_gather_movable(const struct sqlx_gather *g)
{
    size_t bytes = 0;
    struct table_value vals[SQLX_GATHER_COLUMNS_MAX];
    for (uint32_t p = 0; p < g->nparts; p++) {
        const struct sqlx_part *part = g->parts[p];
        if (part->count || part->plan != &g->plan || (int)part->src == g->anchor)
            continue;
        const struct sqlx_gsource *src = &g->plan.src[part->src];
        struct table_output o;
        if (table_output_parse(part->out.data, part->out.len, &o) != 0 || o.ncols != src->ncols)
            return false;
        bytes += part->out.len;
        if (bytes > SQLX_GATHER_MOVE_BYTES_MAX)
            return false;
        size_t pos = 0;
        int more;
        while ((more = table_output_next_row(&o, &pos, vals)) == 1)
            for (uint32_t c = 0; c < o.ncols; c++)
                if (!sqlx_gather_castable(&vals[c], src->affinity[c]))
                    return false;
        if (more != 0)
            return false;
    }
    return true;
}

/* Moves the fetched rows of every source but the anchor to the anchor's replicasets, which run
 * the moved plan over them. false when nothing started (answered). */
static bool sqlx_gather_move(struct sqlx_gather *g)
{
    const struct sqlx_gplan *mp = g->plan.moved[g->anchor];
    /* WITH <each moved source as its cte, reading its blob> <the moved plan's statement> */
    struct buf sql = BUF_INIT;
    uint32_t nblobs = 0;
    g->run_params = calloc(g->n_params + SQLX_GATHER_TABLES_MAX, sizeof *g->run_params);
    ASSERT(g->run_params != NULL);
    if (g->n_params > 0)
        memcpy(g->run_params, g->params, g->n_params * sizeof *g->params);
    buf_printf(&sql, "WITH ");
    for (uint32_t i = 0; i < g->plan.nsrc; i++) {
        if ((int)i == g->anchor)
            continue;
        struct buf *blob = &g->blobs[i];
        for (uint32_t p = 0; p < g->nparts; p++) {
            struct sqlx_part *part = g->parts[p];
            if (!part->count && part->plan == &g->plan && part->src == i) {
                int rc = table_rows_append(blob, part->out.data, part->out.len);
                ASSERT(rc == 0);
                buf_free(&part->out);
            }
        }
        g->run_params[g->n_params + nblobs] = (struct table_value){
            .type = TABLE_BLOB, .p = blob->data, .len = (uint32_t)blob->len};
        g->s->x->gathers_moved_bytes += blob->len;
        buf_printf(&sql, "%s%.*s%u))", nblobs ? ", " : "", (int)g->plan.src[i].cte.len,
                   (const char *)g->plan.src[i].cte.data, g->n_params + nblobs + 1);
        nblobs++;
    }
    buf_printf(&sql, " %.*s", (int)mp->src[0].sql.sql.len, (const char *)mp->src[0].sql.sql.data);
    g->stage = SQLX_GS_RUN;
    struct sqlx_fetch f = {.plan = mp, .src = 0,
                           .ts = {.sql = (const char *)sql.data,
                                  .sql_len = (uint32_t)sql.len,
                                  .params = g->run_params,
                                  .n_params = g->n_params + nblobs}};
    bool ok = sqlx_gather_send(g, &f, 1);
    buf_free(&sql); /* the runs copied it; g may be gone */
    return ok;
}

/* Every fetch of the stage is in: the next stage, or the answer. */
static void sqlx_gather_next(struct sqlx_gather *g)
{
    struct sqlx_session *s = g->s;
    bool started = true;
    if (g->stage == SQLX_GS_COUNT) {
        g->anchor = sqlx_gather_choose(g);
        g->stage = SQLX_GS_FETCH;
        started = sqlx_gather_fetch_sources(g);
    } else if (g->stage == SQLX_GS_FETCH && g->anchor >= 0 && sqlx_gather_movable(g)) {
        started = sqlx_gather_move(g);
    } else if (g->stage == SQLX_GS_FETCH && g->anchor >= 0) {
        /* not movable after all: the anchor's rows come here too */
        uint32_t a = (uint32_t)g->anchor;
        struct sqlx_fetch f = sqlx_gather_fetch_of(g, a, &g->plan.src[a].sql.sql);
        g->anchor = -1;
        started = sqlx_gather_send(g, &f, 1);
    } else {
        const struct sqlx_gplan *plan =
            g->stage == SQLX_GS_RUN ? g->plan.moved[g->anchor] : &g->plan;
        s->x->gathers[g->stage == SQLX_GS_RUN ? SQLX_GATHERED_MOVED : plan->kind]++;
        s->x->gathers_merged += plan->kind == SQLX_GPLAN_JOINED && plan->merge.on;
        sqlx_gather_answer(g, plan);
        return;
    }
    if (!started)
        sqlx_gather_fail(g);
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
    struct sqlx_gather *g = calloc(1, sizeof *g);
    ASSERT(g != NULL);
    g->s = s;
    g->into = into;
    g->into_arg = arg;
    g->printed = *printed; /* taken over */
    *printed = (struct sql_printed){0};
    g->env.now_us = s->txn != SQLX_IDLE ? s->txn_now_us : sqlx_now_us();
    g->env.random_seed = rng_next(&s->x->rng);
    g->env.statement++;
    g->env.user = pg_conn_user(s->c);
    g->env.database = pg_conn_database(s->c);
    struct sql_error err = {0};
    if (sqlx_gplan_build(s, st, &g->printed, &g->plan, &err) != 0) {
        sqlx_gather_plan_error(s, &err);
        goto fail;
    }
    g->params = sqlx_params(s, &g->n_params);
    g->anchor = -1;
    g->stage = SQLX_GS_FETCH;
    if (g->plan.nsrc == 0) {
        /* It reads no table (an INSERT's SELECT of generate_series): computed here alone. */
        sqlx_gather_next(g);
        return;
    }
    /* A join that may run where one of its tables is: with only one sharded table, that one
     * (the only one that may stay); with several, their row counts choose
     * (sqlx_gather_choose). */
    bool may_move = false;
    for (uint32_t i = 0; i < g->plan.nsrc; i++)
        if (g->plan.moved[i] != NULL) {
            may_move = true;
            g->anchor = (int)i;
        }
    bool started;
    if (may_move && sqlx_gather_sharded(&g->plan) > 1) {
        g->anchor = -1;
        g->stage = SQLX_GS_COUNT;
        started = sqlx_gather_count(g);
    } else {
        started = sqlx_gather_fetch_sources(g);
    }
    if (started)
        return;
fail:
    sqlx_gather_fail(g);
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

/* "  Merged here in the order they were sorted there, rows 11 to 20" */
static void sqlx_gather_explain_merge(const struct sqlx_gmerge *m, char *text, size_t cap)
{
    int at = snprintf(text, cap, "  Merged here %s%s",
                      m->nkeys > 0 ? "in the order they were sorted there (no sort here)"
                                   : "as they come",
                      m->distinct ? ", a row equal to the one before dropped" : "");
    if (m->limit == 0)
        snprintf(text + at, cap - (size_t)at, ", none of them (LIMIT 0)");
    else if (m->limit != UINT64_MAX)
        snprintf(text + at, cap - (size_t)at, ", rows %" PRIu64 " to %" PRIu64, m->offset + 1,
                 m->offset + m->limit);
    else if (m->offset > 0)
        snprintf(text + at, cap - (size_t)at, ", from row %" PRIu64, m->offset + 1);
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
        line(s, p->joined > 1 ? "Gather: the tables are joined on their distribution keys, so "
                                "each replicaset joins its own rows; the result rows are "
                                "merged here"
                              : "Gather: each replicaset computes the result rows of its own "
                                "rows; they are merged here");
        sqlx_gather_explain_where(n, src->t, where, sizeof where);
        int at = snprintf(text, sizeof text, "  %s on %s%s", p->joined > 1 ? "Join" : "Rows",
                          where, src->filtered ? "; WHERE runs there" : "");
        if (src->limit > 0)
            snprintf(text + at, sizeof text - (size_t)at,
                     "; Limit pushed down: at most %" PRIu64 " rows from each", src->limit);
        line(s, text);
        snprintf(text, sizeof text, "    There: %.480s", (const char *)src->sql.sql.data);
        line(s, text);
        if (p->merge.on)
            sqlx_gather_explain_merge(&p->merge, text, sizeof text);
        else
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
        uint32_t sharded = sqlx_gather_sharded(p);
        for (uint32_t i = 0; i < p->nsrc; i++) {
            const struct sqlx_gplan *mp = p->moved[i];
            if (mp == NULL)
                continue;
            sqlx_gather_explain_where(n, p->src[i].t, where, sizeof where);
            snprintf(text, sizeof text,
                     "  Or move the other tables' rows to %s on %s and %s there, %s", p->src[i].t->name,
                     where, mp->kind == SQLX_GPLAN_PARTIAL ? "aggregate partially" : "join",
                     sharded > 1 ? "when they are the smaller side (rows counted first)"
                                 : "as it is the only sharded table");
            line(s, text);
            snprintf(text, sizeof text, "    There: %.480s", (const char *)mp->src[0].sql.sql.data);
            line(s, text);
        }
    }
    sqlx_gplan_free(p);
    free(p);
    sql_printed_free(&printed);
}

void sqlx_gather_write_metrics(struct node *n, struct buf *out)
{
    static const char *const plans[SQLX_GATHERED_KINDS] = {"rows", "partial", "joined", "moved"};
    const struct sql_exec *x = n->sql;
    for (uint32_t k = 0; k < SQLX_GATHERED_KINDS; k++) {
        char labels[32];
        snprintf(labels, sizeof labels, "plan=\"%s\"", plans[k]);
        metrics_write_value(out, "cairn_sql_gathers_total",
                            k == 0 ? "queries over several replicasets answered, by plan: rows "
                                     "fetched here, partial aggregates, joined on the "
                                     "distribution keys, the smaller side moved"
                                   : NULL,
                            "counter", labels, x != NULL ? (double)x->gathers[k] : 0);
    }
    metrics_write_value(out, "cairn_sql_gathers_merged_total",
                        "queries over several replicasets whose rows each replicaset sorted "
                        "and this node merged",
                        "counter", "", x != NULL ? (double)x->gathers_merged : 0);
    metrics_write_value(out, "cairn_sql_moved_bytes_total",
                        "bytes of rows moved to the replicasets of a join's larger side",
                        "counter", "", x != NULL ? (double)x->gathers_moved_bytes : 0);
    metrics_write_value(out, "cairn_sql_long_reads_total",
                        "reads that outlasted their turn on the event loop and ran again on a "
                        "reader thread",
                        "counter", "", x != NULL ? (double)x->long_reads : 0);
}
