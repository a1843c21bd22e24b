/*
 * A whole lanchatd without sockets, for the harnesses that drive the
 * real command table, the HTTP side and the WebSocket side
 * (fuzz_session.c, fuzz_http.c, fuzz_ws.c).  See world.c.
 */
#ifndef LANCHAT_FUZZ_WORLD_H
#define LANCHAT_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"

#define WORLD_OUT_MAX	(256 * 1024)	/* output kept per conn */

/* world_client(): what the client does before it registers. */
#define WORLD_CAPS	0x01	/* asks for every capability */
#define WORLD_LOGIN	0x02	/* logs in, to an administrator's account */
#define WORLD_PASSWORD	"fuzz-password"
#define WORLD_MSGID_PREFIX	"f022"

/* One fake connection and what the server wrote to it. */
struct world_conn {
	struct conn	*c;		/* NULL once the server freed it */
	int		 proto;		/* PROTO_IRC, PROTO_HTTP, PROTO_WS */
	struct buf	 out;		/* bytes written, up to WORLD_OUT_MAX */
	size_t		 total;		/* bytes written in all */
	size_t		 lines;		/* IRC lines written */
	int		 killed;	/* the harness closed it */
};

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

void	world_init(void);
void	world_reset(void);
struct world_conn *world_conn(int, int);
struct world_conn *world_client(const char *, int);
void	world_input(struct world_conn *, const char *, size_t);
void	world_settle(void);
void	world_close_all(void);
int	world_alive(const struct world_conn *);
void	world_check_line(const char *, size_t);

#endif
