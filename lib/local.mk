# libkts: the library every program links (a convenience library until an
# outside user exists, see STYLE.md).
noinst_LTLIBRARIES += lib/libkts.la
lib_libkts_la_SOURCES = \
	lib/err.c lib/err.h \
	lib/limits.h \
	lib/log.c lib/log.h \
	lib/rd.c lib/rd.h \
	lib/wr.c lib/wr.h \
	lib/tlv.c lib/tlv.h \
	lib/hash.c lib/hash.h \
	lib/util.c lib/util.h \
	lib/sig.c lib/sig.h \
	lib/chain.c lib/chain.h \
	lib/verify.c lib/verify.h \
	lib/pdu.c lib/pdu.h \
	lib/pubfile.c lib/pubstr.c lib/pki.c lib/pub.h \
	lib/calstore.c lib/calstore.h \
	lib/tree.c lib/tree.h \
	lib/logsig.h lib/logsig_fmt.c lib/logsig_lines.c lib/logsig_blk.c \
	lib/logsig_verify.c lib/logsig_tree.c \
	lib/http.c lib/http.h \
	lib/net.c lib/net.h \
	lib/upstream.c lib/upstream.h \
	lib/prom.c lib/prom.h \
	lib/reply.c lib/reply.h \
	lib/conf.c lib/conf.h \
	lib/users.c lib/users.h
lib_libkts_la_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(EVENT_CFLAGS) -pthread
lib_libkts_la_LIBADD = $(CRYPTO_LIBS) $(EVENT_LIBS) $(LEVELDB_LIBS)
