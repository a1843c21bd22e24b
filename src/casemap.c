/*
 * Folding and checking of names; see casemap.h for the rules.  Everything
 * Unicode comes from utf8proc (normalization, case folding, categories,
 * the default-ignorable property) and from Unicode's Scripts.txt, turned
 * into a table at build time by scripts/gen-scripts.  Pure: no state
 * besides those tables.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "lc_limits.h"
#include "casemap.h"
#include "unicode_scripts.h"

#define FOLD_FLAGS	(UTF8PROC_STABLE | UTF8PROC_COMPAT | \
			 UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)
#define MAX_MARKS	4	/* combining marks after one base character */

static int	casemap_sc_common = -1, casemap_sc_inherited = -1;
static int	casemap_sc_latin, casemap_sc_han, casemap_sc_hira;
static int	casemap_sc_kana, casemap_sc_bopo, casemap_sc_hang;

static int
casemap_script_id(const char *name)
{
	int	i;

	for (i = 0; i < UNISCRIPT_COUNT; i++)
		if (strcmp(uniscript_names[i], name) == 0)
			return i;
	return -2;
}

static void
casemap_init(void)
{
	if (casemap_sc_common != -1)
		return;
	casemap_sc_inherited = casemap_script_id("Inherited");
	casemap_sc_latin = casemap_script_id("Latin");
	casemap_sc_han = casemap_script_id("Han");
	casemap_sc_hira = casemap_script_id("Hiragana");
	casemap_sc_kana = casemap_script_id("Katakana");
	casemap_sc_bopo = casemap_script_id("Bopomofo");
	casemap_sc_hang = casemap_script_id("Hangul");
	casemap_sc_common = casemap_script_id("Common");
}

/* Script id of code point cp (Unknown, for unlisted ones, is -1). */
int
casemap_script(int cp)
{
	size_t	lo = 0, hi = sizeof uniscript_ranges / sizeof uniscript_ranges[0];
	size_t	mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((unsigned)cp < uniscript_ranges[mid].lo)
			hi = mid;
		else if ((unsigned)cp > uniscript_ranges[mid].hi)
			lo = mid + 1;
		else
			return uniscript_ranges[mid].script;
	}
	return -1;
}

const char *
casemap_script_name(int sc)
{
	if (sc < 0 || sc >= UNISCRIPT_COUNT)
		return "Unknown";
	return uniscript_names[sc];
}

/* True when s (len bytes) is valid UTF-8 without surrogates or overlongs. */
int
casemap_utf8_valid(const char *s, size_t len)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 cp;
	utf8proc_ssize_t	 n;
	size_t			 i = 0;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8proc_iterate(p + i, len - i, &cp);
		if (n <= 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * Fold s into out (outsz bytes with the NUL).  Returns 0, or -1 when s is
 * not valid UTF-8 or the fold does not fit.
 */
int
casemap_fold(const char *s, char *out, size_t outsz)
{
	utf8proc_uint8_t	*r, *r2;
	utf8proc_ssize_t	 rl, rl2;
	size_t			 i;
	int			 round;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = s[i];

		if (c & 0x80)
			goto unicode;
		if (i + 1 >= outsz)
			return -1;
		out[i] = (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
	}
	if (outsz == 0)
		return -1;
	out[i] = '\0';
	return 0;

unicode:
	/* NFKD first, then fold: utf8proc case-folds each character before
	 * it reorders combining marks, and U+0345 (class 240) folds to
	 * U+03B9 (class 0), so canonically equivalent orders of marks would
	 * otherwise fold apart.  Unicode defines the caseless matches the
	 * same way (D145, D146: fold an NFD string). */
	rl = utf8proc_map((const utf8proc_uint8_t *)s, 0, &r2,
	    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE |
	    UTF8PROC_NULLTERM);
	if (rl < 0)
		return -1;
	rl = utf8proc_map(r2, rl, &r, FOLD_FLAGS);
	free(r2);
	if (rl < 0)
		return -1;
	/* NFKC and case folding do not commute for a few code points; fold
	 * again until nothing changes so that fold(fold(x)) == fold(x). */
	for (round = 0; round < 3; round++) {
		rl2 = utf8proc_map(r, rl, &r2, FOLD_FLAGS);
		if (rl2 < 0) {
			free(r);
			return -1;
		}
		if (rl2 == rl && memcmp(r, r2, rl) == 0) {
			free(r2);
			break;
		}
		free(r);
		r = r2;
		rl = rl2;
	}
	if ((size_t)rl + 1 > outsz) {
		free(r);
		return -1;
	}
	memcpy(out, r, rl);
	out[rl] = '\0';
	free(r);
	return 0;
}

static int
casemap_is_bidi_control(int cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Classify one code point for any name.  Returns CASEMAP_OK or why not. */
static int
casemap_check_cp(int cp)
{
	const utf8proc_property_t	*prop = utf8proc_get_property(cp);

	switch (prop->category) {
	case UTF8PROC_CATEGORY_CC:
		return CASEMAP_CONTROL;
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return CASEMAP_SPACE;
	case UTF8PROC_CATEGORY_CN:
	case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CS:
		return CASEMAP_UNASSIGNED;
	case UTF8PROC_CATEGORY_CF:
		return casemap_is_bidi_control(cp) ? CASEMAP_BIDI :
		    CASEMAP_INVISIBLE;
	default:
		break;
	}
	if (prop->ignorable)
		return CASEMAP_INVISIBLE;
	return CASEMAP_OK;
}

static int
casemap_is_mark(int cat)
{
	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
	    cat == UTF8PROC_CATEGORY_ME;
}

static int
casemap_is_letter(int cat)
{
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static int
casemap_is_number(int cat)
{
	return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL ||
	    cat == UTF8PROC_CATEGORY_NO;
}

/*
 * UTS #39 5.2 "Highly Restrictive": one script, or Latin with Han and
 * Hiragana/Katakana (Japanese), with Han and Bopomofo (Chinese), or with
 * Han and Hangul (Korean).  set is a small array of distinct scripts.
 */
static int
casemap_scripts_ok(const int *set, int n)
{
	const int	allowed[3][4] = {
		{ casemap_sc_latin, casemap_sc_han, casemap_sc_hira,
		  casemap_sc_kana },
		{ casemap_sc_latin, casemap_sc_han, casemap_sc_bopo, -3 },
		{ casemap_sc_latin, casemap_sc_han, casemap_sc_hang, -3 },
	};
	int		i, j, k, ok;

	if (n <= 1)
		return 1;
	for (k = 0; k < 3; k++) {
		ok = 1;
		for (i = 0; i < n && ok; i++) {
			ok = 0;
			for (j = 0; j < 4; j++)
				if (set[i] == allowed[k][j])
					ok = 1;
		}
		if (ok)
			return 1;
	}
	return 0;
}

#define NICK_ASCII_OK	"[]\\`^{}|_-"
#define CHAN_ASCII_BAD	" ,:\a"

/*
 * The common checker.  prefix_len bytes at the start are a channel prefix
 * already checked by the caller.  is_chan relaxes the allowed categories
 * (punctuation and symbols are fine in channel names).
 */
static int
casemap_check_name(const char *name, size_t prefix_len, int is_chan,
    size_t maxcp, char *fold, size_t foldsz, char *why, size_t whysz)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)name;
	utf8proc_int32_t	 cp;
	utf8proc_ssize_t	 n;
	size_t			 len = strlen(name), i, ncp;
	int			 scripts[8], nscripts = 0, sc, cat, err, j;
	int			 marks = 0, first = 1;
	const char		*kind = is_chan ? "Channel name" : "Nickname";

	casemap_init();
	if (len <= prefix_len) {
		snprintf(why, whysz, "%s is empty", kind);
		return CASEMAP_EMPTY;
	}
	if (len > NAME_MAX_BYTES) {
		snprintf(why, whysz, "%s is too long", kind);
		return CASEMAP_TOO_LONG;
	}
	for (i = prefix_len; i < len; i += n) {
		n = utf8proc_iterate(p + i, len - i, &cp);
		if (n <= 0) {
			snprintf(why, whysz, "%s is not valid UTF-8", kind);
			return CASEMAP_BAD_UTF8;
		}
		if ((err = casemap_check_cp(cp)) != CASEMAP_OK) {
			snprintf(why, whysz, "%s contains %s U+%04X", kind,
			    err == CASEMAP_CONTROL ? "a control character" :
			    err == CASEMAP_SPACE ? "a space" :
			    err == CASEMAP_BIDI ? "a bidi control" :
			    err == CASEMAP_INVISIBLE ?
			    "an invisible character" :
			    "an unassigned code point", cp);
			return err;
		}
		cat = utf8proc_category(cp);
		if (casemap_is_mark(cat)) {
			if (first) {
				snprintf(why, whysz, "%s starts with a "
				    "combining mark", kind);
				return CASEMAP_BAD_START;
			}
			if (++marks > MAX_MARKS) {
				snprintf(why, whysz, "%s stacks too many "
				    "combining marks", kind);
				return CASEMAP_MARKS;
			}
		} else
			marks = 0;
		if (cp < 0x80) {
			if (is_chan ? strchr(CHAN_ASCII_BAD, cp) != NULL :
			    !((cp >= 'a' && cp <= 'z') ||
			    (cp >= 'A' && cp <= 'Z') ||
			    (cp >= '0' && cp <= '9') ||
			    strchr(NICK_ASCII_OK, cp) != NULL)) {
				snprintf(why, whysz, "%s may not contain '%c'",
				    kind, (char)cp);
				return CASEMAP_BAD_CHAR;
			}
		} else if (!is_chan && !casemap_is_letter(cat) &&
		    !casemap_is_mark(cat) && !casemap_is_number(cat) &&
		    cat != UTF8PROC_CATEGORY_PC && cat != UTF8PROC_CATEGORY_PD) {
			snprintf(why, whysz, "%s may contain only letters, "
			    "digits and -_[]\\`^{}| (not U+%04X)", kind, cp);
			return CASEMAP_BAD_CHAR;
		}
		if (!is_chan && first &&
		    (casemap_is_number(cat) || cp == '-')) {
			snprintf(why, whysz, "%s may not start with a digit "
			    "or '-'", kind);
			return CASEMAP_BAD_START;
		}
		first = 0;
		sc = casemap_script(cp);
		if (sc == casemap_sc_common || sc == casemap_sc_inherited)
			continue;
		for (j = 0; j < nscripts; j++)
			if (scripts[j] == sc)
				break;
		if (j == nscripts) {
			if (nscripts == (int)(sizeof scripts / sizeof *scripts))
				nscripts--;
			scripts[nscripts++] = sc;
			if (!casemap_scripts_ok(scripts, nscripts)) {
				snprintf(why, whysz, "%s mixes scripts (%s and "
				    "%s): that is how look-alike names are "
				    "made", kind,
				    casemap_script_name(scripts[0]),
				    casemap_script_name(sc));
				return CASEMAP_MIXED_SCRIPT;
			}
		}
	}
	if (casemap_fold(name, fold, foldsz) != 0) {
		snprintf(why, whysz, "%s is too long", kind);
		return CASEMAP_TOO_LONG;
	}
	/* Limits apply after folding: one character may fold to three. */
	ncp = 0;
	for (i = 0; fold[i] != '\0'; i++)
		if (((unsigned char)fold[i] & 0xC0) != 0x80)
			ncp++;
	if (ncp - prefix_len > maxcp || ncp == prefix_len) {
		snprintf(why, whysz, "%s is too long (at most %zu characters "
		    "after folding)", kind, maxcp);
		return ncp == prefix_len ? CASEMAP_EMPTY : CASEMAP_TOO_LONG;
	}
	return CASEMAP_OK;
}

/*
 * Check nick and write its fold into fold (foldsz bytes).  Returns
 * CASEMAP_OK, or an error with a sentence for the user in why.
 */
int
casemap_check_nick(const char *nick, char *fold, size_t foldsz, char *why,
    size_t whysz)
{
	return casemap_check_name(nick, 0, 0, NICKLEN, fold, foldsz, why,
	    whysz);
}

/* Same for a channel name, which must start with '#'. */
int
casemap_check_channel(const char *name, char *fold, size_t foldsz,
    char *why, size_t whysz)
{
	if (name[0] != '#') {
		snprintf(why, whysz, "Channel names start with '#'");
		return CASEMAP_BAD_START;
	}
	return casemap_check_name(name, 1, 1, CHANNELLEN, fold, foldsz, why,
	    whysz);
}

/*
 * Check free text (a message, topic, realname): valid UTF-8 with no NUL,
 * CR or LF.  Returns CASEMAP_OK, CASEMAP_BAD_UTF8 or CASEMAP_CONTROL.
 */
int
casemap_check_text(const char *s, size_t len, char *why, size_t whysz)
{
	if (memchr(s, '\0', len) != NULL || memchr(s, '\r', len) != NULL ||
	    memchr(s, '\n', len) != NULL) {
		snprintf(why, whysz, "Text may not contain NUL, CR or LF");
		return CASEMAP_CONTROL;
	}
	if (!casemap_utf8_valid(s, len)) {
		snprintf(why, whysz, "Text is not valid UTF-8");
		return CASEMAP_BAD_UTF8;
	}
	return CASEMAP_OK;
}

/* Display width of a UTF-8 string in terminal columns (for the TUI). */
size_t
casemap_width(const char *s)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	 cp;
	utf8proc_ssize_t	 n;
	size_t			 w = 0;
	int			 cw;

	while (*p != '\0') {
		n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0) {
			p++;
			w++;
			continue;
		}
		cw = utf8proc_charwidth(cp);
		if (cw > 0)
			w += cw;
		p += n;
	}
	return w;
}
