/*
 * The MONITOR tables.  struct watch is owned here: created when the first
 * client watches a nick, freed when the last one stops.  The strings in
 * client->monitor are owned by the client and are the same text as the
 * watch key, but a separate copy, so either side can go first.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "dict.h"
#include "monitor.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "xmalloc.h"

struct watch {
	char		 *fold;
	struct client	**v;
	uint32_t	  n, cap;
};

static struct dict	monitor_watches;

/* c starts watching fold.  Returns 0, or -1 if it already was. */
int
monitor_add(struct client *c, const char *fold)
{
	struct watch	*w;
	uint32_t	 i;

	for (i = 0; i < c->nmonitor; i++)
		if (strcmp(c->monitor[i], fold) == 0)
			return -1;
	if ((w = dict_get(&monitor_watches, fold)) == NULL) {
		w = xcalloc(1, sizeof *w);
		w->fold = xstrdup(fold);
		dict_put(&monitor_watches, w->fold, w);
	}
	if (w->n == w->cap) {
		w->cap = w->cap == 0 ? 4 : w->cap * 2;
		w->v = xreallocarray(w->v, w->cap, sizeof *w->v);
	}
	w->v[w->n++] = c;
	c->monitor = xreallocarray(c->monitor, c->nmonitor + 1,
	    sizeof *c->monitor);
	c->monitor[c->nmonitor++] = xstrdup(fold);
	return 0;
}

static void
monitor_unwatch(struct client *c, const char *fold)
{
	struct watch	*w;
	uint32_t	 i;

	if ((w = dict_get(&monitor_watches, fold)) == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		if (w->v[i] == c) {
			w->v[i] = w->v[--w->n];
			break;
		}
	}
	if (w->n == 0) {
		dict_del(&monitor_watches, w->fold);
		free(w->fold);
		free(w->v);
		free(w);
	}
}

/* c stops watching fold.  Returns 0, or -1 if it was not. */
int
monitor_del(struct client *c, const char *fold)
{
	uint32_t	i;

	for (i = 0; i < c->nmonitor; i++) {
		if (strcmp(c->monitor[i], fold) == 0) {
			monitor_unwatch(c, fold);
			free(c->monitor[i]);
			c->monitor[i] = c->monitor[--c->nmonitor];
			return 0;
		}
	}
	return -1;
}

void
monitor_clear(struct client *c)
{
	uint32_t	i;

	for (i = 0; i < c->nmonitor; i++) {
		monitor_unwatch(c, c->monitor[i]);
		free(c->monitor[i]);
	}
	free(c->monitor);
	c->monitor = NULL;
	c->nmonitor = 0;
}

/* c is now online under its nick: tell its watchers (730). */
void
monitor_signon(struct client *c)
{
	struct watch	*w;
	uint32_t	 i;

	if ((w = dict_get(&monitor_watches, c->fold)) == NULL)
		return;
	for (i = 0; i < w->n; i++)
		if (w->v[i] != c)
			reply_num(w->v[i], RPL_MONONLINE, client_prefix(c));
}

/* The nick is gone (quit or changed): tell its watchers (731). */
void
monitor_signoff(const char *nick, const char *fold)
{
	struct watch	*w;
	uint32_t	 i;

	if ((w = dict_get(&monitor_watches, fold)) == NULL)
		return;
	for (i = 0; i < w->n; i++)
		reply_num(w->v[i], RPL_MONOFFLINE, nick);
}

/* Send f to the watchers of fold that negotiated cap. */
void
monitor_fanout(struct fanout *f, const char *fold, int cap)
{
	struct watch	*w;
	uint32_t	 i;

	if ((w = dict_get(&monitor_watches, fold)) == NULL)
		return;
	for (i = 0; i < w->n; i++)
		fanout_send_cap(f, w->v[i], cap);
}
