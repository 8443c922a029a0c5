/*
 * sig.c - parse and serialize KSI signatures (KSI spec sections 3, 4.6).
 *
 * Parsing copies the input once and decodes every structure into views
 * of that copy with rule tables (tlv.h).  What the spec calls a parse
 * failure (section 9.9) is rejected here; everything that has a
 * verification code is left to verify.c.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "sig.h"

#define N_RULES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- primitive fields ------------------------------------------------ */

static int
get_imprint(const struct kts_tlv *t, struct kts_pctx *pc,
    struct kts_imprint *out)
{
	if (kts_imprint_parse(t->val, t->len, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "imprint with an unknown algorithm or a wrong length");
	return 0;
}

static int
get_str(const struct kts_tlv *t, struct kts_pctx *pc, const char **out)
{
	if (kts_tlv_str(t, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "string without its terminating zero or not UTF-8");
	return 0;
}

static int
get_str_nonempty(const struct kts_tlv *t, struct kts_pctx *pc,
    const char **out)
{
	int r;

	if ((r = get_str(t, pc, out)) != 0)
		return r;
	if ((*out)[0] == '\0')
		return kts_pfail(pc, KTS_EFORMAT, t, "empty string");
	return 0;
}

/* Keep a RAW value as a view (spec 1.4: no checks on RAW). */
static int
set_raw(const uint8_t **p, size_t *len, const struct kts_tlv *t)
{
	*p = t->val;
	*len = t->len;
	return 0;
}

static int
add_str(const struct kts_tlv *t, struct kts_pctx *pc, const char ***v,
    size_t *n)
{
	const char **nv;
	const char *s;
	int r;

	if ((r = get_str_nonempty(t, pc, &s)) != 0)
		return r;
	if (*n >= KTS_MAX_PUB_REFS)
		return kts_pfail(pc, KTS_ETOOBIG, t, "too many references");
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return KTS_ENOMEM;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/*
 * Count the children of parent by tag, for tags below 16 (a cheap
 * pre-pass so arrays are allocated once): n[tag] for each.
 */
static void
count_small_tags(const struct kts_tlv *parent, size_t n[16])
{
	struct kts_tlv c;
	struct kts_rd rd;

	memset(n, 0, 16 * sizeof(n[0]));
	kts_rd_init(&rd, parent->val, parent->len);
	while (kts_rd_left(&rd) > 0 && kts_tlv_read(&rd, &c) == 0)
		if (c.tag < 16)
			n[c.tag]++;
}

/* Count the children of parent with tag. */
static size_t
count_children(const struct kts_tlv *parent, uint16_t tag)
{
	struct kts_tlv c;
	struct kts_rd rd;
	size_t n = 0;

	kts_rd_init(&rd, parent->val, parent->len);
	while (kts_rd_left(&rd) > 0 && kts_tlv_read(&rd, &c) == 0)
		if (c.tag == tag)
			n++;
	return n;
}

/* An index list: 0x03 children of chains and records (spec 4.3). */
struct idx_list {
	uint64_t *v;
	size_t n;
	size_t cap;
};

static int
idx_alloc_n(const struct kts_tlv *parent, size_t n, struct idx_list *l,
    struct kts_pctx *pc)
{

	if (n > KTS_MAX_CHAIN_INDEX)
		return kts_pfail(pc, KTS_ETOOBIG, parent,
		    "chain index list too long");
	l->n = 0;
	l->cap = n;
	if (n == 0)
		return 0;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return KTS_ENOMEM;
	return 0;
}

static int
idx_alloc(const struct kts_tlv *parent, struct idx_list *l,
    struct kts_pctx *pc)
{
	return idx_alloc_n(parent, count_children(parent, 0x03), l, pc);
}

static int
idx_add(struct idx_list *l, const struct kts_tlv *t, struct kts_pctx *pc)
{
	if (l->n >= l->cap)
		return kts_pfail(pc, KTS_EINTERNAL, t, "index count changed");
	return kts_tlv_get_u64(t, pc, &l->v[l->n++]);
}

/* ---- publication data and record (spec 3.7) ---------------------------- */

static int
pd_time(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct kts_pubdata *)ctx)->time);
}

static int
pd_hash(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_imprint(t, pc, &((struct kts_pubdata *)ctx)->hash);
}

static const struct kts_tlv_rule pubdata_rules[] = {
	{ 0x02, KTS_R_MANDATORY, pd_time },
	{ 0x04, KTS_R_MANDATORY, pd_hash },
};

int
kts_pubdata_parse(const struct kts_tlv *t, struct kts_pubdata *out,
    struct kts_pctx *pc)
{
	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	out->flags = t->flags;
	return kts_tlv_walk(t, pubdata_rules, N_RULES(pubdata_rules), out,
	    &out->unknown, pc);
}

void
kts_pubdata_clear(struct kts_pubdata *pd)
{
	kts_rawlist_free(&pd->unknown);
}

static int
pr_data(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_pubdata_parse(t, &((struct kts_pubrec *)ctx)->data, pc);
}

static int
pr_ref(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pubrec *pr = ctx;

	return add_str(t, pc, &pr->refs, &pr->n_refs);
}

static int
pr_uri(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_pubrec *pr = ctx;

	return add_str(t, pc, &pr->uris, &pr->n_uris);
}

static const struct kts_tlv_rule pubrec_rules[] = {
	{ 0x10, KTS_R_MANDATORY, pr_data },
	{ 0x09, KTS_R_LIST, pr_ref },
	{ 0x0a, KTS_R_LIST, pr_uri },
};

int
kts_pubrec_parse(const struct kts_tlv *t, struct kts_pubrec *out,
    struct kts_pctx *pc)
{
	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	return kts_tlv_walk(t, pubrec_rules, N_RULES(pubrec_rules), out,
	    &out->unknown, pc);
}

void
kts_pubrec_clear(struct kts_pubrec *pr)
{
	kts_pubdata_clear(&pr->data);
	free(pr->refs);
	free(pr->uris);
	kts_rawlist_free(&pr->unknown);
	memset(pr, 0, sizeof(*pr));
}

/* ---- signature data (spec 3.9) ----------------------------------------- */

static int
sd_type(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_str(t, pc, &((struct kts_sigdata *)ctx)->type);
}

static int
sd_value(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sigdata *sd = ctx;

	return set_raw(&sd->value, &sd->value_len, t);
}

static int
sd_cert_id(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sigdata *sd = ctx;

	return set_raw(&sd->cert_id, &sd->cert_id_len, t);
}

static int
sd_uri(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_str_nonempty(t, pc, &((struct kts_sigdata *)ctx)->cert_uri);
}

static const struct kts_tlv_rule sigdata_rules[] = {
	{ 0x01, KTS_R_MANDATORY, sd_type },
	{ 0x02, KTS_R_MANDATORY, sd_value },
	{ 0x03, KTS_R_MANDATORY, sd_cert_id },
	{ 0x04, 0, sd_uri },
};

static int
sigdata_parse(const struct kts_tlv *t, struct kts_sigdata *out,
    struct kts_pctx *pc)
{
	memset(out, 0, sizeof(*out));
	return kts_tlv_walk(t, sigdata_rules, N_RULES(sigdata_rules), out,
	    &out->unknown, pc);
}

static void
sigdata_clear(struct kts_sigdata *sd)
{
	kts_rawlist_free(&sd->unknown);
}

/* ---- calendar authentication record (spec 3.9) -------------------------- */

static int
ca_data(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_pubdata_parse(t, &((struct kts_calauth *)ctx)->data, pc);
}

static int
ca_sig(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return sigdata_parse(t, &((struct kts_calauth *)ctx)->sig, pc);
}

static const struct kts_tlv_rule calauth_rules[] = {
	{ 0x10, KTS_R_MANDATORY, ca_data },
	{ 0x0b, KTS_R_MANDATORY, ca_sig },
};

static void
calauth_clear(struct kts_calauth *ca)
{
	kts_pubdata_clear(&ca->data);
	sigdata_clear(&ca->sig);
	kts_rawlist_free(&ca->unknown);
}

static int
calauth_parse(const struct kts_tlv *t, struct kts_calauth *out,
    struct kts_pctx *pc)
{
	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	return kts_tlv_walk(t, calauth_rules, N_RULES(calauth_rules), out,
	    &out->unknown, pc);
}

/* ---- aggregation authentication record (spec 3.8) ------------------------ */

struct aa_ctx {
	struct kts_aggrauth *aa;
	struct idx_list idx;
};

static int
aa_time(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct aa_ctx *)ctx)->aa->time);
}

static int
aa_idx(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return idx_add(&((struct aa_ctx *)ctx)->idx, t, pc);
}

static int
aa_input(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_imprint(t, pc, &((struct aa_ctx *)ctx)->aa->input);
}

static int
aa_sig(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return sigdata_parse(t, &((struct aa_ctx *)ctx)->aa->sig, pc);
}

static const struct kts_tlv_rule aggrauth_rules[] = {
	{ 0x02, KTS_R_MANDATORY, aa_time },
	{ 0x03, KTS_R_MANDATORY | KTS_R_LIST, aa_idx },
	{ 0x05, KTS_R_MANDATORY, aa_input },
	{ 0x0b, KTS_R_MANDATORY, aa_sig },
};

static void
aggrauth_clear(struct kts_aggrauth *aa)
{
	free(aa->idx);
	sigdata_clear(&aa->sig);
	kts_rawlist_free(&aa->unknown);
}

static int
aggrauth_parse(const struct kts_tlv *t, struct kts_aggrauth *out,
    struct kts_pctx *pc)
{
	struct aa_ctx c = { out, { NULL, 0, 0 } };
	int r;

	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	if ((r = idx_alloc(t, &c.idx, pc)) != 0)
		return r;
	out->idx = c.idx.v;
	r = kts_tlv_walk(t, aggrauth_rules, N_RULES(aggrauth_rules), &c,
	    &out->unknown, pc);
	out->n_idx = c.idx.n;
	return r;
}

/* ---- RFC 3161 record (spec 3.10) ---------------------------------------- */

struct rfc_ctx {
	struct kts_rfc3161 *rr;
	struct idx_list idx;
};

#define RFC(c) (((struct rfc_ctx *)(c))->rr)

static int
rfc_time(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &RFC(c)->time);
}

static int
rfc_idx(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return idx_add(&((struct rfc_ctx *)c)->idx, t, pc);
}

static int
rfc_input(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_imprint(t, pc, &RFC(c)->input);
}

static int
rfc_tst_pre(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return set_raw(&RFC(c)->tst_prefix, &RFC(c)->tst_prefix_len, t);
}

static int
rfc_tst_suf(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return set_raw(&RFC(c)->tst_suffix, &RFC(c)->tst_suffix_len, t);
}

static int
rfc_tst_alg(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &RFC(c)->tst_alg);
}

static int
rfc_sa_pre(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return set_raw(&RFC(c)->sa_prefix, &RFC(c)->sa_prefix_len, t);
}

static int
rfc_sa_suf(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return set_raw(&RFC(c)->sa_suffix, &RFC(c)->sa_suffix_len, t);
}

static int
rfc_sa_alg(void *c, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &RFC(c)->sa_alg);
}

static const struct kts_tlv_rule rfc_rules[] = {
	{ 0x02, KTS_R_MANDATORY, rfc_time },
	{ 0x03, KTS_R_MANDATORY | KTS_R_LIST, rfc_idx },
	{ 0x05, KTS_R_MANDATORY, rfc_input },
	{ 0x10, KTS_R_MANDATORY, rfc_tst_pre },
	{ 0x11, KTS_R_MANDATORY, rfc_tst_suf },
	{ 0x12, KTS_R_MANDATORY, rfc_tst_alg },
	{ 0x13, KTS_R_MANDATORY, rfc_sa_pre },
	{ 0x14, KTS_R_MANDATORY, rfc_sa_suf },
	{ 0x15, KTS_R_MANDATORY, rfc_sa_alg },
};

static void
rfc_clear(struct kts_rfc3161 *rr)
{
	free(rr->idx);
	kts_rawlist_free(&rr->unknown);
}

static int
rfc_parse(const struct kts_tlv *t, struct kts_rfc3161 *out,
    struct kts_pctx *pc)
{
	struct rfc_ctx c = { out, { NULL, 0, 0 } };
	int r;

	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	if ((r = idx_alloc(t, &c.idx, pc)) != 0)
		return r;
	out->idx = c.idx.v;
	r = kts_tlv_walk(t, rfc_rules, N_RULES(rfc_rules), &c, &out->unknown,
	    pc);
	out->n_idx = c.idx.n;
	return r;
}

/* ---- metadata (spec 3.5) ------------------------------------------------ */

struct meta_ctx {
	struct kts_meta *m;
	const struct kts_tlv *parent;
};

static int
md_padding(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct meta_ctx *c = ctx;

	/*
	 * Spec 3.5: the padding must be the first element.  A repeated
	 * padding is counted, not rejected: libksi ignores the N-flagged
	 * duplicate and the metadata then fails INT-11 (verify.c).
	 */
	if (c->m->has_padding == 0 && t->hdr != c->parent->val)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "metadata padding is not the first element");
	if (c->m->has_padding > 0 && !(t->flags & KTS_TLV_N))
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "critical metadata padding repeated");
	if (c->m->has_padding < UINT8_MAX)
		c->m->has_padding++;
	return 0;
}

static int
md_client(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_str(t, pc, &((struct meta_ctx *)ctx)->m->client_id);
}

static int
md_machine(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_str(t, pc, &((struct meta_ctx *)ctx)->m->machine_id);
}

static int
md_seq(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_meta *m = ((struct meta_ctx *)ctx)->m;

	m->has_seq = 1;
	return kts_tlv_get_u64(t, pc, &m->seq);
}

static int
md_time(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_meta *m = ((struct meta_ctx *)ctx)->m;

	m->has_req_time = 1;
	return kts_tlv_get_u64(t, pc, &m->req_time);
}

static const struct kts_tlv_rule meta_rules[] = {
	{ 0x1e, KTS_R_LIST, md_padding },
	{ 0x01, KTS_R_MANDATORY, md_client },
	{ 0x02, 0, md_machine },
	{ 0x03, 0, md_seq },
	{ 0x04, 0, md_time },
};

/* ---- aggregation chain links (spec 3.3, 3.4) ----------------------------- */

struct link_ctx {
	struct kts_aggr_link *l;
	int n_sib;
};

static int
ln_corr(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_aggr_link *l = ((struct link_ctx *)ctx)->l;

	l->has_corr = 1;
	return kts_tlv_get_u64(t, pc, &l->corr);
}

static int
ln_hash(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct link_ctx *c = ctx;

	c->n_sib++;
	c->l->kind = KTS_SIB_HASH;
	c->l->sib = t->val;
	c->l->sib_len = t->len;
	if (kts_imprint_check(t->val, t->len) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "imprint with an unknown algorithm or a wrong length");
	return 0;
}

static int
ln_legacy(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct link_ctx *c = ctx;
	const uint8_t *v = t->val;
	size_t i;

	c->n_sib++;
	c->l->kind = KTS_SIB_LEGACY;
	c->l->sib = t->val;
	c->l->sib_len = t->len;
	/* Spec 3.4: 03 00 L name[L] zero padding, 29 bytes, L <= 25. */
	if (t->len != 29 || v[0] != 0x03 || v[1] != 0x00 || v[2] > 25)
		return kts_pfail(pc, KTS_EFORMAT, t, "malformed legacy id");
	for (i = 3u + v[2]; i < 29; i++)
		if (v[i] != 0)
			return kts_pfail(pc, KTS_EFORMAT, t,
			    "legacy id padding is not zero");
	if (!kts_utf8_valid(v + 3, v[2]))
		return kts_pfail(pc, KTS_EFORMAT, t, "legacy id is not UTF-8");
	memcpy(c->l->legacy_name, v + 3, v[2]);
	c->l->legacy_name[v[2]] = '\0';
	return 0;
}

static int
ln_meta(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct link_ctx *c = ctx;
	struct meta_ctx mc = { &c->l->meta, t };

	c->n_sib++;
	c->l->kind = KTS_SIB_META;
	c->l->sib = t->val;
	c->l->sib_len = t->len;
	c->l->meta_tlv = t->hdr;
	c->l->meta_tlv_len = kts_tlv_size(t);
	return kts_tlv_walk(t, meta_rules, N_RULES(meta_rules), &mc,
	    &c->l->meta_unknown, pc);
}

static const struct kts_tlv_rule link_rules[] = {
	{ 0x01, 0, ln_corr },
	{ 0x02, 0, ln_hash },
	{ 0x03, 0, ln_legacy },
	{ 0x04, 0, ln_meta },
};

static int
link_parse(const struct kts_tlv *t, struct kts_aggr_link *l,
    struct kts_pctx *pc)
{
	struct link_ctx c = { l, 0 };
	int r;

	memset(l, 0, sizeof(*l));
	l->dir = (uint8_t)t->tag;
	if ((r = kts_tlv_walk(t, link_rules, N_RULES(link_rules), &c,
	    &l->unknown, pc)) != 0)
		return r;
	if (c.n_sib != 1)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "link needs exactly one sibling hash, legacy id or metadata");
	return 0;
}

static void
link_clear(struct kts_aggr_link *l)
{
	kts_rawlist_free(&l->unknown);
	kts_rawlist_free(&l->meta_unknown);
}

/* ---- aggregation chain (spec 3.2) ---------------------------------------- */

struct ac_ctx {
	struct kts_aggr_chain *c;
	struct idx_list idx;
	size_t cap_links;
};

static int
ac_time(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct ac_ctx *)ctx)->c->time);
}

static int
ac_idx(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return idx_add(&((struct ac_ctx *)ctx)->idx, t, pc);
}

static int
ac_data(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_aggr_chain *c = ((struct ac_ctx *)ctx)->c;

	return set_raw(&c->input_data, &c->input_data_len, t);
}

static int
ac_input(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_imprint(t, pc, &((struct ac_ctx *)ctx)->c->input);
}

static int
ac_alg(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	uint64_t v;
	int r;

	if ((r = kts_tlv_get_u64(t, pc, &v)) != 0)
		return r;
	if (v > 0xff)
		return kts_pfail(pc, KTS_EFORMAT, t,
		    "aggregation algorithm id out of range");
	((struct ac_ctx *)ctx)->c->alg = (uint8_t)v;
	return 0;
}

static int
ac_link(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct ac_ctx *a = ctx;

	if (a->c->n_links >= a->cap_links)
		return kts_pfail(pc, KTS_EINTERNAL, t, "link count changed");
	return link_parse(t, &a->c->links[a->c->n_links++], pc);
}

static const struct kts_tlv_rule aggr_chain_rules[] = {
	{ 0x02, KTS_R_MANDATORY, ac_time },
	{ 0x03, KTS_R_MANDATORY | KTS_R_LIST, ac_idx },
	{ 0x04, 0, ac_data },
	{ 0x05, KTS_R_MANDATORY, ac_input },
	{ 0x06, KTS_R_MANDATORY, ac_alg },
	{ 0x07, KTS_R_LIST, ac_link },
	{ 0x08, KTS_R_LIST, ac_link },
};

void
kts_aggr_chain_clear(struct kts_aggr_chain *c)
{
	size_t i;

	for (i = 0; i < c->n_links; i++)
		link_clear(&c->links[i]);
	free(c->links);
	free(c->idx);
	kts_rawlist_free(&c->unknown);
	memset(c, 0, sizeof(*c));
}

int
kts_aggr_chain_parse(const struct kts_tlv *t, struct kts_aggr_chain *out,
    struct kts_pctx *pc)
{
	struct ac_ctx a = { out, { NULL, 0, 0 }, 0 };
	size_t n[16];
	int r;

	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	count_small_tags(t, n);
	a.cap_links = n[0x07] + n[0x08];
	if (a.cap_links > KTS_MAX_AGGR_LINKS)
		return kts_pfail(pc, KTS_ETOOBIG, t, "too many links in a chain");
	if (a.cap_links > 0 &&
	    (out->links = calloc(a.cap_links, sizeof(*out->links))) == NULL)
		return KTS_ENOMEM;
	if ((r = idx_alloc_n(t, n[0x03], &a.idx, pc)) != 0)
		return r;
	out->idx = a.idx.v;
	r = kts_tlv_walk(t, aggr_chain_rules, N_RULES(aggr_chain_rules), &a,
	    &out->unknown, pc);
	out->n_idx = a.idx.n;
	if (r == 0 && out->n_links == 0)
		r = kts_pfail(pc, KTS_EFORMAT, t, "aggregation chain has no links");
	return r;
}

/* ---- calendar chain (spec 3.6) ------------------------------------------- */

struct cc_ctx {
	struct kts_cal_chain *c;
	size_t cap_links;
};

static int
cc_pub(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return kts_tlv_get_u64(t, pc, &((struct cc_ctx *)ctx)->c->pub_time);
}

static int
cc_aggr(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_cal_chain *c = ((struct cc_ctx *)ctx)->c;

	c->has_aggr_time = 1;
	return kts_tlv_get_u64(t, pc, &c->aggr_time);
}

static int
cc_input(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return get_imprint(t, pc, &((struct cc_ctx *)ctx)->c->input);
}

static int
cc_link(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct cc_ctx *a = ctx;
	struct kts_cal_link *l;

	if (a->c->n_links >= a->cap_links)
		return kts_pfail(pc, KTS_EINTERNAL, t, "link count changed");
	l = &a->c->links[a->c->n_links++];
	l->dir = (uint8_t)t->tag;
	l->sib_raw = t->val;
	return get_imprint(t, pc, &l->sib);
}

static const struct kts_tlv_rule cal_chain_rules[] = {
	{ 0x01, KTS_R_MANDATORY, cc_pub },
	{ 0x02, 0, cc_aggr },
	{ 0x05, KTS_R_MANDATORY, cc_input },
	{ 0x07, KTS_R_LIST, cc_link },
	{ 0x08, KTS_R_LIST, cc_link },
};

void
kts_cal_chain_clear(struct kts_cal_chain *c)
{
	free(c->links);
	kts_rawlist_free(&c->unknown);
	memset(c, 0, sizeof(*c));
}

int
kts_cal_chain_parse(const struct kts_tlv *t, struct kts_cal_chain *out,
    struct kts_pctx *pc)
{
	struct cc_ctx a = { out, 0 };
	size_t n[16];
	int r;

	memset(out, 0, sizeof(*out));
	out->raw = t->hdr;
	out->raw_len = kts_tlv_size(t);
	count_small_tags(t, n);
	a.cap_links = n[0x07] + n[0x08];
	if (a.cap_links > KTS_MAX_CAL_LINKS)
		return kts_pfail(pc, KTS_ETOOBIG, t,
		    "too many links in a calendar chain");
	if (a.cap_links > 0 &&
	    (out->links = calloc(a.cap_links, sizeof(*out->links))) == NULL)
		return KTS_ENOMEM;
	if ((r = kts_tlv_walk(t, cal_chain_rules, N_RULES(cal_chain_rules), &a,
	    &out->unknown, pc)) != 0)
		return r;
	if (!out->has_aggr_time)
		out->aggr_time = out->pub_time;
	if (out->n_links == 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "calendar chain has no links");
	return 0;
}

/* ---- the signature (spec 3.1) -------------------------------------------- */

struct sig_ctx {
	struct kts_sig *s;
	size_t cap_chains;
};

static int
sg_chain(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct sig_ctx *a = ctx;

	if (a->s->n_chains >= a->cap_chains)
		return kts_pfail(pc, KTS_EINTERNAL, t, "chain count changed");
	return kts_aggr_chain_parse(t, &a->s->chains[a->s->n_chains++], pc);
}

static int
sg_cal(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sig *s = ((struct sig_ctx *)ctx)->s;

	s->has_cal = 1;
	return kts_cal_chain_parse(t, &s->cal, pc);
}

static int
sg_pubrec(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sig *s = ((struct sig_ctx *)ctx)->s;

	s->has_pubrec = 1;
	return kts_pubrec_parse(t, &s->pubrec, pc);
}

static int
sg_aggrauth(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sig *s = ((struct sig_ctx *)ctx)->s;

	s->has_aggrauth = 1;
	return aggrauth_parse(t, &s->aggrauth, pc);
}

static int
sg_calauth(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sig *s = ((struct sig_ctx *)ctx)->s;

	s->has_calauth = 1;
	return calauth_parse(t, &s->calauth, pc);
}

static int
sg_rfc(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	struct kts_sig *s = ((struct sig_ctx *)ctx)->s;

	s->has_rfc3161 = 1;
	return rfc_parse(t, &s->rfc3161, pc);
}

static const struct kts_tlv_rule sig_rules[] = {
	{ KTS_TAG_AGGR_CHAIN, KTS_R_MANDATORY | KTS_R_LIST, sg_chain },
	{ KTS_TAG_CAL_CHAIN, 0, sg_cal },
	{ KTS_TAG_PUB_REC, 0, sg_pubrec },
	{ KTS_TAG_AGGR_AUTH, 0, sg_aggrauth },
	{ KTS_TAG_CAL_AUTH, 0, sg_calauth },
	{ KTS_TAG_RFC3161, 0, sg_rfc },
};

/*
 * Sort the chains lowest first: by index list length, longest first
 * (spec 4.4).  Insertion sort keeps equal lengths in file order, which
 * the INT-12 rule then reports.
 */
static void
sort_chains(struct kts_aggr_chain *v, size_t n)
{
	struct kts_aggr_chain tmp;
	size_t i;
	size_t j;

	for (i = 1; i < n; i++) {
		tmp = v[i];
		for (j = i; j > 0 && v[j - 1].n_idx < tmp.n_idx; j--)
			v[j] = v[j - 1];
		v[j] = tmp;
	}
}

void
kts_sig_free(struct kts_sig *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_chains; i++)
		kts_aggr_chain_clear(&s->chains[i]);
	free(s->chains);
	kts_cal_chain_clear(&s->cal);
	kts_pubrec_clear(&s->pubrec);
	calauth_clear(&s->calauth);
	aggrauth_clear(&s->aggrauth);
	rfc_clear(&s->rfc3161);
	kts_rawlist_free(&s->unknown);
	free(s->buf);
	free(s);
}

static int
sig_check(const struct kts_sig *s, const struct kts_tlv *top,
    struct kts_pctx *pc)
{
	/* Spec 3.1 parse-time rejections. */
	if (s->has_pubrec && s->has_calauth)
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "both a publication record and a calendar authentication "
		    "record");
	if ((s->has_pubrec || s->has_calauth) && !s->has_cal)
		return kts_pfail(pc, KTS_EFORMAT, top,
		    "publication or authentication record without a calendar "
		    "chain");
	return 0;
}

static int
sig_decode(struct kts_sig *s, struct kts_perr *perr)
{
	struct kts_pctx pc = { s->buf, perr, 0 };
	struct sig_ctx a = { s, 0 };
	struct kts_tlv top;
	int r;

	if ((r = kts_tlv_parse(s->buf, s->len, &top, perr)) != 0)
		return r;
	if (top.tag != KTS_TAG_SIG)
		return kts_pfail(&pc, KTS_EFORMAT, &top,
		    "not a KSI signature (outer tag is not 0x800)");
	a.cap_chains = count_children(&top, KTS_TAG_AGGR_CHAIN);
	if (a.cap_chains > KTS_MAX_AGGR_CHAINS)
		return kts_pfail(&pc, KTS_ETOOBIG, &top,
		    "too many aggregation chains");
	if (a.cap_chains > 0 &&
	    (s->chains = calloc(a.cap_chains, sizeof(*s->chains))) == NULL)
		return KTS_ENOMEM;
	if ((r = kts_tlv_walk(&top, sig_rules, N_RULES(sig_rules), &a,
	    &s->unknown, &pc)) != 0)
		return r;
	sort_chains(s->chains, s->n_chains);
	return sig_check(s, &top, &pc);
}

int
kts_sig_parse(const uint8_t *buf, size_t len, struct kts_sig **out,
    struct kts_perr *perr)
{
	struct kts_sig *tmp = NULL;
	int r;

	*out = NULL;
	if (len > KTS_MAX_PDU)
		return kts_perr_set(perr, KTS_ETOOBIG, 0, 0,
		    "larger than the largest possible signature");
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->buf = malloc(len > 0 ? len : 1)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	memcpy(tmp->buf, buf, len);
	tmp->len = len;
	if ((r = sig_decode(tmp, perr)) != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	kts_sig_free(tmp);
	return r;
}

uint64_t
kts_sig_signing_time(const struct kts_sig *s)
{
	if (s->has_cal)
		return s->cal.aggr_time;
	return s->n_chains > 0 ? s->chains[0].time : 0;
}

const struct kts_imprint *
kts_sig_doc_hash(const struct kts_sig *s)
{
	if (s->has_rfc3161)
		return &s->rfc3161.input;
	return &s->chains[0].input;
}

/* ---- serialization (spec 1.2, 3.1, 4.6) ---------------------------------- */

static int
put_unknown(struct kts_wr *wr, const struct kts_rawlist *l)
{
	size_t i;
	int r;

	for (i = 0; i < l->n; i++)
		if ((r = kts_wr_put(wr, l->v[i].p, l->v[i].len)) != 0)
			return r;
	return 0;
}

static int
put_imprint(struct kts_wr *wr, uint16_t tag, const struct kts_imprint *im)
{
	uint8_t b[KTS_IMPRINT_MAX];

	return kts_wr_tlv(wr, tag, 0, b, kts_imprint_bytes(im, b));
}

static int
put_idx(struct kts_wr *wr, const uint64_t *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = kts_wr_tlv_u64(wr, 0x03, 0, v[i])) != 0)
			return r;
	return 0;
}

static int
put_link(struct kts_wr *wr, const struct kts_aggr_link *l)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, l->dir, 0, &m)) != 0)
		return r;
	if ((l->has_corr || l->corr > 0) &&
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, l->corr)) != 0)
		return r;
	if (l->kind == KTS_SIB_META)
		r = kts_wr_put(wr, l->meta_tlv, l->meta_tlv_len);
	else
		r = kts_wr_tlv(wr, l->kind, 0, l->sib, l->sib_len);
	if (r != 0 || (r = put_unknown(wr, &l->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_aggr_chain(struct kts_wr *wr, const struct kts_aggr_chain *c)
{
	size_t m;
	size_t i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_AGGR_CHAIN, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, c->time)) != 0 ||
	    (r = put_idx(wr, c->idx, c->n_idx)) != 0)
		return r;
	if (c->input_data != NULL && (r = kts_wr_tlv(wr, 0x04, 0,
	    c->input_data, c->input_data_len)) != 0)
		return r;
	if ((r = put_imprint(wr, 0x05, &c->input)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x06, 0, c->alg)) != 0)
		return r;
	for (i = 0; i < c->n_links; i++)
		if ((r = put_link(wr, &c->links[i])) != 0)
			return r;
	if ((r = put_unknown(wr, &c->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_cal_chain(struct kts_wr *wr, const struct kts_cal_chain *c)
{
	size_t m;
	size_t i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_CAL_CHAIN, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, c->pub_time)) != 0)
		return r;
	if (c->has_aggr_time &&
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, c->aggr_time)) != 0)
		return r;
	if ((r = put_imprint(wr, 0x05, &c->input)) != 0)
		return r;
	for (i = 0; i < c->n_links; i++)
		if ((r = put_imprint(wr, c->links[i].dir, &c->links[i].sib)) != 0)
			return r;
	if ((r = put_unknown(wr, &c->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_pubdata(struct kts_wr *wr, const struct kts_pubdata *pd)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_PUB_DATA, pd->flags, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, pd->time)) != 0 ||
	    (r = put_imprint(wr, 0x04, &pd->hash)) != 0 ||
	    (r = put_unknown(wr, &pd->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_strs(struct kts_wr *wr, uint16_t tag, const char *const *v, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		if ((r = kts_wr_tlv_str(wr, tag, 0, v[i])) != 0)
			return r;
	return 0;
}

static int
put_pubrec(struct kts_wr *wr, const struct kts_pubrec *pr)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_PUB_REC, 0, &m)) != 0 ||
	    (r = put_pubdata(wr, &pr->data)) != 0 ||
	    (r = put_strs(wr, 0x09, pr->refs, pr->n_refs)) != 0 ||
	    (r = put_strs(wr, 0x0a, pr->uris, pr->n_uris)) != 0 ||
	    (r = put_unknown(wr, &pr->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_sigdata(struct kts_wr *wr, const struct kts_sigdata *sd)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_SIG_DATA, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_str(wr, 0x01, 0, sd->type)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x02, 0, sd->value, sd->value_len)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x03, 0, sd->cert_id, sd->cert_id_len)) != 0)
		return r;
	if (sd->cert_uri != NULL &&
	    (r = kts_wr_tlv_str(wr, 0x04, 0, sd->cert_uri)) != 0)
		return r;
	if ((r = put_unknown(wr, &sd->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_calauth(struct kts_wr *wr, const struct kts_calauth *ca)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_CAL_AUTH, 0, &m)) != 0 ||
	    (r = put_pubdata(wr, &ca->data)) != 0 ||
	    (r = put_sigdata(wr, &ca->sig)) != 0 ||
	    (r = put_unknown(wr, &ca->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_aggrauth(struct kts_wr *wr, const struct kts_aggrauth *aa)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_AGGR_AUTH, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, aa->time)) != 0 ||
	    (r = put_idx(wr, aa->idx, aa->n_idx)) != 0 ||
	    (r = put_imprint(wr, 0x05, &aa->input)) != 0 ||
	    (r = put_sigdata(wr, &aa->sig)) != 0 ||
	    (r = put_unknown(wr, &aa->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
put_rfc(struct kts_wr *wr, const struct kts_rfc3161 *rr)
{
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_RFC3161, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, rr->time)) != 0 ||
	    (r = put_idx(wr, rr->idx, rr->n_idx)) != 0 ||
	    (r = put_imprint(wr, 0x05, &rr->input)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x10, 0, rr->tst_prefix,
	    rr->tst_prefix_len)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x11, 0, rr->tst_suffix,
	    rr->tst_suffix_len)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x12, 0, rr->tst_alg)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x13, 0, rr->sa_prefix, rr->sa_prefix_len)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x14, 0, rr->sa_suffix, rr->sa_suffix_len)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x15, 0, rr->sa_alg)) != 0 ||
	    (r = put_unknown(wr, &rr->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

/*
 * Replacement parts for extension: a calendar chain and a publication
 * record given as element bytes (NULL = keep the signature's own).
 */
struct sig_parts {
	const struct kts_tlv *cal;
	const struct kts_tlv *pub;
};

static int
put_sig_tail(struct kts_wr *wr, const struct kts_sig *s,
    const struct sig_parts *np)
{
	int r = 0;

	if (np->cal != NULL)
		r = kts_wr_put(wr, np->cal->hdr, kts_tlv_size(np->cal));
	else if (s->has_cal)
		r = put_cal_chain(wr, &s->cal);
	if (r != 0)
		return r;
	if (np->pub != NULL)
		r = kts_wr_tlv(wr, KTS_TAG_PUB_REC, np->pub->flags, np->pub->val,
		    np->pub->len);
	else if (np->cal == NULL && s->has_pubrec)
		r = put_pubrec(wr, &s->pubrec);
	if (r == 0 && np->cal == NULL && s->has_calauth)
		r = put_calauth(wr, &s->calauth);
	if (r == 0 && s->has_aggrauth)
		r = put_aggrauth(wr, &s->aggrauth);
	return r;
}

static int
put_sig(struct kts_wr *wr, const struct kts_sig *s, const struct sig_parts *np)
{
	size_t m;
	size_t i;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_SIG, 0, &m)) != 0)
		return r;
	if (s->has_rfc3161 && (r = put_rfc(wr, &s->rfc3161)) != 0)
		return r;
	for (i = 0; i < s->n_chains; i++)
		if ((r = put_aggr_chain(wr, &s->chains[i])) != 0)
			return r;
	if ((r = put_sig_tail(wr, s, np)) != 0 ||
	    (r = put_unknown(wr, &s->unknown)) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

int
kts_sig_serialize(const struct kts_sig *s, uint8_t **out, size_t *len)
{
	struct sig_parts none = { NULL, NULL };
	struct kts_wr wr;
	int r;

	*out = NULL;
	*len = 0;
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = put_sig(&wr, s, &none)) == 0)
		r = kts_wr_take(&wr, out, len);
	kts_wr_free(&wr);
	return r;
}

int
kts_sig_extend(const struct kts_sig *s, const uint8_t *chain,
    size_t chain_len, const uint8_t *pubrec, size_t pubrec_len,
    struct kts_sig **out, struct kts_perr *perr)
{
	struct sig_parts np = { NULL, NULL };
	struct kts_tlv ct;
	struct kts_tlv pt;
	struct kts_wr wr;
	int r;

	*out = NULL;
	if ((r = kts_tlv_parse(chain, chain_len, &ct, perr)) != 0)
		return r;
	if (ct.tag != KTS_TAG_CAL_CHAIN)
		return kts_perr_set(perr, KTS_EFORMAT, 0, ct.tag,
		    "not a calendar hash chain");
	np.cal = &ct;
	if (pubrec != NULL) {
		if ((r = kts_tlv_parse(pubrec, pubrec_len, &pt, perr)) != 0)
			return r;
		if (pt.tag != KTS_TAG_PUB_REC && pt.tag != 0x703)
			return kts_perr_set(perr, KTS_EFORMAT, 0, pt.tag,
			    "not a publication record");
		np.pub = &pt;
	}
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = put_sig(&wr, s, &np)) == 0)
		r = kts_sig_parse(wr.p, wr.len, out, perr);
	kts_wr_free(&wr);
	return r;
}
