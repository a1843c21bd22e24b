/*
 * Listening sockets: plain IRC, IRC over TLS, and (with the web issue)
 * HTTP.  Each accepted socket becomes a struct conn with the right
 * transport, after the per-address limits are checked.
 */
#ifndef LANCHAT_LISTEN_H
#define LANCHAT_LISTEN_H

#include <sys/socket.h>
#include <stdint.h>

#define LISTEN_PLAIN	0
#define LISTEN_TLS	1
#define LISTEN_HTTP	2
#define LISTEN_HTTPS	3

int	 listen_add(int, const char *, int, char **);
void	 listen_print(void);
void	 listen_close_all(void);
int	 listen_count(void);
int	 listen_first_port(int);
int	 listen_first_addr(int, struct sockaddr_storage *, int *);
void	 listen_tick(uint64_t);

#endif
