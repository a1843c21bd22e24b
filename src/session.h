/*
 * struct session: one connection's IRC state.  Each session belongs to a
 * struct client (the user other people see: nick, channels, modes).  A
 * user logged into one account from several devices is one client with
 * several sessions: they share the nick and the channels, and each
 * session sees what the others send and receive.
 *
 * What is per session: the conn, the capabilities negotiated, the
 * registration steps, the flood budget, the timeouts and the labeled
 * response in progress.  Everything else is the client's.
 *
 * Lifetime: made with its conn, freed with its conn.  session_quit()
 * runs first (at reap): it takes the session off its client, and when it
 * was the client's last one, the client quits.
 */
#ifndef LANCHAT_SESSION_H
#define LANCHAT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "flood.h"

struct client;
struct conn;
struct line;
struct rctx;

#define SESSION_REGISTERED	0x0001
#define SESSION_CAP_NEG		0x0002	/* CAP LS/REQ before registration */
#define SESSION_PASS_OK		0x0004
#define SESSION_GOT_USER	0x0008
#define SESSION_GOT_PASS	0x0010
#define SESSION_PINGED		0x0020
#define SESSION_QUIT		0x0040
#define SESSION_PAUSED		0x0080	/* input waits for an answer */

struct session {
	uint64_t		 id;
	struct conn		*conn;
	struct client		*client;
	unsigned int		 flags;
	uint64_t		 caps;
	int			 cap_version;
	struct flood		 flood;
	uint64_t		 conn_ms;	/* connected (monotonic) */
	uint64_t		 last_ms;	/* last line (monotonic) */
	uint64_t		 ping_ms;	/* PING sent (monotonic) */
	TAILQ_ENTRY(session)	 tq;		/* unreg, active or pinged */
	TAILQ_ENTRY(session)	 sib;		/* client->sessions */
	struct rctx		*rctx;		/* labeled response open */
	char			*certfp;	/* TLS client certificate */
	void			*auth;		/* SASL in progress */
	uint32_t		 refs;
	uint32_t		 nevents;	/* its events not delivered */
};

TAILQ_HEAD(session_list, session);

struct session	*session_new(struct conn *);
struct session	*session_ref(struct session *);
void		 session_unref(struct session *);
void		 session_pause(struct session *);
void		 session_resume(struct session *);
int		 session_line(struct session *, char *, size_t);
void		 session_quit(struct session *, const char *);
void		 session_send(struct session *, struct line *);
void		 session_send_now(struct session *, struct line *);
void		 session_sendf(struct session *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 session_has_cap(const struct session *, int);
void		 session_bucket_take(struct session *, int);
void		 session_try_register(struct session *);
void		 session_tick(uint64_t);
void		 session_exit(struct session *, const char *);

#endif
