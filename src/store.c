/*
 * The store's machinery: opening and checking the database, numbered
 * migrations, the writer thread with its bounded queue and group commit,
 * the read-only connection pool, and online backup.  See store.h.
 *
 * Threads: the writer thread owns st.wdb; reader connections are lent
 * out under st.rmu to libuv thread-pool workers.  The queues are guarded
 * by st.mu; the loop learns about finished batches through st.async.
 * Nothing here ever makes the loop wait for the disk.
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "history.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/*
 * The schema, one migration per entry; entry N moves the database from
 * version N to N + 1 (PRAGMA user_version).  Never edit an entry that
 * has shipped: add one.
 */
static const char *const store_migrations[] = {
	/* 0 -> 1: everything the first release keeps. */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");"
	/* AUTOINCREMENT: the id of a dropped account is never given to a
	 * new one, so nothing kept by id (channel access, read markers)
	 * can pass to a stranger. */
	"CREATE TABLE accounts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL,"
	"  fold TEXT NOT NULL UNIQUE,"
	"  password TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  last_seen INTEGER NOT NULL DEFAULT 0"	/* ms; last logout */
	");"
	"CREATE TABLE certfps ("
	"  fp TEXT PRIMARY KEY,"
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE"
	");"
	"CREATE TABLE channels ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  fold TEXT NOT NULL UNIQUE,"
	"  founder INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  created INTEGER NOT NULL,"
	"  topic TEXT,"
	"  topic_setter TEXT,"
	"  topic_time INTEGER NOT NULL DEFAULT 0,"
	"  modes TEXT NOT NULL DEFAULT '',"	/* flag letters: "imnst" */
	"  chankey TEXT,"
	"  lim INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE channel_access ("
	"  channel INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,"
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  modes TEXT NOT NULL,"		/* "o", "v" or "ov" */
	"  PRIMARY KEY (channel, account)"
	");"
	"CREATE INDEX channel_access_account ON channel_access(account);"
	"CREATE TABLE channel_lists ("
	"  channel INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,"
	"  mode TEXT NOT NULL,"
	"  mask TEXT NOT NULL,"
	"  setter TEXT NOT NULL,"
	"  set_at INTEGER NOT NULL,"
	"  PRIMARY KEY (channel, mode, mask)"
	");"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  target TEXT NOT NULL,"		/* folded channel, or '' for DMs */
	"  dm_lo TEXT,"				/* the two sides of a DM, */
	"  dm_hi TEXT,"				/* sorted (see store_history.c) */
	"  time INTEGER NOT NULL,"		/* ms since the epoch */
	"  kind INTEGER NOT NULL,"
	"  sender TEXT NOT NULL,"		/* nick!user@host */
	"  account TEXT,"			/* the sender's account */
	"  tname TEXT NOT NULL,"		/* target as shown */
	"  tags TEXT,"				/* client-only tags, escaped */
	"  body TEXT,"
	"  extra TEXT,"
	"  msgid TEXT,"				/* when not derived from id */
	"  account_id INTEGER,"			/* the sender's, for authorship */
	"  flags INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX history_target ON history(target, id) WHERE target <> '';"
	"CREATE INDEX history_dm_lo ON history(dm_lo, dm_hi, id) "
	"  WHERE target = '';"
	"CREATE INDEX history_dm_hi ON history(dm_hi, dm_lo, id) "
	"  WHERE target = '';"
	"CREATE VIRTUAL TABLE history_fts USING fts5(body, content='history', "
	"  content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
	"CREATE TABLE account_channels ("	/* owner: autojoin.c */
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  channel TEXT NOT NULL,"		/* folded */
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (account, channel)"
	");"
	"CREATE TABLE read_markers ("
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  target TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  PRIMARY KEY (account, target)"
	");"
	"CREATE TABLE bans ("			/* irc_admin.c */
	"  mask TEXT PRIMARY KEY,"		/* address/prefix, canonical */
	"  reason TEXT NOT NULL DEFAULT '',"
	"  setter TEXT NOT NULL,"
	"  set_at INTEGER NOT NULL"		/* ms since the epoch */
	");"
	"CREATE TABLE tokens ("			/* owner: token.c */
	"  hash BLOB PRIMARY KEY,"		/* SHA-256 of the token */
	"  account INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"		/* wall seconds */
	"  last_used INTEGER NOT NULL,"		/* wall seconds */
	"  label TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX tokens_account ON tokens(account);"
	"CREATE TABLE files ("			/* owner: upload.c */
	"  id TEXT PRIMARY KEY,"		/* DATA/files/<id>, random */
	"  owner INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  name TEXT NOT NULL,"			/* sanitised */
	"  type TEXT NOT NULL,"			/* as the uploader said */
	"  inline_type TEXT,"			/* image type of the bytes */
	"  size INTEGER NOT NULL,"
	"  created INTEGER NOT NULL"		/* ms since the epoch */
	");"
	"CREATE INDEX files_owner ON files(owner);",
};
#define STORE_FAIL_LOG_MS	10000	/* failing commits: one warning */
#define STORE_ID_SKIP		1000000000LL	/* ids past an unclean stop */

#define STORE_VERSION	((int)(sizeof store_migrations / \
			    sizeof store_migrations[0]))

static struct {
	char			*path;
	int			 full;
	sqlite3			*wdb;
	pthread_t		 thread;
	int			 running;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct store_job	*qhead, **qtail;
	size_t			 qlen;
	size_t			 unfinished;	/* submitted, done() not run */
	struct store_job	*dhead, **dtail;
	int			 stop;
	uv_async_t		 async;
	int			 async_open;
	pthread_mutex_t		 rmu;
	sqlite3			*readers[STORE_READERS];
	int			 rfree[STORE_READERS];
	char			 prefix[16];
	void			(*resume)(void);
	int			(*idle_work)(sqlite3 *);
	int			 fatal;
	sqlite3_stmt		**kept[16];
	int			 nkept;
	uint64_t		 nfailed;	/* batches failed in a row */
	uint64_t		 fail_logged;	/* ms, the last warning */
	/* The checkpointer: its own thread and connection. */
	sqlite3			*ckdb;
	pthread_t		 ckthread;
	int			 ckrunning;
	pthread_mutex_t		 ckmu;
	pthread_cond_t		 ckcv;
	int			 ckwant, ckstop;
	int			 ckdirty;	/* commits since the last one */
	int			 ckdone;	/* WAL frames copied back */
	uint64_t		 cklogged;	/* ms, the last warning */
} st = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.rmu = PTHREAD_MUTEX_INITIALIZER,
	.ckmu = PTHREAD_MUTEX_INITIALIZER,
	.ckcv = PTHREAD_COND_INITIALIZER,
};

/* A sentence for an SQLite result code, for users and logs. */
const char *
store_strerror(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return "the server's disk is full";
	case SQLITE_IOERR:
		return "the server's disk reported an I/O error";
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "the database is busy";
	case SQLITE_READONLY:
		return "the database is read-only";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "the database is damaged";
	case SQLITE_CONSTRAINT:
		return "it already exists";
	case SQLITE_NOMEM:
		return "the server is out of memory";
	case SQLITE_CANTOPEN:
		return "the database cannot be opened";
	case SQLITE_ABORT:
		return "the server is shutting down";
	case SQLITE_NOTFOUND:
		return "it no longer exists";
	}
	return sqlite3_errstr(rc);
}

/* Failures that go away by themselves (space freed, disk back). */
int
store_is_temporary(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
	case SQLITE_ABORT:
		return 1;
	}
	return 0;
}

/* The random tag of this database, the first part of stored msgids. */
const char *
store_msgid_prefix(void)
{
	return st.prefix;
}

static int
store_exec(sqlite3 *db, const char *sql, char **cause)
{
	char	*err = NULL;
	int	 rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK && cause != NULL)
		xasprintf(cause, "%s", err != NULL ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	return rc;
}

static int
store_pragmas(sqlite3 *db, int writer, char **cause)
{
	char	sql[256];

	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof sql, "PRAGMA foreign_keys=ON;"
	    "PRAGMA synchronous=%s;%s", st.full ? "FULL" : "NORMAL",
	    writer ? "PRAGMA journal_size_limit=67108864;" : "");
	return store_exec(db, sql, cause);
}

static int
store_user_version(sqlite3 *db)
{
	sqlite3_stmt	*s;
	int		 v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * Bring the schema up to STORE_VERSION, one migration per transaction:
 * a crash in the middle leaves the previous version intact.
 */
static int
store_migrate(sqlite3 *db, char **cause)
{
	int	 v, rc;
	char	 sql[64], *err = NULL;

	if ((v = store_user_version(db)) < 0) {
		xasprintf(cause, "cannot read the schema version: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v > STORE_VERSION) {
		xasprintf(cause, "the database was written by a newer lanchat "
		    "(schema %d; this lanchatd knows up to %d); run a newer "
		    "lanchatd, or restore a backup made by this version", v,
		    STORE_VERSION);
		return -1;
	}
	for (; v < STORE_VERSION; v++) {
		if (store_exec(db, "BEGIN IMMEDIATE", &err) != SQLITE_OK)
			goto fail;
		if ((rc = store_exec(db, store_migrations[v], &err)) !=
		    SQLITE_OK) {
			store_exec(db, "ROLLBACK", NULL);
			goto fail;
		}
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", v + 1);
		if (store_exec(db, sql, &err) != SQLITE_OK ||
		    store_exec(db, "COMMIT", &err) != SQLITE_OK) {
			store_exec(db, "ROLLBACK", NULL);
			goto fail;
		}
		log_info("store: migrated the database to schema %d", v + 1);
	}
	return 0;
fail:
	xasprintf(cause, "migration to schema %d failed: %s", v + 1,
	    err != NULL ? err : "unknown error");
	free(err);
	return -1;
}

/*
 * PRAGMA quick_check: the structure of every b-tree.  Returns 0, or an
 * SQLite code with *cause: SQLITE_CORRUPT when the file is damaged
 * (the check failed, or SQLite found it malformed or not a database on
 * the way), another code when it could not be read at all.
 */
static int
store_check(sqlite3 *db, char **cause)
{
	sqlite3_stmt	*s;
	const char	*r;
	int		 rc;

	/* The first few problems are enough to say what is wrong. */
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(3)", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(s, 0);
		if (r != NULL && strcmp(r, "ok") == 0)
			rc = SQLITE_OK;
		else {
			xasprintf(cause, "the integrity check failed: %s",
			    r != NULL ? r : "?");
			rc = SQLITE_CORRUPT;
		}
	} else
		xasprintf(cause, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	if ((rc & 0xff) == SQLITE_NOTADB)
		rc = SQLITE_CORRUPT;
	return rc & 0xff;
}

/*
 * Message ids are row ids.  After a power cut (or a backup put back)
 * the rows written after the last flush are gone, and SQLite would give
 * their ids, which clients saw as msgids, to the next messages: a
 * client that deduplicates by msgid would drop them.  So meta holds
 * 'open' while a server runs; found at start, the last run did not
 * close, and a placeholder row (HIST_IDSKIP, in no conversation) takes
 * the id STORE_ID_SKIP past the last one kept, so new ids go on beyond
 * any that can have been lost.  The mark itself is written with a full
 * flush: rows of a run whose mark was lost would be lost with it.
 */
static int
store_mark_open(sqlite3 *db, char **cause)
{
	sqlite3_stmt	*s;
	int64_t		 last = 0;
	int		 left, rc;
	char		 sql[160];

	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM meta WHERE key = 'open'",
	    -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	left = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (left) {
		rc = sqlite3_prepare_v2(db, "SELECT MAX(id) FROM history", -1,
		    &s, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		if (sqlite3_step(s) == SQLITE_ROW)
			last = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		rc = sqlite3_prepare_v2(db, "INSERT INTO history(id, target, "
		    "time, kind, sender, tname, body) VALUES (?, '', ?, ?, '', "
		    "'', '')", -1, &s, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(s, 1, last + STORE_ID_SKIP);
		sqlite3_bind_int64(s, 2, (int64_t)wall_ms());
		sqlite3_bind_int(s, 3, HIST_IDSKIP);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			goto fail;
		log_info("store: the last run did not close the database; "
		    "message ids go on from %lld", (long long)(last +
		    STORE_ID_SKIP + 1));
	}
	snprintf(sql, sizeof sql, "PRAGMA synchronous=FULL; INSERT OR "
	    "REPLACE INTO meta(key, value) VALUES ('open', '1'); "
	    "PRAGMA synchronous=%s", st.full ? "FULL" : "NORMAL");
	if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	xasprintf(cause, "%s", sqlite3_errmsg(db));
	return -1;
}

/*
 * Fuzzing hook (fuzz/world.c): use prefix instead of the database's
 * random msgid tag from now on, so that inputs can name messages.
 */
void
store_set_msgid_prefix(const char *prefix)
{
	strlcpy_u(st.prefix, prefix, sizeof st.prefix);
}

/* Read (or make, on a new database) the random msgid tag. */
static int
store_load_prefix(sqlite3 *db, char **cause)
{
	sqlite3_stmt	*s;
	unsigned char	 rnd[4];
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE "
	    "key = 'msgid_prefix'", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW)
		strlcpy_u(st.prefix, (const char *)sqlite3_column_text(s, 0),
		    sizeof st.prefix);
	sqlite3_finalize(s);
	if (st.prefix[0] != '\0')
		return 0;
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(st.prefix, sizeof st.prefix, rnd, sizeof rnd);
	rc = sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES "
	    "('msgid_prefix', ?)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(s, 1, st.prefix, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	xasprintf(cause, "%s", sqlite3_errmsg(db));
	return -1;
}

/*
 * Run one of the writer's fixed statements (BEGIN, SAVEPOINT...), kept
 * prepared: parsing them again for every job of every batch cost more
 * than the history row they wrap.
 */
static int
store_exec_kept(sqlite3_stmt **sp, const char *sql)
{
	int	rc;

	if (*sp == NULL) {
		rc = sqlite3_prepare_v3(st.wdb, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, sp, NULL);
		if (rc != SQLITE_OK)
			return rc;
		store_keep_stmt(sp);
	}
	rc = sqlite3_step(*sp);
	sqlite3_reset(*sp);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/*
 * Run a batch as one transaction, each job in a savepoint.  A job that
 * fails alone (a constraint) is rolled back alone.  If SQLite rolled the
 * whole transaction back (disk full, I/O error), every job of the batch
 * has failed: none of them is committed, and all are told so.
 */
static void
store_run_batch(struct store_job *batch)
{
	static sqlite3_stmt	*begin, *commit, *save, *release, *undo;
	struct store_job	*j;
	int			 rc, jrc;

	rc = store_exec_kept(&begin, "BEGIN IMMEDIATE");
	if (rc == SQLITE_OK) {
		for (j = batch; j != NULL; j = j->next) {
			if (!j->single)
				store_exec_kept(&save, "SAVEPOINT j");
			jrc = j->run(st.wdb, j);
			j->status = jrc == SQLITE_DONE || jrc == SQLITE_ROW ?
			    SQLITE_OK : jrc;
			if (sqlite3_get_autocommit(st.wdb)) {
				/* The transaction is gone. */
				rc = j->status != SQLITE_OK ? j->status :
				    SQLITE_ABORT;
				break;
			}
			if (j->single)
				continue;
			if (j->status != SQLITE_OK)
				store_exec_kept(&undo, "ROLLBACK TO j");
			store_exec_kept(&release, "RELEASE j");
		}
		if (rc == SQLITE_OK) {
			rc = store_exec_kept(&commit, "COMMIT");
			if (rc != SQLITE_OK && !sqlite3_get_autocommit(st.wdb))
				sqlite3_exec(st.wdb, "ROLLBACK", NULL, NULL,
				    NULL);
		}
	}
	if (rc != SQLITE_OK) {
		/* A full disk fails every batch: say so at once, then
		 * every STORE_FAIL_LOG_MS, not once per batch (the log may
		 * be on the same disk). */
		if (st.nfailed++ == 0 || now_ms() - st.fail_logged >=
		    STORE_FAIL_LOG_MS) {
			log_warnx("store: %s: commit failed: %s (%s); %llu "
			    "batch%s failed so far", st.path,
			    sqlite3_errmsg(st.wdb), store_strerror(rc),
			    (unsigned long long)st.nfailed,
			    st.nfailed == 1 ? "" : "es");
			st.fail_logged = now_ms();
		}
		for (j = batch; j != NULL; j = j->next)
			j->status = rc;
		if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) ==
		    SQLITE_NOTADB)
			st.fatal = 1;
	} else if (st.nfailed > 0) {
		log_info("store: commits succeed again, after %llu failed "
		    "batch%s", (unsigned long long)st.nfailed, st.nfailed == 1 ?
		    "" : "es");
		st.nfailed = 0;
	}
}

/*
 * Checkpoints (copying the WAL back into the database, with an fsync of
 * each) run on a thread of their own, PASSIVE, so that the writer never
 * stalls on one between two batches: SQLite's automatic checkpoint ran
 * them inside the commit of whichever message crossed the threshold.
 * The writer's WAL hook wakes the checkpointer when this many frames
 * are waiting to be copied back, and it runs anyway STORE_CKPT_SECS
 * after a commit.  With synchronous=NORMAL a checkpoint is what flushes
 * the WAL to the disk, so the timer is what bounds the commits a power
 * cut can take on a quiet server (by frames alone, hours of them).
 */
#define STORE_CKPT_FRAMES	1000
#define STORE_CKPT_SECS		10

static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	(void)arg;
	(void)db;
	(void)name;
	pthread_mutex_lock(&st.ckmu);
	if (nframes < st.ckdone)
		st.ckdone = 0;		/* the WAL started over */
	st.ckdirty = 1;
	if (nframes - st.ckdone >= STORE_CKPT_FRAMES && !st.ckwant) {
		st.ckwant = 1;
		pthread_cond_signal(&st.ckcv);
	}
	pthread_mutex_unlock(&st.ckmu);
	return SQLITE_OK;
}

static void *
store_checkpointer(void *arg)
{
	struct timespec	 ts;
	int		 rc, nlog = 0, ncopied = 0;

	(void)arg;
	pthread_mutex_lock(&st.ckmu);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += STORE_CKPT_SECS;
		while (!st.ckwant && !st.ckstop) {
			if (pthread_cond_timedwait(&st.ckcv, &st.ckmu, &ts) !=
			    ETIMEDOUT)
				continue;
			if (st.ckdirty)
				st.ckwant = 1;
			else
				ts.tv_sec += STORE_CKPT_SECS;
		}
		if (st.ckstop)
			break;
		st.ckwant = 0;
		st.ckdirty = 0;
		pthread_mutex_unlock(&st.ckmu);
		rc = sqlite3_wal_checkpoint_v2(st.ckdb, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, &ncopied);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY &&
		    (st.cklogged == 0 || now_ms() - st.cklogged >=
		    STORE_FAIL_LOG_MS)) {
			log_warnx("store: %s: checkpoint failed: %s (%s); "
			    "the write-ahead log grows until it succeeds",
			    st.path, sqlite3_errmsg(st.ckdb),
			    store_strerror(rc));
			st.cklogged = now_ms();
		}
		pthread_mutex_lock(&st.ckmu);
		if (rc == SQLITE_OK && ncopied > 0)
			st.ckdone = ncopied;
	}
	pthread_mutex_unlock(&st.ckmu);
	return NULL;
}

/*
 * The writer waits this long with nothing queued before it starts on
 * background work (search indexing, retention), and under a steady load
 * gives that work a turn this often anyway.  Background work in the
 * gaps of a busy chat cost more than the chat: the search index was fed
 * a few rows per transaction, and a message arriving meanwhile waited.
 */
#define STORE_IDLE_MS		50
#define STORE_IDLE_EVERY_MS	1000

static void *
store_writer(void *arg)
{
	struct store_job	*batch, **tail, *j;
	struct timespec		 ts;
	uint64_t		 last_idle = now_ms();
	size_t			 n;
	int			 more = 1;

	(void)arg;
	pthread_mutex_lock(&st.mu);
	for (;;) {
		while (st.qhead == NULL && !st.stop) {
			if (st.idle_work == NULL || !more) {
				pthread_cond_wait(&st.cv, &st.mu);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += STORE_IDLE_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&st.cv, &st.mu, &ts) !=
			    ETIMEDOUT)
				continue;	/* a job, or stop: look again */
			if (st.qhead != NULL || st.stop)
				continue;
			pthread_mutex_unlock(&st.mu);
			more = st.idle_work(st.wdb);
			last_idle = now_ms();
			pthread_mutex_lock(&st.mu);
		}
		if (st.qhead == NULL && st.stop)
			break;
		batch = st.qhead;
		tail = &batch;
		for (n = 0; *tail != NULL && n < STORE_BATCH_MAX; n++)
			tail = &(*tail)->next;
		st.qhead = *tail;
		if (st.qhead == NULL)
			st.qtail = &st.qhead;
		*tail = NULL;
		st.qlen -= n;
		pthread_mutex_unlock(&st.mu);

		store_run_batch(batch);

		pthread_mutex_lock(&st.mu);
		for (j = batch; j->next != NULL; j = j->next)
			;
		*st.dtail = batch;
		st.dtail = &j->next;
		pthread_mutex_unlock(&st.mu);
		uv_async_send(&st.async);
		/* The batch is on its way: now, under a steady load that
		 * never leaves the writer idle, background work gets a turn
		 * every so often anyway. */
		more = 1;
		if (st.idle_work != NULL && now_ms() - last_idle >=
		    STORE_IDLE_EVERY_MS) {
			more = st.idle_work(st.wdb);
			last_idle = now_ms();
		}
		pthread_mutex_lock(&st.mu);
	}
	pthread_mutex_unlock(&st.mu);
	return NULL;
}

/* On the loop: run done() for every finished job, in order. */
static void
store_async_cb(uv_async_t *h)
{
	struct store_job	*j, *next;
	int			 was_busy;

	(void)h;
	pthread_mutex_lock(&st.mu);
	j = st.dhead;
	st.dhead = NULL;
	st.dtail = &st.dhead;
	was_busy = st.qlen >= STORE_QUEUE_HIGH / 2;
	pthread_mutex_unlock(&st.mu);
	for (; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		st.unfinished--;
		j->done(j);
	}
	if (st.fatal) {
		log_warnx("store: the database is damaged; stopping so that "
		    "nothing more is lost.  Restore it from a backup.");
		exit(3);
	}
	if (!was_busy && st.resume != NULL)
		st.resume();
}

/* Called on the loop when the queue has room again. */
void
store_set_resume(void (*fn)(void))
{
	st.resume = fn;
}

/*
 * Remember a statement the writer thread keeps prepared (a static of the
 * calling module) so that store_close() finalizes it.
 */
void
store_keep_stmt(sqlite3_stmt **sp)
{
	if (st.nkept < (int)(sizeof st.kept / sizeof st.kept[0]))
		st.kept[st.nkept++] = sp;
}

/* Work the writer does while idle; fn returns 1 if there is more. */
void
store_set_idle_work(int (*fn)(sqlite3 *))
{
	st.idle_work = fn;
}

static int
store_open_conn(const char *path, int flags, sqlite3 **dbp, char **cause)
{
	int	rc;

	rc = sqlite3_open_v2(path, dbp, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path, *dbp != NULL ?
		    sqlite3_errmsg(*dbp) : sqlite3_errstr(rc));
		sqlite3_close(*dbp);
		*dbp = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(*dbp, 1);
	return 0;
}

/* Hand checkpoints to their own thread; 0, or -1 with *cause. */
static int
store_start_checkpointer(const char *path, char **cause)
{
	pthread_condattr_t	 ca;

	if (store_open_conn(path, SQLITE_OPEN_READWRITE, &st.ckdb, cause) !=
	    0)
		return -1;
	/* The timer must not follow the wall clock's jumps (T49). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&st.ckcv);
	pthread_cond_init(&st.ckcv, &ca);
	pthread_condattr_destroy(&ca);
	store_pragmas(st.ckdb, 0, NULL);
	if (pthread_create(&st.ckthread, NULL, store_checkpointer, NULL) !=
	    0) {
		xasprintf(cause, "cannot start the checkpoint thread: %s",
		    strerror(errno));
		return -1;
	}
	st.ckrunning = 1;
	/* Replaces the automatic checkpoint of the writer's commits. */
	sqlite3_wal_hook(st.wdb, store_wal_hook, NULL);
	return 0;
}

/*
 * Open DATA/lanchat.db: check it, migrate it, start the writer thread
 * and open the readers.  A damaged database or one from a newer version
 * is an error with a message; nothing is ever replaced or recreated.
 * Returns 0, or -1 with *cause.
 */
int
store_open(const char *datadir, int full, char **cause)
{
	pthread_condattr_t	 ca;
	char			 path[PATH_MAX], *why = NULL;
	int			 i, rc = SQLITE_OK, v;

	/* No global memory statistics: they take a mutex on every
	 * allocation SQLite makes, on every thread.  Refused (harmlessly)
	 * if SQLite was already initialized. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	snprintf(path, sizeof path, "%s/lanchat.db", datadir);
	st.path = xstrdup(path);
	st.full = full;
	st.qtail = &st.qhead;
	st.dtail = &st.dhead;
	if (store_open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &st.wdb, cause) != 0)
		return -1;
	/* Nothing is written before the file is known to be sound and
	 * ours: not even the switch to WAL, which rewrites the header. */
	if ((rc = store_pragmas(st.wdb, 1, &why)) != SQLITE_OK)
		goto bad;
	if ((rc = store_check(st.wdb, &why)) != SQLITE_OK)
		goto bad;
	if ((v = store_user_version(st.wdb)) > STORE_VERSION) {
		xasprintf(&why, "the database was written by a newer lanchat "
		    "(schema %d; this lanchatd knows up to %d); run a newer "
		    "lanchatd, or restore a backup made by this version", v,
		    STORE_VERSION);
		goto bad;
	}
	if ((rc = store_exec(st.wdb, "PRAGMA journal_mode=WAL", &why)) !=
	    SQLITE_OK)
		goto bad;
	if (store_migrate(st.wdb, &why) != 0)
		goto bad;
	if (store_load_prefix(st.wdb, &why) != 0)
		goto bad;
	if (store_mark_open(st.wdb, &why) != 0)
		goto bad;
	for (i = 0; i < STORE_READERS; i++) {
		/* Read-write with query_only, not SQLITE_OPEN_READONLY: a
		 * read-only connection may map the WAL index read-only and
		 * then never see what the writer commits after it opened. */
		if (store_open_conn(path, SQLITE_OPEN_READWRITE,
		    &st.readers[i], cause) != 0)
			return -1;
		store_pragmas(st.readers[i], 0, NULL);
		store_exec(st.readers[i], "PRAGMA query_only=1", NULL);
		history_conn_init(st.readers[i]);
		st.rfree[i] = 1;
	}
	if (store_start_checkpointer(path, cause) != 0)
		return -1;
	if (uv_async_init(uv_default_loop(), &st.async, store_async_cb) != 0) {
		xasprintf(cause, "uv_async_init failed");
		return -1;
	}
	st.async_open = 1;
	/* The writer's idle wait must not follow the wall clock's jumps. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&st.cv);
	pthread_cond_init(&st.cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&st.thread, NULL, store_writer, NULL) != 0) {
		xasprintf(cause, "cannot start the writer thread: %s",
		    strerror(errno));
		return -1;
	}
	st.running = 1;
	return 0;
bad:
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		xasprintf(cause, "%s: the database is damaged (%s).  The file "
		    "is left as it is: restore the last backup in its place "
		    "(lanchatd --data DIR backup FILE makes one while the "
		    "server runs)", path, why != NULL ? why :
		    sqlite3_errmsg(st.wdb));
	else
		xasprintf(cause, "%s: %s.  The file is left as it is", path,
		    why != NULL ? why : sqlite3_errmsg(st.wdb));
	free(why);
	sqlite3_close(st.wdb);
	st.wdb = NULL;
	return -1;
}

/*
 * Stop: let the writer finish everything queued, run the last done()
 * callbacks, close every connection.  Called on the loop at shutdown.
 */
void
store_close(void)
{
	int	i;

	if (st.running) {
		pthread_mutex_lock(&st.mu);
		st.stop = 1;
		pthread_cond_signal(&st.cv);
		pthread_mutex_unlock(&st.mu);
		pthread_join(st.thread, NULL);
		st.running = 0;
		store_async_cb(&st.async);
	}
	if (st.async_open) {
		uv_close((uv_handle_t *)&st.async, NULL);
		st.async_open = 0;
	}
	if (st.ckrunning) {
		pthread_mutex_lock(&st.ckmu);
		st.ckstop = 1;
		pthread_cond_signal(&st.ckcv);
		pthread_mutex_unlock(&st.ckmu);
		pthread_join(st.ckthread, NULL);
		st.ckrunning = 0;
		st.ckstop = 0;
		st.ckwant = 0;
		st.ckdirty = 0;
		st.ckdone = 0;
	}
	sqlite3_close(st.ckdb);
	st.ckdb = NULL;
	for (i = 0; i < STORE_READERS; i++) {
		sqlite3_close(st.readers[i]);
		st.readers[i] = NULL;
	}
	for (i = 0; i < st.nkept; i++) {
		sqlite3_finalize(*st.kept[i]);
		*st.kept[i] = NULL;
	}
	st.nkept = 0;
	if (st.wdb != NULL) {
		/* Closed cleanly: no id can have been lost (store_mark_open). */
		sqlite3_exec(st.wdb, "DELETE FROM meta WHERE key = 'open'",
		    NULL, NULL, NULL);
		/* A clean close checkpoints and removes the WAL. */
		sqlite3_close(st.wdb);
		st.wdb = NULL;
	}
	free(st.path);
	st.path = NULL;
}

/*
 * Queue a job for the writer.  Returns 0, or -1 when the queue is full
 * (the caller tells the user to try again; store_busy() lets callers
 * hold back before that happens).
 */
static int
store_enqueue(struct store_job *j, int single)
{
	j->single = single;
	pthread_mutex_lock(&st.mu);
	if (st.qlen >= STORE_QUEUE_MAX || !st.running || st.stop) {
		pthread_mutex_unlock(&st.mu);
		return -1;
	}
	j->next = NULL;
	j->status = SQLITE_OK;
	*st.qtail = j;
	st.qtail = &j->next;
	st.qlen++;
	pthread_cond_signal(&st.cv);
	pthread_mutex_unlock(&st.mu);
	st.unfinished++;
	return 0;
}

int
store_submit(struct store_job *j)
{
	return store_enqueue(j, 0);
}

/*
 * The same, for a job whose run() executes a single statement: it needs
 * no savepoint of its own, since SQLite undoes a failed statement by
 * itself, and the savepoint is most of the cost of a one-row job.
 */
int
store_submit_single(struct store_job *j)
{
	return store_enqueue(j, 1);
}

/* Is the writer behind far enough that senders should wait? */
int
store_busy(void)
{
	size_t	n;

	pthread_mutex_lock(&st.mu);
	n = st.qlen;
	pthread_mutex_unlock(&st.mu);
	return n >= STORE_QUEUE_HIGH;
}

size_t
store_queued(void)
{
	size_t	n;

	pthread_mutex_lock(&st.mu);
	n = st.qlen;
	pthread_mutex_unlock(&st.mu);
	return n;
}

/*
 * Jobs submitted whose done() has not run yet (queued, being written,
 * or written and waiting for the loop).  Loop thread only; the fuzzers
 * (fuzz/world.c) run the loop until it is 0.
 */
size_t
store_unfinished(void)
{
	return st.unfinished;
}

struct store_read_req {
	uv_work_t		 work;
	store_read_fn		 fn;
	store_read_done_fn	 done;
	void			*arg;
	int			 rc;
};

static sqlite3 *
store_reader_get(int *idx)
{
	int	i;

	pthread_mutex_lock(&st.rmu);
	for (i = 0; i < STORE_READERS; i++) {
		if (st.rfree[i]) {
			st.rfree[i] = 0;
			pthread_mutex_unlock(&st.rmu);
			*idx = i;
			return st.readers[i];
		}
	}
	pthread_mutex_unlock(&st.rmu);
	return NULL;
}

static void
store_reader_put(int idx)
{
	pthread_mutex_lock(&st.rmu);
	st.rfree[idx] = 1;
	pthread_mutex_unlock(&st.rmu);
}

static void
store_read_work(uv_work_t *w)
{
	struct store_read_req	*r = w->data;
	sqlite3			*db;
	int			 idx;

	/* The pool has as many threads as we have readers (libuv's default
	 * is 4), but Argon2 jobs share it, so a reader is always free. */
	if ((db = store_reader_get(&idx)) == NULL) {
		r->rc = SQLITE_BUSY;
		return;
	}
	r->rc = r->fn(db, r->arg);
	store_reader_put(idx);
}

/* Reads queued or running (loop thread only): store_close() waits. */
static unsigned int	store_reads;

unsigned int
store_reads_pending(void)
{
	return store_reads;
}

static void
store_read_after(uv_work_t *w, int status)
{
	struct store_read_req	*r = w->data;

	store_reads--;
	r->done(r->arg, status == 0 ? r->rc : SQLITE_ABORT);
	free(r);
}

/*
 * Run fn(db, arg) on a read-only connection off the loop; then done(arg,
 * rc) on the loop.  Returns 0 or -1.
 */
int
store_read(store_read_fn fn, store_read_done_fn done, void *arg)
{
	struct store_read_req	*r;

	r = xcalloc(1, sizeof *r);
	r->fn = fn;
	r->done = done;
	r->arg = arg;
	r->work.data = r;
	if (uv_queue_work(uv_default_loop(), &r->work, store_read_work,
	    store_read_after) != 0) {
		free(r);
		return -1;
	}
	store_reads++;
	return 0;
}

/* The same, on the calling thread (start-up, tools).  Returns fn's rc. */
int
store_read_sync(store_read_fn fn, void *arg)
{
	sqlite3	*db;
	int	 idx, rc;

	if ((db = store_reader_get(&idx)) == NULL)
		return SQLITE_BUSY;
	rc = fn(db, arg);
	store_reader_put(idx);
	return rc;
}

/*
 * For the command-line tools (lanchatd admin ...): open DATA/lanchat.db
 * for writing, beside a running server or without one.  It is never
 * created, checked in full or migrated here: a missing database, one
 * that no lanchatd has set up, or one from a newer lanchat is an error.
 * Returns 0 with *dbp, or -1 with *cause.
 */
int
store_open_tool(const char *datadir, sqlite3 **dbp, char **cause)
{
	char		 path[PATH_MAX];
	struct stat	 sb;
	int		 v;

	*dbp = NULL;
	snprintf(path, sizeof path, "%s/lanchat.db", datadir);
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			xasprintf(cause, "there is no database at %s (is "
			    "--data right?  lanchatd makes it when it first "
			    "starts)", path);
		else
			xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (store_open_conn(path, SQLITE_OPEN_READWRITE, dbp, cause) != 0)
		return -1;
	sqlite3_busy_timeout(*dbp, 5000);
	store_exec(*dbp, "PRAGMA foreign_keys=ON", NULL);
	v = store_user_version(*dbp);
	if (v < 0 || v > STORE_VERSION || v == 0) {
		if (v < 0 && access(datadir, W_OK) != 0)
			xasprintf(cause, "%s: %s: SQLite writes its index of "
			    "the log (lanchat.db-shm) there", datadir,
			    strerror(errno));
		else if (v < 0)
			xasprintf(cause, "%s: %s", path, sqlite3_errmsg(*dbp));
		else if (v == 0)
			xasprintf(cause, "%s is not a lanchat database yet "
			    "(start lanchatd once to set it up)", path);
		else
			xasprintf(cause, "%s was written by a newer lanchat "
			    "(schema %d; this lanchatd knows up to %d)", path,
			    v, STORE_VERSION);
		sqlite3_close(*dbp);
		*dbp = NULL;
		return -1;
	}
	return 0;
}

/*
 * lanchatd --data DIR backup FILE: a consistent copy of the live
 * database with SQLite's online backup API, whether or not the server
 * runs.  FILE must not exist.  Returns 0, or -1 with *cause.
 */
int
store_backup(const char *datadir, const char *dest, char **cause)
{
	char		 path[PATH_MAX], tmp[PATH_MAX];
	sqlite3		*src = NULL, *dst = NULL;
	sqlite3_backup	*b;
	int		 rc;
	struct stat	 sb;

	snprintf(path, sizeof path, "%s/lanchat.db", datadir);
	if (stat(path, &sb) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (access(dest, F_OK) == 0) {
		xasprintf(cause, "%s exists; give a new file name", dest);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.partial", dest);
	unlink(tmp);
	if (store_open_conn(path, SQLITE_OPEN_READONLY, &src, cause) != 0)
		return -1;
	sqlite3_busy_timeout(src, 10000);
	if (store_open_conn(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &dst, cause) != 0) {
		sqlite3_close(src);
		return -1;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		xasprintf(cause, "%s", sqlite3_errmsg(dst));
		goto fail;
	}
	/* One step copies every page inside one read transaction: the copy
	 * is the database as of one commit, whatever the writer does. */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CANTOPEN &&
		    access(datadir, W_OK) != 0)
			xasprintf(cause, "backup failed: %s: %s: SQLite writes "
			    "its index of the log (lanchat.db-shm) there",
			    datadir, strerror(errno));
		else
			xasprintf(cause, "backup failed: %s",
			    sqlite3_errstr(rc));
		goto fail;
	}
	if (store_check(dst, cause) != SQLITE_OK)
		goto fail;
	sqlite3_close(dst);
	sqlite3_close(src);
	if (rename(tmp, dest) != 0) {
		xasprintf(cause, "%s: %s", dest, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
fail:
	sqlite3_close(dst);
	sqlite3_close(src);
	unlink(tmp);
	return -1;
}
