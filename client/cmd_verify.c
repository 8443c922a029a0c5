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
#include "limits.h"
#include "pdu.h"
#include "pub.h"
#include "util.h"
#include "verify.h"

struct vopts {
	const char *sig;		/* -i */
	const char *file;		/* -f */
	const char *hash;		/* --hash */
	const char *pubfile;		/* -P */
	struct cli_trust trust;		/* -V, --cnstr, --pubfile-time */
	const char *pub_str;		/* --pub-str */
	int policy;			/* enum kts_policy, -1 = default */
	const char *ext;		/* -X */
	const char *ext_user;		/* --ext-user */
	const char *ext_key;		/* --ext-key */
	uint8_t ext_hmac_alg;		/* --ext-hmac-alg */
	int extend_ok;			/* -x */
	unsigned level;			/* --level */
	int json;			/* --json */
};

/*
 * The extender: a service asked over the network, or one response PDU
 * read from a file (for tests and offline checks).
 */
struct ext_file {
	uint8_t *buf;			/* the file or last answer (owned) */
	size_t len;
	struct kts_ext_resp resp;	/* views into buf */
	int asked;			/* the verifier called it */
	int network;			/* svc is used, not a file */
	struct cli_service svc;		/* -X URL, --ext-user, --ext-key */
};

/* Everything one run holds; freed by run_free(). */
struct vrun {
	struct kts_sig *sig;
	struct kts_pubfile *pf;
	int pf_ok;			/* pf verified */
	int64_t pf_at;			/* moment it was checked at, -1 now */
	char pf_why[512];		/* why it did not verify */
	struct ext_file ext;
	struct kts_imprint doc;		/* document hash to check */
	struct kts_imprint user_hash;	/* --pub-str */
	uint64_t user_time;
	struct kts_vctx ctx;
	struct kts_vresult res;
};

static const char *ext_path(const char *url);

static const char short_opts[] = "i:f:P:V:X:xh";

static const struct option long_opts[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "file", required_argument, NULL, 'f' },
	{ "hash", required_argument, NULL, CLI_OPT_HASH },
	{ "ext-user", required_argument, NULL, CLI_OPT_EXT_USER },
	{ "ext-key", required_argument, NULL, CLI_OPT_EXT_KEY },
	{ "ext-hmac-alg", required_argument, NULL, CLI_OPT_HMAC_ALG },
	{ "publications-file", required_argument, NULL, 'P' },
	{ "cnstr", required_argument, NULL, CLI_OPT_CNSTR },
	{ "pubfile-time", required_argument, NULL, CLI_OPT_PUBFILE_TIME },
	{ "pub-str", required_argument, NULL, CLI_OPT_PUB_STR },
	{ "ver-int", no_argument, NULL, CLI_OPT_VER_INT },
	{ "ver-key", no_argument, NULL, CLI_OPT_VER_KEY },
	{ "ver-pub", no_argument, NULL, CLI_OPT_VER_PUB },
	{ "ver-cal", no_argument, NULL, CLI_OPT_VER_CAL },
	{ "extender", required_argument, NULL, 'X' },
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
	    "  -P PUBFILE          publications file\n"
	    "  -V CERT             trusted certificate (PEM) for the publications\n"
	    "                      file; may repeat; the system store is also used\n"
	    "  --cnstr OID=VALUE   required field of the publications file signer's\n"
	    "                      subject, e.g. E=publications@guardtime.com\n"
	    "  --pubfile-time T    check the publications file's certificates at T:\n"
	    "                      now (default), created, seconds or YYYY-MM-DD...\n"
	    "  --pub-str STRING    user publication (publication string)\n"
	    "  --ver-int           internal policy only\n"
	    "  --ver-key           key-based policy (needs -P)\n"
	    "  --ver-pub           publication-based policy (-P, or --pub-str)\n"
	    "  --ver-cal           calendar-based policy (needs -X)\n"
	    "  -X URL              extender: http://, ksi+http://USER:KEY@,\n"
	    "                      ksi+tcp://HOST:PORT, or a file (file://)\n"
	    "                      holding an extension response PDU\n"
	    "  --ext-user USER     extender login id (overrides the URL's)\n"
	    "  --ext-key KEY       extender HMAC key (overrides the URL's)\n"
	    "  -x                  permit extending for publication-based checks\n"
	    "  --level N           input hash level of the document (0-255)\n"
	    "  --json              print one JSON object\n"
	    "\n"
	    "Without a policy flag the general policy runs (internal, then the\n"
	    "user publication, or the publications file, then the key).\n"
	    "Exit codes: 0 verified, 1 error, 3 bad arguments, 4 bad format,\n"
	    "6 failed or inconclusive, 9 I/O error, 10 crypto error.\n", f);
}

static int
set_policy(struct vopts *o, int p)
{
	if (o->policy != -1 && o->policy != p) {
		cli_err("give only one of --ver-int, --ver-key, --ver-pub and "
		    "--ver-cal");
		return CLI_EXIT_ARGS;
	}
	o->policy = p;
	return CLI_EXIT_OK;
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
	switch (c) {
	case 'i':	o->sig = arg; return 0;
	case 'f':	o->file = arg; return 0;
	case CLI_OPT_HASH:	o->hash = arg; return 0;
	case 'P':	o->pubfile = arg; return 0;
	case CLI_OPT_PUB_STR:	o->pub_str = arg; return 0;
	case 'X':	o->ext = arg; return 0;
	case 'x':	o->extend_ok = 1; return 0;
	case CLI_OPT_EXT_USER:	o->ext_user = arg; return 0;
	case CLI_OPT_EXT_KEY:	o->ext_key = arg; return 0;
	case CLI_OPT_HMAC_ALG:
		if (kts_hash_by_name(arg, &o->ext_hmac_alg) == 0)
			return 0;
		cli_err("verify: unknown HMAC algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case CLI_OPT_JSON:	o->json = 1; return 0;
	case CLI_OPT_LEVEL:	return set_level(o, arg);
	case CLI_OPT_VER_INT:	return set_policy(o, KTS_POL_INTERNAL);
	case CLI_OPT_VER_KEY:	return set_policy(o, KTS_POL_KEY);
	case CLI_OPT_VER_PUB:	return set_policy(o, KTS_POL_PUBFILE);
	case CLI_OPT_VER_CAL:	return set_policy(o, KTS_POL_CALENDAR);
	case 'V':
	case CLI_OPT_CNSTR:
	case CLI_OPT_PUBFILE_TIME:
		return cli_trust_opt(&o->trust, c, arg);
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
	if (o->policy == KTS_POL_CALENDAR && o->ext == NULL) {
		cli_err("verify: --ver-cal needs an extender (-X)");
		return CLI_EXIT_ARGS;
	}
	if (o->policy == KTS_POL_KEY && o->pubfile == NULL) {
		cli_err("verify: --ver-key needs a publications file (-P)");
		return CLI_EXIT_ARGS;
	}
	if (o->ext != NULL && ext_path(o->ext) == NULL)
		return CLI_EXIT_ARGS;
	if (o->policy == KTS_POL_PUBFILE && o->pub_str != NULL)
		o->policy = KTS_POL_USERPUB;
	if (o->policy == -1)
		o->policy = KTS_POL_GENERAL;
	return CLI_EXIT_OK;
}

static int
parse_args(int argc, char **argv, struct vopts *o)
{
	int c;
	int rc;

	memset(o, 0, sizeof(*o));
	o->policy = -1;
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

static int
load_pubfile(const struct vopts *o, struct vrun *v)
{
	int rc;
	int r;

	if (o->pubfile == NULL)
		return CLI_EXIT_OK;
	if ((rc = cli_load_pubfile(o->pubfile, &v->pf)) != 0)
		return rc;
	r = cli_pubfile_check(&o->trust, v->pf, &v->pf_at, v->pf_why,
	    sizeof(v->pf_why));
	if (r == KTS_ENOMEM) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if (r != 0) {
		cli_err("%s: publications file not trusted: %s; policies that "
		    "need it will be inconclusive", o->pubfile, v->pf_why);
		return CLI_EXIT_OK;
	}
	v->pf_ok = 1;
	v->ctx.pubfile = v->pf;
	return CLI_EXIT_OK;
}

static int
load_pub_str(const struct vopts *o, struct vrun *v)
{
	if (o->pub_str == NULL)
		return CLI_EXIT_OK;
	if (kts_pubstr_decode(o->pub_str, &v->user_time, &v->user_hash) != 0) {
		cli_err("--pub-str %s: not a valid publication string (bad "
		    "character, length or checksum)", o->pub_str);
		return CLI_EXIT_ARGS;
	}
	v->ctx.has_user_pub = 1;
	v->ctx.user_pub_time = v->user_time;
	v->ctx.user_pub_hash = v->user_hash;
	return CLI_EXIT_OK;
}

/* ---- the extender -------------------------------------------------------- */

/* Ask the network extender for A -> P (0 = head) into x->buf/x->resp. */
static int
ext_ask(struct ext_file *x, uint64_t a, uint64_t p)
{
	struct kts_wr wr;
	uint64_t id = cli_request_id();
	int r;

	free(x->buf);
	x->buf = NULL;
	memset(&x->resp, 0, sizeof(x->resp));
	kts_wr_init(&wr, KTS_MAX_PDU);
	r = kts_ext_req_build(&wr, x->svc.user, x->svc.key,
	    strlen(x->svc.key), x->svc.hmac_alg, id, a, p);
	if (r == 0 && cli_exchange(&x->svc, wr.p, wr.len, &x->buf,
	    &x->len) != 0)
		r = KTS_EIO;
	kts_wr_free(&wr);
	if (r == 0 && (r = kts_ext_resp_parse(x->buf, x->len, x->svc.key,
	    strlen(x->svc.key), &x->resp, NULL)) != 0)
		cli_err("%s: the extender's answer does not parse or its HMAC "
		    "does not check", x->svc.url);
	if (r == 0 && x->resp.status == 0 && x->resp.req_id != id)
		r = KTS_EVERIFY;
	return r;
}

static int
ext_fn(void *arg, uint64_t aggr_time, uint64_t pub_time, uint8_t **out,
    size_t *len)
{
	struct ext_file *x = arg;

	x->asked = 1;
	if (x->network && ext_ask(x, aggr_time, pub_time) != 0)
		return KTS_EIO;
	if (x->resp.status != 0 || x->resp.chain == NULL)
		return KTS_ENOTFOUND;
	if ((*out = malloc(x->resp.chain_len)) == NULL)
		return KTS_ENOMEM;
	memcpy(*out, x->resp.chain, x->resp.chain_len);
	*len = x->resp.chain_len;
	return 0;
}

/* 1 if url names a network extender (spec 8.1 schemes). */
static int
ext_is_network(const char *url)
{
	static const char *const net[] = {
		"http://", "ksi+http://", "ksi://", "ksi+tcp://"
	};
	size_t i;

	for (i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		if (strncmp(url, net[i], strlen(net[i])) == 0)
			return 1;
	return 0;
}

/* The file path of a file -X argument, or NULL (message printed). */
static const char *
ext_path(const char *url)
{
	if (ext_is_network(url))
		return url;
	if (strncmp(url, "file://", 7) == 0) {
		url += 7;
		if (strncmp(url, "localhost/", 10) == 0)
			url += 9;
		if (url[0] == '/')
			return url;
		cli_err("-X: a file:// URL needs an absolute path");
		return NULL;
	}
	if (strstr(url, "://") != NULL) {
		cli_err("-X %s: unknown URL scheme (http://, ksi+http://, "
		    "ksi+tcp://, file:// or a path)", url);
		return NULL;
	}
	return url;
}

static int
load_ext(const struct vopts *o, struct vrun *v)
{
	struct kts_perr pe = { 0, 0, NULL };
	const char *path;
	int rc;
	int r;

	if (o->ext == NULL)
		return CLI_EXIT_OK;
	v->ctx.extend = ext_fn;
	v->ctx.extend_arg = &v->ext;
	if (ext_is_network(o->ext)) {
		v->ext.network = 1;
		v->ext.svc.url = o->ext;
		v->ext.svc.user = o->ext_user;
		v->ext.svc.key = o->ext_key;
		if (o->ext_hmac_alg != 0)
			v->ext.svc.hmac_alg = o->ext_hmac_alg;
		return cli_service_ready(&v->ext.svc, "extender");
	}
	if ((path = ext_path(o->ext)) == NULL)
		return CLI_EXIT_ARGS;	/* checked by check_opts */
	if ((rc = cli_read_file(path, KTS_MAX_PDU, &v->ext.buf,
	    &v->ext.len)) != 0)
		return rc;
	if ((r = kts_ext_resp_parse(v->ext.buf, v->ext.len, NULL, 0,
	    &v->ext.resp, &pe)) != 0) {
		cli_parse_error(path, r, &pe);
		return cli_exit_for(r);
	}
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

static void
print_human_trust(const struct vopts *o, const struct vrun *v)
{
	if (o->pubfile != NULL && v->pf_ok)
		printf("  %-19s %s (verified)\n", "publications file:",
		    o->pubfile);
	else if (o->pubfile != NULL)
		printf("  %-19s %s (NOT trusted: %s)\n", "publications file:",
		    o->pubfile, v->pf_why);
	if (v->ext.asked && (v->ext.resp.status != 0 ||
	    v->ext.resp.chain == NULL))
		printf("  %-19s status 0x%04llx (%s)%s%s\n", "extender:",
		    (unsigned long long)v->ext.resp.status,
		    kts_status_str(v->ext.resp.status, 1),
		    v->ext.resp.message != NULL ? ": " : "",
		    v->ext.resp.message != NULL ? v->ext.resp.message : "");
}

/* What to add when the verdict is inconclusive for want of trust. */
static void
print_hint(const struct vopts *o, const struct vrun *v)
{
	const char *hint = NULL;

	if (v->res.verdict != KTS_V_NA)
		return;
	if (o->pubfile == NULL && o->pub_str == NULL &&
	    o->policy != KTS_POL_INTERNAL && o->policy != KTS_POL_CALENDAR)
		hint = "give a publications file (-P with -V and --cnstr) or a "
		    "publication string (--pub-str)";
	else if (o->pubfile != NULL && !v->pf_ok)
		hint = "the publications file is not trusted: check -V, "
		    "--cnstr and --pubfile-time";
	else if (o->ext == NULL && o->extend_ok)
		hint = "extending is permitted (-x) but no extender is given (-X)";
	if (hint != NULL)
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
	printf("  %-19s %s", "policy:", kts_policy_name(o->policy));
	if ((int)res->policy != o->policy)
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
	print_human_trust(o, v);
	print_hint(o, v);
}

static void
json_trust(struct jw *w, const struct vopts *o, const struct vrun *v)
{
	if (o->pubfile == NULL) {
		jw_null(w, "publications_file");
		return;
	}
	jw_obj_begin(w, "publications_file");
	jw_str(w, "path", o->pubfile);
	jw_bool(w, "verified", v->pf_ok);
	jw_str(w, "error", v->pf_ok ? NULL : v->pf_why);
	if (v->pf_at >= 0)
		jw_time(w, "verification_time", v->pf_at);
	else
		jw_str(w, "verification_time", "now");
	jw_obj_end(w);
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
	jw_str(w, "requested_policy", kts_policy_name(o->policy));
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
	json_trust(&w, o, v);
	jw_obj_end(&w);
	jw_finish(&w);
}

/* ---- the command -------------------------------------------------------- */

static void
run_free(struct vrun *v)
{
	kts_sig_free(v->sig);
	kts_pubfile_free(v->pf);
	free(v->ext.buf);
	cli_service_free(&v->ext.svc);
}

static int
run(const struct vopts *o, struct vrun *v)
{
	int rc;
	int r;

	/* Argument errors (exit 3) before any file is read. */
	if ((rc = parse_hash(o, v)) != 0 ||
	    (rc = load_pub_str(o, v)) != 0 ||
	    (rc = cli_load_sig(o->sig, &v->sig)) != 0 ||
	    (rc = load_doc(o, v)) != 0 ||
	    (rc = load_pubfile(o, v)) != 0 ||
	    (rc = load_ext(o, v)) != 0)
		return rc;
	v->ctx.level = o->level;
	v->ctx.extend_ok = (uint8_t)o->extend_ok;
	if ((r = kts_verify(v->sig, (enum kts_policy)o->policy, &v->ctx,
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
	cli_service_init(&v.ext.svc);
	v.pf_at = -1;
	rc = run(&o, &v);
	run_free(&v);
	return rc;
}
