/*
 * kts_test.h - helpers shared by the Check unit tests.
 *
 * Test vectors are found by a path relative to $KTS_VECTORS (exported by
 * AM_TESTS_ENVIRONMENT; configure --with-vectors sets it), e.g.
 * kts_test_vector("ksi/tlv/ok_int-1.tlv", &len).  Every buffer these
 * helpers return is an exactly-sized heap block, so AddressSanitizer
 * catches a parser that reads one byte too far.
 *
 * The helpers fail the running Check test (ck_abort_msg) instead of
 * returning errors: a missing vector is a broken test setup.
 */
#ifndef KTS_TEST_H
#define KTS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* Elements of a static array. */
#define KTS_N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * kts_test_vector_path - "$KTS_VECTORS/rel" into buf.  Fails the test if
 * KTS_VECTORS is unset or the path does not fit.  Returns buf.
 */
const char *kts_test_vector_path(const char *rel, char *buf, size_t size);

/*
 * kts_test_vector - read the vector file rel (relative to $KTS_VECTORS)
 * whole.  Fails the test if it cannot be read.
 * Ownership: the caller frees the result with free().
 */
uint8_t *kts_test_vector(const char *rel, size_t *len);

/*
 * kts_test_hex - decode hex text; blanks between digits are ignored, so
 * "01 02 ca fe" works.  Fails the test on bad hex.
 * Ownership: the caller frees the result with free() (never NULL, even
 * for empty input).
 */
uint8_t *kts_test_hex(const char *hex, size_t *len);

/*
 * kts_test_dup - an exactly-sized heap copy of n bytes at p (never NULL,
 * also for n == 0).  Fails the test when out of memory.
 * Ownership: the caller frees the result with free().
 */
uint8_t *kts_test_dup(const void *p, size_t n);

/*
 * kts_test_tmpdir - a fresh folder under $TMPDIR (or /tmp) made with
 * mkdtemp; kts_test_rmdir removes it and the plain files in it.
 * Ownership: the caller frees the returned path with free() after
 * kts_test_rmdir().
 */
char *kts_test_tmpdir(void);
void kts_test_rmdir(const char *dir);

/*
 * kts_test_main - run suite s with the usual runner (CK_FORK and
 * CK_VERBOSITY from the environment are honoured) and return the exit
 * status for main().
 * Ownership: takes s.
 */
int kts_test_main(Suite *s);

#endif
