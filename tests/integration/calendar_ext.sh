#!/bin/sh
# calendar_ext.sh - kts-calendar's extender port and extension threads
# on 127.0.0.1 (make check).
#
# A calendar with a test clock and an extender port (HTTP and raw TCP,
# three threads, ephemeral ports): signatures made on the main port are
# extended through the extender port, sequentially and by several
# clients at once (kts extend, kts-bench extend, which checks every
# answer), and verify; an aggregation request there gets the error PDU
# with status 0x0103; /metrics on the main port counts the threads'
# requests; the calendar stops cleanly on SIGTERM and its store checks.
# Every wait and loop is bounded.  The calendar and the load run at a
# lower priority: make check runs other tests at the same time, whose
# test clocks and timeouts should not feel the load of this one.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
cal=$top/calendar/kts-calendar
pdu=$top/tests/kts-pdu
bench=$top/tools/kts-bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kts-ext.XXXXXX") || exit 99
pass=0
fail=0
pid=

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
show() { sed -n '1,20s/^/    /p' "$1"; }
check() { # description command...
	d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else bad "$d"; show "$tmp/out"; fi
}
finish() {
	if [ $fail -gt 0 ] && [ -f "$tmp/cal.log" ]; then
		echo "last lines of the calendar's log:"
		tail -n 15 "$tmp/cal.log" | sed 's/^/    /'
	fi
	echo "calendar_ext.sh: $pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
}

for p in "$kts" "$cal" "$pdu" "$bench"; do
	[ -x "$p" ] || { bad "cannot run: $p is not built"; finish; }
done
"$src/tools/kts-pki" init "$tmp/pki" >/dev/null 2>&1 ||
    { bad "cannot run: kts-pki init failed"; finish; }
user=$(awk '!/^#/ { print $1; exit }' "$tmp/pki/users")
key=$(awk '!/^#/ { print $2; exit }' "$tmp/pki/users")
trust="-V $tmp/pki/ca.crt --cnstr E=publications@kts.local"
now=$(( $(date +%s) + 2 ))
echo "$now" > "$tmp/clock"
tick() { now=$((now + $1)); echo "$now" > "$tmp/clock"; }

cat > "$tmp/cal.conf" <<CONF
data_dir = $tmp/data
http_port = 0
tcp_port = 0
ext_http_port = 0
ext_tcp_port = 0
ext_threads = 3
ports_file = $tmp/ports
users = $tmp/pki/users
key = $tmp/pki/calendar.key
cert = $tmp/pki/calendar.crt
pub_key = $tmp/pki/pub.key
pub_cert = $tmp/pki/pub.crt
pubfile = $tmp/publications.bin
pub_every = 10
clock_file = $tmp/clock
CONF

# An extender port needs threads to serve it.
"$cal" -t -c "$tmp/cal.conf" --set ext_threads=0 >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q ext_threads "$tmp/out"; then
	ok "an extender port with ext_threads = 0 is refused"
else
	bad "ext_threads = 0 with an extender port gave exit $rc"; show "$tmp/out"
fi

nice -n 10 "$cal" -c "$tmp/cal.conf" >>"$tmp/cal.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$tmp/ports" ] && [ $i -lt 100 ] && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$tmp/ports" ] || { bad "the calendar did not start"; finish; }
{ read -r http tcp; read -r ehttp etcp; } < "$tmp/ports"
url=http://127.0.0.1:$http/
xurl=http://127.0.0.1:$ehttp/
xtcp=ksi+tcp://127.0.0.1:$etcp
if [ "$ehttp" -gt 0 ] 2>/dev/null && [ "$etcp" -gt 0 ] 2>/dev/null &&
    [ "$ehttp" != "$http" ]; then
	ok "the ports file names the extender ports ($ehttp, $etcp)"
else
	bad "extender ports in the ports file: '$ehttp' '$etcp'"
fi

# sign NAME TEXT: sign the hash of TEXT on the main port, moving the clock.
sign() {
	h=$(printf '%s' "$2" | sha256sum | cut -c1-64)
	"$kts" sign -S "$url" --aggr-user "$user" --aggr-key "$key" \
	    --hash "SHA-256:$h" -o "$tmp/$1" -c 10 >"$tmp/sign.out" 2>&1 &
	sp=$!
	sleep 0.3
	tick 1
	if wait $sp; then ok "sign $1 on the main port"; else
		bad "sign $1 on the main port"; show "$tmp/sign.out"; fi
}
sign s1 "ext record one"
sign s2 "ext record two"
# Past the next publication (every 10 s), one round at a time.
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do tick 1; sleep 0.1; done
sleep 0.5
pubf=$tmp/pub.bin
check "the publications file lists a publication" sh -c \
    "'$kts' pubfile -P '${url}publications.bin' $trust --json > '$tmp/pubf.json' &&
    grep -q publication_string '$tmp/pubf.json'"
cp "$tmp/publications.bin" "$pubf"

check "extend through the extender over HTTP" "$kts" extend -i "$tmp/s1" \
    -X "$xurl" --ext-user "$user" --ext-key "$key" -P "$pubf" $trust \
    -o "$tmp/s1x"
check "the extended signature verifies with the publications file" \
    "$kts" verify -i "$tmp/s1x" -P "$pubf" $trust --ver-pub
check "extend through the extender over raw TCP" "$kts" extend -i "$tmp/s2" \
    -X "$xtcp" --ext-user "$user" --ext-key "$key" -P "$pubf" $trust \
    -o "$tmp/s2x"
check "that one verifies too" "$kts" verify -i "$tmp/s2x" -P "$pubf" $trust --ver-pub

# Eight clients at once, half on each transport: the same answers.
pids=
for n in 1 2 3 4 5 6 7 8; do
	s=s$((n % 2 + 1))
	[ $((n % 4)) -lt 2 ] && x=$xurl || x=$xtcp
	nice -n 10 "$kts" extend -i "$tmp/$s" -X "$x" --ext-user "$user" \
	    --ext-key "$key" -P "$pubf" $trust -o "$tmp/par$n" -c 10 \
	    >"$tmp/par$n.out" 2>&1 &
	pids="$pids $!"
done
n=0
for p in $pids; do
	n=$((n + 1))
	s=s$((n % 2 + 1))
	if wait "$p" && cmp -s "$tmp/par$n" "$tmp/${s}x"; then
		ok "concurrent extension $n matches"
	else
		bad "concurrent extension $n"; show "$tmp/par$n.out"
	fi
done

# Load from 8 connections each way; kts-bench checks every response.
for t in http tcp; do
	if [ $t = http ]; then
		nice -n 10 "$bench" extend --url "$xurl" --user "$user" \
		    --key "$key" --connections 8 --seconds 2 -q \
		    >"$tmp/bench.out" 2>&1
	else
		nice -n 10 "$bench" extend --url "$xtcp" --tcp --user "$user" \
		    --key "$key" --connections 8 --seconds 2 -q \
		    >"$tmp/bench.out" 2>&1
	fi
	line=$(tail -n 1 "$tmp/bench.out")
	case $line in
	"extend_per_s "*" errors 0") ok "kts-bench over $t: $line" ;;
	*) bad "kts-bench over $t"; show "$tmp/bench.out" ;;
	esac
done

# Aggregation is not served there: the error PDU, status 0x0103.
for x in "$xurl" "$xtcp"; do
	"$pdu" aggr "$x" -u "$user" -k "$key" >"$tmp/out" 2>&1
	case $(head -n 1 "$tmp/out") in
	"status 0x0103 error"*) ok "aggregation at the extender: 0x0103 ($x)" ;;
	*) bad "aggregation at the extender ($x)"; show "$tmp/out" ;;
	esac
done
"$kts" sign -S "$xurl" --aggr-user "$user" --aggr-key "$key" \
    --hash "SHA-256:$(printf x | sha256sum | cut -c1-64)" -o "$tmp/no" \
    -c 5 >"$tmp/out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ ! -s "$tmp/no" ] && ok "kts sign at the extender fails ($rc)" ||
    { bad "kts sign at the extender gave $rc"; show "$tmp/out"; }
sign s3 "ext record three"

# The main port's /metrics adds up the threads' counters.
"$pdu" get "${url}metrics" >"$tmp/metrics" 2>&1
next=$(sed -n 's/^kts_requests_total{type="extension"} //p' "$tmp/metrics")
e103=$(sed -n 's/^kts_errors_total{status="0x0103"} //p' "$tmp/metrics")
if [ "${next:-0}" -gt 1000 ] && [ "${e103:-0}" -ge 2 ]; then
	ok "/metrics: $next extensions, $e103 errors 0x0103"
else
	bad "/metrics: extensions '$next', 0x0103 '$e103'"; show "$tmp/metrics"
fi
check "/healthz on the extender port" sh -c \
    "'$pdu' get '${xurl}healthz' | grep -q '^ok head='"

# SIGTERM: the threads are joined and the calendar exits 0 within 5 s.
kill "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	bad "the calendar did not stop within 5 s"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
else
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] && ok "the calendar stopped cleanly" ||
	    bad "the calendar exited with $rc"
fi
pid=
if grep -q " error: " "$tmp/cal.log"; then
	bad "the calendar logged errors"
	grep " error: " "$tmp/cal.log" | sed -n '1,20s/^/    /p'
else
	ok "no errors in the calendar's log"
fi
check "--check accepts the store" "$cal" --check "$tmp/data"
finish
