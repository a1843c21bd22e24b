/*
 * The history table: writing rows, reading them back for CHATHISTORY,
 * replay and SEARCH, redaction and edits, and the search index.
 *
 * Order is the row id, which is the commit order: it never depends on
 * the wall clock.  A timestamp selector is turned into an id first (the
 * first row at or after that time, found by bisecting the ids), so a
 * query walks the (target, id) index and never scans by time; when the
 * clock jumped back, the answer is still deterministic.
 *
 * The full-text index (FTS5, unicode61: Cyrillic and other scripts are
 * matched in any case) is filled behind the writes, in chunks, by the
 * writer thread (history_fts_work), so that indexing never slows a
 * message down; a search with words first has the writer catch the
 * index up (history_fts_catchup), so it misses nothing just said.  A redacted row leaves the index and loses its text; an
 * edited one is taken out and put back with its new text (hist_fts_row).
 *
 * Statements prepared on the writer thread are kept in statics; all
 * queries here are bound, never built from user text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "history.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define FTS_CHUNK		2000
#define FTS_CATCHUP		50000
/* The rows the search index holds: messages with text, not redacted. */
#define HIST_FTS_ROW		"kind IN (1, 2) AND (flags & 1) = 0 AND " \
				"body IS NOT NULL"
#define HIST_PROGRESS_OPS	1000	/* VM steps between deadline checks */
#define HIST_PREFIX_MIN		2	/* characters before a prefix's '*' */

static sqlite3_stmt	*hist_ins;	/* writer thread only */
static int64_t		 hist_fts_upto = -1;

/* The msgid of row id: the database's tag, '-', the id in base 36. */
void
history_msgid(int64_t id, char *out, size_t outsz)
{
	char		digits[16];
	int		n = 0;
	uint64_t	v = (uint64_t)id;

	do {
		digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v > 0 && n < (int)sizeof digits);
	snprintf(out, outsz, "%s-", store_msgid_prefix());
	while (n > 0 && strlen(out) + 1 < outsz) {
		size_t l = strlen(out);

		out[l] = digits[--n];
		out[l + 1] = '\0';
	}
}

/* The row id in a msgid of this database.  0 or -1. */
int
history_msgid_parse(const char *msgid, int64_t *id)
{
	const char	*p = store_msgid_prefix(), *q;
	size_t		 n = strlen(p);
	uint64_t	 v = 0;
	int		 d;

	if (strncmp(msgid, p, n) != 0 || msgid[n] != '-' ||
	    msgid[n + 1] == '\0')
		return -1;
	for (q = msgid + n + 1; *q != '\0'; q++) {
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (*q >= 'a' && *q <= 'z')
			d = *q - 'a' + 10;
		else
			return -1;
		if (v > (uint64_t)INT64_MAX / 36)
			return -1;
		v = v * 36 + d;
	}
	if (v == 0 || v > (uint64_t)INT64_MAX)
		return -1;
	*id = (int64_t)v;
	return 0;
}

/*
 * A DM side's key: the folded account, or "~" and the folded nick for
 * someone who is not logged in.
 */
void
history_dm_key(const char *account_fold, const char *nick_fold, char *out,
    size_t outsz)
{
	if (account_fold != NULL)
		snprintf(out, outsz, "%s", account_fold);
	else
		snprintf(out, outsz, "~%s", nick_fold);
}

static void
hist_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Writer thread: insert one row; *id gets its id. */
int
history_insert(sqlite3 *db, const struct hist_row *r, int64_t *id)
{
	int	rc;

	if (hist_ins == NULL) {
		rc = sqlite3_prepare_v3(db, "INSERT INTO history(target, dm_lo, "
		    "dm_hi, time, kind, sender, account, tname, tags, body, "
		    "extra, msgid, account_id, flags) "
		    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0)", -1,
		    SQLITE_PREPARE_PERSISTENT, &hist_ins, NULL);
		if (rc != SQLITE_OK)
			return rc;
		store_keep_stmt(&hist_ins);
	}
	hist_bind_text(hist_ins, 1, r->target != NULL ? r->target : "");
	hist_bind_text(hist_ins, 2, r->dm_lo);
	hist_bind_text(hist_ins, 3, r->dm_hi);
	sqlite3_bind_int64(hist_ins, 4, (int64_t)r->time);
	sqlite3_bind_int(hist_ins, 5, r->kind);
	hist_bind_text(hist_ins, 6, r->sender);
	hist_bind_text(hist_ins, 7, r->account);
	hist_bind_text(hist_ins, 8, r->tname != NULL ? r->tname : "");
	hist_bind_text(hist_ins, 9, r->tags);
	hist_bind_text(hist_ins, 10, r->body);
	hist_bind_text(hist_ins, 11, r->extra);
	hist_bind_text(hist_ins, 12, r->msgid);
	if (r->account_id > 0)
		sqlite3_bind_int64(hist_ins, 13, r->account_id);
	else
		sqlite3_bind_null(hist_ins, 13);
	rc = sqlite3_step(hist_ins);
	sqlite3_reset(hist_ins);
	sqlite3_clear_bindings(hist_ins);
	if (rc == SQLITE_DONE) {
		*id = sqlite3_last_insert_rowid(db);
		return SQLITE_OK;
	}
	return rc;
}

static char *
hist_col(sqlite3_stmt *s, int i)
{
	const unsigned char	*t = sqlite3_column_text(s, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

#define HIST_COLS	"id, time, kind, flags, target, dm_lo, dm_hi, sender, " \
			"account, tname, tags, body, extra, msgid, account_id"

static void
hist_row_read(sqlite3_stmt *s, struct hist_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->time = sqlite3_column_int64(s, 1);
	r->kind = sqlite3_column_int(s, 2);
	r->flags = sqlite3_column_int(s, 3);
	r->target = hist_col(s, 4);
	r->dm_lo = hist_col(s, 5);
	r->dm_hi = hist_col(s, 6);
	r->sender = hist_col(s, 7);
	r->account = hist_col(s, 8);
	r->tname = hist_col(s, 9);
	r->tags = hist_col(s, 10);
	r->body = hist_col(s, 11);
	r->extra = hist_col(s, 12);
	r->msgid = hist_col(s, 13);
	r->account_id = sqlite3_column_int64(s, 14);
}

void
history_row_free(struct hist_row *r)
{
	free(r->target);
	free(r->dm_lo);
	free(r->dm_hi);
	free(r->sender);
	free(r->account);
	free(r->tname);
	free(r->tags);
	free(r->body);
	free(r->extra);
	free(r->msgid);
	memset(r, 0, sizeof *r);
}

void
history_query_free(struct hist_query *q)
{
	int	i;

	for (i = 0; i < q->nrows; i++)
		history_row_free(&q->rows[i]);
	free(q->rows);
	free(q->readable);
	free(q->text);
	free(q->from);
	free(q->mention);
	free(q->mention_nick);
	free(q->error);
	free(q);
}

/* Read row id into r.  SQLITE_OK, SQLITE_NOTFOUND or an error. */
int
history_row_get(sqlite3 *db, int64_t id, struct hist_row *r)
{
	sqlite3_stmt	*s;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT " HIST_COLS " FROM history "
	    "WHERE id = ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		hist_row_read(s, r);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_NOTFOUND;
	sqlite3_finalize(s);
	return rc;
}

/*
 * The first id whose time is at or after t, by bisecting the ids (times
 * follow ids but for clock jumps; then this is a deterministic guess).
 * Past the last row: last id + 1.
 */
static int64_t
hist_id_at(sqlite3 *db, uint64_t t)
{
	sqlite3_stmt	*s, *mx;
	int64_t		 lo = 1, hi = 0, mid, id;
	uint64_t	 mt;

	if (sqlite3_prepare_v2(db, "SELECT MAX(id) FROM history", -1, &mx,
	    NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_step(mx) == SQLITE_ROW)
		hi = sqlite3_column_int64(mx, 0);
	sqlite3_finalize(mx);
	if (sqlite3_prepare_v2(db, "SELECT id, time FROM history WHERE id >= ? "
	    "ORDER BY id LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return 1;
	hi++;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		sqlite3_bind_int64(s, 1, mid);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			hi = mid;
			continue;
		}
		id = sqlite3_column_int64(s, 0);
		mt = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		if (mt >= t)
			hi = mid;
		else
			lo = id + 1;
	}
	sqlite3_finalize(s);
	return lo;
}

/* Turn a time bound into an id bound.  For "strictly after t" the first
 * id at t + 1 ms; for "before t", the first id at t. */
static void
hist_bound_resolve(sqlite3 *db, struct hist_bound *b, int after)
{
	if (!b->set || b->is_id)
		return;
	b->id = hist_id_at(db, after ? b->time + 1 : b->time);
	b->is_id = 1;
	b->time = 0;
	/* b now means "id >= b->id" for after, "id < b->id" for before;
	 * store it as an exclusive bound in both cases. */
	if (after)
		b->id--;
}

static int
hist_push(struct hist_query *q, sqlite3_stmt *s)
{
	if (q->nrows % 64 == 0)
		q->rows = xreallocarray(q->rows, q->nrows + 64,
		    sizeof *q->rows);
	memset(&q->rows[q->nrows], 0, sizeof q->rows[0]);
	hist_row_read(s, &q->rows[q->nrows]);
	q->nrows++;
	return 0;
}

static void
hist_reverse(struct hist_row *rows, int from, int to)
{
	struct hist_row	t;

	for (to--; from < to; from++, to--) {
		t = rows[from];
		rows[from] = rows[to];
		rows[to] = t;
	}
}

/*
 * The WHERE clause that says which rows of which conversation the
 * caller may see, and of which kinds.  Parameters: ?1 target (channel
 * fold or DM low key), ?2 readable channels (JSON) or DM high key.
 */
static void
hist_where(struct buf *b, const struct hist_query *q)
{
	if (q->dm)
		buf_addstr(b, "target = '' AND dm_lo = ?1 AND dm_hi = ?2");
	else
		/* "target <> ''" repeats the partial index's condition, so
		 * that SQLite may use history_target (it cannot prove it
		 * from "target = ?1" alone, and would scan every row). */
		buf_addstr(b, "target <> '' AND target = ?1 AND ?1 IN (SELECT "
		    "value FROM json_each(?2))");
	/* Only the kinds the caller is sent: a row that is read and then
	 * not sent would still count against the limit, and a page of
	 * those would look like the end of the history. */
	if (q->events && q->tagmsg)
		buf_addstr(b, " AND kind <> 11");
	else if (q->events)
		buf_addstr(b, " AND kind NOT IN (3, 11)");
	else if (q->tagmsg)
		buf_addstr(b, " AND kind IN (1, 2, 3)");
	else
		buf_addstr(b, " AND kind IN (1, 2)");
	/* Redacted rows are never sent: they must not fill the page. */
	buf_addstr(b, " AND (flags & 1) = 0");
}

static void
hist_bind_where(sqlite3_stmt *s, const struct hist_query *q)
{
	if (q->dm) {
		const char *lo = strcmp(q->me, q->peer) < 0 ? q->me : q->peer;
		const char *hi = lo == q->me ? q->peer : q->me;

		sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(s, 1, q->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, q->readable != NULL ? q->readable :
		    "[]", -1, SQLITE_STATIC);
	}
}

/* Rows with lo < id < hi (0: no bound), newest first or oldest first. */
static int
hist_range(sqlite3 *db, struct hist_query *q, int64_t lo, int64_t hi,
    int newest, int limit)
{
	struct buf	 b;
	sqlite3_stmt	*s;
	int		 rc, start = q->nrows;

	buf_init(&b);
	buf_addstr(&b, "SELECT " HIST_COLS " FROM history WHERE ");
	hist_where(&b, q);
	if (lo > 0)
		buf_addstr(&b, " AND id > ?3");
	if (hi > 0)
		buf_addstr(&b, " AND id < ?4");
	buf_printf(&b, " ORDER BY id %s LIMIT ?5", newest ? "DESC" : "ASC");
	rc = sqlite3_prepare_v2(db, b.data, -1, &s, NULL);
	buf_free(&b);
	if (rc != SQLITE_OK)
		return rc;
	hist_bind_where(s, q);
	if (lo > 0)
		sqlite3_bind_int64(s, 3, lo);
	if (hi > 0)
		sqlite3_bind_int64(s, 4, hi);
	sqlite3_bind_int(s, 5, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		hist_push(q, s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rc;
	if (newest)
		hist_reverse(q->rows, start, q->nrows);
	return SQLITE_OK;
}

/* CHATHISTORY TARGETS: conversations with activity between two times. */
static int
hist_targets(sqlite3 *db, struct hist_query *q)
{
	sqlite3_stmt	*s;
	int64_t		 a, b, lo, hi;
	int		 rc;

	hist_bound_resolve(db, &q->a, 0);
	hist_bound_resolve(db, &q->b, 0);
	a = q->a.id;
	b = q->b.id;
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	rc = sqlite3_prepare_v2(db,
	    "SELECT MAX(id), MAX(time), target, '' FROM history "
	    "WHERE target <> '' AND id >= ?1 AND id < ?2 AND kind IN (1, 2) "
	    "AND target IN (SELECT value FROM json_each(?3)) GROUP BY target "
	    "UNION ALL "
	    "SELECT MAX(id), MAX(time), '', CASE WHEN dm_lo = ?4 THEN dm_hi "
	    "ELSE dm_lo END AS peer FROM history "
	    "WHERE target = '' AND (dm_lo = ?4 OR dm_hi = ?4) AND id >= ?1 "
	    "AND id < ?2 AND kind IN (1, 2) GROUP BY peer "
	    "ORDER BY 1 DESC LIMIT ?5", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	sqlite3_bind_text(s, 3, q->readable != NULL ? q->readable : "[]", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 4, q->me[0] != '\0' ? q->me : "\x01", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(s, 5, q->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct hist_row *r;

		if (q->nrows % 64 == 0)
			q->rows = xreallocarray(q->rows, q->nrows + 64,
			    sizeof *q->rows);
		r = &q->rows[q->nrows++];
		memset(r, 0, sizeof *r);
		r->id = sqlite3_column_int64(s, 0);
		r->time = sqlite3_column_int64(s, 1);
		r->target = hist_col(s, 2);
		r->tname = hist_col(s, 3);	/* the DM peer's key */
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Characters (not bytes) in the n bytes of UTF-8 at s. */
static size_t
hist_chars(const char *s, size_t n)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/*
 * Make a safe FTS5 query from what the user typed: every word becomes a
 * quoted string ("..." with inner quotes doubled), so no operator,
 * column filter or syntax of FTS5 can be written; all words must match.
 * A word that ends in '*' is a prefix ("прив*" finds "Привет"): the star
 * goes after the closing quote, where FTS5 reads it as a prefix mark.
 * A prefix has HIST_PREFIX_MIN characters at least: FTS5 merges the
 * postings of every word a prefix matches in one step that no deadline
 * can stop, and "a*" matches a good part of any index.  NULL when there
 * is no word at all.
 */
static char *
hist_fts_query(const char *text)
{
	struct buf	 b;
	const char	*p = text, *w;
	size_t		 n;
	int		 prefix;

	buf_init(&b);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		n = p - w;
		prefix = n > 1 && w[n - 1] == '*' &&
		    hist_chars(w, n - 1) >= HIST_PREFIX_MIN;
		if (prefix)
			n--;
		if (b.len > 0)
			buf_addch(&b, ' ');
		buf_addch(&b, '"');
		for (; n > 0; n--, w++) {
			if (*w == '"')
				buf_addch(&b, '"');
			buf_addch(&b, *w);
		}
		buf_addch(&b, '"');
		if (prefix)
			buf_addstr(&b, " *");
	}
	return b.len > 0 ? buf_detach(&b) : NULL;
}

/*
 * SEARCH (soju.im/search): messages among everything the caller may read
 * (the readable channels, and its own DMs), narrowed to one conversation
 * (in=), one sender's nick (from=), a time range (after= and before=,
 * both inclusive) and words (text=, through the search index).  With
 * after=, the oldest matches after it; else the newest before before=.
 * Rows come back oldest first.
 *
 * With words, the index is walked by rowid (newest or oldest first) and
 * each match is checked against the history row, so the walk stops at
 * the limit; without, the (target, id) or DM index is, or the table by
 * id when no conversation is named.  Either way the deadline bounds it.
 */
static int
hist_search(sqlite3 *db, struct hist_query *q)
{
	struct buf	 b;
	sqlite3_stmt	*s;
	char		*fq = NULL;
	const char	*col, *lo, *hi;
	int64_t		 idlo = 0, idhi = 0;
	int		 rc, start = q->nrows, fwd = q->a.set;

	if (q->dm && (q->me[0] == '\0' || q->peer[0] == '\0'))
		return SQLITE_OK;	/* DMs are kept for accounts only */
	if (q->text != NULL)
		fq = hist_fts_query(q->text);
	/* id > idlo: at or after the time; id < idhi: at or before it. */
	if (q->a.set)
		idlo = hist_id_at(db, q->a.time) - 1;
	if (q->b.set)
		idhi = hist_id_at(db, q->b.time + 1);
	col = fq != NULL ? "history_fts.rowid" : "h.id";
	buf_init(&b);
	buf_addstr(&b, "SELECT h.id, h.time, h.kind, h.flags, h.target, "
	    "h.dm_lo, h.dm_hi, h.sender, h.account, h.tname, h.tags, h.body, "
	    "h.extra, h.msgid, h.account_id FROM ");
	/* CROSS JOIN: the index drives, the table is looked up by id. */
	if (fq != NULL)
		buf_addstr(&b, "history_fts CROSS JOIN history h ON h.id = "
		    "history_fts.rowid WHERE history_fts MATCH ?1 AND ");
	else
		buf_addstr(&b, "history h WHERE ");
	buf_addstr(&b, "h.kind IN (1, 2) AND (h.flags & 1) = 0 AND ");
	if (q->dm)
		buf_addstr(&b, "h.target = '' AND h.dm_lo = ?5 AND "
		    "h.dm_hi = ?6");
	else if (q->target[0] != '\0')
		buf_addstr(&b, "h.target <> '' AND h.target = ?4 AND ?4 IN "
		    "(SELECT value FROM json_each(?2))");
	else
		buf_addstr(&b, "((h.target <> '' AND h.target IN (SELECT value "
		    "FROM json_each(?2))) OR (h.target = '' AND (h.dm_lo = ?3 "
		    "OR h.dm_hi = ?3)))");
	if (q->from != NULL)
		buf_addstr(&b, " AND lc_fold(substr(h.sender, 1, "
		    "instr(h.sender || '!', '!') - 1)) = ?7");
	if (q->a.set)
		buf_printf(&b, " AND %s > ?8", col);
	if (q->b.set)
		buf_printf(&b, " AND %s < ?9", col);
	buf_printf(&b, " ORDER BY %s %s LIMIT ?10", col, fwd ? "ASC" : "DESC");
	rc = sqlite3_prepare_v2(db, b.data, -1, &s, NULL);
	buf_free(&b);
	if (rc != SQLITE_OK) {
		free(fq);
		return rc;
	}
	lo = strcmp(q->me, q->peer) < 0 ? q->me : q->peer;
	hi = lo == q->me ? q->peer : q->me;
	if (fq != NULL)
		sqlite3_bind_text(s, 1, fq, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, q->readable != NULL ? q->readable : "[]", -1,
	    SQLITE_STATIC);
	/* Not logged in: no DM key, and "\x01" matches no side. */
	sqlite3_bind_text(s, 3, q->me[0] != '\0' ? q->me : "\x01", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 4, q->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, hi, -1, SQLITE_STATIC);
	if (q->from != NULL)
		sqlite3_bind_text(s, 7, q->from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, idlo);
	sqlite3_bind_int64(s, 9, idhi);
	sqlite3_bind_int(s, 10, q->limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		hist_push(q, s);
	sqlite3_finalize(s);
	free(fq);
	if (rc != SQLITE_DONE)
		return rc;
	if (!fwd)
		hist_reverse(q->rows, start, q->nrows);
	return SQLITE_OK;
}

/*
 * What someone missed while away (login replay): announcements to
 * everyone, and, for clients without chathistory, DMs to them and
 * channel messages that may mention their account name or nick (the
 * caller keeps those that do, as words); after q->since, oldest first.
 * An empty q->me and no readable channels leave only the announcements.
 */
static int
hist_missed(sqlite3 *db, struct hist_query *q)
{
	sqlite3_stmt	*s;
	int64_t		 from = hist_id_at(db, q->since + 1);
	int		 rc;

	/* After the read marker of each conversation, too: what the user
	 * marked read on another device is not missed. */
	rc = sqlite3_prepare_v2(db, "SELECT " HIST_COLS " FROM history h "
	    "WHERE id >= ?1 AND (flags & 1) = 0 AND ((kind = 11 AND "
	    "target = '' AND dm_lo IS NULL) OR (kind IN (1, 2) AND "
	    "((target = '' AND (dm_lo = ?2 OR dm_hi = ?2) AND "
	    "(account IS NULL OR lc_fold(account) <> ?2) AND time > "
	    "coalesce((SELECT time FROM read_markers WHERE account = ?6 AND "
	    "target = CASE WHEN h.dm_lo = ?2 THEN h.dm_hi ELSE h.dm_lo END), "
	    "0)) OR (target <> '' AND target IN (SELECT value FROM "
	    "json_each(?3)) AND (instr(lc_fold(body), ?4) > 0 OR "
	    "instr(lc_fold(body), ?7) > 0) AND time > "
	    "coalesce((SELECT time FROM read_markers WHERE account = ?6 AND "
	    "target = h.target), 0))))) ORDER BY id LIMIT ?5", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_text(s, 2, q->me, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, q->readable != NULL ? q->readable : "[]", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 4, q->mention != NULL ? q->mention : "\x01", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(s, 5, q->limit);
	sqlite3_bind_int64(s, 6, q->account_id);
	sqlite3_bind_text(s, 7, q->mention_nick != NULL ? q->mention_nick :
	    "\x01", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		hist_push(q, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* lc_fold(text): the name fold of casemap.c, for SQL (mentions). */
static void
hist_sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*t;
	char			 out[4096];

	(void)argc;
	if ((t = sqlite3_value_text(argv[0])) == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (casemap_fold((const char *)t, out, sizeof out) != 0) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* Set up a reader connection: the SQL functions queries here use. */
void
history_conn_init(sqlite3 *db)
{
	sqlite3_create_function(db, "lc_fold", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, hist_sql_fold, NULL, NULL);
}

/* SQLite's progress callback: non-zero stops the statement. */
static int
hist_progress_cb(void *arg)
{
	return now_ms() > *(const uint64_t *)arg;
}

/*
 * Reader thread: run q (a struct hist_query).  Rows come back in
 * ascending id order, except TARGETS (newest first).  Returns an SQLite
 * code, also left in q->rc.
 */
int
history_query(sqlite3 *db, void *arg)
{
	struct hist_query	*q = arg;
	struct hist_bound	 lo, hi;
	int64_t			 mid;
	int			 rc = SQLITE_OK, half;

	if (q->deadline_ms != 0)
		sqlite3_progress_handler(db, HIST_PROGRESS_OPS,
		    hist_progress_cb, &q->deadline_ms);
	switch (q->sub) {
	case HQ_TARGETS:
		rc = hist_targets(db, q);
		break;
	case HQ_SEARCH:
		rc = hist_search(db, q);
		break;
	case HQ_MISSED:
		rc = hist_missed(db, q);
		break;
	case HQ_LATEST:
		hist_bound_resolve(db, &q->a, 1);
		rc = hist_range(db, q, q->a.set ? q->a.id : 0, 0, 1, q->limit);
		break;
	case HQ_BEFORE:
		hist_bound_resolve(db, &q->a, 0);
		rc = hist_range(db, q, 0, q->a.id, 1, q->limit);
		break;
	case HQ_AFTER:
		hist_bound_resolve(db, &q->a, 1);
		rc = hist_range(db, q, q->a.id, 0, 0, q->limit);
		break;
	case HQ_AROUND:
		/* Half before, the selected message and what follows. */
		hist_bound_resolve(db, &q->a, 0);
		mid = q->a.id;
		half = q->limit / 2;
		if (half > 0)
			rc = hist_range(db, q, 0, mid, 1, half);
		if (rc == SQLITE_OK)
			rc = hist_range(db, q, mid - 1, 0, 0,
			    q->limit - q->nrows);
		break;
	case HQ_BETWEEN:
		/* Forwards or backwards: counted from the first bound.  Both
		 * bounds are exclusive: the earlier one is resolved as "after
		 * it", the later one as "before it" (a time that falls
		 * between two messages must not lose the first one after). */
		lo = q->a;
		hi = q->b;
		hist_bound_resolve(db, &lo, 0);
		hist_bound_resolve(db, &hi, 0);
		if (lo.id <= hi.id) {
			hist_bound_resolve(db, &q->a, 1);
			hist_bound_resolve(db, &q->b, 0);
			rc = hist_range(db, q, q->a.id, q->b.id, 0, q->limit);
		} else {
			hist_bound_resolve(db, &q->a, 0);
			hist_bound_resolve(db, &q->b, 1);
			rc = hist_range(db, q, q->b.id, q->a.id, 1, q->limit);
		}
		break;
	}
	if (q->deadline_ms != 0)
		sqlite3_progress_handler(db, 0, NULL, NULL);
	q->rc = rc;
	if (rc != SQLITE_OK && q->error == NULL)
		q->error = xstrdup(sqlite3_errmsg(db));
	return rc;
}

/*
 * Writer thread: the search index's high-water mark.  Rows up to it are
 * in the index (those that belong there: messages with text, not
 * redacted); rows after it wait for history_fts_work().  Kept in the
 * meta table, read once.
 */
static int64_t
hist_fts_mark(sqlite3 *db)
{
	sqlite3_stmt	*s;

	if (hist_fts_upto >= 0)
		return hist_fts_upto;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = "
	    "'fts_upto'", -1, &s, NULL) != SQLITE_OK)
		return 0;	/* not known: try again next time */
	hist_fts_upto = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		hist_fts_upto = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return hist_fts_upto;
}

/*
 * Writer thread, inside a transaction: put up to n rows after the
 * high-water mark into the search index and move the mark (in meta).
 * *last gets the new mark; returns an SQLite code.  The statements are
 * kept prepared: this runs often.
 */
static int
hist_fts_index(sqlite3 *db, int n, int64_t *last)
{
	static sqlite3_stmt	*chunk, *ins, *mark;
	int64_t			 upto = hist_fts_mark(db);
	int			 rc;

	*last = upto;
	if (chunk == NULL) {
		if ((rc = sqlite3_prepare_v3(db, "SELECT MAX(id) FROM (SELECT "
		    "id FROM history WHERE id > ?1 ORDER BY id LIMIT ?2)", -1,
		    SQLITE_PREPARE_PERSISTENT, &chunk, NULL)) != SQLITE_OK)
			return rc;
		store_keep_stmt(&chunk);
	}
	sqlite3_bind_int64(chunk, 1, upto);
	sqlite3_bind_int(chunk, 2, n);
	if (sqlite3_step(chunk) == SQLITE_ROW &&
	    sqlite3_column_type(chunk, 0) != SQLITE_NULL)
		*last = sqlite3_column_int64(chunk, 0);
	sqlite3_reset(chunk);
	if (*last <= upto)
		return SQLITE_OK;
	if (ins == NULL) {
		if ((rc = sqlite3_prepare_v3(db, "INSERT INTO history_fts("
		    "rowid, body) SELECT id, body FROM history WHERE id > ?1 "
		    "AND id <= ?2 AND " HIST_FTS_ROW, -1,
		    SQLITE_PREPARE_PERSISTENT, &ins, NULL)) != SQLITE_OK)
			return rc;
		store_keep_stmt(&ins);
	}
	sqlite3_bind_int64(ins, 1, upto);
	sqlite3_bind_int64(ins, 2, *last);
	rc = sqlite3_step(ins);
	sqlite3_reset(ins);
	if (rc != SQLITE_DONE)
		return rc;
	if (mark == NULL) {
		if ((rc = sqlite3_prepare_v3(db, "INSERT OR REPLACE INTO meta("
		    "key, value) VALUES ('fts_upto', ?1)", -1,
		    SQLITE_PREPARE_PERSISTENT, &mark, NULL)) != SQLITE_OK)
			return rc;
		store_keep_stmt(&mark);
	}
	sqlite3_bind_int64(mark, 1, *last);
	rc = sqlite3_step(mark);
	sqlite3_reset(mark);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Writer thread, when idle: put the next chunk of rows into the search
 * index.  Returns 1 if more are waiting.
 */
int
history_fts_work(sqlite3 *db)
{
	int64_t	upto = hist_fts_mark(db), last;
	int	rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return 0;
	rc = hist_fts_index(db, FTS_CHUNK, &last);
	if (rc == SQLITE_OK && last > upto &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) {
		hist_fts_upto = last;
		return 1;
	}
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

/*
 * Writer thread, as a job of a batch: bring the search index up to date
 * (up to FTS_CATCHUP rows) before a search reads it, so that a search
 * finds what was said a moment ago.  The mark is read again from meta
 * afterwards, since the batch may yet be rolled back.
 */
int
history_fts_catchup(sqlite3 *db)
{
	int64_t	last;
	int	rc;

	rc = hist_fts_index(db, FTS_CATCHUP, &last);
	hist_fts_upto = -1;
	return rc;
}

/* History older than this many milliseconds is deleted (0: keep all). */
static volatile int64_t	hist_keep_ms;

void
history_set_retention(int64_t days)
{
	hist_keep_ms = days * 86400LL * 1000;
}

/*
 * Writer thread, when idle: delete a chunk of rows older than the
 * retention setting, their search index entries first.  Returns 1 if
 * more are waiting.
 */
static int
hist_retention_work(sqlite3 *db)
{
	sqlite3_stmt	*s;
	int64_t		 keep = hist_keep_ms, upto, last = -1;
	int		 rc;

	if (keep <= 0)
		return 0;
	/* The oldest FTS_CHUNK rows, if the newest of them is too old. */
	if (sqlite3_prepare_v2(db, "SELECT MAX(id) FROM (SELECT id FROM history "
	    "WHERE time < ?1 ORDER BY id LIMIT ?2)", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, (int64_t)wall_ms() - keep);
	sqlite3_bind_int(s, 2, FTS_CHUNK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		last = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (last < 0)
		return 0;
	upto = hist_fts_mark(db);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_prepare_v2(db, "INSERT INTO history_fts(history_fts, "
	    "rowid, body) SELECT 'delete', id, body FROM history WHERE id <= ?1 "
	    "AND id <= ?2 AND time < ?3 AND " HIST_FTS_ROW, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, last);
		sqlite3_bind_int64(s, 2, upto);
		sqlite3_bind_int64(s, 3, (int64_t)wall_ms() - keep);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_prepare_v2(db, "DELETE FROM history WHERE id <= ?1 "
		    "AND time < ?2", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, last);
		sqlite3_bind_int64(s, 2, (int64_t)wall_ms() - keep);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_DONE &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 1;
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

/* Writer thread, when idle: index new rows, forget expired ones. */
int
history_idle_work(sqlite3 *db)
{
	int	more = history_fts_work(db);

	return hist_retention_work(db) || more;
}

/*
 * Add row id to the search index (what != 0) or take it out, if it is
 * indexed now or ought to be.  The index is an external-content FTS5
 * table: a 'delete' must be given exactly the text that was indexed,
 * which is the row's text as long as every change of it comes through
 * here (so take it out before the text changes, and put it back after).
 */
static int
hist_fts_row(sqlite3 *db, int64_t id, int what)
{
	sqlite3_stmt	*s;
	int		 rc;

	if (id > hist_fts_mark(db))
		return SQLITE_OK;	/* history_fts_work() will see it */
	rc = sqlite3_prepare_v2(db, what ? "INSERT INTO history_fts(rowid, "
	    "body) SELECT id, body FROM history WHERE id = ?1 AND "
	    HIST_FTS_ROW : "INSERT INTO history_fts(history_fts, rowid, body) "
	    "SELECT 'delete', id, body FROM history WHERE id = ?1 AND "
	    HIST_FTS_ROW, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Writer thread: redact row id, a message (PRIVMSG, NOTICE or TAGMSG):
 * its text leaves the search index and the table, and so do its tags;
 * the row stays (as a marker) with the redacted flag.  SQLITE_NOTFOUND
 * when there is no such message, or it is redacted already.
 */
int
history_redact(sqlite3 *db, int64_t id)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = hist_fts_row(db, id, 0)) != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db, "UPDATE history SET body = NULL, tags = "
	    "NULL, flags = flags | 1 WHERE id = ?1 AND kind IN (1, 2, 3) AND "
	    "(flags & 1) = 0", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rc;
	return sqlite3_changes(db) > 0 ? SQLITE_OK : SQLITE_NOTFOUND;
}

/*
 * Writer thread: the new text of message id (a PRIVMSG or NOTICE, not
 * redacted), marked edited; the search index follows.  SQLITE_NOTFOUND
 * when there is no such message (or it was redacted meanwhile).
 */
int
history_edit(sqlite3 *db, int64_t id, const char *text)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = hist_fts_row(db, id, 0)) != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db, "UPDATE history SET body = ?2, flags = "
	    "flags | 2 WHERE id = ?1 AND kind IN (1, 2) AND (flags & 1) = 0",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rc;
	if (sqlite3_changes(db) == 0)
		return SQLITE_NOTFOUND;
	return hist_fts_row(db, id, 1);
}
