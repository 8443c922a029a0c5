/*
 * users.h - the HMAC users file of the servers (KSI spec 7.3, 7.14).
 *
 * One user per line: "LOGIN KEY SERVICES", whitespace separated, '#'
 * comments; SERVICES is a comma list of "sign" (aggregation requests),
 * "extend" (extension requests) and "conf" (configuration requests), or
 * "all".  The file must not be readable by group or others (0600): it
 * holds the keys.  Keys are never logged.
 */
#ifndef KTS_USERS_H
#define KTS_USERS_H

#include <stddef.h>

#define KTS_SVC_SIGN 0x01
#define KTS_SVC_EXTEND 0x02
#define KTS_SVC_CONF 0x04

struct kts_users;

/* One user (borrowed from the table). */
struct kts_user {
	const char *login;	/* login id */
	const char *key;	/* HMAC key bytes (a string) */
	size_t keylen;
	unsigned services;	/* KTS_SVC_* bits */
};

/*
 * kts_users_load - read the users file.  Returns 0, KTS_EIO, KTS_EFORMAT
 * or KTS_EINVAL (mode allows group/other access) with why naming the line.
 * Ownership: free *out with kts_users_free() (which wipes the keys).
 */
int kts_users_load(const char *path, struct kts_users **out, char *why,
    size_t whylen);
void kts_users_free(struct kts_users *u);

/* kts_users_find - the user with this login id, or NULL. */
const struct kts_user *kts_users_find(const struct kts_users *u,
    const char *login);

/* kts_users_count - number of users. */
size_t kts_users_count(const struct kts_users *u);

/*
 * kts_users_index - the position (0 .. count - 1) of a user that
 * kts_users_find() returned from u, for per-user counters.
 */
size_t kts_users_index(const struct kts_users *u, const struct kts_user *x);

#endif
