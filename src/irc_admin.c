/*
 * The administrators' commands (CMD_OPER rows: the dispatcher lets only
 * clients with +o through, which a logged-in admin account gets), and
 * what the server does when an account's flags change under it.
 *
 *   KILL <nick> [reason]           end every session of a user
 *   SUSPEND <account> [reason]     lock an account out, end its sessions
 *   UNSUSPEND <account>            let it in again
 *   APPROVE <account>              let in an account that waits for an
 *                                  admin (--registration approval)
 *   BAN ADD <addr>[/prefix] [reason] | BAN DEL <addr>[/prefix] | BAN LIST
 *                                  refuse connections from addresses
 *   ANNOUNCE :<text>               a NOTICE from the server to everyone,
 *                                  kept so that those away see it later
 *
 * This module owns the bans table.  Bans are kept in memory (a short
 * list: they name addresses and networks, not people), loaded at start
 * and on SIGHUP; every change is a store job and takes effect in memory
 * when it is committed, as accounts do (account.c).
 *
 * Account flags change here (SUSPEND and friends, through
 * account_set_flags) or on the command line (lanchatd admin ..., which
 * writes the database and sends SIGHUP; account_reload_flags then reads
 * them back).  Either way irc_admin_flags_changed() applies the change
 * to the sessions logged into the account: +o or -o, or the end of
 * every session of a suspended account.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "buf.h"
#include "client.h"
#include "conn.h"
#include "deliver.h"
#include "history.h"
#include "irc.h"
#include "lc_limits.h"
#include "log.h"
#include "msg.h"
#include "numeric.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define ADMIN_REASON_MAX	KICKLEN		/* bytes of a reason */
#define ADMIN_NO_REASON		"No reason given"

/* One address ban: a network (address and prefix length). */
struct ban {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* host bits cleared */
	int		 prefix;
	char		 mask[INET6_ADDRSTRLEN + 5];	/* canonical text */
	char		*reason;
	char		*setter;
	uint64_t	 set_at;	/* ms since the epoch */
};

static struct ban	**admin_bans;
static size_t		  admin_nbans;

/* A change of the bans table, or their reload, as a store job. */
struct ban_job {
	struct store_job	 job;
	int			 op;
	struct ban		*ban;		/* ADD: the new one */
	char			 mask[INET6_ADDRSTRLEN + 5];
	struct later		*later;		/* the admin's reply */
	struct ban		**loaded;	/* RELOAD: what is on disk */
	size_t			 nloaded;
};
#define BAN_ADD		1
#define BAN_DEL		2
#define BAN_RELOAD	3

/* An account flag change asked for from IRC. */
struct flags_req {
	struct later	*later;
	const char	*verb;
	char		*by;		/* the admin's nick */
	char		*reason;
	unsigned int	 old;
};

static void
irc_admin_ban_free(struct ban *b)
{
	if (b == NULL)
		return;
	free(b->reason);
	free(b->setter);
	free(b);
}

/* A reason from a client, cut to ADMIN_REASON_MAX bytes, or the default. */
static void
irc_admin_reason(const struct msg *m, int from, char *out, size_t outsz)
{
	if (m->nparams <= from || m->params[from][0] == '\0') {
		strlcpy_u(out, ADMIN_NO_REASON, outsz);
		return;
	}
	strlcpy_u(out, m->params[from], outsz);
	out[utf8_truncate(out, outsz - 1 < ADMIN_REASON_MAX ? outsz - 1 :
	    ADMIN_REASON_MAX)] = '\0';
}

/*
 * Parse "<address>[/<prefix>]" (IPv4 or IPv6) into b: the host bits are
 * cleared, an IPv4-mapped IPv6 network becomes the IPv4 one, and b->mask
 * is the canonical text (the prefix shown only when it is not the whole
 * address).  Returns 0, or -1 if text is not such a network.
 */
static int
irc_admin_parse_mask(const char *text, struct ban *b)
{
	char		 addr[INET6_ADDRSTRLEN + 1], shown[INET6_ADDRSTRLEN];
	const char	*slash = strchr(text, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - text) :
			    strlen(text);
	long long	 prefix;
	int		 bits, i;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	memset(b, 0, sizeof *b);
	if (n == 0 || n >= sizeof addr)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, b->addr) == 1) {
		b->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, addr, b->addr) == 1) {
		b->family = AF_INET6;
		bits = 128;
	} else
		return -1;
	prefix = bits;
	if (slash != NULL && str_to_int(slash + 1, 0, bits, &prefix) != 0)
		return -1;
	b->prefix = (int)prefix;
	if (b->family == AF_INET6 && b->prefix >= 96 &&
	    memcmp(b->addr, mapped, sizeof mapped) == 0) {
		memmove(b->addr, b->addr + 12, 4);
		memset(b->addr + 4, 0, 12);
		b->family = AF_INET;
		b->prefix -= 96;
		bits = 32;
	}
	for (i = 0; i < bits / 8; i++) {
		if (i * 8 >= b->prefix)
			b->addr[i] = 0;
		else if (i * 8 + 8 > b->prefix)
			b->addr[i] &= (unsigned char)(0xff00 >>
			    (b->prefix - i * 8));
	}
	inet_ntop(b->family, b->addr, shown, sizeof shown);
	if (b->prefix == bits)
		snprintf(b->mask, sizeof b->mask, "%s", shown);
	else
		snprintf(b->mask, sizeof b->mask, "%s/%d", shown, b->prefix);
	return 0;
}

/* Does the address ip (text, as conn.c writes it) fall in b? */
static int
irc_admin_ban_match(const struct ban *b, const char *ip)
{
	unsigned char	a[16];
	int		full, rest;

	if (inet_pton(b->family, ip, a) != 1)
		return 0;
	full = b->prefix / 8;
	rest = b->prefix % 8;
	if (memcmp(a, b->addr, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ b->addr[full]) &
	    (unsigned char)(0xff00 >> rest)) == 0;
}

static struct ban *
irc_admin_ban_find(const char *mask)
{
	size_t	i;

	for (i = 0; i < admin_nbans; i++)
		if (strcmp(admin_bans[i]->mask, mask) == 0)
			return admin_bans[i];
	return NULL;
}

/*
 * Is the address ip banned?  Then why gets the reason and it returns 1.
 * Called for every new connection (listen.c).
 */
int
irc_admin_banned(const char *ip, char *why, size_t whysz)
{
	size_t	i;

	for (i = 0; i < admin_nbans; i++) {
		if (irc_admin_ban_match(admin_bans[i], ip)) {
			strlcpy_u(why, admin_bans[i]->reason, whysz);
			return 1;
		}
	}
	return 0;
}

/* End a connection that a ban (now) covers. */
static void
irc_admin_ban_kill_cb(struct conn *conn, void *arg)
{
	size_t	*n = arg;
	char	 why[ADMIN_REASON_MAX + 1], error[ADMIN_REASON_MAX + 32];

	if (!irc_admin_banned(conn->ip, why, sizeof why))
		return;
	snprintf(error, sizeof error, "Banned (%s)", why);
	log_info("conn %llu: %s is banned: closing", (unsigned long long)
	    conn->id, conn->ip);
	conn_kill_error(conn, "Banned", error, 0);
	(*n)++;
}

/* Close every connection from a banned address.  Returns how many. */
static size_t
irc_admin_ban_apply(void)
{
	size_t	n = 0;

	conn_each(irc_admin_ban_kill_cb, &n);
	return n;
}

static int
irc_admin_read_bans(sqlite3 *db, struct ban ***out, size_t *nout)
{
	sqlite3_stmt	*s;
	struct ban	*b, tmp;
	int		 rc;

	rc = sqlite3_prepare_v2(db, "SELECT mask, reason, setter, set_at FROM "
	    "bans ORDER BY set_at", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (irc_admin_parse_mask((const char *)sqlite3_column_text(s,
		    0), &tmp) != 0)
			continue;
		b = xcalloc(1, sizeof *b);
		*b = tmp;
		b->reason = xstrdup((const char *)sqlite3_column_text(s, 1));
		b->setter = xstrdup((const char *)sqlite3_column_text(s, 2));
		b->set_at = sqlite3_column_int64(s, 3);
		if (*nout % 16 == 0)
			*out = xreallocarray(*out, *nout + 16, sizeof **out);
		(*out)[(*nout)++] = b;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
irc_admin_load_rows(sqlite3 *db, void *arg)
{
	(void)arg;
	return irc_admin_read_bans(db, &admin_bans, &admin_nbans);
}

/* Read the bans at start.  Returns 0, or -1 with *cause. */
int
irc_admin_load(char **cause)
{
	int	rc;

	if ((rc = store_read_sync(irc_admin_load_rows, NULL)) != SQLITE_OK) {
		xasprintf(cause, "loading bans: %s", store_strerror(rc));
		return -1;
	}
	if (admin_nbans > 0)
		log_info("%zu address bans", admin_nbans);
	return 0;
}

/* Free the bans in memory (at exit, and before a reload replaces them). */
void
irc_admin_unload(void)
{
	size_t	i;

	for (i = 0; i < admin_nbans; i++)
		irc_admin_ban_free(admin_bans[i]);
	free(admin_bans);
	admin_bans = NULL;
	admin_nbans = 0;
}

/* Writer thread: the SQL of a ban change. */
static int
irc_admin_ban_run(sqlite3 *db, struct store_job *sj)
{
	struct ban_job	*j = (struct ban_job *)sj;
	sqlite3_stmt	*s;
	int		 rc;

	if (j->op == BAN_RELOAD)
		return irc_admin_read_bans(db, &j->loaded, &j->nloaded);
	if (j->op == BAN_ADD)
		rc = sqlite3_prepare_v2(db, "INSERT INTO bans(mask, reason, "
		    "setter, set_at) VALUES (?1, ?2, ?3, ?4)", -1, &s, NULL);
	else
		rc = sqlite3_prepare_v2(db, "DELETE FROM bans WHERE mask = ?1",
		    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(s, 1, j->mask, -1, SQLITE_STATIC);
	if (j->op == BAN_ADD) {
		sqlite3_bind_text(s, 2, j->ban->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, j->ban->setter, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (int64_t)j->ban->set_at);
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc;
}

/* Loop thread: the change is committed (or not): apply it, answer. */
static void
irc_admin_ban_done(struct store_job *sj)
{
	struct ban_job	*j = (struct ban_job *)sj;
	struct client	*c = j->later != NULL ? later_begin(j->later) : NULL;
	struct ban	*b;
	size_t		 i, n;
	int		 ok = sj->status == SQLITE_OK;

	if (j->op == BAN_RELOAD) {
		if (ok) {
			irc_admin_unload();
			admin_bans = j->loaded;
			admin_nbans = j->nloaded;
			j->loaded = NULL;
			j->nloaded = 0;
			log_info("reloaded bans: %zu", admin_nbans);
			irc_admin_ban_apply();
		} else
			log_warnx("reloading bans failed: %s",
			    store_strerror(sj->status));
		for (i = 0; i < j->nloaded; i++)
			irc_admin_ban_free(j->loaded[i]);
		free(j->loaded);
	} else if (!ok) {
		if (c != NULL && (sj->status & 0xff) == SQLITE_CONSTRAINT)
			reply_fail(c, "BAN", "ALREADY_BANNED", j->mask,
			    "%s is banned already", j->mask);
		else if (c != NULL)
			reply_fail(c, "BAN", "TEMPORARILY_UNAVAILABLE",
			    j->mask, "The ban could not be saved: %s",
			    store_strerror(sj->status));
	} else if (j->op == BAN_ADD) {
		admin_bans = xreallocarray(admin_bans, admin_nbans + 1,
		    sizeof *admin_bans);
		admin_bans[admin_nbans++] = j->ban;
		b = j->ban;
		j->ban = NULL;
		log_info("ban on %s by %s: %s", b->mask, b->setter, b->reason);
		n = irc_admin_ban_apply();
		if (c != NULL)
			reply_notice(c, "Banned %s (%s); %zu connection%s "
			    "closed", b->mask, b->reason, n, n == 1 ? "" : "s");
	} else {
		for (i = 0; i < admin_nbans; i++) {
			if (strcmp(admin_bans[i]->mask, j->mask) != 0)
				continue;
			irc_admin_ban_free(admin_bans[i]);
			admin_bans[i] = admin_bans[--admin_nbans];
			break;
		}
		log_info("ban on %s lifted", j->mask);
		if (c != NULL)
			reply_notice(c, "The ban on %s is lifted", j->mask);
	}
	if (j->later != NULL)
		later_end(j->later);
	irc_admin_ban_free(j->ban);
	free(j);
}

static int
irc_admin_ban_submit(struct ban_job *j)
{
	j->job.run = irc_admin_ban_run;
	j->job.done = irc_admin_ban_done;
	return store_submit(&j->job);
}

/* BAN LIST, to c. */
static void
irc_admin_ban_list(struct client *c)
{
	char		 date[32];
	time_t		 t;
	struct tm	 tm;
	size_t		 i;

	for (i = 0; i < admin_nbans; i++) {
		t = (time_t)(admin_bans[i]->set_at / 1000);
		gmtime_r(&t, &tm);
		strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
		reply_notice(c, "BAN %s by %s on %s: %s", admin_bans[i]->mask,
		    admin_bans[i]->setter, date, admin_bans[i]->reason);
	}
	reply_notice(c, "End of BAN LIST (%zu ban%s)", admin_nbans,
	    admin_nbans == 1 ? "" : "s");
}

/* BAN ADD <address>[/<prefix>] [reason] | BAN DEL <mask> | BAN LIST */
int
cmd_ban(struct client *c, struct msg *m)
{
	struct ban_job	*j;
	struct ban	 b;
	const char	*sub = m->params[0];
	char		 reason[ADMIN_REASON_MAX + 1];
	int		 add;

	if (strcasecmp(sub, "LIST") == 0) {
		irc_admin_ban_list(c);
		return 0;
	}
	add = strcasecmp(sub, "ADD") == 0;
	if (!add && strcasecmp(sub, "DEL") != 0) {
		reply_fail(c, "BAN", "INVALID_PARAMS", reply_param(sub),
		    "Use BAN ADD <address>[/<prefix>] [reason], BAN DEL "
		    "<address>[/<prefix>] or BAN LIST");
		return 0;
	}
	if (m->nparams < 2) {
		reply_num(c, ERR_NEEDMOREPARAMS, "BAN");
		return 0;
	}
	if (irc_admin_parse_mask(m->params[1], &b) != 0) {
		reply_fail(c, "BAN", "INVALID_MASK", reply_param(m->params[1]),
		    "Give an IPv4 or IPv6 address, with /<prefix length> for "
		    "a network");
		return 0;
	}
	if (!add) {
		if (irc_admin_ban_find(b.mask) == NULL) {
			reply_fail(c, "BAN", "NO_SUCH_BAN", b.mask,
			    "%s is not banned", b.mask);
			return 0;
		}
	} else {
		if (irc_admin_ban_find(b.mask) != NULL) {
			reply_fail(c, "BAN", "ALREADY_BANNED", b.mask,
			    "%s is banned already", b.mask);
			return 0;
		}
		/* Never lock oneself out by a slip of the prefix. */
		if (c->cur != NULL && c->cur->conn != NULL &&
		    irc_admin_ban_match(&b, c->cur->conn->ip)) {
			reply_fail(c, "BAN", "WOULD_BAN_SELF", b.mask,
			    "%s covers your own address %s", b.mask,
			    c->cur->conn->ip);
			return 0;
		}
		if (admin_nbans >= BANS_MAX) {
			reply_fail(c, "BAN", "LIST_FULL", b.mask,
			    "There are %d bans already; lift one first",
			    BANS_MAX);
			return 0;
		}
	}
	j = xcalloc(1, sizeof *j);
	j->op = add ? BAN_ADD : BAN_DEL;
	strlcpy_u(j->mask, b.mask, sizeof j->mask);
	if (add) {
		irc_admin_reason(m, 2, reason, sizeof reason);
		j->ban = xcalloc(1, sizeof *j->ban);
		*j->ban = b;
		j->ban->reason = xstrdup(reason);
		j->ban->setter = xstrdup(c->nick);
		j->ban->set_at = wall_ms();
	}
	j->later = reply_later(c);
	if (irc_admin_ban_submit(j) != 0) {
		reply_fail(c, "BAN", "TEMPORARILY_UNAVAILABLE", b.mask,
		    "The server is busy; try again");
		later_end(j->later);
		irc_admin_ban_free(j->ban);
		free(j);
	}
	return 0;
}

/* What ends a session: the QUIT its channels see, the ERROR it gets. */
struct admin_end {
	struct account	*acct;
	const char	*quit;
	const char	*error;
	int		 oper;		/* -1: leave, 0/1: set +o to this */
	size_t		 n;
};

static void
irc_admin_account_cb(struct conn *conn, void *arg)
{
	struct admin_end	*e = arg;
	struct session		*s = conn->session;
	struct client		*c;

	if (s == NULL || (s->flags & SESSION_QUIT) ||
	    (c = s->client) == NULL || c->account == NULL ||
	    account_find(c->account) != e->acct)
		return;
	if (e->oper >= 0)
		irc_acct_set_oper(c, e->oper);
	if (e->error != NULL) {
		conn_kill_error(conn, e->quit, e->error, 0);
		e->n++;
	}
}

/*
 * The flags of a changed from old to what they are now: apply that to
 * every session logged into it.  by and reason name who did it and why
 * (NULL: the server's administrator, on the command line).  Returns how
 * many sessions were ended.
 */
static size_t
irc_admin_apply(struct account *a, unsigned int old, const char *by,
    const char *reason)
{
	struct admin_end	 e;
	char			 error[ADMIN_REASON_MAX + NAME_MAX_BYTES + 64];
	unsigned int		 now = a->flags;

	memset(&e, 0, sizeof e);
	e.acct = a;
	e.oper = -1;
	if ((old ^ now) & ACCOUNT_ADMIN)
		e.oper = (now & ACCOUNT_ADMIN) != 0;
	if ((now & ACCOUNT_SUSPENDED) && !(old & ACCOUNT_SUSPENDED)) {
		if (reason != NULL)
			snprintf(error, sizeof error, "Account suspended by "
			    "%s (%s)", by != NULL ? by : "an administrator",
			    reason);
		else
			snprintf(error, sizeof error, "Account suspended by "
			    "%s", by != NULL ? by : "an administrator");
		e.quit = "Account suspended";
		e.error = error;
		e.oper = -1;
	}
	if (e.oper < 0 && e.error == NULL)
		return 0;
	conn_each(irc_admin_account_cb, &e);
	return e.n;
}

/*
 * account_reload_flags() callback (SIGHUP, after lanchatd admin ...):
 * the flags of a changed from old.
 */
void
irc_admin_flags_changed(struct account *a, unsigned int old)
{
	size_t	n;

	n = irc_admin_apply(a, old, NULL, NULL);
	log_info("account %s: flags %#x -> %#x%s", a->name, old, a->flags,
	    n > 0 ? " (its sessions ended)" : "");
}

/*
 * SIGHUP: read the bans again (lanchatd admin unban may have lifted
 * one), and close connections that a ban now covers.
 */
void
irc_admin_reload_bans(void)
{
	struct ban_job	*j;

	j = xcalloc(1, sizeof *j);
	j->op = BAN_RELOAD;
	if (irc_admin_ban_submit(j) != 0) {
		log_warnx("reloading bans: the store is busy");
		free(j);
	}
}

static void
irc_admin_flags_done(void *arg, int status, struct account *a)
{
	struct flags_req	*req = arg;
	struct client		*c = later_begin(req->later);
	size_t			 n;

	if (status == SQLITE_OK) {
		n = irc_admin_apply(a, req->old, req->by, req->reason);
		log_info("%s %s by %s%s%s%s", req->verb, a->name, req->by,
		    req->reason != NULL ? " (" : "", req->reason != NULL ?
		    req->reason : "", req->reason != NULL ? ")" : "");
		if (c != NULL) {
			if (a->flags & ACCOUNT_SUSPENDED)
				reply_notice(c, "Account %s is suspended; %zu "
				    "session%s ended", a->name, n, n == 1 ?
				    "" : "s");
			else if (strcmp(req->verb, "APPROVE") == 0)
				reply_notice(c, "Account %s is approved",
				    a->name);
			else
				reply_notice(c, "Account %s is no longer "
				    "suspended", a->name);
		}
	} else if (c != NULL)
		reply_fail(c, req->verb, "TEMPORARILY_UNAVAILABLE", "*",
		    "The account could not be changed: %s",
		    store_strerror(status));
	later_end(req->later);
	free(req->by);
	free(req->reason);
	free(req);
}

/*
 * Set bits `set` and clear bits `clear` in the flags of the account
 * named in m->params[0], for the admin c running verb.
 */
static void
irc_admin_set_flags(struct client *c, struct msg *m, const char *verb,
    unsigned int set, unsigned int clear)
{
	struct account		*a = account_find(m->params[0]);
	struct flags_req	*req;
	char			 reason[ADMIN_REASON_MAX + 1];
	unsigned int		 nf;

	if (a == NULL) {
		reply_fail(c, verb, "ACCOUNT_DOES_NOT_EXIST",
		    reply_param(m->params[0]), "There is no such account");
		return;
	}
	if ((set & ACCOUNT_SUSPENDED) && c->account != NULL &&
	    account_find(c->account) == a) {
		reply_fail(c, verb, "CANNOT_SUSPEND_SELF", a->name,
		    "You cannot suspend your own account");
		return;
	}
	nf = (a->flags | set) & ~clear;
	if (nf == a->flags) {
		reply_notice(c, "Account %s is %s already; nothing changed",
		    a->name, (set & ACCOUNT_SUSPENDED) ? "suspended" :
		    (clear & ACCOUNT_PENDING) ? "approved" : "not suspended");
		return;
	}
	req = xcalloc(1, sizeof *req);
	req->verb = verb;
	req->by = xstrdup(c->nick);
	if (set & ACCOUNT_SUSPENDED) {
		irc_admin_reason(m, 1, reason, sizeof reason);
		req->reason = xstrdup(reason);
	}
	req->old = a->flags;
	req->later = reply_later(c);
	if (account_set_flags(a, nf, irc_admin_flags_done, req) != 0) {
		reply_fail(c, verb, "TEMPORARILY_UNAVAILABLE", a->name,
		    "The server is busy; try again");
		later_end(req->later);
		free(req->by);
		free(req->reason);
		free(req);
	}
}

/* SUSPEND <account> [reason] */
int
cmd_suspend(struct client *c, struct msg *m)
{
	irc_admin_set_flags(c, m, "SUSPEND", ACCOUNT_SUSPENDED, 0);
	return 0;
}

/* UNSUSPEND <account> */
int
cmd_unsuspend(struct client *c, struct msg *m)
{
	irc_admin_set_flags(c, m, "UNSUSPEND", 0, ACCOUNT_SUSPENDED);
	return 0;
}

/* APPROVE <account>: an account made with --registration approval. */
int
cmd_approve(struct client *c, struct msg *m)
{
	irc_admin_set_flags(c, m, "APPROVE", 0, ACCOUNT_PENDING);
	return 0;
}

/*
 * KILL <nick> [reason]: every session of the user gets "ERROR :Killed
 * by <admin> (<reason>)"; its channels see "QUIT :Killed (<admin>
 * (<reason>))".
 */
int
cmd_kill(struct client *c, struct msg *m)
{
	struct client	*t = client_find(m->params[0]);
	struct session	*s;
	char		 reason[ADMIN_REASON_MAX + 1];
	char		 quit[ADMIN_REASON_MAX + NAME_MAX_BYTES + 32];
	char		 error[ADMIN_REASON_MAX + NAME_MAX_BYTES + 32];
	char		 nick[NAME_MAX_BYTES + 1];

	if (t == NULL) {
		reply_num(c, ERR_NOSUCHNICK, reply_param(m->params[0]));
		return 0;
	}
	irc_admin_reason(m, 1, reason, sizeof reason);
	snprintf(quit, sizeof quit, "Killed (%s (%s))", c->nick, reason);
	snprintf(error, sizeof error, "Killed by %s (%s)", c->nick, reason);
	strlcpy_u(nick, t->nick, sizeof nick);
	log_info("KILL %s by %s (%s)", nick, c->nick, reason);
	TAILQ_FOREACH(s, &t->sessions, sib)
		if (s->conn != NULL)
			conn_kill_error(s->conn, quit, error, 0);
	if (t != c)
		reply_notice(c, "Killed %s (%s)", nick, reason);
	return 0;
}

/* Delivery of an announcement (it is committed): everyone online. */
static void
irc_admin_announce_cb(struct client *c, void *arg)
{
	struct event	*ev = arg;
	struct fanout	 f;

	fanout_init(&f, NULL);
	f.time_ms = ev->time_ms;
	strlcpy_u(f.msgid, ev->msgid, sizeof f.msgid);
	fanout_text(&f, 0, ":%s NOTICE %s :" IRC_ANNOUNCE_FMT, srv.name,
	    c->nick, ev->rows[0].extra, ev->rows[0].body);
	fanout_send(&f, c);
	fanout_done(&f);
}

static void
irc_admin_announce_after(struct event *ev)
{
	client_each_reg(irc_admin_announce_cb, ev);
}

/*
 * ANNOUNCE :<text>: a NOTICE from the server to everyone online, kept
 * in history (kind HIST_ANNOUNCE, no target) so that whoever is away
 * sees it when they next log in (irc_hist_replay).  It goes out once it
 * is committed; if it cannot be kept, nobody gets it and the admin is
 * told.
 */
int
cmd_announce(struct client *c, struct msg *m)
{
	struct event	*ev;
	struct hist_row	*r;
	struct buf	 b;
	int		 i;

	buf_init(&b);
	for (i = 0; i < m->nparams; i++) {
		if (i > 0)
			buf_addch(&b, ' ');
		buf_addstr(&b, m->params[i]);
	}
	if (b.len == 0 || b.data[strspn(b.data, " ")] == '\0') {
		buf_free(&b);
		reply_num(c, ERR_NOTEXTTOSEND);
		return 0;
	}
	ev = event_new(c, HIST_ANNOUNCE, 0);
	ev->verb = "ANNOUNCE";
	ev->must_store = 1;
	ev->after = irc_admin_announce_after;
	event_text(ev, 0, ":%s NOTICE * :" IRC_ANNOUNCE_FMT, srv.name,
	    c->nick, b.data);
	r = event_row(ev);
	free(r->sender);
	r->sender = xstrdup(srv.name);
	r->target = xstrdup("");
	r->tname = xstrdup("");
	r->extra = xstrdup(c->nick);
	r->body = buf_detach(&b);
	log_info("ANNOUNCE by %s: %s", c->nick, r->body);
	event_submit(ev);
	return 0;
}

/*
 * For the command line: fn(arg, mask, reason, setter, set_at) for every
 * ban in db (from store_open_tool).  Returns 0, or -1 with *cause.
 */
int
irc_admin_db_bans(sqlite3 *db, void (*fn)(void *, const char *,
    const char *, const char *, uint64_t), void *arg, char **cause)
{
	struct ban	**v = NULL;
	size_t		  n = 0, i;
	int		  rc;

	if ((rc = irc_admin_read_bans(db, &v, &n)) != SQLITE_OK) {
		xasprintf(cause, "%s (%s)", store_strerror(rc),
		    sqlite3_errmsg(db));
		return -1;
	}
	for (i = 0; i < n; i++) {
		fn(arg, v[i]->mask, v[i]->reason, v[i]->setter, v[i]->set_at);
		irc_admin_ban_free(v[i]);
	}
	free(v);
	return 0;
}

/*
 * For the command line: lift the ban on mask (any spelling of the same
 * network).  Returns 0, or -1 with *cause (not banned, or an error).
 */
int
irc_admin_db_unban(sqlite3 *db, const char *mask, char **cause)
{
	struct ban	 b;
	sqlite3_stmt	*s;
	int		 rc;

	if (irc_admin_parse_mask(mask, &b) != 0) {
		xasprintf(cause, "'%s' is not an address or network", mask);
		return -1;
	}
	rc = sqlite3_prepare_v2(db, "DELETE FROM bans WHERE mask = ?1", -1, &s,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, b.mask, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_DONE) {
		xasprintf(cause, "%s (%s)", store_strerror(rc),
		    sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_changes(db) == 0) {
		xasprintf(cause, "%s is not banned", b.mask);
		return -1;
	}
	return 0;
}
