/*
 * Everything a handler sends goes through here.
 *
 * To the client that sent the command: reply_num() for numerics,
 * reply_fail() and friends for IRCv3 standard replies, client_send() for
 * anything else.  While a labeled command is dispatched (reply_begin ..
 * reply_end, called only by cmd_dispatch), those lines are held in the
 * client's struct rctx and leave as one labeled response: an ACK, one
 * labeled line, or a labeled-response batch (ergo's ResponseBuffer).  No
 * handler knows about labels.
 *
 * To many clients: struct fanout serialises a message once per form (the
 * combination of tags a recipient negotiated, and an alternative text for
 * clients with one capability, like extended-join) and queues the same
 * bytes to every recipient by reference.
 */
#ifndef LANCHAT_REPLY_H
#define LANCHAT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lc_limits.h"

struct channel;
struct client;
struct line;
struct msg;
struct session;

struct rctx {
	char		  label[LABEL_MAX + 1];
	struct line	**lines;
	uint32_t	  n, cap;
	uint32_t	  pending;	/* laters not yet ended */
	int		  heap;		/* allocated (not the static one) */
};

/*
 * A reply that comes later than its command: history read on the thread
 * pool, a message sent once it is committed.  reply_later() (during
 * dispatch) keeps the session and its labeled response open;
 * later_begin() makes it current again (NULL if the session is gone),
 * later_end() closes it, and the last one to end sends the labeled
 * response.
 */
struct later {
	struct session	*s;
	struct rctx	*r;
};

#define FORM_TIME	0x1	/* server-time */
#define FORM_TAGS	0x2	/* message-tags: msgid, bot, client tags */
#define FORM_ACCOUNT	0x4	/* account-tag */
#define FORM_COUNT	8

struct fanout {
	const struct client	*from;
	struct buf		 base[2];
	int			 alt_cap;	/* -1, or cap for base[1] */
	int			 need_cap;	/* -1, or cap to receive */
	int			 tagmsg;	/* only to message-tags clients */
	uint64_t		 time_ms;
	char			 msgid[48];
	const char		*account;
	const char		*ctags;		/* escaped client-only tags */
	const char		*ctags_alt;	/* base[1]'s, when not ctags */
	int			 bot;
	uint64_t		 epoch;
	uint64_t		 seq;		/* members who joined after: no */
	const struct session	*skip;		/* gets nothing */
	struct line		*forms[2][FORM_COUNT];
};

void	 reply_begin(struct session *, const struct msg *);
void	 reply_end(struct session *);
void	 reply_num(struct client *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 reply_std(struct client *, const char *, const char *, const char *,
	    const char *, const char *, ...)
	    __attribute__((format(printf, 6, 7)));
#define reply_fail(c, cmd, code, ctx, ...) \
	reply_std((c), "FAIL", (cmd), (code), (ctx), __VA_ARGS__)
#define reply_warn(c, cmd, code, ctx, ...) \
	reply_std((c), "WARN", (cmd), (code), (ctx), __VA_ARGS__)
#define reply_note(c, cmd, code, ctx, ...) \
	reply_std((c), "NOTE", (cmd), (code), (ctx), __VA_ARGS__)
const char *reply_param(const char *);
struct later *reply_later(struct client *);
struct client *later_begin(struct later *);
void	 later_end(struct later *);
void	 reply_notice(struct client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 reply_collect(struct session *, struct line *);
void	 reply_batch_id(char *, size_t);

void	 fanout_init(struct fanout *, const struct client *);
void	 fanout_init_at(struct fanout *, const struct client *, uint64_t,
	    const char *);
void	 fanout_add(struct fanout *, int, const char *);
void	 fanout_text(struct fanout *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
struct line *fanout_line(struct fanout *, const struct session *);
int	 fanout_send(struct fanout *, struct client *);
void	 fanout_deliver(struct fanout *, struct client *);
int	 fanout_send_cap(struct fanout *, struct client *, int);
void	 fanout_channel(struct fanout *, struct channel *,
	    const struct client *, unsigned int);
void	 fanout_neighbours(struct fanout *, struct client *, int, int);
void	 fanout_done(struct fanout *);

#endif
