/*
 * Accounts, in memory and in the accounts and certfps tables (this module
 * owns both; no other module writes their SQL).
 *
 * Loading happens once at start, on the loop thread, with a read-only
 * connection.  Every change is a store job: run() writes the row on the
 * writer thread, done() applies the change to memory on the loop and
 * calls the caller back with the result.  Until done() runs nothing in
 * memory has changed, so nobody can observe a change that is not on disk.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "casemap.h"
#include "dict.h"
#include "log.h"
#include "pwhash.h"
#include "server.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

static struct dict	account_names;	/* fold -> account */
static struct dict	account_ids;	/* decimal id -> the same */
static struct dict	account_fps;	/* certfp -> account */

enum account_op { OP_CREATE, OP_PASSWORD, OP_FLAGS, OP_ADDFP, OP_DELFP,
    OP_DROP };

struct account_job {
	struct store_job	 job;
	enum account_op		 op;
	struct account		*acct;		/* NULL for OP_CREATE */
	int64_t			 id;
	char			*name, *fold, *text;
	unsigned int		 flags;
	uint64_t		 created;
	account_cb		 cb;
	void			*arg;
};

static void
account_free(struct account *a)
{
	uint32_t	i;

	for (i = 0; i < a->ncertfps; i++)
		free(a->certfps[i]);
	free(a->certfps);
	free(a->name);
	free(a->fold);
	if (a->password != NULL) {
		memset(a->password, 0, strlen(a->password));
		free(a->password);
	}
	free(a);
}

static void
account_fp_add_mem(struct account *a, const char *fp)
{
	a->certfps = xreallocarray(a->certfps, a->ncertfps + 1,
	    sizeof *a->certfps);
	a->certfps[a->ncertfps] = xstrdup(fp);
	dict_put(&account_fps, a->certfps[a->ncertfps], a);
	a->ncertfps++;
}

static void
account_fp_del_mem(struct account *a, const char *fp)
{
	uint32_t	i;

	for (i = 0; i < a->ncertfps; i++) {
		if (strcmp(a->certfps[i], fp) != 0)
			continue;
		dict_del(&account_fps, a->certfps[i]);
		free(a->certfps[i]);
		a->certfps[i] = a->certfps[--a->ncertfps];
		return;
	}
}

/* a into both indexes (the dicts keep pointers to its keys); -1, and
 * nothing kept, if its name is taken. */
static int
account_index(struct account *a)
{
	if (dict_put(&account_names, a->fold, a) != 0)
		return -1;
	snprintf(a->idkey, sizeof a->idkey, "%lld", (long long)a->id);
	dict_put(&account_ids, a->idkey, a);
	return 0;
}

static void
account_unindex(struct account *a)
{
	dict_del(&account_ids, a->idkey);
	dict_del(&account_names, a->fold);
}

static int
account_load_rows(sqlite3 *db, void *arg)
{
	sqlite3_stmt	*s;
	struct account	*a;
	int		 rc;

	(void)arg;
	rc = sqlite3_prepare_v2(db, "SELECT id, name, fold, password, "
	    "created, flags, last_seen FROM accounts", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a = xcalloc(1, sizeof *a);
		a->id = sqlite3_column_int64(s, 0);
		a->name = xstrdup((const char *)sqlite3_column_text(s, 1));
		a->fold = xstrdup((const char *)sqlite3_column_text(s, 2));
		a->password = xstrdup((const char *)sqlite3_column_text(s, 3));
		a->created = sqlite3_column_int64(s, 4);
		a->flags = sqlite3_column_int(s, 5);
		a->last_seen = sqlite3_column_int64(s, 6);
		if (account_index(a) != 0)
			account_free(a);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rc;
	rc = sqlite3_prepare_v2(db, "SELECT fp, account FROM certfps", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a = account_by_id(sqlite3_column_int64(s, 1));
		if (a != NULL)
			account_fp_add_mem(a,
			    (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Read every account into memory.  Returns 0, or -1 with *cause. */
int
account_load(char **cause)
{
	int	rc;

	if ((rc = store_read_sync(account_load_rows, NULL)) != SQLITE_OK) {
		xasprintf(cause, "loading accounts: %s", store_strerror(rc));
		return -1;
	}
	log_info("%zu accounts", dict_count(&account_names));
	return 0;
}

void
account_unload(void)
{
	struct account	*a;
	size_t		 it = 0;

	while ((a = dict_next(&account_names, &it)) != NULL)
		account_free(a);
	dict_free(&account_names);
	dict_free(&account_ids);
	dict_free(&account_fps);
}

/* By name, in any case or script form. */
struct account *
account_find(const char *name)
{
	char	fold[CASEMAP_FOLDSZ];

	if (casemap_fold(name, fold, sizeof fold) != 0)
		return NULL;
	return dict_get(&account_names, fold);
}

struct account *
account_find_fold(const char *fold)
{
	return dict_get(&account_names, fold);
}

struct account *
account_by_certfp(const char *fp)
{
	return dict_get(&account_fps, fp);
}

struct account *
account_by_id(int64_t id)
{
	char	key[24];

	snprintf(key, sizeof key, "%lld", (long long)id);
	return dict_get(&account_ids, key);
}

size_t
account_count(void)
{
	return dict_count(&account_names);
}

void *
account_next(size_t *it)
{
	return dict_next(&account_names, it);
}

/* Writer thread: the SQL of each change. */
static int
account_run(sqlite3 *db, struct store_job *sj)
{
	struct account_job	*j = (struct account_job *)sj;
	sqlite3_stmt		*s = NULL;
	const char		*sql = NULL;
	int			 rc;

	switch (j->op) {
	case OP_CREATE:
		sql = "INSERT INTO accounts(name, fold, password, created, "
		    "flags) VALUES (?1, ?2, ?3, ?4, ?5)";
		break;
	case OP_PASSWORD:
		sql = "UPDATE accounts SET password = ?3 WHERE id = ?6";
		break;
	case OP_FLAGS:
		sql = "UPDATE accounts SET flags = ?5 WHERE id = ?6";
		break;
	case OP_ADDFP:
		sql = "INSERT INTO certfps(fp, account) VALUES (?3, ?6)";
		break;
	case OP_DELFP:
		sql = "DELETE FROM certfps WHERE fp = ?3 AND account = ?6";
		break;
	case OP_DROP:
		sql = "DELETE FROM accounts WHERE id = ?6";
		break;
	}
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	if (j->name != NULL)
		sqlite3_bind_text(s, 1, j->name, -1, SQLITE_STATIC);
	if (j->fold != NULL)
		sqlite3_bind_text(s, 2, j->fold, -1, SQLITE_STATIC);
	if (j->text != NULL)
		sqlite3_bind_text(s, 3, j->text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, j->created);
	sqlite3_bind_int(s, 5, j->flags);
	sqlite3_bind_int64(s, 6, j->id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE && j->op == OP_CREATE)
		j->id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(s);
	return rc;
}

/* Loop thread: the change is on disk (or failed); apply it in memory. */
static void
account_done(struct store_job *sj)
{
	struct account_job	*j = (struct account_job *)sj;
	struct account		*a = j->acct;
	int			 ok;

	/* A job queued behind a DROP of the same account finds it gone
	 * (its pointer would dangle): it failed, whatever SQLite said. */
	if (j->op != OP_CREATE && (a = account_by_id(j->id)) == NULL &&
	    sj->status == SQLITE_OK)
		sj->status = SQLITE_NOTFOUND;
	ok = sj->status == SQLITE_OK;
	if (ok) {
		switch (j->op) {
		case OP_CREATE:
			a = xcalloc(1, sizeof *a);
			a->id = j->id;
			a->name = j->name;
			a->fold = j->fold;
			a->password = j->text;
			a->flags = j->flags;
			a->created = j->created;
			j->name = j->fold = j->text = NULL;
			account_index(a);
			break;
		case OP_PASSWORD:
			free(a->password);
			a->password = j->text;
			j->text = NULL;
			/* A new password ends every login token. */
			token_revoke_account(a->id);
			break;
		case OP_FLAGS:
			if ((j->flags & ACCOUNT_SUSPENDED) &&
			    !(a->flags & ACCOUNT_SUSPENDED))
				token_revoke_account(a->id);
			a->flags = j->flags;
			break;
		case OP_ADDFP:
			account_fp_add_mem(a, j->text);
			break;
		case OP_DELFP:
			account_fp_del_mem(a, j->text);
			break;
		case OP_DROP:
			token_revoke_account(a->id);
			while (a->ncertfps > 0)
				account_fp_del_mem(a, a->certfps[0]);
			account_unindex(a);
			break;
		}
	}
	if (j->cb != NULL)
		j->cb(j->arg, sj->status, ok ? a : NULL);
	if (ok && j->op == OP_DROP)
		account_free(a);
	free(j->name);
	free(j->fold);
	free(j->text);
	free(j);
}

static int
account_submit(enum account_op op, struct account *a, const char *text,
    unsigned int flags, account_cb cb, void *arg)
{
	struct account_job	*j = xcalloc(1, sizeof *j);

	j->job.run = account_run;
	j->job.done = account_done;
	j->op = op;
	j->acct = a;
	j->id = a != NULL ? a->id : 0;
	j->text = text != NULL ? xstrdup(text) : NULL;
	j->flags = flags;
	j->cb = cb;
	j->arg = arg;
	if (store_submit(&j->job) != 0) {
		free(j->text);
		free(j);
		return -1;
	}
	return 0;
}

/*
 * Create an account (name already checked, hash already computed).
 * cb(arg, status, account) runs when it is committed.  Returns -1 if the
 * store cannot take it now.
 */
int
account_create(const char *name, const char *fold, const char *hash,
    unsigned int flags, account_cb cb, void *arg)
{
	struct account_job	*j = xcalloc(1, sizeof *j);

	j->job.run = account_run;
	j->job.done = account_done;
	j->op = OP_CREATE;
	j->name = xstrdup(name);
	j->fold = xstrdup(fold);
	j->text = xstrdup(hash);
	j->flags = flags;
	j->created = time(NULL);
	j->cb = cb;
	j->arg = arg;
	if (store_submit(&j->job) != 0) {
		free(j->name);
		free(j->fold);
		free(j->text);
		free(j);
		return -1;
	}
	return 0;
}

int
account_set_password(struct account *a, const char *hash, account_cb cb,
    void *arg)
{
	return account_submit(OP_PASSWORD, a, hash, 0, cb, arg);
}

int
account_set_flags(struct account *a, unsigned int flags, account_cb cb,
    void *arg)
{
	return account_submit(OP_FLAGS, a, NULL, flags, cb, arg);
}

int
account_add_certfp(struct account *a, const char *fp, account_cb cb,
    void *arg)
{
	return account_submit(OP_ADDFP, a, fp, 0, cb, arg);
}

int
account_del_certfp(struct account *a, const char *fp, account_cb cb,
    void *arg)
{
	return account_submit(OP_DELFP, a, fp, 0, cb, arg);
}

int
account_drop(struct account *a, account_cb cb, void *arg)
{
	return account_submit(OP_DROP, a, NULL, 0, cb, arg);
}

/* A reload of every account's flags (SIGHUP), as a store job. */
struct account_reload {
	struct store_job	  job;
	char			**folds;
	unsigned int		 *flags;
	size_t			  n;
	account_flags_cb	  cb;
};

/*
 * Writer thread: read the flags.  It runs as a job, not on a reader, so
 * that it sees the flag changes queued before it and none after: when
 * its done() runs, memory and disk agree.
 */
static int
account_reload_run(sqlite3 *db, struct store_job *sj)
{
	struct account_reload	*r = (struct account_reload *)sj;
	sqlite3_stmt		*s;
	int			 rc;

	rc = sqlite3_prepare_v2(db, "SELECT fold, flags FROM accounts", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->n % 64 == 0) {
			r->folds = xreallocarray(r->folds, r->n + 64,
			    sizeof *r->folds);
			r->flags = xreallocarray(r->flags, r->n + 64,
			    sizeof *r->flags);
		}
		r->folds[r->n] = xstrdup((const char *)
		    sqlite3_column_text(s, 0));
		r->flags[r->n++] = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void
account_reload_done(struct store_job *sj)
{
	struct account_reload	*r = (struct account_reload *)sj;
	struct account		*a;
	unsigned int		 old;
	size_t			 i, changed = 0;

	for (i = 0; i < r->n; i++) {
		if (sj->status == SQLITE_OK &&
		    (a = account_find_fold(r->folds[i])) != NULL &&
		    a->flags != r->flags[i]) {
			old = a->flags;
			a->flags = r->flags[i];
			changed++;
			if (r->cb != NULL)
				r->cb(a, old);
		}
		free(r->folds[i]);
	}
	if (sj->status == SQLITE_OK)
		log_info("reloaded account flags: %zu changed", changed);
	else
		log_warnx("reloading account flags failed: %s",
		    store_strerror(sj->status));
	free(r->folds);
	free(r->flags);
	free(r);
}

/*
 * SIGHUP: read every account's flags again from the database (the
 * command line may have changed them: lanchatd admin ...), and call
 * cb(account, old flags) on the loop for each account whose flags
 * changed, after they are set in memory.  Returns 0, or -1 when the
 * store cannot take the job now.
 */
int
account_reload_flags(account_flags_cb cb)
{
	struct account_reload	*r = xcalloc(1, sizeof *r);

	r->job.run = account_reload_run;
	r->job.done = account_reload_done;
	r->cb = cb;
	if (store_submit(&r->job) != 0) {
		free(r);
		log_warnx("reloading account flags: the store is busy");
		return -1;
	}
	return 0;
}

/*
 * For the command line (db from store_open_tool, whether or not the
 * server runs): set the bits `set` and clear the bits `clear` in the
 * flags of the account called name, in one transaction.  *oldp and
 * *newp get the flags before and after, *shown the account's name as
 * registered (the caller frees it).  Returns 0, or -1 with *cause.
 */
int
account_db_set_flags(sqlite3 *db, const char *name, unsigned int set,
    unsigned int clear, unsigned int *oldp, unsigned int *newp, char **shown,
    char **cause)
{
	sqlite3_stmt	*s = NULL;
	char		 fold[CASEMAP_FOLDSZ];
	int		 rc;
	int64_t		 id;

	*shown = NULL;
	if (casemap_fold(name, fold, sizeof fold) != 0) {
		xasprintf(cause, "'%s' is not an account name", name);
		return -1;
	}
	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		goto fail;
	rc = sqlite3_prepare_v2(db, "SELECT id, name, flags FROM accounts "
	    "WHERE fold = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(s, 1, fold, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (rc != SQLITE_DONE)
			goto fail;
		xasprintf(cause, "there is no account named '%s'", name);
		return -1;
	}
	id = sqlite3_column_int64(s, 0);
	*shown = xstrdup((const char *)sqlite3_column_text(s, 1));
	*oldp = sqlite3_column_int(s, 2);
	*newp = (*oldp | set) & ~clear;
	sqlite3_finalize(s);
	s = NULL;
	if (*newp != *oldp) {
		rc = sqlite3_prepare_v2(db, "UPDATE accounts SET flags = ?1 "
		    "WHERE id = ?2", -1, &s, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_int(s, 1, *newp);
		sqlite3_bind_int64(s, 2, id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		s = NULL;
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if ((rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	xasprintf(cause, "%s (%s)", store_strerror(rc), sqlite3_errmsg(db));
	if (s != NULL)
		sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(*shown);
	*shown = NULL;
	return -1;
}

/*
 * For the command line: fn(arg, name, flags) for every account whose
 * flags have a bit of mask set, in name order.  Returns 0, or -1 with
 * *cause.
 */
int
account_db_each(sqlite3 *db, unsigned int mask,
    void (*fn)(void *, const char *, unsigned int), void *arg, char **cause)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT name, flags FROM accounts WHERE "
	    "(flags & ?1) <> 0 ORDER BY fold", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(s, 1, mask);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			fn(arg, (const char *)sqlite3_column_text(s, 0),
			    sqlite3_column_int(s, 1));
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return 0;
	}
	xasprintf(cause, "%s (%s)", store_strerror(rc), sqlite3_errmsg(db));
	return -1;
}
