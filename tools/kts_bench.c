/*
 * kts_bench.c - kts-bench, a developer benchmark of the verifier, and the
 * entry to its network subcommands (kts_bench_net.h): "extend" loads an
 * extender, "sign" a signing service, "http-baseline" a bare evhttp
 * server (docs/performance.md).
 *
 * usage: kts-bench verify|parse [--seconds S] [-q] SIG...
 *        kts-bench extend --url URL --user U --key K [--connections N]
 *            [--depth D] [--seconds S] [--tcp] [-q]
 *        kts-bench sign --url URL --user U --key K [--connections N]
 *            [--depth D] [--seconds S] [--rate R] [--tcp] [--no-verify]
 *            [--metrics URL] [-q]
 *        kts-bench http-baseline [--seconds S] [--connections N] [-q]
 *
 * verify and parse load the signatures into memory, then on one thread parses and (for
 * "verify") runs the internal policy over them round-robin for S seconds
 * (default 5).  Progress goes to stderr once a second unless -q; the last
 * line on stdout is "verify_per_s N" (or "parse_per_s N") by the wall
 * clock, after "cpu_verify_per_s N" by the thread's CPU time, which is
 * the figure to trust when other jobs share the core.  Every
 * signature is checked once first: one that does not parse or verify is
 * an error, so the figure is for the successful path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "kts_bench.h"
#include "limits.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

#define MAX_SIGS 4096
#define CLOCK_EVERY 256		/* iterations between clock reads */

struct input {
	uint8_t *buf;		/* owned */
	size_t len;
};

struct bench {
	struct input in[MAX_SIGS];
	size_t n;
	double seconds;
	int verify;		/* 0: parse only */
	int quiet;
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

/* One parse (+ verify); returns 0 or the first failure. */
static int
one(const struct bench *b, const struct input *in, int *verdict)
{
	struct kts_vresult res;
	struct kts_vctx ctx;
	struct kts_sig *s = NULL;
	int r;

	*verdict = KTS_V_OK;
	if ((r = kts_sig_parse(in->buf, in->len, &s, NULL)) != 0)
		return r;
	if (b->verify) {
		memset(&ctx, 0, sizeof(ctx));
		r = kts_verify(s, KTS_POL_INTERNAL, &ctx, &res);
		*verdict = (int)res.verdict;
	}
	kts_sig_free(s);
	return r;
}

static int
load(struct bench *b, const char *path)
{
	struct input *in;
	int verdict;
	int r;

	if (b->n == MAX_SIGS) {
		fprintf(stderr, "kts-bench: at most %d signatures\n", MAX_SIGS);
		return -1;
	}
	in = &b->in[b->n];
	if ((r = kts_file_read(path, KTS_MAX_SIG_FILE, &in->buf,
	    &in->len)) != 0) {
		fprintf(stderr, "kts-bench: %s: %s\n", path, kts_strerror(r));
		return -1;
	}
	b->n++;
	if ((r = one(b, in, &verdict)) != 0 || verdict != KTS_V_OK) {
		fprintf(stderr, "kts-bench: %s: does not %s (%s)\n", path,
		    r != 0 ? "parse" : "verify", r != 0 ? kts_strerror(r) :
		    "internal policy");
		return -1;
	}
	return 0;
}

static int
run(const struct bench *b)
{
	double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	double start = now();
	double last = start;
	double t = start;
	double cpu;
	unsigned long long count = 0;
	size_t i = 0;
	int verdict;
	int k;

	while (t - start < b->seconds) {
		for (k = 0; k < CLOCK_EVERY; k++) {
			if (one(b, &b->in[i], &verdict) != 0)
				return -1;
			if (++i == b->n)
				i = 0;
		}
		count += CLOCK_EVERY;
		t = now();
		if (!b->quiet && t - last >= 1.0) {
			fprintf(stderr, "kts-bench: %.0f s: %.0f/s\n", t - start,
			    (double)count / (t - start));
			last = t;
		}
	}
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	printf("signatures %zu\n", b->n);
	printf("%s %llu in %.3f s wall, %.3f s cpu\n", b->verify ?
	    "verifications" : "parses", count, t - start, cpu);
	/* Per CPU second: the figure that holds on a shared machine. */
	printf("%s %.0f\n", b->verify ? "cpu_verify_per_s" : "cpu_parse_per_s",
	    (double)count / cpu);
	printf("%s %.0f\n", b->verify ? "verify_per_s" : "parse_per_s",
	    (double)count / (t - start));
	return 0;
}

static int
usage(FILE *fp)
{
	fputs("usage: kts-bench verify|parse [--seconds S] [-q] SIG...\n"
	    "       kts-bench extend --url URL --user U --key K "
	    "[--connections N]\n"
	    "           [--depth D] [--seconds S] [--rate R] [--tcp] [-q]\n"
	    "       kts-bench sign --url URL --user U --key K "
	    "[--connections N]\n"
	    "           [--depth D] [--seconds S] [--rate R] [--tcp] [--no-verify]\n"
	    "           [--metrics URL] [-q]\n"
	    "       kts-bench http-baseline [--seconds S] [--connections N] "
	    "[-q]\n"
	    "       kts-bench logsig [--lines N] [--block-records R] [-q]\n"
	    "  verify: signature verifications per second on one thread; "
	    "parse: parses.\n"
	    "  extend, sign: extension or aggregation requests per second "
	    "against URL.\n"
	    "  http-baseline: HTTP requests per second against a bare evhttp "
	    "server.\n"
	    "  logsig: log lines signed per second on one core, network "
	    "wait excluded.\n"
	    "  kts-bench SUBCOMMAND --help for the options; "
	    "docs/performance.md for more.\n", fp);
	return 3;
}

static int
set_seconds(struct bench *b, const char *s)
{
	uint64_t v;

	if (kts_parse_u64(s, 3600, &v) != 0 || v == 0) {
		fprintf(stderr, "kts-bench: --seconds %s: expected 1..3600\n", s);
		return -1;
	}
	b->seconds = (double)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	size_t j;
	int rc = 1;
	int i;

	if (argc >= 2 && strcmp(argv[1], "extend") == 0)
		return kts_bench_extend(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return kts_bench_sign(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "http-baseline") == 0)
		return kts_bench_baseline(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "logsig") == 0)
		return kts_bench_logsig(argc - 2, argv + 2);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 3)
		return usage(stderr);
	if (strcmp(argv[1], "verify") == 0)
		b.verify = 1;
	else if (strcmp(argv[1], "parse") != 0)
		return usage(stderr);
	b.seconds = 5;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			if (set_seconds(&b, argv[++i]) != 0)
				goto out;
		} else if (strcmp(argv[i], "-q") == 0)
			b.quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			rc = usage(stderr);
			goto out;
		} else if (load(&b, argv[i]) != 0)
			goto out;
	}
	if (b.n == 0) {
		rc = usage(stderr);
		goto out;
	}
	rc = run(&b) == 0 ? 0 : 1;
out:
	for (j = 0; j < b.n; j++)
		free(b.in[j].buf);
	return rc;
}
