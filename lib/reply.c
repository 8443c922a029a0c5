/*
 * reply.c - server replies (reply.h).
 */
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pdu.h"
#include "reply.h"
#include "tlv.h"

void
kts_reply_error(struct kts_req *req, uint16_t resp_tag, uint64_t status,
    const char *msg)
{
	struct kts_wr wr;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if (kts_pdu_error(&wr, resp_tag, status, msg) == 0)
		kts_req_reply(req, wr.p, wr.len, 200);
	else
		kts_req_drop(req);
	kts_wr_free(&wr);
}

void
kts_reply_signed(struct kts_req *req, struct kts_wr *wr, size_t mark,
    const struct kts_user *u, uint8_t alg, int r)
{
	if (r == 0)
		r = kts_pdu_end(wr, mark, alg, u->key, u->keylen);
	if (r == 0)
		kts_req_reply(req, wr->p, wr->len, 200);
	else {
		kts_err_r(r, "cannot build a response for %.64s", u->login);
		kts_req_drop(req);
	}
}

void
kts_reply_status(struct kts_req *req, uint16_t resp_tag,
    const struct kts_user *u, uint8_t alg, uint64_t req_id, uint64_t status,
    const char *msg)
{
	struct kts_wr wr;
	size_t mark;
	size_t pm;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_pdu_begin(&wr, resp_tag, u->login, &mark)) == 0 &&
	    (r = kts_wr_tlv_begin(&wr, 0x02, 0, &pm)) == 0 &&
	    (r = kts_wr_tlv_u64(&wr, 0x01, 0, req_id)) == 0 &&
	    (r = kts_wr_tlv_u64(&wr, 0x04, 0, status)) == 0 &&
	    (r = kts_wr_tlv_str(&wr, 0x05, 0, msg)) == 0)
		r = kts_wr_tlv_end(&wr, pm);
	kts_reply_signed(req, &wr, mark, u, alg, r);
	kts_wr_free(&wr);
}
