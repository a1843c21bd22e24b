/*
 * TLS on the event loop: OpenSSL with memory BIOs, so that libuv does the
 * socket I/O and OpenSSL only transforms bytes.  tls_init() loads or
 * makes the server certificate; tls_ops is the conn transport.
 */
#ifndef LANCHAT_TLS_H
#define LANCHAT_TLS_H

#include <stddef.h>

struct conn;

extern const struct conn_ops tls_ops;

int	 tls_init(char **);
int	 tls_conn_init(struct conn *);
void	 tls_cleanup(void);
const char *tls_peer_fingerprint(const struct conn *);
int	 tls_make_cert(const char *, const char *, char **);
int	 tls_cert_fingerprint(const char *, char *, size_t, char **);

#endif
