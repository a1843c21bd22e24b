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
		if (dict_put(&account_names, a->fold, a) != 0)
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
	struct account	*a;
	size_t		 it = 0;

	while ((a = dict_next(&account_names, &it)) != NULL)
		if (a->id == id)
			return a;
	return NULL;
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
	int			 ok = sj->status == SQLITE_OK;

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
			dict_put(&account_names, a->fold, a);
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
			dict_del(&account_names, a->fold);
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
