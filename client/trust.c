/*
 * trust.c - the trust options of trust.h: publications file, user
 * publication and extender, loaded once for a verification.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "pub.h"
#include "trust.h"
#include "util.h"

void
cli_vtrust_init(struct cli_vtrust *t)
{
	memset(t, 0, sizeof(*t));
	cli_service_init(&t->x.svc);
	t->pf_at = -1;
	t->policy = -1;
}

static int
set_policy(struct cli_vtrust *t, int p)
{
	if (t->policy != -1 && t->policy != p) {
		cli_err("give only one of --ver-int, --ver-key, --ver-pub and "
		    "--ver-cal");
		return CLI_EXIT_ARGS;
	}
	t->policy = p;
	return CLI_EXIT_OK;
}

int
cli_vtrust_opt(struct cli_vtrust *t, int c, char *arg)
{
	switch (c) {
	case 'P':	t->pubfile = arg; return 0;
	case CLI_OPT_PUB_STR:	t->pub_str = arg; return 0;
	case 'X':	t->ext = arg; return 0;
	case 'x':	t->extend_ok = 1; return 0;
	case CLI_OPT_EXT_USER:	t->ext_user = arg; return 0;
	case CLI_OPT_EXT_KEY:	t->ext_key = arg; return 0;
	case CLI_OPT_HMAC_ALG:
		if (kts_hash_by_name(arg, &t->ext_hmac_alg) == 0)
			return 0;
		cli_err("unknown HMAC algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case 'V':
	case CLI_OPT_CNSTR:
	case CLI_OPT_PUBFILE_TIME:
		return cli_trust_opt(&t->trust, c, arg);
	case CLI_OPT_VER_INT:	return set_policy(t, KTS_POL_INTERNAL);
	case CLI_OPT_VER_KEY:	return set_policy(t, KTS_POL_KEY);
	case CLI_OPT_VER_PUB:	return set_policy(t, KTS_POL_PUBFILE);
	case CLI_OPT_VER_CAL:	return set_policy(t, KTS_POL_CALENDAR);
	}
	return -2;
}

/* Ask the network extender for A -> P (0 = head) into x->buf/x->resp. */
static int
ext_ask(struct cli_ext *x, uint64_t a, uint64_t p)
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
	struct cli_ext *x = arg;

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

int
cli_vtrust_check(struct cli_vtrust *t, const char *cmd)
{
	int *policy = &t->policy;

	if (*policy == KTS_POL_CALENDAR && t->ext == NULL) {
		cli_err("%s: --ver-cal needs an extender (-X)", cmd);
		return CLI_EXIT_ARGS;
	}
	if (*policy == KTS_POL_KEY && t->pubfile == NULL) {
		cli_err("%s: --ver-key needs a publications file (-P)", cmd);
		return CLI_EXIT_ARGS;
	}
	if (t->ext != NULL && ext_path(t->ext) == NULL)
		return CLI_EXIT_ARGS;
	if (*policy == KTS_POL_PUBFILE && t->pub_str != NULL)
		*policy = KTS_POL_USERPUB;
	if (*policy == -1)
		*policy = KTS_POL_GENERAL;
	return CLI_EXIT_OK;
}

static int
load_pubfile(struct cli_vtrust *t, struct kts_vctx *ctx)
{
	int rc;
	int r;

	if (t->pubfile == NULL)
		return CLI_EXIT_OK;
	if ((rc = cli_load_pubfile(t->pubfile, &t->pf)) != 0)
		return rc;
	r = cli_pubfile_check(&t->trust, t->pf, &t->pf_at, t->pf_why,
	    sizeof(t->pf_why));
	if (r == KTS_ENOMEM) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if (r != 0) {
		cli_err("%s: publications file not trusted: %s; policies that "
		    "need it will be inconclusive", t->pubfile, t->pf_why);
		return CLI_EXIT_OK;
	}
	t->pf_ok = 1;
	ctx->pubfile = t->pf;
	return CLI_EXIT_OK;
}

static int
load_pub_str(struct cli_vtrust *t, struct kts_vctx *ctx)
{
	if (t->pub_str == NULL)
		return CLI_EXIT_OK;
	if (kts_pubstr_decode(t->pub_str, &t->user_time, &t->user_hash) != 0) {
		cli_err("--pub-str %s: not a valid publication string (bad "
		    "character, length or checksum)", t->pub_str);
		return CLI_EXIT_ARGS;
	}
	ctx->has_user_pub = 1;
	ctx->user_pub_time = t->user_time;
	ctx->user_pub_hash = t->user_hash;
	return CLI_EXIT_OK;
}

static int
load_ext(struct cli_vtrust *t, struct kts_vctx *ctx)
{
	struct kts_perr pe = { 0, 0, NULL };
	const char *path;
	int rc;
	int r;

	if (t->ext == NULL)
		return CLI_EXIT_OK;
	ctx->extend = ext_fn;
	ctx->extend_arg = &t->x;
	if (ext_is_network(t->ext)) {
		t->x.network = 1;
		t->x.svc.url = t->ext;
		t->x.svc.user = t->ext_user;
		t->x.svc.key = t->ext_key;
		if (t->ext_hmac_alg != 0)
			t->x.svc.hmac_alg = t->ext_hmac_alg;
		return cli_service_ready(&t->x.svc, "extender");
	}
	if ((path = ext_path(t->ext)) == NULL)
		return CLI_EXIT_ARGS;	/* checked by cli_vtrust_check */
	if ((rc = cli_read_file(path, KTS_MAX_PDU, &t->x.buf,
	    &t->x.len)) != 0)
		return rc;
	if ((r = kts_ext_resp_parse(t->x.buf, t->x.len, NULL, 0,
	    &t->x.resp, &pe)) != 0) {
		cli_parse_error(path, r, &pe);
		return cli_exit_for(r);
	}
	return CLI_EXIT_OK;
}

int
cli_vtrust_load(struct cli_vtrust *t, struct kts_vctx *ctx)
{
	int rc;

	if ((rc = load_pub_str(t, ctx)) != 0 ||
	    (rc = load_pubfile(t, ctx)) != 0 ||
	    (rc = load_ext(t, ctx)) != 0)
		return rc;
	ctx->extend_ok = (uint8_t)t->extend_ok;
	return CLI_EXIT_OK;
}

void
cli_vtrust_free(struct cli_vtrust *t)
{
	kts_pubfile_free(t->pf);
	t->pf = NULL;
	free(t->x.buf);
	t->x.buf = NULL;
	cli_service_free(&t->x.svc);
}

void
cli_vtrust_print(const struct cli_vtrust *t)
{
	const struct kts_ext_resp *er = &t->x.resp;

	if (t->pubfile != NULL && t->pf_ok)
		printf("  %-19s %s (verified)\n", "publications file:",
		    t->pubfile);
	else if (t->pubfile != NULL)
		printf("  %-19s %s (NOT trusted: %s)\n", "publications file:",
		    t->pubfile, t->pf_why);
	if (t->x.asked && (er->status != 0 || er->chain == NULL))
		printf("  %-19s status 0x%04llx (%s)%s%s\n", "extender:",
		    (unsigned long long)er->status,
		    kts_status_str(er->status, 1),
		    er->message != NULL ? ": " : "",
		    er->message != NULL ? er->message : "");
}

const char *
cli_vtrust_hint(const struct cli_vtrust *t, int policy)
{
	if (t->pubfile == NULL && t->pub_str == NULL &&
	    policy != KTS_POL_INTERNAL && policy != KTS_POL_CALENDAR)
		return "give a publications file (-P with -V and --cnstr) or a "
		    "publication string (--pub-str)";
	if (t->pubfile != NULL && !t->pf_ok)
		return "the publications file is not trusted: check -V, "
		    "--cnstr and --pubfile-time";
	if (t->ext == NULL && t->extend_ok)
		return "extending is permitted (-x) but no extender is given "
		    "(-X)";
	return NULL;
}

void
cli_vtrust_json(struct jw *w, const struct cli_vtrust *t)
{
	if (t->pubfile == NULL) {
		jw_null(w, "publications_file");
		return;
	}
	jw_obj_begin(w, "publications_file");
	jw_str(w, "path", t->pubfile);
	jw_bool(w, "verified", t->pf_ok);
	jw_str(w, "error", t->pf_ok ? NULL : t->pf_why);
	if (t->pf_at >= 0)
		jw_time(w, "verification_time", t->pf_at);
	else
		jw_str(w, "verification_time", "now");
	jw_obj_end(w);
}
