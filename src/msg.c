/*
 * The line parser.  Grammar: modern.ircdocs.horse "Messages" and IRCv3
 * message-tags:
 *
 *	['@' tags SPACE] [':' source SPACE] verb [params]
 *
 * The caller strips CRLF.  Limits are checked here because they are
 * properties of the line: tag data over LINE_MAX_CLIENT_TAGS, or the rest
 * over LINE_MAX_BODY - 2, is ERR_INPUTTOOLONG (417) without truncation.
 * Everything else about content (UTF-8, NUL) is the caller's business.
 */
#include <string.h>

#include "msg.h"

/*
 * Unescape a tag value in place (IRCv3 message-tags "Escaping values").
 * A lone trailing backslash is dropped; "\x" for an unknown x becomes x.
 * Returns the new length.
 */
size_t
msg_tag_unescape(char *s)
{
	char	*r = s, *w = s;

	while (*r != '\0') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case '\0':
			continue;
		case ':':
			*w++ = ';';
			break;
		case 's':
			*w++ = ' ';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'n':
			*w++ = '\n';
			break;
		default:	/* '\\' and anything unknown */
			*w++ = *r;
			break;
		}
		r++;
	}
	*w = '\0';
	return w - s;
}

/* Bytes that msg_tag_escape() will write for s, without the NUL. */
size_t
msg_tag_escaped_len(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case ';': case ' ': case '\\': case '\r': case '\n':
			n += 2;
			break;
		default:
			n++;
		}
	}
	return n;
}

/*
 * Escape s into dst (size dstsz, always NUL-terminated when dstsz > 0).
 * Returns the length it needed, as snprintf does: a result >= dstsz means
 * the output was cut.
 */
size_t
msg_tag_escape(char *dst, size_t dstsz, const char *s)
{
	size_t	n = 0, w = 0;
	char	e;

	for (; *s != '\0'; s++) {
		switch (*s) {
		case ';':  e = ':';  break;
		case ' ':  e = 's';  break;
		case '\\': e = '\\'; break;
		case '\r': e = 'r';  break;
		case '\n': e = 'n';  break;
		default:   e = 0;    break;
		}
		if (e != 0) {
			if (n + 2 < dstsz) {
				dst[n] = '\\';
				dst[n + 1] = e;
				w = n + 2;
			}
			n += 2;
		} else {
			if (n + 1 < dstsz) {
				dst[n] = *s;
				w = n + 1;
			}
			n++;
		}
	}
	/* End after the last byte written: an escape that did not fit
	 * leaves no half of itself, nor stale bytes, in dst. */
	if (dstsz > 0)
		dst[w] = '\0';
	return n;
}

/*
 * Split the tag section (without '@') on ';' and '='.  Keys are kept as
 * given: IRCv3 says they are opaque and never a reason to reject.  Tags
 * past MSG_MAX_TAGS are ignored; the length limit already bounds them.
 */
static void
msg_parse_tags(struct msg *m, char *s)
{
	char	*tag, *eq;

	while (s != NULL && *s != '\0') {
		tag = s;
		if ((s = strchr(s, ';')) != NULL)
			*s++ = '\0';
		if (*tag == '\0')
			continue;
		if (m->ntags == MSG_MAX_TAGS)
			break;
		if ((eq = strchr(tag, '=')) != NULL) {
			*eq++ = '\0';
			msg_tag_unescape(eq);
		} else
			eq = tag + strlen(tag);
		if (*tag == '\0')
			continue;	/* "=value" has no key */
		m->tags[m->ntags].key = tag;
		m->tags[m->ntags].value = eq;
		m->ntags++;
	}
}

static char *
msg_skip_spaces(char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/*
 * Parse line (len bytes, no CRLF; need not be NUL-terminated at len, but
 * line[len] must be writable... it is set to NUL) into m.  Returns
 * MSG_OK or one of enum msg_error.
 */
int
msg_parse(struct msg *m, char *line, size_t len)
{
	char	*p = line, *end, *sp;
	int	 i;

	m->ntags = 0;
	m->tags_len = 0;
	m->source = NULL;
	m->verb = NULL;
	m->nparams = 0;
	line[len] = '\0';
	/* A NUL inside the line ends it for the parser; callers that care
	 * (the server rejects such lines) look at len themselves. */
	len = strlen(line);
	end = line + len;

	p = msg_skip_spaces(p);
	if (*p == '@') {
		sp = strchr(p, ' ');
		if (sp == NULL)
			sp = end;
		m->tags_len = sp - p - 1;
		if (m->tags_len > LINE_MAX_CLIENT_TAGS)
			return MSG_TAGS_TOO_LONG;
		if (*sp == ' ')
			*sp++ = '\0';
		msg_parse_tags(m, p + 1);
		p = msg_skip_spaces(sp);
	}
	/* The rest may be at most 510 bytes (512 with CRLF). */
	if ((size_t)(end - p) > LINE_MAX_BODY - 2)
		return MSG_BODY_TOO_LONG;
	if (*p == ':') {
		sp = strchr(p, ' ');
		if (sp == NULL)
			return MSG_NO_VERB;
		*sp++ = '\0';
		m->source = p + 1;
		p = msg_skip_spaces(sp);
	}
	if (*p == '\0')
		return m->ntags > 0 || m->source != NULL ? MSG_NO_VERB :
		    MSG_EMPTY;
	m->verb = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	for (i = 0; m->verb[i] != '\0'; i++) {
		char c = m->verb[i];

		if (c >= 'a' && c <= 'z')
			m->verb[i] = c - 'a' + 'A';
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return MSG_BAD_VERB;
	}

	/* RFC 2812 2.3.1: up to 14 middle parameters and a trailing one;
	 * the 15th may omit the ':' and then runs to the end of the line. */
	for (;;) {
		p = msg_skip_spaces(p);
		if (*p == '\0')
			break;
		if (*p == ':' || m->nparams == MSG_MAX_PARAMS - 1) {
			if (*p == ':')
				p++;
			m->params[m->nparams++] = p;
			break;
		}
		m->params[m->nparams++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	return MSG_OK;
}

/* Value of the last tag named key (IRCv3: the final occurrence wins), or
 * NULL when absent.  A tag without a value returns "". */
const char *
msg_tag_get(const struct msg *m, const char *key)
{
	int	i;

	for (i = m->ntags - 1; i >= 0; i--)
		if (strcmp(m->tags[i].key, key) == 0)
			return m->tags[i].value;
	return NULL;
}

int
msg_tag_has(const struct msg *m, const char *key)
{
	return msg_tag_get(m, key) != NULL;
}

/* True if s can be sent as a middle (non-trailing) parameter. */
int
msg_param_is_middle(const char *s)
{
	return *s != '\0' && *s != ':' && strchr(s, ' ') == NULL;
}
