/*
 * Uploads and downloads (being written).
 */
#include "conn.h"
#include "http.h"
#include "upload.h"

struct upload *
upload_begin(struct conn *c, int method, const char *path, const char *auth,
    const char *ctype, const char *cdisp, const char *range, int64_t clen)
{
	(void)method;
	(void)path;
	(void)auth;
	(void)ctype;
	(void)cdisp;
	(void)range;
	(void)clen;
	http_respond(c, 503, "text/plain; charset=utf-8", NULL,
	    "files are not ready yet\n", 24);
	return NULL;
}

int
upload_body(struct upload *u, const char *data, size_t len)
{
	(void)u;
	(void)data;
	(void)len;
	return -1;
}

void
upload_end(struct upload *u)
{
	(void)u;
}

void
upload_abort(struct upload *u)
{
	(void)u;
}
