/*
 * upstream.c - the asynchronous PDU client of upstream.h (KSI spec 8).
 *
 * A request waits in up->wait (raw TCP: sent on the one connection; HTTP:
 * on a pool connection of its own) until its answer, a failure or its
 * deadline; a timer sweeps deadlines.  Callbacks never run inside
 * kts_up_send(): a failure found while sending is reported from a
 * zero-delay event, so a caller may hold its own state half-built around
 * a send.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "err.h"
#include "limits.h"
#include "log.h"
#include "rd.h"
#include "tlv.h"
#include "upstream.h"
#include "util.h"

/* How often deadlines are checked; a timeout fires at most this late. */
#define SWEEP_MS 20

/* One request waiting for its answer. */
struct upw {
	uint64_t req_id;
	uint64_t deadline_ms;		/* monotonic */
	struct evhttp_request *hreq;	/* HTTP: in flight, else NULL */
	size_t slot;			/* HTTP: the pool connection */
	int dead;			/* answered or failed: reap it */
	char why[96];			/* failure to report, or "" */
};

/* One pool connection; the callback argument of its requests. */
struct up_slot {
	struct kts_up *up;
	struct evhttp_connection *conn;	/* NULL until first used */
	int busy;
};

struct kts_up {
	struct event_base *base;
	int tcp;
	int timeout_ms;
	kts_up_fn cb;
	void *arg;
	char host[256];
	int port;
	char *path;			/* HTTP: request target */
	char *hosthdr;			/* HTTP: Host header value */
	char addr[64];			/* HTTP: the resolved address */
	struct sockaddr_storage sa;	/* resolved once */
	int salen;
	struct bufferevent *bev;	/* TCP: the connection, or NULL */
	int connected;
	uint64_t down_since_ms;		/* last failed connect, 0 if none */
	struct up_slot *slots;		/* HTTP pool */
	size_t n_slots;
	struct upw *wait;		/* waiting requests */
	size_t n_wait;
	size_t cap_wait;
	struct event *sweep;		/* deadlines and deferred failures */
	struct kts_up_stats st;
	int sending;			/* inside kts_up_send() */
	uint64_t read_us;		/* the answers being delivered came */
};

/*
 * Parents' answers go before new client work: the events of an upstream
 * run at the base's first priority (an aggregator has two, see
 * aggregator/main.c; a base with one runs everything at 0 anyway).
 */
#define UP_PRIORITY 0

int
kts_resp_req_id(const uint8_t *pdu, size_t len, uint64_t *out)
{
	struct kts_tlv top;
	struct kts_tlv t;
	struct kts_tlv c;
	struct kts_rd rd;
	struct kts_rd rc;

	if (kts_tlv_parse(pdu, len, &top, NULL) != 0)
		return KTS_EFORMAT;
	kts_rd_init(&rd, top.val, top.len);
	while (kts_rd_left(&rd) > 0) {
		if (kts_tlv_read(&rd, &t) != 0)
			return KTS_EFORMAT;
		if (t.tag != 0x02)
			continue;
		kts_rd_init(&rc, t.val, t.len);
		while (kts_rd_left(&rc) > 0) {
			if (kts_tlv_read(&rc, &c) != 0)
				return KTS_EFORMAT;
			if (c.tag == 0x01)
				return kts_tlv_u64(&c, out) == 0 ? 0 :
				    KTS_EFORMAT;
		}
		return KTS_ENOTFOUND;
	}
	return KTS_ENOTFOUND;
}

/* ---- waiting requests ---- */

static struct upw *
wait_add(struct kts_up *up, uint64_t req_id)
{
	struct upw *w;

	if (kts_grow(&up->wait, &up->cap_wait, up->n_wait + 1,
	    sizeof(*up->wait), 16) != 0)
		return NULL;
	w = &up->wait[up->n_wait++];
	memset(w, 0, sizeof(*w));
	w->req_id = req_id;
	w->deadline_ms = kts_mono_ms() + (uint64_t)up->timeout_ms;
	w->slot = SIZE_MAX;
	return w;
}

/* Drop the entries marked dead, keeping the order of the others. */
static void
wait_reap(struct kts_up *up)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i < up->n_wait; i++)
		if (!up->wait[i].dead)
			up->wait[j++] = up->wait[i];
	up->n_wait = j;
	up->st.inflight = j;
}

/*
 * Report one waiting request and mark it dead.  The callback may send
 * more (which appends to up->wait): callers walk by index and reap after.
 */
static void
wait_done(struct kts_up *up, size_t i, const uint8_t *pdu, size_t len,
    const char *why)
{
	struct upw *w = &up->wait[i];
	uint64_t id = w->req_id;

	if (w->dead)
		return;
	w->dead = 1;
	if (w->slot != SIZE_MAX && w->slot < up->n_slots)
		up->slots[w->slot].busy = 0;
	w->hreq = NULL;
	if (pdu != NULL)
		up->st.answered++;
	else
		up->st.failed++;
	up->cb(up->arg, up, id, pdu, len, why);
}

/* Fail every live request with why (a lost TCP connection). */
static void
wait_fail_all(struct kts_up *up, const char *why)
{
	size_t i;

	for (i = 0; i < up->n_wait; i++)
		if (!up->wait[i].dead && up->wait[i].why[0] == '\0')
			wait_done(up, i, NULL, 0, why);
	wait_reap(up);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kts_up *up = arg;
	uint64_t now = kts_mono_ms();
	size_t i;

	for (i = 0; i < up->n_wait; i++) {
		struct upw *w = &up->wait[i];

		if (w->dead)
			continue;
		if (w->why[0] != '\0') {
			char why[sizeof(w->why)];

			memcpy(why, w->why, sizeof(why));
			wait_done(up, i, NULL, 0, why);
		} else if (now >= w->deadline_ms) {
			up->st.timeouts++;
			if (up->wait[i].hreq != NULL) {
				/* No completion callback after a cancel. */
				evhttp_cancel_request(up->wait[i].hreq);
				up->wait[i].hreq = NULL;
			}
			wait_done(up, i, NULL, 0, "no answer within the timeout");
		}
	}
	wait_reap(up);
}

/* A failure found while sending: reported from the next sweep. */
static void
wait_defer_fail(struct upw *w, const char *why)
{
	snprintf(w->why, sizeof(w->why), "%s", why);
}

/* ---- raw TCP ---- */

static void tcp_drop(struct kts_up *up, const char *why);

/* 1 if the PDU has a child with this tag (an error payload, 0x03). */
static int
pdu_has(const uint8_t *pdu, size_t len, uint16_t tag)
{
	struct kts_tlv top;
	struct kts_tlv t;
	struct kts_rd rd;

	if (kts_tlv_parse(pdu, len, &top, NULL) != 0)
		return 0;
	kts_rd_init(&rd, top.val, top.len);
	while (kts_rd_left(&rd) > 0 && kts_tlv_read(&rd, &t) == 0)
		if (t.tag == tag)
			return 1;
	return 0;
}

/*
 * One whole response PDU: to the request with its id.  Without an id it
 * goes to the oldest KTS_UP_NO_ID request (a configuration answer, or the
 * error that refused it); an error PDU with no such request waiting goes
 * to every request waiting on the connection.
 */
static void
tcp_one(struct kts_up *up, const uint8_t *pdu, size_t len)
{
	uint64_t id = 0;
	size_t i;
	int all = 0;
	int r;

	if ((r = kts_resp_req_id(pdu, len, &id)) == KTS_ENOTFOUND) {
		/*
		 * An error PDU answers everything waiting, unless a request
		 * without an id waits: a refused configuration request is the
		 * likelier cause, and must not fail the rounds around it.
		 */
		id = KTS_UP_NO_ID;
		all = pdu_has(pdu, len, 0x03);
		for (i = 0; all && i < up->n_wait; i++)
			if (!up->wait[i].dead && up->wait[i].why[0] == '\0' &&
			    up->wait[i].req_id == KTS_UP_NO_ID)
				all = 0;
	} else if (r != 0) {
		kts_log(KTS_LOG_WARN, "upstream %s port %d: a response that "
		    "is not a PDU", up->host, up->port);
		return;
	}
	for (i = 0; i < up->n_wait; i++) {
		if (up->wait[i].dead || up->wait[i].why[0] != '\0')
			continue;
		if (all)
			wait_done(up, i, pdu, len, NULL);
		else if (up->wait[i].req_id == id) {
			wait_done(up, i, pdu, len, NULL);
			break;
		}
	}
	wait_reap(up);
}

static void
tcp_read_cb(struct bufferevent *bev, void *arg)
{
	struct kts_up *up = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[4];
	uint8_t *p;
	size_t n;
	size_t total;

	up->read_us = kts_mono_us();
	while ((n = evbuffer_get_length(in)) >= 2) {
		evbuffer_copyout(in, hdr, n < 4 ? n : 4);
		if (hdr[0] & 0x80) {
			if (n < 4)
				return;
			total = 4 + ((size_t)hdr[2] << 8 | hdr[3]);
		} else
			total = 2 + (size_t)hdr[1];
		if (total > KTS_MAX_PDU) {
			tcp_drop(up, "a response over the PDU size limit");
			return;
		}
		if (n < total)
			return;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)total)) == NULL) {
			tcp_drop(up, "out of memory");
			return;
		}
		tcp_one(up, p, total);
		if (up->bev != bev)
			return;		/* dropped inside a callback */
		evbuffer_drain(in, total);
	}
}

/* Close the connection and fail what waits on it. */
static void
tcp_drop(struct kts_up *up, const char *why)
{
	if (up->bev != NULL) {
		bufferevent_free(up->bev);
		up->bev = NULL;
	}
	if (!up->connected)
		up->down_since_ms = kts_mono_ms();
	up->connected = 0;
	wait_fail_all(up, why);
}

static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct kts_up *up = arg;
	char why[96];
	int one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		up->connected = 1;
		up->down_since_ms = 0;
		up->st.connects++;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
		    &one, sizeof(one));
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "the parent closed the connection");
	else
		snprintf(why, sizeof(why), "%s", up->connected ?
		    "connection lost" : "cannot connect");
	if (!up->connected)
		kts_log(KTS_LOG_WARN, "upstream %s port %d: %s: %s", up->host,
		    up->port, why, strerror(EVUTIL_SOCKET_ERROR()));
	tcp_drop(up, why);
}

static int
tcp_send(struct kts_up *up, struct upw *w, const uint8_t *pdu, size_t len)
{
	if (up->bev == NULL) {
		up->bev = bufferevent_socket_new(up->base, -1,
		    BEV_OPT_CLOSE_ON_FREE);
		if (up->bev == NULL)
			return KTS_ENOMEM;
		bufferevent_setcb(up->bev, tcp_read_cb, NULL, tcp_event_cb,
		    up);
		bufferevent_priority_set(up->bev, UP_PRIORITY);
		bufferevent_setwatermark(up->bev, EV_READ, 0, 2 * KTS_MAX_PDU);
		if (bufferevent_socket_connect(up->bev,
		    (struct sockaddr *)&up->sa, up->salen) != 0) {
			bufferevent_free(up->bev);
			up->bev = NULL;
			up->down_since_ms = kts_mono_ms();
			wait_defer_fail(w, "cannot connect");
			return 0;
		}
		bufferevent_enable(up->bev, EV_READ | EV_WRITE);
	}
	if (bufferevent_write(up->bev, pdu, len) != 0)
		return KTS_ENOMEM;
	return 0;
}

/* ---- HTTP ---- */

/*
 * A pool connection's request ended: hreq is the answer, or NULL when
 * evhttp could not get one (it calls back with NULL then).
 */
static void
http_done_cb(struct evhttp_request *hreq, void *arg)
{
	struct up_slot *slot = arg;
	struct kts_up *up = slot->up;
	struct evbuffer *in;
	uint8_t *p = NULL;
	size_t len = 0;
	size_t s = (size_t)(slot - up->slots);
	size_t i;
	char why[96] = "";
	int code;

	up->read_us = kts_mono_us();
	for (i = 0; i < up->n_wait; i++)
		if (!up->wait[i].dead && up->wait[i].slot == s &&
		    up->wait[i].hreq != NULL)
			break;
	if (i == up->n_wait)
		return;
	code = hreq != NULL ? evhttp_request_get_response_code(hreq) : 0;
	in = hreq != NULL ? evhttp_request_get_input_buffer(hreq) : NULL;
	if (code == 0)
		snprintf(why, sizeof(why), "no HTTP response (connection "
		    "refused, lost or a malformed answer)");
	else if (in == NULL || (len = evbuffer_get_length(in)) == 0)
		snprintf(why, sizeof(why), "HTTP status %d without a PDU",
		    code);
	else if (len > KTS_MAX_PDU)
		snprintf(why, sizeof(why), "a response over the PDU size "
		    "limit");
	else if ((p = evbuffer_pullup(in, (ev_ssize_t)len)) == NULL)
		snprintf(why, sizeof(why), "out of memory");
	up->wait[i].hreq = NULL;
	if (code == 0)
		up->down_since_ms = kts_mono_ms();
	else
		up->down_since_ms = 0;
	if (up->sending) {
		/* evhttp failed at once, inside kts_up_send(). */
		wait_defer_fail(&up->wait[i], why[0] != '\0' ? why :
		    "cannot send the HTTP request");
		return;
	}
	if (why[0] == '\0')
		wait_done(up, i, p, len, NULL);
	else
		wait_done(up, i, NULL, 0, why);
	wait_reap(up);
}

/* An idle pool connection, made on first use; SIZE_MAX if none. */
static size_t
http_slot(struct kts_up *up)
{
	size_t i;

	for (i = 0; i < up->n_slots; i++) {
		if (up->slots[i].busy)
			continue;
		if (up->slots[i].conn == NULL) {
			up->slots[i].conn = evhttp_connection_base_new(up->base,
			    NULL, up->addr, (unsigned short)up->port);
			if (up->slots[i].conn == NULL)
				return SIZE_MAX;
			evhttp_connection_set_retries(up->slots[i].conn, 0);
			bufferevent_priority_set(
			    evhttp_connection_get_bufferevent(
			    up->slots[i].conn), UP_PRIORITY);
			evhttp_connection_set_max_body_size(up->slots[i].conn,
			    KTS_MAX_PDU);
			evhttp_connection_set_max_headers_size(
			    up->slots[i].conn, KTS_NET_MAX_HTTP_HEADER);
			up->st.connects++;
		}
		return i;
	}
	return SIZE_MAX;
}

static int
http_send(struct kts_up *up, struct upw *w, const uint8_t *pdu, size_t len)
{
	struct evhttp_request *hreq;
	struct evkeyvalq *h;
	char clen[32];
	size_t s;

	if ((s = http_slot(up)) == SIZE_MAX)
		return KTS_ETOOBIG;
	if ((hreq = evhttp_request_new(http_done_cb,
	    &up->slots[s])) == NULL)
		return KTS_ENOMEM;
	h = evhttp_request_get_output_headers(hreq);
	snprintf(clen, sizeof(clen), "%zu", len);
	if (evhttp_add_header(h, "Host", up->hosthdr) != 0 ||
	    evhttp_add_header(h, "Content-Type",
	    "application/ksi-request") != 0 ||
	    evhttp_add_header(h, "User-Agent", "kts/" PACKAGE_VERSION) != 0 ||
	    evhttp_add_header(h, "Content-Length", clen) != 0 ||
	    evbuffer_add(evhttp_request_get_output_buffer(hreq), pdu,
	    len) != 0) {
		evhttp_request_free(hreq);
		return KTS_ENOMEM;
	}
	/*
	 * evhttp may fail at once and call http_done_cb() from inside
	 * (up->sending turns that into a deferred failure); on a failed
	 * return it has freed hreq itself.
	 */
	up->slots[s].busy = 1;
	w->slot = s;
	w->hreq = hreq;
	if (evhttp_make_request(up->slots[s].conn, hreq, EVHTTP_REQ_POST,
	    up->path) != 0) {
		w->hreq = NULL;
		if (w->why[0] == '\0')
			wait_defer_fail(w, "cannot send the HTTP request");
	}
	return 0;
}

/* ---- the interface ---- */

int
kts_up_send(struct kts_up *up, uint64_t req_id, const uint8_t *pdu,
    size_t len)
{
	struct upw *w;
	int r;

	if (up->n_wait >= KTS_UP_MAX_INFLIGHT)
		return KTS_ETOOBIG;
	/* A parent that just failed to connect is left alone a while. */
	if ((!up->tcp || up->bev == NULL) && up->down_since_ms != 0 &&
	    kts_mono_ms() - up->down_since_ms < KTS_UP_RETRY_MS)
		return KTS_EIO;
	if ((w = wait_add(up, req_id)) == NULL)
		return KTS_ENOMEM;
	up->sending = 1;
	r = up->tcp ? tcp_send(up, w, pdu, len) : http_send(up, w, pdu, len);
	up->sending = 0;
	if (r != 0) {
		up->n_wait--;
		return r;
	}
	up->st.sent++;
	up->st.inflight = up->n_wait;
	return 0;
}

/* Split url into the parts a client needs; never echo the URL. */
static int
up_url(struct kts_up *up, const char *url, char *why, size_t whylen)
{
	struct evhttp_uri *u;
	struct evutil_addrinfo hints;
	struct evutil_addrinfo *ai = NULL;
	const char *scheme;
	const char *host;
	const char *path;
	const char *query;
	char port[16];
	size_t hl;
	size_t n;
	int r = KTS_EINVAL;

	if ((u = evhttp_uri_parse(url)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(u)) == NULL) {
		snprintf(why, whylen, "not a valid URL");
		goto out;
	}
	if (evutil_ascii_strcasecmp(scheme, "ksi+tcp") == 0)
		up->tcp = 1;
	else if (evutil_ascii_strcasecmp(scheme, "http") != 0 &&
	    evutil_ascii_strcasecmp(scheme, "ksi+http") != 0 &&
	    evutil_ascii_strcasecmp(scheme, "ksi") != 0) {
		snprintf(why, whylen, "unsupported URL scheme %.16s:// for a "
		    "parent (use http, ksi+http or ksi+tcp)", scheme);
		goto out;
	}
	host = evhttp_uri_get_host(u);
	hl = host != NULL ? strlen(host) : 0;
	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']')
		host++, hl -= 2;
	if (hl == 0 || hl >= sizeof(up->host)) {
		snprintf(why, whylen, "no usable host name in the URL");
		goto out;
	}
	memcpy(up->host, host, hl);
	up->host[hl] = '\0';
	up->port = evhttp_uri_get_port(u);
	if (up->port < 0 && !up->tcp)
		up->port = 80;
	if (up->port <= 0 || up->port > 65535) {
		snprintf(why, whylen, "%s", up->tcp ? "a ksi+tcp:// URL needs "
		    "a port" : "bad port in the URL");
		goto out;
	}
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	if (path == NULL || *path == '\0')
		path = "/";
	n = strlen(path) + (query != NULL ? strlen(query) + 1 : 0) + 1;
	r = KTS_ENOMEM;
	if ((up->path = malloc(n)) == NULL ||
	    (up->hosthdr = malloc(hl + 16)) == NULL)
		goto out;
	snprintf(up->path, n, "%s%s%s", path, query != NULL ? "?" : "",
	    query != NULL ? query : "");
	snprintf(up->hosthdr, hl + 16, "%s:%d", up->host, up->port);
	/* Resolved here, so no lookup ever blocks the event loop. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", up->port);
	if (evutil_getaddrinfo(up->host, port, &hints, &ai) != 0 ||
	    ai == NULL || ai->ai_addrlen > sizeof(up->sa)) {
		snprintf(why, whylen, "cannot resolve the host %.128s",
		    up->host);
		r = KTS_EINVAL;
		goto out;
	}
	memcpy(&up->sa, ai->ai_addr, ai->ai_addrlen);
	up->salen = (int)ai->ai_addrlen;
	if (evutil_inet_ntop(ai->ai_family, ai->ai_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr,
	    up->addr, sizeof(up->addr)) == NULL) {
		snprintf(why, whylen, "cannot resolve the host %.128s",
		    up->host);
		r = KTS_EINVAL;
		goto out;
	}
	r = 0;
out:
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	if (u != NULL)
		evhttp_uri_free(u);
	return r;
}

int
kts_up_new(struct event_base *base, const char *url, int timeout_ms,
    kts_up_fn cb, void *arg, struct kts_up **out, char *why, size_t whylen)
{
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	struct kts_up *up;
	size_t i;
	int r;

	*out = NULL;
	if (timeout_ms < 1 || timeout_ms > 600000) {
		snprintf(why, whylen, "timeout %d ms is not in 1..600000",
		    timeout_ms);
		return KTS_EINVAL;
	}
	if ((up = calloc(1, sizeof(*up))) == NULL)
		return KTS_ENOMEM;
	up->base = base;
	up->timeout_ms = timeout_ms;
	up->cb = cb;
	up->arg = arg;
	if ((r = up_url(up, url, why, whylen)) != 0)
		goto fail;
	r = KTS_ENOMEM;
	if (!up->tcp) {
		up->n_slots = KTS_UP_HTTP_POOL;
		if ((up->slots = calloc(up->n_slots,
		    sizeof(*up->slots))) == NULL)
			goto fail;
		for (i = 0; i < up->n_slots; i++)
			up->slots[i].up = up;
	}
	if ((up->sweep = event_new(base, -1, EV_PERSIST, sweep_cb,
	    up)) == NULL || event_add(up->sweep, &tv) != 0)
		goto fail;
	*out = up;
	return 0;
fail:
	kts_up_free(up);
	return r;
}

void
kts_up_free(struct kts_up *up)
{
	size_t i;

	if (up == NULL)
		return;
	if (up->sweep != NULL)
		event_free(up->sweep);
	if (up->bev != NULL)
		bufferevent_free(up->bev);
	for (i = 0; i < up->n_wait; i++)
		if (!up->wait[i].dead && up->wait[i].hreq != NULL)
			evhttp_cancel_request(up->wait[i].hreq);
	for (i = 0; i < up->n_slots; i++)
		if (up->slots[i].conn != NULL)
			evhttp_connection_free(up->slots[i].conn);
	free(up->slots);
	free(up->wait);
	free(up->path);
	free(up->hosthdr);
	free(up);
}

void
kts_up_stats(const struct kts_up *up, struct kts_up_stats *out)
{
	*out = up->st;
	out->connected = up->tcp ? up->connected : 1;
}

int
kts_up_is_tcp(const struct kts_up *up)
{
	return up->tcp;
}

uint64_t
kts_up_read_us(const struct kts_up *up)
{
	return up->read_us;
}
