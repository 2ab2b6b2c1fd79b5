/* Group commit for the node's write-ahead log: every Raft group appends to
 * the one WAL on the loop thread, and asks the flusher to make its appends
 * durable. One write + fdatasync runs at a time on a worker thread; every
 * request that arrives meanwhile is served by the next single flush. */
#ifndef CAIRN_NODE_FLUSHER_H
#define CAIRN_NODE_FLUSHER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "node/metrics.h"
#include "wal/wal.h"

/* Called on the loop thread once every append made before flusher_request
 * is durable (rc 0), or the WAL failed (rc < 0: the node must stop). */
typedef void (*flusher_cb)(void *arg, int rc);

struct flusher_waiter {
    flusher_cb cb;
    void *arg;
};

#define FLUSHER_WAITERS_MAX 4096

struct flusher {
    uv_loop_t *loop;
    struct wal *wal;
    uv_work_t work;
    struct wal_batch *batch;
    int work_rc;
    bool inflight;
    int failed; /* sticky WAL failure */
    /* Waiters served by the flush in flight, and by the next one. */
    struct flusher_waiter cur[FLUSHER_WAITERS_MAX], next[FLUSHER_WAITERS_MAX];
    uint32_t n_cur, n_next;
    uint64_t started_ns;
    struct metrics_hist *sync_seconds; /* optional: write + fdatasync latency */
};

void flusher_init(struct flusher *f, uv_loop_t *loop, struct wal *wal,
                  struct metrics_hist *sync_seconds);
/* cb fires later (never inside this call). */
void flusher_request(struct flusher *f, flusher_cb cb, void *arg);
bool flusher_idle(const struct flusher *f);

#endif
