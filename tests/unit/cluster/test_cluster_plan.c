/* Unit tests for the rebalancer's planner: targets by weight, when it moves
 * and when it does not, which buckets and sets it picks, per-replicaset
 * concurrency, draining retiring sets, and convergence within the threshold
 * for many random configurations run to the end with moves finishing and
 * aborting at random. */
#include "test.h"

#include <stdbool.h>

#include "base/rng.h"
#include "model/cluster/cluster_plan.h"

static uint32_t plan(const struct cluster_plan_in *in, struct cluster_plan_move *out,
                     uint32_t out_max)
{
    uint32_t n = 0;
    struct errbuf eb = {{0}};
    int rc = cluster_plan(in, out, out_max, &n, &eb);
    if (rc != 0) {
        fprintf(stderr, "cluster_plan: %s (%s)\n", err_name(rc), eb.msg);
        abort();
    }
    return n;
}

/* ---- targets ---- */

TEST(targets_by_hand)
{
    struct cluster_plan_set three[3] = {{1, 1, false}, {2, 1, false}, {3, 1, false}};
    uint32_t t[4];
    CHECK_EQ(cluster_plan_targets(three, 3, 3000, t, NULL), 0);
    CHECK_EQ(t[0], 1000);
    CHECK_EQ(t[1], 1000);
    CHECK_EQ(t[2], 1000);
    /* 10 over three equal sets: the extra bucket to the lowest id, wherever listed. */
    struct cluster_plan_set shuffled[3] = {{3, 1, false}, {1, 1, false}, {2, 1, false}};
    CHECK_EQ(cluster_plan_targets(shuffled, 3, 10, t, NULL), 0);
    CHECK_EQ(t[0], 3);
    CHECK_EQ(t[1], 4);
    CHECK_EQ(t[2], 3);
    /* 7 by weights 2 and 3: 2.8 and 4.2 -> the larger remainder (.8) rounds up. */
    struct cluster_plan_set w[2] = {{5, 2, false}, {6, 3, false}};
    CHECK_EQ(cluster_plan_targets(w, 2, 7, t, NULL), 0);
    CHECK_EQ(t[0], 3);
    CHECK_EQ(t[1], 4);
    /* Retiring and weight-0 sets get nothing. */
    struct cluster_plan_set mixed[4] = {{1, 1, false}, {2, 1, true}, {3, 0, false}, {4, 1, false}};
    CHECK_EQ(cluster_plan_targets(mixed, 4, 11, t, NULL), 0);
    CHECK_EQ(t[0], 6);
    CHECK_EQ(t[1], 0);
    CHECK_EQ(t[2], 0);
    CHECK_EQ(t[3], 5);
    /* Bad input. */
    struct cluster_plan_set dup[2] = {{4, 1, false}, {4, 1, false}};
    CHECK_EQ(cluster_plan_targets(dup, 2, 7, t, NULL), ERR_INVAL);
    struct cluster_plan_set zero[1] = {{0, 1, false}};
    CHECK_EQ(cluster_plan_targets(zero, 1, 7, t, NULL), ERR_INVAL);
}

TEST(targets_are_proportional_and_sum_to_the_total)
{
    struct rng g;
    rng_seed(&g, 7);
    for (int round = 0; round < 2000; round++) {
        struct cluster_plan_set sets[16];
        uint32_t n = 1 + (uint32_t)rng_below(&g, 16), t[16];
        uint64_t wsum = 0;
        for (uint32_t i = 0; i < n; i++) {
            sets[i] = (struct cluster_plan_set){.id = 1 + i * 3 + (uint32_t)rng_below(&g, 3),
                                                .weight = (uint32_t)rng_below(&g, 1001),
                                                .retiring = rng_chance(&g, 1, 5)};
            if (!sets[i].retiring)
                wsum += sets[i].weight;
        }
        uint32_t total = (uint32_t)rng_below(&g, 1000001);
        CHECK_EQ(cluster_plan_targets(sets, n, total, t, NULL), 0);
        uint64_t sum = 0;
        for (uint32_t i = 0; i < n; i++) {
            sum += t[i];
            if (sets[i].retiring || sets[i].weight == 0 || wsum == 0) {
                CHECK_EQ(t[i], 0);
                continue;
            }
            /* floor or ceiling of the exact share total * w / W */
            uint64_t exact = (uint64_t)total * sets[i].weight;
            CHECK((uint64_t)t[i] * wsum <= exact + wsum - 1);
            CHECK((uint64_t)t[i] * wsum + wsum > exact);
        }
        CHECK_EQ(sum, wsum == 0 ? 0 : total);
    }
}

/* ---- single plans ---- */

static uint32_t owners_3000[3000];

TEST(a_new_set_gets_moves_from_the_full_one_within_concurrency)
{
    for (uint32_t b = 0; b < 3000; b++)
        owners_3000[b] = 1;
    struct cluster_plan_set sets[2] = {{1, 1, false}, {2, 1, false}};
    struct cluster_plan_in in = {.sets = sets,
                                 .n_sets = 2,
                                 .owners = owners_3000,
                                 .bucket_count = 3000,
                                 .threshold_permille = 10,
                                 .moves_per_rs_max = 2};
    struct cluster_plan_move out[16];
    CHECK_EQ(plan(&in, out, 16), 2);
    CHECK_EQ(out[0].bucket, 0);
    CHECK_EQ(out[1].bucket, 1);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(out[i].src, 1);
        CHECK_EQ(out[i].dst, 2);
    }
    /* With bucket 0 already moving: one more, and not bucket 0. */
    struct cluster_plan_move moving[1] = {{0, 1, 2}};
    in.moving = moving;
    in.n_moving = 1;
    CHECK_EQ(plan(&in, out, 16), 1);
    CHECK_EQ(out[0].bucket, 1);
    /* out_max bounds it too. */
    in.moves_per_rs_max = 100;
    CHECK_EQ(plan(&in, out, 3), 3);
    CHECK_EQ(out[2].bucket, 3);
}

TEST(no_moves_within_the_threshold)
{
    static uint32_t owners[2000];
    struct cluster_plan_set sets[2] = {{1, 1, false}, {2, 1, false}};
    struct cluster_plan_in in = {.sets = sets,
                                 .n_sets = 2,
                                 .owners = owners,
                                 .bucket_count = 2000,
                                 .threshold_permille = 10, /* slack 10 of 1000 */
                                 .moves_per_rs_max = 100};
    struct cluster_plan_move out[100];
    for (uint32_t b = 0; b < 2000; b++)
        owners[b] = b < 1010 ? 1 : 2;
    CHECK_EQ(plan(&in, out, 100), 0);
    for (uint32_t b = 0; b < 2000; b++)
        owners[b] = b < 1011 ? 2 : 1; /* rs2 is 11 over */
    /* Out of threshold: back to the exact target, 11 moves. */
    CHECK_EQ(plan(&in, out, 100), 11);
    for (uint32_t i = 0; i < 11; i++) {
        CHECK_EQ(out[i].bucket, i);
        CHECK_EQ(out[i].src, 2);
        CHECK_EQ(out[i].dst, 1);
    }
    /* Those moves in progress count as done. */
    in.moving = out;
    in.n_moving = 11;
    struct cluster_plan_move more[100];
    CHECK_EQ(plan(&in, more, 100), 0);
}

TEST(retiring_sets_drain_first_and_the_neediest_receive)
{
    static uint32_t owners[100];
    for (uint32_t b = 0; b < 100; b++)
        owners[b] = b < 90 ? 1 : 3;
    /* Targets: 100 over rs1, rs2, rs4 -> 34, 33, 33; rs3 retiring -> 0. */
    struct cluster_plan_set sets[4] = {{1, 1, false}, {2, 1, false}, {3, 1, true}, {4, 1, false}};
    struct cluster_plan_in in = {.sets = sets,
                                 .n_sets = 4,
                                 .owners = owners,
                                 .bucket_count = 100,
                                 .threshold_permille = 10,
                                 .moves_per_rs_max = 1};
    struct cluster_plan_move out[8];
    CHECK_EQ(plan(&in, out, 8), 2);
    /* rs1 is 56 over, rs3 only 10, but rs3 drains first; rs2 and rs4 both need 33: lowest id. */
    CHECK_EQ(out[0].src, 3);
    CHECK_EQ(out[0].bucket, 90);
    CHECK_EQ(out[0].dst, 2);
    CHECK_EQ(out[1].src, 1);
    CHECK_EQ(out[1].bucket, 0);
    CHECK_EQ(out[1].dst, 4);
    /* A move in flight into a retiring set does not count as arriving. */
    sets[1].retiring = true; /* rs2 now retiring too; targets 50/0/0/50 */
    struct cluster_plan_move moving[1] = {{0, 1, 2}};
    in.moving = moving;
    in.n_moving = 1;
    in.moves_per_rs_max = 4;
    CHECK_EQ(plan(&in, out, 8), 4);
    /* rs1 is further over, but rs3 drains first, until rs3 and rs4 are at
     * their limit of 4 moves; rs2 gets nothing though bucket 0 is on its way. */
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_EQ(out[i].src, 3);
        CHECK_EQ(out[i].bucket, 90 + i);
        CHECK_EQ(out[i].dst, 4);
    }
}

TEST(nothing_to_do_without_an_eligible_set)
{
    static uint32_t owners[10] = {1, 1, 1, 2, 2, 2, 2, 2, 2, 2};
    struct cluster_plan_set sets[2] = {{1, 0, false}, {2, 1, true}};
    struct cluster_plan_in in = {.sets = sets,
                                 .n_sets = 2,
                                 .owners = owners,
                                 .bucket_count = 10,
                                 .threshold_permille = 10,
                                 .moves_per_rs_max = 4};
    struct cluster_plan_move out[8];
    CHECK_EQ(plan(&in, out, 8), 0);
    /* Bad input is refused. */
    uint32_t n;
    in.moves_per_rs_max = 0;
    CHECK_EQ(cluster_plan(&in, out, 8, &n, NULL), ERR_INVAL);
    in.moves_per_rs_max = 1;
    struct cluster_plan_move twice[2] = {{3, 2, 1}, {3, 2, 1}};
    in.moving = twice;
    in.n_moving = 2;
    CHECK_EQ(cluster_plan(&in, out, 8, &n, NULL), ERR_INVAL);
    twice[1].bucket = 10;
    CHECK_EQ(cluster_plan(&in, out, 8, &n, NULL), ERR_INVAL);
}

/* ---- whole runs ---- */

#define SIM_SETS_MAX    12
#define SIM_BUCKETS_MAX 2000
#define SIM_FLIGHT_MAX  (SIM_SETS_MAX * 8)

struct sim {
    struct cluster_plan_set sets[SIM_SETS_MAX];
    uint32_t n_sets;
    uint32_t owners[SIM_BUCKETS_MAX];
    uint32_t bucket_count;
    struct cluster_plan_move flight[SIM_FLIGHT_MAX];
    uint32_t n_flight;
    uint32_t targets[SIM_SETS_MAX];
    uint32_t initial[SIM_SETS_MAX];
};

static uint32_t sim_count(const struct sim *s, uint32_t id)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < s->bucket_count; b++)
        n += s->owners[b] == id;
    return n;
}

static int sim_index(const struct sim *s, uint32_t id)
{
    for (uint32_t i = 0; i < s->n_sets; i++)
        if (s->sets[i].id == id)
            return (int)i;
    return -1;
}

static void sim_make(struct sim *s, struct rng *g)
{
    memset(s, 0, sizeof *s);
    s->n_sets = 1 + (uint32_t)rng_below(g, SIM_SETS_MAX);
    for (uint32_t i = 0; i < s->n_sets; i++) {
        /* sparse ids, not in order */
        s->sets[i].id =
            1 + (uint32_t)((i * 7919u + 13u * (uint32_t)rng_below(g, 3)) % 997u) + 997u * i;
        s->sets[i].weight = rng_chance(g, 1, 8) ? 0 : 1 + (uint32_t)rng_below(g, 5);
        s->sets[i].retiring = rng_chance(g, 1, 6);
    }
    /* Mostly small maps, so runs of thousands of rounds stay quick. */
    s->bucket_count = 1 + (uint32_t)rng_below(g, rng_chance(g, 1, 10) ? SIM_BUCKETS_MAX : 500);
    /* Skewed: a favourite set gets most buckets; a few belong to a set not listed. */
    uint32_t fav = (uint32_t)rng_below(g, s->n_sets);
    for (uint32_t b = 0; b < s->bucket_count; b++) {
        uint64_t r = rng_below(g, 100);
        s->owners[b] = r < 1    ? 999999
                       : r < 60 ? s->sets[fav].id
                                : s->sets[rng_below(g, s->n_sets)].id;
    }
}

static bool sim_in_flight(const struct sim *s, uint32_t bucket)
{
    for (uint32_t k = 0; k < s->n_flight; k++)
        if (s->flight[k].bucket == bucket)
            return true;
    return false;
}

static uint32_t sim_involved(const struct sim *s, uint32_t id)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < s->n_flight; k++)
        n += (s->flight[k].src == id) + (s->flight[k].dst == id);
    return n;
}

TEST(random_runs_converge_within_the_threshold)
{
    static struct sim s;
    static struct cluster_plan_move out[64];
    for (uint64_t seed = 1; seed <= 300; seed++) {
        struct rng g;
        rng_seed(&g, seed);
        sim_make(&s, &g);
        uint32_t permille = (uint32_t)rng_below(&g, 51), max = 1 + (uint32_t)rng_below(&g, 4);
        uint32_t listed = 0;
        bool any_eligible = false;
        for (uint32_t i = 0; i < s.n_sets; i++) {
            s.initial[i] = sim_count(&s, s.sets[i].id);
            listed += s.initial[i];
            any_eligible |= !s.sets[i].retiring && s.sets[i].weight > 0;
        }
        uint32_t unlisted = s.bucket_count - listed;
        CHECK_EQ(cluster_plan_targets(s.sets, s.n_sets, listed, s.targets, NULL), 0);
        uint64_t least = 0; /* moves needed to reach the exact targets */
        for (uint32_t i = 0; i < s.n_sets; i++)
            if (s.initial[i] > s.targets[i])
                least += s.initial[i] - s.targets[i];
        uint64_t finished = 0;
        uint32_t rounds = 0;
        for (;; rounds++) {
            CHECK(rounds < 4 * SIM_BUCKETS_MAX + 100);
            struct cluster_plan_in in = {.sets = s.sets,
                                         .n_sets = s.n_sets,
                                         .owners = s.owners,
                                         .bucket_count = s.bucket_count,
                                         .moving = s.flight,
                                         .n_moving = s.n_flight,
                                         .threshold_permille = permille,
                                         .moves_per_rs_max = max};
            uint32_t out_max = 1 + (uint32_t)rng_below(&g, 64);
            uint32_t n = plan(&in, out, out_max);
            CHECK(n <= out_max);
            if (n == 0 && s.n_flight == 0)
                break;
            for (uint32_t k = 0; k < n; k++) {
                const struct cluster_plan_move *m = &out[k];
                int si = sim_index(&s, m->src), di = sim_index(&s, m->dst);
                CHECK(si >= 0 && di >= 0 && si != di);
                CHECK_EQ(s.owners[m->bucket], m->src);
                CHECK(!sim_in_flight(&s, m->bucket)); /* never moving twice at once */
                CHECK(!s.sets[di].retiring && s.sets[di].weight > 0);
                /* Only from sets above their target to sets below it. */
                CHECK(s.initial[si] > s.targets[si]);
                CHECK(s.initial[di] < s.targets[di]);
                CHECK(s.n_flight < SIM_FLIGHT_MAX);
                s.flight[s.n_flight++] = *m;
            }
            for (uint32_t i = 0; i < s.n_sets; i++)
                CHECK(sim_involved(&s, s.sets[i].id) <= max);
            /* Moves in flight finish (1/2), abort (1/20) or go on. */
            for (uint32_t k = 0; k < s.n_flight;) {
                uint64_t r = rng_below(&g, 20);
                if (r < 11) {
                    if (r < 10) {
                        s.owners[s.flight[k].bucket] = s.flight[k].dst;
                        finished++;
                    }
                    s.flight[k] = s.flight[--s.n_flight];
                } else {
                    k++;
                }
            }
        }
        CHECK(finished <= least);
        CHECK_EQ(sim_count(&s, 999999), unlisted); /* never touched */
        for (uint32_t i = 0; i < s.n_sets; i++) {
            uint32_t have = sim_count(&s, s.sets[i].id);
            if (!any_eligible) {
                CHECK_EQ(have, s.initial[i]);
                continue;
            }
            uint32_t slack = (uint32_t)((uint64_t)s.targets[i] * permille / 1000);
            if (have + slack < s.targets[i] || have > s.targets[i] + slack) {
                fprintf(stderr, "  seed %" PRIu64 ": set %u has %u, target %u slack %u\n", seed,
                        s.sets[i].id, have, s.targets[i], slack);
                CHECK(false);
            }
            if (s.sets[i].retiring || s.sets[i].weight == 0)
                CHECK_EQ(have, 0);
        }
    }
}

TEST(plans_do_not_depend_on_the_order_sets_are_listed_in)
{
    static struct sim s;
    static struct cluster_plan_move a[64], b[64];
    for (uint64_t seed = 1; seed <= 100; seed++) {
        struct rng g;
        rng_seed(&g, seed * 1000 + 1);
        sim_make(&s, &g);
        struct cluster_plan_in in = {.sets = s.sets,
                                     .n_sets = s.n_sets,
                                     .owners = s.owners,
                                     .bucket_count = s.bucket_count,
                                     .threshold_permille = 10,
                                     .moves_per_rs_max = 3};
        uint32_t na = plan(&in, a, 64);
        struct cluster_plan_set rev[SIM_SETS_MAX];
        for (uint32_t i = 0; i < s.n_sets; i++)
            rev[i] = s.sets[s.n_sets - 1 - i];
        in.sets = rev;
        uint32_t nb = plan(&in, b, 64);
        CHECK_EQ(na, nb);
        for (uint32_t k = 0; k < na; k++) {
            CHECK_EQ(a[k].bucket, b[k].bucket);
            CHECK_EQ(a[k].src, b[k].src);
            CHECK_EQ(a[k].dst, b[k].dst);
        }
    }
}

TEST_MAIN()
