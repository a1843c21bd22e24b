/*
 * DNS-SD through avahi-daemon.  libavahi-client talks D-Bus to the
 * daemon and wants a main loop behind the AvahiPoll interface; we give
 * it our libuv loop (a uv_poll_t per watch, a uv_timer_t per timeout),
 * so its callbacks run on the loop thread like everything else and no
 * thread is added.  The client is made with AVAHI_CLIENT_NO_FAIL: when
 * the daemon is not running yet it waits for it, and when it goes away
 * we start over.  Services (one entry group): _ircs._tcp on the first
 * TLS port with the certificate's fingerprint in TXT, _irc._tcp is left
 * out on purpose (plain text), _http._tcp and _https._tcp on the web
 * ports.  On a name collision avahi's alternative name is used
 * ("office #2").  Watches and timeouts are freed in their close
 * callbacks, never inside their own callback.
 */
#include "zeroconf.h"

#ifndef HAVE_AVAHI

/* Built without libavahi-client: there is nothing to publish with. */
void
zeroconf_start(void)
{
}

/* Nothing was published. */
void
zeroconf_stop(void)
{
}

#else

#include <sys/time.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/watch.h>

#include "listen.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

struct AvahiWatch {
	uv_poll_t		 poll;
	int			 fd;
	AvahiWatchEvent		 revents;
	AvahiWatchCallback	 cb;
	void			*arg;
};

struct AvahiTimeout {
	uv_timer_t		 timer;
	AvahiTimeoutCallback	 cb;
	void			*arg;
};

static AvahiClient	*zeroconf_client;
static AvahiEntryGroup	*zeroconf_group;
static char		*zeroconf_name;
static int		 zeroconf_on;

static void	zeroconf_client_cb(AvahiClient *, AvahiClientState, void *);

static void
zeroconf_free_cb(uv_handle_t *h)
{
	free(h->data);
}

static int
zeroconf_uv_events(AvahiWatchEvent e)
{
	return (e & AVAHI_WATCH_IN ? UV_READABLE : 0) |
	    (e & AVAHI_WATCH_OUT ? UV_WRITABLE : 0);
}

static void
zeroconf_poll_cb(uv_poll_t *p, int status, int events)
{
	AvahiWatch	*w = p->data;

	w->revents = 0;
	if (status < 0)
		w->revents |= AVAHI_WATCH_ERR;
	if (events & UV_READABLE)
		w->revents |= AVAHI_WATCH_IN;
	if (events & UV_WRITABLE)
		w->revents |= AVAHI_WATCH_OUT;
	if (events & UV_DISCONNECT)
		w->revents |= AVAHI_WATCH_HUP;
	w->cb(w, w->fd, w->revents, w->arg);
}

static void
zeroconf_watch_update(AvahiWatch *w, AvahiWatchEvent e)
{
	if (zeroconf_uv_events(e) != 0)
		uv_poll_start(&w->poll, zeroconf_uv_events(e),
		    zeroconf_poll_cb);
	else
		uv_poll_stop(&w->poll);
}

static AvahiWatch *
zeroconf_watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent e,
    AvahiWatchCallback cb, void *arg)
{
	AvahiWatch	*w;

	(void)api;
	w = xcalloc(1, sizeof *w);
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	if (uv_poll_init(srv.loop, &w->poll, fd) != 0) {
		free(w);
		return NULL;
	}
	w->poll.data = w;
	zeroconf_watch_update(w, e);
	return w;
}

static AvahiWatchEvent
zeroconf_watch_get_events(AvahiWatch *w)
{
	return w->revents;
}

static void
zeroconf_watch_free(AvahiWatch *w)
{
	uv_poll_stop(&w->poll);
	uv_close((uv_handle_t *)&w->poll, zeroconf_free_cb);
}

static void
zeroconf_timer_cb(uv_timer_t *t)
{
	AvahiTimeout	*to = t->data;

	to->cb(to, to->arg);
}

static void
zeroconf_timeout_update(AvahiTimeout *to, const struct timeval *tv)
{
	struct timeval	now;
	int64_t		ms;

	uv_timer_stop(&to->timer);
	if (tv == NULL)
		return;
	gettimeofday(&now, NULL);
	ms = (int64_t)(tv->tv_sec - now.tv_sec) * 1000 +
	    (tv->tv_usec - now.tv_usec) / 1000;
	uv_timer_start(&to->timer, zeroconf_timer_cb, ms > 0 ? ms : 0, 0);
}

static AvahiTimeout *
zeroconf_timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *arg)
{
	AvahiTimeout	*to;

	(void)api;
	to = xcalloc(1, sizeof *to);
	to->cb = cb;
	to->arg = arg;
	uv_timer_init(srv.loop, &to->timer);
	to->timer.data = to;
	zeroconf_timeout_update(to, tv);
	return to;
}

static void
zeroconf_timeout_free(AvahiTimeout *to)
{
	uv_timer_stop(&to->timer);
	uv_close((uv_handle_t *)&to->timer, zeroconf_free_cb);
}

static const AvahiPoll zeroconf_poll = {
	.userdata = NULL,
	.watch_new = zeroconf_watch_new,
	.watch_update = zeroconf_watch_update,
	.watch_get_events = zeroconf_watch_get_events,
	.watch_free = zeroconf_watch_free,
	.timeout_new = zeroconf_timeout_new,
	.timeout_update = zeroconf_timeout_update,
	.timeout_free = zeroconf_timeout_free,
};

static void	zeroconf_publish(AvahiClient *);

static void
zeroconf_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	char	*alt;

	(void)arg;
	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		log_info("DNS-SD: published as \"%s\"", zeroconf_name);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		alt = avahi_alternative_service_name(zeroconf_name);
		log_info("DNS-SD: \"%s\" is taken on this network; using "
		    "\"%s\"", zeroconf_name, alt);
		free(zeroconf_name);
		zeroconf_name = xstrdup(alt);
		avahi_free(alt);
		zeroconf_publish(avahi_entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		log_info("DNS-SD: publishing failed: %s", avahi_strerror(
		    avahi_client_errno(avahi_entry_group_get_client(g))));
		break;
	default:
		break;
	}
}

/* Add one service to the group; returns 0 or an avahi error. */
static int
zeroconf_add(const char *type, int port, AvahiStringList *txt)
{
	if (port <= 0)
		return 0;
	return avahi_entry_group_add_service_strlst(zeroconf_group,
	    AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, zeroconf_name, type, NULL,
	    NULL, port, txt);
}

/* (Re)fill and commit the entry group. */
static void
zeroconf_publish(AvahiClient *c)
{
	AvahiStringList	*txt = NULL, *web = NULL;
	int		 r;

	if (zeroconf_group == NULL &&
	    (zeroconf_group = avahi_entry_group_new(c, zeroconf_group_cb,
	    NULL)) == NULL) {
		log_info("DNS-SD: %s", avahi_strerror(avahi_client_errno(c)));
		return;
	}
	avahi_entry_group_reset(zeroconf_group);
	txt = avahi_string_list_add_pair(txt, "version", LANCHAT_VERSION);
	txt = avahi_string_list_add_pair(txt, "network", srv.cfg.network);
	if (srv.tls_fingerprint[0] != '\0')
		txt = avahi_string_list_add_pair(txt, "fp-sha256",
		    srv.tls_fingerprint);
	web = avahi_string_list_add_pair(NULL, "path", "/");
	if ((r = zeroconf_add("_ircs._tcp", listen_first_port(LISTEN_TLS),
	    txt)) == 0 &&
	    (r = zeroconf_add("_http._tcp", listen_first_port(LISTEN_HTTP),
	    web)) == 0)
		r = zeroconf_add("_https._tcp",
		    listen_first_port(LISTEN_HTTPS), web);
	avahi_string_list_free(txt);
	avahi_string_list_free(web);
	if (r == AVAHI_ERR_COLLISION) {
		zeroconf_group_cb(zeroconf_group, AVAHI_ENTRY_GROUP_COLLISION,
		    NULL);
		return;
	}
	if (r != 0 || avahi_entry_group_is_empty(zeroconf_group)) {
		if (r != 0)
			log_info("DNS-SD: %s", avahi_strerror(r));
		return;
	}
	if ((r = avahi_entry_group_commit(zeroconf_group)) != 0)
		log_info("DNS-SD: %s", avahi_strerror(r));
}

/* Make a client that waits for the daemon; NULL if D-Bus is missing. */
static void
zeroconf_connect(void)
{
	int	err = 0;

	zeroconf_client = avahi_client_new(&zeroconf_poll,
	    AVAHI_CLIENT_NO_FAIL, zeroconf_client_cb, NULL, &err);
	if (zeroconf_client == NULL)
		log_info("DNS-SD: not published (%s)", avahi_strerror(err));
}

static void
zeroconf_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	(void)arg;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		zeroconf_publish(c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		if (zeroconf_group != NULL)
			avahi_entry_group_reset(zeroconf_group);
		break;
	case AVAHI_CLIENT_CONNECTING:
		log_info("DNS-SD: avahi-daemon is not running; publishing "
		    "when it starts");
		break;
	case AVAHI_CLIENT_FAILURE:
		log_info("DNS-SD: avahi: %s", avahi_strerror(
		    avahi_client_errno(c)));
		if (avahi_client_errno(c) != AVAHI_ERR_DISCONNECTED ||
		    !zeroconf_on)
			break;
		/* The daemon went away: start over and wait for it.  The
		 * group belongs to the dead client and goes with it. */
		zeroconf_group = NULL;
		if (c == zeroconf_client)
			zeroconf_client = NULL;
		avahi_client_free(c);
		zeroconf_connect();
		break;
	}
}

/* Publish the services, now or whenever avahi-daemon appears. */
void
zeroconf_start(void)
{
	zeroconf_on = 1;
	zeroconf_name = xstrdup(srv.name);
	zeroconf_connect();
}

/* Withdraw the services and close the D-Bus connection (shutdown). */
void
zeroconf_stop(void)
{
	if (!zeroconf_on)
		return;
	zeroconf_on = 0;
	if (zeroconf_client != NULL)
		avahi_client_free(zeroconf_client);	/* frees the group */
	zeroconf_client = NULL;
	zeroconf_group = NULL;
	free(zeroconf_name);
	zeroconf_name = NULL;
}

#endif
