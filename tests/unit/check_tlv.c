/*
 * check_tlv.c - unit tests for the TLV codec (lib/tlv.c, KSI spec 1).
 *
 * What is covered (STYLE.md 14-15):
 * - the golden vectors of spec 1.6 ($KTS_VECTORS/ksi/tlv: type 0x01 INT,
 *   0x02 STR, 0x03 nested TLV8, 0x1003 nested TLV16, 0x04 octets) and a
 *   table of inline good and bad headers;
 * - every truncated prefix of a good input fails with KTS_ETRUNC;
 * - a bit-flip loop over every good input that must never crash;
 * - encode(decode(x)) == x for the (canonical) golden inputs, and the
 *   writer's TLV8 -> TLV16 switch when a value grows past 255 bytes;
 * - the rule interpreter kts_tlv_walk() (spec 1.3 consumer rules);
 * - INT (kts_tlv_u64) and STR (kts_tlv_str) decoding (spec 1.4);
 * - a fail-allocation-#N loop: realloc and malloc are wrapped at link
 *   time (-Wl,--wrap, see tests/local.mk) so the Nth allocation made by
 *   the code under test returns NULL; each run must end in KTS_ENOMEM
 *   and leak nothing (the sanitizer build checks the leaks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "tlv.h"
#include "failalloc.h"
#include "kts_test.h"

/* ---- a generic decoder for the spec 1.6 test types ---- */

#define NEST_NRULES 5

struct nest {
	int leaves;	/* INT, STR and octet elements seen */
};

static const struct kts_tlv_rule nest_rules[NEST_NRULES];

static int
on_int(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct nest *n = ctx;
	uint64_t v;
	int r;

	if ((r = kts_tlv_u64(t, &v)) != 0)
		return kts_pfail(pc, r, t, "bad integer");
	n->leaves++;
	return 0;
}

static int
on_str(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct nest *n = ctx;
	const char *s;
	int r;

	if ((r = kts_tlv_str(t, &s)) != 0)
		return kts_pfail(pc, r, t, "bad string");
	n->leaves++;
	return 0;
}

static int
on_oct(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct nest *n = ctx;

	n->leaves++;
	return 0;
}

static int
on_nest(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_walk(t, nest_rules, NEST_NRULES, ctx, NULL, pc);
}

static const struct kts_tlv_rule nest_rules[NEST_NRULES] = {
	{ 0x01, KTS_R_LIST, on_int },
	{ 0x02, KTS_R_LIST, on_str },
	{ 0x03, KTS_R_LIST, on_nest },
	{ 0x04, KTS_R_LIST, on_oct },
	{ 0x1003, KTS_R_LIST, on_nest },
};

/* decode_any - parse p as one test-type element; count its leaves. */
static int
decode_any(const uint8_t *p, size_t len, int *leaves)
{
	struct kts_pctx pc = { p, NULL, 0 };
	struct nest n = { 0 };
	struct kts_tlv t;
	int r;

	if ((r = kts_tlv_parse(p, len, &t, NULL)) != 0)
		return r;
	switch (t.tag) {
	case 0x01:
		r = on_int(&n, &t, &pc);
		break;
	case 0x02:
		r = on_str(&n, &t, &pc);
		break;
	case 0x03:
	case 0x1003:
		r = on_nest(&n, &t, &pc);
		break;
	default:
		r = on_oct(&n, &t, &pc);
		break;
	}
	if (leaves != NULL)
		*leaves = n.leaves;
	return r;
}

/* reencode - write t canonically, recursing into the nested types. */
static int
reencode(struct kts_wr *wr, const struct kts_tlv *t)
{
	uint8_t fl = t->flags & (KTS_TLV_N | KTS_TLV_F);
	struct kts_rd rd;
	struct kts_tlv c;
	const char *s;
	uint64_t v;
	size_t mark;
	int r;

	switch (t->tag) {
	case 0x01:
		if ((r = kts_tlv_u64(t, &v)) != 0)
			return r;
		return kts_wr_tlv_u64(wr, t->tag, fl, v);
	case 0x02:
		if ((r = kts_tlv_str(t, &s)) != 0)
			return r;
		return kts_wr_tlv_str(wr, t->tag, fl, s);
	case 0x03:
	case 0x1003:
		if ((r = kts_wr_tlv_begin(wr, t->tag, fl, &mark)) != 0)
			return r;
		kts_rd_init(&rd, t->val, t->len);
		while (kts_rd_left(&rd) > 0)
			if ((r = kts_tlv_read(&rd, &c)) != 0 ||
			    (r = reencode(wr, &c)) != 0)
				return r;
		return kts_wr_tlv_end(wr, mark);
	default:
		return kts_wr_tlv(wr, t->tag, fl, t->val, t->len);
	}
}

/* ---- golden vectors (spec 1.6) ---- */

enum vkind { V_INT, V_STR, V_OCT, V_NEST };

static const struct vcase {
	const char *file;	/* under $KTS_VECTORS/ksi/tlv */
	int parse;		/* expected kts_tlv_parse() result */
	enum vkind kind;	/* how the value is decoded */
	int value;		/* expected result of the value decoder */
	uint64_t u;		/* V_INT: the value; V_NEST: leaf count */
	const char *s;		/* V_STR: the string, NULL = not compared */
	size_t len;		/* value length */
} vcases[] = {
	{ "ok_int-1.tlv", 0, V_INT, 0, 0xca, NULL, 1 },
	{ "ok_int-2.tlv", 0, V_INT, 0, 0xcafe, NULL, 2 },
	{ "ok_int-3.tlv", 0, V_INT, 0, 0xcafeba, NULL, 3 },
	{ "ok_int-4.tlv", 0, V_INT, 0, 0xcafebabe, NULL, 4 },
	{ "ok_int-5.tlv", 0, V_INT, 0, 0xcafebabecaULL, NULL, 5 },
	{ "ok_int-6.tlv", 0, V_INT, 0, 0xcafebabecafeULL, NULL, 6 },
	{ "ok_int-7.tlv", 0, V_INT, 0, 0xcafebabecafefaULL, NULL, 7 },
	{ "ok_int-8.tlv", 0, V_INT, 0, 0xcafebabecafefaceULL, NULL, 8 },
	{ "ok_int-9.tlv", 0, V_INT, 0, 0, NULL, 0 },
	{ "nok_int-1.tlv", 0, V_INT, KTS_EFORMAT, 0, NULL, 9 },
	{ "nok_int-2.tlv", KTS_ETRUNC, V_INT, 0, 0, NULL, 0 },
	{ "nok_int-3.tlv", KTS_ETRUNC, V_INT, 0, 0, NULL, 0 },
	{ "nok_int-4.tlv", KTS_ETRUNC, V_INT, 0, 0, NULL, 0 },
	{ "ok_str-1.tlv", 0, V_STR, 0, 0, "X", 2 },
	{ "ok_str-2.tlv", 0, V_STR, 0, 0, "XY", 3 },
	{ "ok_str-3.tlv", 0, V_STR, 0, 0, NULL, 255 },
	{ "ok_str-4.tlv", 0, V_STR, 0, 0, NULL, 256 },
	{ "ok_str-5.tlv", 0, V_STR, 0, 0, "XYZ", 4 },
	{ "ok_str-6.tlv", 0, V_STR, 0, 0, NULL, 65535 },
	{ "ok_str-7.tlv", 0, V_STR, 0, 0, "", 1 },
	{ "nok_str-1.tlv", KTS_ETRUNC, V_STR, 0, 0, NULL, 0 },
	{ "ok_oct-1.tlv", 0, V_OCT, 0, 0, NULL, 0 },
	{ "ok_oct-2.tlv", 0, V_OCT, 0, 0, NULL, 3 },
	{ "ok_nested-1.tlv", 0, V_NEST, 0, 8, NULL, 52 },
	{ "ok_nested-2.tlv", 0, V_NEST, 0, 8, NULL, 52 },
	{ "ok_nested-3.tlv", 0, V_NEST, 0, 3, NULL, 15 },
	{ "ok_nested-4.tlv", 0, V_NEST, 0, 3, NULL, 15 },
	{ "ok_nested-5.tlv", 0, V_NEST, 0, 22, NULL, 146 },
	{ "ok_nested-6.tlv", 0, V_NEST, 0, 22, NULL, 146 },
	{ "ok_nested-7.tlv", 0, V_NEST, 0, 13, NULL, 77 },
	{ "ok_nested-8.tlv", 0, V_NEST, 0, 26, NULL, 158 },
	{ "ok_nested-9.tlv", 0, V_NEST, 0, 26, NULL, 158 },
	{ "ok_nested-10.tlv", 0, V_NEST, 0, 3, NULL, 8 },
};

static uint8_t *
vector(const struct vcase *vc, size_t *len)
{
	char rel[256];
	int n;

	n = snprintf(rel, sizeof(rel), "ksi/tlv/%s", vc->file);
	ck_assert(n > 0 && (size_t)n < sizeof(rel));
	return kts_test_vector(rel, len);
}

START_TEST(test_vectors)
{
	const struct vcase *vc = &vcases[_i];
	struct kts_perr perr = { 0 };
	struct kts_tlv t;
	const char *s;
	uint64_t v;
	uint8_t *p;
	size_t len;
	int leaves = -1;
	int r;

	p = vector(vc, &len);
	r = kts_tlv_parse(p, len, &t, &perr);
	ck_assert_msg(r == vc->parse, "%s: parse gave %d, want %d", vc->file,
	    r, vc->parse);
	if (r != 0) {
		ck_assert_ptr_nonnull(perr.what);
		free(p);
		return;
	}
	ck_assert_uint_eq(t.len, vc->len);
	ck_assert_uint_eq(kts_tlv_size(&t), len);
	ck_assert_ptr_eq(t.hdr, p);
	switch (vc->kind) {
	case V_INT:
		ck_assert_uint_eq(t.tag, 0x01);
		r = kts_tlv_u64(&t, &v);
		ck_assert_int_eq(r, vc->value);
		if (r == 0)
			ck_assert_uint_eq(v, vc->u);
		break;
	case V_STR:
		ck_assert_uint_eq(t.tag, 0x02);
		r = kts_tlv_str(&t, &s);
		ck_assert_int_eq(r, vc->value);
		if (r != 0)
			break;
		ck_assert_uint_eq(strlen(s), vc->len - 1);
		if (vc->s != NULL)
			ck_assert_str_eq(s, vc->s);
		break;
	case V_OCT:
		ck_assert_uint_eq(t.tag, 0x04);
		break;
	case V_NEST:
		ck_assert(t.tag == 0x03 || t.tag == 0x1003);
		ck_assert_int_eq(decode_any(p, len, &leaves), vc->value);
		ck_assert_int_eq(leaves, (int)vc->u);
		break;
	}
	free(p);
}
END_TEST

/* spec 1.3: every prefix of a good element is "truncated", never OK. */
START_TEST(test_every_truncation_fails)
{
	const struct vcase *vc = &vcases[_i];
	struct kts_tlv t;
	uint8_t *p;
	uint8_t *q;
	size_t len;
	size_t n;

	p = vector(vc, &len);
	if (vc->parse != 0) {
		free(p);
		return;
	}
	for (n = 0; n < len; n++) {
		/* Exact-size copies let ASan see overreads; the 64 KB string
		 * is checked in place to keep the loop linear. */
		q = len <= 4096 ? kts_test_dup(p, n) : p;
		ck_assert_msg(kts_tlv_parse(q, n, &t, NULL) == KTS_ETRUNC,
		    "%s: prefix of %zu bytes not ETRUNC", vc->file, n);
		if (q != p)
			free(q);
	}
	free(p);
}
END_TEST

/* OpenSSH FUZZ_1_BIT_FLIP: any single flipped bit must not crash. */
START_TEST(test_bit_flips)
{
	const struct vcase *vc = &vcases[_i];
	struct kts_tlv t;
	struct kts_wr wr;
	uint8_t *p;
	uint8_t *q;
	size_t len;
	size_t i;
	int bit;

	p = vector(vc, &len);
	for (i = 0; i < len && i < 256; i++) {
		for (bit = 0; bit < 8; bit++) {
			p[i] ^= (uint8_t)(1u << bit);
			q = kts_test_dup(p, len);
			(void)decode_any(q, len, NULL);
			if (kts_tlv_parse(q, len, &t, NULL) == 0) {
				ck_assert_uint_eq(kts_tlv_size(&t), len);
				kts_wr_init(&wr, KTS_MAX_PDU);
				(void)reencode(&wr, &t);
				kts_wr_free(&wr);
			}
			free(q);
			p[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(p);
}
END_TEST

/* encode(decode(x)) == x: every golden input is canonical. */
START_TEST(test_round_trip)
{
	const struct vcase *vc = &vcases[_i];
	struct kts_tlv t;
	struct kts_wr wr;
	uint8_t *p;
	size_t len;

	p = vector(vc, &len);
	if (vc->parse != 0 || vc->value != 0) {
		free(p);
		return;
	}
	ck_assert_int_eq(kts_tlv_parse(p, len, &t, NULL), 0);
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(reencode(&wr, &t), 0);
	ck_assert_uint_eq(wr.len, len);
	ck_assert_mem_eq(wr.p, p, len);
	kts_wr_free(&wr);
	free(p);
}
END_TEST

/* ---- inline header cases ---- */

static const struct hcase {
	const char *name;
	const char *hex;
	int rc;			/* kts_tlv_parse() result */
	uint16_t tag;
	uint8_t flags;
	size_t hdr_len;
	size_t len;
} hcases[] = {
	{ "empty input", "", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "one byte", "01", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "tlv16 short hdr", "8001", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "tlv16 3-byte hdr", "800100", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "len past end", "0105aabb", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "tlv16 len past end", "80010002aa", KTS_ETRUNC, 0, 0, 0, 0 },
	{ "tlv8 empty", "0100", 0, 0x01, 0, 2, 0 },
	{ "trailing byte", "01010000", KTS_EFORMAT, 0, 0, 0, 0 },
	{ "trailing element", "01000100", KTS_EFORMAT, 0, 0, 0, 0 },
	{ "tlv16 tag 0x2aa", "82aa0015"
	    "000102030405060708090a0b0c0d0e0f1011121314", 0, 0x2aa,
	    KTS_TLV_16, 4, 21 },
	{ "non-canonical tlv16", "80010001ca", 0, 0x01, KTS_TLV_16, 4, 1 },
	{ "N+F flags", "7e0101", 0, 0x1e, KTS_TLV_N | KTS_TLV_F, 2, 1 },
	{ "F flag", "3000", 0, 0x10, KTS_TLV_F, 2, 0 },
	{ "largest tag", "9fff0000", 0, 0x1fff, KTS_TLV_16, 4, 0 },
	{ "all flags", "ffff0000", 0, 0x1fff,
	    KTS_TLV_16 | KTS_TLV_N | KTS_TLV_F, 4, 0 },
	{ "tag 0", "0000", 0, 0, 0, 2, 0 },
};

START_TEST(test_headers)
{
	const struct hcase *hc = &hcases[_i];
	struct kts_perr perr = { 0 };
	struct kts_tlv t;
	uint8_t *p;
	size_t len;
	int r;

	p = kts_test_hex(hc->hex, &len);
	r = kts_tlv_parse(p, len, &t, &perr);
	ck_assert_msg(r == hc->rc, "%s: got %d, want %d", hc->name, r, hc->rc);
	if (r == 0) {
		ck_assert_uint_eq(t.tag, hc->tag);
		ck_assert_uint_eq(t.flags, hc->flags);
		ck_assert_uint_eq(t.hdr_len, hc->hdr_len);
		ck_assert_uint_eq(t.len, hc->len);
		ck_assert_ptr_eq(t.val, p + hc->hdr_len);
		ck_assert_ptr_null(perr.what);
	} else {
		ck_assert_ptr_nonnull(perr.what);
	}
	if (r == KTS_EFORMAT)	/* trailing bytes start after the element */
		ck_assert_uint_eq(perr.off, kts_tlv_size(&t));
	free(p);
}
END_TEST

/* A failed read leaves the reader where it was (sshbuf rule). */
START_TEST(test_read_keeps_offset)
{
	struct kts_tlv t;
	struct kts_rd rd;
	uint8_t *p;
	size_t len;

	p = kts_test_hex("0101ca 0105aabb", &len);
	kts_rd_init(&rd, p, len);
	ck_assert_int_eq(kts_tlv_read(&rd, &t), 0);
	ck_assert_uint_eq(rd.off, 3);
	ck_assert_int_eq(kts_tlv_read(&rd, &t), KTS_ETRUNC);
	ck_assert_uint_eq(rd.off, 3);
	ck_assert_int_eq(kts_tlv_read(&rd, &t), KTS_ETRUNC);
	ck_assert_uint_eq(rd.off, 3);
	free(p);
}
END_TEST

/* ---- kts_tlv_u64 (spec 1.4 INT) ---- */

static const struct ucase {
	const char *hex;	/* the value bytes */
	int rc;
	uint64_t v;
} ucases[] = {
	{ "", 0, 0 },
	{ "05", 0, 5 },
	{ "ff", 0, 0xff },
	{ "0100", 0, 0x100 },
	{ "0100000000000000", 0, 1ULL << 56 },
	{ "ffffffffffffffff", 0, UINT64_MAX },
	{ "00", KTS_EFORMAT, 0 },		/* zero must be empty */
	{ "0005", KTS_EFORMAT, 0 },		/* leading zero byte */
	{ "00ffffffffffffff", KTS_EFORMAT, 0 },
	{ "010101010101010101", KTS_EFORMAT, 0 },	/* 9 bytes */
	{ "00ffffffffffffffff", KTS_EFORMAT, 0 },
};

START_TEST(test_u64)
{
	const struct ucase *uc = &ucases[_i];
	struct kts_tlv t = { 0 };
	uint64_t v = 12345;
	uint8_t *p;
	size_t len;
	int r;

	p = kts_test_hex(uc->hex, &len);
	t.tag = 0x01;
	t.val = p;
	t.len = len;
	r = kts_tlv_u64(&t, &v);
	ck_assert_msg(r == uc->rc, "'%s': got %d, want %d", uc->hex, r,
	    uc->rc);
	if (r == 0)
		ck_assert_uint_eq(v, uc->v);
	free(p);
}
END_TEST

START_TEST(test_u64_write_minimal)
{
	static const uint64_t vals[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
		0xffffffffULL, 0x100000000ULL, UINT64_MAX - 1, UINT64_MAX,
	};
	struct kts_tlv t;
	struct kts_wr wr;
	uint64_t v;
	uint64_t x;
	size_t want;
	size_t i;

	for (i = 0; i < KTS_N_ELEMS(vals); i++) {
		for (want = 0, x = vals[i]; x != 0; x >>= 8)
			want++;
		kts_wr_init(&wr, 64);
		ck_assert_int_eq(kts_wr_tlv_u64(&wr, 0x01, 0, vals[i]), 0);
		ck_assert_int_eq(kts_tlv_parse(wr.p, wr.len, &t, NULL), 0);
		ck_assert_uint_eq(t.len, want);
		ck_assert_int_eq(kts_tlv_u64(&t, &v), 0);
		ck_assert_uint_eq(v, vals[i]);
		kts_wr_free(&wr);
	}
}
END_TEST

/* ---- kts_tlv_str (spec 1.4 STR) ---- */

static const struct scase {
	const char *name;
	const char *hex;	/* the value bytes */
	int rc;
} scases[] = {
	{ "empty string", "00", 0 },
	{ "X", "5800", 0 },
	{ "no terminator", "5859", KTS_EFORMAT },
	{ "empty value", "", KTS_EFORMAT },
	{ "some\\0text\\0", "736f6d650074657874 00", KTS_EFORMAT },
	{ "two terminators", "0000", KTS_EFORMAT },
	{ "ff ff ff ff", "ffffffff", KTS_EFORMAT },
	{ "ff ff ff ff 00", "ffffffff00", KTS_EFORMAT },
	{ "2-byte utf-8", "c3bc00", 0 },
	{ "3-byte utf-8", "e282ac00", 0 },
	{ "4-byte utf-8", "f09f988000", 0 },
	{ "cut 2-byte sequence", "c300", KTS_EFORMAT },
	{ "cut 3-byte sequence", "e28200", KTS_EFORMAT },
	{ "lone continuation", "8000", KTS_EFORMAT },
	{ "lead byte f5", "f580808000", KTS_EFORMAT },
	{ "lead byte f8", "f88080808000", KTS_EFORMAT },
	{ "bad continuation", "c34100", KTS_EFORMAT },
	/* spec 1.4: overlong forms are not checked (as libksi) */
	{ "overlong NUL", "c08000", 0 },
};

START_TEST(test_str)
{
	const struct scase *sc = &scases[_i];
	struct kts_tlv t = { 0 };
	const char *s = NULL;
	uint8_t *p;
	size_t len;
	int r;

	p = kts_test_hex(sc->hex, &len);
	t.tag = 0x02;
	t.val = p;
	t.len = len;
	r = kts_tlv_str(&t, &s);
	ck_assert_msg(r == sc->rc, "%s: got %d, want %d", sc->name, r, sc->rc);
	if (r == 0) {
		ck_assert_ptr_eq(s, (const char *)p);
		ck_assert_uint_eq(strlen(s), len - 1);
	}
	free(p);
}
END_TEST

START_TEST(test_utf8_valid)
{
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"", 0), 1);
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"abc", 3), 1);
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"\xc3\xbc", 2), 1);
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"\xc3\xbc", 1), 0);
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf",
	    4), 1);
	ck_assert_int_eq(kts_utf8_valid((const uint8_t *)"\xff", 1), 0);
}
END_TEST

/* ---- the writer ---- */

static void
assert_bytes(const struct kts_wr *wr, const char *hex)
{
	uint8_t *want;
	size_t n;

	want = kts_test_hex(hex, &n);
	ck_assert_uint_eq(wr->len, n);
	if (n > 0)
		ck_assert_mem_eq(wr->p, want, n);
	free(want);
}

START_TEST(test_wr_tlv_forms)
{
	static uint8_t big[65536];
	struct kts_wr wr;
	struct kts_tlv t;

	kts_wr_init(&wr, 2 * KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x01, 0, NULL, 0), 0);
	assert_bytes(&wr, "0100");
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x1e, KTS_TLV_N | KTS_TLV_F,
	    "\x01", 1), 0);
	assert_bytes(&wr, "7e0101");
	kts_wr_free(&wr);

	/* The TLV16 bit and tag bits in flags are not header flags. */
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x01, 0xff, NULL, 0), 0);
	assert_bytes(&wr, "6100");
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x20, 0, NULL, 0), 0);
	assert_bytes(&wr, "80200000");
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x1fff, KTS_TLV_N, NULL, 0), 0);
	assert_bytes(&wr, "dfff0000");
	kts_wr_free(&wr);

	/* spec 1.2: TLV8 iff tag <= 0x1f and length <= 255. */
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x02, 0, big, 255), 0);
	ck_assert_uint_eq(wr.len, 257);
	ck_assert_uint_eq(wr.p[0], 0x02);
	ck_assert_uint_eq(wr.p[1], 0xff);
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x02, 0, big, 256), 0);
	ck_assert_uint_eq(wr.len, 260);
	ck_assert_int_eq(kts_tlv_parse(wr.p, wr.len, &t, NULL), 0);
	ck_assert_uint_eq(t.hdr_len, 4);
	ck_assert_uint_eq(t.tag, 0x02);
	ck_assert_uint_eq(t.len, 256);
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x02, 0, big, 65535), 0);
	ck_assert_uint_eq(wr.len, KTS_MAX_PDU);
	kts_wr_free(&wr);

	ck_assert_int_eq(kts_wr_tlv(&wr, 0x02, 0, big, 65536), KTS_ETOOBIG);
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x2000, 0, NULL, 0), KTS_ETOOBIG);
	kts_wr_free(&wr);
}
END_TEST

/* Nested element whose value grows past 255 bytes: TLV8 becomes TLV16. */
START_TEST(test_wr_begin_end_switch)
{
	static const size_t sizes[] = { 0, 1, 253, 255, 256, 257, 300, 1000 };
	struct kts_tlv t;
	struct kts_tlv c;
	struct kts_rd rd;
	struct kts_wr wr;
	uint8_t pad[1000];
	size_t mark;
	size_t i;

	memset(pad, 0xab, sizeof(pad));
	for (i = 0; i < KTS_N_ELEMS(sizes); i++) {
		kts_wr_init(&wr, KTS_MAX_PDU);
		ck_assert_int_eq(kts_wr_u8(&wr, 0x99), 0);	/* mark != 0 */
		ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x03, KTS_TLV_N, &mark),
		    0);
		ck_assert_uint_eq(mark, 1);
		ck_assert_int_eq(kts_wr_put(&wr, pad, sizes[i]), 0);
		ck_assert_int_eq(kts_wr_tlv_end(&wr, mark), 0);
		ck_assert_int_eq(kts_tlv_parse(wr.p + 1, wr.len - 1, &t, NULL),
		    0);
		ck_assert_uint_eq(t.tag, 0x03);
		ck_assert_uint_eq(t.len, sizes[i]);
		ck_assert_uint_eq(t.hdr_len, sizes[i] <= 255 ? 2 : 4);
		ck_assert_uint_eq(t.flags & KTS_TLV_N, KTS_TLV_N);
		ck_assert_uint_eq(t.flags & KTS_TLV_F, 0);
		if (sizes[i] > 0)
			ck_assert_mem_eq(t.val, pad, sizes[i]);
		kts_wr_free(&wr);
	}

	/* Two levels that both switch; tag 0x1003 starts as TLV16. */
	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x03, KTS_TLV_F, &mark), 0);
	{
		size_t inner;

		ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x1003, 0, &inner), 0);
		ck_assert_uint_eq(wr.len - inner, 4);
		ck_assert_int_eq(kts_wr_tlv(&wr, 0x04, 0, pad, 300), 0);
		ck_assert_int_eq(kts_wr_tlv_end(&wr, inner), 0);
		ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x03, 0, &inner), 0);
		ck_assert_int_eq(kts_wr_tlv(&wr, 0x04, 0, pad, 300), 0);
		ck_assert_int_eq(kts_wr_tlv_end(&wr, inner), 0);
	}
	ck_assert_int_eq(kts_wr_tlv_end(&wr, mark), 0);
	ck_assert_int_eq(kts_tlv_parse(wr.p, wr.len, &t, NULL), 0);
	ck_assert_uint_eq(t.flags, KTS_TLV_16 | KTS_TLV_F);
	ck_assert_uint_eq(t.len, 2 * (4 + 4 + 300));
	kts_rd_init(&rd, t.val, t.len);
	ck_assert_int_eq(kts_tlv_read(&rd, &c), 0);
	ck_assert_uint_eq(c.tag, 0x1003);
	ck_assert_uint_eq(c.len, 304);
	ck_assert_int_eq(kts_tlv_read(&rd, &c), 0);
	ck_assert_uint_eq(c.tag, 0x03);
	ck_assert_uint_eq(c.hdr_len, 4);
	ck_assert_uint_eq(c.len, 304);
	ck_assert_uint_eq(kts_rd_left(&rd), 0);
	kts_wr_free(&wr);
}
END_TEST

START_TEST(test_wr_limits)
{
	static uint8_t big[65536];
	struct kts_wr wr;
	uint8_t *out;
	size_t mark;
	size_t len;

	/* A value over 65535 bytes cannot be encoded in either form. */
	kts_wr_init(&wr, 2 * KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x03, 0, &mark), 0);
	ck_assert_int_eq(kts_wr_put(&wr, big, sizeof(big)), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, mark), KTS_ETOOBIG);
	kts_wr_free(&wr);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x1003, 0, &mark), 0);
	ck_assert_int_eq(kts_wr_put(&wr, big, sizeof(big)), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, mark), KTS_ETOOBIG);
	kts_wr_free(&wr);

	/* Tags have 13 bits. */
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x2000, 0, &mark), KTS_ETOOBIG);
	ck_assert_uint_eq(wr.len, 0);

	/* The writer's cap holds. */
	kts_wr_init(&wr, 3);
	ck_assert_int_eq(kts_wr_tlv(&wr, 0x01, 0, "ab", 2), KTS_ETOOBIG);
	ck_assert_uint_le(wr.len, 3);
	kts_wr_free(&wr);
	kts_wr_init(&wr, 258);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x03, 0, &mark), 0);
	ck_assert_int_eq(kts_wr_put(&wr, big, 256), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, mark), KTS_ETOOBIG);
	kts_wr_free(&wr);

	/* kts_wr_take: an empty writer still gives a buffer. */
	kts_wr_init(&wr, 16);
	ck_assert_int_eq(kts_wr_take(&wr, &out, &len), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(len, 0);
	free(out);
	ck_assert_int_eq(kts_wr_insert(&wr, 1, 1), KTS_EINVAL);
	ck_assert_int_eq(kts_wr_tlv_str(&wr, 0x02, 0, "XY"), 0);
	assert_bytes(&wr, "0203585900");
	ck_assert_int_eq(kts_wr_take(&wr, &out, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_uint_eq(wr.len, 0);
	ck_assert_ptr_null(wr.p);
	free(out);
}
END_TEST

/* ---- kts_tlv_walk (spec 1.3) ---- */

struct wctx {
	int n1;		/* tag 0x01 children seen */
	int n2;		/* tag 0x02 */
	int n3;		/* tag 0x03 */
};

static int
count_child(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct wctx *w = ctx;

	if (t->tag == 0x01)
		w->n1++;
	else if (t->tag == 0x02)
		w->n2++;
	else
		w->n3++;
	return 0;
}

static const struct kts_tlv_rule wrules[] = {
	{ 0x01, KTS_R_MANDATORY, count_child },
	{ 0x02, 0, count_child },
	{ 0x03, KTS_R_LIST, count_child },
};

static const struct wcase {
	const char *name;
	const char *hex;	/* the parent element, at offset 0 */
	int rc;
	int n1;
	int n2;
	int n3;
	size_t kept;		/* unknown non-critical children kept */
	uint16_t etag;		/* perr.tag on failure */
	size_t eoff;		/* perr.off on failure */
} wcases[] = {
	{ "mandatory only", "0302 0100", 0, 1, 0, 0, 0, 0, 0 },
	{ "all, any order", "0309 0300 0201 00 0100 0300", 0, 1, 1, 2, 0,
	    0, 0 },
	{ "known tag with N flag", "0302 4100", 0, 1, 0, 0, 0, 0, 0 },
	{ "known tag in TLV16 form", "0304 80010000", 0, 1, 0, 0, 0, 0, 0 },
	{ "missing mandatory", "0302 0200", KTS_EFORMAT, 0, 1, 0, 0, 0x03, 0 },
	{ "empty parent", "0300", KTS_EFORMAT, 0, 0, 0, 0, 0x03, 0 },
	{ "repeated non-list", "0306 0100 0200 0200", KTS_EFORMAT, 1, 1, 0, 0,
	    0x02, 6 },
	{ "repeated mandatory", "0304 0100 0100", KTS_EFORMAT, 1, 0, 0, 0,
	    0x01, 4 },
	{ "list repeated", "0306 0100 0300 0300", 0, 1, 0, 2, 0, 0, 0 },
	{ "unknown critical", "0304 0100 0500", KTS_EFORMAT, 1, 0, 0, 0,
	    0x05, 4 },
	{ "unknown critical tlv16", "0306 0100 80050000", KTS_EFORMAT, 1, 0,
	    0, 0, 0x05, 4 },
	{ "unknown non-critical", "0305 0100 4501aa", 0, 1, 0, 0, 1, 0, 0 },
	{ "unknown N+F", "0306 6500 0100 4500", 0, 1, 0, 0, 2, 0, 0 },
	{ "unknown N tlv16", "0306 0100 c0050000", 0, 1, 0, 0, 1, 0, 0 },
	{ "unknown F only", "0304 0100 2500", KTS_EFORMAT, 1, 0, 0, 0, 0x05,
	    4 },
	{ "child past end", "0303 0105aa", KTS_EFORMAT, 0, 0, 0, 0, 0x03, 2 },
	{ "child header cut", "0303 0100 81", KTS_EFORMAT, 1, 0, 0, 0, 0x03,
	    4 },
};

START_TEST(test_walk)
{
	const struct wcase *wc = &wcases[_i];
	struct kts_rawlist keep = { 0 };
	struct kts_perr perr = { 0 };
	struct kts_pctx pc;
	struct wctx w = { 0 };
	struct kts_tlv t;
	uint8_t *p;
	size_t len;
	size_t i;
	int r;

	p = kts_test_hex(wc->hex, &len);
	ck_assert_int_eq(kts_tlv_parse(p, len, &t, NULL), 0);
	pc.base = p;
	pc.perr = &perr;
	pc.depth = 0;
	r = kts_tlv_walk(&t, wrules, KTS_N_ELEMS(wrules), &w, &keep, &pc);
	ck_assert_msg(r == wc->rc, "%s: got %d, want %d", wc->name, r, wc->rc);
	ck_assert_int_eq(pc.depth, 0);
	ck_assert_int_eq(w.n1, wc->n1);
	ck_assert_int_eq(w.n2, wc->n2);
	ck_assert_int_eq(w.n3, wc->n3);
	ck_assert_uint_eq(keep.n, wc->kept);
	for (i = 0; i < keep.n; i++) {
		struct kts_tlv k;

		/* Kept ranges are whole elements inside the parent. */
		ck_assert(keep.v[i].p >= t.val &&
		    keep.v[i].p + keep.v[i].len <= t.val + t.len);
		ck_assert_int_eq(kts_tlv_parse(keep.v[i].p, keep.v[i].len, &k,
		    NULL), 0);
		ck_assert(k.flags & KTS_TLV_N);
	}
	if (r != 0) {
		ck_assert_ptr_nonnull(perr.what);
		ck_assert_uint_eq(perr.tag, wc->etag);
		ck_assert_uint_eq(perr.off, wc->eoff);
	}
	kts_rawlist_free(&keep);
	ck_assert_ptr_null(keep.v);

	/* Without a keep list, unknown non-critical ones are skipped. */
	memset(&w, 0, sizeof(w));
	pc.perr = NULL;
	r = kts_tlv_walk(&t, wrules, KTS_N_ELEMS(wrules), &w, NULL, &pc);
	ck_assert_int_eq(r, wc->rc);
	free(p);
}
END_TEST

static int
fail_child(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return KTS_EVERIFY;
}

/* A rule's error code comes back unchanged. */
START_TEST(test_walk_fn_error)
{
	static const struct kts_tlv_rule rules[] = {
		{ 0x01, 0, count_child },
		{ 0x02, KTS_R_MANDATORY, fail_child },
	};
	struct kts_perr perr = { 0 };
	struct kts_pctx pc;
	struct wctx w = { 0 };
	struct kts_tlv t;
	uint8_t *p;
	size_t len;

	p = kts_test_hex("0306 0100 0200 0100", &len);
	ck_assert_int_eq(kts_tlv_parse(p, len, &t, NULL), 0);
	pc.base = p;
	pc.perr = &perr;
	pc.depth = 0;
	ck_assert_int_eq(kts_tlv_walk(&t, rules, 2, &w, NULL, &pc),
	    KTS_EVERIFY);
	ck_assert_int_eq(w.n1, 1);	/* stopped at the failing child */
	ck_assert_int_eq(pc.depth, 0);
	free(p);
}
END_TEST

static const struct kts_tlv_rule deep_rules[1];

static int
deep_child(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	int *max = ctx;

	if (pc->depth > *max)
		*max = pc->depth;
	return kts_tlv_walk(t, deep_rules, 1, ctx, NULL, pc);
}

static const struct kts_tlv_rule deep_rules[1] = {
	{ 0x03, KTS_R_LIST, deep_child },
};

/* k nested 0x03 elements, the innermost empty. */
static void
build_deep(struct kts_wr *wr, int k)
{
	size_t marks[64];
	int i;

	ck_assert_int_le(k, 64);
	for (i = 0; i < k; i++)
		ck_assert_int_eq(kts_wr_tlv_begin(wr, 0x03, 0, &marks[i]), 0);
	for (i = k - 1; i >= 0; i--)
		ck_assert_int_eq(kts_wr_tlv_end(wr, marks[i]), 0);
}

/* STYLE.md 9: an explicit depth limit, KTS_MAX_TLV_DEPTH walks deep. */
START_TEST(test_walk_depth)
{
	struct kts_perr perr = { 0 };
	struct kts_pctx pc;
	struct kts_wr wr;
	struct kts_tlv t;
	int max;
	int k;
	int r;

	for (k = 1; k <= KTS_MAX_TLV_DEPTH + 2; k++) {
		kts_wr_init(&wr, KTS_MAX_PDU);
		build_deep(&wr, k);
		ck_assert_int_eq(kts_tlv_parse(wr.p, wr.len, &t, NULL), 0);
		memset(&perr, 0, sizeof(perr));
		pc.base = wr.p;
		pc.perr = &perr;
		pc.depth = 0;
		max = 0;
		r = kts_tlv_walk(&t, deep_rules, 1, &max, NULL, &pc);
		ck_assert_int_eq(pc.depth, 0);
		if (k <= KTS_MAX_TLV_DEPTH) {
			ck_assert_msg(r == 0, "depth %d: got %d", k, r);
		} else {
			ck_assert_msg(r == KTS_EFORMAT, "depth %d: got %d", k,
			    r);
			ck_assert_ptr_nonnull(perr.what);
			/* The element that was one too deep. */
			ck_assert_uint_eq(perr.off, 2u * KTS_MAX_TLV_DEPTH);
		}
		ck_assert_int_le(max, KTS_MAX_TLV_DEPTH);
		kts_wr_free(&wr);
	}
}
END_TEST

/* ---- fail-allocation-#N loops (STYLE.md 15) ---- */

/* build - a structure that grows the writer several times and switches
 * two headers to TLV16 (so kts_wr_insert reallocates too). */
static int
build(struct kts_wr *wr, uint8_t **out, size_t *len)
{
	static uint8_t pad[1000];
	size_t outer;
	size_t inner;
	int i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, 0x03, 0, &outer)) != 0)
		return r;
	for (i = 0; i < 30; i++)
		if ((r = kts_wr_tlv_u64(wr, 0x01, 0, 0xcafebabeULL + i)) != 0)
			return r;
	if ((r = kts_wr_tlv_begin(wr, 0x03, KTS_TLV_N, &inner)) != 0 ||
	    (r = kts_wr_tlv_str(wr, 0x02, 0, "kts")) != 0 ||
	    (r = kts_wr_tlv(wr, 0x04, 0, pad, 250)) != 0 ||
	    (r = kts_wr_tlv_end(wr, inner)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x04, 0, pad, sizeof(pad))) != 0 ||
	    (r = kts_wr_tlv_end(wr, outer)) != 0)
		return r;
	return kts_wr_take(wr, out, len);
}

START_TEST(test_wr_fail_alloc)
{
	struct kts_wr wr;
	uint8_t *ref;
	uint8_t *out;
	size_t reflen;
	size_t len;
	long n;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(build(&wr, &ref, &reflen), 0);
	kts_wr_free(&wr);
	for (n = 1; n < 1000; n++) {
		kts_wr_init(&wr, KTS_MAX_PDU);
		fail_alloc(n);
		r = build(&wr, &out, &len);
		fail_alloc(0);
		if (r == 0)
			break;
		ck_assert_msg(r == KTS_ENOMEM, "allocation %ld: got %d", n, r);
		kts_wr_free(&wr);
	}
	ck_assert_int_gt(n, 2);		/* some allocations were failed */
	ck_assert_int_lt(n, 1000);
	ck_assert_uint_eq(len, reflen);
	ck_assert_mem_eq(out, ref, len);
	free(out);
	free(ref);

	/* kts_wr_take of an empty writer allocates one byte. */
	kts_wr_init(&wr, 16);
	fail_alloc(1);
	r = kts_wr_take(&wr, &out, &len);
	fail_alloc(0);
	ck_assert_int_eq(r, KTS_ENOMEM);
	ck_assert_ptr_null(out);
}
END_TEST

/* The keep list of kts_tlv_walk under allocation failure. */
START_TEST(test_walk_fail_alloc)
{
	struct kts_rawlist keep = { 0 };
	struct kts_pctx pc;
	struct wctx w;
	struct kts_tlv t;
	uint8_t *p;
	size_t len;
	long n;
	int r;

	p = kts_test_hex("030d 0100 4500 4501aa 6500 c0050000", &len);
	ck_assert_int_eq(kts_tlv_parse(p, len, &t, NULL), 0);
	for (n = 1; n < 100; n++) {
		memset(&w, 0, sizeof(w));
		pc.base = p;
		pc.perr = NULL;
		pc.depth = 0;
		fail_alloc(n);
		r = kts_tlv_walk(&t, wrules, KTS_N_ELEMS(wrules), &w, &keep,
		    &pc);
		fail_alloc(0);
		ck_assert_int_eq(pc.depth, 0);
		if (r == 0)
			break;
		ck_assert_msg(r == KTS_ENOMEM, "allocation %ld: got %d", n, r);
		ck_assert_uint_eq(keep.n, (size_t)n - 1);
		kts_rawlist_free(&keep);
	}
	ck_assert_int_eq(n, 5);		/* four kept, the fifth succeeds */
	ck_assert_uint_eq(keep.n, 4);
	kts_rawlist_free(&keep);
	free(p);
}
END_TEST

static Suite *
tlv_suite(void)
{
	Suite *s = suite_create("tlv");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_vectors, 0, KTS_N_ELEMS(vcases));
	tcase_add_loop_test(tc, test_every_truncation_fails, 0,
	    KTS_N_ELEMS(vcases));
	tcase_add_loop_test(tc, test_bit_flips, 0, KTS_N_ELEMS(vcases));
	tcase_add_loop_test(tc, test_round_trip, 0, KTS_N_ELEMS(vcases));
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_headers, 0, KTS_N_ELEMS(hcases));
	tcase_add_test(tc, test_read_keeps_offset);
	tcase_add_loop_test(tc, test_u64, 0, KTS_N_ELEMS(ucases));
	tcase_add_test(tc, test_u64_write_minimal);
	tcase_add_loop_test(tc, test_str, 0, KTS_N_ELEMS(scases));
	tcase_add_test(tc, test_utf8_valid);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode");
	tcase_add_test(tc, test_wr_tlv_forms);
	tcase_add_test(tc, test_wr_begin_end_switch);
	tcase_add_test(tc, test_wr_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("walk");
	tcase_add_loop_test(tc, test_walk, 0, KTS_N_ELEMS(wcases));
	tcase_add_test(tc, test_walk_fn_error);
	tcase_add_test(tc, test_walk_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("fail_alloc");
	tcase_add_test(tc, test_wr_fail_alloc);
	tcase_add_test(tc, test_walk_fail_alloc);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(tlv_suite());
}
