/*
 * rd.h - the bounded reader every untrusted byte goes through.
 *
 * Invariant: off <= len.  A read that fails returns KTS_ETRUNC (the input
 * ends too early) and leaves off untouched, so a caller can report the
 * exact offset where the structure broke.
 */
#ifndef KTS_RD_H
#define KTS_RD_H

#include <stddef.h>
#include <stdint.h>

struct kts_rd {
	const uint8_t *p;	/* first byte of the buffer (borrowed) */
	size_t len;		/* bytes in the buffer */
	size_t off;		/* next byte to read */
};

/* kts_rd_init - read len bytes at p from the start. */
void kts_rd_init(struct kts_rd *rd, const uint8_t *p, size_t len);

/* kts_rd_left - bytes not yet read. */
size_t kts_rd_left(const struct kts_rd *rd);

/*
 * kts_rd_u8 - read one byte.  Returns 0 or KTS_ETRUNC.
 */
int kts_rd_u8(struct kts_rd *rd, uint8_t *out);

/*
 * kts_rd_be16 - read a big-endian 16-bit number.  Returns 0 or KTS_ETRUNC.
 */
int kts_rd_be16(struct kts_rd *rd, uint16_t *out);

/*
 * kts_rd_bytes - borrow the next n bytes.  Returns 0 or KTS_ETRUNC.
 * Ownership: *out points into the reader's buffer.
 */
int kts_rd_bytes(struct kts_rd *rd, size_t n, const uint8_t **out);

/*
 * kts_rd_expect_end - KTS_EFORMAT if bytes are left over, else 0.
 */
int kts_rd_expect_end(const struct kts_rd *rd);

#endif
