/*
 * Listeners.  A listener on a wildcard address binds "::" without
 * IPV6_V6ONLY, which on Linux takes IPv4 as well; if IPv6 is not
 * available it falls back to 0.0.0.0.  At EMFILE libuv's accept loop
 * already drops the pending connection (its reserve-descriptor trick), so
 * the listener never spins; but it does so without telling us, so the
 * housekeeping tick looks whether a descriptor can still be had and
 * logs when it cannot (at most once a minute).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conn.h"
#include "irc.h"
#include "lc_limits.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

struct listener {
	uv_tcp_t		 tcp;
	int			 kind;
	int			 wildcard;
	int			 port;
	struct sockaddr_storage	 bound;
	char			 text[80];
	struct listener		*next;
};

static struct listener	*listeners;
static uint64_t		 listen_last_emfile;
static uint64_t		 listen_last_full;

static void
listen_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static const char *const listen_kind_names[] = { "irc", "ircs", "http",
    "https" };

/* Refuse c: the reaper sends "ERROR :Closing Link: ... (why)" and closes. */
static void
listen_refuse(struct conn *c, const char *why)
{
	log_info("conn %llu: refused %s: %s", (unsigned long long)c->id,
	    c->ip, why);
	conn_kill(c, why, CONN_HARD);
}

static void
listen_accept_cb(uv_stream_t *s, int status)
{
	struct listener		*ls = s->data;
	struct conn		*c;
	struct sockaddr_storage	 ss;
	int			 len = sizeof ss, r;
	struct ipstat		*st;
	char			 why[KICKLEN + 1], err[KICKLEN + 16];

	if (status < 0) {
		if (now_ms() - listen_last_emfile > 1000) {
			log_warnx("%s: accept: %s", ls->text,
			    uv_strerror(status));
			listen_last_emfile = now_ms();
		}
		return;
	}
	c = conn_new(ls->kind == LISTEN_TLS || ls->kind == LISTEN_HTTPS ?
	    &tls_ops : &conn_plain_ops);
	if ((r = uv_accept(s, (uv_stream_t *)&c->tcp)) != 0) {
		log_warnx("%s: uv_accept: %s", ls->text, uv_strerror(r));
		conn_kill(c, "accept failed", CONN_HARD);
		return;
	}
	c->local_port = ls->port;
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
		addr_format((struct sockaddr *)&ss, c->ip, sizeof c->ip, 0);
	else
		strlcpy_u(c->ip, "unknown", sizeof c->ip);
	st = server_ipstat_get(c->ip);
	c->ipstat = st;
	st->conns++;
	if (irc_admin_banned(c->ip, why, sizeof why)) {
		log_info("conn %llu: refused %s: banned (%s)",
		    (unsigned long long)c->id, c->ip, why);
		snprintf(err, sizeof err, "Banned (%s)", why);
		conn_kill_error(c, "Banned", err, CONN_HARD);
		return;
	}
	if (srv.cfg.conns_per_ip > 0 && st->conns > srv.cfg.conns_per_ip) {
		listen_refuse(c, "Too many connections from your IP");
		return;
	}
	if (srv.cfg.unreg_per_ip > 0 && st->unreg >= srv.cfg.unreg_per_ip &&
	    ls->kind != LISTEN_HTTP && ls->kind != LISTEN_HTTPS) {
		listen_refuse(c, "Too many unregistered connections from "
		    "your IP");
		return;
	}
	if (srv.shutting_down) {
		listen_refuse(c, "Server shutting down");
		return;
	}
	if ((ls->kind == LISTEN_TLS || ls->kind == LISTEN_HTTPS) &&
	    tls_conn_init(c) != 0) {
		conn_kill(c, "TLS unavailable", CONN_HARD);
		return;
	}
	log_debug("conn %llu: accepted %s on %s", (unsigned long long)c->id,
	    c->ip, ls->text);
	if (ls->kind == LISTEN_HTTP || ls->kind == LISTEN_HTTPS)
		conn_start_http(c);
	else
		conn_start(c);
}

/*
 * Start a listener of kind on spec ("ADDR:PORT"; "none" is a no-op).
 * defport fills in a missing port.  Returns 0, or -1 with *cause.
 */
int
listen_add(int kind, const char *spec, int defport, char **cause)
{
	struct listener		*ls;
	struct sockaddr_storage	 ss;
	int			 wildcard = 0, r;
	struct sockaddr_in	*sin;

	if (strcmp(spec, "none") == 0)
		return 0;
	if (addr_parse(spec, defport, &ss, &wildcard) != 0) {
		xasprintf(cause, "%s: not an address", spec);
		return -1;
	}
	ls = xcalloc(1, sizeof *ls);
	ls->kind = kind;
	ls->wildcard = wildcard;
	uv_tcp_init(srv.loop, &ls->tcp);
	ls->tcp.data = ls;
	r = uv_tcp_bind(&ls->tcp, (struct sockaddr *)&ss, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&ls->tcp, 511, listen_accept_cb);
	if (r == UV_EAFNOSUPPORT && wildcard && ss.ss_family == AF_INET6) {
		/* No IPv6 here: every IPv4 interface instead. */
		int port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);

		memset(&ss, 0, sizeof ss);
		sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		uv_close((uv_handle_t *)&ls->tcp, NULL);
		uv_run(srv.loop, UV_RUN_NOWAIT);
		uv_tcp_init(srv.loop, &ls->tcp);
		ls->tcp.data = ls;
		r = uv_tcp_bind(&ls->tcp, (struct sockaddr *)&ss, 0);
		if (r == 0)
			r = uv_listen((uv_stream_t *)&ls->tcp, 511,
			    listen_accept_cb);
	}
	if (r != 0) {
		xasprintf(cause, "%s (%s): %s", spec, listen_kind_names[kind],
		    uv_strerror(r));
		uv_close((uv_handle_t *)&ls->tcp, listen_free_cb);
		return -1;
	}
	{
		struct sockaddr_storage	 bound;
		int			 blen = sizeof bound;

		uv_tcp_getsockname(&ls->tcp, (struct sockaddr *)&bound, &blen);
		ls->bound = bound;
		addr_format((struct sockaddr *)&bound, ls->text,
		    sizeof ls->text, 1);
		if (bound.ss_family == AF_INET6)
			ls->port = ntohs(((struct sockaddr_in6 *)&bound)->
			    sin6_port);
		else
			ls->port = ntohs(((struct sockaddr_in *)&bound)->
			    sin_port);
		if (wildcard)
			snprintf(ls->text, sizeof ls->text, "*:%d", ls->port);
	}
	{
		struct listener **lp = &listeners;

		while (*lp != NULL)
			lp = &(*lp)->next;
		*lp = ls;
	}
	return 0;
}

int
listen_count(void)
{
	struct listener	*ls;
	int		 n = 0;

	for (ls = listeners; ls != NULL; ls = ls->next)
		n++;
	return n;
}

/* Port of the first listener of kind, or 0. */
int
listen_first_port(int kind)
{
	struct listener	*ls;

	for (ls = listeners; ls != NULL; ls = ls->next)
		if (ls->kind == kind)
			return ls->port;
	return 0;
}

/*
 * The first listener of kind: its bound address in *ss and whether it
 * is a wildcard (any address) in *wildcard.  Returns its port, or 0 if
 * there is none.
 */
int
listen_first_addr(int kind, struct sockaddr_storage *ss, int *wildcard)
{
	struct listener	*ls;

	for (ls = listeners; ls != NULL; ls = ls->next) {
		if (ls->kind != kind)
			continue;
		*ss = ls->bound;
		*wildcard = ls->wildcard;
		return ls->port;
	}
	return 0;
}

/*
 * Print every listener, and for wildcard ones the addresses people on
 * the LAN can use (the start-up banner).
 */
void
listen_print(void)
{
	struct listener		*ls;
	uv_interface_address_t	*ifs = NULL;
	int			 nifs = 0, i;
	char			 a[INET6_ADDRSTRLEN + 8];

	uv_interface_addresses(&ifs, &nifs);
	for (ls = listeners; ls != NULL; ls = ls->next) {
		printf("  listening  %-5s %s\n", listen_kind_names[ls->kind],
		    ls->text);
		if (!ls->wildcard)
			continue;
		for (i = 0; i < nifs; i++) {
			if (ifs[i].is_internal)
				continue;
			addr_format((struct sockaddr *)&ifs[i].address, a,
			    sizeof a, 0);
			if (strchr(a, '%') != NULL || strncmp(a, "fe80", 4) == 0)
				continue;
			if (strchr(a, ':') != NULL)
				printf("             %-5s %s://[%s]:%d\n", "",
				    listen_kind_names[ls->kind], a, ls->port);
			else
				printf("             %-5s %s://%s:%d\n", "",
				    listen_kind_names[ls->kind], a, ls->port);
		}
	}
	if (ifs != NULL)
		uv_free_interface_addresses(ifs, nifs);
}

/* Stop accepting (shutdown). */
void
listen_close_all(void)
{
	struct listener	*ls, *next;

	for (ls = listeners; ls != NULL; ls = next) {
		next = ls->next;
		uv_close((uv_handle_t *)&ls->tcp, listen_free_cb);
	}
	listeners = NULL;
}

/*
 * Housekeeping: is the descriptor table full?  Then new connections are
 * being dropped by libuv at accept, unseen; say so in the log, at most
 * once a minute, with the number of connections we hold.
 */
void
listen_tick(uint64_t now)
{
	int	fd;

	if (listeners == NULL || now - listen_last_full < 60 * 1000)
		return;
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		close(fd);
		return;
	}
	if (errno != EMFILE && errno != ENFILE)
		return;
	listen_last_full = now;
	log_warnx("out of file descriptors (%s) with %zu connections: new "
	    "connections are dropped until some close; raise the limit "
	    "(ulimit -n)", strerror(errno), conn_count());
}
