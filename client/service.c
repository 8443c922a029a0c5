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

