#!/bin/sh
# testpack.sh - run the Guardtime KSI signature test pack (KSI spec 10.4)
# through tests/ksi-testpack.  Live-service rows are skipped and counted;
# the real 2024 publications file stands in for the live one.
# Needs KTS_VECTORS (set by make check) and KTS_TOP_BUILDDIR.
top=${KTS_TOP_BUILDDIR:-.}
pack=${KTS_VECTORS:-}/ksi/test_pack
if [ -z "${KTS_VECTORS:-}" ] || [ ! -d "$pack" ]; then
	echo "testpack.sh: no test pack at '$pack' (set KTS_VECTORS); skipped"
	exit 77
fi
res=$pack/policy-verification-signatures/resources
exec "$top/tests/ksi-testpack" \
	--default-pubfile "$res/publications-file.bin" \
	--default-ca "$res/publications-file-issuer-ca.pem" \
	"$pack/internal-policy-signatures" \
	"$pack/invalid-signatures" \
	"$pack/policy-verification-signatures" \
	"$pack/valid-signatures"
