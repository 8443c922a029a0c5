/*
 * reply.h - what a server answers a request PDU with (KSI spec 7.9,
 * 7.14): bare error PDUs, payloads that carry only a status, and signed
 * responses finished with the user's HMAC.  Shared by kts-calendar and
 * kts-aggregator; the callers count errors themselves.
 */
#ifndef KTS_REPLY_H
#define KTS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "users.h"
#include "wr.h"

/*
 * kts_reply_error - a bare error PDU (spec 7.9: status and message, no
 * header or HMAC) of tag resp_tag, in an HTTP 200 as DESIGN.md says; the
 * request is dropped if even that cannot be built.
 */
void kts_reply_error(struct kts_req *req, uint16_t resp_tag, uint64_t status,
    const char *msg);

/*
 * kts_reply_signed - finish the response in wr, begun with kts_pdu_begin()
 * at mark, with u's HMAC in algorithm alg, and send it; r is the result of
 * building it so far: if it or the HMAC failed, log and drop the request.
 */
void kts_reply_signed(struct kts_req *req, struct kts_wr *wr, size_t mark,
    const struct kts_user *u, uint8_t alg, int r);

/*
 * kts_reply_status - a signed response whose payload (0x02) carries only
 * the request id, a status and a message (spec 7.5, 7.8).
 */
void kts_reply_status(struct kts_req *req, uint16_t resp_tag,
    const struct kts_user *u, uint8_t alg, uint64_t req_id, uint64_t status,
    const char *msg);

#endif
