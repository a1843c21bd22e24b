/*
 * DNS-SD publication through avahi-daemon (libavahi-client), so that
 * zeroconf tools see the server as _ircs._tcp and _http._tcp.  Optional
 * at run time: where no avahi-daemon (or no D-Bus) runs, nothing breaks
 * and nothing is logged louder than info.  Built only when pkg-config
 * finds avahi-client (HAVE_AVAHI); without it these do nothing.
 */
#ifndef LANCHAT_ZEROCONF_H
#define LANCHAT_ZEROCONF_H

void	zeroconf_start(void);
void	zeroconf_stop(void);

#endif
