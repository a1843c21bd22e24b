/*
 * Finding servers on the LAN (DESIGN.md "Finding the server",
 * docs/discovery.md).  One query, with a fresh random nonce, goes out
 * on every interface that is up: to the IPv4 broadcast address of each
 * IPv4 network, to DISCPROTO_GROUP6 on each IPv6 interface, and to the
 * loopback addresses for a server on this machine.  It is sent twice, in
 * case one is lost.  Answers whose nonce is not ours are ignored; one
 * server seen on several addresses is listed once (same fingerprint),
 * and two servers that share a name are both listed, so the user sees
 * the fingerprints and chooses: no silent choice.
 */
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "lanchat.h"
#include "util.h"
#include "xmalloc.h"

#define DISC_TARGETS	64

struct disc_target {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/* Add a target unless it is there already. */
static void
disc_target_add(struct disc_target *t, int *n, const struct sockaddr *sa,
    socklen_t len)
{
	int	i;

	if (*n == DISC_TARGETS)
		return;
	for (i = 0; i < *n; i++)
		if (t[i].len == len && memcmp(&t[i].ss, sa, len) == 0)
			return;
	memcpy(&t[*n].ss, sa, len);
	t[*n].len = len;
	(*n)++;
}

static void
disc_iface_note(char *ifaces, size_t sz, const char *name)
{
	char	 word[IFNAMSIZ + 2];
	size_t	 l = strlen(ifaces);

	snprintf(word, sizeof word, "%s,", name);
	if (strstr(ifaces, word) != NULL || l + strlen(word) + 1 > sz)
		return;
	strlcpy_u(ifaces + l, word, sz - l);
}

/* The targets for the families in fam (0: both, 4, 6). */
static int
disc_targets(int fam, int port, struct disc_target *t, char *ifaces,
    size_t ifsz)
{
	struct ifaddrs		*ifa, *i;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	int			 n = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && fam != 6) {
			memset(&sin, 0, sizeof sin);
			sin.sin_family = AF_INET;
			sin.sin_port = htons(port);
			if (i->ifa_flags & IFF_LOOPBACK)
				sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			else if ((i->ifa_flags & IFF_BROADCAST) &&
			    i->ifa_broadaddr != NULL)
				sin.sin_addr = ((struct sockaddr_in *)
				    i->ifa_broadaddr)->sin_addr;
			else
				continue;
			disc_target_add(t, &n, (struct sockaddr *)&sin,
			    sizeof sin);
			if (!(i->ifa_flags & IFF_LOOPBACK))
				disc_iface_note(ifaces, ifsz, i->ifa_name);
		}
		if (i->ifa_addr->sa_family == AF_INET6 && fam != 4) {
			memset(&sin6, 0, sizeof sin6);
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons(port);
			if (i->ifa_flags & IFF_LOOPBACK)
				sin6.sin6_addr = in6addr_loopback;
			else if (i->ifa_flags & IFF_MULTICAST) {
				inet_pton(AF_INET6, DISCPROTO_GROUP6,
				    &sin6.sin6_addr);
				sin6.sin6_scope_id =
				    if_nametoindex(i->ifa_name);
			} else
				continue;
			disc_target_add(t, &n, (struct sockaddr *)&sin6,
			    sizeof sin6);
			if (!(i->ifa_flags & IFF_LOOPBACK))
				disc_iface_note(ifaces, ifsz, i->ifa_name);
		}
	}
	freeifaddrs(ifa);
	if (ifaces[0] != '\0')
		ifaces[strlen(ifaces) - 1] = '\0';	/* the last ',' */
	return n;
}

/* The address to connect to, from where the answer came. */
static void
disc_host(const struct sockaddr_storage *ss, char *out, size_t outsz)
{
	char	a[INET6_ADDRSTRLEN], ifn[IF_NAMESIZE];
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    a, sizeof a);
		strlcpy_u(out, a, outsz);
		return;
	}
	inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
	if (s6->sin6_scope_id != 0 &&
	    if_indextoname(s6->sin6_scope_id, ifn) != NULL)
		snprintf(out, outsz, "%s%%%s", a, ifn);
	else
		strlcpy_u(out, a, outsz);
}

static void
disc_note_other(struct disc_server *s, const char *a)
{
	size_t	l = strlen(s->others);

	if (strcmp(a, s->host) == 0 || strstr(s->others, a) != NULL)
		return;
	if (l + strlen(a) + 3 >= sizeof s->others)
		return;
	snprintf(s->others + l, sizeof s->others - l, "%s%s",
	    l > 0 ? ", " : "", a);
}

/* Record one answer from ss into the list. */
static void
disc_add(struct disc_server **list, int *n, const struct discproto_info *in,
    const struct sockaddr_storage *ss)
{
	struct disc_server	*s = NULL;
	char			 host[80], a[INET6_ADDRSTRLEN], k[LC_KEY_LEN];
	char			 tmp[80];
	int			 i;

	disc_host(ss, host, sizeof host);
	for (i = 0; i < *n; i++) {
		struct disc_server *o = &(*list)[i];

		if (in->has_fp ? (o->info.has_fp && memcmp(o->info.fp,
		    in->fp, DISCPROTO_FP_LEN) == 0) :
		    strcmp(o->host, host) == 0) {
			s = o;
			break;
		}
	}
	if (s == NULL) {
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		s = &(*list)[(*n)++];
		memset(s, 0, sizeof *s);
		s->info = *in;
		strlcpy_u(s->host, host, sizeof s->host);
		if (in->has_fp)
			discproto_fp_format(in->fp, s->fp, sizeof s->fp);
	} else if (ss->ss_family == AF_INET && strchr(s->host, ':') != NULL) {
		/* Prefer IPv4: a link-local IPv6 address needs its %if. */
		strlcpy_u(tmp, s->host, sizeof tmp);
		strlcpy_u(s->host, host, sizeof s->host);
		disc_note_other(s, tmp);
	} else
		disc_note_other(s, host);
	for (i = 0; i < in->naddr4; i++) {
		inet_ntop(AF_INET, in->addr4[i], a, sizeof a);
		disc_note_other(s, a);
	}
	for (i = 0; i < in->naddr6; i++) {
		inet_ntop(AF_INET6, in->addr6[i], a, sizeof a);
		disc_note_other(s, a);
	}
	if (s->fp[0] != '\0')
		s->known = trust_find_fp(s->fp, k, sizeof k);
}

/*
 * Ask the LAN.  fam is 0 (both), 4 or 6; port the discovery port;
 * timeout_ms how long to listen.  The servers found go to *list (the
 * caller frees) and *n; the interfaces asked to ifaces.  Returns 0, or
 * -1 when no query could be sent at all.
 */
int
disc_run(int fam, int port, int timeout_ms, struct disc_server **list,
    int *n, char *ifaces, size_t ifsz)
{
	struct disc_target	 t[DISC_TARGETS];
	struct pollfd		 pfd[2];
	struct sockaddr_storage	 from;
	struct discproto_info	 in;
	socklen_t		 flen;
	uint8_t			 q[DISCPROTO_QUERY_SIZE], a[2048];
	uint8_t			 nonce[DISCPROTO_NONCE_LEN];
	uint8_t			 got[DISCPROTO_NONCE_LEN];
	uint64_t		 start = now_ms(), resend;
	int			 nt, i, s4, s6, on = 1, hops = 1, sent = 0;
	int			 round = 0, left;
	ssize_t			 r;

	*list = NULL;
	*n = 0;
	ifaces[0] = '\0';
	nt = disc_targets(fam, port, t, ifaces, ifsz);
	if (RAND_bytes(nonce, sizeof nonce) != 1)
		return -1;
	discproto_query_build(q, nonce);
	s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s4 != -1)
		setsockopt(s4, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
	if (s6 != -1) {
		setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
		setsockopt(s6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		    sizeof hops);
	}
	resend = start;
	for (;;) {
		if (round < 2 && now_ms() >= resend) {
			for (i = 0; i < nt; i++) {
				int s = t[i].ss.ss_family == AF_INET ? s4 : s6;

				if (s != -1 && sendto(s, q, sizeof q, 0,
				    (struct sockaddr *)&t[i].ss, t[i].len) ==
				    (ssize_t)sizeof q)
					sent++;
			}
			round++;
			resend = start + timeout_ms / 3;
		}
		left = (int)(start + timeout_ms - now_ms());
		if (left <= 0)
			break;
		if (round < 2 && (int)(resend - now_ms()) < left)
			left = (int)(resend - now_ms());
		pfd[0].fd = s4;
		pfd[1].fd = s6;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, left > 0 ? left : 0) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || !(pfd[i].revents & POLLIN))
				continue;
			flen = sizeof from;
			r = recvfrom(pfd[i].fd, a, sizeof a, MSG_DONTWAIT,
			    (struct sockaddr *)&from, &flen);
			if (r <= 0 || discproto_answer_parse(a, r, got,
			    &in) != 0 || memcmp(got, nonce, sizeof got) != 0)
				continue;
			disc_add(list, n, &in, &from);
		}
	}
	if (s4 != -1)
		close(s4);
	if (s6 != -1)
		close(s6);
	return sent > 0 ? 0 : -1;
}

/* The list, numbered from 1, with the fingerprints. */
void
disc_print(FILE *f, const struct disc_server *s, int n)
{
	int	i, j, same = 0;

	fprintf(f, "Servers on this network:\n");
	for (i = 0; i < n; i++) {
		char	where[128];

		if (s[i].info.port_ircs != 0)
			snprintf(where, sizeof where, strchr(s[i].host, ':') ?
			    "[%s]:%d" : "%s:%d", s[i].host,
			    s[i].info.port_ircs);
		else
			snprintf(where, sizeof where, "%s (no TLS port)",
			    s[i].host);
		fprintf(f, "  %d  %s  %s%s\n", i + 1, s[i].info.name, where,
		    s[i].known ? "  [known]" : "");
		fprintf(f, "       SHA-256 %s\n", s[i].fp[0] != '\0' ?
		    s[i].fp : "(none: the server has no TLS)");
		fprintf(f, "       lanchat %s%s%s%s%s\n",
		    s[i].info.version[0] ? s[i].info.version : "?",
		    s[i].info.network[0] ? ", network " : "",
		    s[i].info.network, s[i].others[0] ? "; also " : "",
		    s[i].others);
		for (j = 0; j < i; j++)
			if (strcmp(s[i].info.name, s[j].info.name) == 0)
				same = 1;
	}
	if (same)
		fprintf(f, "Two servers use the same name: compare the "
		    "fingerprints with the one the\nserver you want shows "
		    "when it starts, before you choose.\n");
}

/* Why nothing answered, and what to do instead. */
void
disc_explain_none(FILE *f, const char *ifaces, int port)
{
	fprintf(f,
	    "No lanchat server answered on this network (asked on %s).\n"
	    "That happens when:\n"
	    "  - a firewall on the server, or on this machine, blocks UDP "
	    "port %d;\n"
	    "  - the server is on another subnet or VLAN: the query is a "
	    "broadcast,\n    and routers do not pass broadcasts on;\n"
	    "  - the server runs with --discovery none, or is not "
	    "running.\n"
	    "Connect by address instead, as its start-up banner shows "
	    "it:\n"
	    "    lanchat HOST            (TLS, port %d)\n"
	    "    lanchat HOST:PORT       e.g. lanchat 192.168.1.20:%d\n",
	    ifaces[0] != '\0' ? ifaces : "loopback only", port,
	    LC_IRCS_PORT, LC_IRCS_PORT);
}
