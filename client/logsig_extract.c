/*
 * logsig_extract.c - `kts logsig extract`: cut chosen lines out of a
 * signed log with a proof for each (spec/logsig.md 2.8), so that one
 * line can be shown genuine without revealing any other: OUT.excerpt
 * holds the lines, OUT.excerpt.logsig (RECSIG12) for every block with a
 * chosen line that block's KSI signature followed by one record chain
 * per chosen line.
 *
 * The log is verified first (hashes and the signatures' internal
 * consistency), so a proof is never cut from a log that does not match
 * its signature file.  Then the file is walked again: each block's
 * record hashes are made from the log lines and metarecords, and the
 * chains of the chosen lines are computed from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "logsig_cli.h"
#include "util.h"

/* One range of line numbers, both ends included. */
struct range {
	uint64_t lo;
	uint64_t hi;
};

struct xopts {
	const char *log;
	const char *sigpath;		/* given, or NULL for LOG.logsig */
	const char *out;		/* -o base, default LOG */
	const char *spec;		/* -r */
	struct range *r;		/* parsed -r, ascending */
	size_t n_r;
	int quiet;
};

struct xrun {
	const struct xopts *o;
	struct ls_file ex;		/* OUT.excerpt */
	struct ls_file pr;		/* OUT.excerpt.logsig */
	uint64_t taken;			/* lines extracted */
	uint64_t blocks;		/* blocks with a proof */
};

static void
usage(FILE *f)
{
	fputs("usage: kts logsig extract LOG [LOGSIG] -r LINES [-o OUT] [-q]\n"
	    "\n"
	    "Write chosen lines of a signed log and a proof for each, so they\n"
	    "can be shown genuine without the rest of the log.\n"
	    "  -r LINES   line numbers, ascending: 12 or 12,40-45\n"
	    "  -o OUT     write OUT.excerpt and OUT.excerpt.logsig (default\n"
	    "             LOG.excerpt and LOG.excerpt.logsig)\n"
	    "  -q         no summary\n"
	    "Check the result with 'kts logsig verify --excerpt OUT.excerpt'.\n"
	    "Exit codes: 0 written, 1 error (a chosen line is in an unsigned\n"
	    "block), 3 bad arguments, 4 bad format, 6 the log does not match\n"
	    "its signature file, 9 I/O error.\n", f);
}

/* ---- -r -------------------------------------------------------------------- */

static int
parse_num(const char **s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (**s < '0' || **s > '9')
		return -1;
	*v = strtoull(*s, &end, 10);
	if (errno != 0 || *v == 0)
		return -1;
	*s = end;
	return 0;
}

static int
add_range(struct xopts *o, uint64_t lo, uint64_t hi)
{
	struct range *nr;

	if (o->n_r >= KTS_LS_MAX_RANGES)
		return -1;
	if ((nr = realloc(o->r, (o->n_r + 1) * sizeof(*nr))) == NULL)
		return -1;
	o->r = nr;
	o->r[o->n_r].lo = lo;
	o->r[o->n_r].hi = hi;
	o->n_r++;
	return 0;
}

/* "12,40-45": ranges strictly ascending and not overlapping. */
static int
parse_ranges(struct xopts *o)
{
	const char *s = o->spec;
	uint64_t last = 0;
	uint64_t lo;
	uint64_t hi;

	for (;;) {
		if (parse_num(&s, &lo) != 0)
			goto bad;
		hi = lo;
		if (*s == '-' && (s++, parse_num(&s, &hi) != 0))
			goto bad;
		if (lo <= last || hi < lo || add_range(o, lo, hi) != 0)
			goto bad;
		last = hi;
		if (*s == '\0')
			return CLI_EXIT_OK;
		if (*s++ != ',')
			goto bad;
	}
bad:
	cli_err("logsig extract: -r %s: expected ascending line numbers "
	    "from 1, such as 12 or 3-7,9 (at most %u ranges)", o->spec,
	    (unsigned)KTS_LS_MAX_RANGES);
	return CLI_EXIT_ARGS;
}

static int
parse_args(int argc, char **argv, struct xopts *o)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:o:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'r':	o->spec = optarg; break;
		case 'o':	o->out = optarg; break;
		case 'q':	o->quiet = 1; break;
		case 'h':	usage(stdout); return -1;
		default:
			fputs("Run 'kts logsig extract --help' for the "
			    "options.\n", stderr);
			return CLI_EXIT_ARGS;
		}
	}
	if (argc - optind < 1 || argc - optind > 2 || o->spec == NULL) {
		cli_err("logsig extract: give LOG [LOGSIG] and -r LINES");
		return CLI_EXIT_ARGS;
	}
	o->log = argv[optind];
	o->sigpath = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (o->out == NULL)
		o->out = o->log;
	return parse_ranges(o);
}

/* ---- the walk -------------------------------------------------------------- */

/* Is line chosen?  A binary search over the ascending ranges. */
static int
chosen(const struct xrun *x, uint64_t line)
{
	const struct xopts *o = x->o;
	size_t lo = 0;
	size_t hi = o->n_r;
	size_t mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->r[mid].hi < line)
			lo = mid + 1;
		else if (o->r[mid].lo > line)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* The chosen lines of a block and their chains after its signature. */
static int
write_block(void *arg, struct ls_wblk *b)
{
	struct xrun *x = arg;
	struct kts_wr wr;
	uint64_t i;
	int r;

	if (b->bs->kind != KTS_LS_SIG_KSI) {
		cli_err("%s: block %llu holds a chosen line but is not signed "
		    "(sign it first)", x->o->log, (unsigned long long)b->block);
		return KTS_ENOTFOUND;
	}
	kts_wr_init(&wr, KTS_LS_MAX_BLOCK_BYTES);
	r = kts_ls_wr_ksi(&wr, b->bs->sig, b->bs->sig_len);
	for (i = 0; r == 0 && i < b->n; i++) {
		if (b->tlen[i] == LS_NO_TEXT)
			continue;
		if ((r = kts_ls_tree_chain(b->tree, i, b->chain)) == 0)
			r = kts_ls_wr_chain(&wr, b->chain);
		if (r == 0 && (ls_file_put(&x->ex, b->text.p + b->toff[i],
		    b->tlen[i]) != 0 || ls_file_put(&x->ex,
		    (const uint8_t *)"\n", 1) != 0))
			r = KTS_EIO;
		x->taken++;
	}
	if (r == 0 && ls_file_put(&x->pr, wr.p, wr.len) != 0)
		r = KTS_EIO;
	kts_wr_free(&wr);
	x->blocks++;
	return r;
}

static int
want(void *arg, uint64_t line)
{
	return chosen(arg, line);
}

/* ---- the command ----------------------------------------------------------- */

static int
check_log(const struct xopts *o, const struct ls_map *m)
{
	struct kts_ls_lines lr;
	struct kts_ls_vopts vo;
	struct kts_ls_vres res;
	int fd;
	int r;

	memset(&vo, 0, sizeof(vo));
	vo.flags = KTS_LS_V_IGNORE_TIME;
	if ((fd = open(o->log, O_RDONLY | O_CLOEXEC)) < 0) {
		cli_err("%s: cannot open: %s", o->log, strerror(errno));
		return CLI_EXIT_IO;
	}
	if ((r = kts_ls_lines_fd(&lr, fd)) == 0) {
		r = kts_ls_verify(m->p, m->len, &lr, &vo, &res);
		kts_ls_lines_free(&lr);
	}
	close(fd);
	if (r != 0) {
		cli_err("%s: %s", o->log, kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	if (res.status == KTS_LS_FAILED) {
		cli_err("%s: does not match its signature file (%s at line "
		    "%llu, block %llu: %s); nothing extracted", o->log,
		    kts_ls_what_str(res.what), (unsigned long long)res.line,
		    (unsigned long long)res.block, res.detail);
		return res.what == KTS_LSW_FORMAT ? CLI_EXIT_FORMAT :
		    CLI_EXIT_VERIFY;
	}
	if (o->r[o->n_r - 1].hi > res.lines) {
		cli_err("%s: has %llu lines; -r asks for line %llu", o->log,
		    (unsigned long long)res.lines,
		    (unsigned long long)o->r[o->n_r - 1].hi);
		return CLI_EXIT_ARGS;
	}
	return CLI_EXIT_OK;
}

static char *
joined(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s;

	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

static int
open_outputs(struct xrun *x, char **ex, char **pr, enum kts_ls_kind kind)
{
	struct kts_wr wr;
	int rc;

	*ex = joined(x->o->out, ".excerpt");
	*pr = joined(x->o->out, ".excerpt.logsig");
	if (*ex == NULL || *pr == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if ((rc = ls_file_open(&x->ex, *ex)) != 0 ||
	    (rc = ls_file_open(&x->pr, *pr)) != 0)
		return rc;
	kts_wr_init(&wr, 16);
	rc = kts_ls_wr_magic(&wr, kind == KTS_LS_LOGSIG11 ?
	    KTS_LS_RECSIG11 : KTS_LS_RECSIG12) != 0 ? CLI_EXIT_FAILURE :
	    ls_file_put(&x->pr, wr.p, wr.len);
	kts_wr_free(&wr);
	return rc;
}

static int
extract(struct xrun *x, const struct ls_map *m)
{
	struct kts_ls_reader rd;
	char *ex = NULL;
	char *pr = NULL;
	int rc;
	int r;

	if (kts_ls_reader_init(&rd, m->p, m->len) != 0 ||
	    (rd.kind != KTS_LS_LOGSIG11 && rd.kind != KTS_LS_LOGSIG12)) {
		cli_err("%s: not a LOGSIG11 or LOGSIG12 file", x->o->log);
		return CLI_EXIT_FORMAT;
	}
	if ((rc = open_outputs(x, &ex, &pr, rd.kind)) != 0)
		goto out;
	if ((r = ls_walk(x->o->log, m, want, write_block, x)) != 0) {
		if (r != KTS_ENOTFOUND && r != KTS_EIO)
			cli_err("%s: cannot extract: %s", x->o->log,
			    kts_strerror(r));
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	if ((rc = ls_file_commit(&x->ex)) == 0)
		rc = ls_file_commit(&x->pr);
	if (rc == 0 && !x->o->quiet)
		fprintf(stderr, "kts: %llu lines from %llu blocks: %s, %s\n",
		    (unsigned long long)x->taken,
		    (unsigned long long)x->blocks, ex, pr);
out:
	ls_file_abort(&x->ex);
	ls_file_abort(&x->pr);
	free(ex);
	free(pr);
	return rc;
}

int
ls_cmd_extract(int argc, char **argv)
{
	struct xopts o;
	struct xrun x;
	struct ls_map m;
	char *sigpath = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	memset(&m, 0, sizeof(m));
	x.o = &o;
	if ((rc = parse_args(argc, argv, &o)) != 0) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	sigpath = o.sigpath != NULL ? strdup(o.sigpath) :
	    joined(o.log, ".logsig");
	if (sigpath == NULL) {
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	if ((rc = ls_map(sigpath, &m)) != 0 ||
	    (rc = check_log(&o, &m)) != 0)
		goto out;
	rc = extract(&x, &m);
out:
	ls_unmap(&m);
	free(sigpath);
	free(o.r);
	return rc;
}
