#!/bin/sh
# cli.sh - run client/kts over the KSI vectors: verdicts, exit codes,
# error messages for broken files, JSON output, dump and pubfile.
# Prints one line per check ("ok" / "FAIL") and a summary; exits 1 if
# any check failed, 77 (skip) without the vectors.
top=${KTS_TOP_BUILDDIR:-.}
kts=$top/client/kts
V=${KTS_VECTORS:-}/ksi
if [ -z "${KTS_VECTORS:-}" ] || [ ! -d "$V/tlv" ]; then
	echo "cli.sh: no vectors at '$V' (set KTS_VECTORS); skipped"
	exit 77
fi
if [ ! -x "$kts" ]; then
	echo "cli.sh: $kts not built"
	exit 99
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/kts-cli.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM

pass=0
fail=0
SIG=$V/tlv/ok-sig-2014-04-30.1.ksig
EXT=$V/tlv/ok-sig-2014-04-30.1-extended.ksig
PUBS=$V/tlv/publications.tlv
MOCK=$V/crt/mock.crt
CNSTR=E=publications@guardtime.com
PUBSTR=AAAAAA-CTOQBY-AAMJYH-XZPM6T-UO6U6V-2WJMHQ-EJMVXR-JEAGID-2OY7P5-XFFKYI-QIF2LG-YOV7SO

# check NAME WANT_RC [GREP_PATTERN] -- CMD...: run CMD, want exit WANT_RC
# and, if given, the pattern in its stdout+stderr.
check() {
	name=$1
	want=$2
	pat=$3
	shift 4
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, want $want"
		sed 's/^/    /' "$T/out" | head -20
		fail=$((fail + 1))
	elif [ -n "$pat" ] && ! grep -q -e "$pat" "$T/out"; then
		echo "FAIL $name: output lacks '$pat'"
		sed 's/^/    /' "$T/out" | head -20
		fail=$((fail + 1))
	else
		echo "ok   $name (exit $rc)"
		pass=$((pass + 1))
	fi
}

# json NAME CMD...: CMD's stdout must be valid JSON with a "verdict" (or
# the given key).
json() {
	name=$1
	key=$2
	shift 2
	if ! command -v python3 >/dev/null 2>&1; then
		echo "skip $name (no python3 to check the JSON)"
		return
	fi
	"$@" >"$T/json" 2>"$T/err"
	if python3 -m json.tool "$T/json" >/dev/null 2>&1 &&
	    grep -q "\"$key\"" "$T/json"; then
		echo "ok   $name (valid JSON with \"$key\")"
		pass=$((pass + 1))
	else
		echo "FAIL $name: not valid JSON with \"$key\""
		sed 's/^/    /' "$T/json" "$T/err" | head -20
		fail=$((fail + 1))
	fi
}

# --- general ---------------------------------------------------------------
check "kts --help" 0 "verify" -- "$kts" --help
check "kts --version" 0 "kts " -- "$kts" --version
check "unknown command" 3 "unknown command" -- "$kts" frobnicate
for c in verify dump pubfile; do
	check "kts $c --help" 0 "usage: kts $c" -- "$kts" $c --help
done

# --- verify: verdicts -------------------------------------------------------
check "internal policy OK" 0 "verification OK" -- \
	"$kts" verify -i "$SIG" --ver-int
check "key-based OK with publications.tlv" 0 "verification OK" -- \
	"$kts" verify -i "$SIG" --ver-key -P "$PUBS" -V "$MOCK" --cnstr "$CNSTR"
check "general policy OK (decided by key)" 0 "decided by key" -- \
	"$kts" verify -i "$SIG" -P "$PUBS" -V "$MOCK" --cnstr "$CNSTR"
check "publications-file policy OK" 0 "verification OK" -- \
	"$kts" verify -i "$EXT" --ver-pub -P "$PUBS" -V "$MOCK" --cnstr "$CNSTR"
check "user publication OK" 0 "verification OK" -- \
	"$kts" verify -i "$EXT" --ver-pub --pub-str "$PUBSTR"
check "right document hash" 0 "verification OK" -- \
	"$kts" verify -i "$SIG" --ver-int \
	--hash SHA-256:11a700b0c8066c47ecba05ed37bc14dcadb238552d86c659342d1d7e87b8772d
check "wrong document hash: GEN-01" 6 "GEN-01" -- \
	"$kts" verify -i "$SIG" \
	--hash SHA-256:0202020202020202020202020202020202020202020202020202020202020202
printf 'not the document\n' >"$T/doc.txt"
check "wrong document file: GEN-01" 6 "GEN-01" -- \
	"$kts" verify -i "$SIG" --ver-int -f "$T/doc.txt"
check "input level too large: GEN-03" 6 "GEN-03" -- \
	"$kts" verify -i "$V/tlv/ok-sig-2017-04-21.1-input-hash-level-5.ksig" \
	--ver-int --level 6
check "pubfile not trusted without -V: NA" 6 "GEN-02" -- \
	"$kts" verify -i "$SIG" --ver-key -P "$PUBS" --cnstr "$CNSTR"
check "key-based without constraints: NA" 6 "INCONCLUSIVE" -- \
	"$kts" verify -i "$SIG" --ver-key -P "$PUBS" -V "$MOCK"
check "calendar policy with a response file" 0 "verification OK" -- \
	"$kts" verify -i "$V/tlv/ok-sig-2014-04-30.1-no-cal-hashchain.ksig" \
	--ver-cal -X "$V/tlv/v2/ok-sig-2014-04-30.1-extend_response.tlv"
check "calendar policy, file:// URL: CAL-02" 6 "CAL-02" -- \
	"$kts" verify -i "$V/tlv/ok-sig-2014-04-30.1-no-cal-hashchain.ksig" \
	--ver-cal -X "file://$V/tlv/v2/ok-sig-2014-04-30.1-nok-extend_response-3.tlv"
check "broken calendar chain: INT-03" 6 "INT-03" -- \
	"$kts" verify -i "$V/tlv/signature-with-invalid-calendar-hash-chain.ksig" \
	--ver-int

# --- verify: errors ------------------------------------------------------------
head -c 1000 "$SIG" >"$T/truncated.ksig"
check "truncated signature" 4 "offset" -- "$kts" verify -i "$T/truncated.ksig"
printf 'this is not a KSI signature at all' >"$T/garbage.ksig"
check "garbage signature" 4 "offset" -- "$kts" verify -i "$T/garbage.ksig"
cp "$SIG" "$T/flipped.ksig"
# Byte 5 is the low tag byte of the first child (0x805): 0x05 -> 0x15
# makes an unknown critical element 0x815 at offset 4.
printf '\025' | dd of="$T/flipped.ksig" bs=1 seek=5 conv=notrunc 2>/dev/null
check "bit-flipped signature" 4 "offset 4 (tag 0x815)" -- \
	"$kts" verify -i "$T/flipped.ksig"
check "bit-flipped signature: dump" 4 "offset" -- \
	"$kts" dump -i "$T/flipped.ksig"
: >"$T/empty.ksig"
check "empty signature" 4 "" -- "$kts" verify -i "$T/empty.ksig"
check "missing signature" 9 "No such file" -- \
	"$kts" verify -i "$T/does-not-exist.ksig"
check "missing document" 9 "does-not-exist.txt" -- \
	"$kts" verify -i "$SIG" -f "$T/does-not-exist.txt"
check "missing publications file" 9 "No such file" -- \
	"$kts" verify -i "$SIG" -P "$T/nope.bin" --cnstr "$CNSTR"
check "bad flag" 3 "" -- "$kts" verify -i "$SIG" --no-such-flag
check "no -i" 3 "required" -- "$kts" verify --ver-int
check "two policies" 3 "only one" -- "$kts" verify -i "$SIG" --ver-int --ver-key
check "bad --hash" 3 "hash" -- "$kts" verify -i "$SIG" --hash SHA-256:xyz
check "bad --pub-str" 3 "publication string" -- \
	"$kts" verify -i "$SIG" --pub-str AAAAAA-CTOQBY-AAMJYH
check "bad --level" 3 "level" -- "$kts" verify -i "$SIG" --level 256
check "bad --cnstr" 3 "OID=VALUE" -- "$kts" verify -i "$SIG" --cnstr nonsense
check "--ver-cal without -X" 3 "-X" -- "$kts" verify -i "$SIG" --ver-cal
check "network extender without credentials" 3 "user and a key" -- \
	"$kts" verify -i "$SIG" --ver-cal -X http://localhost:8080/
check "unknown extender scheme" 3 "unknown URL scheme" -- \
	"$kts" verify -i "$SIG" --ver-cal -X gopher://localhost/
check "bad publications file" 4 "offset" -- \
	"$kts" verify -i "$SIG" -P "$T/garbage.ksig" --cnstr "$CNSTR"

# --- JSON -------------------------------------------------------------------------
json "verify --json (OK)" verdict "$kts" verify -i "$SIG" --json -P "$PUBS" \
	-V "$MOCK" --cnstr "$CNSTR"
json "verify --json (FAIL)" verdict "$kts" verify -i "$SIG" --json \
	--hash SHA-256:0202020202020202020202020202020202020202020202020202020202020202
json "verify --json (metadata signer)" signer "$kts" verify --json --ver-int \
	-i "$V/tlv/ok-sig-2017-04-21.1-input-hash-level-5.ksig"
check "verify --json verdict value" 0 '"verdict": "OK"' -- \
	"$kts" verify -i "$SIG" --ver-int --json

# --- dump and pubfile ---------------------------------------------------------------
check "dump" 0 "calendar authentication record" -- "$kts" dump -i "$SIG"
check "dump: publication string" 0 "$PUBSTR" -- "$kts" dump -i "$EXT"
check "dump: RFC 3161 record" 0 "RFC 3161 record" -- \
	"$kts" dump -i "$V/tlv/signature-with-rfc3161-record-ok.ksig"
json "dump --json" aggregation_chains "$kts" dump -i "$EXT" --json
check "pubfile verifies" 0 "verified" -- \
	"$kts" pubfile -P "$PUBS" -V "$MOCK" --cnstr "$CNSTR"
check "pubfile lists a publication" 0 "$PUBSTR" -- \
	"$kts" pubfile -P "$PUBS" -V "$MOCK" --cnstr "$CNSTR"
check "pubfile without anchor: exit 6" 6 "NOT verified" -- \
	"$kts" pubfile -P "$PUBS" --cnstr "$CNSTR"
check "pubfile with data after the signature: exit 4" 4 "offset" -- \
	"$kts" pubfile -P "$V/tlv/publications-fake-publication.tlv" \
	-V "$MOCK" --cnstr "$CNSTR"
# Change one byte of the 2008-04-15 published hash: the CMS digest fails.
# (The offset is looked up so that the test does not hard-code it.)
if command -v python3 >/dev/null 2>&1; then
	python3 - "$PUBS" "$T/tampered.tlv" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
h = bytes.fromhex('01de7fbbe093251c42ac69f1a74a4b00'
                  'd5423da6d49faa55c7a2d961433f3f57e5')
i = b.index(h)
b[i + 10] ^= 0x01
open(sys.argv[2], 'wb').write(b)
PY
	check "pubfile tampered publication: exit 6" 6 "NOT verified" -- \
		"$kts" pubfile -P "$T/tampered.tlv" -V "$MOCK" --cnstr "$CNSTR"
	check "tampered pubfile: key-based NA" 6 "not trusted" -- \
		"$kts" verify -i "$SIG" --ver-key -P "$T/tampered.tlv" \
		-V "$MOCK" --cnstr "$CNSTR"
else
	echo "skip tampered publications file (no python3)"
fi
json "pubfile --json" publications "$kts" pubfile -P "$PUBS" -V "$MOCK" \
	--cnstr "$CNSTR" --json

echo "cli.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
