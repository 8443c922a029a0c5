/*
 * verify.c - verification policies (KSI spec section 9).
 *
 * Each rule returns 0 (OK: go on), DECIDED (the result, NA or FAIL, is in
 * res) or a negative error.  Policies run rules in the spec's order; the
 * first decisive rule names the code.
 */
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "pub.h"
#include "verify.h"

#define DECIDED 1

struct vst {
	const struct kts_sig *s;
	const struct kts_vctx *ctx;
	struct kts_vresult *res;
	int internal_ok;	/* the internal policy already passed */
};

static int
decide(struct vst *v, enum kts_verdict verdict, int code, const char *detail)
{
	v->res->verdict = verdict;
	v->res->code = code;
	v->res->detail = detail;
	return DECIDED;
}

#define FAIL(v, code, d) decide((v), KTS_V_FAIL, (code), (d))
#define NA(v, d) decide((v), KTS_V_NA, KTS_VC_GEN_2, (d))

static const struct {
	int code;
	const char *str;
	const char *msg;
} vcodes[] = {
	{ KTS_VC_GEN_1, "GEN-01", "Wrong document" },
	{ KTS_VC_GEN_2, "GEN-02", "Verification inconclusive" },
	{ KTS_VC_GEN_3, "GEN-03", "Input hash level too large" },
	{ KTS_VC_GEN_4, "GEN-04", "Wrong input hash algorithm" },
	{ KTS_VC_INT_1, "INT-01", "Inconsistent aggregation hash chains" },
	{ KTS_VC_INT_2, "INT-02", "Inconsistent aggregation hash chain aggregation times" },
	{ KTS_VC_INT_3, "INT-03", "Calendar hash chain input hash mismatch" },
	{ KTS_VC_INT_4, "INT-04", "Calendar hash chain aggregation time mismatch" },
	{ KTS_VC_INT_5, "INT-05", "Calendar hash chain shape inconsistent with "
	    "aggregation time" },
	{ KTS_VC_INT_6, "INT-06", "Calendar hash chain time inconsistent with calendar "
	    "authentication record time" },
	{ KTS_VC_INT_7, "INT-07", "Calendar hash chain time inconsistent with "
	    "publication time" },
	{ KTS_VC_INT_8, "INT-08", "Calendar hash chain root hash is inconsistent with "
	    "calendar authentication record input hash" },
	{ KTS_VC_INT_9, "INT-09", "Calendar hash chain root hash is inconsistent with "
	    "published hash value" },
	{ KTS_VC_INT_10, "INT-10", "Aggregation hash chain chain index mismatch" },
	{ KTS_VC_INT_11, "INT-11", "The metadata record in the aggregation hash chain "
	    "may not be trusted" },
	{ KTS_VC_INT_12, "INT-12", "Inconsistent chain indexes" },
	{ KTS_VC_INT_13, "INT-13", "Document hash algorithm deprecated at the time of "
	    "signing" },
	{ KTS_VC_INT_14, "INT-14", "RFC 3161 compatibility record composed of hash "
	    "algorithms that were deprecated at the time of signing" },
	{ KTS_VC_INT_15, "INT-15", "Aggregation hash chain uses hash algorithm that was "
	    "deprecated at the time of signing" },
	{ KTS_VC_INT_16, "INT-16", "Calendar hash chain hash algorithm was obsolete at "
	    "publication time" },
	{ KTS_VC_INT_17, "INT-17", "The RFC 3161 compatibility record output hash "
	    "algorithm was deprecated at the time of signing" },
	{ KTS_VC_PUB_1, "PUB-01", "Extender response calendar root hash mismatch" },
	{ KTS_VC_PUB_2, "PUB-02", "Extender response inconsistent" },
	{ KTS_VC_PUB_3, "PUB-03", "Extender response input hash mismatch" },
	{ KTS_VC_PUB_4, "PUB-04", "Publication record hash and user provided "
	    "publication hash mismatch" },
	{ KTS_VC_PUB_5, "PUB-05", "Publication record hash and publications file "
	    "publication hash mismatch" },
	{ KTS_VC_KEY_1, "KEY-01", "Certificate not found" },
	{ KTS_VC_KEY_2, "KEY-02", "PKI signature not verified with certificate" },
	{ KTS_VC_KEY_3, "KEY-03", "Signing certificate not valid at aggregation time" },
	{ KTS_VC_CAL_1, "CAL-01", "Calendar root hash mismatch between signature and "
	    "calendar database chain" },
	{ KTS_VC_CAL_2, "CAL-02", "Aggregation hash chain root hash and calendar "
	    "database hash chain input hash mismatch" },
	{ KTS_VC_CAL_3, "CAL-03", "Aggregation time mismatch" },
	{ KTS_VC_CAL_4, "CAL-04", "Calendar hash chain right links are inconsistent" },
};

const char *
kts_vcode_str(int code)
{
	size_t i;

	for (i = 0; i < sizeof(vcodes) / sizeof(vcodes[0]); i++)
		if (vcodes[i].code == code)
			return vcodes[i].str;
	return "";
}

const char *
kts_vcode_msg(int code)
{
	size_t i;

	for (i = 0; i < sizeof(vcodes) / sizeof(vcodes[0]); i++)
		if (vcodes[i].code == code)
			return vcodes[i].msg;
	return code == KTS_VC_NONE ? "OK" : "Unknown result code";
}

const char *
kts_policy_name(enum kts_policy p)
{
	switch (p) {
	case KTS_POL_INTERNAL:	return "internal";
	case KTS_POL_KEY:	return "key";
	case KTS_POL_CALENDAR:	return "calendar";
	case KTS_POL_PUBFILE:	return "publicationsFile";
	case KTS_POL_USERPUB:	return "userPublication";
	case KTS_POL_GENERAL:	return "general";
	}
	return "unknown";
}

/* ---- internal policy rules (spec 9.3, in order) ------------------------- */

static int
rule_doc_hash(struct vst *v)
{
	const struct kts_imprint *sh = kts_sig_doc_hash(v->s);
	const struct kts_imprint *dh = v->ctx->doc_hash;

	if (dh == NULL)
		return 0;
	if (dh->alg != sh->alg)
		return FAIL(v, KTS_VC_GEN_4,
		    "the document was hashed with another algorithm than the "
		    "signed hash");
	if (!kts_imprint_eq(dh, sh))
		return FAIL(v, KTS_VC_GEN_1,
		    "the document hash differs from the signed hash");
	return 0;
}

static int
rule_level(struct vst *v)
{
	if (v->ctx->level == 0)
		return 0;
	if (v->s->has_rfc3161)
		return FAIL(v, KTS_VC_GEN_3,
		    "an input level was given for a signature with an RFC 3161 "
		    "record");
	if (v->s->chains[0].links[0].corr < v->ctx->level)
		return FAIL(v, KTS_VC_GEN_3,
		    "the first link's level correction is below the input level");
	return 0;
}

static int
deprecated(uint8_t alg, uint64_t t)
{
	return kts_hash_status(alg, (int64_t)t) != KTS_HASH_NORMAL;
}

static int
rule_algorithms(struct vst *v)
{
	const struct kts_sig *s = v->s;
	const struct kts_rfc3161 *rr = &s->rfc3161;

	if (deprecated(kts_sig_doc_hash(s)->alg, s->chains[0].time))
		return FAIL(v, KTS_VC_INT_13,
		    "the document hash algorithm was deprecated at signing time");
	if (s->has_rfc3161) {
		if (rr->tst_alg > 0xff || rr->sa_alg > 0xff ||
		    deprecated((uint8_t)rr->tst_alg, rr->time) ||
		    deprecated((uint8_t)rr->sa_alg, rr->time))
			return FAIL(v, KTS_VC_INT_14,
			    "the RFC 3161 record uses a deprecated algorithm");
		if (deprecated(s->chains[0].input.alg, rr->time))
			return FAIL(v, KTS_VC_INT_17,
			    "the RFC 3161 output hash algorithm was deprecated");
	}
	return 0;
}

/* Hash prefix || digest(x) || suffix with alg into out (spec 4.7). */
static int
splice_hash(uint64_t alg, const uint8_t *pre, size_t prelen,
    const struct kts_imprint *x, const uint8_t *suf, size_t suflen,
    struct kts_imprint *out)
{
	struct kts_hasher h;
	int r;

	if (alg > 0xff || (r = kts_hasher_init(&h, (uint8_t)alg)) != 0)
		return KTS_EINVAL;
	kts_hasher_update(&h, pre, prelen);
	kts_hasher_update(&h, x->d, x->len);
	kts_hasher_update(&h, suf, suflen);
	return kts_hasher_final(&h, out);
}

static int
rule_rfc3161(struct vst *v)
{
	const struct kts_rfc3161 *rr = &v->s->rfc3161;
	const struct kts_imprint *in = &v->s->chains[0].input;
	struct kts_imprint tst;
	struct kts_imprint sa;
	struct kts_imprint out;
	uint8_t b[KTS_IMPRINT_MAX];

	if (!v->s->has_rfc3161)
		return 0;
	/* Spec 4.7: raw digests spliced in, the last step hashes an imprint. */
	if (splice_hash(rr->tst_alg, rr->tst_prefix, rr->tst_prefix_len,
	    &rr->input, rr->tst_suffix, rr->tst_suffix_len, &tst) != 0 ||
	    splice_hash(rr->sa_alg, rr->sa_prefix, rr->sa_prefix_len, &tst,
	    rr->sa_suffix, rr->sa_suffix_len, &sa) != 0 ||
	    kts_hash_buf(in->alg, b, kts_imprint_bytes(&sa, b), &out) != 0)
		return FAIL(v, KTS_VC_INT_1,
		    "the RFC 3161 record cannot be recomputed");
	if (!kts_imprint_eq(&out, in))
		return FAIL(v, KTS_VC_INT_1,
		    "the RFC 3161 record does not hash to the first chain's input");
	return 0;
}

/* Spec 3.5: is this metadata sibling trustworthy?  (rule INT-11) */
static int
meta_ok(const struct kts_aggr_link *l)
{
	const struct kts_hash_alg *a;
	const uint8_t *m = l->sib;
	size_t n = l->sib_len;

	if (!l->meta.has_padding) {
		/* Must not be mistakable for an imprint. */
		a = kts_hash_get(m[0]);
		return !(a != NULL && n == 1u + a->len);
	}
	/* One padding, first, TLV8, N+F (0x7E), value 01 or 01 01, even. */
	if (l->meta.has_padding != 1 || n < 3 || m[0] != 0x7e || n % 2 != 0)
		return 0;
	if (m[1] == 1)
		return m[2] == 0x01;
	if (m[1] == 2)
		return n >= 4 && m[2] == 0x01 && m[3] == 0x01;
	return 0;
}

static int
rule_metadata(struct vst *v)
{
	size_t i;
	size_t j;

	for (i = 0; i < v->s->n_chains; i++) {
		const struct kts_aggr_chain *c = &v->s->chains[i];

		for (j = 0; j < c->n_links; j++)
			if (c->links[j].kind == KTS_SIB_META &&
			    !meta_ok(&c->links[j]))
				return FAIL(v, KTS_VC_INT_11,
				    "a metadata sibling breaks the padding rules");
	}
	return 0;
}

static int
rule_chain_algorithms(struct vst *v)
{
	size_t i;

	for (i = 0; i < v->s->n_chains; i++)
		if (deprecated(v->s->chains[i].alg, v->s->chains[i].time))
			return FAIL(v, KTS_VC_INT_15,
			    "an aggregation algorithm was deprecated at signing "
			    "time");
	return 0;
}

static int
idx_prefix(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	return na <= nb && memcmp(a, b, na * sizeof(*a)) == 0;
}

static int
rule_chain_index(struct vst *v)
{
	const struct kts_sig *s = v->s;
	size_t i;

	/* Spec 4.3: each lower list is its parent's list plus one. */
	for (i = 0; i + 1 < s->n_chains; i++) {
		const struct kts_aggr_chain *lo = &s->chains[i];
		const struct kts_aggr_chain *hi = &s->chains[i + 1];

		if (lo->n_idx != hi->n_idx + 1 ||
		    !idx_prefix(hi->idx, hi->n_idx, lo->idx, lo->n_idx))
			return FAIL(v, KTS_VC_INT_12,
			    "a chain index list does not continue its parent's");
	}
	if (s->has_rfc3161 && (s->rfc3161.n_idx != s->chains[0].n_idx ||
	    !idx_prefix(s->rfc3161.idx, s->rfc3161.n_idx, s->chains[0].idx,
	    s->chains[0].n_idx)))
		return FAIL(v, KTS_VC_INT_12,
		    "the RFC 3161 record's chain index differs from the first "
		    "chain's");
	return 0;
}

static int
rule_chain_times(struct vst *v)
{
	const struct kts_sig *s = v->s;
	size_t i;

	for (i = 1; i < s->n_chains; i++)
		if (s->chains[i].time != s->chains[0].time)
			return FAIL(v, KTS_VC_INT_2,
			    "aggregation chains have different times");
	if (s->has_rfc3161 && s->rfc3161.time != s->chains[0].time)
		return FAIL(v, KTS_VC_INT_2,
		    "the RFC 3161 record's time differs from the chains'");
	return 0;
}

static int
rule_chains(struct vst *v)
{
	const struct kts_sig *s = v->s;
	struct kts_imprint out;
	unsigned level = 0;
	size_t i;
	int r;

	/* Spec 4.2: start at level 0 and carry the level across chains. */
	for (i = 0; i < s->n_chains; i++) {
		if (i > 0 && !kts_imprint_eq(&s->chains[i].input, &out))
			return FAIL(v, KTS_VC_INT_1,
			    "a chain's input hash is not the output of the chain "
			    "below");
		r = kts_aggr_chain_compute(&s->chains[i], &level, &out);
		if (r == KTS_EUNSUPPORTED)
			return NA(v, "a hash algorithm of the signature is not "
			    "available in this build");
		if (r != 0)
			return FAIL(v, KTS_VC_INT_1,
			    "an aggregation chain cannot be computed (unknown "
			    "algorithm or level over 255)");
	}
	v->res->aggr_root = out;
	v->res->has_aggr_root = 1;
	return 0;
}

static int
rule_chain_shapes(struct vst *v)
{
	size_t i;
	uint64_t shape;

	for (i = 0; i < v->s->n_chains; i++) {
		const struct kts_aggr_chain *c = &v->s->chains[i];

		if (kts_aggr_chain_shape(c, &shape) != 0 || c->n_idx == 0 ||
		    c->idx[c->n_idx - 1] != shape)
			return FAIL(v, KTS_VC_INT_10,
			    "a chain's last index does not match its shape");
	}
	return 0;
}

/* 0x07 siblings whose algorithm has the given status at P (spec 9.3-9.7). */
static int
cal_alg_flag(const struct kts_cal_chain *c, enum kts_hash_status st)
{
	size_t i;

	for (i = 0; i < c->n_links; i++)
		if (c->links[i].dir == KTS_LINK_LEFT &&
		    kts_hash_status(c->links[i].sib.alg,
		    (int64_t)c->pub_time) >= st)
			return 1;
	return 0;
}

static int
rule_calendar(struct vst *v)
{
	const struct kts_cal_chain *c = &v->s->cal;
	struct kts_imprint root;
	uint64_t t;
	int r;

	if (!v->s->has_cal)
		return 0;
	if (!kts_imprint_eq(&c->input, &v->res->aggr_root))
		return FAIL(v, KTS_VC_INT_3,
		    "the calendar chain's input is not the aggregation root");
	if (c->aggr_time != v->s->chains[0].time)
		return FAIL(v, KTS_VC_INT_4,
		    "the calendar chain's aggregation time differs from the "
		    "aggregation chains'");
	if (kts_cal_chain_time(c, &t) != 0 || t != c->aggr_time)
		return FAIL(v, KTS_VC_INT_5,
		    "the calendar chain's shape does not give its aggregation "
		    "time");
	if (cal_alg_flag(c, KTS_HASH_OBSOLETE))
		return FAIL(v, KTS_VC_INT_16,
		    "a calendar chain algorithm was obsolete at publication time");
	if ((r = kts_cal_chain_compute(c, &root)) == KTS_EUNSUPPORTED)
		return NA(v, "a calendar hash algorithm is not available in "
		    "this build");
	if (r != 0)
		return r;
	v->res->cal_root = root;
	v->res->has_cal_root = 1;
	return 0;
}

static int
rule_records(struct vst *v)
{
	const struct kts_sig *s = v->s;

	if (!s->has_cal)
		return 0;
	if (s->has_pubrec) {
		if (!kts_imprint_eq(&s->pubrec.data.hash, &v->res->cal_root))
			return FAIL(v, KTS_VC_INT_9,
			    "the publication record's hash is not the calendar "
			    "root");
		if (s->pubrec.data.time != s->cal.pub_time)
			return FAIL(v, KTS_VC_INT_7,
			    "the publication record's time is not the calendar "
			    "chain's publication time");
	} else if (s->has_calauth) {
		if (!kts_imprint_eq(&s->calauth.data.hash, &v->res->cal_root))
			return FAIL(v, KTS_VC_INT_8,
			    "the calendar authentication record's hash is not "
			    "the calendar root");
		if (s->calauth.data.time != s->cal.pub_time)
			return FAIL(v, KTS_VC_INT_6,
			    "the calendar authentication record's time is not "
			    "the calendar chain's publication time");
	}
	return 0;
}

typedef int (*rule_fn)(struct vst *);

static const rule_fn internal_rules[] = {
	rule_doc_hash, rule_level, rule_algorithms, rule_rfc3161,
	rule_metadata, rule_chain_algorithms, rule_chain_index,
	rule_chain_times, rule_chains, rule_chain_shapes, rule_calendar,
	rule_records,
};

static int
policy_internal(struct vst *v)
{
	size_t i;
	int r;

	if (v->internal_ok)
		return 0;
	v->res->aggr_time = kts_sig_signing_time(v->s);
	if (v->s->has_cal) {
		v->res->has_pub_time = 1;
		v->res->pub_time = v->s->cal.pub_time;
	}
	for (i = 0; i < sizeof(internal_rules) / sizeof(internal_rules[0]); i++)
		if ((r = internal_rules[i](v)) != 0)
			return r;
	v->internal_ok = 1;
	return 0;
}

/* ---- key-based policy (spec 9.5) ----------------------------------------- */

static int
policy_key(struct vst *v)
{
	const struct kts_calauth *ca = &v->s->calauth;
	const struct kts_pf_cert *cert;
	int64_t nb;
	int64_t na;
	int r;

	if ((r = policy_internal(v)) != 0)
		return r;
	if (!v->s->has_cal)
		return NA(v, "the signature has no calendar chain");
	if (cal_alg_flag(&v->s->cal, KTS_HASH_DEPRECATED))
		return NA(v, "a calendar chain algorithm was deprecated at "
		    "publication time");
	if (!v->s->has_calauth)
		return NA(v, "the signature has no calendar authentication "
		    "record");
	if (v->ctx->pubfile == NULL)
		return NA(v, "no verified publications file to find the "
		    "certificate in");
	cert = kts_pubfile_cert(v->ctx->pubfile, ca->sig.cert_id,
	    ca->sig.cert_id_len);
	if (cert == NULL)
		return NA(v, "the signing certificate is not in the "
		    "publications file");
	if (kts_cert_validity(cert->der, cert->der_len, &nb, &na) != 0 ||
	    (int64_t)v->s->cal.aggr_time < nb ||
	    (int64_t)v->s->cal.aggr_time > na)
		return FAIL(v, KTS_VC_KEY_3,
		    "the certificate was not valid at the aggregation time");
	if (kts_pki_verify(cert->der, cert->der_len, ca->sig.type,
	    ca->sig.value, ca->sig.value_len, ca->data.raw,
	    ca->data.raw_len) != 0)
		return FAIL(v, KTS_VC_KEY_2,
		    "the calendar authentication record's signature does not "
		    "verify with its certificate");
	return 0;
}

/* ---- asking the extender ---------------------------------------------------- */

/*
 * Get and parse a calendar chain A -> P (P = 0: head).  Returns 0 with
 * *ok = 1 and the chain in out, or 0 with *ok = 0 when the extender failed
 * (the caller reports NA), or KTS_ENOMEM.
 */
static int
ask_extender(struct vst *v, uint64_t a, uint64_t p, uint8_t **buf,
    struct kts_cal_chain *out, int *ok)
{
	struct kts_pctx pc = { NULL, NULL, 0 };
	struct kts_tlv t;
	size_t len = 0;

	*ok = 0;
	*buf = NULL;
	memset(out, 0, sizeof(*out));
	if (v->ctx->extend == NULL ||
	    v->ctx->extend(v->ctx->extend_arg, a, p, buf, &len) != 0)
		return 0;
	pc.base = *buf;
	if (kts_tlv_parse(*buf, len, &t, NULL) != 0 ||
	    t.tag != KTS_TAG_CAL_CHAIN)
		return 0;
	if (kts_cal_chain_parse(&t, out, &pc) != 0) {
		kts_cal_chain_clear(out);
		return 0;
	}
	*ok = 1;
	return 0;
}

static int
right_siblings_equal(const struct kts_cal_chain *a, const struct kts_cal_chain *b)
{
	size_t i = 0;
	size_t j = 0;

	for (;;) {
		while (i < a->n_links && a->links[i].dir != KTS_LINK_RIGHT)
			i++;
		while (j < b->n_links && b->links[j].dir != KTS_LINK_RIGHT)
			j++;
		if (i == a->n_links || j == b->n_links)
			return i == a->n_links && j == b->n_links;
		if (!kts_imprint_eq(&a->links[i].sib, &b->links[j].sib))
			return 0;
		i++;
		j++;
	}
}

/* ---- calendar-based policy (spec 9.4) ------------------------------------ */

static int
calendar_checks(struct vst *v, const struct kts_cal_chain *ext)
{
	const struct kts_sig *s = v->s;
	struct kts_imprint root;

	if (s->has_cal && !s->has_pubrec && !right_siblings_equal(&s->cal, ext))
		return FAIL(v, KTS_VC_CAL_4,
		    "the calendar chain's left-side siblings differ from the "
		    "extender's");
	if (s->has_cal && s->has_pubrec &&
	    (kts_cal_chain_compute(ext, &root) != 0 ||
	    !kts_imprint_eq(&root, &v->res->cal_root)))
		return FAIL(v, KTS_VC_CAL_1,
		    "the calendar root differs from the extender's");
	if (!kts_imprint_eq(&ext->input, &v->res->aggr_root))
		return FAIL(v, KTS_VC_CAL_2,
		    "the extender's chain does not start at the aggregation root");
	if (ext->aggr_time != kts_sig_signing_time(s))
		return FAIL(v, KTS_VC_CAL_3,
		    "the extender's chain has another aggregation time");
	return 0;
}

static int
policy_calendar(struct vst *v)
{
	struct kts_cal_chain ext;
	uint8_t *buf = NULL;
	int ok;
	int r;

	if ((r = policy_internal(v)) != 0)
		return r;
	if ((r = ask_extender(v, kts_sig_signing_time(v->s),
	    v->s->has_cal ? v->s->cal.pub_time : 0, &buf, &ext, &ok)) != 0)
		return r;
	if (!ok)
		r = NA(v, "the extender gave no usable calendar chain");
	else
		r = calendar_checks(v, &ext);
	kts_cal_chain_clear(&ext);
	free(buf);
	return r;
}

/* ---- publication-based policies (spec 9.6, 9.7) ----------------------------- */

/*
 * Extend to publication (p, hash) and compare: PUB-1 root, PUB-2 times,
 * PUB-3 input.
 */
static int
extend_to_pub(struct vst *v, uint64_t p, const struct kts_imprint *hash)
{
	struct kts_cal_chain ext;
	struct kts_imprint root;
	uint8_t *buf = NULL;
	int ok;
	int r;

	if (!v->ctx->extend_ok)
		return NA(v, "extending is not permitted");
	if ((r = ask_extender(v, kts_sig_signing_time(v->s), p, &buf, &ext,
	    &ok)) != 0)
		return r;
	if (!ok)
		r = NA(v, "the extender gave no usable calendar chain");
	else if (cal_alg_flag(&ext, KTS_HASH_DEPRECATED))
		r = NA(v, "the extended calendar chain uses a deprecated "
		    "algorithm");
	else if (kts_cal_chain_compute(&ext, &root) != 0 ||
	    !kts_imprint_eq(&root, hash))
		r = FAIL(v, KTS_VC_PUB_1,
		    "the extended calendar chain does not reach the published "
		    "hash");
	else if (ext.pub_time != p ||
	    ext.aggr_time != kts_sig_signing_time(v->s))
		r = FAIL(v, KTS_VC_PUB_2,
		    "the extender's chain has other times than asked for");
	else if (!kts_imprint_eq(&ext.input, &v->res->aggr_root))
		r = FAIL(v, KTS_VC_PUB_3,
		    "the extender's chain does not start at the aggregation root");
	kts_cal_chain_clear(&ext);
	free(buf);
	return r;
}

static int
policy_pubfile(struct vst *v)
{
	const struct kts_pubfile *pf = v->ctx->pubfile;
	const struct kts_pubrec *pr = NULL;
	int r;

	if ((r = policy_internal(v)) != 0)
		return r;
	if (pf == NULL)
		return NA(v, "no verified publications file");
	if (v->s->has_pubrec)
		pr = kts_pubfile_find(pf, v->s->pubrec.data.time);
	if (pr != NULL) {
		if (!kts_imprint_eq(&pr->data.hash, &v->s->pubrec.data.hash))
			return FAIL(v, KTS_VC_PUB_5,
			    "the publications file has another hash for the "
			    "signature's publication time");
		if (cal_alg_flag(&v->s->cal, KTS_HASH_DEPRECATED))
			return NA(v, "a calendar chain algorithm was deprecated "
			    "at publication time");
		return 0;
	}
	pr = kts_pubfile_nearest(pf, kts_sig_signing_time(v->s));
	if (pr == NULL)
		return NA(v, "the publications file has no publication after "
		    "the signing time");
	return extend_to_pub(v, pr->data.time, &pr->data.hash);
}

static int
policy_userpub(struct vst *v)
{
	const struct kts_vctx *c = v->ctx;
	const struct kts_sig *s = v->s;
	int r;

	if ((r = policy_internal(v)) != 0)
		return r;
	if (!c->has_user_pub)
		return NA(v, "no user publication given");
	if (s->has_pubrec && s->pubrec.data.time == c->user_pub_time) {
		if (!kts_imprint_eq(&s->pubrec.data.hash, &c->user_pub_hash))
			return FAIL(v, KTS_VC_PUB_4,
			    "the signature's publication hash differs from the "
			    "user publication");
		if (cal_alg_flag(&s->cal, KTS_HASH_DEPRECATED))
			return NA(v, "a calendar chain algorithm was deprecated "
			    "at publication time");
		return 0;
	}
	if (kts_sig_signing_time(s) >= c->user_pub_time)
		return NA(v, "the user publication is not later than the "
		    "signing time");
	return extend_to_pub(v, c->user_pub_time, &c->user_pub_hash);
}

static int
policy_general(struct vst *v)
{
	int r;

	/* A failure here is the internal policy's, and says so. */
	v->res->policy = KTS_POL_INTERNAL;
	if ((r = policy_internal(v)) != 0)
		return r;
	if (v->ctx->has_user_pub) {
		v->res->policy = KTS_POL_USERPUB;
		return policy_userpub(v);
	}
	v->res->policy = KTS_POL_PUBFILE;
	if ((r = policy_pubfile(v)) != DECIDED || v->res->verdict != KTS_V_NA)
		return r;
	v->res->policy = KTS_POL_KEY;
	return policy_key(v);
}

int
kts_verify(const struct kts_sig *sig, enum kts_policy pol,
    const struct kts_vctx *ctx, struct kts_vresult *res)
{
	struct vst v = { sig, ctx, res, 0 };
	int r;

	memset(res, 0, sizeof(*res));
	res->policy = pol;
	switch (pol) {
	case KTS_POL_INTERNAL:	r = policy_internal(&v); break;
	case KTS_POL_KEY:	r = policy_key(&v); break;
	case KTS_POL_CALENDAR:	r = policy_calendar(&v); break;
	case KTS_POL_PUBFILE:	r = policy_pubfile(&v); break;
	case KTS_POL_USERPUB:	r = policy_userpub(&v); break;
	case KTS_POL_GENERAL:	r = policy_general(&v); break;
	default:		return KTS_EINVAL;
	}
	if (r < 0)
		return r;
	if (r == 0) {
		res->verdict = KTS_V_OK;
		res->code = KTS_VC_NONE;
		res->detail = "all rules passed";
	}
	return 0;
}
