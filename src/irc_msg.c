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

#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "irc.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "util.h"

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

/* May c speak in ch?  NULL if so, else the reason for 404. */
static const char *
irc_cannot_send(const struct client *c, const struct channel *ch)
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

static void
irc_to_channel(struct client *c, int kind, const char *target,
    const char *text, const char *ctags)
{
	struct channel	*ch;
	struct fanout	 f;
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
	if ((why = irc_cannot_send(c, ch)) != NULL) {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_CANNOTSENDTOCHAN, ch->name, why);
		return;
	}
	fanout_init(&f, c);
	f.ctags = ctags;
	f.tagmsg = kind == KIND_TAGMSG;
	if (kind == KIND_TAGMSG)
		fanout_text(&f, 0, ":%s TAGMSG %s%s", client_prefix(c), pfx,
		    ch->name);
	else
		fanout_text(&f, 0, ":%s %s %s%s :%s", client_prefix(c),
		    kind_verb[kind], pfx, ch->name, text);
	/* The sender's session sees its message back only with
	 * echo-message; its other sessions (same user, other devices)
	 * always do. */
	if (!client_has_cap(c, CAP_ECHO_MESSAGE))
		f.skip = c->cur;
	fanout_send(&f, c);
	f.skip = NULL;
	fanout_channel(&f, ch, c, status);
	fanout_done(&f);
}

static void
irc_to_nick(struct client *c, int kind, const char *target, const char *text,
    const char *ctags)
{
	struct client	*t;
	struct fanout	 f;
	struct line	*l;

	if (kind == KIND_PRIVMSG && irc_acct_service_msg(c, target, text))
		return;
	if ((t = client_find(target)) == NULL) {
		if (kind != KIND_NOTICE)
			reply_num(c, ERR_NOSUCHNICK, reply_param(target));
		return;
	}
	fanout_init(&f, c);
	f.ctags = ctags;
	f.tagmsg = kind == KIND_TAGMSG;
	if (kind == KIND_TAGMSG)
		fanout_text(&f, 0, ":%s TAGMSG %s", client_prefix(c), t->nick);
	else
		fanout_text(&f, 0, ":%s %s %s :%s", client_prefix(c),
		    kind_verb[kind], t->nick, text);
	if (t == c) {
		/* To oneself: the delivered copy is not part of the labeled
		 * response; only the echo is (IRCv3 labeled-response). */
		fanout_deliver(&f, t);
		if (client_has_cap(c, CAP_ECHO_MESSAGE) &&
		    (l = fanout_line(&f, c->cur)) != NULL)
			session_send(c->cur, l);
	} else {
		fanout_send(&f, t);
		/* The sender's other sessions see what it sent; the one that
		 * sent it, only with echo-message. */
		if (!client_has_cap(c, CAP_ECHO_MESSAGE))
			f.skip = c->cur;
		fanout_send(&f, c);
	}
	fanout_done(&f);
	if (kind == KIND_PRIVMSG && t->away != NULL)
		reply_num(c, RPL_AWAY, t->nick, t->away);
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
