/*
 * pub.h - publications (KSI spec section 6): publication strings, the
 * publications file and its CMS signature, certificate lookup, and the
 * PKI signature of a calendar authentication record.
 */
#ifndef KTS_PUB_H
#define KTS_PUB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "sig.h"

#define KTS_PUBFILE_MAGIC "KSIPUBLF"
#define KTS_TAG_PF_HEADER 0x701
#define KTS_TAG_PF_CERT 0x702
#define KTS_TAG_PF_PUB 0x703
#define KTS_TAG_PF_SIG 0x704

/* A calendar signing certificate listed in the file (0x702). */
struct kts_pf_cert {
	const uint8_t *id;	/* certificate id bytes (4 for CRC-32 ids) */
	size_t id_len;
	const uint8_t *der;	/* DER X.509 certificate */
	size_t der_len;
};

struct kts_pubfile {
	uint8_t *buf;		/* owned copy of the file */
	size_t len;
	uint64_t version;	/* header 0x01 */
	uint64_t created;	/* header 0x02 as stored (2014 files: ms) */
	const char *repo_uri;	/* header 0x03, NULL if absent */
	struct kts_pf_cert *certs;	/* owned array */
	size_t n_certs;
	struct kts_pubrec *pubs;	/* owned array, in file order */
	size_t n_pubs;
	const uint8_t *cms;	/* DER PKCS#7 SignedData (0x704 value) */
	size_t cms_len;
	size_t signed_len;	/* bytes [0, signed_len) are signed */
};

/*
 * kts_pubfile_parse - parse a publications file (spec 6.3): magic, one
 * header first, certificates, publications, one signature last, tags in
 * non-decreasing order, and a 0x704 that is a parseable PKCS#7 structure.
 * Returns 0, KTS_ETRUNC, KTS_EFORMAT, KTS_ETOOBIG or KTS_ENOMEM with perr.
 * Ownership: free *out with kts_pubfile_free(); buf is copied.
 */
int kts_pubfile_parse(const uint8_t *buf, size_t len, struct kts_pubfile **out,
    struct kts_perr *perr);

/* kts_pubfile_free - NULL is fine. */
void kts_pubfile_free(struct kts_pubfile *pf);

/*
 * kts_pubfile_created - the creation time in seconds (a value that can
 * only be milliseconds, as in 2014 files, is divided by 1000).
 */
int64_t kts_pubfile_created(const struct kts_pubfile *pf);

/* A certificate constraint: OID (dotted or E/email/CN/C/O) = value. */
struct kts_cnstr {
	const char *oid;
	const char *value;
};

/* What to trust when checking a publications file (spec 6.4). */
struct kts_trust {
	const char *const *ca_files;	/* PEM files of trust anchors */
	size_t n_ca;
	const char *const *ca_dirs;	/* hashed certificate folders */
	size_t n_ca_dirs;
	const struct kts_cnstr *cnstr;	/* subject constraints, >= 1 needed */
	size_t n_cnstr;
	int64_t at;		/* verification time; -1 = now */
	uint8_t partial_chain;	/* accept a chain ending at a trusted
				 * intermediate (default on in the CLI) */
	uint8_t default_store;	/* also trust the system store */
};

/*
 * kts_pubfile_verify - check the CMS signature over the signed part, the
 * signer's chain against tr at tr->at, and every constraint against the
 * signer's subject.  Returns 0, KTS_EINVAL (no constraint given),
 * KTS_EVERIFY (it does not check) or KTS_ECRYPTO/KTS_ENOMEM; why gets a
 * sentence saying what failed.
 */
int kts_pubfile_verify(const struct kts_pubfile *pf, const struct kts_trust *tr,
    char *why, size_t whylen);

/*
 * kts_pubfile_find - the publication with exactly time t, or NULL.
 * kts_pubfile_nearest - the one with the smallest time >= t, or NULL.
 * Ownership: borrowed from pf.
 */
const struct kts_pubrec *kts_pubfile_find(const struct kts_pubfile *pf,
    uint64_t t);
const struct kts_pubrec *kts_pubfile_nearest(const struct kts_pubfile *pf,
    uint64_t t);

/*
 * kts_pubfile_cert - the certificate with this id, or NULL.
 * Ownership: borrowed from pf.
 */
const struct kts_pf_cert *kts_pubfile_cert(const struct kts_pubfile *pf,
    const uint8_t *id, size_t id_len);

/*
 * kts_cert_validity - notBefore and notAfter of a DER certificate in
 * seconds since the epoch.  Returns 0 or KTS_EFORMAT.
 */
int kts_cert_validity(const uint8_t *der, size_t len, int64_t *not_before,
    int64_t *not_after);

/*
 * kts_cert_subject - one-line subject of a DER certificate into buf.
 * Returns 0 or KTS_EFORMAT.
 */
int kts_cert_subject(const uint8_t *der, size_t len, char *buf, size_t size);

/*
 * kts_pki_verify - check a calendar authentication record's signature
 * value over data with the certificate's public key; the digest comes
 * from the OID (only SHA-1, SHA-256, RIPEMD-160, SHA-384 and SHA-512 are
 * accepted, spec 6.6).  Returns 0, KTS_EVERIFY (bad OID, bad value, wrong
 * key) or KTS_EFORMAT (certificate does not parse).
 */
int kts_pki_verify(const uint8_t *cert_der, size_t cert_len, const char *oid,
    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t n);

/*
 * kts_pubstr_encode - publication string (spec 6.2) of time and hash into
 * buf (KTS_MAX_PUBSTR bytes is always enough).  Returns 0 or KTS_ETOOBIG.
 */
int kts_pubstr_encode(uint64_t time, const struct kts_imprint *hash,
    char *buf, size_t size);

/*
 * kts_pubstr_decode - parse a publication string: dashes ignored, case
 * insensitive, stops at '=', CRC-32 checked, length must match the
 * algorithm.  Returns 0 or KTS_EFORMAT.
 */
int kts_pubstr_decode(const char *s, uint64_t *time, struct kts_imprint *hash);

#endif
