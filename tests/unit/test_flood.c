/*
 * Unit tests for the flood-control token bucket (src/flood.c): the
 * burst, the refill rate, the cap at the burst, a clock that stands
 * still or goes back, and penalties larger than one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flood.h"

/* Run commands of cost 1 at time now while allowed; how many ran. */
static int
test_flood_run(struct flood *f, uint64_t now, double rate, double burst)
{
	int	n = 0;

	while (flood_ok(f, now, rate, burst)) {
		flood_take(f, 1);
		n++;
		assert_true(n <= 1000000);
	}
	return n;
}

static void
test_flood_burst(void **state)
{
	struct flood	f;

	(void)state;
	flood_init(&f, 10, 5000);
	assert_int_equal(test_flood_run(&f, 5000, 2, 10), 10);
	assert_false(flood_ok(&f, 5000, 2, 10));
	/* A zero start time is a time like any other. */
	flood_init(&f, 40, 0);
	assert_int_equal(test_flood_run(&f, 0, 8, 40), 40);
}

static void
test_flood_refill(void **state)
{
	struct flood	f;
	uint64_t	t = 1000;
	int		i;

	(void)state;
	flood_init(&f, 10, t);
	assert_int_equal(test_flood_run(&f, t, 2, 10), 10);
	/* 2 per second: one every 500 ms, not before.  (Times are picked
	 * so that the sums are exact in binary floating point.) */
	assert_false(flood_ok(&f, t + 250, 2, 10));
	assert_true(flood_ok(&f, t + 500, 2, 10));
	flood_take(&f, 1);
	assert_false(flood_ok(&f, t + 500, 2, 10));
	/* flood_wait_ms says when: at the latest then. */
	assert_true(flood_wait_ms(&f, 2) >= 500);
	assert_true(flood_wait_ms(&f, 2) <= 501);
	assert_true(flood_ok(&f, t + 500 + flood_wait_ms(&f, 2), 2, 10));
	flood_take(&f, 1);
	/* Steady state: 60 s at 2/s lets 120 through, in small steps. */
	t += 10000;
	flood_init(&f, 10, t);
	test_flood_run(&f, t, 2, 10);
	{
		int	n = 0;

		for (i = 1; i <= 60000; i += 7)
			n += test_flood_run(&f, t + i, 2, 10);
		assert_true(n >= 119 && n <= 120);
	}
	/* A fractional rate. */
	flood_init(&f, 1, 0);
	assert_int_equal(test_flood_run(&f, 0, 0.5, 1), 1);
	assert_false(flood_ok(&f, 1000, 0.5, 1));
	assert_true(flood_ok(&f, 2000, 0.5, 1));
}

static void
test_flood_cap(void **state)
{
	struct flood	f;

	(void)state;
	flood_init(&f, 5, 0);
	assert_int_equal(test_flood_run(&f, 0, 10, 5), 5);
	/* An hour idle gives the burst back, not more. */
	assert_int_equal(test_flood_run(&f, 3600000, 10, 5), 5);
	/* Full bucket and time passing: still only the burst. */
	flood_init(&f, 5, 0);
	assert_true(flood_ok(&f, 100000, 10, 5));
	assert_int_equal(test_flood_run(&f, 200000, 10, 5), 5);
	/* A huge gap does not overflow anything. */
	flood_init(&f, 5, 0);
	assert_int_equal(test_flood_run(&f, UINT64_MAX, 1000000, 5), 5);
	/* A burst lowered by the administrator caps at the new value. */
	flood_init(&f, 40, 0);
	assert_int_equal(test_flood_run(&f, 10000, 8, 3), 3);
}

static void
test_flood_clock(void **state)
{
	struct flood	f;
	int		i;

	(void)state;
	flood_init(&f, 3, 10000);
	assert_int_equal(test_flood_run(&f, 10000, 1, 3), 3);
	/* A clock that does not move refills nothing. */
	for (i = 0; i < 1000; i++)
		assert_false(flood_ok(&f, 10000, 1, 3));
	/* A clock that goes back refills nothing and does not wrap. */
	assert_false(flood_ok(&f, 9000, 1, 3));
	assert_false(flood_ok(&f, 0, 1, 3));
	assert_false(flood_ok(&f, 9999, 1, 3));
	/* Time is counted from the latest time seen, not the earlier. */
	assert_false(flood_ok(&f, 10500, 1, 3));
	assert_true(flood_ok(&f, 11000, 1, 3));
	flood_take(&f, 1);
	assert_false(flood_ok(&f, 11000, 1, 3));
	/* Back and forth never adds up to more than real time. */
	for (i = 0; i < 100; i++) {
		assert_false(flood_ok(&f, 11000 + i * 5, 1, 3));
		assert_false(flood_ok(&f, 5000, 1, 3));
	}
	assert_true(flood_ok(&f, 12001, 1, 3));
	assert_true(f.tokens >= 1.0 && f.tokens <= 1.002);
}

static void
test_flood_penalty(void **state)
{
	struct flood	f;

	(void)state;
	flood_init(&f, 10, 0);
	/* 10 -> 7 -> 4 -> 1, then a last one at 1 that goes to -2. */
	assert_true(flood_ok(&f, 0, 1, 10));
	flood_take(&f, 3);
	assert_true(flood_ok(&f, 0, 1, 10));
	flood_take(&f, 3);
	assert_true(flood_ok(&f, 0, 1, 10));
	flood_take(&f, 3);
	assert_true(flood_ok(&f, 0, 1, 10));
	assert_int_equal(flood_wait_ms(&f, 1), 0);
	flood_take(&f, 3);
	assert_false(flood_ok(&f, 0, 1, 10));
	/* The debt is paid before the next command: 3 s at 1/s. */
	assert_true(flood_wait_ms(&f, 1) >= 3000);
	assert_true(flood_wait_ms(&f, 1) <= 3001);
	assert_false(flood_ok(&f, 2000, 1, 10));
	assert_true(flood_ok(&f, 3000, 1, 10));
	/* A penalty bigger than the burst. */
	flood_init(&f, 5, 0);
	assert_true(flood_ok(&f, 0, 2, 5));
	flood_take(&f, 20);
	assert_false(flood_ok(&f, 0, 2, 5));
	assert_false(flood_ok(&f, 7000, 2, 5));
	assert_true(flood_ok(&f, 8000, 2, 5));
	/* A fractional penalty. */
	flood_init(&f, 2, 0);
	assert_true(flood_ok(&f, 0, 1, 2));
	flood_take(&f, 0.5);
	flood_take(&f, 0.5);
	assert_true(flood_ok(&f, 0, 1, 2));
	flood_take(&f, 0.5);
	assert_false(flood_ok(&f, 0, 1, 2));
	/* No rate: never a wait that flood_wait_ms could not end. */
	assert_int_equal(flood_wait_ms(&f, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_burst),
		cmocka_unit_test(test_flood_refill),
		cmocka_unit_test(test_flood_cap),
		cmocka_unit_test(test_flood_clock),
		cmocka_unit_test(test_flood_penalty),
	};

	return cmocka_run_group_tests_name("flood", tests, NULL, NULL);
}
