/*
 * check_http.c - unit tests for lib/http.c: the servers' HTTP/1.x request
 * head parser (RFC 9112) and their answer header.
 *
 * A table of heads with the result, status and fields each must give;
 * every truncated prefix of each accepted head is "need more"; every
 * single-bit flip of each is parsed without a read past its bytes (the
 * heads are exactly-sized heap copies, for ASan); the caps of limits.h
 * are hit exactly at their sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "limits.h"
#include "kts_test.h"

#define MAX_BODY 100		/* the PDU cap the parser is given */

static const struct hcase {
	const char *name;
	const char *req;	/* the head and any bytes after it */
	int r;			/* the parser's result */
	int status;		/* on a refusal */
	int method;
	int minor;
	int keep_alive;
	const char *path;	/* NULL: not checked */
	unsigned body_len;
} hcases[] = {
	{ "post 1.1", "POST /gt-signingservice HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: application/ksi-request\r\nContent-Length: 12\r\n"
	    "\r\n0123456789ab", 0, 0, KTS_HTTP_POST, 1, 1,
	    "/gt-signingservice", 12 },
	{ "post 1.0", "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\n", 0, 0,
	    KTS_HTTP_POST, 0, 0, "/", 5 },
	{ "post 1.0 keep-alive", "POST / HTTP/1.0\r\nConnection: Keep-Alive"
	    "\r\nContent-Length: 5\r\n\r\n", 0, 0, KTS_HTTP_POST, 0, 1, "/", 5 },
	{ "post 1.1 close", "POST / HTTP/1.1\r\nConnection: keep-alive, close"
	    "\r\nContent-Length: 0\r\n\r\n", 0, 0, KTS_HTTP_POST, 1, 0, "/", 0 },
	{ "1.2 is 1.1", "POST / HTTP/1.2\r\nContent-Length: 1\r\n\r\n", 0, 0,
	    KTS_HTTP_POST, 1, 1, "/", 1 },
	{ "get query", "GET /metrics?x=1#f HTTP/1.1\r\n\r\n", 0, 0,
	    KTS_HTTP_GET, 1, 1, "/metrics", 0 },
	{ "head", "HEAD /healthz HTTP/1.1\r\nHost: h\r\n\r\n", 0, 0,
	    KTS_HTTP_HEAD, 1, 1, "/healthz", 0 },
	{ "absolute form", "GET HTTP://h:80/pub?x HTTP/1.1\r\n\r\n", 0, 0,
	    KTS_HTTP_GET, 1, 1, "/pub", 0 },
	{ "absolute, no path", "GET https://h HTTP/1.1\r\n\r\n", 0, 0,
	    KTS_HTTP_GET, 1, 1, "/", 0 },
	{ "bare LF", "GET /a HTTP/1.1\nHost: h\n\n", 0, 0, KTS_HTTP_GET, 1, 1,
	    "/a", 0 },
	{ "leading CRLF", "\r\n\r\nGET /b HTTP/1.0\r\n\r\n", 0, 0,
	    KTS_HTTP_GET, 0, 0, "/b", 0 },
	{ "same length twice", "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	    "content-length:3 \r\n\r\n", 0, 0, KTS_HTTP_POST, 1, 1, "/", 3 },
	{ "put", "PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\n", 0, 0,
	    KTS_HTTP_OTHER, 1, 1, NULL, 2 },
	{ "lower-case get", "get / HTTP/1.1\r\n\r\n", 0, 0, KTS_HTTP_OTHER,
	    1, 1, NULL, 0 },
	{ "connect", "CONNECT h:443 HTTP/1.1\r\n\r\n", 0, 0, KTS_HTTP_OTHER,
	    1, 1, NULL, 0 },
	{ "body at the cap", "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n",
	    0, 0, KTS_HTTP_POST, 1, 1, "/", 100 },
	{ "body over the cap", "POST / HTTP/1.1\r\nContent-Length: 101\r\n"
	    "\r\n", KTS_ETOOBIG, 413, 0, 0, 0, NULL, 0 },
	{ "20-digit length", "POST / HTTP/1.1\r\nContent-Length: "
	    "18446744073709551616\r\n\r\n", KTS_ETOOBIG, 413, 0, 0, 0, NULL,
	    0 },
	{ "chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    KTS_EFORMAT, 411, 0, 0, 0, NULL, 0 },
	{ "chunked and length", "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", KTS_EFORMAT, 411, 0, 0, 0,
	    NULL, 0 },
	{ "post without length", "POST / HTTP/1.1\r\n\r\n", KTS_EFORMAT, 411,
	    0, 0, 0, NULL, 0 },
	{ "get with a body", "GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\n",
	    KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "two lengths", "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\n", KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "length list", "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n",
	    KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
	    KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "http/2", "POST / HTTP/2.0\r\n\r\n", KTS_EFORMAT, 505, 0, 0, 0, NULL,
	    0 },
	{ "no version", "GET /\r\n\r\n", KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "version case", "GET / http/1.1\r\n\r\n", KTS_EFORMAT, 400, 0, 0, 0,
	    NULL, 0 },
	{ "two spaces", "GET  / HTTP/1.1\r\n\r\n", KTS_EFORMAT, 400, 0, 0, 0,
	    NULL, 0 },
	{ "space in target", "GET /a b HTTP/1.1\r\n\r\n", KTS_EFORMAT, 400, 0,
	    0, 0, NULL, 0 },
	{ "relative target", "GET a HTTP/1.1\r\n\r\n", KTS_EFORMAT, 400, 0, 0,
	    0, NULL, 0 },
	{ "bad method", "G(T / HTTP/1.1\r\n\r\n", KTS_EFORMAT, 400, 0, 0, 0,
	    NULL, 0 },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
	    KTS_EFORMAT, 400, 0, 0, 0, NULL, 0 },
	{ "folded field", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", KTS_EFORMAT,
	    400, 0, 0, 0, NULL, 0 },
	{ "no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", KTS_EFORMAT, 400, 0, 0,
	    0, NULL, 0 },
	{ "CR in a value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", KTS_EFORMAT,
	    400, 0, 0, 0, NULL, 0 },
	{ "NUL in a value", "GET / HTTP/1.1\r\nA: b\001c\r\n\r\n", KTS_EFORMAT,
	    400, 0, 0, 0, NULL, 0 },
	{ "partial", "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r", KTS_ETRUNC,
	    400, 0, 0, 0, NULL, 0 },
};

/* Parse the case's bytes from an exactly-sized heap copy. */
static int
parse(const char *req, size_t n, struct kts_http_head *h)
{
	uint8_t *p = kts_test_dup(req, n);
	int r;

	r = kts_http_parse_head(p, n, MAX_BODY, h);
	free(p);
	return r;
}

START_TEST(test_table)
{
	const struct hcase *c = &hcases[_i];
	struct kts_http_head h;
	uint8_t *p = kts_test_dup(c->req, strlen(c->req));
	int r;

	r = kts_http_parse_head(p, strlen(c->req), MAX_BODY, &h);
	ck_assert_msg(r == c->r, "%s: %d", c->name, r);
	if (r != 0) {
		ck_assert_msg(h.status == c->status, "%s: %d", c->name,
		    h.status);
		free(p);
		return;
	}
	ck_assert_int_eq(h.method, c->method);
	ck_assert_int_eq(h.minor, c->minor);
	ck_assert_int_eq(h.keep_alive, c->keep_alive);
	ck_assert_uint_eq(h.body_len, c->body_len);
	/* Only "post 1.1" carries its body (12 bytes) after the head. */
	ck_assert_uint_eq(h.head_len, strlen(c->req) - (_i == 0 ? 12 : 0));
	if (c->path != NULL) {
		ck_assert_uint_eq(h.path_len, strlen(c->path));
		ck_assert(memcmp(h.path, c->path, h.path_len) == 0);
	}
	free(p);
}
END_TEST

/* No prefix of an accepted head is a request or a refusal (curl 1650). */
START_TEST(test_every_truncation)
{
	const struct hcase *c = &hcases[_i];
	struct kts_http_head h;
	size_t head_len;
	size_t n;

	if (c->r != 0)
		return;
	ck_assert_int_eq(parse(c->req, strlen(c->req), &h), 0);
	head_len = h.head_len;
	for (n = 0; n < head_len; n++)
		ck_assert_msg(parse(c->req, n, &h) == KTS_ETRUNC, "%s: %zu",
		    c->name, n);
}
END_TEST

/* Single-bit flips: any result, within the bytes (OpenSSH bit flips). */
START_TEST(test_bit_flips)
{
	const struct hcase *c = &hcases[_i];
	size_t n = strlen(c->req);
	struct kts_http_head h;
	char *m = malloc(n + 1);
	size_t i;
	int b;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < n; i++)
		for (b = 0; b < 8; b++) {
			memcpy(m, c->req, n);
			m[i] = (char)(m[i] ^ (1 << b));
			if (parse(m, n, &h) == 0)
				ck_assert_uint_le(h.head_len, n);
		}
	free(m);
}
END_TEST

/* A head of fill bytes: line, then fields "X: ...", to size n. */
static char *
long_head(size_t line_len, size_t nfields, size_t pad)
{
	size_t size = line_len + nfields * 8 + pad + 64;
	char *s = malloc(size);
	size_t off;
	size_t i;

	ck_assert_ptr_nonnull(s);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', line_len - 14);
	memcpy(s + line_len - 9, " HTTP/1.1", 9);
	off = line_len;
	memcpy(s + off, "\r\n", 2);
	off += 2;
	for (i = 0; i < nfields; i++, off += 8)
		memcpy(s + off, "X: abc\r\n", 8);
	memcpy(s + off, "Y: ", 3);
	memset(s + off + 3, 'b', pad);
	off += 3 + pad;
	memcpy(s + off, "\r\n\r\n", 5);
	return s;
}

START_TEST(test_caps)
{
	struct kts_http_head h;
	char *s;
	size_t n;

	/* The request line: 2047 bytes are fine, 2048 are 414. */
	s = long_head(KTS_NET_MAX_HTTP_LINE - 1, 0, 1);
	ck_assert_int_eq(parse(s, strlen(s), &h), 0);
	free(s);
	s = long_head(KTS_NET_MAX_HTTP_LINE, 0, 1);
	ck_assert_int_eq(parse(s, strlen(s), &h), KTS_ETOOBIG);
	ck_assert_int_eq(h.status, 414);
	/* ... also before its end has come. */
	ck_assert_int_eq(parse(s, KTS_NET_MAX_HTTP_LINE, &h), KTS_ETOOBIG);
	ck_assert_int_eq(h.status, 414);
	ck_assert_int_eq(parse(s, KTS_NET_MAX_HTTP_LINE - 1, &h), KTS_ETRUNC);
	free(s);
	/* The field count. */
	s = long_head(20, KTS_NET_MAX_HTTP_FIELDS - 1, 1);
	ck_assert_int_eq(parse(s, strlen(s), &h), 0);
	ck_assert_uint_eq(h.fields, KTS_NET_MAX_HTTP_FIELDS);
	free(s);
	s = long_head(20, KTS_NET_MAX_HTTP_FIELDS, 1);
	ck_assert_int_eq(parse(s, strlen(s), &h), KTS_ETOOBIG);
	ck_assert_int_eq(h.status, 431);
	free(s);
	/* The whole head: exactly the cap is fine, one more is 431. */
	s = long_head(20, 0, KTS_NET_MAX_HTTP_HEADER - 20 - 2 - 3 - 4);
	n = strlen(s);
	ck_assert_uint_eq(n, KTS_NET_MAX_HTTP_HEADER);
	ck_assert_int_eq(parse(s, n, &h), 0);
	free(s);
	s = long_head(20, 0, KTS_NET_MAX_HTTP_HEADER - 20 - 2 - 3 - 3);
	ck_assert_int_eq(parse(s, strlen(s), &h), KTS_ETOOBIG);
	ck_assert_int_eq(h.status, 431);
	ck_assert_int_eq(parse(s, KTS_NET_MAX_HTTP_HEADER - 1, &h),
	    KTS_ETRUNC);
	free(s);
}
END_TEST

START_TEST(test_resp_head)
{
	char buf[256];
	size_t n;

	n = kts_http_resp_head(buf, sizeof(buf), 200,
	    "Sun, 06 Nov 1994 08:49:37 GMT", "application/ksi-response", NULL,
	    12, KTS_HTTP_CONN_NONE);
	ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\n"
	    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	    "Content-Type: application/ksi-response\r\n"
	    "Content-Length: 12\r\n\r\n");
	ck_assert_uint_eq(n, strlen(buf));
	n = kts_http_resp_head(buf, sizeof(buf), 405, NULL, NULL,
	    "Allow: GET\r\n", 0, KTS_HTTP_CONN_CLOSE);
	ck_assert_str_eq(buf, "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Allow: GET\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	n = kts_http_resp_head(buf, sizeof(buf), 200, NULL, NULL, NULL, 1,
	    KTS_HTTP_CONN_KEEP);
	ck_assert(strstr(buf, "Connection: keep-alive\r\n\r\n") != NULL);
	ck_assert_uint_eq(kts_http_resp_head(buf, 20, 200, NULL, NULL, NULL,
	    1, 0), 0);
	ck_assert_uint_eq(kts_http_resp_head(buf, sizeof(buf), 99, NULL, NULL,
	    NULL, 1, 0), 0);
	ck_assert_uint_eq(kts_http_resp_head(buf, sizeof(buf), 200, NULL,
	    NULL, NULL, 1, 3), 0);
	ck_assert_str_eq(kts_http_reason(599), "");
}
END_TEST

START_TEST(test_date)
{
	char buf[32];

	ck_assert_ptr_nonnull(kts_http_date(784111777, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_ptr_nonnull(kts_http_date(0, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	ck_assert_ptr_null(kts_http_date(0, buf, 29));
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_table, 0, KTS_N_ELEMS(hcases));
	tcase_add_loop_test(tc, test_every_truncation, 0, KTS_N_ELEMS(hcases));
	tcase_add_loop_test(tc, test_bit_flips, 0, KTS_N_ELEMS(hcases));
	tcase_add_test(tc, test_caps);
	suite_add_tcase(s, tc);
	tc = tcase_create("answer");
	tcase_add_test(tc, test_resp_head);
	tcase_add_test(tc, test_date);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(http_suite());
}
