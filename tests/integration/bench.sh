#!/bin/sh
# bench.sh - kts-bench's network subcommands on 127.0.0.1 (make check).
#
# A stack from tools/kts-stack in a temporary folder: "kts-bench sign"
# over HTTP and raw TCP for 2 s each must report good signatures and no
# error, "kts-bench extend" still works on the same generator, and
# "kts-bench http-baseline" for 1 s reports a rate.  Every run is bounded
# by its --seconds plus the generator's 5 s grace; the stack is stopped
# and the folder removed on any exit.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
bench=$top/tools/kts-bench
tmp=$(mktemp -d)
pass=0
fail=0

# kts-stack finds kts-pki beside itself, the built programs through
# these (the build folder may not be the source folder).
KTS_CALENDAR=$top/calendar/kts-calendar
KTS_AGGREGATOR=$top/aggregator/kts-aggregator
export KTS_CALENDAR KTS_AGGREGATOR

cleanup() {
	"$src/tools/kts-stack" stop "$tmp/stack" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# verdict DESCRIPTION REGEX NAME STATUS: the run that wrote $tmp/NAME.out
# and .err exited with STATUS 0 and its last stdout line matches REGEX.
verdict() {
	if [ "$4" -eq 0 ] && tail -n 1 "$tmp/$3.out" | grep -Eq "$2"; then
		ok "$1: $(tail -n 1 "$tmp/$3.out")"
	else
		bad "$1 (exit $4)"
		sed 's/^/    /' "$tmp/$3.out" "$tmp/$3.err"
	fi
}

# last_line_ok DESCRIPTION REGEX COMMAND...: run it, then verdict.
last_line_ok() {
	d=$1
	re=$2
	shift 2
	"$@" >"$tmp/run.out" 2>"$tmp/run.err"
	verdict "$d" "$re" run $?
}

"$src/tools/kts-stack" start "$tmp/stack" >"$tmp/start.out" 2>&1 ||
    { echo "FAIL: kts-stack start"; cat "$tmp/start.out"; exit 1; }
. "$tmp/stack/stack.env"
cred="--user $KTS_USER --key $KTS_KEY"

# N > 0 good signatures a second and no error, every response checked.
# The two runs share the calendar's rounds, so they run at the same time.
good='^sign_per_s [1-9][0-9]* p50_ms [0-9.]+ p99_ms [0-9.]+ errors 0$'
"$bench" sign --url "$KTS_AGGR_URL" $cred --seconds 2 --connections 8 -q \
    >"$tmp/http.out" 2>"$tmp/http.err" &
hp=$!
"$bench" sign --url "$KTS_AGGR_TCP_URL" --tcp $cred --seconds 2 \
    --connections 2 --depth 16 -q >"$tmp/tcp.out" 2>"$tmp/tcp.err"
ts=$?
wait $hp
verdict "sign over HTTP" "$good" http $?
verdict "sign over raw TCP" "$good" tcp $ts
# Pipelined HTTP, requests spread over the rounds of each second: the
# leaf answers a burst by wait band and connection, not in request
# order, and the answers must still leave in request order (the
# generator checks each against the request it sent, ids included).
last_line_ok "sign over pipelined HTTP, open loop (answers in order)" \
    "$good" "$bench" sign --url "$KTS_AGGR_URL" $cred --seconds 3 \
    --connections 4 --depth 64 --rate 120 -q

# --metrics: the leaf's own histograms around a run.  Its requests are
# the run's (no other client signs through leaf2 here), and the own
# latency is at most the total.
"$bench" sign --url "$KTS_AGGR2_URL" $cred --seconds 1 --connections 4 -q \
    --metrics "${KTS_AGGR2_URL}metrics" >"$tmp/m.out" 2>"$tmp/m.err"
st=$?
good_n=$(sed -n 's/^requests \([0-9]*\), good \([0-9]*\),.*/\2/p' "$tmp/m.out")
own=$(grep '^server_own_ms n ' "$tmp/m.out")
tot=$(grep '^server_latency_ms n ' "$tmp/m.out")
if [ $st -eq 0 ] && [ -n "$good_n" ] && [ "$good_n" -gt 0 ] &&
    echo "$own" | grep -Eq "^server_own_ms n $good_n p50_le [0-9.]+ p99_le [0-9.]+ target 150 (met|missed)$" &&
    echo "$tot" | grep -Eq "^server_latency_ms n $good_n " &&
    [ "$(echo "$own" | awk '{ print $7 }')" != "" ] &&
    awk -v a="$(echo "$own" | awk '{ print $7 }')" \
    -v b="$(echo "$tot" | awk '{ print $7 }')" 'BEGIN { exit !(a <= b) }'
then
	ok "sign --metrics: $own"
else
	bad "sign --metrics (exit $st)"
	sed 's/^/    /' "$tmp/m.out" "$tmp/m.err"
fi
# The page of a leaf the run does not go through: nothing to judge, so
# no verdict (not a "met" from an empty histogram).
"$bench" sign --url "$KTS_AGGR2_URL" $cred --seconds 1 --connections 2 -q \
    --metrics "${KTS_AGGR_URL}metrics" >"$tmp/m0.out" 2>"$tmp/m0.err"
st=$?
if [ $st -eq 0 ] && grep -q '^server_own_ms n 0 ' "$tmp/m0.out" &&
    ! grep -q 'met\|missed' "$tmp/m0.out"; then
	ok "sign --metrics of an idle leaf: $(grep '^server_own_ms' "$tmp/m0.out")"
else
	bad "sign --metrics of an idle leaf (exit $st)"
	sed 's/^/    /' "$tmp/m0.out" "$tmp/m0.err"
fi
if "$bench" sign --url "$KTS_AGGR2_URL" $cred --seconds 1 -q \
    --metrics "${KTS_CAL_URL%/}/nothing-here" >"$tmp/out" 2>"$tmp/err"; then
	bad "sign --metrics with a page that is no aggregator's succeeded"
elif grep -q "metrics" "$tmp/err"; then
	ok "sign --metrics refuses a page without the histograms: $(head -n 1 "$tmp/err")"
else
	bad "sign --metrics: no message"
	cat "$tmp/err"
fi

# The calendar has leaves by now; extend runs on the same generator.
last_line_ok "extend over raw TCP" \
    '^extend_per_s [1-9][0-9]* p50_ms [0-9.]+ p99_ms [0-9.]+ errors 0$' \
    "$bench" extend --url "$KTS_CAL_TCP_URL" --tcp $cred --seconds 1 \
    --connections 2 -q

# A wrong key: every answer is an error, counted, and the run still ends.
if "$bench" sign --url "$KTS_AGGR_TCP_URL" --user "$KTS_USER" --key wrong \
    --seconds 1 --connections 1 --depth 4 -q >"$tmp/out" 2>"$tmp/err" &&
    tail -n 1 "$tmp/out" | grep -Eq '^sign_per_s 0 .* errors [1-9][0-9]*$' &&
    grep -q 'authentication failure' "$tmp/err"; then
	ok "a wrong key gives errors, described"
else
	bad "a wrong key gives errors, described"
	sed 's/^/    /' "$tmp/out" "$tmp/err"
fi

# Open loop: a fixed rate over enough connections, every request answered.
last_line_ok "sign, open loop (--rate 40) through a leaf" \
    '^sign_per_s [1-9][0-9]* p50_ms [0-9.]+ p99_ms [0-9.]+ errors 0$' \
    "$bench" sign --url "$KTS_AGGR_URL" $cred --seconds 2 --rate 40 \
    --connections 80 -q
if grep -q 'warning' "$tmp/run.err"; then
	bad "open loop with room: no warning ($(cat "$tmp/run.err"))"
else
	ok "open loop with room: no warning"
fi

# Open loop past what connections x depth hold: warned at the start, the
# requests that found no room are errors, and the summary says they were
# never sent.
if "$bench" sign --url "$KTS_AGGR_URL" $cred --seconds 1 --rate 50 \
    --connections 1 --depth 1 >"$tmp/out" 2>"$tmp/err" &&
    tail -n 1 "$tmp/out" | grep -Eq ' errors [1-9][0-9]*$' &&
    grep -Eq '^of the errors, [1-9][0-9]* never sent: ' "$tmp/out" &&
    grep -q 'no connection free' "$tmp/err" &&
    grep -q 'warning: 1 requests in flight .* less than --rate 50' \
    "$tmp/err"; then
	ok "open loop over capacity: unsent requests counted apart"
else
	bad "open loop over capacity: unsent requests counted apart"
	sed 's/^/    /' "$tmp/out" "$tmp/err"
fi

last_line_ok "http-baseline" '^baseline_per_s [1-9][0-9]*$' \
    "$bench" http-baseline --seconds 1 --connections 4 -q

if "$bench" sign --url "$KTS_AGGR_URL" $cred --connections 16385 \
    >/dev/null 2>&1; then
	bad "--connections over 16384 is refused"
else
	ok "--connections over 16384 is refused"
fi

# The manual names every option the programs' --help names.
man_covers() { # MANPAGE HELP-TEXT-FILE
	missing=
	for o in $(grep -o -- '--[a-z][a-z-]*' "$2" | sort -u); do
		esc=$(printf '%s' "$o" | sed 's/-/\\-/g')
		grep -qF -- "$esc" "$1" || missing="$missing $o"
	done
	if [ -z "$missing" ] && [ -s "$2" ]; then
		ok "$(basename "$1") names every option of --help"
	else
		bad "$(basename "$1") lacks:$missing"
	fi
}
for c in sign extend http-baseline logsig; do
	"$bench" "$c" --help 2>&1
done >"$tmp/help.txt"
man_covers "$src/docs/kts-bench.1" "$tmp/help.txt"
"$src/tools/kts-stack" --help x >"$tmp/help.txt" 2>&1
man_covers "$src/docs/kts-stack.1" "$tmp/help.txt"

# scripts/soak (make soak) on a stack of its own, shortly: it must
# sample, judge and stop its stack; and refuse a load it cannot carry.
# Six seconds cannot judge memory (and under ASan freed memory sits in
# its quarantine), so the growth bound is the loosest; descriptors, the
# servers' lives and the requests are judged as in a real soak.
KTS_BENCH=$bench "$src/scripts/soak" --seconds 6 --every 2 --rate 100 \
    --max-bytes-per-sig 1000000 --dir "$tmp/soak" \
    >"$tmp/soak.out" 2>"$tmp/soak.err"
verdict "scripts/soak: a short run is OK" \
    '^soak: OK, [1-9][0-9]* signatures .* errors 0$' soak $?
n=$(grep -c '^t=' "$tmp/soak.out")
# kts-stack stop removes each pid file once its server is gone.
if [ "$n" -ge 3 ] && [ -s "$tmp/soak/stack/stack.env" ] &&
    ! ls "$tmp/soak/stack/"*.pid >/dev/null 2>&1; then
	ok "scripts/soak: samples printed, its stack stopped"
else
	bad "scripts/soak: samples or stop"
fi
if KTS_BENCH=$bench "$src/scripts/soak" --rate 1000 --connections 10 >/dev/null \
    2>"$tmp/soak.err"; then
	bad "scripts/soak: too little room for the rate is refused"
elif grep -q 'less than 2 x --rate' "$tmp/soak.err"; then
	ok "scripts/soak: too little room for the rate is refused"
else
	bad "scripts/soak: refusal says why ($(cat "$tmp/soak.err"))"
fi

echo "bench.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
