/*
 * The web port: HTTP/1.1 requests parsed by http-parser.  It serves the
 * web client built into the binary, hands file uploads and downloads to
 * upload.c, and upgrades a GET of / to the IRCv3 WebSocket transport
 * (ws.c), where the connection becomes an IRC session like any other.
 *
 * Every request is bounded: URL, header bytes and count, body size, time
 * to send the headers (slowloris), time without progress on a body or a
 * download, requests per second per address.
 *
 * A response may come later than its request (a file read from disk, an
 * upload being committed): the request then owns the conn until
 * http_done(), and input that follows it waits, unparsed and unread.
 */
#ifndef LANCHAT_HTTP_H
#define LANCHAT_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct conn;

#define HTTP_URL_MAX		2048
#define HTTP_HEADERS_MAX	8192	/* bytes of all headers */
#define HTTP_HEADER_COUNT	64
#define HTTP_RATE		20	/* requests per second per address */
#define HTTP_BURST		200
#define HTTP_SAVED_MAX		(256 * 1024)	/* input behind a response */
#define HTTP_DISCARD_MAX	(1024 * 1024)	/* a refused body read */

/* The request, as upload.c sees it (valid during upload_begin()). */
struct http_req {
	int		 method;	/* http_parser's HTTP_GET, ... */
	const char	*path;		/* without query or fragment */
	const char	*host;
	const char	*origin;
	const char	*authorization;
	const char	*content_type;
	const char	*content_disposition;
	const char	*range;
	const char	*if_range;
	const char	*if_none_match;
	const char	*expect;
	int64_t		 content_length;	/* -1: none given */
	int		 chunked;
};

void	http_init(struct conn *);
void	http_input(struct conn *, char *, size_t);
void	http_free(struct conn *);
void	http_tick(uint64_t);
void	http_written(struct conn *);
void	http_respond(struct conn *, int, const char *, const char *,
	    const char *, size_t);
void	http_respond_file(struct conn *, int, const char *, const char *,
	    uint64_t);
void	http_respond_text(struct conn *, int, const char *, const char *);
void	http_fail(struct conn *, int, const char *, const char *);
void	http_progress(struct conn *);
void	http_done(struct conn *);
void	http_detach(struct conn *);
int	http_origin_allowed(const char *, const char *);

#endif
