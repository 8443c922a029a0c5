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
	struct kts_wr buf;		/* pending bytes */
};

/* ls_file_open - start PATH.  Returns an exit code (message printed). */
int ls_file_open(struct ls_file *f, const char *path);

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
};

#define LS_NO_TEXT SIZE_MAX

/* Is log line (1-based) wanted?  Called in ascending order. */
typedef int (*ls_want_fn)(void *arg, uint64_t line);
/* A block with a wanted line; returns 0 or a KTS_E* to stop. */
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
};

#define LS_Q_WAITING 0
#define LS_Q_SIGNED 1
#define LS_Q_UNSIGNED 2			/* written with an unsigned marker */

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
};

/* The pipeline: lines in, a LOGSIG12 file out. */
struct ls_pipe {
	const struct ls_popts *o;	/* borrowed */
	struct kts_ls_blk b;		/* the builder */
	struct kts_wr cur;		/* the open block's elements */
	int seed_fd;
	struct event_base *base;
	struct cli_signer *signer;
	struct ls_qblk *q;		/* ring of window places */
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

/* ls_pipe_output - the last leaf so far (the next input hash). */
void ls_pipe_output(const struct ls_pipe *p, struct kts_imprint *out);

void ls_pipe_free(struct ls_pipe *p);

/* ls_monotonic_ms - CLOCK_MONOTONIC in milliseconds. */
uint64_t ls_monotonic_ms(void);

/* The subcommands; argv[0] is the subcommand's name. */
int ls_cmd_sign(int argc, char **argv);
int ls_cmd_verify(int argc, char **argv);
int ls_cmd_extract(int argc, char **argv);
int ls_cmd_extend(int argc, char **argv);
int ls_cmd_proofs(int argc, char **argv);
int ls_cmd_resign(int argc, char **argv);

#endif
