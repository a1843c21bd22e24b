/*
 * The store: SQLite in DATA/lanchat.db (WAL), behind one interface.
 *
 * Writes go to one writer thread as jobs.  The thread takes every job
 * queued (up to STORE_BATCH_MAX), runs them in one transaction (each in
 * its own savepoint, so one failing job does not sink the others),
 * commits, and hands the batch back to the loop, which calls each job's
 * done() in submission order: group commit, and a message is committed
 * before anyone is told about it.  Reads run on libuv's thread pool with
 * read-only connections of their own.
 *
 * Each table has one owner module (account.c, history.c, marker.c,
 * chanreg.c, ...); nothing else
 * writes its SQL.
 */
#ifndef LANCHAT_STORE_H
#define LANCHAT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define STORE_BATCH_MAX		2000	/* jobs per transaction */
#define STORE_QUEUE_MAX		50000	/* jobs waiting for the writer */
#define STORE_QUEUE_HIGH	20000	/* past this, senders are held back */
#define STORE_READERS		4	/* read-only connections */

struct store_job;
typedef int	(*store_run_fn)(sqlite3 *, struct store_job *);
typedef void	(*store_done_fn)(struct store_job *);

/*
 * Embed this at the start of a job struct.  run() executes on the writer
 * thread and returns an SQLite result code; done() runs on the loop
 * thread with status set (SQLITE_OK, or why the job or its batch failed)
 * and frees the job.
 */
struct store_job {
	struct store_job	*next;
	store_run_fn		 run;
	store_done_fn		 done;
	int			 status;
	int			 single;	/* run() is one statement */
};

typedef int	(*store_read_fn)(sqlite3 *, void *);
typedef void	(*store_read_done_fn)(void *, int);

int	 store_open(const char *, int, char **);
void	 store_close(void);
int	 store_submit(struct store_job *);
int	 store_submit_single(struct store_job *);
int	 store_busy(void);
size_t	 store_queued(void);
size_t	 store_unfinished(void);
int	 store_read(store_read_fn, store_read_done_fn, void *);
int	 store_read_sync(store_read_fn, void *);
int	 store_backup(const char *, const char *, char **);
int	 store_open_tool(const char *, sqlite3 **, char **);
const char *store_strerror(int);
int	 store_is_temporary(int);
const char *store_msgid_prefix(void);
unsigned int store_reads_pending(void);
void	 store_set_msgid_prefix(const char *);
void	 store_set_resume(void (*)(void));
void	 store_set_idle_work(int (*)(sqlite3 *));
void	 store_keep_stmt(sqlite3_stmt **);

#endif
