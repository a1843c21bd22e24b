/*
 * struct conn: one accepted socket.  It owns the bytes: a partial-line
 * receive buffer, the send queue of shared lines, and the transport state
 * (plain, TLS, later WebSocket) behind struct conn_ops (Redis
 * ConnectionType).  Above it sits one struct session, which it feeds one
 * line at a time.
 *
 * Lifetime (Redis freeClientAsync, tmux server_client_unref): nothing
 * frees a conn directly.  conn_kill() marks it DYING and queues it; once
 * per loop turn conn_reap() tells the session to quit, queues ERROR and
 * starts the close; the memory goes in libuv's close callback.  So a conn
 * pointer stays valid for the whole loop turn in which it was killed, and
 * a fan-out may safely touch a conn that a previous recipient's failure
 * killed.
 */
#ifndef LANCHAT_CONN_H
#define LANCHAT_CONN_H

#include "compat.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct session;
struct conn;
struct line;
struct ipstat;

#define CONN_DYING	0x0001	/* conn_kill() called, not yet reaped */
#define CONN_CLOSING	0x0002	/* flushing its last lines */
#define CONN_CLOSED	0x0004	/* uv_close() called */
#define CONN_THROTTLED	0x0008	/* input held back by flood control */
#define CONN_FLUSHQ	0x0010	/* on the per-turn flush list */
#define CONN_HARD	0x0020	/* close without flushing */
#define CONN_SECURE	0x0040	/* TLS */
#define CONN_SHUTDOWN	0x0080	/* uv_shutdown() issued */
#define CONN_READING	0x0100	/* uv_read_start() active */
#define CONN_WEB	0x0200	/* WebSocket transport */
#define CONN_LINGER	0x0800	/* closing: read and drop until EOF */
#define CONN_GOTDATA	0x0400	/* has read its first bytes */
#define CONN_HANDSHAKE	0x1000	/* TLS handshake not done: nothing to flush */
#define CONN_NOSOCK	0x2000	/* no socket: conn_new_nosock() */

/* What the client layer answers for each line it is given. */
#define CONN_LINE_OK		0
#define CONN_LINE_THROTTLE	1	/* not now: keep it and retry later */
#define CONN_LINE_STOP		(-1)	/* the conn is going away */
#define CONN_LINE_PAUSE		2	/* keep it until conn_resume() */

/* What the bytes above the transport are (conn->proto). */
#define PROTO_IRC	0	/* IRC lines (the IRC ports) */
#define PROTO_HTTP	1	/* HTTP requests (the web port) */
#define PROTO_WS	2	/* IRC lines in WebSocket messages */

struct conn_ops {
	const char	*name;
	/* Bytes read from the socket (the buffer is writable scratch). */
	void		(*read)(struct conn *, char *, size_t);
	/* Write what is queued. */
	void		(*flush)(struct conn *);
	/* Write bytes that are not lines (HTTP, WebSocket frames). */
	void		(*write_raw)(struct conn *, const char *, size_t);
	/* Last words before the socket closes (TLS close_notify). */
	void		(*shutdown)(struct conn *);
	void		(*free)(struct conn *);
};

struct conn {
	uint64_t		 id;
	uv_tcp_t		 tcp;
	const struct conn_ops	*ops;
	void			*tp;		/* transport state */
	struct session		*session;
	struct ipstat		*ipstat;
	unsigned int		 flags;
	int			 proto;		/* PROTO_* */
	void			*up;		/* HTTP or WebSocket state */

	char			*rbuf;		/* unparsed input, or NULL */
	uint32_t		 rlen, rcap;

	struct line		**q;		/* ring of queued lines */
	uint32_t		 qhead, qlen, qcap;
	size_t			 qbytes;	/* bytes in q */
	size_t			 wbytes;	/* handed to libuv, unwritten */

	char			*reason;	/* why it is dying */
	char			*error;		/* its ERROR text, or NULL */
	uint64_t		 close_ms;
	struct conn		*next_flush;
	struct conn		*next_dying;
	TAILQ_ENTRY(conn)	 entry;		/* all, or closing */
	TAILQ_ENTRY(conn)	 throttle_entry;
	char			 ip[INET6_ADDRSTRLEN + 1];
	uint16_t		 local_port;
	char			*host;		/* Host of a WebSocket upgrade */
};

TAILQ_HEAD(conn_list, conn);

extern const struct conn_ops conn_plain_ops;

struct conn	*conn_new(const struct conn_ops *);
struct conn	*conn_new_nosock(const struct conn_ops *, const char *);
int		 conn_start(struct conn *);
void		 conn_input(struct conn *, char *, size_t);
void		 conn_input_lines(struct conn *, char *, size_t);
void		 conn_write_copy(struct conn *, const char *, size_t);
int		 conn_start_http(struct conn *);
struct session	*conn_attach_session(struct conn *);
void		 conn_send(struct conn *, struct line *);
void		 conn_send_raw(struct conn *, const char *, size_t);
void		 conn_kill(struct conn *, const char *, int);
void		 conn_kill_error(struct conn *, const char *, const char *,
		    int);
void		 conn_each(void (*)(struct conn *, void *), void *);
void		 conn_resume(struct conn *);
void		 conn_throttle(struct conn *);
void		 conn_reap(void);
void		 conn_flush_all(void);
void		 conn_flood_tick(void);
void		 conn_tick(uint64_t);
void		 conn_shutdown_all(const char *);
void		 conn_close_all_now(void);
void		 conn_write_owned(struct conn *, char *, size_t);
void		 conn_written(struct conn *);
void		 conn_read_pause(struct conn *);
void		 conn_read_resume(struct conn *);
size_t		 conn_count(void);
int		 conn_any_throttled(void);
size_t		 conn_sendq(const struct conn *);
struct line	*conn_queue_pop(struct conn *);

#endif
