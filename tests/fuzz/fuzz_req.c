/*
 * fuzz_req.c - libFuzzer target: parse a request PDU as a server does
 * (kts_req_parse), then check its HMAC with a fixed key, as a server does
 * next.  Nothing is allocated, so nothing is freed.
 */
#include <stdlib.h>

#include "pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_req_pdu req;

	if (kts_req_parse(data, size, &req, &perr) != 0)
		return 0;
	if (req.login_id == NULL)
		abort();	/* a parsed request always has a login id */
	(void)kts_pdu_hmac_check(data, size, "anon", 4);
	return 0;
}
