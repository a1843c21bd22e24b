/*
 * Events and the delivery queue; see deliver.h.
 *
 * deliver_q holds every event made and not yet delivered, in the order
 * made.  An event with rows to keep is ready when its store job is done;
 * one without is ready at once.  event_release() delivers from the head
 * while the head is ready, so a later event never overtakes an earlier
 * one, and an event that needs no disk does not wait when nothing is
 * queued before it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "buf.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "deliver.h"
#include "history.h"
#include "line.h"
#include "log.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static struct event	*deliver_q, **deliver_tail = &deliver_q;
static struct event	*deliver_last;	/* the tail, for appending lines */
static size_t		 deliver_n;
static uint64_t		 event_seq;
static int		 deliver_active;

/* Is an event being delivered right now (its lines go out at once)? */
int
event_delivering(void)
{
	return deliver_active;
}

static void
event_enqueue(struct event *ev)
{
	ev->next = NULL;
	*deliver_tail = ev;
	deliver_tail = &ev->next;
	deliver_last = ev;
	deliver_n++;
}

/*
 * Hold l for s behind s's own events still in the queue (the caller
 * checked there are some): appended to the last event when that already
 * holds lines for s, else as a new line-only event.
 */
void
event_defer_line(struct session *s, struct line *l)
{
	struct event	*ev = deliver_last;

	if (ev == NULL || ev->hold != s) {
		ev = xcalloc(1, sizeof *ev);
		ev->hold = session_ref(s);
		ev->ready = 1;
		ev->seq = ++event_seq;
		event_enqueue(ev);
	}
	ev->lines = xreallocarray(ev->lines, ev->nlines + 1,
	    sizeof *ev->lines);
	ev->lines[ev->nlines++] = line_ref(l);
}

/* The position the next event will take (for memberships made now). */
uint64_t
event_next_seq(void)
{
	return event_seq + 1;
}

size_t
event_pending(void)
{
	return deliver_n;
}

/*
 * A new event from `from` (NULL: the server) of history kind `kind`, to
 * be delivered to `audience`.  Made during the dispatch of from's
 * command, it keeps that command's reply open until it is delivered.
 */
struct event *
event_new(struct client *from, int kind, unsigned int audience)
{
	struct event	*ev = xcalloc(1, sizeof *ev);

	ev->seq = ++event_seq;
	ev->time_ms = wall_ms();
	ev->kind = kind;
	ev->audience = audience;
	ev->alt_cap = -1;
	ev->need_cap = -1;
	if (from != NULL) {
		ev->from = client_ref(from);
		if (from->cur != NULL) {
			ev->later = reply_later(from);
			ev->origin = session_ref(from->cur);
			ev->origin->nevents++;
		}
		if (from->account != NULL)
			ev->account = xstrdup(from->account);
		ev->bot = (from->umodes & UMODE_BOT) != 0;
	}
	return ev;
}

/* Set line `which` (0, or 1 for clients with alt_cap). */
void
event_text(struct event *ev, int which, const char *fmt, ...)
{
	va_list	ap;

	free(ev->text[which]);
	va_start(ap, fmt);
	xvasprintf(&ev->text[which], fmt, ap);
	va_end(ap);
}

/* Set line `which` to the strings given, up to a NULL, end to end (the
 * messages' path: no printf). */
void
event_text_cat(struct event *ev, int which, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 n = 0, k;
	char		*p;

	va_start(ap, which);
	while ((s = va_arg(ap, const char *)) != NULL)
		n += strlen(s);
	va_end(ap);
	free(ev->text[which]);
	p = ev->text[which] = xmalloc(n + 1);
	va_start(ap, which);
	while ((s = va_arg(ap, const char *)) != NULL) {
		k = strlen(s);
		memcpy(p, s, k);
		p += k;
	}
	va_end(ap);
	*p = '\0';
}

/* A history row to keep with the event; the caller fills it in (with
 * allocated strings).  Time, kind and sender are filled already. */
struct hist_row *
event_row(struct event *ev)
{
	struct hist_row	*r;
	struct account	*a;

	ev->rows = xreallocarray(ev->rows, ev->nrows + 1, sizeof *ev->rows);
	r = &ev->rows[ev->nrows++];
	memset(r, 0, sizeof *r);
	r->time = ev->time_ms;
	r->kind = ev->kind;
	if (ev->from != NULL) {
		r->sender = xstrdup(client_prefix(ev->from));
		if (ev->account != NULL)
			r->account = xstrdup(ev->account);
		if (ev->account != NULL &&
		    (a = account_find(ev->account)) != NULL)
			r->account_id = a->id;
	} else
		r->sender = xstrdup(srv.name);
	return r;
}

void
event_set_channel(struct event *ev, struct channel *ch)
{
	ev->chan = channel_ref(ch);
}

void
event_set_to(struct event *ev, struct client *c)
{
	ev->to = client_ref(c);
}

/* The channels c is in now (NICK, QUIT reach their members). */
void
event_capture_channels(struct event *ev, struct client *c)
{
	uint32_t	i;

	if (c->nchans == 0)
		return;
	ev->chans = xreallocarray(NULL, c->nchans, sizeof *ev->chans);
	for (i = 0; i < c->nchans; i++)
		ev->chans[i] = channel_ref(c->chans[i]->chan);
	ev->nchans = c->nchans;
}

static void
event_free(struct event *ev)
{
	uint32_t	i;
	int		j;

	if (ev->origin != NULL) {
		ev->origin->nevents--;
		session_unref(ev->origin);
	}
	if (ev->later != NULL)
		later_end(ev->later);
	if (ev->hold != NULL)
		session_unref(ev->hold);
	for (i = 0; i < ev->nlines; i++)
		line_unref(ev->lines[i]);
	free(ev->lines);
	if (ev->from != NULL)
		client_unref(ev->from);
	if (ev->to != NULL)
		client_unref(ev->to);
	if (ev->chan != NULL)
		channel_unref(ev->chan);
	for (i = 0; i < ev->nchans; i++)
		channel_unref(ev->chans[i]);
	free(ev->chans);
	for (j = 0; j < ev->nrows; j++)
		history_row_free(&ev->rows[j]);
	free(ev->rows);
	free(ev->text[0]);
	free(ev->text[1]);
	free(ev->ctags);
	free(ev->ctags_alt);
	free(ev->account);
	free(ev);
}

/* Writer thread: keep the rows.  They share the first row's msgid. */
static int
event_run(sqlite3 *db, struct store_job *j)
{
	struct event	*ev = (struct event *)j;
	int64_t		 id;
	int		 i, rc;
	char		 msgid[48];

	for (i = 0; i < ev->nrows; i++) {
		if (i == 1) {
			history_msgid(ev->id, msgid, sizeof msgid);
			for (int k = 1; k < ev->nrows; k++)
				ev->rows[k].msgid = xstrdup(msgid);
		}
		if ((rc = history_insert(db, &ev->rows[i], &id)) != SQLITE_OK)
			return rc;
		if (i == 0)
			ev->id = id;
	}
	return SQLITE_OK;
}

/* The sender hears that its message was not delivered, and why. */
static void
event_fail(struct event *ev)
{
	struct client	*c;
	const char	*t = ev->nrows > 0 && ev->rows[0].tname != NULL ?
			    ev->rows[0].tname : "*";

	if (ev->later == NULL || (c = later_begin(ev->later)) == NULL)
		return;
	reply_fail(c, ev->verb != NULL ? ev->verb : "*",
	    "TEMPORARILY_UNAVAILABLE", reply_param(t), "Not delivered: %s; "
	    "try again later", store_strerror(ev->job.status));
	c->cur = NULL;
}

/* Send ev to its audience. */
static void
event_deliver(struct event *ev)
{
	struct fanout	 f;
	struct client	*from = ev->from, *origin_c = NULL;
	struct session	*origin = NULL;
	struct line	*l;
	uint32_t	 i;

	fanout_init_at(&f, NULL, ev->time_ms, ev->msgid);
	f.account = ev->account;
	f.bot = ev->bot;
	f.ctags = ev->ctags;
	f.ctags_alt = ev->ctags_alt;
	f.alt_cap = ev->alt_cap;
	f.need_cap = ev->need_cap;
	f.tagmsg = ev->tagmsg;
	f.seq = ev->seq;
	fanout_add(&f, 0, ev->text[0]);
	if (ev->text[1] != NULL)
		fanout_add(&f, 1, ev->text[1]);
	if (ev->later != NULL && (origin_c = later_begin(ev->later)) != NULL)
		origin = origin_c->cur;
	if (from != NULL && (from->flags & CLIENT_QUIT))
		from = NULL;

	if ((ev->audience & AUD_TO) && ev->to != NULL && ev->to == from) {
		/* To oneself: the delivered copy is no part of the labeled
		 * response; only the echo is (IRCv3 labeled-response). */
		fanout_deliver(&f, from);
		if (origin != NULL &&
		    session_has_cap(origin, CAP_ECHO_MESSAGE) &&
		    (l = fanout_line(&f, origin)) != NULL)
			session_send(origin, l);
	} else {
		if (from != NULL && (ev->audience & (AUD_SELF | AUD_ECHO))) {
			/* Its other sessions always see it; the one that sent
			 * a message, only with echo-message. */
			if ((ev->audience & AUD_ECHO) && origin != NULL &&
			    !session_has_cap(origin, CAP_ECHO_MESSAGE))
				f.skip = origin;
			fanout_send(&f, from);
			f.skip = NULL;
		}
		if ((ev->audience & AUD_TO) && ev->to != NULL &&
		    !(ev->to->flags & CLIENT_QUIT))
			fanout_send(&f, ev->to);
	}
	if ((ev->audience & AUD_CHANNEL) && ev->chan != NULL)
		fanout_channel(&f, ev->chan, NULL, ev->status);
	if (ev->audience & AUD_CHANS)
		for (i = 0; i < ev->nchans; i++)
			fanout_channel(&f, ev->chans[i], NULL, 0);
	if (ev->after != NULL)
		ev->after(ev);
	if (origin_c != NULL)
		origin_c->cur = NULL;
	fanout_done(&f);
}

/*
 * Deliver every ready event at the head of the queue, in order.  Called
 * when a batch is committed and at the end of each loop turn, never
 * during the dispatch of a command (whose reply an event may complete).
 */
void
event_release(void)
{
	struct event	*ev;

	uint32_t	 i;

	while ((ev = deliver_q) != NULL && ev->ready) {
		deliver_q = ev->next;
		if (deliver_q == NULL) {
			deliver_tail = &deliver_q;
			deliver_last = NULL;
		}
		deliver_n--;
		deliver_active = 1;
		if (ev->hold != NULL) {
			for (i = 0; i < ev->nlines; i++)
				if (ev->hold->conn != NULL &&
				    !(ev->hold->flags & SESSION_QUIT))
					conn_send(ev->hold->conn,
					    ev->lines[i]);
		} else if (ev->job.status != SQLITE_OK && ev->must_store)
			event_fail(ev);
		else
			event_deliver(ev);
		deliver_active = 0;
		event_free(ev);
	}
}

/* Loop thread: the rows are committed (or not). */
static void
event_done(struct store_job *j)
{
	struct event	*ev = (struct event *)j;

	if (j->status == SQLITE_OK)
		history_msgid(ev->id, ev->msgid, sizeof ev->msgid);
	else {
		log_debug("event %llu not kept: %s", (unsigned long long)
		    ev->seq, store_strerror(j->status));
		server_msgid(ev->msgid, sizeof ev->msgid);
	}
	ev->ready = 1;
	event_release();
}

/*
 * Hand ev over: to the store when it has rows to keep, then to the
 * queue.  A message the store cannot take now is refused at once (the
 * sender is told); other events go out without their history rows.
 */
void
event_submit(struct event *ev)
{
	event_enqueue(ev);
	if (ev->nrows > 0) {
		ev->job.run = event_run;
		ev->job.done = event_done;
		if ((ev->nrows == 1 ? store_submit_single(&ev->job) :
		    store_submit(&ev->job)) == 0)
			return;
		ev->job.status = SQLITE_FULL;
		log_warnx("store queue full: event %llu not kept",
		    (unsigned long long)ev->seq);
	}
	server_msgid(ev->msgid, sizeof ev->msgid);
	ev->ready = 1;
}
