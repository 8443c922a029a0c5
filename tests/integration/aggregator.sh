#!/bin/sh
# aggregator.sh - kts-aggregator in a three-level hierarchy on 127.0.0.1
# (make check).
#
# tools/kts-stack starts a calendar, a middle aggregator and two leaves
# under it.  Then:
#  A. many concurrent clients sign through both leaves, over raw TCP
#     (pipelined) and HTTP; every signature verifies key-based with its
#     hash and names three logins; a sample is extended after the next
#     publication and verifies with the publications file;
#  B. bad requests to a leaf get the right status (KSI spec 7.9, 7.10);
#     clients that disconnect mid-round do not disturb the others;
#  C. a leaf with two parents: one is killed under load (the other
#     answers), then both (errors within the parent timeout, no hang,
#     /healthz says 503), then one comes back (signing works again);
#  D. configuration checks (-t) and a graceful stop: SIGTERM answers what
#     waits before the aggregator exits.
# One line per check; every wait and loop is bounded in count and time.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
agg=$top/aggregator/kts-aggregator
pdu=$top/tests/kts-pdu
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kts-aggr.XXXXXX") || exit 99
stack=$tmp/stack
pass=0
fail=0
t_start=$(date +%s)

cleanup() {
	KTS_CALENDAR=$top/calendar/kts-calendar KTS_AGGREGATOR=$agg \
	    "$src/tools/kts-stack" stop "$stack" >/dev/null 2>&1
	for f in "$tmp"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	[ -n "${KTS_KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
note() { echo "  .. $*"; }
show() { sed -n '1,20s/^/    /p' "$1"; }
part() { echo "== $* (at $(( $(date +%s) - t_start )) s)"; }
finish() {
	if [ $fail -gt 0 ]; then
		for l in "$stack"/*.log "$tmp"/*.log; do
			[ -f "$l" ] || continue
			echo "last lines of $l:"
			tail -n 8 "$l" | sed 's/^/    /'
		done
	fi
	echo "took $(( $(date +%s) - t_start )) s"
	echo "aggregator.sh: $pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit
}
# expect DESC WANT command...: the first output line starts with WANT.
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
# field NAME LINE: the number after NAME in a kts-pdu sign line.
field() { echo "$2" | tr ' ' '\n' | sed -n "/^$1\$/{n;p;}"; }

for p in "$kts" "$agg" "$pdu" "$top/calendar/kts-calendar"; do
	[ -x "$p" ] || { bad "cannot run: $p is not built"; finish; }
done
export KTS_CALENDAR=$top/calendar/kts-calendar KTS_AGGREGATOR=$agg
if ! "$src/tools/kts-stack" start "$stack" --pub-every 5 >"$tmp/stack.out" 2>&1
then
	bad "cannot run: kts-stack did not start"
	show "$tmp/stack.out"
	finish
fi
. "$stack/stack.env"
trust="-V $KTS_CA --cnstr $KTS_CNSTR"
leaf_tcp=${KTS_AGGR_TCP_URL#ksi+tcp://127.0.0.1:}
leaf_http=${KTS_AGGR_URL#http://127.0.0.1:}
leaf_http=${leaf_http%/}

part "A. concurrent clients through three levels"
# signs DIR URL N [kts-pdu options]: sign N hashes into DIR; the summary.
signs() {
	mkdir -p "$1"
	"$pdu" sign "$2" -u "$KTS_USER" -k "$KTS_KEY" -n "$3" -o "$1" \
	    -t 20000 ${4:-} ${5:-} > "$1.out" 2>&1
	echo $? >"$1.rc"
}
signs "$tmp/s1" "$KTS_AGGR_TCP_URL" 120 &
signs "$tmp/s2" "$KTS_AGGR_URL" 64 -j 32 &
signs "$tmp/s3" "$KTS_AGGR2_TCP_URL" 80 &
signs "$tmp/s4" "$KTS_AGGR2_URL" 48 -j 24 &
wait
total=0
for s in s1 s2 s3 s4; do
	line=$(head -n 1 "$tmp/$s.out")
	sent=$(field sent "$line")
	ans=$(field answered "$line")
	if [ "$(cat "$tmp/$s.rc")" = 0 ] && [ -n "$sent" ] &&
	    [ "$sent" = "$ans" ] && [ "$sent" -gt 0 ]; then
		ok "client $s: all $sent requests answered with signatures"
		total=$((total + ans))
	else
		bad "client $s: $line"
		show "$tmp/$s.out"
	fi
done
note "$total signatures"

# leaf1 signed s1 and s2 (184 requests): its latency histograms count
# each once, cumulative buckets ending at the count, and the round's wait
# for its parent is taken out of the request's own latency.
sleep 0.3	# each thread publishes its figures every round (100 ms)
"$pdu" get "${KTS_AGGR_URL}metrics" >"$tmp/lat.txt" 2>&1
if awk -v want=184 '
	/^kts_request_(own_)?latency_ms_bucket/ {
		split($1, a, "_bucket"); n = a[1]
		if ($2 + 0 < last[n]) bad = "not cumulative: " $0
		last[n] = $2 + 0
		if ($1 ~ /le="\+Inf"/) inf[n] = $2 + 0
		if ($1 ~ /le="10000"/) in10s[n] = $2 + 0
	}
	/^kts_request_(own_)?latency_ms_count/ {
		sub(/_count$/, "", $1); cnt[$1] = $2 + 0; k++
	}
	/^kts_request_latency_ms_sum/ { lat = $2 + 0 }
	/^kts_request_own_latency_ms_sum/ { own = $2 + 0 }
	END {
		if (bad != "") { print bad; exit 1 }
		for (n in cnt) if (cnt[n] != want || inf[n] != want ||
		    in10s[n] != want) { print n ": " cnt[n] " " inf[n]; exit 1 }
		if (k != 2 || !(own > 0) || !(own < lat)) {
			print "sums: own " own " of " lat; exit 1
		}
	}' "$tmp/lat.txt" >"$tmp/lat.out"; then
	ok "leaf1's /metrics: latency histograms count its 184 signatures, own time under the total"
else
	bad "leaf1's latency histograms: $(cat "$tmp/lat.out")"
	grep "_ms_" "$tmp/lat.txt" | head -20
fi

# Every signature verifies key-based against its own hash and carries
# the three logins: the client, its leaf and the middle.
nv=0
nbad=0
for f in "$tmp"/s[1-4]/*.ksig; do
	[ -f "$f" ] || continue
	h=$(cat "${f%.ksig}.hash")
	if "$kts" verify -i "$f" --hash "$h" -P "$KTS_PUBFILE" \
	    $trust --ver-key >"$tmp/v.out" 2>&1 &&
	    grep -q "signer: *$KTS_USER :: agg-leaf[12] :: agg-middle" \
	    "$tmp/v.out"; then
		nv=$((nv + 1))
	else
		nbad=$((nbad + 1))
		[ $nbad -le 3 ] && { echo "  $f:"; show "$tmp/v.out"; }
	fi
done
if [ $nbad -eq 0 ] && [ $nv -eq $total ] && [ $nv -gt 0 ]; then
	ok "all $nv signatures verify key-based, three logins each"
else
	bad "$nbad of $((nv + nbad)) signatures do not verify key-based"
fi

# Extend a sample once a publication follows the last signing time.
last=0
for f in "$tmp"/s[1-4]/000001.ksig; do
	t=$("$kts" verify -i "$f" --ver-int --json 2>/dev/null |
	    sed -n 's/^ *"signing_time": \([0-9]*\),*$/\1/p')
	[ -n "$t" ] && [ "$t" -gt "$last" ] && last=$t
done
i=0
while [ $i -lt 100 ] && [ "$(date +%s)" -le $((last + 7)) ]; do
	sleep 0.1
	i=$((i + 1))
done
next=0
for s in s1 s2 s3 s4; do
	for n in 1 2 3 5 8 13 21 34 47; do
		n=$(printf '%06d' $n)
		f=$tmp/$s/$n.ksig
		[ -f "$f" ] || { bad "no signature $f"; continue; }
		h=$(cat "$tmp/$s/$n.hash")
		if "$kts" extend -i "$f" -X "$KTS_EXT_URL" --ext-user "$KTS_USER" \
		    --ext-key "$KTS_KEY" -P "$KTS_PUBFILE" $trust \
		    -o "$tmp/ext.ksig" >"$tmp/e.out" 2>&1 &&
		    "$kts" verify -i "$tmp/ext.ksig" --hash "$h" \
		    -P "$KTS_PUBFILE" $trust --ver-pub >>"$tmp/e.out" 2>&1; then
			next=$((next + 1))
		else
			bad "extend and verify $s/$n.ksig"
			show "$tmp/e.out"
		fi
	done
done
[ $next -eq 36 ] && ok "$next signatures extended to a publication verify with the publications file"

part "B. bad requests and clients that leave"
aggr() { "$pdu" aggr "$KTS_AGGR_URL" "$@"; }
serving() { # a normal sign through the leaf still works
	if "$kts" sign -S "$KTS_AGGR_URL" --aggr-user "$KTS_USER" \
	    --aggr-key "$KTS_KEY" -i "$0" -o "$tmp/serving.ksig" \
	    >"$tmp/sv.out" 2>&1; then
		ok "  ... and then a normal sign works"
	else
		bad "after $1, a normal sign fails"
		show "$tmp/sv.out"
	fi
}
fault() { expect "$@"; serving "$1"; }
fault "wrong HMAC key" "status 0x0102 error" \
    aggr -u "$KTS_USER" -k not-the-key
fault "unknown user" "status 0x0102 error" aggr -u nobody -k "$KTS_KEY"
fault "malformed PDU over HTTP" "status 0x0101 error" \
    "$pdu" send "$KTS_AGGR_URL" -x 8220000401020304
fault "malformed PDU over TCP" "status 0x0101 error" \
    "$pdu" send "$KTS_AGGR_TCP_URL" -x 8220000401020304
fault "unknown critical payload element, valid HMAC" \
    "status 0x0103 payload hmac=ok" aggr -u "$KTS_USER" -k "$KTS_KEY" -e
fault "an extension request to an aggregator" "status 0x0103 error" \
    "$pdu" ext "$KTS_AGGR_URL" -u "$KTS_USER" -k "$KTS_KEY" -a 1
maxl=$("$pdu" get "${KTS_AGGR_URL}metrics" | sed -n 's/^kts_max_level //p')
if [ -n "$maxl" ] && [ "$maxl" -gt 0 ]; then
	fault "request level $((maxl + 1)) over the leaf's $maxl" \
	    "status 0x0104 payload hmac=ok" \
	    aggr -u "$KTS_USER" -k "$KTS_KEY" -l $((maxl + 1))
	expect "request level $maxl, the most allowed, is signed" \
	    "status 0x0000 payload hmac=ok" \
	    aggr -u "$KTS_USER" -k "$KTS_KEY" -l "$maxl"
else
	bad "no kts_max_level in the leaf's /metrics"
fi
{
	printf 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n'
	printf 'Content-Type: application/ksi-request\r\nContent-Length: 65540\r\n\r\n'
	head -c 65540 /dev/zero
} > "$tmp/over.http"
fault "HTTP body of 65,540 bytes" "http 413" \
    "$pdu" raw 127.0.0.1 "$leaf_http" -f "$tmp/over.http" -t 5000
# Clients that send a valid request and leave before their round closes.
"$pdu" aggr "$KTS_AGGR_TCP_URL" -u "$KTS_USER" -k "$KTS_KEY" -t 1 \
    >/dev/null 2>&1
n=0
while [ $n -lt 20 ]; do
	"$pdu" aggr "$KTS_AGGR_TCP_URL" -u "$KTS_USER" -k "$KTS_KEY" -t 5 \
	    >/dev/null 2>&1 &
	"$pdu" aggr "$KTS_AGGR_URL" -u "$KTS_USER" -k "$KTS_KEY" -t 5 \
	    >/dev/null 2>&1 &
	n=$((n + 1))
done
signs "$tmp/s5" "$KTS_AGGR_TCP_URL" 50
wait
line=$(head -n 1 "$tmp/s5.out")
if [ "$(field answered "$line")" = 50 ]; then
	ok "40 clients that left mid-round did not disturb 50 others"
else
	bad "after clients left mid-round: $line"
fi
if "$src/tools/kts-stack" status "$stack" >"$tmp/st.out" 2>&1; then
	ok "every server of the stack is still running"
else
	bad "a server stopped"
	show "$tmp/st.out"
fi

# kts-stack restart: leaf1 again on the ports it had (stack.env holds).
ports_before=$(cat "$stack/leaf1.ports")
pid_before=$(cat "$stack/leaf1.pid")
if "$src/tools/kts-stack" restart "$stack" leaf1 >"$tmp/rs.out" 2>&1 &&
    [ "$(cat "$stack/leaf1.ports")" = "$ports_before" ] &&
    [ "$(cat "$stack/leaf1.pid")" != "$pid_before" ]; then
	ok "kts-stack restart leaf1: a new process on the same ports"
	serving "kts-stack restart leaf1"
else
	bad "kts-stack restart leaf1"
	show "$tmp/rs.out"
fi
if "$src/tools/kts-stack" restart "$stack" leaf9 >"$tmp/rs.out" 2>&1; then
	bad "kts-stack restart of an unknown server succeeds"
elif grep -q 'no server "leaf9"' "$tmp/rs.out"; then
	ok "kts-stack restart of an unknown server: refused, named"
else
	bad "kts-stack restart leaf9: wrong message"
	show "$tmp/rs.out"
fi

part "C. two parents, one killed"
# start_agg NAME LOGIN PARENT...: an aggregator that logs in to its
# parents as LOGIN (one the servers read from the users file at start);
# sets aport (raw TCP).
start_agg() {
	name=$1
	login=$2
	shift 2
	{
		echo "listen = 127.0.0.1"
		echo "http_port = 0"
		echo "tcp_port = 0"
		echo "ports_file = $tmp/$name.ports"
		echo "users = $stack/pki/users"
		echo "parent_user = $login"
		echo "parent_key = $(awk -v u="$login" '$1 == u { print $2 }' \
		    "$stack/pki/users")"
		echo "parent_timeout_ms = 3000"
		# The stack's aggregators pause their loops (batch_us's
		# default); these run the plain libevent loop.
		echo "batch_us = 0"
		for p in "$@"; do echo "parent = $p"; done
	} > "$tmp/$name.conf"
	chmod 600 "$tmp/$name.conf"	# it holds a key
	run_agg "$name"
}
run_agg() { # NAME: (re)start it from its configuration
	rm -f "$tmp/$1.ports"
	"$agg" -c "$tmp/$1.conf" >>"$tmp/$1.log" 2>&1 &
	echo $! > "$tmp/$1.pid"
	i=0
	while [ ! -s "$tmp/$1.ports" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	read -r x aport < "$tmp/$1.ports"
}
start_agg mid2 agg-middle "$KTS_CAL_TCP_URL" || bad "cannot start mid2"
m2=$aport
start_agg mid3 agg-middle "$KTS_CAL_TCP_URL" || bad "cannot start mid3"
m3=$aport
start_agg ha agg-leaf1 "ksi+tcp://127.0.0.1:$m2" "ksi+tcp://127.0.0.1:$m3" ||
    bad "cannot start the two-parent leaf"
ha_url=ksi+tcp://127.0.0.1:$aport

expect "a sign through the two-parent leaf" "status 0x0000 payload hmac=ok" \
    "$pdu" aggr "$ha_url" -u "$KTS_USER" -k "$KTS_KEY"
# 400 requests at 100 a second; mid3 is killed after 1.5 s.
( signs "$tmp/s6" "$ha_url" 400 -r 100 ) &
sp=$!
sleep 1.5
kill -9 "$(cat "$tmp/mid3.pid")"
wait $sp
line=$(head -n 1 "$tmp/s6.out")
ans=$(field answered "$line")
ref=$(field refused "$line")
note "$line"
if [ -n "$ans" ] && [ $((ans + ref)) -eq 400 ] && [ "$ref" -le 20 ]; then
	ok "one parent killed under load: $ans signed, $ref refused (at most a round's worth)"
else
	bad "one parent killed under load: $line"
fi
kill -9 "$(cat "$tmp/mid2.pid")"
sleep 0.3
read -r hh x < "$tmp/ha.ports"
printf 'GET /healthz HTTP/1.0\r\n\r\n' > "$tmp/healthz.http"
s0=$(date +%s)
expect "both parents down: an upstream error, not a hang" "status 0x030" \
    "$pdu" aggr "$ha_url" -u "$KTS_USER" -k "$KTS_KEY" -t 10000
el=$(( $(date +%s) - s0 ))
if [ $el -le 5 ]; then
	ok "the error came within the 3 s parent timeout ($el s)"
else
	bad "the error took $el s"
fi
expect "/healthz with both parents down" "http 503" \
    "$pdu" raw 127.0.0.1 "$hh" -f "$tmp/healthz.http" -t 5000
# mid2 comes back on a port of its own: pin the one it had.
sed -i "s/^tcp_port = .*/tcp_port = $m2/" "$tmp/mid2.conf"
run_agg mid2
i=0
got=
while [ $i -lt 30 ]; do
	got=$("$pdu" aggr "$ha_url" -u "$KTS_USER" -k "$KTS_KEY" 2>&1 | head -n 1)
	case $got in "status 0x0000"*) break ;; esac
	sleep 0.2
	i=$((i + 1))
done
case $got in
"status 0x0000"*) ok "a parent that came back is used again" ;;
*) bad "after a parent came back: $got" ;;
esac

part "D. configuration checks and a graceful stop"
cp "$tmp/ha.conf" "$tmp/bad.conf"
chmod 644 "$tmp/bad.conf"
expect "-t refuses a key in a file others can read" "kts-aggregator: " \
    "$agg" -t -c "$tmp/bad.conf"
grep -q "chmod 600" "$tmp/out" || bad "  ... without saying chmod 600"
chmod 600 "$tmp/bad.conf"
expect "-t accepts the two-parent leaf's configuration" "configuration OK" \
    "$agg" -t -c "$tmp/ha.conf"
expect "-t checks that the users file can be read" "kts-aggregator: " \
    "$agg" -t -c "$tmp/bad.conf" --set users="$tmp/nonexistent"
expect "-t checks a parent's URL" "kts-aggregator: parent " \
    "$agg" -t -c "$tmp/bad.conf" --set parent=ftp://127.0.0.1/
expect "a max_level that leaves no room for a round is refused" \
    "kts-aggregator: max_level 250" "$agg" -t -c "$tmp/bad.conf" \
    --set max_level=250
expect "a batch_us over its cap is refused with the range" \
    "kts-aggregator: bad value \"2001\" for batch_us (a whole number, 0 to 2000)" \
    "$agg" -t -c "$tmp/bad.conf" --set batch_us=2001
# The example configurations parse (paths and hosts made local).
sed -e "s|^users = .*|users = $stack/pki/users|" \
    -e "s|^parent = .*|parent = $KTS_CAL_TCP_URL|" \
    "$src/aggregator/kts-aggregator.conf.example" > "$tmp/example.conf"
chmod 600 "$tmp/example.conf"
expect "aggregator/kts-aggregator.conf.example passes -t" \
    "configuration OK" "$agg" -t -c "$tmp/example.conf"
expect "calendar/kts-calendar.conf.example passes -t" "configuration OK" \
    "$top/calendar/kts-calendar" -t -c "$src/calendar/kts-calendar.conf.example"
read -r hh x < "$tmp/ha.ports"
expect "/healthz of a leaf whose parents answer" "http 200" \
    "$pdu" raw 127.0.0.1 "$hh" -f "$tmp/healthz.http" -t 5000
# A leaf straight under the calendar: a request waits up to a second.
start_agg drain agg-middle "$KTS_CAL_TCP_URL" || bad "cannot start drain"
"$pdu" aggr "ksi+tcp://127.0.0.1:$aport" -u "$KTS_USER" -k "$KTS_KEY" \
    >"$tmp/drain.out" 2>&1 &
dp=$!
sleep 0.3
kill -TERM "$(cat "$tmp/drain.pid")"
wait $dp
got=$(head -n 1 "$tmp/drain.out")
case $got in
"status 0x0000 payload hmac=ok"*) ok "SIGTERM: the waiting request was signed" ;;
*) bad "SIGTERM: the waiting request got '$got'" ;;
esac
i=0
while kill -0 "$(cat "$tmp/drain.pid")" 2>/dev/null && [ $i -lt 60 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$(cat "$tmp/drain.pid")" 2>/dev/null; then
	bad "the aggregator did not stop after SIGTERM"
else
	ok "then it stopped"
fi

finish
