/*
 * hash.h - KSI hash algorithms and imprints (KSI spec section 2), HMAC
 * (spec 7.3) and the CRC-32 used by certificate ids and publication
 * strings (spec 6.2, 6.5).
 *
 * An imprint is the algorithm id byte followed by the digest.  SHA-256,
 * SHA-1, SHA-384/512 and RIPEMD-160 use OpenSSL's low-level calls (no
 * per-hash allocation: the verifier's hot path); SHA-3 and SM3 go through
 * EVP when this OpenSSL has them.
 */
#ifndef KTS_HASH_H
#define KTS_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KTS_HASH_SHA1 0x00
#define KTS_HASH_SHA256 0x01
#define KTS_HASH_RIPEMD160 0x02
#define KTS_HASH_SHA384 0x04
#define KTS_HASH_SHA512 0x05
#define KTS_HASH_SHA3_224 0x07
#define KTS_HASH_SHA3_256 0x08
#define KTS_HASH_SHA3_384 0x09
#define KTS_HASH_SHA3_512 0x0a
#define KTS_HASH_SM3 0x0b

#define KTS_HASH_MAX_LEN 64		/* longest digest (SHA-512) */
#define KTS_IMPRINT_MAX (1 + KTS_HASH_MAX_LEN)
#define KTS_HASH_BLOCK_MAX 144		/* largest HMAC block (SHA3-224) */

/* A hash algorithm as the spec's table lists it. */
struct kts_hash_alg {
	uint8_t id;		/* imprint id byte */
	uint8_t len;		/* digest bytes */
	uint8_t block;		/* HMAC block bytes */
	const char *name;	/* canonical name, e.g. "SHA-256" */
	int64_t deprecated;	/* deprecated from this second, or -1 */
	int64_t obsolete;	/* obsolete from this second, or -1 */
};

/* An imprint by value: algorithm id, digest length, digest. */
struct kts_imprint {
	uint8_t alg;			/* algorithm id */
	uint8_t len;			/* digest bytes (from the algorithm) */
	uint8_t d[KTS_HASH_MAX_LEN];	/* digest; bytes past len are zero */
};

enum kts_hash_status {
	KTS_HASH_NORMAL = 0,
	KTS_HASH_DEPRECATED = 1,
	KTS_HASH_OBSOLETE = 2
};

/*
 * kts_hash_get - the algorithm with this id, or NULL if the spec does not
 * define it (0x03, 0x06, > 0x0b).
 * Ownership: a static table entry.
 */
const struct kts_hash_alg *kts_hash_get(uint8_t id);

/*
 * kts_hash_by_name - look an algorithm up by any of the names libksi
 * accepts (case-insensitive, '_' = '-').  Returns 0 or KTS_ENOTFOUND.
 */
int kts_hash_by_name(const char *name, uint8_t *id);

/* kts_hash_name - canonical name, or "unknown". */
const char *kts_hash_name(uint8_t id);

/*
 * kts_hash_status - NORMAL, DEPRECATED or OBSOLETE at time t (spec 2).
 * Unknown ids are NORMAL (rules skip what they cannot judge).
 */
enum kts_hash_status kts_hash_status(uint8_t id, int64_t t);

/* kts_hash_trusted - 1 if neither date is set for id, else 0. */
int kts_hash_trusted(uint8_t id);

/* kts_hash_available - 1 if this build can compute id, else 0. */
int kts_hash_available(uint8_t id);

/*
 * kts_imprint_parse - decode imprint bytes: a defined id and exactly
 * 1 + digest length bytes.  Returns 0 or KTS_EFORMAT.
 */
int kts_imprint_parse(const uint8_t *p, size_t n, struct kts_imprint *out);

/* kts_imprint_size - 1 + digest length. */
size_t kts_imprint_size(const struct kts_imprint *im);

/*
 * kts_imprint_bytes - write the imprint's bytes to buf (at least
 * KTS_IMPRINT_MAX bytes).  Returns the number written.
 */
size_t kts_imprint_bytes(const struct kts_imprint *im, uint8_t *buf);

/* kts_imprint_eq - 1 if both imprints are byte-identical. */
int kts_imprint_eq(const struct kts_imprint *a, const struct kts_imprint *b);

/*
 * kts_imprint_zero - the zero imprint of alg.  Returns 0 or KTS_EINVAL
 * for an undefined id.
 */
int kts_imprint_zero(uint8_t alg, struct kts_imprint *out);

/*
 * kts_imprint_hex - lower-case hex of the imprint into buf (at least
 * 2 * KTS_IMPRINT_MAX + 1 bytes).  Returns buf.
 */
char *kts_imprint_hex(const struct kts_imprint *im, char *buf);

/*
 * kts_imprint_from_str - parse "ALG:HEX" (e.g. "SHA-256:ab12...") or a
 * bare imprint in hex ("01ab12...").  Returns 0, KTS_ENOTFOUND (unknown
 * algorithm name) or KTS_EFORMAT.
 */
int kts_imprint_from_str(const char *s, struct kts_imprint *out);

/*
 * Incremental hashing.  kts_hasher_init() may fail with KTS_EUNSUPPORTED
 * (the algorithm is defined but this OpenSSL lacks it) or KTS_EINVAL
 * (undefined id).  After kts_hasher_final() the hasher needs no cleanup;
 * kts_hasher_cleanup() is for abandoning one early and is idempotent.
 */
struct kts_hasher {
	uint8_t alg;			/* algorithm id */
	EVP_MD_CTX *evp;		/* SHA-3/SM3 only, else NULL */
	union {
		uint64_t align;
		uint8_t ctx[256];	/* low-level OpenSSL context */
	} u;
};

int kts_hasher_init(struct kts_hasher *h, uint8_t alg);
void kts_hasher_update(struct kts_hasher *h, const void *p, size_t n);
int kts_hasher_final(struct kts_hasher *h, struct kts_imprint *out);
void kts_hasher_cleanup(struct kts_hasher *h);

/*
 * kts_hash_buf - imprint of n bytes at p with algorithm alg.
 * Returns as kts_hasher_init().
 */
int kts_hash_buf(uint8_t alg, const void *p, size_t n, struct kts_imprint *out);

/*
 * kts_hash_step - out = H_alg(a || b || tail) for imprints or raw byte
 * strings a and b: the hash-chain step of spec 4.1 and 5.1.  Returns as
 * kts_hasher_init().
 */
int kts_hash_step(uint8_t alg, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t tail, struct kts_imprint *out);

/*
 * kts_hash_step_raw - as kts_hash_step, but the output imprint's bytes go
 * to out (at least KTS_IMPRINT_MAX bytes) and *outlen gets their number:
 * the chain loops stay in bytes and never convert.  Returns as
 * kts_hasher_init().
 */
int kts_hash_step_raw(uint8_t alg, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t tail, uint8_t *out,
    size_t *outlen);

/*
 * kts_hash_cat_raw - out = H_alg(a || b) as imprint bytes (at least
 * KTS_IMPRINT_MAX; *outlen gets their number), with the same fast
 * SHA-256 path: log record hashes and masks (spec/logsig.md 2.1, 2.3).
 * Either part may be empty.  Returns as kts_hasher_init().
 * Ownership: none.
 */
int kts_hash_cat_raw(uint8_t alg, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out, size_t *outlen);

/*
 * kts_imprint_check - 0 if n bytes at p are a valid imprint (defined id,
 * right length), else KTS_EFORMAT.  Copies nothing.
 */
int kts_imprint_check(const uint8_t *p, size_t n);

/*
 * kts_hmac - HMAC (RFC 2104) of data with key using alg; out is an
 * imprint of alg.  Keeps no state: safe to call from several threads at
 * once.  Returns 0, KTS_EINVAL (undefined alg), KTS_EUNSUPPORTED (this
 * OpenSSL lacks alg), KTS_ENOMEM or KTS_ECRYPTO.
 */
int kts_hmac(uint8_t alg, const void *key, size_t keylen, const void *data,
    size_t n, struct kts_imprint *out);

/*
 * kts_hash_evp - the OpenSSL digest for alg, or NULL if unavailable.
 * Ownership: static, never freed.
 */
const EVP_MD *kts_hash_evp(uint8_t alg);

/* kts_crc32 - IEEE 802.3 CRC-32 (zlib's), as spec 6.2 requires. */
uint32_t kts_crc32(const void *p, size_t n);

#endif
