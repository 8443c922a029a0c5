# tests/unit/calstore.mk: unit tests for lib/calstore.h, the calendar in
# LevelDB.  The test damages stores through the LevelDB API, so it links
# LevelDB itself too.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_calstore
TESTS += tests/unit/check_calstore
endif
tests_unit_check_calstore_SOURCES = tests/unit/check_calstore.c \
	tests/unit/kts_test.c tests/unit/kts_test.h
tests_unit_check_calstore_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(CRYPTO_CFLAGS) -pthread
tests_unit_check_calstore_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_check_calstore_LDADD = lib/libkts.la $(CHECK_LIBS) \
	$(CRYPTO_LIBS) $(LEVELDB_LIBS)
