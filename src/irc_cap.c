/*
 * CAP: IRCv3 capability negotiation, version 302 (values, cap-notify,
 * multi-line LS).  The capability table is data: name, bit, value, and
 * whether it is offered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "conn.h"
#include "irc.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"

struct cap_def {
	const char	*name;
	int		 id;
	const char	*value;		/* shown to 302 clients, or NULL */
	int		 offered;
};

static struct cap_def cap_defs[] = {
	{ "account-notify",	CAP_ACCOUNT_NOTIFY,	NULL, 1 },
	{ "account-tag",	CAP_ACCOUNT_TAG,	NULL, 1 },
	{ "away-notify",	CAP_AWAY_NOTIFY,	NULL, 1 },
	{ "batch",		CAP_BATCH,		NULL, 1 },
	{ "cap-notify",		CAP_CAP_NOTIFY,		NULL, 1 },
	{ "chghost",		CAP_CHGHOST,		NULL, 1 },
	{ "echo-message",	CAP_ECHO_MESSAGE,	NULL, 1 },
	{ "extended-join",	CAP_EXTENDED_JOIN,	NULL, 1 },
	{ "extended-monitor",	CAP_EXTENDED_MONITOR,	NULL, 1 },
	{ "invite-notify",	CAP_INVITE_NOTIFY,	NULL, 1 },
	{ "labeled-response",	CAP_LABELED_RESPONSE,	NULL, 1 },
	{ "message-tags",	CAP_MESSAGE_TAGS,	NULL, 1 },
	{ "multi-prefix",	CAP_MULTI_PREFIX,	NULL, 1 },
	{ "no-implicit-names",	CAP_NO_IMPLICIT_NAMES,	NULL, 1 },
	{ "sasl",		CAP_SASL,		SASL_MECHS_TLS, 1 },
	{ "draft/account-registration", CAP_ACCOUNT_REGISTRATION,
	  "before-connect,custom-account-name", 1 },
	{ "draft/account-required", CAP_ACCOUNT_REQUIRED, NULL, 0 },
	{ "draft/chathistory",	CAP_CHATHISTORY,	NULL, 1 },
	{ "draft/event-playback", CAP_EVENT_PLAYBACK,	NULL, 1 },
	{ "draft/message-edit",	CAP_MESSAGE_EDIT,	NULL, 1 },
	{ "draft/message-redaction", CAP_MESSAGE_REDACTION, NULL, 1 },
	{ "draft/read-marker",	CAP_READ_MARKER,	NULL, 1 },
	{ "server-time",	CAP_SERVER_TIME,	NULL, 1 },
	{ "setname",		CAP_SETNAME,		NULL, 1 },
	{ "soju.im/search",	CAP_SEARCH,		NULL, 1 },
	{ "standard-replies",	CAP_STANDARD_REPLIES,	NULL, 1 },
	{ "userhost-in-names",	CAP_USERHOST_IN_NAMES,	NULL, 1 },
};
#define NCAPS	(sizeof cap_defs / sizeof cap_defs[0])

static struct cap_def *
cap_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < NCAPS; i++)
		if (cap_defs[i].offered && strcmp(cap_defs[i].name, name) == 0)
			return &cap_defs[i];
	return NULL;
}

/* Offer what the settings allow (at start and after SIGHUP). */
void
irc_cap_configure(void)
{
	size_t	i;

	for (i = 0; i < NCAPS; i++) {
		if (cap_defs[i].id == CAP_ACCOUNT_REQUIRED)
			cap_defs[i].offered = srv.cfg.login_required != 0;
		if (cap_defs[i].id == CAP_ACCOUNT_REGISTRATION)
			cap_defs[i].offered = strcmp(srv.cfg.registration,
			    "closed") != 0;
	}
}

const char *
irc_cap_name(int id)
{
	size_t	i;

	for (i = 0; i < NCAPS; i++)
		if (cap_defs[i].id == id)
			return cap_defs[i].name;
	return "?";
}

/*
 * Send a list of capabilities as "CAP <nick> <sub> :..." lines, split so
 * that no line passes 510 bytes; 302 clients see "*" on all but the last.
 */
static void
cap_send_list(struct client *c, const char *sub, int ls)
{
	struct buf	line, item;
	size_t		i, prefix;
	int		values = ls && c->cur->cap_version >= 302;

	buf_init(&line);
	buf_init(&item);
	buf_printf(&line, ":%s CAP %s %s ", srv.name, client_name(c), sub);
	prefix = line.len;
	buf_addch(&line, ':');
	for (i = 0; i < NCAPS; i++) {
		if (!cap_defs[i].offered)
			continue;
		if (!ls && !client_has_cap(c, cap_defs[i].id))
			continue;
		buf_reset(&item);
		buf_addstr(&item, cap_defs[i].name);
		if (values && cap_defs[i].id == CAP_SASL &&
		    !(c->cur->conn->flags & CONN_SECURE))
			buf_printf(&item, "=%s", SASL_MECHS);
		else if (values && cap_defs[i].value != NULL)
			buf_printf(&item, "=%s", cap_defs[i].value);
		if (line.len + item.len + 3 > 400 &&
		    line.len > prefix + 1) {
			if (c->cur->cap_version >= 302) {
				char *rest = strdup(line.data + prefix);

				line.len = prefix;
				buf_printf(&line, "* %s", rest);
				free(rest);
			}
			client_sendf(c, "%s", line.data);
			buf_reset(&line);
			buf_printf(&line, ":%s CAP %s %s :", srv.name,
			    client_name(c), sub);
		}
		if (line.data[line.len - 1] != ':')
			buf_addch(&line, ' ');
		buf_add(&line, item.data, item.len);
	}
	client_sendf(c, "%s", line.data);
	buf_free(&line);
	buf_free(&item);
}

/*
 * CAP REQ: all or nothing.  Every token must name an offered capability
 * ("-name" to remove); then ACK the whole list, else NAK it.
 */
static void
cap_req(struct client *c, const char *list)
{
	char		 copy[512], *p, *tok;
	uint64_t	 add = 0, del = 0;
	struct cap_def	*d;
	int		 neg;

	snprintf(copy, sizeof copy, "%s", list);
	for (p = copy; (tok = strsep(&p, " ")) != NULL;) {
		if (*tok == '\0')
			continue;
		neg = *tok == '-';
		if ((d = cap_lookup(tok + neg)) == NULL)
			goto nak;
		/* Informational only: a client may not request it. */
		if (d->id == CAP_ACCOUNT_REQUIRED)
			goto nak;
		if (neg)
			del |= CAPF(d->id);
		else
			add |= CAPF(d->id);
	}
	c->cur->caps = (c->cur->caps | add) & ~del;
	client_sendf(c, ":%s CAP %s ACK :%s", srv.name, client_name(c), list);
	return;
nak:
	client_sendf(c, ":%s CAP %s NAK :%s", srv.name, client_name(c), list);
}

int
cmd_cap(struct client *c, struct msg *m)
{
	const char	*sub = m->params[0];
	char		 usub[16];
	size_t		 i;

	for (i = 0; i < sizeof usub - 1 && sub[i] != '\0'; i++)
		usub[i] = (sub[i] >= 'a' && sub[i] <= 'z') ? sub[i] - 32 :
		    sub[i];
	usub[i] = '\0';
	if (strcmp(usub, "LS") == 0) {
		if (!(c->cur->flags & SESSION_REGISTERED))
			c->cur->flags |= SESSION_CAP_NEG;
		if (m->nparams > 1 && atoi(m->params[1]) > c->cur->cap_version)
			c->cur->cap_version = atoi(m->params[1]);
		if (c->cur->cap_version >= 302)
			c->cur->caps |= CAPF(CAP_CAP_NOTIFY);
		cap_send_list(c, "LS", 1);
	} else if (strcmp(usub, "LIST") == 0) {
		cap_send_list(c, "LIST", 0);
	} else if (strcmp(usub, "REQ") == 0) {
		if (m->nparams < 2) {
			reply_num(c, ERR_NEEDMOREPARAMS, "CAP");
			return 0;
		}
		if (!(c->cur->flags & SESSION_REGISTERED))
			c->cur->flags |= SESSION_CAP_NEG;
		cap_req(c, m->params[1]);
	} else if (strcmp(usub, "END") == 0) {
		if (!(c->cur->flags & SESSION_REGISTERED)) {
			c->cur->flags &= ~SESSION_CAP_NEG;
			session_try_register(c->cur);
		}
	} else {
		reply_num(c, ERR_INVALIDCAPCMD, sub);
	}
	return 0;
}
