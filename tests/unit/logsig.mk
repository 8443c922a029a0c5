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
