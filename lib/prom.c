/*
 * prom.c - Prometheus text for the servers' /metrics (prom.h).
 */
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
