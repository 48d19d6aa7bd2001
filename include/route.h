/*
 * route.h -- paths and route tables (web layer, no FastCGI). The raw path
 * is split on '/' first and each segment percent-decoded afterwards, so a
 * %2F inside a DID name never splits it. Route tables are data; the first
 * match wins.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "err.h"

enum web_method {
	WEB_GET = 0x01,
	WEB_HEAD = 0x02,
	WEB_POST = 0x04,
	WEB_PUT = 0x08,
	WEB_DELETE = 0x10,
	WEB_PATCH = 0x20,
	WEB_OPTIONS = 0x40
};

/* route flags */
#define WEB_PUBLIC 0x1 /* needs no token */
#define WEB_STREAM 0x2 /* answers application/x-json-stream */
#define WEB_ANY    0x4 /* answers a type of its own: no Accept check */
#define WEB_OAUTH  0x8 /* errors in RFC 6749 form: {"error", ...} */
/* a token is optional: without one, when the family admits anonymous
   callers (web_allow_anonymous), the caller is ACCOUNT_ANONYMOUS */
#define WEB_TOKEN_OPTIONAL 0x10

#define ROUTE_SEGS_MAX   64   /* segments in a path */
#define ROUTE_PARAMS_MAX 8    /* parameters in a pattern */
#define ROUTE_URI_MAX    4096 /* raw path bytes */

struct web_req;
typedef int (*web_handler_fn)(struct web_req *r);

/*
 * A route: method, pattern and handler. Patterns are "/"-separated
 * segments: a literal, "{name}" (one segment) or "{name*}" (one or more
 * segments, joined with "/"; at most one per pattern, and the segments
 * after it must match the end of the path). A trailing slash on the path
 * is ignored, as Rucio clients use both forms. Tables end with a zero
 * entry.
 *
 * A handler is named <resource>_<action> after its path, the resource in
 * the plural (dids_attach, rses_get, tasks_stop, dirs_meta_get), so it
 * never reads like the core function it calls: core prefixes are
 * singular (did_, rse_, task_, fc_). A family's other static helpers
 * take neither form (reply_task, attachment_rse).
 */
struct web_route {
	unsigned method;
	const char *pattern;
	web_handler_fn fn;
	unsigned flags;
};

struct route_param {
	const char *name; /* points into the pattern, not NUL-terminated */
	size_t name_len;
	const char *value; /* decoded, NUL-terminated, in the arena */
};

struct route_path {
	char *segs[ROUTE_SEGS_MAX]; /* decoded, in the arena */
	size_t nseg;
};

/*
 * Split a raw path ("/a/b%2Fc/") into decoded segments. Fails with
 * GR_INVALID_PATH (bad escape, %00, invalid UTF-8, empty segment inside the
 * path) or GR_URI_TOO_LONG.
 */
int route_split(struct arena *a, const char *raw, struct route_path *p,
    struct gr_err *err);

/*
 * Percent-decode s[0..n) into a new arena string; '+' becomes a space when
 * plus_space (query strings). Returns -1 on a bad escape, a control
 * character (%00-%1F, %7F) or invalid UTF-8 in the result.
 */
int route_decode(struct arena *a, const char *s, size_t n, bool plus_space,
    char **out);

enum route_result { ROUTE_NONE, ROUTE_WRONG_METHOD, ROUTE_FOUND };

/*
 * Find the route for method and path. ROUTE_FOUND sets *out and params;
 * otherwise *allowed is the mask of methods some route accepts for this
 * path (0 for ROUTE_NONE). HEAD is served by GET routes.
 */
enum route_result route_match(const struct web_route *routes, unsigned method,
    const struct route_path *p, struct arena *a, const struct web_route **out,
    struct route_param params[ROUTE_PARAMS_MAX], size_t *nparams,
    unsigned *allowed);

/* Method name -> enum web_method, or 0. */
unsigned route_method(const char *name);

/* "GET, POST" for a mask, in the arena. */
char *route_allow_header(struct arena *a, unsigned mask);

#endif /* ROUTE_H */
