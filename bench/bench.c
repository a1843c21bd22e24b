/*
 * lanchat-bench: a load generator that speaks plain IRC to any server.
 * This file owns the command line: it fills the global struct bench_run
 * with the options, starts the network layer and runs one scenario
 * (scen.c), whose return value is the exit code.
 *
 * Exit codes: 0 fine, 1 lost or duplicated messages (unless
 * --allow-loss) or a file that came back wrong, 2 an error (refused or
 * closed connections, timeouts, bad options), 3 not supported by the
 * server (CHATHISTORY for the history scenario, FILEHOST for upload).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench_run run;

enum {
	OPT_HOST = 256, OPT_PORT, OPT_TLS, OPT_WS, OPT_PID, OPT_PASSWORD,
	OPT_SCENARIO, OPT_CLIENTS, OPT_MEMBERS, OPT_SENDERS, OPT_MESSAGES,
	OPT_WINDOW, OPT_RATE, OPT_PAIRS, OPT_BOTH, OPT_SIZE, OPT_INFLIGHT,
	OPT_FILL, OPT_PREFILLED, OPT_QUERIES, OPT_LIMIT, OPT_IDLE,
	OPT_SETTLE, OPT_TIMEOUT, OPT_DRAIN, OPT_ALLOW_LOSS, OPT_LABEL,
	OPT_CHANNEL, OPT_WS_PORT, OPT_UPLOAD_URL
};

static const struct option bench_opts[] = {
	{ "host",	required_argument, NULL, OPT_HOST },
	{ "port",	required_argument, NULL, OPT_PORT },
	{ "tls",	no_argument,	   NULL, OPT_TLS },
	{ "ws",		optional_argument, NULL, OPT_WS },
	{ "ws-port",	required_argument, NULL, OPT_WS_PORT },
	{ "upload-url",	required_argument, NULL, OPT_UPLOAD_URL },
	{ "pid",	required_argument, NULL, OPT_PID },
	{ "password",	required_argument, NULL, OPT_PASSWORD },
	{ "scenario",	required_argument, NULL, OPT_SCENARIO },
	{ "clients",	required_argument, NULL, OPT_CLIENTS },
	{ "members",	required_argument, NULL, OPT_MEMBERS },
	{ "senders",	required_argument, NULL, OPT_SENDERS },
	{ "messages",	required_argument, NULL, OPT_MESSAGES },
	{ "window",	required_argument, NULL, OPT_WINDOW },
	{ "rate",	required_argument, NULL, OPT_RATE },
	{ "pairs",	required_argument, NULL, OPT_PAIRS },
	{ "both",	no_argument,	   NULL, OPT_BOTH },
	{ "size",	required_argument, NULL, OPT_SIZE },
	{ "inflight",	required_argument, NULL, OPT_INFLIGHT },
	{ "fill",	required_argument, NULL, OPT_FILL },
	{ "prefilled",	no_argument,	   NULL, OPT_PREFILLED },
	{ "queries",	required_argument, NULL, OPT_QUERIES },
	{ "limit",	required_argument, NULL, OPT_LIMIT },
	{ "idle",	required_argument, NULL, OPT_IDLE },
	{ "settle",	required_argument, NULL, OPT_SETTLE },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "drain",	required_argument, NULL, OPT_DRAIN },
	{ "allow-loss",	no_argument,	   NULL, OPT_ALLOW_LOSS },
	{ "label",	required_argument, NULL, OPT_LABEL },
	{ "channel",	required_argument, NULL, OPT_CHANNEL },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
bench_usage(FILE *f)
{
	fprintf(f,
"usage: lanchat-bench [options] --scenario NAME\n"
"\n"
"Scenarios (sizes in brackets):\n"
"  connect    N clients register and idle [-N]\n"
"  fanout     C members in one channel, S of them send M messages each\n"
"             [-C -S -M -W, --rate]\n"
"  direct     P pairs send private messages [-P -M -W, --both, --rate]\n"
"  history    CHATHISTORY LATEST and BEFORE latency [--fill or\n"
"             --prefilled, --queries, --limit]\n"
"  upload     log in with a new account (REGISTER), get a login token\n"
"             (TOKEN NEW), upload a file to the FILEHOST URL over HTTP,\n"
"             download it and check it: MB/s each way and the server's\n"
"             RSS [--size, --upload-url]\n"
"\n"
"Server:\n"
"  --host HOST        server address (127.0.0.1)\n"
"  --port PORT        server port (6667)\n"
"  --tls              TLS, no certificate check (also for --ws)\n"
"  --ws[=F]           F of the clients (0.5) use the IRCv3 WebSocket\n"
"                     transport (text.ircv3.net) on --ws-port\n"
"  --ws-port PORT     the server's HTTP port, for --ws (8080)\n"
"  --upload-url URL   upload: where to POST (default: the server's\n"
"                     FILEHOST ISUPPORT token)\n"
"  --password WORD    send PASS\n"
"  --pid PID          the server's pid: its RSS and CPU from /proc\n"
"  --label NAME       server= in the summary (default: 004 version)\n"
"\n"
"Sizes:\n"
"  -N, --clients N    connect: clients (1000; up to ~19,900 here)\n"
"  -C, --members C    fanout: channel members (50)\n"
"  -S, --senders S    fanout: members that send, S < C (1)\n"
"  -P, --pairs P      direct: sender/receiver pairs (100)\n"
"  -M, --messages M   messages per sender (10000)\n"
"  -W, --window W     unanswered messages per sender (100)\n"
"  --rate R           fixed total rate, messages/s (0: as fast as taken)\n"
"  --both             direct: both members of a pair send\n"
"  --size B           bytes of text per message (64, at most 400);\n"
"                     upload: bytes of the file (1G; K, M, G suffixes)\n"
"  --inflight K       connections registering at once (200)\n"
"  --channel NAME     the channel (#bench<tag>; history: #benchhist)\n"
"  --fill N           history: store N messages first (10000)\n"
"  --prefilled        history: the channel is already filled\n"
"  --queries Q        history: queries of each kind (200)\n"
"  --limit L          history: rows per query (100)\n"
"  --idle SECS        connect: watch idle CPU this long (3)\n"
"  --settle SECS      connect: wait before measuring RSS (1)\n"
"  --timeout SECS     give up a phase after this long (600)\n"
"  --drain SECS       give up when nothing arrives this long (10)\n"
"  --allow-loss       exit 0 even with lost or duplicated messages\n"
"  -v, --verbose      say why each failed connection failed\n"
"\n"
"The last line of output is a summary of key=value pairs.  Exit codes:\n"
"0 fine, 1 lost or duplicated messages (or a file that came back\n"
"wrong), 2 error, 3 not supported by the server.\n");
}

static long long
bench_num(const char *name, const char *s, long long min, long long max)
{
	char		*end;
	long long	 v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "lanchat-bench: --%s: %s is not a number from "
		    "%lld to %lld\n", name, s, min, max);
		exit(BENCH_EXIT_ERROR);
	}
	return v;
}

static double
bench_real(const char *name, const char *s, double min, double max)
{
	char	*end;
	double	 v;

	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "lanchat-bench: --%s: %s is not a number from "
		    "%g to %g\n", name, s, min, max);
		exit(BENCH_EXIT_ERROR);
	}
	return v;
}

/* A size: a number with an optional K, M or G (powers of 1024). */
static long long
bench_size(const char *name, const char *s, long long min, long long max)
{
	char		*end;
	long long	 v, mul = 1;

	v = strtoll(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		mul = 1LL << 10;
	else if (*end == 'M' || *end == 'm')
		mul = 1LL << 20;
	else if (*end == 'G' || *end == 'g')
		mul = 1LL << 30;
	if (mul > 1)
		end++;
	if (*s == '\0' || *end != '\0' || v < 0 || v > max / mul ||
	    v * mul < min) {
		fprintf(stderr, "lanchat-bench: --%s: %s is not a size from "
		    "%lld to %lld\n", name, s, min, max);
		exit(BENCH_EXIT_ERROR);
	}
	return v * mul;
}

static void
bench_defaults(void)
{
	unsigned	seed;
	int		i;

	memset(&run, 0, sizeof run);
	run.host = "127.0.0.1";
	run.port = 6667;
	run.ws_port = 8080;
	run.n = 1000;
	run.c = 50;
	run.s = 1;
	run.p = 100;
	run.m = 10000;
	run.w = 100;
	run.size = 64;
	run.inflight = 200;
	run.fill = 10000;
	run.queries = 200;
	run.limit = 100;
	run.idle = 3;
	run.settle = 1;
	run.timeout = 600;
	run.drain = 10;
	run.epfd = -1;
	/* A random tag per run keeps nicks and channels apart from those of
	 * a run the server may not have cleaned up yet. */
	seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 8;
	for (i = 0; i < 2; i++) {
		run.tag[i] = (char)('a' + seed % 26);
		seed /= 26;
	}
	run.tag[2] = '\0';
}

int
main(int argc, char **argv)
{
	static char	 chan[32];
	const char	*size_arg = NULL;
	int		 ch;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_defaults();
	while ((ch = getopt_long(argc, argv, "N:C:S:P:M:W:vh", bench_opts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_HOST:
			run.host = optarg;
			break;
		case OPT_PORT:
			run.port = (int)bench_num("port", optarg, 1, 65535);
			break;
		case OPT_TLS:
			run.tls = 1;
			break;
		case OPT_WS:
			run.ws = optarg != NULL ? bench_real("ws", optarg, 0,
			    1) : 0.5;
			break;
		case OPT_WS_PORT:
			run.ws_port = (int)bench_num("ws-port", optarg, 1,
			    65535);
			break;
		case OPT_UPLOAD_URL:
			run.upload_url = optarg;
			break;
		case OPT_PID:
			run.pid = (int)bench_num("pid", optarg, 1, 1 << 30);
			break;
		case OPT_PASSWORD:
			run.password = optarg;
			break;
		case OPT_SCENARIO:
			run.scenario = optarg;
			break;
		case 'N':
		case OPT_CLIENTS:
			run.n = (int)bench_num("clients", optarg, 1, 1000000);
			break;
		case 'C':
		case OPT_MEMBERS:
			run.c = (int)bench_num("members", optarg, 2, 1000000);
			break;
		case 'S':
		case OPT_SENDERS:
			run.s = (int)bench_num("senders", optarg, 1, 1000000);
			break;
		case 'P':
		case OPT_PAIRS:
			run.p = (int)bench_num("pairs", optarg, 1, 500000);
			break;
		case 'M':
		case OPT_MESSAGES:
			run.m = bench_num("messages", optarg, 1, 1LL << 40);
			break;
		case 'W':
		case OPT_WINDOW:
			run.w = (int)bench_num("window", optarg, 1, 1 << 30);
			break;
		case OPT_RATE:
			run.rate = bench_real("rate", optarg, 0, 1e9);
			break;
		case OPT_BOTH:
			run.both = 1;
			break;
		case OPT_SIZE:
			size_arg = optarg;
			break;
		case OPT_INFLIGHT:
			run.inflight = (int)bench_num("inflight", optarg, 1,
			    1000000);
			break;
		case OPT_FILL:
			run.fill = bench_num("fill", optarg, 0, 1LL << 34);
			break;
		case OPT_PREFILLED:
			run.prefilled = 1;
			break;
		case OPT_QUERIES:
			run.queries = (int)bench_num("queries", optarg, 1,
			    10000000);
			break;
		case OPT_LIMIT:
			run.limit = (int)bench_num("limit", optarg, 1, 100000);
			break;
		case OPT_IDLE:
			run.idle = bench_real("idle", optarg, 0, 86400);
			break;
		case OPT_SETTLE:
			run.settle = bench_real("settle", optarg, 0, 86400);
			break;
		case OPT_TIMEOUT:
			run.timeout = bench_real("timeout", optarg, 0.1, 1e6);
			break;
		case OPT_DRAIN:
			run.drain = bench_real("drain", optarg, 0.1, 1e6);
			break;
		case OPT_ALLOW_LOSS:
			run.allow_loss = 1;
			break;
		case OPT_LABEL:
			run.label = optarg;
			break;
		case OPT_CHANNEL:
			run.channel = optarg;
			break;
		case 'v':
			run.verbose = 1;
			break;
		case 'h':
			bench_usage(stdout);
			return BENCH_EXIT_OK;
		default:
			bench_usage(stderr);
			return BENCH_EXIT_ERROR;
		}
	}
	if (optind != argc || run.scenario == NULL) {
		bench_usage(stderr);
		return BENCH_EXIT_ERROR;
	}
	run.file_size = 1LL << 30;
	if (size_arg != NULL && strcmp(run.scenario, "upload") == 0)
		run.file_size = bench_size("size", size_arg, 1, 1LL << 40);
	else if (size_arg != NULL)
		run.size = (int)bench_num("size", size_arg, 0, 400);
	if (run.channel == NULL) {
		if (strcmp(run.scenario, "history") == 0)
			snprintf(chan, sizeof chan, "#benchhist");
		else
			snprintf(chan, sizeof chan, "#bench%s", run.tag);
		run.channel = chan;
	}
	if (strcmp(run.scenario, "connect") == 0 ||
	    strcmp(run.scenario, "fanout") == 0 ||
	    strcmp(run.scenario, "direct") == 0 ||
	    strcmp(run.scenario, "history") == 0 ||
	    strcmp(run.scenario, "upload") == 0) {
		net_init();
		if (strcmp(run.scenario, "connect") == 0)
			return scen_connect();
		if (strcmp(run.scenario, "fanout") == 0)
			return scen_fanout();
		if (strcmp(run.scenario, "direct") == 0)
			return scen_direct();
		if (strcmp(run.scenario, "upload") == 0)
			return xfer_upload();
		return scen_history();
	}
	fprintf(stderr, "lanchat-bench: unknown scenario '%s' (connect, "
	    "fanout, direct, history, upload)\n", run.scenario);
	return BENCH_EXIT_ERROR;
}
