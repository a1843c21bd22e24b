/*
 * libFuzzer harness for whole IRC sessions (battery T02), after irssi's
 * fuzz/server.c: the input is split on LF and fed, line by line, to
 * fake clients of the real server (world.c: the real command table,
 * cmd_dispatch() through session_line(), the store in a temporary
 * directory, no sockets).  Several clients talk to each other, so that
 * state that one line leaves behind for another (a channel, a MONITOR
 * entry, a half-done SASL exchange, a nick taken) is exercised too
 * (Solanum 22645c58):
 *
 *	a line as it is		goes to alice (registered, every capability,
 *				logged in to an administrator's account)
 *	a line after one TAB	goes to bob (registered, no capability)
 *	a line after two TABs	goes to a third conn that is not
 *				registered (made on first use)
 *
 * Consecutive lines of one client arrive in one read, as from one TCP
 * segment; between clients the server runs until it is idle.  Checked:
 * every line the server writes (world_check_line: CRLF, no injected
 * CR/LF/NUL, UTF-8, lengths), and at the end, once every conn is
 * closed, that nothing is left (no client, channel, event or job).
 *
 * FUZZ_SOURCES: fuzz/world.c @server
 * FUZZ_OPTIONS: -max_len=16384 -timeout=30
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	world_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world_conn	*who[3];
	const char		*p = (const char *)data, *end = p + size;
	const char		*nl;
	struct buf		 b;
	int			 cur = -1, k;

	if (size > 16384)
		return 0;
	who[0] = world_client("alice", WORLD_CAPS | WORLD_LOGIN);
	who[1] = world_client("bob", 0);
	who[2] = NULL;
	buf_init(&b);
	while (p < end) {
		/* Whose line is it? */
		for (k = 0; k < 2 && p < end && *p == '\t'; k++)
			p++;
		if (k != cur && b.len > 0) {
			world_input(who[cur], b.data, b.len);
			buf_reset(&b);
		}
		cur = k;
		if (who[k] == NULL)
			who[k] = world_conn(PROTO_IRC, 0);
		nl = memchr(p, '\n', end - p);
		nl = nl != NULL ? nl + 1 : end;
		buf_add(&b, p, nl - p);
		p = nl;
	}
	if (b.len > 0)
		world_input(who[cur], b.data, b.len);
	buf_free(&b);
	world_close_all();
	world_reset();
	return 0;
}
