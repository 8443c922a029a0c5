/*
 * check_logsig.c - unit tests of lib/logsig*.c against spec/logsig.md:
 * the worked example (2.10), the offline creation vectors and the
 * verification vectors of section 6, the line reader's framing, the
 * writer round trip, record proofs, tampering, and truncation/bit-flip
 * loops over vector files.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failalloc.h"
#include "kts_test.h"
#include "logsig.h"
#include "pub.h"
#include "tlv.h"
#include "util.h"

#define LS "logsig/"

/* Hex of an imprint (static buffer: one use per expression). */
static const char *
hex(const struct kts_imprint *im)
{
	static char buf[2 * KTS_IMPRINT_MAX + 1];

	return kts_imprint_hex(im, buf);
}

/* The imprint's hex starts with pre and ends with suf (spec 6 style). */
static void
assert_fix(const struct kts_imprint *im, const char *pre, const char *suf)
{
	const char *h = hex(im);
	size_t n = strlen(h);

	ck_assert_msg(strncmp(h, pre, strlen(pre)) == 0 && n >= strlen(suf) &&
	    strcmp(h + n - strlen(suf), suf) == 0, "%s is not %s...%s", h, pre,
	    suf);
}

static void
assert_hex(const uint8_t *bytes, uint8_t alg, const char *want)
{
	struct kts_imprint im;

	kts_ls_bytes_imprint(bytes, alg, &im);
	ck_assert_str_eq(hex(&im), want);
}

static int
open_vec(const char *rel)
{
	char path[4096];
	int fd;

	kts_test_vector_path(rel, path, sizeof(path));
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "cannot open %s", path);
	return fd;
}

/*
 * §2.10: one empty line, seed 32 x 0xAA, zero input, closing metarecord.
 */
START_TEST(test_worked_example)
{
	static const char meta_hex[] = "8911004a010101024501"
	    "1f636f6d2e677561726474696d652e626c6f636b436c6f7365526561736f6e00"
	    "0222426c6f636b20636c6f7365642064756520746f2066696c6520636c6f7375"
	    "72652e00";
	struct kts_ls_blk b;
	struct kts_imprint root;
	struct kts_wr wr;
	uint8_t seed[32];
	uint8_t *meta;
	size_t mlen;
	unsigned level;

	memset(seed, 0xaa, sizeof(seed));
	ck_assert_int_eq(kts_ls_blk_init(&b, KTS_HASH_SHA256, NULL, 0), 0);
	ck_assert_int_eq(kts_ls_blk_seed(&b, seed, 32), 0);
	ck_assert_int_eq(kts_ls_blk_add_line(&b, (const uint8_t *)"", 0,
	    NULL), 0);
	assert_hex(b.rec, 1, "01e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b9"
	    "34ca495991b7852b855");
	assert_hex(b.mask, 1, "0192339e39ee6ae2edbd46c60e27dbbf51b7a8c1499650"
	    "0cf67bdcede705b0ba9b");
	assert_hex(b.made[0], 1, "010165ae7ec23c35ff9441163cdc190cdbeb9a16c72"
	    "acb0e7fa3d9a9932de314d5");
	ck_assert_uint_eq(b.n_made, 1);
	/* The metarecord's bytes are exactly spec 2.2's example. */
	meta = kts_test_hex(meta_hex, &mlen);
	kts_wr_init(&wr, 1024);
	ck_assert_int_eq(kts_ls_wr_meta(&wr, 1, KTS_LS_CLOSE_KEY,
	    "Block closed due to file closure."), 0);
	ck_assert_uint_eq(wr.len, mlen);
	ck_assert_mem_eq(wr.p, meta, mlen);
	kts_wr_free(&wr);
	free(meta);
	ck_assert_int_eq(kts_ls_blk_add_meta(&b, KTS_LS_CLOSE_KEY,
	    "Block closed due to file closure.", NULL), 0);
	assert_hex(b.rec, 1, "0144aea5c0e52f4eaa7b333248851180cbd04610d4279a4"
	    "ca2dc8ca8bc4dca3f63");
	assert_hex(b.mask, 1, "01b20780521690adf1123299eab15626fec37384903b29"
	    "a6a63a3f00e12425e7f9");
	assert_hex(b.made[0], 1, "013670e8cd60786c4176485ee1cfb064746f3955b49"
	    "dd05626091b9e1a56886ef9");
	ck_assert_uint_eq(b.n_made, 2);		/* leaf_2 and node(1,2) */
	ck_assert_int_eq(kts_ls_blk_close(&b, NULL, &root, &level), 0);
	ck_assert_str_eq(hex(&root), "01a56f07cf549d546121ad33e2ed68339bc6377"
	    "5a5e310753888ba833a09aca26b");
	ck_assert_uint_eq(level, 2);
	assert_hex(b.prev, 1, "013670e8cd60786c4176485ee1cfb064746f3955b49dd0"
	    "5626091b9e1a56886ef9");
	ck_assert_uint_eq(b.n_made, 0);		/* perfect: no finals */
}
END_TEST

START_TEST(test_level)
{
	static const struct { uint64_t n; unsigned l; } t[] = {
		{ 1, 1 }, { 2, 2 }, { 3, 3 }, { 4, 3 }, { 5, 4 }, { 8, 4 },
		{ 9, 5 }, { 16, 5 }, { 17, 6 }, { 1ull << 32, 33 },
	};
	size_t i;

	for (i = 0; i < KTS_N_ELEMS(t); i++)
		ck_assert_uint_eq(kts_ls_level(t[i].n), t[i].l);
}
END_TEST

/* Magic table (spec 1.1). */
static const struct {
	const char *bytes;
	size_t n;
	enum kts_ls_kind kind;
	int rc;
} magic_cases[] = {
	{ "LOGSIG11", 8, KTS_LS_LOGSIG11, 0 },
	{ "LOGSIG12xx", 10, KTS_LS_LOGSIG12, 0 },
	{ "LOG12BLK", 8, KTS_LS_LOG12BLK, 0 },
	{ "LOG12SIG", 8, KTS_LS_LOG12SIG, 0 },
	{ "RECSIG11", 8, KTS_LS_RECSIG11, 0 },
	{ "RECSIG12", 8, KTS_LS_RECSIG12, 0 },
	{ "KSISTAT10", 9, KTS_LS_KSISTAT10, 0 },
	{ "KSISTAT1", 8, KTS_LS_UNKNOWN, KTS_ETRUNC },
	{ "LOGSIG10", 8, KTS_LS_UNKNOWN, KTS_EFORMAT },
	{ "LOGSIG1", 7, KTS_LS_UNKNOWN, KTS_ETRUNC },
	{ "XOGSIG12", 8, KTS_LS_UNKNOWN, KTS_EFORMAT },
	/* fuzz crasher: 8 bytes must not be compared with a 9-byte magic */
	{ "K\xb1\xb9\x7f-\x95\x0c\xfb", 8, KTS_LS_UNKNOWN, KTS_EFORMAT },
	{ "KSISTAT2", 8, KTS_LS_UNKNOWN, KTS_EFORMAT },
};

START_TEST(test_magic)
{
	enum kts_ls_kind k;
	size_t m;

	/* An exactly-sized copy, so a sanitizer sees an overread. */
	uint8_t *p = kts_test_dup(magic_cases[_i].bytes, magic_cases[_i].n);

	ck_assert_int_eq(kts_ls_magic(p, magic_cases[_i].n, &k, &m),
	    magic_cases[_i].rc);
	free(p);
	ck_assert_int_eq(k, magic_cases[_i].kind);
	ck_assert_uint_eq(m, magic_cases[_i].rc != 0 ? 0 :
	    k == KTS_LS_KSISTAT10 ? 9 : 8);
	if (magic_cases[_i].rc == 0)
		ck_assert_int_eq(strncmp(kts_ls_kind_name(k),
		    magic_cases[_i].bytes, m), 0);
	else
		ck_assert_str_eq(kts_ls_kind_name(k), "unknown");
}
END_TEST

/* Line framing (spec 2.1). */
static const struct {
	const char *name;
	const char *in;
	size_t n;
	const char *want;	/* lines joined by '|' */
	size_t count;
} line_cases[] = {
	{ "empty file", "", 0, "", 0 },
	{ "one LF", "\n", 1, "", 1 },
	{ "LF", "a\nb\n", 4, "a|b", 2 },
	{ "CRLF", "a\r\nb\r\n", 6, "a|b", 2 },
	{ "CR", "a\rb\r", 4, "a|b", 2 },
	{ "unterminated", "a\nb", 3, "a|b", 2 },
	{ "empty lines", "\n\n\n", 3, "||", 3 },
	{ "CR CR LF", "a\r\r\nb", 5, "a||b", 3 },
	{ "NUL ends a line", "ab\0cd\n", 6, "ab|cd", 2 },
	{ "NUL after a break is EOF", "ab\n\0cd\n", 7, "ab", 1 },
	{ "NUL at start is EOF", "\0ab\n", 4, "", 0 },
};

START_TEST(test_lines)
{
	struct kts_ls_lines lr;
	const uint8_t *p;
	char got[64];
	size_t len;
	size_t off = 0;
	size_t count = 0;
	int g;

	ck_assert_int_eq(kts_ls_lines_mem(&lr, (const uint8_t *)
	    line_cases[_i].in, line_cases[_i].n), 0);
	got[0] = '\0';
	for (;;) {
		ck_assert_int_eq(kts_ls_line(&lr, &p, &len, &g), 0);
		if (!g)
			break;
		ck_assert(off + len + 2 < sizeof(got));
		if (count++ > 0)
			got[off++] = '|';
		memcpy(got + off, p, len);
		off += len;
		got[off] = '\0';
	}
	ck_assert_msg(strcmp(got, line_cases[_i].want) == 0, "%s: got %s",
	    line_cases[_i].name, got);
	ck_assert_uint_eq(count, line_cases[_i].count);
	ck_assert_uint_eq(lr.lineno, line_cases[_i].count);
	kts_ls_lines_free(&lr);
}
END_TEST

/* A 1 MiB line passes, one byte more fails, streamed in chunks. */
START_TEST(test_long_lines)
{
	struct kts_ls_lines lr;
	const uint8_t *p;
	uint8_t *buf;
	size_t n = 3 * (size_t)KTS_LS_MAX_LINE;
	size_t len;
	int g;

	buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', n);
	buf[KTS_LS_MAX_LINE] = '\n';	/* line 1: exactly the maximum */
	ck_assert_int_eq(kts_ls_lines_mem(&lr, buf, n), 0);
	ck_assert_int_eq(kts_ls_line(&lr, &p, &len, &g), 0);
	ck_assert_int_eq(g, 1);
	ck_assert_uint_eq(len, KTS_LS_MAX_LINE);
	ck_assert_int_eq(kts_ls_line(&lr, &p, &len, &g), KTS_ETOOBIG);
	ck_assert_uint_eq(lr.lineno, 1);
	kts_ls_lines_free(&lr);
	free(buf);
}
END_TEST

/* Lines read through a fd and a FILE* agree with memory. */
START_TEST(test_lines_sources)
{
	static const char *rel = LS "logfiles/all_hashes";
	struct kts_ls_lines a;
	struct kts_ls_lines b;
	const uint8_t *pa;
	const uint8_t *pb;
	size_t la;
	size_t lb;
	int ga;
	int gb;
	int fd = open_vec(rel);
	FILE *fp;

	fp = fdopen(open_vec(rel), "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(kts_ls_lines_fd(&a, fd), 0);
	ck_assert_int_eq(kts_ls_lines_fp(&b, fp), 0);
	do {
		ck_assert_int_eq(kts_ls_line(&a, &pa, &la, &ga), 0);
		ck_assert_int_eq(kts_ls_line(&b, &pb, &lb, &gb), 0);
		ck_assert_int_eq(ga, gb);
		ck_assert_uint_eq(la, lb);
		if (ga)
			ck_assert_mem_eq(pa, pb, la);
	} while (ga);
	ck_assert_uint_eq(a.lineno, 1414);
	kts_ls_lines_free(&a);
	kts_ls_lines_free(&b);
	close(fd);
	fclose(fp);
}
END_TEST

/*
 * Offline signing like `logksi create` (spec 3): blocks of blk records,
 * the last closed with the file-closure metarecord (a metarecord-only
 * block when the lines fill the blocks), block k's seed = the k-th
 * seed_len slice of the seed file, unsigned markers.  wr (may be NULL)
 * gets the LOGSIG12 file; inputs[] the block input hashes.
 */
struct made {
	struct kts_imprint out;		/* last leaf */
	struct kts_imprint inputs[8];	/* first block inputs */
	size_t blocks;
	uint64_t lines;
};

struct cfg {
	const uint8_t *seed;
	size_t seed_file_len;
	size_t seed_len;
	uint64_t blk;
	unsigned keep;
};

static void
close_block(struct kts_ls_blk *b, struct kts_wr *wr, struct made *m)
{
	struct kts_ls_bsig bs;

	memset(&bs, 0, sizeof(bs));
	bs.count = b->n;
	bs.kind = KTS_LS_SIG_NONE;
	if (m->blocks < KTS_N_ELEMS(m->inputs))
		kts_ls_bytes_imprint(b->input, b->alg, &m->inputs[m->blocks]);
	m->blocks++;
	ck_assert_int_eq(kts_ls_blk_close(b, wr, &bs.root, &(unsigned){0}),
	    0);
	if (wr != NULL)
		ck_assert_int_eq(kts_ls_wr_bsig(wr, &bs), 0);
}

static void
open_block(struct kts_ls_blk *b, const struct cfg *c)
{
	size_t off;

	if (b->n != 0)
		return;
	off = (size_t)b->blocks * c->seed_len % c->seed_file_len;
	ck_assert(off + c->seed_len <= c->seed_file_len);
	ck_assert_int_eq(kts_ls_blk_seed(b, c->seed + off, c->seed_len), 0);
}

static void
create_lr(struct kts_ls_lines *lr, const struct cfg *c, uint8_t alg,
    const struct kts_imprint *input, struct kts_wr *wr, struct made *m)
{
	struct kts_ls_blk b;
	const uint8_t *p;
	size_t len;
	int g;

	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(kts_ls_blk_init(&b, alg, input, c->keep), 0);
	if (wr != NULL)
		ck_assert_int_eq(kts_ls_wr_magic(wr, KTS_LS_LOGSIG12), 0);
	for (;;) {
		ck_assert_int_eq(kts_ls_line(lr, &p, &len, &g), 0);
		if (!g)
			break;
		open_block(&b, c);
		ck_assert_int_eq(kts_ls_blk_add_line(&b, p, len, wr), 0);
		if (b.n == c->blk)
			close_block(&b, wr, m);
	}
	open_block(&b, c);
	ck_assert_int_eq(kts_ls_blk_add_meta(&b, KTS_LS_CLOSE_KEY,
	    "Block closed due to file closure.", wr), 0);
	close_block(&b, wr, m);
	kts_ls_bytes_imprint(b.prev, alg, &m->out);
	m->lines = lr->lineno;
}

static void
create(const char *log, const char *seed, size_t seed_len, uint8_t alg,
    uint64_t blk, const struct kts_imprint *input, unsigned keep,
    struct kts_wr *wr, struct made *m)
{
	struct kts_ls_lines lr;
	struct cfg c;
	uint8_t *sd;
	int fd = open_vec(log);

	sd = kts_test_vector(seed, &c.seed_file_len);
	c.seed = sd;
	c.seed_len = seed_len;
	c.blk = blk;
	c.keep = keep;
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	create_lr(&lr, &c, alg, input, wr, m);
	kts_ls_lines_free(&lr);
	close(fd);
	free(sd);
}

/* Spec 6, "offline, deterministic creation vectors". */
static const struct {
	const char *log;
	uint64_t blk;
	const char *pre;
	const char *suf;
} create_cases[] = {
	{ "logfiles/treehash1", 5, "0120c46e", "498552" },
	{ "logfiles/linux-new-line-3_empty-line", 5, "019df569", "e9aff0" },
	{ "logfiles/mac-new-line-3_empty-line", 5, "019df569", "e9aff0" },
	{ "logfiles/win-new-line-3_empty-line", 5, "019df569", "e9aff0" },
	{ "logfiles/linux-new-line", 5, "01ff09e8", "34a36a" },
	{ "logfiles/mac-new-line", 5, "01ff09e8", "34a36a" },
	{ "logfiles/win-new-line", 5, "01ff09e8", "34a36a" },
	{ "logfiles/long-log-lines", 1024, "01bf50f4", "e8a84b" },
};

START_TEST(test_create_vectors)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	struct kts_wr wr;
	struct made m;
	char rel[256];
	int fd;

	snprintf(rel, sizeof(rel), LS "%s", create_cases[_i].log);
	kts_wr_init(&wr, 1u << 24);
	create(rel, LS "random/seed_aa", 32, KTS_HASH_SHA256,
	    create_cases[_i].blk, NULL, KTS_LS_KEEP_REC | KTS_LS_KEEP_TREE |
	    KTS_LS_KEEP_FINAL, &wr, &m);
	assert_fix(&m.out, create_cases[_i].pre, create_cases[_i].suf);
	/* Round trip: what we wrote verifies against the same log. */
	fd = open_vec(rel);
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(wr.p, wr.len, &lr, NULL, &res), 0);
	ck_assert_int_eq(res.status, KTS_LS_INCONCLUSIVE);
	ck_assert_int_eq(res.what, KTS_LSW_UNSIGNED);
	ck_assert_uint_eq(res.blocks, m.blocks);
	ck_assert(kts_imprint_eq(&res.output, &m.out));
	kts_ls_lines_free(&lr);
	close(fd);
	kts_wr_free(&wr);
}
END_TEST

/* An empty log: one metarecord-only block (spec 2.10's last line). */
START_TEST(test_create_empty)
{
	struct kts_ls_lines lr;
	struct cfg c;
	struct made m;
	uint8_t seed[32];

	memset(seed, 0xaa, sizeof(seed));
	c.seed = seed;
	c.seed_file_len = c.seed_len = 32;
	c.blk = 5;
	c.keep = 0;
	ck_assert_int_eq(kts_ls_lines_mem(&lr, seed, 0), 0);
	create_lr(&lr, &c, KTS_HASH_SHA256, NULL, NULL, &m);
	assert_fix(&m.out, "01cb7b6b", "305bbf");
	ck_assert_uint_eq(m.blocks, 1);
	kts_ls_lines_free(&lr);
	ck_assert_int_eq(kts_ls_lines_mem(&lr, (const uint8_t *)"\n", 1), 0);
	create_lr(&lr, &c, KTS_HASH_SHA256, NULL, NULL, &m);
	assert_fix(&m.out, "013670e8", "886ef9");
	kts_ls_lines_free(&lr);
}
END_TEST

/*
 * The signed SHA-512 log: our file equals signed.logsig byte for byte
 * except the block signatures (spec 6: inputs 057f3d..., 0520cf...).
 */
static void
assert_same_but_sigs(const uint8_t *a, size_t an, const uint8_t *b,
    size_t bn)
{
	struct kts_ls_reader ra;
	struct kts_ls_reader rb;
	struct kts_ls_elem ea;
	struct kts_ls_elem eb;

	ck_assert_int_eq(kts_ls_reader_init(&ra, a, an), 0);
	ck_assert_int_eq(kts_ls_reader_init(&rb, b, bn), 0);
	do {
		ck_assert_int_eq(kts_ls_next(&ra, &ea), 0);
		ck_assert_int_eq(kts_ls_next(&rb, &eb), 0);
		ck_assert_int_eq(ea.tag, eb.tag);
		if (ea.tag == 0)
			break;
		if (ea.tag == KTS_LS_BSIG) {
			ck_assert_uint_eq(ea.u.bsig.count, eb.u.bsig.count);
			continue;
		}
		ck_assert_msg(ea.raw_len == eb.raw_len, "tag %x off %zu/%zu", ea.tag,
		    ea.off, eb.off);
		ck_assert_mem_eq(ea.raw, eb.raw, ea.raw_len);
	} while (1);
}

START_TEST(test_create_signed_sha512)
{
	static const char *fix[4][2] = {
		{ "057f3d", "ee3141" }, { "0520cf", "88944a" },
		{ "059c1e", "42e444" }, { "051dfe", "43e987" },
	};
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	struct kts_imprint in;
	struct kts_wr wr;
	struct made m;
	uint8_t *ref;
	size_t n;
	size_t i;

	ref = kts_test_vector(LS "logs_and_signatures/signed.logsig", &n);
	ck_assert_int_eq(kts_ls_reader_init(&rd, ref, n), 0);
	ck_assert_int_eq(kts_ls_next(&rd, &e), 0);
	ck_assert_int_eq(e.tag, KTS_LS_HDR);
	in = e.u.hdr.input;
	kts_wr_init(&wr, 1u << 20);
	create(LS "logs_and_signatures/signed", LS "random/seed_signed_log",
	    64, KTS_HASH_SHA512, 3, &in, KTS_LS_KEEP_REC | KTS_LS_KEEP_TREE,
	    &wr, &m);
	ck_assert_uint_eq(m.blocks, 4);
	for (i = 0; i < 4; i++)
		assert_fix(&m.inputs[i], fix[i][0], fix[i][1]);
	assert_same_but_sigs(wr.p, wr.len, ref, n);
	kts_wr_free(&wr);
	/* --seed-len 4: the seeds are 4-byte slices. */
	create(LS "logs_and_signatures/signed", LS "random/seed_signed_log",
	    4, KTS_HASH_SHA512, 3, &in, 0, NULL, &m);
	ck_assert_uint_eq(m.blocks, 4);
	free(ref);
}
END_TEST

/* Verification vectors (spec 6), hash level and internal policy. */
#define ANY ((uint64_t)-1)
static const struct vcase {
	const char *log;
	const char *sig;
	unsigned flags;
	enum kts_ls_status st;
	enum kts_ls_what what;
	uint64_t block;		/* ANY: not checked */
	uint64_t line;		/* ANY: not checked */
} vcases[] = {
#define OK_(l, s) { l, s, 0, KTS_LS_OK, KTS_LSW_NONE, 0, 0 }
	OK_("logs_and_signatures/signed", "logs_and_signatures/signed.logsig"),
	OK_("logs_and_signatures/extended",
	    "logs_and_signatures/extended.logsig"),
	OK_("logs_and_signatures/totally-resigned",
	    "logs_and_signatures/totally-resigned.logsig"),
	{ "logs_and_signatures/log_repaired",
	    "logs_and_signatures/log_repaired.logsig", KTS_LS_V_IGNORE_TIME,
	    KTS_LS_OK, KTS_LSW_NONE, 0, 0 },
	{ "logs_and_signatures/log_repaired",
	    "logs_and_signatures/log_repaired.logsig", 0,
	    KTS_LS_FAILED, KTS_LSW_TIME_ORDER, ANY, ANY },
	OK_("logfiles/all_hashes", "logsignatures/all_hashes.logsig"),
	OK_("logfiles/extract.base", "logsignatures/extract.base.logsig"),
	OK_("continue-verification/log", "continue-verification/log-ok.logsig"),
	/*
	 * Block 2 of this file was re-signed in 2019, block 3 in 2018:
	 * logksi's expectation (OK) must come from --ignore-desc-block-time;
	 * by default (spec 2.9 step 7) the order check fails.
	 */
	{ "continue-verification/log",
	    "continue-verification/log-ok-one-sig-diff-client-id.logsig",
	    KTS_LS_V_IGNORE_TIME, KTS_LS_OK, KTS_LSW_NONE, 0, 0 },
	{ "continue-verification/log",
	    "continue-verification/log-ok-one-sig-diff-client-id.logsig",
	    0, KTS_LS_FAILED, KTS_LSW_TIME_ORDER, 3, 0 },
	OK_("interlink/ok-testlog-interlink-1",
	    "interlink/ok-testlog-interlink-1.logsig"),
	OK_("interlink/ok-testlog-interlink-2",
	    "interlink/ok-testlog-interlink-2.logsig"),
	OK_("logfiles/all_hashes", "logsignatures/tree_hash_final.logsig"),
	OK_("logfiles/all_hashes",
	    "logsignatures/tree_hashes_final_all_present.logsig"),
	OK_("logfiles/all_hashes",
	    "logsignatures/record_hashes_not_stored_in_first_block.logsig"),
	OK_("logfiles/all_hashes",
	    "logsignatures/record_hashes_not_stored_in_second_block.logsig"),
	OK_("logfiles/all_hashes",
	    "logsignatures/tree_hashes_not_stored_in_first_block.logsig"),
	OK_("logfiles/all_hashes",
	    "logsignatures/tree_hashes_not_stored_in_second_block.logsig"),
	OK_("logfiles/all_hashes", "logsignatures/"
	    "record_hash_missing_for_metarecord_in_empty_block.logsig"),
	OK_("logfiles/all_hashes", "logsignatures/"
	    "tree_hash_missing_for_metarecord_in_empty_block.logsig"),
	{ "logfiles/unsigned", "logsignatures/unsigned-same-sign-time.logsig",
	    KTS_LS_V_IGNORE_TIME, KTS_LS_OK, KTS_LSW_NONE, 0, 0 },
#define F_(l, s, w, b, n) { l, s, 0, KTS_LS_FAILED, w, b, n }
#define AH "logfiles/all_hashes"
#define LSG(x) "logsignatures/" x ".logsig"
	F_(AH, LSG("record_hash_out_of_block"), KTS_LSW_OUT_OF_BLOCK, ANY,
	    ANY),
	F_(AH, LSG("tree_hash_out_of_block"), KTS_LSW_OUT_OF_BLOCK, ANY, ANY),
	F_(AH, LSG("record_hash_missing_for_first_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("record_hash_missing_for_second_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("record_hash_missing_for_last_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("hashes_missing_for_first_record"), KTS_LSW_HASH_MISSING,
	    ANY, ANY),
	F_(AH, LSG("hashes_missing_for_last_record"), KTS_LSW_HASH_MISSING,
	    ANY, ANY),
	F_(AH, LSG("tree_hash_missing_for_first_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("tree_hash_1_missing_for_second_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("tree_hash_2_missing_for_second_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("tree_hash_missing_for_last_record"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("record_hash_missing_for_metarecord"),
	    KTS_LSW_HASH_MISSING, ANY, ANY),
	F_(AH, LSG("tree_hash_missing_for_metarecord"), KTS_LSW_HASH_MISSING,
	    ANY, ANY),
	F_(AH, LSG("record_hash_too_many"), KTS_LSW_HASH_EXTRA, ANY, ANY),
	F_(AH, LSG("tree_hash_too_many_perfect_tree"), KTS_LSW_FINAL_HASH,
	    ANY, ANY),
	F_(AH, LSG("tree_hash_final_wrong"), KTS_LSW_FINAL_HASH, ANY, ANY),
	F_(AH, LSG("tree_hashes_final_too_many"), KTS_LSW_FINAL_HASH, ANY,
	    ANY),
	F_(AH, LSG("tree_hashes_final_too_few"), KTS_LSW_FINAL_HASH, ANY,
	    ANY),
#define LAS(x) "logs_and_signatures/" x, "logs_and_signatures/" x ".logsig"
#define FL_(x, w, b, n) { LAS(x), 0, KTS_LS_FAILED, w, b, n }
	FL_("equal-log-lines-one-missing", KTS_LSW_RECORD_MISSING, 1, 4),
	/* Header SHA2-256, input hash SHA2-512. */
	FL_("invalid-aggr-algo", KTS_LSW_LINK_BROKEN, 1, 0),
	FL_("large-line-skipping", KTS_LSW_RECORD_CHANGED, 1, ANY),
	/*
	 * Block 5 is unsigned (logksi stops there: exit 1); we go on and
	 * find block 18 signed years before block 17.
	 */
	{ LAS("unsigned"), KTS_LS_V_IGNORE_TIME, KTS_LS_INCONCLUSIVE,
	    KTS_LSW_UNSIGNED, 5, 0 },
	{ LAS("unsigned"), 0, KTS_LS_FAILED, KTS_LSW_TIME_ORDER, 18, 0 },
	{ LAS("log-sign-network-error"), 0, KTS_LS_INCONCLUSIVE,
	    KTS_LSW_UNSIGNED, 1, 0 },
	{ LAS("only-1-unsigned"), 0, KTS_LS_INCONCLUSIVE, KTS_LSW_UNSIGNED,
	    ANY, 0 },
	{ LAS("totally-unsigned"), 0, KTS_LS_INCONCLUSIVE, KTS_LSW_UNSIGNED,
	    1, 0 },
	{ LAS("log_no_rec_timeout_short1"), 0, KTS_LS_INCONCLUSIVE,
	    KTS_LSW_UNSIGNED, 2, 0 },
#define CV "continue-verification/"
	F_(CV "log-line-4-changed", CV "log-ok.logsig",
	    KTS_LSW_RECORD_CHANGED, 2, 4),
	F_(CV "log-line-4-removed", CV "log-line-4-removed.logsig",
	    KTS_LSW_ROOT, 2, 0),
	/* Lines 4 and 5 of the log are identical: line 5 is the first. */
	F_(CV "log", CV "log-line-4-removed.logsig", KTS_LSW_RECORD_CHANGED,
	    2, 5),
	/* Line and record hash changed together: the root breaks. */
	F_(CV "log-rec-4-changed", CV "log-rec-4-changed.logsig",
	    KTS_LSW_ROOT, 2, 0),
	F_(CV "log-block-no2-changed", CV "log-block-no2-changed.logsig",
	    KTS_LSW_ROOT, 2, 0),
	F_(CV "log", CV "log-sig-no2-wrong.logsig", KTS_LSW_ROOT, 2, 0),
	F_(CV "log", CV "log-missing-tlv-901.01.logsig", KTS_LSW_FORMAT, 0,
	    0),
	F_(CV "log", CV "log-missing-tlv-904.905.logsig", KTS_LSW_FORMAT,
	    ANY, ANY),
	F_(CV "log", CV "log-unknown-tlv-904.905.666.logsig", KTS_LSW_FORMAT,
	    ANY, ANY),
	F_(CV "log", CV "log-missing-tlv-911.02.logsig", KTS_LSW_FORMAT, ANY,
	    ANY),
	OK_("interlink/ok-testlog-interlink-resigned-1",
	    "interlink/ok-testlog-interlink-resigned-1.logsig"),
};

static void
verify_vec(const struct vcase *c, struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;
	struct kts_ls_vopts o;
	char rel[256];
	uint8_t *sig;
	size_t n;
	int fd;

	snprintf(rel, sizeof(rel), LS "%s", c->sig);
	sig = kts_test_vector(rel, &n);
	snprintf(rel, sizeof(rel), LS "%s", c->log);
	fd = open_vec(rel);
	memset(&o, 0, sizeof(o));
	o.flags = c->flags;
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(sig, n, &lr, &o, res), 0);
	kts_ls_lines_free(&lr);
	close(fd);
	free(sig);
}

START_TEST(test_verify_vectors)
{
	const struct vcase *c = &vcases[_i];
	struct kts_ls_vres res;

	verify_vec(c, &res);
	ck_assert_msg(res.status == c->st && res.what == c->what,
	    "%s: status %d what %s (%s) block %llu line %llu off %zu tag %x",
	    c->sig, res.status, kts_ls_what_str(res.what), res.detail,
	    (unsigned long long)res.block, (unsigned long long)res.line,
	    res.off, res.tag);
	if (c->block != ANY)
		ck_assert_uint_eq(res.block, c->block);
	if (c->line != ANY)
		ck_assert_uint_eq(res.line, c->line);
	if (c->st != KTS_LS_OK)
		ck_assert_ptr_nonnull(res.detail);
}
END_TEST

/* Interlinked files (spec 2.7): 1 then 2 chains, other orders fail. */
static void
verify_chain(const char *log, const char *sig, const struct kts_ls_vres *prev,
    struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;
	struct kts_ls_vopts o;
	char rel[256];
	uint8_t *p;
	size_t n;
	int fd;

	snprintf(rel, sizeof(rel), LS "interlink/%s", sig);
	p = kts_test_vector(rel, &n);
	snprintf(rel, sizeof(rel), LS "interlink/%s", log);
	fd = open_vec(rel);
	memset(&o, 0, sizeof(o));
	if (prev != NULL) {
		o.input = &prev->output;
		o.prev_time = prev->last_time;
	}
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(p, n, &lr, &o, res), 0);
	kts_ls_lines_free(&lr);
	close(fd);
	free(p);
}

START_TEST(test_interlink)
{
	struct kts_ls_vres r1;
	struct kts_ls_vres r2;

	verify_chain("ok-testlog-interlink-1", "ok-testlog-interlink-1.logsig",
	    NULL, &r1);
	ck_assert_int_eq(r1.status, KTS_LS_OK);
	assert_fix(&r1.output, "01ecbc3a", "d6c019");
	verify_chain("ok-testlog-interlink-2", "ok-testlog-interlink-2.logsig",
	    &r1, &r2);
	ck_assert_int_eq(r2.status, KTS_LS_OK);
	/* Reversed: 2's last leaf is not 1's input. */
	verify_chain("ok-testlog-interlink-1", "ok-testlog-interlink-1.logsig",
	    &r2, &r1);
	ck_assert_int_eq(r1.status, KTS_LS_FAILED);
	ck_assert_int_eq(r1.what, KTS_LSW_LINK_BROKEN);
	ck_assert_uint_eq(r1.block, 1);
	/* Re-signed 1: the link holds, the signing times do not. */
	verify_chain("ok-testlog-interlink-resigned-1",
	    "ok-testlog-interlink-resigned-1.logsig", NULL, &r1);
	ck_assert_int_eq(r1.status, KTS_LS_OK);
	verify_chain("ok-testlog-interlink-2", "ok-testlog-interlink-2.logsig",
	    &r1, &r2);
	ck_assert_int_eq(r2.status, KTS_LS_FAILED);
	ck_assert_int_eq(r2.what, KTS_LSW_TIME_ORDER);
	ck_assert_uint_eq(r2.block, 1);
	/* Same signing time at the seam is fine. */
	verify_chain("ok-testlog-interlink-same-sig-time-1",
	    "ok-testlog-interlink-same-sig-time-1.logsig", NULL, &r1);
	ck_assert_int_eq(r1.status, KTS_LS_OK);
	verify_chain("ok-testlog-interlink-same-sig-time-2",
	    "ok-testlog-interlink-same-sig-time-2.logsig", &r1, &r2);
	ck_assert_int_eq(r2.status, KTS_LS_OK);
}
END_TEST

/* State files (spec 1.6, 6). */
static const struct {
	const char *file;
	int rc;
} state_cases[] = {
	{ "sha512.state", 0 },
	{ "sha1.state", KTS_ECRYPTO },
	{ "invalid-hash-03-alg.state", KTS_ECRYPTO },
	{ "invalid-hash-7e-alg.state", KTS_ECRYPTO },
	{ "unknown-magic-1.state", KTS_EFORMAT },
	{ "unknown-magic-2.state", KTS_EFORMAT },
	{ "wrong-algo-size.state", KTS_EFORMAT },
	{ "too-many-bytes.state", KTS_EFORMAT },
	{ "only-magic.state", KTS_ETRUNC },
	{ "only-magic-and-algo.state", KTS_ETRUNC },
	{ "no-digest.state", KTS_ETRUNC },
	{ "no-digest-and-len.state", KTS_ETRUNC },
	{ "missing-bytes.state", KTS_ETRUNC },
};

START_TEST(test_state)
{
	struct kts_imprint im;
	struct kts_perr perr = { 0, 0, NULL };
	struct kts_wr wr;
	char rel[256];
	uint8_t *p;
	size_t n;

	snprintf(rel, sizeof(rel), LS "state_file/%s", state_cases[_i].file);
	p = kts_test_vector(rel, &n);
	ck_assert_int_eq(kts_ls_state_parse(p, n, &im, &perr),
	    state_cases[_i].rc);
	if (state_cases[_i].rc != 0) {
		ck_assert_ptr_nonnull(perr.what);
		free(p);
		return;
	}
	ck_assert_int_eq(im.alg, KTS_HASH_SHA512);
	kts_wr_init(&wr, 128);
	ck_assert_int_eq(kts_ls_state_write(&wr, &im), 0);
	ck_assert_uint_eq(wr.len, n);
	ck_assert_mem_eq(wr.p, p, n);
	kts_wr_free(&wr);
	free(p);
}
END_TEST

START_TEST(test_state_truncation)
{
	struct kts_imprint im;
	struct kts_wr wr;
	size_t i;

	kts_imprint_zero(KTS_HASH_SHA256, &im);
	im.d[31] = 7;
	kts_wr_init(&wr, 128);
	ck_assert_int_eq(kts_ls_state_write(&wr, &im), 0);
	ck_assert_uint_eq(wr.len, 9 + 2 + 32);
	for (i = 0; i < wr.len; i++)
		ck_assert_int_ne(kts_ls_state_parse(wr.p, i, &im, NULL), 0);
	ck_assert_int_eq(kts_ls_state_parse(wr.p, wr.len, &im, NULL), 0);
	ck_assert_int_eq(im.d[31], 7);
	kts_wr_free(&wr);
}
END_TEST

/* Async parts (spec 6): integrate, then verify the result. */
static void
integrate_f(const char *dir, int salvage, struct kts_wr *out,
    struct kts_ls_vres *res)
{
	char rel[256];
	uint8_t *b;
	uint8_t *s;
	size_t bn;
	size_t sn;

	snprintf(rel, sizeof(rel), LS "logsignatures/%s/blocks.dat", dir);
	b = kts_test_vector(rel, &bn);
	snprintf(rel, sizeof(rel), LS "logsignatures/%s/block-signatures.dat",
	    dir);
	s = kts_test_vector(rel, &sn);
	kts_wr_init(out, 1u << 24);
	ck_assert_int_eq(kts_ls_integrate(b, bn, s, sn, salvage ?
	    KTS_LS_I_RECOVER : 0, out, res), 0);
	free(b);
	free(s);
}

static void
integrate(const char *dir, struct kts_wr *out, struct kts_ls_vres *res)
{
	integrate_f(dir, 0, out, res);
}

static void
verify_buf(const uint8_t *p, size_t n, const char *log,
    struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;
	char rel[256];
	int fd;

	snprintf(rel, sizeof(rel), LS "%s", log);
	fd = open_vec(rel);
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(p, n, &lr, NULL, res), 0);
	kts_ls_lines_free(&lr);
	close(fd);
}

static const struct {
	const char *dir;
	enum kts_ls_status st;
	enum kts_ls_what what;
	const char *log;	/* verify the joined file against it */
} parts_cases[] = {
	{ "signed.logsig.parts", KTS_LS_OK, KTS_LSW_NONE, "logfiles/signed" },
	{ "unsigned.logsig.parts", KTS_LS_INCONCLUSIVE, KTS_LSW_UNSIGNED,
	    "logfiles/unsigned" },
	/* The record counts of blocks.dat and its signatures differ. */
	{ "too-few-record-hashes.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_COUNT, NULL },
	{ "too-many-record-hashes.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_COUNT, NULL },
	{ "nok-logsig-only-magick.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "nok-logsig-empty-file.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "nok-logsig-missing-mandatory-tlv.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "nok-logsig-invalid-tlv-encoding-1.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "nok-logsig-invalid-tlv-encoding-2.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "nok-corrupted-metadata.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "unknow-blocks-file-types.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
	{ "unknow-sig-file-types.logsig.parts", KTS_LS_FAILED,
	    KTS_LSW_FORMAT, NULL },
};

START_TEST(test_parts)
{
	struct kts_ls_vres res;
	struct kts_ls_vres vr;
	struct kts_wr out;

	integrate(parts_cases[_i].dir, &out, &res);
	ck_assert_msg(res.status == parts_cases[_i].st &&
	    res.what == parts_cases[_i].what, "%s: status %d what %s (%s) "
	    "block %llu off %zu tag %x", parts_cases[_i].dir, res.status,
	    kts_ls_what_str(res.what), res.detail,
	    (unsigned long long)res.block, res.off, res.tag);
	if (parts_cases[_i].log != NULL) {
		verify_buf(out.p, out.len, parts_cases[_i].log, &vr);
		ck_assert_msg(vr.status == parts_cases[_i].st, "%s: %d %s (%s) "
		    "block %llu line %llu", parts_cases[_i].dir, vr.status,
		    kts_ls_what_str(vr.what), vr.detail,
		    (unsigned long long)vr.block, (unsigned long long)vr.line);
	}
	kts_wr_free(&out);
}
END_TEST

/* treehash_testset: 6 kinds x 8 logs; tree-only unbalanced 5..7 fail. */
START_TEST(test_treehash_matrix)
{
	static const char *kinds[] = { "none", "rec", "tree", "rec_tree",
	    "final_tree", "final_rec_tree" };
	const char *kind = kinds[_i / 8];
	int k = _i % 8 + 1;
	int bad = (strcmp(kind, "tree") == 0 || strcmp(kind, "final_tree") ==
	    0) && k >= 5 && k <= 7;
	struct kts_ls_vres res;
	struct kts_ls_vres vr;
	struct kts_wr out;
	char dir[128];
	char log[64];

	snprintf(dir, sizeof(dir), "treehash_testset/%s_%d.logsig.parts",
	    kind, k);
	snprintf(log, sizeof(log), "logfiles/treehash%d", k);
	integrate(dir, &out, &res);
	if (bad) {
		ck_assert_int_eq(res.status, KTS_LS_FAILED);
		ck_assert_int_eq(res.what, KTS_LSW_TREE_AMBIGUOUS);
		kts_wr_free(&out);
		return;
	}
	ck_assert_msg(res.status != KTS_LS_FAILED, "%s: %s (%s)", dir,
	    kts_ls_what_str(res.what), res.detail);
	verify_buf(out.p, out.len, log, &vr);
	ck_assert_msg(vr.status == res.status, "%s: %d %s (%s)", dir,
	    vr.status, kts_ls_what_str(vr.what), vr.detail);
	kts_wr_free(&out);
}
END_TEST

/* Legacy LOGSIG11 with RFC 3161 tokens: hashes check, token does not. */
START_TEST(test_legacy)
{
	static const char *l[][2] = {
		{ "logfiles/legacy", "logsignatures/legacy.gtsig" },
		{ "logfiles/legacy_extract",
		    "logsignatures/legacy_extract.gtsig" },
		{ "logfiles/legacy_with_missing_tree_hashes",
		    "logsignatures/legacy_with_missing_tree_hashes.gtsig" },
	};
	struct kts_ls_vres res;
	char rel[256];
	uint8_t *p;
	size_t n;
	size_t i;

	for (i = 0; i < KTS_N_ELEMS(l); i++) {
		snprintf(rel, sizeof(rel), LS "%s", l[i][1]);
		p = kts_test_vector(rel, &n);
		verify_buf(p, n, l[i][0], &res);
		ck_assert_msg(res.status == KTS_LS_INCONCLUSIVE &&
		    res.what == KTS_LSW_RFC3161, "%s: %d %s (%s)", l[i][1],
		    res.status, kts_ls_what_str(res.what), res.detail);
		free(p);
	}
}
END_TEST

/*
 * A test-side `logksi extract` (spec 2.8, 3): the wanted lines (sorted,
 * 1-based) go to text with one LF each; per block with hits, its 0x905
 * and one 0x907 per hit go to rec (a RECSIG12 file).
 */
#define XMAX 4096
struct xblk {
	struct kts_ls_hdr hdr;
	struct kts_imprint recs[XMAX];
	uint8_t meta[XMAX];
	uint64_t line[XMAX];
	struct kts_ls_meta metas[XMAX];
	uint64_t n;
	const uint64_t *want;
	size_t n_want;
	size_t k;		/* next wanted proof */
	size_t kt;		/* next wanted text line */
	struct kts_ls_lines lr;
};

static void
pull_lines(struct xblk *x, uint64_t upto, struct kts_wr *text)
{
	const uint8_t *p;
	size_t len;
	int g;

	while (x->n < upto) {
		ck_assert_uint_lt(x->n, XMAX);
		ck_assert_int_eq(kts_ls_line(&x->lr, &p, &len, &g), 0);
		ck_assert_int_eq(g, 1);
		ck_assert_int_eq(kts_hash_buf(x->hdr.alg, p, len,
		    &x->recs[x->n]), 0);
		x->meta[x->n] = 0;
		x->line[x->n++] = x->lr.lineno;
		if (x->kt < x->n_want && x->want[x->kt] == x->lr.lineno) {
			x->kt++;
			ck_assert_int_eq(kts_wr_put(text, p, len), 0);
			ck_assert_int_eq(kts_wr_u8(text, '\n'), 0);
		}
	}
}

static void
emit_hits(struct xblk *x, const struct kts_ls_bsig *bs, struct kts_wr *rec)
{
	struct kts_ls_chain *c;
	uint64_t i;
	int first = 1;

	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < x->n; i++) {
		if (x->k >= x->n_want || x->line[i] != x->want[x->k])
			continue;
		x->k++;
		if (first)
			ck_assert_int_eq(kts_ls_wr_ksi(rec, bs->sig,
			    bs->sig_len), 0);
		first = 0;
		ck_assert_int_eq(kts_ls_proof(&x->hdr.input, x->hdr.seed,
		    x->hdr.seed_len, x->recs, x->meta, x->n, i, c), 0);
		ck_assert_int_eq(kts_ls_wr_chain(rec, c), 0);
	}
	free(c);
}

static void
extract(const char *log, const char *sig, const uint64_t *want,
    size_t n_want, struct kts_wr *text, struct kts_wr *rec)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	struct xblk *x;
	uint8_t *p;
	size_t n;
	int fd = open_vec(log);

	x = calloc(1, sizeof(*x));
	ck_assert_ptr_nonnull(x);
	x->want = want;
	x->n_want = n_want;
	p = kts_test_vector(sig, &n);
	ck_assert_int_eq(kts_ls_lines_fd(&x->lr, fd), 0);
	ck_assert_int_eq(kts_ls_reader_init(&rd, p, n), 0);
	ck_assert_int_eq(kts_ls_wr_magic(rec, KTS_LS_RECSIG12), 0);
	for (;;) {
		ck_assert_int_eq(kts_ls_next(&rd, &e), 0);
		if (e.tag == 0)
			break;
		if (e.tag == KTS_LS_HDR) {
			x->hdr = e.u.hdr;
			x->n = 0;
		} else if (e.tag == KTS_LS_META) {
			pull_lines(x, e.u.meta.index, text);
			ck_assert_int_eq(kts_hash_buf(x->hdr.alg, e.raw,
			    e.raw_len, &x->recs[x->n]), 0);
			x->line[x->n] = 0;
			x->meta[x->n++] = 1;
		} else if (e.tag == KTS_LS_BSIG) {
			pull_lines(x, e.u.bsig.count, text);
			emit_hits(x, &e.u.bsig, rec);
		}
	}
	ck_assert_uint_eq(x->k, n_want);
	kts_ls_lines_free(&x->lr);
	close(fd);
	free(p);
	free(x);
}

static void
verify_excerpt_buf(const uint8_t *sig, size_t n, const uint8_t *text,
    size_t tn, struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;

	ck_assert_int_eq(kts_ls_lines_mem(&lr, text, tn), 0);
	ck_assert_int_eq(kts_ls_verify_excerpt(sig, n, &lr, NULL, res), 0);
	kts_ls_lines_free(&lr);
}

static const struct {
	const char *file;
	uint64_t lines[6];
	size_t n;
} extract_cases[] = {
	{ "r1.excerpt", { 1 }, 1 },
	{ "r1414.excerpt", { 1414 }, 1 },
	{ "r3-7.excerpt", { 3, 4, 5, 6, 7 }, 5 },
	{ "r3.6.9.excerpt", { 3, 6, 9 }, 3 },
};

/* Each chain proves its record under its signature; a change breaks it. */
static void
check_chains(const uint8_t *p, size_t n)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	struct kts_sig *sig = NULL;
	enum kts_ls_what w;

	ck_assert_int_eq(kts_ls_reader_init(&rd, p, n), 0);
	while (kts_ls_next(&rd, &e) == 0 && e.tag != 0) {
		if (e.tag == KTS_LS_KSI) {
			kts_sig_free(sig);
			ck_assert_int_eq(kts_sig_parse(e.u.ksi.p, e.u.ksi.len,
			    &sig, NULL), 0);
			continue;
		}
		ck_assert_int_eq(kts_ls_chain_verify(&e.u.chain, sig, &w), 0);
		ck_assert_int_eq(w, KTS_LSW_NONE);
		e.u.chain.steps[e.u.chain.n_steps - 1].corr++;
		ck_assert_int_eq(kts_ls_chain_verify(&e.u.chain, sig, &w),
		    KTS_EVERIFY);
		ck_assert_int_eq(w, KTS_LSW_PROOF);
	}
	kts_sig_free(sig);
}

/* Our excerpts are logksi's byte for byte and verify. */
START_TEST(test_extract)
{
	struct kts_ls_vres res;
	struct kts_wr text;
	struct kts_wr rec;
	char rel[256];
	uint8_t *want;
	size_t n;

	kts_wr_init(&text, 1u << 20);
	kts_wr_init(&rec, 1u << 20);
	extract(LS "logfiles/extract.base", LS "logsignatures/"
	    "extract.base.logsig", extract_cases[_i].lines,
	    extract_cases[_i].n, &text, &rec);
	snprintf(rel, sizeof(rel), LS "logfiles/%s", extract_cases[_i].file);
	want = kts_test_vector(rel, &n);
	ck_assert_uint_eq(text.len, n);
	ck_assert_mem_eq(text.p, want, n);
	verify_excerpt_buf(rec.p, rec.len, text.p, text.len, &res);
	ck_assert_msg(res.status == KTS_LS_OK, "%s: %s (%s)",
	    extract_cases[_i].file, kts_ls_what_str(res.what), res.detail);
	check_chains(rec.p, rec.len);
	free(want);
	kts_wr_free(&text);
	kts_wr_free(&rec);
}
END_TEST

/*
 * r1's proof against the altered excerpts, and logksi's corrupted r1
 * proofs (one element each) against r1.excerpt.
 */
static const struct {
	const char *sig;	/* NULL: our own r1 proof */
	const char *text;
	enum kts_ls_what what;
	uint64_t line;
} proof_cases[] = {
	{ NULL, "r1.excerpt", KTS_LSW_NONE, 0 },
	{ NULL, "r1_modified.excerpt", KTS_LSW_RECORD_CHANGED, 1 },
	{ NULL, "r1_too_long.excerpt", KTS_LSW_EXTRA_RECORD, 2 },
	{ "proof_wrong_record_hash", "r1.excerpt", KTS_LSW_RECORD_CHANGED,
	    1 },
	{ "proof_wrong_sibling_hash_1", "r1.excerpt", KTS_LSW_PROOF, 1 },
	{ "proof_wrong_sibling_hash_3", "r1.excerpt", KTS_LSW_PROOF, 1 },
	{ "proof_wrong_level_correction_1", "r1.excerpt", KTS_LSW_PROOF, 1 },
	{ "proof_wrong_level_correction_2", "r1.excerpt", KTS_LSW_PROOF, 1 },
	{ "proof_wrong_link_direction", "r1.excerpt", KTS_LSW_PROOF, 1 },
};

/* The differing bytes of a and b (same length) lie within span. */
static size_t
diff_span(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t lo = n;
	size_t hi = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		if (lo == n)
			lo = i;
		hi = i;
	}
	return lo == n ? 0 : hi - lo + 1;
}

/* The 0x907 of a (a RECSIG12 with one chain) is b's but for one element. */
static void
same_chain(const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
    int same_len)
{
	struct kts_ls_reader ra;
	struct kts_ls_reader rb;
	struct kts_ls_elem ea;
	struct kts_ls_elem eb;

	ck_assert_int_eq(kts_ls_reader_init(&ra, a, an), 0);
	ck_assert_int_eq(kts_ls_reader_init(&rb, b, bn), 0);
	do
		ck_assert_int_eq(kts_ls_next(&ra, &ea), 0);
	while (ea.tag != KTS_LS_CHAIN);
	do
		ck_assert_int_eq(kts_ls_next(&rb, &eb), 0);
	while (eb.tag != KTS_LS_CHAIN);
	if (same_len)
		ck_assert_uint_eq(ea.raw_len, eb.raw_len);
	if (ea.raw_len == eb.raw_len)
		ck_assert_uint_le(diff_span(ea.raw, eb.raw, ea.raw_len), 66);
}

START_TEST(test_proofs_vectors)
{
	static const uint64_t r1 = 1;
	struct kts_ls_vres res;
	struct kts_wr text;
	struct kts_wr rec;
	char rel[256];
	uint8_t *sig = NULL;
	uint8_t *t;
	size_t sn;
	size_t tn;

	kts_wr_init(&text, 1u << 20);
	kts_wr_init(&rec, 1u << 20);
	extract(LS "logfiles/extract.base", LS "logsignatures/"
	    "extract.base.logsig", &r1, 1, &text, &rec);
	if (proof_cases[_i].sig != NULL) {
		snprintf(rel, sizeof(rel), LS "logsignatures/%s.excerpt.logsig",
		    proof_cases[_i].sig);
		sig = kts_test_vector(rel, &sn);
		/*
		 * One corrupted element: everything else is our bytes.  A
		 * changed hash or direction keeps the length; a changed
		 * correction may add or drop its element.
		 */
		same_chain(sig, sn, rec.p, rec.len,
		    strstr(rel, "correction") == NULL);
	}
	snprintf(rel, sizeof(rel), LS "logfiles/%s", proof_cases[_i].text);
	t = kts_test_vector(rel, &tn);
	verify_excerpt_buf(sig != NULL ? sig : rec.p, sig != NULL ? sn :
	    rec.len, t, tn, &res);
	ck_assert_msg(res.what == proof_cases[_i].what, "%s: %s (%s)",
	    proof_cases[_i].sig, kts_ls_what_str(res.what), res.detail);
	ck_assert_int_eq(res.status, proof_cases[_i].what == KTS_LSW_NONE ?
	    KTS_LS_OK : KTS_LS_FAILED);
	ck_assert_uint_eq(res.line, proof_cases[_i].line);
	free(t);
	free(sig);
	kts_wr_free(&text);
	kts_wr_free(&rec);
}
END_TEST

static const struct {
	const char *text;
	const char *sig;
	enum kts_ls_status st;
} excerpt_cases[] = {
	{ "excerpt/log-ok.excerpt", "excerpt/log-ok.excerpt.logsig",
	    KTS_LS_OK },
	{ "excerpt/diff-client-id.excerpt",
	    "excerpt/diff-client-id.excerpt.logsig", KTS_LS_OK },
	{ "log_rec_time/log-line-embedded-date-changed.excerpt",
	    "log_rec_time/log-line-embedded-date-changed.excerpt.logsig",
	    KTS_LS_FAILED },
};

START_TEST(test_excerpt_vectors)
{
	struct kts_ls_vres res;
	char rel[256];
	uint8_t *sig;
	uint8_t *t;
	size_t sn;
	size_t tn;

	snprintf(rel, sizeof(rel), LS "%s", excerpt_cases[_i].sig);
	sig = kts_test_vector(rel, &sn);
	snprintf(rel, sizeof(rel), LS "%s", excerpt_cases[_i].text);
	t = kts_test_vector(rel, &tn);
	verify_excerpt_buf(sig, sn, t, tn, &res);
	ck_assert_msg(res.status == excerpt_cases[_i].st, "%s: %s (%s)",
	    excerpt_cases[_i].sig, kts_ls_what_str(res.what), res.detail);
	if (res.status == KTS_LS_FAILED) {
		ck_assert_int_eq(res.what, KTS_LSW_RECORD_CHANGED);
		ck_assert_uint_eq(res.line, 1);
	} else
		ck_assert_uint_eq(res.blocks, 2);
	free(sig);
	free(t);
}
END_TEST

/* Every record of blocks of 1..40 records: chain reaches the root. */
START_TEST(test_proof_shapes)
{
	struct kts_imprint recs[40];
	uint8_t meta[40];
	struct kts_ls_blk b;
	struct kts_imprint root;
	struct kts_imprint got;
	struct kts_ls_chain *c;
	uint8_t seed[4] = { 1, 2, 3, 4 };
	uint8_t rb[KTS_IMPRINT_MAX];
	uint64_t n = (uint64_t)_i + 1;
	uint64_t i;
	unsigned level;
	unsigned h;

	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(kts_ls_blk_init(&b, KTS_HASH_SHA256, NULL, 0), 0);
	ck_assert_int_eq(kts_ls_blk_seed(&b, seed, 4), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, &i, sizeof(i),
		    &recs[i]), 0);
		meta[i] = i + 1 == n && n % 3 == 0;
		kts_imprint_bytes(&recs[i], rb);
		ck_assert_int_eq(kts_ls_blk_add_hash(&b, rb, meta[i]), 0);
	}
	ck_assert_int_eq(kts_ls_blk_close(&b, NULL, &root, &level), 0);
	for (i = 0; i < n; i++) {
		struct kts_imprint zero;

		kts_imprint_zero(KTS_HASH_SHA256, &zero);
		ck_assert_int_eq(kts_ls_proof(&zero, seed, 4, recs, meta, n, i,
		    c), 0);
		ck_assert_int_eq(kts_ls_chain_eval(c, &got, &h), 0);
		ck_assert(kts_imprint_eq(&got, &root));
		ck_assert_uint_eq(h, level);
		ck_assert_int_eq(c->steps[0].dir, meta[i] ?
		    KTS_LS_STEP_LEFT : KTS_LS_STEP_RIGHT);
	}
	ck_assert_int_eq(kts_ls_proof(&root, seed, 4, recs, meta, n, n, c),
	    KTS_EINVAL);
	free(c);
}
END_TEST

/*
 * Tampering (spec 2.7): a 23-line log in blocks of 5, signed with every
 * keep mode; each edit of the log is found with the right what, block
 * and line.
 */
#define TL 23
static const unsigned keeps[] = {
	KTS_LS_KEEP_REC | KTS_LS_KEEP_TREE | KTS_LS_KEEP_FINAL,
	KTS_LS_KEEP_TREE,
	0,
};

enum edit { CHANGE, DELETE, INSERT, SWAP, TRUNC, APPEND };

/* The log with line k (1-based) edited, into wr. */
static void
make_log(struct kts_wr *wr, enum edit ed, int k)
{
	char line[64];
	int i;
	int n;

	for (i = 1; i <= TL; i++) {
		int j = i;

		if (ed == TRUNC && i > k)
			break;
		if (ed == DELETE && i == k)
			continue;
		if (ed == INSERT && i == k) {
			ck_assert_int_eq(kts_wr_put(wr, "inserted\n", 9), 0);
		}
		if (ed == SWAP && (i == k || i == k + 1))
			j = i == k ? k + 1 : k;
		n = snprintf(line, sizeof(line), "%s line %02d of the log\n",
		    ed == CHANGE && i == k ? "Changed" : "An access", j);
		ck_assert_int_eq(kts_wr_put(wr, line, (size_t)n), 0);
	}
	if (ed == APPEND)
		ck_assert_int_eq(kts_wr_put(wr, "one more\n", 9), 0);
}

/* The LOGSIG12 of the untouched log with keep flags. */
static void
make_sig(struct kts_wr *sig, unsigned keep)
{
	struct kts_ls_lines lr;
	struct kts_wr log;
	struct cfg c;
	struct made m;
	uint8_t seed[32];

	memset(seed, 0x5a, sizeof(seed));
	c.seed = seed;
	c.seed_file_len = c.seed_len = 32;
	c.blk = 5;
	c.keep = keep;
	kts_wr_init(&log, 4096);
	make_log(&log, CHANGE, 0);
	kts_wr_init(sig, 1u << 20);
	ck_assert_int_eq(kts_ls_lines_mem(&lr, log.p, log.len), 0);
	create_lr(&lr, &c, KTS_HASH_SHA256, NULL, sig, &m);
	ck_assert_uint_eq(m.blocks, 5);
	kts_ls_lines_free(&lr);
	kts_wr_free(&log);
}

static void
verify_log(const struct kts_wr *sig, const struct kts_wr *log,
    struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;

	ck_assert_int_eq(kts_ls_lines_mem(&lr, log->p, log->len), 0);
	ck_assert_int_eq(kts_ls_verify(sig->p, sig->len, &lr, NULL, res), 0);
	kts_ls_lines_free(&lr);
}

/* Expected result of edit ed at line k with keep mode km. */
static void
expect(enum edit ed, int k, size_t km, enum kts_ls_what *w, uint64_t *line,
    uint64_t *blk)
{
	*blk = (uint64_t)(k - 1) / 5 + 1;
	*line = (uint64_t)k;
	*w = km == 2 ? KTS_LSW_ROOT : KTS_LSW_RECORD_CHANGED;
	if (km == 2)
		*line = 0;
	/* Without hashes a line deleted from the last block is missed
	 * only when the log runs out. */
	if (km == 2 && ed == DELETE && k > 20) {
		*w = KTS_LSW_RECORD_MISSING;
		*line = TL;
	}
	if (ed == TRUNC || (ed == DELETE && k == TL)) {
		*w = KTS_LSW_RECORD_MISSING;
		*line = (uint64_t)(ed == TRUNC ? k + 1 : k);
		*blk = (*line - 1) / 5 + 1;
	}
	if (ed == APPEND) {
		*w = KTS_LSW_EXTRA_RECORD;
		*line = TL + 1;
		*blk = 0;
	}
}

START_TEST(test_tamper)
{
	static const enum edit eds[] = { CHANGE, DELETE, INSERT, SWAP, TRUNC,
	    APPEND };
	size_t km = (size_t)_i;
	struct kts_ls_vres res;
	struct kts_wr sig;
	struct kts_wr log;
	enum kts_ls_what w;
	uint64_t line;
	uint64_t blk;
	size_t e;
	int k;

	make_sig(&sig, keeps[km]);
	kts_wr_init(&log, 4096);
	make_log(&log, CHANGE, 0);
	verify_log(&sig, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_INCONCLUSIVE);
	ck_assert_uint_eq(res.lines, TL);
	kts_wr_free(&log);
	for (e = 0; e < KTS_N_ELEMS(eds); e++) {
		for (k = 1; k <= TL; k++) {
			if ((eds[e] == SWAP || eds[e] == TRUNC) && k == TL)
				continue;
			kts_wr_init(&log, 4096);
			make_log(&log, eds[e], k);
			verify_log(&sig, &log, &res);
			expect(eds[e], k, km, &w, &line, &blk);
			ck_assert_msg(res.status == KTS_LS_FAILED &&
			    res.what == w && res.line == line &&
			    res.block == blk, "keep %zu edit %zu line %d: %s "
			    "(%s) line %llu block %llu", km, e, k,
			    kts_ls_what_str(res.what), res.detail,
			    (unsigned long long)res.line,
			    (unsigned long long)res.block);
			kts_wr_free(&log);
		}
	}
	kts_wr_free(&sig);
}
END_TEST

/* Header offsets of TLVs at every nesting level of a logsig file. */
static void
mark_hdrs(const uint8_t *base, const uint8_t *p, size_t n, uint16_t parent,
    uint8_t *is_hdr)
{
	struct kts_rd rd;
	struct kts_tlv t;

	kts_rd_init(&rd, p, n);
	while (kts_rd_left(&rd) > 0 && kts_tlv_read(&rd, &t) == 0) {
		is_hdr[t.hdr - base] = 1;
		if ((parent == 0 && (t.tag == KTS_LS_HDR ||
		    t.tag == KTS_LS_BSIG || t.tag == KTS_LS_META)) ||
		    ((parent == KTS_LS_BSIG || parent == KTS_LS_META) &&
		    t.tag == 0x02))
			mark_hdrs(base, t.val, t.len, t.tag, is_hdr);
	}
}

/* Every prefix of our file fails; every bit flip fails but N/F flags. */
START_TEST(test_own_file_damage)
{
	struct kts_ls_vres res;
	struct kts_wr sig;
	struct kts_wr log;
	struct kts_wr cut;
	uint8_t *is_hdr;
	size_t i;
	int bit;

	make_sig(&sig, keeps[0]);
	kts_wr_init(&log, 4096);
	make_log(&log, CHANGE, 0);
	for (i = 0; i < sig.len; i++) {
		cut = sig;
		cut.len = i;
		verify_log(&cut, &log, &res);
		ck_assert_msg(res.status == KTS_LS_FAILED, "prefix %zu", i);
	}
	is_hdr = calloc(1, sig.len);
	ck_assert_ptr_nonnull(is_hdr);
	mark_hdrs(sig.p, sig.p + 8, sig.len - 8, 0, is_hdr);
	for (i = 0; i < sig.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			uint8_t m = (uint8_t)(1u << bit);

			if (is_hdr[i] && (m == KTS_TLV_N || m == KTS_TLV_F))
				continue;
			sig.p[i] ^= m;
			verify_log(&sig, &log, &res);
			sig.p[i] ^= m;
			ck_assert_msg(res.status == KTS_LS_FAILED,
			    "byte %zu bit %d: %s", i, bit,
			    kts_ls_what_str(res.what));
		}
	}
	free(is_hdr);
	kts_wr_free(&log);
	kts_wr_free(&sig);
}
END_TEST

/* Signature bytes (0x905 values) of a vector, where flips may pass. */
static void
mark_sigs(const uint8_t *p, size_t n, uint8_t *in_sig)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;

	ck_assert_int_eq(kts_ls_reader_init(&rd, p, n), 0);
	while (kts_ls_next(&rd, &e) == 0 && e.tag != 0)
		if (e.tag == KTS_LS_BSIG && e.u.bsig.kind == KTS_LS_SIG_KSI)
			memset(in_sig + (e.u.bsig.sig - p), 1, e.u.bsig.sig_len);
}

START_TEST(test_vector_damage)
{
	struct kts_ls_vres res;
	struct kts_wr sig;
	struct kts_wr log;
	uint8_t *in_sig;
	uint8_t *is_hdr;
	size_t i;
	int bit;

	sig.p = kts_test_vector(LS CV "log-ok.logsig", &sig.len);
	log.p = kts_test_vector(LS CV "log", &log.len);
	verify_log(&sig, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_OK);
	for (i = 0; i < sig.len; i++) {
		struct kts_wr cut = sig;

		cut.len = i;
		verify_log(&cut, &log, &res);
		/* Cut after block 3 (all lines used): only the missing
		 * closing metarecord tells (spec 2.7). */
		ck_assert_msg(res.status == KTS_LS_FAILED ||
		    (res.no_close_meta && res.blocks == 3), "prefix %zu", i);
	}
	in_sig = calloc(1, sig.len);
	is_hdr = calloc(1, sig.len);
	ck_assert(in_sig != NULL && is_hdr != NULL);
	mark_sigs(sig.p, sig.len, in_sig);
	mark_hdrs(sig.p, sig.p + 8, sig.len - 8, 0, is_hdr);
	for (i = 0; i < sig.len; i++) {
		for (bit = 0; bit < 8; bit++) {
			uint8_t m = (uint8_t)(1u << bit);

			sig.p[i] ^= m;
			verify_log(&sig, &log, &res);
			sig.p[i] ^= m;
			if (in_sig[i] || (is_hdr[i] && (m == KTS_TLV_N ||
			    m == KTS_TLV_F)))
				continue;	/* ran without crashing */
			ck_assert_msg(res.status == KTS_LS_FAILED,
			    "byte %zu bit %d", i, bit);
		}
	}
	free(in_sig);
	free(is_hdr);
	free(sig.p);
	free(log.p);
}
END_TEST

/* The reader on every prefix of each kind of file: an error, no crash. */
START_TEST(test_reader_truncation)
{
	static const char *files[] = {
		CV "log-ok.logsig", "excerpt/log-ok.excerpt.logsig",
		"logsignatures/signed.logsig.parts/blocks.dat",
		"logsignatures/signed.logsig.parts/block-signatures.dat",
	};
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	char rel[256];
	uint8_t *p;
	size_t n;
	size_t i;
	int r;

	snprintf(rel, sizeof(rel), LS "%s", files[_i]);
	p = kts_test_vector(rel, &n);
	for (i = 0; i < n; i++) {
		uint8_t *c = kts_test_dup(p, i);
		size_t last = 0;

		r = kts_ls_reader_init(&rd, c, i);
		while (r == 0 && (r = kts_ls_next(&rd, &e)) == 0 && e.tag != 0)
			last = e.off + e.raw_len;
		/* A prefix parses only if it ends between elements. */
		if (r == 0)
			ck_assert_uint_eq(last > 0 ? last : 8, i);
		else
			ck_assert(rd.err.what != NULL);
		free(c);
	}
	free(p);
}
END_TEST

/* Per-block facts through the block callback (for --json, proofs). */
struct seen {
	struct kts_ls_binfo b[8];
	size_t n;
	unsigned levels[8];
	size_t n_sig;
	int verdict;		/* what the fake policy answers */
};

static void
on_block(void *arg, const struct kts_ls_binfo *bi)
{
	struct seen *s = arg;

	if (s->n < KTS_N_ELEMS(s->b))
		s->b[s->n++] = *bi;
}

static int
fake_policy(void *arg, const struct kts_sig *sig,
    const struct kts_imprint *doc, unsigned level, struct kts_vresult *res)
{
	struct seen *s = arg;

	ck_assert(kts_imprint_eq(doc, kts_sig_doc_hash(sig)));
	if (s->n_sig < KTS_N_ELEMS(s->levels))
		s->levels[s->n_sig++] = level;
	memset(res, 0, sizeof(*res));
	res->verdict = s->n_sig == 2 ? (enum kts_verdict)s->verdict : KTS_V_OK;
	res->code = res->verdict == KTS_V_FAIL ? KTS_VC_INT_1 : 0;
	res->detail = "fake";
	return 0;
}

static void
verify_seen(struct seen *s, struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;
	struct kts_ls_vopts o;
	uint8_t *sig;
	size_t n;
	int fd = open_vec(LS CV "log");

	sig = kts_test_vector(LS CV "log-ok.logsig", &n);
	memset(&o, 0, sizeof(o));
	o.block_fn = on_block;
	o.block_arg = s;
	o.sig_fn = fake_policy;
	o.sig_arg = s;
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(sig, n, &lr, &o, res), 0);
	kts_ls_lines_free(&lr);
	close(fd);
	free(sig);
}

START_TEST(test_callbacks)
{
	static const uint64_t lines[4][3] = {
		{ 3, 1, 3 }, { 3, 4, 6 }, { 3, 7, 9 }, { 1, 0, 0 },
	};
	struct kts_ls_vres res;
	struct seen s;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.verdict = KTS_V_OK;
	verify_seen(&s, &res);
	ck_assert_int_eq(res.status, KTS_LS_OK);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_uint_eq(res.lines, 9);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(s.b[i].block, i + 1);
		ck_assert_uint_eq(s.b[i].records, lines[i][0]);
		ck_assert_uint_eq(s.b[i].first_line, lines[i][1]);
		ck_assert_uint_eq(s.b[i].last_line, lines[i][2]);
		ck_assert_int_eq(s.b[i].kind, KTS_LS_SIG_KSI);
		ck_assert_int_eq(s.b[i].status, KTS_LS_OK);
		ck_assert(s.b[i].has_root && s.b[i].has_output);
		ck_assert_uint_eq(s.levels[i], kts_ls_level(lines[i][0]));
		ck_assert_uint_gt(s.b[i].sig_time, 1500000000);
		if (i > 0)
			ck_assert_uint_ge(s.b[i].sig_time, s.b[i - 1].sig_time);
	}
	ck_assert(kts_imprint_eq(&res.output, &s.b[3].output));
	ck_assert_uint_eq(res.last_time, s.b[3].sig_time);
	ck_assert_int_eq(res.no_close_meta, 0);
	/* The policy decides: FAIL fails, NA is inconclusive. */
	memset(&s, 0, sizeof(s));
	s.verdict = KTS_V_FAIL;
	verify_seen(&s, &res);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_SIG_FAILED);
	ck_assert_int_eq(res.code, KTS_VC_INT_1);
	ck_assert_uint_eq(res.block, 2);
	ck_assert_int_eq(s.b[1].status, KTS_LS_FAILED);
	memset(&s, 0, sizeof(s));
	s.verdict = KTS_V_NA;
	verify_seen(&s, &res);
	ck_assert_int_eq(res.status, KTS_LS_INCONCLUSIVE);
	ck_assert_int_eq(res.what, KTS_LSW_SIG_NA);
	ck_assert_uint_eq(s.n, 4);
}
END_TEST

/*
 * Pre-2017 rsyslog requested one level less (spec 2.6): correction 2 on
 * 3-record blocks.  Rejected by default, accepted with the flag.
 */
START_TEST(test_legacy_level)
{
	struct kts_ls_vopts o;
	struct kts_ls_vres res;
	uint8_t *p;
	size_t n;

	p = kts_test_vector(LS "logsignatures/synchronous.logsig", &n);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(kts_ls_verify(p, n, NULL, &o, &res), 0);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_LEVEL);
	ck_assert_uint_eq(res.block, 1);
	o.flags = KTS_LS_V_LEGACY_LEVEL;
	ck_assert_int_eq(kts_ls_verify(p, n, NULL, &o, &res), 0);
	ck_assert_msg(res.status == KTS_LS_OK, "%s (%s)",
	    kts_ls_what_str(res.what), res.detail);
	ck_assert_uint_eq(res.blocks, 4);
	free(p);
}
END_TEST

/* Fail allocation #N: KTS_ENOMEM, or the normal verdict once past. */
START_TEST(test_failalloc)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	uint8_t *sig;
	uint8_t *log;
	size_t sn;
	size_t ln;
	long i;
	int r;

	sig = kts_test_vector(LS CV "log-ok.logsig", &sn);
	log = kts_test_vector(LS CV "log", &ln);
	for (i = 1; i < 10000; i++) {
		ck_assert_int_eq(kts_ls_lines_mem(&lr, log, ln), 0);
		fail_alloc(i);
		r = kts_ls_verify(sig, sn, &lr, NULL, &res);
		fail_alloc(0);
		kts_ls_lines_free(&lr);
		if (r == KTS_ENOMEM)
			continue;
		ck_assert_int_eq(r, 0);
		ck_assert_msg(res.status == KTS_LS_OK, "allocation %ld: %s "
		    "(%s)", i, kts_ls_what_str(res.what), res.detail);
		break;
	}
	ck_assert_int_gt(i, 4);		/* some allocations were failed */
	ck_assert_int_lt(i, 10000);
	free(sig);
	free(log);
}
END_TEST

/*
 * The CLI's publication-based policy through the hook: extended blocks
 * verify against logksi's dummy publications file (parsed here; its CMS
 * check is the CLI's business); unextended ones are inconclusive.
 */
static int
pub_policy(void *arg, const struct kts_sig *sig,
    const struct kts_imprint *doc, unsigned level, struct kts_vresult *res)
{
	struct kts_vctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_hash = doc;
	ctx.level = level;
	ctx.pubfile = arg;
	return kts_verify(sig, KTS_POL_PUBFILE, &ctx, res);
}

START_TEST(test_pubfile_policy)
{
	static const struct {
		const char *name;
		enum kts_ls_status st;
	} t[] = {
		{ "extended", KTS_LS_OK },
		{ "signed", KTS_LS_INCONCLUSIVE },
	};
	struct kts_pubfile *pf = NULL;
	struct kts_ls_lines lr;
	struct kts_ls_vopts o;
	struct kts_ls_vres res;
	char rel[256];
	uint8_t *p;
	size_t n;
	size_t i;
	int fd;

	p = kts_test_vector(LS "publication/dummy-publications.bin", &n);
	ck_assert_int_eq(kts_pubfile_parse(p, n, &pf, NULL), 0);
	free(p);
	memset(&o, 0, sizeof(o));
	o.sig_fn = pub_policy;
	o.sig_arg = pf;
	for (i = 0; i < KTS_N_ELEMS(t); i++) {
		snprintf(rel, sizeof(rel), LS "logs_and_signatures/%s.logsig",
		    t[i].name);
		p = kts_test_vector(rel, &n);
		snprintf(rel, sizeof(rel), LS "logs_and_signatures/%s",
		    t[i].name);
		fd = open_vec(rel);
		ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
		ck_assert_int_eq(kts_ls_verify(p, n, &lr, &o, &res), 0);
		ck_assert_msg(res.status == t[i].st, "%s: %s (%s)", t[i].name,
		    kts_ls_what_str(res.what), res.detail);
		kts_ls_lines_free(&lr);
		close(fd);
		free(p);
	}
	kts_pubfile_free(pf);
}
END_TEST

/* Format errors name the offset, the tag and what is missing. */
static const struct {
	const char *sig;
	size_t off;
	uint32_t tag;
	const char *detail;
} fmt_cases[] = {
	{ CV "log-missing-tlv-901.01.logsig", 8, KTS_LS_HDR,
	    "missing hash algorithm (01)" },
	{ CV "log-missing-tlv-904.905.logsig", 0, KTS_LS_BSIG,
	    "missing signature (0x905, 02 or 0x906)" },
	{ CV "log-missing-tlv-911.02.logsig", 0, KTS_LS_META,
	    "missing metarecord key/value pair (02)" },
	{ CV "log-unknown-tlv-904.905.666.logsig", 0, KTS_LS_KSI, NULL },
};

START_TEST(test_format_errors)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	char rel[256];
	uint8_t *p;
	size_t n;
	int fd = open_vec(LS CV "log");

	snprintf(rel, sizeof(rel), LS "%s", fmt_cases[_i].sig);
	p = kts_test_vector(rel, &n);
	ck_assert_int_eq(kts_ls_lines_fd(&lr, fd), 0);
	ck_assert_int_eq(kts_ls_verify(p, n, &lr, NULL, &res), 0);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_FORMAT);
	ck_assert_ptr_nonnull(res.detail);
	ck_assert_uint_gt(res.off, 0);
	ck_assert_uint_lt(res.off, n);
	if (fmt_cases[_i].off != 0)
		ck_assert_uint_eq(res.off, fmt_cases[_i].off);
	if (fmt_cases[_i].tag != 0)
		ck_assert_uint_eq(res.tag, fmt_cases[_i].tag);
	if (fmt_cases[_i].detail != NULL)
		ck_assert_str_eq(res.detail, fmt_cases[_i].detail);
	printf("%s: offset %zu: tag 0x%x: %s\n", fmt_cases[_i].sig, res.off,
	    (unsigned)res.tag, res.detail);
	kts_ls_lines_free(&lr);
	close(fd);
	free(p);
}
END_TEST

/*
 * Unknown elements (STYLE.md 9, spec 7.11): a non-critical one is
 * skipped at the top and inside a header, a critical one is an error
 * naming its offset and tag.
 */
static void
insert_at(const struct kts_wr *src, size_t at, const char *hex_el,
    struct kts_wr *dst)
{
	uint8_t *el;
	size_t n;

	el = kts_test_hex(hex_el, &n);
	kts_wr_init(dst, 1u << 20);
	ck_assert_int_eq(kts_wr_put(dst, src->p, at), 0);
	ck_assert_int_eq(kts_wr_put(dst, el, n), 0);
	ck_assert_int_eq(kts_wr_put(dst, src->p + at, src->len - at), 0);
	free(el);
}

START_TEST(test_unknown_elements)
{
	struct kts_ls_vres res;
	struct kts_wr sig;
	struct kts_wr log;
	struct kts_wr bad;
	size_t hdr_val;

	make_sig(&sig, keeps[0]);
	kts_wr_init(&log, 4096);
	make_log(&log, CHANGE, 0);
	/* Before the first header: 0x9ff non-critical, then critical. */
	insert_at(&sig, 8, "c9ff0001aa", &bad);
	verify_log(&bad, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_INCONCLUSIVE);
	kts_wr_free(&bad);
	insert_at(&sig, 8, "89ff0001aa", &bad);
	verify_log(&bad, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_FORMAT);
	ck_assert_uint_eq(res.off, 8);
	ck_assert_uint_eq(res.tag, 0x9ff);
	kts_wr_free(&bad);
	/* Inside the first header (value at 12): 0x1e, with and without N;
	 * the header's length grows by 3. */
	hdr_val = 12;
	insert_at(&sig, hdr_val, "5e01aa", &bad);
	bad.p[11] += 3;
	verify_log(&bad, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_INCONCLUSIVE);
	bad.p[hdr_val] = 0x1e;
	verify_log(&bad, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_FORMAT);
	ck_assert_uint_eq(res.off, hdr_val);
	ck_assert_uint_eq(res.tag, 0x1e);
	kts_wr_free(&bad);
	kts_wr_free(&log);
	kts_wr_free(&sig);
}
END_TEST

/* A log streamed through a pipe (FILE *): logksi's gunzip-to-stdin case. */
START_TEST(test_gzip_pipe)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	char path[4096];
	char cmd[4200];
	uint8_t *sig;
	size_t n;
	FILE *fp;

	kts_test_vector_path(LS "logfiles/secure.gz", path, sizeof(path));
	ck_assert(strchr(path, '\'') == NULL);
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	sig = kts_test_vector(LS "logsignatures/secure.logsig", &n);
	ck_assert_int_eq(kts_ls_lines_fp(&lr, fp), 0);
	ck_assert_int_eq(kts_ls_verify(sig, n, &lr, NULL, &res), 0);
	ck_assert_msg(res.status == KTS_LS_OK, "%s (%s) line %llu",
	    kts_ls_what_str(res.what), res.detail,
	    (unsigned long long)res.line);
	ck_assert_uint_gt(res.lines, 0);
	kts_ls_lines_free(&lr);
	ck_assert_int_eq(pclose(fp), 0);
	free(sig);
}
END_TEST

/* A log line over 1 MiB stops verification at that line. */
START_TEST(test_verify_long_line)
{
	struct kts_ls_vres res;
	struct kts_wr sig;
	struct kts_wr log;
	size_t first;

	make_sig(&sig, keeps[0]);
	kts_wr_init(&log, 4u << 20);
	make_log(&log, CHANGE, 0);
	first = (size_t)((const uint8_t *)memchr(log.p, '\n', log.len) -
	    log.p) + 1;
	log.len = first;
	ck_assert_int_eq(kts_wr_insert(&log, first, KTS_LS_MAX_LINE + 1), 0);
	memset(log.p + first, 'x', KTS_LS_MAX_LINE + 1);
	ck_assert_int_eq(kts_wr_u8(&log, '\n'), 0);
	verify_log(&sig, &log, &res);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	ck_assert_int_eq(res.what, KTS_LSW_LINE_TOO_LONG);
	ck_assert_uint_eq(res.line, 2);
	ck_assert_uint_eq(res.block, 1);
	kts_wr_free(&log);
	kts_wr_free(&sig);
}
END_TEST

/*
 * integrate --recover (spec 6): damage after the first block keeps the
 * blocks before it, which verify against the log cut to their lines;
 * damage in the first block leaves nothing.
 */
static const struct {
	const char *dir;
	int first;		/* the first block is damaged */
} recover_cases[] = {
	{ "recover-first-block-tlv-corrupted", 1 },
	{ "recover-first-block-sig-tlv-corrupted", 1 },
	{ "recover-second-block-tlv-corrupted", 0 },
	{ "recover-second-block-sig-tlv-corrupted", 0 },
	{ "recover-last-block-tlv-corrupted", 0 },
	{ "recover-last-block-sig-tlv-corrupted", 0 },
};

START_TEST(test_recover)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;
	struct kts_ls_vres vr;
	struct kts_wr out;
	char dir[256];
	uint8_t *log;
	size_t n;
	size_t cut = 0;
	uint64_t k;

	snprintf(dir, sizeof(dir), "../recover_logsig_parts/%s.logsig.parts",
	    recover_cases[_i].dir);
	integrate_f(dir, 0, &out, &res);
	ck_assert_int_eq(res.status, KTS_LS_FAILED);
	kts_wr_free(&out);
	integrate_f(dir, 1, &out, &res);
	if (recover_cases[_i].first) {
		ck_assert_int_eq(res.status, KTS_LS_FAILED);
		ck_assert_int_eq(res.recovered, 0);
		kts_wr_free(&out);
		return;
	}
	ck_assert_msg(res.status == KTS_LS_INCONCLUSIVE && res.recovered,
	    "%s: %d %s (%s)", dir, res.status, kts_ls_what_str(res.what),
	    res.detail);
	ck_assert_uint_ge(res.blocks, 1);
	log = kts_test_vector(LS "recover_logsig_parts/logfile", &n);
	for (k = 0; k < res.lines; k++)
		cut += (size_t)((const uint8_t *)memchr(log + cut, '\n',
		    n - cut) - (log + cut)) + 1;
	ck_assert_int_eq(kts_ls_lines_mem(&lr, log, cut), 0);
	ck_assert_int_eq(kts_ls_verify(out.p, out.len, &lr, NULL, &vr), 0);
	ck_assert_msg(vr.status == KTS_LS_OK, "%s: %s (%s)", dir,
	    kts_ls_what_str(vr.what), vr.detail);
	ck_assert_uint_eq(vr.blocks, res.blocks);
	kts_ls_lines_free(&lr);
	kts_wr_free(&out);
	free(log);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("logsig");
	TCase *tc;
	SRunner *sr;
	int failed;

	tc = tcase_create("hash");
	tcase_add_test(tc, test_worked_example);
	tcase_add_test(tc, test_level);
	tcase_add_loop_test(tc, test_magic, 0, KTS_N_ELEMS(magic_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("lines");
	tcase_add_loop_test(tc, test_lines, 0, KTS_N_ELEMS(line_cases));
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_lines_sources);
	suite_add_tcase(s, tc);
	tc = tcase_create("create");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_create_vectors, 0,
	    KTS_N_ELEMS(create_cases));
	tcase_add_test(tc, test_create_empty);
	tcase_add_test(tc, test_create_signed_sha512);
	suite_add_tcase(s, tc);
	tc = tcase_create("verify");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_verify_vectors, 0, KTS_N_ELEMS(vcases));
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_interlink);
	tcase_add_loop_test(tc, test_state, 0, KTS_N_ELEMS(state_cases));
	tcase_add_test(tc, test_state_truncation);
	tcase_add_loop_test(tc, test_parts, 0, KTS_N_ELEMS(parts_cases));
	tcase_add_loop_test(tc, test_treehash_matrix, 0, 48);
	tcase_add_loop_test(tc, test_recover, 0, KTS_N_ELEMS(recover_cases));
	tcase_add_test(tc, test_legacy);
	suite_add_tcase(s, tc);
	tc = tcase_create("proofs");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_extract, 0, KTS_N_ELEMS(extract_cases));
	tcase_add_loop_test(tc, test_proofs_vectors, 0,
	    KTS_N_ELEMS(proof_cases));
	tcase_add_loop_test(tc, test_excerpt_vectors, 0,
	    KTS_N_ELEMS(excerpt_cases));
	tcase_add_loop_test(tc, test_proof_shapes, 0, 40);
	suite_add_tcase(s, tc);
	tc = tcase_create("damage");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_tamper, 0, KTS_N_ELEMS(keeps));
	tcase_add_test(tc, test_own_file_damage);
	tcase_add_test(tc, test_vector_damage);
	tcase_add_loop_test(tc, test_reader_truncation, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_callbacks);
	tcase_add_test(tc, test_legacy_level);
	tcase_add_test(tc, test_failalloc);
	tcase_add_test(tc, test_pubfile_policy);
	tcase_add_test(tc, test_unknown_elements);
	tcase_add_test(tc, test_gzip_pipe);
	tcase_add_test(tc, test_verify_long_line);
	tcase_add_loop_test(tc, test_format_errors, 0,
	    KTS_N_ELEMS(fmt_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
