/*
 * kts_bench_net.h - the load generator that "kts-bench extend", "sign" and
 * "http-baseline" share (kts_bench_net.c): N connections to one URL kept
 * busy for S seconds, HTTP/1.1 keep-alive or raw TCP (KSI spec 8.2, 8.3)
 * with D requests in flight on each, every response matched to its
 * request and checked by the mode, latencies in a histogram, progress
 * once a second, and the summary lines on stdout.
 *
 * A mode (struct kts_load_mode) says how to build one request and how to
 * check one response; the generator does the rest.
 *
 * Closed loop (the default): each connection sends a new request as soon
 * as one is answered.  Against a signing service, whose answers all come
 * at the end of the calendar's second, that makes every client ask in
 * the same instant and wait a whole second.  Open loop (--rate R): R
 * requests a second at evenly spaced times, each on the next connection
 * with room for it, once every connection is up; the latency counts from
 * the scheduled time, and a request with no connection free at its time
 * is an error (more --connections are needed).  Everything is bounded:
 * one address, at most max_conns connections and KTS_LOAD_MAX_DEPTH
 * requests in flight on each, nothing sent after S seconds, nothing
 * waited for more than KTS_LOAD_GRACE_S seconds after that.
 */
#ifndef KTS_BENCH_NET_H
#define KTS_BENCH_NET_H

#include <stddef.h>
#include <stdint.h>

#include "wr.h"

#define KTS_LOAD_MAX_DEPTH 256	/* a quarter of KTS_NET_MAX_PENDING */
/*
 * The most connections any mode may ask for.  An HTTP client signs one
 * request at a time and waits about a second for it (the calendar's
 * round), so N connections carry about N signatures a second: loading an
 * aggregator over HTTP takes thousands.  Each is a descriptor here and
 * one at the server, within a common hard limit of 20,000.
 */
#define KTS_LOAD_MAX_CONNS 16384
#define KTS_LOAD_GRACE_S 5	/* wait this long for answers after the end */

struct kts_load;

/* A request in flight. */
struct kts_flight {
	uint64_t id;		/* request id */
	uint64_t sent_ns;	/* when it was queued */
	union {
		struct {
			uint64_t a;	/* aggregation time asked for */
			uint64_t p;	/* publication time; 0: the head */
		} ext;			/* "extend" */
		uint8_t hash[32];	/* "sign": the SHA-256 digest sent */
	} u;			/* what the mode must remember */
};

/* The command line every mode shares. */
struct kts_load_opts {
	const char *url;	/* --url */
	const char *user;	/* --user: login id (NULL for http-baseline) */
	const char *key;	/* --key: HMAC key */
	size_t keylen;
	size_t conns;		/* --connections; 0: the mode's default */
	size_t depth;		/* --depth; 0: the mode's default */
	uint64_t seconds;	/* --seconds */
	int tcp;		/* --tcp: the URL must be ksi+tcp:// */
	int quiet;		/* -q: no progress lines */
	int no_verify;		/* --no-verify (modes that accept it) */
	uint64_t rate;		/* --rate: requests a second, open loop;
				 * 0: each connection keeps D in flight */
};

/*
 * What a mode does with requests and responses.  The callbacks get arg
 * and run on the generator's one thread, one at a time.
 */
struct kts_load_mode {
	const char *server;	/* "extender", ...: first line of the report */
	const char *rate;	/* "extend_per_s", ...: the last line */
	int short_last;		/* last line is only "rate N" */
	int no_verify_ok;	/* --no-verify is an option of this mode */
	size_t max_conns;	/* --connections cap (<= KTS_LOAD_MAX_CONNS) */
	size_t conns_tcp;	/* default connections over raw TCP */
	size_t conns_http;	/* ... over HTTP */
	size_t depth_tcp;	/* default depth over raw TCP (HTTP: 1) */
	uint64_t seconds;	/* default --seconds */
	/*
	 * build: append one whole request PDU for f to wr (f->id is set; the
	 * mode fills f->u).  Returns 0 or a KTS_E* code.
	 */
	int (*build)(void *arg, struct kts_load *ld, struct kts_flight *f,
	    struct kts_wr *wr);
	/*
	 * resp_id: the request id the response pdu names, in *id; 0 if it
	 * names one.  check() is then called for the same pdu, so the mode
	 * may keep what it parsed here.  NULL: responses come in order.
	 */
	int (*resp_id)(void *arg, const uint8_t *pdu, size_t len, uint64_t *id);
	/*
	 * check: the response pdu against the request f it answers.
	 * Returns NULL, or what is wrong (static or the mode's own buffer,
	 * valid until the next call).
	 */
	const char *(*check)(void *arg, const struct kts_flight *f,
	    const uint8_t *pdu, size_t len);
	/* describe: f for an error line, "request 12 (...)", in buf. */
	void (*describe)(void *arg, const struct kts_flight *f, char *buf,
	    size_t n);
	/* report: extra stdout lines after the first (may be NULL). */
	void (*report)(void *arg);
	void *arg;		/* the mode's state */
};

/*
 * kts_load_args - parse argv (the arguments after the subcommand) into o
 * for mode m: --url, --user, --key (all three required when need_url),
 * --connections, --depth, --seconds, --tcp, -q, and --no-verify when the
 * mode takes it.  Returns 0, 1 for -h/--help, or -1 for a bad command
 * line (said why when it was a bad value).
 * Ownership: o borrows argv.
 */
int kts_load_args(const struct kts_load_mode *m, int need_url, int argc,
    char **argv, struct kts_load_opts *o);

/*
 * kts_load_new - a generator for mode m and options o: parses and
 * resolves the URL, settles the defaults and raises the descriptor limit
 * for the connections.  Returns 0 or -1 (said why on stderr).
 * Ownership: free *out with kts_load_free(); m and o are borrowed for
 * its lifetime.
 */
int kts_load_new(const struct kts_load_mode *m, const struct kts_load_opts *o,
    struct kts_load **out);

/*
 * kts_load_room - requests ld can hold in flight: connections x depth,
 * with kts_load_new()'s defaults.
 */
uint64_t kts_load_room(const struct kts_load *ld);

/* kts_load_free - NULL is fine; closes every connection. */
void kts_load_free(struct kts_load *ld);

/*
 * kts_load_run - open the connections and keep them busy for o->seconds,
 * then wait for the answers (at most KTS_LOAD_GRACE_S s).  Returns 0 when
 * the run happened (errors are counted) or -1 (said why).
 */
int kts_load_run(struct kts_load *ld);

/* kts_load_report - the summary on stdout, the rate line last. */
void kts_load_report(const struct kts_load *ld);

/* kts_load_rand - 64 random bits (xorshift64*: cheap, no libc state). */
uint64_t kts_load_rand(struct kts_load *ld);

#endif
