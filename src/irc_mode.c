/*
 * MODE: user modes (RFC 2812 3.1.5) and channel modes (RFC 2812 3.2.3,
 * modern.ircdocs.horse "MODE").  mode.c parses; this file checks rights
 * and parameters, applies the changes to the client or the channel, and
 * tells: numerics to the asker, and one MODE line with the changes that
 * took effect to the user (user modes) or to every member (channel
 * modes).  Changes to a registered channel are handed to chanreg.c,
 * which keeps them.
 *
 * Choices where the specs leave room:
 * - "MODE #chan b" is answered for anyone who may see the channel; the
 *   +e and +I lists only for channel operators (and server operators),
 *   as ergo and solanum do: they tell who is let past a ban or +i.
 * - 324 shows the key and the limit to members and server operators.
 * - A letter that needs a parameter and has none gets 696 with "*" as
 *   the parameter; only -k works without one.  -k is told as "-k *".
 * - A change that changes nothing (+i on a +i channel, +o on an op,
 *   -b of a mask not on the list) is not told to anyone.
 * - The MODE line is split into several only where one would pass 512
 *   bytes, which six parameters of normal length never do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "mode.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "xmalloc.h"

static const struct mode_spec irc_mode_user_spec = {
	.flag = "BioZ"
};

/* CHANMODES=beI,k,l,imnst and PREFIX=(ov)@+ in ISUPPORT. */
static const struct mode_spec irc_mode_chan_spec = {
	.list = "beI", .param = "kov", .setparam = "l", .flag = "imnst"
};

/* The changes that took effect, as MODE lines for a channel. */
struct irc_mode_echo {
	struct client	*from;
	struct channel	*ch;
	struct buf	 modes;		/* "+o-v" */
	struct buf	 hargs;		/* args for history: keys hidden */
	struct buf	 args;		/* " bob carol" */
	size_t		 last;		/* offset of the last argument */
	int		 nargs;
	int		 sign;		/* '+', '-' or 0 */
	size_t		 head;		/* bytes of ":prefix MODE #chan " */
};

/* One channel MODE command being applied. */
struct irc_mode_ctx {
	struct client		*c;
	struct channel		*ch;
	struct membership	*me;		/* NULL: not a member */
	int			 priv;		/* may change modes */
	int			 denied;	/* 442 or 482 sent */
	unsigned int		 shown;		/* lists already sent */
	struct irc_mode_echo	 echo;
};

/* s if it can stand as a middle parameter of a numeric, else "*". */
static const char *
irc_mode_safe(const char *s)
{
	return msg_param_is_middle(s) ? s : "*";
}

static unsigned int
irc_mode_user_bit(char letter)
{
	switch (letter) {
	case 'B':
		return UMODE_BOT;
	case 'i':
		return UMODE_INVISIBLE;
	case 'o':
		return UMODE_OPER;
	case 'Z':
		return UMODE_SECURE;
	}
	return 0;
}

/* "+Bi" style string of the modes in bits (out: at least 8 bytes). */
static void
irc_mode_user_string(unsigned int bits, char *out)
{
	static const char	 letters[] = "BioZ";
	const char		*l;

	*out++ = '+';
	for (l = letters; *l != '\0'; l++)
		if (bits & irc_mode_user_bit(*l))
			*out++ = *l;
	*out = '\0';
}

/* "+B-i" style string of what differs from before to after. */
static void
irc_mode_user_diff(unsigned int before, unsigned int after, char *out)
{
	static const char	 letters[] = "BioZ";
	const char		*l;
	unsigned int		 bit;
	int			 pass, sign;

	for (pass = 0; pass < 2; pass++) {
		sign = 0;
		for (l = letters; *l != '\0'; l++) {
			bit = irc_mode_user_bit(*l);
			if (((before ^ after) & bit) == 0 ||
			    ((after & bit) != 0) != (pass == 0))
				continue;
			if (!sign) {
				*out++ = pass == 0 ? '+' : '-';
				sign = 1;
			}
			*out++ = *l;
		}
	}
	*out = '\0';
}

/*
 * MODE <nick> [<modes>]: only one's own.  +i and +B are the user's to
 * set; +o can only be dropped here (it is given by the server); +Z says
 * the connection is TLS and is the server's alone.
 */
static int
irc_mode_user(struct client *c, struct msg *m)
{
	struct client		*t;
	struct mode_result	 r;
	struct fanout		 f;
	unsigned int		 before, after, bit;
	char			 buf[16];
	int			 i;

	if ((t = client_find(m->params[0])) == NULL) {
		reply_num(c, ERR_NOSUCHNICK, irc_mode_safe(m->params[0]));
		return 0;
	}
	if (t != c) {
		reply_num(c, ERR_USERSDONTMATCH);
		return 0;
	}
	if (m->nparams < 2 || m->params[1][0] == '\0') {
		irc_mode_user_string(c->umodes, buf);
		reply_num(c, RPL_UMODEIS, buf);
		return 0;
	}
	mode_parse(&irc_mode_user_spec, m->params[1], m->params + 2,
	    m->nparams - 2, &r);
	if (r.nunknown > 0)
		reply_num(c, ERR_UMODEUNKNOWNFLAG);
	before = after = c->umodes;
	for (i = 0; i < r.nchanges; i++) {
		bit = irc_mode_user_bit(r.changes[i].letter);
		if (bit == UMODE_SECURE)
			continue;
		if (r.changes[i].flags & MODE_ADD) {
			if (bit != UMODE_OPER)
				after |= bit;
		} else
			after &= ~bit;
	}
	if (after == before)
		return 0;
	c->umodes = after;
	if ((before ^ after) & UMODE_INVISIBLE) {
		if (after & UMODE_INVISIBLE)
			srv.ninvisible++;
		else
			srv.ninvisible--;
	}
	if ((before & UMODE_OPER) && !(after & UMODE_OPER))
		srv.nopers--;
	irc_mode_user_diff(before, after, buf);
	fanout_init(&f, c);
	fanout_text(&f, 0, ":%s MODE %s :%s", client_prefix(c), c->nick, buf);
	fanout_send(&f, c);
	fanout_done(&f);
	return 0;
}

static void
irc_mode_echo_init(struct irc_mode_echo *e, struct client *from,
    struct channel *ch)
{
	memset(e, 0, sizeof *e);
	e->from = from;
	e->ch = ch;
	buf_init(&e->modes);
	buf_init(&e->args);
	buf_init(&e->hargs);
	e->head = strlen(client_prefix(from)) + strlen(ch->name) + 9;
}

/* Send what has been gathered as one MODE line to the channel. */
static void
irc_mode_echo_flush(struct irc_mode_echo *e)
{
	struct event	*ev;
	const char	*last;

	if (e->modes.len == 0)
		return;
	ev = event_new(e->from, HIST_MODE, AUD_SELF | AUD_CHANNEL);
	event_set_channel(ev, e->ch);
	if (e->nargs > 0) {
		/* Only the last parameter may be a trailing one; the checks
		 * keep the others free of spaces and leading colons. */
		last = e->args.data + e->last;
		event_text(ev, 0, ":%s MODE %s %s%.*s%s%s",
		    client_prefix(e->from), e->ch->name, e->modes.data,
		    (int)e->last, e->args.data,
		    msg_param_is_middle(last) ? "" : ":", last);
	} else
		event_text(ev, 0, ":%s MODE %s %s", client_prefix(e->from),
		    e->ch->name, e->modes.data);
	{
		char	*body;

		if (e->nargs > 0) {
			const char *hl = strrchr(e->hargs.data, ' ') + 1;

			xasprintf(&body, "%s%.*s%s%s", e->modes.data,
			    (int)(hl - e->hargs.data), e->hargs.data,
			    msg_param_is_middle(hl) ? "" : ":", hl);
		} else
			body = xstrdup(e->modes.data);
		irc_chan_row(ev, e->ch)->body = body;
	}
	event_submit(ev);
	chanreg_changed(e->ch);
	buf_reset(&e->modes);
	buf_reset(&e->args);
	buf_reset(&e->hargs);
	e->nargs = 0;
	e->sign = 0;
}

/* Add one change that took effect (arg NULL for none). */
static void
irc_mode_echo_add(struct irc_mode_echo *e, int add, char letter,
    const char *arg)
{
	size_t	more = 2 + (arg != NULL ? strlen(arg) + 2 : 0);

	if (e->modes.len > 0 && e->head + e->modes.len + e->args.len + more >
	    LINE_MAX_BODY - 2)
		irc_mode_echo_flush(e);
	if (e->sign != (add ? '+' : '-')) {
		e->sign = add ? '+' : '-';
		buf_addch(&e->modes, (char)e->sign);
	}
	buf_addch(&e->modes, letter);
	if (arg != NULL) {
		buf_addch(&e->args, ' ');
		e->last = e->args.len;
		buf_addstr(&e->args, arg);
		e->nargs++;
		/* History outlives the key: readers later must not learn it. */
		buf_addch(&e->hargs, ' ');
		buf_addstr(&e->hargs, letter == 'k' ? "*" : arg);
	}
}

static void
irc_mode_echo_done(struct irc_mode_echo *e)
{
	irc_mode_echo_flush(e);
	buf_free(&e->modes);
	buf_free(&e->args);
	buf_free(&e->hargs);
}

/*
 * May the asker change modes?  Says why not once per command: 442 to a
 * non-member, 482 to a member without +o.
 */
static int
irc_mode_chan_allowed(struct irc_mode_ctx *x)
{
	if (x->priv)
		return 1;
	if (!x->denied) {
		x->denied = 1;
		if (x->me == NULL)
			reply_num(x->c, ERR_NOTONCHANNEL, x->ch->name);
		else
			reply_num(x->c, ERR_CHANOPRIVSNEEDED, x->ch->name);
	}
	return 0;
}

static void
irc_mode_chan_missing(struct irc_mode_ctx *x, char letter, const char *what)
{
	reply_num(x->c, ERR_INVALIDMODEPARAM, x->ch->name, letter, "*", what);
}

/* MODE #chan b (or +b, e, I): the list, once per letter per command. */
static void
irc_mode_chan_list_show(struct irc_mode_ctx *x, char letter)
{
	struct chanlist		*l = channel_list(x->ch, letter);
	struct listentry	*e;
	unsigned int		 bit;
	uint32_t		 i;

	bit = letter == 'b' ? 1 : letter == 'e' ? 2 : 4;
	if (x->shown & bit)
		return;
	x->shown |= bit;
	if (letter != 'b' && !irc_mode_chan_allowed(x))
		return;
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		switch (letter) {
		case 'b':
			reply_num(x->c, RPL_BANLIST, x->ch->name, e->mask,
			    e->setter, (unsigned long long)e->set_at);
			break;
		case 'e':
			reply_num(x->c, RPL_EXCEPTLIST, x->ch->name, e->mask,
			    e->setter, (unsigned long long)e->set_at);
			break;
		default:
			reply_num(x->c, RPL_INVEXLIST, x->ch->name, e->mask,
			    e->setter, (unsigned long long)e->set_at);
			break;
		}
	}
	switch (letter) {
	case 'b':
		reply_num(x->c, RPL_ENDOFBANLIST, x->ch->name);
		break;
	case 'e':
		reply_num(x->c, RPL_ENDOFEXCEPTLIST, x->ch->name);
		break;
	default:
		reply_num(x->c, RPL_ENDOFINVEXLIST, x->ch->name);
		break;
	}
}

/* +b/-b mask, +e, +I. */
static void
irc_mode_chan_list_change(struct irc_mode_ctx *x, const struct mode_change *mc)
{
	char		 mask[MODE_MASK_SIZE], fold[CASEMAP_FOLDSZ * 2];
	struct chanlist	*l = channel_list(x->ch, mc->letter);
	int		 add = (mc->flags & MODE_ADD) != 0;

	if (!irc_mode_chan_allowed(x))
		return;
	/* The fold is checked here so that channel_list_add()'s -1 can
	 * only mean a full list. */
	if (mode_mask_normalise(mc->arg, mask, sizeof mask) != 0 ||
	    casemap_fold(mask, fold, sizeof fold) != 0) {
		reply_num(x->c, ERR_INVALIDMODEPARAM, x->ch->name, mc->letter,
		    irc_mode_safe(mc->arg), "Invalid mask");
		return;
	}
	if (add) {
		switch (channel_list_add(l, mask, client_prefix(x->c))) {
		case -1:
			reply_num(x->c, ERR_BANLISTFULL, x->ch->name,
			    mc->letter);
			return;
		case 1:
			return;		/* already there */
		}
		chanreg_list_add(x->ch, mc->letter, &l->v[l->n - 1]);
	} else {
		/* Before the entry goes: chanreg needs it as stored. */
		chanreg_list_del(x->ch, mc->letter, mask);
		if (channel_list_del(l, mask) != 0)
			return;		/* was not there */
	}
	irc_mode_echo_add(&x->echo, add, mc->letter, mask);
}

static void
irc_mode_chan_key(struct irc_mode_ctx *x, const struct mode_change *mc)
{
	struct channel	*ch = x->ch;

	if (!irc_mode_chan_allowed(x))
		return;
	if (!(mc->flags & MODE_ADD)) {
		/* -k with any parameter, or none. */
		if (ch->key == NULL)
			return;
		free(ch->key);
		ch->key = NULL;
		irc_mode_echo_add(&x->echo, 0, 'k', "*");
		return;
	}
	if (mc->flags & MODE_MISSING) {
		irc_mode_chan_missing(x, 'k', "You must specify a parameter "
		    "for the key mode. Syntax: <key>");
		return;
	}
	if (!mode_key_valid(mc->arg)) {
		reply_num(x->c, ERR_INVALIDKEY, ch->name);
		return;
	}
	if (ch->key != NULL && strcmp(ch->key, mc->arg) == 0)
		return;
	free(ch->key);
	ch->key = xstrdup(mc->arg);
	irc_mode_echo_add(&x->echo, 1, 'k', ch->key);
}

static void
irc_mode_chan_limit(struct irc_mode_ctx *x, const struct mode_change *mc)
{
	struct channel	*ch = x->ch;
	long long	 limit;
	char		 num[24];

	if (!irc_mode_chan_allowed(x))
		return;
	if (!(mc->flags & MODE_ADD)) {
		if (ch->limit == 0)
			return;
		ch->limit = 0;
		irc_mode_echo_add(&x->echo, 0, 'l', NULL);
		return;
	}
	if (mc->flags & MODE_MISSING) {
		irc_mode_chan_missing(x, 'l', "You must specify a parameter "
		    "for the limit mode. Syntax: <limit>");
		return;
	}
	if (mode_limit_parse(mc->arg, &limit) != 0) {
		reply_num(x->c, ERR_INVALIDMODEPARAM, ch->name, 'l',
		    irc_mode_safe(mc->arg), "Invalid limit: a positive number "
		    "is needed");
		return;
	}
	if (ch->limit == limit)
		return;
	ch->limit = limit;
	snprintf(num, sizeof num, "%lld", limit);
	irc_mode_echo_add(&x->echo, 1, 'l', num);
}

static void
irc_mode_chan_flag(struct irc_mode_ctx *x, const struct mode_change *mc)
{
	unsigned int	bit = 0;
	int		add = (mc->flags & MODE_ADD) != 0;

	switch (mc->letter) {
	case 'i':
		bit = CMODE_INVITE;
		break;
	case 'm':
		bit = CMODE_MODERATED;
		break;
	case 'n':
		bit = CMODE_NOEXTERNAL;
		break;
	case 's':
		bit = CMODE_SECRET;
		break;
	case 't':
		bit = CMODE_TOPIC;
		break;
	}
	if (bit == 0 || !irc_mode_chan_allowed(x))
		return;
	if (((x->ch->modes & bit) != 0) == add)
		return;
	if (add)
		x->ch->modes |= bit;
	else
		x->ch->modes &= ~bit;
	irc_mode_echo_add(&x->echo, add, mc->letter, NULL);
}

/* +o/-o nick, +v/-v nick. */
static void
irc_mode_chan_member(struct irc_mode_ctx *x, const struct mode_change *mc)
{
	struct client		*t;
	struct membership	*tm;
	uint8_t			 bit;
	int			 add = (mc->flags & MODE_ADD) != 0;

	if (!irc_mode_chan_allowed(x))
		return;
	if (mc->flags & MODE_MISSING) {
		irc_mode_chan_missing(x, mc->letter, "You must specify a "
		    "nickname. Syntax: <nick>");
		return;
	}
	if ((t = client_find(mc->arg)) == NULL) {
		reply_num(x->c, ERR_NOSUCHNICK, irc_mode_safe(mc->arg));
		return;
	}
	if ((tm = channel_member(x->ch, t)) == NULL) {
		reply_num(x->c, ERR_USERNOTINCHANNEL, t->nick, x->ch->name);
		return;
	}
	bit = mc->letter == 'o' ? MEMBER_OP : MEMBER_VOICE;
	if (((tm->modes & bit) != 0) == add)
		return;
	if (add)
		tm->modes |= bit;
	else
		tm->modes &= ~bit;
	channel_names_stale(x->ch);
	chanreg_member_modes(x->ch, tm);
	irc_mode_echo_add(&x->echo, add, mc->letter, t->nick);
}

/* 472 for each unknown letter that a numeric can carry. */
static void
irc_mode_chan_unknown(struct irc_mode_ctx *x, const struct mode_result *r)
{
	char	u[8];
	int	i;

	for (i = 0; i < r->nunknown; i++) {
		if (r->unknown[i].len >= sizeof u)
			continue;
		memcpy(u, r->unknown[i].s, r->unknown[i].len);
		u[r->unknown[i].len] = '\0';
		/* A space, a control or a leading ':' would break the
		 * numeric; such a letter is dropped without a word. */
		if (!msg_param_is_middle(u) || (unsigned char)u[0] < ' ' ||
		    u[0] == 0x7f)
			continue;
		reply_num(x->c, ERR_UNKNOWNMODE, u);
	}
}

/*
 * MODE #chan [<modes> [<params>...]]: show the modes, show a list, or
 * change modes.  Changes need +o on the channel or server operator
 * rights; every valid change is applied, and what took effect is told to
 * every member in one line.
 */
static int
irc_mode_channel(struct client *c, struct msg *m)
{
	struct channel			*ch;
	struct irc_mode_ctx		 x;
	struct mode_result		 r;
	const struct mode_change	*mc;
	char				 buf[192];
	int				 i, oper;

	if ((ch = channel_find(m->params[0])) == NULL ||
	    !channel_can_see(ch, c)) {
		reply_num(c, ERR_NOSUCHCHANNEL, irc_mode_safe(m->params[0]));
		return 0;
	}
	oper = (c->umodes & UMODE_OPER) != 0;
	memset(&x, 0, sizeof x);
	x.c = c;
	x.ch = ch;
	x.me = channel_member(ch, c);
	x.priv = oper || (x.me != NULL && (x.me->modes & MEMBER_OP));
	if (m->nparams < 2 || m->params[1][0] == '\0') {
		channel_modes_string(ch, x.me != NULL || oper, buf,
		    sizeof buf);
		reply_num(c, RPL_CHANNELMODEIS, ch->name, buf);
		reply_num(c, RPL_CREATIONTIME, ch->name,
		    (unsigned long long)ch->created);
		return 0;
	}
	mode_parse(&irc_mode_chan_spec, m->params[1], m->params + 2,
	    m->nparams - 2, &r);
	irc_mode_chan_unknown(&x, &r);
	irc_mode_echo_init(&x.echo, c, ch);
	for (i = 0; i < r.nchanges; i++) {
		mc = &r.changes[i];
		switch (mc->type) {
		case MODE_TYPE_LIST:
			if (mc->flags & MODE_QUERY)
				irc_mode_chan_list_show(&x, mc->letter);
			else
				irc_mode_chan_list_change(&x, mc);
			break;
		case MODE_TYPE_PARAM:
			if (mc->letter == 'k')
				irc_mode_chan_key(&x, mc);
			else
				irc_mode_chan_member(&x, mc);
			break;
		case MODE_TYPE_SETPARAM:
			irc_mode_chan_limit(&x, mc);
			break;
		case MODE_TYPE_FLAG:
			irc_mode_chan_flag(&x, mc);
			break;
		default:
			break;
		}
	}
	irc_mode_echo_done(&x.echo);
	return 0;
}

/*
 * MODE <target> [<modes> [<params>...]].  A target that starts with '#'
 * (CHANTYPES=#) is a channel; anything else is a nick.
 */
int
cmd_mode(struct client *c, struct msg *m)
{
	if (m->params[0][0] == '#')
		return irc_mode_channel(c, m);
	return irc_mode_user(c, m);
}
