/*
 * pdu.c - PDU v2 envelope, HMAC and extension responses (KSI spec 7).
 */
#include <string.h>

#include "pdu.h"
#include "tlv.h"

#define N_RULES(a) (sizeof(a) / sizeof((a)[0]))

int
kts_pdu_hmac_check(const uint8_t *pdu, size_t len, const void *key,
    size_t keylen)
{
	struct kts_imprint want;
	struct kts_imprint got;
	struct kts_tlv top;
	struct kts_tlv c;
	struct kts_tlv last;
	struct kts_rd rd;

	if (kts_tlv_parse(pdu, len, &top, NULL) != 0)
		return KTS_EFORMAT;
	kts_rd_init(&rd, top.val, top.len);
	memset(&last, 0, sizeof(last));
	while (kts_rd_left(&rd) > 0) {
		if (kts_tlv_read(&rd, &c) != 0)
			return KTS_EFORMAT;
		last = c;
	}
	/* Spec 7.3: the HMAC is the last element and covers all before
	 * its digest bytes. */
	if (last.hdr == NULL || last.tag != 0x1f ||
	    kts_imprint_parse(last.val, last.len, &want) != 0)
		return KTS_EFORMAT;
	if (kts_hmac(want.alg, key, keylen, pdu, len - want.len, &got) != 0)
		return KTS_EVERIFY;
	if (!kts_imprint_eq(&got, &want))
		return KTS_EVERIFY;
	return 0;
}

const char *
kts_status_str(uint64_t st, int extender)
{
	switch (st) {
	case 0x0000: return "success";
	case 0x0101: return "invalid request";
	case 0x0102: return "authentication failure";
	case 0x0103: return "invalid payload";
	case 0x0104: return extender ? "invalid time range" :
	    "request too large";
	case 0x0105: return extender ? "request time too old" :
	    "over quota";
	case 0x0106: return extender ? "request time too new" :
	    "too many requests";
	case 0x0107: return extender ? "request time in the future" :
	    "input hash too long";
	case 0x0200: return "internal error";
	case 0x0201: return "database missing";
	case 0x0202: return "database corrupt";
	case 0x0300: return "upstream error";
	case 0x0301: return "upstream timeout";
	default: return "unknown error";
	}
}

/* ---- extension response ---------------------------------------------------- */

static int
er_hdr_login(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (kts_tlv_str(t, &((struct kts_ext_resp *)ctx)->login_id) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad login id");
	return 0;
}

static int
er_ignore_int(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	uint64_t v;

	if (kts_tlv_u64(t, &v) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad integer");
	return 0;
}

static const struct kts_tlv_rule hdr_rules[] = {
	{ 0x01, KTS_R_MANDATORY, er_hdr_login },
	{ 0x02, 0, er_ignore_int },
	{ 0x03, 0, er_ignore_int },
};

static int
get_int(const struct kts_tlv *t, struct kts_pctx *pc, uint64_t *out)
{
	if (kts_tlv_u64(t, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad integer");
	return 0;
}

static int
er_req_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_int(t, pc, &((struct kts_ext_resp *)ctx)->req_id);
}

static int
er_status(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_int(t, pc, &((struct kts_ext_resp *)ctx)->status);
}

static int
er_message(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (kts_tlv_str(t, &((struct kts_ext_resp *)ctx)->message) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad error message");
	return 0;
}

static int
er_last(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_resp *r = ctx;

	r->has_cal_last = 1;
	return get_int(t, pc, &r->cal_last);
}

static int
er_chain(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_resp *r = ctx;

	r->chain = t->hdr;
	r->chain_len = kts_tlv_size(t);
	return 0;
}

static const struct kts_tlv_rule payload_rules[] = {
	{ 0x01, KTS_R_MANDATORY, er_req_id },
	{ 0x04, 0, er_status },
	{ 0x05, 0, er_message },
	{ 0x12, 0, er_last },
	{ 0x802, 0, er_chain },
};

static const struct kts_tlv_rule error_rules[] = {
	{ 0x04, KTS_R_MANDATORY, er_status },
	{ 0x05, 0, er_message },
};

static int
er_header(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_walk(t, hdr_rules, N_RULES(hdr_rules), ctx, NULL, pc);
}

static int
er_payload(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_resp *out = ctx;
	uint64_t status = out->status;
	const char *msg = out->message;
	int r;

	out->has_payload = 1;
	r = kts_tlv_walk(t, payload_rules, N_RULES(payload_rules), ctx, NULL,
	    pc);
	if (out->has_error) {
		out->status = status;
		out->message = msg;
	}
	return r;
}

static int
er_error(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_resp *out = ctx;
	struct kts_ext_resp err;
	int r;

	/* Spec 7.9: an error payload wins over a response payload. */
	memset(&err, 0, sizeof(err));
	if ((r = kts_tlv_walk(t, error_rules, N_RULES(error_rules), &err, NULL,
	    pc)) != 0)
		return r;
	out->has_error = 1;
	out->status = err.status;
	out->message = err.message;
	return 0;
}

static int
er_config(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return 0;	/* extender configuration: not needed to verify */
}

static int
er_hmac(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_imprint im;

	if (kts_imprint_parse(t->val, t->len, &im) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad HMAC imprint");
	((struct kts_ext_resp *)ctx)->hmac_alg = im.alg;
	return 0;
}

static const struct kts_tlv_rule ext_resp_rules[] = {
	{ 0x01, 0, er_header },
	{ 0x02, 0, er_payload },
	{ 0x03, 0, er_error },
	{ 0x04, 0, er_config },
	{ 0x1f, 0, er_hmac },
};

int
kts_ext_resp_parse(const uint8_t *buf, size_t len, const void *key,
    size_t keylen, struct kts_ext_resp *out, struct kts_perr *perr)
{
	struct kts_pctx pc = { buf, perr, 0 };
	struct kts_tlv top;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = kts_tlv_parse(buf, len, &top, perr)) != 0)
		return r;
	if (top.tag != KTS_TAG_EXT_RESP)
		return kts_pfail(&pc, KTS_EFORMAT, &top,
		    "not an extension response PDU (tag 0x321)");
	if ((r = kts_tlv_walk(&top, ext_resp_rules, N_RULES(ext_resp_rules),
	    out, NULL, &pc)) != 0)
		return r;
	if (out->has_error)
		return 0;	/* an error PDU: reported, not checked (7.9) */
	if (!out->has_payload)
		return kts_pfail(&pc, KTS_EFORMAT, &top,
		    "extension response without a payload");
	if (key != NULL && kts_pdu_hmac_check(buf, len, key, keylen) != 0)
		return kts_pfail(&pc, KTS_EVERIFY, &top,
		    "the response's HMAC does not check");
	return 0;
}
