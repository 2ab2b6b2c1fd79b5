/* Threads for long reads: a queue of jobs, READERS_THREADS threads, and a uv_async that brings
 * finished jobs back to the loop. See readers.h. */
#include "node/readers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

struct reader_pool {
    uv_async_t wake; /* a job finished: run its done on the loop */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct reader_job *queue_head, *queue_tail; /* submitted, not started; under mu */
    struct reader_job *finished;                /* work returned; under mu */
    bool quit;                                  /* threads end; under mu */
    pthread_t threads[READERS_THREADS];
    uint32_t n_threads;
    uint32_t inflight; /* loop thread only */
    bool stop_asked;   /* loop thread only */
    atomic_bool stopping;
};

static void *reader_thread(void *arg)
{
    struct reader_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->queue_head == NULL && !p->quit)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->queue_head == NULL)
            break; /* quit, and nothing left */
        struct reader_job *j = p->queue_head;
        p->queue_head = j->next;
        if (p->queue_head == NULL)
            p->queue_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->work(j);
        pthread_mutex_lock(&p->mu);
        j->next = p->finished;
        p->finished = j;
        uv_async_send(&p->wake);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void reader_pool_closed(uv_handle_t *h)
{
    struct reader_pool *p = h->data;
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* Every job is done: end the threads (idle, so the joins are quick) and the handle. */
static void reader_pool_finish(struct reader_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    p->n_threads = 0;
    uv_close((uv_handle_t *)&p->wake, reader_pool_closed);
}

static void reader_pool_on_wake(uv_async_t *h)
{
    struct reader_pool *p = h->data;
    pthread_mutex_lock(&p->mu);
    struct reader_job *list = p->finished;
    p->finished = NULL;
    pthread_mutex_unlock(&p->mu);
    /* The list is newest first: complete in the order the work finished. */
    struct reader_job *ordered = NULL;
    while (list != NULL) {
        struct reader_job *next = list->next;
        list->next = ordered;
        ordered = list;
        list = next;
    }
    while (ordered != NULL) {
        struct reader_job *j = ordered;
        ordered = j->next;
        ASSERT(p->inflight > 0);
        p->inflight--;
        j->done(j); /* may free j, may submit more */
    }
    if (p->stop_asked && p->inflight == 0 && p->n_threads > 0)
        reader_pool_finish(p);
}

int reader_pool_start(uv_loop_t *loop, struct reader_pool **out, struct errbuf *eb)
{
    struct reader_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return err_set(eb, ERR_NOMEM, "reader pool");
    atomic_init(&p->stopping, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (uv_async_init(loop, &p->wake, reader_pool_on_wake) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return err_set(eb, ERR_NOMEM, "reader pool wake-up handle");
    }
    p->wake.data = p;
    for (uint32_t i = 0; i < READERS_THREADS; i++) {
        if (pthread_create(&p->threads[i], NULL, reader_thread, p) != 0) {
            reader_pool_finish(p);
            return err_set(eb, ERR_NOMEM, "reader thread %u of %d", i + 1, READERS_THREADS);
        }
        p->n_threads++;
    }
    *out = p;
    return 0;
}

void reader_pool_submit(struct reader_pool *p, struct reader_job *j)
{
    ASSERT(j->work != NULL && j->done != NULL);
    p->inflight++;
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->queue_tail != NULL)
        p->queue_tail->next = j;
    else
        p->queue_head = j;
    p->queue_tail = j;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

const atomic_bool *reader_pool_stopping(const struct reader_pool *p)
{
    return &p->stopping;
}

void reader_pool_stop(struct reader_pool *p)
{
    if (p == NULL || p->stop_asked)
        return;
    p->stop_asked = true;
    atomic_store(&p->stopping, true);
    if (p->inflight == 0)
        reader_pool_finish(p);
}
