/*
 * logsig_cli.h - what the `kts logsig` subcommands share: the signing
 * pipeline that turns log lines into a LOGSIG12 file (used by sign and
 * follow), output files written beside their target and renamed into
 * place, and the exit codes of log verification.
 *
 * Exit codes follow logksi where a log-signature user expects them:
 * 0 ok, 1 inconclusive (an unsigned block, no trust anchor), 4 a file
 * does not parse, 6 verification failed; the rest as common.h.
 */
#ifndef KTS_CLIENT_LOGSIG_CLI_H
#define KTS_CLIENT_LOGSIG_CLI_H

#include <stdint.h>

#include <event2/event.h>

#include "common.h"
#include "logsig.h"
#include "signer.h"
#include "wr.h"

/* Default records in a block, metarecords included (tree height 11). */
#define LS_DEFAULT_BLOCK_RECORDS 1024

/*
 * Most records in a block: a block's root is signed at its tree height,
 * and 2^20 records make height 21, inside every aggregator's limit (the
 * local stack's leaves offer 30); it also bounds one block's memory.
 */
#define LS_MAX_BLOCK_RECORDS (1u << 20)

/*
 * Most bytes of one block's elements before its signature: 2^20 records
 * with record and tree hashes of SHA-512 take about 210 MB.
 */
#define KTS_LS_MAX_BLOCK_BYTES (256u * 1024u * 1024u)

/*
 * Largest signature file: it is mapped, not read, so the cap only keeps
 * a wrong path (a disk image, a device) from being taken for one; 4 GiB
 * holds record and tree hashes for about 20 million lines.
 */
#define KTS_LS_MAX_FILE (4ull << 30)

/* Largest signature file read from a pipe, into memory. */
#define KTS_LS_MAX_READ (256u * 1024u * 1024u)

/* Most blocks whose verdicts proofs keeps (16 bytes each). */
#define KTS_LS_MAX_BLOCKS (1ull << 26)

/* Most -r ranges of one extract. */
#define KTS_LS_MAX_RANGES 65536u

/* A state file is 9 + 2 + a digest (at most 64) bytes. */
#define KTS_LS_MAX_STATE 128u

/* Default signatures in flight while signing. */
#define LS_DEFAULT_WINDOW 256

/* Bytes gathered before one write to the signature file. */
#define LS_OUT_FLUSH (256u * 1024u)

/*
 * Follow mode (kts logsig follow): closed blocks held in memory while
 * they wait for a signature, and their bytes.  An aggregator outage of
 * an hour with a block every 10 s makes 360 blocks; 4096 blocks of a
 * busy log with record hashes (about 40 KB a 1024-record block) pin
 * about 160 MB, so the bytes have a cap of their own.  When either is
 * reached the oldest block is written with an unsigned marker (to be
 * signed later): reading never stops and no line is lost.
 */
#define LS_FOLLOW_QUEUE 4096u
#define LS_FOLLOW_QUEUE_MAX 65536u	/* the ring itself: about 10 MB */
#define LS_FOLLOW_QUEUE_BYTES (64u * 1024u * 1024u)

/* Follow mode: first and longest wait before a failed block is retried. */
#define LS_RETRY_FIRST_MS 1000u
#define LS_RETRY_MAX_MS 30000u

/* Follow mode: the texts of unsigned markers (0x904.02.02). */
#define LS_TEXT_QUEUE_FULL "Not signed: the aggregator was unreachable " \
	"and the queue of blocks waiting for it was full."
#define LS_TEXT_STOPPED "Not signed: the aggregator was unreachable " \
	"when kts logsig follow stopped."

/* The close reasons rsyslog and logksi write (spec/logsig.md 1.3). */
#define LS_CLOSE_FILE "Block closed due to file closure."
#define LS_CLOSE_TIME_FMT "Block closed due to reaching time limit %llu"

/*
 * An output file: written to PATH.tmpXXXXXX, then fsynced and renamed
 * over PATH on commit, or removed on abort; "-" writes stdout.
 */
struct ls_file {
	const char *path;		/* borrowed */
	char *tmp;			/* owned; NULL for stdout */
	int fd;
	int direct;			/* written in place (follow) */
	struct kts_wr buf;		/* pending bytes */
};

/* ls_file_open - start PATH.  Returns an exit code (message printed). */
int ls_file_open(struct ls_file *f, const char *path);

/*
 * ls_file_open_direct - start PATH in place (truncated, or appended to
 * if append): every block is written as soon as it is ready, so the
 * file grows with the log (kts logsig follow).  Commit then fsyncs and
 * closes.  Exit code.
 */
int ls_file_open_direct(struct ls_file *f, const char *path, int append);

/* ls_file_put - append; written out in LS_OUT_FLUSH pieces.  Exit code. */
int ls_file_put(struct ls_file *f, const uint8_t *p, size_t n);

/* ls_file_commit - flush, fsync, rename into place.  Exit code. */
int ls_file_commit(struct ls_file *f);

/* ls_file_abort - remove the temporary file; safe after commit. */
void ls_file_abort(struct ls_file *f);

/* A signature file mapped read-only (or read whole from a pipe). */
struct ls_map {
	uint8_t *p;
	size_t len;
	int mapped;
};

/*
 * ls_map - map path (pipes and empty files are read, up to
 * KTS_LS_MAX_READ).  Returns an exit code (message printed).
 * Ownership: release with ls_unmap().
 */
int ls_map(const char *path, struct ls_map *m);
void ls_unmap(struct ls_map *m);

/*
 * Follow mode: one signature file being written.  Blocks of several
 * files (before and after a rotation) can wait in the ring at once; a
 * sink is closed when its last block is written.
 */
struct ls_sink {
	struct ls_file f;
	char *log;			/* the log it signs (owned) */
	char *path;			/* where it is (owned) */
	uint64_t closed;		/* blocks closed into it */
	uint64_t written;		/* blocks written to it */
	uint64_t unsigned_blocks;	/* of which with an unsigned marker */
	uint64_t lines;			/* log lines written */
	struct kts_imprint output;	/* last leaf written */
	int done;			/* its last block is written */
	struct ls_sink *next;		/* the pipe's list of sinks */
};

/* A block as ls_walk hands it over: its records, made from the log. */
struct ls_wblk {
	uint64_t block;			/* 1-based */
	struct kts_ls_hdr hdr;		/* views into the mapped file */
	const struct kts_ls_bsig *bs;	/* its signature element */
	struct kts_imprint *recs;	/* record hashes */
	uint8_t *is_meta;
	uint64_t *lineno;		/* log line of a record, 0 = meta */
	size_t *toff;			/* a wanted line's text in text */
	size_t *tlen;			/* its length, LS_NO_TEXT if none */
	struct kts_wr text;
	uint64_t n;
	uint64_t cap;
	int wanted;			/* a wanted line is in the block */
	struct kts_ls_tree *tree;	/* the block's tree, for fn */
	struct kts_ls_chain *chain;	/* scratch for one record chain */
};

#define LS_NO_TEXT SIZE_MAX

/* Is log line (1-based) wanted?  Called in ascending order. */
typedef int (*ls_want_fn)(void *arg, uint64_t line);
/*
 * A block with a wanted line, its tree built; returns 0 or a KTS_E* to
 * stop.
 */
typedef int (*ls_block_fn)(void *arg, struct ls_wblk *b);

/*
 * ls_walk - read log and its (already verified) signature file m
 * together and call fn for every block holding a wanted line.  Returns
 * 0, fn's error, or a KTS_E* (KTS_EIO with a message when the log
 * cannot be opened).
 */
int ls_walk(const char *log, const struct ls_map *m, ls_want_fn want,
    ls_block_fn fn, void *arg);

/* A block's verdict, for the proofs of its lines. */
struct ls_bstat {
	int checked;			/* the verifier reached it */
	enum kts_ls_status status;
	enum kts_ls_what what;
	uint64_t sig_time;
};

/*
 * ls_proofs_emit - one JSON line on stdout for every line of log: its
 * record hash, block, the block's verdict from st[0..n), signing time,
 * and its chain to the block root; the text as "message" if with_text.
 * Returns an exit code.
 */
int ls_proofs_emit(const char *log, const char *sigpath,
    const struct ls_bstat *st, uint64_t n, int with_text);

/* What ls_diagnose found: NULLs when it could not tell more. */
struct ls_diag {
	const char *what;		/* "line-missing", "line-inserted",
					 * "lines-swapped" */
	const char *detail;
};

/*
 * ls_diagnose - for a record-changed failure in log against signature
 * file m (record hashes kept), tell a removed, added or swapped line
 * from a changed one.
 * Ownership: d's strings are static.
 */
void ls_diagnose(const char *log, const struct ls_map *m,
    const struct kts_ls_vres *res, struct ls_diag *d);

/* A closed block waiting for its signature, in file order. */
struct ls_qblk {
	uint8_t *data;			/* header, records, hashes (owned) */
	size_t len;
	struct kts_imprint root;
	unsigned level;
	uint64_t count;			/* records, metarecords included */
	struct kts_sig *sig;		/* once signed (owned) */
	int state;			/* LS_Q_* */
	/* Follow mode only: */
	struct ls_sink *sink;		/* its file (the pipe owns it) */
	uint64_t block;			/* its number in the file, 1-based */
	uint64_t lines;			/* log lines in it */
	int last;			/* the file's last block */
	const char *text;		/* why unsigned (static) */
	struct kts_imprint output;	/* its last leaf */
};

#define LS_Q_WAITING 0			/* asked; the answer is awaited */
#define LS_Q_SIGNED 1
#define LS_Q_UNSIGNED 2			/* written with an unsigned marker */
#define LS_Q_RETRY 3			/* follow: to be asked (again) */

/* Follow mode: what the pipeline reports. */
enum ls_ev_kind {
	LS_EV_BLOCK = 1,	/* a block was written (signed or not) */
	LS_EV_FAILED,		/* signing failed; blocks kept, retried */
	LS_EV_RECOVERED,	/* a signature came after failures */
	LS_EV_FILE_DONE		/* a signature file was closed */
};

struct ls_event {
	enum ls_ev_kind kind;
	const struct ls_sink *sink;	/* BLOCK, FILE_DONE */
	const struct ls_qblk *qb;	/* BLOCK */
	const char *why;		/* FAILED: the reason */
	uint64_t waiting;		/* blocks not yet signed */
	uint64_t retry_ms;		/* FAILED: next try in */
};

typedef void (*ls_event_fn)(void *arg, const struct ls_event *ev);

/* What a pipeline is asked to do. */
struct ls_popts {
	uint8_t alg;			/* block hash algorithm */
	unsigned flags;			/* KTS_LS_KEEP_* */
	uint64_t block_records;		/* close a block at this many */
	size_t seed_len;		/* bytes of seed a block */
	const char *seed_path;		/* seed source (/dev/urandom) */
	unsigned window;		/* signatures in flight */
	const char *unsigned_text;	/* non-NULL: do not sign, mark */
	const struct cli_service *svc;	/* aggregator (NULL if unsigned) */
	int quiet;			/* no progress display */
	/*
	 * Follow mode: never wait inside a call (the caller runs the event
	 * loop and calls ls_pipe_tick), keep blocks whose signing failed
	 * and ask again with a backoff, write blocks in place as soon as
	 * they are ready, into one sink per log file.
	 */
	int follow;
	unsigned queue;			/* ring places (0: window) */
	size_t queue_bytes;		/* bytes of queued blocks (0: none) */
	uint64_t retry_max_ms;		/* longest backoff */
	ls_event_fn event;		/* reports (may be NULL) */
	void *event_arg;
};

/* The pipeline: lines in, a LOGSIG12 file out. */
struct ls_pipe {
	const struct ls_popts *o;	/* borrowed */
	struct kts_ls_blk b;		/* the builder */
	struct kts_wr cur;		/* the open block's elements */
	int seed_fd;
	struct event_base *base;
	struct cli_signer *signer;
	struct ls_qblk *q;		/* ring of qcap places */
	unsigned qcap;			/* window, or o->queue in follow */
	size_t q_bytes;			/* follow: bytes of queued blocks */
	struct ls_sink *sink;		/* follow: file of new blocks */
	struct ls_sink *sinks;		/* follow: every open sink */
	uint64_t retry_at;		/* follow: monotonic ms of next try */
	uint64_t backoff_ms;		/* follow: current wait, 0 = none */
	uint64_t block_lines;		/* lines in the open block */
	uint64_t q_first;		/* tag of the oldest queued block */
	uint64_t q_next;		/* tag of the next block */
	uint64_t file_tag0;		/* tag of the file's first block */
	struct ls_file out;
	int out_open;
	const char *log;		/* the log being signed (messages) */
	int rc;				/* first failure's exit code */
	/* Counters of the current file. */
	uint64_t lines;
	uint64_t blocks;
	uint64_t records;
	uint64_t first_time;		/* earliest signing time */
	uint64_t last_time;		/* latest signing time */
	uint64_t unsigned_blocks;
	uint64_t block_started;		/* monotonic ms of the open block */
	uint64_t progress_at;		/* monotonic ms of the last display */
};

/*
 * ls_pipe_init - a pipeline for o starting from input (NULL: the zero
 * imprint).  Returns an exit code (message printed).
 * Ownership: free with ls_pipe_free(); o is borrowed.
 */
int ls_pipe_init(struct ls_pipe *p, const struct ls_popts *o,
    const struct kts_imprint *input);

/* ls_pipe_begin - start the signature file path for log.  Exit code. */
int ls_pipe_begin(struct ls_pipe *p, const char *log, const char *path);

/* ls_pipe_line - add a log line; closes a full block.  Exit code. */
int ls_pipe_line(struct ls_pipe *p, const uint8_t *line, size_t len);

/*
 * ls_pipe_close_block - close the open block (if any) with a closing
 * metarecord saying reason (NULL: none).  Exit code.
 */
int ls_pipe_close_block(struct ls_pipe *p, const char *reason);

/*
 * ls_pipe_end - close the file's last block with the file-closure
 * metarecord, wait for every signature, write and commit the file.
 * Exit code.
 */
int ls_pipe_end(struct ls_pipe *p);

/*
 * Follow mode.  ls_pipe_sink_begin starts a signature file at path
 * (written in place; if append, continued after its last block) for
 * log; ls_pipe_sink_rename records that it was moved;
 * ls_pipe_sink_end closes its last block with the file-closure
 * metarecord (the file is closed once that block is written).
 * ls_pipe_tick asks for due signatures and writes what is ready;
 * ls_pipe_pending counts blocks not yet written; ls_pipe_give_up marks
 * them all unsigned with text and writes them.  Exit codes.
 */
int ls_pipe_sink_begin(struct ls_pipe *p, const char *log, const char *path,
    int append);
int ls_pipe_sink_rename(struct ls_pipe *p, const char *log, const char *path);
int ls_pipe_sink_end(struct ls_pipe *p);
int ls_pipe_tick(struct ls_pipe *p);
uint64_t ls_pipe_pending(const struct ls_pipe *p);
int ls_pipe_give_up(struct ls_pipe *p, const char *text);

/* ls_pipe_output - the last leaf so far (the next input hash). */
void ls_pipe_output(const struct ls_pipe *p, struct kts_imprint *out);

void ls_pipe_free(struct ls_pipe *p);

/*
 * ls_number - parse a numeric option of command cmd into *out within
 * [min, max]; on a bad value one line says what is expected.  Returns an
 * exit code.
 */
int ls_number(const char *cmd, const char *opt, const char *arg, uint64_t min,
    uint64_t max, uint64_t *out);

/*
 * ls_state_read - the hash in the KSISTAT10 file path; *have = 0 when
 * path is NULL or does not exist.  Returns an exit code (a bad file:
 * message printed, 4 or 10).
 */
int ls_state_read(const char *path, struct kts_imprint *im, int *have);

/* ls_state_write - write im to path (temporary file renamed).  Exit code. */
int ls_state_write(const char *path, const struct kts_imprint *im);

/* ls_monotonic_ms - CLOCK_MONOTONIC in milliseconds. */
uint64_t ls_monotonic_ms(void);

/* The subcommands; argv[0] is the subcommand's name. */
int ls_cmd_sign(int argc, char **argv);
int ls_cmd_verify(int argc, char **argv);
int ls_cmd_extract(int argc, char **argv);
int ls_cmd_follow(int argc, char **argv);
int ls_cmd_extend(int argc, char **argv);
int ls_cmd_proofs(int argc, char **argv);
int ls_cmd_resign(int argc, char **argv);

#endif
