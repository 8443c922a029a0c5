/*
 * conf.c - kts-calendar settings: defaults, the "key = value" file and
 * the command line all go through cal_conf_set(); cal_conf_check() then
 * validates the whole (DESIGN.md "Configuration").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"
#include "err.h"
#include "hash.h"
#include "limits.h"
#include "log.h"
#include "util.h"

/* One extension thread per online CPU (1 if that is unknown). */
static int
default_ext_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > KTS_MAX_EXT_THREADS ? KTS_MAX_EXT_THREADS : (int)n;
}

void
cal_conf_defaults(struct cal_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->http_port = 8080;
	c->tcp_port = 8081;
	c->ext_http_port = -1;		/* no extender port ... */
	c->ext_tcp_port = -1;
	c->ext_threads = default_ext_threads();	/* ... else one a core */
	c->pub_every = 86400;		/* daily ... */
	c->pub_offset = 0;		/* ... at 00:00 UTC */
	c->max_level = 64;
	c->max_requests = 100000;
	c->max_conns = KTS_NET_MAX_CONNS;
	c->ext_max_conns = KTS_NET_MAX_CONNS;
	c->alg = KTS_HASH_SHA256;
	c->log_level = KTS_LOG_NOTICE;
}

void
cal_conf_free(struct cal_conf *c)
{
	char **s[] = { &c->data_dir, &c->listen, &c->users, &c->key, &c->cert,
	    &c->pub_key, &c->pub_cert, &c->pub_chain, &c->pubfile,
	    &c->repo_uri, &c->pub_hook, &c->clock_file, &c->ports_file };
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		free(*s[i]);
		*s[i] = NULL;
	}
}

/* String settings: key name and field. */
static char **
str_field(struct cal_conf *c, const char *key)
{
	static const struct {
		const char *key;
		size_t off;
	} map[] = {
		{ "data_dir", offsetof(struct cal_conf, data_dir) },
		{ "listen", offsetof(struct cal_conf, listen) },
		{ "users", offsetof(struct cal_conf, users) },
		{ "key", offsetof(struct cal_conf, key) },
		{ "cert", offsetof(struct cal_conf, cert) },
		{ "pub_key", offsetof(struct cal_conf, pub_key) },
		{ "pub_cert", offsetof(struct cal_conf, pub_cert) },
		{ "pub_chain", offsetof(struct cal_conf, pub_chain) },
		{ "pubfile", offsetof(struct cal_conf, pubfile) },
		{ "repo_uri", offsetof(struct cal_conf, repo_uri) },
		{ "pub_hook", offsetof(struct cal_conf, pub_hook) },
		{ "clock_file", offsetof(struct cal_conf, clock_file) },
		{ "ports_file", offsetof(struct cal_conf, ports_file) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i].key) == 0)
			return (char **)((char *)c + map[i].off);
	return NULL;
}

int
cal_conf_set(struct cal_conf *c, const char *key, const char *v, char *why,
    size_t whylen)
{
	char **s;
	uint64_t n;
	int r = KTS_EFORMAT;

	if ((s = str_field(c, key)) != NULL)
		r = kts_conf_str(s, v);
	else if (strcmp(key, "http_port") == 0)
		r = kts_conf_port(v, &c->http_port);
	else if (strcmp(key, "tcp_port") == 0)
		r = kts_conf_port(v, &c->tcp_port);
	else if (strcmp(key, "ext_http_port") == 0)
		r = kts_conf_port(v, &c->ext_http_port);
	else if (strcmp(key, "ext_tcp_port") == 0)
		r = kts_conf_port(v, &c->ext_tcp_port);
	else if (strcmp(key, "ext_threads") == 0) {
		if ((r = kts_parse_u64(v, KTS_MAX_EXT_THREADS, &n)) == 0)
			c->ext_threads = (int)n;
	}
	else if (strcmp(key, "pub_every") == 0)
		r = kts_parse_u64(v, 366ull * 86400, &c->pub_every);
	else if (strcmp(key, "pub_offset") == 0)
		r = kts_parse_u64(v, 366ull * 86400, &c->pub_offset);
	else if (strcmp(key, "max_level") == 0) {
		if ((r = kts_parse_u64(v, 254, &n)) == 0)
			c->max_level = (unsigned)n;
	} else if (strcmp(key, "max_requests") == 0)
		r = kts_parse_u64(v, KTS_MAX_ROUND_LEAVES, &c->max_requests);
	else if (strcmp(key, "max_conns") == 0)
		r = kts_parse_u64(v, KTS_CAL_MAX_CONNS_CAP, &c->max_conns);
	else if (strcmp(key, "ext_max_conns") == 0)
		r = kts_parse_u64(v, KTS_CAL_MAX_CONNS_CAP, &c->ext_max_conns);
	else if (strcmp(key, "hash_alg") == 0)
		r = kts_hash_by_name(v, &c->alg);
	else if (strcmp(key, "log_level") == 0)
		r = kts_conf_log_level(v, &c->log_level);
	else if (strcmp(key, "bridge_gap") == 0)
		r = kts_conf_bool(v, &c->bridge_gap);
	else {
		snprintf(why, whylen, "unknown setting \"%.64s\"", key);
		return KTS_EINVAL;
	}
	if (r != 0)
		snprintf(why, whylen, "bad value \"%.64s\" for %s", v, key);
	return r;
}

int
cal_conf_check(const struct cal_conf *c, char *why, size_t whylen)
{
	const char *missing = NULL;

	if (c->data_dir == NULL)
		missing = "data_dir";
	else if (c->users == NULL)
		missing = "users";
	else if (c->key == NULL)
		missing = "key";
	else if (c->cert == NULL)
		missing = "cert";
	else if (c->pub_key == NULL)
		missing = "pub_key";
	else if (c->pub_cert == NULL)
		missing = "pub_cert";
	else if (c->pubfile == NULL)
		missing = "pubfile";
	if (missing != NULL) {
		snprintf(why, whylen, "%s is not set", missing);
		return KTS_EINVAL;
	}
	if (c->pub_every < 1 || c->pub_offset >= c->pub_every) {
		snprintf(why, whylen, "pub_every must be >= 1 and pub_offset "
		    "below it");
		return KTS_EINVAL;
	}
	if (c->http_port < 0 && c->tcp_port < 0) {
		snprintf(why, whylen, "both http_port and tcp_port are off");
		return KTS_EINVAL;
	}
	if (c->max_conns < 1 || c->ext_max_conns < 1) {
		snprintf(why, whylen, "max_conns and ext_max_conns must be "
		    "at least 1");
		return KTS_EINVAL;
	}
	if ((c->ext_http_port >= 0 || c->ext_tcp_port >= 0) &&
	    c->ext_threads == 0) {
		snprintf(why, whylen, "an extender port is set but "
		    "ext_threads is 0");
		return KTS_EINVAL;
	}
	if (!kts_hash_trusted(c->alg) || !kts_hash_available(c->alg)) {
		snprintf(why, whylen, "hash_alg %s cannot be used for new "
		    "signatures", kts_hash_name(c->alg));
		return KTS_EINVAL;
	}
	return 0;
}
