/*
 * kts_bench_extend.c - "kts-bench extend", a load generator for an
 * extender (KSI spec 7.8, 8.2, 8.3; docs/performance.md), on the
 * generator of kts_bench_net.c.
 *
 * usage: kts-bench extend --url URL --user U --key K [--connections N]
 *            [--depth D] [--seconds S] [--tcp] [-q]
 *
 * One configuration request (0x320 holding 0x04) first gives the
 * calendar's first and last second (0x11, 0x12).  Then N connections to
 * URL are kept busy for S seconds (default 10) with extension requests:
 * A uniformly random in [first, last], P absent (the head) for half of
 * them and uniformly random in [A, last] for the rest.  Each connection
 * carries D requests at a time, pipelined: by default 16 over raw TCP
 * (ksi+tcp://; --tcp insists on it) and 1 over HTTP (keep-alive, one
 * request at a time, as HTTP clients do; D > 1 pipelines HTTP/1.1).
 *
 * Every response is checked: the HMAC with K, status 0, the request id,
 * the login id, and a calendar chain that parses, whose publication time
 * is P (or the head the response names) and whose shape gives A.  A
 * response that fails, a connection lost with requests in flight and a
 * request still unanswered 5 seconds after the end are errors; the first
 * few are described on stderr.
 *
 * Bounded: it only ever connects to the one address URL names, N (256)
 * and D (256) are capped below the server's limits (limits.h), and it
 * stops sending after S seconds.  The last line on stdout is
 * "extend_per_s N p50_ms X p99_ms Y errors Z".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "kts_bench.h"
#include "kts_bench_net.h"
#include "limits.h"
#include "net.h"
#include "pdu.h"
#include "sig.h"
#include "tlv.h"
#include "wr.h"

#define MAX_CONNS 256		/* half the server's KTS_NET_MAX_CONNS */
#define CONF_TIMEOUT_MS 5000

/* The mode's state. */
struct xstate {
	const struct kts_load_opts *o;
	uint64_t first;			/* the calendar's first second */
	uint64_t last;			/* its head when the run began */
	int parsed;			/* resp_id(): the parse's result */
	struct kts_ext_resp er;		/* resp_id(): the response */
};

/* ---- the configuration request ---------------------------------------- */

/* What the configuration answer says. */
struct conf_ans {
	uint8_t has_conf;
	uint8_t has_first;
	uint8_t has_last;
	uint8_t has_error;
	uint64_t first;		/* 0x11 */
	uint64_t last;		/* 0x12 */
	uint64_t status;	/* of an error payload */
};

static int
ca_skip(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return 0;
}

static int
ca_int(const struct kts_tlv *t, struct kts_pctx *pc, uint64_t *out)
{
	if (kts_tlv_u64(t, out) != 0)
		return kts_pfail(pc, KTS_EFORMAT, t, "bad integer");
	return 0;
}

static int
ca_first(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	((struct conf_ans *)ctx)->has_first = 1;
	return ca_int(t, pc, &((struct conf_ans *)ctx)->first);
}

static int
ca_last(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	((struct conf_ans *)ctx)->has_last = 1;
	return ca_int(t, pc, &((struct conf_ans *)ctx)->last);
}

static int
ca_status(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	return ca_int(t, pc, &((struct conf_ans *)ctx)->status);
}

/* Spec 7.8: max requests, parent URIs, first and last second. */
static const struct kts_tlv_rule conf_rules[] = {
	{ 0x04, 0, ca_skip },
	{ 0x10, KTS_R_LIST, ca_skip },
	{ 0x11, 0, ca_first },
	{ 0x12, 0, ca_last },
};

/* Spec 7.9: status and message. */
static const struct kts_tlv_rule err_rules[] = {
	{ 0x04, KTS_R_MANDATORY, ca_status },
	{ 0x05, 0, ca_skip },
};

static int
ca_conf(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	((struct conf_ans *)ctx)->has_conf = 1;
	return kts_tlv_walk(t, conf_rules, sizeof(conf_rules) /
	    sizeof(conf_rules[0]), ctx, NULL, pc);
}

static int
ca_error(void *ctx, const struct kts_tlv *t, struct kts_pctx *pc)
{
	((struct conf_ans *)ctx)->has_error = 1;
	return kts_tlv_walk(t, err_rules, sizeof(err_rules) /
	    sizeof(err_rules[0]), ctx, NULL, pc);
}

static const struct kts_tlv_rule conf_resp_rules[] = {
	{ 0x01, 0, ca_skip },
	{ 0x02, 0, ca_skip },
	{ 0x03, 0, ca_error },
	{ 0x04, 0, ca_conf },
	{ 0x1f, 0, ca_skip },
};

/* Parse and check the configuration answer; 0 or -1 (said why). */
static int
conf_parse(const struct kts_load_opts *o, const uint8_t *buf, size_t len,
    struct conf_ans *ca)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_pctx pc = { buf, &pe, 0 };
	struct kts_tlv top;
	int r;

	memset(ca, 0, sizeof(*ca));
	if ((r = kts_tlv_parse(buf, len, &top, &pe)) == 0 &&
	    top.tag != KTS_TAG_EXT_RESP)
		r = kts_pfail(&pc, KTS_EFORMAT, &top, "not an extension "
		    "response PDU (tag 0x321)");
	if (r == 0)
		r = kts_tlv_walk(&top, conf_resp_rules,
		    sizeof(conf_resp_rules) / sizeof(conf_resp_rules[0]), ca,
		    NULL, &pc);
	if (r != 0) {
		fprintf(stderr, "kts-bench: the configuration answer does not "
		    "parse at offset %zu: %s\n", pe.off, pe.what != NULL ?
		    pe.what : kts_strerror(r));
		return -1;
	}
	if (ca->has_error) {
		fprintf(stderr, "kts-bench: the extender refused the "
		    "configuration request: status 0x%04llx (%s)\n",
		    (unsigned long long)ca->status,
		    kts_status_str(ca->status, 1));
		return -1;
	}
	if (kts_pdu_hmac_check(buf, len, o->key, o->keylen) != 0) {
		fputs("kts-bench: the configuration answer's HMAC does not "
		    "check (wrong --key?)\n", stderr);
		return -1;
	}
	if (!ca->has_conf || !ca->has_first || !ca->has_last ||
	    ca->first == 0 || ca->first > ca->last) {
		fputs("kts-bench: the configuration answer has no usable "
		    "first and last second (0x11, 0x12)\n", stderr);
		return -1;
	}
	return 0;
}

/* Ask the extender for its first and last second. */
static int
conf_get(struct xstate *xs)
{
	const struct kts_load_opts *o = xs->o;
	struct conf_ans ca;
	struct kts_wr wr;
	uint8_t *resp = NULL;
	size_t len = 0;
	char why[256];
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_conf_req_build(&wr, KTS_TAG_EXT_REQ, o->user, o->key,
	    o->keylen, KTS_HASH_SHA256)) == 0 &&
	    (r = kts_net_exchange(o->url, wr.p, wr.len, CONF_TIMEOUT_MS,
	    &resp, &len, why, sizeof(why))) != 0)
		fprintf(stderr, "kts-bench: configuration request: %s\n", why);
	else if (r != 0)
		fprintf(stderr, "kts-bench: %s\n", kts_strerror(r));
	kts_wr_free(&wr);
	if (r == 0 && (r = conf_parse(o, resp, len, &ca)) == 0) {
		xs->first = ca.first;
		xs->last = ca.last;
	}
	free(resp);
	return r == 0 ? 0 : -1;
}

/* ---- requests and responses ------------------------------------------- */

/* A uniform value in [lo, hi] (lo <= hi). */
static uint64_t
rnd_in(struct kts_load *ld, uint64_t lo, uint64_t hi)
{
	return lo + kts_load_rand(ld) % (hi - lo + 1);
}

static int
x_build(void *arg, struct kts_load *ld, struct kts_flight *f,
    struct kts_wr *wr)
{
	struct xstate *xs = arg;
	const struct kts_load_opts *o = xs->o;

	f->u.ext.a = rnd_in(ld, xs->first, xs->last);
	f->u.ext.p = (kts_load_rand(ld) & 1) != 0 ? 0 :
	    rnd_in(ld, f->u.ext.a, xs->last);
	return kts_ext_req_build(wr, o->user, o->key, o->keylen,
	    KTS_HASH_SHA256, f->id, f->u.ext.a, f->u.ext.p);
}

/* Parse the response (HMAC included); its id if it parsed. */
static int
x_resp_id(void *arg, const uint8_t *pdu, size_t len, uint64_t *id)
{
	struct xstate *xs = arg;

	xs->parsed = kts_ext_resp_parse(pdu, len, xs->o->key, xs->o->keylen,
	    &xs->er, NULL);
	*id = xs->er.req_id;
	return xs->parsed;
}

/* The chain in a good response: parses, and its times fit f. */
static const char *
check_chain(const struct kts_ext_resp *er, const struct kts_flight *f)
{
	struct kts_pctx pc = { er->chain, NULL, 0 };
	struct kts_cal_chain cc;
	struct kts_tlv t;
	const char *why = NULL;
	uint64_t a = 0;

	memset(&cc, 0, sizeof(cc));
	if (kts_tlv_parse(er->chain, er->chain_len, &t, NULL) != 0 ||
	    t.tag != 0x802 || kts_cal_chain_parse(&t, &cc, &pc) != 0)
		why = "the calendar chain does not parse";
	else if (cc.pub_time != (f->u.ext.p != 0 ? f->u.ext.p :
	    er->cal_last) || (f->u.ext.p == 0 && !er->has_cal_last))
		why = "the chain ends at the wrong second";
	else if (!cc.has_aggr_time || cc.aggr_time != f->u.ext.a ||
	    kts_cal_chain_time(&cc, &a) != 0 || a != f->u.ext.a)
		why = "the chain starts at the wrong second";
	kts_cal_chain_clear(&cc);
	return why;
}

/* The response resp_id() parsed, against the request f. */
static const char *
x_check(void *arg, const struct kts_flight *f, const uint8_t *pdu,
    size_t len)
{
	const struct xstate *xs = arg;
	const struct kts_ext_resp *er = &xs->er;

	if (xs->parsed != 0)
		return xs->parsed == KTS_EVERIFY ? "the HMAC does not check" :
		    "the response does not parse";
	if (er->has_error || er->status != 0)
		return kts_status_str(er->status, 1);
	if (er->hmac_alg != KTS_HASH_SHA256)
		return "the HMAC algorithm is not the request's";
	if (er->login_id == NULL || strcmp(er->login_id, xs->o->user) != 0)
		return "the login id is not ours";
	if (er->chain == NULL)
		return "no calendar chain";
	return check_chain(er, f);
}

static void
x_describe(void *arg, const struct kts_flight *f, char *buf, size_t n)
{
	snprintf(buf, n, "request %llu (A %llu, P %llu)",
	    (unsigned long long)f->id, (unsigned long long)f->u.ext.a,
	    (unsigned long long)f->u.ext.p);
}

static void
x_report(void *arg)
{
	const struct xstate *xs = arg;

	printf("calendar seconds %llu..%llu (%llu)\n",
	    (unsigned long long)xs->first, (unsigned long long)xs->last,
	    (unsigned long long)(xs->last - xs->first + 1));
}

/* ---- arguments -------------------------------------------------------- */

static int
usage(FILE *fp)
{
	fputs("usage: kts-bench extend --url URL --user USER --key KEY\n"
	    "           [--connections N] [--depth D] [--seconds S] [--rate R] "
	    "[--tcp] [-q]\n"
	    "  URL is http://, ksi+http:// or ksi+tcp://HOST:PORT; N 1..256 "
	    "(default 8),\n"
	    "  D 1..256 requests in flight per connection (default 16 on "
	    "raw TCP, 1 on\n"
	    "  HTTP), S 1..3600 (default 10); --rate R: open loop, as for "
	    "sign.\n", fp);
	return 3;
}

int
kts_bench_extend(int argc, char **argv)
{
	static struct xstate xs;
	struct kts_load_mode m = {
		.server = "extender", .rate = "extend_per_s",
		.max_conns = MAX_CONNS, .conns_tcp = 8, .conns_http = 8,
		.depth_tcp = 16, .seconds = 10,
		.build = x_build, .resp_id = x_resp_id, .check = x_check,
		.describe = x_describe, .report = x_report, .arg = &xs,
	};
	struct kts_load_opts o;
	struct kts_load *ld = NULL;
	int rc = 1;
	int r;

	if ((r = kts_load_args(&m, 1, argc, argv, &o)) > 0) {
		usage(stdout);
		return 0;
	} else if (r < 0)
		return usage(stderr);
	xs.o = &o;
	if (kts_load_new(&m, &o, &ld) != 0 || conf_get(&xs) != 0)
		goto out;
	if (xs.last - xs.first < 10)
		fprintf(stderr, "kts-bench: warning: the calendar holds only "
		    "%llu seconds; chains are short\n",
		    (unsigned long long)(xs.last - xs.first + 1));
	if (kts_load_run(ld) != 0)
		goto out;
	kts_load_report(ld);
	rc = 0;
out:
	kts_load_free(ld);
	return rc;
}
