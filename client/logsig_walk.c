/*
 * logsig_walk.c - the log's records block by block, for extract and
 * proofs (logsig_cli.h).
 *
 * The signature file is read element by element while the log is read
 * line by line: a metarecord takes the log lines before its index, a
 * block signature the lines up to its record count (spec/logsig.md 2.9
 * step 3), so the records are made from the log itself, never taken
 * from stored hashes.  The caller checks the log against the file first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "logsig_cli.h"

struct walk {
	struct ls_wblk b;
	struct kts_ls_lines lr;
	ls_want_fn want;
	ls_block_fn fn;
	void *arg;
	const char *log;
};

static int
grow(struct ls_wblk *b)
{
	uint64_t cap = b->cap == 0 ? 256 : b->cap * 2;
	void *p;

	if (b->n < b->cap)
		return 0;
	if (cap > KTS_LS_MAX_BLOCK_RECORDS)
		return KTS_ETOOBIG;
	if ((p = realloc(b->recs, cap * sizeof(*b->recs))) == NULL)
		return KTS_ENOMEM;
	b->recs = p;
	if ((p = realloc(b->is_meta, cap)) == NULL)
		return KTS_ENOMEM;
	b->is_meta = p;
	if ((p = realloc(b->lineno, cap * sizeof(*b->lineno))) == NULL)
		return KTS_ENOMEM;
	b->lineno = p;
	if ((p = realloc(b->toff, cap * sizeof(*b->toff))) == NULL)
		return KTS_ENOMEM;
	b->toff = p;
	if ((p = realloc(b->tlen, cap * sizeof(*b->tlen))) == NULL)
		return KTS_ENOMEM;
	b->tlen = p;
	b->cap = cap;
	return 0;
}

static int
add_rec(struct ls_wblk *b, const struct kts_imprint *h, int meta,
    uint64_t line)
{
	int r;

	if ((r = grow(b)) != 0)
		return r;
	b->recs[b->n] = *h;
	b->is_meta[b->n] = (uint8_t)meta;
	b->lineno[b->n] = line;
	b->tlen[b->n] = LS_NO_TEXT;
	b->toff[b->n] = 0;
	b->n++;
	return 0;
}

/* Take the next log line as a record; keep its text if wanted. */
static int
take_line(struct walk *w)
{
	struct ls_wblk *b = &w->b;
	struct kts_imprint h;
	const uint8_t *line;
	size_t len;
	int got;
	int r;

	if ((r = kts_ls_line(&w->lr, &line, &len, &got)) != 0)
		return r;
	if (!got)
		return KTS_ETRUNC;
	if ((r = kts_hash_buf(b->hdr.alg, line, len, &h)) != 0 ||
	    (r = add_rec(b, &h, 0, w->lr.lineno)) != 0)
		return r;
	if (!w->want(w->arg, w->lr.lineno))
		return 0;
	b->wanted = 1;
	b->toff[b->n - 1] = b->text.len;
	b->tlen[b->n - 1] = len;
	return kts_wr_put(&b->text, line, len);
}

static int
take_lines_to(struct walk *w, uint64_t n)
{
	int r;

	while (w->b.n < n)
		if ((r = take_line(w)) != 0)
			return r;
	return 0;
}

static int
take_meta(struct walk *w, const struct kts_ls_meta *m)
{
	struct kts_imprint h;
	int r;

	if ((r = take_lines_to(w, m->index)) != 0 ||
	    (r = kts_hash_buf(w->b.hdr.alg, m->raw, m->raw_len, &h)) != 0)
		return r;
	return add_rec(&w->b, &h, 1, 0);
}

static int
take_bsig(struct walk *w, const struct kts_ls_bsig *bs)
{
	int r;

	if ((r = take_lines_to(w, bs->count)) != 0)
		return r;
	w->b.bs = bs;
	if (!w->b.wanted)
		return 0;
	if ((r = kts_ls_tree_build(&w->b.hdr.input, w->b.hdr.seed,
	    w->b.hdr.seed_len, w->b.recs, w->b.is_meta, w->b.n,
	    &w->b.tree)) != 0)
		return r;
	r = w->fn(w->arg, &w->b);
	kts_ls_tree_free(w->b.tree);
	w->b.tree = NULL;
	return r;
}

static int
elements(struct walk *w, const struct ls_map *m)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	int r;

	if ((r = kts_ls_reader_init(&rd, m->p, m->len)) != 0)
		return r;
	while ((r = kts_ls_next(&rd, &e)) == 0 && e.tag != 0) {
		if (e.tag == KTS_LS_HDR) {
			w->b.block++;
			w->b.hdr = e.u.hdr;
			w->b.n = 0;
			w->b.wanted = 0;
			w->b.text.len = 0;
		} else if (e.tag == KTS_LS_META) {
			r = take_meta(w, &e.u.meta);
		} else if (e.tag == KTS_LS_BSIG) {
			r = take_bsig(w, &e.u.bsig);
		}
		if (r != 0)
			return r;
	}
	return r;
}

int
ls_walk(const char *log, const struct ls_map *m, ls_want_fn want,
    ls_block_fn fn, void *arg)
{
	struct walk w;
	int fd;
	int r;

	memset(&w, 0, sizeof(w));
	w.want = want;
	w.fn = fn;
	w.arg = arg;
	w.log = log;
	kts_wr_init(&w.b.text, KTS_LS_MAX_BLOCK_BYTES);
	if ((w.b.chain = malloc(sizeof(*w.b.chain))) == NULL)
		return KTS_ENOMEM;
	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err("%s: cannot open: %s", log, strerror(errno));
		free(w.b.chain);
		return KTS_EIO;
	}
	if ((r = kts_ls_lines_fd(&w.lr, fd)) == 0) {
		r = elements(&w, m);
		kts_ls_lines_free(&w.lr);
	}
	close(fd);
	free(w.b.recs);
	free(w.b.is_meta);
	free(w.b.lineno);
	free(w.b.toff);
	free(w.b.tlen);
	free(w.b.chain);
	kts_wr_free(&w.b.text);
	return r;
}
