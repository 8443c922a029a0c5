# tools/: developer and operator programs (not installed).
noinst_PROGRAMS += tools/kts-bench
tools_kts_bench_SOURCES = tools/kts_bench.c
tools_kts_bench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tools_kts_bench_LDADD = lib/libkts.la $(CRYPTO_LIBS)
