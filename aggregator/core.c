/*
 * core.c - kts-aggregator's requests and rounds (KSI spec 4.5, 7, 8).
 *
 * An aggregation request is checked (parse, login id, HMAC, service,
 * level, the round's and the client's caps, the memory cap) and waits in
 * the open round.  Every round_ms the open round is closed: its tree is
 * built and the root goes to the parents (parent.c).  Configuration
 * requests are answered at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregator.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pdu.h"
#include "prom.h"
#include "reply.h"
#include "tlv.h"
#include "util.h"

/* A bare error PDU (spec 7.9), counted. */
static void
reply_error(struct ag *ag, struct kts_req *req, uint64_t status,
    const char *msg)
{
	ag->st.errors[kts_status_slot(status)]++;
	kts_reply_error(req, KTS_TAG_AGGR_RESP, status, msg);
}

void
ag_reply_status(struct ag *ag, const struct ag_req *e, uint64_t status,
    const char *msg)
{
	ag->st.errors[kts_status_slot(status)]++;
	kts_reply_status(e->req, KTS_TAG_AGGR_RESP, e->user, e->hmac_alg,
	    e->req_id, status, msg);
}

void
ag_round_fail(struct ag *ag, struct ag_round *rd)
{
	size_t i;

	ag_publish(ag);		/* the parents' health, before any answer */
	if (rd->status == 0)
		rd->status = KTS_ST_UPSTREAM;
	if (rd->msg[0] == '\0')
		snprintf(rd->msg, sizeof(rd->msg), "no parent signed the "
		    "round");
	for (i = 0; i < rd->n; i++)
		ag_reply_status(ag, &rd->reqs[i], rd->status, rd->msg);
	ag->waiting -= rd->n;
	ag->st.rounds_failed++;
	ag_round_free(rd);
}

/* Spec 7.6: the configuration a client should follow. */
static void
reply_conf(struct ag *ag, struct kts_req *req, const struct kts_req_pdu *p,
    const struct kts_user *u)
{
	struct kts_wr wr;
	size_t mark;
	size_t cm;
	size_t i;
	int r;

	ag->st.conf_requests++;
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_pdu_begin(&wr, KTS_TAG_AGGR_RESP, u->login, &mark)) != 0 ||
	    (r = kts_wr_tlv_begin(&wr, 0x04, 0, &cm)) != 0 ||
	    (r = kts_wr_tlv_u64(&wr, 0x01, 0, ag->eff_max_level)) != 0 ||
	    (r = kts_wr_tlv_u64(&wr, 0x02, 0, ag->conf->alg)) != 0 ||
	    (r = kts_wr_tlv_u64(&wr, 0x03, 0, ag->conf->round_ms)) != 0 ||
	    (r = kts_wr_tlv_u64(&wr, 0x04, 0,
	    ag->conf->max_client_requests)) != 0)
		goto out;
	for (i = 0; i < ag->n_parents && r == 0; i++)
		r = kts_wr_tlv_str(&wr, 0x10, 0, ag->parents[i].shown);
	if (r == 0)
		r = kts_wr_tlv_end(&wr, cm);
out:
	kts_reply_signed(req, &wr, mark, u, p->hmac_alg, r);
	kts_wr_free(&wr);
}

/* Room for one more request in the open round. */
static int
open_grow(struct ag *ag)
{
	struct ag_req *n;
	size_t cap;

	if (ag->n_open < ag->cap_open)
		return 0;
	cap = ag->cap_open ? 2 * ag->cap_open : 256;
	if (cap > ag->conf->max_requests)
		cap = (size_t)ag->conf->max_requests;
	if ((n = realloc(ag->open, cap * sizeof(*n))) == NULL)
		return KTS_ENOMEM;
	ag->open = n;
	ag->cap_open = cap;
	return 0;
}

static void
do_aggregate(struct ag *ag, struct kts_req *req, const struct kts_req_pdu *p,
    const struct kts_user *u)
{
	struct ag_req e;
	size_t ui = kts_users_index(ag->users, u);
	const char *why = NULL;
	uint64_t st = 0;

	ag->st.aggr_requests++;
	memset(&e, 0, sizeof(e));
	e.req = req;
	e.user = u;
	e.req_id = p->aggr.req_id;
	e.hash = p->aggr.hash;
	e.level = (unsigned)p->aggr.level;
	e.hmac_alg = p->hmac_alg;
	e.recv_us = kts_real_us();
	e.arrived_us = kts_req_arrived_us(req);
	/* Spec 7.10 for each cap; 0x0106 means "retry later". */
	if (ag->stopping)
		st = KTS_ST_INTERNAL, why = "the aggregator is shutting down";
	else if (p->aggr.level > ag->eff_max_level)
		st = KTS_ST_0104, why = "request level too high";
	else if (!kts_hash_trusted(p->aggr.hash.alg))
		st = KTS_ST_INVALID_PAYLOAD, why = "the request hash uses an "
		    "algorithm not trusted for new signatures";
	else if (ag->n_open >= ag->conf->max_requests)
		st = KTS_ST_0106, why = "too many requests in this round";
	else if (ag->client_n[ui] >= ag->conf->max_client_requests)
		st = KTS_ST_0106, why = "too many requests from this client "
		    "in this round";
	else if (ag->waiting >= ag->conf->max_waiting)
		st = KTS_ST_0106, why = "the aggregator is overloaded";
	else if (open_grow(ag) != 0)
		st = KTS_ST_INTERNAL, why = "out of memory";
	if (st != 0) {
		ag_reply_status(ag, &e, st, why);
		return;
	}
	if (ag->client_n[ui]++ == 0)
		ag->touched[ag->n_touched++] = ui;
	ag->open[ag->n_open++] = e;
	ag->waiting++;
}

/* Known login id, a matching HMAC (spec 7.3), and the service. */
static const struct kts_user *
authenticated(struct ag *ag, const struct kts_req_pdu *p, const uint8_t *pdu,
    size_t len)
{
	const struct kts_user *u;

	if (p->login_id == NULL ||
	    (u = kts_users_find(ag->users, p->login_id)) == NULL ||
	    kts_pdu_hmac_check(pdu, len, u->key, u->keylen) != 0)
		return NULL;
	return u;
}

static void
on_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	struct ag *ag = arg;
	struct kts_perr pe = { 0, 0, NULL };
	const struct kts_user *u;
	struct kts_req_pdu p;
	struct ag_req e;
	int r;

	if ((r = kts_req_parse(pdu, len, &p, &pe)) != 0) {
		kts_log(KTS_LOG_INFO, "bad request at offset %zu: %s", pe.off,
		    pe.what != NULL ? pe.what : kts_strerror(r));
		/* Spec 7.9: a bad payload from an authenticated client is
		 * answered in a signed payload; anything else bare. */
		if (r == KTS_ENOTFOUND && p.tag == KTS_TAG_AGGR_REQ &&
		    (u = authenticated(ag, &p, pdu, len)) != NULL) {
			memset(&e, 0, sizeof(e));
			e.req = req;
			e.user = u;
			e.req_id = p.aggr.req_id;
			e.hmac_alg = p.hmac_alg;
			ag_reply_status(ag, &e, KTS_ST_INVALID_PAYLOAD,
			    "The request payload is invalid");
			return;
		}
		reply_error(ag, req, r == KTS_ENOTFOUND ?
		    KTS_ST_INVALID_PAYLOAD : KTS_ST_INVALID_REQUEST,
		    r == KTS_ENOTFOUND ? "The request payload is invalid" :
		    "The request could not be parsed");
		return;
	}
	if (p.tag != KTS_TAG_AGGR_REQ) {
		/* An extension request: this is no extender. */
		reply_error(ag, req, KTS_ST_INVALID_PAYLOAD, "this is an "
		    "aggregator: it does not extend signatures");
		return;
	}
	if ((u = authenticated(ag, &p, pdu, len)) == NULL ||
	    !(u->services & (p.has_req ? KTS_SVC_SIGN : KTS_SVC_CONF))) {
		kts_log(KTS_LOG_INFO, "authentication failed for login %.64s",
		    p.login_id != NULL ? p.login_id : "(none)");
		reply_error(ag, req, KTS_ST_AUTH_FAILURE,
		    "The request could not be authenticated");
		return;
	}
	if (p.has_req)
		do_aggregate(ag, req, &p, u);
	else
		reply_conf(ag, req, &p, u);
}

/*
 * The round's tree: each request joined with its client's metadata
 * (spec 3.5: the client id is the login id; machine id if configured;
 * the request time).  All metadata goes into one buffer the tree borrows.
 */
static int
round_tree(struct ag *ag, struct ag_round *rd)
{
	struct kts_tree_leaf *lv;
	struct kts_wr meta;
	size_t *off;
	size_t i;
	int r = 0;

	if ((lv = calloc(rd->n, sizeof(*lv))) == NULL ||
	    (off = calloc(rd->n + 1, sizeof(*off))) == NULL) {
		free(lv);
		return KTS_ENOMEM;
	}
	kts_wr_init(&meta, SIZE_MAX / 2);
	for (i = 0; r == 0 && i < rd->n; i++) {
		off[i] = meta.len;
		r = kts_meta_build(&meta, rd->reqs[i].user->login,
		    ag->conf->machine_id, 0, 0, 1, rd->reqs[i].recv_us);
	}
	off[rd->n] = meta.len;
	for (i = 0; r == 0 && i < rd->n; i++) {
		lv[i].hash = rd->reqs[i].hash;
		lv[i].level = rd->reqs[i].level;
		lv[i].meta = meta.p + off[i];
		lv[i].meta_len = off[i + 1] - off[i];
	}
	if (r == 0 && (r = kts_tree_build(ag->conf->alg, lv, rd->n,
	    &rd->tree)) == 0) {
		rd->meta = meta.p;
		meta.p = NULL;
		kts_tree_root(rd->tree, &rd->root_level);
	}
	kts_wr_free(&meta);
	free(off);
	free(lv);
	return r;
}

/* Reset the per-client counts for the next round. */
static void
clients_reset(struct ag *ag)
{
	size_t i;

	for (i = 0; i < ag->n_touched; i++)
		ag->client_n[ag->touched[i]] = 0;
	ag->n_touched = 0;
}

static void
close_round(struct ag *ag)
{
	struct ag_round *rd;
	int r;

	if ((rd = calloc(1, sizeof(*rd))) == NULL) {
		kts_err_r(KTS_ENOMEM, "closing a round");
		return;		/* the requests stay for the next tick */
	}
	rd->reqs = ag->open;
	rd->n = ag->n_open;
	rd->id = ag->next_id++;
	rd->closed_us = kts_mono_us();
	ag->open = NULL;
	ag->n_open = ag->cap_open = 0;
	clients_reset(ag);
	ag->st.rounds++;
	ag->st.last_round_requests = rd->n;
	if (rd->n > ag->st.round_requests_max)
		ag->st.round_requests_max = rd->n;
	if ((r = round_tree(ag, rd)) != 0) {
		kts_err_r(r, "building the tree of round %llu",
		    (unsigned long long)rd->id);
		rd->status = KTS_ST_INTERNAL;
		snprintf(rd->msg, sizeof(rd->msg), "internal error");
		ag_round_fail(ag, rd);
		return;
	}
	rd->sent_us = kts_mono_us();
	ag_round_send(ag, rd);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ag *ag = arg;

	if (ag->n_open > 0)
		close_round(ag);
	ag_parents_tick(ag);
	ag_publish(ag);
}

int
ag_write_ports(struct ag *ag, char *why, size_t whylen)
{
	char buf[64];
	int hp;
	int tp;
	int n;

	kts_srv_ports(ag->srv, &hp, &tp);
	kts_log(KTS_LOG_NOTICE, "listening: http %d, tcp %d", hp, tp);
	if (ag->conf->ports_file == NULL)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d %d\n", hp, tp);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    kts_file_write(ag->conf->ports_file, (const uint8_t *)buf,
	    (size_t)n) != 0) {
		snprintf(why, whylen, "%s: cannot write", ag->conf->ports_file);
		return KTS_EIO;
	}
	return 0;
}

/* After the last answer is queued, time for it to reach its client. */
#define DRAIN_FLUSH_MS 300

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct ag *ag = arg;

	if (ag->n_open == 0 && ag->n_flight == 0 && ag->n_ans == 0) {
		if (ag->drained_ms == 0) {
			/* The last answers are queued: let them leave. */
			ag->drained_ms = kts_mono_ms();
		} else if (kts_mono_ms() - ag->drained_ms >= DRAIN_FLUSH_MS) {
			kts_log(KTS_LOG_NOTICE, "every request answered: "
			    "stopping");
			event_base_loopexit(ag->base, NULL);
		}
	} else if (kts_mono_ms() >= ag->stop_deadline_ms) {
		kts_log(KTS_LOG_WARN, "stopping with %llu requests unanswered",
		    (unsigned long long)ag->waiting);
		event_base_loopexit(ag->base, NULL);
	}
}

/*
 * Stop gracefully: new requests are refused, the open round goes to the
 * parents now, and the loop ends once every round is answered or failed
 * (the parent timeout bounds that), or at a second signal.
 */
void
ag_drain(struct ag *ag)
{
	struct timeval tv = { 0, 20000 };

	if (ag->stopping) {
		event_base_loopexit(ag->base, NULL);
		return;
	}
	ag->stopping = 1;
	ag->stop_deadline_ms = kts_mono_ms() + ag->conf->parent_timeout_ms +
	    DRAIN_FLUSH_MS + 200;
	if (ag->n_open > 0)
		close_round(ag);
	if ((ag->drain = event_new(ag->base, -1, EV_PERSIST, on_drain,
	    ag)) == NULL || event_add(ag->drain, &tv) != 0)
		event_base_loopexit(ag->base, NULL);
}

void
ag_publish(struct ag *ag)
{
	struct ag_pub p;
	struct kts_up_stats us;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.st = ag->st;
	if (ag->srv != NULL)
		kts_srv_stats(ag->srv, &p.ss);
	p.waiting = ag->waiting;
	p.n_flight = ag->n_flight;
	p.eff_max_level = ag->eff_max_level;
	p.stopping = ag->stopping;
	for (i = 0; i < ag->n_parents; i++) {
		const struct ag_parent *pa = &ag->parents[i];

		kts_up_stats(pa->up, &us);
		p.par[i].ok = pa->ok;
		p.par[i].failed = pa->failed;
		p.par[i].timeouts = us.timeouts;
		p.par[i].inflight = us.inflight;
		p.par[i].last_ms = pa->last_ms;
		p.par[i].has_conf = pa->has_conf;
		p.par[i].max_level = pa->max_level;
		p.par[i].healthy = pa->healthy;
		p.par[i].health_us = pa->health_us;
	}
	pthread_mutex_lock(&ag->mu);
	ag->pub = p;
	pthread_mutex_unlock(&ag->mu);
}

/*
 * Start aggregator ag on its own event base (made by the caller) with
 * the shared users: its parents, its server on http_port and tcp_port
 * (thread 0 passes the configured ones, the others the ports thread 0
 * got) and its round timer.
 */
int
ag_start(struct ag *ag, struct kts_users *users, int http_port,
    int tcp_port, char *why, size_t whylen)
{
	struct kts_srv_opts so;
	struct timeval tv;
	size_t nu;
	int r;

	ag->pipe[0] = ag->pipe[1] = -1;
	if (pthread_mutex_init(&ag->mu, NULL) != 0)
		return KTS_ENOMEM;
	ag->mu_ok = 1;
	ag->eff_max_level = ag->conf->max_level;
	ag->next_id = kts_real_us() + ((uint64_t)ag->idx << 48);
	ag->users = users;
	nu = kts_users_count(ag->users);
	if ((ag->client_n = calloc(nu + 1, sizeof(*ag->client_n))) == NULL ||
	    (ag->touched = calloc(nu + 1, sizeof(*ag->touched))) == NULL)
		return KTS_ENOMEM;
	if ((r = ag_parents_init(ag, why, whylen)) != 0)
		return r;
	memset(&so, 0, sizeof(so));
	so.addr = ag->conf->listen;
	so.http_port = http_port;
	so.tcp_port = tcp_port;
	so.max_conns = (size_t)ag->conf->max_conns;
	so.idle_timeout_s = (int)ag->conf->idle_timeout_s;
	so.read_timeout_s = (int)ag->conf->read_timeout_s;
	so.reuseport = ag->conf->threads > 1;
	so.stamp = 1;		/* latency counts the time a request waits unread */
	so.on_pdu = on_pdu;
	so.on_get = ag_get;
	so.arg = ag;
	if ((r = kts_srv_new(ag->base, &so, &ag->srv)) != 0) {
		snprintf(why, whylen, "cannot listen on %s: %s",
		    so.addr != NULL ? so.addr : "127.0.0.1", strerror(errno));
		return r;
	}
	tv.tv_sec = (time_t)(ag->conf->round_ms / 1000);
	tv.tv_usec = (suseconds_t)(ag->conf->round_ms % 1000 * 1000);
	if (ag_answer_init(ag) != 0)
		return KTS_ENOMEM;
	if ((ag->tick = event_new(ag->base, -1, EV_PERSIST, on_tick,
	    ag)) == NULL || event_priority_set(ag->tick, 0) != 0 ||
	    event_add(ag->tick, &tv) != 0)
		return KTS_ENOMEM;
	ag_parents_tick(ag);
	ag_publish(ag);
	return 0;
}

/* A byte on the thread's pipe: 'd' drain, anything else stop now. */
static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct ag *ag = arg;
	char c[16];
	ssize_t n;
	ssize_t i;

	while ((n = read(fd, c, sizeof(c))) > 0)
		for (i = 0; i < n; i++) {
			if (c[i] == 'd')
				ag_drain(ag);
			else
				event_base_loopbreak(ag->base);
		}
}

/*
 * Run ag's loop until it is told to stop.  With batch_us set, a pass that
 * handled events is followed by a pause before the loop waits again
 * (lib/limits.h KTS_AGG_BATCH_US): what arrived meanwhile is read in one
 * pass.  Work already due (a burst of answers) runs without pauses.
 */
void
ag_run(struct ag *ag)
{
	struct timespec ts;

	if (ag->conf->batch_us == 0) {
		event_base_dispatch(ag->base);
		return;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ag->conf->batch_us * 1000;
	while (event_base_loop(ag->base, EVLOOP_ONCE) == 0 &&
	    !event_base_got_exit(ag->base) && !event_base_got_break(ag->base))
		if (event_base_get_num_events(ag->base,
		    EVENT_BASE_COUNT_ACTIVE) == 0)
			nanosleep(&ts, NULL);
}

static void *
thread_main(void *arg)
{
	struct ag *ag = arg;

	ag_run(ag);
	ag_publish(ag);
	return NULL;
}

int
ag_thread_start(struct ag *ag)
{
	if (pipe2(ag->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		ag->pipe[0] = ag->pipe[1] = -1;
		return KTS_EIO;
	}
	if ((ag->wake = event_new(ag->base, ag->pipe[0], EV_READ | EV_PERSIST,
	    on_wake, ag)) == NULL || event_add(ag->wake, NULL) != 0)
		return KTS_ENOMEM;
	if (pthread_create(&ag->tid, NULL, thread_main, ag) != 0)
		return KTS_ENOMEM;
	ag->running = 1;
	return 0;
}

void
ag_thread_tell(struct ag *ag, char what)
{
	if (ag->pipe[1] >= 0 && write(ag->pipe[1], &what, 1) != 1)
		kts_log(KTS_LOG_WARN, "cannot wake thread %u", ag->idx);
}

void
ag_thread_join(struct ag *ag)
{
	if (!ag->running)
		return;
	pthread_join(ag->tid, NULL);
	ag->running = 0;
}

void
ag_stop(struct ag *ag)
{
	size_t i;

	for (i = 0; i < ag->n_open; i++)
		kts_req_drop(ag->open[i].req);
	free(ag->open);
	for (i = 0; i < ag->n_flight; i++) {
		size_t j;

		for (j = 0; j < ag->flight[i]->n; j++)
			kts_req_drop(ag->flight[i]->reqs[j].req);
		ag_round_free(ag->flight[i]);
	}
	free(ag->flight);
	if (ag->tick != NULL)
		event_free(ag->tick);
	ag_answer_free(ag);
	if (ag->drain != NULL)
		event_free(ag->drain);
	if (ag->wake != NULL)
		event_free(ag->wake);
	ag_parents_free(ag);
	kts_srv_free(ag->srv);
	ag->srv = NULL;
	free(ag->client_n);
	free(ag->touched);
	if (ag->pipe[0] >= 0)
		close(ag->pipe[0]);
	if (ag->pipe[1] >= 0)
		close(ag->pipe[1]);
	if (ag->mu_ok)
		pthread_mutex_destroy(&ag->mu);
}
