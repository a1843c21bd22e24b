/*
 * Remembered channels: the channels an account's user is in, kept so
 * that the user is back in them at the next login, on any device (a new
 * phone finds its conversations, and CHATHISTORY TARGETS lists them).
 * This module owns the account_channels table.
 */
#ifndef LANCHAT_AUTOJOIN_H
#define LANCHAT_AUTOJOIN_H

struct channel;
struct client;

int	autojoin_load(char **);
void	autojoin_unload(void);
void	autojoin_joined(struct client *, struct channel *);
void	autojoin_left(struct client *, struct channel *);
void	autojoin_login(struct client *);

#endif
