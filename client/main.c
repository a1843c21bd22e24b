/*
 * lanchat: start-up and the loop.  Before the screen is taken over,
 * everything that needs a plain question and answer happens on the
 * terminal: finding the server (disc.c) or reading HOST[:PORT], the
 * first connection with its certificate check (trust on first use,
 * like ssh), and who you are (log in, register, or guest).  Then the
 * full-screen client runs one poll() loop over the keyboard, the
 * server connection and an upload's pipe, redrawing after each turn
 * that changed something and once a second for the clock.
 *
 * The connection is non-blocking throughout; when it drops, irc.c
 * schedules a reconnect with jittered exponential back-off, and every
 * reconnect checks the certificate against the pin again: a changed
 * certificate ends the program with the loud refusal and exit code 3,
 * never a silent fallback to plain text.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "lanchat.h"
#include "server.h"
#include "util.h"
#include "xmalloc.h"

struct lanchat		 lc;
static volatile sig_atomic_t main_signal;

static void
main_usage(FILE *f)
{
	fprintf(f,
	    "usage: lanchat [options] [HOST[:PORT]]\n"
	    "\n"
	    "With no HOST, lanchat asks the LAN for servers (UDP port %d) "
	    "and connects\nto the one you choose (at once when only one "
	    "answers).  TLS on port %d by\ndefault; the server's certificate "
	    "is pinned on first use in\n~/.config/lanchat/known_servers, "
	    "and a changed one is refused.\n"
	    "\n"
	    "  -n, --nick NICK         your nickname (default: your login "
	    "name)\n"
	    "  -a, --account NAME      log in to account NAME (the password "
	    "is asked)\n"
	    "      --register          make a new account for your nick\n"
	    "      --guest             neither log in nor use saved "
	    "credentials\n"
	    "      --plain             plain TCP (port %d), NOT encrypted: "
	    "only on request\n"
	    "      --accept-new        pin a new server's certificate "
	    "without asking\n"
	    "  -l, --list              list the servers on the LAN and exit\n"
	    "  -4, -6                  look for servers over IPv4 or IPv6 "
	    "only\n"
	    "      --discovery-port N  UDP port of discovery (default %d)\n"
	    "      --wait MS           how long to wait for answers "
	    "(default 1500)\n"
	    "      --config-dir DIR    where known_servers and credentials "
	    "live\n"
	    "  -h, --help, -V, --version\n"
	    "\n"
	    "Environment: LANCHAT_CONFIG_DIR (instead of "
	    "~/.config/lanchat),\nLANCHAT_NO_NOTIFY (no desktop "
	    "notifications), LANCHAT_RECONNECT_MS (the first\nreconnect "
	    "delay, 1000).\n"
	    "\n"
	    "Exit status: 0 after /quit, 1 when no server could be reached, "
	    "2 for bad\nflags, 3 when a server's certificate was refused.\n",
	    DISCPROTO_PORT, LC_IRCS_PORT, LC_IRC_PORT, DISCPROTO_PORT);
}

static void
main_signal_cb(int sig)
{
	main_signal = sig;
}

/* Leave the screen (if it is ours) and exit. */
static __attribute__((noreturn)) void
main_exit(int code)
{
	ui_end();
	exit(code);
}

/* Read a line from the terminal, without echo when secret. */
static char *
main_ask(const char *prompt, int secret)
{
	struct termios	 t, saved;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 tty = isatty(STDIN_FILENO);

	fputs(prompt, stdout);
	fflush(stdout);
	if (secret && tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		t = saved;
		t.c_lflag &= ~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	} else
		secret = 0;
	n = getline(&line, &cap, stdin);
	if (secret) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputs("\n", stdout);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* A yes/no question; no (or end of input) unless the answer is y. */
static int
main_yes(const char *prompt)
{
	char	*a = main_ask(prompt, 0);
	int	 yes = a != NULL && (a[0] == 'y' || a[0] == 'Y');

	free(a);
	return yes;
}

/* HOST, HOST:PORT, [V6]:PORT or a bare V6 address. */
static int
main_parse_target(const char *arg, int defport)
{
	const char	*c;
	size_t		 n;
	char		*end;
	long		 p;

	lc.port = defport;
	if (arg[0] == '[') {
		if ((c = strchr(arg, ']')) == NULL)
			return -1;
		n = c - arg - 1;
		if (n == 0 || n >= sizeof lc.host)
			return -1;
		memcpy(lc.host, arg + 1, n);
		lc.host[n] = '\0';
		if (c[1] == '\0')
			return 0;
		if (c[1] != ':')
			return -1;
		c++;
	} else if ((c = strrchr(arg, ':')) != NULL && strchr(arg, ':') == c) {
		n = c - arg;
		if (n == 0 || n >= sizeof lc.host)
			return -1;
		memcpy(lc.host, arg, n);
		lc.host[n] = '\0';
	} else {
		if (strlen(arg) >= sizeof lc.host)
			return -1;
		strlcpy_u(lc.host, arg, sizeof lc.host);	/* v6 too */
		return 0;
	}
	p = strtol(c + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	lc.port = p;
	return 0;
}

/*
 * No HOST: ask the LAN and pick a server (the only one, or the one the
 * user chooses).  announced gets the fingerprint it gave.  Exits when
 * there is nothing to connect to, or with --list.
 */
static void
main_discover(int fam, int port, int wait_ms, int list_only,
    char *announced, size_t asz)
{
	struct disc_server	*s = NULL;
	char			 ifaces[512], *a;
	int			 n = 0, pick = 0;

	if (disc_run(fam, port, wait_ms, &s, &n, ifaces, sizeof ifaces) != 0 &&
	    n == 0) {
		fprintf(stderr, "lanchat: no network interface to ask on.\n");
		disc_explain_none(stderr, ifaces, port);
		exit(LC_EXIT_ERROR);
	}
	if (n == 0) {
		disc_explain_none(stderr, ifaces, port);
		free(s);
		exit(LC_EXIT_ERROR);
	}
	disc_print(stdout, s, n);
	if (list_only) {
		free(s);
		exit(LC_EXIT_OK);
	}
	if (n > 1) {
		for (;;) {
			a = main_ask("Connect to which server? [1-9, q to "
			    "quit] ", 0);
			if (a == NULL || a[0] == 'q' || a[0] == 'Q') {
				free(a);
				free(s);
				exit(LC_EXIT_ERROR);
			}
			pick = atoi(a) - 1;
			free(a);
			if (pick >= 0 && pick < n)
				break;
		}
	}
	strlcpy_u(lc.host, s[pick].host, sizeof lc.host);
	strlcpy_u(lc.name, s[pick].info.name, sizeof lc.name);
	strlcpy_u(announced, s[pick].fp, asz);
	if (lc.tls && s[pick].info.port_ircs == 0) {
		fprintf(stderr, "lanchat: %s offers no TLS port.  lanchat "
		    "does not fall back to plain text;\nif you accept that "
		    "everything can be read on the network, run:\n    "
		    "lanchat --plain %s:%d\n", s[pick].info.name,
		    s[pick].host, s[pick].info.port_irc);
		free(s);
		exit(LC_EXIT_ERROR);
	}
	lc.port = lc.tls ? s[pick].info.port_ircs : s[pick].info.port_irc;
	if (lc.port == 0) {
		fprintf(stderr, "lanchat: %s announces no IRC port.\n",
		    s[pick].info.name);
		exit(LC_EXIT_ERROR);
	}
	printf("Connecting to %s at %s, port %d.\n", s[pick].info.name,
	    lc.host, lc.port);
	free(s);
}

/*
 * The first contact: connect, and with TLS check the certificate
 * against the pin, the discovery announcement, or the user.  Exits on
 * refusal (3) or when the server cannot be reached (1).
 */
static void
main_first_contact(const char *announced, int accept_new)
{
	struct net	 n;
	char		*cause = NULL, pinned[LC_FP_LEN], other[LC_KEY_LEN];
	int		 lineno = 0;

	net_init(&n);
	if (net_open_blocking(&n, lc.host, lc.port, lc.tls, 10000,
	    &cause) != 0) {
		fprintf(stderr, "lanchat: cannot connect: %s\n", cause);
		if (lc.tls && cause != NULL && strstr(cause, "TLS") != NULL)
			fprintf(stderr, "Is %d the server's TLS port?  The "
			    "banner of lanchatd lists its ports.\n", lc.port);
		free(cause);
		exit(LC_EXIT_ERROR);
	}
	if (!lc.tls) {
		printf("WARNING: plain text (--plain).  Anyone on the network "
		    "can read this\nconnection, passwords included.\n");
		net_close(&n);
		return;
	}
	if (announced[0] != '\0' && strcasecmp(announced, n.fp) != 0) {
		trust_refuse_announced(stderr, lc.key, announced, n.fp);
		exit(LC_EXIT_TRUST);
	}
	if (trust_lookup(lc.key, pinned, sizeof pinned, &lineno)) {
		if (strcasecmp(pinned, n.fp) != 0) {
			trust_refuse(stderr, lc.key, lc.name, pinned, n.fp,
			    lineno);
			exit(LC_EXIT_TRUST);
		}
	} else if (trust_find_fp(n.fp, other, sizeof other)) {
		printf("This is the server pinned as %s (same certificate); "
		    "pinning %s too.\n", other, lc.key);
		if (trust_add(lc.key, n.fp, lc.name, &cause) != 0) {
			fprintf(stderr, "lanchat: %s\n", cause);
			free(cause);
		}
	} else {
		printf("First connection to %s%s%s%s.\n"
		    "Its certificate's SHA-256 fingerprint is:\n    %s\n",
		    lc.key, lc.name[0] ? " (" : "", lc.name,
		    lc.name[0] ? ")" : "", n.fp);
		if (announced[0] != '\0')
			printf("This is the fingerprint the server announced "
			    "on the LAN.\n");
		printf("Compare it with the one lanchatd printed when it "
		    "started.\n");
		if (!accept_new && !main_yes("Trust this server and remember "
		    "it? [y/N] ")) {
			printf("Not connecting.\n");
			exit(LC_EXIT_ERROR);
		}
		if (trust_add(lc.key, n.fp, lc.name, &cause) != 0) {
			fprintf(stderr, "lanchat: %s\n", cause);
			free(cause);
		} else
			printf("Pinned in %s/known_servers.\n", trust_dir());
	}
	strlcpy_u(lc.pinned, n.fp, sizeof lc.pinned);
	net_close(&n);
}

/* A nick from the login name: what IRC allows, else "guest". */
static char *
main_default_nick(void)
{
	const char	*u = getenv("USER");
	char		 n[32];
	size_t		 i, o = 0;

	if (u == NULL)
		u = getenv("LOGNAME");
	for (i = 0; u != NULL && u[i] != '\0' && o < sizeof n - 1; i++)
		if ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' &&
		    u[i] <= 'Z') || (u[i] >= '0' && u[i] <= '9' && o > 0) ||
		    u[i] == '_' || u[i] == '-')
			n[o++] = u[i];
	n[o] = '\0';
	return xstrdup(o > 0 ? n : "guest");
}

/* Who are we: saved credentials, flags, or questions. */
static void
main_identity(const char *nick, const char *account, int reg, int guest)
{
	char	*a, *p1, *p2, *sa = NULL, *sp = NULL, prompt[300];
	int	 tty = isatty(STDIN_FILENO);

	if (!guest && account == NULL && !reg &&
	    creds_lookup(lc.key, &sa, &sp)) {
		lc.auth = AUTH_LOGIN;
		lc.account = sa;
		lc.password = sp;
		lc.nick = xstrdup(nick != NULL ? nick : sa);
		printf("Logging in as %s (saved in %s/credentials).\n", sa,
		    trust_dir());
		return;
	}
	if (nick != NULL)
		lc.nick = xstrdup(nick);
	else if (tty && !guest) {
		a = main_default_nick();
		snprintf(prompt, sizeof prompt, "Nickname [%s]: ", a);
		p1 = main_ask(prompt, 0);
		lc.nick = p1 != NULL && *p1 != '\0' ? xstrdup(p1) : xstrdup(a);
		free(p1);
		free(a);
	} else
		lc.nick = main_default_nick();
	if (guest || (!tty && account == NULL && !reg)) {
		lc.auth = AUTH_GUEST;
		return;
	}
	if (account == NULL && !reg) {
		a = main_ask("Log in (l), register a new account (r), or go "
		    "on as a guest (g)? [g] ", 0);
		if (a != NULL && (a[0] == 'l' || a[0] == 'L')) {
			free(a);
			snprintf(prompt, sizeof prompt, "Account [%s]: ",
			    lc.nick);
			a = main_ask(prompt, 0);
			lc.account = xstrdup(a != NULL && *a != '\0' ? a :
			    lc.nick);
		} else if (a != NULL && (a[0] == 'r' || a[0] == 'R'))
			reg = 1;
		else {
			free(a);
			lc.auth = AUTH_GUEST;
			return;
		}
		free(a);
	} else if (account != NULL)
		lc.account = xstrdup(account);
	for (;;) {
		p1 = main_ask(reg ? "New password: " : "Password: ", 1);
		if (p1 == NULL)
			main_exit(LC_EXIT_ERROR);
		if (!reg)
			break;
		if (strlen(p1) < 4) {
			printf("At least 4 characters, please.\n");
			free(p1);
			continue;
		}
		p2 = main_ask("The same again: ", 1);
		if (p2 != NULL && strcmp(p1, p2) == 0) {
			free(p2);
			break;
		}
		printf("They differ; once more.\n");
		free(p1);
		free(p2);
	}
	lc.password = p1;
	lc.auth = reg ? AUTH_REGISTER : AUTH_LOGIN;
	if (reg)
		lc.account = xstrdup(lc.nick);
	snprintf(prompt, sizeof prompt, "Save the password in "
	    "%s/credentials (only you can read it)? [y/N] ", trust_dir());
	lc.save_creds = tty && main_yes(prompt);
}

/* Begin a connection attempt; failures go through irc_lost(). */
static void
main_connect(void)
{
	char	*cause = NULL;

	lc.state = LC_CONNECTING;
	win_info(lc.wins[0], LINE_INFO, "Connecting to %s (%s)...", lc.key,
	    lc.tls ? "TLS" : "plain text");
	if (net_start(&lc.net, lc.host, lc.port, lc.tls, &cause) != 0) {
		irc_lost(cause);
		free(cause);
	}
}

/* The connection just came up: check the pin, then register. */
static void
main_up(void)
{
	char	pinned[LC_FP_LEN], now[LC_FP_LEN];
	int	lineno = 0;

	if (lc.tls && strcasecmp(lc.net.fp, lc.pinned) != 0) {
		if (!trust_lookup(lc.key, pinned, sizeof pinned, &lineno))
			strlcpy_u(pinned, lc.pinned, sizeof pinned);
		strlcpy_u(now, lc.net.fp, sizeof now);
		net_close(&lc.net);
		ui_end();
		trust_refuse(stderr, lc.key, lc.name, pinned, now, lineno);
		exit(LC_EXIT_TRUST);
	}
	win_info(lc.wins[0], LINE_INFO, "Connected to %s%s", lc.net.peer,
	    lc.tls ? "; certificate matches the pin" : "");
	irc_connected();
}

static void
main_keys(void)
{
	wint_t	ch, ch2;
	int	r;

	for (;;) {
		r = get_wch(&ch);
		if (r == ERR)
			return;
		if (r == KEY_CODE_YES) {
			if (ch == KEY_RESIZE)
				lc.dirty = 1;
			else
				input_key(1, ch);
			continue;
		}
		if (ch == 27) {
			if (get_wch(&ch2) == OK)
				input_key(2, ch2);
			continue;
		}
		input_key(0, ch);
	}
}

/* Say goodbye to the server, giving the QUIT a moment to leave. */
static void
main_quit(void)
{
	struct pollfd	 pfd;
	char		*cause = NULL;
	uint64_t	 end = now_ms() + 1000;

	if (lc.state == LC_UP || lc.state == LC_REGISTERING) {
		irc_send("QUIT :%s", lc.quit_reason ? lc.quit_reason :
		    "Leaving");
		while (lc.net.out.len > 0 && now_ms() < end) {
			if (net_flush(&lc.net, &cause) != 0)
				break;
			pfd.fd = lc.net.fd;
			pfd.events = POLLOUT;
			poll(&pfd, 1, 100);
		}
		free(cause);
	}
	net_close(&lc.net);
	ui_end();
	win_free_all();
}

static void
main_loop(void)
{
	struct pollfd	 pfd[3];
	char		*cause = NULL, *line;
	uint64_t	 now, last_tick = 0, last_draw = 0;
	int		 timeout, r, nfd;

	for (;;) {
		if (main_signal != 0) {
			lc.quit = 1;
			main_signal = 0;
		}
		if (lc.quit)
			break;
		now = now_ms();
		if (lc.state == LC_DOWN && lc.reconnect_at != 0 &&
		    now >= lc.reconnect_at) {
			lc.reconnect_at = 0;
			main_connect();
		}
		if (now - last_tick >= 1000) {
			irc_tick(now);
			notify_reap();
			last_tick = now;
		}
		if (lc.net.state == NET_UP && net_flush(&lc.net, &cause) !=
		    0) {
			irc_lost(cause);
			free(cause);
			cause = NULL;
		}
		if (lc.dirty || now - last_draw >= 1000) {
			ui_draw();
			last_draw = now;
		}
		timeout = 1000 - (int)(now - last_tick);
		if (lc.state == LC_DOWN && lc.reconnect_at != 0 &&
		    (int64_t)(lc.reconnect_at - now) < timeout)
			timeout = (int)(lc.reconnect_at - now);
		if (timeout < 0)
			timeout = 0;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = lc.net.fd;
		pfd[1].events = net_events(&lc.net);
		pfd[2].fd = upload_fd();
		pfd[2].events = POLLIN;
		nfd = 3;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		r = poll(pfd, nfd, timeout);
		if (r < 0) {
			if (errno == EINTR) {
				lc.dirty = 1;	/* SIGWINCH, most likely */
				main_keys();
				continue;
			}
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP))
			main_keys();
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL) &&
		    !(pfd[0].revents & POLLIN)) {
			lc.quit = 1;	/* the terminal went away */
			continue;
		}
		if (pfd[2].fd != -1 && (pfd[2].revents & POLLIN))
			upload_done();
		if (pfd[1].fd == -1 || pfd[1].revents == 0)
			continue;
		if (lc.net.state == NET_CONNECTING ||
		    lc.net.state == NET_HANDSHAKE) {
			r = net_step(&lc.net, pfd[1].revents, &cause);
			if (r == 1)
				main_up();
			else if (r < 0)
				irc_lost(cause);
			free(cause);
			cause = NULL;
			continue;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = net_read(&lc.net, &cause);
			while (lc.net.state == NET_UP &&
			    (line = net_line(&lc.net, NULL)) != NULL)
				irc_line(line);
			if (r != 0 && lc.net.state == NET_UP)
				irc_lost(cause);
			free(cause);
			cause = NULL;
		}
	}
	main_quit();
}

/* Flags, finding the server, the first contact, then the screen. */
int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "nick", required_argument, NULL, 'n' },
		{ "account", required_argument, NULL, 'a' },
		{ "register", no_argument, NULL, 'R' },
		{ "guest", no_argument, NULL, 'G' },
		{ "plain", no_argument, NULL, 'P' },
		{ "accept-new", no_argument, NULL, 'Y' },
		{ "list", no_argument, NULL, 'l' },
		{ "discovery-port", required_argument, NULL, 'D' },
		{ "wait", required_argument, NULL, 'W' },
		{ "config-dir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*nick = NULL, *account = NULL, *e;
	char		*cause = NULL, announced[LC_FP_LEN] = "";
	int		 ch, reg = 0, guest = 0, list = 0, fam = 0;
	int		 dport = DISCPROTO_PORT, wait_ms = 1500, accept_new = 0;
	struct sigaction sa;

	setlocale(LC_ALL, "");
	if (strcasecmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
	lc.tls = 1;
	while ((ch = getopt_long(argc, argv, "n:a:l46hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'n': nick = optarg; break;
		case 'a': account = optarg; break;
		case 'R': reg = 1; break;
		case 'G': guest = 1; break;
		case 'P': lc.tls = 0; break;
		case 'Y': accept_new = 1; break;
		case 'l': list = 1; break;
		case '4': fam = 4; break;
		case '6': fam = 6; break;
		case 'D':
			dport = atoi(optarg);
			if (dport < 1 || dport > 65535) {
				fprintf(stderr, "lanchat: --discovery-port: "
				    "'%s' is not a port\n", optarg);
				return LC_EXIT_USAGE;
			}
			break;
		case 'W':
			wait_ms = atoi(optarg);
			if (wait_ms < 100 || wait_ms > 60000) {
				fprintf(stderr, "lanchat: --wait: 100 to "
				    "60000 ms\n");
				return LC_EXIT_USAGE;
			}
			break;
		case 'C':
			if (trust_set_dir(optarg, &cause) != 0) {
				fprintf(stderr, "lanchat: %s\n", cause);
				return LC_EXIT_USAGE;
			}
			break;
		case 'h':
			main_usage(stdout);
			return LC_EXIT_OK;
		case 'V':
			printf("lanchat %s\n", LANCHAT_VERSION);
			return LC_EXIT_OK;
		default:
			main_usage(stderr);
			return LC_EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (reg && (guest || account != NULL))) {
		main_usage(stderr);
		return LC_EXIT_USAGE;
	}
	srandom(time(NULL) ^ getpid());
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (optind < argc) {
		if (list) {
			fprintf(stderr, "lanchat: --list takes no HOST\n");
			return LC_EXIT_USAGE;
		}
		if (main_parse_target(argv[optind], lc.tls ? LC_IRCS_PORT :
		    LC_IRC_PORT) != 0) {
			fprintf(stderr, "lanchat: '%s' is not HOST, HOST:PORT "
			    "or [IPv6]:PORT\n", argv[optind]);
			return LC_EXIT_USAGE;
		}
	} else
		main_discover(fam, dport, wait_ms, list, announced,
		    sizeof announced);
	trust_key(lc.host, lc.port, lc.key, sizeof lc.key);
	main_first_contact(announced, accept_new);
	main_identity(nick, account, reg, guest);

	sa.sa_handler = main_signal_cb;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	notify_init();
	lc.reconnect_base_ms = 1000;
	if ((e = getenv("LANCHAT_RECONNECT_MS")) != NULL && atoi(e) >= 100)
		lc.reconnect_base_ms = atoi(e);
	net_init(&lc.net);
	win_get(lc.name[0] ? lc.name : lc.host, WIN_SERVER);
	if (ui_init() != 0) {
		fprintf(stderr, "lanchat: cannot use this terminal (TERM=%s)\n",
		    getenv("TERM") ? getenv("TERM") : "unset");
		return LC_EXIT_ERROR;
	}
	win_info(lc.wins[0], LINE_INFO, "lanchat %s.  /help lists the "
	    "commands; /join #channel to start.", LANCHAT_VERSION);
	main_connect();
	main_loop();
	return lc.exit_code;
}
