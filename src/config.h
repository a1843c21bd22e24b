/*
 * Settings: compiled-in defaults, then the --config file, then the command
 * line, each overriding the one before.  The file uses the long option
 * names as keys ("listen 127.0.0.1:6667"), one setting per line, '#' for
 * comments.  Every error is collected, each with its file:line or its
 * flag, and reported together.
 */
#ifndef LANCHAT_CONFIG_H
#define LANCHAT_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct strlist {
	char	**v;
	int	  n;
	int	  set;		/* given in the file or on the command line */
};

struct config {
	char		*data_dir;
	char		*config_file;
	struct strlist	 listen;
	struct strlist	 tls_listen;
	struct strlist	 http_listen;
	struct strlist	 https_listen;
	char		*discovery;
	char		*name;
	char		*network;
	char		*tls_cert;
	char		*tls_key;
	char		*password;
	char		*client_tag_deny;
	char		*web_origin;
	char		*web_url;
	char		*durability;
	char		*registration;
	char		*password_cost;
	long long	 login_required;
	long long	 enforce_delay;
	long long	 history_days;
	long long	 max_sendq;
	long long	 recvq;
	long long	 flood_burst;
	long long	 flood_rate;
	long long	 chanlimit;
	long long	 max_targets;
	long long	 max_list;
	long long	 max_monitor;
	long long	 conns_per_ip;
	long long	 unreg_per_ip;
	long long	 reg_timeout;
	long long	 ping_interval;
	long long	 ping_timeout;
	long long	 max_upload;
	long long	 upload_quota;
	long long	 upload_rate;
	long long	 http_header_timeout;
	long long	 http_idle_timeout;
	long long	 verbose;
	char		*trace;
};

/* Collected errors; the caller prints and frees them. */
struct config_errors {
	char	**v;
	int	  n;
};

void	 config_init(struct config *);
void	 config_free(struct config *);
int	 config_load(struct config *, int, char **, struct config_errors *,
	    char ***, int *);
int	 config_reload(struct config *, int, char **, struct config_errors *);
void	 config_errors_free(struct config_errors *);
void	 config_usage(FILE *);
const char *config_motd_path(const struct config *, char *, size_t);

#endif
