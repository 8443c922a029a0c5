#!/bin/sh
# headertest.sh - every lib/*.h compiles on its own (libgit2's headertest,
# STYLE.md 16): for each header a file holding only `#include "x.h"` (twice,
# to check the include guard) must compile with the project's compiler and
# flags.
#
# Run by make check (KTS_TOP_SRCDIR and KTS_TOP_BUILDDIR come from
# AM_TESTS_ENVIRONMENT; the compiler and flags are asked of config.status).
# By hand: KTS_TOP_BUILDDIR=/path/to/build tests/headertest.sh
set -u

top_src=${KTS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top_build=${KTS_TOP_BUILDDIR:-$top_src}

if [ ! -x "$top_build/config.status" ]; then
	echo "headertest: no $top_build/config.status; run configure first" >&2
	exit 99
fi
# config.status substitutes @VAR@ on stdin with the configured values.
conf() {
	echo "$1" | (cd "$top_build" && ./config.status --file=-)
}
cc=$(conf '@CC@')
cflags=$(conf '@KTS_CFLAGS@ @CFLAGS@ @CRYPTO_CFLAGS@ @EVENT_CFLAGS@')
cppflags="-I$top_src/lib -I$top_build -include $top_build/config.h"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kts-headertest.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

n=0
bad=0
for h in "$top_src"/lib/*.h; do
	name=$(basename "$h")
	printf '#include "%s"\n#include "%s"\n' "$name" "$name" >"$tmp/t.c"
	# shellcheck disable=SC2086 # the flags are word lists
	if $cc $cppflags $cflags -fsyntax-only "$tmp/t.c" >"$tmp/err" 2>&1; then
		echo "ok $name"
	else
		echo "FAIL $name does not compile on its own:"
		sed 's/^/    /' "$tmp/err"
		bad=$((bad + 1))
	fi
	n=$((n + 1))
done
echo "headertest: $n headers, $bad failed"
[ "$n" -gt 0 ] && [ "$bad" -eq 0 ]
