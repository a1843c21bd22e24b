/*
 * Unit tests for the line parser (src/msg.c): tags and their escapes,
 * source, verb, parameters (RFC 2812 2.3.1), the length limits of
 * IRCv3 message-tags, and the escape/unescape round trip.  Every line
 * is copied into a buffer with one spare byte, as the server's read
 * buffer has, because msg_parse() writes a NUL at line[len].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lc_limits.h"
#include "msg.h"

static char		test_line[IRC_LINE_MAX + 64];
static struct msg	test_m;

/* Parse s (a copy of it) into test_m; returns msg_parse()'s result. */
static int
test_parse(const char *s)
{
	size_t	len = strlen(s);

	assert_true(len < sizeof test_line);
	memcpy(test_line, s, len);
	test_line[len] = 'X';	/* msg_parse() must not rely on a NUL here */
	return msg_parse(&test_m, test_line, len);
}

/* Parse s, which must be valid, and check verb and parameters. */
static void
test_expect(const char *s, const char *source, const char *verb, int n, ...)
{
	va_list	ap;
	int	i;

	assert_int_equal(test_parse(s), MSG_OK);
	if (source == NULL)
		assert_null(test_m.source);
	else {
		assert_non_null(test_m.source);
		assert_string_equal(test_m.source, source);
	}
	assert_string_equal(test_m.verb, verb);
	assert_int_equal(test_m.nparams, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(test_m.params[i], va_arg(ap, const char *));
	va_end(ap);
}

/* A heap string of n copies of c. */
static char *
test_repeat(char c, size_t n)
{
	char	*s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_msg_simple(void **state)
{
	(void)state;
	test_expect("PING", NULL, "PING", 0);
	test_expect("PING x", NULL, "PING", 1, "x");
	test_expect("PRIVMSG #chan :hello world", NULL, "PRIVMSG", 2,
	    "#chan", "hello world");
	test_expect(":nick!user@host PRIVMSG #c :hi", "nick!user@host",
	    "PRIVMSG", 2, "#c", "hi");
	test_expect(":irc.example 001 alice :Welcome", "irc.example", "001",
	    2, "alice", "Welcome");
	assert_int_equal(test_m.ntags, 0);
	assert_int_equal(test_m.tags_len, 0);
}

static void
test_msg_verb_case(void **state)
{
	(void)state;
	test_expect("privmsg a b", NULL, "PRIVMSG", 2, "a", "b");
	test_expect("PrIvMsG a", NULL, "PRIVMSG", 1, "a");
	test_expect("cap LS 302", NULL, "CAP", 2, "LS", "302");
	test_expect("433", NULL, "433", 0);
	test_expect("a1b2", NULL, "A1B2", 0);
}

static void
test_msg_bad_verb(void **state)
{
	(void)state;
	assert_int_equal(test_parse("PRIV-MSG a"), MSG_BAD_VERB);
	assert_int_equal(test_parse("PRIVMSG\ta"), MSG_BAD_VERB);
	assert_int_equal(test_parse("NICK: a"), MSG_BAD_VERB);
	assert_int_equal(test_parse("\xc3\xa9t\xc3\xa9"), MSG_BAD_VERB);
	assert_int_equal(test_parse("GET/ HTTP/1.1"), MSG_BAD_VERB);
	assert_int_equal(test_parse("\x16\x03\x01"), MSG_BAD_VERB);
	assert_int_equal(test_parse(":src @x"), MSG_BAD_VERB);
	assert_int_equal(test_parse("@a=b :src !"), MSG_BAD_VERB);
}

static void
test_msg_empty(void **state)
{
	(void)state;
	assert_int_equal(test_parse(""), MSG_EMPTY);
	assert_int_equal(test_parse("   "), MSG_EMPTY);
	assert_int_equal(test_parse("@a=b"), MSG_NO_VERB);
	assert_int_equal(test_parse("@a=b   "), MSG_NO_VERB);
	assert_int_equal(test_parse(":src"), MSG_NO_VERB);
	assert_int_equal(test_parse(":src "), MSG_NO_VERB);
	assert_int_equal(test_parse("@a :src"), MSG_NO_VERB);
	assert_int_equal(test_parse("@a :src  "), MSG_NO_VERB);
	/* "@" alone has an empty tag section and then nothing. */
	assert_int_equal(test_parse("@"), MSG_EMPTY);
	assert_int_equal(test_parse("@ "), MSG_EMPTY);
}

static void
test_msg_source(void **state)
{
	(void)state;
	test_expect(":a PING", "a", "PING", 0);
	test_expect(":   PING", "", "PING", 0);
	test_expect(": PING x", "", "PING", 1, "x");
	test_expect(":n!u@h   QUIT   :bye now", "n!u@h", "QUIT", 1,
	    "bye now");
	/* A source without a verb is not a verb. */
	test_expect("  :srv NOTICE * :x", "srv", "NOTICE", 2, "*", "x");
}

static void
test_msg_spaces(void **state)
{
	(void)state;
	test_expect("   PING   x   y   ", NULL, "PING", 2, "x", "y");
	test_expect("MODE #c +o  nick", NULL, "MODE", 3, "#c", "+o", "nick");
	test_expect("PRIVMSG #c   :  two  spaces  ", NULL, "PRIVMSG", 2,
	    "#c", "  two  spaces  ");
	test_expect("USER u 0 * :Real  Name", NULL, "USER", 4, "u", "0", "*",
	    "Real  Name");
}

static void
test_msg_trailing(void **state)
{
	(void)state;
	test_expect("PRIVMSG #c :", NULL, "PRIVMSG", 2, "#c", "");
	test_expect("TOPIC #c :", NULL, "TOPIC", 2, "#c", "");
	test_expect("AWAY :", NULL, "AWAY", 1, "");
	test_expect("PRIVMSG #c ::)", NULL, "PRIVMSG", 2, "#c", ":)");
	test_expect("PRIVMSG #c :a :b c", NULL, "PRIVMSG", 2, "#c", "a :b c");
	test_expect("PRIVMSG #c a:b", NULL, "PRIVMSG", 2, "#c", "a:b");
	test_expect("X :", NULL, "X", 1, "");
	test_expect("X ::", NULL, "X", 1, ":");
	test_expect("X :   ", NULL, "X", 1, "   ");
	assert_true(msg_param_is_middle("a"));
	assert_true(msg_param_is_middle("a:b"));
	assert_false(msg_param_is_middle(""));
	assert_false(msg_param_is_middle(":a"));
	assert_false(msg_param_is_middle("a b"));
}

static void
test_msg_params_count(void **state)
{
	char	line[512], want[16][16];
	int	n, i;

	(void)state;
	for (n = 0; n <= 15; n++) {
		strcpy(line, "CMD");
		for (i = 0; i < n; i++) {
			snprintf(want[i], sizeof want[i], "p%d", i + 1);
			strcat(line, " ");
			strcat(line, want[i]);
		}
		assert_int_equal(test_parse(line), MSG_OK);
		assert_int_equal(test_m.nparams, n);
		for (i = 0; i < n; i++)
			assert_string_equal(test_m.params[i], want[i]);
	}
	/* The same with a trailing last parameter. */
	for (n = 1; n <= 15; n++) {
		strcpy(line, "CMD");
		for (i = 0; i < n - 1; i++) {
			snprintf(line + strlen(line), sizeof line -
			    strlen(line), " p%d", i + 1);
		}
		strcat(line, " :last one");
		assert_int_equal(test_parse(line), MSG_OK);
		assert_int_equal(test_m.nparams, n);
		assert_string_equal(test_m.params[n - 1], "last one");
	}
}

/* RFC 2812 2.3.1: after 14 middle parameters, the 15th is the rest of
 * the line even without a ':'. */
static void
test_msg_fifteenth(void **state)
{
	const char	*pre = "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 ";
	char		 line[512];
	int		 i;

	(void)state;
	snprintf(line, sizeof line, "%s15 16 17", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	for (i = 0; i < 14; i++) {
		char	n[16];

		snprintf(n, sizeof n, "%d", i + 1);
		assert_string_equal(test_m.params[i], n);
	}
	assert_string_equal(test_m.params[14], "15 16 17");

	snprintf(line, sizeof line, "%s:15 16", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	assert_string_equal(test_m.params[14], "15 16");

	snprintf(line, sizeof line, "%s  a  b  ", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	assert_string_equal(test_m.params[14], "a  b  ");

	snprintf(line, sizeof line, "%s::x", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	assert_string_equal(test_m.params[14], ":x");

	snprintf(line, sizeof line, "%s:", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	assert_string_equal(test_m.params[14], "");

	/* Trailing spaces after 14 params add no 15th. */
	snprintf(line, sizeof line, "%s   ", pre);
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 14);

	/* At the length limit, a 15th with spaces and no ':' is fine; a
	 * serialiser that always adds the ':' would make it 511 bytes (found
	 * by fuzz_msg in its own round trip). */
	memset(line, 'x', 510);
	memcpy(line, pre, strlen(pre));
	line[strlen(pre) + 3] = ' ';
	line[510] = '\0';
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.nparams, 15);
	assert_int_equal(strlen(test_m.params[14]), 510 - strlen(pre));
	assert_non_null(strchr(test_m.params[14], ' '));
}

static void
test_msg_tags_basic(void **state)
{
	(void)state;
	assert_int_equal(test_parse("@time=2024-01-01T00:00:00.000Z;msgid=abc"
	    " :n!u@h PRIVMSG #c :hi"), MSG_OK);
	assert_int_equal(test_m.ntags, 2);
	assert_string_equal(test_m.tags[0].key, "time");
	assert_string_equal(test_m.tags[0].value, "2024-01-01T00:00:00.000Z");
	assert_string_equal(test_m.tags[1].key, "msgid");
	assert_string_equal(test_m.tags[1].value, "abc");
	assert_string_equal(test_m.source, "n!u@h");
	assert_string_equal(test_m.verb, "PRIVMSG");
	assert_int_equal(test_m.nparams, 2);
	assert_int_equal(test_m.tags_len, strlen("time=2024-01-01T00:00:00."
	    "000Z;msgid=abc"));
	assert_string_equal(msg_tag_get(&test_m, "msgid"), "abc");
	assert_null(msg_tag_get(&test_m, "label"));
	assert_true(msg_tag_has(&test_m, "time"));
	assert_false(msg_tag_has(&test_m, "tim"));
	assert_false(msg_tag_has(&test_m, "timex"));
}

static void
test_msg_tags_escapes(void **state)
{
	(void)state;
	assert_int_equal(test_parse("@a=\\:\\s\\\\\\r\\n;b=x\\sy TAGMSG #c"),
	    MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "; \\\r\n");
	assert_string_equal(msg_tag_get(&test_m, "b"), "x y");
	/* Unknown escapes drop the backslash. */
	assert_int_equal(test_parse("@a=\\b\\x\\0\\t TAGMSG #c"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "bx0t");
	/* "\;" cannot happen: ';' ends the tag first. */
	assert_int_equal(test_parse("@a=x\\;b=y TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "x");
	assert_string_equal(msg_tag_get(&test_m, "b"), "y");
	/* A lone trailing backslash is dropped. */
	assert_int_equal(test_parse("@a=abc\\ TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "abc");
	assert_int_equal(test_parse("@a=\\;b=\\\\ TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "");
	assert_string_equal(msg_tag_get(&test_m, "b"), "\\");
	assert_int_equal(test_parse("@a=\\\\\\ TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "\\");
	/* The last tag of the section ends in a backslash too. */
	assert_int_equal(test_parse("@a=\\"), MSG_NO_VERB);
	assert_string_equal(msg_tag_get(&test_m, "a"), "");
	/* Escapes in keys are not escapes (keys are opaque). */
	assert_int_equal(test_parse("@k\\s=v TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "k\\s"), "v");
}

static void
test_msg_tags_values(void **state)
{
	(void)state;
	/* Empty value and no value are the same: "". */
	assert_int_equal(test_parse("@a=;b;c=1 TAGMSG #c"), MSG_OK);
	assert_int_equal(test_m.ntags, 3);
	assert_string_equal(msg_tag_get(&test_m, "a"), "");
	assert_string_equal(msg_tag_get(&test_m, "b"), "");
	assert_string_equal(msg_tag_get(&test_m, "c"), "1");
	/* An '=' inside a value is part of it. */
	assert_int_equal(test_parse("@a=b=c TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "b=c");
	/* Empty tags and empty keys are skipped. */
	assert_int_equal(test_parse("@;;a=1;;=2;=;b TAGMSG"), MSG_OK);
	assert_int_equal(test_m.ntags, 2);
	assert_string_equal(test_m.tags[0].key, "a");
	assert_string_equal(test_m.tags[1].key, "b");
	assert_null(msg_tag_get(&test_m, ""));
	/* Duplicate keys: the last one wins (IRCv3 message-tags). */
	assert_int_equal(test_parse("@a=1;b=2;a=3;a TAGMSG"), MSG_OK);
	assert_int_equal(test_m.ntags, 4);
	assert_string_equal(msg_tag_get(&test_m, "a"), "");
	assert_int_equal(test_parse("@a=1;b=2;a=3 TAGMSG"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "3");
	/* Client-only and vendor tags keep their prefixes in the key. */
	assert_int_equal(test_parse("@+draft/reply=abc;+typing=active;"
	    "example.com/foo=bar;+example.com/x TAGMSG #c"), MSG_OK);
	assert_int_equal(test_m.ntags, 4);
	assert_string_equal(msg_tag_get(&test_m, "+draft/reply"), "abc");
	assert_string_equal(msg_tag_get(&test_m, "+typing"), "active");
	assert_string_equal(msg_tag_get(&test_m, "example.com/foo"), "bar");
	assert_string_equal(msg_tag_get(&test_m, "+example.com/x"), "");
	assert_null(msg_tag_get(&test_m, "draft/reply"));
	assert_null(msg_tag_get(&test_m, "typing"));
	/* UTF-8 in values survives. */
	assert_int_equal(test_parse("@+draft/react=\xf0\x9f\x91\x8d TAGMSG #c"),
	    MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "+draft/react"),
	    "\xf0\x9f\x91\x8d");
	/* Leading spaces before '@' and several after the section. */
	assert_int_equal(test_parse("  @a=1    PING   x"), MSG_OK);
	assert_string_equal(msg_tag_get(&test_m, "a"), "1");
	assert_string_equal(test_m.verb, "PING");
	assert_int_equal(test_m.nparams, 1);
}

static void
test_msg_tags_many(void **state)
{
	char	line[2048];
	size_t	off = 0;
	int	i;

	(void)state;
	line[off++] = '@';
	for (i = 0; i < MSG_MAX_TAGS + 10; i++)
		off += snprintf(line + off, sizeof line - off, "k%d=%d;", i, i);
	snprintf(line + off, sizeof line - off, " PING");
	assert_int_equal(test_parse(line), MSG_OK);
	assert_int_equal(test_m.ntags, MSG_MAX_TAGS);
	assert_string_equal(test_m.tags[MSG_MAX_TAGS - 1].key, "k63");
	assert_string_equal(test_m.verb, "PING");
}

static void
test_msg_limit_tags(void **state)
{
	char	*tags, *line;
	size_t	 n;

	(void)state;
	line = malloc(IRC_LINE_MAX + 64);
	assert_non_null(line);
	/* "a=" and then x's: exactly LINE_MAX_CLIENT_TAGS bytes of data. */
	for (n = LINE_MAX_CLIENT_TAGS - 2; n <= LINE_MAX_CLIENT_TAGS; n++) {
		tags = test_repeat('x', n - 2);
		snprintf(line, IRC_LINE_MAX + 64, "@a=%s PING", tags);
		assert_int_equal(test_parse(line), MSG_OK);
		assert_int_equal(test_m.tags_len, n);
		assert_int_equal(strlen(msg_tag_get(&test_m, "a")), n - 2);
		free(tags);
	}
	tags = test_repeat('x', LINE_MAX_CLIENT_TAGS + 1 - 2);
	snprintf(line, IRC_LINE_MAX + 64, "@a=%s PING", tags);
	assert_int_equal(test_parse(line), MSG_TAGS_TOO_LONG);
	/* Without a verb or space after it, the limit holds too. */
	snprintf(line, IRC_LINE_MAX + 64, "@a=%s", tags);
	assert_int_equal(test_parse(line), MSG_TAGS_TOO_LONG);
	free(tags);
	tags = test_repeat('x', LINE_MAX_TAGS);
	snprintf(line, IRC_LINE_MAX + 64, "@a=%s PING", tags);
	assert_int_equal(test_parse(line), MSG_TAGS_TOO_LONG);
	free(tags);
	free(line);
}

static void
test_msg_limit_body(void **state)
{
	char	 line[IRC_LINE_MAX + 64], *x;
	size_t	 n;

	(void)state;
	/* "PRIVMSG #c :" is 12 bytes; fill the rest to 510 and 511. */
	for (n = 508; n <= LINE_MAX_BODY - 2; n++) {
		x = test_repeat('x', n - 12);
		snprintf(line, sizeof line, "PRIVMSG #c :%s", x);
		assert_int_equal(strlen(line), n);
		assert_int_equal(test_parse(line), MSG_OK);
		assert_int_equal(strlen(test_m.params[1]), n - 12);
		free(x);
	}
	x = test_repeat('x', LINE_MAX_BODY - 1 - 12);
	snprintf(line, sizeof line, "PRIVMSG #c :%s", x);
	assert_int_equal(strlen(line), 511);
	assert_int_equal(test_parse(line), MSG_BODY_TOO_LONG);
	/* The body limit is separate from the tags: full tags plus a full
	 * body is fine. */
	{
		char	*tags = test_repeat('t', LINE_MAX_CLIENT_TAGS - 2);
		char	*body = test_repeat('b', 510 - 12);

		snprintf(line, sizeof line, "@a=%s PRIVMSG #c :%s", tags,
		    body);
		assert_int_equal(test_parse(line), MSG_OK);
		snprintf(line, sizeof line, "@a=%s PRIVMSG #c :%sb", tags,
		    body);
		assert_int_equal(test_parse(line), MSG_BODY_TOO_LONG);
		free(tags);
		free(body);
	}
	/* A source counts against the body. */
	free(x);
	x = test_repeat('x', 510 - 6);
	snprintf(line, sizeof line, ":%s PING", x);
	assert_int_equal(test_parse(line), MSG_OK);
	snprintf(line, sizeof line, ":%sx PING", x);
	assert_int_equal(test_parse(line), MSG_BODY_TOO_LONG);
	free(x);
}

/* A NUL inside the given length ends the line for the parser. */
static void
test_msg_nul(void **state)
{
	char	line[32];

	(void)state;
	memcpy(line, "PING a\0b c", 10);
	assert_int_equal(msg_parse(&test_m, line, 10), MSG_OK);
	assert_int_equal(test_m.nparams, 1);
	assert_string_equal(test_m.params[0], "a");
}

static void
test_msg_escape_basic(void **state)
{
	char	out[64], s[64];
	size_t	n;

	(void)state;
	n = msg_tag_escape(out, sizeof out, "; \\\r\nx");
	assert_string_equal(out, "\\:\\s\\\\\\r\\nx");
	assert_int_equal(n, strlen(out));
	assert_int_equal(msg_tag_escaped_len("; \\\r\nx"), n);
	assert_int_equal(msg_tag_escape(out, sizeof out, ""), 0);
	assert_string_equal(out, "");
	/* Cut output: always terminated, never splits an escape, returns
	 * what it needed. */
	n = msg_tag_escape(out, 4, "ab;c");
	assert_int_equal(n, 5);
	assert_string_equal(out, "ab");
	n = msg_tag_escape(out, 5, "ab;c");
	assert_string_equal(out, "ab\\:");
	n = msg_tag_escape(out, 1, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(out, "");
	out[0] = 'Z';
	n = msg_tag_escape(out, 0, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 'Z');
	strcpy(s, "a\\sb\\:c\\\\d\\re\\nf\\");
	assert_int_equal(msg_tag_unescape(s), 11);
	assert_string_equal(s, "a b;c\\d\re\nf");
}

/* escape then unescape gives the input back, for random strings. */
static void
test_msg_escape_roundtrip(void **state)
{
	static const char	 alpha[] = "; \\\r\n:sabrn=@\x01\xc3\xa9\x7f";
	char			 in[128], esc[300], back[320];
	unsigned int		 seed = 12345;
	int			 iter, len, i;
	size_t			 n;

	(void)state;
	for (iter = 0; iter < 100000; iter++) {
		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % 100;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) & 1)
				in[i] = alpha[(seed >> 17) %
				    (sizeof alpha - 1)];
			else
				in[i] = 1 + (seed >> 17) % 255;
		}
		in[len] = '\0';
		n = msg_tag_escape(esc, sizeof esc, in);
		assert_true(n < sizeof esc);
		assert_int_equal(n, msg_tag_escaped_len(in));
		assert_null(strchr(esc, ';'));
		assert_null(strchr(esc, ' '));
		assert_null(strchr(esc, '\r'));
		assert_null(strchr(esc, '\n'));
		memcpy(back, esc, n + 1);
		assert_int_equal(msg_tag_unescape(back), (size_t)len);
		assert_string_equal(back, in);

		/* And through the parser. */
		snprintf(back, sizeof back, "@k=%s TAGMSG", esc);
		assert_int_equal(test_parse(back), MSG_OK);
		assert_string_equal(msg_tag_get(&test_m, "k"), in);

		/* unescape of arbitrary bytes: escape of the result unescapes
		 * to the same result. */
		memcpy(back, in, len + 1);
		n = msg_tag_unescape(back);
		assert_true(n <= (size_t)len);
		msg_tag_escape(esc, sizeof esc, back);
		msg_tag_unescape(esc);
		assert_string_equal(esc, back);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_simple),
		cmocka_unit_test(test_msg_verb_case),
		cmocka_unit_test(test_msg_bad_verb),
		cmocka_unit_test(test_msg_empty),
		cmocka_unit_test(test_msg_source),
		cmocka_unit_test(test_msg_spaces),
		cmocka_unit_test(test_msg_trailing),
		cmocka_unit_test(test_msg_params_count),
		cmocka_unit_test(test_msg_fifteenth),
		cmocka_unit_test(test_msg_tags_basic),
		cmocka_unit_test(test_msg_tags_escapes),
		cmocka_unit_test(test_msg_tags_values),
		cmocka_unit_test(test_msg_tags_many),
		cmocka_unit_test(test_msg_limit_tags),
		cmocka_unit_test(test_msg_limit_body),
		cmocka_unit_test(test_msg_nul),
		cmocka_unit_test(test_msg_escape_basic),
		cmocka_unit_test(test_msg_escape_roundtrip),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
