# client/kts: the command-line tool.
bin_PROGRAMS += client/kts
client_kts_SOURCES = \
	client/main.c \
	client/common.c client/common.h \
	client/json.c client/json.h \
	client/cmd_verify.c \
	client/trust.c client/trust.h \
	client/cmd_dump.c \
	client/cmd_pubfile.c \
	client/cmd_sign.c \
	client/cmd_extend.c \
	client/service.c \
	client/signer.c client/signer.h \
	client/cmd_logsig.c client/logsig_cli.h \
	client/logsig_pipe.c \
	client/logsig_sign.c \
	client/logsig_verify.c \
	client/logsig_extract.c \
	client/logsig_extend.c \
	client/logsig_walk.c \
	client/logsig_proofs.c \
	client/logsig_resign.c \
	client/logsig_diag.c
client_kts_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(EVENT_CFLAGS)
client_kts_LDADD = lib/libkts.la $(CRYPTO_LIBS) $(EVENT_LIBS) $(LEVELDB_LIBS)

dist_man_MANS += docs/kts.1
EXTRA_DIST += docs/verify.md docs/performance.md docs/logsig.md docs/logsig-lib.md docs/siem.md
