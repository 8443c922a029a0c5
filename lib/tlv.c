/*
 * tlv.c - TLV8/TLV16 decoding and canonical encoding (KSI spec 1).
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "tlv.h"

void
kts_rawlist_free(struct kts_rawlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
kts_rawlist_add(struct kts_rawlist *l, const uint8_t *p, size_t len)
{
	struct kts_raw *nv;

	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return KTS_ENOMEM;
	l->v = nv;
	l->v[l->n].p = p;
	l->v[l->n].len = len;
	l->n++;
	return 0;
}

int
kts_tlv_read(struct kts_rd *rd, struct kts_tlv *out)
{
	const uint8_t *h = rd->p + rd->off;
	size_t left = rd->len - rd->off;
	size_t hlen = 2;
	size_t len;

	/* One bounds check per field; this is the parser's hottest loop. */
	if (left < 2)
		return KTS_ETRUNC;
	if (h[0] & KTS_TLV_16) {
		if (left < 4)
			return KTS_ETRUNC;
		out->tag = (uint16_t)(((h[0] & 0x1f) << 8) | h[1]);
		len = (size_t)h[2] << 8 | h[3];
		hlen = 4;
	} else {
		out->tag = h[0] & 0x1f;
		len = h[1];
	}
	if (len > left - hlen)
		return KTS_ETRUNC;
	out->flags = h[0] & (KTS_TLV_16 | KTS_TLV_N | KTS_TLV_F);
	out->hdr = h;
	out->hdr_len = hlen;
	out->val = h + hlen;
	out->len = len;
	rd->off += hlen + len;
	return 0;
}

size_t
kts_tlv_size(const struct kts_tlv *t)
{
	return t->hdr_len + t->len;
}

int
kts_tlv_parse(const uint8_t *p, size_t len, struct kts_tlv *out,
    struct kts_perr *perr)
{
	struct kts_rd rd;
	int r;

	kts_rd_init(&rd, p, len);
	if ((r = kts_tlv_read(&rd, out)) != 0) {
		uint32_t tag = 0;

		/* Name the element when its header is complete. */
		if (len >= 2 && !(p[0] & KTS_TLV_16))
			tag = p[0] & 0x1f;
		else if (len >= 4)
			tag = (uint32_t)((p[0] & 0x1f) << 8 | p[1]);
		return kts_perr_set(perr, r, 0, tag, len < 2 ||
		    ((p[0] & KTS_TLV_16) && len < 4) ?
		    "the input ends inside the first element's header" :
		    "the element's length runs past the end of the input");
	}
	if (kts_rd_expect_end(&rd) != 0)
		return kts_perr_set(perr, KTS_EFORMAT, rd.off, 0,
		    "trailing bytes after the element");
	return 0;
}

int
kts_tlv_u64(const struct kts_tlv *t, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	/* KSI spec 1.4: at most 8 bytes, minimal (no leading zero). */
	if (t->len > 8 || (t->len > 0 && t->val[0] == 0))
		return KTS_EFORMAT;
	for (i = 0; i < t->len; i++)
		v = (v << 8) | t->val[i];
	*out = v;
	return 0;
}

static size_t
utf8_seq_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc0 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

int
kts_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	size_t k;
	size_t j;

	while (i < n) {
		if ((k = utf8_seq_len(p[i])) == 0 || k > n - i)
			return 0;
		for (j = 1; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

int
kts_tlv_str(const struct kts_tlv *t, const char **out)
{
	/* KSI spec 1.4: terminator is part of the value; no inner zero. */
	if (t->len < 1 || t->val[t->len - 1] != 0)
		return KTS_EFORMAT;
	if (memchr(t->val, 0, t->len - 1) != NULL)
		return KTS_EFORMAT;
	if (!kts_utf8_valid(t->val, t->len - 1))
		return KTS_EFORMAT;
	*out = (const char *)t->val;
	return 0;
}

int
kts_pfail(struct kts_pctx *pc, int r, const struct kts_tlv *t,
    const char *what)
{
	size_t off = 0;

	if (t != NULL && pc->base != NULL)
		off = (size_t)(t->hdr - pc->base);
	return kts_perr_set(pc->perr, r, off, t != NULL ? t->tag : 0, what);
}

int
kts_tlv_get_u64(const struct kts_tlv *t, struct kts_pctx *pc, uint64_t *out)
{
	if (kts_tlv_u64(t, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "integer longer than 8 bytes or with a leading zero byte");
	return 0;
}

static const struct kts_tlv_rule *
find_rule(const struct kts_tlv_rule *rules, size_t n, uint16_t tag, size_t *idx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rules[i].tag == tag) {
			*idx = i;
			return &rules[i];
		}
	}
	return NULL;
}

static int
walk_child(const struct kts_tlv *c, const struct kts_tlv_rule *rules,
    size_t nrules, uint8_t *seen, void *ctx, struct kts_rawlist *keep,
    struct kts_pctx *pc)
{
	const struct kts_tlv_rule *rule;
	size_t idx;

	if ((rule = find_rule(rules, nrules, c->tag, &idx)) == NULL) {
		if (!(c->flags & KTS_TLV_N))
			return kts_pfail(pc, KTS_EFORMAT, c,
			    "unknown critical element");
		if (keep != NULL && kts_rawlist_add(keep, c->hdr,
		    kts_tlv_size(c)) != 0)
			return KTS_ENOMEM;
		return 0;
	}
	if (seen[idx] && !(rule->flags & KTS_R_LIST))
		return kts_pfail(pc, KTS_EFORMAT, c, "element repeated");
	seen[idx] = 1;
	return rule->fn(ctx, c, pc);
}

int
kts_tlv_walk(const struct kts_tlv *parent, const struct kts_tlv_rule *rules,
    size_t nrules, void *ctx, struct kts_rawlist *keep, struct kts_pctx *pc)
{
	uint8_t seen[32] = { 0 };
	struct kts_tlv c;
	struct kts_rd rd;
	size_t i;
	int r = 0;

	if (nrules > sizeof(seen) || pc->depth >= KTS_MAX_TLV_DEPTH)
		return kts_pfail(pc, KTS_EFORMAT, parent, "nesting too deep");
	pc->depth++;
	kts_rd_init(&rd, parent->val, parent->len);
	while (r == 0 && kts_rd_left(&rd) > 0) {
		if (kts_tlv_read(&rd, &c) != 0) {
			c.hdr = parent->val + rd.off;
			c.tag = parent->tag;
			r = kts_pfail(pc, KTS_EFORMAT, &c,
			    "child element runs past its parent's end");
			break;
		}
		r = walk_child(&c, rules, nrules, seen, ctx, keep, pc);
	}
	pc->depth--;
	for (i = 0; r == 0 && i < nrules; i++)
		if ((rules[i].flags & KTS_R_MANDATORY) && !seen[i])
			r = kts_pfail(pc, KTS_EFORMAT, parent,
			    "mandatory element missing");
	if (r == KTS_EFORMAT && pc->perr != NULL && pc->perr->tag == 0)
		pc->perr->tag = parent->tag;
	return r;
}

int
kts_wr_tlv_begin(struct kts_wr *wr, uint16_t tag, uint8_t flags,
    size_t *mark)
{
	uint8_t hdr[4];

	*mark = wr->len;
	if (tag > KTS_TLV_MAX_TAG)	/* as kts_wr_tlv: 13 tag bits */
		return KTS_ETOOBIG;
	flags &= KTS_TLV_N | KTS_TLV_F;
	if (tag <= 0x1f) {
		hdr[0] = (uint8_t)(flags | tag);
		hdr[1] = 0;
		return kts_wr_put(wr, hdr, 2);
	}
	hdr[0] = (uint8_t)(KTS_TLV_16 | flags | (tag >> 8));
	hdr[1] = (uint8_t)(tag & 0xff);
	hdr[2] = 0;
	hdr[3] = 0;
	return kts_wr_put(wr, hdr, 4);
}

int
kts_wr_tlv_end(struct kts_wr *wr, size_t mark)
{
	uint8_t *h = wr->p + mark;
	size_t vlen;
	uint8_t b0;
	int r;

	if (h[0] & KTS_TLV_16) {
		vlen = wr->len - mark - 4;
		if (vlen > KTS_MAX_TLV_VALUE)
			return KTS_ETOOBIG;
		h[2] = (uint8_t)(vlen >> 8);
		h[3] = (uint8_t)vlen;
		return 0;
	}
	vlen = wr->len - mark - 2;
	if (vlen <= 255) {
		h[1] = (uint8_t)vlen;
		return 0;
	}
	if (vlen > KTS_MAX_TLV_VALUE)
		return KTS_ETOOBIG;
	b0 = h[0];
	if ((r = kts_wr_insert(wr, mark + 2, 2)) != 0)
		return r;
	h = wr->p + mark;
	h[0] = (uint8_t)(KTS_TLV_16 | (b0 & 0x60));
	h[1] = (uint8_t)(b0 & 0x1f);
	h[2] = (uint8_t)(vlen >> 8);
	h[3] = (uint8_t)vlen;
	return 0;
}

int
kts_wr_tlv(struct kts_wr *wr, uint16_t tag, uint8_t flags, const void *val,
    size_t len)
{
	uint8_t hdr[4];
	size_t n;
	int r;

	if (len > KTS_MAX_TLV_VALUE || tag > KTS_TLV_MAX_TAG)
		return KTS_ETOOBIG;
	flags &= KTS_TLV_N | KTS_TLV_F;
	if (tag <= 0x1f && len <= 255) {
		hdr[0] = (uint8_t)(flags | tag);
		hdr[1] = (uint8_t)len;
		n = 2;
	} else {
		hdr[0] = (uint8_t)(KTS_TLV_16 | flags | (tag >> 8));
		hdr[1] = (uint8_t)(tag & 0xff);
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		n = 4;
	}
	if ((r = kts_wr_put(wr, hdr, n)) != 0)
		return r;
	return kts_wr_put(wr, val, len);
}

int
kts_wr_tlv_u64(struct kts_wr *wr, uint16_t tag, uint8_t flags, uint64_t v)
{
	uint8_t b[8];
	size_t n = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		uint8_t x = (uint8_t)(v >> (8 * i));

		if (n > 0 || x != 0)
			b[n++] = x;
	}
	return kts_wr_tlv(wr, tag, flags, b, n);
}

int
kts_wr_tlv_str(struct kts_wr *wr, uint16_t tag, uint8_t flags, const char *s)
{
	return kts_wr_tlv(wr, tag, flags, s, strlen(s) + 1);
}
