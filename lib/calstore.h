/*
 * calstore.h - the calendar in LevelDB (KSI spec section 5; DESIGN.md).
 *
 * One leaf per UTC second since 1970: leaf t is the aggregation root of
 * second t.  Seconds before the calendar started and seconds without a
 * round hold the filler leaf, the zero imprint of the calendar's
 * algorithm.  Besides the leaves the store keeps the roots of complete
 * aligned blocks [k*2^j, (k+1)*2^j), so that any calendar chain takes
 * O(log n) reads.  Blocks wholly before the start second are all filler
 * and are computed, not stored.
 *
 * Invariants: the head only moves forward; a second is written once, in
 * one synced LevelDB batch together with the block roots it completes and
 * the new head, so a crash leaves either the old head or the new one.
 *
 * Threads: kts_cal_open() gives the writer handle; kts_cal_reader_open()
 * gives read-only handles on the same open store for other threads.  The
 * writer and its readers may be used at the same time, each handle by
 * one thread at a time.
 */
#ifndef KTS_CALSTORE_H
#define KTS_CALSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "wr.h"

struct kts_cal;

/*
 * kts_cal_open - open the store in dir.  With create set, a missing store
 * is created with first second `start` and algorithm alg; an existing one
 * is opened as it is (its own start and algorithm win).  On open the head
 * and its block roots are checked; a damaged store is refused.
 * Returns 0, KTS_EDB (LevelDB failed, or the store is damaged: why says
 * what), KTS_ENOTFOUND (no store and create not set) or KTS_EINVAL
 * (create with an undefined algorithm).
 * Ownership: close *out with kts_cal_close().
 */
int kts_cal_open(const char *dir, int create, uint64_t start, uint8_t alg,
    struct kts_cal **out, char *why, size_t whylen);

/*
 * kts_cal_reader_open - a read-only handle on the store the writer w has
 * open, for another thread: kts_cal_start, _alg, _head, _leaf, _root and
 * _chain work on it as on w (appends fail with KTS_EINVAL).  It shares
 * w's LevelDB handle and table of block roots, has its own per-call
 * state, and sees each append of w once w has synced it: its head is
 * never past what is on disk.  Any thread may call this.
 * Returns 0, KTS_EINVAL (w is a reader) or KTS_ENOMEM.
 * Ownership: close *out with kts_cal_close(), before w is closed.
 */
int kts_cal_reader_open(struct kts_cal *w, struct kts_cal **out);

/*
 * kts_cal_close - a writer: flush and close (its readers must be closed
 * first); a reader: free it.  NULL is fine.
 */
void kts_cal_close(struct kts_cal *cal);

/*
 * kts_cal_release - drop what the handle keeps from one read to the next
 * (an iterator, which holds on to the LevelDB tables and memtable of its
 * time): call it now and then from the handle's thread, e.g. once a
 * second, so that an idle handle does not keep old files on disk.
 */
void kts_cal_release(struct kts_cal *cal);

/*
 * kts_cal_compact - have LevelDB compact the whole store now (it blocks
 * until done).  For tools after a bulk import: a live calendar's
 * background compactions keep up on their own.
 */
void kts_cal_compact(struct kts_cal *cal);

/* kts_cal_start - the first second the calendar served (its creation). */
uint64_t kts_cal_start(const struct kts_cal *cal);

/* kts_cal_alg - the calendar's hash algorithm. */
uint8_t kts_cal_alg(const struct kts_cal *cal);

/*
 * kts_cal_head - the newest second stored.  Returns 0 or KTS_ENOTFOUND
 * when nothing has been appended yet (then *out = start - 1).
 */
int kts_cal_head(const struct kts_cal *cal, uint64_t *out);

/*
 * kts_cal_append - store leaf t.  Seconds between the head and t get the
 * filler leaf.  t must be after the head (KTS_EINVAL otherwise: a second
 * is never written twice), and the gap at most KTS_MAX_CAL_BATCH - 1
 * seconds (limits.h; KTS_EINVAL beyond).  Returns only once the batch is
 * synced to disk.  Returns 0, KTS_EINVAL or KTS_EDB.
 */
int kts_cal_append(struct kts_cal *cal, uint64_t t,
    const struct kts_imprint *leaf);

/*
 * kts_cal_append_many - store leaves[i] as leaf t + i for i < n, after
 * the gap's filler leaves, in one synced batch: the bulk form of
 * kts_cal_append (for tools and imports).  The gap plus n may not pass
 * KTS_MAX_CAL_BATCH seconds (limits.h).  Returns 0, KTS_EINVAL (t not
 * after the head, n == 0, batch over the cap, a leaf that is not a valid
 * imprint of an available algorithm), KTS_ENOMEM, KTS_EDB or the
 * hasher's error.
 */
int kts_cal_append_many(struct kts_cal *cal, uint64_t t,
    const struct kts_imprint *leaves, size_t n);

/*
 * kts_cal_leaf - leaf t (filler before the start).  Returns 0,
 * KTS_ENOTFOUND (t after the head) or KTS_EDB.
 */
int kts_cal_leaf(const struct kts_cal *cal, uint64_t t,
    struct kts_imprint *out);

/*
 * kts_cal_root - the calendar root at publication time p (the tree over
 * leaves 0..p, spec 5.1).  Returns 0, KTS_ENOTFOUND (p after the head) or
 * KTS_EDB.
 */
int kts_cal_root(const struct kts_cal *cal, uint64_t p,
    struct kts_imprint *out);

/*
 * kts_cal_chain - write one calendar hash chain element (0x802: 0x01 = p,
 * 0x02 = a, 0x05 = leaf a, links leaf first, spec 3.6 and 5.4) from leaf a
 * to the root at p.  Returns 0, KTS_EINVAL (a > p, or p == 0: that tree
 * is a single leaf and a chain needs a link), KTS_ENOTFOUND (p after the
 * head), KTS_EDB, or the writer's errors (then out is as it was).
 */
int kts_cal_chain(const struct kts_cal *cal, uint64_t a, uint64_t p,
    struct kts_wr *out);

/*
 * kts_cal_check - check a whole store offline: every stored block root
 * recomputed from the leaves below it, the head consistent.  progress (may
 * be NULL) is called now and then with the seconds checked and the total.
 * Returns 0, KTS_EDB, KTS_ENOTFOUND (no store) or KTS_EVERIFY, with why
 * saying what and where.
 */
int kts_cal_check(const char *dir, void (*progress)(uint64_t done,
    uint64_t total, void *arg), void *arg, char *why, size_t whylen);

#endif
