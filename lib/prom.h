/*
 * prom.h - what the servers' /metrics pages share: the Prometheus text
 * format (version 0.0.4) and error counters by KSI status code (spec
 * 7.10).
 */
#ifndef KTS_PROM_H
#define KTS_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "wr.h"

/* Error counters: one slot per status code kts_status_slot() knows. */
#define KTS_STATUS_SLOTS 16

/*
 * kts_status_slot - the counter slot of a status code: 0x0101-0x0107,
 * 0x0200-0x0202 and 0x0300-0x0301 have their own, anything else shares
 * the last.
 */
size_t kts_status_slot(uint64_t st);

/*
 * kts_prom_put - append one formatted piece (at most 511 bytes) to wr.
 * Returns 0, KTS_EINVAL (too long) or the writer's error.
 */
int kts_prom_put(struct kts_wr *wr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * kts_prom_errors - the metric name{status="0x...."} for every known
 * status code, from counters indexed by kts_status_slot().
 */
int kts_prom_errors(struct kts_wr *wr, const char *name,
    const uint64_t errors[KTS_STATUS_SLOTS]);

/*
 * A latency histogram in milliseconds with fixed buckets (the same for
 * every metric, so threads' and scrapes' histograms add up): a bucket
 * counts the observations at or under its bound, Prometheus style
 * ("le"), the last one (+Inf) all of them.  The bounds are 10 ms apart
 * from 100 to 160 ms, where an aggregator's round period plus 50 ms
 * (issue 4's latency target at the default 100 ms rounds) falls.
 */
#define KTS_HIST_BUCKETS 28

struct kts_hist {
	uint64_t le[KTS_HIST_BUCKETS];	/* per bucket, not cumulative */
	uint64_t count;
	double sum;			/* ms */
};

/* kts_hist_bound - bucket i's upper bound in ms (+Inf for the last). */
double kts_hist_bound(size_t i);

/* kts_hist_add - count one observation of ms milliseconds. */
void kts_hist_add(struct kts_hist *h, double ms);

/* kts_hist_merge - add the counts of src to dst. */
void kts_hist_merge(struct kts_hist *dst, const struct kts_hist *src);

/*
 * kts_hist_quantile - an upper bound of the q-quantile (0 < q <= 1): the
 * bound of the bucket holding it (HUGE_VAL if that is +Inf); -1 when h
 * is empty.
 */
double kts_hist_quantile(const struct kts_hist *h, double q);

/*
 * kts_prom_hist - h as a Prometheus histogram: name_bucket{le="..."}
 * (cumulative), name_sum and name_count, under a TYPE line.
 */
int kts_prom_hist(struct kts_wr *wr, const char *name,
    const struct kts_hist *h);

#endif
