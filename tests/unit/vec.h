/*
 * vec.h - reading the shared KSI vectors from unit tests.  The folder
 * comes from $KTS_VECTORS (set by `make check`); a missing folder is a
 * test failure, never a silent skip.
 */
#ifndef KTS_TEST_VEC_H
#define KTS_TEST_VEC_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

/* Read $KTS_VECTORS/rel into *buf (caller frees); fails the test if absent. */
static inline void
vec_read(const char *rel, uint8_t **buf, size_t *len)
{
	const char *dir = getenv("KTS_VECTORS");
	char path[4096];
	int n;

	ck_assert_msg(dir != NULL, "KTS_VECTORS is not set (run via make check)");
	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_msg(kts_file_read(path, 1u << 24, buf, len) == 0,
	    "cannot read vector %s", path);
}

#endif
