/*
 * The IRC command handlers, grouped by area as in ngIRCd's irc-*.c:
 * irc_conn.c (registration and connection), irc_cap.c (CAP),
 * irc_chan.c (channels), irc_msg.c (PRIVMSG/NOTICE/TAGMSG),
 * irc_mode.c (MODE), irc_info.c (queries and presence), irc_acct.c
 * (accounts), irc_hist.c (CHATHISTORY, MARKREAD), irc_edit.c (REDACT,
 * EDIT), irc_search.c (SEARCH).
 *
 * A handler returns 0, or -1 when the client is gone.  It runs with a
 * parsed struct msg that is valid only during the call.
 */
#ifndef LANCHAT_IRC_H
#define LANCHAT_IRC_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct channel;
struct hist_row;
struct line;
struct client;
struct msg;
struct session;
struct event;
struct account;

/* irc_conn.c */
int	cmd_pass(struct client *, struct msg *);
int	cmd_nick(struct client *, struct msg *);
int	cmd_user(struct client *, struct msg *);
int	cmd_ping(struct client *, struct msg *);
int	cmd_pong(struct client *, struct msg *);
int	cmd_quit(struct client *, struct msg *);
void	irc_welcome(struct client *);
void	irc_isupport(struct client *);
void	irc_lusers(struct client *);
void	irc_motd(struct client *);
void	irc_change_nick(struct client *, const char *, const char *);

/* irc_acct.c */
int	cmd_authenticate(struct client *, struct msg *);
int	cmd_register(struct client *, struct msg *);
int	cmd_verify(struct client *, struct msg *);
int	cmd_nickserv(struct client *, struct msg *);
void	irc_acct_init(void);
void	irc_auth_free(struct session *);
void	irc_acct_tick(uint64_t);
void	irc_acct_forget_addrs(void);
void	irc_acct_check_nick(struct client *);
void	irc_enforce_stop(struct client *);
void	irc_acct_take_nick(struct client *);
struct client *irc_acct_register(struct client *, struct session *);
int	irc_acct_want_nick(struct client *);
void	irc_auth_abort(struct client *);
int	irc_acct_service_msg(struct client *, const char *, const char *);
int	irc_acct_reserved(const char *);
int	irc_acct_may_register(struct client *);
void	irc_acct_set_oper(struct client *, int);

/* irc_token.c */
int	cmd_token(struct client *, struct msg *);

/* irc_hist.c */
int	cmd_chathistory(struct client *, struct msg *);
int	cmd_markread(struct client *, struct msg *);
int	irc_hist_can_read(const struct client *, const struct channel *);
char	*irc_hist_readable(const struct client *, const struct channel *);
void	irc_hist_replay(struct client *, struct account *);
void	irc_marker_join(struct client *, struct channel *);
void	irc_hist_me(const struct client *, char *, size_t);
void	irc_hist_peer(const char *, char *, size_t, char *, size_t);
struct line *irc_hist_line(const struct hist_row *, const struct session *,
	    const char *, const char *);
void	irc_hist_batch_open(struct client *, char *, size_t, const char *,
	    const char *);
void	irc_hist_batch_close(struct client *, const char *);

/* irc_edit.c */
int	cmd_redact(struct client *, struct msg *);
int	cmd_edit(struct client *, struct msg *);

/* irc_search.c */
int	cmd_search(struct client *, struct msg *);

/* irc_admin.c */
int	cmd_kill(struct client *, struct msg *);
int	cmd_suspend(struct client *, struct msg *);
int	cmd_unsuspend(struct client *, struct msg *);
int	cmd_approve(struct client *, struct msg *);
int	cmd_ban(struct client *, struct msg *);
int	cmd_announce(struct client *, struct msg *);
int	irc_admin_load(char **);
void	irc_admin_unload(void);
void	irc_admin_reload_bans(void);
int	irc_admin_banned(const char *, char *, size_t);
void	irc_admin_flags_changed(struct account *, unsigned int);
int	irc_admin_db_bans(sqlite3 *, void (*)(void *, const char *,
	    const char *, const char *, uint64_t), void *, char **);
int	irc_admin_db_unban(sqlite3 *, const char *, char **);
/* SASL mechanisms (CAP LS value, 908): EXTERNAL needs a TLS conn. */
#define SASL_MECHS_TLS		"PLAIN,EXTERNAL,X-LANCHAT-TOKEN"
#define SASL_MECHS		"PLAIN,X-LANCHAT-TOKEN"

/* The text of an announcement: who made it, what it says. */
#define IRC_ANNOUNCE_FMT	"[Announcement from %s] %s"

/* irc_cap.c */
int	cmd_cap(struct client *, struct msg *);
void	irc_cap_configure(void);
const char *irc_cap_name(int);

/* irc_chan.c */
int	cmd_join(struct client *, struct msg *);
int	cmd_part(struct client *, struct msg *);
int	cmd_topic(struct client *, struct msg *);
int	cmd_names(struct client *, struct msg *);
int	cmd_list(struct client *, struct msg *);
int	cmd_kick(struct client *, struct msg *);
int	cmd_invite(struct client *, struct msg *);
void	irc_names(struct client *, struct channel *);
void	irc_send_topic(struct client *, struct channel *, int);
void	irc_join_channel(struct client *, const char *, const char *);
struct hist_row *irc_chan_row(struct event *, struct channel *);

/* irc_msg.c */
int	cmd_privmsg(struct client *, struct msg *);
int	cmd_notice(struct client *, struct msg *);
int	cmd_tagmsg(struct client *, struct msg *);
const char *irc_msg_cannot_send(const struct client *, const struct channel *);

/* irc_mode.c */
int	cmd_mode(struct client *, struct msg *);

/* irc_info.c */
int	cmd_who(struct client *, struct msg *);
int	cmd_whois(struct client *, struct msg *);
int	cmd_whowas(struct client *, struct msg *);
int	cmd_motd(struct client *, struct msg *);
int	cmd_lusers(struct client *, struct msg *);
int	cmd_version(struct client *, struct msg *);
int	cmd_time(struct client *, struct msg *);
int	cmd_away(struct client *, struct msg *);
int	cmd_setname(struct client *, struct msg *);
int	cmd_monitor(struct client *, struct msg *);
int	cmd_userhost(struct client *, struct msg *);
int	cmd_ison(struct client *, struct msg *);
int	cmd_admin(struct client *, struct msg *);
int	cmd_info(struct client *, struct msg *);
int	cmd_help(struct client *, struct msg *);

#endif
