/*
 * libFuzzer harness for the WebSocket side (battery T04): ws_input() on
 * a conn already upgraded (world.c: the real server, no sockets), whose
 * session has registered as "web" beside alice on an IRC conn.  Then
 * the input, as frames:
 *
 *	byte 0		bit 0: text.ircv3.net (0) or binary.ircv3.net (1);
 *			bits 1-7: how the bytes are cut into reads (0: one
 *			read; n: reads of 1 to n*4 bytes)
 *	then frames	a header as on the wire (FIN, RSV, opcode; MASK
 *			and the 7-bit length, then 16 or 64 bits of length
 *			for 126 and 127), and its payload.  Where MASK is
 *			set, the harness inserts a masking key and masks
 *			the payload, so that the fuzzer writes IRC text.  A
 *			length longer than what is left is padded with
 *			'a' up to 70000 bytes; beyond that (2^63) the frame
 *			is cut short.
 *
 * So lengths 0/125/126/127/65535/65536/2^63, unmasked frames,
 * fragmented control frames, bad opcodes and RSV bits, invalid UTF-8 in
 * text frames and close codes 0/999/1005/5000 are all a byte or two
 * away (see ws.dict and corpus/ws).  Checked: what the server sends is
 * well-formed WebSocket (never masked, no RSV bits, known opcodes,
 * control frames short and whole), each data frame one IRC line that
 * passes world_check_line(), nothing after a close frame, and a close
 * code that RFC 6455 7.4.1 lets a server send; and, as for every world
 * harness, that nothing is left once the conns are closed.
 *
 * FUZZ_SOURCES: fuzz/world.c @server
 * FUZZ_OPTIONS: -max_len=20000 -timeout=30
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "world.h"
#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define WS_PAD_MAX	70000

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	world_init();
	return 0;
}

/* Append one masked frame (FIN, opcode) with payload p. */
static void
ws_frame(struct buf *b, int op, const char *p, size_t n)
{
	static const uint8_t	key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t			i;

	buf_addch(b, (char)(0x80 | op));
	if (n < 126)
		buf_addch(b, (char)(0x80 | n));
	else {
		buf_addch(b, (char)(0x80 | 126));
		buf_addch(b, (char)(n >> 8));
		buf_addch(b, (char)(n & 0xff));
	}
	buf_add(b, key, 4);
	for (i = 0; i < n; i++)
		buf_addch(b, (char)(p[i] ^ key[i % 4]));
}

/* Turn the fuzzer's frames into wire bytes (see the top comment). */
static void
ws_build(const uint8_t *d, size_t n, struct buf *b)
{
	size_t		 i = 0, k, take;
	uint64_t	 len;
	uint8_t		 key[4];
	int		 masked, j;
	unsigned int	 seq = 0;

	while (i < n) {
		buf_addch(b, (char)d[i++]);
		if (i >= n)
			break;
		masked = d[i] & 0x80;
		len = d[i] & 0x7f;
		buf_addch(b, (char)d[i++]);
		if (len == 126 || len == 127) {
			k = len == 126 ? 2 : 8;
			len = 0;
			for (j = 0; j < (int)k; j++) {
				if (i >= n)
					return;
				len = len << 8 | d[i];
				buf_addch(b, (char)d[i++]);
			}
		}
		if (masked) {
			key[0] = 0x5a ^ seq;
			key[1] = 0xa5;
			key[2] = (uint8_t)(seq * 7);
			key[3] = 0x3c;
			seq++;
			buf_add(b, key, 4);
		}
		take = len < n - i ? (size_t)len : n - i;
		for (k = 0; k < take; k++)
			buf_addch(b, (char)(d[i + k] ^ (masked ? key[k % 4] :
			    0)));
		i += take;
		if (take < len && len <= WS_PAD_MAX)
			for (; k < len; k++)
				buf_addch(b, (char)('a' ^ (masked ?
				    key[k % 4] : 0)));
	}
}

/* Is code one a server may put in a close frame (RFC 6455 7.4.1)? */
static int
ws_code_ok(unsigned int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 &&
	    code <= 1011) || (code >= 3000 && code <= 4999);
}

/* Check the frames the server sent (the first WORLD_OUT_MAX bytes). */
static void
ws_check_output(const struct world_conn *w, int binary)
{
	const uint8_t	*p = (const uint8_t *)w->out.data;
	size_t		 n = w->out.len, i = 0, hl;
	uint64_t	 len;
	int		 op, closed = 0, debug = getenv("FUZZ_DEBUG") != NULL;
	char		*line;

	while (i + 2 <= n) {
		CHECK(!closed);
		op = p[i] & 0x0f;
		CHECK((p[i] & 0x70) == 0);	/* no RSV bits */
		CHECK((p[i + 1] & 0x80) == 0);	/* never masked */
		len = p[i + 1] & 0x7f;
		hl = 2;
		if (len == 126) {
			if (i + 4 > n)
				break;
			len = (uint64_t)p[i + 2] << 8 | p[i + 3];
			hl = 4;
		} else if (len == 127) {
			CHECK(0);	/* no line is that long */
		}
		if (i + hl + len > n)
			break;		/* cut by WORLD_OUT_MAX */
		CHECK(p[i] & 0x80);	/* we never fragment */
		if (debug)
			fprintf(stderr, "frame op %d len %llu: %.*s\n", op,
			    (unsigned long long)len, op == 8 ? 0 : (int)len,
			    p + i + hl);
		if (debug && op == 8 && len >= 2)
			fprintf(stderr, "close code %u\n",
			    (unsigned int)p[i + hl] << 8 | p[i + hl + 1]);
		switch (op) {
		case 0x1:
		case 0x2:
			CHECK(op == (binary ? 0x2 : 0x1));
			line = malloc(len + 2);
			CHECK(line != NULL);
			memcpy(line, p + i + hl, len);
			memcpy(line + len, "\r\n", 2);
			world_check_line(line, len + 2);
			free(line);
			break;
		case 0x8:
			CHECK(len == 0 || len >= 2);
			CHECK(len <= 125);
			if (len >= 2)
				CHECK(ws_code_ok((unsigned int)p[i + hl] << 8 |
				    p[i + hl + 1]));
			closed = 1;
			break;
		case 0x9:
		case 0xa:
			CHECK(len <= 125);
			break;
		default:
			CHECK(0);
		}
		i += hl + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world_conn	*w;
	struct buf		 b, reg;
	size_t			 off, step, cut;
	unsigned int		 rnd;
	int			 binary;
	static const char	 nick[] = "NICK web", user[] =
				    "USER web 0 * :web";

	if (size < 1 || size > 20000)
		return 0;
	binary = data[0] & 1;
	cut = data[0] >> 1;
	world_client("alice", WORLD_CAPS);
	w = world_conn(PROTO_WS, binary ? WS_PROTO_BINARY : WS_PROTO_TEXT);
	buf_init(&reg);
	ws_frame(&reg, binary ? 0x2 : 0x1, nick, sizeof nick - 1);
	ws_frame(&reg, binary ? 0x2 : 0x1, user, sizeof user - 1);
	world_input(w, reg.data, reg.len);
	buf_free(&reg);
	CHECK(w->c->session->flags & SESSION_REGISTERED);

	buf_init(&b);
	ws_build(data + 1, size - 1, &b);
	rnd = 0x9e3779b9u ^ (unsigned int)size;
	for (off = 0; off < b.len && world_alive(w); off += step) {
		if (cut == 0)
			step = b.len - off;
		else {
			rnd = rnd * 1103515245u + 12345u;
			step = 1 + (rnd >> 16) % (cut * 4);
			if (step > b.len - off)
				step = b.len - off;
		}
		world_input(w, b.data + off, step);
	}
	buf_free(&b);
	world_close_all();
	ws_check_output(w, binary);
	world_reset();
	return 0;
}
