# pdu.mk: unit tests for lib/pdu.h (PDU v2 requests, builders, and the
# aggregation response to signature step).  Included from Makefile.am;
# the fuzz target tests/fuzz/fuzz_req.c is built by tests/local.mk.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_pdu
TESTS += tests/unit/check_pdu
endif
tests_unit_check_pdu_SOURCES = tests/unit/check_pdu.c $(KTS_TEST_SOURCES) \
	tests/unit/failalloc.c tests/unit/failalloc.h
tests_unit_check_pdu_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_pdu_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)
# The fail-allocation-#N loop wraps the allocator (tests/unit/failalloc.c
# has the wrappers; lib/ is linked statically, so its calls go through them).
tests_unit_check_pdu_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc \
	-Wl,--wrap=calloc -Wl,--wrap=realloc
