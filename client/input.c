/*
 * The input line and the keys.  The line is kept as code points
 * (wchar_t, UCS-4 on the systems we build for) so that the cursor moves
 * by characters, not bytes; it becomes UTF-8 when sent.  Keys, as in
 * irssi and readline:
 *
 *	Left Right Home End ^A ^E ^B ^F	move
 *	Backspace Delete ^D ^U ^K ^W	delete
 *	Up Down				sent lines (history)
 *	Tab				complete a nick, #channel, /command
 *	PgUp PgDn			scroll (older history is fetched)
 *	^N ^P Alt-N Alt-P		next, previous window
 *	Alt-1..9 Alt-0			window 1..10
 *	Alt-A				next window with activity
 *	^L				redraw
 *
 * Owns the line, the history of sent lines and the completion state.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include <curses.h>

#include "lanchat.h"
#include "xmalloc.h"

static wchar_t	 input_buf[LC_INPUT_MAX + 1];
static int	 input_len, input_cur;
static char	*input_hist[LC_INPUT_HISTORY];
static int	 input_nhist, input_hpos = -1;
static char	*input_saved;

/* Completion: the matches for the word at tab_start, and where we are. */
static char	**tab_matches;
static int	 tab_n, tab_i = -1, tab_start, tab_end;

/* The line (borrowed, valid until the next key), its length, cursor. */
void
input_get(const wchar_t **text, int *len, int *cur)
{
	*text = input_buf;
	*len = input_len;
	*cur = input_cur;
}

/* The line as UTF-8 (the caller frees). */
static char *
input_utf8(int from, int to)
{
	char	*s = xmalloc((to - from) * 4 + 1);
	size_t	 o = 0;
	int	 i;

	for (i = from; i < to; i++)
		o += text_encode(input_buf[i], s + o);
	s[o] = '\0';
	return s;
}

/* Replace the line with s (UTF-8), the cursor at the end. */
void
input_set_text(const char *s)
{
	size_t		n = strlen(s), i = 0;
	uint32_t	cp;

	input_len = 0;
	while (i < n && input_len < LC_INPUT_MAX) {
		i += text_decode(s + i, n - i, &cp);
		input_buf[input_len++] = cp;
	}
	input_cur = input_len;
	lc.dirty = 1;
}

static void
input_insert(wchar_t c)
{
	if (input_len == LC_INPUT_MAX)
		return;
	memmove(&input_buf[input_cur + 1], &input_buf[input_cur],
	    (input_len - input_cur) * sizeof *input_buf);
	input_buf[input_cur++] = c;
	input_len++;
}

static void
input_delete(int from, int to)
{
	if (from < 0)
		from = 0;
	if (to > input_len)
		to = input_len;
	if (from >= to)
		return;
	memmove(&input_buf[from], &input_buf[to], (input_len - to) *
	    sizeof *input_buf);
	input_len -= to - from;
	if (input_cur > to)
		input_cur -= to - from;
	else if (input_cur > from)
		input_cur = from;
}

static void
input_tab_reset(void)
{
	int	i;

	for (i = 0; i < tab_n; i++)
		free(tab_matches[i]);
	free(tab_matches);
	tab_matches = NULL;
	tab_n = 0;
	tab_i = -1;
}

static void
input_tab_add(const char *s, const char *prefix)
{
	char	fs[CASEMAP_FOLDSZ], fp[CASEMAP_FOLDSZ];
	int	i;

	text_fold(s, fs, sizeof fs);
	text_fold(prefix, fp, sizeof fp);
	if (strncmp(fs, fp, strlen(fp)) != 0 &&
	    strncasecmp(s, prefix, strlen(prefix)) != 0)
		return;
	for (i = 0; i < tab_n; i++)
		if (strcmp(tab_matches[i], s) == 0)
			return;
	tab_matches = xreallocarray(tab_matches, tab_n + 1,
	    sizeof *tab_matches);
	tab_matches[tab_n++] = xstrdup(s);
}

static int
input_spoke_cmp(const void *a, const void *b)
{
	const struct member *const *x = a, *const *y = b;

	if ((*x)->spoke != (*y)->spoke)
		return (*x)->spoke > (*y)->spoke ? -1 : 1;
	return strcmp((*x)->fold, (*y)->fold);
}

/* Tab: complete the word before the cursor, or the next match. */
static void
input_tab(void)
{
	struct window	 *w = win_cur();
	struct member	**ms;
	char		 *word, *ins;
	int		  i, start, j;
	size_t		  k;

	if (tab_i < 0) {
		input_tab_reset();
		for (start = input_cur; start > 0 &&
		    input_buf[start - 1] != ' '; start--)
			;
		word = input_utf8(start, input_cur);
		if (word[0] == '/' && start == 0) {
			for (i = 0; cmd_words[i] != NULL; i++) {
				char c[64];

				snprintf(c, sizeof c, "/%s", cmd_words[i]);
				input_tab_add(c, word);
			}
		} else if (irc_is_channel(word)) {
			for (i = 0; i < lc.nwins; i++)
				if (lc.wins[i]->type == WIN_CHANNEL)
					input_tab_add(lc.wins[i]->name, word);
		} else if (w != NULL) {
			ms = xcalloc(w->nmembers + 1, sizeof *ms);
			for (k = 0; k < w->nmembers; k++)
				ms[k] = &w->members[k];
			qsort(ms, w->nmembers, sizeof *ms, input_spoke_cmp);
			for (k = 0; k < w->nmembers; k++)
				if (lc.me == NULL ||
				    strcmp(ms[k]->nick, lc.me) != 0)
					input_tab_add(ms[k]->nick, word);
			free(ms);
			if (w->type == WIN_QUERY)
				input_tab_add(w->name, word);
			for (i = 0; i < lc.nwins; i++)
				if (lc.wins[i]->type == WIN_QUERY)
					input_tab_add(lc.wins[i]->name, word);
		}
		free(word);
		if (tab_n == 0) {
			ui_bell();
			return;
		}
		tab_start = start;
		tab_end = input_cur;
		tab_i = 0;
	} else
		tab_i = (tab_i + 1) % tab_n;
	/* Replace what the last completion (or the word) put there. */
	input_delete(tab_start, tab_end);
	input_cur = tab_start;
	xasprintf(&ins, "%s%s", tab_matches[tab_i], tab_start == 0 &&
	    tab_matches[tab_i][0] != '/' && !irc_is_channel(
	    tab_matches[tab_i]) ? ": " : " ");
	k = strlen(ins);
	for (j = 0; (size_t)j < k; ) {
		uint32_t cp;

		j += text_decode(ins + j, k - j, &cp);
		input_insert(cp);
	}
	free(ins);
	tab_end = input_cur;
}

static void
input_history_add(const char *s)
{
	if (*s == '\0' || (input_nhist > 0 &&
	    strcmp(input_hist[input_nhist - 1], s) == 0))
		return;
	if (input_nhist == LC_INPUT_HISTORY) {
		free(input_hist[0]);
		memmove(&input_hist[0], &input_hist[1], (input_nhist - 1) *
		    sizeof *input_hist);
		input_nhist--;
	}
	input_hist[input_nhist++] = xstrdup(s);
}

static void
input_history_move(int dir)
{
	if (input_nhist == 0)
		return;
	if (input_hpos < 0) {
		if (dir > 0)
			return;
		free(input_saved);
		input_saved = input_utf8(0, input_len);
		input_hpos = input_nhist;
	}
	input_hpos += dir;
	if (input_hpos < 0)
		input_hpos = 0;
	if (input_hpos >= input_nhist) {
		input_hpos = -1;
		input_set_text(input_saved != NULL ? input_saved : "");
		return;
	}
	input_set_text(input_hist[input_hpos]);
}

static void
input_submit(void)
{
	char	*s = input_utf8(0, input_len);

	input_history_add(s);
	input_hpos = -1;
	input_len = input_cur = 0;
	cmd_run(s);
	free(s);
}

static void
input_scroll(int dir)
{
	struct window	*w = win_cur();

	if (w == NULL)
		return;
	if (dir < 0) {
		w->scroll += ui_page();
		if (ui_at_top(w))
			irc_history_older(w);
	} else {
		w->scroll -= ui_page();
		if (w->scroll <= 0) {
			w->scroll = 0;
			irc_markread(w);
		}
	}
}

/* The next window with activity, mentions first. */
static void
input_next_active(void)
{
	int	i, best = -1;

	for (i = 1; i <= lc.nwins; i++) {
		int j = (lc.cur + i) % lc.nwins;

		if (lc.wins[j]->mention) {
			best = j;
			break;
		}
		if (best < 0 && lc.wins[j]->unread > 0)
			best = j;
	}
	if (best >= 0)
		win_select(best);
}

/*
 * One key.  type is 0 for a character, 1 for a curses KEY_ code, 2 for
 * a character typed with Alt (ESC first).
 */
void
input_key(int type, wint_t ch)
{
	int	was_tab = tab_i >= 0;

	lc.dirty = 1;
	if (!(type == 0 && ch == '\t'))
		tab_i = -1;
	if (type == 2) {
		if (ch >= '1' && ch <= '9')
			win_select(ch - '1');
		else if (ch == '0')
			win_select(9);
		else if (ch == 'a' || ch == 'A')
			input_next_active();
		else if (ch == 'n' || ch == 'N')
			win_select((lc.cur + 1) % lc.nwins);
		else if (ch == 'p' || ch == 'P')
			win_select((lc.cur + lc.nwins - 1) % lc.nwins);
		return;
	}
	if (type == 1) {
		switch (ch) {
		case KEY_LEFT:
			if (input_cur > 0)
				input_cur--;
			break;
		case KEY_RIGHT:
			if (input_cur < input_len)
				input_cur++;
			break;
		case KEY_HOME:
			input_cur = 0;
			break;
		case KEY_END:
			input_cur = input_len;
			break;
		case KEY_BACKSPACE:
			input_delete(input_cur - 1, input_cur);
			break;
		case KEY_DC:
			input_delete(input_cur, input_cur + 1);
			break;
		case KEY_UP:
			input_history_move(-1);
			break;
		case KEY_DOWN:
			input_history_move(1);
			break;
		case KEY_PPAGE:
			input_scroll(-1);
			break;
		case KEY_NPAGE:
			input_scroll(1);
			break;
		case KEY_ENTER:
			input_submit();
			break;
		default:
			break;
		}
		return;
	}
	switch (ch) {
	case 1:		/* ^A */
		input_cur = 0;
		break;
	case 5:		/* ^E */
		input_cur = input_len;
		break;
	case 2:		/* ^B */
		if (input_cur > 0)
			input_cur--;
		break;
	case 6:		/* ^F */
		if (input_cur < input_len)
			input_cur++;
		break;
	case 4:		/* ^D */
		input_delete(input_cur, input_cur + 1);
		break;
	case 8:
	case 127:
		input_delete(input_cur - 1, input_cur);
		break;
	case 11:	/* ^K */
		input_delete(input_cur, input_len);
		break;
	case 21:	/* ^U */
		input_delete(0, input_cur);
		break;
	case 23: {	/* ^W */
		int	p = input_cur;

		while (p > 0 && input_buf[p - 1] == ' ')
			p--;
		while (p > 0 && input_buf[p - 1] != ' ')
			p--;
		input_delete(p, input_cur);
		break;
	}
	case '\t':
		if (!was_tab)
			tab_i = -1;
		input_tab();
		break;
	case '\r':
	case '\n':
		input_submit();
		break;
	case 12:	/* ^L */
		clearok(curscr, TRUE);
		break;
	case 14:	/* ^N */
		win_select((lc.cur + 1) % lc.nwins);
		break;
	case 16:	/* ^P */
		win_select((lc.cur + lc.nwins - 1) % lc.nwins);
		break;
	default:
		if (ch >= 0x20 && ch != 0x7f && !(ch >= 0x80 && ch < 0xa0))
			input_insert(ch);
		break;
	}
}
