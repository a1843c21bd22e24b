/*
 * The discovery responder.  Two UDP sockets on the discovery port: one
 * IPv4 socket on 0.0.0.0, which receives the broadcasts, and one
 * IPv6-only socket on ::, which joins DISCPROTO_GROUP6 on every
 * interface that has IPv6.  A datagram is answered only when all of
 * these hold, and otherwise dropped without a word:
 *
 *	- it is exactly a query (discproto_query_check: size, magic,
 *	  version, type, zero padding);
 *	- its source is on a network this host is directly attached to
 *	  (an IPv4 subnet of one of our interfaces, an IPv6 prefix of one,
 *	  or IPv6 link-local), so a forged source far away gets nothing;
 *	- the source's token bucket and the bucket for all sources have a
 *	  token (lc_limits.h DISCOVERY_*).
 *
 * The answer is built into a buffer the size of the query, so it can
 * never be larger (discproto_answer_build).  The interface list, which
 * gives the addresses we announce, the on-link networks and the group
 * memberships, is read at start and again every DISCOVERY_RESCAN_MS.
 * Everything here lives on the loop thread; the handles are closed by
 * discovery_stop() at shutdown.
 */
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "config.h"
#include "discovery.h"
#include "discproto.h"
#include "lc_limits.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

#define DISCOVERY_MAX_NETS	64
#define DISCOVERY_WAYS		4

struct discovery_net {
	int		family;
	uint8_t		addr[16];
	uint8_t		mask[16];
};

struct discovery_src {
	int		family;		/* 0: free */
	uint8_t		addr[16];
	uint64_t	last_ms;	/* last refill */
	uint32_t	tokens_m;	/* tokens, in thousandths */
};

static uv_udp_t			 discovery_udp4, discovery_udp6;
static int			 discovery_have4, discovery_have6;
static int			 discovery_group;	/* v6 socket joins */
static uv_timer_t		 discovery_timer;
static int			 discovery_on;
static char			 discovery_text[128];

static struct discovery_net	 discovery_nets[DISCOVERY_MAX_NETS];
static int			 discovery_nnets;
static uint8_t			 discovery_addr4[DISCPROTO_MAX_ADDRS][4];
static int			 discovery_naddr4;
static uint8_t			 discovery_addr6[DISCPROTO_MAX_ADDRS][16];
static int			 discovery_naddr6;
static unsigned int		 discovery_joined[DISCOVERY_MAX_NETS];
static int			 discovery_njoined;

static struct discovery_src	 discovery_srcs[DISCOVERY_SOURCES];
static uint64_t			 discovery_all_last;
static uint32_t			 discovery_all_tokens_m;

/* Datagrams are read into this; one byte more than a query, so that a
 * longer datagram shows as too long even where MSG_TRUNC is lost. */
static uint8_t			 discovery_rbuf[DISCPROTO_QUERY_SIZE + 1];

static uint64_t	discovery_nanswered, discovery_ndropped;

/* Is the IPv6 address a link-local one (fe80::/10)? */
static int
discovery_v6_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/*
 * Read the interfaces: the addresses to announce, the networks whose
 * sources we answer, and, for the IPv6 socket, join the group on each
 * interface not joined yet.
 */
static void
discovery_scan(void)
{
	uv_interface_address_t	*ifs = NULL;
	int			 nifs = 0, i, j, fd;
	unsigned int		 idx;
	struct ipv6_mreq	 mreq;
	struct discovery_net	*n;

	discovery_nnets = discovery_naddr4 = discovery_naddr6 = 0;
	if (uv_interface_addresses(&ifs, &nifs) != 0)
		return;
	for (i = 0; i < nifs; i++) {
		const struct sockaddr	*sa =
		    (const struct sockaddr *)&ifs[i].address;

		if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
			continue;
		if (discovery_nnets < DISCOVERY_MAX_NETS) {
			n = &discovery_nets[discovery_nnets++];
			memset(n, 0, sizeof *n);
			n->family = sa->sa_family;
			if (n->family == AF_INET) {
				memcpy(n->addr, &ifs[i].address.address4.
				    sin_addr, 4);
				memcpy(n->mask, &ifs[i].netmask.netmask4.
				    sin_addr, 4);
			} else {
				memcpy(n->addr, &ifs[i].address.address6.
				    sin6_addr, 16);
				memcpy(n->mask, &ifs[i].netmask.netmask6.
				    sin6_addr, 16);
			}
		}
		if (ifs[i].is_internal)
			continue;
		if (sa->sa_family == AF_INET &&
		    discovery_naddr4 < DISCPROTO_MAX_ADDRS)
			memcpy(discovery_addr4[discovery_naddr4++],
			    &ifs[i].address.address4.sin_addr, 4);
		if (sa->sa_family == AF_INET6 &&
		    !discovery_v6_linklocal(ifs[i].address.address6.sin6_addr.
		    s6_addr) && discovery_naddr6 < DISCPROTO_MAX_ADDRS)
			memcpy(discovery_addr6[discovery_naddr6++],
			    &ifs[i].address.address6.sin6_addr, 16);
		if (sa->sa_family != AF_INET6 || !discovery_group ||
		    (idx = if_nametoindex(ifs[i].name)) == 0)
			continue;
		for (j = 0; j < discovery_njoined; j++)
			if (discovery_joined[j] == idx)
				break;
		if (j < discovery_njoined ||
		    discovery_njoined == DISCOVERY_MAX_NETS)
			continue;
		if (uv_fileno((uv_handle_t *)&discovery_udp6, &fd) != 0)
			continue;
		memset(&mreq, 0, sizeof mreq);
		inet_pton(AF_INET6, DISCPROTO_GROUP6, &mreq.ipv6mr_multiaddr);
		mreq.ipv6mr_interface = idx;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq,
		    sizeof mreq) == 0 || errno == EADDRINUSE) {
			discovery_joined[discovery_njoined++] = idx;
			log_debug("discovery: joined %s on %s",
			    DISCPROTO_GROUP6, ifs[i].name);
		} else
			log_debug("discovery: cannot join %s on %s: %s",
			    DISCPROTO_GROUP6, ifs[i].name, strerror(errno));
	}
	uv_free_interface_addresses(ifs, nifs);
}

/* Is the source on a network we are attached to? */
static int
discovery_on_link(const struct sockaddr *sa)
{
	const uint8_t	*a;
	int		 i, k, len, fam = sa->sa_family;

	if (fam == AF_INET)
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->
		    sin_addr;
	else if (fam == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (discovery_v6_linklocal(a))
			return 1;
	} else
		return 0;
	len = fam == AF_INET ? 4 : 16;
	for (i = 0; i < discovery_nnets; i++) {
		const struct discovery_net *n = &discovery_nets[i];

		if (n->family != fam)
			continue;
		for (k = 0; k < len; k++)
			if ((a[k] & n->mask[k]) != (n->addr[k] & n->mask[k]))
				break;
		if (k == len)
			return 1;
	}
	return 0;
}

/* Refill a bucket of tokens_m thousandths by rate per second. */
static void
discovery_refill(uint32_t *tokens_m, uint64_t *last, uint64_t now,
    uint32_t burst, uint32_t rate)
{
	uint64_t	add = (now - *last) * rate;	/* ms * rate = m */

	if (add > (uint64_t)burst * 1000)
		add = (uint64_t)burst * 1000;
	*tokens_m = *tokens_m + add > burst * 1000 ? burst * 1000 :
	    *tokens_m + add;
	*last = now;
}

/*
 * Take a token for this source and one from the bucket for everyone.
 * The per-source table is set-associative: a source that is not in it
 * takes the least recently refilled entry of its set.  Returns 1 if the
 * answer may go.
 */
static int
discovery_rate_ok(const struct sockaddr *sa)
{
	uint8_t			 a[16];
	int			 fam = sa->sa_family, i, len;
	uint32_t		 h = 2166136261u;
	uint64_t		 now = now_ms();
	struct discovery_src	*set, *s = NULL, *old = NULL;

	memset(a, 0, sizeof a);
	len = fam == AF_INET ? 4 : 16;
	memcpy(a, fam == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr, len);
	for (i = 0; i < len; i++)
		h = (h ^ a[i]) * 16777619u;
	set = &discovery_srcs[(h % (DISCOVERY_SOURCES / DISCOVERY_WAYS)) *
	    DISCOVERY_WAYS];
	for (i = 0; i < DISCOVERY_WAYS; i++) {
		if (set[i].family == fam && memcmp(set[i].addr, a, 16) == 0) {
			s = &set[i];
			break;
		}
		if (old == NULL || set[i].family == 0 ||
		    (old->family != 0 && set[i].last_ms < old->last_ms))
			old = &set[i];
	}
	if (s == NULL) {
		s = old;
		s->family = fam;
		memcpy(s->addr, a, 16);
		s->last_ms = now;
		s->tokens_m = DISCOVERY_SRC_BURST * 1000;
	}
	discovery_refill(&s->tokens_m, &s->last_ms, now, DISCOVERY_SRC_BURST,
	    DISCOVERY_SRC_PER_SEC);
	discovery_refill(&discovery_all_tokens_m, &discovery_all_last, now,
	    DISCOVERY_ALL_BURST, DISCOVERY_ALL_PER_SEC);
	if (s->tokens_m < 1000 || discovery_all_tokens_m < 1000)
		return 0;
	s->tokens_m -= 1000;
	discovery_all_tokens_m -= 1000;
	return 1;
}

/* What we say about ourselves, now. */
static void
discovery_info(struct discproto_info *in)
{
	memset(in, 0, sizeof *in);
	strlcpy_u(in->name, srv.name != NULL ? srv.name : "lanchat",
	    sizeof in->name);
	strlcpy_u(in->version, LANCHAT_VERSION, sizeof in->version);
	strlcpy_u(in->network, srv.cfg.network != NULL ? srv.cfg.network :
	    "", sizeof in->network);
	in->port_irc = listen_first_port(LISTEN_PLAIN);
	in->port_ircs = listen_first_port(LISTEN_TLS);
	in->port_http = listen_first_port(LISTEN_HTTP);
	in->port_https = listen_first_port(LISTEN_HTTPS);
	in->has_fp = srv.tls_fingerprint[0] != '\0' &&
	    discproto_fp_parse(srv.tls_fingerprint, in->fp) == 0;
	in->naddr4 = discovery_naddr4;
	memcpy(in->addr4, discovery_addr4, sizeof in->addr4);
	in->naddr6 = discovery_naddr6;
	memcpy(in->addr6, discovery_addr6, sizeof in->addr6);
}

static void
discovery_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	(void)h;
	(void)suggested;
	b->base = (char *)discovery_rbuf;
	b->len = sizeof discovery_rbuf;
}

static void
discovery_recv_cb(uv_udp_t *h, ssize_t nread, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	uint8_t			 nonce[DISCPROTO_NONCE_LEN];
	uint8_t			 out[DISCPROTO_QUERY_SIZE];
	struct discproto_info	 in;
	char			 who[INET6_ADDRSTRLEN + 8];
	size_t			 n;
	uv_buf_t		 ob;
	int			 r;

	(void)b;
	if (nread <= 0 || from == NULL)
		return;
	if ((flags & UV_UDP_PARTIAL) || discproto_query_check(discovery_rbuf,
	    nread, nonce) != 0 || !discovery_on_link(from) ||
	    !discovery_rate_ok(from)) {
		discovery_ndropped++;
		return;
	}
	discovery_info(&in);
	/* Never more than we were sent: the buffer is the query's size. */
	n = discproto_answer_build(out, (size_t)nread < sizeof out ?
	    (size_t)nread : sizeof out, nonce, &in);
	if (n == 0)
		return;
	ob = uv_buf_init((char *)out, n);
	r = uv_udp_try_send(h, &ob, 1, from);
	if (r < 0) {
		log_debug("discovery: answer not sent: %s", uv_strerror(r));
		return;
	}
	discovery_nanswered++;
	if (log_trace_flags & TRACE_IO) {
		addr_format(from, who, sizeof who, 1);
		log_trace0("discovery: answered %s (%zu bytes)", who, n);
	}
}

static void
discovery_timer_cb(uv_timer_t *t)
{
	(void)t;
	discovery_scan();
}

/* Bind one socket; returns 0 or a libuv error. */
static int
discovery_bind(uv_udp_t *u, const struct sockaddr *sa, unsigned flags)
{
	int	r;

	uv_udp_init(srv.loop, u);
	if ((r = uv_udp_bind(u, sa, flags | UV_UDP_REUSEADDR)) == 0 &&
	    (r = uv_udp_recv_start(u, discovery_alloc_cb,
	    discovery_recv_cb)) == 0)
		return 0;
	uv_close((uv_handle_t *)u, NULL);
	return r;
}

/*
 * Start the responder on srv.cfg.discovery: unset means every interface
 * on DISCPROTO_PORT, "none" means off, "*:PORT" both families,
 * "0.0.0.0:PORT" IPv4 only, "[::]:PORT" IPv6 only, and a unicast
 * address only unicast queries to it.  SO_REUSEADDR lets two servers on
 * one machine both answer broadcasts.  Returns 0, or -1 with *cause
 * when no socket could be bound.
 */
int
discovery_start(char **cause)
{
	const char		*spec = srv.cfg.discovery;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	int			 wildcard = 0, port, r4 = 0, r6 = 0, all;

	if (spec == NULL)
		spec = "*";
	if (strcmp(spec, "none") == 0) {
		strlcpy_u(discovery_text, "off (--discovery none)",
		    sizeof discovery_text);
		return 0;
	}
	if (addr_parse(spec, DISCPROTO_PORT, &ss, &wildcard) != 0) {
		xasprintf(cause, "%s: not an address", spec);
		return -1;
	}
	all = wildcard && ss.ss_family == AF_INET6 && spec[0] != '[';
	port = ss.ss_family == AF_INET ?
	    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (all || ss.ss_family == AF_INET) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		if (!all)
			sin.sin_addr = ((struct sockaddr_in *)&ss)->sin_addr;
		r4 = discovery_bind(&discovery_udp4,
		    (struct sockaddr *)&sin, 0);
		discovery_have4 = r4 == 0;
	}
	if (all || ss.ss_family == AF_INET6) {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		if (!all)
			sin6.sin6_addr = ((struct sockaddr_in6 *)&ss)->
			    sin6_addr;
		r6 = discovery_bind(&discovery_udp6,
		    (struct sockaddr *)&sin6, UV_UDP_IPV6ONLY);
		discovery_have6 = r6 == 0;
		discovery_group = discovery_have6 && wildcard;
	}
	if (!discovery_have4 && !discovery_have6) {
		xasprintf(cause, "udp %s: %s", spec,
		    uv_strerror(r4 != 0 ? r4 : r6));
		return -1;
	}
	if (all && !discovery_have6)
		log_info("discovery: no IPv6 (%s): IPv4 broadcast only",
		    uv_strerror(r6));
	discovery_on = 1;
	discovery_all_last = now_ms();
	discovery_all_tokens_m = DISCOVERY_ALL_BURST * 1000;
	discovery_scan();
	uv_timer_init(srv.loop, &discovery_timer);
	uv_timer_start(&discovery_timer, discovery_timer_cb,
	    DISCOVERY_RESCAN_MS, DISCOVERY_RESCAN_MS);
	if (all)
		snprintf(discovery_text, sizeof discovery_text,
		    "udp *:%d (IPv4 broadcast%s)", port, discovery_have6 ?
		    ", IPv6 " DISCPROTO_GROUP6 : "");
	else if (discovery_group)
		snprintf(discovery_text, sizeof discovery_text,
		    "udp [::]:%d (IPv6 " DISCPROTO_GROUP6 ")", port);
	else
		snprintf(discovery_text, sizeof discovery_text, "udp %s%s",
		    spec, wildcard ? " (IPv4 broadcast)" : " (unicast only)");
	return 0;
}

/* Is the responder running? */
int
discovery_enabled(void)
{
	return discovery_on;
}

/* Close the sockets and the timer (shutdown). */
void
discovery_stop(void)
{
	if (!discovery_on)
		return;
	discovery_on = 0;
	if (discovery_have4)
		uv_close((uv_handle_t *)&discovery_udp4, NULL);
	if (discovery_have6)
		uv_close((uv_handle_t *)&discovery_udp6, NULL);
	discovery_have4 = discovery_have6 = 0;
	uv_close((uv_handle_t *)&discovery_timer, NULL);
	log_info("discovery: answered %llu queries, dropped %llu",
	    (unsigned long long)discovery_nanswered,
	    (unsigned long long)discovery_ndropped);
}

/* The banner line. */
void
discovery_print(void)
{
	if (discovery_text[0] != '\0')
		printf("  discovery  %s\n", discovery_text);
}
