/* The rebalancer's planner: targets by weight, then greedy moves from the most
 * overloaded replicaset to the most underloaded one (see cluster_plan.h). */
#include "model/cluster/cluster_plan.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"

#define CLUSTER_PLAN_NONE UINT32_MAX

/* What the planner knows of one set while it plans. */
struct plan_set {
    uint32_t id;
    bool eligible; /* may receive: not retiring, weight > 0 */
    bool retiring;
    bool exhausted;    /* no bucket left that could move */
    int64_t projected; /* buckets once the moves in progress and planned are done */
    uint32_t target;
    uint32_t slack;
    uint32_t inflight; /* moves it takes part in */
    uint32_t cursor;   /* next bucket of its chain to try, or CLUSTER_PLAN_NONE */
};

struct plan {
    const struct cluster_plan_in *in;
    struct plan_set *sets;
    uint32_t *by_id; /* indexes of sets, ordered by id, for lookups */
    uint32_t *next;  /* next[b]: the next bucket with b's owner, or CLUSTER_PLAN_NONE */
    uint8_t *busy;   /* busy[b]: b is moving or planned */
};

static bool plan_eligible(const struct cluster_plan_set *s)
{
    return !s->retiring && s->weight > 0;
}

/* Checks the sets: bound, nonzero unique ids. */
static int plan_check_sets(const struct cluster_plan_set *sets, uint32_t n, struct errbuf *eb)
{
    if (n > CLUSTER_PLAN_SETS_MAX)
        return err_set(eb, ERR_INVAL, "%u replicasets, the planner takes %d", n,
                       CLUSTER_PLAN_SETS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        if (sets[i].id == 0)
            return err_set(eb, ERR_INVAL, "replicaset id 0");
        for (uint32_t j = 0; j < i; j++)
            if (sets[j].id == sets[i].id)
                return err_set(eb, ERR_INVAL, "replicaset %u is listed twice", sets[i].id);
    }
    return 0;
}

int cluster_plan_targets(const struct cluster_plan_set *sets, uint32_t n_sets, uint32_t total,
                         uint32_t *targets, struct errbuf *eb)
{
    int rc = plan_check_sets(sets, n_sets, eb);
    if (rc != 0)
        return rc;
    uint64_t weight_sum = 0;
    for (uint32_t i = 0; i < n_sets; i++)
        if (plan_eligible(&sets[i]))
            weight_sum += sets[i].weight;
    uint64_t given = 0;
    for (uint32_t i = 0; i < n_sets; i++) {
        targets[i] = weight_sum == 0 || !plan_eligible(&sets[i])
                         ? 0
                         : (uint32_t)((uint64_t)total * sets[i].weight / weight_sum);
        given += targets[i];
    }
    if (weight_sum == 0)
        return 0;
    ASSERT(given <= total);
    uint64_t left = total - given;
    ASSERT(left < n_sets);
    /* Largest remainders: set i gets one more if fewer than `left` eligible
     * sets rank before it (larger remainder, or equal and lower id). */
    for (uint32_t i = 0; i < n_sets && left > 0; i++) {
        if (!plan_eligible(&sets[i]))
            continue;
        uint64_t rem_i = (uint64_t)total * sets[i].weight % weight_sum;
        uint64_t rank = 0;
        for (uint32_t j = 0; j < n_sets; j++) {
            if (j == i || !plan_eligible(&sets[j]))
                continue;
            uint64_t rem_j = (uint64_t)total * sets[j].weight % weight_sum;
            if (rem_j > rem_i || (rem_j == rem_i && sets[j].id < sets[i].id))
                rank++;
        }
        if (rank < left)
            targets[i]++;
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n_sets; i++)
        sum += targets[i];
    ASSERT(sum == total);
    return 0;
}

/* by_id[0..n) := the indexes of sets ordered by id (insertion sort: n is
 * bounded by CLUSTER_PLAN_SETS_MAX, and no comparator state is shared). */
static void plan_sort_by_id(const struct cluster_plan_set *sets, uint32_t n, uint32_t *by_id)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i;
        while (j > 0 && sets[by_id[j - 1]].id > sets[i].id) {
            by_id[j] = by_id[j - 1];
            j--;
        }
        by_id[j] = i;
    }
}

/* The index of the set with this id, or CLUSTER_PLAN_NONE. */
static uint32_t plan_find(const struct plan *p, uint32_t id)
{
    uint32_t lo = 0, hi = p->in->n_sets;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t mid_id = p->in->sets[p->by_id[mid]].id;
        if (mid_id == id)
            return p->by_id[mid];
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return CLUSTER_PLAN_NONE;
}

static int plan_check_in(const struct cluster_plan_in *in, struct errbuf *eb)
{
    if (in->bucket_count > CLUSTER_PLAN_BUCKETS_MAX || (in->bucket_count > 0 && in->owners == NULL))
        return err_set(eb, ERR_INVAL, "bucket count %u is not within 0..%d with owners",
                       in->bucket_count, CLUSTER_PLAN_BUCKETS_MAX);
    if (in->threshold_permille > 1000 || in->moves_per_rs_max == 0)
        return err_set(eb, ERR_INVAL, "threshold %u per mille, %u moves per replicaset",
                       in->threshold_permille, in->moves_per_rs_max);
    if (in->n_moving > in->bucket_count || (in->n_moving > 0 && in->moving == NULL))
        return err_set(eb, ERR_INVAL, "%u moves in progress for %u buckets", in->n_moving,
                       in->bucket_count);
    return plan_check_sets(in->sets, in->n_sets, eb);
}

/* Counts, targets, projections, chains and busy buckets. */
static int plan_prepare(struct plan *p, struct errbuf *eb)
{
    const struct cluster_plan_in *in = p->in;
    plan_sort_by_id(in->sets, in->n_sets, p->by_id);
    for (uint32_t i = 0; i < in->n_sets; i++) {
        p->sets[i] = (struct plan_set){.id = in->sets[i].id,
                                       .eligible = plan_eligible(&in->sets[i]),
                                       .retiring = in->sets[i].retiring,
                                       .cursor = CLUSTER_PLAN_NONE};
    }
    /* Chains built backwards so each starts at its lowest bucket. */
    uint64_t total = 0;
    for (uint32_t b = in->bucket_count; b-- > 0;) {
        p->next[b] = CLUSTER_PLAN_NONE;
        uint32_t i = plan_find(p, in->owners[b]);
        if (i == CLUSTER_PLAN_NONE)
            continue;
        p->next[b] = p->sets[i].cursor;
        p->sets[i].cursor = b;
        p->sets[i].projected++;
        total++;
    }
    for (uint32_t k = 0; k < in->n_moving; k++) {
        const struct cluster_plan_move *m = &in->moving[k];
        if (m->bucket >= in->bucket_count || p->busy[m->bucket])
            return err_set(eb, ERR_INVAL, "move of bucket %u is outside the map or listed twice",
                           m->bucket);
        p->busy[m->bucket] = 1;
        uint32_t src = plan_find(p, m->src), dst = plan_find(p, m->dst);
        if (src != CLUSTER_PLAN_NONE)
            p->sets[src].inflight++;
        if (dst != CLUSTER_PLAN_NONE)
            p->sets[dst].inflight++;
        if (src != CLUSTER_PLAN_NONE && dst != CLUSTER_PLAN_NONE && src != dst &&
            in->owners[m->bucket] == m->src && p->sets[dst].eligible) {
            p->sets[src].projected--;
            p->sets[dst].projected++;
        }
    }
    uint32_t *targets = calloc(in->n_sets + 1, sizeof *targets);
    if (targets == NULL)
        return err_set(eb, ERR_NOMEM, "plan targets");
    ASSERT(total <= in->bucket_count);
    int rc = cluster_plan_targets(in->sets, in->n_sets, (uint32_t)total, targets, eb);
    for (uint32_t i = 0; rc == 0 && i < in->n_sets; i++) {
        p->sets[i].target = targets[i];
        p->sets[i].slack = (uint32_t)((uint64_t)targets[i] * in->threshold_permille / 1000);
    }
    free(targets);
    return rc;
}

static bool plan_balanced(const struct plan *p)
{
    for (uint32_t i = 0; i < p->in->n_sets; i++) {
        const struct plan_set *s = &p->sets[i];
        int64_t off = s->projected - (int64_t)s->target;
        if (off > (int64_t)s->slack || -off > (int64_t)s->slack)
            return false;
    }
    return true;
}

/* The source: draining sets first, then the most buckets above target. */
static uint32_t plan_pick_src(const struct plan *p)
{
    uint32_t best = CLUSTER_PLAN_NONE;
    int64_t best_excess = 0;
    for (uint32_t k = 0; k < p->in->n_sets; k++) {
        uint32_t i = p->by_id[k]; /* by id: the first of equals wins */
        const struct plan_set *s = &p->sets[i];
        int64_t excess = s->projected - (int64_t)s->target;
        if (excess <= 0 || s->exhausted || s->inflight >= p->in->moves_per_rs_max)
            continue;
        if (best != CLUSTER_PLAN_NONE) {
            bool draining = !s->eligible, best_draining = !p->sets[best].eligible;
            if (draining != best_draining ? !draining : excess <= best_excess)
                continue;
        }
        best = i;
        best_excess = excess;
    }
    return best;
}

/* The destination: the most buckets below target. */
static uint32_t plan_pick_dst(const struct plan *p)
{
    uint32_t best = CLUSTER_PLAN_NONE;
    int64_t best_deficit = 0;
    for (uint32_t k = 0; k < p->in->n_sets; k++) {
        uint32_t i = p->by_id[k];
        const struct plan_set *s = &p->sets[i];
        int64_t deficit = (int64_t)s->target - s->projected;
        if (!s->eligible || deficit <= best_deficit || s->inflight >= p->in->moves_per_rs_max)
            continue;
        best = i;
        best_deficit = deficit;
    }
    return best;
}

/* The source's lowest bucket that is not busy, or CLUSTER_PLAN_NONE. */
static uint32_t plan_take_bucket(struct plan *p, struct plan_set *s)
{
    while (s->cursor != CLUSTER_PLAN_NONE) {
        uint32_t b = s->cursor;
        s->cursor = p->next[b];
        if (!p->busy[b])
            return b;
    }
    return CLUSTER_PLAN_NONE;
}

static void plan_emit(struct plan *p, struct cluster_plan_move *out, uint32_t out_max,
                      uint32_t *n_out)
{
    /* Each round either emits a move or exhausts a source. */
    for (uint64_t round = 0; round < (uint64_t)out_max + p->in->n_sets && *n_out < out_max;
         round++) {
        uint32_t src = plan_pick_src(p), dst = plan_pick_dst(p);
        if (src == CLUSTER_PLAN_NONE || dst == CLUSTER_PLAN_NONE)
            return;
        ASSERT(src != dst); /* one is above its target, the other below */
        struct plan_set *s = &p->sets[src], *d = &p->sets[dst];
        uint32_t b = plan_take_bucket(p, s);
        if (b == CLUSTER_PLAN_NONE) {
            s->exhausted = true;
            continue;
        }
        ASSERT(p->in->owners[b] == s->id && !p->busy[b]);
        p->busy[b] = 1;
        s->projected--;
        d->projected++;
        s->inflight++;
        d->inflight++;
        out[(*n_out)++] = (struct cluster_plan_move){.bucket = b, .src = s->id, .dst = d->id};
    }
}

int cluster_plan(const struct cluster_plan_in *in, struct cluster_plan_move *out, uint32_t out_max,
                 uint32_t *n_out, struct errbuf *eb)
{
    *n_out = 0;
    int rc = plan_check_in(in, eb);
    if (rc != 0)
        return rc;
    struct plan p = {.in = in};
    /* +1: calloc(0) may return NULL. */
    p.sets = calloc(in->n_sets + 1, sizeof *p.sets);
    p.by_id = calloc(in->n_sets + 1, sizeof *p.by_id);
    p.next = calloc((size_t)in->bucket_count + 1, sizeof *p.next);
    p.busy = calloc((size_t)in->bucket_count + 1, sizeof *p.busy);
    if (p.sets == NULL || p.by_id == NULL || p.next == NULL || p.busy == NULL) {
        rc = err_set(eb, ERR_NOMEM, "plan for %u buckets", in->bucket_count);
        goto out;
    }
    rc = plan_prepare(&p, eb);
    if (rc == 0 && !plan_balanced(&p))
        plan_emit(&p, out, out_max, n_out);
out:
    free(p.sets);
    free(p.by_id);
    free(p.next);
    free(p.busy);
    return rc;
}
