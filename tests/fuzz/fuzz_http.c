/*
 * fuzz_http.c - fuzz target for the servers' HTTP request head parser
 * (lib/http.c, RFC 9112), as lib/net.c runs it over a connection's
 * buffer: parse a head, skip its body, parse the next (pipelining), until
 * the bytes run out or a request is refused.  Invariants that must hold
 * for any input abort (the fuzzer reports a crash):
 * - a parsed head lies within the bytes and the caps of limits.h, its
 *   path within the bytes (or the static "/"), its body within the cap;
 * - the head minus its last byte is "need more" (KTS_ETRUNC): no prefix
 *   of a request is taken for a request or refused;
 * - "need more" only under the head cap; a refusal names a status we
 *   send, and an answer header can be written for it.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 1000		/* a small PDU cap, so 413 is reachable */

static void
check_head(const uint8_t *p, size_t n, const struct kts_http_head *h)
{
	struct kts_http_head again;
	const char *path = h->path;

	if (h->head_len == 0 || h->head_len > n ||
	    h->head_len > KTS_NET_MAX_HTTP_HEADER || h->body_len > MAX_BODY ||
	    h->fields > KTS_NET_MAX_HTTP_FIELDS || h->minor < 0 ||
	    h->minor > 1 || h->method < KTS_HTTP_OTHER ||
	    h->method > KTS_HTTP_POST)
		abort();
	if (path != NULL && strcmp(path, "/") != 0 &&
	    (path < (const char *)p || path + h->path_len > (const char *)p +
	    h->head_len || h->path_len >= KTS_NET_MAX_HTTP_LINE))
		abort();
	if (h->method != KTS_HTTP_OTHER && path == NULL)
		abort();
	if (kts_http_parse_head(p, h->head_len - 1, MAX_BODY, &again) !=
	    KTS_ETRUNC)
		abort();
	if (kts_http_parse_head(p, h->head_len, MAX_BODY, &again) != 0 ||
	    again.head_len != h->head_len || again.body_len != h->body_len)
		abort();
}

static void
check_refusal(const struct kts_http_head *h, int r)
{
	char buf[512];

	if (r == KTS_EFORMAT && h->status != 400 && h->status != 411 &&
	    h->status != 505)
		abort();
	if (r == KTS_ETOOBIG && h->status != 413 && h->status != 414 &&
	    h->status != 431)
		abort();
	if (r != KTS_EFORMAT && r != KTS_ETOOBIG)
		abort();
	if (kts_http_resp_head(buf, sizeof(buf), h->status, NULL, "text/plain",
	    NULL, 0, KTS_HTTP_CONN_CLOSE) == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kts_http_head h;
	size_t off = 0;
	size_t n;
	int r;

	while (off < size) {
		n = size - off;
		r = kts_http_parse_head(data + off, n, MAX_BODY, &h);
		if (r == KTS_ETRUNC) {
			if (n >= KTS_NET_MAX_HTTP_HEADER)
				abort();
			break;
		}
		if (r != 0) {
			check_refusal(&h, r);
			break;
		}
		check_head(data + off, n, &h);
		if (h.body_len > n - h.head_len)
			break;		/* the body is still to come */
		off += h.head_len + (size_t)h.body_len;
	}
	return 0;
}
