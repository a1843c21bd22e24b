/*
 * Desktop notifications for private messages and mentions: notify-send
 * (libnotify-bin), when it is installed and there is a desktop session
 * to show them in (not over a bare SSH login).  The bell is ui_bell();
 * this module only runs the helper: fork and exec, no shell, so that
 * nothing in a message is ever interpreted, its output thrown away so
 * that it cannot draw over the screen, and the children reaped from the
 * loop.
 */
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lanchat.h"
#include "util.h"

static char	notify_path[LC_PATH_MAX];

/* Find notify-send, if a desktop session is there to use it. */
void
notify_init(void)
{
	const char	*path = getenv("PATH"), *p, *e;
	char		 cand[LC_PATH_MAX];
	size_t		 n;

	notify_path[0] = '\0';
	if (getenv("LANCHAT_NO_NOTIFY") != NULL || (getenv("DISPLAY") ==
	    NULL && getenv("WAYLAND_DISPLAY") == NULL &&
	    getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) || path == NULL)
		return;
	for (p = path; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ":");
		n = e - p;
		if (n == 0 || n + 13 >= sizeof cand)
			continue;
		snprintf(cand, sizeof cand, "%.*s/notify-send", (int)n, p);
		if (access(cand, X_OK) == 0) {
			strlcpy_u(notify_path, cand, sizeof notify_path);
			return;
		}
	}
}

/* Show title and body on the desktop (when we can). */
void
notify_event(const char *title, const char *body)
{
	pid_t	pid;
	int	fd;
	char	b[300];

	if (notify_path[0] == '\0')
		return;
	strlcpy_u(b, body, sizeof b);
	if ((pid = fork()) != 0)
		return;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl(notify_path, "notify-send", "--app-name=lanchat", "--", title, b,
	    (char *)NULL);
	_exit(127);
}

/* Reap finished helpers. */
void
notify_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}
