/*
 * Registered channels: a channel made by a logged-in user outlives its
 * members.  Its topic, modes, lists and operators (by account) are kept
 * in the channels, channel_access and channel_lists tables, which this
 * module owns.
 *
 * Memory comes first: the handlers change the channel as for any other
 * channel, then call in here, and the change is written through the
 * store behind them.  A write that fails is logged; the channel goes on
 * as it is in memory.
 */
#ifndef LANCHAT_CHANREG_H
#define LANCHAT_CHANREG_H

struct channel;
struct client;
struct listentry;
struct membership;

int		 chanreg_load(char **);
void		 chanreg_unload(void);
void		 chanreg_created(struct channel *, struct client *);
void		 chanreg_joined(struct channel *, struct membership *);
unsigned int	 chanreg_access(const struct channel *,
		    const struct client *);
void		 chanreg_changed(struct channel *);
void		 chanreg_member_modes(struct channel *, struct membership *);
void		 chanreg_list_add(struct channel *, char,
		    const struct listentry *);
void		 chanreg_list_del(struct channel *, char, const char *);
int		 chanreg_service_msg(struct client *, const char *,
		    const char *);

#endif
