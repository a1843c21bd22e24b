/*
 * struct client: one IRC session on top of one struct conn.  Registration
 * state, capabilities, nick and user, modes, the channels it is in, its
 * flood budget and its place in the timeout lists.
 *
 * Lifetime: created with its conn, freed with its conn (in libuv's close
 * callback).  client_quit() runs first, when the conn is reaped: it takes
 * the client out of every table and tells the others, so that after it
 * the client is reachable only through its conn.
 */
#ifndef LANCHAT_CLIENT_H
#define LANCHAT_CLIENT_H

#include "compat.h"
#include "flood.h"
#include <stddef.h>
#include <stdint.h>

struct channel;
struct conn;
struct line;
struct membership;
struct msg;
struct rctx;

#define CLIENT_REGISTERED	0x0001
#define CLIENT_CAP_NEG		0x0002	/* CAP LS/REQ before registration */
#define CLIENT_PASS_OK		0x0004
#define CLIENT_PINGED		0x0008
#define CLIENT_QUIT		0x0010	/* client_quit() has run */
#define CLIENT_GOT_USER		0x0020
#define CLIENT_GOT_PASS		0x0040

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
	CAP_COUNT
};
#define CAPF(id)	(1ULL << (id))

struct client {
	uint64_t		 id;
	struct conn		*conn;
	unsigned int		 flags;
	unsigned int		 umodes;
	uint64_t		 caps;
	int			 cap_version;
	char			*nick;		/* as the user wrote it */
	char			*fold;		/* key in srv.clients */
	char			*user;
	char			*realname;
	char			*host;
	char			*away;
	char			*account;	/* NULL: not logged in */
	char			*certfp;	/* TLS client certificate */

	struct membership	**chans;
	uint32_t		 nchans, chancap;
	char			**monitor;	/* folded nicks */
	uint32_t		 nmonitor;
	char			**invites;	/* folded channel names */
	uint32_t		 ninvites;

	struct flood		 flood;		/* command budget */
	uint64_t		 conn_ms;	/* connected (monotonic) */
	uint64_t		 last_ms;	/* last line (monotonic) */
	uint64_t		 ping_ms;	/* PING sent (monotonic) */
	uint64_t		 signon;	/* wall seconds */
	uint64_t		 idle_since;	/* wall seconds, last message */
	uint64_t		 mark;		/* fan-out dedup epoch */
	TAILQ_ENTRY(client)	 tq;		/* unreg, active or pinged */
	struct rctx		*rctx;		/* labeled response in progress */
};

TAILQ_HEAD(client_list, client);

struct client	*client_new(struct conn *);
void		 client_free(struct client *);
int		 client_line(struct client *, char *, size_t);
void		 client_quit(struct client *, const char *);
void		 client_tick(uint64_t);
void		 client_bucket_take(struct client *, int);
struct client	*client_find(const char *);
void		 client_send(struct client *, struct line *);
void		 client_sendf(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 client_set_nick(struct client *, const char *, const char *);
void		 client_try_register(struct client *);
const char	*client_prefix(const struct client *);
const char	*client_name(const struct client *);
int		 client_has_cap(const struct client *, int);
void		 client_exit(struct client *, const char *);
void		 client_add_invite(struct client *, const char *);
int		 client_has_invite(const struct client *, const char *);
void		 client_del_invite(struct client *, const char *);
int		 client_is_visible_to(const struct client *,
		    const struct client *);
void		 client_each_reg(void (*)(struct client *, void *), void *);

#endif
