/*
 * prom.c - Prometheus text for the servers' /metrics (prom.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "err.h"
#include "prom.h"

/* Status codes with their counter slot (spec 7.10). */
static const struct {
	unsigned code;
	size_t slot;
} codes[] = {
	{ 0x101, 1 }, { 0x102, 2 }, { 0x103, 3 }, { 0x104, 4 }, { 0x105, 5 },
	{ 0x106, 6 }, { 0x107, 7 }, { 0x200, 8 }, { 0x201, 9 }, { 0x202, 10 },
	{ 0x300, 12 }, { 0x301, 13 },
};

size_t
kts_status_slot(uint64_t st)
{
	size_t hi = (size_t)(st >> 8);
	size_t lo = (size_t)(st & 0xff);

	if (st > 0xffff || hi < 1 || hi > 3 || lo > 7)
		return KTS_STATUS_SLOTS - 1;
	return hi == 1 ? lo : (hi == 2 ? 8 + lo : 12 + lo);
}

int
kts_prom_put(struct kts_wr *wr, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return KTS_EINVAL;
	return kts_wr_put(wr, line, (size_t)n);
}

int
kts_prom_errors(struct kts_wr *wr, const char *name,
    const uint64_t errors[KTS_STATUS_SLOTS])
{
	size_t i;
	int r;

	if ((r = kts_prom_put(wr, "# TYPE %s counter\n", name)) != 0)
		return r;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if ((r = kts_prom_put(wr, "%s{status=\"0x%04x\"} %llu\n", name,
		    codes[i].code,
		    (unsigned long long)errors[codes[i].slot])) != 0)
			return r;
	return 0;
}

/* Milliseconds; HUGE_VAL stands for +Inf. */
static const double bounds[KTS_HIST_BUCKETS] = {
	1, 2, 5, 10, 20, 50, 75, 100, 110, 120, 130, 140, 150, 160, 175, 200,
	250, 300, 400, 500, 750, 1000, 1250, 1500, 2000, 5000, 10000,
	HUGE_VAL,
};

double
kts_hist_bound(size_t i)
{
	return i < KTS_HIST_BUCKETS ? bounds[i] : HUGE_VAL;
}

void
kts_hist_add(struct kts_hist *h, double ms)
{
	size_t i = 0;

	if (ms < 0)
		ms = 0;		/* a clock step: count it, as early */
	while (i < KTS_HIST_BUCKETS - 1 && ms > bounds[i])
		i++;
	h->le[i]++;
	h->count++;
	h->sum += ms;
}

void
kts_hist_merge(struct kts_hist *dst, const struct kts_hist *src)
{
	size_t i;

	for (i = 0; i < KTS_HIST_BUCKETS; i++)
		dst->le[i] += src->le[i];
	dst->count += src->count;
	dst->sum += src->sum;
}

double
kts_hist_quantile(const struct kts_hist *h, double q)
{
	uint64_t need;
	uint64_t seen = 0;
	size_t i;

	if (h->count == 0)
		return -1;
	/* The rank of the quantile, rounded up: at least 1. */
	need = (uint64_t)(q * (double)h->count);
	if ((double)need < q * (double)h->count)
		need++;
	if (need == 0)
		need = 1;
	for (i = 0; i < KTS_HIST_BUCKETS; i++) {
		seen += h->le[i];
		if (seen >= need)
			return bounds[i];
	}
	return HUGE_VAL;
}

int
kts_prom_hist(struct kts_wr *wr, const char *name, const struct kts_hist *h)
{
	uint64_t cum = 0;
	size_t i;
	int r;

	if ((r = kts_prom_put(wr, "# TYPE %s histogram\n", name)) != 0)
		return r;
	for (i = 0; i < KTS_HIST_BUCKETS; i++) {
		cum += h->le[i];
		if (i == KTS_HIST_BUCKETS - 1)
			r = kts_prom_put(wr, "%s_bucket{le=\"+Inf\"} %llu\n",
			    name, (unsigned long long)cum);
		else
			r = kts_prom_put(wr, "%s_bucket{le=\"%g\"} %llu\n",
			    name, bounds[i], (unsigned long long)cum);
		if (r != 0)
			return r;
	}
	return kts_prom_put(wr, "%s_sum %.3f\n%s_count %llu\n", name, h->sum,
	    name, (unsigned long long)h->count);
}
