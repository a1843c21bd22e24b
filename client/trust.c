/*
 * What the client remembers between runs, in one directory
 * ($LANCHAT_CONFIG_DIR, else $XDG_CONFIG_HOME/lanchat, else
 * ~/.config/lanchat; mode 0700):
 *
 *	known_servers	"HOST:PORT FINGERPRINT [NAME]" per line, like SSH's
 *			known_hosts: the certificate pinned on first use.
 *	credentials	"HOST:PORT ACCOUNT PASSWORD-IN-BASE64" per line,
 *			mode 0600, written only when the user says yes.
 *
 * A changed certificate is refused loudly (trust_refuse), never
 * accepted, and never a reason to fall back to plain text.  The files
 * are small and read whole each time; this module keeps no state but
 * the directory's path.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lanchat.h"
#include "util.h"
#include "xmalloc.h"

static char	trust_path[LC_PATH_MAX];

/* Use dir for the files (made, mode 0700, when missing); 0 or -1. */
int
trust_set_dir(const char *dir, char **cause)
{
	char	tmp[LC_PATH_MAX], *p;

	if (strlen(dir) >= sizeof tmp) {
		xasprintf(cause, "%s: path too long", dir);
		return -1;
	}
	strcpy(tmp, dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0700);
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	strlcpy_u(trust_path, tmp, sizeof trust_path);
	return 0;
}

/* The directory: set by trust_set_dir, else the default. */
const char *
trust_dir(void)
{
	const char	*e, *home;
	char		*cause = NULL;
	char		 d[LC_PATH_MAX];

	if (trust_path[0] != '\0')
		return trust_path;
	if ((e = getenv("LANCHAT_CONFIG_DIR")) != NULL && *e != '\0')
		strlcpy_u(d, e, sizeof d);
	else if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		snprintf(d, sizeof d, "%s/lanchat", e);
	else {
		if ((home = getenv("HOME")) == NULL || *home == '\0')
			home = ".";
		snprintf(d, sizeof d, "%s/.config/lanchat", home);
	}
	if (trust_set_dir(d, &cause) != 0) {
		free(cause);
		strlcpy_u(trust_path, d, sizeof trust_path);
	}
	return trust_path;
}

static void
trust_file(const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", trust_dir(), name);
}

/* The key of a server in the files: "host:port", "[v6]:port". */
void
trust_key(const char *host, int port, char *out, size_t outsz)
{
	char	h[256];
	size_t	i;

	for (i = 0; host[i] != '\0' && i + 1 < sizeof h; i++)
		h[i] = host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 :
		    host[i];
	h[i] = '\0';
	if (strchr(h, ':') != NULL)
		snprintf(out, outsz, "[%s]:%d", h, port);
	else
		snprintf(out, outsz, "%s:%d", h, port);
}

/* Split line into the first two words; 0, or -1 for a comment. */
static int
trust_words(char *line, char **w1, char **w2, char **rest)
{
	char	*p;

	line[strcspn(line, "\r\n")] = '\0';
	p = line + strspn(line, " \t");
	if (*p == '#' || *p == '\0')
		return -1;
	*w1 = p;
	p += strcspn(p, " \t");
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	p += strspn(p, " \t");
	*w2 = p;
	p += strcspn(p, " \t");
	if (*p != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t");
	}
	*rest = p;
	return 0;
}

/*
 * The fingerprint pinned for key, into fp; its line number into
 * *lineno.  Returns 1 when found, 0 when the server is new.
 */
int
trust_lookup(const char *key, char *fp, size_t fpsz, int *lineno)
{
	char	 path[LC_PATH_MAX], *line = NULL, *k, *f, *rest;
	size_t	 cap = 0;
	FILE	*fh;
	int	 n = 0, found = 0;

	trust_file("known_servers", path, sizeof path);
	if ((fh = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, fh) != -1) {
		n++;
		if (trust_words(line, &k, &f, &rest) != 0 ||
		    strcasecmp(k, key) != 0)
			continue;
		strlcpy_u(fp, f, fpsz);
		if (lineno != NULL)
			*lineno = n;
		found = 1;
		break;
	}
	free(line);
	fclose(fh);
	return found;
}

/*
 * Is fp pinned for some other address (the server moved, or answered
 * discovery on another interface)?  The first such key goes to key.
 * Returns 1 or 0.
 */
int
trust_find_fp(const char *fp, char *key, size_t keysz)
{
	char	 path[LC_PATH_MAX], *line = NULL, *k, *f, *rest;
	size_t	 cap = 0;
	FILE	*fh;
	int	 found = 0;

	trust_file("known_servers", path, sizeof path);
	if ((fh = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, fh) != -1) {
		if (trust_words(line, &k, &f, &rest) != 0 ||
		    strcasecmp(f, fp) != 0)
			continue;
		strlcpy_u(key, k, keysz);
		found = 1;
		break;
	}
	free(line);
	fclose(fh);
	return found;
}

/* Pin fp for key (name is a comment for people); 0 or -1. */
int
trust_add(const char *key, const char *fp, const char *name, char **cause)
{
	char	 path[LC_PATH_MAX];
	FILE	*fh;
	int	 fd;

	trust_file("known_servers", path, sizeof path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || (fh = fdopen(fd, "a")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (ftell(fh) == 0)
		fprintf(fh, "# lanchat known servers: HOST:PORT SHA-256 "
		    "[NAME]\n# A line here pins the certificate of that "
		    "server; delete it only when\n# the owner tells you the "
		    "certificate was replaced.\n");
	fprintf(fh, "%s %s", key, fp);
	if (name != NULL && *name != '\0')
		fprintf(fh, " %s", name);
	fprintf(fh, "\n");
	if (fclose(fh) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The loud refusal when the certificate of a known server changed:
 * both fingerprints, where the pin is, and what to do.  The caller
 * exits with LC_EXIT_TRUST.
 */
void
trust_refuse(FILE *f, const char *key, const char *name, const char *old,
    const char *now, int lineno)
{
	char	path[LC_PATH_MAX];

	trust_file("known_servers", path, sizeof path);
	fprintf(f, "\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@   WARNING: THE SERVER'S CERTIFICATE HAS CHANGED!          @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "lanchat refuses to connect to %s%s%s%s.\n\n"
	    "  pinned  SHA-256 %s\n"
	    "  now     SHA-256 %s\n\n"
	    "Someone may be pretending to be this server (a man in the "
	    "middle),\nor its owner made a new certificate (for example by "
	    "deleting the\ntls/ directory of its data). Ask the person who "
	    "runs the server\nwhich fingerprint its start-up banner shows. "
	    "Only if it is the new\none, delete line %d of %s\nand connect "
	    "again.\n"
	    "lanchat never falls back to an unencrypted connection.\n",
	    key, name != NULL && *name ? " (" : "", name != NULL ? name : "",
	    name != NULL && *name ? ")" : "", old, now, lineno, path);
	fflush(f);
}

/*
 * The refusal when the certificate is not the one the server announced
 * by discovery: whoever answered the query is not who we reached.
 */
void
trust_refuse_announced(FILE *f, const char *key, const char *announced,
    const char *now)
{
	fprintf(f, "\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@   WARNING: THE CERTIFICATE IS NOT THE ONE ANNOUNCED!      @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "lanchat refuses to connect to %s.\n\n"
	    "  announced  SHA-256 %s\n"
	    "  now        SHA-256 %s\n\n"
	    "The server that answered on the LAN announced one certificate, "
	    "and\nthe connection shows another: someone else may be "
	    "answering for it.\nAsk the person who runs the server which "
	    "fingerprint it shows.\n", key, announced, now);
	fflush(f);
}

/*
 * The saved account and password for key, allocated into *account and
 * *password (the caller frees).  Returns 1 when found, else 0.
 */
int
creds_lookup(const char *key, char **account, char **password)
{
	char		 path[LC_PATH_MAX], *line = NULL, *k, *a, *p;
	unsigned char	 dec[1024];
	size_t		 cap = 0, n;
	FILE		*fh;
	int		 found = 0, len;

	trust_file("credentials", path, sizeof path);
	if ((fh = fopen(path, "r")) == NULL)
		return 0;
	while (getline(&line, &cap, fh) != -1) {
		if (trust_words(line, &k, &a, &p) != 0 ||
		    strcasecmp(k, key) != 0)
			continue;
		p[strcspn(p, " \t")] = '\0';
		n = strlen(p);
		if (n == 0 || n > 4 * (sizeof dec / 3) - 4)
			continue;
		len = EVP_DecodeBlock(dec, (const unsigned char *)p, n);
		if (len < 0)
			continue;
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		while (n > 0 && p[--n] == '=')
			len--;
		*account = xstrdup(a);
		*password = xstrndup((const char *)dec, len);
		found = 1;
		break;
	}
	free(line);
	fclose(fh);
	return found;
}

/*
 * Save the account and password for key (replacing any saved before),
 * in a file only the user can read (0600), written whole and renamed
 * into place.  Returns 0 or -1 with *cause.
 */
int
creds_save(const char *key, const char *account, const char *password,
    char **cause)
{
	char		 path[LC_PATH_MAX], tmp[LC_PATH_MAX + 8];
	char		*line = NULL, *copy, *k, *a, *p;
	unsigned char	*enc;
	size_t		 cap = 0, plen = strlen(password);
	FILE		*in, *out;
	int		 fd;

	trust_file("credentials", path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || fchmod(fd, 0600) != 0 ||
	    (out = fdopen(fd, "w")) == NULL) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(out, "# lanchat saved logins: HOST:PORT ACCOUNT "
	    "PASSWORD-BASE64 (keep this file mode 0600)\n");
	if ((in = fopen(path, "r")) != NULL) {
		while (getline(&line, &cap, in) != -1) {
			copy = xstrdup(line);
			if (trust_words(copy, &k, &a, &p) == 0 &&
			    strcasecmp(k, key) != 0)
				fputs(line, out);
			free(copy);
		}
		free(line);
		fclose(in);
	}
	enc = xmalloc(4 * ((plen + 2) / 3) + 1);
	EVP_EncodeBlock(enc, (const unsigned char *)password, plen);
	fprintf(out, "%s %s %s\n", key, account, enc);
	free(enc);
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
