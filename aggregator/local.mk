# aggregator/: kts-aggregator, every level below the calendar.
sbin_PROGRAMS += aggregator/kts-aggregator
aggregator_kts_aggregator_SOURCES = aggregator/main.c aggregator/conf.c \
	aggregator/core.c aggregator/parent.c aggregator/http.c \
	aggregator/aggregator.h
aggregator_kts_aggregator_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) \
	$(EVENT_CFLAGS)
aggregator_kts_aggregator_LDADD = lib/libkts.la $(CRYPTO_LIBS) \
	$(EVENT_LIBS) $(LEVELDB_LIBS)
