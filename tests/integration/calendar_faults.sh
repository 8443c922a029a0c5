#!/bin/sh
# calendar_faults.sh - kts-calendar under faults on 127.0.0.1 (make check).
#
# A calendar on ephemeral ports with a test clock (clock_file), driven by
# `kts` and the test client tests/kts-pdu:
#  A. bad requests get the right status (KSI spec 7.9, 7.10) and everyone
#     else is still served: a normal sign after each;
#  B. the clock steps back (the open round waits) and jumps forward (the
#     skipped seconds get filler leaves);
#  C. the calendar-based policy online, against this calendar and against
#     a second one;
#  D. kill -9 under load, restarted on the same folder, several times:
#     every answered signature still verifies, extends, and no second has
#     two leaves; `kts-calendar --check` accepts the store.
# One line per check; every wait and loop is bounded in count and time.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
cal=$top/calendar/kts-calendar
pdu=$top/tests/kts-pdu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kts-faults.XXXXXX") || exit 99
pass=0
fail=0
pid=
pid2=
t_start=$(date +%s)

cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$pid2" ] && kill -9 "$pid2" 2>/dev/null
	for f in "$tmp"/*.bgpid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "${KTS_KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
note() { echo "  .. $*"; }
show() { sed -n '1,20s/^/    /p' "$1"; }
finish() {
	if [ $fail -gt 0 ] && [ -f "$tmp/cal1.log" ]; then
		echo "last lines of the calendar's log:"
		tail -n 15 "$tmp/cal1.log" | sed 's/^/    /'
	fi
	echo "took $(( $(date +%s) - t_start )) s"
	echo "calendar_faults.sh: $pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
}
check() { # description command...
	d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else bad "$d"; show "$tmp/out"; fi
}
# expect DESC WANT command...: the command's first output line starts
# with WANT (a kts-pdu answer such as "status 0x0102 error").
expect() {
	d=$1
	w=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$(head -n 1 "$tmp/out")
	case $got in
	"$w"*) ok "$d ($w)" ;;
	*) bad "$d: want '$w', got '$got'"; show "$tmp/out" ;;
	esac
}
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }
part() { echo "== $* (at $(( $(date +%s) - t_start )) s)"; }

# Background jobs: NAME.rc appears when the job ends; NAME.bgpid is the
# command's process, for bg_wait and cleanup to stop it.
bg() { # NAME command...
	n=$1
	shift
	rm -f "$tmp/$n.rc"
	(
		"$@" >"$tmp/$n.out" 2>&1 &
		echo $! >"$tmp/$n.bgpid"
		wait $!
		echo $? >"$tmp/$n.rc"
	) &
}
bg_done() { [ -s "$tmp/$1.rc" ]; }
bg_wait() { # NAME SECONDS: wait for the job, at most SECONDS; its status
	i=0
	while ! bg_done "$1" && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! bg_done "$1"; then
		kill "$(cat "$tmp/$1.bgpid")" 2>/dev/null
		rm -f "$tmp/$1.bgpid"
		return 124
	fi
	rm -f "$tmp/$1.bgpid"
	return "$(cat "$tmp/$1.rc")"
}

for p in "$kts" "$cal" "$pdu"; do
	[ -x "$p" ] || { bad "cannot run: $p is not built"; finish; }
done
if ! "$src/tools/kts-pki" init "$tmp/pki" >"$tmp/pki.log" 2>&1; then
	bad "cannot run: tools/kts-pki init failed"
	show "$tmp/pki.log"
	finish
fi
user=$(awk '!/^#/ { print $1; exit }' "$tmp/pki/users")
key=$(awk '!/^#/ { print $2; exit }' "$tmp/pki/users")
trust="-V $tmp/pki/ca.crt --cnstr E=publications@kts.local"

# The test clock, shared by both calendars.
now=$(( $(date +%s) + 2 ))
echo "$now" > "$tmp/clock"
t0=$now			# the first calendar's first second
set_clock() { now=$1; echo "$now" > "$tmp/clock"; }
tick() { set_clock $((now + $1)); }

mkconf() { # NAME: $tmp/NAME.conf for data folder $tmp/NAME
	cat > "$tmp/$1.conf" <<CONF
data_dir = $tmp/$1
http_port = 0
tcp_port = 0
ports_file = $tmp/$1.ports
users = $tmp/pki/users
key = $tmp/pki/calendar.key
cert = $tmp/pki/calendar.crt
pub_key = $tmp/pki/pub.key
pub_cert = $tmp/pki/pub.crt
pubfile = $tmp/$1.pub.bin
pub_every = 10
clock_file = $tmp/clock
CONF
}

# launch NAME: start a calendar, set cpid, chttp, ctcp; 1 if it did not.
launch() {
	rm -f "$tmp/$1.ports"
	"$cal" -c "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	cpid=$!
	i=0
	while [ ! -s "$tmp/$1.ports" ] && [ $i -lt 100 ] &&
	    kill -0 "$cpid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$tmp/$1.ports" ]; then
		kill -9 "$cpid" 2>/dev/null
		tail -n 5 "$tmp/$1.log" | sed 's/^/    /'
		return 1
	fi
	read -r chttp ctcp < "$tmp/$1.ports"
}
start() {
	launch cal1 || return 1
	pid=$cpid
	url=http://127.0.0.1:$chttp/
	tcpurl=ksi+tcp://127.0.0.1:$ctcp
}
stop() { # stop the first calendar (SIGTERM), at most 5 s
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

# sign NAME [URL]: kts sign a fresh hash into $tmp/NAME, ticking the
# clock until it is answered (at most 30 ticks).  kts sign's status.
nsig=0
sign() {
	nsig=$((nsig + 1))
	h=$(printf 'faults %s %s' "$nsig" "$tmp" | sha256sum | cut -c1-64)
	echo "SHA-256:$h" > "$tmp/$1.hash"
	bg sign "$kts" sign -S "${2:-$url}" --aggr-user "$user" \
	    --aggr-key "$key" --hash "SHA-256:$h" -o "$tmp/$1" -c 20
	sleep 0.2
	i=0
	while ! bg_done sign && [ $i -lt 30 ]; do
		tick 1
		sleep 0.15
		i=$((i + 1))
	done
	bg_wait sign 5 && settle
}
# wait_head N: wait (at most 5 s) until the first calendar's head is N.
wait_head() {
	i=0
	while [ "$(head_now)" != "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(head_now)" = "$1" ] ||
	    { echo "calendar head $(head_now), want $1" >>"$tmp/sign.out"; false; }
}
# settle: the calendar has closed the round before the clock's second,
# so the open round is $now.
settle() { wait_head $((now - 1)); }
serving() { # after DESC, a normal sign still works
	if sign serving; then
		ok "  ... and then a normal sign works"
	else
		bad "after $1, a normal sign fails"
		show "$tmp/sign.out"
	fi
}
fault() { # DESC WANT command...: expect, then a normal sign
	expect "$@"
	serving "$1"
}
# Fields of `kts verify --json`: signing_time and aggregation_root.
json_time() { sed -n 's/^ *"signing_time": \([0-9]*\),*$/\1/p' "$1"; }
json_root() {
	sed -n 's/^ *"aggregation_root": "\([0-9a-f]*\)",*$/\1/p' "$1"
}
sig_time() {
	"$kts" verify -i "$1" --ver-int --json >"$tmp/sig.json" 2>&1
	json_time "$tmp/sig.json"
}
sig_root() {
	"$kts" verify -i "$1" --ver-int --json >"$tmp/sig.json" 2>&1
	json_root "$tmp/sig.json"
}
head_now() { "$pdu" get "${url}healthz" | sed -n 's/^ok head=\([0-9]*\)$/\1/p'; }
ext() { "$pdu" ext "$url" -u "$user" -k "$key" "$@"; }
aggr() { "$pdu" aggr "$url" -u "$user" -k "$key" "$@"; }
field() { # NAME LINE: the value of NAME=value in a kts-pdu line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

mkconf cal1
mkconf cal2
if ! start; then
	bad "cannot run: the calendar did not start"
	finish
fi

part "A. bad requests"
# Two clients that stall half-way; the server must close them after its
# read timeout (10 s, limits.h) while it serves the others.  Collected at
# the end of this part.
printf 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789' \
    > "$tmp/half.http"
bg stall_http "$pdu" raw 127.0.0.1 "$chttp" -f "$tmp/half.http" -t 20000
bg stall_tcp "$pdu" raw 127.0.0.1 "$ctcp" -x 8220ffff01020304 -t 20000

if sign first; then ok "a first sign"; else bad "a first sign"; show "$tmp/sign.out"; fi
fault "wrong HMAC key" "status 0x0102 error" \
    "$pdu" aggr "$url" -u "$user" -k "not-the-key"
fault "unknown user" "status 0x0102 error" \
    "$pdu" aggr "$url" -u nobody -k "$key"
fault "malformed PDU over HTTP" "status 0x0101 error" \
    "$pdu" send "$url" -x 8220000401020304
fault "malformed PDU over TCP" "status 0x0101 error" \
    "$pdu" send "$tcpurl" -x 8220000401020304
fault "unknown critical payload element, valid HMAC" \
    "status 0x0103 payload hmac=ok" aggr -e
# HTTP: evhttp refuses a body over 65,539 bytes (KTS_MAX_PDU) by its
# Content-Length, before reading it.
{
	printf 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n'
	printf 'Content-Type: application/ksi-request\r\nContent-Length: 65540\r\n\r\n'
	head -c 65540 /dev/zero
} > "$tmp/over.http"
fault "HTTP body of 65,540 bytes" "http 413" \
    "$pdu" raw 127.0.0.1 "$chttp" -f "$tmp/over.http" -t 5000
# Raw TCP: a TLV16 header cannot announce more than 65,539 bytes, which
# is the server's cap, so "over the cap" cannot be sent to kts-calendar
# (tests/unit/check_net lowers the cap to test that refusal).  What can
# be sent: the largest PDU (read whole and answered), a stream that is
# not PDUs (closed at once), a partial PDU (closed at the client's EOF,
# or after the read timeout when it stalls: stall_tcp).
{ printf '\202\040\377\377'; head -c 65535 /dev/zero; } > "$tmp/max.pdu"
fault "raw TCP PDU of 65,539 bytes (the cap) is read and answered" \
    "status 0x0101 error" \
    "$pdu" raw 127.0.0.1 "$ctcp" -f "$tmp/max.pdu" -s -t 5000
fault "raw TCP stream without a TLV16 header is closed" "closed" \
    "$pdu" raw 127.0.0.1 "$ctcp" -x 0220000401020304 -t 5000
fault "truncated raw TCP PDU, then the client shuts its side: closed" "closed" \
    "$pdu" raw 127.0.0.1 "$ctcp" -x 8220ffff01020304 -s -t 5000
fault "truncated HTTP request, then the client closes" "sent" \
    "$pdu" raw 127.0.0.1 "$chttp" -f "$tmp/half.http" -q
fault "request level 65 over max_level 64" "status 0x0104 payload hmac=ok" \
    aggr -l 65
hd=$(head_now)
if [ -z "$hd" ]; then
	bad "cannot run the extension checks: no head from /healthz"
else
	note "calendar from $t0, head $hd, clock $now"
	fault "extension A > P" "status 0x0104 payload" \
	    ext -a "$hd" -p $((hd - 1))
	fault "extension A before the first second" "status 0x0105 payload" \
	    ext -a $((t0 - 1)) -p "$hd"
	fault "extension A after the head (P absent: the head)" \
	    "status 0x0106 payload" ext -a $((now + 1))
	fault "extension P after the head" "status 0x0106 payload" \
	    ext -a $((now - 1)) -p "$now"
	fault "extension P in the future" "status 0x0107 payload" \
	    ext -a $((now - 1)) -p $((now + 100))
	expect "extension A = P = head" "status 0x0000 payload hmac=ok" \
	    ext -a $((now - 1)) -p $((now - 1))
fi
for s in stall_http stall_tcp; do
	bg_wait $s 25
	rc=$?
	got=$(head -n 1 "$tmp/$s.out")
	if [ $rc -eq 0 ] && [ "$got" = closed ]; then
		ok "$s: a client stalled half-way is closed by the server"
	else
		bad "$s: a stalled client: '$got' (status $rc)"
	fi
done
# The GET itself is the one open connection; closing is asynchronous.
i=0
while open=$("$pdu" get "${url}metrics" | sed -n 's/^kts_connections_open //p') &&
    [ "$open" != 1 ] && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$open" = 1 ]; then
	ok "no connection left open by the bad clients"
else
	bad "connections open after the bad clients: '$open', want 1"
fi

part "B. clock jumps"
if sign b1; then
	tb1=$(sig_time "$tmp/b1")
	r=$now			# the open round's second
	note "b1 signed at $tb1; the open round is $r; clock back to $((r - 6))"
	set_clock $((r - 6))
	bg b2 "$kts" sign -S "$url" --aggr-user "$user" --aggr-key "$key" \
	    --hash "SHA-256:$(echo b2 "$tmp" | sha256sum | cut -c1-64)" \
	    -o "$tmp/b2" -c 30
	sleep 1
	if bg_done b2; then bad "clock back 6 s: a sign was answered"; show "$tmp/b2.out"
	else ok "clock back 6 s: a new sign is not answered"; fi
	got=$(ext -a "$tb1")
	case $got in
	"status 0x0000"*) ok "clock back: the head can still be extended to" ;;
	*) bad "clock back: extending to the head gives '$got'" ;;
	esac
	set_clock "$tb1"
	sleep 0.5
	if bg_done b2; then bad "clock at b1's second: a sign was answered"
	else ok "clock back at b1's second: still not answered"; fi
	set_clock "$r"
	sleep 0.5
	if bg_done b2; then bad "clock at the open round's second: answered"
	else ok "clock at the open round's second: still not answered"; fi
	set_clock $((r + 1))
	if bg_wait b2 10; then
		tb2=$(sig_time "$tmp/b2")
		if [ "$tb2" = "$r" ]; then
			ok "clock past the open round: answered in second $r"
		else
			bad "the sign after the step back has second '$tb2', want $r"
		fi
	else
		bad "clock past the open round: the sign was not answered"
		show "$tmp/b2.out"
	fi
	tick 1
	settle
	hd=$(head_now)
	l1=$(ext -a "$tb1" -p "$hd")
	l2=$(ext -a "${tb2:-0}" -p "$hd")
	if [ "$(field aggr_time "$l1")" = "$tb1" ] &&
	    [ "$(field aggr_time "$l2")" = "${tb2:-x}" ] &&
	    [ "$tb1" != "${tb2:-$tb1}" ] &&
	    [ "$(field input "$l1")" = "$(sig_root "$tmp/b1")" ] &&
	    [ "$(field input "$l2")" = "$(sig_root "$tmp/b2")" ]; then
		ok "both extend, to chains of different seconds with their roots"
	else
		bad "extending the signatures around the step back"
		echo "    b1 ($tb1): $l1"
		echo "    b2 (${tb2:-}): $l2"
	fi
	check "extend the signature from before the step back (kts extend)" \
	    "$kts" extend -i "$tmp/b1" -X "$url" --ext-user "$user" \
	    --ext-key "$key" -T "$hd" -o "$tmp/b1x"
else
	bad "cannot run the clock-back checks: the first sign failed"
	show "$tmp/sign.out"
fi

if sign f1; then
	tf1=$(sig_time "$tmp/f1")
	r=$now
	set_clock $((r + 100))
	note "f1 signed at $tf1; clock jumps from $r to $now"
	wait_head "$r"
	if sign f2; then
		tf2=$(sig_time "$tmp/f2")
		ok "a sign after the jump (second $tf2)"
		zero=01$(printf '%064d' 0)
		nz=0
		for s in $((r + 1)) $((r + 50)) $((r + 99)); do
			l=$(ext -a "$s" -p "$tf2")
			[ "$(field input "$l")" = "$zero" ] || {
				nz=$((nz + 1)); echo "    second $s: $l"; }
		done
		if [ $nz -eq 0 ]; then ok "the skipped seconds hold filler leaves"
		else bad "$nz skipped seconds without a filler leaf"; fi
		check "extend across the skipped seconds" "$kts" extend \
		    -i "$tmp/f1" -X "$url" --ext-user "$user" --ext-key "$key" \
		    -T "$tf2" -o "$tmp/f1x"
		check "the extended signature verifies" "$kts" verify \
		    -i "$tmp/f1x" --hash "$(cat "$tmp/f1.hash")" --ver-int
	else
		bad "cannot run the jump checks: the sign after the jump failed"
		show "$tmp/sign.out"
	fi
else
	bad "cannot run the clock-jump checks: the sign before it failed"
fi

part "C. calendar-based policy online"
if sign v1; then
	check "--ver-cal: a fresh signature verifies against its calendar" \
	    "$kts" verify -i "$tmp/v1" --hash "$(cat "$tmp/v1.hash")" \
	    --ver-cal -X "$url" --ext-user "$user" --ext-key "$key"
else
	bad "cannot run --ver-cal: the sign failed"
fi
if launch cal2; then
	pid2=$cpid
	url2=http://127.0.0.1:$chttp/
	if sign v2 "$url2"; then
		check "--ver-cal: a second calendar's signature verifies there" \
		    "$kts" verify -i "$tmp/v2" --ver-cal -X "$url2" \
		    --ext-user "$user" --ext-key "$key"
		"$kts" verify -i "$tmp/v2" --ver-cal -X "$url" --ext-user "$user" \
		    --ext-key "$key" --json >"$tmp/v2.json" 2>&1
		rc=$?
		if [ $rc -eq 6 ] && grep -q '"verdict": "FAIL"' "$tmp/v2.json"; then
			ok "--ver-cal: a second calendar's signature FAILs here"
		else
			bad "--ver-cal against another calendar: exit $rc"
			show "$tmp/v2.json"
		fi
	else
		bad "cannot run --ver-cal against another calendar: sign failed"
		show "$tmp/sign.out"
	fi
	kill "$pid2"
	wait "$pid2" 2>/dev/null
	pid2=
	check "--check accepts the second calendar's store" \
	    "$cal" --check "$tmp/cal2"
else
	bad "cannot run --ver-cal against another calendar: it did not start"
fi

part "D. kill -9 under load"
rounds=5
k=1
while [ $k -le $rounds ]; do
	mkdir "$tmp/load$k"
	if [ $((k % 2)) -eq 1 ]; then lu=$tcpurl; else lu=$url; fi
	bg load$k "$pdu" sign "$lu" -u "$user" -k "$key" -n 30 -r 20 -j 8 \
	    -o "$tmp/load$k" -t 8000
	nt=$(( $(rnd) % 6 + 1 ))
	ms=$(( $(rnd) % 120 ))
	j=0
	while [ $j -lt $nt ]; do
		sleep 0.2
		tick 1
		j=$((j + 1))
	done
	sleep "$(awk "BEGIN { print $ms / 1000 }")"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	pid=
	bg_wait load$k 15
	note "round $k: ${lu%%:*}, killed $ms ms after tick $nt:" \
	    "$(head -n 1 "$tmp/load$k.out")"
	if ! start; then
		bad "round $k: the calendar does not restart after kill -9"
		finish
	fi
	k=$((k + 1))
done
ok "$rounds rounds of kill -9 under load, each restarted"
# Once more, restarted with the clock behind the stored head: the rounds
# resume after the head (never a second twice).
hd=$(head_now)
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=
set_clock $((now - 5))
if ! start; then
	bad "the calendar does not restart with the clock behind its head"
	finish
fi
if sign rb && [ "$(sig_time "$tmp/rb")" -gt "${hd:-0}" ]; then
	ok "restarted with the clock 5 s behind its head $hd: signed at" \
	    "$(sig_time "$tmp/rb")"
else
	bad "restarted with the clock behind its head ${hd:-?}: signed at" \
	    "'$(sig_time "$tmp/rb")'"
	show "$tmp/sign.out"
fi
# A publication after every signature, then check each signature.
tick 12
sleep 0.3
tick 1
settle
ls "$tmp"/load*/*.ksig > "$tmp/sigs" 2>/dev/null
n=$(wc -l < "$tmp/sigs")
if [ "$n" -eq 0 ]; then
	bad "cannot run the checks after kill -9: no signature was answered"
	finish
fi
pf=${url}publications.bin
nv=0
nx=0
: > "$tmp/roots"
while read -r f; do
	if "$kts" verify -i "$f" --hash "$(cat "${f%.ksig}.hash")" --ver-key \
	    -P "$pf" $trust --json >"$f.json" 2>&1 &&
	    grep -q '"verdict": "OK"' "$f.json"; then
		nv=$((nv + 1))
	else
		[ $nv -lt 3 ] && { echo "    $f:"; show "$f.json"; }
	fi
	echo "$(json_time "$f.json") $(json_root "$f.json")" >> "$tmp/roots"
	if "$kts" extend -i "$f" -X "$url" --ext-user "$user" --ext-key "$key" \
	    -P "$pf" $trust -o "$f.x" >"$f.xout" 2>&1; then
		nx=$((nx + 1))
	else
		[ $nx -lt 3 ] && { echo "    $f:"; show "$f.xout"; }
	fi
done < "$tmp/sigs"
if [ $nv -eq "$n" ]; then ok "all $n answered signatures verify (internal, key)"
else bad "$((n - nv)) of $n answered signatures do not verify"; fi
if [ $nx -eq "$n" ]; then ok "all $n answered signatures extend to a publication"
else bad "$((n - nx)) of $n answered signatures do not extend"; fi
sort -u "$tmp/roots" | awk '
	NF != 2 { bad++ }
	NF == 2 { n[$1]++ }
	END {
		for (t in n) { secs++; if (n[t] > 1) two++ }
		printf "%d %d %d\n", secs + 0, two + 0, bad + 0
	}' > "$tmp/seconds"
read -r secs twice broken < "$tmp/seconds"
awk '{ n[$1]++ } END { for (t in n) if (n[t] > 1) m++; print m + 0 }' \
    "$tmp/roots" > "$tmp/shared"
if [ "$twice" -eq 0 ] && [ "$broken" -eq 0 ] && [ "$secs" -gt 0 ]; then
	ok "no second has two aggregation roots ($secs seconds," \
	    "$(cat "$tmp/shared") shared by several signatures)"
else
	bad "$twice seconds with two different aggregation roots" \
	    "($broken unreadable)"
fi
stop
check "--check accepts the store after the kill -9 rounds" \
    "$cal" --check "$tmp/cal1"
# In a sanitizer build (CI) a report in a log is a failure.
if grep -l -E 'Sanitizer|runtime error:' "$tmp"/*.log "$tmp"/*.out \
    >"$tmp/san" 2>/dev/null; then
	bad "sanitizer reports in: $(tr '\n' ' ' < "$tmp/san")"
else
	ok "no sanitizer report in the calendar and client logs"
fi
finish
