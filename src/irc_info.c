/*
 * Queries and presence: WHO (with WHOX), WHOIS, WHOWAS, LUSERS, MOTD,
 * VERSION, TIME, ADMIN, INFO, HELP, AWAY, SETNAME, MONITOR, USERHOST and
 * ISON (RFC 2812 3.4-3.6, modern.ircdocs.horse, IRCv3 whox, monitor,
 * extended-monitor, away-notify, setname, bot-mode).
 *
 * This file owns no state.  It reads clients and channels, changes a
 * client's away message and realname, and edits MONITOR lists through
 * monitor.c.  Every string it keeps is a copy owned by the client.
 *
 * Privacy, in one place: a user with +i is found by a WHO mask only by
 * someone who shares a channel with them (client_is_visible_to), and
 * neither WHO #chan nor WHOIS shows who is where unless the asker could
 * see it in NAMES: +s channels only to their members, invisible members
 * only to fellow members.  Operators see everything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "irc.h"
#include "lc_limits.h"
#include "monitor.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "util.h"
#include "whowas.h"
#include "xmalloc.h"

/*
 * Items joined into as few numerics as fit in one line (MONITOR lists,
 * WHOIS channels).  The budget leaves room for ":server NNN nick " and
 * the numeric's own parameters, so that no line passes 512 bytes.
 */
struct info_pack {
	struct client	*c;
	int		 num;
	const char	*arg;		/* 319: the nick; 734: unused */
	char		 sep;
	size_t		 budget;
	struct buf	 b;
};

static void
info_pack_init(struct info_pack *p, struct client *c, int num,
    const char *arg, char sep)
{
	size_t	used;

	p->c = c;
	p->num = num;
	p->arg = arg;
	p->sep = sep;
	used = strlen(srv.name) + strlen(client_name(c)) + 32;
	if (arg != NULL)
		used += strlen(arg);
	if (num == 734)
		used += 40;	/* the limit and ":Monitor list is full" */
	p->budget = used < 400 ? 510 - used : 100;
	buf_init(&p->b);
}

static void
info_pack_flush(struct info_pack *p)
{
	if (p->b.len == 0)
		return;
	switch (p->num) {
	case 319:
		reply_num(p->c, RPL_WHOISCHANNELS, p->arg, p->b.data);
		break;
	case 730:
		reply_num(p->c, RPL_MONONLINE, p->b.data);
		break;
	case 731:
		reply_num(p->c, RPL_MONOFFLINE, p->b.data);
		break;
	case 732:
		reply_num(p->c, RPL_MONLIST, p->b.data);
		break;
	case 734:
		reply_num(p->c, ERR_MONLISTFULL, (int)srv.cfg.max_monitor,
		    p->b.data);
		break;
	}
	buf_reset(&p->b);
}

/* Add one item; a line that would grow past the budget goes first. */
static void
info_pack_add(struct info_pack *p, const char *item)
{
	size_t	n = strlen(item);

	if (p->b.len > 0 && p->b.len + 1 + n > p->budget)
		info_pack_flush(p);
	if (p->b.len > 0)
		buf_addch(&p->b, p->sep);
	buf_add(&p->b, item, n);
}

/* Send what is left and free the buffer. */
static void
info_pack_done(struct info_pack *p)
{
	info_pack_flush(p);
	buf_free(&p->b);
}

/*
 * VERSION, TIME, ADMIN and INFO take an optional server.  One server
 * answers for itself, and for a nick on it (RFC 2812 3.4).  Returns 1 if
 * the command is for us, else sends 402 and returns 0.
 */
static int
info_is_our_server(struct client *c, struct msg *m)
{
	char		 fold[CASEMAP_FOLDSZ], name[CASEMAP_FOLDSZ];
	const char	*t;

	if (m->nparams < 1 || m->params[0][0] == '\0')
		return 1;
	t = m->params[0];
	if (casemap_fold(t, fold, sizeof fold) == 0 &&
	    casemap_fold(srv.name, name, sizeof name) == 0 &&
	    mask_match(fold, name))
		return 1;
	if (client_find(t) != NULL)
		return 1;
	reply_num(c, ERR_NOSUCHSERVER, reply_param(t));
	return 0;
}

/* Seconds since the epoch, as a number the numerics print. */
static unsigned long long
info_now(void)
{
	return (unsigned long long)time(NULL);
}

/* Number of code points in a valid UTF-8 string. */
static size_t
info_codepoints(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* ---- WHO ---------------------------------------------------------- */

/* WHOX fields in the order they are sent (modern.ircdocs.horse). */
static const char who_field_order[] = "tcuihsnfdlaor";

struct who_req {
	struct client	*c;
	int		 opers;		/* 'o' flag: operators only */
	int		 whox;
	unsigned int	 fields;	/* bit i: who_field_order[i] */
	char		 token[4];
	char		 mask[CASEMAP_FOLDSZ];	/* folded; "" matches all */
	int		 all;
	int		 count;
	int		 multi;
};

/*
 * Parse "o%tcuihsnfdlaor,123": flags before '%', fields after, then an
 * optional token (IRCv3 whox: at most 3 digits).  A token that is not
 * one is sent back as 0, so that it can never break the line.
 */
static void
who_parse_opts(struct who_req *r, const char *opts)
{
	const char	*pct, *p, *pos, *comma;
	size_t		 n;

	pct = strchr(opts, '%');
	for (p = opts; *p != '\0' && p != pct; p++)
		if (*p == 'o')
			r->opers = 1;
	if (pct == NULL)
		return;
	r->whox = 1;
	comma = strchr(pct, ',');
	for (p = pct + 1; *p != '\0' && p != comma; p++)
		if ((pos = strchr(who_field_order, *p)) != NULL)
			r->fields |= 1U << (pos - who_field_order);
	strlcpy_u(r->token, "0", sizeof r->token);
	if (comma != NULL) {
		n = strlen(comma + 1);
		if (n > 0 && n <= 3 && strspn(comma + 1, "0123456789") == n)
			strlcpy_u(r->token, comma + 1, sizeof r->token);
	}
}

/* "H" or "G", "*" for an operator, the member prefixes, "B" for a bot. */
static void
who_flags(const struct who_req *r, const struct client *t,
    const struct membership *mb, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s%s", t->away != NULL ? "G" : "H",
	    (t->umodes & UMODE_OPER) ? "*" : "",
	    mb != NULL ? channel_prefix(mb, r->multi) : "",
	    (t->umodes & UMODE_BOT) ? "B" : "");
}

/* One 352, or one 354 with the fields asked for. */
static void
who_reply(struct who_req *r, const struct client *t,
    const struct channel *ch, const struct membership *mb)
{
	struct buf	 b;
	char		 flags[16];
	const char	*chname = ch != NULL ? ch->name : "*";
	size_t		 i;

	r->count++;
	who_flags(r, t, mb, flags, sizeof flags);
	if (!r->whox) {
		reply_num(r->c, RPL_WHOREPLY, chname, t->user, t->host,
		    srv.name, t->nick, flags, 0, t->realname);
		return;
	}
	buf_init(&b);
	for (i = 0; who_field_order[i] != '\0'; i++) {
		if (!(r->fields & (1U << i)))
			continue;
		if (b.len > 0)
			buf_addch(&b, ' ');
		switch (who_field_order[i]) {
		case 't':
			buf_addstr(&b, r->token);
			break;
		case 'c':
			buf_addstr(&b, chname);
			break;
		case 'u':
			buf_addstr(&b, t->user);
			break;
		case 'i':
		case 'h':
			/* The host is the address: nothing to hide. */
			buf_addstr(&b, t->host);
			break;
		case 's':
			buf_addstr(&b, srv.name);
			break;
		case 'n':
			buf_addstr(&b, t->nick);
			break;
		case 'f':
			buf_addstr(&b, flags);
			break;
		case 'd':
			buf_addch(&b, '0');
			break;
		case 'l':
			buf_printf(&b, "%llu", info_now() > t->idle_since ?
			    info_now() - t->idle_since : 0ULL);
			break;
		case 'a':
			buf_addstr(&b, t->account != NULL ? t->account : "0");
			break;
		case 'o':
			buf_addstr(&b, "n/a");
			break;
		case 'r':
			/* Always last, so it may hold spaces. */
			buf_printf(&b, ":%s", t->realname);
			break;
		}
	}
	reply_num(r->c, RPL_WHOSPCRPL, b.len > 0 ? b.data : "");
	buf_free(&b);
}

static int
who_full(const struct who_req *r)
{
	return r->count >= WHO_MAX_REPLIES;
}

/* WHO #channel: its members, as NAMES would show them to the asker. */
static void
who_channel(struct who_req *r, struct channel *ch)
{
	struct client		*c = r->c, *t;
	struct membership	*mb;
	uint32_t		 i;
	int			 inside;

	if (!channel_can_see(ch, c))
		return;
	inside = channel_member(ch, c) != NULL || (c->umodes & UMODE_OPER);
	for (i = 0; i < ch->nmembers && !who_full(r); i++) {
		mb = ch->members[i];
		t = mb->client;
		if (!inside && t != c && (t->umodes & UMODE_INVISIBLE))
			continue;
		if (r->opers && !(t->umodes & UMODE_OPER))
			continue;
		who_reply(r, t, ch, mb);
	}
}

/*
 * Does the folded mask match t?  RFC 2812 3.6.1: the mask is matched
 * against the nick, user, host, server and real name; we also match the
 * whole nick!user@host.  Cheap comparisons go first.
 */
static int
who_match(const struct who_req *r, const struct client *t)
{
	char	buf[NAME_MAX_BYTES + USERLEN * 4 + HOSTLEN + 8];
	char	real[REALNAMELEN * 4 * 8 + 1];

	if (r->all)
		return 1;
	if (mask_match(r->mask, t->fold) || mask_match(r->mask, t->host))
		return 1;
	if (casemap_fold(t->user, buf, sizeof buf) == 0 &&
	    mask_match(r->mask, buf))
		return 1;
	client_mask_fold(t, buf, sizeof buf);
	if (mask_match(r->mask, buf))
		return 1;
	if (casemap_fold(srv.name, buf, sizeof buf) == 0 &&
	    mask_match(r->mask, buf))
		return 1;
	if (casemap_fold(t->realname, real, sizeof real) == 0)
		return mask_match(r->mask, real);
	return mask_match(r->mask, t->realname);
}

static void
who_each_cb(struct client *t, void *arg)
{
	struct who_req	*r = arg;

	if (who_full(r))
		return;
	if (!client_is_visible_to(t, r->c))
		return;
	if (r->opers && !(t->umodes & UMODE_OPER))
		return;
	if (who_match(r, t))
		who_reply(r, t, NULL, NULL);
}

/*
 * WHO [<mask> [<flags>][%<fields>[,<token>]]] (RFC 2812 3.6.1, IRCv3
 * whox).  A channel lists its members; an exact nick answers for that
 * user even when invisible, since WHOIS would anyway; any other mask
 * looks at every user the asker may see.  At most WHO_MAX_REPLIES
 * answers, then 315 with the mask as given.
 */
int
cmd_who(struct client *c, struct msg *m)
{
	struct who_req	 r;
	const char	*mask = m->nparams > 0 ? m->params[0] : "";
	struct channel	*ch;
	struct client	*t;

	memset(&r, 0, sizeof r);
	r.c = c;
	r.multi = client_has_cap(c, CAP_MULTI_PREFIX);
	if (m->nparams > 1)
		who_parse_opts(&r, m->params[1]);
	if (mask[0] == '#') {
		if ((ch = channel_find(mask)) != NULL)
			who_channel(&r, ch);
	} else if (strpbrk(mask, "*?") == NULL && mask[0] != '\0' &&
	    strcmp(mask, "0") != 0 && (t = client_find(mask)) != NULL) {
		if (!r.opers || (t->umodes & UMODE_OPER))
			who_reply(&r, t, NULL, NULL);
	} else if (mask[0] == '\0' || strcmp(mask, "0") == 0 ||
	    strcmp(mask, "*") == 0) {
		r.all = 1;
		client_each_reg(who_each_cb, &r);
	} else if (casemap_fold(mask, r.mask, sizeof r.mask) == 0)
		client_each_reg(who_each_cb, &r);
	reply_num(c, RPL_ENDOFWHO, reply_param(mask));
	return 0;
}

/* ---- WHOIS, WHOWAS ------------------------------------------------ */

/* May c see that t is on ch (WHOIS 319)? */
static int
whois_shows_channel(const struct client *c, const struct client *t,
    const struct channel *ch)
{
	if (c == t || (c->umodes & UMODE_OPER))
		return 1;
	if (channel_member(ch, c) != NULL)
		return 1;
	/* +s hides the channel; +i hides where the user is, as NAMES. */
	return !(ch->modes & CMODE_SECRET) && !(t->umodes & UMODE_INVISIBLE);
}

static void
whois_channels(struct client *c, struct client *t)
{
	struct info_pack	 p;
	struct membership	*mb;
	char			 item[CHANNELLEN * 4 + 8];
	uint32_t		 i;
	int			 multi = client_has_cap(c, CAP_MULTI_PREFIX);

	info_pack_init(&p, c, 319, t->nick, ' ');
	for (i = 0; i < t->nchans; i++) {
		mb = t->chans[i];
		if (!whois_shows_channel(c, t, mb->chan))
			continue;
		snprintf(item, sizeof item, "%s%s", channel_prefix(mb, multi),
		    mb->chan->name);
		info_pack_add(&p, item);
	}
	info_pack_done(&p);
}

static void
whois_one(struct client *c, const char *nick)
{
	struct client	*t;
	int		 priv;
	uint64_t	 now = time(NULL);

	if ((t = client_find(nick)) == NULL) {
		reply_num(c, ERR_NOSUCHNICK, reply_param(nick));
		reply_num(c, RPL_ENDOFWHOIS, reply_param(nick));
		return;
	}
	priv = c == t || (c->umodes & UMODE_OPER);
	reply_num(c, RPL_WHOISUSER, t->nick, t->user, t->host, t->realname);
	whois_channels(c, t);
	reply_num(c, RPL_WHOISSERVER, t->nick, srv.name, srv.cfg.network);
	if (t->umodes & UMODE_OPER)
		reply_num(c, RPL_WHOISOPERATOR, t->nick);
	if (t->umodes & UMODE_BOT)
		reply_num(c, RPL_WHOISBOT, t->nick, srv.cfg.network);
	if (t->away != NULL)
		reply_num(c, RPL_AWAY, t->nick, t->away);
	if (t->umodes & UMODE_SECURE)
		reply_num(c, RPL_WHOISSECURE, t->nick);
	if (t->certfp != NULL && priv)
		reply_num(c, RPL_WHOISCERTFP, t->nick, t->certfp);
	if (t->account != NULL)
		reply_num(c, RPL_WHOISACCOUNT, t->nick, t->account);
	if (priv)
		reply_num(c, RPL_WHOISACTUALLY, t->nick, t->host);
	reply_num(c, RPL_WHOISIDLE, t->nick, (unsigned long long)
	    (now > t->idle_since ? now - t->idle_since : 0),
	    (unsigned long long)t->signon);
	reply_num(c, RPL_ENDOFWHOIS, reply_param(nick));
}

/*
 * WHOIS [<server>] <nick> (RFC 2812 3.6.2).  A leading server is
 * ignored: there is one.  ISUPPORT says TARGMAX WHOIS:1, so a list of
 * nicks gets 407 and an end of WHOIS, instead of a flood of replies.
 */
int
cmd_whois(struct client *c, struct msg *m)
{
	const char	*nick = m->params[m->nparams > 1 ? 1 : 0];

	if (nick[0] == '\0') {
		reply_num(c, ERR_NONICKNAMEGIVEN);
		return 0;
	}
	if (strchr(nick, ',') != NULL) {
		reply_num(c, ERR_TOOMANYTARGETS, reply_param(nick), 1);
		reply_num(c, RPL_ENDOFWHOIS, reply_param(nick));
		return 0;
	}
	whois_one(c, nick);
	return 0;
}

static void
whowas_reply_cb(const struct whowas *w, void *arg)
{
	struct client	*c = arg;
	char		 when[40];

	time_format_iso(w->when * 1000, when, sizeof when);
	reply_num(c, RPL_WHOWASUSER, w->nick, w->user, w->host, w->realname);
	reply_num(c, RPL_WHOISSERVER, w->nick, srv.name, when);
}

/*
 * WHOWAS <nick> [<count>] (RFC 2812 3.6.3): the newest entries first,
 * all of them when count is missing or not positive.
 */
int
cmd_whowas(struct client *c, struct msg *m)
{
	char		 fold[CASEMAP_FOLDSZ];
	const char	*nick = m->params[0];
	long long	 count = 0;

	if (nick[0] == '\0') {
		reply_num(c, ERR_NONICKNAMEGIVEN);
		return 0;
	}
	if (m->nparams > 1 && str_to_int(m->params[1], 1, WHOWAS_MAX,
	    &count) != 0)
		count = 0;
	if (casemap_fold(nick, fold, sizeof fold) != 0 ||
	    whowas_find(fold, (int)count, whowas_reply_cb, c) == 0)
		reply_num(c, ERR_WASNOSUCHNICK, reply_param(nick));
	reply_num(c, RPL_ENDOFWHOWAS, reply_param(nick));
	return 0;
}

/* ---- Server information ------------------------------------------ */

int
cmd_motd(struct client *c, struct msg *m)
{
	if (!info_is_our_server(c, m))
		return 0;
	irc_motd(c);
	return 0;
}

int
cmd_lusers(struct client *c, struct msg *m)
{
	(void)m;
	irc_lusers(c);
	return 0;
}

/* VERSION [<server>]: 351, then the ISUPPORT lines (modern.ircdocs). */
int
cmd_version(struct client *c, struct msg *m)
{
	if (!info_is_our_server(c, m))
		return 0;
	reply_num(c, RPL_VERSION, LANCHAT_VERSION_STR, srv.name,
	    "LAN chat server, IRC with IRCv3");
	irc_isupport(c);
	return 0;
}

/* TIME [<server>]: 391 with a unix timestamp and a human time. */
int
cmd_time(struct client *c, struct msg *m)
{
	time_t		now = time(NULL);
	struct tm	tm;
	char		human[96];

	if (!info_is_our_server(c, m))
		return 0;
	localtime_r(&now, &tm);
	if (strftime(human, sizeof human, "%A %B %d %Y -- %H:%M:%S %z",
	    &tm) == 0)
		strlcpy_u(human, "?", sizeof human);
	reply_num(c, RPL_TIME, srv.name, (unsigned long long)now, human);
	return 0;
}

/*
 * ADMIN [<server>]: who runs this server.  There is no admin setting: a
 * LAN server is run by whoever started it, so the lines say that.
 */
int
cmd_admin(struct client *c, struct msg *m)
{
	char	line[256];

	if (!info_is_our_server(c, m))
		return 0;
	reply_num(c, RPL_ADMINME, srv.name);
	snprintf(line, sizeof line, "%s, network %s", srv.name,
	    srv.cfg.network);
	reply_num(c, RPL_ADMINLOC1, line);
	reply_num(c, RPL_ADMINLOC2,
	    "Run on this local network by the person who set it up");
	reply_num(c, RPL_ADMINEMAIL, "No contact address is configured");
	return 0;
}

/* INFO [<server>]: a few lines about the software, then 374. */
int
cmd_info(struct client *c, struct msg *m)
{
	char	line[256], when[40];

	if (!info_is_our_server(c, m))
		return 0;
	snprintf(line, sizeof line, "%s", LANCHAT_VERSION_STR);
	reply_num(c, RPL_INFO, line);
	reply_num(c, RPL_INFO,
	    "A chat server for a local network: rooms, private messages,");
	reply_num(c, RPL_INFO,
	    "history and files, over IRC with IRCv3 capabilities.");
	reply_num(c, RPL_INFO,
	    "Use any IRC client, the lanchat terminal client or a browser.");
	snprintf(line, sizeof line, "Server %s on network %s", srv.name,
	    srv.cfg.network);
	reply_num(c, RPL_INFO, line);
	time_format_iso(srv.started * 1000, when, sizeof when);
	snprintf(line, sizeof line, "Running since %s", when);
	reply_num(c, RPL_INFO, line);
	reply_num(c, RPL_ENDOFINFO);
	return 0;
}

/* ---- HELP --------------------------------------------------------- */

struct help_entry {
	const char	*name;
	const char	*usage;
	const char	*text;
};

static const struct help_entry help_entries[] = {
	{ "ADMIN", "ADMIN [<server>]", "Who runs this server." },
	{ "ANNOUNCE", "ANNOUNCE :<text>",
	  "Admins: a notice to everyone, kept for those away." },
	{ "APPROVE", "APPROVE <account>",
	  "Admins: let in an account that waits for approval." },
	{ "AWAY", "AWAY [:<message>]",
	  "Mark yourself away with a message, or back without one." },
	{ "BAN", "BAN ADD <address>[/<prefix>] [:<reason>] | DEL <address> | "
	  "LIST", "Admins: refuse connections from addresses." },
	{ "CAP", "CAP LS [302] | REQ :<caps> | LIST | END",
	  "Negotiate IRCv3 capabilities." },
	{ "HELP", "HELP [<command>]",
	  "List the commands, or explain one." },
	{ "INFO", "INFO [<server>]", "About this server's software." },
	{ "INVITE", "INVITE <nick> <#channel>",
	  "Invite someone to a channel; alone, list your invitations." },
	{ "ISON", "ISON <nick> [<nick> ...]",
	  "Which of these nicks are online." },
	{ "JOIN", "JOIN <#channel>[,...] [<key>[,...]]",
	  "Join channels; JOIN 0 leaves all of them." },
	{ "KICK", "KICK <#channel> <nick>[,...] [:<reason>]",
	  "Remove someone from a channel (channel operators)." },
	{ "KILL", "KILL <nick> [:<reason>]",
	  "Admins: disconnect every session of a user." },
	{ "LIST", "LIST [<#channel|mask|condition>[,...]]",
	  "List channels, filtered by name, users (<n >n) or age." },
	{ "LUSERS", "LUSERS", "How many users and channels there are." },
	{ "MODE", "MODE <nick|#channel> [<modes> [<params>]]",
	  "Show or change user or channel modes." },
	{ "MONITOR", "MONITOR + <nicks> | - <nicks> | C | L | S",
	  "Be told when nicks come online or go offline." },
	{ "MOTD", "MOTD [<server>]", "The message of the day." },
	{ "NAMES", "NAMES <#channel>[,...]", "Who is in a channel." },
	{ "NICK", "NICK <nick>", "Choose or change your nick." },
	{ "NOTICE", "NOTICE <target>[,...] :<text>",
	  "Send a notice; nothing ever answers it automatically." },
	{ "PART", "PART <#channel>[,...] [:<reason>]", "Leave channels." },
	{ "PASS", "PASS <password>",
	  "The server password, before registering." },
	{ "PING", "PING <token>", "Check that the server is there." },
	{ "PONG", "PONG <token>", "Answer a PING." },
	{ "PRIVMSG", "PRIVMSG <target>[,...] :<text>",
	  "Send a message to a channel or a nick." },
	{ "QUIT", "QUIT [:<reason>]", "Leave the server." },
	{ "SETNAME", "SETNAME :<real name>", "Change your real name." },
	{ "SUSPEND", "SUSPEND <account> [:<reason>]",
	  "Admins: lock an account out and end its sessions." },
	{ "TAGMSG", "TAGMSG <target>", "Send only message tags (typing...)." },
	{ "TIME", "TIME [<server>]", "The server's local time." },
	{ "TOPIC", "TOPIC <#channel> [:<topic>]",
	  "Show or set a channel's topic." },
	{ "UNSUSPEND", "UNSUSPEND <account>",
	  "Admins: let a suspended account in again." },
	{ "USER", "USER <user> 0 * :<real name>",
	  "Your user name and real name, when registering." },
	{ "USERHOST", "USERHOST <nick> [<nick> ...]",
	  "user@host of up to five nicks." },
	{ "VERSION", "VERSION [<server>]",
	  "The server's version and ISUPPORT tokens." },
	{ "WHO", "WHO <mask|#channel> [o][%<fields>[,<token>]]",
	  "List users; WHOX fields tcuihsnfdlaor choose the columns." },
	{ "WHOIS", "WHOIS <nick>", "Everything public about a user." },
	{ "WHOWAS", "WHOWAS <nick> [<count>]",
	  "Who used a nick that is gone." },
};
#define NHELP	(sizeof help_entries / sizeof help_entries[0])

static const struct help_entry *
help_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NHELP; i++)
		if (strcmp(help_entries[i].name, name) == 0)
			return &help_entries[i];
	return NULL;
}

/*
 * HELP [<subject>] (modern.ircdocs.horse HELP): without a subject, one
 * line per command in the command table; with one, its usage and what
 * it does.  A command without a help entry still gets its name, so the
 * index and the table never disagree.
 */
int
cmd_help(struct client *c, struct msg *m)
{
	const struct cmd	*tab, *cmd;
	const struct help_entry	*h;
	char			 topic[32], line[160];
	size_t			 n, i;

	if (m->nparams < 1 || m->params[0][0] == '\0') {
		tab = cmd_table_get(&n);
		reply_num(c, RPL_HELPSTART, "*",
		    "lanchat commands (HELP <command> for more):");
		for (i = 0; i < n; i++) {
			/* Admin commands only to those who may use them. */
			if ((tab[i].flags & CMD_OPER) &&
			    !(c->umodes & UMODE_OPER))
				continue;
			h = help_find(tab[i].name);
			snprintf(line, sizeof line, "%-9s %s", tab[i].name,
			    h != NULL ? h->text : "(no description yet)");
			reply_num(c, RPL_HELPTXT, "*", line);
		}
		reply_num(c, RPL_ENDOFHELP, "*", "End of /HELP");
		return 0;
	}
	for (i = 0; m->params[0][i] != '\0' && i + 1 < sizeof topic; i++) {
		char ch = m->params[0][i];

		topic[i] = (ch >= 'a' && ch <= 'z') ? ch - 'a' + 'A' : ch;
	}
	topic[i] = '\0';
	if (m->params[0][i] != '\0') {
		/* Longer than any command; cut, it might not be UTF-8. */
		reply_num(c, ERR_HELPNOTFOUND, "*");
		return 0;
	}
	if ((cmd = cmd_find(topic)) == NULL) {
		reply_num(c, ERR_HELPNOTFOUND, reply_param(topic));
		return 0;
	}
	h = help_find(cmd->name);
	reply_num(c, RPL_HELPSTART, cmd->name, h != NULL ? h->usage :
	    cmd->name);
	if (h != NULL)
		reply_num(c, RPL_HELPTXT, cmd->name, h->text);
	reply_num(c, RPL_ENDOFHELP, cmd->name, "End of /HELP");
	return 0;
}

/* ---- AWAY, SETNAME ------------------------------------------------ */

/*
 * AWAY [:<message>] (RFC 2812 4.1, IRCv3 away-notify): set or clear the
 * away message.  Neighbours with away-notify, and MONITOR watchers with
 * extended-monitor and away-notify, hear of a change; the user itself
 * gets 306 or 305.  Repeating the same state tells nobody.
 */
int
cmd_away(struct client *c, struct msg *m)
{
	struct fanout	 f;
	char		*msg = NULL;
	int		 changed;

	if (m->nparams > 0 && m->params[0][0] != '\0')
		msg = xstrndup(m->params[0],
		    utf8_truncate(m->params[0], AWAYLEN));
	if (msg == NULL)
		changed = c->away != NULL;
	else
		changed = c->away == NULL || strcmp(c->away, msg) != 0;
	free(c->away);
	c->away = msg;
	if (msg != NULL)
		reply_num(c, RPL_NOWAWAY);
	else
		reply_num(c, RPL_UNAWAY);
	if (!changed)
		return 0;
	fanout_init(&f, c);
	f.need_cap = CAP_AWAY_NOTIFY;
	if (msg != NULL)
		fanout_text(&f, 0, ":%s AWAY :%s", client_prefix(c), msg);
	else
		fanout_text(&f, 0, ":%s AWAY", client_prefix(c));
	fanout_neighbours(&f, c, 0, CAP_EXTENDED_MONITOR);
	fanout_done(&f);
	return 0;
}

/*
 * SETNAME :<realname> (IRCv3 setname).  The spec asks servers to handle
 * a SETNAME from a client without the capability "silently, as the
 * historic implementations did": we accept it, and only clients with
 * the capability (the sender included) see the SETNAME message.
 */
int
cmd_setname(struct client *c, struct msg *m)
{
	const char	*name = m->params[0];
	struct fanout	 f;

	if (name[0] == '\0' || info_codepoints(name) > REALNAMELEN ||
	    strlen(name) > REALNAMELEN * 4) {
		reply_fail(c, "SETNAME", "INVALID_REALNAME", NULL,
		    "Realname is not valid: 1 to %d characters", REALNAMELEN);
		return 0;
	}
	free(c->realname);
	c->realname = xstrdup(name);
	fanout_init(&f, c);
	f.need_cap = CAP_SETNAME;
	fanout_text(&f, 0, ":%s SETNAME :%s", client_prefix(c), c->realname);
	fanout_neighbours(&f, c, 1, CAP_EXTENDED_MONITOR);
	fanout_done(&f);
	return 0;
}

/* ---- MONITOR ------------------------------------------------------ */

/* 730 or 731 for one target (as sent), into the right pack. */
static void
monitor_status(const char *target, const char *fold, struct info_pack *on,
    struct info_pack *off)
{
	struct client	*t = dict_get(&srv.clients, fold);

	if (t != NULL && (t->flags & CLIENT_REGISTERED))
		info_pack_add(on, client_prefix(t));
	else
		info_pack_add(off, target);
}

static void
monitor_cmd_add(struct client *c, const char *list)
{
	char			 targets[LINE_MAX_BODY], *p, *tok;
	char			 fold[CASEMAP_FOLDSZ], why[160];
	struct info_pack	 on, off, full;
	uint32_t		 i;
	int			 have;

	info_pack_init(&on, c, 730, NULL, ',');
	info_pack_init(&off, c, 731, NULL, ',');
	info_pack_init(&full, c, 734, NULL, ',');
	strlcpy_u(targets, list, sizeof targets);
	for (p = targets; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0' || casemap_check_nick(tok, fold, sizeof fold,
		    why, sizeof why) != CASEMAP_OK)
			continue;	/* not a nick: skipped */
		for (have = 0, i = 0; i < c->nmonitor && !have; i++)
			have = strcmp(c->monitor[i], fold) == 0;
		if (!have) {
			if (c->nmonitor >= (uint64_t)srv.cfg.max_monitor) {
				info_pack_add(&full, tok);
				continue;
			}
			monitor_add(c, fold);
		}
		monitor_status(tok, fold, &on, &off);
	}
	info_pack_done(&on);
	info_pack_done(&off);
	info_pack_done(&full);
}

static void
monitor_cmd_del(struct client *c, const char *list)
{
	char	targets[LINE_MAX_BODY], *p, *tok;
	char	fold[CASEMAP_FOLDSZ];

	strlcpy_u(targets, list, sizeof targets);
	for (p = targets; (tok = strsep(&p, ",")) != NULL;)
		if (*tok != '\0' && casemap_fold(tok, fold, sizeof fold) == 0)
			monitor_del(c, fold);
}

/*
 * MONITOR + <targets> | - <targets> | C | L | S (IRCv3 monitor).  The
 * list holds folded nicks; L shows them folded.  A target that is not a
 * valid nick is skipped.  Past srv.cfg.max_monitor entries the rest get
 * 734 with the targets as sent.
 */
int
cmd_monitor(struct client *c, struct msg *m)
{
	struct info_pack	 on, off, list;
	struct client		*t;
	char			 op = m->params[0][0];
	uint32_t		 i;

	if (op >= 'a' && op <= 'z')
		op -= 'a' - 'A';
	if (m->params[0][0] == '\0' || m->params[0][1] != '\0')
		op = '?';
	switch (op) {
	case '+':
	case '-':
		if (m->nparams < 2 || m->params[1][0] == '\0') {
			reply_num(c, ERR_NEEDMOREPARAMS, "MONITOR");
			return 0;
		}
		if (op == '+')
			monitor_cmd_add(c, m->params[1]);
		else
			monitor_cmd_del(c, m->params[1]);
		break;
	case 'C':
		monitor_clear(c);
		break;
	case 'L':
		info_pack_init(&list, c, 732, NULL, ',');
		for (i = 0; i < c->nmonitor; i++)
			info_pack_add(&list, c->monitor[i]);
		info_pack_done(&list);
		reply_num(c, RPL_ENDOFMONLIST);
		break;
	case 'S':
		info_pack_init(&on, c, 730, NULL, ',');
		info_pack_init(&off, c, 731, NULL, ',');
		for (i = 0; i < c->nmonitor; i++) {
			t = dict_get(&srv.clients, c->monitor[i]);
			if (t != NULL && (t->flags & CLIENT_REGISTERED))
				info_pack_add(&on, client_prefix(t));
			else
				info_pack_add(&off, c->monitor[i]);
		}
		info_pack_done(&on);
		info_pack_done(&off);
		break;
	default:
		reply_fail(c, "MONITOR", "INVALID_PARAMS", NULL,
		    "Unknown MONITOR subcommand; use +, -, C, L or S");
		break;
	}
	return 0;
}

/* ---- USERHOST, ISON ----------------------------------------------- */

/*
 * USERHOST <nick> [...] (RFC 2812 4.8): up to five nicks, each answered
 * as nick[*]=(+|-)user@host, '*' for an operator, '-' when away.
 * Unknown nicks are left out.
 */
int
cmd_userhost(struct client *c, struct msg *m)
{
	char		 words[LINE_MAX_BODY], *p, *tok;
	struct buf	 b;
	struct client	*t;
	int		 i, n = 0;

	buf_init(&b);
	for (i = 0; i < m->nparams && n < 5; i++) {
		strlcpy_u(words, m->params[i], sizeof words);
		for (p = words; n < 5 && (tok = strsep(&p, " ")) != NULL;) {
			if (*tok == '\0')
				continue;
			n++;
			if ((t = client_find(tok)) == NULL)
				continue;
			if (b.len > 0)
				buf_addch(&b, ' ');
			buf_printf(&b, "%s%s=%c%s@%s", t->nick,
			    (t->umodes & UMODE_OPER) ? "*" : "",
			    t->away != NULL ? '-' : '+', t->user, t->host);
		}
	}
	reply_num(c, RPL_USERHOST, b.len > 0 ? b.data : "");
	buf_free(&b);
	return 0;
}

/*
 * ISON <nick> [...] (RFC 2812 4.9): the ones online, as they spell
 * their nicks now, in one 303 (what does not fit in a line is left out).
 */
int
cmd_ison(struct client *c, struct msg *m)
{
	char		 words[LINE_MAX_BODY], *p, *tok;
	struct buf	 b;
	struct client	*t;
	size_t		 budget;
	int		 i;

	budget = 510 - strlen(srv.name) - strlen(client_name(c)) - 16;
	buf_init(&b);
	for (i = 0; i < m->nparams; i++) {
		strlcpy_u(words, m->params[i], sizeof words);
		for (p = words; (tok = strsep(&p, " ")) != NULL;) {
			if (*tok == '\0' || (t = client_find(tok)) == NULL)
				continue;
			if (b.len + 1 + strlen(t->nick) > budget)
				break;
			if (b.len > 0)
				buf_addch(&b, ' ');
			buf_addstr(&b, t->nick);
		}
	}
	reply_num(c, RPL_ISON, b.len > 0 ? b.data : "");
	buf_free(&b);
	return 0;
}
