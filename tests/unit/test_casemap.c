/*
 * Unit tests for the name fold and the name checks (src/casemap.c).
 * The fold is tested against Unicode's own data from Debian's
 * unicode-data package: CaseFolding.txt (C and F mappings) and
 * NormalizationTest.txt.bz2 (NFKC-equivalent strings fold the same),
 * then for idempotence over every assigned code point.  The checks are
 * tested with the look-alike and invisible-character cases of the
 * battery (T09).  Code points utf8proc calls unassigned are skipped, so
 * a newer unicode-data than utf8proc's tables does not fail the build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <utf8proc.h>

#include "lc_limits.h"
#include "casemap.h"

#define CASEFOLDING	"/usr/share/unicode/CaseFolding.txt"
#define NORMTEST	"/usr/share/unicode/NormalizationTest.txt.bz2"
#define FOLDSZ		512

/* Scripts whose case folding we promise; each must have been checked. */
static const char *const test_scripts[] = {
	"Latin", "Greek", "Cyrillic", "Armenian", "Georgian", "Cherokee",
	"Coptic", "Glagolitic", "Deseret", "Osage", "Adlam", "Warang_Citi",
	"Medefaidrin", "Old_Hungarian", "Vithkuqi",
};
#define TEST_NSCRIPTS	(sizeof test_scripts / sizeof *test_scripts)

static int
test_assigned(int32_t cp)
{
	return utf8proc_codepoint_valid(cp) &&
	    utf8proc_category(cp) != UTF8PROC_CATEGORY_CN;
}

/* Append code point cp to s (size sz); 0, or -1 when it does not fit. */
static int
test_put(char *s, size_t sz, int32_t cp)
{
	size_t	len = strlen(s);

	if (len + 5 > sz)
		return -1;
	len += utf8proc_encode_char(cp, (utf8proc_uint8_t *)s + len);
	s[len] = '\0';
	return 0;
}

/*
 * Turn a list of hex code points ("0044 0307") into UTF-8.  Returns 0,
 * or -1 if one of them is unassigned for utf8proc.
 */
static int
test_hex_to_utf8(const char *hex, char *out, size_t outsz)
{
	char	*end;
	long	 cp;

	out[0] = '\0';
	for (;;) {
		while (*hex == ' ')
			hex++;
		if (*hex == '\0')
			break;
		cp = strtol(hex, &end, 16);
		assert_true(end != hex);
		hex = end;
		if (!test_assigned(cp))
			return -1;
		assert_int_equal(test_put(out, outsz, cp), 0);
	}
	return 0;
}

/* fold s, which must succeed. */
static void
test_fold(const char *s, char *out)
{
	if (casemap_fold(s, out, FOLDSZ) != 0)
		fail_msg("casemap_fold(\"%s\") failed", s);
}

static int
test_fold_eq(const char *a, const char *b)
{
	char	fa[FOLDSZ], fb[FOLDSZ];

	test_fold(a, fa);
	test_fold(b, fb);
	return strcmp(fa, fb) == 0;
}

/*
 * CaseFolding.txt, C and F: fold(code) == fold(mapping), for every line
 * (every script: Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee,
 * Glagolitic, Deseret, Osage, Adlam, ...).
 */
static void
test_casemap_casefolding(void **state)
{
	FILE	*f;
	char	 line[1024], *code, *status, *mapping, *save;
	char	 a[64], b[64], fa[FOLDSZ], fb[FOLDSZ];
	long	 cp;
	int	 checked = 0, bad = 0, seen[TEST_NSCRIPTS] = { 0 };
	size_t	 i;

	(void)state;
	if ((f = fopen(CASEFOLDING, "r")) == NULL) {
		print_message("no %s (install unicode-data)\n", CASEFOLDING);
		skip();
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		code = strtok_r(line, ";", &save);
		status = strtok_r(NULL, ";", &save);
		mapping = strtok_r(NULL, ";", &save);
		assert_non_null(mapping);
		while (*status == ' ')
			status++;
		if (*status != 'C' && *status != 'F')
			continue;
		cp = strtol(code, NULL, 16);
		if (test_hex_to_utf8(code, a, sizeof a) != 0 ||
		    test_hex_to_utf8(mapping, b, sizeof b) != 0)
			continue;
		test_fold(a, fa);
		test_fold(b, fb);
		checked++;
		for (i = 0; i < TEST_NSCRIPTS; i++)
			if (strcmp(casemap_script_name(casemap_script(cp)),
			    test_scripts[i]) == 0)
				seen[i]++;
		if (strcmp(fa, fb) == 0)
			continue;
		if (bad++ < 20)
			print_error("U+%04lX (%s): fold %s != fold of its "
			    "folding %s\n", cp,
			    casemap_script_name(casemap_script(cp)), fa, fb);
	}
	fclose(f);
	for (i = 0; i < TEST_NSCRIPTS; i++)
		if (seen[i] == 0)
			fail_msg("no mapping checked for %s", test_scripts[i]);
	assert_true(checked > 1400);
	assert_int_equal(bad, 0);
}

/*
 * NormalizationTest.txt: c1..c5 are NFKC-equivalent (NFKC(c1..c5) ==
 * c4), so all five must fold the same.
 */
static void
test_casemap_normalization(void **state)
{
	FILE	*p;
	char	 line[2048], *col[5], *save, *s;
	char	 u[5][256], fu[5][FOLDSZ];
	int	 i, skip_line, checked = 0, bad = 0;

	(void)state;
	if ((p = fopen(NORMTEST, "r")) == NULL) {
		print_message("no %s (install unicode-data)\n", NORMTEST);
		skip();
	}
	fclose(p);
	p = popen("bzcat " NORMTEST, "r");
	assert_non_null(p);
	while (fgets(line, sizeof line, p) != NULL) {
		if (line[0] == '#' || line[0] == '@' || line[0] == '\n')
			continue;
		s = line;
		for (i = 0; i < 5; i++) {
			col[i] = strtok_r(s, ";", &save);
			s = NULL;
			assert_non_null(col[i]);
		}
		skip_line = 0;
		for (i = 0; i < 5 && !skip_line; i++)
			if (test_hex_to_utf8(col[i], u[i], sizeof u[i]) != 0)
				skip_line = 1;
		if (skip_line)
			continue;
		for (i = 0; i < 5; i++)
			test_fold(u[i], fu[i]);
		checked++;
		for (i = 1; i < 5; i++) {
			if (strcmp(fu[0], fu[i]) == 0)
				continue;
			if (bad++ < 20)
				print_error("NormalizationTest: %s;%s;%s;%s;%s:"
				    " fold(c1) != fold(c%d)\n", col[0], col[1],
				    col[2], col[3], col[4], i + 1);
			break;
		}
	}
	assert_int_equal(pclose(p), 0);
	assert_true(checked > 15000);
	assert_int_equal(bad, 0);
}

/* fold(fold(x)) == fold(x) for every assigned code point, alone and
 * after a base letter. */
static void
test_casemap_idempotent(void **state)
{
	char	s[16], f1[FOLDSZ], f2[FOLDSZ];
	int32_t	cp;
	int	bad = 0, n = 0;

	(void)state;
	for (cp = 1; cp <= 0x10FFFF; cp++) {
		if (!test_assigned(cp))
			continue;
		s[0] = '\0';
		test_put(s, sizeof s, cp);
		test_fold(s, f1);
		test_fold(f1, f2);
		n++;
		if (strcmp(f1, f2) != 0 && bad++ < 20)
			print_error("U+%04X: fold is not idempotent\n", cp);
		strcpy(s, "A");
		test_put(s, sizeof s, cp);
		test_fold(s, f1);
		test_fold(f1, f2);
		if (strcmp(f1, f2) != 0 && bad++ < 20)
			print_error("A U+%04X: fold is not idempotent\n", cp);
	}
	assert_true(n > 140000);
	assert_int_equal(bad, 0);
}

/* The ASCII fast path gives what utf8proc gives. */
static void
test_casemap_ascii_path(void **state)
{
	char	s[8], f[FOLDSZ], want[8];
	int	c;

	(void)state;
	for (c = 1; c < 0x80; c++) {
		snprintf(s, sizeof s, "%c\xc3\xa9", c);
		test_fold(s, f);
		snprintf(want, sizeof want, "%c\xc3\xa9",
		    c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		assert_string_equal(f, want);
		snprintf(s, sizeof s, "%c", c);
		test_fold(s, f);
		assert_int_equal(strlen(f), 1);
		assert_int_equal(f[0], want[0]);
	}
}

static void
test_casemap_examples(void **state)
{
	char	f[FOLDSZ];

	(void)state;
	assert_true(test_fold_eq("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
	    "\xd0\xb8\xd0\x92\xd0\x90\xd0\x9d"));	/* Иван, иВАН */
	test_fold("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd", f);
	assert_string_equal(f, "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd");
	assert_true(test_fold_eq("Stra\xc3\x9f" "e", "STRASSE"));
	assert_true(test_fold_eq("Stra\xc3\x9f" "e", "strasse"));
	assert_true(test_fold_eq("\xe1\xba\x9e", "ss"));	/* ẞ */
	assert_true(test_fold_eq("\xe2\x84\xaa", "k"));	/* KELVIN SIGN */
	assert_true(test_fold_eq("\xe2\x84\xaa", "K"));
	assert_true(test_fold_eq("e\xcc\x81", "\xc3\xa9"));	/* NFD, NFC é */
	assert_true(test_fold_eq("E\xcc\x81", "\xc3\xa9"));
	assert_true(test_fold_eq("\xef\xbd\x81", "A"));	/* fullwidth a */
	assert_true(test_fold_eq("\xef\xac\x83", "FFI"));	/* U+FB03 */
	assert_true(test_fold_eq("\xce\xa3", "\xcf\x82"));	/* Σ, final ς */
	assert_true(test_fold_eq("\xe2\x85\xa0", "i"));	/* ROMAN ONE */
	/* Locale-independent: no Turkish dotless i. */
	assert_false(test_fold_eq("\xc4\xb0stanbul", "istanbul"));
	assert_false(test_fold_eq("\xc4\xb1stanbul", "istanbul"));
	assert_true(test_fold_eq("ISTANBUL", "istanbul"));
	test_fold("\xc4\xb0", f);
	assert_string_equal(f, "i\xcc\x87");
	/* Default-ignorable code points vanish from the fold. */
	assert_true(test_fold_eq("a\xc2\xad" "b", "ab"));	/* SHY */
	/* Different letters stay different. */
	assert_false(test_fold_eq("\xd0\xb0lice", "alice"));	/* Cyrillic а */
	assert_false(test_fold_eq("e", "\xc3\xa9"));
}

static void
test_casemap_fold_errors(void **state)
{
	char	f[8];

	(void)state;
	assert_int_equal(casemap_fold("", f, sizeof f), 0);
	assert_string_equal(f, "");
	assert_int_equal(casemap_fold("", f, 0), -1);
	assert_int_equal(casemap_fold("ABCDEFG", f, 8), 0);
	assert_string_equal(f, "abcdefg");
	assert_int_equal(casemap_fold("ABCDEFGH", f, 8), -1);
	assert_int_equal(casemap_fold("\xc3\xa9\xc3\xa9\xc3\xa9", f, 8), 0);
	assert_int_equal(casemap_fold("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", f,
	    8), -1);
	/* One character that folds to three does not fit in 3 bytes. */
	assert_int_equal(casemap_fold("\xef\xac\x83", f, 4), 0);
	assert_string_equal(f, "ffi");
	assert_int_equal(casemap_fold("\xef\xac\x83", f, 3), -1);
	assert_int_equal(casemap_fold("\xff", f, sizeof f), -1);
	assert_int_equal(casemap_fold("a\xc0\xaf", f, sizeof f), -1);
	assert_int_equal(casemap_fold("\xed\xa0\x80", f, sizeof f), -1);
}

/* Run the nick check; return its code and leave the fold in test_fold. */
static char	test_nfold[CASEMAP_FOLDSZ], test_why[256];

static int
test_nick(const char *s)
{
	test_why[0] = '\0';
	return casemap_check_nick(s, test_nfold, sizeof test_nfold,
	    test_why, sizeof test_why);
}

static int
test_chan(const char *s)
{
	test_why[0] = '\0';
	return casemap_check_channel(s, test_nfold, sizeof test_nfold,
	    test_why, sizeof test_why);
}

#define NICK_OK(s) do {							\
	int r_ = test_nick(s);						\
	if (r_ != CASEMAP_OK)						\
		fail_msg("nick \"%s\" refused (%d: %s)", s, r_, test_why); \
} while (0)
#define NICK_BAD(s, e) do {						\
	int r_ = test_nick(s);						\
	if (r_ != (e))							\
		fail_msg("nick \"%s\": %d, wanted %d (%s)", s, r_, e,	\
		    test_why);						\
	assert_true(test_why[0] != '\0');				\
} while (0)
#define CHAN_OK(s) do {							\
	int r_ = test_chan(s);						\
	if (r_ != CASEMAP_OK)						\
		fail_msg("channel \"%s\" refused (%d: %s)", s, r_,	\
		    test_why);						\
} while (0)
#define CHAN_BAD(s, e) do {						\
	int r_ = test_chan(s);						\
	if (r_ != (e))							\
		fail_msg("channel \"%s\": %d, wanted %d (%s)", s, r_, e, \
		    test_why);						\
	assert_true(test_why[0] != '\0');				\
} while (0)

/* A string of n copies of the UTF-8 sequence u. */
static char *
test_repeat(const char *prefix, const char *u, size_t n)
{
	size_t	 ul = strlen(u), pl = strlen(prefix), i;
	char	*s = malloc(pl + ul * n + 1);

	assert_non_null(s);
	memcpy(s, prefix, pl);
	for (i = 0; i < n; i++)
		memcpy(s + pl + i * ul, u, ul);
	s[pl + ul * n] = '\0';
	return s;
}

static void
test_casemap_nick_ok(void **state)
{
	(void)state;
	NICK_OK("alice");
	assert_string_equal(test_nfold, "alice");
	NICK_OK("Alice");
	assert_string_equal(test_nfold, "alice");
	NICK_OK("[bob]");
	NICK_OK("a_b-c");
	NICK_OK("`^{}|\\");
	NICK_OK("a1");
	NICK_OK("_1");
	NICK_OK("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd");		/* Иван */
	assert_string_equal(test_nfold, "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd");
	NICK_OK("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd_2");	/* + ASCII digits */
	NICK_OK("\xce\x91\xce\xbb\xce\xad\xce\xbe\xce\xb1\xce\xbd\xce\xb4"
	    "\xcf\x81\xce\xbf\xcf\x82");			/* Αλέξανδρος */
	NICK_OK("Stra\xc3\x9f" "e");
	assert_string_equal(test_nfold, "strasse");
	NICK_OK("e\xcc\x81mile");				/* NFD é */
	assert_string_equal(test_nfold, "\xc3\xa9mile");
	/* Japanese: Han + Hiragana + Katakana (山田たろうタロウ), and with
	 * Latin. */
	NICK_OK("\xe5\xb1\xb1\xe7\x94\xb0\xe3\x81\x9f\xe3\x82\x8d\xe3\x81"
	    "\x86\xe3\x82\xbf\xe3\x83\xad\xe3\x82\xa6");
	NICK_OK("Taro\xe5\xb1\xb1\xe7\x94\xb0\xe3\x81\x9f\xe3\x82\xbf");
	NICK_OK("\xe3\x82\xbf\xe3\x83\xbc\xe3\x83\xa9");	/* ター */
	/* Korean: Hangul + Han, and with Latin. */
	NICK_OK("\xea\xb9\x80\xe9\x87\x91");			/* 김金 */
	NICK_OK("kim\xea\xb9\x80\xe9\x87\x91");
	/* Chinese: Han + Bopomofo. */
	NICK_OK("\xe7\x8e\x8b\xe3\x84\x85");			/* 王ㄅ */
	NICK_OK("\xd8\xb9\xd9\x84\xd9\x8a");			/* Arabic علي */
	NICK_OK("\xd7\x93\xd7\x95\xd7\x93");			/* Hebrew דוד */
	NICK_OK("\xe0\xa4\xb0\xe0\xa4\xbe\xe0\xa4\xae");	/* राम */
	/* Exactly NICKLEN characters, counted after folding. */
	{
		char	*s = test_repeat("", "a", NICKLEN);

		NICK_OK(s);
		free(s);
		s = test_repeat("", "\xd0\x96", NICKLEN);	/* Ж x 32 */
		NICK_OK(s);
		free(s);
		s = test_repeat("a", "\xef\xac\x83", (NICKLEN - 2) / 3);
		NICK_OK(s);					/* 31 */
		free(s);
	}
}

static void
test_casemap_nick_bad(void **state)
{
	char	*s;

	(void)state;
	NICK_BAD("", CASEMAP_EMPTY);
	/* Look-alikes: Cyrillic а with Latin. */
	NICK_BAD("\xd0\xb0lice", CASEMAP_MIXED_SCRIPT);
	NICK_BAD("alic\xd0\xb5", CASEMAP_MIXED_SCRIPT);
	NICK_BAD("\xce\xb1lpha", CASEMAP_MIXED_SCRIPT);	/* Greek α */
	NICK_BAD("\xd0\x98\xce\xb1", CASEMAP_MIXED_SCRIPT);	/* Иα */
	NICK_BAD("\xea\xb9\x80\xe3\x81\x9f", CASEMAP_MIXED_SCRIPT);
	NICK_BAD("\xe3\x84\x85\xe3\x81\x9f", CASEMAP_MIXED_SCRIPT);
	/* Bidi, invisible and format characters. */
	NICK_BAD("ab\xe2\x80\xae" "cd", CASEMAP_BIDI);		/* U+202E */
	NICK_BAD("\xe2\x80\x8f" "ab", CASEMAP_BIDI);		/* U+200F */
	NICK_BAD("ab\xe2\x81\xa6", CASEMAP_BIDI);		/* U+2066 */
	NICK_BAD("ab\xe2\x80\x8b" "cd", CASEMAP_INVISIBLE);	/* U+200B */
	NICK_BAD("ab\xe2\x80\x8d" "cd", CASEMAP_INVISIBLE);	/* U+200D */
	NICK_BAD("\xef\xbb\xbf" "ab", CASEMAP_INVISIBLE);	/* U+FEFF */
	NICK_BAD("ab\xc2\xad", CASEMAP_INVISIBLE);		/* SHY */
	NICK_BAD("a\xe1\x85\x9f", CASEMAP_INVISIBLE);		/* U+115F */
	/* Controls and spaces. */
	NICK_BAD("a\x01" "b", CASEMAP_CONTROL);
	NICK_BAD("a\x1b[0m", CASEMAP_CONTROL);
	NICK_BAD("a\x7f", CASEMAP_CONTROL);
	NICK_BAD("a\xc2\x85", CASEMAP_CONTROL);		/* NEL */
	NICK_BAD("a\tb", CASEMAP_CONTROL);
	NICK_BAD("a b", CASEMAP_SPACE);
	NICK_BAD(" a", CASEMAP_SPACE);
	NICK_BAD("a\xc2\xa0" "b", CASEMAP_SPACE);		/* NBSP */
	NICK_BAD("a\xe3\x80\x80" "b", CASEMAP_SPACE);		/* U+3000 */
	NICK_BAD("a\xe2\x80\xa8" "b", CASEMAP_SPACE);		/* LINE SEP */
	/* Combining marks only, or first, or stacked. */
	NICK_BAD("\xcc\x81", CASEMAP_BAD_START);
	NICK_BAD("\xcc\x81\xcc\x81\xcc\x81", CASEMAP_BAD_START);
	NICK_BAD("\xcc\x81" "a", CASEMAP_BAD_START);
	NICK_BAD("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85", CASEMAP_MARKS);
	NICK_OK("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84");
	/* A leading digit or '-'. */
	NICK_BAD("1abc", CASEMAP_BAD_START);
	NICK_BAD("9", CASEMAP_BAD_START);
	NICK_BAD("-abc", CASEMAP_BAD_START);
	NICK_BAD("\xef\xbc\x91" "abc", CASEMAP_BAD_START);	/* U+FF11 */
	NICK_BAD("\xd9\xa1" "abc", CASEMAP_BAD_START);	/* Arabic-Indic 1 */
	/* ASCII that IRC uses as syntax, and symbols. */
	NICK_BAD("a!b", CASEMAP_BAD_CHAR);
	NICK_BAD("a@b", CASEMAP_BAD_CHAR);
	NICK_BAD("#a", CASEMAP_BAD_CHAR);
	NICK_BAD("a,b", CASEMAP_BAD_CHAR);
	NICK_BAD("a:b", CASEMAP_BAD_CHAR);
	NICK_BAD("a*", CASEMAP_BAD_CHAR);
	NICK_BAD("a?", CASEMAP_BAD_CHAR);
	NICK_BAD("a.b", CASEMAP_BAD_CHAR);
	NICK_BAD("a\xe2\x98\x95", CASEMAP_BAD_CHAR);		/* ☕ */
	NICK_BAD("a\xf0\x9f\x98\x80", CASEMAP_BAD_CHAR);	/* 😀 */
	/* Unassigned, private use. */
	NICK_BAD("a\xcd\xb8", CASEMAP_UNASSIGNED);		/* U+0378 */
	NICK_BAD("a\xee\x80\x80", CASEMAP_UNASSIGNED);	/* U+E000 */
	NICK_BAD("a\xf4\x8f\xbf\xbf", CASEMAP_UNASSIGNED);	/* U+10FFFF */
	/* Invalid UTF-8. */
	NICK_BAD("a\xff", CASEMAP_BAD_UTF8);
	NICK_BAD("a\xc0\xaf", CASEMAP_BAD_UTF8);
	NICK_BAD("a\xed\xa0\x80", CASEMAP_BAD_UTF8);
	NICK_BAD("a\xc3", CASEMAP_BAD_UTF8);
	NICK_BAD("a\xe2\x82", CASEMAP_BAD_UTF8);
	NICK_BAD("\x80" "a", CASEMAP_BAD_UTF8);
	/* Too long, counted after folding. */
	s = test_repeat("", "a", NICKLEN + 1);
	NICK_BAD(s, CASEMAP_TOO_LONG);
	free(s);
	s = test_repeat("", "\xef\xac\x83", 11);	/* 11 -> 33 letters */
	NICK_BAD(s, CASEMAP_TOO_LONG);
	free(s);
	s = test_repeat("ab", "\xef\xac\x83", 10);	/* 2 + 30 = 32: ok */
	NICK_OK(s);
	free(s);
	s = test_repeat("abc", "\xef\xac\x83", 10);	/* 33 */
	NICK_BAD(s, CASEMAP_TOO_LONG);
	free(s);
	s = test_repeat("", "a", NAME_MAX_BYTES + 1);
	NICK_BAD(s, CASEMAP_TOO_LONG);
	free(s);
	NICK_BAD("\xe2\x85\xa0", CASEMAP_BAD_START);	/* ROMAN ONE */
}

static void
test_casemap_channel(void **state)
{
	char	*s;

	(void)state;
	CHAN_OK("#lanchat");
	assert_string_equal(test_nfold, "#lanchat");
	CHAN_OK("#LanChat");
	assert_string_equal(test_nfold, "#lanchat");
	CHAN_OK("#\xd0\xbe\xd1\x82\xd0\xb4\xd0\xb5\xd0\xbb-\xd0\xbf\xd1\x80"
	    "\xd0\xbe\xd0\xb4\xd0\xb0\xd0\xb6");	/* #отдел-продаж */
	CHAN_OK("#a.b/c!d?e*f@g$h%i&j(k)l[m]n{o}p~q'r\"s<t>u=v+w_x|y\\z");
	CHAN_OK("##");
	CHAN_OK("#1");
	CHAN_OK("#\xe2\x98\x95");				/* ☕ */
	CHAN_OK("#\xf0\x9f\x98\x80-party");			/* 😀-party */
	CHAN_OK("#\xe2\x82\xac");				/* € */
	CHAN_OK("#\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");	/* 日本語 */
	CHAN_BAD("lanchat", CASEMAP_BAD_START);
	CHAN_BAD("&local", CASEMAP_BAD_START);
	CHAN_BAD("", CASEMAP_BAD_START);
	CHAN_BAD("#", CASEMAP_EMPTY);
	CHAN_BAD("#a,b", CASEMAP_BAD_CHAR);
	CHAN_BAD("#a:b", CASEMAP_BAD_CHAR);
	CHAN_BAD("#a b", CASEMAP_SPACE);
	CHAN_BAD("#a\x07" "b", CASEMAP_CONTROL);
	CHAN_BAD("#a\x01", CASEMAP_CONTROL);
	CHAN_BAD("#a\xe2\x80\xae", CASEMAP_BIDI);
	CHAN_BAD("#a\xe2\x80\x8b", CASEMAP_INVISIBLE);
	CHAN_BAD("#\xef\xbb\xbf", CASEMAP_INVISIBLE);
	CHAN_BAD("#\xcc\x81", CASEMAP_BAD_START);
	CHAN_BAD("#\xd0\xb0lice", CASEMAP_MIXED_SCRIPT);
	CHAN_BAD("#a\xff", CASEMAP_BAD_UTF8);
	s = test_repeat("#", "c", CHANNELLEN);
	CHAN_OK(s);
	free(s);
	s = test_repeat("#", "c", CHANNELLEN + 1);
	CHAN_BAD(s, CASEMAP_TOO_LONG);
	free(s);
	s = test_repeat("#", "\xef\xac\x83", 22);	/* 66 after folding */
	CHAN_BAD(s, CASEMAP_TOO_LONG);
	free(s);
}

static void
test_casemap_utf8_valid(void **state)
{
	static const struct {
		const char	*s;
		int		 ok;
	} t[] = {
		{ "", 1 },
		{ "abc", 1 },
		{ "\xc3\xa9", 1 },
		{ "\xe2\x82\xac", 1 },
		{ "\xf0\x9f\x98\x80", 1 },
		{ "\xf4\x8f\xbf\xbf", 1 },		/* U+10FFFF */
		{ "\xee\x80\x80", 1 },			/* U+E000 */
		{ "\xc2\x80", 1 },
		{ "\xdf\xbf", 1 },
		{ "\xe0\xa0\x80", 1 },
		{ "\xf0\x90\x80\x80", 1 },
		{ "\xed\x9f\xbf", 1 },			/* U+D7FF */
		{ "\xc0\xaf", 0 },			/* overlong '/' */
		{ "\xc1\xbf", 0 },
		{ "\xe0\x80\xaf", 0 },
		{ "\xe0\x9f\xbf", 0 },
		{ "\xf0\x80\x80\xaf", 0 },
		{ "\xf0\x8f\xbf\xbf", 0 },
		{ "\xed\xa0\x80", 0 },			/* U+D800 */
		{ "\xed\xbf\xbf", 0 },			/* U+DFFF */
		{ "\xed\xa0\xbd\xed\xb8\x80", 0 },	/* CESU-8 pair */
		{ "\xf4\x90\x80\x80", 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xf8\x88\x80\x80\x80", 0 },		/* 5-byte form */
		{ "\xfc\x84\x80\x80\x80\x80", 0 },	/* 6-byte form */
		{ "\xfe", 0 },
		{ "\xff", 0 },
		{ "\x80", 0 },
		{ "a\xbf", 0 },
		{ "\xc3", 0 },				/* truncated */
		{ "\xe2\x82", 0 },
		{ "\xf0\x9f\x98", 0 },
		{ "\xc3" "a", 0 },
		{ "\xe2\x82" "a", 0 },
		{ "\xf0\x9f\x98" "a", 0 },
		{ "\xe2\x28\xa1", 0 },
	};
	char	 line[512];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof *t; i++) {
		if (casemap_utf8_valid(t[i].s, strlen(t[i].s)) != t[i].ok)
			fail_msg("casemap_utf8_valid case %zu", i);
	}
	/* Length, not NUL, ends the string: an embedded NUL is ASCII. */
	assert_true(casemap_utf8_valid("a\0b", 3));
	/* A 4-byte character cut by the length. */
	assert_false(casemap_utf8_valid("\xf0\x9f\x98\x80", 3));
	assert_true(casemap_utf8_valid("\xf0\x9f\x98\x80", 0));
	/* ... at byte 510 of a line. */
	memset(line, 'x', sizeof line);
	memcpy(line + 508, "\xf0\x9f\x98\x80", 4);
	assert_true(casemap_utf8_valid(line, 512));
	assert_false(casemap_utf8_valid(line, 510));
	/* Every code point encodes to something valid. */
	{
		utf8proc_uint8_t	b[4];
		int32_t			cp;
		utf8proc_ssize_t	n;

		for (cp = 1; cp <= 0x10FFFF; cp++) {
			if (cp >= 0xD800 && cp <= 0xDFFF)
				continue;
			n = utf8proc_encode_char(cp, b);
			if (!casemap_utf8_valid((char *)b, n))
				fail_msg("U+%04X is valid UTF-8", cp);
		}
	}
}

static void
test_casemap_text(void **state)
{
	char	why[128];

	(void)state;
	assert_int_equal(casemap_check_text("hello \xc3\xa9", 8, why,
	    sizeof why), CASEMAP_OK);
	assert_int_equal(casemap_check_text("a\0b", 3, why, sizeof why),
	    CASEMAP_CONTROL);
	assert_int_equal(casemap_check_text("a\rb", 3, why, sizeof why),
	    CASEMAP_CONTROL);
	assert_int_equal(casemap_check_text("a\nb", 3, why, sizeof why),
	    CASEMAP_CONTROL);
	assert_int_equal(casemap_check_text("a\xc0\xaf", 3, why, sizeof why),
	    CASEMAP_BAD_UTF8);
	/* Other controls (CTCP, colours) are text. */
	assert_int_equal(casemap_check_text("\x01" "ACTION x\x01\x03" "4",
	    12, why, sizeof why), CASEMAP_OK);
}

static void
test_casemap_script_width(void **state)
{
	(void)state;
	assert_string_equal(casemap_script_name(casemap_script('a')),
	    "Latin");
	assert_string_equal(casemap_script_name(casemap_script(0x044F)),
	    "Cyrillic");
	assert_string_equal(casemap_script_name(casemap_script(0x03B1)),
	    "Greek");
	assert_string_equal(casemap_script_name(casemap_script('1')),
	    "Common");
	assert_string_equal(casemap_script_name(casemap_script(0x0301)),
	    "Inherited");
	assert_string_equal(casemap_script_name(casemap_script(0x0378)),
	    "Unknown");
	assert_string_equal(casemap_script_name(-1), "Unknown");
	assert_string_equal(casemap_script_name(100000), "Unknown");
	assert_int_equal(casemap_width("abc"), 3);
	assert_int_equal(casemap_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);
	assert_int_equal(casemap_width("e\xcc\x81"), 1);
	assert_int_equal(casemap_width("\xff" "a"), 2);
	assert_int_equal(casemap_width(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_casemap_casefolding),
		cmocka_unit_test(test_casemap_normalization),
		cmocka_unit_test(test_casemap_idempotent),
		cmocka_unit_test(test_casemap_ascii_path),
		cmocka_unit_test(test_casemap_examples),
		cmocka_unit_test(test_casemap_fold_errors),
		cmocka_unit_test(test_casemap_nick_ok),
		cmocka_unit_test(test_casemap_nick_bad),
		cmocka_unit_test(test_casemap_channel),
		cmocka_unit_test(test_casemap_utf8_valid),
		cmocka_unit_test(test_casemap_text),
		cmocka_unit_test(test_casemap_script_width),
	};

	return cmocka_run_group_tests_name("casemap", tests, NULL, NULL);
}
