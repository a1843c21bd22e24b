/*
 * Unit tests for history.c on a real database (store_open in a temporary
 * directory, so the schema is the one the server uses): the search index
 * stays exactly in step with the table through edits and redactions of
 * rows indexed or not yet indexed (FTS5's integrity check against the
 * content table), SEARCH returns only what the caller may read with
 * inclusive time bounds and the right order, no typed text is FTS5
 * syntax, and a query past its deadline stops with SQLITE_INTERRUPT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "history.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static char	 test_dir[64];
static sqlite3	*test_db;

static int
test_setup(void **state)
{
	char	 path[128], *cause = NULL;

	(void)state;
	strlcpy_u(test_dir, "/tmp/lanchat-unit-XXXXXX", sizeof test_dir);
	if (mkdtemp(test_dir) == NULL)
		return -1;
	if (store_open(test_dir, 0, &cause) != 0) {
		fprintf(stderr, "store_open: %s\n", cause);
		return -1;
	}
	snprintf(path, sizeof path, "%s/lanchat.db", test_dir);
	if (sqlite3_open_v2(path, &test_db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(test_db, 5000);
	history_conn_init(test_db);
	return 0;
}

static int
test_teardown(void **state)
{
	char	cmd[128];

	(void)state;
	store_close();		/* finalizes the statements kept on test_db */
	sqlite3_close(test_db);
	snprintf(cmd, sizeof cmd, "rm -rf %s", test_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Insert a message row; its id. */
static int64_t
add(const char *target, const char *lo, const char *hi, const char *sender,
    const char *account, uint64_t t, const char *body)
{
	struct hist_row	r;
	int64_t		id = 0;

	memset(&r, 0, sizeof r);
	r.target = (char *)target;
	r.dm_lo = (char *)lo;
	r.dm_hi = (char *)hi;
	r.sender = (char *)sender;
	r.account = (char *)account;
	r.tname = (char *)(target[0] != '\0' ? target : hi);
	r.body = (char *)body;
	r.time = t;
	r.kind = HIST_PRIVMSG;
	assert_int_equal(history_insert(test_db, &r, &id), SQLITE_OK);
	return id;
}

static void
index_all(void)
{
	while (history_fts_work(test_db))
		;
}

static int
test_count(const char *sql)
{
	sqlite3_stmt	*s;
	int		 n = -1;

	if (sqlite3_prepare_v2(test_db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(test_db));
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/*
 * The index holds exactly the messages the table holds (every row is
 * indexed by now): FTS5's own check, then every (term, row) of the index
 * against a fresh index of the same rows built aside.  (FTS5's check
 * against the content table does not apply: rows that are no messages
 * are left out of the index on purpose.)
 */
static void
check_index(void)
{
	assert_int_equal(sqlite3_exec(test_db, "INSERT INTO history_fts("
	    "history_fts) VALUES ('integrity-check');"
	    "DROP TABLE IF EXISTS temp.fresh;"
	    "CREATE VIRTUAL TABLE temp.fresh USING fts5(body, tokenize="
	    "'unicode61 remove_diacritics 2');"
	    "INSERT INTO temp.fresh(rowid, body) SELECT id, body FROM history "
	    "WHERE kind IN (1, 2) AND (flags & 1) = 0 AND body IS NOT NULL;"
	    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_live USING "
	    "fts5vocab('main', 'history_fts', 'instance');"
	    "DROP TABLE IF EXISTS temp.v_fresh;"
	    "CREATE VIRTUAL TABLE temp.v_fresh USING "
	    "fts5vocab('temp', 'fresh', 'instance');", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(test_count("SELECT count(*) FROM (SELECT term, doc "
	    "FROM temp.v_live EXCEPT SELECT term, doc FROM temp.v_fresh)"), 0);
	assert_int_equal(test_count("SELECT count(*) FROM (SELECT term, doc "
	    "FROM temp.v_fresh EXCEPT SELECT term, doc FROM temp.v_live)"), 0);
	assert_true(test_count("SELECT count(*) FROM temp.v_fresh") > 0);
}

static int
fts_hits(const char *word)
{
	sqlite3_stmt	*s;
	char		 q[128];
	int		 n = -1;

	snprintf(q, sizeof q, "\"%s\"", word);
	assert_int_equal(sqlite3_prepare_v2(test_db, "SELECT count(*) FROM "
	    "history_fts WHERE history_fts MATCH ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* A SEARCH as user `me` (DM key, or "") who may read `readable`. */
static struct hist_query *
query(const char *me, const char *readable, const char *text)
{
	struct hist_query	*q = xcalloc(1, sizeof *q);

	q->sub = HQ_SEARCH;
	q->limit = 100;
	strlcpy_u(q->me, me, sizeof q->me);
	q->readable = xstrdup(readable);
	if (text != NULL)
		q->text = xstrdup(text);
	return q;
}

static int
run(struct hist_query *q)
{
	return history_query(test_db, q);
}

static void
test_history_index_edits(void **state)
{
	int64_t	a, b, c, d;

	(void)state;
	a = add("#c", NULL, NULL, "al!u@h", "al", 1000, "alpha apple");
	b = add("#c", NULL, NULL, "al!u@h", "al", 1001, "beta banana");
	c = add("#c", NULL, NULL, "al!u@h", "al", 1002, "Привет gamma");
	index_all();
	check_index();
	assert_int_equal(fts_hits("apple"), 1);
	assert_int_equal(fts_hits("ПРИВЕТ"), 1);

	/* Indexed rows: edit, edit again, redact. */
	assert_int_equal(history_edit(test_db, a, "alpha apricot"), SQLITE_OK);
	assert_int_equal(history_edit(test_db, a, "alpha avocado"), SQLITE_OK);
	assert_int_equal(history_redact(test_db, b), SQLITE_OK);
	check_index();
	assert_int_equal(fts_hits("apple"), 0);
	assert_int_equal(fts_hits("apricot"), 0);
	assert_int_equal(fts_hits("avocado"), 1);
	assert_int_equal(fts_hits("banana"), 0);
	/* Redacted: no more edits, no second redaction. */
	assert_int_equal(history_edit(test_db, b, "back"), SQLITE_NOTFOUND);
	assert_int_equal(history_redact(test_db, b), SQLITE_NOTFOUND);
	assert_int_equal(history_redact(test_db, 999999), SQLITE_NOTFOUND);
	check_index();

	/* A row not indexed yet: edited and redacted before the indexer
	 * sees it. */
	d = add("#c", NULL, NULL, "al!u@h", "al", 1003, "delta durian");
	assert_int_equal(history_edit(test_db, d, "delta date"), SQLITE_OK);
	index_all();
	check_index();
	assert_int_equal(fts_hits("durian"), 0);
	assert_int_equal(fts_hits("date"), 1);
	d = add("#c", NULL, NULL, "al!u@h", "al", 1004, "epsilon elder");
	assert_int_equal(history_redact(test_db, d), SQLITE_OK);
	index_all();
	check_index();
	assert_int_equal(fts_hits("elder"), 0);
	assert_int_equal(history_redact(test_db, c), SQLITE_OK);
	check_index();
	assert_int_equal(fts_hits("gamma"), 0);
}

static void
test_history_search_privacy(void **state)
{
	struct hist_query	*q;
	int64_t			 pub, sec, dm, other;
	int			 i;

	(void)state;
	pub = add("#pub", NULL, NULL, "al!u@h", "al", 2000, "zebra public");
	sec = add("#sec", NULL, NULL, "al!u@h", "al", 2001, "zebra secret");
	dm = add("", "al", "bo", "al!u@h", "al", 2002, "zebra whisper");
	other = add("", "bo", "cy", "bo!u@h", "bo", 2003, "zebra other");
	index_all();

	/* cy reads #pub only, and its DM with bo. */
	q = query("cy", "[\"#pub\"]", "ZEBRA");
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 2);
	assert_true(q->rows[0].id == pub && q->rows[1].id == other);
	history_query_free(q);
	/* Not logged in: no DMs at all. */
	q = query("", "[\"#pub\"]", "zebra");
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 1);
	assert_true(q->rows[0].id == pub);
	history_query_free(q);
	/* Naming a channel it may not read gives nothing. */
	q = query("cy", "[\"#pub\"]", "zebra");
	strlcpy_u(q->target, "#sec", sizeof q->target);
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 0);
	history_query_free(q);
	/* Naming someone else's DM gives nothing; its own, that one. */
	q = query("cy", "[]", "zebra");
	q->dm = 1;
	strlcpy_u(q->peer, "al", sizeof q->peer);
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 0);
	history_query_free(q);
	q = query("al", "[\"#pub\",\"#sec\"]", NULL);
	q->dm = 1;
	strlcpy_u(q->peer, "bo", sizeof q->peer);
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 1);
	assert_true(q->rows[0].id == dm);
	history_query_free(q);
	/* Everything al may read, oldest first; from= by folded nick. */
	q = query("al", "[\"#pub\",\"#sec\"]", "zebra");
	q->from = xstrdup("al");
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 3);
	for (i = 1; i < q->nrows; i++)
		assert_true(q->rows[i - 1].id < q->rows[i].id);
	assert_true(q->rows[1].id == sec);
	history_query_free(q);
}

static void
test_history_search_bounds(void **state)
{
	struct hist_query	*q;
	int64_t			 id[5];
	int			 i;

	(void)state;
	for (i = 0; i < 5; i++)
		id[i] = add("#t", NULL, NULL, "al!u@h", "al", 3000 + i * 10,
		    "yak bound");
	index_all();
	/* after= and before= are inclusive. */
	q = query("al", "[\"#t\"]", "yak");
	q->a.set = q->b.set = 1;
	q->a.time = 3010;
	q->b.time = 3030;
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 3);
	assert_true(q->rows[0].id == id[1] && q->rows[2].id == id[3]);
	history_query_free(q);
	/* after=: the oldest after it; else the newest. */
	q = query("al", "[\"#t\"]", "yak");
	q->a.set = 1;
	q->a.time = 3001;
	q->limit = 2;
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 2);
	assert_true(q->rows[0].id == id[1] && q->rows[1].id == id[2]);
	history_query_free(q);
	q = query("al", "[\"#t\"]", NULL);
	q->limit = 2;
	strlcpy_u(q->target, "#t", sizeof q->target);
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 2);
	assert_true(q->rows[0].id == id[3] && q->rows[1].id == id[4]);
	history_query_free(q);
}

static void
test_history_search_syntax(void **state)
{
	static const char *const texts[] = { "\"", "\"\"", "a\"b", "OR",
	    "NOT x", "AND", "NEAR(a b)", "body:x", "*", "**", "-x", "^x",
	    "x +", "(", ")", "{body}:x", "a AND", "\\", "'", "x*", "*x",
	    ".", "...", "\"*\"", NULL };
	struct hist_query	*q;
	int			 i;

	(void)state;
	add("#s", NULL, NULL, "al!u@h", "al", 4000,
	    "she said \"hi\" OR NEAR(x)");
	index_all();
	for (i = 0; texts[i] != NULL; i++) {
		q = query("al", "[\"#s\"]", texts[i]);
		if (run(q) != SQLITE_OK)
			fail_msg("\"%s\": %s", texts[i], q->error);
		history_query_free(q);
	}
	q = query("al", "[\"#s\"]", "near(x");
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 1);
	history_query_free(q);
}

static void
test_history_deadline(void **state)
{
	struct hist_query	*q;
	int			 i;

	(void)state;
	assert_int_equal(sqlite3_exec(test_db, "BEGIN", NULL, NULL, NULL),
	    SQLITE_OK);
	for (i = 0; i < 5000; i++)
		add("#big", NULL, NULL, "al!u@h", "al", 5000 + i, "many words");
	assert_int_equal(sqlite3_exec(test_db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	index_all();
	q = query("al", "[\"#big\"]", "many");
	q->from = xstrdup("nobody");	/* every match looked at */
	q->deadline_ms = 1;		/* long past */
	assert_int_equal(run(q), SQLITE_INTERRUPT);
	history_query_free(q);
	/* The handler is gone afterwards: the same query, no deadline. */
	q = query("al", "[\"#big\"]", "many");
	q->from = xstrdup("nobody");
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 0);
	history_query_free(q);
	q = query("al", "[\"#big\"]", "many");
	q->deadline_ms = now_ms() + 10000;
	assert_int_equal(run(q), SQLITE_OK);
	assert_int_equal(q->nrows, 100);
	history_query_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_index_edits),
		cmocka_unit_test(test_history_search_privacy),
		cmocka_unit_test(test_history_search_bounds),
		cmocka_unit_test(test_history_search_syntax),
		cmocka_unit_test(test_history_deadline),
	};

	return cmocka_run_group_tests_name("history", tests, test_setup,
	    test_teardown);
}
