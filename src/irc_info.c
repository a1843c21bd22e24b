/* Queries and presence.  (Being written.) */
#include "client.h"
#include "irc.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"

#define STUB(fn, name) int fn(struct client *c, struct msg *m) \
	{ (void)m; reply_num(c, ERR_UNKNOWNCOMMAND, name); return 0; }
STUB(cmd_who, "WHO")
STUB(cmd_whois, "WHOIS")
STUB(cmd_whowas, "WHOWAS")
STUB(cmd_lusers, "LUSERS")
STUB(cmd_version, "VERSION")
STUB(cmd_time, "TIME")
STUB(cmd_away, "AWAY")
STUB(cmd_setname, "SETNAME")
STUB(cmd_monitor, "MONITOR")
STUB(cmd_userhost, "USERHOST")
STUB(cmd_ison, "ISON")
STUB(cmd_admin, "ADMIN")
STUB(cmd_info, "INFO")
STUB(cmd_help, "HELP")

int
cmd_motd(struct client *c, struct msg *m)
{
	(void)m;
	irc_motd(c);
	return 0;
}
