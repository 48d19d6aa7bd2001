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

/* Is ctype a form: multipart/form-data or x-www-form-urlencoded? */
bool mp_is_any_form(const char *ctype);

struct web_req;

/*
 * The one form reader of the families (jobs, tasks): the fields of the
 * request's body, urlencoded or multipart, into *parts (the arena's),
 * *n of them. A value's data is a NUL-terminated copy (len its bytes);
 * a file's (filename set) points into the body. Another Content-Type is
 * 415 UnsupportedMediaType.
 */
int mp_form(struct web_req *r, struct mp_part **parts, size_t *n);

#endif /* MULTIPART_H */
