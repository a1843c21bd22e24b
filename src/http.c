/*
 * HTTP on the web port; see http.h.
 *
 * A conn in PROTO_HTTP owns a struct http_state: the parser, the request
 * being read (URL and the headers we use, each bounded), and its place in
 * the timeout lists.  Requests are answered as soon as their headers are
 * in; only uploads read a body, and upload.c streams it to disk.  A
 * WebSocket upgrade hands the conn to ws.c and gives it an IRC session;
 * the bytes after the request are already WebSocket frames.
 *
 * A request that upload.c answers later (a download, an upload being
 * stored) holds h->upload until upload.c calls http_done().  Meanwhile
 * the parser is paused at the end of the request, the bytes behind it
 * (a pipelined request) wait in h->saved, and the socket is not read.
 *
 * Timeouts cost nothing per conn: one list per kind of wait (headers,
 * keep-alive idle, a body or a response making no progress), each in
 * deadline order because every entry of a list waits as long; each is
 * looked at from its head once a second.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <openssl/evp.h>

#include "buf.h"
#include "compat.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "upload.h"
#include "util.h"
#include "webfiles.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct http_state {
	http_parser		 p;
	struct conn		*c;
	struct buf		 url;
	struct buf		 field;
	struct buf		 value;
	int			 in_value;
	size_t			 hbytes;
	int			 nheaders;
	char			*host;
	char			*origin;
	char			*ws_key;
	char			*ws_version;
	char			*ws_protocol;
	char			*authorization;
	char			*content_type;
	char			*content_disposition;
	char			*range;
	char			*if_range;
	char			*if_none_match;
	char			*expect;
	int			 upgrade_ws;
	int			 started;	/* bytes of a request came */
	int			 hdone;		/* its headers are in */
	int			 answered;	/* a response went out */
	int			 close;		/* close after it */
	int			 waiting;	/* the answer comes later */
	int			 body;		/* it has a body to read */
	int			 discard;	/* refused: read it, drop it */
	size_t			 discarded;
	struct upload		*upload;	/* upload.c answers this one */
	struct buf		 saved;		/* input behind the request */
	int			 tkind;		/* HT_*: the list it is on */
	uint64_t		 deadline;
	TAILQ_ENTRY(http_state)	 entry;
};

/* The timeout lists. */
#define HT_HEADER	0	/* the headers of a request must come */
#define HT_IDLE		1	/* keep-alive: the next request may come */
#define HT_STALL	2	/* a body or a response must make progress */
#define HT_COUNT	3
#define HT_NONE		(-1)	/* on no list: the conn is going */

TAILQ_HEAD(http_list, http_state);
static struct http_list	http_waiting[HT_COUNT] = {
	TAILQ_HEAD_INITIALIZER(http_waiting[0]),
	TAILQ_HEAD_INITIALIZER(http_waiting[1]),
	TAILQ_HEAD_INITIALIZER(http_waiting[2]),
};

static http_parser_settings	http_settings;

static int	http_host_ok(const char *);

static void
http_clear_request(struct http_state *h)
{
	buf_reset(&h->url);
	buf_reset(&h->field);
	buf_reset(&h->value);
	h->in_value = 0;
	h->hbytes = 0;
	h->nheaders = 0;
	free(h->host);
	free(h->origin);
	free(h->ws_key);
	free(h->ws_version);
	free(h->ws_protocol);
	free(h->authorization);
	free(h->content_type);
	free(h->content_disposition);
	free(h->range);
	free(h->if_range);
	free(h->if_none_match);
	free(h->expect);
	h->host = h->origin = h->ws_key = h->ws_version = NULL;
	h->ws_protocol = h->authorization = h->content_type = NULL;
	h->content_disposition = h->range = NULL;
	h->if_range = h->if_none_match = h->expect = NULL;
	h->upgrade_ws = 0;
	h->started = 0;
	h->hdone = 0;
	h->answered = 0;
	h->body = 0;
	h->discard = 0;
	h->discarded = 0;
}

/* (Re)arm h's deadline on the list of kind: it waits for that now. */
static void
http_arm(struct http_state *h, int kind)
{
	long long	secs = kind == HT_HEADER ? srv.cfg.http_header_timeout :
			    srv.cfg.http_idle_timeout;

	if (h->tkind == HT_NONE)
		return;
	TAILQ_REMOVE(&http_waiting[h->tkind], h, entry);
	h->tkind = kind;
	h->deadline = now_ms() + (uint64_t)secs * 1000;
	TAILQ_INSERT_TAIL(&http_waiting[kind], h, entry);
}

/* A body or a response made progress: it has another stall timeout. */
void
http_progress(struct conn *c)
{
	struct http_state	*h = c->up;

	if (c->proto == PROTO_HTTP && h != NULL)
		http_arm(h, HT_STALL);
}

/*
 * The security headers every response carries (DESIGN.md "Trust").  A
 * user's file (file set) gets a policy that allows nothing and sandboxes
 * whatever a browser makes of it.
 */
static void
http_common_headers(struct conn *c, struct buf *b, int file)
{
	struct http_state	*h = c->up;
	const char		*host = h != NULL && h->host != NULL &&
				    http_host_ok(h->host) ? h->host : "";

	buf_addstr(b, "Server: lanchat\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "X-Frame-Options: DENY\r\n");
	if (file)
		buf_addstr(b, "Content-Security-Policy: default-src 'none'; "
		    "sandbox\r\n");
	else
		buf_printf(b, "Content-Security-Policy: default-src 'self'; "
		    "script-src 'self'; style-src 'self'; img-src 'self' "
		    "data: blob:; media-src 'self' blob:; connect-src 'self' "
		    "ws://%s wss://%s; font-src 'self'; object-src 'none'; "
		    "base-uri 'none'; form-action 'self'; "
		    "frame-ancestors 'none'\r\n", host, host);
	if (c->flags & CONN_SECURE)
		buf_addstr(b, "Strict-Transport-Security: "
		    "max-age=31536000\r\n");
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	}
	return "Error";
}

/* The status line and headers of a response, into b. */
static void
http_head(struct conn *c, struct buf *b, int status, int file,
    const char *type, const char *extra, uint64_t clen)
{
	struct http_state	*h = c->up;

	buf_printf(b, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	http_common_headers(c, b, file);
	if (type != NULL)
		buf_printf(b, "Content-Type: %s\r\n", type);
	if (extra != NULL)
		buf_addstr(b, extra);
	if (status != 204 && status != 304)
		buf_printf(b, "Content-Length: %llu\r\n",
		    (unsigned long long)clen);
	if (h == NULL || h->close)
		buf_addstr(b, "Connection: close\r\n");
	buf_addstr(b, "\r\n");
	if (h != NULL)
		h->answered = 1;
	log_trace(TRACE_HTTP, "conn %llu: HTTP %d", (unsigned long long)c->id,
	    status);
}

/*
 * Send a whole response: status, type (NULL: none), extra header lines
 * (each ending in CRLF, or NULL), and a body.  A HEAD request gets the
 * headers only.
 */
void
http_respond(struct conn *c, int status, const char *type, const char *extra,
    const char *body, size_t len)
{
	struct http_state	*h = c->up;
	struct buf		 b;
	int			 head = h != NULL && h->p.method == HTTP_HEAD;

	if (c->flags & (CONN_CLOSED | CONN_DYING | CONN_CLOSING))
		return;
	buf_init(&b);
	http_head(c, &b, status, 0, type, extra, len);
	if (!head && len > 0)
		buf_add(&b, body, len);
	c->ops->write_raw(c, b.data, b.len);
	buf_free(&b);
}

/*
 * Send the head of a response whose body is a user's file of clen bytes
 * (the caller writes the body, unless the request is HEAD): the files'
 * sandbox policy instead of the web client's.
 */
void
http_respond_file(struct conn *c, int status, const char *type,
    const char *extra, uint64_t clen)
{
	struct buf	b;

	if (c->flags & (CONN_CLOSED | CONN_DYING | CONN_CLOSING))
		return;
	buf_init(&b);
	http_head(c, &b, status, 1, type, extra, clen);
	c->ops->write_raw(c, b.data, b.len);
	buf_free(&b);
}

/*
 * A short text answer, "<status> <reason>[: text]", with extra header
 * lines (or NULL).  The conn stays open.
 */
void
http_respond_text(struct conn *c, int status, const char *extra,
    const char *text)
{
	char	body[512];
	int	n;

	n = snprintf(body, sizeof body, "%d %s%s%s\n", status,
	    http_reason(status), text != NULL ? ": " : "",
	    text != NULL ? text : "");
	if (n >= (int)sizeof body)
		n = sizeof body - 1;
	http_respond(c, status, "text/plain; charset=utf-8", extra, body, n);
}

/* An error page: a short text, then close if the request was bad. */
static void
http_error(struct conn *c, int status, const char *text, int close)
{
	struct http_state	*h = c->up;

	if (h != NULL && close)
		h->close = 1;
	http_respond_text(c, status, NULL, text);
	if (close)
		conn_kill(c, http_reason(status), 0);
}

/*
 * Refuse the request with status, extra headers (or NULL) and a short
 * text, and close the conn after it.  Its body is not stored: at most a
 * little of it is read, and dropped.
 */
void
http_fail(struct conn *c, int status, const char *extra, const char *text)
{
	struct http_state	*h = c->up;

	if (h != NULL)
		h->close = 1;
	http_respond_text(c, status, extra, text);
	if (h != NULL && h->hdone && h->body && h->upload == NULL &&
	    !h->waiting) {
		/* Refused before its body: a client that sends it anyway
		 * (no Expect: 100-continue) would get a reset instead of
		 * this answer if we closed with its bytes unread.  Read a
		 * little of it to nowhere first (a lingering close). */
		h->discard = 1;
		http_arm(h, HT_HEADER);
		return;
	}
	conn_kill(c, http_reason(status), 0);
}

/* A request begins: its headers must be in in time (slowloris). */
static int
http_on_message_begin(http_parser *p)
{
	struct http_state	*h = p->data;

	h->started = 1;
	http_arm(h, HT_HEADER);
	return 0;
}

static int
http_on_url(http_parser *p, const char *at, size_t len)
{
	struct http_state	*h = p->data;

	if (h->url.len + len > HTTP_URL_MAX) {
		http_error(h->c, 414, NULL, 1);
		return -1;
	}
	buf_add(&h->url, at, len);
	return 0;
}

/* The header just read in full: keep it if we use it. */
static void
http_header_done(struct http_state *h)
{
	const char	*f = h->field.data, *v = h->value.data;
	char		**slot = NULL;

	if (h->field.len == 0)
		return;
	if (v == NULL)
		v = "";
	if (strcasecmp(f, "Host") == 0)
		slot = &h->host;
	else if (strcasecmp(f, "Origin") == 0)
		slot = &h->origin;
	else if (strcasecmp(f, "Sec-WebSocket-Key") == 0)
		slot = &h->ws_key;
	else if (strcasecmp(f, "Sec-WebSocket-Version") == 0)
		slot = &h->ws_version;
	else if (strcasecmp(f, "Sec-WebSocket-Protocol") == 0)
		slot = &h->ws_protocol;
	else if (strcasecmp(f, "Authorization") == 0)
		slot = &h->authorization;
	else if (strcasecmp(f, "Content-Type") == 0)
		slot = &h->content_type;
	else if (strcasecmp(f, "Content-Disposition") == 0)
		slot = &h->content_disposition;
	else if (strcasecmp(f, "Range") == 0)
		slot = &h->range;
	else if (strcasecmp(f, "If-Range") == 0)
		slot = &h->if_range;
	else if (strcasecmp(f, "If-None-Match") == 0)
		slot = &h->if_none_match;
	else if (strcasecmp(f, "Expect") == 0)
		slot = &h->expect;
	else if (strcasecmp(f, "Upgrade") == 0)
		h->upgrade_ws = strcasecmp(v, "websocket") == 0;
	if (slot != NULL) {
		free(*slot);
		*slot = xstrdup(v);
	}
	buf_reset(&h->field);
	buf_reset(&h->value);
}

static int
http_count(struct http_state *h, size_t len)
{
	h->hbytes += len;
	if (h->hbytes > HTTP_HEADERS_MAX || h->nheaders > HTTP_HEADER_COUNT) {
		http_error(h->c, 431, NULL, 1);
		return -1;
	}
	return 0;
}

static int
http_on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_state	*h = p->data;

	if (h->in_value) {
		http_header_done(h);
		h->in_value = 0;
	}
	if (h->field.len == 0)
		h->nheaders++;
	if (http_count(h, len) != 0)
		return -1;
	buf_add(&h->field, at, len);
	return 0;
}

static int
http_on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_state	*h = p->data;

	h->in_value = 1;
	if (http_count(h, len) != 0)
		return -1;
	buf_add(&h->value, at, len);
	return 0;
}

/* The path of the URL, without the query; "" if the URL is not one. */
static void
http_path(const char *url, char *out, size_t outsz)
{
	size_t	n = strcspn(url, "?#");

	if (url[0] != '/' || n >= outsz) {
		out[0] = '\0';
		return;
	}
	memcpy(out, url, n);
	out[n] = '\0';
}

/*
 * Is a Host header fit to be repeated (in a policy, an upload URL)?  A
 * name or address and a port, nothing else.
 */
static int
http_host_ok(const char *host)
{
	size_t	n = strlen(host);

	return n > 0 && n <= 255 && strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

/*
 * Is the Origin of a browser request (NULL: none) this server, reached
 * as host, or one the settings allow?
 */
int
http_origin_allowed(const char *o, const char *host)
{
	const char	*p;
	size_t		 hl;

	if (o == NULL)
		return 1;	/* not a browser: nothing to forge */
	if (strncmp(o, "http://", 7) == 0)
		p = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		p = o + 8;
	else
		return 0;
	hl = host != NULL ? strlen(host) : 0;
	if (hl > 0 && strncasecmp(p, host, hl) == 0 && p[hl] == '\0')
		return 1;
	if (srv.cfg.web_origin != NULL && *srv.cfg.web_origin != '\0') {
		const char	*list = srv.cfg.web_origin, *q;
		size_t		 n;

		for (q = list; *q != '\0'; q += n + (q[n] == ',')) {
			n = strcspn(q, ",");
			if (n == strlen(o) && strncasecmp(q, o, n) == 0)
				return 1;
		}
	}
	return 0;
}

/* The subprotocol to answer with: the client's first one we speak. */
static int
http_ws_protocol(const char *offer, const char **name)
{
	const char	*p = offer;
	size_t		 n;

	*name = NULL;
	if (p == NULL)
		return WS_PROTO_TEXT;	/* legacy: text, no header */
	while (*p != '\0') {
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 16 && strncmp(p, "binary.ircv3.net", 16) == 0) {
			*name = "binary.ircv3.net";
			return WS_PROTO_BINARY;
		}
		if (n == 14 && strncmp(p, "text.ircv3.net", 14) == 0) {
			*name = "text.ircv3.net";
			return WS_PROTO_TEXT;
		}
		p += n;
	}
	return 0;
}

/* Answer the WebSocket handshake (RFC 6455 4.2.2).  0, or -1. */
static int
http_ws_accept(struct conn *c)
{
	struct http_state	*h = c->up;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 accept[64], *kg;
	struct buf		 b;
	const char		*pname;
	int			 proto;

	if (h->p.method != HTTP_GET || h->ws_key == NULL ||
	    strlen(h->ws_key) > 64) {
		http_error(c, 400, "not a WebSocket handshake", 1);
		return -1;
	}
	if (h->ws_version == NULL || strcmp(h->ws_version, "13") != 0) {
		h->close = 1;
		http_respond(c, 426, "text/plain; charset=utf-8",
		    "Sec-WebSocket-Version: 13\r\n", "426\n", 4);
		conn_kill(c, "Bad WebSocket version", 0);
		return -1;
	}
	if (!http_origin_allowed(h->origin, h->host)) {
		log_info("conn %llu: WebSocket from origin %s refused",
		    (unsigned long long)c->id, h->origin);
		http_error(c, 403, "origin not allowed", 1);
		return -1;
	}
	if ((proto = http_ws_protocol(h->ws_protocol, &pname)) == 0) {
		http_error(c, 400, "no supported subprotocol "
		    "(binary.ircv3.net, text.ircv3.net)", 1);
		return -1;
	}
	xasprintf(&kg, "%s%s", h->ws_key, WS_GUID);
	EVP_Digest(kg, strlen(kg), md, &mdlen, EVP_sha1(), NULL);
	free(kg);
	EVP_EncodeBlock((unsigned char *)accept, md, mdlen);
	buf_init(&b);
	buf_printf(&b, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n", accept);
	if (pname != NULL)
		buf_printf(&b, "Sec-WebSocket-Protocol: %s\r\n", pname);
	buf_addstr(&b, "\r\n");
	c->ops->write_raw(c, b.data, b.len);
	buf_free(&b);
	h->answered = 1;
	return proto;
}

/* Serve a file of the web client, or 404. */
static void
http_static(struct conn *c, const char *path)
{
	struct http_state	*h = c->up;
	const struct webfile	*f;
	char			 extra[256];

	if (strcmp(path, "/") == 0)
		path = "/index.html";
	if ((f = webfile_find(path)) == NULL) {
		http_error(c, 404, NULL, 0);
		return;
	}
	snprintf(extra, sizeof extra, "ETag: \"%s\"\r\nCache-Control: "
	    "no-cache\r\n", f->etag);
	/* The browser has this version: say so instead of sending it. */
	if (h->if_none_match != NULL &&
	    strstr(h->if_none_match, f->etag) != NULL) {
		http_respond(c, 304, NULL, extra, NULL, 0);
		return;
	}
	http_respond(c, 200, f->type, extra, (const char *)f->data, f->len);
}

static int
http_on_headers_complete(http_parser *p)
{
	struct http_state	*h = p->data;
	struct conn		*c = h->c;
	struct ipstat		*ip = c->ipstat;
	struct http_req		 req;
	char			 path[HTTP_URL_MAX + 1];

	if (h->in_value)
		http_header_done(h);
	h->in_value = 0;
	h->hdone = 1;
	if (ip != NULL && !flood_ok(&ip->http, now_ms(), HTTP_RATE,
	    HTTP_BURST)) {
		http_error(c, 429, "slow down", 1);
		return -1;
	}
	if (ip != NULL)
		flood_take(&ip->http, 1);
	if (!http_should_keep_alive(p))
		h->close = 1;
	http_path(h->url.data != NULL ? h->url.data : "", path, sizeof path);
	if (path[0] == '\0') {
		http_error(c, 400, "bad URL", 1);
		return -1;
	}
	if (p->upgrade) {
		if (!h->upgrade_ws || strcmp(path, "/") != 0) {
			http_error(c, 400, "only WebSocket upgrades of /", 1);
			return -1;
		}
		return 0;	/* handled once http_parser_execute returns */
	}
	if (strcmp(path, "/upload") == 0 || strncmp(path, "/upload/", 8) ==
	    0 || strncmp(path, "/files/", 7) == 0) {
		memset(&req, 0, sizeof req);
		req.method = p->method;
		req.path = path;
		req.host = h->host;
		req.origin = h->origin;
		req.authorization = h->authorization;
		req.content_type = h->content_type;
		req.content_disposition = h->content_disposition;
		req.range = h->range;
		req.if_range = h->if_range;
		req.if_none_match = h->if_none_match;
		req.expect = h->expect;
		req.content_length = (p->flags & F_CONTENTLENGTH) ?
		    (int64_t)p->content_length : -1;
		req.chunked = (p->flags & F_CHUNKED) != 0;
		h->body = req.chunked || req.content_length > 0;
		h->upload = upload_begin(c, &req);
		if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
			return -1;
		if (h->discard)
			return 0;
		if (h->upload != NULL)
			http_arm(h, HT_STALL);
		return 0;
	}
	if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
		http_error(c, 405, NULL, 1);
		return -1;
	}
	http_static(c, path);
	return 0;
}

static int
http_on_body(http_parser *p, const char *at, size_t len)
{
	struct http_state	*h = p->data;

	if (h->upload != NULL) {
		http_arm(h, HT_STALL);
		return upload_body(h->upload, at, len);
	}
	if (h->discard) {
		h->discarded += len;
		if (h->discarded <= HTTP_DISCARD_MAX)
			return 0;
		conn_kill(h->c, "HTTP body refused", 0);
		return -1;
	}
	/* A body nobody asked for: refuse it rather than read it. */
	if (!h->answered)
		http_error(h->c, 413, NULL, 1);
	else
		conn_kill(h->c, "HTTP body refused", 0);
	return -1;
}

static int
http_on_message_complete(http_parser *p)
{
	struct http_state	*h = p->data;

	if (p->upgrade)
		return 0;	/* http_input() takes it from here */
	if (h->discard) {
		conn_kill(h->c, "HTTP body refused", 0);
		return -1;
	}
	if (h->upload != NULL) {
		/* upload.c answers when it can; nothing more is parsed
		 * until then (http_done). */
		h->waiting = 1;
		http_parser_pause(p, 1);
		upload_end(h->upload);
		return 0;
	}
	if (h->close) {
		conn_kill(h->c, "HTTP done", 0);
		return 0;
	}
	http_clear_request(h);
	http_arm(h, HT_IDLE);
	return 0;
}

/* A new conn on the web port. */
void
http_init(struct conn *c)
{
	struct http_state	*h = xcalloc(1, sizeof *h);

	if (http_settings.on_url == NULL) {
		http_parser_settings_init(&http_settings);
		http_settings.on_message_begin = http_on_message_begin;
		http_settings.on_url = http_on_url;
		http_settings.on_header_field = http_on_header_field;
		http_settings.on_header_value = http_on_header_value;
		http_settings.on_headers_complete = http_on_headers_complete;
		http_settings.on_body = http_on_body;
		http_settings.on_message_complete = http_on_message_complete;
	}
	http_parser_init(&h->p, HTTP_REQUEST);
	h->p.data = h;
	h->c = c;
	buf_init(&h->url);
	buf_init(&h->field);
	buf_init(&h->value);
	buf_init(&h->saved);
	c->up = h;
	c->proto = PROTO_HTTP;
	h->tkind = HT_HEADER;
	h->deadline = now_ms() + (uint64_t)srv.cfg.http_header_timeout * 1000;
	TAILQ_INSERT_TAIL(&http_waiting[HT_HEADER], h, entry);
}

/*
 * upload.c gives up on the request it handles (and forgets it): what is
 * left of its body is read to nowhere by http_fail() after this.
 */
void
http_detach(struct conn *c)
{
	struct http_state	*h = c->up;

	if (c->proto == PROTO_HTTP && h != NULL)
		h->upload = NULL;
}

/* Let go of the request upload.c handles (it may live on a little). */
static void
http_cancel(struct http_state *h)
{
	struct upload	*u = h->upload;

	if (u == NULL)
		return;
	h->upload = NULL;
	upload_abort(u);
}

void
http_free(struct conn *c)
{
	struct http_state	*h = c->up;

	if (h == NULL)
		return;
	http_cancel(h);
	if (h->tkind != HT_NONE)
		TAILQ_REMOVE(&http_waiting[h->tkind], h, entry);
	http_clear_request(h);
	buf_free(&h->url);
	buf_free(&h->field);
	buf_free(&h->value);
	buf_free(&h->saved);
	free(h);
	c->up = NULL;
}

/*
 * The response upload.c owed is out (queued in full).  The conn reads
 * its next request: first what came behind this one while it waited.
 */
void
http_done(struct conn *c)
{
	struct http_state	*h = c->up;
	char			*data;
	size_t			 len;

	if (c->proto != PROTO_HTTP || h == NULL)
		return;
	h->upload = NULL;
	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	if (!h->waiting || h->close) {
		/* Answered before its body was read (or asked to close). */
		conn_kill(c, "HTTP done", 0);
		return;
	}
	h->waiting = 0;
	http_clear_request(h);
	http_arm(h, HT_IDLE);
	http_parser_pause(&h->p, 0);
	conn_read_resume(c);
	if (h->saved.len > 0) {
		len = h->saved.len;
		data = buf_detach(&h->saved);
		buf_init(&h->saved);
		http_input(c, data, len);
		free(data);
	}
}

/* Input that must wait for the response in progress: keep it. */
static void
http_save(struct conn *c, const char *data, size_t len)
{
	struct http_state	*h = c->up;

	if (len == 0)
		return;
	conn_read_pause(c);
	if (h->saved.len + len > HTTP_SAVED_MAX) {
		http_cancel(h);
		conn_kill(c, "HTTP pipeline too deep", CONN_HARD);
		return;
	}
	buf_add(&h->saved, data, len);
}

/* Is host fit to be kept as the name the client reached us by? */
static char *
http_keep_host(const char *host)
{
	return host != NULL && http_host_ok(host) ? xstrdup(host) : NULL;
}

/*
 * Bytes from the client.  An upgrade to WebSocket switches the conn to
 * ws.c and starts its IRC session; what follows the request goes there.
 */
void
http_input(struct conn *c, char *data, size_t len)
{
	struct http_state	*h = c->up;
	size_t			 n;
	int			 proto;

	if (h->waiting) {
		http_save(c, data, len);
		return;
	}
	n = http_parser_execute(&h->p, &http_settings, data, len);
	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	if (h->p.upgrade) {
		if ((proto = http_ws_accept(c)) < 0)
			return;
		free(c->host);
		c->host = http_keep_host(h->host);
		http_free(c);
		if (ws_start(c, proto) != 0) {
			conn_kill(c, "WebSocket error", CONN_HARD);
			return;
		}
		conn_attach_session(c);
		if (n < len)
			ws_input(c, data + n, len - n);
		return;
	}
	if (HTTP_PARSER_ERRNO(&h->p) == HPE_PAUSED) {
		/* A response is in progress: the rest waits for it. */
		if (h->waiting)
			http_save(c, data + n, len - n);
		return;
	}
	if (HTTP_PARSER_ERRNO(&h->p) != HPE_OK) {
		http_cancel(h);
		if (!h->answered)
			http_error(c, 400, http_errno_description(
			    HTTP_PARSER_ERRNO(&h->p)), 1);
		else
			conn_kill(c, "HTTP error", 0);
	}
}

/* Some of what c had to write is written: a download may go on. */
void
http_written(struct conn *c)
{
	struct http_state	*h = c->up;

	if (h != NULL && h->upload != NULL)
		upload_written(h->upload);
}

/*
 * Housekeeping: requests whose headers take too long (slowloris), idle
 * keep-alive conns, bodies and responses that stopped moving.
 */
void
http_tick(uint64_t now)
{
	struct http_state	*h;
	int			 k;

	for (k = 0; k < HT_COUNT; k++) {
		while ((h = TAILQ_FIRST(&http_waiting[k])) != NULL &&
		    h->deadline <= now) {
			/* Off the lists for good: the conn goes. */
			TAILQ_REMOVE(&http_waiting[k], h, entry);
			h->tkind = HT_NONE;
			if (k == HT_STALL) {
				http_cancel(h);
				if (!h->answered)
					http_error(h->c, 408, "no progress",
					    1);
				else
					conn_kill(h->c, "HTTP stalled",
					    CONN_HARD);
			} else if (k == HT_HEADER && h->started &&
			    !h->answered)
				http_error(h->c, 408, NULL, 1);
			else
				conn_kill(h->c, "HTTP idle", CONN_HARD);
		}
	}
}
