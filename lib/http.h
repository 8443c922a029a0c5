/*
 * http.h - the HTTP/1.x request head parser and the response header of
 * the servers' own HTTP path (lib/net.c; KSI spec 8.2, RFC 9112).
 *
 * The parser reads only complete lines of the bytes it is given, so any
 * prefix of a valid request is "need more bytes" (KTS_ETRUNC), never a
 * request and never an error.  Every cap is in limits.h: the request line
 * (KTS_NET_MAX_HTTP_LINE), the whole head (KTS_NET_MAX_HTTP_HEADER), the
 * field count (KTS_NET_MAX_HTTP_FIELDS) and the body, whose announced
 * Content-Length is checked against the caller's cap before any body
 * byte is read.
 *
 * Decisions (docs/aggregator.md, "HTTP"): a POST must carry
 * Content-Length (411 without it); a Transfer-Encoding (chunked or any
 * other) is refused with 411, as KSI clients always know their PDU's
 * length; a GET or HEAD with a body is 400.  HTTP/1.0 and 1.1 (any 1.x
 * minor above 1 counts as 1.1); other versions are 505.
 */
#ifndef KTS_HTTP_H
#define KTS_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* The methods the servers tell apart; anything else is 405. */
enum kts_http_method {
	KTS_HTTP_OTHER = 0,
	KTS_HTTP_GET,
	KTS_HTTP_HEAD,
	KTS_HTTP_POST
};

/* A parsed request head.  Views point into the parsed bytes. */
struct kts_http_head {
	int method;		/* enum kts_http_method */
	int minor;		/* HTTP/1.minor: 0 or 1 */
	int keep_alive;		/* the connection may carry more requests */
	int expect_continue;	/* "Expect: 100-continue" was sent */
	int has_clen;		/* a Content-Length field was present */
	int has_te;		/* a Transfer-Encoding field was present */
	const char *path;	/* the target's path, no query (borrowed) */
	size_t path_len;	/* its length */
	size_t head_len;	/* bytes up to and with the empty line */
	uint64_t body_len;	/* Content-Length, 0 if absent */
	size_t fields;		/* header fields seen */
	int status;		/* after a refusal: the HTTP status to send */
};

/*
 * kts_http_parse_head - parse the request head at the start of p (n
 * bytes; bytes after the head are not looked at), with at most max_body
 * bytes of body allowed.
 * Returns 0 (out is the head; out->body_len <= max_body), KTS_ETRUNC
 * (the head is not complete and n is under the caps: wait for more),
 * KTS_EFORMAT (malformed: out->status is 400, or 411 for a POST without
 * Content-Length or with a Transfer-Encoding, or 505 for a version other
 * than 1.x) or KTS_ETOOBIG (out->status is 413 for a body over max_body,
 * 414 for a request line over its cap, 431 for a head over its caps).
 * Ownership: out->path points into p.
 */
int kts_http_parse_head(const uint8_t *p, size_t n, size_t max_body,
    struct kts_http_head *out);

/* kts_http_reason - the reason phrase of status ("" if unknown). */
const char *kts_http_reason(int status);

/* What the Connection field of an answer says. */
enum kts_http_conn {
	KTS_HTTP_CONN_NONE = 0,	/* nothing: HTTP/1.1's persistent default */
	KTS_HTTP_CONN_CLOSE,	/* "close": the server closes after it */
	KTS_HTTP_CONN_KEEP	/* "keep-alive": for an HTTP/1.0 client */
};

/*
 * kts_http_resp_head - write the header block of an answer into buf
 * (size bytes): the status line, Date (date, an IMF-fixdate, or NULL for
 * none), Content-Type (ctype, or NULL for none), the field lines extra
 * (each ending in CR LF, or NULL), Content-Length clen and the Connection
 * field conn (enum kts_http_conn), then the empty line.
 * Returns the length written, or 0 if it does not fit (or status is not
 * 100-599).
 * Ownership: nothing changes hands.
 */
size_t kts_http_resp_head(char *buf, size_t size, int status,
    const char *date, const char *ctype, const char *extra, size_t clen,
    int conn);

/*
 * kts_http_date - the IMF-fixdate of t (RFC 9110 5.6.7, "Sun, 06 Nov 1994
 * 08:49:37 GMT") into buf of at least 30 bytes.  Returns buf, or NULL if
 * t cannot be written.
 */
char *kts_http_date(int64_t t, char *buf, size_t size);

#endif
