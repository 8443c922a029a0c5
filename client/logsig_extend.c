/*
 * logsig_extend.c - `kts logsig extend`: extend every block signature
 * of a log signature file (or every signature of an excerpt's proofs) to
 * a publication, so that the log verifies later with the publications
 * file or a publication string alone, without keys or a service.
 *
 * All or nothing: the new file is written beside the old one and
 * renamed over it (or written to -o) only when every signature was
 * extended.  Hashes, metarecords and unsigned markers are copied byte
 * for byte.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "logsig_cli.h"
#include "util.h"

struct eopts {
	struct cli_service svc;		/* -X, --ext-user, --ext-key */
	struct cli_trust trust;		/* -V, --cnstr, --pubfile-time */
	const char *in;			/* the signature file */
	const char *out;		/* -o, default: in place */
	const char *pubfile;		/* -P */
	const char *pub_time;		/* -T */
	int quiet;
};

struct erun {
	struct eopts *o;
	struct cli_ext_to to;
	struct ls_file f;
	uint64_t extended;
	uint64_t unsigned_blocks;
	uint64_t block;
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig extend LOGSIG -X URL [--ext-user USER "
	    "--ext-key KEY]\n"
	    "           (-P PUBFILE [-V CERT]... [--cnstr OID=VALUE]... | "
	    "-T TIME)\n"
	    "           [-o OUT] [-q]\n"
	    "\n"
	    "Extend every block signature of a log signature file (LOGSIG11,\n"
	    "LOGSIG12, or an excerpt's RECSIG proofs) to a publication: the\n"
	    "first one after each block's signing time in the publications\n"
	    "file, or TIME.  The file is replaced only if every signature\n"
	    "was extended.\n"
	    "  -X URL              extender (default $KTS_EXT_URL)\n"
	    "  --ext-user USER     login id (default $KTS_USER or the URL's)\n"
	    "  --ext-key KEY       HMAC key (default $KTS_KEY or the URL's)\n"
	    "  -P PUBFILE          publications file (path or http:// URL),\n"
	    "                      checked with -V and --cnstr\n"
	    "  -T TIME             publication time (epoch or ISO)\n"
	    "  -o OUT              write here instead of replacing LOGSIG\n"
	    "  -q                  no summary\n"
	    "Exit codes: 0 extended, 3 bad arguments, 4 bad format, 5 network\n"
	    "error, 6 the publications file is not trusted, 7 the extender\n"
	    "refused (no publication yet), 9 I/O error.\n", f);
}

static int
take_opt(struct eopts *o, int c, char *arg)
{
	switch (c) {
	case 'o':	o->out = arg; return 0;
	case 'X':	o->svc.url = arg; return 0;
	case 'P':	o->pubfile = arg; return 0;
	case 'T':	o->pub_time = arg; return 0;
	case 'q':	o->quiet = 1; return 0;
	case CLI_OPT_EXT_USER:	o->svc.user = arg; return 0;
	case CLI_OPT_EXT_KEY:	o->svc.key = arg; return 0;
	case CLI_OPT_HMAC_ALG:
		if (kts_hash_by_name(arg, &o->svc.hmac_alg) == 0)
			return 0;
		cli_err("logsig extend: unknown HMAC algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case 'V':
	case CLI_OPT_CNSTR:
	case CLI_OPT_PUBFILE_TIME:
		return cli_trust_opt(&o->trust, c, arg);
	case 'h':
		usage(stdout);
		return -1;
	}
	fputs("Run 'kts logsig extend --help' for the options.\n", stderr);
	return CLI_EXIT_ARGS;
}

static int
parse_args(int argc, char **argv, struct eopts *o)
{
	static const struct option lo[] = {
		{ "ext-user", required_argument, NULL, CLI_OPT_EXT_USER },
		{ "ext-key", required_argument, NULL, CLI_OPT_EXT_KEY },
		{ "ext-hmac-alg", required_argument, NULL, CLI_OPT_HMAC_ALG },
		{ "cnstr", required_argument, NULL, CLI_OPT_CNSTR },
		{ "pubfile-time", required_argument, NULL, CLI_OPT_PUBFILE_TIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;
	int rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:X:P:T:V:qh", lo, NULL)) != -1)
		if ((rc = take_opt(o, c, optarg)) != 0)
			return rc;
	if (argc - optind != 1 || (o->pubfile == NULL && o->pub_time == NULL)) {
		cli_err("logsig extend: give LOGSIG and -P PUBFILE or -T TIME");
		return CLI_EXIT_ARGS;
	}
	o->in = argv[optind];
	if (o->out == NULL)
		o->out = o->in;
	return cli_service_env(&o->svc, "KTS_EXT_URL", "extender");
}

/* ---- the walk -------------------------------------------------------------- */

/* Extend one KSI signature (the 0x800 bytes); *out its new bytes. */
static int
extend_one(struct erun *x, const uint8_t *p, size_t len, uint8_t **out,
    size_t *olen)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	struct kts_sig *ext = NULL;
	int rc;
	int r;

	if ((r = kts_sig_parse(p, len, &sig, &pe)) != 0) {
		cli_err("%s: block %llu: the signature does not parse: %s",
		    x->o->in, (unsigned long long)x->block, kts_strerror(r));
		return CLI_EXIT_FORMAT;
	}
	rc = cli_extend_sig(&x->o->svc, sig, &x->to, &ext);
	if (rc == 0 && (r = kts_sig_serialize(ext, out, olen)) != 0) {
		cli_err("out of memory");
		rc = CLI_EXIT_FAILURE;
	}
	if (rc != 0)
		cli_err("%s: block %llu was not extended", x->o->in,
		    (unsigned long long)x->block);
	kts_sig_free(ext);
	kts_sig_free(sig);
	return rc;
}

static int
put_wr(struct erun *x, struct kts_wr *wr, int r)
{
	int rc;

	if (r != 0) {
		cli_err("cannot encode: %s", kts_strerror(r));
		kts_wr_free(wr);
		return CLI_EXIT_FAILURE;
	}
	rc = ls_file_put(&x->f, wr->p, wr->len);
	kts_wr_free(wr);
	return rc;
}

/* A block signature: extended if it is a KSI one, else copied. */
static int
do_bsig(struct erun *x, const struct kts_ls_elem *e)
{
	struct kts_ls_bsig bs = e->u.bsig;
	struct kts_wr wr;
	uint8_t *sig = NULL;
	size_t len = 0;
	int rc;

	x->block++;
	if (bs.kind != KTS_LS_SIG_KSI) {
		x->unsigned_blocks += bs.kind == KTS_LS_SIG_NONE;
		return ls_file_put(&x->f, e->raw, e->raw_len);
	}
	if ((rc = extend_one(x, bs.sig, bs.sig_len, &sig, &len)) != 0)
		return rc;
	bs.sig = sig;
	bs.sig_len = len;
	kts_wr_init(&wr, KTS_LS_MAX_ELEM + 16);
	rc = put_wr(x, &wr, kts_ls_wr_bsig(&wr, &bs));
	free(sig);
	x->extended++;
	return rc;
}

/* A top-level signature of an excerpt's proofs. */
static int
do_ksi(struct erun *x, const struct kts_ls_elem *e)
{
	struct kts_wr wr;
	uint8_t *sig = NULL;
	size_t len = 0;
	int rc;

	x->block++;
	if ((rc = extend_one(x, e->u.ksi.p, e->u.ksi.len, &sig, &len)) != 0)
		return rc;
	kts_wr_init(&wr, KTS_LS_MAX_ELEM + 16);
	rc = put_wr(x, &wr, kts_ls_wr_ksi(&wr, sig, len));
	free(sig);
	x->extended++;
	return rc;
}

static int
walk(struct erun *x, const struct ls_map *m)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	int rc = CLI_EXIT_OK;
	int r;

	if ((r = kts_ls_reader_init(&rd, m->p, m->len)) != 0 ||
	    rd.kind == KTS_LS_LOG12BLK || rd.kind == KTS_LS_LOG12SIG) {
		cli_err("%s: not a LOGSIG11/12 or RECSIG11/12 file%s%s",
		    x->o->in, r != 0 ? ": " : "",
		    r != 0 ? rd.err.what : "");
		return CLI_EXIT_FORMAT;
	}
	if ((rc = ls_file_put(&x->f, m->p, rd.off)) != 0)
		return rc;
	while (rc == 0 && (r = kts_ls_next(&rd, &e)) == 0 && e.tag != 0) {
		if (e.tag == KTS_LS_BSIG)
			rc = do_bsig(x, &e);
		else if (e.tag == KTS_LS_KSI)
			rc = do_ksi(x, &e);
		else
			rc = ls_file_put(&x->f, e.raw, e.raw_len);
	}
	if (rc == 0 && r != 0) {
		cli_err("%s: offset %zu (tag 0x%x): %s", x->o->in, rd.err.off,
		    (unsigned)rd.err.tag, rd.err.what != NULL ? rd.err.what :
		    kts_strerror(r));
		rc = CLI_EXIT_FORMAT;
	}
	return rc;
}

static int
load_pubfile(struct eopts *o, struct kts_pubfile **pf)
{
	char why[512] = "";
	int64_t at;
	int rc;

	if (o->pubfile == NULL)
		return CLI_EXIT_OK;
	if ((rc = cli_load_pubfile(o->pubfile, pf)) != 0)
		return rc;
	if (cli_pubfile_check(&o->trust, *pf, &at, why, sizeof(why)) != 0) {
		cli_err("%s: not trusted: %s", o->pubfile, why);
		return CLI_EXIT_VERIFY;
	}
	return CLI_EXIT_OK;
}

int
ls_cmd_extend(int argc, char **argv)
{
	struct kts_pubfile *pf = NULL;
	struct ls_map m;
	struct eopts o;
	struct erun x;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	memset(&m, 0, sizeof(m));
	cli_service_init(&o.svc);
	x.o = &o;
	if ((rc = parse_args(argc, argv, &o)) != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((rc = load_pubfile(&o, &pf)) != 0 ||
	    (o.pub_time != NULL && (rc = cli_ext_time(o.pub_time,
	    &x.to)) != 0) ||
	    (rc = ls_map(o.in, &m)) != 0)
		goto out;
	x.to.pf = pf;
	x.to.pf_name = o.pubfile;
	if ((rc = ls_file_open(&x.f, o.out)) != 0)
		goto out;
	if ((rc = walk(&x, &m)) == 0)
		rc = ls_file_commit(&x.f);
	if (rc == 0 && !o.quiet)
		fprintf(stderr, "kts: %s: %llu signatures extended%s: %s\n",
		    o.in, (unsigned long long)x.extended, x.unsigned_blocks ?
		    " (unsigned blocks left as they are)" : "", o.out);
out:
	ls_file_abort(&x.f);
	ls_unmap(&m);
	kts_pubfile_free(pf);
	cli_service_free(&o.svc);
	return rc;
}
