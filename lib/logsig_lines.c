/*
 * logsig_lines.c - the log line reader with logksi's framing
 * (spec/logsig.md 2.1).
 *
 * Invariants: start <= end <= cap <= KTS_LS_LINE_BUF; a line is always
 * contiguous in buf (the buffer grows, up to a longest line plus a read
 * chunk, only when a line needs it), so a returned line is a view and
 * nothing is allocated per line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logsig.h"

static long
read_fd(void *arg, uint8_t *buf, size_t n)
{
	struct kts_ls_lines *lr = arg;
	ssize_t k;

	do
		k = read(lr->fd, buf, n);
	while (k < 0 && errno == EINTR);
	return (long)k;
}

static long
read_fp(void *arg, uint8_t *buf, size_t n)
{
	FILE *fp = arg;
	size_t k = fread(buf, 1, n, fp);

	if (k == 0 && ferror(fp))
		return -1;
	return (long)k;
}

static long
read_mem(void *arg, uint8_t *buf, size_t n)
{
	struct kts_ls_lines *lr = arg;
	size_t k = lr->mem_len - lr->mem_off;

	if (k > n)
		k = n;
	memcpy(buf, lr->mem + lr->mem_off, k);
	lr->mem_off += k;
	return (long)k;
}

static int
lines_init(struct kts_ls_lines *lr, kts_ls_read_fn fn, void *arg)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = -1;
	if ((lr->buf = malloc(KTS_FILE_CHUNK)) == NULL)
		return KTS_ENOMEM;
	lr->cap = KTS_FILE_CHUNK;
	lr->read = fn;
	lr->arg = arg != NULL ? arg : lr;
	return 0;
}

int
kts_ls_lines_fd(struct kts_ls_lines *lr, int fd)
{
	int r;

	if ((r = lines_init(lr, read_fd, NULL)) != 0)
		return r;
	lr->fd = fd;
	return 0;
}

int
kts_ls_lines_fp(struct kts_ls_lines *lr, FILE *fp)
{
	return lines_init(lr, read_fp, fp);
}

int
kts_ls_lines_mem(struct kts_ls_lines *lr, const uint8_t *p, size_t n)
{
	int r;

	if ((r = lines_init(lr, read_mem, NULL)) != 0)
		return r;
	lr->mem = p;
	lr->mem_len = n;
	return 0;
}

void
kts_ls_lines_free(struct kts_ls_lines *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* Double the buffer, up to KTS_LS_LINE_BUF. */
static int
grow(struct kts_ls_lines *lr)
{
	size_t cap = lr->cap * 2;
	uint8_t *nb;

	if (cap > KTS_LS_LINE_BUF)
		cap = KTS_LS_LINE_BUF;
	if ((nb = realloc(lr->buf, cap)) == NULL)
		return KTS_ENOMEM;
	lr->buf = nb;
	lr->cap = cap;
	return 0;
}

/* Move the unread bytes to the front and read more.  Sets eof. */
static int
fill(struct kts_ls_lines *lr)
{
	long k;
	int r;

	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	if (lr->end == lr->cap && (r = grow(lr)) != 0)
		return r;
	k = lr->read(lr->arg, lr->buf + lr->end, lr->cap - lr->end);
	if (k < 0)
		return KTS_EIO;
	if (k == 0)
		lr->eof = 1;
	lr->end += (size_t)k;
	return 0;
}

/* Index of the first LF, CR or NUL at or after i, or end. */
static size_t
scan(const uint8_t *b, size_t i, size_t end)
{
	for (; i < end; i++)
		if (b[i] == '\n' || b[i] == '\r' || b[i] == '\0')
			return i;
	return end;
}

/* Drop the LF of a CR LF whose CR ended the previous line. */
static int
skip_lf(struct kts_ls_lines *lr)
{
	int r;

	if (lr->start == lr->end && !lr->eof && (r = fill(lr)) != 0)
		return r;
	if (lr->start < lr->end && lr->buf[lr->start] == '\n')
		lr->start++;
	lr->skip_lf = 0;
	return 0;
}

/* Hand out buf[start, i) as a line ended by the byte at i (if any). */
static int
emit(struct kts_ls_lines *lr, size_t i, const uint8_t **line, size_t *len,
    int *got)
{
	uint8_t c = i < lr->end ? lr->buf[i] : '\n';

	if (i - lr->start > KTS_LS_MAX_LINE)
		return KTS_ETOOBIG;
	/* Signers refuse what logksi's framing would lose (spec 2.1). */
	if (c == '\0' && lr->nul_line == 0)
		lr->nul_line = lr->lineno + 1;
	/* spec 2.1 quirk: a NUL at the start of a line ends the input. */
	if (c == '\0' && i == lr->start) {
		lr->done = 1;
		return 0;
	}
	*line = lr->buf + lr->start;
	*len = i - lr->start;
	lr->start = i < lr->end ? i + 1 : i;
	lr->skip_lf = c == '\r';
	lr->lineno++;
	*got = 1;
	return 0;
}

int
kts_ls_line(struct kts_ls_lines *lr, const uint8_t **line, size_t *len,
    int *got)
{
	size_t from;
	size_t i;
	int r;

	*got = 0;
	*line = NULL;
	*len = 0;
	if (lr->skip_lf && (r = skip_lf(lr)) != 0)
		return r;
	from = lr->start;
	while (!lr->done) {
		i = scan(lr->buf, from, lr->end);
		if (i < lr->end || (lr->eof && lr->start < lr->end))
			return emit(lr, i, line, len, got);
		if (lr->eof) {
			lr->done = 1;
			break;
		}
		if (lr->end - lr->start > KTS_LS_MAX_LINE)
			return KTS_ETOOBIG;
		from = lr->end - lr->start;
		if ((r = fill(lr)) != 0)
			return r;
	}
	return 0;
}
