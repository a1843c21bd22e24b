/*
 * Unit tests for src/mode.c: the mode string parser, the MODES= cap,
 * list mask normalisation, and the +k and +l parameter checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lc_limits.h"
#include "mode.h"

static const struct mode_spec chan_spec = {
	.list = "beI", .param = "kov", .setparam = "l", .flag = "imnst"
};
static const struct mode_spec user_spec = { .flag = "BioZ" };

static void
parse(const char *modes, const char *const *params, int n,
    struct mode_result *r)
{
	mode_parse(&chan_spec, modes, params, n, r);
}

static void
check_change(const struct mode_result *r, int i, char letter,
    unsigned int flags, const char *arg)
{
	assert_true(i < r->nchanges);
	assert_int_equal(r->changes[i].letter, letter);
	assert_int_equal(r->changes[i].flags, flags);
	if (arg == NULL)
		assert_null(r->changes[i].arg);
	else
		assert_string_equal(r->changes[i].arg, arg);
}

static void
test_types(void **state)
{
	(void)state;
	assert_int_equal(mode_type_of(&chan_spec, 'b'), MODE_TYPE_LIST);
	assert_int_equal(mode_type_of(&chan_spec, 'I'), MODE_TYPE_LIST);
	assert_int_equal(mode_type_of(&chan_spec, 'k'), MODE_TYPE_PARAM);
	assert_int_equal(mode_type_of(&chan_spec, 'v'), MODE_TYPE_PARAM);
	assert_int_equal(mode_type_of(&chan_spec, 'l'), MODE_TYPE_SETPARAM);
	assert_int_equal(mode_type_of(&chan_spec, 't'), MODE_TYPE_FLAG);
	assert_int_equal(mode_type_of(&chan_spec, 'x'), MODE_TYPE_UNKNOWN);
	assert_int_equal(mode_type_of(&chan_spec, 'M'), MODE_TYPE_UNKNOWN);
	assert_int_equal(mode_type_of(&chan_spec, '\0'), MODE_TYPE_UNKNOWN);
	assert_int_equal(mode_type_of(&chan_spec, '+'), MODE_TYPE_UNKNOWN);
	assert_int_equal(mode_type_of(&user_spec, 'b'), MODE_TYPE_UNKNOWN);
	assert_int_equal(mode_type_of(&user_spec, 'Z'), MODE_TYPE_FLAG);
}

static void
test_ov(void **state)
{
	const char		*p[] = { "a", "b", "c" };
	struct mode_result	 r;

	(void)state;
	parse("+ov-v", p, 3, &r);
	assert_int_equal(r.nchanges, 3);
	check_change(&r, 0, 'o', MODE_ADD, "a");
	check_change(&r, 1, 'v', MODE_ADD, "b");
	check_change(&r, 2, 'v', 0, "c");
	assert_int_equal(r.changes[0].type, MODE_TYPE_PARAM);
	assert_int_equal(r.used, 3);
	assert_int_equal(r.nwithparam, 3);
	assert_int_equal(r.nunknown, 0);
	assert_int_equal(r.dropped, 0);
}

static void
test_key_missing(void **state)
{
	struct mode_result	r;

	(void)state;
	parse("+k", NULL, 0, &r);
	assert_int_equal(r.nchanges, 1);
	check_change(&r, 0, 'k', MODE_ADD | MODE_MISSING, NULL);
	assert_int_equal(r.used, 0);
	assert_int_equal(r.nwithparam, 0);

	/* -k takes a parameter too; without one it is marked. */
	parse("-k", NULL, 0, &r);
	check_change(&r, 0, 'k', MODE_MISSING, NULL);
}

static void
test_key_then_missing_limit(void **state)
{
	const char		*p[] = { "key" };
	struct mode_result	 r;

	(void)state;
	parse("+kl", p, 1, &r);
	assert_int_equal(r.nchanges, 2);
	check_change(&r, 0, 'k', MODE_ADD, "key");
	check_change(&r, 1, 'l', MODE_ADD | MODE_MISSING, NULL);
}

static void
test_limit(void **state)
{
	const char		*p[] = { "abc" };
	const char		*five[] = { "5" };
	struct mode_result	 r;

	(void)state;
	/* The parser takes any parameter; mode_limit_parse judges it. */
	parse("+l", p, 1, &r);
	check_change(&r, 0, 'l', MODE_ADD, "abc");
	assert_int_equal(r.changes[0].type, MODE_TYPE_SETPARAM);

	/* -l takes no parameter, so "5" is left over. */
	parse("-l", five, 1, &r);
	assert_int_equal(r.nchanges, 1);
	check_change(&r, 0, 'l', 0, NULL);
	assert_int_equal(r.used, 0);

	/* Leftover parameters after the letters are ignored. */
	parse("+i", five, 1, &r);
	check_change(&r, 0, 'i', MODE_ADD, NULL);
	assert_int_equal(r.used, 0);
}

static void
test_list_query(void **state)
{
	const char		*p[] = { "*!*@h" };
	struct mode_result	 r;

	(void)state;
	parse("+b", NULL, 0, &r);
	assert_int_equal(r.nchanges, 1);
	check_change(&r, 0, 'b', MODE_ADD | MODE_QUERY, NULL);

	/* No sign at all: the same as '+'. */
	parse("b", NULL, 0, &r);
	check_change(&r, 0, 'b', MODE_ADD | MODE_QUERY, NULL);

	parse("-e", NULL, 0, &r);
	check_change(&r, 0, 'e', MODE_QUERY, NULL);

	/* The first b takes the mask, the second is a query. */
	parse("bI", p, 1, &r);
	assert_int_equal(r.nchanges, 2);
	check_change(&r, 0, 'b', MODE_ADD, "*!*@h");
	check_change(&r, 1, 'I', MODE_ADD | MODE_QUERY, NULL);
}

static void
test_signs(void **state)
{
	struct mode_result	r;

	(void)state;
	parse("++--+i", NULL, 0, &r);
	assert_int_equal(r.nchanges, 1);
	check_change(&r, 0, 'i', MODE_ADD, NULL);

	parse("-+-i", NULL, 0, &r);
	check_change(&r, 0, 'i', 0, NULL);

	parse("i", NULL, 0, &r);
	check_change(&r, 0, 'i', MODE_ADD, NULL);

	parse("+i-m+n-", NULL, 0, &r);
	assert_int_equal(r.nchanges, 3);
	check_change(&r, 0, 'i', MODE_ADD, NULL);
	check_change(&r, 1, 'm', 0, NULL);
	check_change(&r, 2, 'n', MODE_ADD, NULL);

	parse("", NULL, 0, &r);
	assert_int_equal(r.nchanges, 0);
	parse("+-+", NULL, 0, &r);
	assert_int_equal(r.nchanges, 0);
}

static void
test_flags(void **state)
{
	struct mode_result	r;

	(void)state;
	parse("+imnst", NULL, 0, &r);
	assert_int_equal(r.nchanges, 5);
	assert_int_equal(r.nwithparam, 0);
	check_change(&r, 4, 't', MODE_ADD, NULL);
	assert_int_equal(r.changes[4].type, MODE_TYPE_FLAG);
}

static void
test_unknown(void **state)
{
	const char		*p[] = { "a" };
	struct mode_result	 r;

	(void)state;
	/* Unknown letters take no parameter and are listed once. */
	parse("+xyo-xz", p, 1, &r);
	assert_int_equal(r.nchanges, 1);
	check_change(&r, 0, 'o', MODE_ADD, "a");
	assert_int_equal(r.nunknown, 3);
	assert_int_equal(r.unknown[0].len, 1);
	assert_memory_equal(r.unknown[0].s, "x", 1);
	assert_int_equal(r.unknown[0].add, 1);
	assert_memory_equal(r.unknown[1].s, "y", 1);
	assert_memory_equal(r.unknown[2].s, "z", 1);
	assert_int_equal(r.unknown[2].add, 0);

	/* Case matters: I is a list, i a flag, K nothing. */
	parse("+K1 ", NULL, 0, &r);
	assert_int_equal(r.nchanges, 0);
	assert_int_equal(r.nunknown, 3);
	assert_memory_equal(r.unknown[2].s, " ", 1);

	/* A non-ASCII character is one unknown, all its bytes. */
	parse("+\xc3\xa9i\xf0\x9f\x98\x80", NULL, 0, &r);
	assert_int_equal(r.nchanges, 1);
	assert_int_equal(r.nunknown, 2);
	assert_int_equal(r.unknown[0].len, 2);
	assert_memory_equal(r.unknown[0].s, "\xc3\xa9", 2);
	assert_int_equal(r.unknown[1].len, 4);

	/* A cut sequence never reads past the string. */
	parse("+\xe2\x82", NULL, 0, &r);
	assert_int_equal(r.nunknown, 1);
	assert_int_equal(r.unknown[0].len, 2);
}

static void
test_unknown_cap(void **state)
{
	struct mode_result	r;

	(void)state;
	parse("+ABCDEFGHJKLMNOPQRSTUVWXYZ", NULL, 0, &r);
	assert_int_equal(r.nunknown, MODE_UNKNOWN_MAX);
	assert_int_equal(r.nchanges, 0);
}

static void
test_modes_cap(void **state)
{
	const char		*p[] = { "a", "b", "c", "d", "e", "f", "g",
				    "h" };
	struct mode_result	 r;
	int			 i;

	(void)state;
	/* MODES=6: six changes with parameters, the rest dropped. */
	parse("+oooooooo", p, 8, &r);
	assert_int_equal(MODES_PER_LINE, 6);
	assert_int_equal(r.nchanges, MODES_PER_LINE);
	assert_int_equal(r.nwithparam, MODES_PER_LINE);
	assert_int_equal(r.dropped, 2);
	assert_int_equal(r.used, 8);
	for (i = 0; i < MODES_PER_LINE; i++)
		check_change(&r, i, 'o', MODE_ADD, p[i]);

	/* Flags do not count, and still apply after the cap. */
	parse("+ioooooooo-t", p, 8, &r);
	assert_int_equal(r.nchanges, MODES_PER_LINE + 2);
	check_change(&r, 0, 'i', MODE_ADD, NULL);
	check_change(&r, MODES_PER_LINE + 1, 't', 0, NULL);
	assert_int_equal(r.dropped, 2);

	/* A dropped change still takes its parameter: l takes "h". */
	parse("+bbbbbbbl", p, 8, &r);
	assert_int_equal(r.nchanges, 6);
	assert_int_equal(r.dropped, 2);
	assert_int_equal(r.used, 8);

	/* Exactly six: nothing dropped. */
	parse("+kovbeI", p, 6, &r);
	assert_int_equal(r.nchanges, 6);
	assert_int_equal(r.dropped, 0);

	/* Queries carry no parameter and do not count. */
	parse("+bbbbbbbb", NULL, 0, &r);
	assert_int_equal(r.nchanges, 8);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.nwithparam, 0);
}

static void
test_changes_cap(void **state)
{
	char			modes[64];
	struct mode_result	r;

	(void)state;
	memset(modes, 'i', sizeof modes);
	modes[0] = '+';
	modes[sizeof modes - 1] = '\0';
	parse(modes, NULL, 0, &r);
	assert_int_equal(r.nchanges, MODE_CHANGES_MAX);
	assert_int_equal(r.dropped, 62 - MODE_CHANGES_MAX);
}

static void
test_user_spec(void **state)
{
	struct mode_result	r;

	(void)state;
	mode_parse(&user_spec, "+iw-B", NULL, 0, &r);
	assert_int_equal(r.nchanges, 2);
	check_change(&r, 0, 'i', MODE_ADD, NULL);
	check_change(&r, 1, 'B', 0, NULL);
	assert_int_equal(r.nunknown, 1);
	assert_memory_equal(r.unknown[0].s, "w", 1);
}

static void
check_mask(const char *in, const char *want)
{
	char	out[MODE_MASK_SIZE];

	if (want == NULL) {
		assert_int_equal(mode_mask_normalise(in, out, sizeof out), -1);
		return;
	}
	assert_int_equal(mode_mask_normalise(in, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void
test_mask(void **state)
{
	char	out[16], big[400];

	(void)state;
	check_mask("nick", "nick!*@*");
	check_mask("user@host", "*!user@host");
	check_mask("n!u@h", "n!u@h");
	check_mask("n!u", "n!u@*");
	check_mask("n!", "n!*@*");
	check_mask("!@", "*!*@*");
	check_mask("@h", "*!*@h");
	check_mask("*", "*!*@*");
	check_mask("*!*@192.168.1.*", "*!*@192.168.1.*");
	check_mask("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
	    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd!*@*");
	check_mask("$a:alice", "$a:alice");
	check_mask("$a:", NULL);
	check_mask("$a", NULL);
	check_mask("$x:foo", NULL);
	check_mask("", NULL);
	check_mask(":nick", NULL);
	check_mask("a b", NULL);
	check_mask("a,b", NULL);
	check_mask("a\x01", NULL);

	/* "abc" -> "abc!*@*" needs 8 bytes. */
	assert_int_equal(mode_mask_normalise("abc", out, 8), 0);
	assert_string_equal(out, "abc!*@*");
	assert_int_equal(mode_mask_normalise("abc", out, 7), -1);
	assert_int_equal(mode_mask_normalise("$a:abcd", out, 8), 0);
	assert_int_equal(mode_mask_normalise("$a:abcd", out, 7), -1);

	memset(big, 'x', sizeof big);
	big[sizeof big - 1] = '\0';
	check_mask(big, NULL);
}

static void
test_key(void **state)
{
	char	key[KEYLEN + 2];

	(void)state;
	assert_true(mode_key_valid("secret"));
	assert_true(mode_key_valid("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"));
	assert_false(mode_key_valid(""));
	assert_false(mode_key_valid("a b"));
	assert_false(mode_key_valid("a,b"));
	assert_false(mode_key_valid(":a"));
	assert_false(mode_key_valid("a\tb"));
	memset(key, 'k', sizeof key);
	key[KEYLEN] = '\0';
	assert_true(mode_key_valid(key));
	key[KEYLEN] = 'k';
	key[KEYLEN + 1] = '\0';
	assert_false(mode_key_valid(key));
}

static void
test_limit_parse(void **state)
{
	long long	v = -1;

	(void)state;
	assert_int_equal(mode_limit_parse("10", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(mode_limit_parse("007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(mode_limit_parse("1000000000", &v), 0);
	assert_int_equal(v, MODE_LIMIT_MAX);
	v = 42;
	assert_int_equal(mode_limit_parse("1000000001", &v), -1);
	assert_int_equal(mode_limit_parse("99999999999999999999999", &v),
	    -1);
	assert_int_equal(mode_limit_parse("0", &v), -1);
	assert_int_equal(mode_limit_parse("-1", &v), -1);
	assert_int_equal(mode_limit_parse("+5", &v), -1);
	assert_int_equal(mode_limit_parse(" 5", &v), -1);
	assert_int_equal(mode_limit_parse("5 ", &v), -1);
	assert_int_equal(mode_limit_parse("abc", &v), -1);
	assert_int_equal(mode_limit_parse("", &v), -1);
	assert_int_equal(v, 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ov),
		cmocka_unit_test(test_key_missing),
		cmocka_unit_test(test_key_then_missing_limit),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_list_query),
		cmocka_unit_test(test_signs),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_unknown_cap),
		cmocka_unit_test(test_modes_cap),
		cmocka_unit_test(test_changes_cap),
		cmocka_unit_test(test_user_spec),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_limit_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
