/*
 * web.h -- the FastCGI side of every family: the accept loop, requests,
 * responses and the one error writer. Handlers parse and validate input,
 * call core, and answer through these functions; they never touch the
 * store.
 *
 * A handler either writes a whole response and returns GR_OK, or writes
 * nothing and returns a code recorded in r->err (gr_fail); the dispatcher
 * then writes the error. Everything web_* returns about a request is
 * borrowed until the response is finished.
 */
#ifndef WEB_H
#define WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "arena.h"
#include "err.h"
#include "route.h"
#include "valid.h"

#define WEB_QUERY_MAX   64 /* query parameters */
#define WEB_HEADERS_MAX 16 /* extra response headers */

struct web_kv {
	const char *key, *value;
};

struct web_req {
	FCGX_Request fcgx;
	struct arena arena;
	struct gr_err err;
	const struct web_route *route;
	unsigned method;
	struct route_path path;
	struct route_param params[ROUTE_PARAMS_MAX];
	size_t nparams;
	struct web_kv query[WEB_QUERY_MAX];
	size_t nquery;
	struct web_kv headers[WEB_HEADERS_MAX]; /* extra, for the reply */
	size_t nheaders;
	const char *issuer;   /* the token's account, once authenticated */
	const char *identity; /* the token's identity */
	const char *group;    /* the token's OAuth2 group, or "" */
	const char *setup;    /* the token's OAuth2 setup, or "" */
	bool anonymous; /* no token, on a WEB_TOKEN_OPTIONAL route: the issuer
			   is ACCOUNT_ANONYMOUS */
	char reqid[24];
	int status;       /* status sent, 0 before */
	bool client_gone; /* a write failed */
	size_t body_len;  /* CONTENT_LENGTH */
};

/*
 * Serve the family: load settings, open the store, then accept and
 * dispatch requests until SIGTERM/SIGINT. Returns the process exit status.
 */
int web_main(const char *family, const struct web_route *routes);

/*
 * fn runs after each request of web_main, once its answer went out (the
 * client waits for nothing), under the request's watchdog: periodic work
 * of a family, which fn keeps short and rate-limits itself. NULL: none.
 */
void web_after_requests(void (*fn)(void));

/*
 * Admit callers without a token on the family's WEB_TOKEN_OPTIONAL routes
 * (off: those routes want a token like any other, 401 without). A token
 * sent is checked as everywhere, anonymous or not; a bad one (forged,
 * expired, revoked) is 403 Forbidden on those routes, on or off, as
 * DRMAAtic answers it.
 */
void web_allow_anonymous(bool on);

/* Handle one accepted request (also used by tests). */
void web_dispatch(struct web_req *r, const struct web_route *routes);

/* A path parameter of the matched route, or NULL. */
const char *web_param(const struct web_req *r, const char *name);

/* Whether the request's path ends with '/' (routes ignore it; a few
   Rucio routes tell "/meta_conventions/k" from ".../k/" by it). */
bool web_trailing_slash(const struct web_req *r);

/* The first value of a query parameter, or NULL. */
const char *web_query(const struct web_req *r, const char *key);

/* A CGI variable ("REQUEST_METHOD", "HTTP_X_RUCIO_ACCOUNT"), or NULL. */
const char *web_env(const struct web_req *r, const char *name);

/*
 * The subject DN of a client certificate lighttpd verified, in the grid's
 * slash form ("/C=CH/O=Site/CN=Name"), or NULL (no certificate, or it did
 * not verify).
 */
const char *web_client_dn(struct web_req *r);

/*
 * The request body, read once, NUL-terminated (a NUL inside is allowed;
 * *len tells the length). GR_OK, or a failure recorded in r->err.
 */
int web_body(struct web_req *r, const char **body, size_t *len);

/*
 * *out: new reference to the body parsed as JSON (an empty body is an
 * empty object when empty_ok). Fails with ValueError for text that is not
 * JSON and TypeError when the body is not of the wanted type.
 */
int web_body_object(struct web_req *r, bool empty_ok, json_t **out);

/*
 * web_body_object(r, false, body), and *member borrowed from it: its
 * member key, which may be null but must be there (KeyError "'key' not
 * defined"). On failure *body is NULL: nothing to release.
 */
int web_body_member(struct web_req *r, const char *key, json_t **body,
    const json_t **member);

/* The body as any JSON value (a list, say) into *out, a new reference;
   400 ValueError if it is not JSON. */
int web_body_json(struct web_req *r, json_t **out);

/*
 * A string member of a JSON object: required members that are missing give
 * KeyError "'key' not defined", wrong types TypeError. *out borrowed from
 * obj; NULL for a missing optional member or a JSON null.
 */
int web_json_string(struct web_req *r, const json_t *obj, const char *key,
    bool required, const char **out);

/*
 * A boolean member, as Rucio reads them: JSON true/false, 0/1, or the
 * strings "true"/"false"/"1"/"0" in any case; missing or null gives dflt.
 * Anything else: TypeError "'key' must be a boolean type.".
 */
int web_json_bool(struct web_req *r, const json_t *obj, const char *key,
    bool dflt, bool *out);

/* The same for a query parameter (true/false in any case, 1/0). */
int web_query_bool(struct web_req *r, const char *key, bool dflt, bool *out);

/*
 * Read an application/x-www-form-urlencoded body and add its fields to the
 * query parameters (web_query() then finds either). GR_OK or a failure.
 */
int web_read_form(struct web_req *r);

/* s with &<>"' escaped for HTML text and attributes, in the arena. */
const char *web_html(struct web_req *r, const char *s);

/* s percent-encoded for a URI query value (RFC 3986 unreserved kept). */
const char *web_urlencode(struct web_req *r, const char *s);

/* Add a response header (both strings copied). */
void web_add_header(struct web_req *r, const char *name, const char *value);

/* Responses. Each writes the whole response and returns GR_OK. */
int web_reply_json_new(struct web_req *r, int status,
    json_t *body);                        /* steals */
int web_reply_created(struct web_req *r); /* 201, "Created" */
int web_reply_text(struct web_req *r, int status, const char *ctype,
    const char *body, size_t len);
int web_reply_redirect(struct web_req *r, int status, const char *location);

/*
 * Streams (application/x-json-stream): headers go out with the first item
 * or at web_stream_end(), so a handler can still fail before that. item is
 * borrowed. web_emit is the gr_emit_fn for core's listings (ctx = r).
 */
int web_stream_item(struct web_req *r, const json_t *item);
int web_stream_end(struct web_req *r);

/* A piece of a streamed body of another type (the first sends the
   headers with ctype). */
int web_stream_text(struct web_req *r, const char *ctype, const char *s,
    size_t n);

/* The status line and headers of a body of len bytes (len < 0: no
   Content-Length) that web_stream_text() then writes (the tasks
   family's files). */
int web_stream_head(struct web_req *r, int status, const char *ctype,
    long long len);

/* Does the request's Accept header admit type ("a/b")? (none: yes) */
bool web_accepts(const struct web_req *r, const char *type);
int web_emit(json_t *item, void *ctx);
int web_emit_text(const char *line, size_t n, void *ctx); /* a text item */

/* The error writer: status, ExceptionClass/ExceptionMessage, JSON body. */
void web_reply_error(struct web_req *r);

#endif /* WEB_H */
