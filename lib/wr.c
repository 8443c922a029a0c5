/*
 * wr.c - capped growable buffer (see wr.h).
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wr.h"

void
kts_wr_init(struct kts_wr *wr, size_t max)
{
	wr->p = NULL;
	wr->len = 0;
	wr->cap = 0;
	wr->max = max;
}

void
kts_wr_free(struct kts_wr *wr)
{
	free(wr->p);
	wr->p = NULL;
	wr->len = 0;
	wr->cap = 0;
}

static int
reserve(struct kts_wr *wr, size_t n)
{
	size_t want;
	uint8_t *np;

	if (n > wr->max - wr->len)
		return KTS_ETOOBIG;
	if (n <= wr->cap - wr->len)
		return 0;
	want = wr->cap < 256 ? 256 : wr->cap;
	while (want - wr->len < n)
		want = want > SIZE_MAX / 2 ? SIZE_MAX : want * 2;
	if (want > wr->max)
		want = wr->max;
	if ((np = realloc(wr->p, want)) == NULL)
		return KTS_ENOMEM;
	wr->p = np;
	wr->cap = want;
	return 0;
}

int
kts_wr_put(struct kts_wr *wr, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = reserve(wr, n)) != 0)
		return r;
	memcpy(wr->p + wr->len, p, n);
	wr->len += n;
	return 0;
}

int
kts_wr_u8(struct kts_wr *wr, uint8_t b)
{
	return kts_wr_put(wr, &b, 1);
}

int
kts_wr_insert(struct kts_wr *wr, size_t at, size_t n)
{
	int r;

	if (at > wr->len)
		return KTS_EINVAL;
	if (n == 0)
		return 0;
	if ((r = reserve(wr, n)) != 0)
		return r;
	memmove(wr->p + at + n, wr->p + at, wr->len - at);
	memset(wr->p + at, 0, n);
	wr->len += n;
	return 0;
}

int
kts_wr_take(struct kts_wr *wr, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (wr->p == NULL && (wr->p = malloc(1)) == NULL)
		return KTS_ENOMEM;
	*out = wr->p;
	*len = wr->len;
	wr->p = NULL;
	wr->len = 0;
	wr->cap = 0;
	return 0;
}
