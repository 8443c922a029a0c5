/*
 * check_hash.c - unit tests for algorithms, imprints, hashing, HMAC and
 * CRC-32 (lib/hash.c, KSI spec 2 and 7.3).
 *
 * Known answers are the standard "abc" digests (FIPS 180, FIPS 202,
 * RIPEMD-160, GB/T 32905), RFC 4231 test case 2 for HMAC, the spec 7.3
 * derived configuration-request HMACs, the HMAC of the real
 * ksi/tlv/v2/aggr_request.tlv vector, and the CRC-32 check value.  SHA-3
 * and SM3 are optional in the spec: when this OpenSSL lacks one, hashing
 * with it must return KTS_EUNSUPPORTED.  kts_hmac is also compared with
 * OpenSSL's own HMAC() for every algorithm and key length class, and run
 * from several threads at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "err.h"
#include "hash.h"
#include "util.h"
#include "kts_test.h"

/* ---- the algorithm table (spec 2) ---- */

static const struct acase {
	uint8_t id;
	uint8_t len;		/* digest bytes */
	uint8_t block;		/* HMAC block bytes */
	const char *name;	/* canonical name */
	int required;		/* every build must compute it */
	const char *abc;	/* hex digest of "abc" */
} acases[] = {
	{ 0x00, 20, 64, "SHA-1", 1,
	    "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ 0x01, 32, 64, "SHA-256", 1,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ 0x02, 20, 64, "RIPEMD-160", 1,
	    "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc" },
	{ 0x04, 48, 128, "SHA-384", 1,
	    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
	    "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7" },
	{ 0x05, 64, 128, "SHA-512", 1,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
	{ 0x07, 28, 144, "SHA3-224", 0,
	    "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf" },
	{ 0x08, 32, 136, "SHA3-256", 0,
	    "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" },
	{ 0x09, 48, 104, "SHA3-384", 0,
	    "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c25"
	    "96da7cf0e49be4b298d88cea927ac7f539f1edf228376d25" },
	{ 0x0a, 64, 72, "SHA3-512", 0,
	    "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
	    "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0" },
	{ 0x0b, 32, 64, "SM3", 0,
	    "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" },
};

START_TEST(test_alg_table)
{
	const struct acase *ac = &acases[_i];
	const struct kts_hash_alg *a;
	struct kts_imprint z;
	size_t i;

	a = kts_hash_get(ac->id);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->id, ac->id);
	ck_assert_uint_eq(a->len, ac->len);
	ck_assert_uint_eq(a->block, ac->block);
	ck_assert_str_eq(a->name, ac->name);
	ck_assert_str_eq(kts_hash_name(ac->id), ac->name);
	ck_assert_int_eq(kts_imprint_zero(ac->id, &z), 0);
	ck_assert_uint_eq(z.alg, ac->id);
	ck_assert_uint_eq(kts_imprint_size(&z), 1u + ac->len);
	for (i = 0; i < sizeof(z.d); i++)
		ck_assert_uint_eq(z.d[i], 0);
	if (ac->required)
		ck_assert_int_eq(kts_hash_available(ac->id), 1);
}
END_TEST

START_TEST(test_alg_undefined)
{
	static const uint8_t ids[] = { 0x03, 0x06, 0x0c, 0x1f, 0x7f, 0xff };
	struct kts_imprint im;
	struct kts_hasher h;
	size_t i;

	for (i = 0; i < KTS_N_ELEMS(ids); i++) {
		ck_assert_ptr_null(kts_hash_get(ids[i]));
		ck_assert_str_eq(kts_hash_name(ids[i]), "unknown");
		ck_assert_int_eq(kts_hash_available(ids[i]), 0);
		ck_assert_int_eq(kts_hash_trusted(ids[i]), 0);
		ck_assert_int_eq(kts_imprint_zero(ids[i], &im), KTS_EINVAL);
		ck_assert_int_eq(kts_hasher_init(&h, ids[i]), KTS_EINVAL);
		ck_assert_int_eq(kts_hash_buf(ids[i], "abc", 3, &im),
		    KTS_EINVAL);
		ck_assert_int_eq(kts_hmac(ids[i], "k", 1, "abc", 3, &im),
		    KTS_EINVAL);
		ck_assert_ptr_null(kts_hash_evp(ids[i]));
	}
}
END_TEST

/* ---- known answers ---- */

static void
assert_digest(const struct kts_imprint *im, uint8_t alg, const char *hex)
{
	char got[2 * KTS_IMPRINT_MAX + 1];

	ck_assert_uint_eq(im->alg, alg);
	ck_assert_uint_eq(im->len, strlen(hex) / 2);
	kts_hex_encode(im->d, im->len, got);
	ck_assert_str_eq(got, hex);
}

START_TEST(test_abc)
{
	const struct acase *ac = &acases[_i];
	struct kts_imprint im;
	struct kts_imprint part;
	struct kts_hasher h;
	int r;

	r = kts_hash_buf(ac->id, "abc", 3, &im);
	if (!kts_hash_available(ac->id)) {
		ck_assert_msg(!ac->required, "%s must be available", ac->name);
		ck_assert_int_eq(r, KTS_EUNSUPPORTED);
		ck_assert_int_eq(kts_hasher_init(&h, ac->id), KTS_EUNSUPPORTED);
		return;
	}
	ck_assert_int_eq(r, 0);
	assert_digest(&im, ac->id, ac->abc);

	/* Incremental updates give the same digest. */
	ck_assert_int_eq(kts_hasher_init(&h, ac->id), 0);
	kts_hasher_update(&h, "a", 1);
	kts_hasher_update(&h, "", 0);
	kts_hasher_update(&h, "bc", 2);
	ck_assert_int_eq(kts_hasher_final(&h, &part), 0);
	ck_assert(kts_imprint_eq(&im, &part));

	/* Abandoning a hasher early is fine, and cleanup is idempotent. */
	ck_assert_int_eq(kts_hasher_init(&h, ac->id), 0);
	kts_hasher_update(&h, "a", 1);
	kts_hasher_cleanup(&h);
	kts_hasher_cleanup(&h);
}
END_TEST

/* kts_hash_step(a, b, tail) is H(a || b || tail), on both code paths. */
START_TEST(test_hash_step)
{
	const struct acase *ac = &acases[_i];
	static const uint8_t a[] = "left sibling imprint";
	static const uint8_t b[] = "right sibling imprint";
	uint8_t cat[sizeof(a) + sizeof(b) + 1];
	struct kts_imprint want;
	struct kts_imprint got;
	size_t n = 0;
	int r;

	memcpy(cat + n, a, sizeof(a));
	n += sizeof(a);
	memcpy(cat + n, b, sizeof(b));
	n += sizeof(b);
	cat[n++] = 0x07;
	memset(&got, 0x5a, sizeof(got));
	r = kts_hash_step(ac->id, a, sizeof(a), b, sizeof(b), 0x07, &got);
	if (!kts_hash_available(ac->id)) {
		ck_assert_int_eq(r, KTS_EUNSUPPORTED);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(kts_hash_buf(ac->id, cat, n, &want), 0);
	ck_assert(kts_imprint_eq(&want, &got));
	/* Bytes past the digest are zero, so whole structs compare too. */
	ck_assert_int_eq(memcmp(&want, &got, sizeof(want)), 0);
}
END_TEST

/* ---- names (spec 2: case-insensitive, '_' = '-') ---- */

static const struct ncase {
	const char *name;
	int rc;
	uint8_t id;
} ncases[] = {
	{ "SHA-1", 0, 0x00 }, { "SHA1", 0, 0x00 }, { "sha-1", 0, 0x00 },
	{ "SHA_1", 0, 0x00 },
	{ "SHA-256", 0, 0x01 }, { "SHA2-256", 0, 0x01 }, { "SHA-2", 0, 0x01 },
	{ "SHA2", 0, 0x01 }, { "SHA256", 0, 0x01 }, { "DEFAULT", 0, 0x01 },
	{ "default", 0, 0x01 }, { "sha2_256", 0, 0x01 }, { "Sha-256", 0, 0x01 },
	{ "RIPEMD-160", 0, 0x02 }, { "RIPEMD160", 0, 0x02 },
	{ "ripemd_160", 0, 0x02 },
	{ "SHA-384", 0, 0x04 }, { "SHA384", 0, 0x04 }, { "SHA2-384", 0, 0x04 },
	{ "SHA-512", 0, 0x05 }, { "SHA512", 0, 0x05 }, { "SHA2-512", 0, 0x05 },
	{ "SHA3-224", 0, 0x07 }, { "SHA3-256", 0, 0x08 },
	{ "SHA3-384", 0, 0x09 }, { "SHA3-512", 0, 0x0a },
	{ "sha3_512", 0, 0x0a },
	{ "SM-3", 0, 0x0b }, { "SM3", 0, 0x0b }, { "sm_3", 0, 0x0b },
	{ "", KTS_ENOTFOUND, 0 },
	{ "SHA-224", KTS_ENOTFOUND, 0 },
	{ "MD5", KTS_ENOTFOUND, 0 },
	{ "SHA-256 ", KTS_ENOTFOUND, 0 },
	{ "SHA--256", KTS_ENOTFOUND, 0 },
	{ "SHA-2560", KTS_ENOTFOUND, 0 },
	{ "SHA-256-SHA-256-SHA-256", KTS_ENOTFOUND, 0 },
	{ "DEFAULTDEFAULTDE", KTS_ENOTFOUND, 0 },
};

START_TEST(test_by_name)
{
	const struct ncase *nc = &ncases[_i];
	uint8_t id = 0xee;
	int r;

	r = kts_hash_by_name(nc->name, &id);
	ck_assert_msg(r == nc->rc, "'%s': got %d, want %d", nc->name, r,
	    nc->rc);
	if (r == 0)
		ck_assert_uint_eq(id, nc->id);
	else
		ck_assert_uint_eq(id, 0xee);	/* untouched on failure */
}
END_TEST

/* ---- deprecation (spec 2: SHA-1 from 2016-07-01T00:00:00Z) ---- */

START_TEST(test_status)
{
	size_t i;

	ck_assert_int_eq(kts_hash_status(KTS_HASH_SHA1, 0), KTS_HASH_NORMAL);
	ck_assert_int_eq(kts_hash_status(KTS_HASH_SHA1, 1467331199),
	    KTS_HASH_NORMAL);
	ck_assert_int_eq(kts_hash_status(KTS_HASH_SHA1, 1467331200),
	    KTS_HASH_DEPRECATED);
	ck_assert_int_eq(kts_hash_status(KTS_HASH_SHA1, INT64_MAX),
	    KTS_HASH_DEPRECATED);
	ck_assert_int_eq(kts_hash_trusted(KTS_HASH_SHA1), 0);
	for (i = 1; i < KTS_N_ELEMS(acases); i++) {
		ck_assert_int_eq(kts_hash_status(acases[i].id, 1467331200),
		    KTS_HASH_NORMAL);
		ck_assert_int_eq(kts_hash_status(acases[i].id, INT64_MAX),
		    KTS_HASH_NORMAL);
		ck_assert_int_eq(kts_hash_trusted(acases[i].id), 1);
	}
	/* Rules skip what they cannot judge. */
	ck_assert_int_eq(kts_hash_status(0x03, INT64_MAX), KTS_HASH_NORMAL);
}
END_TEST

/* ---- imprints ---- */

static const struct icase {
	const char *name;
	uint8_t id;
	size_t len;		/* total imprint bytes */
	int rc;
} icases[] = {
	{ "SHA-256", 0x01, 33, 0 },
	{ "SHA-1", 0x00, 21, 0 },
	{ "RIPEMD-160", 0x02, 21, 0 },
	{ "SHA-384", 0x04, 49, 0 },
	{ "SHA-512", 0x05, 65, 0 },
	{ "SHA3-224", 0x07, 29, 0 },
	{ "SM3", 0x0b, 33, 0 },
	{ "empty", 0x01, 0, KTS_EFORMAT },
	{ "id only", 0x01, 1, KTS_EFORMAT },
	{ "SHA-256 short", 0x01, 32, KTS_EFORMAT },
	{ "SHA-256 long", 0x01, 34, KTS_EFORMAT },
	{ "SHA-256 as SHA-512", 0x01, 65, KTS_EFORMAT },
	{ "SHA-1 long", 0x00, 33, KTS_EFORMAT },
	{ "reserved 0x03 (legacy SHA-224 shape)", 0x03, 29, KTS_EFORMAT },
	{ "reserved 0x06", 0x06, 33, KTS_EFORMAT },
	{ "undefined 0x0c", 0x0c, 33, KTS_EFORMAT },
	{ "undefined 0xff", 0xff, 33, KTS_EFORMAT },
};

START_TEST(test_imprint_parse)
{
	const struct icase *ic = &icases[_i];
	uint8_t back[KTS_IMPRINT_MAX];
	struct kts_imprint im;
	uint8_t *p;
	size_t i;
	int r;

	p = malloc(ic->len > 0 ? ic->len : 1);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < ic->len; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	if (ic->len > 0)
		p[0] = ic->id;
	r = kts_imprint_parse(p, ic->len, &im);
	ck_assert_msg(r == ic->rc, "%s: got %d, want %d", ic->name, r, ic->rc);
	if (r == 0) {
		ck_assert_uint_eq(im.alg, ic->id);
		ck_assert_uint_eq(kts_imprint_size(&im), ic->len);
		ck_assert_uint_eq(kts_imprint_bytes(&im, back), ic->len);
		ck_assert_mem_eq(back, p, ic->len);
		for (i = im.len; i < sizeof(im.d); i++)
			ck_assert_uint_eq(im.d[i], 0);
	}
	free(p);
}
END_TEST

START_TEST(test_imprint_eq_hex)
{
	char hex[2 * KTS_IMPRINT_MAX + 1];
	struct kts_imprint a;
	struct kts_imprint b;

	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, "abc", 3, &a), 0);
	b = a;
	ck_assert(kts_imprint_eq(&a, &b));
	b.d[31] ^= 1;
	ck_assert(!kts_imprint_eq(&a, &b));
	ck_assert_int_eq(kts_imprint_zero(KTS_HASH_SHA256, &b), 0);
	ck_assert(!kts_imprint_eq(&a, &b));
	ck_assert_int_eq(kts_imprint_zero(KTS_HASH_SHA3_256, &a), 0);
	ck_assert(!kts_imprint_eq(&a, &b));	/* same length, other alg */
	ck_assert_int_eq(kts_hash_buf(KTS_HASH_SHA256, "abc", 3, &a), 0);
	ck_assert_str_eq(kts_imprint_hex(&a, hex), "01"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

#define ABC256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC1 "a9993e364706816aba3e25717850c26c9cd0d89d"

static const struct fcase {
	const char *s;
	int rc;
	uint8_t id;
} fcases[] = {
	{ "SHA-256:" ABC256, 0, 0x01 },
	{ "sha256:" ABC256, 0, 0x01 },
	{ "DEFAULT:" ABC256, 0, 0x01 },
	{ "SHA-256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F2"
	    "0015AD", 0, 0x01 },
	{ "01" ABC256, 0, 0x01 },
	{ "SHA-1:" ABC1, 0, 0x00 },
	{ "00" ABC1, 0, 0x00 },
	{ "SHA-256:" ABC1, KTS_EFORMAT, 0 },		/* wrong length */
	{ "SHA-256:" ABC256 "00", KTS_EFORMAT, 0 },
	{ "SHA-256:", KTS_EFORMAT, 0 },
	{ "SHA-256:" ABC256 "0", KTS_EFORMAT, 0 },	/* odd digits */
	{ "SHA-256:zz" ABC256, KTS_EFORMAT, 0 },
	{ "MD5:" ABC256, KTS_ENOTFOUND, 0 },
	{ ":" ABC256, KTS_ENOTFOUND, 0 },
	{ "A-VERY-LONG-ALGORITHM-NAME:" ABC256, KTS_ENOTFOUND, 0 },
	{ "", KTS_EFORMAT, 0 },
	{ "03" ABC256, KTS_EFORMAT, 0 },		/* reserved id */
	{ "01" ABC256 "00", KTS_EFORMAT, 0 },
	{ "xyz", KTS_EFORMAT, 0 },
	/* A digest too long for any algorithm. */
	{ "SHA-256:" ABC256 ABC256 ABC256, KTS_EFORMAT, 0 },
	{ "01" ABC256 ABC256 ABC256, KTS_EFORMAT, 0 },
};

START_TEST(test_imprint_from_str)
{
	const struct fcase *fc = &fcases[_i];
	struct kts_imprint im;
	int r;

	r = kts_imprint_from_str(fc->s, &im);
	ck_assert_msg(r == fc->rc, "'%s': got %d, want %d", fc->s, r, fc->rc);
	if (r != 0)
		return;
	ck_assert_uint_eq(im.alg, fc->id);
	assert_digest(&im, fc->id, fc->id == 0x01 ? ABC256 : ABC1);
}
END_TEST

/* ---- HMAC ---- */

START_TEST(test_hmac_rfc4231)
{
	static const char data[] = "what do ya want for nothing?";
	struct kts_imprint im;

	/* RFC 4231 test case 2. */
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA256, "Jefe", 4, data,
	    strlen(data), &im), 0);
	assert_digest(&im, KTS_HASH_SHA256,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA512, "Jefe", 4, data,
	    strlen(data), &im), 0);
	assert_digest(&im, KTS_HASH_SHA512,
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}
END_TEST

static const struct hcase {
	const char *name;
	const char *pdu;	/* the PDU up to the HMAC's algorithm byte */
	const char *mac;	/* expected HMAC-SHA256 with key "anon" */
} hcases[] = {
	{ "aggregator configuration request",
	    "8220002e 01070105616e6f6e00 0400 1f2101",
	    "b81d5a298d714ef8f8b73564606e6360984fc8706bcf487f9f93ce22758616c0" },
	{ "extender configuration request",
	    "8320002e 01070105616e6f6e00 0400 1f2101",
	    "69f6de5c272065839757f7ede44611b9f1f252207f0af32d26011fd292eaaece" },
};

/* spec 7.3: HMAC over every PDU byte except the final digest. */
START_TEST(test_hmac_pdu)
{
	const struct hcase *hc = &hcases[_i];
	struct kts_imprint im;
	uint8_t *p;
	size_t len;

	p = kts_test_hex(hc->pdu, &len);
	ck_assert_uint_eq(len, 0x2e + 4 - 32);
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA256, "anon", 4, p, len, &im),
	    0);
	assert_digest(&im, KTS_HASH_SHA256, hc->mac);
	free(p);
}
END_TEST

/* The real request of spec 7.1 carries a correct HMAC. */
START_TEST(test_hmac_vector)
{
	struct kts_imprint im;
	uint8_t *p;
	size_t len;

	p = kts_test_vector("ksi/tlv/v2/aggr_request.tlv", &len);
	ck_assert_uint_eq(len, 0x54 + 4);
	ck_assert_uint_eq(p[len - 33], KTS_HASH_SHA256);
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA256, "anon", 4, p, len - 32,
	    &im), 0);
	ck_assert_uint_eq(im.alg, KTS_HASH_SHA256);
	ck_assert_mem_eq(im.d, p + len - 32, 32);
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA256, "anon!", 5, p, len - 32,
	    &im), 0);
	ck_assert_int_ne(memcmp(im.d, p + len - 32, 32), 0);
	free(p);
}
END_TEST

/* Keys longer than the block are hashed first (RFC 2104). */
START_TEST(test_hmac_long_key)
{
	uint8_t key[200];
	uint8_t data[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	struct kts_imprint im;

	/* RFC 4231 test case 6 (131-byte key of 0xaa). */
	memset(key, 0xaa, 131);
	ck_assert_int_eq(kts_hmac(KTS_HASH_SHA256, key, 131, data,
	    sizeof(data) - 1, &im), 0);
	assert_digest(&im, KTS_HASH_SHA256,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(test_hmac_each_alg)
{
	const struct acase *ac = &acases[_i];
	struct kts_imprint im;
	int r;

	r = kts_hmac(ac->id, "anon", 4, "abc", 3, &im);
	if (!kts_hash_available(ac->id)) {
		ck_assert_int_eq(r, KTS_EUNSUPPORTED);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(im.alg, ac->id);
	ck_assert_uint_eq(im.len, ac->len);
}
END_TEST

/*
 * kts_hmac builds HMAC from the hasher (no OpenSSL MAC object): it must
 * agree with OpenSSL's HMAC() for every algorithm both have, around the
 * block size (keys hashed first, padded) and for empty and multi-block
 * data.
 */
START_TEST(test_hmac_oracle)
{
	const struct acase *ac = &acases[_i];
	const size_t keylens[] = { 0, 1, 31, (size_t)ac->block - 1, ac->block,
	    (size_t)ac->block + 1, 200 };
	const size_t datalens[] = { 0, 3, 64, 1000 };
	uint8_t want[EVP_MAX_MD_SIZE];
	uint8_t key[200];
	uint8_t data[1000];
	struct kts_imprint im;
	unsigned int wlen;
	size_t i;
	size_t j;

	if (!kts_hash_available(ac->id) || kts_hash_evp(ac->id) == NULL)
		return;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < KTS_N_ELEMS(keylens); i++) {
		for (j = 0; j < KTS_N_ELEMS(datalens); j++) {
			wlen = 0;
			if (HMAC(kts_hash_evp(ac->id), key, (int)keylens[i],
			    data, datalens[j], want, &wlen) == NULL)
				return;	/* OpenSSL hashes it but has no HMAC */
			ck_assert_int_eq(kts_hmac(ac->id, key, keylens[i],
			    data, datalens[j], &im), 0);
			ck_assert_uint_eq(im.len, wlen);
			ck_assert_msg(memcmp(im.d, want, wlen) == 0,
			    "%s key %zu data %zu differs", ac->name,
			    keylens[i], datalens[j]);
		}
	}
}
END_TEST

/* Several threads at once, each with its own key: no shared state. */
static void *
hmac_thread(void *arg)
{
	const uint8_t *key = arg;
	struct kts_imprint first;
	struct kts_imprint im;
	int i;

	if (kts_hmac(KTS_HASH_SHA256, key, 4, "abc", 3, &first) != 0)
		return "failed";
	for (i = 0; i < 2000; i++) {
		if (kts_hmac(KTS_HASH_SHA256, key, 4, "abc", 3, &im) != 0 ||
		    !kts_imprint_eq(&im, &first))
			return "differs";
	}
	return NULL;
}

START_TEST(test_hmac_threads)
{
	static const uint8_t keys[4][4] = { "anon", "kts1", "kts2", "kts3" };
	pthread_t t[4];
	void *res;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hmac_thread,
		    (void *)keys[i]), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_msg(res == NULL, "thread %d: %s", i, (char *)res);
	}
}
END_TEST

/* ---- CRC-32 (spec 6.2) ---- */

START_TEST(test_crc32)
{
	ck_assert_uint_eq(kts_crc32("123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(kts_crc32("", 0), 0);
	ck_assert_uint_eq(kts_crc32("a", 1), 0xe8b7be43u);
	ck_assert_uint_eq(kts_crc32("The quick brown fox jumps over the lazy "
	    "dog", 43), 0x414fa339u);
}
END_TEST

static Suite *
hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc;

	tc = tcase_create("algorithms");
	tcase_add_loop_test(tc, test_alg_table, 0, KTS_N_ELEMS(acases));
	tcase_add_test(tc, test_alg_undefined);
	tcase_add_loop_test(tc, test_by_name, 0, KTS_N_ELEMS(ncases));
	tcase_add_test(tc, test_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("hashing");
	tcase_add_loop_test(tc, test_abc, 0, KTS_N_ELEMS(acases));
	tcase_add_loop_test(tc, test_hash_step, 0, KTS_N_ELEMS(acases));
	suite_add_tcase(s, tc);

	tc = tcase_create("imprints");
	tcase_add_loop_test(tc, test_imprint_parse, 0, KTS_N_ELEMS(icases));
	tcase_add_test(tc, test_imprint_eq_hex);
	tcase_add_loop_test(tc, test_imprint_from_str, 0, KTS_N_ELEMS(fcases));
	suite_add_tcase(s, tc);

	tc = tcase_create("hmac");
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_loop_test(tc, test_hmac_pdu, 0, KTS_N_ELEMS(hcases));
	tcase_add_test(tc, test_hmac_vector);
	tcase_add_test(tc, test_hmac_long_key);
	tcase_add_loop_test(tc, test_hmac_each_alg, 0, KTS_N_ELEMS(acases));
	tcase_add_loop_test(tc, test_hmac_oracle, 0, KTS_N_ELEMS(acases));
	tcase_add_test(tc, test_hmac_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("crc32");
	tcase_add_test(tc, test_crc32);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(hash_suite());
}
