/*
 * Read markers (IRCv3 draft/read-marker): per account and conversation,
 * the time of the last message the user has read, shared by all of the
 * user's devices.  They are all kept in memory and written through the
 * store; this module owns the read_markers table.
 *
 * A conversation's key is the channel's fold, or the DM key of the other
 * side (history.h).
 */
#ifndef LANCHAT_MARKER_H
#define LANCHAT_MARKER_H

#include <stdint.h>

struct account;

int		 marker_load(char **);
void		 marker_unload(void);
uint64_t	 marker_get(const struct account *, const char *);
int		 marker_set(const struct account *, const char *, uint64_t);
void		 marker_seen(struct account *, uint64_t);

#endif
