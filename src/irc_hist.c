/*
 * History from IRC: CHATHISTORY (IRCv3 draft/chathistory with
 * draft/event-playback), MARKREAD (draft/read-marker), and the replay of
 * missed DMs and mentions at login for clients that cannot ask for
 * history themselves.
 *
 * Queries run on the store's reader threads (history.c); the reply
 * comes back on the loop through a struct later, inside the command's
 * labeled response.  Who may read a channel is worked out here from the
 * channel's state, and passed to the query as the set of readable
 * channels, which the SQL itself enforces (history.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "line.h"
#include "log.h"
#include "marker.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define REPLAY_MAX	100	/* missed messages replayed at login */

struct hist_req {
	struct later		*later;
	struct hist_query	*q;
	char			 name[NAME_MAX_BYTES + 1];	/* as shown */
	int			 replay;
};

/* Reader thread: run the query of a request. */
static int
irc_hist_run(sqlite3 *db, void *arg)
{
	return history_query(db, ((struct hist_req *)arg)->q);
}

/* May c read ch's history now?  Members may; others only when the
 * channel is open to anyone (not +i, +k or +s) and they are not banned. */
int
irc_hist_can_read(const struct client *c, const struct channel *ch)
{
	if (channel_member(ch, c) != NULL)
		return 1;
	if (ch->dead || (ch->modes & (CMODE_INVITE | CMODE_SECRET)) ||
	    ch->key != NULL)
		return 0;
	return !channel_is_banned(ch, c);
}

/* Append s to b as a JSON string. */
static void
irc_json_str(struct buf *b, const char *s)
{
	buf_addch(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_addch(b, '\\');
		if ((unsigned char)*s < 0x20)
			buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

/* The JSON array of the channels c may read (one, or all with NULL). */
char *
irc_hist_readable(const struct client *c, const struct channel *only)
{
	struct buf	 b;
	struct channel	*ch;
	size_t		 it = 0;
	int		 n = 0;

	buf_init(&b);
	buf_addch(&b, '[');
	if (only != NULL) {
		if (irc_hist_can_read(c, only)) {
			irc_json_str(&b, only->fold);
			n++;
		}
	} else {
		while ((ch = dict_next(&srv.channels, &it)) != NULL) {
			if (!irc_hist_can_read(c, ch))
				continue;
			if (n++ > 0)
				buf_addch(&b, ',');
			irc_json_str(&b, ch->fold);
		}
	}
	buf_addch(&b, ']');
	return buf_detach(&b);
}

/* The JSON array of the channels c is in (TARGETS lists c's own
 * conversations, not every public channel). */
static char *
irc_hist_joined(const struct client *c)
{
	struct buf	b;
	uint32_t	i;

	buf_init(&b);
	buf_addch(&b, '[');
	for (i = 0; i < c->nchans; i++) {
		if (i > 0)
			buf_addch(&b, ',');
		irc_json_str(&b, c->chans[i]->chan->fold);
	}
	buf_addch(&b, ']');
	return buf_detach(&b);
}

/* c's own DM key, or "" when c is not logged in (no DM history then). */
void
irc_hist_me(const struct client *c, char *out, size_t outsz)
{
	char	fold[CASEMAP_FOLDSZ];

	out[0] = '\0';
	if (c->account != NULL && casemap_fold(c->account, fold,
	    sizeof fold) == 0)
		history_dm_key(fold, NULL, out, outsz);
}

/* The DM key of whoever `nick` names: the account of the user online
 * under that nick, a registered account, or the nick itself; shown gets
 * the name to show (the nick online, else the account's name).  out is
 * "" when nick cannot be a name. */
void
irc_hist_peer(const char *nick, char *out, size_t outsz, char *shown,
    size_t shownsz)
{
	struct client	*t = client_find(nick);
	struct account	*a;
	char		 fold[CASEMAP_FOLDSZ];

	strlcpy_u(shown, nick, shownsz);
	if (t != NULL) {
		strlcpy_u(shown, t->nick, shownsz);
		if (t->account != NULL && (a = account_find(t->account)) != NULL)
			history_dm_key(a->fold, NULL, out, outsz);
		else
			history_dm_key(NULL, t->fold, out, outsz);
		return;
	}
	if ((a = account_find(nick)) != NULL) {
		strlcpy_u(shown, a->name, shownsz);
		history_dm_key(a->fold, NULL, out, outsz);
		return;
	}
	if (casemap_fold(nick, fold, sizeof fold) == 0)
		history_dm_key(NULL, fold, out, outsz);
	else
		out[0] = '\0';
}

/* Who the DM key `key` is, to show: the nick of the account's user if
 * online, else the account's name; "~nick" keys show the nick. */
static void
irc_hist_key_name(const char *key, char *out, size_t outsz)
{
	struct account	*a;

	if (key[0] == '~') {
		strlcpy_u(out, key + 1, outsz);
		return;
	}
	a = account_find_fold(key);
	if (a != NULL && a->online != NULL)
		strlcpy_u(out, a->online->nick, outsz);
	else
		strlcpy_u(out, a != NULL ? a->name : key, outsz);
}

/*
 * The line that replays row r to session s, tags included, in batch
 * (NULL: none), addressed to dmtarget if not NULL (else the row's own
 * target).  NULL when s may not see this kind of line, or the row is
 * redacted.  An edited row shows its current text.  The caller owns the
 * reference.  CHATHISTORY, the login replay and SEARCH all use it.
 */
struct line *
irc_hist_line(const struct hist_row *r, const struct session *s,
    const char *batch, const char *dmtarget)
{
	struct buf	 b;
	struct line	*l;
	char		 ts[40], msgid[48];
	int		 n = 0, events = session_has_cap(s, CAP_EVENT_PLAYBACK);
	int		 tags = session_has_cap(s, CAP_MESSAGE_TAGS);
	const char	*t = dmtarget != NULL ? dmtarget : r->tname;

	if (r->flags & HISTF_REDACTED)
		return NULL;
	if (r->kind != HIST_PRIVMSG && r->kind != HIST_NOTICE &&
	    r->kind != HIST_ANNOUNCE &&
	    (!events || (r->kind == HIST_TAGMSG && !tags)))
		return NULL;
	buf_init(&b);
	if (r->msgid != NULL)
		strlcpy_u(msgid, r->msgid, sizeof msgid);
	else
		history_msgid(r->id, msgid, sizeof msgid);
	buf_addch(&b, '@');
	if (batch != NULL && session_has_cap(s, CAP_BATCH))
		buf_printf(&b, "%sbatch=%s", n++ ? ";" : "", batch);
	if (session_has_cap(s, CAP_SERVER_TIME)) {
		time_format_iso(r->time, ts, sizeof ts);
		buf_printf(&b, "%stime=%s", n++ ? ";" : "", ts);
	}
	if (tags)
		buf_printf(&b, "%smsgid=%s", n++ ? ";" : "", msgid);
	if (r->account != NULL && session_has_cap(s, CAP_ACCOUNT_TAG))
		buf_printf(&b, "%saccount=%s", n++ ? ";" : "", r->account);
	if (tags && r->tags != NULL)
		buf_printf(&b, "%s%s", n++ ? ";" : "", r->tags);
	if (n == 0)
		buf_reset(&b);
	else
		buf_addch(&b, ' ');
	switch (r->kind) {
	case HIST_PRIVMSG:
	case HIST_NOTICE:
		buf_printf(&b, ":%s %s %s :%s", r->sender, r->kind ==
		    HIST_PRIVMSG ? "PRIVMSG" : "NOTICE", t,
		    r->body != NULL ? r->body : "");
		break;
	case HIST_TAGMSG:
		buf_printf(&b, ":%s TAGMSG %s", r->sender, t);
		break;
	case HIST_JOIN:
		if (session_has_cap(s, CAP_EXTENDED_JOIN))
			buf_printf(&b, ":%s JOIN %s %s :%s", r->sender, t,
			    r->extra != NULL ? r->extra : "*",
			    r->body != NULL ? r->body : "");
		else
			buf_printf(&b, ":%s JOIN %s", r->sender, t);
		break;
	case HIST_PART:
		if (r->body != NULL)
			buf_printf(&b, ":%s PART %s :%s", r->sender, t,
			    r->body);
		else
			buf_printf(&b, ":%s PART %s", r->sender, t);
		break;
	case HIST_KICK:
		buf_printf(&b, ":%s KICK %s %s :%s", r->sender, t,
		    r->extra != NULL ? r->extra : "*",
		    r->body != NULL ? r->body : "");
		break;
	case HIST_TOPIC:
		buf_printf(&b, ":%s TOPIC %s :%s", r->sender, t,
		    r->body != NULL ? r->body : "");
		break;
	case HIST_NICK:
		buf_printf(&b, ":%s NICK :%s", r->sender,
		    r->body != NULL ? r->body : "");
		break;
	case HIST_QUIT:
		buf_printf(&b, ":%s QUIT :%s", r->sender,
		    r->body != NULL ? r->body : "");
		break;
	case HIST_MODE:
		buf_printf(&b, ":%s MODE %s %s", r->sender, t,
		    r->body != NULL ? r->body : "");
		break;
	case HIST_ANNOUNCE:
		/* From this server, whatever it was called then. */
		buf_printf(&b, ":%s NOTICE %s :" IRC_ANNOUNCE_FMT, srv.name, t,
		    r->extra != NULL ? r->extra : "*",
		    r->body != NULL ? r->body : "");
		break;
	default:
		buf_free(&b);
		return NULL;
	}
	/*
	 * The row fitted in 512 bytes as it was delivered, but a
	 * conversation is replayed under the peer's nick of today and an
	 * edited text under the sender of then: cut what no longer fits.
	 */
	l = line_new_cut(b.data, b.len);
	buf_free(&b);
	return l;
}

/* Open a batch of type (with one parameter, or none with NULL) for c's
 * session; the id goes in id, or id[0] = '\0' when the session has no
 * batch cap. */
void
irc_hist_batch_open(struct client *c, char *id, size_t idsz,
    const char *type, const char *param)
{
	id[0] = '\0';
	if (!client_has_cap(c, CAP_BATCH))
		return;
	reply_batch_id(id, idsz);
	if (param != NULL)
		client_sendf(c, ":%s BATCH +%s %s %s", srv.name, id, type,
		    param);
	else
		client_sendf(c, ":%s BATCH +%s %s", srv.name, id, type);
}

/* Close the batch irc_hist_batch_open() opened (if it did). */
void
irc_hist_batch_close(struct client *c, const char *id)
{
	if (id[0] != '\0')
		client_sendf(c, ":%s BATCH -%s", srv.name, id);
}

static const char *const hist_subs[] = { NULL, "LATEST", "BEFORE", "AFTER",
    "AROUND", "BETWEEN", "TARGETS" };

/*
 * The context of a FAIL about subcommand sub and target (NULL or "":
 * none): "<subcommand> <target>", two parameters (IRCv3 chathistory
 * errors), the target as the client sent it when it is safe to echo.
 */
static const char *
irc_hist_ctx(char *out, size_t outsz, const char *sub, const char *target)
{
	if (target == NULL || *target == '\0')
		snprintf(out, outsz, "%s", sub);
	else
		snprintf(out, outsz, "%s %s", sub, reply_param(target));
	return out;
}

/* The query is done: send the batch (or the error) to whoever asked. */
static void
irc_hist_done(void *arg, int rc)
{
	struct hist_req		*req = arg;
	struct hist_query	*q = req->q;
	struct client		*c;
	struct line		*l;
	char			 id[32], ts[40], name[NAME_MAX_BYTES + 1];
	char			 ctx[LINE_MAX_BODY + 16];
	struct channel		*ch;
	int			 i;

	log_debug("history: sub %d target '%s' readable %s: %d rows", q->sub,
	    q->target, q->readable != NULL ? q->readable : "-", q->nrows);
	if ((c = later_begin(req->later)) == NULL)
		goto out;
	if (rc != SQLITE_OK) {
		log_warnx("history query failed: %s", q->error != NULL ?
		    q->error : store_strerror(rc));
		reply_fail(c, "CHATHISTORY", "MESSAGE_ERROR",
		    irc_hist_ctx(ctx, sizeof ctx, q->sub == HQ_TARGETS ?
		    "TARGETS" : hist_subs[q->sub], req->name),
		    "Messages could not be retrieved");
		goto out;
	}
	if (q->sub == HQ_TARGETS) {
		irc_hist_batch_open(c, id, sizeof id,
		    "draft/chathistory-targets", NULL);
		for (i = 0; i < q->nrows; i++) {
			struct hist_row *r = &q->rows[i];

			if (r->target != NULL && r->target[0] != '\0') {
				ch = dict_get(&srv.channels, r->target);
				strlcpy_u(name, ch != NULL ? ch->name :
				    r->target, sizeof name);
			} else
				irc_hist_key_name(r->tname, name, sizeof name);
			time_format_iso(r->time, ts, sizeof ts);
			if (id[0] != '\0')
				client_sendf(c, "@batch=%s :%s CHATHISTORY "
				    "TARGETS %s %s", id, srv.name, name, ts);
			else
				client_sendf(c, ":%s CHATHISTORY TARGETS %s %s",
				    srv.name, name, ts);
		}
		irc_hist_batch_close(c, id);
		goto out;
	}
	irc_hist_batch_open(c, id, sizeof id, "chathistory", req->name);
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
	later_end(req->later);
	history_query_free(q);
	free(req);
}

/* "msgid=..." or "timestamp=..." (or "*" where allowed) into b. */
static int
irc_hist_selector(const char *s, struct hist_bound *b, int star_ok)
{
	memset(b, 0, sizeof *b);
	if (strcmp(s, "*") == 0)
		return star_ok ? 0 : -1;
	if (strncasecmp(s, "msgid=", 6) == 0) {
		if (history_msgid_parse(s + 6, &b->id) != 0)
			return -1;
		b->set = b->is_id = 1;
		return 0;
	}
	if (strncasecmp(s, "timestamp=", 10) == 0) {
		if (time_parse_iso(s + 10, &b->time) != 0)
			return -1;
		b->set = 1;
		return 0;
	}
	return -1;
}

/*
 * Fill q's conversation for target (a channel or a nick).  Returns 0, or
 * -1 when c may not read it (INVALID_TARGET, the same answer whether or
 * not it exists).
 */
static int
irc_hist_target(struct client *c, const char *target, struct hist_query *q,
    char *shown, size_t shownsz)
{
	struct channel	*ch;

	if (target[0] == '#') {
		if ((ch = channel_find(target)) == NULL ||
		    !irc_hist_can_read(c, ch))
			return -1;
		strlcpy_u(q->target, ch->fold, sizeof q->target);
		strlcpy_u(shown, ch->name, shownsz);
		q->readable = irc_hist_readable(c, ch);
		return 0;
	}
	irc_hist_me(c, q->me, sizeof q->me);
	if (q->me[0] == '\0')
		return -1;	/* DMs are kept for accounts only */
	irc_hist_peer(target, q->peer, sizeof q->peer, shown, shownsz);
	if (q->peer[0] == '\0')
		return -1;
	q->dm = 1;
	return 0;
}

int
cmd_chathistory(struct client *c, struct msg *m)
{
	struct hist_query	*q;
	struct hist_req		*req;
	const char		*sub = m->params[0];
	char			 shown[NAME_MAX_BYTES + 1];
	char			 ctx[LINE_MAX_BODY + 16];
	long long		 limit;
	int			 i, which = 0, nsel;

	for (i = 1; i <= HQ_TARGETS; i++)
		if (strcasecmp(sub, hist_subs[i]) == 0)
			which = i;
	if (which == 0) {
		reply_fail(c, "CHATHISTORY", "INVALID_PARAMS", reply_param(sub),
		    "Unknown command");
		return 0;
	}
	nsel = which == HQ_BETWEEN || which == HQ_TARGETS ? 2 : 1;
	if (m->nparams < (which == HQ_TARGETS ? 4 : 3 + nsel)) {
		reply_fail(c, "CHATHISTORY", "INVALID_PARAMS", hist_subs[which],
		    "Insufficient parameters");
		return 0;
	}
	if (str_to_int(m->params[m->nparams - 1], 0, 1LL << 31, &limit) != 0) {
		reply_fail(c, "CHATHISTORY", "INVALID_PARAMS", hist_subs[which],
		    "Invalid limit");
		return 0;
	}
	if (limit == 0 || limit > HISTORY_MAX)
		limit = HISTORY_MAX;
	q = xcalloc(1, sizeof *q);
	q->sub = which;
	q->limit = (int)limit;
	q->events = client_has_cap(c, CAP_EVENT_PLAYBACK);
	q->tagmsg = q->events && client_has_cap(c, CAP_MESSAGE_TAGS);
	shown[0] = '\0';
	if (which == HQ_TARGETS) {
		if (irc_hist_selector(m->params[1], &q->a, 0) != 0 ||
		    irc_hist_selector(m->params[2], &q->b, 0) != 0 ||
		    q->a.is_id || q->b.is_id) {
			reply_fail(c, "CHATHISTORY", "INVALID_PARAMS",
			    "TARGETS", "Invalid timestamp");
			history_query_free(q);
			return 0;
		}
		irc_hist_me(c, q->me, sizeof q->me);
		q->readable = irc_hist_joined(c);
	} else {
		if (irc_hist_selector(m->params[2], &q->a, which == HQ_LATEST ||
		    which == HQ_BEFORE) != 0 || (which == HQ_BETWEEN &&
		    irc_hist_selector(m->params[3], &q->b, 0) != 0) ||
		    (which != HQ_LATEST && which != HQ_BEFORE && !q->a.set)) {
			reply_fail(c, "CHATHISTORY", "INVALID_PARAMS",
			    hist_subs[which], "Invalid message reference");
			history_query_free(q);
			return 0;
		}
		if (which == HQ_BEFORE && !q->a.set)
			q->sub = HQ_LATEST;	/* "BEFORE *": as Kiwi sends */
		if (irc_hist_target(c, m->params[1], q, shown,
		    sizeof shown) != 0) {
			reply_fail(c, "CHATHISTORY", "INVALID_TARGET",
			    irc_hist_ctx(ctx, sizeof ctx, hist_subs[which],
			    m->params[1]), "Messages could not be retrieved");
			history_query_free(q);
			return 0;
		}
	}
	req = xcalloc(1, sizeof *req);
	req->q = q;
	strlcpy_u(req->name, shown, sizeof req->name);
	req->later = reply_later(c);
	if (store_read(irc_hist_run, irc_hist_done, req) != 0) {
		reply_fail(c, "CHATHISTORY", "MESSAGE_ERROR",
		    irc_hist_ctx(ctx, sizeof ctx, hist_subs[which],
		    which == HQ_TARGETS ? NULL : m->params[1]),
		    "Messages could not be retrieved");
		later_end(req->later);
		history_query_free(q);
		free(req);
	}
	return 0;
}

/* The marker key of a MARKREAD target for c (channel fold or DM key). */
static int
irc_marker_key(struct client *c, const char *target, char *key, size_t keysz,
    char *shown, size_t shownsz)
{
	struct channel	*ch;

	if (target[0] == '#') {
		/* The channel's own spelling only to whoever may know it
		 * exists: for a +s channel it would tell a stranger so. */
		if ((ch = channel_find(target)) != NULL &&
		    channel_can_see(ch, c))
			strlcpy_u(shown, ch->name, shownsz);
		else
			strlcpy_u(shown, target, shownsz);
		return casemap_fold(target, key, keysz);
	}
	irc_hist_peer(target, key, keysz, shown, shownsz);
	return key[0] == '\0' ? -1 : 0;
}

/* Tell c's session(s) the marker: to every session with the cap when
 * all is set, else to the running one. */
static void
irc_marker_send(struct client *c, const char *shown, uint64_t t, int all)
{
	struct session	*s;
	char		 ts[48];

	if (t != 0) {
		strlcpy_u(ts, "timestamp=", sizeof ts);
		time_format_iso(t, ts + 10, sizeof ts - 10);
	} else
		strlcpy_u(ts, "*", sizeof ts);
	if (!all) {
		client_sendf(c, ":%s MARKREAD %s %s", srv.name, shown, ts);
		return;
	}
	TAILQ_FOREACH(s, &c->sessions, sib)
		if (session_has_cap(s, CAP_READ_MARKER) || s == c->cur)
			session_sendf(s, ":%s MARKREAD %s %s", srv.name, shown,
			    ts);
}

/* MARKREAD <target> [timestamp=...] */
int
cmd_markread(struct client *c, struct msg *m)
{
	struct account	*a;
	char		 key[CASEMAP_FOLDSZ + 1], shown[NAME_MAX_BYTES + 1];
	uint64_t	 t, now = wall_ms();

	if (m->nparams < 1) {
		reply_fail(c, "MARKREAD", "NEED_MORE_PARAMS", NULL,
		    "Missing parameters");
		return 0;
	}
	/* Not INTERNAL_ERROR, which says "try again": logging in is what
	 * helps (the code other servers send here too). */
	if (c->account == NULL || (a = account_find(c->account)) == NULL) {
		reply_fail(c, "MARKREAD", "ACCOUNT_REQUIRED",
		    reply_param(m->params[0]), "Read markers are kept for "
		    "logged-in users");
		return 0;
	}
	if (irc_marker_key(c, m->params[0], key, sizeof key, shown,
	    sizeof shown) != 0) {
		reply_fail(c, "MARKREAD", "INVALID_PARAMS",
		    reply_param(m->params[0]), "Invalid parameters");
		return 0;
	}
	if (m->nparams < 2) {
		irc_marker_send(c, shown, marker_get(a, key), 0);
		return 0;
	}
	if (strncasecmp(m->params[1], "timestamp=", 10) != 0 ||
	    time_parse_iso(m->params[1] + 10, &t) != 0) {
		reply_fail(c, "MARKREAD", "INVALID_PARAMS",
		    reply_param(m->params[1]), "Invalid parameters");
		return 0;
	}
	if (t > now)
		t = now;
	if (marker_set(a, key, t))
		irc_marker_send(c, shown, t, 1);
	else
		irc_marker_send(c, shown, marker_get(a, key), 0);
	return 0;
}

/* After JOIN: the marker of the channel, for a session with the cap. */
void
irc_marker_join(struct client *c, struct channel *ch)
{
	struct account	*a;

	if (!client_has_cap(c, CAP_READ_MARKER))
		return;
	a = c->account != NULL ? account_find(c->account) : NULL;
	irc_marker_send(c, ch->name, a != NULL ? marker_get(a, ch->fold) : 0,
	    0);
}

/* Could byte b be part of a word (an ASCII letter or digit, or any
 * byte of a non-ASCII character)? */
static int
irc_hist_wordbyte(unsigned char b)
{
	return b >= 0x80 || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	    (b >= '0' && b <= '9') || b == '_';
}

/* Is the folded nick in the folded text as a word of its own? */
static int
irc_hist_mentions(const char *text, const char *nick)
{
	char		 fold[2048];
	const char	*p;
	size_t		 n = strlen(nick);

	if (text == NULL || n == 0 || casemap_fold(text, fold,
	    sizeof fold) != 0)
		return 0;
	for (p = fold; (p = strstr(p, nick)) != NULL; p++) {
		if ((p == fold || !irc_hist_wordbyte(p[-1])) &&
		    !irc_hist_wordbyte(p[n]))
			return 1;
	}
	return 0;
}

/* The replay query is back: send what was missed. */
static void
irc_replay_done(void *arg, int rc)
{
	struct hist_req		*req = arg;
	struct hist_query	*q = req->q;
	struct client		*c;
	struct line		*l;
	char			 id[32], nick[CASEMAP_FOLDSZ];
	int			 i, n = 0, *keep;

	if ((c = later_begin(req->later)) == NULL || rc != SQLITE_OK)
		goto out;
	keep = xcalloc(q->nrows + 1, sizeof *keep);
	casemap_fold(c->nick, nick, sizeof nick);
	for (i = 0; i < q->nrows; i++) {
		const struct hist_row *r = &q->rows[i];

		if (r->kind == HIST_ANNOUNCE) {
			/* Server notices, outside any conversation. */
			l = irc_hist_line(r, c->cur, NULL, c->nick);
			if (l != NULL) {
				client_send(c, l);
				line_unref(l);
			}
			continue;
		}
		keep[i] = r->target[0] == '\0' ||
		    irc_hist_mentions(r->body, q->mention) ||
		    irc_hist_mentions(r->body, nick);
		n += keep[i];
	}
	if (n > 0) {
		client_sendf(c, ":%s NOTICE %s :While you were away: %d "
		    "message%s for you", srv.name, c->nick, n, n == 1 ? "" :
		    "s");
		irc_hist_batch_open(c, id, sizeof id, "chathistory", c->nick);
		for (i = 0; i < q->nrows; i++) {
			if (!keep[i])
				continue;
			l = irc_hist_line(&q->rows[i], c->cur,
			    id[0] != '\0' ? id : NULL,
			    q->rows[i].target[0] == '\0' ? c->nick : NULL);
			if (l != NULL) {
				client_send(c, l);
				line_unref(l);
			}
		}
		irc_hist_batch_close(c, id);
	}
	free(keep);
out:
	later_end(req->later);
	history_query_free(q);
	free(req);
}

/*
 * c (its running session) just logged in to a: it is sent the
 * announcements made while a was away, and, when it cannot ask for
 * history itself (no draft/chathistory), the DMs and mentions that came
 * meanwhile, after its read markers.
 */
void
irc_hist_replay(struct client *c, struct account *a)
{
	struct hist_query	*q;
	struct hist_req		*req;
	char			 fold[CASEMAP_FOLDSZ];

	if (c->cur == NULL)
		return;
	q = xcalloc(1, sizeof *q);
	q->sub = HQ_MISSED;
	q->limit = REPLAY_MAX;
	q->since = a->last_seen != 0 ? a->last_seen : a->created * 1000;
	q->account_id = a->id;
	if (!client_has_cap(c, CAP_CHATHISTORY)) {
		history_dm_key(a->fold, NULL, q->me, sizeof q->me);
		q->readable = irc_hist_readable(c, NULL);
		casemap_fold(a->name, fold, sizeof fold);
		q->mention = xstrdup(fold);
		if (c->nick != NULL &&
		    casemap_fold(c->nick, fold, sizeof fold) == 0)
			q->mention_nick = xstrdup(fold);
	}
	req = xcalloc(1, sizeof *req);
	req->q = q;
	req->replay = 1;
	req->later = reply_later(c);
	if (store_read(irc_hist_run, irc_replay_done, req) != 0) {
		later_end(req->later);
		history_query_free(q);
		free(req);
	}
}
