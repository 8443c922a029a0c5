# pub.mk: unit tests for lib/pub.h (publication strings, the publications
# file and its CMS signature, PKI signatures).  Included from Makefile.am;
# the fuzz target tests/fuzz/fuzz_pubfile.c is built by tests/local.mk.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_pub
TESTS += tests/unit/check_pub
endif
tests_unit_check_pub_SOURCES = tests/unit/check_pub.c \
	tests/unit/failalloc.c tests/unit/failalloc.h
tests_unit_check_pub_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_pub_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)
# The fail-allocation-#N loop wraps the allocator (tests/unit/failalloc.c
# has the wrappers; lib/ is linked statically, so its calls go through them).
tests_unit_check_pub_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc
