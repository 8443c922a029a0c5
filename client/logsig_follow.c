/*
 * logsig_follow.c - `kts logsig follow FILE|-`: sign a growing log as it
 * is written, block by block, into FILE.logsig (spec/logsig.md 2.3-2.7,
 * and the rsyslog behaviour of section 4: time-limit metarecords,
 * heartbeat blocks, asynchronous signing, the state file on close).
 *
 * A libevent timer polls the log every --poll-ms: what was appended is
 * read, and only complete lines are signed (a last line without its
 * terminator waits for it, or for the file to be rotated).  The line
 * framing is logksi's (lib/logsig_lines.c): LF, CR LF or a lone CR end a
 * line; a NUL byte stops follow, as it stops kts logsig sign.  The
 * signing pipeline (logsig_pipe.c, follow mode) never waits: blocks
 * wait in memory for their signatures, failed ones are asked again with
 * a backoff, and each block is written to the signature file as soon as
 * it and every block before it are signed.
 *
 * Rotation: when FILE names another inode, the old file is read to its
 * end (its last line counts even without a terminator), its signature
 * file is closed with the file-closure metarecord and renamed beside the
 * rotated log, and FILE's new signature file continues the chain from
 * the old one's last leaf.  A file that shrank (copytruncate) is handled
 * the same way, but lines written between the last poll and the copy
 * were never read: they are not signed.
 *
 * Stopping (SIGINT, SIGTERM, or the end of standard input): the open
 * block is closed with the file-closure metarecord, the signatures still
 * missing are waited for up to --stop-wait seconds, blocks still without
 * one are written with an unsigned marker (signable later), the state
 * file is written, and the exit code is 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "json.h"
#include "limits.h"
#include "logsig_cli.h"
#include "util.h"

/* Bytes read from the log in one poll before the loop gets a turn. */
#define FOLLOW_READ_BURST (8u * 1024u * 1024u)

/* The read buffer: the longest line logksi reads, plus one read. */
#define FOLLOW_BUF (KTS_LS_MAX_LINE + KTS_FILE_CHUNK)

struct fopts {
	struct cli_service svc;		/* -S, --aggr-user, --aggr-key */
	struct ls_popts p;
	const char *log;		/* FILE, or "-" */
	const char *out;		/* -o, default FILE.logsig */
	const char *state;		/* --state */
	int alg_given;			/* -H */
	uint64_t block_seconds;		/* --block-seconds (0: off) */
	uint64_t poll_ms;		/* --poll-ms */
	uint64_t stop_wait;		/* --stop-wait seconds */
	uint64_t rotate_wait_ms;	/* --rotate-wait */
	int json;			/* --json */
};

struct follower {
	struct fopts *o;
	struct ls_pipe p;
	struct event *tick;		/* the poll timer */
	struct event *sig_int;
	struct event *sig_term;
	int is_stdin;
	int fd;				/* the log being read */
	dev_t dev;			/* its identity */
	ino_t ino;
	off_t off;			/* bytes read from it */
	uint8_t *buf;			/* unconsumed bytes [start, end) */
	size_t start;
	size_t end;
	int skip_lf;			/* the last line ended with CR */
	uint64_t skip;			/* lines already signed (resume) */
	uint64_t lineno;		/* lines read from this file */
	uint64_t file_lines;		/* lines signed from this file */
	uint64_t total_lines;		/* lines signed in this run */
	uint64_t rotations;
	uint64_t idle_since;		/* ms: open block empty since */
	uint64_t closed_seen;		/* p.q_next at the last tick */
	uint64_t rotate_at;		/* ms: finish the old file then */
	char *out_path;			/* current signature file (owned) */
	int stopping;			/* 1 stop asked, 2 asked twice */
	int eof;			/* standard input ended */
	int rc;				/* first fatal error */
	int state_dirty;
	struct kts_imprint state_hash;	/* last leaf written */
};

enum {
	OPT_BLOCK_RECORDS = 0x200,
	OPT_BLOCK_SECONDS,
	OPT_KEEP_REC,
	OPT_KEEP_TREE,
	OPT_STATE,
	OPT_POLL_MS,
	OPT_STOP_WAIT,
	OPT_ROTATE_WAIT,
	OPT_QUEUE,
	OPT_RETRY_MAX,
	OPT_SEED,
	OPT_WINDOW
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig follow [-S URL --aggr-user USER --aggr-key KEY]\n"
	    "           [--block-records N] [--block-seconds S]\n"
	    "           [--keep-record-hashes] [--keep-tree-hashes]\n"
	    "           [--state FILE] [-o OUT] [--json] [-q] (LOG | -)\n"
	    "\n"
	    "Sign a growing log as it is written, block by block, into\n"
	    "LOG.logsig (LOGSIG12, as rsyslog's ksi_ls12 does).  Only reads:\n"
	    "the writer is never held up.  A rotated log (LOG names a new\n"
	    "file) gets its signature file closed and renamed to\n"
	    "ROTATED.logsig; the new one continues the chain.  If the\n"
	    "aggregator is unreachable, blocks wait and are signed when it is\n"
	    "back.  SIGINT or SIGTERM stop cleanly; '-' reads standard input\n"
	    "to its end.  An existing OUT is continued after the lines it\n"
	    "already covers.\n"
	    "  -S URL              aggregator (default $KTS_AGGR_URL)\n"
	    "  --aggr-user USER    login id (default $KTS_USER or the URL's)\n"
	    "  --aggr-key KEY      HMAC key (default $KTS_KEY or the URL's)\n"
	    "  --block-records N   records in a block, its closing record\n"
	    "                      included (default 1024)\n"
	    "  --block-seconds S   close a block S seconds after it started,\n"
	    "                      with a time-limit metarecord; an idle log\n"
	    "                      gets a block every S seconds (heartbeat)\n"
	    "  --keep-record-hashes  store every record's hash\n"
	    "  --keep-tree-hashes  store the block trees' hashes\n"
	    "  --state FILE        chain from the hash in FILE (KSISTAT10); it\n"
	    "                      is kept up to date with every block written\n"
	    "  -H ALG              hash algorithm (default SHA-256)\n"
	    "  -o OUT              signature file (default LOG.logsig; needed\n"
	    "                      for '-')\n"
	    "  --poll-ms MS        how often the log is read (default 200)\n"
	    "  --rotate-wait MS    keep reading a rotated file this long for\n"
	    "                      late lines (default 1000)\n"
	    "  --stop-wait S       on stop, wait this long for signatures\n"
	    "                      (default 10)\n"
	    "  --queue N           blocks kept in memory while unsigned\n"
	    "                      (default 4096; then written unsigned)\n"
	    "  --retry-max S       longest wait between tries (default 30)\n"
	    "  --seed FILE         seed source (default /dev/urandom)\n"
	    "  --window N          signatures in flight (default 256)\n"
	    "  --aggr-hmac-alg ALG HMAC algorithm (default SHA-256)\n"
	    "  -c SECONDS          network timeout (default 10)\n"
	    "  --json              one JSON object per event on stdout\n"
	    "  -q                  no messages but errors\n"
	    "Exit codes: 0 stopped cleanly (blocks left unsigned are reported),\n"
	    "1 error, 3 bad arguments, 4 OUT does not match LOG or a bad\n"
	    "state file, 9 I/O error.\n", f);
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
	{ "poll-ms", required_argument, NULL, OPT_POLL_MS },
	{ "stop-wait", required_argument, NULL, OPT_STOP_WAIT },
	{ "rotate-wait", required_argument, NULL, OPT_ROTATE_WAIT },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "retry-max", required_argument, NULL, OPT_RETRY_MAX },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "json", no_argument, NULL, CLI_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The options with a number. */
static int
take_num(struct fopts *o, int c, const char *arg)
{
	uint64_t v = 0;
	int rc;

	switch (c) {
	case OPT_BLOCK_RECORDS:
		return ls_number("logsig follow", "--block-records", arg, 1,
		    LS_MAX_BLOCK_RECORDS, &o->p.block_records);
	case OPT_BLOCK_SECONDS:
		return ls_number("logsig follow", "--block-seconds", arg, 1, 86400,
		    &o->block_seconds);
	case OPT_POLL_MS:
		return ls_number("logsig follow", "--poll-ms", arg, 10, 60000, &o->poll_ms);
	case OPT_STOP_WAIT:
		return ls_number("logsig follow", "--stop-wait", arg, 0, 3600, &o->stop_wait);
	case OPT_ROTATE_WAIT:
		return ls_number("logsig follow", "--rotate-wait", arg, 0, 600000,
		    &o->rotate_wait_ms);
	case OPT_RETRY_MAX:
		rc = ls_number("logsig follow", "--retry-max", arg, 1, 3600, &v);
		o->p.retry_max_ms = v * 1000;
		return rc;
	case OPT_QUEUE:
		rc = ls_number("logsig follow", "--queue", arg, 1, LS_FOLLOW_QUEUE_MAX, &v);
		o->p.queue = (unsigned)v;
		return rc;
	case OPT_WINDOW:
		rc = ls_number("logsig follow", "--window", arg, 1, KTS_UP_MAX_INFLIGHT, &v);
		o->p.window = (unsigned)v;
		return rc;
	case 'c':
		rc = ls_number("logsig follow", "-c", arg, 1, 3600, &v);
		o->svc.timeout_ms = (int)v * 1000;
		return rc;
	}
	fputs("Run 'kts logsig follow --help' for the options.\n", stderr);
	return CLI_EXIT_ARGS;
}

/* One option; an exit code, or -1 after --help. */
static int
take_opt(struct fopts *o, int c, char *arg)
{
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
	case OPT_SEED:	o->p.seed_path = arg; return 0;
	case CLI_OPT_JSON:	o->json = 1; return 0;
	case 'H':
		o->alg_given = 1;
		if (kts_hash_by_name(arg, &o->p.alg) == 0)
			return 0;
		cli_err("logsig follow: unknown hash algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case CLI_OPT_HMAC_ALG:
		if (kts_hash_by_name(arg, &o->svc.hmac_alg) == 0)
			return 0;
		cli_err("logsig follow: unknown HMAC algorithm '%s'", arg);
		return CLI_EXIT_ARGS;
	case 'h':
		usage(stdout);
		return -1;
	}
	return take_num(o, c, arg);
}

/* The service from the options, else from a sourced stack.env. */
static int
service_ready(struct fopts *o)
{
	o->p.svc = &o->svc;
	return cli_service_env(&o->svc, "KTS_AGGR_URL", "aggregator");
}

static int
parse_args(int argc, char **argv, struct fopts *o)
{
	int c;
	int rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "S:o:H:c:qh", long_opts,
	    NULL)) != -1)
		if ((rc = take_opt(o, c, optarg)) != 0)
			return rc;
	if (argc - optind != 1) {
		cli_err("logsig follow: give one log file, or - for standard "
		    "input");
		return CLI_EXIT_ARGS;
	}
	o->log = argv[optind];
	if (strcmp(o->log, "-") == 0 && o->out == NULL) {
		cli_err("logsig follow: - (standard input) needs -o OUT");
		return CLI_EXIT_ARGS;
	}
	if (o->out != NULL && strcmp(o->out, "-") == 0) {
		cli_err("logsig follow: -o - is not possible: the signature "
		    "file is written in place as the log grows");
		return CLI_EXIT_ARGS;
	}
	return service_ready(o);
}

/* ---- events ------------------------------------------------------------------ */

/* Start a JSON line for event name. */
static void
ev_begin(struct jw *w, const char *name)
{
	jw_init_line(w, stdout);
	jw_obj_begin(w, NULL);
	jw_str(w, "event", name);
	jw_time(w, "time", (int64_t)time(NULL));
}

static void
ev_end(struct jw *w)
{
	jw_obj_end(w);
	jw_finish(w);
	fflush(stdout);
}

static void
ev_block(struct follower *f, const struct ls_event *ev)
{
	const struct ls_qblk *qb = ev->qb;
	struct jw w;

	f->state_hash = qb->output;
	f->state_dirty = 1;
	if (!f->o->json)
		return;
	ev_begin(&w, qb->state == LS_Q_SIGNED ? "block_signed" :
	    "block_unsigned");
	jw_str(&w, "log", ev->sink->log);
	jw_str(&w, "signature_file", ev->sink->path);
	jw_u64(&w, "block", qb->block);
	jw_u64(&w, "records", qb->count);
	jw_u64(&w, "lines", qb->lines);
	if (qb->state == LS_Q_SIGNED)
		jw_time(&w, "signing_time",
		    (int64_t)kts_sig_signing_time(qb->sig));
	else
		jw_str(&w, "reason", qb->text);
	jw_imprint(&w, "root", &qb->root);
	jw_imprint(&w, "output_hash", &qb->output);
	jw_u64(&w, "waiting", ev->waiting);
	ev_end(&w);
}

static void
ev_file_done(struct follower *f, const struct ls_event *ev)
{
	const struct ls_sink *k = ev->sink;
	struct jw w;

	if (!f->o->json) {
		if (!f->o->p.quiet)
			cli_err("%s: %llu lines in %llu blocks (%llu unsigned) "
			    "written to %s", k->log,
			    (unsigned long long)k->lines,
			    (unsigned long long)k->written,
			    (unsigned long long)k->unsigned_blocks, k->path);
		return;
	}
	ev_begin(&w, "file_closed");
	jw_str(&w, "log", k->log);
	jw_str(&w, "signature_file", k->path);
	jw_u64(&w, "lines", k->lines);
	jw_u64(&w, "blocks", k->written);
	jw_u64(&w, "unsigned_blocks", k->unsigned_blocks);
	jw_imprint(&w, "output_hash", &k->output);
	ev_end(&w);
}

/* The pipeline's reports. */
static void
on_event(void *arg, const struct ls_event *ev)
{
	struct follower *f = arg;
	struct jw w;

	switch (ev->kind) {
	case LS_EV_BLOCK:
		ev_block(f, ev);
		return;
	case LS_EV_FILE_DONE:
		ev_file_done(f, ev);
		return;
	case LS_EV_FAILED:
	case LS_EV_RECOVERED:
		break;
	}
	if (!f->o->json) {
		if (ev->kind == LS_EV_FAILED)
			cli_err("%s: signing failed: %s; %llu blocks kept, "
			    "next try in %llu ms", f->o->svc.url, ev->why,
			    (unsigned long long)ev->waiting,
			    (unsigned long long)ev->retry_ms);
		else if (!f->o->p.quiet)
			cli_err("%s: signing again", f->o->svc.url);
		return;
	}
	ev_begin(&w, ev->kind == LS_EV_FAILED ? "signing_failed" :
	    "signing_recovered");
	if (ev->kind == LS_EV_FAILED) {
		jw_str(&w, "reason", ev->why);
		jw_u64(&w, "retry_in_ms", ev->retry_ms);
	}
	jw_u64(&w, "waiting", ev->waiting);
	ev_end(&w);
}

/* A rotation, truncation or warning, as text or JSON. */
static void
ev_note(struct follower *f, const char *name, const char *log,
    const char *sigfile, const char *msg)
{
	struct jw w;

	if (!f->o->json) {
		if (!f->o->p.quiet || strcmp(name, "warning") == 0)
			cli_err("%s: %s", log, msg);
		return;
	}
	ev_begin(&w, name);
	jw_str(&w, "log", log);
	if (sigfile != NULL)
		jw_str(&w, "signature_file", sigfile);
	jw_str(&w, "message", msg);
	ev_end(&w);
}

/* ---- the state file ------------------------------------------------------------ */

static int
write_state(struct follower *f)
{
	int rc;

	if (f->o->state == NULL || !f->state_dirty)
		return CLI_EXIT_OK;
	if ((rc = ls_state_write(f->o->state, &f->state_hash)) == 0)
		f->state_dirty = 0;
	return rc;
}

/* ---- lines ----------------------------------------------------------------------- */

/* One complete line: signed, unless a resumed run signed it already. */
static int
take_line(struct follower *f, const uint8_t *line, size_t len)
{
	int rc;

	f->lineno++;
	if (f->lineno <= f->skip)
		return CLI_EXIT_OK;
	if ((rc = ls_pipe_line(&f->p, line, len)) != 0)
		return rc;
	f->file_lines++;
	f->total_lines++;
	return CLI_EXIT_OK;
}

/* Index of the first LF, CR or NUL in [i, end), or end. */
static size_t
scan(const uint8_t *b, size_t i, size_t end)
{
	for (; i < end; i++)
		if (b[i] == '\n' || b[i] == '\r' || b[i] == '\0')
			return i;
	return end;
}

static int
line_too_long(struct follower *f)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "line %llu is longer than 1 MiB, more "
	    "than a verifier reads: stopping", (unsigned long long)
	    f->lineno + 1);
	ev_note(f, "warning", f->p.log, NULL, msg);
	return CLI_EXIT_FORMAT;
}

/*
 * A NUL byte ends a line, or the whole log, for a verifier (spec 2.1):
 * what follows would be signed as other lines than the file holds, or
 * not be covered at all.  As kts logsig sign does, refuse: stop cleanly
 * with everything before it written.
 */
static int
nul_byte(struct follower *f)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "line %llu holds a NUL byte, which a "
	    "verifier takes for the end of the line or the log: stopping "
	    "(have the writer escape control characters)",
	    (unsigned long long)f->lineno + 1);
	ev_note(f, "warning", f->p.log, NULL, msg);
	return CLI_EXIT_FORMAT;
}

/*
 * Sign the complete lines in the buffer with logksi's framing (spec 2.1);
 * if final (the file is finished), also an unterminated last line.
 */
static int
split_lines(struct follower *f, int final)
{
	size_t i;
	int rc;

	while (f->start < f->end) {
		if (f->skip_lf) {
			f->start += f->buf[f->start] == '\n';
			f->skip_lf = 0;
			continue;
		}
		i = scan(f->buf, f->start, f->end);
		if (i - f->start > KTS_LS_MAX_LINE)
			return line_too_long(f);
		if (i == f->end && !final)
			break;
		if (i < f->end && f->buf[i] == '\0')
			return nul_byte(f);
		if ((rc = take_line(f, f->buf + f->start, i - f->start)) != 0)
			return rc;
		f->skip_lf = i < f->end && f->buf[i] == '\r';
		f->start = i < f->end ? i + 1 : i;
	}
	memmove(f->buf, f->buf + f->start, f->end - f->start);
	f->end -= f->start;
	f->start = 0;
	return CLI_EXIT_OK;
}

/* Standard input: is there something to read without waiting? */
static int
readable(int fd)
{
	struct pollfd pf;

	pf.fd = fd;
	pf.events = POLLIN;
	pf.revents = 0;
	return poll(&pf, 1, 0) > 0;
}

/*
 * Read what was appended (at most FOLLOW_READ_BURST) and sign its
 * complete lines.  *more is set when the burst was cut short.
 */
static int
read_more(struct follower *f, int *more)
{
	size_t got = 0;
	ssize_t k;
	int rc;

	*more = 0;
	while (got < FOLLOW_READ_BURST) {
		if (f->is_stdin && !readable(f->fd))
			return CLI_EXIT_OK;
		k = read(f->fd, f->buf + f->end, FOLLOW_BUF - f->end);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			cli_err("%s: read failed: %s", f->p.log,
			    strerror(errno));
			return CLI_EXIT_IO;
		}
		if (k == 0) {
			f->eof = f->is_stdin;
			return CLI_EXIT_OK;
		}
		f->end += (size_t)k;
		f->off += k;
		got += (size_t)k;
		if ((rc = split_lines(f, 0)) != 0)
			return rc;
	}
	*more = 1;
	return CLI_EXIT_OK;
}

/* ---- files and rotation ----------------------------------------------------------- */

/* Open the log (not standard input) and note its identity. */
static int
open_log(struct follower *f)
{
	struct stat st;

	if ((f->fd = open(f->o->log, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(f->fd, &st) != 0) {
		cli_err("%s: cannot open: %s", f->o->log, strerror(errno));
		return CLI_EXIT_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_err("%s: not a regular file (use - for a pipe)",
		    f->o->log);
		return CLI_EXIT_ARGS;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = 0;
	f->start = f->end = 0;
	f->skip_lf = 0;
	f->lineno = 0;
	f->file_lines = 0;
	return CLI_EXIT_OK;
}

/*
 * The path of the file with the old identity in the log's folder (where
 * logrotate and mv put it), into buf; 0 when found.
 */
static int
find_rotated(const struct follower *f, char *buf, size_t size)
{
	const char *slash = strrchr(f->o->log, '/');
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dl = slash != NULL ? (int)(slash - f->o->log) : 1;
	const char *dir = slash != NULL ? f->o->log : ".";
	int found = -1;
	int n;

	snprintf(buf, size, "%.*s", slash == f->o->log ? 1 : dl, dir);
	if ((d = opendir(buf)) == NULL)
		return -1;
	while (found != 0 && (de = readdir(d)) != NULL) {
		/* Not the log's own name: a truncated log is still there. */
		if (strcmp(de->d_name, slash != NULL ? slash + 1 :
		    f->o->log) == 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW)
		    != 0 || st.st_ino != f->ino || st.st_dev != f->dev)
			continue;
		n = slash != NULL ? snprintf(buf, size, "%.*s/%s", dl,
		    f->o->log, de->d_name) : snprintf(buf, size, "%s",
		    de->d_name);
		found = n < 0 || (size_t)n >= size ? -1 : 0;
	}
	closedir(d);
	return found;
}

/*
 * Where the finished signature file goes: ROTATED.logsig beside the
 * rotated log if that name is free, else OUT.YYYYMMDDTHHMMSSZ[.N].
 */
static int
rotated_name(const struct follower *f, const char *rotated, char *buf,
    size_t size)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int n;
	int i;

	if (rotated != NULL && f->o->out == NULL) {
		n = snprintf(buf, size, "%s.logsig", rotated);
		if (n > 0 && (size_t)n < size && access(buf, F_OK) != 0)
			return 0;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 1000; i++) {
		n = i == 0 ? snprintf(buf, size, "%s.%s", f->out_path, stamp) :
		    snprintf(buf, size, "%s.%s.%d", f->out_path, stamp, i);
		if (n < 0 || (size_t)n >= size)
			return -1;
		if (access(buf, F_OK) != 0)
			return 0;
	}
	return -1;
}

/*
 * Finish the current file: close its signature file with the
 * file-closure metarecord and move it to its rotated name.
 */
static int
finish_file(struct follower *f, const char *why)
{
	char rotated[PATH_MAX];
	char sigfile[PATH_MAX + 64];
	char msg[3 * PATH_MAX];
	int have = find_rotated(f, rotated, sizeof(rotated)) == 0;
	int rc;

	if (rotated_name(f, have ? rotated : NULL, sigfile,
	    sizeof(sigfile)) != 0 || rename(f->out_path, sigfile) != 0) {
		cli_err("%s: cannot move it aside after a rotation: %s",
		    f->out_path, strerror(errno));
		return CLI_EXIT_IO;
	}
	if ((rc = ls_pipe_sink_rename(&f->p, have ? rotated : f->o->log,
	    sigfile)) != 0 ||
	    (rc = ls_pipe_sink_end(&f->p)) != 0)
		return rc;
	snprintf(msg, sizeof(msg), "%s after %llu lines; its signature file "
	    "is %s%s%s", why, (unsigned long long)f->lineno, sigfile,
	    have ? ", the rotated log " : "", have ? rotated : "");
	ev_note(f, "rotated", f->o->log, sigfile, msg);
	f->rotations++;
	return CLI_EXIT_OK;
}

/* The log was rotated: finish the old file, start the new one. */
static int
rotate(struct follower *f)
{
	int more = 1;
	int rc;

	while (more)
		if ((rc = read_more(f, &more)) != 0)
			return rc;
	if ((rc = split_lines(f, 1)) != 0 ||
	    (rc = finish_file(f, "rotated")) != 0)
		return rc;
	close(f->fd);
	f->fd = -1;
	f->skip = 0;
	if ((rc = open_log(f)) != 0)
		return rc;
	return ls_pipe_sink_begin(&f->p, f->o->log, f->out_path, 0);
}

/* The log shrank under us (copytruncate): start over at its start. */
static int
truncated(struct follower *f)
{
	int rc;

	ev_note(f, "warning", f->o->log, NULL, "the log shrank (truncated "
	    "or copied and truncated): lines written since the last read "
	    "are not signed");
	if ((rc = split_lines(f, 1)) != 0 ||
	    (rc = finish_file(f, "truncated")) != 0)
		return rc;
	f->skip = 0;
	f->off = 0;
	f->start = f->end = 0;
	f->skip_lf = 0;
	f->lineno = 0;
	f->file_lines = 0;
	if (lseek(f->fd, 0, SEEK_SET) < 0) {
		cli_err("%s: cannot rewind: %s", f->o->log, strerror(errno));
		return CLI_EXIT_IO;
	}
	return ls_pipe_sink_begin(&f->p, f->o->log, f->out_path, 0);
}

/* After reading to the end: did the path move to another file? */
static int
check_rotation(struct follower *f)
{
	struct stat st;
	uint64_t now = ls_monotonic_ms();

	if (f->is_stdin)
		return CLI_EXIT_OK;
	if (stat(f->o->log, &st) != 0)
		return CLI_EXIT_OK;	/* moved away, not yet made again */
	if (st.st_dev == f->dev && st.st_ino == f->ino) {
		f->rotate_at = 0;
		return st.st_size < f->off ? truncated(f) : CLI_EXIT_OK;
	}
	/* Late lines may still come to the old file for a while. */
	if (f->rotate_at == 0)
		f->rotate_at = now + f->o->rotate_wait_ms;
	if (now < f->rotate_at)
		return CLI_EXIT_OK;
	f->rotate_at = 0;
	return rotate(f);
}

/* ---- the loop ------------------------------------------------------------------------ */

/* --block-seconds: close an old block, or make a heartbeat block. */
static int
time_limit(struct follower *f)
{
	char reason[128];
	uint64_t now = ls_monotonic_ms();
	uint64_t since;

	if (f->p.q_next != f->closed_seen) {
		f->closed_seen = f->p.q_next;
		f->idle_since = now;
	}
	if (f->o->block_seconds == 0)
		return CLI_EXIT_OK;
	since = f->p.b.n > 0 ? f->p.block_started : f->idle_since;
	if (now - since < f->o->block_seconds * 1000)
		return CLI_EXIT_OK;
	snprintf(reason, sizeof(reason), LS_CLOSE_TIME_FMT,
	    (unsigned long long)f->o->block_seconds);
	return ls_pipe_close_block(&f->p, reason);
}

static void
arm(struct follower *f, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(f->tick, &tv);
}

/* One poll: read, rotation, time limit, signatures, state. */
static int
poll_once(struct follower *f, int *more)
{
	int rc;

	*more = 0;
	if ((rc = read_more(f, more)) != 0)
		return rc;
	if (!*more && !f->eof && (rc = check_rotation(f)) != 0)
		return rc;
	if ((rc = time_limit(f)) != 0 ||
	    (rc = ls_pipe_tick(&f->p)) != 0)
		return rc;
	return write_state(f);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct follower *f = arg;
	int more = 0;
	int rc;

	(void)fd;
	(void)what;
	if (f->stopping) {
		/* Draining: only signatures and writes. */
		if ((rc = ls_pipe_tick(&f->p)) != 0 ||
		    (rc = write_state(f)) != 0)
			f->rc = rc;
		if (rc != 0 || ls_pipe_pending(&f->p) == 0)
			event_base_loopbreak(f->p.base);
		arm(f, f->o->poll_ms);
		return;
	}
	if ((rc = poll_once(f, &more)) != 0) {
		f->rc = rc;
		event_base_loopbreak(f->p.base);
		return;
	}
	if (f->eof) {
		event_base_loopbreak(f->p.base);
		return;
	}
	arm(f, more ? 0 : f->o->poll_ms);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct follower *f = arg;

	(void)what;
	(void)sig;
	f->stopping++;
	event_base_loopbreak(f->p.base);
}

/* ---- start and stop ----------------------------------------------------------------- */

/* Did an earlier run's OUT cover lines lines of the log (lr)? */
static int
resume_check(struct follower *f, const struct ls_map *m,
    struct kts_ls_lines *lr, struct kts_imprint *out, int *have)
{
	struct kts_ls_vopts vo;
	struct kts_ls_vres res;

	memset(&vo, 0, sizeof(vo));
	memset(&res, 0, sizeof(res));
	vo.flags = KTS_LS_V_NO_SIG | KTS_LS_V_IGNORE_TIME;
	if (kts_ls_verify(m->p, m->len, lr, &vo, &res) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	/* Lines after the last block are what this run signs. */
	if (res.status == KTS_LS_FAILED && res.what == KTS_LSW_EXTRA_RECORD)
		f->skip = res.line - 1;
	else if (res.status != KTS_LS_FAILED)
		f->skip = res.lines;
	if ((res.status == KTS_LS_FAILED &&
	    res.what != KTS_LSW_EXTRA_RECORD) || !res.has_output) {
		cli_err("%s: does not match %s (%s at line %llu, block %llu: "
		    "%s); move it away or give -o", f->out_path, f->o->log,
		    kts_ls_what_str(res.what), (unsigned long long)res.line,
		    (unsigned long long)res.block,
		    res.detail != NULL ? res.detail : "");
		return CLI_EXIT_FORMAT;
	}
	*out = res.output;
	*have = 1;
	return CLI_EXIT_OK;
}

/*
 * An existing OUT (more than its magic) is continued: its blocks must
 * match the log's first lines (hashes only; signatures are not checked
 * here), and signing goes on after them, from its last leaf.
 */
static int
resume_point(struct follower *f, struct kts_imprint *out, int *have)
{
	struct kts_ls_lines lr;
	struct ls_map m;
	struct stat st;
	int fd;
	int rc;

	*have = 0;
	if (stat(f->out_path, &st) != 0 || st.st_size <= 8)
		return CLI_EXIT_OK;
	if (f->is_stdin) {
		cli_err("%s exists: standard input cannot continue it; move "
		    "it away or give another -o", f->out_path);
		return CLI_EXIT_ARGS;
	}
	if ((rc = ls_map(f->out_path, &m)) != 0)
		return rc;
	if ((fd = open(f->o->log, O_RDONLY | O_CLOEXEC)) < 0) {
		ls_unmap(&m);
		cli_err("%s: cannot open: %s", f->o->log, strerror(errno));
		return CLI_EXIT_IO;
	}
	if (kts_ls_lines_fd(&lr, fd) != 0) {
		rc = CLI_EXIT_FAILURE;
		cli_err("out of memory");
	} else {
		rc = resume_check(f, &m, &lr, out, have);
		kts_ls_lines_free(&lr);
	}
	close(fd);
	ls_unmap(&m);
	return rc;
}

/* Where the chain starts: an existing OUT, the state file, or zero. */
static int
chain_start(struct follower *f, struct kts_imprint *im, int *have,
    int *append)
{
	int rc;

	*append = 0;
	if ((rc = resume_point(f, im, have)) != 0)
		return rc;
	if (*have)
		*append = 1;
	else if ((rc = ls_state_read(f->o->state, im, have)) != 0)
		return rc;
	if (!*have)
		return CLI_EXIT_OK;
	if (f->o->alg_given && im->alg != f->o->p.alg) {
		cli_err("logsig follow: -H %s, but the chain continues from "
		    "a %s hash", kts_hash_name(f->o->p.alg),
		    kts_hash_name(im->alg));
		return CLI_EXIT_ARGS;
	}
	f->o->p.alg = im->alg;
	return CLI_EXIT_OK;
}

static int
events_new(struct follower *f)
{
	struct event_base *base = f->p.base;

	f->tick = evtimer_new(base, on_tick, f);
	f->sig_int = evsignal_new(base, SIGINT, on_signal, f);
	f->sig_term = evsignal_new(base, SIGTERM, on_signal, f);
	if (f->tick == NULL || f->sig_int == NULL || f->sig_term == NULL ||
	    evsignal_add(f->sig_int, NULL) != 0 ||
	    evsignal_add(f->sig_term, NULL) != 0) {
		cli_err("cannot set up the event loop");
		return CLI_EXIT_FAILURE;
	}
	arm(f, 0);
	return CLI_EXIT_OK;
}

static void
note_start(struct follower *f, int append)
{
	char msg[256];
	struct kts_imprint in;

	ls_pipe_output(&f->p, &in);
	snprintf(msg, sizeof(msg), "following; signatures to %s%s",
	    f->out_path, append ? " (continued)" : "");
	if (!f->o->json) {
		if (!f->o->p.quiet)
			cli_err("%s: %s", f->o->log, msg);
		return;
	}
	{
		struct jw w;

		ev_begin(&w, "start");
		jw_str(&w, "log", f->o->log);
		jw_str(&w, "signature_file", f->out_path);
		jw_bool(&w, "continued", append);
		jw_u64(&w, "lines_already_signed", f->skip);
		jw_imprint(&w, "input_hash", &in);
		ev_end(&w);
	}
}

/*
 * Stop: close the open block with the file-closure metarecord, wait up
 * to --stop-wait for the signatures, write the rest unsigned.
 */
static int
drain(struct follower *f)
{
	uint64_t deadline;
	int why = f->rc;	/* the reason to stop, if an error */
	int rc;

	if ((rc = ls_pipe_sink_end(&f->p)) != 0)
		return rc;
	deadline = ls_monotonic_ms() + f->o->stop_wait * 1000;
	/* Ask again at once: the aggregator may be back. */
	f->p.retry_at = 0;
	if (f->stopping == 0)
		f->stopping = 1;	/* the end of stdin, or an error */
	evtimer_del(f->tick);
	arm(f, 0);
	f->rc = 0;
	while (ls_pipe_pending(&f->p) > 0 && f->stopping < 2 &&
	    f->rc == 0 && ls_monotonic_ms() < deadline)
		if (event_base_loop(f->p.base, EVLOOP_ONCE) < 0)
			return CLI_EXIT_FAILURE;
	if (f->rc != 0)
		return f->rc;	/* writing failed: nothing more to do */
	if ((rc = ls_pipe_give_up(&f->p, LS_TEXT_STOPPED)) != 0 ||
	    (rc = write_state(f)) != 0)
		return rc;
	return why;
}

static void
note_stop(struct follower *f)
{
	struct jw w;

	if (!f->o->json) {
		if (!f->o->p.quiet)
			cli_err("%s: stopped: %llu lines signed, %llu "
			    "rotations", f->o->log,
			    (unsigned long long)f->total_lines,
			    (unsigned long long)f->rotations);
		return;
	}
	ev_begin(&w, "stop");
	jw_str(&w, "log", f->o->log);
	jw_u64(&w, "lines", f->total_lines);
	jw_u64(&w, "rotations", f->rotations);
	jw_imprint(&w, "output_hash", &f->state_hash);
	ev_end(&w);
}

static int
out_path(struct follower *f)
{
	size_t n = strlen(f->o->log) + sizeof(".logsig");

	if (f->o->out != NULL) {
		f->out_path = strdup(f->o->out);
	} else if ((f->out_path = malloc(n)) != NULL) {
		snprintf(f->out_path, n, "%s.logsig", f->o->log);
	}
	if (f->out_path == NULL || (f->buf = malloc(FOLLOW_BUF)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static int
start(struct follower *f)
{
	struct kts_imprint im;
	int have = 0;
	int append = 0;
	int rc;

	if ((rc = out_path(f)) != 0 ||
	    (rc = chain_start(f, &im, &have, &append)) != 0)
		return rc;
	if (f->o->p.seed_len == 0)
		f->o->p.seed_len = kts_hash_get(f->o->p.alg)->len;
	if ((rc = ls_pipe_init(&f->p, &f->o->p, have ? &im : NULL)) != 0)
		return rc;
	if (f->is_stdin)
		f->fd = STDIN_FILENO;
	else if ((rc = open_log(f)) != 0)
		return rc;
	if ((rc = ls_pipe_sink_begin(&f->p, f->is_stdin ? "(stdin)" :
	    f->o->log, f->out_path, append)) != 0)
		return rc;
	ls_pipe_output(&f->p, &f->state_hash);
	note_start(f, append);
	return events_new(f);
}

static int
run(struct fopts *o)
{
	struct follower f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.o = o;
	f.fd = -1;
	f.is_stdin = strcmp(o->log, "-") == 0;
	o->p.event = on_event;
	o->p.event_arg = &f;
	/* A reader of --json that went away must not take the blocks along. */
	signal(SIGPIPE, SIG_IGN);
	if ((rc = start(&f)) != 0)
		goto out;
	if (event_base_dispatch(f.p.base) < 0) {
		cli_err("event loop failed");
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	/*
	 * Stopped by a signal, the end of standard input or an error; after
	 * a line too long to sign, what was read is still written.
	 */
	if (f.rc == 0 || f.rc == CLI_EXIT_FORMAT)
		rc = drain(&f);
	else
		rc = f.rc;
	note_stop(&f);
out:
	if (f.tick != NULL)
		event_free(f.tick);
	if (f.sig_int != NULL)
		event_free(f.sig_int);
	if (f.sig_term != NULL)
		event_free(f.sig_term);
	ls_pipe_free(&f.p);
	if (f.fd >= 0 && f.fd != STDIN_FILENO)
		close(f.fd);
	free(f.out_path);
	free(f.buf);
	return rc;
}

int
ls_cmd_follow(int argc, char **argv)
{
	struct fopts o;
	int rc;

	memset(&o, 0, sizeof(o));
	cli_service_init(&o.svc);
	o.p.alg = KTS_HASH_SHA256;
	o.p.block_records = LS_DEFAULT_BLOCK_RECORDS;
	o.p.window = LS_DEFAULT_WINDOW;
	o.p.seed_path = "/dev/urandom";
	o.p.follow = 1;
	o.p.queue = LS_FOLLOW_QUEUE;
	o.p.queue_bytes = LS_FOLLOW_QUEUE_BYTES;
	o.p.retry_max_ms = LS_RETRY_MAX_MS;
	o.poll_ms = 200;
	o.stop_wait = 10;
	o.rotate_wait_ms = 1000;
	if ((rc = parse_args(argc, argv, &o)) == 0)
		rc = run(&o);
	else if (rc < 0)
		rc = CLI_EXIT_OK;
	cli_service_free(&o.svc);
	return rc;
}
