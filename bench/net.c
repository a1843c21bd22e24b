/*
 * Connections of the load: non-blocking sockets on one epoll set, plain
 * or TLS (OpenSSL, no certificate check), IRC framing and registration.
 * With --ws some of them (every one whose number net_is_ws() picks) go to
 * the server's HTTP port instead and speak the IRCv3 WebSocket transport
 * (ws.c) once connected; everything else is the same for them.
 *
 * Reading goes through one shared buffer: a read is parsed in place and
 * only a partial last line is copied to the connection's own rbuf (made
 * on first use), which is put back in front of the next read.  Output is
 * appended to the connection's wbuf and written at the end of the loop
 * turn (net_poll) or when a scenario flushes a sender; when the socket is
 * full the connection waits for EPOLLOUT.
 *
 * This file answers what every IRC client must: PING with PONG, CAP ACK
 * or NAK with CAP END, and it notes 001 (registered), 004 (the server's
 * version) and ERROR.  Every line then goes to the scenario (scen_line).
 * A struct bconn lives in run.conns for the whole run; closing one only
 * closes its socket.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bench.h"

#define NET_RBUF	(256 * 1024)
#define NET_READS	8		/* reads per event before yielding */
#define NET_EVENTS	1024
#define NET_SOURCES	8		/* loopback source addresses */

static struct sockaddr_storage	 net_addr;
static struct sockaddr_storage	 net_ws_addr;	/* --ws-port */
static socklen_t		 net_addrlen;
static char			 net_ws_host[300];	/* Host: header */
static int			 net_loopback;	/* the server is on 127/8 */
static char			*net_rbuf;
static int			*net_dirty;
static int			 net_ndirty;

static void	net_register(struct bconn *);

/* Print a fatal start-up error and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
net_fatal(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "lanchat-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(BENCH_EXIT_ERROR);
}

/*
 * Prepare the loop: raise the descriptor limit to the hard limit (20,000
 * connections need it), resolve the server's address once, make the
 * epoll set and, for --tls, the OpenSSL context.  Exits on failure.
 */
void
net_init(void)
{
	struct rlimit	 rl;
	struct addrinfo	 hints, *ai;
	char		 port[16];
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			perror("lanchat-bench: setrlimit");
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", run.port);
	if ((r = getaddrinfo(run.host, port, &hints, &ai)) != 0)
		net_fatal("%s: %s", run.host, gai_strerror(r));
	memcpy(&net_addr, ai->ai_addr, ai->ai_addrlen);
	net_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	memcpy(&net_ws_addr, &net_addr, net_addrlen);
	if (net_ws_addr.ss_family == AF_INET)
		((struct sockaddr_in *)&net_ws_addr)->sin_port =
		    htons((uint16_t)run.ws_port);
	else
		((struct sockaddr_in6 *)&net_ws_addr)->sin6_port =
		    htons((uint16_t)run.ws_port);
	snprintf(net_ws_host, sizeof net_ws_host, strchr(run.host, ':') !=
	    NULL ? "[%s]:%d" : "%s:%d", run.host, run.ws_port);
	if (net_addr.ss_family == AF_INET &&
	    (ntohl(((struct sockaddr_in *)&net_addr)->sin_addr.s_addr) >> 24) ==
	    127)
		net_loopback = 1;
	if ((run.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		net_fatal("epoll_create1: %s", strerror(errno));
	if ((net_rbuf = malloc(NET_RBUF + BENCH_LINE_MAX + 1)) == NULL)
		net_fatal("out of memory");
	if (run.tls) {
		if ((run.ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			net_fatal("SSL_CTX_new failed");
		SSL_CTX_set_verify(run.ssl_ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_mode(run.ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	}
}

/* Make room for n connections (all closed). */
void
net_alloc(int n)
{
	int	i;

	run.nconns = n;
	run.conns = calloc((size_t)n, sizeof *run.conns);
	net_dirty = calloc((size_t)n, sizeof *net_dirty);
	if (run.conns == NULL || net_dirty == NULL)
		net_fatal("out of memory");
	for (i = 0; i < n; i++) {
		run.conns[i].fd = -1;
		run.conns[i].idx = i;
		run.conns[i].slot = -1;
		run.conns[i].recv_base = -1;
	}
}

/*
 * Does connection idx use the WebSocket transport?  With --ws=F, F of
 * the connections, spread evenly: with 0.5 every odd one, so member 0
 * (the fan-out's ack point) stays on TCP and senders and receivers are
 * mixed.
 */
int
net_is_ws(int idx)
{
	if (run.ws <= 0)
		return 0;
	return (long long)((double)(idx + 1) * run.ws) >
	    (long long)((double)idx * run.ws);
}

/* The nick of connection idx: a letter, the run's tag, the number. */
void
net_nick(int idx, char *out, size_t outsz)
{
	snprintf(out, outsz, "b%s%d", run.tag, idx);
}

static void
net_epoll(struct bconn *b, int op, int out)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.u32 = (uint32_t)b->idx;
	if (epoll_ctl(run.epfd, op, b->fd, &ev) != 0 && op != EPOLL_CTL_DEL)
		net_error(b, "epoll_ctl: %s", strerror(errno));
	b->want_write = out;
}

/*
 * Close b because of an error (printf-style reason).  The first reason
 * of the run is kept for the report.  Safe to call twice.
 */
void
net_error(struct bconn *b, const char *fmt, ...)
{
	va_list	ap;

	if (b->state == NET_CLOSED || b->state == NET_FREE)
		return;
	if (run.errors++ == 0) {
		va_start(ap, fmt);
		vsnprintf(run.first_error, sizeof run.first_error, fmt, ap);
		va_end(ap);
	}
	if (run.verbose) {
		fprintf(stderr, "lanchat-bench: %s: ", b->nick);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (b->state < NET_READY)
		run.connecting--;
	else
		run.registered--;
	b->state = NET_CLOSED;
	run.closed++;
	if (b->ssl != NULL) {
		SSL_free(b->ssl);
		b->ssl = NULL;
	}
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
}

/*
 * On the loopback, spread the connections over NET_SOURCES source
 * addresses (127.0.0.1 to 127.0.0.NET_SOURCES).  All of them go to one
 * address and port, so from one source address each needs its own
 * ephemeral port: 19,900 of the 28,232 ports in use make every connect()
 * search long for a free one (the kernel time is then ours, not the
 * server's).  IP_BIND_ADDRESS_NO_PORT leaves the port to connect().
 */
static void
net_source(struct bconn *b)
{
	struct sockaddr_in	sin;
	int			one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl((127U << 24) | (1U + (unsigned)b->idx %
	    NET_SOURCES));
	setsockopt(b->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof one);
	if (bind(b->fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		net_error(b, "bind 127.0.0.%d: %s", 1 + b->idx % NET_SOURCES,
		    strerror(errno));
}

/*
 * Open connection idx (run.conns[idx] must be free); caps, when not
 * NULL, is requested with CAP REQ during registration.  Returns 0, or
 * -1 when the socket could not even be made (the reason is counted as
 * an error).
 */
int
net_open(int idx, const char *caps)
{
	struct bconn	*b = &run.conns[idx];
	int		 one = 1;

	memset(b, 0, sizeof *b);
	b->idx = idx;
	b->slot = -1;
	b->recv_base = -1;
	b->caps = caps;
	if (net_is_ws(idx))
		ws_attach(b);
	net_nick(idx, b->nick, sizeof b->nick);
	b->state = NET_CONNECTING;
	run.connecting++;
	b->t_connect = stat_now();
	b->fd = socket(net_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (b->fd == -1) {
		net_error(b, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (net_loopback) {
		net_source(b);
		if (b->state == NET_CLOSED)
			return -1;
	}
	if (connect(b->fd, (struct sockaddr *)(b->ws != NULL ? &net_ws_addr :
	    &net_addr), net_addrlen) != 0 && errno != EINPROGRESS) {
		net_error(b, "connect: %s", strerror(errno));
		return -1;
	}
	net_epoll(b, EPOLL_CTL_ADD, 1);
	return 0;
}

static void
net_dirty_add(struct bconn *b)
{
	if (b->dirty || net_dirty == NULL)
		return;
	b->dirty = 1;
	net_dirty[net_ndirty++] = b->idx;
}

/*
 * Append len raw bytes to what b writes next (the transport's own bytes:
 * WebSocket frames, the upgrade request, or IRC lines on TCP).
 */
void
net_append(struct bconn *b, const char *data, size_t len)
{
	if (b->state == NET_CLOSED || b->state == NET_FREE)
		return;
	if (b->woff > 0 && b->woff == b->wlen)
		b->woff = b->wlen = 0;
	if (b->wlen + len > b->wcap) {
		size_t	ncap = b->wcap ? b->wcap : 1024;

		while (ncap < b->wlen + len)
			ncap *= 2;
		if ((b->wbuf = realloc(b->wbuf, ncap)) == NULL)
			net_fatal("out of memory");
		b->wcap = ncap;
	}
	net_dirty_add(b);
	memcpy(b->wbuf + b->wlen, data, len);
	b->wlen += len;
}

/*
 * Queue len bytes (one or more whole lines with CRLF) on b: as they are
 * on TCP, one WebSocket message per line on a WebSocket (framed when b
 * is flushed).
 */
void
net_send(struct bconn *b, const char *data, size_t len)
{
	if (b->state == NET_CLOSED || b->state == NET_FREE)
		return;
	if (b->ws == NULL) {
		net_append(b, data, len);
		return;
	}
	ws_queue(b, data, len);
	net_dirty_add(b);
}

/* Queue one line (CRLF added) on b, printf-style. */
void
net_sendf(struct bconn *b, const char *fmt, ...)
{
	char	buf[BENCH_LINE_MAX + 3];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 3)
		n = (int)sizeof buf - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	net_send(b, buf, (size_t)n);
}

/*
 * Write what b has queued.  Returns 1 when everything went out, 0 when
 * some waits for the socket (EPOLLOUT is armed), -1 when b was closed.
 */
int
net_flush(struct bconn *b)
{
	ssize_t	n;
	int	e;

	if (b->state == NET_CLOSED || b->state == NET_FREE)
		return -1;
	if (b->state == NET_CONNECTING || b->state == NET_HANDSHAKE)
		return 0;
	if (b->ws != NULL) {
		ws_send(b);	/* queued messages become frames in wbuf */
		if (b->state == NET_CLOSED)
			return -1;
	}
	while (b->woff < b->wlen) {
		if (b->ssl != NULL) {
			ERR_clear_error();
			n = SSL_write(b->ssl, b->wbuf + b->woff,
			    (int)(b->wlen - b->woff));
			if (n <= 0) {
				e = SSL_get_error(b->ssl, (int)n);
				if (e == SSL_ERROR_WANT_WRITE)
					break;
				if (e == SSL_ERROR_WANT_READ) {
					b->tls_wants_read = 1;
					return 0;
				}
				net_error(b, "TLS write failed");
				return -1;
			}
		} else {
			n = write(b->fd, b->wbuf + b->woff, b->wlen - b->woff);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				net_error(b, "write: %s", strerror(errno));
				return -1;
			}
		}
		b->woff += (size_t)n;
	}
	b->tls_wants_read = 0;
	if (b->woff == b->wlen) {
		b->woff = b->wlen = 0;
		if (b->want_write)
			net_epoll(b, EPOLL_CTL_MOD, 0);
		if (b->blocked) {
			b->blocked = 0;
			scen_writable(b);
		}
		return 1;
	}
	b->blocked = 1;
	if (!b->want_write)
		net_epoll(b, EPOLL_CTL_MOD, 1);
	return 0;
}

/* Split a line into tags, source, command and up to 16 parameters. */
static int
net_parse(char *s, struct bline *l)
{
	l->tags = l->source = NULL;
	l->n = 0;
	if (*s == '@') {
		l->tags = s + 1;
		if ((s = strchr(s, ' ')) == NULL)
			return -1;
		*s++ = '\0';
		while (*s == ' ')
			s++;
	}
	if (*s == ':') {
		l->source = s + 1;
		if ((s = strchr(s, ' ')) == NULL)
			return -1;
		*s++ = '\0';
		while (*s == ' ')
			s++;
	}
	l->cmd = s;
	if ((s = strchr(s, ' ')) == NULL)
		return 0;
	*s++ = '\0';
	while (*s != '\0' && l->n < 16) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (*s == ':') {
			l->p[l->n++] = s + 1;
			break;
		}
		l->p[l->n++] = s;
		if ((s = strchr(s, ' ')) == NULL)
			break;
		*s++ = '\0';
	}
	return 0;
}

/*
 * What every client does with a line s (NUL-terminated, no line end,
 * changed in place) received at now, before the scenario sees it.
 */
void
net_line(struct bconn *b, char *s, uint64_t now)
{
	struct bline	l;

	if (net_parse(s, &l) != 0)
		return;
	switch (l.cmd[0]) {
	case 'P':
		if (strcmp(l.cmd, "PING") == 0) {
			net_sendf(b, "PONG :%s", l.n > 0 ? l.p[l.n - 1] : "");
			return;
		}
		break;
	case '0':
		if (strcmp(l.cmd, "001") == 0 && b->state == NET_REGISTERING) {
			b->state = NET_READY;
			b->t_reg = now;
			run.connecting--;
			run.registered++;
		} else if (strcmp(l.cmd, "004") == 0 && l.n >= 3 &&
		    run.server_version[0] == '\0')
			snprintf(run.server_version, sizeof run.server_version,
			    "%s", l.p[2]);
		break;
	case '4':
		if (b->state == NET_REGISTERING && (strcmp(l.cmd, "433") == 0 ||
		    strcmp(l.cmd, "432") == 0 || strcmp(l.cmd, "464") == 0 ||
		    strcmp(l.cmd, "465") == 0)) {
			net_error(b, "registration refused: %s %s", l.cmd,
			    l.n > 0 ? l.p[l.n - 1] : "");
			return;
		}
		break;
	case 'C':
		if (strcmp(l.cmd, "CAP") == 0 && l.n >= 2 &&
		    b->state == NET_REGISTERING) {
			if (strcmp(l.p[1], "ACK") == 0)
				b->caps_ok = 1;
			if (strcmp(l.p[1], "ACK") == 0 ||
			    strcmp(l.p[1], "NAK") == 0)
				net_sendf(b, "CAP END");
			return;
		}
		break;
	case 'E':
		if (strcmp(l.cmd, "ERROR") == 0) {
			net_error(b, "ERROR %s", l.n > 0 ? l.p[0] : "");
			return;
		}
		break;
	}
	scen_line(b, &l, now);
}

/*
 * Bytes (data, len) that WebSocket connection b read at now: the answer
 * to its upgrade, then frames.  Once the 101 is in, b registers.
 */
static void
net_ws_bytes(struct bconn *b, const char *data, size_t len, uint64_t now)
{
	size_t	used;

	if (b->state == NET_WS_UPGRADE) {
		if (ws_handshake(b, data, len, &used) != 1)
			return;
		data += used;
		len -= used;
		net_register(b);
		if (b->state == NET_CLOSED)
			return;
	}
	if (len > 0)
		ws_input(b, data, len, now);
	if (b->state != NET_CLOSED && ws_want_write(b))
		net_dirty_add(b);	/* pongs, a close */
}

/*
 * Read what b has (a few reads at most, so that one busy connection does
 * not starve the others) and hand every complete line on.
 */
static void
net_read(struct bconn *b)
{
	size_t	 len = 0, off, want;
	ssize_t	 n;
	char	*nl, *line;
	uint64_t now;
	int	 i, e, full;

	if (b->rlen > 0) {
		memcpy(net_rbuf, b->rbuf, b->rlen);
		len = b->rlen;
		b->rlen = 0;
	}
	/* Plain sockets: a few reads (epoll is level-triggered, the rest
	 * comes next turn).  TLS: until OpenSSL wants more from the socket,
	 * because a record it has already read would not wake epoll. */
	for (i = 0; b->ssl != NULL || i < NET_READS; i++) {
		want = NET_RBUF - len;
		if (b->ssl != NULL) {
			ERR_clear_error();
			n = SSL_read(b->ssl, net_rbuf + len, (int)want);
			if (n <= 0) {
				e = SSL_get_error(b->ssl, (int)n);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					break;
				net_error(b, e == SSL_ERROR_ZERO_RETURN ?
				    "closed by the server" : "TLS read failed");
				return;
			}
		} else {
			n = read(b->fd, net_rbuf + len, want);
			if (n == 0) {
				net_error(b, "closed by the server");
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				net_error(b, "read: %s", strerror(errno));
				return;
			}
		}
		full = (size_t)n == want;
		now = stat_now();
		run.t_progress = now;
		if (b->ws != NULL) {
			net_ws_bytes(b, net_rbuf, (size_t)n, now);
			if (b->state == NET_CLOSED)
				return;
			if (b->ssl == NULL && !full)
				break;
			continue;
		}
		len += (size_t)n;
		off = 0;
		while ((nl = memchr(net_rbuf + off, '\n', len - off)) != NULL) {
			line = net_rbuf + off;
			off = (size_t)(nl - net_rbuf) + 1;
			if (nl > line && nl[-1] == '\r')
				nl--;
			*nl = '\0';
			if (*line != '\0')
				net_line(b, line, now);
			if (b->state == NET_CLOSED)
				return;
		}
		if (off < len) {
			if (len - off > BENCH_LINE_MAX) {
				net_error(b, "line too long from the server");
				return;
			}
			memmove(net_rbuf, net_rbuf + off, len - off);
		}
		len -= off;
		if (b->ssl == NULL && !full)
			break;	/* the socket is drained */
	}
	if (len > 0) {
		if (b->rbuf == NULL &&
		    (b->rbuf = malloc(BENCH_LINE_MAX + 1)) == NULL)
			net_fatal("out of memory");
		memcpy(b->rbuf, net_rbuf, len);
		b->rlen = len;
	}
}

static void
net_register(struct bconn *b)
{
	b->state = NET_REGISTERING;
	if (b->ws == NULL)
		b->t_open = stat_now();
	if (run.password != NULL)
		net_sendf(b, "PASS %s", run.password);
	if (b->caps != NULL)
		net_sendf(b, "CAP REQ :%s", b->caps);
	net_sendf(b, "NICK %s", b->nick);
	net_sendf(b, "USER bench 0 * :lanchat-bench %d", b->idx);
	net_flush(b);
}

/* b is connected (and through TLS): register, or upgrade first. */
static void
net_connected(struct bconn *b)
{
	if (b->ws == NULL) {
		net_register(b);
		return;
	}
	b->t_open = stat_now();
	ws_upgrade(b, net_ws_host);
	net_flush(b);
}

static void
net_handshake(struct bconn *b)
{
	int	r, e;

	ERR_clear_error();
	if ((r = SSL_do_handshake(b->ssl)) == 1) {
		net_epoll(b, EPOLL_CTL_MOD, 0);
		net_connected(b);
		return;
	}
	e = SSL_get_error(b->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		net_epoll(b, EPOLL_CTL_MOD, 0);
	else if (e == SSL_ERROR_WANT_WRITE)
		net_epoll(b, EPOLL_CTL_MOD, 1);
	else
		net_error(b, "TLS handshake failed");
}

static void
net_event(struct bconn *b, uint32_t ev)
{
	int		err = 0;
	socklen_t	len = sizeof err;

	switch (b->state) {
	case NET_CONNECTING:
		if (getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			net_error(b, "connect: %s", strerror(err));
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (run.tls) {
			if ((b->ssl = SSL_new(run.ssl_ctx)) == NULL ||
			    SSL_set_fd(b->ssl, b->fd) != 1) {
				net_error(b, "SSL_new failed");
				return;
			}
			SSL_set_connect_state(b->ssl);
			b->state = NET_HANDSHAKE;
			net_handshake(b);
			return;
		}
		net_epoll(b, EPOLL_CTL_MOD, 0);
		net_connected(b);
		return;
	case NET_HANDSHAKE:
		net_handshake(b);
		return;
	case NET_CLOSED:
	case NET_FREE:
		return;
	default:
		break;
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		net_read(b);
		if (b->tls_wants_read)
			net_flush(b);
	}
	if ((ev & EPOLLOUT) && b->state != NET_CLOSED)
		net_flush(b);
}

static void
net_flush_dirty(void)
{
	int	i, idx;

	for (i = 0; i < net_ndirty; i++) {
		idx = net_dirty[i];
		/* A WebSocket's messages become bytes in net_flush(), which
		 * appends them: still dirty then, so not listed twice. */
		if (run.conns[idx].wlen > run.conns[idx].woff ||
		    run.conns[idx].ws != NULL)
			net_flush(&run.conns[idx]);
		run.conns[idx].dirty = 0;
	}
	net_ndirty = 0;
}

/*
 * One turn: write what was queued since the last turn, wait up to
 * timeout_ms for events, handle them, then write everything that was
 * queued during the turn.  Returns the number of events.
 */
int
net_poll(int timeout_ms)
{
	struct epoll_event	evs[NET_EVENTS];
	int			n, i;

	net_flush_dirty();	/* what was queued between two turns */
	n = epoll_wait(run.epfd, evs, NET_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			net_fatal("epoll_wait: %s", strerror(errno));
		n = 0;
	}
	for (i = 0; i < n; i++)
		net_event(&run.conns[evs[i].data.u32], evs[i].events);
	net_flush_dirty();
	return n;
}

/*
 * Close every connection at once, with SO_LINGER 0 so that the server
 * sees a reset and no socket is left in TIME_WAIT (three runs of 19,900
 * connections would otherwise use up the ephemeral ports).
 */
void
net_close_all(void)
{
	struct linger	lg = { 1, 0 };
	int		i;

	for (i = 0; i < run.nconns; i++) {
		struct bconn *b = &run.conns[i];

		if (b->fd == -1 || b->state == NET_FREE)
			continue;
		setsockopt(b->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		if (b->ssl != NULL)
			SSL_free(b->ssl);
		b->ssl = NULL;
		close(b->fd);
		b->fd = -1;
		b->state = NET_CLOSED;
	}
}
