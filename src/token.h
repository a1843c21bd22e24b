/*
 * Login tokens: a long random secret that stands for an account, so that
 * the web client can stay logged in on a device without keeping the
 * password, and so that it can prove who uploads a file over HTTP.
 *
 * A token is 32 random bytes, shown once (TOKEN NEW) in base64url.  Only
 * its SHA-256 is kept, in memory (every token: a LAN has few) and in the
 * table tokens, which this module owns.  Checking one costs a hash, not
 * an Argon2 run.  Tokens die when revoked (TOKEN REVOKE, NickServ
 * LOGOUT), when the account's password changes, when it is suspended or
 * dropped, and after TOKEN_IDLE_DAYS without use.
 *
 * Lifetime: struct token belongs to this module; callers may hold a
 * pointer only for the loop turn in which they got it.
 */
#ifndef LANCHAT_TOKEN_H
#define LANCHAT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES		32	/* of randomness */
#define TOKEN_TEXT_LEN		43	/* base64url, no padding */
#define TOKEN_HASH_BYTES	32	/* SHA-256 */
#define TOKEN_ID_LEN		12	/* TOKEN LIST id: hex of the hash */
#define TOKEN_LABEL_MAX		64	/* bytes */
#define TOKEN_MAX_PER_ACCOUNT	100
#define TOKEN_IDLE_DAYS		30
#define TOKEN_TOUCH_SECS	3600	/* last_used is written this often */

struct account;

struct token {
	unsigned char	 hash[TOKEN_HASH_BYTES];
	char		 key[TOKEN_HASH_BYTES * 2 + 1];	/* hex: dict key */
	int64_t		 account;
	uint64_t	 created;	/* wall seconds */
	uint64_t	 last_used;	/* wall seconds */
	uint64_t	 stored_used;	/* last_used as last written */
	char		*label;
};

/* cb(arg, status, text): text is the new token (NULL if it failed). */
typedef void	(*token_new_cb)(void *, int, const char *);

int		 token_load(char **);
void		 token_unload(void);
int		 token_new(struct account *, const char *, token_new_cb,
		    void *);
struct token	*token_check(const char *);
void		 token_touch(struct token *);
int		 token_hash_text(const char *, unsigned char *);
struct token	*token_find_hash(const unsigned char *);
struct token	*token_find_id(int64_t, const char *);
void		 token_revoke(struct token *);
size_t		 token_revoke_account(int64_t);
size_t		 token_list(int64_t, struct token **, size_t);
void		 token_id(const struct token *, char *, size_t);
void		 token_tick(uint64_t);

#endif
