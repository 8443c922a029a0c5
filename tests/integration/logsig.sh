#!/bin/sh
# logsig.sh - kts logsig end to end (make check).
#
#  A. offline: the creation vectors of spec/logsig.md 6 through the CLI
#     (documented output hashes), verification vectors (verdicts and exit
#     codes), extraction vectors (byte-identical excerpts), bad input;
#  B. against a local stack on 127.0.0.1: sign logs over HTTP and raw
#     TCP, verify key-based, every kind of tampering reported at the
#     right line, chaining across rotation with a state file, extract
#     and verify an excerpt, proofs as JSON lines, extend after a
#     publication and verify with the publications file alone.
# One line per check; every wait is bounded in count and time.
set -u

top=${KTS_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
src=${KTS_TOP_SRCDIR:-$top}
kts=$top/client/kts
V=${KTS_VECTORS:-$src/../shared/vectors}/logsig
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kts-logsig.XXXXXX") || exit 99
stack=$tmp/stack
pass=0
fail=0
skip=0
t_start=$(date +%s)

cleanup() {
	KTS_CALENDAR=$top/calendar/kts-calendar \
	    KTS_AGGREGATOR=$top/aggregator/kts-aggregator \
	    "$src/tools/kts-stack" stop "$stack" >/dev/null 2>&1
	[ -n "${KTS_KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
show() { sed -n '1,20s/^/    /p' "$1"; }
part() { echo "== $* (at $(( $(date +%s) - t_start )) s)"; }
finish() {
	echo "took $(( $(date +%s) - t_start )) s"
	echo "logsig.sh: $pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
	exit
}

# check DESC WANT_RC PATTERN command...: exit code and, if PATTERN is
# not empty, a line of the output (stdout and stderr) matching it.
check() {
	d=$1
	w=$2
	pat=$3
	shift 3
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$w" ]; then
		bad "$d: exit $rc, want $w"
		show "$tmp/out"
	elif [ -n "$pat" ] && ! grep -q -e "$pat" "$tmp/out"; then
		bad "$d: output lacks '$pat'"
		show "$tmp/out"
	else
		ok "$d (exit $rc)"
	fi
}

# outhash DESC WANT_PREFIX WANT_SUFFIX command...: the JSON summary's
# last output_hash starts and ends as documented.
outhash() {
	d=$1
	pre=$2
	suf=$3
	shift 3
	"$@" >"$tmp/out" 2>&1
	h=$(sed -n 's/.*"output_hash": "\(.*\)".*/\1/p' "$tmp/out" | tail -n 1)
	case $h in
	"$pre"*"$suf") ok "$d ($pre...$suf)" ;;
	*) bad "$d: output hash '$h', want $pre...$suf"; show "$tmp/out" ;;
	esac
}

[ -x "$kts" ] || { bad "cannot run: $kts is not built"; finish; }
if [ ! -d "$V/logfiles" ]; then
	echo "logsig.sh: no vectors at $V (set KTS_VECTORS); skipped"
	exit 77
fi

part "A. offline: vectors and bad input"
for c in sign verify extract extend proofs resign; do
	check "kts logsig $c --help" 0 "usage: kts logsig $c" \
	    "$kts" logsig $c --help
done
check "unknown subcommand" 3 "unknown subcommand" "$kts" logsig frob

seed=$V/random/seed_aa
mk() { "$kts" logsig sign -q --unsigned --seed "$seed" --json "$@"; }
printf '\n' >"$tmp/one"
: >"$tmp/empty"
outhash "one empty line (spec 2.10)" 013670e8 886ef9 \
    mk --block-records 5 "$tmp/one"
outhash "empty log" 01cb7b6b 305bbf mk --block-records 5 "$tmp/empty"
for f in linux mac win; do
	cp "$V/logfiles/$f-new-line-3_empty-line" "$tmp/$f"
	outhash "$f line ends" 019df569 e9aff0 \
	    mk --block-records 5 "$tmp/$f"
done
cp "$V/logfiles/treehash1" "$V/logfiles/long-log-lines" "$tmp/"
outhash "treehash1" 0120c46e 498552 mk --block-records 5 "$tmp/treehash1"
outhash "long lines" 01bf50f4 e8a84b \
    mk --block-records 1024 "$tmp/long-log-lines"
check "unsigned blocks are inconclusive" 1 "unsigned" \
    "$kts" logsig verify --ver-int "$tmp/treehash1"

L=$V/logs_and_signatures
C=$V/continue-verification
I=$V/interlink
check "signed vector" 0 "9 lines in 4 blocks" \
    "$kts" logsig verify --ver-int "$L/signed"
check "changed line 4" 6 "line: *4$" \
    "$kts" logsig verify --ver-int "$C/log-line-4-changed" "$C/log-ok.logsig"
check "one duplicate line missing" 6 "FAILED" \
    "$kts" logsig verify --ver-int "$L/equal-log-lines-one-missing"
check "block 2 signature swapped" 6 "block: *2$" \
    "$kts" logsig verify --ver-int "$C/log" "$C/log-sig-no2-wrong.logsig"
check "missing mandatory element" 4 "format" \
    "$kts" logsig verify --ver-int "$C/log" "$C/log-missing-tlv-901.01.logsig"
# Block 18 of this vector is signed months before block 17 (re-signed):
# inconclusive (an unsigned block) only when that is allowed.
check "unsigned vector" 1 "INCONCLUSIVE" \
    "$kts" logsig verify --ver-int --ignore-desc-block-time "$L/unsigned"
check "two files chained" 0 "" \
    "$kts" logsig verify --ver-int -- "$I/ok-testlog-interlink-1" \
    "$I/ok-testlog-interlink-2"
check "two files in the wrong order" 6 "link-broken" \
    "$kts" logsig verify --ver-int -- "$I/ok-testlog-interlink-2" \
    "$I/ok-testlog-interlink-1"
check "re-signed blocks out of time order" 6 "time-order" \
    "$kts" logsig verify --ver-int "$V/logfiles/unsigned" \
    "$V/logsignatures/unsigned-same-sign-time.logsig"
check "... accepted with --ignore-desc-block-time" 0 "" \
    "$kts" logsig verify --ver-int --ignore-desc-block-time \
    "$V/logfiles/unsigned" "$V/logsignatures/unsigned-same-sign-time.logsig"

cp "$V/logfiles/signed" "$tmp/async.log"
cp -r "$V/logsignatures/signed.logsig.parts" "$tmp/async.log.logsig.parts"
check "rsyslog async parts joined and verified" 0 "9 lines in 4 blocks" \
    "$kts" logsig verify --ver-int "$tmp/async.log"
cp "$V/logfiles/signed" "$tmp/async2.log"
cp -r "$V/logsignatures/too-many-record-hashes.logsig.parts" \
    "$tmp/async2.log.logsig.parts"
check "async parts that do not match" 6 "FAILED" \
    "$kts" logsig verify --ver-int "$tmp/async2.log"

cp "$V/logfiles/extract.base" "$V/logsignatures/extract.base.logsig" "$tmp/"
for r in 1 1414 3-7 3,6,9; do
	want=$V/logfiles/r$(echo $r | tr , .).excerpt
	"$kts" logsig extract -q "$tmp/extract.base" -r $r -o "$tmp/x$r"
	if cmp -s "$tmp/x$r.excerpt" "$want"; then
		ok "extract -r $r: excerpt as logksi's"
	else
		bad "extract -r $r: excerpt differs from $want"
	fi
	check "excerpt -r $r verifies" 0 "OK" \
	    "$kts" logsig verify --ver-int --excerpt "$tmp/x$r.excerpt"
done
check "excerpt vector" 0 "4 lines in 2 blocks" \
    "$kts" logsig verify --ver-int --excerpt "$V/excerpt/log-ok.excerpt"
for p in proof_wrong_sibling_hash_1 proof_wrong_level_correction_1 \
    proof_wrong_link_direction; do
	check "$p" 6 "FAILED" "$kts" logsig verify --ver-int --excerpt \
	    "$V/logfiles/r1.excerpt" "$V/logsignatures/$p.excerpt.logsig"
done
check "extract refuses a bad range" 3 "ascending" \
    "$kts" logsig extract "$tmp/extract.base" -r 5-3

printf 'NOTALOGSIGFILE' >"$tmp/junk.logsig"
printf 'a\n' >"$tmp/junk"
check "unknown file kind" 4 "magic" \
    "$kts" logsig verify --ver-int "$tmp/junk"
head -c 700 "$V/logsignatures/extract.base.logsig" >"$tmp/cut.logsig"
check "truncated signature file" 4 "offset" \
    "$kts" logsig verify --ver-int "$tmp/extract.base" "$tmp/cut.logsig"
check "missing log" 9 "cannot open" \
    "$kts" logsig verify --ver-int "$tmp/nothere" "$tmp/cut.logsig"
head -c 1100000 /dev/zero | tr '\0' 'x' >"$tmp/huge"
check "a line over 1 MiB" 4 "longer than 1 MiB" \
    "$kts" logsig sign --unsigned -q "$tmp/huge"
[ ! -e "$tmp/huge.logsig" ] && ok "no signature file left behind" ||
    bad "a failed sign left $tmp/huge.logsig"

printf 'a\nb\000c\nd\n' >"$tmp/nul.log"
check "a NUL byte in a line is refused when signing" 4 "line 2 holds a NUL" \
    "$kts" logsig sign --unsigned -q "$tmp/nul.log"
printf 'a\nb\n' >"$tmp/nul2.log"
"$kts" logsig sign --unsigned -q "$tmp/nul2.log"
printf '\000hidden\n' >>"$tmp/nul2.log"
check "lines hidden behind a NUL byte fail verification" 6 "NUL byte" \
    "$kts" logsig verify --ver-int "$tmp/nul2.log"

part "B. against a local stack"
for p in calendar/kts-calendar aggregator/kts-aggregator; do
	[ -x "$top/$p" ] || { bad "cannot run: $top/$p is not built"; finish; }
done
export KTS_CALENDAR=$top/calendar/kts-calendar
export KTS_AGGREGATOR=$top/aggregator/kts-aggregator
if ! "$src/tools/kts-stack" start "$stack" --pub-every 5 >"$tmp/stack.out" 2>&1
then
	bad "cannot run: kts-stack did not start"
	show "$tmp/stack.out"
	finish
fi
. "$stack/stack.env"
trust="-P $KTS_PUBFILE -V $KTS_CA --cnstr $KTS_CNSTR"
auth="--aggr-user $KTS_USER --aggr-key $KTS_KEY"

log=$tmp/access.log
i=1
while [ $i -le 3000 ]; do
	echo "2026-11-23T05:00:00Z ehr-web-1 access user=u$((i % 97)) patient=p$i action=read"
	i=$((i + 1))
done >"$log"
check "sign over HTTP, record hashes kept" 0 "3000 lines in 3 blocks" \
    "$kts" logsig sign -S "$KTS_AGGR_URL" $auth --keep-record-hashes "$log"
check "verify key-based" 0 "3000 lines in 3 blocks" \
    "$kts" logsig verify --ver-key $trust "$log"
cp "$log" "$tmp/tcp.log"
check "sign over raw TCP, tree hashes kept" 0 "" \
    "$kts" logsig sign -S "$KTS_AGGR_TCP_URL" $auth --keep-tree-hashes \
    --block-records 500 "$tmp/tcp.log"
check "verify (general policy)" 0 "3000 lines in 7 blocks" \
    "$kts" logsig verify $trust "$tmp/tcp.log"
# stack.env exports what it sets: sign finds the service in the
# environment of a shell that only sourced it (an empty environment
# otherwise; no -S, no credentials).
head -n 100 "$log" >"$tmp/env.log"
check "sign with the service from a sourced stack.env" 0 "" \
    env -i PATH="$PATH" sh -c '. "$1" && exec "$2" logsig sign -q "$3"' \
    sh "$stack/stack.env" \
    "$kts" "$tmp/env.log"
check "  ... and it verifies" 0 "100 lines in 1 block" \
    "$kts" logsig verify --ver-key $trust "$tmp/env.log"

# tamper NAME SED_OR_AWK...: a copy of the log changed, checked against
# the original signature file.
tamper() {
	d=$1
	want=$2
	shift 2
	"$@" "$log" >"$tmp/t.log"
	cp "$log.logsig" "$tmp/t.log.logsig"
	check "$d" 6 "$want" "$kts" logsig verify $trust "$tmp/t.log"
}
tamper "a changed line" "record-changed" sed '1234s/read/rEad/'
grep -q "line: *1234$" "$tmp/out" && ok "... at line 1234" || bad "not at line 1234"
tamper "a deleted line" "line-missing" sed '1500d'
grep -q "line: *1500$" "$tmp/out" && ok "... at line 1500" || bad "not at line 1500"
tamper "an inserted line" "line-inserted" sed '2001i\\injected'
grep -q "line: *2001$" "$tmp/out" && ok "... at line 2001" || bad "not at line 2001"
tamper "two lines swapped" "lines-swapped" \
    awk 'NR==77{k=$0;next} NR==78{print;print k;next}{print}'
grep -q "line: *77$" "$tmp/out" && ok "... at line 77" || bad "not at line 77"
tamper "the log cut short" "record-missing\|record-changed" head -n 2999
tamper "a line added at the end" "extra-record" \
    awk '{print} END{print "one more"}'
cp "$tmp/tcp.log" "$tmp/u.log"
sed '600s/read/rEad/' "$tmp/tcp.log" >"$tmp/u.log"
cp "$tmp/tcp.log.logsig" "$tmp/u.log.logsig"
check "a changed line, tree hashes only" 6 "block: *2$" \
    "$kts" logsig verify $trust "$tmp/u.log"
size=$(wc -c <"$log.logsig")
crash=0
for off in 3 9 40 200 500 1000 2000 4000 8000 $((size - 10)); do
	cp "$log.logsig" "$tmp/f.logsig"
	printf '\377' | dd of="$tmp/f.logsig" bs=1 seek=$off conv=notrunc \
	    2>/dev/null
	"$kts" logsig verify -q $trust "$log" "$tmp/f.logsig" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] || [ $rc -ge 128 ] && crash=$((crash + 1))
	head -c $off "$log.logsig" >"$tmp/f.logsig"
	"$kts" logsig verify -q $trust "$log" "$tmp/f.logsig" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] || [ $rc -ge 128 ] && crash=$((crash + 1))
done
[ $crash -eq 0 ] && ok "20 damaged signature files: all rejected, none crashed" ||
    bad "$crash damaged signature files accepted or crashed"

cp "$log" "$tmp/later.log"
check "sign without the service (--unsigned)" 0 "" \
    "$kts" logsig sign -q --unsigned --keep-record-hashes "$tmp/later.log"
check "... is inconclusive" 1 "unsigned" \
    "$kts" logsig verify $trust "$tmp/later.log"
check "resign with the aggregator down keeps the blocks" 1 "still unsigned" \
    "$kts" logsig resign -S http://127.0.0.1:1/ $auth "$tmp/later.log.logsig"
check "resign when it is back" 0 "3 blocks signed" \
    "$kts" logsig resign -S "$KTS_AGGR_URL" $auth "$tmp/later.log.logsig"
check "... then the log verifies" 0 "3000 lines in 3 blocks" \
    "$kts" logsig verify $trust "$tmp/later.log"

head -n 1000 "$log" >"$tmp/r1.log"
tail -n 2000 "$log" >"$tmp/r2.log"
check "first log with a state file" 0 "" \
    "$kts" logsig sign -q -S "$KTS_AGGR_URL" $auth --state "$tmp/st" \
    "$tmp/r1.log"
check "rotated log continues the chain" 0 "" \
    "$kts" logsig sign -q -S "$KTS_AGGR2_TCP_URL" $auth --state "$tmp/st" \
    "$tmp/r2.log"
check "both logs verify as one chain" 0 "" \
    "$kts" logsig verify $trust -- "$tmp/r1.log" "$tmp/r2.log"
check "... not in the other order" 6 "link-broken" \
    "$kts" logsig verify $trust -- "$tmp/r2.log" "$tmp/r1.log"

check "extract lines 10 and 20-25" 0 "7 lines" \
    "$kts" logsig extract "$log" -r 10,20-25 -o "$tmp/ex"
check "the excerpt verifies key-based" 0 "7 lines in 1 blocks" \
    "$kts" logsig verify --excerpt $trust "$tmp/ex.excerpt"
sed '3s/read/rEad/' "$tmp/ex.excerpt" >"$tmp/ex2.excerpt"
cp "$tmp/ex.excerpt.logsig" "$tmp/ex2.excerpt.logsig"
check "a changed excerpt line fails" 6 "line: *3$" \
    "$kts" logsig verify --excerpt $trust "$tmp/ex2.excerpt"

"$kts" logsig proofs $trust "$log" >"$tmp/proofs.jsonl" 2>"$tmp/proofs.err"
rc=$?
n=$(wc -l <"$tmp/proofs.jsonl")
[ $rc -eq 0 ] && [ "$n" -eq 3000 ] && ok "proofs: 3000 JSON lines" ||
    { bad "proofs: exit $rc, $n lines"; show "$tmp/proofs.err"; }
if command -v python3 >/dev/null 2>&1; then
	if python3 - "$tmp/proofs.jsonl" "$log" <<'EOF'
import hashlib, json, sys
lines = open(sys.argv[2], 'rb').read().split(b'\n')
for n, row in enumerate(open(sys.argv[1]), 1):
    d = json.loads(row)
    h = '01' + hashlib.sha256(lines[d['line'] - 1]).hexdigest()
    assert d['line'] == n and d['verdict'] == 'OK', row
    assert d['record_hash'] == h, row
    assert d['message'].encode() == lines[n - 1], row
    assert sum(s['correction'] + 1 for s in d['proof']) == d['level'], row
EOF
	then ok "proofs: every line's record hash, verdict and proof height"
	else bad "proofs: JSON lines do not match the log"
	fi
else
	skip=$((skip + 1))
	echo "skip: proofs JSON check (no python3)"
fi

# Extension needs a publication after the last signing time; the stack
# publishes every 5 s.  Bounded: at most 40 tries, 0.5 s apart.
n=0
until "$kts" logsig extend -q -X "$KTS_EXT_URL" --ext-user "$KTS_USER" \
    --ext-key "$KTS_KEY" -P "$KTS_PUB_URL" -V "$KTS_CA" \
    --cnstr "$KTS_CNSTR" "$log.logsig" >"$tmp/ext.out" 2>&1; do
	n=$((n + 1))
	[ $n -ge 40 ] && break
	sleep 0.5
done
[ $n -lt 40 ] && ok "extend every block after a publication ($n retries)" ||
    { bad "extend never succeeded"; show "$tmp/ext.out"; }
check "extended log verifies with the publications file" 0 "OK" \
    "$kts" logsig verify --ver-pub -P "$KTS_PUB_URL" -V "$KTS_CA" \
    --cnstr "$KTS_CNSTR" "$log"
check "... and is inconclusive with no trust anchor" 1 "INCONCLUSIVE" \
    "$kts" logsig verify --ver-pub "$log"

finish
