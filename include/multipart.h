/*
 * multipart.h -- a multipart/form-data reader (RFC 7578) for request
 * bodies held in memory. Parts point into the body; names are copied into
 * the arena.
 */
#ifndef MULTIPART_H
#define MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "err.h"

#define MP_PARTS_MAX    128 /* parts of one body */
#define MP_BOUNDARY_MAX 70  /* RFC 2046 */

struct mp_part {
	const char *name;     /* the form field's name ("" if none) */
	const char *filename; /* the client's file name, or NULL */
	const char *data;     /* into the body */
	size_t len;
};

/* Is ctype (a Content-Type header value) multipart/form-data? */
bool mp_is_form(const char *ctype);

/*
 * Split body[0..len) by the boundary of ctype into parts[0..*n). A body
 * that is not well-formed, or has more than max parts, is a ValueError.
 */
int mp_parse(struct arena *a, const char *ctype, const char *body, size_t len,
    struct mp_part *parts, size_t max, size_t *n, struct gr_err *err);

#endif /* MULTIPART_H */
