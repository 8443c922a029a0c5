/*
 * kts_bench_net.c - "kts-bench extend", a load generator for an extender
 * (KSI spec 7.8, 8.2, 8.3; docs/performance.md).
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
 * request still unanswered GRACE_S seconds after the end are errors; the
 * first few are described on stderr.
 *
 * Bounded: it only ever connects to the one address URL names, N and D
 * are capped below the server's limits (limits.h), and it stops sending
 * after S seconds.  Progress goes to stderr once a second unless -q; the
 * last line on stdout is "extend_per_s N p50_ms X p99_ms Y errors Z":
 * good responses per second of wall time from the first request to the
 * last response, and the time from queueing a request to reading its
 * response.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "chain.h"
#include "err.h"
#include "kts_bench.h"
#include "limits.h"
#include "net.h"
#include "pdu.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"
#include "wr.h"

#define DEF_CONNS 8
#define MAX_CONNS 256		/* half the server's KTS_NET_MAX_CONNS */
#define DEF_DEPTH 16
#define MAX_DEPTH 256		/* a quarter of KTS_NET_MAX_PENDING */
#define GRACE_S 5		/* wait this long for answers after the end */
#define CONF_TIMEOUT_MS 5000
#define MAX_SHOWN 10		/* errors described on stderr */
#define MAX_HTTP_HEAD 8192	/* as KTS_NET_MAX_HTTP_HEADER */
#define MAX_BATCH (MAX_DEPTH * 2048u) /* requests queued at once, bytes */
#define H_SUB 256		/* latency buckets per power of two (<0.4 %) */
#define H_BUCKETS (H_SUB * 32)	/* up to 2^38 us */
#define NS 1000000000ull

struct xopts {
	const char *url;
	const char *user;
	const char *key;
	size_t keylen;
	size_t conns;		/* --connections */
	size_t depth;		/* --depth; 0: DEF_DEPTH on raw TCP, 1 on HTTP */
	uint64_t seconds;	/* --seconds */
	int tcp;		/* --tcp: the URL must be ksi+tcp:// */
	int quiet;		/* -q: no progress lines */
};

/* A request in flight. */
struct flight {
	uint64_t id;		/* request id */
	uint64_t a;		/* aggregation time asked for */
	uint64_t p;		/* publication time asked for; 0: the head */
	uint64_t sent_ns;	/* when it was queued */
};

struct run;

/* One connection to the extender. */
struct conn {
	struct run *run;
	struct bufferevent *bev;	/* NULL once lost */
	struct flight *fl;		/* ring of run->depth entries (owned) */
	size_t head;			/* oldest request in flight */
	size_t n;			/* requests in flight */
	int in_body;			/* HTTP: the header is read, clen next */
	size_t clen;			/* HTTP: the body's Content-Length */
};

/* The whole run. */
struct run {
	const struct xopts *o;
	struct evhttp_uri *uri;		/* the URL (owned) */
	int tcp;			/* raw TCP, else HTTP */
	struct evutil_addrinfo *ai;	/* the URL's first address (owned) */
	char *http_prefix;		/* "POST ... Content-Length: " (owned) */
	size_t http_prefix_len;
	struct event_base *base;
	struct event *tick;		/* once a second */
	struct conn *c;			/* o->conns connections (owned) */
	size_t depth;			/* requests in flight per connection */
	size_t open;			/* connections not lost */
	size_t in_flight;		/* over all connections */
	uint64_t first;			/* the calendar's first second */
	uint64_t last;			/* its head when the run began */
	uint64_t next_id;		/* the next request id */
	uint64_t rng;			/* xorshift64* state, never 0 */
	uint64_t t0;			/* start, ns */
	uint64_t t_last;		/* last response, ns */
	double cpu;			/* our CPU seconds during the load */
	uint64_t elapsed_s;		/* whole seconds ticked */
	int stopping;			/* S is over: send no more */
	uint64_t sent;
	uint64_t ok;
	uint64_t ok_prev;		/* ok at the previous tick */
	uint64_t errors;
	unsigned shown;			/* errors described so far */
	uint32_t hist[H_BUCKETS];	/* latency histogram, see slot() */
};

static void fail(struct run *rn, uint64_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: plenty for picking seconds, and no libc state. */
static uint64_t
rnd(struct run *rn)
{
	rn->rng ^= rn->rng >> 12;
	rn->rng ^= rn->rng << 25;
	rn->rng ^= rn->rng >> 27;
	return rn->rng * 2685821657736338717ull;
}

/* A uniform value in [lo, hi] (lo <= hi). */
static uint64_t
rnd_in(struct run *rn, uint64_t lo, uint64_t hi)
{
	return lo + rnd(rn) % (hi - lo + 1);
}

/* Count n errors; describe the first MAX_SHOWN. */
static void
fail(struct run *rn, uint64_t n, const char *fmt, ...)
{
	va_list ap;

	rn->errors += n;
	if (rn->shown >= MAX_SHOWN)
		return;
	fputs("kts-bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (++rn->shown == MAX_SHOWN)
		fputs("kts-bench: further errors are only counted\n", stderr);
}

/* ---- latency histogram ---------------------------------------------------- */

/*
 * The bucket of us microseconds: exact below H_SUB, then H_SUB buckets
 * per power of two.
 */
static size_t
slot(uint64_t us)
{
	unsigned e;

	if (us < H_SUB)
		return (size_t)us;
	e = 63u - (unsigned)__builtin_clzll(us) - 8u;	/* us >> e: 256..511 */
	if ((size_t)(e + 1) * H_SUB >= H_BUCKETS)
		return H_BUCKETS - 1;
	return (size_t)(e + 1) * H_SUB + (size_t)((us >> e) - H_SUB);
}

/* The middle of bucket s, in microseconds. */
static double
slot_us(size_t s)
{
	unsigned e;
	uint64_t lo;

	if (s < H_SUB)
		return (double)s;
	e = (unsigned)(s / H_SUB) - 1u;
	lo = (uint64_t)(s % H_SUB + H_SUB) << e;
	return (double)lo + (double)((1ull << e) - 1) / 2.0;
}

/* The q-quantile (0 < q <= 1) of the latencies, in milliseconds. */
static double
quantile_ms(const struct run *rn, double q)
{
	uint64_t want = (uint64_t)(q * (double)rn->ok + 0.999999);
	uint64_t seen = 0;
	size_t s;

	if (rn->ok == 0)
		return 0;
	for (s = 0; s < H_BUCKETS; s++) {
		seen += rn->hist[s];
		if (seen >= want)
			break;
	}
	return slot_us(s < H_BUCKETS ? s : H_BUCKETS - 1) / 1000.0;
}

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
conf_parse(const struct xopts *o, const uint8_t *buf, size_t len,
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
conf_get(struct run *rn)
{
	struct conf_ans ca;
	struct kts_wr wr;
	uint8_t *resp = NULL;
	size_t len = 0;
	char why[256];
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_conf_req_build(&wr, KTS_TAG_EXT_REQ, rn->o->user,
	    rn->o->key, rn->o->keylen, KTS_HASH_SHA256)) == 0 &&
	    (r = kts_net_exchange(rn->o->url, wr.p, wr.len, CONF_TIMEOUT_MS,
	    &resp, &len, why, sizeof(why))) != 0)
		fprintf(stderr, "kts-bench: configuration request: %s\n", why);
	else if (r != 0)
		fprintf(stderr, "kts-bench: %s\n", kts_strerror(r));
	kts_wr_free(&wr);
	if (r == 0 && (r = conf_parse(rn->o, resp, len, &ca)) == 0) {
		rn->first = ca.first;
		rn->last = ca.last;
	}
	free(resp);
	return r == 0 ? 0 : -1;
}

/* ---- checking one response -------------------------------------------- */

/* The chain in a good response: parses, and its times fit f. */
static const char *
check_chain(const struct kts_ext_resp *er, const struct flight *f)
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
	else if (cc.pub_time != (f->p != 0 ? f->p : er->cal_last) ||
	    (f->p == 0 && !er->has_cal_last))
		why = "the chain ends at the wrong second";
	else if (!cc.has_aggr_time || cc.aggr_time != f->a ||
	    kts_cal_chain_time(&cc, &a) != 0 || a != f->a)
		why = "the chain starts at the wrong second";
	kts_cal_chain_clear(&cc);
	return why;
}

/*
 * Check a response (already parsed, HMAC checked) against the request f.
 * Returns NULL or what is wrong.
 */
static const char *
check_resp(const struct run *rn, const struct kts_ext_resp *er,
    const struct flight *f)
{
	if (er->has_error || er->status != 0)
		return kts_status_str(er->status, 1);
	if (er->hmac_alg != KTS_HASH_SHA256)
		return "the HMAC algorithm is not the request's";
	if (er->login_id == NULL || strcmp(er->login_id, rn->o->user) != 0)
		return "the login id is not ours";
	if (er->chain == NULL)
		return "no calendar chain";
	return check_chain(er, f);
}

/*
 * Take the request that resp answers off c's ring: the one with its id,
 * or the oldest when no id matches (each response accounts for one).
 */
static struct flight
flight_take(struct conn *c, int have_id, uint64_t id, int *found)
{
	size_t d = c->run->depth;
	struct flight f;
	size_t i;
	size_t k = c->head;

	*found = 0;
	for (i = 0; have_id && i < c->n; i++) {
		k = (c->head + i) % d;
		if (c->fl[k].id == id) {
			*found = 1;
			break;
		}
	}
	if (!*found)
		k = c->head;
	f = c->fl[k];
	c->fl[k] = c->fl[c->head];	/* keep the ring contiguous */
	c->head = (c->head + 1) % d;
	c->n--;
	c->run->in_flight--;
	return f;
}

/* One response PDU arrived on c. */
static void
on_resp(struct conn *c, const uint8_t *pdu, size_t len)
{
	struct run *rn = c->run;
	struct kts_ext_resp er;
	struct flight f;
	const char *why = NULL;
	uint64_t t = now_ns();
	int found;
	int r;

	r = kts_ext_resp_parse(pdu, len, rn->o->key, rn->o->keylen, &er, NULL);
	f = flight_take(c, r == 0, er.req_id, &found);
	rn->t_last = t;
	if (r != 0)
		why = r == KTS_EVERIFY ? "the HMAC does not check" :
		    "the response does not parse";
	else if (!found)
		why = "no request has this request id";
	else
		why = check_resp(rn, &er, &f);
	if (why != NULL) {
		fail(rn, 1, "request %llu (A %llu, P %llu): %s",
		    (unsigned long long)f.id, (unsigned long long)f.a,
		    (unsigned long long)f.p, why);
		return;
	}
	rn->ok++;
	rn->hist[slot((t - f.sent_ns) / 1000)]++;
}

/* ---- connections ------------------------------------------------------ */

static void conn_lost(struct conn *c, const char *why);

/* HTTP: put the request line and header (spec 8.2) before the PDU at mark. */
static int
http_frame(const struct run *rn, struct kts_wr *wr, size_t mark)
{
	char num[32];
	int n;
	int r;

	n = snprintf(num, sizeof(num), "%zu\r\n\r\n", wr->len - mark);
	if (n < 0 || (size_t)n >= sizeof(num))
		return KTS_EINTERNAL;
	if ((r = kts_wr_insert(wr, mark, rn->http_prefix_len + (size_t)n)) != 0)
		return r;
	memcpy(wr->p + mark, rn->http_prefix, rn->http_prefix_len);
	memcpy(wr->p + mark + rn->http_prefix_len, num, (size_t)n);
	return 0;
}

/* Append one request for c to wr (the ring has room). */
static int
send_one(struct conn *c, struct kts_wr *wr)
{
	struct run *rn = c->run;
	struct flight *f = &c->fl[(c->head + c->n) % rn->depth];
	size_t mark = wr->len;
	int r;

	f->id = rn->next_id++;
	f->a = rnd_in(rn, rn->first, rn->last);
	f->p = (rnd(rn) & 1) != 0 ? 0 : rnd_in(rn, f->a, rn->last);
	if ((r = kts_ext_req_build(wr, rn->o->user, rn->o->key, rn->o->keylen,
	    KTS_HASH_SHA256, f->id, f->a, f->p)) != 0 ||
	    (!rn->tcp && (r = http_frame(rn, wr, mark)) != 0))
		return r;
	f->sent_ns = now_ns();
	c->n++;
	rn->in_flight++;
	rn->sent++;
	return 0;
}

/* Fill c's window with new requests, unless the run is over. */
static void
send_more(struct conn *c)
{
	struct run *rn = c->run;
	struct kts_wr wr;
	int r = 0;

	if (rn->stopping || c->bev == NULL || c->n == rn->depth)
		return;
	kts_wr_init(&wr, MAX_BATCH);
	while (r == 0 && c->n < rn->depth)
		r = send_one(c, &wr);
	if (r == 0 && bufferevent_write(c->bev, wr.p, wr.len) != 0)
		r = KTS_ENOMEM;
	kts_wr_free(&wr);
	if (r != 0)
		conn_lost(c, kts_strerror(r));
}

/* Raw TCP: every whole PDU in the input (spec 8.3: one TLV16 each). */
static void
tcp_input(struct conn *c, struct evbuffer *in)
{
	const uint8_t *p;
	uint8_t hdr[4];
	size_t total;

	while (c->bev != NULL && evbuffer_copyout(in, hdr, 4) == 4) {
		if ((hdr[0] & KTS_TLV_16) == 0) {
			conn_lost(c, "the stream is not TLV16 PDUs");
			return;
		}
		total = 4 + ((size_t)hdr[2] << 8 | hdr[3]);
		if (evbuffer_get_length(in) < total)
			return;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)total)) == NULL) {
			conn_lost(c, "out of memory");
			return;
		}
		if (c->n == 0) {
			conn_lost(c, "a response nobody asked for");
			return;
		}
		on_resp(c, p, total);
		evbuffer_drain(in, total);
	}
}

/* Is the header field line s (n bytes) "name: ..." for name? */
static int
field_is(const char *s, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && s[k] == ':' && evutil_ascii_strncasecmp(s, name, k) == 0;
}

/* The value of the field line s (n bytes), as a size; -1 if not one. */
static int
field_size(const char *s, size_t n, size_t *out)
{
	const char *v = memchr(s, ':', n);
	char num[24];
	uint64_t x;
	size_t vl;

	if (v == NULL)
		return -1;
	for (v++; v < s + n && (*v == ' ' || *v == '\t'); v++)
		;
	vl = (size_t)(s + n - v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (vl == 0 || vl >= sizeof(num))
		return -1;
	memcpy(num, v, vl);
	num[vl] = '\0';
	if (kts_parse_u64(num, KTS_MAX_PDU, &x) != 0)
		return -1;
	*out = (size_t)x;
	return 0;
}

/*
 * The HTTP response header h (n bytes, ending in an empty line): status
 * 200 and a Content-Length.  Returns NULL or what is wrong.
 */
static const char *
http_head_check(struct conn *c, const char *h, size_t n)
{
	const char *lim = h + n;
	const char *eol;
	size_t len;
	int have_len = 0;

	if (n < 12 || memcmp(h, "HTTP/1.", 7) != 0 ||
	    memcmp(h + 8, " 200", 4) != 0)
		return "an HTTP status other than 200";
	for (; (eol = memchr(h, '\n', (size_t)(lim - h))) != NULL; h = eol + 1) {
		len = (size_t)(eol - h);
		if (len > 0 && h[len - 1] == '\r')
			len--;
		if (field_is(h, len, "Transfer-Encoding"))
			return "a transfer-coded HTTP response";
		if (!field_is(h, len, "Content-Length"))
			continue;
		if (have_len || field_size(h, len, &c->clen) != 0)
			return "a bad Content-Length";
		have_len = 1;
	}
	return have_len ? NULL : "an HTTP response without Content-Length";
}

/* Read the header of the next HTTP response; 1 when it is read. */
static int
http_head(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_ptr pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	const char *why;
	const char *h;
	size_t hlen;

	if (pos.pos < 0) {
		if (evbuffer_get_length(in) > MAX_HTTP_HEAD)
			conn_lost(c, "an HTTP header over 8 KB");
		return 0;
	}
	hlen = (size_t)pos.pos + 4;
	if (hlen > MAX_HTTP_HEAD ||
	    (h = (const char *)evbuffer_pullup(in, (ev_ssize_t)hlen)) == NULL) {
		conn_lost(c, "an HTTP header over 8 KB");
		return 0;
	}
	if ((why = http_head_check(c, h, hlen)) != NULL) {
		conn_lost(c, why);
		return 0;
	}
	evbuffer_drain(in, hlen);
	c->in_body = 1;
	return 1;
}

/* HTTP: header, then Content-Length bytes holding one response PDU. */
static void
http_input(struct conn *c, struct evbuffer *in)
{
	const uint8_t *p;

	while (c->bev != NULL && (c->in_body || http_head(c, in))) {
		if (evbuffer_get_length(in) < c->clen)
			return;
		if (c->n == 0) {
			conn_lost(c, "a response nobody asked for");
			return;
		}
		if ((p = evbuffer_pullup(in, (ev_ssize_t)c->clen)) == NULL) {
			conn_lost(c, "out of memory");
			return;
		}
		on_resp(c, p, c->clen);
		evbuffer_drain(in, c->clen);
		c->in_body = 0;
	}
}

/* The run is over when S has passed and nothing is in flight. */
static void
maybe_done(struct run *rn)
{
	if ((rn->stopping && rn->in_flight == 0) || rn->open == 0)
		event_base_loopbreak(rn->base);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->run->tcp)
		tcp_input(c, bufferevent_get_input(bev));
	else
		http_input(c, bufferevent_get_input(bev));
	send_more(c);
	maybe_done(c->run);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		/* Requests go out as they are made, not held for Nagle. */
		(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof(one));
		return;
	}
	conn_lost(c, what & BEV_EVENT_EOF ? "the server closed the "
	    "connection" : evutil_socket_error_to_string(
	    EVUTIL_SOCKET_ERROR()));
	maybe_done(c->run);
}

/* c is unusable: its requests in flight are errors. */
static void
conn_lost(struct conn *c, const char *why)
{
	struct run *rn = c->run;

	if (c->bev == NULL)
		return;
	fail(rn, c->n, "connection %zu lost with %zu requests in flight: %s",
	    (size_t)(c - rn->c), c->n, why);
	rn->in_flight -= c->n;
	c->n = 0;
	bufferevent_free(c->bev);
	c->bev = NULL;
	rn->open--;
}

static int
conn_open(struct run *rn, struct conn *c)
{
	c->run = rn;
	if ((c->fl = calloc(rn->depth, sizeof(*c->fl))) == NULL ||
	    (c->bev = bufferevent_socket_new(rn->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return KTS_ENOMEM;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* STYLE.md 10: at most about one response is buffered unread. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, KTS_MAX_PDU +
	    MAX_HTTP_HEAD);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, rn->ai->ai_addr,
	    (int)rn->ai->ai_addrlen) != 0) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		return KTS_EIO;
	}
	rn->open++;
	return 0;
}

/* ---- the run ---------------------------------------------------------- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct run *rn = arg;
	double t = (double)(now_ns() - rn->t0) / 1e9;

	rn->elapsed_s++;
	if (!rn->o->quiet)
		fprintf(stderr, "kts-bench: %.0f s: %llu/s, in flight %zu, "
		    "errors %llu\n", t, (unsigned long long)(rn->ok -
		    rn->ok_prev), rn->in_flight,
		    (unsigned long long)rn->errors);
	rn->ok_prev = rn->ok;
	if (rn->elapsed_s == rn->o->seconds)
		rn->stopping = 1;
	if (rn->elapsed_s >= rn->o->seconds + GRACE_S && rn->in_flight > 0) {
		fail(rn, rn->in_flight, "%zu requests unanswered %d s after "
		    "the end", rn->in_flight, GRACE_S);
		rn->in_flight = 0;
	}
	maybe_done(rn);
}

/* Resolve the URL's host and port; only its first address is used. */
static int
resolve(struct run *rn)
{
	struct evutil_addrinfo hints;
	const char *host = evhttp_uri_get_host(rn->uri);
	char h[256];
	char ps[16];
	size_t hl = host != NULL ? strlen(host) : 0;
	int port = evhttp_uri_get_port(rn->uri);
	int e;

	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']')
		host++, hl -= 2;
	if (hl == 0 || hl >= sizeof(h) || port == 0 || (port < 0 && rn->tcp)) {
		fputs("kts-bench: the URL needs a host (and for ksi+tcp:// a "
		    "port)\n", stderr);
		return -1;
	}
	memcpy(h, host, hl);
	h[hl] = '\0';
	snprintf(ps, sizeof(ps), "%d", port < 0 ? 80 : port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	if ((e = evutil_getaddrinfo(h, ps, &hints, &rn->ai)) != 0) {
		fprintf(stderr, "kts-bench: cannot resolve %.200s: %s\n", h,
		    evutil_gai_strerror(e));
		return -1;
	}
	return 0;
}

/* The HTTP request up to the body length (spec 8.2). */
static int
http_prefix(struct run *rn)
{
	const char *path = evhttp_uri_get_path(rn->uri);
	const char *host = evhttp_uri_get_host(rn->uri);
	int port = evhttp_uri_get_port(rn->uri);
	char ps[16] = "";
	size_t n;
	int k;

	if (port >= 0)
		snprintf(ps, sizeof(ps), ":%d", port);
	if (path == NULL || *path == '\0')
		path = "/";
	n = strlen(path) + strlen(host) + 128;
	if ((rn->http_prefix = malloc(n)) == NULL)
		return -1;
	k = snprintf(rn->http_prefix, n, "POST %s HTTP/1.1\r\nHost: %s%s\r\n"
	    "Content-Type: application/ksi-request\r\nContent-Length: ",
	    path, host, ps);
	if (k < 0 || (size_t)k >= n)
		return -1;
	rn->http_prefix_len = (size_t)k;
	return 0;
}

/* Which transport the URL names (spec 8.1); -1 if we cannot use it. */
static int
url_setup(struct run *rn)
{
	const char *s;

	if ((rn->uri = evhttp_uri_parse(rn->o->url)) == NULL ||
	    (s = evhttp_uri_get_scheme(rn->uri)) == NULL) {
		fputs("kts-bench: --url: not a valid URL\n", stderr);
		return -1;
	}
	rn->tcp = evutil_ascii_strcasecmp(s, "ksi+tcp") == 0;
	if (!rn->tcp && evutil_ascii_strcasecmp(s, "http") != 0 &&
	    evutil_ascii_strcasecmp(s, "ksi+http") != 0) {
		fputs("kts-bench: --url: use http://, ksi+http:// or "
		    "ksi+tcp://\n", stderr);
		return -1;
	}
	if (rn->o->tcp && !rn->tcp) {
		fputs("kts-bench: --tcp needs a ksi+tcp://HOST:PORT URL\n",
		    stderr);
		return -1;
	}
	rn->depth = rn->o->depth != 0 ? rn->o->depth : rn->tcp ? DEF_DEPTH : 1;
	return resolve(rn) != 0 || (!rn->tcp && http_prefix(rn) != 0) ? -1 : 0;
}

/* CPU seconds (user + system) this process has used. */
static double
cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
report(const struct run *rn)
{
	uint64_t end = rn->t_last > rn->t0 ? rn->t_last : now_ns();
	double secs = (double)(end - rn->t0) / 1e9;
	uint64_t n = rn->ok + rn->errors;

	printf("extender %s, %zu connections, %zu in flight each\n",
	    rn->tcp ? "raw TCP" : "HTTP keep-alive", rn->o->conns, rn->depth);
	printf("calendar seconds %llu..%llu (%llu)\n",
	    (unsigned long long)rn->first, (unsigned long long)rn->last,
	    (unsigned long long)(rn->last - rn->first + 1));
	printf("requests %llu, good %llu, errors %llu in %.3f s\n",
	    (unsigned long long)rn->sent, (unsigned long long)rn->ok,
	    (unsigned long long)rn->errors, secs);
	/* The generator's own share of a machine it shares with the server. */
	printf("client_cpu_s %.3f (%.1f us a response)\n", rn->cpu,
	    n > 0 ? rn->cpu * 1e6 / (double)n : 0.0);
	printf("extend_per_s %.0f p50_ms %.3f p99_ms %.3f errors %llu\n",
	    secs > 0 ? (double)rn->ok / secs : 0.0, quantile_ms(rn, 0.50),
	    quantile_ms(rn, 0.99), (unsigned long long)rn->errors);
}

/* Open the connections and run the event loop until the end. */
static int
run_load(struct run *rn)
{
	struct timeval one = { 1, 0 };
	size_t i;

	if ((rn->base = event_base_new()) == NULL ||
	    (rn->tick = event_new(rn->base, -1, EV_PERSIST, tick_cb,
	    rn)) == NULL ||
	    (rn->c = calloc(rn->o->conns, sizeof(*rn->c))) == NULL) {
		fputs("kts-bench: out of memory\n", stderr);
		return -1;
	}
	rn->t0 = now_ns();
	rn->cpu = cpu_s();
	for (i = 0; i < rn->o->conns; i++) {
		if (conn_open(rn, &rn->c[i]) != 0) {
			fputs("kts-bench: cannot open a connection\n", stderr);
			return -1;
		}
		send_more(&rn->c[i]);
	}
	event_add(rn->tick, &one);
	event_base_dispatch(rn->base);
	rn->cpu = cpu_s() - rn->cpu;
	return 0;
}

static void
run_free(struct run *rn)
{
	size_t i;

	for (i = 0; rn->c != NULL && i < rn->o->conns; i++) {
		if (rn->c[i].bev != NULL)
			bufferevent_free(rn->c[i].bev);
		free(rn->c[i].fl);
	}
	free(rn->c);
	if (rn->tick != NULL)
		event_free(rn->tick);
	if (rn->base != NULL)
		event_base_free(rn->base);
	if (rn->ai != NULL)
		evutil_freeaddrinfo(rn->ai);
	if (rn->uri != NULL)
		evhttp_uri_free(rn->uri);
	free(rn->http_prefix);
}

/* ---- arguments -------------------------------------------------------- */

static int
usage(void)
{
	fputs("usage: kts-bench extend --url URL --user USER --key KEY\n"
	    "           [--connections N] [--depth D] [--seconds S] [--tcp] "
	    "[-q]\n"
	    "  URL is http://, ksi+http:// or ksi+tcp://HOST:PORT; N 1..256 "
	    "(default 8),\n"
	    "  D 1..256 requests in flight per connection (default 16 on "
	    "raw TCP, 1 on\n"
	    "  HTTP), S 1..3600 (default 10).\n", stderr);
	return 3;
}

/* A number option in [1, max]. */
static int
num_opt(const char *name, const char *s, uint64_t max, uint64_t *out)
{
	if (kts_parse_u64(s, max, out) != 0 || *out == 0) {
		fprintf(stderr, "kts-bench: %s %.32s: expected 1..%llu\n", name,
		    s, (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* One option with its value; -1 for an unknown or bad one. */
static int
opt_value(struct xopts *o, const char *name, const char *v)
{
	uint64_t n;

	if (strcmp(name, "--url") == 0)
		o->url = v;
	else if (strcmp(name, "--user") == 0)
		o->user = v;
	else if (strcmp(name, "--key") == 0)
		o->key = v;
	else if (strcmp(name, "--seconds") == 0)
		return num_opt(name, v, 3600, &o->seconds);
	else if (strcmp(name, "--connections") == 0) {
		if (num_opt(name, v, MAX_CONNS, &n) != 0)
			return -1;
		o->conns = (size_t)n;
	} else if (strcmp(name, "--depth") == 0) {
		if (num_opt(name, v, MAX_DEPTH, &n) != 0)
			return -1;
		o->depth = (size_t)n;
	} else
		return -1;
	return 0;
}

static int
parse_args(int argc, char **argv, struct xopts *o)
{
	int i;

	o->conns = DEF_CONNS;
	o->seconds = 10;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--tcp") == 0)
			o->tcp = 1;
		else if (strcmp(argv[i], "-q") == 0)
			o->quiet = 1;
		else if (i + 1 == argc || opt_value(o, argv[i], argv[i + 1]))
			return -1;
		else
			i++;
	}
	if (o->url == NULL || o->user == NULL || o->key == NULL)
		return -1;
	o->keylen = strlen(o->key);
	return 0;
}

int
kts_bench_extend(int argc, char **argv)
{
	static struct run rn;
	struct xopts o;
	int rc = 1;

	memset(&o, 0, sizeof(o));
	if (parse_args(argc, argv, &o) != 0)
		return usage();
	/* A server that closes under us must not end the program. */
	signal(SIGPIPE, SIG_IGN);
	rn.o = &o;
	rn.rng = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ 1;
	rn.next_id = 1 + (rnd(&rn) >> 33);
	if (url_setup(&rn) != 0 || conf_get(&rn) != 0)
		goto out;
	if (rn.last - rn.first < 10)
		fprintf(stderr, "kts-bench: warning: the calendar holds only "
		    "%llu seconds; chains are short\n",
		    (unsigned long long)(rn.last - rn.first + 1));
	if (run_load(&rn) != 0)
		goto out;
	report(&rn);
	rc = 0;
out:
	run_free(&rn);
	return rc;
}
