/*
 * The command-line subcommands of lanchatd, which work on the data
 * directory whether or not a server runs there:
 *
 *   lanchatd [--data DIR] backup FILE
 *   lanchatd [--data DIR] admin add|del|approve|suspend|unsuspend NAME
 *   lanchatd [--data DIR] admin list
 *   lanchatd [--data DIR] admin bans | unban ADDRESS[/PREFIX]
 */
#ifndef LANCHAT_ADMIN_H
#define LANCHAT_ADMIN_H

int	 admin_main(const char *, int, char **);

#endif
