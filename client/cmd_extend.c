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

/* Choose the publication (spec 6.7): *p, and its record if known. */
static int
choose(const struct eopts *o, const struct kts_sig *sig,
    const struct kts_pubfile *pf, uint64_t *p, const struct kts_pubrec **pr)
{
	int64_t t;

	*pr = NULL;
	if (o->pub_time != NULL) {
		if (kts_parse_time(o->pub_time, &t) != 0 || t < 0) {
			cli_err("extend: -T wants epoch seconds or an ISO time");
			return CLI_EXIT_ARGS;
		}
		*p = (uint64_t)t;
		if (pf != NULL)
			*pr = kts_pubfile_find(pf, *p);
		return CLI_EXIT_OK;
	}
	if ((*pr = kts_pubfile_nearest(pf, kts_sig_signing_time(sig))) == NULL) {
		cli_err("extend: %s has no publication after the signing time "
		    "yet; try again after the next publication", o->pubfile);
		return CLI_EXIT_EXTEND;
	}
	*p = (*pr)->data.time;
	return CLI_EXIT_OK;
}

/* Ask for the chain A -> P; *resp holds the PDU the chain points into. */
static int
ask(const struct eopts *o, uint64_t a, uint64_t p, uint8_t **resp,
    struct kts_ext_resp *er)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_wr wr;
	uint64_t id = cli_request_id();
	size_t rlen = 0;
	int rc;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_ext_req_build(&wr, o->svc.user, o->svc.key,
	    strlen(o->svc.key), o->svc.hmac_alg, id, a, p)) != 0) {
		kts_wr_free(&wr);
		cli_err("cannot build the request: %s", kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	rc = cli_exchange(&o->svc, wr.p, wr.len, resp, &rlen);
	kts_wr_free(&wr);
	if (rc != 0)
		return rc;
	if ((r = kts_ext_resp_parse(*resp, rlen, o->svc.key, strlen(o->svc.key),
	    er, &pe)) != 0) {
		cli_parse_error(o->svc.url, r, &pe);
		return r == KTS_EVERIFY ? CLI_EXIT_HMAC : CLI_EXIT_FORMAT;
	}
	if (er->status != 0) {
		cli_err("%s refused: status 0x%04llx (%s)%s%.200s", o->svc.url,
		    (unsigned long long)er->status, kts_status_str(er->status, 1),
		    er->message != NULL ? ": " : "",
		    er->message != NULL ? er->message : "");
		return er->status == KTS_ST_AUTH_FAILURE ? CLI_EXIT_AUTH :
		    CLI_EXIT_EXTEND;
	}
	if (er->req_id != id || er->chain == NULL) {
		cli_err("%s: the answer is not for our request", o->svc.url);
		return CLI_EXIT_EXTEND;
	}
	return CLI_EXIT_OK;
}

static int
splice_and_write(const struct eopts *o, const struct kts_sig *sig,
    const struct kts_ext_resp *er, const struct kts_pubrec *pr)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *ext = NULL;
	struct kts_vresult res;
	struct kts_vctx ctx;
	uint8_t *out = NULL;
	size_t len = 0;
	int rc = CLI_EXIT_OK;
	int r;

	if ((r = kts_sig_extend(sig, er->chain, er->chain_len,
	    pr != NULL ? pr->raw : NULL, pr != NULL ? pr->raw_len : 0, &ext,
	    &pe)) != 0) {
		cli_parse_error(o->svc.url, r, &pe);
		return CLI_EXIT_FORMAT;
	}
	memset(&ctx, 0, sizeof(ctx));
	if ((r = kts_verify(ext, KTS_POL_INTERNAL, &ctx, &res)) != 0 ||
	    res.verdict != KTS_V_OK) {
		cli_err("the extended signature does not verify: %s %s",
		    kts_vcode_str(res.code), res.detail);
		rc = CLI_EXIT_VERIFY;
	} else if ((r = kts_sig_serialize(ext, &out, &len)) != 0 ||
	    (r = kts_file_write(o->out, out, len)) != 0) {
		cli_err("%s: cannot write: %s", o->out, kts_strerror(r));
		rc = CLI_EXIT_IO;
	}
	free(out);
	kts_sig_free(ext);
	return rc;
}

int
cmd_extend(int argc, char **argv)
{
	const struct kts_pubrec *pr = NULL;
	struct kts_pubfile *pf = NULL;
	struct kts_sig *sig = NULL;
	struct kts_ext_resp er;
	struct eopts o;
	uint8_t *resp = NULL;
	char why[512] = "";
	int64_t at;
	uint64_t p = 0;
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
	if ((rc = choose(&o, sig, pf, &p, &pr)) != 0 ||
	    (rc = ask(&o, kts_sig_signing_time(sig), p, &resp, &er)) != 0)
		goto out;
	rc = splice_and_write(&o, sig, &er, pr);
	if (rc == 0 && strcmp(o.out, "-") != 0)
		fprintf(stderr, "kts: extended to %llu%s: %s\n",
		    (unsigned long long)p, pr != NULL ?
		    " with its publication record" : "", o.out);
out:
	free(resp);
	kts_pubfile_free(pf);
	kts_sig_free(sig);
	cli_service_free(&o.svc);
	return rc;
}
