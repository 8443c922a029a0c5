/*
 * rd.c - bounded reads (see rd.h for the invariant).
 */
#include "err.h"
#include "rd.h"

void
kts_rd_init(struct kts_rd *rd, const uint8_t *p, size_t len)
{
	rd->p = p;
	rd->len = len;
	rd->off = 0;
}

size_t
kts_rd_left(const struct kts_rd *rd)
{
	return rd->len - rd->off;
}

int
kts_rd_u8(struct kts_rd *rd, uint8_t *out)
{
	if (rd->len - rd->off < 1)
		return KTS_ETRUNC;
	*out = rd->p[rd->off++];
	return 0;
}

int
kts_rd_be16(struct kts_rd *rd, uint16_t *out)
{
	if (rd->len - rd->off < 2)
		return KTS_ETRUNC;
	*out = (uint16_t)((rd->p[rd->off] << 8) | rd->p[rd->off + 1]);
	rd->off += 2;
	return 0;
}

int
kts_rd_bytes(struct kts_rd *rd, size_t n, const uint8_t **out)
{
	if (n > rd->len - rd->off)
		return KTS_ETRUNC;
	*out = rd->p + rd->off;
	rd->off += n;
	return 0;
}

int
kts_rd_expect_end(const struct kts_rd *rd)
{
	return rd->off == rd->len ? 0 : KTS_EFORMAT;
}
