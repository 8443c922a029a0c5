/*
 * logsig_resign.c - `kts logsig resign`: sign the blocks of signature
 * files that were left unsigned (what logksi's `sign` does).
 *
 * rsyslog writes an unsigned marker (0x904.02: the block root and why)
 * when the aggregator cannot be reached, and so do `kts logsig follow`
 * when its queue is full or it stops during an outage, and `kts logsig
 * sign --unsigned`.  The marker keeps the root, so the block is signed
 * later from it, at the block's level (spec/logsig.md 2.6; 0 for
 * LOGSIG11).  A wrong root cannot pass: verify recomputes the root from
 * the log and compares it with the signed hash.
 *
 * All unsigned roots are asked for at once (a window in flight), then
 * the file is rewritten with every signature that came, the rest left
 * unsigned; the file is replaced atomically.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "logsig_cli.h"

/* One unsigned block: where it is and what came back. */
struct todo {
	size_t off;			/* offset of its 0x904 element */
	struct kts_imprint root;
	unsigned level;
	struct kts_sig *sig;		/* NULL until signed */
	int done;			/* answered, signed or not */
};

struct ropts {
	struct cli_service svc;
	char **files;
	int n_files;
	const char *out;		/* -o, one file only */
	unsigned window;
	int quiet;
};

struct rrun {
	const struct ropts *o;
	const char *path;
	struct todo *t;
	size_t n;
	size_t answered;
	size_t failed;
	char first_why[256];
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig resign [-S URL --aggr-user USER --aggr-key KEY]\n"
	    "           [-o OUT] [-q] LOGSIG...\n"
	    "\n"
	    "Sign the blocks of log signature files that were left unsigned\n"
	    "(the aggregator was down, or they were made with --unsigned).\n"
	    "Each file is rewritten with every signature obtained; blocks that\n"
	    "still cannot be signed stay unsigned.\n"
	    "  -S URL              aggregator (default $KTS_AGGR_URL)\n"
	    "  --aggr-user USER    login id (default $KTS_USER or the URL's)\n"
	    "  --aggr-key KEY      HMAC key (default $KTS_KEY or the URL's)\n"
	    "  -o OUT              write here instead of replacing LOGSIG\n"
	    "  -q                  no summary\n"
	    "Exit codes: 0 every block is signed, 1 some are still unsigned,\n"
	    "3 bad arguments, 4 bad format, 9 I/O error.\n", f);
}

static int
parse_args(int argc, char **argv, struct ropts *o)
{
	static const struct option lo[] = {
		{ "aggr-user", required_argument, NULL, CLI_OPT_AGGR_USER },
		{ "aggr-key", required_argument, NULL, CLI_OPT_AGGR_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "S:o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'S':	o->svc.url = optarg; break;
		case 'o':	o->out = optarg; break;
		case 'q':	o->quiet = 1; break;
		case CLI_OPT_AGGR_USER:	o->svc.user = optarg; break;
		case CLI_OPT_AGGR_KEY:	o->svc.key = optarg; break;
		case 'h':	usage(stdout); return -1;
		default:
			fputs("Run 'kts logsig resign --help' for the "
			    "options.\n", stderr);
			return CLI_EXIT_ARGS;
		}
	}
	o->files = argv + optind;
	o->n_files = argc - optind;
	if (o->n_files == 0 || (o->out != NULL && o->n_files > 1)) {
		cli_err("logsig resign: give LOGSIG files (-o with one only)");
		return CLI_EXIT_ARGS;
	}
	return cli_service_env(&o->svc, "KTS_AGGR_URL", "aggregator");
}

/* ---- finding the unsigned blocks ------------------------------------------ */

static int
add_todo(struct rrun *x, const struct kts_ls_elem *e, enum kts_ls_kind k)
{
	struct todo *t;

	if (x->n >= KTS_LS_MAX_BLOCKS)
		return KTS_ETOOBIG;
	if ((t = realloc(x->t, (x->n + 1) * sizeof(*t))) == NULL)
		return KTS_ENOMEM;
	x->t = t;
	t = &x->t[x->n++];
	memset(t, 0, sizeof(*t));
	t->off = e->off;
	t->root = e->u.bsig.root;
	t->level = k == KTS_LS_LOGSIG11 ? 0 : kts_ls_level(e->u.bsig.count);
	return 0;
}

static int
find_unsigned(struct rrun *x, const struct ls_map *m)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	int r;

	if ((r = kts_ls_reader_init(&rd, m->p, m->len)) != 0 ||
	    (rd.kind != KTS_LS_LOGSIG11 && rd.kind != KTS_LS_LOGSIG12)) {
		cli_err("%s: not a LOGSIG11 or LOGSIG12 file", x->path);
		return CLI_EXIT_FORMAT;
	}
	while ((r = kts_ls_next(&rd, &e)) == 0 && e.tag != 0)
		if (e.tag == KTS_LS_BSIG && e.u.bsig.kind == KTS_LS_SIG_NONE &&
		    (r = add_todo(x, &e, rd.kind)) != 0)
			break;
	if (r == KTS_ENOMEM || r == KTS_ETOOBIG) {
		cli_err("%s: %s", x->path, kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	if (r != 0) {
		cli_err("%s: offset %zu (tag 0x%x): %s", x->path, rd.err.off,
		    (unsigned)rd.err.tag, rd.err.what != NULL ? rd.err.what :
		    kts_strerror(r));
		return CLI_EXIT_FORMAT;
	}
	return CLI_EXIT_OK;
}

/* ---- signing ---------------------------------------------------------------- */

static void
on_signed(void *arg, uint64_t tag, struct kts_sig *sig, int rc,
    const char *why)
{
	struct rrun *x = arg;
	struct todo *t = &x->t[tag];

	t->done = 1;
	x->answered++;
	if (rc != 0) {
		if (x->failed++ == 0)
			snprintf(x->first_why, sizeof(x->first_why), "%s", why);
		return;
	}
	t->sig = sig;
}

static int
sign_all(struct rrun *x)
{
	struct event_base *base = NULL;
	struct cli_signer *s = NULL;
	size_t next = 0;
	int rc;
	int r;

	if ((base = event_base_new()) == NULL) {
		cli_err("cannot make an event loop");
		return CLI_EXIT_FAILURE;
	}
	if ((rc = cli_signer_new(base, &x->o->svc, LS_DEFAULT_WINDOW,
	    on_signed, x, &s)) != 0)
		goto out;
	while (x->answered < x->n) {
		while (next < x->n && (r = cli_signer_submit(s, next,
		    &x->t[next].root, x->t[next].level)) == 0)
			next++;
		if (next < x->n && r != KTS_ETOOBIG) {
			/* Not reachable now: count the rest as failed. */
			if (x->failed == 0)
				snprintf(x->first_why, sizeof(x->first_why),
				    "%s", r == KTS_EIO ? "the aggregator is "
				    "not reachable" : kts_strerror(r));
			x->failed += x->n - next;
			x->answered += x->n - next;
			next = x->n;
		}
		if (x->answered < x->n &&
		    event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	}
out:
	cli_signer_free(s);
	event_base_free(base);
	return rc;
}

/* ---- rewriting ---------------------------------------------------------------- */

static int
put_signed(struct ls_file *f, const struct kts_ls_elem *e,
    const struct todo *t)
{
	struct kts_ls_bsig bs;
	struct kts_wr wr;
	uint8_t *sig = NULL;
	size_t len = 0;
	int rc;

	memset(&bs, 0, sizeof(bs));
	bs.count = e->u.bsig.count;
	bs.kind = KTS_LS_SIG_KSI;
	if (kts_sig_serialize(t->sig, &sig, &len) != 0)
		return CLI_EXIT_FAILURE;
	bs.sig = sig;
	bs.sig_len = len;
	kts_wr_init(&wr, KTS_LS_MAX_ELEM + 16);
	rc = kts_ls_wr_bsig(&wr, &bs) != 0 ? CLI_EXIT_FAILURE :
	    ls_file_put(f, wr.p, wr.len);
	kts_wr_free(&wr);
	free(sig);
	return rc;
}

static int
rewrite(struct rrun *x, const struct ls_map *m, const char *out)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	struct ls_file f;
	size_t k = 0;
	int rc;

	if ((rc = ls_file_open(&f, out)) != 0)
		return rc;
	(void)kts_ls_reader_init(&rd, m->p, m->len);
	rc = ls_file_put(&f, m->p, rd.off);
	while (rc == 0 && kts_ls_next(&rd, &e) == 0 && e.tag != 0) {
		if (k < x->n && x->t[k].off == e.off) {
			if (x->t[k].sig != NULL) {
				rc = put_signed(&f, &e, &x->t[k++]);
				continue;
			}
			k++;
		}
		rc = ls_file_put(&f, e.raw, e.raw_len);
	}
	if (rc == 0)
		rc = ls_file_commit(&f);
	ls_file_abort(&f);
	return rc;
}

static int
resign_one(const struct ropts *o, const char *path)
{
	struct ls_map m;
	struct rrun x;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.path = path;
	if ((rc = ls_map(path, &m)) != 0)
		return rc;
	if ((rc = find_unsigned(&x, &m)) == 0 && x.n > 0 &&
	    (rc = sign_all(&x)) == 0 && x.failed < x.n)
		rc = rewrite(&x, &m, o->out != NULL ? o->out : path);
	if (rc == 0 && x.failed > 0) {
		cli_err("%s: %zu of %zu unsigned blocks still unsigned: %s",
		    path, x.failed, x.n, x.first_why);
		rc = CLI_EXIT_FAILURE;
	} else if (rc == 0 && !o->quiet) {
		fprintf(stderr, "kts: %s: %zu blocks signed%s\n", path, x.n,
		    x.n == 0 ? " (none was unsigned)" : "");
	}
	for (i = 0; i < x.n; i++)
		kts_sig_free(x.t[i].sig);
	free(x.t);
	ls_unmap(&m);
	return rc;
}

int
ls_cmd_resign(int argc, char **argv)
{
	struct ropts o;
	int rc = CLI_EXIT_OK;
	int r;
	int i;

	memset(&o, 0, sizeof(o));
	cli_service_init(&o.svc);
	if ((r = parse_args(argc, argv, &o)) != 0) {
		cli_service_free(&o.svc);
		return r < 0 ? CLI_EXIT_OK : r;
	}
	for (i = 0; i < o.n_files; i++)
		if ((r = resign_one(&o, o.files[i])) != 0 && rc == 0)
			rc = r;
	cli_service_free(&o.svc);
	return rc;
}
