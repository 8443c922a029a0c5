/*
 * fuzz_logsig.c - libFuzzer target for log signature files
 * (lib/logsig*.c): any file kind by its magic.  LOGSIG11/12 files are
 * verified against a fixed log (logksi's continue-verification/log, so
 * the seed log-ok.logsig goes all the way into the KSI signatures) and
 * without a log; RECSIG files as excerpts of it; LOG12BLK/LOG12SIG are
 * walked and integrated; KSISTAT10 parsed and written back.  The input
 * is also read as a log.
 */
#include <stdlib.h>
#include <string.h>

#include "logsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_log[] =
	    "Apr 26 14:18:05 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log\n"
	    "Apr 26 14:18:33 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la sec"
	    "ure*.logsig.parts\n"
	    "Apr 26 14:18:43 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log/secure-20170426-141803.logsig.parts /var/log/secure.lo"
	    "gsig.parts\n"
	    "Apr 26 14:18:53 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log/secure-20170426-141803.logsig.parts /var/log/secure.lo"
	    "gsig.parts\n"
	    "Apr 26 14:18:53 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log/secure-20170426-141803.logsig.parts /var/log/secure.lo"
	    "gsig.parts\n"
	    "Apr 26 14:18:54 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log/secure-20170426-141803.logsig.parts /var/log/secure.lo"
	    "gsig.parts\n"
	    "Apr 26 14:18:56 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log/secure-20170426-141803.logsig.parts /var/log/secure.lo"
	    "gsig.parts\n"
	    "Apr 26 14:18:58 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/bin/ls -la /va"
	    "r/log\n"
	    "Apr 26 14:19:03 CentOS sudo:  vagrant : TTY=pts/0 ; PWD=/hom"
	    "e/vagrant/work/rsyslog ; USER=root ; COMMAND=/usr/sbin/logro"
	    "tate /etc/logrotate.d/secure-rotate\n";

static void
walk(const uint8_t *data, size_t size)
{
	struct kts_ls_reader rd;
	struct kts_ls_elem e;

	if (kts_ls_reader_init(&rd, data, size) != 0)
		return;
	while (kts_ls_next(&rd, &e) == 0 && e.tag != 0)
		;
}

static void
verify(const uint8_t *data, size_t size, int excerpt)
{
	struct kts_ls_lines lr;
	struct kts_ls_vres res;

	if (kts_ls_lines_mem(&lr, (const uint8_t *)fixed_log,
	    sizeof(fixed_log) - 1) != 0)
		return;
	if (excerpt)
		kts_ls_verify_excerpt(data, size, &lr, NULL, &res);
	else {
		kts_ls_verify(data, size, &lr, NULL, &res);
		kts_ls_verify(data, size, NULL, NULL, &res);
	}
	if (res.status == KTS_LS_OK && res.what != KTS_LSW_NONE)
		abort();	/* an OK result names no failure */
	kts_ls_lines_free(&lr);
}

static void
state(const uint8_t *data, size_t size)
{
	struct kts_imprint im;
	struct kts_wr wr;

	if (kts_ls_state_parse(data, size, &im, NULL) != 0)
		return;
	kts_wr_init(&wr, 256);
	if (kts_ls_state_write(&wr, &im) != 0 || wr.len != size ||
	    memcmp(wr.p, data, size) != 0)
		abort();	/* parse and write are inverse */
	kts_wr_free(&wr);
}

static void
lines(const uint8_t *data, size_t size)
{
	struct kts_ls_lines lr;
	const uint8_t *p;
	size_t len;
	int got = 1;

	if (kts_ls_lines_mem(&lr, data, size) != 0)
		return;
	while (got && kts_ls_line(&lr, &p, &len, &got) == 0)
		;
	kts_ls_lines_free(&lr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nosig[] = "LOG12SIG";
	enum kts_ls_kind kind = KTS_LS_UNKNOWN;
	struct kts_ls_vres res;
	struct kts_wr out;
	size_t m;

	lines(data, size);
	(void)kts_ls_magic(data, size, &kind, &m);
	walk(data, size);
	switch (kind) {
	case KTS_LS_LOGSIG11:
	case KTS_LS_LOGSIG12:
		verify(data, size, 0);
		break;
	case KTS_LS_RECSIG11:
	case KTS_LS_RECSIG12:
		verify(data, size, 1);
		break;
	case KTS_LS_LOG12BLK:
	case KTS_LS_LOG12SIG:
		kts_wr_init(&out, 1u << 22);
		kts_ls_integrate(data, size, data, size, 0, &out, &res);
		kts_wr_free(&out);
		kts_wr_init(&out, 1u << 22);
		kts_ls_integrate(data, size, nosig, 8, KTS_LS_I_RECOVER, &out,
		    &res);
		kts_wr_free(&out);
		break;
	case KTS_LS_KSISTAT10:
		state(data, size);
		break;
	default:
		break;
	}
	return 0;
}
