/*
 * util.c - hex, time text, number parsing and capped file I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "err.h"
#include "limits.h"
#include "util.h"
#include "wr.h"

void
kts_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
kts_hex_decode(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t len = strlen(s);
	size_t i;
	int hi;
	int lo;

	if (len % 2 != 0)
		return KTS_EFORMAT;
	if (len / 2 > max)
		return KTS_ETOOBIG;
	for (i = 0; i < len / 2; i++) {
		if ((hi = hexval(s[2 * i])) < 0 || (lo = hexval(s[2 * i + 1])) < 0)
			return KTS_EFORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*n = len / 2;
	return 0;
}

char *
kts_time_utc(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

int
kts_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return KTS_EFORMAT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return KTS_EFORMAT;
	*out = v;
	return 0;
}

static int
parse_fixed(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return KTS_EFORMAT;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days in month m (1-12) of year y, proleptic Gregorian. */
static int
month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
kts_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	uint64_t v;
	size_t len = strlen(s);
	int f[6] = { 0 };
	time_t t;

	if (kts_parse_u64(s, INT64_MAX, &v) == 0) {
		*out = (int64_t)v;
		return 0;
	}
	if (len != 10 && len != 19 && !(len == 20 && s[19] == 'Z'))
		return KTS_EFORMAT;
	if (parse_fixed(s, 4, &f[0]) || s[4] != '-' || parse_fixed(s + 5, 2, &f[1]) ||
	    s[7] != '-' || parse_fixed(s + 8, 2, &f[2]))
		return KTS_EFORMAT;
	if (len > 10 && (s[10] != 'T' || parse_fixed(s + 11, 2, &f[3]) ||
	    s[13] != ':' || parse_fixed(s + 14, 2, &f[4]) || s[16] != ':' ||
	    parse_fixed(s + 17, 2, &f[5])))
		return KTS_EFORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	/* No day 31 of April (timegm would roll it over into May), and
	 * nothing before the epoch: KSI times are unsigned (spec 1.4). */
	if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
	    f[2] > month_days(f[0], f[1]) || f[3] > 23 || f[4] > 59 ||
	    f[5] > 60 || (t = timegm(&tm)) == (time_t)-1)
		return KTS_EFORMAT;
	*out = (int64_t)t;
	return 0;
}

int
kts_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct kts_wr wr;
	uint8_t buf[65536];
	ssize_t n;
	int fd;
	int r = 0;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return KTS_EIO;
	kts_wr_init(&wr, max);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((r = kts_wr_put(&wr, buf, (size_t)n)) != 0)
			break;
	}
	if (r == 0 && n < 0)
		r = KTS_EIO;
	if (fd != STDIN_FILENO) {
		int e = errno;

		close(fd);
		errno = e;
	}
	if (r == 0)
		r = kts_wr_take(&wr, out, len);
	kts_wr_free(&wr);
	return r;
}

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return KTS_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
kts_file_write(const char *path, const uint8_t *p, size_t n)
{
	char tmp[4096];
	int fd;
	int r;
	int k;

	if (strcmp(path, "-") == 0)
		return write_all(STDOUT_FILENO, p, n);
	k = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return KTS_EIO;
	if ((fd = mkstemp(tmp)) < 0)
		return KTS_EIO;
	r = write_all(fd, p, n);
	if (r == 0 && fsync(fd) != 0)
		r = KTS_EIO;
	if (close(fd) != 0 && r == 0)
		r = KTS_EIO;
	if (r == 0 && rename(tmp, path) != 0)
		r = KTS_EIO;
	if (r != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
	}
	return r;
}

void
kts_malloc_keep(void)
{
#if defined(M_TRIM_THRESHOLD) && defined(M_TOP_PAD)
	(void)mallopt(M_TRIM_THRESHOLD, KTS_MALLOC_TRIM);
	(void)mallopt(M_TOP_PAD, KTS_MALLOC_TOP_PAD);
#endif
}

int
kts_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = *cap ? *cap : (first ? first : 1);
	void *old;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return KTS_ENOMEM;
		c *= 2;
	}
	/* pp points at some T *: copied as bytes, not read as a void *. */
	memcpy(&old, pp, sizeof(old));
	if (elem == 0 || c > SIZE_MAX / elem ||
	    (n = realloc(old, c * elem)) == NULL)
		return KTS_ENOMEM;
	memcpy(pp, &n, sizeof(n));
	*cap = c;
	return 0;
}

int
kts_raise_nofile(uint64_t want, uint64_t *got)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		*got = 0;
		return KTS_EIO;
	}
	if ((uint64_t)rl.rlim_cur < want) {
		rl.rlim_cur = (uint64_t)rl.rlim_max < want ? rl.rlim_max :
		    (rlim_t)want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 &&
		    getrlimit(RLIMIT_NOFILE, &rl) != 0)
			rl.rlim_cur = 0;
	}
	*got = (uint64_t)rl.rlim_cur;
	return *got >= want ? 0 : KTS_EIO;
}

static uint64_t
clock_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
kts_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

uint64_t
kts_mono_ms(void)
{
	return clock_us(CLOCK_MONOTONIC) / 1000u;
}

uint64_t
kts_real_us(void)
{
	return clock_us(CLOCK_REALTIME);
}
