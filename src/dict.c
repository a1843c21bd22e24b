/*
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), kept at most 3/4 full.  Iteration order is the slot order:
 * dict_next() with an index starting at 0 walks every value once, as long
 * as the table is not changed during the walk.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dict.h"
#include "log.h"
#include "xmalloc.h"

static unsigned char	dict_key[crypto_shorthash_KEYBYTES];
static int		dict_keyed;

static uint64_t
dict_hash(const char *s)
{
	unsigned char	out[crypto_shorthash_BYTES];
	uint64_t	h;

	if (!dict_keyed) {
		randombytes_buf(dict_key, sizeof dict_key);
		dict_keyed = 1;
	}
	crypto_shorthash(out, (const unsigned char *)s, strlen(s), dict_key);
	memcpy(&h, out, sizeof h);
	return h;
}

void
dict_init(struct dict *d)
{
	d->slots = NULL;
	d->mask = 0;
	d->count = 0;
}

void
dict_free(struct dict *d)
{
	free(d->slots);
	dict_init(d);
}

static void
dict_grow(struct dict *d)
{
	struct dict_slot	*old = d->slots, *s;
	size_t			 oldcap = d->slots == NULL ? 0 : d->mask + 1;
	size_t			 cap = oldcap == 0 ? 16 : oldcap * 2, i, j;

	d->slots = xcalloc(cap, sizeof *d->slots);
	d->mask = cap - 1;
	for (i = 0; i < oldcap; i++) {
		s = &old[i];
		if (s->key == NULL)
			continue;
		j = s->hash & d->mask;
		while (d->slots[j].key != NULL)
			j = (j + 1) & d->mask;
		d->slots[j] = *s;
	}
	free(old);
}

static struct dict_slot *
dict_find(const struct dict *d, const char *key, uint64_t h)
{
	size_t	i;

	if (d->slots == NULL)
		return NULL;
	i = h & d->mask;
	while (d->slots[i].key != NULL) {
		if (d->slots[i].hash == h && strcmp(d->slots[i].key, key) == 0)
			return &d->slots[i];
		i = (i + 1) & d->mask;
	}
	return NULL;
}

void *
dict_get(const struct dict *d, const char *key)
{
	struct dict_slot	*s;

	if (d->count == 0)
		return NULL;
	s = dict_find(d, key, dict_hash(key));
	return s == NULL ? NULL : s->value;
}

/* Insert key -> value.  Returns -1 (and changes nothing) if key exists. */
int
dict_put(struct dict *d, const char *key, void *value)
{
	uint64_t	h = dict_hash(key);
	size_t		i;

	if (dict_find(d, key, h) != NULL)
		return -1;
	if (d->slots == NULL || (d->count + 1) * 4 > (d->mask + 1) * 3)
		dict_grow(d);
	i = h & d->mask;
	while (d->slots[i].key != NULL)
		i = (i + 1) & d->mask;
	d->slots[i].key = key;
	d->slots[i].value = value;
	d->slots[i].hash = h;
	d->count++;
	return 0;
}

/* Remove key; returns its value, or NULL if it was not there. */
void *
dict_del(struct dict *d, const char *key)
{
	struct dict_slot	*s;
	void			*value;
	size_t			 i, j, k;

	if (d->count == 0 || (s = dict_find(d, key, dict_hash(key))) == NULL)
		return NULL;
	value = s->value;
	i = s - d->slots;
	/* Backward shift: pull later entries of the run into the hole
	 * unless they already sit at or after their home slot. */
	j = i;
	for (;;) {
		j = (j + 1) & d->mask;
		if (d->slots[j].key == NULL)
			break;
		k = d->slots[j].hash & d->mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		d->slots[i] = d->slots[j];
		i = j;
	}
	d->slots[i].key = NULL;
	d->slots[i].value = NULL;
	d->count--;
	return value;
}

size_t
dict_count(const struct dict *d)
{
	return d->count;
}

/* Return the value at or after *iter and advance it; NULL at the end. */
void *
dict_next(const struct dict *d, size_t *iter)
{
	if (d->slots == NULL)
		return NULL;
	while (*iter <= d->mask) {
		if (d->slots[*iter].key != NULL)
			return d->slots[(*iter)++].value;
		(*iter)++;
	}
	return NULL;
}
