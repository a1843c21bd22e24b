/*
 * libFuzzer harness for the web port's request side (battery T05):
 * http_input() and the http-parser callbacks behind it, on conns of the
 * real server (world.c: uploads go to disk and the store, a WebSocket
 * upgrade becomes an IRC session), with no sockets.
 *
 *	byte 0		how the second conn gets the bytes: 0 in one read,
 *			1 one byte per read (a header split at every
 *			byte), n > 1 reads of 1 to n*8 bytes
 *	the rest	requests, as on the wire.  Each "TOKEN" in them is
 *			replaced by a valid login token of the account
 *			"uploader" (made afresh for every input), so that
 *			"Authorization: Bearer TOKEN" reaches upload.c.
 *
 * The same bytes go to two conns: to one in a single read, to the other
 * cut as byte 0 says.  Reassembly must not matter (UnrealIRCd 4178cb3f):
 * both get the same answers, byte for byte, up to a WebSocket upgrade
 * (after it, message ids and times differ) and unless an upload was
 * stored (its id is random); only the refusal that ends a conn may
 * differ (http_same).  Every answer is a well-formed HTTP/1.1
 * response head.  And, as for every world harness, nothing is left once
 * the conns are closed.  Huge headers, 1000 headers, Content-Length
 * -1, +5, 0x10, two Content-Lengths, Content-Length with chunked, and
 * chunk sizes past 2^64 are in corpus/http and http.dict.
 *
 * FUZZ_SOURCES: fuzz/world.c @server
 * FUZZ_OPTIONS: -max_len=70000 -timeout=30
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "token.h"
#include "world.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static char	http_token[TOKEN_TEXT_LEN + 1];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	world_init();
	return 0;
}

static void
http_account_cb(void *arg, int status, struct account *a)
{
	(void)arg;
	(void)a;
	CHECK(status == 0);
}

static void
http_token_cb(void *arg, int status, const char *text)
{
	(void)arg;
	CHECK(status == 0 && text != NULL);
	snprintf(http_token, sizeof http_token, "%s", text);
}

/* The account "uploader" and a token for it, in http_token. */
static void
http_make_token(void)
{
	struct account	*a;

	http_token[0] = '\0';
	CHECK(account_create("uploader", "uploader", "$argon2id$fuzz", 0,
	    http_account_cb, NULL) == 0);
	world_settle();
	CHECK((a = account_find("uploader")) != NULL);
	CHECK(token_new(a, "fuzz", http_token_cb, NULL) == 0);
	world_settle();
	CHECK(http_token[0] != '\0');
}

/* The input with every "TOKEN" replaced by the token, into b. */
static void
http_expand(const char *p, size_t n, struct buf *b)
{
	const char	*t;

	while (n > 0 && (t = memmem(p, n, "TOKEN", 5)) != NULL) {
		buf_add(b, p, t - p);
		buf_addstr(b, http_token);
		n -= t - p + 5;
		p = t + 5;
	}
	buf_add(b, p, n);
}

/*
 * How much of out is plain HTTP: all of it, or up to the end of the
 * head of a 101 (what follows is the WebSocket).  -1 if an upload was
 * stored (201: its id is random).
 */
static long
http_plain_len(const struct world_conn *w)
{
	const char	*o = w->out.data, *s, *e;
	size_t		 n = w->out.len;

	if (n == 0)
		return 0;
	if (memmem(o, n, "HTTP/1.1 201 ", 13) != NULL)
		return -1;
	if ((s = memmem(o, n, "HTTP/1.1 101 ", 13)) == NULL)
		return (long)n;
	if ((e = memmem(s, n - (s - o), "\r\n\r\n", 4)) == NULL)
		return (long)n;
	return (long)(e + 4 - o);
}

/* The first answer starts with a status line, and its head ends. */
static void
http_check_head(const struct world_conn *w, long n)
{
	const char	*o = w->out.data;
	int		 i;

	if (n <= 0)
		return;
	CHECK(n >= 17);
	CHECK(memcmp(o, "HTTP/1.1 ", 9) == 0);
	for (i = 9; i < 12; i++)
		CHECK(o[i] >= '0' && o[i] <= '9');
	CHECK(o[12] == ' ');
	CHECK(memmem(o, n, "\r\n\r\n", 4) != NULL);
}

/* Where the last answer in out[0..n) starts, and its status. */
static long
http_last(const char *o, long n, int *status)
{
	const char	*p = o, *q, *last = NULL;

	while (p < o + n && (q = memmem(p, o + n - p, "HTTP/1.1 ", 9)) !=
	    NULL) {
		last = q;
		p = q + 9;
	}
	*status = 0;
	if (last == NULL || o + n - last < 12)
		return -1;
	*status = atoi(last + 9);
	return last - o;
}

/*
 * Did both conns get the same answers?  Byte for byte, except that
 * when both end with a refusal (4xx, 5xx: the conn closes), which one
 * may depend on the cut: a header over the size limit (431) is seen
 * before the bad byte after it (400) only when a read ends between
 * them, since http-parser reports a header's bytes when its read ends.
 */
static int
http_same(const struct world_conn *a, long na, const struct world_conn *b,
    long nb)
{
	long	la, lb;
	int	sa, sb;

	if (na == nb && (na == 0 || memcmp(a->out.data, b->out.data, na) ==
	    0))
		return 1;
	la = http_last(a->out.data, na, &sa);
	lb = http_last(b->out.data, nb, &sb);
	return la >= 0 && la == lb && sa >= 400 && sb >= 400 &&
	    (la == 0 || memcmp(a->out.data, b->out.data, la) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world_conn	*one, *cut;
	struct buf		 b;
	size_t			 off, step;
	unsigned int		 rnd, mode;
	long			 n1, n2;

	if (size < 1 || size > 70000)
		return 0;
	mode = data[0];
	http_make_token();
	buf_init(&b);
	http_expand((const char *)data + 1, size - 1, &b);

	one = world_conn(PROTO_HTTP, 0);
	cut = world_conn(PROTO_HTTP, 0);
	world_input(one, b.data, b.len);
	rnd = 0x2545f491u ^ (unsigned int)size;
	for (off = 0; off < b.len && world_alive(cut); off += step) {
		if (mode == 0)
			step = b.len - off;
		else if (mode == 1)
			step = 1;
		else {
			rnd = rnd * 1103515245u + 12345u;
			step = 1 + (rnd >> 16) % (mode * 8);
		}
		if (step > b.len - off)
			step = b.len - off;
		world_input(cut, b.data + off, step);
	}
	buf_free(&b);
	world_close_all();

	n1 = http_plain_len(one);
	n2 = http_plain_len(cut);
	http_check_head(one, n1);
	http_check_head(cut, n2);
	if (n1 >= 0 && n2 >= 0 && one->total <= WORLD_OUT_MAX &&
	    cut->total <= WORLD_OUT_MAX && !http_same(one, n1, cut, n2)) {
		fprintf(stderr, "one read:\n%.*s\ncut:\n%.*s\n", (int)n1,
		    one->out.data, (int)n2, cut->out.data);
		CHECK(!"the same answers");
	}
	world_reset();
	return 0;
}
