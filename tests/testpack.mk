# testpack.mk: the cross-SDK KSI signature test pack (spec 10.4) and the
# kts command-line integration test.
check_PROGRAMS += tests/ksi-testpack
tests_ksi_testpack_SOURCES = tests/ksi_testpack.c
tests_ksi_testpack_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_ksi_testpack_LDADD = lib/libkts.la $(CRYPTO_LIBS)

TESTS += tests/testpack.sh tests/integration/cli.sh
EXTRA_DIST += tests/testpack.sh tests/integration/cli.sh
