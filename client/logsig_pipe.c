/*
 * logsig_pipe.c - the signing pipeline of logsig_cli.h.
 *
 * Lines go through the block builder (lib/logsig.h) into the open
 * block's buffer.  A closed block joins a ring of at most a window of
 * blocks; its root goes to the signer at once, and blocks leave the ring
 * for the signature file strictly in order, each as soon as it and every
 * block before it are signed.  So hashing runs ahead while the service
 * answers, memory stays bounded by the window, and the file on disk is
 * always a prefix of the final one until it is renamed into place.
 *
 * Follow mode (kts logsig follow) changes three things.  Nothing waits
 * inside a call: the caller runs the event loop and calls
 * ls_pipe_tick().  A block whose signing failed goes back to LS_Q_RETRY
 * and is asked again after a backoff (1 s doubling to retry_max_ms), so
 * an aggregator outage only delays the file; when the ring (o->queue
 * blocks, o->queue_bytes bytes) is full, the oldest block is written
 * with an unsigned marker instead of stopping the reader.  And blocks go
 * to sinks, one signature file per log file, written in place as soon
 * as each block is ready; after a rotation blocks of the old and the new
 * file share the ring, still strictly in order.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "logsig_cli.h"
#include "util.h"

uint64_t
ls_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
ls_number(const char *cmd, const char *opt, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out)
{
	if (kts_parse_u64(arg, max, out) == 0 && *out >= min)
		return CLI_EXIT_OK;
	cli_err("%s: %s %s: expected a number from %llu to %llu", cmd, opt,
	    arg, (unsigned long long)min, (unsigned long long)max);
	return CLI_EXIT_ARGS;
}

/* ---- state files ---------------------------------------------------------- */

int
ls_state_read(const char *path, struct kts_imprint *im, int *have)
{
	struct kts_perr pe = { 0, 0, NULL };
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*have = 0;
	if (path == NULL || (access(path, F_OK) != 0 && errno == ENOENT))
		return CLI_EXIT_OK;
	if ((r = cli_read_file(path, KTS_LS_MAX_STATE, &buf, &len)) != 0)
		return r;
	r = kts_ls_state_parse(buf, len, im, &pe);
	free(buf);
	if (r != 0) {
		cli_parse_error(path, r, &pe);
		return r == KTS_ECRYPTO ? CLI_EXIT_CRYPTO : CLI_EXIT_FORMAT;
	}
	*have = 1;
	return CLI_EXIT_OK;
}

int
ls_state_write(const char *path, const struct kts_imprint *im)
{
	struct kts_wr wr;
	int r;

	kts_wr_init(&wr, KTS_LS_MAX_STATE);
	if ((r = kts_ls_state_write(&wr, im)) == 0)
		r = kts_file_write(path, wr.p, wr.len);
	kts_wr_free(&wr);
	if (r != 0) {
		cli_err("%s: cannot write the state file: %s", path,
		    kts_strerror(r));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

/* ---- output files -------------------------------------------------------- */

int
ls_file_open(struct ls_file *f, const char *path)
{
	size_t n = strlen(path) + sizeof(".tmpXXXXXX");

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->fd = -1;
	kts_wr_init(&f->buf, LS_OUT_FLUSH);
	if (strcmp(path, "-") == 0) {
		f->fd = STDOUT_FILENO;
		return CLI_EXIT_OK;
	}
	if ((f->tmp = malloc(n)) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	snprintf(f->tmp, n, "%s.tmpXXXXXX", path);
	if ((f->fd = mkstemp(f->tmp)) < 0) {
		cli_err("%s: cannot create %s: %s", path, f->tmp,
		    strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		return CLI_EXIT_IO;
	}
	/* mkstemp makes 0600; a signature file is not a secret. */
	(void)fchmod(f->fd, 0644);
	return CLI_EXIT_OK;
}

int
ls_file_open_direct(struct ls_file *f, const char *path, int append)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->direct = 1;
	kts_wr_init(&f->buf, LS_OUT_FLUSH);
	f->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
	    (append ? O_APPEND : O_TRUNC), 0644);
	if (f->fd < 0) {
		cli_err("%s: cannot create: %s", path, strerror(errno));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

static int
write_all(struct ls_file *f, const uint8_t *p, size_t n)
{
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		k = write(f->fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			cli_err("%s: write failed: %s", f->path,
			    k < 0 ? strerror(errno) : "no progress");
			return CLI_EXIT_IO;
		}
		off += (size_t)k;
	}
	return CLI_EXIT_OK;
}

static int
file_flush(struct ls_file *f)
{
	int rc;

	rc = write_all(f, f->buf.p, f->buf.len);
	f->buf.len = 0;
	return rc;
}

int
ls_file_put(struct ls_file *f, const uint8_t *p, size_t n)
{
	int rc;

	if (f->buf.len + n > LS_OUT_FLUSH && (rc = file_flush(f)) != 0)
		return rc;
	if (n > LS_OUT_FLUSH)
		return write_all(f, p, n);	/* larger than the buffer */
	if (kts_wr_put(&f->buf, p, n) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int
ls_file_commit(struct ls_file *f)
{
	int rc;

	if ((rc = file_flush(f)) != 0)
		return rc;
	if (f->direct) {
		rc = fsync(f->fd) != 0 || close(f->fd) != 0;
		f->fd = -1;
		kts_wr_free(&f->buf);
		if (rc != 0) {
			cli_err("%s: cannot write: %s", f->path,
			    strerror(errno));
			return CLI_EXIT_IO;
		}
		return CLI_EXIT_OK;
	}
	if (f->tmp == NULL) {
		kts_wr_free(&f->buf);
		return CLI_EXIT_OK;
	}
	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		f->fd = -1;
		cli_err("%s: cannot write: %s", f->path, strerror(errno));
		return CLI_EXIT_IO;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) != 0) {
		cli_err("%s: cannot rename %s into place: %s", f->path, f->tmp,
		    strerror(errno));
		return CLI_EXIT_IO;
	}
	free(f->tmp);
	f->tmp = NULL;
	kts_wr_free(&f->buf);
	return CLI_EXIT_OK;
}

void
ls_file_abort(struct ls_file *f)
{
	if (f->direct && f->fd >= 0) {
		/* What is written stays: a prefix of whole blocks. */
		(void)file_flush(f);
		close(f->fd);
	}
	if (f->tmp != NULL) {
		if (f->fd >= 0)
			close(f->fd);
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
	f->fd = -1;
	kts_wr_free(&f->buf);
}

/* ---- signature files read ------------------------------------------------ */

int
ls_map(const char *path, struct ls_map *m)
{
	struct stat st;
	void *p;
	int fd;

	memset(m, 0, sizeof(*m));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		cli_err("%s: cannot open: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CLI_EXIT_IO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		/* Pipes and empty files: read them (an empty one fails). */
		return cli_read_file(path, KTS_LS_MAX_READ, &m->p, &m->len);
	}
	if ((uint64_t)st.st_size > KTS_LS_MAX_FILE) {
		close(fd);
		cli_err("%s: %lld bytes: over the %llu-byte limit for a "
		    "signature file", path, (long long)st.st_size,
		    (unsigned long long)KTS_LS_MAX_FILE);
		return CLI_EXIT_FORMAT;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		cli_err("%s: cannot map: %s", path, strerror(errno));
		return CLI_EXIT_IO;
	}
	m->p = p;
	m->len = (size_t)st.st_size;
	m->mapped = 1;
	return CLI_EXIT_OK;
}

void
ls_unmap(struct ls_map *m)
{
	if (m->mapped)
		munmap(m->p, m->len);
	else
		free(m->p);
	memset(m, 0, sizeof(*m));
}

/* ---- the ring of closed blocks ------------------------------------------- */

static struct ls_qblk *
qslot(struct ls_pipe *p, uint64_t tag)
{
	return &p->q[tag % p->qcap];
}

static void
event(struct ls_pipe *p, struct ls_event *ev)
{
	/* A block being written (and its file) no longer waits. */
	ev->waiting = ls_pipe_pending(p) -
	    (ev->kind == LS_EV_BLOCK || ev->kind == LS_EV_FILE_DONE);
	if (p->o->event != NULL)
		p->o->event(p->o->event_arg, ev);
}

/*
 * Follow mode: signing failed (why).  The first failure after a retry
 * time sets the next one, 1 s doubling to retry_max_ms; the failures of
 * the other blocks of the same attempt change nothing.
 */
static void
note_failure(struct ls_pipe *p, const char *why)
{
	struct ls_event ev;
	uint64_t now = ls_monotonic_ms();

	if (p->retry_at > now)
		return;
	if (p->backoff_ms == 0)
		p->backoff_ms = LS_RETRY_FIRST_MS;
	else if ((p->backoff_ms *= 2) > p->o->retry_max_ms)
		p->backoff_ms = p->o->retry_max_ms;
	p->retry_at = now + p->backoff_ms;
	memset(&ev, 0, sizeof(ev));
	ev.kind = LS_EV_FAILED;
	ev.why = why;
	ev.retry_ms = p->backoff_ms;
	event(p, &ev);
}

/* Follow mode: the answer for qb. */
static void
follow_signed(struct ls_pipe *p, struct ls_qblk *qb, struct kts_sig *sig,
    int rc, const char *why)
{
	struct ls_event ev;

	if (rc != 0) {
		kts_sig_free(sig);
		qb->state = LS_Q_RETRY;
		note_failure(p, why);
		return;
	}
	qb->sig = sig;
	qb->state = LS_Q_SIGNED;
	if (p->backoff_ms == 0)
		return;
	/* Back: everything kept is asked for at the next tick. */
	p->backoff_ms = 0;
	p->retry_at = 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = LS_EV_RECOVERED;
	event(p, &ev);
}

static void
on_signed(void *arg, uint64_t tag, struct kts_sig *sig, int rc,
    const char *why)
{
	struct ls_pipe *p = arg;
	struct ls_qblk *qb;

	if (tag < p->q_first || tag >= p->q_next) {
		kts_sig_free(sig);
		return;		/* aborted, or written unsigned meanwhile */
	}
	qb = qslot(p, tag);
	if (p->o->follow) {
		if (qb->state == LS_Q_WAITING)
			follow_signed(p, qb, sig, rc, why);
		else
			kts_sig_free(sig);
		return;
	}
	if (rc != 0) {
		if (p->rc == 0)
			cli_err("%s: block %llu: aggregator %s: %s", p->log,
			    (unsigned long long)(tag - p->file_tag0 + 1),
			    p->o->svc->url, why);
		if (p->rc == 0)
			p->rc = rc;
		kts_sig_free(sig);
		return;
	}
	qb->sig = sig;
	qb->state = LS_Q_SIGNED;
}

/* The 0x904 element of a queued block. */
static int
put_bsig(struct ls_pipe *p, struct ls_qblk *qb, struct kts_wr *wr)
{
	struct kts_ls_bsig bs;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	memset(&bs, 0, sizeof(bs));
	bs.count = qb->count;
	if (qb->state == LS_Q_UNSIGNED) {
		bs.kind = KTS_LS_SIG_NONE;
		bs.root = qb->root;
		bs.text = qb->text != NULL ? qb->text : p->o->unsigned_text;
		return kts_ls_wr_bsig(wr, &bs);
	}
	if ((r = kts_sig_serialize(qb->sig, &sig, &len)) != 0)
		return r;
	bs.kind = KTS_LS_SIG_KSI;
	bs.sig = sig;
	bs.sig_len = len;
	r = kts_ls_wr_bsig(wr, &bs);
	free(sig);
	return r;
}

static void
count_time(struct ls_pipe *p, const struct ls_qblk *qb)
{
	uint64_t t;

	if (qb->state != LS_Q_SIGNED) {
		p->unsigned_blocks++;
		return;
	}
	t = kts_sig_signing_time(qb->sig);
	if (p->first_time == 0 || t < p->first_time)
		p->first_time = t;
	if (t > p->last_time)
		p->last_time = t;
}

static void
sink_free(struct ls_sink *k)
{
	if (k == NULL)
		return;
	if (!k->done)
		ls_file_abort(&k->f);
	free(k->log);
	free(k->path);
	free(k);
}

/* Follow mode: qb was written to its sink; close the sink after its last. */
static int
sink_wrote(struct ls_pipe *p, struct ls_qblk *qb)
{
	struct ls_sink *k = qb->sink;
	struct ls_sink **pp;
	struct ls_event ev;
	int rc;

	if ((rc = file_flush(&k->f)) != 0)
		return rc;
	k->written++;
	k->lines += qb->lines;
	k->unsigned_blocks += qb->state != LS_Q_SIGNED;
	k->output = qb->output;
	p->q_bytes -= qb->len;
	memset(&ev, 0, sizeof(ev));
	ev.kind = LS_EV_BLOCK;
	ev.sink = k;
	ev.qb = qb;
	event(p, &ev);
	if (!qb->last)
		return CLI_EXIT_OK;
	if ((rc = ls_file_commit(&k->f)) != 0)
		return rc;
	k->done = 1;
	ev.kind = LS_EV_FILE_DONE;
	ev.qb = NULL;
	event(p, &ev);
	for (pp = &p->sinks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	sink_free(k);
	return CLI_EXIT_OK;
}

/* Write one ready block: its elements, then its 0x904. */
static int
write_block(struct ls_pipe *p, struct ls_qblk *qb)
{
	struct ls_file *f = qb->sink != NULL ? &qb->sink->f : &p->out;
	struct kts_wr wr;
	int rc;
	int r;

	kts_wr_init(&wr, KTS_LS_MAX_ELEM + 16);
	if ((r = put_bsig(p, qb, &wr)) != 0) {
		cli_err("%s: cannot encode a block signature: %s",
		    p->log, kts_strerror(r));
		kts_wr_free(&wr);
		return CLI_EXIT_FAILURE;
	}
	rc = ls_file_put(f, qb->data, qb->len);
	if (rc == 0)
		rc = ls_file_put(f, wr.p, wr.len);
	kts_wr_free(&wr);
	if (rc == 0 && qb->sink != NULL)
		rc = sink_wrote(p, qb);
	return rc;
}

/* Write every leading block that is ready. */
static int
flush_ready(struct ls_pipe *p)
{
	struct ls_qblk *qb;
	int rc;

	while (p->q_first < p->q_next &&
	    ((qb = qslot(p, p->q_first))->state == LS_Q_SIGNED ||
	    qb->state == LS_Q_UNSIGNED)) {
		if ((rc = write_block(p, qb)) != 0)
			return rc;
		count_time(p, qb);
		p->blocks++;
		p->records += qb->count;
		free(qb->data);
		kts_sig_free(qb->sig);
		memset(qb, 0, sizeof(*qb));
		p->q_first++;
	}
	return CLI_EXIT_OK;
}

static void
progress(struct ls_pipe *p, int final)
{
	uint64_t now;

	if (p->o->quiet || !isatty(STDERR_FILENO))
		return;
	now = ls_monotonic_ms();
	if (!final && now - p->progress_at < 500)
		return;
	p->progress_at = now;
	fprintf(stderr, "\rkts: %s: %llu lines, %llu blocks written, %llu "
	    "waiting for a signature%s", p->log,
	    (unsigned long long)p->lines, (unsigned long long)p->blocks,
	    (unsigned long long)(p->q_next - p->q_first),
	    final ? "\n" : "   ");
}

/* Run the event loop once and write what became ready. */
static int
pump(struct ls_pipe *p)
{
	int rc;

	if (p->base != NULL && event_base_loop(p->base, EVLOOP_ONCE) < 0) {
		cli_err("event loop failed");
		return CLI_EXIT_FAILURE;
	}
	if (p->rc != 0)
		return p->rc;
	if ((rc = flush_ready(p)) != 0)
		return rc;
	progress(p, 0);
	return CLI_EXIT_OK;
}

/*
 * Follow mode: ask for the signatures of the blocks in LS_Q_RETRY, oldest
 * first, unless a retry time is still ahead or the signer's window is
 * full.  Never waits.
 */
static int
ask_due(struct ls_pipe *p)
{
	struct ls_qblk *qb;
	uint64_t t;
	int r;

	if (p->retry_at > ls_monotonic_ms())
		return CLI_EXIT_OK;
	for (t = p->q_first; t < p->q_next; t++) {
		if ((qb = qslot(p, t))->state != LS_Q_RETRY)
			continue;
		r = cli_signer_submit(p->signer, t, &qb->root, qb->level);
		if (r == KTS_ETOOBIG)
			break;
		if (r == KTS_EIO) {
			note_failure(p, "the aggregator is not reachable");
			break;
		}
		if (r != 0) {
			cli_err("%s: cannot ask for a signature: %s", p->log,
			    kts_strerror(r));
			return CLI_EXIT_FAILURE;
		}
		qb->state = LS_Q_WAITING;
	}
	return CLI_EXIT_OK;
}

/* Hand a closed block to the signer, waiting for room if needed. */
static int
submit(struct ls_pipe *p, uint64_t tag)
{
	struct ls_qblk *qb = qslot(p, tag);
	int rc;
	int r;

	if (p->o->unsigned_text != NULL) {
		qb->state = LS_Q_UNSIGNED;
		return CLI_EXIT_OK;
	}
	if (p->o->follow) {
		qb->state = LS_Q_RETRY;
		return ask_due(p);
	}
	while ((r = cli_signer_submit(p->signer, tag, &qb->root,
	    qb->level)) == KTS_ETOOBIG)
		if ((rc = pump(p)) != 0)
			return rc;
	if (r == 0)
		return CLI_EXIT_OK;
	cli_err("%s: cannot ask for a signature: %s", p->log,
	    r == KTS_EIO ? "the aggregator is not reachable" :
	    kts_strerror(r));
	return r == KTS_EIO ? CLI_EXIT_NETWORK : CLI_EXIT_FAILURE;
}

/* ---- blocks --------------------------------------------------------------- */

static int
read_seed(struct ls_pipe *p, uint8_t *seed, size_t n)
{
	size_t off = 0;
	ssize_t k;

	while (off < n) {
		k = read(p->seed_fd, seed + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			cli_err("%s: cannot read %zu bytes of seed: %s",
			    p->o->seed_path, n, k < 0 ? strerror(errno) :
			    "the file ends");
			return CLI_EXIT_IO;
		}
		off += (size_t)k;
	}
	return CLI_EXIT_OK;
}

/* Before the first record of a block: its seed and start time. */
static int
open_block(struct ls_pipe *p)
{
	uint8_t seed[KTS_LS_MAX_SEED];
	int rc;

	if ((rc = read_seed(p, seed, p->o->seed_len)) != 0)
		return rc;
	if (kts_ls_blk_seed(&p->b, seed, p->o->seed_len) != 0) {
		cli_err("bad seed length %zu", p->o->seed_len);
		return CLI_EXIT_ARGS;
	}
	p->block_started = ls_monotonic_ms();
	return CLI_EXIT_OK;
}

/*
 * Room in the ring for one more block.  sign waits for signatures; follow
 * never waits: it writes the oldest block now, with an unsigned marker if
 * it has no signature yet (the memory cap of LS_FOLLOW_QUEUE).
 */
static int
make_room(struct ls_pipe *p)
{
	struct ls_qblk *qb;
	int rc;

	while (p->q_next - p->q_first >= p->qcap ||
	    (p->o->follow && p->o->queue_bytes != 0 &&
	    p->q_first < p->q_next &&
	    p->q_bytes + p->cur.len > p->o->queue_bytes)) {
		if (!p->o->follow) {
			if ((rc = pump(p)) != 0)
				return rc;
			continue;
		}
		qb = qslot(p, p->q_first);
		if (qb->state != LS_Q_SIGNED) {
			qb->state = LS_Q_UNSIGNED;
			qb->text = LS_TEXT_QUEUE_FULL;
		}
		if ((rc = flush_ready(p)) != 0)
			return rc;
	}
	return CLI_EXIT_OK;
}

/* Follow mode: the bookkeeping of a block just closed into qb. */
static void
follow_closed(struct ls_pipe *p, struct ls_qblk *qb)
{
	assert(p->sink != NULL);
	qb->sink = p->sink;
	qb->block = ++p->sink->closed;
	qb->lines = p->block_lines;
	p->block_lines = 0;
	ls_pipe_output(p, &qb->output);
	p->q_bytes += qb->len;
}

int
ls_pipe_close_block(struct ls_pipe *p, const char *reason)
{
	struct ls_qblk *qb;
	uint64_t count;
	int rc;
	int r;

	if (p->b.n == 0 && reason == NULL)
		return CLI_EXIT_OK;
	if ((rc = make_room(p)) != 0)
		return rc;
	if (p->b.n == 0 && (rc = open_block(p)) != 0)
		return rc;
	if (reason != NULL && (r = kts_ls_blk_add_meta(&p->b,
	    KTS_LS_CLOSE_KEY, reason, &p->cur)) != 0)
		goto fail;
	qb = qslot(p, p->q_next);
	memset(qb, 0, sizeof(*qb));
	count = p->b.n;
	if ((r = kts_ls_blk_close(&p->b, &p->cur, &qb->root,
	    &qb->level)) != 0 ||
	    (r = kts_wr_take(&p->cur, &qb->data, &qb->len)) != 0)
		goto fail;
	qb->count = count;
	if (p->o->follow)
		follow_closed(p, qb);
	return submit(p, p->q_next++);
fail:
	cli_err("%s: cannot close block: %s", p->log, kts_strerror(r));
	return CLI_EXIT_FAILURE;
}

int
ls_pipe_line(struct ls_pipe *p, const uint8_t *line, size_t len)
{
	int rc;
	int r;

	if (p->b.n == 0 && (rc = open_block(p)) != 0)
		return rc;
	if ((r = kts_ls_blk_add_line(&p->b, line, len, &p->cur)) != 0) {
		cli_err("%s: line %llu: %s", p->log,
		    (unsigned long long)p->lines + 1, kts_strerror(r));
		return CLI_EXIT_FAILURE;
	}
	p->lines++;
	p->block_lines++;
	if ((p->lines & 0xffff) == 0 && !p->o->follow) {
		if (p->base != NULL &&
		    event_base_loop(p->base, EVLOOP_NONBLOCK) < 0)
			return CLI_EXIT_FAILURE;
		if (p->rc != 0)
			return p->rc;
		if ((rc = flush_ready(p)) != 0)
			return rc;
		progress(p, 0);
	}
	if (p->b.n >= p->o->block_records)
		return ls_pipe_close_block(p, NULL);
	return CLI_EXIT_OK;
}

/* ---- files ---------------------------------------------------------------- */

int
ls_pipe_begin(struct ls_pipe *p, const char *log, const char *path)
{
	struct kts_wr wr;
	int rc;

	p->log = log;
	p->file_tag0 = p->q_next;
	p->lines = 0;
	p->blocks = 0;
	p->records = 0;
	p->first_time = 0;
	p->last_time = 0;
	p->unsigned_blocks = 0;
	if ((rc = ls_file_open(&p->out, path)) != 0)
		return rc;
	p->out_open = 1;
	kts_wr_init(&wr, 16);
	if (kts_ls_wr_magic(&wr, KTS_LS_LOGSIG12) != 0) {
		kts_wr_free(&wr);
		return CLI_EXIT_FAILURE;
	}
	rc = ls_file_put(&p->out, wr.p, wr.len);
	kts_wr_free(&wr);
	return rc;
}

int
ls_pipe_end(struct ls_pipe *p)
{
	int rc;

	if ((rc = ls_pipe_close_block(p, LS_CLOSE_FILE)) != 0)
		return rc;
	while (p->q_first < p->q_next)
		if ((rc = pump(p)) != 0)
			return rc;
	progress(p, 1);
	p->out_open = 0;
	return ls_file_commit(&p->out);
}

/* ---- follow mode ----------------------------------------------------------- */

int
ls_pipe_sink_begin(struct ls_pipe *p, const char *log, const char *path,
    int append)
{
	struct ls_sink *k;
	struct kts_wr wr;
	int rc;

	assert(p->o->follow && p->sink == NULL);
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->log = strdup(log)) == NULL ||
	    (k->path = strdup(path)) == NULL) {
		sink_free(k);
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if ((rc = ls_file_open_direct(&k->f, k->path, append)) != 0) {
		k->done = 1;	/* nothing to close */
		sink_free(k);
		return rc;
	}
	kts_ls_bytes_imprint(p->b.prev, p->b.alg, &k->output);
	k->next = p->sinks;
	p->sinks = k;
	p->sink = k;
	p->log = k->log;
	if (append)
		return CLI_EXIT_OK;
	kts_wr_init(&wr, 16);
	if (kts_ls_wr_magic(&wr, KTS_LS_LOGSIG12) != 0) {
		kts_wr_free(&wr);
		return CLI_EXIT_FAILURE;
	}
	if ((rc = ls_file_put(&k->f, wr.p, wr.len)) == 0)
		rc = file_flush(&k->f);
	kts_wr_free(&wr);
	return rc;
}

int
ls_pipe_sink_rename(struct ls_pipe *p, const char *log, const char *path)
{
	char *l = strdup(log);
	char *f = strdup(path);

	if (l == NULL || f == NULL) {
		free(l);
		free(f);
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	free(p->sink->log);
	free(p->sink->path);
	p->sink->log = l;
	p->sink->path = f;
	p->sink->f.path = f;
	p->log = l;
	return CLI_EXIT_OK;
}

int
ls_pipe_sink_end(struct ls_pipe *p)
{
	int rc;

	assert(p->sink != NULL);
	if ((rc = ls_pipe_close_block(p, LS_CLOSE_FILE)) != 0)
		return rc;
	qslot(p, p->q_next - 1)->last = 1;
	p->sink = NULL;
	return flush_ready(p);
}

int
ls_pipe_tick(struct ls_pipe *p)
{
	int rc;

	if ((rc = ask_due(p)) != 0)
		return rc;
	return flush_ready(p);
}

uint64_t
ls_pipe_pending(const struct ls_pipe *p)
{
	return p->q_next - p->q_first;
}

int
ls_pipe_give_up(struct ls_pipe *p, const char *text)
{
	struct ls_qblk *qb;
	uint64_t t;

	for (t = p->q_first; t < p->q_next; t++)
		if ((qb = qslot(p, t))->state != LS_Q_SIGNED) {
			qb->state = LS_Q_UNSIGNED;
			qb->text = text;
		}
	return flush_ready(p);
}

void
ls_pipe_output(const struct ls_pipe *p, struct kts_imprint *out)
{
	kts_ls_bytes_imprint(p->b.prev, p->b.alg, out);
}

/* ---- set-up --------------------------------------------------------------- */

static int
open_seed(struct ls_pipe *p)
{
	p->seed_fd = open(p->o->seed_path, O_RDONLY | O_CLOEXEC);
	if (p->seed_fd < 0) {
		cli_err("%s: cannot open the seed source: %s",
		    p->o->seed_path, strerror(errno));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

int
ls_pipe_init(struct ls_pipe *p, const struct ls_popts *o,
    const struct kts_imprint *input)
{
	int rc;
	int r;

	memset(p, 0, sizeof(*p));
	p->o = o;
	p->seed_fd = -1;
	p->out.fd = -1;
	kts_wr_init(&p->cur, KTS_LS_MAX_BLOCK_BYTES);
	if ((r = kts_ls_blk_init(&p->b, o->alg, input, o->flags)) != 0) {
		cli_err("cannot start the block builder: %s", kts_strerror(r));
		return CLI_EXIT_ARGS;
	}
	p->qcap = o->follow && o->queue != 0 ? o->queue : o->window;
	if ((p->q = calloc(p->qcap, sizeof(*p->q))) == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_FAILURE;
	}
	if ((rc = open_seed(p)) != 0)
		return rc;
	if (o->unsigned_text != NULL)
		return CLI_EXIT_OK;
	if ((p->base = event_base_new()) == NULL) {
		cli_err("cannot make an event loop");
		return CLI_EXIT_FAILURE;
	}
	return cli_signer_new(p->base, o->svc, o->window, on_signed, p,
	    &p->signer);
}

void
ls_pipe_free(struct ls_pipe *p)
{
	uint64_t t;

	cli_signer_free(p->signer);
	p->signer = NULL;
	if (p->base != NULL)
		event_base_free(p->base);
	p->base = NULL;
	for (t = p->q_first; p->q != NULL && t < p->q_next; t++) {
		free(qslot(p, t)->data);
		kts_sig_free(qslot(p, t)->sig);
	}
	free(p->q);
	p->q = NULL;
	while (p->sinks != NULL) {
		struct ls_sink *k = p->sinks;

		p->sinks = k->next;
		sink_free(k);
	}
	p->sink = NULL;
	if (p->out_open)
		ls_file_abort(&p->out);
	p->out_open = 0;
	if (p->seed_fd >= 0)
		close(p->seed_fd);
	p->seed_fd = -1;
	kts_wr_free(&p->cur);
}
