/*
 * verify.h - KSI verification policies and rules (KSI spec section 9).
 *
 * Every rule yields OK, NA or FAIL; a policy is an ordered list of rules
 * and the first decisive rule names the result code (spec 9.2).  The
 * rule order below is the spec's and decides which code a broken
 * signature gets.
 */
#ifndef KTS_VERIFY_H
#define KTS_VERIFY_H

#include <stdint.h>

#include "hash.h"
#include "sig.h"

struct kts_pubfile;

enum kts_verdict {
	KTS_V_OK = 0,
	KTS_V_NA = 1,		/* inconclusive */
	KTS_V_FAIL = 2
};

/* Result codes with libksi's numeric values (spec 9.1). */
enum kts_vcode {
	KTS_VC_NONE = 0,
	KTS_VC_GEN_1 = 0x101, KTS_VC_GEN_2, KTS_VC_GEN_3, KTS_VC_GEN_4,
	KTS_VC_INT_1 = 0x201, KTS_VC_INT_2, KTS_VC_INT_3, KTS_VC_INT_4,
	KTS_VC_INT_5, KTS_VC_INT_6, KTS_VC_INT_7, KTS_VC_INT_8, KTS_VC_INT_9,
	KTS_VC_INT_10, KTS_VC_INT_11, KTS_VC_INT_12, KTS_VC_INT_13,
	KTS_VC_INT_14, KTS_VC_INT_15, KTS_VC_INT_16, KTS_VC_INT_17,
	KTS_VC_PUB_1 = 0x301, KTS_VC_PUB_2, KTS_VC_PUB_3, KTS_VC_PUB_4,
	KTS_VC_PUB_5,
	KTS_VC_KEY_1 = 0x401, KTS_VC_KEY_2, KTS_VC_KEY_3,
	KTS_VC_CAL_1 = 0x501, KTS_VC_CAL_2, KTS_VC_CAL_3, KTS_VC_CAL_4
};

enum kts_policy {
	KTS_POL_INTERNAL = 0,
	KTS_POL_KEY,
	KTS_POL_CALENDAR,
	KTS_POL_PUBFILE,
	KTS_POL_USERPUB,
	KTS_POL_GENERAL
};

/*
 * kts_vcode_str - "GEN-01", "INT-04", ... ("" for KTS_VC_NONE).
 * kts_vcode_msg - one sentence saying what the code means.
 * Ownership: static strings.
 */
const char *kts_vcode_str(int code);
const char *kts_vcode_msg(int code);

/* kts_policy_name - "internal", "key", "calendar", "publicationsFile",
 * "userPublication" or "general" (the test pack's names). */
const char *kts_policy_name(enum kts_policy p);

/*
 * The extender: give the calendar chain from aggr_time to pub_time
 * (pub_time 0 = the calendar head) as the bytes of one 0x802 element.
 * Returns 0 or an error (the rule then yields NA, GEN-2).
 * Ownership: the callee allocates *out; the verifier frees it.
 */
typedef int (*kts_extend_fn)(void *arg, uint64_t aggr_time, uint64_t pub_time,
    uint8_t **out, size_t *len);

/* What the verifier may use besides the signature (spec 9.1 "context"). */
struct kts_vctx {
	const struct kts_imprint *doc_hash;	/* NULL: not checked */
	unsigned level;			/* declared input level (0..255) */
	const struct kts_pubfile *pubfile;	/* verified file, or NULL */
	uint8_t has_user_pub;		/* a user publication is given */
	uint64_t user_pub_time;
	struct kts_imprint user_pub_hash;
	uint8_t extend_ok;		/* extending is permitted */
	kts_extend_fn extend;		/* NULL: no extender */
	void *extend_arg;
};

/* The outcome and what was computed on the way. */
struct kts_vresult {
	enum kts_verdict verdict;
	int code;			/* enum kts_vcode; NONE when OK */
	enum kts_policy policy;		/* the policy that decided */
	const char *detail;		/* static text: which rule, why */
	uint8_t has_aggr_root;
	struct kts_imprint aggr_root;	/* output of the top chain */
	uint8_t has_cal_root;
	struct kts_imprint cal_root;	/* root of the calendar chain */
	uint64_t aggr_time;		/* signing time */
	uint8_t has_pub_time;
	uint64_t pub_time;		/* calendar chain publication time */
};

/*
 * kts_verify - run policy pol over sig with ctx.
 * Returns 0 when the policy ran (the verdict is in res, whatever it is),
 * or KTS_ENOMEM / KTS_EINTERNAL when it could not run.
 */
int kts_verify(const struct kts_sig *sig, enum kts_policy pol,
    const struct kts_vctx *ctx, struct kts_vresult *res);

#endif
