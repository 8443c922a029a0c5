/*
 * signer.c - the windowed signing client of signer.h.
 *
 * Each place of the window remembers one request: its id, the caller's
 * tag, the root and the level.  Answers are matched by request id (raw
 * TCP may answer in any order); a window of at most a thousand places
 * is scanned, which costs nothing next to a second's wait for a round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "pdu.h"
#include "signer.h"
#include "upstream.h"
#include "verify.h"
#include "wr.h"

struct place {
	uint64_t id;			/* request id; 0 = free */
	uint64_t tag;
	struct kts_imprint root;
	unsigned level;
};

struct cli_signer {
	const struct cli_service *svc;	/* borrowed */
	struct kts_up *up;
	cli_signer_fn cb;
	void *arg;
	struct place *places;
	unsigned window;
	unsigned inflight;
	uint64_t next_id;
	char why[512];
};

static struct place *
find_place(struct cli_signer *s, uint64_t id)
{
	unsigned i;

	for (i = 0; i < s->window; i++)
		if (s->places[i].id == id)
			return &s->places[i];
	return NULL;
}

/* Check the signature as kts sign does (spec 7.11 step 6). */
static int
check_sig(struct cli_signer *s, const struct place *pl,
    const struct kts_sig *sig)
{
	struct kts_vresult res;
	struct kts_vctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_hash = &pl->root;
	ctx.level = pl->level;
	if (kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res) != 0 ||
	    res.verdict != KTS_V_OK) {
		snprintf(s->why, sizeof(s->why), "the aggregator's answer "
		    "does not verify: %s %s", kts_vcode_str(res.code),
		    res.detail != NULL ? res.detail : "");
		return CLI_EXIT_VERIFY;
	}
	return CLI_EXIT_OK;
}

/* Turn a response PDU into a checked signature; an exit code. */
static int
answer_sig(struct cli_signer *s, const struct place *pl, const uint8_t *pdu,
    size_t len, struct kts_sig **sig)
{
	struct kts_perr pe = { 0, 0, NULL };
	const char *msg = NULL;
	uint64_t st = 0;
	int r;

	r = kts_aggr_resp_to_sig(pdu, len, s->svc->key, strlen(s->svc->key),
	    s->svc->hmac_alg, pl->id, pl->level, &st, &msg, sig, &pe);
	if (r == 0 && st != 0) {
		snprintf(s->why, sizeof(s->why), "refused: status 0x%04llx "
		    "(%s)%s%.200s", (unsigned long long)st,
		    kts_status_str(st, 0), msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
		return st == KTS_ST_AUTH_FAILURE ? CLI_EXIT_AUTH :
		    CLI_EXIT_AGGR;
	}
	if (r != 0) {
		snprintf(s->why, sizeof(s->why), "bad answer at offset %zu: "
		    "%s%s%s", pe.off, kts_strerror(r), pe.what != NULL ?
		    ": " : "", pe.what != NULL ? pe.what : "");
		return r == KTS_EVERIFY ? CLI_EXIT_HMAC : CLI_EXIT_FORMAT;
	}
	return check_sig(s, pl, *sig);
}

static void
on_answer(void *arg, struct kts_up *up, uint64_t req_id, const uint8_t *pdu,
    size_t len, const char *why)
{
	struct cli_signer *s = arg;
	struct kts_sig *sig = NULL;
	struct place *pl;
	uint64_t tag;
	int rc;

	(void)up;
	if ((pl = find_place(s, req_id)) == NULL)
		return;		/* not ours: upstream already matched ids */
	if (pdu == NULL) {
		snprintf(s->why, sizeof(s->why), "%s", why);
		rc = CLI_EXIT_NETWORK;
	} else if ((rc = answer_sig(s, pl, pdu, len, &sig)) != 0) {
		kts_sig_free(sig);
		sig = NULL;
	}
	tag = pl->tag;
	pl->id = 0;
	s->inflight--;
	s->cb(s->arg, tag, sig, rc, rc != 0 ? s->why : NULL);
}

int
cli_signer_new(struct event_base *base, const struct cli_service *svc,
    unsigned window, cli_signer_fn cb, void *arg, struct cli_signer **out)
{
	struct cli_signer *s = NULL;
	char why[256] = "";
	int r;

	*out = NULL;
	if (window == 0 || window > KTS_UP_MAX_INFLIGHT)
		window = KTS_UP_MAX_INFLIGHT;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->places = calloc(window, sizeof(*s->places))) == NULL)
		goto nomem;
	s->svc = svc;
	s->cb = cb;
	s->arg = arg;
	s->window = window;
	s->next_id = cli_request_id() & ~(uint64_t)0xffffffffu;
	r = kts_up_new(base, svc->url, svc->timeout_ms, on_answer, s, &s->up,
	    why, sizeof(why));
	if (r != 0) {
		cli_err("aggregator: %s", r == KTS_ENOMEM ? "out of memory" :
		    why);
		cli_signer_free(s);
		return r == KTS_ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_ARGS;
	}
	*out = s;
	return CLI_EXIT_OK;
nomem:
	cli_signer_free(s);
	cli_err("out of memory");
	return CLI_EXIT_FAILURE;
}

int
cli_signer_submit(struct cli_signer *s, uint64_t tag,
    const struct kts_imprint *root, unsigned level)
{
	struct place *pl;
	struct kts_wr wr;
	uint64_t id;
	int r;

	if ((pl = find_place(s, 0)) == NULL)
		return KTS_ETOOBIG;
	/* Ids count up from a random-ish base; 0 and NO_ID never occur. */
	if (++s->next_id == KTS_UP_NO_ID || s->next_id == 0)
		s->next_id = 1;
	id = s->next_id;
	kts_wr_init(&wr, KTS_MAX_PDU);
	r = kts_aggr_req_build(&wr, s->svc->user, s->svc->key,
	    strlen(s->svc->key), s->svc->hmac_alg, id, root, level);
	if (r == 0)
		r = kts_up_send(s->up, id, wr.p, wr.len);
	kts_wr_free(&wr);
	if (r != 0)
		return r;
	pl->id = id;
	pl->tag = tag;
	pl->root = *root;
	pl->level = level;
	s->inflight++;
	return 0;
}

unsigned
cli_signer_inflight(const struct cli_signer *s)
{
	return s->inflight;
}

void
cli_signer_free(struct cli_signer *s)
{
	if (s == NULL)
		return;
	kts_up_free(s->up);
	free(s->places);
	free(s);
}
