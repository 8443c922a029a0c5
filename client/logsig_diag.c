/*
 * logsig_diag.c - say what happened to a line the verifier found
 * changed (logsig_cli.h).
 *
 * With record hashes kept, a line that does not hash to its record can
 * be a changed line, but also a line removed or added before it, or two
 * lines swapped: every later line is then off by one.  One look at the
 * next stored record and the next log line tells these apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "logsig_cli.h"

/* Hashes of log lines n and n + 1 (*have: how many exist). */
static int
line_hashes(const char *log, uint64_t n, uint8_t alg, struct kts_imprint *h,
    int *have)
{
	struct kts_ls_lines lr;
	const uint8_t *line;
	size_t len;
	int got = 1;
	int fd;
	int r;

	*have = 0;
	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) < 0)
		return KTS_EIO;
	if ((r = kts_ls_lines_fd(&lr, fd)) != 0) {
		close(fd);
		return r;
	}
	while (r == 0 && got && *have < 2 &&
	    (r = kts_ls_line(&lr, &line, &len, &got)) == 0 && got)
		if (lr.lineno >= n)
			r = kts_hash_buf(alg, line, len, &h[(*have)++]);
	kts_ls_lines_free(&lr);
	close(fd);
	return r;
}

/* The stored record hashes rec and rec + 1 of block (1-based). */
static int
stored_hashes(const struct ls_map *m, uint64_t block, uint64_t rec,
    uint8_t *alg, struct kts_imprint *s, int *have)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;
	uint64_t b = 0;
	uint64_t k = 0;
	int r;

	*have = 0;
	if ((r = kts_ls_reader_init(&rd, m->p, m->len)) != 0)
		return r;
	while ((r = kts_ls_next(&rd, &e)) == 0 && e.tag != 0 && *have < 2) {
		if (e.tag == KTS_LS_HDR && ++b == block)
			*alg = e.u.hdr.alg;
		else if (e.tag == KTS_LS_BSIG && b == block)
			break;
		else if (e.tag == KTS_LS_REC && b == block && ++k >= rec)
			s[(*have)++] = e.u.hash;
	}
	return r;
}

void
ls_diagnose(const char *log, const struct ls_map *m,
    const struct kts_ls_vres *res, struct ls_diag *d)
{
	struct kts_imprint h[2];
	struct kts_imprint s[2];
	uint8_t alg = 0;
	int nh;
	int ns;

	memset(d, 0, sizeof(*d));
	if (res->what != KTS_LSW_RECORD_CHANGED || res->line == 0 ||
	    res->rec == 0 || log == NULL || strcmp(log, "-") == 0)
		return;
	if (stored_hashes(m, res->block, res->rec, &alg, s, &ns) != 0 ||
	    ns == 0 || line_hashes(log, res->line, alg, h, &nh) != 0 ||
	    nh == 0)
		return;
	if (ns == 2 && nh == 2 && kts_imprint_eq(&h[0], &s[1]) &&
	    kts_imprint_eq(&h[1], &s[0])) {
		d->what = "lines-swapped";
		d->detail = "this line and the next are in each other's place";
	} else if (ns == 2 && kts_imprint_eq(&h[0], &s[1])) {
		d->what = "line-missing";
		d->detail = "a signed line is missing here: this line is the "
		    "signed line after it";
	} else if (nh == 2 && kts_imprint_eq(&h[1], &s[0])) {
		d->what = "line-inserted";
		d->detail = "this line was not signed: the next line is the "
		    "signed one";
	}
}
