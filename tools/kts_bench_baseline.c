/*
 * kts_bench_baseline.c - "kts-bench http-baseline": the most this
 * machine's libevent does over HTTP keep-alive, as a ceiling to read the
 * "extend" and "sign" figures against (docs/performance.md).
 *
 * usage: kts-bench http-baseline [--seconds S] [--connections N] [-q]
 *
 * A forked child serves a bare evhttp server on 127.0.0.1, on a port the
 * kernel picks, that answers every POST with 200 and the same BODY_LEN
 * bytes (about a signing response; a small extension response is
 * smaller) and does nothing else.  The generator of kts_bench_net.c loads
 * it for S seconds (default 5) over N keep-alive connections (default
 * DEF_CONNS), one request in flight each, each request a real aggregation
 * request PDU built once.  A response counts when it is an HTTP 200 with
 * a body of BODY_LEN bytes; nothing else is checked.  The child stops
 * when the parent closes its end of a pipe (or dies); its CPU time is
 * reported.  The last line on stdout is "baseline_per_s N".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include "err.h"
#include "hash.h"
#include "kts_bench.h"
#include "kts_bench_net.h"
#include "limits.h"
#include "pdu.h"
#include "wr.h"

#define BODY_LEN 1024		/* a signature from the calendar: ~0.9 KB */
#define DEF_CONNS 16
#define BACKLOG 1024

/* The mode's state. */
struct bstate {
	struct kts_wr req;	/* the request PDU, sent every time (owned) */
	pid_t child;		/* the server; 0 when there is none */
	int quit_fd;		/* write end of the pipe the server watches */
	double server_cpu;	/* the server's CPU seconds, once it ended */
	char why[64];		/* b_check()'s message */
};

/* ---- the server (the child) ------------------------------------------- */

static const uint8_t body[BODY_LEN];

static void
srv_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/ksi-response");
	if (evbuffer_add_reference(out, body, sizeof(body), NULL, NULL) != 0) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* The parent closed its end of the pipe, or died. */
static void
quit_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Serve lfd until quit_fd reads EOF; never returns. */
static void
serve(evutil_socket_t lfd, int quit_fd)
{
	struct event_base *base = NULL;
	struct evhttp *http = NULL;
	struct event *quit = NULL;
	int rc = 1;

	if ((base = event_base_new()) == NULL ||
	    (http = evhttp_new(base)) == NULL ||
	    (quit = event_new(base, quit_fd, EV_READ, quit_cb, base)) == NULL ||
	    evutil_make_socket_nonblocking(lfd) != 0 ||
	    evhttp_accept_socket(http, lfd) != 0) {
		fputs("kts-bench: the baseline server cannot start\n", stderr);
		goto out;
	}
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, KTS_MAX_PDU);
	evhttp_set_max_headers_size(http, KTS_NET_MAX_HTTP_HEADER);
	evhttp_set_gencb(http, srv_cb, NULL);
	event_add(quit, NULL);
	event_base_dispatch(base);
	rc = 0;
out:
	if (quit != NULL)
		event_free(quit);
	if (http != NULL)
		evhttp_free(http);
	if (base != NULL)
		event_base_free(base);
	_exit(rc);
}

/*
 * A listening socket on 127.0.0.1 and a port the kernel picks; -1 (said
 * why) if none.
 */
static int
listen_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		perror("kts-bench: a listening socket on 127.0.0.1");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Fork the server on lfd (closed here either way); 0 or -1. */
static int
server_start(struct bstate *bs, int lfd)
{
	int p[2];

	if (pipe(p) != 0) {
		perror("kts-bench: pipe");
		close(lfd);
		return -1;
	}
	fflush(NULL);
	if ((bs->child = fork()) == 0) {
		close(p[1]);
		serve(lfd, p[0]);
	}
	close(lfd);
	close(p[0]);
	if (bs->child < 0) {
		perror("kts-bench: fork");
		bs->child = 0;
		close(p[1]);
		return -1;
	}
	bs->quit_fd = p[1];
	return 0;
}

/* Stop the server and take its CPU time. */
static void
server_stop(struct bstate *bs)
{
	struct rusage ru;
	int st;

	if (bs->child == 0)
		return;
	close(bs->quit_fd);
	if (waitpid(bs->child, &st, 0) == bs->child &&
	    getrusage(RUSAGE_CHILDREN, &ru) == 0)
		bs->server_cpu = (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec +
		    (double)ru.ru_stime.tv_usec / 1e6;
	bs->child = 0;
}

/* ---- the client's mode ------------------------------------------------ */

static int
b_build(void *arg, struct kts_load *ld, struct kts_flight *f,
    struct kts_wr *wr)
{
	const struct bstate *bs = arg;

	return kts_wr_put(wr, bs->req.p, bs->req.len);
}

static const char *
b_check(void *arg, const struct kts_flight *f, const uint8_t *pdu,
    size_t len)
{
	struct bstate *bs = arg;

	if (len == BODY_LEN)
		return NULL;
	snprintf(bs->why, sizeof(bs->why), "a body of %zu bytes, not %d", len,
	    BODY_LEN);
	return bs->why;
}

static void
b_describe(void *arg, const struct kts_flight *f, char *buf, size_t n)
{
	snprintf(buf, n, "request %llu", (unsigned long long)f->id);
}

static void
b_report(void *arg)
{
	const struct bstate *bs = arg;

	printf("request %zu bytes, response body %d bytes; server_cpu_s "
	    "%.3f\n", bs->req.len, BODY_LEN, bs->server_cpu);
}

static int
usage(FILE *fp)
{
	fputs("usage: kts-bench http-baseline [--seconds S] [--connections N] "
	    "[-q]\n"
	    "  S 1..3600 (default 5), N 1..1024 keep-alive connections "
	    "(default 16)\n"
	    "  to a bare evhttp server in a child process.\n", fp);
	return 3;
}

/* The request every POST carries: an aggregation request PDU. */
static int
request(struct bstate *bs)
{
	struct kts_imprint h;

	memset(&h, 0, sizeof(h));
	h.alg = KTS_HASH_SHA256;
	h.len = 32;
	kts_wr_init(&bs->req, KTS_MAX_PDU);
	return kts_aggr_req_build(&bs->req, "bench", "bench", 5,
	    KTS_HASH_SHA256, 1, &h, 0);
}

int
kts_bench_baseline(int argc, char **argv)
{
	static struct bstate bs;
	struct kts_load_mode m = {
		.server = "bare evhttp server", .rate = "baseline_per_s",
		.short_last = 1, .max_conns = KTS_LOAD_MAX_CONNS,
		.conns_tcp = DEF_CONNS, .conns_http = DEF_CONNS,
		.depth_tcp = 1, .seconds = 5,
		.build = b_build, .check = b_check, .describe = b_describe,
		.report = b_report, .arg = &bs,
	};
	struct kts_load_opts o;
	struct kts_load *ld = NULL;
	char url[64];
	int lfd;
	int port;
	int rc = 1;
	int r;

	if ((r = kts_load_args(&m, 0, argc, argv, &o)) > 0) {
		usage(stdout);
		return 0;
	} else if (r < 0)
		return usage(stderr);
	/* The server must not die of a client that closes under it. */
	signal(SIGPIPE, SIG_IGN);
	if (request(&bs) != 0 || (lfd = listen_any(&port)) < 0)
		goto out;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	o.url = url;
	/* Before the fork: the child inherits the raised descriptor limit. */
	if (kts_load_new(&m, &o, &ld) != 0) {
		close(lfd);
		goto out;
	}
	if (server_start(&bs, lfd) != 0 || kts_load_run(ld) != 0)
		goto out;
	server_stop(&bs);
	kts_load_report(ld);
	rc = 0;
out:
	server_stop(&bs);
	kts_load_free(ld);
	kts_wr_free(&bs.req);
	return rc;
}
