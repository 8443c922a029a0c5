/*
 * check_policy.c - the key-based, publications-file, calendar and general
 * policies against real publications files and extender responses, and
 * extension responses (KSI spec 7.8, 7.12, 9.4-9.8, 10.1-10.3, 10.5).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pdu.h"
#include "pub.h"
#include "sig.h"
#include "verify.h"
#include "vec.h"

#define TLV "ksi/tlv/"

static struct kts_sig *
load_sig(const char *rel)
{
	struct kts_sig *sig = NULL;
	uint8_t *buf;
	size_t len;

	vec_read(rel, &buf, &len);
	ck_assert_int_eq(kts_sig_parse(buf, len, &sig, NULL), 0);
	free(buf);
	return sig;
}

/*
 * Load a publications file and, if ca_rel is not NULL, verify it against
 * that anchor.  Two of libksi's key-based fixtures are signed by a key
 * whose certificate is not among the vectors; those are loaded unverified
 * (ca_rel NULL) to test the key rules on their certificates.
 */
static struct kts_pubfile *
load_pubfile(const char *rel, const char *ca_rel)
{
	static const struct kts_cnstr cn = { "E", "publications@guardtime.com" };
	struct kts_pubfile *pf = NULL;
	struct kts_trust tr;
	const char *ca[1];
	char path[4096];
	char why[256];
	uint8_t *buf;
	size_t len;
	int n;

	vec_read(rel, &buf, &len);
	ck_assert_int_eq(kts_pubfile_parse(buf, len, &pf, NULL), 0);
	free(buf);
	if (ca_rel == NULL)
		return pf;
	n = snprintf(path, sizeof(path), "%s/%s", getenv("KTS_VECTORS"), ca_rel);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ca[0] = path;
	memset(&tr, 0, sizeof(tr));
	tr.ca_files = ca;
	tr.n_ca = 1;
	tr.cnstr = &cn;
	tr.n_cnstr = 1;
	tr.at = -1;
	tr.partial_chain = 1;
	ck_assert_msg(kts_pubfile_verify(pf, &tr, why, sizeof(why)) == 0,
	    "%s: %s", rel, why);
	return pf;
}

static int
run(const struct kts_sig *sig, enum kts_policy pol, const struct kts_vctx *ctx,
    enum kts_verdict *verdict)
{
	struct kts_vresult res;

	ck_assert_int_eq(kts_verify(sig, pol, ctx, &res), 0);
	*verdict = res.verdict;
	return res.code;
}

struct key_case {
	const char *sig;
	const char *pubfile;
	int trusted;		/* the file verifies with mock.crt */
	enum kts_verdict verdict;
	int code;
};

/* Spec 10.2-10.3: key-based results with mock.crt as the anchor. */
static const struct key_case key_cases[] = {
	{ TLV "ok-sig-2014-04-30.1.ksig", TLV "publications.tlv", 1, KTS_V_OK, 0 },
	{ TLV "signature-cal-auth-wrong-signing-value.ksig",
	    TLV "publications.tlv", 1, KTS_V_FAIL, KTS_VC_KEY_2 },
	{ TLV "invalid_pki_sig_value-2014-04-30.1.ksig", TLV "publications.tlv",
	    1, KTS_V_FAIL, KTS_VC_KEY_2 },
	{ TLV "invalid_pki_sig_type-2014-04-30.1.ksig", TLV "publications.tlv",
	    1, KTS_V_FAIL, KTS_VC_KEY_2 },
	/* Spec 10.3 says only "key-based FAIL": its certificate's validity
	 * does not cover the 2015 aggregation time. */
	{ TLV "nok-sig-2015-09-13_21-34-00.ksig", TLV "publications.tlv",
	    1, KTS_V_FAIL, KTS_VC_KEY_3 },
	{ TLV "signature-calendar-authentication-record-missing.ksig",
	    TLV "publications.tlv", 1, KTS_V_NA, KTS_VC_GEN_2 },
	{ TLV "ok-sig-2014-04-30.1-only_aggr.ksig", TLV "publications.tlv",
	    1, KTS_V_NA, KTS_VC_GEN_2 },
	{ TLV "ok-sig-2014-04-30.1.ksig",
	    TLV "publications-one-cert-one-publication-record-with-wrong-hash.tlv",
	    0, KTS_V_NA, KTS_VC_GEN_2 },
	{ TLV "nok-sig-2017-08-23.1.invalid-cert-timespan.ksig",
	    TLV "ksi-publications.invalid-cert.validity.bin", 0, KTS_V_FAIL,
	    KTS_VC_KEY_3 },
};

START_TEST(test_key_based)
{
	const struct key_case *c = &key_cases[_i];
	struct kts_sig *sig = load_sig(c->sig);
	struct kts_pubfile *pf = load_pubfile(c->pubfile,
	    c->trusted ? "ksi/crt/mock.crt" : NULL);
	enum kts_verdict v;
	struct kts_vctx ctx;
	int code;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pubfile = pf;
	code = run(sig, KTS_POL_KEY, &ctx, &v);
	ck_assert_msg(v == c->verdict && code == c->code,
	    "%s: got %d %s, want %d %s", c->sig, v, kts_vcode_str(code),
	    c->verdict, kts_vcode_str(c->code));
	/* Without the file, key-based verification is inconclusive. */
	ctx.pubfile = NULL;
	if (c->verdict == KTS_V_OK)
		ck_assert_int_eq(run(sig, KTS_POL_KEY, &ctx, &v), KTS_VC_GEN_2);
	kts_pubfile_free(pf);
	kts_sig_free(sig);
}
END_TEST

START_TEST(test_pubfile_based_and_general)
{
	struct kts_pubfile *pf = load_pubfile(TLV "publications.tlv",
	    "ksi/crt/mock.crt");
	struct kts_sig *ext = load_sig(TLV "ok-sig-2014-04-30.1-extended.ksig");
	struct kts_pubfile *pf16 = load_pubfile(TLV "ksi-publications.bin",
	    "ksi/crt/mock.crt");
	struct kts_sig *other = load_sig(TLV "signature-other-core-extended.ksig");
	struct kts_sig *fresh = load_sig(TLV "ok-sig-2014-04-30.1.ksig");
	struct kts_vresult res;
	enum kts_verdict v;
	struct kts_vctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.pubfile = pf;
	ck_assert_int_eq(run(ext, KTS_POL_PUBFILE, &ctx, &v), 0);
	ck_assert_int_eq(v, KTS_V_OK);
	/* The other core's 2014-08-15 publication is in the 2016 file. */
	ctx.pubfile = pf16;
	ck_assert_int_eq(run(other, KTS_POL_PUBFILE, &ctx, &v), KTS_VC_PUB_5);
	ctx.pubfile = pf;
	/* Fresh signature, no extending: pubfile NA, then the key decides. */
	ck_assert_int_eq(run(fresh, KTS_POL_PUBFILE, &ctx, &v), KTS_VC_GEN_2);
	ck_assert_int_eq(v, KTS_V_NA);
	ck_assert_int_eq(kts_verify(fresh, KTS_POL_GENERAL, &ctx, &res), 0);
	ck_assert_int_eq(res.verdict, KTS_V_OK);
	ck_assert_int_eq(res.policy, KTS_POL_KEY);
	kts_sig_free(fresh);
	kts_sig_free(other);
	kts_sig_free(ext);
	kts_pubfile_free(pf16);
	kts_pubfile_free(pf);
}
END_TEST

/* An extender that answers from one response PDU file. */
struct file_ext {
	uint8_t *pdu;
	size_t len;
};

static int
file_extend(void *arg, uint64_t a, uint64_t p, uint8_t **out, size_t *len)
{
	struct file_ext *fe = arg;
	struct kts_ext_resp er;

	if (kts_ext_resp_parse(fe->pdu, fe->len, "anon", 4, &er, NULL) != 0 ||
	    er.status != 0 || er.chain == NULL)
		return KTS_EVERIFY;
	if ((*out = malloc(er.chain_len)) == NULL)
		return KTS_ENOMEM;
	memcpy(*out, er.chain, er.chain_len);
	*len = er.chain_len;
	return 0;
}

struct cal_case {
	const char *sig;
	const char *resp;
	enum kts_verdict verdict;
	int code;
};

/* Spec 10.2, 10.5: calendar-based results with canned responses. */
static const struct cal_case cal_cases[] = {
	{ TLV "ok-sig-2014-04-30.1-no-cal-hashchain.ksig",
	    TLV "v2/ok-sig-2014-04-30.1-extend_response.tlv", KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-no-cal-hashchain.ksig",
	    TLV "v2/ok-sig-2014-04-30.1-nok-extend_response-3.tlv", KTS_V_FAIL,
	    KTS_VC_CAL_2 },
	{ TLV "ok-sig-2014-04-30.1-extended.ksig",
	    TLV "v2/ok-sig-2014-04-30.1-extend_response.tlv", KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1-extended.ksig",
	    TLV "v2/ok-sig-2014-04-30.1-nok-extend_response-1.tlv", KTS_V_FAIL,
	    KTS_VC_CAL_1 },
	{ TLV "cal_algo_switch.ksig", TLV "v2/cal_algo_switch-extend_resposne.tlv",
	    KTS_V_OK, 0 },
	{ TLV "ok-sig-2014-04-30.1.ksig",
	    TLV "v2/ok-sig-2014-04-30.1-extend_response-with-status-301.tlv",
	    KTS_V_NA, KTS_VC_GEN_2 },
};

START_TEST(test_calendar_based)
{
	const struct cal_case *c = &cal_cases[_i];
	struct kts_sig *sig = load_sig(c->sig);
	struct file_ext fe;
	enum kts_verdict v;
	struct kts_vctx ctx;
	int code;

	vec_read(c->resp, &fe.pdu, &fe.len);
	memset(&ctx, 0, sizeof(ctx));
	ctx.extend = file_extend;
	ctx.extend_arg = &fe;
	code = run(sig, KTS_POL_CALENDAR, &ctx, &v);
	ck_assert_msg(v == c->verdict && code == c->code,
	    "%s + %s: got %d %s, want %d %s", c->sig, c->resp, v,
	    kts_vcode_str(code), c->verdict, kts_vcode_str(c->code));
	free(fe.pdu);
	kts_sig_free(sig);
}
END_TEST

/* Spec 7.12: extending with the canned response gives the stored file. */
START_TEST(test_extend_matches_libksi)
{
	struct kts_sig *sig = load_sig(TLV "ok-sig-2014-04-30.1.ksig");
	struct kts_sig *want = load_sig(TLV
	    "ok-sig-2014-04-30.1-extended_1400112000.ksig");
	struct kts_sig *got = NULL;
	struct kts_ext_resp er;
	uint8_t *pdu;
	uint8_t *a;
	uint8_t *b;
	size_t len;
	size_t na;
	size_t nb;

	vec_read(TLV "v2/ok-sig-2014-04-30.1-extend_response.tlv", &pdu, &len);
	ck_assert_int_eq(kts_ext_resp_parse(pdu, len, "anon", 4, &er, NULL), 0);
	ck_assert_uint_eq(er.req_id, 1);
	ck_assert_uint_eq(er.status, 0);
	ck_assert_ptr_nonnull(er.chain);
	ck_assert_int_eq(kts_sig_extend(sig, er.chain, er.chain_len, NULL, 0,
	    &got, NULL), 0);
	ck_assert_int_eq(kts_sig_serialize(got, &a, &na), 0);
	ck_assert_int_eq(kts_sig_serialize(want, &b, &nb), 0);
	ck_assert(na == nb && memcmp(a, b, na) == 0);
	free(a);
	free(b);
	free(pdu);
	kts_sig_free(got);
	kts_sig_free(want);
	kts_sig_free(sig);
}
END_TEST

struct resp_case {
	const char *file;
	int rc;			/* kts_ext_resp_parse result with key anon */
	uint64_t status;
};

static const struct resp_case resp_cases[] = {
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response.tlv", 0, 0 },
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response-with-conf.tlv", 0, 0 },
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response-with-conf-and-ack.tlv",
	    KTS_EFORMAT, 0 },
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response-hmac_sha512.tlv", 0, 0 },
	{ TLV "v2/ext_error_pdu.tlv", 0, KTS_ST_AUTH_FAILURE },
	{ TLV "v2/ok_extend_err_response-1.tlv", 0, KTS_ST_INVALID_PAYLOAD },
	{ TLV "v2/ok_extender_error_response_104.tlv", 0, 0x104 },
	{ TLV "v2/ok_extender_error_response_202.tlv", 0, 0x202 },
	{ TLV "v2/extend_request.tlv", KTS_EFORMAT, 0 },
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response-critical-payload-element.tlv",
	    KTS_EFORMAT, 0 },
	{ TLV "v2/ok-sig-2014-04-30.1-extend_response-non-critical-payload-element.tlv",
	    0, 0 },
};

START_TEST(test_ext_responses)
{
	const struct resp_case *c = &resp_cases[_i];
	struct kts_ext_resp er;
	uint8_t *pdu;
	size_t len;
	int r;

	vec_read(c->file, &pdu, &len);
	r = kts_ext_resp_parse(pdu, len, "anon", 4, &er, NULL);
	ck_assert_msg(r == c->rc, "%s: got %s", c->file, kts_strerror(r));
	if (r == 0)
		ck_assert_uint_eq(er.status, c->status);
	/* A wrong key must be noticed on every successful response. */
	if (r == 0 && c->status == 0)
		ck_assert_int_eq(kts_ext_resp_parse(pdu, len, "anoN", 4, &er,
		    NULL), KTS_EVERIFY);
	free(pdu);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policies");

	tcase_add_loop_test(tc, test_key_based, 0,
	    (int)(sizeof(key_cases) / sizeof(key_cases[0])));
	tcase_add_test(tc, test_pubfile_based_and_general);
	tcase_add_loop_test(tc, test_calendar_based, 0,
	    (int)(sizeof(cal_cases) / sizeof(cal_cases[0])));
	tcase_add_test(tc, test_extend_matches_libksi);
	tcase_add_loop_test(tc, test_ext_responses, 0,
	    (int)(sizeof(resp_cases) / sizeof(resp_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
