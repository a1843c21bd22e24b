/*
 * The WHOWAS ring: WHOWAS_MAX entries, the oldest overwritten first.
 * Entries own copies of their strings.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "lc_limits.h"
#include "whowas.h"
#include "xmalloc.h"

static struct whowas	whowas_ring[WHOWAS_MAX];
static unsigned		whowas_next;

static void
whowas_free_entry(struct whowas *w)
{
	free(w->nick);
	free(w->fold);
	free(w->user);
	free(w->host);
	free(w->realname);
	free(w->account);
	memset(w, 0, sizeof *w);
}

/* Remember c as it is now (it is quitting or changing nick). */
void
whowas_add(const struct client *c)
{
	struct whowas	*w = &whowas_ring[whowas_next];

	if (c->nick == NULL || c->user == NULL)
		return;
	whowas_free_entry(w);
	w->nick = xstrdup(c->nick);
	w->fold = xstrdup(c->fold);
	w->user = xstrdup(c->user);
	w->host = xstrdup(c->host);
	w->realname = xstrdup(c->realname != NULL ? c->realname : "");
	w->account = c->account != NULL ? xstrdup(c->account) : NULL;
	w->when = time(NULL);
	whowas_next = (whowas_next + 1) % WHOWAS_MAX;
}

/*
 * Call fn for up to max entries (max <= 0: all) for the folded nick,
 * newest first.  Returns how many were found.
 */
int
whowas_find(const char *fold, int max, void (*fn)(const struct whowas *,
    void *), void *arg)
{
	unsigned	i, idx;
	int		found = 0;

	for (i = 0; i < WHOWAS_MAX; i++) {
		idx = (whowas_next + WHOWAS_MAX - 1 - i) % WHOWAS_MAX;
		if (whowas_ring[idx].fold == NULL ||
		    strcmp(whowas_ring[idx].fold, fold) != 0)
			continue;
		fn(&whowas_ring[idx], arg);
		if (++found == max && max > 0)
			break;
	}
	return found;
}

void
whowas_clear(void)
{
	unsigned	i;

	for (i = 0; i < WHOWAS_MAX; i++)
		whowas_free_entry(&whowas_ring[i]);
}
