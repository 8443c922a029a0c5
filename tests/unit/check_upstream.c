/*
 * check_upstream.c - unit tests for lib/upstream.c, the asynchronous PDU
 * client an aggregator uses for its parents (KSI spec 8).
 *
 * A kts_srv and the kts_up under test share one event base in this
 * thread, on 127.0.0.1 ephemeral ports.  Test requests carry a request
 * id whose high 32 bits tell the handler what to do: answer now, hold
 * until a batch is complete and answer it backwards, never answer,
 * answer with a bare error PDU, or drop the connection.  Every loop runs
 * under a hard stop timer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
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
#include "tlv.h"
#include "upstream.h"
#include "util.h"
#include "wr.h"
#include "kts_test.h"

#define WAIT_MS 3000		/* the most a loop may run */
#define MAX_IDS 64

enum { CMD_NOW, CMD_BATCH, CMD_NEVER, CMD_ERROR, CMD_DROP };

#define ID(cmd, n) ((uint64_t)(cmd) << 32 | (uint64_t)(n))

struct fx {
	struct event_base *base;
	struct kts_srv *srv;
	struct kts_up *up;
	int http_port;
	int tcp_port;
	struct kts_req *held[MAX_IDS];	/* CMD_BATCH and CMD_NEVER */
	uint64_t held_id[MAX_IDS];
	size_t n_held;
	size_t batch;			/* answer CMD_BATCH when this many */
	/* client side */
	size_t n_cb;			/* callbacks */
	size_t n_ok;			/* with a PDU */
	uint64_t got[MAX_IDS];
	int seen[MAX_IDS];		/* callbacks per request number */
	char why[128];			/* the last failure */
	int in_send;			/* set around kts_up_send */
	int cb_in_send;			/* a callback came inside a send */
	size_t want;			/* stop the loop at this many */
	long t_last_cb;
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A response PDU 0x221 { 0x02 { 0x01 id } }, or a bare error PDU. */
static void
answer(struct kts_req *req, uint64_t id, int error)
{
	struct kts_wr wr;
	size_t m;
	size_t p;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x221, 0, &m), 0);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, error ? 0x03 : 0x02, 0, &p), 0);
	if (error)
		ck_assert_int_eq(kts_wr_tlv_u64(&wr, 0x04, 0, 0x0101), 0);
	else
		ck_assert_int_eq(kts_wr_tlv_u64(&wr, 0x01, 0, id), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, p), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, m), 0);
	kts_req_reply(req, wr.p, wr.len, 200);
	kts_wr_free(&wr);
}

static void
on_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	struct fx *fx = arg;
	uint64_t id = 0;
	size_t i;

	/* A request without an id (configuration) is refused. */
	if (kts_resp_req_id(pdu, len, &id) != 0) {
		answer(req, 0, 1);
		return;
	}
	switch ((int)(id >> 32)) {
	case CMD_NOW:
		answer(req, id, 0);
		break;
	case CMD_ERROR:
		answer(req, id, 1);
		break;
	case CMD_DROP:
		kts_req_drop(req);
		break;
	default:
		ck_assert_uint_lt(fx->n_held, MAX_IDS);
		fx->held[fx->n_held] = req;
		fx->held_id[fx->n_held++] = id;
		if ((id >> 32) == CMD_BATCH && fx->n_held == fx->batch) {
			for (i = fx->n_held; i-- > 0;)
				answer(fx->held[i], fx->held_id[i], 0);
			fx->n_held = 0;
		}
	}
}

static void
on_up(void *arg, struct kts_up *up, uint64_t id, const uint8_t *pdu,
    size_t len, const char *why)
{
	struct fx *fx = arg;
	uint64_t rid;
	size_t n = id == KTS_UP_NO_ID ? MAX_IDS - 1 :
	    (size_t)(id & 0xffffffffu);

	ck_assert_ptr_eq(up, fx->up);
	if (fx->in_send)
		fx->cb_in_send = 1;
	ck_assert_uint_lt(n, MAX_IDS);
	fx->seen[n]++;
	if (fx->n_cb < MAX_IDS)
		fx->got[fx->n_cb] = id;
	fx->n_cb++;
	fx->t_last_cb = now_ms();
	if (pdu != NULL) {
		fx->n_ok++;
		ck_assert_ptr_null(why);
		/* The id in the answer is the one asked for (or none). */
		if (kts_resp_req_id(pdu, len, &rid) == 0)
			ck_assert_uint_eq(rid, id);
	} else {
		ck_assert_ptr_nonnull(why);
		snprintf(fx->why, sizeof(fx->why), "%s", why);
	}
	if (fx->n_cb >= fx->want)
		event_base_loopbreak(fx->base);
}

static void
fx_start(struct fx *fx)
{
	struct kts_srv_opts o;

	memset(fx, 0, sizeof(*fx));
	ck_assert_ptr_nonnull(fx->base = event_base_new());
	memset(&o, 0, sizeof(o));
	o.http_port = 0;
	o.tcp_port = 0;
	o.on_pdu = on_pdu;
	o.arg = fx;
	ck_assert_int_eq(kts_srv_new(fx->base, &o, &fx->srv), 0);
	kts_srv_ports(fx->srv, &fx->http_port, &fx->tcp_port);
}

/* The client for our server: tcp or HTTP, with timeout_ms. */
static void
fx_client(struct fx *fx, int tcp, int timeout_ms)
{
	char url[96];
	char why[256] = "";

	snprintf(url, sizeof(url), tcp ? "ksi+tcp://127.0.0.1:%d" :
	    "http://127.0.0.1:%d/gt-signingservice", tcp ? fx->tcp_port :
	    fx->http_port);
	ck_assert_msg(kts_up_new(fx->base, url, timeout_ms, on_up, fx,
	    &fx->up, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(kts_up_is_tcp(fx->up), tcp);
}

static void
fx_stop(struct fx *fx)
{
	size_t i;

	kts_up_free(fx->up);
	for (i = 0; i < fx->n_held; i++)
		kts_req_drop(fx->held[i]);
	kts_srv_free(fx->srv);
	event_base_free(fx->base);
}

/* A request PDU 0x220 { 0x02 { 0x01 id } }. */
static int
send_id(struct fx *fx, uint64_t id)
{
	struct kts_wr wr;
	size_t m;
	size_t p;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x220, 0, &m), 0);
	ck_assert_int_eq(kts_wr_tlv_begin(&wr, 0x02, 0, &p), 0);
	ck_assert_int_eq(kts_wr_tlv_u64(&wr, 0x01, 0, id), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, p), 0);
	ck_assert_int_eq(kts_wr_tlv_end(&wr, m), 0);
	fx->in_send = 1;
	r = kts_up_send(fx->up, id, wr.p, wr.len);
	fx->in_send = 0;
	kts_wr_free(&wr);
	return r;
}

/* Run the loop until want callbacks or ms milliseconds. */
static void
run(struct fx *fx, size_t want, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	fx->want = want;
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static void
exchange(int tcp)
{
	struct kts_up_stats st;
	struct fx fx;
	unsigned i;

	fx_start(&fx);
	fx_client(&fx, tcp, WAIT_MS);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(send_id(&fx, ID(CMD_NOW, i)), 0);
	run(&fx, 20, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 20);
	ck_assert_uint_eq(fx.n_ok, 20);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(fx.seen[i], 1);
	ck_assert_int_eq(fx.cb_in_send, 0);
	kts_up_stats(fx.up, &st);
	ck_assert_uint_eq(st.sent, 20);
	ck_assert_uint_eq(st.answered, 20);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_eq(st.inflight, 0);
	ck_assert_uint_ge(st.connects, 1);
	if (tcp)
		ck_assert_uint_eq(st.connects, 1);	/* one connection */
	fx_stop(&fx);
}

START_TEST(test_tcp_exchange)
{
	exchange(1);
}
END_TEST

START_TEST(test_http_exchange)
{
	exchange(0);
}
END_TEST

/* Answers in the reverse order still reach the right requests. */
START_TEST(test_tcp_reordered)
{
	struct fx fx;
	unsigned i;

	fx_start(&fx);
	fx.batch = 10;
	fx_client(&fx, 1, WAIT_MS);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(send_id(&fx, ID(CMD_BATCH, i)), 0);
	run(&fx, 10, WAIT_MS);
	ck_assert_uint_eq(fx.n_ok, 10);
	/* The server answered 9 first: so did the callbacks. */
	ck_assert_uint_eq(fx.got[0], ID(CMD_BATCH, 9));
	ck_assert_uint_eq(fx.got[9], ID(CMD_BATCH, 0));
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(fx.seen[i], 1);
	fx_stop(&fx);
}
END_TEST

/* No answer: one failure after the timeout, over either transport. */
static void
timeout(int tcp)
{
	struct kts_up_stats st;
	struct fx fx;
	long t0;

	fx_start(&fx);
	fx_client(&fx, tcp, 200);
	t0 = now_ms();
	ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 1)), 0);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NOW, 2)), 0);
	run(&fx, 2, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 2);
	ck_assert_uint_eq(fx.n_ok, 1);
	ck_assert_int_eq(fx.seen[1], 1);
	ck_assert_ptr_nonnull(strstr(fx.why, "timeout"));
	ck_assert_int_ge(fx.t_last_cb - t0, 190);
	ck_assert_int_le(fx.t_last_cb - t0, 1000);
	kts_up_stats(fx.up, &st);
	ck_assert_uint_eq(st.timeouts, 1);
	ck_assert_uint_eq(st.inflight, 0);
	/* A late answer (none comes here) would find nobody; nothing more
	 * is called back. */
	run(&fx, 100, 300);
	ck_assert_uint_eq(fx.n_cb, 2);
	fx_stop(&fx);
}

START_TEST(test_tcp_timeout)
{
	timeout(1);
}
END_TEST

START_TEST(test_http_timeout)
{
	timeout(0);
}
END_TEST

/* A bare error PDU (no request id) answers every waiting request. */
START_TEST(test_tcp_error_pdu)
{
	struct fx fx;

	fx_start(&fx);
	fx_client(&fx, 1, WAIT_MS);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 1)), 0);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 2)), 0);
	run(&fx, 100, 200);
	ck_assert_uint_eq(fx.n_cb, 0);
	ck_assert_int_eq(send_id(&fx, ID(CMD_ERROR, 3)), 0);
	run(&fx, 3, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 3);
	ck_assert_uint_eq(fx.n_ok, 3);
	ck_assert_int_eq(fx.seen[1] + fx.seen[2] + fx.seen[3], 3);
	fx_stop(&fx);
}
END_TEST

/*
 * A refused configuration request (an error PDU without an id) goes to
 * the request without an id, not to the rounds waiting beside it.
 */
START_TEST(test_tcp_error_for_conf)
{
	static const uint8_t conf[] = { 0x82, 0x20, 0x00, 0x02, 0x04, 0x00 };
	struct fx fx;

	fx_start(&fx);
	fx_client(&fx, 1, 400);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 1)), 0);
	ck_assert_int_eq(kts_up_send(fx.up, KTS_UP_NO_ID, conf, sizeof(conf)),
	    0);
	run(&fx, 1, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 1);
	ck_assert_uint_eq(fx.n_ok, 1);
	ck_assert_int_eq(fx.seen[MAX_IDS - 1], 1);
	ck_assert_int_eq(fx.seen[1], 0);
	/* The round still waits, and times out on its own. */
	run(&fx, 2, WAIT_MS);
	ck_assert_int_eq(fx.seen[1], 1);
	ck_assert_ptr_nonnull(strstr(fx.why, "timeout"));
	fx_stop(&fx);
}
END_TEST

/* The server drops the connection: everything waiting fails once. */
START_TEST(test_tcp_dropped)
{
	struct fx fx;

	fx_start(&fx);
	fx_client(&fx, 1, WAIT_MS);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 1)), 0);
	ck_assert_int_eq(send_id(&fx, ID(CMD_DROP, 2)), 0);
	run(&fx, 2, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 2);
	ck_assert_uint_eq(fx.n_ok, 0);
	ck_assert_int_eq(fx.seen[1], 1);
	ck_assert_int_eq(fx.seen[2], 1);
	/* The next send connects again. */
	ck_assert_int_eq(send_id(&fx, ID(CMD_NOW, 3)), 0);
	run(&fx, 3, WAIT_MS);
	ck_assert_uint_eq(fx.n_ok, 1);
	fx_stop(&fx);
}
END_TEST

/* A port nobody listens on. */
static int
dead_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;
	int port;

	ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
refused(int tcp)
{
	struct fx fx;
	char url[96];
	char why[256] = "";

	fx_start(&fx);
	snprintf(url, sizeof(url), tcp ? "ksi+tcp://127.0.0.1:%d" :
	    "http://127.0.0.1:%d/", dead_port());
	ck_assert_int_eq(kts_up_new(fx.base, url, WAIT_MS, on_up, &fx, &fx.up,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(send_id(&fx, ID(CMD_NOW, 1)), 0);
	ck_assert_uint_eq(fx.n_cb, 0);		/* never inside the send */
	run(&fx, 1, WAIT_MS);
	ck_assert_uint_eq(fx.n_cb, 1);
	ck_assert_uint_eq(fx.n_ok, 0);
	ck_assert_int_eq(fx.cb_in_send, 0);
	/* Tried again only after KTS_UP_RETRY_MS. */
	ck_assert_int_eq(send_id(&fx, ID(CMD_NOW, 2)), KTS_EIO);
	fx_stop(&fx);
}

START_TEST(test_tcp_refused)
{
	refused(1);
}
END_TEST

START_TEST(test_http_refused)
{
	refused(0);
}
END_TEST

/* Freed with requests waiting: nothing is called back afterwards. */
START_TEST(test_free_waiting)
{
	struct fx fx;
	int tcp;

	/* Freed with a request waiting, no callback comes, not even when
	 * its timeout (1 s) passes.  The timeout is far beyond the 50 ms
	 * run before the free, which a loaded machine may stretch. */
	for (tcp = 0; tcp <= 1; tcp++) {
		fx_start(&fx);
		fx_client(&fx, tcp, 1000);
		ck_assert_int_eq(send_id(&fx, ID(CMD_NEVER, 1)), 0);
		run(&fx, 100, 50);
		kts_up_free(fx.up);
		fx.up = NULL;
		run(&fx, 100, 1300);
		ck_assert_uint_eq(fx.n_cb, 0);
		fx_stop(&fx);
	}
}
END_TEST

START_TEST(test_bad_urls)
{
	static const char *bad[] = {
		"ftp://127.0.0.1/",
		"ksi+tcp://127.0.0.1",		/* no port */
		"ksi+https://127.0.0.1:1/",
		"not a url",
		"http://:80/",
	};
	struct event_base *base = event_base_new();
	struct kts_up *up = NULL;
	char why[256];
	size_t i;

	ck_assert_ptr_nonnull(base);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(kts_up_new(base, bad[i], 1000, on_up, NULL,
		    &up, why, sizeof(why)), KTS_EINVAL);
		ck_assert_ptr_null(up);
		ck_assert_msg(why[0] != '\0', "no reason for %s", bad[i]);
	}
	/* The message never repeats a key from the URL. */
	ck_assert_int_eq(kts_up_new(base, "ftp://u:SECRETKEY@127.0.0.1/",
	    1000, on_up, NULL, &up, why, sizeof(why)), KTS_EINVAL);
	ck_assert_ptr_null(strstr(why, "SECRETKEY"));
	ck_assert_int_eq(kts_up_new(base, "ksi+tcp://127.0.0.1:1", 0, on_up,
	    NULL, &up, why, sizeof(why)), KTS_EINVAL);
	ck_assert_int_eq(kts_up_new(base, "ksi+tcp://127.0.0.1:1", 600001,
	    on_up, NULL, &up, why, sizeof(why)), KTS_EINVAL);
	event_base_free(base);
}
END_TEST

START_TEST(test_resp_req_id)
{
	static const struct {
		const char *hex;
		int r;
		uint64_t id;
	} t[] = {
		{ "8221000502030101" "07", 0, 7 },	/* 0x02 { 0x01 7 } */
		{ "82210008" "0206040100010109", 0, 9 },	/* id second */
		{ "82210004" "03020401", KTS_ENOTFOUND, 0 },	/* error */
		{ "82210004" "04020101", KTS_ENOTFOUND, 0 },	/* conf */
		{ "82210005" "0203040100", KTS_ENOTFOUND, 0 },	/* no id */
		{ "82210005" "0203010200", KTS_EFORMAT, 0 },	/* cut */
		{ "8221", KTS_EFORMAT, 0 },
		{ "82210004" "0202010a", KTS_EFORMAT, 0 },	/* id cut */
	};
	uint8_t buf[64];
	uint64_t id;
	size_t n;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(kts_hex_decode(t[i].hex, buf, sizeof(buf),
		    &n), 0);
		id = 0;
		ck_assert_msg(kts_resp_req_id(buf, n, &id) == t[i].r,
		    "row %zu", i);
		if (t[i].r == 0)
			ck_assert_uint_eq(id, t[i].id);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("upstream");
	TCase *tc = tcase_create("upstream");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tcp_exchange);
	tcase_add_test(tc, test_http_exchange);
	tcase_add_test(tc, test_tcp_reordered);
	tcase_add_test(tc, test_tcp_timeout);
	tcase_add_test(tc, test_http_timeout);
	tcase_add_test(tc, test_tcp_error_pdu);
	tcase_add_test(tc, test_tcp_error_for_conf);
	tcase_add_test(tc, test_tcp_dropped);
	tcase_add_test(tc, test_tcp_refused);
	tcase_add_test(tc, test_http_refused);
	tcase_add_test(tc, test_free_waiting);
	tcase_add_test(tc, test_bad_urls);
	tcase_add_test(tc, test_resp_req_id);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return kts_test_main(suite());
}
