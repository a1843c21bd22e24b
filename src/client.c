/*
 * Sessions.  A client is born with its conn, registers (NICK + USER, CAP
 * negotiation, PASS), lives in srv.clients under its folded nick, and
 * quits when its conn is reaped.
 *
 * Timeouts cost nothing per client: three lists, each in the order in
 * which its clients' deadlines fall, and one housekeeping tick that looks
 * only at their heads.  Unregistered clients are in client_unreg (by
 * connect time); registered ones in client_active (by last line), or,
 * once PINGed, in client_pinged (by PING time).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "irc.h"
#include "line.h"
#include "log.h"
#include "monitor.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "whowas.h"
#include "xmalloc.h"

static struct client_list client_unreg = TAILQ_HEAD_INITIALIZER(client_unreg);
static struct client_list client_active = TAILQ_HEAD_INITIALIZER(client_active);
static struct client_list client_pinged = TAILQ_HEAD_INITIALIZER(client_pinged);
static uint64_t		  client_next_id = 1;

/* Create the session for a new conn. */
struct client *
client_new(struct conn *conn)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	c->id = client_next_id++;
	c->conn = conn;
	if (conn->ip[0] == ':') {
		/* A host may not start with ':' in a middle parameter. */
		xasprintf(&c->host, "0%s", conn->ip);
	} else
		c->host = xstrdup(conn->ip);
	if (conn->flags & CONN_SECURE)
		c->umodes |= UMODE_SECURE;
	c->conn_ms = c->last_ms = now_ms();
	flood_init(&c->flood, srv.cfg.flood_burst, c->conn_ms);
	c->signon = c->idle_since = time(NULL);
	TAILQ_INSERT_TAIL(&client_unreg, c, tq);
	srv.nunknown++;
	if (conn->ipstat != NULL)
		conn->ipstat->unreg++;
	return c;
}

static struct client_list *
client_tq_list(struct client *c)
{
	if (!(c->flags & CLIENT_REGISTERED))
		return &client_unreg;
	return (c->flags & CLIENT_PINGED) ? &client_pinged : &client_active;
}

/* Free a client that has quit.  Called from conn_free() only. */
void
client_free(struct client *c)
{
	uint32_t	i;

	if (!(c->flags & CLIENT_QUIT))
		client_quit(c, "Connection closed");
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
	free(c);
}

int
client_has_cap(const struct client *c, int cap)
{
	return (c->caps & CAPF(cap)) != 0;
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

	snprintf(b, sizeof bufs[0], "%s!%s@%s", client_name(c),
	    c->user != NULL ? c->user : "*", c->host);
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

/* Queue l for c (or hold it for c's labeled response). */
void
client_send(struct client *c, struct line *l)
{
	if (c->conn == NULL || (c->flags & CLIENT_QUIT))
		return;
	if (reply_collect(c, l))
		return;
	conn_send(c->conn, l);
}

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
	l = line_new(b.data, b.len);
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
	if (o != c) {
		free(c->fold);
		c->fold = xstrdup(fold);
		dict_put(&srv.clients, c->fold, c);
	}
	return 0;
}

/*
 * Finish registration once everything is in: a nick, USER, the end of
 * CAP negotiation and the server password if there is one.
 */
void
client_try_register(struct client *c)
{
	if ((c->flags & CLIENT_REGISTERED) || c->nick == NULL ||
	    !(c->flags & CLIENT_GOT_USER) || (c->flags & CLIENT_CAP_NEG))
		return;
	if (srv.cfg.password != NULL && !(c->flags & CLIENT_PASS_OK)) {
		reply_num(c, ERR_PASSWDMISMATCH);
		conn_kill(c->conn, "Bad password", 0);
		return;
	}
	TAILQ_REMOVE(&client_unreg, c, tq);
	c->flags |= CLIENT_REGISTERED;
	c->last_ms = now_ms();
	TAILQ_INSERT_TAIL(&client_active, c, tq);
	srv.nunknown--;
	srv.nclients++;
	if (srv.nclients > srv.max_clients)
		srv.max_clients = srv.nclients;
	if (c->conn->ipstat != NULL)
		c->conn->ipstat->unreg--;
	if (c->umodes & UMODE_INVISIBLE)
		srv.ninvisible++;
	c->certfp = tls_peer_fingerprint(c->conn) != NULL ?
	    xstrdup(tls_peer_fingerprint(c->conn)) : NULL;
	log_debug("conn %llu: registered as %s", (unsigned long long)
	    c->conn->id, client_prefix(c));
	irc_welcome(c);
	monitor_signon(c);
}

/* c sent a line: it is alive.  Keep the timeout lists in order. */
static void
client_touch(struct client *c, uint64_t now)
{
	if (!(c->flags & CLIENT_REGISTERED)) {
		c->last_ms = now;
		return;
	}
	if (c->flags & CLIENT_PINGED) {
		TAILQ_REMOVE(&client_pinged, c, tq);
		c->flags &= ~CLIENT_PINGED;
		c->last_ms = now;
		TAILQ_INSERT_TAIL(&client_active, c, tq);
		return;
	}
	/* Moving costs little, but not at all is cheaper under a flood. */
	if (now - c->last_ms < 1000)
		return;
	c->last_ms = now;
	TAILQ_REMOVE(&client_active, c, tq);
	TAILQ_INSERT_TAIL(&client_active, c, tq);
}

/* Refill the flood bucket.  Returns 1 if a command may run now. */
static int
client_bucket_ok(struct client *c, uint64_t now)
{
	if (srv.cfg.flood_burst <= 0)
		return 1;
	return flood_ok(&c->flood, now, srv.cfg.flood_rate,
	    srv.cfg.flood_burst);
}

/* Spend the cost of one command. */
void
client_bucket_take(struct client *c, int penalty)
{
	if (srv.cfg.flood_burst > 0)
		flood_take(&c->flood, penalty);
}

/*
 * An HTTP request on the IRC port (a browser, or a cross-protocol
 * attack that smuggles IRC lines in a POST body): never run anything
 * from it.
 */
static int
client_is_http(const struct msg *m)
{
	static const char *const verbs[] = { "GET", "POST", "PUT", "HEAD",
	    "OPTIONS", "DELETE", "PATCH", "CONNECT", "TRACE", NULL };
	int	i;

	for (i = 0; verbs[i] != NULL; i++)
		if (strcmp(m->verb, verbs[i]) == 0)
			return m->nparams >= 1 &&
			    (m->nparams < 2 ||
			    strncmp(m->params[m->nparams - 1], "HTTP/", 5) ==
			    0 || m->params[0][0] == '/');
	return 0;
}

/*
 * A bad verb as it may be shown back in 421: cut on a character
 * boundary, and "*" when it is not valid UTF-8 or holds control bytes
 * (binary garbage is never sent back to a client).
 */
static void
client_safe_verb(const char *v, int valid, char *out, size_t outsz)
{
	size_t	n, i;

	if (v == NULL || !valid) {
		strlcpy_u(out, "*", outsz);
		return;
	}
	n = utf8_truncate(v, outsz - 1);
	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			strlcpy_u(out, "*", outsz);
			return;
		}
	}
	memcpy(out, v, n);
	out[n] = '\0';
}

/*
 * One line from the conn (without CRLF; line[len] is writable).
 * Returns CONN_LINE_OK, CONN_LINE_THROTTLE (keep it, retry later) or
 * CONN_LINE_STOP.
 */
int
client_line(struct client *c, char *line, size_t len)
{
	struct msg	 m;
	uint64_t	 now = now_ms();
	int		 r, valid;
	char		 verb[32];

	if (c->flags & CLIENT_QUIT)
		return CONN_LINE_STOP;
	if (!client_bucket_ok(c, now)) {
		conn_throttle(c->conn);
		return CONN_LINE_THROTTLE;
	}
	client_touch(c, now);
	if (len == 0)
		return CONN_LINE_OK;
	log_trace(TRACE_IRC, "conn %llu: <- %.*s", (unsigned long long)
	    c->conn->id, (int)(len > 300 ? 300 : len), line);
	if (len > LINE_MAX) {
		client_bucket_take(c, 1);
		reply_num(c, ERR_INPUTTOOLONG);
		return CONN_LINE_OK;
	}
	/* CR, LF and NUL are never part of a line, let alone relayed. */
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len)) {
		client_bucket_take(c, 1);
		reply_fail(c, "*", "INVALID_TEXT", NULL,
		    "Line contains a NUL or CR character and was dropped");
		return CONN_LINE_OK;
	}
	valid = casemap_utf8_valid(line, len);
	r = msg_parse(&m, line, len);
	switch (r) {
	case MSG_OK:
		break;
	case MSG_EMPTY:
	case MSG_NO_VERB:
		return CONN_LINE_OK;
	case MSG_TAGS_TOO_LONG:
	case MSG_BODY_TOO_LONG:
		client_bucket_take(c, 1);
		reply_num(c, ERR_INPUTTOOLONG);
		return CONN_LINE_OK;
	case MSG_BAD_VERB:
	default:
		client_bucket_take(c, 1);
		if (!(c->flags & CLIENT_REGISTERED) && line[0] == 0x16) {
			conn_kill(c->conn, "TLS on a plain-text port", 0);
			return CONN_LINE_STOP;
		}
		client_safe_verb(m.verb, valid, verb, sizeof verb);
		reply_num(c, ERR_UNKNOWNCOMMAND, verb);
		return CONN_LINE_OK;
	}
	if (!valid) {
		client_bucket_take(c, 1);
		reply_fail(c, m.verb, "INVALID_UTF8", NULL,
		    "Message rejected: it is not valid UTF-8");
		return CONN_LINE_OK;
	}
	if (!(c->flags & CLIENT_REGISTERED) && client_is_http(&m)) {
		conn_kill(c->conn, "HTTP request on the IRC port", 0);
		return CONN_LINE_STOP;
	}
	if (cmd_dispatch(c, &m) != 0 || (c->flags & CLIENT_QUIT))
		return CONN_LINE_STOP;
	return CONN_LINE_OK;
}

/*
 * c is leaving (its conn is being reaped): tell its channels and
 * watchers, remember it for WHOWAS, and take it out of every table.
 */
void
client_quit(struct client *c, const char *reason)
{
	struct fanout	f;

	if (c->flags & CLIENT_QUIT)
		return;
	TAILQ_REMOVE(client_tq_list(c), c, tq);
	if (c->flags & CLIENT_REGISTERED) {
		fanout_init(&f, c);
		fanout_text(&f, 0, ":%s QUIT :%s", client_prefix(c), reason);
		fanout_neighbours(&f, c, 0, -1);
		fanout_done(&f);
		whowas_add(c);
		while (c->nchans > 0)
			channel_part(c->chans[c->nchans - 1]);
		monitor_signoff(c->nick, c->fold);
		srv.nclients--;
		if (c->umodes & UMODE_INVISIBLE)
			srv.ninvisible--;
		if (c->umodes & UMODE_OPER)
			srv.nopers--;
	} else {
		srv.nunknown--;
		if (c->conn != NULL && c->conn->ipstat != NULL)
			c->conn->ipstat->unreg--;
	}
	c->flags |= CLIENT_QUIT;
	if (c->fold != NULL && dict_get(&srv.clients, c->fold) == c)
		dict_del(&srv.clients, c->fold);
	monitor_clear(c);
}

/* The client asked to leave (QUIT) or is thrown out: close gracefully. */
void
client_exit(struct client *c, const char *reason)
{
	conn_kill(c->conn, reason, 0);
}

/* Housekeeping, once a second: registration and ping timeouts. */
void
client_tick(uint64_t now)
{
	struct client	*c, *next;
	char		 why[64];

	TAILQ_FOREACH(c, &client_unreg, tq) {
		if (now - c->conn_ms < (uint64_t)srv.cfg.reg_timeout * 1000)
			break;
		conn_kill(c->conn, "Registration timed out", 0);
	}
	TAILQ_FOREACH_SAFE(c, &client_active, tq, next) {
		if (now - c->last_ms < (uint64_t)srv.cfg.ping_interval * 1000)
			break;
		TAILQ_REMOVE(&client_active, c, tq);
		c->flags |= CLIENT_PINGED;
		c->ping_ms = now;
		TAILQ_INSERT_TAIL(&client_pinged, c, tq);
		client_sendf(c, "PING :%s", srv.name);
	}
	TAILQ_FOREACH(c, &client_pinged, tq) {
		if (now - c->ping_ms < (uint64_t)srv.cfg.ping_timeout * 1000)
			break;
		snprintf(why, sizeof why, "Ping timeout: %llu seconds",
		    (unsigned long long)(now - c->last_ms) / 1000);
		conn_kill(c->conn, why, 0);
	}
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

/* Call fn for every registered client. */
void
client_each_reg(void (*fn)(struct client *, void *), void *arg)
{
	struct client	*c;

	TAILQ_FOREACH(c, &client_active, tq)
		fn(c, arg);
	TAILQ_FOREACH(c, &client_pinged, tq)
		fn(c, arg);
}
