/*
 * The web client, built into the binary: every file under web/ (made at
 * build time into build/webfiles.c by scripts/embed-web).
 */
#ifndef LANCHAT_WEBFILES_H
#define LANCHAT_WEBFILES_H

#include <stddef.h>

struct webfile {
	const char		*path;
	const char		*type;
	const unsigned char	*data;
	size_t			 len;
	const char		*etag;
};

const struct webfile	*webfile_find(const char *);

#endif
