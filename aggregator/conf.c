/*
 * conf.c - kts-aggregator settings: defaults, the "key = value" file and
 * the command line all go through ag_conf_set(); ag_conf_check() then
 * validates the whole (DESIGN.md "Configuration").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aggregator.h"
#include "conf.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "util.h"

/* Levels a round adds above its tallest request (spec 4.2, 4.5). */
unsigned
ag_round_height(uint64_t max_requests)
{
	unsigned h = 1;		/* the metadata join */

	while (max_requests > 1) {
		max_requests = (max_requests + 1) / 2;
		h++;
	}
	return h;
}

/* One aggregator thread a core (an aggregator is CPU-bound). */
static unsigned
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > AG_MAX_THREADS ? AG_MAX_THREADS : (unsigned)n;
}

void
ag_conf_defaults(struct ag_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->threads = default_threads();
	c->http_port = 3333;
	c->tcp_port = 3334;
	c->parent_hmac_alg = KTS_HASH_SHA256;
	c->round_ms = 100;
	c->parent_timeout_ms = KTS_AGG_PARENT_TIMEOUT_MS;
	c->max_level = 64;
	c->max_requests = KTS_AGG_MAX_REQUESTS;
	c->max_client_requests = KTS_AGG_MAX_REQUESTS;
	c->max_waiting = KTS_AGG_MAX_WAITING;
	c->max_conns = KTS_AGG_MAX_CONNS;
	c->idle_timeout_s = KTS_NET_IDLE_TIMEOUT;
	c->read_timeout_s = KTS_NET_READ_TIMEOUT;
	c->batch_us = KTS_AGG_BATCH_US;
	c->alg = KTS_HASH_SHA256;
	c->log_level = KTS_LOG_NOTICE;
}

void
ag_conf_free(struct ag_conf *c)
{
	size_t i;

	free(c->listen);
	free(c->ports_file);
	free(c->users);
	free(c->parent_user);
	if (c->parent_key != NULL)
		OPENSSL_cleanse(c->parent_key, strlen(c->parent_key));
	free(c->parent_key);
	free(c->machine_id);
	for (i = 0; i < c->n_parents; i++)
		free(c->parents[i]);
	memset(c, 0, sizeof(*c));
}

/* String settings: key name and field. */
static char **
str_field(struct ag_conf *c, const char *key)
{
	static const struct {
		const char *key;
		size_t off;
	} map[] = {
		{ "listen", offsetof(struct ag_conf, listen) },
		{ "ports_file", offsetof(struct ag_conf, ports_file) },
		{ "users", offsetof(struct ag_conf, users) },
		{ "parent_user", offsetof(struct ag_conf, parent_user) },
		{ "parent_key", offsetof(struct ag_conf, parent_key) },
		{ "machine_id", offsetof(struct ag_conf, machine_id) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i].key) == 0)
			return (char **)((char *)c + map[i].off);
	return NULL;
}

/* Unsigned settings: key, field and the largest value that makes sense. */
static uint64_t *
u64_field(struct ag_conf *c, const char *key, uint64_t *max)
{
	static const struct {
		const char *key;
		size_t off;
		uint64_t max;
	} map[] = {
		{ "round_ms", offsetof(struct ag_conf, round_ms), 60000 },
		{ "parent_timeout_ms", offsetof(struct ag_conf,
		    parent_timeout_ms), 600000 },
		{ "max_requests", offsetof(struct ag_conf, max_requests),
		    KTS_MAX_ROUND_LEAVES },
		{ "max_client_requests", offsetof(struct ag_conf,
		    max_client_requests), KTS_MAX_ROUND_LEAVES },
		{ "max_waiting", offsetof(struct ag_conf, max_waiting),
		    64u * KTS_MAX_ROUND_LEAVES },
		{ "max_conns", offsetof(struct ag_conf, max_conns), 1000000 },
		{ "idle_timeout_s", offsetof(struct ag_conf, idle_timeout_s),
		    86400 },
		{ "read_timeout_s", offsetof(struct ag_conf, read_timeout_s),
		    3600 },
		{ "batch_us", offsetof(struct ag_conf, batch_us),
		    KTS_AGG_MAX_BATCH_US },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i].key) == 0) {
			*max = map[i].max;
			return (uint64_t *)((char *)c + map[i].off);
		}
	return NULL;
}

int
ag_conf_set(struct ag_conf *c, const char *key, const char *v, char *why,
    size_t whylen)
{
	uint64_t *u = NULL;
	uint64_t max = 0;
	uint64_t n;
	char **s;
	int r = KTS_EFORMAT;

	if (strcmp(key, "machine_id") == 0 && strlen(v) > AG_MAX_MACHINE_ID) {
		/* It goes into every signature's metadata. */
		snprintf(why, whylen, "machine_id is over %d bytes",
		    AG_MAX_MACHINE_ID);
		return KTS_EINVAL;
	}
	if ((s = str_field(c, key)) != NULL)
		r = kts_conf_str(s, v);
	else if ((u = u64_field(c, key, &max)) != NULL)
		r = kts_parse_u64(v, max, u);
	else if (strcmp(key, "parent") == 0) {
		if (c->n_parents == AG_MAX_PARENTS) {
			snprintf(why, whylen, "more than %d parents",
			    AG_MAX_PARENTS);
			return KTS_EINVAL;
		}
		if ((r = kts_conf_str(&c->parents[c->n_parents], v)) == 0)
			c->n_parents++;
	} else if (strcmp(key, "http_port") == 0)
		r = kts_conf_port(v, &c->http_port);
	else if (strcmp(key, "tcp_port") == 0)
		r = kts_conf_port(v, &c->tcp_port);
	else if (strcmp(key, "threads") == 0) {
		if ((r = kts_parse_u64(v, AG_MAX_THREADS, &n)) == 0 && n == 0)
			r = KTS_EFORMAT;
		if (r == 0)
			c->threads = (unsigned)n;
	} else if (strcmp(key, "max_level") == 0) {
		if ((r = kts_parse_u64(v, 254, &n)) == 0)
			c->max_level = (unsigned)n;
	} else if (strcmp(key, "hash_alg") == 0)
		r = kts_hash_by_name(v, &c->alg);
	else if (strcmp(key, "parent_hmac_alg") == 0)
		r = kts_hash_by_name(v, &c->parent_hmac_alg);
	else if (strcmp(key, "log_level") == 0)
		r = kts_conf_log_level(v, &c->log_level);
	else {
		snprintf(why, whylen, "unknown setting \"%.64s\"", key);
		return KTS_EINVAL;
	}
	if (r != 0 && u != NULL)
		snprintf(why, whylen, "bad value \"%.64s\" for %s (a whole "
		    "number, 0 to %llu)", v, key, (unsigned long long)max);
	else if (r != 0)
		/* Never echo a key. */
		snprintf(why, whylen, "bad value \"%.64s\" for %s",
		    strcmp(key, "parent_key") == 0 ? "..." : v, key);
	return r;
}

int
ag_conf_check(const struct ag_conf *c, char *why, size_t whylen)
{
	if (c->users == NULL) {
		snprintf(why, whylen, "users is not set");
		return KTS_EINVAL;
	}
	if (c->n_parents == 0) {
		snprintf(why, whylen, "no parent is set (parent = URL, one to "
		    "three times)");
		return KTS_EINVAL;
	}
	if (c->http_port < 0 && c->tcp_port < 0) {
		snprintf(why, whylen, "both http_port and tcp_port are off");
		return KTS_EINVAL;
	}
	if (c->round_ms < 10) {
		snprintf(why, whylen, "round_ms must be at least 10");
		return KTS_EINVAL;
	}
	if (c->parent_timeout_ms < c->round_ms) {
		snprintf(why, whylen, "parent_timeout_ms must be at least "
		    "round_ms");
		return KTS_EINVAL;
	}
	if (c->idle_timeout_s < 1 || c->read_timeout_s < 1) {
		snprintf(why, whylen, "idle_timeout_s and read_timeout_s must "
		    "be at least 1");
		return KTS_EINVAL;
	}
	if (c->max_level + ag_round_height(c->max_requests) > 255) {
		snprintf(why, whylen, "max_level %u leaves no room for a round "
		    "of max_requests %llu (%u levels; 255 in all)",
		    c->max_level, (unsigned long long)c->max_requests,
		    ag_round_height(c->max_requests));
		return KTS_EINVAL;
	}
	if (c->max_requests < 1 || c->max_client_requests < 1 ||
	    c->max_waiting < c->max_requests || c->max_conns < 1) {
		snprintf(why, whylen, "max_requests, max_client_requests and "
		    "max_conns must be at least 1, and max_waiting at least "
		    "max_requests");
		return KTS_EINVAL;
	}
	if (!kts_hash_trusted(c->alg) || !kts_hash_available(c->alg)) {
		snprintf(why, whylen, "hash_alg %s cannot be used for new "
		    "signatures", kts_hash_name(c->alg));
		return KTS_EINVAL;
	}
	if (!kts_hash_trusted(c->parent_hmac_alg) ||
	    !kts_hash_available(c->parent_hmac_alg)) {
		snprintf(why, whylen, "parent_hmac_alg %s cannot be used",
		    kts_hash_name(c->parent_hmac_alg));
		return KTS_EINVAL;
	}
	return 0;
}
