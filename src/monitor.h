/*
 * MONITOR (IRCv3 monitor): who watches which nick.  A table from folded
 * nick to the clients watching it; each client also keeps its own list
 * (client->monitor) so that it can be cleared when it leaves.
 */
#ifndef LANCHAT_MONITOR_H
#define LANCHAT_MONITOR_H

struct client;
struct fanout;

int	monitor_add(struct client *, const char *);
int	monitor_del(struct client *, const char *);
void	monitor_clear(struct client *);
void	monitor_signon(struct client *);
void	monitor_signoff(const char *, const char *);
void	monitor_fanout(struct fanout *, const char *, int);

#endif
