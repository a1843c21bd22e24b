/*
 * Uploads and downloads; see upload.h.  This module owns DATA/files/ and
 * the table files (nothing else writes its SQL).
 *
 * An upload.  The headers decide before any of the body is read: the
 * Origin, the login token (Authorization: Bearer, never a password,
 * never in the URL), the size against --max-upload (413), the account's
 * upload rate (429) and quota (507), the free disk.  Then the body is
 * written to DATA/files/.part-<id> in UPLOAD_CHUNK writes on the thread
 * pool, one at a time: while one is out the next chunk gathers in
 * memory, and when that one is full the conn stops reading, so memory
 * stays at two chunks whatever the file size and TCP slows the sender
 * to the disk's pace.  At the end the file is closed, renamed to
 * DATA/files/<id>, its row committed, and only then 201 Created goes
 * out.  A failure or a client gone at any step removes what was
 * written; the start-up sweep removes what a crash left.
 *
 * A download.  The row is read on the thread pool, the file opened and
 * measured; the head goes out, then the body one chunk at a time: a
 * chunk is read only when the conn has written the one before (its
 * wbytes is back to 0), so a slow reader costs one chunk of memory.
 *
 * What is served inline is decided by the bytes, never by what the
 * uploader claimed: PNG, JPEG, GIF and WebP by their magic numbers.
 * Everything else, SVG and HTML included, is an attachment, with nosniff
 * and a sandbox policy (http.c) for good measure.
 *
 * Each step is one state of struct upload; upload_step() issues the next
 * operation whenever nothing is in flight, and every completion calls it
 * again.  So there is one place that knows the order, and one that
 * knows how to clean up.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <http_parser.h>
#include <sodium.h>
#include <utf8proc.h>
#include <uv.h>

#include "account.h"
#include "buf.h"
#include "conn.h"
#include "dict.h"
#include "flood.h"
#include "http.h"
#include "lc_limits.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "token.h"
#include "upload.h"
#include "util.h"
#include "xmalloc.h"

#define UPLOAD_DISK_SPARE	(16LL * 1024 * 1024)	/* kept free */

/* The steps, in order; FAIL and GONE are the way out of any of them. */
enum upload_state {
	UP_OPEN,	/* the temp file is being made */
	UP_BODY,	/* the body comes in and is written */
	UP_SYNC,	/* durability full: fdatasync */
	UP_CLOSE,
	UP_RENAME,	/* .part-<id> -> <id> */
	UP_STORE,	/* the row is being committed */
	UP_DONE,	/* answer 201 */
	DN_LOOKUP,	/* the row is being read */
	DN_OPEN,
	DN_STAT,
	DN_HEAD,	/* the status and headers go out */
	DN_SEND,	/* chunks go out */
	DN_CLOSE,
	DN_DONE,
	ST_FAIL,	/* answer the error, remove what was made */
	ST_GONE		/* nothing left to do but be freed */
};

/* An account's files: bytes stored, bytes being uploaded, upload rate. */
struct upload_acct {
	char		key[24];	/* decimal id: dict key */
	int64_t		id;
	int64_t		used;
	int64_t		inflight;
	struct flood	rate;
	uint64_t	rate_ms;	/* last upload, for expiry */
};

/* A row of files, as a download reads it on the thread pool. */
struct upload_row {
	char		 id[UPLOAD_ID_LEN + 1];
	int		 found;
	char		*name;
	char		*type;
	char		*inline_type;
};

struct upload {
	struct conn		*c;		/* NULL once released */
	int			 released;	/* http.c let go of it */
	int			 busy;		/* an operation is in flight */
	enum upload_state	 state;
	uv_fs_t			 fs;
	uv_file			 fd;
	char			 id[UPLOAD_ID_LEN + 1];
	char			 path[PATH_MAX];
	char			 tmp[PATH_MAX];
	int			 tmp_made;	/* the temp file exists */
	int			 final_made;	/* the final file exists */
	int			 error;		/* HTTP status to answer */
	const char		*why;		/* ... and its text */
	char			*cors;		/* extra headers for Origin */

	/* Upload. */
	struct upload_acct	*acct;
	int64_t			 expect;	/* Content-Length */
	int64_t			 got;		/* body bytes come in */
	int64_t			 written;	/* ... and on disk */
	struct buf		 wb;		/* being written */
	size_t			 woff;
	struct buf		 pb;		/* waiting to be written */
	int			 paused;	/* we stopped its reading */
	int			 ended;		/* the whole body is in */
	unsigned char		 magic[16];
	size_t			 nmagic;
	char			*name;
	char			*type;

	/* Download. */
	int			 head;		/* HEAD: no body */
	struct upload_row	 row;
	char			*range;
	char			*if_range;
	char			*if_none_match;
	uint64_t		 size;
	uint64_t		 off, end;	/* [off, end) still to send */
	char			*rbuf;
};

static struct dict	upload_accts;	/* decimal id -> upload_acct */
static char		upload_dir[PATH_MAX - 64];	/* DATA/files */

static void	upload_step(struct upload *);

/*
 * The HTTP side no longer holds u: it called upload_abort(), or we
 * called http_done() or http_detach().  ST_GONE frees it then.
 */
static void
upload_release(struct upload *u)
{
	u->released = 1;
	u->c = NULL;
}

/* u is finished without an answer (the conn is going): let go of it. */
static void
upload_let_go(struct upload *u)
{
	if (!u->released && u->c != NULL)
		http_detach(u->c);
	upload_release(u);
}

static void
upload_free(struct upload *u)
{
	if (u->acct != NULL) {
		u->acct->inflight -= u->expect;
		if (u->acct->inflight < 0)
			u->acct->inflight = 0;
	}
	buf_free(&u->wb);
	buf_free(&u->pb);
	free(u->name);
	free(u->type);
	free(u->cors);
	free(u->range);
	free(u->if_range);
	free(u->if_none_match);
	free(u->row.name);
	free(u->row.type);
	free(u->row.inline_type);
	free(u->rbuf);
	free(u);
}

/* Is the client still there to be answered? */
static int
upload_gone(const struct upload *u)
{
	return u->released || u->c == NULL || (u->c->flags & (CONN_DYING |
	    CONN_CLOSING | CONN_CLOSED));
}

static struct upload_acct *
upload_acct_get(int64_t id)
{
	struct upload_acct	*ua;
	char			 key[24];

	snprintf(key, sizeof key, "%lld", (long long)id);
	if ((ua = dict_get(&upload_accts, key)) != NULL)
		return ua;
	ua = xcalloc(1, sizeof *ua);
	strlcpy_u(ua->key, key, sizeof ua->key);
	ua->id = id;
	flood_init(&ua->rate, (double)srv.cfg.upload_rate, now_ms());
	dict_put(&upload_accts, ua->key, ua);
	return ua;
}

/* ---- names, types, ranges: pure helpers ---- */

/* Could c be in a stored name?  No controls, format (bidi, zero-width),
 * separators of lines, surrogates, private or unassigned code points. */
static int
upload_name_cp_ok(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CN:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return 0;
	default:
		return 1;
	}
}

/*
 * Make a file name from what a client sent (len bytes, any bytes): its
 * last path component only, valid UTF-8 without controls, bidi or
 * invisible characters, no characters that other systems refuse in
 * names, no leading dots, at most UPLOAD_NAME_MAX bytes (the extension
 * kept), and "file" if nothing is left.  out has outsz bytes.
 */
void
upload_name_clean(const char *in, size_t len, char *out, size_t outsz)
{
	const utf8proc_uint8_t	*p = (const utf8proc_uint8_t *)in;
	utf8proc_int32_t	 cp;
	utf8proc_ssize_t	 n;
	struct buf		 b;
	size_t			 i = 0, max, ext, cut;
	const char		*dot;

	buf_init(&b);
	while (i < len) {
		n = utf8proc_iterate(p + i, len - i, &cp);
		if (n <= 0) {
			i++;		/* not UTF-8: dropped */
			continue;
		}
		i += n;
		if (cp == '/' || cp == '\\') {
			buf_reset(&b);	/* only the last component */
			continue;
		}
		if (!upload_name_cp_ok(cp))
			continue;
		/* What Windows refuses in a name becomes '_'. */
		if (cp < 0x80 && strchr("<>:\"|?*", (int)cp) != NULL)
			buf_addch(&b, '_');
		else
			buf_add(&b, p + i - n, (size_t)n);
	}
	/* No hidden files, no "." or "..", no trailing dots or spaces. */
	i = 0;
	while (i < b.len && (b.data[i] == '.' || b.data[i] == ' '))
		i++;
	buf_consume(&b, i);
	while (b.len > 0 && (b.data[b.len - 1] == '.' ||
	    b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	max = UPLOAD_NAME_MAX < outsz - 1 ? UPLOAD_NAME_MAX : outsz - 1;
	if (b.len > max) {
		/* Keep a short extension; cut the stem at a character. */
		ext = 0;
		if ((dot = strrchr(b.data, '.')) != NULL &&
		    b.data + b.len - dot <= 16)
			ext = b.data + b.len - dot;
		cut = utf8_truncate(b.data, max - ext);
		memmove(b.data + cut, b.data + b.len - ext, ext);
		b.len = cut + ext;
		b.data[b.len] = '\0';
	}
	if (b.len == 0)
		strlcpy_u(out, "file", outsz);
	else
		strlcpy_u(out, b.data, outsz);
	buf_free(&b);
}

static int
upload_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * The file name in a Content-Disposition value (RFC 6266): filename*
 * (RFC 5987, UTF-8 percent-encoded) before filename (a token or a quoted
 * string), cleaned as upload_name_clean() does.  "file" if there is none.
 */
void
upload_name_from_disposition(const char *v, char *out, size_t outsz)
{
	struct buf	 plain, ext, *dst;
	const char	*p = v, *name;
	size_t		 nl;
	int		 star, hi, lo;

	buf_init(&plain);
	buf_init(&ext);
	if (p == NULL)
		p = "";
	while (*p != '\0') {
		/* One parameter: name [*] = value. */
		p += strspn(p, " \t;");
		name = p;
		nl = strcspn(p, "=; \t");
		p += nl;
		p += strspn(p, " \t");
		if (*p != '=') {
			p += strcspn(p, ";");
			continue;
		}
		p++;
		p += strspn(p, " \t");
		star = nl == 9 && strncasecmp(name, "filename*", 9) == 0;
		dst = star ? &ext : (nl == 8 && strncasecmp(name, "filename",
		    8) == 0) ? &plain : NULL;
		if (dst != NULL)
			buf_reset(dst);
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (dst != NULL)
					buf_addch(dst, *p);
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p != '\0' && *p != ';'; p++) {
				if (dst == NULL)
					continue;
				if (star && *p == '%' &&
				    (hi = upload_hexval(p[1])) >= 0 &&
				    (lo = upload_hexval(p[2])) >= 0) {
					buf_addch(dst, (char)(hi * 16 + lo));
					p += 2;
				} else
					buf_addch(dst, *p);
			}
		}
		if (star) {
			/* charset'language'text: only UTF-8 (and ASCII). */
			const char *q1 = ext.data != NULL ?
			    memchr(ext.data, '\'', ext.len) : NULL;
			const char *q2 = q1 != NULL ? memchr(q1 + 1, '\'',
			    ext.data + ext.len - q1 - 1) : NULL;

			if (q2 == NULL || !((q1 - ext.data == 5 &&
			    strncasecmp(ext.data, "utf-8", 5) == 0) ||
			    (q1 - ext.data == 8 && strncasecmp(ext.data,
			    "us-ascii", 8) == 0)))
				buf_reset(&ext);
			else
				buf_consume(&ext, q2 + 1 - ext.data);
		}
	}
	if (ext.len > 0)
		upload_name_clean(ext.data, ext.len, out, outsz);
	else
		upload_name_clean(plain.data != NULL ? plain.data : "",
		    plain.len, out, outsz);
	buf_free(&plain);
	buf_free(&ext);
}

/*
 * The image type of a file by its first bytes, for the types shown
 * inline (PNG, JPEG, GIF, WebP), or NULL.
 */
const char *
upload_magic_type(const unsigned char *b, size_t n)
{
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && memcmp(b, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 ||
	    memcmp(b, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 &&
	    memcmp(b + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

/* A Content-Type as the uploader gave it, reduced to type/subtype. */
static char *
upload_clean_type(const char *t)
{
	char	out[UPLOAD_TYPE_MAX + 1];
	size_t	n, i;

	if (t == NULL)
		return xstrdup("application/octet-stream");
	t += strspn(t, " \t");
	n = strcspn(t, "; \t");
	if (n == 0 || n > UPLOAD_TYPE_MAX)
		return xstrdup("application/octet-stream");
	for (i = 0; i < n; i++) {
		char ch = t[i];

		if (ch >= 'A' && ch <= 'Z')
			ch += 'a' - 'A';
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    strchr("/!#$&^_.+-", ch) != NULL))
			return xstrdup("application/octet-stream");
		out[i] = ch;
	}
	out[n] = '\0';
	if (strchr(out, '/') == NULL || strchr(out, '/') != strrchr(out, '/'))
		return xstrdup("application/octet-stream");
	return xstrdup(out);
}

/* The Content-Type an attachment is served with: the uploader's, when
 * it is one that no browser runs. */
static const char *
upload_served_type(const char *claimed)
{
	if (strncmp(claimed, "audio/", 6) == 0 ||
	    strncmp(claimed, "video/", 6) == 0 ||
	    strcmp(claimed, "application/pdf") == 0 ||
	    strcmp(claimed, "application/zip") == 0 ||
	    strcmp(claimed, "text/plain") == 0)
		return claimed;
	return "application/octet-stream";
}

static int
upload_parse_u64(const char **pp, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 &&
		    (uint64_t)(*p - '0') > UINT64_MAX % 10))
			return -1;
		v = v * 10 + (*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

/*
 * A Range header (RFC 9110 14.2) against a file of size bytes: 1 with
 * the inclusive range in *first and *last, 0 to send it all (no Range,
 * one we do not serve such as several ranges, or one we cannot parse),
 * -1 if it cannot be satisfied (416).
 */
int
upload_parse_range(const char *v, uint64_t size, uint64_t *first,
    uint64_t *last)
{
	const char	*p = v;
	uint64_t	 a, b;

	if (v == NULL || strncasecmp(p, "bytes=", 6) != 0)
		return 0;
	p += 6;
	p += strspn(p, " \t");
	if (strchr(p, ',') != NULL)
		return 0;	/* several ranges: the whole file instead */
	if (*p == '-') {
		p++;
		if (upload_parse_u64(&p, &b) != 0)
			return 0;
		p += strspn(p, " \t");
		if (*p != '\0')
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (upload_parse_u64(&p, &a) != 0 || *p++ != '-')
		return 0;
	if (*p == '\0' || *p == ' ' || *p == '\t') {
		p += strspn(p, " \t");
		if (*p != '\0')
			return 0;
		b = UINT64_MAX;
	} else {
		if (upload_parse_u64(&p, &b) != 0)
			return 0;
		p += strspn(p, " \t");
		if (*p != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

/* Percent-encode s for a URL path segment (RFC 3986 unreserved kept). */
static void
upload_pct_path(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = *s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			buf_addch(b, ch);
		else
			buf_printf(b, "%%%02X", ch);
	}
}

/* Content-Disposition for a stored name (RFC 6266, RFC 8187). */
static void
upload_disposition(struct buf *b, const char *kind, const char *name)
{
	const char	*s;

	buf_printf(b, "Content-Disposition: %s; filename=\"", kind);
	for (s = name; *s != '\0'; s++) {
		unsigned char ch = *s;

		buf_addch(b, ch < 0x20 || ch >= 0x7f || ch == '"' ||
		    ch == '\\' || ch == '%' ? '_' : ch);
	}
	buf_addstr(b, "\"; filename*=UTF-8''");
	for (s = name; *s != '\0'; s++) {
		unsigned char ch = *s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!#$&+-.^_`|~", ch) !=
		    NULL)
			buf_addch(b, ch);
		else
			buf_printf(b, "%%%02X", ch);
	}
	buf_addstr(b, "\r\n");
}

static int
upload_id_ok(const char *s, size_t n)
{
	size_t	i;

	if (n != UPLOAD_ID_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* ---- the table files ---- */

struct upload_job {
	struct store_job	 job;
	struct upload		*u;
	char			 id[UPLOAD_ID_LEN + 1];
	int64_t			 owner;
	char			*name;
	char			*type;
	const char		*inline_type;
	int64_t			 size;
	uint64_t		 created;
};

static int
upload_insert_run(sqlite3 *db, struct store_job *sj)
{
	struct upload_job	*j = (struct upload_job *)sj;
	sqlite3_stmt		*s;
	int			 rc;

	rc = sqlite3_prepare_v2(db, "INSERT INTO files(id, owner, name, type, "
	    "inline_type, size, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, j->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, j->owner);
	sqlite3_bind_text(s, 3, j->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, j->type, -1, SQLITE_STATIC);
	if (j->inline_type != NULL)
		sqlite3_bind_text(s, 5, j->inline_type, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_int64(s, 6, j->size);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)j->created);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

static void
upload_insert_done(struct store_job *sj)
{
	struct upload_job	*j = (struct upload_job *)sj;
	struct upload		*u = j->u;

	u->busy = 0;
	if (sj->status == SQLITE_OK) {
		u->acct->used += j->size;
		u->final_made = 0;	/* it is a stored file now */
		u->state = UP_DONE;
	} else {
		log_warnx("upload %s: not stored: %s", u->id,
		    store_strerror(sj->status));
		u->error = (sj->status & 0xff) == SQLITE_FULL ? 507 : 503;
		u->why = store_strerror(sj->status);
		u->state = ST_FAIL;
	}
	free(j->name);
	free(j->type);
	free(j);
	upload_step(u);
}

/* Thread pool: read the row; only u->row is touched here. */
static int
upload_lookup_run(sqlite3 *db, void *arg)
{
	struct upload_row	*r = &((struct upload *)arg)->row;
	sqlite3_stmt		*s;
	int			 rc;
	const char		*t;

	rc = sqlite3_prepare_v2(db, "SELECT name, type, inline_type FROM files "
	    "WHERE id = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->found = 1;
		r->name = xstrdup((const char *)sqlite3_column_text(s, 0));
		r->type = xstrdup((const char *)sqlite3_column_text(s, 1));
		t = (const char *)sqlite3_column_text(s, 2);
		r->inline_type = t != NULL ? xstrdup(t) : NULL;
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(s);
	return rc;
}

static void
upload_lookup_done(void *arg, int rc)
{
	struct upload	*u = arg;

	u->busy = 0;
	if (rc != SQLITE_OK) {
		u->error = 503;
		u->why = store_strerror(rc);
		u->state = ST_FAIL;
	} else if (!u->row.found) {
		u->error = 404;
		u->why = NULL;
		u->state = ST_FAIL;
	} else
		u->state = DN_OPEN;
	upload_step(u);
}

/* ---- the steps ---- */

static void
upload_fs_cb(uv_fs_t *req)
{
	struct upload	*u = req->data;
	ssize_t		 r = req->result;

	uv_fs_req_cleanup(req);
	u->busy = 0;
	switch (u->state) {
	case UP_OPEN:
		if (r < 0)
			goto fail;
		u->fd = (uv_file)r;
		u->tmp_made = 1;
		u->state = UP_BODY;
		break;
	case UP_BODY:
		if (r == 0)
			r = UV_EIO;	/* no progress: do not spin */
		if (r < 0)
			goto fail;
		u->woff += r;
		u->written += r;
		if (u->woff == u->wb.len) {
			buf_reset(&u->wb);
			u->woff = 0;
		}
		break;
	case UP_SYNC:
		if (r < 0)
			goto fail;
		u->state = UP_CLOSE;
		break;
	case UP_CLOSE:
		u->fd = -1;
		if (r < 0)
			goto fail;
		u->state = UP_RENAME;
		break;
	case UP_RENAME:
		if (r < 0)
			goto fail;
		u->tmp_made = 0;
		u->final_made = 1;
		u->state = UP_STORE;
		break;
	case DN_OPEN:
		if (r < 0) {
			u->error = 404;
			u->why = NULL;
			u->state = ST_FAIL;
			break;
		}
		u->fd = (uv_file)r;
		u->state = DN_STAT;
		break;
	case DN_STAT:
		if (r < 0)
			goto fail;
		u->size = req->statbuf.st_size;
		u->state = DN_HEAD;
		break;
	case DN_SEND:
		if (r <= 0) {
			/* The file is shorter than it said: the response is
			 * broken, and the client must see that. */
			log_warnx("download %s: %s", u->id, r < 0 ?
			    uv_strerror(r) : "file shrank");
			if (!upload_gone(u))
				conn_kill(u->c, "File read error", CONN_HARD);
			u->state = DN_CLOSE;
			break;
		}
		if (!upload_gone(u)) {
			u->c->ops->write_raw(u->c, u->rbuf, r);
			http_progress(u->c);
		}
		u->off += r;
		if (u->off >= u->end)
			u->state = DN_CLOSE;
		break;
	case DN_CLOSE:
		u->fd = -1;
		u->state = DN_DONE;
		break;
	case ST_FAIL:
		/* A clean-up step: close, unlink temp, unlink final. */
		if (u->fd >= 0 && req->fs_type == UV_FS_CLOSE)
			u->fd = -1;
		else if (req->fs_type == UV_FS_UNLINK && u->tmp_made)
			u->tmp_made = 0;
		else if (req->fs_type == UV_FS_UNLINK)
			u->final_made = 0;
		break;
	default:
		break;
	}
	upload_step(u);
	return;
fail:
	log_warnx("%s %s: %s", u->state < DN_LOOKUP ? "upload" : "download",
	    u->id, uv_strerror(r));
	if (r == UV_ENOSPC || r == -EDQUOT || r == UV_EFBIG) {
		/* EFBIG: a file size limit (RLIMIT_FSIZE) said no. */
		u->error = 507;
		u->why = "the server's disk is full";
	} else {
		u->error = 500;
		u->why = u->state < DN_LOOKUP ? "the server could not write "
		    "the file" : "the server could not read the file";
	}
	u->state = ST_FAIL;
	upload_step(u);
}

/* Start fs operation r (0, or a libuv error) in flight; errors fail. */
static void
upload_started(struct upload *u, int r)
{
	if (r == 0) {
		u->busy = 1;
		return;
	}
	log_warnx("upload %s: %s", u->id, uv_strerror(r));
	if (u->state == ST_FAIL) {
		/* Cannot even clean up: give up on it. */
		u->fd = -1;
		u->tmp_made = u->final_made = 0;
	} else {
		u->error = 500;
		u->why = "the server could not use its disk";
		u->state = ST_FAIL;
	}
}

/* Write what has gathered, if nothing is being written. */
static void
upload_write_next(struct upload *u)
{
	uv_buf_t	b;
	struct buf	t;

	if (u->wb.len == 0) {
		if (u->pb.len == 0)
			return;
		t = u->wb;
		u->wb = u->pb;
		u->pb = t;
		buf_reset(&u->pb);
		u->woff = 0;
	}
	b = uv_buf_init(u->wb.data + u->woff, u->wb.len - u->woff);
	upload_started(u, uv_fs_write(srv.loop, &u->fs, u->fd, &b, 1,
	    u->written, upload_fs_cb));
}

/* The head of a download: status, type, disposition, range. */
static void
upload_send_head(struct upload *u)
{
	struct buf	 b;
	uint64_t	 first = 0, last = 0;
	int		 r = 0, status = 200;
	char		 etag[UPLOAD_ID_LEN + 3];
	const char	*type;

	snprintf(etag, sizeof etag, "\"%s\"", u->id);
	if (u->if_none_match != NULL && (strstr(u->if_none_match, etag) !=
	    NULL || strcmp(u->if_none_match, "*") == 0)) {
		buf_init(&b);
		buf_printf(&b, "ETag: %s\r\nCache-Control: private, "
		    "max-age=31536000, immutable\r\n", etag);
		http_respond_file(u->c, 304, NULL, b.data, 0);
		buf_free(&b);
		u->off = u->end = 0;
		return;
	}
	if (u->if_range == NULL || strcmp(u->if_range, etag) == 0)
		r = upload_parse_range(u->range, u->size, &first, &last);
	if (r < 0) {
		buf_init(&b);
		buf_printf(&b, "Content-Range: bytes */%llu\r\n",
		    (unsigned long long)u->size);
		http_respond_file(u->c, 416, NULL, b.data, 0);
		buf_free(&b);
		u->off = u->end = 0;
		return;
	}
	if (r == 1) {
		status = 206;
		u->off = first;
		u->end = last + 1;
	} else {
		u->off = 0;
		u->end = u->size;
	}
	type = u->row.inline_type != NULL ? u->row.inline_type :
	    upload_served_type(u->row.type);
	buf_init(&b);
	upload_disposition(&b, u->row.inline_type != NULL ? "inline" :
	    "attachment", u->row.name);
	buf_printf(&b, "ETag: %s\r\nAccept-Ranges: bytes\r\n"
	    "Cache-Control: private, max-age=31536000, immutable\r\n", etag);
	if (status == 206)
		buf_printf(&b, "Content-Range: bytes %llu-%llu/%llu\r\n",
		    (unsigned long long)first, (unsigned long long)last,
		    (unsigned long long)u->size);
	http_respond_file(u->c, status, type, b.data, u->end - u->off);
	buf_free(&b);
	if (u->head)
		u->off = u->end;
}

/* Answer the failure (if the client is there to hear it). */
static void
upload_send_error(struct upload *u)
{
	struct buf	b;

	if (upload_gone(u) || u->error == 0)
		return;
	if (u->error == 404) {
		http_respond_text(u->c, 404, NULL, NULL);
		http_done(u->c);
		upload_release(u);
		return;
	}
	buf_init(&b);
	if (u->cors != NULL)
		buf_addstr(&b, u->cors);
	if (u->acct == NULL || u->ended) {
		http_fail(u->c, u->error, b.data, u->why);
		buf_free(&b);
		return;
	}
	/* Mid-body: the client is still sending.  http.c reads the rest
	 * to nowhere for a moment, so that it sees this answer rather than
	 * a reset; u is no longer its business. */
	if (u->paused) {
		u->paused = 0;
		conn_read_resume(u->c);
	}
	http_detach(u->c);
	http_fail(u->c, u->error, b.data, u->why);
	buf_free(&b);
	upload_release(u);
}

/* Is account id still there, and neither suspended nor waiting? */
static int
upload_acct_usable(int64_t id)
{
	struct account	*a = account_by_id(id);

	return a != NULL && !(a->flags & (ACCOUNT_SUSPENDED |
	    ACCOUNT_PENDING));
}

/* Issue the next operation of u, or finish it.  See the top comment. */
static void
upload_step(struct upload *u)
{
	struct upload_job	*j;
	struct buf		 b;
	size_t			 n;

	for (;;) {
		if (u->busy)
			return;
		if (upload_gone(u) && u->state < UP_STORE) {
			/* The client left mid-upload: nothing is kept. */
			u->error = 0;
			u->state = ST_FAIL;
		}
		if (upload_gone(u) && u->state >= DN_LOOKUP &&
		    u->state <= DN_SEND)
			u->state = u->fd >= 0 ? DN_CLOSE : DN_DONE;
		switch (u->state) {
		case UP_OPEN:
			return;		/* busy, or failed into ST_FAIL */
		case UP_BODY:
			if (u->wb.len > 0 || u->pb.len > 0) {
				upload_write_next(u);
				if (u->busy && u->paused &&
				    u->pb.len < UPLOAD_CHUNK) {
					/* Room for the next chunk. */
					u->paused = 0;
					conn_read_resume(u->c);
				}
				if (u->busy)
					return;
				continue;
			}
			if (!u->ended)
				return;
			if (u->written != u->expect) {
				u->error = 500;
				u->why = "the body was not all written";
				u->state = ST_FAIL;
				continue;
			}
			/* The token was good when the headers came; the
			 * account may have been suspended or dropped while
			 * the body came in.  Its files are not kept then. */
			if (!upload_acct_usable(u->acct->id)) {
				u->error = 403;
				u->why = "the account was suspended or removed "
				    "during the upload";
				u->state = ST_FAIL;
				continue;
			}
			u->state = strcmp(srv.cfg.durability, "full") == 0 ?
			    UP_SYNC : UP_CLOSE;
			continue;
		case UP_SYNC:
			upload_started(u, uv_fs_fdatasync(srv.loop, &u->fs,
			    u->fd, upload_fs_cb));
			continue;
		case UP_CLOSE:
			upload_started(u, uv_fs_close(srv.loop, &u->fs, u->fd,
			    upload_fs_cb));
			continue;
		case UP_RENAME:
			upload_started(u, uv_fs_rename(srv.loop, &u->fs, u->tmp,
			    u->path, upload_fs_cb));
			continue;
		case UP_STORE:
			j = xcalloc(1, sizeof *j);
			j->job.run = upload_insert_run;
			j->job.done = upload_insert_done;
			j->u = u;
			strlcpy_u(j->id, u->id, sizeof j->id);
			j->owner = u->acct->id;
			j->name = xstrdup(u->name);
			j->type = xstrdup(u->type);
			j->inline_type = upload_magic_type(u->magic, u->nmagic);
			j->size = u->written;
			j->created = wall_ms();
			if (store_submit(&j->job) != 0) {
				free(j->name);
				free(j->type);
				free(j);
				u->error = 503;
				u->why = "the server is busy; try again later";
				u->state = ST_FAIL;
				continue;
			}
			u->busy = 1;
			return;
		case UP_DONE:
			if (!upload_gone(u)) {
				struct buf	loc;

				buf_init(&loc);
				buf_addstr(&loc, "/files/");
				buf_addstr(&loc, u->id);
				buf_addch(&loc, '/');
				upload_pct_path(&loc, u->name);
				buf_init(&b);
				buf_printf(&b, "Location: %s\r\n"
				    "Cache-Control: no-store\r\n%s", loc.data,
				    u->cors != NULL ? u->cors : "");
				buf_addch(&loc, '\n');
				http_respond(u->c, 201,
				    "text/plain; charset=utf-8", b.data,
				    loc.data, loc.len);
				buf_free(&b);
				buf_free(&loc);
				log_info("upload %s: %lld bytes for account "
				    "%lld", u->id, (long long)u->written,
				    (long long)u->acct->id);
				http_done(u->c);
				upload_release(u);
			} else
				upload_let_go(u);
			u->state = ST_GONE;
			continue;
		case DN_LOOKUP:
			return;
		case DN_OPEN:
			upload_started(u, uv_fs_open(srv.loop, &u->fs, u->path,
			    O_RDONLY | O_CLOEXEC, 0, upload_fs_cb));
			continue;
		case DN_STAT:
			upload_started(u, uv_fs_fstat(srv.loop, &u->fs, u->fd,
			    upload_fs_cb));
			continue;
		case DN_HEAD:
			upload_send_head(u);
			if (u->off < u->end && u->rbuf == NULL)
				u->rbuf = xmalloc(UPLOAD_CHUNK);
			u->state = DN_SEND;
			continue;
		case DN_SEND:
			if (u->off >= u->end) {
				u->state = DN_CLOSE;
				continue;
			}
			if (u->c->wbytes > 0)
				return;	/* upload_written() calls again */
			n = u->end - u->off > UPLOAD_CHUNK ? UPLOAD_CHUNK :
			    u->end - u->off;
			{
				uv_buf_t rb = uv_buf_init(u->rbuf, n);

				upload_started(u, uv_fs_read(srv.loop, &u->fs,
				    u->fd, &rb, 1, u->off, upload_fs_cb));
			}
			if (u->busy)
				return;
			u->state = DN_CLOSE;
			continue;
		case DN_CLOSE:
			if (u->fd < 0) {
				u->state = DN_DONE;
				continue;
			}
			upload_started(u, uv_fs_close(srv.loop, &u->fs, u->fd,
			    upload_fs_cb));
			if (!u->busy)
				u->fd = -1;
			continue;
		case DN_DONE:
			if (!upload_gone(u)) {
				http_done(u->c);
				upload_release(u);
			} else
				upload_let_go(u);
			u->state = ST_GONE;
			continue;
		case ST_FAIL:
			if (u->error != 0) {
				upload_send_error(u);
				u->error = 0;
			}
			if (u->fd >= 0) {
				upload_started(u, uv_fs_close(srv.loop, &u->fs,
				    u->fd, upload_fs_cb));
				if (!u->busy)
					u->fd = -1;
				continue;
			}
			if (u->tmp_made) {
				upload_started(u, uv_fs_unlink(srv.loop,
				    &u->fs, u->tmp, upload_fs_cb));
				continue;
			}
			if (u->final_made) {
				upload_started(u, uv_fs_unlink(srv.loop,
				    &u->fs, u->path, upload_fs_cb));
				continue;
			}
			u->state = ST_GONE;
			continue;
		case ST_GONE:
			if (u->released)
				upload_free(u);
			return;
		}
	}
}

/* ---- http.c's side ---- */

/* The CORS headers for a browser page of another allowed origin. */
static char *
upload_cors(const struct http_req *r)
{
	char	*s;

	if (r->origin == NULL)
		return NULL;
	xasprintf(&s, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: Location\r\n", r->origin);
	return s;
}

/* OPTIONS on the upload URL (FILEHOST: MUST be accepted) or a file. */
static void
upload_options(struct conn *c, const struct http_req *r, int files)
{
	struct buf	b;

	buf_init(&b);
	buf_addstr(&b, files ? "Allow: GET, HEAD, OPTIONS\r\n" :
	    "Allow: OPTIONS, POST\r\nAccept-Post: */*\r\n");
	if (!files && r->origin != NULL && http_origin_allowed(r->origin,
	    r->host))
		buf_printf(&b, "Access-Control-Allow-Origin: %s\r\n"
		    "Vary: Origin\r\n"
		    "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
		    "Access-Control-Allow-Headers: Authorization, "
		    "Content-Type, Content-Disposition\r\n"
		    "Access-Control-Max-Age: 600\r\n", r->origin);
	http_respond(c, 204, NULL, b.data, NULL, 0);
	buf_free(&b);
}

/* A download: check the URL, then read the row (DN_LOOKUP). */
static struct upload *
upload_begin_get(struct conn *c, const struct http_req *r)
{
	const char	*id = r->path + 7, *slash;
	struct upload	*u;
	size_t		 n;

	if (r->method == HTTP_OPTIONS) {
		upload_options(c, r, 1);
		return NULL;
	}
	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		http_fail(c, 405, "Allow: GET, HEAD, OPTIONS\r\n", NULL);
		return NULL;
	}
	slash = strchr(id, '/');
	n = slash != NULL ? (size_t)(slash - id) : strlen(id);
	if (!upload_id_ok(id, n)) {
		http_respond_text(c, 404, NULL, NULL);
		return NULL;
	}
	u = xcalloc(1, sizeof *u);
	u->c = c;
	u->fd = -1;
	u->fs.data = u;		/* libuv leaves it alone */
	u->head = r->method == HTTP_HEAD;
	memcpy(u->id, id, UPLOAD_ID_LEN);
	memcpy(u->row.id, id, UPLOAD_ID_LEN);
	snprintf(u->path, sizeof u->path, "%s/%s", upload_dir, u->id);
	u->range = r->range != NULL ? xstrdup(r->range) : NULL;
	u->if_range = r->if_range != NULL ? xstrdup(r->if_range) : NULL;
	u->if_none_match = r->if_none_match != NULL ?
	    xstrdup(r->if_none_match) : NULL;
	buf_init(&u->wb);
	buf_init(&u->pb);
	u->state = DN_LOOKUP;
	if (store_read(upload_lookup_run, upload_lookup_done, u) != 0) {
		http_respond_text(c, 503, NULL, "the server is busy");
		upload_free(u);
		return NULL;
	}
	/* The thread pool fills u->row; nothing else of u is touched
	 * there, and u stays (busy) until done() runs. */
	u->busy = 1;
	return u;
}

/* The account a "Bearer <token>" header names, with the token. */
static struct account *
upload_auth(const char *h, struct token **tp)
{
	struct token	*t;
	struct account	*a;

	*tp = NULL;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	h += strspn(h, " ");
	if ((t = token_check(h)) == NULL || (a = account_by_id(t->account)) ==
	    NULL)
		return NULL;
	*tp = t;
	return a;
}

/*
 * A request for /upload or /files/...: check it, answer it at once if
 * it is refused (NULL), or start it and return its state.
 */
struct upload *
upload_begin(struct conn *c, const struct http_req *r)
{
	struct upload		*u;
	struct upload_acct	*ua;
	struct account		*a;
	struct token		*t;
	struct statvfs		 vfs;
	unsigned char		 rnd[UPLOAD_ID_BYTES];
	char			 text[160], extra[160];
	char			 name[UPLOAD_NAME_MAX + 1];
	char			*cors = NULL;
	uint64_t		 now = now_ms();
	long long		 wait;

	if (strncmp(r->path, "/files/", 7) == 0)
		return upload_begin_get(c, r);
	if (strcmp(r->path, "/upload") != 0) {
		http_respond_text(c, 404, NULL, NULL);
		return NULL;
	}
	if (r->method == HTTP_OPTIONS) {
		upload_options(c, r, 0);
		return NULL;
	}
	if (r->method != HTTP_POST) {
		http_fail(c, 405, "Allow: OPTIONS, POST\r\n", NULL);
		return NULL;
	}
	/* A page of another site may not post here (T30: cross-site
	 * forms); one of the allowed origins may, with CORS. */
	if (!http_origin_allowed(r->origin, r->host)) {
		http_fail(c, 403, NULL, "origin not allowed");
		return NULL;
	}
	cors = upload_cors(r);
	if (srv.cfg.max_upload == 0) {
		http_fail(c, 403, cors, "uploads are turned off here");
		goto refused;
	}
	if ((a = upload_auth(r->authorization, &t)) == NULL) {
		struct buf	b;

		buf_init(&b);
		buf_printf(&b, "WWW-Authenticate: Bearer realm=\"lanchat\""
		    "%s\r\n%s", r->authorization != NULL ?
		    ", error=\"invalid_token\"" : "", cors != NULL ? cors : "");
		http_fail(c, 401, b.data, "log in first: send a login token "
		    "(TOKEN NEW) as Authorization: Bearer");
		buf_free(&b);
		goto refused;
	}
	if (r->expect != NULL && strcasecmp(r->expect, "100-continue") != 0) {
		http_fail(c, 417, cors, NULL);
		goto refused;
	}
	if (r->chunked || r->content_length < 0) {
		http_fail(c, 411, cors, "send the size as Content-Length");
		goto refused;
	}
	if (r->content_length > srv.cfg.max_upload) {
		snprintf(text, sizeof text, "the largest upload is %lld bytes",
		    srv.cfg.max_upload);
		http_fail(c, 413, cors, text);
		goto refused;
	}
	ua = upload_acct_get(a->id);
	if (!flood_ok(&ua->rate, now, srv.cfg.upload_rate / 60.0,
	    (double)srv.cfg.upload_rate)) {
		wait = (long long)(flood_wait_ms(&ua->rate,
		    srv.cfg.upload_rate / 60.0) / 1000 + 1);
		snprintf(extra, sizeof extra, "Retry-After: %lld\r\n%s", wait,
		    cors != NULL ? cors : "");
		http_fail(c, 429, extra, "too many uploads; wait a moment");
		goto refused;
	}
	if (srv.cfg.upload_quota > 0 && ua->used + ua->inflight +
	    r->content_length > srv.cfg.upload_quota) {
		snprintf(text, sizeof text, "upload quota exceeded: this "
		    "account keeps %lld of %lld bytes", (long long)ua->used,
		    srv.cfg.upload_quota);
		http_fail(c, 507, cors, text);
		goto refused;
	}
	if (statvfs(upload_dir, &vfs) == 0 && (int64_t)vfs.f_bavail *
	    (int64_t)vfs.f_frsize < r->content_length + UPLOAD_DISK_SPARE) {
		http_fail(c, 507, cors, "the server's disk is full");
		goto refused;
	}
	flood_take(&ua->rate, 1);
	ua->rate_ms = now;
	token_touch(t);

	u = xcalloc(1, sizeof *u);
	u->c = c;
	u->fd = -1;
	u->fs.data = u;		/* libuv leaves it alone */
	u->acct = ua;
	u->expect = r->content_length;
	ua->inflight += u->expect;
	u->cors = cors;
	buf_init(&u->wb);
	buf_init(&u->pb);
	buf_reserve(&u->pb, UPLOAD_CHUNK + READ_CHUNK);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2base64(u->id, sizeof u->id, rnd, sizeof rnd,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(u->path, sizeof u->path, "%s/%s", upload_dir, u->id);
	snprintf(u->tmp, sizeof u->tmp, "%s/.part-%s", upload_dir, u->id);
	upload_name_from_disposition(r->content_disposition, name,
	    sizeof name);
	u->name = xstrdup(name);
	u->type = upload_clean_type(r->content_type);
	u->state = UP_OPEN;
	upload_started(u, uv_fs_open(srv.loop, &u->fs, u->tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, upload_fs_cb));
	if (!u->busy) {
		/* Could not even start: answer now, nothing was made. */
		u->tmp_made = 0;
		http_fail(c, 500, cors, "the server could not use its disk");
		upload_free(u);
		return NULL;
	}
	if (r->expect != NULL)
		c->ops->write_raw(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return u;
refused:
	free(cors);
	return NULL;
}

/* Body bytes of an upload.  Returns 0, or -1 to stop reading it. */
int
upload_body(struct upload *u, const char *data, size_t len)
{
	size_t	n;

	if (u->state >= DN_LOOKUP || u->state == ST_FAIL ||
	    u->state == ST_GONE)
		return -1;
	if (u->nmagic < sizeof u->magic) {
		n = sizeof u->magic - u->nmagic;
		if (n > len)
			n = len;
		memcpy(u->magic + u->nmagic, data, n);
		u->nmagic += n;
	}
	u->got += len;
	buf_add(&u->pb, data, len);
	if (u->pb.len >= UPLOAD_CHUNK && !u->paused) {
		/* The disk is behind: hold the sender back. */
		u->paused = 1;
		conn_read_pause(u->c);
	}
	if (u->state == UP_BODY && !u->busy)
		upload_step(u);
	return 0;
}

/* The request is read in full (the body, if any). */
void
upload_end(struct upload *u)
{
	u->ended = 1;
	if (!u->busy)
		upload_step(u);
}

/*
 * http.c lets go of u: the conn is going, or the request was broken.
 * What is in flight finishes; then u cleans up and frees itself.
 */
void
upload_abort(struct upload *u)
{
	upload_release(u);
	if (!u->busy)
		upload_step(u);
}

/* The conn has written some of its output: a download may go on. */
void
upload_written(struct upload *u)
{
	if (u->state == DN_SEND && !u->busy && !upload_gone(u) &&
	    u->c->wbytes == 0)
		upload_step(u);
}

/* ---- start-up and the upload URL ---- */

struct upload_sweep {
	char	**names;
	size_t	  n;
	size_t	 *gone;		/* indexes of names with no row */
	size_t	  ngone;
};

static int
upload_sweep_run(sqlite3 *db, void *arg)
{
	struct upload_sweep	*sw = arg;
	sqlite3_stmt		*s;
	size_t			 i;
	int			 rc;

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM files WHERE id = ?1", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (i = 0; i < sw->n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, sw->names[i], -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) == SQLITE_DONE)
			sw->gone[sw->ngone++] = i;
		else if (rc != SQLITE_ROW)
			break;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
upload_usage_run(sqlite3 *db, void *arg)
{
	sqlite3_stmt		*s;
	struct upload_acct	*ua;
	int			 rc;

	(void)arg;
	rc = sqlite3_prepare_v2(db, "SELECT owner, SUM(size) FROM files "
	    "WHERE owner IS NOT NULL GROUP BY owner", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ua = upload_acct_get(sqlite3_column_int64(s, 0));
		ua->used = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * At start, before the loop runs: make DATA/files, remove what an
 * interrupted upload left (temp files, and files whose row was never
 * committed), and count each account's stored bytes.  0, or -1 with
 * *cause.
 */
int
upload_init(char **cause)
{
	struct upload_sweep	 sw;
	DIR			*d;
	struct dirent		*e;
	char			 p[sizeof upload_dir + 1 + 256];
	size_t			 cap = 0, i, temps = 0;
	int			 rc;

	if ((size_t)snprintf(upload_dir, sizeof upload_dir, "%s/files",
	    srv.cfg.data_dir) >= sizeof upload_dir) {
		xasprintf(cause, "%s: path too long", srv.cfg.data_dir);
		return -1;
	}
	if (mkdir(upload_dir, 0700) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", upload_dir, strerror(errno));
		return -1;
	}
	if ((d = opendir(upload_dir)) == NULL) {
		xasprintf(cause, "%s: %s", upload_dir, strerror(errno));
		return -1;
	}
	memset(&sw, 0, sizeof sw);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".part-", 6) == 0) {
			snprintf(p, sizeof p, "%s/%s", upload_dir, e->d_name);
			if (unlink(p) == 0)
				temps++;
			continue;
		}
		if (!upload_id_ok(e->d_name, strlen(e->d_name)))
			continue;
		if (sw.n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			sw.names = xreallocarray(sw.names, cap,
			    sizeof *sw.names);
		}
		sw.names[sw.n++] = xstrdup(e->d_name);
	}
	closedir(d);
	sw.gone = xreallocarray(NULL, sw.n + 1, sizeof *sw.gone);
	rc = store_read_sync(upload_sweep_run, &sw);
	for (i = 0; rc == SQLITE_OK && i < sw.ngone; i++) {
		snprintf(p, sizeof p, "%s/%s", upload_dir,
		    sw.names[sw.gone[i]]);
		unlink(p);
	}
	if (temps > 0 || sw.ngone > 0)
		log_info("files: removed %zu unfinished uploads", temps +
		    (rc == SQLITE_OK ? sw.ngone : 0));
	for (i = 0; i < sw.n; i++)
		free(sw.names[i]);
	free(sw.names);
	free(sw.gone);
	if (rc == SQLITE_OK)
		rc = store_read_sync(upload_usage_run, NULL);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "files: %s", store_strerror(rc));
		return -1;
	}
	return 0;
}

void
upload_unload(void)
{
	struct upload_acct	*ua;
	size_t			 it = 0;

	while ((ua = dict_next(&upload_accts, &it)) != NULL)
		free(ua);
	dict_free(&upload_accts);
}

/* Housekeeping: forget rate buckets that are full again. */
void
upload_tick(uint64_t now)
{
	struct upload_acct	*ua, *dead[64];
	size_t			 it = 0, n = 0, i;

	while ((ua = dict_next(&upload_accts, &it)) != NULL && n < 64)
		if (ua->used == 0 && ua->inflight == 0 &&
		    now - ua->rate_ms > 3600 * 1000)
			dead[n++] = ua;
	for (i = 0; i < n; i++) {
		dict_del(&upload_accts, dead[i]->key);
		free(dead[i]);
	}
}

/*
 * The FILEHOST upload URL for session s (ISUPPORT), into out.  In order:
 * --web-url if set; for a WebSocket session, the Host it connected with
 * (or, without one, the address and port it reached) and its scheme;
 * for TCP, the first web listener (HTTPS first for a
 * TLS session, HTTP first otherwise), at its address if it has one, or
 * else at the address this session reached us on.  Returns 0, or -1 if
 * there is none (no web listener, uploads off).
 */
int
upload_url(const struct session *s, char *out, size_t outsz)
{
	struct conn		*c = s->conn;
	struct sockaddr_storage	 ss;
	const char		*url = srv.cfg.web_url;
	char			 host[INET6_ADDRSTRLEN + 8];
	int			 port, kind, wildcard, len = sizeof ss, secure;
	size_t			 n;

	if (srv.cfg.max_upload == 0 || c == NULL)
		return -1;
	if (url != NULL && *url != '\0') {
		n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			n--;
		if (strcspn(url, " \t\r\n") < n)
			return -1;
		snprintf(out, outsz, "%.*s/upload", (int)n, url);
		return 0;
	}
	secure = (c->flags & CONN_SECURE) != 0;
	if (c->proto == PROTO_WS) {
		if (c->host != NULL) {
			snprintf(out, outsz, "%s://%s/upload", secure ?
			    "https" : "http", c->host);
			return 0;
		}
		/* No Host (HTTP/1.0): the address and port it came to. */
		if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss,
		    &len) != 0)
			return -1;
		addr_format((struct sockaddr *)&ss, host, sizeof host, 1);
		snprintf(out, outsz, "%s://%s/upload", secure ? "https" :
		    "http", host);
		return 0;
	}
	kind = secure ? LISTEN_HTTPS : LISTEN_HTTP;
	if ((port = listen_first_addr(kind, &ss, &wildcard)) == 0) {
		kind = kind == LISTEN_HTTPS ? LISTEN_HTTP : LISTEN_HTTPS;
		if ((port = listen_first_addr(kind, &ss, &wildcard)) == 0)
			return -1;
	}
	/* 0.0.0.0 or :: is every address: say the one this client used. */
	if ((ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->
	    sin_addr.s_addr == htonl(INADDR_ANY)) || (ss.ss_family ==
	    AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)
	    &ss)->sin6_addr)))
		wildcard = 1;
	if (wildcard && uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss,
	    &len) != 0)
		return -1;
	addr_format((struct sockaddr *)&ss, host, sizeof host, 0);
	snprintf(out, outsz, "%s://%s%s%s:%d/upload", kind == LISTEN_HTTPS ?
	    "https" : "http", strchr(host, ':') != NULL ? "[" : "", host,
	    strchr(host, ':') != NULL ? "]" : "", port);
	return 0;
}
