/*
 * Channels and memberships.  A channel is created by its first JOIN and
 * freed when its last member leaves (a registered one stays; see
 * chanreg.c); it lives in srv.channels under its folded name.
 * Memberships are owned by this module: channel_join() makes one and puts
 * it in both arrays, channel_part() takes it out of both (swap with the
 * last element) and frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

struct channel *
channel_find(const char *name)
{
	char	fold[CASEMAP_FOLDSZ];

	if (casemap_fold(name, fold, sizeof fold) != 0)
		return NULL;
	return dict_get(&srv.channels, fold);
}

/* A new, empty channel (name and fold already checked). */
struct channel *
channel_new(const char *name, const char *fold)
{
	struct channel	*ch;

	ch = xcalloc(1, sizeof *ch);
	ch->name = xstrdup(name);
	ch->fold = xstrdup(fold);
	ch->created = time(NULL);
	ch->modes = CMODE_NOEXTERNAL | CMODE_TOPIC;
	dict_put(&srv.channels, ch->fold, ch);
	return ch;
}

static void
channel_list_free(struct chanlist *l)
{
	uint32_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].mask);
		free(l->v[i].fold);
		free(l->v[i].setter);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
channel_free(struct channel *ch)
{
	channel_list_free(&ch->bans);
	channel_list_free(&ch->excepts);
	channel_list_free(&ch->invex);
	for (int v = 0; v < 4; v++)
		buf_free(&ch->names[v]);
	free(ch->members);
	free(ch->access);
	free(ch->name);
	free(ch->fold);
	free(ch->topic);
	free(ch->topic_setter);
	free(ch->key);
	free(ch);
}

/* Put c in ch.  The caller has checked that it may join. */
struct membership *
channel_join(struct channel *ch, struct client *c)
{
	struct membership	*m;

	m = xcalloc(1, sizeof *m);
	m->client = c;
	m->chan = ch;
	if (ch->nmembers == ch->cap) {
		ch->cap = ch->cap == 0 ? 4 : ch->cap * 2;
		ch->members = xreallocarray(ch->members, ch->cap,
		    sizeof *ch->members);
	}
	m->cidx = ch->nmembers;
	ch->members[ch->nmembers++] = m;
	if (c->nchans == c->chancap) {
		c->chancap = c->chancap == 0 ? 4 : c->chancap * 2;
		c->chans = xreallocarray(c->chans, c->chancap,
		    sizeof *c->chans);
	}
	m->uidx = c->nchans;
	c->chans[c->nchans++] = m;
	return m;
}

/*
 * ch's cached NAMES no longer match its members (one left, changed nick
 * or status): the next NAMES builds it again.
 */
void
channel_names_stale(struct channel *ch)
{
	for (int v = 0; v < 4; v++) {
		buf_reset(&ch->names[v]);
		ch->names_n[v] = 0;
	}
}

/* Take m out of its channel and client, and free it (and an empty
 * channel). */
void
channel_part(struct membership *m)
{
	struct channel	*ch = m->chan;
	struct client	*c = m->client;

	ch->members[m->cidx] = ch->members[--ch->nmembers];
	ch->members[m->cidx]->cidx = m->cidx;
	c->chans[m->uidx] = c->chans[--c->nchans];
	c->chans[m->uidx]->uidx = m->uidx;
	free(m);
	channel_names_stale(ch);
	if (ch->nmembers == 0 && !ch->registered)
		channel_retire(ch);
}

/*
 * Take ch out of srv.channels (it is empty and not registered).  Events
 * still on their way to its former members hold references; the memory
 * goes with the last one.  A new channel of the same name is a new
 * struct, which those events never reach.
 */
void
channel_retire(struct channel *ch)
{
	if (ch->dead)
		return;
	ch->dead = 1;
	if (dict_get(&srv.channels, ch->fold) == ch)
		dict_del(&srv.channels, ch->fold);
	if (ch->refs == 0)
		channel_free(ch);
}

struct channel *
channel_ref(struct channel *ch)
{
	ch->refs++;
	return ch;
}

void
channel_unref(struct channel *ch)
{
	if (--ch->refs == 0 && ch->dead)
		channel_free(ch);
}

/* c's membership of ch, or NULL.  O(channels of c). */
struct membership *
channel_member(const struct channel *ch, const struct client *c)
{
	uint32_t	i;

	for (i = 0; i < c->nchans; i++)
		if (c->chans[i]->chan == ch)
			return c->chans[i];
	return NULL;
}

/* "@+" (multi-prefix) or the highest prefix only. */
const char *
channel_prefix(const struct membership *m, int multi)
{
	if ((m->modes & MEMBER_OP) && (m->modes & MEMBER_VOICE) && multi)
		return "@+";
	if (m->modes & MEMBER_OP)
		return "@";
	if (m->modes & MEMBER_VOICE)
		return "+";
	return "";
}

char
channel_prefix_char(const struct membership *m)
{
	if (m->modes & MEMBER_OP)
		return '@';
	if (m->modes & MEMBER_VOICE)
		return '+';
	return '\0';
}

/* The folded "nick!user@host" of c, which list masks are matched to. */
void
client_mask_fold(const struct client *c, char *out, size_t outsz)
{
	char	user[USERLEN * 4 + 1];

	if (casemap_fold(c->user != NULL ? c->user : "*", user,
	    sizeof user) != 0)
		strlcpy_u(user, "*", sizeof user);
	snprintf(out, outsz, "%s!%s@%s", c->fold != NULL ? c->fold : "*",
	    user, c->host);
}

static int
channel_list_match(const struct chanlist *l, const struct client *c)
{
	char		mask[NAME_MAX_BYTES + USERLEN * 4 + HOSTLEN + 8];
	char		afold[CASEMAP_FOLDSZ];
	uint32_t	i;

	if (l->n == 0)
		return 0;
	client_mask_fold(c, mask, sizeof mask);
	afold[0] = '\0';
	if (c->account != NULL &&
	    casemap_fold(c->account, afold, sizeof afold) != 0)
		afold[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (mask_match(l->v[i].fold, mask))
			return 1;
		/* $a:account extban: matches the logged-in account. */
		if (strncmp(l->v[i].fold, "$a:", 3) == 0 && afold[0] != '\0' &&
		    strcmp(l->v[i].fold + 3, afold) == 0)
			return 1;
	}
	return 0;
}

/* Is c banned from ch (+b matches and no +e does)? */
int
channel_is_banned(const struct channel *ch, const struct client *c)
{
	return channel_list_match(&ch->bans, c) &&
	    !channel_list_match(&ch->excepts, c);
}

/* Does an invite exception (+I) let c into an invite-only ch? */
int
channel_is_invexed(const struct channel *ch, const struct client *c)
{
	return channel_list_match(&ch->invex, c);
}

/* May c learn that ch exists and who is in it (+s hides it)? */
int
channel_can_see(const struct channel *ch, const struct client *c)
{
	if (!(ch->modes & CMODE_SECRET))
		return 1;
	return channel_member(ch, c) != NULL || (c->umodes & UMODE_OPER);
}

/*
 * "+ntk key" style mode string.  Parameters (key, limit) are shown only
 * with params set (members see the key; others do not).
 */
void
channel_modes_string(const struct channel *ch, int params, char *out,
    size_t outsz)
{
	char	flags[16], args[128];
	size_t	n = 0;

	flags[n++] = '+';
	if (ch->modes & CMODE_INVITE)
		flags[n++] = 'i';
	if (ch->key != NULL)
		flags[n++] = 'k';
	if (ch->limit > 0)
		flags[n++] = 'l';
	if (ch->modes & CMODE_MODERATED)
		flags[n++] = 'm';
	if (ch->modes & CMODE_NOEXTERNAL)
		flags[n++] = 'n';
	if (ch->modes & CMODE_SECRET)
		flags[n++] = 's';
	if (ch->modes & CMODE_TOPIC)
		flags[n++] = 't';
	flags[n] = '\0';
	args[0] = '\0';
	if (params) {
		if (ch->key != NULL && ch->limit > 0)
			snprintf(args, sizeof args, " %s %lld", ch->key,
			    ch->limit);
		else if (ch->key != NULL)
			snprintf(args, sizeof args, " %s", ch->key);
		else if (ch->limit > 0)
			snprintf(args, sizeof args, " %lld", ch->limit);
	}
	snprintf(out, outsz, "%s%s", flags, args);
}

/* The list behind mode letter b, e or I. */
struct chanlist *
channel_list(struct channel *ch, char mode)
{
	switch (mode) {
	case 'b':
		return &ch->bans;
	case 'e':
		return &ch->excepts;
	case 'I':
		return &ch->invex;
	}
	return NULL;
}

/*
 * Add mask (normalised by the caller) set by setter.  Returns 0, 1 if it
 * was already there, or -1 if the list is full.
 */
int
channel_list_add(struct chanlist *l, const char *mask, const char *setter)
{
	char		fold[CASEMAP_FOLDSZ * 2];
	uint32_t	i;

	if (casemap_fold(mask, fold, sizeof fold) != 0)
		return -1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].fold, fold) == 0)
			return 1;
	if (l->n >= (uint32_t)srv.cfg.max_list)
		return -1;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].mask = xstrdup(mask);
	l->v[l->n].fold = xstrdup(fold);
	l->v[l->n].setter = xstrdup(setter);
	l->v[l->n].set_at = time(NULL);
	l->n++;
	return 0;
}

/* Remove mask.  Returns 0, or -1 if it was not there. */
int
channel_list_del(struct chanlist *l, const char *mask)
{
	char		fold[CASEMAP_FOLDSZ * 2];
	uint32_t	i;

	if (casemap_fold(mask, fold, sizeof fold) != 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].fold, fold) != 0)
			continue;
		free(l->v[i].mask);
		free(l->v[i].fold);
		free(l->v[i].setter);
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) *
		    sizeof *l->v);
		l->n--;
		return 0;
	}
	return -1;
}
