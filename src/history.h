/*
 * Chat history: the history table and its full-text index.  This module
 * owns their SQL.  Rows are written by delivery events (deliver.c) on
 * the store's writer thread and read back by CHATHISTORY, replay and
 * SEARCH on the reader connections.
 *
 * Who may read what is part of every query: a channel's rows only when
 * the channel is in the caller's readable set (passed as a JSON array),
 * a DM's only when the caller's own key is one of its two sides.
 *
 * A DM side's key is the folded account name, or "~" and the folded nick
 * for someone not logged in (whose DMs are stored but readable by nobody
 * through history: a nick is not an identity).
 *
 * A redacted row keeps its place (id, time, sender) but loses its text
 * and tags; an edited one holds the new text.  Either way the search
 * index follows.  Every query may carry a deadline (deadline_ms, on the
 * monotonic clock): past it, the query stops with SQLITE_INTERRUPT.
 */
#ifndef LANCHAT_HISTORY_H
#define LANCHAT_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "casemap.h"

#define HIST_PRIVMSG	1
#define HIST_NOTICE	2
#define HIST_TAGMSG	3
#define HIST_JOIN	4
#define HIST_PART	5
#define HIST_KICK	6
#define HIST_TOPIC	7
#define HIST_NICK	8
#define HIST_QUIT	9
#define HIST_MODE	10
#define HIST_ANNOUNCE	11
#define HIST_REDACT	12	/* events only: never stored as rows */
#define HIST_EDIT	13
#define HIST_IDSKIP	14	/* a placeholder only: store_mark_open() */

#define HISTF_REDACTED	0x01
#define HISTF_EDITED	0x02

#define HISTORY_MAX	1000	/* CHATHISTORY= limit per request */

#define HQ_LATEST	1
#define HQ_BEFORE	2
#define HQ_AFTER	3
#define HQ_AROUND	4
#define HQ_BETWEEN	5
#define HQ_TARGETS	6
#define HQ_SEARCH	7
#define HQ_MISSED	8

struct hist_row {
	int64_t		 id;
	uint64_t	 time;
	int		 kind;
	unsigned int	 flags;
	char		*target;	/* folded channel, or "" */
	char		*dm_lo, *dm_hi;
	char		*sender;	/* nick!user@host */
	char		*account;
	char		*tname;		/* target as shown */
	char		*tags;		/* client-only tags, escaped */
	char		*body;
	char		*extra;
	char		*msgid;		/* NULL: derived from the id */
	int64_t		 account_id;	/* sender's account (0: none) */
};

/* One selector: a message id or a time. */
struct hist_bound {
	int		 set;
	int		 is_id;
	int64_t		 id;
	uint64_t	 time;
};

struct hist_query {
	int		 sub;
	int		 dm;
	char		 target[CASEMAP_FOLDSZ];	/* channel fold */
	char		 me[CASEMAP_FOLDSZ + 1];	/* caller's DM key */
	char		 peer[CASEMAP_FOLDSZ + 1];	/* DM: the other */
	char		*readable;	/* JSON array of channel folds */
	struct hist_bound a, b;		/* SEARCH: after, before (times,
					 * both inclusive) */
	int		 limit;
	int		 events;	/* JOIN, PART... too */
	int		 tagmsg;	/* TAGMSG too */
	char		*text;		/* SEARCH: words to match, or NULL */
	char		*from;		/* SEARCH: sender nick (folded) */
	uint64_t	 deadline_ms;	/* now_ms() past this: interrupted */
	uint64_t	 since;		/* MISSED: after this time */
	char		*mention;	/* MISSED: folded account name and */
	char		*mention_nick;	/* ... folded nick to look for */
	int64_t		 account_id;	/* MISSED: whose read markers */
	/* Results. */
	struct hist_row	*rows;
	int		 nrows;
	int		 rc;
	char		*error;
};

int		 history_insert(sqlite3 *, const struct hist_row *, int64_t *);
int		 history_query(sqlite3 *, void *);
void		 history_query_free(struct hist_query *);
void		 history_row_free(struct hist_row *);
void		 history_msgid(int64_t, char *, size_t);
int		 history_msgid_parse(const char *, int64_t *);
void		 history_dm_key(const char *, const char *, char *, size_t);
int		 history_fts_work(sqlite3 *);
int		 history_fts_catchup(sqlite3 *);
int		 history_idle_work(sqlite3 *);
void		 history_set_retention(int64_t);
int		 history_redact(sqlite3 *, int64_t);
int		 history_edit(sqlite3 *, int64_t, const char *);
int		 history_row_get(sqlite3 *, int64_t, struct hist_row *);
void		 history_conn_init(sqlite3 *);

#endif
