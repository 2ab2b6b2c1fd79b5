/* HdrHistogram-style log-linear buckets: the top CLI_HIST_SUB_BITS bits of a value choose its
 * bucket, which bounds the relative error without bounding the range. */
#include "cli/cli_hist.h"

#include <math.h>
#include <string.h>

#include "base/assert.h"

void cli_hist_init(struct cli_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

size_t cli_hist_index(uint64_t v)
{
    if (v < CLI_HIST_SUB_COUNT)
        return (size_t)v;
    unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= CLI_HIST_SUB_BITS */
    unsigned shift = top - (CLI_HIST_SUB_BITS - 1);    /* >= 1 */
    uint64_t sub = v >> shift;                         /* in [SUB_HALF, SUB_COUNT) */
    ASSERT(sub >= CLI_HIST_SUB_HALF && sub < CLI_HIST_SUB_COUNT);
    size_t idx = CLI_HIST_SUB_COUNT + (size_t)(shift - 1) * CLI_HIST_SUB_HALF +
                 (size_t)(sub - CLI_HIST_SUB_HALF);
    ASSERT(idx < CLI_HIST_BUCKETS);
    return idx;
}

/* The bucket's first value and its width (as a shift). */
static void bucket_range(size_t idx, uint64_t *low, unsigned *shift)
{
    ASSERT(idx < CLI_HIST_BUCKETS);
    if (idx < CLI_HIST_SUB_COUNT) {
        *low = idx;
        *shift = 0;
        return;
    }
    size_t k = idx - CLI_HIST_SUB_COUNT;
    *shift = (unsigned)(k / CLI_HIST_SUB_HALF) + 1;
    uint64_t sub = CLI_HIST_SUB_HALF + k % CLI_HIST_SUB_HALF;
    *low = sub << *shift;
}

uint64_t cli_hist_bucket_low(size_t idx)
{
    uint64_t low;
    unsigned shift;
    bucket_range(idx, &low, &shift);
    return low;
}

uint64_t cli_hist_bucket_high(size_t idx)
{
    uint64_t low;
    unsigned shift;
    bucket_range(idx, &low, &shift);
    /* low + width - 1 cannot overflow: the last bucket ends at UINT64_MAX. */
    return low + ((UINT64_C(1) << shift) - 1);
}

void cli_hist_record(struct cli_hist *h, uint64_t v)
{
    h->buckets[cli_hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void cli_hist_merge(struct cli_hist *dst, const struct cli_hist *src)
{
    for (size_t i = 0; i < CLI_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t cli_hist_percentile(const struct cli_hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    if (!(pct > 0))
        return h->min;
    if (pct >= 100)
        return h->max;
    /* Nearest rank: the ceil(pct/100 * count)-th smallest value, 1-based. In integers (pct in
     * units of 1e-4 %) so that 99.9% of 1000 is rank 999, not 1000 by a rounding error. */
    unsigned __int128 scaled = (unsigned __int128)llround(pct * 10000.0);
    unsigned __int128 r = (scaled * h->count + 999999) / 1000000;
    uint64_t rank = r < 1 ? 1 : r > h->count ? h->count : (uint64_t)r;
    uint64_t seen = 0;
    for (size_t i = 0; i < CLI_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t high = cli_hist_bucket_high(i);
            return high < h->max ? high : h->max;
        }
    }
    PANIC("histogram count %llu exceeds its buckets' sum", (unsigned long long)h->count);
}

double cli_hist_mean(const struct cli_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
