# calendar/: kts-calendar, the top of the hierarchy.
sbin_PROGRAMS += calendar/kts-calendar
calendar_kts_calendar_SOURCES = calendar/main.c calendar/conf.c \
	calendar/core.c calendar/ext.c calendar/publish.c calendar/http.c \
	calendar/calendar.h
calendar_kts_calendar_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(EVENT_CFLAGS) \
	-pthread
calendar_kts_calendar_LDFLAGS = $(AM_LDFLAGS) -pthread
calendar_kts_calendar_LDADD = lib/libkts.la $(CRYPTO_LIBS) $(EVENT_LIBS) \
	$(LEVELDB_LIBS)
dist_man_MANS += docs/kts-calendar.8
EXTRA_DIST += calendar/kts-calendar.conf.example docs/calendar.md

# End-to-end test on 127.0.0.1 (needs kts and kts-calendar built).
TESTS += tests/integration/calendar.sh
EXTRA_DIST += tests/integration/calendar.sh

# Faults, clock jumps, kill -9 under load, the calendar-based policy
# (needs kts, kts-calendar and the test client tests/kts-pdu).
check_PROGRAMS += tests/kts-pdu
tests_kts_pdu_SOURCES = tests/integration/kts_pdu.c
tests_kts_pdu_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) -pthread
tests_kts_pdu_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_kts_pdu_LDADD = lib/libkts.la $(CRYPTO_LIBS) $(EVENT_LIBS) \
	$(LEVELDB_LIBS)
TESTS += tests/integration/calendar_faults.sh
EXTRA_DIST += tests/integration/calendar_faults.sh

# The extender port and its threads: extension by several clients at
# once over HTTP and TCP, aggregation refused there, a clean stop (needs
# kts, kts-calendar, tests/kts-pdu and tools/kts-bench).
TESTS += tests/integration/calendar_ext.sh
EXTRA_DIST += tests/integration/calendar_ext.sh
