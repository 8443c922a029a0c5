/*
 * chain.c - aggregation and calendar hash chain arithmetic (KSI spec 4.1,
 * 4.3, 5.2, 5.3).
 */
#include "chain.h"

uint64_t
kts_highbit(uint64_t r)
{
	uint64_t h = 1;

	while (r >>= 1)
		h <<= 1;
	return h;
}

int
kts_aggr_chain_compute(const struct kts_aggr_chain *c, unsigned *level,
    struct kts_imprint *out)
{
	uint8_t h[2][KTS_IMPRINT_MAX];
	size_t hlen;
	unsigned lvl = *level;
	int cur = 0;
	size_t i;
	int r;

	/* The running value stays in bytes: two buffers, swapped per step. */
	hlen = kts_imprint_bytes(&c->input, h[0]);
	for (i = 0; i < c->n_links; i++) {
		const struct kts_aggr_link *l = &c->links[i];

		/* Spec 4.1: the level must stay within one byte. */
		if (l->corr > 255 || lvl + l->corr + 1 > 255)
			return KTS_EFORMAT;
		lvl += (unsigned)l->corr + 1;
		if (l->dir == KTS_LINK_LEFT)
			r = kts_hash_step_raw(c->alg, h[cur], hlen, l->sib,
			    l->sib_len, (uint8_t)lvl, h[!cur], &hlen);
		else
			r = kts_hash_step_raw(c->alg, l->sib, l->sib_len, h[cur],
			    hlen, (uint8_t)lvl, h[!cur], &hlen);
		if (r != 0)
			return r;
		cur = !cur;
	}
	*level = lvl;
	return kts_imprint_parse(h[cur], hlen, out);
}

int
kts_aggr_chain_shape(const struct kts_aggr_chain *c, uint64_t *out)
{
	uint64_t shape = 1;
	size_t i;

	if (c->n_links > 63)
		return KTS_EFORMAT;
	for (i = c->n_links; i > 0; i--)
		shape = (shape << 1) |
		    (c->links[i - 1].dir == KTS_LINK_LEFT ? 1u : 0u);
	*out = shape;
	return 0;
}

int
kts_cal_chain_compute(const struct kts_cal_chain *c, struct kts_imprint *out)
{
	uint8_t h[2][KTS_IMPRINT_MAX];
	uint8_t s[KTS_IMPRINT_MAX];
	const uint8_t *sib;
	size_t hlen;
	size_t slen;
	uint8_t alg = c->input.alg;
	int cur = 0;
	size_t i;
	int r;

	hlen = kts_imprint_bytes(&c->input, h[0]);
	for (i = 0; i < c->n_links; i++) {
		const struct kts_cal_link *l = &c->links[i];

		slen = 1u + l->sib.len;
		sib = l->sib_raw;
		if (sib == NULL) {
			kts_imprint_bytes(&l->sib, s);
			sib = s;
		}
		/* Spec 5.1: a node uses its right child's algorithm. */
		if (l->dir == KTS_LINK_LEFT) {
			alg = l->sib.alg;
			r = kts_hash_step_raw(alg, h[cur], hlen, sib, slen, 0xff,
			    h[!cur], &hlen);
		} else {
			r = kts_hash_step_raw(alg, sib, slen, h[cur], hlen, 0xff,
			    h[!cur], &hlen);
		}
		if (r != 0)
			return r;
		cur = !cur;
	}
	return kts_imprint_parse(h[cur], hlen, out);
}

int
kts_cal_chain_time(const struct kts_cal_chain *c, uint64_t *out)
{
	uint64_t r = c->pub_time;
	uint64_t t = 0;
	uint64_t h;
	size_t i;

	for (i = c->n_links; i > 0; i--) {
		if (r == 0)
			return KTS_EFORMAT;
		h = kts_highbit(r);
		if (c->links[i - 1].dir == KTS_LINK_LEFT) {
			r = h - 1;
		} else {
			t += h;
			r -= h;
		}
	}
	if (r != 0)
		return KTS_EFORMAT;
	*out = t;
	return 0;
}
