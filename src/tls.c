/*
 * TLS transport.  Each TLS conn owns an SSL with two memory BIOs: bytes
 * read from the socket go into rbio, SSL_read() gives plaintext to
 * conn_input(); queued lines are coalesced into SSL_write() calls, and
 * whatever OpenSSL puts into wbio (records, handshake, alerts) is written
 * with conn_write_owned().  Nothing here blocks or touches the socket.
 *
 * The certificate: --tls-cert/--tls-key if given, else DATA/tls/cert.pem
 * and key.pem, made on first start (ECDSA P-256, self-signed, SANs for
 * the host name, localhost and every local address) and reused after.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "client.h"
#include "conn.h"
#include "line.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

#define TLS_CHUNK	16384	/* one TLS record of plaintext */

struct tls_state {
	SSL	*ssl;
	BIO	*rbio;		/* socket -> OpenSSL */
	BIO	*wbio;		/* OpenSSL -> socket */
	int	 ready;		/* handshake done */
	char	*certfp;	/* client certificate SHA-256, hex */
};

static SSL_CTX	*tls_ctx;

static void	tls_read(struct conn *, char *, size_t);
static void	tls_flush(struct conn *);
static void	tls_shutdown(struct conn *);
static void	tls_free(struct conn *);
static void	tls_write_raw(struct conn *, const char *, size_t);

const struct conn_ops tls_ops = {
	.name = "tls",
	.read = tls_read,
	.flush = tls_flush,
	.write_raw = tls_write_raw,
	.shutdown = tls_shutdown,
	.free = tls_free,
};

/* The first OpenSSL error as text (and clear the queue). */
static const char *
tls_error(void)
{
	static char	buf[256];
	unsigned long	e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

/* Hex SHA-256 of a certificate: "ab12..." (sep 0) or "AB:12:..." (sep 1). */
static void
tls_x509_fingerprint(X509 *x, char *out, size_t outsz, int sep)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;
	size_t		o = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && o + 3 < outsz; i++)
		o += snprintf(out + o, outsz - o, sep ? "%s%02X" : "%s%02x",
		    sep && i > 0 ? ":" : "", md[i]);
}

/* Client certificates are accepted whoever signed them: only the
 * fingerprint is used (SASL EXTERNAL), never a CA. */
static int
tls_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

static int
tls_write_file(const char *path, int mode, int (*fn)(FILE *, void *),
    void *arg, char **cause)
{
	char	 tmp[PATH_MAX];
	int	 fd;
	FILE	*f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (!fn(f, arg) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		xasprintf(cause, "%s: cannot write", tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
tls_write_key(FILE *f, void *arg)
{
	return PEM_write_PrivateKey(f, arg, NULL, NULL, 0, NULL, NULL);
}

static int
tls_write_cert(FILE *f, void *arg)
{
	return PEM_write_X509(f, arg);
}

/* "DNS:host,DNS:localhost,IP:127.0.0.1,IP:::1,IP:<each local address>" */
static char *
tls_san_string(void)
{
	struct buf		 b;
	char			 host[256], a[64];
	uv_interface_address_t	*ifs;
	int			 nifs, i;

	buf_init(&b);
	if (gethostname(host, sizeof host) == 0 && host[0] != '\0' &&
	    strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == strlen(host) &&
	    strcmp(host, "localhost") != 0)
		buf_printf(&b, "DNS:%s,", host);
	buf_addstr(&b, "DNS:localhost,IP:127.0.0.1,IP:::1");
	if (uv_interface_addresses(&ifs, &nifs) == 0) {
		for (i = 0; i < nifs; i++) {
			if (ifs[i].is_internal)
				continue;
			addr_format((struct sockaddr *)&ifs[i].address, a,
			    sizeof a, 0);
			if (strchr(a, '%') != NULL)
				continue;	/* scoped link-local */
			buf_printf(&b, ",IP:%s", a);
		}
		uv_free_interface_addresses(ifs, nifs);
	}
	return buf_detach(&b);
}

static int
tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/*
 * Make a self-signed certificate and key at certpath/keypath (key mode
 * 0600).  Returns 0, or -1 with *cause.
 */
int
tls_make_cert(const char *certpath, const char *keypath, char **cause)
{
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	X509_NAME	*name;
	BIGNUM		*bn = NULL;
	char		 host[256], *san = NULL;
	int		 ret = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		xasprintf(cause, "key generation: %s", tls_error());
		goto out;
	}
	if ((x = X509_new()) == NULL || (bn = BN_new()) == NULL)
		goto ossl;
	if (!X509_set_version(x, 2) || !BN_rand(bn, 64, 0, 0) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto ossl;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400))
		goto ossl;
	if (!X509_set_pubkey(x, pkey))
		goto ossl;
	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		strlcpy_u(host, "lanchat", sizeof host);
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"lanchat", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)host, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto ossl;
	san = tls_san_string();
	if (!tls_add_ext(x, NID_subject_alt_name, san) ||
	    !tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !tls_add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    !tls_add_ext(x, NID_ext_key_usage, "serverAuth"))
		goto ossl;
	if (!X509_sign(x, pkey, EVP_sha256()))
		goto ossl;
	if (tls_write_file(keypath, 0600, tls_write_key, pkey, cause) != 0 ||
	    tls_write_file(certpath, 0644, tls_write_cert, x, cause) != 0)
		goto out;
	ret = 0;
	goto out;
ossl:
	xasprintf(cause, "making the certificate: %s", tls_error());
out:
	free(san);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}

/* SHA-256 fingerprint ("AB:CD:...") of the PEM certificate at path. */
int
tls_cert_fingerprint(const char *path, char *out, size_t outsz, char **cause)
{
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		xasprintf(cause, "%s: not a PEM certificate", path);
		return -1;
	}
	tls_x509_fingerprint(x, out, outsz, 1);
	X509_free(x);
	return 0;
}

/*
 * Set up the server context.  Makes DATA/tls/ and a certificate when none
 * is configured or present.  Returns 0, or -1 with *cause.
 */
int
tls_init(char **cause)
{
	char		 dir[PATH_MAX - 16], cert[PATH_MAX], key[PATH_MAX];
	const char	*cp, *kp;
	static const unsigned char sid[] = "lanchat";

	if (srv.cfg.tls_cert != NULL) {
		cp = srv.cfg.tls_cert;
		kp = srv.cfg.tls_key;
	} else {
		snprintf(dir, sizeof dir, "%s/tls", srv.cfg.data_dir);
		snprintf(cert, sizeof cert, "%s/cert.pem", dir);
		snprintf(key, sizeof key, "%s/key.pem", dir);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			xasprintf(cause, "%s: %s", dir, strerror(errno));
			return -1;
		}
		if (access(cert, F_OK) != 0 || access(key, F_OK) != 0) {
			log_info("making a self-signed certificate in %s", dir);
			if (tls_make_cert(cert, key, cause) != 0)
				return -1;
		}
		cp = cert;
		kp = key;
	}
	if ((tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		xasprintf(cause, "SSL_CTX_new: %s", tls_error());
		return -1;
	}
	SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!SSL_CTX_set_cipher_list(tls_ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:"
	    "DHE+AESGCM:DHE+CHACHA20:!aNULL:!MD5:!DSS")) {
		xasprintf(cause, "cipher list: %s", tls_error());
		return -1;
	}
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE,
	    tls_verify_cb);
	SSL_CTX_set_session_id_context(tls_ctx, sid, sizeof sid - 1);
	if (SSL_CTX_use_certificate_chain_file(tls_ctx, cp) != 1) {
		xasprintf(cause, "%s: %s", cp, tls_error());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(tls_ctx, kp, SSL_FILETYPE_PEM) != 1) {
		xasprintf(cause, "%s: %s", kp, tls_error());
		return -1;
	}
	if (SSL_CTX_check_private_key(tls_ctx) != 1) {
		xasprintf(cause, "%s does not match %s", kp, cp);
		return -1;
	}
	tls_x509_fingerprint(SSL_CTX_get0_certificate(tls_ctx),
	    srv.tls_fingerprint, sizeof srv.tls_fingerprint, 1);
	return 0;
}

void
tls_cleanup(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}

/* Attach TLS state to a freshly accepted conn.  Returns 0 or -1. */
int
tls_conn_init(struct conn *c)
{
	struct tls_state	*t;

	if (tls_ctx == NULL)
		return -1;
	t = xcalloc(1, sizeof *t);
	if ((t->ssl = SSL_new(tls_ctx)) == NULL) {
		free(t);
		return -1;
	}
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	c->tp = t;
	c->flags |= CONN_SECURE | CONN_HANDSHAKE;
	return 0;
}

/* Write out whatever OpenSSL produced. */
static void
tls_drain(struct conn *c)
{
	struct tls_state	*t = c->tp;
	size_t			 n;
	char			*data;
	int			 r;

	while ((n = BIO_ctrl_pending(t->wbio)) > 0) {
		data = xmalloc(n);
		r = BIO_read(t->wbio, data, n);
		if (r <= 0) {
			free(data);
			return;
		}
		conn_write_owned(c, data, r);
	}
}

const char *
tls_peer_fingerprint(const struct conn *c)
{
	const struct tls_state	*t = c->tp;

	if (!(c->flags & CONN_SECURE) || t == NULL)
		return NULL;
	return t->certfp;
}

static void
tls_read(struct conn *c, char *data, size_t len)
{
	struct tls_state	*t = c->tp;
	char			 plain[TLS_CHUNK];
	int			 r, e;
	X509			*peer;
	char			 fp[80];

	if (BIO_write(t->rbio, data, len) != (int)len) {
		conn_kill(c, "TLS error", CONN_HARD);
		return;
	}
	if (!t->ready) {
		r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			e = SSL_get_error(t->ssl, r);
			tls_drain(c);
			if (e == SSL_ERROR_WANT_READ)
				return;
			log_debug("conn %llu: TLS handshake: %s",
			    (unsigned long long)c->id, tls_error());
			conn_kill(c, "TLS handshake failed", CONN_HARD);
			return;
		}
		t->ready = 1;
		c->flags &= ~CONN_HANDSHAKE;
		if ((peer = SSL_get1_peer_certificate(t->ssl)) != NULL) {
			tls_x509_fingerprint(peer, fp, sizeof fp, 0);
			t->certfp = xstrdup(fp);
			X509_free(peer);
		}
		log_trace(TRACE_IO, "conn %llu: TLS %s %s",
		    (unsigned long long)c->id, SSL_get_version(t->ssl),
		    SSL_get_cipher_name(t->ssl));
	}
	for (;;) {
		r = SSL_read(t->ssl, plain, sizeof plain);
		if (r > 0) {
			conn_input(c, plain, r);
			if (c->flags & (CONN_DYING | CONN_CLOSING |
			    CONN_CLOSED))
				break;
			continue;
		}
		e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			break;
		if (e == SSL_ERROR_ZERO_RETURN)
			conn_kill(c, "Connection closed", CONN_HARD);
		else {
			log_debug("conn %llu: TLS read: %s",
			    (unsigned long long)c->id, tls_error());
			conn_kill(c, "TLS error", CONN_HARD);
		}
		break;
	}
	tls_drain(c);
}

/* Encrypt the queued lines, up to one record per SSL_write(). */
static void
tls_flush(struct conn *c)
{
	struct tls_state	*t = c->tp;
	char			 chunk[TLS_CHUNK];
	size_t			 n = 0;
	struct line		*l;

	if (!t->ready)
		return;
	while ((l = conn_queue_pop(c)) != NULL) {
		if (n + l->len > sizeof chunk && n > 0) {
			SSL_write(t->ssl, chunk, n);
			n = 0;
		}
		if (l->len > sizeof chunk)
			SSL_write(t->ssl, l->data, l->len);
		else {
			memcpy(chunk + n, l->data, l->len);
			n += l->len;
		}
		line_unref(l);
	}
	if (n > 0)
		SSL_write(t->ssl, chunk, n);
	tls_drain(c);
}

/* Encrypt and write bytes that are not lines (HTTP, WebSocket frames). */
static void
tls_write_raw(struct conn *c, const char *data, size_t len)
{
	struct tls_state	*t = c->tp;

	if (!t->ready || len == 0)
		return;
	SSL_write(t->ssl, data, len);
	tls_drain(c);
}

static void
tls_shutdown(struct conn *c)
{
	struct tls_state	*t = c->tp;

	if (t->ready) {
		SSL_shutdown(t->ssl);
		tls_drain(c);
	}
}

static void
tls_free(struct conn *c)
{
	struct tls_state	*t = c->tp;

	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t->certfp);
	free(t);
	c->tp = NULL;
}
