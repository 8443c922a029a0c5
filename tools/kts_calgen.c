/*
 * kts_calgen.c - kts-calgen, fill a calendar store with random leaves for
 * benchmarks (lib/calstore.h; docs/performance.md, "Calendar store").
 *
 * usage: kts-calgen DIR SECONDS [--start T] [--seed S] [--batch N]
 *                   [--no-compact] [-q]
 *
 * Creates the store in DIR (SHA-256, first second T, default 1700000000 =
 * 2023-11-14T22:13:20Z) and appends SECONDS random leaves from the second
 * after its head, N seconds (default 65536) per synced batch through
 * kts_cal_append_many().  An existing store is continued, so a run can be
 * resumed.  Progress goes to stderr every 5 % unless -q; stdout gets
 * "seconds N elapsed_s X seconds_per_s Y".
 *
 * Then, unless --no-compact, the whole store is compacted
 * (kts_cal_compact(), "compact_s X" on stdout).  Appending at this rate leaves LevelDB far
 * behind with its compactions, which it would otherwise catch up on in
 * the background of the next opens and so disturb a benchmark; a live
 * calendar, at one leaf per second, never falls behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calstore.h"
#include "err.h"
#include "hash.h"
#include "limits.h"
#include "util.h"

#define DEFAULT_START 1700000000ull
#define DEFAULT_BATCH 65536u

struct gen {
	const char *dir;	/* the store */
	uint64_t seconds;	/* leaves to append */
	uint64_t start;		/* first second of a new store */
	uint64_t seed;		/* xorshift seed */
	uint64_t batch;		/* seconds per append */
	int compact;		/* compact the store afterwards */
	int quiet;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64: random leaves need to be incompressible, not secret. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
fill(struct kts_imprint *v, size_t n, uint64_t *seed)
{
	uint64_t w;
	size_t i;
	size_t k;

	for (i = 0; i < n; i++) {
		kts_imprint_zero(KTS_HASH_SHA256, &v[i]);
		for (k = 0; k < 32; k += 8) {
			w = rnd(seed);
			memcpy(v[i].d + k, &w, 8);
		}
	}
}

static int
run(const struct gen *g, struct kts_cal *cal)
{
	struct kts_imprint *v = NULL;
	uint64_t seed = g->seed | 1;
	uint64_t done = 0;
	uint64_t next = 0;
	uint64_t t;
	size_t n;
	double t0 = now();
	int r = 0;

	if ((v = calloc(g->batch, sizeof(*v))) == NULL)
		return KTS_ENOMEM;
	kts_cal_head(cal, &t);
	t++;
	while (done < g->seconds && r == 0) {
		n = (size_t)(g->seconds - done < g->batch ? g->seconds - done :
		    g->batch);
		fill(v, n, &seed);
		r = kts_cal_append_many(cal, t + done, v, n);
		done += n;
		if (!g->quiet && done >= next) {
			fprintf(stderr, "kts-calgen: %llu of %llu seconds, "
			    "%.1f s\n", (unsigned long long)done,
			    (unsigned long long)g->seconds, now() - t0);
			next += g->seconds / 20;
		}
	}
	free(v);
	if (r == 0)
		printf("seconds %llu elapsed_s %.3f seconds_per_s %.0f\n",
		    (unsigned long long)done, now() - t0,
		    (double)done / (now() - t0));
	return r;
}

static int
usage(void)
{
	fputs("usage: kts-calgen DIR SECONDS [--start T] [--seed S] "
	    "[--batch N] [--no-compact] [-q]\n", stderr);
	return 3;
}

/* One "--opt VALUE" pair; returns 1 if argv[*i] was one, -1 on error. */
static int
opt_u64(int argc, char **argv, int *i, const char *name, uint64_t max,
    uint64_t *out)
{
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc || kts_parse_u64(argv[*i + 1], max, out) != 0) {
		fprintf(stderr, "kts-calgen: %s: expected a number up to "
		    "%llu\n", name, (unsigned long long)max);
		return -1;
	}
	(*i)++;
	return 1;
}

static int
parse_args(int argc, char **argv, struct gen *g)
{
	int i;
	int k;

	if (argc < 3 || kts_parse_u64(argv[2], UINT64_MAX / 2,
	    &g->seconds) != 0)
		return -1;
	g->dir = argv[1];
	g->start = DEFAULT_START;
	g->seed = 1;
	g->batch = DEFAULT_BATCH;
	g->compact = 1;
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0) {
			g->quiet = 1;
			continue;
		}
		if (strcmp(argv[i], "--no-compact") == 0) {
			g->compact = 0;
			continue;
		}
		k = opt_u64(argc, argv, &i, "--start", UINT64_MAX / 2,
		    &g->start);
		if (k == 0)
			k = opt_u64(argc, argv, &i, "--seed", UINT64_MAX,
			    &g->seed);
		if (k == 0)
			k = opt_u64(argc, argv, &i, "--batch",
			    KTS_MAX_CAL_BATCH, &g->batch);
		if (k <= 0)
			return -1;
	}
	return g->batch > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct kts_cal *cal = NULL;
	struct gen g;
	char why[512];
	double t0;
	int r;

	memset(&g, 0, sizeof(g));
	if (parse_args(argc, argv, &g) != 0)
		return usage();
	if ((r = kts_cal_open(g.dir, 1, g.start, KTS_HASH_SHA256, &cal, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "kts-calgen: %s: %s (%s)\n", g.dir,
		    kts_strerror(r), why);
		return 1;
	}
	if ((r = run(&g, cal)) != 0)
		fprintf(stderr, "kts-calgen: append: %s\n", kts_strerror(r));
	if (r == 0 && g.compact) {
		t0 = now();
		kts_cal_compact(cal);
		printf("compact_s %.3f\n", now() - t0);
	}
	kts_cal_close(cal);
	return r == 0 ? 0 : 1;
}
