/*
 * kts_test.c - helpers shared by the Check unit tests (see kts_test.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "limits.h"
#include "util.h"
#include "kts_test.h"

/* Largest vector a test reads: the publications files are the biggest. */
#define VECTOR_MAX KTS_MAX_PUBFILE

const char *
kts_test_vector_path(const char *rel, char *buf, size_t size)
{
	const char *top = getenv("KTS_VECTORS");
	int n;

	if (top == NULL || *top == '\0')
		ck_abort_msg("KTS_VECTORS is not set (run through make check, "
		    "or export KTS_VECTORS=/path/to/shared/vectors)");
	n = snprintf(buf, size, "%s/%s", top, rel);
	if (n < 0 || (size_t)n >= size)
		ck_abort_msg("vector path too long: %s", rel);
	return buf;
}

uint8_t *
kts_test_vector(const char *rel, size_t *len)
{
	char path[4096];
	uint8_t *p = NULL;
	uint8_t *copy;
	int r;

	kts_test_vector_path(rel, path, sizeof(path));
	if ((r = kts_file_read(path, VECTOR_MAX, &p, len)) != 0)
		ck_abort_msg("cannot read %s: %s", path, kts_strerror(r));
	copy = kts_test_dup(p, *len);
	free(p);
	return copy;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *
kts_test_hex(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *exact;
	uint8_t *out;
	size_t n = 0;
	int hi = -1;
	int v;

	if ((out = malloc(cap)) == NULL)
		ck_abort_msg("out of memory");
	for (; *hex != '\0'; hex++) {
		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		if ((v = hexval(*hex)) < 0)
			ck_abort_msg("bad hex digit '%c' in test data", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		ck_abort_msg("odd number of hex digits in test data");
	*len = n;
	/* Shrink to the exact size so ASan sees any overread. */
	exact = kts_test_dup(out, n);
	free(out);
	return exact;
}

uint8_t *
kts_test_dup(const void *p, size_t n)
{
	uint8_t *q;

	if ((q = malloc(n > 0 ? n : 1)) == NULL)
		ck_abort_msg("out of memory");
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

char *
kts_test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char buf[4096];
	char *dir;
	int n;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(buf, sizeof(buf), "%s/kts-test.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(buf))
		ck_abort_msg("TMPDIR too long");
	if (mkdtemp(buf) == NULL)
		ck_abort_msg("mkdtemp %s failed", buf);
	if ((dir = strdup(buf)) == NULL)
		ck_abort_msg("out of memory");
	return dir;
}

void
kts_test_rmdir(const char *dir)
{
	struct dirent *e;
	char path[4096];
	DIR *d;
	int n;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n > 0 && (size_t)n < sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int
kts_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
