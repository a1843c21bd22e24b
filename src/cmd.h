/*
 * The command table and the one dispatcher (ngIRCd My_Commands[] and
 * Handle_Request(), ergo Command.Run()).  cmd_dispatch() is the only
 * place that checks registration, parameter counts, operator rights and
 * unknown verbs, charges the flood budget and counts calls; handlers
 * check only what is their own.
 */
#ifndef LANCHAT_CMD_H
#define LANCHAT_CMD_H

#include <stdint.h>

struct client;
struct msg;
struct session;

#define CMD_REG		0x01	/* only after registration */
#define CMD_OPER	0x02	/* server operators (admins) only */

struct cmd {
	const char	*name;
	int		(*fn)(struct client *, struct msg *);
	int		 min;		/* parameters required */
	unsigned int	 flags;
	int		 penalty;	/* flood tokens it costs */
	uint64_t	 calls;
};

void		 cmd_init(void);
int		 cmd_dispatch(struct session *, struct msg *);
const struct cmd *cmd_find(const char *);
const struct cmd *cmd_table_get(size_t *);

#endif
