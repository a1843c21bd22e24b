/*
 * Files on the web port (IRCv3 FILEHOST, DESIGN.md "Files and pictures").
 * POST /upload stores a file for the account a login token (token.h)
 * names; GET or HEAD /files/<id>[/<name>] serves it to anyone with the
 * link.  Bodies are streamed to disk and files from it in chunks, never
 * held whole in memory; the disk is touched only through libuv's thread
 * pool, so a slow disk slows the transfer, not the loop.
 *
 * This module owns DATA/files/ and the table files.  A file is
 * DATA/files/<id>, where <id> is 128 random bits in base64url: knowing
 * the link is the capability to read the file.
 *
 * Lifetime: http.c holds a struct upload from upload_begin() until it
 * calls upload_abort() or this module calls http_done(); a disk or
 * database operation in flight keeps it alive a little longer, and it
 * frees itself when the last one returns.
 */
#ifndef LANCHAT_UPLOAD_H
#define LANCHAT_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct http_req;
struct session;
struct upload;

#define UPLOAD_CHUNK		(256 * 1024)	/* per disk read or write */
#define UPLOAD_ID_BYTES		16		/* 128 random bits */
#define UPLOAD_ID_LEN		22		/* in base64url */
#define UPLOAD_NAME_MAX		200		/* bytes of a stored name */
#define UPLOAD_TYPE_MAX		100		/* bytes of a stored type */

int		 upload_init(char **);
void		 upload_unload(void);
struct upload	*upload_begin(struct conn *, const struct http_req *);
int		 upload_body(struct upload *, const char *, size_t);
void		 upload_end(struct upload *);
void		 upload_abort(struct upload *);
void		 upload_written(struct upload *);
int		 upload_url(const struct session *, char *, size_t);
void		 upload_tick(uint64_t);

/* Pure helpers, exported for the unit tests. */
void		 upload_name_clean(const char *, size_t, char *, size_t);
void		 upload_name_from_disposition(const char *, char *, size_t);
const char	*upload_magic_type(const unsigned char *, size_t);
int		 upload_parse_range(const char *, uint64_t, uint64_t *,
		    uint64_t *);

#endif
