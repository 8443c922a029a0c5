/*
 * log.c - route library messages to the program's callback.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "util.h"

static kts_log_fn log_fn;
static int log_max = KTS_LOG_NOTICE;
static void *log_arg;

void
kts_log_set(kts_log_fn fn, int max_level, void *arg)
{
	log_fn = fn;
	log_max = max_level;
	log_arg = arg;
}

static void __attribute__((format(printf, 3, 0)))
vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	int n;

	if (log_fn == NULL || level > log_max)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (prefix != NULL) {
		char line[1200];

		n = snprintf(line, sizeof(line), "%s%s", prefix, msg);
		if (n < 0)
			return;
		log_fn(level, line, log_arg);
		return;
	}
	log_fn(level, msg, log_arg);
}

void
kts_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
kts_log_r(int level, const char *func, int r, const char *fmt, ...)
{
	char prefix[128];
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = snprintf(prefix, sizeof(prefix), "%s: ", func);
	if (n < 0)
		return;
	kts_log(level, "%s%s: %s", prefix, msg, kts_strerror(r));
}

void
kts_log_stderr(int level, const char *msg, void *arg)
{
	static const char *names[] = { "error", "warning", "notice", "info",
	    "debug" };
	char ts[32];

	kts_time_utc((int64_t)time(NULL), ts, sizeof(ts));
	fprintf(stderr, "%s %s %s: %s\n", ts, arg != NULL ? (const char *)arg :
	    "kts", names[level < 0 || level > 4 ? 4 : level], msg);
}
