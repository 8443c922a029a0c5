/*
 * core.c - kts-calendar's requests and rounds (KSI spec 7, 8; DESIGN.md).
 *
 * Aggregation requests wait in the open round of the second they arrived
 * in.  When the clock passes that second the round is closed: its tree's
 * root becomes calendar leaf t, synced to disk, and only then is each
 * request answered with its chain, the calendar chain for P = t and the
 * calendar authentication record.  If the clock steps back the round
 * stays open (the calendar waits); if it jumps forward the skipped seconds
 * get filler leaves.  Extension and configuration requests are answered
 * at once.  The request handlers work on a struct cal_ctx: the main
 * loop's, or an extension thread's (ext.c), which has its own store
 * handle and counters and refuses aggregation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "calendar.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pdu.h"
#include "prom.h"
#include "reply.h"
#include "tlv.h"
#include "tree.h"
#include "util.h"

/* Round timer period: a round closes at most this late after its second. */
#define TICK_MS 50

uint64_t
cal_now(const struct cal *cal, uint64_t *us)
{
	struct timespec ts;
	char buf[32];
	uint64_t t;
	ssize_t n;
	int fd;

	if (cal->conf->clock_file == NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		if (us != NULL)
			*us = (uint64_t)ts.tv_sec * 1000000u +
			    (uint64_t)ts.tv_nsec / 1000u;
		return (uint64_t)ts.tv_sec;
	}
	/* Tests drive the clock through a file holding the epoch second. */
	t = 0;
	if ((fd = open(cal->conf->clock_file, O_RDONLY)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, " \r\n")] = '\0';
			if (kts_parse_u64(buf, UINT32_MAX * 4ull, &t) != 0)
				t = 0;
		}
	}
	if (us != NULL)
		*us = t * 1000000u;
	return t;
}

/* A bare error PDU (spec 7.9), counted. */
static void
reply_error(struct cal_ctx *cx, struct kts_req *req, uint16_t resp_tag,
    uint64_t status, const char *msg)
{
	cx->st->errors[kts_status_slot(status)]++;
	kts_reply_error(req, resp_tag, status, msg);
}

/* A payload that carries only a status (spec 7.5, 7.8), counted. */
static void
reply_status(struct cal_ctx *cx, struct kts_req *req, uint16_t resp_tag,
    const struct kts_user *u, uint8_t alg, uint64_t req_id, uint64_t status,
    const char *msg)
{
	cx->st->errors[kts_status_slot(status)]++;
	kts_reply_status(req, resp_tag, u, alg, req_id, status, msg);
}

static void
reply_conf(struct cal_ctx *cx, struct kts_req *req,
    const struct kts_req_pdu *p, const struct kts_user *u)
{
	uint16_t resp = p->tag == KTS_TAG_AGGR_REQ ? KTS_TAG_AGGR_RESP :
	    KTS_TAG_EXT_RESP;
	const struct cal *cal = cx->cal;
	struct kts_wr wr;
	uint64_t head = 0;
	size_t mark;
	size_t cm;
	int r;

	cx->st->conf_requests++;
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_pdu_begin(&wr, resp, u->login, &mark)) != 0 ||
	    (r = kts_wr_tlv_begin(&wr, 0x04, 0, &cm)) != 0)
		goto out;
	if (p->tag == KTS_TAG_AGGR_REQ) {
		/* Spec 7.6: max level, algorithm, period (ms), max requests. */
		if ((r = kts_wr_tlv_u64(&wr, 0x01, 0,
		    cal->conf->max_level)) != 0 ||
		    (r = kts_wr_tlv_u64(&wr, 0x02, 0, cal->conf->alg)) != 0 ||
		    (r = kts_wr_tlv_u64(&wr, 0x03, 0, 1000)) != 0 ||
		    (r = kts_wr_tlv_u64(&wr, 0x04, 0,
		    cal->conf->max_requests)) != 0)
			goto out;
	} else {
		/* Spec 7.8: max requests, first and last second served. */
		kts_cal_head(cx->store, &head);
		if ((r = kts_wr_tlv_u64(&wr, 0x04, 0,
		    cal->conf->max_requests)) != 0 ||
		    (r = kts_wr_tlv_u64(&wr, 0x11, 0,
		    kts_cal_start(cx->store))) != 0 ||
		    (r = kts_wr_tlv_u64(&wr, 0x12, 0, head)) != 0)
			goto out;
	}
	r = kts_wr_tlv_end(&wr, cm);
out:
	kts_reply_signed(req, &wr, mark, u, p->hmac_alg, r);
	kts_wr_free(&wr);
}

/* Spec 7.8: check A and P against the calendar; 0 or a status code. */
static uint64_t
ext_range(struct cal_ctx *cx, const struct kts_ext_req *e, uint64_t *a,
    uint64_t *p, uint64_t *head)
{
	uint64_t now = cal_now(cx->cal, NULL);

	if (kts_cal_head(cx->store, head) != 0)
		return KTS_ST_DB_MISSING;
	if (!e->has_aggr_time)
		return KTS_ST_INVALID_PAYLOAD;
	*a = e->aggr_time;
	*p = e->has_pub_time ? e->pub_time : *head;
	/* A stored second is not in the future, even while the clock is
	 * stepped back and the calendar waits for it. */
	if (*p > now && *p > *head)
		return KTS_ST_0107;
	/* No P means the head: then A after it is too new, not A > P. */
	if (*a > *p)
		return e->has_pub_time ? KTS_ST_0104 : KTS_ST_0106;
	if (*a < kts_cal_start(cx->store))
		return KTS_ST_0105;
	if (*a > *head || *p > *head)
		return KTS_ST_0106;
	return 0;
}

static void
do_extend(struct cal_ctx *cx, struct kts_req *req,
    const struct kts_req_pdu *p, const struct kts_user *u)
{
	struct kts_wr wr;
	uint64_t st;
	uint64_t a = 0;
	uint64_t pt = 0;
	uint64_t head = 0;
	size_t mark;
	size_t pm;
	int r;

	cx->st->ext_requests++;
	if ((st = ext_range(cx, &p->ext, &a, &pt, &head)) != 0) {
		reply_status(cx, req, KTS_TAG_EXT_RESP, u, p->hmac_alg,
		    p->ext.req_id, st, kts_status_str(st, 1));
		return;
	}
	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_pdu_begin(&wr, KTS_TAG_EXT_RESP, u->login, &mark)) == 0 &&
	    (r = kts_wr_tlv_begin(&wr, 0x02, 0, &pm)) == 0 &&
	    (r = kts_wr_tlv_u64(&wr, 0x01, 0, p->ext.req_id)) == 0 &&
	    (r = kts_wr_tlv_u64(&wr, 0x12, 0, head)) == 0 &&
	    (r = kts_cal_chain(cx->store, a, pt, &wr)) == 0)
		r = kts_wr_tlv_end(&wr, pm);
	if (r != 0) {
		kts_err_r(r, "extending %llu to %llu",
		    (unsigned long long)a, (unsigned long long)pt);
		kts_wr_free(&wr);
		reply_status(cx, req, KTS_TAG_EXT_RESP, u, p->hmac_alg,
		    p->ext.req_id, KTS_ST_INTERNAL, "internal error");
		return;
	}
	kts_reply_signed(req, &wr, mark, u, p->hmac_alg, r);
	kts_wr_free(&wr);
}

static void
do_aggregate(struct cal_ctx *cx, struct kts_req *req,
    const struct kts_req_pdu *p, const struct kts_user *u)
{
	struct cal *cal = cx->cal;
	struct cal_pending *e;
	uint64_t us;

	cx->st->aggr_requests++;
	if (p->aggr.level > cal->conf->max_level) {
		reply_status(cx, req, KTS_TAG_AGGR_RESP, u, p->hmac_alg,
		    p->aggr.req_id, KTS_ST_0104, "request level too high");
		return;
	}
	if (cal->n_pending >= cal->conf->max_requests) {
		reply_status(cx, req, KTS_TAG_AGGR_RESP, u, p->hmac_alg,
		    p->aggr.req_id, KTS_ST_0106,
		    "too many requests in this round");
		return;
	}
	if (kts_grow(&cal->pending, &cal->cap_pending, cal->n_pending + 1,
	    sizeof(*cal->pending), 64) != 0) {
		reply_status(cx, req, KTS_TAG_AGGR_RESP, u, p->hmac_alg,
		    p->aggr.req_id, KTS_ST_INTERNAL, "out of memory");
		return;
	}
	cal_now(cal, &us);
	e = &cal->pending[cal->n_pending++];
	e->req = req;
	e->user = u;
	e->req_id = p->aggr.req_id;
	e->hash = p->aggr.hash;
	e->level = (unsigned)p->aggr.level;
	e->hmac_alg = p->hmac_alg;
	e->recv_us = us;
}

static unsigned
needed_service(const struct kts_req_pdu *p)
{
	if (p->has_req)
		return p->tag == KTS_TAG_AGGR_REQ ? KTS_SVC_SIGN : KTS_SVC_EXTEND;
	return KTS_SVC_CONF;
}

/* Known login id and a matching HMAC (spec 7.3). */
static int
authenticated(const struct cal *cal, const struct kts_req_pdu *p,
    const uint8_t *pdu, size_t len, const struct kts_user **out)
{
	const struct kts_user *u;

	*out = NULL;
	if (p->login_id == NULL ||
	    (u = kts_users_find(cal->users, p->login_id)) == NULL ||
	    kts_pdu_hmac_check(pdu, len, u->key, u->keylen) != 0)
		return 0;
	*out = u;
	return 1;
}

void
cal_on_pdu(void *arg, struct kts_req *req, const uint8_t *pdu, size_t len)
{
	struct cal_ctx *cx = arg;
	struct kts_perr pe = { 0, 0, NULL };
	const struct kts_user *u;
	struct kts_req_pdu p;
	uint16_t resp;
	int r;

	/* Answer in the family the client spoke (0x320 -> 0x321). */
	resp = len >= 2 && pdu[0] == 0x83 && pdu[1] == 0x20 ?
	    KTS_TAG_EXT_RESP : KTS_TAG_AGGR_RESP;
	if ((r = kts_req_parse(pdu, len, &p, &pe)) != 0) {
		kts_log(KTS_LOG_INFO, "bad request at offset %zu: %s", pe.off,
		    pe.what != NULL ? pe.what : kts_strerror(r));
		/* Spec 7.9: a bad payload from an authenticated user is
		 * answered in a signed payload; anything else bare. */
		if (r == KTS_ENOTFOUND &&
		    authenticated(cx->cal, &p, pdu, len, &u)) {
			reply_status(cx, req, p.tag + 1, u, p.hmac_alg,
			    p.tag == KTS_TAG_EXT_REQ ? p.ext.req_id :
			    p.aggr.req_id, KTS_ST_INVALID_PAYLOAD,
			    "The request payload is invalid");
			return;
		}
		reply_error(cx, req, resp, r == KTS_ENOTFOUND ?
		    KTS_ST_INVALID_PAYLOAD : KTS_ST_INVALID_REQUEST,
		    r == KTS_ENOTFOUND ? "The request payload is invalid" :
		    "The request could not be parsed");
		return;
	}
	resp = p.tag == KTS_TAG_EXT_REQ ? KTS_TAG_EXT_RESP : KTS_TAG_AGGR_RESP;
	/* An extender port knows no aggregator PDU: spec 7.9 and 7.10,
	 * "unknown payload type" (docs/calendar.md). */
	if (cx->ext_only && p.tag == KTS_TAG_AGGR_REQ) {
		reply_error(cx, req, resp, KTS_ST_INVALID_PAYLOAD,
		    "This is an extender port; aggregation requests go to "
		    "the aggregator port");
		return;
	}
	/* Spec 7.14: unknown user, bad HMAC or service not granted. */
	if (!authenticated(cx->cal, &p, pdu, len, &u) ||
	    !(u->services & needed_service(&p))) {
		kts_log(KTS_LOG_INFO, "authentication failed for login %.64s",
		    p.login_id);
		reply_error(cx, req, resp, KTS_ST_AUTH_FAILURE,
		    "The request could not be authenticated");
		return;
	}
	if (!p.has_req)
		reply_conf(cx, req, &p, u);
	else if (p.tag == KTS_TAG_EXT_REQ)
		do_extend(cx, req, &p, u);
	else
		do_aggregate(cx, req, &p, u);
}

/* The answer to one request of a closed round. */
static void
answer(struct cal *cal, const struct cal_pending *e, const struct kts_tree *t,
    size_t i, uint64_t sec, const struct kts_wr *calchain,
    const struct kts_wr *auth)
{
	struct kts_wr wr;
	size_t mark;
	size_t pm;
	int r;

	kts_wr_init(&wr, KTS_MAX_PDU);
	if ((r = kts_pdu_begin(&wr, KTS_TAG_AGGR_RESP, e->user->login,
	    &mark)) == 0 &&
	    (r = kts_wr_tlv_begin(&wr, 0x02, 0, &pm)) == 0 &&
	    (r = kts_wr_tlv_u64(&wr, 0x01, 0, e->req_id)) == 0 &&
	    (r = kts_tree_chain(t, i, sec, NULL, 0, &wr)) == 0 &&
	    (r = kts_wr_put(&wr, calchain->p, calchain->len)) == 0 &&
	    (r = kts_wr_put(&wr, auth->p, auth->len)) == 0)
		r = kts_wr_tlv_end(&wr, pm);
	kts_reply_signed(e->req, &wr, mark, e->user, e->hmac_alg, r);
	kts_wr_free(&wr);
}

/* Fail every request of the round with status st. */
static void
fail_round(struct cal *cal, uint64_t st, const char *msg)
{
	size_t i;

	for (i = 0; i < cal->n_pending; i++)
		reply_status(&cal->ctx, cal->pending[i].req, KTS_TAG_AGGR_RESP,
		    cal->pending[i].user, cal->pending[i].hmac_alg,
		    cal->pending[i].req_id, st, msg);
	cal->n_pending = 0;
}

/* Build the round's tree; each request carries its client's metadata. */
static int
round_tree(struct cal *cal, struct kts_tree **out, struct kts_wr *meta)
{
	struct kts_tree_leaf *lv;
	size_t i;
	int r = 0;

	if ((lv = calloc(cal->n_pending, sizeof(*lv))) == NULL)
		return KTS_ENOMEM;
	for (i = 0; r == 0 && i < cal->n_pending; i++) {
		const struct cal_pending *e = &cal->pending[i];

		kts_wr_init(&meta[i], 1024);
		r = kts_meta_build(&meta[i], e->user->login, NULL, 0, 0, 1,
		    e->recv_us);
		lv[i].hash = e->hash;
		lv[i].level = e->level;
		lv[i].meta = meta[i].p;
		lv[i].meta_len = meta[i].len;
	}
	if (r == 0)
		r = kts_tree_build(cal->conf->alg, lv, cal->n_pending, out);
	free(lv);
	return r;
}

/* Answer the round of second sec once its leaf is on disk. */
static int
answer_round(struct cal *cal, uint64_t sec, const struct kts_tree *t)
{
	struct kts_imprint root;
	struct kts_wr chain;
	struct kts_wr auth;
	size_t i;
	int r;

	kts_wr_init(&chain, KTS_MAX_PDU);
	kts_wr_init(&auth, KTS_MAX_PDU);
	if ((r = kts_cal_chain(cal->store, sec, sec, &chain)) != 0 ||
	    (r = kts_cal_root(cal->store, sec, &root)) != 0 ||
	    (r = cal_auth_record(cal, sec, &root, &auth)) != 0)
		goto out;
	for (i = 0; i < cal->n_pending; i++)
		answer(cal, &cal->pending[i], t, i, sec, &chain, &auth);
	cal->n_pending = 0;
out:
	kts_wr_free(&chain);
	kts_wr_free(&auth);
	return r;
}

/*
 * Make second sec appendable: a gap longer than one batch may take
 * (KTS_MAX_CAL_BATCH) is filled in steps, but only when the operator said
 * the clock is right (bridge_gap); a clock far ahead is more likely wrong,
 * and a head pushed ahead can never be taken back.  Returns 0 or an error.
 */
static int
bridge_gap(struct cal *cal, uint64_t sec)
{
	struct kts_imprint filler;
	uint64_t head = 0;
	int r;

	cal->gap_blocked = 0;
	if (kts_cal_head(cal->store, &head) != 0 ||
	    sec - head <= KTS_MAX_CAL_BATCH)
		return 0;
	if (!cal->conf->bridge_gap) {
		cal->gap_blocked = sec - head;
		if (sec >= cal->gap_warned + 60) {
			kts_log(KTS_LOG_ERR, "the clock is %llu s ahead of the "
			    "calendar's last second %llu; not writing.  If the "
			    "clock is right, restart with --set bridge_gap=yes",
			    (unsigned long long)(sec - head),
			    (unsigned long long)head);
			cal->gap_warned = sec;
		}
		return KTS_EINVAL;
	}
	kts_imprint_zero(cal->conf->alg, &filler);
	while (sec - head > KTS_MAX_CAL_BATCH) {
		head += KTS_MAX_CAL_BATCH;
		if ((r = kts_cal_append(cal->store, head, &filler)) != 0)
			return r;
	}
	kts_log(KTS_LOG_WARN, "filled a gap up to second %llu",
	    (unsigned long long)head);
	return 0;
}

static void
close_round(struct cal *cal, uint64_t sec)
{
	struct kts_imprint leaf;
	struct kts_tree *t = NULL;
	struct kts_wr *meta = NULL;
	uint64_t t0;
	uint64_t t1;
	size_t n = cal->n_pending;
	size_t i;
	int r = 0;

	cal_now(cal, &t0);
	kts_imprint_zero(cal->conf->alg, &leaf);	/* the filler */
	if (n > 0 && ((meta = calloc(n, sizeof(*meta))) == NULL ||
	    (r = round_tree(cal, &t, meta)) != 0)) {
		kts_err_r(r ? r : KTS_ENOMEM, "round %llu", (unsigned long long)sec);
		fail_round(cal, KTS_ST_INTERNAL, "internal error");
		goto out;
	}
	if (t != NULL)
		leaf = *kts_tree_root(t, &(unsigned){ 0 });
	/* DESIGN.md: the second is durable before anyone is answered. */
	if ((r = bridge_gap(cal, sec)) != 0) {
		fail_round(cal, KTS_ST_INTERNAL, "the calendar is not writing: "
		    "its clock is far ahead of its last second");
		goto out;
	}
	if ((r = kts_cal_append(cal->store, sec, &leaf)) != 0) {
		kts_err_r(r, "cannot store second %llu", (unsigned long long)sec);
		fail_round(cal, KTS_ST_DB_CORRUPT, "calendar write failed");
		goto out;
	}
	if (n > 0 && (r = answer_round(cal, sec, t)) != 0) {
		kts_err_r(r, "answering round %llu", (unsigned long long)sec);
		fail_round(cal, KTS_ST_INTERNAL, "internal error");
	}
	cal_pub_maybe(cal, sec);
out:
	cal_now(cal, &t1);
	cal->st.rounds++;
	cal->st.last_round_requests = n;
	if (n > cal->st.round_requests_max)
		cal->st.round_requests_max = n;
	cal->st.last_round_ms = (double)(t1 - t0) / 1000.0;
	for (i = 0; meta != NULL && i < n; i++)
		kts_wr_free(&meta[i]);
	free(meta);
	kts_tree_free(t);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cal *cal = arg;
	uint64_t now = cal_now(cal, NULL);

	/* The clock went back, or the second is not over yet: wait. */
	if (now <= cal->round_second)
		return;
	close_round(cal, cal->round_second);
	cal->round_second = now;
	kts_cal_release(cal->store);	/* no old tables kept while idle */
}

/* Load the calendar's signing key and certificate (spec 6.6). */
static int
load_signer(struct cal *cal, char *why, size_t whylen)
{
	X509 *x = NULL;
	FILE *f = NULL;
	unsigned char *der = NULL;
	uint32_t crc;
	int n;

	if ((f = fopen(cal->conf->key, "r")) == NULL ||
	    (cal->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		snprintf(why, whylen, "%s: cannot read the calendar signing key",
		    cal->conf->key);
		goto fail;
	}
	fclose(f);
	if ((f = fopen(cal->conf->cert, "r")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_X509(x, &der)) <= 0) {
		snprintf(why, whylen, "%s: cannot read the calendar certificate",
		    cal->conf->cert);
		goto fail;
	}
	fclose(f);
	f = NULL;
	if (X509_check_private_key(x, cal->key) != 1) {
		snprintf(why, whylen, "%s does not match the key in %s",
		    cal->conf->cert, cal->conf->key);
		goto fail;
	}
	cal->cert_der = der;
	cal->cert_der_len = (size_t)n;
	crc = kts_crc32(der, (size_t)n);
	cal->cert_id[0] = (uint8_t)(crc >> 24);
	cal->cert_id[1] = (uint8_t)(crc >> 16);
	cal->cert_id[2] = (uint8_t)(crc >> 8);
	cal->cert_id[3] = (uint8_t)crc;
	X509_free(x);
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	OPENSSL_free(der);
	X509_free(x);
	return KTS_EINVAL;
}

/*
 * The ports file: "HTTP TCP" on the first line (what scripts read with
 * `read -r http tcp`), the extender's "HTTP TCP" on the second; -1 for a
 * port that is off.
 */
static int
write_ports(struct cal *cal, int ehp, int etp, char *why, size_t whylen)
{
	char buf[64];
	int hp;
	int tp;
	int n;

	kts_srv_ports(cal->srv, &hp, &tp);
	kts_log(KTS_LOG_NOTICE, "listening: http %d, tcp %d; extender http "
	    "%d, tcp %d (%zu threads)", hp, tp, ehp, etp, cal->n_ext);
	if (cal->conf->ports_file == NULL)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d %d\n%d %d\n", hp, tp, ehp, etp);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    kts_file_write(cal->conf->ports_file, (const uint8_t *)buf,
	    (size_t)n) != 0) {
		snprintf(why, whylen, "%s: cannot write", cal->conf->ports_file);
		return KTS_EIO;
	}
	return 0;
}

int
cal_start(struct cal *cal, char *why, size_t whylen)
{
	struct kts_srv_opts so;
	struct timeval tv = { 0, TICK_MS * 1000 };
	uint64_t head = 0;
	uint64_t now;
	int ehp = -1;
	int etp = -1;
	int r;

	now = cal_now(cal, NULL);
	if ((r = kts_users_load(cal->conf->users, &cal->users, why,
	    whylen)) != 0 ||
	    (r = load_signer(cal, why, whylen)) != 0 ||
	    (r = kts_cal_open(cal->conf->data_dir, 1, now, cal->conf->alg,
	    &cal->store, why, whylen)) != 0 ||
	    (r = cal_pub_init(cal, why, whylen)) != 0)
		return r;
	cal->ctx.cal = cal;
	cal->ctx.store = cal->store;
	cal->ctx.st = &cal->st;
	kts_cal_head(cal->store, &head);
	/* Never a second twice, also across a restart (DESIGN.md). */
	cal->round_second = now > head ? now : head + 1;
	memset(&so, 0, sizeof(so));
	so.addr = cal->conf->listen;
	so.http_port = cal->conf->http_port;
	so.tcp_port = cal->conf->tcp_port;
	so.max_conns = (size_t)cal->conf->max_conns;
	so.on_pdu = cal_on_pdu;
	so.on_get = cal_get;
	so.arg = &cal->ctx;
	if ((r = kts_srv_new(cal->base, &so, &cal->srv)) != 0) {
		snprintf(why, whylen, "cannot listen on %s: %s",
		    so.addr != NULL ? so.addr : "127.0.0.1", strerror(errno));
		return r;
	}
	if ((cal->tick = event_new(cal->base, -1, EV_PERSIST, on_tick,
	    cal)) == NULL || event_add(cal->tick, &tv) != 0)
		return KTS_ENOMEM;
	if ((r = cal_ext_start(cal, &ehp, &etp, why, whylen)) != 0)
		return r;
	return write_ports(cal, ehp, etp, why, whylen);
}

void
cal_stop(struct cal *cal)
{
	size_t i;

	/* The threads first: they read the store and the users. */
	cal_ext_stop(cal);
	for (i = 0; i < cal->n_pending; i++)
		kts_req_drop(cal->pending[i].req);
	free(cal->pending);
	if (cal->tick != NULL)
		event_free(cal->tick);
	kts_srv_free(cal->srv);
	kts_cal_close(cal->store);
	kts_users_free(cal->users);
	EVP_PKEY_free(cal->key);
	OPENSSL_free(cal->cert_der);
	free(cal->pubfile);
}
