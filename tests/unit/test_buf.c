/*
 * Unit tests for growable buffers (src/buf.c): growth, the NUL kept
 * after the data, printf of short and long output, consume and detach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_buf_empty(void **state)
{
	struct buf	b = { 0 }, c;
	char		*p;

	(void)state;
	/* A zeroed struct is valid and empty; so is an initialised one. */
	assert_null(b.data);
	buf_reset(&b);
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	p = buf_detach(&b);
	assert_string_equal(p, "");
	free(p);
	buf_free(&b);
	buf_init(&c);
	assert_null(c.data);
	assert_int_equal(c.len, 0);
	assert_int_equal(c.cap, 0);
	buf_add(&c, "", 0);
	assert_non_null(c.data);
	assert_string_equal(c.data, "");
	assert_int_equal(c.len, 0);
	buf_free(&c);
	assert_null(c.data);
	assert_int_equal(c.cap, 0);
}

static void
test_buf_growth(void **state)
{
	struct buf	b;
	size_t		i, lastcap = 0, grows = 0;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 100000; i++) {
		buf_addch(&b, 'a' + i % 26);
		assert_int_equal(b.len, i + 1);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
		if (b.cap != lastcap) {
			/* Doubling: a power of two from 64 up. */
			assert_true(b.cap >= 64);
			assert_int_equal(b.cap & (b.cap - 1), 0);
			lastcap = b.cap;
			grows++;
		}
	}
	assert_true(grows <= 12);
	for (i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	buf_free(&b);

	/* buf_reserve makes room for n more bytes and the NUL. */
	buf_init(&b);
	buf_reserve(&b, 64);
	assert_true(b.cap >= 65);
	buf_add(&b, "0123456789", 10);
	buf_reserve(&b, 1000);
	assert_true(b.cap >= 1011);
	assert_string_equal(b.data, "0123456789");
	buf_free(&b);
}

static void
test_buf_add(void **state)
{
	struct buf	b;
	char		big[5000];

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "hello");
	buf_addch(&b, ' ');
	buf_add(&b, "world!!", 5);
	assert_string_equal(b.data, "hello world");
	assert_int_equal(b.len, 11);
	/* Binary data with NULs: len counts them. */
	buf_add(&b, "\0x\0", 3);
	assert_int_equal(b.len, 14);
	assert_memory_equal(b.data + 11, "\0x\0", 4);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	memset(big, 'z', sizeof big);
	buf_add(&b, big, sizeof big);
	assert_int_equal(b.len, sizeof big);
	assert_memory_equal(b.data, big, sizeof big);
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

static void
test_buf_printf(void **state)
{
	struct buf	 b;
	char		*big, want[64];
	size_t		 i;

	(void)state;
	buf_init(&b);
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_printf(&b, ":%s %03d %s", "srv", 1, "nick");
	assert_string_equal(b.data, ":srv 001 nick");
	buf_printf(&b, " :%d%%", 100);
	assert_string_equal(b.data, ":srv 001 nick :100%");
	assert_int_equal(b.len, strlen(b.data));
	buf_free(&b);

	/* Longer than the 128 bytes reserved at first: the second pass. */
	big = malloc(10001);
	assert_non_null(big);
	memset(big, 'q', 10000);
	big[10000] = '\0';
	for (i = 0; i < 3; i++) {
		buf_init(&b);
		buf_addstr(&b, i == 0 ? "" : i == 1 ? "x" : "0123456789ab");
		buf_printf(&b, "<%s>", big);
		assert_int_equal(b.len, strlen(b.data));
		assert_int_equal(b.data[b.len - 1], '>');
		assert_int_equal(b.len, 10002 + (i == 0 ? 0 : i == 1 ? 1 :
		    12));
		buf_free(&b);
	}
	/* Output exactly at the edge of the space left. */
	for (i = 100; i < 300; i++) {
		buf_init(&b);
		big[i] = '\0';
		buf_printf(&b, "%s", big);
		buf_printf(&b, "%s", big);
		assert_int_equal(b.len, 2 * i);
		assert_int_equal(strspn(b.data, "q"), 2 * i);
		big[i] = 'q';
		buf_free(&b);
	}
	free(big);
	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%zu,", i);
	snprintf(want, sizeof want, "998,999,");
	assert_string_equal(b.data + b.len - strlen(want), want);
	assert_int_equal(strncmp(b.data, "0,1,2,", 6), 0);
	buf_free(&b);
}

static void
test_buf_consume(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "PING a\r\nPING b\r\n");
	buf_consume(&b, 0);
	assert_string_equal(b.data, "PING a\r\nPING b\r\n");
	buf_consume(&b, 8);
	assert_string_equal(b.data, "PING b\r\n");
	assert_int_equal(b.len, 8);
	buf_consume(&b, 7);
	assert_string_equal(b.data, "\n");
	buf_consume(&b, 1);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_addstr(&b, "abc");
	buf_consume(&b, 1000);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_addstr(&b, "again");
	assert_string_equal(b.data, "again");
	buf_free(&b);
}

static void
test_buf_detach(void **state)
{
	struct buf	 b;
	char		*p;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "owned by the caller");
	p = buf_detach(&b);
	assert_string_equal(p, "owned by the caller");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* The buffer is usable again and independent of p. */
	buf_addstr(&b, "new");
	assert_string_equal(b.data, "new");
	assert_string_equal(p, "owned by the caller");
	free(p);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_empty),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_add),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_detach),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
