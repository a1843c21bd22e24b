/*
 * /upload FILE, through the server's FILEHOST (IRCv3 draft/FILEHOST, or
 * soju.im/FILEHOST): ask the server for a login token over IRC
 * ("TOKEN NEW", answered "TOKEN NEW <token>" or FAIL), then POST the
 * file to the FILEHOST URL with "Authorization: Bearer <token>", and
 * say the link it gives back (201 Created, Location) in the window the
 * upload was started from.  A server without FILEHOST or without TOKEN
 * gets a plain "not supported by this server".
 *
 * The HTTP request runs on a thread of its own, streaming the file, so
 * the screen stays live; it shares nothing with the loop but a pipe,
 * through which it hands back one line ("OK <url>" or "ERR <why>").
 * Over https the server's certificate must be the one pinned for the
 * IRC connection; a plain http URL is refused while IRC is on TLS, as
 * the FILEHOST draft says, rather than send the token in clear.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lanchat.h"
#include "util.h"
#include "xmalloc.h"

struct upload {
	char		*path;
	char		*target;	/* window to post the link in */
	int		 https;
	char		 host[256];
	int		 port;
	char		*urlpath;
	char		*token;
	char		 pinned[LC_FP_LEN];
	off_t		 size;
	pthread_t	 thread;
	int		 running;
	int		 pipe[2];
};

static struct upload	*upload_cur;

static void
upload_free(struct upload *u)
{
	if (u == NULL)
		return;
	free(u->path);
	free(u->target);
	free(u->urlpath);
	if (u->token != NULL)
		explicit_bzero(u->token, strlen(u->token));
	free(u->token);
	if (u->pipe[0] != -1)
		close(u->pipe[0]);
	if (u->pipe[1] != -1)
		close(u->pipe[1]);
	free(u);
}

/* Split an http(s) URL; 0 or -1. */
static int
upload_parse_url(struct upload *u, const char *url)
{
	const char	*p, *slash, *colon;
	size_t		 hl;

	if (strncasecmp(url, "https://", 8) == 0) {
		u->https = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		u->https = 0;
		p = url + 7;
	} else
		return -1;
	slash = p + strcspn(p, "/");
	if (*p == '[') {
		const char *end = strchr(p, ']');

		if (end == NULL || end > slash)
			return -1;
		hl = end - p - 1;
		if (hl >= sizeof u->host)
			return -1;
		memcpy(u->host, p + 1, hl);
		u->host[hl] = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = memchr(p, ':', slash - p);
		hl = (colon != NULL ? colon : slash) - p;
		if (hl == 0 || hl >= sizeof u->host)
			return -1;
		memcpy(u->host, p, hl);
		u->host[hl] = '\0';
	}
	u->port = colon != NULL ? atoi(colon + 1) : (u->https ? 443 : 80);
	if (u->port <= 0 || u->port > 65535)
		return -1;
	u->urlpath = xstrdup(*slash != '\0' ? slash : "/");
	return 0;
}

/* Start an upload of path from the window on screen. */
void
upload_start(const char *path)
{
	struct window	*w = win_cur();
	struct upload	*u;
	struct stat	 sb;
	const char	*url;

	if (upload_cur != NULL) {
		win_info(w, LINE_ERROR, "An upload is already running.");
		return;
	}
	if (w->type != WIN_CHANNEL && w->type != WIN_QUERY) {
		win_info(w, LINE_ERROR, "Upload from a channel or a "
		    "conversation window: the link is posted there.");
		return;
	}
	if ((url = irc_isupport("draft/FILEHOST")) == NULL &&
	    (url = irc_isupport("soju.im/FILEHOST")) == NULL) {
		win_info(w, LINE_ERROR, "Uploads are not supported by this "
		    "server (it announces no FILEHOST).");
		return;
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    access(path, R_OK) != 0) {
		win_info(w, LINE_ERROR, "%s: %s", path, errno != 0 ?
		    strerror(errno) : "not a regular file");
		return;
	}
	u = xcalloc(1, sizeof *u);
	u->pipe[0] = u->pipe[1] = -1;
	if (upload_parse_url(u, url) != 0) {
		win_info(w, LINE_ERROR, "The server's FILEHOST (%s) is not an "
		    "http or https URL.", url);
		upload_free(u);
		return;
	}
	if (!u->https && lc.tls) {
		win_info(w, LINE_ERROR, "The server takes uploads only over "
		    "plain http (%s); this connection is encrypted, so "
		    "lanchat will not send your login token in clear.  Ask "
		    "the server's owner to turn on --https-listen.", url);
		upload_free(u);
		return;
	}
	if (lc.logged_in == NULL) {
		win_info(w, LINE_ERROR, "Uploads need an account: start "
		    "lanchat again and log in, or register.");
		upload_free(u);
		return;
	}
	u->path = xstrdup(path);
	u->target = xstrdup(w->name);
	u->size = sb.st_size;
	strlcpy_u(u->pinned, lc.pinned, sizeof u->pinned);
	upload_cur = u;
	irc_send("TOKEN NEW");
	win_info(w, LINE_INFO, "Uploading %s (%lld bytes)...", path,
	    (long long)sb.st_size);
}

/* The upload cannot go on (why: for the user). */
void
upload_fail(const char *why)
{
	struct window	*w;

	if (upload_cur == NULL || upload_cur->running)
		return;
	w = win_find(upload_cur->target);
	win_info(w != NULL ? w : win_cur(), LINE_ERROR, "Upload: %s", why);
	upload_free(upload_cur);
	upload_cur = NULL;
}

static const char *
upload_type(const char *path)
{
	static const char *const map[][2] = {
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".webp", "image/webp" }, { ".txt", "text/plain" },
		{ ".pdf", "application/pdf" }, { ".mp4", "video/mp4" },
	};
	const char	*dot = strrchr(path, '.');
	size_t		 i;

	for (i = 0; dot != NULL && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(dot, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

/* I/O over plain TCP or TLS, for the thread. */
struct upload_io {
	int	 fd;
	SSL_CTX	*ctx;
	SSL	*ssl;
};

static int
upload_write(struct upload_io *io, const void *b, size_t n)
{
	const char	*p = b;
	ssize_t		 r;

	while (n > 0) {
		r = io->ssl != NULL ? SSL_write(io->ssl, p, n) :
		    write(io->fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

static ssize_t
upload_read(struct upload_io *io, char *b, size_t n)
{
	return io->ssl != NULL ? SSL_read(io->ssl, b, n) : read(io->fd, b, n);
}

/* Connect (with TLS and the pin when https); NULL error or why. */
static const char *
upload_connect(struct upload *u, struct upload_io *io)
{
	struct addrinfo	 hints, *ai, *a;
	struct timeval	 tv = { 30, 0 };
	char		 ps[16], fp[LC_FP_LEN];

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%d", u->port);
	if (getaddrinfo(u->host, ps, &hints, &ai) != 0)
		return "cannot resolve the FILEHOST's name";
	io->fd = -1;
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((io->fd = socket(a->ai_family, a->ai_socktype |
		    SOCK_CLOEXEC, a->ai_protocol)) == -1)
			continue;
		setsockopt(io->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(io->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(io->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(io->fd);
		io->fd = -1;
	}
	freeaddrinfo(ai);
	if (io->fd == -1)
		return "cannot connect to the FILEHOST";
	if (!u->https)
		return NULL;
	io->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(io->ctx, SSL_VERIFY_NONE, NULL);
	io->ssl = SSL_new(io->ctx);
	SSL_set_fd(io->ssl, io->fd);
	if (SSL_connect(io->ssl) != 1)
		return "TLS handshake with the FILEHOST failed";
	if (net_fingerprint(io->ssl, fp, sizeof fp) != 0 ||
	    strcasecmp(fp, u->pinned) != 0)
		return "the FILEHOST's certificate is not the server's pinned "
		    "one: refused";
	return NULL;
}

/* The upload thread: POST the file, hand back "OK url" or "ERR why". */
static void *
upload_thread(void *arg)
{
	struct upload	*u = arg;
	struct upload_io io = { -1, NULL, NULL };
	struct buf	 req, resp;
	const char	*err = NULL, *base;
	char		 b[16384], *loc = NULL, *p, *name, status[64];
	ssize_t		 n;
	int		 fd = -1, code = 0;

	buf_init(&req);
	buf_init(&resp);
	if ((err = upload_connect(u, &io)) != NULL)
		goto out;
	if ((fd = open(u->path, O_RDONLY | O_CLOEXEC)) == -1) {
		err = "cannot open the file";
		goto out;
	}
	name = strrchr(u->path, '/') != NULL ? strrchr(u->path, '/') + 1 :
	    u->path;
	buf_printf(&req, "POST %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: %s\r\n"
	    "Content-Disposition: attachment; filename=\"", u->urlpath,
	    strchr(u->host, ':') ? "[" : "", u->host,
	    strchr(u->host, ':') ? "]" : "", u->port, u->token,
	    upload_type(name));
	for (p = name; *p != '\0'; p++)
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			buf_addch(&req, *p);
	buf_printf(&req, "\"\r\nContent-Length: %lld\r\nConnection: close"
	    "\r\nUser-Agent: lanchat\r\n\r\n", (long long)u->size);
	if (upload_write(&io, req.data, req.len) != 0) {
		err = "the FILEHOST closed the connection";
		goto out;
	}
	while ((n = read(fd, b, sizeof b)) > 0)
		if (upload_write(&io, b, n) != 0)
			break;	/* the answer may say why (413) */
	while (resp.len < 65536 && (n = upload_read(&io, b, sizeof b)) > 0)
		buf_add(&resp, b, n);
	if (resp.len == 0 || sscanf(resp.data, "HTTP/%*s %d", &code) != 1) {
		err = "no answer from the FILEHOST";
		goto out;
	}
	if (code != 201 && code != 200) {
		snprintf(status, sizeof status, "the FILEHOST answered %d%s",
		    code, code == 413 ? " (too large)" : code == 401 ||
		    code == 403 ? " (not allowed)" : "");
		err = status;
		goto out;
	}
	for (p = resp.data; (p = strstr(p, "\r\n")) != NULL; p += 2) {
		if (strncasecmp(p + 2, "Location:", 9) == 0) {
			loc = p + 11;
			loc += strspn(loc, " \t");
			loc[strcspn(loc, "\r\n")] = '\0';
			break;
		}
		if (p[2] == '\r')
			break;
	}
	if (loc == NULL || *loc == '\0') {
		err = "the FILEHOST gave no Location for the file";
		goto out;
	}
out:
	if (err != NULL)
		dprintf(u->pipe[1], "ERR %s\n", err);
	else if (loc[0] == '/') {
		base = u->https ? "https" : "http";
		dprintf(u->pipe[1], "OK %s://%s%s%s:%d%s\n", base,
		    strchr(u->host, ':') ? "[" : "", u->host,
		    strchr(u->host, ':') ? "]" : "", u->port, loc);
	} else
		dprintf(u->pipe[1], "OK %s\n", loc);
	if (fd != -1)
		close(fd);
	if (io.ssl != NULL) {
		SSL_shutdown(io.ssl);
		SSL_free(io.ssl);
	}
	if (io.ctx != NULL)
		SSL_CTX_free(io.ctx);
	if (io.fd != -1)
		close(io.fd);
	explicit_bzero(req.data, req.len);
	buf_free(&req);
	buf_free(&resp);
	return NULL;
}

/* The server gave us a token: start the request. */
void
upload_token(const char *token)
{
	struct upload	*u = upload_cur;

	if (u == NULL || u->running)
		return;
	if (*token == '\0' || strcspn(token, " \r\n") != strlen(token)) {
		upload_fail("the server's token is not usable");
		return;
	}
	u->token = xstrdup(token);
	if (pipe2(u->pipe, O_CLOEXEC) != 0 ||
	    pthread_create(&u->thread, NULL, upload_thread, u) != 0) {
		upload_fail(strerror(errno));
		return;
	}
	u->running = 1;
}

/* The pipe to poll for the result, or -1. */
int
upload_fd(void)
{
	return upload_cur != NULL && upload_cur->running ?
	    upload_cur->pipe[0] : -1;
}

/* The result is there: post the link, or say why not. */
void
upload_done(void)
{
	struct upload	*u = upload_cur;
	struct window	*w;
	char		 b[2048];
	ssize_t		 n;

	if (u == NULL || !u->running)
		return;
	n = read(u->pipe[0], b, sizeof b - 1);
	b[n > 0 ? n : 0] = '\0';
	b[strcspn(b, "\n")] = '\0';
	pthread_join(u->thread, NULL);
	w = win_find(u->target);
	if (strncmp(b, "OK ", 3) == 0 && w != NULL) {
		win_info(w, LINE_INFO, "Uploaded %s", u->path);
		cmd_say(w, b + 3, 0);
	} else
		win_info(w != NULL ? w : win_cur(), LINE_ERROR, "Upload of "
		    "%s failed: %s", u->path, strncmp(b, "ERR ", 4) == 0 ?
		    b + 4 : "the upload stopped");
	upload_cur = NULL;
	upload_free(u);
}
