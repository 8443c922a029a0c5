/*
 * pki.c - X.509 helpers and the calendar authentication record's PKI
 * signature (KSI spec 3.9, 6.6).
 *
 * The signature value is checked over the exact bytes given (the whole
 * received 0x10 TLV, header included), with the digest named by the
 * record's dotted OID.  Only the digests libksi accepts (SHA-1, SHA-256,
 * RIPEMD-160, SHA-384, SHA-512) are mapped; RSA PKCS#1 v1.5 is what real
 * records use, and ECDSA is accepted with the same digests.  The key type
 * must match the OID's family, so an RSA OID never verifies with an EC key.
 */
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "limits.h"
#include "pub.h"

/* A signature algorithm OID we accept (spec 6.6). */
struct sig_oid {
	const char *oid;	/* dotted form, as in the 0x0B/0x01 string */
	uint8_t hash;		/* KTS_HASH_* digest */
	const char *key;	/* OpenSSL key type name the key must be */
};

static const struct sig_oid sig_oids[] = {
	{ "1.2.840.113549.1.1.5", KTS_HASH_SHA1, "RSA" },
	{ "1.2.840.113549.1.1.11", KTS_HASH_SHA256, "RSA" },
	{ "1.2.840.113549.1.1.12", KTS_HASH_SHA384, "RSA" },
	{ "1.2.840.113549.1.1.13", KTS_HASH_SHA512, "RSA" },
	{ "1.3.36.3.3.1.2", KTS_HASH_RIPEMD160, "RSA" },
	{ "1.2.840.10045.4.1", KTS_HASH_SHA1, "EC" },
	{ "1.2.840.10045.4.3.2", KTS_HASH_SHA256, "EC" },
	{ "1.2.840.10045.4.3.3", KTS_HASH_SHA384, "EC" },
	{ "1.2.840.10045.4.3.4", KTS_HASH_SHA512, "EC" },
};

#define N_SIG_OIDS (sizeof(sig_oids) / sizeof(sig_oids[0]))

static const struct sig_oid *
sig_oid_find(const char *oid)
{
	size_t i;

	for (i = 0; i < N_SIG_OIDS; i++)
		if (strcmp(sig_oids[i].oid, oid) == 0)
			return &sig_oids[i];
	return NULL;
}

/* Decode exactly len bytes of DER as one certificate, or NULL. */
static X509 *
cert_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	/* No certificate outgrows the file it came in (d2i takes a long). */
	if (len == 0 || len > KTS_MAX_PUBFILE)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int
asn1_time_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		return KTS_EFORMAT;
	}
	*out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
	    tm.tm_sec;
	return 0;
}

int
kts_cert_validity(const uint8_t *der, size_t len, int64_t *not_before,
    int64_t *not_after)
{
	X509 *x;
	int r;

	if ((x = cert_decode(der, len)) == NULL)
		return KTS_EFORMAT;
	if ((r = asn1_time_epoch(X509_get0_notBefore(x), not_before)) != 0 ||
	    (r = asn1_time_epoch(X509_get0_notAfter(x), not_after)) != 0)
		goto out;
out:
	X509_free(x);
	return r;
}

/*
 * Copy the NUL-terminated text src (n bytes) into buf, cutting at a UTF-8
 * character boundary if it does not fit.
 */
static void
copy_utf8_cut(const char *src, size_t n, char *buf, size_t size)
{
	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, src, n);
	buf[n] = '\0';
}

int
kts_cert_subject(const uint8_t *der, size_t len, char *buf, size_t size)
{
	/* One line, "C=EE, O=...", UTF-8 kept, control characters escaped. */
	const unsigned long fl = (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ &
	    ~ASN1_STRFLGS_ESC_MSB);
	BIO *mem = NULL;
	X509 *x = NULL;
	char *p;
	long n;
	int r;

	if (size == 0)
		return KTS_EINVAL;
	buf[0] = '\0';
	if ((x = cert_decode(der, len)) == NULL)
		return KTS_EFORMAT;
	if ((mem = BIO_new(BIO_s_mem())) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	if (X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, fl) < 0 ||
	    BIO_write(mem, "", 1) != 1 || (n = BIO_get_mem_data(mem, &p)) < 1) {
		r = KTS_EFORMAT;
		goto out;
	}
	copy_utf8_cut(p, (size_t)n - 1, buf, size);
	r = 0;
out:
	ERR_clear_error();
	BIO_free(mem);
	X509_free(x);
	return r;
}

int
kts_pki_verify(const uint8_t *cert_der, size_t cert_len, const char *oid,
    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t n)
{
	const struct sig_oid *so;
	const EVP_MD *md;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY *key;
	X509 *x;
	int r;

	if ((x = cert_decode(cert_der, cert_len)) == NULL)
		return KTS_EFORMAT;
	r = KTS_EVERIFY;
	/* KSI spec 6.6: the digest comes from the OID; others are refused. */
	if (oid == NULL || (so = sig_oid_find(oid)) == NULL ||
	    (md = kts_hash_evp(so->hash)) == NULL)
		goto out;
	if ((key = X509_get0_pubkey(x)) == NULL || !EVP_PKEY_is_a(key, so->key))
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestVerify(mctx, sig, sig_len, data, n) != 1)
		goto out;
	r = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	X509_free(x);
	return r;
}
