/*
 * Unit tests for the pure helpers of src/upload.c: file names from what
 * clients send (path tricks, controls, bidi, lengths, RFC 6266/5987
 * parameters), the magic numbers that decide what is shown inline, and
 * Range headers against a file size (RFC 9110 14.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "upload.h"

static void
test_clean(const char *in, size_t len, const char *want)
{
	char	out[UPLOAD_NAME_MAX + 1];

	upload_name_clean(in, len, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("clean(\"%.*s\") = \"%s\", want \"%s\"", (int)len,
		    in, out, want);
}

#define CLEAN(s, want)	test_clean((s), sizeof(s) - 1, (want))

static void
test_upload_name_clean(void **state)
{
	char	long_in[5000], out[UPLOAD_NAME_MAX + 1];
	size_t	n;

	(void)state;
	CLEAN("photo.jpg", "photo.jpg");
	CLEAN("../../etc/passwd", "passwd");
	CLEAN("..\\x", "x");
	CLEAN("C:\\Users\\me\\a.txt", "a.txt");
	CLEAN("dir/", "file");
	CLEAN("..", "file");
	CLEAN(".", "file");
	CLEAN("", "file");
	CLEAN(".hidden", "hidden");
	CLEAN("trailing. . ", "trailing");
	CLEAN("a\0b.txt", "ab.txt");
	CLEAN("a\r\nb\tc\x7f.txt", "abc.txt");
	CLEAN("\xe2\x80\xae" "gpj.exe", "gpj.exe");		/* RLO */
	CLEAN("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c", "abc");	/* ZWSP, BOM */
	CLEAN("a\xe2\x81\xa6" "b\xe2\x81\xa9", "ab");		/* LRI..PDI */
	CLEAN("bad\xff\xfeutf8\xc0\xaf.txt", "badutf8.txt");
	CLEAN("\xed\xa0\x80x", "x");				/* surrogate */
	CLEAN("a<b>c:d\"e|f?g*h", "a_b_c_d_e_f_g_h");
	CLEAN("%2e%2e%2f", "%2e%2e%2f");
	CLEAN("caf\xc3\xa9 menu.pdf", "caf\xc3\xa9 menu.pdf");
	CLEAN("\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt",
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt");

	/* Long: at most UPLOAD_NAME_MAX bytes, the extension kept, never a
	 * character cut in half. */
	memset(long_in, 'a', 4000);
	memcpy(long_in + 4000, ".jpeg", 6);
	upload_name_clean(long_in, 4005, out, sizeof out);
	n = strlen(out);
	assert_true(n <= UPLOAD_NAME_MAX);
	assert_string_equal(out + n - 5, ".jpeg");
	for (n = 0; n + 2 <= 4000; n += 2)
		memcpy(long_in + n, "\xd0\x96", 2);
	memcpy(long_in + 4000, ".txt", 5);
	upload_name_clean(long_in, 4004, out, sizeof out);
	n = strlen(out);
	assert_true(n <= UPLOAD_NAME_MAX);
	assert_string_equal(out + n - 4, ".txt");
	assert_true((n - 4) % 2 == 0);
	/* A small output buffer is respected too. */
	upload_name_clean("abcdefghij", 10, out, 5);
	assert_string_equal(out, "abcd");
}

static void
test_disp(const char *v, const char *want)
{
	char	out[UPLOAD_NAME_MAX + 1];

	upload_name_from_disposition(v, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("disposition(%s) = \"%s\", want \"%s\"",
		    v != NULL ? v : "NULL", out, want);
}

static void
test_upload_disposition(void **state)
{
	(void)state;
	test_disp(NULL, "file");
	test_disp("", "file");
	test_disp("attachment", "file");
	test_disp("attachment; filename=plain.txt", "plain.txt");
	test_disp("attachment; filename=\"quoted name.txt\"",
	    "quoted name.txt");
	test_disp("attachment; filename=\"with \\\"escapes\\\".txt\"",
	    "with _escapes_.txt");
	test_disp("attachment; FILENAME=\"upper.txt\"", "upper.txt");
	test_disp("inline; filename = \"spaced.txt\" ; size=3", "spaced.txt");
	test_disp("attachment; filename*=UTF-8''caf%C3%A9.txt",
	    "caf\xc3\xa9.txt");
	test_disp("attachment; filename*=utf-8'en'%E2%82%AC.txt",
	    "\xe2\x82\xac.txt");
	test_disp("attachment; filename=\"fallback.txt\"; "
	    "filename*=UTF-8''better.txt", "better.txt");
	test_disp("attachment; filename*=UTF-8''better.txt; "
	    "filename=\"fallback.txt\"", "better.txt");
	test_disp("attachment; filename*=ISO-8859-1''%E9.txt; "
	    "filename=\"ok.txt\"", "ok.txt");
	test_disp("attachment; filename*=UTF-8''%2e%2e%2fpasswd", "passwd");
	test_disp("attachment; filename*=UTF-8''a%00b", "ab");
	test_disp("attachment; filename*=UTF-8''%zz%4", "%zz%4");
	test_disp("attachment; filename*=nocharset", "file");
	test_disp("attachment; filename=\"unterminated", "unterminated");
	test_disp("attachment; filename=", "file");
	test_disp("attachment; name=\"field\"; filename=\"f.bin\"", "f.bin");
	test_disp(";;;=;=\"\";filename", "file");
}

static void
test_upload_magic(void **state)
{
	(void)state;
	assert_string_equal(upload_magic_type((const unsigned char *)
	    "\x89PNG\r\n\x1a\n....", 12), "image/png");
	assert_string_equal(upload_magic_type((const unsigned char *)
	    "\xff\xd8\xff\xe0", 4), "image/jpeg");
	assert_string_equal(upload_magic_type((const unsigned char *)
	    "GIF87a", 6), "image/gif");
	assert_string_equal(upload_magic_type((const unsigned char *)
	    "GIF89a/*", 8), "image/gif");
	assert_string_equal(upload_magic_type((const unsigned char *)
	    "RIFF\0\0\0\0WEBPVP8 ", 16), "image/webp");
	assert_null(upload_magic_type((const unsigned char *)
	    "RIFF\0\0\0\0WAVEfmt ", 16));
	assert_null(upload_magic_type((const unsigned char *)
	    "<svg onload=", 11));
	assert_null(upload_magic_type((const unsigned char *)
	    "<html>", 6));
	assert_null(upload_magic_type((const unsigned char *)"\x89PNG", 4));
	assert_null(upload_magic_type((const unsigned char *)"", 0));
	assert_null(upload_magic_type((const unsigned char *)"%PDF-1.7", 8));
}

static void
test_range(const char *v, uint64_t size, int want, uint64_t first,
    uint64_t last)
{
	uint64_t	f = 12345, l = 12345;
	int		r;

	r = upload_parse_range(v, size, &f, &l);
	if (r != want)
		fail_msg("range(%s, %llu) = %d, want %d", v != NULL ? v :
		    "NULL", (unsigned long long)size, r, want);
	if (r == 1 && (f != first || l != last))
		fail_msg("range(%s, %llu) = %llu-%llu, want %llu-%llu", v,
		    (unsigned long long)size, (unsigned long long)f,
		    (unsigned long long)l, (unsigned long long)first,
		    (unsigned long long)last);
}

static void
test_upload_range(void **state)
{
	(void)state;
	test_range(NULL, 100, 0, 0, 0);
	test_range("bytes=0-9", 100, 1, 0, 9);
	test_range("bytes=10-", 100, 1, 10, 99);
	test_range("bytes=-10", 100, 1, 90, 99);
	test_range("bytes=-1000", 100, 1, 0, 99);
	test_range("bytes=90-1000", 100, 1, 90, 99);
	test_range("bytes=99-99", 100, 1, 99, 99);
	test_range("BYTES=0-0", 100, 1, 0, 0);
	test_range("bytes= 5-6 ", 100, 1, 5, 6);
	test_range("bytes=100-", 100, -1, 0, 0);
	test_range("bytes=100-200", 100, -1, 0, 0);
	test_range("bytes=-0", 100, -1, 0, 0);
	test_range("bytes=0-", 0, -1, 0, 0);
	test_range("bytes=-5", 0, -1, 0, 0);
	test_range("bytes=0-1,5-6", 100, 0, 0, 0);
	test_range("bytes=5-1", 100, 0, 0, 0);
	test_range("bytes=a-b", 100, 0, 0, 0);
	test_range("bytes=-", 100, 0, 0, 0);
	test_range("bytes=", 100, 0, 0, 0);
	test_range("bytes=1", 100, 0, 0, 0);
	test_range("bytes=1-2x", 100, 0, 0, 0);
	test_range("items=0-1", 100, 0, 0, 0);
	test_range("bytes=18446744073709551615-", 100, -1, 0, 0);
	test_range("bytes=99999999999999999999999-", 100, 0, 0, 0);
	test_range("bytes=0-99999999999999999999999", 100, 0, 0, 0);
	test_range("bytes=0-18446744073709551615", 100, 1, 0, 99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upload_name_clean),
		cmocka_unit_test(test_upload_disposition),
		cmocka_unit_test(test_upload_magic),
		cmocka_unit_test(test_upload_range),
	};

	return cmocka_run_group_tests_name("upload", tests, NULL, NULL);
}
