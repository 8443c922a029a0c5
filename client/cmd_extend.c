/*
 * cmd_extend.c - kts extend: replace a signature's calendar chain by one
 * that reaches a publication, and attach the publication record (KSI
 * spec 5.6, 6.7, 7.12).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "limits.h"
#include "pdu.h"
#include "util.h"
#include "verify.h"

struct eopts {
	struct cli_service svc;		/* -X, --ext-user, --ext-key */
	struct cli_trust trust;		/* -V, --cnstr, --pubfile-time */
	const char *in;			/* -i */
	const char *out;		/* -o */
	const char *pubfile;		/* -P */
	const char *pub_time;		/* -T */
};

static void
usage(FILE *f)
{
	fputs("usage: kts extend -i SIG -X URL [--ext-user USER --ext-key KEY]\n"
	    "                  [-T TIME] [-P PUBFILE [-V CERT]... [--cnstr OID=VALUE]...]\n"
	    "                  -o SIG [--ext-hmac-alg ALG] [-c SECONDS]\n"
	    "\n"
	    "Extend a signature to a publication: to the first publication in\n"
	    "the publications file after its signing time, or to TIME (-T,\n"
	    "epoch seconds or YYYY-MM-DDTHH:MM:SSZ).  With -P the publication\n"
	    "record is attached, so the signature then verifies with no key.\n"
	    "  -X URL              extender: http://, ksi+http://USER:KEY@,\n"
	    "                      ksi+tcp://HOST:PORT\n"
	    "  -P PUBFILE          publications file (path or http:// URL),\n"
	    "                      checked with -V and --cnstr\n"
	    "Exit codes: 0 extended, 3 bad arguments, 4 bad format, 5 network\n"
	    "error, 6 does not verify, 7 the extender refused, 9 I/O error,\n"
	    "11 HMAC error, 14 authentication failed.\n", f);
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
	uint64_t v;
	int rc;
	int c;

	while ((c = getopt_long(argc, argv, "i:o:X:P:T:V:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case 'X': o->svc.url = optarg; break;
		case 'P': o->pubfile = optarg; break;
		case 'T': o->pub_time = optarg; break;
		case CLI_OPT_EXT_USER: o->svc.user = optarg; break;
		case CLI_OPT_EXT_KEY: o->svc.key = optarg; break;
		case 'h': usage(stdout); exit(CLI_EXIT_OK);
		case CLI_OPT_HMAC_ALG:
			if (kts_hash_by_name(optarg, &o->svc.hmac_alg) != 0)
				goto bad;
			break;
		case 'c':
			if (kts_parse_u64(optarg, 3600, &v) != 0 || v == 0)
				goto bad;
			o->svc.timeout_ms = (int)v * 1000;
			break;
		case 'V': case CLI_OPT_CNSTR: case CLI_OPT_PUBFILE_TIME:
			if ((rc = cli_trust_opt(&o->trust, c, optarg)) != 0)
				return rc;
			break;
		default:
			usage(stderr);
			return CLI_EXIT_ARGS;
		}
	}
	if (optind != argc || o->in == NULL || o->out == NULL ||
	    (o->pubfile == NULL && o->pub_time == NULL)) {
		cli_err("extend: give -i, -X, -o and -P or -T");
		return CLI_EXIT_ARGS;
	}
	return cli_service_ready(&o->svc, "extender");
bad:
	cli_err("extend: bad value '%s'", optarg);
	return CLI_EXIT_ARGS;
}

static int
write_sig(const struct eopts *o, const struct kts_sig *ext)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int r;

	if ((r = kts_sig_serialize(ext, &out, &len)) != 0 ||
	    (r = kts_file_write(o->out, out, len)) != 0) {
		cli_err("%s: cannot write: %s", o->out, kts_strerror(r));
		free(out);
		return CLI_EXIT_IO;
	}
	free(out);
	return CLI_EXIT_OK;
}

int
cmd_extend(int argc, char **argv)
{
	struct kts_pubfile *pf = NULL;
	struct kts_sig *sig = NULL;
	struct kts_sig *ext = NULL;
	struct cli_ext_to to;
	struct eopts o;
	char why[512] = "";
	int64_t at;
	int rc;

	memset(&o, 0, sizeof(o));
	cli_service_init(&o.svc);
	if ((rc = parse_args(argc, argv, &o)) != 0 ||
	    (rc = cli_load_sig(o.in, &sig)) != 0)
		goto out;
	if (o.pubfile != NULL) {
		if ((rc = cli_load_pubfile(o.pubfile, &pf)) != 0)
			goto out;
		if (cli_pubfile_check(&o.trust, pf, &at, why, sizeof(why)) != 0) {
			cli_err("%s: not trusted: %s", o.pubfile, why);
			rc = CLI_EXIT_VERIFY;
			goto out;
		}
	}
	memset(&to, 0, sizeof(to));
	to.pf = pf;
	to.pf_name = o.pubfile;
	if (o.pub_time != NULL && (rc = cli_ext_time(o.pub_time, &to)) != 0)
		goto out;
	if ((rc = cli_extend_sig(&o.svc, sig, &to, &ext)) == 0)
		rc = write_sig(&o, ext);
	if (rc == 0 && strcmp(o.out, "-") != 0)
		fprintf(stderr, "kts: extended to %llu%s: %s\n",
		    (unsigned long long)to.used, to.with_rec ?
		    " with its publication record" : "", o.out);
out:
	kts_sig_free(ext);
	kts_pubfile_free(pf);
	kts_sig_free(sig);
	cli_service_free(&o.svc);
	return rc;
}
