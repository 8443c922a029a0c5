/*
 * http.c - kts-calendar's GET endpoints: the publications file,
 * /metrics (Prometheus text format) and /healthz.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "err.h"
#include "prom.h"
#include "wr.h"

static int
metrics(struct cal *cal, struct kts_wr *wr)
{
	struct cal_stats all = cal->st;
	const struct cal_stats *s = &all;
	struct kts_srv_stats ss;
	uint64_t head = 0;
	int r = 0;

	kts_cal_head(cal->store, &head);
	kts_srv_stats(cal->srv, &ss);
	cal_ext_stats(cal, &all, &ss);
	r |= kts_prom_put(wr, "# TYPE kts_requests_total counter\n");
	r |= kts_prom_put(wr, "kts_requests_total{type=\"aggregation\"} %llu\n",
	    (unsigned long long)s->aggr_requests);
	r |= kts_prom_put(wr, "kts_requests_total{type=\"extension\"} %llu\n",
	    (unsigned long long)s->ext_requests);
	r |= kts_prom_put(wr, "kts_requests_total{type=\"configuration\"} %llu\n",
	    (unsigned long long)s->conf_requests);
	r |= kts_prom_errors(wr, "kts_errors_total", s->errors);
	r |= kts_prom_put(wr, "# TYPE kts_rounds_total counter\nkts_rounds_total %llu\n",
	    (unsigned long long)s->rounds);
	r |= kts_prom_put(wr, "# TYPE kts_round_requests gauge\n"
	    "kts_round_requests %llu\nkts_round_requests_max %llu\n",
	    (unsigned long long)s->last_round_requests,
	    (unsigned long long)s->round_requests_max);
	r |= kts_prom_put(wr, "# TYPE kts_round_latency_ms gauge\n"
	    "kts_round_latency_ms %.3f\n", s->last_round_ms);
	r |= kts_prom_put(wr, "# TYPE kts_calendar_head_seconds gauge\n"
	    "kts_calendar_head_seconds %llu\n", (unsigned long long)head);
	r |= kts_prom_put(wr, "# TYPE kts_publications_total counter\n"
	    "kts_publications_total %llu\n"
	    "# TYPE kts_last_publication_seconds gauge\n"
	    "kts_last_publication_seconds %llu\n",
	    (unsigned long long)s->publications,
	    (unsigned long long)s->last_publication);
	r |= kts_prom_put(wr, "# TYPE kts_connections_total counter\n"
	    "kts_connections_total %llu\nkts_connections_open %llu\n"
	    "kts_rejected_total %llu\n",
	    (unsigned long long)ss.conns_total,
	    (unsigned long long)ss.conns_open,
	    (unsigned long long)ss.rejected);
	return r != 0 ? KTS_ENOMEM : 0;
}

int
cal_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype)
{
	struct cal_ctx *cx = arg;
	struct cal *cal = cx->cal;
	struct kts_wr wr;
	uint64_t head = 0;
	int r;

	kts_wr_init(&wr, 1u << 20);
	*body = NULL;
	*len = 0;
	if (strcmp(path, "/metrics") == 0) {
		*ctype = "text/plain; version=0.0.4";
		if (metrics(cal, &wr) != 0)
			goto fail;
	} else if (strcmp(path, "/healthz") == 0) {
		*ctype = "text/plain";
		if (cal->gap_blocked != 0) {
			/* Not writing: say why, with a status a probe sees. */
			if (kts_prom_put(&wr, "not writing: the clock is %llu s ahead of "
			    "the calendar (see bridge_gap)\n",
			    (unsigned long long)cal->gap_blocked) != 0 ||
			    kts_wr_take(&wr, body, len) != 0)
				goto fail;
			return 503;
		}
		/* A new calendar has no second yet: starting, still healthy. */
		if (kts_cal_head(cal->store, &head) != 0)
			r = kts_prom_put(&wr, "ok head=none (starting)\n");
		else
			r = kts_prom_put(&wr, "ok head=%llu\n", (unsigned long long)head);
		if (r != 0)
			goto fail;
	} else if (strcmp(path, "/publications.bin") == 0 ||
	    strcmp(path, "/ksi-publications.bin") == 0) {
		*ctype = "application/ksi-publications";
		if (cal->pubfile == NULL ||
		    kts_wr_put(&wr, cal->pubfile, cal->pubfile_len) != 0)
			goto fail;
	} else {
		kts_wr_free(&wr);
		return 404;
	}
	if (kts_wr_take(&wr, body, len) != 0)
		goto fail;
	return 200;
fail:
	kts_wr_free(&wr);
	*ctype = "text/plain";
	return 500;
}
