/*
 * Sessions: reading lines, registration, flood control and timeouts for
 * one connection.
 *
 * Timeouts cost nothing per session: three lists, each in the order in
 * which its sessions' deadlines fall, and one housekeeping tick that
 * looks only at their heads.  Unregistered sessions are in session_unreg
 * (by connect time); registered ones in session_active (by last line),
 * or, once PINGed, in session_pinged (by PING time).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "casemap.h"
#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "deliver.h"
#include "irc.h"
#include "line.h"
#include "log.h"
#include "monitor.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

static struct session_list session_unreg = TAILQ_HEAD_INITIALIZER(session_unreg);
static struct session_list session_active =
			    TAILQ_HEAD_INITIALIZER(session_active);
static struct session_list session_pinged =
			    TAILQ_HEAD_INITIALIZER(session_pinged);
static uint64_t		   session_next_id = 1;

/* The session for a new conn, with a client of its own to register. */
struct session *
session_new(struct conn *conn)
{
	struct session	*s;

	s = xcalloc(1, sizeof *s);
	s->id = session_next_id++;
	s->conn = conn;
	s->refs = 1;		/* the conn's */
	s->conn_ms = s->last_ms = now_ms();
	flood_init(&s->flood, srv.cfg.flood_burst, s->conn_ms);
	TAILQ_INSERT_TAIL(&session_unreg, s, tq);
	srv.nunknown++;
	if (conn->ipstat != NULL)
		conn->ipstat->unreg++;
	s->client = client_new(s);
	return s;
}

static struct session_list *
session_tq_list(struct session *s)
{
	if (!(s->flags & SESSION_REGISTERED))
		return &session_unreg;
	return (s->flags & SESSION_PINGED) ? &session_pinged :
	    &session_active;
}

/*
 * Sessions are referenced by their conn and by work in flight for them
 * (a password being checked): the memory stays until the last reference
 * goes, while SESSION_QUIT tells the late worker that nobody listens.
 */
struct session *
session_ref(struct session *s)
{
	s->refs++;
	return s;
}

void
session_unref(struct session *s)
{
	if (--s->refs > 0)
		return;
	if (!(s->flags & SESSION_QUIT))
		session_quit(s, "Connection closed");
	irc_auth_free(s);
	free(s->certfp);
	free(s);
}

/*
 * Hold s's input: its next lines wait, in order, until session_resume()
 * (a SASL exchange waiting for the password check must finish before a
 * CAP END behind it is read).
 */
void
session_pause(struct session *s)
{
	s->flags |= SESSION_PAUSED;
}

void
session_resume(struct session *s)
{
	if (!(s->flags & SESSION_PAUSED))
		return;
	s->flags &= ~SESSION_PAUSED;
	if (s->conn != NULL && !(s->flags & SESSION_QUIT))
		conn_resume(s->conn);
}

int
session_has_cap(const struct session *s, int cap)
{
	return (s->caps & CAPF(cap)) != 0;
}

/* Queue l for s, or hold it for s's labeled response. */
void
session_send(struct session *s, struct line *l)
{
	if (s->conn == NULL || (s->flags & SESSION_QUIT))
		return;
	if (reply_collect(s, l))
		return;
	session_send_now(s, l);
}

/*
 * Queue l for s, after any of s's own events still waiting for the disk:
 * a reply never overtakes what an earlier command of the same session
 * caused (a PONG comes after the MODE line of the MODE before it).
 */
void
session_send_now(struct session *s, struct line *l)
{
	if (s->conn == NULL || (s->flags & SESSION_QUIT))
		return;
	if (s->nevents > 0 && !event_delivering())
		event_defer_line(s, l);
	else
		conn_send(s->conn, l);
}

void
session_sendf(struct session *s, const char *fmt, ...)
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
	session_send(s, l);
	line_unref(l);
}

/*
 * Finish registration once everything is in: a nick, USER, the end of
 * CAP negotiation and the server password if there is one.
 */
void
session_try_register(struct session *s)
{
	struct client	*c = s->client, *u;

	if ((s->flags & SESSION_REGISTERED) || (c->nick == NULL &&
	    c->want_nick == NULL) || !(s->flags & SESSION_GOT_USER) ||
	    (s->flags & SESSION_CAP_NEG))
		return;
	if (c->want_nick != NULL && irc_acct_want_nick(c) != 0)
		return;
	if (srv.cfg.password != NULL && !(s->flags & SESSION_PASS_OK)) {
		reply_num(c, ERR_PASSWDMISMATCH);
		conn_kill(s->conn, "Bad password", 0);
		return;
	}
	if (!irc_acct_may_register(c)) {
		conn_kill(s->conn, "Login required", 0);
		return;
	}
	irc_auth_abort(c);
	TAILQ_REMOVE(&session_unreg, s, tq);
	s->flags |= SESSION_REGISTERED;
	s->last_ms = now_ms();
	TAILQ_INSERT_TAIL(&session_active, s, tq);
	srv.nunknown--;
	if (s->conn->ipstat != NULL)
		s->conn->ipstat->unreg--;
	if (tls_peer_fingerprint(s->conn) != NULL)
		s->certfp = xstrdup(tls_peer_fingerprint(s->conn));
	log_debug("conn %llu: registered as %s", (unsigned long long)
	    s->conn->id, client_prefix(c));
	/* Logged in to an account already online: s joins that user. */
	if ((u = irc_acct_register(c, s)) != c)
		client_attach(u, s);
	else
		client_register(c, s);
}

/* s sent a line: it is alive.  Keep the timeout lists in order. */
static void
session_touch(struct session *s, uint64_t now)
{
	if (!(s->flags & SESSION_REGISTERED)) {
		s->last_ms = now;
		return;
	}
	if (s->flags & SESSION_PINGED) {
		TAILQ_REMOVE(&session_pinged, s, tq);
		s->flags &= ~SESSION_PINGED;
		s->last_ms = now;
		TAILQ_INSERT_TAIL(&session_active, s, tq);
		return;
	}
	/* Moving costs little, but not at all is cheaper under a flood. */
	if (now - s->last_ms < 1000)
		return;
	s->last_ms = now;
	TAILQ_REMOVE(&session_active, s, tq);
	TAILQ_INSERT_TAIL(&session_active, s, tq);
}

/* Refill the flood bucket.  Returns 1 if a command may run now. */
static int
session_bucket_ok(struct session *s, uint64_t now)
{
	if (srv.cfg.flood_burst <= 0)
		return 1;
	return flood_ok(&s->flood, now, srv.cfg.flood_rate,
	    srv.cfg.flood_burst);
}

/* Spend the cost of one command. */
void
session_bucket_take(struct session *s, int penalty)
{
	if (srv.cfg.flood_burst > 0)
		flood_take(&s->flood, penalty);
}

/*
 * An HTTP request on the IRC port (a browser, or a cross-protocol
 * attack that smuggles IRC lines in a POST body): never run anything
 * from it.
 */
static int
session_is_http(const struct msg *m)
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
session_safe_verb(const char *v, int valid, char *out, size_t outsz)
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

/* Reply to a line that never reaches dispatch (no label applies). */
static void
session_reject(struct session *s)
{
	s->client->cur = s;
	session_bucket_take(s, 1);
}

/* Does the rest of a PRIVMSG/NOTICE line (p..end) go to NickServ? */
static int
session_trace_to_service(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return end - p >= 8 && strncasecmp(p, "nickserv", 8) == 0 &&
	    (end - p == 8 || p[8] == ' ' || p[8] == '@');
}

/*
 * Trace an input line, with its secrets masked (STYLE.md "Logging"):
 * passwords (PASS, NickServ, REGISTER), SASL payloads and login tokens
 * never reach the log.  Only the verb of such a line is shown.
 */
static void
session_trace_line(struct session *s, const char *line, size_t len)
{
	static const char *const secret[] = { "PASS", "AUTHENTICATE",
	    "REGISTER", "TOKEN", "NICKSERV", "NS", "PRIVMSG", "NOTICE",
	    "VERIFY", "OPER" };
	const char	*p = line, *end = line + len, *v;
	size_t		 vl, i;

	/* Skip tags and source: the verb is the first word after them. */
	while (p < end && (*p == '@' || *p == ':')) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	v = p;
	while (p < end && *p != ' ')
		p++;
	vl = p - v;
	for (i = 0; i < sizeof secret / sizeof secret[0]; i++) {
		if (vl != strlen(secret[i]) || strncasecmp(v, secret[i], vl) !=
		    0)
			continue;
		/* A message to NickServ may hold a password; others do
		 * not, and are shown. */
		if ((i == 6 || i == 7) && !session_trace_to_service(p, end))
			break;
		log_trace0("conn %llu: <- %.*s <hidden>",
		    (unsigned long long)s->conn->id, (int)vl, v);
		return;
	}
	log_trace0("conn %llu: <- %.*s", (unsigned long long)s->conn->id,
	    (int)(len > 300 ? 300 : len), line);
}

/*
 * One line from the conn (without CRLF; line[len] is writable).
 * Returns CONN_LINE_OK, CONN_LINE_THROTTLE (keep it, retry later) or
 * CONN_LINE_STOP.
 */
int
session_line(struct session *s, char *line, size_t len)
{
	struct msg	 m;
	struct client	*c = s->client;
	uint64_t	 now = now_ms();
	int		 r, valid;
	char		 verb[32];

	if (s->flags & SESSION_QUIT)
		return CONN_LINE_STOP;
	if (s->flags & SESSION_PAUSED)
		return CONN_LINE_PAUSE;
	if (!session_bucket_ok(s, now)) {
		conn_throttle(s->conn);
		return CONN_LINE_THROTTLE;
	}
	session_touch(s, now);
	if (len == 0)
		return CONN_LINE_OK;
	if (log_trace_flags & TRACE_IRC)
		session_trace_line(s, line, len);
	if (len > IRC_LINE_MAX) {
		session_reject(s);
		reply_num(c, ERR_INPUTTOOLONG);
		goto done;
	}
	/* CR, LF and NUL are never part of a line, let alone relayed. */
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len)) {
		session_reject(s);
		reply_fail(c, "*", "INVALID_TEXT", NULL,
		    "Line contains a NUL or CR character and was dropped");
		goto done;
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
		session_reject(s);
		reply_num(c, ERR_INPUTTOOLONG);
		goto done;
	case MSG_BAD_VERB:
	default:
		session_reject(s);
		if (!(s->flags & SESSION_REGISTERED) && line[0] == 0x16) {
			c->cur = NULL;
			conn_kill(s->conn, "TLS on a plain-text port", 0);
			return CONN_LINE_STOP;
		}
		session_safe_verb(m.verb, valid, verb, sizeof verb);
		reply_num(c, ERR_UNKNOWNCOMMAND, verb);
		goto done;
	}
	if (!valid) {
		session_reject(s);
		reply_fail(c, m.verb, "INVALID_UTF8", NULL,
		    "Message rejected: it is not valid UTF-8");
		goto done;
	}
	if (!(s->flags & SESSION_REGISTERED) && session_is_http(&m)) {
		conn_kill(s->conn, "HTTP request on the IRC port", 0);
		return CONN_LINE_STOP;
	}
	if (cmd_dispatch(s, &m) != 0 || (s->flags & SESSION_QUIT))
		return CONN_LINE_STOP;
	return CONN_LINE_OK;
done:
	s->client->cur = NULL;
	return CONN_LINE_OK;
}

/*
 * s is leaving (its conn is being reaped).  It leaves its client; the
 * client itself quits, with a QUIT its channels see, only when this was
 * its last session.
 */
void
session_quit(struct session *s, const char *reason)
{
	struct client	*c = s->client;

	if (s->flags & SESSION_QUIT)
		return;
	TAILQ_REMOVE(session_tq_list(s), s, tq);
	if (!(s->flags & SESSION_REGISTERED)) {
		srv.nunknown--;
		if (s->conn != NULL && s->conn->ipstat != NULL)
			s->conn->ipstat->unreg--;
	}
	s->flags |= SESSION_QUIT;
	if (c != NULL)
		client_detach(c, s, reason);
	s->client = NULL;
}

/* The session asked to leave (QUIT) or is thrown out: close gracefully. */
void
session_exit(struct session *s, const char *reason)
{
	conn_kill(s->conn, reason, 0);
}

/* Housekeeping, once a second: registration and ping timeouts. */
void
session_tick(uint64_t now)
{
	struct session	*s, *next;
	char		 why[64];

	TAILQ_FOREACH(s, &session_unreg, tq) {
		if (now - s->conn_ms < (uint64_t)srv.cfg.reg_timeout * 1000)
			break;
		conn_kill(s->conn, "Registration timed out", 0);
	}
	TAILQ_FOREACH_SAFE(s, &session_active, tq, next) {
		if (now - s->last_ms < (uint64_t)srv.cfg.ping_interval * 1000)
			break;
		TAILQ_REMOVE(&session_active, s, tq);
		s->flags |= SESSION_PINGED;
		s->ping_ms = now;
		TAILQ_INSERT_TAIL(&session_pinged, s, tq);
		session_sendf(s, "PING :%s", srv.name);
	}
	TAILQ_FOREACH(s, &session_pinged, tq) {
		if (now - s->ping_ms < (uint64_t)srv.cfg.ping_timeout * 1000)
			break;
		snprintf(why, sizeof why, "Ping timeout: %llu seconds",
		    (unsigned long long)(now - s->last_ms) / 1000);
		conn_kill(s->conn, why, 0);
	}
}
