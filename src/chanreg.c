/*
 * Registered channels (being written).
 */
#include "chanreg.h"
#include "channel.h"

int
chanreg_load(char **cause)
{
	(void)cause;
	return 0;
}

void
chanreg_changed(struct channel *ch)
{
	(void)ch;
}

void
chanreg_created(struct channel *ch, struct client *c)
{
	(void)ch;
	(void)c;
}

void
chanreg_joined(struct channel *ch, struct membership *m)
{
	(void)ch;
	(void)m;
}

void
chanreg_member_modes(struct channel *ch, struct membership *m)
{
	(void)ch;
	(void)m;
}
