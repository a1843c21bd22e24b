/*
 * Names in any script, compared by one fold (DESIGN.md "One protocol").
 * The fold is Unicode NFKC with full case folding and default-ignorable
 * code points removed (utf8proc), applied until it is stable, so it is
 * idempotent and independent of the locale.  ASCII takes a fast path that
 * gives the same result.
 *
 * A nickname or channel name is also checked before it is accepted: valid
 * UTF-8, no controls, spaces, format, invisible or bidi characters, no
 * unassigned code points, no scripts mixed beyond what UTS #39 calls
 * "highly restrictive", and a length limit counted on the folded form.
 */
#ifndef LANCHAT_CASEMAP_H
#define LANCHAT_CASEMAP_H

#include <stddef.h>

#include "lc_limits.h"

/* The CASEMAPPING token.  rfc8265 (PRECIS) is what other Unicode-aware
 * servers advertise for an NFKC-and-casefold comparison. */
#define CASEMAP_NAME	"rfc8265"
#define CASEMAP_FOLDSZ	(NAME_MAX_BYTES + 1)

enum casemap_error {
	CASEMAP_OK = 0,
	CASEMAP_EMPTY,
	CASEMAP_TOO_LONG,
	CASEMAP_BAD_UTF8,
	CASEMAP_CONTROL,
	CASEMAP_SPACE,
	CASEMAP_INVISIBLE,
	CASEMAP_BIDI,
	CASEMAP_UNASSIGNED,
	CASEMAP_MIXED_SCRIPT,
	CASEMAP_BAD_CHAR,
	CASEMAP_BAD_START,
	CASEMAP_MARKS,
};

int	 casemap_utf8_valid(const char *, size_t);
int	 casemap_fold(const char *, char *, size_t);
int	 casemap_check_nick(const char *, char *, size_t, char *, size_t);
int	 casemap_check_channel(const char *, char *, size_t, char *, size_t);
int	 casemap_check_text(const char *, size_t, char *, size_t);
int	 casemap_script(int);
const char *casemap_script_name(int);
size_t	 casemap_width(const char *);

#endif
