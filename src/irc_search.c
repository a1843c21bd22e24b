/*
 * SEARCH (soju.im/search): full-text search of the history a user may
 * read, answered as a soju.im/search batch of PRIVMSG and NOTICE lines in
 * the form CHATHISTORY uses (irc_hist_line), oldest first.
 *
 *	SEARCH <attributes>
 *
 * The attributes are one parameter in message-tag form, key=value;...
 * with tag escaping, as soju parses them: in= (a channel, or a nick for
 * the DM with that user), from= (a sender's nick), after= and before=
 * (server-time timestamps, both inclusive; "timestamp=" before them is
 * accepted too), text= (words, all of which must be in the message, in
 * any case, any script; a word ending in '*' is a prefix of two
 * characters or more; at most SEARCH_WORDS words), limit= (at most
 * SEARCH_MAX).  Unknown attributes are ignored, as soju does; a bad
 * value is FAIL SEARCH INVALID_PARAMS <attribute>.  in= is optional: the
 * whole readable history is searched without it.
 *
 * Privacy is in the SQL (history.c): the channels the caller may read
 * now (irc_hist_readable) and the DMs of its account.  A channel it may
 * not read gives an empty batch, the same answer as one that does not
 * exist.
 *
 * Cost: each query runs on a reader with a deadline (SEARCH_TIMEOUT_MS,
 * then FAIL SEARCH INTERNAL_ERROR TIMEOUT), at most SEARCH_RUNNING run at
 * once so that CHATHISTORY and password hashing keep threads of the pool,
 * and the rest wait in a bounded queue, at most SEARCH_QUEUED_PER_CLIENT
 * of them from one user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "compat.h"
#include "history.h"
#include "irc.h"
#include "line.h"
#include "log.h"
#include "msg.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define SEARCH_MAX			100	/* results per request */
#define SEARCH_TIMEOUT_MS		2000	/* per query */
#define SEARCH_RUNNING			2	/* queries at once */
#define SEARCH_QUEUED			64	/* waiting, server-wide */
#define SEARCH_QUEUED_PER_CLIENT	4
#define SEARCH_WORDS			32	/* in text= */

struct search_req {
	struct store_job	 job;		/* first: the index catch-up */
	struct later		*later;
	struct hist_query	*q;
	uint64_t		 client_id;
	TAILQ_ENTRY(search_req)	 entry;
};

TAILQ_HEAD(search_list, search_req);

static struct search_list	search_queue =
				    TAILQ_HEAD_INITIALIZER(search_queue);
static int			search_nqueued;
static int			search_nrunning;

static void	search_next(void);

static void
search_free(struct search_req *req)
{
	later_end(req->later);
	history_query_free(req->q);
	free(req);
}

/* Reader thread: the query, with its deadline from now. */
static int
search_run(sqlite3 *db, void *arg)
{
	struct search_req	*req = arg;

	req->q->deadline_ms = now_ms() + SEARCH_TIMEOUT_MS;
	return history_query(db, req->q);
}

/* Loop: the results (or the error) to whoever asked. */
static void
search_done(void *arg, int rc)
{
	struct search_req	*req = arg;
	struct hist_query	*q = req->q;
	struct client		*c;
	struct line		*l;
	char			 id[32];
	int			 i;

	search_nrunning--;
	if ((c = later_begin(req->later)) == NULL)
		goto out;
	if ((rc & 0xff) == SQLITE_INTERRUPT) {
		reply_fail(c, "SEARCH", "INTERNAL_ERROR", "TIMEOUT",
		    "The search took too long; narrow it down (in, from, "
		    "after, before, more words)");
		goto out;
	}
	if (rc != SQLITE_OK) {
		log_warnx("search failed: %s", q->error != NULL ? q->error :
		    store_strerror(rc));
		reply_fail(c, "SEARCH", "INTERNAL_ERROR", NULL,
		    "Messages could not be retrieved");
		goto out;
	}
	irc_hist_batch_open(c, id, sizeof id, "soju.im/search", NULL);
	for (i = 0; i < q->nrows; i++) {
		l = irc_hist_line(&q->rows[i], c->cur, id[0] != '\0' ? id :
		    NULL, NULL);
		if (l != NULL) {
			client_send(c, l);
			line_unref(l);
		}
	}
	irc_hist_batch_close(c, id);
out:
	search_free(req);
	search_next();
}

/* Writer thread: the search index, up to date before words are looked
 * up in it. */
static int
search_index_run(sqlite3 *db, struct store_job *j)
{
	(void)j;
	return history_fts_catchup(db);
}

/* Loop: the index is up to date (or could not be: search what it has). */
static void
search_indexed(struct store_job *j)
{
	struct search_req	*req = (struct search_req *)j;
	struct client		*c;

	if (store_read(search_run, search_done, req) == 0)
		return;
	search_nrunning--;
	if ((c = later_begin(req->later)) != NULL)
		reply_fail(c, "SEARCH", "INTERNAL_ERROR", NULL,
		    "Messages could not be retrieved");
	search_free(req);
	search_next();
}

/* Start waiting searches while there is room. */
static void
search_next(void)
{
	struct search_req	*req;
	struct client		*c;

	while (search_nrunning < SEARCH_RUNNING &&
	    (req = TAILQ_FIRST(&search_queue)) != NULL) {
		TAILQ_REMOVE(&search_queue, req, entry);
		search_nqueued--;
		if ((req->later->s->flags & SESSION_QUIT) ||
		    req->later->s->client == NULL) {
			search_free(req);	/* nobody to answer */
			continue;
		}
		search_nrunning++;
		if (req->q->text != NULL) {
			req->job.run = search_index_run;
			req->job.done = search_indexed;
			if (store_submit(&req->job) == 0)
				continue;
		}
		if (store_read(search_run, search_done, req) == 0)
			continue;
		search_nrunning--;
		if ((c = later_begin(req->later)) != NULL)
			reply_fail(c, "SEARCH", "INTERNAL_ERROR", NULL,
			    "Messages could not be retrieved");
		search_free(req);
	}
}

/* "2024-01-01T00:00:00.000Z", or the same after "timestamp=". */
static int
search_time(const char *v, uint64_t *t)
{
	if (strncasecmp(v, "timestamp=", 10) == 0)
		v += 10;
	return time_parse_iso(v, t);
}

/* How many words (blank-separated) s holds. */
static int
search_words(const char *s)
{
	int	n = 0;

	for (;;) {
		s += strspn(s, " \t");
		if (*s == '\0')
			return n;
		n++;
		s += strcspn(s, " \t");
	}
}

/*
 * Take attribute key=v into q.  0, or -1 when the value is bad (the
 * caller answers INVALID_PARAMS with the key).
 */
static int
search_attr(struct client *c, struct hist_query *q, const char *key,
    const char *v)
{
	struct channel	*ch;
	char		 fold[CASEMAP_FOLDSZ], shown[NAME_MAX_BYTES + 1];
	long long	 n;

	if (strcmp(key, "in") == 0) {
		q->dm = 0;
		q->target[0] = q->peer[0] = '\0';
		free(q->readable);
		q->readable = NULL;
		if (v[0] == '\0')
			return -1;
		if (v[0] == '#') {
			if (casemap_fold(v, q->target, sizeof q->target) != 0)
				return -1;
			/* Only that channel, if the caller may read it. */
			ch = dict_get(&srv.channels, q->target);
			q->readable = ch != NULL ? irc_hist_readable(c, ch) :
			    xstrdup("[]");
			return 0;
		}
		irc_hist_peer(v, q->peer, sizeof q->peer, shown,
		    sizeof shown);
		if (q->peer[0] == '\0')
			return -1;
		q->dm = 1;
	} else if (strcmp(key, "from") == 0) {
		if (v[0] == '\0' || casemap_fold(v, fold, sizeof fold) != 0)
			return -1;
		free(q->from);
		q->from = xstrdup(fold);
	} else if (strcmp(key, "after") == 0) {
		if (search_time(v, &q->a.time) != 0)
			return -1;
		q->a.set = 1;
	} else if (strcmp(key, "before") == 0) {
		if (search_time(v, &q->b.time) != 0)
			return -1;
		q->b.set = 1;
	} else if (strcmp(key, "text") == 0) {
		if (search_words(v) > SEARCH_WORDS)
			return -1;
		free(q->text);
		q->text = search_words(v) > 0 ? xstrdup(v) : NULL;
	} else if (strcmp(key, "limit") == 0) {
		if (str_to_int(v, 1, 1LL << 31, &n) != 0)
			return -1;
		q->limit = n > SEARCH_MAX ? SEARCH_MAX : (int)n;
	}
	return 0;
}

/* How many searches of client id wait? */
static int
search_queued_for(uint64_t id)
{
	struct search_req	*req;
	int			 n = 0;

	TAILQ_FOREACH(req, &search_queue, entry)
		n += req->client_id == id;
	return n;
}

/* SEARCH <attributes> (soju.im/search) */
int
cmd_search(struct client *c, struct msg *m)
{
	struct hist_query	*q;
	struct search_req	*req;
	char			 attrs[LINE_MAX_BODY], *p, *tok, *v;

	q = xcalloc(1, sizeof *q);
	q->sub = HQ_SEARCH;
	q->limit = SEARCH_MAX;
	strlcpy_u(attrs, m->params[0], sizeof attrs);
	for (p = attrs; (tok = strsep(&p, ";")) != NULL;) {
		if (*tok == '\0')
			continue;
		if ((v = strchr(tok, '=')) != NULL)
			*v++ = '\0';
		else
			v = tok + strlen(tok);
		msg_tag_unescape(v);
		if (search_attr(c, q, tok, v) != 0) {
			reply_fail(c, "SEARCH", "INVALID_PARAMS",
			    reply_param(tok), "Invalid criteria");
			history_query_free(q);
			return 0;
		}
	}
	irc_hist_me(c, q->me, sizeof q->me);
	if (q->readable == NULL)
		q->readable = q->dm ? xstrdup("[]") :
		    irc_hist_readable(c, NULL);
	if (search_nqueued >= SEARCH_QUEUED ||
	    search_queued_for(c->id) >= SEARCH_QUEUED_PER_CLIENT) {
		reply_fail(c, "SEARCH", "INTERNAL_ERROR", "BUSY",
		    "Too many searches at once; try again in a moment");
		history_query_free(q);
		return 0;
	}
	req = xcalloc(1, sizeof *req);
	req->q = q;
	req->client_id = c->id;
	req->later = reply_later(c);
	TAILQ_INSERT_TAIL(&search_queue, req, entry);
	search_nqueued++;
	search_next();
	return 0;
}
