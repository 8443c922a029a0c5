/*
 * common.h - what the kts commands share: exit codes, loading signatures
 * and publications files with readable errors, the publications-file
 * trust options (-V, --cnstr, --pubfile-time), signer identities and
 * text helpers.
 *
 * The client prints; lib/ never does.  Every helper that can fail prints
 * one line to stderr naming the file and the reason, and returns the exit
 * code the command should end with (ksi-tool's numbering).
 */
#ifndef KTS_CLIENT_COMMON_H
#define KTS_CLIENT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "pub.h"
#include "sig.h"

/* Exit codes, as ksi-tool numbers them. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,	/* general error (also out of memory) */
	CLI_EXIT_ARGS = 3,	/* bad command line */
	CLI_EXIT_FORMAT = 4,	/* a file does not parse */
	CLI_EXIT_NETWORK = 5,	/* the service cannot be reached */
	CLI_EXIT_VERIFY = 6,	/* verification failed or inconclusive */
	CLI_EXIT_EXTEND = 7,	/* the extender refused */
	CLI_EXIT_AGGR = 8,	/* the aggregator refused */
	CLI_EXIT_IO = 9,	/* a file cannot be read */
	CLI_EXIT_CRYPTO = 10,	/* a hash or OpenSSL operation failed */
	CLI_EXIT_HMAC = 11,	/* the response's HMAC does not check */
	CLI_EXIT_AUTH = 14	/* the service refused our credentials */
};

/* Largest number of -V and --cnstr options. */
#define CLI_MAX_CA 32
#define CLI_MAX_CNSTR 32

/* Largest signer identity string and number of identities. */
#define CLI_MAX_SIGNER 2048
#define CLI_MAX_IDS 256

/* Long options shared by several commands (values above any char). */
enum cli_opt {
	CLI_OPT_CNSTR = 0x100,
	CLI_OPT_PUBFILE_TIME,
	CLI_OPT_JSON,
	CLI_OPT_HASH,
	CLI_OPT_PUB_STR,
	CLI_OPT_VER_INT,
	CLI_OPT_VER_KEY,
	CLI_OPT_VER_PUB,
	CLI_OPT_VER_CAL,
	CLI_OPT_LEVEL,
	CLI_OPT_AGGR_USER,
	CLI_OPT_AGGR_KEY,
	CLI_OPT_EXT_USER,
	CLI_OPT_EXT_KEY,
	CLI_OPT_HMAC_ALG
};

/* A service to talk to: -S/-X URL, credentials, HMAC algorithm. */
struct cli_service {
	const char *url;	/* borrowed argv */
	const char *user;	/* --aggr-user/--ext-user, or from the URL */
	const char *key;	/* --aggr-key/--ext-key, or from the URL */
	uint8_t hmac_alg;	/* default SHA-256 */
	int timeout_ms;		/* default 10 s */
	char *url_user;		/* owned: credentials taken from the URL */
	char *url_key;
};

/* cli_service_init - defaults: SHA-256 HMAC, 10 s timeout. */
void cli_service_init(struct cli_service *s);

/*
 * cli_service_ready - take missing credentials from a ksi+http://u:k@
 * URL and check that there are some; what names the service in errors.
 * Returns an exit code.
 */
int cli_service_ready(struct cli_service *s, const char *what);
void cli_service_free(struct cli_service *s);

/*
 * cli_service_env - as cli_service_ready, but a missing URL comes from
 * the environment variable url_var and missing credentials (unless the
 * URL has some) from KTS_USER and KTS_KEY: what a sourced stack.env
 * exports.  Returns an exit code.
 */
int cli_service_env(struct cli_service *s, const char *url_var,
    const char *what);

/*
 * cli_exchange - send one request PDU and get one response PDU.  Returns
 * an exit code; on failure one line says what went wrong.
 * Ownership: the caller frees *resp with free().
 */
int cli_exchange(const struct cli_service *s, const uint8_t *req, size_t len,
    uint8_t **resp, size_t *resp_len);

/*
 * cli_hash_file - hash a file (streamed; "-" = stdin) with alg.  Returns
 * an exit code.
 */
int cli_hash_file(const char *path, uint8_t alg, struct kts_imprint *out);

/*
 * cli_sign_imprint - send h to the aggregator s at local tree height
 * level and make the signature from its answer (KSI spec 7.11; the HMAC
 * and request id are checked, the signature is not verified here).
 * Returns an exit code; on failure one line says what went wrong.
 * Ownership: the caller frees *sig with kts_sig_free().
 */
int cli_sign_imprint(const struct cli_service *s, const struct kts_imprint *h,
    unsigned level, struct kts_sig **sig);

/* Which publication to extend to (spec 6.7). */
struct cli_ext_to {
	const struct kts_pubfile *pf;	/* verified file, or NULL */
	const char *pf_name;		/* its name, for messages */
	int has_time;			/* extend to time, else to the first
					 * publication in pf after signing */
	uint64_t time;
	uint64_t used;			/* out: the publication time used */
	int with_rec;			/* out: its record was attached */
};

/* cli_ext_time - parse -T (epoch or ISO time) into to.  Exit code. */
int cli_ext_time(const char *arg, struct cli_ext_to *to);

/*
 * cli_extend_sig - ask the extender svc for sig's calendar chain up to
 * the chosen publication, attach the publication record if pf has it,
 * and check the result with the internal policy.  Returns an exit code;
 * on failure one line says why.
 * Ownership: the caller frees *out with kts_sig_free().
 */
int cli_extend_sig(const struct cli_service *svc, const struct kts_sig *sig,
    struct cli_ext_to *to, struct kts_sig **out);

/* cli_request_id - a fresh request id (time and process based). */
uint64_t cli_request_id(void);

/* The commands; argv[0] is the command name. */
int cmd_verify(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_pubfile(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_extend(int argc, char **argv);
int cmd_logsig(int argc, char **argv);

/* cli_err - "kts: " + message + newline on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_exit_for - the exit code for a KTS_E* error. */
int cli_exit_for(int r);

/*
 * cli_read_file - read a whole file of at most max bytes ("-" = stdin).
 * Returns an exit code; on failure one line names the file and reason.
 * Ownership: the caller frees *out with free().
 */
int cli_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/*
 * cli_parse_error - print "PATH: WHAT at offset N (tag 0xT): DETAIL".
 */
void cli_parse_error(const char *path, int r, const struct kts_perr *pe);

/*
 * cli_load_sig - read and parse a signature.  Returns an exit code.
 * Ownership: the caller frees *out with kts_sig_free().
 */
int cli_load_sig(const char *path, struct kts_sig **out);

/*
 * cli_load_pubfile - read and parse a publications file (not verified).
 * Returns an exit code.
 * Ownership: the caller frees *out with kts_pubfile_free().
 */
int cli_load_pubfile(const char *path, struct kts_pubfile **out);

/* Publications-file trust from the command line (spec 6.4). */
struct cli_trust {
	const char *ca[CLI_MAX_CA];	/* -V files (borrowed argv) */
	size_t n_ca;
	struct kts_cnstr cnstr[CLI_MAX_CNSTR];	/* --cnstr (borrowed argv) */
	size_t n_cnstr;
	const char *when;		/* --pubfile-time, NULL = now */
};

/*
 * cli_trust_opt - take -V ('V'), --cnstr or --pubfile-time.  --cnstr's
 * argument is split at its '=' in place.  Returns an exit code.
 */
int cli_trust_opt(struct cli_trust *t, int opt, char *arg);

/*
 * cli_pubfile_check - verify pf with the trust options: the -V files as
 * partial-chain anchors plus the system store, the constraints, at the
 * --pubfile-time moment.  *at gets the moment used (-1 = now).  Returns
 * 0 when the file verifies, else the lib error with why filled.
 */
int cli_pubfile_check(const struct cli_trust *t, const struct kts_pubfile *pf,
    int64_t *at, char *why, size_t whylen);

/*
 * cli_signer_ids - the identities along the aggregation chains, leaf
 * first: the client id of every metadata link and the name of every
 * legacy-id link.  Returns how many were stored (at most max).
 * Ownership: the strings are borrowed from sig.
 */
size_t cli_signer_ids(const struct kts_sig *sig, const char **ids, size_t max);

/* cli_signer_str - the identities joined by " :: " into buf ("(none)"). */
char *cli_signer_str(const struct kts_sig *sig, char *buf, size_t size);

/* cli_put_time - "EPOCH (YYYY-MM-DDTHH:MM:SSZ)" on f. */
void cli_put_time(FILE *f, int64_t t);

/* cli_put_str - s in double quotes with control characters escaped. */
void cli_put_str(FILE *f, const char *s);

/* cli_put_hex - n bytes as lower-case hex. */
void cli_put_hex(FILE *f, const uint8_t *p, size_t n);

/* cli_pubstr - publication string of (t, h) into buf, or "" on error. */
char *cli_pubstr(uint64_t t, const struct kts_imprint *h, char *buf,
    size_t size);

#endif
