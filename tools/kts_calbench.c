/*
 * kts_calbench.c - kts-calbench, time a calendar store (lib/calstore.h;
 * docs/performance.md, "Calendar store").
 *
 * usage: kts-calbench DIR [--chains N] [--seed S] [--check] [--no-verify]
 *
 * Times kts_cal_open() on DIR, then N (default 1000) calendar chains for
 * random pairs: A uniform over [start, head], P uniform over [A, head].
 * Each chain is checked outside the timing unless --no-verify: it must
 * parse, give A by its shape (spec 5.3) and reach kts_cal_root(P).  The
 * size of DIR counts allocated blocks of every file in it.  The last line
 * on stdout is "open_s X chain_ms_avg Y chain_ms_max Z bytes_per_second W";
 * details go to stderr.  --check also times the offline kts_cal_check().
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calstore.h"
#include "chain.h"
#include "err.h"
#include "limits.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"
#include "wr.h"

struct bench {
	const char *dir;	/* the store */
	uint64_t chains;	/* chains to time */
	uint64_t seed;		/* xorshift seed */
	int check;		/* also run kts_cal_check */
	int verify;		/* check every chain */
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this thread: the figure to trust on a shared machine. */
static double
cpu(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Bytes allocated to the files of dir (LevelDB keeps no subfolders). */
static int
dir_bytes(const char *dir, uint64_t *out)
{
	struct dirent *e;
	struct stat st;
	char path[4096];
	DIR *d;
	int n;

	*out = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			closedir(d);
			return -1;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			*out += (uint64_t)st.st_blocks * 512u;
	}
	closedir(d);
	return 0;
}

/* The chain in wr parses, has a's shape and reaches the root at p. */
static int
chain_ok(const struct kts_cal *cal, const struct kts_wr *wr, uint64_t a,
    uint64_t p)
{
	struct kts_cal_chain c;
	struct kts_imprint got;
	struct kts_imprint want;
	struct kts_pctx pc = { wr->p, NULL, 0 };
	struct kts_tlv t;
	uint64_t ta = 0;
	int r;

	if ((r = kts_tlv_parse(wr->p, wr->len, &t, NULL)) != 0 ||
	    (r = kts_cal_chain_parse(&t, &c, &pc)) != 0)
		return r;
	if ((r = kts_cal_chain_time(&c, &ta)) != 0 ||
	    (r = kts_cal_chain_compute(&c, &got)) != 0 ||
	    (r = kts_cal_root(cal, p, &want)) != 0)
		goto out;
	if (ta != a || !kts_imprint_eq(&got, &want))
		r = KTS_EVERIFY;
out:
	kts_cal_chain_clear(&c);
	return r;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Chain timings. */
struct stats {
	double *ms;		/* wall-clock ms per chain, in order (owned) */
	double sum;		/* wall-clock seconds */
	double max;
	double cpu_sum;		/* this thread's CPU seconds */
	double cpu_max;
};

/* The first chain and percentiles of the chain times, to stderr. */
static void
report(struct stats *st, uint64_t n)
{
	double *ms = st->ms;
	double first;

	if (n == 0)
		return;
	first = ms[0];
	qsort(ms, n, sizeof(*ms), cmp_double);
	fprintf(stderr, "kts-calbench: chain ms: first %.3f p50 %.3f p90 %.3f "
	    "p99 %.3f p99.9 %.3f max %.3f cpu_avg %.3f cpu_max %.3f\n", first,
	    ms[n / 2], ms[n * 9 / 10], ms[n * 99 / 100], ms[n * 999 / 1000],
	    ms[n - 1], st->cpu_sum * 1e3 / (double)n, st->cpu_max * 1e3);
}

/* Time chain i = (a, p) into st, then check it unless told not to. */
static int
one_chain(const struct bench *b, const struct kts_cal *cal,
    struct kts_wr *wr, uint64_t a, uint64_t p, struct stats *st, uint64_t i)
{
	double c0 = cpu();
	double t0 = now();
	int r;

	wr->len = 0;
	r = kts_cal_chain(cal, a, p, wr);
	t0 = now() - t0;
	c0 = cpu() - c0;
	st->ms[i] = t0 * 1e3;
	st->sum += t0;
	st->max = t0 > st->max ? t0 : st->max;
	st->cpu_sum += c0;
	st->cpu_max = c0 > st->cpu_max ? c0 : st->cpu_max;
	if (r == 0 && b->verify && (r = chain_ok(cal, wr, a, p)) != 0)
		fprintf(stderr, "kts-calbench: chain (%llu, %llu) is wrong: "
		    "%s\n", (unsigned long long)a, (unsigned long long)p,
		    kts_strerror(r));
	return r;
}

static int
run_chains(const struct bench *b, const struct kts_cal *cal, double *avg,
    double *max)
{
	struct stats st;
	struct kts_wr wr;
	uint64_t seed = b->seed | 1;
	uint64_t start = kts_cal_start(cal);
	uint64_t head;
	uint64_t a;
	uint64_t i;
	int r = 0;

	memset(&st, 0, sizeof(st));
	*avg = 0;
	*max = 0;
	if ((st.ms = calloc(b->chains + 1, sizeof(*st.ms))) == NULL)
		return KTS_ENOMEM;
	kts_cal_head(cal, &head);
	kts_wr_init(&wr, KTS_MAX_PDU);
	for (i = 0; i < b->chains && r == 0; i++) {
		a = start + rnd(&seed) % (head - start + 1);
		r = one_chain(b, cal, &wr, a, a + rnd(&seed) % (head - a + 1),
		    &st, i);
	}
	kts_wr_free(&wr);
	if (r == 0 && b->chains > 0) {
		*avg = st.sum / (double)b->chains;
		*max = st.max;
		report(&st, b->chains);
	}
	free(st.ms);
	return r;
}

static int
run_check(const struct bench *b)
{
	char why[512];
	double t0 = now();
	int r;

	r = kts_cal_check(b->dir, NULL, NULL, why, sizeof(why));
	fprintf(stderr, "kts-calbench: check %s in %.1f s%s%s\n",
	    kts_strerror(r), now() - t0, r != 0 ? ": " : "", why);
	return r;
}

static int
run(const struct bench *b)
{
	struct kts_cal *cal = NULL;
	uint64_t bytes;
	uint64_t head;
	uint64_t secs;
	double t0;
	double avg;
	double max;
	char why[512];
	int r;

	t0 = now();
	if ((r = kts_cal_open(b->dir, 0, 0, 0, &cal, why, sizeof(why))) != 0) {
		fprintf(stderr, "kts-calbench: %s: %s (%s)\n", b->dir,
		    kts_strerror(r), why);
		return r;
	}
	t0 = now() - t0;
	if (kts_cal_head(cal, &head) != 0 || dir_bytes(b->dir, &bytes) != 0) {
		fprintf(stderr, "kts-calbench: %s: empty or unreadable\n",
		    b->dir);
		kts_cal_close(cal);
		return KTS_ENOTFOUND;
	}
	secs = head - kts_cal_start(cal) + 1;
	r = run_chains(b, cal, &avg, &max);
	kts_cal_close(cal);
	fprintf(stderr, "kts-calbench: seconds %llu bytes %llu chains %llu\n",
	    (unsigned long long)secs, (unsigned long long)bytes,
	    (unsigned long long)b->chains);
	printf("open_s %.3f chain_ms_avg %.3f chain_ms_max %.3f "
	    "bytes_per_second %.1f\n", t0, avg * 1e3, max * 1e3,
	    (double)bytes / (double)secs);
	if (r == 0 && b->check)
		r = run_check(b);
	return r;
}

static int
usage(void)
{
	fputs("usage: kts-calbench DIR [--chains N] [--seed S] [--check] "
	    "[--no-verify]\n", stderr);
	return 3;
}

int
main(int argc, char **argv)
{
	struct bench b;
	int i;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	memset(&b, 0, sizeof(b));
	b.dir = argv[1];
	b.chains = 1000;
	b.seed = 1;
	b.verify = 1;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--chains") == 0 && i + 1 < argc) {
			if (kts_parse_u64(argv[++i], 100000000, &b.chains) != 0)
				return usage();
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (kts_parse_u64(argv[++i], UINT64_MAX, &b.seed) != 0)
				return usage();
		} else if (strcmp(argv[i], "--check") == 0) {
			b.check = 1;
		} else if (strcmp(argv[i], "--no-verify") == 0) {
			b.verify = 0;
		} else {
			return usage();
		}
	}
	return run(&b) == 0 ? 0 : 1;
}
