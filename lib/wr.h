/*
 * wr.h - the capped writer.  A writer never grows past the maximum given
 * at init: a put that would returns KTS_ETOOBIG and writes nothing.
 */
#ifndef KTS_WR_H
#define KTS_WR_H

#include <stddef.h>
#include <stdint.h>

struct kts_wr {
	uint8_t *p;	/* heap buffer, owned (NULL until the first put) */
	size_t len;	/* bytes written */
	size_t cap;	/* bytes allocated */
	size_t max;	/* hard cap on len */
};

/* kts_wr_init - empty writer that may hold at most max bytes. */
void kts_wr_init(struct kts_wr *wr, size_t max);

/* kts_wr_free - release the buffer; the writer is empty afterwards. */
void kts_wr_free(struct kts_wr *wr);

/*
 * kts_wr_put - append n bytes.  Returns 0, KTS_ETOOBIG or KTS_ENOMEM.
 */
int kts_wr_put(struct kts_wr *wr, const void *p, size_t n);

/* kts_wr_u8 - append one byte.  Returns as kts_wr_put. */
int kts_wr_u8(struct kts_wr *wr, uint8_t b);

/*
 * kts_wr_insert - insert n zero bytes at offset at, moving what follows.
 * Returns as kts_wr_put.
 */
int kts_wr_insert(struct kts_wr *wr, size_t at, size_t n);

/*
 * kts_wr_take - hand the bytes to the caller and empty the writer.
 * Ownership: the caller frees *out with free().  *out is never NULL when
 * 0 is returned (an empty writer gives a 1-byte allocation).
 */
int kts_wr_take(struct kts_wr *wr, uint8_t **out, size_t *len);

#endif
