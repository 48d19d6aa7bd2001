/*
 * test_web.c -- the dispatcher and the response writers, in process: a
 * request is a CGI environment plus in-memory FastCGI streams, the answer
 * is read back as the bytes lighttpd would get. Covers request parsing
 * (path, query, headers, body, limits), routing to 404/405/OPTIONS, Accept
 * negotiation (406), the token check (401), the error writer, JSON and
 * stream replies, HEAD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "testlib.h"
#include "token.h"
#include "util.h"
#include "log.h"
#include "memstream.h"
#include "web.h"

static char home[TEST_PATH_MAX] = "gr-web";
static char token[TOKEN_MAX];

/* --- one exchange ------------------------------------------------------ */

struct answer {
	int status;
	char head[4096]; /* headers, CRLF-separated */
	char *body;      /* NUL-terminated copy */
	size_t body_len;
};

static struct answer ans;

/* A header of the last answer (value copied), or NULL. */
static const char *
hdr(const char *name)
{
	static char value[512];
	size_t n = strlen(name);
	const char *p = ans.head;

	while (p != NULL && *p != '\0') {
		const char *eol = strstr(p, "\r\n");

		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t len;

			while (*v == ' ')
				v++;
			len = (size_t)((eol != NULL ? eol : v + strlen(v)) - v);
			if (len >= sizeof(value))
				len = sizeof(value) - 1;
			memcpy(value, v, len);
			value[len] = '\0';
			return value;
		}
		p = eol != NULL ? eol + 2 : NULL;
	}
	return NULL;
}

/*
 * Dispatch one request. env: NULL-terminated "NAME=value" strings;
 * REQUEST_METHOD and REQUEST_URI come first.
 */
static void
exchange(const struct web_route *routes, const char *method, const char *uri,
    const char *body, const char *const *extra)
{
	struct web_req *r = xcalloc(1, sizeof(*r));
	struct membuf in, out;
	char *env[32];
	size_t n = 0, i;
	char *sep;

	arena_init(&r->arena, 4096);
	env[n++] = arena_printf(&r->arena, "REQUEST_METHOD=%s", method);
	env[n++] = arena_printf(&r->arena, "REQUEST_URI=%s", uri);
	if (body != NULL)
		env[n++] = arena_printf(&r->arena, "CONTENT_LENGTH=%zu",
		    strlen(body));
	for (i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		env[n++] = arena_strdup(&r->arena, extra[i]);
	env[n] = NULL;

	mem_reader(&in, body != NULL ? body : "",
	    body != NULL ? strlen(body) : 0);
	mem_writer(&out);
	r->fcgx.envp = env;
	r->fcgx.in = &in.s;
	r->fcgx.out = &out.s;
	web_dispatch(r, routes);

	free(ans.body);
	memset(&ans, 0, sizeof(ans));
	n = (size_t)(out.s.wrNext - out.buf);
	out.buf = xrealloc(out.buf, n + 1);
	out.buf[n] = '\0';
	sep = strstr((char *)out.buf, "\r\n\r\n");
	assert_non_null(sep);
	*sep = '\0';
	(void)snprintf(ans.head, sizeof(ans.head), "%s", (char *)out.buf);
	ans.body_len = n - (size_t)(sep + 4 - (char *)out.buf);
	ans.body = xstrndup(sep + 4, ans.body_len);
	assert_int_equal(sscanf(ans.head, "Status: %d", &ans.status), 1);
	assert_int_equal(ans.status, r->status);
	free(out.buf);
	free(in.buf);
	arena_free(&r->arena);
	free(r);
}

/* The last answer is an error with this class, in headers and body. */
static void
assert_error(int status, const char *cls)
{
	json_t *b = json_loads(ans.body, 0, NULL);

	assert_int_equal(ans.status, status);
	assert_string_equal(hdr("Content-Type"), "application/octet-stream");
	assert_string_equal(hdr("ExceptionClass"), cls);
	assert_non_null(hdr("ExceptionMessage"));
	assert_non_null(b);
	assert_string_equal(json_string_value(
				json_object_get(b, "ExceptionClass")),
	    cls);
	assert_non_null(
	    json_string_value(json_object_get(b, "ExceptionMessage")));
	json_decref(b);
}

/* --- handlers of the test family --------------------------------------- */

static int
h_hello(struct web_req *r)
{
	return web_reply_json_new(r, 200,
	    json_pack("{s:s, s:s*}", "hello", "world", "name",
		web_param(r, "name")));
}

static int
h_echo(struct web_req *r)
{
	const char *s;
	json_t *body, *out;
	int rc;

	if ((rc = web_body_object(r, true, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "s", true, &s)) != GR_OK) {
		json_decref(body);
		return rc;
	}
	out = json_pack("{s:s, s:s?, s:s?, s:s}", "s", s, "q",
	    web_query(r, "q"), "issuer", r->issuer, "path",
	    web_param(r, "rest"));
	json_decref(body);
	return web_reply_json_new(r, 201, out);
}

static int
h_list(struct web_req *r)
{
	const char *n = web_query(r, "n");
	long i, count = 0;
	json_t *item;

	if (n != NULL && parse_long(n, 0, 100000, &count) != 0)
		return gr_fail(&r->err, GR_VALUE_ERROR, "n: not a count");
	for (i = 0; i < count; i++) {
		item = json_pack("{s:I}", "i", (json_int_t)i);
		(void)web_stream_item(r, item);
		json_decref(item);
	}
	return web_stream_end(r);
}

static int
h_fail(struct web_req *r)
{
	const char *len = web_query(r, "len");
	long n = 10;
	char msg[400];

	(void)parse_long(len != NULL ? len : "10", 1, 399, &n);
	memset(msg, 'x', (size_t)n);
	msg[n] = '\0';
	msg[3] = '\n';
	return gr_fail(&r->err, GR_ACCOUNT_NOT_FOUND, "%s", msg);
}

static int
h_created(struct web_req *r)
{
	return web_reply_created(r);
}

static int
h_who(struct web_req *r)
{
	return web_reply_json_new(r, 200,
	    json_pack("{s:s, s:b, s:s}", "issuer", r->issuer, "anonymous",
		r->anonymous, "group", r->group));
}

/* clang-format off */
static const struct web_route routes[] = {
	{ WEB_GET,	"/hello",		h_hello,	WEB_PUBLIC },
	{ WEB_GET,	"/hello/{name}",	h_hello,	0 },
	{ WEB_POST,	"/echo/{rest*}",	h_echo,		0 },
	{ WEB_PUT,	"/echo/{rest*}",	h_created,	WEB_ANY },
	{ WEB_GET,	"/list",		h_list,		WEB_STREAM },
	{ WEB_GET,	"/fail",		h_fail,		0 },
	{ WEB_GET,	"/who",			h_who,		WEB_TOKEN_OPTIONAL },
	{ WEB_POST,	"/who",			h_who,		0 },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

static const char *const *
with_token(void)
{
	static char h[TOKEN_MAX + 32];
	static const char *env[2];

	(void)snprintf(h, sizeof(h), "HTTP_X_RUCIO_AUTH_TOKEN=%s", token);
	env[0] = h;
	env[1] = NULL;
	return env;
}

/* --- tests --------------------------------------------------------------- */

static void
test_json_reply(void **state)
{
	char len[32];

	(void)state;
	exchange(routes, "GET", "/hello", NULL, NULL);
	assert_int_equal(ans.status, 200);
	assert_string_equal(hdr("Content-Type"), "application/json");
	(void)snprintf(len, sizeof(len), "%zu", ans.body_len);
	assert_string_equal(hdr("Content-Length"), len);
	assert_string_equal(ans.body, "{\"hello\":\"world\"}");
	assert_non_null(hdr("X-Request-Id"));
	/* trailing slash, HEAD */
	exchange(routes, "GET", "/hello/", NULL, NULL);
	assert_int_equal(ans.status, 200);
	exchange(routes, "HEAD", "/hello", NULL, NULL);
	assert_int_equal(ans.status, 200);
	assert_string_equal(hdr("Content-Length"), len);
	assert_int_equal(ans.body_len, 0);
}

static void
test_not_found_and_methods(void **state)
{
	(void)state;
	exchange(routes, "GET", "/nowhere", NULL, NULL);
	assert_error(404, "NotFound");
	exchange(routes, "DELETE", "/hello", NULL, NULL);
	assert_error(405, "MethodNotAllowed");
	assert_string_equal(hdr("Allow"), "GET, HEAD, OPTIONS");
	exchange(routes, "GET", "/echo/a/b", NULL, NULL);
	assert_error(405, "MethodNotAllowed");
	assert_string_equal(hdr("Allow"), "POST, PUT, OPTIONS");
	exchange(routes, "OPTIONS", "/echo/a", NULL, NULL);
	assert_int_equal(ans.status, 200);
	assert_string_equal(hdr("Allow"), "POST, PUT, OPTIONS");
	exchange(routes, "BREW", "/hello", NULL, NULL);
	assert_error(405, "MethodNotAllowed");
	exchange(routes, "GET", "/hello/%zz", NULL, NULL);
	assert_error(400, "InvalidPath");
	exchange(routes, "GET", "relative", NULL, NULL);
	assert_error(400, "InvalidPath");
}

static void
test_accept(void **state)
{
	static const struct {
		const char *accept;
		int status;
	} cases[] = {
		{ "HTTP_ACCEPT=*/*", 200 },
		{ "HTTP_ACCEPT=application/json", 200 },
		{ "HTTP_ACCEPT=Application/JSON", 200 },
		{ "HTTP_ACCEPT=application/*", 200 },
		{ "HTTP_ACCEPT=text/html, application/json;q=0.5", 200 },
		{ "HTTP_ACCEPT=text/html,*/*;q=0.1", 200 },
		{ "HTTP_ACCEPT=", 200 },
		{ "HTTP_ACCEPT=text/html", 406 },
		{ "HTTP_ACCEPT=application/json;q=0", 406 },
		{ "HTTP_ACCEPT=application/json; q=0.0, text/*", 406 },
		{ "HTTP_ACCEPT=application/x-json-stream", 406 },
		{ "HTTP_ACCEPT=application/jsonx", 406 },
		{ "HTTP_ACCEPT=text/*", 406 },
	};
	const char *env[2] = { NULL, NULL };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		env[0] = cases[i].accept;
		exchange(routes, "GET", "/hello", NULL, env);
		if (ans.status != cases[i].status)
			fail_msg("%s: %d", cases[i].accept, ans.status);
	}
	exchange(routes, "GET", "/hello", NULL, env);
	assert_error(406, "UnsupportedRequestedContentType");
}

static void
test_token(void **state)
{
	char bearer[TOKEN_MAX + 64], uri[TOKEN_MAX + 64];
	const char *env[2] = { bearer, NULL };

	(void)state;
	exchange(routes, "GET", "/hello/x", NULL, NULL);
	assert_error(401, "CannotAuthenticate");
	exchange(routes, "GET", "/hello/x", NULL, with_token());
	assert_int_equal(ans.status, 200);
	assert_string_equal(ans.body, "{\"hello\":\"world\",\"name\":\"x\"}");
	(void)snprintf(bearer, sizeof(bearer), "HTTP_AUTHORIZATION=Bearer %s",
	    token);
	exchange(routes, "GET", "/hello/x", NULL, env);
	assert_int_equal(ans.status, 200);
	(void)snprintf(bearer, sizeof(bearer), "HTTP_AUTHORIZATION=Basic %s",
	    token);
	exchange(routes, "GET", "/hello/x", NULL, env);
	assert_error(401, "CannotAuthenticate");
	(void)snprintf(uri, sizeof(uri), "/hello/x?access_token=%s", token);
	exchange(routes, "GET", uri, NULL, NULL);
	assert_int_equal(ans.status, 200);
	(void)snprintf(bearer, sizeof(bearer), "HTTP_X_RUCIO_AUTH_TOKEN=%.*sX",
	    (int)strlen(token) - 1, token);
	exchange(routes, "GET", "/hello/x", NULL, env);
	assert_error(401, "CannotAuthenticate");
}

/* GET /who with env: 401, or 200 naming issuer (anonymous or not) */
static void
who_is(const char *const *env, const char *issuer)
{
	char want[128];

	exchange(routes, "GET", "/who", NULL, env);
	if (issuer == NULL) {
		assert_error(401, "CannotAuthenticate");
		return;
	}
	(void)snprintf(want, sizeof(want),
	    "{\"issuer\":\"%s\",\"anonymous\":%s,\"group\":\"\"}", issuer,
	    issuer[0] == '@' ? "true" : "false");
	assert_int_equal(ans.status, 200);
	assert_string_equal(ans.body, want);
}

/* WEB_TOKEN_OPTIONAL: anonymous only when the family admits it */
static void
test_token_optional(void **state)
{
	char bad[TOKEN_MAX + 64];
	const char *env[2] = { bad, NULL };

	(void)state;
	(void)snprintf(bad, sizeof(bad), "HTTP_AUTHORIZATION=Bearer %.*sX",
	    (int)strlen(token) - 1, token);
	/* off (the default): like any route, but a bad token is 403 */
	who_is(NULL, NULL);
	who_is(with_token(), "root");
	exchange(routes, "GET", "/who", NULL, env);
	assert_error(403, "Forbidden");
	web_allow_anonymous(true);
	who_is(NULL, "@anonymous");
	/* a token sent is a token checked, and used; the next request of
	   the process is not anonymous by inheritance. A bad one never
	   makes an anonymous caller: 403, as DRMAAtic answers it */
	who_is(with_token(), "root");
	exchange(routes, "GET", "/who", NULL, env);
	assert_error(403, "Forbidden");
	who_is(NULL, "@anonymous");
	who_is(with_token(), "root");
	/* routes without the flag still want a token, and a bad one is
	   401 there */
	exchange(routes, "POST", "/who", "", NULL);
	assert_error(401, "CannotAuthenticate");
	exchange(routes, "POST", "/who", "", env);
	assert_error(401, "CannotAuthenticate");
	exchange(routes, "GET", "/hello/x", NULL, NULL);
	assert_error(401, "CannotAuthenticate");
	web_allow_anonymous(false);
	who_is(NULL, NULL);
}

static void
test_query_and_body(void **state)
{
	json_t *b;

	(void)state;
	exchange(routes, "POST", "/echo/a/b%2Fc?q=one+two&q=three&x",
	    "{\"s\": \"v\"}", with_token());
	assert_int_equal(ans.status, 201);
	b = json_loads(ans.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(b, "q")),
	    "one two");
	assert_string_equal(json_string_value(json_object_get(b, "path")),
	    "a/b/c");
	assert_string_equal(json_string_value(json_object_get(b, "issuer")),
	    "root");
	json_decref(b);

	exchange(routes, "POST", "/echo/a?q=%", "{\"s\": \"v\"}", with_token());
	assert_error(400, "ValueError");
	exchange(routes, "POST", "/echo/a", "{\"s\": ", with_token());
	assert_error(400, "ValueError");
	exchange(routes, "POST", "/echo/a", "[1]", with_token());
	assert_error(400, "TypeError");
	exchange(routes, "POST", "/echo/a", "{}", with_token());
	assert_error(400, "KeyError");
	exchange(routes, "POST", "/echo/a", "{\"s\": 1}", with_token());
	assert_error(400, "TypeError");
	exchange(routes, "POST", "/echo/a", "", with_token());
	assert_error(400, "KeyError"); /* empty body: {} here */
}

static void
test_limits(void **state)
{
	const char *env[3] = { NULL, NULL, NULL };
	char cl[64], tok[TOKEN_MAX + 32];

	(void)state;
	(void)snprintf(tok, sizeof(tok), "HTTP_X_RUCIO_AUTH_TOKEN=%s", token);
	env[0] = tok;
	(void)snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", cfg.max_body + 1);
	env[1] = cl;
	exchange(routes, "POST", "/echo/a", NULL, env);
	assert_error(413, "RequestEntityTooLarge");
	env[1] = "CONTENT_LENGTH=12abc";
	exchange(routes, "POST", "/echo/a", NULL, env);
	assert_error(400, "ValueError");
	env[1] = "CONTENT_LENGTH=-1";
	exchange(routes, "POST", "/echo/a", NULL, env);
	assert_error(400, "ValueError");
	/* a body shorter than announced */
	env[1] = "CONTENT_LENGTH=50";
	exchange(routes, "POST", "/echo/a", NULL, env);
	assert_error(400, "ValueError");
}

static void
test_stream(void **state)
{
	(void)state;
	exchange(routes, "GET", "/list?n=3", NULL, with_token());
	assert_int_equal(ans.status, 200);
	assert_string_equal(hdr("Content-Type"), "application/x-json-stream");
	assert_null(hdr("Content-Length"));
	assert_string_equal(ans.body, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
	exchange(routes, "GET", "/list", NULL, with_token());
	assert_int_equal(ans.status, 200);
	assert_string_equal(hdr("Content-Type"), "application/x-json-stream");
	assert_int_equal(ans.body_len, 0);
	/* a failure before the first item is a proper error */
	exchange(routes, "GET", "/list?n=lots", NULL, with_token());
	assert_error(400, "ValueError");
	/* many items: the writer grows as needed */
	exchange(routes, "GET", "/list?n=5000", NULL, with_token());
	assert_int_equal(ans.status, 200);
	assert_non_null(strstr(ans.body, "{\"i\":4999}\n"));
}

static void
test_error_writer(void **state)
{
	json_t *b;
	const char *m;

	(void)state;
	exchange(routes, "GET", "/fail?len=300", NULL, with_token());
	assert_error(404, "AccountNotFound");
	m = hdr("ExceptionMessage");
	/* one line, cut at 125 characters and marked */
	assert_int_equal(strlen(m), 128);
	assert_string_equal(m + 125, "...");
	assert_int_equal(m[3], ' ');
	b = json_loads(ans.body, 0, NULL);
	assert_int_equal(strlen(json_string_value(
			     json_object_get(b, "ExceptionMessage"))),
	    GR_ERR_MSG_MAX - 1); /* the record's bound */
	json_decref(b);
	exchange(routes, "GET", "/fail?len=20", NULL, with_token());
	assert_int_equal(strlen(hdr("ExceptionMessage")), 20);
	exchange(routes, "PUT", "/echo/x", "", with_token());
	assert_int_equal(ans.status, 201);
	assert_string_equal(ans.body, "Created");
	assert_string_equal(hdr("Content-Type"), "text/html; charset=utf-8");
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	int64_t exp;

	(void)state;
	cfg.max_body = 4096;
	if (testlib_store_accounts(home) != 0 ||
	    token_issue("root", "root", NULL, 3600, token, &exp, &err) != GR_OK)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(ans.body);
	ans.body = NULL;
	return testlib_store_remove(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_reply),
		cmocka_unit_test(test_not_found_and_methods),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_optional),
		cmocka_unit_test(test_query_and_body),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_error_writer),
	};

	json_set_alloc_funcs(xmalloc, free);
	log_set_level(LOG_ERR);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("web", tests, setup, teardown);
}
