/*
 * main.c - kts-aggregator: options, configuration, the event loop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "aggregator.h"
#include "conf.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kts-aggregator [-c FILE] [--set KEY=VALUE]... [-t] [-v]\n"
	    "\n"
	    "A KSI aggregator for any level of the hierarchy: aggregation and\n"
	    "configuration requests over HTTP and TCP, a round every round_ms,\n"
	    "each round's root sent to one to three parents (aggregators or\n"
	    "the calendar).  See kts-aggregator(8).\n"
	    "\n"
	    "  -c, --config FILE   read settings (key = value) from FILE\n"
	    "      --set KEY=VALUE set any setting, after the file (parent\n"
	    "                      may be given up to three times)\n"
	    "  -t, --test          check the configuration and exit\n"
	    "  -v, --verbose       log at debug level\n"
	    "  -h, --help          this text\n"
	    "      --version       print the version\n");
}

/*
 * First signal: every thread drains (answers what waits, then stops);
 * a second one stops them at once.
 */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ag *ag0 = arg;
	unsigned i;
	int again = ag0->stopping;

	kts_log(KTS_LOG_NOTICE, "signal %d: %s", (int)sig, again ?
	    "stopping now" : "answering what waits, then stopping (again to "
	    "stop at once)");
	for (i = 1; i < ag0->n_all; i++)
		ag_thread_tell(ag0->all[i], again ? 's' : 'd');
	ag_drain(ag0);
}

static int
conf_cb(void *arg, const char *key, const char *value, char *why,
    size_t whylen)
{
	return ag_conf_set(arg, key, value, why, whylen);
}

/*
 * Each client connection is a descriptor: raise the soft limit towards
 * max_conns plus room for parents and logs, as far as the hard limit
 * allows, and say so if that is not enough.
 */
static void
raise_nofile(const struct ag_conf *c)
{
	uint64_t got;

	if (kts_raise_nofile(c->max_conns + 64 +
	    (uint64_t)c->n_parents * KTS_UP_HTTP_POOL, &got) != 0)
		kts_log(KTS_LOG_WARN, "only %llu descriptors allowed for "
		    "max_conns %llu (raise ulimit -n)",
		    (unsigned long long)got,
		    (unsigned long long)c->max_conns);
}

/*
 * A configuration file that holds a key (parent_key, or credentials in a
 * parent URL) must be for our eyes only, as the users file is.
 */
static int
check_key_file(const char *path, const struct ag_conf *c, char *why,
    size_t whylen)
{
	struct stat st;
	size_t i;
	int keys = c->parent_key != NULL;

	for (i = 0; i < c->n_parents; i++)
		if (strchr(c->parents[i], '@') != NULL)
			keys = 1;
	if (!keys || stat(path, &st) != 0 || (st.st_mode & 077) == 0)
		return 0;
	snprintf(why, whylen, "%s: holds a parent key but is readable by "
	    "group or others (chmod 600 it)", path);
	return KTS_EINVAL;
}

/*
 * An aggregator's event base.  Two priorities: the round timer and the
 * parents' answers (0) before client connections (1), and the loop looks
 * for due timers and answers again after every AG_DISPATCH_MAX client
 * callbacks: a flood of requests neither holds a round open past its
 * period nor keeps a round's answers waiting (issue 4's latency target).
 */
#define AG_DISPATCH_MAX 64

static struct event_base *
ag_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	if (event_config_set_max_dispatch_interval(cfg, NULL, AG_DISPATCH_MAX,
	    1) != 0 || (base = event_base_new_with_config(cfg)) == NULL) {
		event_config_free(cfg);
		return NULL;
	}
	event_config_free(cfg);
	if (event_base_priority_init(base, 2) != 0) {
		event_base_free(base);
		return NULL;
	}
	return base;
}

/* -t: what starting would check, short of listening. */
static int
test_start(struct ag_conf *conf, char *why, size_t whylen)
{
	struct ag ag;
	int r;

	memset(&ag, 0, sizeof(ag));
	ag.conf = conf;
	if ((ag.base = event_base_new()) == NULL)
		return KTS_ENOMEM;
	if ((r = kts_users_load(conf->users, &ag.users, why, whylen)) == 0)
		r = ag_parents_init(&ag, why, whylen);
	ag_parents_free(&ag);
	kts_users_free(ag.users);
	event_base_free(ag.base);
	return r;
}

static int
run(struct ag_conf *conf)
{
	struct event *sigs[2] = { NULL, NULL };
	struct kts_users *users = NULL;
	struct ag *all[AG_MAX_THREADS];
	struct ag ags[AG_MAX_THREADS];
	char why[512] = "";
	unsigned n = conf->threads;
	unsigned i;
	int hp = conf->http_port;
	int tp = conf->tcp_port;
	int r;

	memset(ags, 0, sizeof(ags));
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(conf);
	if ((r = kts_users_load(conf->users, &users, why, sizeof(why))) != 0) {
		fprintf(stderr, "kts-aggregator: %s\n", why);
		return 1;
	}
	for (i = 0; i < n; i++) {
		all[i] = &ags[i];
		ags[i].conf = conf;
		ags[i].idx = i;
		ags[i].all = all;
		ags[i].n_all = n;
		ags[i].pipe[0] = ags[i].pipe[1] = -1;
	}
	/* Thread 0 binds the configured ports, the others the ones it got. */
	for (i = 0; i < n && r == 0; i++) {
		if ((ags[i].base = ag_base_new()) == NULL) {
			r = KTS_ENOMEM;
			break;
		}
		r = ag_start(&ags[i], users, hp, tp, why, sizeof(why));
		if (i == 0 && r == 0)
			kts_srv_ports(ags[0].srv, &hp, &tp);
	}
	for (i = 1; i < n && r == 0; i++)
		r = ag_thread_start(&ags[i]);
	if (r == 0)
		r = ag_write_ports(&ags[0], why, sizeof(why));
	if (r == 0) {
		sigs[0] = evsignal_new(ags[0].base, SIGINT, on_signal, &ags[0]);
		sigs[1] = evsignal_new(ags[0].base, SIGTERM, on_signal,
		    &ags[0]);
		if (sigs[0] != NULL)
			evsignal_add(sigs[0], NULL);
		if (sigs[1] != NULL)
			evsignal_add(sigs[1], NULL);
		kts_log(KTS_LOG_NOTICE, "aggregator started: %u thread(s), "
		    "%zu parent(s), rounds of %llu ms", n, ags[0].n_parents,
		    (unsigned long long)conf->round_ms);
		ag_run(&ags[0]);
	} else
		fprintf(stderr, "kts-aggregator: %s\n", why[0] ? why :
		    kts_strerror(r));
	/* Thread 0 is done (drained or failed): the others stop too. */
	for (i = 1; i < n; i++) {
		if (r != 0)
			ag_thread_tell(&ags[i], 's');
		ag_thread_join(&ags[i]);
	}
	for (i = 0; i < 2; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	for (i = 0; i < n; i++) {
		ag_stop(&ags[i]);
		if (ags[i].base != NULL)
			event_base_free(ags[i].base);
	}
	kts_users_free(users);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ag_conf conf;
	const char *cfile = NULL;
	char why[512] = "";
	int test = 0;
	int verbose = 0;
	int c;
	int r = 0;

	kts_malloc_keep();
	ag_conf_defaults(&conf);
	while ((c = getopt_long(argc, argv, "c:tvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfile = optarg; break;
		case 't': test = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kts-aggregator %s\n", PACKAGE_VERSION);
			return 0;
		case 's': break;	/* applied after the file */
		default: usage(stderr); return 3;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kts-aggregator: unexpected argument %s\n",
		    argv[optind]);
		return 3;
	}
	if (cfile != NULL && (r = kts_conf_load(cfile, conf_cb, &conf, why,
	    sizeof(why))) != 0)
		goto fail;
	/* The command line wins over the file. */
	for (optind = 1; r == 0 && (c = getopt_long(argc, argv, "c:tvh", opts,
	    NULL)) != -1;)
		if (c == 's')
			r = kts_conf_set_kv(optarg, conf_cb, &conf, why,
			    sizeof(why));
	if (r != 0 || (r = ag_conf_check(&conf, why, sizeof(why))) != 0 ||
	    (cfile != NULL && (r = check_key_file(cfile, &conf, why,
	    sizeof(why))) != 0))
		goto fail;
	kts_log_set(kts_log_stderr, verbose ? KTS_LOG_DEBUG : conf.log_level,
	    (void *)"kts-aggregator");
	if (test && (r = test_start(&conf, why, sizeof(why))) != 0)
		goto fail;
	if (test) {
		printf("configuration OK\n");
		ag_conf_free(&conf);
		return 0;
	}
	r = run(&conf);
	ag_conf_free(&conf);
	return r;
fail:
	fprintf(stderr, "kts-aggregator: %s\n", why);
	ag_conf_free(&conf);
	return 3;
}
