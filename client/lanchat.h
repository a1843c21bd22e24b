/*
 * lanchat, the terminal client: the one header (tmux.h style) for the
 * modules in client/.  One global, lc, holds the settings, the
 * connection, the windows and the input line; everything runs on one
 * thread around poll() in main.c (an upload runs on a thread of its own
 * and hands its result back through a pipe, upload.c).
 *
 *	main.c     flags, the first connection (trust, login prompts), loop
 *	disc.c     finding servers: the query on every interface, answers
 *	net.c      TCP and TLS, non-blocking, line framing, fingerprints
 *	trust.c    known_servers (pinning) and the saved credentials
 *	irc.c      the protocol: caps, SASL/REGISTER, messages -> windows
 *	win.c      windows, their lines and members
 *	ui.c       drawing with ncursesw
 *	input.c    the input line: editing, history, completion, keys
 *	cmd.c      the slash commands
 *	upload.c   /upload over FILEHOST
 *	notify.c   the bell and desktop notifications
 *	text.c     UTF-8: cleaning, widths (utf8proc), wrapping, mentions
 *
 * The IRC parser (src/msg.c), the name fold (src/casemap.c), buffers
 * (src/buf.c) and the discovery format (src/discproto.c) are the
 * server's own, linked from liblanchat.a.
 */
#ifndef LANCHAT_CLIENT_H
#define LANCHAT_CLIENT_H

#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>

#include <openssl/ssl.h>

#include "buf.h"
#include "casemap.h"
#include "discproto.h"

#define LC_IRC_PORT		6667
#define LC_IRCS_PORT		6697
#define LC_LINES_MAX		5000	/* lines kept per window */
#define LC_HISTORY_PAGE		50	/* CHATHISTORY page */
#define LC_CATCHUP_PAGES	10	/* AFTER pages after a reconnect */
#define LC_INPUT_MAX		4096	/* code points on the input line */
#define LC_INPUT_HISTORY	200
#define LC_TEXT_CHUNK		400	/* bytes of text per PRIVMSG */
#define LC_RECONNECT_MAX_MS	60000
#define LC_PING_IDLE_MS		60000	/* quiet this long: PING */
#define LC_PING_TIMEOUT_MS	60000	/* then this long for anything */
#define LC_FP_LEN		96	/* "AB:CD:..." with NUL */
#define LC_KEY_LEN		300	/* "host:port" */
#define LC_PATH_MAX		4096	/* <limits.h> is shadowed by src/ */

/* Exit codes. */
#define LC_EXIT_OK		0
#define LC_EXIT_ERROR		1	/* could not connect, nothing found */
#define LC_EXIT_USAGE		2
#define LC_EXIT_TRUST		3	/* certificate refused */

/* net.c */
enum net_state { NET_IDLE, NET_CONNECTING, NET_HANDSHAKE, NET_UP };

struct net {
	int		 fd;
	int		 state;
	int		 tls;
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 want;		/* poll events the next step needs */
	struct buf	 in;
	struct buf	 out;
	char		 fp[LC_FP_LEN];	/* peer certificate, after handshake */
	char		 peer[80];	/* "addr:port" connected to */
	char		 host[256];
	int		 port;
	struct addrinfo	*ai, *ai_next;
};

void	 net_init(struct net *);
int	 net_start(struct net *, const char *, int, int, char **);
int	 net_step(struct net *, short, char **);
int	 net_read(struct net *, char **);
char	*net_line(struct net *, size_t *);
void	 net_send(struct net *, const char *, size_t);
int	 net_flush(struct net *, char **);
short	 net_events(const struct net *);
void	 net_close(struct net *);
int	 net_open_blocking(struct net *, const char *, int, int, int, char **);
int	 net_fingerprint(SSL *, char *, size_t);

/* trust.c */
const char *trust_dir(void);
int	 trust_set_dir(const char *, char **);
void	 trust_key(const char *, int, char *, size_t);
int	 trust_lookup(const char *, char *, size_t, int *);
int	 trust_find_fp(const char *, char *, size_t);
int	 trust_add(const char *, const char *, const char *, char **);
void	 trust_refuse(FILE *, const char *, const char *, const char *,
	    const char *, int);
void	 trust_refuse_announced(FILE *, const char *, const char *,
	    const char *);
int	 creds_lookup(const char *, char **, char **);
int	 creds_save(const char *, const char *, const char *, char **);

/* disc.c */
struct disc_server {
	struct discproto_info	 info;
	char			 fp[LC_FP_LEN];
	char			 host[80];	/* to connect to */
	char			 others[512];	/* other addresses, text */
	int			 known;		/* pinned already */
};

int	 disc_run(int, int, int, struct disc_server **, int *, char *,
	    size_t);
void	 disc_print(FILE *, const struct disc_server *, int);
void	 disc_explain_none(FILE *, const char *, int);

/* text.c */
size_t	 text_clean(const char *, char *, size_t);
int	 text_width(const char *, size_t);
int	 text_cp_width(uint32_t);
size_t	 text_decode(const char *, size_t, uint32_t *);
size_t	 text_encode(uint32_t, char *);
size_t	 text_fit(const char *, int, int *);
size_t	 text_wrap(const char *, int);
int	 text_mentions(const char *, const char *);
uint32_t text_hash(const char *);
void	 text_fold(const char *, char *, size_t);
size_t	 text_chunk(const char *, size_t);

/* win.c */
enum line_kind { LINE_MSG, LINE_ACTION, LINE_NOTICE, LINE_EVENT,
    LINE_INFO, LINE_ERROR };
#define LINE_SELF	0x01
#define LINE_MENTION	0x02
#define LINE_HISTORY	0x04

struct lc_line {
	uint64_t	 t;		/* ms since the epoch */
	int		 kind;
	int		 flags;
	char		*msgid;
	char		*nick;
	char		*text;
};

struct member {
	char		*nick;
	char		 fold[CASEMAP_FOLDSZ];
	char		 prefix[8];	/* "@+" with multi-prefix */
	int		 away;
	uint64_t	 spoke;		/* for completion order */
};

enum win_type { WIN_SERVER, WIN_CHANNEL, WIN_QUERY, WIN_SEARCH };

struct window {
	int		  type;
	char		 *name;
	char		  fold[CASEMAP_FOLDSZ];
	struct lc_line	**lines;
	size_t		  nlines, linecap;
	struct member	 *members;
	size_t		  nmembers, memcap;
	char		 *topic;
	int		  joined;
	int		  unread;
	int		  mention;
	int		  scroll;	/* rows up from the bottom */
	uint64_t	  marker;	/* MARKREAD, 0 when none */
	uint64_t	  marker_shown;	/* where the "new" line is drawn */
	uint64_t	  marker_sent;
	int		  hist_pending;
	int		  hist_done;	/* no older history */
	int		  catchup;	/* AFTER pages left */
	uint64_t	  last_t;	/* newest message time */
};

struct lc_line	*line_new(int, int, uint64_t, const char *, const char *,
		    const char *);
void		 line_free(struct lc_line *);
struct window	*win_find(const char *);
struct window	*win_get(const char *, int);
int		 win_index(const struct window *);
void		 win_close(struct window *);
int		 win_add(struct window *, struct lc_line *);
int		 win_add_at(struct window *, struct lc_line *, long);
void		 win_info(struct window *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 win_select(int);
struct window	*win_cur(void);
struct member	*win_member_find(struct window *, const char *);
void		 win_member_add(struct window *, const char *, const char *);
void		 win_member_del(struct window *, const char *);
void		 win_member_sort(struct window *);
void		 win_members_clear(struct window *);
void		 win_recount(struct window *);
void		 win_free_all(void);

/* ui.c */
int	 ui_init(void);
void	 ui_end(void);
void	 ui_draw(void);
void	 ui_bell(void);
int	 ui_page(void);
int	 ui_line_rows(const struct lc_line *, int);
int	 ui_text_cols(void);
int	 ui_at_top(struct window *);

/* input.c */
void	 input_key(int, wint_t);
void	 input_get(const wchar_t **, int *, int *);
void	 input_set_text(const char *);

/* cmd.c */
void	 cmd_run(const char *);
void	 cmd_say(struct window *, const char *, int);
extern const char *const cmd_words[];

/* irc.c */
void	 irc_connected(void);
void	 irc_line(char *);
void	 irc_send(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 irc_lost(const char *);
void	 irc_history_older(struct window *);
void	 irc_markread(struct window *);
void	 irc_tick(uint64_t);
int	 irc_is_channel(const char *);
int	 irc_has_cap(const char *);
const char *irc_isupport(const char *);
void	 irc_expect_names(const char *);

/* upload.c */
void	 upload_start(const char *);
void	 upload_token(const char *);
void	 upload_fail(const char *);
int	 upload_fd(void);
void	 upload_done(void);

/* notify.c */
void	 notify_init(void);
void	 notify_event(const char *, const char *);
void	 notify_reap(void);

/* The whole client's state. */
enum lc_auth { AUTH_GUEST, AUTH_LOGIN, AUTH_REGISTER };
enum lc_state { LC_DOWN, LC_CONNECTING, LC_REGISTERING, LC_UP };

struct batch {
	char		 ref[32];
	char		 type[40];
	char		 target[256];
	int		 count;		/* lines in it */
	int		 added;		/* of those, new to the window */
};

struct lanchat {
	/* what to connect to */
	char		 host[256];
	int		 port;
	int		 tls;
	char		 key[LC_KEY_LEN];	/* "host:port" in the files */
	char		 pinned[LC_FP_LEN];
	char		 name[256];		/* server name, if known */

	/* who we are */
	char		*nick;
	char		*account;
	char		*password;
	int		 auth;
	int		 save_creds;		/* after the login works */

	/* the connection */
	struct net	 net;
	int		 state;
	char		*me;			/* nick the server gave us */
	char		*logged_in;		/* account, or NULL */
	int		 sasl_done;
	char		 caps_offered[2048];
	char		 caps[1024];		/* acknowledged, " a b c " */
	char		*isupport[64];
	int		 nisupport;
	struct batch	 batches[16];
	int		 nbatches;
	uint64_t	 last_rx;		/* monotonic */
	uint64_t	 ping_sent;
	uint64_t	 server_time;		/* newest time tag seen */
	uint64_t	 lost_at;		/* server time at the loss */
	int		 attempt;
	uint64_t	 reconnect_at;		/* monotonic; 0: none */
	uint64_t	 reconnect_base_ms;
	int		 registered_once;
	int		 nick_tries;

	/* windows */
	struct window	**wins;
	int		 nwins;
	int		 cur;

	/* run state */
	int		 quit;
	int		 dirty;
	int		 curses;
	int		 exit_code;
	char		*quit_reason;
};

extern struct lanchat lc;

#endif
