/*
 * tree.c - one round's Merkle tree and its aggregation chains (KSI spec
 * 4.2, 4.5, 4.6) and the metadata record a server adds (spec 3.5).
 *
 * Nodes live in one array: first the request nodes, then, per request
 * with metadata, its metadata node and the node joining the two, then the
 * inner nodes.  Each node knows its parent, so a chain is a walk up.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "sig.h"
#include "tlv.h"
#include "tree.h"

struct node {
	uint8_t h[KTS_IMPRINT_MAX];	/* imprint bytes (unused for metadata) */
	uint8_t hlen;
	uint8_t is_meta;	/* a metadata leaf: bytes are in meta */
	unsigned level;		/* node level (0-255) */
	size_t parent;		/* index of the parent, SIZE_MAX at the root */
	size_t left;		/* children, for inner nodes */
	size_t right;
	uint8_t is_left;	/* this node is its parent's left child */
	const uint8_t *meta;	/* metadata value bytes (is_meta) */
	size_t meta_len;
};

struct kts_tree {
	uint8_t alg;		/* aggregation algorithm */
	struct node *nodes;	/* owned */
	size_t n_nodes;
	size_t *leaf_node;	/* request i -> its node (owned) */
	size_t n_leaves;
	size_t root;		/* index of the root node */
	struct kts_imprint root_im;
};

void
kts_tree_free(struct kts_tree *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t->leaf_node);
	free(t);
}

static const uint8_t *
node_bytes(const struct node *n, size_t *len)
{
	if (n->is_meta) {
		*len = n->meta_len;
		return n->meta;
	}
	*len = n->hlen;
	return n->h;
}

/* Join nodes l and r into a new node at index at. */
static int
join(struct kts_tree *t, size_t l, size_t r, size_t at)
{
	struct node *nl = &t->nodes[l];
	struct node *nr = &t->nodes[r];
	struct node *p = &t->nodes[at];
	const uint8_t *a;
	const uint8_t *b;
	size_t alen;
	size_t blen;
	size_t hlen;
	int rc;

	p->level = (nl->level > nr->level ? nl->level : nr->level) + 1;
	if (p->level > 255)
		return KTS_EINVAL;
	a = node_bytes(nl, &alen);
	b = node_bytes(nr, &blen);
	if ((rc = kts_hash_step_raw(t->alg, a, alen, b, blen,
	    (uint8_t)p->level, p->h, &hlen)) != 0)
		return rc;
	p->hlen = (uint8_t)hlen;
	p->parent = SIZE_MAX;
	p->left = l;
	p->right = r;
	nl->parent = at;
	nl->is_left = 1;
	nr->parent = at;
	nr->is_left = 0;
	return 0;
}

/* Place request i (and its metadata) and return its top node in *top. */
static int
add_leaf(struct kts_tree *t, size_t i, const struct kts_tree_leaf *lf,
    size_t *top)
{
	struct node *n = &t->nodes[t->n_nodes];
	size_t self = t->n_nodes++;
	int r;

	if (lf->level > 255)
		return KTS_EINVAL;
	n->hlen = (uint8_t)kts_imprint_bytes(&lf->hash, n->h);
	n->level = lf->level;
	n->parent = SIZE_MAX;
	t->leaf_node[i] = self;
	*top = self;
	if (lf->meta == NULL)
		return 0;
	/* Spec 4.5: the client's hash left, its metadata right. */
	n = &t->nodes[t->n_nodes++];
	n->is_meta = 1;
	n->meta = lf->meta;
	n->meta_len = lf->meta_len;
	n->level = 0;
	if ((r = join(t, self, self + 1, t->n_nodes)) != 0)
		return r;
	*top = t->n_nodes++;
	return 0;
}

/* Pair the nodes in cur[0..n) level by level until one is left. */
static int
fold(struct kts_tree *t, size_t *cur, size_t n)
{
	size_t i;
	size_t k;
	int r;

	while (n > 1) {
		for (i = 0, k = 0; i + 1 < n; i += 2, k++) {
			if ((r = join(t, cur[i], cur[i + 1], t->n_nodes)) != 0)
				return r;
			cur[k] = t->n_nodes++;
		}
		if (i < n)
			cur[k++] = cur[i];
		n = k;
	}
	t->root = cur[0];
	return 0;
}

int
kts_tree_build(uint8_t alg, const struct kts_tree_leaf *leaves, size_t n,
    struct kts_tree **out)
{
	struct kts_tree *tmp = NULL;
	size_t *cur = NULL;
	size_t i;
	int r = KTS_ENOMEM;

	*out = NULL;
	if (n == 0 || n > KTS_MAX_ROUND_LEAVES)
		return KTS_EINVAL;
	/* n requests, n metadata, n joins, n - 1 inner nodes at most. */
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->nodes = calloc(4 * n, sizeof(*tmp->nodes))) == NULL ||
	    (tmp->leaf_node = calloc(n, sizeof(*tmp->leaf_node))) == NULL ||
	    (cur = calloc(n, sizeof(*cur))) == NULL)
		goto out;
	tmp->alg = alg;
	tmp->n_leaves = n;
	for (i = 0; i < n; i++)
		if ((r = add_leaf(tmp, i, &leaves[i], &cur[i])) != 0)
			goto out;
	if ((r = fold(tmp, cur, n)) != 0 ||
	    (r = kts_imprint_parse(tmp->nodes[tmp->root].h,
	    tmp->nodes[tmp->root].hlen, &tmp->root_im)) != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	free(cur);
	kts_tree_free(tmp);
	return r;
}

const struct kts_imprint *
kts_tree_root(const struct kts_tree *t, unsigned *level)
{
	*level = t->nodes[t->root].level;
	return &t->root_im;
}

/* One link: direction, level correction and the sibling's element. */
static int
put_link(struct kts_wr *wr, const struct node *self, const struct node *sib,
    unsigned corr)
{
	size_t m;
	size_t len;
	const uint8_t *b;
	int r;

	if ((r = kts_wr_tlv_begin(wr, self->is_left ? KTS_LINK_LEFT :
	    KTS_LINK_RIGHT, 0, &m)) != 0)
		return r;
	if (corr > 0 && (r = kts_wr_tlv_u64(wr, 0x01, 0, corr)) != 0)
		return r;
	b = node_bytes(sib, &len);
	if ((r = kts_wr_tlv(wr, sib->is_meta ? 0x04 : 0x02, 0, b, len)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_links(const struct kts_tree *t, size_t i, struct kts_wr *wr,
    uint64_t *shape)
{
	size_t k = t->leaf_node[i];
	uint64_t bits = 0;
	unsigned depth = 0;
	int r;

	/* Spec 4.2: corrections are parent level - child level - 1; for the
	 * request node the child level is its request level. */
	while (t->nodes[k].parent != SIZE_MAX) {
		const struct node *n = &t->nodes[k];
		const struct node *p = &t->nodes[n->parent];
		size_t sib = n->is_left ? p->right : p->left;

		if (depth >= 63)
			return KTS_EINVAL;	/* shape must fit 64 bits */
		if ((r = put_link(wr, n, &t->nodes[sib],
		    p->level - n->level - 1)) != 0)
			return r;
		bits |= (uint64_t)(n->is_left ? 1 : 0) << depth;
		depth++;
		k = n->parent;
	}
	if (depth == 0)
		return KTS_EINVAL;	/* spec 3.2: at least one link */
	*shape = bits | (uint64_t)1 << depth;
	return 0;
}

int
kts_tree_chain(const struct kts_tree *t, size_t i, uint64_t aggr_time,
    const uint64_t *parent_idx, size_t n_parent, struct kts_wr *out)
{
	struct kts_wr links;
	uint64_t shape = 0;
	size_t m;
	size_t j;
	int r;

	if (i >= t->n_leaves)
		return KTS_EINVAL;
	/* Links first (the shape goes before them in the element). */
	kts_wr_init(&links, KTS_MAX_TLV_VALUE);
	if ((r = put_links(t, i, &links, &shape)) != 0)
		goto out;
	if ((r = kts_wr_tlv_begin(out, KTS_TAG_AGGR_CHAIN, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(out, 0x02, 0, aggr_time)) != 0)
		goto out;
	for (j = 0; j < n_parent; j++)
		if ((r = kts_wr_tlv_u64(out, 0x03, 0, parent_idx[j])) != 0)
			goto out;
	if ((r = kts_wr_tlv_u64(out, 0x03, 0, shape)) != 0 ||
	    (r = kts_wr_tlv(out, 0x05, 0, t->nodes[t->leaf_node[i]].h,
	    t->nodes[t->leaf_node[i]].hlen)) != 0 ||
	    (r = kts_wr_tlv_u64(out, 0x06, 0, t->alg)) != 0 ||
	    (r = kts_wr_put(out, links.p, links.len)) != 0)
		goto out;
	r = kts_wr_tlv_end(out, m);
out:
	kts_wr_free(&links);
	return r;
}

int
kts_meta_build(struct kts_wr *out, const char *client_id,
    const char *machine_id, int has_seq, uint64_t seq, int has_req_time,
    uint64_t req_time_us)
{
	const uint8_t nf = KTS_TLV_N | KTS_TLV_F;
	struct kts_wr body;
	static const uint8_t pad1[] = { 0x01 };
	static const uint8_t pad2[] = { 0x01, 0x01 };
	int r;

	/* Spec 3.5 recipe: measure with a 2-byte placeholder padding, then
	 * pick the padding value that makes the total length even. */
	kts_wr_init(&body, KTS_MAX_TLV_VALUE);
	if ((r = kts_wr_tlv_str(&body, 0x01, nf, client_id)) != 0 ||
	    (machine_id != NULL &&
	    (r = kts_wr_tlv_str(&body, 0x02, nf, machine_id)) != 0) ||
	    (has_seq && (r = kts_wr_tlv_u64(&body, 0x03, nf, seq)) != 0) ||
	    (has_req_time &&
	    (r = kts_wr_tlv_u64(&body, 0x04, nf, req_time_us)) != 0))
		goto out;
	if ((2 + body.len) % 2 == 0)
		r = kts_wr_tlv(out, 0x1e, nf, pad2, sizeof(pad2));
	else
		r = kts_wr_tlv(out, 0x1e, nf, pad1, sizeof(pad1));
	if (r == 0)
		r = kts_wr_put(out, body.p, body.len);
out:
	kts_wr_free(&body);
	return r;
}
