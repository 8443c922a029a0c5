/*
 * check_tree.c - round trees: every request's chain, wrapped in a
 * signature, verifies with the internal policy and reaches the root
 * (KSI spec 4.2, 4.5, 3.5).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "sig.h"
#include "tree.h"
#include "verify.h"

/* Deterministic pseudo-random bytes for the request hashes. */
static uint32_t
next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void
make_leaves(struct kts_tree_leaf *lv, size_t n, int with_meta, int levels,
    struct kts_wr *meta)
{
	uint32_t seed = (uint32_t)n * 7919u;
	size_t i;
	size_t j;

	for (i = 0; i < n; i++) {
		memset(&lv[i], 0, sizeof(lv[i]));
		kts_imprint_zero(KTS_HASH_SHA256, &lv[i].hash);
		for (j = 0; j < 32; j++)
			lv[i].hash.d[j] = (uint8_t)next(&seed);
		lv[i].level = levels ? (unsigned)(i % 4) : 0;
		if (with_meta && i % 2 == 0) {
			kts_wr_init(&meta[i], 1024);
			ck_assert_int_eq(kts_meta_build(&meta[i], "alice",
			    i % 4 == 0 ? "kts-test:1" : NULL, 1, i, i % 3 == 0,
			    1700000000000000ull + i), 0);
			lv[i].meta = meta[i].p;
			lv[i].meta_len = meta[i].len;
		}
	}
}

/* Wrap one 0x801 element into a signature and parse it. */
static struct kts_sig *
wrap(const uint8_t *chain, size_t len)
{
	struct kts_sig *sig = NULL;
	struct kts_wr wr;

	kts_wr_init(&wr, 70000);
	ck_assert_int_eq(kts_wr_tlv(&wr, KTS_TAG_SIG, 0, chain, len), 0);
	ck_assert_int_eq(kts_sig_parse(wr.p, wr.len, &sig, NULL), 0);
	kts_wr_free(&wr);
	return sig;
}

static void
check_round(size_t n, int with_meta, int levels)
{
	struct kts_tree_leaf lv[64];
	struct kts_wr meta[64];
	struct kts_tree *t = NULL;
	const struct kts_imprint *root;
	unsigned root_level;
	size_t i;

	ck_assert_uint_le(n, 64);
	memset(meta, 0, sizeof(meta));
	make_leaves(lv, n, with_meta, levels, meta);
	ck_assert_int_eq(kts_tree_build(KTS_HASH_SHA256, lv, n, &t), 0);
	root = kts_tree_root(t, &root_level);
	for (i = 0; i < n; i++) {
		static const uint64_t parent[] = { 7, 11 };
		struct kts_vresult res;
		struct kts_vctx ctx;
		struct kts_sig *sig;
		struct kts_imprint out;
		struct kts_wr wr;
		unsigned level = lv[i].level;

		kts_wr_init(&wr, 70000);
		ck_assert_int_eq(kts_tree_chain(t, i, 1700000000, parent, 2,
		    &wr), 0);
		sig = wrap(wr.p, wr.len);
		ck_assert_uint_eq(sig->chains[0].n_idx, 3);
		/* As the client does (spec 7.11): add the request level. */
		sig->chains[0].links[0].corr += lv[i].level;
		memset(&ctx, 0, sizeof(ctx));
		ctx.doc_hash = &lv[i].hash;
		ctx.level = lv[i].level;
		ck_assert_int_eq(kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res), 0);
		ck_assert_msg(res.verdict == KTS_V_OK, "n=%zu leaf %zu: %s %s",
		    n, i, kts_vcode_str(res.code), res.detail);
		ck_assert(kts_imprint_eq(&res.aggr_root, root));
		/* Computed from the request level, the chain meets the root's
		 * level exactly. */
		sig->chains[0].links[0].corr -= lv[i].level;
		ck_assert_int_eq(kts_aggr_chain_compute(&sig->chains[0], &level,
		    &out), 0);
		ck_assert_uint_eq(level, root_level);
		kts_sig_free(sig);
		kts_wr_free(&wr);
	}
	kts_tree_free(t);
	for (i = 0; i < n; i++)
		kts_wr_free(&meta[i]);
}

START_TEST(test_rounds)
{
	size_t n = (size_t)_i + 1;

	check_round(n, 0, 0);
	check_round(n, 1, 0);
	check_round(n, 1, 1);
}
END_TEST

START_TEST(test_meta_padding)
{
	struct kts_wr wr;
	int i;

	/* Spec 3.5: padding first, 7E, value 01 or 01 01, even total. */
	for (i = 0; i < 40; i++) {
		char id[64];

		memset(id, 'x', sizeof(id));
		id[i] = '\0';
		kts_wr_init(&wr, 1024);
		ck_assert_int_eq(kts_meta_build(&wr, id, NULL, 0, 0, 0, 0), 0);
		ck_assert_uint_eq(wr.len % 2, 0);
		ck_assert_uint_eq(wr.p[0], 0x7e);
		ck_assert(wr.p[1] == 1 || wr.p[1] == 2);
		kts_wr_free(&wr);
	}
}
END_TEST

START_TEST(test_bad_input)
{
	struct kts_tree_leaf lv;
	struct kts_tree *t = NULL;
	struct kts_wr wr;

	memset(&lv, 0, sizeof(lv));
	ck_assert_int_eq(kts_tree_build(KTS_HASH_SHA256, &lv, 0, &t),
	    KTS_EINVAL);
	kts_imprint_zero(KTS_HASH_SHA256, &lv.hash);
	lv.level = 255;		/* its parent would be at 256 */
	ck_assert_int_eq(kts_tree_build(KTS_HASH_SHA256, &lv, 1, &t), 0);
	kts_wr_init(&wr, 1024);
	/* Out of range, and a lone request without metadata is its own
	 * root: a chain with no links is not valid KSI. */
	ck_assert_int_eq(kts_tree_chain(t, 1, 0, NULL, 0, &wr), KTS_EINVAL);
	ck_assert_int_eq(kts_tree_chain(t, 0, 0, NULL, 0, &wr), KTS_EINVAL);
	kts_tree_free(t);
	lv.meta = (const uint8_t *)"\x7e\x01\x01\x41\x02\x41\x00";
	lv.meta_len = 7;
	ck_assert_int_eq(kts_tree_build(KTS_HASH_SHA256, &lv, 1, &t),
	    KTS_EINVAL);
	kts_wr_free(&wr);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tree");
	TCase *tc = tcase_create("tree");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rounds, 1, 40);
	tcase_add_test(tc, test_meta_padding);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
