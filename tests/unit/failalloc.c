/*
 * failalloc.c - allocator wrappers for the fail-allocation-#N loops (see
 * failalloc.h).
 */
#include <stddef.h>

#include "failalloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static long fail_at;	/* fail the fail_at-th allocation; 0 = never */
static long nalloc;	/* allocations counted since fail_at was set */

void
fail_alloc(long n)
{
	nalloc = 0;
	fail_at = n;
}

static int
alloc_fails(void)
{
	return fail_at != 0 && ++nalloc == fail_at;
}

void *
__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t k, size_t n)
{
	return alloc_fails() ? NULL : __real_calloc(k, n);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}
