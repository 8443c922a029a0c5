/*
 * pdu.c - PDU v2 (KSI spec 7): envelope, HMAC, extension responses, the
 * requests a server parses, the PDUs clients and servers build, and the
 * aggregation response a client turns into a signature.
 */
#include <string.h>

#include "limits.h"
#include "pdu.h"
#include "sig.h"
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
er_req_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct kts_ext_resp *)ctx)->req_id);
}

static int
er_status(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct kts_ext_resp *)ctx)->status);
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
	return kts_tlv_get_u64(t, pc, &r->cal_last);
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

/* ---- the envelope of a v2 PDU (spec 7.1) --------------------------------- */

/*
 * What one pass over a PDU's children found.  Payload contents are decoded
 * afterwards, so that an envelope defect always wins over a payload defect
 * (status 0x0101 before 0x0103) and a payload defect is reported with the
 * login id and HMAC already known.
 */
struct env {
	struct kts_tlv el[6];	/* by tag: 1 header .. 5 ack; 0 the HMAC */
	uint8_t has[6];		/* el[i] was present */
	size_t n_known;		/* recognized children seen so far */
};

#define ENV_HMAC 0

static int
env_elem(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct env *e = ctx;
	size_t i = t->tag == 0x1f ? ENV_HMAC : t->tag;

	/* Spec 7.1: the header is the first recognized element. */
	if (t->tag == 0x01 && e->n_known > 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "the header is not the first element");
	e->n_known++;
	e->el[i] = *t;
	e->has[i] = 1;
	return 0;
}

/* Requests (spec 7.1): no error payload; 0x05 only for the aggregator. */
static const struct kts_tlv_rule aggr_req_env[] = {
	{ 0x01, 0, env_elem },
	{ 0x02, 0, env_elem },
	{ 0x04, 0, env_elem },
	{ 0x05, 0, env_elem },
	{ 0x1f, 0, env_elem },
};

static const struct kts_tlv_rule ext_req_env[] = {
	{ 0x01, 0, env_elem },
	{ 0x02, 0, env_elem },
	{ 0x04, 0, env_elem },
	{ 0x1f, 0, env_elem },
};

static const struct kts_tlv_rule aggr_resp_env[] = {
	{ 0x01, 0, env_elem },
	{ 0x02, 0, env_elem },
	{ 0x03, 0, env_elem },
	{ 0x04, 0, env_elem },
	{ 0x05, 0, env_elem },
	{ 0x1f, 0, env_elem },
};

/*
 * env_walk - one pass over top's children with rules; then the HMAC, if
 * present, must end exactly where the PDU does (spec 7.3: it covers every
 * byte before its digest, so nothing may follow it).
 */
static int
env_walk(const struct kts_tlv *top, const struct kts_tlv_rule *rules,
    size_t nrules, struct env *e, struct kts_pctx *pc)
{
	const struct kts_tlv *h = &e->el[ENV_HMAC];
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = kts_tlv_walk(top, rules, nrules, e, NULL, pc)) != 0)
		return r;
	if (e->has[ENV_HMAC] && h->val + h->len != top->val + top->len)
		return kts_pfail(pc, KTS_EFORMAT, h,
		    "the HMAC is not the last element");
	return 0;
}

/* ---- requests, as a server sees them (spec 7.2, 7.4-7.8, 7.14) ----------- */

static int
rq_login(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (kts_tlv_str(t, &((struct kts_req_pdu *)ctx)->login_id) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad login id");
	return 0;
}

static int
rq_instance(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_req_pdu *q = ctx;

	q->has_instance_id = 1;
	return kts_tlv_get_u64(t, pc, &q->instance_id);
}

static int
rq_message(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_req_pdu *q = ctx;

	q->has_message_id = 1;
	return kts_tlv_get_u64(t, pc, &q->message_id);
}

static const struct kts_tlv_rule req_hdr_rules[] = {
	{ 0x01, KTS_R_MANDATORY, rq_login },
	{ 0x02, 0, rq_instance },
	{ 0x03, 0, rq_message },
};

static int
aq_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct kts_aggr_req *)ctx)->req_id);
}

static int
aq_hash(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_aggr_req *q = ctx;

	/* Spec 7.4: an imprint of a defined algorithm. */
	if (kts_imprint_parse(t->val, t->len, &q->hash) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "bad request hash imprint");
	return 0;
}

static int
aq_level(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	uint64_t *level = &((struct kts_aggr_req *)ctx)->level;
	int r;

	/* Spec 4.2: levels are one byte. */
	if ((r = kts_tlv_get_u64(t, pc, level)) != 0)
		return r;
	if (*level > 255)
		return kts_pfail(pc, KTS_EFORMAT, t, "request level over 255");
	return 0;
}

static const struct kts_tlv_rule aggr_req_rules[] = {
	{ 0x01, KTS_R_MANDATORY, aq_id },
	{ 0x02, KTS_R_MANDATORY, aq_hash },
	{ 0x03, 0, aq_level },
};

static int
eq_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct kts_ext_req *)ctx)->req_id);
}

static int
eq_aggr(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_req *q = ctx;

	q->has_aggr_time = 1;
	return kts_tlv_get_u64(t, pc, &q->aggr_time);
}

static int
eq_pub(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_ext_req *q = ctx;

	q->has_pub_time = 1;
	return kts_tlv_get_u64(t, pc, &q->pub_time);
}

static const struct kts_tlv_rule ext_req_rules[] = {
	{ 0x01, KTS_R_MANDATORY, eq_id },
	{ 0x02, 0, eq_aggr },
	{ 0x03, 0, eq_pub },
};

static int
ack_time(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	uint64_t v;

	return kts_tlv_get_u64(t, pc, &v);
}

/* Spec 7.7: an acknowledgement request may carry the request time. */
static const struct kts_tlv_rule ack_req_rules[] = {
	{ 0x01, 0, ack_time },
};

/*
 * req_envelope - header, HMAC and payload counts of a request (spec 7.1,
 * 7.14).  Every failure here is KTS_EFORMAT (status 0x0101).
 */
static int
req_envelope(const struct kts_tlv *top, struct env *e, struct kts_req_pdu *out,
    struct kts_pctx *pc)
{
	struct kts_imprint mac;
	int ext = top->tag == KTS_TAG_EXT_REQ;
	int r;

	if ((r = env_walk(top, ext ? ext_req_env : aggr_req_env,
	    ext ? N_RULES(ext_req_env) : N_RULES(aggr_req_env), e, pc)) != 0)
		return r;
	if (!e->has[0x01])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "request without a header");
	if (!e->has[ENV_HMAC])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "request without an HMAC");
	if (!e->has[0x02] && !e->has[0x04] && !e->has[0x05])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "request without a payload");
	if ((r = kts_tlv_walk(&e->el[0x01], req_hdr_rules,
	    N_RULES(req_hdr_rules), out, NULL, pc)) != 0)
		return r;
	if (kts_imprint_parse(e->el[ENV_HMAC].val, e->el[ENV_HMAC].len, &mac)
	    != 0)
		return kts_pfail(pc, KTS_EFORMAT, &e->el[ENV_HMAC],
		    "bad HMAC imprint");
	out->hmac_alg = mac.alg;
	out->has_req = e->has[0x02];
	out->has_conf = e->has[0x04];
	out->has_ack = e->has[0x05];
	return 0;
}

/*
 * req_payloads - decode the payloads the envelope found.  Any defect in
 * them is KTS_ENOTFOUND (status 0x0103, spec 7.10).
 */
static int
req_payloads(const struct env *e, struct kts_req_pdu *out,
    struct kts_pctx *pc)
{
	int r = 0;

	if (out->has_req && out->tag == KTS_TAG_AGGR_REQ)
		r = kts_tlv_walk(&e->el[0x02], aggr_req_rules,
		    N_RULES(aggr_req_rules), &out->aggr, NULL, pc);
	else if (out->has_req)
		r = kts_tlv_walk(&e->el[0x02], ext_req_rules,
		    N_RULES(ext_req_rules), &out->ext, NULL, pc);
	/* Spec 7.6: the configuration request is empty; unknown critical
	 * children are rejected, non-critical ones skipped. */
	if (r == 0 && out->has_conf)
		r = kts_tlv_walk(&e->el[0x04], NULL, 0, NULL, NULL, pc);
	if (r == 0 && out->has_ack)
		r = kts_tlv_walk(&e->el[0x05], ack_req_rules,
		    N_RULES(ack_req_rules), NULL, NULL, pc);
	return r == KTS_EFORMAT ? KTS_ENOTFOUND : r;
}

int
kts_req_parse(const uint8_t *buf, size_t len, struct kts_req_pdu *out,
    struct kts_perr *perr)
{
	struct kts_pctx pc = { buf, perr, 0 };
	struct kts_tlv top;
	struct env e;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = kts_tlv_parse(buf, len, &top, perr)) != 0)
		return r;
	if (top.tag != KTS_TAG_AGGR_REQ && top.tag != KTS_TAG_EXT_REQ)
		return kts_pfail(&pc, KTS_EFORMAT, &top,
		    "not a request PDU (tag 0x220 or 0x320)");
	out->tag = top.tag;
	if ((r = req_envelope(&top, &e, out, &pc)) != 0)
		return r;
	return req_payloads(&e, out, &pc);
}

/* ---- building PDUs (spec 7.1-7.3) ---------------------------------------- */

/* cut - on failure, drop what was written since mark. */
static int
cut(struct kts_wr *wr, size_t mark, int r)
{
	if (r != 0 && mark <= wr->len)
		wr->len = mark;
	return r;
}

int
kts_pdu_begin(struct kts_wr *wr, uint16_t tag, const char *login_id,
    size_t *mark)
{
	size_t h;
	int r;

	/* A failed put writes nothing, so only the header needs cutting. */
	if ((r = kts_wr_tlv_begin(wr, tag, 0, mark)) != 0)
		return r;
	if (login_id == NULL)
		return 0;
	if ((r = kts_wr_tlv_begin(wr, 0x01, 0, &h)) != 0 ||
	    (r = kts_wr_tlv_str(wr, 0x01, 0, login_id)) != 0 ||
	    (r = kts_wr_tlv_end(wr, h)) != 0)
		return cut(wr, *mark, r);
	return 0;
}

int
kts_pdu_end(struct kts_wr *wr, size_t mark, uint8_t alg, const void *key,
    size_t keylen)
{
	struct kts_imprint mac;
	uint8_t b[KTS_IMPRINT_MAX];
	int r;

	if (key == NULL)
		return cut(wr, mark, kts_wr_tlv_end(wr, mark));
	/* Spec 7.3: a zero-digest placeholder last, the outer length fixed,
	 * then the HMAC of every byte but the digest goes in its place. */
	if ((r = kts_imprint_zero(alg, &mac)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x1f, 0, b, kts_imprint_bytes(&mac, b))) != 0 ||
	    (r = kts_wr_tlv_end(wr, mark)) != 0 ||
	    (r = kts_hmac(alg, key, keylen, wr->p + mark,
	    wr->len - mark - mac.len, &mac)) != 0)
		return cut(wr, mark, r);
	memcpy(wr->p + wr->len - mac.len, mac.d, mac.len);
	return 0;
}

int
kts_pdu_error(struct kts_wr *wr, uint16_t resp_tag, uint64_t status,
    const char *message)
{
	size_t m;
	size_t e;
	int r;

	if (resp_tag != KTS_TAG_AGGR_RESP && resp_tag != KTS_TAG_EXT_RESP)
		return KTS_EINVAL;
	if ((r = kts_pdu_begin(wr, resp_tag, NULL, &m)) != 0)
		return r;
	if ((r = kts_wr_tlv_begin(wr, 0x03, 0, &e)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x04, 0, status)) != 0)
		return cut(wr, m, r);
	if (message != NULL &&
	    (r = kts_wr_tlv_str(wr, 0x05, 0, message)) != 0)
		return cut(wr, m, r);
	if ((r = kts_wr_tlv_end(wr, e)) != 0)
		return cut(wr, m, r);
	return kts_pdu_end(wr, m, 0, NULL, 0);
}

static int
put_imprint(struct kts_wr *wr, uint16_t tag, const struct kts_imprint *im)
{
	uint8_t b[KTS_IMPRINT_MAX];

	return kts_wr_tlv(wr, tag, 0, b, kts_imprint_bytes(im, b));
}

int
kts_aggr_req_build(struct kts_wr *wr, const char *login, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id,
    const struct kts_imprint *hash, uint64_t level)
{
	size_t m;
	size_t p;
	int r;

	if ((r = kts_pdu_begin(wr, KTS_TAG_AGGR_REQ, login, &m)) != 0)
		return r;
	if ((r = kts_wr_tlv_begin(wr, 0x02, 0, &p)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, req_id)) != 0 ||
	    (r = put_imprint(wr, 0x02, hash)) != 0)
		return cut(wr, m, r);
	/* Spec 7.4: libksi omits level 0. */
	if (level > 0 && (r = kts_wr_tlv_u64(wr, 0x03, 0, level)) != 0)
		return cut(wr, m, r);
	if ((r = kts_wr_tlv_end(wr, p)) != 0)
		return cut(wr, m, r);
	return kts_pdu_end(wr, m, hmac_alg, key, keylen);
}

int
kts_ext_req_build(struct kts_wr *wr, const char *login, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id, uint64_t aggr_time,
    uint64_t pub_time)
{
	size_t m;
	size_t p;
	int r;

	if ((r = kts_pdu_begin(wr, KTS_TAG_EXT_REQ, login, &m)) != 0)
		return r;
	if ((r = kts_wr_tlv_begin(wr, 0x02, 0, &p)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, req_id)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, aggr_time)) != 0)
		return cut(wr, m, r);
	/* Spec 7.8: no publication time = extend to the calendar head. */
	if (pub_time > 0 && (r = kts_wr_tlv_u64(wr, 0x03, 0, pub_time)) != 0)
		return cut(wr, m, r);
	if ((r = kts_wr_tlv_end(wr, p)) != 0)
		return cut(wr, m, r);
	return kts_pdu_end(wr, m, hmac_alg, key, keylen);
}

int
kts_conf_req_build(struct kts_wr *wr, uint16_t tag, const char *login,
    const void *key, size_t keylen, uint8_t hmac_alg)
{
	size_t m;
	int r;

	if (tag != KTS_TAG_AGGR_REQ && tag != KTS_TAG_EXT_REQ)
		return KTS_EINVAL;
	if ((r = kts_pdu_begin(wr, tag, login, &m)) != 0)
		return r;
	/* Spec 7.6: the configuration request is an empty 0x04. */
	if ((r = kts_wr_tlv(wr, 0x04, 0, NULL, 0)) != 0)
		return cut(wr, m, r);
	return kts_pdu_end(wr, m, hmac_alg, key, keylen);
}

/* ---- the client's view of an aggregation response (spec 7.5, 7.11) ------- */

/* The fields of a response payload that are not copied into a signature. */
struct aggr_resp {
	uint64_t req_id;
	uint64_t status;
	const char *message;
};

static int
ar_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct aggr_resp *)ctx)->req_id);
}

static int
ar_status(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct aggr_resp *)ctx)->status);
}

static int
ar_message(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (kts_tlv_str(t, &((struct aggr_resp *)ctx)->message) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad error message");
	return 0;
}

static int
ar_keep(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return 0;	/* copied into the signature, parsed there */
}

/*
 * Spec 7.5.  0x10 and 0x11 are the legacy configuration and
 * acknowledgement tags: known, and dropped (spec 7.11 step 4).  There is
 * no 0x803 or 0x806: an unknown critical element.
 */
static const struct kts_tlv_rule aggr_resp_rules[] = {
	{ 0x01, KTS_R_MANDATORY, ar_id },
	{ 0x04, 0, ar_status },
	{ 0x05, 0, ar_message },
	{ 0x10, 0, ar_keep },
	{ 0x11, 0, ar_keep },
	{ KTS_TAG_AGGR_CHAIN, KTS_R_LIST, ar_keep },
	{ KTS_TAG_CAL_CHAIN, 0, ar_keep },
	{ KTS_TAG_AGGR_AUTH, 0, ar_keep },
	{ KTS_TAG_CAL_AUTH, 0, ar_keep },
};

/* sig_child - 1 if a response payload child goes into the signature. */
static int
sig_child(uint16_t tag)
{
	return tag != 0x01 && tag != 0x04 && tag != 0x05 && tag != 0x10 &&
	    tag != 0x11;
}

/*
 * resp_decode - the structure of a whole aggregation response: envelope,
 * the error payload into *err, the response payload into *ar.  Every
 * failure is KTS_EFORMAT.
 */
static int
resp_decode(const struct kts_tlv *top, struct env *e, struct kts_ext_resp *err,
    struct aggr_resp *ar, struct kts_pctx *pc)
{
	int r;

	memset(err, 0, sizeof(*err));
	memset(ar, 0, sizeof(*ar));
	if ((r = env_walk(top, aggr_resp_env, N_RULES(aggr_resp_env), e,
	    pc)) != 0)
		return r;
	if (e->has[0x01] && (r = kts_tlv_walk(&e->el[0x01], hdr_rules,
	    N_RULES(hdr_rules), err, NULL, pc)) != 0)
		return r;
	if (e->has[0x03] && (r = kts_tlv_walk(&e->el[0x03], error_rules,
	    N_RULES(error_rules), err, NULL, pc)) != 0)
		return r;
	if (e->has[0x02])
		r = kts_tlv_walk(&e->el[0x02], aggr_resp_rules,
		    N_RULES(aggr_resp_rules), ar, NULL, pc);
	return r;
}

/*
 * resp_auth - spec 7.11 step 2: header, payload and HMAC present, the HMAC
 * of the algorithm the client uses (spec 7.3) and correct under key.
 */
static int
resp_auth(const struct kts_tlv *top, const struct env *e, const void *key,
    size_t keylen, uint8_t hmac_alg, struct kts_pctx *pc)
{
	const struct kts_tlv *h = &e->el[ENV_HMAC];

	if (!e->has[0x01])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "response without a header");
	if (!e->has[ENV_HMAC])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "response without an HMAC");
	if (!e->has[0x02])
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "response without a response payload");
	if (h->len < 1 || h->val[0] != hmac_alg)
		return kts_pfail(pc, KTS_EVERIFY, h, "HMAC algorithm mismatch");
	if (kts_pdu_hmac_check(top->hdr, kts_tlv_size(top), key, keylen) != 0)
		return kts_pfail(pc, KTS_EVERIFY, h,
		    "the response's HMAC does not check");
	return 0;
}

/*
 * resp_error - spec 7.9: report the error payload's status and message.
 * An error payload that says "success" is malformed.
 */
static int
resp_error(const struct kts_ext_resp *err, const struct kts_tlv *t,
    uint64_t *status, const char **message, struct kts_pctx *pc)
{
	if (err->status == 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "error payload with status 0");
	*status = err->status;
	if (message != NULL)
		*message = err->message;
	return 0;
}

/*
 * put_link - one aggregation link from its parsed fields, add added to
 * its level correction (canonical order, spec 3.3, 4.6).
 */
static int
put_link(struct kts_wr *wr, const struct kts_aggr_link *l, uint64_t add)
{
	size_t m;
	size_t i;
	int r;

	if (add > UINT64_MAX - l->corr)
		return KTS_EFORMAT;
	if ((r = kts_wr_tlv_begin(wr, l->dir, 0, &m)) != 0)
		return r;
	if ((l->has_corr || l->corr + add > 0) &&
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, l->corr + add)) != 0)
		return r;
	if (l->kind == KTS_SIB_META)
		r = kts_wr_put(wr, l->meta_tlv, l->meta_tlv_len);
	else
		r = kts_wr_tlv(wr, l->kind, 0, l->sib, l->sib_len);
	for (i = 0; r == 0 && i < l->unknown.n; i++)
		r = kts_wr_put(wr, l->unknown.v[i].p, l->unknown.v[i].len);
	if (r != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

/*
 * put_chain_level - the 0x801 element of c re-serialized from its fields,
 * with level added to the first link's level correction (spec 4.2, 7.11
 * step 5).
 */
static int
put_chain_level(struct kts_wr *wr, const struct kts_aggr_chain *c,
    uint64_t level)
{
	size_t m;
	size_t i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_AGGR_CHAIN, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, c->time)) != 0)
		return r;
	for (i = 0; i < c->n_idx; i++)
		if ((r = kts_wr_tlv_u64(wr, 0x03, 0, c->idx[i])) != 0)
			return r;
	if (c->input_data != NULL && (r = kts_wr_tlv(wr, 0x04, 0,
	    c->input_data, c->input_data_len)) != 0)
		return r;
	if ((r = put_imprint(wr, 0x05, &c->input)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x06, 0, c->alg)) != 0)
		return r;
	for (i = 0; i < c->n_links; i++)
		if ((r = put_link(wr, &c->links[i], i == 0 ? level : 0)) != 0)
			return r;
	for (i = 0; i < c->unknown.n; i++)
		if ((r = kts_wr_put(wr, c->unknown.v[i].p,
		    c->unknown.v[i].len)) != 0)
			return r;
	return kts_wr_tlv_end(wr, m);
}

/*
 * put_sig - a 0x800 element holding the children of parent that
 * sig_child() accepts, original bytes in original order (spec 7.11 step
 * 4); the child starting at swap (if not NULL) is replaced by its chain
 * with level added.
 */
static int
put_sig(struct kts_wr *wr, const struct kts_tlv *parent, const uint8_t *swap,
    const struct kts_aggr_chain *c, uint64_t level)
{
	struct kts_tlv t;
	struct kts_rd rd;
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_SIG, 0, &m)) != 0)
		return r;
	kts_rd_init(&rd, parent->val, parent->len);
	while (r == 0 && kts_rd_left(&rd) > 0) {
		if ((r = kts_tlv_read(&rd, &t)) != 0)
			return KTS_EINTERNAL;	/* walked once already */
		if (t.hdr == swap)
			r = put_chain_level(wr, c, level);
		else if (sig_child(t.tag))
			r = kts_wr_put(wr, t.hdr, kts_tlv_size(&t));
	}
	if (r != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

/*
 * resp_sig - the signature of a response payload (spec 7.11 steps 4-5).
 * The signature parser's failure is reported at the payload.
 */
static int
resp_sig(const struct kts_tlv *pay, uint64_t level, struct kts_sig **out,
    struct kts_pctx *pc)
{
	struct kts_perr sperr = { 0, 0, NULL };
	struct kts_sig *tmp = NULL;
	struct kts_tlv top;
	struct kts_wr wr;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = put_sig(&wr, pay, NULL, NULL, 0)) != 0 ||
	    (r = kts_sig_parse(wr.p, wr.len, &tmp, &sperr)) != 0)
		goto out;
	if (level > 0) {
		/* The lowest chain is found on the parsed signature. */
		wr.len = 0;
		if ((r = kts_tlv_parse(tmp->buf, tmp->len, &top, NULL)) != 0 ||
		    (r = put_sig(&wr, &top, tmp->chains[0].raw, &tmp->chains[0],
		    level)) != 0 ||
		    (r = kts_sig_parse(wr.p, wr.len, out, &sperr)) != 0)
			goto out;
	} else {
		*out = tmp;
		tmp = NULL;
	}
out:
	if (r != 0 && sperr.what != NULL)
		r = kts_pfail(pc, r, pay, sperr.what);
	kts_sig_free(tmp);
	kts_wr_free(&wr);
	return r;
}

int
kts_aggr_resp_to_sig(const uint8_t *buf, size_t len, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id, uint64_t level,
    uint64_t *status, const char **message, struct kts_sig **out,
    struct kts_perr *perr)
{
	struct kts_pctx pc = { buf, perr, 0 };
	struct kts_ext_resp err;
	struct aggr_resp ar;
	struct kts_tlv top;
	struct env e;
	int r;

	*out = NULL;
	*status = 0;
	if (message != NULL)
		*message = NULL;
	if (level > 255)
		return KTS_EINVAL;	/* spec 4.2: levels are one byte */
	if ((r = kts_tlv_parse(buf, len, &top, perr)) != 0)
		return r;
	if (top.tag != KTS_TAG_AGGR_RESP)
		return kts_pfail(&pc, KTS_EFORMAT, &top,
		    "not an aggregation response PDU (tag 0x221)");
	if ((r = resp_decode(&top, &e, &err, &ar, &pc)) != 0)
		return r;
	/* Spec 7.9, 7.11 step 1: an error payload first, unauthenticated. */
	if (e.has[0x03])
		return resp_error(&err, &e.el[0x03], status, message, &pc);
	if ((r = resp_auth(&top, &e, key, keylen, hmac_alg, &pc)) != 0)
		return r;
	if (ar.req_id != req_id)
		return kts_pfail(&pc, KTS_EVERIFY, &e.el[0x02],
		    "the response's request id is not the request's");
	*status = ar.status;
	if (message != NULL)
		*message = ar.message;
	if (ar.status != 0)
		return 0;
	return resp_sig(&e.el[0x02], level, out, &pc);
}
