/*
 * The connection to the server: TCP, then TLS when asked, all
 * non-blocking so that the screen never freezes while a server is slow
 * or gone.  struct net owns its socket, its SSL objects and its two
 * buffers; net_close() frees them all and leaves the struct ready for
 * the next net_start().  Certificates are not checked against any CA:
 * a LAN server's certificate is self-signed, and what we trust is its
 * SHA-256 fingerprint, pinned by trust.c (DESIGN.md "Trust").
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lanchat.h"
#include "util.h"
#include "xmalloc.h"

#define NET_IN_MAX	(64 * 1024)	/* a line longer than this: error */

static size_t	net_inpos;		/* lines handed out, not consumed */

/* Make n an idle connection with empty buffers. */
void
net_init(struct net *n)
{
	memset(n, 0, sizeof *n);
	n->fd = -1;
	buf_init(&n->in);
	buf_init(&n->out);
}

static void
net_ssl_error(char **cause, const char *what)
{
	unsigned long	e = ERR_get_error();
	char		b[256];

	if (e != 0)
		ERR_error_string_n(e, b, sizeof b);
	else
		strlcpy_u(b, strerror(errno), sizeof b);
	ERR_clear_error();
	xasprintf(cause, "%s: %s", what, b);
}

/* Start connecting to the next address of the list; 0, or -1 at the end. */
static int
net_try_next(struct net *n, char **cause)
{
	struct addrinfo	*ai;
	int		 fd, on = 1;
	char		 a[INET6_ADDRSTRLEN + 8];

	while ((ai = n->ai_next) != NULL) {
		n->ai_next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
		addr_format(ai->ai_addr, a, sizeof a, 1);
		strlcpy_u(n->peer, a, sizeof n->peer);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			n->fd = fd;
			n->state = NET_CONNECTING;
			n->want = POLLOUT;
			return 0;
		}
		free(*cause);
		xasprintf(cause, "%s: %s", a, strerror(errno));
		close(fd);
	}
	if (*cause == NULL)
		xasprintf(cause, "%s:%d: no address to connect to", n->host,
		    n->port);
	return -1;
}

/*
 * Start connecting to host:port, with TLS if tls.  Resolving is the
 * only step that blocks (a LAN name or an address).  Returns 0 with the
 * connection under way (drive it with net_step), or -1 with *cause.
 */
int
net_start(struct net *n, const char *host, int port, int tls, char **cause)
{
	struct addrinfo	 hints;
	char		 ps[16];
	int		 r;

	net_close(n);
	*cause = NULL;
	strlcpy_u(n->host, host, sizeof n->host);
	n->port = port;
	n->tls = tls;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", port);
	if ((r = getaddrinfo(host, ps, &hints, &n->ai)) != 0) {
		xasprintf(cause, "%s: %s", host, gai_strerror(r));
		n->ai = NULL;
		return -1;
	}
	n->ai_next = n->ai;
	return net_try_next(n, cause);
}

/* SHA-256 of the peer's certificate as "AB:CD:..."; 0 or -1. */
int
net_fingerprint(SSL *ssl, char *out, size_t outsz)
{
	X509		*x;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;

	if ((x = SSL_get1_peer_certificate(ssl)) == NULL)
		return -1;
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 ||
	    len != DISCPROTO_FP_LEN) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	discproto_fp_format(md, out, outsz);
	return 0;
}

static int
net_handshake(struct net *n, char **cause)
{
	int	r, e;

	ERR_clear_error();
	if ((r = SSL_connect(n->ssl)) == 1) {
		if (net_fingerprint(n->ssl, n->fp, sizeof n->fp) != 0) {
			xasprintf(cause, "%s: the server sent no certificate",
			    n->peer);
			return -1;
		}
		n->state = NET_UP;
		n->want = POLLIN;
		return 1;
	}
	e = SSL_get_error(n->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		n->want = POLLIN;
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		n->want = POLLOUT;
		return 0;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		xasprintf(cause, "%s: TLS handshake: %s", n->peer, r == 0 ?
		    "connection closed (is this the TLS port?)" :
		    strerror(errno));
	else
		net_ssl_error(cause, "TLS handshake");
	return -1;
}

/*
 * Take the connection one step on, given the poll events revents.
 * Returns 1 when it has just come up (TCP connected, TLS done: n->fp is
 * the certificate's fingerprint), 0 while under way, -1 with *cause
 * when every address failed.
 */
int
net_step(struct net *n, short revents, char **cause)
{
	int		err = 0;
	socklen_t	len = sizeof err;

	*cause = NULL;
	if (n->state == NET_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0) {
			xasprintf(cause, "%s: %s", n->peer, strerror(err));
			close(n->fd);
			n->fd = -1;
			if (n->ai_next == NULL)
				return -1;
			free(*cause);
			*cause = NULL;
			return net_try_next(n, cause) == 0 ? 0 : -1;
		}
		if (!n->tls) {
			n->state = NET_UP;
			n->want = POLLIN;
			return 1;
		}
		if (n->ctx == NULL) {
			n->ctx = SSL_CTX_new(TLS_client_method());
			SSL_CTX_set_min_proto_version(n->ctx, TLS1_2_VERSION);
			SSL_CTX_set_verify(n->ctx, SSL_VERIFY_NONE, NULL);
			SSL_CTX_set_mode(n->ctx,
			    SSL_MODE_ENABLE_PARTIAL_WRITE |
			    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		}
		n->ssl = SSL_new(n->ctx);
		SSL_set_fd(n->ssl, n->fd);
		{
			struct in6_addr	a6;

			/* SNI only for names, never for addresses. */
			if (inet_pton(AF_INET6, n->host, &a6) != 1 &&
			    strspn(n->host, "0123456789.") !=
			    strlen(n->host) && strchr(n->host, '%') == NULL)
				SSL_set_tlsext_host_name(n->ssl, n->host);
		}
		n->state = NET_HANDSHAKE;
	}
	if (n->state == NET_HANDSHAKE)
		return net_handshake(n, cause);
	return 0;
}

/*
 * Read what there is.  Returns 0, or -1 with *cause when the server
 * closed the connection or it failed.
 */
int
net_read(struct net *n, char **cause)
{
	char	b[16384];
	ssize_t	r;
	int	e;

	*cause = NULL;
	for (;;) {
		if (n->tls) {
			ERR_clear_error();
			r = SSL_read(n->ssl, b, sizeof b);
			if (r <= 0) {
				e = SSL_get_error(n->ssl, r);
				if (e == SSL_ERROR_WANT_READ)
					return 0;
				if (e == SSL_ERROR_WANT_WRITE) {
					n->want = POLLOUT;
					return 0;
				}
				if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL &&
				    ERR_peek_error() == 0 && r == 0))
					xasprintf(cause, "the server closed "
					    "the connection");
				else
					net_ssl_error(cause, "TLS");
				return -1;
			}
		} else {
			r = read(n->fd, b, sizeof b);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (r <= 0) {
				xasprintf(cause, r == 0 ? "the server closed "
				    "the connection" : "%s", strerror(errno));
				return -1;
			}
		}
		if (n->in.len + r > NET_IN_MAX) {
			xasprintf(cause, "the server sent a line over %d bytes",
			    NET_IN_MAX);
			return -1;
		}
		buf_add(&n->in, b, r);
		n->want = POLLIN;
	}
}

/*
 * The next complete line (CR and LF removed), or NULL.  The pointer is
 * into n's input buffer: valid until the next net_read or net_close.
 */
char *
net_line(struct net *n, size_t *len)
{
	char	*start, *nl;

	if (n->state != NET_UP) {
		net_inpos = 0;
		return NULL;
	}
	start = n->in.data + net_inpos;
	if (net_inpos >= n->in.len ||
	    (nl = memchr(start, '\n', n->in.len - net_inpos)) == NULL) {
		buf_consume(&n->in, net_inpos);
		net_inpos = 0;
		return NULL;
	}
	*nl = '\0';
	net_inpos = nl + 1 - n->in.data;
	if (nl > start && nl[-1] == '\r')
		*--nl = '\0';
	if (len != NULL)
		*len = nl - start;
	return start;
}

/* Queue len bytes of line and CRLF; written by net_flush. */
void
net_send(struct net *n, const char *line, size_t len)
{
	if (n->state != NET_UP)
		return;
	buf_add(&n->out, line, len);
	buf_add(&n->out, "\r\n", 2);
}

/* Write what is queued, as far as the socket takes it; 0 or -1. */
int
net_flush(struct net *n, char **cause)
{
	ssize_t	r;
	int	e;

	*cause = NULL;
	while (n->state == NET_UP && n->out.len > 0) {
		if (n->tls) {
			ERR_clear_error();
			r = SSL_write(n->ssl, n->out.data, n->out.len);
			if (r <= 0) {
				e = SSL_get_error(n->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					return 0;
				net_ssl_error(cause, "TLS write");
				return -1;
			}
		} else {
			r = write(n->fd, n->out.data, n->out.len);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (r == -1) {
				xasprintf(cause, "%s", strerror(errno));
				return -1;
			}
		}
		buf_consume(&n->out, r);
	}
	return 0;
}

/* The poll events the connection waits for now. */
short
net_events(const struct net *n)
{
	short	ev;

	if (n->fd == -1)
		return 0;
	if (n->state != NET_UP)
		return n->want;
	ev = POLLIN;
	if (n->out.len > 0 || n->want == POLLOUT)
		ev |= POLLOUT;
	return ev;
}

/* Close and free everything; n can be started again. */
void
net_close(struct net *n)
{
	if (n->ssl != NULL) {
		if (n->state == NET_UP)
			SSL_shutdown(n->ssl);	/* best effort, no wait */
		SSL_free(n->ssl);
	}
	n->ssl = NULL;
	if (n->ctx != NULL)
		SSL_CTX_free(n->ctx);
	n->ctx = NULL;
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
	if (n->ai != NULL)
		freeaddrinfo(n->ai);
	n->ai = n->ai_next = NULL;
	n->state = NET_IDLE;
	n->fp[0] = '\0';
	buf_reset(&n->in);
	buf_reset(&n->out);
	net_inpos = 0;
}

/*
 * Connect and (with tls) finish the handshake, waiting up to timeout_ms.
 * For the first contact, before the screen is set up.  Returns 0 or -1
 * with *cause.
 */
int
net_open_blocking(struct net *n, const char *host, int port, int tls,
    int timeout_ms, char **cause)
{
	struct pollfd	pfd;
	uint64_t	end = now_ms() + timeout_ms;
	int		r, left;

	if (net_start(n, host, port, tls, cause) != 0)
		return -1;
	for (;;) {
		left = (int)(end - now_ms());
		if ((int64_t)(end - now_ms()) <= 0) {
			xasprintf(cause, "%s: no answer in %d s", n->peer[0] ?
			    n->peer : host, timeout_ms / 1000);
			net_close(n);
			return -1;
		}
		pfd.fd = n->fd;
		pfd.events = net_events(n);
		pfd.revents = 0;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			xasprintf(cause, "poll: %s", strerror(errno));
			net_close(n);
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		if ((r = net_step(n, pfd.revents, cause)) == 1)
			return 0;
		if (r < 0) {
			net_close(n);
			return -1;
		}
	}
}
