/*
 * kts_bench_sign.c - "kts-bench sign", a load generator for an aggregator
 * or the calendar's signing service (KSI spec 7.4, 7.5, 7.11, 8.2, 8.3;
 * docs/performance.md), on the generator of kts_bench_net.c.
 *
 * usage: kts-bench sign --url URL --user U --key K [--connections N]
 *            [--depth D] [--seconds S] [--rate R] [--tcp] [--no-verify] [-q]
 *            [--metrics URL]
 *
 * N connections to URL are kept busy for S seconds (default 10) with
 * aggregation requests (PDU v2, HMAC-SHA-256 with K) for random SHA-256
 * hashes, level 0.  A signing service answers only when its round ends
 * (about 100 ms at an aggregator, 1 s at the calendar), so many requests
 * must wait at once: by default 8 connections with 64 PDUs in flight
 * each over raw TCP (ksi+tcp://; --tcp insists on it), and 64 connections
 * with one request each over HTTP (keep-alive, as an HTTP client sends
 * them; D > 1 pipelines HTTP/1.1).
 *
 * Every response is checked as a client would before keeping the
 * signature (spec 7.11): it parses, the HMAC algorithm is SHA-256 and the
 * HMAC checks with K, the request id is ours (over HTTP, the oldest
 * request's: answers come in request order), the status is 0, the header
 * names our login id, the payload turns into a signature
 * (kts_aggr_resp_to_sig()) whose input hash is the hash sent, and unless
 * --no-verify that signature passes the internal policy with that hash
 * as the document hash.  Anything else is an error.
 *
 * Bounded as the generator is: N <= 16384 (a server may take fewer: the
 * calendar closes connections past its KTS_NET_MAX_CONNS), D <= 256.
 * The last line on stdout is "sign_per_s N p50_ms X p99_ms Y errors Z".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "hash.h"
#include "kts_bench.h"
#include "kts_bench_net.h"
#include "pdu.h"
#include "rd.h"
#include "sig.h"
#include "tlv.h"
#include "verify.h"
#include "wr.h"

/* The mode's state. */
struct sstate {
	const struct kts_load_opts *o;
	const char *login;	/* resp_id(): the header's login id, or NULL */
	char why[256];		/* s_check()'s message */
	const char *metrics;	/* --metrics: the server's /metrics URL */
	struct kts_scrape before;	/* its histograms before the run */
	struct kts_scrape after;	/* and after */
	int scraped;		/* both were read */
};

/* The server's figures settle once every thread published (a round). */
#define SCRAPE_SETTLE_US 300000

/* The SHA-256 imprint of the digest d. */
static void
imprint(const uint8_t *d, struct kts_imprint *out)
{
	memset(out, 0, sizeof(*out));
	out->alg = KTS_HASH_SHA256;
	out->len = 32;
	memcpy(out->d, d, 32);
}

static int
s_build(void *arg, struct kts_load *ld, struct kts_flight *f,
    struct kts_wr *wr)
{
	const struct sstate *ss = arg;
	const struct kts_load_opts *o = ss->o;
	struct kts_imprint h;
	uint64_t x;
	size_t i;

	for (i = 0; i < sizeof(f->u.hash); i += 8) {
		x = kts_load_rand(ld);
		memcpy(f->u.hash + i, &x, 8);
	}
	imprint(f->u.hash, &h);
	return kts_aggr_req_build(wr, o->user, o->key, o->keylen,
	    KTS_HASH_SHA256, f->id, &h, 0);
}

/* The first child of parent with tag; 0 or -1. */
static int
child(const struct kts_tlv *parent, uint16_t tag, struct kts_tlv *out)
{
	struct kts_rd rd;

	kts_rd_init(&rd, parent->val, parent->len);
	while (kts_rd_left(&rd) > 0) {
		if (kts_tlv_read(&rd, out) != 0)
			return -1;
		if (out->tag == tag)
			return 0;
	}
	return -1;
}

/*
 * The request id of the response payload and the header's login id (spec
 * 7.2, 7.5), read without checking anything else: s_check() does that.
 */
static int
s_resp_id(void *arg, const uint8_t *pdu, size_t len, uint64_t *id)
{
	struct sstate *ss = arg;
	struct kts_tlv top;
	struct kts_tlv t;
	struct kts_tlv v;

	ss->login = NULL;
	if (kts_tlv_parse(pdu, len, &top, NULL) != 0 ||
	    top.tag != KTS_TAG_AGGR_RESP)
		return -1;
	if (child(&top, 0x01, &t) == 0 && child(&t, 0x01, &v) == 0 &&
	    kts_tlv_str(&v, &ss->login) != 0)
		ss->login = NULL;
	if (child(&top, 0x02, &t) != 0 || child(&t, 0x01, &v) != 0 ||
	    kts_tlv_u64(&v, id) != 0)
		return -1;
	return 0;
}

/* The signature of a good response, against the hash h sent. */
static const char *
check_sig(struct sstate *ss, const struct kts_sig *sig,
    const struct kts_imprint *h)
{
	const struct kts_imprint *in = kts_sig_doc_hash(sig);
	struct kts_vresult res;
	struct kts_vctx ctx;

	if (ss->login == NULL || strcmp(ss->login, ss->o->user) != 0)
		return "the login id is not ours";
	if (in == NULL || !kts_imprint_eq(in, h))
		return "the signature's input hash is not the hash sent";
	if (ss->o->no_verify)
		return NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_hash = h;
	if (kts_verify(sig, KTS_POL_INTERNAL, &ctx, &res) != 0)
		return "the internal policy could not run";
	if (res.verdict == KTS_V_OK)
		return NULL;
	snprintf(ss->why, sizeof(ss->why), "the signature does not verify: "
	    "%s %s", kts_vcode_str(res.code), res.detail != NULL ?
	    res.detail : "");
	return ss->why;
}

/* A response against the request f (spec 7.11). */
static const char *
s_check(void *arg, const struct kts_flight *f, const uint8_t *pdu,
    size_t len)
{
	struct sstate *ss = arg;
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_sig *sig = NULL;
	struct kts_imprint h;
	const char *msg = NULL;
	const char *why;
	uint64_t st = 0;
	int r;

	r = kts_aggr_resp_to_sig(pdu, len, ss->o->key, ss->o->keylen,
	    KTS_HASH_SHA256, f->id, 0, &st, &msg, &sig, &pe);
	if (r != 0) {
		snprintf(ss->why, sizeof(ss->why), "%s at offset %zu: %s",
		    r == KTS_EVERIFY ? "refused" : "does not parse", pe.off,
		    pe.what != NULL ? pe.what : kts_strerror(r));
		return ss->why;
	}
	if (st != 0) {
		snprintf(ss->why, sizeof(ss->why), "status 0x%04llx (%s)%s%.64s",
		    (unsigned long long)st, kts_status_str(st, 0),
		    msg != NULL ? ": " : "", msg != NULL ? msg : "");
		return ss->why;
	}
	imprint(f->u.hash, &h);
	why = check_sig(ss, sig, &h);
	kts_sig_free(sig);
	return why;
}

static void
s_describe(void *arg, const struct kts_flight *f, char *buf, size_t n)
{
	snprintf(buf, n, "request %llu (SHA-256:%02x%02x%02x%02x%02x%02x...)",
	    (unsigned long long)f->id, f->u.hash[0], f->u.hash[1],
	    f->u.hash[2], f->u.hash[3], f->u.hash[4], f->u.hash[5]);
}

static void
s_report(void *arg)
{
	const struct sstate *ss = arg;

	printf("random SHA-256 hashes; signatures checked against them%s\n",
	    ss->o->no_verify ? "" : " and the internal policy");
	if (ss->scraped)
		kts_scrape_report(&ss->before, &ss->after);
}

/*
 * Take "--metrics URL" out of argv (into ss->metrics), leaving the rest
 * for kts_load_args() in args.  Returns the count left, or -1 when URL
 * is missing.
 */
static int
take_metrics(struct sstate *ss, int argc, char **argv, char **args)
{
	int n = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--metrics") == 0) {
			if (i + 1 >= argc)
				return -1;
			ss->metrics = argv[++i];
		} else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	return n;
}

/*
 * Open loop with fewer requests in flight than a second's worth: a
 * signature waits for its calendar second (0.5-1.2 s through a leaf), so
 * the generator runs out of room and the rate done falls below the rate
 * asked; the requests it cannot send count as errors, but say why now.
 */
static void
warn_room(const struct kts_load *ld, const struct kts_load_opts *o)
{
	uint64_t room = kts_load_room(ld);

	if (o->rate > 0 && room < o->rate)
		fprintf(stderr, "kts-bench: warning: %llu requests in flight "
		    "(connections x depth) is less than --rate %llu: a "
		    "signature takes about a second, so many requests will "
		    "find no room (give at least 2 x rate)\n",
		    (unsigned long long)room, (unsigned long long)o->rate);
}

static int
usage(FILE *fp)
{
	fputs("usage: kts-bench sign --url URL --user USER --key KEY\n"
	    "           [--connections N] [--depth D] [--seconds S] [--rate R] "
	    "[--tcp]\n           [--no-verify] [--metrics URL] [-q]\n"
	    "  URL is http://, ksi+http:// or ksi+tcp://HOST:PORT; N 1..16384 "
	    "(default 8 on\n"
	    "  raw TCP, 64 on HTTP), D 1..256 requests in flight per "
	    "connection (default 64\n"
	    "  on raw TCP, 1 on HTTP), S 1..3600 (default 10).  --no-verify "
	    "skips the\n"
	    "  internal policy on each signature (the other checks stay).\n"
	    "  --rate R: open loop, R requests a second at even times once "
	    "every\n  connection is up, each on the next connection with room "
	    "(none free: an\n  error); latency from the scheduled time.  "
	    "Default: closed loop.\n"
	    "  --metrics URL: the server's /metrics (an aggregator's) before "
	    "and after the\n  run; prints what it measured itself: "
	    "server_latency_ms, server_parent_ms\n  and server_own_ms "
	    "(p99 against its round period plus 50 ms).\n", fp);
	return 3;
}

int
kts_bench_sign(int argc, char **argv)
{
	static struct sstate ss;
	struct kts_load_mode m = {
		.server = "signing service", .rate = "sign_per_s",
		.no_verify_ok = 1, .max_conns = KTS_LOAD_MAX_CONNS,
		.conns_tcp = 8, .conns_http = 64, .depth_tcp = 64,
		.seconds = 10,
		.build = s_build, .resp_id = s_resp_id, .check = s_check,
		.describe = s_describe, .report = s_report, .arg = &ss,
	};
	struct kts_load_opts o;
	struct kts_load *ld = NULL;
	char **args;
	char why[256];
	int rc = 1;
	int n;
	int r;

	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL) {
		fprintf(stderr, "kts-bench: out of memory\n");
		return 1;
	}
	if ((n = take_metrics(&ss, argc, argv, args)) < 0) {
		fprintf(stderr, "kts-bench: --metrics needs a URL\n");
		free(args);
		return usage(stderr);
	}
	r = kts_load_args(&m, 1, n, args, &o);
	if (r > 0) {
		free(args);
		usage(stdout);
		return 0;
	} else if (r < 0) {
		free(args);
		return usage(stderr);
	}
	ss.o = &o;
	if (ss.metrics != NULL && kts_scrape_get(ss.metrics, &ss.before, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "kts-bench: --metrics: %s\n", why);
		goto out;
	}
	if (kts_load_new(&m, &o, &ld) != 0)
		goto out;
	warn_room(ld, &o);
	if (kts_load_run(ld) != 0)
		goto out;
	if (ss.metrics != NULL) {
		usleep(SCRAPE_SETTLE_US);
		if (kts_scrape_get(ss.metrics, &ss.after, why,
		    sizeof(why)) == 0)
			ss.scraped = 1;
		else
			fprintf(stderr, "kts-bench: --metrics after the run: "
			    "%s\n", why);
	}
	kts_load_report(ld);
	rc = 0;
out:
	kts_load_free(ld);
	free(args);
	return rc;
}
