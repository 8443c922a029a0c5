/*
 * answer.c - kts-aggregator's answers to signed rounds (KSI spec 7.11),
 * in the order that keeps the latency it adds lowest.
 *
 * Every round of a calendar second is answered at the same instant (the
 * calendar closes the second, and each level passes its answers down at
 * once), so a leaf gets thousands of answers to write in one burst.
 * What the aggregator adds to a request is its wait in the round (from
 * its arrival to the root going up, at most about one round period) plus
 * its place in that burst: issue 4 asks for that within one round period
 * plus 50 ms at the 99th percentile.  Two things keep it low:
 *
 * - Order: a request that waited longer in its round has less of that
 *   budget left, so the longest waits are answered first (earliest
 *   deadline first), in bands of ANSWER_BAND_US.
 * - Fewer writes: a write costs the kernel more than making an answer
 *   (on loopback the send runs the receiver's side too), so the answers
 *   of one band for one connection, from every answered round, are made
 *   together and leave in one write.
 *
 * Answers go in slices of ANSWER_SLICE_US, ended only between
 * such groups: each slice's answers go to the kernel before the next is
 * made, the loop runs the round timer and reads client requests between
 * slices, and a round answered during a burst joins it in its place.
 * On one connection answers keep request order (and lib/net.c holds an
 * HTTP answer until the earlier ones are written).
 *
 * Latency figures are taken as each slice is written: the request's
 * latency (arrival to written), its round's wait for the parent (root
 * sent to the answer read), and the difference, the aggregator's own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pdu.h"
#include "reply.h"
#include "tlv.h"
#include "util.h"

/*
 * A slice of answers: written to the kernel after this long (at the
 * start of the next group of one connection and band).  Short enough that the first answers leave
 * early.  Measured with answers in round order (docs/performance.md,
 * 2000 x 18 pipelined HTTP at 32,000-34,000/s): own latency p99 <= 200
 * ms with 1 ms slices, <= 160 with 2 ms, <= 175 with 5 ms.
 */
#define ANSWER_SLICE_US 2000

/*
 * Waits this close count as equal, so that a connection's answers of a
 * band leave in one write.  Measured (docs/performance.md, 160 x 256 raw
 * TCP and 20,000/s open-loop HTTP): one band for all (a connection's
 * answers all together) lost the order and raised own p99 to 250-300 ms
 * over TCP; 10 ms bands wrote three times as often as 25 ms ones; 25 ms
 * and 50 ms did about the same, 25 ms a little better at 20,000/s.
 */
#define ANSWER_BAND_US 25000

/* Check the clock (between groups) after this many answers, a few
 * microseconds each. */
#define ANSWER_CLOCK_EVERY 32

/* One request waiting to be answered. */
struct ag_pick {
	struct ag_round *rd;
	size_t i;			/* in rd->reqs */
	uintptr_t conn;			/* kts_req_conn() */
	uint64_t arrived_us;
	uint64_t band;			/* its wait / ANSWER_BAND_US */
};

/* Ties: arrival, then the older round, then its order in the round. */
static int
pick_tie(const struct ag_pick *x, const struct ag_pick *y)
{
	if (x->arrived_us != y->arrived_us)
		return x->arrived_us < y->arrived_us ? -1 : 1;
	if (x->rd->id != y->rd->id)
		return x->rd->id < y->rd->id ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

/* The answer order: longest wait band first, a connection's together. */
static int
pick_cmp(const void *a, const void *b)
{
	const struct ag_pick *x = a;
	const struct ag_pick *y = b;

	if (x->band != y->band)
		return x->band > y->band ? -1 : 1;
	if (x->conn != y->conn)
		return x->conn < y->conn ? -1 : 1;
	return pick_tie(x, y);
}

/* One answer: our chain, then all the parent returned (spec 7.11). */
static int
answer_one(struct ag *ag, struct ag_round *rd, size_t i, struct kts_wr *wr)
{
	struct ag_req *e = &rd->reqs[i];
	size_t mark;
	size_t pm;
	int r;

	wr->len = 0;
	if ((r = kts_pdu_begin(wr, KTS_TAG_AGGR_RESP, e->user->login,
	    &mark)) == 0 &&
	    (r = kts_wr_tlv_begin(wr, 0x02, 0, &pm)) == 0 &&
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, e->req_id)) == 0 &&
	    (r = kts_tree_chain(rd->tree, i, rd->aggr_time, rd->idx,
	    rd->n_idx, wr)) == 0 &&
	    (r = kts_wr_put(wr, rd->upper, rd->upper_len)) == 0)
		r = kts_wr_tlv_end(wr, pm);
	kts_reply_signed(e->req, wr, mark, e->user, e->hmac_alg, r);
	e->req = NULL;			/* answered (or dropped): not ours */
	ag->waiting--;
	if (r == 0)
		ag->st.answered++;
	return r;
}

/* The latency figures of request i of rd, written at done. */
static void
latency(struct ag *ag, struct ag_round *rd, size_t i, uint64_t done)
{
	uint64_t lat = done - rd->reqs[i].arrived_us;
	uint64_t parent = rd->answer_us - rd->sent_us;

	kts_hist_add(&ag->st.request_ms, (double)lat / 1000.0);
	kts_hist_add(&ag->st.own_ms, (double)(lat - parent) / 1000.0);
	if (--rd->left == 0) {
		kts_hist_add(&ag->st.answer_ms,
		    (double)(done - rd->answer_us) / 1000.0);
		ag->st.last_round_ms = (double)(done - rd->closed_us) / 1000.0;
	}
}

/* No memory to order rd's requests: answer them now, in order. */
static void
answer_round_now(struct ag *ag, struct ag_round *rd)
{
	struct kts_wr wr;
	uint64_t done;
	size_t i;

	kts_wr_init(&wr, KTS_MAX_PDU);
	for (i = 0; i < rd->n; i++)
		answer_one(ag, rd, i, &wr);
	kts_wr_free(&wr);
	kts_srv_flush(ag->srv);
	done = kts_mono_us();
	for (i = 0; i < rd->n; i++)
		latency(ag, rd, i, done);
	rd->picked = 1;
}

/*
 * Add the requests of the rounds not yet picked to the picks, and order
 * what is left (pick_cmp).
 */
static void
take_fresh(struct ag *ag)
{
	size_t left = ag->n_pick - ag->at_pick;
	size_t add = 0;
	size_t k;
	size_t i;

	for (k = 0; k < ag->n_ans; k++)
		if (!ag->ans[k]->picked)
			add += ag->ans[k]->n;
	if (add == 0)
		return;
	if (left > 0 && ag->at_pick > 0)
		memmove(ag->pick, ag->pick + ag->at_pick,
		    left * sizeof(*ag->pick));
	ag->n_pick = left;
	ag->at_pick = 0;
	if (kts_grow(&ag->pick, &ag->cap_pick, left + add,
	    sizeof(*ag->pick), 1024) != 0) {
		kts_log(KTS_LOG_WARN, "out of memory ordering answers: "
		    "answering round by round");
		for (k = 0; k < ag->n_ans; k++)
			if (!ag->ans[k]->picked)
				answer_round_now(ag, ag->ans[k]);
		return;
	}
	for (k = 0; k < ag->n_ans; k++) {
		struct ag_round *rd = ag->ans[k];

		if (rd->picked)
			continue;
		for (i = 0; i < rd->n; i++) {
			struct ag_pick *p = &ag->pick[ag->n_pick++];

			p->rd = rd;
			p->i = i;
			p->conn = (uintptr_t)kts_req_conn(rd->reqs[i].req);
			p->arrived_us = rd->reqs[i].arrived_us;
			p->band = (rd->sent_us - p->arrived_us) / ANSWER_BAND_US;
		}
		rd->picked = 1;
	}
	qsort(ag->pick, ag->n_pick, sizeof(*ag->pick), pick_cmp);
}

/* Free the rounds whose every request is answered. */
static void
reap(struct ag *ag)
{
	size_t j = 0;
	size_t k;

	for (k = 0; k < ag->n_ans; k++) {
		if (ag->ans[k]->left == 0)
			ag_round_free(ag->ans[k]);
		else
			ag->ans[j++] = ag->ans[k];
	}
	ag->n_ans = j;
}

/* ag->answer: one slice of answers, written; again if more wait. */
static void
on_answer(evutil_socket_t fd, short what, void *arg)
{
	struct ag *ag = arg;
	struct kts_wr wr;
	uint64_t t0 = kts_mono_us();
	uint64_t done;
	size_t from;
	size_t n = 0;
	size_t k;

	take_fresh(ag);
	from = ag->at_pick;
	kts_wr_init(&wr, KTS_MAX_PDU);
	while (ag->at_pick < ag->n_pick) {
		const struct ag_pick *p = &ag->pick[ag->at_pick++];

		answer_one(ag, p->rd, p->i, &wr);
		n++;
		if (ag->at_pick < ag->n_pick &&
		    ag->pick[ag->at_pick].conn == p->conn &&
		    ag->pick[ag->at_pick].band == p->band)
			continue;	/* a connection's answers together */
		if (n >= ANSWER_CLOCK_EVERY) {
			if (kts_mono_us() - t0 >= ANSWER_SLICE_US)
				break;
			n = 0;
		}
	}
	kts_wr_free(&wr);
	kts_srv_flush(ag->srv);
	done = kts_mono_us();
	for (k = from; k < ag->at_pick; k++)
		latency(ag, ag->pick[k].rd, ag->pick[k].i, done);
	reap(ag);
	/* The next slice after the client callbacks already due.  libevent
	 * runs an event made active from a callback of its own priority in
	 * the same pass, so the loop polls again only when the burst is
	 * out; polling between slices (a timer due now) read sooner but
	 * made the burst, and the own latency, longer (docs/performance.md
	 * "Where the burst's time goes"). */
	if (ag->at_pick < ag->n_pick)
		event_active(ag->answer_more, EV_TIMEOUT, 1);
	else
		ag->n_pick = ag->at_pick = 0;
}

/*
 * A parent signed rd: queue its answers (taking rd, idx and upper) for
 * the next slice, after the parent's read is handled.
 */
void
ag_round_answer(struct ag *ag, struct ag_round *rd, uint64_t aggr_time,
    uint64_t *idx, size_t n_idx, uint8_t *upper, size_t upper_len)
{
	uint64_t parent = rd->answer_us - rd->sent_us;
	size_t i;

	ag_publish(ag);		/* the parents' health, before any answer */
	rd->aggr_time = aggr_time;
	rd->idx = idx;
	rd->n_idx = n_idx;
	rd->upper = upper;
	rd->upper_len = upper_len;
	rd->left = rd->n;
	rd->picked = 0;
	kts_hist_add(&ag->st.parent_ms, (double)parent / 1000.0);
	for (i = 0; i < rd->n; i++)
		kts_hist_add(&ag->st.wait_ms, (double)(rd->sent_us -
		    rd->reqs[i].arrived_us) / 1000.0);
	if (kts_grow(&ag->ans, &ag->cap_ans, ag->n_ans + 1,
	    sizeof(*ag->ans), 16) != 0) {
		answer_round_now(ag, rd);
		ag_round_free(rd);
		return;
	}
	ag->ans[ag->n_ans++] = rd;
	event_active(ag->answer, EV_TIMEOUT, 1);
}

int
ag_answer_init(struct ag *ag)
{
	/* The first slice at priority 0: right after the parent's read,
	 * before client callbacks; the others among them (priority 1). */
	if ((ag->answer = event_new(ag->base, -1, 0, on_answer, ag)) == NULL ||
	    event_priority_set(ag->answer, 0) != 0 ||
	    (ag->answer_more = event_new(ag->base, -1, 0, on_answer,
	    ag)) == NULL || event_priority_set(ag->answer_more, 1) != 0)
		return KTS_ENOMEM;
	return 0;
}

/* Rounds still being answered at the end: their requests dropped. */
void
ag_answer_free(struct ag *ag)
{
	size_t k;
	size_t i;

	for (k = 0; k < ag->n_ans; k++) {
		struct ag_round *rd = ag->ans[k];

		for (i = 0; i < rd->n; i++)
			if (rd->reqs[i].req != NULL)
				kts_req_drop(rd->reqs[i].req);
		ag_round_free(rd);
	}
	free(ag->ans);
	free(ag->pick);
	ag->ans = NULL;
	ag->pick = NULL;
	ag->n_ans = ag->n_pick = ag->at_pick = 0;
	if (ag->answer != NULL)
		event_free(ag->answer);
	if (ag->answer_more != NULL)
		event_free(ag->answer_more);
	ag->answer = ag->answer_more = NULL;
}
