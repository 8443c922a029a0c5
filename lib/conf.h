/*
 * conf.h - configuration files: "key = value" lines, '#' comments, blank
 * lines ignored (DESIGN.md: defaults, then the file, then the command
 * line; unknown keys are errors, reported by the caller's handler).
 */
#ifndef KTS_CONF_H
#define KTS_CONF_H

#include <stddef.h>

/*
 * Called per setting; returns 0, or non-zero with why filled to stop the
 * parse (e.g. "unknown key").  key and value are trimmed and only valid
 * during the call.
 */
typedef int (*kts_conf_fn)(void *arg, const char *key, const char *value,
    char *why, size_t whylen);

/*
 * kts_conf_load - read path and call fn per setting.  Returns 0, KTS_EIO
 * (cannot read: why says so) or KTS_EFORMAT (a line is not "key = value",
 * or fn refused it: why names the file, the line number and the reason).
 */
int kts_conf_load(const char *path, kts_conf_fn fn, void *arg, char *why,
    size_t whylen);

/*
 * kts_conf_bool - "yes/no/true/false/on/off/1/0" into *out.
 * Returns 0 or KTS_EFORMAT.
 */
int kts_conf_bool(const char *value, int *out);

/*
 * kts_conf_str - replace *dst (malloc'd or NULL) with a copy of value.
 * Returns 0 or KTS_ENOMEM.
 */
int kts_conf_str(char **dst, const char *value);

/*
 * kts_conf_port - a port 0-65535 (0: an ephemeral one) or "off" (-1).
 * Returns 0 or KTS_EFORMAT.
 */
int kts_conf_port(const char *value, int *out);

/*
 * kts_conf_log_level - "err", "warn", "notice", "info" or "debug" into
 * a KTS_LOG_* level.  Returns 0 or KTS_EFORMAT.
 */
int kts_conf_log_level(const char *value, int *out);

/*
 * kts_conf_set_kv - apply one "KEY=VALUE" from a command line (--set)
 * through fn.  Returns fn's result, or KTS_EINVAL with why when there is
 * no '=' or the key is too long.
 */
int kts_conf_set_kv(const char *kv, kts_conf_fn fn, void *arg, char *why,
    size_t whylen);

#endif
