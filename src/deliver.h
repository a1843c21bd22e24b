/*
 * Delivery in commit order (DESIGN.md "A message is committed before it
 * is delivered").
 *
 * A handler checks and changes state at once (membership, topic, nick),
 * then describes what others must be told as a struct event: the lines
 * to send, who should get them, and the history rows to keep.  The event
 * goes to the store's writer thread; once its batch is committed it is
 * delivered, in the order events were made, whatever their batches.  So
 * the echo a sender gets is its acknowledgement: what was echoed is on
 * disk, and nobody sees a message that later vanishes.
 *
 * Audiences are decided at delivery: the members of a channel who joined
 * before the event (each membership remembers the event that made it),
 * the users of the captured channels (NICK, QUIT), one user (a DM, a
 * kicked user), and the sender's own sessions (the one that sent it only
 * with echo-message, for messages).  Events hold references to the
 * clients, sessions and channels they name, so any of them may go away
 * before delivery.
 */
#ifndef LANCHAT_DELIVER_H
#define LANCHAT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "store.h"

struct channel;
struct client;
struct later;
struct line;
struct session;

#define AUD_CHANNEL	0x01	/* members of ev->chan */
#define AUD_CHANS	0x02	/* members of ev->chans */
#define AUD_SELF	0x04	/* the sender's sessions, always */
#define AUD_ECHO	0x08	/* the sender's: echo-message rule */
#define AUD_TO		0x10	/* ev->to */

struct event {
	struct store_job	 job;		/* first: the store job */
	struct event		*next;
	int			 kind;		/* HIST_* */
	int			 must_store;	/* undelivered if not stored */
	int			 ready;
	uint64_t		 seq;
	uint64_t		 time_ms;
	char			 msgid[48];
	struct hist_row		*rows;		/* to keep; rows[0] gets id */
	int			 nrows;
	int64_t			 id;
	unsigned int		 audience;
	struct client		*from;		/* ref, or NULL */
	struct later		*later;		/* the sender's reply */
	char			*account;	/* sender's, for account-tag */
	int			 bot;
	struct channel		*chan;		/* ref */
	struct channel		**chans;	/* refs */
	uint32_t		 nchans;
	struct client		*to;		/* ref */
	unsigned int		 status;	/* STATUSMSG: MEMBER_* */
	char			*ctags;		/* client-only tags, escaped */
	char			*ctags_alt;	/* text[1]'s, if not ctags */
	char			*text[2];	/* the line, and its alt form */
	int			 alt_cap;
	int			 need_cap;
	int			 tagmsg;
	const char		*verb;		/* for FAIL when not stored */
	void			(*after)(struct event *);
	struct session		*origin;	/* counted in its nevents */
	/* A line-only event: lines held back for one session. */
	struct session		*hold;
	struct line		**lines;
	uint32_t		 nlines;
};

struct event	*event_new(struct client *, int, unsigned int);
void		 event_text_cat(struct event *, int, ...)
		    __attribute__((sentinel));
void		 event_text(struct event *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
struct hist_row	*event_row(struct event *);
void		 event_submit(struct event *);
void		 event_release(void);
int		 event_delivering(void);
void		 event_defer_line(struct session *, struct line *);
void		 event_set_channel(struct event *, struct channel *);
void		 event_set_to(struct event *, struct client *);
void		 event_capture_channels(struct event *, struct client *);
uint64_t	 event_next_seq(void);
size_t		 event_pending(void);

#endif
