/*
 * A hash table from NUL-terminated string keys to pointers.  Keys are
 * borrowed: the caller keeps each key alive (usually it lives inside the
 * value) until it is deleted.  The hash is SipHash from libsodium with a
 * key drawn at start, so names chosen by clients cannot be made to collide.
 */
#ifndef LANCHAT_DICT_H
#define LANCHAT_DICT_H

#include <stddef.h>
#include <stdint.h>

struct dict_slot {
	const char	*key;
	void		*value;
	uint64_t	 hash;
};

struct dict {
	struct dict_slot	*slots;
	size_t			 mask;	/* capacity - 1, capacity a power of 2 */
	size_t			 count;
};

void	 dict_init(struct dict *);
void	 dict_free(struct dict *);
void	*dict_get(const struct dict *, const char *);
int	 dict_put(struct dict *, const char *, void *);
void	*dict_del(struct dict *, const char *);
size_t	 dict_count(const struct dict *);
void	*dict_next(const struct dict *, size_t *);

#endif
