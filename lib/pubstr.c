/*
 * pubstr.c - publication strings (KSI spec 6.2): the human-transcribable
 * form of a publication, base32 (RFC 4648) of
 * time(8, big-endian) || imprint || CRC-32 of those bytes (4, big-endian),
 * with a dash after every 6 characters.
 *
 * Decoding is stricter than libksi: the digits 0, 1, 8 and 9 (and any
 * other character outside the alphabet, '-' and '=') are rejected rather
 * than decoded to garbage, and so are leftover bits that do not fit a
 * canonical encoding.
 */
#include <stdint.h>
#include <string.h>

#include "limits.h"
#include "pub.h"

#define B32_GROUP 6		/* characters between dashes (spec 6.2) */
#define PUB_BIN_MAX (8 + KTS_IMPRINT_MAX + 4)
#define PUB_BIN_MIN 13		/* time, algorithm byte, CRC (spec 6.2) */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The 5-bit value of a base32 character, or -1 (case-insensitive). */
static int
b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Characters of the padded encoding of n bytes: a multiple of 8. */
static size_t
b32_padded_len(size_t n)
{
	return (n + 4) / 5 * 8;
}

/* Output size with dashes and the terminating NUL. */
static size_t
pubstr_size(size_t nbin)
{
	size_t chars = b32_padded_len(nbin);

	return chars + (chars - 1) / B32_GROUP + 1;
}

static void
b32_encode_grouped(const uint8_t *p, size_t n, char *out)
{
	size_t chars = b32_padded_len(n);
	size_t data_chars = (n * 8 + 4) / 5;
	uint32_t acc = 0;
	size_t bits = 0;
	size_t i = 0;
	size_t k;
	char c;

	for (k = 0; k < chars; k++) {
		if (k < data_chars) {
			if (bits < 5) {
				acc = (acc << 8) | (i < n ? p[i] : 0);
				i++;
				bits += 8;
			}
			c = b32_alphabet[(acc >> (bits - 5)) & 0x1f];
			bits -= 5;
		} else {
			c = '=';
		}
		if (k > 0 && k % B32_GROUP == 0)
			*out++ = '-';
		*out++ = c;
	}
	*out = '\0';
}

int
kts_pubstr_encode(uint64_t time, const struct kts_imprint *hash, char *buf,
    size_t size)
{
	uint8_t bin[PUB_BIN_MAX];
	size_t n;
	uint32_t crc;
	int i;

	for (i = 0; i < 8; i++)
		bin[i] = (uint8_t)(time >> (56 - 8 * i));
	n = 8 + kts_imprint_bytes(hash, bin + 8);
	crc = kts_crc32(bin, n);
	for (i = 0; i < 4; i++)
		bin[n++] = (uint8_t)(crc >> (24 - 8 * i));
	if (pubstr_size(n) > size)
		return KTS_ETOOBIG;
	b32_encode_grouped(bin, n, buf);
	return 0;
}

/*
 * Decode base32 from s into out (at most max bytes): dashes are skipped,
 * the first '=' ends the data and only '=' and '-' may follow it.
 */
static int
b32_decode(const char *s, uint8_t *out, size_t max, size_t *n)
{
	uint32_t acc = 0;
	size_t bits = 0;
	size_t len = 0;
	int v;

	for (; *s != '\0' && *s != '='; s++) {
		if (*s == '-')
			continue;
		if ((v = b32_value(*s)) < 0)
			return KTS_EFORMAT;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (len == max)
				return KTS_EFORMAT;
			bits -= 8;
			out[len++] = (uint8_t)(acc >> bits);
		}
	}
	for (; *s != '\0'; s++)
		if (*s != '=' && *s != '-')
			return KTS_EFORMAT;
	/* A canonical encoding leaves fewer than 5 bits, all zero. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return KTS_EFORMAT;
	*n = len;
	return 0;
}

int
kts_pubstr_decode(const char *s, uint64_t *time, struct kts_imprint *hash)
{
	uint8_t bin[PUB_BIN_MAX];
	const struct kts_hash_alg *alg;
	uint64_t t = 0;
	uint32_t crc = 0;
	size_t n;
	size_t i;
	int r;

	if (strnlen(s, KTS_MAX_PUBSTR + 1) > KTS_MAX_PUBSTR)
		return KTS_EFORMAT;
	if ((r = b32_decode(s, bin, sizeof(bin), &n)) != 0)
		return r;
	/* KSI spec 6.2: >= 13 bytes, length fixed by the algorithm, CRC. */
	if (n < PUB_BIN_MIN || (alg = kts_hash_get(bin[8])) == NULL ||
	    n != 8u + 1u + alg->len + 4u)
		return KTS_EFORMAT;
	for (i = 0; i < 4; i++)
		crc = (crc << 8) | bin[n - 4 + i];
	if (crc != kts_crc32(bin, n - 4))
		return KTS_EFORMAT;
	if ((r = kts_imprint_parse(bin + 8, n - 12, hash)) != 0)
		return r;
	for (i = 0; i < 8; i++)
		t = (t << 8) | bin[i];
	*time = t;
	return 0;
}
