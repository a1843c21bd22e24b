/*
 * Unit tests for the helpers in src/util.c: listener address forms,
 * address formatting, the UTF-8 glob used by bans and LIST/WHO masks
 * (including masks built to make a backtracking matcher explode), the
 * IRCv3 server-time format both ways, and UTF-8 safe truncation.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util.h"

/* Parse spec and check family, address text, port and wildcard. */
static void
test_addr_ok(const char *spec, int defport, int family, const char *addr,
    int port, int wildcard)
{
	struct sockaddr_storage	 ss;
	char			 a[64];
	int			 w = -1;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	if (addr_parse(spec, defport, &ss, &w) != 0)
		fail_msg("addr_parse(\"%s\") failed", spec);
	assert_int_equal(ss.ss_family, family);
	if (family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
		assert_int_equal(ntohs(sin->sin_port), port);
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof a);
		assert_int_equal(ntohs(sin6->sin6_port), port);
	}
	assert_string_equal(a, addr);
	assert_int_equal(w, wildcard);
	/* Only checking is allowed too. */
	assert_int_equal(addr_parse(spec, defport, NULL, NULL), 0);
}

static void
test_addr_bad(const char *spec, int defport)
{
	struct sockaddr_storage	ss;
	int			w;

	if (addr_parse(spec, defport, &ss, &w) != -1)
		fail_msg("addr_parse(\"%s\") accepted", spec);
	assert_int_equal(addr_parse(spec, defport, NULL, NULL), -1);
}

static void
test_util_addr_parse(void **state)
{
	char	long_spec[300];

	(void)state;
	test_addr_ok("1.2.3.4:5", 0, AF_INET, "1.2.3.4", 5, 0);
	test_addr_ok("[::1]:6", 0, AF_INET6, "::1", 6, 0);
	test_addr_ok(":7", 0, AF_INET6, "::", 7, 1);
	test_addr_ok("8", 0, AF_INET6, "::", 8, 1);
	test_addr_ok("*:9", 0, AF_INET6, "::", 9, 1);
	test_addr_ok("0.0.0.0:10", 0, AF_INET, "0.0.0.0", 10, 1);
	test_addr_ok("[::]:11", 0, AF_INET6, "::", 11, 1);
	test_addr_ok("127.0.0.1:0", 0, AF_INET, "127.0.0.1", 0, 0);
	test_addr_ok("[fe80::1:2]:65535", 0, AF_INET6, "fe80::1:2", 65535, 0);
	test_addr_ok("[::ffff:1.2.3.4]:12", 0, AF_INET6, "::ffff:1.2.3.4",
	    12, 0);
	/* A default port for specs without one. */
	test_addr_ok("10.0.0.1", 6667, AF_INET, "10.0.0.1", 6667, 0);
	test_addr_ok("[::1]", 6697, AF_INET6, "::1", 6697, 0);
	test_addr_ok("*", 6667, AF_INET6, "::", 6667, 1);
	test_addr_ok("1.2.3.4:5", 6667, AF_INET, "1.2.3.4", 5, 0);

	test_addr_bad("10.0.0.1", 0);		/* a port is required */
	test_addr_bad("[::1]", 0);
	test_addr_bad("*", 0);
	test_addr_bad("", 0);
	test_addr_bad("1.2.3.4:", 0);
	test_addr_bad("1.2.3.4:x", 0);
	test_addr_bad("1.2.3.4:5x", 0);
	test_addr_bad("1.2.3.4:65536", 0);
	test_addr_bad("1.2.3.4:-1", 0);
	test_addr_bad("1.2.3.4: 5", 0);
	test_addr_bad("1.2.3.4:+5", 0);
	test_addr_bad("1.2.3.4:99999999999999999999", 0);
	test_addr_bad("65536", 0);
	test_addr_bad("::1", 6667);		/* bare IPv6 needs brackets */
	test_addr_bad("::1:5", 0);
	test_addr_bad("1.2.3.4:5:6", 0);
	test_addr_bad("[::1", 0);
	test_addr_bad("[::1]x", 0);
	test_addr_bad("[::1]:", 0);
	test_addr_bad("[::1]:x", 0);
	test_addr_bad("[nothost]:5", 0);
	test_addr_bad("999.1.1.1:5", 0);
	test_addr_bad("1.2.3:5", 6667);
	test_addr_bad("localhost:5", 0);	/* no name lookups */
	test_addr_bad("host.example", 6667);
	test_addr_bad("**:5", 0);
	memset(long_spec, '1', sizeof long_spec);
	long_spec[sizeof long_spec - 1] = '\0';
	test_addr_bad(long_spec, 0);
	long_spec[200] = ':';
	test_addr_bad(long_spec, 0);
	long_spec[0] = '[';
	long_spec[199] = ']';
	test_addr_bad(long_spec, 0);
}

static void
test_util_addr_format(void **state)
{
	struct sockaddr_storage	ss;
	char			out[64];

	(void)state;
	assert_int_equal(addr_parse("1.2.3.4:5", 0, &ss, NULL), 0);
	addr_format((struct sockaddr *)&ss, out, sizeof out, 1);
	assert_string_equal(out, "1.2.3.4:5");
	addr_format((struct sockaddr *)&ss, out, sizeof out, 0);
	assert_string_equal(out, "1.2.3.4");
	assert_int_equal(addr_parse("[::1]:6", 0, &ss, NULL), 0);
	addr_format((struct sockaddr *)&ss, out, sizeof out, 1);
	assert_string_equal(out, "[::1]:6");
	addr_format((struct sockaddr *)&ss, out, sizeof out, 0);
	assert_string_equal(out, "::1");
	/* IPv4-mapped addresses print as IPv4. */
	assert_int_equal(addr_parse("[::ffff:10.1.2.3]:7", 0, &ss, NULL), 0);
	addr_format((struct sockaddr *)&ss, out, sizeof out, 1);
	assert_string_equal(out, "10.1.2.3:7");
	/* A small buffer is cut, never overrun. */
	assert_int_equal(addr_parse("[fe80::1234:5678]:6667", 0, &ss, NULL),
	    0);
	memset(out, 'Z', sizeof out);
	addr_format((struct sockaddr *)&ss, out, 8, 1);
	assert_string_equal(out, "[fe80::");
	assert_int_equal(out[8], 'Z');
}

static void
test_util_mask_match(void **state)
{
	(void)state;
	assert_true(mask_match("*", ""));
	assert_true(mask_match("*", "anything"));
	assert_true(mask_match("**", "x"));
	assert_true(mask_match("", ""));
	assert_false(mask_match("", "a"));
	assert_false(mask_match("a", ""));
	assert_false(mask_match("?", ""));
	assert_true(mask_match("abc", "abc"));
	assert_false(mask_match("abc", "abd"));
	assert_false(mask_match("abc", "abcd"));
	assert_false(mask_match("abcd", "abc"));
	assert_true(mask_match("a?c", "abc"));
	assert_false(mask_match("a?c", "ac"));
	assert_true(mask_match("a*c", "ac"));
	assert_true(mask_match("a*c", "abbbc"));
	assert_false(mask_match("a*c", "abbbd"));
	assert_true(mask_match("*c", "abcabc"));
	assert_true(mask_match("*a*", "banana"));
	assert_true(mask_match("*ana", "banana"));
	assert_false(mask_match("*anab", "banana"));
	assert_true(mask_match("?*", "x"));
	assert_false(mask_match("?*", ""));
	assert_true(mask_match("*?", "x"));
	assert_true(mask_match("*!*@*", "nick!user@host"));
	assert_true(mask_match("nick!*@*", "nick!user@host"));
	assert_false(mask_match("nick!*@*", "nick2!user@host"));
	assert_true(mask_match("*!*@10.0.*", "n!u@10.0.0.1"));
	assert_false(mask_match("*!*@10.0.*", "n!u@10.1.0.1"));
	/* '?' is one code point, whatever its length in bytes. */
	assert_true(mask_match("?", "\xc3\xa9"));			/* é */
	assert_true(mask_match("?", "\xe6\x97\xa5"));			/* 日 */
	assert_true(mask_match("?", "\xf0\x9f\x98\x80"));		/* 😀 */
	assert_false(mask_match("??", "\xc3\xa9"));
	assert_true(mask_match("caf?", "caf\xc3\xa9"));
	assert_true(mask_match("?\xd0\xb2?\xd0\xbd", "\xd0\xb8\xd0\xb2"
	    "\xd0\xb0\xd0\xbd"));		/* ?в?н */
	assert_true(mask_match("*\xc3\xa9*", "caf\xc3\xa9s"));
	assert_false(mask_match("*\xc3\xa9*", "cafe"));
	assert_true(mask_match("*?\xc3\xa9", "\xc3\xa9\xc3\xa9"));
	assert_false(mask_match("*??\xc3\xa9", "\xc3\xa9\xc3\xa9"));
	assert_true(mask_match("#*-\xd0\xbf*", "#\xd0\xbe\xd1\x82-"
	    "\xd0\xbf\xd1\x80"));
}

/* A sequence cut at the end of the string is one (broken) character:
 * '?' and '*' must not step over the terminator. */
static void
test_util_mask_truncated(void **state)
{
	static const char *const cut[] = {
		"\xc3", "\xe6\x97", "\xf0\x9f\x98", "a\xf0", "\xf0\x9f",
	};
	char	*s;
	size_t	 i, n;

	(void)state;
	for (i = 0; i < sizeof cut / sizeof *cut; i++) {
		/* An exact-size heap copy, so ASan sees any overread. */
		n = strlen(cut[i]);
		s = malloc(n + 1);
		assert_non_null(s);
		memcpy(s, cut[i], n + 1);
		(void)mask_match("?", s);
		(void)mask_match("??", s);
		(void)mask_match("*x", s);
		(void)mask_match("*?x", s);
		(void)mask_match("a?", s);
		assert_true(mask_match("*", s));
		free(s);
	}
	assert_true(mask_match("?", "\xc3"));
	assert_false(mask_match("?x", "\xe6\x97"));
}

/* Masks that make a naive backtracking matcher exponential. */
static void
test_util_mask_pathological(void **state)
{
	char		*s, mask[256];
	size_t		 n = 20000, i;
	struct timespec	 t0, t1;
	double		 el;

	(void)state;
	s = malloc(n + 2);
	assert_non_null(s);
	memset(s, 'a', n);
	s[n] = '\0';
	mask[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(mask, "*a");
	strcat(mask, "*b");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(mask_match(mask, s));
	s[n] = 'b';
	s[n + 1] = '\0';
	assert_true(mask_match(mask, s));
	s[n] = '\0';
	memset(mask, '?', 200);
	strcpy(mask + 200, "*b");
	assert_false(mask_match(mask, s));
	strcpy(mask, "*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*b");
	assert_false(mask_match(mask, s));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(el < 2.0);
	free(s);
}

static void
test_util_time(void **state)
{
	char		out[64];
	uint64_t	ms, back;
	uint32_t	seed = 7;
	int		i;

	(void)state;
	time_format_iso(0, out, sizeof out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_format_iso(1700000000123ULL, out, sizeof out);
	assert_string_equal(out, "2023-11-14T22:13:20.123Z");
	time_format_iso(951782400999ULL, out, sizeof out);	/* leap day */
	assert_string_equal(out, "2000-02-29T00:00:00.999Z");
	time_format_iso(253402300799999ULL, out, sizeof out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");

	assert_int_equal(time_parse_iso("1970-01-01T00:00:00.000Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.123Z", &ms), 0);
	assert_int_equal(ms, 1700000000123ULL);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20Z", &ms), 0);
	assert_int_equal(ms, 1700000000000ULL);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.5Z", &ms), 0);
	assert_int_equal(ms, 1700000000500ULL);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.12Z", &ms), 0);
	assert_int_equal(ms, 1700000000120ULL);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.123999Z", &ms),
	    0);
	assert_int_equal(ms, 1700000000123ULL);

	ms = 42;
	assert_int_equal(time_parse_iso("", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.123", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20.123Zx", &ms),
	    -1);
	assert_int_equal(time_parse_iso("2023-11-14 22:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-13-14T22:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-00-14T22:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-00T22:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-32T22:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T24:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:60:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:61Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T-1:13:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:-1:20Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:-1Z", &ms), -1);
	assert_int_equal(time_parse_iso("1969-12-31T23:59:59Z", &ms), -1);
	assert_int_equal(time_parse_iso("2023-11-14T22:13:20+01:00", &ms), -1);
	assert_int_equal(ms, 42);

	/* Round trip over random times up to the year 9999. */
	for (i = 0; i < 100000; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		ms = ((uint64_t)seed << 20 ^ seed) % 253402300800000ULL;
		time_format_iso(ms, out, sizeof out);
		assert_int_equal(strlen(out), 24);
		assert_int_equal(time_parse_iso(out, &back), 0);
		if (back != ms)
			fail_msg("%s: %llu != %llu", out,
			    (unsigned long long)back, (unsigned long long)ms);
	}
}

static void
test_util_clocks(void **state)
{
	uint64_t	a, b;

	(void)state;
	a = now_ms();
	b = now_ms();
	assert_true(b >= a);
	/* Wall clock after 2020-01-01. */
	assert_true(wall_ms() > 1577836800000ULL);
}

/* utf8_truncate: the longest prefix <= max that ends on a boundary. */
static void
test_util_utf8_truncate(void **state)
{
	static const char *const pieces[] = {
		"a", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
		"e\xcc\x81",
	};
	char		 s[400];
	size_t		 len, max, n, k;
	uint32_t	 seed = 99;
	int		 iter;

	(void)state;
	assert_int_equal(utf8_truncate("", 0), 0);
	assert_int_equal(utf8_truncate("", 10), 0);
	assert_int_equal(utf8_truncate("abc", 10), 3);
	assert_int_equal(utf8_truncate("abc", 3), 3);
	assert_int_equal(utf8_truncate("abc", 2), 2);
	assert_int_equal(utf8_truncate("abc", 0), 0);
	assert_int_equal(utf8_truncate("a\xc3\xa9", 2), 1);
	assert_int_equal(utf8_truncate("a\xc3\xa9", 3), 3);
	assert_int_equal(utf8_truncate("\xf0\x9f\x98\x80", 3), 0);
	assert_int_equal(utf8_truncate("\xf0\x9f\x98\x80x", 4), 4);
	for (iter = 0; iter < 2000; iter++) {
		s[0] = '\0';
		len = 0;
		while (len < 300) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			strcat(s, pieces[seed % 5]);
			len = strlen(s);
		}
		for (max = 0; max <= len + 2; max++) {
			n = utf8_truncate(s, max);
			assert_true(n <= max && n <= len);
			/* Never inside a character. */
			assert_true(n == len ||
			    ((unsigned char)s[n] & 0xC0) != 0x80);
			/* And the longest such cut. */
			for (k = n + 1; k <= max && k <= len; k++)
				assert_true(k < len &&
				    ((unsigned char)s[k] & 0xC0) == 0x80);
		}
	}
}

static void
test_util_strings(void **state)
{
	char		buf[8];
	long long	v = 5;

	(void)state;
	assert_int_equal(strlcpy_u(buf, "abc", sizeof buf), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(strlcpy_u(buf, "abcdefghij", sizeof buf), 10);
	assert_string_equal(buf, "abcdefg");
	buf[0] = 'Z';
	assert_int_equal(strlcpy_u(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(strlcpy_u(buf, "abc", 1), 3);
	assert_string_equal(buf, "");
	/* A cut never splits a UTF-8 character. */
	assert_int_equal(strlcpy_u(buf, "abcdef\xc3\xa9", sizeof buf), 8);
	assert_string_equal(buf, "abcdef");
	assert_int_equal(strlcpy_u(buf, "a\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	    sizeof buf), 9);
	assert_string_equal(buf, "a\xf0\x9f\x98\x80");

	assert_int_equal(str_to_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_to_int("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(str_to_int("100", 0, 100, &v), 0);
	v = 7;
	assert_int_equal(str_to_int("101", 0, 100, &v), -1);
	assert_int_equal(str_to_int("-1", 0, 100, &v), -1);
	assert_int_equal(str_to_int("", 0, 100, &v), -1);
	assert_int_equal(str_to_int("4x", 0, 100, &v), -1);
	assert_int_equal(str_to_int("x", 0, 100, &v), -1);
	assert_int_equal(str_to_int("99999999999999999999", 0, 1LL << 62,
	    &v), -1);
	assert_int_equal(v, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_addr_parse),
		cmocka_unit_test(test_util_addr_format),
		cmocka_unit_test(test_util_mask_match),
		cmocka_unit_test(test_util_mask_truncated),
		cmocka_unit_test(test_util_mask_pathological),
		cmocka_unit_test(test_util_time),
		cmocka_unit_test(test_util_clocks),
		cmocka_unit_test(test_util_utf8_truncate),
		cmocka_unit_test(test_util_strings),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
