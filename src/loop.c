/*
 * The loop.  Everything happens on this thread.  The order inside one
 * turn matters and is libuv's: timers, then I/O callbacks (reads,
 * accepts, write completions, thread-pool completions), then our check
 * hook, which first reaps the conns killed during the turn and then
 * writes every conn that has output: a burst of input becomes one write
 * per connection, and no conn is freed while a callback still holds it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "client.h"
#include "session.h"
#include "config.h"
#include "conn.h"
#include "lc_limits.h"
#include "deliver.h"
#include "discovery.h"
#include "history.h"
#include "http.h"
#include "irc.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "server.h"
#include "store.h"
#include "token.h"
#include "upload.h"
#include "util.h"
#include "zeroconf.h"

#define READS_GRACE_MS	10000	/* past the drain: reads still running */

static uv_check_t	loop_check;
static uv_timer_t	loop_tick;
static uv_timer_t	loop_flood;
static uv_timer_t	loop_stop;
static uv_signal_t	loop_sigterm, loop_sigint, loop_sighup;
static uint64_t		loop_stop_deadline;

/*
 * The end of a turn: close what was killed, write what was queued.  The
 * check hook runs it after the I/O callbacks; the timers run it too,
 * because libuv runs timers before it polls, and output they queue (a
 * PING, lines of a client let out of flood control) would otherwise wait
 * in the queue until the next wake-up, up to a whole tick later.
 */
static void
loop_turn_end(void)
{
	event_release();
	conn_reap();
	client_reap();
	conn_flush_all();
	loop_flood_arm();
}

static void
loop_check_cb(uv_check_t *h)
{
	(void)h;
	loop_turn_end();
}

static void
loop_tick_cb(uv_timer_t *h)
{
	uint64_t	now = now_ms();

	(void)h;
	session_tick(now);
	http_tick(now);
	irc_acct_tick(now);
	token_tick(now);
	upload_tick(now);
	conn_tick(now);
	listen_tick(now);
	loop_turn_end();
}

static void
loop_flood_cb(uv_timer_t *h)
{
	conn_flood_tick();
	if (!conn_any_throttled())
		uv_timer_stop(h);
	loop_turn_end();
}

/* Run the flood timer only while someone is held back. */
void
loop_flood_arm(void)
{
	if (conn_any_throttled() && !uv_is_active((uv_handle_t *)&loop_flood))
		uv_timer_start(&loop_flood, loop_flood_cb, FLOOD_TICK_MS,
		    FLOOD_TICK_MS);
}

static void
loop_stop_cb(uv_timer_t *h)
{
	(void)h;
	if (conn_count() > 0 && now_ms() < loop_stop_deadline)
		return;
	/* Whoever has not drained by now is cut; then our own handles
	 * close and uv_run() returns. */
	conn_close_all_now();
	/* A read still running uses a reader connection that
	 * store_close() would close under it: let it finish (a read has
	 * a deadline; past READS_GRACE_MS something is stuck). */
	if (store_reads_pending() > 0 &&
	    now_ms() < loop_stop_deadline + READS_GRACE_MS)
		return;
	if (store_reads_pending() > 0)
		log_warnx("stopping with %u database reads unfinished",
		    store_reads_pending());
	/* Everything queued for the disk is written before we go; the
	 * store's wake-up handle closes with it. */
	store_close();
	uv_close((uv_handle_t *)&loop_check, NULL);
	uv_close((uv_handle_t *)&loop_tick, NULL);
	uv_close((uv_handle_t *)&loop_flood, NULL);
	uv_close((uv_handle_t *)&loop_stop, NULL);
	uv_close((uv_handle_t *)&loop_sigterm, NULL);
	uv_close((uv_handle_t *)&loop_sigint, NULL);
	uv_close((uv_handle_t *)&loop_sighup, NULL);
}

/*
 * Graceful shutdown: stop accepting, send every client ERROR with the
 * reason, wait for the queues to drain (CLOSE_GRACE at most), then close
 * everything so that uv_run() returns.
 */
void
loop_shutdown(const char *reason)
{
	if (srv.shutting_down)
		return;
	srv.shutting_down = 1;
	log_info("shutting down: %s", reason);
	listen_close_all();
	discovery_stop();
	zeroconf_stop();
	conn_shutdown_all("Server shutting down");
	loop_stop_deadline = now_ms() + CLOSE_GRACE * 1000 + 500;
	uv_timer_start(&loop_stop, loop_stop_cb, 50, 50);
}

static void
loop_signal_cb(uv_signal_t *h, int signum)
{
	struct config_errors	errs = { NULL, 0 };
	int			i;

	(void)h;
	if (signum == SIGHUP) {
		if (config_reload(&srv.cfg, srv.argc, srv.argv, &errs) != 0) {
			for (i = 0; i < errs.n; i++)
				log_warnx("reload: %s", errs.v[i]);
			log_warnx("reload: settings unchanged");
		} else {
			log_set_verbose(srv.cfg.verbose);
			log_trace_flags = srv.cfg.trace != NULL ?
			    log_trace_parse(srv.cfg.trace) : 0;
			irc_cap_configure();
			history_set_retention(srv.cfg.history_days);
			log_info("reloaded settings");
		}
		config_errors_free(&errs);
		server_load_motd();
		log_info("reloaded the MOTD (%zu lines)", srv.nmotd);
		/* lanchatd admin ... may have changed the database. */
		account_reload_flags(irc_admin_flags_changed);
		irc_admin_reload_bans();
		return;
	}
	loop_shutdown(signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

int
loop_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* Past a file size limit a write fails (EFBIG, an upload's 507)
	 * rather than killing the server. */
	signal(SIGXFSZ, SIG_IGN);
	srv.loop = uv_default_loop();
	uv_check_init(srv.loop, &loop_check);
	uv_check_start(&loop_check, loop_check_cb);
	uv_timer_init(srv.loop, &loop_tick);
	uv_timer_start(&loop_tick, loop_tick_cb, TICK_INTERVAL_MS,
	    TICK_INTERVAL_MS);
	uv_timer_init(srv.loop, &loop_flood);
	uv_timer_init(srv.loop, &loop_stop);
	uv_signal_init(srv.loop, &loop_sigterm);
	uv_signal_start(&loop_sigterm, loop_signal_cb, SIGTERM);
	uv_signal_init(srv.loop, &loop_sigint);
	uv_signal_start(&loop_sigint, loop_signal_cb, SIGINT);
	uv_signal_init(srv.loop, &loop_sighup);
	uv_signal_start(&loop_sighup, loop_signal_cb, SIGHUP);
	return 0;
}

int
loop_run(void)
{
	uv_run(srv.loop, UV_RUN_DEFAULT);
	/* Let the close callbacks run, then free the loop. */
	uv_run(srv.loop, UV_RUN_DEFAULT);
	return uv_loop_close(srv.loop) == 0 ? 0 : 1;
}
