/*
 * powercut.so: an LD_PRELOAD for battery row T41 (test_battery_b.py).
 * It keeps, for lanchat.db and lanchat.db-wal, a copy of what the disk
 * is sure to hold: each time the server flushes one of them (fsync or
 * fdatasync), the whole file is copied to $POWERCUT_DIR.  After a
 * kill -9, putting those copies back in place is the state a power cut
 * at that moment could leave: every write since the file's last flush
 * lost (the pessimistic case; a real disk may keep some of them, which
 * SQLite's checksums are there for).
 */
#define _GNU_SOURCE
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;

static void
powercut_keep(int fd)
{
	const char	*dir, *base;
	char		 link[64], path[4096], tmp[4200], dst[4200];
	ssize_t		 n, k;
	struct stat	 sb;
	off_t		 off = 0;
	int		 out;

	if ((dir = getenv("POWERCUT_DIR")) == NULL)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) < 0)
		return;
	path[n] = '\0';
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if (strcmp(base, "lanchat.db") != 0 &&
	    strcmp(base, "lanchat.db-wal") != 0)
		return;
	if (fstat(fd, &sb) != 0)
		return;
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, base);
	snprintf(dst, sizeof dst, "%s/%s", dir, base);
	pthread_mutex_lock(&mu);
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
		while (off < sb.st_size) {
			k = sendfile(out, fd, &off, sb.st_size - off);
			if (k <= 0)
				break;
		}
		close(out);
		if (off == sb.st_size)
			rename(tmp, dst);
	}
	pthread_mutex_unlock(&mu);
}

int
fsync(int fd)
{
	static int	(*real)(int);
	int		 rc;

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if ((rc = real(fd)) == 0)
		powercut_keep(fd);
	return rc;
}

int
fdatasync(int fd)
{
	static int	(*real)(int);
	int		 rc;

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if ((rc = real(fd)) == 0)
		powercut_keep(fd);
	return rc;
}
