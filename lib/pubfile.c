/*
 * pubfile.c - the publications file (KSI spec 6.3, 6.4): parse, look up,
 * and verify its CMS signature and signer.
 *
 * Layout: "KSIPUBLF", then top-level TLVs: 0x701 header (first, once),
 * 0x702 certificate records, 0x703 publication records, 0x704 PKI
 * signature (once, last), in non-decreasing tag order (spec 1.3 c).
 * Unknown non-critical elements are skipped between the header and the
 * signature; unknown critical ones are rejected.  The signature signs
 * bytes [0, offset of the 0x704 header) of the file.
 *
 * Parsing runs two passes over an owned copy of the file: the first checks
 * the element sequence and counts records (so the arrays are allocated
 * once, after the caps are checked), the second decodes each element.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "limits.h"
#include "pub.h"
#include "rd.h"
#include "tlv.h"

#define MAGIC_LEN 8

/*
 * A creation time at or above this can only be milliseconds: as seconds
 * it would be after the year 5000, as milliseconds it is 1973.
 */
#define CREATED_MS_THRESHOLD 100000000000ull

/* What the first pass learnt about the element sequence. */
struct scan {
	size_t n_certs;		/* 0x702 elements */
	size_t n_pubs;		/* 0x703 elements */
	uint16_t last;		/* last known tag, 0 before the header */
};

static int
is_known(uint16_t tag)
{
	return tag >= KTS_TAG_PF_HEADER && tag <= KTS_TAG_PF_SIG;
}

static int
check_magic(const uint8_t *buf, size_t len, struct kts_perr *perr)
{
	if (len > KTS_MAX_PUBFILE)
		return kts_perr_set(perr, KTS_ETOOBIG, 0, 0,
		    "publications file larger than KTS_MAX_PUBFILE");
	if (len < MAGIC_LEN) {
		if (memcmp(buf, KTS_PUBFILE_MAGIC, len) == 0)
			return kts_perr_set(perr, KTS_ETRUNC, len, 0,
			    "file ends inside the magic");
		return kts_perr_set(perr, KTS_EFORMAT, 0, 0,
		    "not a publications file (bad magic)");
	}
	if (memcmp(buf, KTS_PUBFILE_MAGIC, MAGIC_LEN) != 0)
		return kts_perr_set(perr, KTS_EFORMAT, 0, 0,
		    "not a publications file (bad magic)");
	return 0;
}

/* Read the next top-level element; ETRUNC with perr if it is cut off. */
static int
next_element(struct kts_rd *rd, struct kts_tlv *t, struct kts_pctx *pc)
{
	int r;

	if ((r = kts_tlv_read(rd, t)) != 0)
		return kts_perr_set(pc->perr, r, rd->off, 0,
		    "element runs past the end of the file");
	return 0;
}

/* Spec 6.3 / 1.3 (c): one header first, tag order, one signature last. */
static int
scan_one(struct scan *sc, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (sc->last == KTS_TAG_PF_SIG)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "element after the signature");
	if (!is_known(t->tag) && !(t->flags & KTS_TLV_N))
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "unknown critical element");
	if (sc->last == 0 && t->tag != KTS_TAG_PF_HEADER)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "header is not the first element");
	if (!is_known(t->tag))
		return 0;
	if (t->tag < sc->last)
		return kts_pfail(pc, KTS_EFORMAT, t, "elements out of order");
	if (t->tag == KTS_TAG_PF_HEADER && sc->last == KTS_TAG_PF_HEADER)
		return kts_pfail(pc, KTS_EFORMAT, t, "header repeated");
	if (t->tag == KTS_TAG_PF_CERT)
		sc->n_certs++;
	if (t->tag == KTS_TAG_PF_PUB)
		sc->n_pubs++;
	if (sc->n_certs + sc->n_pubs > KTS_MAX_PUBFILE_RECORDS)
		return kts_pfail(pc, KTS_ETOOBIG, t,
		    "more records than KTS_MAX_PUBFILE_RECORDS");
	sc->last = t->tag;
	return 0;
}

static int
scan_file(const struct kts_pubfile *pf, struct scan *sc, struct kts_pctx *pc)
{
	struct kts_tlv t;
	struct kts_rd rd;
	int r;

	kts_rd_init(&rd, pf->buf, pf->len);
	rd.off = MAGIC_LEN;
	while (kts_rd_left(&rd) > 0) {
		if ((r = next_element(&rd, &t, pc)) != 0 ||
		    (r = scan_one(sc, &t, pc)) != 0)
			return r;
	}
	if (sc->last != KTS_TAG_PF_SIG)
		return kts_perr_set(pc->perr, KTS_ETRUNC, pf->len, 0,
		    "file ends before the signature element");
	return 0;
}

static int
hdr_version(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pubfile *pf = ctx;

	if (kts_tlv_u64(t, &pf->version) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad version integer");
	return 0;
}

static int
hdr_created(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pubfile *pf = ctx;

	if (kts_tlv_u64(t, &pf->created) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad creation time");
	return 0;
}

static int
hdr_uri(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pubfile *pf = ctx;

	/* Spec 6.3: a non-empty string. */
	if (kts_tlv_str(t, &pf->repo_uri) != 0 || pf->repo_uri[0] == '\0')
		return kts_pfail(pc, KTS_EFORMAT, t, "bad repository URI");
	return 0;
}

static const struct kts_tlv_rule hdr_rules[] = {
	{ 0x01, KTS_R_MANDATORY, hdr_version },
	{ 0x02, KTS_R_MANDATORY, hdr_created },
	{ 0x03, 0, hdr_uri },
};

static int
cert_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pf_cert *c = ctx;

	if (t->len == 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "empty certificate id");
	c->id = t->val;
	c->id_len = t->len;
	return 0;
}

static int
cert_der(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pf_cert *c = ctx;

	if (t->len == 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "empty certificate");
	c->der = t->val;
	c->der_len = t->len;
	return 0;
}

static const struct kts_tlv_rule cert_rules[] = {
	{ 0x01, KTS_R_MANDATORY, cert_id },
	{ 0x02, KTS_R_MANDATORY, cert_der },
};

#define N_RULES(a) (sizeof(a) / sizeof((a)[0]))

/* Spec 6.3: the 0x704 value must be a DER CMS SignedData, nothing more. */
static int
decode_sig(struct kts_pubfile *pf, const struct kts_tlv *t,
    struct kts_pctx *pc)
{
	const unsigned char *p = t->val;
	CMS_ContentInfo *cms;
	int ok;

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)t->len);
	ok = cms != NULL && p == t->val + t->len &&
	    OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed;
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	if (!ok)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "signature is not a DER PKCS#7 SignedData");
	pf->cms = t->val;
	pf->cms_len = t->len;
	pf->signed_len = (size_t)(t->hdr - pf->buf);
	return 0;
}

static int
decode_one(struct kts_pubfile *pf, const struct kts_tlv *t,
    struct kts_pctx *pc)
{
	struct kts_pubrec *pr;

	switch (t->tag) {
	case KTS_TAG_PF_HEADER:
		return kts_tlv_walk(t, hdr_rules, N_RULES(hdr_rules), pf, NULL,
		    pc);
	case KTS_TAG_PF_CERT:
		return kts_tlv_walk(t, cert_rules, N_RULES(cert_rules),
		    &pf->certs[pf->n_certs++], NULL, pc);
	case KTS_TAG_PF_PUB:
		/* Counted first: a half-filled record is cleared on free. */
		pr = &pf->pubs[pf->n_pubs++];
		return kts_pubrec_parse(t, pr, pc);
	case KTS_TAG_PF_SIG:
		return decode_sig(pf, t, pc);
	default:
		return 0;	/* unknown non-critical, checked by scan_one */
	}
}

static int
decode_file(struct kts_pubfile *pf, const struct scan *sc,
    struct kts_pctx *pc)
{
	struct kts_tlv t;
	struct kts_rd rd;
	int r;

	if (sc->n_certs > 0 &&
	    (pf->certs = calloc(sc->n_certs, sizeof(*pf->certs))) == NULL)
		return KTS_ENOMEM;
	if (sc->n_pubs > 0 &&
	    (pf->pubs = calloc(sc->n_pubs, sizeof(*pf->pubs))) == NULL)
		return KTS_ENOMEM;
	kts_rd_init(&rd, pf->buf, pf->len);
	rd.off = MAGIC_LEN;
	while (kts_rd_left(&rd) > 0) {
		if ((r = next_element(&rd, &t, pc)) != 0 ||
		    (r = decode_one(pf, &t, pc)) != 0)
			return r;
	}
	return 0;
}

int
kts_pubfile_parse(const uint8_t *buf, size_t len, struct kts_pubfile **out,
    struct kts_perr *perr)
{
	struct kts_pubfile *tmp = NULL;
	struct kts_pctx pc;
	struct scan sc;
	int r;

	*out = NULL;
	if ((r = check_magic(buf, len, perr)) != 0)
		return r;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->buf = malloc(len)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	memcpy(tmp->buf, buf, len);
	tmp->len = len;
	memset(&sc, 0, sizeof(sc));
	pc.base = tmp->buf;
	pc.perr = perr;
	pc.depth = 0;
	if ((r = scan_file(tmp, &sc, &pc)) != 0 ||
	    (r = decode_file(tmp, &sc, &pc)) != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	kts_pubfile_free(tmp);
	return r;
}

void
kts_pubfile_free(struct kts_pubfile *pf)
{
	size_t i;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->n_pubs; i++)
		kts_pubrec_clear(&pf->pubs[i]);
	free(pf->pubs);
	free(pf->certs);
	free(pf->buf);
	free(pf);
}

int64_t
kts_pubfile_created(const struct kts_pubfile *pf)
{
	/* Spec 6.3 quirk: 2014 Guardtime files stored milliseconds. */
	if (pf->created >= CREATED_MS_THRESHOLD)
		return (int64_t)(pf->created / 1000);
	return (int64_t)pf->created;
}

const struct kts_pubrec *
kts_pubfile_find(const struct kts_pubfile *pf, uint64_t t)
{
	size_t i;

	for (i = 0; i < pf->n_pubs; i++)
		if (pf->pubs[i].data.time == t)
			return &pf->pubs[i];
	return NULL;
}

const struct kts_pubrec *
kts_pubfile_nearest(const struct kts_pubfile *pf, uint64_t t)
{
	const struct kts_pubrec *best = NULL;
	size_t i;

	/* Spec 6.7: records need not be sorted, so scan them all. */
	for (i = 0; i < pf->n_pubs; i++) {
		if (pf->pubs[i].data.time < t)
			continue;
		if (best == NULL || pf->pubs[i].data.time < best->data.time)
			best = &pf->pubs[i];
	}
	return best;
}

const struct kts_pf_cert *
kts_pubfile_cert(const struct kts_pubfile *pf, const uint8_t *id,
    size_t id_len)
{
	size_t i;

	for (i = 0; i < pf->n_certs; i++)
		if (pf->certs[i].id_len == id_len &&
		    memcmp(pf->certs[i].id, id, id_len) == 0)
			return &pf->certs[i];
	return NULL;
}

/*
 * Verification (spec 6.4).  Each step writes its own sentence into why;
 * the OpenSSL error queue is cleared before returning so that nothing
 * stale reaches the next caller.
 */

static void why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	/* n >= whylen: vsnprintf already truncated and terminated. */
}

/* Constraint names accepted besides dotted OIDs (spec 6.4). */
static const struct {
	const char *name;
	const char *oid;
} cnstr_names[] = {
	{ "E", "1.2.840.113549.1.9.1" },
	{ "email", "1.2.840.113549.1.9.1" },
	{ "emailAddress", "1.2.840.113549.1.9.1" },
	{ "CN", "2.5.4.3" },
	{ "C", "2.5.4.6" },
	{ "O", "2.5.4.10" },
	{ "OU", "2.5.4.11" },
	{ "L", "2.5.4.7" },
	{ "ST", "2.5.4.8" },
};

/* The object a constraint names, or NULL.  Free with ASN1_OBJECT_free. */
static ASN1_OBJECT *
cnstr_obj(const char *name)
{
	const char *oid = name;
	size_t i;

	for (i = 0; i < sizeof(cnstr_names) / sizeof(cnstr_names[0]); i++)
		if (strcasecmp(name, cnstr_names[i].name) == 0)
			oid = cnstr_names[i].oid;
	if (strspn(oid, "0123456789.") != strlen(oid))
		return NULL;
	return OBJ_txt2obj(oid, 1);
}

/* 1 if some entry of name with type obj has exactly the value v. */
static int
name_has(const X509_NAME *name, const ASN1_OBJECT *obj, const char *v)
{
	X509_NAME_ENTRY *e;
	unsigned char *u;
	int pos = -1;
	int n;
	int eq;

	while ((pos = X509_NAME_get_index_by_OBJ(name, obj, pos)) >= 0) {
		e = X509_NAME_get_entry(name, pos);
		if ((n = ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(e))) < 0)
			continue;
		eq = (size_t)n == strlen(v) && memcmp(u, v, (size_t)n) == 0;
		OPENSSL_free(u);
		if (eq)
			return 1;
	}
	return 0;
}

/*
 * Spec 6.4 step 3: every constraint exactly in the signer's subject DN
 * (names were checked by check_cnstr_names).
 */
static int
check_cnstr(X509 *signer, const struct kts_trust *tr, char *why,
    size_t whylen)
{
	const struct kts_cnstr *c;
	ASN1_OBJECT *obj;
	size_t i;
	int has;

	for (i = 0; i < tr->n_cnstr; i++) {
		c = &tr->cnstr[i];
		if ((obj = cnstr_obj(c->oid)) == NULL)
			return KTS_ENOMEM;
		has = name_has(X509_get_subject_name(signer), obj, c->value);
		ASN1_OBJECT_free(obj);
		if (!has) {
			why_set(why, whylen,
			    "signer subject has no %.64s=%.128s", c->oid,
			    c->value);
			return KTS_EVERIFY;
		}
	}
	return 0;
}

/* Add one anchor file: PEM (any number of certificates), else one DER. */
static int
load_ca_file(X509_STORE *st, const char *path)
{
	X509_LOOKUP *lu;

	if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL)
		return KTS_ENOMEM;
	if (X509_LOOKUP_load_file(lu, path, X509_FILETYPE_PEM) == 1)
		return 0;
	ERR_clear_error();
	if (X509_LOOKUP_load_file(lu, path, X509_FILETYPE_ASN1) == 1)
		return 0;
	return KTS_EINVAL;
}

static int
load_store(const struct kts_trust *tr, X509_STORE **out, char *why,
    size_t whylen)
{
	X509_STORE *st;
	size_t i;
	int r = 0;

	*out = NULL;
	if ((st = X509_STORE_new()) == NULL)
		return KTS_ENOMEM;
	for (i = 0; r == 0 && i < tr->n_ca; i++)
		if ((r = load_ca_file(st, tr->ca_files[i])) != 0)
			why_set(why, whylen, "cannot load trust anchors "
			    "from %.200s", tr->ca_files[i]);
	for (i = 0; r == 0 && i < tr->n_ca_dirs; i++)
		if (X509_STORE_load_path(st, tr->ca_dirs[i]) != 1) {
			r = KTS_EINVAL;
			why_set(why, whylen, "cannot use trust anchor folder "
			    "%.200s", tr->ca_dirs[i]);
		}
	if (r == 0 && tr->default_store &&
	    X509_STORE_set_default_paths(st) != 1) {
		r = KTS_ECRYPTO;
		why_set(why, whylen, "cannot load the system trust store");
	}
	if (r != 0) {
		X509_STORE_free(st);
		return r;
	}
	*out = st;
	return 0;
}

/*
 * Spec 6.4 step 2: the signer's chain to an anchor, with the CMS's other
 * certificates as untrusted intermediates.  No purpose is set:
 * Guardtime's real signer is a document-signing certificate without the
 * S/MIME extended key usage that OpenSSL's CMS_verify() would demand;
 * the subject constraints are what bind the signer.
 */
static int
check_chain(const struct kts_trust *tr, X509 *signer,
    STACK_OF(X509) *untrusted, char *why, size_t whylen)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st = NULL;
	X509_VERIFY_PARAM *vp;
	int err;
	int r;

	if ((r = load_store(tr, &st, why, whylen)) != 0)
		return r;
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, st, signer, untrusted) != 1) {
		r = KTS_ENOMEM;
		goto out;
	}
	vp = X509_STORE_CTX_get0_param(ctx);
	if (tr->partial_chain)
		X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	if (tr->at >= 0)
		X509_VERIFY_PARAM_set_time(vp, (time_t)tr->at);
	r = 0;
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		why_set(why, whylen, "signer certificate is not trusted: %s "
		    "(at chain depth %d)", X509_verify_cert_error_string(err),
		    X509_STORE_CTX_get_error_depth(ctx));
		r = KTS_EVERIFY;
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return r;
}

/* Read the detached content through the CMS digest BIOs. */
static int
drain(BIO *b)
{
	unsigned char tmp[4096];
	int n;

	while ((n = BIO_read(b, tmp, sizeof(tmp))) > 0)
		;
	return n == 0 ? 0 : KTS_ECRYPTO;
}

/*
 * Spec 6.3/6.4 step 1: the signed attributes' signature and the content
 * digest over the detached bytes [0, signed_len) of the file.
 */
static int
check_content(const struct kts_pubfile *pf, CMS_ContentInfo *cms,
    CMS_SignerInfo *si, char *why, size_t whylen)
{
	BIO *dcont = NULL;
	BIO *chain = NULL;
	BIO *next;
	int r = KTS_ENOMEM;

	if ((dcont = BIO_new_mem_buf(pf->buf, (int)pf->signed_len)) == NULL ||
	    (chain = CMS_dataInit(cms, dcont)) == NULL)
		goto out;
	if ((r = drain(chain)) != 0) {
		why_set(why, whylen,
		    "cannot digest the signed part of the file");
		goto out;
	}
	r = KTS_EVERIFY;
	if (CMS_signed_get_attr_count(si) >= 0 &&
	    CMS_SignerInfo_verify(si) != 1)
		why_set(why, whylen, "CMS signer signature does not verify: "
		    "the signature or its signed attributes were modified");
	else if (CMS_SignerInfo_verify_content(si, chain) != 1)
		why_set(why, whylen, "CMS digest mismatch: the file was "
		    "modified");
	else
		r = 0;
out:
	while (chain != NULL && chain != dcont) {
		next = BIO_pop(chain);
		BIO_free(chain);
		chain = next;
	}
	BIO_free(dcont);
	return r;
}

/* The one signer and its certificate (borrowed from cms). */
static int
get_signer(CMS_ContentInfo *cms, CMS_SignerInfo **si, X509 **signer,
    char *why, size_t whylen)
{
	STACK_OF(CMS_SignerInfo) *sis;
	int n;

	*signer = NULL;
	sis = CMS_get0_SignerInfos(cms);
	if ((n = sis != NULL ? sk_CMS_SignerInfo_num(sis) : 0) != 1) {
		why_set(why, whylen, "the CMS has %d signers; exactly one "
		    "is required", n);
		return KTS_EVERIFY;
	}
	*si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_set1_signers_certs(cms, NULL, 0) < 0)
		return KTS_ECRYPTO;
	CMS_SignerInfo_get0_algs(*si, NULL, signer, NULL, NULL);
	if (*signer == NULL) {
		why_set(why, whylen,
		    "the signer certificate is not in the CMS");
		return KTS_EVERIFY;
	}
	return 0;
}

static int
decode_cms(const struct kts_pubfile *pf, CMS_ContentInfo **out, char *why,
    size_t whylen)
{
	const unsigned char *p = pf->cms;

	if ((*out = d2i_CMS_ContentInfo(NULL, &p, (long)pf->cms_len)) == NULL) {
		why_set(why, whylen, "the CMS signature does not decode");
		return KTS_ECRYPTO;
	}
	if (CMS_is_detached(*out) != 1) {
		why_set(why, whylen, "the CMS signature is not detached");
		return KTS_EVERIFY;
	}
	return 0;
}

/* Reject constraints that name nothing before doing any work. */
static int
check_cnstr_names(const struct kts_trust *tr, char *why, size_t whylen)
{
	ASN1_OBJECT *obj;
	size_t i;

	/* Spec 6.4 step 3: there is no default constraint. */
	if (tr->n_cnstr == 0) {
		why_set(why, whylen, "no certificate constraints configured");
		return KTS_EINVAL;
	}
	for (i = 0; i < tr->n_cnstr; i++) {
		if (tr->cnstr[i].oid == NULL || tr->cnstr[i].value == NULL ||
		    (obj = cnstr_obj(tr->cnstr[i].oid)) == NULL) {
			why_set(why, whylen, "certificate constraint %.64s is "
			    "not a known name or a dotted OID",
			    tr->cnstr[i].oid != NULL ? tr->cnstr[i].oid : "?");
			return KTS_EINVAL;
		}
		ASN1_OBJECT_free(obj);
	}
	return 0;
}

/* A sentence for failures no step described (allocation, OpenSSL). */
static void
why_fallback(int r, char *why, size_t whylen)
{
	const char *reason;

	if (r == 0 || why == NULL || whylen == 0 || why[0] != '\0')
		return;
	if (r == KTS_ENOMEM) {
		why_set(why, whylen, "out of memory");
		return;
	}
	reason = ERR_reason_error_string(ERR_peek_last_error());
	why_set(why, whylen, "OpenSSL failed: %s",
	    reason != NULL ? reason : "unknown error");
}

int
kts_pubfile_verify(const struct kts_pubfile *pf, const struct kts_trust *tr,
    char *why, size_t whylen)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si = NULL;
	X509 *signer = NULL;
	int r;

	why_set(why, whylen, "%s", "");
	/* Trust, then integrity (CMS_verify's order), then identity. */
	if ((r = check_cnstr_names(tr, why, whylen)) != 0 ||
	    (r = decode_cms(pf, &cms, why, whylen)) != 0 ||
	    (r = get_signer(cms, &si, &signer, why, whylen)) != 0)
		goto out;
	certs = CMS_get1_certs(cms);
	if ((r = check_chain(tr, signer, certs, why, whylen)) != 0 ||
	    (r = check_content(pf, cms, si, why, whylen)) != 0 ||
	    (r = check_cnstr(signer, tr, why, whylen)) != 0)
		goto out;
out:
	why_fallback(r, why, whylen);
	ERR_clear_error();
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return r;
}
