/*
 * check_lstree.c - the whole-block tree of lib/logsig_tree.c: for every
 * block size from 1 to 70 and every record, its chain equals the one
 * kts_ls_proof computes on its own, evaluates to the tree's root at the
 * block's level L(n), and the root equals the block builder's.
 */
#include <check.h>
#include <string.h>

#include "logsig.h"

#define MAX_N 70

/* Record hashes of n records; every fifth one is a metarecord. */
static void
make_records(uint64_t n, struct kts_imprint *recs, uint8_t *meta)
{
	uint64_t i;
	uint8_t b[8];

	for (i = 0; i < n; i++) {
		memcpy(b, &i, sizeof(b));
		ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, b, sizeof(b),
		    &recs[i]), 0);
		meta[i] = i % 5 == 4;
	}
}

/* The builder's root for the same block. */
static void
builder_root(const struct kts_imprint *input, const uint8_t *seed,
    const struct kts_imprint *recs, const uint8_t *meta, uint64_t n,
    struct kts_imprint *root, unsigned *level)
{
	struct kts_ls_blk b;
	uint8_t rec[KTS_IMPRINT_MAX];
	uint64_t i;

	ck_assert_int_eq(kts_ls_blk_init(&b, KTS_HASH_SHA256, input, 0), 0);
	ck_assert_int_eq(kts_ls_blk_seed(&b, seed, 32), 0);
	for (i = 0; i < n; i++) {
		kts_imprint_bytes(&recs[i], rec);
		ck_assert_int_eq(kts_ls_blk_add_hash(&b, rec, meta[i]), 0);
	}
	ck_assert_int_eq(kts_ls_blk_close(&b, NULL, root, level), 0);
}

static void
same_chain(const struct kts_ls_chain *a, const struct kts_ls_chain *b)
{
	size_t i;

	ck_assert(kts_imprint_eq(&a->rec, &b->rec));
	ck_assert_uint_eq(a->n_steps, b->n_steps);
	for (i = 0; i < a->n_steps; i++) {
		ck_assert_uint_eq(a->steps[i].dir, b->steps[i].dir);
		ck_assert_uint_eq(a->steps[i].corr, b->steps[i].corr);
		ck_assert(kts_imprint_eq(&a->steps[i].sib, &b->steps[i].sib));
	}
}

START_TEST(test_tree_chains)
{
	static struct kts_imprint recs[MAX_N];
	static struct kts_ls_chain one;
	static struct kts_ls_chain many;
	struct kts_ls_tree *t = NULL;
	struct kts_imprint input;
	struct kts_imprint root;
	struct kts_imprint broot;
	struct kts_imprint got;
	uint8_t meta[MAX_N];
	uint8_t seed[32];
	uint64_t n = (uint64_t)_i;
	unsigned level;
	unsigned blevel;
	unsigned h;
	uint64_t p;

	memset(seed, 0x5a, sizeof(seed));
	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, "in", 2, &input), 0);
	make_records(n, recs, meta);
	ck_assert_int_eq(kts_ls_tree_build(&input, seed, sizeof(seed), recs,
	    meta, n, &t), 0);
	kts_ls_tree_root(t, &root, &level);
	builder_root(&input, seed, recs, meta, n, &broot, &blevel);
	ck_assert(kts_imprint_eq(&root, &broot));
	ck_assert_uint_eq(level, blevel);
	ck_assert_uint_eq(level, kts_ls_level(n));
	for (p = 0; p < n; p++) {
		ck_assert_int_eq(kts_ls_tree_chain(t, p, &many), 0);
		ck_assert_int_eq(kts_ls_proof(&input, seed, sizeof(seed), recs,
		    meta, n, p, &one), 0);
		same_chain(&one, &many);
		ck_assert_int_eq(kts_ls_chain_eval(&many, &got, &h), 0);
		ck_assert(kts_imprint_eq(&got, &root));
		ck_assert_uint_eq(h, level);
	}
	ck_assert_int_eq(kts_ls_tree_chain(t, n, &many), KTS_EINVAL);
	kts_ls_tree_free(t);
}
END_TEST

START_TEST(test_tree_bad)
{
	struct kts_ls_tree *t = (struct kts_ls_tree *)1;
	struct kts_imprint recs[2];
	struct kts_imprint input;
	uint8_t seed[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, "x", 1, &input), 0);
	ck_assert_int_eq(kts_ls_tree_build(&input, seed, 4, recs, NULL, 0,
	    &t), KTS_EINVAL);
	ck_assert_ptr_null(t);
	/* A record of another algorithm than the block's. */
	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, "a", 1, &recs[0]), 0);
	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA512, "b", 1, &recs[1]), 0);
	ck_assert_int_eq(kts_ls_tree_build(&input, seed, 4, recs, NULL, 2,
	    &t), KTS_EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("logsig_tree");
	TCase *tc = tcase_create("tree");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_tree_chains, 1, MAX_N + 1);
	tcase_add_test(tc, test_tree_bad);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
