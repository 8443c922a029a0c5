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
 * missing or wrong.  Not thread-safe: reads fill a cache of block roots,
 * so one thread at a time uses a struct kts_cal (the calendar's event
 * loop).
 */
#include <stdarg.h>
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
 * The root cache.  Every chain needs the roots of about 2 * (log2(age) -
 * 16) blocks of level 16 (18 hours) and up, spread over the whole store,
 * and few other chains' roots near its own A and P.  Those upper roots
 * never change once written, so a direct-mapped cache needs no
 * invalidation; it is filled at open (top levels first, at most one read
 * per slot, which also opens every table once) and on misses.  A year of
 * calendar has about 960 such roots; 4096 slots (about 320 KB) hold four
 * years, and older stores keep the top levels.
 */
#define CACHE_LEVEL 16
#define CACHE_SLOTS 4096u

/*
 * The middle cache: roots of levels MID_LEVEL .. CACHE_LEVEL - 1 (256
 * seconds to 9 hours), filled on misses only (a chain's own reads),
 * direct-mapped like the root cache.  A calendar has about 2^(1 - 8) =
 * 1/128 of them per second: 65536 slots of 80 bytes (5 MB, allocated at
 * open) hold about three months of them, and the upper levels (10 and
 * up) of a year.  Without it every chain makes about 8 more LevelDB Gets.
 * As in the root cache, a slot is filled only from a stored record, and
 * records exist only for complete blocks, so no slot holds a root that
 * could still change.
 */
#define MID_LEVEL 8
#define MID_BITS 16
#define MID_SLOTS (1u << MID_BITS)

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

/* One cached block root. */
struct slot {
	uint64_t k;			/* block index in its level */
	uint8_t level;			/* 0: empty (cached levels are >= 8) */
	struct kts_imprint im;		/* the root */
};

struct kts_cal {
	leveldb_t *db;			/* the open store */
	leveldb_options_t *opt;		/* open options */
	leveldb_readoptions_t *ropt;	/* everyday reads */
	leveldb_writeoptions_t *wopt;	/* appends: synced */
	uint64_t start;			/* first second served */
	uint64_t count;			/* leaves known: head + 1, or start */
	int has_head;			/* at least one append happened */
	uint8_t alg;			/* the calendar's algorithm */
	struct kts_imprint zero[LEVELS];	/* Z_j: root of 2^j fillers */
	struct kts_imprint front[LEVELS];	/* frontier, for bits of count */
	struct slot *cache;		/* CACHE_SLOTS upper roots (owned) */
	struct slot *mid;		/* MID_SLOTS middle roots (owned) */
	struct pmemo *pm;		/* roots at the last P (owned) */
};

/* One read operation: the store and where damage is described. */
struct rctx {
	const struct kts_cal *cal;
	char *why;		/* first damage or LevelDB message, may be NULL */
	size_t whylen;
	/* Leaves for blocks below STORED_LEVEL, filled on demand: */
	uint64_t end;		/* read no leaf >= end (0: count) */
	leveldb_iterator_t *it;	/* created at the first group read */
	uint64_t grp;		/* group index + 1 in g, 0: none */
	size_t gn;		/* leaves of the group in g */
	struct kts_imprint g[GROUP_LEAVES];
};

/* End a read operation: drop its iterator. */
static void
rctx_done(struct rctx *x)
{
	if (x->it != NULL)
		leveldb_iter_destroy(x->it);
	x->it = NULL;
	x->grp = 0;
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
	uint64_t end = x->end != 0 && x->end < x->cal->count ? x->end :
	    x->cal->count;
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
				x->it = leveldb_create_iterator(x->cal->db,
				    x->cal->ropt);
			rec_key(key, glo + i, 0);
			leveldb_iter_seek(x->it, (const char *)key,
			    sizeof(key));
		}
		for (; i < want && r == 0; i++)
			r = iter_leaf(x, x->it, glo + i, &x->g[i]);
		if (r != 0)
			return r;
		x->grp = g + 1;
		x->gn = want;
	}
	memcpy(v, &x->g[lo - glo], n * sizeof(*v));
	return 0;
}

/* The cache slot of block k of level j. */
static struct slot *
slot_of(const struct kts_cal *cal, unsigned j, uint64_t k)
{
	uint64_t h = (k ^ (uint64_t)j << 56) * 0x9e3779b97f4a7c15ull;

	return &cal->cache[h >> 52 & (CACHE_SLOTS - 1)];
}

/* The middle cache slot of block k of level j. */
static struct slot *
mid_of(const struct kts_cal *cal, unsigned j, uint64_t k)
{
	uint64_t h = (k ^ (uint64_t)j << 56) * 0x9e3779b97f4a7c15ull;

	return &cal->mid[h >> (64 - MID_BITS)];
}

/* A stored block root, through the caches from MID_LEVEL up. */
static int
stored_get(struct rctx *x, unsigned j, uint64_t k, struct kts_imprint *out)
{
	uint64_t lo = k << j;
	uint64_t end = lo + ((uint64_t)1 << j) - 1;
	struct slot *s = NULL;
	int found;
	int r;

	if (j >= CACHE_LEVEL)
		s = slot_of(x->cal, j, k);
	else if (j >= MID_LEVEL)
		s = mid_of(x->cal, j, k);
	if (s != NULL) {
		if (s->level == j && s->k == k) {
			*out = s->im;
			return 0;
		}
	}
	if ((r = rec_get(x, end, j, out, &found)) != 0)
		return r;
	if (!found)
		return damage(x, end, "the root of the level-%u block from "
		    "second %llu is missing", j, (unsigned long long)lo);
	if (s != NULL) {
		s->k = k;
		s->level = (uint8_t)j;
		s->im = *out;
	}
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

/* The frontier for cal->count, from the store. */
static int
front_load(struct kts_cal *cal, struct rctx *x)
{
	uint64_t c = cal->count;
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
	uint64_t c = cal->count;
	unsigned j;
	int r;

	for (j = STORED_LEVEL; j < LEVELS; j++) {
		if (!(c >> j & 1) || (c >> j << j) <= cal->start)
			continue;	/* no such block, or all filler */
		if ((r = block_verify(x, j, (c >> j) - 1)) != 0)
			return r;
	}
	for (j = STORED_LEVEL; cal->has_head && j < LEVELS &&
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

/* Read "head" and check it; sets count, has_head and the frontier. */
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
	cal->has_head = val != NULL;
	leveldb_free(val);
	if (cal->has_head && (head < cal->start || head == UINT64_MAX))
		return damage(x, head, "the head is outside the calendar "
		    "(start %llu)", (unsigned long long)cal->start);
	cal->count = cal->has_head ? head + 1 : cal->start;
	if (cal->has_head && (r = leaf_get(x, head, &leaf)) != 0)
		return r;	/* "the leaf is missing", at the head */
	if ((r = rec_from(x, cal->count, &found, &rt, &rl)) != 0)
		return r;
	if (found)
		return damage(x, rt, "a record of level %u lies after the "
		    "head", rl);
	if ((r = front_load(cal, x)) != 0)
		return r;
	return front_verify(cal, x);
}

/* Fill the root cache, top levels first, one read per slot at most. */
static int
cache_fill(struct kts_cal *cal, struct rctx *x)
{
	struct kts_imprint im;
	unsigned n = 0;
	uint64_t k;
	int j;
	int r;

	for (j = LEVELS - 1; j >= CACHE_LEVEL; j--) {
		for (k = cal->start >> j; k < cal->count >> j; k++) {
			if (n++ == CACHE_SLOTS)
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
	    (tmp->cache = calloc(CACHE_SLOTS, sizeof(*tmp->cache))) == NULL ||
	    (tmp->mid = calloc(MID_SLOTS, sizeof(*tmp->mid))) == NULL ||
	    (tmp->pm = calloc(1, sizeof(*tmp->pm))) == NULL) {
		r = KTS_ENOMEM;
		goto out;
	}
	x->cal = tmp;
	if ((r = db_open(tmp, x, dir, create)) != 0 ||
	    (r = meta_load(tmp, x, create, start, alg)) != 0 ||
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

void
kts_cal_close(struct kts_cal *cal)
{
	if (cal == NULL)
		return;
	if (cal->db != NULL)
		leveldb_close(cal->db);
	if (cal->opt != NULL)
		leveldb_options_destroy(cal->opt);
	if (cal->ropt != NULL)
		leveldb_readoptions_destroy(cal->ropt);
	if (cal->wopt != NULL)
		leveldb_writeoptions_destroy(cal->wopt);
	free(cal->cache);
	free(cal->mid);
	free(cal->pm);
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

int
kts_cal_head(const struct kts_cal *cal, uint64_t *out)
{
	*out = cal->count - 1;
	return cal->has_head ? 0 : KTS_ENOTFOUND;
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

/* The arguments of an append: t after the head, a batch within the cap. */
static int
append_args(const struct kts_cal *cal, uint64_t t,
    const struct kts_imprint *leaves, size_t n)
{
	const struct kts_hash_alg *a;
	size_t i;

	if (n == 0 || t < cal->count || t - cal->count > KTS_MAX_CAL_BATCH ||
	    n > KTS_MAX_CAL_BATCH - (t - cal->count) ||
	    n > UINT64_MAX - t)
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
    struct kts_imprint *front, uint64_t t, const struct kts_imprint *leaves,
    size_t n)
{
	uint8_t head[8];
	uint64_t c;
	size_t i;
	int r;

	for (c = cal->count; c < t; c++) {
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
	char *err = NULL;
	int r;

	if ((r = append_args(cal, t, leaves, n)) != 0)
		return r;
	if ((front = malloc(sizeof(cal->front))) == NULL)
		return KTS_ENOMEM;
	memcpy(front, cal->front, sizeof(cal->front));
	wb = leveldb_writebatch_create();
	if ((r = append_fill(cal, wb, front, t, leaves, n)) != 0)
		goto out;
	leveldb_write(cal->db, cal->wopt, wb, &err);
	if (err != NULL) {
		kts_log(KTS_LOG_ERR, "calendar store: leveldb write of "
		    "seconds %llu..%llu: %s", (unsigned long long)cal->count,
		    (unsigned long long)(t + n - 1), err);
		leveldb_free(err);
		r = KTS_EDB;
		goto out;
	}
	memcpy(cal->front, front, sizeof(cal->front));
	cal->count = t + n;
	cal->has_head = 1;
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

	if (t >= cal->count)
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

	if (p >= cal->count)
		return KTS_ENOTFOUND;
	if (p + 1 < cal->count) {
		x.end = p + 1;
		r = shape_root(&x, 0, p + 1, out);
		rctx_done(&x);
		return read_err(&x, r);
	}
	/* The root at the head: fold the frontier, smallest block first. */
	for (j = 0; !(cal->count >> j & 1); j++)
		;
	acc = cal->front[j];
	for (j++; j < LEVELS && r == 0; j++) {
		if (cal->count >> j & 1)
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
	if (p >= cal->count)
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

	for (i = cal->has_head ? 0 : 1; i < 2; i++) {
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
	uint64_t total = cal->count - cal->start;
	uint64_t t;
	int r = 0;

	/* The frontier at count = start: blocks of fillers only. */
	memcpy(front, cal->zero, sizeof(front));
	leveldb_iter_seek_to_first(w->it);
	for (t = cal->start; t < cal->count && r == 0; t++) {
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
