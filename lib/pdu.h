/*
 * pdu.h - KSI PDU version 2 (KSI spec section 7): envelopes, HMAC, and
 * the extension response a verifier needs.  The aggregation and
 * configuration payloads are added with the servers.
 */
#ifndef KTS_PDU_H
#define KTS_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

#define KTS_TAG_AGGR_REQ 0x220
#define KTS_TAG_AGGR_RESP 0x221
#define KTS_TAG_EXT_REQ 0x320
#define KTS_TAG_EXT_RESP 0x321

/* Status codes (spec 7.10). */
#define KTS_ST_OK 0x0000
#define KTS_ST_INVALID_REQUEST 0x0101
#define KTS_ST_AUTH_FAILURE 0x0102
#define KTS_ST_INVALID_PAYLOAD 0x0103
#define KTS_ST_0104 0x0104		/* aggr: too large; ext: A > P */
#define KTS_ST_0105 0x0105		/* aggr: over quota; ext: too old */
#define KTS_ST_0106 0x0106		/* aggr: too many; ext: too new */
#define KTS_ST_0107 0x0107		/* aggr: input too long; ext: future */
#define KTS_ST_INTERNAL 0x0200
#define KTS_ST_DB_MISSING 0x0201
#define KTS_ST_DB_CORRUPT 0x0202
#define KTS_ST_UPSTREAM 0x0300
#define KTS_ST_UPSTREAM_TIMEOUT 0x0301

/* A parsed extension response (views into the caller's buffer). */
struct kts_ext_resp {
	const char *login_id;	/* header login id, NULL if no header */
	uint8_t has_payload;	/* a 0x02 response payload was present */
	uint64_t req_id;	/* request id */
	uint64_t status;	/* 0, or the payload's / error PDU's status */
	const char *message;	/* error message, NULL if absent */
	uint8_t has_cal_last;
	uint64_t cal_last;	/* newest second of the calendar (0x12) */
	const uint8_t *chain;	/* whole 0x802 element, NULL if absent */
	size_t chain_len;
	uint8_t hmac_alg;	/* algorithm of the PDU's HMAC */
	uint8_t has_error;	/* a 0x03 error payload was present */
};

/*
 * kts_pdu_hmac_check - check the HMAC of a whole PDU (spec 7.3): its last
 * element must be the 0x1F HMAC imprint and cover every byte before the
 * digest.  Returns 0, KTS_EFORMAT (no HMAC last) or KTS_EVERIFY.
 */
int kts_pdu_hmac_check(const uint8_t *pdu, size_t len, const void *key,
    size_t keylen);

/* kts_status_str - a short description of a status code (spec 7.10). */
const char *kts_status_str(uint64_t status, int extender);

/*
 * kts_ext_resp_parse - parse an extension response PDU (0x321).  When key
 * is not NULL the HMAC must check.  A bare error PDU (0x03) gives
 * status != 0 and no chain.  Returns 0, KTS_ETRUNC, KTS_EFORMAT or
 * KTS_EVERIFY (HMAC), with perr.
 * Ownership: out's pointers borrow buf.
 */
int kts_ext_resp_parse(const uint8_t *buf, size_t len, const void *key,
    size_t keylen, struct kts_ext_resp *out, struct kts_perr *perr);

#endif
