/*
 * check_pdu.c - unit tests for the PDU v2 requests, builders and the
 * aggregation response to signature step (lib/pdu.c, KSI spec 7, 10.5).
 *
 * What is covered (STYLE.md 14-15):
 * - the builders against the spec's bytes: configuration requests of 7.3,
 *   v2/aggr_request.tlv, v2/extend_request.tlv and the bare error PDUs
 *   v2/aggr_error_pdu.tlv and v2/ext_error_pdu.tlv, byte for byte;
 * - kts_req_parse() over the request vectors, a table of good and bad
 *   requests (envelope defects KTS_EFORMAT = status 0x0101, payload
 *   defects KTS_ENOTFOUND = status 0x0103), every truncated prefix, a
 *   bit-flip loop and parse(build(x)) round trips;
 * - kts_aggr_resp_to_sig() over the response vectors of spec 10.5: the
 *   byte-exact signature of 7.11, the request level of 4.2, HMAC
 *   algorithm mismatch, error payloads, request id mismatch, structure
 *   defects, and the internal policy run on every signature produced;
 * - fail-allocation-#N loops for the builders and the response step
 *   (malloc, calloc and realloc are wrapped at link time, see
 *   tests/unit/pdu.mk): each run ends in KTS_ENOMEM and leaks nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "limits.h"
#include "pdu.h"
#include "sig.h"
#include "verify.h"
#include "kts_test.h"

/* ---- fault-injecting allocator (linked with --wrap) ---------------------- */

/* ---- helpers ------------------------------------------------------------- */

#define V2 "ksi/tlv/v2/"

/* The mock document hash of spec 7.1 / 7.11. */
#define MOCK_HASH \
	"0111a700b0c8066c47ecba05ed37bc14dcadb238552d86c659342d1d7e87b8772d"

static void
imprint_hex(const char *hex, struct kts_imprint *im)
{
	uint8_t *b;
	size_t n;

	b = kts_test_hex(hex, &n);
	ck_assert_int_eq(kts_imprint_parse(b, n, im), 0);
	free(b);
}

/* Assert that the writer holds exactly the bytes of hex. */
static void
assert_wr_hex(const struct kts_wr *wr, const char *hex)
{
	uint8_t *want;
	size_t n;

	want = kts_test_hex(hex, &n);
	ck_assert_uint_eq(wr->len, n);
	ck_assert_mem_eq(wr->p, want, n);
	free(want);
}

/* Assert that the writer holds exactly the bytes of vector rel. */
static void
assert_wr_vector(const struct kts_wr *wr, const char *rel)
{
	uint8_t *want;
	size_t n;

	want = kts_test_vector(rel, &n);
	ck_assert_msg(wr->len == n, "%s: %zu bytes, want %zu", rel, wr->len, n);
	ck_assert_mem_eq(wr->p, want, n);
	free(want);
}

/* Run the internal policy; return the verdict. */
static enum kts_verdict
internal(const struct kts_sig *sig, unsigned level,
    const struct kts_imprint *doc)
{
	struct kts_vctx ctx;
	struct kts_vresult res;

	memset(&ctx, 0, sizeof(ctx));
	ctx.level = level;
	ctx.doc_hash = doc;
	ck_assert_int_eq(kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res), 0);
	return res.verdict;
}

/* 1 if the n bytes at p occur in the len bytes at hay. */
static int
contains(const uint8_t *hay, size_t len, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, p, n) == 0)
			return 1;
	return 0;
}

/* ---- builders (spec 7.1-7.3, 7.9) ---------------------------------------- */

/* Spec 7.3 derived examples, key "anon", HMAC-SHA256. */
static const struct {
	uint16_t tag;
	const char *hex;
} conf_cases[] = {
	{ KTS_TAG_AGGR_REQ, "82 20 00 2e 01 07 01 05 61 6e 6f 6e 00 04 00 "
	    "1f 21 01 b81d5a298d714ef8f8b73564606e6360"
	    "984fc8706bcf487f9f93ce22758616c0" },
	{ KTS_TAG_EXT_REQ, "83 20 00 2e 01 07 01 05 61 6e 6f 6e 00 04 00 "
	    "1f 21 01 69f6de5c272065839757f7ede44611b9"
	    "f1f252207f0af32d26011fd292eaaece" },
};

START_TEST(test_conf_req_exact)
{
	struct kts_wr wr;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_conf_req_build(&wr, conf_cases[_i].tag, "anon",
	    "anon", 4, KTS_HASH_SHA256), 0);
	assert_wr_hex(&wr, conf_cases[_i].hex);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p, wr.len, "anon", 4), 0);
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_aggr_req_exact)
{
	struct kts_imprint h;
	struct kts_wr wr;

	imprint_hex(MOCK_HASH, &h);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_aggr_req_build(&wr, "anon", "anon", 4,
	    KTS_HASH_SHA256, 1, &h, 0), 0);
	assert_wr_vector(&wr, V2 "aggr_request.tlv");
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_ext_req_exact)
{
	struct kts_wr wr;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_ext_req_build(&wr, "anon", "anon", 4,
	    KTS_HASH_SHA256, 1, 1398866256, 1400112000), 0);
	assert_wr_vector(&wr, V2 "extend_request.tlv");
	kts_wr_free(&wr);
}
END_TEST

static const struct {
	uint16_t tag;
	const char *file;
} err_cases[] = {
	{ KTS_TAG_AGGR_RESP, V2 "aggr_error_pdu.tlv" },
	{ KTS_TAG_EXT_RESP, V2 "ext_error_pdu.tlv" },
};

START_TEST(test_pdu_error_exact)
{
	struct kts_wr wr;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_pdu_error(&wr, err_cases[_i].tag,
	    KTS_ST_AUTH_FAILURE, "The request could not be authenticated"), 0);
	assert_wr_vector(&wr, err_cases[_i].file);
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_build_sha512)
{
	struct kts_req_pdu q;
	struct kts_imprint h;
	struct kts_wr wr;

	imprint_hex(MOCK_HASH, &h);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_aggr_req_build(&wr, "anon", "anon", 4,
	    KTS_HASH_SHA512, 1, &h, 0), 0);
	/* Spec 7.3: "1f 41 05 ..." is the last element. */
	ck_assert_uint_ge(wr.len, 67);
	ck_assert_mem_eq(wr.p + wr.len - 67, "\x1f\x41\x05", 3);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p, wr.len, "anon", 4), 0);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p, wr.len, "anoN", 4),
	    KTS_EVERIFY);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA512);
	kts_wr_free(&wr);
}
END_TEST

/* A failed build leaves the writer as it was; PDUs append. */
START_TEST(test_build_errors)
{
	struct kts_imprint h;
	struct kts_wr wr;
	size_t n;

	imprint_hex(MOCK_HASH, &h);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_put(&wr, "xy", 2), 0);
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_AGGR_RESP, "anon",
	    "anon", 4, KTS_HASH_SHA256), KTS_EINVAL);
	ck_assert_int_eq(kts_pdu_error(&wr, KTS_TAG_AGGR_REQ, 0x101, NULL),
	    KTS_EINVAL);
	ck_assert_int_eq(kts_aggr_req_build(&wr, "anon", "anon", 4, 0x03, 1,
	    &h, 0), KTS_EINVAL);
	ck_assert_uint_eq(wr.len, 2);
	/* Two PDUs back to back, each with its own HMAC. */
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_AGGR_REQ, "anon",
	    "anon", 4, KTS_HASH_SHA256), 0);
	n = wr.len;
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_EXT_REQ, "anon",
	    "anon", 4, KTS_HASH_SHA256), 0);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p + 2, n - 2, "anon", 4), 0);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p + n, wr.len - n, "anon", 4),
	    0);
	kts_wr_free(&wr);
	/* Too small a cap: KTS_ETOOBIG at every cut-off, nothing kept. */
	for (n = 0; n < 88; n++) {
		kts_wr_init(&wr, n);
		ck_assert_int_eq(kts_aggr_req_build(&wr, "anon", "anon", 4,
		    KTS_HASH_SHA256, 1, &h, 0), KTS_ETOOBIG);
		ck_assert_uint_eq(wr.len, 0);
		kts_wr_free(&wr);
	}
}
END_TEST

/* No HMAC without a key; a bare PDU has no header. */
START_TEST(test_build_no_key)
{
	struct kts_wr wr;
	size_t m;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_EXT_REQ, "anon",
	    NULL, 0, KTS_HASH_SHA256), 0);
	assert_wr_hex(&wr, "83 20 00 0b 01 07 01 05 61 6e 6f 6e 00 04 00");
	kts_wr_free(&wr);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_pdu_begin(&wr, KTS_TAG_AGGR_RESP, NULL, &m), 0);
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x04, 0, NULL, 0), 0);
	ck_assert_int_eq(kts_pdu_end(&wr, m, KTS_HASH_SHA256, NULL, 0), 0);
	assert_wr_hex(&wr, "82 21 00 02 04 00");
	kts_wr_free(&wr);
}
END_TEST

/* A long login id pushes the header into the TLV16 form. */
START_TEST(test_build_long_login)
{
	struct kts_req_pdu q;
	struct kts_wr wr;
	char login[301];

	memset(login, 'u', sizeof(login) - 1);
	login[sizeof(login) - 1] = '\0';
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_AGGR_REQ, login,
	    "k", 1, KTS_HASH_SHA256), 0);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert_str_eq(q.login_id, login);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p, wr.len, "k", 1), 0);
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_build_alloc_fail)
{
	struct kts_imprint h;
	struct kts_wr wr;
	long n;
	int r;

	imprint_hex(MOCK_HASH, &h);
	for (n = 1; n < 100; n++) {
		kts_wr_init(&wr, KTS_MAX_PDU);
		fail_alloc(n);
		r = kts_aggr_req_build(&wr, "anon", "anon", 4, KTS_HASH_SHA256,
		    1, &h, 3);
		fail_alloc(0);
		if (r == 0) {
			kts_wr_free(&wr);
			break;
		}
		ck_assert_int_eq(r, KTS_ENOMEM);
		ck_assert_uint_eq(wr.len, 0);
		kts_wr_free(&wr);
	}
	ck_assert_msg(n > 1 && n < 100, "no allocation was failed (n=%ld)", n);
}
END_TEST

/* ---- kts_req_parse (spec 7.1, 7.2, 7.4, 7.6-7.8, 7.14) ------------------- */

START_TEST(test_req_aggr_vector)
{
	struct kts_req_pdu q;
	struct kts_imprint h;
	uint8_t *b;
	size_t n;

	imprint_hex(MOCK_HASH, &h);
	b = kts_test_vector(V2 "aggr_request.tlv", &n);
	ck_assert_int_eq(kts_req_parse(b, n, &q, NULL), 0);
	ck_assert_uint_eq(q.tag, KTS_TAG_AGGR_REQ);
	ck_assert_str_eq(q.login_id, "anon");
	ck_assert(!q.has_instance_id && !q.has_message_id);
	ck_assert(q.has_req && !q.has_conf && !q.has_ack);
	ck_assert_uint_eq(q.aggr.req_id, 1);
	ck_assert(kts_imprint_eq(&q.aggr.hash, &h));
	ck_assert_uint_eq(q.aggr.level, 0);
	ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_pdu_hmac_check(b, n, "anon", 4), 0);
	ck_assert_int_eq(kts_pdu_hmac_check(b, n, "anoN", 4), KTS_EVERIFY);
	ck_assert_int_eq(kts_pdu_hmac_check(b, n, "anon2", 5), KTS_EVERIFY);
	free(b);
}
END_TEST

START_TEST(test_req_ext_vector)
{
	struct kts_req_pdu q;
	uint8_t *b;
	size_t n;

	b = kts_test_vector(V2 "extend_request.tlv", &n);
	ck_assert_int_eq(kts_req_parse(b, n, &q, NULL), 0);
	ck_assert_uint_eq(q.tag, KTS_TAG_EXT_REQ);
	ck_assert_str_eq(q.login_id, "anon");
	ck_assert(q.has_req && !q.has_conf && !q.has_ack);
	ck_assert_uint_eq(q.ext.req_id, 1);
	ck_assert(q.ext.has_aggr_time && q.ext.has_pub_time);
	ck_assert_uint_eq(q.ext.aggr_time, 1398866256);
	ck_assert_uint_eq(q.ext.pub_time, 1400112000);
	ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_pdu_hmac_check(b, n, "anon", 4), 0);
	ck_assert_int_eq(kts_pdu_hmac_check(b, n, "ANON", 4), KTS_EVERIFY);
	free(b);
}
END_TEST

START_TEST(test_req_round_trip)
{
	struct kts_req_pdu q;
	struct kts_imprint h;
	struct kts_wr wr;

	imprint_hex("05" "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", &h);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_aggr_req_build(&wr, "user", "key", 3,
	    KTS_HASH_SHA384, 0x0100000007ull, &h, 255), 0);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert_str_eq(q.login_id, "user");
	ck_assert(q.has_req && !q.has_conf && !q.has_ack);
	ck_assert_uint_eq(q.aggr.req_id, 0x0100000007ull);
	ck_assert(kts_imprint_eq(&q.aggr.hash, &h));
	ck_assert_uint_eq(q.aggr.level, 255);
	ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA384);
	ck_assert_int_eq(kts_pdu_hmac_check(wr.p, wr.len, "key", 3), 0);
	kts_wr_free(&wr);

	/* Extension to the head: no publication time element. */
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_ext_req_build(&wr, "user", "key", 3,
	    KTS_HASH_SHA256, UINT64_MAX, 1398866256, 0), 0);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert_uint_eq(q.ext.req_id, UINT64_MAX);
	ck_assert(q.ext.has_aggr_time && !q.ext.has_pub_time);
	ck_assert_uint_eq(q.ext.aggr_time, 1398866256);
	kts_wr_free(&wr);

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_conf_req_build(&wr, KTS_TAG_EXT_REQ, "user",
	    "key", 3, KTS_HASH_SHA512), 0);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert_uint_eq(q.tag, KTS_TAG_EXT_REQ);
	ck_assert(!q.has_req && q.has_conf && !q.has_ack);
	ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA512);
	kts_wr_free(&wr);
}
END_TEST

/*
 * Inline requests: outer tag plus the hex of its children (the test
 * adds the outer header).  The HMAC value is not checked by the parser.
 */
#define HASH "01 11111111111111111111111111111111" \
	"11111111111111111111111111111111"
#define HDR "01 07 01 05 61 6e 6f 6e 00 "
#define PAY "02 26 01 01 01 02 21 " HASH " "
#define EPAY "02 0f 01 01 01 02 04 53 61 01 50 03 04 53 74 03 80 "
#define MAC "1f 21 " HASH

static const struct {
	const char *name;
	uint16_t tag;
	const char *body;
	int rc;
} req_cases[] = {
	{ "aggr ok", 0x220, HDR PAY MAC, 0 },
	{ "ext ok", 0x320, HDR EPAY MAC, 0 },
	{ "conf only", 0x220, HDR "04 00 " MAC, 0 },
	{ "ack only", 0x220, HDR "05 00 " MAC, 0 },
	{ "ack with time", 0x220, HDR "05 03 01 01 05 " MAC, 0 },
	{ "all three", 0x220, HDR PAY "04 00 05 00 " MAC, 0 },
	{ "header ids", 0x220, "01 0d 01 05 61 6e 6f 6e 00 02 01 07 03 01 09 "
	    PAY MAC, 0 },
	{ "flags on known", 0x220, "61 07 01 05 61 6e 6f 6e 00 "
	    "62 26 01 01 01 02 21 " HASH " 7f 21 " HASH, 0 },
	{ "non-critical first", 0x220, "5e 00 " HDR PAY MAC, 0 },
	{ "non-critical inside", 0x220, HDR "5e 01 00 " PAY MAC, 0 },
	/* Envelope: status 0x0101. */
	{ "response tag", 0x221, HDR PAY MAC, KTS_EFORMAT },
	{ "v1 tag", 0x200, HDR PAY MAC, KTS_EFORMAT },
	{ "signature tag", 0x800, HDR PAY MAC, KTS_EFORMAT },
	{ "header not first", 0x220, PAY HDR MAC, KTS_EFORMAT },
	{ "no header", 0x220, PAY MAC, KTS_EFORMAT },
	{ "two headers", 0x220, HDR HDR PAY MAC, KTS_EFORMAT },
	{ "header without login", 0x220, "01 03 02 01 05 " PAY MAC,
	    KTS_EFORMAT },
	{ "login not a string", 0x220, "01 06 01 04 61 6e 6f 6e " PAY MAC,
	    KTS_EFORMAT },
	{ "unknown critical in header", 0x220, "01 09 01 05 61 6e 6f 6e 00 "
	    "1e 00 " PAY MAC, KTS_EFORMAT },
	{ "HMAC not last", 0x220, HDR MAC " " PAY, KTS_EFORMAT },
	{ "non-critical after HMAC", 0x220, HDR PAY MAC " 5e 00",
	    KTS_EFORMAT },
	{ "no HMAC", 0x220, HDR PAY, KTS_EFORMAT },
	{ "two HMACs", 0x220, HDR PAY MAC " " MAC, KTS_EFORMAT },
	{ "HMAC bad length", 0x220, HDR PAY "1f 02 01 00", KTS_EFORMAT },
	{ "HMAC undefined alg", 0x220, HDR PAY "1f 21 03"
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    KTS_EFORMAT },
	{ "no payload", 0x220, HDR MAC, KTS_EFORMAT },
	{ "two payloads", 0x220, HDR PAY PAY MAC, KTS_EFORMAT },
	{ "two conf", 0x220, HDR "04 00 04 00 " MAC, KTS_EFORMAT },
	{ "error payload", 0x220, HDR "03 03 04 01 01 " MAC, KTS_EFORMAT },
	{ "unknown critical", 0x220, HDR "1e 00 " PAY MAC, KTS_EFORMAT },
	{ "child past end", 0x220, HDR PAY "1f 30 " HASH, KTS_EFORMAT },
	{ "ack in extender", 0x320, HDR EPAY "05 00 " MAC, KTS_EFORMAT },
	{ "ack only in extender", 0x320, HDR "05 00 " MAC, KTS_EFORMAT },
	/* A non-critical 0x05 is an unknown non-critical element. */
	{ "N-flagged ack in extender", 0x320, HDR EPAY "45 00 " MAC, 0 },
	/* Payloads: status 0x0103. */
	{ "unknown critical in payload", 0x220, HDR "02 29 01 01 01 02 21 "
	    HASH " 1e 01 00 " MAC, KTS_ENOTFOUND },
	{ "non-critical in payload", 0x220, HDR "02 29 01 01 01 02 21 "
	    HASH " 5e 01 00 " MAC, 0 },
	{ "level 255", 0x220, HDR "02 29 01 01 01 02 21 " HASH " 03 01 ff "
	    MAC, 0 },
	{ "level 256", 0x220, HDR "02 2a 01 01 01 02 21 " HASH " 03 02 01 00 "
	    MAC, KTS_ENOTFOUND },
	{ "level not minimal", 0x220, HDR "02 2a 01 01 01 02 21 " HASH
	    " 03 02 00 05 " MAC, KTS_ENOTFOUND },
	{ "hash undefined alg", 0x220, HDR "02 26 01 01 01 02 21 03"
	    "1111111111111111111111111111111111111111111111111111111111111111 "
	    MAC, KTS_ENOTFOUND },
	{ "hash too short", 0x220, HDR "02 25 01 01 01 02 20 01"
	    "11111111111111111111111111111111111111111111111111111111111111 "
	    MAC, KTS_ENOTFOUND },
	{ "hash empty", 0x220, HDR "02 05 01 01 01 02 00 " MAC,
	    KTS_ENOTFOUND },
	{ "no request id", 0x220, HDR "02 23 02 21 " HASH " " MAC,
	    KTS_ENOTFOUND },
	{ "no hash", 0x220, HDR "02 03 01 01 01 " MAC, KTS_ENOTFOUND },
	{ "two request ids", 0x220, HDR "02 29 01 01 01 01 01 02 02 21 " HASH
	    " " MAC, KTS_ENOTFOUND },
	{ "request id 9 bytes", 0x220, HDR "02 2e 01 09 01 02 03 04 05 06 07 "
	    "08 09 02 21 " HASH " " MAC, KTS_ENOTFOUND },
	{ "payload child past end", 0x220, HDR "02 05 01 01 01 02 05 " MAC,
	    KTS_ENOTFOUND },
	{ "conf not empty", 0x220, HDR "04 02 01 00 " MAC, KTS_ENOTFOUND },
	{ "conf non-critical child", 0x220, HDR "04 02 41 00 " MAC, 0 },
	{ "ack bad time", 0x220, HDR "05 03 01 01 00 " MAC, KTS_ENOTFOUND },
	{ "ext without times", 0x320, HDR "02 03 01 01 01 " MAC, 0 },
	{ "ext aggr payload", 0x320, HDR PAY MAC, KTS_ENOTFOUND },
	{ "ext time 9 bytes", 0x320, HDR "02 0e 01 01 01 02 09 01 02 03 04 05 "
	    "06 07 08 09 " MAC, KTS_ENOTFOUND },
	{ "ext unknown critical", 0x320, HDR "02 11 01 01 01 02 04 53 61 01 50 "
	    "03 04 53 74 03 80 04 00 " MAC, KTS_ENOTFOUND },
};

START_TEST(test_req_table)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_req_pdu q;
	struct kts_wr wr;
	uint8_t *body;
	uint8_t *pdu;
	size_t n;
	int r;

	body = kts_test_hex(req_cases[_i].body, &n);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv(&wr, req_cases[_i].tag, 0, body, n), 0);
	pdu = kts_test_dup(wr.p, wr.len);
	r = kts_req_parse(pdu, wr.len, &q, &perr);
	ck_assert_msg(r == req_cases[_i].rc, "%s: got %s (%s)",
	    req_cases[_i].name, kts_strerror(r),
	    perr.what != NULL ? perr.what : "-");
	if (r != 0)
		ck_assert_ptr_nonnull(perr.what);
	/* A payload defect comes with the envelope decoded (spec 7.14). */
	if (r == 0 || r == KTS_ENOTFOUND) {
		ck_assert_str_eq(q.login_id, "anon");
		ck_assert_uint_eq(q.tag, req_cases[_i].tag);
		ck_assert_uint_eq(q.hmac_alg, KTS_HASH_SHA256);
	}
	free(pdu);
	free(body);
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_req_header_ids)
{
	struct kts_req_pdu q;
	struct kts_wr wr;
	uint8_t *body;
	size_t n;

	body = kts_test_hex("01 0d 01 05 61 6e 6f 6e 00 02 01 07 03 01 09 "
	    "04 00 " MAC, &n);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv(&wr, KTS_TAG_AGGR_REQ, 0, body, n), 0);
	ck_assert_int_eq(kts_req_parse(wr.p, wr.len, &q, NULL), 0);
	ck_assert(q.has_instance_id && q.has_message_id);
	ck_assert_uint_eq(q.instance_id, 7);
	ck_assert_uint_eq(q.message_id, 9);
	free(body);
	kts_wr_free(&wr);
}
END_TEST

static const char *const req_files[] = {
	V2 "aggr_request.tlv",
	V2 "extend_request.tlv",
};

START_TEST(test_req_truncations)
{
	struct kts_req_pdu q;
	uint8_t *b;
	uint8_t *c;
	size_t n;
	size_t k;

	b = kts_test_vector(req_files[_i], &n);
	for (k = 0; k < n; k++) {
		c = kts_test_dup(b, k);
		ck_assert_msg(kts_req_parse(c, k, &q, NULL) != 0,
		    "%s: prefix of %zu bytes parsed", req_files[_i], k);
		free(c);
	}
	/* A byte more is trailing garbage. */
	c = malloc(n + 1);
	ck_assert_ptr_nonnull(c);
	memcpy(c, b, n);
	c[n] = 0;
	ck_assert_int_eq(kts_req_parse(c, n + 1, &q, NULL), KTS_EFORMAT);
	free(c);
	free(b);
}
END_TEST

/* Every single-bit flip either breaks the parse or the HMAC. */
START_TEST(test_req_bitflips)
{
	struct kts_req_pdu q;
	uint8_t *b;
	size_t n;
	size_t i;
	int bit;

	b = kts_test_vector(req_files[_i], &n);
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			if (kts_req_parse(b, n, &q, NULL) == 0) {
				ck_assert_ptr_nonnull(q.login_id);
				ck_assert_int_ne(kts_pdu_hmac_check(b, n,
				    "anon", 4), 0);
			}
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	ck_assert_int_eq(kts_req_parse(b, n, &q, NULL), 0);
	free(b);
}
END_TEST

/* ---- kts_aggr_resp_to_sig (spec 7.11, 10.5) ------------------------------ */

enum expect {
	NO_SIG,		/* no signature (an error status or a failure) */
	SIG_OK,		/* a signature that passes the internal policy */
	SIG_FAIL	/* a signature that fails it */
};

static const struct resp_case {
	const char *file;
	uint8_t alg;		/* the client's HMAC algorithm */
	uint64_t req_id;
	uint64_t level;
	int rc;
	uint64_t status;
	enum expect sig;
} resp_cases[] = {
	{ V2 "ok-sig-2014-07-01.1-aggr_response.tlv", 1, 1, 0, 0, 0, SIG_OK },
	{ V2 "ok-sig-2014-07-01.1-aggr_response.tlv", 1, 2, 0, KTS_EVERIFY, 0,
	    NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-hmac_sha512.tlv", 1, 1, 0,
	    KTS_EVERIFY, 0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-hmac_sha512.tlv", 5, 1, 0,
	    0, 0, SIG_OK },
	{ V2 "ok-sig-2014-07-01.1-aggr_response.tlv", 5, 1, 0, KTS_EVERIFY,
	    0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-with-conf-and-ack.tlv", 1, 1,
	    0, 0, 0, SIG_OK },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-with-flags.tlv", 1, 1, 0, 0,
	    0, SIG_OK },
	/* An older layout: the header's 0x01 is a time, not a string. */
	{ V2 "ok-sig-2014-07-01.1-aggr_response_ordered.tlv", 1, 1, 0,
	    KTS_EFORMAT, 0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-non-critical-unknown-payload.tlv",
	    1, 1, 0, 0, 0, SIG_OK },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-critical-unknown-payload.tlv",
	    1, 1, 0, KTS_EFORMAT, 0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-multi-payload.tlv", 1, 1, 0,
	    KTS_EFORMAT, 0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-wrong-id.tlv", 1, 1, 0,
	    KTS_EVERIFY, 0, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-with-status-301.tlv", 1, 1, 0,
	    0, KTS_ST_UPSTREAM_TIMEOUT, NO_SIG },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-response-with-error-payload.tlv",
	    1, 1, 0, 0, KTS_ST_INVALID_REQUEST, NO_SIG },
	{ V2 "aggr_error_pdu.tlv", 1, 1, 0, 0, KTS_ST_AUTH_FAILURE, NO_SIG },
	{ V2 "ok_aggr_err_response-1.tlv", 1, 1, 0, 0, KTS_ST_INVALID_PAYLOAD,
	    NO_SIG },
	{ V2 "ok_aggr_error_response_301.tlv", 1, 1, 0, 0,
	    KTS_ST_UPSTREAM_TIMEOUT, NO_SIG },
	{ V2 "nok-aggr-response-header-not-first.tlv", 1, 1, 0, KTS_EFORMAT,
	    0, NO_SIG },
	{ V2 "nok-aggr-response-hmac-not-last.tlv", 1, 1, 0, KTS_EFORMAT, 0,
	    NO_SIG },
	{ V2 "nok_aggr_response_missing_header.tlv", 1, 1, 0, KTS_EFORMAT, 0,
	    NO_SIG },
	{ V2 "nok_aggr_response_bad_tag.tlv", 1, 1, 0, KTS_EFORMAT, 0,
	    NO_SIG },
	{ V2 "nok_aggr_response-invalid-aggr-chain.tlv", 1, 1, 0, 0, 0,
	    SIG_FAIL },
	{ V2 "signing-request-with-level-response.tlv", 1, 1, 3, 0, 0, SIG_OK },
	{ V2 "signing-request-with-level-response.tlv", 1, 1, 0, 0, 0,
	    SIG_FAIL },
	{ V2 "ok-local_aggr_lvl4_resp.tlv", 1, 1, 4, 0, 0, SIG_OK },
	{ V2 "ok-local_aggr_lvl4_resp.tlv", 1, 1, 0, 0, 0, SIG_FAIL },
	{ V2 "ok-aggr_resp-req_id_0100000001h.tlv", 1, 0x0100000001ull, 0, 0,
	    0, SIG_OK },
	{ V2 "ok-aggr_resp-req_id_0100000001h.tlv", 1, 1, 0, KTS_EVERIFY, 0,
	    NO_SIG },
	/* Requests and extender PDUs are not aggregation responses. */
	{ V2 "aggr_request.tlv", 1, 1, 0, KTS_EFORMAT, 0, NO_SIG },
	{ V2 "ok-sig-2014-04-30.1-extend_response.tlv", 1, 1, 0, KTS_EFORMAT,
	    0, NO_SIG },
};

START_TEST(test_resp_table)
{
	const struct resp_case *c = &resp_cases[_i];
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	const char *msg = NULL;
	uint64_t st = 99;
	uint8_t *b;
	size_t n;
	int r;

	b = kts_test_vector(c->file, &n);
	r = kts_aggr_resp_to_sig(b, n, "anon", 4, c->alg, c->req_id, c->level,
	    &st, &msg, &sig, &perr);
	ck_assert_msg(r == c->rc, "%s: got %s (%s)", c->file, kts_strerror(r),
	    perr.what != NULL ? perr.what : "-");
	if (r != 0)
		ck_assert_ptr_nonnull(perr.what);
	ck_assert_uint_eq(st, r == 0 ? c->status : 0);
	if (c->sig == NO_SIG) {
		ck_assert_ptr_null(sig);
	} else {
		ck_assert_ptr_nonnull(sig);
		ck_assert_msg(internal(sig, 0, NULL) == (c->sig == SIG_OK ?
		    KTS_V_OK : KTS_V_FAIL), "%s: internal policy", c->file);
	}
	kts_sig_free(sig);
	free(b);
}
END_TEST

/* Spec 7.9, 7.5: the error message is passed on (a view into buf). */
static const struct {
	const char *file;
	uint64_t status;
	const char *msg;
} msg_cases[] = {
	{ V2 "aggr_error_pdu.tlv", KTS_ST_AUTH_FAILURE,
	    "The request could not be authenticated" },
	{ V2 "ok_aggr_err_response-1.tlv", KTS_ST_INVALID_PAYLOAD,
	    "The request contained invalid payload" },
	{ V2 "ok-sig-2014-07-01.1-aggr_response-with-status-301.tlv",
	    KTS_ST_UPSTREAM_TIMEOUT, NULL },
};

START_TEST(test_resp_messages)
{
	struct kts_sig *sig = NULL;
	const char *msg = NULL;
	uint64_t st;
	uint8_t *b;
	size_t n;

	b = kts_test_vector(msg_cases[_i].file, &n);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 0, &st, &msg, &sig, NULL), 0);
	ck_assert_uint_eq(st, msg_cases[_i].status);
	ck_assert_ptr_null(sig);
	if (msg_cases[_i].msg == NULL) {
		ck_assert_ptr_null(msg);
	} else {
		ck_assert_str_eq(msg, msg_cases[_i].msg);
		ck_assert(msg > (const char *)b && msg < (const char *)b + n);
	}
	free(b);
}
END_TEST

/* Spec 7.11: the mock hash's response gives the libksi signature exactly. */
START_TEST(test_resp_exact)
{
	struct kts_sig *sig = NULL;
	struct kts_imprint doc;
	const char *msg = NULL;
	uint64_t st;
	uint8_t *b;
	uint8_t *want;
	size_t n;
	size_t wn;

	imprint_hex(MOCK_HASH, &doc);
	b = kts_test_vector(V2 "ok-sig-2014-07-01.1-aggr_response.tlv", &n);
	want = kts_test_vector("ksi/tlv/ok-sig-2014-07-01.1.ksig", &wn);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 0, &st, &msg, &sig, NULL), 0);
	ck_assert_uint_eq(st, 0);
	ck_assert_ptr_null(msg);
	ck_assert_uint_eq(sig->len, wn);
	ck_assert_mem_eq(sig->buf, want, wn);
	ck_assert_int_eq(internal(sig, 0, &doc), KTS_V_OK);
	kts_sig_free(sig);
	/* message may be NULL; a wrong key is an HMAC failure. */
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 0, &st, NULL, &sig, NULL), 0);
	kts_sig_free(sig);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anoN", 4,
	    KTS_HASH_SHA256, 1, 0, &st, NULL, &sig, NULL), KTS_EVERIFY);
	ck_assert_ptr_null(sig);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 256, &st, NULL, &sig, NULL), KTS_EINVAL);
	free(want);
	free(b);
}
END_TEST

/* Spec 4.2, 7.11 step 5: the request level goes into the first link. */
START_TEST(test_resp_level)
{
	struct kts_sig *sig = NULL;
	const struct kts_aggr_link *l;
	uint64_t st;
	uint8_t *b;
	size_t n;
	size_t i;

	b = kts_test_vector(V2 "signing-request-with-level-response.tlv", &n);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 3, &st, NULL, &sig, NULL), 0);
	ck_assert_uint_eq(sig->n_chains, 5);
	l = &sig->chains[0].links[0];
	ck_assert(l->has_corr);
	ck_assert_uint_eq(l->corr, 3);
	ck_assert_uint_eq(l->kind, KTS_SIB_META);
	ck_assert_str_eq(l->meta.client_id, "anon");
	ck_assert_int_eq(internal(sig, 0, NULL), KTS_V_OK);
	ck_assert_int_eq(internal(sig, 3, NULL), KTS_V_OK);
	ck_assert_int_eq(internal(sig, 4, NULL), KTS_V_FAIL);
	/* Only the lowest chain was re-serialized. */
	ck_assert(!contains(b, n, sig->chains[0].raw, sig->chains[0].raw_len));
	for (i = 1; i < sig->n_chains; i++)
		ck_assert(contains(b, n, sig->chains[i].raw,
		    sig->chains[i].raw_len));
	ck_assert(contains(b, n, sig->cal.raw, sig->cal.raw_len));
	kts_sig_free(sig);
	free(b);

	/* Spec 10.5: a level-4 local aggregation root verifies as a level 3
	 * or 4 input, not as level 5 (GEN-3). */
	b = kts_test_vector(V2 "ok-local_aggr_lvl4_resp.tlv", &n);
	ck_assert_int_eq(kts_aggr_resp_to_sig(b, n, "anon", 4,
	    KTS_HASH_SHA256, 1, 4, &st, NULL, &sig, NULL), 0);
	ck_assert_uint_eq(sig->chains[0].links[0].corr, 4);
	ck_assert_int_eq(internal(sig, 3, NULL), KTS_V_OK);
	ck_assert_int_eq(internal(sig, 4, NULL), KTS_V_OK);
	ck_assert_int_eq(internal(sig, 5, NULL), KTS_V_FAIL);
	kts_sig_free(sig);
	free(b);
}
END_TEST

static const char *const resp_files[] = {
	V2 "ok-sig-2014-07-01.1-aggr_response.tlv",
	V2 "signing-request-with-level-response.tlv",
	V2 "aggr_error_pdu.tlv",
	V2 "ok_aggr_err_response-1.tlv",
};

START_TEST(test_resp_truncations)
{
	struct kts_sig *sig = NULL;
	uint64_t st;
	uint8_t *b;
	uint8_t *c;
	size_t n;
	size_t k;

	b = kts_test_vector(resp_files[_i], &n);
	for (k = 0; k < n; k++) {
		c = kts_test_dup(b, k);
		ck_assert_msg(kts_aggr_resp_to_sig(c, k, "anon", 4,
		    KTS_HASH_SHA256, 1, 3, &st, NULL, &sig, NULL) != 0,
		    "%s: prefix of %zu bytes accepted", resp_files[_i], k);
		ck_assert_ptr_null(sig);
		free(c);
	}
	free(b);
}
END_TEST

/* Bit flips never crash; a flip never yields a signature past the HMAC. */
START_TEST(test_resp_bitflips)
{
	struct kts_sig *sig = NULL;
	uint64_t st;
	uint8_t *b;
	size_t n;
	size_t i;
	int bit;
	int r;

	b = kts_test_vector(resp_files[_i], &n);
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			r = kts_aggr_resp_to_sig(b, n, "anon", 4,
			    KTS_HASH_SHA256, 1, 3, &st, NULL, &sig, NULL);
			/* Bare error PDUs are not authenticated (7.9). */
			if (r == 0 && _i < 2)
				ck_assert_ptr_null(sig);
			kts_sig_free(sig);
			sig = NULL;
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(b);
}
END_TEST

START_TEST(test_resp_alloc_fail)
{
	struct kts_sig *sig = NULL;
	uint64_t st;
	uint8_t *b;
	size_t n;
	long k;
	int r;

	b = kts_test_vector(V2 "signing-request-with-level-response.tlv", &n);
	for (k = 1; k < 1000; k++) {
		fail_alloc(k);
		r = kts_aggr_resp_to_sig(b, n, "anon", 4, KTS_HASH_SHA256, 1,
		    3, &st, NULL, &sig, NULL);
		fail_alloc(0);
		if (r == 0)
			break;
		ck_assert_msg(r == KTS_ENOMEM, "allocation %ld: %s", k,
		    kts_strerror(r));
		ck_assert_ptr_null(sig);
	}
	ck_assert_msg(k > 1 && k < 1000, "no allocation was failed (k=%ld)", k);
	ck_assert_ptr_nonnull(sig);
	ck_assert_uint_eq(sig->chains[0].links[0].corr, 3);
	kts_sig_free(sig);
	free(b);
}
END_TEST

static Suite *
pdu_suite(void)
{
	Suite *s = suite_create("pdu");
	TCase *tc;

	tc = tcase_create("build");
	tcase_add_loop_test(tc, test_conf_req_exact, 0,
	    (int)KTS_N_ELEMS(conf_cases));
	tcase_add_test(tc, test_aggr_req_exact);
	tcase_add_test(tc, test_ext_req_exact);
	tcase_add_loop_test(tc, test_pdu_error_exact, 0,
	    (int)KTS_N_ELEMS(err_cases));
	tcase_add_test(tc, test_build_sha512);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_build_no_key);
	tcase_add_test(tc, test_build_long_login);
	tcase_add_test(tc, test_build_alloc_fail);
	suite_add_tcase(s, tc);

	tc = tcase_create("req_parse");
	tcase_add_test(tc, test_req_aggr_vector);
	tcase_add_test(tc, test_req_ext_vector);
	tcase_add_test(tc, test_req_round_trip);
	tcase_add_loop_test(tc, test_req_table, 0, (int)KTS_N_ELEMS(req_cases));
	tcase_add_test(tc, test_req_header_ids);
	tcase_add_loop_test(tc, test_req_truncations, 0,
	    (int)KTS_N_ELEMS(req_files));
	tcase_add_loop_test(tc, test_req_bitflips, 0,
	    (int)KTS_N_ELEMS(req_files));
	suite_add_tcase(s, tc);

	tc = tcase_create("aggr_resp");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_resp_table, 0,
	    (int)KTS_N_ELEMS(resp_cases));
	tcase_add_loop_test(tc, test_resp_messages, 0,
	    (int)KTS_N_ELEMS(msg_cases));
	tcase_add_test(tc, test_resp_exact);
	tcase_add_test(tc, test_resp_level);
	tcase_add_loop_test(tc, test_resp_truncations, 0,
	    (int)KTS_N_ELEMS(resp_files));
	tcase_add_loop_test(tc, test_resp_bitflips, 0,
	    (int)KTS_N_ELEMS(resp_files));
	tcase_add_test(tc, test_resp_alloc_fail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(pdu_suite());
}
