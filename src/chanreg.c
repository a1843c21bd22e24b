/*
 * Registered channels, in memory and in the channels, channel_access and
 * channel_lists tables (this module owns all three; no other module
 * writes their SQL).
 *
 * A channel is registered when a logged-in user creates it (or, later,
 * when an operator of it asks ChanServ).  The founder's account gets
 * operator status in the access list; after that every +o/-o and +v/-v
 * given to a logged-in member updates that member's account's entry,
 * and the topic, the modes (i m n s t k l) and the lists (b e I) are
 * kept as they change.
 *
 * Memory is the truth and comes first: the handlers change the struct
 * channel as they do for any channel and then call in here; a store job
 * writes the change behind them, in order.  A failed write is logged and
 * memory goes on as it is, except for the creation itself: if the row
 * cannot be written, the channel is not registered after all.
 *
 * Lifetime: a registered channel is not retired when its last member
 * leaves (channel_part() honours ch->registered); it stays in
 * srv.channels with its topic and modes until its registration is
 * dropped.  chanreg_load() makes every registered channel at start, empty;
 * chanreg_unload() frees the empty ones at exit.
 *
 * Status by account: a user logged in to an account with an entry gets
 * that status back when it joins.  The server tells the channel with a
 * MODE line from itself, after the JOIN (other members' clients keep
 * their own member lists and would not learn it otherwise), and the
 * joiner's NAMES shows it already.  An operator by account also passes
 * the key, the limit, +i and bans, as in ergo: otherwise an empty +i
 * channel would keep out the very people who run it, with nobody inside
 * to invite them.  Anyone else joining an empty registered channel gets
 * no status at all: it is not a new channel.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define CHANSERV_PREFIX		"ChanServ!ChanServ@services"

enum chanreg_op {
	CHANREG_CREATE,		/* the row, its access and its lists */
	CHANREG_UPDATE,		/* topic and modes */
	CHANREG_ACCESS,		/* one account's status (none: delete) */
	CHANREG_LIST_ADD,
	CHANREG_LIST_DEL,
	CHANREG_DROP
};

static const char *const chanreg_op_names[] = {
	"registration", "topic and modes", "status", "list entry",
	"list removal", "drop"
};

/* A list entry as the writer thread sees it. */
struct chanreg_ent {
	char		 letter;
	char		*mask;
	char		*setter;
	uint64_t	 set_at;
};

struct chanreg_job {
	struct store_job	 job;
	enum chanreg_op		 op;
	int64_t			 id;		/* channels.id */
	struct channel		*ch;		/* CHANREG_CREATE: a ref */
	char			*name, *fold;
	int64_t			 founder;
	uint64_t		 created;
	char			*topic, *setter, *key;
	uint64_t		 topic_time;
	char			 modes[8];
	long long		 limit;
	struct chanaccess	*acc;
	uint32_t		 nacc;
	struct chanreg_ent	*ent;
	uint32_t		 nent;
};

/* The flag modes kept, as letters in the channels table. */
static const struct {
	char		letter;
	unsigned int	bit;
} chanreg_flags[] = {
	{ 'i', CMODE_INVITE },
	{ 'm', CMODE_MODERATED },
	{ 'n', CMODE_NOEXTERNAL },
	{ 's', CMODE_SECRET },
	{ 't', CMODE_TOPIC },
};
#define CHANREG_NFLAGS	(sizeof chanreg_flags / sizeof chanreg_flags[0])

static int64_t	chanreg_next_id = 1;

static void
chanreg_flags_string(unsigned int modes, char *out)
{
	size_t	i;

	for (i = 0; i < CHANREG_NFLAGS; i++)
		if (modes & chanreg_flags[i].bit)
			*out++ = chanreg_flags[i].letter;
	*out = '\0';
}

static unsigned int
chanreg_flags_parse(const char *s)
{
	unsigned int	modes = 0;
	size_t		i;

	for (; s != NULL && *s != '\0'; s++)
		for (i = 0; i < CHANREG_NFLAGS; i++)
			if (*s == chanreg_flags[i].letter)
				modes |= chanreg_flags[i].bit;
	return modes;
}

/* MEMBER_OP|MEMBER_VOICE as "o", "v" or "ov" (out: 3 bytes). */
static void
chanreg_member_string(uint8_t modes, char *out)
{
	if (modes & MEMBER_OP)
		*out++ = 'o';
	if (modes & MEMBER_VOICE)
		*out++ = 'v';
	*out = '\0';
}

static uint8_t
chanreg_member_parse(const char *s)
{
	uint8_t	modes = 0;

	if (s != NULL && strchr(s, 'o') != NULL)
		modes |= MEMBER_OP;
	if (s != NULL && strchr(s, 'v') != NULL)
		modes |= MEMBER_VOICE;
	return modes;
}

/* The account c is logged in to, or NULL. */
static struct account *
chanreg_account(const struct client *c)
{
	return c->account != NULL ? account_find(c->account) : NULL;
}

static struct chanaccess *
chanreg_access_find(const struct channel *ch, int64_t account)
{
	uint32_t	i;

	for (i = 0; i < ch->naccess; i++)
		if (ch->access[i].account == account)
			return &ch->access[i];
	return NULL;
}

/* Set account's status in ch's access list; none removes the entry. */
static void
chanreg_access_set(struct channel *ch, int64_t account, uint8_t modes)
{
	struct chanaccess	*e = chanreg_access_find(ch, account);

	if (modes == 0) {
		if (e != NULL)
			*e = ch->access[--ch->naccess];
		return;
	}
	if (e != NULL) {
		e->modes = modes;
		return;
	}
	ch->access = xreallocarray(ch->access, ch->naccess + 1,
	    sizeof *ch->access);
	ch->access[ch->naccess].account = account;
	ch->access[ch->naccess].modes = modes;
	ch->naccess++;
}

/* ch is not registered (any more): it becomes a channel like others. */
static void
chanreg_forget(struct channel *ch)
{
	ch->registered = 0;
	ch->regid = 0;
	ch->founder = 0;
	free(ch->access);
	ch->access = NULL;
	ch->naccess = 0;
	if (ch->nmembers == 0)
		channel_retire(ch);
}

/* Loading, at start: the rows become channels. */

static char *
chanreg_col_dup(sqlite3_stmt *s, int col)
{
	const char	*v = (const char *)sqlite3_column_text(s, col);

	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

static struct channel *
chanreg_load_channel(sqlite3_stmt *s)
{
	struct channel	*ch;
	const char	*name = (const char *)sqlite3_column_text(s, 1);
	char		 fold[CASEMAP_FOLDSZ];
	int64_t		 id = sqlite3_column_int64(s, 0);

	if (id >= chanreg_next_id)
		chanreg_next_id = id + 1;
	/* The fold is made again: the stored one may come from an older
	 * Unicode version. */
	if (name == NULL || casemap_fold(name, fold, sizeof fold) != 0 ||
	    dict_get(&srv.channels, fold) != NULL) {
		log_warnx("registered channel %lld (%s) left out: its name "
		    "no longer folds to one of its own", (long long)id,
		    name != NULL ? name : "?");
		return NULL;
	}
	ch = channel_new(name, fold);
	ch->registered = 1;
	ch->regid = id;
	ch->founder = sqlite3_column_int64(s, 2);
	ch->created = sqlite3_column_int64(s, 3);
	ch->topic = chanreg_col_dup(s, 4);
	ch->topic_setter = chanreg_col_dup(s, 5);
	if (ch->topic != NULL && ch->topic_setter == NULL)
		ch->topic_setter = xstrdup(srv.name);
	ch->topic_time = sqlite3_column_int64(s, 6);
	ch->modes = chanreg_flags_parse((const char *)sqlite3_column_text(s,
	    7));
	ch->key = chanreg_col_dup(s, 8);
	ch->limit = sqlite3_column_int64(s, 9);
	if (ch->limit < 0)
		ch->limit = 0;
	return ch;
}

static int
chanreg_load_access(sqlite3_stmt *s, struct channel *ch)
{
	int	rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, ch->regid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		chanreg_access_set(ch, sqlite3_column_int64(s, 0),
		    chanreg_member_parse((const char *)
		    sqlite3_column_text(s, 1)));
	return rc;
}

static int
chanreg_load_lists(sqlite3_stmt *s, struct channel *ch)
{
	struct chanlist	*l;
	const char	*mode, *mask, *setter;
	int		 rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, ch->regid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		mode = (const char *)sqlite3_column_text(s, 0);
		mask = (const char *)sqlite3_column_text(s, 1);
		setter = (const char *)sqlite3_column_text(s, 2);
		if (mode == NULL || mask == NULL ||
		    (l = channel_list(ch, mode[0])) == NULL)
			continue;
		/* Past a --max-list lowered since, the rest is left out. */
		if (channel_list_add(l, mask, setter != NULL ? setter :
		    srv.name) == 0)
			l->v[l->n - 1].set_at = sqlite3_column_int64(s, 3);
	}
	return rc;
}

static int
chanreg_load_rows(sqlite3 *db, void *arg)
{
	sqlite3_stmt	*s = NULL, *sa = NULL, *sl = NULL;
	struct channel	*ch;
	size_t		*n = arg;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT id, name, founder, created, "
	    "topic, topic_setter, topic_time, modes, chankey, lim FROM "
	    "channels ORDER BY id", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT account, modes FROM "
		    "channel_access WHERE channel = ?1", -1, &sa, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT mode, mask, setter, "
		    "set_at FROM channel_lists WHERE channel = ?1 ORDER BY "
		    "rowid", -1, &sl, NULL);
	if (rc != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((ch = chanreg_load_channel(s)) == NULL)
			continue;
		if ((rc = chanreg_load_access(sa, ch)) != SQLITE_DONE ||
		    (rc = chanreg_load_lists(sl, ch)) != SQLITE_DONE)
			break;
		(*n)++;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(sa);
	sqlite3_finalize(sl);
	return rc;
}

/*
 * Make every registered channel, with its topic, modes, lists and
 * access list, empty, in srv.channels.  At start, after account_load().
 * Returns 0, or -1 with *cause.
 */
int
chanreg_load(char **cause)
{
	size_t	n = 0;
	int	rc;

	if ((rc = store_read_sync(chanreg_load_rows, &n)) != SQLITE_OK) {
		xasprintf(cause, "loading registered channels: %s",
		    store_strerror(rc));
		return -1;
	}
	log_info("%zu registered channels", n);
	return 0;
}

/*
 * At exit, once the store is closed: free the registered channels that
 * nobody is in (the others go with their last member).
 */
void
chanreg_unload(void)
{
	struct channel	*ch, **v = NULL;
	size_t		 it = 0, n = 0, i;

	/* Collect first: retiring takes them out of the table walked. */
	while ((ch = dict_next(&srv.channels, &it)) != NULL) {
		if (!ch->registered || ch->nmembers > 0)
			continue;
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = ch;
	}
	for (i = 0; i < n; i++)
		chanreg_forget(v[i]);
	free(v);
}

/* Writing: the writer thread's side of each job. */

static void
chanreg_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int
chanreg_run_row(sqlite3 *db, struct chanreg_job *j, int insert)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = sqlite3_prepare_v2(db, insert ?
	    "INSERT INTO channels(id, name, fold, founder, created, topic, "
	    "topic_setter, topic_time, modes, chankey, lim) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)" :
	    "UPDATE channels SET topic = ?6, topic_setter = ?7, topic_time = "
	    "?8, modes = ?9, chankey = ?10, lim = ?11 WHERE id = ?1", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, j->id);
	chanreg_bind_text(s, 2, j->name);
	chanreg_bind_text(s, 3, j->fold);
	if (j->founder != 0)
		sqlite3_bind_int64(s, 4, j->founder);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_int64(s, 5, (int64_t)j->created);
	chanreg_bind_text(s, 6, j->topic);
	chanreg_bind_text(s, 7, j->topic != NULL ? j->setter : NULL);
	sqlite3_bind_int64(s, 8, (int64_t)j->topic_time);
	sqlite3_bind_text(s, 9, j->modes, -1, SQLITE_STATIC);
	chanreg_bind_text(s, 10, j->key);
	sqlite3_bind_int64(s, 11, j->limit);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

static int
chanreg_run_access(sqlite3 *db, int64_t id, const struct chanaccess *a)
{
	sqlite3_stmt	*s;
	char		 modes[3];
	int		 rc;

	chanreg_member_string(a->modes, modes);
	rc = sqlite3_prepare_v2(db, a->modes != 0 ?
	    "INSERT INTO channel_access(channel, account, modes) VALUES (?1, "
	    "?2, ?3) ON CONFLICT(channel, account) DO UPDATE SET modes = "
	    "excluded.modes" :
	    "DELETE FROM channel_access WHERE channel = ?1 AND account = ?2",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, a->account);
	if (a->modes != 0)
		sqlite3_bind_text(s, 3, modes, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

/* Add (or, del set, remove) the list entries of j. */
static int
chanreg_run_lists(sqlite3 *db, struct chanreg_job *j, int del)
{
	sqlite3_stmt	*s;
	char		 letter[2];
	uint32_t	 i;
	int		 rc = SQLITE_DONE;

	if (j->nent == 0)
		return SQLITE_DONE;
	rc = sqlite3_prepare_v2(db, del ?
	    "DELETE FROM channel_lists WHERE channel = ?1 AND mode = ?2 AND "
	    "mask = ?3" :
	    "INSERT OR REPLACE INTO channel_lists(channel, mode, mask, "
	    "setter, set_at) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (i = 0; i < j->nent; i++) {
		letter[0] = j->ent[i].letter;
		letter[1] = '\0';
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, j->id);
		sqlite3_bind_text(s, 2, letter, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 3, j->ent[i].mask, -1, SQLITE_STATIC);
		if (!del) {
			sqlite3_bind_text(s, 4, j->ent[i].setter, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(s, 5, (int64_t)j->ent[i].set_at);
		}
		if ((rc = sqlite3_step(s)) != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
chanreg_run(sqlite3 *db, struct store_job *sj)
{
	struct chanreg_job	*j = (struct chanreg_job *)sj;
	sqlite3_stmt		*s;
	uint32_t		 i;
	int			 rc;

	switch (j->op) {
	case CHANREG_CREATE:
		if ((rc = chanreg_run_row(db, j, 1)) != SQLITE_DONE)
			return rc;
		for (i = 0; i < j->nacc; i++)
			if ((rc = chanreg_run_access(db, j->id, &j->acc[i])) !=
			    SQLITE_DONE)
				return rc;
		return chanreg_run_lists(db, j, 0);
	case CHANREG_UPDATE:
		return chanreg_run_row(db, j, 0);
	case CHANREG_ACCESS:
		return chanreg_run_access(db, j->id, &j->acc[0]);
	case CHANREG_LIST_ADD:
		return chanreg_run_lists(db, j, 0);
	case CHANREG_LIST_DEL:
		return chanreg_run_lists(db, j, 1);
	case CHANREG_DROP:
		/* channel_access and channel_lists go by ON DELETE CASCADE. */
		rc = sqlite3_prepare_v2(db, "DELETE FROM channels WHERE id = "
		    "?1", -1, &s, NULL);
		if (rc != SQLITE_OK)
			return rc;
		sqlite3_bind_int64(s, 1, j->id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		return rc;
	}
	return SQLITE_MISUSE;
}

/* The loop's side: jobs and their end. */

static void
chanreg_job_free(struct chanreg_job *j)
{
	uint32_t	i;

	if (j->ch != NULL)
		channel_unref(j->ch);
	for (i = 0; i < j->nent; i++) {
		free(j->ent[i].mask);
		free(j->ent[i].setter);
	}
	free(j->ent);
	free(j->acc);
	free(j->name);
	free(j->fold);
	free(j->topic);
	free(j->setter);
	free(j->key);
	free(j);
}

static void
chanreg_done(struct store_job *sj)
{
	struct chanreg_job	*j = (struct chanreg_job *)sj;

	if (sj->status != SQLITE_OK) {
		log_warnx("channel %s: %s not kept: %s", j->name,
		    chanreg_op_names[j->op], store_strerror(sj->status));
		/* Without its row the channel is not registered. */
		if (j->op == CHANREG_CREATE && !j->ch->dead &&
		    j->ch->registered && j->ch->regid == j->id)
			chanreg_forget(j->ch);
	}
	chanreg_job_free(j);
}

static struct chanreg_job *
chanreg_job_new(enum chanreg_op op, const struct channel *ch)
{
	struct chanreg_job	*j = xcalloc(1, sizeof *j);

	j->job.run = chanreg_run;
	j->job.done = chanreg_done;
	j->op = op;
	j->id = ch->regid;
	j->name = xstrdup(ch->name);
	return j;
}

/* Copy what the channels row holds. */
static void
chanreg_job_row(struct chanreg_job *j, const struct channel *ch)
{
	j->fold = xstrdup(ch->fold);
	j->founder = ch->founder;
	j->created = ch->created;
	j->topic = ch->topic != NULL ? xstrdup(ch->topic) : NULL;
	j->setter = ch->topic_setter != NULL ? xstrdup(ch->topic_setter) :
	    NULL;
	j->topic_time = ch->topic_time;
	chanreg_flags_string(ch->modes, j->modes);
	j->key = ch->key != NULL ? xstrdup(ch->key) : NULL;
	j->limit = ch->limit;
}

static void
chanreg_job_ent(struct chanreg_job *j, char letter, const char *mask,
    const char *setter, uint64_t set_at)
{
	struct chanreg_ent	*e;

	j->ent = xreallocarray(j->ent, j->nent + 1, sizeof *j->ent);
	e = &j->ent[j->nent++];
	e->letter = letter;
	e->mask = xstrdup(mask);
	e->setter = xstrdup(setter != NULL ? setter : srv.name);
	e->set_at = set_at;
}

/* Hand j to the store.  Returns 0, or -1 (j is freed) when it is full. */
static int
chanreg_job_submit(struct chanreg_job *j)
{
	if (store_submit(&j->job) == 0)
		return 0;
	log_warnx("channel %s: %s not kept: the store is full", j->name,
	    chanreg_op_names[j->op]);
	chanreg_job_free(j);
	return -1;
}

/*
 * Register ch with founder as its founder: the founder's account gets
 * operator status, and so do the statuses of the logged-in members as
 * they are now.  Returns 0, or -1 if the store cannot take it.
 */
static int
chanreg_register(struct channel *ch, const struct account *founder)
{
	struct chanreg_job	*j;
	struct chanaccess	*e;
	struct chanlist		*l;
	struct account		*a;
	const char		*letters = "beI";
	uint32_t		 i;
	uint8_t			 st;

	ch->registered = 1;
	ch->regid = chanreg_next_id++;
	ch->founder = founder->id;
	for (i = 0; i < ch->nmembers; i++) {
		st = ch->members[i]->modes & (MEMBER_OP | MEMBER_VOICE);
		if (st != 0 && (a = chanreg_account(ch->members[i]->client)) !=
		    NULL)
			chanreg_access_set(ch, a->id, st);
	}
	e = chanreg_access_find(ch, founder->id);
	chanreg_access_set(ch, founder->id, (e != NULL ? e->modes : 0) |
	    MEMBER_OP);

	j = chanreg_job_new(CHANREG_CREATE, ch);
	chanreg_job_row(j, ch);
	j->acc = xreallocarray(NULL, ch->naccess, sizeof *j->acc);
	memcpy(j->acc, ch->access, ch->naccess * sizeof *j->acc);
	j->nacc = ch->naccess;
	for (; *letters != '\0'; letters++) {
		l = channel_list(ch, *letters);
		for (i = 0; i < l->n; i++)
			chanreg_job_ent(j, *letters, l->v[i].mask,
			    l->v[i].setter, l->v[i].set_at);
	}
	j->ch = channel_ref(ch);
	if (chanreg_job_submit(j) != 0) {
		chanreg_forget(ch);
		return -1;
	}
	log_info("channel %s registered to %s", ch->name, founder->name);
	return 0;
}

/*
 * c has just created ch by joining it (and is its operator).  If c is
 * logged in, ch is registered with c's account as its founder.
 */
void
chanreg_created(struct channel *ch, struct client *c)
{
	struct account	*a = chanreg_account(c);

	if (a != NULL && !ch->registered)
		chanreg_register(ch, a);
}

/*
 * The status c's account has in ch (MEMBER_OP, MEMBER_VOICE), or 0 when
 * ch is not registered or c not logged in.
 */
unsigned int
chanreg_access(const struct channel *ch, const struct client *c)
{
	struct account		*a;
	struct chanaccess	*e;

	if (!ch->registered || (a = chanreg_account(c)) == NULL)
		return 0;
	e = chanreg_access_find(ch, a->id);
	return e != NULL ? e->modes : 0;
}

/*
 * m has joined ch, and its JOIN is submitted: give it its account's
 * status back, and tell the channel with a MODE from the server.
 */
void
chanreg_joined(struct channel *ch, struct membership *m)
{
	struct event	*ev;
	const char	*nick = m->client->nick;
	uint8_t		 add;
	char		 body[8 + 2 * (NAME_MAX_BYTES + 1)];

	add = chanreg_access(ch, m->client) & ~m->modes;
	if (add == 0)
		return;
	m->modes |= add;
	channel_names_stale(ch);
	if (add == (MEMBER_OP | MEMBER_VOICE))
		snprintf(body, sizeof body, "+ov %s %s", nick, nick);
	else
		snprintf(body, sizeof body, "+%c %s", add == MEMBER_OP ? 'o' :
		    'v', nick);
	ev = event_new(NULL, HIST_MODE, AUD_CHANNEL);
	event_set_channel(ev, ch);
	event_text(ev, 0, ":%s MODE %s %s", srv.name, ch->name, body);
	irc_chan_row(ev, ch)->body = xstrdup(body);
	event_submit(ev);
}

/* ch's topic or modes changed (in memory already): keep them. */
void
chanreg_changed(struct channel *ch)
{
	struct chanreg_job	*j;

	if (!ch->registered)
		return;
	j = chanreg_job_new(CHANREG_UPDATE, ch);
	chanreg_job_row(j, ch);
	chanreg_job_submit(j);
}

/*
 * m's +o/+v changed.  If m is logged in, its account's entry follows:
 * removing both removes the entry.
 */
void
chanreg_member_modes(struct channel *ch, struct membership *m)
{
	struct chanreg_job	*j;
	struct chanaccess	*e;
	struct account		*a;
	uint8_t			 modes;

	if (!ch->registered || (a = chanreg_account(m->client)) == NULL)
		return;
	modes = m->modes & (MEMBER_OP | MEMBER_VOICE);
	e = chanreg_access_find(ch, a->id);
	if ((e != NULL ? e->modes : 0) == modes)
		return;
	chanreg_access_set(ch, a->id, modes);
	j = chanreg_job_new(CHANREG_ACCESS, ch);
	j->acc = xcalloc(1, sizeof *j->acc);
	j->acc[0].account = a->id;
	j->acc[0].modes = modes;
	j->nacc = 1;
	chanreg_job_submit(j);
}

/* e was just added to ch's list of mode letter (b, e, I): keep it. */
void
chanreg_list_add(struct channel *ch, char letter, const struct listentry *e)
{
	struct chanreg_job	*j;

	if (!ch->registered)
		return;
	j = chanreg_job_new(CHANREG_LIST_ADD, ch);
	chanreg_job_ent(j, letter, e->mask, e->setter, e->set_at);
	chanreg_job_submit(j);
}

/*
 * mask is about to be removed from ch's list of mode letter.  Called
 * before channel_list_del(), because the row is found by the mask as it
 * was stored, which may differ from this one in case.
 */
void
chanreg_list_del(struct channel *ch, char letter, const char *mask)
{
	struct chanreg_job	*j;
	struct chanlist		*l;
	char			 fold[CASEMAP_FOLDSZ * 2];
	uint32_t		 i;

	if (!ch->registered || (l = channel_list(ch, letter)) == NULL ||
	    casemap_fold(mask, fold, sizeof fold) != 0)
		return;
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].fold, fold) != 0)
			continue;
		j = chanreg_job_new(CHANREG_LIST_DEL, ch);
		chanreg_job_ent(j, letter, l->v[i].mask, NULL, 0);
		chanreg_job_submit(j);
		return;
	}
}

/*
 * Drop ch's registration: the rows go, and ch becomes a channel like
 * others (freed now if it is empty).  Returns 0, or -1 if the store
 * cannot take it.
 */
static int
chanreg_drop(struct channel *ch)
{
	struct chanreg_job	*j;

	j = chanreg_job_new(CHANREG_DROP, ch);
	if (chanreg_job_submit(j) != 0)
		return -1;
	log_info("channel %s: registration dropped", ch->name);
	chanreg_forget(ch);
	return 0;
}

/* ChanServ: INFO, REGISTER and DROP for clients. */

static void
chanreg_notice(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
chanreg_notice(struct client *c, const char *fmt, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	client_sendf(c, ":%s NOTICE %s :%s", CHANSERV_PREFIX, client_name(c),
	    b.data);
	buf_free(&b);
}

static void
chanreg_cs_info(struct client *c, struct channel *ch)
{
	struct account	*f = ch->founder != 0 ?
			    account_by_id(ch->founder) : NULL;
	char		 date[32];
	time_t		 t = ch->created;
	unsigned int	 mine = chanreg_access(ch, c);

	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
	chanreg_notice(c, "%s is registered; founder %s, created %s; %u "
	    "account(s) with status%s.", ch->name, f != NULL ? f->name :
	    "(none)", date, ch->naccess, (mine & MEMBER_OP) ?
	    "; you are an operator" : (mine & MEMBER_VOICE) ?
	    "; you have voice" : "");
}

static void
chanreg_cs_register(struct client *c, struct channel *ch)
{
	struct membership	*m = channel_member(ch, c);
	struct account		*a = chanreg_account(c);

	if (a == NULL)
		chanreg_notice(c, "Log in first.");
	else if (ch->registered)
		chanreg_notice(c, "%s is registered already.", ch->name);
	else if (m == NULL || !(m->modes & MEMBER_OP))
		chanreg_notice(c, "You need to be an operator of %s.",
		    ch->name);
	else if (chanreg_register(ch, a) != 0)
		chanreg_notice(c, "The server is busy; try again later.");
	else
		chanreg_notice(c, "%s is registered to %s.", ch->name,
		    a->name);
}

static void
chanreg_cs_drop(struct client *c, struct channel *ch)
{
	struct account	*a = chanreg_account(c);
	char		 name[NAME_MAX_BYTES + 1];

	if (!ch->registered) {
		chanreg_notice(c, "%s is not registered.", ch->name);
		return;
	}
	if (!(c->umodes & UMODE_OPER) && (a == NULL || a->id != ch->founder)) {
		chanreg_notice(c, "Only the founder of %s or a server "
		    "administrator may drop it.", ch->name);
		return;
	}
	strlcpy_u(name, ch->name, sizeof name);	/* ch may go */
	if (chanreg_drop(ch) != 0)
		chanreg_notice(c, "The server is busy; try again later.");
	else
		chanreg_notice(c, "%s is no longer registered.", name);
}

/*
 * PRIVMSG ChanServ: is target the service?  Then run the command in text
 * and return 1; else 0.
 */
int
chanreg_service_msg(struct client *c, const char *target, const char *text)
{
	char		 fold[CASEMAP_FOLDSZ], copy[LINE_MAX_BODY];
	char		*argv[2], *p = copy;
	struct channel	*ch = NULL;
	int		 argc = 0;

	if (casemap_fold(target, fold, sizeof fold) != 0 ||
	    strcmp(fold, "chanserv") != 0)
		return 0;
	strlcpy_u(copy, text, sizeof copy);
	while (argc < 2 && (argv[argc] = strsep(&p, " ")) != NULL)
		if (*argv[argc] != '\0')
			argc++;
	if (argc == 0 || strcasecmp(argv[0], "HELP") == 0) {
		chanreg_notice(c, "ChanServ keeps channels. A channel made "
		    "by a logged-in user is registered by itself. Commands:");
		chanreg_notice(c, "INFO <#channel> - who runs it");
		chanreg_notice(c, "REGISTER <#channel> - register a channel "
		    "you are an operator of");
		chanreg_notice(c, "DROP <#channel> - forget it (its founder, "
		    "or a server administrator)");
		return 1;
	}
	if (strcasecmp(argv[0], "INFO") != 0 &&
	    strcasecmp(argv[0], "REGISTER") != 0 &&
	    strcasecmp(argv[0], "DROP") != 0) {
		chanreg_notice(c, "Unknown command; try HELP.");
		return 1;
	}
	if (argc >= 2)
		ch = channel_find(argv[1]);
	if (argc < 2 || ch == NULL || !channel_can_see(ch, c)) {
		chanreg_notice(c, argc < 2 ? "Name a channel; try HELP." :
		    "No such channel.");
		return 1;
	}
	if (strcasecmp(argv[0], "INFO") == 0) {
		if (ch->registered)
			chanreg_cs_info(c, ch);
		else
			chanreg_notice(c, "%s is not registered.", ch->name);
	} else if (strcasecmp(argv[0], "REGISTER") == 0)
		chanreg_cs_register(c, ch);
	else
		chanreg_cs_drop(c, ch);
	return 1;
}
