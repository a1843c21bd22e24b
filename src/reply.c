/*
 * Replies and fan-out; see reply.h for the model.
 *
 * The labeled-response context is one static struct: commands are
 * dispatched one at a time on the loop thread, so at most one is open.
 * Lines collected in it are references to the same shared lines a fan-out
 * made; the label or batch tag is added when the response is closed, in a
 * copy made for this one client.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "client.h"
#include "conn.h"
#include "line.h"
#include "log.h"
#include "monitor.h"
#include "msg.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

static struct rctx	reply_rctx;
static uint64_t		reply_batch_seq;
static uint64_t		fanout_epoch;

/*
 * Open a response for the command m from c.  A label is honoured only
 * when the client negotiated labeled-response and batch (the spec makes
 * batch a requirement) and the value fits in 64 bytes.
 */
void
reply_begin(struct session *s, const struct msg *m)
{
	const char	*label;

	s->rctx = NULL;
	if (!session_has_cap(s, CAP_LABELED_RESPONSE) ||
	    !session_has_cap(s, CAP_BATCH))
		return;
	if ((label = msg_tag_get(m, "label")) == NULL || *label == '\0')
		return;
	if (msg_tag_escaped_len(label) > LABEL_MAX)
		return;
	msg_tag_escape(reply_rctx.label, sizeof reply_rctx.label, label);
	reply_rctx.n = 0;
	s->rctx = &reply_rctx;
}

/* Hold l for the open labeled response of s.  Returns 0 if none is open. */
int
reply_collect(struct session *s, struct line *l)
{
	struct rctx	*r = s->rctx;

	if (r == NULL)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->lines = xreallocarray(r->lines, r->cap, sizeof *r->lines);
	}
	r->lines[r->n++] = line_ref(l);
	return 1;
}

/* Does l carry a batch tag already (it belongs to an inner batch)? */
static int
reply_has_batch_tag(const struct line *l)
{
	const char	*p = l->data + 1, *end;

	if (l->len == 0 || l->data[0] != '@')
		return 0;
	end = memchr(l->data, ' ', l->len);
	if (end == NULL)
		return 0;
	while (p < end) {
		if ((size_t)(end - p) > 6 && memcmp(p, "batch=", 6) == 0)
			return 1;
		p = memchr(p, ';', end - p);
		if (p == NULL)
			break;
		p++;
	}
	return 0;
}

/* Make a new batch reference tag, unique for the life of the process. */
void
reply_batch_id(char *out, size_t outsz)
{
	snprintf(out, outsz, "b%llx", (unsigned long long)++reply_batch_seq);
}

/* Send the labeled response r to s (or drop it if s is gone). */
static void
reply_finish(struct session *s, struct rctx *r)
{
	struct line	*l;
	char		 tag[LABEL_MAX + 16], id[32], bt[48];
	uint32_t	 i;

	snprintf(tag, sizeof tag, "label=%s", r->label);
	if (s->conn == NULL || (s->flags & SESSION_QUIT)) {
		/* Gone meanwhile: drop what was held. */
	} else if (r->n == 0) {
		l = line_newf("@%s :%s ACK", tag, srv.name);
		session_send_now(s, l);
		line_unref(l);
	} else if (r->n == 1) {
		l = line_with_tag(r->lines[0], tag);
		session_send_now(s, l);
		line_unref(l);
	} else {
		reply_batch_id(id, sizeof id);
		l = line_newf("@%s :%s BATCH +%s labeled-response", tag,
		    srv.name, id);
		session_send_now(s, l);
		line_unref(l);
		snprintf(bt, sizeof bt, "batch=%s", id);
		for (i = 0; i < r->n; i++) {
			if (reply_has_batch_tag(r->lines[i]))
				session_send_now(s, r->lines[i]);
			else {
				l = line_with_tag(r->lines[i], bt);
				session_send_now(s, l);
				line_unref(l);
			}
		}
		l = line_newf(":%s BATCH -%s", srv.name, id);
		session_send_now(s, l);
		line_unref(l);
	}
	for (i = 0; i < r->n; i++)
		line_unref(r->lines[i]);
	r->n = 0;
	if (r->heap) {
		free(r->lines);
		free(r);
	}
}

/* The command of s is dispatched: send its labeled response, unless
 * replies still to come keep it open. */
void
reply_end(struct session *s)
{
	struct rctx	*r = s->rctx;

	if (r == NULL)
		return;
	s->rctx = NULL;
	if (r->pending > 0)
		return;
	reply_finish(s, r);
}

/*
 * Keep the reply to the running command of c open for later.  A labeled
 * response moves from the static context to the heap, so that the next
 * command can have the static one.
 */
struct later *
reply_later(struct client *c)
{
	struct session	*s = c->cur;
	struct later	*l;
	struct rctx	*r;

	l = xcalloc(1, sizeof *l);
	l->s = session_ref(s);
	if ((r = s->rctx) != NULL) {
		if (!r->heap) {
			r = xcalloc(1, sizeof *r);
			memcpy(r->label, reply_rctx.label, sizeof r->label);
			r->lines = reply_rctx.lines;
			r->n = reply_rctx.n;
			r->cap = reply_rctx.cap;
			r->heap = 1;
			reply_rctx.lines = NULL;
			reply_rctx.n = reply_rctx.cap = 0;
			s->rctx = r;
		}
		r->pending++;
		l->r = r;
	}
	return l;
}

/* Make the later reply l current: its client, with cur set, or NULL. */
struct client *
later_begin(struct later *l)
{
	struct session	*s = l->s;

	if ((s->flags & SESSION_QUIT) || s->client == NULL)
		return NULL;
	s->client->cur = s;
	s->rctx = l->r;
	return s->client;
}

/* Done with l (begun or not); the last one sends the labeled response. */
void
later_end(struct later *l)
{
	struct session	*s = l->s;

	if (s->client != NULL && s->client->cur == s)
		s->client->cur = NULL;
	if (s->rctx == l->r)
		s->rctx = NULL;
	if (l->r != NULL && --l->r->pending == 0)
		reply_finish(s, l->r);
	session_unref(s);
	free(l);
}

/*
 * What a client sent, fit to be echoed as a middle parameter of a reply:
 * itself, or "*" when it is empty, holds a space or starts with ':'
 * (which would shift the parameters a client parses).
 */
const char *
reply_param(const char *s)
{
	return msg_param_is_middle(s) ? s : "*";
}

/* Send numeric num to c: ":server NNN <nick> " followed by fmt. */
void
reply_num(struct client *c, int num, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	struct line	*l;

	buf_init(&b);
	buf_printf(&b, ":%s %03d %s ", srv.name, num, client_name(c));
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	client_send(c, l);
	line_unref(l);
}

/*
 * IRCv3 standard replies: "FAIL <command> <code> [<context>] :<text>".
 * kind is FAIL, WARN or NOTE; ctx may be NULL or several space-separated
 * parameters.
 */
void
reply_std(struct client *c, const char *kind, const char *cmd,
    const char *code, const char *ctx, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	struct line	*l;

	buf_init(&b);
	buf_printf(&b, ":%s %s %s %s ", srv.name, kind, cmd, code);
	if (ctx != NULL && *ctx != '\0')
		buf_printf(&b, "%s ", ctx);
	buf_addch(&b, ':');
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	client_send(c, l);
	line_unref(l);
}

/* A server NOTICE to c. */
void
reply_notice(struct client *c, const char *fmt, ...)
{
	struct buf	 b;
	va_list		 ap;
	struct line	*l;

	buf_init(&b);
	buf_printf(&b, ":%s NOTICE %s :", srv.name, client_name(c));
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	client_send(c, l);
	line_unref(l);
}

/*
 * Start a fan-out of one event from `from` (NULL: the server).  Fill the
 * text with fanout_text(), send with fanout_send() and friends, release
 * with fanout_done().  The msgid and time are fixed here, so every
 * recipient sees the same ones.
 */
void
fanout_init(struct fanout *f, const struct client *from)
{
	fanout_init_at(f, from, wall_ms(), NULL);
}

/* The same, for an event whose time and msgid (NULL: a new one) are
 * fixed already. */
void
fanout_init_at(struct fanout *f, const struct client *from, uint64_t time_ms,
    const char *msgid)
{
	memset(f, 0, sizeof *f);
	buf_init(&f->base[0]);
	buf_init(&f->base[1]);
	f->from = from;
	f->alt_cap = -1;
	f->need_cap = -1;
	f->time_ms = time_ms;
	if (msgid != NULL)
		strlcpy_u(f->msgid, msgid, sizeof f->msgid);
	else
		server_msgid(f->msgid, sizeof f->msgid);
	if (from != NULL) {
		f->account = from->account;
		f->bot = (from->umodes & UMODE_BOT) != 0;
	}
	f->epoch = ++fanout_epoch;
}

/* Append to text number which (0, or 1 for the alt_cap variant). */
void
fanout_text(struct fanout *f, int which, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vprintf(&f->base[which], fmt, ap);
	va_end(ap);
}

/* Append s to text number which, as it is. */
void
fanout_add(struct fanout *f, int which, const char *s)
{
	buf_addstr(&f->base[which], s);
}

/* ";" between tags (none before the first), then the pieces of one. */
static void
fanout_tag(struct buf *b, int *n, const char *key, const char *value)
{
	if ((*n)++ > 0)
		buf_addch(b, ';');
	buf_addstr(b, key);
	if (value != NULL) {
		buf_addch(b, '=');
		buf_addstr(b, value);
	}
}

static struct line *
fanout_build(struct fanout *f, int which, int mask)
{
	struct buf	 b;
	struct line	*l;
	char		 ts[40];
	int		 n = 0;
	const char	*ctags = which == 1 && f->ctags_alt != NULL ?
			    f->ctags_alt : f->ctags;

	/* Once per form of every event: pieces, no printf. */
	buf_init(&b);
	buf_reserve(&b, f->base[which].len + 128);
	if (mask != 0) {
		buf_addch(&b, '@');
		if (mask & FORM_TIME) {
			time_format_iso(f->time_ms, ts, sizeof ts);
			fanout_tag(&b, &n, "time", ts);
		}
		if (mask & FORM_TAGS)
			fanout_tag(&b, &n, "msgid", f->msgid);
		if (mask & FORM_ACCOUNT)
			fanout_tag(&b, &n, "account", f->account);
		if ((mask & FORM_TAGS) && f->bot)
			fanout_tag(&b, &n, "bot", NULL);
		/* Client-only tags go last (IRCv3 message-tags). */
		if ((mask & FORM_TAGS) && ctags != NULL && *ctags != '\0')
			fanout_tag(&b, &n, ctags, NULL);
		buf_addch(&b, ' ');
	}
	buf_add(&b, f->base[which].data, f->base[which].len);
	/* Relayed text is fitted before; this is the net under it. */
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	return l;
}

/* The line that session `to` gets, or NULL if it gets nothing.
 * Borrowed: it lives as long as the fan-out. */
struct line *
fanout_line(struct fanout *f, const struct session *to)
{
	int	which = 0, mask = 0;

	if (f->need_cap >= 0 && !session_has_cap(to, f->need_cap))
		return NULL;
	if (f->tagmsg && !session_has_cap(to, CAP_MESSAGE_TAGS))
		return NULL;
	if (f->alt_cap >= 0 && session_has_cap(to, f->alt_cap))
		which = 1;
	if (session_has_cap(to, CAP_SERVER_TIME))
		mask |= FORM_TIME;
	if (session_has_cap(to, CAP_MESSAGE_TAGS))
		mask |= FORM_TAGS;
	if (f->account != NULL && session_has_cap(to, CAP_ACCOUNT_TAG))
		mask |= FORM_ACCOUNT;
	if (f->forms[which][mask] == NULL)
		f->forms[which][mask] = fanout_build(f, which, mask);
	return f->forms[which][mask];
}

/*
 * Send the event to every session of `to` (but f->skip), once per
 * fan-out whatever the number of paths that lead to it.  The session
 * whose command runs gets it inside its labeled response.  Returns 1 if
 * something was queued.
 */
int
fanout_send(struct fanout *f, struct client *to)
{
	struct session	*s;
	struct line	*l;
	int		 n = 0;

	if (to->mark == f->epoch || (to->flags & CLIENT_QUIT))
		return 0;
	to->mark = f->epoch;
	TAILQ_FOREACH(s, &to->sessions, sib) {
		if (s == f->skip || (l = fanout_line(f, s)) == NULL)
			continue;
		session_send(s, l);
		n = 1;
	}
	return n;
}

/* Like fanout_send(), but only to the sessions of `to` that have cap. */
int
fanout_send_cap(struct fanout *f, struct client *to, int cap)
{
	struct session	*s;
	struct line	*l;
	int		 n = 0;

	if (to->mark == f->epoch || (to->flags & CLIENT_QUIT))
		return 0;
	to->mark = f->epoch;
	TAILQ_FOREACH(s, &to->sessions, sib) {
		if (s == f->skip || !session_has_cap(s, cap) ||
		    (l = fanout_line(f, s)) == NULL)
			continue;
		session_send(s, l);
		n = 1;
	}
	return n;
}

/*
 * The same, but never into a labeled response: for the copy of a message
 * a client sent to itself, which only the echo may carry the label of.
 */
void
fanout_deliver(struct fanout *f, struct client *to)
{
	struct session	*s;
	struct line	*l;

	if (to->mark == f->epoch || (to->flags & CLIENT_QUIT))
		return;
	to->mark = f->epoch;
	TAILQ_FOREACH(s, &to->sessions, sib)
		if (s != f->skip && (l = fanout_line(f, s)) != NULL &&
		    s->conn != NULL)
			session_send_now(s, l);
}

/*
 * Send to every member of ch except skip.  With status set (MEMBER_OP or
 * MEMBER_OP|MEMBER_VOICE), only to members holding one of those modes
 * (STATUSMSG).
 */
void
fanout_channel(struct fanout *f, struct channel *ch, const struct client *skip,
    unsigned int status)
{
	uint32_t		 i;
	struct membership	*m;

	for (i = 0; i < ch->nmembers; i++) {
		m = ch->members[i];
		if (m->client == skip || (f->seq != 0 && m->seq >= f->seq))
			continue;
		if (status != 0 && !(m->modes & status))
			continue;
		fanout_send(f, m->client);
	}
}

/*
 * Send to everyone who shares a channel with `about` (and `about` itself
 * with self set).  With monitor_cap >= 0, also to clients that MONITOR
 * about's nick and negotiated that capability (extended-monitor).
 */
void
fanout_neighbours(struct fanout *f, struct client *about, int self,
    int monitor_cap)
{
	uint32_t	 i, j;
	struct channel	*ch;

	if (!self)
		about->mark = f->epoch;
	else
		fanout_send(f, about);
	for (i = 0; i < about->nchans; i++) {
		ch = about->chans[i]->chan;
		for (j = 0; j < ch->nmembers; j++)
			fanout_send(f, ch->members[j]->client);
	}
	if (monitor_cap >= 0 && about->fold != NULL)
		monitor_fanout(f, about->fold, monitor_cap);
}

void
fanout_done(struct fanout *f)
{
	int	i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < FORM_COUNT; j++)
			line_unref(f->forms[i][j]);
	buf_free(&f->base[0]);
	buf_free(&f->base[1]);
}
