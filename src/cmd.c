/*
 * The command table.  Rows are designated initialisers; the order is
 * only for reading.  cmd_init() indexes them by name.
 */
#include <stddef.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "conn.h"
#include "dict.h"
#include "irc.h"
#include "log.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "session.h"

static struct cmd cmd_table[] = {
	/* Registration and connection: allowed before registration. */
	{ .name = "CAP",	.fn = cmd_cap,		.min = 1, .penalty = 0 },
	{ .name = "PASS",	.fn = cmd_pass,		.min = 1, .penalty = 1 },
	{ .name = "NICK",	.fn = cmd_nick,		.min = 0, .penalty = 1 },
	{ .name = "USER",	.fn = cmd_user,		.min = 4, .penalty = 1 },
	{ .name = "PING",	.fn = cmd_ping,		.min = 1, .penalty = 1 },
	{ .name = "PONG",	.fn = cmd_pong,		.min = 0, .penalty = 0 },
	{ .name = "QUIT",	.fn = cmd_quit,		.min = 0, .penalty = 0 },
	{ .name = "AUTHENTICATE", .fn = cmd_authenticate, .min = 1,
	  .penalty = 1 },
	{ .name = "REGISTER",	.fn = cmd_register,	.min = 3, .penalty = 2 },
	{ .name = "VERIFY",	.fn = cmd_verify,	.min = 2, .penalty = 2 },

	/* Accounts for clients without SASL or REGISTER. */
	{ .name = "NICKSERV",	.fn = cmd_nickserv,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "NS",		.fn = cmd_nickserv,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "TOKEN",	.fn = cmd_token,	.min = 1,
	  .flags = CMD_REG, .penalty = 2 },

	/* Channels. */
	{ .name = "JOIN",	.fn = cmd_join,		.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "PART",	.fn = cmd_part,		.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "TOPIC",	.fn = cmd_topic,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "NAMES",	.fn = cmd_names,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "LIST",	.fn = cmd_list,		.min = 0,
	  .flags = CMD_REG, .penalty = 2 },
	{ .name = "KICK",	.fn = cmd_kick,		.min = 2,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "INVITE",	.fn = cmd_invite,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "MODE",	.fn = cmd_mode,		.min = 1,
	  .flags = CMD_REG, .penalty = 1 },

	/* Messages. */
	{ .name = "PRIVMSG",	.fn = cmd_privmsg,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "NOTICE",	.fn = cmd_notice,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "TAGMSG",	.fn = cmd_tagmsg,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },

	/* History. */
	{ .name = "CHATHISTORY", .fn = cmd_chathistory,	.min = 1,
	  .flags = CMD_REG, .penalty = 2 },
	{ .name = "MARKREAD",	.fn = cmd_markread,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "SEARCH",	.fn = cmd_search,	.min = 1,
	  .flags = CMD_REG, .penalty = 2 },

	/* Changing what was said. */
	{ .name = "REDACT",	.fn = cmd_redact,	.min = 2,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "EDIT",	.fn = cmd_edit,		.min = 1,
	  .flags = CMD_REG, .penalty = 1 },

	/* Queries and presence. */
	{ .name = "WHO",	.fn = cmd_who,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "WHOIS",	.fn = cmd_whois,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "WHOWAS",	.fn = cmd_whowas,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "MOTD",	.fn = cmd_motd,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "LUSERS",	.fn = cmd_lusers,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "VERSION",	.fn = cmd_version,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "TIME",	.fn = cmd_time,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "ADMIN",	.fn = cmd_admin,	.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "INFO",	.fn = cmd_info,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "HELP",	.fn = cmd_help,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "AWAY",	.fn = cmd_away,		.min = 0,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "SETNAME",	.fn = cmd_setname,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "MONITOR",	.fn = cmd_monitor,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "USERHOST",	.fn = cmd_userhost,	.min = 1,
	  .flags = CMD_REG, .penalty = 1 },
	{ .name = "ISON",	.fn = cmd_ison,		.min = 1,
	  .flags = CMD_REG, .penalty = 1 },

	/* Server administration: admins (+o) only. */
	{ .name = "KILL",	.fn = cmd_kill,		.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
	{ .name = "SUSPEND",	.fn = cmd_suspend,	.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
	{ .name = "UNSUSPEND",	.fn = cmd_unsuspend,	.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
	{ .name = "APPROVE",	.fn = cmd_approve,	.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
	{ .name = "BAN",	.fn = cmd_ban,		.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
	{ .name = "ANNOUNCE",	.fn = cmd_announce,	.min = 1,
	  .flags = CMD_REG | CMD_OPER, .penalty = 1 },
};
#define NCMDS	(sizeof cmd_table / sizeof cmd_table[0])

static struct dict	cmd_index;

void
cmd_init(void)
{
	size_t	i;

	for (i = 0; i < NCMDS; i++)
		if (dict_put(&cmd_index, cmd_table[i].name, &cmd_table[i]) != 0)
			fatalx("cmd_init: %s twice in the table",
			    cmd_table[i].name);
}

const struct cmd *
cmd_find(const char *verb)
{
	return dict_get(&cmd_index, verb);
}

/* The whole table (for tests and HELP). */
const struct cmd *
cmd_table_get(size_t *n)
{
	*n = NCMDS;
	return cmd_table;
}

/*
 * Run m, sent by session s.  Every generic check happens here, in this
 * order: the label is opened (so errors are labeled too), the verb is
 * looked up, registration, parameter count, operator rights; then the
 * flood cost is charged and the handler runs with the session's client,
 * whose cur is s for the time of the call.  Returns the handler's result.
 */
int
cmd_dispatch(struct session *s, struct msg *m)
{
	struct cmd	*cmd = dict_get(&cmd_index, m->verb);
	struct client	*c = s->client;
	int		 r = 0;

	c->cur = s;
	reply_begin(s, m);
	if (cmd == NULL) {
		session_bucket_take(s, 1);
		if (s->flags & SESSION_REGISTERED)
			reply_num(c, ERR_UNKNOWNCOMMAND, m->verb);
		else
			reply_num(c, ERR_NOTREGISTERED);
		goto done;
	}
	session_bucket_take(s, cmd->penalty);
	cmd->calls++;
	if ((cmd->flags & CMD_REG) && !(s->flags & SESSION_REGISTERED)) {
		reply_num(c, ERR_NOTREGISTERED);
		goto done;
	}
	if (m->nparams < cmd->min) {
		reply_num(c, ERR_NEEDMOREPARAMS, cmd->name);
		goto done;
	}
	if ((cmd->flags & CMD_OPER) && !(c->umodes & UMODE_OPER)) {
		reply_num(c, ERR_NOPRIVILEGES);
		goto done;
	}
	r = cmd->fn(c, m);
done:
	reply_end(s);
	/* The handler may have moved s to another client (a second login
	 * to an account already online); neither keeps a current session. */
	c->cur = NULL;
	if (s->client != NULL)
		s->client->cur = NULL;
	return r;
}
