/*
 * logsig_tree.c - a block's whole tree, kept for many record proofs
 * (spec/logsig.md 2.4, 2.8).
 *
 * kts_ls_proof recomputes a block for one record; extracting many lines
 * or printing a proof for every line needs the tree once and then a
 * path per record.  Nodes are stored in preorder: the node of records
 * [lo, lo + m) has its left child (the largest power of two below m)
 * right after it and its right child 2k - 1 places later, so a path is
 * found by descending from the root with no pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "logsig.h"

struct kts_ls_tree {
	uint8_t alg;
	uint8_t ilen;
	uint64_t n;			/* records */
	uint8_t *node;			/* (2n - 1) * ilen, preorder */
	uint8_t *lvl;			/* 2n - 1 levels */
	uint8_t *mask;			/* n * ilen */
	uint8_t *meta;			/* n flags */
	struct kts_imprint *rec;	/* n record hashes */
};

static uint64_t
pow2_below(uint64_t m)
{
	uint64_t k = 1;

	while (k * 2 < m)
		k *= 2;
	return k;
}

/* Fill the preorder nodes of records [lo, lo + m) from index at. */
static int
build(struct kts_ls_tree *t, const uint8_t *leaf, uint64_t lo, uint64_t m,
    uint64_t at)
{
	uint64_t k;
	size_t len;
	int r;

	if (m == 1) {
		memcpy(t->node + at * t->ilen, leaf + lo * t->ilen, t->ilen);
		t->lvl[at] = 1;
		return 0;
	}
	k = pow2_below(m);
	if ((r = build(t, leaf, lo, k, at + 1)) != 0 ||
	    (r = build(t, leaf, lo + k, m - k, at + 2 * k)) != 0)
		return r;
	t->lvl[at] = (uint8_t)(t->lvl[at + 1] + 1);
	return kts_hash_step_raw(t->alg, t->node + (at + 1) * t->ilen,
	    t->ilen, t->node + (at + 2 * k) * t->ilen, t->ilen, t->lvl[at],
	    t->node + at * t->ilen, &len);
}

/* Masks and leaves of every record, through the block builder. */
static int
leaves(struct kts_ls_tree *t, const struct kts_imprint *input,
    const uint8_t *seed, size_t seed_len, uint8_t *leaf)
{
	struct kts_ls_blk *b;
	uint8_t rec[KTS_IMPRINT_MAX];
	uint64_t i;
	int r;

	if ((b = malloc(sizeof(*b))) == NULL)
		return KTS_ENOMEM;
	if ((r = kts_ls_blk_init(b, t->alg, input, 0)) == 0)
		r = kts_ls_blk_seed(b, seed, seed_len);
	for (i = 0; r == 0 && i < t->n; i++) {
		if (t->rec[i].alg != t->alg) {
			r = KTS_EINVAL;
			break;
		}
		kts_imprint_bytes(&t->rec[i], rec);
		if ((r = kts_ls_blk_add_hash(b, rec, t->meta[i])) != 0)
			break;
		memcpy(leaf + i * t->ilen, b->made[0], t->ilen);
		memcpy(t->mask + i * t->ilen, b->mask, t->ilen);
	}
	free(b);
	return r;
}

static int
alloc_tree(struct kts_ls_tree *t, uint64_t n)
{
	t->n = n;
	t->node = malloc((size_t)(2 * n - 1) * t->ilen);
	t->lvl = malloc((size_t)(2 * n - 1));
	t->mask = malloc((size_t)n * t->ilen);
	t->meta = calloc((size_t)n, 1);
	t->rec = malloc((size_t)n * sizeof(*t->rec));
	if (t->node == NULL || t->lvl == NULL || t->mask == NULL ||
	    t->meta == NULL || t->rec == NULL)
		return KTS_ENOMEM;
	return 0;
}

int
kts_ls_tree_build(const struct kts_imprint *input, const uint8_t *seed,
    size_t seed_len, const struct kts_imprint *recs, const uint8_t *is_meta,
    uint64_t n, struct kts_ls_tree **out)
{
	struct kts_ls_tree *t = NULL;
	uint8_t *leaf = NULL;
	int r;

	*out = NULL;
	if (n == 0 || n > KTS_LS_MAX_BLOCK_RECORDS ||
	    kts_hash_get(input->alg) == NULL)
		return KTS_EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return KTS_ENOMEM;
	t->alg = input->alg;
	t->ilen = (uint8_t)kts_imprint_size(input);
	if ((r = alloc_tree(t, n)) != 0 ||
	    (leaf = malloc((size_t)n * t->ilen)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	memcpy(t->rec, recs, (size_t)n * sizeof(*recs));
	if (is_meta != NULL)
		memcpy(t->meta, is_meta, (size_t)n);
	if ((r = leaves(t, input, seed, seed_len, leaf)) != 0 ||
	    (r = build(t, leaf, 0, n, 0)) != 0)
		goto out;
	*out = t;
	t = NULL;
out:
	free(leaf);
	kts_ls_tree_free(t);
	return r;
}

void
kts_ls_tree_root(const struct kts_ls_tree *t, struct kts_imprint *root,
    unsigned *level)
{
	kts_ls_bytes_imprint(t->node, t->alg, root);
	*level = t->lvl[0];
}

/* The steps above record p, top first, into top[]; *k of them. */
static void
descend(const struct kts_ls_tree *t, uint64_t p, struct kts_ls_step *top,
    size_t *k)
{
	uint64_t lo = 0;
	uint64_t m = t->n;
	uint64_t at = 0;
	uint64_t h;
	uint64_t sib;

	for (*k = 0; m > 1; (*k)++) {
		h = pow2_below(m);
		if (p < lo + h) {
			sib = at + 2 * h;
			top[*k].dir = KTS_LS_STEP_LEFT;
			top[*k].corr = 0;
			at = at + 1;
			m = h;
		} else {
			sib = at + 1;
			top[*k].dir = KTS_LS_STEP_RIGHT;
			/* parent level - own height - 1 (spec 2.8) */
			top[*k].corr = (uint8_t)(t->lvl[at] -
			    t->lvl[at + 2 * h] - 1);
			at = at + 2 * h;
			lo += h;
			m -= h;
		}
		kts_ls_bytes_imprint(t->node + sib * t->ilen, t->alg,
		    &top[*k].sib);
	}
}

int
kts_ls_tree_chain(const struct kts_ls_tree *t, uint64_t p,
    struct kts_ls_chain *out)
{
	struct kts_ls_step top[KTS_LS_MAX_LEVEL];
	size_t k;

	if (p >= t->n)
		return KTS_EINVAL;
	memset(out, 0, offsetof(struct kts_ls_chain, steps));
	descend(t, p, top, &k);
	out->rec = t->rec[p];
	/* spec 2.8: the mask step; a metarecord is the left operand. */
	out->steps[0].dir = t->meta[p] ? KTS_LS_STEP_LEFT :
	    KTS_LS_STEP_RIGHT;
	out->steps[0].corr = 0;
	kts_ls_bytes_imprint(t->mask + p * t->ilen, t->alg,
	    &out->steps[0].sib);
	for (out->n_steps = 1; k > 0; out->n_steps++)
		out->steps[out->n_steps] = top[--k];
	return 0;
}

void
kts_ls_tree_free(struct kts_ls_tree *t)
{
	if (t == NULL)
		return;
	free(t->node);
	free(t->lvl);
	free(t->mask);
	free(t->meta);
	free(t->rec);
	free(t);
}
