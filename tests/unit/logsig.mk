# tests/unit/logsig.mk: log signatures (lib/logsig*.c, spec/logsig.md).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_logsig
TESTS += tests/unit/check_logsig
endif
tests_unit_check_logsig_SOURCES = tests/unit/check_logsig.c \
	$(KTS_TEST_SOURCES) tests/unit/failalloc.c tests/unit/failalloc.h
tests_unit_check_logsig_CFLAGS = $(KTS_CHECK_CFLAGS)
tests_unit_check_logsig_LDADD = $(KTS_CHECK_LDADD)
# The fail-allocation-#N loop (STYLE.md 15) wraps the allocator.
tests_unit_check_logsig_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

# The whole-block tree (lib/logsig_tree.c) against kts_ls_proof.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_lstree
TESTS += tests/unit/check_lstree
endif
tests_unit_check_lstree_SOURCES = tests/unit/check_lstree.c
tests_unit_check_lstree_CFLAGS = $(KTS_CHECK_CFLAGS)
tests_unit_check_lstree_LDADD = $(KTS_CHECK_LDADD)
