/*
 * The event loop: one libuv loop, the per-turn hook that reaps dead
 * connections and flushes output, the housekeeping and flood timers, and
 * the signals.
 */
#ifndef LANCHAT_LOOP_H
#define LANCHAT_LOOP_H

int	loop_init(void);
int	loop_run(void);
void	loop_shutdown(const char *);
void	loop_flood_arm(void);

#endif
