/* Bucket moves. The governor's leader plans them (cluster_plan) and drives
 * each one as a chain of steps, every step a command in the log of the group
 * it concerns, so a new leader can pick up any move where the catalog says it
 * stands:
 *
 *   RECEIVE at dst -> floor m at src -> copy pages src -> dst (writes go on)
 *   -> FENCE at src (catalog: FENCED) -> floor f -> delta: rows newer than m,
 *   deletes of keys gone -> SQL rows: clear at dst, copy pages -> OWN at dst
 *   -> MOVE_FINISH (the flip) -> DROP at src, then its SQL rows
 *
 * The rows of sharded SQL tables are copied whole while the bucket is fenced
 * (the source is frozen, so the copy is exact; a page that fails starts the
 * SQL copy over from the clear, and pages are numbered so that one proposed
 * twice applies once). That makes the pause longer than a KV delta alone;
 * copying SQL rows before the fence with a delta after needs row versions
 * the tables do not keep.
 *
 * Writes to the bucket pause only from the fence to the flip. A move found
 * FENCED after a crash is redone from RECEIVE with a full copy (the source is
 * frozen, so the copy is exact); one found COPYING starts over. Replicaset
 * leaders adopt buckets the map gives them outright (the initial assignment)
 * and drop fenced buckets a finished move left behind. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "base/log.h"
#include <stdio.h>
#include "model/cluster/cluster.h"
#include "model/cluster/cluster_plan.h"
#include "model/kv/kv.h"
#include "model/table/table.h"
#include "node/node_int.h"

#define MOVER_CONCURRENT_MAX 16    /* moves driven at once */
#define MOVER_PAGE_ROWS 256        /* rows per scan page */
#define MOVER_STEP_RETRIES_MAX 20  /* then the move is aborted */
#define MOVER_RETRY_MS 200
#define MOVER_RPC_TIMEOUT_MS 5000
#define MOVER_ADOPT_EVERY_TICKS 100 /* safety net; map changes trigger it at once */
#define MOVER_THRESHOLD_PERMILLE 10
#define MOVER_SQL_PAGE_BYTES (256u * 1024) /* a page of SQL rows (one import command) */
#define MOVER_SQL_TABLE_BYTES_MAX 256      /* a table name in a read request */

enum mover_step {
    MOVER_CHECK_DST, /* resuming a fenced move: did the destination take it already? */
    MOVER_RECEIVE,
    MOVER_FLOOR_BEFORE,
    MOVER_COPY,
    MOVER_FENCE,
    MOVER_FENCE_RECORD,
    MOVER_FLOOR_AFTER,
    MOVER_DELTA_ROWS,
    MOVER_SRC_KEYS,
    MOVER_DST_KEYS,
    MOVER_DELETES,
    MOVER_SQL_CLEAR, /* dst: BUCKET_CLEAR of the SQL rows an earlier try left */
    MOVER_SQL_COPY,  /* pages of SQL rows src -> dst */
    MOVER_OWN,
    MOVER_FINISH,
    MOVER_DROP,
    MOVER_SQL_DROP, /* src: BUCKET_CLEAR of its SQL rows, now that kv dropped the bucket */
    /* Giving up, in an order that never strands the bucket: dst lets go, the
     * source takes writes again, and only then does the catalog forget the
     * move (a governor leader that dies midway resumes the move instead). */
    MOVER_ABORT_FENCE_DST, /* dst may own it already (OWN applied): fenced, it can be dropped */
    MOVER_ABORT_DROP,
    MOVER_ABORT_SQL_CLEAR,
    MOVER_ABORT_UNFENCE,
    MOVER_ABORT_RECORD,
    MOVER_DONE,
};

enum mover_read {
    MOVER_READ_FLOOR = 0,
    MOVER_READ_SCAN = 1,
    MOVER_READ_KEYS = 2,
    MOVER_READ_STATE = 3, /* the bucket's state there (KV_BUCKET_*) */
    MOVER_READ_SQL = 4,   /* a page of SQL rows (table_bucket_read) after (table, rowid) */
};

struct mover_job {
    struct node *n;
    bool active;
    bool waiting; /* a write, RPC or retry timer is out */
    struct cluster_move mv;
    int step;
    bool full_copy; /* recovering a FENCED move: copy everything, no fence step */
    uint64_t floor_before, floor_after;
    struct buf after;     /* scan position */
    struct buf page_last; /* last key of the page being imported: the next position */
    struct buf src_keys, dst_keys; /* (u32 len, key)... for the delete diff */
    uint32_t n_src_keys, n_dst_keys;
    /* The SQL copy: the position after the last page imported, the page being imported, the
     * number of the last page imported, and how often the copy started over. */
    struct buf sql_table, sql_page;
    int64_t sql_rowid;
    uint64_t sql_seq;
    uint32_t sql_restarts;
    uint32_t attempt;
    uint32_t fails;
    uint64_t fenced_ms;
    uint64_t retry_at_ms;
};

struct mover_adopted {
    uint64_t group;
    uint64_t map_version; /* of the last adoption pass */
};

struct mover_state {
    struct mover_job jobs[MOVER_CONCURRENT_MAX];
    struct mover_adopted adopted[NODE_GROUPS_MAX];
    uint32_t n_adopted;
    uint32_t planning; /* MOVE_BEGINs out */
    uint32_t ticks;
    uint64_t moves_started, moves_finished, moves_failed;
    uint64_t rows_moved, bytes_moved;
    uint64_t pause_ms_max, pause_ms_last;
};

static struct mover_state *mover_state(struct node *n)
{
    if (n->mover == NULL) {
        n->mover = calloc(1, sizeof *n->mover);
        ASSERT(n->mover != NULL);
    }
    return n->mover;
}

void mover_free(struct node *n)
{
    if (n->mover == NULL)
        return;
    for (int i = 0; i < MOVER_CONCURRENT_MAX; i++) {
        buf_free(&n->mover->jobs[i].after);
        buf_free(&n->mover->jobs[i].page_last);
        buf_free(&n->mover->jobs[i].src_keys);
        buf_free(&n->mover->jobs[i].dst_keys);
        buf_free(&n->mover->jobs[i].sql_table);
        buf_free(&n->mover->jobs[i].sql_page);
    }
    free(n->mover);
    n->mover = NULL;
}

/* ------------------------------------------------------------ adoption */

struct mover_adopt_ctx {
    uint8_t *state; /* per bucket, KV_BUCKET_* */
    uint32_t count;
};

static int mover_adopt_collect(void *ctx, uint32_t bucket, uint8_t state)
{
    struct mover_adopt_ctx *c = ctx;
    if (bucket < c->count)
        c->state[bucket] = state;
    return 0;
}

/* moving[b]: 0, or the destination of b's move in progress. */
static int mover_moving_collect(void *ctx, const struct cluster_move *mv)
{
    uint32_t *moving = ctx;
    moving[mv->bucket] = mv->dst;
    return 0;
}

static void mover_adopt_done(void *arg, int err, const struct store_result *res)
{
    (void)arg;
    if (err != 0 && err != ERR_SHUTDOWN)
        LOGW("mover", "adopting buckets failed: %s", err_msg(err));
    (void)res;
}

void mover_adopt(struct node *n, struct group *g)
{
    struct mover_state *ms = mover_state(n);
    if (!group_is_leader(g) || n->router.bucket_count == 0)
        return;
    /* Runs when the map changed since this group's last pass (a new
     * assignment, a flip), and now and then in case a pass failed. */
    struct mover_adopted *a = NULL;
    for (uint32_t i = 0; i < ms->n_adopted; i++)
        if (ms->adopted[i].group == group_id(g))
            a = &ms->adopted[i];
    if (a == NULL && ms->n_adopted < NODE_GROUPS_MAX) {
        a = &ms->adopted[ms->n_adopted++];
        a->group = group_id(g);
        a->map_version = UINT64_MAX;
    }
    if (a != NULL && a->map_version == n->router.map_version &&
        ms->ticks % MOVER_ADOPT_EVERY_TICKS != 0)
        return;
    if (a != NULL)
        a->map_version = n->router.map_version;
    uint32_t rs = ROUTER_GROUP_RS(group_id(g));
    struct store *st = group_store(g);
    struct errbuf eb = {{0}};
    bool sharded = false;
    if (kv_sharded(st, &sharded, &eb) != 0)
        return;
    uint32_t count = n->router.bucket_count;
    struct mover_adopt_ctx c = {calloc(count, 1), count};
    uint32_t *moving = calloc(count, sizeof *moving);
    ASSERT(c.state != NULL && moving != NULL);
    uint32_t *own = calloc(count, sizeof *own);
    ASSERT(own != NULL);
    uint32_t n_own = 0;
    if (kv_buckets_owned(st, mover_adopt_collect, &c, &eb) != 0 ||
        cluster_moves(node_store(n), mover_moving_collect, moving, &eb) != 0)
        goto out;
    /* This node's catalog replica may lag the governor's leader: only act on
     * what cannot be mid-move. A bucket the map gives us with no state here
     * is ours (the initial assignment), also while it moves away from us; a
     * fenced bucket the map has given to someone else was flipped (the map
     * changes only at MOVE_FINISH, after the new owner took it): drop it.
     * Aborts are cleaned up by the mover itself. */
    for (uint32_t b = 0; b < count; b++) {
        bool mine = n->router.owners[b] == rs;
        uint8_t state = c.state[b];
        if (mine && state == KV_BUCKET_NONE && moving[b] != rs) {
            own[n_own++] = b;
        } else if (!mine && n->router.owners[b] != 0 && state == KV_BUCKET_FENCED && !moving[b]) {
            struct buf cmd = BUF_INIT;
            if (kv_encode_bucket_drop(&cmd, b, &eb) == 0)
                node_write(n, group_id(g), cmd.data, cmd.len, mover_adopt_done, NULL);
            /* Then its SQL rows (refused, harmlessly, if the drop was). */
            buf_reset(&cmd);
            if (table_encode_bucket_clear(&cmd, b, &eb) == 0)
                node_write(n, group_id(g), cmd.data, cmd.len, mover_adopt_done, NULL);
            buf_free(&cmd);
        }
    }
    if (n_own > 0 || !sharded) {
        struct buf cmd = BUF_INIT;
        if (kv_encode_bucket_own(&cmd, own, n_own, &eb) == 0) {
            LOGI("mover", "replicaset %u adopts %u buckets", rs, n_own);
            node_write(n, group_id(g), cmd.data, cmd.len, mover_adopt_done, NULL);
        }
        buf_free(&cmd);
    }
out:
    free(own);
    free(moving);
    free(c.state);
}

/* ------------------------------------------------------------ bucket reads (served) */

struct mover_job;
static void mover_read_done(void *arg, int err, int status, const uint8_t *p, size_t len);

struct mover_read_req {
    struct node *n;
    struct net_responder *r;  /* a peer asked */
    struct mover_job *local;  /* or our own mover did */
    uint64_t group;
    uint8_t what;
    uint32_t bucket;
    uint64_t min_version;
    uint32_t limit;
    struct buf after;
};

struct mover_read_out {
    struct buf body;
    uint32_t n;
    bool with_values;
};

static int mover_read_item(void *ctx, const struct kv_item *it)
{
    struct mover_read_out *o = ctx;
    buf_append_u32(&o->body, (uint32_t)it->key_len);
    buf_append(&o->body, it->key, it->key_len);
    if (o->with_values) {
        buf_append_u32(&o->body, (uint32_t)it->value_len);
        buf_append(&o->body, it->value, it->value_len);
        buf_append_u64(&o->body, it->version);
    }
    o->n++;
    return 0;
}

static void mover_serve_read(void *arg, int err)
{
    struct mover_read_req *q = arg;
    struct group *g = node_find_group(q->n, q->group);
    if (err == 0 && g == NULL)
        err = ERR_CONFLICT;
    struct buf out = BUF_INIT;
    if (err == 0) {
        struct errbuf eb = {{0}};
        struct store *st = group_store(g);
        uint64_t floor = 0;
        err = kv_version_floor(st, &floor, &eb);
        buf_append_u64(&out, floor);
        if (err == 0 && q->what == MOVER_READ_STATE) {
            uint8_t state = KV_BUCKET_NONE;
            err = kv_bucket_state(st, q->bucket, &state, &eb);
            buf_append_u8(&out, state);
        } else if (err == 0 && q->what == MOVER_READ_SQL) {
            buf_append_u8(&q->after, 0); /* the table name, terminated */
            err = table_bucket_read(st, q->bucket, (const char *)q->after.data,
                                    (int64_t)q->min_version, MOVER_SQL_PAGE_BYTES, &out, &eb);
            if (err != 0)
                LOGW("mover", "bucket %u: reading its SQL rows: %s", q->bucket, eb.msg);
        } else if (err == 0 && q->what != MOVER_READ_FLOOR) {
            struct mover_read_out o = {BUF_INIT, 0, q->what == MOVER_READ_SCAN};
            bool more = false;
            if (q->what == MOVER_READ_SCAN)
                err = kv_bucket_scan(st, q->bucket, q->after.data, q->after.len, q->limit,
                                     q->min_version, mover_read_item, &o, &more, &eb);
            else
                err = kv_bucket_keys(st, q->bucket, q->after.data, q->after.len, q->limit,
                                     mover_read_item, &o, &more, &eb);
            buf_append_u8(&out, more);
            buf_append_u32(&out, o.n);
            buf_append(&out, o.body.data, o.body.len);
            buf_free(&o.body);
        }
    }
    if (q->local != NULL)
        mover_read_done(q->local, 0, err, err == 0 ? out.data : NULL, err == 0 ? out.len : 0);
    else
        net_rpc_respond(q->r, err, err == 0 ? out.data : NULL, err == 0 ? out.len : 0);
    buf_free(&out);
    buf_free(&q->after);
    free(q);
}

bool mover_on_rpc(struct node *n, struct net_responder *r, uint16_t method, const uint8_t *payload,
                  size_t len)
{
    if (method != NODE_RPC_BUCKET_READ)
        return false;
    struct codec_reader rd;
    codec_reader_init(&rd, payload, len);
    struct mover_read_req *q = calloc(1, sizeof *q);
    ASSERT(q != NULL);
    q->n = n;
    q->r = r;
    q->group = codec_read_u64(&rd);
    q->what = codec_read_u8(&rd);
    q->bucket = codec_read_u32(&rd);
    q->min_version = codec_read_u64(&rd);
    q->limit = codec_read_u32(&rd);
    uint32_t alen = codec_read_u32(&rd);
    const uint8_t *after = codec_read_bytes(&rd, alen);
    bool paged = q->what == MOVER_READ_SCAN || q->what == MOVER_READ_KEYS;
    bool bad_table = q->what == MOVER_READ_SQL &&
                     (alen > MOVER_SQL_TABLE_BYTES_MAX ||
                      (after != NULL && memchr(after, 0, alen) != NULL));
    if (rd.err || q->what > MOVER_READ_SQL || q->limit > KV_LIST_LIMIT_MAX ||
        (paged && q->limit == 0) || bad_table) {
        net_rpc_respond(r, ERR_MALFORMED, NULL, 0);
        free(q);
        return true;
    }
    if (node_find_group(n, q->group) == NULL) {
        net_rpc_respond(r, ERR_CONFLICT, NULL, 0);
        free(q);
        return true;
    }
    buf_append(&q->after, after, alen);
    /* Linearizable: a read after the fence must see every write before it. */
    node_read(n, q->group, false, mover_serve_read, q);
    return true;
}

/* ------------------------------------------------------------ driving a move */

static void mover_job_run(struct mover_job *j);

static void mover_job_end(struct mover_job *j, bool ok)
{
    struct mover_state *ms = mover_state(j->n);
    if (ok) {
        ms->moves_finished++;
    } else {
        ms->moves_failed++;
        LOGW("mover", "bucket %u: move %u -> %u abandoned", j->mv.bucket, j->mv.src, j->mv.dst);
    }
    j->active = false;
    j->waiting = false;
    buf_reset(&j->after);
    buf_reset(&j->src_keys);
    buf_reset(&j->dst_keys);
}

static void mover_job_next(struct mover_job *j, int step);

/* Gives up: the source keeps (and unfences) the bucket, the destination
 * drops what it received, the catalog forgets the move. */
static void mover_job_abort(struct mover_job *j)
{
    mover_job_next(j, MOVER_ABORT_FENCE_DST);
}

/* A step failed: try it again a little later, or give up. */
static void mover_job_retry(struct mover_job *j, const char *why, int err)
{
    j->waiting = false;
    /* Once the destination owns the bucket the move can only go forward. */
    if (++j->fails > MOVER_STEP_RETRIES_MAX && j->step < MOVER_OWN) {
        /* Past OWN the move only goes forward (or back through UNDO), and
         * the abort steps themselves are retried until they land. */
        LOGW("mover", "bucket %u: step %d keeps failing (%s: %s)", j->mv.bucket, j->step, why,
             err_msg(err));
        mover_job_abort(j);
        return;
    }
    j->retry_at_ms = clock_mono_ms() + MOVER_RETRY_MS;
}

static void mover_job_next(struct mover_job *j, int step)
{
    j->waiting = false;
    j->step = step;
    j->fails = 0;
    mover_job_run(j);
}

/* A write a step made in some group came back. */
static void mover_write_done(void *arg, int err, const struct store_result *res)
{
    struct mover_job *j = arg;
    j->waiting = false;
    if (!j->active)
        return;
    LOGD("mover", "bucket %u: step %d write done: err %d status %d", j->mv.bucket, j->step, err,
         res ? res->status : 0);
    if (err == 0 && res != NULL && res->status != 0 && j->step >= MOVER_ABORT_FENCE_DST) {
        /* Refused because it is done already: nothing left to drop or
         * unfence, or the move is gone from the catalog. */
        err = 0;
    } else if (err == 0 && res != NULL && res->status != 0) {
        if (j->step == MOVER_SQL_COPY || (j->step == MOVER_SQL_CLEAR && j->sql_restarts > 0)) {
            /* A page that does not apply (a table or column not there yet, a row of another
             * bucket): the SQL copy starts over from the clear, a few times. */
            LOGW("mover", "bucket %u: an SQL page was refused at %u (%s); copying again",
                 j->mv.bucket, j->mv.dst, err_msg(res->status));
            if (++j->sql_restarts > MOVER_STEP_RETRIES_MAX) {
                mover_job_abort(j);
                return;
            }
            j->retry_at_ms = clock_mono_ms() + MOVER_RETRY_MS;
            j->step = MOVER_SQL_CLEAR;
            return;
        }
        if (j->step == MOVER_SQL_DROP) {
            /* Nothing of the bucket is live there any more; a leftover is cleared by the next
             * move into that replicaset, before its import. */
            LOGW("mover", "bucket %u: clearing its SQL rows at %u was refused (%s)", j->mv.bucket,
                 j->mv.src, err_msg(res->status));
            mover_job_end(j, true);
            return;
        }
        if (j->step == MOVER_FINISH && res->failed_op == CLUSTER_REFUSED_DST) {
            /* The destination lost its last member after it took the bucket:
             * the source still holds every row (frozen since the fence), so
             * the move goes back — dst first lets go, then the source resumes. */
            LOGW("mover", "bucket %u: replicaset %u can no longer take it; moving it back to %u",
                 j->mv.bucket, j->mv.dst, j->mv.src);
            mover_job_abort(j);
            return;
        }
        mover_job_retry(j, "refused", res->status);
        return;
    }
    if (err != 0) {
        mover_job_retry(j, "write", err);
        return;
    }
    switch (j->step) {
    case MOVER_RECEIVE:
        buf_reset(&j->after);
        mover_job_next(j, j->full_copy ? MOVER_FLOOR_AFTER : MOVER_FLOOR_BEFORE);
        return;
    case MOVER_COPY:
    case MOVER_DELTA_ROWS:
        /* The page is in: only now does the scan move past it. */
        buf_reset(&j->after);
        buf_append(&j->after, j->page_last.data, j->page_last.len);
        mover_job_run(j);
        return;
    case MOVER_FENCE:
        mover_job_next(j, MOVER_FENCE_RECORD);
        return;
    case MOVER_FENCE_RECORD:
        j->fenced_ms = clock_mono_ms();
        mover_job_next(j, MOVER_FLOOR_AFTER);
        return;
    case MOVER_DELETES:
        mover_job_next(j, MOVER_SQL_CLEAR);
        return;
    case MOVER_SQL_CLEAR:
        buf_reset(&j->sql_table);
        j->sql_rowid = 0;
        j->sql_seq = 0;
        mover_job_next(j, MOVER_SQL_COPY);
        return;
    case MOVER_SQL_COPY: {
        /* The page is in (or was already): page on after its last row. */
        struct table_bucket_page pg;
        if (table_bucket_page_parse(j->sql_page.data, j->sql_page.len, &pg) == 0) {
            buf_reset(&j->sql_table);
            buf_append(&j->sql_table, pg.table, pg.table_len);
            j->sql_rowid = pg.last_rowid;
            j->sql_seq++;
            struct mover_state *ms = mover_state(j->n);
            ms->rows_moved += pg.nrows;
            ms->bytes_moved += j->sql_page.len;
        }
        mover_job_next(j, MOVER_SQL_COPY);
        return;
    }
    case MOVER_OWN:
        mover_job_next(j, MOVER_FINISH);
        return;
    case MOVER_FINISH: {
        struct mover_state *ms = mover_state(j->n);
        if (j->fenced_ms) {
            ms->pause_ms_last = clock_mono_ms() - j->fenced_ms;
            if (ms->pause_ms_last > ms->pause_ms_max)
                ms->pause_ms_max = ms->pause_ms_last;
        }
        j->n->catalog_dirty = true;
        mover_job_next(j, MOVER_DROP);
        return;
    }
    case MOVER_DROP:
        mover_job_next(j, MOVER_SQL_DROP);
        return;
    case MOVER_SQL_DROP:
        LOGD("mover", "bucket %u moved %u -> %u", j->mv.bucket, j->mv.src, j->mv.dst);
        mover_job_end(j, true);
        return;
    case MOVER_ABORT_FENCE_DST:
        mover_job_next(j, MOVER_ABORT_DROP);
        return;
    case MOVER_ABORT_DROP:
        mover_job_next(j, MOVER_ABORT_SQL_CLEAR);
        return;
    case MOVER_ABORT_SQL_CLEAR:
        mover_job_next(j, MOVER_ABORT_UNFENCE);
        return;
    case MOVER_ABORT_UNFENCE:
        mover_job_next(j, MOVER_ABORT_RECORD);
        return;
    case MOVER_ABORT_RECORD:
        mover_job_end(j, false);
        return;
    }
}

static void mover_write(struct mover_job *j, uint64_t group, struct buf *cmd)
{
    LOGD("mover", "bucket %u: step %d writes %zu bytes to group %" PRIu64, j->mv.bucket, j->step,
         cmd->len, group);
    j->waiting = true;
    node_write(j->n, group, cmd->data, cmd->len, mover_write_done, j);
}

/* Reads from a member of the source (or destination) replicaset: this node
 * itself if it is one. */
static void mover_read(struct mover_job *j, uint32_t rs, uint8_t what, uint64_t min_version)
{
    struct node *n = j->n;
    if (node_find_group(n, ROUTER_RS_GROUP(rs)) != NULL) {
        struct mover_read_req *q = calloc(1, sizeof *q);
        ASSERT(q != NULL);
        q->n = n;
        q->local = j;
        q->group = ROUTER_RS_GROUP(rs);
        q->what = what;
        q->bucket = j->mv.bucket;
        q->min_version = min_version;
        q->limit = what == MOVER_READ_SCAN || what == MOVER_READ_KEYS ? MOVER_PAGE_ROWS : 0;
        buf_append(&q->after, j->after.data, j->after.len);
        j->waiting = true;
        node_read(n, q->group, false, mover_serve_read, q);
        return;
    }
    struct buf req = BUF_INIT;
    buf_append_u64(&req, ROUTER_RS_GROUP(rs));
    buf_append_u8(&req, what);
    buf_append_u32(&req, j->mv.bucket);
    buf_append_u64(&req, min_version);
    buf_append_u32(&req, what == MOVER_READ_SCAN || what == MOVER_READ_KEYS ? MOVER_PAGE_ROWS : 0);
    buf_append_u32(&req, (uint32_t)j->after.len);
    buf_append(&req, j->after.data, j->after.len);
    uint64_t to = router_pick_member(&n->router, rs, j->attempt++);
    j->waiting = true;
    int rc = to == RAFT_NONE ? ERR_UNAVAILABLE
                             : node_rpc_call(n, to, NODE_RPC_BUCKET_READ, req.data, req.len,
                                             MOVER_RPC_TIMEOUT_MS, mover_read_done, j);
    buf_free(&req);
    if (rc != 0)
        mover_job_retry(j, "read", rc);
}

/* Turns a page of scanned rows into an import for the destination. */
static int mover_import_page(struct mover_job *j, const uint8_t *p, size_t len, uint32_t count,
                             uint64_t floor, struct buf *cmd, bool *done_page)
{
    struct errbuf eb = {{0}};
    struct kv_import im;
    int rc = kv_import_begin(&im, cmd, j->mv.bucket, floor, &eb);
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    struct mover_state *ms = mover_state(j->n);
    for (uint32_t i = 0; rc == 0 && i < count; i++) {
        uint32_t kl = codec_read_u32(&r);
        const uint8_t *k = codec_read_bytes(&r, kl);
        uint32_t vl = codec_read_u32(&r);
        const uint8_t *v = codec_read_bytes(&r, vl);
        uint64_t ver = codec_read_u64(&r);
        if (r.err)
            return ERR_MALFORMED;
        rc = kv_import_row(&im, k, kl, v, vl, ver, &eb);
        if (rc == ERR_TOOBIG)
            return rc; /* pages are small; a full command means a huge row */
        buf_reset(&j->page_last);
        buf_append(&j->page_last, k, kl);
        ms->rows_moved++;
        ms->bytes_moved += kl + vl;
    }
    *done_page = true;
    return rc;
}

static void mover_read_done(void *arg, int err, int status, const uint8_t *p, size_t len)
{
    struct mover_job *j = arg;
    j->waiting = false;
    if (!j->active)
        return;
    if (err != 0 || status != 0 || len < 8) {
        mover_job_retry(j, "read", err ? err : status ? status : ERR_PROTO);
        return;
    }
    uint64_t floor = codec_get_u64(p);
    switch (j->step) {
    case MOVER_CHECK_DST:
        /* Owned already: the crash came between OWN and the flip. The source
         * has been frozen since the fence, so the destination's copy is
         * whole: flip. */
        mover_job_next(j, len >= 9 && p[8] == KV_BUCKET_OWNED ? MOVER_FINISH : MOVER_RECEIVE);
        return;
    case MOVER_FLOOR_BEFORE:
        j->floor_before = floor;
        buf_reset(&j->after);
        mover_job_next(j, MOVER_COPY);
        return;
    case MOVER_FLOOR_AFTER:
        j->floor_after = floor;
        buf_reset(&j->after);
        mover_job_next(j, j->full_copy ? MOVER_COPY : MOVER_DELTA_ROWS);
        return;
    case MOVER_SQL_COPY: {
        struct table_bucket_page pg;
        if (table_bucket_page_parse(p + 8, len - 8, &pg) != 0) {
            mover_job_retry(j, "read", ERR_PROTO);
            return;
        }
        if (pg.nrows == 0) {
            mover_job_next(j, MOVER_OWN); /* every row is at the destination */
            return;
        }
        buf_reset(&j->sql_page);
        buf_append(&j->sql_page, p + 8, len - 8);
        struct buf cmd = BUF_INIT;
        struct errbuf eb = {{0}};
        int rc = table_encode_bucket_import(&cmd, j->mv.bucket, j->sql_seq + 1, p + 8, len - 8,
                                            &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        else
            mover_job_retry(j, "import", rc);
        buf_free(&cmd);
        return;
    }
    default:
        break;
    }
    if (len < 13) {
        mover_job_retry(j, "read", ERR_PROTO);
        return;
    }
    bool more = p[8] != 0;
    uint32_t count = codec_get_u32(p + 9);
    LOGD("mover", "bucket %u: step %d read %u items (more %d)", j->mv.bucket, j->step, count, more);
    const uint8_t *items = p + 13;
    size_t items_len = len - 13;
    if (j->step == MOVER_SRC_KEYS || j->step == MOVER_DST_KEYS) {
        struct buf *keys = j->step == MOVER_SRC_KEYS ? &j->src_keys : &j->dst_keys;
        buf_append(keys, items, items_len);
        struct codec_reader r;
        codec_reader_init(&r, items, items_len);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t kl = codec_read_u32(&r);
            const uint8_t *k = codec_read_bytes(&r, kl);
            if (r.err)
                break;
            buf_reset(&j->after);
            buf_append(&j->after, k, kl);
        }
        if (j->step == MOVER_SRC_KEYS)
            j->n_src_keys += count;
        else
            j->n_dst_keys += count;
        if (more) {
            mover_job_run(j);
            return;
        }
        buf_reset(&j->after);
        mover_job_next(j, j->step == MOVER_SRC_KEYS ? MOVER_DST_KEYS : MOVER_DELETES);
        return;
    }
    /* MOVER_COPY or MOVER_DELTA_ROWS: a page of rows. */
    if (count == 0) {
        buf_reset(&j->after);
        if (j->step == MOVER_COPY)
            mover_job_next(j, j->full_copy ? MOVER_SQL_CLEAR : MOVER_FENCE);
        else
            mover_job_next(j, MOVER_SRC_KEYS);
        return;
    }
    struct buf cmd = BUF_INIT;
    bool done_page = false;
    uint64_t import_floor = j->step == MOVER_DELTA_ROWS || j->full_copy ? j->floor_after : 0;
    int rc = mover_import_page(j, items, items_len, count, import_floor, &cmd, &done_page);
    if (rc != 0) {
        buf_free(&cmd);
        mover_job_retry(j, "import", rc);
        return;
    }
    if (!more) {
        /* The last page: after its import, move on (an empty page follows). */
    }
    mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
    buf_free(&cmd);
}

/* Keys at the destination that the source no longer has: deleted during the
 * copy; the last import removes them. */
static int mover_build_deletes(struct mover_job *j, struct buf *cmd)
{
    struct errbuf eb = {{0}};
    struct kv_import im;
    int rc = kv_import_begin(&im, cmd, j->mv.bucket, j->floor_after, &eb);
    struct codec_reader d;
    codec_reader_init(&d, j->dst_keys.data, j->dst_keys.len);
    for (uint32_t i = 0; rc == 0 && i < j->n_dst_keys; i++) {
        uint32_t kl = codec_read_u32(&d);
        const uint8_t *k = codec_read_bytes(&d, kl);
        if (d.err)
            return ERR_MALFORMED;
        bool found = false;
        struct codec_reader s;
        codec_reader_init(&s, j->src_keys.data, j->src_keys.len);
        for (uint32_t x = 0; x < j->n_src_keys && !found; x++) {
            uint32_t sl = codec_read_u32(&s);
            const uint8_t *sk = codec_read_bytes(&s, sl);
            found = sk != NULL && sl == kl && memcmp(sk, k, kl) == 0;
        }
        if (!found)
            rc = kv_import_delete(&im, k, kl, &eb);
    }
    return rc;
}

static void mover_job_run(struct mover_job *j)
{
    struct node *n = j->n;
    struct errbuf eb = {{0}};
    struct buf cmd = BUF_INIT;
    int rc = 0;
    switch (j->step) {
    case MOVER_CHECK_DST:
        mover_read(j, j->mv.dst, MOVER_READ_STATE, 0);
        break;
    case MOVER_RECEIVE:
        rc = kv_encode_bucket_receive(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        break;
    case MOVER_FLOOR_BEFORE:
    case MOVER_FLOOR_AFTER:
        mover_read(j, j->mv.src, MOVER_READ_FLOOR, 0);
        break;
    case MOVER_COPY:
        mover_read(j, j->mv.src, MOVER_READ_SCAN, 0);
        break;
    case MOVER_FENCE:
        rc = kv_encode_bucket_fence(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.src), &cmd);
        break;
    case MOVER_FENCE_RECORD:
        rc = cluster_encode_move_state(&cmd, j->mv.bucket, j->mv.started, CLUSTER_MOVE_FENCED, &eb);
        if (rc == 0)
            mover_write(j, NODE_GOVERNOR_GROUP, &cmd);
        break;
    case MOVER_DELTA_ROWS:
        mover_read(j, j->mv.src, MOVER_READ_SCAN, j->floor_before);
        break;
    case MOVER_SRC_KEYS:
        if (j->after.len == 0) {
            buf_reset(&j->src_keys);
            j->n_src_keys = 0;
        }
        mover_read(j, j->mv.src, MOVER_READ_KEYS, 0);
        break;
    case MOVER_DST_KEYS:
        if (j->after.len == 0) {
            buf_reset(&j->dst_keys);
            j->n_dst_keys = 0;
        }
        mover_read(j, j->mv.dst, MOVER_READ_KEYS, 0);
        break;
    case MOVER_DELETES:
        rc = mover_build_deletes(j, &cmd);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        break;
    case MOVER_SQL_CLEAR:
        rc = table_encode_bucket_clear(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        break;
    case MOVER_SQL_COPY:
        buf_reset(&j->after);
        buf_append(&j->after, j->sql_table.data, j->sql_table.len);
        mover_read(j, j->mv.src, MOVER_READ_SQL, (uint64_t)j->sql_rowid);
        break;
    case MOVER_SQL_DROP:
        rc = table_encode_bucket_clear(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.src), &cmd);
        break;
    case MOVER_OWN:
        rc = kv_encode_bucket_own(&cmd, &j->mv.bucket, 1, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        break;
    case MOVER_FINISH:
        rc = cluster_encode_move_finish(&cmd, j->mv.bucket, j->mv.started);
        if (rc == 0)
            mover_write(j, NODE_GOVERNOR_GROUP, &cmd);
        break;
    case MOVER_DROP:
        rc = kv_encode_bucket_drop(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.src), &cmd);
        break;
    case MOVER_ABORT_FENCE_DST:
    case MOVER_ABORT_DROP:
    case MOVER_ABORT_SQL_CLEAR: {
        struct cluster_replicaset set;
        if (cluster_replicaset_get(node_store(n), j->mv.dst, &set, &eb) == 0 &&
            set.state == CLUSTER_RS_RETIRED) {
            mover_job_next(j, MOVER_ABORT_UNFENCE); /* no member left to hold a copy */
            break;
        }
        /* Refused unless OWNED (then nothing to fence) / unless not OWNED; the SQL rows go
         * once the bucket is not there. */
        rc = j->step == MOVER_ABORT_FENCE_DST ? kv_encode_bucket_fence(&cmd, j->mv.bucket, &eb)
             : j->step == MOVER_ABORT_DROP    ? kv_encode_bucket_drop(&cmd, j->mv.bucket, &eb)
                                              : table_encode_bucket_clear(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.dst), &cmd);
        break;
    }
    case MOVER_ABORT_UNFENCE:
        rc = kv_encode_bucket_unfence(&cmd, j->mv.bucket, &eb);
        if (rc == 0)
            mover_write(j, ROUTER_RS_GROUP(j->mv.src), &cmd);
        break;
    case MOVER_ABORT_RECORD:
        rc = cluster_encode_move_abort(&cmd, j->mv.bucket, j->mv.started);
        if (rc == 0)
            mover_write(j, NODE_GOVERNOR_GROUP, &cmd);
        break;
    }
    buf_free(&cmd);
    if (rc != 0)
        mover_job_retry(j, "encode", rc);
    (void)n;
}

static struct mover_job *mover_job_for(struct mover_state *ms, uint32_t bucket)
{
    for (int i = 0; i < MOVER_CONCURRENT_MAX; i++)
        if (ms->jobs[i].active && ms->jobs[i].mv.bucket == bucket)
            return &ms->jobs[i];
    return NULL;
}

static struct mover_job *mover_job_free_slot(struct mover_state *ms)
{
    for (int i = 0; i < MOVER_CONCURRENT_MAX; i++)
        if (!ms->jobs[i].active && !ms->jobs[i].waiting)
            return &ms->jobs[i];
    return NULL;
}

static void mover_job_start(struct node *n, struct mover_job *j, const struct cluster_move *mv)
{
    memset(&j->mv, 0, sizeof j->mv);
    j->n = n;
    j->active = true;
    j->waiting = false;
    j->mv = *mv;
    j->full_copy = mv->state == CLUSTER_MOVE_FENCED; /* resumed after a crash */
    j->fenced_ms = j->full_copy ? clock_mono_ms() : 0;
    j->floor_before = j->floor_after = 0;
    j->fails = 0;
    j->retry_at_ms = 0;
    j->sql_restarts = 0;
    buf_reset(&j->after);
    j->step = j->full_copy ? MOVER_CHECK_DST : MOVER_RECEIVE;
    mover_job_run(j);
}

/* ------------------------------------------------------------ planning */

struct mover_moves {
    struct cluster_move moves[256];
    uint32_t n;
};

static int mover_moves_collect(void *ctx, const struct cluster_move *mv)
{
    struct mover_moves *m = ctx;
    if (m->n < sizeof m->moves / sizeof m->moves[0])
        m->moves[m->n++] = *mv;
    return 0;
}

struct mover_begin_ctx {
    struct node *n;
    struct cluster_move mv;
};

static void mover_begun(void *arg, int err, const struct store_result *res)
{
    struct mover_begin_ctx *c = arg;
    struct mover_state *ms = mover_state(c->n);
    ms->planning--;
    if (err == 0 && res->status == 0) {
        c->mv.started = res->version;
        c->mv.state = CLUSTER_MOVE_COPYING;
        struct mover_job *j = mover_job_free_slot(ms);
        ms->moves_started++;
        if (j != NULL)
            mover_job_start(c->n, j, &c->mv); /* else a later tick resumes it */
    }
    free(c);
}

void mover_tick(struct node *n)
{
    struct mover_state *ms = mover_state(n);
    ms->ticks++;
    if (!group_is_leader(n->group)) {
        /* Only the governor's leader drives moves: a new one resumes them. */
        for (int i = 0; i < MOVER_CONCURRENT_MAX; i++)
            ms->jobs[i].active = false;
        return;
    }
    if (n->router.bucket_count == 0)
        return;
    uint64_t now = clock_mono_ms();
    for (int i = 0; i < MOVER_CONCURRENT_MAX; i++) {
        struct mover_job *j = &ms->jobs[i];
        if (j->active && !j->waiting && j->retry_at_ms && now >= j->retry_at_ms) {
            j->retry_at_ms = 0;
            mover_job_run(j);
        }
    }
    if (ms->planning || ms->ticks % 2 != 0)
        return;
    /* Moves the catalog has that nobody drives (a new leader, a crash). */
    struct mover_moves *mm = calloc(1, sizeof *mm);
    ASSERT(mm != NULL);
    struct errbuf eb = {{0}};
    if (cluster_moves(node_store(n), mover_moves_collect, mm, &eb) != 0)
        goto out;
    for (uint32_t i = 0; i < mm->n; i++) {
        if (mover_job_for(ms, mm->moves[i].bucket) != NULL)
            continue;
        struct mover_job *j = mover_job_free_slot(ms);
        if (j == NULL)
            goto out;
        LOGI("mover", "resuming the move of bucket %u (%u -> %u, %s)", mm->moves[i].bucket,
             mm->moves[i].src, mm->moves[i].dst, cluster_move_state_name(mm->moves[i].state));
        mover_job_start(n, j, &mm->moves[i]);
    }
    if (mover_job_free_slot(ms) == NULL)
        goto out;
    /* Plan the next move towards the balanced map. */
    struct cluster_plan_set sets[ROUTER_RS_MAX];
    uint32_t n_sets = 0;
    for (uint32_t i = 0; i < n->router.n_rs; i++) {
        const struct router_rs *rs = &n->router.rs[i];
        if (rs->state != CLUSTER_RS_ACTIVE && rs->state != CLUSTER_RS_RETIRING)
            continue;
        sets[n_sets].id = rs->id;
        sets[n_sets].weight = 1;
        sets[n_sets].retiring = rs->state == CLUSTER_RS_RETIRING;
        n_sets++;
    }
    if (n_sets < 2 && !(n_sets == 1 && sets[0].retiring))
        goto out;
    struct cluster_plan_move moving[256], next[MOVER_CONCURRENT_MAX];
    for (uint32_t i = 0; i < mm->n && i < 256; i++) {
        moving[i].bucket = mm->moves[i].bucket;
        moving[i].src = mm->moves[i].src;
        moving[i].dst = mm->moves[i].dst;
    }
    struct cluster_plan_in in = {.sets = sets,
                                 .n_sets = n_sets,
                                 .owners = n->router.owners,
                                 .bucket_count = n->router.bucket_count,
                                 .moving = moving,
                                 .n_moving = mm->n < 256 ? mm->n : 256,
                                 .threshold_permille = MOVER_THRESHOLD_PERMILLE,
                                 .moves_per_rs_max = MOVER_CONCURRENT_MAX};
    uint32_t free_slots = 0;
    for (int i = 0; i < MOVER_CONCURRENT_MAX; i++)
        free_slots += !ms->jobs[i].active && !ms->jobs[i].waiting;
    uint32_t n_next = 0;
    if (cluster_plan(&in, next, free_slots, &n_next, &eb) != 0)
        goto out;
    for (uint32_t i = 0; i < n_next; i++) {
        struct buf cmd = BUF_INIT;
        if (cluster_encode_move_begin(&cmd, next[i].bucket, next[i].src, next[i].dst) == 0) {
            struct mover_begin_ctx *c = calloc(1, sizeof *c);
            ASSERT(c != NULL);
            c->n = n;
            c->mv.bucket = next[i].bucket;
            c->mv.src = next[i].src;
            c->mv.dst = next[i].dst;
            ms->planning++;
            node_write(n, NODE_GOVERNOR_GROUP, cmd.data, cmd.len, mover_begun, c);
        }
        buf_free(&cmd);
    }
out:
    free(mm);
}

void mover_write_metrics(struct node *n, struct buf *out)
{
    struct mover_state *ms = mover_state(n);
    metrics_write_value(out, "cairn_moves_started_total", "bucket moves begun (governor leader)",
                        "counter", "", (double)ms->moves_started);
    metrics_write_value(out, "cairn_moves_finished_total", "bucket moves finished", "counter", "",
                        (double)ms->moves_finished);
    metrics_write_value(out, "cairn_moves_failed_total", "bucket moves abandoned", "counter", "",
                        (double)ms->moves_failed);
    metrics_write_value(out, "cairn_move_rows_total", "rows copied by bucket moves", "counter", "",
                        (double)ms->rows_moved);
    metrics_write_value(out, "cairn_move_bytes_total", "key and value bytes copied by moves",
                        "counter", "", (double)ms->bytes_moved);
    metrics_write_value(out, "cairn_move_write_pause_seconds_max",
                        "longest time a bucket refused writes (fence to flip)", "gauge", "",
                        (double)ms->pause_ms_max / 1e3);
    metrics_write_value(out, "cairn_move_write_pause_seconds_last",
                        "time the last moved bucket refused writes", "gauge", "",
                        (double)ms->pause_ms_last / 1e3);
    for (uint32_t i = 0; i < n->router.n_rs; i++) {
        char labels[48];
        snprintf(labels, sizeof labels, "replicaset=\"%u\"", n->router.rs[i].id);
        metrics_write_value(out, "cairn_replicaset_buckets", i == 0 ? "buckets each replicaset owns"
                                                                    : NULL,
                            "gauge", labels, (double)n->router.rs[i].buckets);
    }
    metrics_write_value(out, "cairn_route_retries_total",
                        "writes sent again after meeting a moved bucket", "counter", "",
                        (double)n->router.retries);
}
