#!/bin/sh
# calendar.sh - kts-calendar end to end on 127.0.0.1 (make check).
#
# A calendar on ephemeral ports with a test clock (clock_file): sign,
# verify key-based, let a publication happen, extend, verify with the
# publications file and with the publication string; a restart in the
# middle; wrong credentials.  Every wait is bounded.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
cal=$top/calendar/kts-calendar
tmp=$(mktemp -d)
pass=0
fail=0
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # description command...
	d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else bad "$d"; sed 's/^/    /' "$tmp/out"; fi
}

"$src/tools/kts-pki" init "$tmp/pki" >/dev/null || { echo "FAIL: kts-pki"; exit 1; }
user=$(awk '!/^#/ { print $1; exit }' "$tmp/pki/users")
key=$(awk '!/^#/ { print $2; exit }' "$tmp/pki/users")
now=$(( $(date +%s) + 2 ))
echo "$now" > "$tmp/clock"
cat > "$tmp/cal.conf" <<CONF
data_dir = $tmp/data
http_port = 0
tcp_port = 0
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

start() {
	rm -f "$tmp/ports"
	"$cal" -c "$tmp/cal.conf" >>"$tmp/cal.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -s "$tmp/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$tmp/ports" ] || { echo "FAIL: calendar did not start"; cat "$tmp/cal.log"; exit 1; }
	read -r http tcp < "$tmp/ports"
	url=http://127.0.0.1:$http/
}

tick() { # seconds to advance the test clock
	now=$((now + $1))
	echo "$now" > "$tmp/clock"
}

# sign NAME HEX [URL]: sign in the background, move the clock, wait.
sign() {
	"$kts" sign -S "${3:-$url}" --aggr-user "$user" --aggr-key "$key" \
	    --hash "SHA-256:$2" -o "$tmp/$1" -c 10 >"$tmp/sign.out" 2>&1 &
	sp=$!
	sleep 0.3
	tick 1
	wait $sp
}

trust="-V $tmp/pki/ca.crt --cnstr E=publications@kts.local"
h1=$(printf 'record one' | sha256sum | cut -c1-64)
h2=$(printf 'record two' | sha256sum | cut -c1-64)

start
check "-t accepts the configuration" "$cal" -t -c "$tmp/cal.conf"
if sign s1 "$h1"; then ok "sign over HTTP"; else bad "sign over HTTP"; cat "$tmp/sign.out"; fi
if sign s2 "$h2" "ksi+tcp://127.0.0.1:$tcp"; then ok "sign over TCP"; else bad "sign over TCP"; cat "$tmp/sign.out"; fi
check "verify internal with the document hash" "$kts" verify -i "$tmp/s1" --hash "SHA-256:$h1" --ver-int
check "verify key-based against the served publications file" \
    "$kts" verify -i "$tmp/s1" -P "${url}publications.bin" $trust --ver-key
if "$kts" verify -i "$tmp/s1" --hash "SHA-256:$h2" --ver-int >/dev/null 2>&1; then
	bad "a wrong document hash is refused"
else
	ok "a wrong document hash is refused"
fi

# Restart in the middle of the run; the calendar carries on after its head.
kill "$pid"; wait "$pid" 2>/dev/null; pid=
start
if sign s3 "$h1"; then ok "sign after a restart"; else bad "sign after a restart"; cat "$tmp/sign.out"; fi

# A publication every 10 s: move past the next one.
tick 12
sleep 0.5
tick 1
sleep 0.5
check "the publications file lists a publication" sh -c \
    "'$kts' pubfile -P '${url}publications.bin' $trust --json | grep -q publication_string"
check "extend to the publication" "$kts" extend -i "$tmp/s1" -X "$url" \
    --ext-user "$user" --ext-key "$key" -P "${url}publications.bin" $trust -o "$tmp/s1x"
check "verify the extended signature with the publications file" \
    "$kts" verify -i "$tmp/s1x" -P "${url}publications.bin" $trust --ver-pub
pubstr=$("$kts" verify -i "$tmp/s1x" --ver-int --json 2>/dev/null |
    sed -n 's/.*"publication_string": "\([A-Z2-7-]*\)".*/\1/p')
check "verify with the publication string alone" "$kts" verify -i "$tmp/s1x" \
    --pub-str "$pubstr" --ver-pub
check "extend over raw TCP to a given time" "$kts" extend -i "$tmp/s2" \
    -X "ksi+tcp://127.0.0.1:$tcp" --ext-user "$user" --ext-key "$key" -T "$((now - 1))" \
    -o "$tmp/s2x"

# Wrong credentials get the authentication error, and the server goes on.
"$kts" sign -S "$url" --aggr-user "$user" --aggr-key wrong --hash "SHA-256:$h1" \
    -o "$tmp/x" -c 5 >/dev/null 2>&1
rc=$?
[ $rc -eq 14 ] && ok "wrong key: authentication failure" || bad "wrong key gave exit $rc, want 14"
"$kts" sign -S "$url" --aggr-user nobody --aggr-key x --hash "SHA-256:$h1" \
    -o "$tmp/x" -c 5 >/dev/null 2>&1
rc=$?
[ $rc -eq 14 ] && ok "unknown user: authentication failure" || bad "unknown user gave exit $rc, want 14"
if sign s4 "$h2"; then ok "still serving after bad requests"; else bad "still serving after bad requests"; fi

# max_conns: with 1, a second client is closed as soon as it is
# accepted while the first holds its connection; then served again.
check "-t accepts max_conns = 20000" "$cal" -t -c "$tmp/cal.conf" \
    --set max_conns=20000 --set ext_max_conns=20000
if "$cal" -t -c "$tmp/cal.conf" --set max_conns=0 >"$tmp/out" 2>&1; then
	bad "-t accepts max_conns = 0"
elif grep -q "max_conns" "$tmp/out"; then
	ok "-t refuses max_conns = 0: $(head -n 1 "$tmp/out")"
else
	bad "-t refuses max_conns = 0 without saying why"
	cat "$tmp/out"
fi
kill "$pid"; wait "$pid" 2>/dev/null; pid=
echo "max_conns = 1" >> "$tmp/cal.conf"
start
python3 - "$tcp" >"$tmp/hold.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("held", flush=True)
time.sleep(3)
PY
hold=$!
i=0
while ! grep -q held "$tmp/hold.out" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
# (No clock tick: a served request would wait for its second; one
# turned away fails at once, and says the server closed.)
t0=$(date +%s)
if "$kts" sign -S "$url" --aggr-user "$user" --aggr-key "$key" \
    --hash "SHA-256:$h1" -o "$tmp/x" -c 5 >"$tmp/out" 2>&1; then
	bad "max_conns = 1: a second client was served"
elif [ $(($(date +%s) - t0)) -lt 4 ] && grep -qi "clos\|reset" "$tmp/out"
then
	ok "max_conns = 1: a second client is turned away while one is connected: $(head -n 1 "$tmp/out")"
else
	bad "max_conns = 1: the second client was not turned away"
	cat "$tmp/out"
fi
wait "$hold"
if sign s5 "$h2"; then ok "max_conns = 1: served once the first left"; else
	bad "max_conns = 1: not served after the first left"; cat "$tmp/sign.out"; fi

kill "$pid"; wait "$pid" 2>/dev/null; pid=
check "--check accepts the store" "$cal" --check "$tmp/data"
echo "calendar.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
