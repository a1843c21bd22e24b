/*
 * Unit tests for shared outgoing lines (src/line.c): CRLF added once,
 * formatted lines short and long, a tag put first with or without an
 * existing tag section, and reference counts as line_live() sees them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "line.h"

/* l's bytes as a string (they are not NUL-terminated). */
static void
test_line_is(const struct line *l, const char *want)
{
	assert_int_equal(l->len, strlen(want));
	assert_memory_equal(l->data, want, l->len);
}

static void
test_line_new(void **state)
{
	uint64_t	 live = line_live();
	struct line	*l;

	(void)state;
	l = line_new("PING :x", 7);
	test_line_is(l, "PING :x\r\n");
	assert_int_equal(l->refs, 1);
	assert_int_equal(line_live(), live + 1);
	line_unref(l);
	assert_int_equal(line_live(), live);

	/* A CRLF already there is not doubled. */
	l = line_new("PING :x\r\n", 9);
	test_line_is(l, "PING :x\r\n");
	line_unref(l);
	/* Only a whole CRLF counts. */
	l = line_new("PING :x\r", 8);
	test_line_is(l, "PING :x\r\r\n");
	line_unref(l);
	l = line_new("PING :x\n", 8);
	test_line_is(l, "PING :x\n\r\n");
	line_unref(l);
	/* len, not a NUL, is the length. */
	l = line_new("PING :abc", 6);
	test_line_is(l, "PING :\r\n");
	line_unref(l);
	l = line_new("", 0);
	test_line_is(l, "\r\n");
	line_unref(l);
	l = line_new("\r\n", 2);
	test_line_is(l, "\r\n");
	line_unref(l);
	l = line_new("\n", 1);
	test_line_is(l, "\n\r\n");
	line_unref(l);
	assert_int_equal(line_live(), live);
}

static void
test_line_newf(void **state)
{
	uint64_t	 live = line_live();
	struct line	*l;
	char		*big, *want;
	size_t		 n;

	(void)state;
	l = line_newf(":%s %03d %s :%s", "srv", 1, "nick", "Welcome");
	test_line_is(l, ":srv 001 nick :Welcome\r\n");
	line_unref(l);
	/* Around and past the 1024-byte stack buffer. */
	for (n = 1018; n <= 1030; n++) {
		big = malloc(n + 1);
		want = malloc(n + 8);
		assert_non_null(big);
		assert_non_null(want);
		memset(big, 'x', n);
		big[n] = '\0';
		l = line_newf("A %s", big);
		memcpy(want, "A ", 2);
		memcpy(want + 2, big, n);
		memcpy(want + 2 + n, "\r\n", 3);
		test_line_is(l, want);
		line_unref(l);
		free(big);
		free(want);
	}
	big = malloc(20001);
	assert_non_null(big);
	memset(big, 'y', 20000);
	big[20000] = '\0';
	l = line_newf("%s\r\n", big);
	assert_int_equal(l->len, 20002);
	line_unref(l);
	free(big);
	assert_int_equal(line_live(), live);
}

static void
test_line_with_tag(void **state)
{
	uint64_t	 live = line_live();
	struct line	*l, *t, *t2;

	(void)state;
	/* No tags yet: a new section. */
	l = line_new(":n!u@h PRIVMSG #c :hi", 21);
	t = line_with_tag(l, "label=abc");
	test_line_is(t, "@label=abc :n!u@h PRIVMSG #c :hi\r\n");
	assert_int_equal(t->refs, 1);
	assert_int_equal(line_live(), live + 2);
	/* Tags already: the new one goes first in the same section. */
	t2 = line_with_tag(t, "batch=1");
	test_line_is(t2, "@batch=1;label=abc :n!u@h PRIVMSG #c :hi\r\n");
	/* The originals are unchanged and independent. */
	test_line_is(l, ":n!u@h PRIVMSG #c :hi\r\n");
	line_unref(l);
	test_line_is(t, "@label=abc :n!u@h PRIVMSG #c :hi\r\n");
	line_unref(t);
	test_line_is(t2, "@batch=1;label=abc :n!u@h PRIVMSG #c :hi\r\n");
	line_unref(t2);

	l = line_newf("@time=2024-01-01T00:00:00.000Z;msgid=x :s NOTICE * "
	    ":t");
	t = line_with_tag(l, "label=L");
	test_line_is(t, "@label=L;time=2024-01-01T00:00:00.000Z;msgid=x :s "
	    "NOTICE * :t\r\n");
	line_unref(t);
	/* A tag without a value. */
	t = line_with_tag(l, "+draft/typing");
	test_line_is(t, "@+draft/typing;time=2024-01-01T00:00:00.000Z;"
	    "msgid=x :s NOTICE * :t\r\n");
	line_unref(t);
	line_unref(l);
	l = line_new("PING", 4);
	t = line_with_tag(l, "label=1");
	test_line_is(t, "@label=1 PING\r\n");
	line_unref(t);
	line_unref(l);
	assert_int_equal(line_live(), live);
}

static void
test_line_refs(void **state)
{
	uint64_t	 live = line_live();
	struct line	*l, *lines[100];
	int		 i;

	(void)state;
	l = line_new("x", 1);
	assert_ptr_equal(line_ref(l), l);
	assert_ptr_equal(line_ref(l), l);
	assert_int_equal(l->refs, 3);
	line_unref(l);
	line_unref(l);
	assert_int_equal(l->refs, 1);
	assert_int_equal(line_live(), live + 1);
	/* A fan-out: one line, many queues. */
	for (i = 0; i < 100; i++)
		lines[i] = line_ref(l);
	line_unref(l);
	assert_int_equal(line_live(), live + 1);
	for (i = 0; i < 99; i++)
		line_unref(lines[i]);
	assert_int_equal(line_live(), live + 1);
	assert_int_equal(lines[99]->refs, 1);
	line_unref(lines[99]);
	assert_int_equal(line_live(), live);
	/* NULL is fine. */
	line_unref(NULL);
	assert_int_equal(line_live(), live);
}

/* A line that may echo a client's words is cut to 510 bytes before
 * its CRLF, on a character boundary, its tags aside (found by
 * fuzz_session: 421 and 432 echoed a verb or nick of ~480 bytes). */
static void
test_line_new_cut(void **state)
{
	char		 big[2000];
	struct line	*l;
	size_t		 i;

	(void)state;
	l = line_new_cut("PING :x", 7);
	test_line_is(l, "PING :x\r\n");
	line_unref(l);

	memset(big, 'a', sizeof big);
	l = line_new_cut(big, 510);
	assert_int_equal(l->len, 512);
	line_unref(l);
	l = line_new_cut(big, 511);
	assert_int_equal(l->len, 512);
	assert_memory_equal(l->data + 510, "\r\n", 2);
	line_unref(l);

	/* "é" (C3 A9) across byte 510: the whole character goes. */
	for (i = 0; i + 1 < 600; i += 2) {
		big[i + 1] = (char)0xC3;
		big[i + 2] = (char)0xA9;
	}
	big[0] = 'x';
	l = line_new_cut(big, 600);
	assert_int_equal(l->len, 511);
	assert_int_equal((unsigned char)l->data[508], 0xA9);
	line_unref(l);

	/* Tags do not count, and are kept whole. */
	memset(big, 'b', sizeof big);
	memcpy(big, "@label=abc ", 11);
	l = line_new_cut(big, 11 + 600);
	assert_int_equal(l->len, 11 + 512);
	assert_memory_equal(l->data, "@label=abc b", 12);
	line_unref(l);

	/* A CRLF already there is not cut into: 509 bytes and CRLF
	 * stay, 600 and CRLF become 510 and CRLF. */
	for (i = 0; i < 2; i++) {
		size_t	text = i == 0 ? 509 : 600, kept = i == 0 ? 509 : 510;

		memset(big, 'c', sizeof big);
		memcpy(big + text, "\r\n", 2);
		l = line_new_cut(big, text + 2);
		assert_int_equal(l->len, kept + 2);
		assert_memory_equal(l->data + kept - 2, "cc\r\n", 4);
		line_unref(l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_new),
		cmocka_unit_test(test_line_newf),
		cmocka_unit_test(test_line_new_cut),
		cmocka_unit_test(test_line_with_tag),
		cmocka_unit_test(test_line_refs),
	};

	return cmocka_run_group_tests_name("line", tests, NULL, NULL);
}
