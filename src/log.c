/*
 * Log lines go to stderr with a UTC timestamp and a level word, one
 * write(2) per line so that lines from the writer thread never interleave
 * with the loop's.  Nothing here allocates: the log must work while memory
 * is short.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int		 log_trace_flags;
static int	 log_verbose;

void
log_init(int verbose, int trace)
{
	log_verbose = verbose;
	log_trace_flags = trace;
}

void
log_set_verbose(int v)
{
	log_verbose = v;
}

/*
 * Parse a comma-separated list of trace areas ("io,irc,db,http,all").
 * Returns the flag set, or -1 for an unknown word.
 */
int
log_trace_parse(const char *s)
{
	char	 word[16];
	int	 flags = 0;
	size_t	 n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == 0 || n >= sizeof word)
			return -1;
		memcpy(word, s, n);
		word[n] = '\0';
		if (strcasecmp(word, "io") == 0)
			flags |= TRACE_IO;
		else if (strcasecmp(word, "irc") == 0)
			flags |= TRACE_IRC;
		else if (strcasecmp(word, "db") == 0)
			flags |= TRACE_DB;
		else if (strcasecmp(word, "http") == 0)
			flags |= TRACE_HTTP;
		else if (strcasecmp(word, "all") == 0)
			flags |= TRACE_IO|TRACE_IRC|TRACE_DB|TRACE_HTTP;
		else
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return flags;
}

static void	log_vline(const char *, const char *, va_list, int)
		    __attribute__((format(printf, 2, 0)));

static void
log_vline(const char *level, const char *fmt, va_list ap, int with_errno)
{
	char		 buf[2048];
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno, n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level);
	m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	if (with_errno) {
		m = snprintf(buf + n, sizeof buf - n, ": %s", strerror(saved));
		if (m > 0)
			n += m;
		if (n > (int)sizeof buf - 2)
			n = sizeof buf - 2;
	}
	buf[n++] = '\n';
	(void)write(STDERR_FILENO, buf, n);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("warn", fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("warn", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("info", fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline("debug", fmt, ap, 0);
	va_end(ap);
}

void
log_trace0(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("trace", fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("fatal", fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("fatal", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
