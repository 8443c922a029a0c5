/*
 * cmd_sign.c - kts sign: send a document's hash to an aggregator (or the
 * calendar), turn the answer into a signature (KSI spec 7.11), check it
 * with the internal policy against the hash, and write it.
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

struct sopts {
	struct cli_service svc;		/* -S, --aggr-user, --aggr-key */
	const char *in;			/* -i */
	const char *hash;		/* --hash */
	const char *out;		/* -o */
	uint8_t alg;			/* -H: document hash algorithm */
	unsigned level;			/* --level */
};

static void
usage(FILE *f)
{
	fputs("usage: kts sign -S URL [--aggr-user USER --aggr-key KEY]\n"
	    "                (-i FILE | --hash ALG:HEX) -o SIG [-H ALG]\n"
	    "                [--aggr-hmac-alg ALG] [--level N] [-c SECONDS]\n"
	    "\n"
	    "Sign a document: only its hash is sent.\n"
	    "  -S URL              aggregator: http://, ksi+http://USER:KEY@,\n"
	    "                      ksi+tcp://HOST:PORT\n"
	    "  --aggr-user USER    login id (overrides the URL's)\n"
	    "  --aggr-key KEY      HMAC key (overrides the URL's)\n"
	    "  -i FILE             the document ('-' = stdin)\n"
	    "  --hash ALG:HEX      sign this hash instead of a file\n"
	    "  -H ALG              hash algorithm for -i (default SHA-256)\n"
	    "  -o SIG              where to write the signature ('-' = stdout)\n"
	    "  --aggr-hmac-alg ALG HMAC algorithm (default SHA-256)\n"
	    "  --level N           the hash is the root of a local tree of\n"
	    "                      height N\n"
	    "  -c SECONDS          network timeout (default 10)\n"
	    "Exit codes: 0 signed, 3 bad arguments, 5 network error, 6 the\n"
	    "answer does not verify, 8 the aggregator refused, 9 I/O error,\n"
	    "11 HMAC error, 14 authentication failed.\n", f);
}

static int
parse_args(int argc, char **argv, struct sopts *o)
{
	static const struct option lo[] = {
		{ "aggr-user", required_argument, NULL, CLI_OPT_AGGR_USER },
		{ "aggr-key", required_argument, NULL, CLI_OPT_AGGR_KEY },
		{ "aggr-hmac-alg", required_argument, NULL, CLI_OPT_HMAC_ALG },
		{ "hash", required_argument, NULL, CLI_OPT_HASH },
		{ "level", required_argument, NULL, CLI_OPT_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "S:i:o:H:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'S': o->svc.url = optarg; break;
		case CLI_OPT_AGGR_USER: o->svc.user = optarg; break;
		case CLI_OPT_AGGR_KEY: o->svc.key = optarg; break;
		case 'i': o->in = optarg; break;
		case 'o': o->out = optarg; break;
		case CLI_OPT_HASH: o->hash = optarg; break;
		case 'h': usage(stdout); exit(CLI_EXIT_OK);
		case 'H':
			if (kts_hash_by_name(optarg, &o->alg) != 0)
				goto bad;
			break;
		case CLI_OPT_HMAC_ALG:
			if (kts_hash_by_name(optarg, &o->svc.hmac_alg) != 0)
				goto bad;
			break;
		case CLI_OPT_LEVEL:
			if (kts_parse_u64(optarg, 255, &v) != 0)
				goto bad;
			o->level = (unsigned)v;
			break;
		case 'c':
			if (kts_parse_u64(optarg, 3600, &v) != 0 || v == 0)
				goto bad;
			o->svc.timeout_ms = (int)v * 1000;
			break;
		default:
			usage(stderr);
			return CLI_EXIT_ARGS;
		}
	}
	if (optind != argc || o->out == NULL ||
	    (o->in == NULL) == (o->hash == NULL)) {
		cli_err("sign: give -S, -o and exactly one of -i and --hash");
		return CLI_EXIT_ARGS;
	}
	return cli_service_ready(&o->svc, "aggregator");
bad:
	cli_err("sign: bad value '%s'", optarg);
	return CLI_EXIT_ARGS;
}

static int
check_and_write(const struct sopts *o, const struct kts_sig *sig,
    const struct kts_imprint *h)
{
	struct kts_vresult res;
	struct kts_vctx ctx;
	uint8_t *out = NULL;
	size_t len = 0;
	char ts[32];
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_hash = h;
	ctx.level = o->level;
	if ((r = kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res)) != 0 ||
	    res.verdict != KTS_V_OK) {
		cli_err("the aggregator's answer does not verify: %s %s",
		    kts_vcode_str(res.code), res.detail);
		return CLI_EXIT_VERIFY;
	}
	if ((r = kts_sig_serialize(sig, &out, &len)) != 0 ||
	    (r = kts_file_write(o->out, out, len)) != 0) {
		cli_err("%s: cannot write the signature: %s", o->out,
		    kts_strerror(r));
		free(out);
		return CLI_EXIT_IO;
	}
	free(out);
	if (strcmp(o->out, "-") != 0)
		fprintf(stderr, "kts: signed at %s: %s\n",
		    kts_time_utc((int64_t)kts_sig_signing_time(sig), ts,
		    sizeof(ts)), o->out);
	return CLI_EXIT_OK;
}

int
cmd_sign(int argc, char **argv)
{
	struct kts_sig *sig = NULL;
	struct kts_imprint h;
	struct sopts o;
	int rc;

	memset(&o, 0, sizeof(o));
	cli_service_init(&o.svc);
	o.alg = KTS_HASH_SHA256;
	if ((rc = parse_args(argc, argv, &o)) != 0)
		goto out;
	if (o.hash != NULL && kts_imprint_from_str(o.hash, &h) != 0) {
		cli_err("sign: --hash wants ALG:HEX or an imprint in hex, not "
		    "'%.80s'", o.hash);
		rc = CLI_EXIT_ARGS;
		goto out;
	}
	if (o.in != NULL && (rc = cli_hash_file(o.in, o.alg, &h)) != 0)
		goto out;
	if (!kts_hash_trusted(h.alg)) {
		cli_err("sign: %s is not trusted for new signatures",
		    kts_hash_name(h.alg));
		rc = CLI_EXIT_ARGS;
		goto out;
	}
	if ((rc = cli_sign_imprint(&o.svc, &h, o.level, &sig)) == 0)
		rc = check_and_write(&o, sig, &h);
out:
	kts_sig_free(sig);
	cli_service_free(&o.svc);
	return rc;
}
