/*
 * calendar.h - kts-calendar's internal interfaces (calendar/ only).
 *
 * The server answers aggregation, extension and configuration requests
 * (KSI PDU v2) over HTTP and raw TCP, closes one core round per UTC
 * second into the LevelDB calendar, signs each second's calendar root
 * (the calendar authentication record) and makes publications.
 *
 * Threads: the event loop of main() does all of that.  With an extender
 * port configured, ext_threads more threads (ext.c) each run an event
 * loop of their own with a reader handle on the store (calstore.h) and
 * answer extension and extender configuration requests on that port.
 * While they run they only read what the main thread set up before
 * starting them (the configuration, the users) and their own state; the
 * main thread reads their counters under their locks.
 */
#ifndef KTS_CALENDAR_H
#define KTS_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "calstore.h"
#include "net.h"
#include "prom.h"
#include "users.h"

/* Settings: defaults, then the file, then the command line. */
struct cal_conf {
	char *data_dir;		/* LevelDB calendar, publications list */
	char *listen;		/* listen address */
	int http_port;		/* -1 off, 0 ephemeral */
	int tcp_port;		/* -1 off, 0 ephemeral */
	char *users;		/* users file (0600) */
	char *key;		/* calendar signing key (PEM, 0600) */
	char *cert;		/* calendar signing certificate (PEM) */
	char *pub_key;		/* publications file signing key (PEM, 0600) */
	char *pub_cert;		/* publications file signing certificate */
	char *pub_chain;	/* extra certificates for the CMS (PEM), opt. */
	char *pubfile;		/* where the publications file is written */
	char *repo_uri;		/* repository URI in the file header, opt. */
	uint64_t pub_every;	/* publication cadence in seconds */
	uint64_t pub_offset;	/* seconds after a multiple of pub_every */
	char *pub_hook;		/* command run with the publication string */
	char *clock_file;	/* tests: read "now" from this file */
	char *ports_file;	/* write "http_port tcp_port" and the line
				 * "ext_http_port ext_tcp_port" once bound */
	int ext_http_port;	/* extender port: -1 off, 0 ephemeral */
	int ext_tcp_port;	/* -1 off, 0 ephemeral */
	int ext_threads;	/* threads serving them (0: none) */
	uint64_t max_conns;	/* client connections, main ports */
	uint64_t ext_max_conns;	/* and extender ports (all threads) */
	unsigned max_level;	/* highest request level accepted */
	uint64_t max_requests;	/* requests per round, all clients */
	uint8_t alg;		/* calendar and aggregation algorithm */
	int log_level;		/* KTS_LOG_* */
	int bridge_gap;		/* fill gaps longer than KTS_MAX_CAL_BATCH */
};

/* One aggregation request waiting for the end of its second. */
struct cal_pending {
	struct kts_req *req;		/* the transport's handle */
	const struct kts_user *user;	/* authenticated sender */
	uint64_t req_id;
	struct kts_imprint hash;
	unsigned level;
	uint8_t hmac_alg;		/* answer with the request's algorithm */
	uint64_t recv_us;		/* when it arrived (metadata) */
};

/* Counters for /metrics (the main loop's, or one extension thread's). */
struct cal_stats {
	uint64_t aggr_requests;
	uint64_t ext_requests;
	uint64_t conf_requests;
	uint64_t errors[KTS_STATUS_SLOTS];	/* by kts_status_slot() */
	uint64_t rounds;
	uint64_t round_requests_max;
	uint64_t last_round_requests;
	double last_round_ms;		/* close-to-answer time of the last */
	uint64_t publications;
	uint64_t last_publication;
};

struct cal;

/*
 * What a request handler works with: the main loop's, or an extension
 * thread's (its own store handle and counters, extender requests only).
 */
struct cal_ctx {
	struct cal *cal;		/* conf and users; more in the main loop */
	struct kts_cal *store;		/* this thread's store handle */
	struct cal_stats *st;		/* this thread's counters */
	int ext_only;			/* 1: the extender port (ext.c) */
};

struct cal_ext;

struct cal {
	struct cal_conf *conf;
	struct event_base *base;
	struct kts_srv *srv;
	struct kts_cal *store;
	struct kts_users *users;
	EVP_PKEY *key;			/* calendar signing key */
	uint8_t *cert_der;		/* its certificate, DER */
	size_t cert_der_len;
	uint8_t cert_id[4];		/* CRC-32 of cert_der (spec 6.5) */
	struct event *tick;		/* the round timer */
	uint64_t round_second;		/* second the open round belongs to */
	struct cal_pending *pending;	/* the open round's requests */
	size_t n_pending;
	size_t cap_pending;
	uint8_t *pubfile;		/* the current publications file */
	size_t pubfile_len;
	uint64_t next_pub;		/* next publication time */
	uint64_t gap_warned;		/* when the last clock-gap error was logged */
	uint64_t gap_blocked;		/* seconds the clock is ahead, if it
					 * stops writing (0: writing) */
	struct cal_stats st;
	struct cal_ctx ctx;		/* the main loop's request context */
	struct cal_ext *ext;		/* extension threads (ext.c), owned */
	size_t n_ext;			/* of them */
};

/* conf.c */
void cal_conf_defaults(struct cal_conf *c);
int cal_conf_set(struct cal_conf *c, const char *key, const char *value,
    char *why, size_t whylen);
int cal_conf_check(const struct cal_conf *c, char *why, size_t whylen);
void cal_conf_free(struct cal_conf *c);

/* core.c */
int cal_start(struct cal *cal, char *why, size_t whylen);
void cal_stop(struct cal *cal);
uint64_t cal_now(const struct cal *cal, uint64_t *us);
void cal_on_pdu(void *arg, struct kts_req *req, const uint8_t *pdu,
    size_t len);

/*
 * ext.c - the extension threads.  cal_ext_start starts conf->ext_threads
 * of them on the extender ports (from the main thread, after the store is
 * open); the bound ports go to *http_port and *tcp_port (-1: off).
 * cal_ext_stop stops and joins them and frees what they had (NULL-safe,
 * any number of times).  cal_ext_stats adds their counters to st and ss.
 */
int cal_ext_start(struct cal *cal, int *http_port, int *tcp_port, char *why,
    size_t whylen);
void cal_ext_stop(struct cal *cal);
void cal_ext_stats(struct cal *cal, struct cal_stats *st,
    struct kts_srv_stats *ss);

/* publish.c */
int cal_pub_init(struct cal *cal, char *why, size_t whylen);
int cal_pub_maybe(struct cal *cal, uint64_t head);
int cal_auth_record(struct cal *cal, uint64_t p, const struct kts_imprint *root,
    struct kts_wr *out);

/* http.c */
int cal_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype);

#endif
