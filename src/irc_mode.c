/* MODE: user and channel modes.  (Being written.) */
#include "client.h"
#include "irc.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"

int
cmd_mode(struct client *c, struct msg *m)
{
	(void)m;
	reply_num(c, ERR_UNKNOWNCOMMAND, "MODE");
	return 0;
}
