/*
 * trust.h - where a verification gets its trust, shared by `kts verify`
 * and `kts logsig verify`: a publications file (-P, checked against -V
 * anchors, --cnstr constraints and --pubfile-time), a user publication
 * (--pub-str), and an extender (-X, with --ext-user/--ext-key, -x to
 * permit extending).  A publications file that does not verify is
 * reported and then not used, so the policies that need it end NA.
 */
#ifndef KTS_CLIENT_TRUST_H
#define KTS_CLIENT_TRUST_H

#include <stdint.h>

#include "common.h"
#include "json.h"
#include "pdu.h"
#include "verify.h"

/*
 * The getopt_long entries of the trust and policy options, for a
 * command's table.
 */
#define CLI_TRUST_LONG_OPTS \
	{ "ext-user", required_argument, NULL, CLI_OPT_EXT_USER }, \
	{ "ext-key", required_argument, NULL, CLI_OPT_EXT_KEY }, \
	{ "ext-hmac-alg", required_argument, NULL, CLI_OPT_HMAC_ALG }, \
	{ "publications-file", required_argument, NULL, 'P' }, \
	{ "cnstr", required_argument, NULL, CLI_OPT_CNSTR }, \
	{ "pubfile-time", required_argument, NULL, CLI_OPT_PUBFILE_TIME }, \
	{ "pub-str", required_argument, NULL, CLI_OPT_PUB_STR }, \
	{ "extender", required_argument, NULL, 'X' }, \
	{ "ver-int", no_argument, NULL, CLI_OPT_VER_INT }, \
	{ "ver-key", no_argument, NULL, CLI_OPT_VER_KEY }, \
	{ "ver-pub", no_argument, NULL, CLI_OPT_VER_PUB }, \
	{ "ver-cal", no_argument, NULL, CLI_OPT_VER_CAL }

/* Their short letters. */
#define CLI_TRUST_SHORT_OPTS "P:V:X:x"

/* Their --help lines. */
#define CLI_TRUST_USAGE \
	"  -P PUBFILE          publications file (a path or an http URL)\n" \
	"  -V CERT             trusted certificate (PEM) for the publications\n" \
	"                      file; may repeat; the system store is also used\n" \
	"  --cnstr OID=VALUE   required field of the publications file signer's\n" \
	"                      subject, e.g. E=publications@kts.local\n" \
	"  --pubfile-time T    check the publications file's certificates at T:\n" \
	"                      now (default), created, seconds or YYYY-MM-DD...\n" \
	"  --pub-str STRING    user publication (publication string)\n" \
	"  -X URL              extender: http://, ksi+http://USER:KEY@,\n" \
	"                      ksi+tcp://HOST:PORT, or a file (file://)\n" \
	"                      holding an extension response PDU\n" \
	"  --ext-user USER     extender login id (overrides the URL's)\n" \
	"  --ext-key KEY       extender HMAC key (overrides the URL's)\n" \
	"  -x                  permit extending for publication-based checks\n"

/* The extender: a service, or one response PDU read from a file. */
struct cli_ext {
	uint8_t *buf;			/* the file or last answer (owned) */
	size_t len;
	struct kts_ext_resp resp;	/* views into buf */
	int asked;			/* the verifier called it */
	int network;			/* svc is used, not a file */
	struct cli_service svc;		/* -X URL, --ext-user, --ext-key */
};

struct cli_vtrust {
	/* From the command line (borrowed argv). */
	const char *pubfile;		/* -P */
	struct cli_trust trust;		/* -V, --cnstr, --pubfile-time */
	const char *pub_str;		/* --pub-str */
	const char *ext;		/* -X */
	const char *ext_user;		/* --ext-user */
	const char *ext_key;		/* --ext-key */
	uint8_t ext_hmac_alg;		/* --ext-hmac-alg, 0 = default */
	int extend_ok;			/* -x */
	int policy;			/* --ver-*: enum kts_policy, -1 none */
	/* Loaded by cli_vtrust_load. */
	struct kts_pubfile *pf;
	int pf_ok;			/* pf verified */
	int64_t pf_at;			/* moment it was checked at, -1 now */
	char pf_why[512];		/* why it did not verify */
	struct cli_ext x;
	struct kts_imprint user_hash;	/* --pub-str */
	uint64_t user_time;
};

/* cli_vtrust_init - nothing given yet. */
void cli_vtrust_init(struct cli_vtrust *t);

/*
 * cli_vtrust_opt - take option c if it is a trust or policy option.
 * Returns 0, an exit code (bad value, message printed), or -2 when c is
 * not one.
 */
int cli_vtrust_opt(struct cli_vtrust *t, int c, char *arg);

/*
 * cli_vtrust_check - the rules between the trust options and the policy
 * t->policy; cmd names the command in messages.  Turns KTS_POL_PUBFILE
 * into KTS_POL_USERPUB when a --pub-str is given, and no policy into
 * KTS_POL_GENERAL.  Returns an exit code.
 */
int cli_vtrust_check(struct cli_vtrust *t, const char *cmd);

/*
 * cli_vtrust_load - read the publications file, decode --pub-str, set up
 * the extender, and fill ctx's pubfile, user publication, extend and
 * extend_ok.  Returns an exit code (an untrusted publications file is
 * not an error: it is reported and left out).
 * Ownership: ctx borrows t until cli_vtrust_free().
 */
int cli_vtrust_load(struct cli_vtrust *t, struct kts_vctx *ctx);

void cli_vtrust_free(struct cli_vtrust *t);

/* cli_vtrust_print - the trust lines of a human report. */
void cli_vtrust_print(const struct cli_vtrust *t);

/*
 * cli_vtrust_hint - what to add when a verdict was inconclusive for want
 * of trust, or NULL.
 * Ownership: a static string.
 */
const char *cli_vtrust_hint(const struct cli_vtrust *t, int policy);

/* cli_vtrust_json - the "publications_file" member. */
void cli_vtrust_json(struct jw *w, const struct cli_vtrust *t);

#endif
