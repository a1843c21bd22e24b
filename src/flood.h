/*
 * The flood-control token bucket, pure so that it can be unit tested:
 * a burst of `burst` commands at once, then `rate` per second.  Times are
 * monotonic milliseconds; a clock that does not move (or moves back)
 * refills nothing and never underflows.
 */
#ifndef LANCHAT_FLOOD_H
#define LANCHAT_FLOOD_H

#include <stdint.h>

struct flood {
	double		tokens;
	uint64_t	ms;
};

void	flood_init(struct flood *, double, uint64_t);
int	flood_ok(struct flood *, uint64_t, double, double);
void	flood_take(struct flood *, double);
uint64_t flood_wait_ms(const struct flood *, double);

#endif
