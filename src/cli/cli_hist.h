/* A log-bucketed histogram in the style of HdrHistogram for `cairn bench` latencies: fixed
 * memory whatever is recorded, and every value lands in a bucket narrower than 1/128 of it. */
#ifndef CAIRN_CLI_HIST_H
#define CAIRN_CLI_HIST_H

#include <stddef.h>
#include <stdint.h>

/* Values below CLI_HIST_SUB_COUNT get a bucket each; above, every power of two is split into
 * CLI_HIST_SUB_HALF equal buckets, so a bucket is at most 1/CLI_HIST_SUB_HALF of its values. */
#define CLI_HIST_SUB_BITS  8
#define CLI_HIST_SUB_COUNT (1u << CLI_HIST_SUB_BITS)
#define CLI_HIST_SUB_HALF  (CLI_HIST_SUB_COUNT / 2)
/* Enough buckets for every uint64_t: 7424 counters, 58 KiB. */
#define CLI_HIST_BUCKETS (CLI_HIST_SUB_COUNT + (64 - CLI_HIST_SUB_BITS) * CLI_HIST_SUB_HALF)

struct cli_hist {
    uint64_t count;
    uint64_t min; /* exact; UINT64_MAX while empty */
    uint64_t max; /* exact */
    double sum;
    uint64_t buckets[CLI_HIST_BUCKETS];
};

void cli_hist_init(struct cli_hist *h);
void cli_hist_record(struct cli_hist *h, uint64_t v);
/* Adds every value of src to dst. */
void cli_hist_merge(struct cli_hist *dst, const struct cli_hist *src);
/* The nearest-rank percentile (pct in 0..100): the smallest recorded value v such that at least
 * pct% of the values are <= v, reported as the largest value of v's bucket but never above the
 * exact max. So the answer is >= the exact percentile and exceeds it by less than
 * 1/CLI_HIST_SUB_HALF of it. 0 for an empty histogram. */
uint64_t cli_hist_percentile(const struct cli_hist *h, double pct);
double cli_hist_mean(const struct cli_hist *h);

/* The bucket of v, and the range of values a bucket holds (exposed for tests). */
size_t cli_hist_index(uint64_t v);
uint64_t cli_hist_bucket_low(size_t idx);
uint64_t cli_hist_bucket_high(size_t idx);

#endif
