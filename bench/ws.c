/*
 * The IRCv3 WebSocket transport of a load connection: the upgrade on the
 * server's HTTP port (subprotocol text.ircv3.net), then one IRC line per
 * text message, client frames masked.  The framing is wslay's client side
 * (event API), the handshake key's SHA-1 and base64 are OpenSSL's, and
 * the server's answer to the upgrade is read by http-parser.
 *
 * A struct bws belongs to its struct bconn (b->ws) for the whole run,
 * like the rest of the connection; it is never freed before exit, so
 * closing a connection from inside a wslay callback is safe.
 *
 * Output: net_send() hands whole lines to ws_queue(), which queues one
 * message per line; net_flush() calls ws_send(), whose send callback
 * appends the frames to the connection's wbuf, and writes that as for
 * TCP.  So TCP and WebSocket connections share the write path and its
 * back-pressure (b->blocked).  Input: net.c reads as for TCP and gives
 * the bytes to ws_handshake() until the 101 is in, then to ws_input();
 * wslay assembles nothing (no buffering): the payload chunks of a
 * message are gathered in b->ws->msg and the line goes to net_line().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "bench.h"

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_PROTOCOL	"text.ircv3.net"
#define WS_MASKPOOL	4096	/* random bytes fetched at once */

/* The headers of the 101 that we check. */
enum ws_hdr {
	WS_H_OTHER = 0,
	WS_H_ACCEPT,
	WS_H_PROTOCOL
};

struct bws {
	wslay_event_context_ptr	 ctx;

	/* The upgrade. */
	http_parser		*hp;
	char			 accept[32];	/* the 101 must say */
	char			 field[32];	/* header being read */
	size_t			 flen;
	int			 in_value;
	enum ws_hdr		 hdr;
	char			 got_accept[64];
	char			 got_proto[64];
	int			 head_done;	/* the headers are in */

	/* Input being read by wslay_event_recv(). */
	const char		*in;
	size_t			 inlen;
	uint64_t		 now;

	/* The message being gathered. */
	char			*msg;
	size_t			 mlen;
	int			 mdata;		/* text or binary */
	int			 mfin;		/* last frame */
	int			 mlong;		/* too long */
};

static unsigned char	 ws_pool[WS_MASKPOOL];
static size_t		 ws_pool_left;
static http_parser_settings ws_hp_settings;

/* Append at most cap-1 bytes of s (len) to the NUL-terminated dst. */
static void
ws_cat(char *dst, size_t cap, const char *s, size_t len)
{
	size_t	have = strlen(dst);

	if (have + len >= cap)
		len = have < cap - 1 ? cap - 1 - have : 0;
	memcpy(dst + have, s, len);
	dst[have + len] = '\0';
}

static int
ws_hp_field_cb(http_parser *p, const char *at, size_t len)
{
	struct bws	*w = ((struct bconn *)p->data)->ws;

	if (w->in_value) {
		w->in_value = 0;
		w->flen = 0;
		w->field[0] = '\0';
	}
	ws_cat(w->field, sizeof w->field, at, len);
	w->flen = strlen(w->field);
	return 0;
}

static int
ws_hp_value_cb(http_parser *p, const char *at, size_t len)
{
	struct bws	*w = ((struct bconn *)p->data)->ws;

	if (!w->in_value) {
		w->in_value = 1;
		if (strcasecmp(w->field, "Sec-WebSocket-Accept") == 0)
			w->hdr = WS_H_ACCEPT;
		else if (strcasecmp(w->field, "Sec-WebSocket-Protocol") == 0)
			w->hdr = WS_H_PROTOCOL;
		else
			w->hdr = WS_H_OTHER;
	}
	if (w->hdr == WS_H_ACCEPT)
		ws_cat(w->got_accept, sizeof w->got_accept, at, len);
	else if (w->hdr == WS_H_PROTOCOL)
		ws_cat(w->got_proto, sizeof w->got_proto, at, len);
	return 0;
}

static int
ws_hp_headers_cb(http_parser *p)
{
	struct bws	*w = ((struct bconn *)p->data)->ws;

	w->head_done = 1;
	/* A refusal's body is of no interest: stop at its headers. */
	return p->status_code == 101 ? 0 : 2;
}

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct bconn	*b = user;
	struct bws	*w = b->ws;
	size_t		 n;

	(void)flags;
	if (w->inlen == 0 || b->state == NET_CLOSED) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	n = len < w->inlen ? len : w->inlen;
	memcpy(buf, w->in, n);
	w->in += n;
	w->inlen -= n;
	return (ssize_t)n;
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	(void)ctx;
	(void)flags;
	net_append(user, (const char *)data, len);
	return (ssize_t)len;
}

/* Mask keys (RFC 6455 5.3: unpredictable), from OpenSSL's generator a
 * pool at a time: one call per frame would cost more than the frame. */
static int
ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    void *user)
{
	(void)ctx;
	(void)user;
	if (len > sizeof ws_pool)
		return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
	if (ws_pool_left < len) {
		if (RAND_bytes(ws_pool, sizeof ws_pool) != 1)
			return -1;
		ws_pool_left = sizeof ws_pool;
	}
	memcpy(buf, ws_pool + sizeof ws_pool - ws_pool_left, len);
	ws_pool_left -= len;
	return 0;
}

static void
ws_frame_start_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
	struct bws	*w = ((struct bconn *)user)->ws;

	(void)ctx;
	if (arg->opcode & 0x8)
		return;		/* control frames: wslay buffers those */
	if (arg->opcode != WSLAY_CONTINUATION_FRAME) {
		w->mlen = 0;
		w->mlong = 0;
		w->mdata = arg->opcode == WSLAY_TEXT_FRAME ||
		    arg->opcode == WSLAY_BINARY_FRAME;
	}
	w->mfin = arg->fin;
}

static void
ws_frame_chunk_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
	struct bws	*w = ((struct bconn *)user)->ws;

	(void)ctx;
	if (!w->mdata || w->mlong)
		return;
	if (w->mlen + arg->data_length > BENCH_LINE_MAX) {
		w->mlong = 1;
		return;
	}
	memcpy(w->msg + w->mlen, arg->data, arg->data_length);
	w->mlen += arg->data_length;
}

static void
ws_frame_end_cb(wslay_event_context_ptr ctx, void *user)
{
	struct bconn	*b = user;
	struct bws	*w = b->ws;

	(void)ctx;
	if (!w->mdata || !w->mfin)
		return;
	w->mdata = 0;
	if (w->mlong) {
		net_error(b, "WebSocket message longer than a line");
		return;
	}
	/* One message is one line; be lenient about a CRLF in it. */
	while (w->mlen > 0 && (w->msg[w->mlen - 1] == '\n' ||
	    w->msg[w->mlen - 1] == '\r'))
		w->mlen--;
	w->msg[w->mlen] = '\0';
	if (w->mlen > 0)
		net_line(b, w->msg, w->now);
}

static void
ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE)
		net_error(user, "WebSocket closed by the server (code %u)",
		    (unsigned)arg->status_code);
}

static const struct wslay_event_callbacks ws_callbacks = {
	.recv_callback = ws_recv_cb,
	.send_callback = ws_send_cb,
	.genmask_callback = ws_genmask_cb,
	.on_frame_recv_start_callback = ws_frame_start_cb,
	.on_frame_recv_chunk_callback = ws_frame_chunk_cb,
	.on_frame_recv_end_callback = ws_frame_end_cb,
	.on_msg_recv_callback = ws_msg_cb,
};

/*
 * Make b a WebSocket connection (before it connects): its state lives
 * in b->ws until the end of the run.  Exits when out of memory.
 */
void
ws_attach(struct bconn *b)
{
	struct bws	*w;

	if ((w = calloc(1, sizeof *w)) == NULL ||
	    (w->msg = malloc(BENCH_LINE_MAX + 1)) == NULL ||
	    wslay_event_context_client_init(&w->ctx, &ws_callbacks, b) != 0) {
		fprintf(stderr, "lanchat-bench: out of memory\n");
		exit(BENCH_EXIT_ERROR);
	}
	wslay_event_config_set_no_buffering(w->ctx, 1);
	wslay_event_config_set_max_recv_msg_length(w->ctx, BENCH_LINE_MAX);
	b->ws = w;
}

/*
 * b is connected (and through TLS): queue the upgrade request for "/"
 * (RFC 6455 4.1), with a fresh key, and remember the accept value the
 * server must answer with.  host is the Host header ("addr:port").
 */
void
ws_upgrade(struct bconn *b, const char *host)
{
	struct bws	*w = b->ws;
	unsigned char	 key[16], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 key64[32], kg[96], req[512];
	int		 n;

	if (RAND_bytes(key, sizeof key) != 1) {
		net_error(b, "RAND_bytes failed");
		return;
	}
	EVP_EncodeBlock((unsigned char *)key64, key, sizeof key);
	snprintf(kg, sizeof kg, "%s%s", key64, WS_GUID);
	if (EVP_Digest(kg, strlen(kg), md, &mdlen, EVP_sha1(), NULL) != 1) {
		net_error(b, "SHA-1 failed");
		return;
	}
	EVP_EncodeBlock((unsigned char *)w->accept, md, mdlen);
	if ((w->hp = malloc(sizeof *w->hp)) == NULL) {
		fprintf(stderr, "lanchat-bench: out of memory\n");
		exit(BENCH_EXIT_ERROR);
	}
	if (ws_hp_settings.on_header_field == NULL) {
		http_parser_settings_init(&ws_hp_settings);
		ws_hp_settings.on_header_field = ws_hp_field_cb;
		ws_hp_settings.on_header_value = ws_hp_value_cb;
		ws_hp_settings.on_headers_complete = ws_hp_headers_cb;
	}
	http_parser_init(w->hp, HTTP_RESPONSE);
	w->hp->data = b;
	n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Protocol: " WS_PROTOCOL "\r\n\r\n", host, key64);
	b->state = NET_WS_UPGRADE;
	net_append(b, req, (size_t)n);
}

/*
 * Bytes of the server's answer to the upgrade (data, len).  Returns 1
 * when the 101 is in and checked (*used: the bytes it took; the rest
 * are frames), 0 when more is needed, -1 when b was closed (refused, or
 * a bad answer).
 */
int
ws_handshake(struct bconn *b, const char *data, size_t len, size_t *used)
{
	struct bws	*w = b->ws;
	size_t		 n;

	*used = 0;
	n = http_parser_execute(w->hp, &ws_hp_settings, data, len);
	if (!w->head_done) {
		if (HTTP_PARSER_ERRNO(w->hp) != HPE_OK || n != len) {
			net_error(b, "WebSocket upgrade: bad answer (%s)",
			    http_errno_name(HTTP_PARSER_ERRNO(w->hp)));
			return -1;
		}
		return 0;
	}
	if (w->hp->status_code != 101) {
		net_error(b, "WebSocket upgrade refused: HTTP %u",
		    w->hp->status_code);
		return -1;
	}
	if (!w->hp->upgrade || strcmp(w->got_accept, w->accept) != 0) {
		net_error(b, "WebSocket upgrade: wrong Sec-WebSocket-Accept");
		return -1;
	}
	if (strcmp(w->got_proto, WS_PROTOCOL) != 0) {
		net_error(b, "WebSocket upgrade: subprotocol '%s', not "
		    WS_PROTOCOL, w->got_proto);
		return -1;
	}
	free(w->hp);
	w->hp = NULL;
	*used = n;
	return 1;
}

/*
 * Frames from the server (data, len, read at now): wslay reads them all;
 * every complete text message goes to net_line() as one line.  Stops
 * early when b is closed.
 */
void
ws_input(struct bconn *b, const char *data, size_t len, uint64_t now)
{
	struct bws	*w = b->ws;

	w->in = data;
	w->inlen = len;
	w->now = now;
	while (w->inlen > 0 && b->state != NET_CLOSED) {
		if (wslay_event_recv(w->ctx) != 0) {
			net_error(b, "WebSocket protocol error");
			break;
		}
		if (!wslay_event_get_read_enabled(w->ctx)) {
			net_error(b, "WebSocket closed");
			break;
		}
	}
	w->in = NULL;
	w->inlen = 0;
}

/* Queue len bytes of whole lines (CRLF-terminated): one message each. */
void
ws_queue(struct bconn *b, const char *data, size_t len)
{
	struct wslay_event_msg	 m;
	const char		*end = data + len, *nl;
	size_t			 n;

	while (data < end) {
		if ((nl = memchr(data, '\n', (size_t)(end - data))) == NULL)
			nl = end;
		n = (size_t)(nl - data);
		if (n > 0 && data[n - 1] == '\r')
			n--;
		if (n > 0) {
			m.opcode = WSLAY_TEXT_FRAME;
			m.msg = (const uint8_t *)data;
			m.msg_length = n;
			if (wslay_event_queue_msg(b->ws->ctx, &m) != 0) {
				net_error(b, "WebSocket: cannot queue");
				return;
			}
		}
		data = nl + 1;
	}
}

/* Does wslay have frames (messages, or a pong or close) to send? */
int
ws_want_write(const struct bconn *b)
{
	return b->ws != NULL && b->ws->hp == NULL &&
	    wslay_event_want_write(b->ws->ctx);
}

/* Turn what wslay has queued into frames at the end of b's wbuf. */
void
ws_send(struct bconn *b)
{
	if (ws_want_write(b) && wslay_event_send(b->ws->ctx) != 0)
		net_error(b, "WebSocket: send failed");
}
