/*
 * Registration and the connection itself: PASS, NICK, USER, PING, PONG,
 * QUIT, and what a client is sent when it has registered (001-005,
 * LUSERS, MOTD).  RFC 2812 3.1, modern.ircdocs.horse "Connection
 * Registration".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "account.h"
#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "monitor.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "upload.h"
#include "util.h"
#include "whowas.h"
#include "xmalloc.h"

int
cmd_pass(struct client *c, struct msg *m)
{
	const char	*pw = srv.cfg.password;
	size_t		 n = strlen(m->params[0]);

	if (c->flags & CLIENT_REGISTERED) {
		reply_num(c, ERR_ALREADYREGISTERED);
		return 0;
	}
	c->cur->flags |= SESSION_GOT_PASS;
	c->cur->flags &= ~SESSION_PASS_OK;
	if (pw != NULL && n == strlen(pw) &&
	    sodium_memcmp(m->params[0], pw, n) == 0)
		c->cur->flags |= SESSION_PASS_OK;
	return 0;
}

int
cmd_nick(struct client *c, struct msg *m)
{
	char		 fold[CASEMAP_FOLDSZ], why[160];
	const char	*nick;
	struct client	*o;
	struct account	*a;

	if (m->nparams < 1 || m->params[0][0] == '\0') {
		reply_num(c, ERR_NONICKNAMEGIVEN);
		return 0;
	}
	nick = m->params[0];
	if (casemap_check_nick(nick, fold, sizeof fold, why, sizeof why) !=
	    CASEMAP_OK) {
		reply_num(c, ERR_ERRONEUSNICKNAME, reply_param(nick), why);
		reply_fail(c, "NICK", "ERRONEUS_NICKNAME", reply_param(nick), "%s", why);
		return 0;
	}
	if (irc_acct_reserved(fold)) {
		reply_num(c, ERR_ERRONEUSNICKNAME, reply_param(nick),
		    "that nick is reserved for a service");
		reply_fail(c, "NICK", "ERRONEUS_NICKNAME", reply_param(nick),
		    "That nick is reserved for a service");
		return 0;
	}
	if (c->nick != NULL && strcmp(c->nick, nick) == 0)
		return 0;
	o = dict_get(&srv.clients, fold);
	if (o != NULL && o != c) {
		a = account_find_fold(fold);
		/* Before registration, a nick that a logged-in user or an
		 * account holds may yet be this client's: a SASL login still
		 * to come makes it a device of that user, or its owner.
		 * Registration decides (irc_acct_want_nick). */
		if (!(c->flags & CLIENT_REGISTERED) &&
		    (o->flags & CLIENT_REGISTERED) && (o->account != NULL ||
		    a != NULL) && (a == NULL || c->account == NULL ||
		    account_find(c->account) != a || (o->account != NULL &&
		    account_find(o->account) == a))) {
			free(c->want_nick);
			c->want_nick = xstrdup(nick);
			session_try_register(c->cur);
			return 0;
		}
		/* The owner of a registered nick takes it back from whoever
		 * holds it without being logged into it. */
		if (a == NULL || c->account == NULL ||
		    account_find(c->account) != a || (o->account != NULL &&
		    account_find(o->account) == a) ||
		    !(o->flags & CLIENT_REGISTERED)) {
			reply_num(c, ERR_NICKNAMEINUSE, reply_param(nick));
			return 0;
		}
		irc_acct_take_nick(o);
	}
	if (!(c->flags & CLIENT_REGISTERED)) {
		free(c->want_nick);
		c->want_nick = NULL;
		client_set_nick(c, nick, fold);
		session_try_register(c->cur);
		return 0;
	}
	irc_change_nick(c, nick, fold);
	irc_acct_check_nick(c);
	return 0;
}

/*
 * The registered client c is now nick (fold): everyone who can see it
 * learns so, WHOWAS remembers the old one, MONITOR watchers of both
 * names hear about it.  The caller checked that nick is free.
 */
void
irc_change_nick(struct client *c, const char *nick, const char *fold)
{
	struct event	*ev;
	char		*oldnick, *oldfold;
	uint32_t	 i;

	ev = event_new(c, HIST_NICK, AUD_SELF | AUD_CHANS);
	event_capture_channels(ev, c);
	event_text(ev, 0, ":%s NICK :%s", client_prefix(c), nick);
	for (i = 0; i < ev->nchans; i++)
		irc_chan_row(ev, ev->chans[i])->body = xstrdup(nick);
	event_submit(ev);
	whowas_add(c);
	oldnick = xstrdup(c->nick);
	oldfold = xstrdup(c->fold);
	client_set_nick(c, nick, fold);
	if (strcmp(oldfold, c->fold) != 0) {
		monitor_signoff(oldnick, oldfold);
		monitor_signon(c);
	}
	free(oldnick);
	free(oldfold);
}

/* Keep a user name to [A-Za-z0-9._-], USERLEN bytes. */
static void
irc_clean_user(const char *in, char *out, size_t outsz)
{
	size_t	n = 0;

	for (; *in != '\0' && n + 1 < outsz && n < USERLEN; in++) {
		char ch = *in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-')
			out[n++] = ch;
	}
	if (n == 0)
		strlcpy_u(out, "user", outsz);
	else
		out[n] = '\0';
}

int
cmd_user(struct client *c, struct msg *m)
{
	char	user[USERLEN + 1];
	size_t	n;

	if (c->cur->flags & (SESSION_REGISTERED | SESSION_GOT_USER)) {
		reply_num(c, ERR_ALREADYREGISTERED);
		return 0;
	}
	if (m->params[0][0] == '\0') {
		reply_num(c, ERR_NEEDMOREPARAMS, "USER");
		return 0;
	}
	irc_clean_user(m->params[0], user, sizeof user);
	free(c->user);
	c->user = xstrdup(user);
	n = utf8_prefix_cps(m->params[3], REALNAMELEN);
	free(c->realname);
	c->realname = xstrndup(m->params[3], n);
	c->cur->flags |= SESSION_GOT_USER;
	session_try_register(c->cur);
	return 0;
}

int
cmd_ping(struct client *c, struct msg *m)
{
	client_sendf(c, ":%s PONG %s :%s", srv.name, srv.name,
	    m->params[m->nparams - 1]);
	return 0;
}

int
cmd_pong(struct client *c, struct msg *m)
{
	/* client_line() already counted the line as a sign of life. */
	(void)c;
	(void)m;
	return 0;
}

int
cmd_quit(struct client *c, struct msg *m)
{
	char	reason[KICKLEN + 16];
	size_t	n;

	if (m->nparams > 0 && m->params[0][0] != '\0') {
		n = utf8_truncate(m->params[0], KICKLEN);
		snprintf(reason, sizeof reason, "Quit: %.*s", (int)n,
		    m->params[0]);
	} else
		snprintf(reason, sizeof reason, "Quit");
	client_exit(c, reason);
	return -1;
}

/* Add an ISUPPORT value, escaped as the spec wants (\x20, \x5C, \x3D). */
static void
irc_isupport_value(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\\' || *v == '=')
			buf_printf(b, "\\x%02X", (unsigned char)*v);
		else
			buf_addch(b, *v);
	}
}

/* The ISUPPORT (005) tokens, as they are now, for session s. */
static void
irc_isupport_tokens(const struct session *s, struct buf *b)
{
	long long	t = srv.cfg.max_targets;
	char		url[512];

	buf_printf(b, "AWAYLEN=%d BOT=B CASEMAPPING=%s CHANLIMIT=#:%lld "
	    "CHANMODES=beI,k,l,imnst CHANNELLEN=%d CHANTYPES=# "
	    "CHATHISTORY=%d ", AWAYLEN, CASEMAP_NAME, srv.cfg.chanlimit,
	    CHANNELLEN, HISTORY_MAX);
	if (srv.cfg.client_tag_deny != NULL && *srv.cfg.client_tag_deny)
		buf_printf(b, "CLIENTTAGDENY=%s ", srv.cfg.client_tag_deny);
	buf_printf(b, "ELIST=CMNTU EXCEPTS=e EXTBAN=$,a HOSTLEN=%d INVEX=I "
	    "KICKLEN=%d MAXLIST=beI:%lld MAXTARGETS=%lld MODES=%d ",
	    HOSTLEN, KICKLEN, srv.cfg.max_list, t, MODES_PER_LINE);
	buf_printf(b, "MONITOR=%lld MSGREFTYPES=msgid,timestamp NETWORK=%s "
	    "NICKLEN=%d PREFIX=(ov)@+ "
	    "SAFELIST STATUSMSG=@+ ", srv.cfg.max_monitor, srv.cfg.network,
	    NICKLEN);
	buf_printf(b, "TARGMAX=JOIN:%lld,PART:%lld,PRIVMSG:%lld,NOTICE:%lld,"
	    "TAGMSG:%lld,NAMES:1,WHOIS:1,KICK:%lld,LIST:1,MONITOR: ",
	    t, t, t, t, t, t);
	buf_printf(b, "TOPICLEN=%d USERLEN=%d UTF8ONLY WHOX", TOPICLEN,
	    USERLEN);
	/* FILEHOST: where this session uploads (upload.c says how the URL
	 * is chosen); the ircv3 draft name and soju's, for every client. */
	if (s != NULL && upload_url(s, url, sizeof url) == 0) {
		buf_addstr(b, " draft/FILEHOST=");
		irc_isupport_value(b, url);
		buf_addstr(b, " soju.im/FILEHOST=");
		irc_isupport_value(b, url);
	}
}

/* Send ISUPPORT as 005 lines of at most 13 tokens each. */
void
irc_isupport(struct client *c)
{
	struct buf	 all, line;
	char		*p, *tok;
	int		 n = 0;

	buf_init(&all);
	buf_init(&line);
	irc_isupport_tokens(c->cur != NULL ? c->cur :
	    TAILQ_FIRST(&c->sessions), &all);
	for (p = all.data; (tok = strsep(&p, " ")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (n > 0)
			buf_addch(&line, ' ');
		buf_addstr(&line, tok);
		if (++n == 13) {
			reply_num(c, RPL_ISUPPORT, line.data);
			buf_reset(&line);
			n = 0;
		}
	}
	if (n > 0)
		reply_num(c, RPL_ISUPPORT, line.data);
	buf_free(&all);
	buf_free(&line);
}

void
irc_lusers(struct client *c)
{
	reply_num(c, RPL_LUSERCLIENT, srv.nclients - srv.ninvisible,
	    srv.ninvisible);
	reply_num(c, RPL_LUSEROP, srv.nopers);
	reply_num(c, RPL_LUSERUNKNOWN, srv.nunknown);
	reply_num(c, RPL_LUSERCHANNELS, dict_count(&srv.channels));
	reply_num(c, RPL_LUSERME, srv.nclients + srv.nunknown);
	reply_num(c, RPL_LOCALUSERS, srv.nclients, srv.max_clients,
	    srv.nclients, srv.max_clients);
	reply_num(c, RPL_GLOBALUSERS, srv.nclients, srv.max_clients,
	    srv.nclients, srv.max_clients);
}

void
irc_motd(struct client *c)
{
	size_t	i;

	if (srv.nmotd == 0) {
		reply_num(c, ERR_NOMOTD);
		return;
	}
	reply_num(c, RPL_MOTDSTART, srv.name);
	for (i = 0; i < srv.nmotd; i++)
		reply_num(c, RPL_MOTD, srv.motd[i]);
	reply_num(c, RPL_ENDOFMOTD);
}

/* The registration burst (modern.ircdocs.horse "Connection
 * Registration": 001-005, LUSERS, MOTD). */
void
irc_welcome(struct client *c)
{
	char	modes[16];
	int	n = 0;

	reply_num(c, RPL_WELCOME, srv.cfg.network, client_prefix(c));
	reply_num(c, RPL_YOURHOST, srv.name, LANCHAT_VERSION_STR);
	reply_num(c, RPL_CREATED, srv.created);
	reply_num(c, RPL_MYINFO, srv.name, LANCHAT_VERSION_STR, "BioZ",
	    "Ibeiklmnostv", "Ibeklov");
	irc_isupport(c);
	irc_lusers(c);
	irc_motd(c);
	modes[n++] = '+';
	if (c->umodes & UMODE_BOT)
		modes[n++] = 'B';
	if (c->umodes & UMODE_INVISIBLE)
		modes[n++] = 'i';
	if (c->umodes & UMODE_OPER)
		modes[n++] = 'o';
	if (c->umodes & UMODE_SECURE)
		modes[n++] = 'Z';
	modes[n] = '\0';
	if (n > 1)
		client_sendf(c, ":%s MODE %s :%s", c->nick, c->nick, modes);
}
