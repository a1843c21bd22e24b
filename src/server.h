/*
 * The state that belongs to the whole server: settings, the name tables,
 * counters, the MOTD.  One instance, srv, owned by main.c and touched only
 * from the event loop thread.
 */
#ifndef LANCHAT_SERVER_H
#define LANCHAT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "dict.h"
#include "flood.h"

#define LANCHAT_VERSION		"0.1.0"
#define LANCHAT_VERSION_STR	"lanchat-" LANCHAT_VERSION

struct server {
	struct config	 cfg;
	int		 argc;		/* kept for SIGHUP reloads */
	char		**argv;
	uv_loop_t	*loop;
	char		*name;		/* server name, as in prefixes */
	uint64_t	 started;	/* wall clock, seconds */
	char		 created[64];	/* for RPL_CREATED */
	struct dict	 clients;	/* folded nick -> struct client */
	struct dict	 channels;	/* folded name -> struct channel */
	struct dict	 ipstats;	/* address -> struct ipstat */
	size_t		 nclients;	/* registered */
	size_t		 ninvisible;
	size_t		 nunknown;	/* connected, not registered */
	size_t		 nopers;
	size_t		 max_clients;
	char		**motd;
	size_t		 nmotd;
	char		 tls_fingerprint[96];	/* SHA-256, hex with ':' */
	char		 msgid_prefix[17];
	uint64_t	 msgid_seq;
	int		 shutting_down;
};

/* Per-address counters for connection limits. */
struct ipstat {
	char		ip[48];
	uint32_t	conns;
	uint32_t	unreg;
	struct flood	http;		/* web requests */
};

extern struct server srv;

void	 server_init(void);
void	 server_load_motd(void);
void	 server_msgid(char *, size_t);
struct ipstat *server_ipstat_get(const char *);
void	 server_ipstat_put(struct ipstat *);

#endif
