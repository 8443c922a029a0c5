# tests/: Check unit tests, fuzz corpus replay, the header test, and the
# style check (STYLE.md 14-19).  Every test program is in check_PROGRAMS
# and TESTS; tests find the shared vectors through $KTS_VECTORS.

## Check unit tests.  Other test fragments may reuse these three.
KTS_CHECK_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
KTS_CHECK_LDADD = lib/libkts.la $(CHECK_LIBS) $(CRYPTO_LIBS)
KTS_TEST_SOURCES = tests/unit/kts_test.c tests/unit/kts_test.h

KTS_CHECK_CORE = tests/unit/check_tlv tests/unit/check_hash \
	tests/unit/check_util tests/unit/check_http
if HAVE_CHECK
check_PROGRAMS += $(KTS_CHECK_CORE)
TESTS += $(KTS_CHECK_CORE)
endif

tests_unit_check_tlv_SOURCES = tests/unit/check_tlv.c $(KTS_TEST_SOURCES) \
	tests/unit/failalloc.c tests/unit/failalloc.h
tests_unit_check_tlv_CFLAGS = $(KTS_CHECK_CFLAGS)
tests_unit_check_tlv_LDADD = $(KTS_CHECK_LDADD)
# The fail-allocation-#N loop: this binary wraps the allocator (the
# wrappers are in tests/unit/failalloc.c; lib/ is linked statically, so
# its calls go through them).
tests_unit_check_tlv_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

tests_unit_check_hash_SOURCES = tests/unit/check_hash.c $(KTS_TEST_SOURCES)
tests_unit_check_hash_CFLAGS = $(KTS_CHECK_CFLAGS) -pthread
tests_unit_check_hash_LDFLAGS = $(AM_LDFLAGS) -pthread
tests_unit_check_hash_LDADD = $(KTS_CHECK_LDADD)

tests_unit_check_util_SOURCES = tests/unit/check_util.c $(KTS_TEST_SOURCES)
tests_unit_check_util_CFLAGS = $(KTS_CHECK_CFLAGS)
tests_unit_check_util_LDADD = $(KTS_CHECK_LDADD)

tests_unit_check_http_SOURCES = tests/unit/check_http.c $(KTS_TEST_SOURCES)
tests_unit_check_http_CFLAGS = $(KTS_CHECK_CFLAGS)
tests_unit_check_http_LDADD = $(KTS_CHECK_LDADD)

## Fuzz targets (STYLE.md 17).  tests/fuzz/fuzz_<t>.c defines
## LLVMFuzzerTestOneInput.  replay_<t> links it with tests/fuzz/replay.c
## and, in make check, replays tests/fuzz/corpus/<t>/ (whole inputs, their
## truncated prefixes and single-bit flips) with any compiler.  With
## ./configure --enable-fuzzing CC=clang, fuzz_<t> is also built as a
## libFuzzer binary, and `make fuzz-smoke` runs each for FUZZ_SECONDS on a
## copy of its corpus (not part of make check).
KTS_FUZZ_TARGETS = tlv pubfile sig req resp logsig http
# -Wno-missing-prototypes: LLVMFuzzerTestOneInput has no header.
KTS_FUZZ_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) -Wno-missing-prototypes
KTS_FUZZ_LDADD = lib/libkts.la $(CRYPTO_LIBS)
KTS_FUZZ_REPLAY = tests/fuzz/replay_tlv tests/fuzz/replay_pubfile \
	tests/fuzz/replay_sig tests/fuzz/replay_req tests/fuzz/replay_resp \
	tests/fuzz/replay_logsig tests/fuzz/replay_http
check_PROGRAMS += $(KTS_FUZZ_REPLAY)
TESTS += $(KTS_FUZZ_REPLAY)
EXTRA_DIST += tests/fuzz/corpus

tests_fuzz_replay_tlv_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_tlv.c
tests_fuzz_replay_tlv_CPPFLAGS = $(AM_CPPFLAGS) -DKTS_FUZZ_TARGET='"tlv"'
tests_fuzz_replay_tlv_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_tlv_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_pubfile_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_pubfile.c
tests_fuzz_replay_pubfile_CPPFLAGS = $(AM_CPPFLAGS) \
	-DKTS_FUZZ_TARGET='"pubfile"'
tests_fuzz_replay_pubfile_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_pubfile_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_sig_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_sig.c
tests_fuzz_replay_sig_CPPFLAGS = $(AM_CPPFLAGS) -DKTS_FUZZ_TARGET='"sig"'
tests_fuzz_replay_sig_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_sig_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_req_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_req.c
tests_fuzz_replay_req_CPPFLAGS = $(AM_CPPFLAGS) -DKTS_FUZZ_TARGET='"req"'
tests_fuzz_replay_req_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_req_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_resp_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_resp.c
tests_fuzz_replay_resp_CPPFLAGS = $(AM_CPPFLAGS) -DKTS_FUZZ_TARGET='"resp"'
tests_fuzz_replay_resp_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_resp_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_http_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_http.c
tests_fuzz_replay_http_CPPFLAGS = $(AM_CPPFLAGS) -DKTS_FUZZ_TARGET='"http"'
tests_fuzz_replay_http_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_http_LDADD = $(KTS_FUZZ_LDADD)

KTS_FUZZ_BIN = tests/fuzz/fuzz_tlv tests/fuzz/fuzz_pubfile tests/fuzz/fuzz_sig \
	tests/fuzz/fuzz_req tests/fuzz/fuzz_resp tests/fuzz/fuzz_logsig \
	tests/fuzz/fuzz_http
if ENABLE_FUZZING
noinst_PROGRAMS += $(KTS_FUZZ_BIN)
endif
tests_fuzz_fuzz_tlv_SOURCES = tests/fuzz/fuzz_tlv.c
tests_fuzz_fuzz_tlv_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_tlv_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_tlv_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_pubfile_SOURCES = tests/fuzz/fuzz_pubfile.c
tests_fuzz_fuzz_pubfile_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_pubfile_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_pubfile_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_sig_SOURCES = tests/fuzz/fuzz_sig.c
tests_fuzz_fuzz_sig_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_sig_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_sig_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_req_SOURCES = tests/fuzz/fuzz_req.c
tests_fuzz_fuzz_req_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_req_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_req_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_resp_SOURCES = tests/fuzz/fuzz_resp.c
tests_fuzz_fuzz_resp_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_resp_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_resp_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_replay_logsig_SOURCES = tests/fuzz/replay.c \
	tests/fuzz/fuzz_logsig.c
tests_fuzz_replay_logsig_CPPFLAGS = $(AM_CPPFLAGS) \
	-DKTS_FUZZ_TARGET='"logsig"'
tests_fuzz_replay_logsig_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_replay_logsig_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_logsig_SOURCES = tests/fuzz/fuzz_logsig.c
tests_fuzz_fuzz_logsig_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_logsig_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_logsig_LDADD = $(KTS_FUZZ_LDADD)

tests_fuzz_fuzz_http_SOURCES = tests/fuzz/fuzz_http.c
tests_fuzz_fuzz_http_CFLAGS = $(KTS_FUZZ_CFLAGS)
tests_fuzz_fuzz_http_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_http_LDADD = $(KTS_FUZZ_LDADD)

FUZZ_SECONDS = 60
if ENABLE_FUZZING
# A crash keeps its temporary folder (log and crash-* input) and fails.
fuzz-smoke: $(KTS_FUZZ_BIN)
	@fail=0; \
	for t in $(KTS_FUZZ_TARGETS); do \
	  tmp=`mktemp -d "$${TMPDIR:-/tmp}/kts-fuzz-$$t.XXXXXX"` || exit 1; \
	  mkdir "$$tmp/corpus" "$$tmp/crash" || exit 1; \
	  find $(srcdir)/tests/fuzz/corpus/$$t -type f \
	    -exec cp {} "$$tmp/corpus/" \; ; \
	  echo "fuzz-smoke: $$t for $(FUZZ_SECONDS) s"; \
	  if ./tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	      -artifact_prefix="$$tmp/crash/" "$$tmp/corpus" \
	      >"$$tmp/log" 2>&1; then \
	    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss)' \
	      "$$tmp/log" | sed "s/^/  $$t: /"; \
	    rm -rf "$$tmp"; \
	  else \
	    tail -n 40 "$$tmp/log"; \
	    echo "fuzz-smoke: $$t FAILED; log and inputs kept in $$tmp"; \
	    fail=1; \
	  fi; \
	done; \
	exit $$fail
else
fuzz-smoke:
	@echo "fuzz-smoke needs: ./configure --enable-fuzzing CC=clang" >&2
	@exit 1
endif

## kts-bench sign, extend and http-baseline against a kts-stack on
## 127.0.0.1 (tools/kts_bench_net.c); about 10 s.
TESTS += tests/integration/bench.sh
EXTRA_DIST += tests/integration/bench.sh

## kts logsig: vectors offline, then sign, tamper, chain, extract, proofs
## and extend against a kts-stack on 127.0.0.1; about 15 s.
TESTS += tests/integration/logsig.sh
EXTRA_DIST += tests/integration/logsig.sh
## kts logsig follow on a kts-stack: bursts, rotations, an aggregator
## outage and its return, SIGTERM, restart, truncation, stdin, resign;
## 37 checks, about 35 s.
TESTS += tests/integration/logsig_follow.sh
EXTRA_DIST += tests/integration/logsig_follow.sh

## Every lib/*.h compiles on its own (STYLE.md 16).
TESTS += tests/headertest.sh
EXTRA_DIST += tests/headertest.sh

## The mechanical style rules (STYLE.md 4, 11); not part of make check.
check-style:
	$(AM_V_at)$(PERL_FOR_STYLE) $(srcdir)/scripts/check-style $(srcdir)

PERL_FOR_STYLE = perl

## A long signing run through a whole stack, watching the servers' memory
## and descriptors (scripts/soak; 10 minutes by default, so not part of
## make check): make soak SOAK_ARGS="--seconds 1800 --rate 10000".
SOAK_ARGS =
soak: all
	KTS_TOP_BUILDDIR=$(abs_top_builddir) $(srcdir)/scripts/soak $(SOAK_ARGS)

EXTRA_DIST += scripts/check-style scripts/test-summary scripts/soak \
	.clang-format \
	README.md docs/README.md

## ThreadSanitizer suppressions, for a -fsanitize=thread build.
EXTRA_DIST += tests/tsan.supp

.PHONY: fuzz-smoke check-style soak
