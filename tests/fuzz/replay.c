/*
 * replay.c - run a fuzz target without libFuzzer (libgit2's standalone
 * driver idea), so plain `make check` replays the corpus with any
 * compiler.
 *
 * Linked with one tests/fuzz/fuzz_<target>.c as replay_<target>.
 * Usage: replay_<target> [PATH...]
 * Each PATH is a file or a folder (read recursively, in name order,
 * skipping dot files).  Without PATH it replays
 * $KTS_TOP_SRCDIR/tests/fuzz/corpus/<target>.  Every input is passed to
 * LLVMFuzzerTestOneInput whole, then as every truncated prefix (spread
 * over at most MAX_PREFIXES lengths for long inputs) and with each single
 * bit of its first FLIP_BYTES bytes flipped.  Each call gets an
 * exactly-sized heap copy so that a sanitizer sees an overread.
 *
 * Exit status: 0 when every input ran, 1 when no input was found or a
 * path could not be read; a crash is the target's own.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "limits.h"
#include "util.h"

#ifndef KTS_FUZZ_TARGET
#error "compile with -DKTS_FUZZ_TARGET='\"name\"'"
#endif

/* Largest input replayed: the publications file cap is the biggest. */
#define REPLAY_MAX_INPUT KTS_MAX_PUBFILE

/* Truncated prefixes tried per input, and bytes whose bits are flipped. */
#define MAX_PREFIXES 4096
#define FLIP_BYTES 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct stats {
	unsigned long files;	/* inputs read */
	unsigned long runs;	/* calls of the target */
	int errors;		/* paths that could not be read */
};

static void
run(const uint8_t *p, size_t n, struct stats *st)
{
	uint8_t *copy;

	if ((copy = malloc(n > 0 ? n : 1)) == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		exit(1);
	}
	if (n > 0)
		memcpy(copy, p, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	st->runs++;
}

/* prefix_len - the k-th of MAX_PREFIXES increasing lengths below n. */
static size_t
prefix_len(size_t k, size_t n)
{
	size_t half = MAX_PREFIXES / 2;

	if (n <= MAX_PREFIXES || k < half)
		return k;
	/* The first half are the shortest lengths, the rest spread out. */
	return half + (n - half) / half * (k - half);
}

static void
replay_buf(uint8_t *p, size_t n, struct stats *st)
{
	size_t nprefix = n <= MAX_PREFIXES ? n : MAX_PREFIXES;
	size_t k;
	size_t i;
	int bit;

	run(p, n, st);
	for (k = 0; k < nprefix; k++)
		run(p, prefix_len(k, n), st);
	for (i = 0; i < n && i < FLIP_BYTES; i++) {
		for (bit = 0; bit < 8; bit++) {
			p[i] ^= (uint8_t)(1u << bit);
			run(p, n, st);
			p[i] ^= (uint8_t)(1u << bit);
		}
	}
}

static void
replay_file(const char *path, struct stats *st)
{
	uint8_t *p = NULL;
	size_t n;
	int r;

	if ((r = kts_file_read(path, REPLAY_MAX_INPUT, &p, &n)) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path,
		    r == KTS_EIO ? strerror(errno) : "too large or no memory");
		st->errors++;
		return;
	}
	replay_buf(p, n, st);
	free(p);
	st->files++;
}

static int
visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static void replay_path(const char *path, struct stats *st);

static void
replay_dir(const char *dir, struct stats *st)
{
	struct dirent **list;
	char path[4096];
	int n;
	int i;
	int k;

	if ((n = scandir(dir, &list, visible, alphasort)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		st->errors++;
		return;
	}
	for (i = 0; i < n; i++) {
		k = snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (k < 0 || (size_t)k >= sizeof(path)) {
			fprintf(stderr, "replay: path too long in %s\n", dir);
			st->errors++;
		} else {
			replay_path(path, st);
		}
		free(list[i]);
	}
	free(list);
}

static void
replay_path(const char *path, struct stats *st)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		st->errors++;
	} else if (S_ISDIR(sb.st_mode)) {
		replay_dir(path, st);
	} else {
		replay_file(path, st);
	}
}

int
main(int argc, char **argv)
{
	struct stats st = { 0, 0, 0 };
	const char *top;
	char corpus[4096];
	int k;
	int i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			replay_path(argv[i], &st);
	} else {
		if ((top = getenv("KTS_TOP_SRCDIR")) == NULL || *top == '\0')
			top = ".";
		k = snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s",
		    top, KTS_FUZZ_TARGET);
		if (k < 0 || (size_t)k >= sizeof(corpus)) {
			fprintf(stderr, "replay: KTS_TOP_SRCDIR too long\n");
			return 1;
		}
		replay_path(corpus, &st);
	}
	printf("replay_%s: %lu inputs, %lu runs (whole, prefixes, bit flips)"
	    "%s\n", KTS_FUZZ_TARGET, st.files, st.runs,
	    st.errors ? ", with errors" : "");
	if (st.files == 0)
		fprintf(stderr, "replay_%s: no input found\n", KTS_FUZZ_TARGET);
	return st.errors != 0 || st.files == 0 ? 1 : 0;
}
