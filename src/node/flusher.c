/* The WAL flusher: one write + fdatasync in flight, group commit for the rest. */
#include "node/flusher.h"

#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

static void flusher_start(struct flusher *f);

static void flusher_work(uv_work_t *req)
{
    struct flusher *f = req->data;
    f->work_rc = f->batch ? wal_flush_write(f->batch) : 0;
}

static void flusher_notify(struct flusher_waiter *ws, uint32_t n, int rc)
{
    for (uint32_t i = 0; i < n; i++)
        ws[i].cb(ws[i].arg, rc);
}

static void flusher_after(uv_work_t *req, int status)
{
    struct flusher *f = req->data;
    struct errbuf eb = {{0}};
    int rc = status == 0 ? f->work_rc : ERR_IO;
    if (f->batch != NULL)
        rc = wal_flush_end(f->wal, f->batch, rc, &eb);
    f->batch = NULL;
    f->inflight = false;
    if (f->sync_seconds)
        metrics_hist_observe(f->sync_seconds, (double)(clock_mono_ns() - f->started_ns) / 1e9);
    if (rc != 0) {
        LOGE("wal", "write-ahead log flush failed: %s (%s)", eb.msg, err_name(rc));
        f->failed = rc;
    }
    /* Serve this flush's waiters; the next flush takes the ones that came
     * while it ran. Waiters may request again from their callbacks. */
    struct flusher_waiter done[FLUSHER_WAITERS_MAX];
    uint32_t n = f->n_cur;
    memcpy(done, f->cur, n * sizeof done[0]);
    f->n_cur = 0;
    memcpy(f->cur, f->next, f->n_next * sizeof f->cur[0]);
    f->n_cur = f->n_next;
    f->n_next = 0;
    if (f->n_cur > 0)
        flusher_start(f);
    flusher_notify(done, n, rc);
}

static void flusher_start(struct flusher *f)
{
    ASSERT(!f->inflight);
    if (f->failed) {
        struct flusher_waiter done[FLUSHER_WAITERS_MAX];
        uint32_t n = f->n_cur;
        memcpy(done, f->cur, n * sizeof done[0]);
        f->n_cur = 0;
        flusher_notify(done, n, f->failed);
        return;
    }
    int rc = wal_flush_begin(f->wal, &f->batch);
    if (rc != 0) {
        /* The WAL failed earlier (an append ran out of memory): sticky. */
        LOGE("wal", "write-ahead log cannot flush: %s", err_msg(rc));
        f->failed = rc;
        struct flusher_waiter done[FLUSHER_WAITERS_MAX];
        uint32_t n = f->n_cur;
        memcpy(done, f->cur, n * sizeof done[0]);
        f->n_cur = 0;
        flusher_notify(done, n, rc);
        return;
    }
    f->inflight = true;
    f->started_ns = clock_mono_ns();
    if (f->batch == NULL) {
        /* Nothing pending: the appends were in an earlier flush. Still go
         * through the pool, so callbacks never run inside a request. */
    }
    f->work.data = f;
    uv_queue_work(f->loop, &f->work, flusher_work, flusher_after);
}

void flusher_init(struct flusher *f, uv_loop_t *loop, struct wal *wal,
                  struct metrics_hist *sync_seconds)
{
    memset(f, 0, sizeof *f);
    f->loop = loop;
    f->wal = wal;
    f->sync_seconds = sync_seconds;
}

void flusher_request(struct flusher *f, flusher_cb cb, void *arg)
{
    struct flusher_waiter w = {cb, arg};
    if (f->inflight) {
        ASSERT(f->n_next < FLUSHER_WAITERS_MAX);
        f->next[f->n_next++] = w;
        return;
    }
    ASSERT(f->n_cur < FLUSHER_WAITERS_MAX);
    f->cur[f->n_cur++] = w;
    flusher_start(f);
}

bool flusher_idle(const struct flusher *f)
{
    return !f->inflight;
}
