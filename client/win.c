/*
 * Windows: the server window (always first), one per channel, one per
 * private conversation, and search results.  A window owns its lines
 * (kept in time order, at most LC_LINES_MAX, the oldest dropped first)
 * and its member list.  lc.wins is the array in the order the window
 * list shows; lc.cur is the index of the one on screen.  Lines that
 * come twice (history after a reconnect that overlaps what we saw) are
 * recognised by msgid and kept once.
 */
#include <stdlib.h>
#include <string.h>

#include "lanchat.h"
#include "util.h"
#include "xmalloc.h"

/*
 * A new line.  The strings are copied; text is cleaned of controls and
 * formatting (text_clean) on the way in.
 */
struct lc_line *
line_new(int kind, int flags, uint64_t t, const char *msgid,
    const char *nick, const char *text)
{
	struct lc_line	*l;
	char		 clean[4096];

	l = xcalloc(1, sizeof *l);
	l->kind = kind;
	l->flags = flags;
	l->t = t != 0 ? t : wall_ms();
	l->msgid = msgid != NULL && *msgid != '\0' ? xstrdup(msgid) : NULL;
	if (nick != NULL) {
		text_clean(nick, clean, sizeof clean);
		l->nick = xstrdup(clean);
	}
	text_clean(text != NULL ? text : "", clean, sizeof clean);
	l->text = xstrdup(clean);
	return l;
}

/* Free a line and its strings (NULL is fine). */
void
line_free(struct lc_line *l)
{
	if (l == NULL)
		return;
	free(l->msgid);
	free(l->nick);
	free(l->text);
	free(l);
}

/* The window for name (compared folded), or NULL. */
struct window *
win_find(const char *name)
{
	char	f[CASEMAP_FOLDSZ];
	int	i;

	text_fold(name, f, sizeof f);
	for (i = 0; i < lc.nwins; i++)
		if (lc.wins[i]->type != WIN_SERVER &&
		    lc.wins[i]->type != WIN_SEARCH &&
		    strcmp(lc.wins[i]->fold, f) == 0)
			return lc.wins[i];
	return NULL;
}

/*
 * The window for name, made (at the end of the list) if new.  There is
 * one search window, whatever the name; the server window is made once,
 * at start.
 */
struct window *
win_get(const char *name, int type)
{
	struct window	*w;
	int		 i;

	if (type == WIN_SEARCH) {
		for (i = 0; i < lc.nwins; i++)
			if (lc.wins[i]->type == WIN_SEARCH)
				return lc.wins[i];
	} else if (type != WIN_SERVER && (w = win_find(name)) != NULL)
		return w;
	w = xcalloc(1, sizeof *w);
	w->type = type;
	w->name = xstrdup(name);
	text_fold(name, w->fold, sizeof w->fold);
	lc.wins = xreallocarray(lc.wins, lc.nwins + 1, sizeof *lc.wins);
	lc.wins[lc.nwins++] = w;
	lc.dirty = 1;
	return w;
}

/* Where w is in the window list (0 is the server window), or -1. */
int
win_index(const struct window *w)
{
	int	i;

	for (i = 0; i < lc.nwins; i++)
		if (lc.wins[i] == w)
			return i;
	return -1;
}

/* The window on screen. */
struct window *
win_cur(void)
{
	if (lc.cur < 0 || lc.cur >= lc.nwins)
		lc.cur = 0;
	return lc.nwins > 0 ? lc.wins[lc.cur] : NULL;
}

static void
win_free(struct window *w)
{
	size_t	i;

	for (i = 0; i < w->nlines; i++)
		line_free(w->lines[i]);
	free(w->lines);
	win_members_clear(w);
	free(w->members);
	free(w->topic);
	free(w->name);
	free(w);
}

/* Remove w from the list and free it (never the server window). */
void
win_close(struct window *w)
{
	int	i = win_index(w);

	if (i <= 0)
		return;
	memmove(&lc.wins[i], &lc.wins[i + 1], (lc.nwins - i - 1) *
	    sizeof *lc.wins);
	lc.nwins--;
	if (lc.cur >= i && lc.cur > 0)
		lc.cur--;
	win_free(w);
	lc.dirty = 1;
}

/* Free every window (at exit). */
void
win_free_all(void)
{
	int	i;

	for (i = 0; i < lc.nwins; i++)
		win_free(lc.wins[i]);
	free(lc.wins);
	lc.wins = NULL;
	lc.nwins = 0;
}

/* Put line l in its place by time (win_add_at). */
int
win_add(struct window *w, struct lc_line *l)
{
	return win_add_at(w, l, -1);
}

/*
 * Put line l (ownership passes to the window) at index at, or in its
 * place by time when at is -1.  A page of older history goes at the
 * top in the order it came, which time alone cannot do: lines sent in
 * the same millisecond have equal times.  A line whose msgid the window
 * has already is freed instead.  While the user reads back (scroll >
 * 0), the view is kept where it is.  Returns 1 if the line was added, 0
 * if it was a duplicate.
 */
int
win_add_at(struct window *w, struct lc_line *l, long at)
{
	size_t	i, pos;

	if (l->msgid != NULL) {
		for (i = w->nlines; i > 0; i--) {
			if (w->lines[i - 1]->msgid != NULL &&
			    strcmp(w->lines[i - 1]->msgid, l->msgid) == 0) {
				line_free(l);
				return 0;
			}
		}
	}
	if (w->nlines == LC_LINES_MAX) {
		line_free(w->lines[0]);
		memmove(&w->lines[0], &w->lines[1], (w->nlines - 1) *
		    sizeof *w->lines);
		w->nlines--;
		w->hist_done = 0;
	}
	if (w->nlines == w->linecap) {
		w->linecap = w->linecap == 0 ? 64 : w->linecap * 2;
		w->lines = xreallocarray(w->lines, w->linecap,
		    sizeof *w->lines);
	}
	if (at >= 0 && (size_t)at <= w->nlines)
		pos = at;
	else {
		pos = w->nlines;
		while (pos > 0 && w->lines[pos - 1]->t > l->t)
			pos--;
	}
	memmove(&w->lines[pos + 1], &w->lines[pos], (w->nlines - pos) *
	    sizeof *w->lines);
	w->lines[pos] = l;
	w->nlines++;
	if (w->scroll > 0 && pos == w->nlines - 1)
		w->scroll += ui_line_rows(l, ui_text_cols());
	if ((l->kind == LINE_MSG || l->kind == LINE_ACTION ||
	    l->kind == LINE_NOTICE) && l->t > w->last_t)
		w->last_t = l->t;
	lc.dirty = 1;
	return 1;
}

/* Add an informational line, time now. */
void
win_info(struct window *w, int kind, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	if (w == NULL)
		w = lc.wins[0];
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	win_add(w, line_new(kind, 0, wall_ms(), NULL, NULL, s));
	free(s);
}

/*
 * Unread and mention marks from the read marker: the messages of others
 * newer than the marker.  Used when another device moved the marker.
 */
void
win_recount(struct window *w)
{
	size_t	i;

	w->unread = 0;
	w->mention = 0;
	for (i = 0; i < w->nlines; i++) {
		const struct lc_line *l = w->lines[i];

		if (l->t <= w->marker || (l->flags & LINE_SELF) ||
		    (l->kind != LINE_MSG && l->kind != LINE_ACTION &&
		    l->kind != LINE_NOTICE))
			continue;
		w->unread++;
		if ((l->flags & LINE_MENTION) || w->type == WIN_QUERY)
			w->mention = 1;
	}
}

/* Show window i: its marks are cleared and its "new" line is placed. */
void
win_select(int i)
{
	struct window	*w;

	if (i < 0 || i >= lc.nwins)
		return;
	lc.cur = i;
	w = lc.wins[i];
	w->unread = 0;
	w->mention = 0;
	w->marker_shown = w->marker;
	lc.dirty = 1;
	irc_markread(w);
}

/* The member of w with nick (compared folded), or NULL. */
struct member *
win_member_find(struct window *w, const char *nick)
{
	char	f[CASEMAP_FOLDSZ];
	size_t	i;

	text_fold(nick, f, sizeof f);
	for (i = 0; i < w->nmembers; i++)
		if (strcmp(w->members[i].fold, f) == 0)
			return &w->members[i];
	return NULL;
}

/* Add nick with its prefix symbols, or update the prefix. */
void
win_member_add(struct window *w, const char *nick, const char *prefix)
{
	struct member	*m;

	if ((m = win_member_find(w, nick)) == NULL) {
		if (w->nmembers == w->memcap) {
			w->memcap = w->memcap == 0 ? 16 : w->memcap * 2;
			w->members = xreallocarray(w->members, w->memcap,
			    sizeof *w->members);
		}
		m = &w->members[w->nmembers++];
		memset(m, 0, sizeof *m);
		m->nick = xstrdup(nick);
		text_fold(nick, m->fold, sizeof m->fold);
	} else if (strcmp(m->nick, nick) != 0) {
		free(m->nick);
		m->nick = xstrdup(nick);
	}
	strlcpy_u(m->prefix, prefix, sizeof m->prefix);
	lc.dirty = 1;
}

/* Remove nick from w's members, if there. */
void
win_member_del(struct window *w, const char *nick)
{
	struct member	*m;
	size_t		 i;

	if ((m = win_member_find(w, nick)) == NULL)
		return;
	i = m - w->members;
	free(m->nick);
	memmove(&w->members[i], &w->members[i + 1], (w->nmembers - i - 1) *
	    sizeof *w->members);
	w->nmembers--;
	lc.dirty = 1;
}

/* Forget every member of w (a new NAMES, a part, a lost connection). */
void
win_members_clear(struct window *w)
{
	size_t	i;

	for (i = 0; i < w->nmembers; i++)
		free(w->members[i].nick);
	w->nmembers = 0;
}

/* Rank of a member's highest prefix: ops first, then voices. */
static int
win_member_rank(const struct member *m)
{
	const char	*order = "~&@%+";
	const char	*p;

	if (m->prefix[0] == '\0')
		return 10;
	p = strchr(order, m->prefix[0]);
	return p != NULL ? (int)(p - order) : 9;
}

static int
win_member_cmp(const void *a, const void *b)
{
	const struct member	*x = a, *y = b;
	int			 r;

	if ((r = win_member_rank(x) - win_member_rank(y)) != 0)
		return r;
	return strcmp(x->fold, y->fold);
}

/* Sort w's members: operators, then voiced, then by folded name. */
void
win_member_sort(struct window *w)
{
	qsort(w->members, w->nmembers, sizeof *w->members, win_member_cmp);
}
