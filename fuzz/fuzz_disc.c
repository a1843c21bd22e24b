/*
 * libFuzzer harness for the LAN discovery packets (src/discproto.c,
 * battery T38): the responder's query check and the client's answer
 * parser on any datagram, in an exact-size heap buffer so that the
 * sanitizer sees any read past its end.  Checked:
 *
 *	- a query passes only if it is exactly DISCPROTO_QUERY_SIZE bytes
 *	  with the right header and all-zero padding, and then its nonce
 *	  is the one in the datagram;
 *	- an answer built for any nonce and query size is never larger than
 *	  the query (no amplification), and parses back to what was put in
 *	  (the name cut on a UTF-8 boundary at most);
 *	- an answer that parses holds a name with no control character, and
 *	  building it again from what was parsed gives an answer that parses
 *	  to the same;
 *	- fingerprints format and parse back.
 *
 * FUZZ_SOURCES: src/discproto.c
 * FUZZ_OPTIONS: -max_len=2048
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discproto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* The same information, as far as an answer carries it. */
static void
disc_same(const struct discproto_info *a, const struct discproto_info *b,
    int names)
{
	int	i;

	/* An empty name is sent as "?". */
	if (names)
		CHECK(strcmp(a->name[0] != '\0' ? a->name : "?", b->name) ==
		    0);
	CHECK(strcmp(a->version, b->version) == 0);
	CHECK(strcmp(a->network, b->network) == 0);
	CHECK(a->port_irc == b->port_irc && a->port_ircs == b->port_ircs &&
	    a->port_http == b->port_http && a->port_https == b->port_https);
	CHECK(a->has_fp == b->has_fp);
	if (a->has_fp)
		CHECK(memcmp(a->fp, b->fp, DISCPROTO_FP_LEN) == 0);
	CHECK(a->naddr4 == b->naddr4 && a->naddr6 == b->naddr6);
	for (i = 0; i < a->naddr4; i++)
		CHECK(memcmp(a->addr4[i], b->addr4[i], 4) == 0);
	for (i = 0; i < a->naddr6; i++)
		CHECK(memcmp(a->addr6[i], b->addr6[i], 16) == 0);
}

static int
disc_clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A string of at most max bytes from *p, without control characters. */
static void
disc_take(const uint8_t **p, const uint8_t *end, char *dst, size_t max)
{
	size_t	n = 0;

	while (*p < end && **p != 0 && n < max) {
		dst[n++] = **p < 0x20 || **p == 0x7f ? '_' : (char)**p;
		(*p)++;
	}
	dst[n] = '\0';
	if (*p < end)
		(*p)++;
}

/* Fill in from the fuzzer's bytes (after the first two). */
static void
disc_info_from(const uint8_t *d, size_t n, struct discproto_info *in)
{
	const uint8_t	*p = d + 2, *end = d + n;
	int		 i;

	memset(in, 0, sizeof in[0]);
	disc_take(&p, end, in->name, sizeof in->name - 1);
	disc_take(&p, end, in->version, sizeof in->version - 1);
	disc_take(&p, end, in->network, sizeof in->network - 1);
	if (end - p >= 8) {
		in->port_irc = p[0] << 8 | p[1];
		in->port_ircs = p[2] << 8 | p[3];
		in->port_http = p[4] << 8 | p[5];
		in->port_https = p[6] << 8 | p[7];
		p += 8;
	}
	if (end - p >= DISCPROTO_FP_LEN) {
		memcpy(in->fp, p, DISCPROTO_FP_LEN);
		in->has_fp = memcmp(p, (const uint8_t[DISCPROTO_FP_LEN]){ 0 },
		    DISCPROTO_FP_LEN) != 0;
		p += DISCPROTO_FP_LEN;
	}
	for (i = 0; i < DISCPROTO_MAX_ADDRS && end - p >= 4 && *p != 0xff;
	    i++, p += 4)
		memcpy(in->addr4[in->naddr4++], p, 4);
	if (p < end)
		p++;
	for (i = 0; i < DISCPROTO_MAX_ADDRS && end - p >= 16; i++, p += 16)
		memcpy(in->addr6[in->naddr6++], p, 16);
}

/* Build an answer from in for a query of qsize bytes and parse it. */
static void
disc_roundtrip(const struct discproto_info *in, size_t qsize,
    const uint8_t *nonce)
{
	struct discproto_info	 out;
	uint8_t			*a, got[DISCPROTO_NONCE_LEN];
	size_t			 n;

	a = malloc(qsize > 0 ? qsize : 1);
	CHECK(a != NULL);
	n = discproto_answer_build(a, qsize, nonce, in);
	CHECK(n <= qsize);
	if (qsize >= DISCPROTO_MIN_ANSWER)
		CHECK(n >= DISCPROTO_MIN_ANSWER);
	else
		CHECK(n == 0);
	if (n > 0) {
		CHECK(discproto_answer_parse(a, n, got, &out) == 0);
		CHECK(memcmp(got, nonce, DISCPROTO_NONCE_LEN) == 0);
		/* The name may be cut to fit, never lengthened. */
		CHECK(strlen(out.name) > 0);
		CHECK(strlen(out.name) <= strlen(in->name) ||
		    strcmp(out.name, "?") == 0);
		/* Everything an answer can hold fits in a full query. */
		if (qsize >= DISCPROTO_QUERY_SIZE)
			disc_same(in, &out, 1);
	}
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct discproto_info	 info;
	uint8_t			*pkt, nonce[DISCPROTO_NONCE_LEN];
	uint8_t			 nonce2[DISCPROTO_NONCE_LEN];
	uint8_t			 q[DISCPROTO_QUERY_SIZE], fp[DISCPROTO_FP_LEN];
	char			 text[3 * DISCPROTO_FP_LEN + 1];
	size_t			 i;
	int			 r;

	pkt = malloc(size > 0 ? size : 1);
	CHECK(pkt != NULL);
	if (size > 0)
		memcpy(pkt, data, size);

	/* As a query. */
	memset(nonce, 0xee, sizeof nonce);
	r = discproto_query_check(pkt, size, nonce);
	if (r == 0) {
		CHECK(size == DISCPROTO_QUERY_SIZE);
		CHECK(memcmp(nonce, pkt + 8, DISCPROTO_NONCE_LEN) == 0);
		for (i = DISCPROTO_HEADER; i < size; i++)
			CHECK(pkt[i] == 0);
		discproto_query_build(q, nonce);
		CHECK(memcmp(q, pkt, DISCPROTO_QUERY_SIZE) == 0);
	} else
		CHECK(r == -1);

	/* As an answer. */
	r = discproto_answer_parse(pkt, size, nonce, &info);
	if (r == 0) {
		CHECK(size <= DISCPROTO_QUERY_SIZE);
		CHECK(info.name[0] != '\0' && disc_clean(info.name));
		CHECK(disc_clean(info.version) && disc_clean(info.network));
		CHECK(info.naddr4 <= DISCPROTO_MAX_ADDRS);
		CHECK(info.naddr6 <= DISCPROTO_MAX_ADDRS);
		/* What a client read, a server could say again. */
		disc_roundtrip(&info, DISCPROTO_QUERY_SIZE, nonce);
		disc_roundtrip(&info, size, nonce);
	} else
		CHECK(r == -1);

	/* As what a server says about itself, for a query of any size. */
	if (size >= 4) {
		disc_info_from(data, size, &info);
		disc_roundtrip(&info, (size_t)(data[0] << 8 | data[1]) % 1400,
		    data + size - 2 >= data + DISCPROTO_NONCE_LEN ? data :
		    (const uint8_t *)"0123456789abcdef");
		disc_roundtrip(&info, DISCPROTO_QUERY_SIZE, (const uint8_t *)
		    "0123456789abcdef");
	}

	/* Fingerprints: the input's first 32 bytes, formatted and back. */
	if (size >= DISCPROTO_FP_LEN) {
		discproto_fp_format(pkt, text, sizeof text);
		CHECK(strlen(text) == 3 * DISCPROTO_FP_LEN - 1);
		CHECK(discproto_fp_parse(text, fp) == 0);
		CHECK(memcmp(fp, pkt, DISCPROTO_FP_LEN) == 0);
	}
	/* And any text as a fingerprint: never past its end. */
	{
		char	*s = malloc(size + 1);

		CHECK(s != NULL);
		memcpy(s, data, size);
		s[size] = '\0';
		(void)discproto_fp_parse(s, fp);
		free(s);
	}
	/* A query built from the input's nonce passes the check. */
	memcpy(nonce2, size >= DISCPROTO_NONCE_LEN ? data : (const uint8_t *)
	    "0123456789abcdef", DISCPROTO_NONCE_LEN);
	discproto_query_build(q, nonce2);
	CHECK(discproto_query_check(q, sizeof q, nonce) == 0);
	CHECK(memcmp(nonce, nonce2, DISCPROTO_NONCE_LEN) == 0);
	free(pkt);
	return 0;
}
