/* Threads for long reads. A read that outlasts its turn on the event loop (a scan of a large
 * table, a join computed on a replicaset) runs again here, on a reader connection of its own
 * (store_open_reader), so the loop goes on serving other clients, Raft and the WAL meanwhile.
 *
 * The pool has its own threads rather than libuv's: a few long reads must never leave the WAL
 * flusher or the store checkpoints (which use libuv's pool) waiting for a thread.
 *
 * Jobs run in submission order on READERS_THREADS threads; each job's done callback runs on
 * the loop thread after its work returns, exactly once. reader_pool_stop asks the pool to end:
 * the jobs already submitted still run and complete (their work should notice the stop through
 * reader_pool_stopping and end early), and then the threads and the loop handle are released. */
#ifndef CAIRN_NODE_READERS_H
#define CAIRN_NODE_READERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"

#define READERS_THREADS 2

struct reader_job;
typedef void (*reader_job_fn)(struct reader_job *j);

/* Embed in the caller's own job struct; fill work and done, leave the rest. */
struct reader_job {
    reader_job_fn work; /* on a pool thread */
    reader_job_fn done; /* on the loop thread, after work */
    struct reader_job *next;
};

struct reader_pool;

int reader_pool_start(uv_loop_t *loop, struct reader_pool **out, struct errbuf *eb);
void reader_pool_submit(struct reader_pool *p, struct reader_job *j);
/* Set once reader_pool_stop was called: long work should stop early. */
const atomic_bool *reader_pool_stopping(const struct reader_pool *p);
/* Frees the pool once every submitted job is done (now, if none is out). */
void reader_pool_stop(struct reader_pool *p);

#endif
