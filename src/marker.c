/*
 * Read markers in memory (one dict per account id, key -> time) and in
 * the read_markers table.  A marker only moves forward.  The account's
 * last_seen (when its last session left) is written here too: it is the
 * other half of what a user missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "dict.h"
#include "log.h"
#include "marker.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

struct marker {
	char		*key;		/* "<account id> <target key>" */
	uint64_t	 time;
};

struct marker_job {
	struct store_job	 job;
	int64_t			 account;
	char			*target;	/* NULL: last_seen */
	uint64_t		 time;
};

static struct dict	markers;

static char *
marker_key(int64_t id, const char *target)
{
	char	*k;

	xasprintf(&k, "%lld %s", (long long)id, target);
	return k;
}

static void
marker_put_mem(int64_t id, const char *target, uint64_t t)
{
	char		*k = marker_key(id, target);
	struct marker	*m = dict_get(&markers, k);

	if (m != NULL) {
		if (t > m->time)
			m->time = t;
		free(k);
		return;
	}
	m = xcalloc(1, sizeof *m);
	m->key = k;
	m->time = t;
	dict_put(&markers, m->key, m);
}

static int
marker_load_rows(sqlite3 *db, void *arg)
{
	sqlite3_stmt	*s;
	int		 rc;

	(void)arg;
	rc = sqlite3_prepare_v2(db, "SELECT account, target, time FROM "
	    "read_markers", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		marker_put_mem(sqlite3_column_int64(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    sqlite3_column_int64(s, 2));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
marker_load(char **cause)
{
	int	rc;

	if ((rc = store_read_sync(marker_load_rows, NULL)) != SQLITE_OK) {
		xasprintf(cause, "loading read markers: %s",
		    store_strerror(rc));
		return -1;
	}
	return 0;
}

void
marker_unload(void)
{
	struct marker	*m;
	size_t		 it = 0;

	while ((m = dict_next(&markers, &it)) != NULL) {
		free(m->key);
		free(m);
	}
	dict_free(&markers);
}

/* The marker of a's conversation target (0: none). */
uint64_t
marker_get(const struct account *a, const char *target)
{
	char		*k = marker_key(a->id, target);
	struct marker	*m = dict_get(&markers, k);

	free(k);
	return m != NULL ? m->time : 0;
}

static int
marker_run(sqlite3 *db, struct store_job *sj)
{
	struct marker_job	*j = (struct marker_job *)sj;
	sqlite3_stmt		*s;
	int			 rc;

	if (j->target == NULL)
		rc = sqlite3_prepare_v2(db, "UPDATE accounts SET last_seen = "
		    "?3 WHERE id = ?1", -1, &s, NULL);
	else
		rc = sqlite3_prepare_v2(db, "INSERT INTO read_markers(account, "
		    "target, time) VALUES (?1, ?2, ?3) ON CONFLICT(account, "
		    "target) DO UPDATE SET time = max(time, excluded.time)",
		    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, j->account);
	if (j->target != NULL)
		sqlite3_bind_text(s, 2, j->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)j->time);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

static void
marker_done(struct store_job *sj)
{
	struct marker_job	*j = (struct marker_job *)sj;

	if (sj->status != SQLITE_OK)
		log_warnx("read marker not kept: %s",
		    store_strerror(sj->status));
	free(j->target);
	free(j);
}

static void
marker_write(int64_t id, const char *target, uint64_t t)
{
	struct marker_job	*j = xcalloc(1, sizeof *j);

	j->job.run = marker_run;
	j->job.done = marker_done;
	j->account = id;
	j->target = target != NULL ? xstrdup(target) : NULL;
	j->time = t;
	if (store_submit(&j->job) != 0) {
		log_warnx("read marker not kept: the store is full");
		free(j->target);
		free(j);
	}
}

/*
 * Move a's marker for target to t.  Returns 1 if it moved (the caller
 * tells the user's other sessions), 0 if t was not newer.
 */
int
marker_set(const struct account *a, const char *target, uint64_t t)
{
	if (t <= marker_get(a, target))
		return 0;
	marker_put_mem(a->id, target, t);
	marker_write(a->id, target, t);
	return 1;
}

/* a's last session left at t: what comes after is missed. */
void
marker_seen(struct account *a, uint64_t t)
{
	a->last_seen = t;
	marker_write(a->id, NULL, t);
}
