/*
 * The mode string parser and the checks on mode parameters; see mode.h.
 *
 * The parse follows RFC 2812 3.2.3 and modern.ircdocs.horse "MODE": signs
 * may repeat and the last one wins, a string without a sign starts as
 * '+', and each letter that takes a parameter takes the next one left.
 * Letters of type A without a parameter ask for the list.  Every change
 * that carries a parameter counts against MODES_PER_LINE, which is what
 * ISUPPORT MODES= promises; changes past it are dropped, but their
 * parameters are still consumed so that the later letters keep theirs.
 */
#include <string.h>

#include "mode.h"

static int
mode_in(const char *set, int letter)
{
	return set != NULL && strchr(set, letter) != NULL;
}

/* The type of letter under spec; MODE_TYPE_UNKNOWN if it has none. */
enum mode_type
mode_type_of(const struct mode_spec *spec, int letter)
{
	if (!((letter >= 'a' && letter <= 'z') ||
	    (letter >= 'A' && letter <= 'Z')))
		return MODE_TYPE_UNKNOWN;
	if (mode_in(spec->list, letter))
		return MODE_TYPE_LIST;
	if (mode_in(spec->param, letter))
		return MODE_TYPE_PARAM;
	if (mode_in(spec->setparam, letter))
		return MODE_TYPE_SETPARAM;
	if (mode_in(spec->flag, letter))
		return MODE_TYPE_FLAG;
	return MODE_TYPE_UNKNOWN;
}

/* The length of the UTF-8 sequence at s (1 for a stray byte). */
static size_t
mode_utf8_len(const char *s)
{
	unsigned char	c = (unsigned char)s[0];
	size_t		want, n;

	if (c < 0xc0)
		return 1;
	want = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	for (n = 1; n < want; n++)
		if (((unsigned char)s[n] & 0xc0) != 0x80)
			break;
	return n;
}

static void
mode_add_unknown(struct mode_result *r, const char *s, size_t len, int add)
{
	int	i;

	for (i = 0; i < r->nunknown; i++)
		if (r->unknown[i].len == len &&
		    memcmp(r->unknown[i].s, s, len) == 0)
			return;
	if (r->nunknown == MODE_UNKNOWN_MAX)
		return;
	r->unknown[r->nunknown].s = s;
	r->unknown[r->nunknown].len = len;
	r->unknown[r->nunknown].add = add;
	r->nunknown++;
}

/*
 * Parse modes, with params[0 .. nparams-1] the parameters after it, into
 * r (which this fills completely).  Unknown characters are listed once
 * each in r->unknown and take no parameter.  A letter that needs a
 * parameter when none is left is kept with MODE_MISSING, so that the
 * caller can say so.
 */
void
mode_parse(const struct mode_spec *spec, const char *modes,
    const char *const *params, int nparams, struct mode_result *r)
{
	struct mode_change	*ch;
	enum mode_type		 type;
	const char		*p, *arg;
	size_t			 len;
	int			 add = 1, wants;

	memset(r, 0, sizeof *r);
	for (p = modes; *p != '\0'; p += len) {
		len = 1;
		if (*p == '+' || *p == '-') {
			add = *p == '+';
			continue;
		}
		if ((type = mode_type_of(spec, *p)) == MODE_TYPE_UNKNOWN) {
			len = mode_utf8_len(p);
			mode_add_unknown(r, p, len, add);
			continue;
		}
		wants = type == MODE_TYPE_LIST || type == MODE_TYPE_PARAM ||
		    (type == MODE_TYPE_SETPARAM && add);
		arg = NULL;
		if (wants && r->used < nparams)
			arg = params[r->used++];
		if (arg != NULL && r->nwithparam == MODES_PER_LINE) {
			r->dropped++;
			continue;
		}
		if (r->nchanges == MODE_CHANGES_MAX) {
			r->dropped++;
			continue;
		}
		ch = &r->changes[r->nchanges++];
		ch->letter = *p;
		ch->type = type;
		ch->flags = add ? MODE_ADD : 0;
		ch->arg = arg;
		if (arg != NULL)
			r->nwithparam++;
		else if (type == MODE_TYPE_LIST)
			ch->flags |= MODE_QUERY;
		else if (wants)
			ch->flags |= MODE_MISSING;
	}
}

/* Does the list mask s hold a character it may not (see below)? */
static int
mode_mask_bad_char(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ',')
			return 1;
	return 0;
}

/*
 * Write the list mask for in to out: "nick" becomes "nick!*@*",
 * "user@host" becomes "*!user@host", "nick!user" becomes "nick!user@*",
 * and an empty part becomes "*".  An extban "$a:account" is kept as it
 * is.  Returns 0, or -1 if in is no usable mask: empty, starting with
 * ':' (it could not be a middle parameter), holding spaces, commas or
 * controls, another extban, or too long for outsz.
 */
int
mode_mask_normalise(const char *in, char *out, size_t outsz)
{
	const char	*bang, *at, *nick, *user, *host;
	size_t		 nlen, ulen, hlen, need;

	if (*in == '\0' || *in == ':' || mode_mask_bad_char(in))
		return -1;
	if (*in == '$') {
		/* EXTBAN=$,a: only the account extban, with an account. */
		if (strncmp(in, "$a:", 3) != 0 || in[3] == '\0')
			return -1;
		if (strlen(in) >= outsz)
			return -1;
		memcpy(out, in, strlen(in) + 1);
		return 0;
	}
	if ((bang = strchr(in, '!')) != NULL) {
		nick = in;
		nlen = bang - in;
		user = bang + 1;
		at = strchr(user, '@');
		ulen = at != NULL ? (size_t)(at - user) : strlen(user);
	} else if ((at = strchr(in, '@')) != NULL) {
		nick = "";
		nlen = 0;
		user = in;
		ulen = at - in;
	} else {
		nick = in;
		nlen = strlen(in);
		user = "";
		ulen = 0;
	}
	host = at != NULL ? at + 1 : "";
	hlen = strlen(host);
	need = (nlen ? nlen : 1) + 1 + (ulen ? ulen : 1) + 1 +
	    (hlen ? hlen : 1) + 1;
	if (need > outsz)
		return -1;
	if (nlen == 0)
		*out++ = '*';
	memcpy(out, nick, nlen);
	out += nlen;
	*out++ = '!';
	if (ulen == 0)
		*out++ = '*';
	memcpy(out, user, ulen);
	out += ulen;
	*out++ = '@';
	if (hlen == 0)
		*out++ = '*';
	memcpy(out, host, hlen);
	out += hlen;
	*out = '\0';
	return 0;
}

/*
 * Is key usable for +k?  It must be 1 to KEYLEN bytes with no spaces,
 * commas (JOIN separates keys with them) or controls, and may not start
 * with ':' (JOIN could not send it as a middle parameter).  Returns 1 if
 * it is, else 0.
 */
int
mode_key_valid(const char *key)
{
	size_t	len = strlen(key);

	if (len == 0 || len > KEYLEN || *key == ':')
		return 0;
	return !mode_mask_bad_char(key);
}

/*
 * Parse the +l parameter: decimal digits only, 1 .. MODE_LIMIT_MAX.
 * Returns 0 and sets *out, or -1.
 */
int
mode_limit_parse(const char *s, long long *out)
{
	long long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > MODE_LIMIT_MAX)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}
