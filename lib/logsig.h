/*
 * logsig.h - KSI log signatures (spec/logsig.md): file kinds, the element
 * reader and writer, the KSISTAT10 state file, the log line reader, the
 * block builder (masks, leaves, the block tree), record proofs and the
 * verifier of LOGSIG11/12 files, excerpts and async part files.
 *
 * Files are read from memory (the caller reads or maps them); parsed
 * elements are views into that buffer.  Log files are streamed through
 * struct kts_ls_lines and never read whole.  Everything that is hashed is
 * an imprint (spec 2.3); the hot path (kts_ls_blk_add_*) allocates
 * nothing.
 */
#ifndef KTS_LOGSIG_H
#define KTS_LOGSIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "hash.h"
#include "limits.h"
#include "sig.h"
#include "verify.h"
#include "wr.h"

/* Top-level element tags (spec 1.3). */
#define KTS_LS_HDR 0x901	/* block header */
#define KTS_LS_REC 0x902	/* record hash */
#define KTS_LS_TREE 0x903	/* tree hash */
#define KTS_LS_BSIG 0x904	/* block signature */
#define KTS_LS_KSI 0x905	/* KSI signature */
#define KTS_LS_RFC3161 0x906	/* legacy RFC 3161 token */
#define KTS_LS_CHAIN 0x907	/* record hash chain */
#define KTS_LS_META 0x911	/* metarecord */

/* Step directions in a record chain (spec 2.8): the running value's side. */
#define KTS_LS_STEP_LEFT 0x02
#define KTS_LS_STEP_RIGHT 0x03

/* The standard metarecord key (spec 1.3). */
#define KTS_LS_CLOSE_KEY "com.guardtime.blockCloseReason"

/* File kinds by magic (spec 1.1). */
enum kts_ls_kind {
	KTS_LS_UNKNOWN = 0,
	KTS_LS_LOGSIG11,
	KTS_LS_LOGSIG12,
	KTS_LS_LOG12BLK,
	KTS_LS_LOG12SIG,
	KTS_LS_RECSIG11,
	KTS_LS_RECSIG12,
	KTS_LS_KSISTAT10
};

/*
 * kts_ls_magic - the kind of the file starting with n bytes at p and the
 * length of its magic (8, or 9 for KSISTAT10).  Returns 0, KTS_ETRUNC
 * (fewer bytes than a magic) or KTS_EFORMAT (unknown magic).
 * Ownership: none.
 */
int kts_ls_magic(const uint8_t *p, size_t n, enum kts_ls_kind *kind,
    size_t *mlen);

/*
 * kts_ls_kind_name - "LOGSIG12", ... or "unknown".
 * Ownership: static string.
 */
const char *kts_ls_kind_name(enum kts_ls_kind kind);

/* Block header 0x901. */
struct kts_ls_hdr {
	uint8_t alg;			/* hash algorithm of the block */
	const uint8_t *seed;		/* mask seed (borrowed) */
	size_t seed_len;		/* 1..KTS_LS_MAX_SEED */
	struct kts_imprint input;	/* previous block's last leaf */
};

/* Metarecord 0x911. */
struct kts_ls_meta {
	uint64_t index;		/* records before it in the block */
	const uint8_t *key;	/* key bytes, terminating NUL included */
	size_t key_len;
	const uint8_t *val;	/* value bytes as stored */
	size_t val_len;
	const uint8_t *raw;	/* the whole element: the bytes hashed */
	size_t raw_len;
};

/* What closes a block (0x904). */
enum kts_ls_sigkind {
	KTS_LS_SIG_KSI = 1,	/* 0x905: a KSI signature */
	KTS_LS_SIG_NONE,	/* 0x02: unsigned marker with the root */
	KTS_LS_SIG_RFC3161	/* 0x906: legacy RFC 3161 token */
};

/* Block signature 0x904. */
struct kts_ls_bsig {
	uint64_t count;			/* records, metarecords included */
	enum kts_ls_sigkind kind;
	const uint8_t *sig;		/* 0x905/0x906 value (KSI: a 0x800
					 * element); borrowed */
	size_t sig_len;
	struct kts_imprint root;	/* SIG_NONE: the stored root */
	const char *text;		/* SIG_NONE: reason text or NULL */
};

/* One step of a record chain. */
struct kts_ls_step {
	uint8_t dir;			/* KTS_LS_STEP_LEFT or _RIGHT */
	uint8_t corr;			/* level correction */
	struct kts_imprint sib;		/* sibling */
};

/* Record hash chain 0x907 (spec 2.8). */
struct kts_ls_chain {
	struct kts_imprint rec;		/* record hash */
	uint8_t has_meta;		/* a metarecord is embedded */
	struct kts_ls_meta meta;	/* the embedded metarecord */
	size_t n_steps;
	struct kts_ls_step steps[KTS_LS_MAX_STEPS];	/* bottom first */
};

/* One parsed top-level element.  tag 0 = end of file. */
struct kts_ls_elem {
	uint16_t tag;		/* KTS_LS_* or another tag (skipped ones
				 * are not returned) */
	size_t off;		/* offset of the element in the file */
	const uint8_t *raw;	/* the whole element (borrowed) */
	size_t raw_len;
	union {
		struct kts_ls_hdr hdr;		/* 0x901 */
		struct kts_imprint hash;	/* 0x902, 0x903 */
		struct kts_ls_meta meta;	/* 0x911 */
		struct kts_ls_bsig bsig;	/* 0x904 */
		struct kts_ls_chain chain;	/* 0x907 */
		struct {			/* 0x905 at top (RECSIG) */
			const uint8_t *p;
			size_t len;
		} ksi;
	} u;
};

/* Walks a file's top-level elements. */
struct kts_ls_reader {
	const uint8_t *p;	/* the file (borrowed) */
	size_t len;
	size_t off;		/* next element */
	enum kts_ls_kind kind;	/* from the magic */
	struct kts_perr err;	/* where and why the last read failed */
};

/*
 * kts_ls_reader_init - check the magic of the file (not KSISTAT10) and
 * position the reader after it.  Returns 0, KTS_ETRUNC or KTS_EFORMAT
 * (unknown magic, or a state file), with r->err filled.
 * Ownership: r borrows p until the caller is done with it.
 */
int kts_ls_reader_init(struct kts_ls_reader *r, const uint8_t *p, size_t n);

/*
 * kts_ls_next - parse the next top-level element into *e (e->tag == 0 at
 * the end of the file).  Accepts TLV8 and TLV16 headers; skips unknown
 * non-critical elements.  Returns 0, KTS_ETRUNC (element cut short),
 * KTS_EFORMAT (malformed, unknown critical tag, missing mandatory child)
 * or KTS_ETOOBIG; r->err has the offset, tag and a static "what"; a
 * failed read consumes nothing.
 * Ownership: e's pointers borrow the file.
 */
int kts_ls_next(struct kts_ls_reader *r, struct kts_ls_elem *e);

/*
 * kts_ls_peek - as kts_ls_next without consuming.
 * Ownership: as kts_ls_next.
 */
int kts_ls_peek(struct kts_ls_reader *r, struct kts_ls_elem *e);

/*
 * Writers, byte-exact with logksi/rsyslog: TLV16 headers for the 0x9xx
 * elements, TLV8 inside unless a value passes 255 bytes, minimal
 * integers (zero is empty), NUL-terminated strings.  All return 0,
 * KTS_EINVAL (bad argument), KTS_ETOOBIG or KTS_ENOMEM.
 * Ownership: nothing is kept; wr is the caller's.
 */
int kts_ls_wr_magic(struct kts_wr *wr, enum kts_ls_kind kind);
int kts_ls_wr_hdr(struct kts_wr *wr, const struct kts_ls_hdr *h);
/* tag is KTS_LS_REC or KTS_LS_TREE. */
int kts_ls_wr_hash(struct kts_wr *wr, uint16_t tag,
    const struct kts_imprint *im);
/* key and val are C strings; the NULs are written. */
int kts_ls_wr_meta(struct kts_wr *wr, uint64_t index, const char *key,
    const char *val);
int kts_ls_wr_bsig(struct kts_wr *wr, const struct kts_ls_bsig *b);
/* A top-level 0x905 (RECSIG), sig = the 0x800 element's bytes. */
int kts_ls_wr_ksi(struct kts_wr *wr, const uint8_t *sig, size_t len);
int kts_ls_wr_chain(struct kts_wr *wr, const struct kts_ls_chain *c);

/*
 * kts_ls_state_parse - a KSISTAT10 file (spec 1.6) into *out.
 * Returns 0; KTS_ETRUNC (the file ends early); KTS_EFORMAT (wrong magic,
 * length byte not the digest length, bytes after the digest);
 * KTS_ECRYPTO (undefined or untrusted algorithm).  perr may be NULL.
 * Ownership: none.
 */
int kts_ls_state_parse(const uint8_t *p, size_t n, struct kts_imprint *out,
    struct kts_perr *perr);

/*
 * kts_ls_state_write - the KSISTAT10 bytes of im.  Writing them to a
 * temporary file and renaming is the caller's job.  Returns as the
 * writers above.
 * Ownership: wr is the caller's.
 */
int kts_ls_state_write(struct kts_wr *wr, const struct kts_imprint *im);

/*
 * The log line reader (spec 2.1, logksi framing): a line ends at LF,
 * CR LF or a lone CR, the terminator is not part of it; an unterminated
 * last line counts; a NUL ends the line it is in, and a NUL at the start
 * of a line ends the input; a line longer than KTS_LS_MAX_LINE is an
 * error.  Input comes from a read function, so a file of any size is
 * streamed through one buffer.
 */
typedef long (*kts_ls_read_fn)(void *arg, uint8_t *buf, size_t n);

struct kts_ls_lines {
	kts_ls_read_fn read;	/* returns bytes read, 0 at EOF, <0 error */
	void *arg;
	uint8_t *buf;		/* owned, cap bytes */
	size_t cap;		/* grows from KTS_FILE_CHUNK up to
				 * KTS_LS_LINE_BUF as lines need */
	size_t start;		/* first unconsumed byte */
	size_t end;		/* end of buffered bytes */
	uint64_t lineno;	/* number of the last line returned */
	uint8_t eof;		/* the source is exhausted */
	uint8_t done;		/* no more lines (EOF or NUL quirk) */
	uint8_t skip_lf;	/* last line ended with CR: drop one LF */
	uint64_t nul_line;	/* first line a NUL byte ended, or that
				 * a NUL stopped the input at (0: none) */
	const uint8_t *mem;	/* memory source (kts_ls_lines_mem) */
	size_t mem_len;
	size_t mem_off;
	int fd;			/* fd source */
};

/*
 * kts_ls_lines_fd / _fp / _mem - a reader over a descriptor, a stdio
 * stream, or n bytes in memory.  Returns 0 or KTS_ENOMEM.
 * Ownership: the caller keeps fd/fp/p open (valid) and frees the reader
 * with kts_ls_lines_free().
 */
int kts_ls_lines_fd(struct kts_ls_lines *lr, int fd);
int kts_ls_lines_fp(struct kts_ls_lines *lr, FILE *fp);
int kts_ls_lines_mem(struct kts_ls_lines *lr, const uint8_t *p, size_t n);
void kts_ls_lines_free(struct kts_ls_lines *lr);

/*
 * kts_ls_line - the next line: *line and *len, and *got = 0 when there is
 * none left (then lr->lineno is the number of lines).  Returns 0,
 * KTS_ETOOBIG (line over KTS_LS_MAX_LINE; lr->lineno + 1 is its number),
 * KTS_ENOMEM (growing the buffer for a long line) or KTS_EIO.
 * Ownership: *line points into lr's buffer until the next call.
 */
int kts_ls_line(struct kts_ls_lines *lr, const uint8_t **line, size_t *len,
    int *got);

/*
 * The block builder (spec 2.3-2.6): the state shared by the signer and
 * the verifier.  Slot k holds the root of a perfect subtree of 2^k
 * leaves; it is occupied iff bit k of n is set.  Imprints are kept as
 * bytes (ilen each) so the loop never converts.
 */
#define KTS_LS_KEEP_REC 0x01	/* emit 0x902 for every record */
#define KTS_LS_KEEP_TREE 0x02	/* emit 0x903 leaves and merges */
#define KTS_LS_KEEP_FINAL 0x04	/* emit the final tree hashes */

struct kts_ls_blk {
	uint8_t alg;			/* block algorithm */
	uint8_t ilen;			/* imprint bytes: 1 + digest */
	unsigned flags;			/* KTS_LS_KEEP_* */
	uint64_t n;			/* records in the open block */
	uint64_t blocks;		/* blocks closed so far */
	uint8_t seed[KTS_LS_MAX_SEED];	/* seed of the open block */
	size_t seed_len;
	uint8_t input[KTS_IMPRINT_MAX];	/* open block's input hash */
	uint8_t prev[KTS_IMPRINT_MAX];	/* last leaf: the output hash */
	uint8_t slot[KTS_LS_MAX_LEVEL][KTS_IMPRINT_MAX];
	uint8_t made[KTS_LS_MAX_LEVEL][KTS_IMPRINT_MAX];
	size_t n_made;			/* nodes made by the last add */
	uint8_t mask[KTS_IMPRINT_MAX];	/* mask of the last record */
	uint8_t rec[KTS_IMPRINT_MAX];	/* hash of the last record */
};

/*
 * kts_ls_blk_init - a builder for algorithm alg whose first block starts
 * from input (NULL: the zero imprint of alg, spec 2.3).  flags are
 * KTS_LS_KEEP_*.  Returns 0, KTS_EINVAL (undefined alg, input of another
 * algorithm) or KTS_EUNSUPPORTED.
 * Ownership: b is the caller's; nothing to free.
 */
int kts_ls_blk_init(struct kts_ls_blk *b, uint8_t alg,
    const struct kts_imprint *input, unsigned flags);

/*
 * kts_ls_blk_seed - set the seed of the next block (before its first
 * record; the previous block must be closed).  Returns 0 or KTS_EINVAL
 * (length 0 or over KTS_LS_MAX_SEED, block open).
 * Ownership: the bytes are copied.
 */
int kts_ls_blk_seed(struct kts_ls_blk *b, const uint8_t *seed, size_t len);

/*
 * kts_ls_blk_add_line - add a log line (without terminator): record
 * hash, mask, leaf, merges.  If out is not NULL, writes the block header
 * (first record) and the kept hashes.  The bytes are hashed as given: a
 * line holding LF, CR or NUL, or longer than KTS_LS_MAX_LINE, will not
 * read back as one line (spec 2.1), so the caller escapes or refuses
 * such records.  Returns 0, KTS_ETOOBIG (block full:
 * KTS_LS_MAX_BLOCK_RECORDS) or the writer's error.
 * Ownership: out is the caller's (it may empty it between calls).
 */
int kts_ls_blk_add_line(struct kts_ls_blk *b, const uint8_t *line,
    size_t len, struct kts_wr *out);

/*
 * kts_ls_blk_add_meta - add a metarecord key = val at index n, writing
 * the 0x911 element first when out is not NULL.  Returns as add_line.
 * Ownership: as add_line.
 */
int kts_ls_blk_add_meta(struct kts_ls_blk *b, const char *key,
    const char *val, struct kts_wr *out);

/*
 * kts_ls_blk_add_hash - the verifier's entry: add a record whose hash is
 * rec (is_meta: swap the leaf operands).  b->made[0..n_made) are then
 * the leaf and the merges, in emission order.  Returns 0, KTS_EINVAL
 * (rec of another algorithm) or KTS_ETOOBIG.
 * Ownership: none.
 */
int kts_ls_blk_add_hash(struct kts_ls_blk *b, const uint8_t *rec,
    int is_meta);

/*
 * kts_ls_blk_close - close the open block (n >= 1): *root, *level =
 * L(n) (spec 2.6); b->made[0..n_made) are the final tree hashes, written
 * to out if KEEP_FINAL and out is not NULL.  The next block starts from
 * the last leaf.  Returns 0, KTS_EINVAL (empty block) or the writer's.
 * Ownership: none.
 */
int kts_ls_blk_close(struct kts_ls_blk *b, struct kts_wr *out,
    struct kts_imprint *root, unsigned *level);

/* kts_ls_level - L(n) = 1 + bitlength(n - 1) for n >= 1 (spec 2.4). */
unsigned kts_ls_level(uint64_t n);

/*
 * kts_ls_bytes_imprint - bytes of a builder imprint as a struct.
 * Ownership: none.
 */
void kts_ls_bytes_imprint(const uint8_t *p, uint8_t alg,
    struct kts_imprint *out);

/*
 * kts_ls_proof - the record chain (spec 2.8) of record p (0-based) of a
 * block with input hash input, seed seed and record hashes recs[0..n)
 * (is_meta[i] != 0 for metarecords; is_meta may be NULL).  Returns 0,
 * KTS_EINVAL (p >= n, n over the cap, mixed algorithms) or KTS_ENOMEM.
 * Ownership: out is the caller's; the embedded metarecord is not set.
 */
int kts_ls_proof(const struct kts_imprint *input, const uint8_t *seed,
    size_t seed_len, const struct kts_imprint *recs, const uint8_t *is_meta,
    uint64_t n, uint64_t p, struct kts_ls_chain *out);

/*
 * kts_ls_chain_eval - run a chain from its record hash: *root and the
 * final height *h (spec 2.8).  Returns 0 or KTS_EFORMAT (a sibling of
 * another algorithm, height over 255).
 * Ownership: none.
 */
int kts_ls_chain_eval(const struct kts_ls_chain *c, struct kts_imprint *root,
    unsigned *h);

/* Verification outcome (spec 2.9: ok / inconclusive / failed). */
enum kts_ls_status {
	KTS_LS_OK = 0,
	KTS_LS_INCONCLUSIVE = 1,
	KTS_LS_FAILED = 2
};

/* What went wrong first. */
enum kts_ls_what {
	KTS_LSW_NONE = 0,
	KTS_LSW_FORMAT,		/* bad magic, TLV or missing element */
	KTS_LSW_OUT_OF_BLOCK,	/* an element outside header..signature */
	KTS_LSW_HASH_MISSING,	/* a record or tree hash is not stored */
	KTS_LSW_HASH_EXTRA,	/* more hashes than the block's records */
	KTS_LSW_RECORD_CHANGED,	/* a line's hash differs */
	KTS_LSW_META_CHANGED,	/* a metarecord's hash differs */
	KTS_LSW_RECORD_MISSING,	/* the log ends inside a block */
	KTS_LSW_EXTRA_RECORD,	/* log lines after the last block */
	KTS_LSW_LINK_BROKEN,	/* input hash != previous last leaf */
	KTS_LSW_TREE_HASH,	/* a tree hash differs */
	KTS_LSW_TREE_AMBIGUOUS,	/* tree hashes only, unbalanced, no meta */
	KTS_LSW_FINAL_HASH,	/* final tree hashes wrong or miscounted */
	KTS_LSW_COUNT,		/* record count mismatch */
	KTS_LSW_ROOT,		/* root != the signed / stored root */
	KTS_LSW_LEVEL,		/* signature level below L(n) */
	KTS_LSW_UNSIGNED,	/* block not signed (inconclusive) */
	KTS_LSW_RFC3161,	/* RFC 3161 token not checked (inconclusive) */
	KTS_LSW_SIG_FAILED,	/* the KSI signature failed verification */
	KTS_LSW_SIG_NA,		/* ... was inconclusive */
	KTS_LSW_TIME_ORDER,	/* signed earlier than the previous block */
	KTS_LSW_LINE_TOO_LONG,	/* a log line over KTS_LS_MAX_LINE */
	KTS_LSW_IO,		/* reading the log failed */
	KTS_LSW_PROOF		/* a record chain does not reach the root */
};

/*
 * kts_ls_chain_verify - does chain c prove its record hash under sig: the
 * chain's root is sig's document hash and its height is at most sig's
 * first-link correction (the level binding of spec 2.8, which logksi
 * omits)?  Does not check the record itself nor run a policy on sig.
 * Returns 0; KTS_EVERIFY with *what = KTS_LSW_PROOF (root differs) or
 * KTS_LSW_LEVEL (too tall); KTS_EFORMAT (the chain cannot be computed:
 * mixed algorithms, height over 255).
 * Ownership: none.
 */
int kts_ls_chain_verify(const struct kts_ls_chain *c, const struct kts_sig *sig,
    enum kts_ls_what *what);

/* kts_ls_what_str - short name ("record-changed", ...). Static string. */
const char *kts_ls_what_str(enum kts_ls_what w);

/* Per-block facts, for --json, `proofs` and the block callback. */
struct kts_ls_binfo {
	uint64_t block;			/* 1-based */
	size_t off;			/* offset of its header */
	uint64_t records;		/* metarecords included */
	uint64_t first_line;		/* first log line (0: none) */
	uint64_t last_line;		/* last log line (0: none) */
	enum kts_ls_sigkind kind;	/* how it is closed */
	uint64_t sig_time;		/* signing time (KSI), else 0 */
	unsigned level;			/* L(n), 0 for LOGSIG11 */
	uint8_t has_root;		/* root recomputed */
	struct kts_imprint root;
	uint8_t has_output;		/* last leaf known */
	struct kts_imprint output;	/* last leaf = next block's input */
	enum kts_ls_status status;	/* this block's result */
	enum kts_ls_what what;
};

/*
 * Signature policy hook: check sig against doc_hash at level.  Return 0
 * with res filled (its verdict decides), or an error.  NULL in the
 * options = kts_verify() with the internal policy.
 */
typedef int (*kts_ls_sig_fn)(void *arg, const struct kts_sig *sig,
    const struct kts_imprint *doc_hash, unsigned level,
    struct kts_vresult *res);
/* Called once per block after it is checked. */
typedef void (*kts_ls_block_fn)(void *arg, const struct kts_ls_binfo *bi);

#define KTS_LS_V_IGNORE_TIME 0x01	/* no signing-time order check */
#define KTS_LS_V_LEGACY_LEVEL 0x02	/* accept pre-2017 level (L - 1) */
#define KTS_LS_V_NO_SIG 0x04		/* skip KSI signature policies */

struct kts_ls_vopts {
	const struct kts_imprint *input;	/* first block's input, or
						 * NULL: not checked */
	uint64_t prev_time;		/* previous file's last signing time */
	unsigned flags;			/* KTS_LS_V_* */
	kts_ls_sig_fn sig_fn;		/* NULL: internal policy */
	void *sig_arg;
	kts_ls_block_fn block_fn;	/* NULL: none */
	void *block_arg;
};

struct kts_ls_vres {
	enum kts_ls_status status;
	enum kts_ls_what what;		/* first failure, else first
					 * inconclusive reason */
	const char *detail;		/* static text */
	uint64_t line;			/* its log line (0: none) */
	uint64_t block;			/* its block, 1-based (0: none) */
	uint64_t rec;			/* record position in the block,
					 * 1-based (0: none) */
	size_t off;			/* file offset of the element */
	uint32_t tag;			/* its tag */
	int code;			/* enum kts_vcode for SIG_* */
	uint64_t blocks;		/* blocks checked */
	uint64_t lines;			/* log lines consumed */
	uint8_t has_output;
	struct kts_imprint output;	/* last leaf of the file */
	uint64_t last_time;		/* last block's signing time */
	uint8_t no_close_meta;		/* warning: the last block does not
					 * end with a metarecord, so a cut
					 * after it cannot be seen (2.7) */
	uint8_t recovered;		/* integrate with KTS_LS_I_RECOVER:
					 * the parts are damaged where what,
					 * off, tag say; out holds the first
					 * blocks blocks, covering lines
					 * log lines */
};

/*
 * kts_ls_verify - verify a LOGSIG11/12 file (p, n) against the log lines
 * of lr (spec 2.9 steps 1-7).  lr may be NULL: then stored record hashes
 * are taken as they are (an internal consistency check).  Returns 0 when
 * the verification ran (the verdict is in res), or KTS_ENOMEM /
 * KTS_EINVAL.
 * Ownership: nothing is kept.
 */
int kts_ls_verify(const uint8_t *p, size_t n, struct kts_ls_lines *lr,
    const struct kts_ls_vopts *o, struct kts_ls_vres *res);

/*
 * kts_ls_verify_excerpt - verify a RECSIG11/12 file against the lines of
 * an excerpt file: each chain's record hash against the next line (or
 * its embedded metarecord), the chain against the preceding signature's
 * document hash, the height against its first-link correction, then the
 * signature.  Returns as kts_ls_verify.
 * Ownership: nothing is kept.
 */
int kts_ls_verify_excerpt(const uint8_t *p, size_t n,
    struct kts_ls_lines *lr, const struct kts_ls_vopts *o,
    struct kts_ls_vres *res);

/*
 * kts_ls_integrate - join async parts (LOG12BLK blk, LOG12SIG sig) into
 * LOGSIG12 bytes in out: block signatures are matched by order; counts
 * and roots must agree (placeholder root, signed document hash or
 * unsigned root); the joined file is then checked on its own.  res: OK,
 * INCONCLUSIVE (unsigned blocks kept) or FAILED; res->lines is the
 * number of log lines the blocks cover.  With KTS_LS_I_RECOVER (logksi
 * integrate --recover) a damage after the first block keeps the blocks
 * before it: INCONCLUSIVE with res->recovered set, what/off/tag/block
 * saying where the damage is, res->blocks the blocks kept and res->lines
 * the log lines they cover (the caller cuts the log to them).  Returns
 * as kts_ls_verify.
 * Ownership: out is the caller's.
 */
#define KTS_LS_I_RECOVER 0x01

int kts_ls_integrate(const uint8_t *blk, size_t blk_len, const uint8_t *sig,
    size_t sig_len, unsigned flags, struct kts_wr *out,
    struct kts_ls_vres *res);

/*
 * A block's whole tree, for many record proofs: built once in O(n), then
 * each chain in O(log n) (kts_ls_proof costs O(n) a record).
 */
struct kts_ls_tree;

/*
 * kts_ls_tree_build - the tree of a block with input hash input, seed
 * and record hashes recs[0..n) (is_meta[i] != 0 for metarecords; may be
 * NULL).  Returns 0, KTS_EINVAL (n = 0 or over the cap, an unknown or
 * mixed algorithm) or KTS_ENOMEM.
 * Ownership: free *out with kts_ls_tree_free().
 */
int kts_ls_tree_build(const struct kts_imprint *input, const uint8_t *seed,
    size_t seed_len, const struct kts_imprint *recs, const uint8_t *is_meta,
    uint64_t n, struct kts_ls_tree **out);

/* kts_ls_tree_root - the block root and its level L(n). */
void kts_ls_tree_root(const struct kts_ls_tree *t, struct kts_imprint *root,
    unsigned *level);

/*
 * kts_ls_tree_chain - the record chain of record p (0-based), as
 * kts_ls_proof gives it.  Returns 0 or KTS_EINVAL (p >= n).
 * Ownership: out is the caller's; the embedded metarecord is not set.
 */
int kts_ls_tree_chain(const struct kts_ls_tree *t, uint64_t p,
    struct kts_ls_chain *out);

void kts_ls_tree_free(struct kts_ls_tree *t);

#endif
