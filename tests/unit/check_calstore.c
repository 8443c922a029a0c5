/*
 * check_calstore.c - unit tests for lib/calstore.c, the calendar in
 * LevelDB (KSI spec 5.1, 5.3, 5.4, 3.6).
 *
 * Each test builds a store in a mkdtemp folder and keeps a model of it: an
 * array of the leaves from the start second on, gap fillers included.  The
 * model's roots come from a brute force of the spec 5.1 recursion over
 * leaves 0..P, with pre-start leaves = the zero imprint; the only shortcut
 * is that a perfect block wholly before the start is Z_j (memoised filler
 * roots, computed by repeated hashing here, independently of the store).
 * Every chain the store writes must parse, give A by its shape (spec 5.3),
 * and compute to the brute-force root; kts_cal_root must equal it too.
 *
 * Damage is made by hand through the LevelDB API, with the record layout
 * documented at the top of calstore.c ("T" be64(t) level, "head",
 * "meta").
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leveldb/c.h>

#include "calstore.h"
#include "chain.h"
#include "err.h"
#include "hash.h"
#include "limits.h"
#include "sig.h"
#include "tlv.h"
#include "wr.h"
#include "kts_test.h"

/* ---- the model and the brute force ---- */

struct model {
	uint8_t alg;			/* calendar algorithm */
	uint64_t start;			/* first second */
	uint64_t n;			/* leaves from start on */
	uint64_t cap;			/* leaf[] allocated */
	struct kts_imprint *leaf;	/* leaf start + i, owned */
	struct kts_imprint z[64];	/* Z_j, filler block roots */
	uint64_t rng;			/* xorshift state */
};

static uint64_t
rnd(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

/* Spec 5.1 node, written here from the spec, not taken from the store. */
static struct kts_imprint
bf_node(struct kts_imprint l, struct kts_imprint r)
{
	uint8_t a[KTS_IMPRINT_MAX];
	uint8_t b[KTS_IMPRINT_MAX];
	struct kts_imprint out;
	size_t alen = kts_imprint_bytes(&l, a);
	size_t blen = kts_imprint_bytes(&r, b);

	/* Plain ifs in the hot helpers: every ck_assert writes a record. */
	if (kts_hash_step(r.alg, a, alen, b, blen, 0xff, &out) != 0)
		ck_abort_msg("hash step failed");
	return out;
}

static void
model_init(struct model *m, uint8_t alg, uint64_t start, uint64_t seed)
{
	int j;

	memset(m, 0, sizeof(*m));
	m->alg = alg;
	m->start = start;
	m->rng = seed | 1;
	ck_assert_int_eq(kts_imprint_zero(alg, &m->z[0]), 0);
	for (j = 1; j < 64; j++)
		m->z[j] = bf_node(m->z[j - 1], m->z[j - 1]);
}

static void
model_free(struct model *m)
{
	free(m->leaf);
	m->leaf = NULL;
}

/* A random imprint of alg. */
static struct kts_imprint
rnd_leaf(struct model *m, uint8_t alg)
{
	struct kts_imprint im;
	uint64_t v;
	unsigned i;

	if (kts_imprint_zero(alg, &im) != 0)
		ck_abort_msg("algorithm %u", alg);
	for (i = 0; i < im.len; i++) {
		v = rnd(m);
		im.d[i] = (uint8_t)v;
	}
	return im;
}

/* Record in the model that leaf t is im (fillers before it). */
static void
model_put(struct model *m, uint64_t t, struct kts_imprint im)
{
	uint64_t i = t - m->start;

	if (i < m->n)
		ck_abort_msg("model: second %llu again", (unsigned long long)t);
	if (i >= m->cap) {
		m->cap = i + 1 > 2 * m->cap ? i + 1 : 2 * m->cap;
		m->leaf = realloc(m->leaf, (size_t)m->cap * sizeof(*m->leaf));
		if (m->leaf == NULL)
			ck_abort_msg("out of memory");
	}
	for (; m->n < i; m->n++)
		m->leaf[m->n] = m->z[0];
	m->leaf[m->n++] = im;
}

static uint64_t
model_head(const struct model *m)
{
	return m->start + m->n - 1;
}

static struct kts_imprint
bf_leaf(const struct model *m, uint64_t t)
{
	if (t >= m->start + m->n)
		ck_abort_msg("model: no leaf %llu", (unsigned long long)t);
	return t < m->start ? m->z[0] : m->leaf[t - m->start];
}

/* Perfect tree over [lo, lo + 2^j). */
static struct kts_imprint
bf_perfect(const struct model *m, uint64_t lo, unsigned j)
{
	uint64_t half;

	if (lo + ((uint64_t)1 << j) <= m->start)
		return m->z[j];
	if (j == 0)
		return bf_leaf(m, lo);
	half = (uint64_t)1 << (j - 1);
	return bf_node(bf_perfect(m, lo, j - 1), bf_perfect(m, lo + half,
	    j - 1));
}

/* Spec 5.1: the tree over [lo, lo + r]. */
static struct kts_imprint
bf_tree(const struct model *m, uint64_t lo, uint64_t r)
{
	uint64_t h;

	if (r == 0)
		return bf_leaf(m, lo);
	h = kts_highbit(r);
	return bf_node(bf_perfect(m, lo, (unsigned)__builtin_ctzll(h)),
	    bf_tree(m, lo + h, r - h));
}

static struct kts_imprint
bf_root(const struct model *m, uint64_t p)
{
	return bf_tree(m, 0, p);
}

/* ---- store helpers ---- */

static struct kts_cal *
open_ok(const char *dir, int create, uint64_t start, uint8_t alg)
{
	struct kts_cal *cal = NULL;
	char why[256];
	int r;

	r = kts_cal_open(dir, create, start, alg, &cal, why, sizeof(why));
	ck_assert_msg(r == 0, "open %s: %s (%s)", dir, kts_strerror(r), why);
	return cal;
}

static void
append(struct kts_cal *cal, struct model *m, uint64_t t)
{
	struct kts_imprint im = rnd_leaf(m, m->alg);

	ck_assert_int_eq(kts_cal_append(cal, t, &im), 0);
	model_put(m, t, im);
}

static void
append_many(struct kts_cal *cal, struct model *m, uint64_t t, size_t n)
{
	struct kts_imprint *v = calloc(n, sizeof(*v));
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++)
		v[i] = rnd_leaf(m, m->alg);
	ck_assert_int_eq(kts_cal_append_many(cal, t, v, n), 0);
	for (i = 0; i < n; i++)
		model_put(m, t + i, v[i]);
	free(v);
}

/* The chain (a, p) parses, has A's shape and reaches want. */
static void
check_chain(const struct kts_cal *cal, const struct model *m, uint64_t a,
    uint64_t p, const struct kts_imprint *want)
{
	struct kts_cal_chain c;
	struct kts_imprint got;
	struct kts_wr wr;
	struct kts_tlv t;
	struct kts_pctx pc;
	struct kts_imprint leaf = bf_leaf(m, a);
	uint64_t ta = 0;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_cal_chain(cal, a, p, &wr), 0);
	ck_assert_int_eq(kts_tlv_parse(wr.p, wr.len, &t, NULL), 0);
	ck_assert_uint_eq(t.tag, KTS_TAG_CAL_CHAIN);
	memset(&pc, 0, sizeof(pc));
	pc.base = wr.p;
	ck_assert_int_eq(kts_cal_chain_parse(&t, &c, &pc), 0);
	ck_assert_uint_eq(c.pub_time, p);
	ck_assert_uint_eq(c.aggr_time, a);
	ck_assert(c.has_aggr_time);
	ck_assert(kts_imprint_eq(&c.input, &leaf));
	ck_assert_int_eq(kts_cal_chain_time(&c, &ta), 0);
	ck_assert_msg(ta == a, "chain (%llu, %llu) has the shape of %llu",
	    (unsigned long long)a, (unsigned long long)p,
	    (unsigned long long)ta);
	ck_assert_int_eq(kts_cal_chain_compute(&c, &got), 0);
	ck_assert_msg(kts_imprint_eq(&got, want),
	    "chain (%llu, %llu) reaches a wrong root", (unsigned long long)a,
	    (unsigned long long)p);
	kts_cal_chain_clear(&c);
	kts_wr_free(&wr);
}

static void
check_root(const struct kts_cal *cal, uint64_t p,
    const struct kts_imprint *want)
{
	struct kts_imprint got;

	ck_assert_int_eq(kts_cal_root(cal, p, &got), 0);
	ck_assert_msg(kts_imprint_eq(&got, want), "root at %llu differs",
	    (unsigned long long)p);
}

/* ---- tests ---- */

/* Seconds appended to the small calendar: gaps of 0..15 fillers. */
static const uint64_t small_secs[] = {
	5, 6, 7, 9, 10, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
	28, 29, 30, 31, 33, 47, 48, 50, 63, 64, 65, 66, 80, 81, 95, 96, 97,
	98, 99, 100, 127, 128, 129, 130, 131,
};

START_TEST(test_small_all_pairs)
{
	struct kts_imprint *roots;
	struct kts_imprint want;
	struct kts_imprint im;
	struct kts_cal *cal;
	struct model m;
	uint64_t head;
	uint64_t a;
	uint64_t p;
	size_t i;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 5, 42);
	cal = open_ok(dir, 1, 5, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_cal_head(cal, &head), KTS_ENOTFOUND);
	ck_assert_uint_eq(head, 4);
	for (i = 0; i < KTS_N_ELEMS(small_secs); i++) {
		append(cal, &m, small_secs[i]);
		ck_assert_int_eq(kts_cal_head(cal, &head), 0);
		ck_assert_uint_eq(head, small_secs[i]);
		im = bf_root(&m, head);
		check_root(cal, head, &im);
	}
	roots = calloc(head + 1, sizeof(*roots));
	ck_assert_ptr_nonnull(roots);
	for (p = 0; p <= head; p++) {
		roots[p] = bf_root(&m, p);
		check_root(cal, p, &roots[p]);
		ck_assert_int_eq(kts_cal_leaf(cal, p, &im), 0);
		want = bf_leaf(&m, p);
		ck_assert(kts_imprint_eq(&im, &want));
	}
	for (p = 1; p <= head; p++) {
		for (a = 0; a <= p; a++)
			check_chain(cal, &m, a, p, &roots[p]);
	}
	free(roots);
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/*
 * A few thousand seconds from a start in the middle of a block, with
 * random gaps and bulk batches; random (A, P) pairs, A also far before
 * the start and P also before it.
 */
START_TEST(test_random_pairs)
{
	struct kts_imprint want;
	struct kts_cal *cal;
	struct model m;
	uint64_t start = 1700000005;	/* 0x6553f105: mid-block at all levels */
	uint64_t t = start;
	uint64_t head;
	uint64_t a;
	uint64_t p;
	int i;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, start, 7);
	cal = open_ok(dir, 1, start, KTS_HASH_SHA256);
	while (t < start + 3000) {
		if (rnd(&m) % 8 == 0) {
			append_many(cal, &m, t, 1 + rnd(&m) % 100);
		} else {
			append(cal, &m, t);
		}
		t = model_head(&m) + 1 + rnd(&m) % 6;
	}
	head = model_head(&m);
	for (i = 0; i < 300; i++) {
		p = start - 50 + rnd(&m) % (head - start + 51);
		switch (i % 4) {
		case 0:
			a = rnd(&m) % (p + 1);	/* mostly long before start */
			break;
		case 1:
			a = p;			/* a fresh signature */
			break;
		default:
			a = p - rnd(&m) % (p - start + 100);
			break;
		}
		want = bf_root(&m, p);
		check_chain(cal, &m, a, p, &want);
		check_root(cal, p, &want);
	}
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/* Leaves of another algorithm: each node takes its right child's. */
START_TEST(test_mixed_alg)
{
	struct kts_imprint want;
	struct kts_imprint im;
	struct kts_cal *cal;
	struct model m;
	uint64_t a;
	uint64_t p;
	uint64_t t;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA512, 100, 99);
	cal = open_ok(dir, 1, 100, KTS_HASH_SHA512);
	ck_assert_uint_eq(kts_cal_alg(cal), KTS_HASH_SHA512);
	for (t = 100; t < 160; t += 1 + t % 3) {
		im = rnd_leaf(&m, t % 7 == 0 ? KTS_HASH_SHA256 : KTS_HASH_SHA512);
		ck_assert_int_eq(kts_cal_append(cal, t, &im), 0);
		model_put(&m, t, im);
	}
	for (p = 1; p <= model_head(&m); p += 3) {
		want = bf_root(&m, p);
		check_root(cal, p, &want);
		for (a = 0; a <= p; a += 1 + a / 4)
			check_chain(cal, &m, a, p, &want);
	}
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

START_TEST(test_refused_appends)
{
	struct kts_imprint im;
	struct kts_cal *cal;
	struct model m;
	uint64_t head;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 1000, 3);
	cal = open_ok(dir, 1, 1000, KTS_HASH_SHA256);
	im = rnd_leaf(&m, KTS_HASH_SHA256);
	/* Before the start, and a first gap over the cap. */
	ck_assert_int_eq(kts_cal_append(cal, 999, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_append(cal, 1000 + KTS_MAX_CAL_BATCH, &im),
	    KTS_EINVAL);
	append(cal, &m, 1000);
	append(cal, &m, 1003);
	/* The same second again, an older one. */
	ck_assert_int_eq(kts_cal_append(cal, 1003, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_append(cal, 1001, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_append(cal, 0, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_append_many(cal, 1004, &im, 0), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_append(cal, UINT64_MAX, &im), KTS_EINVAL);
	/* Gap over the cap; a leaf that is not an imprint. */
	ck_assert_int_eq(kts_cal_append(cal, 1004 + KTS_MAX_CAL_BATCH, &im),
	    KTS_EINVAL);
	im.len = 20;
	ck_assert_int_eq(kts_cal_append(cal, 1004, &im), KTS_EINVAL);
	im.alg = 0x03;
	im.len = 32;
	ck_assert_int_eq(kts_cal_append(cal, 1004, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_head(cal, &head), 0);
	ck_assert_uint_eq(head, 1003);
	/* The largest gap allowed. */
	im = rnd_leaf(&m, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_cal_append(cal, 1004 + KTS_MAX_CAL_BATCH - 1,
	    &im), 0);
	ck_assert_int_eq(kts_cal_head(cal, &head), 0);
	ck_assert_uint_eq(head, 1003 + KTS_MAX_CAL_BATCH);
	/* Reads past the head, impossible chains. */
	ck_assert_int_eq(kts_cal_leaf(cal, head + 1, &im), KTS_ENOTFOUND);
	ck_assert_int_eq(kts_cal_root(cal, head + 1, &im), KTS_ENOTFOUND);
	{
		struct kts_wr wr;

		kts_wr_init(&wr, KTS_MAX_PDU);
		ck_assert_int_eq(kts_cal_chain(cal, 10, head + 1, &wr),
		    KTS_ENOTFOUND);
		ck_assert_int_eq(kts_cal_chain(cal, 11, 10, &wr), KTS_EINVAL);
		ck_assert_int_eq(kts_cal_chain(cal, 0, 0, &wr), KTS_EINVAL);
		ck_assert_uint_eq(wr.len, 0);
		kts_wr_init(&wr, 40);	/* too small: nothing half-written */
		ck_assert_int_eq(kts_cal_chain(cal, 1000, 1003, &wr),
		    KTS_ETOOBIG);
		ck_assert_uint_eq(wr.len, 0);
		kts_wr_free(&wr);
	}
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/* A day without requests: one batch of 86,400 fillers. */
START_TEST(test_day_gap)
{
	struct kts_imprint want;
	struct kts_cal *cal;
	struct model m;
	char why[256];
	uint64_t head;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 1500000000, 5);
	cal = open_ok(dir, 1, 1500000000, KTS_HASH_SHA256);
	append(cal, &m, 1500000000);
	append(cal, &m, 1500000000 + 86400 + 7);
	append(cal, &m, 1500000000 + 86400 + 8);
	head = model_head(&m);
	want = bf_root(&m, head);
	check_root(cal, head, &want);
	check_chain(cal, &m, 1500000000, head, &want);
	check_chain(cal, &m, 1500000000 + 40000, head, &want);
	check_chain(cal, &m, head - 1, head, &want);
	kts_cal_close(cal);
	ck_assert_int_eq(kts_cal_check(dir, NULL, NULL, why, sizeof(why)), 0);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/*
 * Over 2^17 seconds: blocks of level 16 and 17, whose roots the store
 * caches, read fresh, then through the cache filled at reopen.
 */
START_TEST(test_upper_levels)
{
	static const uint64_t ps[] = { 140000, 196607, 200999 };
	struct kts_imprint want[3];
	struct kts_cal *cal;
	struct model m;
	uint64_t a;
	size_t i;
	int k;
	int pass;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 1000, 21);
	cal = open_ok(dir, 1, 1000, KTS_HASH_SHA256);
	append_many(cal, &m, 1000, 100000);
	append_many(cal, &m, 101000, 100000);
	for (i = 0; i < KTS_N_ELEMS(ps); i++)
		want[i] = bf_root(&m, ps[i]);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < KTS_N_ELEMS(ps); i++) {
			check_root(cal, ps[i], &want[i]);
			for (k = 0; k < 6; k++) {
				a = k == 0 ? ps[i] : rnd(&m) % (ps[i] + 1);
				check_chain(cal, &m, a, ps[i], &want[i]);
			}
		}
		kts_cal_close(cal);
		cal = open_ok(dir, 0, 0, 0);
	}
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

START_TEST(test_reopen)
{
	struct kts_imprint want;
	struct kts_cal *cal;
	struct kts_wr w1;
	struct kts_wr w2;
	struct model m;
	uint64_t head;
	uint64_t p;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 200, 11);
	cal = open_ok(dir, 1, 200, KTS_HASH_SHA256);
	append_many(cal, &m, 203, 250);
	append(cal, &m, 460);
	kts_wr_init(&w1, KTS_MAX_PDU);
	kts_wr_init(&w2, KTS_MAX_PDU);
	for (p = 1; p <= 460; p += 17)
		ck_assert_int_eq(kts_cal_chain(cal, p / 3, p, &w1), 0);
	kts_cal_close(cal);
	/* Its own start and algorithm win over the arguments. */
	cal = open_ok(dir, 1, 5, KTS_HASH_SHA512);
	ck_assert_uint_eq(kts_cal_start(cal), 200);
	ck_assert_uint_eq(kts_cal_alg(cal), KTS_HASH_SHA256);
	kts_cal_close(cal);
	cal = open_ok(dir, 0, 0, 0);
	ck_assert_int_eq(kts_cal_head(cal, &head), 0);
	ck_assert_uint_eq(head, 460);
	for (p = 1; p <= 460; p += 17)
		ck_assert_int_eq(kts_cal_chain(cal, p / 3, p, &w2), 0);
	ck_assert_uint_eq(w1.len, w2.len);
	ck_assert_mem_eq(w1.p, w2.p, w1.len);
	/* The frontier is rebuilt: appends go on from the old head. */
	append(cal, &m, 470);
	want = bf_root(&m, 470);
	check_root(cal, 470, &want);
	check_chain(cal, &m, 203, 470, &want);
	want = bf_root(&m, 465);
	check_root(cal, 465, &want);
	kts_wr_free(&w1);
	kts_wr_free(&w2);
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/*
 * A reader handle sees the writer's appends made after it opened, reads
 * the same chains and roots, never past the head, and cannot append.
 */
START_TEST(test_reader)
{
	struct kts_imprint want;
	struct kts_imprint im;
	struct kts_cal *cal;
	struct kts_cal *rd = (struct kts_cal *)1;
	struct kts_cal *rd2 = (struct kts_cal *)1;
	struct kts_wr wr;
	struct model m;
	uint64_t head;
	uint64_t p;
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 300, 17);
	cal = open_ok(dir, 1, 300, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_cal_reader_open(cal, &rd), 0);
	ck_assert_uint_eq(kts_cal_start(rd), 300);
	ck_assert_uint_eq(kts_cal_alg(rd), KTS_HASH_SHA256);
	ck_assert_int_eq(kts_cal_head(rd, &head), KTS_ENOTFOUND);
	ck_assert_int_eq(kts_cal_reader_open(rd, &rd2), KTS_EINVAL);
	ck_assert_ptr_null(rd2);
	append_many(cal, &m, 300, 700);
	append(cal, &m, 1030);
	kts_wr_init(&wr, KTS_MAX_PDU);
	for (p = 1; p <= 1030; p += 37) {
		ck_assert_int_eq(kts_cal_head(rd, &head), 0);
		ck_assert_uint_eq(head, 1030);
		want = bf_root(&m, p);
		check_root(rd, p, &want);
		check_chain(rd, &m, p / 2, p, &want);
		check_chain(rd, &m, p, p, &want);
	}
	/* The root at the head from the blocks, not the writer's frontier. */
	want = bf_root(&m, 1030);
	check_root(rd, 1030, &want);
	check_chain(rd, &m, 700, 1030, &want);
	/* Never past the head. */
	ck_assert_int_eq(kts_cal_leaf(rd, 1031, &im), KTS_ENOTFOUND);
	ck_assert_int_eq(kts_cal_root(rd, 1031, &im), KTS_ENOTFOUND);
	ck_assert_int_eq(kts_cal_chain(rd, 5, 1031, &wr), KTS_ENOTFOUND);
	/* A reader does not append; the writer goes on, the reader sees it. */
	im = rnd_leaf(&m, KTS_HASH_SHA256);
	ck_assert_int_eq(kts_cal_append(rd, 1031, &im), KTS_EINVAL);
	ck_assert_int_eq(kts_cal_head(rd, &head), 0);
	ck_assert_uint_eq(head, 1030);
	append(cal, &m, 1031);
	kts_cal_release(rd);	/* dropping the kept iterator changes nothing */
	want = bf_root(&m, 1031);
	check_chain(rd, &m, 1024, 1031, &want);
	append_many(cal, &m, 1040, 30);
	ck_assert_int_eq(kts_cal_head(rd, &head), 0);
	ck_assert_uint_eq(head, 1069);
	want = bf_root(&m, 1069);
	check_root(rd, 1069, &want);
	check_chain(rd, &m, 1031, 1069, &want);
	check_chain(rd, &m, 400, 1069, &want);
	ck_assert_int_eq(kts_cal_leaf(rd, 1031, &im), 0);
	want = bf_leaf(&m, 1031);
	ck_assert(kts_imprint_eq(&im, &want));
	/* A second reader, closed in any order before the writer. */
	ck_assert_int_eq(kts_cal_reader_open(cal, &rd2), 0);
	want = bf_root(&m, 1069);
	check_chain(rd2, &m, 1068, 1069, &want);
	kts_cal_close(rd);
	check_chain(rd2, &m, 301, 1069, &want);
	kts_cal_close(rd2);
	kts_cal_close(NULL);
	kts_wr_free(&wr);
	kts_cal_close(cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

/* ---- a writer and readers in threads ---- */

#define LIVE_BATCHES 60		/* synced appends of the writer thread */
#define LIVE_READERS 2

/* The plan every thread shares: read-only once the threads start. */
struct live {
	struct kts_cal *cal;		/* the writer */
	struct model m;			/* every leaf, appended or not yet */
	uint64_t t[LIVE_BATCHES];	/* batch i appends t[i] .. */
	size_t n[LIVE_BATCHES];		/* ... n[i] leaves (gaps between) */
	_Atomic int done;		/* the writer has finished */
};

/* NULL if the chain (a, p) from rd is right, else what is wrong. */
static const char *
live_chain(struct kts_cal *rd, const struct model *m, uint64_t a, uint64_t p)
{
	struct kts_imprint want = bf_root(m, p);
	struct kts_imprint leaf = bf_leaf(m, a);
	struct kts_imprint got;
	struct kts_cal_chain c;
	struct kts_pctx pc;
	struct kts_tlv t;
	struct kts_wr wr;
	const char *bad = NULL;
	uint64_t ta = 0;

	kts_wr_init(&wr, KTS_MAX_PDU);
	memset(&pc, 0, sizeof(pc));
	pc.base = wr.p;
	if (kts_cal_chain(rd, a, p, &wr) != 0)
		bad = "kts_cal_chain failed at or below the head";
	else if (kts_tlv_parse(wr.p, wr.len, &t, NULL) != 0 ||
	    (pc.base = wr.p, kts_cal_chain_parse(&t, &c, &pc)) != 0)
		bad = "the chain does not parse";
	else {
		if (kts_cal_chain_time(&c, &ta) != 0 || ta != a ||
		    !kts_imprint_eq(&c.input, &leaf) ||
		    kts_cal_chain_compute(&c, &got) != 0 ||
		    !kts_imprint_eq(&got, &want))
			bad = "the chain is wrong";
		kts_cal_chain_clear(&c);
	}
	kts_wr_free(&wr);
	if (bad == NULL && (kts_cal_root(rd, p, &got) != 0 ||
	    !kts_imprint_eq(&got, &want)))
		bad = "the root at the head is wrong";
	return bad;
}

/* 1 if h + 1 is the end of one of the plan's batches. */
static int
live_batch_end(const struct live *lv, uint64_t h)
{
	size_t i;

	for (i = 0; i < LIVE_BATCHES; i++)
		if (lv->t[i] + lv->n[i] == h + 1)
			return 1;
	return 0;
}

/*
 * A reader thread: its head only grows, is always a whole batch, and the
 * chain to it is right, until the writer is done.  Returns NULL or what
 * went wrong.
 */
static void *
live_reader(void *arg)
{
	struct live *lv = arg;
	struct kts_cal *rd = NULL;
	const char *bad = NULL;
	uint64_t last = 0;
	uint64_t seen = 0;
	uint64_t h;
	int end;

	if (kts_cal_reader_open(lv->cal, &rd) != 0)
		return "reader open failed";
	do {
		end = atomic_load(&lv->done);
		if (kts_cal_head(rd, &h) != 0)
			continue;	/* nothing appended yet */
		if (h < last)
			bad = "the head went back";
		else if (!live_batch_end(lv, h))
			bad = "the head is inside a batch";
		else if (h > 0)
			bad = live_chain(rd, &lv->m, lv->m.start + seen++ %
			    (h - lv->m.start + 1), h);
		last = h;
	} while (bad == NULL && !end);
	if (bad == NULL && last != model_head(&lv->m))
		bad = "the reader did not see the last append";
	kts_cal_close(rd);
	return (void *)bad;
}

/*
 * One writer thread appends synced batches while readers extend to the
 * head they see: the atomic head and the shared table of block roots
 * under concurrent use (also for -fsanitize=thread builds).
 */
START_TEST(test_live_readers)
{
	struct kts_imprint leaves[40];
	pthread_t th[LIVE_READERS];
	struct live lv;
	uint64_t t = 5000;
	size_t i;
	size_t k;
	void *res;
	char *dir = kts_test_tmpdir();

	memset(&lv, 0, sizeof(lv));
	model_init(&lv.m, KTS_HASH_SHA256, 5000, 23);
	for (i = 0; i < LIVE_BATCHES; i++) {
		t += i % 7 == 3 ? 1 + rnd(&lv.m) % 300 : 0;	/* a gap */
		lv.t[i] = t;
		lv.n[i] = 1 + rnd(&lv.m) % KTS_N_ELEMS(leaves);
		for (k = 0; k < lv.n[i]; k++)
			model_put(&lv.m, t + k, rnd_leaf(&lv.m,
			    KTS_HASH_SHA256));
		t += lv.n[i];
	}
	lv.cal = open_ok(dir, 1, 5000, KTS_HASH_SHA256);
	for (i = 0; i < LIVE_READERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, live_reader,
		    &lv), 0);
	for (i = 0; i < LIVE_BATCHES; i++) {
		for (k = 0; k < lv.n[i]; k++)
			leaves[k] = bf_leaf(&lv.m, lv.t[i] + k);
		ck_assert_int_eq(kts_cal_append_many(lv.cal, lv.t[i], leaves,
		    lv.n[i]), 0);
	}
	atomic_store(&lv.done, 1);
	for (i = 0; i < LIVE_READERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_msg(res == NULL, "reader %zu: %s", i, (char *)res);
	}
	kts_cal_close(lv.cal);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&lv.m);
}
END_TEST

START_TEST(test_missing)
{
	struct kts_cal *cal = (struct kts_cal *)1;
	char path[4200];
	char why[256];
	char *dir = kts_test_tmpdir();
	int n;

	n = snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_int_eq(kts_cal_open(path, 0, 0, 0, &cal, why, sizeof(why)),
	    KTS_ENOTFOUND);
	ck_assert_ptr_null(cal);
	ck_assert_ptr_nonnull(strstr(why, "none"));
	ck_assert_int_eq(kts_cal_check(path, NULL, NULL, why, sizeof(why)),
	    KTS_ENOTFOUND);
	/* An undefined algorithm is refused before anything is created. */
	ck_assert_int_eq(kts_cal_open(path, 1, 0, 0x03, &cal, why,
	    sizeof(why)), KTS_EINVAL);
	/* An empty new store: its seconds before start are all known. */
	cal = open_ok(path, 1, 64, KTS_HASH_SHA256);
	{
		struct model m;
		struct kts_imprint im;
		struct kts_wr wr;

		model_init(&m, KTS_HASH_SHA256, 64, 1);
		ck_assert_int_eq(kts_cal_root(cal, 63, &im), 0);
		ck_assert(kts_imprint_eq(&im, &m.z[6]));
		ck_assert_int_eq(kts_cal_root(cal, 64, &im), KTS_ENOTFOUND);
		kts_wr_init(&wr, KTS_MAX_PDU);
		ck_assert_int_eq(kts_cal_chain(cal, 3, 40, &wr), 0);
		kts_wr_free(&wr);
	}
	kts_cal_close(cal);
	ck_assert_int_eq(kts_cal_check(path, NULL, NULL, why, sizeof(why)), 0);
	kts_test_rmdir(path);
	kts_test_rmdir(dir);
	free(dir);
}
END_TEST

/* ---- damage made by hand ---- */

static void
rec_key(uint8_t *key, uint64_t t, unsigned level)
{
	int i;

	key[0] = 'T';
	for (i = 8; i >= 1; i--) {
		key[i] = (uint8_t)t;
		t >>= 8;
	}
	key[9] = (uint8_t)level;
}

enum { DMG_PUT, DMG_DEL };

static const struct dcase {
	const char *name;
	int op;			/* DMG_PUT or DMG_DEL */
	uint64_t t;		/* record second (0: the key below) */
	unsigned level;
	const char *key;	/* a named key when t == 0 */
	uint64_t head;		/* the store's head (start is 1000) */
	int open_rc;		/* expected of kts_cal_open */
	const char *says;	/* in the message of open or check */
} dcases[] = {
	/* Head 1103: frontier blocks [0,1024) level 10, [1024,1088)
	 * level 6, [1088,1104) level 4 (ends at the head). */
	{ "head leaf deleted", DMG_DEL, 1103, 0, NULL, 1103, KTS_EDB, "1103" },
	{ "head block root", DMG_PUT, 1103, 4, NULL, 1103, KTS_EDB, "1103" },
	{ "frontier root", DMG_PUT, 1087, 6, NULL, 1103, KTS_EDB, "1087" },
	{ "frontier half", DMG_PUT, 1023, 9, NULL, 1103, KTS_EDB, "1023" },
	{ "middle root", DMG_PUT, 1039, 4, NULL, 1103, 0, "1039" },
	{ "middle root gone", DMG_DEL, 1055, 4, NULL, 1103, 0, "1055" },
	{ "middle leaf gone", DMG_DEL, 1050, 0, NULL, 1103, 0, "1050" },
	{ "middle leaf changed", DMG_PUT, 1001, 0, NULL, 1103, 0, "1007" },
	{ "record after head", DMG_PUT, 1200, 0, NULL, 1103, KTS_EDB, "1200" },
	{ "stray key", DMG_PUT, 0, 0, "zz", 1103, 0, "7a7a" },
	{ "meta version", DMG_PUT, 0, 0, "meta", 1103, KTS_EDB, "format" },
	{ "head garbage", DMG_PUT, 0, 0, "head", 1103, KTS_EDB, "head" },
	/* Head 1087 completes blocks of levels 4, 5 (and 6, the frontier). */
	{ "head completes", DMG_PUT, 1087, 4, NULL, 1087, KTS_EDB, "1087" },
	{ "head completes 5", DMG_DEL, 1087, 5, NULL, 1087, KTS_EDB, "1087" },
};

static void
damage_store(const char *dir, const struct dcase *dc, struct model *m)
{
	leveldb_options_t *o = leveldb_options_create();
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	struct kts_imprint im = rnd_leaf(m, KTS_HASH_SHA256);
	uint8_t val[KTS_IMPRINT_MAX];
	uint8_t key[10];
	const char *k = (const char *)key;
	size_t kn = sizeof(key);
	size_t vn = kts_imprint_bytes(&im, val);
	char *err = NULL;
	leveldb_t *db;

	db = leveldb_open(o, dir, &err);
	ck_assert_msg(err == NULL, "leveldb open: %s", err);
	rec_key(key, dc->t, dc->level);
	if (dc->t == 0) {
		k = dc->key;
		kn = strlen(k);
		vn = 3;		/* a meta of 3 bytes, a head of 3 */
	}
	if (dc->op == DMG_DEL)
		leveldb_delete(db, wo, k, kn, &err);
	else
		leveldb_put(db, wo, k, kn, (const char *)val, vn, &err);
	ck_assert_msg(err == NULL, "leveldb write: %s", err);
	leveldb_close(db);
	leveldb_writeoptions_destroy(wo);
	leveldb_options_destroy(o);
}

START_TEST(test_damage)
{
	const struct dcase *dc = &dcases[_i];
	struct kts_cal *cal;
	struct model m;
	char why[512];
	char *dir = kts_test_tmpdir();
	int r;

	model_init(&m, KTS_HASH_SHA256, 1000, 77);
	cal = open_ok(dir, 1, 1000, KTS_HASH_SHA256);
	append_many(cal, &m, 1000, 60);
	append(cal, &m, 1070);
	append_many(cal, &m, 1071, (size_t)(dc->head - 1070));
	kts_cal_close(cal);
	ck_assert_int_eq(kts_cal_check(dir, NULL, NULL, why, sizeof(why)), 0);
	damage_store(dir, dc, &m);
	cal = NULL;
	r = kts_cal_open(dir, 0, 0, 0, &cal, why, sizeof(why));
	ck_assert_msg(r == dc->open_rc, "%s: open gave %s (%s)", dc->name,
	    kts_strerror(r), why);
	if (r != 0) {
		ck_assert_ptr_null(cal);
		ck_assert_msg(strstr(why, dc->says) != NULL, "%s: open says "
		    "'%s'", dc->name, why);
	}
	kts_cal_close(cal);
	r = kts_cal_check(dir, NULL, NULL, why, sizeof(why));
	ck_assert_msg(r == KTS_EVERIFY, "%s: check gave %s", dc->name,
	    kts_strerror(r));
	ck_assert_msg(strstr(why, dc->says) != NULL, "%s: check says '%s'",
	    dc->name, why);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

static void
count_progress(uint64_t done, uint64_t total, void *arg)
{
	uint64_t *last = arg;

	ck_assert_uint_le(done, total);
	ck_assert_uint_ge(done, *last);
	*last = done;
}

START_TEST(test_check_progress)
{
	struct kts_cal *cal;
	struct model m;
	uint64_t last = 0;
	char why[256];
	char *dir = kts_test_tmpdir();

	model_init(&m, KTS_HASH_SHA256, 77, 13);
	cal = open_ok(dir, 1, 77, KTS_HASH_SHA256);
	append_many(cal, &m, 80, 500);
	kts_cal_close(cal);
	ck_assert_int_eq(kts_cal_check(dir, count_progress, &last, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(last, 580 - 77);
	kts_test_rmdir(dir);
	free(dir);
	model_free(&m);
}
END_TEST

static Suite *
calstore_suite(void)
{
	Suite *s = suite_create("calstore");
	TCase *tc;

	tc = tcase_create("chains");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_small_all_pairs);
	tcase_add_test(tc, test_random_pairs);
	tcase_add_test(tc, test_mixed_alg);
	tcase_add_test(tc, test_day_gap);
	tcase_add_test(tc, test_upper_levels);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refused_appends);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_reader);
	tcase_add_test(tc, test_live_readers);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_check_progress);
	suite_add_tcase(s, tc);

	tc = tcase_create("damage");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_damage, 0, KTS_N_ELEMS(dcases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(calstore_suite());
}
