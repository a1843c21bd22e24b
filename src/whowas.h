/*
 * WHOWAS: a bounded ring of nicks that quit or changed (RFC 2812 3.6.3).
 */
#ifndef LANCHAT_WHOWAS_H
#define LANCHAT_WHOWAS_H

#include <stdint.h>

struct client;

struct whowas {
	char		*nick;
	char		*fold;
	char		*user;
	char		*host;
	char		*realname;
	char		*account;
	uint64_t	 when;
};

void	whowas_add(const struct client *);
int	whowas_find(const char *, int, void (*)(const struct whowas *, void *),
	    void *);
void	whowas_clear(void);

#endif
