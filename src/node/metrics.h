/* Metrics in Prometheus text format: counters, gauges and latency
 * histograms with fixed buckets. Written on the loop thread only. */
#ifndef CAIRN_NODE_METRICS_H
#define CAIRN_NODE_METRICS_H

#include <stdint.h>

#include "base/buf.h"

#define METRICS_BUCKETS 14

/* Bucket upper bounds in seconds: 100 µs to 10 s. */
extern const double metrics_bounds_seconds[METRICS_BUCKETS];

struct metrics_hist {
    uint64_t counts[METRICS_BUCKETS]; /* per bucket, not cumulative */
    uint64_t count;
    double sum;
};

void metrics_hist_observe(struct metrics_hist *h, double seconds);
/* Writes HELP/TYPE once when help is not NULL. labels is "" or `a="b",c="d"`. */
void metrics_write_hist(struct buf *out, const char *name, const char *help, const char *labels,
                        const struct metrics_hist *h);
void metrics_write_value(struct buf *out, const char *name, const char *help, const char *type,
                         const char *labels, double value);
/* An estimate of quantile q (0..1) from the buckets, for human output. */
double metrics_hist_quantile(const struct metrics_hist *h, double q);

#endif
