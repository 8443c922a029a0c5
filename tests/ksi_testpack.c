/*
 * ksi_testpack.c - run a KSI signature test pack (KSI spec 10.4) against
 * libkts: every row of the one CSV in each folder is parsed, verified
 * with the named policy and compared with the expected verdict, error
 * code and intermediate values.
 *
 * usage: ksi-testpack [-v] [--default-pubfile FILE] [--default-ca PEM] DIR...
 *
 * Row kinds: "parsing" rows must be rejected by kts_sig_parse();
 * "not-implemented" rows are counted as skipped; the other kinds name a
 * policy.  Rows made against Guardtime's live services are skipped with
 * the reason counted: a row whose verification asks the extender when the
 * row names no extender response file, and a row needing a publications
 * file when neither the row nor --default-pubfile gives one.
 *
 * Trust for publications files (README of the vectors): the row's
 * cert_file, else --default-ca, as a partial-chain anchor; constraint
 * E=publications@guardtime.com; certificates checked at the file's
 * creation time, since the real file's have expired since.
 *
 * Exit: 0 no failures, 1 some row failed, 2 bad usage or a folder that
 * is not a test pack.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "hash.h"
#include "limits.h"
#include "pdu.h"
#include "pub.h"
#include "sig.h"
#include "util.h"
#include "verify.h"

/* CSV columns (spec 10.4). */
enum col {
	C_SIG, C_KIND, C_CODE, C_MSG, C_LEVEL, C_DOC, C_AGGR_ROOT, C_CAL_ROOT,
	C_AGGR_TIME, C_PUB_TIME, C_PUBSTR, C_EXTEND, C_RESP, C_PUBFILE,
	C_CERT, N_COLS
};

enum skip_reason { SKIP_NOTIMPL, SKIP_EXTENDER, SKIP_PUBFILE, N_SKIP };

static const char *const skip_text[N_SKIP] = {
	"not implemented (libksi accepts these signatures too)",
	"needs a live Guardtime extender",
	"needs the live publications file (no --default-pubfile)",
};

#define MAX_PF_CACHE 16
#define MSG_MAX 2048

/* A publications file loaded and checked once per (file, anchor). */
struct pf_entry {
	char *path;			/* owned */
	char *ca;			/* owned, NULL = system store */
	struct kts_pubfile *pf;		/* NULL if it does not load */
	int ok;				/* verified */
	char why[512];
};

struct tp {
	const char *def_pubfile;	/* --default-pubfile */
	const char *def_ca;		/* --default-ca */
	int verbose;			/* -v: a line for every row */
	unsigned pass;
	unsigned fail;
	unsigned skip;
	unsigned skip_by[N_SKIP];
	int setup_error;		/* a folder is not a test pack */
	struct pf_entry cache[MAX_PF_CACHE];
	size_t n_cache;
};

struct row {
	const char *dir;
	const char *csv;
	size_t line;
	const char *f[N_COLS];		/* "" when the column is missing */
};

/* One row's outcome. */
struct outcome {
	enum { O_PASS, O_FAIL, O_SKIP } kind;
	enum skip_reason skip;
	char msg[MSG_MAX];
};

/* The extender: one response file, or "live" (fails, remembers). */
struct ext {
	uint8_t *buf;			/* owned */
	size_t len;
	struct kts_ext_resp resp;
	int parsed;			/* resp is valid */
	int live;			/* no file: a live service is needed */
	int asked;
	char note[512];
};

static void
append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;
	int n;

	if (off + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + off, size - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		buf[off] = '\0';
	/* A longer message is cut at size - 1: it is only diagnostics. */
}

static int
join(char *out, size_t size, const char *dir, const char *rel)
{
	int n = snprintf(out, size, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= size ? KTS_ETOOBIG : 0;
}

static void
perr_text(char *buf, size_t size, int r, const struct kts_perr *pe)
{
	int n;

	if (pe->what != NULL)
		n = snprintf(buf, size, "%s at offset %zu (tag 0x%x): %s",
		    kts_strerror(r), pe->off, (unsigned)pe->tag, pe->what);
	else
		n = snprintf(buf, size, "%s", kts_strerror(r));
	if (n < 0 && size > 0)
		buf[0] = '\0';
}

/* ---- publications files ------------------------------------------------- */

static int
pf_load(struct pf_entry *e)
{
	static const struct kts_cnstr gt = {
		"E", "publications@guardtime.com"
	};
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_trust tr;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = kts_file_read(e->path, KTS_MAX_PUBFILE, &buf, &len)) != 0) {
		snprintf(e->why, sizeof(e->why), "cannot read %s: %s", e->path,
		    r == KTS_EIO ? strerror(errno) : kts_strerror(r));
		return r;
	}
	r = kts_pubfile_parse(buf, len, &e->pf, &pe);
	free(buf);
	if (r != 0) {
		perr_text(e->why, sizeof(e->why), r, &pe);
		return r;
	}
	memset(&tr, 0, sizeof(tr));
	tr.ca_files = (const char *const *)&e->ca;
	tr.n_ca = e->ca != NULL ? 1 : 0;
	tr.default_store = e->ca == NULL;
	tr.partial_chain = 1;
	tr.cnstr = &gt;
	tr.n_cnstr = 1;
	tr.at = kts_pubfile_created(e->pf);
	if ((r = kts_pubfile_verify(e->pf, &tr, e->why, sizeof(e->why))) == 0)
		e->ok = 1;
	return r;
}

/* The checked file for (path, ca), loading it on first use; NULL = full. */
static struct pf_entry *
pf_get(struct tp *tp, const char *path, const char *ca)
{
	struct pf_entry *e;
	size_t i;

	for (i = 0; i < tp->n_cache; i++) {
		e = &tp->cache[i];
		if (strcmp(e->path, path) == 0 && (e->ca == NULL ? ca == NULL :
		    ca != NULL && strcmp(e->ca, ca) == 0))
			return e;
	}
	if (tp->n_cache == MAX_PF_CACHE)
		return NULL;
	e = &tp->cache[tp->n_cache];
	memset(e, 0, sizeof(*e));
	if ((e->path = strdup(path)) == NULL ||
	    (ca != NULL && (e->ca = strdup(ca)) == NULL)) {
		free(e->path);
		return NULL;
	}
	tp->n_cache++;
	(void)pf_load(e);
	return e;
}

/*
 * The publications file for a row: its own (with its cert_file, else
 * --default-ca) or --default-pubfile.  Returns 0 with *e (NULL when there
 * is none) or KTS_ETOOBIG for an over-long path.
 */
static int
row_pubfile(struct tp *tp, const struct row *rw, struct pf_entry **e)
{
	char pf[4096];
	char ca[4096];
	const char *cap = tp->def_ca;

	*e = NULL;
	if (rw->f[C_CERT][0] != '\0') {
		if (join(ca, sizeof(ca), rw->dir, rw->f[C_CERT]) != 0)
			return KTS_ETOOBIG;
		cap = ca;
	}
	if (rw->f[C_PUBFILE][0] != '\0') {
		if (join(pf, sizeof(pf), rw->dir, rw->f[C_PUBFILE]) != 0)
			return KTS_ETOOBIG;
		*e = pf_get(tp, pf, cap);
	} else if (tp->def_pubfile != NULL)
		*e = pf_get(tp, tp->def_pubfile, cap);
	return 0;
}

/* ---- the extender ------------------------------------------------------- */

static int
ext_fn(void *arg, uint64_t aggr_time, uint64_t pub_time, uint8_t **out,
    size_t *len)
{
	struct ext *x = arg;

	x->asked = 1;
	if (x->live || !x->parsed || x->resp.status != 0 ||
	    x->resp.chain == NULL)
		return KTS_ENOTFOUND;
	if ((*out = malloc(x->resp.chain_len)) == NULL)
		return KTS_ENOMEM;
	memcpy(*out, x->resp.chain, x->resp.chain_len);
	*len = x->resp.chain_len;
	return 0;
}

static void
ext_open(struct ext *x, const struct row *rw)
{
	struct kts_perr pe = { 0, 0, NULL };
	char path[4096];
	char why[256];
	int r;

	memset(x, 0, sizeof(*x));
	if (rw->f[C_RESP][0] == '\0') {
		x->live = 1;
		return;
	}
	if (join(path, sizeof(path), rw->dir, rw->f[C_RESP]) != 0 ||
	    (r = kts_file_read(path, KTS_MAX_PDU, &x->buf, &x->len)) != 0) {
		snprintf(x->note, sizeof(x->note), "response file %s unreadable",
		    rw->f[C_RESP]);
		return;
	}
	if ((r = kts_ext_resp_parse(x->buf, x->len, NULL, 0, &x->resp,
	    &pe)) != 0) {
		perr_text(why, sizeof(why), r, &pe);
		snprintf(x->note, sizeof(x->note), "response file does not "
		    "parse: %s", why);
		return;
	}
	x->parsed = 1;
	if (x->resp.status != 0)
		snprintf(x->note, sizeof(x->note), "response status 0x%llx",
		    (unsigned long long)x->resp.status);
}

/* ---- comparing ---------------------------------------------------------- */

static int
policy_by_name(const char *s, enum kts_policy *out)
{
	static const enum kts_policy all[] = {
		KTS_POL_INTERNAL, KTS_POL_KEY, KTS_POL_CALENDAR,
		KTS_POL_PUBFILE, KTS_POL_USERPUB, KTS_POL_GENERAL
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, kts_policy_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return KTS_ENOTFOUND;
}

static int
needs_pubfile(enum kts_policy p)
{
	return p == KTS_POL_KEY || p == KTS_POL_PUBFILE || p == KTS_POL_GENERAL;
}

static void
got_text(const struct kts_vresult *res, char *buf, size_t size)
{
	const char *v = res->verdict == KTS_V_OK ? "OK" :
	    res->verdict == KTS_V_NA ? "NA" : "FAIL";

	if (res->verdict == KTS_V_OK)
		snprintf(buf, size, "OK");
	else
		snprintf(buf, size, "%s %s (%s)", v, kts_vcode_str(res->code),
		    res->detail != NULL ? res->detail : "");
}

/* Does the verdict match the expected code?  Spec 10.4 conventions. */
static int
verdict_ok(const char *want, const struct kts_vresult *res)
{
	if (want[0] == '\0')
		return res->verdict == KTS_V_OK;
	if (strcmp(want, "GEN-02") == 0)
		return res->verdict == KTS_V_NA && res->code == KTS_VC_GEN_2;
	return res->verdict == KTS_V_FAIL &&
	    strcmp(kts_vcode_str(res->code), want) == 0;
}

static void
cmp_imprint(struct outcome *o, const char *name, const char *want,
    const struct kts_imprint *got, int has, int must)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];
	struct kts_imprint w;

	if (want[0] == '\0' || (!has && !must))
		return;
	if (kts_imprint_from_str(want, &w) != 0)
		append(o->msg, sizeof(o->msg), "; bad %s in the CSV", name);
	else if (!has)
		append(o->msg, sizeof(o->msg), "; %s not computed", name);
	else if (!kts_imprint_eq(&w, got))
		append(o->msg, sizeof(o->msg), "; %s %s, expected %s", name,
		    kts_imprint_hex(got, hex), want);
}

static void
cmp_time(struct outcome *o, const char *name, const char *want, uint64_t got,
    int has, int must)
{
	uint64_t w;

	if (want[0] == '\0' || (!has && !must))
		return;
	if (kts_parse_u64(want, UINT64_MAX, &w) != 0)
		append(o->msg, sizeof(o->msg), "; bad %s in the CSV", name);
	else if (!has)
		append(o->msg, sizeof(o->msg), "; %s not computed", name);
	else if (w != got)
		append(o->msg, sizeof(o->msg), "; %s %llu, expected %s", name,
		    (unsigned long long)got, want);
}

/* Compare the intermediate values the row gives with what was computed. */
static void
cmp_values(struct outcome *o, const struct row *rw, enum kts_policy pol,
    const struct kts_vresult *res)
{
	int must = rw->f[C_CODE][0] == '\0';
	int has_ps = res->has_cal_root && res->has_pub_time;
	char ps[KTS_MAX_PUBSTR];

	cmp_imprint(o, "aggregation root", rw->f[C_AGGR_ROOT], &res->aggr_root,
	    res->has_aggr_root, must);
	cmp_imprint(o, "calendar root", rw->f[C_CAL_ROOT], &res->cal_root,
	    res->has_cal_root, must);
	cmp_time(o, "aggregation time", rw->f[C_AGGR_TIME], res->aggr_time, 1,
	    must);
	cmp_time(o, "publication time", rw->f[C_PUB_TIME], res->pub_time,
	    res->has_pub_time, must);
	/*
	 * For userPublication rows the string is an input, not a result.
	 * For calendar rows it is neither the signature's publication nor
	 * the extender response's (checked for every calendar row of the
	 * Guardtime pack): not a computed value, so not compared.
	 */
	if (pol == KTS_POL_USERPUB || pol == KTS_POL_CALENDAR ||
	    rw->f[C_PUBSTR][0] == '\0' ||
	    (!has_ps && !must))
		return;
	if (!has_ps || kts_pubstr_encode(res->pub_time, &res->cal_root, ps,
	    sizeof(ps)) != 0)
		append(o->msg, sizeof(o->msg), "; publication string not "
		    "computed");
	else if (strcmp(ps, rw->f[C_PUBSTR]) != 0)
		append(o->msg, sizeof(o->msg), "; publication string %s, "
		    "expected %s", ps, rw->f[C_PUBSTR]);
}

/* ---- one row ------------------------------------------------------------ */

/* Context from the row's columns; returns 0 or sets a failure in o. */
static int
row_ctx(const struct row *rw, enum kts_policy pol, struct kts_vctx *ctx,
    struct kts_imprint *doc, struct outcome *o)
{
	uint64_t level = 0;

	if (rw->f[C_DOC][0] != '\0') {
		if (kts_imprint_from_str(rw->f[C_DOC], doc) != 0) {
			append(o->msg, sizeof(o->msg), "bad document hash in "
			    "the CSV");
			return -1;
		}
		ctx->doc_hash = doc;
	}
	if (rw->f[C_LEVEL][0] != '\0' &&
	    kts_parse_u64(rw->f[C_LEVEL], 255, &level) != 0) {
		append(o->msg, sizeof(o->msg), "bad input level in the CSV");
		return -1;
	}
	ctx->level = (unsigned)level;
	ctx->extend_ok = strcasecmp(rw->f[C_EXTEND], "true") == 0;
	if (pol == KTS_POL_USERPUB && rw->f[C_PUBSTR][0] != '\0') {
		if (kts_pubstr_decode(rw->f[C_PUBSTR], &ctx->user_pub_time,
		    &ctx->user_pub_hash) != 0) {
			append(o->msg, sizeof(o->msg), "bad user publication "
			    "in the CSV");
			return -1;
		}
		ctx->has_user_pub = 1;
	}
	return 0;
}

static void
judge(struct outcome *o, const struct row *rw, enum kts_policy pol,
    const struct kts_vresult *res, const struct ext *x,
    const struct pf_entry *pfe)
{
	const char *want = rw->f[C_CODE];
	char got[512];

	if (x->live && x->asked) {
		o->kind = O_SKIP;
		o->skip = SKIP_EXTENDER;
		return;
	}
	got_text(res, got, sizeof(got));
	if (!verdict_ok(want, res))
		append(o->msg, sizeof(o->msg), "expected %s%s, got %s",
		    want[0] == '\0' ? "OK" : strcmp(want, "GEN-02") == 0 ?
		    "NA " : "FAIL ", want, got);
	cmp_values(o, rw, pol, res);
	if (strncmp(o->msg, "; ", 2) == 0)	/* values only: no separator */
		memmove(o->msg, o->msg + 2, strlen(o->msg + 2) + 1);
	if (o->msg[0] == '\0') {
		o->kind = O_PASS;
		return;
	}
	o->kind = O_FAIL;
	if (pfe != NULL && !pfe->ok)
		append(o->msg, sizeof(o->msg), " [publications file not "
		    "trusted: %s]", pfe->why);
	if (x->note[0] != '\0')
		append(o->msg, sizeof(o->msg), " [extender: %s]", x->note);
}

static void
verify_row(struct tp *tp, const struct row *rw, enum kts_policy pol,
    const struct kts_sig *sig, struct outcome *o)
{
	struct pf_entry *pfe = NULL;
	struct kts_vresult res;
	struct kts_imprint doc;
	struct kts_vctx ctx;
	struct ext x;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	if (row_ctx(rw, pol, &ctx, &doc, o) != 0)
		return;
	if (needs_pubfile(pol)) {
		if (rw->f[C_PUBFILE][0] == '\0' && tp->def_pubfile == NULL) {
			o->kind = O_SKIP;
			o->skip = SKIP_PUBFILE;
			return;
		}
		if (row_pubfile(tp, rw, &pfe) != 0 || pfe == NULL) {
			append(o->msg, sizeof(o->msg), "cannot set up the "
			    "publications file (path too long or too many "
			    "files)");
			return;
		}
		ctx.pubfile = pfe->ok ? pfe->pf : NULL;
	}
	ext_open(&x, rw);
	ctx.extend = ext_fn;
	ctx.extend_arg = &x;
	if ((r = kts_verify(sig, pol, &ctx, &res)) != 0)
		append(o->msg, sizeof(o->msg), "kts_verify: %s",
		    kts_strerror(r));
	else
		judge(o, rw, pol, &res, &x, pfe);
	free(x.buf);
}

static void
run_row(struct tp *tp, const struct row *rw, struct outcome *o)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	enum kts_policy pol;
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	o->kind = O_FAIL;
	o->msg[0] = '\0';
	if (strcmp(rw->f[C_KIND], "not-implemented") == 0) {
		o->kind = O_SKIP;
		o->skip = SKIP_NOTIMPL;
		return;
	}
	if ((r = join(path, sizeof(path), rw->dir, rw->f[C_SIG])) != 0 ||
	    (r = kts_file_read(path, KTS_MAX_SIG_FILE, &buf, &len)) != 0) {
		append(o->msg, sizeof(o->msg), "cannot read the signature: %s",
		    r == KTS_EIO ? strerror(errno) : kts_strerror(r));
		return;
	}
	r = kts_sig_parse(buf, len, &sig, &pe);
	free(buf);
	if (strcmp(rw->f[C_KIND], "parsing") == 0) {
		if (r != 0)
			o->kind = O_PASS;
		else
			append(o->msg, sizeof(o->msg), "expected a parse error, "
			    "got a parsed signature");
	} else if (policy_by_name(rw->f[C_KIND], &pol) != 0)
		append(o->msg, sizeof(o->msg), "unknown kind '%.40s'",
		    rw->f[C_KIND]);
	else if (r != 0) {
		perr_text(path, sizeof(path), r, &pe);
		append(o->msg, sizeof(o->msg), "does not parse: %s", path);
	} else
		verify_row(tp, rw, pol, sig, o);
	kts_sig_free(sig);
}

/* ---- the CSV ------------------------------------------------------------ */

/* Split line at ';' into rw->f; missing columns are "". */
static void
split(char *line, struct row *rw)
{
	size_t i;
	char *p = line;
	char *sc;

	for (i = 0; i < N_COLS; i++)
		rw->f[i] = "";
	for (i = 0; i < N_COLS && p != NULL; i++) {
		rw->f[i] = p;
		if ((sc = strchr(p, ';')) != NULL)
			*sc++ = '\0';
		p = sc;
	}
}

static void
report(struct tp *tp, const struct row *rw, const struct outcome *o)
{
	const char *kind = rw->f[C_KIND];

	if (o->kind == O_PASS) {
		tp->pass++;
		if (tp->verbose)
			printf("PASS %s/%s [%s]\n", rw->dir, rw->f[C_SIG],
			    kind);
		return;
	}
	if (o->kind == O_SKIP) {
		tp->skip++;
		tp->skip_by[o->skip]++;
		if (tp->verbose)
			printf("SKIP %s/%s [%s]: %s\n", rw->dir, rw->f[C_SIG],
			    kind, skip_text[o->skip]);
		return;
	}
	tp->fail++;
	printf("FAIL %s/%s [%s, %s line %zu]: %s\n", rw->dir, rw->f[C_SIG],
	    kind, rw->csv, rw->line, o->msg);
}

static void
run_lines(struct tp *tp, const char *dir, const char *csv, char *text)
{
	static struct outcome o;
	struct row rw;
	char *line = text;
	char *nl;
	size_t n = 0;
	size_t len;

	while (line != NULL && *line != '\0') {
		n++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > 0 && line[0] != '#') {
			memset(&rw, 0, sizeof(rw));
			rw.dir = dir;
			rw.csv = csv;
			rw.line = n;
			split(line, &rw);
			run_row(tp, &rw, &o);
			report(tp, &rw, &o);
		}
		line = nl;
	}
}

/* The one *.csv in dir into name; returns 0 or -1 (message printed). */
static int
find_csv(const char *dir, char *name, size_t size)
{
	struct dirent *d;
	DIR *dp;
	size_t len;
	int n = 0;

	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "ksi-testpack: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		len = strlen(d->d_name);
		if (len < 5 || strcmp(d->d_name + len - 4, ".csv") != 0)
			continue;
		if (n++ == 0 &&
		    snprintf(name, size, "%s", d->d_name) >= (int)size)
			n = 2;	/* name too long: treat as unusable */
	}
	closedir(dp);
	if (n != 1)
		fprintf(stderr, "ksi-testpack: %s: expected exactly one *.csv, "
		    "found %d\n", dir, n);
	return n == 1 ? 0 : -1;
}

static void
run_dir(struct tp *tp, const char *dir)
{
	unsigned p0 = tp->pass;
	unsigned f0 = tp->fail;
	unsigned s0 = tp->skip;
	char name[256];
	char path[4096];
	uint8_t *raw = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (find_csv(dir, name, sizeof(name)) != 0) {
		tp->setup_error = 1;
		return;
	}
	if ((r = join(path, sizeof(path), dir, name)) != 0 ||
	    (r = kts_file_read(path, KTS_MAX_CSV_LINE * 4096u, &raw,
	    &len)) != 0 || (text = malloc(len + 1)) == NULL) {
		fprintf(stderr, "ksi-testpack: %s/%s: %s\n", dir, name,
		    r == KTS_EIO ? strerror(errno) : kts_strerror(r != 0 ? r :
		    KTS_ENOMEM));
		free(raw);
		tp->setup_error = 1;
		return;
	}
	/* The CSV as one NUL-terminated string. */
	memcpy(text, raw, len);
	text[len] = '\0';
	free(raw);
	run_lines(tp, dir, name, text);
	free(text);
	printf("%s: %u passed, %u failed, %u skipped\n", dir, tp->pass - p0,
	    tp->fail - f0, tp->skip - s0);
}

static int
usage(void)
{
	fputs("usage: ksi-testpack [-v] [--default-pubfile FILE] "
	    "[--default-ca PEM] DIR...\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	static struct tp tp;
	int ndirs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			tp.verbose = 1;
		else if (strcmp(argv[i], "--default-pubfile") == 0 &&
		    i + 1 < argc)
			tp.def_pubfile = argv[++i];
		else if (strcmp(argv[i], "--default-ca") == 0 && i + 1 < argc)
			tp.def_ca = argv[++i];
		else if (argv[i][0] == '-')
			return usage();
		else
			ndirs++;
	}
	if (ndirs == 0)
		return usage();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--default-pubfile") == 0 ||
		    strcmp(argv[i], "--default-ca") == 0)
			i++;
		else if (argv[i][0] != '-')
			run_dir(&tp, argv[i]);
	}
	for (i = 0; i < N_SKIP; i++)
		if (tp.skip_by[i] > 0)
			printf("skipped: %u %s\n", tp.skip_by[i], skip_text[i]);
	printf("testpack: %u passed, %u failed, %u skipped\n", tp.pass, tp.fail,
	    tp.skip);
	for (i = 0; i < (int)tp.n_cache; i++) {
		kts_pubfile_free(tp.cache[i].pf);
		free(tp.cache[i].path);
		free(tp.cache[i].ca);
	}
	if (tp.setup_error)
		return 2;
	return tp.fail > 0 ? 1 : 0;
}
