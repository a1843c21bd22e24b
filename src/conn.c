/*
 * Connections: framing on the way in, a bounded queue of shared lines on
 * the way out, and the deferred close described in conn.h.
 *
 * Input.  libuv reads into one shared buffer (READ_CHUNK); complete lines
 * are handed to the client straight from it, and only a partial line (or
 * lines held back by flood control) is copied into conn->rbuf, which is
 * freed again as soon as it is empty.  An idle connection so holds no
 * input buffer at all.
 *
 * Output.  conn_send() appends a reference to the ring and puts the conn
 * on the flush list; conn_flush_all() runs once per loop turn (uv_check)
 * and writes each conn's queue with one writev (uv_try_write), handing
 * only what the kernel did not take to uv_write.  Bytes queued or in
 * flight count against max-sendq; past it the client is cut off.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "http.h"
#include "ws.h"
#include "session.h"
#include "conn.h"
#include "lc_limits.h"
#include "line.h"
#include "log.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

#define CONN_IOV	64	/* lines per writev */
#define CONN_QUEUE_MIN	8	/* send queue slots kept while idle */

static void	conn_flush_one(struct conn *);

/* A write handed to libuv: the lines (or the owned bytes) it needs. */
struct conn_write {
	uv_write_t	  req;
	struct conn	 *conn;
	size_t		  bytes;
	char		 *owned;	/* transport bytes (TLS), or NULL */
	uint32_t	  nlines;
	struct line	 *lines[CONN_IOV];
};

static struct conn	*conn_inputting;	/* whose input is being handled */
static struct conn_list	 conn_all = TAILQ_HEAD_INITIALIZER(conn_all);
static struct conn_list	 conn_closing = TAILQ_HEAD_INITIALIZER(conn_closing);
static struct conn_list	 conn_throttled =
			    TAILQ_HEAD_INITIALIZER(conn_throttled);
static struct conn	*conn_flushq;
static struct conn	*conn_dyingq, **conn_dyingtail = &conn_dyingq;
static size_t		 conn_n;
static uint64_t		 conn_next_id = 1;
static char		 conn_readbuf[READ_CHUNK];

static void	conn_plain_read(struct conn *, char *, size_t);
static void	conn_plain_flush(struct conn *);
static void	conn_close_now(struct conn *);
static void	conn_maybe_finish(struct conn *);

const struct conn_ops conn_plain_ops = {
	.name = "plain",
	.read = conn_plain_read,
	.flush = conn_plain_flush,
	.write_raw = conn_write_copy,
	.shutdown = NULL,
	.free = NULL,
};

/* A new conn with transport ops; the caller accepts into conn->tcp. */
struct conn *
conn_new(const struct conn_ops *ops)
{
	struct conn	*c;

	c = xcalloc(1, sizeof *c);
	c->id = conn_next_id++;
	c->ops = ops;
	uv_tcp_init(srv.loop, &c->tcp);
	c->tcp.data = c;
	TAILQ_INSERT_TAIL(&conn_all, c, entry);
	conn_n++;
	return c;
}

/*
 * A conn with no socket behind it, for the fuzzers (fuzz/world.c) and
 * tests: its bytes come in through conn_input(), its output goes to
 * ops->flush and ops->write_raw, and pausing or resuming its reading
 * only flips CONN_READING.  ip is the address it claims.  It has no
 * per-address counters (ipstat), so no connection or request limit of
 * an address applies to it.  It closes like any other conn.
 */
struct conn *
conn_new_nosock(const struct conn_ops *ops, const char *ip)
{
	struct conn	*c = conn_new(ops);

	c->flags |= CONN_NOSOCK | CONN_READING;
	strlcpy_u(c->ip, ip, sizeof c->ip);
	return c;
}

size_t
conn_count(void)
{
	return conn_n;
}

static void
conn_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = conn_readbuf;
	buf->len = sizeof conn_readbuf;
}

static void
conn_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn	*c = s->data;
	char		 why[128];

	(void)buf;
	if (c->flags & CONN_LINGER) {
		/* Our close is sent: drop what still comes, close at EOF. */
		if (n < 0)
			conn_close_now(c);
		return;
	}
	if (n == 0 || (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED)))
		return;
	if (n < 0) {
		if (n == UV_EOF)
			conn_kill(c, "Connection closed", CONN_HARD);
		else {
			snprintf(why, sizeof why, "Read error: %s",
			    uv_strerror(n));
			conn_kill(c, why, CONN_HARD);
		}
		return;
	}
	log_trace(TRACE_IO, "conn %llu: read %zd bytes",
	    (unsigned long long)c->id, n);
	c->ops->read(c, conn_readbuf, n);
}

/*
 * The IRC session of c begins (at accept on an IRC port, at the upgrade
 * on the web port).
 */
struct session *
conn_attach_session(struct conn *c)
{
	c->session = session_new(c);
	return c->session;
}

/* Start reading an HTTP conn: no session until a WebSocket upgrade. */
int
conn_start_http(struct conn *c)
{
	int	r;

	c->proto = PROTO_HTTP;
	http_init(c);
	if ((r = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
	    conn_read_cb)) != 0) {
		conn_kill(c, "Read error", CONN_HARD);
		return -1;
	}
	c->flags |= CONN_READING;
	uv_tcp_nodelay(&c->tcp, 1);
	return 0;
}

/* Start reading and create the client.  Returns 0 or -1. */
int
conn_start(struct conn *c)
{
	int	r;

	conn_attach_session(c);
	if ((r = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
	    conn_read_cb)) != 0) {
		log_warnx("conn %llu: uv_read_start: %s",
		    (unsigned long long)c->id, uv_strerror(r));
		conn_kill(c, "Read error", CONN_HARD);
		return -1;
	}
	c->flags |= CONN_READING;
	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_keepalive(&c->tcp, 1, 60);
	return 0;
}

/*
 * Plain TCP.  A connection that opens with a TLS handshake record (0x16)
 * is a TLS client on the plain port: its ClientHello holds NULs and need
 * not hold a newline, so the line reader would drop it piecemeal or wait
 * for the registration timeout.  Close it at once instead.
 */
static void
conn_plain_read(struct conn *c, char *data, size_t len)
{
	if (!(c->flags & CONN_GOTDATA)) {
		c->flags |= CONN_GOTDATA;
		if (len > 0 && (unsigned char)data[0] == 0x16) {
			conn_kill(c, "TLS on a plain-text port", CONN_HARD);
			return;
		}
	}
	conn_input(c, data, len);
}

/*
 * Past the recvq bound the client is flooding: cut it off.  Only input
 * that is still unparsed counts.  Returns 0, or -1 if c was killed.
 */
static int
conn_recvq_check(struct conn *c)
{
	if (c->rlen <= (size_t)srv.cfg.recvq)
		return 0;
	log_info("conn %llu: receive queue over %lld bytes",
	    (unsigned long long)c->id, srv.cfg.recvq);
	conn_kill(c, "Excess Flood", CONN_HARD);
	return -1;
}

/* Keep data (len bytes) in rbuf; the caller checks the bound. */
static void
conn_rbuf_append(struct conn *c, const char *data, size_t len)
{
	size_t	want = (size_t)c->rlen + len, cap;

	if (want + 1 > c->rcap) {
		cap = c->rcap == 0 ? 1024 : c->rcap;
		while (cap < want + 1)
			cap *= 2;
		c->rbuf = xrealloc(c->rbuf, cap);
		c->rcap = cap;
	}
	memcpy(c->rbuf + c->rlen, data, len);
	c->rlen += len;
}

/*
 * Hand the complete lines in buf (len bytes, writable) to the client.
 * Returns the number of bytes consumed; the rest is a partial line, or
 * lines the client asked to hold back.
 */
static size_t
conn_frame(struct conn *c, char *buf, size_t len)
{
	char	*p = buf, *end = buf + len, *nl;
	size_t	 ll;
	int	 r;

	while (p < end) {
		if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
			return len;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		ll = nl - p;
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		r = session_line(c->session, p, ll);
		if (r == CONN_LINE_THROTTLE || r == CONN_LINE_PAUSE)
			return p - buf;
		if (r == CONN_LINE_STOP)
			return len;
		p = nl + 1;
	}
	return p - buf;
}

/*
 * Bytes arrived (already decrypted by the transport): to the layer above,
 * IRC lines, HTTP or WebSocket.  data is writable scratch that the
 * caller reuses after this returns.
 */
void
conn_input(struct conn *c, char *data, size_t len)
{
	struct conn	*outer = conn_inputting;

	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	conn_inputting = c;
	switch (c->proto) {
	case PROTO_HTTP:
		http_input(c, data, len);
		break;
	case PROTO_WS:
		ws_input(c, data, len);
		break;
	default:
		conn_input_lines(c, data, len);
		break;
	}
	conn_inputting = outer;
}

/* IRC lines, as bytes: frame them and hand them to the session. */
void
conn_input_lines(struct conn *c, char *data, size_t len)
{
	size_t	used;

	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	if (c->rlen == 0 && !(c->flags & CONN_THROTTLED)) {
		used = conn_frame(c, data, len);
		if (used < len && !(c->flags & (CONN_DYING | CONN_CLOSING)))
			conn_rbuf_append(c, data + used, len - used);
	} else {
		/* Behind a partial line or held back: queue it all, parse
		 * what can be parsed, and only then judge what is left (a
		 * read may bring more than recvq in complete lines). */
		conn_rbuf_append(c, data, len);
		if (!(c->flags & CONN_THROTTLED))
			conn_resume(c);
	}
	if (!(c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED)))
		conn_recvq_check(c);
}

/* Process what rbuf holds, after a pause for flood control. */
void
conn_resume(struct conn *c)
{
	size_t	used;

	if (c->flags & CONN_THROTTLED) {
		c->flags &= ~CONN_THROTTLED;
		TAILQ_REMOVE(&conn_throttled, c, throttle_entry);
	}
	if (c->rlen == 0 || (c->flags & (CONN_DYING | CONN_CLOSING)))
		return;
	/* conn_frame() may call back into conn_throttle(); rbuf itself is
	 * only appended to by conn_input(), never during dispatch. */
	used = conn_frame(c, c->rbuf, c->rlen);
	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	if (used == c->rlen) {
		free(c->rbuf);
		c->rbuf = NULL;
		c->rlen = c->rcap = 0;
	} else if (used > 0) {
		memmove(c->rbuf, c->rbuf + used, c->rlen - used);
		c->rlen -= used;
	}
}

/* The client is out of flood budget: hold its input until the tick. */
void
conn_throttle(struct conn *c)
{
	if (c->flags & CONN_THROTTLED)
		return;
	c->flags |= CONN_THROTTLED;
	TAILQ_INSERT_TAIL(&conn_throttled, c, throttle_entry);
}

int
conn_any_throttled(void)
{
	return !TAILQ_EMPTY(&conn_throttled);
}

/* Flood timer: let throttled clients try their held lines again. */
void
conn_flood_tick(void)
{
	struct conn	*c, *next;
	struct conn_list todo = TAILQ_HEAD_INITIALIZER(todo);

	/* Move them aside first: a client still over budget re-throttles
	 * itself onto conn_throttled while we walk. */
	TAILQ_CONCAT(&todo, &conn_throttled, throttle_entry);
	TAILQ_FOREACH_SAFE(c, &todo, throttle_entry, next) {
		TAILQ_REMOVE(&todo, c, throttle_entry);
		c->flags &= ~CONN_THROTTLED;
		conn_resume(c);
	}
}

static void
conn_flushq_add(struct conn *c)
{
	if (c->flags & CONN_FLUSHQ)
		return;
	c->flags |= CONN_FLUSHQ;
	c->next_flush = conn_flushq;
	conn_flushq = c;
}

/* Bytes waiting to reach the kernel for c. */
size_t
conn_sendq(const struct conn *c)
{
	return c->qbytes + c->wbytes;
}

/*
 * Queue a reference to l for c.  Over max-sendq the client is a slow
 * consumer and is cut off (the line is not queued).
 */
void
conn_send(struct conn *c, struct line *l)
{
	uint32_t	cap, i;
	struct line	**nq;

	if (c->flags & (CONN_DYING | CONN_CLOSED))
		return;
	/* Before calling c a slow consumer, hand the kernel what it takes
	 * now (ngIRCd Conn_Write: flush at the threshold, cut over the
	 * limit): a burst bigger than max-sendq within one loop turn is
	 * no proof that c does not read.  Not while c's own input is being
	 * handled, where its transport is busy reading. */
	if (c->qbytes + c->wbytes + l->len > (size_t)srv.cfg.max_sendq &&
	    c->wbytes == 0 && c->qlen > 0 && c != conn_inputting &&
	    !(c->flags & CONN_CLOSING) && c->proto != PROTO_HTTP)
		conn_flush_one(c);
	if (c->qbytes + c->wbytes + l->len > (size_t)srv.cfg.max_sendq &&
	    !(c->flags & CONN_CLOSING)) {
		log_info("conn %llu: send queue over %lld bytes",
		    (unsigned long long)c->id, srv.cfg.max_sendq);
		conn_kill(c, "SendQ exceeded", CONN_HARD);
		return;
	}
	if (c->qlen == c->qcap) {
		cap = c->qcap == 0 ? CONN_QUEUE_MIN : c->qcap * 2;
		nq = xreallocarray(NULL, cap, sizeof *nq);
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) & (c->qcap - 1)];
		free(c->q);
		c->q = nq;
		c->qhead = 0;
		c->qcap = cap;
	}
	/* qcap is a power of two: a mask, not a division, per line. */
	c->q[(c->qhead + c->qlen) & (c->qcap - 1)] = line_ref(l);
	c->qlen++;
	c->qbytes += l->len;
	conn_flushq_add(c);
}

/* Queue raw bytes (a one-off line that is not shared). */
void
conn_send_raw(struct conn *c, const char *data, size_t len)
{
	struct line	*l = line_new(data, len);

	conn_send(c, l);
	line_unref(l);
}

/* Take the oldest queued line (the caller owns the reference). */
struct line *
conn_queue_pop(struct conn *c)
{
	struct line	*l;

	if (c->qlen == 0)
		return NULL;
	l = c->q[c->qhead];
	c->qhead = (c->qhead + 1) & (c->qcap - 1);
	c->qlen--;
	c->qbytes -= l->len;
	if (c->qlen == 0) {
		/* An idle client keeps no more than the smallest queue
		 * (64 bytes): freeing that too cost an allocation for
		 * every line sent to every member of a busy channel. */
		c->qhead = 0;
		if (c->qcap > CONN_QUEUE_MIN) {
			free(c->q);
			c->q = NULL;
			c->qcap = 0;
		}
	}
	return l;
}

static void
conn_write_cb(uv_write_t *req, int status)
{
	struct conn_write	*w = (struct conn_write *)req;
	struct conn		*c = w->conn;
	uint32_t		 i;
	char			 why[128];

	for (i = 0; i < w->nlines; i++)
		line_unref(w->lines[i]);
	free(w->owned);
	c->wbytes -= w->bytes;
	free(w);
	if (status < 0 && status != UV_ECANCELED) {
		snprintf(why, sizeof why, "Write error: %s",
		    uv_strerror(status));
		conn_kill(c, why, CONN_HARD);
		return;
	}
	conn_written(c);
}

/*
 * A write completed: a closing conn may now finish, and an HTTP conn
 * that streams a file may read its next chunk.
 */
void
conn_written(struct conn *c)
{
	if (c->proto == PROTO_HTTP && !(c->flags & CONN_CLOSED))
		http_written(c);
	conn_maybe_finish(c);
}

/*
 * Stop reading from c's socket until conn_read_resume(): the layer above
 * cannot take more now (an upload waiting for the disk, a response in
 * progress).  The kernel's buffer then fills and TCP slows the sender.
 */
void
conn_read_pause(struct conn *c)
{
	if (!(c->flags & CONN_READING))
		return;
	if (!(c->flags & CONN_NOSOCK))
		uv_read_stop((uv_stream_t *)&c->tcp);
	c->flags &= ~CONN_READING;
}

/* Read from c again after conn_read_pause(). */
void
conn_read_resume(struct conn *c)
{
	if (c->flags & (CONN_READING | CONN_DYING | CONN_CLOSING |
	    CONN_CLOSED))
		return;
	if (c->flags & CONN_NOSOCK) {
		c->flags |= CONN_READING;
		return;
	}
	if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc_cb,
	    conn_read_cb) != 0) {
		conn_kill(c, "Read error", CONN_HARD);
		return;
	}
	c->flags |= CONN_READING;
}

/* Plain transport: write a copy of data (HTTP, WebSocket frames). */
void
conn_write_copy(struct conn *c, const char *data, size_t len)
{
	char	*p;

	if (len == 0)
		return;
	p = xmalloc(len);
	memcpy(p, data, len);
	conn_write_owned(c, p, len);
}

/*
 * Write bytes that the transport owns (ciphertext): try at once, hand
 * the rest to libuv.  Takes ownership of data.
 */
void
conn_write_owned(struct conn *c, char *data, size_t len)
{
	struct conn_write	*w;
	uv_buf_t		 b;
	int			 n = 0, r;
	char			 why[128];

	if (c->flags & CONN_CLOSED) {
		free(data);
		return;
	}
	if (c->wbytes == 0) {
		b = uv_buf_init(data, len);
		n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		if (n == UV_EAGAIN || n == UV_ENOSYS)
			n = 0;
		else if (n < 0) {
			free(data);
			snprintf(why, sizeof why, "Write error: %s",
			    uv_strerror(n));
			conn_kill(c, why, CONN_HARD);
			return;
		}
	}
	if ((size_t)n == len) {
		free(data);
		return;
	}
	w = xcalloc(1, sizeof *w);
	w->conn = c;
	w->owned = data;
	w->bytes = len - n;
	b = uv_buf_init(data + n, len - n);
	c->wbytes += w->bytes;
	if ((r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1,
	    conn_write_cb)) != 0) {
		c->wbytes -= w->bytes;
		free(w->owned);
		free(w);
		snprintf(why, sizeof why, "Write error: %s", uv_strerror(r));
		conn_kill(c, why, CONN_HARD);
	}
}

/*
 * Plain TCP: writev the queued lines straight from the shared buffers.
 * What the kernel does not take at once stays referenced by a
 * conn_write until libuv has written it.
 */
static void
conn_plain_flush(struct conn *c)
{
	uv_buf_t		 bufs[CONN_IOV];
	struct conn_write	*w;
	uint32_t		 n, i;
	size_t			 total, done, skip;
	int			 r;
	char			 why[128];

	while (c->qlen > 0 && !(c->flags & CONN_CLOSED)) {
		n = c->qlen < CONN_IOV ? c->qlen : CONN_IOV;
		total = 0;
		for (i = 0; i < n; i++) {
			struct line *l = c->q[(c->qhead + i) & (c->qcap - 1)];

			bufs[i] = uv_buf_init(l->data, l->len);
			total += l->len;
		}
		done = 0;
		if (c->wbytes == 0) {
			r = uv_try_write((uv_stream_t *)&c->tcp, bufs, n);
			if (r == UV_EAGAIN || r == UV_ENOSYS)
				r = 0;
			else if (r < 0) {
				snprintf(why, sizeof why, "Write error: %s",
				    uv_strerror(r));
				conn_kill(c, why, CONN_HARD);
				return;
			}
			done = r;
		}
		/* Release the lines written in full. */
		skip = done;
		while (c->qlen > 0 && n > 0 &&
		    skip >= c->q[c->qhead]->len) {
			skip -= c->q[c->qhead]->len;
			line_unref(conn_queue_pop(c));
			n--;
		}
		if (n == 0)
			continue;
		/* The rest, starting skip bytes into the first line. */
		w = xcalloc(1, sizeof *w);
		w->conn = c;
		for (i = 0; i < n; i++) {
			w->lines[i] = conn_queue_pop(c);
			bufs[i] = uv_buf_init(w->lines[i]->data,
			    w->lines[i]->len);
			w->bytes += w->lines[i]->len;
		}
		w->nlines = n;
		bufs[0].base += skip;
		bufs[0].len -= skip;
		w->bytes -= skip;
		c->wbytes += w->bytes;
		if ((r = uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, n,
		    conn_write_cb)) != 0) {
			c->wbytes -= w->bytes;
			for (i = 0; i < n; i++)
				line_unref(w->lines[i]);
			free(w);
			snprintf(why, sizeof why, "Write error: %s",
			    uv_strerror(r));
			conn_kill(c, why, CONN_HARD);
			return;
		}
		(void)total;
	}
}

/* Write c's queue through its transport. */
static void
conn_flush_one(struct conn *c)
{
	if (c->proto == PROTO_WS)
		ws_flush(c);
	else
		c->ops->flush(c);
}

/* Write every conn that has something queued: once per loop turn. */
void
conn_flush_all(void)
{
	struct conn	*c;

	while ((c = conn_flushq) != NULL) {
		conn_flushq = c->next_flush;
		c->next_flush = NULL;
		c->flags &= ~CONN_FLUSHQ;
		if (c->flags & (CONN_CLOSED | CONN_DYING))
			continue;
		conn_flush_one(c);
		conn_maybe_finish(c);
	}
}

/*
 * Mark c to be closed.  Safe from anywhere, including inside a fan-out
 * or c's own callbacks: the work happens in conn_reap().  With CONN_HARD
 * the queue is dropped (slow consumer, dead socket); otherwise the
 * client gets its ERROR line before the socket closes.
 */
void
conn_kill(struct conn *c, const char *reason, int how)
{
	if (c->flags & CONN_CLOSED)
		return;
	/* Mid-handshake there is no way to say why: close at once rather
	 * than wait CLOSE_GRACE for an ERROR that cannot be sent. */
	if (c->flags & CONN_HANDSHAKE)
		how |= CONN_HARD;
	if (c->flags & (CONN_DYING | CONN_CLOSING)) {
		/* Already on its way out, gently: a dead socket (a reset
		 * after QUIT) makes it go now, not after CLOSE_GRACE. */
		if (how & CONN_HARD) {
			c->flags |= CONN_HARD;
			if (c->flags & CONN_CLOSING)
				conn_close_now(c);
		}
		return;
	}
	c->flags |= CONN_DYING | (how & CONN_HARD);
	free(c->reason);
	c->reason = xstrdup(reason);
	c->next_dying = NULL;
	*conn_dyingtail = c;
	conn_dyingtail = &c->next_dying;
	log_debug("conn %llu: closing: %s", (unsigned long long)c->id,
	    reason);
}

/*
 * conn_kill() with the words of the ERROR line chosen by the caller
 * ("ERROR :<error>") instead of "Closing Link: <ip> (<reason>)"; reason
 * is still what the user's channels see in its QUIT.
 */
void
conn_kill_error(struct conn *c, const char *reason, const char *error,
    int how)
{
	if (c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED))
		return;
	conn_kill(c, reason, how);
	free(c->error);
	c->error = xstrdup(error);
}

/* Call fn for every open conn (not those closing); fn may kill it. */
void
conn_each(void (*fn)(struct conn *, void *), void *arg)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &conn_all, entry, next)
		if (!(c->flags & (CONN_DYING | CONN_CLOSING | CONN_CLOSED)))
			fn(c, arg);
}

static void
conn_stop_reading(struct conn *c)
{
	if (c->flags & CONN_READING) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->flags &= ~CONN_READING;
	}
	if (c->flags & CONN_THROTTLED) {
		c->flags &= ~CONN_THROTTLED;
		TAILQ_REMOVE(&conn_throttled, c, throttle_entry);
	}
}

/* The ERROR line that says why c closes (no CRLF); its length. */
static int
conn_error_text(const struct conn *c, char *out, size_t outsz)
{
	int	n;

	if (c->error != NULL)
		n = snprintf(out, outsz, "ERROR :%s", c->error);
	else
		n = snprintf(out, outsz, "ERROR :Closing Link: %s (%s)",
		    c->ip, c->reason);
	if (n < 0)
		n = 0;
	return (size_t)n >= outsz ? (int)outsz - 1 : n;
}

/*
 * Close the conns killed this turn.  The client quits first (its
 * channels hear about it), which may kill more conns (a slow reader of
 * the QUIT): they join the end of the same list, so there is no
 * recursion however many go at once.
 */
void
conn_reap(void)
{
	struct conn	*c;
	char		 err[512];
	int		 n;

	while ((c = conn_dyingq) != NULL) {
		conn_dyingq = c->next_dying;
		if (conn_dyingq == NULL)
			conn_dyingtail = &conn_dyingq;
		c->next_dying = NULL;
		if (c->proto == PROTO_WS && !(c->flags & CONN_HARD)) {
			/* Keep reading (and dropping) until its close frame
			 * is out: see conn_shutdown_cb. */
			if (c->flags & CONN_THROTTLED) {
				c->flags &= ~CONN_THROTTLED;
				TAILQ_REMOVE(&conn_throttled, c,
				    throttle_entry);
			}
		} else
			conn_stop_reading(c);
		if (c->session != NULL)
			session_quit(c->session, c->reason);
		c->flags &= ~CONN_DYING;
		c->flags |= CONN_CLOSING;
		c->close_ms = now_ms();
		TAILQ_REMOVE(&conn_all, c, entry);
		TAILQ_INSERT_TAIL(&conn_closing, c, entry);
		if (c->flags & CONN_HARD) {
			/* Drop the queue, but try to say why in one go. */
			struct line *l;

			while ((l = conn_queue_pop(c)) != NULL)
				line_unref(l);
			if (c->ops == &conn_plain_ops && c->wbytes == 0 &&
			    c->proto == PROTO_IRC) {
				uv_buf_t b;

				n = conn_error_text(c, err, sizeof err - 2);
				memcpy(err + n, "\r\n", 2);
				n += 2;
				b = uv_buf_init(err, n);
				(void)uv_try_write((uv_stream_t *)&c->tcp, &b,
				    1);
			}
			conn_close_now(c);
			continue;
		}
		if (c->proto == PROTO_HTTP) {
			/* No IRC to say goodbye in: close once written. */
			conn_maybe_finish(c);
			continue;
		}
		n = conn_error_text(c, err, sizeof err);
		conn_send_raw(c, err, n);
	}
}

static void
conn_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct conn	*c = req->data;

	(void)status;
	free(req);
	/*
	 * A WebSocket peer may still be sending (a message we refused with
	 * 1009): closing now would answer it with a reset that can destroy
	 * our close frame on its way.  Read and drop until it closes too
	 * (or CLOSE_GRACE passes: conn_tick).
	 */
	if (c->proto == PROTO_WS && (c->flags & CONN_READING) &&
	    !(c->flags & CONN_CLOSED)) {
		c->flags |= CONN_LINGER;
		return;
	}
	conn_close_now(c);
}

/* A closing conn whose queue is written: shut down and close. */
static void
conn_maybe_finish(struct conn *c)
{
	uv_shutdown_t	*req;

	if (!(c->flags & CONN_CLOSING) ||
	    (c->flags & (CONN_CLOSED | CONN_SHUTDOWN)))
		return;
	if (c->qlen > 0 || c->wbytes > 0)
		return;
	c->flags |= CONN_SHUTDOWN;
	if (c->proto == PROTO_WS)
		ws_close(c);
	if (c->ops->shutdown != NULL)
		c->ops->shutdown(c);
	req = xcalloc(1, sizeof *req);
	req->data = c;
	if (uv_shutdown(req, (uv_stream_t *)&c->tcp, conn_shutdown_cb) != 0) {
		free(req);
		conn_close_now(c);
	}
}

static void
conn_free(struct conn *c)
{
	struct line	*l;

	if (c->session != NULL) {
		c->session->conn = NULL;
		session_unref(c->session);
	}
	while ((l = conn_queue_pop(c)) != NULL)
		line_unref(l);
	free(c->q);
	if (c->proto == PROTO_HTTP)
		http_free(c);
	else if (c->proto == PROTO_WS)
		ws_free(c);
	if (c->ops->free != NULL)
		c->ops->free(c);
	if (c->ipstat != NULL) {
		c->ipstat->conns--;
		server_ipstat_put(c->ipstat);
	}
	TAILQ_REMOVE(&conn_closing, c, entry);
	conn_n--;
	free(c->rbuf);
	free(c->reason);
	free(c->error);
	free(c->host);
	free(c);
}

static void
conn_close_cb(uv_handle_t *h)
{
	conn_free(h->data);
}

static void
conn_close_now(struct conn *c)
{
	if (c->flags & CONN_CLOSED)
		return;
	c->flags |= CONN_CLOSED;
	uv_close((uv_handle_t *)&c->tcp, conn_close_cb);
}

/* Housekeeping: closing conns that did not drain in time are cut. */
void
conn_tick(uint64_t now)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &conn_closing, entry, next) {
		if (!(c->flags & CONN_CLOSED) &&
		    now - c->close_ms > CLOSE_GRACE * 1000)
			conn_close_now(c);
	}
}

/* Server shutdown: every conn gets ERROR with reason and is closed. */
void
conn_shutdown_all(const char *reason)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &conn_all, entry, next)
		conn_kill(c, reason, 0);
}

/* Close every conn at once, queued output or not (end of shutdown). */
void
conn_close_all_now(void)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &conn_all, entry, next) {
		TAILQ_REMOVE(&conn_all, c, entry);
		TAILQ_INSERT_TAIL(&conn_closing, c, entry);
		conn_stop_reading(c);
		if (c->session != NULL)
			session_quit(c->session, "Server shutting down");
		c->flags |= CONN_CLOSING;
		conn_close_now(c);
	}
	TAILQ_FOREACH_SAFE(c, &conn_closing, entry, next)
		conn_close_now(c);
}
