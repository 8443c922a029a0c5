/*
 * limits.h - every size cap in kts, each with its reason.
 *
 * Nothing read from a file or the network may grow past these.  A reader
 * that meets a larger size returns KTS_ETOOBIG before allocating.
 */
#ifndef KTS_LIMITS_H
#define KTS_LIMITS_H

/*
 * Largest TLV value: the TLV16 length field is 16 bits (KSI spec 1.1).
 */
#define KTS_MAX_TLV_VALUE 65535u

/*
 * Largest signature or PDU: one TLV16 element, 4 header bytes plus the
 * largest value (spec 1.5); libksi's readers use the same buffer size.
 */
#define KTS_MAX_PDU (KTS_MAX_TLV_VALUE + 4u)

/*
 * Deepest TLV nesting we descend into.  The deepest real structure is
 * signature > chain > link > metadata > field (5); 16 leaves room for
 * unknown non-critical nesting while bounding recursion.
 */
#define KTS_MAX_TLV_DEPTH 16

/*
 * Aggregation chains in one signature.  Each chain adds at least one link
 * and each link at least one level; levels are one byte (spec 4.1), so no
 * valid signature has more than 255.
 */
#define KTS_MAX_AGGR_CHAINS 255

/*
 * Links in one signature's aggregation chains together, and in one
 * calendar chain.  Aggregation: levels are one byte, each link adds one.
 * Calendar: a 64-bit time has at most 64 set bits and 64 levels, so a
 * chain needs at most 2*64 links; anything longer is hostile.
 */
#define KTS_MAX_AGGR_LINKS 255
#define KTS_MAX_CAL_LINKS 128

/*
 * Chain-index integers in one chain: a list grows by one per chain
 * (spec 4.3), so it is bounded by the chain count.
 */
#define KTS_MAX_CHAIN_INDEX KTS_MAX_AGGR_CHAINS

/*
 * Publications file size.  Guardtime's real file of 2024 is 63 KB with
 * ten years of monthly publications; 16 MiB holds centuries of daily ones.
 */
#define KTS_MAX_PUBFILE (16u * 1024u * 1024u)

/*
 * Records in a publications file (certificates plus publications): a
 * daily publication for 300 years is about 110,000.
 */
#define KTS_MAX_PUBFILE_RECORDS 200000u

/*
 * Publication references and repository URIs in one publication record:
 * real records carry 1-3; 64 bounds the list.
 */
#define KTS_MAX_PUB_REFS 64

/*
 * Longest printable publication string accepted: a SHA-512 publication is
 * 77 bytes, 128 base32 characters plus dashes; 256 bounds garbage.
 */
#define KTS_MAX_PUBSTR 256

/*
 * Largest document hashed by `kts sign`/`kts verify -f` in one read call
 * chunk (not a cap on the file, which is streamed).
 */
#define KTS_FILE_CHUNK (64u * 1024u)

/*
 * Largest input file read whole into memory (signatures, extender
 * responses): a signature cannot exceed KTS_MAX_PDU; publications files
 * have their own cap above.
 */
#define KTS_MAX_SIG_FILE KTS_MAX_PDU

/*
 * Lines of a test-pack CSV and fields in one line: the real files have
 * under 200 rows and 15 fields.
 */
#define KTS_MAX_CSV_LINE 8192
#define KTS_MAX_CSV_FIELDS 32

/*
 * Requests in one round's tree.  A round is a second at the calendar or
 * ~100 ms at an aggregator; a million leaves is 20 levels of the 255 a
 * chain may climb and about 400 MB of nodes at most.
 */
#define KTS_MAX_ROUND_LEAVES (1u << 20)

/*
 * Seconds one calendar append may write (lib/calstore.c): the filler
 * leaves of a gap since the head plus the new leaves, all in one synced
 * LevelDB batch.  The batch is built in memory, written and synced before
 * the second it ends with can be answered, and replayed from the log if
 * the store is reopened before LevelDB flushes it.  Measured with SHA-256
 * (docs/performance.md): a gap of 2 days takes 0.17 s and 38 MB of
 * memory, 7 days 0.55 s and 118 MB, 30 days 2.9 s and 486 MB (and 3.5 s
 * to reopen).  Two days cover a day-long outage with room to spare and
 * keep the batch well inside one round.  Beyond it the clock is more
 * likely wrong than the calendar down, and a head pushed ahead by a bad
 * clock could never be taken back (the head never moves backwards); a
 * longer outage is bridged on purpose, by appending fillers in steps.
 */
#define KTS_MAX_CAL_BATCH (2u * 86400u)

/*
 * Extension threads of kts-calendar (calendar/ext.c, setting
 * ext_threads).  Each has an event loop, a store handle (a few KB; the
 * table of block roots is shared) and its share of the extender port's
 * connections.  Extending is CPU-bound, so more threads than cores only
 * add switches; 64 is far above any machine this runs on and keeps a
 * typo from starting thousands.
 */
#define KTS_MAX_EXT_THREADS 64

/*
 * Network servers (lib/net.c, KSI spec section 8).  The first four are
 * the defaults for the zero fields of struct kts_srv_opts.
 *
 * Concurrent connections, HTTP and raw TCP together: each costs a
 * descriptor and up to one request of input buffer (KTS_MAX_PDU, plus
 * KTS_NET_MAX_HTTP_HEADER over HTTP).  512 stays well inside
 * the common 1024-descriptor limit, leaving room for LevelDB's files.  A
 * connection beyond it is closed as soon as it is accepted.
 */
#define KTS_NET_MAX_CONNS 512

/*
 * The most kts-calendar's max_conns and ext_max_conns may be set to: a
 * descriptor each (the calendar raises its soft limit to the sum plus
 * room for LevelDB), and a million is past any system's usual hard
 * limit while still a number a typo would not reach.
 */
#define KTS_CAL_MAX_CONNS_CAP 1000000

/*
 * Seconds a connection may sit with nothing in flight (no partial
 * request, no request being answered) before it is closed.  libksi opens
 * a connection per request, so this only bounds idle keep-alives.
 */
#define KTS_NET_IDLE_TIMEOUT 60

/*
 * Seconds from the first byte of a request to its last: a client that
 * sends part of a PDU (or of an HTTP request) and stalls is closed after
 * this long.  A real request is under 1 KB and arrives at once; 10 s
 * allows a very slow link.
 */
#define KTS_NET_READ_TIMEOUT 10

/*
 * Request PDUs read from one raw TCP connection and not yet answered
 * (spec 8.3: a client may pipeline many).  When it is reached the server
 * stops reading that connection until replies drain (back-pressure); one
 * second's round of a busy client fits, and it bounds the requests one
 * connection can hold to about 1024 responses of a few KB each.
 */
#define KTS_NET_MAX_PENDING 1024

/*
 * Response bytes queued on one raw TCP connection before the server stops
 * reading more requests from it, until the client has read them all.
 */
#define KTS_NET_MAX_OUTBUF (1024u * 1024u)

/*
 * Largest HTTP header block, request (server) or response (client).  Real
 * KSI exchanges send well under 1 KB of headers; 8 KB is what common
 * servers accept by default.
 */
#define KTS_NET_MAX_HTTP_HEADER 8192u

/*
 * Longest HTTP request line (method, target, version) the servers read;
 * longer is answered 414.  KSI targets are short paths ("/", the
 * publications file, /metrics); 2 KB is far above them and still well
 * inside KTS_NET_MAX_HTTP_HEADER.
 */
#define KTS_NET_MAX_HTTP_LINE 2048u

/*
 * Most header fields in one HTTP request; more is answered 431.  KSI
 * clients send five or six (libksi through curl: Host, Accept,
 * Content-Type, Content-Length, Expect, User-Agent); 64 leaves room for
 * proxies' additions and bounds the work per request.
 */
#define KTS_NET_MAX_HTTP_FIELDS 64u

/*
 * HTTP requests read from one connection and not yet answered (HTTP/1.1
 * pipelining).  Answers leave in request order, so an answer made early
 * waits, held by the server, for the ones before it: this bounds those to
 * 64 PDUs per connection.  At the cap the server stops reading that
 * connection until answers drain (back-pressure).  Clients of a signing
 * service send one request at a time; a pipelining benchmark still keeps
 * 64 in flight.
 */
#define KTS_NET_MAX_HTTP_INFLIGHT 64

/*
 * Lingering close after a refusal (413, 400, ...) sent while the client
 * may still be sending its request: the server shuts its side for
 * writing and reads and discards for at most KTS_NET_LINGER_MS or
 * KTS_NET_LINGER_BYTES before it closes.  Closing at once with unread
 * bytes makes the kernel send a reset, and a client still sending gets
 * "connection reset" instead of the answer that says what was wrong.
 * 2 s lets a client on a slow link finish a body of the sizes we refuse
 * (the HTTP body cap is KTS_MAX_PDU, 64 KB; 4 MB covers a client that
 * sends far more); past either, the connection slot is worth more.
 */
#define KTS_NET_LINGER_MS 2000
#define KTS_NET_LINGER_BYTES (4u * 1024u * 1024u)

/*
 * Upstream clients (lib/upstream.c: an aggregator's parents).
 *
 * A parent whose connection failed is not tried again for this long: a
 * dead parent then costs one refused connect a second, not one per
 * round, and the next round after it is tried again (issue: "a parent
 * that failed is tried again in later rounds").
 */
#define KTS_UP_RETRY_MS 1000

/*
 * Requests waiting for one parent's answers.  An aggregator sends one
 * request per round; at 10 rounds a second and a parent timeout of a few
 * seconds some tens wait, so 1024 is only reached by a parent that
 * stalls with a long timeout, and then bounds the memory it can pin.
 */
#define KTS_UP_MAX_INFLIGHT 1024

/*
 * HTTP keep-alive connections to one parent.  HTTP carries one request
 * per connection at a time and a parent answers a round only when its
 * own round (up to a calendar second) is over, so about timeout / round
 * period connections can be busy at once: 64 covers 100 ms rounds with
 * a 6 s wait.  Beyond it sends fail at once (raw TCP has no such cap:
 * it pipelines).
 */
#define KTS_UP_HTTP_POOL 64

/*
 * kts-aggregator's defaults (aggregator/conf.c; each is a setting).
 *
 * Requests in one round, all clients together: 65,536 leaves make a
 * tree 16 levels tall (17 with the metadata), which the parents' level
 * limits must leave room for (aggregator/parent.c fit_levels), and at
 * 10 rounds a second carry 655,360 requests a second, beyond what one
 * machine's network stack delivers (docs/performance.md).
 */
#define KTS_AGG_MAX_REQUESTS 65536u

/*
 * Requests waiting in the open round and in rounds sent to the parents,
 * all together: the aggregator's memory bound.  A waiting request holds
 * about 300 bytes here (its entry, tree nodes, metadata) and up to a few
 * KB of buffered input and output in its connection, so a million is
 * some hundreds of MB at worst; beyond it new requests get 0x0106 (retry
 * later) instead of queueing while a parent is slow.
 */
#define KTS_AGG_MAX_WAITING 1000000u

/*
 * Client connections.  An HTTP client holds its connection for a whole
 * round trip (round, parents, calendar second: about a second), so an
 * aggregator serving N HTTP requests a second one at a time needs about
 * N connections; 4096 descriptors is what a default hard limit usually
 * allows (the aggregator raises its soft limit to max_conns + 64).
 */
#define KTS_AGG_MAX_CONNS 4096u

/*
 * An aggregator's loop, after a pass that did some work, pauses this long
 * before it waits for more (setting batch_us), so that one wakeup reads
 * many requests: each wakeup is a context switch, and a request waits for
 * its round anyway (measured, docs/performance.md: a tenth of the context
 * switches, 5-8 % less CPU a signature).  At most KTS_AGG_MAX_BATCH_US: a
 * pause is added to a request's wait and delays the round timer and
 * parents' answers, which must stay small against a round period of 10
 * ms or more.
 */
#define KTS_AGG_BATCH_US 500u
#define KTS_AGG_MAX_BATCH_US 2000u

/*
 * How long a round waits for its parents before every request in it
 * gets 0x0301: a calendar answers within its second (up to ~1.1 s after
 * the request), each aggregator level adds its round period, and 5 s
 * leaves room for a slow parent without letting clients wait for long.
 */
#define KTS_AGG_PARENT_TIMEOUT_MS 5000u

/*
 * Log signatures (lib/logsig*.c, spec/logsig.md).
 *
 * Longest log line: logksi reads lines into a 0x100000-byte buffer and
 * fails on longer ones (spec 2.1); we keep the same bound so that a log
 * verifies the same way with both tools.
 */
#define KTS_LS_MAX_LINE 0x100000u

/*
 * The line reader's buffer: one longest line plus a read chunk, so a
 * line is always contiguous and big logs are streamed, never read whole.
 */
#define KTS_LS_LINE_BUF (KTS_LS_MAX_LINE + KTS_FILE_CHUNK)

/*
 * Largest top-level element of a log signature file: logksi's buffer is
 * 0xFFFF + 4 bytes, one TLV16 element (spec 1.2); it bounds a KSI
 * signature stored in 0x905.
 */
#define KTS_LS_MAX_ELEM KTS_MAX_PDU

/*
 * Longest mask seed (0x901.02).  Any length is legal; producers use the
 * digest length (at most 64) and logksi's tests 4 and 128 bytes.  1024
 * bounds the builder's inline copy.
 */
#define KTS_LS_MAX_SEED 1024u

/*
 * Records in one block.  rsyslog closes a block at 2^(levelLimit-1)
 * records and gateways advertise levels well under 32; 2^32 records make
 * a tree 33 levels tall (L(n) <= 33), which fits the builder's slots and
 * leaves the KSI chain above it most of its 255 levels.
 */
#define KTS_LS_MAX_BLOCK_RECORDS (1ull << 32)

/*
 * Builder slots and tree levels: one per bit of the record count, plus
 * room (KTS_LS_MAX_BLOCK_RECORDS needs 33).
 */
#define KTS_LS_MAX_LEVEL 40

/*
 * Steps in one record chain (0x907): the mask step plus one step per
 * tree level, at most 1 + 33 for the largest block; 64 rejects hostile
 * chains before they are stored.
 */
#define KTS_LS_MAX_STEPS 64

/*
 * Heap a server keeps after freeing it (lib/util.c kts_malloc_keep): the
 * free memory at the top of a heap beyond which the C library gives it
 * back to the kernel, and the extra it asks for when a heap grows.  A
 * round of 16,000 HTTP answers is about 50 MB; 256 MB keeps several such
 * rounds' worth without trimming, and a server's resident size then stays
 * at its peak (it does not grow past it).
 */
#define KTS_MALLOC_TRIM (256 * 1024 * 1024)
#define KTS_MALLOC_TOP_PAD (16 * 1024 * 1024)

/*
 * A server's /metrics page as kts-bench reads it (--metrics): an
 * aggregator's is about 12 KB, and its own writer stops at 1 MB
 * (aggregator/http.c), so nothing longer is a page we wrote.
 */
#define KTS_BENCH_MAX_METRICS (1024 * 1024)

#endif
