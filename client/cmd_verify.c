/*
 * cmd_verify.c - `kts verify`: check a signature, and optionally a
 * document, with one of the KSI verification policies (KSI spec 9).
 *
 * Trust inputs: a publications file (-P) checked against -V anchors and
 * --cnstr constraints (spec 6.4), a user publication (--pub-str, spec
 * 6.2), and an extender (-X; in this version only a file holding an
 * extension response PDU).  A publications file that does not verify is
 * reported and then not used, so the policies that need it end NA
 * (GEN-02), as in libksi.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "trust.h"
#include "limits.h"
#include "pdu.h"
#include "pub.h"
#include "util.h"
#include "verify.h"

struct vopts {
	const char *sig;		/* -i */
	const char *file;		/* -f */
	const char *hash;		/* --hash */
	struct cli_vtrust t;		/* -P, -V, --cnstr, --pub-str, -X... */
	unsigned level;			/* --level */
	int json;			/* --json */
};

/* Everything one run holds; freed by run_free(). */
struct vrun {
	struct kts_sig *sig;
	struct kts_imprint doc;		/* document hash to check */
	struct kts_vctx ctx;
	struct kts_vresult res;
};

static const char short_opts[] = "i:f:h" CLI_TRUST_SHORT_OPTS;

static const struct option long_opts[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "file", required_argument, NULL, 'f' },
	{ "hash", required_argument, NULL, CLI_OPT_HASH },
	CLI_TRUST_LONG_OPTS,
	{ "level", required_argument, NULL, CLI_OPT_LEVEL },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fputs("usage: kts verify -i SIG [-f FILE | --hash ALG:HEX] [-P PUBFILE]\n"
	    "           [--cnstr OID=VALUE]... [-V CERT]...\n"
	    "           [--pubfile-time now|created|EPOCH|ISO] [--pub-str STRING]\n"
	    "           [--ver-int | --ver-key | --ver-pub | --ver-cal -X URL]\n"
	    "           [-X URL] [-x] [--level N] [--json]\n"
	    "\n"
	    "  -i SIG              signature file ('-' = stdin)\n"
	    "  -f FILE             document to check (hashed with the signature's\n"
	    "                      document hash algorithm)\n"
	    "  --hash ALG:HEX      document hash instead of -f (or an imprint in hex)\n"
	    CLI_TRUST_USAGE
	    "  --ver-int           internal policy only\n"
	    "  --ver-key           key-based policy (needs -P)\n"
	    "  --ver-pub           publication-based policy (-P, or --pub-str)\n"
	    "  --ver-cal           calendar-based policy (needs -X)\n"
	    "  --level N           input hash level of the document (0-255)\n"
	    "  --json              print one JSON object\n"
	    "\n"
	    "Without a policy flag the general policy runs (internal, then the\n"
	    "user publication, or the publications file, then the key).\n"
	    "Exit codes: 0 verified, 1 error, 3 bad arguments, 4 bad format,\n"
	    "6 failed or inconclusive, 9 I/O error, 10 crypto error.\n", f);
}

static int
set_level(struct vopts *o, const char *arg)
{
	uint64_t v;

	if (kts_parse_u64(arg, 255, &v) != 0) {
		cli_err("--level %s: expected a number from 0 to 255", arg);
		return CLI_EXIT_ARGS;
	}
	o->level = (unsigned)v;
	return CLI_EXIT_OK;
}

/* One option; returns an exit code, or -1 after --help. */
static int
take_opt(struct vopts *o, int c, char *arg)
{
	int rc;

	if ((rc = cli_vtrust_opt(&o->t, c, arg)) != -2)
		return rc;
	switch (c) {
	case 'i':	o->sig = arg; return 0;
	case 'f':	o->file = arg; return 0;
	case CLI_OPT_HASH:	o->hash = arg; return 0;
	case CLI_OPT_JSON:	o->json = 1; return 0;
	case CLI_OPT_LEVEL:	return set_level(o, arg);
	case 'h':
		usage(stdout);
		return -1;
	}
	fputs("Run 'kts verify --help' for the options.\n", stderr);
	return CLI_EXIT_ARGS;
}

/* Cross-option rules once everything is read. */
static int
check_opts(struct vopts *o)
{
	if (o->sig == NULL) {
		cli_err("verify: -i SIG is required");
		return CLI_EXIT_ARGS;
	}
	if (o->file != NULL && o->hash != NULL) {
		cli_err("verify: give -f or --hash, not both");
		return CLI_EXIT_ARGS;
	}
	return cli_vtrust_check(&o->t, "verify");
}

static int
parse_args(int argc, char **argv, struct vopts *o)
{
	int c;
	int rc;

	memset(o, 0, sizeof(*o));
	cli_vtrust_init(&o->t);
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1)
		if ((rc = take_opt(o, c, optarg)) != 0)
			return rc;
	if (optind < argc) {
		cli_err("verify: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_ARGS;
	}
	return check_opts(o);
}

/* ---- inputs ------------------------------------------------------------- */

static int
parse_hash(const struct vopts *o, struct vrun *v)
{
	int r;

	if (o->hash == NULL)
		return CLI_EXIT_OK;
	if ((r = kts_imprint_from_str(o->hash, &v->doc)) != 0) {
		cli_err("--hash %s: %s; expected ALG:HEX (e.g. SHA-256:ab12...) "
		    "or an imprint in hex", o->hash, r == KTS_ENOTFOUND ?
		    "unknown algorithm" : "malformed hash");
		return CLI_EXIT_ARGS;
	}
	v->ctx.doc_hash = &v->doc;
	return CLI_EXIT_OK;
}

static int
load_doc(const struct vopts *o, struct vrun *v)
{
	int rc;

	if (o->file == NULL)
		return CLI_EXIT_OK;
	if ((rc = cli_hash_file(o->file, kts_sig_doc_hash(v->sig)->alg,
	    &v->doc)) != 0)
		return rc;
	v->ctx.doc_hash = &v->doc;
	return CLI_EXIT_OK;
}

/* ---- output ------------------------------------------------------------- */

static const char *
verdict_word(enum kts_verdict vd, int json)
{
	switch (vd) {
	case KTS_V_OK:	return "OK";
	case KTS_V_NA:	return json ? "NA" : "INCONCLUSIVE";
	default:	return json ? "FAIL" : "FAILED";
	}
}

static void
put_imprint_line(const char *label, const struct kts_imprint *im, int has)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];

	if (has)
		printf("  %-19s %s\n", label, kts_imprint_hex(im, hex));
}

/* What to add when the verdict is inconclusive for want of trust. */
static void
print_hint(const struct vopts *o, const struct vrun *v)
{
	const char *hint;

	if (v->res.verdict != KTS_V_NA)
		return;
	if ((hint = cli_vtrust_hint(&o->t, o->t.policy)) != NULL)
		printf("  %-19s %s\n", "hint:", hint);
}

static void
print_human(const struct vopts *o, const struct vrun *v)
{
	const struct kts_vresult *res = &v->res;
	const struct kts_sig *s = v->sig;
	char buf[CLI_MAX_SIGNER];

	printf("%s: verification %s\n", o->sig,
	    verdict_word(res->verdict, 0));
	if (res->verdict != KTS_V_OK) {
		printf("  %-19s %s\n", "code:", kts_vcode_str(res->code));
		printf("  %-19s %s: %s\n", "reason:", kts_vcode_msg(res->code),
		    res->detail != NULL ? res->detail : "");
	}
	printf("  %-19s %s", "policy:", kts_policy_name(o->t.policy));
	if ((int)res->policy != o->t.policy)
		printf(" (decided by %s)", kts_policy_name(res->policy));
	printf("\n  %-19s ", "signing time:");
	cli_put_time(stdout, (int64_t)kts_sig_signing_time(s));
	if (res->has_pub_time) {
		printf("\n  %-19s ", "publication time:");
		cli_put_time(stdout, (int64_t)res->pub_time);
	}
	printf("\n  %-19s %s\n", "signer:",
	    cli_signer_str(s, buf, sizeof(buf)));
	printf("  %-19s %s\n", "hash algorithm:",
	    kts_hash_name(kts_sig_doc_hash(s)->alg));
	put_imprint_line("document hash:", kts_sig_doc_hash(s), 1);
	if (v->ctx.doc_hash != NULL)
		put_imprint_line("checked against:", v->ctx.doc_hash, 1);
	put_imprint_line("aggregation root:", &res->aggr_root,
	    res->has_aggr_root);
	put_imprint_line("calendar root:", &res->cal_root, res->has_cal_root);
	if (s->has_pubrec)
		printf("  %-19s %s\n", "publication:", cli_pubstr(
		    s->pubrec.data.time, &s->pubrec.data.hash, buf,
		    sizeof(buf)));
	cli_vtrust_print(&o->t);
	print_hint(o, v);
}

static void
json_result(struct jw *w, const struct vopts *o, const struct vrun *v)
{
	const struct kts_vresult *res = &v->res;
	const char *code = kts_vcode_str(res->code);

	jw_str(w, "verdict", verdict_word(res->verdict, 1));
	jw_str(w, "code", code[0] != '\0' ? code : NULL);
	jw_str(w, "message", kts_vcode_msg(res->code));
	jw_str(w, "detail", res->detail);
	jw_str(w, "policy", kts_policy_name(res->policy));
	jw_str(w, "requested_policy", kts_policy_name(o->t.policy));
}

static void
print_json(const struct vopts *o, const struct vrun *v)
{
	const struct kts_vresult *res = &v->res;
	const struct kts_sig *s = v->sig;
	const char *ids[CLI_MAX_IDS];
	char buf[KTS_MAX_PUBSTR];
	struct jw w;
	size_t n;
	size_t i;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "signature", o->sig);
	json_result(&w, o, v);
	jw_time(&w, "signing_time", (int64_t)kts_sig_signing_time(s));
	if (res->has_pub_time)
		jw_time(&w, "publication_time", (int64_t)res->pub_time);
	else
		jw_null(&w, "publication_time");
	jw_arr_begin(&w, "signer");
	n = cli_signer_ids(s, ids, CLI_MAX_IDS);
	for (i = 0; i < n; i++)
		jw_str(&w, NULL, ids[i]);
	jw_arr_end(&w);
	jw_str(&w, "hash_algorithm", kts_hash_name(kts_sig_doc_hash(s)->alg));
	jw_imprint(&w, "document_hash", kts_sig_doc_hash(s));
	jw_imprint(&w, "input_document_hash", v->ctx.doc_hash);
	jw_imprint(&w, "aggregation_root",
	    res->has_aggr_root ? &res->aggr_root : NULL);
	jw_imprint(&w, "calendar_root",
	    res->has_cal_root ? &res->cal_root : NULL);
	jw_str(&w, "publication_string", s->has_pubrec ?
	    cli_pubstr(s->pubrec.data.time, &s->pubrec.data.hash, buf,
	    sizeof(buf)) : NULL);
	cli_vtrust_json(&w, &o->t);
	jw_obj_end(&w);
	jw_finish(&w);
}

/* ---- the command -------------------------------------------------------- */

static void
run_free(struct vrun *v)
{
	kts_sig_free(v->sig);
}

static int
run(struct vopts *o, struct vrun *v)
{
	int rc;
	int r;

	/* Argument errors (exit 3) before any file is read. */
	if ((rc = parse_hash(o, v)) != 0 ||
	    (rc = cli_load_sig(o->sig, &v->sig)) != 0 ||
	    (rc = load_doc(o, v)) != 0 ||
	    (rc = cli_vtrust_load(&o->t, &v->ctx)) != 0)
		return rc;
	v->ctx.level = o->level;
	if ((r = kts_verify(v->sig, (enum kts_policy)o->t.policy, &v->ctx,
	    &v->res)) != 0) {
		cli_err("%s: verification could not run: %s", o->sig,
		    kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	if (o->json)
		print_json(o, v);
	else
		print_human(o, v);
	return v->res.verdict == KTS_V_OK ? CLI_EXIT_OK : CLI_EXIT_VERIFY;
}

int
cmd_verify(int argc, char **argv)
{
	struct vopts o;
	struct vrun v;
	int rc;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	memset(&v, 0, sizeof(v));
	rc = run(&o, &v);
	run_free(&v);
	cli_vtrust_free(&o.t);
	return rc;
}
