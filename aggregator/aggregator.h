/*
 * aggregator.h - kts-aggregator's internal interfaces (aggregator/ only).
 *
 * One program for every level of the hierarchy (DESIGN.md).  Requests
 * wait in the open round; every round_ms the round is closed: its tree
 * is built (each request joined with its client's metadata, spec 3.5 and
 * 4.5), the root goes to every parent at the tree's level, and the first
 * valid answer gives every request its own chain followed by everything
 * the parent returned.  If no parent answers in time every request of
 * the round gets an error; none waits longer than parent_timeout_ms.
 */
#ifndef KTS_AGGREGATOR_H
#define KTS_AGGREGATOR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "hash.h"
#include "net.h"
#include "prom.h"
#include "tree.h"
#include "upstream.h"
#include "users.h"

/* At most this many parents (issue 4: one to three). */
#define AG_MAX_PARENTS 3

/* machine_id goes into every signature's metadata: a host name and port. */
#define AG_MAX_MACHINE_ID 255

/* Threads, each a whole aggregator on the shared ports (SO_REUSEPORT). */
#define AG_MAX_THREADS 64

/* Settings: defaults, then the file, then the command line. */
struct ag_conf {
	char *listen;		/* listen address */
	int http_port;		/* -1 off, 0 ephemeral */
	int tcp_port;		/* -1 off, 0 ephemeral */
	char *ports_file;	/* write "http_port tcp_port" once bound */
	char *users;		/* users file (0600) */
	char *parents[AG_MAX_PARENTS];	/* parent URLs */
	size_t n_parents;
	char *parent_user;	/* our login id at the parents */
	char *parent_key;	/* our HMAC key there */
	uint8_t parent_hmac_alg;	/* HMAC algorithm towards the parents */
	uint64_t round_ms;	/* round period */
	uint64_t parent_timeout_ms;	/* a round's wait for its parents */
	unsigned max_level;	/* highest client request level */
	uint64_t max_requests;	/* requests in one round, all clients */
	uint64_t max_client_requests;	/* of one login id in one round */
	uint64_t max_waiting;	/* requests waiting, all rounds together */
	uint64_t max_conns;	/* client connections */
	uint64_t idle_timeout_s;	/* idle keep-alive connections */
	uint64_t read_timeout_s;	/* slow clients */
	uint64_t batch_us;	/* pause of a busy loop before it waits */
	char *machine_id;	/* metadata machine id, optional */
	uint8_t alg;		/* aggregation algorithm */
	int log_level;		/* KTS_LOG_* */
	unsigned threads;	/* aggregators in this process */
};

/* One client request waiting for its round's answer. */
struct ag_req {
	struct kts_req *req;		/* the transport's handle */
	const struct kts_user *user;	/* authenticated sender */
	uint64_t req_id;
	struct kts_imprint hash;
	unsigned level;
	uint8_t hmac_alg;		/* answer with the request's algorithm */
	uint64_t recv_us;		/* arrival, for the metadata */
	uint64_t arrived_us;		/* arrival, monotonic: latency */
};

/* A closed round waiting for its parents. */
struct ag_round {
	uint64_t id;			/* our request id at the parents */
	struct ag_req *reqs;		/* owned */
	size_t n;
	struct kts_tree *tree;
	uint8_t *meta;			/* the metadata the tree borrows */
	unsigned root_level;
	uint64_t closed_us;		/* monotonic, for latency */
	uint64_t sent_us;		/* root sent to the parents */
	uint64_t answer_us;		/* the answer that was taken came */
	uint64_t aggr_time;		/* from that answer (answer.c) */
	uint64_t *idx;			/* its chain index, owned */
	size_t n_idx;
	uint8_t *upper;			/* all it returned, owned */
	size_t upper_len;
	size_t left;			/* requests not answered yet */
	int picked;			/* its requests are in ag->pick */
	size_t waiting;			/* parents yet to answer or fail */
	uint64_t status;		/* the status to fail with */
	char msg[160];			/* and its message */
};

struct ag_pick;

/* What is known about one parent. */
struct ag_parent {
	struct kts_up *up;
	const char *url;		/* as configured */
	char *shown;			/* the URL without credentials */
	char *user;			/* login id, from the URL or settings */
	char *key;
	int has_conf;			/* its configuration answer came */
	unsigned max_level;		/* from it */
	uint64_t conf_asked_ms;		/* last configuration request */
	int healthy;			/* its last answer was good */
	uint64_t health_us;		/* when that was (monotonic) */
	uint64_t ok;			/* rounds it answered first */
	uint64_t failed;		/* rounds it failed */
	double last_ms;			/* its last answer's latency */
};

/* Counters for /metrics. */
struct ag_stats {
	uint64_t aggr_requests;
	uint64_t conf_requests;
	uint64_t answered;		/* signatures sent */
	uint64_t errors[KTS_STATUS_SLOTS];	/* by kts_status_slot() */
	uint64_t rounds;
	uint64_t rounds_failed;
	uint64_t round_requests_max;
	uint64_t last_round_requests;
	double last_round_ms;		/* close to answer */
	double last_parent_ms;		/* send to first valid answer */
	struct kts_hist request_ms;	/* arrival to answer written */
	struct kts_hist own_ms;		/* that, less the parent's wait */
	struct kts_hist wait_ms;	/* arrival to the root sent */
	struct kts_hist parent_ms;	/* root sent to the answer taken */
	struct kts_hist answer_ms;	/* that answer to the last written */
};

/*
 * What one thread last published for /metrics and /healthz, which any
 * thread may serve: copied under the thread's lock at every tick.
 */
struct ag_pub {
	struct ag_stats st;
	struct kts_srv_stats ss;
	uint64_t waiting;
	size_t n_flight;
	unsigned eff_max_level;
	int stopping;
	struct {
		uint64_t ok;
		uint64_t failed;
		uint64_t timeouts;
		uint64_t inflight;
		double last_ms;
		int has_conf;
		unsigned max_level;
		int healthy;
		uint64_t health_us;
	} par[AG_MAX_PARENTS];
};

/*
 * One aggregator: its own event loop, server (on the shared ports),
 * parents, rounds and counters.  Thread 0 runs on the main thread; the
 * others on threads of their own, stopped through their pipe.  Shared
 * and read-only while threads run: conf, users, all (for the published
 * copies, each under its owner's lock).
 */
struct ag {
	struct ag_conf *conf;
	unsigned idx;			/* thread number */
	struct ag **all;		/* every thread's aggregator */
	unsigned n_all;
	pthread_mutex_t mu;		/* guards pub */
	int mu_ok;
	struct ag_pub pub;
	pthread_t tid;
	int running;			/* tid is a thread to join */
	int pipe[2];			/* 'd' drain, 's' stop; -1 closed */
	struct event *wake;
	struct event_base *base;
	struct kts_srv *srv;
	struct kts_users *users;
	struct ag_parent parents[AG_MAX_PARENTS];
	size_t n_parents;
	struct event *tick;		/* the round timer */
	struct event *answer;		/* writes a slice (answer.c) */
	struct event *answer_more;	/* the next, among client events */
	struct ag_round **ans;		/* signed rounds being answered */
	size_t n_ans;
	size_t cap_ans;
	struct ag_pick *pick;		/* their requests, in answer order */
	size_t n_pick;
	size_t cap_pick;
	size_t at_pick;			/* the next to answer */
	struct ag_req *open;		/* the open round's requests */
	size_t n_open;
	size_t cap_open;
	uint32_t *client_n;		/* requests per user this round */
	size_t *touched;		/* users counted this round */
	size_t n_touched;
	struct ag_round **flight;	/* rounds waiting for parents */
	size_t n_flight;
	size_t cap_flight;
	uint64_t waiting;		/* requests open or in flight */
	uint64_t next_id;		/* next request id to the parents */
	unsigned eff_max_level;		/* max_level, lowered to fit parents */
	int stopping;			/* draining: no new requests */
	uint64_t stop_deadline_ms;	/* stop by then in any case */
	uint64_t drained_ms;		/* when the last round was answered */
	struct event *drain;		/* checks the drain */
	struct ag_stats st;
};

/* conf.c */
unsigned ag_round_height(uint64_t max_requests);
void ag_conf_defaults(struct ag_conf *c);
int ag_conf_set(struct ag_conf *c, const char *key, const char *value,
    char *why, size_t whylen);
int ag_conf_check(const struct ag_conf *c, char *why, size_t whylen);
void ag_conf_free(struct ag_conf *c);

/* core.c */
int ag_start(struct ag *ag, struct kts_users *users, int http_port,
    int tcp_port, char *why, size_t whylen);
int ag_write_ports(struct ag *ag, char *why, size_t whylen);
void ag_stop(struct ag *ag);
void ag_publish(struct ag *ag);
int ag_thread_start(struct ag *ag);
void ag_thread_tell(struct ag *ag, char what);
void ag_thread_join(struct ag *ag);
void ag_reply_status(struct ag *ag, const struct ag_req *e, uint64_t status,
    const char *msg);
void ag_drain(struct ag *ag);
void ag_run(struct ag *ag);

/* parent.c */
int ag_parents_init(struct ag *ag, char *why, size_t whylen);
void ag_parents_free(struct ag *ag);
int ag_round_send(struct ag *ag, struct ag_round *rd);
void ag_parents_tick(struct ag *ag);
void ag_round_free(struct ag_round *rd);
void ag_round_fail(struct ag *ag, struct ag_round *rd);

/* answer.c */
int ag_answer_init(struct ag *ag);
void ag_answer_free(struct ag *ag);
void ag_round_answer(struct ag *ag, struct ag_round *rd, uint64_t aggr_time,
    uint64_t *idx, size_t n_idx, uint8_t *upper, size_t upper_len);

/* http.c */
int ag_get(void *arg, const char *path, uint8_t **body, size_t *len,
    const char **ctype);

#endif
