/*
 * http.c - kts-aggregator's GET endpoints: /metrics (Prometheus text
 * format) and /healthz.  Any thread may serve them: they add up what
 * every thread last published (struct ag_pub, under its lock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator.h"
#include "err.h"
#include "prom.h"
#include "wr.h"

/* The sum over threads: counters added, gauges as each says. */
static void
gather(struct ag *ag, struct ag_pub *t)
{
	struct ag_pub p;
	unsigned i;
	size_t j;
	size_t k;

	ag_publish(ag);		/* our own figures, fresh */
	memset(t, 0, sizeof(*t));
	t->eff_max_level = 255;
	for (i = 0; i < ag->n_all; i++) {
		pthread_mutex_lock(&ag->all[i]->mu);
		p = ag->all[i]->pub;
		pthread_mutex_unlock(&ag->all[i]->mu);
		t->st.aggr_requests += p.st.aggr_requests;
		t->st.conf_requests += p.st.conf_requests;
		t->st.answered += p.st.answered;
		for (k = 0; k < KTS_STATUS_SLOTS; k++)
			t->st.errors[k] += p.st.errors[k];
		t->st.rounds += p.st.rounds;
		t->st.rounds_failed += p.st.rounds_failed;
		t->st.last_round_requests += p.st.last_round_requests;
		if (p.st.round_requests_max > t->st.round_requests_max)
			t->st.round_requests_max = p.st.round_requests_max;
		if (p.st.last_round_ms > t->st.last_round_ms)
			t->st.last_round_ms = p.st.last_round_ms;
		if (p.st.last_parent_ms > t->st.last_parent_ms)
			t->st.last_parent_ms = p.st.last_parent_ms;
		kts_hist_merge(&t->st.request_ms, &p.st.request_ms);
		kts_hist_merge(&t->st.own_ms, &p.st.own_ms);
		kts_hist_merge(&t->st.wait_ms, &p.st.wait_ms);
		kts_hist_merge(&t->st.parent_ms, &p.st.parent_ms);
		kts_hist_merge(&t->st.answer_ms, &p.st.answer_ms);
		t->ss.conns_total += p.ss.conns_total;
		t->ss.conns_open += p.ss.conns_open;
		t->ss.pdus_in += p.ss.pdus_in;
		t->ss.rejected += p.ss.rejected;
		t->waiting += p.waiting;
		t->n_flight += p.n_flight;
		if (p.eff_max_level < t->eff_max_level)
			t->eff_max_level = p.eff_max_level;
		t->stopping |= p.stopping;
		for (j = 0; j < ag->n_parents; j++) {
			t->par[j].ok += p.par[j].ok;
			t->par[j].failed += p.par[j].failed;
			t->par[j].timeouts += p.par[j].timeouts;
			t->par[j].inflight += p.par[j].inflight;
			if (p.par[j].last_ms > t->par[j].last_ms)
				t->par[j].last_ms = p.par[j].last_ms;
			if (p.par[j].has_conf) {
				t->par[j].has_conf = 1;
				t->par[j].max_level = p.par[j].max_level;
			}
			/* The newest outcome, whichever thread saw it. */
			if (p.par[j].health_us >= t->par[j].health_us) {
				t->par[j].health_us = p.par[j].health_us;
				t->par[j].healthy = p.par[j].healthy;
			}
		}
	}
}

/* One metric family per parent field, each under its TYPE line. */
static int
metrics_parents(struct ag *ag, const struct ag_pub *t, struct kts_wr *wr)
{
	size_t i;
	int r = 0;

	r |= kts_prom_put(wr, "# TYPE kts_parent_rounds_total counter\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_rounds_total{parent=\"%zu\","
		    "result=\"first\"} %llu\n"
		    "kts_parent_rounds_total{parent=\"%zu\",result=\"failed\"}"
		    " %llu\n", i, (unsigned long long)t->par[i].ok, i,
		    (unsigned long long)t->par[i].failed);
	r |= kts_prom_put(wr, "# TYPE kts_parent_timeouts_total counter\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_timeouts_total{parent=\"%zu\"}"
		    " %llu\n", i, (unsigned long long)t->par[i].timeouts);
	r |= kts_prom_put(wr, "# TYPE kts_parent_waiting gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_waiting{parent=\"%zu\"} %llu\n",
		    i, (unsigned long long)t->par[i].inflight);
	r |= kts_prom_put(wr, "# TYPE kts_parent_latency_ms gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_latency_ms{parent=\"%zu\"} "
		    "%.3f\n", i, t->par[i].last_ms);
	r |= kts_prom_put(wr, "# TYPE kts_parent_max_level gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_max_level{parent=\"%zu\"} %d\n",
		    i, t->par[i].has_conf ? (int)t->par[i].max_level : -1);
	r |= kts_prom_put(wr, "# TYPE kts_parent_up gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_up{parent=\"%zu\"} %d\n", i,
		    t->par[i].healthy);
	return r;
}

static int
metrics(struct ag *ag, struct kts_wr *wr)
{
	struct ag_pub t;
	const struct ag_stats *s = &t.st;
	int r = 0;

	gather(ag, &t);
	r |= kts_prom_put(wr, "# TYPE kts_requests_total counter\n");
	r |= kts_prom_put(wr, "kts_requests_total{type=\"aggregation\"} "
	    "%llu\n", (unsigned long long)s->aggr_requests);
	r |= kts_prom_put(wr, "kts_requests_total{type=\"configuration\"} "
	    "%llu\n", (unsigned long long)s->conf_requests);
	r |= kts_prom_put(wr, "# TYPE kts_signatures_total counter\n"
	    "kts_signatures_total %llu\n", (unsigned long long)s->answered);
	r |= kts_prom_errors(wr, "kts_errors_total", s->errors);
	r |= kts_prom_put(wr, "# TYPE kts_rounds_total counter\n"
	    "kts_rounds_total %llu\n# TYPE kts_rounds_failed_total counter\n"
	    "kts_rounds_failed_total %llu\n",
	    (unsigned long long)s->rounds,
	    (unsigned long long)s->rounds_failed);
	r |= kts_prom_put(wr, "# TYPE kts_round_requests gauge\n"
	    "kts_round_requests %llu\n# TYPE kts_round_requests_max gauge\n"
	    "kts_round_requests_max %llu\n",
	    (unsigned long long)s->last_round_requests,
	    (unsigned long long)s->round_requests_max);
	r |= kts_prom_put(wr, "# TYPE kts_round_latency_ms gauge\n"
	    "kts_round_latency_ms %.3f\n# TYPE kts_parent_answer_ms gauge\n"
	    "kts_parent_answer_ms %.3f\n",
	    s->last_round_ms, s->last_parent_ms);
	r |= kts_prom_put(wr, "# TYPE kts_round_period_ms gauge\n"
	    "kts_round_period_ms %llu\n",
	    (unsigned long long)ag->conf->round_ms);
	r |= kts_prom_hist(wr, "kts_request_latency_ms", &s->request_ms);
	r |= kts_prom_hist(wr, "kts_request_own_latency_ms", &s->own_ms);
	r |= kts_prom_hist(wr, "kts_request_round_wait_ms", &s->wait_ms);
	r |= kts_prom_hist(wr, "kts_round_parent_ms", &s->parent_ms);
	r |= kts_prom_hist(wr, "kts_round_answer_ms", &s->answer_ms);
	r |= kts_prom_put(wr, "# TYPE kts_requests_waiting gauge\n"
	    "kts_requests_waiting %llu\n# TYPE kts_rounds_waiting gauge\n"
	    "kts_rounds_waiting %zu\n",
	    (unsigned long long)t.waiting, t.n_flight);
	r |= kts_prom_put(wr, "# TYPE kts_max_level gauge\n"
	    "kts_max_level %u\n# TYPE kts_threads gauge\nkts_threads %u\n",
	    t.eff_max_level, ag->n_all);
	r |= metrics_parents(ag, &t, wr);
	r |= kts_prom_put(wr, "# TYPE kts_connections_total counter\n"
	    "kts_connections_total %llu\n# TYPE kts_connections_open gauge\n"
	    "kts_connections_open %llu\n# TYPE kts_rejected_total counter\n"
	    "kts_rejected_total %llu\n",
	    (unsigned long long)t.ss.conns_total,
	    (unsigned long long)t.ss.conns_open,
	    (unsigned long long)t.ss.rejected);
	return r != 0 ? KTS_ENOMEM : 0;
}

/*
 * Healthy while some parent's last answer (to a round or to the
 * configuration request made every 30 s; the newest any thread saw) was
 * good, and not draining.
 */
static int
healthz(struct ag *ag, struct kts_wr *wr)
{
	struct ag_pub t;
	size_t i;
	size_t up = 0;

	gather(ag, &t);
	for (i = 0; i < ag->n_parents; i++)
		up += t.par[i].healthy ? 1 : 0;
	if (t.stopping) {
		if (kts_prom_put(wr, "stopping\n") != 0)
			return -1;
		return 503;
	}
	if (up == 0) {
		if (kts_prom_put(wr, "no parent answers (of %zu)\n",
		    ag->n_parents) != 0)
			return -1;
		return 503;
	}
	if (kts_prom_put(wr, "ok parents=%zu/%zu max_level=%u\n", up,
	    ag->n_parents, t.eff_max_level) != 0)
		return -1;
	return 200;
}

int
ag_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype)
{
	struct ag *ag = arg;
	struct kts_wr wr;
	int code = 200;

	kts_wr_init(&wr, 1u << 20);
	*body = NULL;
	*len = 0;
	*ctype = "text/plain";
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4";
		if (metrics(ag, &wr) != 0)
			goto fail;
	} else if (strcmp(path, "/healthz") == 0) {
		if ((code = healthz(ag, &wr)) < 0)
			goto fail;
	} else {
		kts_wr_free(&wr);
		return 404;
	}
	if (kts_wr_take(&wr, body, len) != 0)
		goto fail;
	return code;
fail:
	kts_wr_free(&wr);
	return 500;
}
