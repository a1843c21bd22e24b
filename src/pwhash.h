/*
 * Password hashing with Argon2id (libsodium), off the event loop on
 * libuv's thread pool, with at most PWHASH_JOBS hashes running at once
 * and a bounded queue behind them (DESIGN.md "Trust").  Callers check
 * their rate limits before they get here: no hash is computed for an
 * attempt that would be refused anyway.
 */
#ifndef LANCHAT_PWHASH_H
#define LANCHAT_PWHASH_H

#include <stddef.h>

#define PWHASH_JOBS		2	/* Argon2 jobs running at once */
#define PWHASH_QUEUE		256	/* waiting behind them */
#define PWHASH_MIN_LEN		8	/* shortest password accepted */
#define PWHASH_MAX_LEN		256	/* longest */

typedef void	(*pwhash_hash_cb)(void *, char *);
typedef void	(*pwhash_verify_cb)(void *, int);

void	pwhash_init(unsigned long long, size_t);
int	pwhash_hash(const char *, pwhash_hash_cb, void *);
int	pwhash_verify(const char *, const char *, pwhash_verify_cb, void *);
size_t	pwhash_pending(void);
int	pwhash_hash_sync(const char *, char *, size_t);

#endif
