/*
 * Text for the screen.  What comes from the network is cleaned before
 * it is kept: invalid UTF-8 becomes U+FFFD, IRC formatting codes are
 * dropped, and so is every control character (C0, DEL, C1) and bidi
 * override that could move the cursor or reorder the terminal's line.
 * Widths come from utf8proc, as in the server's casemap.c, so Cyrillic
 * takes one column, CJK and emoji two, combining marks none.  Owns no
 * state.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "lanchat.h"

/*
 * Decode one code point from s (at most n bytes).  Invalid or short
 * sequences decode as U+FFFD over one byte.  Returns the bytes used
 * (0 only when n is 0).
 */
size_t
text_decode(const char *s, size_t n, uint32_t *cp)
{
	utf8proc_int32_t	c;
	utf8proc_ssize_t	r;

	if (n == 0)
		return 0;
	r = utf8proc_iterate((const utf8proc_uint8_t *)s, n, &c);
	if (r <= 0) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return r;
}

/* Encode cp into out (4 bytes at most); returns the length. */
size_t
text_encode(uint32_t cp, char *out)
{
	utf8proc_ssize_t	r;

	r = utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
	return r > 0 ? (size_t)r : 0;
}

/* Columns that cp takes. */
int
text_cp_width(uint32_t cp)
{
	int	w;

	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 0;
	w = utf8proc_charwidth(cp);
	return w < 0 ? 0 : w;
}

/* Is cp a code point we never put on the screen? */
static int
text_drop(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 &&
	    cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/*
 * Clean in into out (outsz bytes, NUL-terminated): valid UTF-8 with no
 * formatting and no controls; a tab becomes a space.  Returns the
 * length written.
 */
size_t
text_clean(const char *in, char *out, size_t outsz)
{
	size_t		 n = strlen(in), i = 0, o = 0, k;
	uint32_t	 cp;
	char		 enc[4];
	int		 d;

	if (outsz == 0)
		return 0;
	while (i < n) {
		unsigned char c = in[i];

		if (c == 0x03) {	/* colour: ^C[NN[,NN]] */
			i++;
			for (d = 0; d < 2 && isdigit((unsigned char)in[i]); d++)
				i++;
			if (d > 0 && in[i] == ',' &&
			    isdigit((unsigned char)in[i + 1])) {
				i++;
				for (d = 0; d < 2 &&
				    isdigit((unsigned char)in[i]); d++)
					i++;
			}
			continue;
		}
		if (c == 0x04) {	/* hex colour: ^DRRGGBB[,RRGGBB] */
			i++;
			for (d = 0; d < 6 &&
			    isxdigit((unsigned char)in[i]); d++)
				i++;
			if (d == 6 && in[i] == ',' &&
			    isxdigit((unsigned char)in[i + 1])) {
				i++;
				for (d = 0; d < 6 &&
				    isxdigit((unsigned char)in[i]); d++)
					i++;
			}
			continue;
		}
		k = text_decode(in + i, n - i, &cp);
		i += k;
		if (cp == '\t')
			cp = ' ';
		if (text_drop(cp))
			continue;
		k = text_encode(cp, enc);
		if (o + k >= outsz)
			break;
		memcpy(out + o, enc, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

/* Columns that the first n bytes of s take. */
int
text_width(const char *s, size_t n)
{
	size_t		i = 0;
	uint32_t	cp;
	int		w = 0;

	while (i < n) {
		i += text_decode(s + i, n - i, &cp);
		w += text_cp_width(cp);
	}
	return w;
}

/*
 * The bytes of s that fit in cols columns, never splitting a
 * character; zero-width characters stay with the one before them.  The
 * columns used go to *used (may be NULL).
 */
size_t
text_fit(const char *s, int cols, int *used)
{
	size_t		n = strlen(s), i = 0, k;
	uint32_t	cp;
	int		w = 0, cw;

	while (i < n) {
		k = text_decode(s + i, n - i, &cp);
		cw = text_cp_width(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += k;
	}
	if (used != NULL)
		*used = w;
	return i;
}

/*
 * The bytes of s for the first row of cols columns: up to the last
 * space that fits, or as much as fits when a word is longer than the
 * row.  At least one character, so that wrapping always moves on.
 */
size_t
text_wrap(const char *s, int cols)
{
	size_t	fit, n = strlen(s), i;
	uint32_t cp;

	fit = text_fit(s, cols > 0 ? cols : 1, NULL);
	if (fit >= n)
		return n;
	if (fit == 0)
		return text_decode(s, n, &cp);
	if (s[fit] == ' ')
		return fit;
	for (i = fit; i > 0; i--)
		if (s[i - 1] == ' ' && i > fit / 3)
			return i;
	return fit;
}

/* Fold a name the server's way (casemap.c); plain copy if it fails. */
void
text_fold(const char *s, char *out, size_t outsz)
{
	size_t	i;

	if (casemap_fold(s, out, outsz) == 0)
		return;
	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static int
text_wordbyte(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || strchr("_-[]\\`^{}|", c) != NULL;
}

/* Does text name nick as a word of its own?  Compared folded. */
int
text_mentions(const char *text, const char *nick)
{
	char		 ft[2048], fn[CASEMAP_FOLDSZ];
	const char	*p;
	size_t		 n;

	if (nick == NULL || *nick == '\0')
		return 0;
	text_fold(text, ft, sizeof ft);
	text_fold(nick, fn, sizeof fn);
	if ((n = strlen(fn)) == 0)
		return 0;
	for (p = ft; (p = strstr(p, fn)) != NULL; p++) {
		if ((p == ft || !text_wordbyte(p[-1])) &&
		    !text_wordbyte(p[n]))
			return 1;
	}
	return 0;
}

/* FNV-1a over the folded name: the same nick, the same colour. */
uint32_t
text_hash(const char *s)
{
	char		 f[CASEMAP_FOLDSZ];
	uint32_t	 h = 2166136261u;
	const char	*p;

	text_fold(s, f, sizeof f);
	for (p = f; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/*
 * How many bytes of s (len bytes) go into one message of at most max
 * bytes: on a UTF-8 boundary, and at a space when there is one in the
 * last third.
 */
size_t
text_chunk(const char *s, size_t max)
{
	size_t	n = strlen(s), i;

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	for (i = n; i > max * 2 / 3; i--)
		if (s[i] == ' ')
			return i;
	return n;
}
