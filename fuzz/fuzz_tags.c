/*
 * libFuzzer harness for tag value escaping (battery T03):
 * msg_tag_unescape() on arbitrary bytes in an exact-size heap buffer, so
 * that ASan sees any read past the end (UnrealIRCd 39cd11f5), compared
 * with a separate unescape written from the spec; escape then unescape
 * is the identity on any string; a cut escape is a clean prefix.
 *
 * FUZZ_SOURCES: src/msg.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* IRCv3 message-tags "Escaping values", written apart from msg.c. */
static size_t
fuzz_unescape(const char *raw, char *out)
{
	size_t	i, n = 0, len = strlen(raw);

	for (i = 0; i < len; i++) {
		if (raw[i] != '\\') {
			out[n++] = raw[i];
			continue;
		}
		if (i + 1 == len)
			break;
		i++;
		switch (raw[i]) {
		case ':':	out[n++] = ';';		break;
		case 's':	out[n++] = ' ';		break;
		case 'r':	out[n++] = '\r';	break;
		case 'n':	out[n++] = '\n';	break;
		default:	out[n++] = raw[i];	break;
		}
	}
	out[n] = '\0';
	return n;
}

/* True if n bytes of the escaped string e end between two escapes. */
static int
fuzz_boundary(const char *e, size_t n)
{
	size_t	i = 0;

	while (i < n)
		i += e[i] == '\\' ? 2 : 1;
	return i == n;
}

/* Escape s into an exact-size heap buffer; unescaping gives s back. */
static void
fuzz_roundtrip(const char *s)
{
	size_t	 need = msg_tag_escaped_len(s), n;
	char	*e = malloc(need + 1);

	CHECK(e != NULL);
	n = msg_tag_escape(e, need + 1, s);
	CHECK(n == need);
	CHECK(strlen(e) == n);
	CHECK(strpbrk(e, "; \r\n") == NULL);
	CHECK(msg_tag_unescape(e) == strlen(s));
	CHECK(strcmp(e, s) == 0);
	free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, *u, *ref, *cut, *full;
	size_t	 len, n, need, sz;

	/* A C string: the bytes up to the first NUL, in a buffer of
	 * exactly that size. */
	len = strnlen((const char *)data, size);
	s = malloc(len + 1);
	u = malloc(len + 1);
	ref = malloc(len + 1);
	CHECK(s != NULL && u != NULL && ref != NULL);
	memcpy(s, data, len);
	s[len] = '\0';
	memcpy(u, s, len + 1);

	/* Unescape in place: never longer, same as the spec's. */
	n = msg_tag_unescape(u);
	CHECK(n <= len);
	CHECK(strlen(u) == n);
	CHECK(fuzz_unescape(s, ref) == n);
	CHECK(memcmp(u, ref, n + 1) == 0);

	/* escape then unescape is the identity, on the raw bytes and on
	 * what unescape made of them. */
	fuzz_roundtrip(s);
	fuzz_roundtrip(u);

	/* A cut escape (dst too small): terminated inside dst, a prefix of
	 * the full escape, and never half an escape. */
	need = msg_tag_escaped_len(s);
	full = malloc(need + 1);
	CHECK(full != NULL);
	msg_tag_escape(full, need + 1, s);
	sz = size > 0 ? data[size - 1] % (need + 2) : 0;
	cut = malloc(sz > 0 ? sz : 1);
	CHECK(cut != NULL);
	CHECK(msg_tag_escape(cut, sz, s) == need);
	if (sz > 0) {
		n = strnlen(cut, sz);
		CHECK(n < sz);
		CHECK(memcmp(cut, full, n) == 0);
		CHECK(fuzz_boundary(full, n));
		/* The prefix unescapes to a prefix of s. */
		msg_tag_unescape(cut);
		CHECK(strncmp(cut, s, strlen(cut)) == 0);
	}
	free(cut);
	free(full);
	free(ref);
	free(u);
	free(s);
	return 0;
}
