/*
 * lanchatd: settings, the data directory, the start-up banner, then the
 * loop.  Subcommands (backup, admin) work on the data directory without
 * starting the server.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qrencode.h>
#include <sodium.h>

#include "account.h"
#include "autojoin.h"
#include "chanreg.h"
#include "admin.h"
#include "client.h"
#include "cmd.h"
#include "config.h"
#include "conn.h"
#include "discovery.h"
#include "history.h"
#include "irc.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "marker.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "token.h"
#include "upload.h"
#include "util.h"
#include "whowas.h"
#include "xmalloc.h"
#include "zeroconf.h"

static const char default_motd[] =
    "Welcome to lanchat, the chat of this network.\n"
    "\n"
    "Join a channel with /join #name, talk to one person with /msg nick.\n"
    "The server keeps this text in motd.txt in its data directory;\n"
    "edit it and send the server SIGHUP to change it.\n";

/* mkdir -p with mode 0700 for the last component. */
static int
main_mkdirs(const char *path, char **cause)
{
	char	 tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof tmp) {
		xasprintf(cause, "%s: path too long", path);
		return -1;
	}
	strcpy(tmp, path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", tmp, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

/* Make the data directory (and a first motd.txt) if it is new. */
static int
main_data_dir(char **cause)
{
	struct stat	 sb;
	char		 path[PATH_MAX];
	FILE		*f;
	int		 fresh;

	fresh = stat(srv.cfg.data_dir, &sb) != 0;
	if (!fresh && !S_ISDIR(sb.st_mode)) {
		xasprintf(cause, "%s is not a directory", srv.cfg.data_dir);
		return -1;
	}
	if (main_mkdirs(srv.cfg.data_dir, cause) != 0)
		return -1;
	if (access(srv.cfg.data_dir, W_OK | X_OK) != 0) {
		xasprintf(cause, "%s: %s", srv.cfg.data_dir, strerror(errno));
		return -1;
	}
	if (fresh) {
		config_motd_path(&srv.cfg, path, sizeof path);
		if ((f = fopen(path, "w")) != NULL) {
			fputs(default_motd, f);
			fclose(f);
		}
	}
	return 0;
}

/*
 * One server per data directory: hold an exclusive lock on DATA/lanchatd.pid
 * (with our pid in it) for as long as we run.
 */
static int
main_lock(char **cause)
{
	char	path[PATH_MAX], pid[32];
	int	fd, n;

	snprintf(path, sizeof path, "%s/lanchatd.pid", srv.cfg.data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		xasprintf(cause, "another lanchatd (pid %s) uses %s",
		    pid[0] != '\0' ? pid : "?", srv.cfg.data_dir);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, n) != n)
		log_warn("%s", path);
	return 0;	/* the descriptor stays open: it is the lock */
}

static int
main_listen_all(const struct strlist *l, const char *def, int kind,
    int defport, int *failed)
{
	char	*cause = NULL;
	int	 i;

	if (!l->set) {
		if (listen_add(kind, def, defport, &cause) != 0) {
			fprintf(stderr, "lanchatd: cannot listen on %s\n",
			    cause);
			free(cause);
			(*failed)++;
		}
		return 0;
	}
	for (i = 0; i < l->n; i++) {
		if (listen_add(kind, l->v[i], defport, &cause) != 0) {
			fprintf(stderr, "lanchatd: cannot listen on %s\n",
			    cause);
			free(cause);
			(*failed)++;
		}
	}
	return 0;
}

static int
main_tls_wanted(void)
{
	int	i;

	if (!srv.cfg.tls_listen.set)
		return 1;
	for (i = 0; i < srv.cfg.tls_listen.n; i++)
		if (strcmp(srv.cfg.tls_listen.v[i], "none") != 0)
			return 1;
	for (i = 0; i < srv.cfg.https_listen.n; i++)
		if (strcmp(srv.cfg.https_listen.v[i], "none") != 0)
			return 1;
	return 0;
}

/*
 * The web address for phones: http://<first LAN address>:<http port>/,
 * IPv4 first.  Returns 0, or -1 when there is no web port or no LAN
 * address.
 */
static int
main_web_url(char *out, size_t outsz)
{
	uv_interface_address_t	*ifs = NULL;
	int			 nifs = 0, i, pass, port, found = -1;
	char			 a[INET6_ADDRSTRLEN + 8];

	if ((port = listen_first_port(LISTEN_HTTP)) == 0 ||
	    uv_interface_addresses(&ifs, &nifs) != 0)
		return -1;
	for (pass = 0; pass < 2 && found < 0; pass++) {
		for (i = 0; i < nifs && found < 0; i++) {
			if (ifs[i].is_internal || ifs[i].address.address4.
			    sin_family != (pass == 0 ? AF_INET : AF_INET6))
				continue;
			addr_format((struct sockaddr *)&ifs[i].address, a,
			    sizeof a, 0);
			if (strncmp(a, "fe80", 4) == 0 || strchr(a, '%'))
				continue;
			snprintf(out, outsz, pass == 0 ? "http://%s:%d/" :
			    "http://[%s]:%d/", a, port);
			found = 0;
		}
	}
	uv_free_interface_addresses(ifs, nifs);
	return found;
}

/*
 * Print url as a QR code (libqrencode), two modules per character cell
 * with half blocks, dark on light whatever the terminal's colours, and a
 * quiet zone of two modules.  Only on a terminal: in a log it is noise.
 */
static void
main_qr(const char *url)
{
	QRcode	*qr;
	int	 x, y, w, top, bot;
	const int q = 2;

	if (!isatty(STDOUT_FILENO) ||
	    (qr = QRcode_encodeString(url, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return;
	w = qr->width;
#define QR_DARK(x, y) ((x) >= 0 && (y) >= 0 && (x) < w && (y) < w && \
	    (qr->data[(y) * w + (x)] & 1))
	for (y = -q; y < w + q; y += 2) {
		printf("  \033[30;47m");
		for (x = -q; x < w + q; x++) {
			top = QR_DARK(x, y);
			bot = y + 1 < w + q && QR_DARK(x, y + 1);
			fputs(top && bot ? "\u2588" : top ? "\u2580" :
			    bot ? "\u2584" : " ", stdout);
		}
		printf("\033[0m\n");
	}
#undef QR_DARK
	QRcode_free(qr);
}

static void
main_banner(void)
{
	char	url[128];

	printf("lanchatd %s\n", LANCHAT_VERSION);
	printf("  server     %s (network %s)\n", srv.name, srv.cfg.network);
	printf("  data       %s\n", srv.cfg.data_dir);
	listen_print();
	discovery_print();
	if (srv.tls_fingerprint[0] != '\0')
		printf("  TLS        SHA-256 %s\n", srv.tls_fingerprint);
	if (main_web_url(url, sizeof url) == 0) {
		printf("  web        %s%s\n", url, isatty(STDOUT_FILENO) ?
		    "  (scan with a phone:)" : "");
		main_qr(url);
	}
	printf("Connect with any IRC client, or the terminal client: "
	    "lanchat HOST\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct config_errors	 errs = { NULL, 0 };
	char			**rest, *cause = NULL;
	int			 nrest, r, i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = config_load(&srv.cfg, argc, argv, &errs, &rest, &nrest);
	if (r == 'h') {
		config_usage(stdout);
		return 0;
	}
	if (r == 'V') {
		printf("lanchatd %s\n", LANCHAT_VERSION);
		return 0;
	}
	if (errs.n > 0) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "lanchatd: %s\n", errs.v[i]);
		fprintf(stderr, "lanchatd: see lanchatd --help\n");
		config_errors_free(&errs);
		return 2;
	}
	if (nrest > 0) {
		/* backup, admin: on the data directory, not a server. */
		r = admin_main(srv.cfg.data_dir, nrest, rest);
		config_free(&srv.cfg);
		return r;
	}
	srv.argc = argc;
	srv.argv = argv;
	log_init(srv.cfg.verbose, srv.cfg.trace != NULL ?
	    log_trace_parse(srv.cfg.trace) : 0);
	if (sodium_init() < 0)
		fatalx("libsodium failed to initialise");

	if (main_data_dir(&cause) != 0) {
		fprintf(stderr, "lanchatd: data directory: %s\n", cause);
		free(cause);
		return 1;
	}
	if (main_lock(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		return 1;
	}
	loop_init();
	server_init();
	cmd_init();
	server_load_motd();
	/* The writer fills the search index whenever it has nothing else
	 * to do (history.c); set before the writer thread starts. */
	store_set_idle_work(history_idle_work);
	history_set_retention(srv.cfg.history_days);
	if (store_open(srv.cfg.data_dir, strcmp(srv.cfg.durability, "full") ==
	    0, &cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		return 1;
	}
	if (account_load(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		store_close();
		return 1;
	}
	if (autojoin_load(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		store_close();
		return 1;
	}
	if (chanreg_load(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		store_close();
		return 1;
	}
	if (marker_load(&cause) != 0 || irc_admin_load(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		free(cause);
		store_close();
		return 1;
	}
	if (token_load(&cause) != 0 || upload_init(&cause) != 0) {
		fprintf(stderr, "lanchatd: %s\n", cause);
		store_close();
		return 1;
	}
	irc_acct_init();
	irc_cap_configure();
	if (main_tls_wanted() && tls_init(&cause) != 0) {
		fprintf(stderr, "lanchatd: TLS: %s\n", cause);
		free(cause);
		return 1;
	}
	main_listen_all(&srv.cfg.listen, "*:6667", LISTEN_PLAIN, 6667,
	    &failed);
	if (main_tls_wanted())
		main_listen_all(&srv.cfg.tls_listen, "*:6697", LISTEN_TLS,
		    6697, &failed);
	main_listen_all(&srv.cfg.http_listen, "*:8080", LISTEN_HTTP, 8080,
	    &failed);
	if (srv.cfg.https_listen.set)
		main_listen_all(&srv.cfg.https_listen, "none", LISTEN_HTTPS,
		    8443, &failed);
	if (failed > 0)
		return 1;
	if (listen_count() == 0)
		log_warnx("every listener is 'none': nobody can connect");
	if (discovery_start(&cause) != 0) {
		/* Asked for by name, it must work; the default is a
		 * convenience, and a port taken by something else only costs
		 * the LAN its way of finding us. */
		if (srv.cfg.discovery != NULL) {
			fprintf(stderr, "lanchatd: discovery: %s\n", cause);
			return 1;
		}
		log_warnx("discovery: %s; clients must be given the address",
		    cause);
		free(cause);
		cause = NULL;
	}
	if (discovery_enabled())
		zeroconf_start();
	main_banner();
	log_info("lanchatd %s started", LANCHAT_VERSION);
	r = loop_run();
	store_close();
	chanreg_unload();
	account_unload();
	autojoin_unload();
	marker_unload();
	irc_admin_unload();
	token_unload();
	upload_unload();
	log_info("stopped");
	whowas_clear();
	tls_cleanup();
	config_free(&srv.cfg);
	free(srv.name);
	return r;
}
