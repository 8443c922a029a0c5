/*
 * err.c - error strings and the parse-failure record.
 */
#include "err.h"

const char *
kts_strerror(int r)
{
	switch (r) {
	case KTS_OK:		return "success";
	case KTS_ENOMEM:	return "out of memory";
	case KTS_EINVAL:	return "invalid argument";
	case KTS_EFORMAT:	return "malformed data";
	case KTS_ETRUNC:	return "truncated data";
	case KTS_ETOOBIG:	return "data too large";
	case KTS_ECRYPTO:	return "cryptographic failure";
	case KTS_EIO:		return "input/output error";
	case KTS_EDB:		return "database error";
	case KTS_ENOTFOUND:	return "not found";
	case KTS_EVERIFY:	return "verification failed";
	case KTS_EINTERNAL:	return "internal error";
	case KTS_EUNSUPPORTED:	return "not supported by this build";
	default:		return "unknown error";
	}
}

int
kts_perr_set(struct kts_perr *perr, int r, size_t off, uint32_t tag,
    const char *what)
{
	if (perr != NULL && perr->what == NULL) {
		perr->off = off;
		perr->tag = tag;
		perr->what = what;
	}
	return r;
}
