/*
 * struct client: a user as the others see it: nick, user, host, realname,
 * away message, account, modes, the channels it is in.  Its connections
 * are its sessions (session.h); there is one, or several when one account
 * is logged in from several devices at once.
 *
 * While a command is dispatched, client->cur is the session that sent it:
 * replies (reply_num, client_send) go to that session only, and
 * client_has_cap() asks about its capabilities.  Outside dispatch,
 * client_send() reaches every session.
 *
 * Lifetime: a client is made unregistered with its first session, is
 * registered by it, and quits when its last session leaves; it is freed
 * at the end of that loop turn, once nothing can hold it any more.
 */
#ifndef LANCHAT_CLIENT_H
#define LANCHAT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "session.h"

struct channel;
struct line;
struct membership;
struct msg;

#define CLIENT_REGISTERED	0x0001
#define CLIENT_QUIT		0x0002	/* client_quit() has run */
#define CLIENT_ZOMBIE		0x0004	/* quit, waiting for its last ref */

#define UMODE_INVISIBLE		0x01	/* i */
#define UMODE_BOT		0x02	/* B */
#define UMODE_OPER		0x04	/* o */
#define UMODE_SECURE		0x08	/* Z: connected over TLS */

/* Capabilities, one bit each; names and values live in irc_cap.c. */
enum cap_id {
	CAP_MESSAGE_TAGS,
	CAP_SERVER_TIME,
	CAP_ECHO_MESSAGE,
	CAP_BATCH,
	CAP_LABELED_RESPONSE,
	CAP_MULTI_PREFIX,
	CAP_USERHOST_IN_NAMES,
	CAP_AWAY_NOTIFY,
	CAP_EXTENDED_JOIN,
	CAP_INVITE_NOTIFY,
	CAP_SETNAME,
	CAP_CHGHOST,
	CAP_CAP_NOTIFY,
	CAP_ACCOUNT_NOTIFY,
	CAP_ACCOUNT_TAG,
	CAP_EXTENDED_MONITOR,
	CAP_NO_IMPLICIT_NAMES,
	CAP_STANDARD_REPLIES,
	CAP_SASL,
	CAP_ACCOUNT_REGISTRATION,
	CAP_ACCOUNT_REQUIRED,
	CAP_CHATHISTORY,
	CAP_EVENT_PLAYBACK,
	CAP_READ_MARKER,
	CAP_MESSAGE_REDACTION,
	CAP_SEARCH,
	CAP_MESSAGE_EDIT,
	CAP_COUNT
};
#define CAPF(id)	(1ULL << (id))

struct client {
	uint64_t		 id;
	unsigned int		 flags;
	unsigned int		 umodes;
	char			*nick;		/* as the user wrote it */
	char			*fold;		/* key in srv.clients */
	char			*user;
	char			*realname;
	char			*host;
	char			*away;
	char			*account;	/* NULL: not logged in */
	char			*certfp;	/* of the first session */
	char			*want_nick;	/* asked for before registering,
						 * held by a logged-in user */

	struct membership	**chans;
	uint32_t		 nchans, chancap;
	char			**monitor;	/* folded nicks */
	uint32_t		 nmonitor;
	char			**invites;	/* folded channel names */
	uint32_t		 ninvites;

	uint64_t		 signon;	/* wall seconds */
	uint64_t		 idle_since;	/* wall seconds, last message */
	uint64_t		 mark;		/* fan-out dedup epoch */
	uint64_t		 enforce_ms;	/* rename unless logged in */
	TAILQ_ENTRY(client)	 enforce_entry;
	struct session_list	 sessions;
	uint32_t		 nsessions;
	struct session		*cur;		/* sending the command now */
	uint32_t		 refs;		/* events that name it */
	TAILQ_ENTRY(client)	 entry;		/* registered, or dead */
};

TAILQ_HEAD(client_list, client);

struct client	*client_new(struct session *);
void		 client_register(struct client *, struct session *);
void		 client_attach(struct client *, struct session *);
void		 client_detach(struct client *, struct session *,
		    const char *);
void		 client_quit(struct client *, const char *);
void		 client_reap(void);
struct client	*client_ref(struct client *);
void		 client_unref(struct client *);
struct client	*client_find(const char *);
void		 client_send(struct client *, struct line *);
void		 client_sendf(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 client_set_nick(struct client *, const char *, const char *);
const char	*client_prefix(const struct client *);
const char	*client_name(const struct client *);
int		 client_has_cap(const struct client *, int);
struct session	*client_session(const struct client *);
void		 client_exit(struct client *, const char *);
void		 client_add_invite(struct client *, const char *);
int		 client_has_invite(const struct client *, const char *);
void		 client_del_invite(struct client *, const char *);
int		 client_is_visible_to(const struct client *,
		    const struct client *);
void		 client_each_reg(void (*)(struct client *, void *), void *);
void		 client_bucket_take(struct client *, int);

#endif
