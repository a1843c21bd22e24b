/*
 * The settings table.  One row per setting: its name (the long flag and
 * the config-file key), its type, where it lives in struct config, its
 * bounds, whether SIGHUP may change it, and its help line.  --help prints
 * the table; the file parser and the flag parser both go through
 * config_set(), so a setting behaves the same wherever it is given.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "lc_limits.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

enum config_type { OPT_STR, OPT_LIST, OPT_INT, OPT_SIZE, OPT_ADDR,
    OPT_ADDRS };

struct config_opt {
	const char	*name;
	int		 type;
	size_t		 off;
	long long	 min, max;
	int		 reload;
	const char	*arg;
	const char	*help;
};

#define O(f)	offsetof(struct config, f)
static const struct config_opt config_opts[] = {
	{ "data", OPT_STR, O(data_dir), 0, 0, 0, "DIR",
	  "data directory (default ./lanchat-data)" },
	{ "config", OPT_STR, O(config_file), 0, 0, 0, "FILE",
	  "read settings from FILE (keys are these option names)" },
	{ "listen", OPT_ADDRS, O(listen), 0, 0, 0, "ADDR:PORT",
	  "plain IRC listener, repeatable; 'none' for off (default *:6667)" },
	{ "tls-listen", OPT_ADDRS, O(tls_listen), 0, 0, 0, "ADDR:PORT",
	  "IRC over TLS, repeatable (default *:6697)" },
	{ "http-listen", OPT_ADDRS, O(http_listen), 0, 0, 0, "ADDR:PORT",
	  "web client and WebSocket, repeatable (default *:8080)" },
	{ "https-listen", OPT_ADDRS, O(https_listen), 0, 0, 0, "ADDR:PORT",
	  "web client over TLS, repeatable (default none)" },
	{ "discovery", OPT_ADDR, O(discovery), 0, 0, 0, "ADDR:PORT",
	  "LAN discovery (UDP) and DNS-SD; 'none' for off (default *:6668)" },
	{ "name", OPT_STR, O(name), 0, 0, 0, "NAME",
	  "server name shown to clients (default: the host name)" },
	{ "network", OPT_STR, O(network), 0, 0, 1, "NAME",
	  "network name in ISUPPORT (default: lanchat)" },
	{ "tls-cert", OPT_STR, O(tls_cert), 0, 0, 0, "FILE",
	  "certificate chain (PEM); default DATA/tls/cert.pem, made if missing" },
	{ "tls-key", OPT_STR, O(tls_key), 0, 0, 0, "FILE",
	  "private key (PEM) for --tls-cert" },
	{ "password", OPT_STR, O(password), 0, 0, 1, "WORD",
	  "server password that clients send with PASS (default none)" },
	{ "client-tag-deny", OPT_STR, O(client_tag_deny), 0, 0, 1, "LIST",
	  "client-only tags to drop, as CLIENTTAGDENY (default none)" },
	{ "web-origin", OPT_STR, O(web_origin), 0, 0, 1, "LIST",
	  "other web origins allowed to open WebSockets (default: own host)" },
	{ "web-url", OPT_STR, O(web_url), 0, 0, 1, "URL",
	  "public base URL of the web port, for upload links (default: "
	  "from the connection)" },
	{ "max-upload", OPT_SIZE, O(max_upload), 0, 1LL << 40, 1, "SIZE",
	  "largest file one may upload; 0 turns uploads off (default 100M)" },
	{ "upload-quota", OPT_SIZE, O(upload_quota), 0, 1LL << 50, 1, "SIZE",
	  "stored uploads per account; 0 for no limit (default 1G)" },
	{ "upload-rate", OPT_INT, O(upload_rate), 1, 100000, 1, "N",
	  "uploads per minute per account (default 30)" },
	{ "http-header-timeout", OPT_INT, O(http_header_timeout), 1, 3600, 1,
	  "SECONDS", NULL },
	{ "http-idle-timeout", OPT_INT, O(http_idle_timeout), 1, 86400, 1,
	  "SECONDS", NULL },
	{ "durability", OPT_STR, O(durability), 0, 0, 0, "normal|full",
	  "fsync every commit batch with 'full' (default normal)" },
	{ "registration", OPT_STR, O(registration), 0, 0, 1,
	  "open|approval|closed",
	  "who may make an account (default open; approval: an admin approves)" },
	{ "login-required", OPT_INT, O(login_required), 0, 1, 1, "0|1",
	  "1: only logged-in users may connect (default 0)" },
	{ "enforce-delay", OPT_INT, O(enforce_delay), 0, 3600, 1, "SECONDS",
	  "time to log in before a registered nick is taken back (default 30)" },
	{ "history-days", OPT_INT, O(history_days), 0, 100000, 1, "DAYS",
	  "delete history older than this; 0 keeps everything (default 0)" },
	{ "password-cost", OPT_STR, O(password_cost), 0, 0, 0,
	  "interactive|moderate|min",
	  "Argon2id cost (default interactive; min is for tests only)" },
	{ "max-sendq", OPT_SIZE, O(max_sendq), 4096, 1LL << 30, 1, "BYTES",
	  "queued output per client before it is cut off (default 1M)" },
	{ "recvq", OPT_SIZE, O(recvq), IRC_LINE_MAX + 2, 1LL << 24, 1, "BYTES",
	  "unparsed input per client before Excess Flood (default 32k)" },
	{ "flood-burst", OPT_INT, O(flood_burst), 0, 1000000, 1, "N",
	  "commands a client may send at once; 0 turns flood control off" },
	{ "flood-rate", OPT_INT, O(flood_rate), 1, 1000000, 1, "N",
	  "commands per second after the burst (default 8)" },
	{ "chanlimit", OPT_INT, O(chanlimit), 1, 100000, 1, "N",
	  "channels one client may join (default 100)" },
	{ "max-targets", OPT_INT, O(max_targets), 1, 1000, 1, "N",
	  "targets per PRIVMSG/NOTICE/JOIN (default 10)" },
	{ "max-list", OPT_INT, O(max_list), 1, 100000, 1, "N",
	  "entries per channel list mode +b +e +I (default 100)" },
	{ "max-monitor", OPT_INT, O(max_monitor), 0, 100000, 1, "N",
	  "MONITOR entries per client (default 100)" },
	{ "conns-per-ip", OPT_INT, O(conns_per_ip), 0, 1000000, 1, "N",
	  "connections from one address; 0 for no limit (default 256)" },
	{ "unreg-per-ip", OPT_INT, O(unreg_per_ip), 0, 1000000, 1, "N",
	  "unregistered connections from one address (default 64)" },
	{ "reg-timeout", OPT_INT, O(reg_timeout), 1, 3600, 1, "SECONDS",
	  "time to finish registration (default 30)" },
	{ "ping-interval", OPT_INT, O(ping_interval), 5, 86400, 1, "SECONDS",
	  "idle time before the server sends PING (default 90)" },
	{ "ping-timeout", OPT_INT, O(ping_timeout), 1, 86400, 1, "SECONDS",
	  "time to answer that PING (default 90)" },
	{ "verbose", OPT_INT, O(verbose), 0, 2, 1, "0|1",
	  "debug logging" },
	{ "trace", OPT_STR, O(trace), 0, 0, 1, "AREAS",
	  "trace io,irc,db,http to the log" },
};
#undef O
#define NOPTS	(sizeof config_opts / sizeof config_opts[0])

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->data_dir = xstrdup("./lanchat-data");
	cfg->network = xstrdup("lanchat");
	cfg->durability = xstrdup("normal");
	cfg->registration = xstrdup("open");
	cfg->password_cost = xstrdup("interactive");
	cfg->enforce_delay = 30;
	cfg->max_sendq = SENDQ_DEFAULT;
	cfg->recvq = RECVQ_DEFAULT;
	cfg->flood_burst = FLOOD_BURST_DEFAULT;
	cfg->flood_rate = FLOOD_RATE_DEFAULT;
	cfg->chanlimit = CHANLIMIT_DEFAULT;
	cfg->max_targets = MAXTARGETS_DEFAULT;
	cfg->max_list = MAXLIST_DEFAULT;
	cfg->max_monitor = MONITOR_DEFAULT;
	cfg->conns_per_ip = CONNS_PER_IP_DEFAULT;
	cfg->unreg_per_ip = UNREG_PER_IP_DEFAULT;
	cfg->reg_timeout = REG_TIMEOUT_DEFAULT;
	cfg->ping_interval = PING_INTERVAL_DEFAULT;
	cfg->ping_timeout = PING_TIMEOUT_DEFAULT;
	cfg->max_upload = MAX_UPLOAD_DEFAULT;
	cfg->upload_quota = UPLOAD_QUOTA_DEFAULT;
	cfg->upload_rate = UPLOAD_RATE_DEFAULT;
	cfg->http_header_timeout = HTTP_HEADER_TIMEOUT_DEFAULT;
	cfg->http_idle_timeout = HTTP_IDLE_TIMEOUT_DEFAULT;
}

static void
strlist_clear(struct strlist *l)
{
	int	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->set = 0;
}

static void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
}

void
config_free(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < NOPTS; i++) {
		void *p = (char *)cfg + config_opts[i].off;

		switch (config_opts[i].type) {
		case OPT_STR:
		case OPT_ADDR:
			free(*(char **)p);
			*(char **)p = NULL;
			break;
		case OPT_LIST:
		case OPT_ADDRS:
			strlist_clear(p);
			break;
		}
	}
}

static void
config_err(struct config_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
config_err(struct config_errors *errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
	errs->v[errs->n++] = s;
}

void
config_errors_free(struct config_errors *errs)
{
	int	i;

	for (i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* Parse "123", "64k", "1M", "2G".  Returns 0 or -1. */
static int
config_parse_size(const char *s, long long *out)
{
	char		*end;
	long long	 v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 'k': case 'K': mul = 1024; break;
		case 'm': case 'M': mul = 1024 * 1024; break;
		case 'g': case 'G': mul = 1024 * 1024 * 1024; break;
		default: return -1;
		}
		if (end[1] != '\0' && strcasecmp(end + 1, "b") != 0 &&
		    strcasecmp(end + 1, "ib") != 0)
			return -1;
	}
	if (v > LLONG_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/*
 * Apply one setting.  where is "file:line" or "--flag" for messages.
 * fresh_lists tracks which list settings this source has started, so that
 * the command line replaces a list from the file rather than adding to it.
 */
static void
config_set(struct config *cfg, const struct config_opt *o, const char *value,
    const char *where, struct config_errors *errs, unsigned long long *fresh)
{
	void		*p = (char *)cfg + o->off;
	long long	 v;
	char		*end;
	struct strlist	*l;
	size_t		 idx = o - config_opts;

	switch (o->type) {
	case OPT_STR:
	case OPT_ADDR:
		if (o->type == OPT_ADDR && strcmp(value, "none") != 0 &&
		    addr_parse(value, 0, NULL, NULL) != 0) {
			config_err(errs, "%s: %s: '%s' is not ADDR:PORT or "
			    "'none'", where, o->name, value);
			return;
		}
		free(*(char **)p);
		*(char **)p = xstrdup(value);
		break;
	case OPT_LIST:
	case OPT_ADDRS:
		l = p;
		if (o->type == OPT_ADDRS && strcmp(value, "none") != 0 &&
		    addr_parse(value, 0, NULL, NULL) != 0) {
			config_err(errs, "%s: %s: '%s' is not ADDR:PORT, "
			    "[ADDR]:PORT, PORT or 'none'", where, o->name,
			    value);
			return;
		}
		if (!(*fresh & (1ULL << idx))) {
			strlist_clear(l);
			*fresh |= 1ULL << idx;
		}
		l->set = 1;
		strlist_add(l, value);
		break;
	case OPT_INT:
	case OPT_SIZE:
		if (o->type == OPT_SIZE) {
			if (config_parse_size(value, &v) != 0) {
				config_err(errs, "%s: %s: '%s' is not a size "
				    "(like 65536, 64k, 1M)", where, o->name,
				    value);
				return;
			}
		} else {
			errno = 0;
			v = strtoll(value, &end, 10);
			if (end == value || *end != '\0' || errno != 0) {
				config_err(errs, "%s: %s: '%s' is not a "
				    "number", where, o->name, value);
				return;
			}
		}
		if (v < o->min || v > o->max) {
			config_err(errs, "%s: %s: %lld is out of range "
			    "(%lld to %lld)", where, o->name, v, o->min,
			    o->max);
			return;
		}
		*(long long *)p = v;
		break;
	}
}

static const struct config_opt *
config_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NOPTS; i++)
		if (strcmp(config_opts[i].name, name) == 0)
			return &config_opts[i];
	return NULL;
}

/* Read settings from path into cfg, collecting errors with file:line. */
static void
config_read_file(struct config *cfg, const char *path,
    struct config_errors *errs)
{
	FILE			*f;
	char			*line = NULL, *key, *value, *p, where[512];
	size_t			 cap = 0;
	ssize_t			 n;
	int			 lineno = 0;
	unsigned long long	 fresh = 0;
	const struct config_opt	*o;

	if ((f = fopen(path, "r")) == NULL) {
		config_err(errs, "%s: %s", path, strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		key = line + strspn(line, " \t");
		if (*key == '\0' || *key == '#')
			continue;
		p = key + strcspn(key, " \t=");
		value = p + strspn(p, " \t=");
		*p = '\0';
		if (*value == '"' && n > 1 && line[n - 1] == '"') {
			value++;
			line[n - 1] = '\0';
		}
		if ((o = config_find(key)) == NULL) {
			config_err(errs, "%s: unknown setting '%s'", where, key);
			continue;
		}
		if (o->off == offsetof(struct config, config_file)) {
			config_err(errs, "%s: 'config' cannot be set in a "
			    "config file", where);
			continue;
		}
		if (*value == '\0') {
			config_err(errs, "%s: %s needs a value", where, key);
			continue;
		}
		config_set(cfg, o, value, where, errs, &fresh);
	}
	if (ferror(f))
		config_err(errs, "%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
}

static struct option *
config_longopts(void)
{
	static struct option	 lo[NOPTS + 3];
	size_t			 i;

	for (i = 0; i < NOPTS; i++) {
		lo[i].name = config_opts[i].name;
		lo[i].has_arg = required_argument;
		lo[i].flag = NULL;
		lo[i].val = 1000 + (int)i;
	}
	lo[i].name = "help"; lo[i].has_arg = no_argument; lo[i].val = 'h';
	i++;
	lo[i].name = "version"; lo[i].has_arg = no_argument; lo[i].val = 'V';
	i++;
	memset(&lo[i], 0, sizeof lo[i]);
	return lo;
}

/* Apply the command line (argv) over cfg.  Returns 0, 'h' or 'V'. */
static int
config_apply_args(struct config *cfg, int argc, char **argv,
    struct config_errors *errs, char ***rest, int *nrest)
{
	struct option	*lo = config_longopts();
	int		 ch, ret = 0;
	unsigned long long fresh = 0;
	char		 where[64];

	optind = 1;
	opterr = 0;
	/* "+:": stop at the first subcommand, and report a missing value
	 * as ':' rather than as an unknown option. */
	while ((ch = getopt_long(argc, argv, "+:hVc:d:", lo, NULL)) != -1) {
		if (ch >= 1000 && ch < 1000 + (int)NOPTS) {
			snprintf(where, sizeof where, "--%s",
			    config_opts[ch - 1000].name);
			config_set(cfg, &config_opts[ch - 1000], optarg, where,
			    errs, &fresh);
		} else if (ch == 'c') {
			config_set(cfg, config_find("config"), optarg, "-c",
			    errs, &fresh);
		} else if (ch == 'd') {
			config_set(cfg, config_find("data"), optarg, "-d",
			    errs, &fresh);
		} else if (ch == 'h' || ch == 'V') {
			ret = ch;
		} else if (ch == '?') {
			if (optopt > 0 && optopt < 128)
				config_err(errs, "unknown option -%c", optopt);
			else
				config_err(errs, "unknown option %s",
				    argv[optind - 1]);
		} else if (ch == ':') {
			/* optopt is the option's val: 1000 + its row. */
			if (optopt >= 1000 && optopt < 1000 + (int)NOPTS)
				config_err(errs, "--%s needs a value",
				    config_opts[optopt - 1000].name);
			else
				config_err(errs, "-%c needs a value", optopt);
		}
	}
	if (rest != NULL) {
		*rest = argv + optind;
		*nrest = argc - optind;
	}
	return ret;
}

/*
 * Fill cfg from defaults, the --config file and the command line.
 * Positional arguments (a subcommand) are returned in rest/nrest.
 * Returns 0, or 'h'/'V' for --help/--version; errors go in errs.
 */
int
config_load(struct config *cfg, int argc, char **argv,
    struct config_errors *errs, char ***rest, int *nrest)
{
	struct config_errors	 scratch = { NULL, 0 };
	int			 ret;

	config_init(cfg);
	/* First pass only to find --config; errors are reported later. */
	config_apply_args(cfg, argc, argv, &scratch, NULL, NULL);
	config_errors_free(&scratch);
	if (cfg->config_file != NULL) {
		char *file = xstrdup(cfg->config_file);

		config_free(cfg);
		config_init(cfg);
		config_read_file(cfg, file, errs);
		free(file);
	} else {
		config_free(cfg);
		config_init(cfg);
	}
	ret = config_apply_args(cfg, argc, argv, errs, rest, nrest);
	if (cfg->trace != NULL && log_trace_parse(cfg->trace) < 0)
		config_err(errs, "trace: '%s' is not a list of io, irc, db, "
		    "http, all", cfg->trace);
	if (strcmp(cfg->durability, "normal") != 0 &&
	    strcmp(cfg->durability, "full") != 0)
		config_err(errs, "durability: '%s' is not normal or full",
		    cfg->durability);
	if (strcmp(cfg->registration, "open") != 0 &&
	    strcmp(cfg->registration, "approval") != 0 &&
	    strcmp(cfg->registration, "closed") != 0)
		config_err(errs, "registration: '%s' is not open, approval or "
		    "closed", cfg->registration);
	if (strcmp(cfg->password_cost, "interactive") != 0 &&
	    strcmp(cfg->password_cost, "moderate") != 0 &&
	    strcmp(cfg->password_cost, "min") != 0)
		config_err(errs, "password-cost: '%s' is not interactive, "
		    "moderate or min", cfg->password_cost);
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		config_err(errs, "tls-cert and tls-key go together");
	return ret;
}

/*
 * SIGHUP: read the same sources again into a fresh struct and copy the
 * settings that may change at run time into cfg.  On any error nothing
 * changes.  Returns 0 or -1.
 */
int
config_reload(struct config *cfg, int argc, char **argv,
    struct config_errors *errs)
{
	struct config	nc;
	size_t		i;

	config_load(&nc, argc, argv, errs, NULL, NULL);
	if (errs->n > 0) {
		config_free(&nc);
		return -1;
	}
	for (i = 0; i < NOPTS; i++) {
		const struct config_opt *o = &config_opts[i];
		void *dst = (char *)cfg + o->off, *src = (char *)&nc + o->off;

		if (!o->reload)
			continue;
		switch (o->type) {
		case OPT_STR:
		case OPT_ADDR:
			free(*(char **)dst);
			*(char **)dst = *(char **)src;
			*(char **)src = NULL;
			break;
		case OPT_INT:
		case OPT_SIZE:
			*(long long *)dst = *(long long *)src;
			break;
		}
	}
	config_free(&nc);
	return 0;
}

void
config_usage(FILE *f)
{
	size_t	i;
	char	left[64];

	fprintf(f, "usage: lanchatd [options]\n"
	    "       lanchatd [--data DIR] backup FILE\n"
	    "       lanchatd [--data DIR] admin add|del|approve|suspend|"
	    "unsuspend ACCOUNT\n"
	    "       lanchatd [--data DIR] admin list|bans\n"
	    "       lanchatd [--data DIR] admin unban ADDRESS[/PREFIX]\n\n"
	    "options (also valid as 'name value' lines in a --config file):\n");
	for (i = 0; i < NOPTS; i++) {
		/* Settings without help are for tests: not listed. */
		if (config_opts[i].help == NULL)
			continue;
		snprintf(left, sizeof left, "--%s %s", config_opts[i].name,
		    config_opts[i].arg);
		fprintf(f, "  %-28s %s\n", left, config_opts[i].help);
	}
	fprintf(f, "  %-28s %s\n  %-28s %s\n", "--help", "this text",
	    "--version", "print the version and exit");
	fprintf(f, "\nSIGHUP reloads the config file, the MOTD "
	    "(DATA/motd.txt), account flags\nand address bans (the admin "
	    "subcommands send it to a running server).\n");
}

/* Path of the MOTD file: DATA/motd.txt. */
const char *
config_motd_path(const struct config *cfg, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/motd.txt", cfg->data_dir);
	return out;
}
