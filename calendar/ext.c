/*
 * ext.c - kts-calendar's extension threads (docs/calendar.md, "The
 * extender port").
 *
 * Extending is the calendar's heaviest request and only reads, so it can
 * use more than the one core of the main loop.  Each thread runs an event
 * loop of its own with a kts_srv on the extender ports (SO_REUSEPORT: the
 * kernel spreads the connections over the threads) and a reader handle
 * on the store, and answers through core.c's handler with a context that
 * refuses aggregation.
 *
 * Invariants: while the threads run, they read only what the main thread
 * set up before starting them and does not change until it has joined
 * them (the configuration, the users) and their own struct cal_ext.
 * Each thread's counters are its own; after each request and once a
 * second it copies them, with its server's, under its lock, and /metrics
 * reads only those copies.  The main thread stops a thread by writing to
 * its pipe, joins it, and only then frees what it had.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "calendar.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "wr.h"

#define PUBLISH_S 1		/* counters are copied at least this often */

/* One extension thread. */
struct cal_ext {
	struct cal *cal;		/* conf and users, read-only here */
	struct cal_ctx ctx;		/* requests: the reader, st */
	struct cal_stats st;		/* counters, this thread only */
	struct event_base *base;	/* its event loop */
	struct kts_srv *srv;		/* on the extender ports */
	struct event *wake;		/* the stop pipe's read end */
	struct event *tick;		/* publishes the counters */
	int pipe[2];			/* stop pipe; -1 when closed */
	pthread_t tid;
	int running;			/* tid is a thread still to join */
	int mu_ok;			/* mu is initialised */
	pthread_mutex_t mu;		/* guards pub_st and pub_ss */
	struct cal_stats pub_st;	/* st as last published */
	struct kts_srv_stats pub_ss;	/* the server's, likewise */
};

/* Copy this thread's counters where the main thread reads them. */
static void
publish(struct cal_ext *w)
{
	struct kts_srv_stats ss;

	kts_srv_stats(w->srv, &ss);
	pthread_mutex_lock(&w->mu);
	w->pub_st = w->st;
	w->pub_ss = ss;
	pthread_mutex_unlock(&w->mu);
}

static void
on_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	struct cal_ext *w = arg;

	cal_on_pdu(&w->ctx, req, pdu, len);
	publish(w);
}

/* GET on the extender port: /healthz only (for load balancers). */
static int
on_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype)
{
	struct cal_ext *w = arg;
	struct kts_wr wr;
	uint64_t head = 0;
	char line[64];
	int n;

	*body = NULL;
	*len = 0;
	*ctype = "text/plain";
	if (strcmp(path, "/healthz") != 0)
		return 404;
	if (kts_cal_head(w->ctx.store, &head) != 0)
		n = snprintf(line, sizeof(line), "ok head=none (starting)\n");
	else
		n = snprintf(line, sizeof(line), "ok head=%llu\n",
		    (unsigned long long)head);
	kts_wr_init(&wr, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    kts_wr_put(&wr, line, (size_t)n) != 0 ||
	    kts_wr_take(&wr, body, len) != 0) {
		kts_wr_free(&wr);
		return 500;
	}
	return 200;
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cal_ext *w = arg;

	event_base_loopbreak(w->base);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cal_ext *w = arg;

	kts_cal_release(w->ctx.store);	/* no old tables kept while idle */
	publish(w);
}

static void *
ext_main(void *arg)
{
	struct cal_ext *w = arg;

	event_base_dispatch(w->base);
	publish(w);
	return NULL;
}

/*
 * The thread's loop and events (not its server).  The epoll changelist
 * folds evhttp's turning reading and writing off and on around each
 * request into fewer epoll_ctl calls (docs/performance.md); it is unsafe
 * only for descriptors shared through dup(), which these loops never
 * see.
 */
static int
ext_loop(struct cal_ext *w)
{
	struct timeval tv = { PUBLISH_S, 0 };
	struct event_config *cfg;

	if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		w->pipe[0] = w->pipe[1] = -1;
		return KTS_EIO;
	}
	if ((cfg = event_config_new()) == NULL)
		return KTS_ENOMEM;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (w->base == NULL ||
	    (w->wake = event_new(w->base, w->pipe[0], EV_READ, on_wake,
	    w)) == NULL ||
	    (w->tick = event_new(w->base, -1, EV_PERSIST, on_tick,
	    w)) == NULL ||
	    event_add(w->wake, NULL) != 0 || event_add(w->tick, &tv) != 0)
		return KTS_ENOMEM;
	return 0;
}

/*
 * Set up thread w (not started) on ports hp and tp: the first thread
 * binds the configured ones (0: ephemeral), the others the ports it got.
 */
static int
ext_setup(struct cal *cal, struct cal_ext *w, int hp, int tp, char *why,
    size_t whylen)
{
	struct kts_srv_opts so;
	int r;

	w->cal = cal;
	w->pipe[0] = w->pipe[1] = -1;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return KTS_ENOMEM;
	w->mu_ok = 1;
	w->ctx.cal = cal;
	w->ctx.st = &w->st;
	w->ctx.ext_only = 1;
	if ((r = kts_cal_reader_open(cal->store, &w->ctx.store)) != 0 ||
	    (r = ext_loop(w)) != 0) {
		snprintf(why, whylen, "cannot set up an extension thread: %s",
		    kts_strerror(r));
		return r;
	}
	memset(&so, 0, sizeof(so));
	so.addr = cal->conf->listen;
	so.http_port = hp;
	so.tcp_port = tp;
	so.reuseport = 1;
	/* The extender port as a whole takes what one server would. */
	/* ext_max_conns over the threads (the kernel spreads them). */
	so.max_conns = (size_t)(cal->conf->ext_max_conns /
	    (uint64_t)cal->conf->ext_threads);
	if (so.max_conns < 1)
		so.max_conns = 1;
	so.on_pdu = on_pdu;
	so.on_get = on_get;
	so.arg = w;
	if ((r = kts_srv_new(w->base, &so, &w->srv)) != 0)
		snprintf(why, whylen, "cannot listen on the extender ports of "
		    "%s: %s", so.addr != NULL ? so.addr : "127.0.0.1",
		    strerror(errno));
	return r;
}

/* Start thread w with every signal blocked: they are the main loop's. */
static int
ext_run(struct cal_ext *w, char *why, size_t whylen)
{
	sigset_t all;
	sigset_t old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&w->tid, NULL, ext_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(why, whylen, "cannot start an extension thread: %s",
		    strerror(e));
		return KTS_ENOMEM;
	}
	w->running = 1;
	return 0;
}

/* Free what thread w had (it is not running). */
static void
ext_free(struct cal_ext *w)
{
	kts_srv_free(w->srv);
	if (w->wake != NULL)
		event_free(w->wake);
	if (w->tick != NULL)
		event_free(w->tick);
	if (w->base != NULL)
		event_base_free(w->base);
	kts_cal_close(w->ctx.store);
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	if (w->mu_ok)
		pthread_mutex_destroy(&w->mu);
}

int
cal_ext_start(struct cal *cal, int *http_port, int *tcp_port, char *why,
    size_t whylen)
{
	const struct cal_conf *c = cal->conf;
	size_t n = c->ext_threads > 0 ? (size_t)c->ext_threads : 0;
	int hp = c->ext_http_port;
	int tp = c->ext_tcp_port;
	size_t i;
	int r = 0;

	*http_port = -1;
	*tcp_port = -1;
	if ((hp < 0 && tp < 0) || n == 0)
		return 0;
	if ((cal->ext = calloc(n, sizeof(*cal->ext))) == NULL)
		return KTS_ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		cal->n_ext = i + 1;
		r = ext_setup(cal, &cal->ext[i], hp, tp, why, whylen);
		if (i == 0 && r == 0)
			kts_srv_ports(cal->ext[0].srv, &hp, &tp);
	}
	for (i = 0; i < n && r == 0; i++)
		r = ext_run(&cal->ext[i], why, whylen);
	if (r != 0) {
		cal_ext_stop(cal);
		return r;
	}
	*http_port = hp;
	*tcp_port = tp;
	return 0;
}

void
cal_ext_stop(struct cal *cal)
{
	size_t i;

	for (i = 0; i < cal->n_ext; i++) {
		if (cal->ext[i].running &&
		    write(cal->ext[i].pipe[1], "", 1) != 1)
			kts_log(KTS_LOG_ERR, "cannot stop extension thread "
			    "%zu: %s", i, strerror(errno));
	}
	for (i = 0; i < cal->n_ext; i++) {
		if (cal->ext[i].running)
			pthread_join(cal->ext[i].tid, NULL);
		cal->ext[i].running = 0;
		ext_free(&cal->ext[i]);
	}
	free(cal->ext);
	cal->ext = NULL;
	cal->n_ext = 0;
}

void
cal_ext_stats(struct cal *cal, struct cal_stats *st, struct kts_srv_stats *ss)
{
	struct cal_ext *w;
	size_t i;
	size_t j;

	for (i = 0; i < cal->n_ext; i++) {
		w = &cal->ext[i];
		pthread_mutex_lock(&w->mu);
		st->aggr_requests += w->pub_st.aggr_requests;
		st->ext_requests += w->pub_st.ext_requests;
		st->conf_requests += w->pub_st.conf_requests;
		for (j = 0; j < sizeof(st->errors) / sizeof(st->errors[0]); j++)
			st->errors[j] += w->pub_st.errors[j];
		ss->conns_total += w->pub_ss.conns_total;
		ss->conns_open += w->pub_ss.conns_open;
		ss->pdus_in += w->pub_ss.pdus_in;
		ss->rejected += w->pub_ss.rejected;
		pthread_mutex_unlock(&w->mu);
	}
}
