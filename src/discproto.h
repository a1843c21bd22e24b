/*
 * The LAN discovery wire format (docs/discovery.md), shared by the
 * server's responder (discovery.c) and the terminal client.  Pure: no
 * I/O, no allocation.  A query is exactly DISCPROTO_QUERY_SIZE bytes; an
 * answer is never longer than the query it answers, so the responder
 * cannot be used to amplify traffic.
 */
#ifndef LANCHAT_DISCPROTO_H
#define LANCHAT_DISCPROTO_H

#include <stddef.h>
#include <stdint.h>

#define DISCPROTO_PORT		6668		/* UDP */
#define DISCPROTO_GROUP6	"ff02::6c63:6874"	/* link-local */
#define DISCPROTO_VERSION	1
#define DISCPROTO_QUERY_SIZE	1200		/* fits the IPv6 minimum MTU */
#define DISCPROTO_HEADER	24	/* magic, version, type, nonce */
#define DISCPROTO_NONCE_LEN	16
#define DISCPROTO_FP_LEN	32		/* SHA-256 */
#define DISCPROTO_MAX_ADDRS	16		/* of each family */
/* The smallest answer: header, length, a one-byte name, the fingerprint
 * and the four ports. */
#define DISCPROTO_MIN_ANSWER	(DISCPROTO_HEADER + 2 + (2 + 1) + \
				    (2 + DISCPROTO_FP_LEN) + 4 * (2 + 2))

/* Record types in an answer. */
#define DISCPROTO_R_NAME	0x01
#define DISCPROTO_R_VERSION	0x02
#define DISCPROTO_R_NETWORK	0x03
#define DISCPROTO_R_IRC		0x10
#define DISCPROTO_R_IRCS	0x11
#define DISCPROTO_R_HTTP	0x12
#define DISCPROTO_R_HTTPS	0x13
#define DISCPROTO_R_ADDR4	0x20
#define DISCPROTO_R_ADDR6	0x21
#define DISCPROTO_R_FP		0x30

/* What a server says about itself.  Strings are NUL-terminated UTF-8. */
struct discproto_info {
	char		name[256];
	char		version[64];
	char		network[256];
	uint16_t	port_irc;	/* 0: none */
	uint16_t	port_ircs;
	uint16_t	port_http;
	uint16_t	port_https;
	int		has_fp;
	uint8_t		fp[DISCPROTO_FP_LEN];
	int		naddr4;
	uint8_t		addr4[DISCPROTO_MAX_ADDRS][4];
	int		naddr6;
	uint8_t		addr6[DISCPROTO_MAX_ADDRS][16];
};

void	 discproto_query_build(uint8_t *, const uint8_t *);
int	 discproto_query_check(const uint8_t *, size_t, uint8_t *);
size_t	 discproto_answer_build(uint8_t *, size_t, const uint8_t *,
	    const struct discproto_info *);
int	 discproto_answer_parse(const uint8_t *, size_t, uint8_t *,
	    struct discproto_info *);
void	 discproto_fp_format(const uint8_t *, char *, size_t);
int	 discproto_fp_parse(const char *, uint8_t *);

#endif
