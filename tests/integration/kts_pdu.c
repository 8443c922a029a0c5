/*
 * kts_pdu.c - kts-pdu, the test client of tests/integration/
 * calendar_faults.sh: what `kts` cannot do (KSI spec 7, 8).
 *
 *   kts-pdu send URL (-x HEX | -f FILE) [-k KEY]
 *	send the bytes as they are, say what the answer holds;
 *   kts-pdu aggr URL -u USER -k KEY [-l LEVEL] [-e]
 *	an aggregation request for a fixed hash (-e: with an unknown
 *	critical element in the payload, HMAC still right);
 *   kts-pdu ext URL -u USER -k KEY -a A [-p P]
 *	an extension request (no -p: to the head); the chain's times too;
 *   kts-pdu raw HOST PORT (-x HEX | -f FILE) [-s | -q]
 *	write the bytes to a plain TCP connection, then (-s) shut down our
 *	side or (-q) close at once, and say what came back;
 *   kts-pdu get URL
 *	GET URL and print the body;
 *   kts-pdu sign URL -u USER -k KEY -n N -o DIR [-j THREADS] [-r RATE]
 *	sign N hashes, pipelined on one ksi+tcp:// connection or from
 *	THREADS http:// connections at a time, RATE requests a second
 *	(0: all at once); answered signatures go to DIR/I.ksig, their
 *	hashes (imprint in hex) to DIR/I.hash.
 *
 * -t MS bounds the whole run (default 10000).  One output line:
 *	status 0xSSSS error|payload|conf|none hmac=ok|bad|none|unchecked
 *	    [aggr_time=A pub_time=P input=HEX]	(send, aggr, ext, raw)
 *	http CODE | closed | timeout | garbage | sent N	(raw)
 *	sent S answered A refused R failed F	(sign: refused = a status
 *	    other than 0, failed = an answer that is not a signature; the
 *	    rest of the S sent got no answer)
 * Exit status: 0 the exchange happened (whatever its status), 1 an
 * error, 3 bad arguments, 5 network error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "hash.h"
#include "limits.h"
#include "net.h"
#include "pdu.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"

#define EXIT_ARGS 3
#define EXIT_NET 5
#define HMAC_ALG KTS_HASH_SHA256

struct opts {
	const char *cmd;	/* send, aggr, ext, raw, get, sign */
	const char *url;	/* service URL, or HOST for raw */
	const char *port;	/* raw: PORT */
	const char *user;	/* -u */
	const char *key;	/* -k */
	const char *hex;	/* -x: bytes in hex */
	const char *file;	/* -f: bytes from a file */
	const char *outdir;	/* -o */
	uint64_t level;		/* -l */
	uint64_t a;		/* -a: aggregation time */
	uint64_t p;		/* -p: publication time, 0 = the head */
	int bad_elem;		/* -e */
	int shut;		/* -s */
	int quit;		/* -q */
	uint64_t n;		/* -n */
	uint64_t threads;	/* -j */
	uint64_t rate;		/* -r */
	int timeout_ms;		/* -t */
};

/* What a response PDU says. */
struct answer {
	const char *in;		/* where the status was: error, payload... */
	uint64_t status;	/* 0 when absent */
	uint64_t req_id;	/* payload's request id, 0 when absent */
	const char *hmac;	/* ok, bad, none, unchecked */
};

/* The load generator's shared state (sign). */
struct load {
	const struct opts *o;
	struct kts_imprint *hashes;	/* hash of request i (id i + 1) */
	pthread_mutex_t mu;		/* guards the rest */
	uint64_t next;			/* HTTP: next request to send */
	uint64_t sent;
	uint64_t answered;
	uint64_t refused;
	uint64_t failed;
	int64_t t0;			/* start, ms */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Status and request id of a 0x02 or 0x03 payload. */
static int
payload_status(const struct kts_tlv *p, struct answer *a)
{
	struct kts_tlv t;
	struct kts_rd rd;
	int r = 0;

	a->status = 0;
	kts_rd_init(&rd, p->val, p->len);
	while (r == 0 && kts_rd_left(&rd) > 0) {
		if ((r = kts_tlv_read(&rd, &t)) != 0)
			break;
		if (t.tag == 0x01)
			r = kts_tlv_u64(&t, &a->req_id);
		else if (t.tag == 0x04)
			r = kts_tlv_u64(&t, &a->status);
	}
	return r;
}

/*
 * describe - where the status of the response PDU buf is (an error
 * payload wins, spec 7.9) and whether its HMAC checks with key (NULL:
 * not checked).  Returns 0 or the TLV reader's error.
 */
static int
describe(const uint8_t *buf, size_t len, const char *key, struct answer *a)
{
	struct kts_tlv pdu;
	struct kts_tlv t;
	struct kts_rd rd;
	int r;

	memset(a, 0, sizeof(*a));
	a->in = "none";
	a->hmac = "none";
	if ((r = kts_tlv_parse(buf, len, &pdu, NULL)) != 0)
		return r;
	kts_rd_init(&rd, pdu.val, pdu.len);
	while (kts_rd_left(&rd) > 0) {
		if ((r = kts_tlv_read(&rd, &t)) != 0)
			return r;
		if (t.tag == 0x03 || (t.tag == 0x02 &&
		    strcmp(a->in, "error") != 0)) {
			a->in = t.tag == 0x03 ? "error" : "payload";
			if ((r = payload_status(&t, a)) != 0)
				return r;
		} else if (t.tag == 0x04 && strcmp(a->in, "none") == 0)
			a->in = "conf";
		else if (t.tag == 0x1f && key == NULL)
			a->hmac = "unchecked";
		else if (t.tag == 0x1f)
			a->hmac = kts_pdu_hmac_check(buf, len, key,
			    strlen(key)) == 0 ? "ok" : "bad";
	}
	return 0;
}

/* Print the status line of a response; 0 or 1 if it does not parse. */
static int
print_answer(const uint8_t *buf, size_t len, const char *key, const char *end)
{
	struct answer a;
	int r;

	if ((r = describe(buf, len, key, &a)) != 0) {
		printf("unparsable response (%zu bytes): %s\n", len,
		    kts_strerror(r));
		return 1;
	}
	printf("status 0x%04llx %s hmac=%s%s\n", (unsigned long long)a.status,
	    a.in, a.hmac, end);
	return 0;
}

/* The bytes of -x or -f.  Exit status. */
static int
input_bytes(const struct opts *o, uint8_t **out, size_t *len)
{
	size_t max = 4 * KTS_MAX_PDU;

	*out = NULL;
	if ((o->hex == NULL) == (o->file == NULL)) {
		fprintf(stderr, "kts-pdu: give -x HEX or -f FILE\n");
		return EXIT_ARGS;
	}
	if (o->file != NULL) {
		if (kts_file_read(o->file, max, out, len) == 0)
			return 0;
		fprintf(stderr, "kts-pdu: cannot read %s\n", o->file);
		return 1;
	}
	max = strlen(o->hex) / 2 + 1;
	if ((*out = malloc(max)) == NULL ||
	    kts_hex_decode(o->hex, *out, max, len) != 0) {
		fprintf(stderr, "kts-pdu: bad hex\n");
		return EXIT_ARGS;
	}
	return 0;
}

/* Send req to o->url and print the answer.  Exit status. */
static int
exchange(const struct opts *o, const uint8_t *req, size_t len,
    const char *end)
{
	uint8_t *resp = NULL;
	size_t rlen = 0;
	char why[256] = "";
	int rc;

	if (kts_net_exchange(o->url, req, len, o->timeout_ms, &resp, &rlen,
	    why, sizeof(why)) != 0) {
		printf("neterr %s\n", why);
		return EXIT_NET;
	}
	rc = print_answer(resp, rlen, o->key, end);
	free(resp);
	return rc;
}

static int
cmd_send(const struct opts *o)
{
	uint8_t *req = NULL;
	size_t len = 0;
	int rc;

	if ((rc = input_bytes(o, &req, &len)) == 0)
		rc = exchange(o, req, len, "");
	free(req);
	return rc;
}

/* The fixed hash of aggr: SHA-256 of "kts-pdu". */
static int
fixed_hash(struct kts_imprint *h)
{
	return kts_hash_buf(KTS_HASH_SHA256, "kts-pdu", 7, h);
}

/*
 * An aggregation request with an unknown critical element (tag 0x0e)
 * after the hash: the envelope and HMAC are fine, the payload is not
 * (spec 7.4, 7.10: 0x0103).
 */
static int
bad_aggr_req(struct kts_wr *wr, const struct opts *o,
    const struct kts_imprint *h)
{
	uint8_t im[KTS_IMPRINT_MAX];
	size_t m;
	size_t p;
	int r;

	if ((r = kts_pdu_begin(wr, KTS_TAG_AGGR_REQ, o->user, &m)) != 0 ||
	    (r = kts_wr_tlv_begin(wr, 0x02, 0, &p)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, 1)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x02, 0, im, kts_imprint_bytes(h, im))) != 0 ||
	    (r = kts_wr_tlv(wr, 0x0e, 0, "x", 1)) != 0 ||
	    (r = kts_wr_tlv_end(wr, p)) != 0)
		return r;
	return kts_pdu_end(wr, m, HMAC_ALG, o->key, strlen(o->key));
}

static int
cmd_aggr(const struct opts *o)
{
	struct kts_imprint h;
	struct kts_wr wr;
	int rc;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = fixed_hash(&h)) == 0)
		r = o->bad_elem ? bad_aggr_req(&wr, o, &h) :
		    kts_aggr_req_build(&wr, o->user, o->key, strlen(o->key),
		    HMAC_ALG, 1, &h, o->level);
	if (r != 0) {
		fprintf(stderr, "kts-pdu: %s\n", kts_strerror(r));
		kts_wr_free(&wr);
		return 1;
	}
	rc = exchange(o, wr.p, wr.len, "");
	kts_wr_free(&wr);
	return rc;
}

/* " aggr_time=A pub_time=P input=HEX" of an extension response's chain. */
static void
chain_text(const uint8_t *resp, size_t len, const char *key, char *out,
    size_t size)
{
	struct kts_perr pe = { 0, 0, NULL };
	struct kts_pctx pc = { resp, &pe, 0 };
	struct kts_ext_resp er;
	struct kts_cal_chain cc;
	struct kts_tlv t;
	char hex[2 * KTS_IMPRINT_MAX + 1];
	int n;

	out[0] = '\0';
	memset(&cc, 0, sizeof(cc));
	if (kts_ext_resp_parse(resp, len, key, strlen(key), &er, &pe) != 0 ||
	    er.chain == NULL ||
	    kts_tlv_parse(er.chain, er.chain_len, &t, &pe) != 0 ||
	    kts_cal_chain_parse(&t, &cc, &pc) != 0) {
		kts_cal_chain_clear(&cc);
		return;
	}
	n = snprintf(out, size, " aggr_time=%llu pub_time=%llu input=%s",
	    (unsigned long long)cc.aggr_time, (unsigned long long)cc.pub_time,
	    kts_imprint_hex(&cc.input, hex));
	if (n < 0 || (size_t)n >= size)
		out[0] = '\0';
	kts_cal_chain_clear(&cc);
}

static int
cmd_ext(const struct opts *o)
{
	struct kts_wr wr;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	char why[256] = "";
	char end[256];
	int rc = 1;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_ext_req_build(&wr, o->user, o->key, strlen(o->key),
	    HMAC_ALG, 1, o->a, o->p)) != 0) {
		fprintf(stderr, "kts-pdu: %s\n", kts_strerror(r));
		goto out;
	}
	if (kts_net_exchange(o->url, wr.p, wr.len, o->timeout_ms, &resp,
	    &rlen, why, sizeof(why)) != 0) {
		printf("neterr %s\n", why);
		rc = EXIT_NET;
		goto out;
	}
	chain_text(resp, rlen, o->key, end, sizeof(end));
	rc = print_answer(resp, rlen, o->key, end);
out:
	free(resp);
	kts_wr_free(&wr);
	return rc;
}

/* A connected TCP socket to host:port, or -1 (errno set). */
static int
dial(const char *host, const char *port)
{
	struct addrinfo hints;
	struct addrinfo *ai = NULL;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) >= 0 &&
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Read from fd until EOF, a full buffer or the deadline.  Bytes read. */
static size_t
read_all(int fd, uint8_t *buf, size_t max, int64_t deadline, int *timed_out)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t n;

	*timed_out = 0;
	while (got < max) {
		if (now_ms() >= deadline) {
			*timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if ((n = read(fd, buf + got, max - got)) <= 0)
			break;		/* EOF, or reset */
		got += (size_t)n;
	}
	return got;
}

/* Say what came back on a raw connection. */
static int
print_raw(const uint8_t *buf, size_t got, int timed_out, const char *key)
{
	size_t total = got >= 4 ? 4 + ((size_t)buf[2] << 8 | buf[3]) : 0;

	if (got >= 12 && memcmp(buf, "HTTP/", 5) == 0) {
		printf("http %.3s\n", (const char *)buf + 9);
		return 0;
	}
	/* The first PDU only: a stream may hold more. */
	if (got >= 4 && (buf[0] & KTS_TLV_16) && total <= got)
		return print_answer(buf, total, key, "");
	printf("%s\n", got > 0 ? "garbage" : timed_out ? "timeout" : "closed");
	return 0;
}

/*
 * Write the bytes, stopping early when the server has answered (it may
 * refuse a request before its end and close: keep its answer readable).
 */
static void
write_some(int fd, const uint8_t *p, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	ssize_t n;
	int waited = 0;

	while (off < len) {
		/* Once, after the first chunk (an HTTP header): a moment. */
		if (poll(&pfd, 1, off > 0 && !waited ? 200 : 0) > 0)
			return;
		waited = off > 0;
		n = write(fd, p + off, len - off > 4096 ? 4096 : len - off);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static int
cmd_raw(const struct opts *o)
{
	static uint8_t buf[2 * KTS_MAX_PDU];
	uint8_t *req = NULL;
	size_t len = 0;
	size_t got;
	int timed_out;
	int fd = -1;
	int rc;

	if ((rc = input_bytes(o, &req, &len)) != 0)
		goto out;
	if ((fd = dial(o->url, o->port)) < 0) {
		printf("neterr cannot connect: %s\n", strerror(errno));
		rc = EXIT_NET;
		goto out;
	}
	write_some(fd, req, len);
	if (o->quit) {
		printf("sent %zu\n", len);
		goto out;
	}
	if (o->shut)
		shutdown(fd, SHUT_WR);
	got = read_all(fd, buf, sizeof(buf), now_ms() + o->timeout_ms,
	    &timed_out);
	rc = print_raw(buf, got, timed_out, o->key);
out:
	if (fd >= 0)
		close(fd);
	free(req);
	return rc;
}

static int
cmd_get(const struct opts *o)
{
	uint8_t *body = NULL;
	size_t len = 0;
	char why[256] = "";

	if (kts_net_get(o->url, 1u << 20, o->timeout_ms, &body, &len, why,
	    sizeof(why)) != 0) {
		printf("neterr %s\n", why);
		return EXIT_NET;
	}
	fwrite(body, 1, len, stdout);
	free(body);
	return 0;
}

/* ---- sign: the load generator ---- */

/* Write signature i and its hash into the output folder. */
static int
save(struct load *ld, uint64_t i, const struct kts_sig *sig)
{
	char path[4096];
	char hex[2 * KTS_IMPRINT_MAX + 2];
	uint8_t *out = NULL;
	size_t len = 0;
	size_t hl;
	int n;
	int r;

	n = snprintf(path, sizeof(path), "%s/%06llu.hash", ld->o->outdir,
	    (unsigned long long)i);
	if (n < 0 || (size_t)n >= sizeof(path))
		return KTS_EINVAL;
	kts_imprint_hex(&ld->hashes[i], hex);
	hl = strlen(hex);
	hex[hl++] = '\n';
	if ((r = kts_file_write(path, (const uint8_t *)hex, hl)) != 0 ||
	    (r = kts_sig_serialize(sig, &out, &len)) != 0)
		return r;
	memcpy(path + n - 4, "ksig", 4);
	r = kts_file_write(path, out, len);
	free(out);
	return r;
}

/* One response: make the signature and keep it. */
static void
handle(struct load *ld, const uint8_t *buf, size_t len)
{
	const struct opts *o = ld->o;
	struct kts_sig *sig = NULL;
	const char *msg = NULL;
	struct answer a;
	uint64_t st = 0;
	int r;

	if ((r = describe(buf, len, NULL, &a)) == 0 &&
	    strcmp(a.in, "error") == 0)
		st = a.status;	/* a bare error PDU has no request id */
	else if (r == 0 && (a.req_id < 1 || a.req_id > o->n))
		r = KTS_EFORMAT;
	if (r == 0 && st == 0)
		r = kts_aggr_resp_to_sig(buf, len, o->key, strlen(o->key),
		    HMAC_ALG, a.req_id, 0, &st, &msg, &sig, NULL);
	if (r == 0 && st == 0)
		r = save(ld, a.req_id - 1, sig);
	pthread_mutex_lock(&ld->mu);
	if (r != 0)
		ld->failed++;
	else if (st != 0)
		ld->refused++;
	else
		ld->answered++;
	pthread_mutex_unlock(&ld->mu);
	if (r != 0 || st != 0)
		fprintf(stderr, "kts-pdu: response %llu: %s, status "
		    "0x%04llx\n", (unsigned long long)a.req_id,
		    kts_strerror(r), (unsigned long long)st);
	kts_sig_free(sig);
}

/* Requests that may be out by now at the pace asked for. */
static uint64_t
allowed(const struct load *ld)
{
	uint64_t k;

	if (ld->o->rate == 0)
		return ld->o->n;
	k = 1 + (uint64_t)(now_ms() - ld->t0) * ld->o->rate / 1000;
	return k < ld->o->n ? k : ld->o->n;
}

/* All requests back to back; ends[i] is where request i ends. */
static int
build_all(struct load *ld, struct kts_wr *wr, size_t *ends)
{
	const struct opts *o = ld->o;
	uint64_t i;
	int r;

	for (i = 0; i < o->n; i++) {
		if ((r = kts_aggr_req_build(wr, o->user, o->key, strlen(o->key),
		    HMAC_ALG, i + 1, &ld->hashes[i], 0)) != 0)
			return r;
		ends[i] = wr->len;
	}
	return 0;
}

/* Hand over every whole PDU at the front of buf; bytes consumed. */
static size_t
take_pdus(struct load *ld, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	size_t total;

	while (len - off >= 2) {
		if ((buf[off] & KTS_TLV_16) && len - off < 4)
			break;
		if (buf[off] & KTS_TLV_16)
			total = 4 + ((size_t)buf[off + 2] << 8 | buf[off + 3]);
		else
			total = 2 + (size_t)buf[off + 1];
		if (total > len - off)
			break;
		handle(ld, buf + off, total);
		off += total;
	}
	return off;
}

/* One step of the pipelined loop: write what is due, read what came. */
static int
tcp_step(struct load *ld, int fd, const struct kts_wr *wr,
    const size_t *ends, size_t *woff, uint8_t *rbuf, size_t *rlen)
{
	size_t due = ends[allowed(ld) - 1];
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t used;
	ssize_t n;

	if (*woff < due)
		pfd.events |= POLLOUT;
	if (poll(&pfd, 1, 20) <= 0)
		return 0;
	if ((pfd.revents & POLLOUT) &&
	    (n = write(fd, wr->p + *woff, due - *woff)) > 0)
		*woff += (size_t)n;
	if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if ((n = read(fd, rbuf + *rlen, 2 * KTS_MAX_PDU - *rlen)) <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	*rlen += (size_t)n;
	used = take_pdus(ld, rbuf, *rlen);
	memmove(rbuf, rbuf + used, *rlen - used);
	*rlen -= used;
	return 0;
}

/* Split "ksi+tcp://HOST:PORT" into host and port (in place). */
static int
tcp_target(char *s, char **host, char **port)
{
	char *colon;

	if (strncmp(s, "ksi+tcp://", 10) != 0 ||
	    (colon = strrchr(s + 10, ':')) == NULL)
		return KTS_EINVAL;
	*colon = '\0';
	*host = s + 10;
	*port = colon + 1;
	return 0;
}

/* Pipelined on one raw TCP connection (spec 8.3). */
static int
sign_tcp(struct load *ld)
{
	static uint8_t rbuf[2 * KTS_MAX_PDU];
	int64_t deadline = ld->t0 + ld->o->timeout_ms;
	size_t *ends = calloc(ld->o->n, sizeof(*ends));
	char *target = strdup(ld->o->url);
	char *host = NULL;
	char *port = NULL;
	struct kts_wr wr;
	size_t woff = 0;
	size_t rlen = 0;
	int fd = -1;
	int rc = 1;

	kts_wr_init(&wr, 256 * ld->o->n);
	if (ends == NULL || target == NULL ||
	    tcp_target(target, &host, &port) != 0 ||
	    build_all(ld, &wr, ends) != 0 || (fd = dial(host, port)) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		fprintf(stderr, "kts-pdu: cannot start on %s\n", ld->o->url);
		goto out;
	}
	rc = 0;
	while (now_ms() < deadline && ld->answered + ld->refused +
	    ld->failed < ld->o->n && tcp_step(ld, fd, &wr, ends, &woff, rbuf,
	    &rlen) == 0)
		;
	while (ld->sent < ld->o->n && woff >= ends[ld->sent])
		ld->sent++;
out:
	if (fd >= 0)
		close(fd);
	kts_wr_free(&wr);
	free(ends);
	free(target);
	return rc;
}

/* One HTTP sender: take the next request, wait for its turn, send it. */
static void *
http_worker(void *arg)
{
	struct load *ld = arg;
	const struct opts *o = ld->o;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	struct kts_wr wr;
	char why[256];
	uint64_t i;
	int64_t left;

	for (;;) {
		pthread_mutex_lock(&ld->mu);
		i = ld->next < o->n ? ld->next++ : o->n;
		pthread_mutex_unlock(&ld->mu);
		while (i < o->n && o->rate > 0 && allowed(ld) <= i &&
		    now_ms() < ld->t0 + o->timeout_ms)
			usleep(5000);
		left = ld->t0 + o->timeout_ms - now_ms();
		if (i >= o->n || left <= 0)
			break;
		kts_wr_init(&wr, KTS_MAX_PDU);
		if (kts_aggr_req_build(&wr, o->user, o->key, strlen(o->key),
		    HMAC_ALG, i + 1, &ld->hashes[i], 0) == 0) {
			pthread_mutex_lock(&ld->mu);
			ld->sent++;
			pthread_mutex_unlock(&ld->mu);
			if (kts_net_exchange(o->url, wr.p, wr.len, (int)left,
			    &resp, &rlen, why, sizeof(why)) == 0)
				handle(ld, resp, rlen);
			free(resp);
			resp = NULL;
		}
		kts_wr_free(&wr);
	}
	return NULL;
}

/* Many HTTP connections at a time, one request each (spec 8.2). */
static int
sign_http(struct load *ld)
{
	pthread_t th[64];
	uint64_t k = ld->o->threads;
	uint64_t i;
	uint64_t started = 0;

	if (k < 1 || k > 64)
		k = k < 1 ? 1 : 64;
	for (i = 0; i < k; i++)
		if (pthread_create(&th[i], NULL, http_worker, ld) == 0)
			started++;
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return started > 0 ? 0 : 1;
}

/* Distinct hashes for every run: folder, process and index. */
static int
make_hashes(struct load *ld)
{
	char seed[4200];
	uint64_t i;
	int n;

	if ((ld->hashes = calloc(ld->o->n, sizeof(*ld->hashes))) == NULL)
		return KTS_ENOMEM;
	for (i = 0; i < ld->o->n; i++) {
		n = snprintf(seed, sizeof(seed), "%s %ld %llu", ld->o->outdir,
		    (long)getpid(), (unsigned long long)i);
		if (n < 0 || (size_t)n >= sizeof(seed) ||
		    kts_hash_buf(KTS_HASH_SHA256, seed, (size_t)n,
		    &ld->hashes[i]) != 0)
			return KTS_EINVAL;
	}
	return 0;
}

static int
cmd_sign(const struct opts *o)
{
	struct load ld;
	int rc = 1;

	memset(&ld, 0, sizeof(ld));
	ld.o = o;
	ld.t0 = now_ms();
	if (o->n < 1 || o->n > 100000 || o->outdir == NULL) {
		fprintf(stderr, "kts-pdu: sign needs -n N and -o DIR\n");
		return EXIT_ARGS;
	}
	pthread_mutex_init(&ld.mu, NULL);
	if (make_hashes(&ld) == 0)
		rc = strncmp(o->url, "ksi+tcp://", 10) == 0 ? sign_tcp(&ld) :
		    sign_http(&ld);
	printf("sent %llu answered %llu refused %llu failed %llu\n",
	    (unsigned long long)ld.sent, (unsigned long long)ld.answered,
	    (unsigned long long)ld.refused, (unsigned long long)ld.failed);
	pthread_mutex_destroy(&ld.mu);
	free(ld.hashes);
	return rc;
}

/* ---- options ---- */

static int
num(const char *s, uint64_t max, uint64_t *out)
{
	if (kts_parse_u64(s, max, out) != 0) {
		fprintf(stderr, "kts-pdu: bad number '%.40s'\n", s);
		return EXIT_ARGS;
	}
	return 0;
}

static int
parse_opt(struct opts *o, int c, const char *arg)
{
	uint64_t v = 0;
	int rc = 0;

	switch (c) {
	case 'u': o->user = arg; break;
	case 'k': o->key = arg; break;
	case 'x': o->hex = arg; break;
	case 'f': o->file = arg; break;
	case 'o': o->outdir = arg; break;
	case 'e': o->bad_elem = 1; break;
	case 's': o->shut = 1; break;
	case 'q': o->quit = 1; break;
	case 'l': rc = num(arg, 255, &o->level); break;
	case 'a': rc = num(arg, UINT64_MAX, &o->a); break;
	case 'p': rc = num(arg, UINT64_MAX, &o->p); break;
	case 'n': rc = num(arg, 100000, &o->n); break;
	case 'j': rc = num(arg, 64, &o->threads); break;
	case 'r': rc = num(arg, 100000, &o->rate); break;
	case 't':
		if ((rc = num(arg, 600000, &v)) == 0)
			o->timeout_ms = v > 0 ? (int)v : 1;
		break;
	default: rc = EXIT_ARGS; break;
	}
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: kts-pdu send|aggr|ext|get|sign URL [options]\n"
	    "       kts-pdu raw HOST PORT (-x HEX | -f FILE) [-s | -q]\n"
	    "See the top of tests/integration/kts_pdu.c.\n");
	return EXIT_ARGS;
}

static int
run(const struct opts *o)
{
	int needs_key = strcmp(o->cmd, "aggr") == 0 ||
	    strcmp(o->cmd, "ext") == 0 || strcmp(o->cmd, "sign") == 0;

	if (needs_key && (o->user == NULL || o->key == NULL))
		return usage();
	if (strcmp(o->cmd, "send") == 0)
		return cmd_send(o);
	if (strcmp(o->cmd, "aggr") == 0)
		return cmd_aggr(o);
	if (strcmp(o->cmd, "ext") == 0)
		return cmd_ext(o);
	if (strcmp(o->cmd, "raw") == 0 && o->port != NULL)
		return cmd_raw(o);
	if (strcmp(o->cmd, "get") == 0)
		return cmd_get(o);
	if (strcmp(o->cmd, "sign") == 0)
		return cmd_sign(o);
	return usage();
}

int
main(int argc, char **argv)
{
	struct opts o;
	int c;
	int rc;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 10000;
	o.threads = 8;
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage();
	o.cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "u:k:x:f:o:l:a:p:esqn:j:r:t:")) != -1)
		if ((rc = parse_opt(&o, c, optarg)) != 0)
			return usage();
	if (optind >= argc)
		return usage();
	o.url = argv[optind++];
	if (optind < argc)
		o.port = argv[optind++];
	if (optind != argc)
		return usage();
	return run(&o);
}
