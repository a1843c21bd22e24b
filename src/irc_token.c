/*
 * TOKEN: login tokens from IRC (token.h has what they are).
 *
 *   TOKEN NEW [label]         :server TOKEN NEW <token>
 *   TOKEN LIST                :server TOKEN LIST <id> <made> <used> :<label>
 *                             ... then :server TOKEN LISTEND :<n> token(s)
 *   TOKEN REVOKE <token|id|*> :server TOKEN REVOKE <n> :<text>
 *
 * Only a logged-in user may use it, and only on its own tokens.  <id> is
 * a short prefix of the token's hash: enough to revoke a token listed on
 * another device without ever showing the token itself.  Times are
 * server-time timestamps.  Errors are standard replies (FAIL TOKEN ...).
 * A new token is shown once its row is committed, never again, and
 * neither the token nor the line that carries it is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "account.h"
#include "buf.h"
#include "casemap.h"
#include "client.h"
#include "irc.h"
#include "msg.h"
#include "reply.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "xmalloc.h"

/* The label of TOKEN NEW: its words, without controls, truncated. */
static void
irc_token_label(struct msg *m, char *out, size_t outsz)
{
	struct buf	 b;
	int		 i;
	size_t		 n, k;

	buf_init(&b);
	for (i = 1; i < m->nparams; i++) {
		if (b.len > 0)
			buf_addch(&b, ' ');
		buf_addstr(&b, m->params[i]);
	}
	out[0] = '\0';
	if (b.len == 0 || !casemap_utf8_valid(b.data, b.len)) {
		buf_free(&b);
		return;
	}
	for (n = k = 0; n < b.len; n++)
		if ((unsigned char)b.data[n] >= 0x20 && b.data[n] != 0x7f)
			b.data[k++] = b.data[n];
	b.data[k] = '\0';
	n = utf8_truncate(b.data, TOKEN_LABEL_MAX < outsz - 1 ?
	    TOKEN_LABEL_MAX : outsz - 1);
	memcpy(out, b.data, n);
	out[n] = '\0';
	buf_free(&b);
}

/* The row of TOKEN NEW is committed (or not): show the token, once. */
static void
irc_token_made(void *arg, int status, const char *text)
{
	struct later	*l = arg;
	struct client	*c;

	if ((c = later_begin(l)) != NULL) {
		if (text != NULL)
			client_sendf(c, ":%s TOKEN NEW %s", srv.name, text);
		else
			reply_fail(c, "TOKEN", "TEMPORARILY_UNAVAILABLE", "NEW",
			    "The token could not be made: %s",
			    store_strerror(status));
	}
	later_end(l);
}

static void
irc_token_new(struct client *c, struct account *a, struct msg *m)
{
	struct token	*list[1];
	struct later	*l;
	char		 label[TOKEN_LABEL_MAX + 1];

	if (token_list(a->id, list, 0) >= TOKEN_MAX_PER_ACCOUNT) {
		reply_fail(c, "TOKEN", "LIMIT_REACHED", "NEW", "You have %d "
		    "login tokens; revoke some first (TOKEN LIST, TOKEN "
		    "REVOKE)", TOKEN_MAX_PER_ACCOUNT);
		return;
	}
	irc_token_label(m, label, sizeof label);
	l = reply_later(c);
	if (token_new(a, label, irc_token_made, l) != 0) {
		reply_fail(c, "TOKEN", "TEMPORARILY_UNAVAILABLE", "NEW",
		    "The server is busy; try again in a moment");
		later_end(l);
	}
}

static void
irc_token_list(struct client *c, struct account *a)
{
	struct token	*list[TOKEN_MAX_PER_ACCOUNT];
	size_t		 n, i;
	char		 id[TOKEN_ID_LEN + 1], made[40], used[40];

	n = token_list(a->id, list, TOKEN_MAX_PER_ACCOUNT);
	if (n > TOKEN_MAX_PER_ACCOUNT)
		n = TOKEN_MAX_PER_ACCOUNT;
	for (i = 0; i < n; i++) {
		token_id(list[i], id, sizeof id);
		time_format_iso(list[i]->created * 1000, made, sizeof made);
		time_format_iso(list[i]->last_used * 1000, used, sizeof used);
		client_sendf(c, ":%s TOKEN LIST %s %s %s :%s", srv.name, id,
		    made, used, list[i]->label);
	}
	client_sendf(c, ":%s TOKEN LISTEND :%zu token%s", srv.name, n,
	    n == 1 ? "" : "s");
}

static void
irc_token_revoke(struct client *c, struct account *a, const char *arg)
{
	unsigned char	 hash[TOKEN_HASH_BYTES];
	struct token	*t = NULL;
	size_t		 n;

	if (strcmp(arg, "*") == 0) {
		n = token_revoke_account(a->id);
		client_sendf(c, ":%s TOKEN REVOKE %zu :Revoked %zu token%s",
		    srv.name, n, n, n == 1 ? "" : "s");
		return;
	}
	if (token_hash_text(arg, hash) == 0)
		t = token_find_hash(hash);
	else
		t = token_find_id(a->id, arg);
	sodium_memzero(hash, sizeof hash);
	/* Someone else's token is as unknown as a made-up one. */
	if (t == NULL || t->account != a->id) {
		reply_fail(c, "TOKEN", "INVALID_TOKEN", "REVOKE",
		    "No such token of yours");
		return;
	}
	token_revoke(t);
	client_sendf(c, ":%s TOKEN REVOKE 1 :Revoked 1 token", srv.name);
}

/* TOKEN NEW [label] | LIST | REVOKE <token|id|*> */
int
cmd_token(struct client *c, struct msg *m)
{
	const char	*sub = m->params[0];
	struct account	*a;

	if (c->account == NULL || (a = account_find(c->account)) == NULL) {
		reply_fail(c, "TOKEN", "ACCOUNT_REQUIRED", reply_param(sub),
		    "Log in first");
		return 0;
	}
	if (strcasecmp(sub, "NEW") == 0)
		irc_token_new(c, a, m);
	else if (strcasecmp(sub, "LIST") == 0)
		irc_token_list(c, a);
	else if (strcasecmp(sub, "REVOKE") == 0 && m->nparams >= 2)
		irc_token_revoke(c, a, m->params[1]);
	else if (strcasecmp(sub, "REVOKE") == 0)
		reply_fail(c, "TOKEN", "NEED_MORE_PARAMS", "REVOKE",
		    "TOKEN REVOKE <token|id|*>");
	else
		reply_fail(c, "TOKEN", "INVALID_PARAMS", reply_param(sub),
		    "TOKEN NEW [label], TOKEN LIST or TOKEN REVOKE "
		    "<token|id|*>");
	return 0;
}
