/*
 * Login tokens, in memory and in the table tokens (this module owns it;
 * nothing else writes its SQL).  See token.h.
 *
 * Every token is in memory, keyed by the hex of its hash, so a check is
 * one SHA-256 and one lookup on the loop.  A new token is in memory (and
 * usable) only once its row is committed; a revoked one leaves memory at
 * once, and its row follows through the writer.  last_used moves in
 * memory at every use and is written at most once per TOKEN_TOUCH_SECS,
 * which is precise enough for a limit counted in days.
 *
 * The token text itself is never stored, logged, or kept after TOKEN NEW
 * has answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "account.h"
#include "dict.h"
#include "log.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

enum token_op { TOK_NEW, TOK_DEL, TOK_DEL_ACCOUNT, TOK_TOUCH, TOK_EXPIRE };

struct token_job {
	struct store_job	 job;
	enum token_op		 op;
	unsigned char		 hash[TOKEN_HASH_BYTES];
	int64_t			 account;
	uint64_t		 created;
	uint64_t		 last_used;
	char			*label;
	char			 text[TOKEN_TEXT_LEN + 1];
	token_new_cb		 cb;
	void			*arg;
};

static struct dict	token_all;	/* hex hash -> struct token */
static uint64_t		token_last_sweep;

static uint64_t
token_now(void)
{
	return (uint64_t)time(NULL);
}

static void
token_free(struct token *t)
{
	free(t->label);
	sodium_memzero(t, sizeof *t);
	free(t);
}

static struct token *
token_add_mem(const unsigned char *hash, int64_t account, uint64_t created,
    uint64_t last_used, const char *label)
{
	struct token	*t = xcalloc(1, sizeof *t);

	memcpy(t->hash, hash, TOKEN_HASH_BYTES);
	sodium_bin2hex(t->key, sizeof t->key, hash, TOKEN_HASH_BYTES);
	t->account = account;
	t->created = created;
	t->last_used = t->stored_used = last_used;
	t->label = xstrdup(label != NULL ? label : "");
	if (dict_put(&token_all, t->key, t) != 0) {
		token_free(t);
		return NULL;
	}
	return t;
}

static int
token_load_rows(sqlite3 *db, void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	(void)arg;
	rc = sqlite3_prepare_v2(db, "SELECT hash, account, created, "
	    "last_used, label FROM tokens", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != TOKEN_HASH_BYTES)
			continue;
		token_add_mem(sqlite3_column_blob(s, 0),
		    sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
		    sqlite3_column_int64(s, 3),
		    (const char *)sqlite3_column_text(s, 4));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Read every token into memory (at start).  0, or -1 with *cause. */
int
token_load(char **cause)
{
	int	rc;

	if ((rc = store_read_sync(token_load_rows, NULL)) != SQLITE_OK) {
		xasprintf(cause, "loading login tokens: %s",
		    store_strerror(rc));
		return -1;
	}
	token_last_sweep = 0;
	token_tick(now_ms());
	return 0;
}

void
token_unload(void)
{
	struct token	*t;
	size_t		 it = 0;

	while ((t = dict_next(&token_all, &it)) != NULL)
		token_free(t);
	dict_free(&token_all);
}

/* Writer thread: the SQL of each change. */
static int
token_run(sqlite3 *db, struct store_job *sj)
{
	struct token_job	*j = (struct token_job *)sj;
	sqlite3_stmt		*s;
	const char		*sql = NULL;
	int			 rc;

	switch (j->op) {
	case TOK_NEW:
		sql = "INSERT INTO tokens(hash, account, created, last_used, "
		    "label) VALUES (?1, ?2, ?3, ?4, ?5)";
		break;
	case TOK_DEL:
		sql = "DELETE FROM tokens WHERE hash = ?1";
		break;
	case TOK_DEL_ACCOUNT:
		sql = "DELETE FROM tokens WHERE account = ?2";
		break;
	case TOK_TOUCH:
		sql = "UPDATE tokens SET last_used = ?4 WHERE hash = ?1";
		break;
	case TOK_EXPIRE:
		sql = "DELETE FROM tokens WHERE last_used < ?4";
		break;
	}
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	if (sqlite3_bind_parameter_index(s, "?1") > 0)
		sqlite3_bind_blob(s, 1, j->hash, TOKEN_HASH_BYTES,
		    SQLITE_STATIC);
	if (sqlite3_bind_parameter_index(s, "?2") > 0)
		sqlite3_bind_int64(s, 2, j->account);
	if (sqlite3_bind_parameter_index(s, "?3") > 0)
		sqlite3_bind_int64(s, 3, j->created);
	if (sqlite3_bind_parameter_index(s, "?4") > 0)
		sqlite3_bind_int64(s, 4, j->last_used);
	if (sqlite3_bind_parameter_index(s, "?5") > 0)
		sqlite3_bind_text(s, 5, j->label != NULL ? j->label : "", -1,
		    SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

/* Loop thread: a change is on disk (or failed). */
static void
token_done(struct store_job *sj)
{
	struct token_job	*j = (struct token_job *)sj;
	int			 ok = sj->status == SQLITE_OK;

	if (j->op == TOK_NEW) {
		/* Usable only now that it is committed.  An account that was
		 * dropped or suspended meanwhile does not get it.  (A
		 * password change committed after this row revokes it in
		 * its own done(), which runs after this one.) */
		struct account *a = account_by_id(j->account);

		if (ok && (a == NULL || (a->flags & (ACCOUNT_SUSPENDED |
		    ACCOUNT_PENDING)) || token_add_mem(j->hash, j->account,
		    j->created, j->last_used, j->label) == NULL)) {
			ok = 0;
			sj->status = SQLITE_ABORT;
		}
		if (j->cb != NULL)
			j->cb(j->arg, sj->status, ok ? j->text : NULL);
	} else if (!ok)
		log_warnx("tokens: a change was not stored: %s",
		    store_strerror(sj->status));
	sodium_memzero(j->text, sizeof j->text);
	free(j->label);
	free(j);
}

static struct token_job *
token_job_new(enum token_op op)
{
	struct token_job	*j = xcalloc(1, sizeof *j);

	j->job.run = token_run;
	j->job.done = token_done;
	j->op = op;
	return j;
}

static void
token_submit(struct token_job *j)
{
	if (store_submit(&j->job) != 0) {
		/* The queue is full: memory is right, the row stays until
		 * the next sweep or revocation; nothing is lost but that. */
		log_warnx("tokens: the store is busy; a change is kept in "
		    "memory only");
		free(j->label);
		free(j);
	}
}

/*
 * Make a token for a with a label (may be NULL).  cb(arg, status, text)
 * runs once the row is committed; text is the token, to be shown once.
 * Returns -1 if the store cannot take it now (cb is not called).
 */
int
token_new(struct account *a, const char *label, token_new_cb cb, void *arg)
{
	struct token_job	*j;
	unsigned char		 raw[TOKEN_BYTES];

	j = token_job_new(TOK_NEW);
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(j->text, sizeof j->text, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(j->hash, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	j->account = a->id;
	j->created = j->last_used = token_now();
	j->label = xstrdup(label != NULL ? label : "");
	j->cb = cb;
	j->arg = arg;
	if (store_submit(&j->job) != 0) {
		sodium_memzero(j->text, sizeof j->text);
		free(j->label);
		free(j);
		return -1;
	}
	return 0;
}

/*
 * The hash of a token as a client sent it.  Returns 0, or -1 if text is
 * not a token at all (wrong length or alphabet).
 */
int
token_hash_text(const char *text, unsigned char *hash)
{
	unsigned char	raw[TOKEN_BYTES + 1];
	size_t		len = 0;

	if (strlen(text) != TOKEN_TEXT_LEN ||
	    sodium_base642bin(raw, sizeof raw, text, TOKEN_TEXT_LEN, NULL,
	    &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != TOKEN_BYTES)
		return -1;
	crypto_hash_sha256(hash, raw, TOKEN_BYTES);
	sodium_memzero(raw, sizeof raw);
	return 0;
}

struct token *
token_find_hash(const unsigned char *hash)
{
	char	key[TOKEN_HASH_BYTES * 2 + 1];

	sodium_bin2hex(key, sizeof key, hash, TOKEN_HASH_BYTES);
	return dict_get(&token_all, key);
}

/* Has t gone unused too long?  Then it is revoked here; returns 1. */
static int
token_expired(struct token *t, uint64_t now)
{
	if (now < t->last_used ||
	    now - t->last_used <= (uint64_t)TOKEN_IDLE_DAYS * 86400)
		return 0;
	token_revoke(t);
	return 1;
}

/*
 * The live token that text is, or NULL: unknown, expired, or its
 * account is gone, suspended or not yet approved.  Does not count as a
 * use (see token_touch).
 */
struct token *
token_check(const char *text)
{
	unsigned char	 hash[TOKEN_HASH_BYTES];
	struct token	*t;
	struct account	*a;

	if (token_hash_text(text, hash) != 0)
		return NULL;
	if ((t = token_find_hash(hash)) == NULL ||
	    token_expired(t, token_now()))
		return NULL;
	a = account_by_id(t->account);
	if (a == NULL || (a->flags & (ACCOUNT_SUSPENDED | ACCOUNT_PENDING)))
		return NULL;
	return t;
}

/* t was used (a login, an upload): it lives another TOKEN_IDLE_DAYS. */
void
token_touch(struct token *t)
{
	struct token_job	*j;

	t->last_used = token_now();
	if (t->last_used < t->stored_used + TOKEN_TOUCH_SECS)
		return;
	t->stored_used = t->last_used;
	j = token_job_new(TOK_TOUCH);
	memcpy(j->hash, t->hash, TOKEN_HASH_BYTES);
	j->last_used = t->last_used;
	token_submit(j);
}

/* The token of account whose TOKEN LIST id (hex prefix) is id, or NULL. */
struct token *
token_find_id(int64_t account, const char *id)
{
	struct token	*t;
	size_t		 it = 0;

	if (strlen(id) != TOKEN_ID_LEN)
		return NULL;
	while ((t = dict_next(&token_all, &it)) != NULL)
		if (t->account == account &&
		    strncmp(t->key, id, TOKEN_ID_LEN) == 0)
			return t;
	return NULL;
}

/* The short id TOKEN LIST shows for t: a prefix of its hash, in hex. */
void
token_id(const struct token *t, char *out, size_t outsz)
{
	snprintf(out, outsz, "%.*s", TOKEN_ID_LEN, t->key);
}

/* t is no longer valid, from now on; its row goes through the writer. */
void
token_revoke(struct token *t)
{
	struct token_job	*j = token_job_new(TOK_DEL);

	memcpy(j->hash, t->hash, TOKEN_HASH_BYTES);
	dict_del(&token_all, t->key);
	token_free(t);
	token_submit(j);
}

/* Every token of account dies.  Returns how many there were. */
size_t
token_revoke_account(int64_t account)
{
	struct token		*t, *dead[64];
	struct token_job	*j;
	size_t			 it, n, total = 0, i;

	do {
		it = n = 0;
		while ((t = dict_next(&token_all, &it)) != NULL && n < 64)
			if (t->account == account)
				dead[n++] = t;
		for (i = 0; i < n; i++) {
			dict_del(&token_all, dead[i]->key);
			token_free(dead[i]);
		}
		total += n;
	} while (n == 64);
	j = token_job_new(TOK_DEL_ACCOUNT);
	j->account = account;
	token_submit(j);
	return total;
}

/*
 * Up to max tokens of account into out, oldest first.  Returns how many
 * there are in all.
 */
size_t
token_list(int64_t account, struct token **out, size_t max)
{
	struct token	*t;
	size_t		 it = 0, n = 0, i, k;

	while ((t = dict_next(&token_all, &it)) != NULL) {
		if (t->account != account)
			continue;
		if (n < max) {
			/* Insertion sort: lists are short. */
			for (i = n; i > 0 && (out[i - 1]->created >
			    t->created || (out[i - 1]->created == t->created &&
			    strcmp(out[i - 1]->key, t->key) > 0)); i--)
				;
			for (k = n; k > i; k--)
				out[k] = out[k - 1];
			out[i] = t;
		}
		n++;
	}
	return n;
}

/* Housekeeping: once an hour, tokens unused for too long go. */
void
token_tick(uint64_t now)
{
	struct token		*t, *dead[64];
	struct token_job	*j;
	uint64_t		 wall = token_now(), cutoff;
	size_t			 it, n, i;

	if (token_last_sweep != 0 && now - token_last_sweep < 3600 * 1000)
		return;
	token_last_sweep = now;
	if (wall <= (uint64_t)TOKEN_IDLE_DAYS * 86400)
		return;
	cutoff = wall - (uint64_t)TOKEN_IDLE_DAYS * 86400;
	do {
		it = n = 0;
		while ((t = dict_next(&token_all, &it)) != NULL && n < 64)
			if (t->last_used < cutoff)
				dead[n++] = t;
		for (i = 0; i < n; i++) {
			dict_del(&token_all, dead[i]->key);
			token_free(dead[i]);
		}
	} while (n == 64);
	/* A row may lag memory by TOKEN_TOUCH_SECS: delete only rows
	 * that are surely expired; the rest go at a later sweep. */
	j = token_job_new(TOK_EXPIRE);
	j->last_used = cutoff - TOKEN_TOUCH_SECS;
	token_submit(j);
}
