/* Unit tests for the bench's latency histogram: bucket layout, and percentiles against the exact
 * nearest-rank percentiles of the recorded values. */
#include "test.h"

#include <stdlib.h>

#include "base/rng.h"
#include "cli/cli_hist.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of sorted[0..n), pct given in units of 0.01 %. */
static uint64_t exact_percentile(const uint64_t *sorted, uint64_t n, uint64_t pct_bp)
{
    uint64_t rank = (pct_bp * n + 9999) / 10000; /* ceil(pct/100 * n) */
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

TEST(buckets_tile_the_whole_range)
{
    CHECK_EQ(cli_hist_bucket_low(0), 0);
    for (size_t i = 0; i + 1 < CLI_HIST_BUCKETS; i++) {
        uint64_t lo = cli_hist_bucket_low(i), hi = cli_hist_bucket_high(i);
        CHECK(lo <= hi);
        CHECK_EQ(hi + 1, cli_hist_bucket_low(i + 1));
        CHECK_EQ(cli_hist_index(lo), i);
        CHECK_EQ(cli_hist_index(hi), i);
        /* Width bound: at most 1/SUB_HALF of the smallest value in the bucket. */
        CHECK(hi - lo + 1 == 1 || (hi - lo + 1) * CLI_HIST_SUB_HALF <= lo);
    }
    CHECK_EQ(cli_hist_bucket_high(CLI_HIST_BUCKETS - 1), UINT64_MAX);
    CHECK_EQ(cli_hist_index(UINT64_MAX), CLI_HIST_BUCKETS - 1);
    for (uint64_t v = 0; v < CLI_HIST_SUB_COUNT; v++)
        CHECK_EQ(cli_hist_index(v), v); /* small values are exact */
}

TEST(empty_and_single)
{
    struct cli_hist *h = malloc(sizeof *h);
    CHECK(h != NULL);
    cli_hist_init(h);
    CHECK_EQ(cli_hist_percentile(h, 50), 0);
    CHECK_EQ(h->count, 0);
    cli_hist_record(h, 123456);
    CHECK_EQ(cli_hist_percentile(h, 0), 123456);
    CHECK_EQ(cli_hist_percentile(h, 50), 123456); /* capped at the exact max */
    CHECK_EQ(cli_hist_percentile(h, 100), 123456);
    CHECK_EQ(h->min, 123456);
    CHECK_EQ(h->max, 123456);
    free(h);
}

/* Values spread over nine orders of magnitude; every percentile is within the bucket bound of the
 * exact one and never below it. */
TEST(percentiles_match_exact_ones)
{
    static const uint64_t pcts_bp[] = {1, 100, 1000, 5000, 9000, 9900, 9990, 9999, 10000};
    struct cli_hist *h = malloc(sizeof *h);
    CHECK(h != NULL);
    for (int round = 0; round < 4; round++) {
        struct rng g;
        rng_seed(&g, 1000 + (uint64_t)round);
        uint64_t n = round == 0 ? 1 : round == 1 ? 7 : round == 2 ? 1000 : 100000;
        uint64_t *vals = malloc(n * sizeof *vals);
        CHECK(vals != NULL);
        cli_hist_init(h);
        double sum = 0;
        for (uint64_t i = 0; i < n; i++) {
            /* log-uniform in [1, 2^30) */
            unsigned bits = (unsigned)rng_below(&g, 30);
            vals[i] = (UINT64_C(1) << bits) + rng_below(&g, UINT64_C(1) << bits);
            cli_hist_record(h, vals[i]);
            sum += (double)vals[i];
        }
        qsort(vals, n, sizeof *vals, cmp_u64);
        CHECK_EQ(h->count, n);
        CHECK_EQ(h->min, vals[0]);
        CHECK_EQ(h->max, vals[n - 1]);
        CHECK(cli_hist_mean(h) > sum / (double)n * 0.999999 &&
              cli_hist_mean(h) < sum / (double)n * 1.000001);
        for (size_t k = 0; k < sizeof pcts_bp / sizeof pcts_bp[0]; k++) {
            uint64_t exact = exact_percentile(vals, n, pcts_bp[k]);
            uint64_t got = cli_hist_percentile(h, (double)pcts_bp[k] / 100.0);
            if (!(got >= exact && got - exact <= exact / CLI_HIST_SUB_HALF))
                fprintf(stderr, "  n %" PRIu64 " pct %.2f: exact %" PRIu64 " got %" PRIu64 "\n", n,
                        (double)pcts_bp[k] / 100.0, exact, got);
            CHECK(got >= exact);
            CHECK(got - exact <= exact / CLI_HIST_SUB_HALF);
            CHECK(got <= h->max);
        }
        free(vals);
    }
    free(h);
}

/* Small values are recorded exactly, so percentiles are exact: 1..1000 uniformly. */
TEST(exact_for_small_values_and_rank_rounding)
{
    struct cli_hist *h = malloc(sizeof *h);
    CHECK(h != NULL);
    cli_hist_init(h);
    for (uint64_t v = 1; v <= 200; v++)
        cli_hist_record(h, v);
    CHECK_EQ(cli_hist_percentile(h, 50), 100);
    CHECK_EQ(cli_hist_percentile(h, 99), 198);
    CHECK_EQ(cli_hist_percentile(h, 99.9), 200); /* rank ceil(199.8) = 200 */
    CHECK_EQ(cli_hist_percentile(h, 0.5), 1);
    /* 99.9% of 1000 values is rank 999 exactly, not 1000 by a floating-point rounding. */
    cli_hist_init(h);
    for (uint64_t v = 0; v < 1000; v++)
        cli_hist_record(h, v < 999 ? 5 : 200);
    CHECK_EQ(cli_hist_percentile(h, 99.9), 5);
    CHECK_EQ(cli_hist_percentile(h, 99.95), 200);
    free(h);
}

TEST(merge_adds_counts)
{
    struct cli_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    CHECK(a != NULL && b != NULL && c != NULL);
    cli_hist_init(a);
    cli_hist_init(b);
    cli_hist_init(c);
    struct rng g;
    rng_seed(&g, 5);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = rng_below(&g, 1000000);
        cli_hist_record(i % 3 ? a : b, v);
        cli_hist_record(c, v);
    }
    cli_hist_merge(a, b);
    CHECK_EQ(a->count, c->count);
    CHECK_EQ(a->min, c->min);
    CHECK_EQ(a->max, c->max);
    CHECK(memcmp(a->buckets, c->buckets, sizeof a->buckets) == 0);
    free(a);
    free(b);
    free(c);
}

TEST_MAIN()
