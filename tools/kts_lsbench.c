/*
 * kts_lsbench.c - micro-benchmark of the log signature block builder
 * (lib/logsig.h): lines per second on one core.
 *
 * Usage: kts-lsbench [-n LINES] [-l LENGTH] [-b BLOCK] [-a ALG]
 *
 * Lines are access-log-like text of about LENGTH bytes (default 150),
 * drawn from a pool of 4096 different lines.  Four runs:
 *   hash   kts_ls_blk_add_line only (record hash, mask, leaf, merges)
 *   emit   the same, writing 0x901/0x902/0x903 (record, tree and final
 *          hashes) and block signatures into a writer emptied after
 *          every block (what a signer writes out)
 *   read   the line reader over the log in memory, then add_line
 *   verify kts_ls_verify of the emitted file against the log
 * Each prints lines/s and MB/s of log by the process's CPU time (the
 * cost on one core, steady when the machine is shared), and wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logsig.h"

#define POOL 4096

struct bench {
	uint64_t n;		/* lines */
	size_t len;		/* line length */
	uint64_t blk;		/* records per block */
	uint8_t alg;
	char *pool;		/* POOL lines of len bytes */
	uint8_t *log;		/* n lines joined by LF */
	size_t log_len;
	struct kts_wr file;	/* the emitted LOGSIG12 */
};

/* Seconds on clock c: CPU time of this process, or wall time. */
static double
now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Rates by CPU time (one core's cost, stable on a shared machine). */
static void
report(const struct bench *b, const char *what, double cpu, double wall)
{
	printf("%-7s %10.0f lines/s  %7.1f MB/s  (%llu lines of %zu bytes, "
	    "cpu %.3f s, wall %.3f s)\n", what, (double)b->n / cpu,
	    (double)b->n * (double)(b->len + 1) / cpu / 1e6,
	    (unsigned long long)b->n, b->len, cpu, wall);
}

static int
make_pool(struct bench *b)
{
	size_t i;
	int k;

	if ((b->pool = malloc(POOL * b->len)) == NULL)
		return -1;
	for (i = 0; i < POOL; i++) {
		char *p = b->pool + i * b->len;

		k = snprintf(p, b->len, "10.%zu.%zu.%zu - - [23/Nov/2026:05:%02zu:"
		    "%02zu +0000] \"GET /records/%zu HTTP/1.1\" 200 %zu "
		    "\"-\" \"curl/8.5\" ", i % 250, i / 250 % 250, i % 7,
		    i % 60, i / 60 % 60, i * 7919, i * 31 % 9000);
		if (k < 0)
			return -1;
		if ((size_t)k < b->len)
			memset(p + k, 'x', b->len - (size_t)k);
		else
			p[b->len - 1] = 'x';	/* no NUL in a line */
	}
	return 0;
}

static int
make_log(struct bench *b)
{
	uint64_t i;

	b->log_len = (size_t)b->n * (b->len + 1);
	if ((b->log = malloc(b->log_len)) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		uint8_t *p = b->log + i * (b->len + 1);

		memcpy(p, b->pool + (i % POOL) * b->len, b->len);
		p[b->len] = '\n';
	}
	return 0;
}

/* Close a block: finals and an unsigned marker. */
static int
close_block(struct kts_ls_blk *blk, struct kts_wr *out)
{
	struct kts_ls_bsig bs;
	unsigned level;
	int r;

	memset(&bs, 0, sizeof(bs));
	bs.count = blk->n;
	bs.kind = KTS_LS_SIG_NONE;
	if ((r = kts_ls_blk_close(blk, out, &bs.root, &level)) != 0)
		return r;
	return out != NULL ? kts_ls_wr_bsig(out, &bs) : 0;
}

static int
run_add(struct bench *b, struct kts_wr *out, struct kts_wr *keep)
{
	struct kts_ls_blk blk;
	uint8_t seed[32] = { 0 };
	uint64_t i;
	int r;

	if ((r = kts_ls_blk_init(&blk, b->alg, NULL, KTS_LS_KEEP_REC |
	    KTS_LS_KEEP_TREE | KTS_LS_KEEP_FINAL)) != 0 ||
	    (r = kts_ls_blk_seed(&blk, seed, sizeof(seed))) != 0)
		return r;
	for (i = 0; i < b->n; i++) {
		if ((r = kts_ls_blk_add_line(&blk, (const uint8_t *)b->pool +
		    (i % POOL) * b->len, b->len, out)) != 0)
			return r;
		if (blk.n < b->blk && i + 1 < b->n)
			continue;
		if ((r = close_block(&blk, out)) != 0)
			return r;
		if (out == NULL)
			continue;
		if (keep != NULL && (r = kts_wr_put(keep, out->p,
		    out->len)) != 0)
			return r;
		out->len = 0;	/* a signer writes the block out here */
	}
	return 0;
}

static int
run_read(struct bench *b)
{
	struct kts_ls_lines lr;
	struct kts_ls_blk blk;
	uint8_t seed[32] = { 0 };
	const uint8_t *p;
	size_t len;
	int got;
	int r;

	if ((r = kts_ls_blk_init(&blk, b->alg, NULL, 0)) != 0 ||
	    (r = kts_ls_blk_seed(&blk, seed, sizeof(seed))) != 0 ||
	    (r = kts_ls_lines_mem(&lr, b->log, b->log_len)) != 0)
		return r;
	while ((r = kts_ls_line(&lr, &p, &len, &got)) == 0 && got) {
		if ((r = kts_ls_blk_add_line(&blk, p, len, NULL)) != 0)
			break;
		if (blk.n == b->blk)
			close_block(&blk, NULL);
	}
	kts_ls_lines_free(&lr);
	return r;
}

static int
run_verify(struct bench *b)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	int r;

	if ((r = kts_ls_lines_mem(&lr, b->log, b->log_len)) != 0)
		return r;
	r = kts_ls_verify(b->file.p, b->file.len, &lr, NULL, &res);
	kts_ls_lines_free(&lr);
	if (r == 0 && res.status == KTS_LS_FAILED) {
		fprintf(stderr, "verify failed: %s\n", res.detail);
		return -1;
	}
	return r;
}

static int
timed(struct bench *b, const char *what, int (*fn)(struct bench *))
{
	double c = now(CLOCK_PROCESS_CPUTIME_ID);
	double w = now(CLOCK_MONOTONIC);

	if (fn(b) != 0) {
		fprintf(stderr, "kts-lsbench: %s failed\n", what);
		return -1;
	}
	report(b, what, now(CLOCK_PROCESS_CPUTIME_ID) - c,
	    now(CLOCK_MONOTONIC) - w);
	return 0;
}

static int
hash_only(struct bench *b)
{
	return run_add(b, NULL, NULL);
}

/* Emit into a writer emptied per block (the signer writes it out). */
static int
emit(struct bench *b)
{
	struct kts_wr out;
	int r;

	kts_wr_init(&out, (size_t)1 << 30);
	r = run_add(b, &out, NULL);
	kts_wr_free(&out);
	return r;
}

/* The whole file, for verify (not timed). */
static int
make_file(struct bench *b)
{
	struct kts_wr out;
	int r;

	kts_wr_init(&out, (size_t)1 << 30);
	kts_wr_init(&b->file, (size_t)1 << 34);
	r = kts_ls_wr_magic(&b->file, KTS_LS_LOGSIG12);
	if (r == 0)
		r = run_add(b, &out, &b->file);
	kts_wr_free(&out);
	return r;
}

static int
parse_args(int argc, char **argv, struct bench *b)
{
	int c;

	while ((c = getopt(argc, argv, "n:l:b:a:")) != -1) {
		char *end = NULL;
		unsigned long long v = strtoull(optarg, &end, 10);

		if (c != 'a' && (end == optarg || *end != '\0' || v == 0))
			return -1;
		if (c == 'n')
			b->n = v;
		else if (c == 'l' && v < 4096)
			b->len = (size_t)v;
		else if (c == 'b')
			b->blk = v;
		else if (c == 'a' && kts_hash_by_name(optarg, &b->alg) == 0)
			continue;
		else
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench b = { 1000000, 150, 1024, KTS_HASH_SHA256, NULL, NULL,
	    0, { NULL, 0, 0, 0 } };
	int r = 0;

	if (parse_args(argc, argv, &b) != 0) {
		fprintf(stderr, "usage: kts-lsbench [-n LINES] [-l LENGTH] "
		    "[-b BLOCK] [-a ALG]\n");
		return 2;
	}
	if (make_pool(&b) != 0 || make_log(&b) != 0) {
		fprintf(stderr, "kts-lsbench: out of memory\n");
		return 1;
	}
	printf("algorithm %s, blocks of %llu records\n", kts_hash_name(b.alg),
	    (unsigned long long)b.blk);
	if (timed(&b, "hash", hash_only) != 0 || timed(&b, "emit", emit) != 0 ||
	    timed(&b, "read", run_read) != 0 || make_file(&b) != 0 ||
	    timed(&b, "verify", run_verify) != 0)
		r = 1;
	kts_wr_free(&b.file);
	free(b.pool);
	free(b.log);
	return r;
}
