/*
 * One IRC line as a struct: tags, source, verb, parameters.  Pure: no I/O,
 * no allocation.  msg_parse() works in place: every pointer in struct msg
 * points into the line it was given, which it modifies (NUL terminators,
 * unescaped tag values).  The struct is valid only as long as that line
 * is, which for the server means during dispatch (OpenSMTPD iobuf_getline,
 * ngIRCd REQUEST).  Copy what you keep.
 */
#ifndef LANCHAT_MSG_H
#define LANCHAT_MSG_H

#include <stddef.h>

#include "lc_limits.h"

struct msg_tag {
	const char	*key;
	const char	*value;		/* unescaped; "" when absent */
};

struct msg {
	struct msg_tag	 tags[MSG_MAX_TAGS];
	int		 ntags;
	size_t		 tags_len;	/* tag data bytes, without '@' and ' ' */
	const char	*source;	/* NULL when absent */
	char		*verb;
	const char	*params[MSG_MAX_PARAMS];
	int		 nparams;
};

enum msg_error {
	MSG_OK = 0,
	MSG_EMPTY,		/* nothing but spaces: ignored */
	MSG_TAGS_TOO_LONG,	/* 417 */
	MSG_BODY_TOO_LONG,	/* 417 */
	MSG_NO_VERB,		/* tags or source with no command */
	MSG_BAD_VERB,		/* 421 */
};

int		 msg_parse(struct msg *, char *, size_t);
const char	*msg_tag_get(const struct msg *, const char *);
int		 msg_tag_has(const struct msg *, const char *);
size_t		 msg_tag_unescape(char *);
size_t		 msg_tag_escape(char *, size_t, const char *);
size_t		 msg_tag_escaped_len(const char *);
int		 msg_param_is_middle(const char *);

#endif
