/*
 * What glibc's <sys/queue.h> lacks and the BSDs have (tmux compat/).
 */
#ifndef LANCHAT_COMPAT_H
#define LANCHAT_COMPAT_H

#include <sys/queue.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#endif
