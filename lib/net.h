/*
 * net.h - libevent glue shared by the servers and the client (KSI spec
 * section 8): KSI PDUs over HTTP POST and raw TCP, plain GETs, and a
 * blocking client for the command-line tool.
 *
 * Every byte read from a socket goes through the caps in limits.h: a PDU
 * header (or an HTTP Content-Length) announcing more than KTS_MAX_PDU is
 * refused before its body is read, and a connection's input buffer holds
 * at most one request.  The servers speak HTTP/1.0 and 1.1 themselves
 * (lib/http.c; keep-alive, pipelining with answers in request order).
 *
 * A server writes to sockets its clients may have closed: the program
 * must ignore SIGPIPE.  The blocking client blocks SIGPIPE itself.
 */
#ifndef KTS_NET_H
#define KTS_NET_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

struct kts_srv;
struct kts_req;

/*
 * A request PDU arrived (an HTTP POST body or one TLV from a TCP stream).
 * The handler must eventually call kts_req_reply() or kts_req_drop() on
 * req exactly once, now or later from the event loop; if the client went
 * away meanwhile the reply is discarded quietly.
 */
typedef void (*kts_pdu_fn)(void *arg, struct kts_req *req, const uint8_t *pdu,
    size_t len);

/*
 * A GET for path: fill *body (malloc'd, the server frees it) and *ctype,
 * return the HTTP status (404 when unknown).
 */
typedef int (*kts_get_fn)(void *arg, const char *path, uint8_t **body,
    size_t *len, const char **ctype);

/* Server settings; zero values mean the defaults from limits.h. */
struct kts_srv_opts {
	const char *addr;	/* listen address, default "127.0.0.1" */
	int http_port;		/* -1: no HTTP; 0: an ephemeral port */
	int tcp_port;		/* -1: no raw TCP; 0: an ephemeral port */
	size_t max_conns;	/* concurrent connections */
	int idle_timeout_s;	/* close a connection idle this long */
	int read_timeout_s;	/* close a client that sends too slowly */
	int reuseport;		/* 1: SO_REUSEPORT, so that servers of
				 * several threads (each on its own base)
				 * share the ports; the kernel spreads the
				 * connections over them */
	int stamp;		/* 1: take a request's arrival from the
				 * kernel's receive time (SO_TIMESTAMPNS),
				 * so time spent unread counts */
	kts_pdu_fn on_pdu;
	kts_get_fn on_get;	/* NULL: every GET is 404 */
	void *arg;
};

/*
 * kts_srv_new - listen as o says on base.  Returns 0, KTS_EINVAL (raw TCP
 * without on_pdu, a port over 65535), KTS_EIO (bind or listen failed;
 * errno kept) or KTS_ENOMEM.
 * Ownership: free *out with kts_srv_free() (which closes everything; not
 * from inside on_pdu or on_get).  Requests not answered by then stay
 * valid: answering or dropping them afterwards only frees them.
 */
int kts_srv_new(struct event_base *base, const struct kts_srv_opts *o,
    struct kts_srv **out);
void kts_srv_free(struct kts_srv *srv);

/* kts_srv_ports - the bound ports (-1 where disabled). */
void kts_srv_ports(const struct kts_srv *srv, int *http_port, int *tcp_port);

/*
 * kts_req_reply - send the response PDU for req (copied) with HTTP status
 * http_status (ignored on TCP) and release req.
 */
void kts_req_reply(struct kts_req *req, const uint8_t *pdu, size_t len,
    int http_status);

/*
 * kts_srv_flush - write the answers queued so far now, oldest first,
 * instead of at the end of the loop pass (an aggregator after a round:
 * its answers leave before the next round's are made).
 */
void kts_srv_flush(struct kts_srv *srv);

/*
 * kts_req_arrived_us - when req's last bytes came, on kts_mono_us()'s
 * clock: the read that completed it, or with stamp set the kernel's
 * receive time of that read's newest bytes.
 */
uint64_t kts_req_arrived_us(const struct kts_req *req);

/*
 * kts_req_conn - a key for req's connection, equal for every request of
 * that connection while any is unanswered (answers for one connection
 * made together leave in one write).  Only for comparing.
 */
const void *kts_req_conn(const struct kts_req *req);

/* kts_req_drop - release req without answering (closes a TCP stream). */
void kts_req_drop(struct kts_req *req);

/* kts_req_is_tcp - 1 if req came over raw TCP. */
int kts_req_is_tcp(const struct kts_req *req);

/* Statistics for /metrics. */
struct kts_srv_stats {
	uint64_t conns_total;	/* connections accepted */
	uint64_t conns_open;	/* connections open now */
	uint64_t pdus_in;	/* request PDUs received */
	uint64_t rejected;	/* oversized, malformed framing, over limits */
};
void kts_srv_stats(const struct kts_srv *srv, struct kts_srv_stats *out);

/*
 * Client side (blocking; the CLI).  url schemes as libksi's: http://,
 * ksi+http:// (user:key@ are KSI credentials, returned in user/key),
 * ksi+tcp://host:port, and file://path (the "response" is read from the
 * file).  kts_net_exchange sends one request PDU and reads one response
 * PDU (at most KTS_MAX_PDU) within timeout_ms.
 * Returns 0, KTS_EINVAL (bad URL: why says so), KTS_EIO (connect, send,
 * receive, timeout, HTTP error without a PDU body), KTS_ETOOBIG,
 * KTS_EFORMAT (a file:// response that is not one TLV) or KTS_ENOMEM.
 * Ownership: the caller frees *resp with free().
 */
int kts_net_exchange(const char *url, const uint8_t *req, size_t len,
    int timeout_ms, uint8_t **resp, size_t *resp_len, char *why,
    size_t whylen);

/*
 * kts_net_get - GET url (http:// or file://) into *body, at most max
 * bytes.  Returns as kts_net_exchange.
 */
int kts_net_get(const char *url, size_t max, int timeout_ms, uint8_t **body,
    size_t *len, char *why, size_t whylen);

/*
 * kts_url_credentials - for ksi+http://user:key@host/... give user and key
 * (malloc'd, caller frees; NULL when the URL has none).  Returns 0 or
 * KTS_ENOMEM.
 */
int kts_url_credentials(const char *url, char **user, char **key);

#endif
