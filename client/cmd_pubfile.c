/*
 * cmd_pubfile.c - `kts pubfile`: verify a publications file (KSI spec
 * 6.4) and list its publications and calendar signing certificates
 * (spec 6.3).  The listing is printed whether or not the file verifies;
 * the exit code says which (0 verified, 6 not).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "json.h"
#include "limits.h"
#include "pub.h"
#include "util.h"

struct popts {
	const char *path;		/* -P */
	struct cli_trust trust;		/* -V, --cnstr, --pubfile-time */
	int json;
};

/* What the check said. */
struct pcheck {
	int ok;
	int64_t at;			/* -1 = now */
	char why[512];
};

static const struct option long_opts[] = {
	{ "publications-file", required_argument, NULL, 'P' },
	{ "cnstr", required_argument, NULL, CLI_OPT_CNSTR },
	{ "pubfile-time", required_argument, NULL, CLI_OPT_PUBFILE_TIME },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fputs("usage: kts pubfile -P FILE [--cnstr OID=VALUE]... [-V CERT]...\n"
	    "           [--pubfile-time now|created|EPOCH|ISO] [--json]\n"
	    "\n"
	    "  -P FILE             publications file ('-' = stdin)\n"
	    "  -V CERT             trusted certificate (PEM); may repeat; the\n"
	    "                      system store is also used\n"
	    "  --cnstr OID=VALUE   required field of the signer's subject, e.g.\n"
	    "                      E=publications@guardtime.com (at least one)\n"
	    "  --pubfile-time T    check certificates at T: now (default), created,\n"
	    "                      seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ]\n"
	    "  --json              print one JSON object\n"
	    "\n"
	    "Lists the publications and certificates even when the file does not\n"
	    "verify.  Exit codes: 0 verified, 6 not verified, 4 bad format,\n"
	    "9 I/O error, 3 bad arguments.\n", f);
}

static int
parse_args(int argc, char **argv, struct popts *o)
{
	int c;
	int rc;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "P:V:h", long_opts, NULL)) != -1) {
		if (c == 'P')
			o->path = optarg;
		else if (c == CLI_OPT_JSON)
			o->json = 1;
		else if (c == 'V' || c == CLI_OPT_CNSTR ||
		    c == CLI_OPT_PUBFILE_TIME) {
			if ((rc = cli_trust_opt(&o->trust, c, optarg)) != 0)
				return rc;
		} else if (c == 'h') {
			usage(stdout);
			return -1;
		} else {
			fputs("Run 'kts pubfile --help' for the options.\n",
			    stderr);
			return CLI_EXIT_ARGS;
		}
	}
	if (o->path == NULL || optind < argc) {
		cli_err("pubfile: %s", o->path == NULL ? "-P FILE is required" :
		    "unexpected argument");
		return CLI_EXIT_ARGS;
	}
	return CLI_EXIT_OK;
}

/* Subject and validity of a certificate, with fallbacks on failure. */
static void
cert_info(const struct kts_pf_cert *c, char *subj, size_t size, int64_t *nb,
    int64_t *na)
{
	if (kts_cert_subject(c->der, c->der_len, subj, size) != 0)
		snprintf(subj, size, "%s", "(certificate does not parse)");
	if (kts_cert_validity(c->der, c->der_len, nb, na) != 0) {
		*nb = -1;
		*na = -1;
	}
}

static void
print_text(const struct popts *o, const struct kts_pubfile *pf,
    const struct pcheck *ck)
{
	char buf[KTS_MAX_PUBSTR];
	char subj[512];
	char hex[2 * KTS_IMPRINT_MAX + 1];
	char t1[32];
	char t2[32];
	int64_t nb;
	int64_t na;
	size_t i;

	printf("publications file %s: %s%s%s\n", o->path,
	    ck->ok ? "verified OK" : "NOT verified", ck->ok ? "" : ": ",
	    ck->ok ? "" : ck->why);
	printf("  created: ");
	cli_put_time(stdout, kts_pubfile_created(pf));
	printf("\n  checked at: ");
	if (ck->at >= 0)
		cli_put_time(stdout, ck->at);
	else
		fputs("now", stdout);
	printf("\n  repository: %s\n", pf->repo_uri != NULL ? pf->repo_uri :
	    "(none)");
	printf("\npublications (%zu):\n", pf->n_pubs);
	for (i = 0; i < pf->n_pubs; i++) {
		const struct kts_pubdata *d = &pf->pubs[i].data;

		printf("  %s  %s\n      %s\n", kts_time_utc((int64_t)d->time,
		    t1, sizeof(t1)), cli_pubstr(d->time, &d->hash, buf,
		    sizeof(buf)), kts_imprint_hex(&d->hash, hex));
	}
	printf("\ncertificates (%zu):\n", pf->n_certs);
	for (i = 0; i < pf->n_certs; i++) {
		cert_info(&pf->certs[i], subj, sizeof(subj), &nb, &na);
		fputs("  ", stdout);
		cli_put_hex(stdout, pf->certs[i].id, pf->certs[i].id_len);
		printf("  %s .. %s  %s\n", kts_time_utc(nb, t1, sizeof(t1)),
		    kts_time_utc(na, t2, sizeof(t2)), subj);
	}
}

static void
json_lists(struct jw *w, const struct kts_pubfile *pf)
{
	char buf[KTS_MAX_PUBSTR];
	char subj[512];
	int64_t nb;
	int64_t na;
	size_t i;

	jw_arr_begin(w, "publications");
	for (i = 0; i < pf->n_pubs; i++) {
		const struct kts_pubdata *d = &pf->pubs[i].data;

		jw_obj_begin(w, NULL);
		jw_time(w, "time", (int64_t)d->time);
		jw_imprint(w, "hash", &d->hash);
		jw_str(w, "publication_string",
		    cli_pubstr(d->time, &d->hash, buf, sizeof(buf)));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "certificates");
	for (i = 0; i < pf->n_certs; i++) {
		cert_info(&pf->certs[i], subj, sizeof(subj), &nb, &na);
		jw_obj_begin(w, NULL);
		jw_hex(w, "id", pf->certs[i].id, pf->certs[i].id_len);
		jw_str(w, "subject", subj);
		jw_time(w, "not_before", nb);
		jw_time(w, "not_after", na);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void
print_json(const struct popts *o, const struct kts_pubfile *pf,
    const struct pcheck *ck)
{
	struct jw w;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "publications_file", o->path);
	jw_bool(&w, "verified", ck->ok);
	jw_str(&w, "error", ck->ok ? NULL : ck->why);
	if (ck->at >= 0)
		jw_time(&w, "verification_time", ck->at);
	else
		jw_str(&w, "verification_time", "now");
	jw_time(&w, "created", kts_pubfile_created(pf));
	jw_str(&w, "repository_uri", pf->repo_uri);
	json_lists(&w, pf);
	jw_obj_end(&w);
	jw_finish(&w);
}

int
cmd_pubfile(int argc, char **argv)
{
	struct kts_pubfile *pf = NULL;
	struct pcheck ck;
	struct popts o;
	int rc;
	int r;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if ((rc = cli_load_pubfile(o.path, &pf)) != 0)
		return rc;
	memset(&ck, 0, sizeof(ck));
	r = cli_pubfile_check(&o.trust, pf, &ck.at, ck.why, sizeof(ck.why));
	ck.ok = r == 0;
	if (r == KTS_ENOMEM) {
		cli_err("out of memory");
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	if (o.json)
		print_json(&o, pf, &ck);
	else
		print_text(&o, pf, &ck);
	rc = ck.ok ? CLI_EXIT_OK : CLI_EXIT_VERIFY;
out:
	kts_pubfile_free(pf);
	return rc;
}
