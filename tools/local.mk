# tools/: developer and operator programs (not installed).
noinst_PROGRAMS += tools/kts-bench
tools_kts_bench_SOURCES = tools/kts_bench.c tools/kts_bench.h \
	tools/kts_bench_net.c tools/kts_bench_net.h tools/kts_bench_extend.c \
	tools/kts_bench_sign.c tools/kts_bench_baseline.c \
	tools/kts_bench_logsig.c tools/kts_bench_metrics.c
tools_kts_bench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(EVENT_CFLAGS)
tools_kts_bench_LDADD = lib/libkts.la $(CRYPTO_LIBS) $(EVENT_LIBS)

# Operator scripts: keys for a deployment, a whole local stack.
dist_noinst_SCRIPTS = tools/kts-pki tools/kts-stack
# Their manuals (not installed either: man -l docs/kts-stack.1).
EXTRA_DIST += docs/kts-stack.1 docs/kts-bench.1

# Calendar store benchmarks (lib/calstore.h, docs/performance.md):
# kts-calgen fills a store with random leaves, kts-calbench times open and
# chains and reports the bytes per second.
noinst_PROGRAMS += tools/kts-calgen tools/kts-calbench
tools_kts_calgen_SOURCES = tools/kts_calgen.c
tools_kts_calgen_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tools_kts_calgen_LDADD = lib/libkts.la $(CRYPTO_LIBS)
tools_kts_calbench_SOURCES = tools/kts_calbench.c
tools_kts_calbench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tools_kts_calbench_LDADD = lib/libkts.la $(CRYPTO_LIBS)

# Log signature builder benchmark (lib/logsig.h): lines per second of
# hashing, emitting, reading and verifying on one core.
noinst_PROGRAMS += tools/kts-lsbench
tools_kts_lsbench_SOURCES = tools/kts_lsbench.c
tools_kts_lsbench_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tools_kts_lsbench_LDADD = lib/libkts.la $(CRYPTO_LIBS)
