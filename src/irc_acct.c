/*
 * Accounts from IRC: SASL (AUTHENTICATE: PLAIN, EXTERNAL, and
 * X-LANCHAT-TOKEN for the login tokens of token.h), REGISTER
 * (IRCv3 draft/account-registration), NickServ for clients without
 * either, logging in and out, and the rule that a registered nick belongs
 * to its account.
 *
 * Passwords are checked by pwhash.c on the thread pool.  While a check
 * runs, the session's input is paused (session_pause): the lines behind
 * it, a CAP END most often, are read only once the answer is in, so a
 * client that sends AUTHENTICATE and CAP END in one burst is logged in
 * before it registers.  The request holds a reference to its session;
 * if the session quit meanwhile, the answer is dropped.
 *
 * Rate limits come before any hashing: failures are counted per account
 * and per address, and over the limit the attempt fails at once with the
 * same words as a wrong password, so nobody learns which accounts exist.
 * For the same reason an unknown account costs a hash of a dummy.
 *
 * X-LANCHAT-TOKEN takes "account NUL token": a login token made with
 * TOKEN NEW (irc_token.c).  Checking it costs one SHA-256, no Argon2, so
 * it is answered at once; it counts against the same failure limits as
 * a password.  The session remembers which token it used, so that
 * NickServ LOGOUT can revoke that one (LOGOUT ALL revokes them all).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "account.h"
#include "autojoin.h"
#include "buf.h"
#include "casemap.h"
#include "channel.h"
#include "client.h"
#include "conn.h"
#include "dict.h"
#include "irc.h"
#include "lc_limits.h"
#include "log.h"
#include "monitor.h"
#include "msg.h"
#include "numeric.h"
#include "pwhash.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "tls.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

#define AUTH_NONE		0
#define AUTH_PLAIN		1
#define AUTH_EXTERNAL		2
#define AUTH_TOKEN		3

#define SASL_CHUNK		400	/* IRCv3 sasl: AUTHENTICATE chunk */
#define SASL_MAX		8192	/* a whole response, base64 */

#define FAIL_WINDOW_MS		(60 * 1000)
#define ACCOUNT_FAILS_MAX	10	/* wrong passwords per account */
#define ADDRESS_FAILS_MAX	20	/* ... and per address, per window */
#define REGISTER_PER_ADDRESS	5	/* new accounts per address, per hour */

#define NICKSERV		"NickServ"
#define NICKSERV_PREFIX		"NickServ!NickServ@services"

struct auth {
	int		 mech;
	struct buf	 data;
	int		 has_token;	/* logged in with this token: */
	unsigned char	 token[TOKEN_HASH_BYTES];	/* its hash */
};

/* Failed logins, or registrations, from one address; checks running. */
struct addr_count {
	char		 ip[48];
	uint32_t	 n;
	uint32_t	 checking;
	uint64_t	 start_ms;
};

#define VIA_SASL	0
#define VIA_NICKSERV	1
#define VIA_REGISTER	2

struct login_req {
	struct session	*s;
	char		 fold[CASEMAP_FOLDSZ];
	char		 ip[48];
	int64_t		 acct_id;	/* account counted as checking, or 0 */
	int		 via;
	int		 drop;		/* NickServ DROP after the check */
	char		*newpass;	/* NickServ SET PASSWORD */
};

struct register_req {
	struct session	*s;
	char		 name[NAME_MAX_BYTES + 1];
	char		 fold[CASEMAP_FOLDSZ];
	int		 via;
};

static struct dict	acct_fails;	/* ip -> struct addr_count */
static struct dict	acct_regs;	/* ip -> struct addr_count */
static struct dict	acct_pending;	/* fold -> fold (registering now) */
static char		acct_dummy[crypto_pwhash_STRBYTES];
static struct client_list acct_enforced =
			    TAILQ_HEAD_INITIALIZER(acct_enforced);

static void	irc_acct_login(struct client *, struct account *, int);
static void	irc_acct_drop_confirmed(struct client *, struct account *);

/* Set the hashing cost and make the dummy hash.  At start, once. */
void
irc_acct_init(void)
{
	char	pw[32];

	if (strcmp(srv.cfg.password_cost, "min") == 0)
		pwhash_init(crypto_pwhash_OPSLIMIT_MIN,
		    crypto_pwhash_MEMLIMIT_MIN);
	else if (strcmp(srv.cfg.password_cost, "moderate") == 0)
		pwhash_init(crypto_pwhash_OPSLIMIT_MODERATE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	else
		pwhash_init(crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	randombytes_buf(pw, sizeof pw - 1);
	pw[sizeof pw - 1] = '\0';
	for (size_t i = 0; i < sizeof pw - 1; i++)
		pw[i] = 'a' + ((unsigned char)pw[i] % 26);
	if (pwhash_hash_sync(pw, acct_dummy, sizeof acct_dummy) != 0)
		fatalx("cannot make the dummy password hash");
	sodium_memzero(pw, sizeof pw);
}

void
irc_auth_free(struct session *s)
{
	struct auth	*a = s->auth;

	if (a == NULL)
		return;
	if (a->data.data != NULL)
		sodium_memzero(a->data.data, a->data.cap);
	buf_free(&a->data);
	sodium_memzero(a, sizeof *a);
	free(a);
	s->auth = NULL;
}

/*
 * Registration of c's running session completes: a SASL exchange still
 * open is aborted (IRCv3 sasl: 906), so that an AUTHENTICATE line sent
 * later is not taken for the response to it.
 */
void
irc_auth_abort(struct client *c)
{
	struct auth	*a = c->cur != NULL ? c->cur->auth : NULL;

	if (a == NULL || a->mech == AUTH_NONE)
		return;
	a->mech = AUTH_NONE;
	if (a->data.data != NULL)
		sodium_memzero(a->data.data, a->data.cap);
	buf_reset(&a->data);
	reply_num(c, ERR_SASLABORTED);
}

/* A NOTICE from NickServ to c (its running session, or all). */
static void
irc_ns_notice(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
irc_ns_notice(struct client *c, const char *fmt, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	client_sendf(c, ":%s NOTICE %s :%s", NICKSERV_PREFIX, client_name(c),
	    b.data);
	buf_free(&b);
}

/* Count of events from ip in the current window of table t. */
static struct addr_count *
irc_addr_count(struct dict *t, const char *ip, uint64_t window)
{
	struct addr_count	*a = dict_get(t, ip);
	uint64_t		 now = now_ms();

	if (a == NULL) {
		a = xcalloc(1, sizeof *a);
		strlcpy_u(a->ip, ip, sizeof a->ip);
		a->start_ms = now;
		dict_put(t, a->ip, a);
	} else if (now - a->start_ms > window) {
		a->n = 0;
		a->start_ms = now;
	}
	return a;
}

/* Drop expired counters (the housekeeping tick). */
static void
irc_addr_expire(struct dict *t, uint64_t window)
{
	struct addr_count	*a, *dead[64];
	size_t			 it = 0, n = 0, i;
	uint64_t		 now = now_ms();

	while ((a = dict_next(t, &it)) != NULL && n < 64)
		if (now - a->start_ms > window && a->checking == 0)
			dead[n++] = a;
	for (i = 0; i < n; i++) {
		dict_del(t, dead[i]->ip);
		free(dead[i]);
	}
}

/*
 * Would another attempt for account a (NULL: unknown) from ip be over
 * the limit?  Checks still running count as failures until they are
 * answered: fifty wrong passwords sent at once must not all be hashed
 * before the first failure is counted.
 */
static int
irc_login_blocked(struct account *a, const char *ip)
{
	struct addr_count	*ac = irc_addr_count(&acct_fails, ip,
				    FAIL_WINDOW_MS);
	uint32_t		 fails = 0;

	if (ac->n + ac->checking >= ADDRESS_FAILS_MAX)
		return 1;
	if (a != NULL) {
		if (now_ms() - a->fail_ms <= FAIL_WINDOW_MS)
			fails = a->fails;
		if (fails + a->checking >= ACCOUNT_FAILS_MAX)
			return 1;
	}
	return 0;
}

/* A password check for a (NULL: unknown) from ip starts, or ends. */
static void
irc_login_checking(struct login_req *req, struct account *a, int start)
{
	struct addr_count	*ac = irc_addr_count(&acct_fails, req->ip,
				    FAIL_WINDOW_MS);

	if (start) {
		ac->checking++;
		if (a != NULL) {
			a->checking++;
			req->acct_id = a->id;
		}
		return;
	}
	if (ac->checking > 0)
		ac->checking--;
	/* The account may have been dropped, or made, meanwhile. */
	if (a != NULL && req->acct_id != 0 && a->id == req->acct_id &&
	    a->checking > 0)
		a->checking--;
}

static void
irc_login_failed(struct account *a, const char *ip)
{
	struct addr_count	*ac = irc_addr_count(&acct_fails, ip,
				    FAIL_WINDOW_MS);
	uint64_t		 now = now_ms();

	ac->n++;
	if (a != NULL) {
		if (now - a->fail_ms > FAIL_WINDOW_MS) {
			a->fails = 0;
			a->fail_ms = now;
		}
		a->fails++;
	}
}

/* Tell c's neighbours (and c) that its account changed. */
static void
irc_account_notify(struct client *c)
{
	struct fanout	f;

	if (!(c->flags & CLIENT_REGISTERED))
		return;
	fanout_init(&f, c);
	f.need_cap = CAP_ACCOUNT_NOTIFY;
	fanout_text(&f, 0, ":%s ACCOUNT %s", client_prefix(c),
	    c->account != NULL ? c->account : "*");
	fanout_neighbours(&f, c, 1, CAP_EXTENDED_MONITOR);
	fanout_done(&f);
}

/*
 * Give c the operator mode (+o) or take it away, as its account's admin
 * flag says; a registered client is told with MODE.
 */
void
irc_acct_set_oper(struct client *c, int on)
{
	if (on == ((c->umodes & UMODE_OPER) != 0))
		return;
	if (on) {
		c->umodes |= UMODE_OPER;
		if (c->flags & CLIENT_REGISTERED)
			srv.nopers++;
	} else {
		c->umodes &= ~UMODE_OPER;
		if (c->flags & CLIENT_REGISTERED)
			srv.nopers--;
	}
	if (c->flags & CLIENT_REGISTERED)
		client_sendf(c, ":%s MODE %s :%co", client_prefix(c), c->nick,
		    on ? '+' : '-');
}

/* The nick is the account's, and c is not logged into it: warn. */
static void
irc_enforce_start(struct client *c, struct account *a)
{
	if (c->enforce_ms != 0)
		return;
	c->enforce_ms = now_ms() + srv.cfg.enforce_delay * 1000;
	TAILQ_INSERT_TAIL(&acct_enforced, c, enforce_entry);
	irc_ns_notice(c, "The nick %s belongs to an account. Log in within "
	    "%lld seconds (/msg NickServ IDENTIFY password), or you will "
	    "be renamed.", a->name, srv.cfg.enforce_delay);
}

void
irc_enforce_stop(struct client *c)
{
	if (c->enforce_ms == 0)
		return;
	c->enforce_ms = 0;
	TAILQ_REMOVE(&acct_enforced, c, enforce_entry);
}

/*
 * After c's nick changed (or c registered): start or stop the countdown
 * that takes a registered nick back from someone not logged into it.
 */
void
irc_acct_check_nick(struct client *c)
{
	struct account	*a;

	if (c->fold == NULL || !(c->flags & CLIENT_REGISTERED)) {
		irc_enforce_stop(c);
		return;
	}
	a = account_find_fold(c->fold);
	if (a == NULL || (c->account != NULL &&
	    account_find(c->account) == a)) {
		irc_enforce_stop(c);
		return;
	}
	irc_enforce_start(c, a);
}

/* A Guest nick nobody holds. */
static void
irc_guest_nick(char *out, size_t outsz, char *fold, size_t foldsz)
{
	uint32_t	n;

	do {
		n = randombytes_uniform(100000);
		snprintf(out, outsz, "Guest%05u", n);
		casemap_fold(out, fold, foldsz);
	} while (dict_get(&srv.clients, fold) != NULL ||
	    account_find_fold(fold) != NULL);
}

/* Rename c to a Guest nick (it holds a nick it does not own). */
static void
irc_rename_guest(struct client *c, const char *why)
{
	char	nick[32], fold[CASEMAP_FOLDSZ];

	irc_guest_nick(nick, sizeof nick, fold, sizeof fold);
	irc_ns_notice(c, "%s; you are now %s.", why, nick);
	irc_change_nick(c, nick, fold);
	irc_enforce_stop(c);
}

/* The owner of c's nick wants it: c becomes a Guest at once. */
void
irc_acct_take_nick(struct client *c)
{
	irc_rename_guest(c, "The owner of your nick logged in");
}

/* Housekeeping: the countdowns that ran out, old rate counters. */
void
irc_acct_tick(uint64_t now)
{
	struct client	*c, *next;

	TAILQ_FOREACH_SAFE(c, &acct_enforced, enforce_entry, next) {
		if (now < c->enforce_ms)
			continue;
		/* The account may have been dropped meanwhile. */
		if (c->fold == NULL || account_find_fold(c->fold) == NULL) {
			irc_enforce_stop(c);
			continue;
		}
		irc_rename_guest(c, "You did not log in to the account that "
		    "owns your nick");
	}
	irc_addr_expire(&acct_fails, FAIL_WINDOW_MS);
	irc_addr_expire(&acct_regs, 3600 * 1000);
}

/*
 * Forget the per-address counters of failed logins and new accounts,
 * as if the server had just started (for the fuzzers, fuzz/world.c,
 * which start every input afresh).  Nobody may be registering now.
 */
void
irc_acct_forget_addrs(void)
{
	struct dict	*t[2] = { &acct_fails, &acct_regs };
	void		*a;
	size_t		 it;
	int		 i;

	for (i = 0; i < 2; i++) {
		it = 0;
		while ((a = dict_next(t[i], &it)) != NULL)
			free(a);
		dict_free(t[i]);
	}
}

/*
 * c is logged into a.  When c is registered, everyone who can see it
 * learns so (account-notify).  If someone else holds a's nick without
 * being logged into a, and c asked for it, c gets it back later through
 * the normal NICK; a squatter of the nick c holds is renamed at once.
 */
static void
irc_acct_login(struct client *c, struct account *a, int announce)
{
	struct client	*holder;
	uint32_t	 i;

	free(c->account);
	c->account = xstrdup(a->name);
	if (c->flags & CLIENT_REGISTERED) {
		if (a->online == NULL)
			a->online = c;
		if (announce)
			irc_account_notify(c);
	}
	/* Where the user is now counts as where it will be next time. */
	for (i = 0; i < c->nchans; i++)
		autojoin_joined(c, c->chans[i]->chan);
	reply_num(c, RPL_LOGGEDIN, client_prefix(c), a->name, a->name);
	if (a->flags & ACCOUNT_ADMIN)
		irc_acct_set_oper(c, 1);
	irc_acct_check_nick(c);
	/* Someone else squats on the account's nick: the owner is here. */
	holder = dict_get(&srv.clients, a->fold);
	if (holder != NULL && holder != c &&
	    (holder->account == NULL || account_find(holder->account) != a) &&
	    (holder->flags & CLIENT_REGISTERED))
		irc_rename_guest(holder, "The owner of your nick logged in");
}

static void
irc_acct_logout(struct client *c)
{
	struct account	*a;

	if (c->account == NULL)
		return;
	a = account_find(c->account);
	if (a != NULL && a->online == c)
		a->online = NULL;
	free(c->account);
	c->account = NULL;
	irc_acct_set_oper(c, 0);
	reply_num(c, RPL_LOGGEDOUT, client_prefix(c));
	irc_account_notify(c);
	irc_acct_check_nick(c);
}

/*
 * The registration of session s of c is complete.  If c logged in with
 * SASL to an account that is online already, s joins that user instead
 * (one user on several devices); returns that user, or c.
 */
struct client *
irc_acct_register(struct client *c, struct session *s)
{
	struct account	*a;
	struct client	*u;

	if (c->account == NULL || (a = account_find(c->account)) == NULL)
		return c;
	u = a->online;
	if (u == NULL || u == c || (u->flags & CLIENT_QUIT)) {
		a->online = c;
		return c;
	}
	/* Leave the provisional client quietly: nobody saw it. */
	TAILQ_REMOVE(&c->sessions, s, sib);
	c->nsessions = 0;
	c->cur = NULL;
	client_quit(c, "joined another session");
	TAILQ_INSERT_TAIL(&u->sessions, s, sib);
	u->nsessions++;
	s->client = u;
	u->cur = s;
	return u;
}

/*
 * Registration of c is about to complete and c asked for want_nick, which
 * a logged-in user or an account held when it asked.  c gets the nick if
 * it is free now, or if c logged in to the account that owns it (a
 * squatter is renamed); c goes on without a nick of its own if it logged
 * in to the user who holds it (irc_acct_register makes it a device of
 * that user).  Otherwise c is told 433 and keeps its earlier nick, if
 * any.  Returns 0 if registration may go on, -1 if c needs a nick first.
 */
int
irc_acct_want_nick(struct client *c)
{
	struct account	*mine = NULL;
	struct client	*o;
	char		 fold[CASEMAP_FOLDSZ];
	char		*nick = c->want_nick;

	c->want_nick = NULL;
	if (casemap_fold(nick, fold, sizeof fold) != 0)
		goto in_use;
	if (c->account != NULL)
		mine = account_find(c->account);
	o = dict_get(&srv.clients, fold);
	if (o != NULL && o != c && mine != NULL && mine->online == o &&
	    !(o->flags & CLIENT_QUIT)) {
		/* One more device of o: o's nick is the nick. */
		free(nick);
		return 0;
	}
	if (o != NULL && o != c && mine != NULL &&
	    account_find_fold(fold) == mine && (o->account == NULL ||
	    account_find(o->account) != mine))
		irc_acct_take_nick(o);
	if (client_set_nick(c, nick, fold) == 0) {
		free(nick);
		return 0;
	}
in_use:
	reply_num(c, ERR_NICKNAMEINUSE, reply_param(nick));
	free(nick);
	return c->nick != NULL ? 0 : -1;
}

static void
irc_login_req_free(struct login_req *req)
{
	if (req->newpass != NULL) {
		sodium_memzero(req->newpass, strlen(req->newpass));
		free(req->newpass);
	}
	free(req);
}

static void	irc_pass_hashed(void *, char *);

/*
 * Hash newpass for a (whose current password s has just given) and
 * store it; s is resumed once it is stored.  Returns -1 if the hash
 * could not start (c was told).
 */
static int
irc_setpass_hash(struct client *c, struct session *s, struct account *a,
    const char *newpass)
{
	struct login_req	*req = xcalloc(1, sizeof *req);

	req->s = session_ref(s);
	strlcpy_u(req->fold, a->fold, sizeof req->fold);
	if (pwhash_hash(newpass, irc_pass_hashed, req) != 0) {
		session_unref(s);
		free(req);
		irc_ns_notice(c, "The server is busy; try again.");
		return -1;
	}
	return 0;
}

/* The password check of req came back. */
static void
irc_login_checked(void *arg, int ok)
{
	struct login_req	*req = arg;
	struct session		*s = req->s;
	struct client		*c = s->client;
	struct account		*a = account_find_fold(req->fold);
	const char		*why = NULL;
	int			 unavailable = 0;

	irc_login_checking(req, a, 0);
	if ((s->flags & SESSION_QUIT) || c == NULL) {
		/* Hung up before the answer: a wrong one still counts. */
		if (!ok || a == NULL)
			irc_login_failed(a, req->ip);
		goto out;
	}
	c->cur = s;
	if (!ok || a == NULL) {
		irc_login_failed(a, req->ip);
		why = "Wrong account name or password";
	} else if (a->flags & ACCOUNT_SUSPENDED) {
		why = "This account is suspended";
		unavailable = 1;
	} else if (a->flags & ACCOUNT_PENDING) {
		why = "This account waits for an administrator's approval";
		unavailable = 1;
	}
	if (why != NULL) {
		if (req->via == VIA_SASL)
			reply_num(c, ERR_SASLFAIL);
		else
			irc_ns_notice(c, "%s.", why);
		if (req->via == VIA_SASL && unavailable)
			reply_note(c, "AUTHENTICATE", "ACCOUNT_UNAVAILABLE",
			    NULL, "%s", why);
		goto out_cur;
	}
	a->fails = 0;
	if (req->drop) {
		irc_acct_drop_confirmed(c, a);
		goto out_cur;
	}
	if (req->newpass != NULL) {
		/* The current password was right: hash the new one.  The
		 * session stays paused until it is stored. */
		if (irc_setpass_hash(c, s, a, req->newpass) == 0) {
			c->cur = NULL;
			session_unref(s);
			irc_login_req_free(req);
			return;
		}
		goto out_cur;
	}
	if (c->account != NULL && account_find(c->account) == a) {
		irc_ns_notice(c, "You are already logged in as %s.", a->name);
		goto out_cur;
	}
	if (c->account != NULL)
		irc_acct_logout(c);
	irc_acct_login(c, a, 1);
	if (req->via == VIA_SASL)
		reply_num(c, RPL_SASLSUCCESS);
	else
		irc_ns_notice(c, "You are now logged in as %s.", a->name);
	if (c->flags & CLIENT_REGISTERED) {
		autojoin_login(c);
		irc_hist_replay(c, a);
	}
out_cur:
	c->cur = NULL;
out:
	if (req->via == VIA_SASL && s->auth != NULL)
		((struct auth *)s->auth)->mech = AUTH_NONE;
	session_resume(s);
	session_unref(s);
	irc_login_req_free(req);
}

/*
 * Check name/password for c's running session and log in on success.
 * Returns -1 if the check could not even start (c was told why).
 */
static int
irc_login_start(struct client *c, const char *name, const char *password,
    int via, int drop, const char *newpass)
{
	struct session		*s = c->cur;
	struct login_req	*req;
	struct account		*a = account_find(name);

	if (irc_login_blocked(a, s->conn->ip)) {
		if (via == VIA_SASL)
			reply_num(c, ERR_SASLFAIL);
		else
			irc_ns_notice(c, "Too many failed logins; wait a "
			    "minute and try again.");
		log_info("conn %llu: login for '%s' refused: too many "
		    "failures", (unsigned long long)s->conn->id, name);
		return -1;
	}
	req = xcalloc(1, sizeof *req);
	req->s = session_ref(s);
	if (casemap_fold(name, req->fold, sizeof req->fold) != 0)
		req->fold[0] = '\0';
	strlcpy_u(req->ip, s->conn->ip, sizeof req->ip);
	req->via = via;
	req->drop = drop;
	if (newpass != NULL)
		req->newpass = xstrdup(newpass);
	/* An unknown account costs the same hash as a known one. */
	irc_login_checking(req, a, 1);
	if (pwhash_verify(a != NULL ? a->password : acct_dummy, password,
	    irc_login_checked, req) != 0) {
		irc_login_checking(req, a, 0);
		session_unref(s);
		irc_login_req_free(req);
		if (via == VIA_SASL)
			reply_num(c, ERR_SASLFAIL);
		reply_fail(c, via == VIA_SASL ? "AUTHENTICATE" : "NICKSERV",
		    "TEMPORARILY_UNAVAILABLE", NULL, "The server is busy "
		    "checking passwords; try again in a moment");
		return -1;
	}
	session_pause(s);
	return 0;
}

/* SASL PLAIN: authzid NUL authcid NUL password. */
static void
irc_sasl_plain(struct client *c, char *data, size_t len)
{
	char	*authz = data, *authc, *pw, *end = data + len;
	char	 fa[CASEMAP_FOLDSZ], fb[CASEMAP_FOLDSZ];

	authc = memchr(authz, '\0', end - authz);
	if (authc == NULL || ++authc >= end)
		goto bad;
	pw = memchr(authc, '\0', end - authc);
	if (pw == NULL)
		goto bad;
	pw++;
	if (memchr(pw, '\0', end - pw) != NULL || *authc == '\0' ||
	    *pw == '\0')
		goto bad;
	/* Acting for another account (authzid) is not offered. */
	if (*authz != '\0' && (casemap_fold(authz, fa, sizeof fa) != 0 ||
	    casemap_fold(authc, fb, sizeof fb) != 0 || strcmp(fa, fb) != 0))
		goto bad;
	if (!casemap_utf8_valid(authc, strlen(authc)) ||
	    !casemap_utf8_valid(pw, strlen(pw)))
		goto bad;
	irc_login_start(c, authc, pw, VIA_SASL, 0, NULL);
	return;
bad:
	reply_num(c, ERR_SASLFAIL);
}

/* SASL EXTERNAL: the TLS client certificate names the account. */
static void
irc_sasl_external(struct client *c, char *data, size_t len)
{
	struct session	*s = c->cur;
	struct account	*a;
	char		 fa[CASEMAP_FOLDSZ];

	a = s->certfp != NULL ? account_by_certfp(s->certfp) : NULL;
	if (a == NULL && s->conn != NULL) {
		const char *fp = tls_peer_fingerprint(s->conn);

		a = fp != NULL ? account_by_certfp(fp) : NULL;
	}
	/* An authzid, if any, must name that same account. */
	if (a != NULL && len > 0 && (memchr(data, '\0', len) != NULL ||
	    casemap_fold(data, fa, sizeof fa) != 0 ||
	    strcmp(fa, a->fold) != 0))
		a = NULL;
	if (a == NULL || (a->flags & (ACCOUNT_SUSPENDED | ACCOUNT_PENDING))) {
		reply_num(c, ERR_SASLFAIL);
		return;
	}
	if (c->account != NULL)
		irc_acct_logout(c);
	irc_acct_login(c, a, 1);
	reply_num(c, RPL_SASLSUCCESS);
}

/*
 * SASL X-LANCHAT-TOKEN: account NUL token.  The same limits as a
 * password, and the same answer for an unknown account, a wrong token,
 * or a token of another account.
 */
static void
irc_sasl_token(struct client *c, struct auth *au, char *data, size_t len)
{
	struct session	*s = c->cur;
	char		*name = data, *text, *end = data + len;
	struct account	*a;
	struct token	*t;

	text = memchr(name, '\0', len);
	if (text == NULL || text == name || ++text >= end ||
	    memchr(text, '\0', end - text) != NULL ||
	    !casemap_utf8_valid(name, strlen(name))) {
		reply_num(c, ERR_SASLFAIL);
		return;
	}
	a = account_find(name);
	if (irc_login_blocked(a, s->conn->ip)) {
		reply_num(c, ERR_SASLFAIL);
		log_info("conn %llu: token login for '%s' refused: too many "
		    "failures", (unsigned long long)s->conn->id, name);
		return;
	}
	t = token_check(text);
	if (a == NULL || t == NULL || t->account != a->id) {
		irc_login_failed(a, s->conn->ip);
		reply_num(c, ERR_SASLFAIL);
		return;
	}
	token_touch(t);
	a->fails = 0;
	if (c->account != NULL)
		irc_acct_logout(c);
	irc_acct_login(c, a, 1);
	au->has_token = 1;
	memcpy(au->token, t->hash, sizeof au->token);
	reply_num(c, RPL_SASLSUCCESS);
	if (c->flags & CLIENT_REGISTERED)
		irc_hist_replay(c, a);
}

/* A whole SASL response arrived (base64 in a->data). */
static void
irc_sasl_response(struct client *c, struct auth *a)
{
	unsigned char	*bin;
	size_t		 binlen = 0;
	int		 mech = a->mech;

	bin = xmalloc(a->data.len + 1);
	if (a->data.len > 0 && sodium_base642bin(bin, a->data.len + 1,
	    a->data.data, a->data.len, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(bin);
		buf_reset(&a->data);
		a->mech = AUTH_NONE;
		reply_num(c, ERR_SASLFAIL);
		return;
	}
	bin[binlen] = '\0';
	sodium_memzero(a->data.data, a->data.len);
	buf_reset(&a->data);
	if (mech == AUTH_PLAIN)
		irc_sasl_plain(c, (char *)bin, binlen);
	else if (mech == AUTH_TOKEN)
		irc_sasl_token(c, a, (char *)bin, binlen);
	else
		irc_sasl_external(c, (char *)bin, binlen);
	sodium_memzero(bin, binlen);
	free(bin);
	/* A check still running clears the mechanism when it is done. */
	if (!(c->cur->flags & SESSION_PAUSED))
		a->mech = AUTH_NONE;
}

int
cmd_authenticate(struct client *c, struct msg *m)
{
	struct session	*s = c->cur;
	struct auth	*a = s->auth;
	const char	*p = m->params[0];
	size_t		 n = strlen(p);

	if (!session_has_cap(s, CAP_SASL)) {
		reply_num(c, ERR_SASLFAIL);
		return 0;
	}
	if (c->account != NULL && (a == NULL || a->mech == AUTH_NONE)) {
		reply_num(c, ERR_SASLALREADY);
		return 0;
	}
	if (a == NULL) {
		a = s->auth = xcalloc(1, sizeof *a);
		buf_init(&a->data);
	}
	if (strcmp(p, "*") == 0) {
		a->mech = AUTH_NONE;
		buf_reset(&a->data);
		reply_num(c, ERR_SASLABORTED);
		return 0;
	}
	if (a->mech == AUTH_NONE) {
		if (strcasecmp(p, "PLAIN") == 0)
			a->mech = AUTH_PLAIN;
		else if (strcasecmp(p, "EXTERNAL") == 0 &&
		    (s->conn->flags & CONN_SECURE))
			a->mech = AUTH_EXTERNAL;
		else if (strcasecmp(p, "X-LANCHAT-TOKEN") == 0)
			a->mech = AUTH_TOKEN;
		else {
			reply_num(c, RPL_SASLMECHS, (s->conn->flags &
			    CONN_SECURE) ? SASL_MECHS_TLS : SASL_MECHS);
			reply_num(c, ERR_SASLFAIL);
			return 0;
		}
		buf_reset(&a->data);
		a->has_token = 0;
		session_sendf(s, ":%s AUTHENTICATE +", srv.name);
		return 0;
	}
	if (n > SASL_CHUNK || (strcmp(p, "+") != 0 &&
	    a->data.len + n > SASL_MAX)) {
		a->mech = AUTH_NONE;
		buf_reset(&a->data);
		reply_num(c, ERR_SASLTOOLONG);
		return 0;
	}
	if (strcmp(p, "+") != 0)
		buf_add(&a->data, p, n);
	if (n == SASL_CHUNK)
		return 0;	/* more to come */
	irc_sasl_response(c, a);
	return 0;
}

/* Is name one that nobody may take (the service nicks)? */
int
irc_acct_reserved(const char *fold)
{
	return strcmp(fold, "nickserv") == 0 || strcmp(fold, "chanserv") ==
	    0 || strcmp(fold, "histserv") == 0;
}

static void
irc_register_reply(struct client *c, int via, const char *code,
    const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Tell c how its registration went, in the words of the way it asked. */
static void
irc_register_reply(struct client *c, int via, const char *code,
    const char *name, const char *fmt, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (via == VIA_NICKSERV)
		irc_ns_notice(c, "%s", b.data);
	else if (strcmp(code, "SUCCESS") == 0 ||
	    strcmp(code, "VERIFICATION_REQUIRED") == 0)
		client_sendf(c, ":%s REGISTER %s %s :%s", srv.name, code,
		    name, b.data);
	else
		reply_fail(c, "REGISTER", code, name, "%s", b.data);
	buf_free(&b);
}

static void
irc_register_finish(struct register_req *req)
{
	dict_del(&acct_pending, req->fold);
	session_resume(req->s);
	session_unref(req->s);
	free(req);
}

/* The account row is committed (or not). */
static void
irc_register_stored(void *arg, int status, struct account *a)
{
	struct register_req	*req = arg;
	struct session		*s = req->s;
	struct client		*c = s->client;

	if ((s->flags & SESSION_QUIT) || c == NULL)
		goto out;
	c->cur = s;
	if (status != SQLITE_OK) {
		irc_register_reply(c, req->via, (status & 0xff) ==
		    SQLITE_CONSTRAINT ? "ACCOUNT_EXISTS" :
		    "TEMPORARILY_UNAVAILABLE", req->name,
		    "The account could not be made: %s",
		    store_strerror(status));
	} else if (a->flags & ACCOUNT_PENDING) {
		irc_register_reply(c, req->via, "VERIFICATION_REQUIRED",
		    a->name, "Account %s made; an administrator has to "
		    "approve it before you can log in", a->name);
		log_info("account %s registered, waiting for approval",
		    a->name);
	} else {
		log_info("account %s registered", a->name);
		irc_register_reply(c, req->via, "SUCCESS", a->name,
		    "Account %s registered; you are logged in", a->name);
		if (c->account == NULL)
			irc_acct_login(c, a, 1);
	}
	c->cur = NULL;
out:
	irc_register_finish(req);
}

/* The password is hashed: store the account. */
static void
irc_register_hashed(void *arg, char *hash)
{
	struct register_req	*req = arg;
	struct session		*s = req->s;
	struct client		*c = s->client;
	unsigned int		 flags = 0;

	if ((s->flags & SESSION_QUIT) || c == NULL)
		goto drop;
	if (hash == NULL)
		goto busy;
	if (strcmp(srv.cfg.registration, "approval") == 0)
		flags |= ACCOUNT_PENDING;
	if (account_create(req->name, req->fold, hash, flags,
	    irc_register_stored, req) == 0)
		return;
busy:
	c->cur = s;
	irc_register_reply(c, req->via, "TEMPORARILY_UNAVAILABLE", req->name,
	    "The server cannot make accounts right now; try again later");
	c->cur = NULL;
drop:
	irc_register_finish(req);
}

/*
 * Register name with password for c's running session.  Checks the name,
 * the password and the limits, then hashes and stores; the session waits.
 */
static void
irc_register_start(struct client *c, const char *name, const char *password,
    int via)
{
	struct session		*s = c->cur;
	struct register_req	*req;
	struct addr_count	*ac;
	struct client		*holder;
	char			 fold[CASEMAP_FOLDSZ], why[160];
	size_t			 pl = strlen(password);
	const char		*shown = reply_param(name);

	if (c->account != NULL) {
		irc_register_reply(c, via, "ALREADY_AUTHENTICATED",
		    c->account, "You are already logged in as %s",
		    c->account);
		return;
	}
	if (strcmp(srv.cfg.registration, "closed") == 0) {
		irc_register_reply(c, via, "TEMPORARILY_UNAVAILABLE", shown,
		    "This server does not take new accounts; ask its "
		    "administrator");
		return;
	}
	if (casemap_check_nick(name, fold, sizeof fold, why, sizeof why) !=
	    CASEMAP_OK || irc_acct_reserved(fold)) {
		irc_register_reply(c, via, "BAD_ACCOUNT_NAME", shown, "%s",
		    irc_acct_reserved(fold) ? "That name is reserved" : why);
		return;
	}
	if (account_find_fold(fold) != NULL ||
	    dict_get(&acct_pending, fold) != NULL) {
		irc_register_reply(c, via, "ACCOUNT_EXISTS", name,
		    "The account %s exists already", name);
		return;
	}
	/* An account owns its nick: made under someone else's nick now,
	 * it would take that nick from them at once (irc_acct_login). */
	if ((holder = dict_get(&srv.clients, fold)) != NULL && holder != c) {
		irc_register_reply(c, via, "BAD_ACCOUNT_NAME", shown,
		    "%s is someone else's nick now", shown);
		return;
	}
	if (pl < PWHASH_MIN_LEN) {
		irc_register_reply(c, via, "WEAK_PASSWORD", name,
		    "Use a password of at least %d characters",
		    PWHASH_MIN_LEN);
		return;
	}
	if (pl > PWHASH_MAX_LEN) {
		irc_register_reply(c, via, "UNACCEPTABLE_PASSWORD", name,
		    "Use a password of at most %d bytes", PWHASH_MAX_LEN);
		return;
	}
	ac = irc_addr_count(&acct_regs, s->conn->ip, 3600 * 1000);
	if (ac->n >= REGISTER_PER_ADDRESS) {
		irc_register_reply(c, via, "TEMPORARILY_UNAVAILABLE", name,
		    "Too many new accounts from your address; try again "
		    "in an hour");
		return;
	}
	req = xcalloc(1, sizeof *req);
	req->s = session_ref(s);
	strlcpy_u(req->name, name, sizeof req->name);
	strlcpy_u(req->fold, fold, sizeof req->fold);
	req->via = via;
	if (pwhash_hash(password, irc_register_hashed, req) != 0) {
		session_unref(s);
		free(req);
		irc_register_reply(c, via, "TEMPORARILY_UNAVAILABLE", name,
		    "The server is busy; try again in a moment");
		return;
	}
	ac->n++;
	dict_put(&acct_pending, req->fold, req->fold);
	session_pause(s);
}

/* REGISTER <account> <email|*> <password> (draft/account-registration) */
int
cmd_register(struct client *c, struct msg *m)
{
	const char	*name = m->params[0];
	const char	*nick = c->nick != NULL ? c->nick : c->want_nick;

	/* draft/account-registration: NEED_NICK before any NICK, and
	 * ACCOUNT_EXISTS must not come before NICK either, whatever the
	 * name asked for. */
	if (nick == NULL) {
		reply_fail(c, "REGISTER", "NEED_NICK", "*",
		    "Choose a nick with NICK first");
		return 0;
	}
	if (strcmp(name, "*") == 0)
		name = nick;
	irc_register_start(c, name, m->params[2], VIA_REGISTER);
	return 0;
}

/* VERIFY: nothing here needs a code; say so. */
int
cmd_verify(struct client *c, struct msg *m)
{
	reply_fail(c, "VERIFY", "INVALID_CODE", reply_param(m->params[0]),
	    "This server sends no verification codes");
	return 0;
}

/* Log c out if it is logged in to the account whose fold is arg. */
static void
irc_acct_logout_fold(struct client *c, void *arg)
{
	char	fold[CASEMAP_FOLDSZ];

	if (c->account != NULL && casemap_fold(c->account, fold,
	    sizeof fold) == 0 && strcmp(fold, arg) == 0)
		irc_acct_logout(c);
}

/*
 * The account is dropped (or not).  Everyone logged in to it is logged
 * out now, when it no longer exists: nobody is left logged in to an
 * account that is gone, and nobody is told to log in to it to keep a
 * nick that nobody owns any more.
 */
static void
irc_acct_dropped(void *arg, int status, struct account *a)
{
	struct session	*s = arg;
	struct client	*c = s->client;

	if (status == SQLITE_OK && a != NULL) {
		if (c != NULL)
			c->cur = NULL;
		client_each_reg(irc_acct_logout_fold, a->fold);
	}
	if (!(s->flags & SESSION_QUIT) && c != NULL) {
		c->cur = s;
		if (status == SQLITE_OK)
			irc_ns_notice(c, "The account is gone.");
		else
			irc_ns_notice(c, "The account could not be dropped: "
			    "%s.", store_strerror(status));
		c->cur = NULL;
	}
	session_unref(s);
}

static void
irc_acct_drop_confirmed(struct client *c, struct account *a)
{
	if (account_drop(a, irc_acct_dropped, session_ref(c->cur)) != 0) {
		session_unref(c->cur);
		irc_ns_notice(c, "The server is busy; try again later.");
	}
}

static void
irc_pass_changed(void *arg, int status, struct account *a)
{
	struct session	*s = arg;
	struct client	*c = s->client;

	(void)a;
	if (!(s->flags & SESSION_QUIT) && c != NULL) {
		c->cur = s;
		irc_ns_notice(c, status == SQLITE_OK ? "Your password is "
		    "changed." : "The password could not be changed: %s.",
		    store_strerror(status));
		c->cur = NULL;
	}
	session_resume(s);
	session_unref(s);
}

static void
irc_pass_hashed(void *arg, char *hash)
{
	struct login_req	*req = arg;
	struct session		*s = req->s;
	struct account		*a = account_find_fold(req->fold);

	if (hash == NULL || a == NULL || (s->flags & SESSION_QUIT) ||
	    account_set_password(a, hash, irc_pass_changed, s) != 0) {
		if (!(s->flags & SESSION_QUIT) && s->client != NULL) {
			s->client->cur = s;
			irc_ns_notice(s->client, "The password could not be "
			    "changed; try again later.");
			s->client->cur = NULL;
		}
		session_resume(s);
		session_unref(s);
	}
	free(req);
}

struct cert_req {
	struct session	*s;
	int		 add;
	char		 fp[65];
};

/* A CERT ADD or DEL is committed (or not): say so, and read on. */
static void
irc_cert_changed(void *arg, int status, struct account *a)
{
	struct cert_req	*req = arg;
	struct session	*s = req->s;
	struct client	*c = s->client;

	(void)a;
	if (!(s->flags & SESSION_QUIT) && c != NULL) {
		c->cur = s;
		if (status != SQLITE_OK && req->add &&
		    (status & 0xff) == SQLITE_CONSTRAINT)
			irc_ns_notice(c, "That certificate belongs to an "
			    "account already.");
		else if (status != SQLITE_OK)
			irc_ns_notice(c, "The certificate could not be %s: "
			    "%s.", req->add ? "added" : "removed",
			    store_strerror(status));
		else if (req->add)
			irc_ns_notice(c, "Certificate %s added.", req->fp);
		else
			irc_ns_notice(c, "Certificate %s removed.", req->fp);
		c->cur = NULL;
	}
	session_resume(s);
	session_unref(s);
	free(req);
}

/*
 * Add (or remove) certificate fingerprint fp to a.  The answer comes
 * once it is on disk, and the session waits for it, so that a CERT LIST
 * or SASL EXTERNAL right behind sees the change.
 */
static void
irc_cert_start(struct client *c, struct account *a, const char *fp, int add)
{
	struct cert_req	*req = xcalloc(1, sizeof *req);
	int		 rc;

	req->s = session_ref(c->cur);
	req->add = add;
	strlcpy_u(req->fp, fp, sizeof req->fp);
	rc = add ? account_add_certfp(a, fp, irc_cert_changed, req) :
	    account_del_certfp(a, fp, irc_cert_changed, req);
	if (rc != 0) {
		session_unref(req->s);
		free(req);
		irc_ns_notice(c, "The server is busy; try again.");
		return;
	}
	session_pause(c->cur);
}

/*
 * LOGOUT: the login token this session used dies with it; with all,
 * every token of the account does.  Returns how many were revoked.
 */
static size_t
irc_acct_logout_tokens(struct client *c, int all)
{
	struct auth	*au = c->cur->auth;
	struct account	*a = account_find(c->account);
	struct token	*t;

	if (a == NULL)
		return 0;
	if (all)
		return token_revoke_account(a->id);
	if (au == NULL || !au->has_token)
		return 0;
	au->has_token = 0;
	if ((t = token_find_hash(au->token)) == NULL || t->account != a->id)
		return 0;
	token_revoke(t);
	return 1;
}

/* NickServ's commands, from PRIVMSG NickServ or the NS command. */
static void
irc_nickserv(struct client *c, char *text)
{
	char		*argv[4], *p = text;
	int		 argc = 0;
	struct account	*a;
	struct session	*s = c->cur;
	char		 date[32];
	time_t		 t;
	uint32_t	 i;

	while (argc < 4 && (argv[argc] = strsep(&p, " ")) != NULL)
		if (*argv[argc] != '\0')
			argc++;
	if (argc == 0 || strcasecmp(argv[0], "HELP") == 0) {
		irc_ns_notice(c, "NickServ keeps accounts. Commands:");
		irc_ns_notice(c, "REGISTER <password> - make an account named "
		    "after your nick");
		irc_ns_notice(c, "IDENTIFY [account] <password> - log in");
		irc_ns_notice(c, "LOGOUT [ALL] - log out (and end the login "
		    "token of this device, or with ALL of every device)");
		irc_ns_notice(c, "SET PASSWORD <current password> <new "
		    "password>");
		irc_ns_notice(c, "INFO [account] - about an account");
		irc_ns_notice(c, "CERT ADD|DEL|LIST [fingerprint] - log in "
		    "with your TLS client certificate (SASL EXTERNAL)");
		irc_ns_notice(c, "DROP <password> - delete your account");
		return;
	}
	if (strcasecmp(argv[0], "REGISTER") == 0) {
		if (argc < 2) {
			irc_ns_notice(c, "Usage: REGISTER <password>");
			return;
		}
		irc_register_start(c, c->nick, argv[1], VIA_NICKSERV);
	} else if (strcasecmp(argv[0], "IDENTIFY") == 0 ||
	    strcasecmp(argv[0], "LOGIN") == 0) {
		if (argc < 2) {
			irc_ns_notice(c, "Usage: IDENTIFY [account] "
			    "<password>");
			return;
		}
		irc_login_start(c, argc >= 3 ? argv[1] : c->nick,
		    argc >= 3 ? argv[2] : argv[1], VIA_NICKSERV, 0, NULL);
	} else if (strcasecmp(argv[0], "LOGOUT") == 0) {
		if (c->account == NULL)
			irc_ns_notice(c, "You are not logged in.");
		else {
			size_t n = irc_acct_logout_tokens(c, argc >= 2 &&
			    strcasecmp(argv[1], "ALL") == 0);

			irc_acct_logout(c);
			irc_ns_notice(c, "You are logged out.");
			if (n > 0)
				irc_ns_notice(c, "%zu login token%s revoked.",
				    n, n == 1 ? "" : "s");
		}
	} else if (strcasecmp(argv[0], "SET") == 0 && argc >= 2 &&
	    strcasecmp(argv[1], "PASSWORD") == 0) {
		/* The current password first: a login token (a web session
		 * left open) must not be enough to lock the owner out. */
		if (c->account == NULL ||
		    (a = account_find(c->account)) == NULL) {
			irc_ns_notice(c, "Log in first.");
			return;
		}
		if (argc < 4) {
			irc_ns_notice(c, "Usage: SET PASSWORD <current password> "
			    "<new password>");
			return;
		}
		if (strlen(argv[3]) < PWHASH_MIN_LEN ||
		    strlen(argv[3]) > PWHASH_MAX_LEN) {
			irc_ns_notice(c, "Use a password of %d to %d "
			    "characters.", PWHASH_MIN_LEN, PWHASH_MAX_LEN);
			return;
		}
		irc_login_start(c, a->name, argv[2], VIA_NICKSERV, 0, argv[3]);
	} else if (strcasecmp(argv[0], "INFO") == 0) {
		a = account_find(argc >= 2 ? argv[1] : (c->account != NULL ?
		    c->account : c->nick));
		if (a == NULL) {
			irc_ns_notice(c, "No such account.");
			return;
		}
		t = a->created;
		strftime(date, sizeof date, "%Y-%m-%d", gmtime(&t));
		irc_ns_notice(c, "Account %s, registered %s%s%s%s.", a->name,
		    date, a->online != NULL ? ", online as " : "",
		    a->online != NULL ? a->online->nick : "",
		    (a->flags & ACCOUNT_ADMIN) ? ", an administrator" : "");
	} else if (strcasecmp(argv[0], "CERT") == 0) {
		if (c->account == NULL ||
		    (a = account_find(c->account)) == NULL) {
			irc_ns_notice(c, "Log in first.");
			return;
		}
		if (argc >= 2 && strcasecmp(argv[1], "LIST") == 0) {
			for (i = 0; i < a->ncertfps; i++)
				irc_ns_notice(c, "%s", a->certfps[i]);
			irc_ns_notice(c, "%u certificate(s).", a->ncertfps);
		} else if (argc >= 2 && strcasecmp(argv[1], "ADD") == 0) {
			const char *fp = argc >= 3 ? argv[2] : s->certfp;

			if (fp == NULL || strlen(fp) != 64 ||
			    strspn(fp, "0123456789abcdef") != 64) {
				irc_ns_notice(c, "Connect with a TLS client "
				    "certificate, or give its SHA-256 "
				    "fingerprint (64 hex digits).");
				return;
			}
			if (account_by_certfp(fp) != NULL) {
				irc_ns_notice(c, "That certificate belongs to "
				    "an account already.");
				return;
			}
			irc_cert_start(c, a, fp, 1);
		} else if (argc >= 3 && strcasecmp(argv[1], "DEL") == 0) {
			if (account_by_certfp(argv[2]) != a)
				irc_ns_notice(c, "Not one of yours.");
			else
				irc_cert_start(c, a, argv[2], 0);
		} else
			irc_ns_notice(c, "Usage: CERT ADD|DEL|LIST "
			    "[fingerprint]");
	} else if (strcasecmp(argv[0], "DROP") == 0) {
		if (c->account == NULL || argc < 2) {
			irc_ns_notice(c, "Log in, then DROP <password>.");
			return;
		}
		irc_login_start(c, c->account, argv[1], VIA_NICKSERV, 1, NULL);
	} else
		irc_ns_notice(c, "Unknown command %s; try HELP.",
		    reply_param(argv[0]));
}

/* PRIVMSG NickServ: is target the service?  Then run it; returns 1. */
int
irc_acct_service_msg(struct client *c, const char *target, const char *text)
{
	char	fold[CASEMAP_FOLDSZ], copy[LINE_MAX_BODY];

	if (casemap_fold(target, fold, sizeof fold) != 0 ||
	    strcmp(fold, "nickserv") != 0)
		return 0;
	strlcpy_u(copy, text, sizeof copy);
	irc_nickserv(c, copy);
	sodium_memzero(copy, sizeof copy);
	return 1;
}

/* NS / NICKSERV <command...> */
int
cmd_nickserv(struct client *c, struct msg *m)
{
	struct buf	b;
	int		i;

	buf_init(&b);
	for (i = 0; i < m->nparams; i++) {
		if (i > 0)
			buf_addch(&b, ' ');
		buf_addstr(&b, m->params[i]);
	}
	irc_nickserv(c, b.data != NULL ? b.data : (char *)"");
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	buf_free(&b);
	return 0;
}

/*
 * login-required: a session that would register without an account is
 * told so and closed.  Returns 1 if it may go on.
 */
int
irc_acct_may_register(struct client *c)
{
	if (!srv.cfg.login_required || c->account != NULL)
		return 1;
	reply_fail(c, "*", "ACCOUNT_REQUIRED", NULL, "This server needs you "
	    "to log in: use SASL, or REGISTER an account first");
	return 0;
}
