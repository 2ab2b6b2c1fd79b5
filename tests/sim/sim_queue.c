/* The simulator's event queue: a binary min-heap ordered by (time, insertion
 * sequence), so simultaneous events always run in the order they were made. */
#include <stdlib.h>

#include "base/assert.h"
#include "sim.h"

static bool sim_event_before(const struct sim_event *a, const struct sim_event *b)
{
    if (a->at_us != b->at_us)
        return a->at_us < b->at_us;
    return a->seq < b->seq;
}

void sim_queue_push(struct sim_queue *q, const struct sim_event *e)
{
    if (q->n == q->cap) {
        uint64_t cap = q->cap ? q->cap * 2 : 256;
        struct sim_event *ev = realloc(q->ev, cap * sizeof *ev);
        ASSERT(ev != NULL);
        q->ev = ev;
        q->cap = cap;
    }
    uint64_t i = q->n++;
    q->ev[i] = *e;
    q->ev[i].seq = q->next_seq++;
    while (i > 0) {
        uint64_t parent = (i - 1) / 2;
        if (!sim_event_before(&q->ev[i], &q->ev[parent]))
            break;
        struct sim_event t = q->ev[i];
        q->ev[i] = q->ev[parent];
        q->ev[parent] = t;
        i = parent;
    }
}

bool sim_queue_pop(struct sim_queue *q, struct sim_event *out)
{
    if (q->n == 0)
        return false;
    *out = q->ev[0];
    q->ev[0] = q->ev[--q->n];
    uint64_t i = 0;
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && sim_event_before(&q->ev[l], &q->ev[m]))
            m = l;
        if (r < q->n && sim_event_before(&q->ev[r], &q->ev[m]))
            m = r;
        if (m == i)
            break;
        struct sim_event t = q->ev[i];
        q->ev[i] = q->ev[m];
        q->ev[m] = t;
        i = m;
    }
    return true;
}

void sim_queue_free(struct sim_queue *q)
{
    free(q->ev);
    q->ev = NULL;
    q->n = q->cap = 0;
}
