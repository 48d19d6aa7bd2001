/*
 * web.c -- FastCGI loop, request accessors, responses, the error writer and
 * the dispatcher (route, limits, Accept, token) shared by every family.
 * Calls core (token) and nothing below it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "account.h"
#include "cfg.h"
#include "identity.h"
#include "log.h"
#include "mover.h"
#include "reaper.h"
#include "store.h"
#include "store_keeper.h"
#include "store_repl.h"
#include "token.h"
#include "util.h"
#include "template.h"
#include "web.h"
#include "web_fwd.h"
#include "store_repl.h"

#define WEB_ARENA_CHUNK    16384
#define WEB_MSG_HEADER_MAX 125 /* Rucio cuts ExceptionMessage headers here */

#define CT_JSON   "application/json"
#define CT_STREAM "application/x-json-stream"
#define CT_ERROR  "application/octet-stream" /* Rucio's, for errors */
#define CT_HTML   "text/html; charset=utf-8"

static volatile sig_atomic_t web_stop;
static bool web_anonymous; /* web_allow_anonymous */

void
web_allow_anonymous(bool on)
{
	web_anonymous = on;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 414:
		return "URI Too Long";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

const char *
web_env(const struct web_req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx.envp);
}

const char *
web_param(const struct web_req *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nparams; i++)
		if (r->params[i].name_len == n &&
		    memcmp(r->params[i].name, name, n) == 0)
			return r->params[i].value;
	return NULL;
}

const char *
web_query(const struct web_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, key) == 0)
			return r->query[i].value;
	return NULL;
}

/* The subject DN of a PEM certificate in RFC 4514 form, in the arena. */
static char *
cert_dn(struct web_req *r, const char *pem)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t in, dn = { NULL, 0 };
	char *out = NULL;

	in.data = (unsigned char *)(uintptr_t)pem;
	in.size = (unsigned)strlen(pem);
	if (gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0)
		out = arena_strndup(&r->arena, (const char *)dn.data, dn.size);
	gnutls_free(dn.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return out;
}

const char *
web_client_dn(struct web_req *r)
{
	const char *verify = web_env(r, "SSL_CLIENT_VERIFY");
	const char *pem = web_env(r, "SSL_CLIENT_CERT");
	const char *dn = NULL;
	char *out;

	if (verify == NULL || strcmp(verify, "SUCCESS") != 0)
		return NULL;
	/* the certificate itself has the whole DN; lighttpd's
	   SSL_CLIENT_S_DN is cut at 255 bytes */
	if (pem != NULL && *pem != '\0')
		dn = cert_dn(r, pem);
	if (dn == NULL)
		dn = web_env(r, "SSL_CLIENT_S_DN");
	if (dn == NULL || *dn == '\0')
		return NULL;
	out = arena_alloc(&r->arena, IDENTITY_MAX + 1);
	if (identity_dn_canonical(dn, out, IDENTITY_MAX + 1) != 0)
		return NULL;
	return out;
}

void
web_add_header(struct web_req *r, const char *name, const char *value)
{
	if (r->nheaders == WEB_HEADERS_MAX) {
		log_msg(LOG_ERR, "too many response headers; %s dropped", name);
		return;
	}
	r->headers[r->nheaders].key = arena_strdup(&r->arena, name);
	r->headers[r->nheaders].value = arena_strdup(&r->arena, value);
	r->nheaders++;
}

static void
put(struct web_req *r, const char *s, size_t n)
{
	if (r->client_gone || n == 0)
		return;
	if (FCGX_PutStr(s, (int)n, r->fcgx.out) != (int)n)
		r->client_gone = true;
}

/* Status line and headers; len < 0 means "no Content-Length" (streams). */
static void
put_head(struct web_req *r, int status, const char *ctype, long len)
{
	char buf[512], token[ST_REPL_TOKEN_HEX];
	size_t i;
	int n;

	r->status = status;
	n = snprintf(buf, sizeof(buf),
	    "Status: %d %s\r\nContent-Type: %s\r\nX-Request-Id: %s\r\n", status,
	    reason(status), ctype, r->reqid);
	put(r, buf, (size_t)n);
	if (len >= 0) {
		n = snprintf(buf, sizeof(buf), "Content-Length: %ld\r\n", len);
		put(r, buf, (size_t)n);
	}
	if (st_repl_on() && st_repl_token_hex(token)) {
		/* the commit of the request's last write: a replica that
		   forwarded it waits until it has applied it */
		put(r, FWD_COMMIT_HEADER ": ", sizeof(FWD_COMMIT_HEADER) + 1);
		put(r, token, strlen(token));
		put(r, "\r\n", 2);
	}
	for (i = 0; i < r->nheaders; i++) {
		put(r, r->headers[i].key, strlen(r->headers[i].key));
		put(r, ": ", 2);
		put(r, r->headers[i].value, strlen(r->headers[i].value));
		put(r, "\r\n", 2);
	}
	put(r, "\r\n", 2);
}

static void
put_body(struct web_req *r, const char *body, size_t len)
{
	if (r->method != WEB_HEAD)
		put(r, body, len);
}

int
web_reply_text(struct web_req *r, int status, const char *ctype,
    const char *body, size_t len)
{
	put_head(r, status, ctype, (long)len);
	put_body(r, body, len);
	return GR_OK;
}

int
web_reply_json_new(struct web_req *r, int status, json_t *body)
{
	char small[4096], *buf = small;
	size_t n;

	n = json_dumpb(body, small, sizeof(small), JSON_COMPACT);
	if (n > sizeof(small)) {
		buf = xmalloc(n);
		n = json_dumpb(body, buf, n, JSON_COMPACT);
	}
	json_decref(body);
	put_head(r, status, CT_JSON, (long)n);
	put_body(r, buf, n);
	if (buf != small)
		free(buf);
	return GR_OK;
}

int
web_reply_created(struct web_req *r)
{
	return web_reply_text(r, 201, CT_HTML, "Created", 7);
}

int
web_reply_redirect(struct web_req *r, int status, const char *location)
{
	web_add_header(r, "Location", location);
	return web_reply_text(r, status, CT_HTML, "", 0);
}

int
web_stream_item(struct web_req *r, const json_t *item)
{
	char small[4096], *buf = small;
	size_t n;

	if (r->status == 0)
		put_head(r, 200, CT_STREAM, -1);
	n = json_dumpb(item, small, sizeof(small) - 1, JSON_COMPACT);
	if (n > sizeof(small) - 1) {
		buf = xmalloc(n + 1);
		n = json_dumpb(item, buf, n + 1, JSON_COMPACT);
	}
	buf[n++] = '\n';
	put_body(r, buf, n);
	if (buf != small)
		free(buf);
	if (r->client_gone)
		return gr_fail(&r->err, GR_UNAVAILABLE, "client went away");
	return GR_OK;
}

int
web_stream_text(struct web_req *r, const char *ctype, const char *s, size_t n)
{
	if (r->status == 0)
		put_head(r, 200, ctype, -1);
	put_body(r, s, n);
	if (r->client_gone)
		return gr_fail(&r->err, GR_UNAVAILABLE, "client went away");
	return GR_OK;
}

int
web_stream_head(struct web_req *r, int status, const char *ctype, long long len)
{
	put_head(r, status, ctype, (long)len);
	return r->client_gone
	    ? gr_fail(&r->err, GR_UNAVAILABLE, "client went away")
	    : GR_OK;
}

int
web_stream_end(struct web_req *r)
{
	if (r->status == 0)
		put_head(r, 200, CT_STREAM, -1);
	return GR_OK;
}

int
web_emit(json_t *item, void *ctx)
{
	return web_stream_item(ctx, item);
}

int
web_emit_text(const char *line, size_t n, void *ctx)
{
	struct web_req *r = ctx;

	if (r->status == 0)
		put_head(r, 200, CT_STREAM, -1);
	put_body(r, line, n);
	put_body(r, "\n", 1);
	if (r->client_gone)
		return gr_fail(&r->err, GR_UNAVAILABLE, "client went away");
	return GR_OK;
}

/* Longest prefix of s[0..n) that is whole UTF-8 characters. */
static size_t
utf8_prefix(const char *s, size_t n)
{
	while (n > 0 && !utf8_valid(s, n))
		n--;
	return n;
}

/* The RFC 6749 error code for a failure on an OAuth2 route. */
static const char *
web_oauth_error(enum gr_code code, int status)
{
	if (code >= GR_OAUTH_INVALID_REQUEST && code <= GR_OAUTH_INVALID_TOKEN)
		return gr_err_class(code);
	if (code == GR_CANNOT_AUTHENTICATE)
		return "invalid_token";
	if (status == 503)
		return "temporarily_unavailable";
	if (status >= 500)
		return "server_error";
	return "invalid_request";
}

void
web_reply_error(struct web_req *r)
{
	enum gr_code code = r->err.code != GR_OK ? r->err.code : GR_INTERNAL;
	const char *cls = gr_err_class(code);
	char hdr[WEB_MSG_HEADER_MAX + 4], *msg, *text;
	const char *ctype;
	json_t *body;
	size_t n, i;
	int status = gr_err_status(code);

	msg = r->err.msg[0] != '\0' ? r->err.msg : arena_strdup(&r->arena, cls);
	n = utf8_prefix(msg, strlen(msg));
	msg[n] = '\0';
	/* the header: one line of printable ASCII, cut as Rucio cuts it */
	for (i = 0; i < n && i < WEB_MSG_HEADER_MAX; i++) {
		unsigned char c = (unsigned char)msg[i];

		hdr[i] = (c < 0x20 || c >= 0x7f)
		    ? (c == '\r' || c == '\n' || c == '\t' ? ' ' : '?')
		    : (char)c;
	}
	if (n > WEB_MSG_HEADER_MAX) {
		memcpy(hdr + i, "...", 3);
		i += 3;
	}
	hdr[i] = '\0';
	web_add_header(r, "ExceptionClass", cls);
	web_add_header(r, "ExceptionMessage", hdr);
	if (r->route != NULL && (r->route->flags & WEB_OAUTH)) {
		/* RFC 6749 5.2: the protocol's own error object */
		web_add_header(r, "Cache-Control", "no-store");
		body = json_pack("{s:s, s:s}", "error",
		    web_oauth_error(code, status), "error_description", msg);
		ctype = CT_JSON;
	} else {
		body = json_pack("{s:s, s:s}", "ExceptionClass", cls,
		    "ExceptionMessage", msg);
		ctype = CT_ERROR;
	}
	text = json_dumps(body, JSON_COMPACT);
	put_head(r, status, ctype, (long)strlen(text));
	put_body(r, text, strlen(text));
	free(text);
	json_decref(body);
	if (status >= 500)
		log_msg(LOG_ERR, "%d %s: %s", status, cls, msg);
	else
		log_msg(LOG_DEBUG, "%d %s: %s", status, cls, msg);
}

int
web_body(struct web_req *r, const char **body, size_t *len)
{
	static const char empty[] = "";
	char *buf;
	size_t got = 0;

	*body = empty;
	*len = 0;
	if (r->body_len == 0)
		return GR_OK;
	buf = arena_alloc(&r->arena, r->body_len + 1);
	while (got < r->body_len) {
		int n = FCGX_GetStr(buf + got, (int)(r->body_len - got),
		    r->fcgx.in);

		if (n <= 0)
			return gr_fail(&r->err, GR_VALUE_ERROR,
			    "request body shorter than its Content-Length");
		got += (size_t)n;
	}
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return GR_OK;
}

int
web_body_object(struct web_req *r, bool empty_ok, json_t **out)
{
	const char *body;
	json_error_t jerr;
	size_t len, i;
	int rc;

	*out = NULL;
	if ((rc = web_body(r, &body, &len)) != GR_OK)
		return rc;
	for (i = 0; i < len && strchr(" \t\r\n", body[i]) != NULL; i++)
		;
	if (i == len && empty_ok) {
		*out = json_object();
		return GR_OK;
	}
	*out = json_loadb(body, len, 0, &jerr);
	if (*out == NULL)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "cannot decode json parameter dictionary: %s", jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return gr_fail(&r->err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	}
	return GR_OK;
}

int
web_body_member(struct web_req *r, const char *key, json_t **body,
    const json_t **member)
{
	int rc;

	*member = NULL;
	if ((rc = web_body_object(r, false, body)) != GR_OK)
		return rc;
	if ((*member = json_object_get(*body, key)) == NULL) {
		json_decref(*body);
		*body = NULL;
		return gr_fail(&r->err, GR_KEY_ERROR, "'%s' not defined", key);
	}
	return GR_OK;
}

int
web_body_json(struct web_req *r, json_t **out)
{
	const char *body;
	json_error_t jerr;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = web_body(r, &body, &len)) != GR_OK)
		return rc;
	if ((*out = json_loadb(body, len, JSON_DECODE_ANY, &jerr)) == NULL)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "cannot decode the body as JSON: %s", jerr.text);
	return GR_OK;
}

int
web_json_string(struct web_req *r, const json_t *obj, const char *key,
    bool required, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return gr_fail(&r->err, GR_KEY_ERROR,
			    "'%s' not defined", key);
		return GR_OK;
	}
	if (!json_is_string(v))
		return gr_fail(&r->err, GR_TYPE_ERROR, "'%s' must be a string",
		    key);
	*out = json_string_value(v);
	return GR_OK;
}

int
web_json_bool(struct web_req *r, const json_t *obj, const char *key, bool dflt,
    bool *out)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return GR_OK;
	}
	if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return GR_OK;
	}
	if (s != NULL && (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)) {
		*out = true;
		return GR_OK;
	}
	if (s != NULL && (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)) {
		*out = false;
		return GR_OK;
	}
	return gr_fail(&r->err, GR_TYPE_ERROR, "'%s' must be a boolean type.",
	    key);
}

bool
web_trailing_slash(const struct web_req *r)
{
	const char *uri = web_env(r, "REQUEST_URI");
	size_t n;

	if (uri == NULL)
		return false;
	n = strcspn(uri, "?");
	return n > 1 && uri[n - 1] == '/';
}

int
web_query_bool(struct web_req *r, const char *key, bool dflt, bool *out)
{
	const char *s = web_query(r, key);

	*out = dflt;
	if (s == NULL)
		return GR_OK;
	if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return gr_fail(&r->err, GR_TYPE_ERROR,
		    "'%s' must be a boolean type.", key);
	return GR_OK;
}

/* Query string -> r->query, decoded ('+' is a space). */
static int
parse_query(struct web_req *r, const char *qs)
{
	const char *s = qs, *amp, *eq;

	while (s != NULL && *s != '\0') {
		size_t len;
		char *k, *v;

		amp = strchr(s, '&');
		len = amp != NULL ? (size_t)(amp - s) : strlen(s);
		if (len > 0) {
			if (r->nquery == WEB_QUERY_MAX)
				return gr_fail(&r->err, GR_VALUE_ERROR,
				    "more than %d query parameters",
				    WEB_QUERY_MAX);
			eq = memchr(s, '=', len);
			if (route_decode(&r->arena, s,
				eq != NULL ? (size_t)(eq - s) : len, true,
				&k) != 0 ||
			    route_decode(&r->arena,
				eq != NULL ? eq + 1 : s + len,
				eq != NULL ? len - (size_t)(eq - s) - 1 : 0,
				true, &v) != 0)
				return gr_fail(&r->err, GR_VALUE_ERROR,
				    "bad percent-escape, NUL byte or invalid "
				    "UTF-8 in the query string");
			r->query[r->nquery].key = k;
			r->query[r->nquery].value = v;
			r->nquery++;
		}
		s = amp != NULL ? amp + 1 : NULL;
	}
	return GR_OK;
}

int
web_read_form(struct web_req *r)
{
	const char *body;
	size_t len;
	int rc;

	if ((rc = web_body(r, &body, &len)) != GR_OK)
		return rc;
	if (strlen(body) != len)
		return gr_fail(&r->err, GR_VALUE_ERROR, "NUL byte in the form");
	return parse_query(r, body);
}

const char *
web_html(struct web_req *r, const char *s)
{
	return tmpl_html(&r->arena, s);
}

const char *
web_urlencode(struct web_req *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	char *out, *p;

	if (s == NULL)
		return "";
	out = p = arena_alloc(&r->arena, 3 * strlen(s) + 1);
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

/* Does one media range of an Accept header admit type ("a/b")? */
static bool
range_admits(const char *range, size_t n, const char *type)
{
	const char *semi = memchr(range, ';', n), *p, *end = range + n;
	size_t mlen = semi != NULL ? (size_t)(semi - range) : n;
	size_t tlen = (size_t)(strchr(type, '/') - type);

	/* parameters: only q matters, and q=0 refuses */
	for (p = semi; p != NULL && p < end;) {
		const char *next = memchr(p + 1, ';', (size_t)(end - p - 1));

		p++;
		while (p < end && *p == ' ')
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=' && strtod(p + 2, NULL) <= 0.0)
			return false;
		p = next;
	}
	while (mlen > 0 && (range[mlen - 1] == ' ' || range[mlen - 1] == '\t'))
		mlen--;
	if (mlen == 3 && memcmp(range, "*/*", 3) == 0)
		return true;
	if (mlen == tlen + 2 && strncasecmp(range, type, tlen + 1) == 0 &&
	    range[tlen + 1] == '*')
		return true;
	return mlen == strlen(type) && strncasecmp(range, type, mlen) == 0;
}

static bool
accepts(const char *accept, const char *type)
{
	const char *s = accept, *comma;

	if (accept == NULL || *accept == '\0')
		return true;
	for (;;) {
		size_t n;

		while (*s == ' ' || *s == '\t')
			s++;
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n > 0 && range_admits(s, n, type))
			return true;
		if (comma == NULL)
			return false;
		s = comma + 1;
	}
}

bool
web_accepts(const struct web_req *r, const char *type)
{
	return accepts(web_env(r, "HTTP_ACCEPT"), type);
}

/* The token, from X-Rucio-Auth-Token, Authorization: Bearer, or the query. */
static const char *
find_token(const struct web_req *r)
{
	const char *t = web_env(r, "HTTP_X_RUCIO_AUTH_TOKEN");

	if (t != NULL && *t != '\0')
		return t;
	t = web_env(r, "HTTP_AUTHORIZATION");
	if (t != NULL && strncasecmp(t, "Bearer ", 7) == 0) {
		t += 7;
		while (*t == ' ')
			t++;
		if (*t != '\0')
			return t;
	}
	t = web_query(r, "access_token");
	return t != NULL && *t != '\0' ? t : NULL;
}

static int
authenticate(struct web_req *r)
{
	struct token_info info;
	const char *token = find_token(r);
	int rc;

	if (token == NULL)
		return gr_fail(&r->err, GR_CANNOT_AUTHENTICATE,
		    "No auth token given: send X-Rucio-Auth-Token or "
		    "Authorization: Bearer");
	if ((rc = token_validate(token, &info, &r->err)) != GR_OK)
		return rc;
	r->issuer = arena_strdup(&r->arena, info.account);
	r->identity = arena_strdup(&r->arena, info.identity);
	r->group = arena_strdup(&r->arena, info.group);
	r->setup = arena_strdup(&r->arena, info.setup);
	return GR_OK;
}

/* Everything the dispatcher checks before a handler runs. */
static int
prepare(struct web_req *r, const struct web_route *routes)
{
	const char *method = web_env(r, "REQUEST_METHOD");
	const char *uri = web_env(r, "REQUEST_URI");
	const char *q, *cl, *type;
	enum route_result res;
	unsigned allowed;
	long len = 0;
	int rc;

	if (uri == NULL || *uri == '\0')
		uri = "/";
	if ((r->method = route_method(method)) == 0) {
		web_add_header(r, "Allow",
		    "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
		return gr_fail(&r->err, GR_METHOD_NOT_ALLOWED,
		    "method %.16s is not supported",
		    method != NULL ? method : "");
	}
	q = strchr(uri, '?');
	if ((q != NULL ? (size_t)(q - uri) : strlen(uri)) > ROUTE_URI_MAX)
		return gr_fail(&r->err, GR_URI_TOO_LONG,
		    "path longer than %d bytes", ROUTE_URI_MAX);
	rc = route_split(&r->arena,
	    q != NULL ? arena_strndup(&r->arena, uri, (size_t)(q - uri)) : uri,
	    &r->path, &r->err);
	if (rc != GR_OK)
		return rc;
	if ((rc = parse_query(r, q != NULL ? q + 1 : NULL)) != GR_OK)
		return rc;
	res = route_match(routes, r->method, &r->path, &r->arena, &r->route,
	    r->params, &r->nparams, &allowed);
	if (res == ROUTE_NONE)
		return gr_fail(&r->err, GR_NOT_FOUND,
		    "no resource at this path");
	if (res == ROUTE_WRONG_METHOD) {
		web_add_header(r, "Allow",
		    route_allow_header(&r->arena, allowed));
		if (r->method == WEB_OPTIONS)
			return -1; /* answered by the dispatcher */
		return gr_fail(&r->err, GR_METHOD_NOT_ALLOWED,
		    "method %s is not allowed here", method);
	}
	cl = web_env(r, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0' &&
	    parse_long(cl, 0, (long)cfg.max_body, &len) != 0) {
		if (parse_long(cl, 0, __LONG_MAX__, &len) == 0)
			return gr_fail(&r->err, GR_BODY_TOO_LARGE,
			    "request body of %ld bytes is over the limit of "
			    "%zu",
			    len, cfg.max_body);
		return gr_fail(&r->err, GR_VALUE_ERROR, "bad Content-Length");
	}
	r->body_len = (size_t)len;
	if (!(r->route->flags & WEB_ANY)) {
		type = (r->route->flags & WEB_STREAM) ? CT_STREAM : CT_JSON;
		if (!accepts(web_env(r, "HTTP_ACCEPT"), type))
			return gr_fail(&r->err, GR_NOT_ACCEPTABLE,
			    "this resource answers %s only", type);
	}
	if (r->route->flags & WEB_PUBLIC)
		return GR_OK;
	if ((r->route->flags & WEB_TOKEN_OPTIONAL) && web_anonymous &&
	    find_token(r) == NULL) {
		r->anonymous = true;
		r->issuer = ACCOUNT_ANONYMOUS;
		r->identity = r->group = r->setup = "";
		return GR_OK;
	}
	rc = authenticate(r);
	/* DRMAAtic: a token sent that is bad (forged, expired, revoked) is
	   403, where its missing one would be no error (its authenticator
	   has no challenge, so DRF answers 403, not 401) */
	if (rc == GR_CANNOT_AUTHENTICATE &&
	    (r->route->flags & WEB_TOKEN_OPTIONAL) && find_token(r) != NULL)
		rc = r->err.code = GR_FORBIDDEN;
	return rc;
}

void
web_dispatch(struct web_req *r, const struct web_route *routes)
{
	static unsigned long counter;
	static pid_t pid; /* backends never return here in a child */
	int rc;

	r->route = NULL;
	r->nparams = r->nquery = r->nheaders = 0;
	r->issuer = r->identity = r->group = r->setup = NULL;
	r->anonymous = false;
	r->status = 0;
	r->client_gone = false;
	r->body_len = 0;
	gr_clear(&r->err);
	if (pid == 0)
		pid = getpid();
	(void)snprintf(r->reqid, sizeof(r->reqid), "%lx-%lx",
	    (unsigned long)pid, ++counter);
	log_set_reqid(r->reqid);

	if (st_repl_on()) {
		/* a replication site: a write goes to the master, and a
		   write's answer names its commit */
		st_repl_token_reset();
		if (fwd_after(r) != GR_OK) {
			web_reply_error(r);
			log_set_reqid(NULL);
			return;
		}
		if (fwd_wanted(r)) {
			if (fwd_request(r) != GR_OK && r->status == 0)
				web_reply_error(r);
			log_set_reqid(NULL);
			return;
		}
	}
	rc = prepare(r, routes);
	if (rc == -1) {
		(void)web_reply_text(r, 200, CT_HTML, "", 0);
	} else if (rc != GR_OK) {
		web_reply_error(r);
	} else {
		rc = r->route->fn(r);
		if (rc != GR_OK && r->status == 0 && st_repl_on() &&
		    r->err.code == GR_UNAVAILABLE && r->body_len == 0 &&
		    st_repl_role(true) != ST_ROLE_MASTER) {
			/* a read that writes (a token's GET /auth) on a
			   replica: the master answers it */
			gr_clear(&r->err);
			r->nheaders = 0;
			rc = fwd_request(r);
		}
		if (rc != GR_OK && r->status == 0)
			web_reply_error(r);
		else if (rc != GR_OK)
			log_msg(r->client_gone ? LOG_INFO : LOG_ERR,
			    "failed after the reply began: %s: %s",
			    gr_err_class(r->err.code), r->err.msg);
		else if (r->status == 0)
			log_msg(LOG_ERR, "handler wrote no response");
	}
	log_set_reqid(NULL);
}

/*
 * The watchdog, a one-second tick while a request runs. A backend can
 * block for good inside Berkeley DB when a sibling was killed while
 * holding one of the environment's mutexes: no signal wakes a
 * process-shared mutex wait. The tick ends the process when the request
 * outlives GRIDREST_REQUEST_TIMEOUT, or sooner, when the store it waits
 * in was recovered away by another process for two ticks in a row (a
 * process that is not blocked notices within one call and reopens).
 * Before it goes it answers the request 503 with Retry-After, when no
 * answer was begun (wd_answer), and lighttpd starts a fresh backend.
 * Only async-signal-safe calls here.
 */
static volatile sig_atomic_t wd_ticks, wd_limit, wd_stale;
/* the request being handled, while its connection is open: the tick
   answers it before the process leaves */
static struct web_req *volatile wd_req;

#define WD_RETRY_AFTER "1" /* lighttpd starts the next backend at once */

/* Append s to buf at *n, as far as it fits; async-signal-safe. */
static void
wd_cat(char *buf, size_t size, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (len > size - *n)
		len = size - *n;
	memcpy(buf + *n, s, len);
	*n += len;
}

/* The header of a FastCGI record of type and len bytes. */
static void
wd_record(unsigned char *h, int type, int id, size_t len)
{
	h[0] = 1; /* FCGI_VERSION_1 */
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)((id >> 8) & 0xff);
	h[3] = (unsigned char)(id & 0xff);
	h[4] = (unsigned char)((len >> 8) & 0xff);
	h[5] = (unsigned char)(len & 0xff);
	h[6] = 0; /* no padding */
	h[7] = 0;
}

/*
 * Answer the request in hand with 503 ServiceUnavailable, Retry-After and
 * the usual error body, written straight to lighttpd as FastCGI records:
 * only when nothing of a response was written yet (libfcgi's buffer is
 * then empty too), and without ever waiting, since the socket may be
 * full. A write that cannot go out whole is given up: lighttpd then
 * answers the request itself, as before. Async-signal-safe.
 */
static void
wd_answer(const char *msg)
{
	struct web_req *r = wd_req;
	unsigned char out[2048];
	char body[512], len[24];
	size_t n = 0, nb = 0, hs, i, v;
	ssize_t w;
	const char *cls = gr_err_class(GR_SERVICE_UNAVAILABLE);

	if (r == NULL || r->status != 0 || r->fcgx.ipcFd < 0)
		return;
	wd_cat(body, sizeof(body), &nb, "{\"ExceptionClass\":\"");
	wd_cat(body, sizeof(body), &nb, cls);
	wd_cat(body, sizeof(body), &nb, "\",\"ExceptionMessage\":\"");
	wd_cat(body, sizeof(body), &nb, msg);
	wd_cat(body, sizeof(body), &nb, "\"}");
	i = sizeof(len) - 1;
	len[i] = '\0';
	v = r->method == WEB_HEAD ? 0 : nb;
	do {
		len[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && i > 0);
	n = 8;                 /* the STDOUT record's header goes in front */
	hs = sizeof(out) - 16; /* room for the closing records */
	wd_cat((char *)out, hs, &n,
	    "Status: 503 Service Unavailable\r\n"
	    "Content-Type: " CT_ERROR "\r\n"
	    "Retry-After: " WD_RETRY_AFTER "\r\n"
	    "X-Request-Id: ");
	wd_cat((char *)out, hs, &n, r->reqid);
	wd_cat((char *)out, hs, &n, "\r\nExceptionClass: ");
	wd_cat((char *)out, hs, &n, cls);
	wd_cat((char *)out, hs, &n, "\r\nExceptionMessage: ");
	wd_cat((char *)out, hs, &n, msg);
	wd_cat((char *)out, hs, &n, "\r\nContent-Length: ");
	wd_cat((char *)out, hs, &n, len + i);
	wd_cat((char *)out, hs, &n, "\r\n\r\n");
	if (r->method != WEB_HEAD) {
		if (nb > hs - n)
			return;
		memcpy(out + n, body, nb);
		n += nb;
	}
	wd_record(out, 6 /* FCGI_STDOUT */, r->fcgx.requestId, n - 8);
	wd_record(out + n, 6, r->fcgx.requestId, 0); /* end of stdout */
	n += 8;
	wd_record(out + n, 3 /* FCGI_END_REQUEST */, r->fcgx.requestId, 8);
	memset(out + n + 8, 0, 8); /* app status 0, FCGI_REQUEST_COMPLETE */
	n += 16;
	for (i = 0; i < n; i += (size_t)w) {
		w = send(r->fcgx.ipcFd, out + i, n - i,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			return;
	}
}

static void
wd_exit(const char *msg, size_t len, const char *answer)
{
	(void)!write(STDERR_FILENO, msg, len);
	wd_answer(answer);
	_exit(70);
}

static void
on_alarm(int sig)
{
	static const char late[] = "gridrest: a request outlived "
				   "GRIDREST_REQUEST_TIMEOUT; exiting so that "
				   "lighttpd starts a fresh backend\n";
	static const char stale[] = "gridrest: the store was recovered while "
				    "a request waited in it; exiting so that "
				    "lighttpd starts a fresh backend\n";

	(void)sig;
	if (++wd_ticks >= wd_limit)
		wd_exit(late, sizeof(late) - 1,
		    "The request took too long; the backend was restarted. "
		    "Try again.");
	if (!st_stale())
		wd_stale = 0;
	else if (++wd_stale >= 2)
		wd_exit(stale, sizeof(stale) - 1,
		    "The database was recovered while the request waited "
		    "in it; the backend was restarted. Try again.");
}

/* Arm the watchdog for limit seconds, or disarm it (0). */
static void
watchdog(unsigned limit)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	wd_ticks = 0;
	wd_stale = 0;
	wd_limit = (sig_atomic_t)(limit > 0 ? limit : 1);
	if (limit > 0) {
		it.it_value.tv_sec = 1;
		it.it_interval.tv_sec = 1;
	}
	(void)setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * libfcgi ends a connection with shutdown(), then waits in poll() for
 * lighttpd to close its side, reading away whatever still comes: a sleep
 * and a wake-up for every request, a sixth of a small request's cost.
 * On a Unix socket the wait only matters when input is left unread, or
 * still on its way: closing then resets the peer, which lighttpd logs as
 * a backend that died. So a request is detached, and libfcgi closes at
 * once, only when all its input is in: it had no body, or the handler
 * read the body to its end, and nothing else waits in the socket.
 * Otherwise (a body refused unread, an abort) it drains as before.
 */
static void
close_quickly(FCGX_Request *req)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	char c;

	if (cl != NULL && *cl != '\0' && strcmp(cl, "0") != 0 &&
	    (req->in == NULL || !FCGX_HasSeenEOF(req->in)))
		return;
	if (req->ipcFd > 0 &&
	    recv(req->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK))
		(void)FCGX_Detach(req);
}

static void
on_signal(int sig)
{
	(void)sig;
	web_stop = 1;
	FCGX_ShutdownPending();
}

static void (*after_requests)(void);

void
web_after_requests(void (*fn)(void))
{
	after_requests = fn;
}

int
web_main(const char *family, const struct web_route *routes)
{
	struct gr_err err = { 0 };
	struct sigaction sa;
	struct web_req *r;
	const char *v;

	log_set_name(family);
	if ((v = getenv("GRIDREST_LOG")) != NULL && *v != '\0' &&
	    log_open(v) != 0)
		log_msg(LOG_WARN, "cannot open %s; logging to stderr", v);
	if (getenv("GRIDREST_DEBUG") != NULL)
		log_set_level(LOG_DEBUG);
	json_set_alloc_funcs(xmalloc, free);
	if (cfg_load(&err) != GR_OK) {
		log_msg(LOG_ERR, "configuration: %s", err.msg);
		return 1;
	}
	/* no SA_RESTART: the signal must interrupt accept() (fcgiwrap) */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART; /* the tick must not fail the request's I/O */
	(void)sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	if (st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "cannot open the store in %s: %s", cfg.home,
		    err.msg);
		return 1;
	}
	st_keeper_auto(true);
	if (FCGX_Init() != 0) {
		log_msg(LOG_ERR, "FCGX_Init failed");
		st_close();
		return 1;
	}
	r = xcalloc(1, sizeof(*r));
	arena_init(&r->arena, WEB_ARENA_CHUNK);
	FCGX_InitRequest(&r->fcgx, 0, FCGI_FAIL_ACCEPT_ON_INTR);
	while (!web_stop && !st_must_exit() && FCGX_Accept_r(&r->fcgx) >= 0) {
		watchdog(cfg.request_timeout);
		wd_req = r;
		web_dispatch(r, routes);
		wd_req = NULL;
		close_quickly(&r->fcgx);
		FCGX_Finish_r(&r->fcgx);
		st_housekeep();
		/* background writers and sweeps run where writes are
		   taken: not on a replica (store_repl.h) */
		if (st_repl_writer()) {
			mover_kick_noted(); /* transfers the request queued */
			if (after_requests != NULL) {
				after_requests();
				/* and those of the hook: a subscription's
				   rules, the evaluator's start */
				mover_kick_noted();
			}
			reaper_kick_noted(); /* deletes what got a tombstone */
		}
		watchdog(0);
		arena_reset(&r->arena);
	}
	FCGX_Free(&r->fcgx, 1);
	arena_free(&r->arena);
	free(r);
	watchdog(10); /* the same guard for closing the store */
	st_close();
	return 0;
}
