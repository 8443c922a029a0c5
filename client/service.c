/*
 * service.c - what the commands that talk to a KSI service share:
 * service URLs and credentials, one request/response exchange with
 * readable errors, request ids, and hashing a document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "hash.h"
#include "limits.h"
#include "net.h"
#include "pub.h"
#include "util.h"
#include "verify.h"
#include "pdu.h"
#include "wr.h"

void
cli_service_init(struct cli_service *s)
{
	memset(s, 0, sizeof(*s));
	s->hmac_alg = KTS_HASH_SHA256;
	s->timeout_ms = 10000;
}

void
cli_service_free(struct cli_service *s)
{
	free(s->url_user);
	free(s->url_key);
	s->url_user = NULL;
	s->url_key = NULL;
}

int
cli_service_ready(struct cli_service *s, const char *what)
{
	if (s->url == NULL) {
		cli_err("no %s URL given", what);
		return CLI_EXIT_ARGS;
	}
	if (kts_url_credentials(s->url, &s->url_user, &s->url_key) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	/* Explicit options override URL credentials (spec 8.1). */
	if (s->user == NULL)
		s->user = s->url_user;
	if (s->key == NULL)
		s->key = s->url_key;
	if (strncmp(s->url, "file://", 7) != 0 &&
	    (s->user == NULL || s->key == NULL)) {
		cli_err("the %s needs a user and a key (--%s-user, --%s-key, or "
		    "ksi+http://USER:KEY@host/ in the URL)", what,
		    strcmp(what, "extender") == 0 ? "ext" : "aggr",
		    strcmp(what, "extender") == 0 ? "ext" : "aggr");
		return CLI_EXIT_ARGS;
	}
	return CLI_EXIT_OK;
}

int
cli_service_env(struct cli_service *s, const char *url_var, const char *what)
{
	if (s->url == NULL)
		s->url = getenv(url_var);
	if (s->url == NULL) {
		cli_err("no %s: give its URL (or set %s)", what, url_var);
		return CLI_EXIT_ARGS;
	}
	/* Credentials in the URL win over the environment. */
	if (strchr(s->url, '@') == NULL) {
		if (s->user == NULL)
			s->user = getenv("KTS_USER");
		if (s->key == NULL)
			s->key = getenv("KTS_KEY");
	}
	return cli_service_ready(s, what);
}

int
cli_exchange(const struct cli_service *s, const uint8_t *req, size_t len,
    uint8_t **resp, size_t *resp_len)
{
	char why[512] = "";
	int r;

	r = kts_net_exchange(s->url, req, len, s->timeout_ms, resp, resp_len,
	    why, sizeof(why));
	if (r == 0)
		return CLI_EXIT_OK;
	cli_err("%s: %s", s->url, why[0] != '\0' ? why : kts_strerror(r));
	return r == KTS_EINVAL ? CLI_EXIT_ARGS : CLI_EXIT_NETWORK;
}

int
cli_sign_imprint(const struct cli_service *s, const struct kts_imprint *h,
    unsigned level, struct kts_sig **sig)
{
	struct kts_perr pe = { 0, 0, NULL };
	const char *msg = NULL;
	struct kts_wr wr;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	uint64_t id = cli_request_id();
	uint64_t st = 0;
	int rc;
	int r;

	*sig = NULL;
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_aggr_req_build(&wr, s->user, s->key, strlen(s->key),
	    s->hmac_alg, id, h, level)) != 0) {
		cli_err("cannot build the request: %s", kts_strerror(r));
		kts_wr_free(&wr);
		return CLI_EXIT_FAILURE;
	}
	rc = cli_exchange(s, wr.p, wr.len, &resp, &rlen);
	kts_wr_free(&wr);
	if (rc != 0)
		return rc;
	r = kts_aggr_resp_to_sig(resp, rlen, s->key, strlen(s->key),
	    s->hmac_alg, id, level, &st, &msg, sig, &pe);
	if (r == 0 && st != 0) {
		cli_err("%s refused: status 0x%04llx (%s)%s%.200s", s->url,
		    (unsigned long long)st, kts_status_str(st, 0),
		    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		rc = st == KTS_ST_AUTH_FAILURE ? CLI_EXIT_AUTH : CLI_EXIT_AGGR;
	} else if (r != 0) {
		cli_parse_error(s->url, r, &pe);
		rc = r == KTS_EVERIFY ? CLI_EXIT_HMAC : CLI_EXIT_FORMAT;
	}
	free(resp);
	if (rc != 0) {
		kts_sig_free(*sig);
		*sig = NULL;
	}
	return rc;
}

int
cli_ext_time(const char *arg, struct cli_ext_to *to)
{
	int64_t t;

	if (kts_parse_time(arg, &t) != 0 || t < 0) {
		cli_err("extend: -T wants epoch seconds or an ISO time, not "
		    "'%.80s'", arg);
		return CLI_EXIT_ARGS;
	}
	to->has_time = 1;
	to->time = (uint64_t)t;
	return CLI_EXIT_OK;
}

/* Choose the publication (spec 6.7): *p, and its record if known. */
static int
choose(const struct cli_ext_to *to, const struct kts_sig *sig, uint64_t *p,
    const struct kts_pubrec **pr)
{
	*pr = NULL;
	if (to->has_time) {
		*p = to->time;
		if (to->pf != NULL)
			*pr = kts_pubfile_find(to->pf, *p);
		return CLI_EXIT_OK;
	}
	*pr = kts_pubfile_nearest(to->pf, kts_sig_signing_time(sig));
	if (*pr == NULL) {
		cli_err("extend: %s has no publication after the signing time "
		    "yet; try again after the next publication", to->pf_name);
		return CLI_EXIT_EXTEND;
	}
	*p = (*pr)->data.time;
	return CLI_EXIT_OK;
}

/* Ask for the chain A -> P; *resp holds the PDU the chain points into. */
static int
ask(const struct cli_service *svc, uint64_t a, uint64_t p, uint8_t **resp,
    struct kts_ext_resp *er)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_wr wr;
	uint64_t id = cli_request_id();
	size_t rlen = 0;
	int rc;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_ext_req_build(&wr, svc->user, svc->key,
	    strlen(svc->key), svc->hmac_alg, id, a, p)) != 0) {
		kts_wr_free(&wr);
		cli_err("cannot build the request: %s", kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	rc = cli_exchange(svc, wr.p, wr.len, resp, &rlen);
	kts_wr_free(&wr);
	if (rc != 0)
		return rc;
	if ((r = kts_ext_resp_parse(*resp, rlen, svc->key, strlen(svc->key),
	    er, &pe)) != 0) {
		cli_parse_error(svc->url, r, &pe);
		return r == KTS_EVERIFY ? CLI_EXIT_HMAC : CLI_EXIT_FORMAT;
	}
	if (er->status != 0) {
		cli_err("%s refused: status 0x%04llx (%s)%s%.200s", svc->url,
		    (unsigned long long)er->status, kts_status_str(er->status, 1),
		    er->message != NULL ? ": " : "",
		    er->message != NULL ? er->message : "");
		return er->status == KTS_ST_AUTH_FAILURE ? CLI_EXIT_AUTH :
		    CLI_EXIT_EXTEND;
	}
	if (er->req_id != id || er->chain == NULL) {
		cli_err("%s: the answer is not for our request", svc->url);
		return CLI_EXIT_EXTEND;
	}
	return CLI_EXIT_OK;
}

/* Put the new calendar chain and record in; check the result. */
static int
splice(const struct cli_service *svc, const struct kts_sig *sig,
    const struct kts_ext_resp *er, const struct kts_pubrec *pr,
    struct kts_sig **out)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_vresult res;
	struct kts_vctx ctx;
	int r;

	if ((r = kts_sig_extend(sig, er->chain, er->chain_len,
	    pr != NULL ? pr->raw : NULL, pr != NULL ? pr->raw_len : 0, out,
	    &pe)) != 0) {
		cli_parse_error(svc->url, r, &pe);
		return CLI_EXIT_FORMAT;
	}
	memset(&ctx, 0, sizeof(ctx));
	if ((r = kts_verify(*out, KTS_POL_INTERNAL, &ctx, &res)) != 0 ||
	    res.verdict != KTS_V_OK) {
		cli_err("the extended signature does not verify: %s %s",
		    kts_vcode_str(res.code), res.detail);
		kts_sig_free(*out);
		*out = NULL;
		return CLI_EXIT_VERIFY;
	}
	return CLI_EXIT_OK;
}

int
cli_extend_sig(const struct cli_service *svc, const struct kts_sig *sig,
    struct cli_ext_to *to, struct kts_sig **out)
{
	const struct kts_pubrec *pr = NULL;
	struct kts_ext_resp er;
	uint8_t *resp = NULL;
	uint64_t p = 0;
	int rc;

	*out = NULL;
	if ((rc = choose(to, sig, &p, &pr)) != 0 ||
	    (rc = ask(svc, kts_sig_signing_time(sig), p, &resp, &er)) != 0)
		goto out;
	if ((rc = splice(svc, sig, &er, pr, out)) == 0) {
		to->used = p;
		to->with_rec = pr != NULL;
	}
out:
	free(resp);
	return rc;
}

uint64_t
cli_request_id(void)
{
	struct timespec ts;

	/* Unique enough per client: time and process id; never 0. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 20 ^ (uint64_t)ts.tv_nsec ^
	    (uint64_t)getpid() << 40) | 1u;
}

static int
hash_stream(FILE *f, const char *path, uint8_t alg, struct kts_imprint *out)
{
	struct kts_hasher h;
	uint8_t *buf;
	size_t n;
	int r;

	if ((buf = malloc(KTS_FILE_CHUNK)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if ((r = kts_hasher_init(&h, alg)) != 0) {
		cli_err("%s: cannot hash with %s: %s", path, kts_hash_name(alg),
		    kts_strerror(r));
		free(buf);
		return CLI_EXIT_CRYPTO;
	}
	while ((n = fread(buf, 1, KTS_FILE_CHUNK, f)) > 0)
		kts_hasher_update(&h, buf, n);
	free(buf);
	if (ferror(f)) {
		cli_err("%s: cannot read: %s", path, strerror(errno));
		kts_hasher_cleanup(&h);
		return CLI_EXIT_IO;
	}
	if ((r = kts_hasher_final(&h, out)) != 0) {
		cli_err("%s: hashing failed: %s", path, kts_strerror(r));
		return CLI_EXIT_CRYPTO;
	}
	return CLI_EXIT_OK;
}

int
cli_hash_file(const char *path, uint8_t alg, struct kts_imprint *out)
{
	FILE *f;
	int rc;

	if (strcmp(path, "-") == 0)
		return hash_stream(stdin, path, alg, out);
	if ((f = fopen(path, "rb")) == NULL) {
		cli_err("%s: cannot open: %s", path, strerror(errno));
		return CLI_EXIT_IO;
	}
	rc = hash_stream(f, path, alg, out);
	fclose(f);
	return rc;
}

