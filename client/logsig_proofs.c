/*
 * logsig_proofs.c - the JSON lines of `kts logsig proofs`: for every log
 * line its record hash, block, verdict, signing time and the chain from
 * the record to the block root (spec/logsig.md 2.8), one compact JSON
 * object a line, the shape Filebeat/Elastic Agent and Splunk's HTTP
 * event collector take (docs/siem.md maps the fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "limits.h"
#include "logsig_cli.h"

struct prun {
	const char *log;
	const struct ls_bstat *st;
	uint64_t n_st;
	int with_text;
	char *text;			/* a NUL-terminated copy of a line */
	size_t text_cap;
};

static const char *
verdict(const struct prun *x, uint64_t block)
{
	const struct ls_bstat *s;

	if (block == 0 || block > x->n_st || !x->st[block - 1].checked)
		return "NOT_CHECKED";
	s = &x->st[block - 1];
	if (s->status == KTS_LS_OK)
		return "OK";
	return s->status == KTS_LS_INCONCLUSIVE ? "INCONCLUSIVE" : "FAILED";
}

static void
put_chain(struct jw *w, const struct kts_ls_chain *c)
{
	size_t i;

	jw_arr_begin(w, "proof");
	for (i = 0; i < c->n_steps; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "side", c->steps[i].dir == KTS_LS_STEP_LEFT ?
		    "left" : "right");
		jw_u64(w, "correction", c->steps[i].corr);
		jw_imprint(w, "sibling", &c->steps[i].sib);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The line's text as a C string; NULs cannot occur (the reader). */
static const char *
line_text(struct prun *x, const struct ls_wblk *b, uint64_t i)
{
	size_t n = b->tlen[i];
	char *p;

	if (n + 1 > x->text_cap) {
		if ((p = realloc(x->text, n + 1)) == NULL)
			return NULL;
		x->text = p;
		x->text_cap = n + 1;
	}
	memcpy(x->text, b->text.p + b->toff[i], n);
	x->text[n] = '\0';
	return x->text;
}

static void
put_record(struct prun *x, const struct ls_wblk *b, uint64_t i,
    const struct kts_ls_chain *c, const struct kts_imprint *root,
    unsigned level)
{
	const struct ls_bstat *s = b->block <= x->n_st ?
	    &x->st[b->block - 1] : NULL;
	struct jw w;

	jw_init_line(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "file", x->log);
	jw_u64(&w, "line", b->lineno[i]);
	jw_str(&w, "hash_algorithm", kts_hash_name(c->rec.alg));
	jw_imprint(&w, "record_hash", &c->rec);
	jw_u64(&w, "block", b->block);
	jw_u64(&w, "record", i + 1);
	if (s != NULL && s->sig_time != 0)
		jw_time(&w, "signing_time", (int64_t)s->sig_time);
	jw_str(&w, "verdict", verdict(x, b->block));
	if (s != NULL && s->checked && s->status != KTS_LS_OK)
		jw_str(&w, "what", kts_ls_what_str(s->what));
	jw_imprint(&w, "block_root", root);
	jw_u64(&w, "level", level);
	put_chain(&w, c);
	if (x->with_text)
		jw_str(&w, "message", line_text(x, b, i));
	jw_obj_end(&w);
	jw_finish(&w);
}

static int
emit_block(void *arg, struct ls_wblk *b)
{
	struct prun *x = arg;
	struct kts_imprint root;
	unsigned level;
	uint64_t i;
	int r = 0;

	kts_ls_tree_root(b->tree, &root, &level);
	for (i = 0; r == 0 && i < b->n; i++)
		if (b->lineno[i] != 0 &&
		    (r = kts_ls_tree_chain(b->tree, i, b->chain)) == 0)
			put_record(x, b, i, b->chain, &root, level);
	return r;
}

static int
want_all(void *arg, uint64_t line)
{
	(void)arg;
	(void)line;
	return 1;
}

int
ls_proofs_emit(const char *log, const char *sigpath,
    const struct ls_bstat *st, uint64_t n, int with_text)
{
	struct prun x;
	struct ls_map m;
	int rc;
	int r;

	memset(&x, 0, sizeof(x));
	x.log = log;
	x.st = st;
	x.n_st = n;
	x.with_text = with_text;
	if ((rc = ls_map(sigpath, &m)) != 0)
		return rc;
	r = ls_walk(log, &m, want_all, emit_block, &x);
	ls_unmap(&m);
	free(x.text);
	if (fflush(stdout) != 0) {
		cli_err("writing the proofs failed");
		return CLI_EXIT_IO;
	}
	if (r != 0 && r != KTS_EIO) {
		cli_err("%s: proofs stopped: %s (the log does not match %s)",
		    log, kts_strerror(r), sigpath);
		return CLI_EXIT_VERIFY;
	}
	return r != 0 ? CLI_EXIT_IO : CLI_EXIT_OK;
}
