/*
 * check_sig.c - signature parsing, serialization, chains and the
 * internal policy over the real vectors (KSI spec 3, 4, 5, 9.3, 10.2-3).
 */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "failalloc.h"
#include "sig.h"
#include "verify.h"
#include "vec.h"

#define TLV "ksi/tlv/"

/* Expected internal-policy outcomes (spec 10.2, 10.3). */
static const struct {
	const char *file;
	int parse_ok;		/* 0: kts_sig_parse must fail */
	int verdict;
	int code;
} cases[] = {
	{ TLV "ok-sig-2014-04-30.1.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-extended.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-extended_1400112000.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-head.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-no-cal-hashchain.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-only_aggr.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.2-extended.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-06-2.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-06-2-extended.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-07-01.1.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-08-01.1.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2015-09-13_21-34-00.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-2017-04-21.1-input-hash-level-5.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-metadata-with-padding.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig-metadata-without-padding.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-sig_local-aggr.ksig", 1, KTS_V_OK, 0 },
	{ TLV "signature-with-rfc3161-record-ok.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-legacy-sig-2014-06.gtts.ksig", 1, KTS_V_OK, 0 },
	{ TLV "ok-legacy-sig-2014-06-extended.gtts.ksig", 1, KTS_V_OK, 0 },
	{ TLV "cal_algo_switch.ksig", 1, KTS_V_OK, 0 },
	{ TLV "signature-deprecated-algorithm-in-calendar-chain-right-link.ksig",
	    1, KTS_V_OK, 0 },
	{ TLV "sha1-as-aggregation-algo-2016-01.ksig", 1, KTS_V_OK, 0 },
	{ TLV "rfc3161-sha1-as-input-hash-2016-01.ksig", 1, KTS_V_OK, 0 },
	{ TLV "rfc3161-sha1-in-sig-atr-2016-01.ksig", 1, KTS_V_OK, 0 },
	{ TLV "rfc3161-sha1-in-tst-algo-2016-01.ksig", 1, KTS_V_OK, 0 },
	{ TLV "bad-aggregation-chain.ksig", 1, KTS_V_FAIL, KTS_VC_INT_1 },
	{ TLV "signature-inconsistent-aggregation-chain-time.ksig", 1,
	    KTS_V_FAIL, KTS_VC_INT_2 },
	{ TLV "signature-with-invalid-calendar-hash-chain.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_3 },
	{ TLV "signature-with-invalid-calendar-chain-aggregation-time.ksig", 1,
	    KTS_V_FAIL, KTS_VC_INT_4 },
	{ TLV "signature-with-invalid-calendar-authentication-record-hash.ksig",
	    1, KTS_V_FAIL, KTS_VC_INT_8 },
	{ TLV "signature-with-invalid-authentication-record-publication-time.ksig",
	    1, KTS_V_FAIL, KTS_VC_INT_6 },
	{ TLV "signature-with-invalid-publication-record-publication-data-hash.ksig",
	    1, KTS_V_FAIL, KTS_VC_INT_9 },
	{ TLV "signature-with-invalid-publication-record-publication-data-time.ksig",
	    1, KTS_V_FAIL, KTS_VC_INT_7 },
	{ TLV "nok-sig-2014-08-01.1.same-chain-index.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_12 },
	{ TLV "nok-sig-2014-08-01.1.double-aggr-chain.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_12 },
	{ TLV "nok-sig-2014-08-01.1.wrong-chain-index.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_12 },
	{ TLV "nok-sig-aggr-chain-multiple-chains-changed-order-chain-index-are-same.1.tlv",
	    1, KTS_V_FAIL, KTS_VC_INT_12 },
	{ TLV "nok-sig-aggr-chain-multiple-chains-changed-order-chain-index-are-same.2.tlv",
	    1, KTS_V_FAIL, KTS_VC_INT_12 },
	{ TLV "nok-sig-metadata-padding-flags-not-set.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-padding-value-not-01.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-padding-value-not-0101.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-length-not-even.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-padding-missing.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-padding-not-tlv8.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_11 },
	{ TLV "nok-sig-metadata-padding-not-first.ksig", 0, 0, 0 },
	{ TLV "nok-sig-doc-hsh-sha1.ksig", 1, KTS_V_FAIL, KTS_VC_INT_13 },
	{ TLV "sha1-as-aggregation-algo-2017.ksig", 1, KTS_V_FAIL, KTS_VC_INT_15 },
	{ TLV "rfc3161-sha1-in-tst-algo-2017.ksig", 1, KTS_V_FAIL, KTS_VC_INT_14 },
	{ TLV "rfc3161-sha1-in-sig-atr-2017.ksig", 1, KTS_V_FAIL, KTS_VC_INT_14 },
	{ TLV "rfc3161-sha1-as-input-hash-2017.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_13 },
	{ TLV "rfc3161-sha1-in-aggr-input.ksig", 1, KTS_V_FAIL, KTS_VC_INT_17 },
	{ TLV "signature-with-invalid-rfc3161-output-hash.ksig", 1, KTS_V_FAIL,
	    KTS_VC_INT_1 },
	{ TLV "signature-with-rfc3161-record-ok-changed-aggregation-time.ksig", 1,
	    KTS_V_FAIL, KTS_VC_INT_2 },
	{ TLV "signature-with-rfc3161-record-ok-changed-chain-index.ksig", 1,
	    KTS_V_FAIL, KTS_VC_INT_12 },
	{ TLV "nok-legacy-sig-2015-01-aggretime.gtts", 1, KTS_V_FAIL,
	    KTS_VC_INT_2 },
	{ TLV "nok-legacy-sig-2015-01-chainIndex.gtts", 1, KTS_V_FAIL,
	    KTS_VC_INT_12 },
	{ TLV "nok-legacy-sig-2015-01-inHash.gtts", 1, KTS_V_FAIL, KTS_VC_INT_1 },
	{ TLV "nok-sig-2014-04-30.1-legacyId-in-sibling.ksig", 0, 0, 0 },
	{ TLV "nok-sig-2014-04-30.1-legacyId-invalid-header.ksig", 0, 0, 0 },
	{ TLV "nok-sig-2014-04-30.1-legacyId-invalid-lenght.ksig", 0, 0, 0 },
	{ TLV "nok-sig-2014-04-30.1-legacyId-invalid-padding.ksig", 0, 0, 0 },
	{ TLV "nok-sig-2014-04-30.1-legacyId-invalid-string-lenght.ksig", 0, 0,
	    0 },
	{ TLV "nok-sig-two-anchors.ksig", 0, 0, 0 },
};

START_TEST(test_vectors)
{
	struct kts_vctx ctx;
	struct kts_vresult res;
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	uint8_t *buf;
	size_t len;
	int r;

	vec_read(cases[_i].file, &buf, &len);
	r = kts_sig_parse(buf, len, &sig, &pe);
	if (!cases[_i].parse_ok) {
		ck_assert_msg(r != 0, "%s parsed", cases[_i].file);
		ck_assert_ptr_null(sig);
		ck_assert_ptr_nonnull(pe.what);
		free(buf);
		return;
	}
	ck_assert_msg(r == 0, "%s: %s at %zu: %s", cases[_i].file,
	    kts_strerror(r), pe.off, pe.what ? pe.what : "");
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res), 0);
	ck_assert_msg((int)res.verdict == cases[_i].verdict &&
	    res.code == cases[_i].code, "%s: got %d %s, want %d %s",
	    cases[_i].file, res.verdict, kts_vcode_str(res.code),
	    cases[_i].verdict, kts_vcode_str(cases[_i].code));
	kts_sig_free(sig);
	free(buf);
}
END_TEST

/*
 * Files in ksi/tlv named ok-* that are not signatures: PDU version 1
 * aggregation responses (outer tag 0x200) kept by libksi for its v1
 * tests.  They must be refused as "not a KSI signature".
 */
static const char *not_signatures[] = {
	"ok-sig-2016-05-09.1-lvl4.ksig",
	"ok-sig-2016-05-09.2-lvl5.ksig",
};

/*
 * nok-* files whose defect only shows with outside data (an extender
 * response or a publications file); the policy tests cover them.
 */
static const char *nok_needs_context[] = {
	"nok-sig-2015-09-13_21-34-00.ksig",		/* key-based */
	"nok-sig-2017-08-23.1.invalid-cert-timespan.ksig",	/* KEY-3 */
	"nok-sig-wrong-aggre-time.ksig",		/* extender */
};

static int
in_list(const char *name, const char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return 1;
	return 0;
}

/* Parse and verify one file; returns 1 if parse and internal are OK. */
static int
parses_and_verifies(const char *rel, int *parsed)
{
	struct kts_vresult res;
	struct kts_vctx ctx;
	struct kts_sig *sig = NULL;
	uint8_t *buf;
	size_t len;
	int ok;

	vec_read(rel, &buf, &len);
	*parsed = kts_sig_parse(buf, len, &sig, NULL) == 0;
	free(buf);
	if (!*parsed)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res), 0);
	ok = res.verdict == KTS_V_OK;
	kts_sig_free(sig);
	return ok;
}

START_TEST(test_every_tlv_vector)
{
	char path[4096];
	char rel[512];
	struct dirent *de;
	DIR *d;
	int n_ok = 0;
	int n_nok = 0;
	int parsed;
	int k;

	k = snprintf(path, sizeof(path), "%s/ksi/tlv", getenv("KTS_VECTORS"));
	ck_assert(k > 0 && (size_t)k < sizeof(path));
	ck_assert_msg((d = opendir(path)) != NULL, "cannot open %s", path);
	while ((de = readdir(d)) != NULL) {
		int is_ok = strncmp(de->d_name, "ok-", 3) == 0 &&
		    strstr(de->d_name, ".ksig") != NULL;
		int is_nok = strncmp(de->d_name, "nok-", 4) == 0;

		if (!is_ok && !is_nok)
			continue;
		k = snprintf(rel, sizeof(rel), "ksi/tlv/%s", de->d_name);
		ck_assert(k > 0 && (size_t)k < sizeof(rel));
		k = parses_and_verifies(rel, &parsed);
		if (is_ok && in_list(de->d_name, not_signatures, 2))
			ck_assert_msg(!parsed, "%s parsed", de->d_name);
		else if (is_ok)
			ck_assert_msg(k, "%s does not verify", de->d_name);
		else if (!in_list(de->d_name, nok_needs_context, 3))
			ck_assert_msg(!k, "%s verifies internally", de->d_name);
		n_ok += is_ok;
		n_nok += is_nok;
	}
	closedir(d);
	ck_assert_int_ge(n_ok, 20);
	ck_assert_int_ge(n_nok, 20);
}
END_TEST

static struct kts_sig *
load(const char *rel)
{
	struct kts_sig *sig = NULL;
	uint8_t *buf;
	size_t len;

	vec_read(rel, &buf, &len);
	ck_assert_int_eq(kts_sig_parse(buf, len, &sig, NULL), 0);
	free(buf);
	return sig;
}

static int
verify_code(const struct kts_sig *sig, enum kts_policy pol,
    const struct kts_vctx *ctx)
{
	struct kts_vresult res;

	ck_assert_int_eq(kts_verify(sig, pol, ctx, &res), 0);
	if (res.verdict == KTS_V_OK)
		ck_assert_int_eq(res.code, 0);
	return res.code;
}

/* The mock document hash of the 2014 test signatures (spec 10). */
#define MOCK_HASH "0111a700b0c8066c47ecba05ed37bc14dcadb238552d86c659342d1d7e87b8772d"

START_TEST(test_document_hash)
{
	struct kts_sig *sig = load(TLV "ok-sig-2014-04-30.1.ksig");
	struct kts_vctx ctx;
	struct kts_imprint h;

	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(kts_imprint_from_str(MOCK_HASH, &h), 0);
	ctx.doc_hash = &h;
	ck_assert_int_eq(verify_code(sig, KTS_POL_INTERNAL, &ctx), 0);
	h.d[5] ^= 1;
	ck_assert_int_eq(verify_code(sig, KTS_POL_INTERNAL, &ctx), KTS_VC_GEN_1);
	ck_assert_int_eq(kts_imprint_zero(KTS_HASH_SHA512, &h), 0);
	ck_assert_int_eq(verify_code(sig, KTS_POL_INTERNAL, &ctx), KTS_VC_GEN_4);
	kts_sig_free(sig);
}
END_TEST

START_TEST(test_input_level)
{
	struct kts_sig *sig = load(TLV "ok-sig-2017-04-21.1-input-hash-level-5.ksig");
	struct kts_vctx ctx;

	/* Spec 10.2: OK with input level 0..5, GEN-3 with 6. */
	memset(&ctx, 0, sizeof(ctx));
	for (ctx.level = 0; ctx.level <= 5; ctx.level++)
		ck_assert_int_eq(verify_code(sig, KTS_POL_INTERNAL, &ctx), 0);
	ctx.level = 6;
	ck_assert_int_eq(verify_code(sig, KTS_POL_INTERNAL, &ctx), KTS_VC_GEN_3);
	kts_sig_free(sig);
}
END_TEST

START_TEST(test_every_truncation_fails)
{
	struct kts_sig *sig;
	uint8_t *buf;
	size_t len;
	size_t n;

	vec_read(TLV "ok-sig-2017-04-21.1-input-hash-level-5.ksig", &buf, &len);
	for (n = 0; n < len; n++) {
		ck_assert_msg(kts_sig_parse(buf, n, &sig, NULL) == KTS_ETRUNC,
		    "prefix of %zu bytes did not fail as truncated", n);
		ck_assert_ptr_null(sig);
	}
	free(buf);
}
END_TEST

/*
 * Flip every bit: parsing must never crash or leak, and a flipped
 * signature that still parses must never verify as OK for the original
 * document with the original aggregation root unless the flip touched a
 * byte that is not hashed (the record's PKI signature, for instance).
 */
START_TEST(test_bit_flips)
{
	struct kts_vresult res;
	struct kts_vctx ctx;
	struct kts_imprint doc;
	struct kts_sig *sig;
	uint8_t *buf;
	size_t len;
	size_t i;
	int bit;
	int parsed = 0;

	vec_read(TLV "ok-sig-2015-09-13_21-34-00.ksig", &buf, &len);
	ck_assert_int_eq(kts_sig_parse(buf, len, &sig, NULL), 0);
	doc = *kts_sig_doc_hash(sig);
	kts_sig_free(sig);
	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_hash = &doc;
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (kts_sig_parse(buf, len, &sig, NULL) == 0) {
				parsed++;
				ck_assert_int_eq(kts_verify(sig,
				    KTS_POL_INTERNAL, &ctx, &res), 0);
				kts_sig_free(sig);
			}
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	ck_assert_int_gt(parsed, 0);
	free(buf);
}
END_TEST

/* Files whose encoding is canonical byte for byte (spec 1.2, 3.1). */
static const char *canonical[] = {
	TLV "ok-sig-2017-04-21.1-input-hash-level-5.ksig",
	TLV "ok-sig-metadata-with-padding.ksig",
	TLV "ok-sig_local-aggr.ksig",
	TLV "signature-with-rfc3161-record-ok.ksig",
	TLV "ok-sig-2014-04-30.1-no-cal-hashchain.ksig",
};

START_TEST(test_round_trip_canonical)
{
	struct kts_sig *sig;
	uint8_t *buf;
	uint8_t *out;
	size_t len;
	size_t olen;

	vec_read(canonical[_i], &buf, &len);
	ck_assert_int_eq(kts_sig_parse(buf, len, &sig, NULL), 0);
	ck_assert_int_eq(kts_sig_serialize(sig, &out, &olen), 0);
	ck_assert_uint_eq(olen, len);
	ck_assert_msg(memcmp(out, buf, len) == 0, "%s changed", canonical[_i]);
	free(out);
	kts_sig_free(sig);
	free(buf);
}
END_TEST

/* Any signature: serialize is a fixed point and keeps the verdict. */
START_TEST(test_round_trip_idempotent)
{
	struct kts_vresult r1;
	struct kts_vresult r2;
	struct kts_vctx ctx;
	struct kts_sig *a;
	struct kts_sig *b;
	uint8_t *buf;
	uint8_t *o1;
	uint8_t *o2;
	size_t len;
	size_t n1;
	size_t n2;

	if (!cases[_i].parse_ok)
		return;
	vec_read(cases[_i].file, &buf, &len);
	ck_assert_int_eq(kts_sig_parse(buf, len, &a, NULL), 0);
	ck_assert_int_eq(kts_sig_serialize(a, &o1, &n1), 0);
	ck_assert_int_eq(kts_sig_parse(o1, n1, &b, NULL), 0);
	ck_assert_int_eq(kts_sig_serialize(b, &o2, &n2), 0);
	ck_assert(n1 == n2 && memcmp(o1, o2, n1) == 0);
	memset(&ctx, 0, sizeof(ctx));
	kts_verify(a, KTS_POL_INTERNAL, &ctx, &r1);
	kts_verify(b, KTS_POL_INTERNAL, &ctx, &r2);
	ck_assert_int_eq(r1.verdict, r2.verdict);
	ck_assert_int_eq(r1.code, r2.code);
	free(o1);
	free(o2);
	kts_sig_free(a);
	kts_sig_free(b);
	free(buf);
}
END_TEST

START_TEST(test_alloc_failures)
{
	struct kts_sig *sig;
	uint8_t *buf;
	size_t len;
	long n;
	int r;

	vec_read(TLV "signature-with-rfc3161-record-ok.ksig", &buf, &len);
	for (n = 0; n < 10000; n++) {
		fail_alloc(n + 1);
		r = kts_sig_parse(buf, len, &sig, NULL);
		fail_alloc(0);
		if (r == 0) {
			kts_sig_free(sig);
			break;
		}
		ck_assert_msg(r == KTS_ENOMEM, "allocation %ld: %s", n,
		    kts_strerror(r));
	}
	ck_assert_int_gt(n, 2);
	ck_assert_int_lt(n, 10000);
	free(buf);
}
END_TEST

START_TEST(test_highbit_and_shape_time)
{
	struct kts_sig *sig;
	uint64_t t;
	uint64_t shape;

	ck_assert_uint_eq(kts_highbit(1), 1);
	ck_assert_uint_eq(kts_highbit(5), 4);
	ck_assert_uint_eq(kts_highbit(UINT64_MAX), 1ull << 63);
	/* Spec 5.4: the extended chain A=1398866256 to P=1400112000. */
	sig = load(TLV "ok-sig-2014-04-30.1-extended.ksig");
	ck_assert_uint_eq(sig->cal.pub_time, 1400112000);
	ck_assert_uint_eq(sig->cal.n_links, 27);
	ck_assert_int_eq(kts_cal_chain_time(&sig->cal, &t), 0);
	ck_assert_uint_eq(t, 1398866256);
	/* A different publication time makes the shape impossible. */
	sig->cal.pub_time = 1398866255;	/* before A: cannot reach A */
	ck_assert(kts_cal_chain_time(&sig->cal, &t) != 0 || t != 1398866256);
	/* Spec 4.3: the shapes of the lowest chain of this signature. */
	ck_assert_int_eq(kts_aggr_chain_shape(&sig->chains[0], &shape), 0);
	ck_assert_uint_eq(shape, sig->chains[0].idx[sig->chains[0].n_idx - 1]);
	kts_sig_free(sig);
}
END_TEST

START_TEST(test_fresh_chain_is_all_right_links)
{
	struct kts_sig *sig = load(TLV "ok-sig-2017-04-21.1-input-hash-level-5.ksig");
	size_t i;
	uint64_t a = sig->cal.aggr_time;
	size_t bits = 0;

	/* Spec 5.4: P = A gives popcount(A) links, all 0x08. */
	ck_assert_uint_eq(sig->cal.pub_time, a);
	for (; a != 0; a &= a - 1)
		bits++;
	ck_assert_uint_eq(sig->cal.n_links, bits);
	for (i = 0; i < sig->cal.n_links; i++)
		ck_assert_int_eq(sig->cal.links[i].dir, KTS_LINK_RIGHT);
	kts_sig_free(sig);
}
END_TEST

/* The first aggregation chain's worked example (spec 4.1). */
START_TEST(test_aggr_step_example)
{
	struct kts_sig *sig = load(TLV "ok-sig-2014-04-30.1.ksig");
	struct kts_imprint out;
	struct kts_imprint want;
	unsigned level = 0;

	ck_assert_int_eq(kts_aggr_chain_compute(&sig->chains[0], &level,
	    &out), 0);
	ck_assert_int_eq(kts_imprint_from_str("01d1f50535611dbec771f7a2f542efc6"
	    "63a6ad8c250c8e8f2c276ea9ba55d27da1", &want), 0);
	ck_assert(kts_imprint_eq(&out, &want));
	ck_assert(kts_imprint_eq(&sig->chains[1].input, &want));
	kts_sig_free(sig);
}
END_TEST

/* Extender callback that returns a fixed chain. */
struct fixed_chain {
	const uint8_t *p;
	size_t len;
	int calls;
};

static int
fixed_extend(void *arg, uint64_t a, uint64_t p, uint8_t **out, size_t *len)
{
	struct fixed_chain *fc = arg;

	fc->calls++;
	if ((*out = malloc(fc->len)) == NULL)
		return KTS_ENOMEM;
	memcpy(*out, fc->p, fc->len);
	*len = fc->len;
	return 0;
}

START_TEST(test_extend_and_publication_policies)
{
	struct kts_sig *sig = load(TLV "ok-sig-2014-04-30.1.ksig");
	struct kts_sig *ext = load(TLV "ok-sig-2014-04-30.1-extended.ksig");
	struct kts_sig *out = NULL;
	struct fixed_chain fc = { ext->cal.raw, ext->cal.raw_len, 0 };
	struct kts_vctx ctx;

	/* Splice the 2014-05-15 chain and publication record in. */
	ck_assert_int_eq(kts_sig_extend(sig, ext->cal.raw, ext->cal.raw_len,
	    ext->pubrec.raw, ext->pubrec.raw_len, &out, NULL), 0);
	ck_assert(out->has_pubrec && !out->has_calauth);
	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(verify_code(out, KTS_POL_INTERNAL, &ctx), 0);
	/* User publication (spec 6.2 vector) for the extended signature. */
	ck_assert_int_eq(kts_imprint_from_str("0189c1ef97b3d3a3bd4f57564b0f0225"
	    "95bc52401903d3b1f7f6e52ab08820ba59", &ctx.user_pub_hash), 0);
	ctx.user_pub_time = 1400112000;
	ctx.has_user_pub = 1;
	ck_assert_int_eq(verify_code(out, KTS_POL_USERPUB, &ctx), 0);
	ctx.user_pub_hash.d[0] ^= 1;
	ck_assert_int_eq(verify_code(out, KTS_POL_USERPUB, &ctx), KTS_VC_PUB_4);
	ctx.user_pub_hash.d[0] ^= 1;
	/* The unextended signature reaches it only through the extender. */
	ck_assert_int_eq(verify_code(sig, KTS_POL_USERPUB, &ctx), KTS_VC_GEN_2);
	ctx.extend_ok = 1;
	ctx.extend = fixed_extend;
	ctx.extend_arg = &fc;
	ck_assert_int_eq(verify_code(sig, KTS_POL_USERPUB, &ctx), 0);
	ck_assert_int_eq(fc.calls, 1);
	ctx.user_pub_hash.d[0] ^= 1;
	ck_assert_int_eq(verify_code(sig, KTS_POL_USERPUB, &ctx), KTS_VC_PUB_1);
	kts_sig_free(out);
	kts_sig_free(ext);
	kts_sig_free(sig);
}
END_TEST

START_TEST(test_calendar_policy)
{
	struct kts_sig *sig = load(TLV "ok-sig-2014-04-30.1-extended.ksig");
	struct kts_sig *other = load(TLV "ok-sig-2014-04-30.2-extended.ksig");
	struct kts_sig *bad = load(TLV
	    "signature-invalid-calendar-right-link-sig-2014-04-30.1-extended.ksig");
	struct kts_sig *fresh = load(TLV "ok-sig-2014-04-30.1.ksig");
	struct fixed_chain fc = { sig->cal.raw, sig->cal.raw_len, 0 };
	struct kts_vctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ck_assert_int_eq(verify_code(sig, KTS_POL_CALENDAR, &ctx), KTS_VC_GEN_2);
	ctx.extend = fixed_extend;
	ctx.extend_arg = &fc;
	ck_assert_int_eq(verify_code(sig, KTS_POL_CALENDAR, &ctx), 0);
	/* Spec 10.2: the 2015 extension has the same 0x08 siblings (CAL-4
	 * passes) and the fresh signature's chain too. */
	fc.p = other->cal.raw;
	fc.len = other->cal.raw_len;
	ck_assert_int_eq(verify_code(fresh, KTS_POL_CALENDAR, &ctx), 0);
	fc.p = bad->cal.raw;
	fc.len = bad->cal.raw_len;
	ck_assert_int_eq(verify_code(fresh, KTS_POL_CALENDAR, &ctx),
	    KTS_VC_CAL_4);
	kts_sig_free(fresh);
	kts_sig_free(bad);
	kts_sig_free(other);
	kts_sig_free(sig);
}
END_TEST

static Suite *
sig_suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc;
	int n = (int)(sizeof(cases) / sizeof(cases[0]));

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_vectors, 0, n);
	tcase_add_test(tc, test_document_hash);
	tcase_add_test(tc, test_input_level);
	tcase_add_test(tc, test_every_tlv_vector);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_every_truncation_fails);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	tc = tcase_create("round_trip");
	tcase_add_loop_test(tc, test_round_trip_canonical, 0,
	    (int)(sizeof(canonical) / sizeof(canonical[0])));
	tcase_add_loop_test(tc, test_round_trip_idempotent, 0, n);
	suite_add_tcase(s, tc);
	tc = tcase_create("chains");
	tcase_add_test(tc, test_highbit_and_shape_time);
	tcase_add_test(tc, test_fresh_chain_is_all_right_links);
	tcase_add_test(tc, test_aggr_step_example);
	suite_add_tcase(s, tc);
	tc = tcase_create("policies");
	tcase_add_test(tc, test_extend_and_publication_policies);
	tcase_add_test(tc, test_calendar_policy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
