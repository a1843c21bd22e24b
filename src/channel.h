/*
 * struct channel: members, modes, topic, and the +b +e +I lists.  A
 * membership links one client and one channel and sits in an array on
 * each side, so joining, parting and "is X on #y" are O(1) or O(the
 * client's channel count), never O(members).
 *
 * Lifetime: a channel exists while it has members.  The last one to leave
 * destroys it, unless it is registered (chanreg.c): a registered channel
 * stays in srv.channels, empty, until its registration is dropped.
 */
#ifndef LANCHAT_CHANNEL_H
#define LANCHAT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct client;

#define CMODE_INVITE		0x01	/* i */
#define CMODE_MODERATED		0x02	/* m */
#define CMODE_NOEXTERNAL	0x04	/* n */
#define CMODE_TOPIC		0x08	/* t */
#define CMODE_SECRET		0x10	/* s */

#define MEMBER_OP		0x01	/* @ */
#define MEMBER_VOICE		0x02	/* + */

struct listentry {
	char		*mask;		/* as given (normalised) */
	char		*fold;		/* folded, for matching */
	char		*setter;
	uint64_t	 set_at;
};

struct chanlist {
	struct listentry	*v;
	uint32_t		 n;
};

/* A registered channel's status for one account (chanreg.c). */
struct chanaccess {
	int64_t		 account;	/* accounts.id */
	uint8_t		 modes;		/* MEMBER_OP, MEMBER_VOICE */
};

struct membership {
	struct client	*client;
	struct channel	*chan;
	uint32_t	 cidx;		/* index in chan->members */
	uint32_t	 uidx;		/* index in client->chans */
	uint8_t		 modes;
	uint64_t	 seq;		/* event order position at join */
};

struct channel {
	char			*name;
	char			*fold;
	char			*topic;
	char			*topic_setter;
	uint64_t		 topic_time;
	uint64_t		 created;
	unsigned int		 modes;
	char			*key;
	long long		 limit;
	struct chanlist		 bans, excepts, invex;
	struct membership	**members;
	uint32_t		 nmembers, cap;
	uint32_t		 refs;		/* events still to deliver */
	int			 dead;		/* out of srv.channels */
	int			 registered;	/* kept when empty */
	int64_t			 regid;		/* row in the channels table */
	int64_t			 founder;	/* account id, or 0 */
	struct chanaccess	*access;	/* status by account */
	uint32_t		 naccess;
	/*
	 * NAMES as a member sees it, per variant (bit 0 multi-prefix,
	 * bit 1 userhost-in-names): the items of members[0..names_n[v]).
	 * A join extends it at the next NAMES; anything else that changes
	 * a member's item or the order empties it (channel_names_stale).
	 */
	struct buf		 names[4];
	uint32_t		 names_n[4];
};

struct channel		*channel_find(const char *);
struct channel		*channel_new(const char *, const char *);
struct channel		*channel_ref(struct channel *);
void			 channel_unref(struct channel *);
void			 channel_retire(struct channel *);
struct membership	*channel_join(struct channel *, struct client *);
void			 channel_part(struct membership *);
void			 channel_names_stale(struct channel *);
struct membership	*channel_member(const struct channel *,
			    const struct client *);
const char		*channel_prefix(const struct membership *, int);
char			 channel_prefix_char(const struct membership *);
int			 channel_is_banned(const struct channel *,
			    const struct client *);
int			 channel_is_invexed(const struct channel *,
			    const struct client *);
int			 channel_can_see(const struct channel *,
			    const struct client *);
void			 channel_modes_string(const struct channel *, int,
			    char *, size_t);
struct chanlist		*channel_list(struct channel *, char);
int			 channel_list_add(struct chanlist *, const char *,
			    const char *);
int			 channel_list_del(struct chanlist *, const char *);
void			 client_mask_fold(const struct client *, char *,
			    size_t);

#endif
