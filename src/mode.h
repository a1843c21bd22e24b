/*
 * MODE strings as data.  mode_parse() turns a mode string and the
 * parameters after it ("+ov-v" "a" "b" "c") into a list of changes,
 * given which letters take parameters and when (RFC 2812 3.2.3,
 * modern.ircdocs.horse "MODE" and the CHANMODES=A,B,C,D types of
 * ISUPPORT).  The mask, key and limit checks that the handler needs are
 * here too.
 *
 * Pure: no I/O, no globals, no allocation, so it is unit tested on its
 * own.  Lifetime: the changes point into the mode string and the
 * parameters given to mode_parse(); they are valid as long as those are
 * (for the server, during dispatch).
 */
#ifndef LANCHAT_MODE_H
#define LANCHAT_MODE_H

#include <stddef.h>

#include "lc_limits.h"

#define MODE_CHANGES_MAX	32	/* changes kept from one mode string */
#define MODE_UNKNOWN_MAX	16	/* distinct unknown letters reported */
#define MODE_MASK_SIZE		256	/* a normalised mask with its NUL */
#define MODE_LIMIT_MAX		1000000000LL	/* largest +l */

/* What a letter is, as in the four CHANMODES types. */
enum mode_type {
	MODE_TYPE_UNKNOWN = 0,
	MODE_TYPE_LIST,		/* A: b e I; a mask, or none to ask */
	MODE_TYPE_PARAM,	/* B: k o v; a parameter both ways */
	MODE_TYPE_SETPARAM,	/* C: l; a parameter to set, none to unset */
	MODE_TYPE_FLAG		/* D: i m n s t; never a parameter */
};

/* The letters of each type, as strings ("beI", "kov", "l", "imnst"). */
struct mode_spec {
	const char	*list;
	const char	*param;
	const char	*setparam;
	const char	*flag;
};

#define MODE_ADD	0x01	/* '+'; otherwise '-' */
#define MODE_QUERY	0x02	/* a list letter without a mask: show it */
#define MODE_MISSING	0x04	/* wanted a parameter, none was left */

struct mode_change {
	char		 letter;
	enum mode_type	 type;
	unsigned int	 flags;
	const char	*arg;		/* borrowed; NULL when none */
};

/* An unknown character: one UTF-8 sequence in the mode string. */
struct mode_unknown {
	const char	*s;		/* borrowed, not NUL-terminated */
	size_t		 len;
	int		 add;
};

struct mode_result {
	struct mode_change	changes[MODE_CHANGES_MAX];
	int			nchanges;
	struct mode_unknown	unknown[MODE_UNKNOWN_MAX];
	int			nunknown;	/* distinct, in order */
	int			nwithparam;	/* changes with an argument */
	int			used;		/* parameters consumed */
	int			dropped;	/* changes over the caps */
};

enum mode_type	 mode_type_of(const struct mode_spec *, int);
void		 mode_parse(const struct mode_spec *, const char *,
		    const char *const *, int, struct mode_result *);
int		 mode_mask_normalise(const char *, char *, size_t);
int		 mode_key_valid(const char *);
int		 mode_limit_parse(const char *, long long *);

#endif
