/*
 * Every bound the server enforces, in one place (ngIRCd defines.h, Lua
 * llimits.h).  Compile-time limits are here; the ones an administrator may
 * change have their default here and a config key in config.c.
 */
#ifndef LANCHAT_LC_LIMITS_H
#define LANCHAT_LC_LIMITS_H

/* IRC framing.  RFC 1459 2.3: 512 bytes with CRLF for the message part.
 * IRCv3 message-tags: up to 4094 bytes of tag data from a client, 8191 in
 * all including the '@' and the space; 417 ERR_INPUTTOOLONG when over. */
#define LINE_MAX_BODY		512	/* without tags, with CRLF */
#define LINE_MAX_CLIENT_TAGS	4094	/* tag data sent by a client */
#define LINE_MAX_TAGS		8191	/* '@' .. ' ' inclusive */
#define IRC_LINE_MAX		(LINE_MAX_BODY + LINE_MAX_TAGS)
#define MSG_MAX_PARAMS		15	/* RFC 2812 2.3.1 */
#define MSG_MAX_TAGS		64	/* parsed tags kept per line */
#define LABEL_MAX		64	/* labeled-response: value <= 64 bytes */

/* Read side.  The receive queue holds bytes read but not yet parsed (a
 * partial line, or lines held back by flood control).  Past it the client
 * gets ERROR :Excess Flood. */
#define RECVQ_DEFAULT		(32 * 1024)
#define READ_CHUNK		(64 * 1024)	/* shared read buffer */

/* Write side: bytes queued for one client before it is a slow consumer. */
#define SENDQ_DEFAULT		(1024 * 1024)

/* Flood control: a token bucket per client.  A burst of FLOOD_BURST
 * commands goes through at once, then FLOOD_RATE per second. */
#define FLOOD_BURST_DEFAULT	40
#define FLOOD_RATE_DEFAULT	8

/* Names.  Lengths are counted in code points of the folded form. */
#define NICKLEN			32
#define CHANNELLEN		64
#define USERLEN			16
#define REALNAMELEN		128
#define HOSTLEN			63
#define TOPICLEN		390
#define AWAYLEN			300
#define KICKLEN			300
#define KEYLEN			32
#define NAME_MAX_BYTES		256	/* any folded name, in bytes */

/* Per-client and per-channel lists. */
#define CHANLIMIT_DEFAULT	100	/* channels one client may be in */
#define MAXTARGETS_DEFAULT	10	/* targets of PRIVMSG, JOIN, ... */
#define MAXLIST_DEFAULT		100	/* entries per list mode (+b +e +I) */
#define MONITOR_DEFAULT		100	/* MONITOR entries per client */
#define MODES_PER_LINE		6	/* MODES= in ISUPPORT */
#define WHOWAS_MAX		1000	/* remembered nick changes and quits */
#define WHO_MAX_REPLIES		1000	/* WHO answers at most this many */
#define INVITES_MAX		32	/* pending invites per client */
#define SILENCE_MAX		0

/* Connections.  The defaults are generous so that an office behind one
 * NAT address is never locked out. */
#define CONNS_PER_IP_DEFAULT	256
#define UNREG_PER_IP_DEFAULT	64
#define BANS_MAX		1000	/* address bans (BAN ADD) */

/* Files over HTTP (upload.c): the largest upload, what one account may
 * keep, and uploads per minute per account. */
#define MAX_UPLOAD_DEFAULT	(100LL * 1024 * 1024)
#define UPLOAD_QUOTA_DEFAULT	(1024LL * 1024 * 1024)
#define UPLOAD_RATE_DEFAULT	30

/* The web port: time to send a request's headers, and the time a
 * keep-alive connection may sit idle (or a body or a download may make
 * no progress) before it is closed. */
#define HTTP_HEADER_TIMEOUT_DEFAULT	10
#define HTTP_IDLE_TIMEOUT_DEFAULT	60

/* Timers, in seconds. */
#define REG_TIMEOUT_DEFAULT	30
#define PING_INTERVAL_DEFAULT	90	/* idle this long: we send PING */
#define PING_TIMEOUT_DEFAULT	90	/* then this long for any reply */
#define CLOSE_GRACE		5	/* flushing ERROR before close */
#define TICK_INTERVAL_MS	1000	/* housekeeping timer */
#define FLOOD_TICK_MS		25	/* throttled clients resume */

/* LAN discovery (discovery.c, docs/discovery.md).  Answers per source
 * address: a burst, then a steady rate; and for all sources together,
 * so that a flood of queries with forged sources is bounded too.  The
 * interfaces (addresses, IPv6 group memberships) are read again on a
 * timer, so a cable plugged in later is served. */
#define DISCOVERY_SRC_BURST	5
#define DISCOVERY_SRC_PER_SEC	1
#define DISCOVERY_ALL_BURST	64
#define DISCOVERY_ALL_PER_SEC	32
#define DISCOVERY_SOURCES	512	/* rate-limit entries kept */
#define DISCOVERY_RESCAN_MS	30000

#endif
