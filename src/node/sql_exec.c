/* The SQL executor (docs/sql.md): PostgreSQL sessions on this node, their
 * transactions, and the routing of each statement to the group that holds
 * its rows. Statements are parsed and printed to SQLite here; the group's
 * replicas execute them (writes at apply, in log order; reads after a
 * linearizable read point). */
#include "node/sql_exec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include "base/rng.h"
#include "model/cluster/cluster.h"
#include "model/table/table.h"
#include "node/node_int.h"
#include "node/sql_exec_int.h"
#include "proto/http/json.h"
#include "proto/pg/pg.h"
#include "proto/pg/pg_wire.h"
#include "sql/sql.h"
#include "sql/sql_catalog.h"
#include "sql/sql_func.h"


/* Wall-clock time for now(): fixed by the coordinator, never read at apply. */
int64_t sqlx_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------ catalog cache */

static void sqlx_catalog_clear(struct sqlx_catalog *c)
{
    for (uint32_t i = 0; i < c->n; i++)
        sqlx_table_free(&c->t[i]);
    free(c->t);
    memset(c, 0, sizeof *c);
}

static int sqlx_catalog_collect(void *ctx, const struct cluster_table *ct)
{
    struct sqlx_catalog *c = ctx;
    if (c->n == SQLX_TABLES_MAX)
        return 0;
    struct sqlx_table *t = &c->t[c->n];
    if (sqlx_table_from_def(t, ct) != 0) {
        LOGW("sql", "table %s has a definition this node cannot read", ct->name);
        sqlx_table_free(t);
        return 0;
    }
    c->any_sharded |= !t->global;
    c->n++;
    return 0;
}

/* The catalog as of the local governor replica, reloaded when its schema
 * version moved. The version is read again only when the replica has applied
 * something since: a statement asks several times, and each read of SQLite is a
 * transaction with its file locks. */
struct sqlx_catalog *sqlx_catalog(struct sql_exec *x)
{
    struct errbuf eb = {{0}};
    uint64_t v = 0;
    uint64_t applied = store_applied_index(node_store(x->n));
    if (x->cat.loaded && x->cat.checked_at == applied)
        return &x->cat;
    if (cluster_schema_version(node_store(x->n), &v, &eb) != 0)
        return &x->cat;
    if (x->cat.loaded && x->cat.version == v) {
        x->cat.checked_at = applied;
        return &x->cat;
    }
    sqlx_catalog_clear(&x->cat);
    x->cat.t = calloc(SQLX_TABLES_MAX, sizeof *x->cat.t);
    ASSERT(x->cat.t != NULL);
    if (cluster_tables(node_store(x->n), sqlx_catalog_collect, &x->cat, &eb) != 0)
        LOGW("sql", "reading the tables: %s", eb.msg);
    x->cat.version = v;
    x->cat.checked_at = applied;
    x->cat.loaded = true;
    return &x->cat;
}

struct sqlx_table *sqlx_table_find(struct sqlx_catalog *c, const char *schema,
                                          const char *name)
{
    if (schema != NULL && strcmp(schema, "public") != 0)
        return NULL;
    for (uint32_t i = 0; i < c->n; i++)
        if (strcmp(c->t[i].name, name) == 0)
            return &c->t[i];
    return NULL;
}

/* The table one of whose CREATE INDEXes is called name, or NULL. */
static struct sqlx_table *sqlx_index_find(struct sqlx_catalog *c, const char *name)
{
    for (uint32_t i = 0; i < c->n; i++)
        for (uint32_t k = 0; k < c->t[i].nindexes; k++)
            if (strcmp(c->t[i].indexes[k], name) == 0)
                return &c->t[i];
    return NULL;
}

static const char *sqlx_map_table(void *ctx, const char *schema, const char *name)
{
    struct sqlx_table *t = sqlx_table_find(ctx, schema, name);
    return t ? t->sqlite_name : NULL;
}

static const char *sqlx_map_index(void *ctx, const char *schema, const char *name)
{
    (void)ctx;
    (void)schema;
    return name;
}

static int sqlx_table_columns(void *ctx, const char *schema, const char *table,
                              const struct sql_table_column **cols, uint32_t *n)
{
    struct sqlx_table *t = sqlx_table_find(ctx, schema, table);
    if (t == NULL)
        return -1;
    *cols = t->print_cols;
    *n = t->ncols;
    return 0;
}

/* ------------------------------------------------------------ sessions */




/* Drops the transaction's statements from the n-th on. */
static void sqlx_txn_truncate(struct sqlx_session *s, uint32_t n)
{
    for (uint32_t i = n; i < s->n_stmts; i++) {
        free(s->stmts[i].sql);
        free(s->stmts[i].params);
        buf_free(&s->stmts[i].param_bytes);
    }
    s->n_stmts = n;
}

static void sqlx_txn_reset(struct sqlx_session *s)
{
    sqlx_txn_truncate(s, 0);
    s->n_savepoints = 0;
    s->txn_group = 0;
    s->txn_bytes = 0;
    s->txn = SQLX_IDLE;
}

/* Appends a statement to the open transaction, with the hash of what the
 * client saw (0 for a blind write — TRUNCATE, COPY — whose only result is a
 * count the client is told without asking: not validated at COMMIT, its
 * errors come then). The statement's bytes are copied. */
static void sqlx_txn_append(struct sqlx_session *s, const struct table_stmt *st, uint64_t hash,
                            bool write, uint32_t read_ms)
{
    if (s->n_stmts == s->cap_stmts) {
        s->cap_stmts = s->cap_stmts ? 2 * s->cap_stmts : 8;
        s->stmts = realloc(s->stmts, s->cap_stmts * sizeof *s->stmts);
        ASSERT(s->stmts != NULL);
    }
    struct sqlx_txn_stmt *ts = &s->stmts[s->n_stmts++];
    memset(ts, 0, sizeof *ts);
    ts->sql = malloc(st->sql_len + 1);
    ASSERT(ts->sql != NULL);
    memcpy(ts->sql, st->sql, st->sql_len);
    ts->sql[st->sql_len] = '\0';
    ts->sql_len = st->sql_len;
    ts->hash = hash;
    ts->write = write;
    ts->read_ms = read_ms;
    ts->n_params = st->n_params;
    if (st->n_params) {
        ts->params = calloc(st->n_params, sizeof *ts->params);
        ASSERT(ts->params != NULL);
        for (uint32_t i = 0; i < st->n_params; i++)
            buf_append(&ts->param_bytes, st->params[i].p, st->params[i].len);
        size_t at = 0;
        for (uint32_t i = 0; i < st->n_params; i++) {
            ts->params[i] = st->params[i];
            ts->params[i].p = st->params[i].len ? ts->param_bytes.data + at : NULL;
            at += st->params[i].len;
        }
    }
    s->txn_bytes += st->sql_len + ts->param_bytes.len;
}

/* The transaction's statements from .. to as a run's, with the hashes COMMIT expects, and
 * room for extra more after them. The caller frees the array. */
static struct table_stmt *sqlx_txn_stmts(const struct sqlx_session *s, uint32_t from,
                                         uint32_t to, uint32_t extra)
{
    struct table_stmt *v = calloc(to - from + extra, sizeof *v);
    ASSERT(v != NULL);
    for (uint32_t i = from; i < to; i++)
        v[i - from] = (struct table_stmt){.sql = s->stmts[i].sql,
                                          .sql_len = s->stmts[i].sql_len,
                                          .params = s->stmts[i].params,
                                          .n_params = s->stmts[i].n_params,
                                          .expect_hash = s->stmts[i].hash};
    return v;
}

/* Whether a statement of the open transaction writes (ROLLBACK TO forgets those after it). */
bool sqlx_txn_wrote(const struct sqlx_session *s)
{
    for (uint32_t i = 0; i < s->n_stmts; i++)
        if (s->stmts[i].write)
            return true;
    return false;
}

/* A transaction that writes is checked at COMMIT by running its statements again at apply, on
 * every replica's loop, where nothing may stop them: its first write is refused (54000) after
 * a read longer than a statement there may take (TABLE_RUN_MS_MAX). Sends the error. */
static bool sqlx_txn_may_write(struct sqlx_session *s)
{
    uint32_t longest = 0;
    for (uint32_t i = 0; i < s->n_stmts; i++)
        if (s->stmts[i].read_ms > longest)
            longest = s->stmts[i].read_ms;
    if (longest <= TABLE_RUN_MS_MAX || sqlx_txn_wrote(s))
        return true;
    pg_send_errorf(s->c, "54000",
                   "this transaction may not write after a read that ran for %u ms: COMMIT of "
                   "a transaction that writes runs its reads again on every replica, where a "
                   "statement may take at most %u ms; run the long read outside the "
                   "transaction block (or narrow it), or write before reading",
                   longest, (unsigned)TABLE_RUN_MS_MAX);
    return false;
}

static void sqlx_report_status(struct sqlx_session *s)
{
    pg_set_txn_status(s->c, s->txn == SQLX_IDLE    ? PG_TXN_IDLE
                            : s->txn == SQLX_BLOCK ? PG_TXN_BLOCK
                                                   : PG_TXN_FAILED);
}

/* ------------------------------------------------------------ one statement's run */


void sqlx_statement_done(struct sqlx_session *s);
static void sqlx_next_statement(struct sqlx_session *s);
static void sqlx_copy_free(struct sqlx_session *s);
static bool sqlx_copying_out(const struct sqlx_session *s);
static int sqlx_copy_out_answer(struct sqlx_session *s, const struct table_output *o,
                                const struct sql_out_column *hints, uint32_t n_hints);

/* A read's request (NODE_RPC_SQL_RUN, and the bytes a local long read decodes):
 * [u64 group][u8 tentative][u32 read limit ms, 0: TABLE_READ_MS_MAX][u64 run id][table EXEC].
 * The run id is the caller's (unique among its runs) for NODE_RPC_SQL_CANCEL: [u64 run id].
 * A read that is not tentative may finish on a reader thread; a transaction's statement may
 * not: COMMIT runs them all again at apply, on every replica's loop, unbounded. */
#define SQLX_RUN_REQ_HEADER_BYTES 21

static int sqlx_run_encode_req(struct sqlx_run *r)
{
    buf_reset(&r->req);
    buf_append_u64(&r->req, r->group);
    buf_append_u8(&r->req, r->tentative);
    buf_append_u32(&r->req, r->s->statement_timeout_ms);
    buf_append_u64(&r->req, r->run_id);
    struct errbuf eb = {{0}};
    return table_encode_exec(&r->req, &r->x, &eb);
}

/* ------------------------------------------------------------ long reads, off the loop */

/* A read that outlasted its TABLE_RUN_LOOP_MS on the loop, run again from the start on a
 * reader connection of its group's store, on a reader thread (node/readers.h). */
struct sqlx_long_read {
    struct reader_job job; /* first: the job is the struct */
    struct sql_exec *x;
    uint64_t group, serial;
    struct store *reader;
    const uint8_t *cmd; /* the encoded EXEC, the caller's until done */
    size_t cmd_len;
    struct table_read_stop stop;
    struct buf *out;
    int err;
    void (*done)(void *arg, int err);
    void *arg;
};

static void sqlx_long_read_work(struct reader_job *j)
{
    struct sqlx_long_read *lr = (struct sqlx_long_read *)j;
    struct errbuf eb = {{0}};
    lr->err = table_read_encoded(lr->reader, lr->cmd, lr->cmd_len, &lr->stop, lr->out, &eb);
}

static void sqlx_long_read_done(struct reader_job *j)
{
    struct sqlx_long_read *lr = (struct sqlx_long_read *)j;
    group_read_conn_give(node_find_group(lr->x->n, lr->group), lr->reader, lr->serial);
    lr->done(lr->arg, lr->err);
    free(lr);
}

/* Starts the read cmd on a reader thread; done(arg, err) follows on the loop, with the output
 * in out. Returns 0, or why it cannot start (then done is not called). */
static int sqlx_long_read_start(struct sql_exec *x, struct group *g, const uint8_t *cmd,
                                size_t cmd_len, uint32_t limit_ms, const atomic_bool *cancel,
                                struct buf *out, void (*done)(void *arg, int err), void *arg)
{
    if (x == NULL || x->readers == NULL)
        return ERR_SHUTDOWN;
    struct sqlx_long_read *lr = calloc(1, sizeof *lr);
    if (lr == NULL)
        return ERR_NOMEM;
    struct errbuf eb = {{0}};
    int rc = group_read_conn_take(g, &lr->reader, &lr->serial, &eb);
    if (rc != 0) {
        LOGW("sql", "no reader connection for group %" PRIu64 ": %s", group_id(g), eb.msg);
        free(lr);
        return rc;
    }
    lr->job.work = sqlx_long_read_work;
    lr->job.done = sqlx_long_read_done;
    lr->x = x;
    lr->group = group_id(g);
    lr->cmd = cmd;
    lr->cmd_len = cmd_len;
    lr->stop.limit_ms = limit_ms;
    lr->stop.cancel = cancel;
    lr->stop.node = reader_pool_stopping(x->readers);
    lr->out = out;
    lr->done = done;
    lr->arg = arg;
    x->long_reads++;
    reader_pool_submit(x->readers, &lr->job);
    return 0;
}

/* Time spent running a read is not time lost to routing: a long read leaves the statement its
 * full SQLX_TIMEOUT_MS for what follows (a gather's next stage, a retry). */
static void sqlx_deadline_renew(struct sqlx_session *s)
{
    uint64_t renewed = clock_mono_ms() + SQLX_TIMEOUT_MS;
    if (s->deadline_ms < renewed)
        s->deadline_ms = renewed;
}

static void sqlx_run_long_done(void *arg, int err)
{
    struct sqlx_run *r = arg;
    sqlx_deadline_renew(r->s);
    r->done(r, err);
}

static void sqlx_run_local(void *arg, int err)
{
    struct sqlx_run *r = arg;
    struct group *g = node_find_group(r->s->x->n, r->group);
    if (err == 0 && g == NULL)
        err = ERR_CONFLICT;
    if (err == 0) {
        struct errbuf eb = {{0}};
        r->x.loop_ms = r->tentative ? 0 : TABLE_RUN_LOOP_MS;
        err = table_run(group_store(g), &r->x, r->tentative, &r->out, &eb);
        if (err == ERR_AGAIN) {
            err = sqlx_long_read_start(r->s->x, g, r->req.data + SQLX_RUN_REQ_HEADER_BYTES,
                                       r->req.len - SQLX_RUN_REQ_HEADER_BYTES,
                                       r->s->statement_timeout_ms, &r->s->cancel_now, &r->out,
                                       sqlx_run_long_done, r);
            if (err == 0)
                return;
        }
    }
    r->done(r, err);
}

static void sqlx_run_try(struct sqlx_run *r);

/* A run sent to another node is on its session's runs_out until it is answered. */
static void sqlx_run_out_add(struct sqlx_run *r, uint64_t to)
{
    struct sqlx_session *s = r->s;
    r->rpc_to = to;
    r->in_out = true;
    r->out_prev = NULL;
    r->out_next = s->runs_out;
    if (s->runs_out != NULL)
        s->runs_out->out_prev = r;
    s->runs_out = r;
}

static void sqlx_run_out_remove(struct sqlx_run *r)
{
    if (!r->in_out)
        return;
    if (r->out_prev != NULL)
        r->out_prev->out_next = r->out_next;
    else
        r->s->runs_out = r->out_next;
    if (r->out_next != NULL)
        r->out_next->out_prev = r->out_prev;
    r->in_out = false;
}

static void sqlx_cancel_sent(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    (void)arg, (void)err, (void)status, (void)p, (void)len; /* best effort: it answers anyway */
}

/* Asks the nodes running the session's reads to stop them: they answer 57014. */
static void sqlx_cancel_runs_out(struct sqlx_session *s)
{
    for (struct sqlx_run *r = s->runs_out; r != NULL; r = r->out_next) {
        uint8_t id[8];
        codec_put_u64(id, r->run_id);
        node_rpc_call(s->x->n, r->rpc_to, NODE_RPC_SQL_CANCEL, id, sizeof id,
                      SQLX_CANCEL_RPC_MS, sqlx_cancel_sent, NULL);
    }
}

static void sqlx_run_remote_done(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct sqlx_run *r = arg;
    sqlx_run_out_remove(r);
    if (err == 0 && status == 0) {
        buf_reset(&r->out);
        buf_append(&r->out, p, len);
        sqlx_deadline_renew(r->s);
        r->done(r, 0);
        return;
    }
    if (clock_mono_ms() >= r->s->deadline_ms || r->attempt > 2 * ROUTER_RS_MEMBERS_MAX) {
        r->done(r, err ? ERR_TIMEOUT : status);
        return;
    }
    sqlx_run_try(r);
}

/* A write on a bucket set applied: its buckets are done (see buckets_done). */
static void sqlx_buckets_applied(struct sqlx_run *r)
{
    struct sqlx_session *s = r->s;
    if (!(r->x.flags & TABLE_EXEC_BUCKETS) || r->out.len == 0 || r->out.data[0] != TABLE_STATE_OK)
        return;
    if (s->buckets_done == NULL)
        s->buckets_done = calloc(r->buckets.len, 1);
    ASSERT(s->buckets_done != NULL);
    for (size_t i = 0; i < r->buckets.len; i++)
        s->buckets_done[i] |= r->buckets.data[i];
}

static void sqlx_write_done(void *arg, int err, const struct store_result *res)
{
    struct sqlx_run *r = arg;
    if (err == 0) {
        buf_reset(&r->out);
        if (res->output != NULL)
            buf_append(&r->out, res->output, res->output_len);
        else
            err = ERR_PROTO;
    }
    if (err == 0)
        sqlx_buckets_applied(r);
    r->done(r, err);
}

/* Sends the run once to where it can execute: locally, or through a member. */
static void sqlx_run_try(struct sqlx_run *r)
{
    struct node *n = r->s->x->n;
    if (r->write) {
        node_write(n, r->group, r->req.data, r->req.len, sqlx_write_done, r);
        return;
    }
    if (node_find_group(n, r->group) != NULL) {
        node_read(n, r->group, false, sqlx_run_local, r);
        return;
    }
    uint64_t to = router_pick_member(&n->router, ROUTER_GROUP_RS(r->group), r->attempt++);
    uint64_t now = clock_mono_ms();
    if (to == RAFT_NONE || now >= r->s->deadline_ms) {
        r->done(r, ERR_UNAVAILABLE);
        return;
    }
    /* A read may run off the loop there for as long as its limit allows. */
    uint64_t wait = r->s->deadline_ms - now;
    if (!r->tentative) {
        uint64_t limit = table_read_limit_ms(r->s->statement_timeout_ms);
        if (wait < limit + SQLX_TIMEOUT_MS)
            wait = limit + SQLX_TIMEOUT_MS;
    }
    sqlx_run_out_add(r, to);
    int rc = node_rpc_call(n, to, NODE_RPC_SQL_RUN, r->req.data, r->req.len, (uint32_t)wait,
                           sqlx_run_remote_done, r);
    if (rc != 0) {
        sqlx_run_out_remove(r);
        r->done(r, rc);
    }
}

void sqlx_run_free(struct sqlx_run *r)
{
    sqlx_run_out_remove(r);
    buf_free(&r->buckets);
    buf_free(&r->sql);
    buf_free(&r->req);
    buf_free(&r->out);
    free(r->stmts);
    free(r);
}

/* The buckets the map places in the run's replicaset, less those a retried write applied
 * already, as the run's bucket set. false when the run is not on a replicaset. */
static bool sqlx_run_placement(struct sqlx_run *r)
{
    struct node *n = r->s->x->n;
    uint32_t count = n->router.bucket_count;
    if (r->group == NODE_GOVERNOR_GROUP || count == 0)
        return false;
    uint32_t rs = ROUTER_GROUP_RS(r->group);
    const uint8_t *done = r->s->buckets_done;
    int64_t only = r->s->route_bucket; /* a key's bucket, or -1 */
    buf_reset(&r->buckets);
    int rc = buf_reserve(&r->buckets, (count + 7) / 8);
    ASSERT(rc == 0);
    memset(r->buckets.data, 0, (count + 7) / 8);
    r->buckets.len = (count + 7) / 8;
    uint32_t from = 0, to = count;
    if (only >= 0) { /* a key's: that bucket alone, if here */
        from = (uint32_t)only < count ? (uint32_t)only : count;
        to = from < count ? from + 1 : count;
    }
    for (uint32_t b = from; b < to; b++)
        if (n->router.owners[b] == rs && (done == NULL || !((done[b / 8] >> (b % 8)) & 1)))
            r->buckets.data[b / 8] |= (uint8_t)(1u << (b % 8));
    r->x.buckets = r->buckets.data;
    r->x.buckets_bytes = (uint32_t)r->buckets.len;
    return true;
}

/* Starts a run of the x on group. The statements' bytes must live until done. */
struct sqlx_run *sqlx_run_start(struct sqlx_session *s, uint64_t group, bool write,
                                       bool tentative, const struct table_stmt *stmts, uint32_t n,
                                       uint8_t flags, void (*done)(struct sqlx_run *, int),
                                       void *arg)
{
    struct sqlx_run *r = calloc(1, sizeof *r);
    ASSERT(r != NULL);
    r->s = s;
    r->arg = arg;
    r->group = group;
    r->write = write;
    r->tentative = tentative;
    r->done = done;
    r->stmts = calloc(n, sizeof *r->stmts);
    ASSERT(r->stmts != NULL);
    memcpy(r->stmts, stmts, n * sizeof *stmts);
    /* The run owns its statements' text (a local read runs after the caller returned). */
    for (uint32_t i = 0; i < n; i++)
        buf_append(&r->sql, stmts[i].sql, stmts[i].sql_len);
    for (uint32_t i = 0, at = 0; i < n; at += r->stmts[i].sql_len, i++)
        r->stmts[i].sql = (const char *)r->sql.data + at;
    r->x.stmts = r->stmts;
    r->x.n = n;
    r->x.flags = flags;
    r->x.now_us = s->run_now_us != 0     ? s->run_now_us
                  : s->txn != SQLX_IDLE ? s->txn_now_us
                                        : sqlx_now_us();
    /* One seed for a whole transaction: its statement i draws random() from seed + i in every
     * run, tentative or at COMMIT, so what the client saw is what commits. */
    r->x.seed = s->txn != SQLX_IDLE ? s->txn_seed + s->run_stmt_at : rng_next(&s->x->rng);
    r->x.schema_version = group == NODE_GOVERNOR_GROUP ? 0 : sqlx_catalog(s->x)->version;
    /* A transaction's statements run tentatively may keep their savepoint open for the next
     * one (table_exec.session), when the run is on this node. */
    r->x.session = tentative && s->txn == SQLX_BLOCK ? s->token : 0;
    r->run_id = ++s->x->next_run_id;
    if ((flags & TABLE_EXEC_BUCKETS) && !sqlx_run_placement(r))
        r->x.flags &= (uint8_t)~TABLE_EXEC_BUCKETS;
    int rc;
    if (write) {
        struct errbuf eb = {{0}};
        rc = table_encode_exec(&r->req, &r->x, &eb);
    } else {
        rc = sqlx_run_encode_req(r);
    }
    if (rc != 0) {
        done(r, rc);
        return NULL;
    }
    sqlx_run_try(r);
    return r;
}

/* ------------------------------------------------------------ answering */

static enum sql_pg_type sqlx_pg_type_of_kind(enum sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_BOOL: return SQL_PG_BOOL;
    case SQL_TYPE_INT2: return SQL_PG_INT2;
    case SQL_TYPE_INT4: return SQL_PG_INT4;
    case SQL_TYPE_INT8: return SQL_PG_INT8;
    case SQL_TYPE_FLOAT4: return SQL_PG_FLOAT4;
    case SQL_TYPE_FLOAT8: return SQL_PG_FLOAT8;
    case SQL_TYPE_NUMERIC: return SQL_PG_NUMERIC;
    case SQL_TYPE_TEXT: return SQL_PG_TEXT;
    case SQL_TYPE_VARCHAR: return SQL_PG_VARCHAR;
    case SQL_TYPE_BPCHAR: return SQL_PG_BPCHAR;
    case SQL_TYPE_BYTEA: return SQL_PG_BYTEA;
    case SQL_TYPE_DATE: return SQL_PG_DATE;
    case SQL_TYPE_TIMESTAMP: return SQL_PG_TIMESTAMP;
    case SQL_TYPE_INTERVAL: return SQL_PG_INTERVAL;
    case SQL_TYPE_JSON: return SQL_PG_JSON;
    case SQL_TYPE_JSONB: return SQL_PG_JSONB;
    case SQL_TYPE_TIMESTAMPTZ: return SQL_PG_TIMESTAMPTZ;
    case SQL_TYPE_TIME: return SQL_PG_TIME;
    case SQL_TYPE_TIMETZ: return SQL_PG_TIMETZ;
    case SQL_TYPE_UUID: return SQL_PG_UUID;
    default: return SQL_PG_UNKNOWN;
    }
}

static enum sql_pg_type sqlx_pg_type_of_storage(uint8_t t)
{
    switch (t) {
    case TABLE_INT: return SQL_PG_INT8;
    case TABLE_REAL: return SQL_PG_FLOAT8;
    case TABLE_BLOB: return SQL_PG_BYTEA;
    default: return SQL_PG_TEXT;
    }
}

static void sqlx_format(const struct table_value *v, enum sql_pg_type t, struct buf *out)
{
    char tmp[SQL_FLOAT_TEXT_BYTES_MAX + 8];
    buf_reset(out);
    switch (v->type) {
    case TABLE_INT:
        if (t == SQL_PG_BOOL) {
            buf_append(out, v->i ? "t" : "f", 1);
        } else if (t == SQL_PG_FLOAT8 || t == SQL_PG_FLOAT4) {
            size_t n = t == SQL_PG_FLOAT4 ? sql_format_float4((float)v->i, tmp)
                                          : sql_format_float8((double)v->i, tmp);
            buf_append(out, tmp, n);
        } else {
            buf_append(out, tmp, (size_t)snprintf(tmp, sizeof tmp, "%" PRId64, v->i));
        }
        break;
    case TABLE_REAL: {
        size_t n = t == SQL_PG_FLOAT4 ? sql_format_float4((float)v->r, tmp)
                                      : sql_format_float8(v->r, tmp);
        buf_append(out, tmp, n);
        break;
    }
    case TABLE_TEXT:
        buf_append(out, v->p, v->len);
        break;
    case TABLE_BLOB:
        buf_append(out, "\\x", 2);
        for (uint32_t i = 0; i < v->len; i++)
            buf_append(out, tmp, (size_t)snprintf(tmp, sizeof tmp, "%02x", v->p[i]));
        break;
    default:
        break;
    }
}

/* The PostgreSQL type of each result column: the table column's declared
 * type, else the printer's hint, else the first row's storage class. */
static void sqlx_column_types(const struct table_output *o, const struct sql_out_column *hints,
                              uint32_t n_hints, enum sql_pg_type *types)
{
    struct table_value first[PG_COLUMNS_MAX];
    size_t pos = 0;
    bool have_first = o->ncols <= PG_COLUMNS_MAX && table_output_next_row(o, &pos, first) == 1;
    for (uint32_t i = 0; i < o->ncols && i < PG_COLUMNS_MAX; i++) {
        const char *name, *decl;
        uint32_t nl, dl;
        types[i] = SQL_PG_UNKNOWN;
        if (table_output_col(o, i, &name, &nl, &decl, &dl) == 0 && dl > 0) {
            char d[128];
            snprintf(d, sizeof d, "%.*s", (int)dl, decl);
            types[i] = sql_pg_type_from_decltype(d);
        }
        if (types[i] == SQL_PG_UNKNOWN && hints != NULL && i < n_hints)
            types[i] = sqlx_pg_type_of_kind(hints[i].type.kind);
        if (types[i] == SQL_PG_UNKNOWN && have_first && first[i].type != TABLE_NULL)
            types[i] = sqlx_pg_type_of_storage(first[i].type);
        if (types[i] == SQL_PG_UNKNOWN)
            types[i] = SQL_PG_TEXT;
    }
}

/* Column i's name for the client: the printer's (the query's own spelling), else SQLite's. */
static void sqlx_column_name(const struct table_output *o, const struct sql_out_column *hints,
                             uint32_t n_hints, uint32_t i, const char **name, uint32_t *len)
{
    if (hints != NULL && i < n_hints && hints[i].name != NULL) {
        *name = hints[i].name;
        *len = (uint32_t)strlen(hints[i].name);
        return;
    }
    const char *decl;
    uint32_t dl;
    table_output_col(o, i, name, len, &decl, &dl);
}

/* Sends an OK output's rows (and description, unless extended) and the tag. */
int sqlx_send_rows(struct sqlx_session *s, const struct table_output *o,
                          const struct sql_out_column *hints, uint32_t n_hints, const char *tag,
                          bool rows_wanted)
{
    if (o->ncols > PG_COLUMNS_MAX)
        return pg_send_errorf(s->c, "54011", "too many result columns (%u)", o->ncols);
    if (sqlx_copying_out(s))
        return sqlx_copy_out_answer(s, o, hints, n_hints);
    enum sql_pg_type types[PG_COLUMNS_MAX];
    uint64_t nrows = 0;
    if (rows_wanted && o->ncols > 0) {
        sqlx_column_types(o, hints, n_hints, types);
        struct pg_column cols[PG_COLUMNS_MAX];
        char names[64][SQL_IDENT_BYTES_MAX + 1];
        for (uint32_t i = 0; i < o->ncols; i++) {
            const char *name;
            uint32_t nl;
            sqlx_column_name(o, hints, n_hints, i, &name, &nl);
            cols[i] = PG_COLUMN(NULL, sql_pg_type_oid(types[i]));
            if (hints != NULL && i < n_hints && hints[i].name != NULL) {
                cols[i].name = name;
            } else if (i < 64) {
                snprintf(names[i], sizeof names[i], "%.*s", (int)nl, name);
                cols[i].name = names[i];
            } else {
                cols[i].name = "?column?";
            }
        }
        if (s->portal == NULL && pg_send_row_description(s->c, cols, o->ncols) != 0)
            return -1;
        struct table_value vals[PG_COLUMNS_MAX];
        struct buf text[PG_COLUMNS_MAX];
        const char *ptrs[PG_COLUMNS_MAX];
        size_t lens[PG_COLUMNS_MAX];
        for (uint32_t i = 0; i < o->ncols; i++)
            text[i] = (struct buf)BUF_INIT;
        size_t pos = 0;
        int more;
        while ((more = table_output_next_row(o, &pos, vals)) == 1) {
            for (uint32_t i = 0; i < o->ncols; i++) {
                if (vals[i].type == TABLE_NULL) {
                    ptrs[i] = NULL;
                    lens[i] = 0;
                    continue;
                }
                sqlx_format(&vals[i], types[i], &text[i]);
                ptrs[i] = text[i].len ? (const char *)text[i].data : "";
                lens[i] = text[i].len;
            }
            if (pg_send_data_row(s->c, ptrs, lens, o->ncols) != 0)
                break;
            nrows++;
        }
        for (uint32_t i = 0; i < o->ncols; i++)
            buf_free(&text[i]);
    }
    char full[64];
    if (strcmp(tag, "SELECT") == 0)
        snprintf(full, sizeof full, "SELECT %" PRIu64, nrows);
    else
        snprintf(full, sizeof full, "%s %" PRIu64, tag, o->changes);
    return pg_send_command_complete(s->c, full);
}

/* Sends an output that is not OK as the error it carries. */
/* The table whose SQLite table is the n bytes at name, or NULL. */
static struct sqlx_table *sqlx_table_of_sqlite(struct sqlx_catalog *cat, const char *name,
                                               size_t n)
{
    for (uint32_t i = 0; i < cat->n; i++)
        if (strlen(cat->t[i].sqlite_name) == n && memcmp(cat->t[i].sqlite_name, name, n) == 0)
            return &cat->t[i];
    return NULL;
}

/* The name of t's primary key or unique index over the columns SQLite lists in cols ("sq.a,
 * sq.b"), or NULL. */
static const char *sqlx_unique_of(const struct sqlx_table *t, const char *cols, char *pkey,
                                  size_t pkey_size)
{
    uint32_t pos[SQLX_INDEX_COLS_MAX], n = 0;
    size_t nsq = strlen(t->sqlite_name);
    for (const char *p = cols; *p != '\0' && n < SQLX_INDEX_COLS_MAX;) {
        if (strncmp(p, t->sqlite_name, nsq) != 0 || p[nsq] != '.')
            return NULL;
        p += nsq + 1;
        size_t len = strcspn(p, ",");
        int c = -1;
        for (uint32_t i = 0; i < t->ncols && c < 0; i++)
            if (strlen(t->cols[i].name) == len && memcmp(t->cols[i].name, p, len) == 0)
                c = (int)i;
        if (c < 0)
            return NULL;
        pos[n++] = (uint32_t)c;
        p += len;
        p += strncmp(p, ", ", 2) == 0 ? 2 : 0;
    }
    if (n == t->npk && memcmp(pos, t->pk, n * sizeof *pos) == 0) {
        snprintf(pkey, pkey_size, "%s_pkey", t->name);
        return pkey;
    }
    for (uint32_t k = 0; k < t->nindexes; k++) {
        const struct sqlx_ixdef *x = &t->ixdefs[k];
        if (x->known && x->unique && x->ncols == n && memcmp(x->cols, pos, n * sizeof *pos) == 0)
            return t->indexes[k];
    }
    return NULL;
}

/* SQLite's words for a broken CHECK, UNIQUE or NOT NULL constraint in PostgreSQL's, with the
 * table's, column's and constraint's names in their fields of the ErrorResponse. False when
 * o's message is not one of those, or names what the catalog does not know. */
static bool sqlx_send_constraint_error(struct sqlx_session *s, const struct table_output *o)
{
    static const char check[] = "CHECK constraint failed: ";
    static const char unique[] = "UNIQUE constraint failed: ";
    static const char not_null[] = "NOT NULL constraint failed: ";
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const char *m = o->message;
    char msg[PG_ERROR_FIELD_BYTES_MAX], pkey[SQL_IDENT_BYTES_MAX + 8];
    char index[SQL_IDENT_BYTES_MAX + 1]; /* f may point here: lives until it is sent */
    struct pg_error_fields f = {.sqlstate = o->sqlstate, .message = msg, .schema = "public"};
    if (strncmp(m, check, sizeof check - 1) == 0) {
        const char *name = m + sizeof check - 1;
        for (uint32_t i = 0; i < cat->n && f.table == NULL; i++)
            for (uint32_t k = 0; k < cat->t[i].nchecks && f.table == NULL; k++)
                if (strcmp(cat->t[i].checks[k].name, name) == 0)
                    f.table = cat->t[i].name;
        if (f.table == NULL)
            return false;
        f.constraint = name;
        snprintf(msg, sizeof msg, "new row for relation \"%s\" violates check constraint \"%s\"",
                 f.table, name);
    } else if (strncmp(m, unique, sizeof unique - 1) == 0) {
        const char *cols = m + sizeof unique - 1;
        const struct sqlx_table *t = sqlx_table_of_sqlite(cat, cols, strcspn(cols, "."));
        if (strncmp(cols, "index '", 7) == 0) {
            /* an index of expressions: SQLite names it, under the name it was created with */
            snprintf(index, sizeof index, "%.*s", (int)strcspn(cols + 7, "'"), cols + 7);
            t = sqlx_index_find(cat, index);
            f.constraint = index;
        } else if (t != NULL) {
            f.constraint = sqlx_unique_of(t, cols, pkey, sizeof pkey);
        }
        if (t == NULL || f.constraint == NULL)
            return false;
        f.table = t->name;
        snprintf(msg, sizeof msg, "duplicate key value violates unique constraint \"%s\"",
                 f.constraint);
    } else if (strncmp(m, not_null, sizeof not_null - 1) == 0) {
        const char *col = m + sizeof not_null - 1;
        size_t n = strcspn(col, ".");
        const struct sqlx_table *t = sqlx_table_of_sqlite(cat, col, n);
        if (t == NULL || col[n] != '.')
            return false;
        f.table = t->name;
        f.column = col + n + 1;
        snprintf(msg, sizeof msg, "null value in column \"%s\" of relation \"%s\" violates "
                 "not-null constraint", f.column, f.table);
    } else {
        return false;
    }
    pg_send_error_fields(s->c, &f);
    return true;
}

/* An error our SQL functions raised in PostgreSQL's words already (pg_not_null,
 * pg_check_violated, pg_raise_if): sent as it is, with the names it quotes in their fields.
 * False for another message. */
static bool sqlx_send_pg_worded(struct sqlx_session *s, const struct table_output *o)
{
    static const char *const worded[] = {"new row for relation \"", "null value in column \"",
                                         "column \"", "check constraint \""};
    const char *m = o->message;
    size_t i = 0;
    while (i < sizeof worded / sizeof worded[0] && strncmp(m, worded[i], strlen(worded[i])) != 0)
        i++;
    if (i == sizeof worded / sizeof worded[0])
        return false;
    /* the first two quoted names: a relation's and a constraint's, or a column's and a
     * relation's */
    char names[2][SQL_IDENT_BYTES_MAX + 1] = {{0}};
    const char *p = m;
    for (int k = 0; k < 2 && (p = strchr(p, '"')) != NULL; k++) {
        size_t len = strcspn(p + 1, "\"");
        snprintf(names[k], sizeof names[k], "%.*s", (int)len, p + 1);
        p += len + 1 + (p[len + 1] == '"');
    }
    struct pg_error_fields f = {.sqlstate = o->sqlstate, .message = m, .schema = "public"};
    const char **first = i == 0 ? &f.table : i == 3 ? &f.constraint : &f.column;
    const char **second = i == 0 ? &f.constraint : &f.table;
    *first = names[0][0] != '\0' ? names[0] : NULL;
    *second = names[1][0] != '\0' ? names[1] : NULL;
    pg_send_error_fields(s->c, &f);
    return true;
}

void sqlx_send_output_error(struct sqlx_session *s, const struct table_output *o)
{
    if (sqlx_send_constraint_error(s, o) || sqlx_send_pg_worded(s, o))
        return;
    const char *msg = o->message;
    /* SQLite's words for what the user wrote against our table names: the table whose SQLite
     * name it is (a renamed table's is not its name), else the name without the prefix. */
    char fixed[sizeof o->message];
    const char *p = strstr(msg, SQLX_TABLE_PREFIX);
    if (p != NULL && (p == msg || p[-1] == ' ' || p[-1] == '"' || p[-1] == '.')) {
        size_t n = strcspn(p, ". \",)");
        const struct sqlx_table *t = sqlx_table_of_sqlite(sqlx_catalog(s->x), p, n);
        const char *name = t != NULL ? t->name : NULL;
        if (name != NULL)
            snprintf(fixed, sizeof fixed, "%.*s%s%s", (int)(p - msg), msg, name, p + n);
        else
            snprintf(fixed, sizeof fixed, "%.*s%s", (int)(p - msg), msg,
                     p + strlen(SQLX_TABLE_PREFIX));
        msg = fixed;
    }
    /* 55000 is the replicasets' word for a bucket that moved or is moving, which the
     * coordinator replans where it can; where it reaches a client (a COMMIT, a COPY batch) it
     * is a retryable serialization failure. */
    bool moving = strcmp(o->sqlstate, "55000") == 0;
    pg_send_error(s->c, moving ? "40001" : o->sqlstate, "ERROR", msg, NULL, NULL, 0);
}

static const char *sqlx_err_sqlstate(int err)
{
    switch (err) {
    case ERR_TIMEOUT: return "57014";
    case ERR_UNAVAILABLE: return "08006";
    case ERR_SHUTDOWN: return "57P01";
    case ERR_NOMEM: return "53200";
    case ERR_TOOBIG: return "54000";
    default: return "XX000";
    }
}

void sqlx_send_err(struct sqlx_session *s, int err, const char *what)
{
    pg_send_errorf(s->c, sqlx_err_sqlstate(err), "%s: %s%s", what, err_msg(err),
                   err == ERR_TIMEOUT ? " (the outcome of a write is unknown)" : "");
}

/* A statement failed: the transaction block (if any) is failed too. */
void sqlx_failed(struct sqlx_session *s)
{
    s->stmt_failed = true;
    if (s->txn == SQLX_BLOCK)
        s->txn = SQLX_FAILED;
}

/* ------------------------------------------------------------ planning DML */


static const char *sqlx_print_map_table(void *ctx, const char *schema, const char *name)
{
    struct sqlx_print_ctx *p = ctx;
    if (p->creating != NULL && strcmp(name, p->creating) == 0)
        return p->creating_sqlite;
    return sqlx_map_table(p->cat, schema, name);
}

static int sqlx_print_table_columns(void *ctx, const char *schema, const char *table,
                                    const struct sql_table_column **cols, uint32_t *n)
{
    struct sqlx_print_ctx *p = ctx;
    return sqlx_table_columns(p->cat, schema, table, cols, n);
}

void sqlx_print_opts(struct sql_print_opts *o, struct sqlx_print_ctx *ctx,
                            struct sqlx_session *s)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    o->map_table = sqlx_print_map_table;
    o->map_index = sqlx_map_index;
    o->table_columns = sqlx_print_table_columns;
    o->current_user = pg_conn_user(s->c);
    o->check_grouping = true;
}

/* A routing value: a constant or a parameter, as the distribution column's
 * type stores it. false if it cannot be known here. */
static bool sqlx_route_value(struct sqlx_session *s, const struct sql_expr *e,
                             const struct sqlx_col *col, struct table_value *v, struct buf *keep)
{
    while (e->kind == SQL_E_CAST)
        e = e->cast.arg;
    const char *text = NULL;
    size_t len = 0;
    memset(v, 0, sizeof *v);
    /* NULL has a bucket like any value (the replicasets hash it alike) */
    if ((e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_NULL) ||
        (e->kind == SQL_E_PARAM && (uint32_t)e->param.number <= s->n_params &&
         s->params[e->param.number - 1].data == NULL)) {
        v->type = TABLE_NULL;
        return true;
    }
    if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT) {
        v->type = TABLE_INT;
        v->i = e->konst.ival;
    } else if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_STRING) {
        text = e->konst.text;
        len = e->konst.len;
    } else if (e->kind == SQL_E_PARAM && (uint32_t)e->param.number <= s->n_params &&
               s->params[e->param.number - 1].data != NULL) {
        text = s->params[e->param.number - 1].data;
        len = s->params[e->param.number - 1].len;
    } else {
        return false;
    }
    enum sql_type_kind k = col->type.kind;
    bool integer = k == SQL_TYPE_INT2 || k == SQL_TYPE_INT4 || k == SQL_TYPE_INT8;
    if (text != NULL && integer) {
        char tmp[32], *end;
        if (len == 0 || len >= sizeof tmp)
            return false;
        memcpy(tmp, text, len);
        tmp[len] = '\0';
        long long x = strtoll(tmp, &end, 10);
        if (*end != '\0')
            return false;
        v->type = TABLE_INT;
        v->i = x;
    } else if (text != NULL) {
        if (k == SQL_TYPE_NUMERIC || k == SQL_TYPE_FLOAT4 || k == SQL_TYPE_FLOAT8 ||
            k == SQL_TYPE_BOOL)
            return false; /* their stored form is not the text as written */
        buf_reset(keep);
        buf_append(keep, text, len);
        v->type = TABLE_TEXT;
        v->p = keep->data;
        v->len = (uint32_t)len;
    } else if (!integer) {
        return false;
    }
    return true;
}

/* Whether an active replicaset owns no bucket yet: buckets may be moving to it. */
static bool sqlx_rs_waiting(struct node *n)
{
    for (uint32_t i = 0; i < n->router.n_rs; i++)
        if (n->router.rs[i].buckets == 0 && n->router.rs[i].state == CLUSTER_RS_ACTIVE)
            return true;
    return false;
}

/* The only active replicaset's group, if the cluster has exactly one that
 * owns buckets (then every sharded row lives there); else 0. */
static uint64_t sqlx_single_rs_group(struct node *n)
{
    uint64_t g = 0;
    for (uint32_t i = 0; i < n->router.n_rs; i++) {
        if (n->router.rs[i].buckets == 0)
            continue;
        if (g != 0)
            return 0;
        g = ROUTER_RS_GROUP(n->router.rs[i].id);
    }
    return g;
}

/* Whether this node's map gives every bucket a replicaset. A node that has just started or
 * joined answers the protocol a moment before it has learned the map. */
static bool sqlx_router_ready(const struct node *n)
{
    if (n->router.bucket_count == 0)
        return false;
    uint64_t placed = 0;
    for (uint32_t i = 0; i < n->router.n_rs; i++)
        placed += n->router.rs[i].buckets;
    return placed >= n->router.bucket_count;
}

static uint64_t sqlx_group_of_bucket(struct node *n, uint32_t bucket)
{
    if (n->router.bucket_count == 0 || bucket >= n->router.bucket_count)
        return 0;
    uint32_t rs = n->router.owners[bucket];
    return rs ? ROUTER_RS_GROUP(rs) : 0;
}

/* The group one row of an INSERT goes to, 0 if unknown. */
static uint64_t sqlx_row_group(struct sqlx_session *s, const struct sqlx_table *t,
                               const struct sql_names *cols, const struct sql_exprs *row)
{
    struct node *n = s->x->n;
    struct table_value vals[16];
    struct buf keep[16];
    uint64_t g = 0;
    for (uint32_t d = 0; d < t->ndist; d++)
        keep[d] = (struct buf)BUF_INIT;
    bool ok = true;
    for (uint32_t d = 0; d < t->ndist && ok; d++) {
        const struct sqlx_col *col = &t->cols[t->dist[d]];
        const struct sql_expr *e = NULL;
        if (cols->n == 0 && t->dist[d] < row->n)
            e = row->v[t->dist[d]];
        for (uint32_t i = 0; i < cols->n && i < row->n; i++)
            if (strcmp(cols->v[i], col->name) == 0)
                e = row->v[i];
        if (e == NULL) {
            vals[d] = (struct table_value){.type = TABLE_NULL};
            continue;
        }
        ok = sqlx_route_value(s, e, col, &vals[d], &keep[d]);
    }
    if (ok)
        g = sqlx_group_of_bucket(n, table_bucket(vals, t->ndist, n->router.bucket_count));
    for (uint32_t d = 0; d < t->ndist; d++)
        buf_free(&keep[d]);
    return g;
}

/* The group holding every key of values[0..n) of the distribution column col (`col = v`,
 * `col IN (v1, v2...)`), 0 when they are in several or one is not a routable value. *bucket is
 * the key's bucket when n is 1, else -1. */
static uint64_t sqlx_keys_group(struct sqlx_session *s, const struct sqlx_col *col,
                                struct sql_expr *const *values, uint32_t n, int64_t *bucket)
{
    struct node *nd = s->x->n;
    uint64_t g = 0;
    *bucket = -1;
    for (uint32_t i = 0; i < n; i++) {
        struct table_value v;
        struct buf keep = BUF_INIT;
        uint64_t vg = 0;
        if (sqlx_route_value(s, values[i], col, &v, &keep)) {
            uint32_t b = table_bucket(&v, 1, nd->router.bucket_count);
            vg = sqlx_group_of_bucket(nd, b);
            if (n == 1)
                *bucket = b;
        }
        buf_free(&keep);
        if (vg == 0 || (g != 0 && vg != g))
            return 0;
        g = vg;
    }
    return g;
}

/* Where a DML statement runs: *group, or 0 with *all set when it must run
 * in every replicaset, *gather when a query's rows meet here, *split when an
 * INSERT's rows go to several replicasets (each gets its own). Returns 0, 1
 * when the statement must wait for this node to learn where rows are (it is
 * retried shortly), or sends an error and returns -1. */
static int sqlx_route(struct sqlx_session *s, const struct sql_stmt *st, uint64_t *group,
                      bool *all, bool *gather, bool *split)
{
    struct node *n = s->x->n;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sql_table_ref *refs = NULL;
    uint32_t nrefs = 0;
    *group = 0;
    *all = false;
    *gather = false;
    *split = false;
    s->route_bucket = -1;
    s->route_share = false;
    if (sql_stmt_tables(st, &refs, &nrefs) != 0) {
        pg_send_errorf(s->c, "54000", "statement too complex to route");
        return -1;
    }
    const struct sqlx_table *sharded = NULL;
    bool global = false, several = false;
    for (uint32_t i = 0; i < nrefs; i++) {
        const struct sqlx_table *t = sqlx_table_find(cat, refs[i].schema, refs[i].name);
        if (t == NULL)
            continue; /* the printer has reported it already */
        if (t->global) {
            global = true;
        } else {
            several |= sharded != NULL && sharded != t;
            sharded = t;
        }
    }
    if (sharded == NULL) {
        *group = NODE_GOVERNOR_GROUP; /* global tables, or none: any node runs it */
        return 0;
    }
    if (!sqlx_router_ready(n))
        return 1;
    if (global) {
        if (st->kind == SQL_STMT_SELECT) {
            *gather = true; /* the rows of both kinds meet here */
            return 0;
        }
        pg_send_errorf(s->c, "0A000",
                       "a write may not read tables distributed globally and sharded ones "
                       "together yet; read them in a SELECT, then write");
        return -1;
    }
    uint64_t single = sqlx_single_rs_group(n);
    if (single != 0) {
        /* With another replicaset about, the run carries the bucket set this node's map
         * places there, which the replicaset refuses once a bucket has moved away. */
        s->route_share = sqlx_rs_waiting(n);
        *group = single;
        return 0;
    }
    /* A key pins the statement to one replicaset only when nothing else in it (a subquery,
     * a CTE, a second reference to the same table) reads rows. */
    several |= nrefs > 1;
    if (st->kind == SQL_STMT_UPDATE) {
        for (uint32_t i = 0; i < st->update->set.n; i++)
            for (uint32_t c = 0; c < st->update->set.v[i].cols.n; c++)
                for (uint32_t d = 0; d < sharded->ndist; d++)
                    if (strcmp(st->update->set.v[i].cols.v[c],
                               sharded->cols[sharded->dist[d]].name) == 0) {
                        pg_send_errorf(s->c, "0A000",
                                       "cannot update column \"%s\": it is the table's "
                                       "distribution key (delete the row and insert it again)",
                                       sharded->cols[sharded->dist[d]].name);
                        return -1;
                    }
    }
    if (!several && st->kind == SQL_STMT_INSERT) {
        const struct sql_names *cols;
        const struct sql_rows *rows;
        if (sql_insert_rows(st, &cols, &rows)) {
            uint64_t g = 0;
            bool mixed = false;
            for (uint32_t r = 0; r < rows->n; r++) {
                uint64_t rg = sqlx_row_group(s, sharded, cols, &rows->v[r]);
                if (rg == 0) {
                    g = 0;
                    mixed = false;
                    break;
                }
                mixed |= g != 0 && rg != g;
                g = rg;
            }
            if (mixed) {
                *split = true;
                return 0;
            }
            if (g != 0) {
                *group = g;
                return 0;
            }
        }
    } else if (!several && sharded->ndist == 1) {
        struct sql_key_cond *conds;
        uint32_t nc = 0;
        if (sql_where_keys(st, &conds, &nc) == 0) {
            const struct sqlx_col *col = &sharded->cols[sharded->dist[0]];
            for (uint32_t i = 0; i < nc; i++) {
                if (strcmp(conds[i].column, col->name) != 0)
                    continue;
                int64_t bucket;
                *group = sqlx_keys_group(s, col, conds[i].values, conds[i].nvalues, &bucket);
                if (*group == 0)
                    continue;
                /* one key: its bucket is the run's set; several (IN): the replicaset's share,
                 * which it refuses if any bucket of it has moved */
                s->route_bucket = bucket;
                s->route_share = bucket < 0;
                return 0;
            }
        }
    }
    if (st->kind == SQL_STMT_SELECT) {
        *gather = true;
        return 0;
    }
    if (st->kind == SQL_STMT_INSERT && st->insert->select != NULL) {
        *split = true; /* its SELECT gathered here, its rows split by replicaset */
        return 0;
    }
    if (several) {
        /* Broadcast, each replicaset would read only its own rows in the subquery, join or
         * second table: the rows are found by a gathered SELECT first (sqlx_gwrite_start). */
        *split = true;
        return 0;
    }
    *all = true;
    return 0;
}

/* ------------------------------------------------------------ AST nodes made here */

char *sqlx_arena_name(struct sql_arena *a, const char *fmt, unsigned n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, fmt, n);
    ASSERT(len > 0 && (size_t)len < sizeof tmp);
    char *s = sql_arena_alloc(a, (size_t)len + 1);
    if (s != NULL)
        memcpy(s, tmp, (size_t)len + 1);
    return s;
}

struct sql_expr *sqlx_col_ref(struct sql_arena *a, const char *qual, const char *name)
{
    struct sql_expr *e = sql_arena_alloc(a, sizeof *e);
    if (e == NULL || name == NULL)
        return NULL;
    *e = (struct sql_expr){.kind = SQL_E_COLUMN, .loc = -1};
    e->column.nparts = qual != NULL ? 2 : 1;
    e->column.parts[0] = qual != NULL ? qual : name;
    e->column.parts[1] = qual != NULL ? name : NULL;
    return e;
}

/* ------------------------------------------------------------ running DML */

/* The statement being run, kept until its answer is sent. */
struct sqlx_dml {
    struct sqlx_session *s;
    struct sql_printed printed;
    const char *tag;
    struct table_value *params;
    uint32_t n_params;
    uint32_t pending;        /* runs out (one per replicaset when broadcast) */
    uint64_t changes;        /* summed over them */
    bool failed;
    bool answered;
    struct buf first_output; /* the first run's output, and every later run's rows */
    /* An INSERT split between replicasets, or an UPDATE/DELETE sent to every replicaset: one
     * part each, checked everywhere first. */
    struct sqlx_part_stmt *parts;
    uint32_t nparts;
    uint8_t part_flags; /* TABLE_EXEC_BUCKETS for a broadcast */
    bool checked; /* every part ran tentatively without error; now they are written */
    /* A statement of a transaction block, kept for COMMIT when it succeeds; a read of a
     * transaction that had not written yet ran alone, from started_ms. */
    bool txn_stmt, write;
    uint64_t started_ms;
    bool read_alone; /* a read of the block that runs as a statement of its own */
};

struct sqlx_part_stmt {
    struct sqlx_dml *d;
    uint64_t group;
    struct sql_printed printed;
    uint64_t hash; /* of the tentative run: the write must see the same */
    bool applied;
};

static void sqlx_dml_free(struct sqlx_dml *d)
{
    for (uint32_t i = 0; i < d->nparts; i++)
        sql_printed_free(&d->parts[i].printed);
    free(d->parts);
    sql_printed_free(&d->printed);
    free(d->params);
    buf_free(&d->first_output);
    free(d);
}

/* The statement failed (its error already sent): d goes, the statement ends. */
static void sqlx_dml_fail(struct sqlx_session *s, struct sqlx_dml *d)
{
    sqlx_failed(s);
    sqlx_dml_free(d);
    sqlx_statement_done(s);
}

/* Params as the table model takes them: text, as the protocol gave them. */
struct table_value *sqlx_params(struct sqlx_session *s, uint32_t *n)
{
    *n = s->n_params;
    if (s->n_params == 0)
        return NULL;
    struct table_value *v = calloc(s->n_params, sizeof *v);
    ASSERT(v != NULL);
    for (uint32_t i = 0; i < s->n_params; i++) {
        if (s->params[i].data == NULL) {
            v[i].type = TABLE_NULL;
            continue;
        }
        v[i].type = TABLE_TEXT;
        v[i].p = (const uint8_t *)s->params[i].data;
        v[i].len = (uint32_t)s->params[i].len;
    }
    return v;
}

/* sqlx_params, then the literals the printer made parameters (numbered right after). */
static struct table_value *sqlx_params_with(struct sqlx_session *s,
                                            const struct sql_printed *printed, uint32_t from,
                                            uint32_t *n)
{
    struct table_value *v = sqlx_params(s, n);
    if (printed->n_lits == 0)
        return v;
    /* parameters the statement names but the client did not bind are NULL, as before */
    uint32_t bound = *n;
    v = realloc(v, (from - 1 + printed->n_lits) * sizeof *v);
    ASSERT(v != NULL);
    for (uint32_t i = bound; i < from - 1; i++)
        memset(&v[i], 0, sizeof v[i]);
    *n = from - 1;
    for (uint32_t i = 0; i < printed->n_lits; i++) {
        const struct sql_literal *l = &printed->lits[i];
        struct table_value *tv = &v[*n + i];
        memset(tv, 0, sizeof *tv);
        if (l->is_int) {
            tv->type = TABLE_INT;
            tv->i = l->ival;
        } else {
            tv->type = TABLE_TEXT;
            tv->p = (const uint8_t *)l->text;
            tv->len = (uint32_t)l->len;
        }
    }
    *n += printed->n_lits;
    return v;
}

static bool sqlx_output_schema_miss(const struct buf *out)
{
    return out->len > 0 && out->data[0] == TABLE_STATE_SCHEMA;
}

static void sqlx_retry_cb(uv_timer_t *t)
{
    struct sqlx_session *s = t->data;
    sqlx_next_statement(s); /* the same statement again: next was not advanced */
}

/* A schema or routing miss: the statement runs again shortly, planned anew. */
void sqlx_retry_statement(struct sqlx_session *s)
{
    if (clock_mono_ms() >= s->deadline_ms) {
        pg_send_errorf(s->c, "40001",
                       "the schema or the placement of rows kept changing under this statement; "
                       "retry it");
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    uv_timer_start(&s->retry_timer, sqlx_retry_cb, SQLX_RETRY_MS, 0);
}

static void sqlx_dml_finish(struct sqlx_dml *d)
{
    struct sqlx_session *s = d->s;
    if (!d->answered) {
        struct table_output o;
        if (table_output_parse(d->first_output.data, d->first_output.len, &o) != 0) {
            pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
            sqlx_failed(s);
        } else {
            o.changes = d->changes;
            sqlx_send_rows(s, &o, d->printed.cols, d->printed.ncols, d->tag, o.ncols > 0);
        }
    }
    sqlx_dml_free(d);
    sqlx_statement_done(s);
}

/* Keeps an OK output's rows for the answer: the first output whole, the rows of later ones
 * (other replicasets, the same columns) spliced in before its end marker. */
static void sqlx_dml_add_rows(struct sqlx_dml *d, const struct buf *out,
                              const struct table_output *o)
{
    if (d->first_output.len == 0) {
        buf_append(&d->first_output, out->data, out->len);
        return;
    }
    const size_t tail = 1 + 16; /* the end marker, changes and hash */
    if (o->rows_len <= 1 || d->first_output.len < tail)
        return;
    size_t add = o->rows_len - 1, at = d->first_output.len - tail;
    if (buf_reserve(&d->first_output, add) != 0)
        return;
    uint8_t *p = d->first_output.data;
    memmove(p + at + add, p + at, tail);
    memcpy(p + at, o->rows, add);
    d->first_output.len += add;
}

static void sqlx_dml_run_done(struct sqlx_run *r, int err)
{
    struct sqlx_dml *d = r->arg;
    struct sqlx_session *s = d->s;
    d->pending--;
    if (!d->answered) {
        struct table_output o;
        if (err != 0) {
            sqlx_send_err(s, err, "running the statement");
            d->answered = true;
            sqlx_failed(s);
        } else if (sqlx_output_schema_miss(&r->out)) {
            d->failed = true; /* replanned below, once every run is back */
        } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
            pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
            d->answered = true;
            sqlx_failed(s);
        } else if (o.state != TABLE_STATE_OK) {
            if (strcmp(o.sqlstate, "55000") == 0) {
                d->failed = true; /* a bucket not writable there: moved; replan */
            } else {
                sqlx_send_output_error(s, &o);
                d->answered = true;
                sqlx_failed(s);
            }
        } else {
            d->changes += o.changes;
            sqlx_dml_add_rows(d, &r->out, &o);
            if (s->txn == SQLX_BLOCK && d->txn_stmt) {
                /* Remember it for COMMIT, with what the client is about to see. */
                uint32_t ms = d->started_ms != 0 ? (uint32_t)(clock_mono_ms() - d->started_ms) : 0;
                sqlx_txn_append(s, &r->x.stmts[r->x.n - 1], o.hash, d->write, ms);
            }
        }
    }
    sqlx_run_free(r);
    if (d->pending > 0)
        return;
    if (d->failed && !d->answered) {
        sqlx_dml_free(d);
        sqlx_retry_statement(s);
        return;
    }
    sqlx_dml_finish(d);
}

static const char *sqlx_dml_tag(enum sql_stmt_kind k)
{
    switch (k) {
    case SQL_STMT_INSERT: return "INSERT 0";
    case SQL_STMT_UPDATE: return "UPDATE";
    case SQL_STMT_DELETE: return "DELETE";
    case SQL_STMT_TRUNCATE: return "TRUNCATE TABLE";
    default: return "SELECT";
    }
}

static void sqlx_split_send(struct sqlx_dml *d, uint32_t i, bool tentative);

/* The statement part p of d runs: its own rows (an INSERT split between replicasets), or, with
 * none of its own (a broadcast), d's statement. p NULL: d's. */
static struct table_stmt sqlx_dml_stmt(const struct sqlx_dml *d, const struct sqlx_part_stmt *p)
{
    const struct sql_printed *pr = p != NULL && p->printed.sql.len > 0 ? &p->printed : &d->printed;
    return (struct table_stmt){.sql = (const char *)pr->sql.data,
                               .sql_len = (uint32_t)pr->sql.len,
                               .params = d->params,
                               .n_params = d->n_params};
}

/* An UPDATE or DELETE for every replicaset, as an INSERT split between them is (below): run
 * tentatively everywhere first, written only if none fails. Without it one replicaset's rows
 * were changed while another's refused the statement (a CHECK, a division by zero), and the
 * client was told it failed. */
static void sqlx_broadcast_start(struct sqlx_dml *d, const uint64_t *groups, uint32_t ng)
{
    d->parts = calloc(ng, sizeof *d->parts);
    ASSERT(d->parts != NULL);
    for (uint32_t i = 0; i < ng; i++)
        d->parts[i] = (struct sqlx_part_stmt){.d = d, .group = groups[i]}; /* d's statement */
    d->nparts = ng;
    d->part_flags = TABLE_EXEC_BUCKETS;
    d->pending = ng;
    for (uint32_t i = 0; i < ng; i++)
        sqlx_split_send(d, i, true);
}

/* Runs SQLite text on group(s) as the statement of the session. */
static void sqlx_dml_send(struct sqlx_session *s, struct sqlx_dml *d, uint64_t group, bool all,
                          bool write)
{
    struct node *n = s->x->n;
    struct table_stmt ts = sqlx_dml_stmt(d, NULL);
    /* A read of no sharded table (SELECT 1, now(), global reference data) is no part of the
     * transaction's replicaset: it reads as outside the block and does not pin the block to
     * the governor. */
    bool in_txn = s->txn == SQLX_BLOCK && !d->read_alone &&
                  (write || group != NODE_GOVERNOR_GROUP || all);
    if (in_txn) {
        if (all || (s->txn_group != 0 && s->txn_group != group)) {
            pg_send_errorf(s->c, "0A000",
                           "this transaction would touch rows in more than one replicaset; "
                           "distributed transactions are not supported yet (a later issue): "
                           "keep a transaction's rows in one replicaset (same distribution "
                           "key) or run the statements outside a transaction block%s",
                           write ? "" : " (in a READ COMMITTED block such a read runs alone)");
            sqlx_dml_fail(s, d);
            return;
        }
        if (s->n_stmts + 1 >= SQLX_TXN_STMTS_MAX || s->txn_bytes > SQLX_TXN_BYTES_MAX) {
            pg_send_errorf(s->c, "54000", "transaction too large (%u statements, %zu bytes); "
                           "commit more often", s->n_stmts, s->txn_bytes);
            sqlx_dml_fail(s, d);
            return;
        }
        if (write && !sqlx_txn_may_write(s)) {
            sqlx_dml_fail(s, d);
            return;
        }
        s->txn_group = group;
        d->txn_stmt = true;
        d->write = write;
        d->pending = 1;
        if (!write && !sqlx_txn_wrote(s)) {
            /* A transaction that has only read: its read depends on no statement before it,
             * so it runs alone, as any read does (off the loop when long), and COMMIT checks
             * all its reads at once (sqlx_do_commit). */
            d->started_ms = clock_mono_ms();
            s->run_stmt_at = s->n_stmts;
            sqlx_run_start(s, group, false, false, &ts, 1, 0, sqlx_dml_run_done, d);
            s->run_stmt_at = 0;
            return;
        }
        /* Tentative: every statement so far, then this one, rolled back (or held open for
         * the next, table_run). The first write after reads checks them too: each must still
         * give what the client was given; all of them run, so the savepoint may be held. */
        struct table_stmt *all_stmts = sqlx_txn_stmts(s, 0, s->n_stmts, 1);
        all_stmts[s->n_stmts] = ts;
        uint8_t flags = write && s->n_stmts > 0 && !sqlx_txn_wrote(s) ? TABLE_EXEC_VALIDATE : 0;
        sqlx_run_start(s, group, false, true, all_stmts, s->n_stmts + 1, flags,
                       sqlx_dml_run_done, d);
        free(all_stmts);
        return;
    }
    uint64_t groups[ROUTER_RS_MAX];
    uint32_t ng = 0;
    if (all) {
        for (uint32_t i = 0; i < n->router.n_rs; i++)
            if (n->router.rs[i].state == CLUSTER_RS_ACTIVE ||
                n->router.rs[i].state == CLUSTER_RS_RETIRING)
                groups[ng++] = ROUTER_RS_GROUP(n->router.rs[i].id);
    } else {
        groups[ng++] = group;
    }
    if (ng == 0) {
        pg_send_errorf(s->c, "08006", "no replicaset holds data yet; try again shortly");
        sqlx_dml_free(d);
        sqlx_statement_done(s);
        return;
    }
    if (all && write) {
        sqlx_broadcast_start(d, groups, ng);
        return;
    }
    d->pending = ng;
    for (uint32_t i = 0; i < ng; i++)
        sqlx_run_start(s, groups[i], write, false, &ts, 1,
                       !all && (s->route_bucket >= 0 || s->route_share) ? TABLE_EXEC_BUCKETS : 0,
                       sqlx_dml_run_done, d);
}

/* ---- an INSERT whose rows go to several replicasets ----
 *
 * Each replicaset gets an INSERT of its own rows. Without distributed
 * transactions the parts commit separately, so first every part runs
 * tentatively (the way a transaction's statements do) and nothing is written
 * if any fails: a unique violation or a CHECK anywhere leaves no row anywhere.
 * Then each part is written with the result its tentative run saw; a part
 * whose result changed in between (a concurrent write to the same keys) fails
 * with 40001 while the others stay written, and the client is told so. */

static void sqlx_split_written(struct sqlx_run *r, int err);

static void sqlx_split_send(struct sqlx_dml *d, uint32_t i, bool tentative)
{
    struct sqlx_part_stmt *p = &d->parts[i];
    struct table_stmt ts = sqlx_dml_stmt(d, p);
    ts.expect_hash = tentative ? 0 : p->hash;
    sqlx_run_start(d->s, p->group, !tentative, tentative, &ts, 1,
                   (uint8_t)(d->part_flags | (tentative ? 0 : TABLE_EXEC_VALIDATE)),
                   sqlx_split_written, p);
}

/* A part's answer: of its tentative run (checked false) or of its write. */
static void sqlx_split_written(struct sqlx_run *r, int err)
{
    struct sqlx_part_stmt *part = r->arg;
    struct sqlx_dml *d = part->d;
    struct sqlx_session *s = d->s;
    d->pending--;
    struct table_output o;
    bool ok = false;
    if (d->answered) {
        /* an earlier part's error is the answer */
    } else if (err != 0) {
        sqlx_send_err(s, err, "running the statement");
    } else if (sqlx_output_schema_miss(&r->out)) {
        if (!d->checked)
            d->failed = true; /* nothing written yet: planned again below */
        else
            pg_send_errorf(s->c, "40001", "the schema changed during the %s; retry it",
                           d->tag);
    } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
        pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
    } else if (o.state != TABLE_STATE_OK) {
        if (!d->checked && strcmp(o.sqlstate, "55000") == 0)
            d->failed = true; /* a bucket moved: planned again below */
        else
            sqlx_send_output_error(s, &o);
    } else {
        ok = true;
        if (!d->checked) {
            part->hash = o.hash;
        } else {
            part->applied = true;
            d->changes += o.changes;
            sqlx_dml_add_rows(d, &r->out, &o);
        }
    }
    if (!ok && !d->answered && !d->failed) {
        d->answered = true;
        sqlx_failed(s);
    }
    sqlx_run_free(r);
    if (d->pending > 0)
        return;
    if (d->failed && !d->answered) {
        sqlx_dml_free(d);
        sqlx_retry_statement(s);
        return;
    }
    if (!d->checked && !d->answered) {
        d->checked = true;
        uint32_t np = d->nparts; /* the last answer may free d, even from inside the send */
        d->pending = np;
        for (uint32_t p = 0; p < np; p++) {
            if (d->part_flags == 0) {
                sqlx_split_send(d, p, false);
                continue;
            }
            /* A broadcast is written as before its check: a replicaset whose buckets moved
             * meanwhile (55000) is planned again without the buckets already written. */
            struct table_stmt ts = sqlx_dml_stmt(d, NULL);
            sqlx_run_start(s, d->parts[p].group, true, false, &ts, 1, TABLE_EXEC_BUCKETS,
                           sqlx_dml_run_done, d);
        }
        return;
    }
    if (d->checked && d->answered) {
        uint32_t applied = 0;
        for (uint32_t p = 0; p < d->nparts; p++)
            applied += d->parts[p].applied;
        if (applied > 0)
            pg_send_notice(s->c, "01000", "WARNING",
                           "this statement's rows are in several replicasets and were written "
                           "there separately: the changes of the replicasets that did not fail "
                           "stay applied",
                           NULL, NULL);
    }
    sqlx_dml_finish(d);
}

/* Splits st's VALUES rows by replicaset, at most SQLX_SPLIT_PART_ROWS to a part, and starts
 * the tentative runs. */
static void sqlx_split_start(struct sqlx_session *s, const struct sql_stmt *st,
                             struct sqlx_dml *d)
{
    const struct sql_names *cols;
    const struct sql_rows *rows;
    bool ok = sql_insert_rows(st, &cols, &rows);
    ASSERT(ok);
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sqlx_table *t = sqlx_table_find(cat, st->insert->table.schema,
                                                 st->insert->table.name);
    ASSERT(t != NULL);
    uint64_t *row_group = calloc(rows->n + 1, sizeof *row_group);
    struct sql_exprs *picked = calloc(rows->n + 1, sizeof *picked);
    uint64_t groups[ROUTER_RS_MAX];
    uint32_t ng = 0, unroutable = 0;
    ASSERT(row_group != NULL && picked != NULL);
    for (uint32_t r = 0; r < rows->n; r++) {
        row_group[r] = sqlx_row_group(s, t, cols, &rows->v[r]);
        uint32_t k = 0;
        while (k < ng && groups[k] != row_group[r])
            k++;
        if (row_group[r] == 0)
            unroutable++;
        else if (k == ng && ng < ROUTER_RS_MAX)
            groups[ng++] = row_group[r];
    }
    if (unroutable > 0) {
        pg_send_errorf(s->c, "0A000",
                       "%u rows of this INSERT have a distribution key whose bucket cannot be "
                       "computed before running it (a numeric, float or boolean key, or an "
                       "expression); insert them one statement per key", unroutable);
        free(row_group);
        free(picked);
        sqlx_dml_fail(s, d);
        return;
    }
    /* Each part prints the same statement over its own rows. */
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sql_select values = *st->insert->select;
    struct sql_insert ins = *st->insert;
    struct sql_stmt part = *st;
    ins.select = &values;
    part.insert = &ins;
    uint32_t cap = rows->n / SQLX_SPLIT_PART_ROWS + ng + 1;
    d->parts = calloc(cap, sizeof *d->parts);
    ASSERT(d->parts != NULL);
    int rc = 0;
    struct sql_error err = {0};
    for (uint32_t k = 0; k < ng && rc == 0; k++) {
        uint32_t r = 0;
        while (r < rows->n && rc == 0) {
            uint32_t n = 0;
            for (; r < rows->n && n < SQLX_SPLIT_PART_ROWS; r++)
                if (row_group[r] == groups[k])
                    picked[n++] = rows->v[r];
            if (n == 0)
                break;
            ASSERT(d->nparts < cap);
            struct sqlx_part_stmt *p = &d->parts[d->nparts++];
            p->d = d;
            p->group = groups[k];
            values.values.n = n;
            values.values.v = picked;
            rc = sql_print(&part, &o, &p->printed, &err);
        }
    }
    free(row_group);
    free(picked);
    if (rc != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        sqlx_dml_fail(s, d);
        return;
    }
    if (d->nparts == 0) {
        pg_send_command_complete(s->c, "INSERT 0 0");
        sqlx_dml_free(d);
        sqlx_statement_done(s);
        return;
    }
    if (d->params == NULL)
        d->params = sqlx_params(s, &d->n_params);
    uint32_t np = d->nparts; /* the last answer may free d, even from inside the send */
    d->pending = np;
    for (uint32_t p = 0; p < np; p++)
        sqlx_split_send(d, p, true);
}

/* ---- INSERT ... SELECT reading several replicasets ----
 *
 * The SELECT is gathered here like any query; its rows become the VALUES of the same INSERT,
 * each value the text PostgreSQL would print for it cast to its target column's type (as COPY
 * reads it), and that INSERT is split by replicaset as above. */

struct sqlx_insert_select {
    struct sqlx_dml *d;
    const struct sql_stmt *st;
};

static struct sql_expr *sqlx_value_expr(struct sql_arena *a, const struct table_value *v,
                                        enum sql_pg_type t, const struct sql_type *to,
                                        struct buf *text)
{
    struct sql_expr *c = sql_arena_alloc(a, sizeof *c);
    if (c == NULL)
        return NULL;
    c->kind = SQL_E_CONST;
    c->loc = -1;
    if (v->type == TABLE_NULL) {
        c->konst.kind = SQL_CONST_NULL;
        return c;
    }
    sqlx_format(v, t, text);
    char *copy = sql_arena_alloc(a, text->len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, text->data, text->len);
    copy[text->len] = '\0';
    c->konst.kind = SQL_CONST_STRING;
    c->konst.text = copy;
    c->konst.len = text->len;
    if (to == NULL)
        return c;
    struct sql_expr *cast = sql_arena_alloc(a, sizeof *cast);
    if (cast == NULL)
        return NULL;
    cast->kind = SQL_E_CAST;
    cast->loc = -1;
    cast->cast.style = SQL_CAST_FUNC;
    cast->cast.arg = c;
    cast->cast.type = *to;
    return cast;
}

static void sqlx_insert_select_rows(struct sqlx_session *s, void *arg, const struct buf *out)
{
    struct sqlx_insert_select *is = arg;
    struct sqlx_dml *d = is->d;
    const struct sql_stmt *st = is->st;
    free(is);
    if (out == NULL) {
        sqlx_dml_free(d); /* the gather answered, and ends or replans the statement */
        return;
    }
    struct table_output o;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sqlx_table *t =
        sqlx_table_find(cat, st->insert->table.schema, st->insert->table.name);
    const struct sql_names *names = &st->insert->cols;
    uint64_t nrows = 0;
    size_t pos = 0;
    struct table_value vals[PG_COLUMNS_MAX];
    if (t == NULL || table_output_parse(out->data, out->len, &o) != 0 ||
        o.ncols > PG_COLUMNS_MAX) {
        pg_send_errorf(s->c, "XX000", "INSERT ... SELECT: the gathered rows could not be read");
        goto fail;
    }
    if (o.ncols > (names->n ? names->n : t->ncols)) {
        pg_send_errorf(s->c, "42601", "INSERT has more expressions than target columns");
        goto fail;
    }
    while (table_output_next_row(&o, &pos, vals) == 1)
        nrows++;
    enum sql_pg_type types[PG_COLUMNS_MAX];
    sqlx_column_types(&o, NULL, 0, types);
    /* The target column of each selected value, for its cast. */
    const struct sql_type *to[PG_COLUMNS_MAX];
    for (uint32_t c = 0; c < o.ncols; c++) {
        to[c] = names->n == 0 ? &t->cols[c].type : NULL;
        for (uint32_t k = 0; names->n > 0 && k < t->ncols; k++)
            if (strcmp(t->cols[k].name, names->v[c]) == 0)
                to[c] = &t->cols[k].type;
    }
    struct sql_arena *a = st->arena;
    struct sql_select *values = sql_arena_alloc(a, sizeof *values);
    struct sql_insert *ins = sql_arena_alloc(a, sizeof *ins);
    struct sql_stmt *vst = sql_arena_alloc(a, sizeof *vst);
    struct sql_exprs *rows = sql_arena_alloc(a, (nrows + 1) * sizeof *rows);
    bool ok = values != NULL && ins != NULL && vst != NULL && rows != NULL;
    struct buf text = BUF_INIT;
    pos = 0;
    for (uint64_t r = 0; ok && table_output_next_row(&o, &pos, vals) == 1; r++) {
        rows[r].n = o.ncols;
        rows[r].v = sql_arena_alloc(a, (o.ncols + 1) * sizeof *rows[r].v);
        ok = rows[r].v != NULL;
        for (uint32_t c = 0; ok && c < o.ncols; c++)
            ok = (rows[r].v[c] = sqlx_value_expr(a, &vals[c], types[c], to[c], &text)) != NULL;
    }
    buf_free(&text);
    if (!ok) {
        pg_send_errorf(s->c, "53200", "out of memory turning %" PRIu64 " gathered rows into an "
                       "INSERT", nrows);
        goto fail;
    }
    memset(values, 0, sizeof *values);
    values->kind = SQL_SELECT_VALUES;
    values->loc = -1;
    values->values.n = (uint32_t)nrows;
    values->values.v = rows;
    *ins = *st->insert;
    ins->with = NULL;
    ins->select = values;
    *vst = *st;
    vst->insert = ins;
    sqlx_split_start(s, vst, d);
    return;
fail:
    sqlx_dml_fail(s, d);
}

/* Prints SELECT sel and gathers its rows into into(arg), for the write d. When it does not
 * print, the error is the statement's answer: arg (malloc'd) and d go. */
static void sqlx_gather_select(struct sqlx_session *s, const struct sql_stmt *sel,
                               struct sqlx_dml *d, sqlx_gather_into_fn into, void *arg)
{
    struct sqlx_print_ctx pctx = {.cat = sqlx_catalog(s->x)};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sql_printed printed = {0};
    struct sql_error err = {0};
    if (sql_print(sel, &o, &printed, &err) != 0) {
        free(arg);
        sql_printed_free(&printed);
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        sqlx_dml_fail(s, d);
        return;
    }
    sqlx_gather_into(s, sel, &printed, into, arg);
}

/* Gathers st's SELECT (with the INSERT's WITH), then inserts its rows. */
static void sqlx_insert_select_start(struct sqlx_session *s, const struct sql_stmt *st,
                                     struct sqlx_dml *d)
{
    struct sql_arena *a = st->arena;
    struct sql_stmt *sel = sql_arena_alloc(a, sizeof *sel);
    struct sql_select *q = sql_arena_alloc(a, sizeof *q);
    struct sqlx_insert_select *is = calloc(1, sizeof *is);
    if (sel == NULL || q == NULL || is == NULL) {
        free(is);
        pg_send_errorf(s->c, "53200", "out of memory planning the INSERT");
        sqlx_dml_fail(s, d);
        return;
    }
    *q = *st->insert->select;
    if (q->with == NULL)
        q->with = st->insert->with;
    *sel = *st;
    sel->kind = SQL_STMT_SELECT;
    sel->select = q;
    is->d = d;
    is->st = st;
    sqlx_gather_select(s, sel, d, sqlx_insert_select_rows, is);
}

/* ---- an UPDATE or DELETE that reads rows of several replicasets ----
 *
 * Sent to every replicaset as it is, each would see only its own rows of the subquery, join
 * or second table. So the rows to change are found first, by a gathered SELECT of the
 * target's primary key (and for an UPDATE every new value) over all that the statement reads;
 * then one statement naming those rows by key goes to every replicaset (tried on all first,
 * as any broadcast):
 *   UPDATE t SET c = "__v"."__v0" FROM (VALUES (key, value), ...) AS "__v"("__k0", "__v0")
 *     WHERE t.k = "__v"."__k0"
 *   DELETE FROM t WHERE t.k IN (key, ...)     (several key columns: (a = .. AND b = ..) OR ..)
 * Like an INSERT split between replicasets it is not atomic against a concurrent write to the
 * same rows between the two steps. */

struct sqlx_gwrite {
    struct sqlx_dml *d;
    const struct sql_stmt *st;
    const struct sqlx_table *t;
    const char *alias; /* the target's name in the statement */
    uint32_t nset;
};

/* a = b, both already made (NULL if either is: out of memory). */
static struct sql_expr *sqlx_eq(struct sql_arena *a, struct sql_expr *l, struct sql_expr *r)
{
    struct sql_expr *e = sql_arena_alloc(a, sizeof *e);
    if (e == NULL || l == NULL || r == NULL)
        return NULL;
    *e = (struct sql_expr){.kind = SQL_E_BINARY, .loc = -1};
    e->binary.op = SQL_OP_EQ;
    e->binary.op_name = "=";
    e->binary.left = l;
    e->binary.right = r;
    return e;
}

/* The AND or OR (kind) of n terms (n >= 1; one term is itself), flat, in the arena; NULL when
 * out of memory. */
static struct sql_expr *sqlx_junction(struct sql_arena *a, enum sql_expr_kind kind,
                                      struct sql_expr **terms, uint64_t n)
{
    for (uint64_t i = 0; terms != NULL && i < n; i++)
        if (terms[i] == NULL)
            return NULL;
    if (terms == NULL || n == 1)
        return terms != NULL ? terms[0] : NULL;
    struct sql_expr *e = sql_arena_alloc(a, sizeof *e);
    if (e != NULL) {
        *e = (struct sql_expr){.kind = kind, .loc = -1};
        e->list = (struct sql_exprs){.n = (uint32_t)n, .v = terms};
    }
    return e;
}

/* alias.k1 = v[0] AND alias.k2 = v[1] ... over the target's primary key. */
static struct sql_expr *sqlx_key_match(struct sql_arena *a, const struct sqlx_gwrite *gw,
                                       struct sql_expr **v)
{
    const struct sqlx_table *t = gw->t;
    struct sql_expr **eqs = sql_arena_alloc(a, t->npk * sizeof *eqs);
    for (uint32_t k = 0; eqs != NULL && k < t->npk; k++)
        eqs[k] = sqlx_eq(a, sqlx_col_ref(a, gw->alias, t->cols[t->pk[k]].name), v[k]);
    return sqlx_junction(a, SQL_E_AND, eqs, t->npk);
}

/* The write naming the gathered rows by key (above), into d->printed; false when out of
 * memory or the printer refused it (its error sent). */
static bool sqlx_gwrite_print(struct sqlx_session *s, struct sqlx_gwrite *gw,
                              const struct table_output *o, uint64_t nrows)
{
    const struct sql_stmt *st = gw->st;
    const struct sqlx_table *t = gw->t;
    struct sql_arena *a = st->arena;
    uint32_t ncols = t->npk + gw->nset;
    enum sql_pg_type types[PG_COLUMNS_MAX];
    sqlx_column_types(o, NULL, 0, types);
    const struct sql_type *to[PG_COLUMNS_MAX];
    for (uint32_t k = 0; k < t->npk; k++)
        to[k] = &t->cols[t->pk[k]].type;
    for (uint32_t j = 0; j < gw->nset; j++) {
        to[t->npk + j] = NULL;
        for (uint32_t c = 0; c < t->ncols; c++)
            if (strcmp(t->cols[c].name, st->update->set.v[j].cols.v[0]) == 0)
                to[t->npk + j] = &t->cols[c].type;
    }
    /* the rows as literals cast to their columns' types */
    struct sql_exprs *rows = sql_arena_alloc(a, (nrows + 1) * sizeof *rows);
    struct table_value vals[PG_COLUMNS_MAX];
    struct buf text = BUF_INIT;
    bool ok = rows != NULL;
    size_t pos = 0;
    for (uint64_t r = 0; ok && table_output_next_row(o, &pos, vals) == 1; r++) {
        rows[r].n = ncols;
        rows[r].v = sql_arena_alloc(a, ncols * sizeof *rows[r].v);
        ok = rows[r].v != NULL;
        for (uint32_t c = 0; ok && c < ncols; c++)
            ok = (rows[r].v[c] = sqlx_value_expr(a, &vals[c], types[c], to[c], &text)) != NULL;
    }
    buf_free(&text);
    struct sql_expr *where = NULL;
    struct sql_stmt *w = sql_arena_alloc(a, sizeof *w);
    ok = ok && w != NULL;
    if (ok)
        *w = *st;
    if (ok && st->kind == SQL_STMT_DELETE) {
        struct sql_delete *del = sql_arena_alloc(a, sizeof *del);
        /* one key column: k IN (...); several: one flat OR of the rows' key matches */
        struct sql_expr **any = sql_arena_alloc(a, nrows * sizeof *any);
        ok = del != NULL && any != NULL;
        for (uint64_t r = 0; ok && r < nrows; r++)
            any[r] = t->npk == 1 ? rows[r].v[0] : sqlx_key_match(a, gw, rows[r].v);
        if (ok && t->npk == 1) {
            where = sql_arena_alloc(a, sizeof *where);
            struct sql_expr *key = sqlx_col_ref(a, gw->alias, t->cols[t->pk[0]].name);
            if (where != NULL && key != NULL) {
                *where = (struct sql_expr){.kind = SQL_E_IN, .loc = -1};
                where->in.arg = key;
                where->in.list = (struct sql_exprs){.n = (uint32_t)nrows, .v = any};
            }
        } else if (ok) {
            where = sqlx_junction(a, SQL_E_OR, any, nrows);
        }
        ok = ok && where != NULL;
        if (ok) {
            *del = *st->del;
            del->with = NULL;
            del->using = (struct sql_froms){0};
            del->where = where;
            w->del = del;
        }
    } else if (ok) {
        struct sql_update *up = sql_arena_alloc(a, sizeof *up);
        struct sql_select *values = sql_arena_alloc(a, sizeof *values);
        struct sql_from *vf = sql_arena_alloc(a, sizeof *vf);
        struct sql_from **froms = sql_arena_alloc(a, sizeof *froms);
        struct sql_set_clause *set = sql_arena_alloc(a, (gw->nset + 1) * sizeof *set);
        const char **names = sql_arena_alloc(a, ncols * sizeof *names);
        ok = up != NULL && values != NULL && vf != NULL && froms != NULL && set != NULL &&
             names != NULL;
        for (uint32_t c = 0; ok && c < ncols; c++)
            ok = (names[c] = sqlx_arena_name(a, c < t->npk ? "__k%u" : "__v%u",
                                             c < t->npk ? c : c - t->npk)) != NULL;
        struct sql_expr **keys = ok ? sql_arena_alloc(a, t->npk * sizeof *keys) : NULL;
        for (uint32_t k = 0; keys != NULL && k < t->npk; k++)
            keys[k] = sqlx_col_ref(a, "__v", names[k]);
        where = keys != NULL ? sqlx_key_match(a, gw, keys) : NULL;
        ok = ok && where != NULL;
        if (ok) {
            *values = (struct sql_select){.kind = SQL_SELECT_VALUES, .loc = -1};
            values->values.n = (uint32_t)nrows;
            values->values.v = rows;
            *vf = (struct sql_from){.kind = SQL_FROM_SUBQUERY, .loc = -1, .subquery = values};
            vf->alias.name = "__v";
            vf->alias.cols.n = ncols;
            vf->alias.cols.v = names;
            froms[0] = vf;
            for (uint32_t j = 0; j < gw->nset; j++) {
                set[j] = st->update->set.v[j];
                set[j].value = sqlx_col_ref(a, "__v", names[t->npk + j]);
                ok = ok && set[j].value != NULL;
            }
            *up = *st->update;
            up->with = NULL;
            up->set.v = set;
            up->from.n = 1;
            up->from.v = froms;
            up->where = where;
            w->update = up;
        }
    }
    if (!ok) {
        pg_send_errorf(s->c, "53200", "out of memory writing %" PRIu64 " gathered rows", nrows);
        return false;
    }
    struct sqlx_print_ctx pctx = {.cat = sqlx_catalog(s->x)};
    struct sql_print_opts po;
    sqlx_print_opts(&po, &pctx, s);
    struct sql_error err = {0};
    sql_printed_free(&gw->d->printed);
    if (sql_print(w, &po, &gw->d->printed, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        return false;
    }
    return true;
}

static void sqlx_gwrite_rows(struct sqlx_session *s, void *arg, const struct buf *out)
{
    struct sqlx_gwrite *gw = arg;
    struct sqlx_dml *d = gw->d;
    if (out == NULL) {
        free(gw);
        sqlx_dml_free(d); /* the gather answered, and ends or replans the statement */
        return;
    }
    struct table_output o;
    uint64_t nrows = 0;
    size_t pos = 0;
    struct table_value vals[PG_COLUMNS_MAX];
    bool ok = table_output_parse(out->data, out->len, &o) == 0 &&
              o.ncols == gw->t->npk + gw->nset;
    while (ok && table_output_next_row(&o, &pos, vals) == 1)
        nrows++;
    if (!ok) {
        pg_send_errorf(s->c, "XX000", "the gathered rows to write could not be read");
    } else if (out->len > SQLX_GWRITE_ROWS_BYTES_MAX) {
        pg_send_errorf(s->c, "54000",
                       "this %s reads rows of several replicasets and would change %" PRIu64
                       " rows, whose keys and values take %zu bytes, more than %u MiB at once: "
                       "filter it further, or on the distribution key",
                       sql_stmt_kind_tag(gw->st->kind), nrows, out->len,
                       SQLX_GWRITE_ROWS_BYTES_MAX >> 20);
        ok = false;
    } else if (nrows == 0) {
        /* nothing to change: the answer is a count of 0 (and no RETURNING rows) */
        pg_send_command_complete(s->c, gw->st->kind == SQL_STMT_UPDATE ? "UPDATE 0" : "DELETE 0");
        free(gw);
        sqlx_dml_free(d);
        sqlx_statement_done(s);
        return;
    } else if ((ok = sqlx_gwrite_print(s, gw, &o, nrows)) &&
               d->printed.sql.len > TABLE_SQL_BYTES_MAX) {
        pg_send_errorf(s->c, "54000",
                       "this %s reads rows of several replicasets and would change %" PRIu64
                       " rows, which take a statement of %zu bytes to name, more than %u MiB: "
                       "filter it further, or on the distribution key",
                       sql_stmt_kind_tag(gw->st->kind), nrows, d->printed.sql.len,
                       TABLE_SQL_BYTES_MAX >> 20);
        ok = false;
    }
    free(gw);
    if (!ok) {
        sqlx_dml_fail(s, d);
        return;
    }
    free(d->params);
    d->params = NULL;
    d->n_params = 0;
    sqlx_dml_send(s, d, 0, true, true);
}

/* Gathers the target's keys (and new values) over everything st reads, then writes them. */
static void sqlx_gwrite_start(struct sqlx_session *s, const struct sql_stmt *st,
                              struct sqlx_dml *d)
{
    bool upd = st->kind == SQL_STMT_UPDATE;
    const struct sql_qname *tn = upd ? &st->update->table : &st->del->table;
    const char *alias = upd ? st->update->alias : st->del->alias;
    const struct sqlx_table *t = sqlx_table_find(sqlx_catalog(s->x), tn->schema, tn->name);
    uint32_t nset = upd ? st->update->set.n : 0;
    const char *refused = NULL;
    if (t == NULL || t->npk == 0)
        refused = "and its table has no primary key to name the rows by: add one, or filter "
                  "on the distribution key";
    for (uint32_t j = 0; upd && j < nset && refused == NULL; j++)
        if (st->update->set.v[j].cols.n != 1 ||
            st->update->set.v[j].value->kind == SQL_E_DEFAULT)
            refused = "and SET (a, b) = ... or SET c = DEFAULT cannot be written by key yet";
    if (refused == NULL && t->npk + nset > PG_COLUMNS_MAX)
        refused = "and sets too many columns";
    if (refused != NULL) {
        pg_send_errorf(s->c, "0A000", "this %s reads rows of several replicasets (a subquery, a "
                       "join or a second table), %s", sql_stmt_kind_tag(st->kind), refused);
        sqlx_dml_fail(s, d);
        return;
    }
    struct sql_arena *a = st->arena;
    const struct sql_froms *more = upd ? &st->update->from : &st->del->using;
    struct sql_stmt *sel = sql_arena_alloc(a, sizeof *sel);
    struct sql_select *q = sql_arena_alloc(a, sizeof *q);
    struct sql_target *tg = sql_arena_alloc(a, (t->npk + nset) * sizeof *tg);
    struct sql_from **froms = sql_arena_alloc(a, (more->n + 1) * sizeof *froms);
    struct sql_from *target = sql_arena_alloc(a, sizeof *target);
    struct sqlx_gwrite *gw = calloc(1, sizeof *gw);
    bool ok = sel != NULL && q != NULL && tg != NULL && froms != NULL && target != NULL &&
              gw != NULL;
    const char *qual = alias != NULL ? alias : tn->name;
    for (uint32_t k = 0; ok && k < t->npk; k++) {
        tg[k] = (struct sql_target){.expr = sqlx_col_ref(a, qual, t->cols[t->pk[k]].name),
                                    .alias = sqlx_arena_name(a, "__k%u", k), .loc = -1};
        ok = tg[k].expr != NULL && tg[k].alias != NULL;
    }
    for (uint32_t j = 0; ok && j < nset; j++) {
        tg[t->npk + j] = (struct sql_target){.expr = st->update->set.v[j].value,
                                             .alias = sqlx_arena_name(a, "__v%u", j), .loc = -1};
        ok = tg[t->npk + j].alias != NULL;
    }
    if (!ok) {
        free(gw);
        pg_send_errorf(s->c, "53200", "out of memory planning the %s", sql_stmt_kind_tag(st->kind));
        sqlx_dml_fail(s, d);
        return;
    }
    *target = (struct sql_from){.kind = SQL_FROM_TABLE, .loc = -1, .table = *tn};
    target->alias.name = alias;
    froms[0] = target;
    for (uint32_t i = 0; i < more->n; i++)
        froms[i + 1] = more->v[i];
    *q = (struct sql_select){.kind = SQL_SELECT_PLAIN, .loc = -1};
    q->with = upd ? st->update->with : st->del->with;
    q->targets.n = t->npk + nset;
    q->targets.v = tg;
    q->from.n = more->n + 1;
    q->from.v = froms;
    q->where = upd ? st->update->where : st->del->where;
    *sel = *st;
    sel->kind = SQL_STMT_SELECT;
    sel->select = q;
    *gw = (struct sqlx_gwrite){.d = d, .st = st, .t = t, .alias = qual, .nset = nset};
    sqlx_gather_select(s, sel, d, sqlx_gwrite_rows, gw);
}

static void sqlx_do_dml(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sqlx_dml *d = calloc(1, sizeof *d);
    ASSERT(d != NULL);
    d->s = s;
    d->tag = sqlx_dml_tag(st->kind);
    /* The literals as parameters after the client's: pgbench's statements, say, then differ
     * only in bound values, and each replicaset's statement cache prepares them once. */
    uint32_t client_params = s->n_params > (uint32_t)st->param_max ? s->n_params
                                                                    : (uint32_t)st->param_max;
    if (client_params + SQL_LITERAL_PARAMS_MAX < SQLX_SQLITE_PARAMS_MAX)
        o.literal_params_from = client_params + 1;
    struct sql_error err = {0};
    if (sql_print(st, &o, &d->printed, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        sqlx_dml_fail(s, d);
        return;
    }
    uint64_t group;
    bool all, gather, split;
    int routed = sqlx_route(s, st, &group, &all, &gather, &split);
    if (routed > 0) {
        sqlx_dml_free(d);
        sqlx_retry_statement(s);
        return;
    }
    if (routed < 0) {
        sqlx_dml_fail(s, d);
        return;
    }
    d->read_alone = sqlx_txn_reads_alone(s, st, group, all || gather);
    if (gather && s->txn == SQLX_BLOCK && !d->read_alone) {
        if (sqlx_txn_reads_committed(s))
            pg_send_errorf(s->c, "0A000",
                           "this transaction has written in one replicaset, and a query that "
                           "reads several could not see its changes (distributed transactions "
                           "are a later issue): read before writing, filter on the "
                           "distribution key, or run the query outside the block");
        else
            pg_send_errorf(s->c, "0A000",
                           "inside a serializable transaction block a query may read only the "
                           "replicaset the transaction uses (distributed transactions are a "
                           "later issue): filter on the distribution key, run the query outside "
                           "the block, or BEGIN ISOLATION LEVEL READ COMMITTED, whose reads see "
                           "each replicaset as committed when they run");
        sqlx_dml_fail(s, d);
        return;
    }
    if ((split && s->txn != SQLX_BLOCK) || gather) {
        /* Those plans print their own pieces, with the literals inline. */
        sql_printed_free(&d->printed);
        o.literal_params_from = 0;
        if (sql_print(st, &o, &d->printed, &err) != 0) {
            pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
            sqlx_dml_fail(s, d);
            return;
        }
    }
    if (split && s->txn != SQLX_BLOCK) {
        const struct sql_names *cols;
        const struct sql_rows *rows;
        if (st->kind != SQL_STMT_INSERT)
            sqlx_gwrite_start(s, st, d);
        else if (sql_insert_rows(st, &cols, &rows))
            sqlx_split_start(s, st, d);
        else
            sqlx_insert_select_start(s, st, d);
        return;
    }
    if (split)
        all = true; /* refused below as a transaction across replicasets */
    if (gather) {
        sqlx_gather_start(s, st, &d->printed);
        sqlx_dml_free(d);
        return;
    }
    d->params = sqlx_params_with(s, &d->printed, o.literal_params_from, &d->n_params);
    bool write = st->kind != SQL_STMT_SELECT;
    sqlx_dml_send(s, d, group, all, write);
}

/* ------------------------------------------------------------ transactions */

static void sqlx_commit_send(struct sqlx_session *s);

static void sqlx_commit_done(struct sqlx_run *r, int err)
{
    struct sqlx_session *s = r->arg;
    struct table_output o;
    bool ok = false;
    if (err != 0) {
        sqlx_send_err(s, err, "COMMIT");
    } else if (sqlx_output_schema_miss(&r->out)) {
        pg_send_errorf(s->c, "40001", "the schema changed during the transaction; retry it");
    } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
        pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
    } else if (o.state != TABLE_STATE_OK) {
        sqlx_send_output_error(s, &o);
    } else {
        ok = true;
    }
    sqlx_run_free(r);
    if (ok && s->commit_next < s->n_stmts) {
        sqlx_commit_send(s); /* the next part of a transaction too large for one entry */
        return;
    }
    if (ok)
        pg_send_command_complete(s->c, "COMMIT");
    else if (s->commit_next < s->n_stmts || s->commit_parts > 1)
        pg_send_notice(s->c, "01000", "WARNING",
                       "this transaction was too large for one log entry and was committed in "
                       "parts; the parts before the failing one stay applied", NULL, NULL);
    sqlx_txn_reset(s);
    sqlx_statement_done(s);
}

/* Proposes the transaction's next statements, as many as fit in one log entry (all of them,
 * atomically, unless the transaction is larger: COPY of a whole table inside a block). */
static void sqlx_commit_send(struct sqlx_session *s)
{
    uint32_t from = s->commit_next, to = from;
    size_t bytes = 0;
    while (to < s->n_stmts) {
        size_t sz = s->stmts[to].sql_len + s->stmts[to].param_bytes.len +
                    16 * (size_t)s->stmts[to].n_params + 64;
        if (to > from && bytes + sz > SQLX_COMMIT_ENTRY_BYTES)
            break;
        bytes += sz;
        to++;
    }
    struct table_stmt *stmts = sqlx_txn_stmts(s, from, to, 0);
    s->commit_next = to;
    s->commit_parts++;
    s->run_stmt_at = from;
    sqlx_run_start(s, s->txn_group, true, false, stmts, to - from, TABLE_EXEC_VALIDATE,
                   sqlx_commit_done, s);
    s->run_stmt_at = 0;
    free(stmts);
}

/* A transaction that only read has nothing to apply, so nothing of it goes through the log:
 * its reads run again, together, on one state of its replicaset (as any read runs: off the
 * loop when long), and each must give what the client was given — then the transaction read
 * what it would have read at that moment alone (serializable), else 40001. */
static void sqlx_commit_reads(struct sqlx_session *s)
{
    struct table_stmt *stmts = sqlx_txn_stmts(s, 0, s->n_stmts, 0);
    s->commit_next = s->n_stmts;
    s->commit_parts = 1;
    sqlx_run_start(s, s->txn_group, false, false, stmts, s->n_stmts, TABLE_EXEC_VALIDATE,
                   sqlx_commit_done, s);
    free(stmts);
}

static void sqlx_do_commit(struct sqlx_session *s)
{
    if (s->txn == SQLX_IDLE) {
        pg_send_notice(s->c, "25P01", "WARNING", "there is no transaction in progress", NULL,
                       NULL);
        pg_send_command_complete(s->c, "COMMIT");
        sqlx_statement_done(s);
        return;
    }
    bool one_read = s->n_stmts == 1 && !s->stmts[0].write; /* of one state: nothing to check */
    if (s->txn == SQLX_FAILED || s->n_stmts == 0 || one_read) {
        pg_send_command_complete(s->c, s->txn == SQLX_FAILED ? "ROLLBACK" : "COMMIT");
        sqlx_txn_reset(s);
        sqlx_statement_done(s);
        return;
    }
    s->commit_next = 0;
    s->commit_parts = 0;
    if (!sqlx_txn_wrote(s) && s->txn_bytes <= SQLX_COMMIT_ENTRY_BYTES)
        sqlx_commit_reads(s);
    else
        sqlx_commit_send(s);
}

/* ------------------------------------------------------------ DDL */

struct sqlx_ddl {
    struct sqlx_session *s;
    struct buf cmd;
    const char *tag;
    char name[SQL_IDENT_BYTES_MAX + 1];
    bool if_exists, if_not_exists;
    int kind;
    /* DROP of several tables: the rest */
    const struct sql_stmt *st;
    uint32_t next_name;
    /* The barrier: the schema version the change makes, and the replicasets not there yet. */
    uint64_t version;
    bool global;
    uint32_t pending;
    bool behind;
    /* The check that runs the change tentatively on every replicaset first. */
    uint32_t checking;
    bool check_failed, check_replan;
};

static void sqlx_ddl_free(struct sqlx_ddl *d)
{
    buf_free(&d->cmd);
    free(d);
}

static void sqlx_drop_next(struct sqlx_ddl *d);

static void sqlx_ddl_barrier(struct sqlx_ddl *d);
static void sqlx_ddl_barrier_cb(uv_timer_t *t);

static void sqlx_ddl_done(void *arg, int err, const struct store_result *res)
{
    struct sqlx_ddl *d = arg;
    struct sqlx_session *s = d->s;
    if (err != 0) {
        sqlx_send_err(s, err, d->tag);
    } else if (res->status == ERR_CONDITION && res->failed_op == CLUSTER_REFUSED_SCHEMA) {
        sqlx_ddl_free(d);
        sqlx_retry_statement(s); /* another change came first: plan again */
        return;
    } else if (res->status == ERR_CONDITION && res->failed_op == CLUSTER_REFUSED_TABLE_EXISTS) {
        if (d->if_not_exists) {
            char msg[160];
            snprintf(msg, sizeof msg, "relation \"%s\" already exists, skipping", d->name);
            pg_send_notice(s->c, "42P07", "NOTICE", msg, NULL, NULL);
            pg_send_command_complete(s->c, d->tag);
        } else {
            pg_send_errorf(s->c, "42P07", "relation \"%s\" already exists", d->name);
            sqlx_failed(s);
        }
    } else if (res->status == ERR_CONDITION && res->failed_op == CLUSTER_REFUSED_NO_TABLE) {
        pg_send_errorf(s->c, "42P01", "table \"%s\" does not exist", d->name);
        sqlx_failed(s);
    } else if (res->status != 0) {
        pg_send_errorf(s->c, "XX000", "%s refused (%d)", d->tag, res->status);
        sqlx_failed(s);
    } else if (d->st != NULL && d->st->kind == SQL_STMT_DROP_TABLE &&
               d->next_name < d->st->drop->names.n) {
        sqlx_drop_next(d);
        return;
    } else if (!d->global) {
        sqlx_ddl_barrier(d); /* answers once every replicaset has the change */
        return;
    } else {
        pg_send_command_complete(s->c, d->tag);
    }
    sqlx_ddl_free(d);
    sqlx_statement_done(s);
}

/* A schema change is answered when every replicaset holding data has applied it, so that the
 * client's next statement finds the table everywhere (each replicaset's leader applies the
 * catalog's DDL log on its own: shard_sync_schema). Past the statement's deadline it is
 * answered anyway; statements planned against another version are retried. */
static void sqlx_ddl_barrier_done(struct sqlx_run *r, int err)
{
    struct sqlx_ddl *d = r->arg;
    struct sqlx_session *s = d->s;
    if (err == 0 && r->out.len > 0 && r->out.data[0] == TABLE_STATE_SCHEMA)
        d->behind = true;
    sqlx_run_free(r);
    if (--d->pending > 0)
        return;
    if (d->behind && clock_mono_ms() < s->deadline_ms) {
        s->ddl_barrier = d;
        uv_timer_start(&s->retry_timer, sqlx_ddl_barrier_cb, SQLX_RETRY_MS, 0);
        return;
    }
    pg_send_command_complete(s->c, d->tag);
    sqlx_ddl_free(d);
    sqlx_statement_done(s);
}

static void sqlx_ddl_barrier(struct sqlx_ddl *d)
{
    static const struct table_stmt probe = {.sql = "SELECT 1", .sql_len = 8};
    struct sqlx_session *s = d->s;
    struct node *n = s->x->n;
    bool late = clock_mono_ms() >= s->deadline_ms;
    if (sqlx_catalog(s->x)->version < d->version && !late) {
        s->ddl_barrier = d; /* this node's governor replica has not applied it yet */
        uv_timer_start(&s->retry_timer, sqlx_ddl_barrier_cb, SQLX_RETRY_MS, 0);
        return;
    }
    uint64_t groups[ROUTER_RS_MAX];
    uint32_t ng = 0;
    for (uint32_t i = 0; i < n->router.n_rs && !late; i++)
        if (n->router.rs[i].buckets > 0)
            groups[ng++] = ROUTER_RS_GROUP(n->router.rs[i].id);
    if (ng == 0) {
        pg_send_command_complete(s->c, d->tag);
        sqlx_ddl_free(d);
        sqlx_statement_done(s);
        return;
    }
    d->behind = false;
    d->pending = ng;
    for (uint32_t i = 0; i < ng; i++)
        sqlx_run_start(s, groups[i], false, false, &probe, 1, 0, sqlx_ddl_barrier_done, d);
}

/* The schema change that waited on the session's retry_timer (s->ddl_barrier). */
static struct sqlx_ddl *sqlx_ddl_waited(uv_timer_t *t)
{
    struct sqlx_session *s = t->data;
    struct sqlx_ddl *d = s->ddl_barrier;
    s->ddl_barrier = NULL;
    return d;
}

static void sqlx_ddl_barrier_cb(uv_timer_t *t)
{
    sqlx_ddl_barrier(sqlx_ddl_waited(t));
}

/* Encodes td into d->cmd and records what the barrier waits for. On an error it answers the
 * client, frees d, ends the statement and returns false. */
static bool sqlx_ddl_encode(struct sqlx_ddl *d, const struct cluster_table_ddl *td)
{
    struct errbuf eb = {{0}};
    buf_reset(&d->cmd);
    if (cluster_encode_table_ddl(&d->cmd, td, &eb) != 0) {
        pg_send_errorf(d->s->c, "54000", "%s", eb.msg);
        sqlx_failed(d->s);
        struct sqlx_session *s = d->s;
        sqlx_ddl_free(d);
        sqlx_statement_done(s);
        return false;
    }
    snprintf(d->name, sizeof d->name, "%s",
             td->kind == CLUSTER_DDL_RENAME ? td->new_name : td->name);
    d->version = td->expect_version + 1;
    d->global = td->global;
    return true;
}

static void sqlx_ddl_propose(struct sqlx_ddl *d, const struct cluster_table_ddl *td)
{
    if (sqlx_ddl_encode(d, td))
        node_write(d->s->x->n, NODE_GOVERNOR_GROUP, d->cmd.data, d->cmd.len, sqlx_ddl_done, d);
}

/* ---- a schema change tried on the rows first ----
 *
 * The governor takes a change before any replicaset has applied it, so a change the rows make
 * impossible (a unique index or primary key over duplicates, a NOT NULL column, a CHECK the
 * rows break) would be in the catalog while every replicaset failed to apply it. The change
 * is first run tentatively on every replicaset holding data (rolled back), and proposed only
 * if none refuses. A change that could not be checked in TABLE_RUN_MS_MAX (a large table) is
 * proposed unchecked. Plain CREATE INDEX and DROP INDEX cannot fail on rows: not tried. */

/* rs_sql's statements ts[0..n): any but a plain CREATE INDEX or DROP INDEX, or one that asks
 * the rows (sqlx_rows_check) or indexes an error for some (a NOT NULL's). */
static bool sqlx_ddl_can_fail_on_rows(const char *rs_sql, const struct table_stmt *ts,
                                      uint32_t n)
{
    if (strstr(rs_sql, "pg_raise_if(") != NULL || strstr(rs_sql, "pg_not_null(") != NULL)
        return true;
    for (uint32_t i = 0; i < n; i++)
        if (strncmp(ts[i].sql, "CREATE INDEX", 12) != 0 && strncmp(ts[i].sql, "DROP INDEX", 10) != 0)
            return true;
    return false;
}

static void sqlx_ddl_checked(struct sqlx_run *r, int err)
{
    struct sqlx_ddl *d = r->arg;
    struct sqlx_session *s = d->s;
    struct table_output o;
    d->checking--;
    if (d->check_failed || d->check_replan) {
        /* an earlier answer decided */
    } else if (err != 0) {
        sqlx_send_err(s, err, d->tag);
        d->check_failed = true;
    } else if (sqlx_output_schema_miss(&r->out)) {
        d->check_replan = true; /* a replicaset not at this node's schema version yet */
    } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
        pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
        d->check_failed = true;
    } else if (o.state != TABLE_STATE_OK && strcmp(o.sqlstate, "57014") != 0) {
        sqlx_send_output_error(s, &o);
        d->check_failed = true;
    }
    sqlx_run_free(r);
    if (d->checking > 0)
        return;
    if (d->check_failed || d->check_replan) {
        bool replan = !d->check_failed;
        if (d->check_failed)
            sqlx_failed(s);
        sqlx_ddl_free(d);
        if (replan)
            sqlx_retry_statement(s);
        else
            sqlx_statement_done(s);
        return;
    }
    node_write(s->x->n, NODE_GOVERNOR_GROUP, d->cmd.data, d->cmd.len, sqlx_ddl_done, d);
}

/* The statements of a change's SQL (several joined with "; "), cut where SQLite sees one end,
 * at most max (the rest stays in the last). Points into sql. */
static uint32_t sqlx_split_statements(const char *sql, struct table_stmt *out, uint32_t max)
{
    uint32_t n = 0;
    const char *start = sql;
    struct buf head = BUF_INIT;
    for (const char *p = sql; *p != '\0' && n + 1 < max; p++) {
        if (*p != ';')
            continue;
        buf_reset(&head);
        buf_append(&head, start, (size_t)(p - start) + 1);
        buf_append_u8(&head, 0);
        if (!sqlite3_complete((const char *)head.data))
            continue; /* inside a literal or a trigger's body */
        out[n++] = (struct table_stmt){.sql = start, .sql_len = (uint32_t)(p - start)};
        start = p + 1;
        while (*start == ' ')
            start++;
    }
    if (*start != '\0')
        out[n++] = (struct table_stmt){.sql = start, .sql_len = (uint32_t)strlen(start)};
    buf_free(&head);
    return n;
}

/* sqlx_ddl_propose, after the replicasets ran td's change without an error. */
static void sqlx_ddl_propose_checked(struct sqlx_ddl *d, const struct cluster_table_ddl *td)
{
    struct sqlx_session *s = d->s;
    struct node *n = s->x->n;
    uint64_t groups[ROUTER_RS_MAX];
    uint32_t ng = 0;
    /* every statement of the change is tried, in order (a prepared statement is one) */
    struct table_stmt ts[SQLX_DDL_STATEMENTS_MAX];
    uint32_t nts = td->global ? 0 : sqlx_split_statements(td->rs_sql, ts, SQLX_DDL_STATEMENTS_MAX);
    if (nts > 0 && sqlx_ddl_can_fail_on_rows(td->rs_sql, ts, nts))
        for (uint32_t i = 0; i < n->router.n_rs; i++)
            if (n->router.rs[i].buckets > 0)
                groups[ng++] = ROUTER_RS_GROUP(n->router.rs[i].id);
    if (ng == 0) {
        sqlx_ddl_propose(d, td);
        return;
    }
    if (!sqlx_ddl_encode(d, td))
        return;
    d->checking = ng;
    for (uint32_t i = 0; i < ng; i++)
        sqlx_run_start(s, groups[i], false, true, ts, nts, 0, sqlx_ddl_checked, d);
}


/* The SQLite name a table created as name gets: SQLX_TABLE_PREFIX + name, or, when a renamed
 * table holds that one, the first of name~1, name~2 ... that no table holds. false when none
 * fits (not before thousands of renames). */
static bool sqlx_sqlite_name_new(struct sqlx_catalog *cat, const char *name,
                                 char out[SQL_IDENT_BYTES_MAX + 8])
{
    for (uint32_t n = 0; n < 10000; n++) {
        if (n == 0)
            snprintf(out, SQL_IDENT_BYTES_MAX + 8, SQLX_TABLE_PREFIX "%s", name);
        else
            snprintf(out, SQL_IDENT_BYTES_MAX + 8, SQLX_TABLE_PREFIX "%s~%u", name, n);
        bool taken = false;
        for (uint32_t i = 0; i < cat->n && !taken; i++)
            taken = strcmp(cat->t[i].sqlite_name, out) == 0;
        if (!taken)
            return true;
    }
    return false;
}

/* A UNIQUE constraint's name: its own (given), or the one PostgreSQL gives it over cols of
 * table, table_col1_col2_key. */
static void sqlx_unique_name(const char *given, const char *table, const char *const *cols,
                             uint32_t n, char out[SQL_IDENT_BYTES_MAX + 1])
{
    if (given != NULL) {
        snprintf(out, SQL_IDENT_BYTES_MAX + 1, "%s", given);
        return;
    }
    int at = snprintf(out, SQL_IDENT_BYTES_MAX + 1, "%s", table);
    for (uint32_t k = 0; k < n && at < SQL_IDENT_BYTES_MAX; k++)
        at += snprintf(out + at, (size_t)(SQL_IDENT_BYTES_MAX + 1 - at), "_%s", cols[k]);
    if (at < SQL_IDENT_BYTES_MAX)
        snprintf(out + at, (size_t)(SQL_IDENT_BYTES_MAX + 1 - at), "_key");
}

static int sqlx_col_find(const struct sqlx_col *cols, uint32_t n, const char *name);

/* What an index over the columns named names[0..n) of cols indexes: known when each name is
 * one of them (a NULL name, an expression, is not). */
static struct sqlx_ixdef sqlx_ixdef_of(const struct sqlx_col *cols, uint32_t ncols,
                                       const char *const *names, uint32_t n, bool unique,
                                       bool constraint)
{
    struct sqlx_ixdef x = {.known = n > 0 && n <= SQLX_INDEX_COLS_MAX, .unique = unique,
                           .constraint = constraint};
    for (uint32_t k = 0; x.known && k < n; k++) {
        int c = names[k] != NULL ? sqlx_col_find(cols, ncols, names[k]) : -1;
        x.known = c >= 0;
        x.cols[x.ncols++] = (uint32_t)c;
    }
    return x;
}

/* What CREATE INDEX st indexes, for pg_catalog: its columns, and for an index of more than
 * ascending columns, the texts of its elements and WHERE (malloc'd, the caller's). Not known
 * when a text cannot be made. */
static void sqlx_ixdef_of_index(const struct sql_stmt *st, const struct sqlx_table *t,
                                struct sqlx_ixdef *x)
{
    const struct sql_create_index *ci = st->create_index;
    *x = (struct sqlx_ixdef){.known = ci->nelems > 0 && ci->nelems <= SQLX_INDEX_COLS_MAX,
                             .unique = ci->unique};
    bool plain = ci->where == NULL;
    for (uint32_t i = 0; x->known && i < ci->nelems; i++) {
        const struct sql_index_elem *el = &ci->elems[i];
        int c = el->column != NULL ? sqlx_col_find(t->cols, t->ncols, el->column) : -1;
        x->known = el->column == NULL || c >= 0;
        x->cols[x->ncols++] = c >= 0 ? (uint32_t)c : SQLX_INDEX_EXPR;
        plain = plain && c >= 0 && el->dir != SQL_SORT_DESC && el->nulls == SQL_NULLS_DEFAULT &&
                el->collation.name == NULL && el->opclass == NULL;
    }
    if (!x->known || plain)
        return;
    /* "lower(b)", "a DESC NULLS LAST": PostgreSQL shows NULLS only where it is not the
     * direction's default (last ascending, first descending) */
    struct buf e = BUF_INIT;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < ci->nelems; i++) {
        const struct sql_index_elem *el = &ci->elems[i];
        char *text = NULL;
        if (i > 0)
            rc = buf_append_u8(&e, SQLX_INDEX_ELEM_SEP);
        if (rc == 0 && el->column != NULL)
            rc = sql_catalog_quote_ident(el->column, &e);
        else if (rc == 0 && (rc = sqlx_expr_text(st, el->loc, el->expr_end, &text)) == 0)
            rc = strchr(text, SQLX_INDEX_ELEM_SEP) != NULL ? ERR_MALFORMED
                                                           : buf_printf(&e, "%s", text);
        free(text);
        bool desc = el->dir == SQL_SORT_DESC;
        if (rc == 0 && desc)
            rc = buf_printf(&e, " DESC");
        if (rc == 0 && el->nulls == (desc ? SQL_NULLS_LAST : SQL_NULLS_FIRST))
            rc = buf_printf(&e, desc ? " NULLS LAST" : " NULLS FIRST");
    }
    rc = rc ? rc : buf_append_u8(&e, 0);
    if (rc == 0 && ci->where != NULL)
        rc = sqlx_expr_text(st, ci->where_loc, ci->where_end, &x->where);
    if (rc != 0) {
        buf_free(&e);
        free(x->where);
        *x = (struct sqlx_ixdef){0};
        return;
    }
    x->elems = (char *)e.data;
}

static int sqlx_col_index(const struct sql_create_table *ct, const char *name)
{
    for (uint32_t i = 0; i < ct->columns.n; i++)
        if (strcmp(ct->columns.v[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void sqlx_do_create_table(struct sqlx_session *s, const struct sql_stmt *st)
{
    const struct sql_create_table *ct = st->create_table;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const char *name = ct->table.name;
    if (ct->as_select != NULL || ct->temporary) {
        pg_send_errorf(s->c, "0A000", "CREATE TABLE %s is not supported yet",
                       ct->as_select ? "AS SELECT" : "TEMPORARY");
        goto fail;
    }
    if (ct->table.schema != NULL && strcmp(ct->table.schema, "public") != 0) {
        pg_send_errorf(s->c, "3F000", "schema \"%s\" does not exist", ct->table.schema);
        goto fail;
    }
    if (ct->columns.n == 0 || ct->columns.n > SQL_COLUMNS_MAX) {
        pg_send_errorf(s->c, "42P16", "a table needs 1 to %d columns", SQL_COLUMNS_MAX);
        goto fail;
    }
    struct sqlx_col *cols = calloc(ct->columns.n, sizeof *cols);
    ASSERT(cols != NULL);
    uint32_t pk[16], npk = 0, dist[16], ndist = 0;
    for (uint32_t i = 0; i < ct->columns.n; i++) {
        const struct sql_column_def *cd = &ct->columns.v[i];
        snprintf(cols[i].name, sizeof cols[i].name, "%s", cd->name);
        cols[i].type = cd->type;
        cols[i].not_null = cd->not_null || cd->primary_key;
        if (cd->primary_key && npk < 16)
            pk[npk++] = i;
        if (cd->type.serial) {
            pg_send_errorf(s->c, "0A000", "serial columns are not supported yet; use an integer "
                           "primary key and give its values");
            free(cols);
            goto fail;
        }
    }
    for (uint32_t i = 0; i < ct->constraints.n; i++) {
        const struct sql_constraint *c = &ct->constraints.v[i];
        if (c->kind != SQL_CON_PRIMARY_KEY)
            continue;
        for (uint32_t k = 0; k < c->cols.n && npk < 16; k++) {
            int ix = sqlx_col_index(ct, c->cols.v[k]);
            if (ix < 0) {
                pg_send_errorf(s->c, "42703", "column \"%s\" named in key does not exist",
                               c->cols.v[k]);
                free(cols);
                goto fail;
            }
            pk[npk++] = (uint32_t)ix;
            cols[ix].not_null = true;
        }
    }
    bool global = ct->distribution == SQL_DIST_GLOBALLY;
    if (ct->distribution == SQL_DIST_BY) {
        for (uint32_t k = 0; k < ct->distributed_by.n && ndist < 16; k++) {
            int ix = sqlx_col_index(ct, ct->distributed_by.v[k]);
            if (ix < 0) {
                pg_send_errorf(s->c, "42703", "column \"%s\" named in DISTRIBUTED BY does not "
                               "exist", ct->distributed_by.v[k]);
                free(cols);
                goto fail;
            }
            dist[ndist++] = (uint32_t)ix;
        }
    } else if (!global) {
        /* By the primary key, else the first column (the issue's rule). */
        if (npk > 0) {
            memcpy(dist, pk, npk * sizeof *pk);
            ndist = npk;
        } else {
            dist[ndist++] = 0;
        }
    }
    /* its CHECKs, named, and the DEFAULTs' texts, for the catalogs and for errors */
    const uint32_t ncols = ct->columns.n; /* the statement may be gone at the end */
    struct buf extra = BUF_INIT, ddl = BUF_INIT, def = BUF_INIT, dflt = BUF_INIT;
    struct sql_printed printed = {0};
    struct sqlx_table v = {.cols = cols, .ncols = ncols, .ndist = ndist, .npk = npk};
    memcpy(v.dist, dist, sizeof dist);
    memcpy(v.pk, pk, sizeof pk);
    const char **check_names = NULL;
    int rc = sqlx_create_checks(st, &v.checks, &v.nchecks);
    for (uint32_t i = 0; rc == 0 && i < ct->columns.n; i++) {
        const struct sql_constraints *cs = &ct->columns.v[i].constraints;
        for (uint32_t k = 0; rc == 0 && k < cs->n; k++)
            if (cs->v[k].kind == SQL_CON_DEFAULT)
                rc = sqlx_expr_text(st, cs->v[k].expr_loc, cs->v[k].expr_end,
                                    (char **)&cols[i].default_text);
    }
    if (rc == 0 && (check_names = calloc(v.nchecks + 1, sizeof *check_names)) == NULL)
        rc = ERR_NOMEM;
    for (uint32_t i = 0; rc == 0 && i < v.nchecks; i++)
        check_names[i] = v.checks[i].name;
    if (rc == ERR_EXISTS) {
        pg_send_errorf(s->c, "42710", "constraint \"%s\" for relation \"%s\" already exists",
                       v.checks[v.nchecks].name, name);
        goto fail_free;
    }
    if (rc != 0) {
        pg_send_errorf(s->c, rc == ERR_TOOBIG ? "54000" : "XX000",
                       "recording the DEFAULT and CHECK expressions: %s", err_msg(rc));
        goto fail_free;
    }
    /* The replicaset's table, and its hidden bucket column. */
    if (!global) {
        buf_printf(&extra, "\"__bucket\" INTEGER GENERATED ALWAYS AS (cairn_bucket(");
        for (uint32_t k = 0; k < ndist; k++)
            buf_printf(&extra, "%s\"%s\"", k ? ", " : "", cols[dist[k]].name);
        buf_printf(&extra, ")) STORED");
        buf_append_u8(&extra, 0);
    }
    struct sqlx_print_ctx pctx = {.cat = cat, .creating = name};
    if (!sqlx_sqlite_name_new(cat, name, pctx.creating_sqlite)) {
        pg_send_errorf(s->c, "54000", "no SQLite name is left for table \"%s\"; choose another "
                       "name", name);
        goto fail_free;
    }
    memcpy(v.sqlite_name, pctx.creating_sqlite, sizeof v.sqlite_name);
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    o.replicaset_create = true;
    o.extra_column_def = global ? NULL : (const char *)extra.data;
    o.check_names = check_names;
    struct sql_error err = {0};
    if (sql_print(st, &o, &printed, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        goto fail_free;
    }
    buf_printf(&ddl, "%s", (const char *)printed.sql.data);
    if (!global) {
        /* The index keeps a bucket's rows cheap to find when it moves; the triggers keep
         * writes to buckets owned by the replicaset (table.h, Buckets). */
        buf_printf(&ddl, "; CREATE INDEX \"%s__bucket\" ON \"%s\"(\"__bucket\")",
                   pctx.creating_sqlite, pctx.creating_sqlite);
        table_bucket_triggers_sql(&ddl, pctx.creating_sqlite);
    }
    buf_append_u8(&ddl, 0);
    /* The DEFAULTs as SQLite SQL, for DEFAULT in INSERT and UPDATE. */
    size_t dflt_at[SQL_COLUMNS_MAX];
    bool dflt_ok = true;
    for (uint32_t i = 0; i < ct->columns.n && dflt_ok; i++) {
        dflt_at[i] = dflt.len;
        const struct sql_expr *de = ct->columns.v[i].default_expr;
        dflt_ok = de == NULL || (sql_print_expr(st, de, &o, &dflt, &err) == 0 &&
                                 buf_append_u8(&dflt, 0) == 0);
    }
    for (uint32_t i = 0; i < ct->columns.n && dflt_ok; i++)
        if (ct->columns.v[i].default_expr != NULL)
            cols[i].default_sql = (const char *)dflt.data + dflt_at[i];
    v.defaults_known = dflt_ok;
    /* its UNIQUE constraints, under the names PostgreSQL gives them, for pg_catalog */
    uint32_t nuq = 0, cap = ct->columns.n + ct->constraints.n + 1;
    char (*uq_names)[SQL_IDENT_BYTES_MAX + 1] = calloc(cap, sizeof *uq_names);
    char **uq = calloc(cap, sizeof *uq);
    struct sqlx_ixdef *uqd = calloc(cap, sizeof *uqd);
    ASSERT(uq_names != NULL && uq != NULL && uqd != NULL);
    for (uint32_t i = 0; i < ct->columns.n + ct->constraints.n; i++) {
        const struct sql_constraint *c =
            i < ct->columns.n ? NULL : &ct->constraints.v[i - ct->columns.n];
        if (c == NULL ? !ct->columns.v[i].unique : c->kind != SQL_CON_UNIQUE)
            continue;
        const char *const *names = c == NULL ? &ct->columns.v[i].name : c->cols.v;
        uint32_t n = c == NULL ? 1 : c->cols.n;
        uqd[nuq] = sqlx_ixdef_of(cols, ct->columns.n, names, n, true, true);
        if (!uqd[nuq].known)
            continue;
        sqlx_unique_name(c != NULL ? c->name : NULL, name, names, n, uq_names[nuq]);
        uq[nuq] = uq_names[nuq];
        nuq++;
    }
    v.indexes = uq;
    v.ixdefs = uqd;
    v.nindexes = nuq;
    sqlx_def_write(&def, &v, name);
    free(uq_names);
    free(uq);
    free(uqd);
    struct sqlx_ddl *d = calloc(1, sizeof *d);
    ASSERT(d != NULL);
    d->s = s;
    d->tag = "CREATE TABLE";
    d->if_not_exists = ct->if_not_exists;
    struct cluster_table_ddl td = {.expect_version = cat->version,
                                   .kind = CLUSTER_DDL_CREATE,
                                   .global = global,
                                   .name = name,
                                   .def = (const char *)def.data,
                                   .rs_sql = global ? "" : (const char *)ddl.data,
                                   .gov_sql = global ? (const char *)ddl.data : ""};
    sqlx_ddl_propose(d, &td);
    goto done;
fail_free:
    sqlx_failed(s);
    sqlx_statement_done(s);
done:
    buf_free(&ddl);
    buf_free(&def);
    buf_free(&extra);
    buf_free(&dflt);
    sql_printed_free(&printed);
    for (uint32_t i = 0; i < ncols; i++)
        free((char *)cols[i].default_text);
    for (uint32_t i = 0; i < v.nchecks; i++)
        free(v.checks[i].text);
    free(v.checks);
    free(check_names);
    free(cols);
    return;
fail:
    sqlx_failed(s);
    sqlx_statement_done(s);
}

static void sqlx_drop_next_cb(uv_timer_t *t)
{
    sqlx_drop_next(sqlx_ddl_waited(t));
}

/* DROP TABLE a, b, ...: one governor change per table, each expecting the catalog version the
 * one before made. So the next waits for this node's governor replica to have applied the
 * last (it may be a follower, behind the leader that answered): proposed against the older
 * version it would be refused, and the statement planned again would not find the tables
 * dropped already (42P01). */
static void sqlx_drop_next(struct sqlx_ddl *d)
{
    struct sqlx_session *s = d->s;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sql_drop *dr = d->st->drop;
    if (cat->version < d->version && clock_mono_ms() < s->deadline_ms) {
        s->ddl_barrier = d;
        uv_timer_start(&s->retry_timer, sqlx_drop_next_cb, SQLX_RETRY_MS, 0);
        return;
    }
    while (d->next_name < dr->names.n) {
        const struct sql_qname *q = &dr->names.v[d->next_name++];
        struct sqlx_table *t = sqlx_table_find(cat, q->schema, q->name);
        if (t == NULL) {
            if (!dr->if_exists) {
                pg_send_errorf(s->c, "42P01", "table \"%s\" does not exist", q->name);
                sqlx_failed(s);
                sqlx_ddl_free(d);
                sqlx_statement_done(s);
                return;
            }
            char msg[160];
            snprintf(msg, sizeof msg, "table \"%s\" does not exist, skipping", q->name);
            pg_send_notice(s->c, "00000", "NOTICE", msg, NULL, NULL);
            continue;
        }
        char sql[SQL_IDENT_BYTES_MAX * 2 + 64];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS \"%s\"", t->sqlite_name);
        struct cluster_table_ddl td = {.expect_version = cat->version,
                                       .kind = CLUSTER_DDL_DROP,
                                       .global = t->global,
                                       .name = t->name,
                                       .def = "",
                                       .rs_sql = t->global ? "" : sql,
                                       .gov_sql = t->global ? sql : ""};
        sqlx_ddl_propose(d, &td);
        return;
    }
    pg_send_command_complete(s->c, "DROP TABLE");
    sqlx_ddl_free(d);
    sqlx_statement_done(s);
}

static void sqlx_do_drop_table(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_ddl *d = calloc(1, sizeof *d);
    ASSERT(d != NULL);
    d->s = s;
    d->tag = "DROP TABLE";
    d->st = st;
    sqlx_drop_next(d);
}

/* DDL that changes a table's SQLite schema but not its definition here:
 * indexes, primary keys added later (a unique index: SQLite cannot add a
 * key to an existing table). */
static void sqlx_do_schema_change(struct sqlx_session *s, const struct sqlx_table *t,
                                  const char *rs_sql, const char *tag, const char *def)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sqlx_ddl *d = calloc(1, sizeof *d);
    ASSERT(d != NULL);
    d->s = s;
    d->tag = tag;
    struct buf defbuf = BUF_INIT;
    if (def == NULL) {
        sqlx_def_write(&defbuf, t, t->name);
        def = (const char *)defbuf.data;
    }
    struct cluster_table_ddl td = {.expect_version = cat->version,
                                   .kind = CLUSTER_DDL_ALTER,
                                   .global = t->global,
                                   .name = t->name,
                                   .def = def,
                                   .rs_sql = t->global ? "" : rs_sql,
                                   .gov_sql = t->global ? rs_sql : ""};
    if (s->txn == SQLX_BLOCK || rs_sql[0] == '\0')
        sqlx_ddl_propose(d, &td); /* (nothing to try on the rows) */
    else
        sqlx_ddl_propose_checked(d, &td);
    buf_free(&defbuf);
}

static void sqlx_do_create_index(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sql_create_index *ci = st->create_index;
    struct sqlx_table *t = sqlx_table_find(cat, ci->table.schema, ci->table.name);
    if (t == NULL) {
        pg_send_errorf(s->c, "42P01", "relation \"%s\" does not exist", ci->table.name);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    /* the printer's name for an unnamed index */
    char made[SQL_IDENT_BYTES_MAX * 2 + 8];
    const char *name = ci->name;
    if (name == NULL) {
        snprintf(made, sizeof made, "%s_%s_idx", ci->table.name,
                 ci->nelems && ci->elems[0].column ? ci->elems[0].column : "expr");
        name = made;
    }
    if (sqlx_table_find(cat, NULL, name) != NULL || sqlx_index_find(cat, name) != NULL) {
        if (ci->if_not_exists) {
            pg_send_notice(s->c, "42P07", "NOTICE",
                           "relation already exists, skipping", NULL, NULL);
            pg_send_command_complete(s->c, "CREATE INDEX");
        } else {
            pg_send_errorf(s->c, "42P07", "relation \"%s\" already exists", name);
            sqlx_failed(s);
        }
        sqlx_statement_done(s);
        return;
    }
    for (uint32_t i = 0; i < ci->nelems; i++) {
        bool found = ci->elems[i].column == NULL;
        for (uint32_t k = 0; k < t->ncols && !found; k++)
            found = strcmp(t->cols[k].name, ci->elems[i].column) == 0;
        if (!found) {
            pg_send_errorf(s->c, "42703", "column \"%s\" does not exist", ci->elems[i].column);
            sqlx_failed(s);
            sqlx_statement_done(s);
            return;
        }
    }
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sql_printed printed = {0};
    struct sql_error err = {0};
    if (sql_print(st, &o, &printed, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    char **ix = calloc(t->nindexes + 1, sizeof *ix);
    struct sqlx_ixdef *ixd = calloc(t->nindexes + 1, sizeof *ixd);
    ASSERT(ix != NULL && ixd != NULL);
    if (t->nindexes > 0) {
        memcpy(ix, t->indexes, t->nindexes * sizeof *ix);
        memcpy(ixd, t->ixdefs, t->nindexes * sizeof *ixd);
    }
    ix[t->nindexes] = (char *)name;
    /* what it indexes, for pg_catalog */
    struct sqlx_ixdef *x = &ixd[t->nindexes];
    sqlx_ixdef_of_index(st, t, x);
    struct buf def = BUF_INIT;
    struct sqlx_table v = *t;
    v.indexes = ix;
    v.ixdefs = ixd;
    v.nindexes = t->nindexes + 1;
    sqlx_def_write(&def, &v, t->name);
    sqlx_do_schema_change(s, t, (const char *)printed.sql.data, "CREATE INDEX",
                          (const char *)def.data);
    free(x->elems);
    free(x->where);
    buf_free(&def);
    free(ix);
    free(ixd);
    sql_printed_free(&printed);
}

/* DROP INDEX: every index named must be one a CREATE INDEX of the catalog made, all of one
 * table (0A000 otherwise); the change goes through the governor like CREATE INDEX. */
static void sqlx_do_drop_index(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sql_drop *d = st->drop;
    struct sqlx_table *t = NULL;
    struct buf sql = BUF_INIT, def = BUF_INIT;
    char **keep = NULL;
    for (uint32_t i = 0; i < d->names.n; i++) {
        const struct sql_qname *q = &d->names.v[i];
        struct sqlx_table *it = q->schema == NULL || strcmp(q->schema, "public") == 0
                                    ? sqlx_index_find(cat, q->name)
                                    : NULL;
        if (it == NULL) {
            if (!d->if_exists) {
                pg_send_errorf(s->c, "42704", "index \"%s\" does not exist", q->name);
                goto fail;
            }
            char msg[SQL_IDENT_BYTES_MAX + 64];
            snprintf(msg, sizeof msg, "index \"%s\" does not exist, skipping", q->name);
            pg_send_notice(s->c, "00000", "NOTICE", msg, NULL, NULL);
            continue;
        }
        for (uint32_t k = 0; k < it->nindexes; k++)
            if (it->ixdefs[k].constraint && strcmp(it->indexes[k], q->name) == 0) {
                pg_send_errorf(s->c, "2BP01", "cannot drop index %s because constraint %s on "
                               "table %s requires it", q->name, q->name, it->name);
                goto fail;
            }
        if (t != NULL && it != t) {
            pg_send_errorf(s->c, "0A000", "DROP INDEX of indexes of several tables is not "
                           "supported yet; drop them one table at a time");
            goto fail;
        }
        t = it;
        buf_printf(&sql, "%sDROP INDEX IF EXISTS \"%s\"", sql.len ? "; " : "", q->name);
    }
    if (t == NULL) {
        pg_send_command_complete(s->c, "DROP INDEX");
        sqlx_statement_done(s);
        return;
    }
    buf_append_u8(&sql, 0);
    keep = calloc(t->nindexes + 1, sizeof *keep);
    struct sqlx_ixdef *keep_defs = calloc(t->nindexes + 1, sizeof *keep_defs);
    ASSERT(keep != NULL && keep_defs != NULL);
    uint32_t nkeep = 0;
    for (uint32_t i = 0; i < t->nindexes; i++) {
        bool dropped = false;
        for (uint32_t k = 0; k < d->names.n && !dropped; k++)
            dropped = strcmp(d->names.v[k].name, t->indexes[i]) == 0;
        if (!dropped) {
            keep_defs[nkeep] = t->ixdefs[i];
            keep[nkeep++] = t->indexes[i];
        }
    }
    struct sqlx_table v = *t;
    v.indexes = keep;
    v.ixdefs = keep_defs;
    v.nindexes = nkeep;
    sqlx_def_write(&def, &v, t->name);
    free(keep_defs);
    sqlx_do_schema_change(s, t, (const char *)sql.data, "DROP INDEX", (const char *)def.data);
    buf_free(&sql);
    buf_free(&def);
    free(keep);
    return;
fail:
    buf_free(&sql);
    sqlx_failed(s);
    sqlx_statement_done(s);
}

/* The value of expr (SQLite SQL of a constant: a literal, a cast of one) assigned to a column
 * of type t, as a SQLite literal appended to out: ALTER TABLE ADD COLUMN takes only constant
 * defaults. Computed with the function library in a scratch database. Returns 0, or -1 with
 * the SQLSTATE and message of the failure (22P02 for DEFAULT 'x' on an integer). */
static int sqlx_const_literal(const char *expr, const struct sql_type *t, struct buf *out,
                              char state[6], char *msg, size_t cap)
{
    struct sql_func_env env = {.now_us = sqlx_now_us()};
    struct errbuf eb = {{0}};
    struct buf q = BUF_INIT, ty = BUF_INIT;
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    memcpy(state, "XX000", 6);
    snprintf(msg, cap, "cannot compute the default");
    struct sql_type plain = *t;
    plain.serial = false;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sql_func_register(db, &env, &eb) != 0 || sql_type_format(&plain, &ty) != 0 ||
        buf_append_u8(&ty, 0) != 0 ||
        buf_printf(&q, "SELECT pg_cast((%s), '%s')", expr, (const char *)ty.data) != 0)
        goto out;
    if (sqlite3_prepare_v2(db, (const char *)q.data, (int)q.len, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW) {
        const char *m = sqlite3_errmsg(db);
        if (strlen(m) > 7 && m[5] == ':' && m[6] == ' ') {
            memcpy(state, m, 5);
            state[5] = '\0';
            m += 7;
        }
        snprintf(msg, cap, "%s", m);
        goto out;
    }
    sqlite3_value *v = sqlite3_column_value(stmt, 0);
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        rc = buf_printf(out, "%lld", (long long)sqlite3_value_int64(v));
        break;
    case SQLITE_FLOAT:
        rc = buf_printf(out, "%.17g", sqlite3_value_double(v));
        break;
    case SQLITE_TEXT: {
        const char *text = (const char *)sqlite3_value_text(v);
        rc = buf_printf(out, "'");
        for (const char *c = text; rc == 0 && *c; c++)
            rc = *c == '\'' ? buf_printf(out, "''") : buf_append_u8(out, (uint8_t)*c);
        if (rc == 0)
            rc = buf_printf(out, "'");
        break;
    }
    case SQLITE_BLOB: {
        const uint8_t *b = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        rc = buf_printf(out, "X'");
        for (int i = 0; rc == 0 && i < n; i++)
            rc = buf_printf(out, "%02x", b[i]);
        if (rc == 0)
            rc = buf_printf(out, "'");
        break;
    }
    default:
        rc = buf_printf(out, "NULL");
        break;
    }
    if (rc != 0)
        rc = -1;
out:
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    buf_free(&q);
    buf_free(&ty);
    return rc;
}

static int sqlx_col_find(const struct sqlx_col *cols, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A column that exists (ADD) or does not (DROP): with IF [NOT] EXISTS a notice and the
 * command is skipped (true), else the error (false). */
static bool sqlx_alter_skip(struct sqlx_session *s, bool skip, const char *state,
                            const char *col, const char *table, const char *why)
{
    char msg[2 * SQL_IDENT_BYTES_MAX + 64];
    snprintf(msg, sizeof msg, "column \"%s\" of relation \"%s\" %s%s", col, table, why,
             skip ? ", skipping" : "");
    if (skip)
        pg_send_notice(s->c, state, "NOTICE", msg, NULL, NULL);
    else
        pg_send_errorf(s->c, state, "%s", msg);
    return skip;
}

/* s as an SQL string literal. */
static void sqlx_put_literal(struct buf *out, const char *s)
{
    buf_append_u8(out, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '\'')
            buf_append_u8(out, '\'');
        buf_append_u8(out, (uint8_t)*s);
    }
    buf_append_u8(out, '\'');
}

/* "; CREATE INDEX <name> ON t(pg_not_null(c, ...), ...) WHERE c IS NULL OR ...": NOT NULL on
 * columns SQLite cannot alter (see pg_not_null), checked on the rows there as it is created. */
static void sqlx_not_null_index(struct buf *sql, const struct sqlx_table *t, const char *suffix,
                                const char *const *cols, uint32_t n)
{
    buf_printf(sql, "; CREATE INDEX \"%s_%s_nn\" ON \"%s\"(", t->sqlite_name, suffix,
               t->sqlite_name);
    for (uint32_t k = 0; k < n; k++) {
        buf_printf(sql, "%spg_not_null(\"%s\", ", k ? ", " : "", cols[k]);
        sqlx_put_literal(sql, cols[k]);
        buf_printf(sql, ", ");
        sqlx_put_literal(sql, t->name);
        buf_printf(sql, ")");
    }
    buf_printf(sql, ") WHERE ");
    for (uint32_t k = 0; k < n; k++)
        buf_printf(sql, "%s\"%s\" IS NULL", k ? " OR " : "", cols[k]);
}

/* A schema change that the rows may refuse asks them first, to fail in PostgreSQL's words (the
 * index it builds would fail in a row's): an index over the rows where where holds, whose key
 * is the error (pg_raise_if), made and dropped at once under the name of the one that follows
 * "; CREATE INDEX name ...". A statement, not a SELECT, so that a tentative run does not leave
 * it out (table_replay_plan). */
static void sqlx_rows_check(struct buf *sql, const struct sqlx_table *t, const char *index,
                            const char *sqlstate, const char *message, const char *where)
{
    buf_printf(sql, "CREATE INDEX \"%s\" ON \"%s\"(pg_raise_if(%s, '%s', ", index,
               t->sqlite_name, where, sqlstate);
    sqlx_put_literal(sql, message);
    buf_printf(sql, ")) WHERE %s; DROP INDEX \"%s\"", where, index);
}

/* ALTER COLUMN SET NOT NULL (an index, as ADD COLUMN's) and DROP NOT NULL (of such an index
 * only: a column made NOT NULL with the table is SQLite's, which it cannot alter). 1 done,
 * 0 nothing to do (as it is already, as in PostgreSQL), -1 refused (the error sent). */
static int sqlx_alter_not_null(struct sqlx_session *s, const struct sqlx_table *t,
                                const struct sql_alter_cmd *cmd, struct sqlx_col *cols,
                                uint32_t ncols, const uint32_t *pk, uint32_t npk, struct buf *sql)
{
    int ix = sqlx_col_find(cols, ncols, cmd->name);
    if (ix < 0) {
        pg_send_errorf(s->c, "42703", "column \"%s\" of relation \"%s\" does not exist",
                       cmd->name, t->name);
        return -1;
    }
    struct sqlx_col *c = &cols[ix];
    if (c->not_null == (cmd->kind == SQL_ALTER_SET_NOT_NULL))
        return 0;
    if (cmd->kind == SQL_ALTER_SET_NOT_NULL) {
        char msg[2 * SQL_IDENT_BYTES_MAX + 64], where[SQL_IDENT_BYTES_MAX + 16];
        snprintf(msg, sizeof msg, "column \"%s\" of relation \"%s\" contains null values",
                 c->name, t->name);
        snprintf(where, sizeof where, "\"%s\" IS NULL", c->name);
        char index[2 * SQL_IDENT_BYTES_MAX + 16];
        snprintf(index, sizeof index, "%s_%s_nn", t->sqlite_name, c->name);
        sqlx_rows_check(sql, t, index, "23502", msg, where);
        const char *name = c->name;
        sqlx_not_null_index(sql, t, name, &name, 1);
        c->not_null = true;
        c->nn_index = true;
        return 1;
    }
    for (uint32_t k = 0; k < npk; k++)
        if (pk[k] == (uint32_t)ix) {
            pg_send_errorf(s->c, "42P16", "column \"%s\" is in a primary key", c->name);
            return -1;
        }
    if (!c->nn_index) {
        pg_send_error(s->c, "0A000", "ERROR",
                      "cannot drop NOT NULL from a column made NOT NULL with its table", NULL,
                      "SQLite cannot alter a column; only a NOT NULL added by ALTER TABLE "
                      "(SET NOT NULL, or ADD COLUMN ... NOT NULL without a DEFAULT) can be "
                      "dropped",
                      0);
        return -1;
    }
    buf_printf(sql, "DROP INDEX IF EXISTS \"%s_%s_nn\"", t->sqlite_name, c->name);
    c->not_null = false;
    c->nn_index = false;
    return 1;
}

/* ADD CONSTRAINT ... CHECK: SQLite cannot add a CHECK to a table, so an index over the rows
 * that break it (WHERE NOT (check)) whose key is an error (pg_check_violated) enforces it, and
 * the rows there are asked first. Appended to checks (*n), indexed. */
static bool sqlx_alter_add_check(struct sqlx_session *s, const struct sql_stmt *st,
                                 const struct sqlx_table *t, const struct sql_constraint *c,
                                 const struct sqlx_col *cols, uint32_t ncols,
                                 struct sqlx_check *checks, uint32_t *n,
                                 const struct sql_print_opts *o, struct buf *sql)
{
    int rc = sqlx_check_add(st, t->name, c, -1, checks, n);
    if (rc == ERR_EXISTS) {
        pg_send_errorf(s->c, "42710", "constraint \"%s\" for relation \"%s\" already exists",
                       checks[*n].name, t->name);
        return false;
    }
    if (rc != 0) {
        pg_send_errorf(s->c, rc == ERR_TOOBIG ? "54000" : "XX000",
                       "recording the CHECK expression: %s", err_msg(rc));
        return false;
    }
    struct sqlx_check *k = &checks[*n - 1];
    k->indexed = true;
    const char *key = NULL; /* a column it names: the index's key is computed per row */
    for (uint32_t i = 0; i < ncols && key == NULL; i++)
        if (sqlx_text_names(k->text, cols[i].name))
            key = cols[i].name;
    if (key == NULL) {
        pg_send_errorf(s->c, "0A000", "a CHECK added by ALTER TABLE must name a column");
        return false;
    }
    struct buf where = BUF_INIT;
    struct sql_error err = {0};
    buf_printf(&where, "NOT (");
    if (sql_print_expr(st, c->expr, o, &where, &err) != 0) {
        pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        buf_free(&where);
        return false;
    }
    buf_printf(&where, ")");
    buf_append_u8(&where, 0);
    char msg[2 * SQL_IDENT_BYTES_MAX + 64];
    snprintf(msg, sizeof msg, "check constraint \"%s\" of relation \"%s\" is violated by some row",
             k->name, t->name);
    char index[2 * SQL_IDENT_BYTES_MAX + 16];
    snprintf(index, sizeof index, "%s_%s_ck", t->sqlite_name, k->name);
    sqlx_rows_check(sql, t, index, "23514", msg, (const char *)where.data);
    buf_printf(sql, "; CREATE INDEX \"%s\" ON \"%s\"(pg_check_violated(\"%s\", ", index,
               t->sqlite_name, key);
    sqlx_put_literal(sql, k->name);
    buf_printf(sql, ", ");
    sqlx_put_literal(sql, t->name);
    buf_printf(sql, ")) WHERE %s", (const char *)where.data);
    buf_free(&where);
    return true;
}

/* 0A000 for DROP CONSTRAINT of one made with the table (SQLite's own); returns -1. */
static int sqlx_refuse_made_constraint(struct sqlx_session *s, const struct sqlx_table *t,
                                       const char *name)
{
    char msg[2 * SQL_IDENT_BYTES_MAX + 96];
    snprintf(msg, sizeof msg, "cannot drop constraint \"%s\" of relation \"%s\": it was made "
             "with the table", name, t->name);
    pg_send_error(s->c, "0A000", "ERROR", msg, NULL,
                  "SQLite cannot alter a table's constraints; only a CHECK or UNIQUE constraint "
                  "added by ALTER TABLE ... ADD CONSTRAINT can be dropped",
                  0);
    return -1;
}

/* DROP CONSTRAINT of a CHECK or a UNIQUE constraint added by ALTER TABLE: its index goes.
 * 1 done, 0 skipped (IF EXISTS), -1 refused (the error sent). */
static int sqlx_alter_drop_constraint(struct sqlx_session *s, const struct sqlx_table *t,
                                      const struct sql_alter_cmd *cmd, struct sqlx_check *checks,
                                      uint32_t *nchecks, struct sqlx_ixdef *ixd, char **ixn,
                                      uint32_t *nix, struct buf *sql)
{
    char msg[2 * SQL_IDENT_BYTES_MAX + 96];
    for (uint32_t k = 0; k < *nchecks; k++) {
        if (strcmp(checks[k].name, cmd->name) != 0)
            continue;
        if (!checks[k].indexed)
            return sqlx_refuse_made_constraint(s, t, cmd->name);
        buf_printf(sql, "DROP INDEX IF EXISTS \"%s_%s_ck\"", t->sqlite_name, cmd->name);
        free(checks[k].text);
        memmove(&checks[k], &checks[k + 1], (*nchecks - k - 1) * sizeof *checks);
        (*nchecks)--;
        return 1;
    }
    for (uint32_t i = 0; i < *nix; i++) {
        if (!ixd[i].constraint || strcmp(ixn[i], cmd->name) != 0)
            continue;
        if (!ixd[i].added)
            return sqlx_refuse_made_constraint(s, t, cmd->name);
        buf_printf(sql, "DROP INDEX IF EXISTS \"%s_%s\"", t->sqlite_name, cmd->name);
        free(ixd[i].elems);
        free(ixd[i].where);
        memmove(&ixd[i], &ixd[i + 1], (*nix - i - 1) * sizeof *ixd);
        memmove(&ixn[i], &ixn[i + 1], (*nix - i - 1) * sizeof *ixn);
        (*nix)--;
        return 1;
    }
    char pkey[SQL_IDENT_BYTES_MAX + 8];
    snprintf(pkey, sizeof pkey, "%s_pkey", t->name);
    if (t->npk > 0 && strcmp(cmd->name, pkey) == 0) {
        pg_send_errorf(s->c, "0A000", "dropping a primary key is not supported");
        return -1;
    }
    snprintf(msg, sizeof msg, "constraint \"%s\" of relation \"%s\" does not exist%s",
             cmd->name, t->name, cmd->if_exists ? ", skipping" : "");
    if (cmd->if_exists) {
        pg_send_notice(s->c, "42704", "NOTICE", msg, NULL, NULL);
        return 0;
    }
    pg_send_errorf(s->c, "42704", "%s", msg);
    return -1;
}

/* ALTER TABLE t RENAME TO new_name: the catalog's entry takes the new name, and the SQLite
 * table keeps its own (the definition's "sq"), so no replicaset changes anything: rows,
 * indexes and triggers stay as they are, and statements planned with the old name are
 * planned again (the schema version moves). */
static void sqlx_do_rename_table(struct sqlx_session *s, const struct sqlx_table *t,
                                 const char *new_name)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    if (sqlx_table_find(cat, NULL, new_name) != NULL) {
        pg_send_errorf(s->c, "42P07", "relation \"%s\" already exists", new_name);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    struct buf def = BUF_INIT;
    sqlx_def_write(&def, t, new_name);
    struct sqlx_ddl *d = calloc(1, sizeof *d);
    ASSERT(d != NULL);
    d->s = s;
    d->tag = "ALTER TABLE";
    struct cluster_table_ddl td = {.expect_version = cat->version,
                                   .kind = CLUSTER_DDL_RENAME,
                                   .global = t->global,
                                   .name = t->name,
                                   .new_name = new_name,
                                   .def = (const char *)def.data,
                                   .rs_sql = "",
                                   .gov_sql = ""};
    sqlx_ddl_propose(d, &td);
    buf_free(&def);
}

/* ALTER TABLE: its commands in order, each a SQLite statement of the change (joined for one
 * schema change) and an edit of the table's definition. */
static void sqlx_do_alter_table(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sql_alter_table *at = st->alter_table;
    struct sqlx_table *t = sqlx_table_find(cat, at->table.schema, at->table.name);
    if (t == NULL) {
        if (at->if_exists) {
            char msg[160];
            snprintf(msg, sizeof msg, "relation \"%s\" does not exist, skipping",
                     at->table.name);
            pg_send_notice(s->c, "00000", "NOTICE", msg, NULL, NULL);
            pg_send_command_complete(s->c, "ALTER TABLE");
        } else {
            pg_send_errorf(s->c, "42P01", "relation \"%s\" does not exist", at->table.name);
            sqlx_failed(s);
        }
        sqlx_statement_done(s);
        return;
    }
    if (at->ncmds == 1 && at->cmds[0].kind == SQL_ALTER_RENAME_TABLE) {
        sqlx_do_rename_table(s, t, at->cmds[0].new_name);
        return;
    }
    struct buf sql = BUF_INIT, def = BUF_INIT;
    uint32_t cap = t->ncols + at->ncmds;
    struct sqlx_col *cols = calloc(cap + 1, sizeof *cols);
    /* The statement may be freed before the cleanup below (sqlx_statement_done ends it). */
    const uint32_t ncmds = at->ncmds;
    char **dflts = calloc(ncmds + 1, sizeof *dflts); /* the added columns' DEFAULTs */
    ASSERT(cols != NULL && dflts != NULL);
    memcpy(cols, t->cols, t->ncols * sizeof *cols);
    uint32_t ncols = t->ncols;
    /* the DEFAULTs' and CHECKs' texts, copies of this one's: renames rewrite them */
    for (uint32_t i = 0; i < ncols; i++) {
        if (cols[i].default_text != NULL) {
            cols[i].default_text = strdup(cols[i].default_text);
            ASSERT(cols[i].default_text != NULL);
        }
    }
    uint32_t ncheck_cap = t->nchecks;
    for (uint32_t ci = 0; ci < ncmds; ci++) {
        const struct sql_alter_cmd *cmd = &at->cmds[ci];
        if (cmd->kind == SQL_ALTER_ADD_COLUMN && cmd->column != NULL)
            ncheck_cap += cmd->column->constraints.n;
        else if (cmd->kind == SQL_ALTER_ADD_CONSTRAINT && cmd->constraint != NULL)
            ncheck_cap += cmd->constraint->kind == SQL_CON_CHECK;
    }
    struct sqlx_check *checks = calloc(ncheck_cap + 1, sizeof *checks);
    uint32_t nchecks = t->nchecks;
    ASSERT(checks != NULL);
    for (uint32_t i = 0; i < nchecks; i++) {
        checks[i] = t->checks[i];
        checks[i].text = strdup(t->checks[i].text);
        ASSERT(checks[i].text != NULL);
    }
    uint32_t dist[16], pk[16], npk = t->npk;
    memcpy(dist, t->dist, sizeof dist);
    memcpy(pk, t->pk, sizeof pk);
    /* the indexes and UNIQUE constraints: positions move, constraints may be added */
    uint32_t nix = t->nindexes;
    struct sqlx_ixdef *ixd = calloc(nix + ncmds + 1, sizeof *ixd);
    char **ixn = calloc(nix + ncmds + 1, sizeof *ixn);
    char (*uq_names)[SQL_IDENT_BYTES_MAX + 1] = calloc(ncmds + 1, sizeof *uq_names);
    ASSERT(ixd != NULL && ixn != NULL && uq_names != NULL);
    if (nix > 0) {
        memcpy(ixd, t->ixdefs, nix * sizeof *ixd);
        memcpy(ixn, t->indexes, nix * sizeof *ixn);
    }
    for (uint32_t i = 0; i < nix; i++)
        sqlx_ixdef_own(&ixd[i]);
    bool def_changed = false; /* a change of the definition alone */
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    for (uint32_t ci = 0; ci < at->ncmds; ci++) {
        const struct sql_alter_cmd *cmd = &at->cmds[ci];
        size_t mark = sql.len;
        if (sql.len > 0)
            buf_printf(&sql, "; ");
        if (cmd->kind == SQL_ALTER_ADD_CONSTRAINT && cmd->constraint != NULL &&
            (cmd->constraint->kind == SQL_CON_PRIMARY_KEY ||
             cmd->constraint->kind == SQL_CON_UNIQUE)) {
            const struct sql_constraint *c = cmd->constraint;
            if (c->kind == SQL_CON_UNIQUE)
                sqlx_unique_name(c->name, t->name, c->cols.v, c->cols.n, uq_names[ci]);
            buf_printf(&sql, "CREATE UNIQUE INDEX \"%s_%s\" ON \"%s\"(", t->sqlite_name,
                       c->kind == SQL_CON_PRIMARY_KEY ? "pkey" : uq_names[ci], t->sqlite_name);
            for (uint32_t k = 0; k < c->cols.n; k++) {
                if (sqlx_col_find(cols, ncols, c->cols.v[k]) < 0) {
                    pg_send_errorf(s->c, "42703", "column \"%s\" named in key does not exist",
                                   c->cols.v[k]);
                    goto fail_free;
                }
                buf_printf(&sql, "%s\"%s\"", k ? ", " : "", c->cols.v[k]);
            }
            buf_printf(&sql, ")");
            if (c->kind == SQL_CON_UNIQUE) {
                ixd[nix] = sqlx_ixdef_of(cols, ncols, c->cols.v, c->cols.n, true, true);
                ixd[nix].added = true;
                ixn[nix++] = uq_names[ci];
            }
            if (c->kind == SQL_CON_PRIMARY_KEY) {
                if (npk > 0) {
                    pg_send_errorf(s->c, "42P16", "multiple primary keys for table \"%s\" are "
                                   "not allowed", t->name);
                    goto fail_free;
                }
                /* a key's columns become NOT NULL: those that were not, through an index */
                const char *nullable[16];
                uint32_t nn = 0;
                for (npk = 0; npk < c->cols.n && npk < 16; npk++) {
                    int i = sqlx_col_find(cols, ncols, c->cols.v[npk]);
                    pk[npk] = (uint32_t)i;
                    if (!cols[i].not_null)
                        nullable[nn++] = c->cols.v[npk];
                    cols[i].not_null = true;
                }
                if (nn > 0)
                    sqlx_not_null_index(&sql, t, "pkey", nullable, nn);
            }
        } else if (cmd->kind == SQL_ALTER_ADD_COLUMN && cmd->column != NULL) {
            const struct sql_column_def *cd = cmd->column;
            if (sqlx_col_find(cols, ncols, cd->name) >= 0) {
                if (!sqlx_alter_skip(s, cmd->if_not_exists, "42701", cd->name, t->name,
                                     "already exists"))
                    goto fail_free;
                sql.len = mark;
                continue;
            }
            struct buf decl = BUF_INIT;
            if (sql_type_decl(&cd->type, &decl) != 0) {
                if (cd->type.kind == SQL_TYPE_OTHER && cd->type.name != NULL &&
                    !sql_type_is_builtin(cd->type.name))
                    pg_send_errorf(s->c, "42704", "type \"%s\" does not exist", cd->type.name);
                else
                    pg_send_errorf(s->c, "0A000", "type of column \"%s\" is not supported yet",
                                   cd->name);
                buf_free(&decl);
                goto fail_free;
            }
            buf_append_u8(&decl, 0);
            buf_printf(&sql, "ALTER TABLE \"%s\" ADD COLUMN \"%s\" %s", t->sqlite_name,
                       cd->name, (const char *)decl.data);
            buf_free(&decl);
            struct buf e = BUF_INIT;
            struct sql_error err = {0};
            ASSERT(ncols < cap);
            memset(&cols[ncols], 0, sizeof cols[ncols]);
            for (uint32_t k = 0; k < cd->constraints.n; k++) {
                const struct sql_constraint *c = &cd->constraints.v[k];
                int rc = c->kind != SQL_CON_DEFAULT
                             ? 0
                             : sqlx_expr_text(st, c->expr_loc, c->expr_end,
                                              (char **)&cols[ncols].default_text);
                if (rc != 0) {
                    pg_send_errorf(s->c, rc == ERR_TOOBIG ? "54000" : "XX000",
                                   "recording the DEFAULT expression: %s", err_msg(rc));
                    goto fail_free;
                }
            }
            if (cd->default_expr != NULL) {
                if (sql_print_expr(st, cd->default_expr, &o, &e, &err) != 0) {
                    pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL,
                                  err.position);
                    buf_free(&e);
                    goto fail_free;
                }
                buf_append_u8(&e, 0);
                dflts[ci] = strdup((const char *)e.data);
                ASSERT(dflts[ci] != NULL);
                buf_free(&e);
                if (sql_expr_is_value(cd->default_expr)) {
                    /* SQLite adds a column only with a constant default: the value, computed */
                    char state[6], msg[256];
                    struct buf lit = BUF_INIT;
                    if (sqlx_const_literal(dflts[ci], &cd->type, &lit, state, msg,
                                           sizeof msg) != 0) {
                        pg_send_errorf(s->c, state, "%s", msg);
                        buf_free(&lit);
                        goto fail_free;
                    }
                    buf_append_u8(&lit, 0);
                    buf_printf(&sql, " DEFAULT %s", (const char *)lit.data);
                    buf_free(&lit);
                } else {
                    buf_printf(&sql, " DEFAULT (%s)", dflts[ci]);
                }
            }
            if (cd->not_null && cd->default_expr != NULL)
                buf_printf(&sql, " NOT NULL");
            /* CHECKs hold for the rows there (SQLite tests them as it adds the column) */
            for (uint32_t k = 0; k < cd->constraints.n; k++) {
                const struct sql_constraint *c = &cd->constraints.v[k];
                if (c->kind != SQL_CON_CHECK)
                    continue;
                int rc = sqlx_check_add(st, t->name, c, (int32_t)ncols, checks, &nchecks);
                if (rc == ERR_EXISTS) {
                    pg_send_errorf(s->c, "42710", "constraint \"%s\" for relation \"%s\" "
                                   "already exists", checks[nchecks].name, t->name);
                    goto fail_free;
                }
                if (rc != 0) {
                    pg_send_errorf(s->c, rc == ERR_TOOBIG ? "54000" : "XX000",
                                   "recording the CHECK expression: %s", err_msg(rc));
                    goto fail_free;
                }
                buf_printf(&sql, " CONSTRAINT \"%s\" CHECK (", checks[nchecks - 1].name);
                if (sql_print_expr(st, c->expr, &o, &sql, &err) != 0) {
                    pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL,
                                  err.position);
                    goto fail_free;
                }
                buf_printf(&sql, ")");
            }
            if (cd->not_null && cd->default_expr == NULL) {
                /* SQLite adds NOT NULL only with a default; without one PostgreSQL refuses a
                 * table with rows (their new column is NULL), as this index does (23502) */
                const char *name = cd->name;
                sqlx_not_null_index(&sql, t, name, &name, 1);
            }
            snprintf(cols[ncols].name, sizeof cols[ncols].name, "%s", cd->name);
            cols[ncols].type = cd->type;
            cols[ncols].not_null = cd->not_null;
            cols[ncols].nn_index = cd->not_null && cd->default_expr == NULL;
            cols[ncols].default_sql = dflts[ci];
            ncols++;
        } else if (cmd->kind == SQL_ALTER_DROP_COLUMN) {
            int ix = sqlx_col_find(cols, ncols, cmd->name);
            if (ix < 0) {
                if (!sqlx_alter_skip(s, cmd->if_exists, "42703", cmd->name, t->name,
                                     "does not exist"))
                    goto fail_free;
                sql.len = mark;
                continue;
            }
            for (uint32_t k = 0; k < t->ndist; k++)
                if (dist[k] == (uint32_t)ix) {
                    pg_send_errorf(s->c, "0A000", "cannot drop a distribution key column");
                    goto fail_free;
                }
            for (uint32_t k = 0; k < npk; k++)
                if (pk[k] == (uint32_t)ix) {
                    pg_send_errorf(s->c, "0A000", "cannot drop a primary key column");
                    goto fail_free;
                }
            for (uint32_t k = 0; k < npk; k++)
                if (pk[k] > (uint32_t)ix)
                    pk[k]--;
            /* (SQLite drops no indexed column: its NOT NULL index goes first, and the
             * indexes of the CHECKs added by ALTER TABLE that name it, which PostgreSQL
             * drops with it) */
            buf_printf(&sql, "DROP INDEX IF EXISTS \"%s_%s_nn\"; ", t->sqlite_name, cmd->name);
            for (uint32_t k = 0; k < nchecks; k++)
                if (checks[k].indexed && sqlx_text_names(checks[k].text, cmd->name)) {
                    buf_printf(&sql, "DROP INDEX IF EXISTS \"%s_%s_ck\"; ", t->sqlite_name,
                               checks[k].name);
                    checks[k].col = ix; /* dropped below, with the column's own */
                }
            buf_printf(&sql, "ALTER TABLE \"%s\" DROP COLUMN \"%s\"", t->sqlite_name,
                       cmd->name);
            free((char *)cols[ix].default_text);
            memmove(&cols[ix], &cols[ix + 1], (ncols - (uint32_t)ix - 1) * sizeof *cols);
            ncols--;
            memset(&cols[ncols], 0, sizeof cols[ncols]);
            /* its own CHECKs go with it (SQLite refuses to drop one another CHECK names) */
            uint32_t nkept = 0;
            for (uint32_t k = 0; k < nchecks; k++) {
                if (checks[k].col == ix) {
                    free(checks[k].text);
                    continue;
                }
                checks[k].col -= checks[k].col > ix;
                checks[nkept++] = checks[k];
            }
            nchecks = nkept;
            for (uint32_t k = 0; k < t->ndist; k++)
                if (dist[k] > (uint32_t)ix)
                    dist[k]--;
            for (uint32_t i = 0; i < nix; i++)
                for (uint32_t k = 0; k < ixd[i].ncols; k++) {
                    ixd[i].known &= ixd[i].cols[k] != (uint32_t)ix;
                    ixd[i].cols[k] -= ixd[i].cols[k] != SQLX_INDEX_EXPR &&
                                      ixd[i].cols[k] > (uint32_t)ix;
                }
        } else if (cmd->kind == SQL_ALTER_RENAME_COLUMN) {
            int ix = sqlx_col_find(cols, ncols, cmd->name);
            if (ix < 0) {
                pg_send_errorf(s->c, "42703", "column \"%s\" does not exist", cmd->name);
                goto fail_free;
            }
            if (sqlx_col_find(cols, ncols, cmd->new_name) >= 0) {
                pg_send_errorf(s->c, "42701", "column \"%s\" of relation \"%s\" already exists",
                               cmd->new_name, t->name);
                goto fail_free;
            }
            /* SQLite renames it in the generated bucket column and the indexes too */
            buf_printf(&sql, "ALTER TABLE \"%s\" RENAME COLUMN \"%s\" TO \"%s\"", t->sqlite_name,
                       cmd->name, cmd->new_name);
            snprintf(cols[ix].name, sizeof cols[ix].name, "%s", cmd->new_name);
            /* and in the DEFAULTs and CHECKs the catalogs show */
            for (uint32_t k = 0; k < ncols; k++)
                if (cols[k].default_text != NULL)
                    sqlx_text_rename((char **)&cols[k].default_text, cmd->name, cmd->new_name);
            for (uint32_t k = 0; k < nchecks; k++)
                sqlx_text_rename(&checks[k].text, cmd->name, cmd->new_name);
            for (uint32_t k = 0; k < nix; k++)
                sqlx_ixdef_rename(&ixd[k], cmd->name, cmd->new_name);
            if (cols[ix].not_null) {
                /* a NOT NULL index takes the column's new name */
                buf_printf(&sql, "; DROP INDEX IF EXISTS \"%s_%s_nn\"", t->sqlite_name,
                           cmd->name);
                const char *name = cols[ix].name;
                sqlx_not_null_index(&sql, t, name, &name, 1);
            }
        } else if (cmd->kind == SQL_ALTER_SET_DEFAULT || cmd->kind == SQL_ALTER_DROP_DEFAULT) {
            /* the definition's alone: the SQLite table keeps its own, which INSERT and COPY
             * no longer leave to it (default_stale) */
            int ix = sqlx_col_find(cols, ncols, cmd->name);
            if (ix < 0) {
                pg_send_errorf(s->c, "42703", "column \"%s\" of relation \"%s\" does not exist",
                               cmd->name, t->name);
                goto fail_free;
            }
            if (!t->defaults_known) {
                pg_send_errorf(s->c, "0A000", "table \"%s\" was made before Cairn recorded "
                               "DEFAULTs, so they cannot be changed; make it again to do so",
                               t->name);
                goto fail_free;
            }
            char *text = NULL;
            if (cmd->kind == SQL_ALTER_SET_DEFAULT) {
                struct buf e = BUF_INIT;
                struct sql_error err = {0};
                if (sql_print_expr(st, cmd->expr, &o, &e, &err) != 0) {
                    pg_send_error(s->c, err.sqlstate, "ERROR", err.message, NULL, NULL,
                                  err.position);
                    buf_free(&e);
                    goto fail_free;
                }
                buf_append_u8(&e, 0);
                free(dflts[ci]);
                dflts[ci] = (char *)e.data;
                int rc = sqlx_expr_text(st, cmd->expr_loc, cmd->expr_end, &text);
                if (rc != 0) {
                    pg_send_errorf(s->c, rc == ERR_TOOBIG ? "54000" : "XX000",
                                   "recording the DEFAULT expression: %s", err_msg(rc));
                    goto fail_free;
                }
            }
            cols[ix].default_sql = dflts[ci];
            free((char *)cols[ix].default_text);
            cols[ix].default_text = text;
            cols[ix].default_stale = true;
            sql.len = mark; /* nothing for the replicasets to run */
            def_changed = true;
        } else if (cmd->kind == SQL_ALTER_SET_NOT_NULL || cmd->kind == SQL_ALTER_DROP_NOT_NULL) {
            int rc = sqlx_alter_not_null(s, t, cmd, cols, ncols, pk, npk, &sql);
            if (rc < 0)
                goto fail_free;
            if (rc == 0)
                sql.len = mark;
        } else if (cmd->kind == SQL_ALTER_ADD_CONSTRAINT && cmd->constraint != NULL &&
                   cmd->constraint->kind == SQL_CON_CHECK) {
            if (!sqlx_alter_add_check(s, st, t, cmd->constraint, cols, ncols, checks, &nchecks,
                                      &o, &sql))
                goto fail_free;
        } else if (cmd->kind == SQL_ALTER_DROP_CONSTRAINT) {
            int rc = sqlx_alter_drop_constraint(s, t, cmd, checks, &nchecks, ixd, ixn, &nix,
                                                &sql);
            if (rc < 0)
                goto fail_free;
            if (rc == 0)
                sql.len = mark;
        } else {
            pg_send_errorf(s->c, "0A000", "this ALTER TABLE is not supported yet");
            goto fail_free;
        }
    }
    if (sql.len == 0 && !def_changed) {
        /* every command was skipped */
        pg_send_command_complete(s->c, "ALTER TABLE");
        sqlx_statement_done(s);
        goto done;
    }
    buf_append_u8(&sql, 0);
    struct sqlx_table v = *t;
    v.cols = cols;
    v.ncols = ncols;
    memcpy(v.dist, dist, sizeof dist);
    memcpy(v.pk, pk, sizeof pk);
    v.npk = npk;
    v.indexes = ixn;
    v.ixdefs = ixd;
    v.nindexes = nix;
    v.checks = checks;
    v.nchecks = nchecks;
    sqlx_def_write(&def, &v, t->name);
    sqlx_do_schema_change(s, t, (const char *)sql.data, "ALTER TABLE", (const char *)def.data);
    goto done;
fail_free:
    sqlx_failed(s);
    sqlx_statement_done(s);
done:
    buf_free(&sql);
    buf_free(&def);
    for (uint32_t i = 0; i < ncmds; i++)
        free(dflts[i]);
    free(dflts);
    for (uint32_t i = 0; i < cap; i++) /* past ncols: an added column's, when it failed */
        free((char *)cols[i].default_text);
    free(cols);
    for (uint32_t i = 0; i < nchecks; i++)
        free(checks[i].text);
    free(checks);
    for (uint32_t i = 0; i < nix; i++) {
        free(ixd[i].elems);
        free(ixd[i].where);
    }
    free(ixd);
    free(ixn);
    free(uq_names);
}

/* Blind writes to group as one atomic EXEC (autocommit) or as statements of
 * the open transaction. Answers tag on success. */
struct sqlx_blind {
    struct sqlx_session *s;
    const char *tag;
    uint64_t count; /* for the tag: rows (COPY) */
    uint32_t pending;
    bool failed;
};

static void sqlx_blind_done(struct sqlx_run *r, int err)
{
    struct sqlx_blind *b = r->arg;
    struct sqlx_session *s = b->s;
    struct table_output o;
    b->pending--;
    if (!b->failed) {
        if (err != 0) {
            sqlx_send_err(s, err, b->tag);
            b->failed = true;
        } else if (table_output_parse(r->out.data, r->out.len, &o) != 0) {
            pg_send_errorf(s->c, "XX000", "a malformed answer from a replicaset");
            b->failed = true;
        } else if (o.state == TABLE_STATE_SCHEMA) {
            pg_send_errorf(s->c, "40001", "the schema changed under this statement; retry it");
            b->failed = true;
        } else if (o.state != TABLE_STATE_OK) {
            sqlx_send_output_error(s, &o);
            b->failed = true;
        }
    }
    sqlx_run_free(r);
    if (b->pending > 0)
        return;
    if (b->failed) {
        sqlx_failed(s);
    } else {
        char tag[64];
        if (strcmp(b->tag, "COPY") == 0)
            snprintf(tag, sizeof tag, "COPY %" PRIu64, b->count);
        else
            snprintf(tag, sizeof tag, "%s", b->tag);
        pg_send_command_complete(s->c, tag);
    }
    free(b);
    sqlx_statement_done(s);
}

/* stmts for each of groups[0..ng) alike (TRUNCATE), or per group (COPY:
 * per_group[g] statements starting at first[g]). */
static void sqlx_blind_send(struct sqlx_session *s, const char *tag, uint64_t count,
                            const uint64_t *groups, uint32_t ng, const struct table_stmt *stmts,
                            const uint32_t *first, const uint32_t *per_group)
{
    /* Outside a block COPY loads batch by batch, each its own atomic write: a table's rows
     * in one write could exceed what one log entry may carry. */
    bool copy = strcmp(tag, "COPY") == 0;
    if (s->txn == SQLX_BLOCK) {
        if (!sqlx_txn_may_write(s)) {
            sqlx_failed(s);
            sqlx_statement_done(s);
            return;
        }
        for (uint32_t g = 0; g < ng; g++) {
            if (per_group[g] == 0)
                continue;
            if (ng > 1 || (s->txn_group != 0 && s->txn_group != groups[g])) {
                pg_send_errorf(s->c, "0A000",
                               "this transaction would touch rows in more than one replicaset; "
                               "distributed transactions are not supported yet");
                sqlx_failed(s);
                sqlx_statement_done(s);
                return;
            }
            s->txn_group = groups[g];
            for (uint32_t i = 0; i < per_group[g]; i++)
                sqlx_txn_append(s, &stmts[first[g] + i], 0, true, 0);
        }
        char full[64];
        if (strcmp(tag, "COPY") == 0)
            snprintf(full, sizeof full, "COPY %" PRIu64, count);
        else
            snprintf(full, sizeof full, "%s", tag);
        pg_send_command_complete(s->c, full);
        sqlx_statement_done(s);
        return;
    }
    struct sqlx_blind *b = calloc(1, sizeof *b);
    ASSERT(b != NULL);
    b->s = s;
    b->tag = tag;
    b->count = count;
    for (uint32_t g = 0; g < ng; g++)
        b->pending += copy ? per_group[g] : per_group[g] > 0;
    if (b->pending == 0) {
        free(b);
        pg_send_command_complete(s->c, strcmp(tag, "COPY") == 0 ? "COPY 0" : tag);
        sqlx_statement_done(s);
        return;
    }
    for (uint32_t g = 0; g < ng; g++) {
        if (per_group[g] == 0)
            continue;
        if (!copy) {
            sqlx_run_start(s, groups[g], true, false, &stmts[first[g]], per_group[g], 0,
                           sqlx_blind_done, b);
            continue;
        }
        for (uint32_t i = 0; i < per_group[g]; i++)
            sqlx_run_start(s, groups[g], true, false, &stmts[first[g] + i], 1, 0,
                           sqlx_blind_done, b);
    }
}

/* The groups a table's rows live in: the governor for a global table, else
 * every replicaset that holds data. */
static uint32_t sqlx_table_groups(struct sqlx_session *s, const struct sqlx_table *t,
                                  uint64_t *groups)
{
    struct node *n = s->x->n;
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

/* TRUNCATE a, b: a delete of every row, where the rows are, in one atomic
 * step per group. */
static void sqlx_do_truncate(struct sqlx_session *s, const struct sql_stmt *st)
{
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    const struct sql_drop *dr = st->drop;
    uint32_t nt = dr->names.n;
    char (*sql)[SQL_IDENT_BYTES_MAX + 32] = calloc(nt, sizeof *sql);
    struct table_stmt *stmts = calloc(nt, sizeof *stmts);
    ASSERT(sql != NULL && stmts != NULL);
    uint64_t groups[ROUTER_RS_MAX + 1];
    uint32_t ng = 0;
    bool global = false, sharded = false;
    for (uint32_t i = 0; i < nt; i++) {
        struct sqlx_table *t = sqlx_table_find(cat, dr->names.v[i].schema, dr->names.v[i].name);
        if (t == NULL) {
            pg_send_errorf(s->c, "42P01", "relation \"%s\" does not exist", dr->names.v[i].name);
            goto fail;
        }
        snprintf(sql[i], sizeof sql[i], "DELETE FROM \"%s\"", t->sqlite_name);
        stmts[i] = (struct table_stmt){.sql = sql[i], .sql_len = (uint32_t)strlen(sql[i])};
        global |= t->global;
        sharded |= !t->global;
        ng = sqlx_table_groups(s, t, groups);
    }
    if (global && sharded) {
        pg_send_errorf(s->c, "0A000", "truncate global and sharded tables separately");
        goto fail;
    }
    uint32_t first[ROUTER_RS_MAX + 1], per[ROUTER_RS_MAX + 1];
    for (uint32_t g = 0; g < ng; g++) {
        first[g] = 0;
        per[g] = nt;
    }
    if (ng == 0) {
        pg_send_command_complete(s->c, "TRUNCATE TABLE");
        sqlx_statement_done(s);
    } else {
        sqlx_blind_send(s, "TRUNCATE TABLE", 0, groups, ng, stmts, first, per);
    }
    free(sql);
    free(stmts);
    return;
fail:
    free(sql);
    free(stmts);
    sqlx_failed(s);
    sqlx_statement_done(s);
}

/* ------------------------------------------------------------ utility statements */

static void sqlx_send_one_value(struct sqlx_session *s, const char *col, const char *value)
{
    struct pg_column c = PG_COLUMN(col, PG_OID_TEXT);
    if (s->portal == NULL)
        pg_send_row_description(s->c, &c, 1);
    size_t len = strlen(value);
    pg_send_data_row(s->c, &value, &len, 1);
    pg_send_command_complete(s->c, "SHOW");
}

static const char *sqlx_show_value(const char *name)
{
    static const struct {
        const char *name, *value;
    } vals[] = {
        {"server_version", "15.0"},
        {"server_version_num", "150000"},
        {"server_encoding", "UTF8"},
        {"client_encoding", "UTF8"},
        {"datestyle", "ISO, MDY"},
        {"timezone", "UTC"},
        {"standard_conforming_strings", "on"},
        {"integer_datetimes", "on"},
        {"max_identifier_length", "63"},
        {"search_path", "\"$user\", public"},
        {"intervalstyle", "postgres"},
        {"lc_collate", "C"},
        {"lc_ctype", "C"},
        {"is_superuser", "on"},
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (strcmp(vals[i].name, name) == 0)
            return vals[i].value;
    return NULL;
}

/* statement_timeout as SHOW prints it: 0, 500ms, 2s, 5min, 1h. */
static const char *sqlx_duration_text(uint32_t ms, char *out, size_t cap)
{
    if (ms == 0)
        snprintf(out, cap, "0");
    else if (ms % 3600000 == 0)
        snprintf(out, cap, "%uh", ms / 3600000);
    else if (ms % 60000 == 0)
        snprintf(out, cap, "%umin", ms / 60000);
    else if (ms % 1000 == 0)
        snprintf(out, cap, "%us", ms / 1000);
    else
        snprintf(out, cap, "%ums", ms);
    return out;
}

/* A duration as PostgreSQL's time settings take it: a number of ms, or with a unit (us, ms,
 * s, min, h, d). false if it is not one or is out of range. */
static bool sqlx_duration_ms(const char *text, uint32_t *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"", 1}, {"us", 0.001}, {"ms", 1}, {"s", 1000}, {"min", 60000},
                 {"h", 3600000}, {"d", 86400000}};
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || v < 0)
        return false;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) != 0)
            continue;
        double total = v * units[i].ms;
        if (total > INT32_MAX)
            return false;
        *ms = (uint32_t)(total + 0.5);
        return true;
    }
    return false;
}

/* SET / RESET statement_timeout: the longest a read may run (reads off the loop: a statement
 * in a transaction keeps TABLE_RUN_MS_MAX). false when it answered with an error. */
static bool sqlx_set_statement_timeout(struct sqlx_session *s, const struct sql_stmt *st)
{
    const struct sql_set *set = st->set;
    if (st->kind == SQL_STMT_RESET || set->kind == SQL_SET_DEFAULT) {
        s->statement_timeout_ms = 0;
        return true;
    }
    uint32_t ms;
    if (set->values.n != 1 || !sqlx_duration_ms(set->values.v[0], &ms)) {
        pg_send_errorf(s->c, "22023",
                       "invalid value for parameter \"statement_timeout\": \"%s\" (a number of "
                       "milliseconds, or with a unit: '500ms', '30s', '5min'; 0 for no limit)",
                       set->values.n > 0 ? set->values.v[0] : "");
        sqlx_failed(s);
        return false;
    }
    s->statement_timeout_ms = ms;
    return true;
}

/* SAVEPOINT, RELEASE and ROLLBACK TO. The statements of a transaction are replayed for every
 * tentative run and re-executed at COMMIT, so going back to a savepoint is forgetting the
 * statements since: their effects were never applied. */
static void sqlx_do_savepoint(struct sqlx_session *s, const struct sql_stmt *st)
{
    const char *name = st->txn->savepoint;
    if (s->txn == SQLX_IDLE) {
        pg_send_errorf(s->c, "25P01", "%s can only be used in transaction blocks",
                       st->kind == SQL_STMT_SAVEPOINT  ? "SAVEPOINT"
                       : st->kind == SQL_STMT_RELEASE ? "RELEASE SAVEPOINT"
                                                      : "ROLLBACK TO SAVEPOINT");
        sqlx_failed(s);
        return;
    }
    if (st->kind == SQL_STMT_SAVEPOINT) {
        if (s->n_savepoints == s->cap_savepoints) {
            s->cap_savepoints = s->cap_savepoints ? 2 * s->cap_savepoints : 4;
            s->savepoints = realloc(s->savepoints, s->cap_savepoints * sizeof *s->savepoints);
            ASSERT(s->savepoints != NULL);
        }
        struct sqlx_savepoint *sp = &s->savepoints[s->n_savepoints++];
        snprintf(sp->name, sizeof sp->name, "%s", name);
        sp->n_stmts = s->n_stmts;
        sp->txn_group = s->txn_group;
        sp->txn_bytes = s->txn_bytes;
        pg_send_command_complete(s->c, "SAVEPOINT");
        return;
    }
    /* the newest savepoint of that name */
    uint32_t i = s->n_savepoints;
    while (i > 0 && strcmp(s->savepoints[i - 1].name, name) != 0)
        i--;
    if (i == 0) {
        pg_send_errorf(s->c, "3B001", "savepoint \"%s\" does not exist", name);
        sqlx_failed(s);
        return;
    }
    const struct sqlx_savepoint *sp = &s->savepoints[i - 1];
    if (st->kind == SQL_STMT_RELEASE) {
        s->n_savepoints = i - 1;
        pg_send_command_complete(s->c, "RELEASE");
        return;
    }
    ASSERT(sp->n_stmts <= s->n_stmts);
    sqlx_txn_truncate(s, sp->n_stmts);
    s->txn_group = sp->txn_group;
    s->txn_bytes = sp->txn_bytes;
    s->n_savepoints = i; /* it stays; the ones set after it go */
    s->txn = SQLX_BLOCK;
    pg_send_command_complete(s->c, "ROLLBACK");
}

static void sqlx_do_utility(struct sqlx_session *s, const struct sql_stmt *st)
{
    switch (st->kind) {
    case SQL_STMT_BEGIN:
        if (s->txn != SQLX_IDLE) {
            pg_send_notice(s->c, "25001", "WARNING", "there is already a transaction in progress",
                           NULL, NULL);
        } else {
            s->txn = SQLX_BLOCK;
            s->txn_now_us = sqlx_now_us();
            s->txn_seed = rng_next(&s->x->rng);
            sqlx_txn_modes_begin(s, &st->txn->modes);
        }
        pg_send_command_complete(s->c, st->txn->start ? "START TRANSACTION" : "BEGIN");
        break;
    case SQL_STMT_ROLLBACK:
        if (s->txn == SQLX_IDLE)
            pg_send_notice(s->c, "25P01", "WARNING", "there is no transaction in progress", NULL,
                           NULL);
        sqlx_txn_reset(s);
        pg_send_command_complete(s->c, "ROLLBACK");
        break;
    case SQL_STMT_SAVEPOINT:
    case SQL_STMT_RELEASE:
    case SQL_STMT_ROLLBACK_TO:
        sqlx_do_savepoint(s, st);
        break;
    case SQL_STMT_SET:
    case SQL_STMT_RESET: {
        bool ok;
        if (sqlx_txn_modes_set(s, st, &ok) && !ok) {
            sqlx_failed(s);
            break;
        }
        if (st->set->name != NULL && strcmp(st->set->name, "statement_timeout") == 0 &&
            !sqlx_set_statement_timeout(s, st))
            break;
        pg_send_command_complete(s->c, st->kind == SQL_STMT_SET ? "SET" : "RESET");
        break;
    }
    case SQL_STMT_SHOW: {
        char timeout[32];
        const char *v = sqlx_txn_modes_show(s, st->set->name);
        if (v == NULL)
            v = sqlx_show_value(st->set->name);
        if (strcmp(st->set->name, "statement_timeout") == 0)
            v = sqlx_duration_text(s->statement_timeout_ms, timeout, sizeof timeout);
        if (v == NULL) {
            pg_send_errorf(s->c, "42704", "unrecognized configuration parameter \"%s\"",
                           st->set->name);
            sqlx_failed(s);
        } else {
            sqlx_send_one_value(s, st->set->name, v);
        }
        break;
    }
    case SQL_STMT_VACUUM:
        pg_send_command_complete(s->c, "VACUUM");
        break;
    case SQL_STMT_ANALYZE:
        pg_send_command_complete(s->c, "ANALYZE");
        break;
    case SQL_STMT_DISCARD:
        pg_send_command_complete(s->c, "DISCARD ALL");
        break;
    case SQL_STMT_DEALLOCATE:
        pg_send_command_complete(s->c, "DEALLOCATE");
        break;
    default:
        pg_send_errorf(s->c, "0A000", "%s is not supported yet", sql_stmt_kind_tag(st->kind));
        sqlx_failed(s);
        break;
    }
    sqlx_statement_done(s);
}

static void sqlx_explain_line(struct sqlx_session *s, const char *text)
{
    size_t len = strlen(text);
    pg_send_data_row(s->c, &text, &len, 1);
}

static void sqlx_do_explain(struct sqlx_session *s, const struct sql_stmt *st)
{
    const struct sql_stmt *inner = st->explain->stmt;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct sqlx_print_ctx pctx = {.cat = cat};
    struct sql_print_opts o;
    sqlx_print_opts(&o, &pctx, s);
    struct sql_printed printed = {0};
    struct sql_error err = {0};
    if (inner == NULL || sql_print(inner, &o, &printed, &err) != 0) {
        pg_send_error(s->c, inner ? err.sqlstate : "0A000", "ERROR",
                      inner ? err.message : "EXPLAIN of this statement is not supported", NULL,
                      NULL, err.position);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    uint64_t group = 0;
    bool all = false, gather = false, split = false;
    if (sqlx_route(s, inner, &group, &all, &gather, &split) < 0) {
        sql_printed_free(&printed);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    char line[512];
    struct pg_column c = PG_COLUMN("QUERY PLAN", PG_OID_TEXT);
    if (s->portal == NULL)
        pg_send_row_description(s->c, &c, 1);
    if (gather)
        sqlx_gather_explain(s, inner, sqlx_explain_line);
    else if (all)
        snprintf(line, sizeof line, "Broadcast to every replicaset (%u), results gathered here",
                 s->x->n->router.n_rs);
    else if (split && !sql_insert_rows(inner, &(const struct sql_names *){NULL},
                                       &(const struct sql_rows *){NULL}))
        snprintf(line, sizeof line, "Gather the SELECT here, then split its rows by the "
                 "distribution key: each replicaset inserts its own, after all of them ran it "
                 "tentatively");
    else if (split)
        snprintf(line, sizeof line, "Split by the distribution key: each replicaset inserts its "
                 "own rows, after all of them ran it tentatively");
    else if (group == NODE_GOVERNOR_GROUP)
        snprintf(line, sizeof line, "Runs on this node (tables distributed globally, or none)");
    else
        snprintf(line, sizeof line, "Runs on replicaset %u (Raft group %" PRIu64 ")%s",
                 ROUTER_GROUP_RS(group), group,
                 sqlx_single_rs_group(s->x->n) == group ? ", the only one holding data"
                                                       : ", chosen by the distribution key");
    /* A gathered plan has printed what runs where, here included. */
    if (!gather) {
        sqlx_explain_line(s, line);
        snprintf(line, sizeof line, "  SQLite: %.460s", (const char *)printed.sql.data);
        sqlx_explain_line(s, line);
    }
    pg_send_command_complete(s->c, "EXPLAIN");
    sql_printed_free(&printed);
    sqlx_statement_done(s);
}

/* ------------------------------------------------------------ COPY */

struct sqlx_copy {
    const struct sqlx_table *t;
    char sqlite_name[SQL_IDENT_BYTES_MAX + 8];
    uint32_t ncols;
    uint32_t cols[SQL_COLUMNS_MAX];
    bool csv, header;
    char delim;
    struct buf data;
    bool too_big;
    /* COPY TO: the SELECT it runs as (sqlx_do_dml), whose answer sqlx_send_rows sends as COPY
     * data. The table's is parsed from text it prints; a query's is the statement's own. */
    bool to;
    struct sql_stmt select;
    struct sql_parsed parsed;
};

static void sqlx_copy_free(struct sqlx_session *s)
{
    if (s->copy == NULL)
        return;
    buf_free(&s->copy->data);
    sql_parsed_free(&s->copy->parsed);
    free(s->copy);
    s->copy = NULL;
    s->copying = false;
}

/* A COPY TO is running: the statement's answer goes out as COPY data. */
static bool sqlx_copying_out(const struct sqlx_session *s)
{
    return s->copy != NULL && s->copy->to;
}

/* Splits one line into fields (text format: delimiter, \N null, backslash
 * escapes; CSV: quotes, empty unquoted null). Fields point into out. */
static int sqlx_copy_fields(const struct sqlx_copy *cp, const char *line, size_t len,
                            struct buf *out, size_t *starts, size_t *lens, bool *nulls,
                            uint32_t max)
{
    uint32_t n = 0;
    size_t i = 0;
    buf_reset(out);
    for (;;) {
        if (n == max)
            return -1;
        starts[n] = out->len;
        bool quoted = false, any_escape = false;
        if (cp->csv && i < len && line[i] == '"') {
            quoted = true;
            i++;
            while (i < len) {
                if (line[i] == '"' && i + 1 < len && line[i + 1] == '"') {
                    buf_append_u8(out, '"');
                    i += 2;
                } else if (line[i] == '"') {
                    i++;
                    break;
                } else {
                    buf_append_u8(out, (uint8_t)line[i++]);
                }
            }
        }
        while (i < len && line[i] != cp->delim) {
            char ch = line[i++];
            if (!cp->csv && ch == '\\' && i < len) {
                char e = line[i++];
                any_escape = true;
                if (e == 'N' && out->len == starts[n] && (i == len || line[i] == cp->delim)) {
                    nulls[n] = true;
                    continue;
                }
                ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b'
                     : e == 'f' ? '\f' : e == 'v' ? '\v' : e;
            }
            buf_append_u8(out, (uint8_t)ch);
        }
        lens[n] = out->len - starts[n];
        if (!any_escape)
            nulls[n] = cp->csv ? (!quoted && lens[n] == 0) : false;
        n++;
        if (i >= len)
            break;
        i++; /* the delimiter */
    }
    return (int)n;
}

/* One group's share of a COPY: the INSERT being built and the ones done. */
struct sqlx_copy_batch {
    struct buf sql, bytes;          /* the INSERT being built; its params' bytes */
    struct table_value *vals;       /* its params; TEXT ones hold offsets into bytes */
    uint32_t nvals, cap, rows;
    struct table_stmt *stmts;       /* finished INSERTs */
    uint32_t n_stmts, cap_stmts;
    struct buf *kept;               /* their texts and bytes, two bufs each */
    uint32_t n_kept;
};

/* Turns the INSERT being built into a finished statement. */
static void sqlx_copy_flush(struct sqlx_copy_batch *b)
{
    if (b->rows == 0)
        return;
    b->kept = realloc(b->kept, (b->n_kept + 2) * sizeof *b->kept);
    ASSERT(b->kept != NULL);
    struct buf *text = &b->kept[b->n_kept++], *bytes = &b->kept[b->n_kept++];
    *text = b->sql;
    *bytes = b->bytes;
    b->sql = (struct buf)BUF_INIT;
    b->bytes = (struct buf)BUF_INIT;
    for (uint32_t v = 0; v < b->nvals; v++)
        if (b->vals[v].type == TABLE_TEXT)
            b->vals[v].p = bytes->data + (uintptr_t)b->vals[v].p;
    if (b->n_stmts == b->cap_stmts) {
        b->cap_stmts = b->cap_stmts ? 2 * b->cap_stmts : 8;
        b->stmts = realloc(b->stmts, b->cap_stmts * sizeof *b->stmts);
        ASSERT(b->stmts != NULL);
    }
    b->stmts[b->n_stmts++] = (struct table_stmt){.sql = (const char *)text->data,
                                                 .sql_len = (uint32_t)text->len,
                                                 .params = b->vals,
                                                 .n_params = b->nvals};
    b->vals = NULL;
    b->nvals = b->cap = b->rows = 0;
}

static void sqlx_copy_batch_free(struct sqlx_copy_batch *b)
{
    buf_free(&b->sql);
    buf_free(&b->bytes);
    free(b->vals);
    for (uint32_t i = 0; i < b->n_stmts; i++)
        free((void *)b->stmts[i].params);
    free(b->stmts);
    for (uint32_t i = 0; i < b->n_kept; i++)
        buf_free(&b->kept[i]);
    free(b->kept);
}

/* Whether column c of cp's table is left out by the COPY and has a DEFAULT its SQLite table
 * does not know (sqlx_col.default_stale): the INSERT gives it. */
static bool sqlx_copy_gives_default(const struct sqlx_copy *cp, uint32_t c)
{
    if (!cp->t->cols[c].default_stale)
        return false;
    for (uint32_t k = 0; k < cp->ncols; k++)
        if (cp->cols[k] == c)
            return false;
    return true;
}

/* Appends one row (its fields) to b's INSERT, starting one if needed. */
static void sqlx_copy_add_row(struct sqlx_copy_batch *b, const struct sqlx_copy *cp,
                              const struct buf *fields, const size_t *starts, const size_t *lens,
                              const bool *nulls)
{
    const struct sqlx_table *t = cp->t;
    if (b->rows == 0) {
        buf_printf(&b->sql, "INSERT INTO \"%s\"(", cp->sqlite_name);
        for (uint32_t k = 0; k < cp->ncols; k++)
            buf_printf(&b->sql, "%s\"%s\"", k ? ", " : "", t->cols[cp->cols[k]].name);
        for (uint32_t c = 0; c < t->ncols; c++)
            if (sqlx_copy_gives_default(cp, c))
                buf_printf(&b->sql, ", \"%s\"", t->cols[c].name);
        buf_printf(&b->sql, ") VALUES ");
    }
    buf_printf(&b->sql, "%s(", b->rows ? ", " : "");
    for (uint32_t k = 0; k < cp->ncols; k++) {
        if (b->nvals == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 256;
            b->vals = realloc(b->vals, b->cap * sizeof *b->vals);
            ASSERT(b->vals != NULL);
        }
        struct table_value *v = &b->vals[b->nvals++];
        memset(v, 0, sizeof *v);
        v->type = nulls[k] ? TABLE_NULL : TABLE_TEXT;
        if (!nulls[k]) {
            v->p = (const uint8_t *)(uintptr_t)b->bytes.len; /* an offset until flushed */
            v->len = (uint32_t)lens[k];
            buf_append(&b->bytes, fields->data + starts[k], lens[k]);
        }
        /* PostgreSQL's input rules for the column's type (22P02 for 'abc' as a number). */
        buf_printf(&b->sql, "%spg_cast(?%u, '", k ? ", " : "", b->nvals);
        sql_type_format(&cp->t->cols[cp->cols[k]].type, &b->sql);
        buf_printf(&b->sql, "')");
    }
    for (uint32_t c = 0; c < t->ncols; c++) {
        if (!sqlx_copy_gives_default(cp, c))
            continue;
        if (t->cols[c].default_sql == NULL) {
            buf_printf(&b->sql, ", NULL");
            continue;
        }
        buf_printf(&b->sql, ", pg_cast((%s), '", t->cols[c].default_sql);
        sql_type_format(&t->cols[c].type, &b->sql);
        buf_printf(&b->sql, "')");
    }
    buf_printf(&b->sql, ")");
    b->rows++;
}

/* The group a COPY row goes to: its bucket's replicaset. */
static uint32_t sqlx_copy_row_group(struct sqlx_session *s, const struct sqlx_copy *cp,
                                    const struct buf *fields, const size_t *starts,
                                    const size_t *lens, const bool *nulls,
                                    const uint64_t *groups, uint32_t ng)
{
    struct node *n = s->x->n;
    const struct sqlx_table *t = cp->t;
    struct table_value kv[16];
    for (uint32_t d = 0; d < t->ndist; d++) {
        uint32_t ci = t->dist[d], fi = cp->ncols;
        for (uint32_t k = 0; k < cp->ncols; k++)
            if (cp->cols[k] == ci)
                fi = k;
        kv[d] = (struct table_value){.type = TABLE_NULL};
        if (fi == cp->ncols || nulls[fi])
            continue;
        const char *f = (const char *)fields->data + starts[fi];
        enum sql_type_kind k = t->cols[ci].type.kind;
        if (k == SQL_TYPE_INT2 || k == SQL_TYPE_INT4 || k == SQL_TYPE_INT8) {
            /* The field is not terminated: the next one follows it in fields. */
            char num[32];
            size_t len = lens[fi] < sizeof num - 1 ? lens[fi] : sizeof num - 1;
            memcpy(num, f, len);
            num[len] = '\0';
            kv[d].type = TABLE_INT;
            kv[d].i = strtoll(num, NULL, 10);
        } else {
            kv[d].type = TABLE_TEXT;
            kv[d].p = (const uint8_t *)f;
            kv[d].len = (uint32_t)lens[fi];
        }
    }
    uint64_t grp = sqlx_group_of_bucket(n, table_bucket(kv, t->ndist, n->router.bucket_count));
    for (uint32_t k = 0; k < ng; k++)
        if (groups[k] == grp)
            return k;
    return 0;
}

/* COPY FROM's data is in: rows into per-group INSERTs of up to
 * SQLX_COPY_BATCH_ROWS rows, sent as one blind write per group. */
static void sqlx_copy_finish_when_placed(struct sqlx_session *s);

static void sqlx_copy_finish(struct sqlx_session *s)
{
    const struct sqlx_copy *cp = s->copy;
    const struct sqlx_table *t = cp->t;
    uint64_t groups[ROUTER_RS_MAX + 1];
    uint32_t ng = sqlx_table_groups(s, t, groups);
    uint64_t single = t->global ? NODE_GOVERNOR_GROUP : sqlx_single_rs_group(s->x->n);
    if (single != 0) {
        groups[0] = single;
        ng = 1;
    }
    struct sqlx_copy_batch *gb = calloc(ng ? ng : 1, sizeof *gb);
    ASSERT(gb != NULL);
    struct buf fields = BUF_INIT;
    size_t starts[SQL_COLUMNS_MAX], lens[SQL_COLUMNS_MAX];
    bool nulls[SQL_COLUMNS_MAX];
    uint64_t rows = 0;
    const char *p = (const char *)cp->data.data;
    size_t left = cp->data.len, line_no = 0;
    bool failed = false;
    while (left > 0) {
        const char *nl = memchr(p, '\n', left);
        size_t len = nl ? (size_t)(nl - p) : left;
        const char *line = p;
        p += nl ? len + 1 : len;
        left -= nl ? len + 1 : len;
        line_no++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (!cp->csv && len == 2 && line[0] == '\\' && line[1] == '.')
            break;
        if (cp->header && line_no == 1)
            continue;
        memset(nulls, 0, cp->ncols * sizeof *nulls);
        int nf = sqlx_copy_fields(cp, line, len, &fields, starts, lens, nulls, SQL_COLUMNS_MAX);
        if (nf != (int)cp->ncols) {
            pg_send_errorf(s->c, "22P04", "%s data for column %u on line %zu",
                           nf < (int)cp->ncols ? "missing" : "extra", nf < 0 ? 0 : (unsigned)nf,
                           line_no);
            failed = true;
            break;
        }
        uint32_t g = single ? 0
                            : sqlx_copy_row_group(s, cp, &fields, starts, lens, nulls, groups, ng);
        sqlx_copy_add_row(&gb[g], cp, &fields, starts, lens, nulls);
        rows++;
        if (gb[g].rows >= SQLX_COPY_BATCH_ROWS || gb[g].nvals + cp->ncols >= 32000)
            sqlx_copy_flush(&gb[g]);
    }
    buf_free(&fields);
    /* Done with the COPY's own state before answering: a statement after it
     * may start from inside sqlx_blind_send. */
    sqlx_copy_free(s);
    if (!failed) {
        /* Laid out group by group for sqlx_blind_send. */
        uint32_t first[ROUTER_RS_MAX + 1] = {0}, per[ROUTER_RS_MAX + 1] = {0}, nstmts = 0;
        for (uint32_t k = 0; k < ng; k++) {
            sqlx_copy_flush(&gb[k]);
            nstmts += gb[k].n_stmts;
        }
        struct table_stmt *stmts = calloc(nstmts + 1, sizeof *stmts);
        ASSERT(stmts != NULL);
        for (uint32_t k = 0, at = 0; k < ng; k++) {
            first[k] = at;
            per[k] = gb[k].n_stmts;
            if (gb[k].n_stmts > 0) /* a group no row went to has no statements array */
                memcpy(&stmts[at], gb[k].stmts, gb[k].n_stmts * sizeof *stmts);
            at += gb[k].n_stmts;
        }
        if (nstmts > TABLE_STMTS_MAX) {
            pg_send_errorf(s->c, "54000", "COPY of %" PRIu64 " rows is too large for one "
                           "statement; split it", rows);
            failed = true;
        } else {
            /* It encodes everything it needs before returning. */
            sqlx_blind_send(s, "COPY", rows, groups, ng, stmts, first, per);
        }
        free(stmts);
    }
    for (uint32_t k = 0; k < ng; k++)
        sqlx_copy_batch_free(&gb[k]);
    free(gb);
    if (failed) {
        sqlx_failed(s);
        sqlx_statement_done(s);
    }
}

static void sqlx_copy_placed_cb(uv_timer_t *t)
{
    sqlx_copy_finish_when_placed(t->data);
}

static int sqlx_count_move(void *ctx, const struct cluster_move *m)
{
    (void)m;
    (*(uint32_t *)ctx)++;
    return 0;
}

/* Whether the governor's catalog (this node's replica of it) has bucket moves under way, or a
 * map newer than the one this node routes by. */
static bool sqlx_moves_under_way(struct node *n)
{
    uint32_t moves = 0;
    uint64_t version = 0;
    struct errbuf eb = {{0}};
    if (cluster_map_version(node_store(n), &version, &eb) == 0 && version != n->router.map_version)
        return true;
    return cluster_moves(node_store(n), sqlx_count_move, &moves, &eb) == 0 && moves > 0;
}

/* COPY FROM's rows go where this node's map places them: a node that has just started waits
 * for the map. Its batches are atomic but not re-routed, and a replicaset refuses rows of a
 * bucket that is moving away: while moves are under way the COPY waits for them to end too,
 * as long as its deadline allows (then it goes ahead, and a batch that meets a move fails
 * with 40001). */
static void sqlx_copy_finish_when_placed(struct sqlx_session *s)
{
    struct node *n = s->x->n;
    bool global = s->copy->t->global;
    bool late = clock_mono_ms() >= s->deadline_ms;
    if (global || (sqlx_router_ready(n) && (late || !sqlx_moves_under_way(n)))) {
        sqlx_copy_finish(s);
        return;
    }
    if (late) {
        pg_send_errorf(s->c, "08006", "no replicaset holds data yet; try again shortly");
        sqlx_copy_free(s);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    uv_timer_start(&s->retry_timer, sqlx_copy_placed_cb, SQLX_RETRY_MS, 0);
}

/* One output's rows as COPY lines; returns how many. */
static uint64_t sqlx_copy_out_rows(struct sqlx_session *s, const struct table_output *o,
                                   const enum sql_pg_type *types)
{
    bool csv = s->copy->csv;
    char delim = s->copy->delim;
    struct table_value vals[PG_COLUMNS_MAX];
    struct buf line = BUF_INIT, v = BUF_INIT;
    size_t pos = 0;
    uint64_t rows = 0;
    while (table_output_next_row(o, &pos, vals) == 1) {
        buf_reset(&line);
        for (uint32_t i = 0; i < o->ncols; i++) {
            if (i)
                buf_append_u8(&line, (uint8_t)delim);
            if (vals[i].type == TABLE_NULL) {
                if (!csv)
                    buf_append(&line, "\\N", 2);
                continue;
            }
            sqlx_format(&vals[i], types[i], &v);
            bool quote = csv && (memchr(v.data, delim, v.len) || memchr(v.data, '"', v.len) ||
                                 memchr(v.data, '\n', v.len) || v.len == 0);
            if (quote)
                buf_append_u8(&line, '"');
            for (size_t k = 0; k < v.len; k++) {
                uint8_t ch = v.data[k];
                if (csv) {
                    if (ch == '"')
                        buf_append_u8(&line, '"');
                    buf_append_u8(&line, ch);
                } else if (ch == '\\' || ch == '\n' || ch == '\t' || ch == '\r' ||
                           ch == (uint8_t)delim) {
                    buf_append_u8(&line, '\\');
                    buf_append_u8(&line, ch == '\n' ? 'n' : ch == '\t' ? 't'
                                             : ch == '\r' ? 'r' : ch);
                } else {
                    buf_append_u8(&line, ch);
                }
            }
            if (quote)
                buf_append_u8(&line, '"');
        }
        buf_append_u8(&line, '\n');
        pg_send_copy_data(s->c, line.data, line.len);
        rows++;
    }
    buf_free(&line);
    buf_free(&v);
    return rows;
}

/* COPY TO's answer: the SELECT's rows as COPY data, with a header line for CSV HEADER. */
static int sqlx_copy_out_answer(struct sqlx_session *s, const struct table_output *o,
                                const struct sql_out_column *hints, uint32_t n_hints)
{
    struct sqlx_copy *cp = s->copy;
    enum sql_pg_type types[PG_COLUMNS_MAX];
    sqlx_column_types(o, hints, n_hints, types);
    pg_send_copy_out_response(s->c, 0, NULL, o->ncols);
    if (cp->csv && cp->header) {
        struct buf line = BUF_INIT;
        for (uint32_t i = 0; i < o->ncols; i++) {
            const char *name;
            uint32_t nl;
            sqlx_column_name(o, hints, n_hints, i, &name, &nl);
            if (i)
                buf_append_u8(&line, (uint8_t)cp->delim);
            buf_append(&line, name, nl);
        }
        buf_append_u8(&line, '\n');
        pg_send_copy_data(s->c, line.data, line.len);
        buf_free(&line);
    }
    uint64_t rows = sqlx_copy_out_rows(s, o, types);
    pg_send_copy_done(s->c);
    char tag[48];
    snprintf(tag, sizeof tag, "COPY %" PRIu64, rows);
    return pg_send_command_complete(s->c, tag);
}

/* name as a quoted SQL identifier ("a""b"). */
static void sqlx_quote_ident(struct buf *out, const char *name)
{
    buf_append_u8(out, '"');
    for (const char *c = name; *c; c++) {
        if (*c == '"')
            buf_append_u8(out, '"');
        buf_append_u8(out, (uint8_t)*c);
    }
    buf_append_u8(out, '"');
}

/* COPY t [(cols)] TO STDOUT as the SELECT of those columns, printed and parsed. */
static int sqlx_copy_table_select(struct sqlx_session *s, const struct sqlx_table *t,
                                  const struct sql_copy *c, struct sqlx_copy *cp)
{
    struct buf sql = BUF_INIT;
    buf_printf(&sql, "SELECT ");
    for (uint32_t k = 0; k < cp->ncols; k++) {
        buf_printf(&sql, k ? ", " : "");
        sqlx_quote_ident(&sql, t->cols[cp->cols[k]].name);
    }
    buf_printf(&sql, " FROM ");
    if (c->table.schema != NULL) {
        sqlx_quote_ident(&sql, c->table.schema);
        buf_printf(&sql, ".");
    }
    sqlx_quote_ident(&sql, t->name);
    struct sql_error err = {0};
    int rc = sql_parse((const char *)sql.data, sql.len, &cp->parsed, &err);
    buf_free(&sql);
    if (rc != 0 || cp->parsed.n != 1) {
        pg_send_error(s->c, rc != 0 ? err.sqlstate : "XX000", "ERROR",
                      rc != 0 ? err.message : "COPY: the table's query did not parse", NULL,
                      NULL, 0);
        return -1;
    }
    cp->select = *cp->parsed.stmts[0];
    return 0;
}

static void sqlx_copy_format(struct sqlx_copy *cp, const struct sql_copy *c)
{
    cp->csv = c->format == SQL_COPY_CSV;
    cp->header = c->header;
    cp->delim = c->delimiter && c->delimiter[0] ? c->delimiter[0] : cp->csv ? ',' : '\t';
}

static void sqlx_do_copy(struct sqlx_session *s, const struct sql_stmt *st)
{
    const struct sql_copy *c = st->copy;
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    sqlx_copy_free(s); /* a COPY TO retried (the schema changed under it) starts over */
    if (c->target != SQL_COPY_STDIO || c->format == SQL_COPY_BINARY) {
        pg_send_errorf(s->c, "0A000", "COPY supports a table FROM STDIN, and a table or a query "
                       "TO STDOUT, in text or CSV format");
        goto fail;
    }
    if (c->query != NULL) {
        /* COPY (query) TO STDOUT: the query as any SELECT, its answer as COPY data. */
        struct sqlx_copy *cp = calloc(1, sizeof *cp);
        ASSERT(cp != NULL);
        sqlx_copy_format(cp, c);
        cp->to = true;
        cp->select = *st;
        cp->select.kind = SQL_STMT_SELECT;
        cp->select.select = c->query;
        s->copy = cp;
        sqlx_do_dml(s, &cp->select);
        return;
    }
    const struct sqlx_table *t = sqlx_table_find(cat, c->table.schema, c->table.name);
    if (t == NULL) {
        pg_send_errorf(s->c, "42P01", "relation \"%s\" does not exist", c->table.name);
        goto fail;
    }
    struct sqlx_copy *cp = calloc(1, sizeof *cp);
    ASSERT(cp != NULL);
    cp->t = t;
    snprintf(cp->sqlite_name, sizeof cp->sqlite_name, "%s", t->sqlite_name);
    sqlx_copy_format(cp, c);
    if (c->cols.n == 0) {
        cp->ncols = t->ncols;
        for (uint32_t i = 0; i < t->ncols; i++)
            cp->cols[i] = i;
    } else {
        for (uint32_t k = 0; k < c->cols.n; k++) {
            uint32_t i;
            for (i = 0; i < t->ncols; i++)
                if (strcmp(t->cols[i].name, c->cols.v[k]) == 0)
                    break;
            if (i == t->ncols) {
                pg_send_errorf(s->c, "42703", "column \"%s\" of relation \"%s\" does not exist",
                               c->cols.v[k], t->name);
                free(cp);
                goto fail;
            }
            cp->cols[cp->ncols++] = i;
        }
    }
    s->copy = cp;
    if (c->is_from) {
        s->copying = true;
        pg_send_copy_in_response(s->c, 0, NULL, cp->ncols);
        return; /* copy_data ... copy_done finish it */
    }
    /* COPY TO: the SELECT of those columns, routed, run in the transaction and gathered from
     * every replicaset as any query is; its answer goes out as COPY data. */
    cp->to = true;
    if (sqlx_copy_table_select(s, t, c, cp) != 0) {
        sqlx_copy_free(s);
        goto fail;
    }
    sqlx_do_dml(s, &cp->select);
    return;
fail:
    sqlx_failed(s);
    sqlx_statement_done(s);
}

/* ------------------------------------------------------------ the statement loop */

static void sqlx_request_end(struct sqlx_session *s)
{
    sql_parsed_free(&s->parsed);
    s->in_query = false;
    s->portal = NULL;
    s->params = NULL;
    s->n_params = 0;
    sqlx_report_status(s);
    pg_done(s->c);
}

/* The current statement has been answered (or failed): on to the next. */
void sqlx_statement_done(struct sqlx_session *s)
{
    if (sqlx_copying_out(s))
        sqlx_copy_free(s);
    free(s->buckets_done);
    s->buckets_done = NULL;
    s->route_bucket = -1;
    s->run_now_us = 0; /* a gather's last part may end the statement while it starts them */
    s->run_stmt_at = 0;
    s->next++;
    /* After an error the rest of a simple query's string is not run (pg.h). */
    if (s->next >= s->parsed.n || s->cancelled || s->stmt_failed) {
        sqlx_request_end(s);
        return;
    }
    sqlx_next_statement(s);
}

static void sqlx_run_statement(struct sqlx_session *s, const struct sql_stmt *st)
{
    if (s->txn == SQLX_FAILED && st->kind != SQL_STMT_ROLLBACK && st->kind != SQL_STMT_COMMIT &&
        st->kind != SQL_STMT_ROLLBACK_TO) {
        pg_send_errorf(s->c, "25P02", "current transaction is aborted, commands ignored until "
                       "end of transaction block");
        s->stmt_failed = true;
        sqlx_statement_done(s);
        return;
    }
    if (sqlx_txn_modes_before(s, st)) {
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    switch (st->kind) {
    case SQL_STMT_SELECT:
        if (sqlx_pgcat_wants(st)) {
            sqlx_pgcat_run(s, st);
            return;
        }
        sqlx_do_dml(s, st);
        return;
    case SQL_STMT_INSERT:
    case SQL_STMT_UPDATE:
    case SQL_STMT_DELETE:
        sqlx_do_dml(s, st);
        return;
    case SQL_STMT_COMMIT:
        sqlx_do_commit(s);
        return;
    case SQL_STMT_CREATE_TABLE:
    case SQL_STMT_DROP_TABLE:
    case SQL_STMT_ALTER_TABLE:
    case SQL_STMT_CREATE_INDEX:
    case SQL_STMT_DROP_INDEX:
        if (s->txn != SQLX_IDLE && s->n_stmts > 0) {
            pg_send_errorf(s->c, "0A000", "%s inside a transaction that has written is not "
                           "supported; schema changes apply at once, cluster-wide",
                           sql_stmt_kind_tag(st->kind));
            sqlx_failed(s);
            sqlx_statement_done(s);
            return;
        }
        if (s->txn == SQLX_BLOCK)
            pg_send_notice(s->c, "01000", "WARNING",
                           "this schema change is applied at once, cluster-wide: ROLLBACK of "
                           "the transaction block will not undo it (transactional DDL is not "
                           "supported yet)",
                           NULL, NULL);
        if (st->kind == SQL_STMT_CREATE_TABLE)
            sqlx_do_create_table(s, st);
        else if (st->kind == SQL_STMT_DROP_TABLE)
            sqlx_do_drop_table(s, st);
        else if (st->kind == SQL_STMT_ALTER_TABLE)
            sqlx_do_alter_table(s, st);
        else if (st->kind == SQL_STMT_CREATE_INDEX)
            sqlx_do_create_index(s, st);
        else
            sqlx_do_drop_index(s, st);
        return;
    case SQL_STMT_TRUNCATE:
        sqlx_do_truncate(s, st);
        return;
    case SQL_STMT_COPY:
        sqlx_do_copy(s, st);
        return;
    case SQL_STMT_EXPLAIN:
        sqlx_do_explain(s, st);
        return;
    default:
        sqlx_do_utility(s, st);
        return;
    }
}

static void sqlx_next_statement(struct sqlx_session *s)
{
    if (s->next >= s->parsed.n) {
        sqlx_request_end(s);
        return;
    }
    s->deadline_ms = clock_mono_ms() + SQLX_TIMEOUT_MS;
    s->stmt_failed = false;
    sqlx_run_statement(s, s->parsed.stmts[s->next]);
}

/* ------------------------------------------------------------ the pg backend */

static void sqlx_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sqlx_startup(void *ctx, struct pg_conn *c)
{
    struct sql_exec *x = ctx;
    struct sqlx_session *s = calloc(1, sizeof *s);
    ASSERT(s != NULL);
    s->x = x;
    s->c = c;
    s->token = ++x->sessions;
    s->route_bucket = -1;
    uv_timer_init(node_loop(x->n), &s->retry_timer);
    s->retry_timer.data = s;
    s->timer_open = true;
    pg_conn_set_state(c, s);
    if (node_state(x->n) != NODE_UP) {
        pg_send_error(c, "57P03", "FATAL", "the node is starting up; try again in a moment",
                      NULL, NULL, 0);
    } else {
        sqlx_txn_modes_startup(s);
    }
    pg_done(c);
}

/* A statement list failed to parse: answer as PostgreSQL does. */
static void sqlx_parse_error(struct sqlx_session *s, const struct sql_error *err)
{
    pg_send_error(s->c, err->sqlstate, "ERROR", err->message, NULL, NULL, err->position);
    sqlx_failed(s);
    sqlx_report_status(s);
    pg_done(s->c);
}

static void sqlx_query(void *ctx, struct pg_conn *c, const char *sql, size_t len)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    struct sql_error err = {0};
    sql_parsed_free(&s->parsed);
    if (sql_parse(sql, len, &s->parsed, &err) != 0) {
        sqlx_parse_error(s, &err);
        return;
    }
    if (s->parsed.n == 0) {
        pg_send_empty_query(c);
        sqlx_request_end(s);
        return;
    }
    s->next = 0;
    s->in_query = true;
    s->cancelled = false;
    atomic_store(&s->cancel_now, false);
    s->portal = NULL;
    sqlx_next_statement(s);
}

/* Extended protocol: a prepared statement keeps its parse. */
struct sqlx_prepared {
    struct sql_parsed parsed;
};

static void sqlx_prepare(void *ctx, struct pg_conn *c, struct pg_stmt *st, const char *sql,
                         size_t len, const uint32_t *param_oids, size_t n_param_oids)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    struct sqlx_prepared *p = calloc(1, sizeof *p);
    ASSERT(p != NULL);
    struct sql_error err = {0};
    if (sql_parse(sql, len, &p->parsed, &err) != 0) {
        free(p);
        pg_send_error(c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
        pg_done(c);
        return;
    }
    if (p->parsed.n > 1) {
        sql_parsed_free(&p->parsed);
        free(p);
        pg_send_errorf(c, "42601", "cannot insert multiple commands into a prepared statement");
        pg_done(c);
        return;
    }
    uint32_t nparams = p->parsed.n ? (uint32_t)p->parsed.stmts[0]->param_max : 0;
    uint32_t *oids = calloc(nparams + 1, sizeof *oids);
    ASSERT(oids != NULL);
    for (uint32_t i = 0; i < nparams; i++)
        oids[i] = i < n_param_oids && param_oids[i] ? param_oids[i] : PG_OID_TEXT;
    /* Result columns: the printer's names and hints (types settle at execute). */
    struct pg_column cols[PG_COLUMNS_MAX];
    uint32_t ncols = 0;
    struct sql_printed printed = {0};
    if (p->parsed.n == 1) {
        const struct sql_stmt *stmt = p->parsed.stmts[0];
        struct sqlx_print_ctx pctx = {.cat = sqlx_catalog(s->x)};
        struct sql_print_opts o;
        sqlx_print_opts(&o, &pctx, s);
        bool dml = stmt->kind == SQL_STMT_SELECT || stmt->kind == SQL_STMT_INSERT ||
                   stmt->kind == SQL_STMT_UPDATE || stmt->kind == SQL_STMT_DELETE;
        if (dml && sql_print(stmt, &o, &printed, &err) != 0) {
            sql_parsed_free(&p->parsed);
            free(p);
            free(oids);
            pg_send_error(c, err.sqlstate, "ERROR", err.message, NULL, NULL, err.position);
            pg_done(c);
            return;
        }
        for (uint32_t i = 0; dml && i < printed.ncols && i < PG_COLUMNS_MAX; i++) {
            enum sql_pg_type t = sqlx_pg_type_of_kind(printed.cols[i].type.kind);
            if (t == SQL_PG_UNKNOWN && printed.cols[i].table != NULL) {
                const struct sqlx_table *tt =
                    sqlx_table_find(pctx.cat, NULL, printed.cols[i].table);
                for (uint32_t k = 0; tt && k < tt->ncols; k++)
                    if (strcmp(tt->cols[k].name, printed.cols[i].column) == 0)
                        t = sqlx_pg_type_of_kind(tt->cols[k].type.kind);
            }
            cols[ncols++] = PG_COLUMN(printed.cols[i].name,
                                      sql_pg_type_oid(t == SQL_PG_UNKNOWN ? SQL_PG_TEXT : t));
        }
    }
    pg_stmt_describe(st, oids, nparams, cols, ncols);
    sql_printed_free(&printed);
    free(oids);
    pg_stmt_set_state(st, p);
    pg_done(c);
}

static void sqlx_execute(void *ctx, struct pg_conn *c, struct pg_portal *portal, uint32_t max_rows)
{
    (void)ctx;
    (void)max_rows; /* the session keeps what is beyond it */
    struct sqlx_session *s = pg_conn_state(c);
    struct sqlx_prepared *p = pg_stmt_state(pg_portal_stmt(portal));
    if (p == NULL || p->parsed.n == 0) {
        pg_send_empty_query(c);
        sqlx_report_status(s);
        pg_done(c);
        return;
    }
    /* Run the prepared statement: a parse of our own would be the same. */
    sql_parsed_free(&s->parsed);
    struct sql_error err = {0};
    const char *text = pg_stmt_sql(pg_portal_stmt(portal));
    if (sql_parse(text, strlen(text), &s->parsed, &err) != 0) {
        sqlx_parse_error(s, &err);
        return;
    }
    s->next = 0;
    s->in_query = true;
    s->cancelled = false;
    atomic_store(&s->cancel_now, false);
    s->portal = portal;
    s->params = pg_portal_params(portal);
    s->n_params = (uint32_t)pg_stmt_n_params(pg_portal_stmt(portal));
    sqlx_next_statement(s);
}

static void sqlx_sync(void *ctx, struct pg_conn *c, int failed)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    if (failed)
        sqlx_failed(s);
    sqlx_report_status(s);
    pg_done(c);
}

static void sqlx_copy_data(void *ctx, struct pg_conn *c, const void *data, size_t len)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    if (s->copy == NULL)
        return;
    if (s->copy->data.len + len > SQLX_COPY_BYTES_MAX) {
        s->copy->too_big = true;
        return;
    }
    buf_append(&s->copy->data, data, len);
}

static void sqlx_copy_done(void *ctx, struct pg_conn *c)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    if (s->copy == NULL) {
        sqlx_statement_done(s);
        return;
    }
    if (s->copy->too_big) {
        pg_send_errorf(c, "54000", "COPY data over %u bytes; split it into several COPYs",
                       SQLX_COPY_BYTES_MAX);
        sqlx_copy_free(s);
        sqlx_failed(s);
        sqlx_statement_done(s);
        return;
    }
    sqlx_copy_finish_when_placed(s);
}

static void sqlx_copy_fail(void *ctx, struct pg_conn *c, const char *message)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    pg_send_errorf(c, "57014", "COPY from stdin failed: %s", message ? message : "");
    sqlx_copy_free(s);
    sqlx_failed(s);
    sqlx_statement_done(s);
}

static void sqlx_cancel(void *ctx, struct pg_conn *c)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    if (s != NULL) {
        /* A read off the loop stops now (57014); any other statement out finishes. The
         * statements after it are not run. */
        s->cancelled = true;
        atomic_store(&s->cancel_now, true);
        sqlx_cancel_runs_out(s);
    }
}

static void sqlx_stmt_free(void *ctx, struct pg_conn *c, void *state)
{
    (void)ctx;
    (void)c;
    struct sqlx_prepared *p = state;
    sql_parsed_free(&p->parsed);
    free(p);
}

static void sqlx_close(void *ctx, struct pg_conn *c)
{
    (void)ctx;
    struct sqlx_session *s = pg_conn_state(c);
    if (s == NULL)
        return;
    sqlx_txn_reset(s);
    free(s->stmts);
    free(s->savepoints);
    free(s->buckets_done);
    sql_parsed_free(&s->parsed);
    sqlx_copy_free(s);
    uv_timer_stop(&s->retry_timer);
    uv_close((uv_handle_t *)&s->retry_timer, sqlx_timer_closed);
}

/* ------------------------------------------------------------ serving runs for others */

struct sqlx_rpc {
    struct node *n;
    struct net_responder *r;
    uint64_t group;
    bool tentative;
    uint32_t limit_ms; /* a read's, off the loop */
    /* The caller's node and run id: NODE_RPC_SQL_CANCEL names it so (sql_exec.rpcs). */
    uint64_t from, run_id;
    atomic_bool cancel;
    struct sqlx_rpc *prev, *next;
    struct buf payload;
    struct buf out;
};

static void sqlx_rpc_answer(void *arg, int err)
{
    struct sqlx_rpc *q = arg;
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        q->n->sql->rpcs = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    if (err != 0)
        net_rpc_respond(q->r, err, NULL, 0);
    else
        net_rpc_respond(q->r, 0, q->out.data, q->out.len);
    buf_free(&q->out);
    buf_free(&q->payload);
    free(q);
}

static void sqlx_rpc_ready(void *arg, int err)
{
    struct sqlx_rpc *q = arg;
    struct group *g = node_find_group(q->n, q->group);
    if (err == 0 && g == NULL)
        err = ERR_CONFLICT;
    if (err == 0) {
        struct errbuf eb = {{0}};
        err = table_run_encoded(group_store(g), q->payload.data, q->payload.len, q->tentative,
                                q->tentative ? 0 : TABLE_RUN_LOOP_MS, &q->out, &eb);
        if (err == ERR_AGAIN) {
            err = sqlx_long_read_start(q->n->sql, g, q->payload.data, q->payload.len,
                                       q->limit_ms, &q->cancel, &q->out, sqlx_rpc_answer, q);
            if (err == 0)
                return;
        }
    }
    sqlx_rpc_answer(q, err);
}

/* NODE_RPC_SQL_CANCEL: stops the read from asked for under that run id, if it still runs. */
static void sqlx_rpc_cancel(struct node *n, uint64_t from, struct net_responder *r,
                            const uint8_t *payload, size_t len)
{
    struct codec_reader rd;
    codec_reader_init(&rd, payload, len);
    uint64_t run_id = codec_read_u64(&rd);
    if (rd.err || n->sql == NULL) {
        net_rpc_respond(r, rd.err ? ERR_MALFORMED : ERR_SHUTDOWN, NULL, 0);
        return;
    }
    for (struct sqlx_rpc *q = n->sql->rpcs; q != NULL; q = q->next)
        if (q->from == from && q->run_id == run_id)
            atomic_store(&q->cancel, true);
    net_rpc_respond(r, 0, NULL, 0);
}

bool sql_exec_on_rpc(struct node *n, uint64_t from, struct net_responder *r, uint16_t method,
                     const uint8_t *payload, size_t len)
{
    if (method == NODE_RPC_SQL_CANCEL) {
        sqlx_rpc_cancel(n, from, r, payload, len);
        return true;
    }
    if (method != NODE_RPC_SQL_RUN)
        return false;
    struct codec_reader rd;
    codec_reader_init(&rd, payload, len);
    uint64_t gid = codec_read_u64(&rd);
    bool tentative = codec_read_u8(&rd) != 0;
    uint32_t limit_ms = codec_read_u32(&rd);
    uint64_t run_id = codec_read_u64(&rd);
    if (rd.err || n->sql == NULL || node_find_group(n, gid) == NULL) {
        net_rpc_respond(r, rd.err ? ERR_MALFORMED : ERR_CONFLICT, NULL, 0);
        return true;
    }
    struct sqlx_rpc *q = calloc(1, sizeof *q);
    ASSERT(q != NULL);
    q->n = n;
    q->r = r;
    q->group = gid;
    q->tentative = tentative;
    q->limit_ms = limit_ms;
    q->from = from;
    q->run_id = run_id;
    atomic_init(&q->cancel, false);
    q->next = n->sql->rpcs;
    if (q->next != NULL)
        q->next->prev = q;
    n->sql->rpcs = q;
    buf_append(&q->payload, payload + rd.off, len - rd.off);
    node_read(n, gid, false, sqlx_rpc_ready, q);
    return true;
}

/* ------------------------------------------------------------ start, stop */

int sql_exec_start(struct node *n, const char *addr, struct sql_exec **out, struct errbuf *eb)
{
    char host[NODE_ADDR_LEN_MAX + 1];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof host)
        return err_set(eb, ERR_INVAL, "--pg wants HOST:PORT, not \"%s\"", addr);
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    int port = atoi(colon + 1);
    struct sql_exec *x = calloc(1, sizeof *x);
    if (x == NULL)
        return err_set(eb, ERR_NOMEM, "sql executor");
    x->n = n;
    rng_seed(&x->rng, (uint64_t)sqlx_now_us() ^ node_id(n));
    struct pg_backend be = {
        .ctx = x,
        .startup = sqlx_startup,
        .query = sqlx_query,
        .prepare = sqlx_prepare,
        .execute = sqlx_execute,
        .sync = sqlx_sync,
        .copy_data = sqlx_copy_data,
        .copy_done = sqlx_copy_done,
        .copy_fail = sqlx_copy_fail,
        .cancel = sqlx_cancel,
        .stmt_free = sqlx_stmt_free,
        .close = sqlx_close,
    };
    int rc = reader_pool_start(node_loop(n), &x->readers, eb);
    if (rc != 0) {
        free(x);
        return rc;
    }
    rc = pg_server_start(node_loop(n), host, port, NULL, &be, &x->srv, eb);
    if (rc != 0) {
        reader_pool_stop(x->readers);
        free(x);
        return rc;
    }
    *out = x;
    return 0;
}

void sql_exec_stop(struct sql_exec *x)
{
    if (x == NULL)
        return;
    if (x->srv != NULL) {
        pg_server_close(x->srv);
        x->srv = NULL;
    }
    /* The reads still out end early (57P01) and answer; then the threads go. */
    reader_pool_stop(x->readers);
    x->readers = NULL;
}

void sql_exec_free(struct sql_exec *x)
{
    if (x == NULL)
        return;
    sqlx_catalog_clear(&x->cat);
    sqlx_pgcat_free(x);
    free(x);
}
