/*
 * log.h - the host-installed log callback.  lib/ never prints: it calls
 * kts_log(), and the program decides where lines go.
 */
#ifndef KTS_LOG_H
#define KTS_LOG_H

#include <stdarg.h>

enum kts_log_level {
	KTS_LOG_ERR = 0,
	KTS_LOG_WARN = 1,
	KTS_LOG_NOTICE = 2,
	KTS_LOG_INFO = 3,
	KTS_LOG_DEBUG = 4
};

typedef void (*kts_log_fn)(int level, const char *msg, void *arg);

/*
 * kts_log_set - install the callback (NULL discards every line) and the
 * highest level that reaches it.
 */
void kts_log_set(kts_log_fn fn, int max_level, void *arg);

/*
 * kts_log_stderr - a callback for servers: "TIME PROGRAM LEVEL: msg" on
 * standard error, TIME in UTC, PROGRAM the string arg points to.
 */
void kts_log_stderr(int level, const char *msg, void *arg);

/*
 * kts_log - format one line and hand it to the callback.
 */
void kts_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* kts_err_r - log at ERR with the calling function and kts_strerror(r). */
#define kts_err_r(r, ...) kts_log_r(KTS_LOG_ERR, __func__, (r), __VA_ARGS__)

void kts_log_r(int level, const char *func, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
