/*
 * Helpers.  addr_parse() understands the listener forms of the command
 * line: "ADDR:PORT", "[V6ADDR]:PORT", "*:PORT", ":PORT" and "PORT", where
 * a missing or '*' address means every interface.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/*
 * Parse spec into ss (may be NULL to only check).  defport is used when
 * spec has no port (0: a port is required).  *wildcard is set when the
 * address means "every interface".  Returns 0 or -1.
 */
int
addr_parse(const char *spec, int defport, struct sockaddr_storage *ss,
    int *wildcard)
{
	char			 host[128];
	const char		*p, *portstr = NULL;
	long			 port;
	char			*end;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	struct sockaddr_storage	 tmp;
	size_t			 hl;

	if (ss == NULL)
		ss = &tmp;
	memset(ss, 0, sizeof *ss);
	if (spec[0] == '[') {
		if ((p = strchr(spec, ']')) == NULL)
			return -1;
		hl = p - spec - 1;
		if (hl >= sizeof host)
			return -1;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		if (p[1] == ':')
			portstr = p + 2;
		else if (p[1] != '\0')
			return -1;
	} else if ((p = strrchr(spec, ':')) != NULL) {
		if (strchr(spec, ':') != p)	/* bare IPv6, no port */
			return -1;
		hl = p - spec;
		if (hl >= sizeof host)
			return -1;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		portstr = p + 1;
	} else if (spec[0] >= '0' && spec[0] <= '9' &&
	    strspn(spec, "0123456789") == strlen(spec)) {
		host[0] = '\0';
		portstr = spec;
	} else {
		if (strlen(spec) >= sizeof host)
			return -1;
		strcpy(host, spec);
	}
	if (portstr != NULL) {
		/* strtol() would take " 5", "+5" and "-0". */
		if (*portstr < '0' || *portstr > '9')
			return -1;
		errno = 0;
		port = strtol(portstr, &end, 10);
		if (end == portstr || *end != '\0' || errno != 0 || port < 0 ||
		    port > 65535)
			return -1;
	} else if (defport > 0)
		port = defport;
	else
		return -1;

	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		if (wildcard != NULL)
			*wildcard = 1;
		return 0;
	}
	if (wildcard != NULL)
		*wildcard = strcmp(host, "0.0.0.0") == 0 ||
		    strcmp(host, "::") == 0;
	sin = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return 0;
	}
	sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	return -1;
}

/*
 * Format sa as text.  IPv4-mapped IPv6 addresses print as IPv4.  With
 * with_port, "ADDR:PORT" or "[ADDR]:PORT".
 */
void
addr_format(const struct sockaddr *sa, char *out, size_t outsz, int with_port)
{
	char				 a[INET6_ADDRSTRLEN];
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	int				 port = 0, v6 = 0;

	a[0] = '\0';
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof a);
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], a,
			    sizeof a);
		else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof a);
			v6 = 1;
		}
		port = ntohs(sin6->sin6_port);
	}
	if (!with_port)
		snprintf(out, outsz, "%s", a);
	else if (v6)
		snprintf(out, outsz, "[%s]:%d", a, port);
	else
		snprintf(out, outsz, "%s:%d", a, port);
}

/* Milliseconds on the monotonic clock: for timeouts and rates. */
uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since the epoch: for what users see (server-time). */
uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* IRCv3 server-time: "2026-11-26T10:17:26.123Z". */
void
time_format_iso(uint64_t ms, char *out, size_t outsz)
{
	/* Every tagged line carries one: the seconds are formatted once
	 * per second (per thread), the milliseconds by hand. */
	static __thread time_t	sec = -1;
	static __thread char	head[64];
	static __thread size_t	headlen;
	time_t			t = ms / 1000;
	struct tm		tm;
	unsigned		frac = ms % 1000;
	char			tail[6];
	size_t			k;

	if (t != sec) {
		gmtime_r(&t, &tm);
		snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		headlen = strlen(head);
		sec = t;
	}
	tail[0] = '.';
	tail[1] = '0' + frac / 100;
	tail[2] = '0' + frac / 10 % 10;
	tail[3] = '0' + frac % 10;
	tail[4] = 'Z';
	tail[5] = '\0';
	if (outsz == 0)
		return;
	if (headlen >= outsz) {
		memcpy(out, head, outsz - 1);
		out[outsz - 1] = '\0';
		return;
	}
	memcpy(out, head, headlen);
	k = outsz - headlen - 1 < 5 ? outsz - headlen - 1 : 5;
	memcpy(out + headlen, tail, k);
	out[headlen + k] = '\0';
}

/* Parse the server-time format (milliseconds optional).  0 or -1. */
int
time_parse_iso(const char *s, uint64_t *ms)
{
	struct tm	 tm;
	int		 frac = 0, digits = 0, n = 0;
	const char	*p;
	time_t		 t;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	p = s + n;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits < 3) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		}
		while (digits++ < 3)
			frac *= 10;
	}
	if (*p != 'Z' || p[1] != '\0')
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
	    tm.tm_sec > 60 || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*ms = (uint64_t)t * 1000 + frac;
	return 0;
}

/*
 * The character after the one at s (not at the NUL): one byte and the
 * continuation bytes after it.  Never steps over the terminator, even
 * when a sequence is cut short.
 */
static const char *
utf8_next(const char *s)
{
	s++;
	while (((unsigned char)*s & 0xC0) == 0x80)
		s++;
	return s;
}

/*
 * Glob match of an already folded mask against an already folded string:
 * '*' is any run, '?' one code point.  Iterative with one backtrack
 * point, so a hostile mask costs O(len(mask) * len(s)) at worst.
 */
int
mask_match(const char *mask, const char *s)
{
	const char	*star = NULL, *ss = NULL;

	while (*s != '\0') {
		if (*mask == '*') {
			star = ++mask;
			ss = s;
			continue;
		}
		if (*mask == '?') {
			mask++;
			s = utf8_next(s);
			continue;
		}
		if (*mask == *s) {
			mask++;
			s++;
			continue;
		}
		if (star == NULL)
			return 0;
		mask = star;
		ss = utf8_next(ss);
		s = ss;
	}
	while (*mask == '*')
		mask++;
	return *mask == '\0';
}

/*
 * strlcpy: copy with truncation, always terminated; returns strlen(src).
 * A cut never splits a UTF-8 character: most copies are of what a
 * client sent, and the copy is often shown back (a FAIL context, a
 * reason), where half a character is invalid UTF-8 on the wire and
 * closes a browser's WebSocket.
 */
size_t
strlcpy_u(char *dst, const char *src, size_t dstsz)
{
	size_t	n = strlen(src);

	if (dstsz > 0) {
		size_t c = n < dstsz - 1 ? n : utf8_truncate(src, dstsz - 1);

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/*
 * The largest length <= max at which s (a valid UTF-8 string) can be cut
 * without splitting a character.
 */
size_t
utf8_truncate(const char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Bytes in the first maxcp code points of the UTF-8 string s. */
size_t
utf8_prefix_cps(const char *s, size_t maxcp)
{
	size_t	i = 0, n = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (n == maxcp)
				break;
			n++;
		}
		i++;
	}
	return i;
}

/* Parse a decimal integer within [min, max].  0 or -1. */
int
str_to_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
