/*
 * calstore.c - the calendar in LevelDB (KSI spec 5.1, 5.4; DESIGN.md).
 *
 * Store format, version 1 (integers big-endian, values are imprint bytes):
 *
 *   "T" be64(t) 0x00   leaf t, for every second start <= t <= head
 *                      (filler leaves of gaps included)
 *   "T" be64(t) j      root of the aligned block of 2^j seconds that ends
 *                      at t, [t + 1 - 2^j, t], for STORED_LEVEL <= j <= 63,
 *                      once complete (t <= head) and unless it lies wholly
 *                      before start
 *   "head"             be64(head); absent until the first append
 *   "meta"             version (1), algorithm id, STORED_LEVEL, be64(start)
 *
 * Why so: a block root is keyed by the second that completes it, so each
 * append only adds keys above every "T" key already there: LevelDB's
 * tables hold disjoint runs of seconds, and neighbouring keys share 9 of
 * their 10 bytes.  "head" and "meta" sort after every "T" key, so
 * rewriting the head at each append touches only the newest table.
 * Blocks below STORED_LEVEL (at most 8 leaves, or 16 for a check of a
 * level-4 root) are recomputed from the leaves: storing every level would
 * almost double the bytes per second, while levels 4 and up add one record
 * per 8 seconds (docs/performance.md).  Blocks wholly before start hold
 * only filler leaves; their roots Z_j = node(Z_(j-1), Z_(j-1)), Z_0 = the
 * zero imprint, are computed once at open and never stored.
 *
 * Invariants: a leaf is written once; one append is one synced WriteBatch
 * holding its leaves (gap fillers first), every block root they complete
 * and the new head, so a crash leaves the old state or the new one.  In
 * memory the store keeps the "frontier": for each set bit j of the leaf
 * count head + 1, the root of the block of 2^j leaves that bit stands for
 * (the perfect blocks of spec 5.1's shape), which makes an append O(1)
 * reads and the root at the head free.
 *
 * Damage is reported as "second T (UTC): what", naming the record that is
 * missing or wrong.
 *
 * Threads.  The handle kts_cal_open() gives is the writer; each
 * kts_cal_reader_open() handle is a reader for another thread.  A reader
 * borrows the writer's LevelDB handle (LevelDB allows concurrent reads
 * and one writer) and its table of block roots (struct roots: filled
 * once per slot, by whichever thread reads the record first, through
 * atomics), and has its own per-call state (struct rctx, struct pmemo).
 * The head is the writer's count, an atomic stored with release order
 * only after the synced batch; every read takes one acquire snapshot of
 * it, so no handle ever reads past what is on disk.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <leveldb/c.h>

#include "calstore.h"
#include "chain.h"
#include "limits.h"
#include "log.h"
#include "sig.h"
#include "tlv.h"
#include "util.h"

#define FORMAT_VERSION 1
#define STORED_LEVEL 4		/* lowest level whose block roots are stored */
#define LEVELS 64		/* block levels of a 64-bit time */
#define KEY_LEN 10		/* "T" be64(t) level */
#define META_LEN 11
#define PROGRESS_EVERY (1u << 20)	/* seconds between check reports */

/*
 * LevelDB table size.  A chain reads block roots from all over the key
 * space, so every table gets opened; LevelDB's default of 2 MB makes 800
 * tables per year of calendar, more than its table cache (1000 files)
 * holds after about a year, and a cold table costs a file open and an
 * index read.  32 MB keeps ten years in 500 tables.
 */
#define TABLE_BYTES ((size_t)32 << 20)

/*
 * The table of block roots, for levels ROOT_LEVEL (64 seconds) and up.
 * A chain needs a root of every level from A's block to the top and from
 * P's, spread over the whole store; each from LevelDB is a Get that finds
 * and decodes a table block (the most of a chain's time on a year-old
 * store, docs/performance.md).  Stored roots never change, so a slot,
 * once filled, is never invalidated: the table is filled at open for the
 * levels from CACHE_LEVEL (18 hours) up, top first and at most
 * OPEN_FILL reads, and on misses below that.  A calendar has about
 * 2^(1 - 6) = 1/32 such roots per second: 986,000 a year, 33 bytes each
 * for SHA-256 (32 MB a year when every one has been read, allocated a
 * chunk at a time as slots fill).  On a warm one-year store a chain then
 * takes 16-17 us of CPU, against 17-19 from level 7 and 19-23 from level
 * 8 (a quarter of the memory).  Levels 4 and 5 would take 128 MB a year.
 * Roots of other algorithms than the calendar's (a store of mixed
 * leaves) are not kept; neither are blocks more than 2^SPAN_BITS seconds
 * after the store's start (136 years): those come from LevelDB.
 */
#define ROOT_LEVEL 6
#define CACHE_LEVEL 16
#define OPEN_FILL 4096u
#define CHUNK_BITS 10			/* slots per chunk: 1024 */
#define CHUNK_SLOTS (1u << CHUNK_BITS)
#define SPAN_BITS 32

/* Slot states: only the thread that moved a slot to BUSY writes it. */
enum { SLOT_EMPTY = 0, SLOT_BUSY = 1, SLOT_READY = 2 };

/* CHUNK_SLOTS consecutive blocks of one level. */
struct chunk {
	_Atomic uint8_t state[CHUNK_SLOTS];	/* SLOT_* */
	uint8_t d[];				/* the digests, dlen each */
};

/* The table: per level, a directory of chunks, allocated on first use. */
struct roots {
	uint8_t alg;				/* the calendar's algorithm */
	size_t dlen;				/* its digest bytes */
	uint64_t k0[LEVELS];			/* first block: start >> j */
	size_t nchunks[LEVELS];			/* directory entries */
	_Atomic(struct chunk *) *dir[LEVELS];	/* NULL below ROOT_LEVEL */
};

/*
 * Leaves are read for blocks below STORED_LEVEL one group of 2^GROUP_LEVEL
 * aligned seconds at a time, by one seek of an iterator that one public
 * read creates at most once (struct rctx).
 */
#define GROUP_LEVEL STORED_LEVEL
#define GROUP_LEAVES (1u << GROUP_LEVEL)

/*
 * The roots of the blocks that end at the last P asked for: the perfect
 * blocks of P + 1 (one per set bit), which every chain to P and the root
 * at P need.  Requests to the same P (the head, a publication) then read
 * none of them again.  Keyed by P + 1 alone, as the block of level j in
 * a range ending at P is always ((P + 1) >> j) - 1 (shape_root()).
 */
struct pmemo {
	uint64_t end;			/* P + 1, 0: empty */
	uint64_t have;			/* bit j: root[j] is known */
	struct kts_imprint root[LEVELS];
};

/*
 * A handle's iterator for leaf groups, kept from read to read until the
 * count changes: an iterator sees the store as it was when it was made,
 * so it serves every read below that count.  Making one takes LevelDB's
 * lock and builds an iterator over every level (about 5 % of an
 * extension's time when each chain made its own).  It holds on to the
 * tables and memtable of its time until the first read after an append
 * replaces it, or kts_cal_release() drops it; one that failed is not
 * kept.
 */
struct liter {
	leveldb_iterator_t *it;		/* NULL: none */
	uint64_t count;			/* the count it was made at */
};

/*
 * A handle.  The writer owns the LevelDB objects and the table; a reader
 * (w != NULL) borrows them from its writer and copies start, alg and
 * zero, which never change after open.
 */
struct kts_cal {
	struct kts_cal *w;		/* a reader's writer; NULL: the writer */
	leveldb_t *db;			/* the open store */
	leveldb_options_t *opt;		/* open options (writer) */
	leveldb_readoptions_t *ropt;	/* everyday reads */
	leveldb_writeoptions_t *wopt;	/* appends: synced (writer) */
	uint64_t start;			/* first second served */
	_Atomic uint64_t count;		/* writer: leaves on disk, head + 1
					 * or start; stored (release) after
					 * each synced batch */
	_Atomic unsigned readers;	/* writer: readers open */
	uint8_t alg;			/* the calendar's algorithm */
	struct kts_imprint zero[LEVELS];	/* Z_j: root of 2^j fillers */
	struct kts_imprint front[LEVELS];	/* writer: frontier, for the
						 * bits of count */
	struct roots *roots;		/* block roots (the writer's) */
	struct pmemo *pm;		/* roots at the last P (owned) */
	struct liter *li;		/* leaf group iterator (owned) */
};

/* One read operation: the store and where damage is described. */
struct rctx {
	const struct kts_cal *cal;
	uint64_t count;		/* leaves readable: the head + 1 it saw */
	char *why;		/* first damage or LevelDB message, may be NULL */
	size_t whylen;
	/* Leaves for blocks below STORED_LEVEL, filled on demand: */
	uint64_t end;		/* read no leaf >= end (0: count) */
	leveldb_iterator_t *it;	/* the handle's, at the first group read */
	uint64_t grp;		/* group index + 1 in g, 0: none */
	size_t gn;		/* leaves of the group in g */
	struct kts_imprint g[GROUP_LEAVES];
};

/* End a read operation (the handle keeps the iterator). */
static void
rctx_done(struct rctx *x)
{
	x->it = NULL;
	x->grp = 0;
}

/* The handle's iterator, made anew if the count changed (struct liter). */
static leveldb_iterator_t *
liter_take(struct rctx *x)
{
	struct liter *li = x->cal->li;

	if (li->it != NULL && li->count != x->count) {
		leveldb_iter_destroy(li->it);
		li->it = NULL;
	}
	if (li->it == NULL) {
		li->it = leveldb_create_iterator(x->cal->db, x->cal->ropt);
		li->count = x->count;
	}
	return li->it;
}

/* Forget the handle's iterator (it failed, or the handle closes). */
static void
liter_drop(struct liter *li)
{
	if (li != NULL && li->it != NULL)
		leveldb_iter_destroy(li->it);
	if (li != NULL)
		li->it = NULL;
}

/* ---- keys and messages ---------------------------------------------- */

static void
be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
rec_key(uint8_t *key, uint64_t t, unsigned level)
{
	key[0] = 'T';
	be64_put(key + 1, t);
	key[9] = (uint8_t)level;
}

/* 1 and the record's second and level if key is a "T" record. */
static int
rec_parse(const char *key, size_t n, uint64_t *t, unsigned *level)
{
	if (n != KEY_LEN || key[0] != 'T')
		return 0;
	*t = be64_get((const uint8_t *)key + 1);
	*level = (uint8_t)key[9];
	return 1;
}

/* Record a message in x->why unless one is there (the first one wins). */
static void __attribute__((format(printf, 2, 3)))
say(struct rctx *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->why == NULL || x->whylen == 0 || x->why[0] != '\0')
		return;
	va_start(ap, fmt);
	n = vsnprintf(x->why, x->whylen, fmt, ap);
	va_end(ap);
	/* A truncated message is still useful; only a failure is replaced. */
	if (n < 0)
		x->why[0] = '\0';
}

/* The store is damaged at second t.  Returns KTS_EVERIFY. */
static int __attribute__((format(printf, 3, 4)))
damage(struct rctx *x, uint64_t t, const char *fmt, ...)
{
	char what[200];
	char utc[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (n < 0)
		what[0] = '\0';
	kts_time_utc((int64_t)t, utc, sizeof(utc));
	say(x, "calendar store damaged: second %llu (%s): %s",
	    (unsigned long long)t, utc, what);
	return KTS_EVERIFY;
}

/* LevelDB failed doing what; frees err.  Returns KTS_EDB. */
static int
dbfail(struct rctx *x, const char *what, char *err)
{
	say(x, "leveldb %s: %s", what, err != NULL ? err : "failed");
	leveldb_free(err);
	return KTS_EDB;
}

/*
 * The error a public read returns: damage found while serving is logged
 * and reported as KTS_EDB (the store failed); other codes pass.
 */
static int
read_err(struct rctx *x, int r)
{
	if (r == KTS_EVERIFY || r == KTS_EDB) {
		kts_log(KTS_LOG_ERR, "%s", x->why != NULL ? x->why : "");
		return KTS_EDB;
	}
	return r;
}

/* ---- hashing -------------------------------------------------------- */

/* Spec 5.1: node(L, R) = H_alg(R)(L || R || 0xFF). */
static int
node(const struct kts_imprint *l, const struct kts_imprint *r,
    struct kts_imprint *out)
{
	uint8_t a[KTS_IMPRINT_MAX];
	uint8_t b[KTS_IMPRINT_MAX];
	size_t alen = kts_imprint_bytes(l, a);
	size_t blen = kts_imprint_bytes(r, b);

	return kts_hash_step(r->alg, a, alen, b, blen, 0xff, out);
}

/* Root of the perfect tree over n (a power of two) roots, in place. */
static int
fold_perfect(struct kts_imprint *v, size_t n)
{
	size_t i;
	int r;

	for (; n > 1; n /= 2) {
		for (i = 0; i < n / 2; i++) {
			if ((r = node(&v[2 * i], &v[2 * i + 1], &v[i])) != 0)
				return r;
		}
	}
	return 0;
}

/* ---- reads ---------------------------------------------------------- */

/* Record (t, level); *found = 0 if absent.  Returns 0, EDB or EVERIFY. */
static int
rec_get(struct rctx *x, uint64_t t, unsigned level, struct kts_imprint *out,
    int *found)
{
	uint8_t key[KEY_LEN];
	char *err = NULL;
	char *val;
	size_t n;
	int r = 0;

	*found = 0;
	rec_key(key, t, level);
	val = leveldb_get(x->cal->db, x->cal->ropt, (const char *)key,
	    sizeof(key), &n, &err);
	if (err != NULL)
		return dbfail(x, "get", err);
	if (val == NULL)
		return 0;
	*found = 1;
	if (kts_imprint_parse((const uint8_t *)val, n, out) != 0)
		r = damage(x, t, "the record of level %u is not an imprint",
		    level);
	leveldb_free(val);
	return r;
}

/* Leaf t < count: the filler before start, else the stored leaf. */
static int
leaf_get(struct rctx *x, uint64_t t, struct kts_imprint *out)
{
	int found;
	int r;

	if (t < x->cal->start) {
		*out = x->cal->zero[0];
		return 0;
	}
	if (x->grp == (t >> GROUP_LEVEL) + 1 &&
	    (t & (GROUP_LEAVES - 1)) < x->gn) {
		*out = x->g[t & (GROUP_LEAVES - 1)];
		return 0;
	}
	if ((r = rec_get(x, t, 0, out, &found)) != 0)
		return r;
	return found ? 0 : damage(x, t, "the leaf is missing");
}

/* KTS_EDB if the iterator stopped on an error, else 0. */
static int
iter_err(struct rctx *x, leveldb_iterator_t *it)
{
	char *err = NULL;

	leveldb_iter_get_error(it, &err);
	return err != NULL ? dbfail(x, "read", err) : 0;
}

/* Read the leaf t at or after the iterator's position into out. */
static int
iter_leaf(struct rctx *x, leveldb_iterator_t *it, uint64_t t,
    struct kts_imprint *out)
{
	uint8_t want[KEY_LEN];
	const char *k = NULL;
	const char *v;
	size_t kn = 0;
	size_t vn;
	int r;

	rec_key(want, t, 0);
	while (leveldb_iter_valid(it)) {
		k = leveldb_iter_key(it, &kn);
		if (kn != KEY_LEN || memcmp(k, want, KEY_LEN) >= 0)
			break;
		leveldb_iter_next(it);	/* a block root before leaf t */
	}
	if (!leveldb_iter_valid(it) && (r = iter_err(x, it)) != 0)
		return r;
	if (!leveldb_iter_valid(it) || kn != KEY_LEN ||
	    memcmp(k, want, KEY_LEN) != 0)
		return damage(x, t, "the leaf is missing");
	v = leveldb_iter_value(it, &vn);
	if (kts_imprint_parse((const uint8_t *)v, vn, out) != 0)
		return damage(x, t, "the leaf is not an imprint");
	leveldb_iter_next(it);
	return 0;
}

/*
 * Leaves lo .. lo + n - 1 (all < count, within one group) into v, from
 * the group's leaves up to x->end (or count) read by one seek.  Every
 * leaf of the group up to that end lies in a block some read of this
 * operation needs (a chain's siblings below A's level-4 block, the blocks
 * of P + 1), so the group read adds no reads that could fail.
 */
static int
leaves_get(struct rctx *x, uint64_t lo, size_t n, struct kts_imprint *v)
{
	uint64_t g = lo >> GROUP_LEVEL;
	uint64_t glo = g << GROUP_LEVEL;
	uint64_t end = x->end != 0 && x->end < x->count ? x->end : x->count;
	uint8_t key[KEY_LEN];
	size_t want = end - glo < GROUP_LEAVES ? (size_t)(end - glo) :
	    GROUP_LEAVES;
	size_t i = 0;
	int r = 0;

	if (x->grp != g + 1 || x->gn < lo - glo + n) {
		if (lo - glo + n > want)
			want = (size_t)(lo - glo + n);	/* not expected */
		x->grp = 0;
		for (; i < want && glo + i < x->cal->start; i++)
			x->g[i] = x->cal->zero[0];
		if (i < want) {
			if (x->it == NULL)
				x->it = liter_take(x);
			rec_key(key, glo + i, 0);
			leveldb_iter_seek(x->it, (const char *)key,
			    sizeof(key));
		}
		for (; i < want && r == 0; i++)
			r = iter_leaf(x, x->it, glo + i, &x->g[i]);
		if (r != 0) {
			x->it = NULL;
			liter_drop(x->cal->li);
			return r;
		}
		x->grp = g + 1;
		x->gn = want;
	}
	memcpy(v, &x->g[lo - glo], n * sizeof(*v));
	return 0;
}

/* ---- the table of block roots ------------------------------------- */

static void
roots_free(struct roots *t)
{
	size_t i;
	unsigned j;

	if (t == NULL)
		return;
	for (j = 0; j < LEVELS; j++) {
		for (i = 0; t->dir[j] != NULL && i < t->nchunks[j]; i++)
			free(atomic_load_explicit(&t->dir[j][i],
			    memory_order_relaxed));
		free(t->dir[j]);
	}
	free(t);
}

/* A table for a store from start with algorithm alg (unfilled). */
static int
roots_new(uint64_t start, uint8_t alg, struct roots **out)
{
	struct roots *t;
	unsigned j;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return KTS_ENOMEM;
	t->alg = alg;
	t->dlen = kts_hash_get(alg)->len;
	for (j = ROOT_LEVEL; j < LEVELS; j++) {
		t->k0[j] = start >> j;
		t->nchunks[j] = j + CHUNK_BITS >= SPAN_BITS ? 1 :
		    (size_t)1 << (SPAN_BITS - j - CHUNK_BITS);
		if ((t->dir[j] = calloc(t->nchunks[j],
		    sizeof(*t->dir[j]))) == NULL) {
			roots_free(t);
			return KTS_ENOMEM;
		}
	}
	*out = t;
	return 0;
}

/* Where block k of level j goes: 1 and its chunk and slot, or 0. */
static int
roots_where(const struct roots *t, unsigned j, uint64_t k, size_t *ci,
    size_t *si)
{
	uint64_t i;

	if (j < ROOT_LEVEL || k < t->k0[j])
		return 0;
	i = k - t->k0[j];
	if (i >> CHUNK_BITS >= t->nchunks[j])
		return 0;
	*ci = (size_t)(i >> CHUNK_BITS);
	*si = (size_t)(i & (CHUNK_SLOTS - 1));
	return 1;
}

/* 1 and the root of block k of level j if the table has it, else 0. */
static int
roots_get(const struct roots *t, unsigned j, uint64_t k,
    struct kts_imprint *out)
{
	struct chunk *c;
	size_t ci;
	size_t si;

	if (!roots_where(t, j, k, &ci, &si))
		return 0;
	c = atomic_load_explicit(&t->dir[j][ci], memory_order_acquire);
	if (c == NULL || atomic_load_explicit(&c->state[si],
	    memory_order_acquire) != SLOT_READY)
		return 0;
	memset(out, 0, sizeof(*out));
	out->alg = t->alg;
	out->len = (uint8_t)t->dlen;
	memcpy(out->d, c->d + si * t->dlen, t->dlen);
	return 1;
}

/* The chunk for ci of level j, allocated by the first thread to ask. */
static struct chunk *
roots_chunk(struct roots *t, unsigned j, size_t ci)
{
	struct chunk *c;
	struct chunk *n;

	c = atomic_load_explicit(&t->dir[j][ci], memory_order_acquire);
	if (c != NULL)
		return c;
	if ((n = calloc(1, sizeof(*n) + CHUNK_SLOTS * t->dlen)) == NULL)
		return NULL;	/* not cached, still correct */
	if (atomic_compare_exchange_strong_explicit(&t->dir[j][ci], &c, n,
	    memory_order_acq_rel, memory_order_acquire))
		return n;
	free(n);		/* another thread's is there: c */
	return c;
}

/*
 * Keep the stored root im of block k of level j.  Only the thread that
 * takes a slot from EMPTY writes its digest, and READY is stored after
 * it (release), so readers that see READY (acquire) see the digest.
 */
static void
roots_put(struct roots *t, unsigned j, uint64_t k,
    const struct kts_imprint *im)
{
	uint8_t e = SLOT_EMPTY;
	struct chunk *c;
	size_t ci;
	size_t si;

	if (im->alg != t->alg || !roots_where(t, j, k, &ci, &si) ||
	    (c = roots_chunk(t, j, ci)) == NULL)
		return;
	if (!atomic_compare_exchange_strong_explicit(&c->state[si], &e,
	    SLOT_BUSY, memory_order_acquire, memory_order_relaxed))
		return;
	memcpy(c->d + si * t->dlen, im->d, t->dlen);
	atomic_store_explicit(&c->state[si], SLOT_READY, memory_order_release);
}

/* A stored block root, through the table from ROOT_LEVEL up. */
static int
stored_get(struct rctx *x, unsigned j, uint64_t k, struct kts_imprint *out)
{
	uint64_t lo = k << j;
	uint64_t end = lo + ((uint64_t)1 << j) - 1;
	int found;
	int r;

	if (roots_get(x->cal->roots, j, k, out))
		return 0;
	if ((r = rec_get(x, end, j, out, &found)) != 0)
		return r;
	if (!found)
		return damage(x, end, "the root of the level-%u block from "
		    "second %llu is missing", j, (unsigned long long)lo);
	roots_put(x->cal->roots, j, k, out);
	return 0;
}

/*
 * Root of the aligned block k of level j (leaves k*2^j .. (k+1)*2^j - 1,
 * all < count): Z_j before start, stored from STORED_LEVEL up, else
 * computed from its leaves.
 */
static int
block_get(struct rctx *x, unsigned j, uint64_t k, struct kts_imprint *out)
{
	struct kts_imprint v[1u << (STORED_LEVEL - 1)];
	uint64_t lo = k << j;
	int r;

	if (lo + ((uint64_t)1 << j) - 1 < x->cal->start) {
		*out = x->cal->zero[j];
		return 0;
	}
	if (j >= STORED_LEVEL)
		return stored_get(x, j, k, out);
	if ((r = leaves_get(x, lo, (size_t)1 << j, v)) != 0 ||
	    (r = fold_perfect(v, (size_t)1 << j)) != 0)
		return r;
	*out = v[0];
	return 0;
}

/*
 * Root of the calendar-shaped tree over the n leaves from lo (spec 5.1):
 * the right fold of the perfect blocks of n, largest first; lo must be a
 * multiple of highbit(n) (true for every range spec 5.4 asks for).
 */
static int
shape_root(struct rctx *x, uint64_t lo, uint64_t n, struct kts_imprint *out)
{
	struct kts_imprint b[LEVELS];
	struct pmemo *pm = x->cal->pm;
	uint64_t bit;
	unsigned m = 0;
	int j;
	int r;

	if (x->end == 0 || lo + n != x->end)
		pm = NULL;	/* not a range that ends at P */
	else if (pm->end != lo + n) {
		pm->end = lo + n;
		pm->have = 0;
	}
	for (j = LEVELS - 1; j >= 0; j--) {
		if (!(n >> j & 1))
			continue;
		bit = (uint64_t)1 << j;
		if (pm == NULL) {
			if ((r = block_get(x, (unsigned)j, lo >> j,
			    &b[m++])) != 0)
				return r;
		} else if (pm->have & bit) {
			b[m++] = pm->root[j];
		} else {
			if ((r = block_get(x, (unsigned)j, lo >> j,
			    &b[m])) != 0)
				return r;
			pm->root[j] = b[m++];
			pm->have |= bit;
		}
		lo += bit;
	}
	for (; m > 1; m--) {
		if ((r = node(&b[m - 2], &b[m - 1], &b[m - 2])) != 0)
			return r;
	}
	*out = b[0];
	return 0;
}

/* ---- open and the head check ---------------------------------------- */

/* The frontier for the count x saw, from the store. */
static int
front_load(struct kts_cal *cal, struct rctx *x)
{
	uint64_t c = x->count;
	unsigned j;
	int r;

	for (j = 0; j < LEVELS; j++) {
		if (!(c >> j & 1))
			continue;
		if ((r = block_get(x, j, (c >> j) - 1, &cal->front[j])) != 0)
			return r;
	}
	return 0;
}

/* The stored root of block k of level j equals node(its halves). */
static int
block_verify(struct rctx *x, unsigned j, uint64_t k)
{
	struct kts_imprint s;
	struct kts_imprint l;
	struct kts_imprint h;
	uint64_t lo = k << j;
	int r;

	if ((r = block_get(x, j, k, &s)) != 0 ||
	    (r = block_get(x, j - 1, 2 * k, &l)) != 0 ||
	    (r = block_get(x, j - 1, 2 * k + 1, &h)) != 0 ||
	    (r = node(&l, &h, &l)) != 0)
		return r;
	if (!kts_imprint_eq(&s, &l))
		return damage(x, lo + ((uint64_t)1 << j) - 1, "the root of the "
		    "level-%u block from second %llu does not match the "
		    "leaves below it", j, (unsigned long long)lo);
	return 0;
}

/*
 * Check what the head depends on: the stored blocks of the frontier, and
 * every block the head completed, against their halves (down to the
 * leaves at level STORED_LEVEL).
 */
static int
front_verify(struct kts_cal *cal, struct rctx *x)
{
	uint64_t c = x->count;
	unsigned j;
	int r;

	for (j = STORED_LEVEL; j < LEVELS; j++) {
		if (!(c >> j & 1) || (c >> j << j) <= cal->start)
			continue;	/* no such block, or all filler */
		if ((r = block_verify(x, j, (c >> j) - 1)) != 0)
			return r;
	}
	for (j = STORED_LEVEL; c > cal->start && j < LEVELS &&
	    !(c >> j & 1); j++) {
		if ((c & (((uint64_t)1 << j) - 1)) != 0)
			break;		/* the head completes no such block */
		if ((r = block_verify(x, j, (c >> j) - 1)) != 0)
			return r;
	}
	return 0;
}

/* The first "T" record at or after second t, if any (*found). */
static int
rec_from(struct rctx *x, uint64_t t, int *found, uint64_t *rt, unsigned *rl)
{
	leveldb_iterator_t *it;
	uint8_t key[KEY_LEN];
	const char *k;
	size_t kn;
	int r;

	*found = 0;
	it = leveldb_create_iterator(x->cal->db, x->cal->ropt);
	rec_key(key, t, 0);
	leveldb_iter_seek(it, (const char *)key, sizeof(key));
	if (leveldb_iter_valid(it)) {
		k = leveldb_iter_key(it, &kn);
		*found = rec_parse(k, kn, rt, rl);
	}
	r = iter_err(x, it);
	leveldb_iter_destroy(it);
	return r;
}

/* Read "head" and check it; sets count (also in x) and the frontier. */
static int
head_check(struct kts_cal *cal, struct rctx *x)
{
	struct kts_imprint leaf;
	uint64_t head;
	uint64_t rt;
	unsigned rl;
	char *err = NULL;
	char *val;
	size_t n;
	int has_head;
	int found;
	int r;

	val = leveldb_get(cal->db, cal->ropt, "head", 4, &n, &err);
	if (err != NULL)
		return dbfail(x, "get head", err);
	if (val != NULL && n != 8) {
		leveldb_free(val);
		say(x, "calendar store damaged: the head record has %zu "
		    "bytes, not 8", n);
		return KTS_EVERIFY;
	}
	head = val != NULL ? be64_get((const uint8_t *)val) : cal->start;
	has_head = val != NULL;
	leveldb_free(val);
	if (has_head && (head < cal->start || head == UINT64_MAX))
		return damage(x, head, "the head is outside the calendar "
		    "(start %llu)", (unsigned long long)cal->start);
	/* No reader exists yet: nothing to order. */
	x->count = has_head ? head + 1 : cal->start;
	atomic_store_explicit(&cal->count, x->count, memory_order_relaxed);
	if (has_head && (r = leaf_get(x, head, &leaf)) != 0)
		return r;	/* "the leaf is missing", at the head */
	if ((r = rec_from(x, x->count, &found, &rt, &rl)) != 0)
		return r;
	if (found)
		return damage(x, rt, "a record of level %u lies after the "
		    "head", rl);
	if ((r = front_load(cal, x)) != 0)
		return r;
	return front_verify(cal, x);
}

/*
 * Fill the table from CACHE_LEVEL up, top levels first, at most OPEN_FILL
 * reads: this also opens every LevelDB table once, so the first chains
 * of a new process do not (docs/performance.md, "Root cache").
 */
static int
cache_fill(struct kts_cal *cal, struct rctx *x)
{
	struct kts_imprint im;
	unsigned n = 0;
	uint64_t k;
	int j;
	int r;

	for (j = LEVELS - 1; j >= CACHE_LEVEL; j--) {
		for (k = cal->start >> j; k < x->count >> j; k++) {
			if (n++ == OPEN_FILL)
				return 0;
			if ((r = block_get(x, (unsigned)j, k, &im)) != 0)
				return r;
		}
	}
	return 0;
}

/* Z_0 .. Z_63 for the calendar's algorithm. */
static int
zero_init(struct kts_cal *cal)
{
	unsigned j;
	int r;

	if ((r = kts_imprint_zero(cal->alg, &cal->zero[0])) != 0)
		return r;
	for (j = 1; j < LEVELS; j++) {
		if ((r = node(&cal->zero[j - 1], &cal->zero[j - 1],
		    &cal->zero[j])) != 0)
			return r;
	}
	return 0;
}

static int
meta_write(struct kts_cal *cal, struct rctx *x, uint64_t start, uint8_t alg)
{
	uint8_t m[META_LEN];
	char *err = NULL;

	m[0] = FORMAT_VERSION;
	m[1] = alg;
	m[2] = STORED_LEVEL;
	be64_put(m + 3, start);
	leveldb_put(cal->db, cal->wopt, "meta", 4, (const char *)m, sizeof(m),
	    &err);
	if (err != NULL)
		return dbfail(x, "put meta", err);
	cal->start = start;
	cal->alg = alg;
	return 0;
}

static int
meta_parse(struct kts_cal *cal, struct rctx *x, const uint8_t *m, size_t n)
{
	if (n != META_LEN || m[0] != FORMAT_VERSION) {
		say(x, "calendar store: unknown format (meta record of %zu "
		    "bytes, version %u; this build reads version %u)", n,
		    n > 0 ? m[0] : 0u, FORMAT_VERSION);
		return KTS_EVERIFY;
	}
	if (kts_hash_get(m[1]) == NULL || m[2] != STORED_LEVEL) {
		say(x, "calendar store damaged: meta record names algorithm "
		    "%u and stored level %u", m[1], m[2]);
		return KTS_EVERIFY;
	}
	cal->alg = m[1];
	cal->start = be64_get(m + 3);
	return 0;
}

/* *empty = 1 if the store holds no key at all. */
static int
db_empty(struct kts_cal *cal, struct rctx *x, int *empty)
{
	leveldb_iterator_t *it;
	int r;

	it = leveldb_create_iterator(cal->db, cal->ropt);
	leveldb_iter_seek_to_first(it);
	*empty = !leveldb_iter_valid(it);
	r = iter_err(x, it);
	leveldb_iter_destroy(it);
	return r;
}

/*
 * Read "meta"; a store with no key at all (new, or a crash before its
 * meta record) gets one when create is set.
 */
static int
meta_load(struct kts_cal *cal, struct rctx *x, int create, uint64_t start,
    uint8_t alg)
{
	char *err = NULL;
	char *val;
	size_t n;
	int empty;
	int r;

	val = leveldb_get(cal->db, cal->ropt, "meta", 4, &n, &err);
	if (err != NULL)
		return dbfail(x, "get meta", err);
	if (val != NULL) {
		r = meta_parse(cal, x, (const uint8_t *)val, n);
		leveldb_free(val);
		return r;
	}
	if ((r = db_empty(cal, x, &empty)) != 0)
		return r;
	if (!empty) {
		say(x, "calendar store damaged: no meta record");
		return KTS_EVERIFY;
	}
	if (!create) {
		say(x, "calendar store is empty (never initialised)");
		return KTS_ENOTFOUND;
	}
	return meta_write(cal, x, start, alg);
}

/* 1 if dir holds a LevelDB store (its CURRENT file exists). */
static int
store_exists(const char *dir, struct rctx *x, int *exists)
{
	char path[4096];
	struct stat st;
	int n;

	n = snprintf(path, sizeof(path), "%s/CURRENT", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		say(x, "calendar store path too long");
		return KTS_EINVAL;
	}
	*exists = stat(path, &st) == 0;
	return 0;
}

static int
db_open(struct kts_cal *cal, struct rctx *x, const char *dir, int create)
{
	char *err = NULL;

	cal->opt = leveldb_options_create();
	cal->ropt = leveldb_readoptions_create();
	cal->wopt = leveldb_writeoptions_create();
	leveldb_options_set_create_if_missing(cal->opt, create ? 1 : 0);
	leveldb_options_set_compression(cal->opt, leveldb_snappy_compression);
	leveldb_options_set_max_file_size(cal->opt, TABLE_BYTES);
	leveldb_writeoptions_set_sync(cal->wopt, 1);
	cal->db = leveldb_open(cal->opt, dir, &err);
	if (err != NULL)
		return dbfail(x, "open", err);
	return 0;
}

/* kts_cal_open without mapping damage (KTS_EVERIFY) to KTS_EDB. */
static int
cal_open(const char *dir, int create, uint64_t start, uint8_t alg,
    struct kts_cal **out, struct rctx *x)
{
	struct kts_cal *tmp = NULL;
	int exists;
	int r;

	*out = NULL;
	if (create && (kts_hash_get(alg) == NULL || start == UINT64_MAX)) {
		say(x, "calendar store: cannot create with algorithm %u and "
		    "start %llu", alg, (unsigned long long)start);
		return KTS_EINVAL;
	}
	if ((r = store_exists(dir, x, &exists)) != 0)
		return r;
	if (!exists && !create) {
		say(x, "no calendar store in %.200s", dir);
		return KTS_ENOTFOUND;
	}
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->pm = calloc(1, sizeof(*tmp->pm))) == NULL ||
	    (tmp->li = calloc(1, sizeof(*tmp->li))) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	x->cal = tmp;
	if ((r = db_open(tmp, x, dir, create)) != 0 ||
	    (r = meta_load(tmp, x, create, start, alg)) != 0 ||
	    (r = roots_new(tmp->start, tmp->alg, &tmp->roots)) != 0 ||
	    (r = zero_init(tmp)) != 0 ||
	    (r = head_check(tmp, x)) != 0 ||
	    (r = cache_fill(tmp, x)) != 0)
		goto out;
	*out = tmp;
	tmp = NULL;
out:
	rctx_done(x);
	kts_cal_close(tmp);
	return r;
}

int
kts_cal_open(const char *dir, int create, uint64_t start, uint8_t alg,
    struct kts_cal **out, char *why, size_t whylen)
{
	struct rctx x = { .cal = NULL, .why = why, .whylen = whylen };
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	r = cal_open(dir, create, start, alg, out, &x);
	return r == KTS_EVERIFY ? KTS_EDB : r;
}

int
kts_cal_reader_open(struct kts_cal *w, struct kts_cal **out)
{
	struct kts_cal *tmp = NULL;

	*out = NULL;
	if (w->w != NULL)
		return KTS_EINVAL;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL ||
	    (tmp->pm = calloc(1, sizeof(*tmp->pm))) == NULL ||
	    (tmp->li = calloc(1, sizeof(*tmp->li))) == NULL) {
		if (tmp != NULL)
			free(tmp->pm);
		free(tmp);
		return KTS_ENOMEM;
	}
	tmp->w = w;
	tmp->db = w->db;
	tmp->ropt = w->ropt;
	tmp->start = w->start;
	tmp->alg = w->alg;
	memcpy(tmp->zero, w->zero, sizeof(tmp->zero));
	tmp->roots = w->roots;
	atomic_fetch_add_explicit(&w->readers, 1, memory_order_relaxed);
	*out = tmp;
	return 0;
}

void
kts_cal_close(struct kts_cal *cal)
{
	if (cal == NULL)
		return;
	liter_drop(cal->li);	/* before the store closes */
	free(cal->li);
	free(cal->pm);
	if (cal->w != NULL) {	/* a reader: the rest is its writer's */
		atomic_fetch_sub_explicit(&cal->w->readers, 1,
		    memory_order_relaxed);
		free(cal);
		return;
	}
	/* Readers borrow the LevelDB handle and the table. */
	assert(atomic_load(&cal->readers) == 0);
	if (cal->db != NULL)
		leveldb_close(cal->db);
	if (cal->opt != NULL)
		leveldb_options_destroy(cal->opt);
	if (cal->ropt != NULL)
		leveldb_readoptions_destroy(cal->ropt);
	if (cal->wopt != NULL)
		leveldb_writeoptions_destroy(cal->wopt);
	roots_free(cal->roots);
	free(cal);
}

uint64_t
kts_cal_start(const struct kts_cal *cal)
{
	return cal->start;
}

uint8_t
kts_cal_alg(const struct kts_cal *cal)
{
	return cal->alg;
}

/* The leaves on disk as cal sees them: its writer's count (acquire). */
static uint64_t
count_get(const struct kts_cal *cal)
{
	const struct kts_cal *w = cal->w != NULL ? cal->w : cal;

	return atomic_load_explicit(&w->count, memory_order_acquire);
}

int
kts_cal_head(const struct kts_cal *cal, uint64_t *out)
{
	uint64_t c = count_get(cal);

	*out = c - 1;
	return c > cal->start ? 0 : KTS_ENOTFOUND;
}

void
kts_cal_release(struct kts_cal *cal)
{
	liter_drop(cal->li);
}

void
kts_cal_compact(struct kts_cal *cal)
{
	leveldb_compact_range(cal->db, NULL, 0, NULL, 0);
}

/* ---- appending ------------------------------------------------------ */

/* Receives each record an append produces (leaf: level 0), in key order. */
typedef int (*emit_fn)(void *arg, uint64_t t, unsigned level,
    const struct kts_imprint *im);

/*
 * Add leaf c (the count before it) to the frontier front, emitting the
 * leaf and the root of every block of level >= STORED_LEVEL it completes.
 * A block of two filler halves is Z_(j+1) without hashing, so a long gap
 * costs one comparison per level.
 */
static int
push(const struct kts_cal *cal, struct kts_imprint *front, uint64_t c,
    const struct kts_imprint *leaf, emit_fn emit, void *arg)
{
	struct kts_imprint carry = *leaf;
	unsigned j;
	int r;

	if ((r = emit(arg, c, 0, &carry)) != 0)
		return r;
	for (j = 0; c >> j & 1; j++) {
		if (kts_imprint_eq(&carry, &cal->zero[j]) &&
		    kts_imprint_eq(&front[j], &cal->zero[j]))
			carry = cal->zero[j + 1];
		else if ((r = node(&front[j], &carry, &carry)) != 0)
			return r;
		if (j + 1 >= STORED_LEVEL &&
		    (r = emit(arg, c, j + 1, &carry)) != 0)
			return r;
	}
	front[j] = carry;
	return 0;
}

static int
batch_put(void *arg, uint64_t t, unsigned level, const struct kts_imprint *im)
{
	uint8_t key[KEY_LEN];
	uint8_t val[KTS_IMPRINT_MAX];
	size_t n = kts_imprint_bytes(im, val);

	rec_key(key, t, level);
	leveldb_writebatch_put(arg, (const char *)key, sizeof(key),
	    (const char *)val, n);
	return 0;
}

/*
 * The arguments of an append to a store of c leaves: the writer, t after
 * the head, a batch within the cap.
 */
static int
append_args(const struct kts_cal *cal, uint64_t c, uint64_t t,
    const struct kts_imprint *leaves, size_t n)
{
	const struct kts_hash_alg *a;
	size_t i;

	if (cal->w != NULL || n == 0 || t < c || t - c > KTS_MAX_CAL_BATCH ||
	    n > KTS_MAX_CAL_BATCH - (t - c) || n > UINT64_MAX - t)
		return KTS_EINVAL;
	for (i = 0; i < n; i++) {
		a = kts_hash_get(leaves[i].alg);
		if (a == NULL || a->len != leaves[i].len ||
		    !kts_hash_available(leaves[i].alg))
			return KTS_EINVAL;
	}
	return 0;
}

/* Fill batch with the gap's fillers, the leaves and the new head. */
static int
append_fill(const struct kts_cal *cal, leveldb_writebatch_t *wb,
    struct kts_imprint *front, uint64_t c, uint64_t t,
    const struct kts_imprint *leaves, size_t n)
{
	uint8_t head[8];
	size_t i;
	int r;

	for (; c < t; c++) {
		if ((r = push(cal, front, c, &cal->zero[0], batch_put, wb)) != 0)
			return r;
	}
	for (i = 0; i < n; i++) {
		if ((r = push(cal, front, t + i, &leaves[i], batch_put,
		    wb)) != 0)
			return r;
	}
	be64_put(head, t + n - 1);
	leveldb_writebatch_put(wb, "head", 4, (const char *)head, sizeof(head));
	return 0;
}

int
kts_cal_append_many(struct kts_cal *cal, uint64_t t,
    const struct kts_imprint *leaves, size_t n)
{
	leveldb_writebatch_t *wb = NULL;
	struct kts_imprint *front = NULL;
	uint64_t c = count_get(cal);
	char *err = NULL;
	int r;

	if ((r = append_args(cal, c, t, leaves, n)) != 0)
		return r;
	if ((front = malloc(sizeof(cal->front))) == NULL)
		return KTS_ENOMEM;
	memcpy(front, cal->front, sizeof(cal->front));
	wb = leveldb_writebatch_create();
	if ((r = append_fill(cal, wb, front, c, t, leaves, n)) != 0)
		goto out;
	leveldb_write(cal->db, cal->wopt, wb, &err);
	if (err != NULL) {
		kts_log(KTS_LOG_ERR, "calendar store: leveldb write of "
		    "seconds %llu..%llu: %s", (unsigned long long)c,
		    (unsigned long long)(t + n - 1), err);
		leveldb_free(err);
		r = KTS_EDB;
		goto out;
	}
	memcpy(cal->front, front, sizeof(cal->front));
	/* Synced: readers may now read up to t + n - 1 (acquire there). */
	atomic_store_explicit(&cal->count, t + n, memory_order_release);
out:
	leveldb_writebatch_destroy(wb);
	free(front);
	return r;
}

int
kts_cal_append(struct kts_cal *cal, uint64_t t,
    const struct kts_imprint *leaf)
{
	return kts_cal_append_many(cal, t, leaf, 1);
}

/* ---- leaves, roots and chains --------------------------------------- */

int
kts_cal_leaf(const struct kts_cal *cal, uint64_t t, struct kts_imprint *out)
{
	char why[256] = "";
	struct rctx x = { .cal = cal, .why = why, .whylen = sizeof(why) };

	x.count = count_get(cal);
	if (t >= x.count)
		return KTS_ENOTFOUND;
	return read_err(&x, leaf_get(&x, t, out));
}

int
kts_cal_root(const struct kts_cal *cal, uint64_t p, struct kts_imprint *out)
{
	char why[256] = "";
	struct rctx x = { .cal = cal, .why = why, .whylen = sizeof(why) };
	struct kts_imprint acc;
	unsigned j;
	int r = 0;

	x.count = count_get(cal);
	if (p >= x.count)
		return KTS_ENOTFOUND;
	if (p + 1 < x.count || cal->w != NULL) {
		x.end = p + 1;
		r = shape_root(&x, 0, p + 1, out);
		rctx_done(&x);
		return read_err(&x, r);
	}
	/* The writer's root at the head: fold the frontier, smallest block
	 * first. */
	for (j = 0; !(x.count >> j & 1); j++)
		;
	acc = cal->front[j];
	for (j++; j < LEVELS && r == 0; j++) {
		if (x.count >> j & 1)
			r = node(&cal->front[j], &acc, &acc);
	}
	if (r == 0)
		*out = acc;
	return r;
}

/* One link: the direction and the sibling. */
struct link {
	uint8_t dir;		/* KTS_LINK_LEFT (0x07) or KTS_LINK_RIGHT */
	struct kts_imprint sib;
};

/* Spec 5.4: the links from the root at p down to leaf a, root first. */
static int
chain_links(struct rctx *x, uint64_t a, uint64_t p, struct link *v,
    size_t *n)
{
	uint64_t lo = 0;
	uint64_t rem = p;
	uint64_t h;
	size_t i;
	int r = 0;

	for (i = 0; rem > 0 && r == 0; i++) {
		/* highbit(rem) halves at least per link: <= 64 links. */
		if (i >= KTS_MAX_CAL_LINKS)
			return KTS_EINTERNAL;
		h = kts_highbit(rem);
		if (a - lo < h) {	/* a in the left, perfect part */
			v[i].dir = KTS_LINK_LEFT;
			r = shape_root(x, lo + h, rem - h + 1, &v[i].sib);
			rem = h - 1;
		} else {		/* a in the right part */
			v[i].dir = KTS_LINK_RIGHT;
			r = block_get(x, (unsigned)__builtin_ctzll(h), lo / h,
			    &v[i].sib);
			lo += h;
			rem -= h;
		}
	}
	*n = i;
	return r;
}

/* The 0x802 element: p, a, leaf a, links leaf first (spec 3.6). */
static int
chain_write(struct kts_wr *out, uint64_t a, uint64_t p,
    const struct kts_imprint *leaf, const struct link *v, size_t n)
{
	uint8_t b[KTS_IMPRINT_MAX];
	size_t mark;
	int r;

	if ((r = kts_wr_tlv_begin(out, KTS_TAG_CAL_CHAIN, 0, &mark)) != 0 ||
	    (r = kts_wr_tlv_u64(out, 0x01, 0, p)) != 0 ||
	    (r = kts_wr_tlv_u64(out, 0x02, 0, a)) != 0 ||
	    (r = kts_wr_tlv(out, 0x05, 0, b, kts_imprint_bytes(leaf, b))) != 0)
		return r;
	while (n-- > 0) {
		if ((r = kts_wr_tlv(out, v[n].dir, 0, b,
		    kts_imprint_bytes(&v[n].sib, b))) != 0)
			return r;
	}
	return kts_wr_tlv_end(out, mark);
}

int
kts_cal_chain(const struct kts_cal *cal, uint64_t a, uint64_t p,
    struct kts_wr *out)
{
	char why[256] = "";
	struct rctx x = { .cal = cal, .why = why, .whylen = sizeof(why) };
	struct link v[KTS_MAX_CAL_LINKS];
	struct kts_imprint leaf;
	size_t at = out->len;
	size_t n;
	int r;

	if (a > p || p == 0)
		return KTS_EINVAL;
	x.count = count_get(cal);
	if (p >= x.count)
		return KTS_ENOTFOUND;
	x.end = p + 1;
	r = chain_links(&x, a, p, v, &n);
	if (r == 0)
		r = leaf_get(&x, a, &leaf);	/* mostly from A's group */
	rctx_done(&x);
	if (r != 0)
		return read_err(&x, r);
	if ((r = chain_write(out, a, p, &leaf, v, n)) != 0)
		out->len = at;	/* nothing half-written stays */
	return r;
}

/* ---- the offline check ---------------------------------------------- */

/* A pass over every key of the store, in order. */
struct walk {
	struct rctx *x;
	leveldb_iterator_t *it;
};

/* Name the iterator's current key for a message. */
static void
key_desc(leveldb_iterator_t *it, char *buf, size_t size)
{
	char hex[2 * 16 + 1];
	const char *k;
	uint64_t t;
	unsigned l;
	size_t kn;
	int n;

	if (!leveldb_iter_valid(it)) {
		n = snprintf(buf, size, "the end of the store");
		goto out;
	}
	k = leveldb_iter_key(it, &kn);
	if (rec_parse(k, kn, &t, &l)) {
		n = snprintf(buf, size, "the record of second %llu level %u",
		    (unsigned long long)t, l);
		goto out;
	}
	kts_hex_encode((const uint8_t *)k, kn < 16 ? kn : 16, hex);
	n = snprintf(buf, size, "key %s%s", hex, kn > 16 ? "..." : "");
out:
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
}

/* The current key must be record (t, level); its value goes to out. */
static int
walk_rec(struct walk *w, uint64_t t, unsigned level, struct kts_imprint *out)
{
	uint8_t want[KEY_LEN];
	char found[80];
	char *err = NULL;
	const char *k = NULL;
	const char *v;
	size_t kn = 0;
	size_t vn;

	rec_key(want, t, level);
	if (leveldb_iter_valid(w->it))
		k = leveldb_iter_key(w->it, &kn);
	if (kn != KEY_LEN || memcmp(k, want, KEY_LEN) != 0) {
		leveldb_iter_get_error(w->it, &err);
		if (err != NULL)
			return dbfail(w->x, "read", err);
		key_desc(w->it, found, sizeof(found));
		return damage(w->x, t, "expected the record of level %u, "
		    "found %s", level, found);
	}
	v = leveldb_iter_value(w->it, &vn);
	if (kts_imprint_parse((const uint8_t *)v, vn, out) != 0)
		return damage(w->x, t, "the record of level %u is not an "
		    "imprint", level);
	leveldb_iter_next(w->it);
	return 0;
}

/* push() callback: a block root the leaves give must be the stored one. */
static int
walk_cmp(void *arg, uint64_t t, unsigned level, const struct kts_imprint *im)
{
	struct walk *w = arg;
	struct kts_imprint s;
	uint64_t lo;
	int r;

	if (level == 0)
		return 0;	/* the leaf itself, read by the caller */
	if ((r = walk_rec(w, t, level, &s)) != 0)
		return r;
	lo = t + 1 - ((uint64_t)1 << level);
	if (!kts_imprint_eq(&s, im))
		return damage(w->x, t, "the root of the level-%u block from "
		    "second %llu does not match the leaves below it", level,
		    (unsigned long long)lo);
	return 0;
}

/* After the last record: "head" (if any), "meta", nothing else. */
static int
walk_tail(const struct kts_cal *cal, struct walk *w)
{
	static const char *const names[] = { "head", "meta" };
	char found[80];
	const char *k;
	size_t kn;
	size_t i;

	for (i = count_get(cal) > cal->start ? 0 : 1; i < 2; i++) {
		if (!leveldb_iter_valid(w->it))
			break;
		k = leveldb_iter_key(w->it, &kn);
		if (kn != 4 || memcmp(k, names[i], 4) != 0)
			break;
		leveldb_iter_next(w->it);
	}
	if (i == 2 && !leveldb_iter_valid(w->it))
		return 0;
	key_desc(w->it, found, sizeof(found));
	say(w->x, "calendar store damaged: after the last second, expected "
	    "the %s record, found %s", i < 2 ? names[i] : "end", found);
	return KTS_EVERIFY;
}

static int
walk_run(const struct kts_cal *cal, struct walk *w,
    void (*progress)(uint64_t, uint64_t, void *), void *arg)
{
	struct kts_imprint front[LEVELS];
	struct kts_imprint leaf;
	uint64_t count = count_get(cal);
	uint64_t total = count - cal->start;
	uint64_t t;
	int r = 0;

	/* The frontier at count = start: blocks of fillers only. */
	memcpy(front, cal->zero, sizeof(front));
	leveldb_iter_seek_to_first(w->it);
	for (t = cal->start; t < count && r == 0; t++) {
		r = walk_rec(w, t, 0, &leaf);
		if (r == 0)
			r = push(cal, front, t, &leaf, walk_cmp, w);
		if (progress != NULL && (t - cal->start + 1) %
		    PROGRESS_EVERY == 0)
			progress(t - cal->start + 1, total, arg);
	}
	if (r == 0)
		r = walk_tail(cal, w);
	if (r == 0 && progress != NULL)
		progress(total, total, arg);
	return r;
}

int
kts_cal_check(const char *dir, void (*progress)(uint64_t done,
    uint64_t total, void *arg), void *arg, char *why, size_t whylen)
{
	struct rctx x = { .cal = NULL, .why = why, .whylen = whylen };
	struct walk w = { &x, NULL };
	leveldb_readoptions_t *ropt = NULL;
	struct kts_cal *cal = NULL;
	char *err = NULL;
	int r;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if ((r = cal_open(dir, 0, 0, 0, &cal, &x)) != 0)
		goto out;
	x.cal = cal;
	ropt = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(ropt, 1);
	leveldb_readoptions_set_fill_cache(ropt, 0);
	w.it = leveldb_create_iterator(cal->db, ropt);
	if ((r = walk_run(cal, &w, progress, arg)) != 0)
		goto out;
	leveldb_iter_get_error(w.it, &err);
	if (err != NULL)
		r = dbfail(&x, "read", err);
out:
	if (w.it != NULL)
		leveldb_iter_destroy(w.it);
	if (ropt != NULL)
		leveldb_readoptions_destroy(ropt);
	kts_cal_close(cal);
	return r;
}
