/*
 * The web port: HTTP/1.1 requests parsed by http-parser.  It serves the
 * web client built into the binary, answers file uploads and downloads,
 * and upgrades a GET of / to the IRCv3 WebSocket transport (ws.c), where
 * the connection becomes an IRC session like any other.
 *
 * Every request is bounded: URL, header bytes and count, body size, time
 * to send the headers (slowloris), requests per second per address.
 */
#ifndef LANCHAT_HTTP_H
#define LANCHAT_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct conn;

#define HTTP_URL_MAX		2048
#define HTTP_HEADERS_MAX	8192	/* bytes of all headers */
#define HTTP_HEADER_COUNT	64
#define HTTP_HEADER_TIMEOUT	10	/* seconds to send the headers */
#define HTTP_IDLE_TIMEOUT	60	/* keep-alive between requests */
#define HTTP_RATE		20	/* requests per second per address */
#define HTTP_BURST		200

void	http_init(struct conn *);
void	http_input(struct conn *, char *, size_t);
void	http_free(struct conn *);
void	http_tick(uint64_t);
void	http_respond(struct conn *, int, const char *, const char *,
	    const char *, size_t);

#endif
