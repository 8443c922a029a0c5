/*
 * logsig_blk.c - the block builder (spec/logsig.md 2.3-2.6): masks,
 * leaves, the incremental forest and its tree hashes in emission order,
 * the root and the request level; record chains (2.8).
 *
 * Invariants: slot k is occupied iff bit k of n is set; prev is the last
 * leaf (the output hash); all imprints are bytes of length ilen.  The
 * add path does no allocation (the signer's hot loop).
 */
#include <stdlib.h>
#include <string.h>

#include "logsig.h"
#include "tlv.h"

unsigned
kts_ls_level(uint64_t n)
{
	unsigned bits = 0;
	uint64_t m;

	if (n <= 1)
		return 1;
	for (m = n - 1; m != 0; m >>= 1)
		bits++;
	return 1 + bits;
}

void
kts_ls_bytes_imprint(const uint8_t *p, uint8_t alg, struct kts_imprint *out)
{
	const struct kts_hash_alg *a = kts_hash_get(alg);

	memset(out, 0, sizeof(*out));
	out->alg = alg;
	out->len = a != NULL ? a->len : 0;
	memcpy(out->d, p + 1, out->len);
}

int
kts_ls_blk_init(struct kts_ls_blk *b, uint8_t alg,
    const struct kts_imprint *input, unsigned flags)
{
	const struct kts_hash_alg *a;

	memset(b, 0, sizeof(*b));
	if ((a = kts_hash_get(alg)) == NULL)
		return KTS_EINVAL;
	if (!kts_hash_available(alg))
		return KTS_EUNSUPPORTED;
	if (input != NULL && input->alg != alg)
		return KTS_EINVAL;
	b->alg = alg;
	b->ilen = (uint8_t)(1 + a->len);
	b->flags = flags;
	b->prev[0] = alg;	/* spec 2.3: the zero imprint by default */
	if (input != NULL)
		kts_imprint_bytes(input, b->prev);
	return 0;
}

int
kts_ls_blk_seed(struct kts_ls_blk *b, const uint8_t *seed, size_t len)
{
	if (b->n != 0 || len == 0 || len > KTS_LS_MAX_SEED)
		return KTS_EINVAL;
	memcpy(b->seed, seed, len);
	b->seed_len = len;
	return 0;
}

/* node = H(left || right || level) into out. */
static int
node(const struct kts_ls_blk *b, const uint8_t *l, const uint8_t *r,
    unsigned level, uint8_t *out)
{
	size_t n;

	return kts_hash_step_raw(b->alg, l, b->ilen, r, b->ilen,
	    (uint8_t)level, out, &n);
}

/* Mask, leaf and the carry merges of one record (spec 2.3, 2.4). */
static int
add_leaf(struct kts_ls_blk *b, const uint8_t *rec, int is_meta)
{
	size_t len;
	unsigned k;
	int r;

	if (b->n >= KTS_LS_MAX_BLOCK_RECORDS)
		return KTS_ETOOBIG;
	if (b->n == 0)
		memcpy(b->input, b->prev, b->ilen);
	if ((r = kts_hash_cat_raw(b->alg, b->prev, b->ilen, b->seed,
	    b->seed_len, b->mask, &len)) != 0)
		return r;
	/* spec 2.3: a metarecord's leaf swaps the operands. */
	r = is_meta ? node(b, rec, b->mask, 1, b->made[0]) :
	    node(b, b->mask, rec, 1, b->made[0]);
	if (r != 0)
		return r;
	memcpy(b->prev, b->made[0], b->ilen);
	b->n_made = 1;
	for (k = 0; (b->n >> k) & 1; k++, b->n_made++)
		if ((r = node(b, b->slot[k], b->made[k], k + 2,
		    b->made[k + 1])) != 0)
			return r;
	memcpy(b->slot[k], b->made[k], b->ilen);
	b->n++;
	return 0;
}

/*
 * One 0x902/0x903 element straight from imprint bytes: the emit path's
 * hot spot, so one put per element (same bytes as kts_ls_wr_hash).
 */
static int
put_hash(struct kts_wr *out, uint16_t tag, const uint8_t *im, uint8_t ilen)
{
	uint8_t b[4 + KTS_IMPRINT_MAX];

	b[0] = (uint8_t)(0x80 | tag >> 8);
	b[1] = (uint8_t)tag;
	b[2] = 0;
	b[3] = ilen;
	memcpy(b + 4, im, ilen);
	return kts_wr_put(out, b, 4u + ilen);
}

static int
put_hdr(struct kts_ls_blk *b, struct kts_wr *out)
{
	struct kts_ls_hdr h;

	h.alg = b->alg;
	h.seed = b->seed;
	h.seed_len = b->seed_len;
	kts_ls_bytes_imprint(b->input, b->alg, &h.input);
	return kts_ls_wr_hdr(out, &h);
}

/* Write the header (first record) and the kept hashes of the record. */
static int
emit(struct kts_ls_blk *b, struct kts_wr *out, int header)
{
	size_t i;
	int r;

	if (header && (r = put_hdr(b, out)) != 0)
		return r;
	if ((b->flags & KTS_LS_KEEP_REC) &&
	    (r = put_hash(out, KTS_LS_REC, b->rec, b->ilen)) != 0)
		return r;
	for (i = 0; (b->flags & KTS_LS_KEEP_TREE) && i < b->n_made; i++)
		if ((r = put_hash(out, KTS_LS_TREE, b->made[i], b->ilen)) != 0)
			return r;
	return 0;
}

int
kts_ls_blk_add_line(struct kts_ls_blk *b, const uint8_t *line, size_t len,
    struct kts_wr *out)
{
	size_t n;
	int r;

	if ((r = kts_hash_cat_raw(b->alg, line, len, NULL, 0, b->rec,
	    &n)) != 0 || (r = add_leaf(b, b->rec, 0)) != 0)
		return r;
	if (out == NULL)
		return 0;
	return emit(b, out, b->n == 1);
}

int
kts_ls_blk_add_hash(struct kts_ls_blk *b, const uint8_t *rec, int is_meta)
{
	if (rec[0] != b->alg)
		return KTS_EINVAL;
	memcpy(b->rec, rec, b->ilen);
	return add_leaf(b, b->rec, is_meta);
}

int
kts_ls_blk_add_meta(struct kts_ls_blk *b, const char *key, const char *val,
    struct kts_wr *out)
{
	struct kts_wr m;
	size_t n;
	int r;

	kts_wr_init(&m, KTS_LS_MAX_ELEM);
	if ((r = kts_ls_wr_meta(&m, b->n, key, val)) != 0 ||
	    (r = kts_hash_cat_raw(b->alg, m.p, m.len, NULL, 0, b->rec,
	    &n)) != 0)
		goto out;
	if (out != NULL && b->n == 0) {
		memcpy(b->input, b->prev, b->ilen);
		if ((r = put_hdr(b, out)) != 0)
			goto out;
	}
	if (out != NULL && (r = kts_wr_put(out, m.p, m.len)) != 0)
		goto out;
	if ((r = add_leaf(b, b->rec, 1)) != 0 || out == NULL)
		goto out;
	r = emit(b, out, 0);
out:
	kts_wr_free(&m);
	return r;
}

int
kts_ls_blk_close(struct kts_ls_blk *b, struct kts_wr *out,
    struct kts_imprint *root, unsigned *level)
{
	const uint8_t *acc = NULL;
	unsigned k;
	size_t i;
	int r;

	if (b->n == 0)
		return KTS_EINVAL;
	b->n_made = 0;
	for (k = 0; k < KTS_LS_MAX_LEVEL && (b->n >> k) != 0; k++) {
		if (!((b->n >> k) & 1))
			continue;
		if (acc == NULL) {
			acc = b->slot[k];
			continue;
		}
		if ((r = node(b, b->slot[k], acc, k + 2,
		    b->made[b->n_made])) != 0)
			return r;
		acc = b->made[b->n_made++];
	}
	kts_ls_bytes_imprint(acc, b->alg, root);
	*level = kts_ls_level(b->n);
	for (i = 0; out != NULL && (b->flags & KTS_LS_KEEP_FINAL) &&
	    i < b->n_made; i++)
		if ((r = put_hash(out, KTS_LS_TREE, b->made[i], b->ilen)) != 0)
			return r;
	b->n = 0;
	b->blocks++;
	return 0;
}

/* Record chains (spec 2.8). */

struct tree {
	uint8_t alg;
	size_t ilen;
	const uint8_t *leaves;	/* n leaves of ilen bytes */
};

static uint64_t
split(uint64_t cnt)
{
	uint64_t pow = 1;

	while (pow * 2 < cnt)
		pow *= 2;
	return pow;
}

/* Root of leaves [lo, lo + cnt): the RFC 6962 shape of spec 2.4. */
static int
subroot(const struct tree *t, uint64_t lo, uint64_t cnt, uint8_t *out)
{
	uint8_t l[KTS_IMPRINT_MAX];
	uint8_t r[KTS_IMPRINT_MAX];
	uint64_t pow;
	size_t n;
	int rc;

	if (cnt == 1) {
		memcpy(out, t->leaves + lo * t->ilen, t->ilen);
		return 0;
	}
	pow = split(cnt);
	if ((rc = subroot(t, lo, pow, l)) != 0 ||
	    (rc = subroot(t, lo + pow, cnt - pow, r)) != 0)
		return rc;
	return kts_hash_step_raw(t->alg, l, t->ilen, r, t->ilen,
	    (uint8_t)kts_ls_level(cnt), out, &n);
}

/* The ancestor steps of leaf p, top first, into steps[]. */
static int
ancestors(const struct tree *t, uint64_t n, uint64_t p,
    struct kts_ls_step *steps, size_t *k)
{
	uint8_t sib[KTS_IMPRINT_MAX];
	uint64_t lo = 0;
	uint64_t pow;
	int r;

	for (*k = 0; n > 1; (*k)++) {
		pow = split(n);
		if (p < lo + pow) {
			r = subroot(t, lo + pow, n - pow, sib);
			steps[*k].dir = KTS_LS_STEP_LEFT;
			steps[*k].corr = 0;
			n = pow;
		} else {
			r = subroot(t, lo, pow, sib);
			steps[*k].dir = KTS_LS_STEP_RIGHT;
			/* parent level - own height - 1 */
			steps[*k].corr = (uint8_t)(kts_ls_level(n) -
			    kts_ls_level(n - pow) - 1);
			lo += pow;
			n -= pow;
		}
		if (r != 0)
			return r;
		kts_ls_bytes_imprint(sib, t->alg, &steps[*k].sib);
	}
	return 0;
}

/* All leaves of a block into a new array; *mask gets record p's mask. */
static int
leaves(const struct kts_imprint *input, const uint8_t *seed, size_t seed_len,
    const struct kts_imprint *recs, const uint8_t *is_meta, uint64_t n,
    uint64_t p, uint8_t **out, uint8_t *mask)
{
	struct kts_ls_blk *b = NULL;
	uint8_t rec[KTS_IMPRINT_MAX];
	uint64_t i;
	int r;

	*out = NULL;
	if ((b = malloc(sizeof(*b))) == NULL)
		return KTS_ENOMEM;
	if ((r = kts_ls_blk_init(b, input->alg, input, 0)) != 0 ||
	    (r = kts_ls_blk_seed(b, seed, seed_len)) != 0)
		goto out;
	if ((*out = malloc((size_t)n * b->ilen)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	for (i = 0; i < n && r == 0; i++) {
		kts_imprint_bytes(&recs[i], rec);
		if ((r = kts_ls_blk_add_hash(b, rec,
		    is_meta != NULL && is_meta[i])) != 0)
			break;
		memcpy(*out + i * b->ilen, b->made[0], b->ilen);
		if (i == p)
			memcpy(mask, b->mask, b->ilen);
	}
out:
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	free(b);
	return r;
}

int
kts_ls_proof(const struct kts_imprint *input, const uint8_t *seed,
    size_t seed_len, const struct kts_imprint *recs, const uint8_t *is_meta,
    uint64_t n, uint64_t p, struct kts_ls_chain *out)
{
	struct kts_ls_step top[KTS_LS_MAX_LEVEL];
	uint8_t mask[KTS_IMPRINT_MAX];
	uint8_t *lv = NULL;
	struct tree t;
	size_t k;
	int r;

	memset(out, 0, offsetof(struct kts_ls_chain, steps));
	if (p >= n || n > KTS_LS_MAX_BLOCK_RECORDS)
		return KTS_EINVAL;
	if ((r = leaves(input, seed, seed_len, recs, is_meta, n, p, &lv,
	    mask)) != 0)
		return r;
	t.alg = input->alg;
	t.ilen = kts_imprint_size(input);
	t.leaves = lv;
	if ((r = ancestors(&t, n, p, top, &k)) != 0)
		goto out;
	out->rec = recs[p];
	out->steps[0].dir = is_meta != NULL && is_meta[p] ?
	    KTS_LS_STEP_LEFT : KTS_LS_STEP_RIGHT;
	out->steps[0].corr = 0;
	kts_ls_bytes_imprint(mask, t.alg, &out->steps[0].sib);
	for (out->n_steps = 1; k > 0; out->n_steps++)
		out->steps[out->n_steps] = top[--k];
out:
	free(lv);
	return r;
}

int
kts_ls_chain_eval(const struct kts_ls_chain *c, struct kts_imprint *root,
    unsigned *h)
{
	const struct kts_ls_step *s;
	struct kts_imprint x = c->rec;
	unsigned level = 0;
	uint8_t a[KTS_IMPRINT_MAX];
	uint8_t b[KTS_IMPRINT_MAX];
	size_t i;
	int r;

	for (i = 0; i < c->n_steps; i++) {
		s = &c->steps[i];
		level += s->corr + 1u;
		if (level > 255 || s->sib.alg != x.alg)
			return KTS_EFORMAT;
		kts_imprint_bytes(&x, a);
		kts_imprint_bytes(&s->sib, b);
		r = s->dir == KTS_LS_STEP_LEFT ?
		    kts_hash_step(x.alg, a, kts_imprint_size(&x), b,
		    kts_imprint_size(&s->sib), (uint8_t)level, &x) :
		    kts_hash_step(x.alg, b, kts_imprint_size(&s->sib), a,
		    kts_imprint_size(&x), (uint8_t)level, &x);
		if (r != 0)
			return r;
	}
	*root = x;
	*h = level;
	return 0;
}
