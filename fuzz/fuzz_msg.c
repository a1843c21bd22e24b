/*
 * libFuzzer harness for the line parser, msg_parse() (battery T01, T03).
 * The input is one line without CRLF, copied into a heap buffer with one
 * spare byte, as the server's read buffer has it.  For lines that parse,
 * check what the rest of the server relies on: at most 15 parameters, an
 * upper-case alphanumeric verb, every pointer inside the line, tag
 * values equal to a separate unescape of the raw bytes, last key wins;
 * then serialise the result and parse it again, which must give the
 * same message.
 *
 * FUZZ_SOURCES: src/msg.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_limits.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* The spec's unescape, written apart from msg.c's (IRCv3 message-tags
 * "Escaping values"), over raw[0..len). */
static size_t
fuzz_unescape(const char *raw, size_t len, char *out)
{
	size_t	i, n = 0;

	for (i = 0; i < len; i++) {
		if (raw[i] != '\\') {
			out[n++] = raw[i];
			continue;
		}
		if (i + 1 == len)
			break;		/* a lone trailing backslash */
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

static int
fuzz_inside(const char *p, const char *line, size_t len)
{
	return p >= line && p + strlen(p) <= line + len;
}

/*
 * Does the last parameter, number i, need a ':'?  RFC 2812 2.3.1: the
 * 15th runs to the end of the line without one, so only an empty one or
 * one that starts with ':' or a space needs it there; that keeps the
 * serialised body no longer than the line it came from.
 */
static int
fuzz_needs_colon(const char *p, int i)
{
	if (i == MSG_MAX_PARAMS - 1)
		return *p == '\0' || *p == ':' || *p == ' ';
	return !msg_param_is_middle(p);
}

/* Serialise m into out (size outsz); returns the length or -1. */
static int
fuzz_serialise(const struct msg *m, char *out, size_t outsz, size_t *tagsz)
{
	size_t	n = 0, e;
	int	i;

	*tagsz = 0;
	if (m->ntags > 0) {
		out[n++] = '@';
		for (i = 0; i < m->ntags; i++) {
			if (i > 0)
				out[n++] = ';';
			e = strlen(m->tags[i].key);
			if (n + e + 2 >= outsz)
				return -1;
			memcpy(out + n, m->tags[i].key, e);
			n += e;
			if (m->tags[i].value[0] == '\0')
				continue;
			out[n++] = '=';
			e = msg_tag_escape(out + n, outsz - n,
			    m->tags[i].value);
			if (n + e + 2 >= outsz)
				return -1;
			n += e;
		}
		*tagsz = n - 1;
		out[n++] = ' ';
	}
	n += snprintf(out + n, outsz - n, "%s%s%s%s", m->source != NULL ?
	    ":" : "", m->source != NULL ? m->source : "", m->source != NULL ?
	    " " : "", m->verb);
	for (i = 0; i < m->nparams; i++) {
		if (n >= outsz)
			return -1;
		n += snprintf(out + n, outsz - n, " %s%s",
		    i == m->nparams - 1 && fuzz_needs_colon(m->params[i], i) ?
		    ":" : "", m->params[i]);
	}
	if (n >= outsz)
		return -1;
	return (int)n;
}

static void
fuzz_check(const struct msg *m, const char *line, size_t len,
    const uint8_t *data)
{
	const char	*p, *raw, *end;
	char		*ref;
	int		 i, j;

	CHECK(m->nparams >= 0 && m->nparams <= MSG_MAX_PARAMS);
	CHECK(m->ntags >= 0 && m->ntags <= MSG_MAX_TAGS);
	CHECK(m->tags_len <= LINE_MAX_CLIENT_TAGS);
	CHECK(m->verb != NULL && m->verb[0] != '\0');
	CHECK(fuzz_inside(m->verb, line, len));
	for (p = m->verb; *p != '\0'; p++)
		CHECK((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
	if (m->source != NULL) {
		CHECK(fuzz_inside(m->source, line, len));
		CHECK(strchr(m->source, ' ') == NULL);
	}
	for (i = 0; i < m->nparams; i++) {
		CHECK(fuzz_inside(m->params[i], line, len));
		if (i < m->nparams - 1)
			CHECK(msg_param_is_middle(m->params[i]));
	}
	for (i = 0; i < m->ntags; i++) {
		const char *k = m->tags[i].key, *v = m->tags[i].value;

		CHECK(fuzz_inside(k, line, len));
		CHECK(k[0] != '\0');
		CHECK(strpbrk(k, "; =") == NULL);
		CHECK(fuzz_inside(v, line, len));
		/* The value is the unescaped raw bytes after "key=". */
		raw = (const char *)data + (k - line) + strlen(k);
		ref = malloc(len + 1);
		CHECK(ref != NULL);
		if (raw < (const char *)data + len && *raw == '=') {
			raw++;
			for (end = raw; end < (const char *)data + len &&
			    *end != ';' && *end != ' ' && *end != '\0'; end++)
				;
			fuzz_unescape(raw, end - raw, ref);
		} else
			ref[0] = '\0';
		CHECK(strcmp(ref, v) == 0);
		free(ref);
		/* msg_tag_get() finds the last one with this key. */
		for (j = m->ntags - 1; j >= 0; j--)
			if (strcmp(m->tags[j].key, k) == 0)
				break;
		CHECK(msg_tag_get(m, k) == m->tags[j].value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg	 m, m2;
	char		*line, *out;
	size_t		 tagsz;
	int		 r, n, i;

	if (size > IRC_LINE_MAX + 512)
		return 0;
	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	if (size > 0)
		memcpy(line, data, size);
	r = msg_parse(&m, line, size);
	CHECK(r >= MSG_OK && r <= MSG_BAD_VERB);
	if (r != MSG_OK) {
		free(line);
		return 0;
	}
	/* A NUL ends the line for the parser. */
	fuzz_check(&m, line, strnlen((const char *)data, size), data);

	/* Serialise and parse again: the same message.  The body never
	 * gets longer; escaped tags may (a raw CR is escaped as "\r"). */
	out = malloc(2 * IRC_LINE_MAX + 2);
	CHECK(out != NULL);
	n = fuzz_serialise(&m, out, 2 * IRC_LINE_MAX + 1, &tagsz);
	if (n >= 0 && tagsz <= LINE_MAX_CLIENT_TAGS) {
		CHECK(msg_parse(&m2, out, n) == MSG_OK);
		CHECK(m2.ntags == m.ntags);
		for (i = 0; i < m.ntags; i++) {
			CHECK(strcmp(m.tags[i].key, m2.tags[i].key) == 0);
			CHECK(strcmp(m.tags[i].value, m2.tags[i].value) == 0);
		}
		CHECK((m.source == NULL) == (m2.source == NULL));
		if (m.source != NULL)
			CHECK(strcmp(m.source, m2.source) == 0);
		CHECK(strcmp(m.verb, m2.verb) == 0);
		CHECK(m.nparams == m2.nparams);
		for (i = 0; i < m.nparams; i++)
			CHECK(strcmp(m.params[i], m2.params[i]) == 0);
	}
	/* Without tags the round trip always works. */
	if (m.ntags == 0)
		CHECK(n >= 0 && tagsz == 0);
	free(out);
	free(line);
	return 0;
}
