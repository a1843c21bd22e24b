/*
 * Allocation that never returns NULL.  On out-of-memory the process logs
 * and aborts (tmux, Redis): a chat server that limps on with half its state
 * is worse than one that restarts.  Sizes that come from the network are
 * checked against the limits in lc_limits.h before they reach these functions.
 */
#ifndef LANCHAT_XMALLOC_H
#define LANCHAT_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 xvasprintf(char **, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
