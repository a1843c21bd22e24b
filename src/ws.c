/*
 * WebSocket glue (wslay's event API).  A conn in PROTO_WS owns a
 * struct ws_state: the wslay context, and while ws_input() runs, the
 * bytes it may read.  A complete message is handed to the ordinary line
 * reader with a '\n' after it, so flood control, length limits, UTF-8
 * checks and pauses work as they do for TCP.  Lines queued for the conn
 * are sent as one message each, without their CRLF.
 *
 * Limits: a message longer than an IRC line is refused by wslay with
 * close code 1009; more than WS_FRAMES_BURST frames at once, then
 * WS_FRAMES_RATE a second (pings and empty messages count) is a flood
 * and closes with 1008, unless flood control is off (--flood-burst 0).
 */
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include "buf.h"
#include "conn.h"
#include "flood.h"
#include "lc_limits.h"
#include "line.h"
#include "log.h"
#include "server.h"
#include "util.h"
#include "ws.h"
#include "xmalloc.h"

#define WS_FRAMES_BURST	400
#define WS_FRAMES_RATE	200

struct ws_state {
	wslay_event_context_ptr	 ctx;		/* input, control frames */
	wslay_frame_context_ptr	 fctx;		/* our lines, one frame each */
	int			 binary;	/* binary.ircv3.net */
	const char		*in;		/* unread input */
	size_t			 inlen;
	struct flood		 frames;
	int			 closing;
	uint64_t		 msglen;	/* of the message being read */
	struct buf		 out;		/* frames of one ws_send() */
};

/* Output gathered past this is not kept for the next flush. */
#define WS_OUT_KEEP	4096

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct conn	*c = user;
	struct ws_state	*w = c->up;
	size_t		 n;

	(void)flags;
	if (w->inlen == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	n = len < w->inlen ? len : w->inlen;
	memcpy(buf, w->in, n);
	w->in += n;
	w->inlen -= n;
	return n;
}

/* Every byte wslay writes (our frames, its control frames) is gathered
 * for one write (ws_send). */
static ssize_t
ws_frame_send_cb(const uint8_t *data, size_t len, int flags, void *user)
{
	struct conn	*c = user;

	(void)flags;
	if (!(c->flags & CONN_CLOSED))
		buf_add(&((struct ws_state *)c->up)->out, data, len);
	return (ssize_t)len;
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	(void)ctx;
	return ws_frame_send_cb(data, len, flags, user);
}

static const struct wslay_frame_callbacks ws_frame_callbacks = {
	.send_callback = ws_frame_send_cb,
};

/*
 * Let wslay write what it has queued, gathered into one write: it hands
 * over each frame's header and payload apart, and writing each at once
 * made two system calls (two TLS records) per line per WebSocket client.
 */
static void
ws_send(struct conn *c)
{
	struct ws_state	*w = c->up;

	wslay_event_send(w->ctx);
	if (w->out.len > 0 && !(c->flags & CONN_CLOSED))
		c->ops->write_raw(c, w->out.data, w->out.len);
	if (w->out.cap > WS_OUT_KEEP)
		buf_free(&w->out);
	else
		buf_reset(&w->out);
}

static void
ws_frame_start_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
	struct conn	*c = user;
	struct ws_state	*w = c->up;

	/* One message is one IRC line: refuse a bigger one as soon as its
	 * frame header says so, before reading its payload. */
	if (!(arg->opcode & 0x8)) {
		if (arg->opcode != WSLAY_CONTINUATION_FRAME)
			w->msglen = 0;
		w->msglen += arg->payload_length;
		if (w->msglen > IRC_LINE_MAX && !w->closing) {
			w->closing = 1;
			log_info("conn %llu: WebSocket message too big",
			    (unsigned long long)c->id);
			wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG,
			    (const uint8_t *)"message too big", 15);
			conn_kill(c, "WebSocket message too big", 0);
			return;
		}
	}
	/* --flood-burst 0 turns flood control off, for frames too: a
	 * client may then send as many commands as TCP would carry, and a
	 * WebSocket carries each in a frame of its own. */
	if (srv.cfg.flood_burst > 0 && !flood_ok(&w->frames, now_ms(),
	    WS_FRAMES_RATE, WS_FRAMES_BURST) && !w->closing) {
		w->closing = 1;
		log_info("conn %llu: WebSocket frame flood",
		    (unsigned long long)c->id);
		wslay_event_queue_close(ctx, WSLAY_CODE_POLICY_VIOLATION,
		    (const uint8_t *)"frame flood", 11);
		conn_kill(c, "WebSocket frame flood", 0);
		return;
	}
	flood_take(&w->frames, 1);
}

static void
ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct conn	*c = user;
	char		 line[IRC_LINE_MAX + 2];

	(void)ctx;
	if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
		conn_kill(c, "Connection closed", 0);
		return;
	}
	if (arg->opcode != WSLAY_TEXT_FRAME &&
	    arg->opcode != WSLAY_BINARY_FRAME)
		return;
	if (arg->msg_length == 0 || (c->flags & (CONN_DYING | CONN_CLOSING)))
		return;
	/* One message is one line: give it its line end. */
	if (arg->msg_length > IRC_LINE_MAX) {
		conn_kill(c, "Message too long", 0);
		return;
	}
	memcpy(line, arg->msg, arg->msg_length);
	line[arg->msg_length] = '\n';
	conn_input_lines(c, line, arg->msg_length + 1);
}

static const struct wslay_event_callbacks ws_callbacks = {
	.recv_callback = ws_recv_cb,
	.send_callback = ws_send_cb,
	.on_frame_recv_start_callback = ws_frame_start_cb,
	.on_msg_recv_callback = ws_msg_cb,
};

/*
 * c has been upgraded (the 101 is sent): from now on it speaks
 * WebSocket, with binary or text messages.  Returns 0 or -1.
 */
int
ws_start(struct conn *c, int proto)
{
	struct ws_state	*w = xcalloc(1, sizeof *w);

	if (wslay_event_context_server_init(&w->ctx, &ws_callbacks, c) != 0) {
		free(w);
		return -1;
	}
	if (wslay_frame_context_init(&w->fctx, &ws_frame_callbacks, c) != 0) {
		wslay_event_context_free(w->ctx);
		free(w);
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(w->ctx, IRC_LINE_MAX);
	w->binary = proto == WS_PROTO_BINARY;
	flood_init(&w->frames, WS_FRAMES_BURST, now_ms());
	c->up = w;
	c->proto = PROTO_WS;
	return 0;
}

/* Bytes from the client: let wslay read them all. */
void
ws_input(struct conn *c, char *data, size_t len)
{
	struct ws_state	*w = c->up;

	w->in = data;
	w->inlen = len;
	while (w->inlen > 0 && !(c->flags & (CONN_CLOSED | CONN_DYING |
	    CONN_CLOSING))) {
		if (wslay_event_recv(w->ctx) != 0) {
			conn_kill(c, "WebSocket protocol error", 0);
			break;
		}
		if (!wslay_event_get_read_enabled(w->ctx))
			break;
	}
	w->in = NULL;
	w->inlen = 0;
	/* Control replies (pong, close) that wslay queued. */
	if (wslay_event_want_write(w->ctx))
		ws_send(c);
	if (!wslay_event_get_read_enabled(w->ctx) && !(c->flags &
	    (CONN_DYING | CONN_CLOSING | CONN_CLOSED)))
		conn_kill(c, "Connection closed", 0);
}

/*
 * Send the queued lines, one message each.  They are framed straight
 * from the shared lines by wslay's frame layer into the output buffer:
 * its message queue (wslay_event_queue_msg) copied every line into an
 * allocation of its own, per line per client.  Control frames (pong,
 * close) still come from the event layer, between whole frames.
 */
void
ws_flush(struct conn *c)
{
	struct ws_state		*w = c->up;
	struct wslay_frame_iocb	 io;
	struct line		*l;
	ssize_t			 r;

	/*
	 * Once a close frame is sent (the client's close answered, or
	 * ours), nothing may follow it: the lines still queued are
	 * dropped, all of them, so that a closing conn finishes now rather
	 * than wait for the grace period with them.
	 */
	while ((l = conn_queue_pop(c)) != NULL) {
		if (wslay_event_get_close_sent(w->ctx)) {
			line_unref(l);	/* nothing after the close frame */
			continue;
		}
		memset(&io, 0, sizeof io);
		io.fin = 1;
		io.opcode = w->binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME;
		io.data = (const uint8_t *)l->data;
		io.data_length = l->len >= 2 ? l->len - 2 : l->len;
		io.payload_length = io.data_length;
		r = wslay_frame_send(w->fctx, &io);
		line_unref(l);
		if (r < 0 || (size_t)r != io.data_length) {
			conn_kill(c, "WebSocket error", CONN_HARD);
			return;
		}
	}
	ws_send(c);
}

void
ws_free(struct conn *c)
{
	struct ws_state	*w = c->up;

	if (w == NULL)
		return;
	wslay_event_context_free(w->ctx);
	wslay_frame_context_free(w->fctx);
	buf_free(&w->out);
	free(w);
	c->up = NULL;
}

/* Say goodbye properly (close frame 1000) before the socket closes. */
void
ws_close(struct conn *c)
{
	struct ws_state	*w = c->up;

	if (w == NULL || wslay_event_get_close_sent(w->ctx))
		return;
	wslay_event_queue_close(w->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
	ws_send(c);
}
