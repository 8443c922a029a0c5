/*
 * prom.h - what the servers' /metrics pages share: the Prometheus text
 * format (version 0.0.4) and error counters by KSI status code (spec
 * 7.10).
 */
#ifndef KTS_PROM_H
#define KTS_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "wr.h"

/* Error counters: one slot per status code kts_status_slot() knows. */
#define KTS_STATUS_SLOTS 16

/*
 * kts_status_slot - the counter slot of a status code: 0x0101-0x0107,
 * 0x0200-0x0202 and 0x0300-0x0301 have their own, anything else shares
 * the last.
 */
size_t kts_status_slot(uint64_t st);

/*
 * kts_prom_put - append one formatted piece (at most 511 bytes) to wr.
 * Returns 0, KTS_EINVAL (too long) or the writer's error.
 */
int kts_prom_put(struct kts_wr *wr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * kts_prom_errors - the metric name{status="0x...."} for every known
 * status code, from counters indexed by kts_status_slot().
 */
int kts_prom_errors(struct kts_wr *wr, const char *name,
    const uint64_t errors[KTS_STATUS_SLOTS]);

#endif
