/*
 * Unit tests for the hash table (src/dict.c): put/get/del with many
 * keys, backward-shift deletion checked against a plain array under
 * random insert/delete sequences (and the linear-probing invariant
 * checked slot by slot), and iteration visiting every value once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"

#define NKEYS	5000

static char	test_keys[NKEYS][16];
static int	test_vals[NKEYS];

static void
test_keys_init(void)
{
	int	i;

	for (i = 0; i < NKEYS; i++) {
		snprintf(test_keys[i], sizeof test_keys[i], "key%d", i);
		test_vals[i] = i;
	}
}

static uint32_t	test_seed = 1;

static uint32_t
test_rand(void)
{
	test_seed ^= test_seed << 13;
	test_seed ^= test_seed >> 17;
	test_seed ^= test_seed << 5;
	return test_seed;
}

/*
 * The table invariants: count matches the used slots, at most 3/4 full,
 * and every entry is reachable from its home slot without crossing an
 * empty slot (what backward-shift deletion must keep true).
 */
static void
test_dict_check(const struct dict *d)
{
	size_t	i, j, used = 0;

	if (d->slots == NULL) {
		assert_int_equal(d->count, 0);
		return;
	}
	assert_int_equal((d->mask + 1) & d->mask, 0);
	for (i = 0; i <= d->mask; i++) {
		if (d->slots[i].key == NULL)
			continue;
		used++;
		for (j = d->slots[i].hash & d->mask; j != i;
		    j = (j + 1) & d->mask)
			assert_non_null(d->slots[j].key);
	}
	assert_int_equal(used, d->count);
	assert_true(d->count * 4 <= (d->mask + 1) * 3);
}

static void
test_dict_basic(void **state)
{
	struct dict	d;
	int		a = 1, b = 2;

	(void)state;
	dict_init(&d);
	assert_null(dict_get(&d, "x"));
	assert_null(dict_del(&d, "x"));
	assert_int_equal(dict_count(&d), 0);
	assert_int_equal(dict_put(&d, "x", &a), 0);
	assert_ptr_equal(dict_get(&d, "x"), &a);
	/* A second put of the same key fails and changes nothing. */
	assert_int_equal(dict_put(&d, "x", &b), -1);
	assert_ptr_equal(dict_get(&d, "x"), &a);
	assert_int_equal(dict_count(&d), 1);
	/* Keys are compared by content, not by pointer. */
	{
		char	k[2] = "x";

		assert_ptr_equal(dict_get(&d, k), &a);
	}
	assert_int_equal(dict_put(&d, "", &b), 0);
	assert_ptr_equal(dict_get(&d, ""), &b);
	assert_null(dict_get(&d, "X"));
	assert_ptr_equal(dict_del(&d, "x"), &a);
	assert_null(dict_get(&d, "x"));
	assert_null(dict_del(&d, "x"));
	assert_int_equal(dict_count(&d), 1);
	assert_ptr_equal(dict_del(&d, ""), &b);
	assert_int_equal(dict_count(&d), 0);
	/* Emptied, not freed: usable again. */
	assert_int_equal(dict_put(&d, "y", &a), 0);
	assert_ptr_equal(dict_get(&d, "y"), &a);
	dict_free(&d);
	assert_null(d.slots);
	assert_int_equal(dict_count(&d), 0);
	assert_null(dict_get(&d, "y"));
}

static void
test_dict_many(void **state)
{
	struct dict	d;
	int		i;

	(void)state;
	test_keys_init();
	dict_init(&d);
	for (i = 0; i < NKEYS; i++) {
		assert_int_equal(dict_put(&d, test_keys[i], &test_vals[i]), 0);
		assert_int_equal(dict_count(&d), i + 1);
	}
	test_dict_check(&d);
	for (i = 0; i < NKEYS; i++)
		assert_ptr_equal(dict_get(&d, test_keys[i]), &test_vals[i]);
	assert_null(dict_get(&d, "key5000"));
	assert_null(dict_get(&d, "key-1"));
	/* Delete the even ones. */
	for (i = 0; i < NKEYS; i += 2)
		assert_ptr_equal(dict_del(&d, test_keys[i]), &test_vals[i]);
	test_dict_check(&d);
	assert_int_equal(dict_count(&d), NKEYS / 2);
	for (i = 0; i < NKEYS; i++) {
		if (i % 2 == 0)
			assert_null(dict_get(&d, test_keys[i]));
		else
			assert_ptr_equal(dict_get(&d, test_keys[i]),
			    &test_vals[i]);
	}
	for (i = 1; i < NKEYS; i += 2)
		assert_ptr_equal(dict_del(&d, test_keys[i]), &test_vals[i]);
	assert_int_equal(dict_count(&d), 0);
	test_dict_check(&d);
	for (i = 0; i < NKEYS; i++)
		assert_null(dict_get(&d, test_keys[i]));
	dict_free(&d);
}

/*
 * Random puts and deletes against a reference array of which keys are
 * in.  Small universes keep the table small and its runs wrapping around
 * the end, which is where backward shift goes wrong.
 */
static void
test_dict_random_universe(int universe, int ops)
{
	struct dict	 d;
	char		*in;
	int		 i, k, n = 0, r;
	void		*v;

	in = calloc(universe, 1);
	assert_non_null(in);
	dict_init(&d);
	for (i = 0; i < ops; i++) {
		k = test_rand() % universe;
		if (test_rand() % 2) {
			r = dict_put(&d, test_keys[k], &test_vals[k]);
			assert_int_equal(r, in[k] ? -1 : 0);
			if (!in[k])
				n++;
			in[k] = 1;
		} else {
			v = dict_del(&d, test_keys[k]);
			assert_ptr_equal(v, in[k] ? &test_vals[k] : NULL);
			if (in[k])
				n--;
			in[k] = 0;
		}
		assert_int_equal(dict_count(&d), n);
		if (i % 64 == 0 || universe < 64) {
			test_dict_check(&d);
			for (k = 0; k < universe; k++)
				assert_ptr_equal(dict_get(&d, test_keys[k]),
				    in[k] ? &test_vals[k] : NULL);
		}
	}
	test_dict_check(&d);
	for (k = 0; k < universe; k++)
		assert_ptr_equal(dict_get(&d, test_keys[k]),
		    in[k] ? &test_vals[k] : NULL);
	dict_free(&d);
	free(in);
}

static void
test_dict_random(void **state)
{
	(void)state;
	test_keys_init();
	test_dict_random_universe(2, 1000);
	test_dict_random_universe(12, 20000);
	test_dict_random_universe(13, 20000);
	test_dict_random_universe(24, 20000);
	test_dict_random_universe(50, 20000);
	test_dict_random_universe(200, 50000);
	test_dict_random_universe(NKEYS, 200000);
}

/* Fill to the growth edge, then delete in runs: every deletion order. */
static void
test_dict_delete_orders(void **state)
{
	struct dict	d;
	int		n, i, j, round, base;
	int		order[12];

	(void)state;
	test_keys_init();
	for (round = 0; round < 2000; round++) {
		n = 1 + round % 12;	/* at most 12 keys in 16 slots */
		base = round * 12 % (NKEYS - 12);
		dict_init(&d);
		for (i = 0; i < n; i++) {
			assert_int_equal(dict_put(&d, test_keys[base + i],
			    &test_vals[i]), 0);
			order[i] = i;
		}
		assert_int_equal(d.mask, 15);
		for (i = n - 1; i > 0; i--) {
			int	t;

			j = test_rand() % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++) {
			assert_ptr_equal(dict_del(&d, test_keys[base +
			    order[i]]), &test_vals[order[i]]);
			test_dict_check(&d);
			for (j = i + 1; j < n; j++)
				assert_ptr_equal(dict_get(&d, test_keys[base +
				    order[j]]), &test_vals[order[j]]);
		}
		assert_int_equal(dict_count(&d), 0);
		dict_free(&d);
	}
}

static void
test_dict_iterate(void **state)
{
	struct dict	 d;
	int		*seen, i, n;
	size_t		 iter;
	int		*v;

	(void)state;
	test_keys_init();
	seen = calloc(NKEYS, sizeof *seen);
	assert_non_null(seen);
	dict_init(&d);
	iter = 0;
	assert_null(dict_next(&d, &iter));
	for (n = 0; n <= NKEYS; n = n == 0 ? 1 : n * 3) {
		dict_free(&d);
		memset(seen, 0, NKEYS * sizeof *seen);
		for (i = 0; i < n && i < NKEYS; i++)
			dict_put(&d, test_keys[i], &test_vals[i]);
		/* Delete some so that the walk crosses holes. */
		for (i = 0; i < n && i < NKEYS; i += 7)
			dict_del(&d, test_keys[i]);
		iter = 0;
		while ((v = dict_next(&d, &iter)) != NULL) {
			assert_true(v >= test_vals && v < test_vals + NKEYS);
			seen[*v]++;
		}
		/* The end stays the end. */
		assert_null(dict_next(&d, &iter));
		for (i = 0; i < NKEYS; i++) {
			int	want = i < n && i % 7 != 0;

			if (seen[i] != want)
				fail_msg("n=%d key%d seen %d times", n, i,
				    seen[i]);
		}
	}
	dict_free(&d);
	free(seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dict_basic),
		cmocka_unit_test(test_dict_many),
		cmocka_unit_test(test_dict_random),
		cmocka_unit_test(test_dict_delete_orders),
		cmocka_unit_test(test_dict_iterate),
	};

	return cmocka_run_group_tests_name("dict", tests, NULL, NULL);
}
