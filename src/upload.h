/*
 * Files on the web port (IRCv3 FILEHOST style): POST /upload stores a
 * file for a logged-in user, GET /files/<id> serves it.  Bodies are
 * streamed to disk, never held whole in memory.
 */
#ifndef LANCHAT_UPLOAD_H
#define LANCHAT_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct upload;

struct upload	*upload_begin(struct conn *, int, const char *, const char *,
		    const char *, const char *, const char *, int64_t);
int		 upload_body(struct upload *, const char *, size_t);
void		 upload_end(struct upload *);
void		 upload_abort(struct upload *);

#endif
