/*
 * Changing what was said: REDACT (IRCv3 draft/message-redaction) and
 * EDIT (the message-edit proposal, ircv3-specifications pull request
 * 425, under its draft cap draft/message-edit).
 *
 * Both run in three steps.  The handler checks what it can at once (the
 * target, the form of the msgid, the new text) and looks the message up
 * on a reader (store_read + history_row_get).  Back on the loop, the row
 * must belong to the conversation the client named, and the client must
 * be allowed; then a store job changes the row (history_redact or
 * history_edit, which keep the search index right).  Once that is
 * committed, an event delivers the change like a message, in order with
 * every other event.
 *
 * Who may act (the specs leave it to servers; this is our choice):
 * - REDACT: the author, matched by account; in a channel, its operators;
 *   server operators (UMODE_OPER), in any channel and in the DMs they are
 *   a party of.  A row kept without an account (its sender was not
 *   logged in) belongs to nobody we could prove, so only the moderators
 *   may redact it: a nick is not an identity.
 * - EDIT: the author only, by account, and only while the author may
 *   still speak in the channel.  No time window.
 * A DM is named by the other party's nick (or account name) and must be
 * the one between the caller's account and that party, as for
 * CHATHISTORY (history.h).  A msgid of another conversation, or of none,
 * is UNKNOWN_MSGID either way, so that nothing about other conversations
 * leaks.
 *
 * Errors are the specs' codes; EDIT also borrows INVALID_TARGET and
 * UNKNOWN_MSGID from REDACT, which PR 425 lacks words for.  Neither
 * command needs its cap: as Ergo does, only the output is gated.  PR
 * 425's DELETE is not offered: REDACT superseded it.
 *
 * Delivery: clients with the cap get the REDACT or EDIT itself (with a
 * new msgid and time).  Others get a fallback from the same source, as
 * both specs suggest: a NOTICE saying that a message was deleted (none
 * for a reaction, a TAGMSG), or the new text as a PRIVMSG (NOTICE for a
 * notice) "* edited: ..." that replies (+draft/reply) to the original.  REDACT reaches every session
 * of its author, as Ergo does; EDIT follows echo-message like the
 * message it changes.
 *
 * Lifetime: one struct edit_req per command.  It holds a reference to
 * the client and the command's later reply, and is freed after the last
 * step, whichever it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "msg.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define EDIT_REDACT	0
#define EDIT_EDIT	1

#define EDIT_MSGID_MAX	64	/* a msgid kept to echo in errors */

struct edit_req {
	struct store_job	 job;		/* first: the write */
	int			 op;
	struct later		*later;
	struct client		*c;		/* ref */
	int64_t			 id;
	char			 given[NAME_MAX_BYTES + 1];	/* as sent */
	char			 shown[NAME_MAX_BYTES + 1];
	char			 chan[CASEMAP_FOLDSZ];	/* "": a DM */
	char			 me[CASEMAP_FOLDSZ + 1];
	char			 peer[CASEMAP_FOLDSZ + 1];
	char			 msgid[EDIT_MSGID_MAX];	/* as sent */
	char			*text;		/* new text, or reason */
	struct hist_row		 row;
};

static const char *const edit_verb[] = { "REDACT", "EDIT" };

static void
edit_free(struct edit_req *req)
{
	if (req->later != NULL)
		later_end(req->later);
	if (req->c != NULL)
		client_unref(req->c);
	history_row_free(&req->row);
	free(req->text);
	free(req);
}

/* FAIL <verb> <code> <target> [<msgid>] :text, to the running session. */
static void
edit_fail(struct client *c, const struct edit_req *req, const char *code,
    int with_msgid, const char *text)
{
	char	ctx[sizeof req->given + sizeof req->msgid + 2];

	if (with_msgid)
		snprintf(ctx, sizeof ctx, "%s %s", reply_param(req->given),
		    reply_param(req->msgid));
	else
		snprintf(ctx, sizeof ctx, "%s", reply_param(req->given));
	reply_fail(c, edit_verb[req->op], code, ctx, "%s", text);
}

static void
edit_fail_target(struct client *c, const struct edit_req *req)
{
	char	text[NAME_MAX_BYTES + 64];

	snprintf(text, sizeof text, req->op == EDIT_REDACT ?
	    "You cannot delete messages from %s" :
	    "You cannot edit messages in %s", req->given);
	edit_fail(c, req, "INVALID_TARGET", 0, text);
}

static void
edit_fail_unknown(struct client *c, const struct edit_req *req)
{
	edit_fail(c, req, "UNKNOWN_MSGID", 1,
	    "This message does not exist or is too old");
}

static void
edit_fail_busy(struct client *c, const struct edit_req *req, int rc)
{
	char	text[160];

	snprintf(text, sizeof text, "Not done: %s; try again later",
	    store_strerror(rc));
	edit_fail(c, req, "TEMPORARILY_UNAVAILABLE", 1, text);
}

/*
 * Which conversation the client named: a channel it may read (server
 * operators may redact in any channel), or a DM of its account.  0, or
 * -1 when it names none it may act in.
 */
static int
edit_target(struct client *c, struct edit_req *req, const char *target)
{
	struct channel	*ch;

	if (target[0] == '#') {
		if ((ch = channel_find(target)) == NULL || ch->dead)
			return -1;
		if (!irc_hist_can_read(c, ch) && !(req->op == EDIT_REDACT &&
		    (c->umodes & UMODE_OPER)))
			return -1;
		strlcpy_u(req->chan, ch->fold, sizeof req->chan);
		strlcpy_u(req->shown, ch->name, sizeof req->shown);
		return 0;
	}
	irc_hist_me(c, req->me, sizeof req->me);
	if (req->me[0] == '\0')
		return -1;	/* DMs are kept by account only */
	irc_hist_peer(target, req->peer, sizeof req->peer, req->shown,
	    sizeof req->shown);
	return req->peer[0] == '\0' ? -1 : 0;
}

/* A new request for target and msgid, or NULL after a FAIL. */
static struct edit_req *
edit_new(struct client *c, int op, const char *target, const char *msgid)
{
	struct edit_req	*req = xcalloc(1, sizeof *req);

	req->op = op;
	strlcpy_u(req->given, target, sizeof req->given);
	strlcpy_u(req->msgid, msgid, sizeof req->msgid);
	if (edit_target(c, req, target) != 0) {
		edit_fail_target(c, req);
		edit_free(req);
		return NULL;
	}
	if (history_msgid_parse(msgid, &req->id) != 0) {
		edit_fail_unknown(c, req);
		edit_free(req);
		return NULL;
	}
	return req;
}

/* Is the row a message of the conversation req names, that op may
 * change (REDACT: any message; EDIT: one with text)? */
static int
edit_row_here(const struct edit_req *req)
{
	const struct hist_row	*r = &req->row;
	const char		*lo, *hi;

	if (r->flags & HISTF_REDACTED)
		return 0;
	if (r->kind != HIST_PRIVMSG && r->kind != HIST_NOTICE &&
	    (req->op == EDIT_EDIT || r->kind != HIST_TAGMSG))
		return 0;
	if (req->chan[0] != '\0')
		return r->target != NULL && strcmp(r->target, req->chan) == 0;
	lo = strcmp(req->me, req->peer) < 0 ? req->me : req->peer;
	hi = lo == req->me ? req->peer : req->me;
	return r->target != NULL && r->target[0] == '\0' && r->dm_lo != NULL &&
	    r->dm_hi != NULL && strcmp(r->dm_lo, lo) == 0 &&
	    strcmp(r->dm_hi, hi) == 0;
}

/* Did c (by its account) write the row? */
static int
edit_is_author(const struct client *c, const struct hist_row *r)
{
	struct account	*a;

	/* By account id, not name: a dropped account's name registered
	 * again by someone else is not the same author. */
	if (r->account_id <= 0 || c->account == NULL ||
	    (a = account_find(c->account)) == NULL)
		return 0;
	return a->id == r->account_id;
}

/* May c do req's op on its row, now? */
static int
edit_allowed(const struct client *c, const struct edit_req *req)
{
	struct channel		*ch = NULL;
	struct membership	*mb;

	if (req->chan[0] != '\0' &&
	    (ch = dict_get(&srv.channels, req->chan)) != NULL && ch->dead)
		ch = NULL;
	if (req->op == EDIT_EDIT) {
		if (!edit_is_author(c, &req->row))
			return 0;
		/* An edit is a message: the author must still be heard. */
		if (req->chan[0] != '\0')
			return ch != NULL && irc_msg_cannot_send(c, ch) == NULL;
		return 1;
	}
	if (edit_is_author(c, &req->row) || (c->umodes & UMODE_OPER))
		return 1;
	return ch != NULL && (mb = channel_member(ch, c)) != NULL &&
	    (mb->modes & MEMBER_OP);
}

/* The user behind a DM key, if online. */
static struct client *
edit_peer_client(const char *key)
{
	struct account	*a;
	struct client	*t;

	if (key[0] == '~') {
		t = client_find(key + 1);
		return t != NULL && t->account == NULL ? t : NULL;
	}
	a = account_find_fold(key);
	return a != NULL ? a->online : NULL;
}

/* "5 seconds", "3 minutes"...: how long ago, for people (the specs
 * recommend relative times in fallbacks). */
static void
edit_ago(uint64_t ms, char *out, size_t outsz)
{
	unsigned long long	n = ms / 1000;
	const char		*unit = "second";

	if (n >= 86400) {
		n /= 86400;
		unit = "day";
	} else if (n >= 3600) {
		n /= 3600;
		unit = "hour";
	} else if (n >= 60) {
		n /= 60;
		unit = "minute";
	}
	snprintf(out, outsz, "%llu %s%s", n, unit, n == 1 ? "" : "s");
}

/* The nick in a nick!user@host. */
static void
edit_nick_of(const char *prefix, char *out, size_t outsz)
{
	size_t	n = strcspn(prefix, "!");

	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, prefix, n);
	out[n] = '\0';
}

/* The REDACT line, as text `which` of ev. */
static void
edit_redact_text(struct event *ev, int which, const char *pfx,
    const char *tname, const char *msgid, const char *reason)
{
	if (reason != NULL)
		event_text(ev, which, ":%s REDACT %s %s :%s", pfx, tname,
		    msgid, reason);
	else
		event_text(ev, which, ":%s REDACT %s %s", pfx, tname, msgid);
}

/*
 * The change is committed: tell the conversation.  from is the actor
 * (with its session current when it is still here).
 */
static void
edit_deliver(struct edit_req *req, struct client *from)
{
	struct event	*ev;
	struct channel	*ch = NULL;
	struct client	*to = NULL;
	const char	*tname = req->shown, *pfx = client_prefix(from);
	const char	*verb = req->row.kind == HIST_NOTICE ? "NOTICE" :
			    "PRIVMSG";
	char		 msgid[48], ago[32], nick[NAME_MAX_BYTES + 1];
	char		*esc;
	size_t		 n;
	unsigned int	 aud;

	if (req->row.msgid != NULL)
		strlcpy_u(msgid, req->row.msgid, sizeof msgid);
	else
		history_msgid(req->row.id, msgid, sizeof msgid);
	if (req->chan[0] != '\0') {
		ch = dict_get(&srv.channels, req->chan);
		if (ch != NULL && ch->dead)
			ch = NULL;
		if (ch != NULL)
			tname = ch->name;
	} else if ((to = edit_peer_client(req->peer)) != NULL)
		tname = to->nick;
	aud = req->op == EDIT_REDACT ? AUD_SELF : AUD_ECHO;
	if (ch != NULL)
		aud |= AUD_CHANNEL;
	if (to != NULL)
		aud |= AUD_TO;
	ev = event_new(from, req->op == EDIT_REDACT ? HIST_REDACT : HIST_EDIT,
	    aud);
	ev->verb = edit_verb[req->op];
	if (ch != NULL)
		event_set_channel(ev, ch);
	if (to != NULL)
		event_set_to(ev, to);
	if (req->op == EDIT_REDACT && req->row.kind == HIST_TAGMSG) {
		/* A reaction: no fallback to tell of it. */
		ev->need_cap = CAP_MESSAGE_REDACTION;
		edit_redact_text(ev, 0, pfx, tname, msgid, req->text);
	} else if (req->op == EDIT_REDACT) {
		ev->alt_cap = CAP_MESSAGE_REDACTION;
		edit_redact_text(ev, 1, pfx, tname, msgid, req->text);
		edit_ago(ev->time_ms > req->row.time ? ev->time_ms -
		    req->row.time : 0, ago, sizeof ago);
		edit_nick_of(req->row.sender != NULL ? req->row.sender : "?",
		    nick, sizeof nick);
		if (edit_is_author(from, &req->row))
			event_text(ev, 0, ":%s NOTICE %s :deleted their "
			    "message from %s ago%s%s", pfx, tname, ago,
			    req->text != NULL ? ": " : "",
			    req->text != NULL ? req->text : "");
		else
			event_text(ev, 0, ":%s NOTICE %s :deleted a message by "
			    "%s from %s ago%s%s", pfx, tname, nick, ago,
			    req->text != NULL ? ": " : "",
			    req->text != NULL ? req->text : "");
	} else {
		ev->alt_cap = CAP_MESSAGE_EDIT;
		/* PR 425: both tags on the EDIT that is forwarded. */
		n = msg_tag_escaped_len(req->text) + 1;
		esc = xmalloc(n);
		msg_tag_escape(esc, n, req->text);
		xasprintf(&ev->ctags_alt, "draft/target-msgid=%s;"
		    "draft/edit-text=%s", msgid, esc);
		free(esc);
		xasprintf(&ev->ctags, "+draft/reply=%s", msgid);
		event_text(ev, 1, ":%s EDIT %s", pfx, tname);
		event_text(ev, 0, ":%s %s %s :* edited: %s", pfx, verb, tname,
		    req->text);
	}
	event_submit(ev);
}

/* Writer thread: the change itself. */
static int
edit_run(sqlite3 *db, struct store_job *j)
{
	struct edit_req	*req = (struct edit_req *)j;

	if (req->op == EDIT_REDACT)
		return history_redact(db, req->id);
	return history_edit(db, req->id, req->text);
}

/* Loop: the change is committed (or not). */
static void
edit_done(struct store_job *j)
{
	struct edit_req	*req = (struct edit_req *)j;
	struct client	*c = later_begin(req->later);

	if (j->status == SQLITE_OK)
		edit_deliver(req, c != NULL ? c : req->c);
	else if (c != NULL && j->status == SQLITE_NOTFOUND)
		edit_fail_unknown(c, req);	/* redacted meanwhile */
	else if (c != NULL)
		edit_fail_busy(c, req, j->status);
	edit_free(req);
}

/* Reader thread: the row the msgid names. */
static int
edit_read(sqlite3 *db, void *arg)
{
	struct edit_req	*req = arg;

	return history_row_get(db, req->id, &req->row);
}

/*
 * Does req's new text fit the line that replays its row from history,
 * ":sender PRIVMSG target :text" in 512 bytes (the author's prefix of
 * then, not of now)?  A DM is replayed at login under the reader's nick
 * of the day, which may be as long as a nick can be.
 */
static int
edit_text_fits(const struct edit_req *req)
{
	const struct hist_row	*r = &req->row;
	size_t			 t, head;

	t = r->tname != NULL ? strlen(r->tname) : 0;
	if (req->chan[0] == '\0' && t < NICKLEN)
		t = NICKLEN;
	head = 1 + strlen(r->sender != NULL ? r->sender : "") +
	    strlen(" PRIVMSG ") + t + strlen(" :");
	return head + strlen(req->text) <= LINE_MAX_BODY - 2;
}

/* Loop: the row is here (or not); check, then hand the change over. */
static void
edit_read_done(void *arg, int rc)
{
	struct edit_req	*req = arg;
	struct client	*c;
	struct later	*next;

	if ((c = later_begin(req->later)) == NULL)
		goto out;
	if (rc == SQLITE_NOTFOUND || (rc == SQLITE_OK && !edit_row_here(req))) {
		edit_fail_unknown(c, req);
		goto out;
	}
	if (rc != SQLITE_OK) {
		edit_fail_busy(c, req, rc);
		goto out;
	}
	if (!edit_allowed(c, req)) {
		edit_fail(c, req, req->op == EDIT_REDACT ? "REDACT_FORBIDDEN" :
		    "EDIT_FORBIDDEN", 1, req->op == EDIT_REDACT ?
		    "You are not authorised to delete this message" :
		    "You are not authorised to edit this message");
		goto out;
	}
	if (req->op == EDIT_EDIT && !edit_text_fits(req)) {
		edit_fail(c, req, "INVALID_EDIT", 1, "The new text is too long "
		    "for this message");
		goto out;
	}
	req->job.run = edit_run;
	req->job.done = edit_done;
	next = reply_later(c);
	if (store_submit(&req->job) != 0) {
		edit_fail_busy(c, req, SQLITE_FULL);
		later_end(next);	/* after the reply: it ends c->cur */
		goto out;
	}
	/* The reply stays open until the change is delivered. */
	later_end(req->later);
	req->later = next;
	return;
out:
	edit_free(req);
}

/* Look the message up; the rest follows from edit_read_done(). */
static void
edit_lookup(struct client *c, struct edit_req *req)
{
	req->later = reply_later(c);
	req->c = client_ref(c);
	if (store_read(edit_read, edit_read_done, req) != 0) {
		edit_fail_busy(c, req, SQLITE_BUSY);
		edit_free(req);
	}
}

/* REDACT <target> <msgid> [:<reason>] (IRCv3 draft/message-redaction) */
int
cmd_redact(struct client *c, struct msg *m)
{
	struct edit_req	*req;

	if ((req = edit_new(c, EDIT_REDACT, m->params[0], m->params[1])) ==
	    NULL)
		return 0;
	if (m->nparams > 2 && m->params[2][0] != '\0')
		req->text = xstrdup(m->params[2]);
	edit_lookup(c, req);
	return 0;
}

/*
 * May text replace a message to target?  Not empty, no CR or LF (tag
 * escaping could carry them), and no longer than the client could have
 * sent as a PRIVMSG to that target in one line (RFC 1459 2.3).
 */
static int
edit_text_ok(const char *text, const char *target)
{
	size_t	max = LINE_MAX_BODY - 2 - strlen("PRIVMSG  :") -
		    strlen(target);

	if (strlen(target) >= LINE_MAX_BODY - 2 - strlen("PRIVMSG  :"))
		return 0;
	return text[0] != '\0' && strpbrk(text, "\r\n") == NULL &&
	    strlen(text) <= max;
}

/*
 * @draft/target-msgid=<msgid>;draft/edit-text=<text> EDIT <target>
 * (message-edit, PR 425).
 */
int
cmd_edit(struct client *c, struct msg *m)
{
	struct edit_req	*req;
	const char	*msgid = msg_tag_get(m, "draft/target-msgid");
	const char	*text = msg_tag_get(m, "draft/edit-text");

	if (msgid == NULL || msgid[0] == '\0') {
		reply_fail(c, "EDIT", "INVALID_EDIT", reply_param(m->params[0]),
		    "No message to edit: draft/target-msgid is missing");
		return 0;
	}
	if ((req = edit_new(c, EDIT_EDIT, m->params[0], msgid)) == NULL)
		return 0;
	if (text == NULL || !edit_text_ok(text, req->shown)) {
		edit_fail(c, req, "INVALID_EDIT", 1, "Invalid edit text");
		edit_free(req);
		return 0;
	}
	req->text = xstrdup(text);
	edit_lookup(c, req);
	return 0;
}
