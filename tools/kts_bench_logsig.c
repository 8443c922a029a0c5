/*
 * kts_bench_logsig.c - "kts-bench logsig": how many log lines a second
 * one core turns into a LOGSIG12 file, the network wait excluded.
 *
 * A generated access log (lines of about 130 bytes, as a hospital's EHR
 * audit trail writes them) is held in memory and read through the same
 * line reader `kts logsig sign` uses; every line goes through the block
 * builder (record hash, mask, leaf, tree merges: about seven SHA-256
 * compressions), blocks are closed with their level and root as for
 * signing, and their elements are written to a buffer that is emptied
 * after each block.  What is left out is only the wait for the
 * aggregator, which the signer overlaps with hashing anyway.
 * The last line is "lines_per_s N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kts_bench.h"
#include "logsig.h"
#include "util.h"
#include "wr.h"

struct lbench {
	uint64_t lines;
	uint64_t block_records;
	unsigned flags;
	int quiet;
};

static int
usage(FILE *f)
{
	fputs("usage: kts-bench logsig [--lines N] [--block-records R]\n"
	    "           [--keep-record-hashes] [--keep-tree-hashes] [-q]\n"
	    "  Sign a generated access log of N lines (default 2,000,000)\n"
	    "  on one core, without the network wait; prints lines_per_s.\n",
	    f);
	return f == stdout ? 0 : 3;
}

/* The log: n lines of an EHR access trail, newline-terminated. */
static uint8_t *
make_log(uint64_t n, size_t *len)
{
	uint8_t *buf;
	size_t cap = (size_t)n * 160 + 1;
	size_t off = 0;
	uint64_t i;
	int k;

	if ((buf = malloc(cap)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		k = snprintf((char *)buf + off, cap - off,
		    "2026-11-23T05:%02u:%02uZ ehr-web-%u audit: user=u%05u "
		    "opened patient record p%07u via /records/view (session "
		    "%08x) result=ok\n", (unsigned)(i / 60 % 60),
		    (unsigned)(i % 60), (unsigned)(i % 4),
		    (unsigned)(i % 5000), (unsigned)(i * 7919 % 10000000),
		    (unsigned)(i * 2654435761u));
		if (k < 0 || (size_t)k >= cap - off) {
			free(buf);
			return NULL;
		}
		off += (size_t)k;
	}
	*len = off;
	return buf;
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Close the block (as signing would, minus the request). */
static int
close_block(struct kts_ls_blk *b, struct kts_wr *wr, const char *reason)
{
	struct kts_imprint root;
	unsigned level;
	int r;

	if (reason != NULL && (r = kts_ls_blk_add_meta(b, KTS_LS_CLOSE_KEY,
	    reason, wr)) != 0)
		return r;
	if ((r = kts_ls_blk_close(b, wr, &root, &level)) != 0)
		return r;
	wr->len = 0;
	return 0;
}

static int
next_seed(struct kts_ls_blk *b, uint64_t blk)
{
	uint8_t seed[32];

	memset(seed, 0, sizeof(seed));
	memcpy(seed, &blk, sizeof(blk));
	return kts_ls_blk_seed(b, seed, sizeof(seed));
}

/* Run the whole log through the builder; *lines gets the count. */
static int
run(const struct lbench *o, const uint8_t *log, size_t len, uint64_t *lines)
{
	struct kts_ls_lines lr;
	struct kts_ls_blk b;
	struct kts_wr wr;
	const uint8_t *line;
	size_t n;
	int got;
	int r;

	kts_wr_init(&wr, 1u << 30);
	if ((r = kts_ls_lines_mem(&lr, log, len)) != 0 ||
	    (r = kts_ls_blk_init(&b, KTS_HASH_SHA256, NULL, o->flags)) != 0)
		goto out;
	*lines = 0;
	while ((r = kts_ls_line(&lr, &line, &n, &got)) == 0 && got) {
		if (b.n == 0 && (r = next_seed(&b, b.blocks)) != 0)
			break;
		if ((r = kts_ls_blk_add_line(&b, line, n, &wr)) != 0)
			break;
		(*lines)++;
		if (b.n >= o->block_records && (r = close_block(&b, &wr,
		    NULL)) != 0)
			break;
	}
	if (r == 0 && b.n == 0)
		r = next_seed(&b, b.blocks);
	if (r == 0)
		r = close_block(&b, &wr, "Block closed due to file closure.");
out:
	kts_ls_lines_free(&lr);
	kts_wr_free(&wr);
	return r;
}

static int
parse(int argc, char **argv, struct lbench *o)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc) {
			if (kts_parse_u64(argv[++i], 100000000, &o->lines) ||
			    o->lines == 0)
				return usage(stderr);
		} else if (strcmp(argv[i], "--block-records") == 0 &&
		    i + 1 < argc) {
			if (kts_parse_u64(argv[++i], 1u << 20,
			    &o->block_records) || o->block_records == 0)
				return usage(stderr);
		} else if (strcmp(argv[i], "--keep-record-hashes") == 0) {
			o->flags |= KTS_LS_KEEP_REC;
		} else if (strcmp(argv[i], "--keep-tree-hashes") == 0) {
			o->flags |= KTS_LS_KEEP_TREE | KTS_LS_KEEP_FINAL;
		} else if (strcmp(argv[i], "-q") == 0) {
			o->quiet = 1;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			return usage(stdout) - 1;
		} else {
			return usage(stderr);
		}
	}
	return 0;
}

int
kts_bench_logsig(int argc, char **argv)
{
	struct lbench o = { 2000000, 1024, 0, 0 };
	uint8_t *log;
	uint64_t lines = 0;
	size_t len = 0;
	double t0;
	double t;
	int rc;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((log = make_log(o.lines, &len)) == NULL) {
		fprintf(stderr, "kts-bench: out of memory for the log\n");
		return 1;
	}
	t0 = cpu_seconds();
	rc = run(&o, log, len, &lines);
	t = cpu_seconds() - t0;
	free(log);
	if (rc != 0) {
		fprintf(stderr, "kts-bench: logsig failed: %s\n",
		    kts_strerror(rc));
		return 1;
	}
	if (!o.quiet)
		printf("lines %llu bytes %zu block_records %llu cpu_s %.3f\n",
		    (unsigned long long)lines, len,
		    (unsigned long long)o.block_records, t);
	printf("lines_per_s %.0f\n", t > 0 ? (double)lines / t : 0.0);
	return 0;
}
