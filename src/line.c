/*
 * Shared outgoing lines.  Only the event loop thread touches reference
 * counts, so they are plain integers.  line_live() counts allocated lines
 * so that tests and the leak checks in the battery can see that every
 * fan-out was released.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lc_limits.h"
#include "line.h"
#include "log.h"
#include "xmalloc.h"

static uint64_t	line_count;

/*
 * Make a line from data (len bytes).  A CRLF is appended unless data
 * already ends with one.  The caller owns the one reference.
 */
struct line *
line_new(const char *data, size_t len)
{
	struct line	*l;
	int		 crlf = len >= 2 && data[len - 2] == '\r' &&
			    data[len - 1] == '\n';
	size_t		 total = len + (crlf ? 0 : 2);

	if (total > UINT32_MAX / 2)
		fatalx("line_new: %zu bytes", len);
	l = xmalloc(sizeof *l + total);
	l->refs = 1;
	l->len = total;
	memcpy(l->data, data, len);
	if (!crlf) {
		l->data[len] = '\r';
		l->data[len + 1] = '\n';
	}
	line_count++;
	return l;
}

/*
 * The same for a line whose text may echo what a client sent (a nick, a
 * target, a verb, a capability list), which can be nearly as long as a
 * line itself: the part after the tags is cut to LINE_MAX_BODY - 2
 * bytes, on a character boundary, so that the line never goes out over
 * 512 bytes with its CRLF.  A CRLF at the end of data is put back
 * after the cut.
 */
struct line *
line_new_cut(const char *data, size_t len)
{
	size_t	tags = 0, n;

	if (len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n')
		len -= 2;
	if (len > 0 && data[0] == '@') {
		const char *sp = memchr(data, ' ', len);

		if (sp != NULL)
			tags = sp - data + 1;
	}
	n = len - tags;
	if (n > LINE_MAX_BODY - 2) {
		n = LINE_MAX_BODY - 2;
		while (n > 0 && ((unsigned char)data[tags + n] & 0xC0) == 0x80)
			n--;
	}
	return line_new(data, tags + n);
}

struct line *
line_newf(const char *fmt, ...)
{
	char		 small[1024];
	va_list		 ap;
	int		 n;
	struct buf	 b;
	struct line	*l;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("line_newf: bad format");
	if ((size_t)n < sizeof small)
		return line_new(small, n);
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l = line_new(b.data, b.len);
	buf_free(&b);
	return l;
}

/*
 * A new line: l with the tag "key=value" (already escaped) put first in
 * its tag section.  Used for label and batch tags, which belong to one
 * recipient.
 */
struct line *
line_with_tag(const struct line *l, const char *tag)
{
	size_t		 tl = strlen(tag), n;
	struct line	*nl;

	n = l->len + tl + 2;
	nl = xmalloc(sizeof *nl + n);
	nl->refs = 1;
	if (l->len > 0 && l->data[0] == '@') {
		nl->data[0] = '@';
		memcpy(nl->data + 1, tag, tl);
		nl->data[1 + tl] = ';';
		memcpy(nl->data + 2 + tl, l->data + 1, l->len - 1);
		nl->len = l->len + tl + 1;
	} else {
		nl->data[0] = '@';
		memcpy(nl->data + 1, tag, tl);
		nl->data[1 + tl] = ' ';
		memcpy(nl->data + 2 + tl, l->data, l->len);
		nl->len = l->len + tl + 2;
	}
	line_count++;
	return nl;
}

struct line *
line_ref(struct line *l)
{
	l->refs++;
	return l;
}

void
line_unref(struct line *l)
{
	if (l == NULL)
		return;
	if (l->refs == 0)
		fatalx("line_unref: reference count underflow");
	if (--l->refs == 0) {
		line_count--;
		free(l);
	}
}

/* Lines allocated and not yet released. */
uint64_t
line_live(void)
{
	return line_count;
}
