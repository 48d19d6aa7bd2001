/*
 * multipart.c -- multipart/form-data bodies: boundary, parts, and the
 * name and filename of each part's Content-Disposition.
 */
#define _GNU_SOURCE /* memmem */
#include <string.h>
#include <strings.h>

#include "multipart.h"
#include "web.h"

#define MP_HEADERS_MAX 8192 /* bytes of one part's headers */

static bool
prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

bool
mp_is_form(const char *ctype)
{
	size_t n = strlen("multipart/form-data");

	/* the type ends there: "multipart/form-dataX" is another */
	return ctype != NULL && prefix_ci(ctype, "multipart/form-data") &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' ||
		ctype[n] == '\t');
}

/*
 * The value of parameter key in a header value: the parameters after the
 * first ';' are read in order, each key=token or key="quoted", where \
 * escapes the next character and a ';' separates nothing (a filename
 * "a; name=x" is no name parameter). The value is copied into the arena;
 * NULL if absent. *bad set for an unclosed quote or a NUL in the value.
 */
static const char *
param(struct arena *a, const char *h, size_t n, const char *key, bool *bad)
{
	const char *p = memchr(h, ';', n), *end = h + n, *k;
	size_t klen = strlen(key);
	char *out = NULL, *o = NULL;
	bool hit;

	while (p != NULL && p < end) {
		for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		for (k = p; p < end && *p != '=' && *p != ';'; p++)
			;
		if (p >= end || *p == ';')
			continue; /* a parameter without a value */
		hit = (size_t)(p - k) == klen && strncasecmp(k, key, klen) == 0;
		if (hit)
			out = o = arena_alloc(a, (size_t)(end - p) + 1);
		if (++p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				if (hit)
					*o++ = *p;
			}
			if (p >= end) {
				*bad = true;
				return NULL;
			}
			p++;
		} else {
			for (; p < end && *p != ';' && *p != ' ' && *p != '\t';
			     p++)
				if (hit)
					*o++ = *p;
		}
		if (hit) {
			*o = '\0';
			if (memchr(out, '\0', (size_t)(o - out)) != NULL) {
				*bad = true;
				return NULL;
			}
			return out;
		}
		p = memchr(p, ';', (size_t)(end - p));
	}
	return NULL;
}

/* The part's headers h[0..n): its name and filename. */
static int
part_headers(struct arena *a, const char *h, size_t n, struct mp_part *p,
    struct gr_err *err)
{
	const char *line = h, *end = h + n, *eol;
	bool bad = false, seen = false;

	p->name = "";
	p->filename = NULL;
	while (line < end) {
		eol = memmem(line, (size_t)(end - line), "\r\n", 2);
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - line) > 20 &&
		    prefix_ci(line, "Content-Disposition:")) {
			const char *name = param(a, line, (size_t)(eol - line),
			    "name", &bad);

			p->filename = param(a, line, (size_t)(eol - line),
			    "filename", &bad);
			if (name != NULL)
				p->name = name;
			seen = true;
		}
		line = eol + 2;
	}
	if (bad || !seen)
		return gr_fail(err, GR_VALUE_ERROR,
		    "a multipart part without a well-formed "
		    "Content-Disposition");
	return GR_OK;
}

int
mp_parse(struct arena *a, const char *ctype, const char *body, size_t len,
    struct mp_part *parts, size_t max, size_t *n, struct gr_err *err)
{
	char delim[MP_BOUNDARY_MAX + 5];
	const char *b, *p, *end = body + len, *hend, *next;
	size_t blen, dlen;
	bool bad = false;
	int rc;

	*n = 0;
	if (!mp_is_form(ctype))
		return gr_fail(err, GR_VALUE_ERROR, "not multipart/form-data");
	b = param(a, ctype, strlen(ctype), "boundary", &bad);
	if (b == NULL || bad || (blen = strlen(b)) == 0 ||
	    blen > MP_BOUNDARY_MAX)
		return gr_fail(err, GR_VALUE_ERROR,
		    "multipart/form-data without a valid boundary");
	/* "\r\n--" boundary; the body's first delimiter lacks the CRLF */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, b, blen);
	dlen = blen + 4;
	if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0)
		return gr_fail(err, GR_VALUE_ERROR,
		    "the multipart body does not start with its boundary");
	p = body + dlen - 2;
	for (;;) {
		if (end - p >= 2 && memcmp(p, "--", 2) == 0)
			return GR_OK; /* the closing delimiter */
		/* RFC 2046's transport padding: blanks before the CRLF */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
			break;
		p += 2;
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL || hend - p > MP_HEADERS_MAX)
			break;
		next = memmem(hend + 4, (size_t)(end - hend - 4), delim, dlen);
		if (next == NULL)
			break;
		if (*n == max)
			return gr_fail(err, GR_VALUE_ERROR,
			    "more than %zu parts in the multipart body", max);
		if ((rc = part_headers(a, p, (size_t)(hend - p) + 2, &parts[*n],
			 err)) != GR_OK)
			return rc;
		parts[*n].data = hend + 4;
		parts[*n].len = (size_t)(next - hend - 4);
		(*n)++;
		p = next + dlen;
	}
	return gr_fail(err, GR_VALUE_ERROR,
	    "the multipart body is truncated or malformed");
}

#define FORM_URLENCODED "application/x-www-form-urlencoded"

bool
mp_is_any_form(const char *ctype)
{
	return mp_is_form(ctype) ||
	    (ctype != NULL &&
		strncasecmp(ctype, FORM_URLENCODED,
		    sizeof(FORM_URLENCODED) - 1) == 0);
}

int
mp_form(struct web_req *r, struct mp_part **parts, size_t *n)
{
	const char *ctype = web_env(r, "CONTENT_TYPE"), *body;
	struct mp_part *p;
	size_t i, len;
	char *v;
	int rc;

	*n = 0;
	if (mp_is_form(ctype)) {
		p = arena_alloc(&r->arena, MP_PARTS_MAX * sizeof(*p));
		if ((rc = web_body(r, &body, &len)) != GR_OK ||
		    (rc = mp_parse(&r->arena, ctype, body, len, p, MP_PARTS_MAX,
			 n, &r->err)) != GR_OK)
			return rc;
		for (i = 0; i < *n; i++) {
			if (p[i].filename != NULL)
				continue;
			v = arena_alloc(&r->arena, p[i].len + 1);
			memcpy(v, p[i].data, p[i].len);
			v[p[i].len] = '\0';
			p[i].data = v;
		}
		*parts = p;
		return GR_OK;
	}
	if (!mp_is_any_form(ctype))
		return gr_fail(&r->err, GR_UNSUPPORTED_MEDIA,
		    "a form is sent as multipart/form-data "
		    "or " FORM_URLENCODED);
	if ((rc = web_read_form(r)) != GR_OK)
		return rc;
	p = arena_alloc(&r->arena, (r->nquery + 1) * sizeof(*p));
	for (i = 0; i < r->nquery; i++) {
		p[i].name = r->query[i].key;
		p[i].filename = NULL;
		p[i].data = r->query[i].value;
		p[i].len = strlen(r->query[i].value);
	}
	*n = r->nquery;
	*parts = p;
	return GR_OK;
}
