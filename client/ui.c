/*
 * The screen, with ncursesw.  The layout, from the top:
 *
 *	title	the topic of a channel, or the server and its fingerprint
 *	body	window list | messages | members (side panes only when
 *		the terminal is wide enough for them)
 *	status	time, nick, window, activity, connection
 *	input	the line being typed
 *
 * Everything is drawn again into stdscr after each batch of events and
 * curses sends only what changed, so a redraw is cheap and there is no
 * state here to go stale; a resize only changes LINES and COLS.  Text
 * is wrapped with widths from utf8proc (text.c).  Colours: 256 when the
 * terminal has them, else 8, else none; a nick has the same colour
 * everywhere (a hash of its fold).
 */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curses.h>

#include "lanchat.h"
#include "util.h"

enum {
	PAIR_TITLE = 1,
	PAIR_STATUS,
	PAIR_INFO,
	PAIR_ERROR,
	PAIR_MARKER,
	PAIR_MENTION,
	PAIR_ACT,
	PAIR_SELF,
	PAIR_NICK0 = 16
};

static const short ui_pal256[] = { 33, 39, 45, 69, 75, 99, 105, 135, 141,
    160, 166, 172, 178, 184, 196, 202, 208, 214, 41, 47, 71, 77, 83, 113,
    119, 149, 161, 167, 173, 179, 125, 131, 137, 143, 31, 37, 43, 63 };
static const short ui_pal8[] = { COLOR_RED, COLOR_GREEN, COLOR_YELLOW,
    COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN };

static int	 ui_ncolours;	/* nick colours available */
static int	 ui_colour;
static int	 ui_list_w, ui_nick_w, ui_msg_x, ui_msg_w, ui_msg_h;

/* Start curses.  Returns 0, or -1 when the terminal cannot be used. */
int
ui_init(void)
{
	SCREEN	*scr;
	int	 i;

	/* newterm(), unlike initscr(), returns when the terminal is
	 * unknown -- an SSH session from a terminal this machine has no
	 * terminfo for -- and xterm is then the safe guess. */
	if ((scr = newterm(NULL, stdout, stdin)) == NULL) {
		setenv("TERM", "xterm", 1);
		if ((scr = newterm(NULL, stdout, stdin)) == NULL)
			return -1;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
		ui_colour = 1;
		init_pair(PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_STATUS, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_INFO, COLOR_CYAN, -1);
		init_pair(PAIR_ERROR, COLOR_RED, -1);
		init_pair(PAIR_MARKER, COLOR_YELLOW, -1);
		init_pair(PAIR_MENTION, COLOR_MAGENTA, -1);
		init_pair(PAIR_ACT, COLOR_WHITE, -1);
		init_pair(PAIR_SELF, COLOR_WHITE, -1);
		if (COLORS >= 256 && COLOR_PAIRS >= PAIR_NICK0 +
		    (int)(sizeof ui_pal256 / sizeof ui_pal256[0])) {
			ui_ncolours = sizeof ui_pal256 / sizeof ui_pal256[0];
			for (i = 0; i < ui_ncolours; i++)
				init_pair(PAIR_NICK0 + i, ui_pal256[i], -1);
		} else {
			ui_ncolours = sizeof ui_pal8 / sizeof ui_pal8[0];
			for (i = 0; i < ui_ncolours; i++)
				init_pair(PAIR_NICK0 + i, ui_pal8[i], -1);
		}
	}
	lc.curses = 1;
	return 0;
}

/* Give the terminal back (before printing to it, and at exit). */
void
ui_end(void)
{
	if (!lc.curses)
		return;
	endwin();
	lc.curses = 0;
}

/* Ring the terminal's bell (ncurses flashes when there is none). */
void
ui_bell(void)
{
	if (lc.curses)
		beep();
}

static void
ui_layout(void)
{
	struct window	*w = win_cur();

	ui_list_w = COLS >= 70 ? 18 : 0;
	ui_nick_w = w != NULL && w->type == WIN_CHANNEL && COLS >= 100 ?
	    18 : 0;
	ui_msg_x = ui_list_w > 0 ? ui_list_w + 1 : 0;
	ui_msg_w = COLS - ui_msg_x - (ui_nick_w > 0 ? ui_nick_w + 1 : 0);
	if (ui_msg_w < 10)
		ui_msg_w = 10;
	ui_msg_h = LINES - 3;
	if (ui_msg_h < 1)
		ui_msg_h = 1;
}

/* Width of the message pane (for wrapping). */
int
ui_text_cols(void)
{
	if (!lc.curses)
		return 80;
	ui_layout();
	return ui_msg_w;
}

/* Rows of the message pane: what PgUp moves. */
int
ui_page(void)
{
	if (!lc.curses)
		return 20;
	ui_layout();
	return ui_msg_h > 2 ? ui_msg_h - 2 : 1;
}

static attr_t
ui_pair(int pair)
{
	return ui_colour ? COLOR_PAIR(pair) : 0;
}

static attr_t
ui_nick_attr(const char *nick)
{
	if (!ui_colour || ui_ncolours == 0)
		return A_BOLD;
	return COLOR_PAIR(PAIR_NICK0 + text_hash(nick) % ui_ncolours);
}

/* The head of a line: "<nick> ", "* nick ", "-nick- " or "-- ". */
static void
ui_head(const struct lc_line *l, char *out, size_t outsz)
{
	switch (l->kind) {
	case LINE_MSG:
		snprintf(out, outsz, "<%s> ", l->nick ? l->nick : "?");
		break;
	case LINE_ACTION:
		snprintf(out, outsz, "* %s ", l->nick ? l->nick : "?");
		break;
	case LINE_NOTICE:
		snprintf(out, outsz, "-%s- ", l->nick ? l->nick : "?");
		break;
	case LINE_ERROR:
		snprintf(out, outsz, "!! ");
		break;
	default:
		snprintf(out, outsz, "-- ");
		break;
	}
}

/* Columns of the time column ("HH:MM "). */
#define UI_TIME_W	6

/* Indent of the rows after the first. */
static int
ui_indent(int headw, int width)
{
	int	p = UI_TIME_W + headw;

	return p <= width / 2 ? p : UI_TIME_W;
}

/* How many rows line l takes in width columns. */
int
ui_line_rows(const struct lc_line *l, int width)
{
	char		 head[600];
	const char	*s = l->text;
	int		 headw, rows = 1, ind, avail;
	size_t		 n;

	ui_head(l, head, sizeof head);
	headw = text_width(head, strlen(head));
	ind = ui_indent(headw, width);
	avail = width - UI_TIME_W - headw;
	if (avail < 1)
		avail = 1;
	n = text_wrap(s, avail);
	s += n;
	while (*s == ' ')
		s++;
	while (*s != '\0') {
		rows++;
		n = text_wrap(s, width - ind > 0 ? width - ind : 1);
		s += n;
		while (*s == ' ')
			s++;
	}
	return rows;
}

/* Text attributes of a line's body. */
static attr_t
ui_body_attr(const struct lc_line *l)
{
	if (l->kind == LINE_ERROR)
		return ui_pair(PAIR_ERROR);
	if (l->kind == LINE_INFO)
		return ui_pair(PAIR_INFO);
	if (l->kind == LINE_EVENT)
		return A_DIM;
	if (l->flags & LINE_MENTION)
		return A_BOLD | ui_pair(PAIR_MENTION);
	return A_NORMAL;
}

/*
 * Draw the rows of line l from row index skip on, at screen row y and
 * below, no lower than ymax.  Returns the next free row.
 */
static int
ui_draw_line(const struct lc_line *l, int y, int skip, int ymax)
{
	char		 head[600], tbuf[8];
	const char	*s = l->text;
	time_t		 t = l->t / 1000;
	struct tm	 tm;
	int		 headw, ind, avail, row = 0, x = ui_msg_x;
	size_t		 n;

	localtime_r(&t, &tm);
	strftime(tbuf, sizeof tbuf, "%H:%M ", &tm);
	ui_head(l, head, sizeof head);
	headw = text_width(head, strlen(head));
	ind = ui_indent(headw, ui_msg_w);
	avail = ui_msg_w - UI_TIME_W - headw;
	if (avail < 1)
		avail = 1;
	n = text_wrap(s, avail);
	if (row >= skip && y <= ymax) {
		attrset(A_DIM);
		mvaddstr(y, x, tbuf);
		if (l->kind == LINE_MSG || l->kind == LINE_ACTION ||
		    l->kind == LINE_NOTICE) {
			attrset(A_NORMAL);
			if (l->kind == LINE_MSG)
				addstr("<");
			else if (l->kind == LINE_ACTION)
				addstr("* ");
			else
				addstr("-");
			attrset(ui_nick_attr(l->nick ? l->nick : "") |
			    ((l->flags & LINE_SELF) ? A_BOLD : 0));
			addstr(l->nick ? l->nick : "?");
			attrset(A_NORMAL);
			addstr(l->kind == LINE_MSG ? "> " : l->kind ==
			    LINE_ACTION ? " " : "- ");
		} else {
			attrset(ui_body_attr(l));
			addstr(head);
		}
		attrset(ui_body_attr(l));
		addnstr(s, n);
		y++;
	}
	row++;
	s += n;
	while (*s == ' ')
		s++;
	while (*s != '\0' && y <= ymax) {
		n = text_wrap(s, ui_msg_w - ind > 0 ? ui_msg_w - ind : 1);
		if (row >= skip) {
			attrset(ui_body_attr(l));
			mvaddnstr(y, x + ind, s, n);
			y++;
		}
		row++;
		s += n;
		while (*s == ' ')
			s++;
	}
	attrset(A_NORMAL);
	return y;
}

/* Rows of everything in w, the "new" marker included. */
static int
ui_total_rows(const struct window *w, size_t *marker_at)
{
	size_t	i;
	int	rows = 0;

	*marker_at = (size_t)-1;
	for (i = 0; i < w->nlines; i++) {
		const struct lc_line *l = w->lines[i];

		/* Before the first message of someone else's that is
		 * newer than the read marker. */
		if (*marker_at == (size_t)-1 && w->marker_shown != 0 &&
		    l->t > w->marker_shown && i > 0 &&
		    !(l->flags & LINE_SELF) && (l->kind == LINE_MSG ||
		    l->kind == LINE_ACTION || l->kind == LINE_NOTICE)) {
			*marker_at = i;
			rows++;
		}
		rows += ui_line_rows(w->lines[i], ui_msg_w);
	}
	return rows;
}

/* Is the top of what w holds in view (time to fetch older history)? */
int
ui_at_top(struct window *w)
{
	size_t	marker_at;

	if (!lc.curses)
		return 0;
	ui_layout();
	return w->scroll >= ui_total_rows(w, &marker_at) - ui_msg_h;
}

static void
ui_draw_marker(int y)
{
	int	x;

	attrset(ui_pair(PAIR_MARKER) | A_BOLD);
	for (x = 0; x < ui_msg_w; x++)
		mvaddch(y, ui_msg_x + x, ACS_HLINE);
	if (ui_msg_w > 20)
		mvaddstr(y, ui_msg_x + ui_msg_w / 2 - 7, " new messages ");
	attrset(A_NORMAL);
}

/*
 * The message pane.  Lines are laid out from the top of the part in
 * view: the rows above it (total - scroll - height) are skipped.
 */
static void
ui_draw_messages(struct window *w)
{
	size_t	i, marker_at;
	int	total, skip, y = 1, rows, ymax = ui_msg_h;

	total = ui_total_rows(w, &marker_at);
	if (w->scroll > total - ui_msg_h)
		w->scroll = total - ui_msg_h > 0 ? total - ui_msg_h : 0;
	skip = total - w->scroll - ui_msg_h;
	if (skip < 0) {
		y += -skip;	/* few lines: keep them at the bottom */
		skip = 0;
	}
	for (i = 0; i < w->nlines && y <= ymax; i++) {
		if (i == marker_at) {
			if (skip > 0)
				skip--;
			else
				ui_draw_marker(y++);
			if (y > ymax)
				break;
		}
		rows = ui_line_rows(w->lines[i], ui_msg_w);
		if (skip >= rows) {
			skip -= rows;
			continue;
		}
		y = ui_draw_line(w->lines[i], y, skip, ymax);
		skip = 0;
	}
}

/* Draw s clipped to cols columns at the cursor. */
static void
ui_put(const char *s, int cols)
{
	if (cols > 0)
		addnstr(s, text_fit(s, cols, NULL));
}

static void
ui_draw_list(void)
{
	char	 b[300];
	int	 i, y;

	for (i = 0, y = 1; i < lc.nwins && y <= ui_msg_h; i++, y++) {
		struct window *w = lc.wins[i];

		if (i == lc.cur)
			attrset(A_REVERSE);
		else if (w->mention)
			attrset(ui_pair(PAIR_MENTION) | A_BOLD);
		else if (w->unread > 0)
			attrset(ui_pair(PAIR_ACT) | A_BOLD);
		else
			attrset(A_NORMAL);
		if (w->unread > 0 && i != lc.cur)
			snprintf(b, sizeof b, "%2d %s%s (%d)", i + 1,
			    w->mention ? "!" : "", w->name, w->unread);
		else
			snprintf(b, sizeof b, "%2d %s", i + 1, w->name);
		move(y, 0);
		ui_put(b, ui_list_w);
		attrset(A_NORMAL);
	}
	attrset(A_NORMAL);
	mvvline(1, ui_list_w, ACS_VLINE, ui_msg_h);
}

static void
ui_draw_members(struct window *w)
{
	int	x = COLS - ui_nick_w, y = 1;
	size_t	i;
	char	b[64];

	mvvline(1, x - 1, ACS_VLINE, ui_msg_h);
	snprintf(b, sizeof b, "%zu users", w->nmembers);
	attrset(A_BOLD);
	move(y++, x);
	ui_put(b, ui_nick_w);
	attrset(A_NORMAL);
	for (i = 0; i < w->nmembers && y <= ui_msg_h; i++, y++) {
		const struct member *m = &w->members[i];

		move(y, x);
		addnstr(m->prefix[0] != '\0' ? m->prefix : " ", 1);
		attrset(m->away ? A_DIM : ui_nick_attr(m->nick));
		ui_put(m->nick, ui_nick_w - 1);
		attrset(A_NORMAL);
	}
}

static void
ui_fill_row(int y, attr_t a)
{
	int	x;

	attrset(a);
	move(y, 0);
	for (x = 0; x < COLS; x++)
		addch(' ');
}

static void
ui_draw_title(struct window *w)
{
	char	b[1024];

	ui_fill_row(0, ui_pair(PAIR_TITLE) | (ui_colour ? 0 : A_REVERSE));
	if (w->type == WIN_CHANNEL)
		snprintf(b, sizeof b, " %s%s%s", w->name, w->topic ? ": " :
		    "", w->topic ? w->topic : "");
	else if (w->type == WIN_QUERY)
		snprintf(b, sizeof b, " private conversation with %s",
		    w->name);
	else if (w->type == WIN_SEARCH)
		snprintf(b, sizeof b, " %s", w->name);
	else
		snprintf(b, sizeof b, " %s  %s:%d  %s%s", lc.name[0] ?
		    lc.name : lc.host, lc.host, lc.port, lc.tls ?
		    "TLS SHA-256 " : "PLAIN TEXT, NOT ENCRYPTED", lc.tls ?
		    lc.pinned : "");
	if (w->hist_pending)
		strlcpy_u(b + strlen(b), "  (loading older messages...)",
		    sizeof b - strlen(b));
	move(0, 0);
	ui_put(b, COLS);
	attrset(A_NORMAL);
}

static void
ui_draw_status(struct window *w)
{
	char		 b[1024], act[256], t[8];
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 i;
	uint64_t	 m = now_ms();

	localtime_r(&now, &tm);
	strftime(t, sizeof t, "%H:%M", &tm);
	act[0] = '\0';
	for (i = 0; i < lc.nwins; i++) {
		if (i == lc.cur || lc.wins[i]->unread == 0)
			continue;
		snprintf(act + strlen(act), sizeof act - strlen(act),
		    "%s%d%s", act[0] ? "," : "", i + 1,
		    lc.wins[i]->mention ? "!" : "");
	}
	snprintf(b, sizeof b, " [%s] [%s%s%s] [%d:%s]%s%s%s", t,
	    lc.me ? lc.me : (lc.nick ? lc.nick : "?"),
	    lc.logged_in ? " as " : "", lc.logged_in ? lc.logged_in : "",
	    lc.cur + 1, w->name, act[0] ? " [Act: " : "", act,
	    act[0] ? "]" : "");
	if (!lc.tls)
		strlcpy_u(b + strlen(b), " [PLAIN]", sizeof b - strlen(b));
	if (lc.state == LC_DOWN && lc.reconnect_at != 0)
		snprintf(b + strlen(b), sizeof b - strlen(b),
		    " [disconnected: retrying in %llus]", (unsigned long long)
		    (lc.reconnect_at > m ? (lc.reconnect_at - m + 999) /
		    1000 : 0));
	else if (lc.state == LC_CONNECTING || lc.state == LC_REGISTERING)
		strlcpy_u(b + strlen(b), " [connecting]",
		    sizeof b - strlen(b));
	if (w->scroll > 0)
		strlcpy_u(b + strlen(b), " -- more below (PgDn) --",
		    sizeof b - strlen(b));
	ui_fill_row(LINES - 2, ui_pair(PAIR_STATUS) |
	    (ui_colour ? 0 : A_REVERSE));
	move(LINES - 2, 0);
	ui_put(b, COLS);
	attrset(A_NORMAL);
}

/* The input line, scrolled so that the cursor is in view. */
static void
ui_draw_input(struct window *w)
{
	const wchar_t	*text;
	char		 prompt[300], enc[8];
	int		 len, cur, pw, i, start, width, x, cw;

	input_get(&text, &len, &cur);
	snprintf(prompt, sizeof prompt, "[%s] ", w->name);
	pw = text_width(prompt, strlen(prompt));
	if (pw > COLS / 3) {
		strlcpy_u(prompt, "> ", sizeof prompt);
		pw = 2;
	}
	move(LINES - 1, 0);
	clrtoeol();
	addstr(prompt);
	width = COLS - pw - 1;
	/* First character shown: go back from the cursor by width. */
	start = cur;
	for (x = 0; start > 0; start--) {
		cw = text_cp_width(text[start - 1]);
		if (x + cw > width * 2 / 3)
			break;
		x += cw;
	}
	x = pw;
	for (i = start; i < len; i++) {
		cw = text_cp_width(text[i]);
		if (x + cw > COLS - 1)
			break;
		enc[text_encode(text[i], enc)] = '\0';
		mvaddstr(LINES - 1, x, enc);
		x += cw;
	}
	x = pw;
	for (i = start; i < cur; i++)
		x += text_cp_width(text[i]);
	move(LINES - 1, x < COLS ? x : COLS - 1);
}

/* Draw everything. */
void
ui_draw(void)
{
	struct window	*w = win_cur();

	if (!lc.curses || w == NULL)
		return;
	ui_layout();
	erase();
	ui_draw_title(w);
	if (ui_list_w > 0)
		ui_draw_list();
	ui_draw_messages(w);
	if (ui_nick_w > 0)
		ui_draw_members(w);
	ui_draw_status(w);
	ui_draw_input(w);
	refresh();
	lc.dirty = 0;
}
