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
#include "wr.h"

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

/* ---- requests, as a server sees them (spec 7.1-7.8) ------------------ */

/* An aggregation request payload (0x220 -> 0x02, spec 7.4). */
struct kts_aggr_req {
	uint64_t req_id;
	struct kts_imprint hash;	/* request hash */
	uint64_t level;			/* request level (0 if absent) */
};

/* An extension request payload (0x320 -> 0x02, spec 7.8). */
struct kts_ext_req {
	uint64_t req_id;
	uint8_t has_aggr_time;
	uint64_t aggr_time;		/* A */
	uint8_t has_pub_time;
	uint64_t pub_time;		/* P; absent = the calendar head */
};

/* A parsed request PDU; pointers borrow the caller's buffer. */
struct kts_req_pdu {
	uint16_t tag;			/* KTS_TAG_AGGR_REQ or KTS_TAG_EXT_REQ */
	const char *login_id;		/* header login id (NULL: no header) */
	uint8_t has_instance_id;
	uint64_t instance_id;
	uint8_t has_message_id;
	uint64_t message_id;
	uint8_t has_req;		/* a 0x02 request payload */
	struct kts_aggr_req aggr;	/* when tag is KTS_TAG_AGGR_REQ */
	struct kts_ext_req ext;		/* when tag is KTS_TAG_EXT_REQ */
	uint8_t has_conf;		/* a 0x04 configuration request */
	uint8_t has_ack;		/* a 0x05 acknowledgement request */
	uint8_t hmac_alg;		/* the HMAC's algorithm */
};

/*
 * kts_req_parse - parse a request PDU (0x220 or 0x320): header present and
 * the first recognized element (unknown non-critical elements are skipped
 * wherever they are), with a login id; at most one payload of each kind,
 * at least one payload; the HMAC an imprint of a defined algorithm and
 * physically last (spec 7.1, 7.3, 7.14).  An extender PDU may not carry
 * 0x05.  Does not check the HMAC (the caller looks the login id up first,
 * then calls kts_pdu_hmac_check()).
 * Returns 0, KTS_ETRUNC, KTS_EFORMAT (status 0x0101: not a request PDU)
 * or KTS_ENOTFOUND (status 0x0103: envelope fine, payload malformed or
 * with an unknown critical element, request level over 255, request hash
 * not an imprint of a defined algorithm), with perr (may be NULL; must be
 * zeroed by the caller, the first failure wins).  With KTS_ENOTFOUND the
 * envelope fields (tag, login_id, header ids, has_*, hmac_alg) are set, so
 * the server can authenticate before answering 0x0103.
 * Ownership: out's pointers borrow buf.
 */
int kts_req_parse(const uint8_t *buf, size_t len, struct kts_req_pdu *out,
    struct kts_perr *perr);

/* ---- building PDUs (spec 7.1-7.3) -------------------------------------- */

/*
 * kts_pdu_begin - start a PDU with tag and a header carrying login_id
 * (login_id NULL: no header, for bare error PDUs).  *mark is for
 * kts_pdu_end().  The caller then writes payload elements with the
 * kts_wr_tlv* functions.  PDUs are appended after what wr already holds.
 * Returns 0, KTS_ETOOBIG or KTS_ENOMEM; on failure wr is as it was.
 */
int kts_pdu_begin(struct kts_wr *wr, uint16_t tag, const char *login_id,
    size_t *mark);

/*
 * kts_pdu_end - close the PDU started at mark: append the HMAC element of
 * alg keyed with key over every byte before its digest (spec 7.3), or no
 * HMAC when key is NULL.  Returns 0, KTS_ETOOBIG, KTS_ENOMEM or the HMAC's
 * error (KTS_EINVAL for an undefined alg, KTS_EUNSUPPORTED, KTS_ECRYPTO);
 * on failure wr is cut back to mark (the whole PDU is dropped).
 */
int kts_pdu_end(struct kts_wr *wr, size_t mark, uint8_t alg, const void *key,
    size_t keylen);

/*
 * kts_pdu_error - a whole bare error PDU (spec 7.9): resp_tag (0x221 or
 * 0x321) holding only 0x03 {status, message} (message NULL: omitted).
 * Returns as kts_pdu_end(), or KTS_EINVAL for another tag.
 */
int kts_pdu_error(struct kts_wr *wr, uint16_t resp_tag, uint64_t status,
    const char *message);

/*
 * Client requests (spec 7.4, 7.6, 7.8), each a whole PDU with header and
 * HMAC (as kts_pdu_begin() and kts_pdu_end(): login NULL gives no header,
 * key NULL no HMAC).  level 0 and pub_time 0 are omitted ("head" for
 * pub_time); the aggregation time is always sent.  kts_conf_req_build()
 * takes KTS_TAG_AGGR_REQ or KTS_TAG_EXT_REQ.  Return as kts_pdu_end(), or
 * KTS_EINVAL for another tag; on failure wr is as it was.
 */
int kts_aggr_req_build(struct kts_wr *wr, const char *login, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id,
    const struct kts_imprint *hash, uint64_t level);
int kts_ext_req_build(struct kts_wr *wr, const char *login, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id, uint64_t aggr_time,
    uint64_t pub_time);
int kts_conf_req_build(struct kts_wr *wr, uint16_t tag, const char *login,
    const void *key, size_t keylen, uint8_t hmac_alg);

/* ---- the client's view of an aggregation response (spec 7.11) ---------- */

struct kts_sig;

/*
 * kts_aggr_resp_to_sig - turn an aggregation response PDU into a
 * signature as libksi does (spec 7.11): an error payload (0x03) is
 * reported in *status without authentication; otherwise header and HMAC
 * (same algorithm as hmac_alg) must check with key, the request id must
 * be req_id, a non-zero payload status is reported in *status, and the
 * payload's children other than 0x01, 0x04, 0x05, 0x10, 0x11 become the
 * signature (their original bytes, in order), with level (the request
 * level, 0..255) added to the first link's level correction of the lowest
 * chain, which is then re-serialized.  *message (message may be NULL) is
 * the error or response message, NULL if there is none.  The caller then
 * verifies the signature (internal policy, spec 7.11 step 6).
 * Returns 0 (with *status 0 and *out set, or *status != 0 and *out NULL),
 * KTS_ETRUNC, KTS_EFORMAT (structure, missing header/HMAC/payload, or a
 * payload that is not a signature), KTS_EVERIFY (HMAC algorithm, HMAC or
 * request id), KTS_ETOOBIG, KTS_ENOMEM, or KTS_EINVAL (level > 255),
 * with perr (may be NULL; zeroed by the caller).
 * Ownership: free *out with kts_sig_free(); *message borrows buf.
 */
int kts_aggr_resp_to_sig(const uint8_t *buf, size_t len, const void *key,
    size_t keylen, uint8_t hmac_alg, uint64_t req_id, uint64_t level,
    uint64_t *status, const char **message, struct kts_sig **out,
    struct kts_perr *perr);

#endif
