/*
 * check_net.c - unit tests for lib/net.c (KSI spec section 8).
 *
 * A kts_srv listens on 127.0.0.1 ephemeral ports with its event loop in a
 * second thread; the test thread is the client, through kts_net_* or
 * plain sockets.  The echo handler answers a request PDU with the same
 * bytes under tag 0x221, at once, after a timer, never, or drops it, as
 * the first value byte asks.  Everything is bounded in time: sockets are
 * polled with timeouts and the server loop has a hard stop.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "err.h"
#include "limits.h"
#include "net.h"
#include "net_int.h"
#include "util.h"
#include "kts_test.h"

#define WAIT_MS 3000		/* the most any single step may take */
#define PDU_LEN 8		/* test PDUs: 4 header + 4 value bytes */

/* What the echo handler does, from the first value byte. */
enum { CMD_NOW, CMD_LATER, CMD_NEVER, CMD_DROP, CMD_STATUS };

struct fx;

/* A request the handler answers later (or never). */
struct held {
	struct fx *fx;
	struct kts_req *req;
	struct event *ev;	/* NULL for CMD_NEVER */
	uint8_t resp[PDU_LEN];
	struct held *next;
};

/* A running server and its handler's state. */
struct fx {
	struct kts_srv_opts o;
	size_t max_pdu;		/* 0: the default */
	int later_ms;
	struct event_base *base;
	struct kts_srv *srv;
	struct event *stop_ev;
	int stop_fd[2];
	pthread_t th;
	int http_port;
	int tcp_port;
	struct held *held;
	size_t n_pdus;		/* handed to the handler */
	size_t n_tcp;		/* of which kts_req_is_tcp */
	size_t outstanding;	/* not answered yet */
	size_t max_outstanding;
	struct kts_srv_stats st; /* after fx_stop */
	struct event *probe_ev;	/* fx_stats: a byte on probe_fd[0] */
	int probe_fd[2];
	int reply_fd[2];	/* and the loop's answer */
	struct kts_srv_stats probe_st;
	int nfd;		/* open descriptors before the server */
};

/* ---- helpers ---- */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A test request PDU: tag 0x220, value cmd, index (2 bytes), 0. */
static void
make_pdu(uint8_t *p, int cmd, unsigned idx)
{
	p[0] = 0x82;
	p[1] = 0x20;
	p[2] = 0x00;
	p[3] = 0x04;
	p[4] = (uint8_t)cmd;
	p[5] = (uint8_t)(idx >> 8);
	p[6] = (uint8_t)idx;
	p[7] = 0x00;
}

/* The echo handler's answer to p. */
static void
make_resp(uint8_t *r, const uint8_t *p)
{
	memcpy(r, p, PDU_LEN);
	r[1] = 0x21;
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		ck_assert_msg(w > 0, "send: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
}

/*
 * Read up to n bytes within ms; stops early at EOF.  Returns the count;
 * *eof tells whether the peer closed.
 */
static size_t
recv_for(int fd, void *p, size_t n, int ms, int *eof)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	long end = now_ms() + ms;
	size_t got = 0;
	ssize_t r;

	*eof = 0;
	while (got < n && now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		r = recv(fd, (char *)p + got, n - got, 0);
		if (r <= 0) {
			*eof = 1;
			break;
		}
		got += (size_t)r;
	}
	return got;
}

/* 1 if the peer closes fd within ms (any data before is discarded). */
static int
wait_eof(int fd, int ms)
{
	char buf[4096];
	long end = now_ms() + ms;
	int eof = 0;

	while (!eof && now_ms() < end)
		(void)recv_for(fd, buf, sizeof(buf), (int)(end - now_ms()), &eof);
	return eof;
}

/* Send raw HTTP and read the whole answer (the server closes). */
static size_t
http_raw(int port, const char *req, size_t reqlen, char *resp, size_t size)
{
	int fd = tcp_connect(port);
	size_t n;
	int eof;

	send_all(fd, req, reqlen);
	n = recv_for(fd, resp, size - 1, WAIT_MS, &eof);
	resp[n] = '\0';
	close(fd);
	return n;
}

/* ---- the server fixture ---- */

static void
held_fire(evutil_socket_t fd, short what, void *arg)
{
	struct held *h = arg;
	struct held **pp;

	kts_req_reply(h->req, h->resp, sizeof(h->resp), 200);
	h->fx->outstanding--;
	for (pp = &h->fx->held; *pp != h; pp = &(*pp)->next)
		;
	*pp = h->next;
	event_free(h->ev);
	free(h);
}

static void
echo_hold(struct fx *fx, struct kts_req *req, const uint8_t *resp, int later)
{
	struct timeval tv;
	struct held *h;

	tv.tv_sec = fx->later_ms / 1000;
	tv.tv_usec = (fx->later_ms % 1000) * 1000;
	ck_assert_ptr_nonnull(h = calloc(1, sizeof(*h)));
	h->fx = fx;
	h->req = req;
	memcpy(h->resp, resp, sizeof(h->resp));
	if (later) {
		ck_assert_ptr_nonnull(h->ev = evtimer_new(fx->base, held_fire,
		    h));
		evtimer_add(h->ev, &tv);
	}
	h->next = fx->held;
	fx->held = h;
}

static void
echo_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	struct fx *fx = arg;
	uint8_t resp[PDU_LEN];

	/* Atomic: a test may watch it while the loop runs (fx_wait_pdus). */
	__atomic_add_fetch(&fx->n_pdus, 1, __ATOMIC_RELEASE);
	fx->n_tcp += kts_req_is_tcp(req) ? 1 : 0;
	if (++fx->outstanding > fx->max_outstanding)
		fx->max_outstanding = fx->outstanding;
	if (len != PDU_LEN) {		/* not one of ours: answer as is */
		kts_req_reply(req, pdu, len, 200);
		fx->outstanding--;
		return;
	}
	make_resp(resp, pdu);
	switch (pdu[4]) {
	case CMD_LATER:
	case CMD_NEVER:
		echo_hold(fx, req, resp, pdu[4] == CMD_LATER);
		return;
	case CMD_DROP:
		kts_req_drop(req);
		break;
	case CMD_STATUS:		/* an error PDU with HTTP 400 */
		kts_req_reply(req, resp, sizeof(resp), 400);
		break;
	default:
		kts_req_reply(req, resp, sizeof(resp), 200);
		break;
	}
	fx->outstanding--;
}

static int
echo_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype)
{
	static const char pub[] = "hello publications";

	if (strcmp(path, "/pub") != 0)
		return 404;
	*body = kts_test_dup(pub, sizeof(pub) - 1);
	*len = sizeof(pub) - 1;
	*ctype = "application/ksi-publications";
	return 200;
}

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* In the loop thread: the counters now, then a byte back. */
static void
probe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *fx = arg;
	char b;

	if (read(fd, &b, 1) != 1)
		return;
	kts_srv_stats(fx->srv, &fx->probe_st);
	if (write(fx->reply_fd[1], "x", 1) != 1)
		return;
}

static void *
srv_thread(void *arg)
{
	struct fx *fx = arg;
	struct timeval limit = { 30, 0 };	/* a hard stop for a bug */

	event_base_loopexit(fx->base, &limit);
	event_base_dispatch(fx->base);
	return NULL;
}

/* Defaults the test may change before fx_start. */
static void
fx_init(struct fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->nfd = count_fds();
	fx->later_ms = 100;
	fx->o.addr = "127.0.0.1";
	fx->o.http_port = 0;
	fx->o.tcp_port = 0;
	fx->o.on_pdu = echo_pdu;
	fx->o.on_get = echo_get;
	fx->o.arg = fx;
}

static void
fx_start(struct fx *fx)
{
	ck_assert_ptr_nonnull(fx->base = event_base_new());
	ck_assert_int_eq(kts_srv_new(fx->base, &fx->o, &fx->srv), 0);
	if (fx->max_pdu != 0)
		kts_srv_set_max_pdu(fx->srv, fx->max_pdu);
	kts_srv_ports(fx->srv, &fx->http_port, &fx->tcp_port);
	ck_assert_int_eq(pipe(fx->stop_fd), 0);
	ck_assert_ptr_nonnull(fx->stop_ev = event_new(fx->base,
	    fx->stop_fd[0], EV_READ, stop_cb, fx->base));
	event_add(fx->stop_ev, NULL);
	ck_assert_int_eq(pipe(fx->probe_fd), 0);
	ck_assert_int_eq(pipe(fx->reply_fd), 0);
	ck_assert_ptr_nonnull(fx->probe_ev = event_new(fx->base,
	    fx->probe_fd[0], EV_READ | EV_PERSIST, probe_cb, fx));
	event_add(fx->probe_ev, NULL);
	ck_assert_int_eq(pthread_create(&fx->th, NULL, srv_thread, fx), 0);
}

/*
 * Wait (at most WAIT_MS) until the loop has handed n PDUs to the handler:
 * a fixed sleep is too short on a loaded machine.  1 if it did.
 */
static int
fx_wait_pdus(struct fx *fx, size_t n)
{
	long t0 = now_ms();

	while (__atomic_load_n(&fx->n_pdus, __ATOMIC_ACQUIRE) < n) {
		if (now_ms() - t0 > WAIT_MS)
			return 0;
		sleep_ms(10);
	}
	return 1;
}

/*
 * Wait (at most WAIT_MS) until the running server has n connections open,
 * asking its loop thread for the count.  1 if it came to that.
 */
static int
fx_wait_conns(struct fx *fx, uint64_t n)
{
	long t0 = now_ms();
	char b;

	for (;;) {
		ck_assert_int_eq(write(fx->probe_fd[1], "p", 1), 1);
		ck_assert_int_eq(read(fx->reply_fd[0], &b, 1), 1);
		if (fx->probe_st.conns_open == n)
			return 1;
		if (now_ms() - t0 > WAIT_MS)
			return 0;
		sleep_ms(10);
	}
}

/* Stop the loop and read the counters (the loop thread is joined). */
static void
fx_stop(struct fx *fx)
{
	ck_assert_int_eq(write(fx->stop_fd[1], "x", 1), 1);
	ck_assert_int_eq(pthread_join(fx->th, NULL), 0);
	kts_srv_stats(fx->srv, &fx->st);
}

/*
 * Free everything.  Requests still held are answered after the server
 * is gone (drop_first 0) or dropped before it goes (1): both must be
 * safe.  Then no descriptor may be left open.
 */
static void
fx_free(struct fx *fx, int drop_first)
{
	struct held *h;

	for (h = fx->held; drop_first && h != NULL; h = h->next) {
		kts_req_drop(h->req);
		h->req = NULL;
	}
	kts_srv_free(fx->srv);
	while ((h = fx->held) != NULL) {
		fx->held = h->next;
		if (h->req != NULL)
			kts_req_reply(h->req, h->resp, sizeof(h->resp), 200);
		if (h->ev != NULL)
			event_free(h->ev);
		free(h);
	}
	event_free(fx->stop_ev);
	event_free(fx->probe_ev);
	event_base_free(fx->base);
	close(fx->stop_fd[0]);
	close(fx->stop_fd[1]);
	close(fx->probe_fd[0]);
	close(fx->probe_fd[1]);
	close(fx->reply_fd[0]);
	close(fx->reply_fd[1]);
	ck_assert_int_eq(count_fds(), fx->nfd);
}

/* kts_net_exchange of one test PDU; checks the echo on success. */
static int
exchange(const char *url, int cmd, unsigned idx, int timeout_ms, char *why,
    size_t whylen)
{
	uint8_t req[PDU_LEN];
	uint8_t want[PDU_LEN];
	uint8_t *resp = NULL;
	size_t len = 0;
	int r;

	make_pdu(req, cmd, idx);
	make_resp(want, req);
	r = kts_net_exchange(url, req, sizeof(req), timeout_ms, &resp, &len,
	    why, whylen);
	if (r == 0) {
		ck_assert_uint_eq(len, sizeof(want));
		ck_assert_mem_eq(resp, want, sizeof(want));
	} else
		ck_assert_ptr_null(resp);
	free(resp);
	return r;
}

/* The URL template t with its "%d" replaced by port. */
static void
url_of(char *buf, size_t size, const char *t, int port)
{
	const char *d = strstr(t, "%d");
	int n;

	ck_assert_ptr_nonnull(d);
	n = snprintf(buf, size, "%.*s%d%s", (int)(d - t), t, port, d + 2);
	ck_assert(n > 0 && (size_t)n < size);
}

/* ---- round trips ---- */

START_TEST(test_http_roundtrip)
{
	struct fx fx;
	char url[128];
	char url2[128];
	char why[256];

	fx_init(&fx);
	fx_start(&fx);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/gt-signingservice",
	    fx.http_port);
	url_of(url2, sizeof(url2), "ksi+http://anon:s%40cret@127.0.0.1:%d",
	    fx.http_port);
	ck_assert_int_eq(exchange(url, CMD_NOW, 1, WAIT_MS, why, sizeof(why)),
	    0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(exchange(url, CMD_LATER, 2, WAIT_MS, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(exchange(url2, CMD_NOW, 3, WAIT_MS, why,
	    sizeof(why)), 0);
	/* Spec 8.2: a PDU body is the answer whatever the HTTP status. */
	ck_assert_int_eq(exchange(url2, CMD_STATUS, 4, WAIT_MS, why,
	    sizeof(why)), 0);
	sleep_ms(100);		/* let the server see the last close */
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_pdus, 4);
	ck_assert_uint_eq(fx.n_tcp, 0);
	ck_assert_uint_eq(fx.st.pdus_in, 4);
	ck_assert_uint_eq(fx.st.conns_total, 4);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	ck_assert_uint_eq(fx.st.rejected, 0);
	fx_free(&fx, 0);
}
END_TEST

START_TEST(test_tcp_roundtrip)
{
	struct fx fx;
	char url[128];
	char why[256];
	int i;

	fx_init(&fx);
	fx_start(&fx);
	url_of(url, sizeof(url), "ksi+tcp://127.0.0.1:%d", fx.tcp_port);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(exchange(url, i == 1 ? CMD_LATER : CMD_NOW,
		    (unsigned)i, WAIT_MS, why, sizeof(why)), 0);
	url_of(url, sizeof(url), "ksi+tcp://user:key@localhost:%d",
	    fx.tcp_port);
	ck_assert_int_eq(exchange(url, CMD_NOW, 9, WAIT_MS, why, sizeof(why)),
	    0);
	sleep_ms(100);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_tcp, 4);
	ck_assert_uint_eq(fx.st.pdus_in, 4);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/* Spec 8.3: many PDUs back to back; answers in any order. */
START_TEST(test_tcp_pipeline)
{
	enum { N = 100 };
	uint8_t out[N * PDU_LEN];
	uint8_t in[N * PDU_LEN];
	int seen[N];
	struct fx fx;
	unsigned idx;
	size_t n;
	int eof;
	int fd;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	for (i = 0; i < N; i++)
		make_pdu(out + i * PDU_LEN, i % 3 == 0 ? CMD_LATER : CMD_NOW,
		    (unsigned)i);
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, out, sizeof(out));
	n = recv_for(fd, in, sizeof(in), WAIT_MS, &eof);
	ck_assert_uint_eq(n, sizeof(in));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(in[i * PDU_LEN + 1], 0x21);
		idx = (unsigned)in[i * PDU_LEN + 5] << 8 | in[i * PDU_LEN + 6];
		ck_assert_uint_lt(idx, N);
		ck_assert_int_eq(seen[idx]++, 0);
	}
	close(fd);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.pdus_in, N);
	ck_assert_uint_eq(fx.st.conns_total, 1);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Back-pressure: more PDUs than KTS_NET_MAX_PENDING on one connection,
 * all answered later.  The server hands over at most the cap, waits for
 * answers, then reads on; every PDU is answered.  The client shuts its
 * side down after sending and still gets every answer.
 */
START_TEST(test_tcp_backpressure)
{
	enum { N = 2 * KTS_NET_MAX_PENDING + 100 };
	uint8_t *out;
	uint8_t *in;
	struct fx fx;
	size_t n;
	int eof;
	int fd;
	int i;

	fx_init(&fx);
	fx.later_ms = 200;
	fx_start(&fx);
	out = malloc(N * PDU_LEN);
	in = malloc(N * PDU_LEN);
	ck_assert(out != NULL && in != NULL);
	for (i = 0; i < N; i++)
		make_pdu(out + i * PDU_LEN, CMD_LATER, (unsigned)i);
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, out, N * PDU_LEN);
	shutdown(fd, SHUT_WR);
	n = recv_for(fd, in, N * PDU_LEN, 4 * WAIT_MS, &eof);
	ck_assert_uint_eq(n, N * PDU_LEN);
	ck_assert(wait_eof(fd, WAIT_MS));	/* closed once all answered */
	close(fd);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_pdus, N);
	ck_assert_uint_eq(fx.max_outstanding, KTS_NET_MAX_PENDING);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	free(out);
	free(in);
	fx_free(&fx, 0);
}
END_TEST

/* ---- refusals ---- */

START_TEST(test_tcp_reject)
{
	static const uint8_t tlv8[] = { 0x02, 0x01, 0x00 };
	static const uint8_t big[] = { 0x82, 0x20, 0x01, 0x00 };
	uint8_t pdu[PDU_LEN + 1];
	uint8_t in[PDU_LEN];
	struct fx fx;
	int eof;
	int fd;

	fx_init(&fx);
	fx.max_pdu = 100;
	fx_start(&fx);
	/* Not a PDU stream: the first byte has no TLV16 bit. */
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, tlv8, sizeof(tlv8));
	ck_assert(wait_eof(fd, WAIT_MS));
	close(fd);
	/* A header announcing 260 bytes, over the cap of 100. */
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, big, sizeof(big));
	ck_assert(wait_eof(fd, WAIT_MS));
	close(fd);
	/* A good PDU, then garbage: the answer, then the close. */
	make_pdu(pdu, CMD_NOW, 7);
	pdu[PDU_LEN] = 0x05;
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, pdu, sizeof(pdu));
	ck_assert_uint_eq(recv_for(fd, in, sizeof(in), WAIT_MS, &eof),
	    sizeof(in));
	ck_assert(wait_eof(fd, WAIT_MS));
	close(fd);
	/* Refused connections linger until the client's close is read. */
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.rejected, 3);
	ck_assert_uint_eq(fx.st.pdus_in, 1);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/*
 * A refusal while the client is still sending: the server reads and
 * discards the rest (lingering close), so a client that sends its whole
 * body before reading gets the 413, not a reset; the connection closes
 * within KTS_NET_LINGER_MS even if the client never does.
 */
START_TEST(test_refusal_lingers)
{
	static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3000000\r\n\r\n";
	char resp[256];
	uint8_t body[3000000 / 100];
	struct fx fx;
	size_t n;
	long t0;
	int eof;
	int fd;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	memset(body, 'x', sizeof(body));
	fd = tcp_connect(fx.http_port);
	send_all(fd, head, sizeof(head) - 1);
	for (i = 0; i < 100; i++)	/* 3 MB: fails on a reset */
		send_all(fd, body, sizeof(body));
	n = recv_for(fd, resp, sizeof(resp) - 1, WAIT_MS, &eof);
	resp[n] = '\0';
	ck_assert_msg(strncmp(resp, "HTTP/1.1 413", 12) == 0, "%.40s", resp);
	ck_assert(wait_eof(fd, WAIT_MS));	/* our side was shut */
	/* Keep ours open: the server still closes, after the linger. */
	t0 = now_ms();
	while (send(fd, "y", 1, MSG_NOSIGNAL) == 1 &&
	    now_ms() - t0 < KTS_NET_LINGER_MS + WAIT_MS)
		sleep_ms(50);
	ck_assert_int_ge(now_ms() - t0, KTS_NET_LINGER_MS - 100);
	ck_assert_int_lt(now_ms() - t0, KTS_NET_LINGER_MS + WAIT_MS);
	close(fd);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

START_TEST(test_http_errors)
{
	static const char huge[] = "POST / HTTP/1.0\r\nContent-Type: "
	    "application/ksi-request\r\nContent-Length: 70000\r\n\r\n";
	static const char put[] = "PUT / HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
	static const uint8_t notpdu[] = "hello";
	uint8_t extra[PDU_LEN + 1];
	uint8_t *resp = NULL;
	char buf[4096];
	char url[128];
	char why[256];
	size_t len = 0;
	struct fx fx;

	fx_init(&fx);
	fx_start(&fx);
	/* Over the cap: refused from the Content-Length, body unread. */
	http_raw(fx.http_port, huge, sizeof(huge) - 1, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 413", 12) == 0, "%.40s", buf);
	http_raw(fx.http_port, put, sizeof(put) - 1, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 405", 12) == 0, "%.40s", buf);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/", fx.http_port);
	ck_assert_int_eq(kts_net_exchange(url, notpdu, sizeof(notpdu) - 1,
	    WAIT_MS, &resp, &len, why, sizeof(why)), KTS_EIO);
	ck_assert_msg(strstr(why, "HTTP 400 Bad Request") != NULL, "%s", why);
	make_pdu(extra, CMD_NOW, 1);
	extra[PDU_LEN] = 0x00;		/* one byte after the PDU */
	ck_assert_int_eq(kts_net_exchange(url, extra, sizeof(extra),
	    WAIT_MS, &resp, &len, why, sizeof(why)), KTS_EIO);
	ck_assert_msg(strstr(why, "HTTP 400") != NULL, "%s", why);
	ck_assert_ptr_null(resp);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.rejected, 3);	/* 413, 400, 400; not 405 */
	ck_assert_uint_eq(fx.st.pdus_in, 0);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Clients that go away before the answer: the handler answers later (or
 * at teardown, after the server is freed, or drops first).  No crash, no
 * leak (ASan), and the server still serves.
 */
START_TEST(test_disconnect_before_reply)
{
	char post[256];
	char url[128];
	char why[256];
	uint8_t pdu[PDU_LEN];
	struct fx fx;
	int fd;
	int n;
	int i;

	fx_init(&fx);
	fx.later_ms = 200;
	fx_start(&fx);
	for (i = 0; i < 4; i++) {
		make_pdu(pdu, i % 2 == 0 ? CMD_LATER : CMD_NEVER, (unsigned)i);
		n = snprintf(post, sizeof(post), "POST / HTTP/1.1\r\n"
		    "Host: x\r\nContent-Length: %d\r\n\r\n", PDU_LEN);
		ck_assert(n > 0 && (size_t)n < sizeof(post) - PDU_LEN);
		memcpy(post + n, pdu, PDU_LEN);
		fd = tcp_connect(fx.http_port);
		send_all(fd, post, (size_t)n + PDU_LEN);
		sleep_ms(50);	/* the request is with the handler now */
		close(fd);
		fd = tcp_connect(fx.tcp_port);
		send_all(fd, pdu, sizeof(pdu));
		sleep_ms(50);
		close(fd);
	}
	sleep_ms(400);		/* the CMD_LATER answers go nowhere */
	url_of(url, sizeof(url), "http://127.0.0.1:%d/", fx.http_port);
	ck_assert_int_eq(exchange(url, CMD_NOW, 9, WAIT_MS, why, sizeof(why)),
	    0);
	url_of(url, sizeof(url), "ksi+tcp://127.0.0.1:%d", fx.tcp_port);
	ck_assert_int_eq(exchange(url, CMD_NOW, 9, WAIT_MS, why, sizeof(why)),
	    0);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_pdus, 10);
	fx_free(&fx, _i);
}
END_TEST

/*
 * An HTTP request waiting for its answer longer than the idle timeout
 * still gets it, also when its client has shut down its sending side;
 * the idle timeout then closes the keep-alive connection.
 */
START_TEST(test_http_pending_idle)
{
	char post[256];
	char buf[512];
	uint8_t pdu[PDU_LEN];
	uint8_t want[PDU_LEN];
	struct fx fx;
	size_t got;
	long t0;
	int fd[2];
	int eof;
	int n;
	int i;

	fx_init(&fx);
	fx.o.idle_timeout_s = 1;
	fx.o.read_timeout_s = 1;
	fx.later_ms = 1300;
	fx_start(&fx);
	make_pdu(pdu, CMD_LATER, 1);
	make_resp(want, pdu);
	n = snprintf(post, sizeof(post), "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %d\r\n\r\n", PDU_LEN);
	ck_assert(n > 0 && (size_t)n < sizeof(post) - PDU_LEN);
	memcpy(post + n, pdu, PDU_LEN);
	t0 = now_ms();
	for (i = 0; i < 2; i++) {
		fd[i] = tcp_connect(fx.http_port);
		send_all(fd[i], post, (size_t)n + PDU_LEN);
	}
	shutdown(fd[1], SHUT_WR);
	for (i = 0; i < 2; i++) {
		got = recv_for(fd[i], buf, sizeof(buf) - 1, WAIT_MS, &eof);
		ck_assert_uint_gt(got, PDU_LEN);
		buf[got] = '\0';
		ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s",
		    buf);
		ck_assert(strstr(buf, "Content-Type: application/ksi-response")
		    != NULL);
		ck_assert_mem_eq(buf + got - PDU_LEN, want, PDU_LEN);
		ck_assert(eof);		/* then the idle timeout */
		close(fd[i]);
	}
	ck_assert_int_ge(now_ms() - t0, 1300);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

START_TEST(test_srv_new_errors)
{
	struct kts_srv_opts o;
	struct kts_srv *srv = (struct kts_srv *)1;
	struct fx fx;

	fx_init(&fx);
	fx_start(&fx);
	fx_stop(&fx);			/* the base is ours again */
	o = fx.o;
	o.http_port = fx.http_port;	/* taken */
	errno = 0;
	ck_assert_int_eq(kts_srv_new(fx.base, &o, &srv), KTS_EIO);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_ptr_null(srv);
	o.http_port = -1;
	o.tcp_port = fx.tcp_port;
	ck_assert_int_eq(kts_srv_new(fx.base, &o, &srv), KTS_EIO);
	ck_assert_int_eq(errno, EADDRINUSE);
	o.tcp_port = 0;
	o.on_pdu = NULL;		/* raw TCP needs a handler */
	ck_assert_int_eq(kts_srv_new(fx.base, &o, &srv), KTS_EINVAL);
	o.tcp_port = 70000;
	ck_assert_int_eq(kts_srv_new(fx.base, &o, &srv), KTS_EINVAL);
	fx_free(&fx, 0);
}
END_TEST

static void
drop_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	kts_req_drop(req);
}

/*
 * reuseport: a second server (of another thread, in the calendar) binds
 * the ports the first one got; a server without it still cannot.
 */
START_TEST(test_reuseport)
{
	struct event_base *base = event_base_new();
	struct kts_srv *a = NULL;
	struct kts_srv *b = NULL;
	struct kts_srv *c = NULL;
	struct kts_srv_opts o;
	int hp[2];
	int tp[2];

	ck_assert_ptr_nonnull(base);
	memset(&o, 0, sizeof(o));
	o.on_pdu = drop_pdu;
	o.reuseport = 1;
	ck_assert_int_eq(kts_srv_new(base, &o, &a), 0);
	kts_srv_ports(a, &hp[0], &tp[0]);
	o.http_port = hp[0];
	o.tcp_port = tp[0];
	ck_assert_int_eq(kts_srv_new(base, &o, &b), 0);
	kts_srv_ports(b, &hp[1], &tp[1]);
	ck_assert_int_eq(hp[1], hp[0]);
	ck_assert_int_eq(tp[1], tp[0]);
	o.reuseport = 0;
	errno = 0;
	ck_assert_int_eq(kts_srv_new(base, &o, &c), KTS_EIO);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_ptr_null(c);
	kts_srv_free(b);
	kts_srv_free(a);
	event_base_free(base);
}
END_TEST

/*
 * When a request arrived (kts_req_arrived_us).  The first PDU's handler
 * blocks the loop until the client has sent a second PDU on another
 * connection, and then 200 ms more.  With stamp the second's arrival is
 * the kernel's receive time, within its send() call; without, it is the
 * read, after the loop was free again.
 */
static struct {
	int started;		/* handler 1 runs (atomic) */
	int sent;		/* the client sent PDU 2 (atomic) */
	size_t n;
	uint64_t arrived[2];
	uint64_t handled[2];
} st_arr;

static void
stamp_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	size_t k = st_arr.n++;
	long t0 = now_ms();

	if (k < 2) {
		st_arr.arrived[k] = kts_req_arrived_us(req);
		st_arr.handled[k] = kts_mono_us();
	}
	if (k == 0) {
		__atomic_store_n(&st_arr.started, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&st_arr.sent, __ATOMIC_ACQUIRE) &&
		    now_ms() - t0 < WAIT_MS)
			sleep_ms(5);
		sleep_ms(200);
	}
	kts_req_reply(req, pdu, len, 200);
}

START_TEST(test_arrival_time)
{
	uint8_t pdu[PDU_LEN];
	uint8_t got[PDU_LEN];
	uint64_t before;
	uint64_t after;
	struct fx fx;
	long t0;
	int a;
	int b;
	int eof;

	memset(&st_arr, 0, sizeof(st_arr));
	fx_init(&fx);
	fx.o.on_pdu = stamp_pdu;
	fx.o.stamp = _i;
	fx_start(&fx);
	make_pdu(pdu, CMD_NOW, 1);
	a = tcp_connect(fx.tcp_port);
	b = tcp_connect(fx.tcp_port);
	before = kts_mono_us();
	send_all(a, pdu, sizeof(pdu));
	t0 = now_ms();
	while (!__atomic_load_n(&st_arr.started, __ATOMIC_ACQUIRE)) {
		ck_assert(now_ms() - t0 < WAIT_MS);
		sleep_ms(5);
	}
	ck_assert_uint_ge(st_arr.arrived[0] + 5000, before);
	ck_assert_uint_le(st_arr.arrived[0], st_arr.handled[0]);
	before = kts_mono_us();
	send_all(b, pdu, sizeof(pdu));
	after = kts_mono_us();
	__atomic_store_n(&st_arr.sent, 1, __ATOMIC_RELEASE);
	ck_assert_uint_eq(recv_for(a, got, PDU_LEN, WAIT_MS, &eof), PDU_LEN);
	ck_assert_uint_eq(recv_for(b, got, PDU_LEN, WAIT_MS, &eof), PDU_LEN);
	fx_stop(&fx);
	ck_assert_uint_eq(st_arr.n, 2);
	if (_i) {
		/* In the send (5 ms for two clocks read apart), well before
		 * the loop could read it. */
		ck_assert_uint_ge(st_arr.arrived[1] + 5000, before);
		ck_assert_uint_le(st_arr.arrived[1], after + 5000);
		ck_assert_uint_ge(st_arr.handled[1] - st_arr.arrived[1],
		    190000);
	} else {
		ck_assert_uint_ge(st_arr.arrived[1], after + 190000);
		ck_assert_uint_le(st_arr.arrived[1], st_arr.handled[1]);
	}
	close(a);
	close(b);
	fx_free(&fx, 0);
}
END_TEST

/* Held requests of live clients at teardown, answered or dropped. */
START_TEST(test_teardown_with_clients)
{
	char post[256];
	uint8_t pdu[PDU_LEN];
	struct fx fx;
	int fds[4];
	int n;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	make_pdu(pdu, CMD_NEVER, 1);
	n = snprintf(post, sizeof(post), "POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: %d\r\n\r\n", PDU_LEN);
	ck_assert(n > 0 && (size_t)n < sizeof(post) - PDU_LEN);
	memcpy(post + n, pdu, PDU_LEN);
	fds[0] = tcp_connect(fx.http_port);
	send_all(fds[0], post, (size_t)n + PDU_LEN);
	fds[1] = tcp_connect(fx.tcp_port);
	send_all(fds[1], pdu, sizeof(pdu));
	fds[2] = tcp_connect(fx.http_port);	/* idle, not adopted yet */
	fds[3] = tcp_connect(fx.tcp_port);
	/* Both PDUs handed over, then a pass or two for the idle accepts
	 * (made before those PDUs were read; passes are fast, but the
	 * loop thread may wait for a CPU). */
	ck_assert(fx_wait_pdus(&fx, 2));
	sleep_ms(200);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_pdus, 2);
	ck_assert_uint_eq(fx.st.conns_open, 4);
	fx.nfd += 4;			/* the client ends are still open */
	fx_free(&fx, _i);
	for (i = 0; i < 4; i++) {
		ck_assert(wait_eof(fds[i], WAIT_MS));
		close(fds[i]);
	}
}
END_TEST

/*
 * Slow clients: part of a request, then nothing, is closed after the
 * read timeout (1 s), also when the part trickles in; an idle connection
 * stays open until the idle timeout (5 s).
 */
START_TEST(test_slow_client)
{
	static const char part[] = "POST / HTTP/1.1\r\nHost: x\r\n";
	static const uint8_t half[] = { 0x82, 0x20 };
	struct fx fx;
	long t0;
	long dt;
	int ft;
	int fh;
	int fi;
	int fs;
	int i;

	fx_init(&fx);
	fx.o.read_timeout_s = 1;
	fx.o.idle_timeout_s = 5;
	fx_start(&fx);
	t0 = now_ms();
	ft = tcp_connect(fx.tcp_port);
	send_all(ft, half, sizeof(half));
	fh = tcp_connect(fx.http_port);
	send_all(fh, part, sizeof(part) - 1);
	fi = tcp_connect(fx.tcp_port);
	fs = tcp_connect(fx.tcp_port);
	for (i = 0; i < 4; i++) {	/* a byte every 300 ms */
		(void)send(fs, half, 1, MSG_NOSIGNAL);
		sleep_ms(300);
	}
	ck_assert(wait_eof(ft, WAIT_MS));
	ck_assert(wait_eof(fh, WAIT_MS));
	ck_assert(wait_eof(fs, WAIT_MS));
	dt = now_ms() - t0;
	ck_assert_msg(dt >= 900 && dt < 2500, "closed after %ld ms", dt);
	ck_assert(!wait_eof(fi, 200));		/* idle, not slow */
	close(ft);
	close(fh);
	close(fi);
	close(fs);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.rejected, 3);
	fx_free(&fx, 0);
}
END_TEST

START_TEST(test_max_conns)
{
	uint8_t pdu[PDU_LEN];
	uint8_t in[PDU_LEN];
	char url[128];
	char why[256];
	struct fx fx;
	int fd[3];
	int eof;
	int i;

	fx_init(&fx);
	fx.o.max_conns = 2;
	fx_start(&fx);
	make_pdu(pdu, CMD_NOW, 1);
	for (i = 0; i < 2; i++) {	/* accepted and answered */
		fd[i] = tcp_connect(fx.tcp_port);
		send_all(fd[i], pdu, sizeof(pdu));
		ck_assert_uint_eq(recv_for(fd[i], in, sizeof(in), WAIT_MS,
		    &eof), sizeof(in));
	}
	fd[2] = tcp_connect(fx.tcp_port);
	ck_assert(wait_eof(fd[2], WAIT_MS));
	close(fd[2]);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/", fx.http_port);
	ck_assert_int_eq(exchange(url, CMD_NOW, 2, WAIT_MS, why, sizeof(why)),
	    KTS_EIO);
	/* Closed at once: before or after the request came (then a reset). */
	ck_assert_msg(strstr(why, "closed") != NULL ||
	    strstr(why, "reset") != NULL, "%s", why);
	close(fd[0]);
	sleep_ms(100);		/* the server sees the close */
	ck_assert_int_eq(exchange(url, CMD_NOW, 3, WAIT_MS, why, sizeof(why)),
	    0);
	close(fd[1]);
	sleep_ms(100);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.rejected, 2);
	ck_assert_uint_eq(fx.st.conns_total, 3);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/* kts_req_drop: the connection closes without an answer. */
START_TEST(test_drop)
{
	uint8_t pdus[2 * PDU_LEN];
	uint8_t in[PDU_LEN];
	char url[128];
	char why[256];
	struct fx fx;
	int eof;
	int fd;

	fx_init(&fx);
	fx_start(&fx);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/", fx.http_port);
	ck_assert_int_eq(exchange(url, CMD_DROP, 1, WAIT_MS, why, sizeof(why)),
	    KTS_EIO);
	ck_assert_msg(strstr(why, "closed") != NULL, "%s", why);
	url_of(url, sizeof(url), "ksi+tcp://127.0.0.1:%d", fx.tcp_port);
	ck_assert_int_eq(exchange(url, CMD_DROP, 2, WAIT_MS, why, sizeof(why)),
	    KTS_EIO);
	ck_assert_msg(strstr(why, "closed") != NULL, "%s", why);
	make_pdu(pdus, CMD_NOW, 3);
	make_pdu(pdus + PDU_LEN, CMD_DROP, 4);
	fd = tcp_connect(fx.tcp_port);
	send_all(fd, pdus, sizeof(pdus));
	ck_assert_uint_eq(recv_for(fd, in, sizeof(in), WAIT_MS, &eof),
	    sizeof(in));
	ck_assert(wait_eof(fd, WAIT_MS));
	close(fd);
	sleep_ms(100);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/* ---- the HTTP/1.1 server: keep-alive, pipelining, refusals ---- */

/* A POST of the test PDU (cmd, idx) with extra header lines into buf. */
static size_t
post_of(char *buf, size_t size, const char *version, const char *extra,
    int cmd, unsigned idx)
{
	int n;

	n = snprintf(buf, size, "POST /x HTTP/%s\r\nHost: h\r\n%s"
	    "Content-Length: %d\r\n\r\n", version, extra, PDU_LEN);
	ck_assert(n > 0 && (size_t)n + PDU_LEN <= size);
	make_pdu((uint8_t *)buf + n, cmd, idx);
	return (size_t)n + PDU_LEN;
}

/*
 * Read one HTTP answer from fd within WAIT_MS: its head into head
 * (NUL-terminated), its body into body.  Returns the status, or -1 if
 * the connection closed (or timed out) first.
 */
static int
read_answer(int fd, char *head, size_t hsize, uint8_t *body, size_t bsize,
    size_t *blen)
{
	const char *cl;
	size_t got = 0;
	size_t hl;
	char *end = NULL;
	int eof = 0;

	while (end == NULL && got + 1 < hsize) {
		if (recv_for(fd, head + got, 1, WAIT_MS, &eof) != 1)
			return -1;
		head[++got] = '\0';
		end = strstr(head, "\r\n\r\n");
	}
	ck_assert_ptr_nonnull(end);
	hl = (size_t)(end - head) + 4;
	ck_assert_ptr_nonnull(cl = strstr(head, "Content-Length: "));
	*blen = strtoul(cl + 16, NULL, 10);
	ck_assert_uint_le(*blen, bsize);
	ck_assert_uint_eq(hl, got);
	if (*blen > 0)
		ck_assert_uint_eq(recv_for(fd, body, *blen, WAIT_MS, &eof),
		    *blen);
	return (int)strtol(head + 9, NULL, 10);
}

/* Read the echo answer of (CMD_*, idx); check it. */
static void
expect_echo(int fd, unsigned idx, const char *conn_field)
{
	char head[1024];
	uint8_t body[64];
	size_t blen = 0;
	unsigned got;

	ck_assert_int_eq(read_answer(fd, head, sizeof(head), body,
	    sizeof(body), &blen), 200);
	ck_assert_msg(strstr(head, "Content-Type: application/ksi-response"
	    "\r\n") != NULL, "%s", head);
	ck_assert_msg(strstr(head, "\r\nDate: ") != NULL, "%s", head);
	ck_assert_uint_eq(blen, PDU_LEN);
	ck_assert_int_eq(body[1], 0x21);
	got = (unsigned)body[5] << 8 | body[6];
	ck_assert_uint_eq(got, idx);
	if (conn_field != NULL)
		ck_assert_msg(strstr(head, conn_field) != NULL, "%s", head);
	else
		ck_assert_msg(strstr(head, "Connection:") == NULL, "%s", head);
}

/* Many requests, one at a time, on one keep-alive connection. */
START_TEST(test_http_keepalive)
{
	enum { N = 200 };
	char req[256];
	struct fx fx;
	size_t n;
	int fd;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	fd = tcp_connect(fx.http_port);
	for (i = 0; i < N; i++) {
		n = post_of(req, sizeof(req), "1.1", "", i % 10 == 0 ?
		    CMD_LATER : CMD_NOW, (unsigned)i);
		send_all(fd, req, n);
		expect_echo(fd, (unsigned)i, NULL);
	}
	/* HTTP/1.0 with keep-alive: said so in the answer, stays open. */
	for (i = 0; i < 2; i++) {
		n = post_of(req, sizeof(req), "1.0", "Connection: keep-alive\r\n",
		    CMD_NOW, 7);
		send_all(fd, req, n);
		expect_echo(fd, 7, "Connection: keep-alive\r\n");
	}
	close(fd);
	sleep_ms(100);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.pdus_in, N + 2);
	ck_assert_uint_eq(fx.st.conns_total, 1);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Connection: close and plain HTTP/1.0: the answer says "close", then
 * the server closes; bytes sent after that request are not read.
 */
START_TEST(test_http_close)
{
	static const char *const versions[] = { "1.1", "1.0" };
	char req[512];
	struct fx fx;
	size_t n;
	int fd;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	for (i = 0; i < 2; i++) {
		fd = tcp_connect(fx.http_port);
		n = post_of(req, sizeof(req), versions[i], i == 0 ?
		    "Connection: close\r\n" : "", CMD_LATER, (unsigned)i);
		n += post_of(req + n, sizeof(req) - n, "1.1", "", CMD_NOW, 9);
		send_all(fd, req, n);
		expect_echo(fd, (unsigned)i, "Connection: close\r\n");
		ck_assert(wait_eof(fd, WAIT_MS));
		close(fd);
	}
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.pdus_in, 2);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Pipelining: requests sent at once, answered now, later (a round) or
 * by GET, leave in request order; then a client that goes away with
 * answers still owed.
 */
START_TEST(test_http_pipeline)
{
	enum { N = 30 };
	static const char get[] = "GET /pub HTTP/1.1\r\nHost: h\r\n\r\n";
	char head[1024];
	uint8_t body[64];
	char *req;
	size_t size = N * 128;
	size_t blen;
	size_t n = 0;
	struct fx fx;
	int fd;
	int i;

	fx_init(&fx);
	fx.later_ms = 50;
	fx_start(&fx);
	ck_assert_ptr_nonnull(req = malloc(size));
	for (i = 0; i < N; i++) {
		if (i % 7 == 3) {
			memcpy(req + n, get, sizeof(get) - 1);
			n += sizeof(get) - 1;
		} else
			n += post_of(req + n, size - n, "1.1", "", i % 2 == 0 ?
			    CMD_LATER : CMD_NOW, (unsigned)i);
	}
	fd = tcp_connect(fx.http_port);
	send_all(fd, req, n);
	for (i = 0; i < N; i++) {
		if (i % 7 != 3) {
			expect_echo(fd, (unsigned)i, NULL);
			continue;
		}
		ck_assert_int_eq(read_answer(fd, head, sizeof(head), body,
		    sizeof(body), &blen), 200);
		ck_assert_uint_eq(blen, 18);
		ck_assert(memcmp(body, "hello publications", 18) == 0);
	}
	/* Answers owed to a client that is gone. */
	send_all(fd, req, n);
	close(fd);
	sleep_ms(300);
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	ck_assert_uint_ge(fx.n_pdus, N - N / 7);
	free(req);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Back-pressure: more pipelined requests than KTS_NET_MAX_HTTP_INFLIGHT,
 * all answered later: at most the cap is taken at a time, and every one
 * is answered in order.
 */
START_TEST(test_http_backpressure)
{
	enum { N = 2 * KTS_NET_MAX_HTTP_INFLIGHT + 10 };
	size_t size = N * 128;
	struct fx fx;
	size_t n = 0;
	char *req;
	int fd;
	int i;

	fx_init(&fx);
	fx.later_ms = 100;
	fx_start(&fx);
	ck_assert_ptr_nonnull(req = malloc(size));
	for (i = 0; i < N; i++)
		n += post_of(req + n, size - n, "1.1", "", CMD_LATER,
		    (unsigned)i);
	fd = tcp_connect(fx.http_port);
	send_all(fd, req, n);
	for (i = 0; i < N; i++)
		expect_echo(fd, (unsigned)i, NULL);
	close(fd);
	sleep_ms(100);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.n_pdus, N);
	ck_assert_uint_eq(fx.max_outstanding, KTS_NET_MAX_HTTP_INFLIGHT);
	free(req);
	fx_free(&fx, 0);
}
END_TEST

/* What the server answers to a request it refuses, and what follows. */
static const struct rcase {
	const char *name;
	const char *req;
	int status;
	int closes;		/* the connection closes after it */
} rcases[] = {
	{ "bad request line", "GET /\r\n\r\n", 400, 1 },
	{ "garbage", "\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03\r\n\r\n",
	    400, 1 },
	{ "over the PDU cap", "POST / HTTP/1.1\r\nContent-Length: 70000\r\n"
	    "\r\n", 413, 1 },
	{ "chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "8\r\n", 411, 1 },
	{ "no length", "POST / HTTP/1.1\r\n\r\n", 411, 1 },
	{ "http/2.0", "GET / HTTP/2.0\r\n\r\n", 505, 1 },
	{ "get with a body", "GET /pub HTTP/1.1\r\nContent-Length: 2\r\n\r\n"
	    "ab", 400, 1 },
	{ "put", "PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", 405, 0 },
	{ "not a PDU", "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab", 400,
	    0 },
	{ "unknown GET", "GET /nope HTTP/1.1\r\n\r\n", 404, 0 },
};

START_TEST(test_http_refusals)
{
	const struct rcase *c = &rcases[_i];
	char head[1024];
	uint8_t body[256];
	char req[256];
	struct fx fx;
	size_t blen;
	size_t n;
	int fd;

	fx_init(&fx);
	fx_start(&fx);
	fd = tcp_connect(fx.http_port);
	send_all(fd, c->req, strlen(c->req));
	ck_assert_int_eq(read_answer(fd, head, sizeof(head), body,
	    sizeof(body), &blen), c->status);
	ck_assert_msg((strstr(head, "Connection: close") != NULL) == c->closes,
	    "%s: %s", c->name, head);
	if (c->closes)
		ck_assert(wait_eof(fd, WAIT_MS));
	else {			/* the connection serves on */
		n = post_of(req, sizeof(req), "1.1", "", CMD_NOW, 5);
		send_all(fd, req, n);
		expect_echo(fd, 5, NULL);
	}
	close(fd);
	fx_stop(&fx);
	fx_free(&fx, 0);
}
END_TEST

/*
 * Every truncated prefix of a request, then the client's end of
 * sending: never an answer, the connection just closes.
 */
START_TEST(test_http_every_truncation)
{
	char req[256];
	char buf[256];
	struct fx fx;
	size_t len;
	size_t n;
	int eof;
	int fd;

	fx_init(&fx);
	fx_start(&fx);
	len = post_of(req, sizeof(req), "1.1", "Expect: 100-continue\r\n",
	    CMD_NOW, 1);
	for (n = 1; n < len; n++) {
		fd = tcp_connect(fx.http_port);
		send_all(fd, req, n);
		shutdown(fd, SHUT_WR);
		ck_assert_uint_eq(recv_for(fd, buf, sizeof(buf), WAIT_MS, &eof),
		    n < len - PDU_LEN ? 0 : 25);	/* 100 Continue */
		ck_assert(eof);
		close(fd);
	}
	ck_assert(fx_wait_conns(&fx, 0));
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.pdus_in, 0);
	ck_assert_uint_eq(fx.st.conns_open, 0);
	fx_free(&fx, 0);
}
END_TEST

/* Expect: 100-continue: the interim answer, then the real one. */
START_TEST(test_http_continue)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	char req[256];
	char buf[64];
	struct fx fx;
	size_t n;
	int eof;
	int fd;

	fx_init(&fx);
	fx_start(&fx);
	n = post_of(req, sizeof(req), "1.1", "Expect: 100-continue\r\n",
	    CMD_NOW, 3);
	fd = tcp_connect(fx.http_port);
	send_all(fd, req, n - PDU_LEN);
	ck_assert_uint_eq(recv_for(fd, buf, sizeof(cont) - 1, WAIT_MS, &eof),
	    sizeof(cont) - 1);
	ck_assert(memcmp(buf, cont, sizeof(cont) - 1) == 0);
	send_all(fd, req + n - PDU_LEN, PDU_LEN);
	expect_echo(fd, 3, NULL);
	close(fd);
	fx_stop(&fx);
	fx_free(&fx, 0);
}
END_TEST

/* A client that sends a head, then its body too slowly. */
START_TEST(test_http_slow_body)
{
	char req[256];
	struct fx fx;
	size_t n;
	long t0;
	int fd;

	fx_init(&fx);
	fx.o.read_timeout_s = 1;
	fx_start(&fx);
	n = post_of(req, sizeof(req), "1.1", "", CMD_NOW, 3);
	fd = tcp_connect(fx.http_port);
	t0 = now_ms();
	send_all(fd, req, n - 2);
	ck_assert(wait_eof(fd, WAIT_MS));
	ck_assert_int_ge(now_ms() - t0, 900);
	close(fd);
	fx_stop(&fx);
	ck_assert_uint_eq(fx.st.rejected, 1);
	ck_assert_uint_eq(fx.st.pdus_in, 0);
	fx_free(&fx, 0);
}
END_TEST

/* ---- GET and file:// ---- */

START_TEST(test_get)
{
	static const char head[] = "HEAD /pub HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	char buf[1024];
	uint8_t *body = NULL;
	size_t n;
	size_t len = 0;
	char url[128];
	char why[256];
	struct fx fx;

	fx_init(&fx);
	fx_start(&fx);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/pub", fx.http_port);
	ck_assert_int_eq(kts_net_get(url, 1000, WAIT_MS, &body, &len, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(len, 18);
	ck_assert_mem_eq(body, "hello publications", 18);
	free(body);
	ck_assert_int_eq(kts_net_get(url, 10, WAIT_MS, &body, &len, why,
	    sizeof(why)), KTS_ETOOBIG);
	ck_assert_ptr_null(body);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/nope", fx.http_port);
	ck_assert_int_eq(kts_net_get(url, 1000, WAIT_MS, &body, &len, why,
	    sizeof(why)), KTS_EIO);
	ck_assert_msg(strstr(why, "HTTP 404 Not Found") != NULL, "%s", why);
	url_of(url, sizeof(url), "ksi+tcp://127.0.0.1:%d", fx.tcp_port);
	ck_assert_int_eq(kts_net_get(url, 1000, WAIT_MS, &body, &len, why,
	    sizeof(why)), KTS_EINVAL);
	/* HEAD: the header of the GET, no body. */
	n = http_raw(fx.http_port, head, sizeof(head) - 1, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "%s", buf);
	ck_assert(strstr(buf, "Content-Length: 18\r\n") != NULL);
	ck_assert_msg(n >= 4 && strcmp(buf + n - 4, "\r\n\r\n") == 0, "%s",
	    buf);
	fx_stop(&fx);
	fx_free(&fx, 0);

	fx_init(&fx);
	fx.o.on_get = NULL;
	fx_start(&fx);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/pub", fx.http_port);
	ck_assert_int_eq(kts_net_get(url, 1000, WAIT_MS, &body, &len, why,
	    sizeof(why)), KTS_EIO);
	ck_assert_msg(strstr(why, "HTTP 404") != NULL, "%s", why);
	fx_stop(&fx);
	fx_free(&fx, 0);
}
END_TEST

static void
write_file(const char *dir, const char *name, const void *p, size_t n,
    char *path, size_t size)
{
	FILE *f;

	ck_assert(snprintf(path, size, "%s/%s", dir, name) > 0);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_file)
{
	uint8_t pdu[PDU_LEN];
	uint8_t *resp = NULL;
	size_t len = 0;
	char path[512];
	char url[600];
	char why[256];
	char *dir = kts_test_tmpdir();

	make_pdu(pdu, CMD_NOW, 5);
	write_file(dir, "resp.tlv", pdu, sizeof(pdu), path, sizeof(path));
	snprintf(url, sizeof(url), "file://%s", path);
	ck_assert_int_eq(kts_net_exchange(url, pdu, sizeof(pdu), WAIT_MS,
	    &resp, &len, why, sizeof(why)), 0);
	ck_assert_uint_eq(len, sizeof(pdu));
	ck_assert_mem_eq(resp, pdu, sizeof(pdu));
	free(resp);
	ck_assert_int_eq(kts_net_get(url, 100, WAIT_MS, &resp, &len, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(len, sizeof(pdu));
	free(resp);
	snprintf(url, sizeof(url), "file://localhost%s", path);
	ck_assert_int_eq(kts_net_get(url, 100, WAIT_MS, &resp, &len, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(len, sizeof(pdu));
	free(resp);
	ck_assert_int_eq(kts_net_get(url, 4, WAIT_MS, &resp, &len, why,
	    sizeof(why)), KTS_ETOOBIG);
	write_file(dir, "junk", "junk!", 5, path, sizeof(path));
	snprintf(url, sizeof(url), "file://%s", path);
	ck_assert_int_eq(kts_net_exchange(url, pdu, sizeof(pdu), WAIT_MS,
	    &resp, &len, why, sizeof(why)), KTS_EFORMAT);
	ck_assert_ptr_null(resp);
	snprintf(url, sizeof(url), "file://%s/missing", dir);
	ck_assert_int_eq(kts_net_exchange(url, pdu, sizeof(pdu), WAIT_MS,
	    &resp, &len, why, sizeof(why)), KTS_EIO);
	ck_assert_msg(strstr(why, "missing") != NULL, "%s", why);
	ck_assert_int_eq(kts_net_get("file://", 100, WAIT_MS, &resp, &len,
	    why, sizeof(why)), KTS_EINVAL);
	kts_test_rmdir(dir);
	free(dir);
}
END_TEST

/* ---- client failures ---- */

/* A port nobody listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

START_TEST(test_connect_refused)
{
	static const char *fmts[] = { "http://127.0.0.1:%d/",
	    "ksi+tcp://127.0.0.1:%d" };
	char url[128];
	char why[256];
	int port = closed_port();
	int i;

	for (i = 0; i < 2; i++) {
		url_of(url, sizeof(url), fmts[i], port);
		ck_assert_int_eq(exchange(url, CMD_NOW, 1, WAIT_MS, why,
		    sizeof(why)), KTS_EIO);
		ck_assert_msg(strstr(why, "refused") != NULL, "%s", why);
		ck_assert_msg(strstr(why, "127.0.0.1") != NULL, "%s", why);
	}
}
END_TEST

START_TEST(test_timeout)
{
	static const char *fmts[] = { "http://127.0.0.1:%d/",
	    "ksi+tcp://127.0.0.1:%d" };
	char url[128];
	char why[256];
	struct fx fx;
	long t0;
	long dt;
	int i;

	fx_init(&fx);
	fx_start(&fx);
	for (i = 0; i < 2; i++) {
		url_of(url, sizeof(url), fmts[i], i == 0 ? fx.http_port :
		    fx.tcp_port);
		t0 = now_ms();
		ck_assert_int_eq(exchange(url, CMD_NEVER, 1, 300, why,
		    sizeof(why)), KTS_EIO);
		dt = now_ms() - t0;
		ck_assert_msg(dt >= 280 && dt < 1500, "took %ld ms", dt);
		ck_assert_msg(strstr(why, "timeout after 300 ms") != NULL,
		    "%s", why);
	}
	fx_stop(&fx);
	fx_free(&fx, 0);
}
END_TEST

static const struct ucase {
	const char *url;
	const char *needle;	/* in why */
} bad_urls[] = {
	{ "ftp://127.0.0.1/x", "scheme" },
	{ "https://127.0.0.1/x", "TLS" },
	{ "ksi+https://u:k@127.0.0.1/x", "TLS" },
	{ "ksi+tcp://127.0.0.1", "port" },
	{ "http:///x", "host" },
	{ "http://127.0.0.1:0/", "port" },
	{ "no url at all", "URL" },
	{ "http://u:k@127.0.0.1:99999/", "URL" },
};

START_TEST(test_bad_urls)
{
	const struct ucase *uc = &bad_urls[_i];
	char why[256];

	ck_assert_int_eq(exchange(uc->url, CMD_NOW, 1, WAIT_MS, why,
	    sizeof(why)), KTS_EINVAL);
	ck_assert_msg(strstr(why, uc->needle) != NULL, "%s: %s", uc->url, why);
	ck_assert_msg(strstr(why, "k@") == NULL, "%s", why);
}
END_TEST

static const struct ccase {
	const char *url;
	const char *user;
	const char *key;
} creds[] = {
	{ "ksi+http://anon:s3cr%40t@127.0.0.1:8080/gt-signingservice",
	    "anon", "s3cr@t" },
	{ "ksi://u:k@127.0.0.1/", "u", "k" },
	{ "ksi+tcp://u:k:x@127.0.0.1:3333", "u", "k:x" },
	{ "ksi+http://only@127.0.0.1/", "only", NULL },
	{ "ksi+http://127.0.0.1/", NULL, NULL },
	{ "http://user:pass@127.0.0.1/", NULL, NULL },	/* basic auth */
	{ "file:///tmp/x", NULL, NULL },
	{ "not a url", NULL, NULL },
};

START_TEST(test_credentials)
{
	const struct ccase *cc = &creds[_i];
	char *user = (char *)1;
	char *key = (char *)1;

	ck_assert_int_eq(kts_url_credentials(cc->url, &user, &key), 0);
	if (cc->user == NULL)
		ck_assert_ptr_null(user);
	else
		ck_assert_str_eq(user, cc->user);
	if (cc->key == NULL)
		ck_assert_ptr_null(key);
	else
		ck_assert_str_eq(key, cc->key);
	free(user);
	free(key);
}
END_TEST

/* ---- the client against a scripted server ---- */

/* Accepts one connection, records the request, sends a canned answer. */
struct fake {
	int lfd;
	int port;
	int tcp;		/* read one PDU, not an HTTP request */
	const char *resp;
	size_t resp_len;
	char req[2048];
	size_t req_len;
	pthread_t th;
};

/* Enough of the request read: one PDU, or the header plus the body. */
static int
fake_done(const struct fake *f)
{
	const char *end;
	const char *cl;

	if (f->tcp)
		return f->req_len >= PDU_LEN;
	if ((end = strstr(f->req, "\r\n\r\n")) == NULL)
		return 0;
	if ((cl = strstr(f->req, "Content-Length: ")) == NULL)
		return 1;
	return f->req_len >= (size_t)(end + 4 - f->req) +
	    strtoul(cl + 16, NULL, 10);
}

static void *
fake_thread(void *arg)
{
	struct fake *f = arg;
	struct pollfd pfd = { f->lfd, POLLIN, 0 };
	long end = now_ms() + WAIT_MS;
	ssize_t r;
	int fd;

	if (poll(&pfd, 1, WAIT_MS) != 1 || (fd = accept(f->lfd, NULL,
	    NULL)) < 0)
		return NULL;
	pfd.fd = fd;
	while (!fake_done(f) && now_ms() < end &&
	    f->req_len < sizeof(f->req) - 1) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if ((r = recv(fd, f->req + f->req_len,
		    sizeof(f->req) - 1 - f->req_len, 0)) <= 0)
			break;
		f->req_len += (size_t)r;
		f->req[f->req_len] = '\0';
	}
	(void)send(fd, f->resp, f->resp_len, MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static void
fake_start(struct fake *f, int tcp, const char *resp, size_t resp_len)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->tcp = tcp;
	f->resp = resp;
	f->resp_len = resp_len;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(f->lfd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 1), 0);
	ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_thread, f), 0);
}

static void
fake_stop(struct fake *f)
{
	ck_assert_int_eq(pthread_join(f->th, NULL), 0);
	close(f->lfd);
}

#define RESP_PDU "\x82\x21\x00\x04\x00\x00\x01\x00"
#define R(s) s, sizeof(s) - 1	/* a canned answer and its length */

static const struct fcase {
	const char *url;	/* %d is the port */
	int tcp;
	const char *resp;
	size_t resp_len;
	int rc;
	const char *why;	/* in the message, or NULL */
	const char *sent;	/* in the request, or NULL */
} fcases[] = {
	/* No Content-Length: the body runs to the close. */
	{ "http://127.0.0.1:%d/p?q=1", 0, R("HTTP/1.0 200 OK\r\n\r\n"
	    RESP_PDU), 0, NULL, "POST /p?q=1 HTTP/1.0\r\n" },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\nContent-Length: "
	    "8\r\n\r\n" RESP_PDU), 0, NULL,
	    "Content-Type: application/ksi-request\r\n" },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.0 200 OK\r\n\r\n" RESP_PDU), 0,
	    NULL, "User-Agent: kts/" },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.0 200 OK\r\n\r\n" RESP_PDU), 0,
	    NULL, "Content-Length: 8\r\n" },
	/* Plain http:// credentials are HTTP basic auth (spec 8.1)... */
	{ "http://user:pass@127.0.0.1:%d/", 0, R("HTTP/1.0 200 OK\r\n\r\n"
	    RESP_PDU), 0, NULL, "Authorization: Basic dXNlcjpwYXNz\r\n" },
	/* ...ksi+http:// ones are KSI's and never sent. */
	{ "ksi+http://user:pass@127.0.0.1:%d/", 0, R("HTTP/1.0 200 OK\r\n\r\n"
	    RESP_PDU), 0, NULL, "Host: 127.0.0.1:" },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Length: 5\r\n\r\nhello"), KTS_EIO,
	    "HTTP 500 Internal Server Error", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n8\r\n" RESP_PDU "\r\n0\r\n\r\n"), KTS_EIO,
	    "transfer-coded", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\nContent-Length: "
	    "999999\r\n\r\n"), KTS_ETOOBIG, "over", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\nContent-Length: "
	    "20\r\n\r\n" RESP_PDU), KTS_EIO, "8 of 20 body bytes", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\nContent-Length: "
	    "8\r\nContent-Length: 9\r\n\r\n" RESP_PDU), KTS_EIO,
	    "malformed", NULL },
	{ "http://127.0.0.1:%d/", 0, R("SMTP ready\r\n\r\n"), KTS_EIO,
	    "malformed", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.1 200 OK\r\n"), KTS_EIO,
	    "before an HTTP response", NULL },
	{ "http://127.0.0.1:%d/", 0, R("HTTP/1.0 200 OK\r\n\r\nnot a pdu"),
	    KTS_EIO, "not one PDU", NULL },
	{ "ksi+tcp://127.0.0.1:%d", 1, R(RESP_PDU), 0, NULL, NULL },
	{ "ksi+tcp://127.0.0.1:%d", 1, R("\x82\x21\x00\x10\x00"), KTS_EIO,
	    "after 5 bytes", NULL },
	/* Only the first TLV is the answer. */
	{ "ksi+tcp://127.0.0.1:%d", 1, R(RESP_PDU "\x01\x02"), 0, NULL,
	    NULL },
};

START_TEST(test_client_scripted)
{
	const struct fcase *fc = &fcases[_i];
	uint8_t pdu[PDU_LEN];
	uint8_t *resp = NULL;
	struct fake f;
	size_t len = 0;
	char url[128];
	char why[256];
	int r;

	fake_start(&f, fc->tcp, fc->resp, fc->resp_len);
	url_of(url, sizeof(url), fc->url, f.port);
	make_pdu(pdu, CMD_NOW, 1);
	r = kts_net_exchange(url, pdu, sizeof(pdu), WAIT_MS, &resp, &len,
	    why, sizeof(why));
	fake_stop(&f);
	ck_assert_msg(r == fc->rc, "%s: %d (%s)", url, r, why);
	if (r == 0) {
		ck_assert_uint_eq(len, PDU_LEN);
		ck_assert_mem_eq(resp, RESP_PDU, PDU_LEN);
	}
	if (fc->why != NULL)
		ck_assert_msg(strstr(why, fc->why) != NULL, "%s", why);
	if (fc->sent != NULL)
		ck_assert_msg(strstr(f.req, fc->sent) != NULL, "%s", f.req);
	if (strncmp(fc->url, "ksi+http", 8) == 0)
		ck_assert_msg(strstr(f.req, "Authorization") == NULL &&
		    strstr(f.req, "user") == NULL, "%s", f.req);
	if (fc->tcp)
		ck_assert_mem_eq(f.req, pdu, PDU_LEN);
	free(resp);
}
END_TEST

/* A response header that never ends is cut at the cap. */
START_TEST(test_client_huge_header)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n";
	size_t n = KTS_NET_MAX_HTTP_HEADER + 100;
	uint8_t pdu[PDU_LEN];
	uint8_t *resp = NULL;
	struct fake f;
	size_t len = 0;
	char url[128];
	char why[256];
	char *big;
	size_t i;

	ck_assert_ptr_nonnull(big = malloc(n));
	memcpy(big, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i + 4 <= n; i += 4)
		memcpy(big + i, "X: \n", 4);
	fake_start(&f, 0, big, i);
	url_of(url, sizeof(url), "http://127.0.0.1:%d/", f.port);
	make_pdu(pdu, CMD_NOW, 1);
	ck_assert_int_eq(kts_net_exchange(url, pdu, sizeof(pdu), WAIT_MS,
	    &resp, &len, why, sizeof(why)), KTS_ETOOBIG);
	ck_assert_msg(strstr(why, "header") != NULL, "%s", why);
	fake_stop(&f);
	free(big);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc;

	tc = tcase_create("server");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_http_roundtrip);
	tcase_add_test(tc, test_tcp_roundtrip);
	tcase_add_test(tc, test_tcp_pipeline);
	tcase_add_test(tc, test_tcp_backpressure);
	tcase_add_test(tc, test_tcp_reject);
	tcase_add_test(tc, test_http_errors);
	tcase_add_test(tc, test_refusal_lingers);
	tcase_add_loop_test(tc, test_disconnect_before_reply, 0, 2);
	tcase_add_loop_test(tc, test_teardown_with_clients, 0, 2);
	tcase_add_loop_test(tc, test_arrival_time, 0, 2);
	tcase_add_test(tc, test_http_pending_idle);
	tcase_add_test(tc, test_srv_new_errors);
	tcase_add_test(tc, test_reuseport);
	tcase_add_test(tc, test_slow_client);
	tcase_add_test(tc, test_max_conns);
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_http_keepalive);
	tcase_add_test(tc, test_http_close);
	tcase_add_test(tc, test_http_pipeline);
	tcase_add_test(tc, test_http_backpressure);
	tcase_add_loop_test(tc, test_http_refusals, 0, KTS_N_ELEMS(rcases));
	tcase_add_test(tc, test_http_every_truncation);
	tcase_add_test(tc, test_http_continue);
	tcase_add_test(tc, test_http_slow_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_timeout);
	tcase_add_loop_test(tc, test_bad_urls, 0, KTS_N_ELEMS(bad_urls));
	tcase_add_loop_test(tc, test_credentials, 0, KTS_N_ELEMS(creds));
	tcase_add_loop_test(tc, test_client_scripted, 0, KTS_N_ELEMS(fcases));
	tcase_add_test(tc, test_client_huge_header);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return kts_test_main(net_suite());
}
