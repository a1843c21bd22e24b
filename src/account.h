/*
 * Accounts: persistent identities with a password (Argon2id), optional
 * TLS client-certificate fingerprints, and flags (admin, suspended,
 * waiting for approval).  Every account is kept in memory (a LAN has
 * hundreds, not millions), so that nick ownership and SASL need no
 * database read; changes are written through the store and take effect
 * in memory when they are committed.
 */
#ifndef LANCHAT_ACCOUNT_H
#define LANCHAT_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define ACCOUNT_ADMIN		0x01
#define ACCOUNT_SUSPENDED	0x02
#define ACCOUNT_PENDING		0x04	/* needs an admin's approval */

struct client;

struct account {
	int64_t		  id;
	char		  idkey[24];	/* id in decimal: account_by_id() */
	char		 *name;
	char		 *fold;
	char		 *password;	/* encoded Argon2id hash */
	unsigned int	  flags;
	uint64_t	  created;
	uint64_t	  last_seen;	/* ms: its last session left */
	char		**certfps;
	uint32_t	  ncertfps;
	struct client	 *online;	/* logged-in user, or NULL */
	/* Login throttle: failures in the current window, and checks
	 * still running (they count as failures until they are not). */
	uint32_t	  fails;
	uint64_t	  fail_ms;
	uint32_t	  checking;
};

typedef void	(*account_cb)(void *, int, struct account *);
typedef void	(*account_flags_cb)(struct account *, unsigned int);

int		 account_load(char **);
void		 account_unload(void);
struct account	*account_find(const char *);
struct account	*account_find_fold(const char *);
struct account	*account_by_certfp(const char *);
struct account	*account_by_id(int64_t);
size_t		 account_count(void);
void		*account_next(size_t *);
int		 account_create(const char *, const char *, const char *,
		    unsigned int, account_cb, void *);
int		 account_set_password(struct account *, const char *,
		    account_cb, void *);
int		 account_set_flags(struct account *, unsigned int,
		    account_cb, void *);
int		 account_add_certfp(struct account *, const char *,
		    account_cb, void *);
int		 account_del_certfp(struct account *, const char *,
		    account_cb, void *);
int		 account_drop(struct account *, account_cb, void *);
int		 account_reload_flags(account_flags_cb);
int		 account_db_set_flags(sqlite3 *, const char *, unsigned int,
		    unsigned int, unsigned int *, unsigned int *, char **,
		    char **);
int		 account_db_each(sqlite3 *, unsigned int,
		    void (*)(void *, const char *, unsigned int), void *,
		    char **);

#endif
