/*
 * fuzz_sig.c - libFuzzer target: parse a signature, verify it with the
 * internal policy, serialize it and parse the result again.
 */
#include <stdlib.h>

#include "sig.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_vctx ctx = { 0 };
	struct kts_vresult res;
	struct kts_sig *sig = NULL;
	struct kts_sig *again = NULL;
	uint8_t *out = NULL;
	size_t len = 0;

	if (kts_sig_parse(data, size, &sig, NULL) != 0)
		return 0;
	kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res);
	if (kts_sig_serialize(sig, &out, &len) == 0 &&
	    kts_sig_parse(out, len, &again, NULL) != 0)
		abort();	/* our own output must parse */
	kts_sig_free(again);
	free(out);
	kts_sig_free(sig);
	return 0;
}
