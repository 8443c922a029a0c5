/*
 * http.c - the HTTP/1.x request head parser and response header of the
 * servers (RFC 9112 sections 2-3 and 5-6, RFC 9110 5.6.7); http.h is the
 * contract.  Written for kts: one pass over complete lines through the
 * bounded reader, no allocation, views into the caller's bytes.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "http.h"
#include "limits.h"
#include "rd.h"

/* The longest Content-Length we parse: more digits is over any cap. */
#define CLEN_DIGITS 19

static const char *const conn_field[] = {
	"", "Connection: close\r\n", "Connection: keep-alive\r\n"
};

/* RFC 9110 5.6.2: tchar, the characters of a token. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ASCII case-insensitive comparison of s (n bytes) with want. */
static int
token_is(const char *s, size_t n, const char *want)
{
	size_t i;
	char c;

	if (n != strlen(want))
		return 0;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != want[i])
			return 0;
	}
	return 1;
}

/*
 * The next line of rd without its LF (and a CR before it).  Returns 0 or
 * KTS_ETRUNC (no LF in what is left; rd untouched).
 */
static int
next_line(struct kts_rd *rd, const char **line, size_t *len)
{
	const uint8_t *s = rd->p + rd->off;
	const uint8_t *lf;
	const uint8_t *all;
	size_t n;

	if ((lf = memchr(s, '\n', kts_rd_left(rd))) == NULL)
		return KTS_ETRUNC;
	n = (size_t)(lf - s);
	(void)kts_rd_bytes(rd, n + 1, &all);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	*line = (const char *)s;
	*len = n;
	return 0;
}

/* The path of an absolute-form target after its "scheme://". */
static void
absolute_path(const char *s, size_t n, struct kts_http_head *h)
{
	size_t i = 0;

	while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
		i++;
	if (i == n || s[i] != '/') {
		h->path = "/";
		h->path_len = 1;
		return;
	}
	h->path = s + i;
	for (h->path_len = 0; i + h->path_len < n; h->path_len++)
		if (s[i + h->path_len] == '?' || s[i + h->path_len] == '#')
			break;
}

/*
 * RFC 9112 3.2: origin-form ("/path?query"), absolute-form
 * ("http://host/path") or asterisk-form.  Other forms (authority-form is
 * CONNECT's) only for methods we answer 405 anyway.
 */
static int
parse_target(const char *t, size_t n, struct kts_http_head *h)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return KTS_EFORMAT;
	if (n > 0 && t[0] == '/') {
		h->path = t;
		for (h->path_len = 0; h->path_len < n; h->path_len++)
			if (t[h->path_len] == '?' || t[h->path_len] == '#')
				break;
	} else if (n >= 7 && token_is(t, 7, "http://"))
		absolute_path(t + 7, n - 7, h);
	else if (n >= 8 && token_is(t, 8, "https://"))
		absolute_path(t + 8, n - 8, h);
	else if (n == 1 && t[0] == '*') {
		h->path = t;
		h->path_len = 1;
	} else if (h->method != KTS_HTTP_OTHER || n == 0)
		return KTS_EFORMAT;
	return 0;
}

/* "HTTP/1.0" or "HTTP/1.1" (a later 1.x is 1.1); another major is 505. */
static int
parse_version(const char *v, size_t n, struct kts_http_head *h)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return KTS_EFORMAT;
	if (v[5] != '1') {
		h->status = 505;
		return KTS_EFORMAT;
	}
	h->minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* RFC 9112 3: method SP request-target SP HTTP-version. */
static int
parse_reqline(const char *s, size_t n, struct kts_http_head *h)
{
	const char *sp1;
	const char *sp2;
	size_t i;

	if ((sp1 = memchr(s, ' ', n)) == NULL || sp1 == s ||
	    (sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - s))) == NULL)
		return KTS_EFORMAT;
	for (i = 0; s + i < sp1; i++)
		if (!is_tchar((unsigned char)s[i]))
			return KTS_EFORMAT;
	if (i == 4 && memcmp(s, "POST", 4) == 0)
		h->method = KTS_HTTP_POST;
	else if (i == 3 && memcmp(s, "GET", 3) == 0)
		h->method = KTS_HTTP_GET;
	else if (i == 4 && memcmp(s, "HEAD", 4) == 0)
		h->method = KTS_HTTP_HEAD;
	return parse_version(sp2 + 1, n - (size_t)(sp2 + 1 - s), h) != 0 ?
	    KTS_EFORMAT : parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), h);
}

/* Content-Length (RFC 9112 6.3): digits only; repeats must agree. */
static int
parse_clen(const char *v, size_t n, struct kts_http_head *h)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > CLEN_DIGITS)
		return n == 0 ? KTS_EFORMAT : KTS_ETOOBIG;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return KTS_EFORMAT;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (h->has_clen && h->body_len != x)
		return KTS_EFORMAT;
	h->has_clen = 1;
	h->body_len = x;
	return 0;
}

/* Connection (RFC 9110 7.6.1): a list of tokens; close wins. */
static void
parse_connection(const char *v, size_t n, int *close, int *keep)
{
	size_t a = 0;
	size_t b;
	size_t e;

	while (a < n) {
		for (b = a; b < n && v[b] != ','; b++)
			;
		for (e = b; e > a && (v[e - 1] == ' ' || v[e - 1] == '\t'); e--)
			;
		while (a < e && (v[a] == ' ' || v[a] == '\t'))
			a++;
		if (token_is(v + a, e - a, "close"))
			*close = 1;
		else if (token_is(v + a, e - a, "keep-alive"))
			*keep = 1;
		a = b + 1;
	}
}

/*
 * One "name: value" line (RFC 9112 5): a token name right before the
 * colon, a value without control characters but HTAB.
 */
static int
parse_field(const char *s, size_t n, struct kts_http_head *h, int *close,
    int *keep)
{
	const char *colon = memchr(s, ':', n);
	const char *v;
	size_t nl;
	size_t vl;
	size_t i;

	if (colon == NULL || colon == s)
		return KTS_EFORMAT;
	nl = (size_t)(colon - s);
	for (i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)s[i]))
			return KTS_EFORMAT;
	v = colon + 1;
	vl = n - nl - 1;
	for (i = 0; i < vl; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return KTS_EFORMAT;
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (token_is(s, nl, "content-length"))
		return parse_clen(v, vl, h);
	if (token_is(s, nl, "transfer-encoding"))
		h->has_te = 1;
	else if (token_is(s, nl, "connection"))
		parse_connection(v, vl, close, keep);
	else if (token_is(s, nl, "expect") && token_is(v, vl, "100-continue"))
		h->expect_continue = 1;
	return 0;
}

/* A line did not end within what we have: wait, or a cap is reached. */
static int
incomplete(const struct kts_rd *rd, size_t line_start, size_t line_cap,
    int cap_status, struct kts_http_head *h)
{
	if (rd->len - line_start >= line_cap) {
		h->status = cap_status;
		return KTS_ETOOBIG;
	}
	if (rd->len >= KTS_NET_MAX_HTTP_HEADER) {
		h->status = 431;
		return KTS_ETOOBIG;
	}
	return KTS_ETRUNC;
}

/* The request line, after any empty lines (RFC 9112 2.2). */
static int
head_reqline(struct kts_rd *rd, struct kts_http_head *h)
{
	const char *line;
	size_t len = 0;
	size_t start;

	do {
		start = rd->off;
		if (next_line(rd, &line, &len) != 0)
			return incomplete(rd, start, KTS_NET_MAX_HTTP_LINE, 414,
			    h);
	} while (len == 0);
	if (len >= KTS_NET_MAX_HTTP_LINE) {
		h->status = 414;
		return KTS_ETOOBIG;
	}
	return parse_reqline(line, len, h);
}

/* The header fields up to the empty line. */
static int
head_fields(struct kts_rd *rd, struct kts_http_head *h)
{
	const char *line;
	size_t len;
	int close = 0;
	int keep = 0;
	int r;

	for (;;) {
		if (next_line(rd, &line, &len) != 0)
			return incomplete(rd, rd->off, KTS_NET_MAX_HTTP_HEADER,
			    431, h);
		if (len == 0)
			break;
		if (++h->fields > KTS_NET_MAX_HTTP_FIELDS) {
			h->status = 431;
			return KTS_ETOOBIG;
		}
		if ((r = parse_field(line, len, h, &close, &keep)) != 0)
			return r;
	}
	h->keep_alive = !close && (h->minor == 1 || keep);
	return 0;
}

/* What the whole head says about the body (RFC 9112 6). */
static int
head_body(struct kts_http_head *h, size_t max_body)
{
	if (h->has_te || (h->method == KTS_HTTP_POST && !h->has_clen)) {
		h->status = 411;
		return KTS_EFORMAT;
	}
	if ((h->method == KTS_HTTP_GET || h->method == KTS_HTTP_HEAD) &&
	    h->body_len > 0)
		return KTS_EFORMAT;
	if (h->body_len > max_body) {
		h->status = 413;
		return KTS_ETOOBIG;
	}
	return 0;
}

int
kts_http_parse_head(const uint8_t *p, size_t n, size_t max_body,
    struct kts_http_head *out)
{
	struct kts_rd rd;
	int r;

	memset(out, 0, sizeof(*out));
	out->status = 400;
	kts_rd_init(&rd, p, n < KTS_NET_MAX_HTTP_HEADER ? n :
	    KTS_NET_MAX_HTTP_HEADER);
	if ((r = head_reqline(&rd, out)) != 0 ||
	    (r = head_fields(&rd, out)) != 0) {
		if (r == KTS_ETOOBIG && out->status == 400)
			out->status = 413;	/* a Content-Length too long */
		return r;
	}
	out->head_len = rd.off;
	return head_body(out, max_body);
}

const char *
kts_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

size_t
kts_http_resp_head(char *buf, size_t size, int status, const char *date,
    const char *ctype, const char *extra, size_t clen, int conn)
{
	int n;

	if (status < 100 || status > 599 || conn < KTS_HTTP_CONN_NONE ||
	    conn > KTS_HTTP_CONN_KEEP)
		return 0;
	n = snprintf(buf, size, "HTTP/1.1 %d %s\r\n%s%s%s%s%s%s%s"
	    "Content-Length: %zu\r\n%s\r\n", status, kts_http_reason(status),
	    date != NULL ? "Date: " : "", date != NULL ? date : "",
	    date != NULL ? "\r\n" : "", ctype != NULL ? "Content-Type: " : "",
	    ctype != NULL ? ctype : "", ctype != NULL ? "\r\n" : "",
	    extra != NULL ? extra : "", clen, conn_field[conn]);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

char *
kts_http_date(int64_t t, char *buf, size_t size)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	time_t tt = (time_t)t;
	struct tm tm;
	int n;

	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year > 8099)
		return NULL;
	n = snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}
