/*
 * HTTP on the web port; see http.h.
 *
 * A conn in PROTO_HTTP owns a struct http_state: the parser, the request
 * being read (URL and the headers we use, each bounded), and its place in
 * the timeout list.  Requests are answered as soon as their headers are
 * in (nothing here reads a body yet but uploads, which stream it).  A
 * WebSocket upgrade hands the conn to ws.c and gives it an IRC session;
 * the bytes after the request are already WebSocket frames.
 *
 * Timeouts cost nothing per conn: one list in deadline order, looked at
 * from its head once a second.
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
	int			 upgrade_ws;
	int			 answered;	/* a response went out */
	int			 close;		/* close after it */
	struct upload		*upload;	/* a POST being stored */
	uint64_t		 deadline;
	TAILQ_ENTRY(http_state)	 entry;
};

TAILQ_HEAD(http_list, http_state);
static struct http_list	http_waiting = TAILQ_HEAD_INITIALIZER(http_waiting);

static http_parser_settings	http_settings;

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
	h->host = h->origin = h->ws_key = h->ws_version = NULL;
	h->ws_protocol = h->authorization = h->content_type = NULL;
	h->content_disposition = h->range = NULL;
	h->upgrade_ws = 0;
	h->answered = 0;
}

/* (Re)arm the deadline: the next request's headers must come in time. */
static void
http_arm(struct http_state *h, int seconds)
{
	TAILQ_REMOVE(&http_waiting, h, entry);
	h->deadline = now_ms() + (uint64_t)seconds * 1000;
	TAILQ_INSERT_TAIL(&http_waiting, h, entry);
}

/* The security headers every response carries (DESIGN.md "Trust"). */
static void
http_common_headers(struct conn *c, struct buf *b)
{
	struct http_state	*h = c->up;
	const char		*host = h != NULL && h->host != NULL ? h->host :
				    "";

	buf_printf(b, "Server: lanchat\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Content-Security-Policy: default-src 'self'; script-src 'self'; "
	    "style-src 'self'; img-src 'self' data: blob:; media-src 'self' "
	    "blob:; connect-src 'self' ws://%s wss://%s; font-src 'self'; "
	    "object-src 'none'; base-uri 'none'; form-action 'self'; "
	    "frame-ancestors 'none'\r\n", host, host);
	if (c->flags & CONN_SECURE)
		buf_addstr(b, "Strict-Transport-Security: max-age=31536000\r\n");
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
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	}
	return "Error";
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
	buf_printf(&b, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	http_common_headers(c, &b);
	if (type != NULL)
		buf_printf(&b, "Content-Type: %s\r\n", type);
	if (extra != NULL)
		buf_addstr(&b, extra);
	buf_printf(&b, "Content-Length: %zu\r\n", len);
	if (h == NULL || h->close)
		buf_addstr(&b, "Connection: close\r\n");
	buf_addstr(&b, "\r\n");
	if (!head && len > 0)
		buf_add(&b, body, len);
	c->ops->write_raw(c, b.data, b.len);
	buf_free(&b);
	if (h != NULL)
		h->answered = 1;
	log_trace(TRACE_HTTP, "conn %llu: HTTP %d", (unsigned long long)c->id,
	    status);
}

/* An error page: a short text, then close if the request was bad. */
static void
http_error(struct conn *c, int status, const char *text, int close)
{
	struct http_state	*h = c->up;
	char			 body[256];
	int			 n;

	if (h != NULL && close)
		h->close = 1;
	n = snprintf(body, sizeof body, "%d %s%s%s\n", status,
	    http_reason(status), text != NULL ? ": " : "",
	    text != NULL ? text : "");
	http_respond(c, status, "text/plain; charset=utf-8", NULL, body, n);
	if (close)
		conn_kill(c, http_reason(status), 0);
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

/* Is the Origin of a browser request this server (or one allowed)? */
static int
http_origin_ok(struct http_state *h)
{
	const char	*o = h->origin, *p;
	size_t		 hl;

	if (o == NULL)
		return 1;	/* not a browser: nothing to forge */
	if (h->host == NULL)
		return 0;
	if (strncmp(o, "http://", 7) == 0)
		p = o + 7;
	else if (strncmp(o, "https://", 8) == 0)
		p = o + 8;
	else
		return 0;
	hl = strlen(h->host);
	if (strncasecmp(p, h->host, hl) == 0 && p[hl] == '\0')
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
	if (!http_origin_ok(h)) {
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
	(void)h;
	http_respond(c, 200, f->type, extra, (const char *)f->data, f->len);
}

static int
http_on_headers_complete(http_parser *p)
{
	struct http_state	*h = p->data;
	struct conn		*c = h->c;
	struct ipstat		*ip = c->ipstat;
	char			 path[HTTP_URL_MAX + 1];

	if (h->in_value)
		http_header_done(h);
	h->in_value = 0;
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
	if (strncmp(path, "/upload", 7) == 0 || strncmp(path, "/files/", 7) ==
	    0) {
		h->upload = upload_begin(c, p->method, path, h->authorization,
		    h->content_type, h->content_disposition, h->range,
		    p->content_length == ULLONG_MAX ? -1 :
		    (int64_t)p->content_length);
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

	if (h->upload != NULL)
		return upload_body(h->upload, at, len);
	/* A body nobody asked for: refuse it rather than read it. */
	if (!h->answered)
		http_error(h->c, 413, NULL, 1);
	return -1;
}

static int
http_on_message_complete(http_parser *p)
{
	struct http_state	*h = p->data;

	if (p->upgrade)
		return 0;	/* http_input() takes it from here */
	if (h->upload != NULL) {
		upload_end(h->upload);
		h->upload = NULL;
	}
	if (h->close) {
		conn_kill(h->c, "HTTP done", 0);
		return 0;
	}
	http_clear_request(h);
	http_arm(h, HTTP_IDLE_TIMEOUT);
	return 0;
}

/* A new conn on the web port. */
void
http_init(struct conn *c)
{
	struct http_state	*h = xcalloc(1, sizeof *h);

	if (http_settings.on_url == NULL) {
		http_parser_settings_init(&http_settings);
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
	c->up = h;
	c->proto = PROTO_HTTP;
	h->deadline = now_ms() + HTTP_HEADER_TIMEOUT * 1000;
	TAILQ_INSERT_TAIL(&http_waiting, h, entry);
}

void
http_free(struct conn *c)
{
	struct http_state	*h = c->up;

	if (h == NULL)
		return;
	if (h->upload != NULL)
		upload_abort(h->upload);
	TAILQ_REMOVE(&http_waiting, h, entry);
	http_clear_request(h);
	buf_free(&h->url);
	buf_free(&h->field);
	buf_free(&h->value);
	free(h);
	c->up = NULL;
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

	if (h->hbytes == 0 && h->url.len == 0)
		http_arm(h, HTTP_HEADER_TIMEOUT);
	n = http_parser_execute(&h->p, &http_settings, data, len);
	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	if (h->p.upgrade) {
		if ((proto = http_ws_accept(c)) < 0)
			return;
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
	if (HTTP_PARSER_ERRNO(&h->p) != HPE_OK) {
		if (!h->answered)
			http_error(c, 400, http_errno_description(
			    HTTP_PARSER_ERRNO(&h->p)), 1);
		else
			conn_kill(c, "HTTP error", 0);
	}
}

/* Housekeeping: requests that took too long, idle keep-alive conns. */
void
http_tick(uint64_t now)
{
	struct http_state	*h, *next;

	TAILQ_FOREACH_SAFE(h, &http_waiting, entry, next) {
		if (h->deadline > now)
			break;
		TAILQ_REMOVE(&http_waiting, h, entry);
		h->deadline = UINT64_MAX;
		TAILQ_INSERT_TAIL(&http_waiting, h, entry);
		if (h->url.len > 0 || h->hbytes > 0)
			http_error(h->c, 408, NULL, 1);
		else
			conn_kill(h->c, "HTTP idle", CONN_HARD);
	}
}
