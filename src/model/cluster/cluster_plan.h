/* The rebalancer's planner: which bucket moves to start next so that every
 * replicaset owns a share of the buckets proportional to its weight. A pure
 * function of its arguments (no store, no clock, no randomness), so the
 * governor leader can run it on a catalog it read and tests can replay it.
 *
 * Targets. The buckets owned by the listed sets are shared among the eligible
 * ones (not retiring, weight > 0) in proportion to weight, by largest
 * remainder: target = floor(total * w / W), and the buckets left over go one
 * each to the sets with the largest remainders (ties: lowest id). Retiring and
 * weight-0 sets have target 0. The targets sum to the total.
 *
 * Projection. A move in progress counts as done (its bucket already at dst),
 * so planning again while moves run does not overshoot. A move into a set
 * that is not eligible counts as not happening (the flip will be refused; the
 * mover aborts it).
 *
 * When to move. A set is within threshold when its projected count is within
 * slack = floor(target * threshold_permille / 1000) of its target; retiring and
 * weight-0 sets are within threshold only when empty. While some set is not,
 * the planner emits moves, each from the set with the most buckets above its
 * target (retiring and weight-0 sets first: drain them completely) to the
 * eligible set with the most buckets below its target (ties: lowest id), the
 * source's lowest-numbered bucket that is not moving. A set takes part in at
 * most moves_per_rs_max moves at once, as source or destination, counting
 * those in progress. Every move goes from above target to below it, so no set
 * both gives and receives and no bucket moves twice on the way to balance. */
#ifndef CAIRN_MODEL_CLUSTER_PLAN_H
#define CAIRN_MODEL_CLUSTER_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define CLUSTER_PLAN_THRESHOLD_PERMILLE_DEFAULT 10 /* 1% */
#define CLUSTER_PLAN_MOVES_PER_RS_DEFAULT       2
#define CLUSTER_PLAN_SETS_MAX                   1024
#define CLUSTER_PLAN_BUCKETS_MAX                1000000 /* STORE_BUCKET_COUNT_MAX */

/* A replicaset that owns buckets or may receive them: ACTIVE (retiring false)
 * or RETIRING (true). FORMING and RETIRED sets are left out. */
struct cluster_plan_set {
    uint32_t id;
    uint32_t weight;
    bool retiring;
};

struct cluster_plan_move {
    uint32_t bucket;
    uint32_t src, dst;
};

struct cluster_plan_in {
    const struct cluster_plan_set *sets; /* ids unique and nonzero */
    uint32_t n_sets;
    /* owners[b]: the replicaset owning bucket b (cluster_bucket_owners); a
     * bucket of a set not listed is left where it is. */
    const uint32_t *owners;
    uint32_t bucket_count;
    const struct cluster_plan_move *moving; /* moves in progress, buckets unique */
    uint32_t n_moving;
    uint32_t threshold_permille; /* 0..1000 */
    uint32_t moves_per_rs_max;   /* >= 1 */
};

/* targets[i] (room for n_sets) := the target of sets[i] out of total buckets.
 * Returns 0 or ERR_INVAL (too many sets, duplicate or zero ids). */
int cluster_plan_targets(const struct cluster_plan_set *sets, uint32_t n_sets, uint32_t total,
                         uint32_t *targets, struct errbuf *eb);

/* The next moves to start, at most out_max, into out[0..*n_out). *n_out 0
 * means: balanced within threshold, or every set that could take part is at
 * its concurrency limit. Returns 0, ERR_INVAL (inconsistent input: bounds,
 * duplicate ids or moving buckets) or ERR_NOMEM. */
int cluster_plan(const struct cluster_plan_in *in, struct cluster_plan_move *out, uint32_t out_max,
                 uint32_t *n_out, struct errbuf *eb);

#endif
