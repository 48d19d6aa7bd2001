/*
 * memstream.h -- in-memory FastCGI streams for tests that dispatch
 * requests in process (tests/unit/test_web.c, tests/fuzz/fuzz.h): a
 * reader over a copy of a body, and a writer that grows. Static
 * functions, included.
 */
#ifndef MEMSTREAM_H
#define MEMSTREAM_H

#include <string.h>

#include <fcgiapp.h>

#include "util.h"

struct membuf {
	FCGX_Stream s;
	unsigned char *buf;
	size_t cap;
};

static inline void
mem_grow(FCGX_Stream *s, int doclose)
{
	struct membuf *m = (struct membuf *)s;
	size_t used = (size_t)(s->wrNext - m->buf);

	(void)doclose;
	m->cap *= 2;
	m->buf = xrealloc(m->buf, m->cap);
	s->wrNext = m->buf + used;
	s->stop = m->buf + m->cap;
	s->rdNext = s->stop;
}

static inline void
mem_eof(FCGX_Stream *s)
{
	s->isClosed = 1;
	s->rdNext = s->stop;
}

static inline void
mem_writer(struct membuf *m)
{
	memset(m, 0, sizeof(*m));
	m->cap = 64; /* small: growing is exercised */
	m->buf = xmalloc(m->cap);
	m->s.wrNext = m->buf;
	m->s.stop = m->s.rdNext = m->buf + m->cap;
	m->s.emptyBuffProc = mem_grow;
}

static inline void
mem_reader(struct membuf *m, const char *body, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->buf = xmalloc(len + 1);
	memcpy(m->buf, body, len);
	m->s.rdNext = m->s.stopUnget = m->buf;
	m->s.stop = m->s.wrNext = m->buf + len;
	m->s.isReader = 1;
	m->s.fillBuffProc = mem_eof;
}

#endif /* MEMSTREAM_H */
