/*
 * check_util.c - unit tests for lib/util.c: hex, UTC time text and
 * parsing, number parsing, capped whole-file reads and atomic writes,
 * the clocks; and the latency histograms of lib/prom.c.
 */
#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "prom.h"
#include "util.h"
#include "wr.h"
#include "kts_test.h"

/* ---- hex ---- */

START_TEST(test_hex_encode)
{
	static const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(b) + 1];

	memset(out, 'x', sizeof(out));
	kts_hex_encode(b, sizeof(b), out);
	ck_assert_str_eq(out, "00017f80abff");
	kts_hex_encode(b, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

static const struct xcase {
	const char *s;
	size_t max;
	int rc;
	const char *want;	/* re-encoded bytes on success */
} xcases[] = {
	{ "", 4, 0, "" },
	{ "00", 4, 0, "00" },
	{ "00ff", 4, 0, "00ff" },
	{ "ABcdEF", 3, 0, "abcdef" },
	{ "0123456789abcdef", 8, 0, "0123456789abcdef" },
	{ "0", 4, KTS_EFORMAT, NULL },		/* odd length */
	{ "abc", 4, KTS_EFORMAT, NULL },
	{ "zz", 4, KTS_EFORMAT, NULL },
	{ "0g", 4, KTS_EFORMAT, NULL },
	{ "g0", 4, KTS_EFORMAT, NULL },
	{ " 0", 4, KTS_EFORMAT, NULL },
	{ "0x00", 4, KTS_EFORMAT, NULL },
	{ "00 ", 4, KTS_EFORMAT, NULL },
	{ "00112233", 3, KTS_ETOOBIG, NULL },	/* over max */
	{ "00", 0, KTS_ETOOBIG, NULL },
};

START_TEST(test_hex_decode)
{
	const struct xcase *xc = &xcases[_i];
	uint8_t out[16];
	char back[33];
	size_t n = 999;
	int r;

	memset(out, 0xee, sizeof(out));
	r = kts_hex_decode(xc->s, out, xc->max, &n);
	ck_assert_msg(r == xc->rc, "'%s': got %d, want %d", xc->s, r, xc->rc);
	if (r != 0) {
		ck_assert_uint_eq(n, 999);
		return;
	}
	ck_assert_uint_eq(n, strlen(xc->s) / 2);
	ck_assert_uint_eq(out[n], 0xee);	/* nothing past n written */
	kts_hex_encode(out, n, back);
	ck_assert_str_eq(back, xc->want);
}
END_TEST

/* ---- time ---- */

static const struct timecase {
	const char *s;
	int rc;
	int64_t t;
} timecases[] = {
	{ "0", 0, 0 },
	{ "1398866256", 0, 1398866256 },
	{ "0001398866256", 0, 1398866256 },
	{ "9223372036854775807", 0, INT64_MAX },
	{ "1970-01-01", 0, 0 },
	{ "2014-04-30", 0, 1398816000 },
	{ "2014-04-30T15:57:36", 0, 1398873456 },
	{ "2014-04-30T15:57:36Z", 0, 1398873456 },
	{ "2016-07-01T00:00:00Z", 0, 1467331200 },
	{ "2016-06-30T23:59:59Z", 0, 1467331199 },
	{ "2016-02-29", 0, 1456704000 },		/* leap day */
	{ "2000-02-29", 0, 951782400 },
	{ "2038-01-19T03:14:08Z", 0, 2147483648LL },	/* past 2^31 */
	{ "", KTS_EFORMAT, 0 },
	{ "abc", KTS_EFORMAT, 0 },
	{ "-5", KTS_EFORMAT, 0 },
	{ "+5", KTS_EFORMAT, 0 },
	{ " 5", KTS_EFORMAT, 0 },
	{ "5 ", KTS_EFORMAT, 0 },
	{ "12x", KTS_EFORMAT, 0 },
	{ "9223372036854775808", KTS_EFORMAT, 0 },	/* > INT64_MAX */
	{ "18446744073709551616", KTS_EFORMAT, 0 },	/* > UINT64_MAX */
	{ "2014-4-30", KTS_EFORMAT, 0 },
	{ "2014-04-3", KTS_EFORMAT, 0 },
	{ "2014/04/30", KTS_EFORMAT, 0 },
	{ "2014-04-30T", KTS_EFORMAT, 0 },
	{ "2014-04-30T15:57", KTS_EFORMAT, 0 },
	{ "2014-04-30 15:57:36", KTS_EFORMAT, 0 },
	{ "2014-04-30T15:57:36z", KTS_EFORMAT, 0 },
	{ "2014-04-30T15:57:36+02", KTS_EFORMAT, 0 },
	{ "2014-04-30T15:57:36.5Z", KTS_EFORMAT, 0 },
	{ "2014-04-30T15-57-36Z", KTS_EFORMAT, 0 },
	{ "2014-00-10", KTS_EFORMAT, 0 },
	{ "2014-13-10", KTS_EFORMAT, 0 },
	{ "2014-04-00", KTS_EFORMAT, 0 },
	{ "2014-04-32", KTS_EFORMAT, 0 },
	{ "2014-04-31", KTS_EFORMAT, 0 },		/* April has 30 */
	{ "2014-02-29", KTS_EFORMAT, 0 },		/* not a leap year */
	{ "1900-02-29", KTS_EFORMAT, 0 },
	{ "2014-04-30T24:00:00Z", KTS_EFORMAT, 0 },
	{ "2014-04-30T23:60:00Z", KTS_EFORMAT, 0 },
	{ "2014-04-30T23:59:61Z", KTS_EFORMAT, 0 },
	{ "2O14-04-30", KTS_EFORMAT, 0 },
	{ "1969-12-31T23:59:59Z", KTS_EFORMAT, 0 },	/* before the epoch */
	{ "0000-01-01", KTS_EFORMAT, 0 },
};

START_TEST(test_parse_time)
{
	const struct timecase *tc = &timecases[_i];
	int64_t t = -12345;
	int r;

	r = kts_parse_time(tc->s, &t);
	ck_assert_msg(r == tc->rc, "'%s': got %d, want %d", tc->s, r, tc->rc);
	if (r == 0)
		ck_assert_msg(t == tc->t, "'%s': got %lld, want %lld", tc->s,
		    (long long)t, (long long)tc->t);
	else
		ck_assert_int_eq(t, -12345);
}
END_TEST

START_TEST(test_time_utc)
{
	char buf[32];
	int64_t t;

	ck_assert_str_eq(kts_time_utc(0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00Z");
	ck_assert_str_eq(kts_time_utc(1467331200, buf, sizeof(buf)),
	    "2016-07-01T00:00:00Z");
	ck_assert_str_eq(kts_time_utc(1398873456, buf, sizeof(buf)),
	    "2014-04-30T15:57:36Z");
	/* kts_time_utc and kts_parse_time agree. */
	ck_assert_int_eq(kts_parse_time(kts_time_utc(2147483648LL, buf,
	    sizeof(buf)), &t), 0);
	ck_assert_int_eq(t, 2147483648LL);
}
END_TEST

/* ---- numbers ---- */

static const struct ncase {
	const char *s;
	uint64_t max;
	int rc;
	uint64_t v;
} ncases[] = {
	{ "0", 0, 0, 0 },
	{ "7", 9, 0, 7 },
	{ "9", 9, 0, 9 },
	{ "10", 9, KTS_EFORMAT, 0 },
	{ "007", 9, 0, 7 },
	{ "65535", 65535, 0, 65535 },
	{ "65536", 65535, KTS_EFORMAT, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "99999999999999999999999", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "-1", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "+1", UINT64_MAX, KTS_EFORMAT, 0 },
	{ " 1", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "1 ", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "1a", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "0x10", UINT64_MAX, KTS_EFORMAT, 0 },
	{ "1e3", UINT64_MAX, KTS_EFORMAT, 0 },
};

START_TEST(test_parse_u64)
{
	const struct ncase *nc = &ncases[_i];
	uint64_t v = 424242;
	int r;

	r = kts_parse_u64(nc->s, nc->max, &v);
	ck_assert_msg(r == nc->rc, "'%s' max %llu: got %d, want %d", nc->s,
	    (unsigned long long)nc->max, r, nc->rc);
	ck_assert_uint_eq(v, r == 0 ? nc->v : 424242);
}
END_TEST

/* ---- files ---- */

struct fixture {
	char *dir;		/* a fresh mkdtemp folder */
	char path[4096];	/* dir + "/f" */
};

static struct fixture fx;

static void
setup_dir(void)
{
	int n;

	fx.dir = kts_test_tmpdir();
	n = snprintf(fx.path, sizeof(fx.path), "%s/f", fx.dir);
	ck_assert(n > 0 && (size_t)n < sizeof(fx.path));
}

static void
teardown_dir(void)
{
	kts_test_rmdir(fx.dir);
	free(fx.dir);
	fx.dir = NULL;
}

static int
count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(test_file_write_read)
{
	uint8_t data[100000];
	uint8_t *p;
	size_t len;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	ck_assert_int_eq(kts_file_write(fx.path, data, sizeof(data)), 0);
	ck_assert_int_eq(count_entries(fx.dir), 1);	/* no temp left */
	ck_assert_int_eq(kts_file_read(fx.path, sizeof(data), &p, &len), 0);
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert_mem_eq(p, data, len);
	free(p);

	/* Over the cap: ETOOBIG and nothing handed out. */
	p = (uint8_t *)"x";
	ck_assert_int_eq(kts_file_read(fx.path, sizeof(data) - 1, &p, &len),
	    KTS_ETOOBIG);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(len, 0);

	/* Replacing an existing file. */
	ck_assert_int_eq(kts_file_write(fx.path, (const uint8_t *)"abc", 3),
	    0);
	ck_assert_int_eq(count_entries(fx.dir), 1);
	ck_assert_int_eq(kts_file_read(fx.path, 3, &p, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(p, "abc", 3);
	free(p);

	/* An empty file reads as a non-NULL buffer of length 0. */
	ck_assert_int_eq(kts_file_write(fx.path, NULL, 0), 0);
	ck_assert_int_eq(kts_file_read(fx.path, 0, &p, &len), 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len, 0);
	free(p);
}
END_TEST

/* The writer goes through a temporary file and a rename. */
START_TEST(test_file_write_atomic)
{
	struct stat st1;
	struct stat st2;

	ck_assert_int_eq(kts_file_write(fx.path, (const uint8_t *)"one", 3),
	    0);
	ck_assert_int_eq(stat(fx.path, &st1), 0);
	ck_assert_int_eq(kts_file_write(fx.path, (const uint8_t *)"two", 3),
	    0);
	ck_assert_int_eq(stat(fx.path, &st2), 0);
	ck_assert(st1.st_ino != st2.st_ino);	/* a new file, not rewritten */
	ck_assert_int_eq(count_entries(fx.dir), 1);
}
END_TEST

START_TEST(test_file_errors)
{
	char path[4200];
	uint8_t *p = NULL;
	size_t len = 5;
	int n;

	n = snprintf(path, sizeof(path), "%s/missing", fx.dir);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	errno = 0;
	ck_assert_int_eq(kts_file_read(path, 100, &p, &len), KTS_EIO);
	ck_assert_int_eq(errno, ENOENT);	/* errno is kept for messages */
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(len, 0);

	/* A folder opens but does not read. */
	ck_assert_int_eq(kts_file_read(fx.dir, 100, &p, &len), KTS_EIO);
	ck_assert_ptr_null(p);

	/* Writing into a folder that does not exist leaves nothing. */
	n = snprintf(path, sizeof(path), "%s/no/such/f", fx.dir);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_int_eq(kts_file_write(path, (const uint8_t *)"x", 1),
	    KTS_EIO);
	ck_assert_int_eq(count_entries(fx.dir), 0);

	/* Renaming over a folder fails, and the temporary file goes. */
	n = snprintf(path, sizeof(path), "%s/d", fx.dir);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(kts_file_write(path, (const uint8_t *)"x", 1),
	    KTS_EIO);
	ck_assert_int_eq(count_entries(fx.dir), 1);
	ck_assert_int_eq(rmdir(path), 0);
}
END_TEST

/* ---- arrays ---- */

START_TEST(test_grow)
{
	uint32_t *a = NULL;
	size_t cap = 0;
	size_t i;

	ck_assert_int_eq(kts_grow(&a, &cap, 1, sizeof(*a), 4), 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(cap, 4);
	for (i = 0; i < 4; i++)
		a[i] = (uint32_t)i * 7;
	ck_assert_int_eq(kts_grow(&a, &cap, 4, sizeof(*a), 4), 0);
	ck_assert_uint_eq(cap, 4);		/* room already */
	ck_assert_int_eq(kts_grow(&a, &cap, 9, sizeof(*a), 4), 0);
	ck_assert_uint_eq(cap, 16);		/* doubled until it fits */
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(a[i], i * 7);	/* kept */
	/* Too big for size_t: refused, the array untouched. */
	ck_assert_int_eq(kts_grow(&a, &cap, SIZE_MAX / 2, sizeof(*a), 4),
	    KTS_ENOMEM);
	ck_assert_int_eq(kts_grow(&a, &cap, SIZE_MAX, 1, 4), KTS_ENOMEM);
	ck_assert_uint_eq(cap, 16);
	ck_assert_uint_eq(a[3], 21);
	free(a);
}
END_TEST

/* ---- clocks ---- */

START_TEST(test_clocks)
{
	uint64_t a = kts_mono_us();
	uint64_t b;
	uint64_t r = kts_real_us();

	usleep(20000);
	b = kts_mono_us();
	ck_assert_uint_ge(b - a, 19000);	/* 20 ms slept */
	ck_assert_uint_lt(b - a, 5000000);
	ck_assert_uint_ge(kts_mono_ms(), b / 1000);
	/* The wall clock is after 2020-01-01 and in microseconds. */
	ck_assert_uint_gt(r, 1577836800ull * 1000000u);
	ck_assert_uint_lt(r, 4102444800ull * 1000000u);
}
END_TEST

/* ---- latency histograms (prom.c) ---- */

START_TEST(test_hist_buckets)
{
	struct kts_hist h;
	size_t i;

	memset(&h, 0, sizeof(h));
	ck_assert(kts_hist_quantile(&h, 0.99) < 0);	/* empty */
	/* Increasing bounds, the last +Inf, 150 ms among them. */
	for (i = 1; i < KTS_HIST_BUCKETS; i++)
		ck_assert(kts_hist_bound(i) > kts_hist_bound(i - 1));
	ck_assert(isinf(kts_hist_bound(KTS_HIST_BUCKETS - 1)));
	ck_assert(isinf(kts_hist_bound(KTS_HIST_BUCKETS)));
	kts_hist_add(&h, 150.0);	/* on a bound: that bucket ("le") */
	ck_assert(kts_hist_quantile(&h, 0.5) == 150.0);
	kts_hist_add(&h, 150.001);
	ck_assert(kts_hist_quantile(&h, 1.0) == 160.0);
	kts_hist_add(&h, -3.0);		/* a clock step counts as 0 */
	ck_assert(kts_hist_quantile(&h, 0.01) == 1.0);
	kts_hist_add(&h, 1e9);		/* past the last bound: +Inf */
	ck_assert(isinf(kts_hist_quantile(&h, 1.0)));
	ck_assert_uint_eq(h.count, 4);
	ck_assert(h.sum > 150.0 + 150.001 + 1e9 - 1e-3 &&
	    h.sum < 150.0 + 150.001 + 1e9 + 1e-3);
}
END_TEST

START_TEST(test_hist_quantile)
{
	struct kts_hist h;
	struct kts_hist t;
	int i;

	memset(&h, 0, sizeof(h));
	memset(&t, 0, sizeof(t));
	/* 990 at 5 ms, 10 at 400 ms: p99 is the 990th, p99.1 the 991st. */
	for (i = 0; i < 990; i++)
		kts_hist_add(&h, 4.5);
	for (i = 0; i < 10; i++)
		kts_hist_add(&t, 399.0);
	kts_hist_merge(&h, &t);
	ck_assert_uint_eq(h.count, 1000);
	ck_assert(kts_hist_quantile(&h, 0.99) == 5.0);
	ck_assert(kts_hist_quantile(&h, 0.991) == 400.0);
	ck_assert(kts_hist_quantile(&h, 0.5) == 5.0);
	ck_assert(kts_hist_quantile(&h, 0.0) == 5.0);	/* rank 1 at least */
	/* Eight: 2 at 300, 6 at 1000.  p99 is the 8th (rank 7.92 up). */
	memset(&h, 0, sizeof(h));
	kts_hist_add(&h, 280.0);
	kts_hist_add(&h, 290.0);
	for (i = 0; i < 6; i++)
		kts_hist_add(&h, 900.0);
	ck_assert(kts_hist_quantile(&h, 0.25) == 300.0);
	ck_assert(kts_hist_quantile(&h, 0.26) == 1000.0);
	ck_assert(kts_hist_quantile(&h, 0.99) == 1000.0);
}
END_TEST

START_TEST(test_hist_prom)
{
	struct kts_wr wr;
	struct kts_hist h;
	char *text;

	memset(&h, 0, sizeof(h));
	kts_hist_add(&h, 0.5);
	kts_hist_add(&h, 120.0);
	kts_hist_add(&h, 20000.0);
	kts_wr_init(&wr, 1u << 16);
	ck_assert_int_eq(kts_prom_hist(&wr, "x_ms", &h), 0);
	ck_assert_int_eq(kts_wr_put(&wr, "", 1), 0);
	text = (char *)wr.p;
	ck_assert_ptr_nonnull(strstr(text, "# TYPE x_ms histogram\n"));
	/* Cumulative counts. */
	ck_assert_ptr_nonnull(strstr(text, "x_ms_bucket{le=\"1\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_bucket{le=\"110\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_bucket{le=\"120\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_bucket{le=\"10000\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_bucket{le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_sum 20120.500\n"));
	ck_assert_ptr_nonnull(strstr(text, "x_ms_count 3\n"));
	kts_wr_free(&wr);
	/* A writer without room fails, it does not cut the text. */
	kts_wr_init(&wr, 64);
	ck_assert_int_ne(kts_prom_hist(&wr, "x_ms", &h), 0);
	kts_wr_free(&wr);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("hex");
	tcase_add_test(tc, test_hex_encode);
	tcase_add_loop_test(tc, test_hex_decode, 0, KTS_N_ELEMS(xcases));
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_parse_time, 0, KTS_N_ELEMS(timecases));
	tcase_add_test(tc, test_time_utc);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_loop_test(tc, test_parse_u64, 0, KTS_N_ELEMS(ncases));
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_file_write_read);
	tcase_add_test(tc, test_file_write_atomic);
	tcase_add_test(tc, test_file_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("arrays");
	tcase_add_test(tc, test_grow);
	suite_add_tcase(s, tc);

	tc = tcase_create("clocks");
	tcase_add_test(tc, test_clocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("histograms");
	tcase_add_test(tc, test_hist_buckets);
	tcase_add_test(tc, test_hist_quantile);
	tcase_add_test(tc, test_hist_prom);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return kts_test_main(util_suite());
}
