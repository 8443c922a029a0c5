#!/bin/sh
# logsig_follow.sh - `kts logsig follow` on 127.0.0.1 (make check).
#
# A stack from tools/kts-stack in a temporary folder.  follow signs a log
# while lines are appended in bursts (one with CR LF ends, one line
# written in two pieces); the log is rotated (mv, late lines into the old
# file, then a new file); the leaf aggregator follow talks to is stopped,
# lines are appended, the log is rotated again while its blocks wait,
# the leaf is started again on the same ports and more lines come; then
# SIGTERM.  Checks: exit 0, the events, both logs
# verify as one chain with every line (counts compared with what was
# written), the state file holds the last leaf, a changed line fails.
# Then: a restarted follow continues the same signature file; a log
# truncated in place; standard input; and a follower whose aggregator never answers writes unsigned
# blocks (the oldest when its queue is full, the rest on stop; verify:
# inconclusive) and loses nothing: `kts logsig resign` then signs them.
# Every wait is bounded (wait_for: at most 15 s); the stack, the
# restarted leaf and every follower are stopped on any exit.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
KTS_CALENDAR=$top/calendar/kts-calendar
KTS_AGGREGATOR=$top/aggregator/kts-aggregator
export KTS_CALENDAR KTS_AGGREGATOR
T=$(mktemp -d "${TMPDIR:-/tmp}/kts-follow.XXXXXX") || exit 99
pass=0
fail=0
fpid=
lpid=

cleanup() {
	[ -n "$fpid" ] && kill -9 "$fpid" 2>/dev/null
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	"$src/tools/kts-stack" stop "$T/stack" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
# Also when a reader of the output goes away (| head): no stack left over.
trap 'exit 1' HUP INT PIPE TERM

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# check NAME CONDITION...: ok if the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# wait_for NAME COMMAND...: poll COMMAND every 0.1 s, at most 150 times.
wait_for() {
	name=$1
	shift
	i=0
	while ! "$@"; do
		i=$((i + 1))
		if [ $i -ge 150 ]; then
			bad "waited 15 s for: $name"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# count EVENT [FILE]: lines of the events file with that event.
count() {
	grep -c "\"event\":\"$1\"" "${2:-$T/events}" 2>/dev/null
}

# signed_lines [FILE]: log lines in the block_signed events.
signed_lines() {
	grep '"event":"block_signed"' "${1:-$T/events}" |
	    sed 's/.*"lines":\([0-9]*\).*/\1/' | awk '{ n += $1 } END { print n + 0 }'
}

has_event() { [ "$(count "$1")" -ge "${2:-1}" ]; }
all_signed() { [ "$(signed_lines)" -eq "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# burst FILE TAG N: N lines "TAG i" appended to FILE.
burst() {
	i=1
	while [ $i -le "$3" ]; do
		echo "$2 line $i of $3 $(date +%s)"
		i=$((i + 1))
	done >>"$1"
}

# stop_follow: SIGTERM the follower, wait (bounded); its exit code in frc.
stop_follow() {
	kill -TERM "$fpid"
	wait_for "follow to stop" gone "$fpid"
	wait "$fpid"
	frc=$?
	fpid=
}

# verify_lines NAME WANT_RC WANT_LINES ARGS...: kts logsig verify --json,
# its exit code and "lines" of the (last) result.
verify_lines() {
	name=$1
	want=$2
	lines=$3
	shift 3
	"$kts" logsig verify --json "$@" >"$T/v.out" 2>"$T/v.err"
	rc=$?
	# The top level of each result has "verdict" then "lines".
	got=$(tr -d ' \n' <"$T/v.out" |
	    grep -o '"verdict":"[A-Z]*","lines":[0-9]*' | tail -n 1 |
	    sed 's/.*://')
	if [ "$rc" -eq "$want" ] && [ "$got" = "$lines" ]; then
		ok "$name (exit $rc, $got lines)"
	else
		bad "$name: exit $rc (want $want), lines '$got' (want $lines)"
		sed 's/^/    /' "$T/v.out" "$T/v.err" | head -30 | cut -c1-300
	fi
}

if [ ! -x "$kts" ] || [ ! -x "$KTS_AGGREGATOR" ]; then
	echo "logsig_follow.sh: not built"
	exit 99
fi
"$src/tools/kts-stack" start "$T/stack" >"$T/start.out" 2>&1 ||
    { echo "FAIL kts-stack start"; cat "$T/start.out"; exit 1; }
set -a
. "$T/stack/stack.env"
set +a
trust="-P $KTS_PUBFILE -V $KTS_CA --cnstr $KTS_CNSTR"

# The leaf follow uses; a copy of its configuration on its own ports, to
# start it again where follow expects it.
read -r l1http l1tcp <"$T/stack/leaf1.ports"
sed -e "s/^http_port = 0/http_port = $l1http/" \
    -e "s/^tcp_port = 0/tcp_port = $l1tcp/" \
    -e "s#leaf1.ports#leaf1b.ports#" "$T/stack/leaf1.conf" >"$T/leaf1b.conf"
chmod 600 "$T/leaf1b.conf"

cd "$T" || exit 99
log=$T/app.log
written=0		# lines written to app.log and app.log.1
: >"$log"
"$kts" logsig follow --json --block-records 8 --block-seconds 1 \
    --poll-ms 100 --rotate-wait 500 --retry-max 1 -c 2 \
    --keep-record-hashes --state "$T/state" -S "$KTS_AGGR_URL" "$log" \
    >"$T/events" 2>"$T/follow.err" &
fpid=$!
wait_for "the start event" has_event start

# --- bursts -------------------------------------------------------------
burst "$log" one 20
written=$((written + 20))
printf 'crlf a\r\ncrlf b\r\ncrlf c\r\n' >>"$log"
written=$((written + 3))
printf 'a line in two pieces, ' >>"$log"
sleep 0.5
printf 'the second piece\n' >>"$log"
written=$((written + 1))
printf 'a CR LF split between two reads\r' >>"$log"
sleep 0.5
printf '\na lone CR\rend\n' >>"$log"
written=$((written + 3))	# wc -l counts 2: the lone CR is not an LF
burst "$log" two 30
written=$((written + 30))
wait_for "bursts signed" all_signed $written &&
    ok "bursts: $written lines signed as they came"

# --- rotation -----------------------------------------------------------
mv "$log" "$log.1"
burst "$log.1" late 4		# the writer has not reopened yet
written=$((written + 4))
burst "$log" three 12
written=$((written + 12))
wait_for "the rotated event" has_event rotated &&
    ok "rotation noticed: $(grep '"event":"rotated"' events | head -n 1 |
    sed 's/.*"message":"\([^"]*\)".*/\1/')"
check "old signature file moved to app.log.1.logsig" test -s "$log.1.logsig"
wait_for "lines after the rotation signed" all_signed $written

# --- the aggregator goes away and comes back ---------------------------
kill "$(cat "$T/stack/leaf1.pid")"
rm -f "$T/stack/leaf1.pid"
signed_before=$(signed_lines)
burst "$log" outage 25
written=$((written + 25))
wait_for "a signing_failed event" has_event signing_failed &&
    ok "signing failed while the leaf is down: $(grep -m 1 \
    '"event":"signing_failed"' events | sed 's/.*"reason":"\([^"]*\)".*/\1/')"
# A second rotation while blocks of the old file still wait.
mv "$log" "$log.2"
burst "$log" during 6
written=$((written + 6))
wait_for "the second rotated event" has_event rotated 2
sleep 1
check "nothing signed while the leaf is down" \
    test "$(signed_lines)" -eq "$signed_before"
check "the waiting file is already moved to app.log.2.logsig" \
    test -s "$log.2.logsig"
"$KTS_AGGREGATOR" -c "$T/leaf1b.conf" >"$T/leaf1b.log" 2>&1 &
lpid=$!
wait_for "the signing_recovered event" has_event signing_recovered &&
    ok "signing again once the leaf is back"
burst "$log" after 10
written=$((written + 10))
wait_for "every line signed" all_signed $written &&
    ok "all $written lines signed after the outage"
stop_follow
check "follow exit code 0 on SIGTERM (got $frc)" test "$frc" -eq 0

# --- the results --------------------------------------------------------
check "the stop event" has_event stop
check "no block was left unsigned" test "$(count block_unsigned)" -eq 0
check "three file_closed events" test "$(count file_closed)" -eq 3
check "heartbeat blocks (a metarecord only) on the idle log" \
    test "$(grep -c '"event":"block_signed".*"records":1,"lines":0,' events)" -ge 1
if command -v python3 >/dev/null 2>&1; then
	check "every event line is JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)' "$T/events"
fi
n1=$(($(wc -l <"$log.1") + 1))	# + the line ended by a lone CR
n12=$(wc -l <"$log.2")
n2=$(wc -l <"$log")
check "the test wrote what it counted ($n1 + $n12 + $n2 = $written)" \
    test $((n1 + n12 + n2)) -eq "$written"
verify_lines "rotated log verifies, every line" 0 "$n1" \
    --ver-int "$log.1"
verify_lines "rotated during the outage: verifies, every line" 0 "$n12" \
    --ver-int --input-hash "$(tr -d ' \n' <"$T/v.out" |
    grep -o '"output_hash":"[0-9a-f]*","policy"' | tail -n 1 |
    sed 's/"output_hash":"01\([0-9a-f]*\)".*/SHA-256:\1/')" "$log.2"
verify_lines "the three logs verify as one chain (internal)" 0 "$n2" \
    --ver-int -- "$log.1" "$log.2" "$log"
# shellcheck disable=SC2086
verify_lines "the three logs verify as one chain (key-based)" 0 "$n2" \
    --ver-key $trust -- "$log.1" "$log.2" "$log"
out=$(tr -d ' \n' <"$T/v.out" | grep -o '"output_hash":"[0-9a-f]*","policy"' |
    tail -n 1 | sed 's/"output_hash":"\([0-9a-f]*\)".*/\1/')
st=$(od -An -tx1 -v "$T/state" | tr -d ' \n')
check "the state file holds the last leaf" \
    test -n "$out" -a "$st" = "4b5349535441543130$(echo "$out" |
    cut -c1-2)20$(echo "$out" | cut -c3-)"
sed 's/^two line 7 of/two line 7 Of/' "$log.1" >"$T/changed.log"
cp "$log.1.logsig" "$T/changed.log.logsig"
check "the test changed a line" test -n "$(cmp "$log.1" "$T/changed.log")"
"$kts" logsig verify --ver-int -q "$T/changed.log" >/dev/null 2>&1
crc=$?
check "a changed line fails verification (exit $crc)" test "$crc" -eq 6

# --- a restarted follow continues the signature file --------------------
"$kts" logsig follow --json --block-records 8 --block-seconds 1 \
    --poll-ms 100 -S "$KTS_AGGR_URL" "$log" >"$T/events2" 2>"$T/follow2.err" &
fpid=$!
wait_for "the second start event" grep -q '"continued":true' "$T/events2" &&
    ok "restart: $(grep -o '"lines_already_signed":[0-9]*' "$T/events2")"
burst "$log" restarted 9
n2=$((n2 + 9))
restarted_signed() { [ "$(signed_lines "$T/events2")" -ge 9 ]; }
wait_for "the restarted lines signed" restarted_signed
stop_follow
check "restarted follow exits 0" test "$frc" -eq 0
verify_lines "continued file verifies with every line" 0 "$n2" \
    --ver-int -- "$log.1" "$log.2" "$log"

# --- a log truncated in place (copytruncate) ------------------------------
tl=$T/trunc.log
burst "$tl" old 5
cp "$tl" "$T/trunc.old"		# what the truncation throws away
"$kts" logsig follow --json --block-seconds 1 --poll-ms 100 \
    -S "$KTS_AGGR_URL" "$tl" >"$T/events4" 2>"$T/follow4.err" &
fpid=$!
wait_for "the old lines signed" grep -q '"lines":5,' "$T/events4"
: >"$tl"
printf 'new 1\nnew 2\nnew 3\n' >>"$tl"	# one write: one block
wait_for "the shrink warning" grep -q '"event":"warning".*shrank' "$T/events4"
new_signed() { grep -q '"lines":3,' "$T/events4"; }
wait_for "the new lines signed" new_signed
stop_follow
check "truncated: exit 0 (got $frc)" test "$frc" -eq 0
set -- "$tl".logsig.2*
check "truncated: the old signature file moved to $(basename "$1")" \
    test -s "$1"
cp "$1" "$T/trunc.old.logsig"
verify_lines "truncated: old content and new log verify as one chain" 0 3 \
    --ver-int -- "$T/trunc.old" "$tl"

# --- line ends written one byte at a time ---------------------------------
# a CR, CR CR LF, LF, lone CR, CR: lines "a", "", "b", "", "c" for logksi.
bl=$T/bytes.log
: >"$bl"
"$kts" logsig follow --json --poll-ms 10 -S "$KTS_AGGR_URL" "$bl" \
    >"$T/events5" 2>"$T/follow5.err" &
fpid=$!
wait_for "the bytes follower's start" grep -q '"event":"start"' "$T/events5"
for b in 'a' '\r' '\r' '\n' 'b' '\n' '\r' 'c' '\r'; do
	printf "$b" >>"$bl"
	sleep 0.03
done
sleep 0.2
stop_follow
verify_lines "bytes: follow frames lines as the verifier does" 0 5 \
    --ver-int "$bl"

# --- standard input --------------------------------------------------------
seq 1 100 >"$T/seq.log"
"$kts" logsig follow -q --block-records 16 -S "$KTS_AGGR_URL" \
    -o "$T/seq.log.logsig" - <"$T/seq.log"
check "stdin: follow ends at EOF with exit 0 (got $?)" test $? -eq 0
verify_lines "stdin: the signature file verifies" 0 100 --ver-int "$T/seq.log"

# --- an aggregator that never answers --------------------------------------
burst "$T/down.log" down 13
"$kts" logsig follow --json --block-records 4 --poll-ms 100 --stop-wait 1 \
    --queue 2 --retry-max 1 -c 1 -S "http://127.0.0.1:1/" \
    --aggr-user u --aggr-key k \
    "$T/down.log" >"$T/events3" 2>"$T/follow3.err" &
fpid=$!
wait_for "a failure with the aggregator down" \
    grep -q '"event":"signing_failed"' "$T/events3"
stop_follow
check "unreachable aggregator: exit 0 on SIGTERM (got $frc)" test "$frc" -eq 0
# 13 lines and the closing metarecord, 4 records a block: 4 blocks.
check "unreachable aggregator: every block written unsigned" \
    test "$(count block_unsigned "$T/events3")" -eq 4
# A queue of 2: blocks 1 and 2 were pushed out when 3 and 4 closed.
check "unreachable aggregator: a full queue writes the oldest unsigned" \
    test "$(grep -c 'block_unsigned.*queue of blocks waiting for it was full' \
    "$T/events3")" -eq 2
verify_lines "unsigned blocks: inconclusive, every line there" 1 13 \
    --ver-int "$T/down.log"
"$kts" logsig resign -q -S "$KTS_AGGR_URL" "$T/down.log.logsig" \
    >"$T/resign.out" 2>&1
check "kts logsig resign signs what follow left unsigned (exit $?)" \
    test $? -eq 0
verify_lines "after resign: verified, every line there" 0 13 \
    --ver-int "$T/down.log"

echo "logsig_follow.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
