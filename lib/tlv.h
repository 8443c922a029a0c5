/*
 * tlv.h - the KSI TLV codec (KSI spec section 1).
 *
 * Decoding gives views (struct kts_tlv) that point into the caller's
 * buffer; nothing is copied.  Structures are decoded by a table of rules
 * (struct kts_tlv_rule) run by kts_tlv_walk(), which enforces the spec's
 * consumer rules: unknown critical children are rejected, unknown
 * non-critical ones are skipped (and can be kept), non-list elements may
 * not repeat, mandatory ones must be present.
 *
 * Encoding writes canonical headers: TLV8 iff tag <= 0x1f and length <= 255
 * (spec 1.2).
 */
#ifndef KTS_TLV_H
#define KTS_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "rd.h"
#include "wr.h"

#define KTS_TLV_16 0x80		/* header bit: long (TLV16) form */
#define KTS_TLV_N 0x40		/* header bit: non-critical */
#define KTS_TLV_F 0x20		/* header bit: forward */
#define KTS_TLV_MAX_TAG 0x1fff

/* One decoded element, a view into the buffer it was read from. */
struct kts_tlv {
	uint16_t tag;		/* 0..0x1fff */
	uint8_t flags;		/* KTS_TLV_N | KTS_TLV_F | KTS_TLV_16 as read */
	const uint8_t *hdr;	/* first header byte = start of the element */
	size_t hdr_len;		/* 2 (TLV8) or 4 (TLV16) */
	const uint8_t *val;	/* first value byte */
	size_t len;		/* value length */
};

/* A borrowed byte range, for unknown elements kept for re-encoding. */
struct kts_raw {
	const uint8_t *p;	/* borrowed */
	size_t len;
};

/* A growable list of borrowed ranges (the array itself is owned). */
struct kts_rawlist {
	struct kts_raw *v;	/* owned array, NULL when n == 0 */
	size_t n;
};

/* kts_rawlist_free - free the array (not the bytes it points at). */
void kts_rawlist_free(struct kts_rawlist *l);

/* kts_rawlist_add - append one range.  Returns 0 or KTS_ENOMEM. */
int kts_rawlist_add(struct kts_rawlist *l, const uint8_t *p, size_t len);

/*
 * kts_tlv_read - read one element from rd.  Returns 0, or KTS_ETRUNC if
 * the header or value runs past the end (rd is then untouched).
 */
int kts_tlv_read(struct kts_rd *rd, struct kts_tlv *out);

/*
 * kts_tlv_parse - decode a buffer holding exactly one element.
 * Returns 0, KTS_ETRUNC, or KTS_EFORMAT for trailing bytes; fills perr.
 */
int kts_tlv_parse(const uint8_t *p, size_t len, struct kts_tlv *out,
    struct kts_perr *perr);

/* kts_tlv_size - bytes of the whole element (header plus value). */
size_t kts_tlv_size(const struct kts_tlv *t);

/*
 * kts_tlv_u64 - decode an INT value (spec 1.4): at most 8 bytes, no
 * leading zero byte, empty = 0.  Returns 0 or KTS_EFORMAT.
 */
int kts_tlv_u64(const struct kts_tlv *t, uint64_t *out);

/*
 * kts_tlv_str - decode a STR value (spec 1.4): UTF-8, one terminating
 * zero byte that belongs to the value, no other zero byte.
 * Returns 0 or KTS_EFORMAT.
 * Ownership: *out points into the element's buffer and is NUL-terminated.
 */
int kts_tlv_str(const struct kts_tlv *t, const char **out);

/* kts_utf8_valid - the spec 1.4 UTF-8 structure check on n bytes. */
int kts_utf8_valid(const uint8_t *p, size_t n);

/*
 * Parse context shared by the rules of one decode: the start of the
 * outermost buffer (so errors carry absolute offsets), the failure record
 * and the nesting depth.
 */
struct kts_pctx {
	const uint8_t *base;	/* start of the outermost buffer */
	struct kts_perr *perr;	/* may be NULL */
	int depth;		/* current nesting, bounded by KTS_MAX_TLV_DEPTH */
};

#define KTS_R_MANDATORY 0x01	/* must occur at least once */
#define KTS_R_LIST 0x02		/* may occur more than once */

/* One child rule of a structure. */
struct kts_tlv_rule {
	uint16_t tag;		/* child tag */
	uint8_t flags;		/* KTS_R_MANDATORY | KTS_R_LIST */
	int (*fn)(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc);
};

/*
 * kts_tlv_walk - decode the children of parent by rules.  Each known
 * child is passed to its rule's fn; unknown non-critical children are
 * appended to keep (if not NULL) and otherwise skipped.
 * Returns 0, the first non-zero fn result, or KTS_EFORMAT (child past the
 * parent's end, unknown critical child, repeated non-list child, missing
 * mandatory child, nesting too deep), with perr filled.
 */
int kts_tlv_walk(const struct kts_tlv *parent, const struct kts_tlv_rule *rules,
    size_t nrules, void *ctx, struct kts_rawlist *keep, struct kts_pctx *pc);

/*
 * kts_tlv_get_u64 - kts_tlv_u64() for a rule handler: on a malformed INT
 * the failure is recorded in pc.  Returns 0 or KTS_EFORMAT.
 */
int kts_tlv_get_u64(const struct kts_tlv *t, struct kts_pctx *pc,
    uint64_t *out);

/*
 * kts_pfail - record a failure at element t in pc and return r.
 */
int kts_pfail(struct kts_pctx *pc, int r, const struct kts_tlv *t,
    const char *what);

/*
 * Encoding.  kts_wr_tlv_begin() writes a placeholder header and returns
 * its position in *mark; kts_wr_tlv_end() fixes the length, switching to
 * the TLV16 form when the value grew past 255 bytes.  Flags are
 * KTS_TLV_N | KTS_TLV_F.  All return 0, KTS_ETOOBIG or KTS_ENOMEM.
 */
int kts_wr_tlv_begin(struct kts_wr *wr, uint16_t tag, uint8_t flags,
    size_t *mark);
int kts_wr_tlv_end(struct kts_wr *wr, size_t mark);

/* kts_wr_tlv - one element with the given value bytes. */
int kts_wr_tlv(struct kts_wr *wr, uint16_t tag, uint8_t flags,
    const void *val, size_t len);

/* kts_wr_tlv_u64 - one INT element, minimal length. */
int kts_wr_tlv_u64(struct kts_wr *wr, uint16_t tag, uint8_t flags,
    uint64_t v);

/* kts_wr_tlv_str - one STR element (s plus its terminating zero). */
int kts_wr_tlv_str(struct kts_wr *wr, uint16_t tag, uint8_t flags,
    const char *s);

#endif
