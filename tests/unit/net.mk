# tests/unit/net.mk: unit tests for lib/net.h, the libevent servers and
# the blocking client, on 127.0.0.1 ephemeral ports (the server loop runs
# in a second thread, hence -pthread).  lib/net_int.h, the test hook of
# lib/net.c, is distributed from here.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_net
TESTS += tests/unit/check_net
endif
tests_unit_check_net_SOURCES = tests/unit/check_net.c lib/net_int.h \
	tests/unit/kts_test.c tests/unit/kts_test.h
tests_unit_check_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(CRYPTO_CFLAGS) $(EVENT_CFLAGS) -pthread
tests_unit_check_net_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_check_net_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS) \
	$(EVENT_LIBS)

# lib/upstream.c, the aggregator's asynchronous client for its parents:
# client and server share one event loop in the test thread.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_upstream
TESTS += tests/unit/check_upstream
endif
tests_unit_check_upstream_SOURCES = tests/unit/check_upstream.c \
	tests/unit/kts_test.c tests/unit/kts_test.h
tests_unit_check_upstream_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) \
	$(CRYPTO_CFLAGS) $(EVENT_CFLAGS)
tests_unit_check_upstream_LDADD = lib/libkts.la $(CHECK_LIBS) \
	$(CRYPTO_LIBS) $(EVENT_LIBS)
