/*
 * net.c - KSI PDUs over HTTP and raw TCP with libevent 2.1 (KSI spec
 * section 8): the servers' listeners and connections, and the blocking
 * client of the command-line tool.  net.h is the contract.
 *
 * Both server transports run on bufferevents of our own: raw TCP frames
 * one TLV16 PDU after another; HTTP/1.x is parsed by lib/http.c (evhttp's
 * request machinery cost about 60 us a request on the servers, see
 * docs/performance.md).
 *
 * Invariants:
 *  - every byte from a socket is bounded (STYLE.md 10): a raw TCP header
 *    is copied out and checked before its body is read, an HTTP head is
 *    parsed under the caps of limits.h and its Content-Length checked
 *    against the PDU cap before the body is read, the input buffer has a
 *    high watermark of one request, and the requests in flight and the
 *    queued output of a connection are capped (limits.h): at the cap
 *    reading pauses;
 *  - a struct kts_req outlives its connection and the server: a
 *    connection is reference-counted by its requests, and learns nothing
 *    more once it is closed (c->bev is NULL then);
 *  - HTTP answers leave in request order (RFC 9112 9.3.2): the requests
 *    of a connection wait on c->q; an answer made while an earlier one is
 *    not is kept with its request until the earlier ones have left.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "http.h"
#include "limits.h"
#include "log.h"
#include "net.h"
#include "net_int.h"
#include "util.h"

#define TLV16_BIT 0x80		/* KSI spec 1.1: long header */
#define KSI_REQ_CTYPE "application/ksi-request"
#define KSI_RESP_CTYPE "application/ksi-response"
#define HTTP_HEAD_ROOM 512	/* our answer headers: about 200 bytes */
#define HTTP_CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"
#define READ_CHUNK 4096		/* bytes asked of one recv(): requests are
				 * under 1 KB; more come in more calls */

struct conn;

/* A request: handed to on_pdu (or an HTTP answer the server makes). */
struct kts_req {
	struct conn *c;			/* its connection (counted) */
	TAILQ_ENTRY(kts_req) link;	/* HTTP: on c->q, in request order */
	struct evbuffer *out;		/* HTTP: an answer waiting its turn */
	int queued;			/* HTTP: on c->q (else: forgotten) */
	int done;			/* HTTP: answered or dropped */
	int dropped;			/* HTTP: released without an answer */
	int conn_hdr;			/* HTTP: enum kts_http_conn to send */
	int head_only;			/* HTTP: HEAD, the answer has no body */
	uint64_t arrived_us;		/* kts_req_arrived_us() */
};

TAILQ_HEAD(req_q, kts_req);

/* One connection, raw TCP (spec 8.3) or HTTP (spec 8.2). */
struct conn {
	struct kts_srv *srv;		/* NULL once closed */
	struct bufferevent *bev;	/* output only; NULL once closed */
	struct event *rev;		/* the socket is readable */
	struct evbuffer *in;		/* what has been read, not taken */
	size_t max_in;			/* cap of in: one whole request */
	uint64_t rx_us;			/* the last read's bytes came (mono) */
	int reading;			/* rev is added */
	struct event *timer;		/* idle timeout or read deadline */
	LIST_ENTRY(conn) link;		/* on srv->conns while open */
	TAILQ_ENTRY(conn) dlink;	/* on srv->dirty while dirty */
	int dirty;			/* output waits for srv->flush */
	size_t refs;			/* 1 while open, plus 1 per kts_req */
	size_t pending;			/* TCP: with on_pdu; HTTP: on q */
	size_t max_pending;		/* back-pressure cap of pending */
	int http;			/* HTTP, else raw TCP */
	int in_cb;			/* in the read loop: close after it */
	int closing;			/* a close was asked for in the loop */
	int flushing;			/* closing once the output is written */
	int paused;			/* reading off for back-pressure */
	int eof;			/* the client has finished sending */
	int deadline;			/* the timer is the read deadline */
	int stop;			/* HTTP: the last request is read */
	int linger;			/* close lingering (a refusal) */
	int lingering;			/* discarding input until closed */
	size_t linger_left;		/* bytes still to discard */
	int have_head;			/* HTTP: head parsed, body awaited */
	struct kts_http_head head;	/* HTTP: that head (path not kept) */
	struct req_q q;			/* HTTP: requests not yet written */
};

struct kts_srv {
	struct event_base *base;	/* borrowed */
	struct kts_srv_opts o;		/* defaults filled in; addr unused */
	struct evconnlistener *http;	/* NULL without HTTP */
	struct evconnlistener *tcp;	/* NULL without raw TCP */
	int http_port;			/* -1 when disabled */
	int tcp_port;			/* -1 when disabled */
	size_t max_pdu;			/* request cap, KTS_MAX_PDU */
	LIST_HEAD(, conn) conns;	/* open connections */
	TAILQ_HEAD(, conn) dirty;	/* with output to write, oldest first */
	struct event *flush;		/* writes them, once per loop pass */
	int64_t date_t;			/* the second of date */
	char date[32];			/* HTTP Date of that second */
	struct kts_srv_stats st;
};

/*
 * pdu_frame - the size of the request PDU whose first n header bytes are
 * at hdr (n < 4 is fine: what is there is checked).  KSI spec 1.1: a PDU
 * is one TLV16 element, so its first byte has the TLV16 bit.
 * Returns 0, KTS_ETRUNC (need more bytes), KTS_EFORMAT (not TLV16) or
 * KTS_ETOOBIG (over max).
 */
static int
pdu_frame(const uint8_t *hdr, size_t n, size_t max, size_t *total)
{
	if (n < 1)
		return KTS_ETRUNC;
	if ((hdr[0] & TLV16_BIT) == 0)
		return KTS_EFORMAT;
	if (n < 4)
		return KTS_ETRUNC;
	*total = 4 + ((size_t)hdr[2] << 8 | hdr[3]);
	return *total > max ? KTS_ETOOBIG : 0;
}

/*
 * tlv_frame - the size of any TLV (TLV8 or TLV16, spec 1.1) whose first
 * n bytes are at hdr.  Returns 0, KTS_ETRUNC or KTS_ETOOBIG.
 */
static int
tlv_frame(const uint8_t *hdr, size_t n, size_t *total)
{
	if (n < 2)
		return KTS_ETRUNC;
	if (hdr[0] & TLV16_BIT) {
		if (n < 4)
			return KTS_ETRUNC;
		*total = 4 + ((size_t)hdr[2] << 8 | hdr[3]);
	} else
		*total = 2 + (size_t)hdr[1];
	return *total > KTS_MAX_PDU ? KTS_ETOOBIG : 0;
}

/*
 * copy_hdr - copy out (STYLE.md 10: without draining) the first bytes of
 * b, up to a TLV16 header.  Returns how many there were.
 */
static size_t
copy_hdr(struct evbuffer *b, uint8_t hdr[4])
{
	size_t n = evbuffer_get_length(b);
	ev_ssize_t got;

	got = evbuffer_copyout(b, hdr, n < 4 ? n : 4);
	return got > 0 ? (size_t)got : 0;
}

/* ---- connections, both transports ---- */

static void conn_out(struct conn *c);

static void
conn_unref(struct conn *c)
{
	if (--c->refs == 0)
		free(c);
}

/* Read from the socket (on 1) or not (0). */
static void
conn_reading(struct conn *c, int on)
{
	if (on == c->reading)
		return;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
	c->reading = on;
}

/* Release q: its answer (if kept) and its hold on the connection. */
static void
req_free(struct kts_req *q)
{
	if (q->out != NULL)
		evbuffer_free(q->out);
	conn_unref(q->c);
	free(q);
}

/*
 * HTTP: forget every request not written yet.  Answers kept for them go;
 * requests still with on_pdu are released when it answers or drops them.
 */
static void
conn_forget_queue(struct conn *c)
{
	struct kts_req *q;

	while ((q = TAILQ_FIRST(&c->q)) != NULL) {
		TAILQ_REMOVE(&c->q, q, link);
		q->queued = 0;
		c->pending--;
		if (q->done)
			req_free(q);
	}
}

/*
 * Close c now, or after the read loop when inside it (on_pdu may drop a
 * request while its PDU bytes are still in the input buffer).
 */
static void
conn_close(struct conn *c)
{
	if (c->bev == NULL)
		return;
	if (c->in_cb) {
		c->closing = 1;
		return;
	}
	conn_forget_queue(c);
	LIST_REMOVE(c, link);
	if (c->dirty)
		TAILQ_REMOVE(&c->srv->dirty, c, dlink);
	c->dirty = 0;
	c->srv->st.conns_open--;
	event_free(c->timer);
	c->timer = NULL;
	event_free(c->rev);
	c->rev = NULL;
	evbuffer_free(c->in);
	c->in = NULL;
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->srv = NULL;
	conn_unref(c);
}

/*
 * Close c once the answers queued so far are written (a refused stream,
 * a dropped request, an HTTP answer with "Connection: close"): read no
 * more, queue no more.  The write timeout bounds the wait.
 */
static void conn_linger(struct conn *c);

static void
conn_finish(struct conn *c)
{
	if (c->bev == NULL)
		return;
	if (c->in_cb) {
		c->closing = 1;
		return;
	}
	conn_forget_queue(c);
	c->flushing = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		if (c->linger)
			conn_linger(c);
		else
			conn_close(c);
		return;
	}
	conn_reading(c, 0);
	evtimer_del(c->timer);
	conn_out(c);
}

/* Too much in flight or queued: read no more requests for now. */
static int
conn_full(const struct conn *c)
{
	return c->pending >= c->max_pending ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    KTS_NET_MAX_OUTBUF;
}

/*
 * Arm the timer for what the connection waits on: the read deadline
 * while part of a request is buffered (counted from when that part
 * began), the idle timeout when nothing is in flight, nothing otherwise
 * (we owe the client replies, or it is not reading them: the write
 * timeout).
 */
static void
conn_rearm(struct conn *c)
{
	struct timeval tv = { 0, 0 };

	if (c->flushing)
		return;
	if (evbuffer_get_length(c->in) > 0 && !c->paused && !c->eof &&
	    !c->stop) {
		if (c->deadline)
			return;
		c->deadline = 1;
		tv.tv_sec = c->srv->o.read_timeout_s;
	} else {
		c->deadline = 0;
		if (c->pending > 0 || c->eof || c->stop || evbuffer_get_length(
		    bufferevent_get_output(c->bev)) > 0) {
			evtimer_del(c->timer);
			return;
		}
		tv.tv_sec = c->srv->o.idle_timeout_s;
	}
	evtimer_add(c->timer, &tv);
}

/*
 * Back-pressure over: read again, and run the read callback from the
 * event loop (not from inside kts_req_reply) for requests already
 * buffered.
 */
static void
conn_resume(struct conn *c)
{
	if (!c->paused || c->flushing || c->stop || conn_full(c))
		return;
	c->paused = 0;
	event_active(c->rev, EV_READ, 1);	/* reads on, takes requests */
}

/* Stop reading for back-pressure if c is full; 1 if it is. */
static int
conn_pause_if_full(struct conn *c)
{
	if (!conn_full(c))
		return 0;
	c->paused = 1;
	conn_reading(c, 0);
	return 1;
}

/*
 * Output was queued on c: write it after the callbacks of this loop pass
 * (srv->flush), so that all the answers one pass makes for c leave in one
 * write, with no write event to add and remove for each.
 */
static void
conn_out(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	TAILQ_INSERT_TAIL(&c->srv->dirty, c, dlink);
	event_active(c->srv->flush, EV_TIMEOUT, 1);
}

/*
 * The output of c has been written out: close if that was all, else
 * read on (back-pressure may be over) and rearm the timer.
 */
/*
 * A refusal is written: shut our side for writing, then read and discard
 * what the client still sends (KTS_NET_LINGER_MS, KTS_NET_LINGER_BYTES)
 * before closing, so that it reads the refusal instead of a reset.
 */
static void
conn_linger(struct conn *c)
{
	struct timeval tv = { KTS_NET_LINGER_MS / 1000,
		(KTS_NET_LINGER_MS % 1000) * 1000 };

	if (c->eof || shutdown(bufferevent_getfd(c->bev), SHUT_WR) != 0) {
		conn_close(c);
		return;
	}
	c->lingering = 1;
	c->linger_left = KTS_NET_LINGER_BYTES;
	c->deadline = 0;
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	evtimer_add(c->timer, &tv);
	conn_reading(c, 1);
}

/* Lingering: discard a read's worth; close at the end or the cap. */
static void
linger_read(struct conn *c, evutil_socket_t fd)
{
	uint8_t buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0 || (size_t)n >= c->linger_left) {
		conn_close(c);
		return;
	}
	c->linger_left -= (size_t)n;
}

static void
conn_drained(struct conn *c)
{
	if (c->flushing && c->linger) {
		conn_linger(c);
		return;
	}
	if (c->flushing || ((c->eof || c->stop) && c->pending == 0)) {
		conn_close(c);
		return;
	}
	conn_resume(c);
	conn_rearm(c);
}

/*
 * Write c's output now.  What the socket does not take is left to the
 * bufferevent's write event (and its write timeout) until it is written.
 */
static void
conn_write(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int n;
	int e;

	if (bufferevent_get_enabled(c->bev) & EV_WRITE)
		return;			/* a write event is on it already */
	/* A socket bufferevent keeps its output's front frozen but while
	 * it writes itself. */
	evbuffer_unfreeze(out, 1);
	errno = 0;
	n = evbuffer_write(out, bufferevent_getfd(c->bev));
	e = errno;
	evbuffer_freeze(out, 1);
	if (n < 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR) {
		conn_close(c);		/* the client is gone */
		return;
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
	else
		conn_drained(c);
}

/* srv->flush: write every connection's output queued in this pass. */
static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kts_srv *srv = arg;
	struct conn *c;

	while ((c = TAILQ_FIRST(&srv->dirty)) != NULL) {
		TAILQ_REMOVE(&srv->dirty, c, dlink);
		c->dirty = 0;
		conn_write(c);
	}
}

uint64_t
kts_req_arrived_us(const struct kts_req *req)
{
	return req->arrived_us;
}

const void *
kts_req_conn(const struct kts_req *req)
{
	return req->c;
}

void
kts_srv_flush(struct kts_srv *srv)
{
	flush_cb(-1, 0, srv);
}

/* ---- raw TCP (spec 8.3) ---- */

/*
 * Hand the PDU at the front of in to on_pdu if it is all there.  Returns
 * 1 if one was handed over, 0 to wait (for bytes, or for replies to
 * drain), KTS_EFORMAT (not a PDU stream), KTS_ETOOBIG (the header
 * announces more than the cap: refused before the body is read) or
 * KTS_ENOMEM.
 */
static int
tcp_one(struct conn *c, struct evbuffer *in)
{
	struct kts_srv *srv = c->srv;
	struct kts_req *q;
	const uint8_t *p;
	uint8_t hdr[4];
	size_t total = 0;
	int r;

	if (evbuffer_get_length(in) == 0 || conn_pause_if_full(c))
		return 0;
	if ((r = pdu_frame(hdr, copy_hdr(in, hdr), srv->max_pdu, &total)) != 0)
		return r == KTS_ETRUNC ? 0 : r;
	if (evbuffer_get_length(in) < total)
		return 0;
	if ((p = evbuffer_pullup(in, (ev_ssize_t)total)) == NULL ||
	    (q = calloc(1, sizeof(*q))) == NULL)
		return KTS_ENOMEM;
	q->c = c;
	q->arrived_us = c->rx_us;
	c->refs++;
	c->pending++;
	srv->st.pdus_in++;
	srv->o.on_pdu(srv->o.arg, q, p, total);
	evbuffer_drain(in, total);
	return 1;
}

static void
tcp_reply(struct conn *c, const uint8_t *pdu, size_t len)
{
	c->pending--;
	if (c->bev != NULL && !c->flushing) {
		if (bufferevent_write(c->bev, pdu, len) != 0) {
			kts_log(KTS_LOG_WARN, "net: cannot queue a reply");
			conn_close(c);
		} else {
			conn_out(c);
			conn_resume(c);
			conn_rearm(c);
		}
	}
	conn_unref(c);
}

/* ---- HTTP (spec 8.2, RFC 9112) ---- */

/* The Date of this second (RFC 9110 6.6.1), NULL if it cannot be had. */
static const char *
srv_date(struct kts_srv *srv)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(srv->base, &tv) != 0)
		return NULL;
	if (srv->date[0] == '\0' || (int64_t)tv.tv_sec != srv->date_t) {
		if (kts_http_date((int64_t)tv.tv_sec, srv->date,
		    sizeof(srv->date)) == NULL)
			return NULL;
		srv->date_t = (int64_t)tv.tv_sec;
	}
	return srv->date;
}

/*
 * Write an answer (header and body in one piece of out, so that answers
 * made together leave in one write).  Returns 0, KTS_ENOMEM or
 * KTS_EINTERNAL (a header over HTTP_HEAD_ROOM: a bug).
 */
static int
http_emit(struct conn *c, struct evbuffer *out, const struct kts_req *q,
    int status, const char *ctype, const char *extra, const uint8_t *body,
    size_t len)
{
	struct evbuffer_iovec v;
	size_t blen = q->head_only ? 0 : len;
	size_t n;

	if (evbuffer_reserve_space(out, (ev_ssize_t)(HTTP_HEAD_ROOM + blen),
	    &v, 1) < 1)
		return KTS_ENOMEM;
	n = kts_http_resp_head(v.iov_base, HTTP_HEAD_ROOM, status,
	    srv_date(c->srv), ctype, extra, len, q->conn_hdr);
	if (n == 0)
		return KTS_EINTERNAL;
	if (blen > 0)
		memcpy((char *)v.iov_base + n, body, blen);
	v.iov_len = n + blen;
	return evbuffer_commit_space(out, &v, 1) == 0 ? 0 : KTS_ENOMEM;
}

/*
 * Write the answers at the front of c->q that are ready, in order; stop
 * at one still being made.  A dropped request, or an answer that closes
 * the connection, ends the connection once the output is written.
 */
static void
http_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct kts_req *q;
	int last;

	while ((q = TAILQ_FIRST(&c->q)) != NULL && q->done) {
		if (q->dropped || q->out == NULL ||
		    evbuffer_add_buffer(out, q->out) != 0) {
			conn_finish(c);
			return;
		}
		conn_out(c);
		last = q->conn_hdr == KTS_HTTP_CONN_CLOSE;
		TAILQ_REMOVE(&c->q, q, link);
		c->pending--;
		req_free(q);
		if (last) {
			conn_finish(c);
			return;
		}
	}
	conn_resume(c);
	conn_rearm(c);
}

/*
 * Answer q (status, ctype, extra fields, body): written at once when it
 * is the oldest request of its connection, else kept until it is.  Frees
 * q unless it is kept.
 */
static void
http_answer(struct kts_req *q, int status, const char *ctype,
    const char *extra, const uint8_t *body, size_t len)
{
	struct conn *c = q->c;
	int last;
	int r;

	if (!q->queued) {		/* the connection is gone or closing */
		req_free(q);
		return;
	}
	if (status < 100 || status > 599)
		status = 500;
	if (q == TAILQ_FIRST(&c->q)) {
		r = http_emit(c, bufferevent_get_output(c->bev), q, status,
		    ctype, extra, body, len);
		q->out = NULL;
		conn_out(c);
	} else if ((q->out = evbuffer_new()) == NULL)
		r = KTS_ENOMEM;
	else
		r = http_emit(c, q->out, q, status, ctype, extra, body, len);
	q->done = 1;
	if (r != 0) {
		kts_err_r(r, "net: cannot queue an HTTP answer");
		q->dropped = 1;
	} else if (q->out == NULL) {	/* written: gone */
		last = q->conn_hdr == KTS_HTTP_CONN_CLOSE;
		TAILQ_REMOVE(&c->q, q, link);
		c->pending--;
		req_free(q);
		if (last) {
			conn_finish(c);
			return;
		}
	}
	http_flush(c);
}

/* A request of c in request order, for on_pdu or our own answer. */
static struct kts_req *
http_req_new(struct conn *c)
{
	struct kts_req *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->c = c;
	q->arrived_us = c->rx_us;
	c->refs++;
	q->queued = 1;
	q->head_only = c->head.method == KTS_HTTP_HEAD;
	q->conn_hdr = !c->head.keep_alive ? KTS_HTTP_CONN_CLOSE :
	    c->head.minor == 0 ? KTS_HTTP_CONN_KEEP : KTS_HTTP_CONN_NONE;
	TAILQ_INSERT_TAIL(&c->q, q, link);
	c->pending++;
	return q;
}

/*
 * Answer with status and a short text body, from the server itself.
 * close: then close the connection (a request we cannot frame).
 * Returns 0 or KTS_ENOMEM.
 */
static int
http_status(struct conn *c, int status, int close, const char *extra)
{
	struct kts_req *q;
	char text[64];
	int n;

	n = snprintf(text, sizeof(text), "%d %s\n", status,
	    kts_http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(text))
		n = 0;
	if ((q = http_req_new(c)) == NULL)
		return KTS_ENOMEM;
	if (close)
		q->conn_hdr = KTS_HTTP_CONN_CLOSE;
	http_answer(q, status, "text/plain", extra, (const uint8_t *)text,
	    (size_t)n);
	return 0;
}

/*
 * Stop reading c: its last request is in (HTTP/1.0 without keep-alive,
 * "Connection: close", or one we refused).  Bytes after it are dropped.
 */
static void
http_stop(struct conn *c, struct evbuffer *in)
{
	c->stop = 1;
	conn_reading(c, 0);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* A request we cannot take: answer its status and close. */
static int
http_refuse(struct conn *c, struct evbuffer *in, int status)
{
	c->srv->st.rejected++;
	kts_log(KTS_LOG_DEBUG, "net: refusing an HTTP request: %d %s", status,
	    kts_http_reason(status));
	c->head.keep_alive = 0;
	c->linger = 1;		/* the client may be sending still */
	http_stop(c, in);
	return http_status(c, status, 1, NULL);
}

/*
 * Parse the head at the front of in: from the first chain if it holds
 * it, else from up to KTS_NET_MAX_HTTP_HEADER bytes made contiguous.
 * Returns 1 (c->head holds it), 0 (wait for bytes, or refused and
 * answered) or KTS_ENOMEM.
 */
static int
http_take_head(struct conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	size_t n = evbuffer_get_contiguous_space(in);
	const uint8_t *p;
	int r;

	if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return KTS_ENOMEM;
	r = kts_http_parse_head(p, n, c->srv->max_pdu, &c->head);
	if (r == KTS_ETRUNC && n < len && n < KTS_NET_MAX_HTTP_HEADER) {
		n = len < KTS_NET_MAX_HTTP_HEADER ? len :
		    KTS_NET_MAX_HTTP_HEADER;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
			return KTS_ENOMEM;
		r = kts_http_parse_head(p, n, c->srv->max_pdu, &c->head);
	}
	if (r == KTS_ETRUNC)
		return 0;
	if (r != 0)
		return http_refuse(c, in, c->head.status);
	c->have_head = 1;
	/* RFC 9110 10.1.1: ask for the body, if no answer is owed first. */
	if (c->head.expect_continue && c->head.body_len > 0 &&
	    len < c->head.head_len + c->head.body_len && TAILQ_EMPTY(&c->q) &&
	    bufferevent_write(c->bev, HTTP_CONTINUE,
	    sizeof(HTTP_CONTINUE) - 1) != 0)
		return KTS_ENOMEM;
	if (c->head.expect_continue)
		conn_out(c);
	return 1;
}

/*
 * POST: the body must be exactly one request PDU (spec 8.2); else 400
 * (413 if its header announces more than the cap).
 */
static int
http_post(struct conn *c, const uint8_t *body, size_t len)
{
	struct kts_srv *srv = c->srv;
	struct kts_req *q;
	size_t total = 0;
	int r;

	if (srv->o.on_pdu == NULL)
		return http_status(c, 404, 0, NULL);
	r = pdu_frame(body, len < 4 ? len : 4, srv->max_pdu, &total);
	if (r != 0 || total != len) {
		srv->st.rejected++;
		return http_status(c, r == KTS_ETOOBIG ? 413 : 400, 0, NULL);
	}
	if ((q = http_req_new(c)) == NULL)
		return KTS_ENOMEM;
	srv->st.pdus_in++;
	srv->o.on_pdu(srv->o.arg, q, body, len);
	return 0;
}

/* GET and HEAD: on_get answers, or 404. */
static int
http_get(struct conn *c, const char *path, size_t path_len)
{
	struct kts_srv *srv = c->srv;
	char pbuf[KTS_NET_MAX_HTTP_LINE];
	const char *ctype = NULL;
	struct kts_req *q;
	uint8_t *body = NULL;
	size_t len = 0;
	int status = 404;

	memcpy(pbuf, path, path_len);	/* path_len < the line cap */
	pbuf[path_len] = '\0';
	if (srv->o.on_get != NULL)
		status = srv->o.on_get(srv->o.arg, pbuf, &body, &len, &ctype);
	if (status < 100 || status > 599)
		status = 500;
	if (body == NULL && status >= 400)
		return http_status(c, status, 0, NULL);
	if ((q = http_req_new(c)) == NULL) {
		free(body);
		return KTS_ENOMEM;
	}
	http_answer(q, status, ctype, NULL, body, len);
	free(body);
	return 0;
}

/*
 * Hand the request whose head is c->head and whose need bytes are all
 * in in to its handler.  Returns 0 or KTS_ENOMEM.
 */
static int
http_dispatch(struct conn *c, struct evbuffer *in, size_t need)
{
	const struct kts_http_head *h = &c->head;
	const uint8_t *p;

	/* The head was parsed from these bytes, contiguous and unmoved. */
	if ((p = evbuffer_pullup(in, (ev_ssize_t)need)) == NULL)
		return KTS_ENOMEM;
	switch (h->method) {
	case KTS_HTTP_POST:
		return http_post(c, p + h->head_len, (size_t)h->body_len);
	case KTS_HTTP_GET:
	case KTS_HTTP_HEAD:
		return http_get(c, h->path, h->path_len);
	default:
		return http_status(c, 405, 0, "Allow: GET, HEAD, POST\r\n");
	}
}

/*
 * Take the request at the front of in if it is all there.  Returns 1 if
 * one was taken, 0 to wait (for bytes, or for answers to drain; also
 * after a refusal, answered) or KTS_ENOMEM.
 */
static int
http_one(struct conn *c, struct evbuffer *in)
{
	size_t need;
	int r;

	if (c->stop || evbuffer_get_length(in) == 0 || conn_pause_if_full(c))
		return 0;
	if (!c->have_head && (r = http_take_head(c, in)) != 1)
		return r;
	need = c->head.head_len + (size_t)c->head.body_len;
	if (evbuffer_get_length(in) < need)
		return 0;
	c->have_head = 0;
	if (!c->head.keep_alive)
		c->stop = 1;	/* its answer closes: read no more */
	if ((r = http_dispatch(c, in, need)) != 0)
		return r;
	if (c->bev != NULL && c->stop)
		http_stop(c, in);
	else
		evbuffer_drain(in, need);
	return 1;
}

/* ---- both: the connection's callbacks ---- */

/*
 * Take the requests in c->in; then close (a refusal, EOF with nothing
 * owed), or read on while there is room for a request.
 */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = c->in;
	int r = 0;

	c->in_cb = 1;
	while (!c->closing &&
	    (r = c->http ? http_one(c, in) : tcp_one(c, in)) == 1)
		c->deadline = 0;	/* a new request starts a new deadline */
	c->in_cb = 0;
	if (r < 0) {
		if (r != KTS_ENOMEM)
			c->srv->st.rejected++;
		c->linger = r != KTS_ENOMEM;	/* it may be sending still */
		kts_log(KTS_LOG_DEBUG, "net: closing a connection: %s",
		    r == KTS_EFORMAT ? "not a PDU (no TLV16 header)" :
		    r == KTS_ETOOBIG ? "PDU over the size cap" :
		    kts_strerror(r));
	}
	if (r < 0 || c->closing) {
		conn_finish(c);
		return;
	}
	/* A client may shut down its side and still wait for replies. */
	if (c->eof && c->pending == 0 && evbuffer_get_length(
	    bufferevent_get_output(c->bev)) == 0) {
		conn_close(c);
		return;
	}
	conn_reading(c, !c->paused && !c->stop && !c->eof && !c->flushing &&
	    evbuffer_get_length(in) < c->max_in);
	conn_rearm(c);
}

/*
 * One recv() into c->in, up to its cap (STYLE.md 10): our own read, as a
 * bufferevent asks the kernel for the readable byte count first, a
 * system call more per request.  Returns 0, 1 at the end of the stream,
 * KTS_EIO (the connection failed) or KTS_ENOMEM.
 */
/*
 * The kernel's receive time of a read's newest segment (SO_TIMESTAMPNS,
 * the wall clock at ts), on the monotonic clock that read at now: how
 * long the bytes waited in the socket counts in a request's latency.
 */
static uint64_t
rx_mono(uint64_t now, const void *ts)
{
	struct timespec t;
	uint64_t real = kts_real_us();
	uint64_t at;

	memcpy(&t, ts, sizeof(t));
	at = (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
	if (t.tv_sec < 0 || at > real || real - at > now)
		return now;		/* a clock step: take the read time */
	return now - (real - at);
}

static int
conn_recv(struct conn *c, evutil_socket_t fd)
{
	size_t have = evbuffer_get_length(c->in);
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct evbuffer_iovec v;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *cm;
	size_t want;
	ssize_t n;

	if (have >= c->max_in)
		return 0;
	want = c->max_in - have < READ_CHUNK ? c->max_in - have : READ_CHUNK;
	if (evbuffer_reserve_space(c->in, (ev_ssize_t)want, &v, 1) < 1)
		return KTS_ENOMEM;
	memset(&m, 0, sizeof(m));
	iov.iov_base = v.iov_base;
	iov.iov_len = want;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (c->srv->o.stamp) {
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
	}
	n = recvmsg(fd, &m, 0);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : KTS_EIO;
	c->rx_us = kts_mono_us();
	for (cm = c->srv->o.stamp ? CMSG_FIRSTHDR(&m) : NULL; cm != NULL;
	    cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS)
			c->rx_us = rx_mono(c->rx_us, CMSG_DATA(cm));
	v.iov_len = (size_t)n;
	return evbuffer_commit_space(c->in, &v, 1) == 0 ? 0 : KTS_ENOMEM;
}

/* c->rev: the socket is readable (or conn_resume() asks for a pass). */
static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int r = 0;

	if (c->lingering) {
		linger_read(c, fd);
		return;
	}
	if (c->reading && !c->eof && (r = conn_recv(c, fd)) < 0) {
		kts_log(KTS_LOG_DEBUG, "net: a connection failed: %s",
		    r == KTS_EIO ? strerror(errno) : kts_strerror(r));
		conn_close(c);
		return;
	}
	if (r == 1) {
		c->eof = 1;
		conn_reading(c, 0);
	}
	conn_process(c);
}

/*
 * The bufferevent has written out what conn_write() left (the write low
 * watermark is 0): back to writing from srv->flush.
 */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_disable(bev, EV_WRITE);
	conn_drained(arg);
}

/* Writing what conn_write() left failed or timed out. */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	conn_close(arg);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->deadline) {
		c->srv->st.rejected++;
		kts_log(KTS_LOG_DEBUG, "net: %s client too slow, closing",
		    c->http ? "HTTP" : "raw TCP");
	}
	conn_close(c);
}

/* The parts of a connection on fd, or NULL (out of memory). */
static struct conn *
conn_new(struct kts_srv *srv, evutil_socket_t fd)
{
	struct conn *c;

	int on = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	/* Best effort: without it a request arrives when it is read. */
	if (srv->o.stamp)
		(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on,
		    sizeof(on));
	if ((c->timer = evtimer_new(srv->base, timer_cb, c)) == NULL ||
	    (c->rev = event_new(srv->base, fd, EV_READ | EV_PERSIST, read_cb,
	    c)) == NULL || (c->in = evbuffer_new()) == NULL ||
	    (c->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c->in != NULL)
			evbuffer_free(c->in);
		if (c->rev != NULL)
			event_free(c->rev);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	return c;
}

/* A new connection; beyond max_conns it is closed at once. */
static void
conn_accept(struct kts_srv *srv, evutil_socket_t fd, int http)
{
	struct timeval wtv = { srv->o.idle_timeout_s, 0 };
	struct conn *c;
	int one = 1;

	if (srv->st.conns_open >= srv->o.max_conns) {
		srv->st.rejected++;
		kts_log(KTS_LOG_DEBUG, "net: over %zu connections, refusing",
		    srv->o.max_conns);
		evutil_closesocket(fd);
		return;
	}
	if ((c = conn_new(srv, fd)) == NULL) {
		kts_log(KTS_LOG_WARN, "net: out of memory for a connection");
		evutil_closesocket(fd);
		return;
	}
	c->srv = srv;
	c->refs = 1;
	c->http = http;
	c->max_pending = http ? KTS_NET_MAX_HTTP_INFLIGHT : KTS_NET_MAX_PENDING;
	TAILQ_INIT(&c->q);
	/* Answers go out as they are made, not held for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bufferevent_setcb(c->bev, NULL, write_cb, event_cb, c);
	/* STYLE.md 10: at most one request is buffered before it is taken. */
	c->max_in = srv->max_pdu + (http ? KTS_NET_MAX_HTTP_HEADER : 0);
	bufferevent_set_timeouts(c->bev, NULL, &wtv);
	/* Writes come from conn_write(); a write event only for a rest. */
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	conn_reading(c, 1);
	LIST_INSERT_HEAD(&srv->conns, c, link);
	srv->st.conns_total++;
	srv->st.conns_open++;
	conn_rearm(c);
}

static void
tcp_accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	conn_accept(arg, fd, 0);
}

static void
http_accept_cb(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	conn_accept(arg, fd, 1);
}

/* ---- server setup and the public request calls ---- */

/*
 * Listen on addr:port (0: an ephemeral port) with cb, and give the bound
 * port.  Returns 0 or KTS_EIO (errno kept).
 */
static int
srv_listen(struct kts_srv *srv, const char *addr, int port,
    evconnlistener_cb cb, struct evconnlistener **out, int *bound)
{
	struct evutil_addrinfo hints;
	struct evutil_addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	char ps[16];
	int e;

	*out = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", port);
	if (evutil_getaddrinfo(addr, ps, &hints, &ai) != 0) {
		errno = EADDRNOTAVAIL;
		return KTS_EIO;
	}
	*out = evconnlistener_new_bind(srv->base, cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC |
	    (srv->o.reuseport ? LEV_OPT_REUSEABLE_PORT : 0),
	    -1, ai->ai_addr, (int)ai->ai_addrlen);
	e = errno;
	evutil_freeaddrinfo(ai);
	errno = e;
	if (*out == NULL)
		return KTS_EIO;
	if (getsockname(evconnlistener_get_fd(*out), (struct sockaddr *)&ss,
	    &sl) != 0)
		return KTS_EIO;
	*bound = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int
kts_srv_new(struct event_base *base, const struct kts_srv_opts *o,
    struct kts_srv **out)
{
	struct kts_srv *tmp = NULL;
	const char *addr;
	int r = 0;
	int e;

	*out = NULL;
	if (base == NULL || o == NULL || o->http_port > 65535 ||
	    o->tcp_port > 65535 || (o->on_pdu == NULL && o->tcp_port >= 0))
		return KTS_EINVAL;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return KTS_ENOMEM;
	tmp->base = base;
	tmp->o = *o;
	addr = o->addr != NULL ? o->addr : "127.0.0.1";
	tmp->o.addr = NULL;
	if (tmp->o.max_conns == 0)
		tmp->o.max_conns = KTS_NET_MAX_CONNS;
	if (tmp->o.idle_timeout_s <= 0)
		tmp->o.idle_timeout_s = KTS_NET_IDLE_TIMEOUT;
	if (tmp->o.read_timeout_s <= 0)
		tmp->o.read_timeout_s = KTS_NET_READ_TIMEOUT;
	tmp->max_pdu = KTS_MAX_PDU;
	tmp->http_port = -1;
	tmp->tcp_port = -1;
	LIST_INIT(&tmp->conns);
	TAILQ_INIT(&tmp->dirty);
	if ((tmp->flush = event_new(base, -1, 0, flush_cb, tmp)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	if ((o->http_port >= 0 && (r = srv_listen(tmp, addr, o->http_port,
	    http_accept_cb, &tmp->http, &tmp->http_port)) != 0) ||
	    (o->tcp_port >= 0 && (r = srv_listen(tmp, addr, o->tcp_port,
	    tcp_accept_cb, &tmp->tcp, &tmp->tcp_port)) != 0))
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	e = errno;
	kts_srv_free(tmp);
	errno = e;
	return r;
}

void
kts_srv_free(struct kts_srv *srv)
{
	struct conn *c;

	if (srv == NULL)
		return;
	if (srv->http != NULL)
		evconnlistener_free(srv->http);
	if (srv->tcp != NULL)
		evconnlistener_free(srv->tcp);
	while ((c = LIST_FIRST(&srv->conns)) != NULL) {
		c->in_cb = 0;
		conn_close(c);
	}
	if (srv->flush != NULL)
		event_free(srv->flush);
	free(srv);
}

void
kts_srv_ports(const struct kts_srv *srv, int *http_port, int *tcp_port)
{
	if (http_port != NULL)
		*http_port = srv->http_port;
	if (tcp_port != NULL)
		*tcp_port = srv->tcp_port;
}

void
kts_srv_stats(const struct kts_srv *srv, struct kts_srv_stats *out)
{
	*out = srv->st;
}

void
kts_srv_set_max_pdu(struct kts_srv *srv, size_t max)
{
	if (max < 4 || max > KTS_MAX_PDU)
		return;
	srv->max_pdu = max;
}

void
kts_req_reply(struct kts_req *req, const uint8_t *pdu, size_t len,
    int http_status)
{
	if (req == NULL)
		return;
	if (req->c->http) {
		http_answer(req, http_status, KSI_RESP_CTYPE, NULL, pdu, len);
		return;
	}
	tcp_reply(req->c, pdu, len);
	free(req);
}

void
kts_req_drop(struct kts_req *req)
{
	if (req == NULL)
		return;
	if (req->c->http) {
		if (!req->queued) {
			req_free(req);
			return;
		}
		req->done = 1;
		req->dropped = 1;
		http_flush(req->c);	/* closes when its turn comes */
		return;
	}
	req->c->pending--;
	conn_finish(req->c);
	conn_unref(req->c);
	free(req);
}

int
kts_req_is_tcp(const struct kts_req *req)
{
	return !req->c->http;
}

/* ---- blocking client (spec 8.1) ---- */

enum { URL_HTTP, URL_KSI_HTTP, URL_TCP };

/* A parsed service URL. */
struct url {
	struct evhttp_uri *u;		/* owned */
	int kind;			/* URL_* */
	char host[256];			/* for the resolver: no [ ] */
	int port;
};

/* One blocking exchange on its own event base. */
struct cli {
	struct event_base *base;
	struct bufferevent *bev;
	struct event *timer;		/* the whole exchange's deadline */
	struct evutil_addrinfo *ai;	/* the resolved addresses */
	struct evutil_addrinfo *cur;	/* the one being tried */
	struct evbuffer *out;		/* the request, sent once connected */
	const char *host;		/* for messages */
	int port;
	int timeout_ms;
	int http;			/* read an HTTP response, else a TLV */
	size_t max;			/* body cap */
	int connected;
	int err;			/* errno of the last failed connect */
	int r;				/* 1 while running, then the result */
	int hdr_done;			/* HTTP: the header block is parsed */
	int status;			/* HTTP status code */
	char reason[64];		/* the reason phrase, printable part */
	int have_clen;			/* HTTP: Content-Length was sent */
	uint64_t clen;
	uint8_t *body;			/* the response body or PDU */
	size_t body_len;
	char *why;
	size_t whylen;
};

static void say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cli_fail(struct cli *c, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A message for the caller; a cut-off message is still useful. */
static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* End the exchange with r (the first failure wins) and say why. */
static void
cli_fail(struct cli *c, int r, const char *fmt, ...)
{
	va_list ap;

	if (c->r != 1)
		return;
	c->r = r;
	if (c->why != NULL && c->whylen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	event_base_loopbreak(c->base);
}

/* The response is the first n bytes of in. */
static void
cli_take(struct cli *c, struct evbuffer *in, size_t n)
{
	if ((c->body = malloc(n > 0 ? n : 1)) == NULL) {
		cli_fail(c, KTS_ENOMEM, "out of memory");
		return;
	}
	evbuffer_remove(in, c->body, n);
	c->body_len = n;
	c->r = 0;
	event_base_loopbreak(c->base);
}

/* Raw TCP: exactly one TLV, at most KTS_MAX_PDU (spec 8.3). */
static void
tlv_input(struct cli *c, struct evbuffer *in, int at_eof)
{
	uint8_t hdr[4];
	size_t total = 0;
	int r;

	r = tlv_frame(hdr, copy_hdr(in, hdr), &total);
	if (r == 0 && evbuffer_get_length(in) >= total)
		cli_take(c, in, total);
	else if (r == KTS_ETOOBIG)
		cli_fail(c, r, "the response from %s port %d is over %u bytes",
		    c->host, c->port, (unsigned)KTS_MAX_PDU);
	else if (at_eof)
		cli_fail(c, KTS_EIO, "%s port %d closed the connection after "
		    "%zu bytes, before a whole response", c->host, c->port,
		    evbuffer_get_length(in));
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* "HTTP/1.x NNN reason": keep the code and a printable reason. */
static int
http_status_line(struct cli *c, const char *s, size_t len)
{
	size_t i;
	size_t j = 0;

	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[8] != ' ' ||
	    !is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) ||
	    (len > 12 && s[12] != ' '))
		return KTS_EFORMAT;
	c->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	for (i = 13; i < len && j + 1 < sizeof(c->reason); i++)
		if (s[i] >= 0x20 && s[i] < 0x7f)
			c->reason[j++] = s[i];
	c->reason[j] = '\0';
	return 0;
}

/* Is the header field name at s (n bytes) want, in any case? */
static int
field_is(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && evutil_ascii_strncasecmp(s, want, n) == 0;
}

/*
 * One "name: value" line.  Keeps Content-Length; refuses a transfer
 * coding (we ask with HTTP/1.0, so a server must not use one).
 * Returns 0, KTS_EFORMAT or KTS_EUNSUPPORTED.
 */
static int
http_field(struct cli *c, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	const char *v;
	char num[24];
	uint64_t n;
	size_t vl;

	if (colon == NULL)
		return KTS_EFORMAT;
	v = colon + 1;
	vl = len - (size_t)(v - s);
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (field_is(s, (size_t)(colon - s), "Transfer-Encoding"))
		return field_is(v, vl, "identity") ? 0 : KTS_EUNSUPPORTED;
	if (!field_is(s, (size_t)(colon - s), "Content-Length"))
		return 0;
	if (vl == 0 || vl >= sizeof(num) || v[0] < '0' || v[0] > '9')
		return KTS_EFORMAT;
	memcpy(num, v, vl);
	num[vl] = '\0';
	if (kts_parse_u64(num, UINT64_MAX, &n) != 0 ||
	    (c->have_clen && c->clen != n))
		return KTS_EFORMAT;
	c->have_clen = 1;
	c->clen = n;
	return 0;
}

/* The header block p[0..n), which ends with an empty line. */
static int
http_parse_head(struct cli *c, const char *p, size_t n)
{
	const char *lim = p + n;
	const char *eol;
	size_t len;
	int first = 1;
	int r;

	while (p < lim && (eol = memchr(p, '\n', (size_t)(lim - p))) != NULL) {
		len = (size_t)(eol - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (!first && len == 0)
			break;
		r = first ? http_status_line(c, p, len) : http_field(c, p, len);
		if (r != 0)
			return r;
		first = 0;
		p = eol + 1;
	}
	return first ? KTS_EFORMAT : 0;
}

/* Read and parse the header block.  Returns 0 once it is done. */
static int
http_head(struct cli *c, struct evbuffer *in, int at_eof)
{
	struct evbuffer_ptr pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	const char *p;
	size_t hlen;
	int r;

	if (pos.pos < 0) {
		if (evbuffer_get_length(in) > KTS_NET_MAX_HTTP_HEADER)
			cli_fail(c, KTS_ETOOBIG, "the HTTP header from %s "
			    "port %d is over %u bytes", c->host, c->port,
			    KTS_NET_MAX_HTTP_HEADER);
		else if (at_eof)
			cli_fail(c, KTS_EIO, "%s port %d closed the connection "
			    "before an HTTP response", c->host, c->port);
		return 1;
	}
	hlen = (size_t)pos.pos + 4;
	if (hlen > KTS_NET_MAX_HTTP_HEADER) {
		cli_fail(c, KTS_ETOOBIG, "the HTTP header from %s port %d is "
		    "over %u bytes", c->host, c->port, KTS_NET_MAX_HTTP_HEADER);
		return 1;
	}
	if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)hlen)) == NULL)
		r = KTS_ENOMEM;
	else
		r = http_parse_head(c, p, hlen);
	if (r != 0) {
		cli_fail(c, r == KTS_ENOMEM ? r : KTS_EIO, "%s from %s port %d",
		    r == KTS_EUNSUPPORTED ? "a transfer-coded HTTP response" :
		    r == KTS_ENOMEM ? "out of memory reading a response" :
		    "a malformed HTTP response", c->host, c->port);
		return 1;
	}
	evbuffer_drain(in, hlen);
	c->hdr_done = 1;
	return 0;
}

/* A body over the cap: an HTTP error if the status says so. */
static void
http_too_big(struct cli *c)
{
	if (c->status < 200 || c->status > 299)
		cli_fail(c, KTS_EIO, "HTTP %d %s", c->status, c->reason);
	else
		cli_fail(c, KTS_ETOOBIG, "the response body from %s port %d "
		    "is over %zu bytes", c->host, c->port, c->max);
}

/* HTTP: the header, then Content-Length bytes or all until EOF. */
static void
http_input(struct cli *c, struct evbuffer *in, int at_eof)
{
	size_t have;

	if (!c->hdr_done && http_head(c, in, at_eof) != 0)
		return;
	have = evbuffer_get_length(in);
	if ((c->have_clen && c->clen > c->max) || have > c->max)
		http_too_big(c);
	else if (c->have_clen && have >= c->clen)
		cli_take(c, in, (size_t)c->clen);
	else if (!c->have_clen && at_eof)
		cli_take(c, in, have);
	else if (at_eof)
		cli_fail(c, KTS_EIO, "%s port %d closed the connection after "
		    "%zu of %llu body bytes", c->host, c->port, have,
		    (unsigned long long)c->clen);
}

static void
cli_read_cb(struct bufferevent *bev, void *arg)
{
	struct cli *c = arg;

	if (c->http)
		http_input(c, bufferevent_get_input(bev), 0);
	else
		tlv_input(c, bufferevent_get_input(bev), 0);
}

static void cli_connect(struct cli *c);

static void
cli_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct cli *c = arg;
	int e = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		c->connected = 1;
		if (bufferevent_write_buffer(bev, c->out) != 0)
			cli_fail(c, KTS_ENOMEM, "out of memory");
	} else if (!c->connected) {
		c->err = e;
		c->cur = c->cur->ai_next;
		cli_connect(c);		/* the next address, if any */
	} else if (what & BEV_EVENT_EOF) {
		if (c->http)
			http_input(c, bufferevent_get_input(bev), 1);
		else
			tlv_input(c, bufferevent_get_input(bev), 1);
	} else
		cli_fail(c, KTS_EIO, "connection to %s port %d failed: %s",
		    c->host, c->port, evutil_socket_error_to_string(e));
}

/* Connect to c->cur or the next address that takes a connect call. */
static void
cli_connect(struct cli *c)
{
	size_t cap = c->http ? KTS_NET_MAX_HTTP_HEADER + c->max : KTS_MAX_PDU;

	for (; c->cur != NULL; c->cur = c->cur->ai_next) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		if ((c->bev = bufferevent_socket_new(c->base, -1,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			cli_fail(c, KTS_ENOMEM, "out of memory");
			return;
		}
		bufferevent_setcb(c->bev, cli_read_cb, NULL, cli_event_cb, c);
		/* STYLE.md 10: never buffer more than the response may be. */
		bufferevent_setwatermark(c->bev, EV_READ, 0, cap + 1);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		if (bufferevent_socket_connect(c->bev, c->cur->ai_addr,
		    (int)c->cur->ai_addrlen) == 0)
			return;
		c->err = EVUTIL_SOCKET_ERROR();
	}
	cli_fail(c, KTS_EIO, "cannot connect to %s port %d: %s", c->host,
	    c->port, c->err != 0 ? evutil_socket_error_to_string(c->err) :
	    "no usable address");
}

static void
cli_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cli *c = arg;

	cli_fail(c, KTS_EIO, "timeout after %d ms %s %s port %d",
	    c->timeout_ms, c->connected ? "waiting for the response from" :
	    "connecting to", c->host, c->port);
}

/* Resolve, connect, send c->out and read the response, all in time. */
static int
cli_run(struct cli *c)
{
	struct evutil_addrinfo hints;
	struct timeval tv;
	char ps[16];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", c->port);
	if ((e = evutil_getaddrinfo(c->host, ps, &hints, &c->ai)) != 0) {
		say(c->why, c->whylen, "cannot resolve %.200s: %s", c->host,
		    evutil_gai_strerror(e));
		return KTS_EIO;
	}
	if ((c->base = event_base_new()) == NULL ||
	    (c->timer = evtimer_new(c->base, cli_timer_cb, c)) == NULL)
		return KTS_ENOMEM;
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	c->r = 1;
	c->cur = c->ai;
	cli_connect(c);
	if (c->r == 1)
		event_base_dispatch(c->base);
	if (c->r == 1) {
		say(c->why, c->whylen, "internal error: the event loop ended");
		c->r = KTS_EINTERNAL;
	}
	return c->r;
}

static void
cli_free(struct cli *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->base != NULL)
		event_base_free(c->base);
	if (c->ai != NULL)
		evutil_freeaddrinfo(c->ai);
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c->body);
}

/* Percent-decode n bytes of s (RFC 3986 2.1).  Ownership: free(). */
static char *
pct_decode(const char *s, size_t n)
{
	char *out;
	size_t i;
	size_t j = 0;
	uint8_t b;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && n - i > 2 &&
		    kts_hex_decode((char[3]){ s[i + 1], s[i + 2], '\0' }, &b, 1,
		    &(size_t){ 0 }) == 0) {
			out[j++] = (char)b;
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/* Spec 8.1: which transport a scheme names; -2 for TLS, -1 unknown. */
static int
scheme_kind(const char *scheme)
{
	if (evutil_ascii_strcasecmp(scheme, "http") == 0)
		return URL_HTTP;
	if (evutil_ascii_strcasecmp(scheme, "ksi+http") == 0 ||
	    evutil_ascii_strcasecmp(scheme, "ksi") == 0)
		return URL_KSI_HTTP;
	if (evutil_ascii_strcasecmp(scheme, "ksi+tcp") == 0)
		return URL_TCP;
	if (evutil_ascii_strcasecmp(scheme, "https") == 0 ||
	    evutil_ascii_strcasecmp(scheme, "ksi+https") == 0)
		return -2;
	return -1;
}

/*
 * Parse a service URL.  Messages never repeat the URL: it may hold a
 * key.  Returns 0, KTS_EINVAL or KTS_ENOMEM.
 */
static int
url_parse(const char *s, struct url *url, char *why, size_t whylen)
{
	const char *scheme;
	const char *host;
	size_t hl;

	memset(url, 0, sizeof(*url));
	if ((url->u = evhttp_uri_parse(s)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(url->u)) == NULL) {
		say(why, whylen, "not a valid URL");
		return KTS_EINVAL;
	}
	if ((url->kind = scheme_kind(scheme)) < 0) {
		say(why, whylen, url->kind == -2 ? "%.16s:// is not "
		    "supported (no TLS in this build)" : "unsupported URL "
		    "scheme %.16s:// (use http, ksi+http, ksi+tcp or file)",
		    scheme);
		return KTS_EINVAL;
	}
	host = evhttp_uri_get_host(url->u);
	hl = host != NULL ? strlen(host) : 0;
	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']')
		host++, hl -= 2;
	if (hl == 0 || hl >= sizeof(url->host)) {
		say(why, whylen, "no usable host name in the URL");
		return KTS_EINVAL;
	}
	memcpy(url->host, host, hl);
	url->host[hl] = '\0';
	url->port = evhttp_uri_get_port(url->u);
	if (url->port < 0 && url->kind != URL_TCP)
		url->port = 80;
	if (url->port <= 0) {
		say(why, whylen, "%s", url->kind == URL_TCP ? "a ksi+tcp:// "
		    "URL needs a port (ksi+tcp://host:port)" :
		    "bad port in the URL");
		return KTS_EINVAL;
	}
	return 0;
}

/* Plain http:// user:pass@ is HTTP basic auth (spec 8.1). */
static int
add_basic_auth(struct evbuffer *out, const char *userinfo, char *why,
    size_t whylen)
{
	char *plain = NULL;
	unsigned char *b64 = NULL;
	size_t n = strlen(userinfo);
	int r = KTS_ENOMEM;

	if (n > 1024) {
		say(why, whylen, "the user:password in the URL is too long");
		return KTS_EINVAL;
	}
	if ((plain = pct_decode(userinfo, n)) == NULL ||
	    (b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		goto out;
	n = strlen(plain);
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
	if (evbuffer_add_printf(out, "Authorization: Basic %s\r\n", b64) > 0)
		r = 0;
	OPENSSL_cleanse(b64, strlen((char *)b64));
out:
	if (plain != NULL)
		OPENSSL_cleanse(plain, strlen(plain));
	free(plain);
	free(b64);
	return r;
}

/*
 * The HTTP/1.0 request (no chunked reply, the server closes after it):
 * POST with the PDU (spec 8.2) or a plain GET.
 */
static int
http_request(struct evbuffer *out, const struct url *url, int post,
    const uint8_t *body, size_t len, char *why, size_t whylen)
{
	const char *path = evhttp_uri_get_path(url->u);
	const char *query = evhttp_uri_get_query(url->u);
	const char *ui = evhttp_uri_get_userinfo(url->u);
	int port = evhttp_uri_get_port(url->u);
	int r;

	if (evbuffer_add_printf(out, "%s %s%s%s HTTP/1.0\r\nHost: %s",
	    post ? "POST" : "GET", path != NULL && *path != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "",
	    evhttp_uri_get_host(url->u)) < 0 ||
	    (port >= 0 && evbuffer_add_printf(out, ":%d", port) < 0) ||
	    evbuffer_add_printf(out, "\r\nUser-Agent: kts/%s\r\n"
	    "Connection: close\r\n", PACKAGE_VERSION) < 0 ||
	    (post && evbuffer_add_printf(out, "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n", KSI_REQ_CTYPE, len) < 0))
		return KTS_ENOMEM;
	if (url->kind == URL_HTTP && ui != NULL &&
	    (r = add_basic_auth(out, ui, why, whylen)) != 0)
		return r;
	if (evbuffer_add(out, "\r\n", 2) != 0 ||
	    (post && evbuffer_add(out, body, len) != 0))
		return KTS_ENOMEM;
	return 0;
}

/*
 * A write to a socket the peer closed raises SIGPIPE, which would end
 * the program: block it on this thread for the call, and take away one
 * that was raised meanwhile.
 */
static void
sigpipe_block(sigset_t *old, int *was_pending)
{
	sigset_t set;
	sigset_t pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	*was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void
sigpipe_restore(const sigset_t *old, int was_pending)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	sigset_t pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!was_pending && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE))
		(void)sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* An HTTP result: spec 8.2, the status matters only without a PDU. */
static int
http_result(struct cli *c, int post)
{
	size_t total = 0;

	if (post && tlv_frame(c->body, c->body_len, &total) == 0 &&
	    total == c->body_len)
		return 0;
	if (c->status < 200 || c->status > 299) {
		say(c->why, c->whylen, "HTTP %d %s", c->status, c->reason);
		return KTS_EIO;
	}
	if (!post)
		return 0;
	say(c->why, c->whylen, "HTTP %d %s from %s port %d, but the body is "
	    "not one PDU (%zu bytes)", c->status, c->reason, c->host, c->port,
	    c->body_len);
	return KTS_EIO;
}

/* POST a PDU (post) or GET over the network; see kts_net_exchange. */
static int
net_call(const char *s, const uint8_t *req, size_t len, int post, size_t max,
    int timeout_ms, uint8_t **out, size_t *out_len, char *why, size_t whylen)
{
	struct url url;
	struct cli c;
	sigset_t old;
	int pend;
	int r;

	memset(&c, 0, sizeof(c));
	c.why = why;
	c.whylen = whylen;
	if ((r = url_parse(s, &url, why, whylen)) != 0)
		goto out;
	if (!post && url.kind == URL_TCP) {
		say(why, whylen, "ksi+tcp:// cannot fetch files (use http://)");
		r = KTS_EINVAL;
		goto out;
	}
	c.http = url.kind != URL_TCP;
	c.host = url.host;
	c.port = url.port;
	c.max = max;
	c.timeout_ms = timeout_ms;
	if ((c.out = evbuffer_new()) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	if (c.http)
		r = http_request(c.out, &url, post, req, len, why, whylen);
	else if (evbuffer_add(c.out, req, len) != 0)
		r = KTS_ENOMEM;
	if (r != 0)
		goto out;
	sigpipe_block(&old, &pend);
	r = cli_run(&c);
	sigpipe_restore(&old, pend);
	if (r == 0 && c.http)
		r = http_result(&c, post);
	if (r == 0) {
		*out = c.body;
		*out_len = c.body_len;
		c.body = NULL;
	}
out:
	cli_free(&c);
	if (url.u != NULL)
		evhttp_uri_free(url.u);
	return r;
}

/* The path of a file:// URL ("file://localhost/p" is "/p"), or NULL. */
static const char *
file_path(const char *url)
{
	if (evutil_ascii_strncasecmp(url, "file://", 7) != 0)
		return NULL;
	url += 7;
	if (evutil_ascii_strncasecmp(url, "localhost/", 10) == 0)
		url += 9;
	return url;
}

/* Read a file:// "response" of at most max bytes. */
static int
file_read(const char *path, size_t max, uint8_t **out, size_t *len,
    char *why, size_t whylen)
{
	int r;

	if (*path == '\0') {
		say(why, whylen, "no path in the file:// URL");
		return KTS_EINVAL;
	}
	if ((r = kts_file_read(path, max, out, len)) == KTS_EIO)
		say(why, whylen, "cannot read %.200s: %s", path,
		    strerror(errno));
	else if (r == KTS_ETOOBIG)
		say(why, whylen, "%.200s is over %zu bytes", path, max);
	else if (r != 0)
		say(why, whylen, "cannot read %.200s: %s", path,
		    kts_strerror(r));
	return r;
}

int
kts_net_exchange(const char *url, const uint8_t *req, size_t len,
    int timeout_ms, uint8_t **resp, size_t *resp_len, char *why,
    size_t whylen)
{
	const char *path;
	size_t total = 0;
	int r;

	*resp = NULL;
	*resp_len = 0;
	say(why, whylen, "%s", "");
	if (url == NULL || (req == NULL && len > 0) || timeout_ms <= 0) {
		say(why, whylen, "bad arguments (a URL, a request, a timeout)");
		return KTS_EINVAL;
	}
	if (len > KTS_MAX_PDU) {
		say(why, whylen, "the request is over %u bytes", KTS_MAX_PDU);
		return KTS_ETOOBIG;
	}
	if ((path = file_path(url)) == NULL)
		return net_call(url, req, len, 1, KTS_MAX_PDU, timeout_ms, resp,
		    resp_len, why, whylen);
	if ((r = file_read(path, KTS_MAX_PDU, resp, resp_len, why,
	    whylen)) != 0)
		return r;
	if (tlv_frame(*resp, *resp_len, &total) != 0 || total != *resp_len) {
		say(why, whylen, "%.200s does not hold exactly one PDU", path);
		free(*resp);
		*resp = NULL;
		*resp_len = 0;
		return KTS_EFORMAT;
	}
	return 0;
}

int
kts_net_get(const char *url, size_t max, int timeout_ms, uint8_t **body,
    size_t *len, char *why, size_t whylen)
{
	const char *path;

	*body = NULL;
	*len = 0;
	say(why, whylen, "%s", "");
	if (url == NULL || timeout_ms <= 0) {
		say(why, whylen, "bad arguments (a URL, a timeout)");
		return KTS_EINVAL;
	}
	if ((path = file_path(url)) != NULL)
		return file_read(path, max, body, len, why, whylen);
	return net_call(url, NULL, 0, 0, max, timeout_ms, body, len, why,
	    whylen);
}

int
kts_url_credentials(const char *url, char **user, char **key)
{
	struct evhttp_uri *u;
	const char *ui;
	const char *colon;
	int kind;
	int r = 0;

	*user = NULL;
	*key = NULL;
	if (url == NULL || (u = evhttp_uri_parse(url)) == NULL)
		return 0;
	kind = evhttp_uri_get_scheme(u) != NULL ?
	    scheme_kind(evhttp_uri_get_scheme(u)) : -1;
	ui = evhttp_uri_get_userinfo(u);
	/* Spec 8.1: only the KSI schemes carry KSI credentials. */
	if (ui != NULL && (kind == URL_KSI_HTTP || kind == URL_TCP)) {
		colon = strchr(ui, ':');
		if ((*user = pct_decode(ui, colon != NULL ?
		    (size_t)(colon - ui) : strlen(ui))) == NULL ||
		    (colon != NULL && (*key = pct_decode(colon + 1,
		    strlen(colon + 1))) == NULL)) {
			free(*user);
			*user = NULL;
			r = KTS_ENOMEM;
		}
	}
	evhttp_uri_free(u);
	return r;
}
