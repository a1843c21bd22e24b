/*
 * Registered channels: a channel made by a logged-in user outlives its
 * members.  Its topic, modes, lists and operators (by account) are kept
 * in the channels, channel_access and channel_lists tables, which this
 * module owns.
 */
#ifndef LANCHAT_CHANREG_H
#define LANCHAT_CHANREG_H

struct channel;
struct client;
struct membership;

int	chanreg_load(char **);
void	chanreg_changed(struct channel *);
void	chanreg_created(struct channel *, struct client *);
void	chanreg_joined(struct channel *, struct membership *);
void	chanreg_member_modes(struct channel *, struct membership *);

#endif
