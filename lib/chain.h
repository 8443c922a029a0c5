/*
 * chain.h - computing aggregation and calendar hash chains (KSI spec
 * sections 4 and 5) and the calendar chain shape to time rule.
 */
#ifndef KTS_CHAIN_H
#define KTS_CHAIN_H

#include <stdint.h>

#include "hash.h"
#include "sig.h"

/*
 * kts_aggr_chain_compute - run one aggregation chain from *level (the
 * start level, carried from the chain below) and give its output imprint;
 * *level becomes the output level.  Returns 0, KTS_EFORMAT (a level would
 * pass 255) or the hasher's error (KTS_EUNSUPPORTED, KTS_EINVAL).
 */
int kts_aggr_chain_compute(const struct kts_aggr_chain *c, unsigned *level,
    struct kts_imprint *out);

/*
 * kts_aggr_chain_shape - the chain's shape (spec 4.3).  Returns 0 or
 * KTS_EFORMAT when the chain has more than 63 links.
 */
int kts_aggr_chain_shape(const struct kts_aggr_chain *c, uint64_t *out);

/*
 * kts_cal_chain_compute - the calendar root a calendar chain reaches
 * (spec 5.2).  Returns 0 or the hasher's error.
 */
int kts_cal_chain_compute(const struct kts_cal_chain *c,
    struct kts_imprint *out);

/*
 * kts_cal_chain_time - the aggregation time the chain's shape gives for
 * its publication time (spec 5.3).  Returns 0 or KTS_EFORMAT when the
 * shape is impossible for that publication time.
 */
int kts_cal_chain_time(const struct kts_cal_chain *c, uint64_t *out);

/* kts_highbit - largest power of two <= r (r > 0). */
uint64_t kts_highbit(uint64_t r);

#endif
