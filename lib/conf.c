/*
 * conf.c - "key = value" configuration files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "err.h"
#include "util.h"

/* Longest configuration file accepted: settings, not data. */
#define CONF_MAX (1u << 20)

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
one_line(char *line, unsigned no, const char *path, kts_conf_fn fn,
    void *arg, char *why, size_t whylen)
{
	char reason[256] = "";
	char *eq;
	char *s = trim(line);

	if (*s == '\0' || *s == '#')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		snprintf(why, whylen, "%s:%u: expected \"key = value\"", path, no);
		return KTS_EFORMAT;
	}
	*eq = '\0';
	if (fn(arg, trim(s), trim(eq + 1), reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "%s:%u: %s", path, no, reason);
		return KTS_EFORMAT;
	}
	return 0;
}

int
kts_conf_load(const char *path, kts_conf_fn fn, void *arg, char *why,
    size_t whylen)
{
	uint8_t *buf = NULL;
	size_t len;
	char *p;
	char *nl;
	unsigned no = 0;
	int r;

	if ((r = kts_file_read(path, CONF_MAX, &buf, &len)) != 0) {
		snprintf(why, whylen, "%s: %s", path, r == KTS_EIO ?
		    strerror(errno) : kts_strerror(r));
		return r == KTS_ENOMEM ? r : KTS_EIO;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(why, whylen, "%s: binary data in a configuration file",
		    path);
		free(buf);
		return KTS_EFORMAT;
	}
	/* kts_file_read leaves room for nothing extra: copy with a NUL. */
	if ((p = malloc(len + 1)) == NULL) {
		free(buf);
		return KTS_ENOMEM;
	}
	memcpy(p, buf, len);
	p[len] = '\0';
	free(buf);
	buf = (uint8_t *)p;
	for (r = 0; r == 0 && p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		r = one_line(p, ++no, path, fn, arg, why, whylen);
	}
	free(buf);
	return r;
}

int
kts_conf_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return KTS_EFORMAT;
}

int
kts_conf_str(char **dst, const char *v)
{
	char *n = strdup(v);

	if (n == NULL)
		return KTS_ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

int
kts_conf_port(const char *v, int *out)
{
	uint64_t n;

	if (strcmp(v, "off") == 0) {
		*out = -1;
		return 0;
	}
	if (kts_parse_u64(v, 65535, &n) != 0)
		return KTS_EFORMAT;
	*out = (int)n;
	return 0;
}

int
kts_conf_log_level(const char *v, int *out)
{
	static const char *names[] = { "err", "warn", "notice", "info",
	    "debug" };
	int i;

	for (i = 0; i < 5; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return KTS_EFORMAT;
}

int
kts_conf_set_kv(const char *kv, kts_conf_fn fn, void *arg, char *why,
    size_t whylen)
{
	char key[64];
	const char *eq = strchr(kv, '=');

	if (eq == NULL || (size_t)(eq - kv) >= sizeof(key)) {
		snprintf(why, whylen, "--set needs KEY=VALUE, not \"%.64s\"",
		    kv);
		return KTS_EINVAL;
	}
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	return fn(arg, key, eq + 1, why, whylen);
}
