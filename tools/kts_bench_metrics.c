/*
 * kts_bench_metrics.c - "kts-bench sign --metrics URL": what the server
 * itself measured during a run, from its /metrics page before and after
 * (docs/performance.md).
 *
 * An aggregator's /metrics holds latency histograms (aggregator/http.c):
 * kts_request_latency_ms (a request's arrival to its answer written),
 * kts_round_parent_ms (a round's root sent to its parent's answer read)
 * and kts_request_own_latency_ms (the first less its round's second: what
 * the aggregator itself adds), plus kts_round_period_ms.  The difference
 * of two scrapes is the run's histogram; its quantiles are bucket bounds
 * (an upper bound of the true value).  Issue 4's latency target is the
 * own latency's p99 within the round period plus 50 ms.
 *
 * The page comes from the server under test, but it is still read as
 * hostile: at most KTS_BENCH_MAX_METRICS bytes, line by line within that
 * length, every number range-checked, unknown lines skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kts_bench.h"
#include "limits.h"
#include "net.h"

/* The histograms kts_scrape reads, in the order of struct kts_scrape. */
static const char *const names[KTS_SCRAPE_HISTS] = {
	"kts_request_latency_ms",
	"kts_round_parent_ms",
	"kts_request_own_latency_ms",
};

/* The bucket index of bound text s ("+Inf" or a number), or -1. */
static int
bucket_of(const char *s)
{
	char *end;
	double v;
	size_t i;

	if (strcmp(s, "+Inf") == 0)
		return KTS_HIST_BUCKETS - 1;
	v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -1;
	for (i = 0; i + 1 < KTS_HIST_BUCKETS; i++)
		if (v > kts_hist_bound(i) - 1e-9 && v < kts_hist_bound(i) + 1e-9)
			return (int)i;
	return -1;
}

/*
 * One line (NUL-terminated, at most 255 bytes): a bucket of a histogram
 * we read (cumulative counts go to cum), or the round period.
 */
static void
take_line(struct kts_scrape *sc, uint64_t cum[][KTS_HIST_BUCKETS],
    char *line)
{
	static const char period[] = "kts_round_period_ms ";
	char *le;
	char *q;
	char *end;
	size_t h;
	size_t n;
	int b;

	if (strncmp(line, period, sizeof(period) - 1) == 0) {
		sc->period_ms = strtod(line + sizeof(period) - 1, &end);
		if (end == line + sizeof(period) - 1 || sc->period_ms < 0 ||
		    sc->period_ms > 3600000.0)
			sc->period_ms = -1;
		return;
	}
	for (h = 0; h < KTS_SCRAPE_HISTS; h++) {
		n = strlen(names[h]);
		if (strncmp(line, names[h], n) == 0 &&
		    strncmp(line + n, "_bucket{le=\"", 12) == 0)
			break;
	}
	if (h == KTS_SCRAPE_HISTS)
		return;
	le = line + n + 12;
	if ((q = strchr(le, '"')) == NULL || strncmp(q, "\"} ", 3) != 0)
		return;
	*q = '\0';
	if ((b = bucket_of(le)) < 0)
		return;
	cum[h][b] = strtoull(q + 3, &end, 10);
	if (end == q + 3 || *end != '\0')
		return;		/* no count: the bucket stays unseen */
	sc->seen[h] |= 1ull << b;
}

int
kts_scrape_get(const char *url, struct kts_scrape *sc, char *why,
    size_t whylen)
{
	uint64_t cum[KTS_SCRAPE_HISTS][KTS_HIST_BUCKETS];
	uint8_t *body = NULL;
	size_t len = 0;
	size_t at = 0;
	size_t h;
	size_t i;
	int r;

	memset(sc, 0, sizeof(*sc));
	memset(cum, 0, sizeof(cum));
	sc->period_ms = -1;
	if ((r = kts_net_get(url, KTS_BENCH_MAX_METRICS, 5000, &body, &len,
	    why, whylen)) != 0)
		return r;
	while (at < len) {
		const uint8_t *nl = memchr(body + at, '\n', len - at);
		size_t n = (nl != NULL ? (size_t)(nl - body) : len) - at;
		char line[256];

		if (n < sizeof(line)) {
			memcpy(line, body + at, n);
			line[n] = '\0';
			take_line(sc, cum, line);
		}
		at += n + 1;
	}
	free(body);
	for (h = 0; h < KTS_SCRAPE_HISTS; h++) {
		if (sc->seen[h] != (1ull << KTS_HIST_BUCKETS) - 1) {
			snprintf(why, whylen, "%s has no complete %s histogram",
			    url, names[h]);
			return KTS_EFORMAT;
		}
		for (i = 0; i < KTS_HIST_BUCKETS; i++) {
			uint64_t prev = i > 0 ? cum[h][i - 1] : 0;

			if (cum[h][i] < prev) {
				snprintf(why, whylen, "%s: %s is not "
				    "cumulative", url, names[h]);
				return KTS_EFORMAT;
			}
			sc->h[h].le[i] = cum[h][i] - prev;
			sc->h[h].count += sc->h[h].le[i];
		}
	}
	return 0;
}

/* One histogram's line: "NAME n N p50_le X p99_le Y". */
static void
put_hist(const char *name, const struct kts_hist *d, double target)
{
	if (d->count == 0) {	/* nothing to judge: no verdict */
		printf("%s n 0 (nothing counted during the run)\n", name);
		return;
	}
	printf("%s n %llu p50_le %g p99_le %g", name,
	    (unsigned long long)d->count, kts_hist_quantile(d, 0.50),
	    kts_hist_quantile(d, 0.99));
	if (target > 0)
		printf(" target %g %s", target,
		    kts_hist_quantile(d, 0.99) <= target ? "met" : "missed");
	putchar('\n');
}

void
kts_scrape_report(const struct kts_scrape *a, const struct kts_scrape *b)
{
	static const char *const shown[KTS_SCRAPE_HISTS] = {
		"server_latency_ms", "server_parent_ms", "server_own_ms",
	};
	struct kts_hist d;
	size_t h;
	size_t i;

	for (h = 0; h < KTS_SCRAPE_HISTS; h++) {
		memset(&d, 0, sizeof(d));
		for (i = 0; i < KTS_HIST_BUCKETS; i++) {
			if (b->h[h].le[i] < a->h[h].le[i]) {
				printf("%s: the server restarted during the "
				    "run\n", shown[h]);
				return;
			}
			d.le[i] = b->h[h].le[i] - a->h[h].le[i];
			d.count += d.le[i];
		}
		/* Issue 4: own latency within a round plus 50 ms. */
		put_hist(shown[h], &d, h == 2 && b->period_ms >= 0 ?
		    b->period_ms + 50 : -1);
	}
}
