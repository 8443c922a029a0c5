# tests/unit/core.mk: signature, chain and verification unit tests.
check_PROGRAMS += tests/unit/check_sig
TESTS += tests/unit/check_sig
tests_unit_check_sig_SOURCES = tests/unit/check_sig.c tests/unit/vec.h \
	tests/unit/failalloc.c tests/unit/failalloc.h
tests_unit_check_sig_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
# The allocator wrap lets the test fail the Nth allocation (STYLE.md 15).
tests_unit_check_sig_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
tests_unit_check_sig_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)

check_PROGRAMS += tests/unit/check_policy
TESTS += tests/unit/check_policy
tests_unit_check_policy_SOURCES = tests/unit/check_policy.c tests/unit/vec.h
tests_unit_check_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_policy_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)

check_PROGRAMS += tests/unit/check_tree
TESTS += tests/unit/check_tree
tests_unit_check_tree_SOURCES = tests/unit/check_tree.c
tests_unit_check_tree_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_check_tree_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)
