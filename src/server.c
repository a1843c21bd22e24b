/*
 * Server-wide state: srv, the MOTD, message ids, per-address counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "casemap.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

struct server	srv;

/* Fill in the name, start time and msgid prefix.  Settings are loaded. */
void
server_init(void)
{
	unsigned char	rnd[6];
	char		host[256];
	time_t		now = time(NULL);
	struct tm	tm;

	if (srv.cfg.name != NULL)
		srv.name = xstrdup(srv.cfg.name);
	else if (gethostname(host, sizeof host) == 0 && host[0] != '\0' &&
	    strchr(host, ' ') == NULL)
		srv.name = xstrdup(host);
	else
		srv.name = xstrdup("lanchat");
	srv.started = now;
	gmtime_r(&now, &tm);
	strftime(srv.created, sizeof srv.created, "%Y-%m-%d %H:%M:%S UTC",
	    &tm);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(srv.msgid_prefix, sizeof srv.msgid_prefix, rnd,
	    sizeof rnd);
}

/*
 * A new message id: a random prefix drawn at start and a counter, so ids
 * are unique across restarts without asking the clock.
 */
void
server_msgid(char *out, size_t outsz)
{
	char		 hex[17];
	uint64_t	 v = ++srv.msgid_seq;
	size_t		 n = sizeof hex, plen;

	/* Once per event: no printf. */
	do {
		hex[--n] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	plen = strnlen(srv.msgid_prefix, outsz - 1);
	memcpy(out, srv.msgid_prefix, plen);
	if (sizeof hex - n > outsz - 1 - plen)
		n = sizeof hex - (outsz - 1 - plen);
	memcpy(out + plen, hex + n, sizeof hex - n);
	out[plen + sizeof hex - n] = '\0';
}

/* (Re)read DATA/motd.txt.  A missing file means no MOTD (422). */
void
server_load_motd(void)
{
	char	 path[4096], *line = NULL;
	size_t	 cap = 0, i;
	ssize_t	 n;
	FILE	*f;

	for (i = 0; i < srv.nmotd; i++)
		free(srv.motd[i]);
	free(srv.motd);
	srv.motd = NULL;
	srv.nmotd = 0;
	config_motd_path(&srv.cfg, path, sizeof path);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return;
	}
	while ((n = getline(&line, &cap, f)) != -1 && srv.nmotd < 500) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!casemap_utf8_valid(line, n)) {
			log_warnx("%s:%zu: not UTF-8, line skipped", path,
			    srv.nmotd + 1);
			continue;
		}
		n = utf8_truncate(line, 400);
		srv.motd = xreallocarray(srv.motd, srv.nmotd + 1,
		    sizeof *srv.motd);
		srv.motd[srv.nmotd++] = xstrndup(line, n);
	}
	free(line);
	fclose(f);
}

/* The counters for address ip, made on first use. */
struct ipstat *
server_ipstat_get(const char *ip)
{
	struct ipstat	*st;

	if ((st = dict_get(&srv.ipstats, ip)) != NULL)
		return st;
	st = xcalloc(1, sizeof *st);
	strlcpy_u(st->ip, ip, sizeof st->ip);
	flood_init(&st->http, HTTP_BURST, now_ms());
	dict_put(&srv.ipstats, st->ip, st);
	return st;
}

/* Drop the counters for an address that has nothing left. */
void
server_ipstat_put(struct ipstat *st)
{
	if (st->conns > 0 || st->unreg > 0)
		return;
	dict_del(&srv.ipstats, st->ip);
	free(st);
}
