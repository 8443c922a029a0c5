/*
 * logsig_fmt.c - log signature file kinds, the top-level element reader,
 * the writers and the KSISTAT10 state file (spec/logsig.md 1.1-1.6).
 *
 * Invariants: every element is read through struct kts_rd; a failed read
 * leaves the reader where it was and names the offset, the tag and the
 * defect in r->err.  Integers are accepted at any length 0..8 with
 * leading zeros (rsyslog writes a one-byte algorithm id, spec 1.2); they
 * are written minimal.
 */
#include <string.h>

#include "logsig.h"
#include "rd.h"
#include "tlv.h"

static const struct {
	const char *magic;
	size_t len;
	enum kts_ls_kind kind;
} magics[] = {
	{ "LOGSIG11", 8, KTS_LS_LOGSIG11 },
	{ "LOGSIG12", 8, KTS_LS_LOGSIG12 },
	{ "LOG12BLK", 8, KTS_LS_LOG12BLK },
	{ "LOG12SIG", 8, KTS_LS_LOG12SIG },
	{ "RECSIG11", 8, KTS_LS_RECSIG11 },
	{ "RECSIG12", 8, KTS_LS_RECSIG12 },
	{ "KSISTAT10", 9, KTS_LS_KSISTAT10 },
};
#define N_MAGICS (sizeof(magics) / sizeof(magics[0]))

int
kts_ls_magic(const uint8_t *p, size_t n, enum kts_ls_kind *kind,
    size_t *mlen)
{
	size_t i;

	*kind = KTS_LS_UNKNOWN;
	*mlen = 0;
	if (n < 8)
		return KTS_ETRUNC;
	/* spec 1.1: 8 bytes decide, "KSISTAT1" needs a ninth. */
	if (memcmp(p, "KSISTAT1", 8) == 0 && n < 9)
		return KTS_ETRUNC;
	for (i = 0; i < N_MAGICS; i++) {
		if (memcmp(p, magics[i].magic, magics[i].len) == 0) {
			*kind = magics[i].kind;
			*mlen = magics[i].len;
			return 0;
		}
	}
	return KTS_EFORMAT;
}

const char *
kts_ls_kind_name(enum kts_ls_kind kind)
{
	size_t i;

	for (i = 0; i < N_MAGICS; i++)
		if (magics[i].kind == kind)
			return magics[i].magic;
	return "unknown";
}

/* Parse state of one element: the pctx plus presence bits. */
struct pe {
	struct kts_ls_elem *e;
	struct kts_pctx *pc;
	unsigned seen;		/* bit per child found */
	struct kts_ls_step *step;	/* the step being filled (0x907) */
	struct kts_ls_meta *meta;	/* the metarecord being filled */
};

/* An INT of any length 0..8 (spec 1.2), leading zeros allowed. */
static int
get_int(const struct kts_tlv *t, struct kts_pctx *pc, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->len > 8)
		return kts_pfail(pc, KTS_EFORMAT, t, "integer over 8 bytes");
	for (i = 0; i < t->len; i++)
		v = v << 8 | t->val[i];
	*out = v;
	return 0;
}

static int
get_imprint(const struct kts_tlv *t, struct kts_pctx *pc,
    struct kts_imprint *out)
{
	if (kts_imprint_parse(t->val, t->len, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "malformed imprint");
	return 0;
}

static int
need(struct pe *pe, const struct kts_tlv *t, unsigned bits, const char *what)
{
	if ((pe->seen & bits) != bits)
		return kts_pfail(pe->pc, KTS_EFORMAT, t, what);
	return 0;
}

/* 0x901 */
static int
hdr_alg(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;
	uint64_t v = 0;
	int r;

	if ((r = get_int(t, pc, &v)) != 0)
		return r;
	if (v > 0xff || kts_hash_get((uint8_t)v) == NULL)
		return kts_pfail(pc, KTS_EFORMAT, t, "unknown hash algorithm");
	pe->e->u.hdr.alg = (uint8_t)v;
	pe->seen |= 1;
	return 0;
}

static int
hdr_seed(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	if (t->len == 0 || t->len > KTS_LS_MAX_SEED)
		return kts_pfail(pc, KTS_EFORMAT, t, "seed length out of range");
	pe->e->u.hdr.seed = t->val;
	pe->e->u.hdr.seed_len = t->len;
	pe->seen |= 2;
	return 0;
}

static int
hdr_input(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 4;
	return get_imprint(t, pc, &pe->e->u.hdr.input);
}

static const struct kts_tlv_rule hdr_rules[] = {
	{ 0x01, 0, hdr_alg },
	{ 0x02, 0, hdr_seed },
	{ 0x03, 0, hdr_input },
};

static int
parse_hdr(struct pe *pe, const struct kts_tlv *t)
{
	int r;

	if ((r = kts_tlv_walk(t, hdr_rules, 3, pe, NULL, pe->pc)) != 0 ||
	    (r = need(pe, t, 1, "missing hash algorithm (01)")) != 0 ||
	    (r = need(pe, t, 2, "missing seed (02)")) != 0 ||
	    (r = need(pe, t, 4, "missing input hash (03)")) != 0)
		return r;
	return 0;
}

/* 0x911 and its pair */
static int
pair_key(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->meta->key = t->val;
	pe->meta->key_len = t->len;
	pe->seen |= 8;
	return 0;
}

static int
pair_val(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->meta->val = t->val;
	pe->meta->val_len = t->len;
	pe->seen |= 16;
	return 0;
}

static const struct kts_tlv_rule pair_rules[] = {
	{ 0x01, 0, pair_key },
	{ 0x02, 0, pair_val },
};

static int
meta_index(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 1;
	return get_int(t, pc, &pe->meta->index);
}

static int
meta_pair(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;
	int r;

	pe->seen |= 2;
	if ((r = kts_tlv_walk(t, pair_rules, 2, pe, NULL, pc)) != 0 ||
	    (r = need(pe, t, 8, "missing metarecord key (01)")) != 0)
		return r;
	return need(pe, t, 16, "missing metarecord value (02)");
}

static const struct kts_tlv_rule meta_rules[] = {
	{ 0x01, 0, meta_index },
	{ 0x02, 0, meta_pair },
};

static int
parse_meta(struct pe *pe, const struct kts_tlv *t, struct kts_ls_meta *m)
{
	unsigned seen = pe->seen;
	int r;

	memset(m, 0, sizeof(*m));
	pe->meta = m;
	pe->seen = 0;
	if ((r = kts_tlv_walk(t, meta_rules, 2, pe, NULL, pe->pc)) == 0 &&
	    (r = need(pe, t, 1, "missing metarecord index (01)")) == 0)
		r = need(pe, t, 2, "missing metarecord key/value pair (02)");
	pe->seen = seen;
	m->raw = t->hdr;
	m->raw_len = kts_tlv_size(t);
	return r;
}

/* 0x904 */
static int
bsig_count(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 1;
	return get_int(t, pc, &pe->e->u.bsig.count);
}

static int
nosig_root(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 16;
	return get_imprint(t, pc, &pe->e->u.bsig.root);
}

static int
nosig_text(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	if (kts_tlv_str(t, &pe->e->u.bsig.text) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "malformed error text");
	return 0;
}

static const struct kts_tlv_rule nosig_rules[] = {
	{ 0x01, 0, nosig_root },
	{ 0x02, 0, nosig_text },
};

static int
bsig_body(struct pe *pe, const struct kts_tlv *t, enum kts_ls_sigkind k)
{
	if (pe->seen & 2)
		return kts_pfail(pe->pc, KTS_EFORMAT, t,
		    "more than one signature in a block signature");
	pe->seen |= 2;
	pe->e->u.bsig.kind = k;
	pe->e->u.bsig.sig = t->val;
	pe->e->u.bsig.sig_len = t->len;
	return 0;
}

static int
bsig_nosig(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;
	int r;

	if ((r = bsig_body(pe, t, KTS_LS_SIG_NONE)) != 0 ||
	    (r = kts_tlv_walk(t, nosig_rules, 2, pe, NULL, pc)) != 0)
		return r;
	return need(pe, t, 16, "missing unsigned block root (01)");
}

static int
bsig_ksi(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return bsig_body(ctx, t, KTS_LS_SIG_KSI);
}

static int
bsig_rfc(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return bsig_body(ctx, t, KTS_LS_SIG_RFC3161);
}

static const struct kts_tlv_rule bsig_rules[] = {
	{ 0x01, 0, bsig_count },
	{ 0x02, 0, bsig_nosig },
	{ KTS_LS_KSI, 0, bsig_ksi },
	{ KTS_LS_RFC3161, 0, bsig_rfc },
};

static int
parse_bsig(struct pe *pe, const struct kts_tlv *t)
{
	int r;

	if ((r = kts_tlv_walk(t, bsig_rules, 4, pe, NULL, pe->pc)) != 0 ||
	    (r = need(pe, t, 1, "missing record count (01)")) != 0)
		return r;
	return need(pe, t, 2, "missing signature (0x905, 02 or 0x906)");
}

/* 0x907 */
static int
step_corr(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;
	uint64_t v = 0;
	int r;

	if ((r = get_int(t, pc, &v)) != 0)
		return r;
	if (v > 0xff)
		return kts_pfail(pc, KTS_EFORMAT, t, "level correction over 255");
	pe->step->corr = (uint8_t)v;
	return 0;
}

static int
step_sib(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 32;
	return get_imprint(t, pc, &pe->step->sib);
}

static const struct kts_tlv_rule step_rules[] = {
	{ 0x01, 0, step_corr },
	{ 0x02, 0, step_sib },
};

static int
chain_step(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;
	struct kts_ls_chain *c = &pe->e->u.chain;
	int r;

	if (c->n_steps >= KTS_LS_MAX_STEPS)
		return kts_pfail(pc, KTS_ETOOBIG, t, "too many chain steps");
	pe->step = &c->steps[c->n_steps];
	memset(pe->step, 0, sizeof(*pe->step));
	pe->step->dir = (uint8_t)t->tag;
	pe->seen &= ~32u;
	if ((r = kts_tlv_walk(t, step_rules, 2, pe, NULL, pc)) != 0 ||
	    (r = need(pe, t, 32, "missing sibling hash (02)")) != 0)
		return r;
	c->n_steps++;
	return 0;
}

static int
chain_rec(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->seen |= 1;
	return get_imprint(t, pc, &pe->e->u.chain.rec);
}

static int
chain_meta(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct pe *pe = ctx;

	pe->e->u.chain.has_meta = 1;
	return parse_meta(pe, t, &pe->e->u.chain.meta);
}

static const struct kts_tlv_rule chain_rules[] = {
	{ 0x01, 0, chain_rec },
	{ 0x02, KTS_R_LIST, chain_step },
	{ 0x03, KTS_R_LIST, chain_step },
	{ KTS_LS_META, 0, chain_meta },
};

static int
parse_chain(struct pe *pe, const struct kts_tlv *t)
{
	int r;

	pe->e->u.chain.n_steps = 0;
	pe->e->u.chain.has_meta = 0;
	if ((r = kts_tlv_walk(t, chain_rules, 4, pe, NULL, pe->pc)) != 0)
		return r;
	return need(pe, t, 1, "missing record hash (01)");
}

/* Which top-level elements each file kind may hold. */
static int
allowed(enum kts_ls_kind k, uint16_t tag)
{
	switch (tag) {
	case KTS_LS_HDR: case KTS_LS_REC: case KTS_LS_TREE: case KTS_LS_META:
		return k == KTS_LS_LOGSIG11 || k == KTS_LS_LOGSIG12 ||
		    k == KTS_LS_LOG12BLK;
	case KTS_LS_BSIG:
		return k != KTS_LS_RECSIG11 && k != KTS_LS_RECSIG12;
	case KTS_LS_KSI: case KTS_LS_CHAIN:
		return k == KTS_LS_RECSIG11 || k == KTS_LS_RECSIG12;
	default:
		return 0;
	}
}

static int
parse_elem(struct pe *pe, const struct kts_tlv *t)
{
	struct kts_ls_elem *e = pe->e;

	switch (t->tag) {
	case KTS_LS_HDR:
		return parse_hdr(pe, t);
	case KTS_LS_REC:
	case KTS_LS_TREE:
		return get_imprint(t, pe->pc, &e->u.hash);
	case KTS_LS_META:
		return parse_meta(pe, t, &e->u.meta);
	case KTS_LS_BSIG:
		return parse_bsig(pe, t);
	case KTS_LS_CHAIN:
		return parse_chain(pe, t);
	default:	/* KTS_LS_KSI at top level */
		e->u.ksi.p = t->val;
		e->u.ksi.len = t->len;
		return 0;
	}
}

int
kts_ls_reader_init(struct kts_ls_reader *r, const uint8_t *p, size_t n)
{
	size_t mlen;
	int rc;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = n;
	if ((rc = kts_ls_magic(p, n, &r->kind, &mlen)) != 0)
		return kts_perr_set(&r->err, rc, 0, 0, rc == KTS_ETRUNC ?
		    "file shorter than a magic" : "unknown file magic");
	if (r->kind == KTS_LS_KSISTAT10)
		return kts_perr_set(&r->err, KTS_EFORMAT, 0, 0,
		    "a state file, not a log signature file");
	r->off = mlen;
	return 0;
}

/* The tag of a partial header, for the error (0 if not even that). */
static uint32_t
peek_tag(const uint8_t *h, size_t left)
{
	if (left >= 2 && (h[0] & KTS_TLV_16))
		return (uint32_t)((h[0] & 0x1f) << 8 | h[1]);
	return left >= 1 ? h[0] & 0x1fu : 0;
}

/* Read the element at r->off into e without moving r->off. */
static int
read_at(struct kts_ls_reader *r, struct kts_ls_elem *e, size_t *next)
{
	struct kts_pctx pc = { r->p, &r->err, 0 };
	struct pe pe = { e, &pc, 0, NULL, NULL };
	struct kts_rd rd;
	struct kts_tlv t;

	memset(&r->err, 0, sizeof(r->err));
	e->tag = 0;
	e->off = r->off;
	*next = r->off;
	for (;;) {
		kts_rd_init(&rd, r->p, r->len);
		rd.off = *next;
		if (kts_rd_left(&rd) == 0)
			return 0;
		if (kts_tlv_read(&rd, &t) != 0)
			return kts_perr_set(&r->err, KTS_ETRUNC, *next,
			    peek_tag(r->p + *next, r->len - *next),
			    "element runs past the end of the file");
		e->off = *next;
		*next = rd.off;
		if (allowed(r->kind, t.tag))
			break;
		if (!(t.flags & KTS_TLV_N))
			return kts_pfail(&pc, KTS_EFORMAT, &t,
			    "unknown critical element (or one this file kind "
			    "may not hold)");
	}
	e->tag = t.tag;
	e->raw = t.hdr;
	e->raw_len = kts_tlv_size(&t);
	return parse_elem(&pe, &t);
}

int
kts_ls_next(struct kts_ls_reader *r, struct kts_ls_elem *e)
{
	size_t next;
	int rc;

	if ((rc = read_at(r, e, &next)) != 0)
		return rc;
	r->off = next;
	return 0;
}

int
kts_ls_peek(struct kts_ls_reader *r, struct kts_ls_elem *e)
{
	size_t next;

	return read_at(r, e, &next);
}

/* Writers. */

int
kts_ls_wr_magic(struct kts_wr *wr, enum kts_ls_kind kind)
{
	size_t i;

	for (i = 0; i < N_MAGICS; i++)
		if (magics[i].kind == kind)
			return kts_wr_put(wr, magics[i].magic, magics[i].len);
	return KTS_EINVAL;
}

static int
wr_imprint(struct kts_wr *wr, uint16_t tag, const struct kts_imprint *im)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t n = kts_imprint_bytes(im, b);

	return kts_wr_tlv(wr, tag, 0, b, n);
}

int
kts_ls_wr_hdr(struct kts_wr *wr, const struct kts_ls_hdr *h)
{
	size_t mark;
	int r;

	if (h->seed_len == 0 || h->seed_len > KTS_LS_MAX_SEED)
		return KTS_EINVAL;
	if ((r = kts_wr_tlv_begin(wr, KTS_LS_HDR, 0, &mark)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, h->alg)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x02, 0, h->seed, h->seed_len)) != 0 ||
	    (r = wr_imprint(wr, 0x03, &h->input)) != 0)
		return r;
	return kts_wr_tlv_end(wr, mark);
}

int
kts_ls_wr_hash(struct kts_wr *wr, uint16_t tag, const struct kts_imprint *im)
{
	if (tag != KTS_LS_REC && tag != KTS_LS_TREE)
		return KTS_EINVAL;
	return wr_imprint(wr, tag, im);
}

int
kts_ls_wr_meta(struct kts_wr *wr, uint64_t index, const char *key,
    const char *val)
{
	size_t mark;
	size_t pair;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_LS_META, 0, &mark)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, index)) != 0 ||
	    (r = kts_wr_tlv_begin(wr, 0x02, 0, &pair)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x01, 0, key, strlen(key) + 1)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x02, 0, val, strlen(val) + 1)) != 0 ||
	    (r = kts_wr_tlv_end(wr, pair)) != 0)
		return r;
	return kts_wr_tlv_end(wr, mark);
}

static int
wr_nosig(struct kts_wr *wr, const struct kts_ls_bsig *b)
{
	size_t mark;
	int r;

	if ((r = kts_wr_tlv_begin(wr, 0x02, 0, &mark)) != 0 ||
	    (r = wr_imprint(wr, 0x01, &b->root)) != 0)
		return r;
	if (b->text != NULL &&
	    (r = kts_wr_tlv(wr, 0x02, 0, b->text, strlen(b->text) + 1)) != 0)
		return r;
	return kts_wr_tlv_end(wr, mark);
}

int
kts_ls_wr_bsig(struct kts_wr *wr, const struct kts_ls_bsig *b)
{
	size_t mark;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_LS_BSIG, 0, &mark)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, b->count)) != 0)
		return r;
	switch (b->kind) {
	case KTS_LS_SIG_NONE:
		r = wr_nosig(wr, b);
		break;
	case KTS_LS_SIG_KSI:
		r = kts_wr_tlv(wr, KTS_LS_KSI, 0, b->sig, b->sig_len);
		break;
	case KTS_LS_SIG_RFC3161:
		r = kts_wr_tlv(wr, KTS_LS_RFC3161, 0, b->sig, b->sig_len);
		break;
	default:
		r = KTS_EINVAL;
		break;
	}
	if (r != 0)
		return r;
	return kts_wr_tlv_end(wr, mark);
}

int
kts_ls_wr_ksi(struct kts_wr *wr, const uint8_t *sig, size_t len)
{
	return kts_wr_tlv(wr, KTS_LS_KSI, 0, sig, len);
}

static int
wr_step(struct kts_wr *wr, const struct kts_ls_step *s)
{
	size_t mark;
	int r;

	if (s->dir != KTS_LS_STEP_LEFT && s->dir != KTS_LS_STEP_RIGHT)
		return KTS_EINVAL;
	if ((r = kts_wr_tlv_begin(wr, s->dir, 0, &mark)) != 0)
		return r;
	/* spec 1.3: the correction is omitted when it is 0. */
	if (s->corr != 0 && (r = kts_wr_tlv_u64(wr, 0x01, 0, s->corr)) != 0)
		return r;
	if ((r = wr_imprint(wr, 0x02, &s->sib)) != 0)
		return r;
	return kts_wr_tlv_end(wr, mark);
}

int
kts_ls_wr_chain(struct kts_wr *wr, const struct kts_ls_chain *c)
{
	size_t mark;
	size_t i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_LS_CHAIN, 0, &mark)) != 0 ||
	    (r = wr_imprint(wr, 0x01, &c->rec)) != 0)
		return r;
	if (c->has_meta &&
	    (r = kts_wr_put(wr, c->meta.raw, c->meta.raw_len)) != 0)
		return r;
	for (i = 0; i < c->n_steps; i++)
		if ((r = wr_step(wr, &c->steps[i])) != 0)
			return r;
	return kts_wr_tlv_end(wr, mark);
}

/* State file (spec 1.6). */

int
kts_ls_state_parse(const uint8_t *p, size_t n, struct kts_imprint *out,
    struct kts_perr *perr)
{
	const struct kts_hash_alg *a;
	struct kts_rd rd;
	const uint8_t *d;
	uint8_t alg;
	uint8_t len;

	memset(out, 0, sizeof(*out));
	kts_rd_init(&rd, p, n);
	if (n >= 9 && memcmp(p, "KSISTAT10", 9) != 0)
		return kts_perr_set(perr, KTS_EFORMAT, 0, 0, "unknown magic");
	if (kts_rd_bytes(&rd, 9, &d) != 0)
		return kts_perr_set(perr, memcmp(p, "KSISTAT10", n) == 0 ?
		    KTS_ETRUNC : KTS_EFORMAT, 0, 0, "file shorter than a magic");
	if (kts_rd_u8(&rd, &alg) != 0)
		return kts_perr_set(perr, KTS_ETRUNC, 9, 0, "missing algorithm");
	if ((a = kts_hash_get(alg)) == NULL || !kts_hash_trusted(alg))
		return kts_perr_set(perr, KTS_ECRYPTO, 9, 0,
		    "unknown or untrusted hash algorithm");
	if (kts_rd_u8(&rd, &len) != 0)
		return kts_perr_set(perr, KTS_ETRUNC, 10, 0, "missing length");
	if (len != a->len)
		return kts_perr_set(perr, KTS_EFORMAT, 10, 0,
		    "length is not the algorithm's digest length");
	if (kts_rd_bytes(&rd, len, &d) != 0)
		return kts_perr_set(perr, KTS_ETRUNC, 11, 0, "digest cut short");
	if (kts_rd_expect_end(&rd) != 0)
		return kts_perr_set(perr, KTS_EFORMAT, rd.off, 0,
		    "bytes after the digest");
	out->alg = alg;
	out->len = len;
	memcpy(out->d, d, len);
	return 0;
}

int
kts_ls_state_write(struct kts_wr *wr, const struct kts_imprint *im)
{
	int r;

	if (kts_hash_get(im->alg) == NULL)
		return KTS_EINVAL;
	if ((r = kts_wr_put(wr, "KSISTAT10", 9)) != 0 ||
	    (r = kts_wr_u8(wr, im->alg)) != 0 ||
	    (r = kts_wr_u8(wr, im->len)) != 0)
		return r;
	return kts_wr_put(wr, im->d, im->len);
}
