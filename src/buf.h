/*
 * A growable byte buffer.  The owner calls buf_init()/buf_free(); data is
 * kept NUL-terminated so that it can be passed to string functions, but
 * len never counts the terminator.
 */
#ifndef LANCHAT_BUF_H
#define LANCHAT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_reserve(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_addch(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	 buf_consume(struct buf *, size_t);
char	*buf_detach(struct buf *);

#endif
