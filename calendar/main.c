/*
 * main.c - kts-calendar: options, configuration, the event loop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "calendar.h"
#include "conf.h"
#include "err.h"
#include "log.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: kts-calendar [-c FILE] [-D DIR] [--set KEY=VALUE]... [-t] [-v]\n"
	    "       kts-calendar --check DIR\n"
	    "\n"
	    "The KSI calendar: one calendar leaf a second in LevelDB, aggregation,\n"
	    "extension and configuration requests over HTTP and TCP, and\n"
	    "publications.  See kts-calendar(8).\n"
	    "\n"
	    "  -c, --config FILE   read settings (key = value) from FILE\n"
	    "  -D, --data-dir DIR  the calendar's folder (setting data_dir)\n"
	    "      --set KEY=VALUE set any setting, after the file\n"
	    "  -t, --test          check the configuration and exit\n"
	    "      --check DIR     check a whole calendar store offline and exit\n"
	    "  -v, --verbose       log at debug level\n"
	    "  -h, --help          this text\n"
	    "      --version       print the version\n");
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	kts_log(KTS_LOG_NOTICE, "signal %d: stopping", (int)sig);
	event_base_loopexit(arg, NULL);
}

static void
check_progress(uint64_t done, uint64_t total, void *arg)
{
	fprintf(stderr, "\rchecked %llu of %llu seconds", (unsigned long long)done,
	    (unsigned long long)total);
}

static int
do_check(const char *dir)
{
	char why[512] = "";
	int r;

	r = kts_cal_check(dir, isatty(2) ? check_progress : NULL, NULL, why,
	    sizeof(why));
	if (isatty(2))
		fputc('\n', stderr);
	if (r != 0) {
		fprintf(stderr, "kts-calendar: %s: %s\n", dir, why);
		return 1;
	}
	printf("%s: calendar store OK\n", dir);
	return 0;
}

static int
conf_cb(void *arg, const char *key, const char *value, char *why,
    size_t whylen)
{
	return cal_conf_set(arg, key, value, why, whylen);
}

/*
 * Descriptors beyond the connections: LevelDB keeps up to 1000 files
 * open (its default max_open_files), plus logs, pipes and the listeners;
 * below CAL_FD_MIN of room the limit is worth a warning.
 */
#define CAL_FD_ROOM 1100
#define CAL_FD_MIN 64

static int
run(struct cal_conf *conf)
{
	struct event *sigs[3] = { NULL, NULL, NULL };
	struct cal cal;
	char why[512] = "";
	uint64_t got;
	int r;

	memset(&cal, 0, sizeof(cal));
	cal.conf = conf;
	signal(SIGPIPE, SIG_IGN);
	/* A descriptor a connection, plus LevelDB's files and the rest;
	 * said only when the connections themselves would not fit. */
	if (kts_raise_nofile(conf->max_conns + conf->ext_max_conns +
	    CAL_FD_ROOM, &got) != 0 &&
	    got < conf->max_conns + conf->ext_max_conns + CAL_FD_MIN)
		kts_log(KTS_LOG_WARN, "only %llu descriptors allowed for "
		    "max_conns %llu and ext_max_conns %llu (raise ulimit -n)",
		    (unsigned long long)got,
		    (unsigned long long)conf->max_conns,
		    (unsigned long long)conf->ext_max_conns);
	if ((cal.base = event_base_new()) == NULL)
		return 1;
	sigs[0] = evsignal_new(cal.base, SIGINT, on_signal, cal.base);
	sigs[1] = evsignal_new(cal.base, SIGTERM, on_signal, cal.base);
	if (sigs[0] != NULL)
		evsignal_add(sigs[0], NULL);
	if (sigs[1] != NULL)
		evsignal_add(sigs[1], NULL);
	if ((r = cal_start(&cal, why, sizeof(why))) != 0) {
		fprintf(stderr, "kts-calendar: %s\n", why[0] ? why :
		    kts_strerror(r));
	} else {
		kts_log(KTS_LOG_NOTICE, "calendar %s started",
		    conf->data_dir);
		event_base_dispatch(cal.base);
	}
	cal_stop(&cal);
	if (sigs[0] != NULL)
		event_free(sigs[0]);
	if (sigs[1] != NULL)
		event_free(sigs[1]);
	event_base_free(cal.base);
	return r == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "set", required_argument, NULL, 's' },
		{ "test", no_argument, NULL, 't' },
		{ "check", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cal_conf conf;
	const char *cfile = NULL;
	char why[512] = "";
	int test = 0;
	int verbose = 0;
	int c;
	int r = 0;
	int i;

	kts_malloc_keep();
	cal_conf_defaults(&conf);
	while ((c = getopt_long(argc, argv, "c:D:tvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfile = optarg; break;
		case 't': test = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kts-calendar %s\n", PACKAGE_VERSION); return 0;
		case 'k': return do_check(optarg);
		case 'D': case 's': break;	/* applied after the file */
		default: usage(stderr); return 3;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kts-calendar: unexpected argument %s\n",
		    argv[optind]);
		return 3;
	}
	if (cfile != NULL && (r = kts_conf_load(cfile, conf_cb, &conf, why,
	    sizeof(why))) != 0)
		goto fail;
	/* The command line wins over the file. */
	for (optind = 1, i = 0; (c = getopt_long(argc, argv, "c:D:tvh", opts,
	    NULL)) != -1 && r == 0; i++) {
		if (c == 'D')
			r = cal_conf_set(&conf, "data_dir", optarg, why,
			    sizeof(why));
		else if (c == 's')
			r = kts_conf_set_kv(optarg, conf_cb, &conf, why,
			    sizeof(why));
	}
	if (r != 0 || (r = cal_conf_check(&conf, why, sizeof(why))) != 0)
		goto fail;
	kts_log_set(kts_log_stderr, verbose ? KTS_LOG_DEBUG : conf.log_level,
	    (void *)"kts-calendar");
	if (test) {
		printf("configuration OK\n");
		cal_conf_free(&conf);
		return 0;
	}
	r = run(&conf);
	cal_conf_free(&conf);
	return r;
fail:
	fprintf(stderr, "kts-calendar: %s\n", why);
	cal_conf_free(&conf);
	return 3;
}
