/*
 * http.c - kts-aggregator's GET endpoints: /metrics (Prometheus text
 * format) and /healthz.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator.h"
#include "err.h"
#include "prom.h"
#include "wr.h"

/* One metric family per parent field, each under its TYPE line. */
static int
metrics_parents(struct ag *ag, struct kts_wr *wr)
{
	struct kts_up_stats us[AG_MAX_PARENTS];
	size_t i;
	int r = 0;

	for (i = 0; i < ag->n_parents; i++)
		kts_up_stats(ag->parents[i].up, &us[i]);
	r |= kts_prom_put(wr, "# TYPE kts_parent_rounds_total counter\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_rounds_total{parent=\"%zu\","
		    "result=\"first\"} %llu\n"
		    "kts_parent_rounds_total{parent=\"%zu\",result=\"failed\"}"
		    " %llu\n", i, (unsigned long long)ag->parents[i].ok, i,
		    (unsigned long long)ag->parents[i].failed);
	r |= kts_prom_put(wr, "# TYPE kts_parent_timeouts_total counter\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_timeouts_total{parent=\"%zu\"}"
		    " %llu\n", i, (unsigned long long)us[i].timeouts);
	r |= kts_prom_put(wr, "# TYPE kts_parent_waiting gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_waiting{parent=\"%zu\"} %llu\n",
		    i, (unsigned long long)us[i].inflight);
	r |= kts_prom_put(wr, "# TYPE kts_parent_latency_ms gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_latency_ms{parent=\"%zu\"} "
		    "%.3f\n", i, ag->parents[i].last_ms);
	r |= kts_prom_put(wr, "# TYPE kts_parent_max_level gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_max_level{parent=\"%zu\"} %d\n",
		    i, ag->parents[i].has_conf ?
		    (int)ag->parents[i].max_level : -1);
	r |= kts_prom_put(wr, "# TYPE kts_parent_up gauge\n");
	for (i = 0; i < ag->n_parents; i++)
		r |= kts_prom_put(wr, "kts_parent_up{parent=\"%zu\"} %d\n", i,
		    ag->parents[i].healthy);
	return r;
}

static int
metrics(struct ag *ag, struct kts_wr *wr)
{
	const struct ag_stats *s = &ag->st;
	struct kts_srv_stats ss;
	int r = 0;

	kts_srv_stats(ag->srv, &ss);
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
	r |= kts_prom_put(wr, "# TYPE kts_requests_waiting gauge\n"
	    "kts_requests_waiting %llu\n# TYPE kts_rounds_waiting gauge\n"
	    "kts_rounds_waiting %zu\n",
	    (unsigned long long)ag->waiting, ag->n_flight);
	r |= kts_prom_put(wr, "# TYPE kts_max_level gauge\n"
	    "kts_max_level %u\n", ag->eff_max_level);
	r |= metrics_parents(ag, wr);
	r |= kts_prom_put(wr, "# TYPE kts_connections_total counter\n"
	    "kts_connections_total %llu\n# TYPE kts_connections_open gauge\n"
	    "kts_connections_open %llu\n# TYPE kts_rejected_total counter\n"
	    "kts_rejected_total %llu\n",
	    (unsigned long long)ss.conns_total,
	    (unsigned long long)ss.conns_open,
	    (unsigned long long)ss.rejected);
	return r != 0 ? KTS_ENOMEM : 0;
}

/*
 * Healthy while some parent's last answer (to a round or to the
 * configuration request made every 30 s) was good, and not draining.
 */
static int
healthz(struct ag *ag, struct kts_wr *wr)
{
	size_t i;
	size_t up = 0;

	for (i = 0; i < ag->n_parents; i++)
		up += ag->parents[i].healthy ? 1 : 0;
	if (ag->stopping) {
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
	    ag->n_parents, ag->eff_max_level) != 0)
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
