/*
 * fuzz_tlv.c - fuzz target for the TLV codec (lib/tlv.c, KSI spec 1).
 *
 * Decodes one element, then walks its value as nested TLVs, and every
 * child's value again, down to KTS_MAX_TLV_DEPTH, through kts_tlv_walk()
 * with a rule table that has list, once-only and mandatory tags, so the
 * unknown-critical, unknown-non-critical (kept), repeated and missing
 * paths all run.  Each child is also tried as INT and STR.  Invariants
 * that must hold for any input abort (the fuzzer reports a crash):
 * - a decoded element spans the whole input;
 * - re-encoding the element gives an element with the same tag, flags
 *   and value, byte-identical when the input header was canonical;
 * - kept unknown elements are whole non-critical elements;
 * - the walk's depth counter is back at zero afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NRULES 17

static const struct kts_tlv_rule rules[NRULES];

static int
child(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	const char *s;
	uint64_t v;

	(void)kts_tlv_u64(t, &v);
	(void)kts_tlv_str(t, &s);
	/* Any value may be nested; a leaf that is not is no error here. */
	(void)kts_tlv_walk(t, rules, NRULES, ctx, ctx, pc);
	return 0;
}

static const struct kts_tlv_rule rules[NRULES] = {
	{ 0x01, KTS_R_LIST, child }, { 0x02, KTS_R_LIST, child },
	{ 0x03, KTS_R_LIST, child }, { 0x04, KTS_R_LIST, child },
	{ 0x05, KTS_R_LIST, child }, { 0x06, KTS_R_LIST, child },
	{ 0x07, KTS_R_LIST, child }, { 0x08, KTS_R_LIST, child },
	{ 0x09, 0, child }, { 0x0a, 0, child }, { 0x0b, 0, child },
	{ 0x10, 0, child }, { 0x1e, KTS_R_LIST, child },
	{ 0x1f, KTS_R_MANDATORY, child },
	{ 0x801, KTS_R_LIST | KTS_R_MANDATORY, child },
	{ 0x802, 0, child }, { 0x1003, KTS_R_LIST, child },
};

static void
check_reencode(const struct kts_tlv *t, const uint8_t *data, size_t size)
{
	int canonical = t->hdr_len == (t->tag <= 0x1f && t->len <= 255 ? 2 : 4);
	struct kts_tlv u;
	struct kts_wr wr;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if (kts_wr_tlv(&wr, t->tag, t->flags, t->val, t->len) != 0 ||
	    kts_tlv_parse(wr.p, wr.len, &u, NULL) != 0)
		abort();
	if (u.tag != t->tag || u.len != t->len ||
	    (u.flags & (KTS_TLV_N | KTS_TLV_F)) !=
	    (t->flags & (KTS_TLV_N | KTS_TLV_F)) ||
	    (u.len > 0 && memcmp(u.val, t->val, u.len) != 0))
		abort();
	if (canonical && (wr.len != size || memcmp(wr.p, data, size) != 0))
		abort();
	kts_wr_free(&wr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_rawlist keep = { 0 };
	struct kts_perr perr = { 0 };
	struct kts_pctx pc = { data, &perr, 0 };
	struct kts_tlv t;
	struct kts_tlv k;
	size_t i;

	if (kts_tlv_parse(data, size, &t, &perr) != 0)
		return 0;
	if (t.hdr != data || kts_tlv_size(&t) != size)
		abort();
	check_reencode(&t, data, size);
	(void)child(&keep, &t, &pc);
	if (pc.depth != 0)
		abort();
	for (i = 0; i < keep.n; i++)
		if (kts_tlv_parse(keep.v[i].p, keep.v[i].len, &k, NULL) != 0 ||
		    !(k.flags & KTS_TLV_N))
			abort();
	kts_rawlist_free(&keep);
	return 0;
}
