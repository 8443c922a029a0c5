/*
 * json.c - the streaming JSON writer of json.h.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "tlv.h"
#include "util.h"

void
jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = 1;
}

void
jw_init_line(struct jw *w, FILE *f)
{
	jw_init(w, f);
	w->line = 1;
}

static void
indent(struct jw *w)
{
	int i;

	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Write a string literal with JSON escapes (RFC 8259 section 7). */
static void
put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int utf8 = kts_utf8_valid(p, strlen(s));

	fputc('"', f);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && !utf8))
			fprintf(f, "\\u%04x", (unsigned)*p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Separator, indentation and "key": before a member or element. */
static void
member(struct jw *w, const char *key)
{
	assert(w->depth < JW_MAX_DEPTH);
	if (w->depth > 0) {
		if (!w->first[w->depth])
			fputc(',', w->f);
		if (!w->line) {
			fputc('\n', w->f);
			indent(w);
		}
	}
	w->first[w->depth] = 0;
	if (key != NULL) {
		put_string(w->f, key);
		fputs(w->line ? ":" : ": ", w->f);
	}
}

static void
open_container(struct jw *w, const char *key, int c)
{
	member(w, key);
	fputc(c, w->f);
	w->depth++;
	assert(w->depth < JW_MAX_DEPTH);
	w->first[w->depth] = 1;
}

static void
close_container(struct jw *w, int c)
{
	int empty;

	assert(w->depth > 0);
	empty = w->first[w->depth];
	w->depth--;
	if (!empty && !w->line) {
		fputc('\n', w->f);
		indent(w);
	}
	fputc(c, w->f);
}

void
jw_obj_begin(struct jw *w, const char *key)
{
	open_container(w, key, '{');
}

void
jw_obj_end(struct jw *w)
{
	close_container(w, '}');
}

void
jw_arr_begin(struct jw *w, const char *key)
{
	open_container(w, key, '[');
}

void
jw_arr_end(struct jw *w)
{
	close_container(w, ']');
}

void
jw_str(struct jw *w, const char *key, const char *v)
{
	member(w, key);
	if (v == NULL)
		fputs("null", w->f);
	else
		put_string(w->f, v);
}

void
jw_u64(struct jw *w, const char *key, uint64_t v)
{
	member(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

void
jw_i64(struct jw *w, const char *key, int64_t v)
{
	member(w, key);
	fprintf(w->f, "%" PRId64, v);
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	member(w, key);
	fputs(v ? "true" : "false", w->f);
}

void
jw_null(struct jw *w, const char *key)
{
	member(w, key);
	fputs("null", w->f);
}

void
jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	member(w, key);
	if (p == NULL) {
		fputs("null", w->f);
		return;
	}
	fputc('"', w->f);
	for (i = 0; i < n; i++) {
		fputc(digits[p[i] >> 4], w->f);
		fputc(digits[p[i] & 0x0f], w->f);
	}
	fputc('"', w->f);
}

void
jw_imprint(struct jw *w, const char *key, const struct kts_imprint *im)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];

	jw_str(w, key, im != NULL ? kts_imprint_hex(im, hex) : NULL);
}

void
jw_time(struct jw *w, const char *key, int64_t t)
{
	char name[128];
	char utc[32];
	int n;

	jw_i64(w, key, t);
	n = snprintf(name, sizeof(name), "%s_utc", key);
	if (n < 0 || (size_t)n >= sizeof(name))
		return;		/* keys are short literals: cannot happen */
	jw_str(w, name, kts_time_utc(t, utc, sizeof(utc)));
}

void
jw_finish(struct jw *w)
{
	assert(w->depth == 0);
	fputc('\n', w->f);
	if (!w->line)
		fflush(w->f);
}
