/*
 * users.c - the servers' users file (see users.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "err.h"
#include "users.h"
#include "util.h"

/* A users file is a list of accounts, not data: 4 MiB is ~50,000 users. */
#define USERS_MAX_FILE (4u << 20)

struct kts_users {
	char *text;		/* the file, NUL-separated fields (owned) */
	size_t text_len;
	struct kts_user *v;	/* owned array */
	size_t n;
};

void
kts_users_free(struct kts_users *u)
{
	if (u == NULL)
		return;
	if (u->text != NULL)
		OPENSSL_cleanse(u->text, u->text_len);
	free(u->text);
	free(u->v);
	free(u);
}

static int
parse_services(char *s, unsigned *out)
{
	char *save = NULL;
	char *tok;

	*out = 0;
	for (tok = strtok_r(s, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "sign") == 0)
			*out |= KTS_SVC_SIGN;
		else if (strcmp(tok, "extend") == 0)
			*out |= KTS_SVC_EXTEND;
		else if (strcmp(tok, "conf") == 0)
			*out |= KTS_SVC_CONF;
		else if (strcmp(tok, "all") == 0)
			*out |= KTS_SVC_SIGN | KTS_SVC_EXTEND | KTS_SVC_CONF;
		else
			return KTS_EFORMAT;
	}
	return *out != 0 ? 0 : KTS_EFORMAT;
}

static int
add_line(struct kts_users *u, char *line, unsigned no, const char *path,
    char *why, size_t whylen)
{
	char *f[4] = { NULL, NULL, NULL, NULL };
	char *save = NULL;
	struct kts_user *nv;
	int n = 0;

	if ((f[0] = strtok_r(line, " \t\r", &save)) == NULL || f[0][0] == '#')
		return 0;
	for (n = 1; n < 4 && (f[n] = strtok_r(NULL, " \t\r", &save)) != NULL;)
		n++;
	if (n != 3) {
		snprintf(why, whylen, "%s:%u: expected \"LOGIN KEY SERVICES\"",
		    path, no);
		return KTS_EFORMAT;
	}
	if ((nv = realloc(u->v, (u->n + 1) * sizeof(*nv))) == NULL)
		return KTS_ENOMEM;
	u->v = nv;
	nv[u->n].login = f[0];
	nv[u->n].key = f[1];
	nv[u->n].keylen = strlen(f[1]);
	if (parse_services(f[2], &nv[u->n].services) != 0) {
		snprintf(why, whylen, "%s:%u: services must be a comma list of "
		    "sign, extend, conf or all", path, no);
		return KTS_EFORMAT;
	}
	if (kts_users_find(u, f[0]) != NULL) {
		snprintf(why, whylen, "%s:%u: login id %.64s listed twice",
		    path, no, f[0]);
		return KTS_EFORMAT;
	}
	u->n++;
	return 0;
}

static int
check_mode(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "%s: cannot stat", path);
		return KTS_EIO;
	}
	if (st.st_mode & 077) {
		snprintf(why, whylen, "%s: holds keys but is readable by group or "
		    "others (chmod 600 it)", path);
		return KTS_EINVAL;
	}
	return 0;
}

int
kts_users_load(const char *path, struct kts_users **out, char *why,
    size_t whylen)
{
	struct kts_users *tmp = NULL;
	uint8_t *buf = NULL;
	size_t len;
	char *p;
	char *nl;
	unsigned no = 0;
	int r;

	*out = NULL;
	if ((r = check_mode(path, why, whylen)) != 0)
		return r;
	if ((r = kts_file_read(path, USERS_MAX_FILE, &buf, &len)) != 0) {
		snprintf(why, whylen, "%s: %s", path, kts_strerror(r));
		return r;
	}
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->text = malloc(len + 1)) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	memcpy(tmp->text, buf, len);
	tmp->text[len] = '\0';
	tmp->text_len = len + 1;
	for (p = tmp->text; r == 0 && p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		r = add_line(tmp, p, ++no, path, why, whylen);
	}
	if (r != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	if (buf != NULL)
		OPENSSL_cleanse(buf, len);
	free(buf);
	kts_users_free(tmp);
	return r;
}

const struct kts_user *
kts_users_find(const struct kts_users *u, const char *login)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].login, login) == 0)
			return &u->v[i];
	return NULL;
}

size_t
kts_users_count(const struct kts_users *u)
{
	return u->n;
}

size_t
kts_users_index(const struct kts_users *u, const struct kts_user *x)
{
	return (size_t)(x - u->v);
}
