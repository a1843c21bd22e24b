/*
 * Remembered channels, in memory (one struct per account id) and in the
 * account_channels table, written through the store.  JOIN by a
 * logged-in user remembers the channel, PART and KICK forget it, QUIT
 * does not: the user is coming back.  At login the user joins what is
 * remembered, through the ordinary JOIN checks (a key or a ban may keep
 * it out, and it is told so as for any JOIN).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "autojoin.h"
#include "channel.h"
#include "client.h"
#include "dict.h"
#include "irc.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define AUTOJOIN_MAX	200	/* channels remembered per account */

struct aj_account {
	char	  key[24];		/* the account id, as text */
	char	**names;		/* channel names as written */
	char	**folds;
	uint32_t  n;
};

struct aj_job {
	struct store_job	 job;
	int64_t			 account;
	char			*fold;
	char			*name;		/* NULL: forget */
};

static struct dict	autojoin;

static struct aj_account *
aj_get(int64_t id, int make)
{
	char			 key[24];
	struct aj_account	*a;

	snprintf(key, sizeof key, "%lld", (long long)id);
	if ((a = dict_get(&autojoin, key)) != NULL || !make)
		return a;
	a = xcalloc(1, sizeof *a);
	memcpy(a->key, key, sizeof a->key);
	dict_put(&autojoin, a->key, a);
	return a;
}

static int
aj_find(const struct aj_account *a, const char *fold)
{
	uint32_t	i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->folds[i], fold) == 0)
			return (int)i;
	return -1;
}

static void
aj_add_mem(int64_t id, const char *fold, const char *name)
{
	struct aj_account	*a = aj_get(id, 1);

	if (aj_find(a, fold) >= 0 || a->n >= AUTOJOIN_MAX)
		return;
	a->names = xreallocarray(a->names, a->n + 1, sizeof *a->names);
	a->folds = xreallocarray(a->folds, a->n + 1, sizeof *a->folds);
	a->names[a->n] = xstrdup(name);
	a->folds[a->n] = xstrdup(fold);
	a->n++;
}

static int
aj_load_rows(sqlite3 *db, void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	(void)arg;
	rc = sqlite3_prepare_v2(db, "SELECT account, channel, name FROM "
	    "account_channels", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		aj_add_mem(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
autojoin_load(char **cause)
{
	int	rc;

	if ((rc = store_read_sync(aj_load_rows, NULL)) != SQLITE_OK) {
		xasprintf(cause, "loading remembered channels: %s",
		    store_strerror(rc));
		return -1;
	}
	return 0;
}

void
autojoin_unload(void)
{
	struct aj_account	*a;
	size_t			 it = 0;
	uint32_t		 i;

	while ((a = dict_next(&autojoin, &it)) != NULL) {
		for (i = 0; i < a->n; i++) {
			free(a->names[i]);
			free(a->folds[i]);
		}
		free(a->names);
		free(a->folds);
		free(a);
	}
	dict_free(&autojoin);
}

static int
aj_run(sqlite3 *db, struct store_job *sj)
{
	struct aj_job	*j = (struct aj_job *)sj;
	sqlite3_stmt	*s;
	int		 rc;

	if (j->name != NULL)
		rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO "
		    "account_channels(account, channel, name) VALUES (?1, ?2, "
		    "?3)", -1, &s, NULL);
	else
		rc = sqlite3_prepare_v2(db, "DELETE FROM account_channels "
		    "WHERE account = ?1 AND channel = ?2", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, j->account);
	sqlite3_bind_text(s, 2, j->fold, -1, SQLITE_STATIC);
	if (j->name != NULL)
		sqlite3_bind_text(s, 3, j->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

static void
aj_done(struct store_job *sj)
{
	struct aj_job	*j = (struct aj_job *)sj;

	if (sj->status != SQLITE_OK)
		log_warnx("remembered channel not kept: %s",
		    store_strerror(sj->status));
	free(j->fold);
	free(j->name);
	free(j);
}

static void
aj_write(int64_t id, const char *fold, const char *name)
{
	struct aj_job	*j = xcalloc(1, sizeof *j);

	j->job.run = aj_run;
	j->job.done = aj_done;
	j->account = id;
	j->fold = xstrdup(fold);
	j->name = name != NULL ? xstrdup(name) : NULL;
	if (store_submit(&j->job) != 0)
		aj_done(&j->job);
}

static struct account *
aj_account(const struct client *c)
{
	return c->account != NULL ? account_find(c->account) : NULL;
}

/* c (logged in) joined ch: remember it. */
void
autojoin_joined(struct client *c, struct channel *ch)
{
	struct account		*acct = aj_account(c);
	struct aj_account	*a;

	if (acct == NULL)
		return;
	a = aj_get(acct->id, 1);
	if (aj_find(a, ch->fold) >= 0 || a->n >= AUTOJOIN_MAX)
		return;
	aj_add_mem(acct->id, ch->fold, ch->name);
	aj_write(acct->id, ch->fold, ch->name);
}

/* c left ch (PART, KICK): forget it. */
void
autojoin_left(struct client *c, struct channel *ch)
{
	struct account		*acct = aj_account(c);
	struct aj_account	*a;
	int			 i;

	if (acct == NULL || (a = aj_get(acct->id, 0)) == NULL ||
	    (i = aj_find(a, ch->fold)) < 0)
		return;
	free(a->names[i]);
	free(a->folds[i]);
	a->names[i] = a->names[a->n - 1];
	a->folds[i] = a->folds[a->n - 1];
	a->n--;
	aj_write(acct->id, ch->fold, NULL);
}

/* c has just logged in: back into its channels. */
void
autojoin_login(struct client *c)
{
	struct account		*acct = aj_account(c);
	struct aj_account	*a;
	char			**names;
	uint32_t		 i, n;

	if (acct == NULL || (a = aj_get(acct->id, 0)) == NULL || a->n == 0)
		return;
	/* Joining may change the list (a channel refused): work on a copy. */
	n = a->n;
	names = xreallocarray(NULL, n, sizeof *names);
	for (i = 0; i < n; i++)
		names[i] = xstrdup(a->names[i]);
	for (i = 0; i < n; i++) {
		irc_join_channel(c, names[i], NULL);
		free(names[i]);
	}
	free(names);
}
