/*
 * fuzz_resp.c - libFuzzer target: a response PDU as an aggregator reads
 * its parent's answer and a client reads a server's: the request id
 * (kts_resp_req_id, which routes answers on a raw TCP connection), the
 * aggregation response turned into a signature (kts_aggr_resp_to_sig,
 * HMAC key "anon", at request level 0 and at the level the first input
 * byte gives), and the extension response (kts_ext_resp_parse).
 */
#include <stdlib.h>

#include "pdu.h"
#include "sig.h"
#include "upstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_ext_resp ext;
	struct kts_sig *sig = NULL;
	const char *msg;
	uint64_t id = 1;
	uint64_t st;
	unsigned lv;

	(void)kts_resp_req_id(data, size, &id);
	for (lv = 0; lv < 2; lv++) {
		if (kts_aggr_resp_to_sig(data, size, "anon", 4,
		    KTS_HASH_SHA256, id, lv && size > 0 ? data[0] : 0, &st,
		    &msg, &sig, &perr) == 0 && st == 0 && sig == NULL)
			abort();	/* success without a signature */
		kts_sig_free(sig);
		sig = NULL;
	}
	(void)kts_ext_resp_parse(data, size, "anon", 4, &ext, &perr);
	(void)kts_ext_resp_parse(data, size, NULL, 0, &ext, &perr);
	return 0;
}
