/*
 * Logging, after OpenSMTPD's log.h: warn appends strerror(errno), warnx
 * does not; fatal/fatalx log and exit.  Trace output is enabled per area
 * with --trace (io, irc, db) and costs one branch when off.
 */
#ifndef LANCHAT_LOG_H
#define LANCHAT_LOG_H

#include <stdarg.h>

#define TRACE_IO	0x01
#define TRACE_IRC	0x02
#define TRACE_DB	0x04
#define TRACE_HTTP	0x08

extern int log_trace_flags;

void	log_init(int verbose, int trace);
void	log_set_verbose(int);
int	log_trace_parse(const char *);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace0(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void
	fatal(const char *, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void
	fatalx(const char *, ...) __attribute__((format(printf, 1, 2)));

#define log_trace(area, ...) do {				\
	if (log_trace_flags & (area))				\
		log_trace0(__VA_ARGS__);			\
} while (0)

#endif
