# aggregator/: kts-aggregator, every level below the calendar.
sbin_PROGRAMS += aggregator/kts-aggregator
aggregator_kts_aggregator_SOURCES = aggregator/main.c aggregator/conf.c \
	aggregator/core.c aggregator/answer.c aggregator/parent.c \
	aggregator/http.c \
	aggregator/aggregator.h
aggregator_kts_aggregator_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) \
	$(EVENT_CFLAGS) -pthread
aggregator_kts_aggregator_LDFLAGS = $(AM_LDFLAGS) -pthread
aggregator_kts_aggregator_LDADD = lib/libkts.la $(CRYPTO_LIBS) \
	$(EVENT_LIBS) $(LEVELDB_LIBS)
# Three levels on 127.0.0.1 through tools/kts-stack (needs kts,
# kts-calendar, kts-aggregator and tests/kts-pdu built).
TESTS += tests/integration/aggregator.sh
EXTRA_DIST += tests/integration/aggregator.sh
dist_man_MANS += docs/kts-aggregator.8
EXTRA_DIST += aggregator/kts-aggregator.conf.example docs/aggregator.md
