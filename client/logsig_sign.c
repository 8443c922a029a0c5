/*
 * logsig_sign.c - `kts logsig sign`: sign log files block by block into
 * LOGSIG12 files, each block one KSI signature, several logs chained in
 * the order given (spec/logsig.md 2.3-2.7).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "limits.h"
#include "logsig_cli.h"
#include "util.h"

struct sopts {
	struct cli_service svc;		/* -S, --aggr-user, --aggr-key */
	struct ls_popts p;
	char **logs;			/* borrowed argv */
	int n_logs;
	const char *out;		/* -o */
	const char *state;		/* --state */
	const char *input_hash;		/* --input-hash */
	int alg_given;			/* -H */
	int from_stdin;			/* --log-from-stdin */
	uint64_t block_seconds;		/* --block-seconds */
	int json;			/* --json */
};

/* The summary of one signed log, for the report. */
struct done {
	const char *log;
	char *sigfile;			/* owned */
	uint64_t lines;
	uint64_t blocks;
	uint64_t records;
	uint64_t first_time;
	uint64_t last_time;
	uint64_t unsigned_blocks;
	struct kts_imprint output;
};

enum {
	OPT_BLOCK_RECORDS = 0x200,
	OPT_BLOCK_SECONDS,
	OPT_KEEP_REC,
	OPT_KEEP_TREE,
	OPT_STATE,
	OPT_INPUT_HASH,
	OPT_STDIN,
	OPT_SEED,
	OPT_SEED_LEN,
	OPT_WINDOW,
	OPT_UNSIGNED
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig sign [-S URL --aggr-user USER --aggr-key KEY]\n"
	    "           [--block-records N] [--block-seconds S]\n"
	    "           [--keep-record-hashes] [--keep-tree-hashes]\n"
	    "           [--state FILE | --input-hash ALG:HEX] [-H ALG]\n"
	    "           [-o OUT] [--json] [-q] (LOG... | --log-from-stdin)\n"
	    "\n"
	    "Sign log files block by block: every line gets a proof, and the\n"
	    "blocks and files are chained so that no line can be changed,\n"
	    "removed, added or moved unnoticed.  LOG's signature goes to\n"
	    "LOG.logsig; several logs are chained in the order given.\n"
	    "  -S URL              aggregator (default $KTS_AGGR_URL):\n"
	    "                      http://, ksi+http://USER:KEY@, ksi+tcp://\n"
	    "  --aggr-user USER    login id (default $KTS_USER or the URL's)\n"
	    "  --aggr-key KEY      HMAC key (default $KTS_KEY or the URL's)\n"
	    "  --block-records N   records in a block, its closing record\n"
	    "                      included (default 1024)\n"
	    "  --block-seconds S   with --log-from-stdin: close a block when a\n"
	    "                      line comes S seconds after its first one\n"
	    "  --keep-record-hashes  store every record's hash (a changed line\n"
	    "                      is then named exactly by verify)\n"
	    "  --keep-tree-hashes  store the block trees' hashes\n"
	    "  --state FILE        chain from the hash in FILE (KSISTAT10) and\n"
	    "                      leave the last hash there for the next log\n"
	    "  --input-hash H      chain from this hash (ALG:HEX)\n"
	    "  -H ALG              hash algorithm (default SHA-256, or the\n"
	    "                      state file's)\n"
	    "  -o OUT              signature file for a single log or stdin\n"
	    "                      ('-' = stdout)\n"
	    "  --log-from-stdin    sign the lines of standard input (needs -o)\n"
	    "  --seed FILE         seed source (default /dev/urandom)\n"
	    "  --seed-len N        seed bytes a block (default the hash size)\n"
	    "  --window N          signatures in flight (default 256)\n"
	    "  --unsigned          do not sign: leave every block with an\n"
	    "                      unsigned marker (for tests and offline use)\n"
	    "  --aggr-hmac-alg ALG HMAC algorithm (default SHA-256)\n"
	    "  -c SECONDS          network timeout (default 10)\n"
	    "  --json              print a JSON summary on stdout\n"
	    "  -q                  no progress display\n"
	    "Exit codes: 0 signed, 1 error, 3 bad arguments, 4 bad state file,\n"
	    "5 network error, 8 the aggregator refused, 9 I/O error, 14\n"
	    "authentication failed.\n", f);
}

static const struct option long_opts[] = {
	{ "aggr-user", required_argument, NULL, CLI_OPT_AGGR_USER },
	{ "aggr-key", required_argument, NULL, CLI_OPT_AGGR_KEY },
	{ "aggr-hmac-alg", required_argument, NULL, CLI_OPT_HMAC_ALG },
	{ "block-records", required_argument, NULL, OPT_BLOCK_RECORDS },
	{ "block-seconds", required_argument, NULL, OPT_BLOCK_SECONDS },
	{ "keep-record-hashes", no_argument, NULL, OPT_KEEP_REC },
	{ "keep-tree-hashes", no_argument, NULL, OPT_KEEP_TREE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "input-hash", required_argument, NULL, OPT_INPUT_HASH },
	{ "log-from-stdin", no_argument, NULL, OPT_STDIN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "seed-len", required_argument, NULL, OPT_SEED_LEN },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "unsigned", no_argument, NULL, OPT_UNSIGNED },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* One option; an exit code, or -1 after --help. */
static int
take_opt(struct sopts *o, int c, char *arg)
{
	uint64_t v;
	int rc;

	switch (c) {
	case 'S':	o->svc.url = arg; return 0;
	case CLI_OPT_AGGR_USER:	o->svc.user = arg; return 0;
	case CLI_OPT_AGGR_KEY:	o->svc.key = arg; return 0;
	case 'o':	o->out = arg; return 0;
	case 'q':	o->p.quiet = 1; return 0;
	case OPT_KEEP_REC:	o->p.flags |= KTS_LS_KEEP_REC; return 0;
	case OPT_KEEP_TREE:
		o->p.flags |= KTS_LS_KEEP_TREE | KTS_LS_KEEP_FINAL;
		return 0;
	case OPT_STATE:	o->state = arg; return 0;
	case OPT_INPUT_HASH:	o->input_hash = arg; return 0;
	case OPT_STDIN:	o->from_stdin = 1; return 0;
	case OPT_SEED:	o->p.seed_path = arg; return 0;
	case OPT_UNSIGNED:
		o->p.unsigned_text = "Not signed: --unsigned was given.";
		return 0;
	case CLI_OPT_JSON:	o->json = 1; return 0;
	case OPT_BLOCK_RECORDS:
		return ls_number("logsig sign", "--block-records", arg, 1,
		    LS_MAX_BLOCK_RECORDS, &o->p.block_records);
	case OPT_BLOCK_SECONDS:
		return ls_number("logsig sign", "--block-seconds", arg, 1, 86400,
		    &o->block_seconds);
	case OPT_SEED_LEN:
		rc = ls_number("logsig sign", "--seed-len", arg, 1, KTS_LS_MAX_SEED, &v);
		o->p.seed_len = (size_t)v;
		return rc;
	case OPT_WINDOW:
		rc = ls_number("logsig sign", "--window", arg, 1, KTS_UP_MAX_INFLIGHT, &v);
		o->p.window = (unsigned)v;
		return rc;
	case 'c':
		rc = ls_number("logsig sign", "-c", arg, 1, 3600, &v);
		o->svc.timeout_ms = (int)v * 1000;
		return rc;
	case 'H':
		o->alg_given = 1;
		if (kts_hash_by_name(arg, &o->p.alg) == 0)
			return 0;
		cli_err("logsig sign: unknown hash algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case CLI_OPT_HMAC_ALG:
		if (kts_hash_by_name(arg, &o->svc.hmac_alg) == 0)
			return 0;
		cli_err("logsig sign: unknown HMAC algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case 'h':
		usage(stdout);
		return -1;
	}
	fputs("Run 'kts logsig sign --help' for the options.\n", stderr);
	return CLI_EXIT_ARGS;
}

/* The service from the options, else from a sourced stack.env. */
static int
service_ready(struct sopts *o)
{
	if (o->p.unsigned_text != NULL)
		return CLI_EXIT_OK;
	o->p.svc = &o->svc;
	return cli_service_env(&o->svc, "KTS_AGGR_URL", "aggregator");
}

static int
check_opts(struct sopts *o)
{
	if (o->from_stdin == (o->n_logs > 0)) {
		cli_err("logsig sign: give log files or --log-from-stdin");
		return CLI_EXIT_ARGS;
	}
	if (o->from_stdin && o->out == NULL) {
		cli_err("logsig sign: --log-from-stdin needs -o OUT");
		return CLI_EXIT_ARGS;
	}
	if (o->out != NULL && o->n_logs > 1) {
		cli_err("logsig sign: -o goes with one log; several logs get "
		    "LOG.logsig each");
		return CLI_EXIT_ARGS;
	}
	if (o->state != NULL && o->input_hash != NULL) {
		cli_err("logsig sign: give --state or --input-hash, not both");
		return CLI_EXIT_ARGS;
	}
	if (o->block_seconds != 0 && !o->from_stdin) {
		cli_err("logsig sign: --block-seconds applies to "
		    "--log-from-stdin (use 'kts logsig follow' for a "
		    "growing file)");
		return CLI_EXIT_ARGS;
	}
	return service_ready(o);
}

static int
parse_args(int argc, char **argv, struct sopts *o)
{
	int c;
	int rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "S:o:H:c:qh", long_opts,
	    NULL)) != -1)
		if ((rc = take_opt(o, c, optarg)) != 0)
			return rc;
	o->logs = argv + optind;
	o->n_logs = argc - optind;
	return check_opts(o);
}

/* ---- the chain's start ----------------------------------------------------- */

/* Where the first block starts: state file, --input-hash or zero. */
static int
chain_start(struct sopts *o, struct kts_imprint *im, int *have)
{
	int have_state = 0;
	int none = 1;
	int rc;

	*have = 0;
	if (o->input_hash != NULL) {
		if (kts_imprint_from_str(o->input_hash, im) != 0) {
			cli_err("--input-hash %s: expected ALG:HEX",
			    o->input_hash);
			return CLI_EXIT_ARGS;
		}
		none = 0;
	} else if ((rc = ls_state_read(o->state, im, &have_state)) != 0) {
		return rc;
	} else {
		none = !have_state;
	}
	if (none)
		return CLI_EXIT_OK;
	if (o->alg_given && im->alg != o->p.alg) {
		cli_err("logsig sign: -H %s, but the chain continues from a "
		    "%s hash", kts_hash_name(o->p.alg),
		    kts_hash_name(im->alg));
		return CLI_EXIT_ARGS;
	}
	o->p.alg = im->alg;
	*have = 1;
	return CLI_EXIT_OK;
}

static int
write_state(const struct sopts *o, const struct kts_imprint *im)
{
	return o->state == NULL ? CLI_EXIT_OK : ls_state_write(o->state, im);
}

/* ---- signing ---------------------------------------------------------------- */

/* With --block-seconds: close the open block if it is old enough. */
static int
time_limit(struct ls_pipe *p, const struct sopts *o)
{
	char reason[128];

	if (o->block_seconds == 0 || p->b.n == 0 ||
	    ls_monotonic_ms() - p->block_started < o->block_seconds * 1000)
		return CLI_EXIT_OK;
	snprintf(reason, sizeof(reason), LS_CLOSE_TIME_FMT,
	    (unsigned long long)o->block_seconds);
	return ls_pipe_close_block(p, reason);
}

static int
sign_lines(struct ls_pipe *p, const struct sopts *o, int fd)
{
	struct kts_ls_lines lr;
	const uint8_t *line;
	size_t len;
	int got;
	int rc = CLI_EXIT_OK;
	int r;

	if (kts_ls_lines_fd(&lr, fd) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	for (;;) {
		if ((r = kts_ls_line(&lr, &line, &len, &got)) != 0) {
			cli_err("%s: line %llu: %s", p->log,
			    (unsigned long long)lr.lineno + 1,
			    r == KTS_ETOOBIG ? "longer than 1 MiB" :
			    "read error");
			rc = r == KTS_ETOOBIG ? CLI_EXIT_FORMAT : CLI_EXIT_IO;
			break;
		}
		if (!got && lr.nul_line == 0)
			break;
		if (lr.nul_line != 0) {
			cli_err("%s: line %llu holds a NUL byte: a log signature "
			    "verifier ends the line (or the log) there, so it "
			    "cannot be signed as it is; have the writer escape "
			    "control characters", p->log,
			    (unsigned long long)lr.nul_line);
			rc = CLI_EXIT_FORMAT;
			break;
		}
		if ((rc = time_limit(p, o)) != 0 ||
		    (rc = ls_pipe_line(p, line, len)) != 0)
			break;
	}
	kts_ls_lines_free(&lr);
	return rc;
}

static int
sign_one(struct ls_pipe *p, const struct sopts *o, const char *log,
    struct done *d)
{
	size_t n = strlen(log) + sizeof(".logsig");
	int fd = STDIN_FILENO;
	int rc;

	if (o->out == NULL) {
		if ((d->sigfile = malloc(n)) == NULL)
			return CLI_EXIT_FAILURE;
		snprintf(d->sigfile, n, "%s.logsig", log);
	} else if ((d->sigfile = strdup(o->out)) == NULL) {
		return CLI_EXIT_FAILURE;
	}
	if (!o->from_stdin &&
	    (fd = open(log, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err("%s: cannot open: %s", log, strerror(errno));
		return CLI_EXIT_IO;
	}
	d->log = log;
	if ((rc = ls_pipe_begin(p, log, d->sigfile)) == 0 &&
	    (rc = sign_lines(p, o, fd)) == 0)
		rc = ls_pipe_end(p);
	if (fd != STDIN_FILENO)
		close(fd);
	d->lines = p->lines;
	d->blocks = p->blocks;
	d->records = p->records;
	d->first_time = p->first_time;
	d->last_time = p->last_time;
	d->unsigned_blocks = p->unsigned_blocks;
	ls_pipe_output(p, &d->output);
	return rc;
}

/* ---- the report ------------------------------------------------------------- */

static void
report_text(const struct done *d, int n)
{
	char t1[32];
	char t2[32];
	int i;

	for (i = 0; i < n; i++) {
		if (d[i].unsigned_blocks == d[i].blocks) {
			fprintf(stderr, "kts: %s: %llu lines in %llu blocks, "
			    "not signed: %s\n", d[i].log,
			    (unsigned long long)d[i].lines,
			    (unsigned long long)d[i].blocks, d[i].sigfile);
			continue;
		}
		fprintf(stderr, "kts: %s: %llu lines in %llu blocks, signed "
		    "%s to %s: %s\n", d[i].log,
		    (unsigned long long)d[i].lines,
		    (unsigned long long)d[i].blocks,
		    kts_time_utc((int64_t)d[i].first_time, t1, sizeof(t1)),
		    kts_time_utc((int64_t)d[i].last_time, t2, sizeof(t2)),
		    d[i].sigfile);
	}
}

static void
report_json(const struct done *d, int n)
{
	struct jw w;
	int i;

	jw_init(&w, stdout);
	jw_obj_begin(&w, NULL);
	jw_arr_begin(&w, "files");
	for (i = 0; i < n; i++) {
		jw_obj_begin(&w, NULL);
		jw_str(&w, "log", d[i].log);
		jw_str(&w, "signature_file", d[i].sigfile);
		jw_u64(&w, "lines", d[i].lines);
		jw_u64(&w, "blocks", d[i].blocks);
		jw_u64(&w, "records", d[i].records);
		jw_u64(&w, "unsigned_blocks", d[i].unsigned_blocks);
		if (d[i].first_time != 0) {
			jw_time(&w, "first_signing_time",
			    (int64_t)d[i].first_time);
			jw_time(&w, "last_signing_time",
			    (int64_t)d[i].last_time);
		}
		jw_imprint(&w, "output_hash", &d[i].output);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	if (n > 0)
		jw_imprint(&w, "output_hash", &d[n - 1].output);
	jw_obj_end(&w);
	jw_finish(&w);
}

/* ---- the command ------------------------------------------------------------ */

static int
run(struct sopts *o, struct done *d)
{
	struct kts_imprint start;
	struct ls_pipe p;
	int have = 0;
	int n = o->from_stdin ? 1 : o->n_logs;
	int rc;
	int i;

	if ((rc = chain_start(o, &start, &have)) != 0)
		return rc;
	if (o->p.seed_len == 0)
		o->p.seed_len = kts_hash_get(o->p.alg)->len;
	if ((rc = ls_pipe_init(&p, &o->p, have ? &start : NULL)) != 0)
		goto out;
	for (i = 0; i < n && rc == 0; i++)
		rc = sign_one(&p, o, o->from_stdin ? "(stdin)" : o->logs[i],
		    &d[i]);
	if (rc == 0)
		rc = write_state(o, &d[n - 1].output);
	if (rc == 0 && o->json)
		report_json(d, n);
	else if (rc == 0 && !o->p.quiet)
		report_text(d, n);
out:
	ls_pipe_free(&p);
	return rc;
}

int
ls_cmd_sign(int argc, char **argv)
{
	struct done *d = NULL;
	struct sopts o;
	int rc;
	int i;

	memset(&o, 0, sizeof(o));
	cli_service_init(&o.svc);
	o.p.alg = KTS_HASH_SHA256;
	o.p.block_records = LS_DEFAULT_BLOCK_RECORDS;
	o.p.window = LS_DEFAULT_WINDOW;
	o.p.seed_path = "/dev/urandom";
	if ((rc = parse_args(argc, argv, &o)) != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((d = calloc((size_t)o.n_logs + 1, sizeof(*d))) == NULL) {
		cli_err("out of memory");
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	rc = run(&o, d);
	for (i = 0; i <= o.n_logs; i++)
		free(d[i].sigfile);
out:
	free(d);
	cli_service_free(&o.svc);
	return rc;
}
