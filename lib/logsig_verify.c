/*
 * logsig_verify.c - verification of LOGSIG11/12 files against a log
 * (spec/logsig.md 2.9), of excerpts (RECSIG, 2.8), and the joining of
 * async parts (LOG12BLK + LOG12SIG, section 3 "integrate").
 *
 * Each block is scanned ahead once (its record count and which hashes it
 * keeps), then walked record by record: log line or metarecord, its
 * record hash, its leaf and merges, then the final tree hashes and the
 * block signature.  The first failure stops the walk; an inconclusive
 * block (unsigned, RFC 3161) does not.  Results name the log line, the
 * block, the record and the file offset.
 */
#include <stdlib.h>
#include <string.h>

#include "logsig.h"

/*
 * Internal returns: 0 go on; STOP a failure was recorded, unwind; < 0
 * an error (KTS_ENOMEM) that ends the run without a verdict.
 */
#define STOP 1

/* Verification state of one file. */
struct vst {
	const struct kts_ls_vopts *o;
	struct kts_ls_vres *res;
	struct kts_ls_lines *lr;	/* NULL: trust stored hashes */
	struct kts_ls_reader rd;
	struct kts_ls_blk *b;		/* the tree of the open block */
	struct kts_ls_binfo bi;		/* the open block */
	uint64_t rec;			/* 1-based record in the block */
	uint64_t line;			/* line of the current record */
	uint8_t has_prev;		/* prev_out is known */
	struct kts_imprint prev_out;	/* last leaf of the previous block */
	uint64_t prev_time;		/* last signing time */
	/* what the look-ahead found in the open block */
	uint64_t n;			/* record count (0x904.01) */
	uint64_t n_rec;			/* 0x902 elements */
	uint64_t n_tree;		/* 0x903 elements */
	uint64_t n_meta;		/* 0x911 elements */
	uint8_t last_meta;		/* the last record is a metarecord */
};

static const char *what_names[] = {
	"none", "format", "out-of-block", "hash-missing", "hash-extra",
	"record-changed", "metarecord-changed", "record-missing",
	"extra-record", "link-broken", "tree-hash", "tree-ambiguous",
	"final-hash", "count", "root", "level", "unsigned", "rfc3161",
	"signature-failed", "signature-inconclusive", "time-order",
	"line-too-long", "io", "proof",
};

const char *
kts_ls_what_str(enum kts_ls_what w)
{
	if ((size_t)w >= sizeof(what_names) / sizeof(what_names[0]))
		return "unknown";
	return what_names[w];
}

/* Record where the first problem of its status was; return STOP. */
static int
note(struct vst *v, enum kts_ls_status st, enum kts_ls_what w,
    const char *detail, size_t off, uint32_t tag)
{
	struct kts_ls_vres *res = v->res;

	if (v->bi.status < st) {
		v->bi.status = st;
		v->bi.what = w;
	}
	if (res->status >= st)
		return st == KTS_LS_FAILED ? STOP : 0;
	res->status = st;
	res->what = w;
	res->detail = detail;
	res->line = v->line;
	res->block = v->bi.block;
	res->rec = v->rec;
	res->off = off;
	res->tag = tag;
	return st == KTS_LS_FAILED ? STOP : 0;
}

static int
fail(struct vst *v, enum kts_ls_what w, const char *detail,
    const struct kts_ls_elem *e)
{
	return note(v, KTS_LS_FAILED, w, detail, e != NULL ? e->off : 0,
	    e != NULL ? e->tag : 0);
}

/* A reader failure: a format error naming the offset and tag. */
static int
fail_fmt(struct vst *v)
{
	return note(v, KTS_LS_FAILED, KTS_LSW_FORMAT, v->rd.err.what,
	    v->rd.err.off, v->rd.err.tag);
}

static int
next(struct vst *v, struct kts_ls_elem *e)
{
	if (kts_ls_next(&v->rd, e) != 0)
		return fail_fmt(v);
	return 0;
}

static int
peek(struct vst *v, struct kts_ls_elem *e)
{
	if (kts_ls_peek(&v->rd, e) != 0)
		return fail_fmt(v);
	return 0;
}

/* Look ahead over the block: count its elements up to 0x904. */
static int
scan_block(struct vst *v, const struct kts_ls_elem *hdr)
{
	struct kts_ls_reader save = v->rd;
	struct kts_ls_elem e;
	uint64_t last = 0;
	int r = 0;

	v->n_rec = v->n_tree = v->n_meta = 0;
	v->last_meta = 0;
	for (;;) {
		if ((r = next(v, &e)) != 0)
			break;
		if (e.tag == KTS_LS_REC)
			v->n_rec++;
		else if (e.tag == KTS_LS_TREE)
			v->n_tree++;
		else if (e.tag == KTS_LS_META)
			v->n_meta++;
		else if (e.tag == KTS_LS_BSIG)
			break;
		else {
			r = fail(v, KTS_LSW_FORMAT, "block has no block "
			    "signature (0x904)", hdr);
			break;
		}
		if (e.tag == KTS_LS_META)
			last = e.u.meta.index;
	}
	if (r == 0) {
		v->n = e.u.bsig.count;
		v->last_meta = v->n_meta > 0 && last + 1 == v->n;
	}
	v->rd = save;
	return r;
}

/* The next log line into the record hash rec. */
static int
line_hash(struct vst *v, uint8_t *rec)
{
	const uint8_t *p;
	size_t len;
	int got;
	int r;

	r = kts_ls_line(v->lr, &p, &len, &got);
	v->line = v->lr->lineno + (r != 0 || !got);
	if (r == KTS_ETOOBIG)
		return fail(v, KTS_LSW_LINE_TOO_LONG, "log line over 1 MiB",
		    NULL);
	if (r == KTS_ENOMEM)
		return r;
	if (r != 0)
		return fail(v, KTS_LSW_IO, "reading the log failed", NULL);
	if (!got)
		return fail(v, KTS_LSW_RECORD_MISSING,
		    "the log ends before the block's last record", NULL);
	if (v->bi.first_line == 0)
		v->bi.first_line = v->line;
	v->bi.last_line = v->line;
	return kts_hash_cat_raw(v->b->alg, p, len, NULL, 0, rec, &len) != 0 ?
	    fail(v, KTS_LSW_FORMAT, "block hash algorithm not available",
	    NULL) : 0;
}

static int
imprint_is(const struct kts_imprint *im, const uint8_t *bytes)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t n = kts_imprint_bytes(im, b);

	return bytes[0] == im->alg && memcmp(b, bytes, n) == 0;
}

/* The record hash element of a record, compared or taken. */
static int
check_rec(struct vst *v, uint8_t *rec, int is_meta, int have)
{
	struct kts_ls_elem e;
	int r;

	if ((r = next(v, &e)) != 0)
		return r;
	if (e.tag != KTS_LS_REC)
		return fail(v, KTS_LSW_HASH_MISSING, is_meta ?
		    "record hash missing for a metarecord" :
		    "record hash missing", &e);
	if (!have) {	/* no log: the stored hash stands for the line */
		if (e.u.hash.alg != v->b->alg)
			return fail(v, KTS_LSW_FORMAT, "record hash of another "
			    "algorithm than the block's", &e);
		kts_imprint_bytes(&e.u.hash, rec);
		return 0;
	}
	if (!imprint_is(&e.u.hash, rec) && v->n_rec < v->n)
		return fail(v, KTS_LSW_HASH_MISSING, "record hash differs, and "
		    "the block has fewer record hashes than records", &e);
	if (!imprint_is(&e.u.hash, rec))
		return fail(v, is_meta ? KTS_LSW_META_CHANGED :
		    KTS_LSW_RECORD_CHANGED, is_meta ?
		    "metarecord hash differs from the stored record hash" :
		    "log line hash differs from the stored record hash", &e);
	return 0;
}

static uint64_t
popcount(uint64_t n)
{
	uint64_t c = 0;

	for (; n != 0; n &= n - 1)
		c++;
	return c;
}

/* The leaf and merges of the last record against 0x903 elements. */
static int
check_tree(struct vst *v)
{
	struct kts_ls_elem e;
	size_t j;
	int r;

	for (j = 0; j < v->b->n_made; j++) {
		if ((r = next(v, &e)) != 0)
			return r;
		if (e.tag != KTS_LS_TREE)
			return fail(v, KTS_LSW_HASH_MISSING,
			    "tree hash missing", &e);
		if (imprint_is(&e.u.hash, v->b->made[j]))
			continue;
		if (v->n_tree < 2 * v->n - popcount(v->n))
			return fail(v, KTS_LSW_HASH_MISSING, "tree hash differs, "
			    "and the block has fewer tree hashes than its tree "
			    "has nodes", &e);
		if (j == 0 && v->n_rec == 0)
			return fail(v, KTS_LSW_RECORD_CHANGED, "leaf differs "
			    "(the record hash is not stored)", &e);
		return fail(v, KTS_LSW_TREE_HASH, "tree hash differs", &e);
	}
	return 0;
}

/* The tag of the next element's TLV16 header, or 0. */
static uint16_t
raw_tag(const struct kts_ls_reader *rd)
{
	const uint8_t *h = rd->p + rd->off;

	if (rd->len - rd->off < 4 || (h[0] & 0xe0) != 0x80)
		return 0;
	return (uint16_t)((h[0] & 0x1f) << 8 | h[1]);
}

/* Is the record at position v->rec (1-based) a metarecord? */
static int
take_meta(struct vst *v, uint8_t *rec, int *is_meta)
{
	struct kts_ls_elem e;
	size_t len;
	int r;

	*is_meta = 0;
	if (raw_tag(&v->rd) == KTS_LS_REC || raw_tag(&v->rd) == KTS_LS_TREE)
		return 0;	/* the common case, without a second parse */
	if ((r = peek(v, &e)) != 0 || e.tag != KTS_LS_META)
		return r;
	if (e.u.meta.index + 1 > v->rec)
		return 0;	/* a later record: this one is a line */
	if (e.u.meta.index + 1 < v->rec)
		return fail(v, KTS_LSW_FORMAT, "metarecord index does not "
		    "match its position in the block", &e);
	(void)next(v, &e);
	*is_meta = 1;
	v->line = 0;
	if (kts_hash_cat_raw(v->b->alg, e.u.meta.raw, e.u.meta.raw_len, NULL,
	    0, rec, &len) != 0)
		return fail(v, KTS_LSW_FORMAT, "hash algorithm not available",
		    &e);
	return 0;
}

static int
record(struct vst *v)
{
	uint8_t rec[KTS_IMPRINT_MAX];
	int is_meta;
	int r;

	if ((r = take_meta(v, rec, &is_meta)) != 0)
		return r;
	if (!is_meta && v->lr != NULL && (r = line_hash(v, rec)) != 0)
		return r;
	if (v->n_rec > 0 &&
	    (r = check_rec(v, rec, is_meta, is_meta || v->lr != NULL)) != 0)
		return r;
	if (kts_ls_blk_add_hash(v->b, rec, is_meta) != 0)
		return fail(v, KTS_LSW_COUNT, "too many records", NULL);
	if (v->n_tree > 0)
		return check_tree(v);
	return 0;
}

/* Final tree hashes (spec 2.5): all or none, made by the close. */
static int
check_finals(struct vst *v)
{
	struct kts_ls_elem e;
	size_t k = 0;
	int r;

	for (;;) {
		if ((r = peek(v, &e)) != 0)
			return r;
		if (e.tag != KTS_LS_TREE)
			break;
		(void)next(v, &e);
		if (k >= v->b->n_made)
			return fail(v, KTS_LSW_FINAL_HASH,
			    "too many final tree hashes", &e);
		if (!imprint_is(&e.u.hash, v->b->made[k++]))
			return fail(v, KTS_LSW_FINAL_HASH,
			    "final tree hash differs", &e);
	}
	if (k != 0 && k != v->b->n_made)
		return fail(v, KTS_LSW_FINAL_HASH,
		    "too few final tree hashes", &e);
	return 0;
}

/* The element after the records must be the block signature. */
static int
expect_bsig(struct vst *v, struct kts_ls_elem *e)
{
	int r;

	if ((r = next(v, e)) != 0)
		return r;
	if (e->tag == KTS_LS_BSIG)
		return 0;
	if (e->tag == KTS_LS_REC)
		return fail(v, KTS_LSW_HASH_EXTRA,
		    "more record hashes than the record count", e);
	return fail(v, KTS_LSW_COUNT,
	    "more records than the block's record count", e);
}

/* The signature's first link correction, or -1 if it has none. */
static long
first_corr(const struct kts_sig *sig)
{
	if (sig->n_chains == 0 || sig->chains[0].n_links == 0)
		return -1;
	return (long)sig->chains[0].links[0].corr;
}

/* Run the signature policy; FAIL fails, NA is inconclusive. */
static int
sig_policy(struct vst *v, const struct kts_sig *sig,
    const struct kts_imprint *doc, unsigned level,
    const struct kts_ls_elem *e)
{
	struct kts_vctx ctx;
	struct kts_vresult vr;
	int r;

	if (v->o != NULL && (v->o->flags & KTS_LS_V_NO_SIG))
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	memset(&vr, 0, sizeof(vr));
	ctx.doc_hash = doc;
	ctx.level = level;
	if (v->o != NULL && v->o->sig_fn != NULL)
		r = v->o->sig_fn(v->o->sig_arg, sig, doc, level, &vr);
	else
		r = kts_verify(sig, KTS_POL_INTERNAL, &ctx, &vr);
	if (r == KTS_ENOMEM)
		return r;
	if (r != 0 || vr.verdict == KTS_V_NA) {
		v->res->code = v->res->status ? v->res->code : vr.code;
		return note(v, KTS_LS_INCONCLUSIVE, KTS_LSW_SIG_NA, vr.detail
		    != NULL ? vr.detail : "signature not verified", e->off,
		    e->tag);
	}
	if (vr.verdict == KTS_V_FAIL) {
		v->res->code = vr.code;
		return fail(v, KTS_LSW_SIG_FAILED, vr.detail != NULL ?
		    vr.detail : "signature verification failed", e);
	}
	return 0;
}

/* Parse the 0x905 value; a broken one is a format error inside it. */
static int
parse_sig(struct vst *v, const struct kts_ls_elem *e, const uint8_t *p,
    size_t len, struct kts_sig **sig)
{
	struct kts_perr perr = { 0, 0, NULL };
	int r;

	if ((r = kts_sig_parse(p, len, sig, &perr)) == 0 || r == KTS_ENOMEM)
		return r;
	return note(v, KTS_LS_FAILED, KTS_LSW_FORMAT, perr.what != NULL ?
	    perr.what : "malformed KSI signature",
	    (size_t)(p - v->rd.p) + perr.off, perr.tag ? perr.tag : KTS_LS_KSI);
}

/* Level binding (spec 1.5, 2.6): first-link correction >= L. */
static int
check_level(struct vst *v, const struct kts_sig *sig, unsigned *level,
    const struct kts_ls_elem *e)
{
	long c = first_corr(sig);
	int legacy = v->o != NULL && (v->o->flags & KTS_LS_V_LEGACY_LEVEL);

	if (*level == 0 || c >= (long)*level)
		return 0;
	if (legacy && c >= 0 && c + 1 >= (long)*level) {
		*level = (unsigned)c;
		return 0;
	}
	return fail(v, KTS_LSW_LEVEL,
	    "signature level is below the block's request level", e);
}

static int
check_time(struct vst *v, uint64_t t, const struct kts_ls_elem *e)
{
	int ignore = v->o != NULL && (v->o->flags & KTS_LS_V_IGNORE_TIME);

	if (!ignore && t < v->prev_time)
		return fail(v, KTS_LSW_TIME_ORDER, "block signed earlier than "
		    "the previous block", e);
	v->prev_time = t;
	return 0;
}

static int
check_ksi(struct vst *v, const struct kts_ls_elem *e,
    const struct kts_imprint *root, unsigned level)
{
	struct kts_sig *sig = NULL;
	int r;

	if ((r = parse_sig(v, e, e->u.bsig.sig, e->u.bsig.sig_len, &sig)) != 0)
		return r;
	v->bi.sig_time = kts_sig_signing_time(sig);
	if (!kts_imprint_eq(kts_sig_doc_hash(sig), root))
		r = fail(v, KTS_LSW_ROOT, "block root differs from the signed "
		    "document hash", e);
	if (r == 0)
		r = check_level(v, sig, &level, e);
	if (r == 0)
		r = check_time(v, v->bi.sig_time, e);
	if (r == 0)
		r = sig_policy(v, sig, root, level, e);
	kts_sig_free(sig);
	return r;
}

static int
check_bsig(struct vst *v, const struct kts_ls_elem *e,
    const struct kts_imprint *root, unsigned level)
{
	v->bi.kind = e->u.bsig.kind;
	switch (e->u.bsig.kind) {
	case KTS_LS_SIG_NONE:
		if (!kts_imprint_eq(&e->u.bsig.root, root))
			return fail(v, KTS_LSW_ROOT, "block root differs from "
			    "the unsigned block's stored root", e);
		return note(v, KTS_LS_INCONCLUSIVE, KTS_LSW_UNSIGNED,
		    "block is not signed", e->off, e->tag);
	case KTS_LS_SIG_RFC3161:
		return note(v, KTS_LS_INCONCLUSIVE, KTS_LSW_RFC3161,
		    "RFC 3161 time-stamp not verified", e->off, e->tag);
	default:
		return check_ksi(v, e, root, level);
	}
}

/* Block header: the link to the previous block (spec 2.7). */
static int
start_block(struct vst *v, const struct kts_ls_elem *h)
{
	const struct kts_imprint *want = NULL;

	memset(&v->bi, 0, sizeof(v->bi));
	v->bi.block = v->res->blocks + 1;
	v->bi.off = h->off;
	v->rec = 0;
	v->line = 0;
	if (v->has_prev)
		want = &v->prev_out;
	else if (v->o != NULL && v->o->input != NULL)
		want = v->o->input;
	if (want != NULL && !kts_imprint_eq(want, &h->u.hdr.input))
		return fail(v, KTS_LSW_LINK_BROKEN, "block input hash is not "
		    "the previous block's last leaf", h);
	if (h->u.hdr.input.alg != h->u.hdr.alg)
		return fail(v, KTS_LSW_LINK_BROKEN, "block input hash is of "
		    "another algorithm than the block", h);
	if (kts_ls_blk_init(v->b, h->u.hdr.alg, &h->u.hdr.input, 0) != 0 ||
	    kts_ls_blk_seed(v->b, h->u.hdr.seed, h->u.hdr.seed_len) != 0)
		return fail(v, KTS_LSW_FORMAT, "block hash algorithm not "
		    "available", h);
	return 0;
}

/* Without a log and without record hashes: only the structure. */
static int
skip_block(struct vst *v, struct kts_ls_elem *e)
{
	int r;

	do
		r = next(v, e);
	while (r == 0 && e->tag != KTS_LS_BSIG);
	v->has_prev = 0;
	v->bi.kind = e->u.bsig.kind;
	v->bi.records = e->u.bsig.count;
	return r;
}

/* Counts and the ambiguity rule, before any record is read. */
static int
check_shape(struct vst *v, const struct kts_ls_elem *h)
{
	if (v->n == 0 || v->n > KTS_LS_MAX_BLOCK_RECORDS)
		return fail(v, KTS_LSW_COUNT, "record count out of range", h);
	if (v->n_meta > v->n)
		return fail(v, KTS_LSW_COUNT, "more metarecords than records",
		    h);
	/*
	 * spec 2.5: tree hashes only, unbalanced, no closing metarecord is
	 * ambiguous without the log (integrate); with the log the record
	 * count of 0x904 settles it, as logksi verify accepts.
	 */
	if (v->lr == NULL && v->n_tree > 0 && v->n_rec == 0 && (v->n & (v->n - 1)) != 0 &&
	    !v->last_meta)
		return fail(v, KTS_LSW_TREE_AMBIGUOUS, "tree hashes without "
		    "record hashes in an unbalanced block without a closing "
		    "metarecord", h);
	return 0;
}

static int
block_body(struct vst *v, const struct kts_ls_elem *h, struct kts_ls_elem *e)
{
	struct kts_imprint root;
	unsigned level;
	int r;

	if ((r = scan_block(v, h)) != 0 || (r = check_shape(v, h)) != 0)
		return r;
	if (v->lr == NULL && v->n_rec == 0 && v->n_meta < v->n)
		return skip_block(v, e);
	for (v->rec = 1; v->rec <= v->n; v->rec++)
		if ((r = record(v)) != 0)
			return r;
	v->rec = 0;
	v->line = 0;
	v->bi.records = v->n;
	v->res->no_close_meta = !v->last_meta;
	if (kts_ls_blk_close(v->b, NULL, &root, &level) != 0)
		return fail(v, KTS_LSW_COUNT, "empty block", h);
	if (v->rd.kind == KTS_LS_LOGSIG11)
		level = 0;	/* spec 2.6: LOGSIG11 requested level 0 */
	v->bi.level = level;
	v->bi.root = root;
	v->bi.has_root = 1;
	kts_ls_bytes_imprint(v->b->prev, v->b->alg, &v->bi.output);
	v->bi.has_output = 1;
	v->prev_out = v->bi.output;
	v->has_prev = 1;
	if ((r = check_finals(v)) != 0 || (r = expect_bsig(v, e)) != 0)
		return r;
	return check_bsig(v, e, &root, level);
}

static int
block(struct vst *v, const struct kts_ls_elem *h)
{
	struct kts_ls_elem e;
	int r;

	if ((r = start_block(v, h)) == 0)
		r = block_body(v, h, &e);
	v->res->blocks++;
	if (v->bi.has_output) {
		v->res->output = v->bi.output;
		v->res->has_output = 1;
	}
	v->res->last_time = v->prev_time;
	if (v->o != NULL && v->o->block_fn != NULL)
		v->o->block_fn(v->o->block_arg, &v->bi);
	return r;
}

/* Step 6: the log must have no lines left. */
static int
check_tail(struct vst *v)
{
	const uint8_t *p;
	size_t len;
	int got;
	int r;

	if (v->lr == NULL)
		return 0;
	r = kts_ls_line(v->lr, &p, &len, &got);
	if (r == 0 && !got)
		return 0;
	v->line = v->lr->lineno + (r != 0);
	memset(&v->bi, 0, sizeof(v->bi));
	v->rec = 0;
	if (r != 0)
		return fail(v, r == KTS_ETOOBIG ? KTS_LSW_LINE_TOO_LONG :
		    KTS_LSW_IO, "reading the log failed", NULL);
	return fail(v, KTS_LSW_EXTRA_RECORD,
	    "the log has lines after the last block", NULL);
}

static int
walk(struct vst *v)
{
	struct kts_ls_elem e;
	int r;

	for (;;) {
		if ((r = next(v, &e)) != 0)
			return r;
		if (e.tag == 0)
			break;
		if (e.tag != KTS_LS_HDR)
			return fail(v, KTS_LSW_OUT_OF_BLOCK,
			    "element outside a block (before its header)", &e);
		if ((r = block(v, &e)) != 0)
			return r;
	}
	if (v->res->blocks == 0)
		return fail(v, KTS_LSW_FORMAT, "file has no blocks", NULL);
	return check_tail(v);
}

static int
vst_init(struct vst *v, const uint8_t *p, size_t n, struct kts_ls_lines *lr,
    const struct kts_ls_vopts *o, struct kts_ls_vres *res)
{
	memset(res, 0, sizeof(*res));
	memset(v, 0, sizeof(*v));
	v->o = o;
	v->res = res;
	v->lr = lr;
	v->prev_time = o != NULL ? o->prev_time : 0;
	if ((v->b = malloc(sizeof(*v->b))) == NULL)
		return KTS_ENOMEM;
	if (kts_ls_reader_init(&v->rd, p, n) != 0)
		(void)fail_fmt(v);
	return 0;
}

int
kts_ls_verify(const uint8_t *p, size_t n, struct kts_ls_lines *lr,
    const struct kts_ls_vopts *o, struct kts_ls_vres *res)
{
	struct vst v;
	int r;

	if ((r = vst_init(&v, p, n, lr, o, res)) != 0)
		return r;
	if (res->status == KTS_LS_OK && v.rd.kind != KTS_LS_LOGSIG11 &&
	    v.rd.kind != KTS_LS_LOGSIG12)
		(void)fail(&v, KTS_LSW_FORMAT, "not a LOGSIG11 or LOGSIG12 "
		    "file", NULL);
	r = 0;
	if (res->status == KTS_LS_OK)
		r = walk(&v);
	res->lines = lr != NULL ? lr->lineno : 0;
	free(v.b);
	return r < 0 ? r : 0;
}

/* Excerpts (RECSIG11/12, spec 2.8). */

/* The record a chain proves: the excerpt's next line or its metarecord. */
static int
chain_record(struct vst *v, const struct kts_ls_chain *c, uint8_t *rec)
{
	size_t len;
	int r;

	if (kts_ls_blk_init(v->b, c->rec.alg, NULL, 0) != 0)
		return fail(v, KTS_LSW_FORMAT, "hash algorithm not available",
		    NULL);
	if (c->has_meta) {
		v->line = 0;
		r = kts_hash_cat_raw(c->rec.alg, c->meta.raw, c->meta.raw_len,
		    NULL, 0, rec, &len);
		return r != 0 ? fail(v, KTS_LSW_FORMAT, "hash failed", NULL) : 0;
	}
	if (v->lr != NULL)
		return line_hash(v, rec);
	kts_imprint_bytes(&c->rec, rec);
	return 0;
}

static int
excerpt_chain(struct vst *v, const struct kts_ls_elem *e,
    const struct kts_sig *sig)
{
	const struct kts_ls_chain *c = &e->u.chain;
	uint8_t rec[KTS_IMPRINT_MAX];
	enum kts_ls_what w;
	int r;

	v->rec++;
	if ((r = chain_record(v, c, rec)) != 0)
		return r;
	if (!imprint_is(&c->rec, rec))
		return fail(v, c->has_meta ? KTS_LSW_META_CHANGED :
		    KTS_LSW_RECORD_CHANGED, "record hash of the chain differs "
		    "from the excerpt's record", e);
	r = kts_ls_chain_verify(c, sig, &w);
	if (r != 0 && r != KTS_EVERIFY)
		return fail(v, KTS_LSW_PROOF, "record chain cannot be "
		    "computed", e);
	if (r != 0)
		return fail(v, w, w == KTS_LSW_LEVEL ? "record chain is taller "
		    "than the signature's level allows" : "record chain does "
		    "not reach the signed hash", e);
	return 0;
}

int
kts_ls_chain_verify(const struct kts_ls_chain *c, const struct kts_sig *sig,
    enum kts_ls_what *what)
{
	struct kts_imprint root;
	unsigned h;
	int r;

	*what = KTS_LSW_NONE;
	if ((r = kts_ls_chain_eval(c, &root, &h)) != 0)
		return r;
	*what = KTS_LSW_PROOF;
	if (!kts_imprint_eq(&root, kts_sig_doc_hash(sig)))
		return KTS_EVERIFY;
	/* spec 2.8: bind the level, height <= first-link correction. */
	*what = KTS_LSW_LEVEL;
	if ((long)h > first_corr(sig))
		return KTS_EVERIFY;
	*what = KTS_LSW_NONE;
	return 0;
}

/* A 0x905 opens a group: parse and check it. */
static int
excerpt_sig(struct vst *v, const struct kts_ls_elem *e, struct kts_sig **sig,
    uint64_t chains)
{
	int r;

	if (*sig != NULL && chains == 0)
		return fail(v, KTS_LSW_FORMAT, "signature without record "
		    "chains", e);
	kts_sig_free(*sig);
	*sig = NULL;
	memset(&v->bi, 0, sizeof(v->bi));
	v->bi.block = ++v->res->blocks;
	v->rec = 0;
	if ((r = parse_sig(v, e, e->u.ksi.p, e->u.ksi.len, sig)) != 0 ||
	    (r = check_time(v, kts_sig_signing_time(*sig), e)) != 0)
		return r;
	v->res->last_time = v->prev_time;
	return sig_policy(v, *sig, kts_sig_doc_hash(*sig), 0, e);
}

static int
excerpt_walk(struct vst *v)
{
	struct kts_sig *sig = NULL;
	struct kts_ls_elem e;
	uint64_t chains = 0;
	int r;

	for (;;) {
		if ((r = next(v, &e)) != 0 || e.tag == 0)
			break;
		if (e.tag == KTS_LS_KSI) {
			r = excerpt_sig(v, &e, &sig, chains);
			chains = 0;
		} else if (sig == NULL)
			r = fail(v, KTS_LSW_OUT_OF_BLOCK, "record chain before "
			    "any signature", &e);
		else {
			chains++;
			r = excerpt_chain(v, &e, sig);
		}
		if (r != 0)
			break;
	}
	if (r == 0 && (sig == NULL || chains == 0))
		r = fail(v, KTS_LSW_FORMAT, sig == NULL ? "file has no "
		    "signatures" : "signature without record chains", NULL);
	kts_sig_free(sig);
	return r != 0 ? r : check_tail(v);
}

int
kts_ls_verify_excerpt(const uint8_t *p, size_t n, struct kts_ls_lines *lr,
    const struct kts_ls_vopts *o, struct kts_ls_vres *res)
{
	struct vst v;
	int r;

	if ((r = vst_init(&v, p, n, lr, o, res)) != 0)
		return r;
	if (res->status == KTS_LS_OK && v.rd.kind != KTS_LS_RECSIG11 &&
	    v.rd.kind != KTS_LS_RECSIG12)
		(void)fail(&v, KTS_LSW_FORMAT, "not a RECSIG11 or RECSIG12 "
		    "file", NULL);
	r = 0;
	if (res->status == KTS_LS_OK)
		r = excerpt_walk(&v);
	res->lines = lr != NULL ? lr->lineno : 0;
	free(v.b);
	return r < 0 ? r : 0;
}

/* Async parts (spec 1.4 LOG12BLK/LOG12SIG, section 3 integrate). */

static int
fail_sigfile(struct vst *v, const struct kts_ls_reader *srd)
{
	return note(v, KTS_LS_FAILED, KTS_LSW_FORMAT, srd->err.what,
	    srd->err.off, srd->err.tag);
}

/* The signature file's 0x904 for the placeholder e must match it. */
static int
join_sig(struct vst *v, const struct kts_ls_elem *e, const struct kts_ls_elem *s)
{
	struct kts_sig *sig = NULL;
	int r = 0;

	if (s->u.bsig.count != e->u.bsig.count)
		return fail(v, KTS_LSW_COUNT, "record counts of the block and "
		    "its signature differ", s);
	if (e->u.bsig.kind != KTS_LS_SIG_NONE)
		return fail(v, KTS_LSW_FORMAT, "block file's block signature "
		    "is not a placeholder", e);
	if (s->u.bsig.kind == KTS_LS_SIG_NONE) {
		if (!kts_imprint_eq(&s->u.bsig.root, &e->u.bsig.root))
			return fail(v, KTS_LSW_ROOT, "unsigned roots of the "
			    "block and its signature differ", s);
		return note(v, KTS_LS_INCONCLUSIVE, KTS_LSW_UNSIGNED,
		    "block is not signed", s->off, s->tag);
	}
	if (s->u.bsig.kind != KTS_LS_SIG_KSI)
		return fail(v, KTS_LSW_FORMAT, "unexpected signature kind", s);
	if ((r = parse_sig(v, s, s->u.bsig.sig, s->u.bsig.sig_len, &sig)) != 0)
		return r;
	if (!kts_imprint_eq(kts_sig_doc_hash(sig), &e->u.bsig.root))
		r = fail(v, KTS_LSW_ROOT, "signed hash differs from the "
		    "block's root", s);
	kts_sig_free(sig);
	return r;
}

static int
join_block(struct vst *v, struct kts_ls_reader *srd,
    const struct kts_ls_elem *e, struct kts_wr *out)
{
	struct kts_ls_elem s;
	const uint8_t *save = v->rd.p;
	int r;

	if (kts_ls_next(srd, &s) != 0)
		return fail_sigfile(v, srd);
	if (s.tag == 0 && v->bi.block == 1)
		return note(v, KTS_LS_FAILED, KTS_LSW_FORMAT, "signatures file "
		    "has no block signatures", srd->off, 0);
	if (s.tag == 0)
		return fail(v, KTS_LSW_COUNT, "fewer block signatures than "
		    "blocks", e);
	/* Offsets of signature-file failures are in that file. */
	v->rd.p = srd->p;
	r = join_sig(v, e, &s);
	v->rd.p = save;
	if (r != 0)
		return r;
	if ((r = kts_wr_put(out, s.raw, s.raw_len)) == KTS_ENOMEM)
		return r;
	return r != 0 ? fail(v, KTS_LSW_FORMAT, "output too large", e) : 0;
}

/* The intact prefix of a join, for recovery. */
struct good {
	size_t len;		/* bytes of out up to the last joined block */
	uint64_t blocks;	/* blocks joined */
	uint64_t lines;		/* log lines they cover */
	uint64_t metas;		/* metarecords in the open block */
};

static int
join_elem(struct vst *v, struct kts_ls_reader *srd, const struct kts_ls_elem *e,
    struct kts_wr *out, struct good *g)
{
	int r;

	if (e->tag == KTS_LS_HDR) {
		memset(&v->bi, 0, sizeof(v->bi));
		v->bi.block = ++v->res->blocks;
		g->metas = 0;
	}
	g->metas += e->tag == KTS_LS_META;
	if (e->tag != KTS_LS_BSIG) {
		if ((r = kts_wr_put(out, e->raw, e->raw_len)) != 0 &&
		    r != KTS_ENOMEM)
			r = fail(v, KTS_LSW_FORMAT, "output too large", e);
		return r;
	}
	if ((r = join_block(v, srd, e, out)) != 0)
		return r;
	g->len = out->len;
	g->blocks = v->bi.block;
	g->lines += e->u.bsig.count - (g->metas < e->u.bsig.count ?
	    g->metas : e->u.bsig.count);
	return 0;
}

static int
join(struct vst *v, struct kts_ls_reader *srd, struct kts_wr *out,
    struct good *g)
{
	struct kts_ls_elem e;
	int r;

	if (kts_ls_wr_magic(out, KTS_LS_LOGSIG12) != 0)
		return KTS_ENOMEM;
	g->len = out->len;
	for (;;) {
		if ((r = next(v, &e)) != 0 || e.tag == 0)
			break;
		if ((r = join_elem(v, srd, &e, out, g)) != 0)
			return r;
	}
	if (r != 0)
		return r;
	if (kts_ls_next(srd, &e) != 0)
		return fail_sigfile(v, srd);
	if (e.tag != 0)
		return fail(v, KTS_LSW_COUNT, "more block signatures than "
		    "blocks", NULL);
	return 0;
}

/* --recover: keep the blocks before the damage (spec 3, integrate). */
static int
recover(struct kts_wr *out, const struct good *g, struct kts_ls_vres *res)
{
	if (g->blocks == 0)
		return STOP;	/* the first block is damaged: nothing */
	out->len = g->len;
	res->status = KTS_LS_INCONCLUSIVE;
	res->recovered = 1;
	res->blocks = g->blocks;
	res->lines = g->lines;
	return 0;
}

/* The joined file must hold together (hashes, roots) on its own. */
static int
self_check(struct kts_wr *out, struct kts_ls_vres *res)
{
	struct kts_ls_vopts o;
	struct kts_ls_vres r2;
	int r;

	memset(&o, 0, sizeof(o));
	o.flags = KTS_LS_V_NO_SIG | KTS_LS_V_IGNORE_TIME;
	if ((r = kts_ls_verify(out->p, out->len, NULL, &o, &r2)) != 0)
		return r;
	if (r2.status == KTS_LS_FAILED)
		*res = r2;
	return 0;
}

static int
integrate(const uint8_t *blk, size_t blk_len, const uint8_t *sig,
    size_t sig_len, int salvage, struct kts_wr *out, struct kts_ls_vres *res)
{
	struct kts_ls_reader srd;
	struct good g = { 0, 0, 0, 0 };
	struct vst v;
	int r;

	if ((r = vst_init(&v, blk, blk_len, NULL, NULL, res)) != 0)
		return r;
	if (res->status == KTS_LS_OK && v.rd.kind != KTS_LS_LOG12BLK)
		(void)fail(&v, KTS_LSW_FORMAT, "blocks file is not LOG12BLK",
		    NULL);
	if (res->status == KTS_LS_OK && kts_ls_reader_init(&srd, sig,
	    sig_len) != 0)
		(void)fail_sigfile(&v, &srd);
	else if (res->status == KTS_LS_OK && srd.kind != KTS_LS_LOG12SIG)
		(void)fail(&v, KTS_LSW_FORMAT, "signatures file is not "
		    "LOG12SIG", NULL);
	if (res->status != KTS_LS_FAILED)
		r = join(&v, &srd, out, &g);
	if (r == STOP && salvage)
		r = recover(out, &g, res);
	if (r == 0 && res->status != KTS_LS_FAILED && !res->recovered)
		res->lines = g.lines;
	if (r == 0 && res->status != KTS_LS_FAILED && res->blocks == 0)
		(void)fail(&v, KTS_LSW_FORMAT, "blocks file has no blocks",
		    NULL);
	if (r == 0 && res->status != KTS_LS_FAILED)
		r = self_check(out, res);
	free(v.b);
	return r < 0 ? r : 0;
}

int
kts_ls_integrate(const uint8_t *blk, size_t blk_len, const uint8_t *sig,
    size_t sig_len, unsigned flags, struct kts_wr *out,
    struct kts_ls_vres *res)
{
	return integrate(blk, blk_len, sig, sig_len,
	    (flags & KTS_LS_I_RECOVER) != 0, out, res);
}
