/*
 * err.h - the one error enum of libkts.
 *
 * Every fallible function returns 0 or one of these negative codes; callers
 * pass a callee's code up unchanged.  There is no global "last error": the
 * layer that has the context (a parser's struct kts_perr, a verifier's
 * result) keeps the details.
 */
#ifndef KTS_ERR_H
#define KTS_ERR_H

#include <stddef.h>
#include <stdint.h>

enum kts_err {
	KTS_OK = 0,
	KTS_ENOMEM = -1,	/* an allocation failed */
	KTS_EINVAL = -2,	/* caller passed something impossible */
	KTS_EFORMAT = -3,	/* bytes are present but malformed */
	KTS_ETRUNC = -4,	/* the input ends before the structure does */
	KTS_ETOOBIG = -5,	/* a size is over a cap from limits.h */
	KTS_ECRYPTO = -6,	/* OpenSSL failed or a cryptographic check failed */
	KTS_EIO = -7,		/* reading or writing a file or socket failed */
	KTS_EDB = -8,		/* the LevelDB store failed */
	KTS_ENOTFOUND = -9,	/* the thing asked for does not exist */
	KTS_EVERIFY = -10,	/* a verification ended in FAIL or NA */
	KTS_EINTERNAL = -11,	/* a bug or an impossible state */
	KTS_EUNSUPPORTED = -12	/* valid, but this build cannot do it (e.g. SM3) */
};

/*
 * kts_strerror - a short English phrase for an error code.
 * Returns a static string; unknown codes give "unknown error".
 */
const char *kts_strerror(int r);

/*
 * Where and why a parser stopped.  Parsers that take a struct kts_perr *
 * fill it on failure (it may be NULL when the caller does not care).
 */
struct kts_perr {
	size_t off;		/* byte offset in the caller's buffer */
	uint32_t tag;		/* TLV tag being read (0 if none) */
	const char *what;	/* static description of the defect */
};

/*
 * kts_perr_set - record a parse failure if perr is not NULL and is still
 * empty (the innermost failure wins).  Returns r so it can be returned.
 */
int kts_perr_set(struct kts_perr *perr, int r, size_t off, uint32_t tag,
    const char *what);

#endif
