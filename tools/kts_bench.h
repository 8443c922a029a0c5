/*
 * kts_bench.h - the parts of kts-bench that live in their own files.
 */
#ifndef KTS_BENCH_H
#define KTS_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "prom.h"

/*
 * The network subcommands, on the load generator of kts_bench_net.c.
 * argv holds the arguments after the subcommand's name.  Each returns the
 * exit status: 0 when the run finished (errors are counted and reported,
 * not fatal) or help was asked for, 1 when it could not run, 3 for bad
 * arguments.
 * Ownership: nothing changes hands.
 *
 * kts_bench_extend - "kts-bench extend": load an extender with extension
 * requests (kts_bench_extend.c).
 * kts_bench_sign - "kts-bench sign": load a signing service with
 * aggregation requests (kts_bench_sign.c).
 * kts_bench_baseline - "kts-bench http-baseline": load a bare evhttp
 * server in a child process (kts_bench_baseline.c).
 */
int kts_bench_extend(int argc, char **argv);
int kts_bench_sign(int argc, char **argv);
int kts_bench_baseline(int argc, char **argv);

/*
 * kts_bench_logsig - "kts-bench logsig": log lines signed a second on
 * one core, the network wait excluded (kts_bench_logsig.c).
 */
int kts_bench_logsig(int argc, char **argv);

/*
 * A server's latency histograms from its /metrics page
 * (kts_bench_metrics.c): request latency, parent wait per round, and
 * own latency (the first less the second), with its round period (-1
 * when the page has none).
 */
#define KTS_SCRAPE_HISTS 3

struct kts_scrape {
	struct kts_hist h[KTS_SCRAPE_HISTS];
	uint64_t seen[KTS_SCRAPE_HISTS];	/* buckets found, a bit each */
	double period_ms;
};

/*
 * kts_scrape_get - GET url and read its histograms into sc.  Returns 0,
 * KTS_EFORMAT (a histogram missing, incomplete or not cumulative: why
 * says which) or as kts_net_get.
 */
int kts_scrape_get(const char *url, struct kts_scrape *sc, char *why,
    size_t whylen);

/*
 * kts_scrape_report - one stdout line per histogram for what happened
 * between scrapes a and b: "server_own_ms n N p50_le X p99_le Y target T
 * met" (quantiles are bucket bounds; the target is the round period plus
 * 50 ms, issue 4).
 */
void kts_scrape_report(const struct kts_scrape *a, const struct kts_scrape *b);

#endif
