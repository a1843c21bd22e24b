/*
 * A whole lanchatd without sockets, shared by fuzz_session.c,
 * fuzz_http.c and fuzz_ws.c (not a harness itself: scripts/fuzz builds
 * only fuzz/fuzz_*.c as harnesses, each naming this file on its
 * FUZZ_SOURCES line).
 *
 * The server is the real one: the command table, the store (SQLite in a
 * temporary directory, on /dev/shm when there is one: FUZZ_TMPDIR
 * overrides), accounts, history, uploads.  What is missing is only the
 * sockets: conns are made with conn_new_nosock(), the harness hands
 * them bytes with conn_input(), and what the server writes lands in
 * struct world_conn (the lines of an IRC conn are checked one by one on
 * the way: world_check_line).  Nothing runs the housekeeping tick, so no
 * timeout ever fires; flood control is off (--flood-burst 0), so input
 * is never held back for later.
 *
 * Time is the loop's: world_settle() does what the end of a loop turn
 * does (loop.c), then runs the loop until the store has finished every
 * job, the thread pool every read and password hash, and every closed
 * conn is freed.  So after it the server is idle, as it would be
 * between two packets from a slow client.
 *
 * Every input starts from the same state: world_close_all() closes
 * every conn and checks that nothing is left of them (no client, no
 * channel, no unknown connection, no event waiting); world_reset() then
 * empties every table (in a store job, as any writer would) and loads
 * the modules' memory again from the empty database.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <uv.h>

#include "account.h"
#include "autojoin.h"
#include "casemap.h"
#include "channel.h"
#include "chanreg.h"
#include "client.h"
#include "cmd.h"
#include "config.h"
#include "deliver.h"
#include "history.h"
#include "http.h"
#include "irc.h"
#include "lc_limits.h"
#include "line.h"
#include "log.h"
#include "marker.h"
#include "pwhash.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "token.h"
#include "upload.h"
#include "whowas.h"
#include "ws.h"
#include "world.h"

#define WORLD_CONNS	16

static struct world_conn	*world_conns[WORLD_CONNS];
static int			 world_nconns;
static char			 world_dir[256];
static int			 world_ready;
static char			 world_hash[256];	/* of WORLD_PASSWORD */

/* ---- the fake transport ---- */

static void
world_keep(struct world_conn *w, const char *data, size_t len)
{
	size_t	room;

	w->total += len;
	room = w->out.len < WORLD_OUT_MAX ? WORLD_OUT_MAX - w->out.len : 0;
	buf_add(&w->out, data, len < room ? len : room);
}

/*
 * One line the server sent (CRLF included): what every client relies
 * on.  It ends in CRLF and holds no other CR, LF or NUL (no line
 * injection); it is valid UTF-8 (DESIGN.md: invalid UTF-8 is never
 * relayed); its body is at most 512 bytes with the CRLF and its tags at
 * most 8191 (IRCv3 message-tags).
 */
void
world_check_line(const char *l, size_t len)
{
	const char	*body = l, *sp;

	CHECK(len >= 3);
	CHECK(l[len - 2] == '\r' && l[len - 1] == '\n');
	CHECK(memchr(l, '\r', len - 2) == NULL);
	CHECK(memchr(l, '\n', len - 2) == NULL);
	CHECK(memchr(l, '\0', len - 2) == NULL);
	CHECK(casemap_utf8_valid(l, len - 2));
	if (l[0] == '@') {
		sp = memchr(l, ' ', len);
		CHECK(sp != NULL);
		CHECK((size_t)(sp - l) + 1 <= LINE_MAX_TAGS);
		body = sp + 1;
	}
	if ((size_t)(l + len - body) > LINE_MAX_BODY) {
		fprintf(stderr, "line too long (%zu): %.*s\n",
		    (size_t)(l + len - body), (int)len, l);
		CHECK((size_t)(l + len - body) <= LINE_MAX_BODY);
	}
}

static void
world_read(struct conn *c, char *data, size_t len)
{
	conn_input(c, data, len);
}

/* The queued lines of an IRC or HTTP conn (WebSocket: ws_flush). */
static void
world_flush(struct conn *c)
{
	struct world_conn	*w = c->tp;
	struct line		*l;

	while ((l = conn_queue_pop(c)) != NULL) {
		world_check_line(l->data, l->len);
		w->lines++;
		world_keep(w, l->data, l->len);
		line_unref(l);
	}
}

static void
world_write_raw(struct conn *c, const char *data, size_t len)
{
	world_keep(c->tp, data, len);
}

static void
world_free(struct conn *c)
{
	struct world_conn	*w = c->tp;

	w->c = NULL;
}

static const struct conn_ops world_ops = {
	.name = "fuzz",
	.read = world_read,
	.flush = world_flush,
	.write_raw = world_write_raw,
	.shutdown = NULL,
	.free = world_free,
};

/* ---- the loop ---- */

static int
world_closing(void)
{
	int	i;

	for (i = 0; i < world_nconns; i++)
		if (world_conns[i]->c != NULL &&
		    (world_conns[i]->c->flags & CONN_CLOSED))
			return 1;
	return 0;
}

/* What the end of a loop turn does (loop.c, loop_turn_end). */
static void
world_turn_end(void)
{
	event_release();
	conn_reap();
	client_reap();
	conn_flush_all();
}

/*
 * Run the loop until the server is idle: every store job done, every
 * thread-pool job back, every closed conn freed.
 */
void
world_settle(void)
{
	int	n;

	for (n = 0;; n++) {
		world_turn_end();
		if (store_unfinished() == 0 &&
		    srv.loop->active_reqs.count == 0 && !world_closing())
			break;
		CHECK(n < 1000000);
		uv_run(srv.loop, UV_RUN_ONCE);
	}
}

/* ---- conns ---- */

/*
 * A new conn speaking proto: PROTO_IRC (an IRC port: a session at
 * once), PROTO_HTTP (the web port) or PROTO_WS (already upgraded; arg
 * is WS_PROTO_TEXT or WS_PROTO_BINARY).
 */
struct world_conn *
world_conn(int proto, int arg)
{
	struct world_conn	*w;

	CHECK(world_nconns < WORLD_CONNS);
	w = calloc(1, sizeof *w);
	CHECK(w != NULL);
	buf_init(&w->out);
	w->proto = proto;
	w->c = conn_new_nosock(&world_ops, "127.0.0.1");
	w->c->tp = w;
	switch (proto) {
	case PROTO_HTTP:
		http_init(w->c);
		break;
	case PROTO_WS:
		CHECK(ws_start(w->c, arg) == 0);
		conn_attach_session(w->c);
		break;
	default:
		conn_attach_session(w->c);
		break;
	}
	world_conns[world_nconns++] = w;
	return w;
}

int
world_alive(const struct world_conn *w)
{
	return w->c != NULL && !(w->c->flags & (CONN_DYING | CONN_CLOSING |
	    CONN_CLOSED));
}

/*
 * Give w's conn len bytes, as one read would, and let the server finish
 * with them.  The bytes are copied to a buffer of exactly len bytes, so
 * that the sanitizer sees any read past their end.
 */
void
world_input(struct world_conn *w, const char *data, size_t len)
{
	char	*p;

	if (!world_alive(w) || len == 0)
		return;
	p = malloc(len);
	CHECK(p != NULL);
	memcpy(p, data, len);
	w->c->ops->read(w->c, p, len);
	free(p);
	world_settle();
}

static void
world_account_cb(void *arg, int status, struct account *a)
{
	(void)arg;
	(void)a;
	CHECK(status == 0);
}

/*
 * A registered client with nick on an IRC conn.  With WORLD_CAPS it
 * asked for every capability the server has first; with WORLD_LOGIN it
 * logged in with SASL PLAIN to an account of its nick (password
 * WORLD_PASSWORD) that is an administrator (so KILL, BAN, ... run).
 */
struct world_conn *
world_client(const char *nick, int how)
{
	struct world_conn	*w;
	char			 reg[2048], plain[128], b64[256];
	size_t			 pl;
	int			 n;

	if (how & WORLD_LOGIN) {
		CHECK(account_create(nick, nick, world_hash, ACCOUNT_ADMIN,
		    world_account_cb, NULL) == 0);
		world_settle();
		CHECK(account_find(nick) != NULL);
	}
	pl = (size_t)snprintf(plain, sizeof plain, "%c%s%c%s", 0, nick, 0,
	    WORLD_PASSWORD);
	sodium_bin2base64(b64, sizeof b64, (unsigned char *)plain, pl,
	    sodium_base64_VARIANT_ORIGINAL);
	w = world_conn(PROTO_IRC, 0);
	n = snprintf(reg, sizeof reg, "%s%s%s%sNICK %s\r\nUSER %s 0 * :%s\r\n"
	    "%s",
	    (how & WORLD_CAPS) ? "CAP LS 302\r\nCAP REQ :account-notify "
	    "account-tag away-notify batch cap-notify chghost echo-message "
	    "extended-join extended-monitor invite-notify labeled-response "
	    "message-tags multi-prefix setname server-time standard-replies "
	    "userhost-in-names draft/chathistory draft/event-playback "
	    "draft/message-edit draft/message-redaction draft/read-marker "
	    "soju.im/search draft/account-registration\r\n" : "",
	    (how & WORLD_LOGIN) ? "CAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n"
	    "AUTHENTICATE " : "", (how & WORLD_LOGIN) ? b64 : "",
	    (how & WORLD_LOGIN) ? "\r\n" : "", nick, nick, nick,
	    (how & (WORLD_CAPS | WORLD_LOGIN)) ? "CAP END\r\n" : "");
	world_input(w, reg, n);
	CHECK(world_alive(w));
	CHECK(w->c->session->flags & SESSION_REGISTERED);
	if (how & WORLD_LOGIN)
		CHECK(w->c->session->client->account != NULL);
	return w;
}

/*
 * Close every conn, let the server finish, and check that nothing is
 * left behind: no conn, no client, no channel, no event, no store job.
 * What the conns were sent stays readable until world_reset().
 */
void
world_close_all(void)
{
	struct channel	*ch;
	size_t		 it;
	int		 i, debug = getenv("FUZZ_DEBUG") != NULL;

	for (i = 0; i < world_nconns; i++) {
		world_conns[i]->killed = 1;
		if (world_conns[i]->c != NULL)
			conn_kill(world_conns[i]->c, "fuzz done", 0);
	}
	world_settle();
	if (conn_count() != 0)
		for (i = 0; i < world_nconns; i++)
			if (world_conns[i]->c != NULL)
				fprintf(stderr, "conn %d left: flags %#x, "
				    "proto %d, queue %u\n", i,
				    world_conns[i]->c->flags,
				    world_conns[i]->c->proto,
				    world_conns[i]->c->qlen);
	CHECK(conn_count() == 0);
	CHECK(srv.nclients == 0);
	CHECK(srv.nunknown == 0);
	CHECK(dict_count(&srv.clients) == 0);
	/* Only registered channels outlive their last member. */
	it = 0;
	while ((ch = dict_next(&srv.channels, &it)) != NULL) {
		CHECK(ch->registered);
		CHECK(ch->nmembers == 0);
	}
	CHECK(event_pending() == 0);
	CHECK(store_unfinished() == 0);
	for (i = 0; i < world_nconns; i++) {
		CHECK(world_conns[i]->c == NULL);
		/* FUZZ_DEBUG=1: what each conn was sent, to see what an
		 * input does (run the harness on that one file). */
		if (debug)
			fprintf(stderr, "---- conn %d (%zu bytes):\n%.*s\n", i,
			    world_conns[i]->total,
			    (int)world_conns[i]->out.len,
			    world_conns[i]->out.data);
	}
}

/* Free the world_conns (after world_close_all()). */
static void
world_forget(void)
{
	int	i;

	for (i = 0; i < world_nconns; i++) {
		CHECK(world_conns[i]->c == NULL);
		buf_free(&world_conns[i]->out);
		free(world_conns[i]);
		world_conns[i] = NULL;
	}
	world_nconns = 0;
}

/* ---- the store ---- */

struct world_wipe {
	struct store_job	job;
	int			done;
};

/* Writer thread: empty every table but meta (the msgid prefix). */
static int
world_wipe_run(sqlite3 *db, struct store_job *job)
{
	sqlite3_stmt	*s;
	char		 sql[256];
	char		 names[64][64];
	int		 n = 0, i, rc;

	(void)job;
	rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE "
	    "type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE "
	    "'history_fts%' AND name <> 'meta'", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while (sqlite3_step(s) == SQLITE_ROW && n < 64)
		snprintf(names[n++], sizeof names[0], "%s",
		    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	for (i = 0; i < n; i++) {
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\"", names[i]);
		if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) !=
		    SQLITE_OK)
			return rc;
	}
	rc = sqlite3_exec(db, "INSERT INTO history_fts(history_fts) "
	    "VALUES('delete-all'); DELETE FROM sqlite_sequence", NULL, NULL,
	    NULL);
	return rc;
}

static void
world_wipe_done(struct store_job *job)
{
	struct world_wipe	*w = (struct world_wipe *)job;

	CHECK(job->status == SQLITE_OK);
	w->done = 1;
}

static void
world_load(void)
{
	char	*cause = NULL;

	if (account_load(&cause) != 0 || autojoin_load(&cause) != 0 ||
	    chanreg_load(&cause) != 0 || marker_load(&cause) != 0 ||
	    irc_admin_load(&cause) != 0 || token_load(&cause) != 0 ||
	    upload_init(&cause) != 0) {
		fprintf(stderr, "fuzz: %s\n", cause != NULL ? cause : "?");
		abort();
	}
}

static void
world_unload(void)
{
	chanreg_unload();
	account_unload();
	autojoin_unload();
	marker_unload();
	irc_admin_unload();
	token_unload();
	upload_unload();
	whowas_clear();
	irc_acct_forget_addrs();
}

/*
 * The state every input starts from: no conns (world_close_all() first;
 * the world_conns are freed here), empty tables, modules loaded from
 * them.
 */
void
world_reset(void)
{
	struct world_wipe	wipe;
	int			saved, null;

	world_forget();
	memset(&wipe, 0, sizeof wipe);
	wipe.job.run = world_wipe_run;
	wipe.job.done = world_wipe_done;
	CHECK(store_submit(&wipe.job) == 0);
	world_settle();
	CHECK(wipe.done);
	/* The modules say what they loaded ("0 accounts"): not once per
	 * input in the fuzzer's log. */
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	world_unload();
	world_load();
	world_settle();
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
}

static int
world_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
world_exit(void)
{
	if (world_dir[0] != '\0')
		nftw(world_dir, world_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Start the server once per process: settings as the wire tests have
 * them (tests/irc/conftest.py) with flood control off, a fresh data
 * directory with a MOTD, the store, the modules.
 */
void
world_init(void)
{
	struct config_errors	 errs = { NULL, 0 };
	const char		*base;
	char			**rest, *cause = NULL, path[512];
	int			 nrest;
	FILE			*f;
	struct stat		 sb;
	char			*argv[] = { "lanchatd", "--data", world_dir,
				    "--name", "fuzz.lanchat", "--password-cost",
				    "min", "--flood-burst", "0", "--discovery",
				    "none", "--listen", "none", "--tls-listen",
				    "none", "--http-listen", "none", NULL };

	if (world_ready)
		return;
	world_ready = 1;
	if ((base = getenv("FUZZ_TMPDIR")) == NULL)
		base = stat("/dev/shm", &sb) == 0 &&
		    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(world_dir, sizeof world_dir, "%s/lanchat-fuzz-XXXXXX",
	    base);
	if (mkdtemp(world_dir) == NULL) {
		fprintf(stderr, "fuzz: %s: %s\n", world_dir, strerror(errno));
		abort();
	}
	atexit(world_exit);
	if (config_load(&srv.cfg, (int)(sizeof argv / sizeof argv[0]) - 1,
	    argv, &errs, &rest, &nrest) != 0 || errs.n > 0) {
		fprintf(stderr, "fuzz: settings: %s\n",
		    errs.n > 0 ? errs.v[0] : "?");
		abort();
	}
	log_init(0, 0);
	CHECK(sodium_init() >= 0);
	signal(SIGPIPE, SIG_IGN);
	srv.loop = uv_default_loop();
	snprintf(path, sizeof path, "%s/motd.txt", world_dir);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("Fuzzing.\n\nA second line.\n", f);
		fclose(f);
	}
	server_init();
	cmd_init();
	server_load_motd();
	history_set_retention(srv.cfg.history_days);
	if (store_open(world_dir, 0, &cause) != 0) {
		fprintf(stderr, "fuzz: %s\n", cause);
		abort();
	}
	/* Inputs, seeds and the dictionary can name messages: msgids are
	 * WORLD_MSGID_PREFIX "-1", "-2", ... as rows are written. */
	store_set_msgid_prefix(WORLD_MSGID_PREFIX);
	world_load();
	irc_acct_init();
	irc_cap_configure();
	CHECK(pwhash_hash_sync(WORLD_PASSWORD, world_hash, sizeof world_hash) ==
	    0);
	world_settle();
}
