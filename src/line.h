/*
 * An outgoing IRC line, serialised once and shared by reference count
 * (Redis shared objects, DESIGN.md "fan-out").  A line is immutable after
 * line_new(): every send queue that holds it owns one reference and drops
 * it once the bytes are written or dropped.
 */
#ifndef LANCHAT_LINE_H
#define LANCHAT_LINE_H

#include <stddef.h>
#include <stdint.h>

struct line {
	uint32_t	refs;
	uint32_t	len;		/* bytes in data, CRLF included */
	char		data[];
};

struct line	*line_new(const char *, size_t);
struct line	*line_new_cut(const char *, size_t);
struct line	*line_newf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
struct line	*line_with_tag(const struct line *, const char *);
struct line	*line_ref(struct line *);
void		 line_unref(struct line *);
uint64_t	 line_live(void);

#endif
