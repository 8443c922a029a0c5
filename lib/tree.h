/*
 * tree.h - one round's Merkle tree (KSI spec 4.2, 4.5): requests in, the
 * root and one aggregation hash chain per request out.
 *
 * Each request hash is a node at its request level.  When a request has
 * metadata (the client's identity, spec 3.5) the hash is first joined with
 * it as node(hash, metadata) one level up, the metadata on the right, as
 * Guardtime's gateway does.  Nodes are then paired level by level; a node
 * is H_alg(left || right || level) with level = max(children) + 1.
 */
#ifndef KTS_TREE_H
#define KTS_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "wr.h"

struct kts_tree;

/* One request of the round. */
struct kts_tree_leaf {
	struct kts_imprint hash;	/* the request hash */
	unsigned level;			/* its request level (0-255) */
	const uint8_t *meta;		/* metadata element VALUE bytes (from
					 * kts_meta_build), NULL for none;
					 * borrowed until kts_tree_free() */
	size_t meta_len;
};

/*
 * kts_tree_build - build the tree over n leaves (n >= 1) with alg.
 * Returns 0, KTS_EINVAL (n == 0, a level over 255 or a root that would
 * pass level 255), KTS_ENOMEM or the hasher's error.
 * Ownership: free *out with kts_tree_free().
 */
int kts_tree_build(uint8_t alg, const struct kts_tree_leaf *leaves, size_t n,
    struct kts_tree **out);
void kts_tree_free(struct kts_tree *t);

/*
 * kts_tree_root - the root imprint; *level gets its level.
 * Ownership: borrowed from t.
 */
const struct kts_imprint *kts_tree_root(const struct kts_tree *t,
    unsigned *level);

/*
 * kts_tree_chain - write leaf i's aggregation hash chain, one 0x801
 * element (spec 3.2, 4.6): aggregation time, chain index = parent_idx
 * followed by this chain's shape, input hash, algorithm, links leaf first
 * with the first link's level correction relative to the request level.
 * Returns 0, KTS_EINVAL (i out of range, no links because the request
 * is alone in the round without metadata, chain over 63 links) or the
 * writer's errors.  Servers always add metadata, so every chain has a link.
 */
int kts_tree_chain(const struct kts_tree *t, size_t i, uint64_t aggr_time,
    const uint64_t *parent_idx, size_t n_parent, struct kts_wr *out);

/*
 * kts_meta_build - the VALUE bytes of a metadata element (spec 3.5) with
 * client id, optional machine id (NULL), sequence number and request time
 * (pass has_* 0 to omit), with the padding that keeps the length even,
 * every child N+F flagged as Guardtime's services write them.
 * Returns 0 or the writer's errors.
 */
int kts_meta_build(struct kts_wr *out, const char *client_id,
    const char *machine_id, int has_seq, uint64_t seq, int has_req_time,
    uint64_t req_time_us);

#endif
