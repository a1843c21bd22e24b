/*
 * Users: the identity that other people see.  A client is made with its
 * first session, registers through it, may gain more sessions (one
 * account on several devices), and quits when the last one leaves.
 * Quitting takes it out of every table at once; the memory goes at the
 * end of the loop turn (client_reap), so that nothing running in the same
 * turn can be left holding it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "autojoin.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "line.h"
#include "log.h"
#include "marker.h"
#include "monitor.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "whowas.h"
#include "xmalloc.h"

static struct client_list client_reg = TAILQ_HEAD_INITIALIZER(client_reg);
static struct client_list client_dead = TAILQ_HEAD_INITIALIZER(client_dead);
static uint64_t		  client_next_id = 1;

/* A new, unregistered client with its first session. */
struct client *
client_new(struct session *s)
{
	struct client	*c;
	const char	*ip = s->conn->ip;

	c = xcalloc(1, sizeof *c);
	c->id = client_next_id++;
	if (ip[0] == ':') {
		/* A host may not start with ':' in a middle parameter. */
		xasprintf(&c->host, "0%s", ip);
	} else
		c->host = xstrdup(ip);
	if (s->conn->flags & CONN_SECURE)
		c->umodes |= UMODE_SECURE;
	c->signon = c->idle_since = time(NULL);
	TAILQ_INIT(&c->sessions);
	TAILQ_INSERT_TAIL(&c->sessions, s, sib);
	c->nsessions = 1;
	return c;
}

static void
client_free(struct client *c)
{
	uint32_t	i;

	for (i = 0; i < c->ninvites; i++)
		free(c->invites[i]);
	free(c->invites);
	free(c->chans);
	free(c->nick);
	free(c->fold);
	free(c->user);
	free(c->realname);
	free(c->host);
	free(c->away);
	free(c->account);
	free(c->certfp);
	free(c->want_nick);
	free(c);
}

/*
 * Free the clients that quit during this loop turn.  One that an event
 * on its way still names waits for that event (client_unref).
 */
void
client_reap(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&client_dead)) != NULL) {
		TAILQ_REMOVE(&client_dead, c, entry);
		if (c->refs > 0)
			c->flags |= CLIENT_ZOMBIE;
		else
			client_free(c);
	}
}

struct client *
client_ref(struct client *c)
{
	c->refs++;
	return c;
}

void
client_unref(struct client *c)
{
	if (--c->refs == 0 && (c->flags & CLIENT_ZOMBIE))
		client_free(c);
}

/* The session replies go to: the one sending a command, else the first. */
struct session *
client_session(const struct client *c)
{
	return c->cur != NULL ? c->cur : TAILQ_FIRST(&c->sessions);
}

int
client_has_cap(const struct client *c, int cap)
{
	struct session	*s = client_session(c);

	return s != NULL && session_has_cap(s, cap);
}

/*
 * Queue l for c: for the session whose command is running (replies),
 * else for every session of c.
 */
void
client_send(struct client *c, struct line *l)
{
	struct session	*s;

	if (c->flags & CLIENT_QUIT)
		return;
	if (c->cur != NULL) {
		session_send(c->cur, l);
		return;
	}
	TAILQ_FOREACH(s, &c->sessions, sib)
		session_send(s, l);
}

/* Spend the cost of one command from the session that sent it. */
void
client_bucket_take(struct client *c, int penalty)
{
	struct session	*s = client_session(c);

	if (s != NULL)
		session_bucket_take(s, penalty);
}

/*
 * s has finished registering c: c is now a user others can see.  Runs
 * during the dispatch of s's command (c->cur is s).
 */
void
client_register(struct client *c, struct session *s)
{
	struct account	*a;

	c->flags |= CLIENT_REGISTERED;
	TAILQ_INSERT_TAIL(&client_reg, c, entry);
	srv.nclients++;
	if (srv.nclients > srv.max_clients)
		srv.max_clients = srv.nclients;
	if (c->umodes & UMODE_INVISIBLE)
		srv.ninvisible++;
	if (c->umodes & UMODE_OPER)
		srv.nopers++;
	if (s->certfp != NULL && c->certfp == NULL)
		c->certfp = xstrdup(s->certfp);
	irc_welcome(c);
	monitor_signon(c);
	irc_acct_check_nick(c);
	if (c->account != NULL && (a = account_find(c->account)) != NULL) {
		autojoin_login(c);
		irc_hist_replay(c, a);
	}
}

/*
 * s has registered as one more session of the user c (one account on
 * several devices).  It learns who it is and where it is: the welcome
 * burst, then a JOIN, the read marker, the topic and the names of every
 * channel c is in.
 */
void
client_attach(struct client *c, struct session *s)
{
	struct membership	*m;
	uint32_t		 i;

	c->cur = s;
	irc_welcome(c);
	for (i = 0; i < c->nchans; i++) {
		m = c->chans[i];
		if (session_has_cap(s, CAP_EXTENDED_JOIN))
			session_sendf(s, ":%s JOIN %s %s :%s",
			    client_prefix(c), m->chan->name,
			    c->account != NULL ? c->account : "*",
			    c->realname);
		else
			session_sendf(s, ":%s JOIN %s", client_prefix(c),
			    m->chan->name);
		/* IRCv3 read-marker: MARKREAD follows every JOIN sent. */
		irc_marker_join(c, m->chan);
		irc_send_topic(c, m->chan, 0);
		if (!session_has_cap(s, CAP_NO_IMPLICIT_NAMES))
			irc_names(c, m->chan);
	}
	if (c->away != NULL)
		reply_num(c, RPL_NOWAWAY);
	log_info("%s: another session (%zu in all)", c->nick,
	    (size_t)c->nsessions);
}

/*
 * Session s of c is gone.  c quits (its channels see QUIT with reason)
 * when s was its last session.
 */
void
client_detach(struct client *c, struct session *s, const char *reason)
{
	TAILQ_REMOVE(&c->sessions, s, sib);
	c->nsessions--;
	if (c->cur == s)
		c->cur = NULL;
	if (c->nsessions > 0)
		return;
	client_quit(c, reason);
}

/*
 * c is leaving: tell its channels and watchers, remember it for WHOWAS,
 * and take it out of every table.  Its memory goes in client_reap().
 */
void
client_quit(struct client *c, const char *reason)
{
	struct event	*ev;
	struct account	*a;
	uint32_t	 i;

	if (c->flags & CLIENT_QUIT)
		return;
	if (c->flags & CLIENT_REGISTERED) {
		ev = event_new(c, HIST_QUIT, AUD_CHANS);
		event_capture_channels(ev, c);
		event_text(ev, 0, ":%s QUIT :%s", client_prefix(c), reason);
		for (i = 0; i < ev->nchans; i++)
			irc_chan_row(ev, ev->chans[i])->body = xstrdup(reason);
		event_submit(ev);
		whowas_add(c);
		while (c->nchans > 0)
			channel_part(c->chans[c->nchans - 1]);
		monitor_signoff(c->nick, c->fold);
		srv.nclients--;
		if (c->umodes & UMODE_INVISIBLE)
			srv.ninvisible--;
		if (c->umodes & UMODE_OPER)
			srv.nopers--;
		TAILQ_REMOVE(&client_reg, c, entry);
	}
	c->flags |= CLIENT_QUIT;
	irc_enforce_stop(c);
	if (c->account != NULL && (a = account_find(c->account)) != NULL &&
	    a->online == c) {
		a->online = NULL;
		marker_seen(a, wall_ms());
	}
	if (c->fold != NULL && dict_get(&srv.clients, c->fold) == c)
		dict_del(&srv.clients, c->fold);
	monitor_clear(c);
	TAILQ_INSERT_TAIL(&client_dead, c, entry);
}

/* The session that sent the command leaves (QUIT): close it gracefully. */
void
client_exit(struct client *c, const char *reason)
{
	struct session	*s = client_session(c);

	if (s != NULL)
		session_exit(s, reason);
}

/* Call fn for every registered client. */
void
client_each_reg(void (*fn)(struct client *, void *), void *arg)
{
	struct client	*c;

	TAILQ_FOREACH(c, &client_reg, entry)
		fn(c, arg);
}

/* The nick, or "*" before there is one: the target of numerics. */
const char *
client_name(const struct client *c)
{
	return c->nick != NULL ? c->nick : "*";
}

/* "nick!user@host".  The result lives until the fourth next call. */
const char *
client_prefix(const struct client *c)
{
	static char	bufs[4][NAME_MAX_BYTES + USERLEN + HOSTLEN + 64];
	static int	which;
	char		*b = bufs[which++ & 3];
	const char	*part[3];
	size_t		 n = 0, k;
	int		 i;

	/* On every message's path: pieces copied, not printf'd. */
	part[0] = client_name(c);
	part[1] = c->user != NULL ? c->user : "*";
	part[2] = c->host;
	for (i = 0; i < 3; i++) {
		if (i > 0 && n < sizeof bufs[0] - 1)
			b[n++] = i == 1 ? '!' : '@';
		k = strnlen(part[i], sizeof bufs[0] - 1 - n);
		memcpy(b + n, part[i], k);
		n += k;
	}
	b[n] = '\0';
	return b;
}

/* Registered client by nick (any case, any script), or NULL. */
struct client *
client_find(const char *nick)
{
	char		 fold[CASEMAP_FOLDSZ];
	struct client	*c;

	if (casemap_fold(nick, fold, sizeof fold) != 0)
		return NULL;
	c = dict_get(&srv.clients, fold);
	if (c == NULL || !(c->flags & CLIENT_REGISTERED))
		return NULL;
	return c;
}

/* A line to c, cut to 512 bytes if it is longer (line_new_cut). */
void
client_sendf(struct client *c, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	struct line	*l;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	client_send(c, l);
	line_unref(l);
}

/*
 * Give c the nick (already checked) whose fold is fold.  Fails (-1) if
 * another client holds it.  Keeps srv.clients in step.
 */
int
client_set_nick(struct client *c, const char *nick, const char *fold)
{
	struct client	*o = dict_get(&srv.clients, fold);

	if (o != NULL && o != c)
		return -1;
	if (c->fold != NULL && o != c)
		dict_del(&srv.clients, c->fold);
	free(c->nick);
	c->nick = xstrdup(nick);
	for (uint32_t i = 0; i < c->nchans; i++)
		channel_names_stale(c->chans[i]->chan);
	if (o != c) {
		free(c->fold);
		c->fold = xstrdup(fold);
		dict_put(&srv.clients, c->fold, c);
	}
	return 0;
}

void
client_add_invite(struct client *c, const char *fold)
{
	if (client_has_invite(c, fold))
		return;
	if (c->ninvites == INVITES_MAX) {
		free(c->invites[0]);
		memmove(c->invites, c->invites + 1,
		    (c->ninvites - 1) * sizeof *c->invites);
		c->ninvites--;
	}
	c->invites = xreallocarray(c->invites, c->ninvites + 1,
	    sizeof *c->invites);
	c->invites[c->ninvites++] = xstrdup(fold);
}

int
client_has_invite(const struct client *c, const char *fold)
{
	uint32_t	i;

	for (i = 0; i < c->ninvites; i++)
		if (strcmp(c->invites[i], fold) == 0)
			return 1;
	return 0;
}

void
client_del_invite(struct client *c, const char *fold)
{
	uint32_t	i;

	for (i = 0; i < c->ninvites; i++) {
		if (strcmp(c->invites[i], fold) == 0) {
			free(c->invites[i]);
			c->invites[i] = c->invites[--c->ninvites];
			return;
		}
	}
}

/* May `who` see that `c` exists in lists (WHO, WHOIS channels)? */
int
client_is_visible_to(const struct client *c, const struct client *who)
{
	uint32_t	i;

	if (c == who || !(c->umodes & UMODE_INVISIBLE) ||
	    (who->umodes & UMODE_OPER))
		return 1;
	for (i = 0; i < c->nchans; i++)
		if (channel_member(c->chans[i]->chan, who) != NULL)
			return 1;
	return 0;
}
