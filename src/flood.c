/*
 * Token bucket.  The bucket holds at most `burst` tokens; time adds `rate`
 * tokens a second; each command takes its penalty.  A command may run
 * while at least one token is left, so a penalty larger than one can
 * drive the bucket negative: the client then waits longer.
 */
#include "flood.h"

void
flood_init(struct flood *f, double burst, uint64_t now)
{
	f->tokens = burst;
	f->ms = now;
}

/* Refill for the time since the last call; 1 if a command may run. */
int
flood_ok(struct flood *f, uint64_t now, double rate, double burst)
{
	if (now > f->ms) {
		f->tokens += (double)(now - f->ms) * rate / 1000.0;
		if (f->tokens > burst)
			f->tokens = burst;
		f->ms = now;
	}
	return f->tokens >= 1.0;
}

void
flood_take(struct flood *f, double cost)
{
	f->tokens -= cost;
}

/* Milliseconds until one token is there again at `rate` per second. */
uint64_t
flood_wait_ms(const struct flood *f, double rate)
{
	if (f->tokens >= 1.0 || rate <= 0)
		return 0;
	return (uint64_t)((1.0 - f->tokens) * 1000.0 / rate) + 1;
}
