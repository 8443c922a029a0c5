/*
 * sig.h - the KSI signature (KSI spec section 3): parse, query, serialize.
 *
 * A parsed signature owns one copy of its bytes; every field below is a
 * view into that copy (strings are NUL-terminated because KSI strings
 * carry their terminator).  Aggregation chains are kept sorted lowest
 * first (spec 4.4), whatever their order in the file.  Unknown
 * non-critical elements are kept per structure and re-emitted, after the
 * known ones, by kts_sig_serialize().
 */
#ifndef KTS_SIG_H
#define KTS_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "tlv.h"

/* Signature element tags (spec 3.1). */
#define KTS_TAG_SIG 0x800
#define KTS_TAG_AGGR_CHAIN 0x801
#define KTS_TAG_CAL_CHAIN 0x802
#define KTS_TAG_PUB_REC 0x803
#define KTS_TAG_AGGR_AUTH 0x804
#define KTS_TAG_CAL_AUTH 0x805
#define KTS_TAG_RFC3161 0x806
#define KTS_TAG_PUB_DATA 0x10
#define KTS_TAG_SIG_DATA 0x0b

/* Link directions (spec 0: the running value's side). */
#define KTS_LINK_LEFT 0x07	/* running value left, sibling right */
#define KTS_LINK_RIGHT 0x08	/* running value right, sibling left */

/* What an aggregation link's sibling is (spec 3.3). */
enum kts_sib_kind {
	KTS_SIB_HASH = 0x02,	/* an imprint */
	KTS_SIB_LEGACY = 0x03,	/* a 29-byte legacy id (spec 3.4) */
	KTS_SIB_META = 0x04	/* a metadata record (spec 3.5) */
};

/* Decoded metadata fields (spec 3.5); strings point into the signature. */
struct kts_meta {
	const char *client_id;	/* mandatory */
	const char *machine_id;	/* NULL if absent */
	uint64_t seq;		/* sequence number, if has_seq */
	uint64_t req_time;	/* request time in microseconds, if has_req_time */
	uint8_t has_seq;
	uint8_t has_req_time;
	uint8_t has_padding;	/* number of 0x1E padding elements (0, 1, ...) */
};

struct kts_aggr_link {
	uint8_t dir;		/* KTS_LINK_LEFT or KTS_LINK_RIGHT */
	uint8_t kind;		/* enum kts_sib_kind */
	uint8_t has_corr;	/* level correction element present */
	uint64_t corr;		/* level correction (0 if absent) */
	const uint8_t *sib;	/* bytes hashed as the sibling (spec 4.1) */
	size_t sib_len;
	const uint8_t *meta_tlv;	/* whole metadata element (KIND_META) */
	size_t meta_tlv_len;
	struct kts_meta meta;	/* decoded metadata (KIND_META) */
	char legacy_name[26];	/* decoded legacy id name (KIND_LEGACY) */
	struct kts_rawlist unknown;	/* unknown non-critical children */
	struct kts_rawlist meta_unknown;	/* ... inside the metadata */
};

struct kts_aggr_chain {
	const uint8_t *raw;	/* the whole 0x801 element */
	size_t raw_len;
	uint64_t time;		/* aggregation time */
	uint64_t *idx;		/* chain index list, top-most first (owned) */
	size_t n_idx;
	const uint8_t *input_data;	/* 0x04, NULL if absent */
	size_t input_data_len;
	struct kts_imprint input;	/* input hash */
	uint8_t alg;		/* aggregation algorithm */
	struct kts_aggr_link *links;	/* leaf side first (owned) */
	size_t n_links;
	struct kts_rawlist unknown;
};

struct kts_cal_link {
	uint8_t dir;		/* KTS_LINK_LEFT or KTS_LINK_RIGHT */
	struct kts_imprint sib;	/* sibling imprint */
	const uint8_t *sib_raw;	/* the same imprint's bytes in the buffer */
};

struct kts_cal_chain {
	const uint8_t *raw;	/* the whole 0x802 element */
	size_t raw_len;
	uint64_t pub_time;	/* publication time P (0x01) */
	uint64_t aggr_time;	/* aggregation time A (0x02), or P if absent */
	uint8_t has_aggr_time;	/* 0x02 was present */
	struct kts_imprint input;	/* input hash = aggregation root */
	struct kts_cal_link *links;	/* leaf side first (owned) */
	size_t n_links;
	struct kts_rawlist unknown;
};

/* Publication data, tag 0x10 (spec 3.7). */
struct kts_pubdata {
	const uint8_t *raw;	/* the whole 0x10 element, header included */
	size_t raw_len;
	uint8_t flags;		/* header flags as read (N/F) */
	uint64_t time;		/* publication time */
	struct kts_imprint hash;	/* published hash */
	struct kts_rawlist unknown;
};

/* Publication record, 0x803 in a signature / 0x703 in a file (spec 3.7). */
struct kts_pubrec {
	const uint8_t *raw;
	size_t raw_len;
	struct kts_pubdata data;
	const char **refs;	/* publication references (array owned) */
	size_t n_refs;
	const char **uris;	/* repository URIs (array owned) */
	size_t n_uris;
	struct kts_rawlist unknown;
};

/* Signature data, tag 0x0B (spec 3.9). */
struct kts_sigdata {
	const char *type;	/* signature algorithm OID, dotted */
	const uint8_t *value;	/* signature value */
	size_t value_len;
	const uint8_t *cert_id;	/* certificate id (4 bytes for CRC-32 ids) */
	size_t cert_id_len;
	const char *cert_uri;	/* NULL if absent */
	struct kts_rawlist unknown;
};

/* Calendar authentication record, 0x805 (spec 3.9). */
struct kts_calauth {
	const uint8_t *raw;
	size_t raw_len;
	struct kts_pubdata data;
	struct kts_sigdata sig;
	struct kts_rawlist unknown;
};

/* Aggregation authentication record, 0x804 (spec 3.8): parsed, unused. */
struct kts_aggrauth {
	const uint8_t *raw;
	size_t raw_len;
	uint64_t time;
	uint64_t *idx;		/* owned */
	size_t n_idx;
	struct kts_imprint input;
	struct kts_sigdata sig;
	struct kts_rawlist unknown;
};

/* RFC 3161 compatibility record, 0x806 (spec 3.10, 4.7). */
struct kts_rfc3161 {
	const uint8_t *raw;
	size_t raw_len;
	uint64_t time;
	uint64_t *idx;		/* owned */
	size_t n_idx;
	struct kts_imprint input;	/* the document hash */
	const uint8_t *tst_prefix;
	size_t tst_prefix_len;
	const uint8_t *tst_suffix;
	size_t tst_suffix_len;
	uint64_t tst_alg;
	const uint8_t *sa_prefix;
	size_t sa_prefix_len;
	const uint8_t *sa_suffix;
	size_t sa_suffix_len;
	uint64_t sa_alg;
	struct kts_rawlist unknown;
};

struct kts_sig {
	uint8_t *buf;		/* owned copy of the signature bytes */
	size_t len;
	struct kts_aggr_chain *chains;	/* sorted lowest first (owned) */
	size_t n_chains;
	uint8_t has_cal;
	uint8_t has_pubrec;
	uint8_t has_calauth;
	uint8_t has_aggrauth;
	uint8_t has_rfc3161;
	struct kts_cal_chain cal;
	struct kts_pubrec pubrec;
	struct kts_calauth calauth;
	struct kts_aggrauth aggrauth;
	struct kts_rfc3161 rfc3161;
	struct kts_rawlist unknown;
};

/*
 * kts_sig_parse - parse one signature (exactly one 0x800 TLV, spec 3).
 * Returns 0, KTS_ETRUNC, KTS_EFORMAT, KTS_ETOOBIG or KTS_ENOMEM; on
 * failure perr (may be NULL) says where and what.
 * Ownership: the caller frees *out with kts_sig_free(); buf is copied.
 */
int kts_sig_parse(const uint8_t *buf, size_t len, struct kts_sig **out,
    struct kts_perr *perr);

/* kts_sig_free - free a signature; NULL is fine. */
void kts_sig_free(struct kts_sig *sig);

/*
 * kts_sig_serialize - canonical bytes of the signature (spec 1.2, 3.1
 * order; unknown non-critical elements after the known ones).
 * Returns 0, KTS_ETOOBIG or KTS_ENOMEM.
 * Ownership: the caller frees *out with free().
 */
int kts_sig_serialize(const struct kts_sig *sig, uint8_t **out, size_t *len);

/*
 * kts_sig_signing_time - calendar chain's aggregation time, else the
 * lowest aggregation chain's time (spec 9.1).
 */
uint64_t kts_sig_signing_time(const struct kts_sig *sig);

/*
 * kts_sig_doc_hash - the signed document hash: the RFC 3161 record's
 * input if there is one, else the lowest chain's input (spec 9.1).
 * Ownership: borrowed from sig.
 */
const struct kts_imprint *kts_sig_doc_hash(const struct kts_sig *sig);

/*
 * kts_sig_extend - a new signature whose calendar chain is chain (bytes of
 * one 0x802 element) and, if pubrec is not NULL, whose publication record
 * is pubrec (bytes of one 0x803 or 0x703 element, re-tagged 0x803);
 * existing publication and calendar authentication records are dropped
 * (spec 7.12).  Does not verify; callers run the internal policy.
 * Returns 0, KTS_EFORMAT (chain or record does not parse), KTS_ETOOBIG or
 * KTS_ENOMEM.
 * Ownership: the caller frees *out with kts_sig_free().
 */
int kts_sig_extend(const struct kts_sig *sig, const uint8_t *chain,
    size_t chain_len, const uint8_t *pubrec, size_t pubrec_len,
    struct kts_sig **out, struct kts_perr *perr);

/*
 * Parsers for the pieces, for the publications file, PDUs and the
 * extender: each takes an element already read and fills out with views
 * into its buffer.  Return 0, KTS_EFORMAT or KTS_ENOMEM.
 * Ownership: free with the matching kts_*_clear().
 */
int kts_pubdata_parse(const struct kts_tlv *t, struct kts_pubdata *out,
    struct kts_pctx *pc);
void kts_pubdata_clear(struct kts_pubdata *pd);
int kts_pubrec_parse(const struct kts_tlv *t, struct kts_pubrec *out,
    struct kts_pctx *pc);
void kts_pubrec_clear(struct kts_pubrec *pr);
int kts_cal_chain_parse(const struct kts_tlv *t, struct kts_cal_chain *out,
    struct kts_pctx *pc);
void kts_cal_chain_clear(struct kts_cal_chain *c);
int kts_aggr_chain_parse(const struct kts_tlv *t, struct kts_aggr_chain *out,
    struct kts_pctx *pc);
void kts_aggr_chain_clear(struct kts_aggr_chain *c);

#endif
