/*
 * The command-line subcommands (see admin.h).  They open DATA/lanchat.db
 * with SQLite directly (store_open_tool: never created, never migrated,
 * a busy timeout so that a running server's commits only delay them),
 * make their change in one transaction through the module that owns the
 * table (account.c for accounts, irc_admin.c for bans), and print what
 * they did.
 *
 * A running server holds an exclusive lock on DATA/lanchatd.pid (main.c
 * main_lock).  When that lock is held, a change is followed by SIGHUP to
 * the pid written in the file: the server then reads the account flags
 * and the bans again and applies them to whoever is connected.  When it
 * is not held, the server reads them when it next starts.
 *
 * Exit status: 0 done (or nothing to do), 1 the change could not be made
 * (no such account, no database, a database error), 2 a usage error.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "admin.h"
#include "irc.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static const char admin_usage[] =
    "usage: lanchatd [--data DIR] backup FILE\n"
    "       lanchatd [--data DIR] admin add NAME        make an account "
    "an administrator\n"
    "       lanchatd [--data DIR] admin del NAME        take the role "
    "away\n"
    "       lanchatd [--data DIR] admin list            administrators, "
    "suspended and\n"
    "                                                   waiting accounts\n"
    "       lanchatd [--data DIR] admin approve NAME    let in an account "
    "(--registration\n"
    "                                                   approval)\n"
    "       lanchatd [--data DIR] admin suspend NAME    lock an account "
    "out\n"
    "       lanchatd [--data DIR] admin unsuspend NAME  let it in again\n"
    "       lanchatd [--data DIR] admin bans            address bans\n"
    "       lanchatd [--data DIR] admin unban ADDRESS[/PREFIX]\n";

/* One account subcommand: the flags it sets and clears, what it says. */
struct admin_flag_cmd {
	const char	*name;
	unsigned int	 set, clear;
	const char	*done;		/* "<name> is now ..." */
	const char	*already;	/* "<name> is ... already" */
};

static const struct admin_flag_cmd admin_flag_cmds[] = {
	{ "add", ACCOUNT_ADMIN, 0, "is now an administrator",
	  "is an administrator already" },
	{ "del", 0, ACCOUNT_ADMIN, "is no longer an administrator",
	  "is not an administrator" },
	{ "approve", 0, ACCOUNT_PENDING, "is approved and may log in",
	  "does not wait for approval" },
	{ "suspend", ACCOUNT_SUSPENDED, 0, "is suspended: its sessions end "
	  "and it cannot log in", "is suspended already" },
	{ "unsuspend", 0, ACCOUNT_SUSPENDED, "is no longer suspended",
	  "is not suspended" },
};
#define ADMIN_NFLAG_CMDS	(sizeof admin_flag_cmds / \
				    sizeof admin_flag_cmds[0])

/*
 * Tell a running server to read the database again.  The lock test
 * takes a shared lock for an instant: it fails only while a server holds
 * its exclusive one.
 */
static void
admin_notify(const char *datadir)
{
	char	*path, buf[32];
	int	 fd, n;
	long	 pid;

	xasprintf(&path, "%s/lanchatd.pid", datadir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || flock(fd, LOCK_SH | LOCK_NB) == 0) {
		if (fd != -1)
			close(fd);
		free(path);
		printf("The server is not running; it reads the change when "
		    "it starts.\n");
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 1) {
		fprintf(stderr, "lanchatd: a server runs but %s holds no pid; "
		    "send it SIGHUP yourself\n", path);
		free(path);
		return;
	}
	free(path);
	if (kill((pid_t)pid, SIGHUP) != 0) {
		fprintf(stderr, "lanchatd: cannot signal the running server "
		    "(pid %ld): %s; send it SIGHUP yourself\n", pid,
		    strerror(errno));
		return;
	}
	printf("Told the running server (pid %ld).\n", pid);
}

static void
admin_list_cb(void *arg, const char *name, unsigned int flags)
{
	int	*n = arg;

	printf("  %-32s %s%s%s\n", name,
	    (flags & ACCOUNT_ADMIN) ? "administrator " : "",
	    (flags & ACCOUNT_SUSPENDED) ? "suspended " : "",
	    (flags & ACCOUNT_PENDING) ? "waiting-for-approval" : "");
	(*n)++;
}

static void
admin_bans_cb(void *arg, const char *mask, const char *reason,
    const char *setter, uint64_t set_at)
{
	int		*n = arg;
	char		 date[32];
	time_t		 t = (time_t)(set_at / 1000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
	printf("  %-24s by %s on %s: %s\n", mask, setter, date, reason);
	(*n)++;
}

/* lanchatd admin ...; argv[0] is "admin". */
static int
admin_accounts(const char *datadir, int argc, char **argv)
{
	const struct admin_flag_cmd	*fc = NULL;
	sqlite3				*db;
	char				*cause = NULL, *shown = NULL;
	unsigned int			 old, now;
	size_t				 i;
	int				 n = 0, r, want;

	if (argc < 2) {
		fputs(admin_usage, stderr);
		return 2;
	}
	for (i = 0; i < ADMIN_NFLAG_CMDS; i++)
		if (strcmp(argv[1], admin_flag_cmds[i].name) == 0)
			fc = &admin_flag_cmds[i];
	if (fc != NULL || strcmp(argv[1], "unban") == 0)
		want = 3;
	else if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "bans") == 0)
		want = 2;
	else
		want = -1;
	if (argc != want) {
		fprintf(stderr, "lanchatd: admin %s: wrong arguments\n",
		    argv[1]);
		fputs(admin_usage, stderr);
		return 2;
	}
	if (store_open_tool(datadir, &db, &cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		return 1;
	}
	if (strcmp(argv[1], "list") == 0) {
		printf("Accounts with a role or a restriction:\n");
		r = account_db_each(db, ACCOUNT_ADMIN | ACCOUNT_SUSPENDED |
		    ACCOUNT_PENDING, admin_list_cb, &n, &cause);
		if (r == 0 && n == 0)
			printf("  (none)\n");
	} else if (strcmp(argv[1], "bans") == 0) {
		printf("Address bans:\n");
		r = irc_admin_db_bans(db, admin_bans_cb, &n, &cause);
		if (r == 0 && n == 0)
			printf("  (none)\n");
	} else if (strcmp(argv[1], "unban") == 0) {
		if ((r = irc_admin_db_unban(db, argv[2], &cause)) == 0) {
			printf("The ban on %s is lifted.\n", argv[2]);
			admin_notify(datadir);
		}
	} else {
		r = account_db_set_flags(db, argv[2], fc->set, fc->clear, &old,
		    &now, &shown, &cause);
		if (r == 0 && old == now)
			printf("%s %s.\n", shown, fc->already);
		else if (r == 0) {
			printf("%s %s.\n", shown, fc->done);
			admin_notify(datadir);
		}
		free(shown);
	}
	sqlite3_close(db);
	if (r != 0) {
		fprintf(stderr, "lanchatd: admin %s: %s\n", argv[1], cause);
		free(cause);
		return 1;
	}
	return 0;
}

/* lanchatd backup FILE: SQLite's online backup, server running or not. */
static int
admin_backup(const char *datadir, int argc, char **argv)
{
	char	*cause = NULL;

	if (argc != 2) {
		fputs(admin_usage, stderr);
		return 2;
	}
	if (store_backup(datadir, argv[1], &cause) != 0) {
		fprintf(stderr, "lanchatd: backup: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("Backup of %s/lanchat.db written to %s (integrity checked).\n",
	    datadir, argv[1]);
	return 0;
}

/*
 * Run the subcommand in argv (argc words after the options) on the data
 * directory datadir.  Returns the exit status.
 */
int
admin_main(const char *datadir, int argc, char **argv)
{
	if (strcmp(argv[0], "backup") == 0)
		return admin_backup(datadir, argc, argv);
	if (strcmp(argv[0], "admin") == 0)
		return admin_accounts(datadir, argc, argv);
	fprintf(stderr, "lanchatd: unknown command '%s'\n", argv[0]);
	fputs(admin_usage, stderr);
	return 2;
}
