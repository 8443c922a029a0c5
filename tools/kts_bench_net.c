/*
 * kts_bench_net.c - the load generator behind "kts-bench extend", "sign"
 * and "http-baseline" (kts_bench_net.h; KSI spec 8.2, 8.3;
 * docs/performance.md).
 *
 * N connections to the one address a URL names are kept busy for S
 * seconds.  Each carries D requests at a time: pipelined PDUs over raw
 * TCP (ksi+tcp://, spec 8.3: each response is one TLV16), or over HTTP
 * keep-alive one POST at a time (D > 1 pipelines HTTP/1.1; each response
 * is a 200 with a Content-Length).  The mode builds each request and
 * checks each response; the generator matches responses to requests by
 * the id the mode reads (any order), or in order when the mode reads
 * none.
 *
 * A failed check, a connection lost with requests in flight and a request
 * still unanswered KTS_LOAD_GRACE_S seconds after the end are errors; the
 * first MAX_SHOWN are described on stderr.  Progress goes to stderr once
 * a second unless -q; the last line on stdout is "RATE N p50_ms X p99_ms
 * Y errors Z": good responses per second of wall time from the first
 * request to the last response, and the time from queueing a request to
 * reading its response.
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

#include "err.h"
#include "kts_bench_net.h"
#include "limits.h"
#include "tlv.h"
#include "util.h"
#include "wr.h"

#define MAX_SHOWN 10		/* errors described on stderr */
#define MAX_HTTP_HEAD 8192	/* as KTS_NET_MAX_HTTP_HEADER */
#define MAX_BATCH (KTS_LOAD_MAX_DEPTH * 2048u) /* bytes queued at once */
#define SPARE_FDS 32		/* descriptors besides the connections */
#define H_SUB 256		/* latency buckets per power of two (<0.4 %) */
#define H_BUCKETS (H_SUB * 32)	/* up to 2^38 us */
#define NS 1000000000ull

/* One connection to the server. */
struct conn {
	struct kts_load *ld;
	struct bufferevent *bev;	/* NULL once lost */
	struct kts_flight *fl;		/* ring of ld->depth entries (owned) */
	size_t head;			/* oldest request in flight */
	size_t n;			/* requests in flight */
	int up;				/* connected */
	int in_body;			/* HTTP: the header is read, clen next */
	size_t clen;			/* HTTP: the body's Content-Length */
};

/* The whole run. */
struct kts_load {
	const struct kts_load_mode *m;
	const struct kts_load_opts *o;
	struct evhttp_uri *uri;		/* the URL (owned) */
	int tcp;			/* raw TCP, else HTTP */
	struct evutil_addrinfo *ai;	/* the URL's first address (owned) */
	char *http_prefix;		/* "POST ... Content-Length: " (owned) */
	size_t http_prefix_len;
	struct event_base *base;
	struct event *tick;		/* once a second */
	struct event *pace;		/* --rate: every millisecond */
	size_t n_up;			/* connections connected */
	uint64_t pace_t0;		/* --rate: when pacing began, 0 not yet */
	uint64_t scheduled;		/* --rate: requests due so far */
	size_t rr;			/* --rate: the next connection to try */
	struct conn *c;			/* conns connections (owned) */
	size_t conns;			/* connections */
	size_t depth;			/* requests in flight per connection */
	size_t open;			/* connections not lost */
	size_t in_flight;		/* over all connections */
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
	uint64_t unsent;		/* of errors: no connection had room */
	unsigned shown;			/* errors described so far */
	uint32_t hist[H_BUCKETS];	/* latency histogram, see slot() */
};

static void fail(struct kts_load *ld, uint64_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

uint64_t
kts_load_rand(struct kts_load *ld)
{
	ld->rng ^= ld->rng >> 12;
	ld->rng ^= ld->rng << 25;
	ld->rng ^= ld->rng >> 27;
	return ld->rng * 2685821657736338717ull;
}

/* Count n errors; describe the first MAX_SHOWN. */
static void
fail(struct kts_load *ld, uint64_t n, const char *fmt, ...)
{
	va_list ap;

	ld->errors += n;
	if (ld->shown >= MAX_SHOWN)
		return;
	fputs("kts-bench: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (++ld->shown == MAX_SHOWN)
		fputs("kts-bench: further errors are only counted\n", stderr);
}

/* A response to f that failed its check: one error. */
static void
fail_req(struct kts_load *ld, const struct kts_flight *f, const char *why)
{
	char desc[160];

	if (ld->shown >= MAX_SHOWN) {
		ld->errors++;
		return;
	}
	ld->m->describe(ld->m->arg, f, desc, sizeof(desc));
	fail(ld, 1, "%s: %s", desc, why);
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
quantile_ms(const struct kts_load *ld, double q)
{
	uint64_t want = (uint64_t)(q * (double)ld->ok + 0.999999);
	uint64_t seen = 0;
	size_t s;

	if (ld->ok == 0)
		return 0;
	for (s = 0; s < H_BUCKETS; s++) {
		seen += ld->hist[s];
		if (seen >= want)
			break;
	}
	return slot_us(s < H_BUCKETS ? s : H_BUCKETS - 1) / 1000.0;
}

/* ---- responses -------------------------------------------------------- */

/*
 * Take the request that a response answers off c's ring: the one with
 * its id, or the oldest when no id matches (each response accounts for
 * one).
 */
static struct kts_flight
flight_take(struct conn *c, int have_id, uint64_t id, int *found)
{
	size_t d = c->ld->depth;
	struct kts_flight f;
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
	c->ld->in_flight--;
	return f;
}

/* One response PDU (or HTTP body) arrived on c. */
static void
on_resp(struct conn *c, const uint8_t *pdu, size_t len)
{
	struct kts_load *ld = c->ld;
	const struct kts_load_mode *m = ld->m;
	struct kts_flight f;
	const char *why;
	uint64_t t = now_ns();
	uint64_t id = 0;
	int inorder;
	int have;
	int found;

	have = m->resp_id != NULL && m->resp_id(m->arg, pdu, len, &id) == 0;
	/* HTTP/1.1 answers pipelined requests in their order (RFC 9112
	 * 9.3.2): one for a later request first is an error. */
	inorder = !have || c->n == 0 || c->fl[c->head].id == id;
	f = flight_take(c, have, id, &found);
	ld->t_last = t;
	if (have && !found)
		why = "no request has this request id";
	else if (!ld->tcp && !inorder)
		why = "an HTTP answer out of request order";
	else
		why = m->check(m->arg, &f, pdu, len);
	if (why != NULL) {
		fail_req(ld, &f, why);
		return;
	}
	ld->ok++;
	ld->hist[slot((t - f.sent_ns) / 1000)]++;
}

/* ---- connections ------------------------------------------------------ */

static void conn_lost(struct conn *c, const char *why);

/* HTTP: put the request line and header (spec 8.2) before the PDU at mark. */
static int
http_frame(const struct kts_load *ld, struct kts_wr *wr, size_t mark)
{
	char num[32];
	int n;
	int r;

	n = snprintf(num, sizeof(num), "%zu\r\n\r\n", wr->len - mark);
	if (n < 0 || (size_t)n >= sizeof(num))
		return KTS_EINTERNAL;
	if ((r = kts_wr_insert(wr, mark, ld->http_prefix_len + (size_t)n)) != 0)
		return r;
	memcpy(wr->p + mark, ld->http_prefix, ld->http_prefix_len);
	memcpy(wr->p + mark + ld->http_prefix_len, num, (size_t)n);
	return 0;
}

/* Append one request for c to wr (the ring has room). */
static int
send_one(struct conn *c, struct kts_wr *wr)
{
	struct kts_load *ld = c->ld;
	struct kts_flight *f = &c->fl[(c->head + c->n) % ld->depth];
	size_t mark = wr->len;
	int r;

	f->id = ld->next_id++;
	if ((r = ld->m->build(ld->m->arg, ld, f, wr)) != 0 ||
	    (!ld->tcp && (r = http_frame(ld, wr, mark)) != 0))
		return r;
	f->sent_ns = now_ns();
	c->n++;
	ld->in_flight++;
	ld->sent++;
	return 0;
}

/* Fill c's window with new requests, unless the run is over. */
static void
send_more(struct conn *c)
{
	struct kts_load *ld = c->ld;
	struct kts_wr wr;
	int r = 0;

	if (ld->o->rate > 0 || ld->stopping || c->bev == NULL ||
	    c->n == ld->depth)
		return;
	kts_wr_init(&wr, MAX_BATCH);
	while (r == 0 && c->n < ld->depth)
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
maybe_done(struct kts_load *ld)
{
	if ((ld->stopping && ld->in_flight == 0) || ld->open == 0)
		event_base_loopbreak(ld->base);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->ld->tcp)
		tcp_input(c, bufferevent_get_input(bev));
	else
		http_input(c, bufferevent_get_input(bev));
	send_more(c);
	maybe_done(c->ld);
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
		c->up = 1;
		c->ld->n_up++;
		return;
	}
	conn_lost(c, what & BEV_EVENT_EOF ? "the server closed the "
	    "connection" : evutil_socket_error_to_string(
	    EVUTIL_SOCKET_ERROR()));
	maybe_done(c->ld);
}

/* c is unusable: its requests in flight are errors. */
static void
conn_lost(struct conn *c, const char *why)
{
	struct kts_load *ld = c->ld;

	if (c->bev == NULL)
		return;
	fail(ld, c->n, "connection %zu lost with %zu requests in flight: %s",
	    (size_t)(c - ld->c), c->n, why);
	ld->in_flight -= c->n;
	c->n = 0;
	bufferevent_free(c->bev);
	c->bev = NULL;
	ld->open--;
	if (c->up)
		ld->n_up--;
	c->up = 0;
}

static int
conn_open(struct kts_load *ld, struct conn *c)
{
	c->ld = ld;
	if ((c->fl = calloc(ld->depth, sizeof(*c->fl))) == NULL ||
	    (c->bev = bufferevent_socket_new(ld->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return KTS_ENOMEM;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* STYLE.md 10: at most about one response is buffered unread. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, KTS_MAX_PDU +
	    MAX_HTTP_HEAD);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, ld->ai->ai_addr,
	    (int)ld->ai->ai_addrlen) != 0) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		return KTS_EIO;
	}
	ld->open++;
	return 0;
}

/* ---- the run ---------------------------------------------------------- */

/* --rate: one request on the next connection with room, or an error. */
static void
pace_one(struct kts_load *ld, uint64_t sched_ns)
{
	struct kts_flight dummy;
	struct kts_wr wr;
	struct conn *c = NULL;
	size_t i;
	int r;

	for (i = 0; i < ld->conns; i++) {
		c = &ld->c[(ld->rr + i) % ld->conns];
		if (c->up && c->bev != NULL && c->n < ld->depth)
			break;
		c = NULL;
	}
	if (c == NULL) {
		memset(&dummy, 0, sizeof(dummy));
		dummy.id = ld->next_id++;
		ld->sent++;
		ld->unsent++;
		fail_req(ld, &dummy, "no connection free at its scheduled "
		    "time (raise --connections)");
		return;
	}
	ld->rr = (size_t)(c - ld->c) + 1;
	kts_wr_init(&wr, MAX_BATCH);
	r = send_one(c, &wr);
	if (r == 0) {
		/* Latency from the schedule, not from when we got to it. */
		c->fl[(c->head + c->n - 1) % ld->depth].sent_ns = sched_ns;
		if (bufferevent_write(c->bev, wr.p, wr.len) != 0)
			r = KTS_ENOMEM;
	}
	kts_wr_free(&wr);
	if (r != 0)
		conn_lost(c, kts_strerror(r));
}

/*
 * --rate: send what is due.  Pacing starts once every connection is up
 * (or after KTS_LOAD_GRACE_S s), so connecting is not counted; the run's
 * clock starts with it.
 */
static void
pace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kts_load *ld = arg;
	uint64_t now = now_ns();
	uint64_t due;

	if (ld->stopping)
		return;
	if (ld->pace_t0 == 0) {
		if (ld->n_up < ld->open &&
		    now - ld->t0 < (uint64_t)KTS_LOAD_GRACE_S * NS)
			return;
		ld->pace_t0 = ld->t0 = now;
	}
	due = (uint64_t)((double)(now - ld->pace_t0) / 1e9 *
	    (double)ld->o->rate);
	while (ld->scheduled < due && !ld->stopping) {
		pace_one(ld, ld->pace_t0 + (uint64_t)((double)ld->scheduled *
		    1e9 / (double)ld->o->rate));
		ld->scheduled++;
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kts_load *ld = arg;
	double t = (double)(now_ns() - ld->t0) / 1e9;

	ld->elapsed_s++;
	if (!ld->o->quiet)
		fprintf(stderr, "kts-bench: %.0f s: %llu/s, in flight %zu, "
		    "errors %llu\n", t, (unsigned long long)(ld->ok -
		    ld->ok_prev), ld->in_flight,
		    (unsigned long long)ld->errors);
	ld->ok_prev = ld->ok;
	if (ld->elapsed_s == ld->o->seconds)
		ld->stopping = 1;
	if (ld->elapsed_s >= ld->o->seconds + KTS_LOAD_GRACE_S &&
	    ld->in_flight > 0) {
		fail(ld, ld->in_flight, "%zu requests unanswered %d s after "
		    "the end", ld->in_flight, KTS_LOAD_GRACE_S);
		ld->in_flight = 0;
	}
	maybe_done(ld);
}

/* Resolve the URL's host and port; only its first address is used. */
static int
resolve(struct kts_load *ld)
{
	struct evutil_addrinfo hints;
	const char *host = evhttp_uri_get_host(ld->uri);
	char h[256];
	char ps[16];
	size_t hl = host != NULL ? strlen(host) : 0;
	int port = evhttp_uri_get_port(ld->uri);
	int e;

	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']')
		host++, hl -= 2;
	if (hl == 0 || hl >= sizeof(h) || port == 0 || (port < 0 && ld->tcp)) {
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
	if ((e = evutil_getaddrinfo(h, ps, &hints, &ld->ai)) != 0) {
		fprintf(stderr, "kts-bench: cannot resolve %.200s: %s\n", h,
		    evutil_gai_strerror(e));
		return -1;
	}
	return 0;
}

/* The HTTP request up to the body length (spec 8.2). */
static int
http_prefix(struct kts_load *ld)
{
	const char *path = evhttp_uri_get_path(ld->uri);
	const char *host = evhttp_uri_get_host(ld->uri);
	int port = evhttp_uri_get_port(ld->uri);
	char ps[16] = "";
	size_t n;
	int k;

	if (port >= 0)
		snprintf(ps, sizeof(ps), ":%d", port);
	if (path == NULL || *path == '\0')
		path = "/";
	n = strlen(path) + strlen(host) + 128;
	if ((ld->http_prefix = malloc(n)) == NULL)
		return -1;
	k = snprintf(ld->http_prefix, n, "POST %s HTTP/1.1\r\nHost: %s%s\r\n"
	    "Content-Type: application/ksi-request\r\nContent-Length: ",
	    path, host, ps);
	if (k < 0 || (size_t)k >= n)
		return -1;
	ld->http_prefix_len = (size_t)k;
	return 0;
}

/*
 * Which transport the URL names (spec 8.1), and the defaults that depend
 * on it; -1 if we cannot use it.
 */
static int
url_setup(struct kts_load *ld)
{
	const struct kts_load_mode *m = ld->m;
	const char *s;

	if ((ld->uri = evhttp_uri_parse(ld->o->url)) == NULL ||
	    (s = evhttp_uri_get_scheme(ld->uri)) == NULL) {
		fputs("kts-bench: --url: not a valid URL\n", stderr);
		return -1;
	}
	ld->tcp = evutil_ascii_strcasecmp(s, "ksi+tcp") == 0;
	if (!ld->tcp && evutil_ascii_strcasecmp(s, "http") != 0 &&
	    evutil_ascii_strcasecmp(s, "ksi+http") != 0) {
		fputs("kts-bench: --url: use http://, ksi+http:// or "
		    "ksi+tcp://\n", stderr);
		return -1;
	}
	if (ld->o->tcp && !ld->tcp) {
		fputs("kts-bench: --tcp needs a ksi+tcp://HOST:PORT URL\n",
		    stderr);
		return -1;
	}
	ld->conns = ld->o->conns != 0 ? ld->o->conns : ld->tcp ?
	    m->conns_tcp : m->conns_http;
	ld->depth = ld->o->depth != 0 ? ld->o->depth : ld->tcp ?
	    m->depth_tcp : 1;
	return resolve(ld) != 0 || (!ld->tcp && http_prefix(ld) != 0) ? -1 : 0;
}

uint64_t
kts_load_room(const struct kts_load *ld)
{
	return (uint64_t)ld->conns * ld->depth;
}

/*
 * A descriptor per connection plus a few: raise the soft limit as far as
 * the hard one allows.
 */
static int
fd_limit(size_t conns)
{
	rlim_t need = (rlim_t)conns + SPARE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
		return 0;
	fprintf(stderr, "kts-bench: %zu connections need %llu file "
	    "descriptors; the limit is %llu (ulimit -n)\n", conns,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return -1;
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

void
kts_load_report(const struct kts_load *ld)
{
	uint64_t end = ld->t_last > ld->t0 ? ld->t_last : now_ns();
	double secs = (double)(end - ld->t0) / 1e9;
	double rate = secs > 0 ? (double)ld->ok / secs : 0.0;
	uint64_t n = ld->ok + ld->errors;

	printf("%s %s, %zu connections, %zu in flight each\n", ld->m->server,
	    ld->tcp ? "raw TCP" : "HTTP keep-alive", ld->conns, ld->depth);
	if (ld->o->rate > 0)
		printf("open loop: %llu requests a second scheduled, from when "
		    "every connection was up\n", (unsigned long long)ld->o->rate);
	if (ld->m->report != NULL)
		ld->m->report(ld->m->arg);
	printf("requests %llu, good %llu, errors %llu in %.3f s\n",
	    (unsigned long long)ld->sent, (unsigned long long)ld->ok,
	    (unsigned long long)ld->errors, secs);
	/* Open loop past what connections x depth holds: the generator's
	 * own shortfall, not an answer the server got wrong. */
	if (ld->unsent > 0)
		printf("of the errors, %llu never sent: every connection had "
		    "--depth requests in flight at their scheduled time\n",
		    (unsigned long long)ld->unsent);
	/* The generator's own share of a machine it shares with the server. */
	printf("client_cpu_s %.3f (%.1f us a response)\n", ld->cpu,
	    n > 0 ? ld->cpu * 1e6 / (double)n : 0.0);
	if (ld->m->short_last)
		printf("p50_ms %.3f p99_ms %.3f errors %llu\n%s %.0f\n",
		    quantile_ms(ld, 0.50), quantile_ms(ld, 0.99),
		    (unsigned long long)ld->errors, ld->m->rate, rate);
	else
		printf("%s %.0f p50_ms %.3f p99_ms %.3f errors %llu\n",
		    ld->m->rate, rate, quantile_ms(ld, 0.50),
		    quantile_ms(ld, 0.99), (unsigned long long)ld->errors);
}

int
kts_load_run(struct kts_load *ld)
{
	struct timeval one = { 1, 0 };
	size_t i;

	if ((ld->base = event_base_new()) == NULL ||
	    (ld->tick = event_new(ld->base, -1, EV_PERSIST, tick_cb,
	    ld)) == NULL ||
	    (ld->c = calloc(ld->conns, sizeof(*ld->c))) == NULL) {
		fputs("kts-bench: out of memory\n", stderr);
		return -1;
	}
	/* A server that closes under us must not end the program. */
	signal(SIGPIPE, SIG_IGN);
	ld->t0 = now_ns();
	ld->cpu = cpu_s();
	for (i = 0; i < ld->conns; i++) {
		if (conn_open(ld, &ld->c[i]) != 0) {
			fputs("kts-bench: cannot open a connection\n", stderr);
			return -1;
		}
		send_more(&ld->c[i]);
	}
	event_add(ld->tick, &one);
	if (ld->o->rate > 0) {
		struct timeval ms = { 0, 1000 };

		if ((ld->pace = event_new(ld->base, -1, EV_PERSIST, pace_cb,
		    ld)) == NULL || event_add(ld->pace, &ms) != 0) {
			fputs("kts-bench: out of memory\n", stderr);
			return -1;
		}
	}
	event_base_dispatch(ld->base);
	ld->cpu = cpu_s() - ld->cpu;
	return 0;
}

int
kts_load_new(const struct kts_load_mode *m, const struct kts_load_opts *o,
    struct kts_load **out)
{
	struct kts_load *tmp;

	*out = NULL;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL) {
		fputs("kts-bench: out of memory\n", stderr);
		return -1;
	}
	tmp->m = m;
	tmp->o = o;
	tmp->rng = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ 1;
	tmp->next_id = 1 + (kts_load_rand(tmp) >> 33);
	if (url_setup(tmp) != 0 || fd_limit(tmp->conns) != 0) {
		kts_load_free(tmp);
		return -1;
	}
	*out = tmp;
	return 0;
}

void
kts_load_free(struct kts_load *ld)
{
	size_t i;

	if (ld == NULL)
		return;
	for (i = 0; ld->c != NULL && i < ld->conns; i++) {
		if (ld->c[i].bev != NULL)
			bufferevent_free(ld->c[i].bev);
		free(ld->c[i].fl);
	}
	free(ld->c);
	if (ld->tick != NULL)
		event_free(ld->tick);
	if (ld->pace != NULL)
		event_free(ld->pace);
	if (ld->base != NULL)
		event_base_free(ld->base);
	if (ld->ai != NULL)
		evutil_freeaddrinfo(ld->ai);
	if (ld->uri != NULL)
		evhttp_uri_free(ld->uri);
	free(ld->http_prefix);
	free(ld);
}

/* ---- arguments -------------------------------------------------------- */

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
opt_value(const struct kts_load_mode *m, int need_url,
    struct kts_load_opts *o, const char *name, const char *v)
{
	uint64_t n;

	if (need_url && strcmp(name, "--url") == 0)
		o->url = v;
	else if (need_url && strcmp(name, "--user") == 0)
		o->user = v;
	else if (need_url && strcmp(name, "--key") == 0)
		o->key = v;
	else if (strcmp(name, "--seconds") == 0)
		return num_opt(name, v, 3600, &o->seconds);
	else if (need_url && strcmp(name, "--rate") == 0)
		return num_opt(name, v, 10000000, &o->rate);
	else if (strcmp(name, "--connections") == 0) {
		if (num_opt(name, v, m->max_conns, &n) != 0)
			return -1;
		o->conns = (size_t)n;
	} else if (need_url && strcmp(name, "--depth") == 0) {
		if (num_opt(name, v, KTS_LOAD_MAX_DEPTH, &n) != 0)
			return -1;
		o->depth = (size_t)n;
	} else
		return -1;
	return 0;
}

int
kts_load_args(const struct kts_load_mode *m, int need_url, int argc,
    char **argv, struct kts_load_opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->seconds = m->seconds;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
		if (need_url && strcmp(argv[i], "--tcp") == 0)
			o->tcp = 1;
		else if (strcmp(argv[i], "-q") == 0)
			o->quiet = 1;
		else if (m->no_verify_ok && strcmp(argv[i], "--no-verify") == 0)
			o->no_verify = 1;
		else if (i + 1 == argc ||
		    opt_value(m, need_url, o, argv[i], argv[i + 1]) != 0)
			return -1;
		else
			i++;
	}
	if (need_url && (o->url == NULL || o->user == NULL || o->key == NULL))
		return -1;
	o->keylen = o->key != NULL ? strlen(o->key) : 0;
	return 0;
}
