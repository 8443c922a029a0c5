/*
 * util.h - small helpers shared by the library and the programs: hex,
 * UTC time text, whole-file reads with a cap, number parsing.
 */
#ifndef KTS_UTIL_H
#define KTS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* kts_hex_encode - 2n lower-case hex digits and a NUL into out. */
void kts_hex_encode(const uint8_t *p, size_t n, char *out);

/*
 * kts_hex_decode - decode a hex string (even length, either case) into at
 * most max bytes.  Returns 0, KTS_EFORMAT or KTS_ETOOBIG.
 */
int kts_hex_decode(const char *s, uint8_t *out, size_t max, size_t *n);

/*
 * kts_time_utc - "YYYY-MM-DDTHH:MM:SSZ" for t into buf (>= 32 bytes).
 * Returns buf.
 */
char *kts_time_utc(int64_t t, char *buf, size_t size);

/*
 * kts_parse_time - seconds since the epoch from decimal digits or from
 * "YYYY-MM-DD[THH:MM:SS[Z]]" (UTC).  Returns 0 or KTS_EFORMAT.
 */
int kts_parse_time(const char *s, int64_t *out);

/*
 * kts_parse_u64 - a decimal number in [0, max] with nothing after it.
 * Returns 0 or KTS_EFORMAT.
 */
int kts_parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * kts_file_read - read a whole file of at most max bytes ("-" = stdin).
 * Returns 0, KTS_EIO (errno is kept), KTS_ETOOBIG or KTS_ENOMEM.
 * Ownership: the caller frees *out with free().
 */
int kts_file_read(const char *path, size_t max, uint8_t **out, size_t *len);

/*
 * kts_file_write - write n bytes to path through a temporary file in the
 * same folder and a rename, so readers never see half a file ("-" =
 * stdout).  Returns 0 or KTS_EIO.
 */
int kts_file_write(const char *path, const uint8_t *p, size_t n);

/*
 * kts_malloc_keep - make the C library keep freed heap memory for reuse
 * instead of handing it back to the kernel at once (glibc's
 * M_TRIM_THRESHOLD and M_TOP_PAD; elsewhere nothing).  A server
 * allocates a whole round's answers and frees them a moment later, every
 * round: with the default 128 KB trim threshold the heap shrank and grew
 * again each time, and the page faults of regrowing it were a fifth of
 * the aggregator's CPU time (docs/performance.md).  Call it once, early,
 * from a server's main().
 */
void kts_malloc_keep(void);

/*
 * kts_grow - make the array *pp (items of elem bytes, *cap of them) hold
 * at least need items, doubling from first.  Returns 0, or KTS_ENOMEM
 * with *pp and *cap unchanged.
 */
int kts_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first);

/*
 * kts_raise_nofile - raise the soft limit on open descriptors to want if
 * the hard limit allows (servers with many connections).  Returns 0 when
 * want is allowed now, else KTS_EIO with *got the limit there is.
 */
int kts_raise_nofile(uint64_t want, uint64_t *got);

/* kts_mono_us - the monotonic clock in microseconds (latencies). */
uint64_t kts_mono_us(void);

/* kts_mono_ms - the same in milliseconds (deadlines). */
uint64_t kts_mono_ms(void);

/* kts_real_us - the wall clock in microseconds since 1970. */
uint64_t kts_real_us(void);

#endif
