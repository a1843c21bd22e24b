/*
 * Channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE
 * (RFC 2812 3.2, modern.ircdocs.horse "Channel Operations", IRCv3
 * extended-join, invite-notify, multi-prefix, userhost-in-names,
 * no-implicit-names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "casemap.h"
#include "autojoin.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "line.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "util.h"
#include "xmalloc.h"

/* Count the comma-separated items of s. */
static int
irc_count_list(const char *s)
{
	int	n = 1;

	for (; *s != '\0'; s++)
		if (*s == ',')
			n++;
	return n;
}

/* The history row of a channel event (event-playback). */
struct hist_row *
irc_chan_row(struct event *ev, struct channel *ch)
{
	struct hist_row	*r = event_row(ev);

	r->target = xstrdup(ch->fold);
	r->tname = xstrdup(ch->name);
	return r;
}

static void	irc_join_after(struct event *);

/* One 353 line, as built: no format to run it through again. */
static void
irc_names_line(struct client *c, const struct buf *b)
{
	struct line	*l = line_new(b->data, b->len);

	client_send(c, l);
	line_unref(l);
}

/* One member's NAMES item, appended to b (space-separated). */
static void
irc_names_item(struct buf *b, const struct membership *m, int multi,
    int uhnames)
{
	if (b->len > 0)
		buf_addch(b, ' ');
	buf_addstr(b, channel_prefix(m, multi));
	buf_addstr(b, uhnames ? client_prefix(m->client) : m->client->nick);
}

/*
 * Send NAMES for ch to c (353 lines, then 366).  A member sees everyone:
 * its list comes from the channel's cache, which each join extends by
 * one item, so that 2,000 people joining one after another do not make
 * 2,000 walks over every member.  Others see the visible members only.
 */
void
irc_names(struct client *c, struct channel *ch)
{
	struct buf		 line, all, *items;
	struct membership	*m;
	uint32_t		 i;
	size_t			 head, n;
	int			 multi = client_has_cap(c, CAP_MULTI_PREFIX);
	int			 uhnames = client_has_cap(c,
				    CAP_USERHOST_IN_NAMES);
	int			 v = multi | uhnames << 1;
	const char		*sym = (ch->modes & CMODE_SECRET) ? "@" : "=";
	const char		*p, *end, *cut;

	buf_init(&all);
	if (channel_member(ch, c) != NULL) {
		items = &ch->names[v];
		for (i = ch->names_n[v]; i < ch->nmembers; i++)
			irc_names_item(items, ch->members[i], multi, uhnames);
		ch->names_n[v] = ch->nmembers;
	} else {
		items = &all;
		for (i = 0; i < ch->nmembers; i++) {
			m = ch->members[i];
			if ((m->client->umodes & UMODE_INVISIBLE) &&
			    m->client != c)
				continue;
			irc_names_item(items, m, multi, uhnames);
		}
	}
	buf_init(&line);
	buf_printf(&line, ":%s 353 %s %s %s :", srv.name, client_name(c),
	    sym, ch->name);
	head = line.len;
	/* Lines of at most 500 bytes, cut between items (an item longer
	 * than that goes alone). */
	/* Nobody to show (every member invisible): an empty buffer has
	 * no data, and NULL + 0 is undefined (found by fuzz_session). */
	p = items->len > 0 ? items->data : "";
	end = p + items->len;
	while (p < end) {
		n = (size_t)(end - p);
		if (head + n > 500) {
			cut = p + (500 > head ? 500 - head : 0);
			while (cut > p && *cut != ' ')
				cut--;
			if (cut == p && (cut = memchr(p, ' ', n)) == NULL)
				cut = end;
			n = (size_t)(cut - p);
		}
		line.len = head;
		buf_add(&line, p, n);
		irc_names_line(c, &line);
		p += n;
		while (p < end && *p == ' ')
			p++;
	}
	reply_num(c, RPL_ENDOFNAMES, ch->name);
	buf_free(&line);
	buf_free(&all);
}

/* RPL_TOPIC and RPL_TOPICWHOTIME for ch; RPL_NOTOPIC too if always. */
void
irc_send_topic(struct client *c, struct channel *ch, int always)
{
	if (ch->topic == NULL) {
		if (always)
			reply_num(c, RPL_NOTOPIC, ch->name);
		return;
	}
	reply_num(c, RPL_TOPIC, ch->name, ch->topic);
	reply_num(c, RPL_TOPICWHOTIME, ch->name, ch->topic_setter,
	    (unsigned long long)ch->topic_time);
}

/* The reason c may not join ch (a numeric), or 0 if it may. */
static int
irc_join_check(struct client *c, struct channel *ch, const char *key)
{
	int	invited = client_has_invite(c, ch->fold);

	/* An operator by account runs the channel: it passes (chanreg.c). */
	if (chanreg_access(ch, c) & MEMBER_OP)
		return 0;
	if (ch->key != NULL && (key == NULL || strcmp(key, ch->key) != 0))
		return 475;
	if (ch->limit > 0 && ch->nmembers >= (uint64_t)ch->limit && !invited)
		return 471;
	if ((ch->modes & CMODE_INVITE) && !invited &&
	    !channel_is_invexed(ch, c))
		return 473;
	if (channel_is_banned(ch, c) && !invited)
		return 474;
	return 0;
}

/* JOIN one channel, with every check JOIN makes (also for autojoin). */
void
irc_join_channel(struct client *c, const char *name, const char *key)
{
	char			 fold[CASEMAP_FOLDSZ], why[160];
	struct channel		*ch;
	struct membership	*m;
	struct event		*ev;
	struct hist_row		*r;
	int			 err, created = 0;

	if (name[0] != '#') {
		reply_num(c, ERR_NOSUCHCHANNEL, reply_param(name));
		return;
	}
	if (casemap_check_channel(name, fold, sizeof fold, why, sizeof why) !=
	    CASEMAP_OK) {
		reply_num(c, ERR_BADCHANNAME, reply_param(name), why);
		reply_fail(c, "JOIN", "INVALID_CHANNEL_NAME", reply_param(name), "%s", why);
		return;
	}
	ch = dict_get(&srv.channels, fold);
	if (ch != NULL && channel_member(ch, c) != NULL)
		return;
	if (c->nchans >= (uint64_t)srv.cfg.chanlimit) {
		reply_num(c, ERR_TOOMANYCHANNELS, reply_param(name));
		return;
	}
	if (ch != NULL && (err = irc_join_check(c, ch, key)) != 0) {
		switch (err) {
		case 475:
			reply_num(c, ERR_BADCHANNELKEY, ch->name);
			break;
		case 471:
			reply_num(c, ERR_CHANNELISFULL, ch->name);
			break;
		case 473:
			reply_num(c, ERR_INVITEONLYCHAN, ch->name);
			break;
		default:
			reply_num(c, ERR_BANNEDFROMCHAN, ch->name);
			break;
		}
		return;
	}
	if (ch == NULL) {
		ch = channel_new(name, fold);
		created = 1;
	}
	m = channel_join(ch, c);
	autojoin_joined(c, ch);
	if (created) {
		m->modes |= MEMBER_OP;	/* the first to join runs it */
		channel_names_stale(ch);
		chanreg_created(ch, c);	/* and keeps it, if logged in */
	}
	client_del_invite(c, ch->fold);

	ev = event_new(c, HIST_JOIN, AUD_SELF | AUD_CHANNEL);
	m->seq = ev->seq;	/* it hears what comes after its JOIN */
	event_set_channel(ev, ch);
	ev->alt_cap = CAP_EXTENDED_JOIN;
	event_text(ev, 0, ":%s JOIN %s", client_prefix(c), ch->name);
	event_text(ev, 1, ":%s JOIN %s %s :%s", client_prefix(c), ch->name,
	    c->account != NULL ? c->account : "*", c->realname);
	r = irc_chan_row(ev, ch);
	r->body = xstrdup(c->realname);
	r->extra = xstrdup(c->account != NULL ? c->account : "*");
	ev->after = irc_join_after;
	event_submit(ev);
	if (!created)
		chanreg_joined(ch, m);	/* status by account, after the JOIN */
}

/*
 * After the JOIN went out: members with away-notify learn that the
 * newcomer is away, and every session of the newcomer gets the topic and
 * the member list, as its capabilities want them.
 */
static void
irc_join_after(struct event *ev)
{
	struct client	*c = ev->from;
	struct channel	*ch = ev->chan;
	struct session	*s, *was;
	struct fanout	 f;

	if (c == NULL || (c->flags & CLIENT_QUIT) || ch->dead ||
	    channel_member(ch, c) == NULL)
		return;
	if (c->away != NULL) {
		fanout_init(&f, c);
		f.need_cap = CAP_AWAY_NOTIFY;
		fanout_text(&f, 0, ":%s AWAY :%s", client_prefix(c), c->away);
		fanout_channel(&f, ch, c, 0);
		fanout_done(&f);
	}
	was = c->cur;
	TAILQ_FOREACH(s, &c->sessions, sib) {
		c->cur = s;
		irc_marker_join(c, ch);
		irc_send_topic(c, ch, 0);
		if (!session_has_cap(s, CAP_NO_IMPLICIT_NAMES))
			irc_names(c, ch);
	}
	c->cur = was;
}

/* Leave ch with a PART seen by every member. */
static void
irc_part_one(struct client *c, struct membership *m, const char *reason)
{
	struct event	*ev;
	struct hist_row	*r;

	ev = event_new(c, HIST_PART, AUD_SELF | AUD_CHANNEL);
	event_set_channel(ev, m->chan);
	if (reason != NULL)
		event_text(ev, 0, ":%s PART %s :%s", client_prefix(c),
		    m->chan->name, reason);
	else
		event_text(ev, 0, ":%s PART %s", client_prefix(c),
		    m->chan->name);
	r = irc_chan_row(ev, m->chan);
	if (reason != NULL)
		r->body = xstrdup(reason);
	autojoin_left(c, m->chan);
	channel_part(m);
	event_submit(ev);
}

int
cmd_join(struct client *c, struct msg *m)
{
	char	 chans[LINE_MAX_BODY], keys[LINE_MAX_BODY];
	char	*cp, *kp, *name, *key;

	if (strcmp(m->params[0], "0") == 0) {
		while (c->nchans > 0)
			irc_part_one(c, c->chans[c->nchans - 1],
			    "Left all channels");
		return 0;
	}
	if (irc_count_list(m->params[0]) > srv.cfg.max_targets) {
		reply_num(c, ERR_TOOMANYTARGETS, reply_param(m->params[0]),
		    (int)srv.cfg.max_targets);
		return 0;
	}
	strlcpy_u(chans, m->params[0], sizeof chans);
	strlcpy_u(keys, m->nparams > 1 ? m->params[1] : "", sizeof keys);
	cp = chans;
	kp = keys;
	while ((name = strsep(&cp, ",")) != NULL) {
		key = kp != NULL ? strsep(&kp, ",") : NULL;
		if (*name == '\0')
			continue;
		irc_join_channel(c, name, key != NULL && *key != '\0' ? key :
		    NULL);
	}
	return 0;
}

int
cmd_part(struct client *c, struct msg *m)
{
	char			 chans[LINE_MAX_BODY], *cp, *name;
	char			 reason[KICKLEN * 4 + 1];
	struct channel		*ch;
	struct membership	*mb;
	const char		*r = NULL;

	if (irc_count_list(m->params[0]) > srv.cfg.max_targets) {
		reply_num(c, ERR_TOOMANYTARGETS, reply_param(m->params[0]),
		    (int)srv.cfg.max_targets);
		return 0;
	}
	if (m->nparams > 1 && m->params[1][0] != '\0') {
		strlcpy_u(reason, m->params[1], sizeof reason);
		reason[utf8_truncate(reason, KICKLEN)] = '\0';
		r = reason;
	}
	strlcpy_u(chans, m->params[0], sizeof chans);
	for (cp = chans; (name = strsep(&cp, ",")) != NULL;) {
		if (*name == '\0')
			continue;
		if ((ch = channel_find(name)) == NULL) {
			reply_num(c, ERR_NOSUCHCHANNEL, reply_param(name));
			continue;
		}
		if ((mb = channel_member(ch, c)) == NULL) {
			reply_num(c, ERR_NOTONCHANNEL, ch->name);
			continue;
		}
		irc_part_one(c, mb, r);
	}
	return 0;
}

int
cmd_topic(struct client *c, struct msg *m)
{
	struct channel		*ch;
	struct membership	*mb;
	struct event		*ev;
	char			 topic[TOPICLEN * 4 + 1];

	if ((ch = channel_find(m->params[0])) == NULL ||
	    !channel_can_see(ch, c)) {
		reply_num(c, ERR_NOSUCHCHANNEL, reply_param(m->params[0]));
		return 0;
	}
	mb = channel_member(ch, c);
	if (m->nparams < 2) {
		irc_send_topic(c, ch, 1);
		return 0;
	}
	if (mb == NULL) {
		reply_num(c, ERR_NOTONCHANNEL, ch->name);
		return 0;
	}
	if ((ch->modes & CMODE_TOPIC) && !(mb->modes & MEMBER_OP) &&
	    !(c->umodes & UMODE_OPER)) {
		reply_num(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return 0;
	}
	strlcpy_u(topic, m->params[1], sizeof topic);
	topic[utf8_truncate(topic, TOPICLEN)] = '\0';
	free(ch->topic);
	free(ch->topic_setter);
	ch->topic = topic[0] != '\0' ? xstrdup(topic) : NULL;
	ch->topic_setter = xstrdup(client_prefix(c));
	ch->topic_time = time(NULL);
	ev = event_new(c, HIST_TOPIC, AUD_SELF | AUD_CHANNEL);
	event_set_channel(ev, ch);
	event_text(ev, 0, ":%s TOPIC %s :%s", client_prefix(c), ch->name,
	    topic);
	irc_chan_row(ev, ch)->body = xstrdup(topic);
	event_submit(ev);
	chanreg_changed(ch);
	return 0;
}

int
cmd_names(struct client *c, struct msg *m)
{
	char		 chans[LINE_MAX_BODY], *cp, *name;
	struct channel	*ch;

	if (m->nparams < 1 || m->params[0][0] == '\0') {
		/* Every user on the server is too much to send at once. */
		reply_num(c, RPL_ENDOFNAMES, "*");
		return 0;
	}
	strlcpy_u(chans, m->params[0], sizeof chans);
	for (cp = chans; (name = strsep(&cp, ",")) != NULL;) {
		if (*name == '\0')
			continue;
		if ((ch = channel_find(name)) == NULL ||
		    !channel_can_see(ch, c))
			reply_num(c, RPL_ENDOFNAMES, name);
		else
			irc_names(c, ch);
	}
	return 0;
}

/* One LIST condition (ELIST=CMNTU), parsed. */
struct list_filter {
	int		 kind;		/* 'U', 'C', 'T', 'M', 'N', '#' */
	int		 less;		/* '<' (1) or '>' (0) */
	long long	 value;
	char		*mask;		/* folded */
};

static int
irc_list_parse(const char *tok, struct list_filter *f)
{
	char	fold[CASEMAP_FOLDSZ];

	memset(f, 0, sizeof *f);
	if (tok[0] == '<' || tok[0] == '>') {
		f->kind = 'U';
		f->less = tok[0] == '<';
		return str_to_int(tok + 1, 0, 1LL << 40, &f->value);
	}
	if ((tok[0] == 'C' || tok[0] == 'T' || tok[0] == 'c' ||
	    tok[0] == 't') && (tok[1] == '<' || tok[1] == '>')) {
		f->kind = (tok[0] == 'C' || tok[0] == 'c') ? 'C' : 'T';
		f->less = tok[1] == '<';
		return str_to_int(tok + 2, 0, 1LL << 40, &f->value);
	}
	if (tok[0] == '!') {
		f->kind = 'N';
		tok++;
	} else
		f->kind = strpbrk(tok, "*?") != NULL ? 'M' : '#';
	if (casemap_fold(tok, fold, sizeof fold) != 0)
		return -1;
	f->mask = xstrdup(fold);
	return 0;
}

static int
irc_list_match(const struct list_filter *f, const struct channel *ch,
    uint64_t now)
{
	long long	age;

	switch (f->kind) {
	case 'U':
		return f->less ? (long long)ch->nmembers < f->value :
		    (long long)ch->nmembers > f->value;
	case 'C':
		age = (long long)(now - ch->created) / 60;
		return f->less ? age < f->value : age > f->value;
	case 'T':
		if (ch->topic == NULL)
			return 0;
		age = (long long)(now - ch->topic_time) / 60;
		return f->less ? age < f->value : age > f->value;
	case 'M':
		return mask_match(f->mask, ch->fold);
	case 'N':
		return !mask_match(f->mask, ch->fold);
	case '#':
		return strcmp(f->mask, ch->fold) == 0;
	}
	return 0;
}

int
cmd_list(struct client *c, struct msg *m)
{
	struct list_filter	 filters[16];
	int			 nf = 0, i, names = 0, ok;
	char			 args[LINE_MAX_BODY], *p, *tok;
	size_t			 it = 0;
	struct channel		*ch;
	uint64_t		 now = time(NULL);

	args[0] = '\0';
	if (m->nparams > 0)
		strlcpy_u(args, m->params[0], sizeof args);
	for (p = args; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (nf == (int)(sizeof filters / sizeof filters[0]) ||
		    irc_list_parse(tok, &filters[nf]) != 0) {
			reply_fail(c, "LIST", "INVALID_PARAMS", reply_param(tok),
			    "Unknown LIST condition");
			goto out;
		}
		if (filters[nf].kind == '#' || filters[nf].kind == 'M')
			names++;
		nf++;
	}
	reply_num(c, RPL_LISTSTART);
	while ((ch = dict_next(&srv.channels, &it)) != NULL) {
		if (!channel_can_see(ch, c))
			continue;
		ok = 1;
		/* Names and masks are alternatives; other conditions all
		 * have to hold. */
		if (names > 0) {
			ok = 0;
			for (i = 0; i < nf; i++)
				if ((filters[i].kind == '#' ||
				    filters[i].kind == 'M') &&
				    irc_list_match(&filters[i], ch, now))
					ok = 1;
		}
		for (i = 0; i < nf && ok; i++)
			if (filters[i].kind != '#' && filters[i].kind != 'M' &&
			    !irc_list_match(&filters[i], ch, now))
				ok = 0;
		if (ok)
			reply_num(c, RPL_LIST, ch->name, (size_t)ch->nmembers,
			    ch->topic != NULL ? ch->topic : "");
	}
	reply_num(c, RPL_LISTEND);
out:
	for (i = 0; i < nf; i++)
		free(filters[i].mask);
	return 0;
}

int
cmd_kick(struct client *c, struct msg *m)
{
	struct channel		*ch;
	struct membership	*me, *them;
	struct client		*t;
	struct event		*ev;
	struct hist_row		*r;
	char			 nicks[LINE_MAX_BODY], *p, *nick;
	char			 reason[KICKLEN * 4 + 1];
	int			 last;

	if ((ch = channel_find(m->params[0])) == NULL ||
	    !channel_can_see(ch, c)) {
		reply_num(c, ERR_NOSUCHCHANNEL, reply_param(m->params[0]));
		return 0;
	}
	if ((me = channel_member(ch, c)) == NULL) {
		reply_num(c, ERR_NOTONCHANNEL, ch->name);
		return 0;
	}
	if (!(me->modes & MEMBER_OP) && !(c->umodes & UMODE_OPER)) {
		reply_num(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return 0;
	}
	if (irc_count_list(m->params[1]) > srv.cfg.max_targets) {
		reply_num(c, ERR_TOOMANYTARGETS, reply_param(m->params[1]),
		    (int)srv.cfg.max_targets);
		return 0;
	}
	strlcpy_u(reason, m->nparams > 2 && m->params[2][0] != '\0' ?
	    m->params[2] : c->nick, sizeof reason);
	reason[utf8_truncate(reason, KICKLEN)] = '\0';
	strlcpy_u(nicks, m->params[1], sizeof nicks);
	for (p = nicks; (nick = strsep(&p, ",")) != NULL;) {
		if (*nick == '\0')
			continue;
		if ((t = client_find(nick)) == NULL) {
			reply_num(c, ERR_NOSUCHNICK, reply_param(nick));
			continue;
		}
		if ((them = channel_member(ch, t)) == NULL) {
			reply_num(c, ERR_USERNOTINCHANNEL, t->nick, ch->name);
			continue;
		}
		ev = event_new(c, HIST_KICK, AUD_SELF | AUD_CHANNEL | AUD_TO);
		event_set_channel(ev, ch);
		event_set_to(ev, t);
		event_text(ev, 0, ":%s KICK %s %s :%s", client_prefix(c),
		    ch->name, t->nick, reason);
		r = irc_chan_row(ev, ch);
		r->extra = xstrdup(t->nick);
		r->body = xstrdup(reason);
		last = ch->nmembers == 1;
		autojoin_left(t, ch);
		channel_part(them);
		event_submit(ev);
		/* A kick of oneself: the channel may be gone, and c is no
		 * longer a member who could kick anyone else. */
		if (last || t == c)
			return 0;
	}
	return 0;
}

int
cmd_invite(struct client *c, struct msg *m)
{
	struct client		*t;
	struct channel		*ch;
	struct membership	*me;
	struct fanout		 f;
	uint32_t		 i;

	if (m->nparams == 0) {
		for (i = 0; i < c->ninvites; i++) {
			ch = dict_get(&srv.channels, c->invites[i]);
			if (ch != NULL)
				reply_num(c, RPL_INVITELIST, ch->name);
		}
		reply_num(c, RPL_ENDOFINVITELIST);
		return 0;
	}
	if (m->nparams < 2) {
		reply_num(c, ERR_NEEDMOREPARAMS, "INVITE");
		return 0;
	}
	if ((t = client_find(m->params[0])) == NULL) {
		reply_num(c, ERR_NOSUCHNICK, reply_param(m->params[0]));
		return 0;
	}
	if ((ch = channel_find(m->params[1])) == NULL ||
	    !channel_can_see(ch, c)) {
		reply_num(c, ERR_NOSUCHCHANNEL, reply_param(m->params[1]));
		return 0;
	}
	if ((me = channel_member(ch, c)) == NULL) {
		reply_num(c, ERR_NOTONCHANNEL, ch->name);
		return 0;
	}
	if ((ch->modes & CMODE_INVITE) && !(me->modes & MEMBER_OP) &&
	    !(c->umodes & UMODE_OPER)) {
		reply_num(c, ERR_CHANOPRIVSNEEDED, ch->name);
		return 0;
	}
	if (channel_member(ch, t) != NULL) {
		reply_num(c, ERR_USERONCHANNEL, t->nick, ch->name);
		return 0;
	}
	client_add_invite(t, ch->fold);
	reply_num(c, RPL_INVITING, t->nick, ch->name);
	fanout_init(&f, c);
	fanout_text(&f, 0, ":%s INVITE %s %s", client_prefix(c), t->nick,
	    ch->name);
	fanout_send(&f, t);
	/* invite-notify: members who could have invited see it too. */
	f.need_cap = CAP_INVITE_NOTIFY;
	c->mark = f.epoch;
	fanout_channel(&f, ch, c, (ch->modes & CMODE_INVITE) ? MEMBER_OP : 0);
	fanout_done(&f);
	if (t->away != NULL)
		reply_num(c, RPL_AWAY, t->nick, t->away);
	return 0;
}
