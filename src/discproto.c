/*
 * The discovery packets, byte by byte (docs/discovery.md is the
 * reference; keep the two in step).  Every packet starts with the same
 * 24-byte header:
 *
 *	0	4	magic "LCDP"
 *	4	1	version (1)
 *	5	1	type: 'Q' query, 'A' answer
 *	6	2	zero
 *	8	16	nonce, chosen at random by the client
 *
 * A query is exactly DISCPROTO_QUERY_SIZE bytes, zero after the header.
 * An answer has a 16-bit payload length after the header, then records
 * of type (1 byte), length (1 byte), value.  This file owns no state.
 */
#include <stdio.h>
#include <string.h>

#include "discproto.h"

static const uint8_t discproto_magic[4] = { 'L', 'C', 'D', 'P' };

static void
discproto_header(uint8_t *out, int type, const uint8_t *nonce)
{
	memcpy(out, discproto_magic, 4);
	out[4] = DISCPROTO_VERSION;
	out[5] = type;
	out[6] = out[7] = 0;
	memcpy(out + 8, nonce, DISCPROTO_NONCE_LEN);
}

/* Check the header of pkt (at least DISCPROTO_HEADER bytes) for type. */
static int
discproto_header_ok(const uint8_t *pkt, int type)
{
	return memcmp(pkt, discproto_magic, 4) == 0 &&
	    pkt[4] == DISCPROTO_VERSION && pkt[5] == type && pkt[6] == 0 &&
	    pkt[7] == 0;
}

/*
 * Write a query with nonce (DISCPROTO_NONCE_LEN bytes) into out, which
 * must hold DISCPROTO_QUERY_SIZE bytes.
 */
void
discproto_query_build(uint8_t *out, const uint8_t *nonce)
{
	memset(out, 0, DISCPROTO_QUERY_SIZE);
	discproto_header(out, 'Q', nonce);
}

/*
 * Is pkt (len bytes) a well-formed query?  Only the exact size, the
 * right magic, version and type and an all-zero padding pass.  On
 * success the nonce is copied to nonce (if not NULL) and 0 is returned;
 * anything else is -1, and the responder says nothing.
 */
int
discproto_query_check(const uint8_t *pkt, size_t len, uint8_t *nonce)
{
	size_t	i;

	if (len != DISCPROTO_QUERY_SIZE || !discproto_header_ok(pkt, 'Q'))
		return -1;
	for (i = DISCPROTO_HEADER; i < len; i++)
		if (pkt[i] != 0)
			return -1;
	if (nonce != NULL)
		memcpy(nonce, pkt + 8, DISCPROTO_NONCE_LEN);
	return 0;
}

/* Append one record if it fits in outsz; returns 0 or -1. */
static int
discproto_put(uint8_t *out, size_t outsz, size_t *len, int type,
    const void *v, size_t vlen)
{
	if (vlen > 255 || *len + 2 + vlen > outsz)
		return -1;
	out[(*len)++] = type;
	out[(*len)++] = vlen;
	memcpy(out + *len, v, vlen);
	*len += vlen;
	return 0;
}

static int
discproto_put_port(uint8_t *out, size_t outsz, size_t *len, int type,
    uint16_t port)
{
	uint8_t	b[2];

	b[0] = port >> 8;
	b[1] = port & 0xff;
	return discproto_put(out, outsz, len, type, b, 2);
}

/* Bytes of s that are at most max and end on a UTF-8 boundary. */
static size_t
discproto_cut(const char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/*
 * Write the answer to the query with nonce into out, at most outsz
 * bytes (the size of that query: an answer is never larger).  Records
 * go in the documented order -- name, fingerprint, the four ports,
 * version, network, IPv4 then IPv6 addresses -- and a record that does
 * not fit is left out whole; the name is cut (on a UTF-8 boundary) only
 * if even the minimum answer would not fit otherwise.  Returns the
 * length, or 0 if not even DISCPROTO_MIN_ANSWER bytes fit.
 */
size_t
discproto_answer_build(uint8_t *out, size_t outsz, const uint8_t *nonce,
    const struct discproto_info *in)
{
	static const uint8_t	 zero_fp[DISCPROTO_FP_LEN];
	size_t			 len = DISCPROTO_HEADER + 2, room, nlen;
	const char		*name;
	int			 i;

	if (outsz < DISCPROTO_MIN_ANSWER)
		return 0;
	discproto_header(out, 'A', nonce);
	/* Room for the name after what the minimum needs besides it. */
	room = outsz - (DISCPROTO_MIN_ANSWER - 1);
	name = in->name;
	if ((nlen = discproto_cut(name, room < 255 ? room : 255)) == 0) {
		name = "?";
		nlen = 1;
	}
	if (discproto_put(out, outsz, &len, DISCPROTO_R_NAME, name,
	    nlen) != 0 ||
	    discproto_put(out, outsz, &len, DISCPROTO_R_FP,
	    in->has_fp ? in->fp : zero_fp, DISCPROTO_FP_LEN) != 0 ||
	    discproto_put_port(out, outsz, &len, DISCPROTO_R_IRC,
	    in->port_irc) != 0 ||
	    discproto_put_port(out, outsz, &len, DISCPROTO_R_IRCS,
	    in->port_ircs) != 0 ||
	    discproto_put_port(out, outsz, &len, DISCPROTO_R_HTTP,
	    in->port_http) != 0 ||
	    discproto_put_port(out, outsz, &len, DISCPROTO_R_HTTPS,
	    in->port_https) != 0)
		return 0;
	discproto_put(out, outsz, &len, DISCPROTO_R_VERSION, in->version,
	    discproto_cut(in->version, 255));
	discproto_put(out, outsz, &len, DISCPROTO_R_NETWORK, in->network,
	    discproto_cut(in->network, 255));
	for (i = 0; i < in->naddr4 && i < DISCPROTO_MAX_ADDRS; i++)
		discproto_put(out, outsz, &len, DISCPROTO_R_ADDR4,
		    in->addr4[i], 4);
	for (i = 0; i < in->naddr6 && i < DISCPROTO_MAX_ADDRS; i++)
		discproto_put(out, outsz, &len, DISCPROTO_R_ADDR6,
		    in->addr6[i], 16);
	out[DISCPROTO_HEADER] = (len - DISCPROTO_HEADER - 2) >> 8;
	out[DISCPROTO_HEADER + 1] = (len - DISCPROTO_HEADER - 2) & 0xff;
	return len;
}

/* Copy a string record into dst (dstsz bytes), refusing NUL and C0. */
static int
discproto_get_str(char *dst, size_t dstsz, const uint8_t *v, size_t n)
{
	size_t	i;

	if (n >= dstsz)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/*
 * Parse the answer pkt (len bytes) into out.  The nonce it echoes is
 * copied to nonce for the caller to match against what it sent.  A
 * record of an unknown type is skipped (later versions may add some);
 * a record that runs past the end, a length that does not add up, a
 * missing name or fingerprint, or a known record of the wrong size make
 * the whole answer invalid.  Returns 0 or -1.
 */
int
discproto_answer_parse(const uint8_t *pkt, size_t len, uint8_t *nonce,
    struct discproto_info *out)
{
	size_t		 off, plen, n;
	const uint8_t	*v;
	int		 t, have_name = 0;

	memset(out, 0, sizeof *out);
	if (len < DISCPROTO_HEADER + 2 || len > DISCPROTO_QUERY_SIZE ||
	    !discproto_header_ok(pkt, 'A'))
		return -1;
	plen = (size_t)pkt[DISCPROTO_HEADER] << 8 | pkt[DISCPROTO_HEADER + 1];
	if (DISCPROTO_HEADER + 2 + plen != len)
		return -1;
	memcpy(nonce, pkt + 8, DISCPROTO_NONCE_LEN);
	for (off = DISCPROTO_HEADER + 2; off < len; off += 2 + n) {
		if (off + 2 > len)
			return -1;
		t = pkt[off];
		n = pkt[off + 1];
		v = pkt + off + 2;
		if (off + 2 + n > len)
			return -1;
		switch (t) {
		case DISCPROTO_R_NAME:
			if (n == 0 || discproto_get_str(out->name,
			    sizeof out->name, v, n) != 0)
				return -1;
			have_name = 1;
			break;
		case DISCPROTO_R_VERSION:
			if (discproto_get_str(out->version,
			    sizeof out->version, v, n) != 0)
				return -1;
			break;
		case DISCPROTO_R_NETWORK:
			if (discproto_get_str(out->network,
			    sizeof out->network, v, n) != 0)
				return -1;
			break;
		case DISCPROTO_R_IRC:
		case DISCPROTO_R_IRCS:
		case DISCPROTO_R_HTTP:
		case DISCPROTO_R_HTTPS:
			if (n != 2)
				return -1;
			if (t == DISCPROTO_R_IRC)
				out->port_irc = v[0] << 8 | v[1];
			else if (t == DISCPROTO_R_IRCS)
				out->port_ircs = v[0] << 8 | v[1];
			else if (t == DISCPROTO_R_HTTP)
				out->port_http = v[0] << 8 | v[1];
			else
				out->port_https = v[0] << 8 | v[1];
			break;
		case DISCPROTO_R_ADDR4:
			if (n != 4)
				return -1;
			if (out->naddr4 < DISCPROTO_MAX_ADDRS)
				memcpy(out->addr4[out->naddr4++], v, 4);
			break;
		case DISCPROTO_R_ADDR6:
			if (n != 16)
				return -1;
			if (out->naddr6 < DISCPROTO_MAX_ADDRS)
				memcpy(out->addr6[out->naddr6++], v, 16);
			break;
		case DISCPROTO_R_FP:
			if (n != DISCPROTO_FP_LEN)
				return -1;
			memcpy(out->fp, v, n);
			out->has_fp = memcmp(v, (const uint8_t[32]){ 0 },
			    32) != 0;
			break;
		default:
			break;
		}
	}
	return have_name ? 0 : -1;
}

/* Format fp as "AB:CD:...", as the server's banner prints it. */
void
discproto_fp_format(const uint8_t *fp, char *out, size_t outsz)
{
	size_t	i, o = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < DISCPROTO_FP_LEN && o + 3 < outsz; i++)
		o += snprintf(out + o, outsz - o, i == 0 ? "%02X" : ":%02X",
		    fp[i]);
	out[o] = '\0';
}

static int
discproto_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse a SHA-256 fingerprint, with or without ':' between the bytes,
 * in either case, into fp.  Returns 0 or -1.
 */
int
discproto_fp_parse(const char *s, uint8_t *fp)
{
	int	i, hi, lo;

	for (i = 0; i < DISCPROTO_FP_LEN; i++) {
		if (i > 0 && *s == ':')
			s++;
		if ((hi = discproto_hex(s[0])) < 0 ||
		    (lo = discproto_hex(s[1])) < 0)
			return -1;
		fp[i] = hi << 4 | lo;
		s += 2;
	}
	return *s == '\0' ? 0 : -1;
}
