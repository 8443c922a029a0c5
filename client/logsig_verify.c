/*
 * logsig_verify.c - `kts logsig verify`: check a log against its
 * signature file (or an excerpt against its record proofs), block by
 * block, with a KSI policy for each block signature, and name the first
 * failure by line, block and kind (spec/logsig.md 2.9).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "limits.h"
#include "logsig_cli.h"
#include "trust.h"
#include "util.h"

struct vopts {
	struct cli_vtrust t;		/* -P, -V, --cnstr, --pub-str, -X */
	char **args;			/* LOG [LOGSIG], or LOG... after -- */
	int n_args;
	int chain;			/* "--" given: every arg is a log */
	int excerpt;			/* --excerpt */
	const char *input_hash;		/* --input-hash */
	unsigned flags;			/* KTS_LS_V_* */
	int json;			/* --json */
	int quiet;			/* -q */
	int proofs;			/* kts logsig proofs */
	int no_text;			/* proofs --no-message */
};

/* One verification's state, passed to the policy and block hooks. */
struct vrun {
	struct vopts *o;
	struct kts_vctx ctx;		/* trust, filled once */
	struct jw w;			/* --json */
	uint64_t first_time;
	uint64_t last_time;
	uint64_t unsigned_blocks;
	enum kts_policy decided;	/* the policy that decided, last */
	struct ls_diag diag;		/* a changed line told apart */
	struct ls_bstat *st;		/* proofs: every block's verdict */
	uint64_t n_st;
	uint64_t cap_st;
};

enum {
	OPT_INPUT_HASH = 0x200,
	OPT_IGNORE_TIME,
	OPT_EXCERPT,
	OPT_LEGACY_LEVEL,
	OPT_NO_TEXT
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig verify [OPTIONS] LOG [LOGSIG]\n"
	    "       kts logsig verify [OPTIONS] -- LOG...\n"
	    "       kts logsig verify [OPTIONS] --excerpt EXCERPT [PROOFS]\n"
	    "\n"
	    "Check that a log is exactly the one signed: every line, the\n"
	    "order, nothing missing or added.  LOGSIG defaults to LOG.logsig;\n"
	    "after -- several logs are checked as one chain, in order.  With\n"
	    "--excerpt, check lines cut out by 'kts logsig extract' against\n"
	    "their proofs (default EXCERPT.logsig).\n"
	    "  --ver-int           hashes and the signatures' internal\n"
	    "                      consistency only\n"
	    "  --ver-key           key-based (needs -P)\n"
	    "  --ver-pub           publication-based (-P, or --pub-str)\n"
	    "  --ver-cal           calendar-based (needs -X)\n"
	    CLI_TRUST_USAGE
	    "  --input-hash H      the first block must continue from H\n"
	    "                      (ALG:HEX: the previous log's output hash)\n"
	    "  --ignore-desc-block-time  accept blocks signed earlier than\n"
	    "                      the block before them (re-signed blocks)\n"
	    "  --legacy-level      accept blocks signed at one level less\n"
	    "                      (rsyslog before 2017)\n"
	    "  --json              print one JSON object\n"
	    "  -q                  print nothing; the exit code tells\n"
	    "Without a policy flag the general policy runs (internal, then the\n"
	    "publication, then the key).\n"
	    "Exit codes: 0 verified, 1 inconclusive (an unsigned block, no\n"
	    "trust anchor) or error, 3 bad arguments, 4 a file does not parse,\n"
	    "6 verification failed, 9 I/O error.\n", f);
}

static const struct option long_opts[] = {
	CLI_TRUST_LONG_OPTS,
	{ "input-hash", required_argument, NULL, OPT_INPUT_HASH },
	{ "ignore-desc-block-time", no_argument, NULL, OPT_IGNORE_TIME },
	{ "legacy-level", no_argument, NULL, OPT_LEGACY_LEVEL },
	{ "excerpt", no_argument, NULL, OPT_EXCERPT },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "no-message", no_argument, NULL, OPT_NO_TEXT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage_proofs(FILE *f)
{
	fputs("usage: kts logsig proofs [OPTIONS] LOG [LOGSIG] [--json]\n"
	    "\n"
	    "Verify the log as 'kts logsig verify' does, then print one JSON\n"
	    "line for every log line (JSON Lines, for a SIEM): the file, the\n"
	    "line number, its record hash, its block, the block's signing\n"
	    "time and verdict, the proof from the record to the block root,\n"
	    "and the line itself as \"message\".\n"
	    "Options: the policy and trust options of 'kts logsig verify',\n"
	    "--input-hash, --ignore-desc-block-time, --legacy-level, and\n"
	    "  --no-message        leave the line's text out\n"
	    "Exit codes as 'kts logsig verify'.\n", f);
}

/* One option; an exit code, or -1 after --help. */
static int
take_opt(struct vopts *o, int c, char *arg)
{
	int rc;

	if ((rc = cli_vtrust_opt(&o->t, c, arg)) != -2)
		return rc;
	switch (c) {
	case OPT_INPUT_HASH:	o->input_hash = arg; return 0;
	case OPT_IGNORE_TIME:	o->flags |= KTS_LS_V_IGNORE_TIME; return 0;
	case OPT_LEGACY_LEVEL:	o->flags |= KTS_LS_V_LEGACY_LEVEL; return 0;
	case OPT_EXCERPT:	o->excerpt = 1; return 0;
	case CLI_OPT_JSON:	o->json = 1; return 0;
	case OPT_NO_TEXT:	o->no_text = 1; return 0;
	case 'q':	o->quiet = 1; return 0;
	case 'h':
		if (o->proofs)
			usage_proofs(stdout);
		else
			usage(stdout);
		return -1;
	}
	fputs("Run 'kts logsig verify --help' for the options.\n", stderr);
	return CLI_EXIT_ARGS;
}

static int
check_args(struct vopts *o)
{
	if (o->n_args == 0) {
		cli_err("logsig verify: name the log to check");
		return CLI_EXIT_ARGS;
	}
	if (!o->chain && o->n_args > 2) {
		cli_err("logsig verify: give LOG [LOGSIG], or -- LOG... to "
		    "check several logs as a chain");
		return CLI_EXIT_ARGS;
	}
	if (o->proofs && (o->chain || o->excerpt)) {
		cli_err("logsig proofs: give one LOG [LOGSIG]");
		return CLI_EXIT_ARGS;
	}
	if (o->chain && o->excerpt) {
		cli_err("logsig verify: --excerpt checks one excerpt");
		return CLI_EXIT_ARGS;
	}
	return cli_vtrust_check(&o->t, "logsig verify");
}

static int
parse_args(int argc, char **argv, struct vopts *o)
{
	int c;
	int rc;
	int i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh" CLI_TRUST_SHORT_OPTS,
	    long_opts, NULL)) != -1)
		if ((rc = take_opt(o, c, optarg)) != 0)
			return rc;
	/* getopt_long stops after "--"; was it there? */
	for (i = 1; i < optind; i++)
		if (strcmp(argv[i], "--") == 0)
			o->chain = 1;
	o->args = argv + optind;
	o->n_args = argc - optind;
	return check_args(o);
}

/* ---- files ---------------------------------------------------------------- */

/* ---- hooks ----------------------------------------------------------------- */

static int
policy_fn(void *arg, const struct kts_sig *sig,
    const struct kts_imprint *doc_hash, unsigned level,
    struct kts_vresult *res)
{
	struct vrun *v = arg;
	struct kts_vctx ctx = v->ctx;
	int r;

	ctx.doc_hash = doc_hash;
	ctx.level = level;
	r = kts_verify(sig, (enum kts_policy)v->o->t.policy, &ctx, res);
	if (r == 0)
		v->decided = res->policy;
	return r;
}

static const char *
status_word(enum kts_ls_status s)
{
	switch (s) {
	case KTS_LS_OK:			return "OK";
	case KTS_LS_INCONCLUSIVE:	return "INCONCLUSIVE";
	default:			return "FAILED";
	}
}

/* proofs: remember every block's verdict for its lines. */
static void
keep_status(struct vrun *v, const struct kts_ls_binfo *bi)
{
	struct ls_bstat *p;
	uint64_t cap;

	if (bi->block == 0 || bi->block > KTS_LS_MAX_BLOCKS)
		return;
	if (bi->block > v->cap_st) {
		cap = v->cap_st == 0 ? 64 : v->cap_st * 2;
		while (cap < bi->block)
			cap *= 2;
		if ((p = realloc(v->st, cap * sizeof(*p))) == NULL)
			return;	/* its lines print as not checked */
		memset(p + v->cap_st, 0, (cap - v->cap_st) * sizeof(*p));
		v->st = p;
		v->cap_st = cap;
	}
	p = &v->st[bi->block - 1];
	p->checked = 1;
	p->status = bi->status;
	p->what = bi->what;
	p->sig_time = bi->sig_time;
	if (bi->block > v->n_st)
		v->n_st = bi->block;
}

static void
block_fn(void *arg, const struct kts_ls_binfo *bi)
{
	struct vrun *v = arg;
	struct jw *w = &v->w;

	if (bi->kind == KTS_LS_SIG_NONE)
		v->unsigned_blocks++;
	if (bi->sig_time != 0 && (v->first_time == 0 ||
	    bi->sig_time < v->first_time))
		v->first_time = bi->sig_time;
	if (bi->sig_time > v->last_time)
		v->last_time = bi->sig_time;
	if (v->o->proofs)
		keep_status(v, bi);
	if (!v->o->json || v->o->proofs)
		return;
	jw_obj_begin(w, NULL);
	jw_u64(w, "block", bi->block);
	jw_u64(w, "records", bi->records);
	if (bi->first_line != 0) {
		jw_u64(w, "first_line", bi->first_line);
		jw_u64(w, "last_line", bi->last_line);
	}
	jw_str(w, "signature", bi->kind == KTS_LS_SIG_KSI ? "ksi" :
	    bi->kind == KTS_LS_SIG_NONE ? "unsigned" : "rfc3161");
	if (bi->sig_time != 0)
		jw_time(w, "signing_time", (int64_t)bi->sig_time);
	jw_u64(w, "level", bi->level);
	jw_imprint(w, "root", bi->has_root ? &bi->root : NULL);
	jw_imprint(w, "output_hash", bi->has_output ? &bi->output : NULL);
	jw_str(w, "verdict", status_word(bi->status));
	if (bi->what != KTS_LSW_NONE)
		jw_str(w, "what", kts_ls_what_str(bi->what));
	jw_obj_end(w);
}

/* ---- the report ------------------------------------------------------------ */

/* The failure's kind and words, refined by the diagnosis. */
static const char *
what_word(const struct vrun *v, const struct kts_ls_vres *res)
{
	return v->diag.what != NULL ? v->diag.what :
	    kts_ls_what_str(res->what);
}

static const char *
detail_words(const struct vrun *v, const struct kts_ls_vres *res)
{
	if (v->diag.detail != NULL)
		return v->diag.detail;
	return res->detail != NULL ? res->detail : "";
}

static void
print_failure(const struct vrun *v, const char *log,
    const struct kts_ls_vres *res)
{
	printf("%s: verification %s\n", log, status_word(res->status));
	printf("  %-19s %s\n", "what:", what_word(v, res));
	if (res->line != 0)
		printf("  %-19s %llu\n", "line:",
		    (unsigned long long)res->line);
	if (res->block != 0)
		printf("  %-19s %llu\n", "block:",
		    (unsigned long long)res->block);
	if (res->rec != 0)
		printf("  %-19s %llu\n", "record in block:",
		    (unsigned long long)res->rec);
	if (res->tag != 0)
		printf("  %-19s offset %zu (tag 0x%x)\n", "signature file:",
		    res->off, (unsigned)res->tag);
	if (res->code != 0)
		printf("  %-19s %s: %s\n", "signature:",
		    kts_vcode_str(res->code), kts_vcode_msg(res->code));
	printf("  %-19s %s\n", "reason:", detail_words(v, res));
}

/* proofs: stdout is JSON Lines, so the verdict goes to stderr. */
static void
print_failure_stderr(const struct vrun *v, const char *log,
    const struct kts_ls_vres *res)
{
	if (res->status == KTS_LS_OK)
		return;
	cli_err("%s: verification %s: %s at line %llu, block %llu: %s", log,
	    status_word(res->status), what_word(v, res),
	    (unsigned long long)res->line, (unsigned long long)res->block,
	    detail_words(v, res));
}

static void
print_human(struct vrun *v, const char *log, const struct kts_ls_vres *res)
{
	const char *hint;
	char t1[32];
	char t2[32];
	char hex[2 * KTS_IMPRINT_MAX + 1];

	if (v->o->quiet)
		return;
	if (res->status != KTS_LS_OK) {
		print_failure(v, log, res);
		if (res->what == KTS_LSW_SIG_NA &&
		    (hint = cli_vtrust_hint(&v->o->t, v->o->t.policy)) != NULL)
			printf("  %-19s %s\n", "hint:", hint);
		return;
	}
	printf("%s: verification OK\n", log);
	printf("  %-19s %llu lines in %llu blocks\n", "content:",
	    (unsigned long long)res->lines, (unsigned long long)res->blocks);
	if (v->first_time != 0)
		printf("  %-19s %s to %s\n", "signed:",
		    kts_time_utc((int64_t)v->first_time, t1, sizeof(t1)),
		    kts_time_utc((int64_t)v->last_time, t2, sizeof(t2)));
	printf("  %-19s %s\n", "policy:", kts_policy_name(v->o->t.policy));
	if (res->has_output)
		printf("  %-19s %s\n", "output hash:",
		    kts_imprint_hex(&res->output, hex));
	cli_vtrust_print(&v->o->t);
}

static void
json_result(struct vrun *v, const struct kts_ls_vres *res)
{
	struct jw *w = &v->w;

	jw_arr_end(w);
	jw_str(w, "verdict", status_word(res->status));
	jw_u64(w, "lines", res->lines);
	jw_u64(w, "blocks_checked", res->blocks);
	jw_u64(w, "unsigned_blocks", v->unsigned_blocks);
	if (v->first_time != 0) {
		jw_time(w, "first_signing_time", (int64_t)v->first_time);
		jw_time(w, "last_signing_time", (int64_t)v->last_time);
	}
	jw_imprint(w, "output_hash", res->has_output ? &res->output : NULL);
	jw_str(w, "policy", kts_policy_name(v->o->t.policy));
	if (res->status == KTS_LS_OK) {
		jw_null(w, "failure");
	} else {
		jw_obj_begin(w, "failure");
		jw_str(w, "what", what_word(v, res));
		jw_str(w, "detail", detail_words(v, res));
		jw_u64(w, "line", res->line);
		jw_u64(w, "block", res->block);
		jw_u64(w, "record", res->rec);
		jw_u64(w, "offset", res->off);
		jw_u64(w, "tag", res->tag);
		jw_str(w, "signature_code", res->code != 0 ?
		    kts_vcode_str(res->code) : NULL);
		jw_obj_end(w);
	}
	cli_vtrust_json(w, &v->o->t);
}

static int
exit_for(const struct kts_ls_vres *res)
{
	if (res->status == KTS_LS_OK)
		return CLI_EXIT_OK;
	if (res->status == KTS_LS_INCONCLUSIVE)
		return CLI_EXIT_FAILURE;
	if (res->what == KTS_LSW_FORMAT)
		return CLI_EXIT_FORMAT;
	if (res->what == KTS_LSW_IO)
		return CLI_EXIT_IO;
	return CLI_EXIT_VERIFY;
}

/* ---- one file -------------------------------------------------------------- */

static int
open_log(const char *log, int *fd)
{
	if (strcmp(log, "-") == 0) {
		*fd = STDIN_FILENO;
		return CLI_EXIT_OK;
	}
	if ((*fd = open(log, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err("%s: cannot open: %s", log, strerror(errno));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

/* The signature file's name: given, or LOG + suffix. */
static char *
sig_name(const char *log, const char *given, const char *suffix)
{
	size_t n = strlen(log) + strlen(suffix) + 1;
	char *s;

	if (given != NULL)
		return strdup(given);
	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s%s", log, suffix);
	return s;
}

/*
 * rsyslog's async mode leaves LOG.logsig.parts/ (blocks.dat and
 * block-signatures.dat) instead of LOG.logsig: join them in memory.
 * Returns an exit code; *used 0 when there are no parts.
 */
static int
load_parts(const char *sigpath, struct ls_map *m, struct kts_ls_vres *res,
    int *used)
{
	struct ls_map blk = { NULL, 0, 0 };
	struct ls_map sig = { NULL, 0, 0 };
	char bpath[4096];
	char spath[4096];
	struct kts_wr wr;
	int rc;
	int r;

	*used = 0;
	snprintf(bpath, sizeof(bpath), "%s.parts/blocks.dat", sigpath);
	snprintf(spath, sizeof(spath), "%s.parts/block-signatures.dat",
	    sigpath);
	if (access(sigpath, F_OK) == 0 || access(bpath, F_OK) != 0)
		return CLI_EXIT_OK;
	*used = 1;
	if ((rc = ls_map(bpath, &blk)) != 0 || (rc = ls_map(spath, &sig)) != 0)
		goto out;
	kts_wr_init(&wr, KTS_LS_MAX_READ);
	r = kts_ls_integrate(blk.p, blk.len, sig.p, sig.len, 0, &wr, res);
	if (r == 0 && res->status != KTS_LS_FAILED &&
	    (r = kts_wr_take(&wr, &m->p, &m->len)) == 0)
		m->mapped = 0;
	kts_wr_free(&wr);
	if (r != 0) {
		cli_err("%s.parts: cannot join: %s", sigpath, kts_strerror(r));
		rc = CLI_EXIT_FAILURE;
	}
out:
	ls_unmap(&blk);
	ls_unmap(&sig);
	return rc;
}

/* The signature file, or its async parts joined. */
static int
load_sig(const char *sigpath, struct ls_map *m, struct kts_ls_vres *res,
    int *failed)
{
	int used;
	int rc;

	*failed = 0;
	memset(m, 0, sizeof(*m));
	if ((rc = load_parts(sigpath, m, res, &used)) != 0 || used) {
		*failed = rc == 0 && res->status == KTS_LS_FAILED;
		return rc;
	}
	return ls_map(sigpath, m);
}

/*
 * spec 2.1: a NUL byte at the start of a line ends the log for logksi's
 * reader.  Bytes after it are covered by no signature, so a log that
 * goes on after one does not verify, whatever the blocks before said.
 */
static void
nul_stop(const struct kts_ls_lines *lr, struct kts_ls_vres *res)
{
	if (res->status == KTS_LS_FAILED || lr->nul_line == 0 ||
	    !lr->done || (lr->start >= lr->end && lr->eof))
		return;
	res->status = KTS_LS_FAILED;
	res->what = KTS_LSW_EXTRA_RECORD;
	res->line = lr->nul_line;
	res->block = 0;
	res->rec = 0;
	res->tag = 0;
	res->detail = "a NUL byte starts this line: a log signature reader "
	    "stops there, so what follows is covered by no signature";
}

/* Check log against sigpath; res gets the verdict.  An exit code. */
static int
check_one(struct vrun *v, const char *log, const char *sigpath,
    struct kts_ls_vopts *lo, struct kts_ls_vres *res)
{
	struct kts_ls_lines lr;
	struct ls_map m;
	int failed;
	int fd = -1;
	int rc;
	int r;

	if ((rc = load_sig(sigpath, &m, res, &failed)) != 0 || failed)
		return rc;
	if ((rc = open_log(log, &fd)) != 0) {
		ls_unmap(&m);
		return rc;
	}
	if ((r = kts_ls_lines_fd(&lr, fd)) == 0) {
		if (v->o->excerpt)
			r = kts_ls_verify_excerpt(m.p, m.len, &lr, lo, res);
		else
			r = kts_ls_verify(m.p, m.len, &lr, lo, res);
		if (r == 0)
			nul_stop(&lr, res);
		kts_ls_lines_free(&lr);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	memset(&v->diag, 0, sizeof(v->diag));
	if (r == 0 && res->status == KTS_LS_FAILED && !v->o->excerpt)
		ls_diagnose(log, &m, res, &v->diag);
	ls_unmap(&m);
	if (r != 0) {
		cli_err("%s: verification could not run: %s", log,
		    kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static int
start_hash(const struct vopts *o, struct kts_imprint *im)
{
	if (kts_imprint_from_str(o->input_hash, im) == 0)
		return CLI_EXIT_OK;
	cli_err("--input-hash %s: expected ALG:HEX", o->input_hash);
	return CLI_EXIT_ARGS;
}

static void
json_begin(struct vrun *v, const char *log, const char *sigpath)
{
	if (!v->o->json)
		return;
	/* A chain prints one object a log, one a line. */
	if (v->o->chain)
		jw_init_line(&v->w, stdout);
	else
		jw_init(&v->w, stdout);
	jw_obj_begin(&v->w, NULL);
	jw_str(&v->w, v->o->excerpt ? "excerpt" : "log", log);
	jw_str(&v->w, "signature_file", sigpath);
	jw_arr_begin(&v->w, "blocks");
}

/* The failing block's verdict, if the verifier stopped inside it. */
static void
mark_failed(struct vrun *v, const struct kts_ls_vres *res)
{
	struct kts_ls_binfo bi;

	memset(&bi, 0, sizeof(bi));
	bi.block = res->block;
	bi.status = KTS_LS_FAILED;
	bi.what = res->what;
	if (res->block > v->n_st || !v->st[res->block - 1].checked)
		keep_status(v, &bi);
}

/* Verify logs [0, n) as one chain; an exit code. */
static int
run(struct vrun *v)
{
	struct vopts *o = v->o;
	struct kts_ls_vopts lo;
	struct kts_ls_vres res;
	struct kts_imprint start;
	char *sigpath = NULL;
	int n = o->chain ? o->n_args : 1;
	int rc = CLI_EXIT_OK;
	int i;

	memset(&lo, 0, sizeof(lo));
	lo.flags = o->flags;
	lo.sig_fn = policy_fn;
	lo.sig_arg = v;
	lo.block_fn = block_fn;
	lo.block_arg = v;
	if (o->input_hash != NULL) {
		if ((rc = start_hash(o, &start)) != 0)
			return rc;
		lo.input = &start;
	}
	for (i = 0; i < n && rc == CLI_EXIT_OK; i++) {
		free(sigpath);
		sigpath = sig_name(o->args[i], !o->chain && o->n_args == 2 ?
		    o->args[1] : NULL, ".logsig");
		if (sigpath == NULL) {
			cli_err("out of memory");
			return CLI_EXIT_FAILURE;
		}
		v->first_time = v->last_time = v->unsigned_blocks = 0;
		memset(&res, 0, sizeof(res));
		if (!o->proofs)
			json_begin(v, o->args[i], sigpath);
		if ((rc = check_one(v, o->args[i], sigpath, &lo, &res)) != 0)
			break;
		if (o->proofs) {
			if (res.status == KTS_LS_FAILED && res.block != 0)
				mark_failed(v, &res);
			rc = ls_proofs_emit(o->args[i], sigpath, v->st, v->n_st,
			    !o->no_text);
			if (rc != 0 || res.status != KTS_LS_OK)
				print_failure_stderr(v, o->args[i], &res);
			if (rc != 0 && res.status == KTS_LS_OK)
				break;
		} else if (o->json) {
			json_result(v, &res);
			jw_obj_end(&v->w);
			jw_finish(&v->w);
		} else {
			print_human(v, o->args[i], &res);
		}
		rc = exit_for(&res);
		/* The next log continues from this one. */
		if (res.has_output) {
			start = res.output;
			lo.input = &start;
		}
		lo.prev_time = res.last_time;
	}
	free(sigpath);
	return rc;
}

static int
verify_main(int argc, char **argv, int proofs)
{
	struct vopts o;
	struct vrun v;
	int rc;

	memset(&o, 0, sizeof(o));
	cli_vtrust_init(&o.t);
	o.proofs = proofs;
	memset(&v, 0, sizeof(v));
	v.o = &o;
	if ((rc = parse_args(argc, argv, &o)) != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((rc = cli_vtrust_load(&o.t, &v.ctx)) != 0)
		goto out;
	rc = run(&v);
out:
	free(v.st);
	cli_vtrust_free(&o.t);
	return rc;
}

int
ls_cmd_verify(int argc, char **argv)
{
	return verify_main(argc, argv, 0);
}

int
ls_cmd_proofs(int argc, char **argv)
{
	return verify_main(argc, argv, 1);
}
