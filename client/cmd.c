/*
 * The slash commands, one table row each (name, handler, help line),
 * and plain text, which goes to the window on screen.  A handler gets
 * the rest of the line after the command word; every command that
 * needs the server says so when we are not connected rather than
 * dropping the line without a word.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lanchat.h"
#include "msg.h"
#include "util.h"
#include "xmalloc.h"

struct cmd_entry {
	const char	*name;
	void		(*fn)(char *);
	const char	*args;
	const char	*help;
};

static void	cmd_help(char *);

/* Are we connected and registered?  If not, say so in the window. */
static int
cmd_online(void)
{
	if (lc.state == LC_UP)
		return 1;
	win_info(win_cur(), LINE_ERROR, "Not connected to the server now; "
	    "not sent.  lanchat reconnects by itself.");
	return 0;
}

/* Split the first word off s: returns it, s moves past it. */
static char *
cmd_word(char **s)
{
	char	*w;

	while (**s == ' ')
		(*s)++;
	w = *s;
	while (**s != '\0' && **s != ' ')
		(*s)++;
	if (**s == ' ') {
		*(*s)++ = '\0';
		while (**s == ' ')
			(*s)++;
	}
	return w;
}

/*
 * Say text in w (a channel or a conversation), as an ACTION when action.
 * Long text goes out in several messages, each cut on a UTF-8 boundary
 * (at a space when there is one).
 */
void
cmd_say(struct window *w, const char *text, int action)
{
	char		 chunk[LC_TEXT_CHUNK + 1];
	const char	*p = text;
	size_t		 n;

	if (w == NULL || w->type == WIN_SERVER || w->type == WIN_SEARCH) {
		win_info(w, LINE_ERROR, "This window is not a conversation: "
		    "/join #channel or /query nick first.");
		return;
	}
	if (!cmd_online())
		return;
	while (*p != '\0') {
		n = text_chunk(p, LC_TEXT_CHUNK);
		memcpy(chunk, p, n);
		chunk[n] = '\0';
		p += n;
		while (*p == ' ')
			p++;
		if (action)
			irc_send("PRIVMSG %s :\001ACTION %s\001", w->name,
			    chunk);
		else
			irc_send("PRIVMSG %s :%s", w->name, chunk);
		if (!irc_has_cap("echo-message"))
			win_add(w, line_new(action ? LINE_ACTION : LINE_MSG,
			    LINE_SELF, wall_ms(), NULL, lc.me, chunk));
	}
}

/* A channel name from what the user typed: "#" added when missing. */
static void
cmd_channel(const char *s, char *out, size_t outsz)
{
	if (irc_is_channel(s))
		strlcpy_u(out, s, outsz);
	else
		snprintf(out, outsz, "#%s", s);
}

static void
cmd_join(char *args)
{
	char	*chans = cmd_word(&args), *key = cmd_word(&args);
	char	 list[1024], one[300], *tok, *save = NULL;

	if (*chans == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /join #channel [key]");
		return;
	}
	if (!cmd_online())
		return;
	list[0] = '\0';
	for (tok = strtok_r(chans, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		cmd_channel(tok, one, sizeof one);
		snprintf(list + strlen(list), sizeof list - strlen(list),
		    "%s%s", list[0] ? "," : "", one);
	}
	if (*key != '\0')
		irc_send("JOIN %s %s", list, key);
	else
		irc_send("JOIN %s", list);
}

static void
cmd_part(char *args)
{
	struct window	*w = win_cur();
	char		 chan[300];

	if (*args != '\0' && irc_is_channel(args)) {
		strlcpy_u(chan, cmd_word(&args), sizeof chan);
	} else if (w->type == WIN_CHANNEL)
		strlcpy_u(chan, w->name, sizeof chan);
	else {
		win_info(w, LINE_ERROR, "Usage: /part [#channel] [reason]");
		return;
	}
	if (!cmd_online())
		return;
	if (*args != '\0')
		irc_send("PART %s :%s", chan, args);
	else
		irc_send("PART %s", chan);
}

static void
cmd_msg(char *args)
{
	char		*target = cmd_word(&args);
	struct window	*w;

	if (*target == '\0' || *args == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /msg nick|#channel "
		    "text");
		return;
	}
	if (strcasecmp(target, "NickServ") == 0) {
		/* Services get the text as it is: no window, no echo. */
		if (cmd_online())
			irc_send("PRIVMSG %s :%s", target, args);
		return;
	}
	w = win_get(target, irc_is_channel(target) ? WIN_CHANNEL : WIN_QUERY);
	cmd_say(w, args, 0);
}

static void
cmd_query(char *args)
{
	char		*nick = cmd_word(&args);
	struct window	*w;

	if (*nick == '\0' || irc_is_channel(nick)) {
		win_info(win_cur(), LINE_ERROR, "Usage: /query nick [text]");
		return;
	}
	w = win_get(nick, WIN_QUERY);
	win_select(win_index(w));
	if (w->nlines == 0 && lc.state == LC_UP &&
	    irc_has_cap("draft/chathistory"))
		irc_history_older(w);
	if (*args != '\0')
		cmd_say(w, args, 0);
}

static void
cmd_me(char *args)
{
	if (*args == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /me does something");
		return;
	}
	cmd_say(win_cur(), args, 1);
}

static void
cmd_topic(char *args)
{
	struct window	*w = win_cur();

	if (w->type != WIN_CHANNEL) {
		win_info(w, LINE_ERROR, "/topic works in a channel window.");
		return;
	}
	if (!cmd_online())
		return;
	if (*args == '\0')
		irc_send("TOPIC %s", w->name);
	else
		irc_send("TOPIC %s :%s", w->name, args);
}

static void
cmd_nick(char *args)
{
	char	*n = cmd_word(&args);

	if (*n == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /nick newnick");
		return;
	}
	if (cmd_online())
		irc_send("NICK %s", n);
}

static void
cmd_away(char *args)
{
	if (!cmd_online())
		return;
	if (*args != '\0')
		irc_send("AWAY :%s", args);
	else
		irc_send("AWAY");
}

static void
cmd_names(char *args)
{
	struct window	*w = win_cur();
	char		*c = cmd_word(&args);

	if (*c == '\0' && w->type == WIN_CHANNEL)
		c = w->name;
	if (*c == '\0') {
		win_info(w, LINE_ERROR, "Usage: /names [#channel]");
		return;
	}
	if (cmd_online()) {
		irc_expect_names(c);
		irc_send("NAMES %s", c);
	}
}

static void
cmd_who(char *args)
{
	struct window	*w = win_cur();
	char		*m = cmd_word(&args);

	if (*m == '\0' && w->type == WIN_CHANNEL)
		m = w->name;
	if (*m == '\0') {
		win_info(w, LINE_ERROR, "Usage: /who #channel|mask");
		return;
	}
	if (cmd_online())
		irc_send("WHO %s", m);
}

static void
cmd_whois(char *args)
{
	struct window	*w = win_cur();
	char		*n = cmd_word(&args);

	if (*n == '\0' && w->type == WIN_QUERY)
		n = w->name;
	if (*n == '\0') {
		win_info(w, LINE_ERROR, "Usage: /whois nick");
		return;
	}
	if (cmd_online())
		irc_send("WHOIS %s", n);
}

static void
cmd_list(char *args)
{
	if (!cmd_online())
		return;
	if (*args != '\0')
		irc_send("LIST %s", args);
	else
		irc_send("LIST");
}

static void
cmd_upload(char *args)
{
	if (*args == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /upload FILE");
		return;
	}
	if (cmd_online())
		upload_start(args);
}

/*
 * /search [in:TARGET] [from:NICK] words: soju.im/search, in the window
 * on screen unless in: says otherwise.  Results open a window of their
 * own.
 */
static void
cmd_search(char *args)
{
	struct window	*w = win_cur();
	char		 attrs[1500], esc[1024], in[300], from[300];
	char		*word;
	struct buf	 text;

	if (*args == '\0') {
		win_info(w, LINE_ERROR, "Usage: /search [in:#chan] "
		    "[from:nick] words");
		return;
	}
	if (!cmd_online())
		return;
	if (!irc_has_cap("soju.im/search")) {
		win_info(w, LINE_ERROR, "Search is not supported by this "
		    "server (it does not offer soju.im/search).");
		return;
	}
	in[0] = from[0] = '\0';
	if (w->type == WIN_CHANNEL || w->type == WIN_QUERY)
		strlcpy_u(in, w->name, sizeof in);
	buf_init(&text);
	while (*(word = cmd_word(&args)) != '\0') {
		if (strncmp(word, "in:", 3) == 0)
			strlcpy_u(in, word + 3, sizeof in);
		else if (strncmp(word, "from:", 5) == 0)
			strlcpy_u(from, word + 5, sizeof from);
		else {
			if (text.len > 0)
				buf_addch(&text, ' ');
			buf_addstr(&text, word);
		}
	}
	if (in[0] == '\0') {
		win_info(w, LINE_ERROR, "Search where?  Use it in a channel "
		    "or conversation window, or add in:#channel.");
		buf_free(&text);
		return;
	}
	msg_tag_escape(esc, sizeof esc, in);
	snprintf(attrs, sizeof attrs, "in=%s;limit=100", esc);
	if (from[0] != '\0') {
		msg_tag_escape(esc, sizeof esc, from);
		snprintf(attrs + strlen(attrs), sizeof attrs - strlen(attrs),
		    ";from=%s", esc);
	}
	if (text.len > 0) {
		msg_tag_escape(esc, sizeof esc, text.data);
		snprintf(attrs + strlen(attrs), sizeof attrs - strlen(attrs),
		    ";text=%s", esc);
	}
	irc_send("SEARCH %s", attrs);
	win_info(w, LINE_INFO, "Searching %s for \"%s\"...", in,
	    text.len > 0 ? text.data : "");
	buf_free(&text);
}

static void
cmd_quit(char *args)
{
	free(lc.quit_reason);
	lc.quit_reason = xstrdup(*args != '\0' ? args : "Leaving");
	lc.quit = 1;
}

static void
cmd_quote(char *args)
{
	if (*args == '\0') {
		win_info(win_cur(), LINE_ERROR, "Usage: /quote RAW IRC LINE");
		return;
	}
	if (cmd_online())
		irc_send("%s", args);
}

static void
cmd_close(char *args)
{
	struct window	*w = win_cur();

	(void)args;
	if (w->type == WIN_SERVER) {
		win_info(w, LINE_ERROR, "The server window stays; /quit "
		    "leaves.");
		return;
	}
	if (w->type == WIN_CHANNEL && w->joined && lc.state == LC_UP)
		irc_send("PART %s", w->name);
	win_close(w);
}

static void
cmd_win(char *args)
{
	int	n = atoi(args);

	if (n < 1 || n > lc.nwins) {
		win_info(win_cur(), LINE_ERROR, "Usage: /win N (1 to %d)",
		    lc.nwins);
		return;
	}
	win_select(n - 1);
}

static const struct cmd_entry cmd_table[] = {
	{ "away", cmd_away, "[reason]", "mark yourself away; no reason: back" },
	{ "close", cmd_close, "", "close this window (leaves a channel)" },
	{ "help", cmd_help, "[command]", "this list" },
	{ "join", cmd_join, "#channel [key]", "join a channel" },
	{ "list", cmd_list, "[mask]", "list the channels" },
	{ "me", cmd_me, "text", "say what you do" },
	{ "msg", cmd_msg, "nick|#chan text", "send a message" },
	{ "names", cmd_names, "[#channel]", "who is in a channel" },
	{ "nick", cmd_nick, "newnick", "change your nick" },
	{ "part", cmd_part, "[#channel] [reason]", "leave a channel" },
	{ "query", cmd_query, "nick [text]", "open a private conversation" },
	{ "quit", cmd_quit, "[reason]", "leave lanchat" },
	{ "quote", cmd_quote, "LINE", "send a raw IRC line" },
	{ "search", cmd_search, "[in:#c] [from:n] words",
	  "search the history (when the server can)" },
	{ "topic", cmd_topic, "[text]", "show or set the channel's topic" },
	{ "upload", cmd_upload, "FILE", "share a file (when the server can)" },
	{ "who", cmd_who, "#channel|mask", "who is there, with details" },
	{ "whois", cmd_whois, "nick", "about one person" },
	{ "win", cmd_win, "N", "go to window N (also Alt-N)" },
};
#define CMD_N	(sizeof cmd_table / sizeof cmd_table[0])

const char *const cmd_words[] = { "away", "close", "help", "join", "list",
    "me", "msg", "names", "nick", "part", "query", "quit", "quote",
    "search", "topic", "upload", "who", "whois", "win", NULL };

static void
cmd_help(char *args)
{
	struct window	*w = win_cur();
	size_t		 i;

	for (i = 0; i < CMD_N; i++) {
		if (*args != '\0' && strcasecmp(args, cmd_table[i].name) != 0 &&
		    !(args[0] == '/' && strcasecmp(args + 1,
		    cmd_table[i].name) == 0))
			continue;
		win_info(w, LINE_INFO, "/%s %s - %s", cmd_table[i].name,
		    cmd_table[i].args, cmd_table[i].help);
	}
	if (*args == '\0')
		win_info(w, LINE_INFO, "Keys: PgUp/PgDn scroll, Tab "
		    "completes, Up/Down recall, ^N/^P or Alt-1..9 switch "
		    "windows, Alt-A next active.  Start a line with // to "
		    "send one that begins with /.");
}

/* Run one line typed by the user. */
void
cmd_run(const char *line)
{
	char	*copy, *p, *name;
	size_t	 i;

	if (*line == '\0')
		return;
	if (line[0] != '/' || line[1] == '/') {
		cmd_say(win_cur(), line[0] == '/' ? line + 1 : line, 0);
		return;
	}
	copy = xstrdup(line + 1);
	p = copy;
	name = cmd_word(&p);
	for (i = 0; i < CMD_N; i++) {
		if (strcasecmp(name, cmd_table[i].name) == 0) {
			cmd_table[i].fn(p);
			free(copy);
			return;
		}
	}
	win_info(win_cur(), LINE_ERROR, "Unknown command /%s: /help lists "
	    "them, /quote %s sends it to the server as it is.", name, name);
	free(copy);
}
