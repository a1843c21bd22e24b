/*
 * The scenarios: connect, fanout, direct and history, and the IRC half of
 * upload (scen_token: an account and a login token).  Each one sets up
 * run.conns, drives the loop through its phases (register, join, send,
 * query) with scen_loop(), prints human lines and then one summary line
 * of key=value pairs, and returns the exit code.
 *
 * Messages carry their own bookkeeping in the text: "lb SLOT SEQ NS pad",
 * the sender's slot, its sequence number (0 .. M-1) and the send time on
 * our monotonic clock (we are one process, so receipt minus send time is
 * the latency).  Every receiver has one bitmap row per sender it must
 * hear (M bits): a set bit is a duplicate, a missing bit at the end is a
 * lost message.  A sender's message is answered when the fixed ack point
 * sees it (member 0 of the channel, or the DM's receiver); at most W are
 * unanswered.  This works with every server, no capability needed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "bench.h"

#define SCEN_BATCH	64	/* messages generated per sender per turn */
#define SCEN_MAGIC	"lb "
#define SCEN_HISTCAPS	"draft/chathistory batch message-tags server-time"

static int		 scen_opened;	/* connections opened so far */
static int		 scen_target;	/* connections to open */
static const char	*scen_caps0;	/* caps of connection 0 */
static int		 scen_sending;
static char		*scen_pad;
static struct lat_hist	 scen_lat_latest, scen_lat_before;
static struct lat_hist	*scen_hq_lat;
static uint64_t		 scen_hq_rows, scen_hq_answers;
static int		 scen_hq_empty;	/* last answer: no rows */
static int		 scen_hq_on;	/* connection 0 reads answers */

/* scen_token(): how far the login got, and what it learnt. */
enum scen_acct_step {
	SCEN_ACCT_OFF = 0,
	SCEN_ACCT_WELCOME,	/* waiting for the end of the MOTD */
	SCEN_ACCT_READY,	/* ISUPPORT is in */
	SCEN_ACCT_REGISTERED,	/* REGISTER SUCCESS */
	SCEN_ACCT_TOKEN		/* TOKEN NEW answered */
};
static enum scen_acct_step	 scen_acct;
static char			 scen_acct_url[512];
static char			 scen_acct_token[256];

/* The summary's server name: --label, else the version from 004. */
const char *
scen_server(void)
{
	static char	name[128];
	char		*p;

	snprintf(name, sizeof name, "%s", run.label != NULL ? run.label :
	    run.server_version[0] != '\0' ? run.server_version : "unknown");
	for (p = name; *p != '\0'; p++)
		if (*p == ' ' || *p == '=')
			*p = '_';
	return name;
}

/* The nick part of a source "nick!user@host". */
static int
scen_is_me(const struct bconn *b, const char *source)
{
	size_t	n = strlen(b->nick);

	return source != NULL && strncmp(source, b->nick, n) == 0 &&
	    (source[n] == '!' || source[n] == '\0');
}

static void
scen_join_check(struct bconn *b)
{
	if (!b->join_done && b->names_done && b->known >= run.c) {
		b->join_done = 1;
		run.joined_all++;
	}
}

/* Parse an unsigned decimal; *s moves past it.  -1 when none. */
static int
scen_num(const char **s, uint64_t *v)
{
	const char	*p = *s;
	uint64_t	 x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		x = x * 10 + (uint64_t)(*p++ - '0');
	*v = x;
	if (*p == ' ')
		p++;
	*s = p;
	return 0;
}

static void
scen_pump_add(struct bconn *b)
{
	if (!b->pump) {
		b->pump = 1;
		run.pumpq[run.npump++] = b->idx;
	}
}

/* A bench message arrived at b. */
static void
scen_message(struct bconn *b, const char *text, uint64_t now)
{
	uint64_t	 slot, seq, ns, bit;
	uint64_t	*w;
	struct bconn	*s;
	size_t		 row;

	text += sizeof SCEN_MAGIC - 1;
	if (scen_num(&text, &slot) != 0 || scen_num(&text, &seq) != 0 ||
	    scen_num(&text, &ns) != 0 || slot >= (uint64_t)run.nsenders ||
	    seq >= (uint64_t)run.m || b->recv_base < 0) {
		run.foreign++;
		return;
	}
	row = (size_t)b->recv_base + (run.slots_per_recv > 1 ? slot : 0);
	w = &run.seen[row * run.row_words + seq / 64];
	bit = 1ULL << (seq % 64);
	if (*w & bit) {
		run.dup++;
		return;
	}
	*w |= bit;
	run.delivered++;
	run.t_last_recv = now;
	lat_add(&run.lat, now > ns ? now - ns : 0);
	if (b->acker) {
		s = &run.conns[run.slot_conn[slot]];
		s->acked++;
		scen_pump_add(s);
	}
}

/* A line of a chathistory answer (or its BATCH lines) arrived at b. */
static void
scen_history_line(struct bconn *b, struct bline *l, uint64_t now)
{
	char	*t, *e;
	size_t	 n;

	if (strcmp(l->cmd, "BATCH") == 0 && l->n >= 1) {
		if (l->p[0][0] == '+' && l->n >= 2 &&
		    strcmp(l->p[1], "chathistory") == 0) {
			snprintf(b->batch, sizeof b->batch, "%s", l->p[0] + 1);
			b->batch_rows = 0;
			b->oldest[0] = '\0';
		} else if (l->p[0][0] == '-' && b->batch[0] != '\0' &&
		    strcmp(l->p[0] + 1, b->batch) == 0) {
			b->batch[0] = '\0';
			if (run.hq_pending && scen_hq_lat != NULL) {
				lat_add(scen_hq_lat, now - run.hq_sent);
				scen_hq_rows += (uint64_t)b->batch_rows;
				scen_hq_answers++;
			}
			scen_hq_empty = b->batch_rows == 0;
			run.hq_pending = 0;
		}
		return;
	}
	if (strcmp(l->cmd, "FAIL") == 0 && run.hq_pending) {
		net_error(b, "FAIL %s %s %s", l->n > 0 ? l->p[0] : "",
		    l->n > 1 ? l->p[1] : "", l->n > 0 ? l->p[l->n - 1] : "");
		run.hq_pending = 0;
		return;
	}
	if (b->batch[0] == '\0' || l->tags == NULL)
		return;
	/* Rows of the open batch: keep the first msgid, the oldest. */
	b->batch_rows++;
	if (b->batch_rows != 1)
		return;
	for (t = l->tags; t != NULL; t = e) {
		if ((e = strchr(t, ';')) != NULL)
			e++;
		if (strncmp(t, "msgid=", 6) == 0) {
			n = e != NULL ? (size_t)(e - t - 7) : strlen(t + 6);
			if (n >= sizeof b->oldest)
				n = sizeof b->oldest - 1;
			memcpy(b->oldest, t + 6, n);
			b->oldest[n] = '\0';
			break;
		}
	}
}

/* Copy at most outsz-1 bytes of s to out. */
static void
scen_copy(char *out, size_t outsz, const char *s)
{
	snprintf(out, outsz, "%s", s);
}

/* A line of the login of scen_token(). */
static void
scen_acct_line(struct bconn *b, struct bline *l)
{
	int	i;

	if (strcmp(l->cmd, "005") == 0) {
		/* soju.im/FILEHOST: the upload URL (draft/ is the same). */
		for (i = 1; i < l->n - 1; i++) {
			if (strncmp(l->p[i], "soju.im/FILEHOST=", 17) == 0)
				scen_copy(scen_acct_url, sizeof scen_acct_url,
				    l->p[i] + 17);
			else if (strncmp(l->p[i], "draft/FILEHOST=", 15) == 0 &&
			    scen_acct_url[0] == '\0')
				scen_copy(scen_acct_url, sizeof scen_acct_url,
				    l->p[i] + 15);
		}
	} else if ((strcmp(l->cmd, "376") == 0 ||
	    strcmp(l->cmd, "422") == 0) && scen_acct == SCEN_ACCT_WELCOME)
		scen_acct = SCEN_ACCT_READY;
	else if (strcmp(l->cmd, "REGISTER") == 0 && l->n >= 1) {
		if (strcmp(l->p[0], "SUCCESS") == 0)
			scen_acct = SCEN_ACCT_REGISTERED;
		else
			net_error(b, "REGISTER %s (the account must be usable "
			    "at once)", l->p[0]);
	} else if (strcmp(l->cmd, "TOKEN") == 0 && l->n >= 2 &&
	    strcmp(l->p[0], "NEW") == 0) {
		scen_copy(scen_acct_token, sizeof scen_acct_token, l->p[1]);
		scen_acct = SCEN_ACCT_TOKEN;
	} else if (strcmp(l->cmd, "FAIL") == 0 ||
	    strcmp(l->cmd, "421") == 0)
		net_error(b, "%s %s %s: %s", l->cmd, l->n > 0 ? l->p[0] : "",
		    l->n > 1 ? l->p[1] : "", l->n > 0 ? l->p[l->n - 1] : "");
}

/*
 * Every line a connection receives, after net.c has answered PING and
 * CAP: count the join phase, the bench messages and history answers.
 */
void
scen_line(struct bconn *b, struct bline *l, uint64_t now)
{
	if (scen_acct != SCEN_ACCT_OFF) {
		scen_acct_line(b, l);
		return;
	}
	if (b->idx == 0 && scen_hq_on) {
		scen_history_line(b, l, now);
		return;
	}
	switch (l->cmd[0]) {
	case 'P':
		if (l->n >= 2 && strcmp(l->cmd, "PRIVMSG") == 0 &&
		    strncmp(l->p[1], SCEN_MAGIC, sizeof SCEN_MAGIC - 1) == 0) {
			scen_message(b, l->p[1], now);
			return;
		}
		break;
	case 'J':
		if (strcmp(l->cmd, "JOIN") == 0) {
			if (scen_is_me(b, l->source))
				b->joined = 1;
			else if (b->joined) {
				b->known++;
				scen_join_check(b);
			}
			return;
		}
		break;
	case '3':
		if (strcmp(l->cmd, "353") == 0 && b->joined &&
		    !b->names_done && l->n >= 1) {
			const char *p = l->p[l->n - 1];

			while (*p != '\0') {
				while (*p == ' ')
					p++;
				if (*p == '\0')
					break;
				b->known++;
				while (*p != ' ' && *p != '\0')
					p++;
			}
			return;
		}
		if (strcmp(l->cmd, "366") == 0 && b->joined) {
			b->names_done = 1;
			scen_join_check(b);
			return;
		}
		break;
	default:
		break;
	}
}

/* Sender b had to wait for the socket and may send again. */
void
scen_writable(struct bconn *b)
{
	if (scen_sending && b->slot >= 0 && run.pumpq != NULL)
		scen_pump_add(b);
}

/* Write n as decimal at p; returns the end. */
static char *
scen_u64(char *p, uint64_t n)
{
	char	tmp[24];
	int	i = 0;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (i > 0)
		*p++ = tmp[--i];
	return p;
}

/*
 * Let sender b send what its window (and, with --rate, the clock)
 * allows, at most SCEN_BATCH per turn, stamped with the time now.
 */
static void
scen_pump(struct bconn *b, uint64_t now)
{
	char		 buf[BENCH_LINE_MAX], *p;
	uint64_t	 n, due, seq;
	size_t		 tlen = strlen(b->target), pad;
	double		 per;

	if (b->state != NET_READY || b->blocked || b->sent >= (uint64_t)run.m)
		return;
	n = (uint64_t)run.m - b->sent;
	if (b->sent - b->acked >= (uint64_t)run.w)
		return;
	if (n > (uint64_t)run.w - (b->sent - b->acked))
		n = (uint64_t)run.w - (b->sent - b->acked);
	if (run.rate > 0) {
		per = run.rate / run.nsenders;
		due = (uint64_t)(per * (double)(now - run.t_rate_start) / 1e9)
		    + 1;
		if (due <= b->sent)
			return;
		if (n > due - b->sent)
			n = due - b->sent;
	}
	if (n > SCEN_BATCH)
		n = SCEN_BATCH;
	for (; n > 0; n--) {
		seq = b->sent++;
		p = buf;
		memcpy(p, "PRIVMSG ", 8);
		p += 8;
		memcpy(p, b->target, tlen);
		p += tlen;
		memcpy(p, " :" SCEN_MAGIC, 2 + sizeof SCEN_MAGIC - 1);
		p += 2 + sizeof SCEN_MAGIC - 1;
		p = scen_u64(p, (uint64_t)b->slot);
		*p++ = ' ';
		p = scen_u64(p, seq);
		*p++ = ' ';
		p = scen_u64(p, now);
		*p++ = ' ';
		/* the text (after " :") is padded to --size bytes */
		pad = (size_t)(p - buf) - 8 - tlen - 2;
		pad = (size_t)run.size > pad ? (size_t)run.size - pad : 1;
		memcpy(p, scen_pad, pad);
		p += pad;
		*p++ = '\r';
		*p++ = '\n';
		net_send(b, buf, (size_t)(p - buf));
	}
	net_flush(b);
	if (b->state == NET_READY && !b->blocked && run.rate <= 0 &&
	    b->sent < (uint64_t)run.m && b->sent - b->acked < (uint64_t)run.w)
		scen_pump_add(b);	/* more next turn */
}

/*
 * Called after every turn of the loop: open more connections while
 * fewer than --inflight wait for registration, let the senders send, and
 * sample the server's memory.
 */
void
scen_tick(uint64_t now)
{
	int	i, n, *q;

	while (scen_opened < scen_target && run.connecting < run.inflight) {
		net_open(scen_opened, scen_opened == 0 ? scen_caps0 : NULL);
		scen_opened++;
	}
	if (scen_sending) {
		if (run.rate > 0) {
			for (i = 0; i < run.nsenders; i++)
				scen_pump(&run.conns[run.slot_conn[i]], now);
		} else if (run.npump > 0) {
			/* Pumping may queue again: work on a copy. */
			n = run.npump;
			q = malloc((size_t)n * sizeof *q);
			if (q == NULL)
				abort();
			memcpy(q, run.pumpq, (size_t)n * sizeof *q);
			run.npump = 0;
			for (i = 0; i < n; i++) {
				run.conns[q[i]].pump = 0;
				scen_pump(&run.conns[q[i]], now);
			}
			free(q);
		}
	}
	proc_track(now);
}

/*
 * Run the loop until done() says so.  Returns 0, or -1 after timeout_s
 * seconds (or, when stall_s > 0, after stall_s seconds in which nothing
 * arrived).
 */
static int
scen_loop(int (*done)(void), double timeout_s, double stall_s,
    const char *what)
{
	uint64_t	start = stat_now(), now;

	run.t_progress = start;
	while (!done()) {
		now = stat_now();
		if ((double)(now - start) / 1e9 > timeout_s) {
			fprintf(stderr, "lanchat-bench: timed out after %.1f s "
			    "waiting for %s\n", timeout_s, what);
			return -1;
		}
		if (stall_s > 0 && (double)(now - run.t_progress) / 1e9 >
		    stall_s) {
			fprintf(stderr, "lanchat-bench: nothing arrived for "
			    "%.1f s while waiting for %s\n", stall_s, what);
			return -1;
		}
		net_poll(run.rate > 0 && scen_sending ? 1 : 5);
		scen_tick(stat_now());
	}
	return 0;
}

static int
scen_registered_done(void)
{
	return scen_opened == scen_target &&
	    run.registered + run.closed >= scen_target;
}

static int
scen_joined_done(void)
{
	return run.joined_all + run.closed >= run.c;
}

static int
scen_delivered_done(void)
{
	return run.delivered >= run.expected;
}

static uint64_t	scen_sleep_until;

static int
scen_sleep_done(void)
{
	return stat_now() >= scen_sleep_until;
}

/* Keep the loop running (answering PINGs) for seconds. */
static void
scen_sleep(double seconds)
{
	scen_sleep_until = stat_now() + (uint64_t)(seconds * 1e9);
	scen_loop(scen_sleep_done, seconds + 1, 0, "nothing");
}

/* Open n connections (connection 0 asks for caps0) and register them. */
static int
scen_register(int n, const char *caps0)
{
	scen_target = n;
	scen_opened = 0;
	scen_caps0 = caps0;
	if (scen_loop(scen_registered_done, run.timeout, 0, "registration")
	    != 0)
		return -1;
	return run.closed > 0 ? -1 : 0;
}

/* The members join run.channel; returns the seconds it took, or -1. */
static double
scen_join(void)
{
	uint64_t	t0 = stat_now();
	int		i;

	run.joined_all = 0;
	for (i = 0; i < run.c; i++)
		net_sendf(&run.conns[i], "JOIN %s", run.channel);
	if (scen_loop(scen_joined_done, run.timeout, 0, "the join phase") != 0
	    || run.closed > 0)
		return -1;
	return (double)(stat_now() - t0) / 1e9;
}

/* Make the receivers' bitmaps: rows of run.m bits. */
static void
scen_bitmaps(size_t rows)
{
	size_t	words = ((size_t)run.m + 63) / 64;

	if (rows != 0 && words > (SIZE_MAX / 8) / rows) {
		fprintf(stderr, "lanchat-bench: too many messages\n");
		exit(BENCH_EXIT_ERROR);
	}
	if (rows * words * 8 > (size_t)4 << 30) {
		fprintf(stderr, "lanchat-bench: receipt bitmaps would take "
		    "%zu MiB; use fewer messages\n", rows * words * 8 >> 20);
		exit(BENCH_EXIT_ERROR);
	}
	free(run.seen);
	run.row_words = words;
	run.seen = calloc(rows * words + 1, sizeof *run.seen);
	run.pumpq = calloc((size_t)run.nconns, sizeof *run.pumpq);
	if (run.seen == NULL || run.pumpq == NULL) {
		fprintf(stderr, "lanchat-bench: out of memory\n");
		exit(BENCH_EXIT_ERROR);
	}
}

/* What a send phase measured. */
struct scen_result {
	double		secs;		/* first send to last recv */
	double		cpu_pct;	/* server */
	double		self_pct;	/* this program */
	uint64_t	sent;
	uint64_t	lost;
	int		timed_out;
};

/*
 * The send phase: every sender sends run.m messages within its window
 * until each receiver has every message, or until nothing has arrived
 * for --drain seconds after the last send.
 */
static void
scen_send(struct scen_result *r)
{
	struct proc_sample	p0, p1;
	uint64_t		t0, t1;
	double			self0;
	int			i;

	memset(r, 0, sizeof *r);
	lat_reset(&run.lat);
	run.delivered = run.dup = run.foreign = 0;
	proc_read(run.pid, &p0);
	self0 = stat_self_cpu();
	t0 = run.t_first_send = run.t_rate_start = run.t_last_recv =
	    stat_now();
	scen_sending = 1;
	for (i = 0; i < run.nsenders; i++)
		scen_pump(&run.conns[run.slot_conn[i]], t0);
	if (scen_loop(scen_delivered_done, run.timeout, run.drain,
	    "every message to arrive") != 0)
		r->timed_out = 1;
	scen_sending = 0;
	t1 = stat_now();
	proc_read(run.pid, &p1);
	r->secs = (double)((r->timed_out ? run.t_last_recv : t1) - t0) / 1e9;
	if (r->secs <= 0)
		r->secs = 1e-9;
	if (p0.ok && p1.ok)
		r->cpu_pct = 100.0 * (p1.cpu_s - p0.cpu_s) /
		    ((double)(t1 - t0) / 1e9);
	r->self_pct = 100.0 * (stat_self_cpu() - self0) /
	    ((double)(t1 - t0) / 1e9);
	for (i = 0; i < run.nsenders; i++)
		r->sent += run.conns[run.slot_conn[i]].sent;
	r->lost = run.expected - run.delivered;
}

static void
scen_start(int nconns)
{
	struct proc_sample	ps;

	net_alloc(nconns);
	if (proc_read(run.pid, &ps) == 0)
		run.rss_peak = ps.rss_kib;
	if ((scen_pad = malloc((size_t)run.size + 2)) == NULL)
		abort();
	memset(scen_pad, 'x', (size_t)run.size + 1);
}

static void
scen_print_lat(const char *what, const struct lat_hist *h)
{
	printf("%s: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, "
	    "max %.3f ms (%" PRIu64 " samples)\n", what,
	    stat_ms(lat_quantile(h, 0.50)), stat_ms(lat_quantile(h, 0.90)),
	    stat_ms(lat_quantile(h, 0.99)), stat_ms(lat_quantile(h, 0.999)),
	    stat_ms(h->max), h->count);
}

static int
scen_fail_setup(const char *what)
{
	fprintf(stderr, "lanchat-bench: %s failed: %d of %d connections "
	    "closed; first: %s\n", what, run.closed, run.nconns,
	    run.first_error[0] != '\0' ? run.first_error : "(timeout)");
	net_close_all();
	return BENCH_EXIT_ERROR;
}

/* The exit code for a send phase. */
static int
scen_verdict(const struct scen_result *r)
{
	if (r->lost > 0 || run.dup > 0) {
		fprintf(stderr, "lanchat-bench: %" PRIu64 " lost, %" PRIu64
		    " duplicated%s\n", r->lost, run.dup, run.allow_loss ?
		    " (allowed by --allow-loss)" : "");
		if (run.errors > 0)
			fprintf(stderr, "lanchat-bench: %d connections closed; "
			    "first: %s\n", run.errors, run.first_error);
		return run.allow_loss ? BENCH_EXIT_OK : BENCH_EXIT_LOSS;
	}
	if (run.errors > 0) {
		fprintf(stderr, "lanchat-bench: %d connections closed; first: "
		    "%s\n", run.errors, run.first_error);
		return BENCH_EXIT_ERROR;
	}
	return BENCH_EXIT_OK;
}

/*
 * connect: N clients register and stay idle.  Figures: the time to
 * register all, registrations per second, the p50/p99 time from
 * connect() to 001, the server's RSS before and after (KiB per
 * connection), its CPU seconds for the registrations, and its CPU use
 * while the clients idle.
 */
int
scen_connect(void)
{
	struct proc_sample	 p0, p1, p2, p3;
	struct lat_hist		*h, *ho;
	uint64_t		 t0, tlast = 0;
	double			 secs, per_conn = 0, idle_pct = -1;
	int			 i, ok;

	scen_start(run.n);
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (ho = calloc(1, sizeof *ho)) == NULL)
		abort();
	proc_read(run.pid, &p0);
	t0 = stat_now();
	printf("connect: %d clients to %s:%d, %d registering at a time\n",
	    run.n, run.host, run.port, run.inflight);
	ok = scen_register(run.n, NULL) == 0;
	proc_read(run.pid, &p1);
	for (i = 0; i < run.n; i++) {
		struct bconn *b = &run.conns[i];

		if (b->state != NET_READY)
			continue;
		lat_add(h, b->t_reg - b->t_connect);
		lat_add(ho, b->t_open - b->t_connect);
		if (b->t_reg > tlast)
			tlast = b->t_reg;
	}
	secs = tlast > t0 ? (double)(tlast - t0) / 1e9 : 0;
	printf("registered %d of %d in %.3f s: %.0f registrations/s\n",
	    run.registered, run.n, secs, secs > 0 ? run.registered / secs : 0);
	scen_print_lat("registration time (connect() to 001)", h);
	scen_print_lat("of which connecting", ho);
	if (!ok)
		fprintf(stderr, "lanchat-bench: %d connections failed; first: "
		    "%s\n", run.closed, run.first_error[0] != '\0' ?
		    run.first_error : "(timeout)");
	scen_sleep(run.settle);
	proc_read(run.pid, &p2);
	if (p0.ok && p2.ok && run.registered > 0) {
		per_conn = ((double)p2.rss_kib - (double)p0.rss_kib) /
		    run.registered;
		printf("server RSS %" PRIu64 " KiB before, %" PRIu64 " KiB "
		    "after: %.2f KiB per connection\n", p0.rss_kib,
		    p2.rss_kib, per_conn);
		printf("server CPU for the registrations: %.2f s\n",
		    p1.cpu_s - p0.cpu_s);
	}
	if (run.idle > 0) {
		scen_sleep(run.idle);
		proc_read(run.pid, &p3);
		if (p2.ok && p3.ok) {
			idle_pct = 100.0 * (p3.cpu_s - p2.cpu_s) / run.idle;
			printf("server CPU with %d idle clients: %.2f %% over "
			    "%.1f s\n", run.registered, idle_pct, run.idle);
		}
	}
	if (run.closed > 0 && run.registered + run.closed < run.n)
		ok = 0;
	printf("scenario=connect server=%s N=%d registered=%d failed=%d "
	    "reg_s=%.3f reg_per_s=%.0f p50_ms=%.3f p99_ms=%.3f "
	    "rss_before_kib=%" PRIu64 " rss_after_kib=%" PRIu64 " "
	    "kib_per_conn=%.3f cpu_s=%.3f idle_cpu_pct=%.3f\n",
	    scen_server(), run.n, run.registered, run.n - run.registered,
	    secs, secs > 0 ? run.registered / secs : 0,
	    stat_ms(lat_quantile(h, 0.5)), stat_ms(lat_quantile(h, 0.99)),
	    p0.rss_kib, p2.rss_kib, per_conn,
	    p1.ok && p0.ok ? p1.cpu_s - p0.cpu_s : -1, idle_pct);
	net_close_all();
	free(h);
	free(ho);
	return ok && run.registered == run.n ? BENCH_EXIT_OK :
	    BENCH_EXIT_ERROR;
}

/* How many of the first n connections use the WebSocket transport. */
static int
scen_ws_count(int n)
{
	int	i, k = 0;

	for (i = 0; i < n; i++)
		k += net_is_ws(i);
	return k;
}

static void
scen_print_send(const char *what, const struct scen_result *r)
{
	printf("%s: %" PRIu64 " messages, %" PRIu64 " of %" PRIu64
	    " deliveries in %.3f s\n", what, r->sent, run.delivered,
	    run.expected, r->secs);
	printf("throughput: %.0f deliveries/s, %.0f messages/s\n",
	    run.delivered / r->secs, r->sent / r->secs);
	scen_print_lat("latency (send to receipt)", &run.lat);
	printf("lost %" PRIu64 ", duplicated %" PRIu64 ", not ours %" PRIu64
	    "\n", r->lost, run.dup, run.foreign);
	if (run.pid > 0)
		printf("server CPU %.1f %%, RSS peak %" PRIu64 " KiB; "
		    "lanchat-bench CPU %.1f %%\n", r->cpu_pct, run.rss_peak,
		    r->self_pct);
	else
		printf("lanchat-bench CPU %.1f %%\n", r->self_pct);
}

/*
 * fanout: C members join one channel; members 1..S send M messages each
 * to it.  Member 0 never sends and is the ack point.
 */
int
scen_fanout(void)
{
	struct scen_result	r;
	double			join_s;
	int			i, rc;

	if (run.c < 2 || run.s < 1 || run.s >= run.c) {
		fprintf(stderr, "lanchat-bench: fanout needs 1 <= S < C\n");
		return BENCH_EXIT_ERROR;
	}
	scen_start(run.c);
	run.nsenders = run.s;
	run.slots_per_recv = run.s;
	if ((run.slot_conn = calloc((size_t)run.s, sizeof (int))) == NULL)
		abort();
	scen_bitmaps((size_t)run.c * (size_t)run.s);
	printf("fanout: %d members of %s, %d senders x %lld messages, "
	    "window %d%s\n", run.c, run.channel, run.s, run.m, run.w,
	    run.rate > 0 ? ", fixed rate" : "");
	if (run.ws > 0)
		printf("fanout: %d members (%d senders) over WebSocket, port "
		    "%d\n", scen_ws_count(run.c), scen_ws_count(run.s + 1),
		    run.ws_port);
	if (scen_register(run.c, NULL) != 0)
		return scen_fail_setup("registration");
	if ((join_s = scen_join()) < 0)
		return scen_fail_setup("the join phase");
	printf("join: %d members in %.3f s\n", run.c, join_s);
	for (i = 0; i < run.c; i++) {
		struct bconn *b = &run.conns[i];

		b->recv_base = i * run.s;
		b->acker = i == 0;
		if (i >= 1 && i <= run.s) {
			b->slot = i - 1;
			b->target = run.channel;
			run.slot_conn[i - 1] = i;
		}
	}
	run.expected = (uint64_t)run.s * (uint64_t)run.m *
	    (uint64_t)(run.c - 1);
	scen_send(&r);
	scen_print_send("fanout", &r);
	printf("scenario=fanout server=%s C=%d S=%d M=%lld W=%d rate=%.0f "
	    "size=%d ws=%.2f ws_clients=%d deliveries_per_s=%.0f "
	    "msgs_per_s=%.0f p50_ms=%.3f "
	    "p99_ms=%.3f max_ms=%.3f lost=%" PRIu64 " dup=%" PRIu64 " "
	    "cpu_pct=%.1f rss_kib=%" PRIu64 " join_s=%.3f secs=%.3f "
	    "bench_cpu_pct=%.1f errors=%d\n", scen_server(), run.c, run.s,
	    run.m, run.w, run.rate, run.size, run.ws, scen_ws_count(run.c),
	    run.delivered / r.secs,
	    r.sent / r.secs, stat_ms(lat_quantile(&run.lat, 0.5)),
	    stat_ms(lat_quantile(&run.lat, 0.99)), stat_ms(run.lat.max),
	    r.lost, run.dup, r.cpu_pct, run.rss_peak, join_s, r.secs,
	    r.self_pct, run.errors);
	rc = scen_verdict(&r);
	net_close_all();
	return rc;
}

/*
 * direct: P pairs; in each the first sends M private messages to the
 * second (with --both, each to the other).  The receiver is the ack
 * point.
 */
int
scen_direct(void)
{
	struct scen_result	r;
	int			i, k;

	if (run.p < 1) {
		fprintf(stderr, "lanchat-bench: direct needs P >= 1\n");
		return BENCH_EXIT_ERROR;
	}
	scen_start(2 * run.p);
	run.nsenders = run.both ? 2 * run.p : run.p;
	run.slots_per_recv = 1;
	if ((run.slot_conn = calloc((size_t)run.nsenders, sizeof (int))) ==
	    NULL)
		abort();
	scen_bitmaps((size_t)run.nconns);
	printf("direct: %d pairs, %s, %lld messages each, window %d%s\n",
	    run.p, run.both ? "both ways" : "one way", run.m, run.w,
	    run.rate > 0 ? ", fixed rate" : "");
	if (run.ws > 0)
		printf("direct: %d of %d clients over WebSocket, port %d\n",
		    scen_ws_count(run.nconns), run.nconns, run.ws_port);
	if (scen_register(run.nconns, NULL) != 0)
		return scen_fail_setup("registration");
	for (i = 0, k = 0; i < run.nconns; i++) {
		struct bconn *b = &run.conns[i];

		b->recv_base = i;
		b->acker = 1;
		if (i % 2 == 0 || run.both) {
			b->slot = k;
			b->target = run.conns[i ^ 1].nick;
			run.slot_conn[k++] = i;
		}
	}
	run.expected = (uint64_t)run.nsenders * (uint64_t)run.m;
	scen_send(&r);
	scen_print_send("direct", &r);
	printf("scenario=direct server=%s P=%d both=%d M=%lld W=%d rate=%.0f "
	    "size=%d ws=%.2f ws_clients=%d deliveries_per_s=%.0f "
	    "msgs_per_s=%.0f p50_ms=%.3f "
	    "p99_ms=%.3f max_ms=%.3f lost=%" PRIu64 " dup=%" PRIu64 " "
	    "cpu_pct=%.1f rss_kib=%" PRIu64 " secs=%.3f bench_cpu_pct=%.1f "
	    "errors=%d\n", scen_server(), run.p, run.both, run.m, run.w,
	    run.rate, run.size, run.ws, scen_ws_count(run.nconns),
	    run.delivered / r.secs, r.sent / r.secs,
	    stat_ms(lat_quantile(&run.lat, 0.5)),
	    stat_ms(lat_quantile(&run.lat, 0.99)), stat_ms(run.lat.max),
	    r.lost, run.dup, r.cpu_pct, run.rss_peak, r.secs, r.self_pct,
	    run.errors);
	{
		int rc = scen_verdict(&r);

		net_close_all();
		return rc;
	}
}

static int
scen_hq_done(void)
{
	return !run.hq_pending || run.conns[0].state != NET_READY;
}

/* Send one CHATHISTORY query and wait for its answer; h (or NULL) gets
 * the time it took. */
static int
scen_query(const char *kind, const char *from, struct lat_hist *h)
{
	struct bconn	*q = &run.conns[0];

	scen_hq_lat = h;
	net_sendf(q, "CHATHISTORY %s %s %s %d", kind, run.channel, from,
	    run.limit);
	run.hq_pending = 1;
	run.hq_sent = stat_now();
	if (scen_loop(scen_hq_done, run.timeout, 0, "a CHATHISTORY answer")
	    != 0 || q->state != NET_READY)
		return -1;
	return 0;
}

/*
 * Time run.queries queries of one kind, one at a time.  LATEST asks for
 * the newest rows each time; BEFORE pages back from the newest, each
 * query starting at the oldest row of the previous answer, and starts
 * again from the newest when it reaches the beginning.
 */
static int
scen_queries(const char *kind, struct lat_hist *h)
{
	struct bconn	*q = &run.conns[0];
	char		 from[160];
	int		 i;

	scen_hq_on = 1;
	scen_hq_rows = scen_hq_answers = 0;
	scen_hq_empty = 1;
	for (i = 0; i < run.queries; i++) {
		if (strcmp(kind, "LATEST") == 0) {
			if (scen_query(kind, "*", h) != 0)
				return -1;
			continue;
		}
		if (scen_hq_empty || q->oldest[0] == '\0') {
			/* untimed: where paging starts */
			if (scen_query("LATEST", "*", NULL) != 0)
				return -1;
			if (q->oldest[0] == '\0')
				break;	/* nothing stored */
		}
		snprintf(from, sizeof from, "msgid=%s", q->oldest);
		if (scen_query(kind, from, h) != 0)
			return -1;
	}
	scen_hq_on = 0;
	return 0;
}

/*
 * history: fill a channel with --fill messages through the server (or
 * use one filled before, --prefilled), then time CHATHISTORY LATEST and
 * BEFORE (paging back from the newest) one query at a time.
 */
int
scen_history(void)
{
	struct scen_result	r;
	double			fill_s = 0, fill_rate = 0, rows_l, rows_b;
	uint64_t		answers_l;
	int			rc = BENCH_EXIT_OK;

	run.c = 2;
	scen_start(2);
	printf("history: %s, %s%lld messages first, %d queries of each "
	    "kind, %d rows each\n", run.channel, run.prefilled ?
	    "prefilled; " : "fill ", run.prefilled ? 0 : run.fill,
	    run.queries, run.limit);
	if (scen_register(2, SCEN_HISTCAPS) != 0)
		return scen_fail_setup("registration");
	if (!run.conns[0].caps_ok) {
		printf("history: the server did not grant %s: "
		    "CHATHISTORY not supported by this server\n",
		    SCEN_HISTCAPS);
		printf("scenario=history server=%s supported=0\n",
		    scen_server());
		net_close_all();
		return BENCH_EXIT_UNSUPPORTED;
	}
	if (scen_join() < 0)
		return scen_fail_setup("the join phase");
	if (!run.prefilled && run.fill > 0) {
		run.m = run.fill;
		run.nsenders = 1;
		run.slots_per_recv = 1;
		if ((run.slot_conn = calloc(1, sizeof (int))) == NULL)
			abort();
		scen_bitmaps(1);
		run.conns[0].recv_base = 0;
		run.conns[0].acker = 1;
		run.conns[1].slot = 0;
		run.conns[1].target = run.channel;
		run.slot_conn[0] = 1;
		run.expected = (uint64_t)run.fill;
		scen_send(&r);
		fill_s = r.secs;
		fill_rate = run.delivered / r.secs;
		printf("fill: %lld messages stored in %.3f s: %.0f "
		    "messages/s (server CPU %.1f %%)\n", run.fill, fill_s,
		    fill_rate, r.cpu_pct);
		rc = scen_verdict(&r);
		if (rc != BENCH_EXIT_OK && !run.allow_loss)
			goto out;
	}
	if (scen_queries("LATEST", &scen_lat_latest) != 0)
		return scen_fail_setup("CHATHISTORY LATEST");
	answers_l = scen_hq_answers;
	rows_l = answers_l ? (double)scen_hq_rows / answers_l : 0;
	if (scen_queries("BEFORE", &scen_lat_before) != 0)
		return scen_fail_setup("CHATHISTORY BEFORE");
	rows_b = scen_hq_answers ? (double)scen_hq_rows / scen_hq_answers : 0;
	scen_print_lat("CHATHISTORY LATEST", &scen_lat_latest);
	scen_print_lat("CHATHISTORY BEFORE", &scen_lat_before);
	printf("rows per answer: LATEST %.1f, BEFORE %.1f\n", rows_l, rows_b);
	if (rows_l < run.limit)
		printf("history: LATEST answered fewer than %d rows: is the "
		    "history kept for this channel?\n", run.limit);
	printf("scenario=history server=%s supported=1 fill=%lld "
	    "prefilled=%d fill_s=%.3f fill_per_s=%.0f queries=%d limit=%d "
	    "latest_p50_ms=%.3f latest_p99_ms=%.3f before_p50_ms=%.3f "
	    "before_p99_ms=%.3f rows_latest=%.1f rows_before=%.1f "
	    "rss_kib=%" PRIu64 " errors=%d\n", scen_server(),
	    run.prefilled ? 0 : run.fill, run.prefilled, fill_s, fill_rate,
	    run.queries, run.limit,
	    stat_ms(lat_quantile(&scen_lat_latest, 0.5)),
	    stat_ms(lat_quantile(&scen_lat_latest, 0.99)),
	    stat_ms(lat_quantile(&scen_lat_before, 0.5)),
	    stat_ms(lat_quantile(&scen_lat_before, 0.99)), rows_l, rows_b,
	    run.rss_peak, run.errors);
	if (run.errors > 0 && rc == BENCH_EXIT_OK)
		rc = BENCH_EXIT_ERROR;
out:
	net_close_all();
	return rc;
}

static enum scen_acct_step	scen_acct_want;

static int
scen_conn0_closed(void)
{
	return run.conns[0].state == NET_CLOSED;
}

static int
scen_acct_done(void)
{
	return scen_acct >= scen_acct_want ||
	    run.conns[0].state == NET_CLOSED;
}

/* Wait for the login to reach step want.  0, or -1 (said why). */
static int
scen_acct_wait(enum scen_acct_step want, const char *what)
{
	scen_acct_want = want;
	if (scen_loop(scen_acct_done, run.timeout, 0, what) != 0 ||
	    scen_acct < want) {
		scen_fail_setup(what);
		scen_acct = SCEN_ACCT_OFF;
		return -1;
	}
	return 0;
}

/*
 * The IRC half of upload: one client registers (NICK/USER), makes an
 * account with REGISTER (a random password nobody needs again) and asks
 * for a login token with TOKEN NEW, which is what lets it upload.
 * Copies the token to tok and the FILEHOST upload URL of ISUPPORT (or
 * "") to url, and closes the connection (the token outlives it).
 * Returns 0; 1 when the server offers no upload URL and --upload-url is
 * not given (no file hosting); -1 on failure (said on stderr).
 */
int
scen_token(char *tok, size_t toksz, char *url, size_t urlsz)
{
	static const char	 letters[] = "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char		 rnd[24];
	char			 pw[sizeof rnd + 1];
	size_t			 i;

	scen_start(1);
	scen_acct = SCEN_ACCT_WELCOME;
	if (scen_register(1, NULL) != 0) {
		scen_acct = SCEN_ACCT_OFF;
		scen_fail_setup("registration");
		return -1;
	}
	if (scen_acct_wait(SCEN_ACCT_READY, "the end of the welcome") != 0)
		return -1;
	if (scen_acct_url[0] == '\0' && run.upload_url == NULL) {
		scen_acct = SCEN_ACCT_OFF;
		net_close_all();
		return 1;
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		fprintf(stderr, "lanchat-bench: RAND_bytes failed\n");
		return -1;
	}
	for (i = 0; i < sizeof rnd; i++)
		pw[i] = letters[rnd[i] % (sizeof letters - 1)];
	pw[sizeof rnd] = '\0';
	net_sendf(&run.conns[0], "REGISTER * * %s", pw);
	if (scen_acct_wait(SCEN_ACCT_REGISTERED, "REGISTER") != 0)
		return -1;
	net_sendf(&run.conns[0], "TOKEN NEW :lanchat-bench");
	if (scen_acct_wait(SCEN_ACCT_TOKEN, "TOKEN NEW") != 0)
		return -1;
	snprintf(tok, toksz, "%s", scen_acct_token);
	snprintf(url, urlsz, "%s", scen_acct_url);
	/* Leave as a client does: QUIT, then wait for the server's ERROR
	 * and close, rather than reset the connection under it. */
	scen_acct = SCEN_ACCT_OFF;
	net_sendf(&run.conns[0], "QUIT :lanchat-bench");
	scen_loop(scen_conn0_closed, 2, 0, "the server to close after QUIT");
	net_close_all();
	return 0;
}
