/*
 * Small helpers that belong to no module: addresses, clocks, the IRCv3
 * server-time format, and the UTF-8 aware wildcard match used by bans
 * and WHO/LIST masks.
 */
#ifndef LANCHAT_UTIL_H
#define LANCHAT_UTIL_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

int	 addr_parse(const char *, int, struct sockaddr_storage *, int *);
void	 addr_format(const struct sockaddr *, char *, size_t, int);
uint64_t now_ms(void);
uint64_t wall_ms(void);
void	 time_format_iso(uint64_t, char *, size_t);
int	 time_parse_iso(const char *, uint64_t *);
int	 mask_match(const char *, const char *);
size_t	 strlcpy_u(char *, const char *, size_t);
size_t	 utf8_truncate(const char *, size_t);
size_t	 utf8_prefix_cps(const char *, size_t);
int	 str_to_int(const char *, long long, long long, long long *);

#endif
