/*
 * PRIVMSG, NOTICE and TAGMSG (RFC 2812 3.3, IRCv3 message-tags).  One
 * function does all three.  A message to a channel is serialised once per
 * form and queued by reference to every member (reply.c); the sender sees
 * its own message back only with echo-message, and then as the
 * acknowledgement of its labeled request.
 *
 * NOTICE never gets an error back (modern.ircdocs.horse: servers must not
 * reply to NOTICE), so every failure below is silent for it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "conn.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

#define KIND_PRIVMSG	0
#define KIND_NOTICE	1
#define KIND_TAGMSG	2

static const char *const kind_verb[] = { "PRIVMSG", "NOTICE", "TAGMSG" };

/* Is tag (without '+') denied by the CLIENTTAGDENY setting? */
static int
irc_tag_denied(const char *tag)
{
	const char	*list = srv.cfg.client_tag_deny, *p;
	size_t		 n, tl = strlen(tag);
	int		 all = 0;

	if (list == NULL || *list == '\0')
		return 0;
	for (p = list; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n == 1 && *p == '*')
			all = 1;
		else if (*p == '-' && n - 1 == tl &&
		    strncmp(p + 1, tag, tl) == 0)
			return 0;
		else if (n == tl && strncmp(p, tag, tl) == 0)
			return 1;
	}
	return all;
}

/*
 * The client-only tags of m ("+name[=value]"), re-escaped, joined by ';'
 * into b.  IRCv3 message-tags: these are relayed as they are; nothing
 * else a client sends is.
 */
static void
irc_client_tags(const struct msg *m, struct buf *b)
{
	char	esc[LINE_MAX_CLIENT_TAGS + 1];
	int	i, j, dup;

	for (i = 0; i < m->ntags; i++) {
		const char *k = m->tags[i].key;

		if (k[0] != '+' || k[1] == '\0' || irc_tag_denied(k + 1))
			continue;
		/* The last occurrence of a key wins. */
		for (dup = 0, j = i + 1; j < m->ntags; j++)
			if (strcmp(m->tags[j].key, k) == 0)
				dup = 1;
		if (dup)
			continue;
		if (b->len > 0)
			buf_addch(b, ';');
		buf_addstr(b, k);
		if (m->tags[i].value[0] != '\0') {
			msg_tag_escape(esc, sizeof esc, m->tags[i].value);
			buf_printf(b, "=%s", esc);
		}
	}
}

/* May c speak in ch?  NULL if so, else the reason for 404.  EDIT asks
 * too: an edit is a message. */
const char *
irc_msg_cannot_send(const struct client *c, const struct channel *ch)
{
	const struct membership	*mb = channel_member(ch, c);

	if (mb == NULL && (ch->modes & CMODE_NOEXTERNAL))
		return "no external messages";
	if (mb != NULL && mb->modes != 0)
		return NULL;
	if (ch->modes & CMODE_MODERATED)
		return "channel is moderated";
	if (channel_is_banned(ch, c))
		return "you are banned";
	return NULL;
}

/* Is a TAGMSG with these client-only tags worth keeping (a reply or a
 * reaction is part of the conversation; typing is not)? */
static int
irc_tagmsg_kept(const char *ctags)
{
	return ctags != NULL && (strstr(ctags, "+draft/reply=") != NULL ||
	    strstr(ctags, "+draft/react=") != NULL ||
	    strstr(ctags, "+draft/unreact=") != NULL);
}

/* A DM side's key for c (see history.h). */
static void
irc_dm_key(const struct client *c, char *out, size_t outsz)
{
	char	af[CASEMAP_FOLDSZ];

	if (c->account != NULL && casemap_fold(c->account, af, sizeof af) == 0)
		history_dm_key(af, NULL, out, outsz);
	else
		history_dm_key(NULL, c->fold, out, outsz);
}

/* The history row of a message, kept with ev. */
static void
irc_message_row(struct event *ev, const char *target, const char *tname,
    const char *lo, const char *hi, const char *text, const char *ctags)
{
	struct hist_row	*r = event_row(ev);

	r->target = xstrdup(target);
	r->tname = xstrdup(tname);
	if (lo != NULL) {
		r->dm_lo = xstrdup(lo);
		r->dm_hi = xstrdup(hi);
	}
	if (text != NULL)
		r->body = xstrdup(text);
	if (ctags != NULL && *ctags != '\0')
		r->tags = xstrdup(ctags);
}

static void
irc_to_channel(struct client *c, int kind, const char *target,
    const char *text, const char *ctags)
{
	struct channel	*ch;
	struct event	*ev;
	unsigned int	 status = 0;
	const char	*name = target, *why, *pfx = "";

	if (*name == '@') {
		status = MEMBER_OP;
		pfx = "@";
		name++;
	} else if (*name == '+') {
		status = MEMBER_OP | MEMBER_VOICE;
		pfx = "+";
		name++;
	}
	if ((ch = channel_find(name)) == NULL || !channel_can_see(ch, c)) {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_NOSUCHCHANNEL, reply_param(target));
		return;
	}
	if ((why = irc_msg_cannot_send(c, ch)) != NULL) {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_CANNOTSENDTOCHAN, ch->name, why);
		return;
	}
	/* The sender's session sees its message back only with
	 * echo-message; its other sessions (same user, other devices)
	 * always do. */
	ev = event_new(c, kind == KIND_PRIVMSG ? HIST_PRIVMSG :
	    kind == KIND_NOTICE ? HIST_NOTICE : HIST_TAGMSG,
	    AUD_CHANNEL | AUD_ECHO);
	ev->verb = kind_verb[kind];
	ev->must_store = 1;
	ev->status = status;
	ev->tagmsg = kind == KIND_TAGMSG;
	if (ctags != NULL && *ctags != '\0')
		ev->ctags = xstrdup(ctags);
	event_set_channel(ev, ch);
	if (kind == KIND_TAGMSG)
		event_text_cat(ev, 0, ":", client_prefix(c), " TAGMSG ", pfx,
		    ch->name, (char *)NULL);
	else
		event_text_cat(ev, 0, ":", client_prefix(c), " ",
		    kind_verb[kind], " ", pfx, ch->name, " :", text,
		    (char *)NULL);
	/* Ops-only messages are not kept: history has no status filter. */
	if (status == 0 && (kind != KIND_TAGMSG || irc_tagmsg_kept(ctags)))
		irc_message_row(ev, ch->fold, ch->name, NULL, NULL, text,
		    ctags);
	event_submit(ev);
}

static void
irc_to_nick(struct client *c, int kind, const char *target, const char *text,
    const char *ctags)
{
	struct client	*t;
	struct account	*a = NULL;
	struct event	*ev;
	char		 me[CASEMAP_FOLDSZ + 1], peer[CASEMAP_FOLDSZ + 1];
	const char	*tname;

	if (kind == KIND_PRIVMSG && (irc_acct_service_msg(c, target, text) ||
	    chanreg_service_msg(c, target, text)))
		return;
	if ((t = client_find(target)) == NULL) {
		/* A registered user who is away from every device still gets
		 * the message: it waits in history (offline delivery). */
		a = account_find(target);
		/* The account's user is online under another nick. */
		if (a != NULL && a->online != NULL &&
		    (a->online->flags & CLIENT_REGISTERED) &&
		    !(a->online->flags & CLIENT_QUIT))
			t = a->online;
		else if (a == NULL || (a->flags & ACCOUNT_SUSPENDED) ||
		    kind == KIND_TAGMSG) {
			if (kind != KIND_NOTICE)
				reply_num(c, ERR_NOSUCHNICK,
				    reply_param(target));
			return;
		}
	}
	ev = event_new(c, kind == KIND_PRIVMSG ? HIST_PRIVMSG :
	    kind == KIND_NOTICE ? HIST_NOTICE : HIST_TAGMSG,
	    AUD_TO | AUD_ECHO);
	ev->verb = kind_verb[kind];
	ev->must_store = 1;
	ev->tagmsg = kind == KIND_TAGMSG;
	if (ctags != NULL && *ctags != '\0')
		ev->ctags = xstrdup(ctags);
	if (t != NULL) {
		event_set_to(ev, t);
		tname = t->nick;
	} else
		tname = a->name;
	if (kind == KIND_TAGMSG)
		event_text_cat(ev, 0, ":", client_prefix(c), " TAGMSG ", tname,
		    (char *)NULL);
	else
		event_text_cat(ev, 0, ":", client_prefix(c), " ",
		    kind_verb[kind], " ", tname, " :", text, (char *)NULL);
	/* DM history is read by accounts only (irc_hist_me()): a message
	 * between two users without one is never kept, and so never waits
	 * for the disk. */
	if ((c->account != NULL || t == NULL || t->account != NULL) &&
	    (kind != KIND_TAGMSG || irc_tagmsg_kept(ctags))) {
		if (t != NULL)
			irc_dm_key(t, peer, sizeof peer);
		else
			history_dm_key(a->fold, NULL, peer, sizeof peer);
		irc_dm_key(c, me, sizeof me);
		irc_message_row(ev, "", tname, strcmp(me, peer) < 0 ? me : peer,
		    strcmp(me, peer) < 0 ? peer : me, text, ctags);
	}
	event_submit(ev);
	if (kind == KIND_PRIVMSG && t != NULL && t->away != NULL)
		reply_num(c, RPL_AWAY, t->nick, t->away);
	if (kind == KIND_PRIVMSG && t == NULL)
		reply_note(c, "PRIVMSG", "RECIPIENT_OFFLINE", reply_param(tname),
		    "%s is not connected; they will get your message when "
		    "they log in", tname);
}

static int
irc_message(struct client *c, struct msg *m, int kind)
{
	char		 targets[LINE_MAX_BODY], *p, *tok;
	const char	*text = NULL;
	struct buf	 ctags;
	int		 n = 0;

	if (m->nparams < 1 || m->params[0][0] == '\0') {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_NORECIPIENT, kind_verb[kind]);
		return 0;
	}
	if (kind != KIND_TAGMSG) {
		if (m->nparams < 2 || m->params[1][0] == '\0') {
			if (kind != KIND_NOTICE)
				reply_num(c, ERR_NOTEXTTOSEND);
			return 0;
		}
		text = m->params[1];
	}
	strlcpy_u(targets, m->params[0], sizeof targets);
	for (p = targets; *p != '\0'; p++)
		if (*p == ',')
			n++;
	if (n + 1 > srv.cfg.max_targets) {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_TOOMANYTARGETS, reply_param(m->params[0]),
			    (int)srv.cfg.max_targets);
		return 0;
	}
	buf_init(&ctags);
	irc_client_tags(m, &ctags);
	if (kind == KIND_TAGMSG && ctags.len == 0) {
		buf_free(&ctags);
		return 0;	/* nothing left to deliver */
	}
	if (kind == KIND_PRIVMSG)
		c->idle_since = time(NULL);
	for (p = targets; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (tok[0] == '#' || ((tok[0] == '@' || tok[0] == '+') &&
		    tok[1] == '#'))
			irc_to_channel(c, kind, tok, text, ctags.data);
		else
			irc_to_nick(c, kind, tok, text, ctags.data);
	}
	buf_free(&ctags);
	return 0;
}

int
cmd_privmsg(struct client *c, struct msg *m)
{
	return irc_message(c, m, KIND_PRIVMSG);
}

int
cmd_notice(struct client *c, struct msg *m)
{
	return irc_message(c, m, KIND_NOTICE);
}

int
cmd_tagmsg(struct client *c, struct msg *m)
{
	return irc_message(c, m, KIND_TAGMSG);
}
