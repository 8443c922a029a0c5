/*
 * publish.c - calendar authentication records and publications (KSI spec
 * 6.3, 6.5, 6.6).
 *
 * Publications are kept in DATA_DIR/publications.txt, one "TIME HEX" line
 * each, appended and synced before the publications file is rewritten.
 * The file is written to a temporary name and renamed, so readers never
 * see half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "calendar.h"
#include "err.h"
#include "limits.h"
#include "log.h"
#include "pub.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"

/* The signature-type OIDs we produce (spec 3.9). */
#define OID_SHA256_RSA "1.2.840.113549.1.1.11"
#define OID_SHA256_ECDSA "1.2.840.10045.4.3.2"

/* A publications list line is "TIME HEX": 20 + 1 + 130 characters. */
#define PUBLIST_MAX (KTS_MAX_PUBFILE)

/* Publication data element (spec 3.7), with the F flag as libksi writes
 * it inside authentication records (spec 3.9). */
static int
put_pubdata(struct kts_wr *wr, uint8_t flags, uint64_t p,
    const struct kts_imprint *h)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t m;
	int r;

	if ((r = kts_wr_tlv_begin(wr, KTS_TAG_PUB_DATA, flags, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, p)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x04, 0, b, kts_imprint_bytes(h, b))) != 0)
		return r;
	return kts_wr_tlv_end(wr, m);
}

static int
sign_bytes(EVP_PKEY *key, const uint8_t *data, size_t n, uint8_t **sig,
    size_t *siglen)
{
	EVP_MD_CTX *ctx = NULL;
	int r = KTS_ECRYPTO;

	*sig = NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, data, n) != 1 ||
	    (*sig = malloc(*siglen)) == NULL ||
	    EVP_DigestSign(ctx, *sig, siglen, data, n) != 1)
		goto out;
	r = 0;
out:
	if (r != 0) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return r;
}

int
cal_auth_record(struct cal *cal, uint64_t p, const struct kts_imprint *root,
    struct kts_wr *out)
{
	struct kts_wr pd;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	size_t m;
	size_t sm;
	int r;

	/* Spec 6.6: sign the whole 0x10 element, header included. */
	kts_wr_init(&pd, 256);
	if ((r = put_pubdata(&pd, KTS_TLV_F, p, root)) != 0 ||
	    (r = sign_bytes(cal->key, pd.p, pd.len, &sig, &siglen)) != 0)
		goto out;
	if ((r = kts_wr_tlv_begin(out, KTS_TAG_CAL_AUTH, 0, &m)) != 0 ||
	    (r = kts_wr_put(out, pd.p, pd.len)) != 0 ||
	    (r = kts_wr_tlv_begin(out, KTS_TAG_SIG_DATA, 0, &sm)) != 0 ||
	    (r = kts_wr_tlv_str(out, 0x01, 0,
	    EVP_PKEY_base_id(cal->key) == EVP_PKEY_EC ? OID_SHA256_ECDSA :
	    OID_SHA256_RSA)) != 0 ||
	    (r = kts_wr_tlv(out, 0x02, 0, sig, siglen)) != 0 ||
	    (r = kts_wr_tlv(out, 0x03, 0, cal->cert_id, 4)) != 0 ||
	    (r = kts_wr_tlv_end(out, sm)) != 0)
		goto out;
	r = kts_wr_tlv_end(out, m);
out:
	free(sig);
	kts_wr_free(&pd);
	return r;
}

/* ---- the publications list --------------------------------------------- */

static int
publist_path(const struct cal *cal, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/publications.txt", cal->conf->data_dir);

	return n < 0 || (size_t)n >= size ? KTS_EINVAL : 0;
}

/* Append one publication and sync it. */
static int
publist_add(struct cal *cal, uint64_t p, const struct kts_imprint *h)
{
	char path[4096];
	char hex[2 * KTS_IMPRINT_MAX + 1];
	char line[200];
	int fd;
	int n;
	int r = 0;

	if (publist_path(cal, path, sizeof(path)) != 0)
		return KTS_EINVAL;
	n = snprintf(line, sizeof(line), "%llu %s\n", (unsigned long long)p,
	    kts_imprint_hex(h, hex));
	if (n < 0 || (size_t)n >= sizeof(line))
		return KTS_EINVAL;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) < 0)
		return KTS_EIO;
	if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
		r = KTS_EIO;
	close(fd);
	return r;
}

/* Parse the list into publication records written to wr; *last gets the
 * newest time (0 if none). */
static int
publist_emit(struct cal *cal, struct kts_wr *wr, uint64_t *last)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	char *p;
	char *nl;
	int r;

	*last = 0;
	if (publist_path(cal, path, sizeof(path)) != 0)
		return KTS_EINVAL;
	if ((r = kts_file_read(path, PUBLIST_MAX, &buf, &len)) != 0)
		return errno == ENOENT ? 0 : r;
	/* The list is ours, but it is still a file: parse it carefully. */
	if ((p = realloc(buf, len + 1)) == NULL) {
		free(buf);
		return KTS_ENOMEM;
	}
	p[len] = '\0';
	buf = (uint8_t *)p;
	for (; r == 0 && p != NULL && *p != '\0'; p = nl) {
		struct kts_imprint h;
		char *sp;
		uint64_t t;
		size_t m;

		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if ((sp = strchr(p, ' ')) == NULL) {
			r = KTS_EFORMAT;
			break;
		}
		*sp = '\0';
		if (kts_parse_u64(p, UINT64_MAX, &t) != 0 ||
		    kts_imprint_from_str(sp + 1, &h) != 0) {
			r = KTS_EFORMAT;
			break;
		}
		if ((r = kts_wr_tlv_begin(wr, KTS_TAG_PF_PUB, 0, &m)) == 0 &&
		    (r = put_pubdata(wr, 0, t, &h)) == 0)
			r = kts_wr_tlv_end(wr, m);
		if (t > *last)
			*last = t;
	}
	free(buf);
	return r;
}

/* ---- the publications file ------------------------------------------------ */

static int
cms_sign(struct cal *cal, const uint8_t *data, size_t n, uint8_t **der,
    size_t *derlen)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	CMS_ContentInfo *cms = NULL;
	X509 *cert = NULL;
	BIO *in = NULL;
	FILE *f = NULL;
	unsigned char *out = NULL;
	int len;
	int r = KTS_ECRYPTO;

	*der = NULL;
	if ((f = fopen(cal->conf->pub_key, "r")) == NULL ||
	    (key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		goto out;
	fclose(f);
	if ((f = fopen(cal->conf->pub_cert, "r")) == NULL ||
	    (cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL)
		goto out;
	fclose(f);
	f = NULL;
	if ((chain = sk_X509_new_null()) == NULL)
		goto out;
	if (cal->conf->pub_chain != NULL &&
	    (f = fopen(cal->conf->pub_chain, "r")) != NULL) {
		X509 *x;

		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
			if (!sk_X509_push(chain, x))
				X509_free(x);
		fclose(f);
		f = NULL;
	}
	/* Spec 6.3: detached SHA-256 CMS over the bytes before 0x704. */
	if ((in = BIO_new_mem_buf(data, (int)n)) == NULL ||
	    (cms = CMS_sign(cert, key, chain, in, CMS_BINARY | CMS_DETACHED))
	    == NULL || (len = i2d_CMS_ContentInfo(cms, &out)) <= 0)
		goto out;
	*der = out;
	*derlen = (size_t)len;
	out = NULL;
	r = 0;
out:
	if (f != NULL)
		fclose(f);
	OPENSSL_free(out);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/* Header, our certificate, every publication (spec 6.3, 6.5). */
static int
pubfile_body(struct cal *cal, struct kts_wr *wr, uint64_t *last)
{
	size_t m;
	int r;

	if ((r = kts_wr_put(wr, KTS_PUBFILE_MAGIC, 8)) != 0 ||
	    (r = kts_wr_tlv_begin(wr, KTS_TAG_PF_HEADER, 0, &m)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x01, 0, 1)) != 0 ||
	    (r = kts_wr_tlv_u64(wr, 0x02, 0, cal_now(cal, NULL))) != 0)
		return r;
	if (cal->conf->repo_uri != NULL &&
	    (r = kts_wr_tlv_str(wr, 0x03, 0, cal->conf->repo_uri)) != 0)
		return r;
	if ((r = kts_wr_tlv_end(wr, m)) != 0 ||
	    (r = kts_wr_tlv_begin(wr, KTS_TAG_PF_CERT, 0, &m)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x01, 0, cal->cert_id, 4)) != 0 ||
	    (r = kts_wr_tlv(wr, 0x02, 0, cal->cert_der,
	    cal->cert_der_len)) != 0 ||
	    (r = kts_wr_tlv_end(wr, m)) != 0)
		return r;
	return publist_emit(cal, wr, last);
}

static int
pubfile_write(struct cal *cal, uint64_t *last)
{
	struct kts_wr wr;
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	kts_wr_init(&wr, KTS_MAX_PUBFILE);
	if ((r = pubfile_body(cal, &wr, last)) != 0 ||
	    (r = cms_sign(cal, wr.p, wr.len, &der, &derlen)) != 0 ||
	    (r = kts_wr_tlv(&wr, KTS_TAG_PF_SIG, 0, der, derlen)) != 0 ||
	    (r = kts_file_write(cal->conf->pubfile, wr.p, wr.len)) != 0)
		goto out;
	free(cal->pubfile);
	cal->pubfile = NULL;
	r = kts_wr_take(&wr, &cal->pubfile, &cal->pubfile_len);
out:
	OPENSSL_free(der);
	kts_wr_free(&wr);
	return r;
}

/* The first publication time after t on the cadence. */
static uint64_t
next_on_cadence(const struct cal_conf *c, uint64_t t)
{
	uint64_t k = t >= c->pub_offset ? (t - c->pub_offset) / c->pub_every : 0;
	uint64_t p = k * c->pub_every + c->pub_offset;

	while (p <= t)
		p += c->pub_every;
	return p;
}

int
cal_pub_init(struct cal *cal, char *why, size_t whylen)
{
	uint64_t last = 0;
	uint64_t start;
	int r;

	if ((r = pubfile_write(cal, &last)) != 0) {
		snprintf(why, whylen, "cannot write the publications file %s: "
		    "%s (check pub_key, pub_cert and the publications list)",
		    cal->conf->pubfile, kts_strerror(r));
		return r;
	}
	start = kts_cal_start(cal->store);
	cal->next_pub = next_on_cadence(cal->conf,
	    last > start ? last : start);
	cal->st.last_publication = last;
	return 0;
}

/* Run the hook with the publication string as its argument. */
static void
run_hook(const char *hook, const char *pubstr)
{
	pid_t pid;
	int status;

	if (hook == NULL)
		return;
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", hook, "kts-pub-hook", pubstr,
		    (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		kts_log(KTS_LOG_WARN, "publication hook failed: %s", hook);
}

int
cal_pub_maybe(struct cal *cal, uint64_t head)
{
	struct kts_imprint root;
	char pubstr[KTS_MAX_PUBSTR];
	uint64_t last;
	int r;

	/*
	 * After downtime many publication times may have passed: publish
	 * only the latest of them.  Publishing each would rewrite the whole
	 * file per missed time (a million times for a year at 30 s) while no
	 * request is served; a publication is a choice of second, and a
	 * later one covers every signature an earlier one would have.
	 */
	if (cal->next_pub <= head && head - cal->next_pub >= cal->conf->pub_every) {
		uint64_t latest = head - (head - cal->conf->pub_offset) %
		    cal->conf->pub_every;

		kts_log(KTS_LOG_NOTICE, "skipping %llu missed publication "
		    "times; publishing %llu",
		    (unsigned long long)((latest - cal->next_pub) /
		    cal->conf->pub_every), (unsigned long long)latest);
		cal->next_pub = latest;
	}
	while (cal->next_pub <= head) {
		uint64_t p = cal->next_pub;

		if ((r = kts_cal_root(cal->store, p, &root)) != 0 ||
		    (r = publist_add(cal, p, &root)) != 0 ||
		    (r = pubfile_write(cal, &last)) != 0) {
			kts_err_r(r, "publication %llu", (unsigned long long)p);
			return r;
		}
		cal->next_pub = next_on_cadence(cal->conf, p);
		cal->st.publications++;
		cal->st.last_publication = p;
		if (kts_pubstr_encode(p, &root, pubstr, sizeof(pubstr)) == 0) {
			kts_log(KTS_LOG_NOTICE, "publication %llu: %s",
			    (unsigned long long)p, pubstr);
			run_hook(cal->conf->pub_hook, pubstr);
		}
	}
	return 0;
}
