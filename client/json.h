/*
 * json.h - a small streaming JSON writer for the `--json` output of the
 * kts commands.
 *
 * Invariants: the writer emits exactly one value (normally one object);
 * every string is escaped (quote, backslash, control characters, and bytes
 * of invalid UTF-8 as \u00XX), so the output is valid JSON whatever the
 * signature or certificate contained.  Members are indented two spaces per
 * level.  Nesting deeper than JW_MAX_DEPTH is a caller bug (assert).
 */
#ifndef KTS_CLIENT_JSON_H
#define KTS_CLIENT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hash.h"

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;			/* output stream (borrowed) */
	int depth;			/* open containers */
	uint8_t first[JW_MAX_DEPTH];	/* nothing written yet at this level */
	uint8_t line;			/* JSON Lines: no newlines inside */
};

/* jw_init - start writing one JSON value to f. */
void jw_init(struct jw *w, FILE *f);

/*
 * jw_init_line - start one compact value on one line (JSON Lines, one
 * record per line for a SIEM); jw_finish ends the line without flushing,
 * so many records stream at file speed.
 */
void jw_init_line(struct jw *w, FILE *f);

/*
 * Containers.  key is the member name inside an object, NULL inside an
 * array or for the outermost value.
 */
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);

/* Scalars; a NULL string, imprint or byte pointer writes null. */
void jw_str(struct jw *w, const char *key, const char *v);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
void jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n);
void jw_imprint(struct jw *w, const char *key, const struct kts_imprint *im);

/* jw_time - "key": epoch, "key_utc": "YYYY-MM-DDTHH:MM:SSZ". */
void jw_time(struct jw *w, const char *key, int64_t t);

/* jw_finish - end the value with a newline and flush. */
void jw_finish(struct jw *w);

#endif
