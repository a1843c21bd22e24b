/*
 * The IRCv3 WebSocket transport: after an HTTP upgrade on the web port,
 * each WebSocket message is one IRC line, both ways (subprotocols
 * binary.ircv3.net and text.ircv3.net).  Framing is wslay's; this module
 * glues it to the conn: messages in become lines for the session, queued
 * lines out become messages.
 */
#ifndef LANCHAT_WS_H
#define LANCHAT_WS_H

#include <stddef.h>

struct conn;

#define WS_PROTO_BINARY	1
#define WS_PROTO_TEXT	2

int	ws_start(struct conn *, int);
void	ws_input(struct conn *, char *, size_t);
void	ws_flush(struct conn *);
void	ws_free(struct conn *);
void	ws_close(struct conn *);

#endif
