# calendar/: kts-calendar, the top of the hierarchy.
sbin_PROGRAMS += calendar/kts-calendar
calendar_kts_calendar_SOURCES = calendar/main.c calendar/conf.c \
	calendar/core.c calendar/publish.c calendar/http.c calendar/calendar.h
calendar_kts_calendar_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(EVENT_CFLAGS)
calendar_kts_calendar_LDADD = lib/libkts.la $(CRYPTO_LIBS) $(EVENT_LIBS) \
	$(LEVELDB_LIBS)
dist_man_MANS += docs/kts-calendar.8
EXTRA_DIST += calendar/kts-calendar.conf.example docs/calendar.md

# End-to-end test on 127.0.0.1 (needs kts and kts-calendar built).
TESTS += tests/integration/calendar.sh
EXTRA_DIST += tests/integration/calendar.sh
