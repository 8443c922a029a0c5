/*
 * cmd_dump.c - `kts dump`: print the structure of a signature (KSI spec
 * section 3) as text or JSON.  Nothing is verified; the only computed
 * values are each aggregation chain's output and the calendar root,
 * shown so that a reader can follow the hash steps.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "common.h"
#include "json.h"
#include "limits.h"
#include "pub.h"
#include "util.h"

static const struct option long_opts[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fputs("usage: kts dump -i SIG [--json]\n"
	    "\n"
	    "  -i SIG    signature file ('-' = stdin)\n"
	    "  --json    print one JSON object\n"
	    "\n"
	    "Prints every aggregation chain (time, chain index, input hash,\n"
	    "algorithm, links), the calendar chain, the publication record, the\n"
	    "calendar authentication record and the RFC 3161 record.  Nothing\n"
	    "is verified: use 'kts verify' for that.\n", f);
}

/* Computed outputs along the chains; ok[i] = 0 once a chain fails. */
struct outputs {
	struct kts_imprint out[KTS_MAX_AGGR_CHAINS];
	unsigned level[KTS_MAX_AGGR_CHAINS];
	uint8_t ok[KTS_MAX_AGGR_CHAINS];
	struct kts_imprint cal_root;
	uint8_t cal_ok;
};

static void
compute(const struct kts_sig *s, struct outputs *o)
{
	unsigned level = 0;
	size_t i;

	memset(o, 0, sizeof(*o));
	/* Spec 4.2: the level carries from one chain to the next. */
	for (i = 0; i < s->n_chains; i++) {
		if (kts_aggr_chain_compute(&s->chains[i], &level,
		    &o->out[i]) != 0)
			break;
		o->level[i] = level;
		o->ok[i] = 1;
	}
	if (s->has_cal && kts_cal_chain_compute(&s->cal, &o->cal_root) == 0)
		o->cal_ok = 1;
}

static const char *
dir_name(uint8_t dir)
{
	return dir == KTS_LINK_LEFT ? "left" : "right";
}

/* ---- text --------------------------------------------------------------- */

static void
put_imprint(const char *label, const struct kts_imprint *im)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];

	printf("  %-22s %s\n", label, kts_imprint_hex(im, hex));
}

static void
put_time(const char *label, uint64_t t)
{
	printf("  %-22s ", label);
	cli_put_time(stdout, (int64_t)t);
	putchar('\n');
}

static void
put_index(const char *label, const uint64_t *idx, size_t n)
{
	size_t i;

	printf("  %-22s [", label);
	for (i = 0; i < n; i++)
		printf("%s%" PRIu64, i > 0 ? ", " : "", idx[i]);
	printf("]\n");
}

static void
put_meta(const struct kts_meta *m)
{
	fputs("metadata client_id=", stdout);
	cli_put_str(stdout, m->client_id != NULL ? m->client_id : "");
	if (m->machine_id != NULL) {
		fputs(" machine_id=", stdout);
		cli_put_str(stdout, m->machine_id);
	}
	if (m->has_seq)
		printf(" seq=%" PRIu64, m->seq);
	if (m->has_req_time)
		printf(" req_time=%" PRIu64 "us", m->req_time);
	if (m->has_padding)
		fputs(" (padded)", stdout);
}

static void
put_link(size_t n, const struct kts_aggr_link *l)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];
	struct kts_imprint im;

	printf("    %3zu  %-5s  +%-3" PRIu64 " ", n, dir_name(l->dir), l->corr);
	if (l->kind == KTS_SIB_META)
		put_meta(&l->meta);
	else if (l->kind == KTS_SIB_LEGACY) {
		fputs("legacy id ", stdout);
		cli_put_str(stdout, l->legacy_name);
	} else if (kts_imprint_parse(l->sib, l->sib_len, &im) == 0)
		printf("hash %s", kts_imprint_hex(&im, hex));
	else {
		fputs("hash ", stdout);
		cli_put_hex(stdout, l->sib, l->sib_len);
	}
	putchar('\n');
}

static void
text_chain(const struct kts_sig *s, size_t i, const struct outputs *o)
{
	const struct kts_aggr_chain *c = &s->chains[i];
	size_t j;

	printf("\naggregation chain %zu of %zu\n", i + 1, s->n_chains);
	put_time("aggregation time:", c->time);
	put_index("chain index:", c->idx, c->n_idx);
	put_imprint("input hash:", &c->input);
	if (c->input_data != NULL) {
		printf("  %-22s ", "input data:");
		cli_put_hex(stdout, c->input_data, c->input_data_len);
		putchar('\n');
	}
	printf("  %-22s %s (0x%02x)\n", "algorithm:", kts_hash_name(c->alg),
	    (unsigned)c->alg);
	if (o->ok[i]) {
		put_imprint("output (computed):", &o->out[i]);
		printf("  %-22s %u\n", "output level:", o->level[i]);
	} else
		printf("  %-22s (cannot be computed)\n", "output (computed):");
	printf("  links (%zu, leaf first; direction, level correction, "
	    "sibling):\n", c->n_links);
	for (j = 0; j < c->n_links; j++)
		put_link(j + 1, &c->links[j]);
}

static void
text_calendar(const struct kts_sig *s, const struct outputs *o)
{
	const struct kts_cal_chain *c = &s->cal;
	char hex[2 * KTS_IMPRINT_MAX + 1];
	size_t j;

	if (!s->has_cal)
		return;
	printf("\ncalendar chain\n");
	put_time("publication time:", c->pub_time);
	if (c->has_aggr_time)
		put_time("aggregation time:", c->aggr_time);
	else
		printf("  %-22s (absent: the publication time)\n",
		    "aggregation time:");
	put_imprint("input hash:", &c->input);
	if (o->cal_ok)
		put_imprint("root (computed):", &o->cal_root);
	printf("  links (%zu, leaf first):\n", c->n_links);
	for (j = 0; j < c->n_links; j++)
		printf("    %3zu  %-5s  %s\n", j + 1, dir_name(c->links[j].dir),
		    kts_imprint_hex(&c->links[j].sib, hex));
}

static void
text_pubrec(const struct kts_pubrec *p)
{
	char buf[KTS_MAX_PUBSTR];
	size_t i;

	printf("\npublication record\n");
	put_time("publication time:", p->data.time);
	put_imprint("published hash:", &p->data.hash);
	printf("  %-22s %s\n", "publication string:",
	    cli_pubstr(p->data.time, &p->data.hash, buf, sizeof(buf)));
	for (i = 0; i < p->n_refs; i++) {
		printf("  %-22s ", "reference:");
		cli_put_str(stdout, p->refs[i]);
		putchar('\n');
	}
	for (i = 0; i < p->n_uris; i++) {
		printf("  %-22s ", "repository URI:");
		cli_put_str(stdout, p->uris[i]);
		putchar('\n');
	}
}

static void
text_sigdata(const struct kts_sigdata *d)
{
	printf("  %-22s ", "signature type:");
	cli_put_str(stdout, d->type != NULL ? d->type : "");
	printf("\n  %-22s ", "certificate id:");
	cli_put_hex(stdout, d->cert_id, d->cert_id_len);
	printf("\n  %-22s %zu bytes\n", "signature value:", d->value_len);
	if (d->cert_uri != NULL) {
		printf("  %-22s ", "certificate URI:");
		cli_put_str(stdout, d->cert_uri);
		putchar('\n');
	}
}

static void
text_records(const struct kts_sig *s)
{
	const struct kts_rfc3161 *r = &s->rfc3161;

	if (s->has_pubrec)
		text_pubrec(&s->pubrec);
	if (s->has_calauth) {
		printf("\ncalendar authentication record\n");
		put_time("publication time:", s->calauth.data.time);
		put_imprint("published hash:", &s->calauth.data.hash);
		text_sigdata(&s->calauth.sig);
	}
	if (s->has_aggrauth) {
		printf("\naggregation authentication record\n");
		put_time("aggregation time:", s->aggrauth.time);
		put_index("chain index:", s->aggrauth.idx, s->aggrauth.n_idx);
		put_imprint("input hash:", &s->aggrauth.input);
		text_sigdata(&s->aggrauth.sig);
	}
	if (!s->has_rfc3161)
		return;
	printf("\nRFC 3161 record\n");
	put_time("aggregation time:", r->time);
	put_index("chain index:", r->idx, r->n_idx);
	put_imprint("input hash:", &r->input);
	printf("  %-22s %s (0x%02" PRIx64 "), prefix %zu, suffix %zu bytes\n",
	    "TSTInfo algorithm:", r->tst_alg <= 0xff ?
	    kts_hash_name((uint8_t)r->tst_alg) : "unknown", r->tst_alg,
	    r->tst_prefix_len, r->tst_suffix_len);
	printf("  %-22s %s (0x%02" PRIx64 "), prefix %zu, suffix %zu bytes\n",
	    "signed attributes:", r->sa_alg <= 0xff ?
	    kts_hash_name((uint8_t)r->sa_alg) : "unknown", r->sa_alg,
	    r->sa_prefix_len, r->sa_suffix_len);
}

static void
print_text(const char *path, const struct kts_sig *s, const struct outputs *o)
{
	char buf[CLI_MAX_SIGNER];
	size_t i;

	printf("signature %s (%zu bytes)\n", path, s->len);
	put_imprint("document hash:", kts_sig_doc_hash(s));
	put_time("signing time:", kts_sig_signing_time(s));
	printf("  %-22s %s\n", "signer:", cli_signer_str(s, buf, sizeof(buf)));
	if (s->unknown.n > 0)
		printf("  %-22s %zu\n", "unknown elements:", s->unknown.n);
	for (i = 0; i < s->n_chains; i++)
		text_chain(s, i, o);
	text_calendar(s, o);
	text_records(s);
}

/* ---- JSON --------------------------------------------------------------- */

static void
json_index(struct jw *w, const char *key, const uint64_t *idx, size_t n)
{
	size_t i;

	jw_arr_begin(w, key);
	for (i = 0; i < n; i++)
		jw_u64(w, NULL, idx[i]);
	jw_arr_end(w);
}

static void
json_link(struct jw *w, const struct kts_aggr_link *l)
{
	struct kts_imprint im;

	jw_obj_begin(w, NULL);
	jw_str(w, "direction", dir_name(l->dir));
	jw_u64(w, "level_correction", l->corr);
	if (l->kind == KTS_SIB_META) {
		jw_obj_begin(w, "metadata");
		jw_str(w, "client_id", l->meta.client_id);
		jw_str(w, "machine_id", l->meta.machine_id);
		if (l->meta.has_seq)
			jw_u64(w, "sequence_number", l->meta.seq);
		if (l->meta.has_req_time)
			jw_u64(w, "request_time_us", l->meta.req_time);
		jw_bool(w, "padding", l->meta.has_padding);
		jw_obj_end(w);
	} else if (l->kind == KTS_SIB_LEGACY)
		jw_str(w, "legacy_id", l->legacy_name);
	else if (kts_imprint_parse(l->sib, l->sib_len, &im) == 0)
		jw_imprint(w, "sibling", &im);
	else
		jw_hex(w, "sibling", l->sib, l->sib_len);
	jw_obj_end(w);
}

static void
json_chain(struct jw *w, const struct kts_aggr_chain *c,
    const struct outputs *o, size_t i)
{
	size_t j;

	jw_obj_begin(w, NULL);
	jw_time(w, "aggregation_time", (int64_t)c->time);
	json_index(w, "chain_index", c->idx, c->n_idx);
	jw_imprint(w, "input_hash", &c->input);
	jw_hex(w, "input_data", c->input_data, c->input_data_len);
	jw_str(w, "algorithm", kts_hash_name(c->alg));
	jw_imprint(w, "output_hash", o->ok[i] ? &o->out[i] : NULL);
	jw_arr_begin(w, "links");
	for (j = 0; j < c->n_links; j++)
		json_link(w, &c->links[j]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_calendar(struct jw *w, const struct kts_sig *s, const struct outputs *o)
{
	const struct kts_cal_chain *c = &s->cal;
	size_t j;

	if (!s->has_cal) {
		jw_null(w, "calendar_chain");
		return;
	}
	jw_obj_begin(w, "calendar_chain");
	jw_time(w, "publication_time", (int64_t)c->pub_time);
	jw_time(w, "aggregation_time", (int64_t)c->aggr_time);
	jw_bool(w, "has_aggregation_time", c->has_aggr_time);
	jw_imprint(w, "input_hash", &c->input);
	jw_imprint(w, "root", o->cal_ok ? &o->cal_root : NULL);
	jw_arr_begin(w, "links");
	for (j = 0; j < c->n_links; j++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "direction", dir_name(c->links[j].dir));
		jw_imprint(w, "sibling", &c->links[j].sib);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_pubrec(struct jw *w, const struct kts_sig *s)
{
	const struct kts_pubrec *p = &s->pubrec;
	char buf[KTS_MAX_PUBSTR];
	size_t i;

	if (!s->has_pubrec) {
		jw_null(w, "publication_record");
		return;
	}
	jw_obj_begin(w, "publication_record");
	jw_time(w, "publication_time", (int64_t)p->data.time);
	jw_imprint(w, "published_hash", &p->data.hash);
	jw_str(w, "publication_string",
	    cli_pubstr(p->data.time, &p->data.hash, buf, sizeof(buf)));
	jw_arr_begin(w, "references");
	for (i = 0; i < p->n_refs; i++)
		jw_str(w, NULL, p->refs[i]);
	jw_arr_end(w);
	jw_arr_begin(w, "repository_uris");
	for (i = 0; i < p->n_uris; i++)
		jw_str(w, NULL, p->uris[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_sigdata(struct jw *w, const struct kts_sigdata *d)
{
	jw_str(w, "signature_type", d->type);
	jw_hex(w, "certificate_id", d->cert_id, d->cert_id_len);
	jw_u64(w, "signature_value_bytes", d->value_len);
	jw_str(w, "certificate_uri", d->cert_uri);
}

static void
json_auth(struct jw *w, const struct kts_sig *s)
{
	if (!s->has_calauth) {
		jw_null(w, "calendar_auth_record");
	} else {
		jw_obj_begin(w, "calendar_auth_record");
		jw_time(w, "publication_time", (int64_t)s->calauth.data.time);
		jw_imprint(w, "published_hash", &s->calauth.data.hash);
		json_sigdata(w, &s->calauth.sig);
		jw_obj_end(w);
	}
	if (!s->has_aggrauth) {
		jw_null(w, "aggregation_auth_record");
		return;
	}
	jw_obj_begin(w, "aggregation_auth_record");
	jw_time(w, "aggregation_time", (int64_t)s->aggrauth.time);
	json_index(w, "chain_index", s->aggrauth.idx, s->aggrauth.n_idx);
	jw_imprint(w, "input_hash", &s->aggrauth.input);
	json_sigdata(w, &s->aggrauth.sig);
	jw_obj_end(w);
}

static void
json_rfc3161(struct jw *w, const struct kts_sig *s)
{
	const struct kts_rfc3161 *r = &s->rfc3161;

	if (!s->has_rfc3161) {
		jw_null(w, "rfc3161_record");
		return;
	}
	jw_obj_begin(w, "rfc3161_record");
	jw_time(w, "aggregation_time", (int64_t)r->time);
	json_index(w, "chain_index", r->idx, r->n_idx);
	jw_imprint(w, "input_hash", &r->input);
	jw_u64(w, "tstinfo_algorithm", r->tst_alg);
	jw_hex(w, "tstinfo_prefix", r->tst_prefix, r->tst_prefix_len);
	jw_hex(w, "tstinfo_suffix", r->tst_suffix, r->tst_suffix_len);
	jw_u64(w, "signed_attributes_algorithm", r->sa_alg);
	jw_hex(w, "signed_attributes_prefix", r->sa_prefix, r->sa_prefix_len);
	jw_hex(w, "signed_attributes_suffix", r->sa_suffix, r->sa_suffix_len);
	jw_obj_end(w);
}

static void
print_json(const char *path, const struct kts_sig *s, const struct outputs *o)
{
	const char *ids[CLI_MAX_IDS];
	struct jw w;
	size_t n;
	size_t i;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "signature", path);
	jw_u64(&w, "size", s->len);
	jw_str(&w, "hash_algorithm", kts_hash_name(kts_sig_doc_hash(s)->alg));
	jw_imprint(&w, "document_hash", kts_sig_doc_hash(s));
	jw_time(&w, "signing_time", (int64_t)kts_sig_signing_time(s));
	jw_arr_begin(&w, "signer");
	n = cli_signer_ids(s, ids, CLI_MAX_IDS);
	for (i = 0; i < n; i++)
		jw_str(&w, NULL, ids[i]);
	jw_arr_end(&w);
	jw_arr_begin(&w, "aggregation_chains");
	for (i = 0; i < s->n_chains; i++)
		json_chain(&w, &s->chains[i], o, i);
	jw_arr_end(&w);
	json_calendar(&w, s, o);
	json_pubrec(&w, s);
	json_auth(&w, s);
	json_rfc3161(&w, s);
	jw_obj_end(&w);
	jw_finish(&w);
}

/* ---- the command -------------------------------------------------------- */

int
cmd_dump(int argc, char **argv)
{
	static struct outputs o;	/* ~20 KB: keep it off the stack */
	struct kts_sig *s = NULL;
	const char *path = NULL;
	int json = 0;
	int rc;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:h", long_opts, NULL)) != -1) {
		if (c == 'i')
			path = optarg;
		else if (c == CLI_OPT_JSON)
			json = 1;
		else if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		} else {
			fputs("Run 'kts dump --help' for the options.\n", stderr);
			return CLI_EXIT_ARGS;
		}
	}
	if (path == NULL || optind < argc) {
		cli_err("dump: %s", path == NULL ? "-i SIG is required" :
		    "unexpected argument");
		return CLI_EXIT_ARGS;
	}
	if ((rc = cli_load_sig(path, &s)) != 0)
		return rc;
	compute(s, &o);
	if (json)
		print_json(path, s, &o);
	else
		print_text(path, s, &o);
	kts_sig_free(s);
	return CLI_EXIT_OK;
}
