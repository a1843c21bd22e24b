/*
 * The IRC side of the client.  Each line from the server is parsed by
 * the server's own parser (src/msg.c) and handled here: capability
 * negotiation (CAP LS 302), login (SASL PLAIN) or a new account
 * (draft/account-registration REGISTER), the messages and events that
 * fill the windows, history (draft/chathistory: the last page on JOIN,
 * older pages when the user scrolls up, AFTER pages to catch up after a
 * reconnect, TARGETS for the conversations missed meanwhile), the read
 * marker (draft/read-marker, which places the "new messages" line) and
 * search results (soju.im/search).
 *
 * Lines inside a chathistory batch are history: they never ring, never
 * notify, and a line seen twice (the same msgid) is kept once.  State
 * that belongs to one connection is reset in irc_connected().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lanchat.h"
#include "msg.h"
#include "util.h"
#include "xmalloc.h"

#define IRC_WANT_CAPS	"message-tags server-time batch echo-message " \
			"sasl draft/account-registration draft/chathistory " \
			"draft/read-marker multi-prefix away-notify " \
			"account-notify extended-join cap-notify " \
			"soju.im/search standard-replies invite-notify"

/* DM partners from CHATHISTORY TARGETS, waiting for their MARKREAD. */
struct irc_pending {
	char		nick[CASEMAP_FOLDSZ];
	uint64_t	t;
};
static struct irc_pending	irc_pend[32];
static int			irc_npend;
static char			irc_names_want[CASEMAP_FOLDSZ];
static int			irc_names_fresh;	/* next 353 clears */
static char			irc_search_ref[32];

static void	irc_catchup(struct window *);

/* Send one line (CR and LF never leave: they would start another). */
void
irc_send(const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *p;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	for (p = s; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	net_send(&lc.net, s, strlen(s));
	free(s);
}

/* Was cap acknowledged on this connection? */
int
irc_has_cap(const char *cap)
{
	char	w[128];

	snprintf(w, sizeof w, " %s ", cap);
	return strstr(lc.caps, w) != NULL;
}

/* The value the server offered with cap in CAP LS ("" if none), or NULL. */
static const char *
irc_cap_value(const char *cap, char *out, size_t outsz)
{
	const char	*p = lc.caps_offered;
	size_t		 n = strlen(cap);

	while ((p = strstr(p, cap)) != NULL) {
		if ((p == lc.caps_offered || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '=' || p[n] == '\0')) {
			out[0] = '\0';
			if (p[n] == '=') {
				size_t l = strcspn(p + n + 1, " ");

				if (l >= outsz)
					l = outsz - 1;
				memcpy(out, p + n + 1, l);
				out[l] = '\0';
			}
			return out;
		}
		p += n;
	}
	return NULL;
}

/* An ISUPPORT token's value ("" when it has none), or NULL. */
const char *
irc_isupport(const char *name)
{
	size_t	n = strlen(name);
	int	i;

	for (i = lc.nisupport - 1; i >= 0; i--) {
		if (strncasecmp(lc.isupport[i], name, n) == 0 &&
		    (lc.isupport[i][n] == '=' || lc.isupport[i][n] == '\0'))
			return lc.isupport[i][n] == '=' ? lc.isupport[i] + n +
			    1 : "";
	}
	return NULL;
}

/* Does s start with one of the server's channel prefixes (CHANTYPES)? */
int
irc_is_channel(const char *s)
{
	const char	*types = irc_isupport("CHANTYPES");

	if (types == NULL || *types == '\0')
		types = "#&";
	return *s != '\0' && strchr(types, *s) != NULL;
}

/* PREFIX: the modes ("ov") and their symbols ("@+"). */
static void
irc_prefix(char *modes, char *symbols, size_t sz)
{
	const char	*p = irc_isupport("PREFIX"), *close;
	size_t		 n;

	strlcpy_u(modes, "ov", sz);
	strlcpy_u(symbols, "@+", sz);
	if (p == NULL || *p != '(' || (close = strchr(p, ')')) == NULL)
		return;
	n = close - p - 1;
	if (n >= sz || strlen(close + 1) != n)
		return;
	memcpy(modes, p + 1, n);
	modes[n] = '\0';
	strlcpy_u(symbols, close + 1, sz);
}

/* The nick of a source "nick!user@host". */
static void
irc_nick_of(const char *source, char *out, size_t outsz)
{
	size_t	n;

	if (source == NULL) {
		out[0] = '\0';
		return;
	}
	n = strcspn(source, "!@");
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, source, n);
	out[n] = '\0';
}

static int
irc_is_me(const char *nick)
{
	char	a[CASEMAP_FOLDSZ], b[CASEMAP_FOLDSZ];

	if (lc.me == NULL)
		return 0;
	text_fold(nick, a, sizeof a);
	text_fold(lc.me, b, sizeof b);
	return strcmp(a, b) == 0;
}

static struct batch *
irc_batch_find(const char *ref)
{
	int	i;

	for (i = 0; i < lc.nbatches; i++)
		if (strcmp(lc.batches[i].ref, ref) == 0)
			return &lc.batches[i];
	return NULL;
}

/* A new connection is up: forget the old one's state and register. */
void
irc_connected(void)
{
	int	i;

	lc.state = LC_REGISTERING;
	lc.caps[0] = ' ';
	lc.caps[1] = '\0';
	lc.caps_offered[0] = '\0';
	for (i = 0; i < lc.nisupport; i++)
		free(lc.isupport[i]);
	lc.nisupport = 0;
	lc.nbatches = 0;
	free(lc.me);
	lc.me = NULL;
	free(lc.logged_in);
	lc.logged_in = NULL;
	lc.sasl_done = 0;
	lc.nick_tries = 0;
	lc.last_rx = now_ms();
	lc.ping_sent = 0;
	irc_npend = 0;
	irc_send("CAP LS 302");
	irc_send("NICK %s", lc.nick);
	irc_send("USER lanchat 0 * :%s", lc.nick);
}

/* End capability negotiation (once). */
static void
irc_cap_end(void)
{
	if (lc.state == LC_REGISTERING && !lc.sasl_done) {
		lc.sasl_done = 1;
		irc_send("CAP END");
	}
}

static void
irc_register_account(void)
{
	irc_send("REGISTER %s * :%s", lc.account != NULL ? lc.account : "*",
	    lc.password);
}

/* After CAP ACK: log in, make the account, or just go on. */
static void
irc_auth_begin(void)
{
	char	v[256];

	if (lc.auth == AUTH_LOGIN) {
		if (irc_has_cap("sasl")) {
			irc_send("AUTHENTICATE PLAIN");
			return;
		}
		win_info(NULL, LINE_ERROR, "This server offers no login "
		    "(SASL); going on as a guest.");
	} else if (lc.auth == AUTH_REGISTER) {
		if (!irc_has_cap("draft/account-registration"))
			win_info(NULL, LINE_ERROR, "This server does not make "
			    "accounts (no draft/account-registration); going "
			    "on as a guest.");
		else if (irc_cap_value("draft/account-registration", v,
		    sizeof v) != NULL && strstr(v, "before-connect") != NULL) {
			irc_register_account();
			return;	/* CAP END after the answer */
		}
	}
	irc_cap_end();
}

/* AUTHENTICATE +: send "\0account\0password" in base64, 400 a line. */
static void
irc_sasl_plain(void)
{
	struct buf	 raw;
	unsigned char	*enc;
	size_t		 n, off;

	buf_init(&raw);
	buf_addch(&raw, '\0');
	buf_addstr(&raw, lc.account);
	buf_addch(&raw, '\0');
	buf_addstr(&raw, lc.password);
	enc = xmalloc(4 * ((raw.len + 2) / 3) + 1);
	n = EVP_EncodeBlock(enc, (unsigned char *)raw.data, raw.len);
	for (off = 0; off < n; off += 400)
		irc_send("AUTHENTICATE %.*s", (int)(n - off > 400 ? 400 :
		    n - off), enc + off);
	if (n % 400 == 0)
		irc_send("AUTHENTICATE +");
	free(enc);
	buf_free(&raw);
}

static void
irc_on_cap(struct msg *m)
{
	const char	*sub, *list;
	char		 req[1024], want[] = IRC_WANT_CAPS, *tok, *save, v[8];
	int		 more;

	if (m->nparams < 3)
		return;
	sub = m->params[1];
	more = m->nparams >= 4 && strcmp(m->params[2], "*") == 0;
	list = m->params[m->nparams - 1];
	if (strcasecmp(sub, "LS") == 0) {
		snprintf(lc.caps_offered + strlen(lc.caps_offered),
		    sizeof lc.caps_offered - strlen(lc.caps_offered), "%s%s",
		    lc.caps_offered[0] ? " " : "", list);
		if (more)
			return;
		req[0] = '\0';
		for (tok = strtok_r(want, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if (irc_cap_value(tok, v, sizeof v) == NULL)
				continue;
			snprintf(req + strlen(req), sizeof req - strlen(req),
			    "%s%s", req[0] ? " " : "", tok);
		}
		if (req[0] != '\0')
			irc_send("CAP REQ :%s", req);
		else
			irc_auth_begin();
	} else if (strcasecmp(sub, "ACK") == 0) {
		char copy[1024];

		strlcpy_u(copy, list, sizeof copy);
		for (tok = strtok_r(copy, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if (*tok == '-')
				continue;
			snprintf(lc.caps + strlen(lc.caps),
			    sizeof lc.caps - strlen(lc.caps), "%s ", tok);
		}
		if (lc.state == LC_REGISTERING && !lc.sasl_done)
			irc_auth_begin();
	} else if (strcasecmp(sub, "NAK") == 0) {
		if (lc.state == LC_REGISTERING)
			irc_auth_begin();
	} else if (strcasecmp(sub, "NEW") == 0) {
		snprintf(lc.caps_offered + strlen(lc.caps_offered),
		    sizeof lc.caps_offered - strlen(lc.caps_offered), " %s",
		    list);
		if (strstr(list, "soju.im/search") != NULL)
			irc_send("CAP REQ :soju.im/search");
	} else if (strcasecmp(sub, "DEL") == 0) {
		char copy[1024], w[130], *p;

		strlcpy_u(copy, list, sizeof copy);
		for (tok = strtok_r(copy, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			snprintf(w, sizeof w, " %s ", tok);
			if ((p = strstr(lc.caps, w)) != NULL)
				memmove(p, p + strlen(w) - 1,
				    strlen(p + strlen(w) - 1) + 1);
		}
	}
}

/* Ask for the page of history before what w holds (or the last page). */
void
irc_history_older(struct window *w)
{
	size_t	i;
	char	ts[40];

	if (lc.state != LC_UP || !irc_has_cap("draft/chathistory") ||
	    w->hist_pending || w->hist_done || w->catchup > 0 ||
	    (w->type != WIN_CHANNEL && w->type != WIN_QUERY))
		return;
	for (i = 0; i < w->nlines; i++)
		if (w->lines[i]->msgid != NULL)
			break;
	if (i < w->nlines)
		irc_send("CHATHISTORY BEFORE %s msgid=%s %d", w->name,
		    w->lines[i]->msgid, LC_HISTORY_PAGE);
	else if (w->last_t != 0) {
		time_format_iso(w->lines[0]->t, ts, sizeof ts);
		irc_send("CHATHISTORY BEFORE %s timestamp=%s %d", w->name, ts,
		    LC_HISTORY_PAGE);
	} else
		irc_send("CHATHISTORY LATEST %s * %d", w->name,
		    LC_HISTORY_PAGE);
	w->hist_pending = 1;
	lc.dirty = 1;
}

/* What came after the newest message we have (after a reconnect). */
static void
irc_catchup_page(struct window *w)
{
	size_t	i;
	char	ts[40];

	for (i = w->nlines; i > 0; i--)
		if (w->lines[i - 1]->msgid != NULL &&
		    w->lines[i - 1]->t == w->last_t)
			break;
	if (i > 0)
		irc_send("CHATHISTORY AFTER %s msgid=%s %d", w->name,
		    w->lines[i - 1]->msgid, LC_HISTORY_PAGE * 2);
	else {
		time_format_iso(w->last_t, ts, sizeof ts);
		irc_send("CHATHISTORY AFTER %s timestamp=%s %d", w->name, ts,
		    LC_HISTORY_PAGE * 2);
	}
}

static void
irc_catchup(struct window *w)
{
	if (!irc_has_cap("draft/chathistory") || w->hist_pending)
		return;
	if (w->last_t == 0) {
		irc_history_older(w);
		return;
	}
	w->catchup = LC_CATCHUP_PAGES;
	irc_catchup_page(w);
}

/*
 * Tell the server (and our other devices) how far w has been read: when
 * it is on screen, at the bottom, and has something newer than the
 * marker.
 */
void
irc_markread(struct window *w)
{
	char	ts[40];

	if (w == NULL || lc.state != LC_UP ||
	    !irc_has_cap("draft/read-marker") || w != win_cur() ||
	    w->scroll != 0 || (w->type != WIN_CHANNEL &&
	    w->type != WIN_QUERY) || w->last_t == 0 ||
	    w->last_t <= w->marker || w->last_t == w->marker_sent)
		return;
	time_format_iso(w->last_t, ts, sizeof ts);
	irc_send("MARKREAD %s timestamp=%s", w->name, ts);
	w->marker_sent = w->last_t;
}

/* Registered (001): rejoin, catch up, and find missed conversations. */
static void
irc_registered(void)
{
	char		 chans[2048], a[40], b[40];
	int		 i;
	uint64_t	 since;
	struct window	*w;

	lc.state = LC_UP;
	lc.attempt = 0;
	if (lc.auth == AUTH_REGISTER && lc.logged_in == NULL &&
	    irc_has_cap("draft/account-registration") && !lc.sasl_done) {
		/* "before-connect" was not offered: register now. */
		irc_register_account();
	}
	chans[0] = '\0';
	for (i = 0; i < lc.nwins; i++) {
		w = lc.wins[i];
		if (w->type == WIN_CHANNEL && w->joined)
			snprintf(chans + strlen(chans), sizeof chans -
			    strlen(chans), "%s%s", chans[0] ? "," : "",
			    w->name);
		else if (w->type == WIN_QUERY)
			irc_catchup(w);
	}
	if (chans[0] != '\0')
		irc_send("JOIN %s", chans);
	if (lc.logged_in != NULL && irc_has_cap("draft/chathistory")) {
		since = lc.registered_once && lc.lost_at != 0 ? lc.lost_at :
		    wall_ms() - 7ULL * 86400 * 1000;
		time_format_iso(wall_ms() + 86400 * 1000, a, sizeof a);
		time_format_iso(since, b, sizeof b);
		irc_send("CHATHISTORY TARGETS timestamp=%s timestamp=%s 50",
		    a, b);
	}
	lc.registered_once = 1;
}

/* Ring and notify for a live message that is for us. */
static void
irc_alert(struct window *w, const char *from, const char *text)
{
	char	title[300];

	ui_bell();
	if (w->type == WIN_QUERY)
		snprintf(title, sizeof title, "%.100s (private)", from);
	else
		snprintf(title, sizeof title, "%.100s in %.150s", from,
		    w->name);
	notify_event(title, text);
}

static void
irc_on_privmsg(struct msg *m, uint64_t t, int history, struct batch *bt)
{
	char		 from[CASEMAP_FOLDSZ + 64], body[1024];
	const char	*target = m->params[0], *text;
	struct window	*w;
	struct member	*mem;
	struct lc_line	*l;
	int		 kind, flags = 0, self, notice;

	if (m->nparams < 2)
		return;
	notice = strcmp(m->verb, "NOTICE") == 0;
	text = m->params[1];
	irc_nick_of(m->source, from, sizeof from);
	self = m->source != NULL && irc_is_me(from);
	if (bt != NULL && strcmp(bt->type, "soju.im/search") == 0) {
		w = win_get("search results", WIN_SEARCH);
		snprintf(body, sizeof body, "[%s] %s", target, text);
		win_add(w, line_new(notice ? LINE_NOTICE : LINE_MSG,
		    LINE_HISTORY, t, NULL, from, body));
		bt->count++;
		return;
	}
	kind = notice ? LINE_NOTICE : LINE_MSG;
	if (text[0] == '\001') {
		size_t n = strlen(text);

		if (strncmp(text + 1, "ACTION ", 7) == 0) {
			kind = LINE_ACTION;
			snprintf(body, sizeof body, "%.*s", (int)(n - 8 -
			    (text[n - 1] == '\001')), text + 8);
			text = body;
		} else {
			if (!history && !self && !notice &&
			    strncmp(text + 1, "VERSION", 7) == 0)
				irc_send("NOTICE %s :\001VERSION lanchat "
				    "(terminal client)\001", from);
			return;
		}
	}
	if (m->source == NULL || strchr(m->source, '!') == NULL) {
		/* From the server itself. */
		w = lc.wins[0];
		if (m->source != NULL && lc.name[0] == '\0')
			strlcpy_u(lc.name, m->source, sizeof lc.name);
	} else if (irc_is_channel(target))
		w = win_get(target, WIN_CHANNEL);
	else if (strcasecmp(from, "NickServ") == 0 ||
	    strcasecmp(from, "HistServ") == 0)
		w = notice ? win_cur() : win_get(from, WIN_QUERY);
	else
		w = win_get(self ? target : from, WIN_QUERY);
	if (self)
		flags |= LINE_SELF;
	if (history)
		flags |= LINE_HISTORY;
	if (!self && w->type == WIN_CHANNEL && text_mentions(text, lc.me))
		flags |= LINE_MENTION;
	l = line_new(kind, flags, t, msg_tag_get(m, "msgid"), from, text);
	if (bt != NULL)
		bt->count++;
	/* A page of older history: at the top, in the order it comes. */
	if (!win_add_at(w, l, history && w->hist_pending && bt != NULL ?
	    bt->added : -1))
		return;
	if (bt != NULL)
		bt->added++;
	if ((mem = win_member_find(w, from)) != NULL && t > mem->spoke)
		mem->spoke = t;
	if (history || self)
		return;
	if (w != win_cur() || w->scroll > 0) {
		w->unread++;
		if ((flags & LINE_MENTION) || w->type == WIN_QUERY)
			w->mention = 1;
	}
	if ((flags & LINE_MENTION) || (w->type == WIN_QUERY &&
	    m->source != NULL && strchr(m->source, '!') != NULL))
		irc_alert(w, from, l->text);
}

static void
irc_event(struct window *w, uint64_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
irc_event(struct window *w, uint64_t t, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	win_add(w, line_new(LINE_EVENT, 0, t, NULL, NULL, s));
	free(s);
}

static void
irc_on_join(struct msg *m, uint64_t t)
{
	char		 nick[CASEMAP_FOLDSZ];
	struct window	*w;
	int		 fresh;

	irc_nick_of(m->source, nick, sizeof nick);
	if (m->nparams < 1)
		return;
	if (irc_is_me(nick)) {
		fresh = win_find(m->params[0]) == NULL;
		w = win_get(m->params[0], WIN_CHANNEL);
		if (strcmp(w->name, m->params[0]) != 0) {
			free(w->name);
			w->name = xstrdup(m->params[0]);
		}
		w->joined = 1;
		w->hist_done = 0;
		win_members_clear(w);
		irc_event(w, t, "You joined %s", w->name);
		if (fresh)
			win_select(win_index(w));
		irc_catchup(w);
		return;
	}
	if ((w = win_find(m->params[0])) == NULL)
		return;
	win_member_add(w, nick, "");
	win_member_sort(w);
	irc_event(w, t, "%s joined", nick);
}

static void
irc_on_part(struct msg *m, uint64_t t, int kick)
{
	char		 nick[CASEMAP_FOLDSZ];
	const char	*who, *reason;
	struct window	*w;

	if (m->nparams < (kick ? 2 : 1) || (w = win_find(m->params[0])) ==
	    NULL)
		return;
	irc_nick_of(m->source, nick, sizeof nick);
	who = kick ? m->params[1] : nick;
	reason = m->nparams > (kick ? 2 : 1) ? m->params[m->nparams - 1] :
	    "";
	if (irc_is_me(who)) {
		w->joined = 0;
		win_members_clear(w);
		if (kick)
			win_add(w, line_new(LINE_ERROR, 0, t, NULL, NULL,
			    "You were kicked"));
		irc_event(w, t, "You %s %s%s%s%s (/close closes this window)",
		    kick ? "were removed from" : "left", w->name,
		    kick ? " by " : "", kick ? nick : "", *reason ? ": " :
		    "");
		return;
	}
	win_member_del(w, who);
	if (kick)
		irc_event(w, t, "%s was removed by %s%s%s", who, nick,
		    *reason ? ": " : "", reason);
	else
		irc_event(w, t, "%s left%s%s", who, *reason ? ": " : "",
		    reason);
}

static void
irc_on_quit(struct msg *m, uint64_t t)
{
	char		 nick[CASEMAP_FOLDSZ], f[CASEMAP_FOLDSZ];
	const char	*reason = m->nparams > 0 ? m->params[0] : "";
	int		 i;

	irc_nick_of(m->source, nick, sizeof nick);
	text_fold(nick, f, sizeof f);
	for (i = 0; i < lc.nwins; i++) {
		struct window *w = lc.wins[i];

		if ((w->type == WIN_CHANNEL && win_member_find(w, nick) !=
		    NULL) || (w->type == WIN_QUERY &&
		    strcmp(w->fold, f) == 0)) {
			win_member_del(w, nick);
			irc_event(w, t, "%s quit%s%s", nick, *reason ? ": " :
			    "", reason);
		}
	}
}

static void
irc_on_nick(struct msg *m, uint64_t t)
{
	char		 nick[CASEMAP_FOLDSZ];
	const char	*to;
	struct member	*mem;
	char		 prefix[8];
	int		 i;

	if (m->nparams < 1)
		return;
	to = m->params[0];
	irc_nick_of(m->source, nick, sizeof nick);
	if (irc_is_me(nick)) {
		free(lc.me);
		lc.me = xstrdup(to);
		irc_event(lc.wins[0], t, "You are now %s", to);
	}
	for (i = 0; i < lc.nwins; i++) {
		struct window *w = lc.wins[i];

		if (w->type == WIN_CHANNEL &&
		    (mem = win_member_find(w, nick)) != NULL) {
			strlcpy_u(prefix, mem->prefix, sizeof prefix);
			win_member_del(w, nick);
			win_member_add(w, to, prefix);
			win_member_sort(w);
			irc_event(w, t, "%s is now %s", nick, to);
		} else if (w->type == WIN_QUERY && win_find(nick) == w) {
			free(w->name);
			w->name = xstrdup(to);
			text_fold(to, w->fold, sizeof w->fold);
			irc_event(w, t, "%s is now %s", nick, to);
		}
	}
}

/* MODE on a channel: show it, and keep the member prefixes right. */
static void
irc_on_mode(struct msg *m, uint64_t t)
{
	char		 nick[CASEMAP_FOLDSZ], modes[16], syms[16], line[600];
	const char	*cm = irc_isupport("CHANMODES"), *p, *pm;
	struct window	*w;
	struct member	*mem;
	int		 add = 1, arg = 2, i, takes, ai;
	char		 a_list[64] = "beI", b_list[64] = "k", c_list[64] = "l";

	if (m->nparams < 2 || !irc_is_channel(m->params[0]) ||
	    (w = win_find(m->params[0])) == NULL)
		return;
	irc_nick_of(m->source, nick, sizeof nick);
	irc_prefix(modes, syms, sizeof modes);
	if (cm != NULL) {
		/* CHANMODES=A,B,C,D */
		const char *c1 = strchr(cm, ','), *c2, *c3;

		if (c1 != NULL && (c2 = strchr(c1 + 1, ',')) != NULL &&
		    (c3 = strchr(c2 + 1, ',')) != NULL) {
			snprintf(a_list, sizeof a_list, "%.*s",
			    (int)(c1 - cm), cm);
			snprintf(b_list, sizeof b_list, "%.*s",
			    (int)(c2 - c1 - 1), c1 + 1);
			snprintf(c_list, sizeof c_list, "%.*s",
			    (int)(c3 - c2 - 1), c2 + 1);
		}
	}
	for (p = m->params[1]; *p != '\0'; p++) {
		if (*p == '+' || *p == '-') {
			add = *p == '+';
			continue;
		}
		pm = strchr(modes, *p);
		takes = pm != NULL || strchr(a_list, *p) != NULL ||
		    strchr(b_list, *p) != NULL || (add &&
		    strchr(c_list, *p) != NULL);
		if (!takes)
			continue;
		ai = arg++;
		if (pm == NULL || ai >= m->nparams)
			continue;
		if ((mem = win_member_find(w, m->params[ai])) == NULL)
			continue;
		{
			char	np[8];
			int	k = 0;
			char	sym = syms[pm - modes];

			/* Rebuild the prefix in PREFIX order. */
			for (i = 0; syms[i] != '\0' && k < 7; i++) {
				int has = strchr(mem->prefix, syms[i]) != NULL;

				if (syms[i] == sym)
					has = add;
				if (has)
					np[k++] = syms[i];
			}
			np[k] = '\0';
			strlcpy_u(mem->prefix, np, sizeof mem->prefix);
		}
	}
	win_member_sort(w);
	line[0] = '\0';
	for (i = 1; i < m->nparams; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "%s%s", i > 1 ? " " : "", m->params[i]);
	irc_event(w, t, "%s sets mode %s", nick, line);
}

static void
irc_on_names(struct msg *m)
{
	char		 modes[16], syms[16], copy[2048], *tok, *save, *n;
	struct window	*w;

	if (m->nparams < 4 || (w = win_find(m->params[2])) == NULL)
		return;
	irc_prefix(modes, syms, sizeof modes);
	if (irc_names_fresh) {
		win_members_clear(w);
		irc_names_fresh = 0;
	}
	strlcpy_u(copy, m->params[3], sizeof copy);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		char	pre[8];
		size_t	k = 0;

		for (n = tok; *n != '\0' && strchr(syms, *n) != NULL; n++)
			if (k < sizeof pre - 1)
				pre[k++] = *n;
		pre[k] = '\0';
		n[strcspn(n, "!")] = '\0';
		if (*n != '\0')
			win_member_add(w, n, pre);
	}
}

static void
irc_on_endofnames(struct msg *m)
{
	struct window	*w;
	char		 f[CASEMAP_FOLDSZ], list[1024];
	size_t		 i;

	irc_names_fresh = 1;
	if (m->nparams < 2 || (w = win_find(m->params[1])) == NULL)
		return;
	win_member_sort(w);
	text_fold(m->params[1], f, sizeof f);
	if (strcmp(f, irc_names_want) == 0) {
		irc_names_want[0] = '\0';
		list[0] = '\0';
		for (i = 0; i < w->nmembers && strlen(list) < 900; i++)
			snprintf(list + strlen(list), sizeof list -
			    strlen(list), "%s%s%s", i ? " " : "",
			    w->members[i].prefix, w->members[i].nick);
		win_info(win_cur(), LINE_INFO, "%s: %zu users: %s", w->name,
		    w->nmembers, list);
	}
}

/* The user typed /names: print the list when it comes. */
void
irc_expect_names(const char *chan)
{
	text_fold(chan, irc_names_want, sizeof irc_names_want);
}

static void
irc_on_batch(struct msg *m)
{
	struct batch	*b;
	struct window	*w;
	int		 i;

	if (m->nparams < 1)
		return;
	if (m->params[0][0] == '+') {
		if (lc.nbatches == (int)(sizeof lc.batches /
		    sizeof lc.batches[0]))
			return;
		b = &lc.batches[lc.nbatches++];
		memset(b, 0, sizeof *b);
		strlcpy_u(b->ref, m->params[0] + 1, sizeof b->ref);
		if (m->nparams > 1)
			strlcpy_u(b->type, m->params[1], sizeof b->type);
		if (m->nparams > 2)
			strlcpy_u(b->target, m->params[2], sizeof b->target);
		if (strcmp(b->type, "soju.im/search") == 0) {
			w = win_get("search results", WIN_SEARCH);
			for (i = 0; (size_t)i < w->nlines; i++)
				line_free(w->lines[i]);
			w->nlines = 0;
			w->scroll = 0;
			strlcpy_u(irc_search_ref, b->ref,
			    sizeof irc_search_ref);
		}
		return;
	}
	if ((b = irc_batch_find(m->params[0] + 1)) == NULL)
		return;
	if (strcmp(b->type, "chathistory") == 0 &&
	    (w = win_find(b->target)) != NULL) {
		if (w->catchup > 0) {
			if (b->count >= LC_HISTORY_PAGE * 2 && w->catchup > 1) {
				w->catchup--;
				irc_catchup_page(w);
			} else
				w->catchup = 0;
		} else if (w->hist_pending) {
			w->hist_pending = 0;
			if (b->count < LC_HISTORY_PAGE || b->added == 0)
				w->hist_done = 1;
		}
		if (w != win_cur() && w->marker != 0)
			win_recount(w);
		lc.dirty = 1;
	} else if (strcmp(b->type, "soju.im/search") == 0) {
		w = win_get("search results", WIN_SEARCH);
		win_info(w, LINE_INFO, "%d result%s", b->count, b->count == 1 ?
		    "" : "s");
		win_select(win_index(w));
	}
	*b = lc.batches[--lc.nbatches];
}

static void
irc_on_markread(struct msg *m)
{
	struct window	*w;
	uint64_t	 t = 0;
	const char	*v;
	int		 i;

	if (m->nparams < 2)
		return;
	v = m->params[1];
	if (strncmp(v, "timestamp=", 10) == 0)
		time_parse_iso(v + 10, &t);
	if ((w = win_find(m->params[0])) == NULL) {
		/* A conversation we heard of through TARGETS. */
		for (i = 0; i < irc_npend; i++) {
			char f[CASEMAP_FOLDSZ];

			text_fold(m->params[0], f, sizeof f);
			if (strcmp(f, irc_pend[i].nick) != 0)
				continue;
			if (irc_pend[i].t > t) {
				w = win_get(m->params[0], WIN_QUERY);
				w->marker = t;
				irc_history_older(w);
			}
			irc_pend[i] = irc_pend[--irc_npend];
			break;
		}
		return;
	}
	w->marker = t;
	/* The marker the server sends after JOIN places the "new" line;
	 * the echo of our own MARKREAD does not move it. */
	if ((w->marker_shown == 0 && t != w->marker_sent) || w != win_cur())
		w->marker_shown = t;
	if (w != win_cur())
		win_recount(w);
	lc.dirty = 1;
}

static void
irc_on_targets(struct msg *m)
{
	uint64_t	t = 0;
	struct window	*w;

	if (m->nparams < 3 || strcasecmp(m->params[0], "TARGETS") != 0 ||
	    irc_is_channel(m->params[1]) || time_parse_iso(m->params[2],
	    &t) != 0)
		return;
	if ((w = win_find(m->params[1])) != NULL) {
		if (w->catchup == 0 && w->last_t < t)
			irc_catchup(w);
		return;
	}
	if (irc_npend == (int)(sizeof irc_pend / sizeof irc_pend[0]))
		return;
	text_fold(m->params[1], irc_pend[irc_npend].nick,
	    sizeof irc_pend[irc_npend].nick);
	irc_pend[irc_npend++].t = t;
	if (irc_has_cap("draft/read-marker"))
		irc_send("MARKREAD %s", m->params[1]);
	else {
		w = win_get(m->params[1], WIN_QUERY);
		irc_history_older(w);
	}
}

/* FAIL/WARN/NOTE (IRCv3 standard replies). */
static void
irc_on_standard(struct msg *m)
{
	const char	*cmd, *code, *desc;
	struct window	*w;

	if (m->nparams < 3)
		return;
	cmd = m->params[0];
	code = m->params[1];
	desc = m->params[m->nparams - 1];
	if (strcmp(cmd, "CHATHISTORY") == 0 && m->nparams >= 5 &&
	    (w = win_find(m->params[3])) != NULL) {
		w->hist_pending = 0;
		w->hist_done = 1;
		w->catchup = 0;
		return;
	}
	if (strcmp(cmd, "TOKEN") == 0 && strcmp(m->verb, "FAIL") == 0) {
		upload_fail(desc);
		return;
	}
	if (strcmp(cmd, "MARKREAD") == 0)
		return;
	win_info(win_cur(), strcmp(m->verb, "FAIL") == 0 ? LINE_ERROR :
	    LINE_INFO, "%s: %s", cmd, desc);
	if (strcmp(cmd, "REGISTER") == 0 && strcmp(m->verb, "FAIL") == 0) {
		win_info(lc.wins[0], LINE_ERROR, "The account was not made "
		    "(%s); you are a guest.", code);
		irc_cap_end();
	}
}

/* The login worked: save it, if the user said so at the start. */
static void
irc_save_creds(void)
{
	char	*cause = NULL;

	if (!lc.save_creds || lc.logged_in == NULL || lc.password == NULL)
		return;
	lc.save_creds = 0;
	if (creds_save(lc.key, lc.logged_in, lc.password, &cause) != 0) {
		win_info(lc.wins[0], LINE_ERROR, "Could not save the login: "
		    "%s", cause);
		free(cause);
	} else
		win_info(lc.wins[0], LINE_INFO, "Login saved in "
		    "%s/credentials (mode 0600).", trust_dir());
}

/* The params after our nick, joined: for replies we only show. */
static void
irc_show_numeric(struct msg *m, struct window *w, int kind)
{
	char	line[1200];
	int	i;

	line[0] = '\0';
	for (i = 1; i < m->nparams; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line),
		    "%s%s", i > 1 ? " " : "", m->params[i]);
	win_info(w, kind, "%s", line);
}

static void
irc_on_numeric(struct msg *m, int num)
{
	char	nick[64];

	switch (num) {
	case 1:
		free(lc.me);
		lc.me = xstrdup(m->params[0]);
		if (m->source != NULL) {
			strlcpy_u(lc.name, m->source, sizeof lc.name);
			free(lc.wins[0]->name);
			lc.wins[0]->name = xstrdup(m->source);
		}
		win_info(lc.wins[0], LINE_INFO, "%s", m->params[m->nparams -
		    1]);
		irc_registered();
		return;
	case 2: case 3: case 251: case 255: case 265: case 266: case 250:
	case 375: case 372: case 376: case 422:
		if (m->nparams >= 2)
			win_info(lc.wins[0], LINE_INFO, "%s",
			    m->params[m->nparams - 1]);
		return;
	case 5:
		{
			int	i;

			for (i = 1; i < m->nparams - 1 &&
			    lc.nisupport < (int)(sizeof lc.isupport /
			    sizeof lc.isupport[0]); i++)
				lc.isupport[lc.nisupport++] =
				    xstrdup(m->params[i]);
		}
		return;
	case 332:
		if (m->nparams >= 3) {
			struct window *w = win_find(m->params[1]);

			if (w != NULL) {
				free(w->topic);
				w->topic = xstrdup(m->params[2]);
				lc.dirty = 1;
			}
		}
		return;
	case 333:
	case 329:
		return;
	case 353:
		irc_on_names(m);
		return;
	case 366:
		irc_on_endofnames(m);
		return;
	case 900:
		if (m->nparams >= 3) {
			free(lc.logged_in);
			lc.logged_in = xstrdup(m->params[2]);
			win_info(lc.wins[0], LINE_INFO, "Logged in as %s",
			    m->params[2]);
			irc_save_creds();
		}
		return;
	case 901:
		free(lc.logged_in);
		lc.logged_in = NULL;
		return;
	case 903:
		irc_cap_end();
		return;
	case 904: case 905: case 906:
		win_info(lc.wins[0], LINE_ERROR, "Login failed: wrong "
		    "account or password.  Going on as a guest; /quit, then "
		    "start lanchat again to log in.");
		if (win_cur() != lc.wins[0])
			win_info(win_cur(), LINE_ERROR, "Login failed.");
		irc_cap_end();
		return;
	case 907:
		irc_cap_end();
		return;
	case 908:
		return;
	case 432:
	case 433:
		if (lc.state == LC_REGISTERING) {
			lc.nick_tries++;
			snprintf(nick, sizeof nick, "%.*s%d", 24, lc.nick,
			    lc.nick_tries + 1);
			if (num == 432)
				snprintf(nick, sizeof nick, "guest%d",
				    (int)(now_ms() % 10000));
			win_info(lc.wins[0], LINE_ERROR, "The nick %s is %s; "
			    "trying %s", lc.nick, num == 433 ? "taken" :
			    "not allowed", nick);
			irc_send("NICK %s", nick);
			return;
		}
		irc_show_numeric(m, win_cur(), LINE_ERROR);
		return;
	case 421:
		if (m->nparams >= 2 && strcmp(m->params[1], "TOKEN") == 0) {
			upload_fail("not supported by this server (no TOKEN "
			    "command)");
			return;
		}
		irc_show_numeric(m, win_cur(), LINE_ERROR);
		return;
	default:
		break;
	}
	if (num == 4 || (num >= 252 && num <= 254))
		irc_show_numeric(m, lc.wins[0], LINE_INFO);
	else if (num >= 400 && num < 600)
		irc_show_numeric(m, win_cur(), LINE_ERROR);
	else if (m->nparams >= 2)
		irc_show_numeric(m, win_cur(), LINE_INFO);
}

/*
 * Make a line from the server parseable by msg_parse(), which holds
 * clients to the client limits: an over-long text is cut (on a UTF-8
 * boundary) rather than the line lost, and tags past the limit are
 * dropped.
 */
static char *
irc_fit(char *line, size_t *len)
{
	char	*body = line, *sp;
	size_t	 blen, cut;

	if (*body == '@') {
		if ((sp = strchr(body, ' ')) == NULL)
			return line;
		if ((size_t)(sp - body - 1) > LINE_MAX_CLIENT_TAGS) {
			line = sp + 1;
			*len -= sp + 1 - body;
			body = line;
		} else
			body = sp + 1;
	}
	blen = line + *len - body;
	if (blen > LINE_MAX_BODY - 2) {
		cut = utf8_truncate(body, LINE_MAX_BODY - 2);
		body[cut] = '\0';
		*len = body + cut - line;
	}
	return line;
}

/* One line from the server. */
void
irc_line(char *line)
{
	struct msg	 m;
	struct batch	*bt = NULL;
	const char	*tag;
	uint64_t	 t = 0;
	size_t		 len = strlen(line);
	int		 history = 0, num;

	lc.last_rx = now_ms();
	lc.ping_sent = 0;
	line = irc_fit(line, &len);
	if (msg_parse(&m, line, len) != MSG_OK)
		return;
	if ((tag = msg_tag_get(&m, "time")) != NULL)
		time_parse_iso(tag, &t);
	if (t == 0)
		t = wall_ms();
	else if (t > lc.server_time)
		lc.server_time = t;
	if ((tag = msg_tag_get(&m, "batch")) != NULL &&
	    (bt = irc_batch_find(tag)) != NULL)
		history = strcmp(bt->type, "chathistory") == 0 ||
		    strcmp(bt->type, "soju.im/search") == 0;
	lc.dirty = 1;
	if (m.verb[0] >= '0' && m.verb[0] <= '9') {
		num = atoi(m.verb);
		if (m.nparams > 0)
			irc_on_numeric(&m, num);
		return;
	}
	if (strcmp(m.verb, "PING") == 0)
		irc_send("PONG :%s", m.nparams > 0 ? m.params[0] : "");
	else if (strcmp(m.verb, "CAP") == 0)
		irc_on_cap(&m);
	else if (strcmp(m.verb, "AUTHENTICATE") == 0) {
		if (m.nparams > 0 && strcmp(m.params[0], "+") == 0)
			irc_sasl_plain();
	} else if (strcmp(m.verb, "REGISTER") == 0) {
		if (m.nparams >= 2 && strcmp(m.params[0], "SUCCESS") == 0) {
			win_info(lc.wins[0], LINE_INFO, "Account %s made.",
			    m.params[1]);
			/* From now on, and after a reconnect, we log in. */
			lc.auth = AUTH_LOGIN;
			free(lc.account);
			lc.account = xstrdup(m.params[1]);
			irc_cap_end();
		} else if (m.nparams >= 2)
			win_info(lc.wins[0], LINE_INFO, "%s",
			    m.params[m.nparams - 1]);
	} else if (strcmp(m.verb, "PRIVMSG") == 0 ||
	    strcmp(m.verb, "NOTICE") == 0)
		irc_on_privmsg(&m, t, history, bt);
	else if (strcmp(m.verb, "JOIN") == 0)
		irc_on_join(&m, t);
	else if (strcmp(m.verb, "PART") == 0)
		irc_on_part(&m, t, 0);
	else if (strcmp(m.verb, "KICK") == 0)
		irc_on_part(&m, t, 1);
	else if (strcmp(m.verb, "QUIT") == 0)
		irc_on_quit(&m, t);
	else if (strcmp(m.verb, "NICK") == 0)
		irc_on_nick(&m, t);
	else if (strcmp(m.verb, "MODE") == 0)
		irc_on_mode(&m, t);
	else if (strcmp(m.verb, "TOPIC") == 0) {
		struct window	*w;
		char		 nick[CASEMAP_FOLDSZ];

		if (m.nparams >= 2 && (w = win_find(m.params[0])) != NULL) {
			irc_nick_of(m.source, nick, sizeof nick);
			free(w->topic);
			w->topic = xstrdup(m.params[1]);
			irc_event(w, t, "%s changed the topic to: %s", nick,
			    m.params[1]);
		}
	} else if (strcmp(m.verb, "BATCH") == 0)
		irc_on_batch(&m);
	else if (strcmp(m.verb, "MARKREAD") == 0)
		irc_on_markread(&m);
	else if (strcmp(m.verb, "CHATHISTORY") == 0)
		irc_on_targets(&m);
	else if (strcmp(m.verb, "FAIL") == 0 || strcmp(m.verb, "WARN") == 0 ||
	    strcmp(m.verb, "NOTE") == 0)
		irc_on_standard(&m);
	else if (strcmp(m.verb, "TOKEN") == 0) {
		if (m.nparams >= 1)
			upload_token(m.params[m.nparams - 1]);
	} else if (strcmp(m.verb, "AWAY") == 0) {
		char	nick[CASEMAP_FOLDSZ];
		int	i;

		irc_nick_of(m.source, nick, sizeof nick);
		for (i = 0; i < lc.nwins; i++) {
			struct member *mem = win_member_find(lc.wins[i], nick);

			if (mem != NULL)
				mem->away = m.nparams > 0;
		}
	} else if (strcmp(m.verb, "INVITE") == 0) {
		char	nick[CASEMAP_FOLDSZ];

		irc_nick_of(m.source, nick, sizeof nick);
		if (m.nparams >= 2)
			win_info(win_cur(), LINE_INFO, "%s invites you to %s "
			    "(/join %s)", nick, m.params[1], m.params[1]);
	} else if (strcmp(m.verb, "ERROR") == 0) {
		win_info(lc.wins[0], LINE_ERROR, "Server: %s", m.nparams > 0 ?
		    m.params[0] : "");
	}
	/* PONG, TAGMSG, ACCOUNT, CHGHOST, SETNAME: nothing to show. */
}

/*
 * The connection is gone (why says how).  Every window keeps its lines;
 * channels are joined again and missed lines fetched after the
 * reconnect, which main.c schedules from lc.reconnect_at.
 */
void
irc_lost(const char *why)
{
	int		 i, was_up;
	uint64_t	 base, delay;

	net_close(&lc.net);
	was_up = lc.state == LC_UP || lc.state == LC_REGISTERING;
	if (lc.state == LC_UP)
		lc.lost_at = lc.server_time != 0 ? lc.server_time : wall_ms();
	lc.state = LC_DOWN;
	for (i = 0; i < lc.nwins; i++) {
		struct window *w = lc.wins[i];

		win_members_clear(w);
		w->hist_pending = 0;
		w->catchup = 0;
	}
	if (lc.quit)
		return;
	/* Exponential back-off with jitter: base/2 .. base. */
	base = lc.reconnect_base_ms << (lc.attempt < 6 ? lc.attempt : 6);
	if (base > LC_RECONNECT_MAX_MS)
		base = LC_RECONNECT_MAX_MS;
	delay = base / 2 + (uint64_t)(random() % (base / 2 + 1));
	lc.attempt++;
	lc.reconnect_at = now_ms() + delay;
	/* A lost connection is news in the window on screen too; a failed
	 * attempt only in the server window (the status bar counts down). */
	win_info(lc.wins[0], LINE_ERROR, "%s: %s.  Trying again in %.1f s.",
	    was_up ? "Disconnected" : "Cannot connect", why, delay / 1000.0);
	if (was_up && win_cur() != lc.wins[0])
		win_info(win_cur(), LINE_ERROR, "Disconnected: %s.  "
		    "Reconnecting in %.1f s.", why, delay / 1000.0);
}

/* Once a second or so: keepalive and the read marker. */
void
irc_tick(uint64_t now)
{
	if (lc.state != LC_UP && lc.state != LC_REGISTERING)
		return;
	if (lc.ping_sent == 0 && now - lc.last_rx > LC_PING_IDLE_MS) {
		irc_send("PING :lanchat");
		lc.ping_sent = now;
	} else if (lc.ping_sent != 0 && now - lc.ping_sent >
	    LC_PING_TIMEOUT_MS) {
		irc_lost("no answer from the server for two minutes");
		return;
	}
	irc_markread(win_cur());
}
