/*
 * upstream.h - an asynchronous PDU client on a server's event loop: how
 * an aggregator talks to its parents (KSI spec section 8).
 *
 * One struct kts_up per parent URL (http://, ksi+http://, ksi:// or
 * ksi+tcp://).  Raw TCP keeps one connection and pipelines requests on
 * it; responses are matched to requests by their request id, in any
 * order (spec 8.3).  HTTP keeps a pool of keep-alive connections with one
 * request on each at a time.  A lost connection is made again by the
 * next send, but not sooner than KTS_UP_RETRY_MS after a failed connect
 * (over either transport).
 *
 * Every kts_up_send() that returns 0 gets exactly one callback later,
 * from the event loop and never from inside kts_up_send(): either the
 * response PDU, or a failure (connection refused or lost, no answer
 * within the timeout, an HTTP answer without a PDU, a response over
 * KTS_MAX_PDU).  kts_up_free() ends that promise: nothing is called
 * back after it.
 */
#ifndef KTS_UPSTREAM_H
#define KTS_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

struct kts_up;

/*
 * The answer to the request with id req_id: pdu and len on success
 * (borrowed for the call), or pdu NULL and why saying what failed.  A
 * bare error PDU (spec 7.9: no payload, so no request id) on a raw TCP
 * connection answers every request then waiting on that connection.
 */
typedef void (*kts_up_fn)(void *arg, struct kts_up *up, uint64_t req_id,
    const uint8_t *pdu, size_t len, const char *why);

/*
 * kts_up_new - a client for url on base; timeout_ms bounds each request
 * from send to answer (1..600000).  The host name is resolved here, once,
 * so the event loop never waits for a lookup.
 * Returns 0, KTS_EINVAL (bad URL or timeout: why says so; the message
 * never repeats the URL, which may hold a key) or KTS_ENOMEM.
 * Ownership: free *out with kts_up_free().
 */
int kts_up_new(struct event_base *base, const char *url, int timeout_ms,
    kts_up_fn cb, void *arg, struct kts_up **out, char *why, size_t whylen);

/*
 * The req_id of a request without one (a configuration request, spec
 * 7.6): over raw TCP a response with neither a request id nor an error
 * payload goes to the oldest such request.
 */
#define KTS_UP_NO_ID UINT64_MAX

/*
 * kts_up_send - send one request PDU (copied) whose request id is
 * req_id (or KTS_UP_NO_ID).  Returns 0 (one callback will follow), KTS_EIO (the parent is
 * down and was tried less than KTS_UP_RETRY_MS ago), KTS_ETOOBIG (more
 * than KTS_UP_MAX_INFLIGHT requests would be waiting) or KTS_ENOMEM; no
 * callback follows an error.
 */
int kts_up_send(struct kts_up *up, uint64_t req_id, const uint8_t *pdu,
    size_t len);

/* kts_up_free - close everything; no callback is made after it. */
void kts_up_free(struct kts_up *up);

/*
 * kts_up_read_us - when (kts_mono_us()) the answer now being delivered
 * was read from the parent: a callback's answers that came in one read
 * share it, however long the ones before took.
 */
uint64_t kts_up_read_us(const struct kts_up *up);

/* For /metrics and logs. */
struct kts_up_stats {
	uint64_t sent;		/* requests sent */
	uint64_t answered;	/* answers delivered */
	uint64_t failed;	/* failures delivered (timeouts included) */
	uint64_t timeouts;	/* of which timeouts */
	uint64_t connects;	/* connections made */
	uint64_t inflight;	/* waiting now */
	int connected;		/* TCP: the connection is up; HTTP: 1 */
};
void kts_up_stats(const struct kts_up *up, struct kts_up_stats *out);

/* kts_up_is_tcp - 1 for ksi+tcp://. */
int kts_up_is_tcp(const struct kts_up *up);

/*
 * kts_resp_req_id - the request id in a response PDU's payload (0x02 ->
 * 0x01).  Returns 0, KTS_ENOTFOUND (no payload or no id: an error PDU)
 * or KTS_EFORMAT.
 */
int kts_resp_req_id(const uint8_t *pdu, size_t len, uint64_t *out);

#endif
