/*
 * lanchat-bench: shared declarations.  The program is one process and one
 * thread: an epoll loop (net.c) drives every connection, the scenarios
 * (scen.c) react to the lines the connections receive, and stat.c keeps
 * the figures (latency histograms, the server's CPU and memory from
 * /proc).  ws.c is the WebSocket transport of a connection, xfer.c the
 * HTTP upload/download scenario.  Everything lives in one global struct
 * bench_run; connections are an array of struct bconn indexed by their
 * number in the run, and are freed only at exit.
 */
#ifndef LANCHAT_BENCH_H
#define LANCHAT_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define BENCH_NICK_MAX		16
#define BENCH_LINE_MAX		(512 + 8191)	/* body and tags */
#define BENCH_HIST_SUB		128	/* buckets per octave */
#define BENCH_HIST_OCT		44	/* octaves: up to 2^50 ns */

/* Exit codes. */
#define BENCH_EXIT_OK		0
#define BENCH_EXIT_LOSS		1	/* lost or duplicated */
#define BENCH_EXIT_ERROR	2	/* refused, closed, timed out */
#define BENCH_EXIT_UNSUPPORTED	3	/* not there yet */

/* Connection states. */
enum net_state {
	NET_FREE = 0,
	NET_CONNECTING,		/* non-blocking connect() in progress */
	NET_HANDSHAKE,		/* TLS handshake */
	NET_WS_UPGRADE,		/* WebSocket upgrade sent, 101 awaited */
	NET_REGISTERING,	/* NICK/USER sent, waiting for 001 */
	NET_READY,		/* 001 seen */
	NET_CLOSED
};

/* One parsed line; the pointers point into the read buffer. */
struct bline {
	char	*tags;		/* without '@', or NULL */
	char	*source;	/* without ':', or NULL */
	char	*cmd;
	int	 n;
	char	*p[16];
};

struct bws;

/* One client connection of the load. */
struct bconn {
	int		 fd;
	int		 idx;
	enum net_state	 state;
	SSL		*ssl;
	struct bws	*ws;		/* WebSocket, or NULL: TCP */
	int		 want_write;	/* EPOLLOUT is registered */
	int		 dirty;		/* to flush this turn */
	int		 tls_wants_read;/* SSL_write needs a read first */
	const char	*caps;		/* CAP REQ, or NULL */
	int		 caps_ok;	/* the server ACKed caps */
	char		 nick[BENCH_NICK_MAX];

	char		*rbuf;		/* partial line kept */
	size_t		 rlen;
	char		*wbuf;
	size_t		 wlen, woff, wcap;

	uint64_t	 t_connect;	/* ns: connect() called */
	uint64_t	 t_open;	/* ns: TCP (and TLS) connected */
	uint64_t	 t_reg;		/* ns: 001 received */

	/* Channel membership (join phase). */
	int		 joined;	/* own JOIN seen */
	int		 names_done;	/* own 366 seen */
	int		 join_done;	/* knows all members */
	int		 known;		/* NAMES + JOINs seen */

	/* Sender side. */
	int		 slot;		/* sender number, or -1 */
	const char	*target;	/* channel or nick it sends to */
	uint64_t	 sent;		/* messages generated */
	uint64_t	 acked;		/* seen by the ack point */
	int		 pump;		/* on the pump list */
	int		 blocked;	/* output waits for EPOLLOUT */

	/* Receiver side. */
	int		 recv_base;	/* first bitmap row, or -1 */
	int		 acker;		/* receipts ack senders */

	/* History queries. */
	char		 batch[64];	/* open chathistory batch id */
	int		 batch_rows;
	char		 oldest[128];	/* msgid of the first row */
};

/* Latency histogram: log-linear buckets over nanoseconds. */
struct lat_hist {
	uint64_t	count;
	uint64_t	max;
	uint64_t	sum;
	uint64_t	b[BENCH_HIST_OCT * BENCH_HIST_SUB];
};

/* What /proc says about the server. */
struct proc_sample {
	int		ok;
	uint64_t	rss_kib;
	double		cpu_s;		/* utime + stime */
};

/* The options and the state of a run. */
struct bench_run {
	/* Options. */
	const char	*host;
	int		 port;
	int		 tls;
	double		 ws;		/* WebSocket share */
	int		 ws_port;	/* the server's HTTP port */
	int		 pid;
	const char	*password;
	const char	*scenario;
	const char	*label;		/* server= in the summary */
	const char	*channel;
	int		 n;		/* connect: clients */
	int		 c;		/* fanout: members */
	int		 s;		/* fanout: senders */
	int		 p;		/* direct: pairs */
	int		 both;		/* direct: both ways */
	long long	 m;		/* messages per sender */
	int		 w;		/* window per sender */
	double		 rate;		/* messages/s, 0: none */
	int		 size;		/* bytes of text per message */
	long long	 file_size;	/* upload: bytes of the file */
	const char	*upload_url;	/* upload: instead of FILEHOST */
	int		 inflight;	/* connects not yet registered */
	long long	 fill;		/* history: to store first */
	int		 prefilled;
	int		 queries;	/* history: queries of each kind */
	int		 limit;		/* history: rows per query */
	double		 idle;		/* connect: idle CPU secs */
	double		 settle;	/* connect: secs before RSS */
	double		 timeout;	/* whole run */
	double		 drain;		/* stall secs: give up */
	int		 allow_loss;
	int		 verbose;

	/* Connections. */
	struct bconn	*conns;
	int		 nconns;
	int		 epfd;
	SSL_CTX		*ssl_ctx;
	char		 tag[12];	/* random, in nicks */
	char		 server_version[128];

	/* Counters of the running phase. */
	int		 connecting;	/* opened, not yet registered */
	int		 registered;
	int		 closed;
	int		 errors;
	char		 first_error[256];
	int		 joined_all;	/* members that know everyone */

	/* Message accounting. */
	int		 nsenders;
	int		*slot_conn;	/* sender slot -> connection */
	int		 slots_per_recv;
	uint64_t	*seen;		/* bitmaps: row r has m bits */
	size_t		 row_words;
	uint64_t	 expected;
	uint64_t	 delivered;	/* unique deliveries */
	uint64_t	 dup;
	uint64_t	 foreign;	/* messages not from this run */
	uint64_t	 t_first_send, t_last_recv;
	uint64_t	 t_progress;	/* last time anything arrived */
	struct lat_hist	 lat;

	/* Pumping senders. */
	int		*pumpq;
	int		 npump;
	uint64_t	 t_rate_start;

	/* Server figures. */
	uint64_t	 rss_peak;
	uint64_t	 t_sample;

	/* History scenario. */
	int		 hq_pending;	/* a query is out */
	uint64_t	 hq_sent;
	int		 hq_done;
};

extern struct bench_run run;

/* stat.c */
uint64_t	 stat_now(void);
void		 lat_add(struct lat_hist *, uint64_t);
uint64_t	 lat_quantile(const struct lat_hist *, double);
void		 lat_reset(struct lat_hist *);
int		 proc_read(int, struct proc_sample *);
void		 proc_track(uint64_t);
double		 stat_ms(uint64_t);
double		 stat_self_cpu(void);

/* net.c */
void		 net_init(void);
void		 net_alloc(int);
int		 net_is_ws(int);
int		 net_open(int, const char *);
int		 net_poll(int);
void		 net_append(struct bconn *, const char *, size_t);
void		 net_send(struct bconn *, const char *, size_t);
void		 net_line(struct bconn *, char *, uint64_t);
void		 net_sendf(struct bconn *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
int		 net_flush(struct bconn *);
void		 net_close_all(void);
void		 net_error(struct bconn *, const char *, ...)
		     __attribute__((format(printf, 2, 3)));
void		 net_nick(int, char *, size_t);

/* scen.c */
void		 scen_line(struct bconn *, struct bline *, uint64_t);
void		 scen_tick(uint64_t);
void		 scen_writable(struct bconn *);
int		 scen_connect(void);
int		 scen_fanout(void);
int		 scen_direct(void);
int		 scen_history(void);
int		 scen_token(char *, size_t, char *, size_t);
const char	*scen_server(void);

/* ws.c */
void		 ws_attach(struct bconn *);
void		 ws_upgrade(struct bconn *, const char *);
int		 ws_handshake(struct bconn *, const char *, size_t,
		     size_t *);
void		 ws_input(struct bconn *, const char *, size_t, uint64_t);
void		 ws_queue(struct bconn *, const char *, size_t);
int		 ws_want_write(const struct bconn *);
void		 ws_send(struct bconn *);

/* xfer.c */
int		 xfer_upload(void);

#endif
