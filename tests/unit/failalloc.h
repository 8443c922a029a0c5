/*
 * failalloc.h - the fail-allocation-#N loop of STYLE.md 15, shared by the
 * unit tests that link with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc.  lib/ is linked statically, so its allocations go
 * through the wrappers; OpenSSL's do not.
 */
#ifndef KTS_TEST_FAILALLOC_H
#define KTS_TEST_FAILALLOC_H

/*
 * fail_alloc - make the n-th allocation from now fail (n >= 1); 0 turns
 * failing off.
 */
void fail_alloc(long n);

#endif
