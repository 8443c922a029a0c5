/*
 * check_pub.c - unit tests for lib/pub.h: publication strings (spec 6.2),
 * the publications file (6.3, 6.4), look-ups, and the calendar
 * authentication record's PKI signature (3.9, 6.6).
 *
 * Vectors come from $KTS_VECTORS (make check sets it); a test fails with
 * a clear message when it is unset.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "failalloc.h"
#include "hash.h"
#include "limits.h"
#include "pub.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define TLV "ksi/tlv/"
#define PF_ONE TLV "publications-one-cert-one-publication-record-" \
	"with-wrong-hash.tlv"
#define PF_DEPR TLV "publications-file-for-deprecated-algorithm-in-" \
	"calendar-chain.bin"
#define PUBS "ksi/publications/"
#define CRT "ksi/crt/"
#define RES "ksi/test_pack/policy-verification-signatures/resources/"

#define PF_MAIN TLV "publications.tlv"
#define PF_NOCERTS PUBS "publications-nocerts.bin"
#define PF_REAL RES "publications-file.bin"

#define EMAIL "publications@guardtime.com"

/* ---- helpers -------------------------------------------------------- */

static const char *
vec_path(const char *rel, char *buf, size_t size)
{
	const char *top = getenv("KTS_VECTORS");
	int n;

	if (top == NULL || *top == '\0')
		ck_abort_msg("KTS_VECTORS is not set: run through make check "
		    "or export KTS_VECTORS=/path/to/shared/vectors");
	n = snprintf(buf, size, "%s/%s", top, rel);
	if (n < 0 || (size_t)n >= size)
		ck_abort_msg("vector path too long: %s", rel);
	return buf;
}

/* An exactly-sized heap copy of a vector, so ASan sees over-reads. */
static uint8_t *
vec_read(const char *rel, size_t *len)
{
	char path[4096];
	uint8_t *p = NULL;
	uint8_t *exact;
	int r;

	vec_path(rel, path, sizeof(path));
	if ((r = kts_file_read(path, KTS_MAX_PUBFILE, &p, len)) != 0)
		ck_abort_msg("cannot read %s: %s", path, kts_strerror(r));
	if ((exact = malloc(*len > 0 ? *len : 1)) == NULL)
		ck_abort_msg("out of memory");
	memcpy(exact, p, *len);
	free(p);
	return exact;
}

static struct kts_pubfile *
vec_pubfile(const char *rel)
{
	struct kts_pubfile *pf = NULL;
	struct kts_perr perr = { 0, 0, NULL };
	uint8_t *buf;
	size_t len;
	int r;

	buf = vec_read(rel, &len);
	r = kts_pubfile_parse(buf, len, &pf, &perr);
	free(buf);
	ck_assert_msg(r == 0, "%s: parse failed: %s at %zu tag 0x%x: %s", rel,
	    kts_strerror(r), perr.off, (unsigned)perr.tag,
	    perr.what != NULL ? perr.what : "?");
	return pf;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (blanks ignored) into out; returns the byte count. */
static size_t
hex_to(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;
	int v;

	for (; *hex != '\0'; hex++) {
		if (*hex == ' ')
			continue;
		if ((v = hexval(*hex)) < 0)
			ck_abort_msg("bad hex in test data: %c", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, max);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	ck_assert_int_eq(hi, -1);
	return n;
}

/* ---- publication strings (spec 6.2) --------------------------------- */

static const struct {
	const char *str;
	uint64_t time;
	const char *imprint;
} pubstr_vectors[] = {
	{ "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-AM5WWV-"
	  "4MCLSP-XPRDDI-UFMHBA", 1397520000,
	  "01a1b5238ffb05fccfa67546266a0b2d71"
	  "30f6656026033b6b578c12e4fbbe231a" },
	{ "AAAAAA-CTOQBY-AAMJYH-XZPM6T-UO6U6V-2WJMHQ-EJMVXR-JEAGID-2OY7P5-"
	  "XFFKYI-QIF2LG-YOV7SO", 1400112000,
	  "0189c1ef97b3d3a3bd4f57564b0f022595"
	  "bc52401903d3b1f7f6e52ab08820ba59" },
	{ "AAAAAA-DF6OHY-AAMWLC-WDLI7J-V6IP4V-JYT32Y-PFSQ54-KPUL3V-JCHMEN-"
	  "VGPL3R-AQYKHA-54JPLO", 1710460800,
	  "019658ac35a3e9af90fe55389ef5879650"
	  "ef14fa2f75488ec236a67af710430a38" },
};

static void
imprint_of(const char *hex, struct kts_imprint *im)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t n;

	n = hex_to(hex, b, sizeof(b));
	ck_assert_int_eq(kts_imprint_parse(b, n, im), 0);
}

START_TEST(test_pubstr_decode)
{
	struct kts_imprint want;
	struct kts_imprint got;
	uint64_t t = 0;

	imprint_of(pubstr_vectors[_i].imprint, &want);
	ck_assert_int_eq(kts_pubstr_decode(pubstr_vectors[_i].str, &t, &got),
	    0);
	ck_assert_uint_eq(t, pubstr_vectors[_i].time);
	ck_assert(kts_imprint_eq(&got, &want));
}
END_TEST

START_TEST(test_pubstr_encode)
{
	struct kts_imprint im;
	char buf[KTS_MAX_PUBSTR];

	imprint_of(pubstr_vectors[_i].imprint, &im);
	ck_assert_int_eq(kts_pubstr_encode(pubstr_vectors[_i].time, &im, buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, pubstr_vectors[_i].str);
	/* 72 characters and 11 dashes: exactly 84 bytes with the NUL. */
	ck_assert_int_eq(kts_pubstr_encode(pubstr_vectors[_i].time, &im, buf,
	    84), 0);
	ck_assert_int_eq(kts_pubstr_encode(pubstr_vectors[_i].time, &im, buf,
	    83), KTS_ETOOBIG);
}
END_TEST

/* Variants of vector 0 and outright garbage. */
static const struct {
	const char *name;
	const char *str;
	int rc;
} pubstr_bad[] = {
	{ "lower case", "aaaaaa-ctjr3i-aanbwu-ry76yf-7th2m5-kgezva-wllrgd-"
	  "3gkybg-am5wwv-4mclsp-xprddi-ufmhba", 0 },
	{ "no dashes", "AAAAAACTJR3IAANBWURY76YF7TH2M5KGEZVAWLLRGD3GKYBGAM5WWV"
	  "4MCLSPXPRDDIUFMHBA", 0 },
	{ "bad CRC", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDDI-UFMHBB", KTS_EFORMAT },
	{ "changed hash", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-"
	  "3GKYBG-AM5WWV-4MCLSP-XPRDDJ-UFMHBA", KTS_EFORMAT },
	{ "digit 0", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDDI-UFMHB0", KTS_EFORMAT },
	{ "digit 1", "1AAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDDI-UFMHBA", KTS_EFORMAT },
	{ "digit 8", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDD8-UFMHBA", KTS_EFORMAT },
	{ "digit 9", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDDI-UF9HBA", KTS_EFORMAT },
	{ "space", "AAAAAA CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-3GKYBG-"
	  "AM5WWV-4MCLSP-XPRDDI-UFMHBA", KTS_EFORMAT },
	{ "one char short", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-"
	  "3GKYBG-AM5WWV-4MCLSP-XPRDDI-UFMHB", KTS_EFORMAT },
	{ "one group short", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-"
	  "WLLRGD-3GKYBG-AM5WWV-4MCLSP-XPRDDI", KTS_EFORMAT },
	{ "one group long", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-"
	  "3GKYBG-AM5WWV-4MCLSP-XPRDDI-UFMHBA-AAAAAA", KTS_EFORMAT },
	{ "garbage after pad", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-"
	  "WLLRGD-3GKYBG-AM5WWV-4MCLSP-XPRDDI-UFMHBA=X", KTS_EFORMAT },
	{ "pad after data", "AAAAAA-CTJR3I-AANBWU-RY76YF-7TH2M5-KGEZVA-WLLRGD-"
	  "3GKYBG-AM5WWV-4MCLSP-XPRDDI-UFMHBA====", 0 },
	{ "empty", "", KTS_EFORMAT },
	{ "dashes only", "------", KTS_EFORMAT },
	{ "too short", "AAAAAA-AAAAAA-AAAAAA", KTS_EFORMAT },
};

START_TEST(test_pubstr_bad)
{
	struct kts_imprint im;
	uint64_t t = 0;

	ck_assert_msg(kts_pubstr_decode(pubstr_bad[_i].str, &t, &im) ==
	    pubstr_bad[_i].rc, "case %s", pubstr_bad[_i].name);
	if (pubstr_bad[_i].rc == 0)
		ck_assert_uint_eq(t, pubstr_vectors[0].time);
}
END_TEST

START_TEST(test_pubstr_too_long)
{
	char s[KTS_MAX_PUBSTR + 2];
	struct kts_imprint im;
	uint64_t t;

	memset(s, '-', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	ck_assert_int_eq(kts_pubstr_decode(s, &t, &im), KTS_EFORMAT);
}
END_TEST

/* Every algorithm's imprint round-trips, padding included (SHA-512). */
static const uint8_t roundtrip_algs[] = {
	KTS_HASH_SHA1, KTS_HASH_SHA256, KTS_HASH_RIPEMD160, KTS_HASH_SHA384,
	KTS_HASH_SHA512, KTS_HASH_SHA3_224, KTS_HASH_SM3,
};

START_TEST(test_pubstr_roundtrip)
{
	char buf[KTS_MAX_PUBSTR];
	struct kts_imprint im;
	struct kts_imprint back;
	uint64_t t = 0;
	size_t i;

	ck_assert_int_eq(kts_imprint_zero(roundtrip_algs[_i], &im), 0);
	for (i = 0; i < im.len; i++)
		im.d[i] = (uint8_t)(0xa5 ^ (i * 7));
	ck_assert_int_eq(kts_pubstr_encode(0x0123456789abcdefull, &im, buf,
	    sizeof(buf)), 0);
	ck_assert_int_eq(kts_pubstr_decode(buf, &t, &back), 0);
	ck_assert_uint_eq(t, 0x0123456789abcdefull);
	ck_assert(kts_imprint_eq(&im, &back));
}
END_TEST

/* ---- parsing the vector files (spec 6.3, 10.1) ---------------------- */

static const struct {
	const char *file;
	int rc;
	size_t n_certs;
	size_t n_pubs;
	int64_t created;	/* seconds, -1 = not checked */
	size_t err_off;		/* where parsing fails (rc != 0) */
	uint32_t err_tag;	/* the element it fails in (rc != 0) */
} parse_cases[] = {
	{ PF_MAIN, 0, 21, 77, 1416400746, 0, 0 },
	{ TLV "publications.15042014.tlv", 0, 5, 74, -1, 0, 0 },
	{ TLV "ksi-publications.bin", 0, 10, 21, -1, 0, 0 },
	{ TLV "publfile-nok-pki.tlv", 0, 10, 77, -1, 0, 0 },
	/*
	 * Spec 10.1 says the CMS digest fails; in fact a 78th publication
	 * follows the signature, which the parser rejects (spec 6.3).
	 */
	{ TLV "publications-fake-publication.tlv", KTS_EFORMAT, 0, 0, 0,
	  17241, KTS_TAG_PF_PUB },
	{ TLV "ok-cert-3.pem-pubfile.bin", 0, 1, 1, -1, 0, 0 },
	{ PF_ONE, 0, 1, 1, -1, 0, 0 },
	{ TLV "ksi-publications.invalid-cert.validity.bin", 0, 16, 34, -1,
	  0, 0 },
	{ PF_DEPR, 0, 2, 4, -1, 0, 0 },
	{ PF_NOCERTS, 0, 0, 3, 1438677648, 0, 0 },
	/* Its unknown N element is fine; its 4-byte 0x704 is garbage. */
	{ PUBS "publications-contains-not-critical-unknown-element.bin",
	  KTS_EFORMAT, 0, 0, 0, 25, KTS_TAG_PF_SIG },
	{ PF_REAL, 0, 4, 116, 1710870545, 0, 0 },
	{ RES "publications-file-resigned.bin", 0, 4, 116, 1710870545, 0, 0 },
};

START_TEST(test_parse_vectors)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_pubfile *pf = NULL;
	uint8_t *buf;
	size_t len;
	int r;

	buf = vec_read(parse_cases[_i].file, &len);
	r = kts_pubfile_parse(buf, len, &pf, &perr);
	ck_assert_msg(r == parse_cases[_i].rc, "%s: got %s (%s)",
	    parse_cases[_i].file, kts_strerror(r),
	    perr.what != NULL ? perr.what : "-");
	if (r != 0) {
		ck_assert_ptr_null(pf);
		ck_assert_ptr_nonnull(perr.what);
		ck_assert_uint_eq(perr.off, parse_cases[_i].err_off);
		ck_assert_uint_eq(perr.tag, parse_cases[_i].err_tag);
		goto out;
	}
	ck_assert_uint_eq(pf->n_certs, parse_cases[_i].n_certs);
	ck_assert_uint_eq(pf->n_pubs, parse_cases[_i].n_pubs);
	ck_assert_uint_eq(pf->version, 1);
	ck_assert_uint_eq(pf->len, len);
	ck_assert_uint_eq(pf->signed_len + 4 + pf->cms_len, len);
	if (parse_cases[_i].created >= 0)
		ck_assert_int_eq(kts_pubfile_created(pf),
		    parse_cases[_i].created);
out:
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

/*
 * Synthetic files: the magic, then body (hex), then (if cms) a 0x704 with
 * a real SignedData taken from publications-nocerts.bin, then tail (hex).
 */
#define HDR "87010009 010101 020465f9d011 "
#define CERT "8702000a 0104aabbccdd 02020102 "
#define PUB "8703002b 1029 020453618e80 0421 01 " \
	"0000000000000000000000000000000000000000000000000000000000000000 "
#define GARBAGE_SIG "87040004 deadbeef "

static const struct {
	const char *name;
	const char *body;
	int cms;
	const char *tail;
	int rc;
	size_t n_certs;
	size_t n_pubs;
} struct_cases[] = {
	{ "header and signature", HDR, 1, "", 0, 0, 0 },
	{ "certs, pubs, unknown N", HDR CERT CERT PUB "c7050000" PUB, 1, "",
	  0, 2, 2 },
	{ "unknown N TLV8 after header", HDR "4200", 1, "", 0, 0, 0 },
	{ "header unknown N child", "8701000b 010101 020465f9d011 4500", 1, "",
	  0, 0, 0 },
	{ "header with URI", "8701000e 010101 020465f9d011 0303 612f00", 1, "",
	  0, 0, 0 },
	{ "no header", CERT, 1, "", KTS_EFORMAT, 0, 0 },
	{ "unknown N before header", "4200" HDR, 1, "", KTS_EFORMAT, 0, 0 },
	{ "header twice", HDR HDR, 1, "", KTS_EFORMAT, 0, 0 },
	{ "cert after pub", HDR PUB CERT, 1, "", KTS_EFORMAT, 0, 0 },
	{ "header after cert", HDR CERT HDR, 1, "", KTS_EFORMAT, 0, 0 },
	{ "unknown critical", HDR "87050000", 1, "", KTS_EFORMAT, 0, 0 },
	{ "unknown critical TLV8", HDR "0200", 1, "", KTS_EFORMAT, 0, 0 },
	{ "element after signature", HDR, 1, "4200", KTS_EFORMAT, 0, 0 },
	{ "two signatures", HDR, 1, GARBAGE_SIG, KTS_EFORMAT, 0, 0 },
	{ "no signature", HDR CERT PUB, 0, "", KTS_ETRUNC, 0, 0 },
	{ "only magic", "", 0, "", KTS_ETRUNC, 0, 0 },
	{ "garbage signature", HDR GARBAGE_SIG, 0, "", KTS_EFORMAT, 0, 0 },
	{ "empty signature", HDR "87040000", 0, "", KTS_EFORMAT, 0, 0 },
	{ "header without version", "87010006 020465f9d011", 1, "",
	  KTS_EFORMAT, 0, 0 },
	{ "header without time", "87010003 010101", 1, "", KTS_EFORMAT, 0, 0 },
	{ "header unknown critical child", "8701000b 010101 020465f9d011 0500",
	  1, "", KTS_EFORMAT, 0, 0 },
	{ "header empty URI", "8701000c 010101 020465f9d011 030100", 1, "",
	  KTS_EFORMAT, 0, 0 },
	{ "version leading zero", "8701000a 01020001 020465f9d011", 1, "",
	  KTS_EFORMAT, 0, 0 },
	{ "header child overruns", "87010009 010101 020565f9d011", 1, "",
	  KTS_EFORMAT, 0, 0 },
	{ "element overruns file", HDR "8702ffff 0101", 0, "", KTS_ETRUNC, 0,
	  0 },
	{ "cert without id", HDR "87020004 02020102", 1, "", KTS_EFORMAT, 0,
	  0 },
	{ "cert empty der", HDR "87020008 0104aabbccdd 0200", 1, "",
	  KTS_EFORMAT, 0, 0 },
	{ "pub without data", HDR "87030000", 1, "", KTS_EFORMAT, 0, 0 },
	{ "pub bad imprint", HDR "8703002b 1029 020453618e80 0421 03 "
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  1, "", KTS_EFORMAT, 0, 0 },
};

/* Build magic || body || [0x704 cms] || tail into a fresh buffer. */
static uint8_t *
build_file(const char *body, int with_cms, const char *tail, size_t *len)
{
	static uint8_t tmp[8192];
	struct kts_pubfile *src;
	uint8_t *out;
	size_t n = 8;

	memcpy(tmp, KTS_PUBFILE_MAGIC, 8);
	n += hex_to(body, tmp + n, sizeof(tmp) - n);
	if (with_cms) {
		src = vec_pubfile(PF_NOCERTS);
		ck_assert_uint_lt(src->cms_len + 4, sizeof(tmp) - n);
		tmp[n++] = 0x87;
		tmp[n++] = 0x04;
		tmp[n++] = (uint8_t)(src->cms_len >> 8);
		tmp[n++] = (uint8_t)src->cms_len;
		memcpy(tmp + n, src->cms, src->cms_len);
		n += src->cms_len;
		kts_pubfile_free(src);
	}
	n += hex_to(tail, tmp + n, sizeof(tmp) - n);
	if ((out = malloc(n)) == NULL)
		ck_abort_msg("out of memory");
	memcpy(out, tmp, n);
	*len = n;
	return out;
}

START_TEST(test_parse_structure)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_pubfile *pf = NULL;
	uint8_t *buf;
	size_t len;
	int r;

	buf = build_file(struct_cases[_i].body, struct_cases[_i].cms,
	    struct_cases[_i].tail, &len);
	r = kts_pubfile_parse(buf, len, &pf, &perr);
	ck_assert_msg(r == struct_cases[_i].rc, "%s: got %s (%s)",
	    struct_cases[_i].name, kts_strerror(r),
	    perr.what != NULL ? perr.what : "-");
	if (r == 0) {
		ck_assert_uint_eq(pf->n_certs, struct_cases[_i].n_certs);
		ck_assert_uint_eq(pf->n_pubs, struct_cases[_i].n_pubs);
		ck_assert_int_eq(kts_pubfile_created(pf), 0x65f9d011);
	} else {
		ck_assert_ptr_null(pf);
		ck_assert_ptr_nonnull(perr.what);
		ck_assert_uint_le(perr.off, len);
	}
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

START_TEST(test_parse_fields)
{
	struct kts_pubfile *pf;
	uint8_t *buf;
	size_t len;

	buf = build_file("8701000e 010101 020465f9d011 0303 612f00" CERT PUB,
	    1, "", &len);
	ck_assert_int_eq(kts_pubfile_parse(buf, len, &pf, NULL), 0);
	ck_assert_str_eq(pf->repo_uri, "a/");
	ck_assert_uint_eq(pf->certs[0].id_len, 4);
	ck_assert_mem_eq(pf->certs[0].id, "\xaa\xbb\xcc\xdd", 4);
	ck_assert_uint_eq(pf->certs[0].der_len, 2);
	ck_assert_uint_eq(pf->pubs[0].data.time, 0x53618e80);
	ck_assert_uint_eq(pf->pubs[0].data.hash.alg, KTS_HASH_SHA256);
	/* Views point into the parser's own copy, not the caller's buffer. */
	ck_assert(pf->certs[0].der < buf || pf->certs[0].der >= buf + len);
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

static const struct {
	const char *bytes;
	size_t len;
	int rc;
} magic_cases[] = {
	{ "", 0, KTS_ETRUNC },
	{ "KSIP", 4, KTS_ETRUNC },
	{ "KSIPUBL", 7, KTS_ETRUNC },
	{ "KSIPUBLF", 8, KTS_ETRUNC },
	{ "XYZ", 3, KTS_EFORMAT },
	{ "KSIPUBLX", 8, KTS_EFORMAT },
	{ "ksipublf\x87\x01\x00\x00", 12, KTS_EFORMAT },
};

START_TEST(test_parse_magic)
{
	struct kts_pubfile *pf = (struct kts_pubfile *)1;
	uint8_t *buf;

	buf = malloc(magic_cases[_i].len + 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, magic_cases[_i].bytes, magic_cases[_i].len);
	ck_assert_int_eq(kts_pubfile_parse(buf, magic_cases[_i].len, &pf,
	    NULL), magic_cases[_i].rc);
	ck_assert_ptr_null(pf);
	free(buf);
}
END_TEST

START_TEST(test_parse_caps)
{
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_pubfile *pf;
	size_t n = KTS_MAX_PUBFILE + 1;
	static const uint8_t rec[] = { 0x87, 0x02, 0x00, 0x06,
	    0x01, 0x01, 0xaa, 0x02, 0x01, 0xbb };
	uint8_t *buf;
	size_t i;
	size_t off;

	/* Over the size cap: refused before anything is read. */
	ck_assert_ptr_nonnull(buf = calloc(1, n));
	memcpy(buf, KTS_PUBFILE_MAGIC, 8);
	ck_assert_int_eq(kts_pubfile_parse(buf, n, &pf, NULL), KTS_ETOOBIG);
	/* One record over the record cap: refused before allocating. */
	off = 8;
	n = hex_to(HDR, buf + off, 64);
	off += n;
	for (i = 0; i <= KTS_MAX_PUBFILE_RECORDS; i++, off += sizeof(rec))
		memcpy(buf + off, rec, sizeof(rec));
	ck_assert_int_eq(kts_pubfile_parse(buf, off, &pf, &perr), KTS_ETOOBIG);
	ck_assert_uint_eq(perr.tag, KTS_TAG_PF_CERT);
	free(buf);
}
END_TEST

/* ---- verification (spec 6.4, 10.1) ---------------------------------- */

#define AT_NOW (-1)
#define AT_CREATED (-2)

static const struct {
	const char *name;
	const char *file;
	const char *ca;		/* trust anchor file, NULL for none */
	const char *oid;	/* first constraint, NULL for none */
	const char *value;
	const char *oid2;	/* second constraint, NULL for none */
	const char *value2;
	int64_t at;
	uint8_t partial;
	int rc;
	const char *why;	/* expected in the explanation */
} verify_cases[] = {
	{ "main file, mock.crt, email", PF_MAIN, CRT "mock.crt", "E", EMAIL,
	  NULL, NULL, AT_NOW, 0, 0, NULL },
	{ "main file, email by OID, O", PF_MAIN, CRT "mock.crt",
	  "1.2.840.113549.1.9.1", EMAIL, "O", "Guardtime AS", AT_NOW, 0, 0,
	  NULL },
	{ "main file, C and L", PF_MAIN, CRT "mock.crt", "C", "EE", "l",
	  "Default City", AT_NOW, 0, 0, NULL },
	{ "main file, no anchor", PF_MAIN, NULL, "E", EMAIL, NULL, NULL,
	  AT_NOW, 0, KTS_EVERIFY, "not trusted: self-signed certificate" },
	{ "main file, wrong email", PF_MAIN, CRT "mock.crt", "email",
	  "publications@guardtime.co", NULL, NULL, AT_NOW, 0, KTS_EVERIFY,
	  "signer subject has no email=publications@guardtime.co" },
	{ "main file, absent CN", PF_MAIN, CRT "mock.crt", "E", EMAIL, "CN",
	  "Guardtime AS", AT_NOW, 0, KTS_EVERIFY, "signer subject has no CN=" },
	{ "main file, no constraint", PF_MAIN, CRT "mock.crt", NULL, NULL,
	  NULL, NULL, AT_NOW, 0, KTS_EINVAL,
	  "no certificate constraints configured" },
	{ "main file, bad constraint name", PF_MAIN, CRT "mock.crt", "XX",
	  "1", NULL, NULL, AT_NOW, 0, KTS_EINVAL, "not a known name" },
	{ "main file, missing anchor file", PF_MAIN, CRT "no-such.crt", "E",
	  EMAIL, NULL, NULL, AT_NOW, 0, KTS_EINVAL, "cannot load trust" },
	{ "15042014 with mock.crt", TLV "publications.15042014.tlv",
	  CRT "mock.crt", "E", EMAIL, NULL, NULL, AT_NOW, 0, KTS_EVERIFY,
	  "not trusted" },
	{ "ksi-publications with mock.crt", TLV "ksi-publications.bin",
	  CRT "mock.crt", "E", EMAIL, NULL, NULL, AT_NOW, 0, 0, NULL },
	{ "nok-pki with mock.crt", TLV "publfile-nok-pki.tlv", CRT "mock.crt",
	  "E", EMAIL, NULL, NULL, AT_NOW, 0, KTS_EVERIFY,
	  "unable to get local issuer certificate" },
	{ "ok-cert-3 with CA1", TLV "ok-cert-3.pem-pubfile.bin",
	  TLV "ok-cert-ca-1.pem", "E", "pub-test@test.com", "CN", "pub-test",
	  AT_NOW, 0, 0, NULL },
	{ "ok-cert-3 with mock.crt", TLV "ok-cert-3.pem-pubfile.bin",
	  CRT "mock.crt", "E", "pub-test@test.com", NULL, NULL, AT_NOW, 0,
	  KTS_EVERIFY, "not trusted" },
	{ "ok-cert-3, Guardtime email", TLV "ok-cert-3.pem-pubfile.bin",
	  TLV "ok-cert-ca-1.pem", "E", EMAIL, NULL, NULL, AT_NOW, 0,
	  KTS_EVERIFY, "signer subject has no E=" },
	{ "nocerts with mock.crt", PF_NOCERTS, CRT "mock.crt", "E", EMAIL,
	  NULL, NULL, AT_NOW, 0, KTS_EVERIFY, "not trusted" },
	{ "real file, issuer CA partial, created", PF_REAL,
	  RES "publications-file-issuer-ca.pem", "E", EMAIL, "O",
	  "GuardTime O\xc3\x9c", AT_CREATED, 1, 0, NULL },
	{ "real file, no partial chain", PF_REAL,
	  RES "publications-file-issuer-ca.pem", "E", EMAIL, NULL, NULL,
	  AT_CREATED, 0, KTS_EVERIFY, "not trusted" },
	{ "real file, today", PF_REAL, RES "publications-file-issuer-ca.pem",
	  "E", EMAIL, NULL, NULL, AT_NOW, 1, KTS_EVERIFY,
	  "certificate has expired" },
	{ "real file, before issue", PF_REAL,
	  RES "publications-file-issuer-ca.pem", "E", EMAIL, NULL, NULL,
	  1577836800, 1, KTS_EVERIFY, "not yet valid" },
	{ "real file, mock.crt", PF_REAL, CRT "mock.crt", "E", EMAIL, NULL,
	  NULL, AT_CREATED, 1, KTS_EVERIFY, "not trusted" },
	{ "resigned, its PEM, created", RES "publications-file-resigned.bin",
	  RES "cert-file-for-deprecated-algorithm-in-calendar-chain.pem", "E",
	  EMAIL, NULL, NULL, AT_CREATED, 0, 0, NULL },
	{ "resigned, issuer CA", RES "publications-file-resigned.bin",
	  RES "publications-file-issuer-ca.pem", "E", EMAIL, NULL, NULL,
	  AT_CREATED, 1, KTS_EVERIFY, "not trusted" },
};

START_TEST(test_verify_vectors)
{
	struct kts_cnstr cn[2];
	struct kts_trust tr;
	struct kts_pubfile *pf;
	const char *anchors[1];
	char path[4096];
	char why[256];
	int r;

	memset(&tr, 0, sizeof(tr));
	pf = vec_pubfile(verify_cases[_i].file);
	if (verify_cases[_i].ca != NULL) {
		anchors[0] = vec_path(verify_cases[_i].ca, path, sizeof(path));
		tr.ca_files = anchors;
		tr.n_ca = 1;
	}
	cn[0].oid = verify_cases[_i].oid;
	cn[0].value = verify_cases[_i].value;
	cn[1].oid = verify_cases[_i].oid2;
	cn[1].value = verify_cases[_i].value2;
	tr.cnstr = cn;
	tr.n_cnstr = cn[0].oid == NULL ? 0 : cn[1].oid == NULL ? 1 : 2;
	tr.at = verify_cases[_i].at == AT_CREATED ? kts_pubfile_created(pf) :
	    verify_cases[_i].at;
	tr.partial_chain = verify_cases[_i].partial;
	r = kts_pubfile_verify(pf, &tr, why, sizeof(why));
	ck_assert_msg(r == verify_cases[_i].rc, "%s: got %s: %s",
	    verify_cases[_i].name, kts_strerror(r), why);
	if (verify_cases[_i].why != NULL)
		ck_assert_msg(strstr(why, verify_cases[_i].why) != NULL,
		    "%s: why is \"%s\"", verify_cases[_i].name, why);
	else
		ck_assert_str_eq(why, "");
	kts_pubfile_free(pf);
}
END_TEST

static int
verify_main_with_mock(const uint8_t *buf, size_t len, char *why, size_t n)
{
	static const struct kts_cnstr cn = { "E", EMAIL };
	struct kts_pubfile *pf = NULL;
	struct kts_trust tr;
	const char *anchors[1];
	char path[4096];
	int r;

	ck_assert_int_eq(kts_pubfile_parse(buf, len, &pf, NULL), 0);
	memset(&tr, 0, sizeof(tr));
	anchors[0] = vec_path(CRT "mock.crt", path, sizeof(path));
	tr.ca_files = anchors;
	tr.n_ca = 1;
	tr.cnstr = &cn;
	tr.n_cnstr = 1;
	tr.at = -1;
	r = kts_pubfile_verify(pf, &tr, why, n);
	kts_pubfile_free(pf);
	return r;
}

/* Bytes of the main file changed in place: still parses, digest fails. */
START_TEST(test_verify_tampered)
{
	struct kts_pubfile *pf;
	uint8_t *buf;
	size_t off;
	size_t len;
	char why[256];

	buf = vec_read(PF_MAIN, &len);
	ck_assert_int_eq(verify_main_with_mock(buf, len, why, sizeof(why)), 0);
	pf = vec_pubfile(PF_MAIN);
	/* The last digest byte of publication _i, or the header's time. */
	if (_i < 3)
		off = (size_t)(pf->pubs[_i * 30].data.raw - pf->buf) +
		    pf->pubs[_i * 30].data.raw_len - 1;
	else
		off = 8 + 4 + 3 + 2 + 5;
	kts_pubfile_free(pf);
	buf[off] ^= 0x01;
	ck_assert_int_eq(verify_main_with_mock(buf, len, why, sizeof(why)),
	    KTS_EVERIFY);
	ck_assert_str_eq(why, "CMS digest mismatch: the file was modified");
	free(buf);
}
END_TEST

/* A flipped byte in the CMS signature value itself. */
START_TEST(test_verify_bad_signer_sig)
{
	struct kts_pubfile *pf;
	uint8_t *buf;
	size_t len;
	char why[256];

	buf = vec_read(PF_MAIN, &len);
	buf[len - 10] ^= 0x40;	/* inside the trailing RSA signature */
	ck_assert_int_eq(kts_pubfile_parse(buf, len, &pf, NULL), 0);
	kts_pubfile_free(pf);
	ck_assert_int_eq(verify_main_with_mock(buf, len, why, sizeof(why)),
	    KTS_EVERIFY);
	ck_assert_msg(strstr(why, "CMS signer signature does not verify") !=
	    NULL, "why is \"%s\"", why);
	free(buf);
}
END_TEST

/*
 * The fake-publication file without the publication appended after its
 * signature is a consistent file signed by the 2015 mock.crt.der: this
 * checks a DER trust anchor and verification at a past time.
 */
START_TEST(test_verify_der_anchor)
{
	static const struct kts_cnstr cn = { "E", EMAIL };
	struct kts_pubfile *pf;
	struct kts_trust tr;
	const char *anchors[1];
	char path[4096];
	char why[256];
	uint8_t *buf;
	size_t len;

	buf = vec_read(TLV "publications-fake-publication.tlv", &len);
	ck_assert_uint_gt(len, 17241);
	ck_assert_int_eq(kts_pubfile_parse(buf, 17241, &pf, NULL), 0);
	memset(&tr, 0, sizeof(tr));
	anchors[0] = vec_path(CRT "mock.crt.der", path, sizeof(path));
	tr.ca_files = anchors;
	tr.n_ca = 1;
	tr.cnstr = &cn;
	tr.n_cnstr = 1;
	tr.at = 1431100000;	/* 2015-05-08, the certificate is valid */
	ck_assert_int_eq(kts_pubfile_verify(pf, &tr, why, sizeof(why)), 0);
	tr.at = -1;
	ck_assert_int_eq(kts_pubfile_verify(pf, &tr, why, sizeof(why)),
	    KTS_EVERIFY);
	ck_assert_msg(strstr(why, "certificate has expired") != NULL, "%s",
	    why);
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

/* Why may be NULL or tiny; results do not change. */
START_TEST(test_verify_why_sizes)
{
	static const struct kts_cnstr cn = { "E", "x@y" };
	struct kts_pubfile *pf;
	struct kts_trust tr;
	const char *anchors[1];
	char path[4096];
	char why[8];

	pf = vec_pubfile(PF_MAIN);
	memset(&tr, 0, sizeof(tr));
	anchors[0] = vec_path(CRT "mock.crt", path, sizeof(path));
	tr.ca_files = anchors;
	tr.n_ca = 1;
	tr.cnstr = &cn;
	tr.n_cnstr = 1;
	tr.at = -1;
	ck_assert_int_eq(kts_pubfile_verify(pf, &tr, NULL, 0), KTS_EVERIFY);
	ck_assert_int_eq(kts_pubfile_verify(pf, &tr, why, sizeof(why)),
	    KTS_EVERIFY);
	ck_assert_str_eq(why, "signer ");
	kts_pubfile_free(pf);
}
END_TEST

/* ---- look-ups -------------------------------------------------------- */

static const struct {
	const char *file;
	uint64_t t;
	uint64_t find;		/* kts_pubfile_find's time, 0 = none */
	uint64_t nearest;	/* ... by kts_pubfile_nearest, 0 = none */
} lookup_cases[] = {
	{ PF_MAIN, 1400112000, 1400112000, 1400112000 },
	{ PF_MAIN, 1398816000, 0, 1400112000 },		/* 2014-04-30 */
	{ PF_MAIN, 1397520001, 0, 1400112000 },
	{ PF_MAIN, 0, 0, 1208217600 },
	{ PF_MAIN, 1405382400, 1405382400, 1405382400 },	/* the last */
	{ PF_MAIN, 1405382401, 0, 0 },
	{ PF_REAL, 1710460800, 1710460800, 1710460800 },
	{ PF_REAL, 1408060799, 0, 1408060800 },
	{ PF_NOCERTS, UINT64_MAX, 0, 0 },
};

START_TEST(test_lookup)
{
	const struct kts_pubrec *pr;
	struct kts_pubfile *pf;

	pf = vec_pubfile(lookup_cases[_i].file);
	pr = kts_pubfile_find(pf, lookup_cases[_i].t);
	if (lookup_cases[_i].find == 0)
		ck_assert_ptr_null(pr);
	else
		ck_assert_uint_eq(pr->data.time, lookup_cases[_i].find);
	pr = kts_pubfile_nearest(pf, lookup_cases[_i].t);
	if (lookup_cases[_i].nearest == 0)
		ck_assert_ptr_null(pr);
	else
		ck_assert_uint_eq(pr->data.time, lookup_cases[_i].nearest);
	kts_pubfile_free(pf);
}
END_TEST

/* A publication found in a file prints as its spec 6.2 string. */
START_TEST(test_lookup_pubstr)
{
	const struct kts_pubrec *pr;
	struct kts_pubfile *pf;
	char buf[KTS_MAX_PUBSTR];

	pf = vec_pubfile(_i == 2 ? PF_REAL : PF_MAIN);
	pr = kts_pubfile_find(pf, pubstr_vectors[_i].time);
	ck_assert_ptr_nonnull(pr);
	ck_assert_int_eq(kts_pubstr_encode(pr->data.time, &pr->data.hash, buf,
	    sizeof(buf)), 0);
	ck_assert_str_eq(buf, pubstr_vectors[_i].str);
	kts_pubfile_free(pf);
}
END_TEST

static const struct {
	const char *file;
	const char *id;		/* hex */
	int found;
} cert_cases[] = {
	{ PF_MAIN, "c246b139", 1 },
	{ PF_MAIN, "9a658294", 1 },
	{ PF_MAIN, "c246b138", 0 },
	{ PF_MAIN, "c246b1", 0 },
	{ PF_MAIN, "c246b13900", 0 },
	{ PF_REAL, "424c21cb", 1 },
	{ PF_NOCERTS, "c246b139", 0 },
};

START_TEST(test_cert_lookup)
{
	const struct kts_pf_cert *c;
	struct kts_pubfile *pf;
	uint8_t id[8];
	uint32_t crc;
	size_t n;

	pf = vec_pubfile(cert_cases[_i].file);
	n = hex_to(cert_cases[_i].id, id, sizeof(id));
	c = kts_pubfile_cert(pf, id, n);
	if (!cert_cases[_i].found) {
		ck_assert_ptr_null(c);
		goto out;
	}
	ck_assert_ptr_nonnull(c);
	ck_assert_mem_eq(c->id, id, n);
	/* Spec 6.3: the id is the CRC-32 of the DER certificate. */
	crc = kts_crc32(c->der, c->der_len);
	ck_assert_uint_eq(crc, (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
	    (uint32_t)id[2] << 8 | id[3]);
out:
	kts_pubfile_free(pf);
}
END_TEST

/* ---- certificates and the PKI signature (spec 3.9, 6.6) ------------- */

START_TEST(test_cert_info)
{
	int64_t nb = 0;
	int64_t na = 0;
	char subj[256];
	uint8_t *der;
	size_t len;

	der = vec_read(CRT "mock.crt.der", &len);
	ck_assert_int_eq(kts_cert_validity(der, len, &nb, &na), 0);
	ck_assert_int_eq(nb, 1431084558);	/* 2015-05-08 11:29:18 */
	ck_assert_int_eq(na, 1462620558);	/* 2016-05-07 11:29:18 */
	ck_assert_int_eq(kts_cert_subject(der, len, subj, sizeof(subj)), 0);
	ck_assert_str_eq(subj,
	    "C=EE, O=Guardtime AS, emailAddress=publications@guardtime.com");
	ck_assert_int_eq(kts_cert_subject(der, len, subj, 10), 0);
	ck_assert_str_eq(subj, "C=EE, O=G");
	ck_assert_int_eq(kts_cert_validity(der, len - 1, &nb, &na),
	    KTS_EFORMAT);
	ck_assert_int_eq(kts_cert_subject(der + 1, len - 1, subj,
	    sizeof(subj)), KTS_EFORMAT);
	ck_assert_int_eq(kts_cert_validity(der, 0, &nb, &na), KTS_EFORMAT);
	free(der);
}
END_TEST

/* Views of the 0x805 record's pieces inside a signature buffer. */
struct calauth {
	const uint8_t *pd;	/* whole 0x10 TLV, header included */
	size_t pd_len;
	char oid[64];
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *id;
	size_t id_len;
};

/* The child of parent with this tag (the first one). */
static void
child(const struct kts_tlv *parent, uint16_t tag, struct kts_tlv *out)
{
	struct kts_rd rd;

	kts_rd_init(&rd, parent->val, parent->len);
	while (kts_rd_left(&rd) > 0) {
		ck_assert_int_eq(kts_tlv_read(&rd, out), 0);
		if (out->tag == tag)
			return;
	}
	ck_abort_msg("no child 0x%x in 0x%x", (unsigned)tag,
	    (unsigned)parent->tag);
}

static void
find_calauth(const uint8_t *buf, size_t len, struct calauth *ca)
{
	struct kts_tlv top;
	struct kts_tlv rec;
	struct kts_tlv sd;
	struct kts_tlv t;

	ck_assert_int_eq(kts_tlv_parse(buf, len, &top, NULL), 0);
	child(&top, KTS_TAG_CAL_AUTH, &rec);
	child(&rec, KTS_TAG_PUB_DATA, &t);
	ca->pd = t.hdr;
	ca->pd_len = kts_tlv_size(&t);
	child(&rec, KTS_TAG_SIG_DATA, &sd);
	child(&sd, 0x01, &t);
	ck_assert_uint_lt(t.len, sizeof(ca->oid));
	memcpy(ca->oid, t.val, t.len);
	ca->oid[t.len] = '\0';
	child(&sd, 0x02, &t);
	ca->sig = t.val;
	ca->sig_len = t.len;
	child(&sd, 0x03, &t);
	ca->id = t.val;
	ca->id_len = t.len;
}

enum pki_mut { M_NONE, M_SIG, M_DATA, M_SIG_SHORT, M_CERT_BAD, M_CERT_OTHER };

static const struct {
	const char *name;
	enum pki_mut mut;
	const char *oid;	/* NULL: the record's own */
	int rc;
} pki_cases[] = {
	{ "as recorded", M_NONE, NULL, 0 },
	{ "flipped signature byte", M_SIG, NULL, KTS_EVERIFY },
	{ "flipped data byte", M_DATA, NULL, KTS_EVERIFY },
	{ "short signature", M_SIG_SHORT, NULL, KTS_EVERIFY },
	{ "unknown OID", M_NONE, "1.2.3.4", KTS_EVERIFY },
	{ "empty OID", M_NONE, "", KTS_EVERIFY },
	{ "OID with a trailing dot", M_NONE, "1.2.840.113549.1.1.11.",
	  KTS_EVERIFY },
	{ "sha224WithRSA refused", M_NONE, "1.2.840.113549.1.1.14",
	  KTS_EVERIFY },
	{ "RSA-PSS refused", M_NONE, "1.2.840.113549.1.1.10", KTS_EVERIFY },
	{ "md5WithRSA refused", M_NONE, "1.2.840.113549.1.1.4", KTS_EVERIFY },
	{ "other digest: sha512WithRSA", M_NONE, "1.2.840.113549.1.1.13",
	  KTS_EVERIFY },
	{ "ECDSA OID on an RSA key", M_NONE, "1.2.840.10045.4.3.2",
	  KTS_EVERIFY },
	{ "another certificate", M_CERT_OTHER, NULL, KTS_EVERIFY },
	{ "certificate does not parse", M_CERT_BAD, NULL, KTS_EFORMAT },
};

START_TEST(test_pki_calauth)
{
	const struct kts_pf_cert *cert;
	struct kts_pubfile *pf;
	struct calauth ca;
	uint8_t *buf;
	uint8_t *sig;
	uint8_t *data;
	size_t len;
	int r;

	buf = vec_read(TLV "ok-sig-2014-04-30.1.ksig", &len);
	find_calauth(buf, len, &ca);
	ck_assert_str_eq(ca.oid, "1.2.840.113549.1.1.11");
	pf = vec_pubfile(PF_MAIN);
	cert = kts_pubfile_cert(pf, ca.id, ca.id_len);
	ck_assert_ptr_nonnull(cert);
	sig = (uint8_t *)ca.sig;
	data = (uint8_t *)ca.pd;
	if (pki_cases[_i].mut == M_SIG)
		sig[ca.sig_len / 2] ^= 0x01;
	if (pki_cases[_i].mut == M_DATA)
		data[ca.pd_len - 1] ^= 0x80;
	if (pki_cases[_i].mut == M_CERT_OTHER)
		cert = kts_pubfile_cert(pf, (const uint8_t *)"\x9a\x65\x82\x94",
		    4);
	r = kts_pki_verify(cert->der,
	    pki_cases[_i].mut == M_CERT_BAD ? 16 : cert->der_len,
	    pki_cases[_i].oid != NULL ? pki_cases[_i].oid : ca.oid, sig,
	    ca.sig_len - (pki_cases[_i].mut == M_SIG_SHORT), data, ca.pd_len);
	ck_assert_msg(r == pki_cases[_i].rc, "%s: got %s", pki_cases[_i].name,
	    kts_strerror(r));
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

/* The calendar certificate was valid at the record's publication time. */
START_TEST(test_pki_cert_validity)
{
	const struct kts_pf_cert *cert;
	struct kts_pubfile *pf;
	struct calauth ca;
	int64_t nb;
	int64_t na;
	uint8_t *buf;
	size_t len;

	buf = vec_read(TLV "ok-sig-2014-04-30.1.ksig", &len);
	find_calauth(buf, len, &ca);
	pf = vec_pubfile(PF_MAIN);
	ck_assert_ptr_nonnull(cert = kts_pubfile_cert(pf, ca.id, ca.id_len));
	ck_assert_int_eq(kts_cert_validity(cert->der, cert->der_len, &nb,
	    &na), 0);
	ck_assert_int_le(nb, 1398866256);	/* 2014-04-30 */
	ck_assert_int_ge(na, 1398866256);
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

/* Fresh keys: every accepted OID verifies with the right key type. */
static const struct {
	const char *key;	/* "RSA" or "EC" */
	const char *oid;
	const char *md;		/* digest to sign with */
	int rc;
} gen_cases[] = {
	{ "RSA", "1.2.840.113549.1.1.5", "SHA1", 0 },
	{ "RSA", "1.2.840.113549.1.1.11", "SHA256", 0 },
	{ "RSA", "1.2.840.113549.1.1.12", "SHA384", 0 },
	{ "RSA", "1.2.840.113549.1.1.13", "SHA512", 0 },
	{ "RSA", "1.3.36.3.3.1.2", "RIPEMD160", 0 },
	{ "RSA", "1.2.840.113549.1.1.11", "SHA384", KTS_EVERIFY },
	{ "EC", "1.2.840.10045.4.1", "SHA1", 0 },
	{ "EC", "1.2.840.10045.4.3.2", "SHA256", 0 },
	{ "EC", "1.2.840.10045.4.3.3", "SHA384", 0 },
	{ "EC", "1.2.840.10045.4.3.4", "SHA512", 0 },
	{ "EC", "1.2.840.113549.1.1.11", "SHA256", KTS_EVERIFY },
};

/* A self-signed DER certificate for key. */
static uint8_t *
self_signed(EVP_PKEY *key, size_t *len)
{
	unsigned char *der = NULL;
	X509 *x;
	int n;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_int_gt(n = i2d_X509(x, &der), 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

START_TEST(test_pki_generated)
{
	static const uint8_t data[] = "\x30\x05\x02\x03\x01\x02\x03";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *mctx;
	EVP_PKEY *key;
	uint8_t *der;
	size_t len;

	if (strcmp(gen_cases[_i].key, "RSA") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(key);
	der = self_signed(key, &len);
	ck_assert_ptr_nonnull(mctx = EVP_MD_CTX_new());
	ck_assert_int_eq(EVP_DigestSignInit_ex(mctx, NULL, gen_cases[_i].md,
	    NULL, NULL, key, NULL), 1);
	ck_assert_int_eq(EVP_DigestSign(mctx, sig, &siglen, data,
	    sizeof(data) - 1), 1);
	ck_assert_int_eq(kts_pki_verify(der, len, gen_cases[_i].oid, sig,
	    siglen, data, sizeof(data) - 1), gen_cases[_i].rc);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(key);
	OPENSSL_free(der);
}
END_TEST

/* ---- files signed here: the spec 6.5 recipe and odd CMS shapes ------- */

static const struct {
	const char *name;
	int signers;		/* SignerInfos in the CMS */
	int noattr;		/* no signed attributes (CMS_NOATTR) */
	int embed;		/* content inside the CMS, not detached */
	int tamper;		/* change a signed byte after signing */
	int rc;
	const char *why;
} own_cases[] = {
	{ "one signer", 1, 0, 0, 0, 0, NULL },
	{ "one signer, no signed attributes", 1, 1, 0, 0, 0, NULL },
	{ "tampered", 1, 0, 0, 1, KTS_EVERIFY, "CMS digest mismatch" },
	{ "tampered, no signed attributes", 1, 1, 0, 1, KTS_EVERIFY,
	  "CMS digest mismatch" },
	{ "two signers", 2, 0, 0, 0, KTS_EVERIFY, "has 2 signers" },
	{ "content embedded", 1, 0, 1, 0, KTS_EVERIFY, "not detached" },
};

/* The DER CMS over body as own_cases[i] describes it (signer k: key[k]). */
static uint8_t *
own_cms(int i, EVP_PKEY *key[2], X509 *x[2], const uint8_t *body, size_t n,
    int *len)
{
	unsigned int fl = CMS_BINARY | CMS_PARTIAL;
	unsigned char *der = NULL;
	CMS_ContentInfo *cms;
	BIO *in;
	int k;

	fl |= own_cases[i].embed ? 0 : CMS_DETACHED;
	fl |= own_cases[i].noattr ? CMS_NOATTR : 0;
	ck_assert_ptr_nonnull(in = BIO_new_mem_buf(body, (int)n));
	ck_assert_ptr_nonnull(cms = CMS_sign(NULL, NULL, NULL, NULL, fl));
	for (k = 0; k < own_cases[i].signers; k++)
		ck_assert_ptr_nonnull(CMS_add1_signer(cms, x[k], key[k],
		    EVP_sha256(), fl));
	ck_assert_int_eq(CMS_final(cms, in, NULL, fl), 1);
	ck_assert_int_gt(*len = i2d_CMS_ContentInfo(cms, &der), 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return der;
}

/* A publications file: magic, header, one record each, CMS by key. */
static uint8_t *
own_file(int i, EVP_PKEY *key[2], X509 *x[2], size_t *len)
{
	uint8_t body[256];
	uint8_t *out;
	uint8_t *der;
	size_t n;
	int dlen;

	memcpy(body, KTS_PUBFILE_MAGIC, 8);
	n = 8 + hex_to(HDR CERT PUB, body + 8, sizeof(body) - 8);
	der = own_cms(i, key, x, body, n, &dlen);
	ck_assert_int_le(dlen, 65535);
	ck_assert_ptr_nonnull(out = malloc(n + 4 + (size_t)dlen));
	memcpy(out, body, n);
	out[n] = 0x87;
	out[n + 1] = 0x04;
	out[n + 2] = (uint8_t)(dlen >> 8);
	out[n + 3] = (uint8_t)dlen;
	memcpy(out + n + 4, der, (size_t)dlen);
	OPENSSL_free(der);
	if (own_cases[i].tamper)
		out[8 + 4 + 3 + 2 + 3] ^= 0x01;	/* header time, last byte */
	*len = n + 4 + (size_t)dlen;
	return out;
}

/* Write x as PEM to a fresh temporary file; path gets its name. */
static void
write_pem(X509 *x, char *path, size_t size)
{
	FILE *f;
	int fd;
	int n;

	n = snprintf(path, size, "%s/check_pub_XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert(n > 0 && (size_t)n < size);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* A fresh P-256 key and a self-signed certificate (CN=test) for it. */
static void
own_signer(EVP_PKEY **key, X509 **x)
{
	const unsigned char *p;
	uint8_t *der;
	size_t len;

	ck_assert_ptr_nonnull(*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"));
	der = self_signed(*key, &len);
	p = der;
	ck_assert_ptr_nonnull(*x = d2i_X509(NULL, &p, (long)len));
	OPENSSL_free(der);
}

START_TEST(test_verify_own)
{
	static const struct kts_cnstr cn = { "CN", "test" };
	struct kts_pubfile *pf;
	struct kts_trust tr;
	const char *anchors[1];
	char path[4096];
	char why[256];
	EVP_PKEY *key[2];
	X509 *x[2];
	uint8_t *buf;
	size_t len;
	int r;

	own_signer(&key[0], &x[0]);
	own_signer(&key[1], &x[1]);
	buf = own_file(_i, key, x, &len);
	write_pem(x[0], path, sizeof(path));
	ck_assert_int_eq(kts_pubfile_parse(buf, len, &pf, NULL), 0);
	memset(&tr, 0, sizeof(tr));
	anchors[0] = path;
	tr.ca_files = anchors;
	tr.n_ca = 1;
	tr.cnstr = &cn;
	tr.n_cnstr = 1;
	tr.at = -1;
	r = kts_pubfile_verify(pf, &tr, why, sizeof(why));
	unlink(path);
	ck_assert_msg(r == own_cases[_i].rc, "%s: got %s: %s",
	    own_cases[_i].name, kts_strerror(r), why);
	if (own_cases[_i].why != NULL)
		ck_assert_msg(strstr(why, own_cases[_i].why) != NULL,
		    "%s: why is \"%s\"", own_cases[_i].name, why);
	kts_pubfile_free(pf);
	free(buf);
	X509_free(x[0]);
	X509_free(x[1]);
	EVP_PKEY_free(key[0]);
	EVP_PKEY_free(key[1]);
}
END_TEST

/* ---- hostile input: truncation and bit flips (STYLE 15) ------------- */

/* Truncation is cheap: every prefix of three shapes of file. */
static const char *const trunc_files[] = {
	PF_NOCERTS,
	TLV "ok-cert-3.pem-pubfile.bin",
	PF_MAIN,
};

/*
 * Bit flips re-run the PKCS#7 decode whenever the structure survives,
 * and OpenSSL 3 decodes each embedded certificate's key slowly (about
 * 100 us a certificate), so the flips stay on two files.
 */
static const char *const flip_files[] = {
	PF_NOCERTS,
	PF_MAIN,
};

/*
 * A parse result that is fine for hostile input: success, or a failure
 * with no output and a described defect inside the buffer.  Plain checks,
 * not ck_assert: Check records every passing assertion, which costs more
 * than the parse in these loops.
 */
static int
failure_ok(int r, const struct kts_pubfile *pf, const struct kts_perr *perr,
    size_t len)
{
	return r != 0 && pf == NULL && perr->what != NULL && perr->off <= len;
}

START_TEST(test_every_truncation_fails)
{
	struct kts_perr perr;
	struct kts_pubfile *pf;
	uint8_t *buf;
	uint8_t *cut;
	size_t len;
	size_t n;
	int r;

	buf = vec_read(trunc_files[_i], &len);
	for (n = 0; n < len; n++) {
		/* An exactly-sized copy, so an over-read trips ASan. */
		if ((cut = malloc(n > 0 ? n : 1)) == NULL)
			ck_abort_msg("out of memory");
		memcpy(cut, buf, n);
		memset(&perr, 0, sizeof(perr));
		r = kts_pubfile_parse(cut, n, &pf, &perr);
		free(cut);
		if (!failure_ok(r, pf, &perr, n))
			ck_abort_msg("%s: prefix of %zu bytes: %s",
			    trunc_files[_i], n, kts_strerror(r));
	}
	free(buf);
}
END_TEST

START_TEST(test_bit_flips)
{
	struct kts_perr perr;
	struct kts_pubfile *pf;
	uint8_t *buf;
	size_t len;
	size_t bit;
	size_t nbits;
	size_t ok = 0;
	int r;

	buf = vec_read(flip_files[_i], &len);
	nbits = (len < 2000 ? len : 2000) * 8;
	for (bit = 0; bit < nbits; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(&perr, 0, sizeof(perr));
		r = kts_pubfile_parse(buf, len, &pf, &perr);
		if (r == 0) {
			ok++;
			kts_pubfile_free(pf);
		} else if (!failure_ok(r, pf, &perr, len)) {
			ck_abort_msg("%s: bit %zu: bad failure %s",
			    flip_files[_i], bit, kts_strerror(r));
		}
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Some flips (inside digests, certificates) must still parse. */
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_lt(ok, nbits);
	free(buf);
}
END_TEST

/* ---- fail-allocation-#N (STYLE 15), linked with --wrap=... ---------- */

/*
 * Fail each of the parser's own allocations in turn (OpenSSL's are not
 * wrapped): every failure is KTS_ENOMEM with nothing returned, and ASan's
 * leak check sees what a failure path forgot to free.
 */
START_TEST(test_alloc_failures)
{
	struct kts_pubfile *pf;
	uint8_t *buf;
	size_t len;
	long n;
	int r;

	buf = vec_read(trunc_files[_i], &len);
	for (n = 1; n < 100000; n++) {
		fail_alloc(n);
		r = kts_pubfile_parse(buf, len, &pf, NULL);
		fail_alloc(0);
		if (r == 0)
			break;
		if (r != KTS_ENOMEM || pf != NULL)
			ck_abort_msg("%s: allocation %ld: %s", trunc_files[_i],
			    n, kts_strerror(r));
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_gt(n, 2);	/* at least the struct and the copy */
	kts_pubfile_free(pf);
	free(buf);
}
END_TEST

/* ---- suite ----------------------------------------------------------- */

static Suite *
pub_suite(void)
{
	Suite *s = suite_create("pub");
	TCase *tc;

	tc = tcase_create("pubstr");
	tcase_add_loop_test(tc, test_pubstr_decode, 0, N_ELEMS(pubstr_vectors));
	tcase_add_loop_test(tc, test_pubstr_encode, 0, N_ELEMS(pubstr_vectors));
	tcase_add_loop_test(tc, test_pubstr_bad, 0, N_ELEMS(pubstr_bad));
	tcase_add_test(tc, test_pubstr_too_long);
	tcase_add_loop_test(tc, test_pubstr_roundtrip, 0,
	    N_ELEMS(roundtrip_algs));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parse_vectors, 0, N_ELEMS(parse_cases));
	tcase_add_loop_test(tc, test_parse_structure, 0, N_ELEMS(struct_cases));
	tcase_add_test(tc, test_parse_fields);
	tcase_add_loop_test(tc, test_parse_magic, 0, N_ELEMS(magic_cases));
	tcase_add_test(tc, test_parse_caps);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_loop_test(tc, test_verify_vectors, 0, N_ELEMS(verify_cases));
	tcase_add_loop_test(tc, test_verify_tampered, 0, 4);
	tcase_add_test(tc, test_verify_bad_signer_sig);
	tcase_add_test(tc, test_verify_der_anchor);
	tcase_add_test(tc, test_verify_why_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_loop_test(tc, test_lookup, 0, N_ELEMS(lookup_cases));
	tcase_add_loop_test(tc, test_lookup_pubstr, 0, N_ELEMS(pubstr_vectors));
	tcase_add_loop_test(tc, test_cert_lookup, 0, N_ELEMS(cert_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("pki");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cert_info);
	tcase_add_loop_test(tc, test_pki_calauth, 0, N_ELEMS(pki_cases));
	tcase_add_test(tc, test_pki_cert_validity);
	tcase_add_loop_test(tc, test_pki_generated, 0, N_ELEMS(gen_cases));
	tcase_add_loop_test(tc, test_verify_own, 0, N_ELEMS(own_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("robust");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_every_truncation_fails, 0,
	    N_ELEMS(trunc_files));
	tcase_add_loop_test(tc, test_bit_flips, 0, N_ELEMS(flip_files));
	tcase_add_loop_test(tc, test_alloc_failures, 0, N_ELEMS(trunc_files));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(pub_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
