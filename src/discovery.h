/*
 * The LAN discovery responder (DESIGN.md "Finding the server",
 * docs/discovery.md): answers well-formed UDP queries, by IPv4 broadcast
 * and IPv6 link-local multicast, with the server's name, ports,
 * addresses and TLS fingerprint.  It sends nothing unless asked.
 */
#ifndef LANCHAT_DISCOVERY_H
#define LANCHAT_DISCOVERY_H

int	 discovery_start(char **);
void	 discovery_stop(void);
void	 discovery_print(void);
int	 discovery_enabled(void);

#endif
