/*
 * hash.c - algorithms, imprints, hashing, HMAC and CRC-32 (KSI spec 2).
 *
 * The low-level SHA/RIPEMD calls are deprecated in OpenSSL 3 but remain
 * the fastest way to hash the short inputs of a hash chain (no context
 * allocation per step), so this file alone suppresses the warning.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <assert.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/ripemd.h>
#include <openssl/sha.h>

#include "err.h"
#include "hash.h"
#include "util.h"

/* SHA-1 is deprecated from 2016-07-01T00:00:00Z (spec 2). */
#define SHA1_DEPRECATED 1467331200

static const struct kts_hash_alg algs[] = {
	{ KTS_HASH_SHA1, 20, 64, "SHA-1", SHA1_DEPRECATED, -1 },
	{ KTS_HASH_SHA256, 32, 64, "SHA-256", -1, -1 },
	{ KTS_HASH_RIPEMD160, 20, 64, "RIPEMD-160", -1, -1 },
	{ KTS_HASH_SHA384, 48, 128, "SHA-384", -1, -1 },
	{ KTS_HASH_SHA512, 64, 128, "SHA-512", -1, -1 },
	{ KTS_HASH_SHA3_224, 28, 144, "SHA3-224", -1, -1 },
	{ KTS_HASH_SHA3_256, 32, 136, "SHA3-256", -1, -1 },
	{ KTS_HASH_SHA3_384, 48, 104, "SHA3-384", -1, -1 },
	{ KTS_HASH_SHA3_512, 64, 72, "SHA3-512", -1, -1 },
	{ KTS_HASH_SM3, 32, 64, "SM3", -1, -1 },
};

/* Every name libksi accepts, normalised (upper case, '_' -> '-'). */
static const struct {
	const char *name;
	uint8_t id;
} names[] = {
	{ "SHA-1", 0x00 }, { "SHA1", 0x00 },
	{ "SHA-256", 0x01 }, { "SHA2-256", 0x01 }, { "SHA-2", 0x01 },
	{ "SHA2", 0x01 }, { "SHA256", 0x01 }, { "DEFAULT", 0x01 },
	{ "RIPEMD-160", 0x02 }, { "RIPEMD160", 0x02 },
	{ "SHA-384", 0x04 }, { "SHA384", 0x04 }, { "SHA2-384", 0x04 },
	{ "SHA-512", 0x05 }, { "SHA512", 0x05 }, { "SHA2-512", 0x05 },
	{ "SHA3-224", 0x07 }, { "SHA3-256", 0x08 }, { "SHA3-384", 0x09 },
	{ "SHA3-512", 0x0a }, { "SM-3", 0x0b }, { "SM3", 0x0b },
};

_Static_assert(sizeof(SHA512_CTX) <= 256, "hasher context too small");
_Static_assert(sizeof(SHA256_CTX) <= 256, "hasher context too small");
_Static_assert(sizeof(RIPEMD160_CTX) <= 256, "hasher context too small");

const struct kts_hash_alg *
kts_hash_get(uint8_t id)
{
	/* Index by id: the table lists ids 0-2, 4-5, 7-11 in order. */
	static const signed char at[] = { 0, 1, 2, -1, 3, 4, -1, 5, 6, 7, 8, 9 };

	if (id >= sizeof(at) || at[id] < 0)
		return NULL;
	return &algs[(size_t)at[id]];
}

int
kts_hash_by_name(const char *name, uint8_t *id)
{
	char norm[16];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(norm) - 1; i++) {
		char c = name[i];

		if (c == '_')
			c = '-';
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		norm[i] = c;
	}
	if (name[i] != '\0')
		return KTS_ENOTFOUND;
	norm[i] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, norm) == 0) {
			*id = names[i].id;
			return 0;
		}
	}
	return KTS_ENOTFOUND;
}

const char *
kts_hash_name(uint8_t id)
{
	const struct kts_hash_alg *a = kts_hash_get(id);

	return a != NULL ? a->name : "unknown";
}

enum kts_hash_status
kts_hash_status(uint8_t id, int64_t t)
{
	const struct kts_hash_alg *a = kts_hash_get(id);

	if (a == NULL)
		return KTS_HASH_NORMAL;
	if (a->obsolete >= 0 && a->obsolete <= t)
		return KTS_HASH_OBSOLETE;
	if (a->deprecated >= 0 && a->deprecated <= t)
		return KTS_HASH_DEPRECATED;
	return KTS_HASH_NORMAL;
}

int
kts_hash_trusted(uint8_t id)
{
	const struct kts_hash_alg *a = kts_hash_get(id);

	return a != NULL && a->deprecated < 0 && a->obsolete < 0;
}

const EVP_MD *
kts_hash_evp(uint8_t alg)
{
	switch (alg) {
	case KTS_HASH_SHA1:		return EVP_sha1();
	case KTS_HASH_SHA256:		return EVP_sha256();
	case KTS_HASH_RIPEMD160:	return EVP_get_digestbyname("RIPEMD160");
	case KTS_HASH_SHA384:		return EVP_sha384();
	case KTS_HASH_SHA512:		return EVP_sha512();
	case KTS_HASH_SHA3_224:		return EVP_sha3_224();
	case KTS_HASH_SHA3_256:		return EVP_sha3_256();
	case KTS_HASH_SHA3_384:		return EVP_sha3_384();
	case KTS_HASH_SHA3_512:		return EVP_sha3_512();
	case KTS_HASH_SM3:		return EVP_get_digestbyname("SM3");
	default:			return NULL;
	}
}

int
kts_hash_available(uint8_t id)
{
	struct kts_hasher h;

	if (kts_hasher_init(&h, id) != 0)
		return 0;
	kts_hasher_cleanup(&h);
	return 1;
}

int
kts_imprint_parse(const uint8_t *p, size_t n, struct kts_imprint *out)
{
	const struct kts_hash_alg *a;

	if (n < 1 || (a = kts_hash_get(p[0])) == NULL || n != 1u + a->len)
		return KTS_EFORMAT;
	memset(out, 0, sizeof(*out));
	out->alg = p[0];
	out->len = a->len;
	memcpy(out->d, p + 1, a->len);
	return 0;
}

size_t
kts_imprint_size(const struct kts_imprint *im)
{
	return 1u + im->len;
}

size_t
kts_imprint_bytes(const struct kts_imprint *im, uint8_t *buf)
{
	buf[0] = im->alg;
	memcpy(buf + 1, im->d, im->len);
	return 1u + im->len;
}

int
kts_imprint_eq(const struct kts_imprint *a, const struct kts_imprint *b)
{
	return a->alg == b->alg && a->len == b->len &&
	    memcmp(a->d, b->d, a->len) == 0;
}

int
kts_imprint_zero(uint8_t alg, struct kts_imprint *out)
{
	const struct kts_hash_alg *a = kts_hash_get(alg);

	if (a == NULL)
		return KTS_EINVAL;
	memset(out, 0, sizeof(*out));
	out->alg = alg;
	out->len = a->len;
	return 0;
}

char *
kts_imprint_hex(const struct kts_imprint *im, char *buf)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t n = kts_imprint_bytes(im, b);

	kts_hex_encode(b, n, buf);
	return buf;
}

int
kts_imprint_from_str(const char *s, struct kts_imprint *out)
{
	uint8_t b[KTS_IMPRINT_MAX];
	const char *colon = strchr(s, ':');
	char name[16];
	size_t n;
	int r;

	if (colon == NULL) {
		if (kts_hex_decode(s, b, sizeof(b), &n) != 0)
			return KTS_EFORMAT;
		return kts_imprint_parse(b, n, out);
	}
	if ((size_t)(colon - s) >= sizeof(name))
		return KTS_ENOTFOUND;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	if ((r = kts_hash_by_name(name, &b[0])) != 0)
		return r;
	if (kts_hex_decode(colon + 1, b + 1, sizeof(b) - 1, &n) != 0)
		return KTS_EFORMAT;
	return kts_imprint_parse(b, n + 1, out);
}

int
kts_hasher_init(struct kts_hasher *h, uint8_t alg)
{
	const EVP_MD *md;

	h->alg = alg;
	h->evp = NULL;
	switch (alg) {
	case KTS_HASH_SHA1:
		SHA1_Init((SHA_CTX *)h->u.ctx);
		return 0;
	case KTS_HASH_SHA256:
		SHA256_Init((SHA256_CTX *)h->u.ctx);
		return 0;
	case KTS_HASH_RIPEMD160:
		RIPEMD160_Init((RIPEMD160_CTX *)h->u.ctx);
		return 0;
	case KTS_HASH_SHA384:
		SHA384_Init((SHA512_CTX *)h->u.ctx);
		return 0;
	case KTS_HASH_SHA512:
		SHA512_Init((SHA512_CTX *)h->u.ctx);
		return 0;
	default:
		break;
	}
	if (kts_hash_get(alg) == NULL)
		return KTS_EINVAL;
	if ((md = kts_hash_evp(alg)) == NULL)
		return KTS_EUNSUPPORTED;
	if ((h->evp = EVP_MD_CTX_new()) == NULL)
		return KTS_ENOMEM;
	if (EVP_DigestInit_ex(h->evp, md, NULL) != 1) {
		kts_hasher_cleanup(h);
		return KTS_EUNSUPPORTED;
	}
	return 0;
}

void
kts_hasher_update(struct kts_hasher *h, const void *p, size_t n)
{
	switch (h->alg) {
	case KTS_HASH_SHA1:
		SHA1_Update((SHA_CTX *)h->u.ctx, p, n);
		break;
	case KTS_HASH_SHA256:
		SHA256_Update((SHA256_CTX *)h->u.ctx, p, n);
		break;
	case KTS_HASH_RIPEMD160:
		RIPEMD160_Update((RIPEMD160_CTX *)h->u.ctx, p, n);
		break;
	case KTS_HASH_SHA384:
		SHA384_Update((SHA512_CTX *)h->u.ctx, p, n);
		break;
	case KTS_HASH_SHA512:
		SHA512_Update((SHA512_CTX *)h->u.ctx, p, n);
		break;
	default:
		assert(h->evp != NULL);
		EVP_DigestUpdate(h->evp, p, n);
		break;
	}
}

int
kts_hasher_final(struct kts_hasher *h, struct kts_imprint *out)
{
	int r = 0;

	kts_imprint_zero(h->alg, out);
	switch (h->alg) {
	case KTS_HASH_SHA1:
		SHA1_Final(out->d, (SHA_CTX *)h->u.ctx);
		break;
	case KTS_HASH_SHA256:
		SHA256_Final(out->d, (SHA256_CTX *)h->u.ctx);
		break;
	case KTS_HASH_RIPEMD160:
		RIPEMD160_Final(out->d, (RIPEMD160_CTX *)h->u.ctx);
		break;
	case KTS_HASH_SHA384:
		SHA384_Final(out->d, (SHA512_CTX *)h->u.ctx);
		break;
	case KTS_HASH_SHA512:
		SHA512_Final(out->d, (SHA512_CTX *)h->u.ctx);
		break;
	default:
		if (EVP_DigestFinal_ex(h->evp, out->d, NULL) != 1)
			r = KTS_ECRYPTO;
		break;
	}
	kts_hasher_cleanup(h);
	return r;
}

void
kts_hasher_cleanup(struct kts_hasher *h)
{
	EVP_MD_CTX_free(h->evp);
	h->evp = NULL;
}

int
kts_hash_buf(uint8_t alg, const void *p, size_t n, struct kts_imprint *out)
{
	struct kts_hasher h;
	int r;

	if ((r = kts_hasher_init(&h, alg)) != 0)
		return r;
	kts_hasher_update(&h, p, n);
	return kts_hasher_final(&h, out);
}

int
kts_hash_step(uint8_t alg, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t tail, struct kts_imprint *out)
{
	struct kts_hasher h;
	int r;

	if (alg == KTS_HASH_SHA256) {
		/* The hot path of every verification: no dispatch. */
		SHA256_CTX c;

		SHA256_Init(&c);
		SHA256_Update(&c, a, alen);
		SHA256_Update(&c, b, blen);
		SHA256_Update(&c, &tail, 1);
		out->alg = KTS_HASH_SHA256;
		out->len = 32;
		SHA256_Final(out->d, &c);
		memset(out->d + 32, 0, sizeof(out->d) - 32);
		return 0;
	}
	if ((r = kts_hasher_init(&h, alg)) != 0)
		return r;
	kts_hasher_update(&h, a, alen);
	kts_hasher_update(&h, b, blen);
	kts_hasher_update(&h, &tail, 1);
	return kts_hasher_final(&h, out);
}

int
kts_hash_step_raw(uint8_t alg, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t tail, uint8_t *out, size_t *outlen)
{
	struct kts_imprint im;
	int r;

	if (alg == KTS_HASH_SHA256) {
		SHA256_CTX c;

		SHA256_Init(&c);
		SHA256_Update(&c, a, alen);
		SHA256_Update(&c, b, blen);
		SHA256_Update(&c, &tail, 1);
		out[0] = KTS_HASH_SHA256;
		SHA256_Final(out + 1, &c);
		*outlen = 33;
		return 0;
	}
	if ((r = kts_hash_step(alg, a, alen, b, blen, tail, &im)) != 0)
		return r;
	*outlen = kts_imprint_bytes(&im, out);
	return 0;
}

int
kts_hash_cat_raw(uint8_t alg, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out, size_t *outlen)
{
	struct kts_hasher h;
	struct kts_imprint im;
	int r;

	if (alg == KTS_HASH_SHA256) {
		/* The log signer's hot path (record hashes, masks). */
		SHA256_CTX c;

		SHA256_Init(&c);
		SHA256_Update(&c, a, alen);
		SHA256_Update(&c, b, blen);
		out[0] = KTS_HASH_SHA256;
		SHA256_Final(out + 1, &c);
		*outlen = 33;
		return 0;
	}
	if ((r = kts_hasher_init(&h, alg)) != 0)
		return r;
	kts_hasher_update(&h, a, alen);
	kts_hasher_update(&h, b, blen);
	if ((r = kts_hasher_final(&h, &im)) != 0)
		return r;
	*outlen = kts_imprint_bytes(&im, out);
	return 0;
}

int
kts_imprint_check(const uint8_t *p, size_t n)
{
	const struct kts_hash_alg *a;

	if (n < 1 || (a = kts_hash_get(p[0])) == NULL || n != 1u + a->len)
		return KTS_EFORMAT;
	return 0;
}

/*
 * HMAC (RFC 2104) on kts_hasher: the low-level calls for the SHA-2, SHA-1
 * and RIPEMD-160 families, EVP for SHA-3 and SM3.  OpenSSL 3's one-shot
 * HMAC() fetches the MAC and the digest on every call (about 1.3-2 us per
 * PDU, docs/performance.md); this keeps no state between calls, so any
 * number of threads may use it at once.  Keys longer than the block are
 * hashed first; the block sizes are the spec's (struct kts_hash_alg).
 */
static int
hmac_pass(uint8_t alg, const uint8_t *pad, size_t block, const void *data,
    size_t n, struct kts_imprint *out)
{
	struct kts_hasher h;
	int r;

	if ((r = kts_hasher_init(&h, alg)) != 0)
		return r;
	kts_hasher_update(&h, pad, block);
	kts_hasher_update(&h, data, n);
	return kts_hasher_final(&h, out);
}

int
kts_hmac(uint8_t alg, const void *key, size_t keylen, const void *data,
    size_t n, struct kts_imprint *out)
{
	uint8_t pad[KTS_HASH_BLOCK_MAX];
	const struct kts_hash_alg *a;
	struct kts_imprint kh;
	struct kts_imprint in;
	size_t i;
	int r;

	if ((a = kts_hash_get(alg)) == NULL)
		return KTS_EINVAL;
	assert(a->block <= sizeof(pad) && a->len < a->block);
	if (keylen > a->block) {
		if ((r = kts_hash_buf(alg, key, keylen, &kh)) != 0)
			return r;
		key = kh.d;
		keylen = kh.len;
	}
	memset(pad, 0, a->block);
	if (keylen > 0)
		memcpy(pad, key, keylen);
	for (i = 0; i < a->block; i++)
		pad[i] ^= 0x36;
	if ((r = hmac_pass(alg, pad, a->block, data, n, &in)) != 0)
		goto out;
	for (i = 0; i < a->block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	r = hmac_pass(alg, pad, a->block, in.d, in.len, out);
out:
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(&kh, sizeof(kh));
	return r;
}

/* The CRC-32 (IEEE 802.3, reflected) table, built once. */
static uint32_t crc32_table[256];

static void
crc32_init(void)
{
	uint32_t k;
	size_t i;
	int j;

	for (i = 0; i < 256; i++) {
		k = (uint32_t)i;
		for (j = 0; j < 8; j++)
			k = (k & 1) ? 0xedb88320u ^ (k >> 1) : k >> 1;
		crc32_table[i] = k;
	}
}

uint32_t
kts_crc32(const void *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	size_t i;

	/* The extender threads may be the first callers at once. */
	pthread_once(&once, crc32_init);
	for (i = 0; i < n; i++)
		c = crc32_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}
