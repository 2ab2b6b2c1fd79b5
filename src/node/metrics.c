/* Prometheus text exposition for counters, gauges and histograms. */
#include "node/metrics.h"

const double metrics_bounds_seconds[METRICS_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0};

void metrics_hist_observe(struct metrics_hist *h, double seconds)
{
    h->count++;
    h->sum += seconds;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        if (seconds <= metrics_bounds_seconds[i]) {
            h->counts[i]++;
            return;
        }
    }
}

static void metrics_header(struct buf *out, const char *name, const char *help, const char *type)
{
    if (help != NULL)
        buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_write_hist(struct buf *out, const char *name, const char *help, const char *labels,
                        const struct metrics_hist *h)
{
    metrics_header(out, name, help, "histogram");
    const char *sep = labels[0] ? "," : "";
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->counts[i];
        buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                   metrics_bounds_seconds[i], (unsigned long long)cum);
    }
    buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
               (unsigned long long)h->count);
    if (labels[0]) {
        buf_printf(out, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, labels, h->sum, name, labels,
                   (unsigned long long)h->count);
    } else {
        buf_printf(out, "%s_sum %.9g\n%s_count %llu\n", name, h->sum, name,
                   (unsigned long long)h->count);
    }
}

void metrics_write_value(struct buf *out, const char *name, const char *help, const char *type,
                         const char *labels, double value)
{
    metrics_header(out, name, help, type);
    if (labels[0])
        buf_printf(out, "%s{%s} %.17g\n", name, labels, value);
    else
        buf_printf(out, "%s %.17g\n", name, value);
}

double metrics_hist_quantile(const struct metrics_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->count + 0.5);
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_BUCKETS; i++) {
        cum += h->counts[i];
        if (cum >= want)
            return metrics_bounds_seconds[i];
    }
    return metrics_bounds_seconds[METRICS_BUCKETS - 1];
}
