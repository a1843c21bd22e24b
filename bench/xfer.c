/*
 * The upload scenario's HTTP half: a file of --size bytes goes up to the
 * server's FILEHOST URL (POST, Authorization: Bearer <login token>, the
 * token from scen_token()) and comes back down from the Location of the
 * 201, on the loopback, as fast as both ends go.  Figures: MB/s (10^6
 * bytes a second) each way, and the server's RSS before, at its peak
 * during each transfer and after, with its CPU use.
 *
 * The file is never in memory: it is a pattern XFER_PERIOD bytes long,
 * repeated (the period is not a power of two, so a chunk that came back
 * in the wrong place does not match).  xfer_pat holds one period and
 * one chunk more, so that any chunk of the file is one contiguous piece
 * of it.  The download is compared byte for byte with the pattern as it
 * arrives, and its length with the size.
 *
 * One connection at a time, blocking (there is nothing else to do
 * meanwhile), with --drain seconds as the limit for no progress; TLS
 * when the URL is https (no certificate check).  The server's answers
 * are read by http-parser.  The peak RSS is sampled every XFER_SAMPLE_NS
 * and, where the kernel lets us reset the server's high-water mark
 * (/proc/PID/clear_refs), also read from VmHWM, which misses nothing.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <http_parser.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"

#define XFER_CHUNK	(1024 * 1024)		/* per write, per read */
#define XFER_PERIOD	(XFER_CHUNK + 4093)	/* the pattern repeats */
#define XFER_SAMPLE_NS	20000000ULL		/* RSS every 20 ms */

/* Where to connect and what to ask for. */
struct xfer_url {
	char	host[256];
	char	port[8];
	char	hosthdr[300];	/* Host: */
	char	path[2048];
	int	tls;
};

/* One HTTP connection. */
struct xfer_conn {
	int	 fd;
	SSL	*ssl;
};

/* A response being read. */
struct xfer_resp {
	http_parser	 p;
	int		 head_done;
	int		 done;
	char		 field[32];
	int		 in_value;
	int		 is_location;
	char		 location[2048];
	char		 text[200];	/* the start of the body */
	int		 verify;	/* the body must be the pattern */
	uint64_t	 body;		/* body bytes so far */
	int		 bad;		/* not the pattern */
	uint64_t	 bad_at;
};

/* The server's memory during a transfer. */
struct xfer_mem {
	uint64_t	peak;		/* sampled */
	int		hwm_reset;	/* VmHWM counts from the start */
};

static unsigned char		*xfer_pat;
static SSL_CTX			*xfer_ssl_ctx;
static http_parser_settings	 xfer_settings;
static struct xfer_mem		*xfer_mem_now;
static uint64_t			 xfer_t_sample;

/* The pattern: XFER_PERIOD bytes of xorshift, then its first chunk. */
static void
xfer_pattern(void)
{
	uint64_t	x = 0x9e3779b97f4a7c15ULL;
	size_t		i;

	if ((xfer_pat = malloc(XFER_PERIOD + XFER_CHUNK)) == NULL) {
		fprintf(stderr, "lanchat-bench: out of memory\n");
		exit(BENCH_EXIT_ERROR);
	}
	for (i = 0; i < XFER_PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		xfer_pat[i] = (unsigned char)(x >> 56);
	}
	memcpy(xfer_pat + XFER_PERIOD, xfer_pat, XFER_CHUNK);
}

/* A line of /proc/PID/status ("VmRSS", "VmHWM") in KiB, or 0. */
static uint64_t
xfer_status(const char *key)
{
	char		 path[64], buf[256];
	size_t		 kl = strlen(key);
	uint64_t	 v = 0;
	FILE		*f;

	if (run.pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/status", run.pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof buf, f) != NULL) {
		if (strncmp(buf, key, kl) == 0 && buf[kl] == ':') {
			v = strtoull(buf + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Start watching the server's memory for one transfer. */
static void
xfer_mem_start(struct xfer_mem *m)
{
	FILE	*f;
	char	 path[64];

	memset(m, 0, sizeof *m);
	if (run.pid <= 0)
		return;
	m->peak = xfer_status("VmRSS");
	/* proc(5): writing 5 resets the peak RSS to the current RSS. */
	snprintf(path, sizeof path, "/proc/%d/clear_refs", run.pid);
	if ((f = fopen(path, "w")) != NULL) {
		m->hwm_reset = fputs("5", f) >= 0;
		if (fclose(f) != 0)
			m->hwm_reset = 0;
	}
	xfer_mem_now = m;
	xfer_t_sample = stat_now();
}

/* A sample, if the last one is XFER_SAMPLE_NS old. */
static void
xfer_mem_sample(void)
{
	struct xfer_mem	*m = xfer_mem_now;
	uint64_t	 now, rss;

	if (m == NULL || run.pid <= 0)
		return;
	now = stat_now();
	if (now - xfer_t_sample < XFER_SAMPLE_NS)
		return;
	xfer_t_sample = now;
	if ((rss = xfer_status("VmRSS")) > m->peak)
		m->peak = rss;
}

/* The transfer is over: its peak RSS in KiB. */
static uint64_t
xfer_mem_end(struct xfer_mem *m)
{
	uint64_t	v;

	xfer_t_sample = 0;
	xfer_mem_sample();
	xfer_mem_now = NULL;
	if (m->hwm_reset && (v = xfer_status("VmHWM")) > m->peak)
		m->peak = v;
	return m->peak;
}

/* Split url into where to connect and the path.  0, or -1. */
static int
xfer_url_parse(const char *url, struct xfer_url *u)
{
	struct http_parser_url	 pu;
	size_t			 len = strlen(url);

	memset(u, 0, sizeof *u);
	http_parser_url_init(&pu);
	if (http_parser_parse_url(url, len, 0, &pu) != 0 ||
	    !(pu.field_set & (1 << UF_SCHEMA)) ||
	    !(pu.field_set & (1 << UF_HOST)) ||
	    pu.field_data[UF_HOST].len >= sizeof u->host)
		return -1;
	if (pu.field_data[UF_SCHEMA].len == 5 &&
	    strncasecmp(url + pu.field_data[UF_SCHEMA].off, "https", 5) == 0)
		u->tls = 1;
	else if (pu.field_data[UF_SCHEMA].len != 4 ||
	    strncasecmp(url + pu.field_data[UF_SCHEMA].off, "http", 4) != 0)
		return -1;
	memcpy(u->host, url + pu.field_data[UF_HOST].off,
	    pu.field_data[UF_HOST].len);
	snprintf(u->port, sizeof u->port, "%u", (pu.field_set &
	    (1 << UF_PORT)) ? pu.port : u->tls ? 443 : 80);
	snprintf(u->hosthdr, sizeof u->hosthdr, strchr(u->host, ':') != NULL ?
	    "[%s]:%s" : "%s:%s", u->host, u->port);
	if (pu.field_set & (1 << UF_PATH))
		snprintf(u->path, sizeof u->path, "%s", url +
		    pu.field_data[UF_PATH].off);
	else
		snprintf(u->path, sizeof u->path, "/");
	u->path[strcspn(u->path, "#")] = '\0';
	return 0;
}

/* Connect to u, through TLS if it says so.  0, or -1 (said why). */
static int
xfer_connect(const struct xfer_url *u, struct xfer_conn *x)
{
	struct addrinfo	 hints, *ai, *a;
	struct timeval	 tv;
	int		 r;

	x->fd = -1;
	x->ssl = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(u->host, u->port, &hints, &ai)) != 0) {
		fprintf(stderr, "lanchat-bench: %s: %s\n", u->host,
		    gai_strerror(r));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		x->fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (x->fd == -1)
			continue;
		if (connect(x->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(x->fd);
		x->fd = -1;
	}
	freeaddrinfo(ai);
	if (x->fd == -1) {
		fprintf(stderr, "lanchat-bench: connect to %s: %s\n",
		    u->hosthdr, strerror(errno));
		return -1;
	}
	/* No progress for --drain seconds is a failure. */
	tv.tv_sec = (time_t)run.drain;
	tv.tv_usec = (suseconds_t)((run.drain - (double)tv.tv_sec) * 1e6);
	setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (!u->tls)
		return 0;
	if (xfer_ssl_ctx == NULL) {
		if ((xfer_ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
			fprintf(stderr, "lanchat-bench: SSL_CTX_new failed\n");
			return -1;
		}
		SSL_CTX_set_verify(xfer_ssl_ctx, SSL_VERIFY_NONE, NULL);
	}
	ERR_clear_error();
	if ((x->ssl = SSL_new(xfer_ssl_ctx)) == NULL ||
	    SSL_set_fd(x->ssl, x->fd) != 1 ||
	    SSL_set_tlsext_host_name(x->ssl, u->host) != 1 ||
	    SSL_connect(x->ssl) != 1) {
		fprintf(stderr, "lanchat-bench: TLS to %s failed\n",
		    u->hosthdr);
		return -1;
	}
	return 0;
}

static void
xfer_close(struct xfer_conn *x)
{
	if (x->ssl != NULL)
		SSL_free(x->ssl);
	if (x->fd != -1)
		close(x->fd);
	x->ssl = NULL;
	x->fd = -1;
}

/* Write all len bytes.  0, or -1 with errno (EAGAIN: no progress). */
static int
xfer_write(struct xfer_conn *x, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if (x->ssl != NULL) {
			ERR_clear_error();
			n = SSL_write(x->ssl, p, (int)len);
			if (n <= 0) {
				errno = EPIPE;
				return -1;
			}
		} else if ((n = write(x->fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what comes (at most len).  Bytes, 0 at the end, -1 (errno). */
static ssize_t
xfer_read(struct xfer_conn *x, void *buf, size_t len)
{
	ssize_t	n;
	int	e;

	if (x->ssl != NULL) {
		ERR_clear_error();
		if ((n = SSL_read(x->ssl, buf, (int)len)) > 0)
			return n;
		e = SSL_get_error(x->ssl, (int)n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e != SSL_ERROR_SYSCALL || errno == 0)
			errno = EPROTO;
		return -1;
	}
	do
		n = read(x->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

static int
xfer_field_cb(http_parser *p, const char *at, size_t len)
{
	struct xfer_resp	*r = p->data;
	size_t			 have;

	if (r->in_value) {
		r->in_value = 0;
		r->field[0] = '\0';
	}
	have = strlen(r->field);
	if (have + len < sizeof r->field) {
		memcpy(r->field + have, at, len);
		r->field[have + len] = '\0';
	}
	return 0;
}

static int
xfer_value_cb(http_parser *p, const char *at, size_t len)
{
	struct xfer_resp	*r = p->data;
	size_t			 have;

	if (!r->in_value) {
		r->in_value = 1;
		r->is_location = strcasecmp(r->field, "Location") == 0;
		if (r->is_location)
			r->location[0] = '\0';
	}
	if (!r->is_location)
		return 0;
	have = strlen(r->location);
	if (have + len >= sizeof r->location)
		return -1;	/* no Location is that long */
	memcpy(r->location + have, at, len);
	r->location[have + len] = '\0';
	return 0;
}

static int
xfer_headers_cb(http_parser *p)
{
	struct xfer_resp	*r = p->data;

	r->head_done = 1;
	return 0;
}

/* Body bytes: checked against the pattern (a download), or kept in
 * part as the text of an answer. */
static int
xfer_body_cb(http_parser *p, const char *at, size_t len)
{
	struct xfer_resp	*r = p->data;
	const unsigned char	*pat;
	size_t			 n, k, have;

	if (!r->verify || p->status_code != 200) {
		have = strlen(r->text);
		n = len < sizeof r->text - 1 - have ? len :
		    sizeof r->text - 1 - have;
		memcpy(r->text + have, at, n);
		r->text[have + n] = '\0';
		r->body += len;
		return 0;
	}
	while (len > 0) {
		k = (size_t)(r->body % XFER_PERIOD);
		n = len < XFER_CHUNK ? len : XFER_CHUNK;
		if (!r->bad && memcmp(at, xfer_pat + k, n) != 0) {
			r->bad = 1;
			pat = xfer_pat + r->body % XFER_PERIOD;
			for (k = 0; at[k] == (char)pat[k]; k++)
				;
			r->bad_at = r->body + k;
		}
		r->body += n;
		at += n;
		len -= n;
	}
	xfer_mem_sample();
	return 0;
}

static int
xfer_complete_cb(http_parser *p)
{
	struct xfer_resp	*r = p->data;

	r->done = 1;
	http_parser_pause(p, 1);	/* nothing after it is ours */
	return 0;
}

/*
 * Read the answer on x into r (verify: the body must be the pattern).
 * 0 when it is in full, -1 when it broke off (said why).
 */
static int
xfer_response(struct xfer_conn *x, struct xfer_resp *r, char *buf,
    int verify, const char *what)
{
	ssize_t	n;
	size_t	got;

	memset(r, 0, sizeof *r);
	if (xfer_settings.on_header_field == NULL) {
		http_parser_settings_init(&xfer_settings);
		xfer_settings.on_header_field = xfer_field_cb;
		xfer_settings.on_header_value = xfer_value_cb;
		xfer_settings.on_headers_complete = xfer_headers_cb;
		xfer_settings.on_body = xfer_body_cb;
		xfer_settings.on_message_complete = xfer_complete_cb;
	}
	http_parser_init(&r->p, HTTP_RESPONSE);
	r->p.data = r;
	r->verify = verify;
	while (!r->done) {
		n = xfer_read(x, buf, XFER_CHUNK);
		if (n < 0) {
			fprintf(stderr, "lanchat-bench: %s: %s\n", what,
			    errno == EAGAIN ? "no progress for --drain "
			    "seconds" : strerror(errno));
			return -1;
		}
		got = http_parser_execute(&r->p, &xfer_settings, buf,
		    (size_t)n);
		if (r->done)
			break;
		if (n == 0) {
			fprintf(stderr, "lanchat-bench: %s: the server closed "
			    "the connection %s\n", what, r->head_done ?
			    "in the middle of the body" : "without an answer");
			return -1;
		}
		if (HTTP_PARSER_ERRNO(&r->p) != HPE_OK || got != (size_t)n) {
			fprintf(stderr, "lanchat-bench: %s: bad answer (%s)\n",
			    what, http_errno_name(HTTP_PARSER_ERRNO(&r->p)));
			return -1;
		}
	}
	return 0;
}

/* Say what a refused request got; exit code 2. */
static int
xfer_refused(const char *what, const struct xfer_resp *r)
{
	char	text[sizeof r->text];

	snprintf(text, sizeof text, "%s", r->text);
	text[strcspn(text, "\r\n")] = '\0';
	fprintf(stderr, "lanchat-bench: %s: HTTP %u %s%s\n", what,
	    r->p.status_code, text, r->p.status_code == 413 ?
	    " (the server's --max-upload is below --size)" :
	    r->p.status_code == 507 ? " (its --upload-quota, or its disk)" :
	    "");
	return BENCH_EXIT_ERROR;
}

static double
xfer_cpu_pct(const struct proc_sample *a, const struct proc_sample *b,
    double secs)
{
	if (!a->ok || !b->ok || secs <= 0)
		return -1;
	return 100.0 * (b->cpu_s - a->cpu_s) / secs;
}

/*
 * The file up to u with token, then back down; x is the connection of
 * the moment (the caller closes it), buf a chunk to read into.  Prints
 * the figures; returns the exit code.
 */
static int
xfer_run(struct xfer_url *u, const char *token, struct xfer_conn *x,
    char *buf)
{
	struct xfer_resp	 r;
	struct xfer_mem		 mem;
	struct proc_sample	 p0, p1, p2, p3;
	char			 hdr[3072];
	const char		*name = "lanchat-bench.bin";
	uint64_t		 t0, t1, t2, t3, sent, n, rss0, rss_after;
	uint64_t		 peak_up, peak_down;
	double			 up_s, down_s, self0;
	int			 verified;

	/* Up. */
	rss0 = xfer_status("VmRSS");
	proc_read(run.pid, &p0);
	self0 = stat_self_cpu();
	xfer_mem_start(&mem);
	t0 = stat_now();
	if (xfer_connect(u, x) != 0)
		return BENCH_EXIT_ERROR;
	n = (uint64_t)snprintf(hdr, sizeof hdr, "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n"
	    "Content-Length: %lld\r\nConnection: close\r\n\r\n", u->path,
	    u->hosthdr, token, name, run.file_size);
	sent = 0;
	if (xfer_write(x, hdr, (size_t)n) == 0) {
		while (sent < (uint64_t)run.file_size) {
			n = (uint64_t)run.file_size - sent;
			if (n > XFER_CHUNK)
				n = XFER_CHUNK;
			if (xfer_write(x, xfer_pat + sent % XFER_PERIOD,
			    (size_t)n) != 0)
				break;
			sent += n;
			xfer_mem_sample();
		}
	}
	if (sent < (uint64_t)run.file_size && errno == EAGAIN) {
		fprintf(stderr, "lanchat-bench: upload: no progress for "
		    "--drain seconds after %" PRIu64 " bytes\n", sent);
		return BENCH_EXIT_ERROR;
	}
	/* Refused in the middle: the answer may be there to read. */
	if (xfer_response(x, &r, buf, 0, "upload") != 0)
		return BENCH_EXIT_ERROR;
	t1 = stat_now();
	xfer_close(x);
	peak_up = xfer_mem_end(&mem);
	proc_read(run.pid, &p1);
	if (r.p.status_code != 201 || sent < (uint64_t)run.file_size)
		return xfer_refused("upload", &r);
	if (r.location[0] == '\0') {
		fprintf(stderr, "lanchat-bench: upload: 201 without a "
		    "Location\n");
		return BENCH_EXIT_ERROR;
	}
	up_s = (double)(t1 - t0) / 1e9;
	printf("upload: %lld bytes in %.3f s: %.1f MB/s; server RSS peak "
	    "%" PRIu64 " KiB (%s), CPU %.1f %%\n", run.file_size, up_s,
	    (double)run.file_size / 1e6 / up_s, peak_up, mem.hwm_reset ?
	    "VmHWM" : "sampled", xfer_cpu_pct(&p0, &p1, up_s));

	/* Down: the Location, on the same server. */
	if (r.location[0] == '/')
		snprintf(u->path, sizeof u->path, "%s", r.location);
	else if (xfer_url_parse(r.location, u) != 0) {
		fprintf(stderr, "lanchat-bench: upload: Location '%s' is not "
		    "a URL\n", r.location);
		return BENCH_EXIT_ERROR;
	}
	xfer_mem_start(&mem);
	t2 = stat_now();
	if (xfer_connect(u, x) != 0)
		return BENCH_EXIT_ERROR;
	n = (uint64_t)snprintf(hdr, sizeof hdr, "GET %s HTTP/1.1\r\n"
	    "Host: %s\r\nConnection: close\r\n\r\n", u->path, u->hosthdr);
	if (xfer_write(x, hdr, (size_t)n) != 0) {
		fprintf(stderr, "lanchat-bench: download: %s\n",
		    strerror(errno));
		return BENCH_EXIT_ERROR;
	}
	if (xfer_response(x, &r, buf, 1, "download") != 0)
		return BENCH_EXIT_ERROR;
	t3 = stat_now();
	xfer_close(x);
	peak_down = xfer_mem_end(&mem);
	proc_read(run.pid, &p2);
	if (r.p.status_code != 200)
		return xfer_refused("download", &r);
	down_s = (double)(t3 - t2) / 1e9;
	verified = !r.bad && r.body == (uint64_t)run.file_size;
	printf("download: %" PRIu64 " bytes in %.3f s: %.1f MB/s; server RSS "
	    "peak %" PRIu64 " KiB (%s), CPU %.1f %%\n", r.body, down_s,
	    (double)r.body / 1e6 / down_s, peak_down, mem.hwm_reset ?
	    "VmHWM" : "sampled", xfer_cpu_pct(&p1, &p2, down_s));
	if (r.bad)
		printf("download: the file differs from what was uploaded "
		    "from byte %" PRIu64 " on\n", r.bad_at);
	else if (r.body != (uint64_t)run.file_size)
		printf("download: %" PRIu64 " bytes, not %lld\n", r.body,
		    run.file_size);
	else
		printf("download: the file came back whole (length and every "
		    "byte checked)\n");

	/* After: the server has let go of what the transfers used. */
	t0 = stat_now();
	while (stat_now() - t0 < (uint64_t)(run.settle * 1e9))
		usleep(20000);
	proc_read(run.pid, &p3);
	rss_after = p3.ok ? p3.rss_kib : 0;
	if (run.pid > 0)
		printf("server RSS: %" PRIu64 " KiB before, peak %" PRIu64
		    " KiB up and %" PRIu64 " KiB down, %" PRIu64 " KiB "
		    "after\n", rss0, peak_up, peak_down, rss_after);
	printf("scenario=upload server=%s supported=1 size=%lld "
	    "up_mb_s=%.1f down_mb_s=%.1f up_s=%.3f down_s=%.3f verified=%d "
	    "rss_before_kib=%" PRIu64 " rss_peak_up_kib=%" PRIu64 " "
	    "rss_peak_down_kib=%" PRIu64 " rss_after_kib=%" PRIu64 " "
	    "rss_growth_kib=%lld up_cpu_pct=%.1f down_cpu_pct=%.1f "
	    "bench_cpu_pct=%.1f peak_from=%s\n", scen_server(),
	    run.file_size, (double)run.file_size / 1e6 / up_s,
	    (double)r.body / 1e6 / down_s, up_s, down_s, verified, rss0,
	    peak_up, peak_down, rss_after, (long long)(peak_up > peak_down ?
	    peak_up : peak_down) - (long long)rss0,
	    xfer_cpu_pct(&p0, &p1, up_s), xfer_cpu_pct(&p1, &p2, down_s),
	    100.0 * (stat_self_cpu() - self0) / (up_s + down_s),
	    mem.hwm_reset ? "hwm" : "sampled");
	return verified ? BENCH_EXIT_OK : BENCH_EXIT_LOSS;
}

/*
 * upload: an account and a login token over IRC (scen_token), then the
 * file up to the FILEHOST URL and back down (xfer_run); see the top of
 * the file.  Returns the exit code.
 */
int
xfer_upload(void)
{
	struct xfer_url		 u;
	struct xfer_conn	 x = { -1, NULL };
	char			 token[256], url[512], *buf;
	unsigned		 seed;
	int			 i, rc;

	/* A tag of its own: the account's name must be new on a server
	 * whose data outlives the run. */
	seed = (unsigned)stat_now() ^ (unsigned)getpid() << 12;
	for (i = 0; i < 8; i++) {
		run.tag[i] = (char)('a' + seed % 26);
		seed = seed / 26 + (unsigned)i * 7919;
	}
	run.tag[8] = '\0';
	signal(SIGPIPE, SIG_IGN);
	printf("upload: %lld bytes%s\n", run.file_size,
	    run.upload_url != NULL ? "" : " to the server's FILEHOST URL");
	rc = scen_token(token, sizeof token, url, sizeof url);
	if (rc == 1) {
		printf("upload: the server offers no upload URL (no FILEHOST "
		    "in ISUPPORT): file hosting not supported\n");
		printf("scenario=upload server=%s supported=0\n",
		    scen_server());
		return BENCH_EXIT_UNSUPPORTED;
	}
	if (rc != 0)
		return BENCH_EXIT_ERROR;
	if (run.upload_url != NULL)
		snprintf(url, sizeof url, "%s", run.upload_url);
	if (xfer_url_parse(url, &u) != 0) {
		fprintf(stderr, "lanchat-bench: upload URL '%s' is not an "
		    "http or https URL\n", url);
		return BENCH_EXIT_ERROR;
	}
	printf("upload: logged in as a new account, token in hand; POST %s\n",
	    url);
	xfer_pattern();
	if ((buf = malloc(XFER_CHUNK)) == NULL) {
		fprintf(stderr, "lanchat-bench: out of memory\n");
		return BENCH_EXIT_ERROR;
	}
	rc = xfer_run(&u, token, &x, buf);
	xfer_mem_now = NULL;
	xfer_close(&x);
	free(buf);
	return rc;
}
