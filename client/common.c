/*
 * common.c - helpers shared by the kts commands (see common.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "net.h"
#include "limits.h"
#include "util.h"

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kts: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_exit_for(int r)
{
	switch (r) {
	case 0:			return CLI_EXIT_OK;
	case KTS_EFORMAT:
	case KTS_ETRUNC:
	case KTS_ETOOBIG:	return CLI_EXIT_FORMAT;
	case KTS_EIO:		return CLI_EXIT_IO;
	case KTS_ECRYPTO:
	case KTS_EUNSUPPORTED:	return CLI_EXIT_CRYPTO;
	case KTS_EVERIFY:	return CLI_EXIT_VERIFY;
	case KTS_EINVAL:	return CLI_EXIT_ARGS;
	default:		return CLI_EXIT_FAILURE;
	}
}

int
cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int r;

	if ((r = kts_file_read(path, max, out, len)) == 0)
		return CLI_EXIT_OK;
	if (r == KTS_EIO)
		cli_err("%s: cannot read: %s", path, strerror(errno));
	else if (r == KTS_ETOOBIG)
		cli_err("%s: file larger than %zu bytes: not a valid input",
		    path, max);
	else
		cli_err("%s: cannot read: %s", path, kts_strerror(r));
	return cli_exit_for(r);
}

void
cli_parse_error(const char *path, int r, const struct kts_perr *pe)
{
	if (pe->what == NULL) {
		cli_err("%s: %s", path, kts_strerror(r));
		return;
	}
	if (pe->tag != 0)
		cli_err("%s: %s at offset %zu (tag 0x%x): %s", path,
		    kts_strerror(r), pe->off, (unsigned)pe->tag, pe->what);
	else
		cli_err("%s: %s at offset %zu: %s", path, kts_strerror(r),
		    pe->off, pe->what);
}

int
cli_load_sig(const char *path, struct kts_sig **out)
{
	struct kts_perr pe = { 0, 0, NULL };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;
	int r;

	*out = NULL;
	if ((rc = cli_read_file(path, KTS_MAX_SIG_FILE, &buf, &len)) != 0)
		return rc;
	if ((r = kts_sig_parse(buf, len, out, &pe)) != 0) {
		cli_parse_error(path, r, &pe);
		rc = cli_exit_for(r);
	}
	free(buf);
	return rc;
}

int
cli_load_pubfile(const char *path, struct kts_pubfile **out)
{
	struct kts_perr pe = { 0, 0, NULL };
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;
	int r;

	*out = NULL;
	if (strncmp(path, "http://", 7) == 0) {
		char why[512] = "";

		/* spec 8.4: a plain GET. */
		if ((r = kts_net_get(path, KTS_MAX_PUBFILE, 10000, &buf, &len,
		    why, sizeof(why))) != 0) {
			cli_err("%s: %s", path, why[0] ? why : kts_strerror(r));
			return CLI_EXIT_NETWORK;
		}
	} else if ((rc = cli_read_file(path, KTS_MAX_PUBFILE, &buf, &len)) != 0)
		return rc;
	if ((r = kts_pubfile_parse(buf, len, out, &pe)) != 0) {
		cli_parse_error(path, r, &pe);
		rc = cli_exit_for(r);
	}
	free(buf);
	return rc;
}

static int
when_valid(const char *s)
{
	int64_t t;

	return strcmp(s, "now") == 0 || strcmp(s, "created") == 0 ||
	    kts_parse_time(s, &t) == 0;
}

int
cli_trust_opt(struct cli_trust *t, int opt, char *arg)
{
	char *eq;

	switch (opt) {
	case 'V':
		if (t->n_ca == CLI_MAX_CA) {
			cli_err("too many -V options (at most %d)", CLI_MAX_CA);
			return CLI_EXIT_ARGS;
		}
		t->ca[t->n_ca++] = arg;
		return CLI_EXIT_OK;
	case CLI_OPT_CNSTR:
		if ((eq = strchr(arg, '=')) == NULL || eq == arg ||
		    eq[1] == '\0') {
			cli_err("--cnstr %s: expected OID=VALUE, e.g. "
			    "E=publications@guardtime.com", arg);
			return CLI_EXIT_ARGS;
		}
		if (t->n_cnstr == CLI_MAX_CNSTR) {
			cli_err("too many --cnstr options (at most %d)",
			    CLI_MAX_CNSTR);
			return CLI_EXIT_ARGS;
		}
		*eq = '\0';
		t->cnstr[t->n_cnstr].oid = arg;
		t->cnstr[t->n_cnstr++].value = eq + 1;
		return CLI_EXIT_OK;
	case CLI_OPT_PUBFILE_TIME:
		if (!when_valid(arg)) {
			cli_err("--pubfile-time %s: expected now, created, "
			    "seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ]", arg);
			return CLI_EXIT_ARGS;
		}
		t->when = arg;
		return CLI_EXIT_OK;
	}
	return CLI_EXIT_ARGS;
}

int
cli_pubfile_check(const struct cli_trust *t, const struct kts_pubfile *pf,
    int64_t *at, char *why, size_t whylen)
{
	struct kts_trust tr;

	memset(&tr, 0, sizeof(tr));
	tr.ca_files = t->ca;
	tr.n_ca = t->n_ca;
	tr.cnstr = t->cnstr;
	tr.n_cnstr = t->n_cnstr;
	tr.partial_chain = 1;
	tr.default_store = 1;
	tr.at = -1;
	if (t->when != NULL && strcmp(t->when, "created") == 0)
		tr.at = kts_pubfile_created(pf);
	else if (t->when != NULL && strcmp(t->when, "now") != 0 &&
	    kts_parse_time(t->when, &tr.at) != 0)
		tr.at = -1;	/* checked by cli_trust_opt */
	*at = tr.at;
	return kts_pubfile_verify(pf, &tr, why, whylen);
}

size_t
cli_signer_ids(const struct kts_sig *sig, const char **ids, size_t max)
{
	const struct kts_aggr_link *l;
	size_t n = 0;
	size_t i;
	size_t j;

	/* Chains are sorted lowest first and links are leaf side first. */
	for (i = 0; i < sig->n_chains; i++) {
		for (j = 0; j < sig->chains[i].n_links && n < max; j++) {
			l = &sig->chains[i].links[j];
			if (l->kind == KTS_SIB_META &&
			    l->meta.client_id != NULL)
				ids[n++] = l->meta.client_id;
			else if (l->kind == KTS_SIB_LEGACY)
				ids[n++] = l->legacy_name;
		}
	}
	return n;
}

char *
cli_signer_str(const struct kts_sig *sig, char *buf, size_t size)
{
	const char *ids[CLI_MAX_IDS];
	size_t n;
	size_t i;
	size_t off = 0;
	int k;

	if (snprintf(buf, size, "%s", "(none)") < 0 && size > 0)
		buf[0] = '\0';
	n = cli_signer_ids(sig, ids, CLI_MAX_IDS);
	for (i = 0; i < n; i++) {
		k = snprintf(buf + off, size - off, "%s%s", i > 0 ? " :: " : "",
		    ids[i]);
		if (k < 0 || (size_t)k >= size - off) {
			buf[off] = '\0';	/* keep whole names only */
			break;
		}
		off += (size_t)k;
	}
	return buf;
}

void
cli_put_time(FILE *f, int64_t t)
{
	char utc[32];

	fprintf(f, "%lld (%s)", (long long)t,
	    kts_time_utc(t, utc, sizeof(utc)));
}

void
cli_put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", (unsigned)*p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
cli_put_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", (unsigned)p[i]);
}

char *
cli_pubstr(uint64_t t, const struct kts_imprint *h, char *buf, size_t size)
{
	if (kts_pubstr_encode(t, h, buf, size) != 0 && size > 0)
		buf[0] = '\0';
	return buf;
}
