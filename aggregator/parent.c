/*
 * parent.c - kts-aggregator's parents: each closed round's root goes to
 * every parent at the tree's level (KSI spec 4.2, 7.4); the first answer
 * that checks (HMAC, request id, status 0, a signature for the root that
 * passes the internal policy, spec 7.11) answers the whole round.  A
 * round whose parents all failed is answered with an error.  Each
 * parent's configuration (spec 7.6) is asked for, so that no client can
 * make a round's root taller than the parent accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aggregator.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pdu.h"
#include "rd.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"
#include "verify.h"

/*
 * Ask a parent for its configuration this often (it also tells /healthz
 * that an idle parent is alive), sooner until it answers.
 */
#define CONF_EVERY_MS 30000u
#define CONF_RETRY_MS 5000u

/*
 * Lower the level offered to clients so the tallest round still fits
 * under every parent that said how tall a request it takes.
 */
static void
fit_levels(struct ag *ag)
{
	unsigned eff = ag->conf->max_level;
	unsigned h = ag_round_height(ag->conf->max_requests);
	size_t i;

	for (i = 0; i < ag->n_parents; i++) {
		const struct ag_parent *p = &ag->parents[i];

		if (!p->has_conf)
			continue;
		if (p->max_level < h)
			eff = 0;
		else if (p->max_level - h < eff)
			eff = p->max_level - h;
	}
	if (eff != ag->eff_max_level)
		kts_log(KTS_LOG_NOTICE, "client request levels up to %u (the "
		    "parents' limits less %u levels a round may add)", eff, h);
	ag->eff_max_level = eff;
}

/* The parent's last outcome, and when (threads compare the times). */
static void
set_health(struct ag_parent *p, int ok)
{
	p->healthy = ok;
	p->health_us = kts_mono_us();
}

static struct ag_parent *
parent_of(struct ag *ag, const struct kts_up *up)
{
	size_t i;

	for (i = 0; i < ag->n_parents; i++)
		if (ag->parents[i].up == up)
			return &ag->parents[i];
	return NULL;
}

/* A configuration answer: checked, then its max level (0x04 -> 0x01). */
static void
on_conf(struct ag *ag, struct ag_parent *p, const uint8_t *pdu, size_t len)
{
	struct kts_tlv top;
	struct kts_tlv t;
	struct kts_tlv c;
	struct kts_rd rd;
	struct kts_rd rc;
	uint64_t v;

	if (kts_tlv_parse(pdu, len, &top, NULL) != 0 ||
	    top.tag != KTS_TAG_AGGR_RESP ||
	    kts_pdu_hmac_check(pdu, len, p->key, strlen(p->key)) != 0) {
		kts_log(KTS_LOG_WARN, "parent %s: its configuration answer "
		    "does not check (wrong parent_user or parent_key, or no "
		    "conf service for us there?)", p->shown);
		set_health(p, 0);
		return;
	}
	set_health(p, 1);
	kts_rd_init(&rd, top.val, top.len);
	while (kts_rd_left(&rd) > 0 && kts_tlv_read(&rd, &t) == 0) {
		if (t.tag != 0x04)
			continue;
		kts_rd_init(&rc, t.val, t.len);
		while (kts_rd_left(&rc) > 0 && kts_tlv_read(&rc, &c) == 0)
			if (c.tag == 0x01 && kts_tlv_u64(&c, &v) == 0 &&
			    v <= 255) {
				p->has_conf = 1;
				p->max_level = (unsigned)v;
				fit_levels(ag);
			}
	}
}

static size_t
flight_find(const struct ag *ag, uint64_t id)
{
	size_t i;

	for (i = 0; i < ag->n_flight; i++)
		if (ag->flight[i]->id == id)
			return i;
	return SIZE_MAX;
}

static void
flight_remove(struct ag *ag, size_t i)
{
	ag->flight[i] = ag->flight[--ag->n_flight];
}

/*
 * The round's part of the parent's answer: the response payload's
 * children that go into a signature (spec 7.11 step 4), raw and in order.
 */
static int
upper_part(const uint8_t *pdu, size_t len, struct kts_wr *out)
{
	struct kts_tlv top;
	struct kts_tlv t;
	struct kts_tlv c;
	struct kts_rd rd;
	struct kts_rd rc;
	int r;

	if ((r = kts_tlv_parse(pdu, len, &top, NULL)) != 0)
		return r;
	kts_rd_init(&rd, top.val, top.len);
	while (kts_rd_left(&rd) > 0) {
		if ((r = kts_tlv_read(&rd, &t)) != 0)
			return r;
		if (t.tag != 0x02)
			continue;
		kts_rd_init(&rc, t.val, t.len);
		while (kts_rd_left(&rc) > 0) {
			if ((r = kts_tlv_read(&rc, &c)) != 0)
				return r;
			if (c.tag == 0x01 || c.tag == 0x04 || c.tag == 0x05 ||
			    c.tag == 0x10 || c.tag == 0x11)
				continue;
			if ((r = kts_wr_put(out, c.hdr, kts_tlv_size(&c))) != 0)
				return r;
		}
		return 0;
	}
	return KTS_ENOTFOUND;
}

/*
 * Check one parent's answer for round rd.  Returns 0 with the aggregation
 * time, the lowest chain's index list (malloc'd) and the upper part, or
 * non-zero with why.
 */
static int
check_answer(struct ag *ag, struct ag_parent *p, struct ag_round *rd,
    const uint8_t *pdu, size_t len, uint64_t *aggr_time, uint64_t **idx,
    size_t *n_idx, struct kts_wr *upper, char *why, size_t whylen)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	struct kts_vresult vr;
	struct kts_vctx vc;
	const char *msg = NULL;
	uint64_t st = 0;
	int r;

	r = kts_aggr_resp_to_sig(pdu, len, p->key, strlen(p->key),
	    ag->conf->parent_hmac_alg, rd->id, rd->root_level, &st, &msg, &sig,
	    &pe);
	if (r != 0) {
		snprintf(why, whylen, "an answer that does not check at offset "
		    "%zu: %s", pe.off, pe.what != NULL ? pe.what :
		    kts_strerror(r));
		return r;
	}
	if (st != 0) {
		snprintf(why, whylen, "status 0x%04llx (%s)%s%.64s",
		    (unsigned long long)st, kts_status_str(st, 0),
		    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		kts_sig_free(sig);
		return KTS_EVERIFY;
	}
	memset(&vc, 0, sizeof(vc));
	vc.doc_hash = kts_tree_root(rd->tree, &vc.level);
	if ((r = kts_verify(sig, KTS_POL_INTERNAL, &vc, &vr)) != 0 ||
	    vr.verdict != KTS_V_OK) {
		snprintf(why, whylen, "an answer that fails the internal "
		    "policy: %s", r != 0 ? kts_strerror(r) :
		    kts_vcode_str(vr.code));
		kts_sig_free(sig);
		return r != 0 ? r : KTS_EVERIFY;
	}
	r = KTS_ENOMEM;
	*aggr_time = sig->chains[0].time;
	*n_idx = sig->chains[0].n_idx;
	if ((*idx = malloc((*n_idx + 1) * sizeof(**idx))) != NULL) {
		memcpy(*idx, sig->chains[0].idx, *n_idx * sizeof(**idx));
		r = upper_part(pdu, len, upper);
	}
	kts_sig_free(sig);
	if (r != 0)
		snprintf(why, whylen, "cannot take the answer apart: %s",
		    kts_strerror(r));
	return r;
}

/* A parent answered or failed a round. */
static void
on_round(struct ag *ag, struct ag_parent *p, uint64_t id, const uint8_t *pdu,
    size_t len, const char *fail)
{
	struct ag_round *rd;
	struct kts_wr upper;
	uint8_t *up = NULL;
	size_t up_len = 0;
	uint64_t *idx = NULL;
	uint64_t t = 0;
	size_t n_idx = 0;
	size_t fi;
	char why[256];

	if ((fi = flight_find(ag, id)) == SIZE_MAX)
		return;		/* already answered by another parent */
	rd = ag->flight[fi];
	/* When it was read: checking it, and answering the rounds whose
	 * answers came in the same read before it, is our own time. */
	rd->answer_us = kts_up_read_us(p->up);
	if (rd->answer_us < rd->sent_us)
		rd->answer_us = kts_mono_us();
	kts_wr_init(&upper, KTS_MAX_PDU);
	if (pdu == NULL)
		snprintf(why, sizeof(why), "%s", fail);
	else if (check_answer(ag, p, rd, pdu, len, &t, &idx, &n_idx, &upper,
	    why, sizeof(why)) == 0) {
		p->ok++;
		set_health(p, 1);
		p->last_ms = (double)(rd->answer_us - rd->sent_us) / 1000.0;
		ag->st.last_parent_ms = p->last_ms;
		flight_remove(ag, fi);
		if (kts_wr_take(&upper, &up, &up_len) != 0) {
			free(idx);
			rd->status = KTS_ST_INTERNAL;
			snprintf(rd->msg, sizeof(rd->msg), "internal error");
			ag_round_fail(ag, rd);
			return;
		}
		ag_round_answer(ag, rd, t, idx, n_idx, up, up_len);
		return;
	}
	kts_wr_free(&upper);
	p->failed++;
	set_health(p, 0);
	kts_log(KTS_LOG_WARN, "parent %s: round %llu: %s", p->shown,
	    (unsigned long long)id, why);
	/* Timeouts only: 0x0301; anything else makes it 0x0300. */
	if (pdu == NULL && strstr(fail, "timeout") != NULL &&
	    (rd->status == 0 || rd->status == KTS_ST_UPSTREAM_TIMEOUT))
		rd->status = KTS_ST_UPSTREAM_TIMEOUT;
	else
		rd->status = KTS_ST_UPSTREAM;
	snprintf(rd->msg, sizeof(rd->msg), "no parent signed the round "
	    "(last: %.120s)", why);
	if (--rd->waiting == 0) {
		flight_remove(ag, fi);
		ag_round_fail(ag, rd);
	}
}

static void
on_up(void *arg, struct kts_up *up, uint64_t id, const uint8_t *pdu,
    size_t len, const char *why)
{
	struct ag *ag = arg;
	struct ag_parent *p = parent_of(ag, up);

	if (p == NULL)
		return;
	if (id == KTS_UP_NO_ID) {
		if (pdu != NULL)
			on_conf(ag, p, pdu, len);
		else
			set_health(p, 0);
		ag_publish(ag);
		return;
	}
	on_round(ag, p, id, pdu, len, why);
}

int
ag_round_send(struct ag *ag, struct ag_round *rd)
{
	const struct kts_imprint *root = kts_tree_root(rd->tree,
	    &(unsigned){ 0 });
	struct kts_wr wr;
	size_t i;
	int r;

	if (kts_grow(&ag->flight, &ag->cap_flight, ag->n_flight + 1,
	    sizeof(*ag->flight), 16) != 0) {
		rd->status = KTS_ST_INTERNAL;
		snprintf(rd->msg, sizeof(rd->msg), "out of memory");
		ag_round_fail(ag, rd);
		return KTS_ENOMEM;
	}
	kts_wr_init(&wr, KTS_MAX_PDU);
	for (i = 0; i < ag->n_parents; i++) {
		struct ag_parent *p = &ag->parents[i];

		wr.len = 0;
		if ((r = kts_aggr_req_build(&wr, p->user, p->key,
		    strlen(p->key), ag->conf->parent_hmac_alg, rd->id, root,
		    rd->root_level)) != 0 ||
		    (r = kts_up_send(p->up, rd->id, wr.p, wr.len)) != 0) {
			p->failed++;
			set_health(p, 0);
			rd->status = KTS_ST_UPSTREAM;
			snprintf(rd->msg, sizeof(rd->msg), "no parent signed the "
			    "round (last: %s)", r == KTS_EIO ? "the parent is "
			    "down" : kts_strerror(r));
			continue;
		}
		rd->waiting++;
	}
	kts_wr_free(&wr);
	if (rd->waiting == 0) {
		rd->status = KTS_ST_UPSTREAM;
		ag_round_fail(ag, rd);
		return KTS_EIO;
	}
	ag->flight[ag->n_flight++] = rd;
	return 0;
}

void
ag_parents_tick(struct ag *ag)
{
	uint64_t now = kts_mono_us() / 1000u;
	struct kts_wr wr;
	size_t i;

	kts_wr_init(&wr, KTS_MAX_PDU);
	for (i = 0; i < ag->n_parents; i++) {
		struct ag_parent *p = &ag->parents[i];
		uint64_t every = p->has_conf ? CONF_EVERY_MS : CONF_RETRY_MS;

		if (p->conf_asked_ms != 0 && now - p->conf_asked_ms < every)
			continue;
		p->conf_asked_ms = now;
		wr.len = 0;
		if (kts_conf_req_build(&wr, KTS_TAG_AGGR_REQ, p->user, p->key,
		    strlen(p->key), ag->conf->parent_hmac_alg) == 0)
			(void)kts_up_send(p->up, KTS_UP_NO_ID, wr.p, wr.len);
	}
	kts_wr_free(&wr);
}

/*
 * The URL without user:key@ (for logs and the configuration answer).  The
 * credentials end at the last '@' before the path: a key may hold an '@'.
 */
static char *
url_shown(const char *url)
{
	const char *s = strstr(url, "://");
	const char *end;
	const char *at = NULL;
	const char *q;
	char *out;
	size_t n;

	if (s == NULL)
		return strdup(url);
	s += 3;
	end = s + strcspn(s, "/?#");
	for (q = s; q < end; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return strdup(url);
	n = (size_t)(s - url) + strlen(at + 1);
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	snprintf(out, n + 1, "%.*s%s", (int)(s - url), url, at + 1);
	return out;
}

int
ag_parents_init(struct ag *ag, char *why, size_t whylen)
{
	size_t i;
	int r;

	for (i = 0; i < ag->conf->n_parents; i++) {
		struct ag_parent *p = &ag->parents[i];

		p->url = ag->conf->parents[i];
		ag->n_parents++;
		if ((p->shown = url_shown(p->url)) == NULL ||
		    kts_url_credentials(p->url, &p->user, &p->key) != 0)
			return KTS_ENOMEM;
		if (p->user == NULL && ag->conf->parent_user != NULL &&
		    (p->user = strdup(ag->conf->parent_user)) == NULL)
			return KTS_ENOMEM;
		if (p->key == NULL && ag->conf->parent_key != NULL &&
		    (p->key = strdup(ag->conf->parent_key)) == NULL)
			return KTS_ENOMEM;
		if (p->user == NULL || p->key == NULL) {
			snprintf(why, whylen, "parent %s: no credentials (set "
			    "parent_user and parent_key, or use "
			    "ksi+http://user:key@...)", p->shown);
			return KTS_EINVAL;
		}
		if ((r = kts_up_new(ag->base, p->url,
		    (int)ag->conf->parent_timeout_ms, on_up, ag, &p->up, why,
		    whylen)) != 0) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%s", why);
			snprintf(why, whylen, "parent %s: %s", p->shown, tmp);
			return r;
		}
	}
	return 0;
}

void
ag_parents_free(struct ag *ag)
{
	size_t i;

	for (i = 0; i < ag->n_parents; i++) {
		struct ag_parent *p = &ag->parents[i];

		kts_up_free(p->up);
		free(p->shown);
		free(p->user);
		if (p->key != NULL)
			OPENSSL_cleanse(p->key, strlen(p->key));
		free(p->key);
	}
	ag->n_parents = 0;
}

void
ag_round_free(struct ag_round *rd)
{
	if (rd == NULL)
		return;
	kts_tree_free(rd->tree);
	free(rd->meta);
	free(rd->reqs);
	free(rd->idx);
	free(rd->upper);
	free(rd);
}
