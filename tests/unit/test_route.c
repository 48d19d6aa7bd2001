/*
 * test_route.c -- path splitting, percent-decoding and route matching
 * (common/route.c). Pure functions over an arena: no FastCGI, no store.
 * The matcher's rules ({x*} with suffixes, first match wins, trailing
 * slashes, 405 against 404) are shown on small tables of this file's own,
 * built to exercise each rule; test_family_routes.c walks the families'
 * real tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"
#include "util.h"

static struct arena arena;

static int
setup(void **state)
{
	arena_init(&arena, 4096);
	*state = &arena;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/* route_split with a fresh error record; checks record and code agree. */
static int
split(struct arena *a, const char *raw, struct route_path *p)
{
	struct gr_err err = { 0 };
	int rc;

	rc = route_split(a, raw, p, &err);
	assert_int_equal(err.code, rc);
	if (rc != GR_OK)
		assert_true(err.msg[0] != '\0');
	return rc;
}

/* route_split of each path must fail with want; names the path if not. */
static void
split_fails(struct arena *a, const char *const *raw, size_t n, int want)
{
	struct route_path p;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = split(a, raw[i], &p);
		if (rc != want)
			fail_msg("path %zu \"%s\": code %d, want %d", i, raw[i],
			    rc, want);
	}
}

/* --- route_split ---------------------------------------------------- */

static void
test_split_segments(void **state)
{
	struct route_path p;

	assert_int_equal(split(*state, "/dids/user.root/file1", &p), GR_OK);
	assert_int_equal(p.nseg, 3);
	assert_string_equal(p.segs[0], "dids");
	assert_string_equal(p.segs[1], "user.root");
	assert_string_equal(p.segs[2], "file1");

	assert_int_equal(split(*state, "/ping", &p), GR_OK);
	assert_int_equal(p.nseg, 1);
	assert_string_equal(p.segs[0], "ping");
}

static void
test_split_root_and_start(void **state)
{
	struct route_path p;

	assert_int_equal(split(*state, "/", &p), GR_OK);
	assert_int_equal(p.nseg, 0);
	/* the path must start with a slash */
	assert_int_equal(split(*state, "", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "dids/x", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "%2Fdids", &p), GR_INVALID_PATH);
}

static void
test_split_trailing_slash(void **state)
{
	struct route_path p;

	assert_int_equal(split(*state, "/dids/user.root/", &p), GR_OK);
	assert_int_equal(p.nseg, 2);
	assert_string_equal(p.segs[0], "dids");
	assert_string_equal(p.segs[1], "user.root");

	assert_int_equal(split(*state, "/dids/user.root", &p), GR_OK);
	assert_int_equal(p.nseg, 2);
	assert_string_equal(p.segs[1], "user.root");
}

static void
test_split_empty_segment(void **state)
{
	struct route_path p;

	assert_int_equal(split(*state, "/a//b", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "//b", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "///", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "/a/b//c/", &p), GR_INVALID_PATH);
	/* an empty segment just before the end is no trailing slash */
	assert_int_equal(split(*state, "/a//", &p), GR_INVALID_PATH);
	assert_int_equal(split(*state, "//", &p), GR_INVALID_PATH);
}

static void
test_split_escaped_slash(void **state)
{
	struct route_path p;

	/* %2F is decoded after splitting: it never makes a new segment */
	assert_int_equal(split(*state, "/dids/user.root/a%2Fb%2fc", &p), GR_OK);
	assert_int_equal(p.nseg, 3);
	assert_string_equal(p.segs[2], "a/b/c");

	assert_int_equal(split(*state, "/%2F/x", &p), GR_OK);
	assert_int_equal(p.nseg, 2);
	assert_string_equal(p.segs[0], "/");
	assert_string_equal(p.segs[1], "x");
}

static void
test_split_decodes(void **state)
{
	struct route_path p;

	assert_int_equal(split(*state, "/%41%62c/a%20b/a+b/%e2%82%AC", &p),
	    GR_OK);
	assert_int_equal(p.nseg, 4);
	assert_string_equal(p.segs[0], "Abc");
	assert_string_equal(p.segs[1], "a b");
	/* '+' is a space only in query strings */
	assert_string_equal(p.segs[2], "a+b");
	assert_string_equal(p.segs[3], "\xe2\x82\xac");

	assert_int_equal(split(*state, "/caf\xc3\xa9", &p), GR_OK);
	assert_string_equal(p.segs[0], "caf\xc3\xa9");
}

static void
test_split_bad_escapes(void **state)
{
	static const char *const bad[] = { "/a%", "/a%4", "/a%4g", "/a%g4",
		"/%%41", "/a%/b", "/a%4/b", "/%+1" };

	split_fails(*state, bad, ARRAY_LEN(bad), GR_INVALID_PATH);
}

static void
test_split_nul_and_control(void **state)
{
	static const char *const bad[] = { "/a%00b", "/%00", "/a%01", "/a%0A",
		"/a%0d", "/a%1F", "/a%7f", "/a\x01", "/a\tb", "/a\nb",
		"/a\x7f" };
	struct route_path p;

	split_fails(*state, bad, ARRAY_LEN(bad), GR_INVALID_PATH);
	/* the first printable byte is fine */
	assert_int_equal(split(*state, "/a%20%7E", &p), GR_OK);
	assert_string_equal(p.segs[0], "a ~");
}

static void
test_split_invalid_utf8(void **state)
{
	static const char *const bad[] = { "/%ff", "/%FE", "/%80", "/%c3",
		"/%c3%41", "/%c0%af", "/%e0%80%af", "/%ed%a0%80",
		"/%f4%90%80%80", "/%e2%82", "/a\xff", "/\xc3" };
	struct route_path p;

	split_fails(*state, bad, ARRAY_LEN(bad), GR_INVALID_PATH);
	assert_int_equal(split(*state, "/%c3%a9/%f0%9d%84%9e", &p), GR_OK);
	assert_string_equal(p.segs[0], "\xc3\xa9");
	assert_string_equal(p.segs[1], "\xf0\x9d\x84\x9e");
}

static void
test_split_too_many_segments(void **state)
{
	char raw[2 * (ROUTE_SEGS_MAX + 1) + 1];
	struct route_path p;
	size_t i;

	for (i = 0; i < ROUTE_SEGS_MAX; i++) {
		raw[2 * i] = '/';
		raw[2 * i + 1] = 'a';
	}
	raw[2 * ROUTE_SEGS_MAX] = '\0';
	assert_int_equal(split(*state, raw, &p), GR_OK);
	assert_int_equal(p.nseg, ROUTE_SEGS_MAX);
	assert_string_equal(p.segs[ROUTE_SEGS_MAX - 1], "a");

	/* a trailing slash does not count as a segment */
	raw[2 * ROUTE_SEGS_MAX] = '/';
	raw[2 * ROUTE_SEGS_MAX + 1] = '\0';
	assert_int_equal(split(*state, raw, &p), GR_OK);
	assert_int_equal(p.nseg, ROUTE_SEGS_MAX);

	raw[2 * ROUTE_SEGS_MAX + 1] = 'a';
	raw[2 * ROUTE_SEGS_MAX + 2] = '\0';
	assert_int_equal(split(*state, raw, &p), GR_URI_TOO_LONG);
}

static void
test_split_too_long(void **state)
{
	static char raw[ROUTE_URI_MAX + 2];
	struct route_path p;

	/* exactly ROUTE_URI_MAX bytes: one long segment */
	raw[0] = '/';
	memset(raw + 1, 'a', ROUTE_URI_MAX - 1);
	raw[ROUTE_URI_MAX] = '\0';
	assert_int_equal(split(*state, raw, &p), GR_OK);
	assert_int_equal(p.nseg, 1);
	assert_int_equal(strlen(p.segs[0]), ROUTE_URI_MAX - 1);

	raw[ROUTE_URI_MAX] = 'a';
	raw[ROUTE_URI_MAX + 1] = '\0';
	assert_int_equal(split(*state, raw, &p), GR_URI_TOO_LONG);
}

static void
test_split_keeps_first_error(void **state)
{
	struct gr_err err = { 0 };
	struct route_path p;

	assert_int_equal(route_split(*state, "/a%zz", &p, &err),
	    GR_INVALID_PATH);
	assert_int_equal(err.code, GR_INVALID_PATH);
	/* err may be NULL */
	assert_int_equal(route_split(*state, "/a%00", &p, NULL),
	    GR_INVALID_PATH);
	assert_int_equal(route_split(*state, "/ok", &p, NULL), GR_OK);
}

/* --- route_decode --------------------------------------------------- */

static void
test_decode_plus_space(void **state)
{
	char *out = NULL;

	assert_int_equal(route_decode(*state, "a+b%2Bc", 7, true, &out), 0);
	assert_string_equal(out, "a b+c");
	assert_int_equal(route_decode(*state, "a+b%2Bc", 7, false, &out), 0);
	assert_string_equal(out, "a+b+c");
	assert_int_equal(route_decode(*state, "+++", 3, true, &out), 0);
	assert_string_equal(out, "   ");
}

static void
test_decode_length(void **state)
{
	char *out = NULL;

	/* only s[0..n) is read */
	assert_int_equal(route_decode(*state, "abc", 2, false, &out), 0);
	assert_string_equal(out, "ab");
	assert_int_equal(route_decode(*state, "", 0, true, &out), 0);
	assert_string_equal(out, "");
	/* an escape cut off by n is bad even when the string goes on */
	assert_int_equal(route_decode(*state, "a%41", 3, false, &out), -1);
	assert_int_equal(route_decode(*state, "a%41", 4, false, &out), 0);
	assert_string_equal(out, "aA");
	/* a query value stops at '&' because the caller passes its length */
	assert_int_equal(route_decode(*state, "x%3D1&y=2", 5, true, &out), 0);
	assert_string_equal(out, "x=1");
}

static void
test_decode_rejects(void **state)
{
	static const char *const bad[] = { "%", "%0", "%zz", "%00", "%0a",
		"%1f", "%7F", "a\nb", "%ff", "%80", "%c3", "%ed%b0%80",
		"%c1%81" };
	char sentinel[] = "untouched";
	char *out;
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		out = sentinel;
		if (route_decode(*state, bad[i], strlen(bad[i]), true, &out) !=
		    -1)
			fail_msg("\"%s\" decoded", bad[i]);
		assert_ptr_equal(out, sentinel);
	}
}

/* --- route_match ---------------------------------------------------- */

/* Handlers that only say which they are (a return value of their own, so
   that the compiler folds none of them into another): the table below
   puts {name*} routes with suffixes, literals and parameters side by
   side, which no family's table does all at once. */
static int
h_list(struct web_req *r)
{
	(void)r;
	return 1;
}

static int
h_meta_get(struct web_req *r)
{
	(void)r;
	return 2;
}

static int
h_meta_set(struct web_req *r)
{
	(void)r;
	return 3;
}

static int
h_contents(struct web_req *r)
{
	(void)r;
	return 4;
}

static int
h_get(struct web_req *r)
{
	(void)r;
	return 5;
}

static int
h_add(struct web_req *r)
{
	(void)r;
	return 6;
}

static int
h_ping(struct web_req *r)
{
	(void)r;
	return 7;
}

static int
h_whoami(struct web_req *r)
{
	(void)r;
	return 8;
}

static int
h_account(struct web_req *r)
{
	(void)r;
	return 9;
}

static int
h_account_add(struct web_req *r)
{
	(void)r;
	return 10;
}

static int
h_token(struct web_req *r)
{
	(void)r;
	return 11;
}

/* clang-format off */
static const struct web_route routes[] = {
	{ WEB_GET,	"/dids/{scope}/",		h_list,		0 },
	{ WEB_GET,	"/dids/{scope}/{name*}/meta",	h_meta_get,	0 },
	{ WEB_POST,	"/dids/{scope}/{name*}/meta",	h_meta_set,	0 },
	{ WEB_GET,	"/dids/{scope}/{name*}/dids",	h_contents,	0 },
	{ WEB_GET,	"/dids/{scope}/{name*}",	h_get,		0 },
	{ WEB_POST,	"/dids/{scope}/{name*}",	h_add,		0 },
	{ WEB_GET,	"/ping",			h_ping,		WEB_PUBLIC },
	{ WEB_GET,	"/accounts/whoami",		h_whoami,	0 },
	{ WEB_GET,	"/accounts/{account}",		h_account,	0 },
	{ WEB_POST,	"/accounts/{account}",		h_account_add,	0 },
	{ WEB_POST,	"/auth/token",			h_token,	WEB_PUBLIC },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

/* Split raw and match it against table; fails the test on a bad path. */
static enum route_result
match(struct arena *a, const struct web_route *table, unsigned method,
    const char *raw, const struct web_route **out,
    struct route_param params[ROUTE_PARAMS_MAX], size_t *nparams,
    unsigned *allowed)
{
	struct route_path p;

	assert_int_equal(split(a, raw, &p), GR_OK);
	return route_match(table, method, &p, a, out, params, nparams, allowed);
}

/* The value of parameter name, or NULL. */
static const char *
param(const struct route_param *params, size_t nparams, const char *name)
{
	size_t i;

	for (i = 0; i < nparams; i++)
		if (params[i].name_len == strlen(name) &&
		    memcmp(params[i].name, name, params[i].name_len) == 0)
			return params[i].value;
	return NULL;
}

struct route_case {
	unsigned method;
	const char *path;
	web_handler_fn fn;
	int id; /* what fn returns */
	size_t nparams;
	const char *name1, *value1;
	const char *name2, *value2;
};

/* clang-format off */
static const struct route_case cases[] = {
	{ WEB_GET,  "/dids/user.root/",		h_list,		1, 1,
	    "scope", "user.root", NULL, NULL },
	{ WEB_GET,  "/dids/user.root",		h_list,		1, 1,
	    "scope", "user.root", NULL, NULL },
	{ WEB_GET,  "/dids/user.root/file1",	h_get,		5, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_HEAD, "/dids/user.root/file1",	h_get,		5, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_POST, "/dids/user.root/file1",	h_add,		6, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_GET,  "/dids/user.root/file1/",	h_get,		5, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_GET,  "/dids/user.root/a/b/c",	h_get,		5, 2,
	    "scope", "user.root", "name", "a/b/c" },
	{ WEB_GET,  "/dids/user.root/file1/meta", h_meta_get,	2, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_HEAD, "/dids/user.root/file1/meta", h_meta_get,	2, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_POST, "/dids/user.root/file1/meta", h_meta_set,	3, 2,
	    "scope", "user.root", "name", "file1" },
	{ WEB_GET,  "/dids/user.root/a/b/c/meta", h_meta_get,	2, 2,
	    "scope", "user.root", "name", "a/b/c" },
	{ WEB_GET,  "/dids/user.root/a%2Fb/meta", h_meta_get,	2, 2,
	    "scope", "user.root", "name", "a/b" },
	{ WEB_GET,  "/dids/user.root/a/b/dids/", h_contents,	4, 2,
	    "scope", "user.root", "name", "a/b" },
	/* {name*} takes at least one segment: a bare "meta" is a name */
	{ WEB_GET,  "/dids/user.root/meta",	h_get,		5, 2,
	    "scope", "user.root", "name", "meta" },
	{ WEB_GET,  "/dids/user.root/meta/meta", h_meta_get,	2, 2,
	    "scope", "user.root", "name", "meta" },
	{ WEB_GET,  "/dids/user.root/a/meta/x",	h_get,		5, 2,
	    "scope", "user.root", "name", "a/meta/x" },
	{ WEB_GET,  "/dids/us%65r.root/f%20g",	h_get,		5, 2,
	    "scope", "user.root", "name", "f g" },
	{ WEB_GET,  "/ping",			h_ping,		7, 0,
	    NULL, NULL, NULL, NULL },
	{ WEB_HEAD, "/ping/",			h_ping,		7, 0,
	    NULL, NULL, NULL, NULL },
	{ WEB_GET,  "/accounts/whoami",		h_whoami,	8, 0,
	    NULL, NULL, NULL, NULL },
	{ WEB_GET,  "/accounts/root",		h_account,	9, 1,
	    "account", "root", NULL, NULL },
	{ WEB_POST, "/accounts/whoami",		h_account_add,	10, 1,
	    "account", "whoami", NULL, NULL },
	{ WEB_POST, "/auth/token",		h_token,	11, 0,
	    NULL, NULL, NULL, NULL },
};
/* clang-format on */

/* Is the value of parameter name exactly want? */
static void
check_param(const char *path, const struct route_param *params, size_t nparams,
    const char *name, const char *want)
{
	const char *got = param(params, nparams, name);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", path, name,
		    got != NULL ? got : "(missing)", want);
}

static void
test_match_table(void **state)
{
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out;
	enum route_result res;
	size_t i, nparams;
	unsigned allowed;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct route_case *c = &cases[i];

		out = NULL;
		res = match(*state, routes, c->method, c->path, &out, params,
		    &nparams, &allowed);
		if (res != ROUTE_FOUND || out == NULL)
			fail_msg("%s: result %d", c->path, (int)res);
		if (out->fn != c->fn)
			fail_msg("%s: handler %d, want %d", c->path,
			    out->fn(NULL), c->id);
		assert_int_equal(out->fn(NULL), c->id);
		if (nparams != c->nparams)
			fail_msg("%s: %zu parameters, want %zu", c->path,
			    nparams, c->nparams);
		if (c->name1 != NULL)
			check_param(c->path, params, nparams, c->name1,
			    c->value1);
		if (c->name2 != NULL)
			check_param(c->path, params, nparams, c->name2,
			    c->value2);
	}
}

static void
test_match_param_names(void **state)
{
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed;

	assert_int_equal(match(*state, routes, WEB_GET, "/dids/s/x/y/meta",
			     &out, params, &nparams, &allowed),
	    ROUTE_FOUND);
	assert_ptr_equal(out, &routes[1]);
	assert_int_equal(nparams, 2);
	/* names point into the pattern and are not NUL-terminated */
	assert_int_equal(params[0].name_len, 5);
	assert_memory_equal(params[0].name, "scope", 5);
	assert_string_equal(params[0].value, "s");
	assert_int_equal(params[1].name_len, 4);
	assert_memory_equal(params[1].name, "name", 4);
	assert_string_equal(params[1].value, "x/y");
}

static void
test_match_first_wins(void **state)
{
	/* clang-format off */
	static const struct web_route twice[] = {
		{ WEB_GET,	"/x/{a}",	h_list,		0 },
		{ WEB_GET,	"/x/{b}",	h_get,		0 },
		{ WEB_GET,	"/x/lit",	h_ping,		0 },
		{ 0, NULL, NULL, 0 }
	};
	/* the bare {name*} route first swallows the suffix routes */
	static const struct web_route wrong_order[] = {
		{ WEB_GET,	"/dids/{scope}/{name*}",	h_get,		0 },
		{ WEB_GET,	"/dids/{scope}/{name*}/meta",	h_meta_get,	0 },
		{ 0, NULL, NULL, 0 }
	};
	/* clang-format on */
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed;

	assert_int_equal(match(*state, twice, WEB_GET, "/x/lit", &out, params,
			     &nparams, &allowed),
	    ROUTE_FOUND);
	assert_ptr_equal(out, &twice[0]);
	assert_int_equal(nparams, 1);
	assert_int_equal(params[0].name_len, 1);
	assert_memory_equal(params[0].name, "a", 1);
	assert_string_equal(params[0].value, "lit");

	assert_int_equal(match(*state, wrong_order, WEB_GET, "/dids/s/f/meta",
			     &out, params, &nparams, &allowed),
	    ROUTE_FOUND);
	assert_ptr_equal(out, &wrong_order[0]);
	assert_string_equal(param(params, nparams, "name"), "f/meta");
}

static void
test_match_star_suffix(void **state)
{
	/* clang-format off */
	static const struct web_route t[] = {
		{ WEB_GET,	"/x/{a*}/y/z",		h_list,		0 },
		{ WEB_GET,	"/p/{q}/{r*}",		h_get,		0 },
		{ 0, NULL, NULL, 0 }
	};
	/* clang-format on */
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed;

	assert_int_equal(match(*state, t, WEB_GET, "/x/1/y/z", &out, params,
			     &nparams, &allowed),
	    ROUTE_FOUND);
	assert_string_equal(param(params, nparams, "a"), "1");
	assert_int_equal(match(*state, t, WEB_GET, "/x/1/2/3/y/z", &out, params,
			     &nparams, &allowed),
	    ROUTE_FOUND);
	assert_string_equal(param(params, nparams, "a"), "1/2/3");
	assert_int_equal(match(*state, t, WEB_GET, "/x/y/z/y/z", &out, params,
			     &nparams, &allowed),
	    ROUTE_FOUND);
	assert_string_equal(param(params, nparams, "a"), "y/z");

	/* the star needs a segment; the suffix must match the end */
	assert_int_equal(match(*state, t, WEB_GET, "/x/y/z", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);
	assert_int_equal(match(*state, t, WEB_GET, "/x/1/y", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);
	assert_int_equal(match(*state, t, WEB_GET, "/x/1/y/z/w", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);
	assert_int_equal(match(*state, t, WEB_GET, "/x/1/z/y", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);

	assert_int_equal(match(*state, t, WEB_GET, "/p/q1/r1/r2", &out, params,
			     &nparams, &allowed),
	    ROUTE_FOUND);
	assert_ptr_equal(out, &t[1]);
	assert_int_equal(nparams, 2);
	assert_string_equal(param(params, nparams, "q"), "q1");
	assert_string_equal(param(params, nparams, "r"), "r1/r2");
	assert_int_equal(match(*state, t, WEB_GET, "/p/q1", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);
}

static void
test_match_wrong_method(void **state)
{
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed;

	assert_int_equal(match(*state, routes, WEB_DELETE, "/dids/s/f", &out,
			     params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD | WEB_POST | WEB_OPTIONS);
	assert_string_equal(route_allow_header(*state, allowed),
	    "GET, HEAD, POST, OPTIONS");

	assert_int_equal(match(*state, routes, WEB_POST, "/ping", &out, params,
			     &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD | WEB_OPTIONS);

	/* no GET route: HEAD is neither served nor allowed */
	assert_int_equal(match(*state, routes, WEB_HEAD, "/auth/token", &out,
			     params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_POST | WEB_OPTIONS);
	assert_int_equal(match(*state, routes, WEB_GET, "/auth/token", &out,
			     params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_POST | WEB_OPTIONS);

	/* OPTIONS is answered from the allowed mask */
	assert_int_equal(match(*state, routes, WEB_OPTIONS, "/accounts/root",
			     &out, params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD | WEB_POST | WEB_OPTIONS);

	/* only the routes matching this path count */
	assert_int_equal(match(*state, routes, WEB_PUT, "/dids/s/", &out,
			     params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD | WEB_OPTIONS);
	assert_int_equal(match(*state, routes, WEB_PATCH, "/dids/s/f/meta",
			     &out, params, &nparams, &allowed),
	    ROUTE_WRONG_METHOD);
	assert_int_equal(allowed, WEB_GET | WEB_HEAD | WEB_POST | WEB_OPTIONS);
}

static void
test_match_none(void **state)
{
	static const char *const paths[] = { "/", "/nothing", "/dids", "/pings",
		"/ping/x", "/accounts", "/accounts/a/b", "/auth", "/DIDS/s/f",
		"/auth/token/x" };
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out;
	enum route_result res;
	size_t i, nparams;
	unsigned allowed;

	for (i = 0; i < ARRAY_LEN(paths); i++) {
		out = NULL;
		allowed = 0xffff;
		res = match(*state, routes, WEB_GET, paths[i], &out, params,
		    &nparams, &allowed);
		if (res != ROUTE_NONE || allowed != 0 || out != NULL)
			fail_msg("%s: result %d, allowed %#x", paths[i],
			    (int)res, allowed);
	}
}

static void
test_match_empty_table(void **state)
{
	static const struct web_route none[] = { { 0, NULL, NULL, 0 } };
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed = 0xffff;

	assert_int_equal(match(*state, none, WEB_GET, "/", &out, params,
			     &nparams, &allowed),
	    ROUTE_NONE);
	assert_int_equal(allowed, 0);
}

/* A pattern with more parameters than ROUTE_PARAMS_MAX never matches:
   nothing is written past the parameter array. */
static void
test_match_too_many_params(void **state)
{
	static const struct web_route many[] = {
		{ WEB_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h_list, 0 },
		{ WEB_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j*}", h_list,
		    0 },
		{ WEB_GET, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", h_meta_get, 0 },
		{ 0, NULL, NULL, 0 }
	};
	struct route_param params[ROUTE_PARAMS_MAX];
	const struct web_route *out = NULL;
	size_t nparams;
	unsigned allowed;

	assert_int_equal(match(*state, many, WEB_GET, "/1/2/3/4/5/6/7/8/9",
			     &out, params, &nparams, &allowed),
	    ROUTE_NONE);
	assert_int_equal(match(*state, many, WEB_GET,
			     "/1/2/3/4/5/6/7/8/9/10/11", &out, params, &nparams,
			     &allowed),
	    ROUTE_NONE);
	assert_int_equal(match(*state, many, WEB_GET, "/1/2/3/4/5/6/7/8", &out,
			     params, &nparams, &allowed),
	    ROUTE_FOUND);
	assert_ptr_equal(out, &many[2]);
	assert_int_equal(nparams, ROUTE_PARAMS_MAX);
	assert_string_equal(params[7].value, "8");
}

/* --- route_method, route_allow_header ------------------------------- */

static void
test_method(void **state)
{
	(void)state;
	assert_int_equal(route_method("GET"), WEB_GET);
	assert_int_equal(route_method("HEAD"), WEB_HEAD);
	assert_int_equal(route_method("POST"), WEB_POST);
	assert_int_equal(route_method("PUT"), WEB_PUT);
	assert_int_equal(route_method("DELETE"), WEB_DELETE);
	assert_int_equal(route_method("PATCH"), WEB_PATCH);
	assert_int_equal(route_method("OPTIONS"), WEB_OPTIONS);
	/* methods are case-sensitive (RFC 9110, 9.1) */
	assert_int_equal(route_method("get"), 0);
	assert_int_equal(route_method("GETS"), 0);
	assert_int_equal(route_method("GE"), 0);
	assert_int_equal(route_method("TRACE"), 0);
	assert_int_equal(route_method(""), 0);
	assert_int_equal(route_method(NULL), 0);
}

static void
test_allow_header(void **state)
{
	struct arena *a = *state;

	assert_string_equal(route_allow_header(a, 0), "");
	assert_string_equal(route_allow_header(a, WEB_GET), "GET");
	assert_string_equal(route_allow_header(a, WEB_POST | WEB_GET),
	    "GET, POST");
	assert_string_equal(route_allow_header(a,
				WEB_GET | WEB_HEAD | WEB_OPTIONS),
	    "GET, HEAD, OPTIONS");
	assert_string_equal(route_allow_header(a, WEB_DELETE | WEB_PUT),
	    "PUT, DELETE");
	assert_string_equal(route_allow_header(a,
				WEB_GET | WEB_HEAD | WEB_POST | WEB_PUT |
				    WEB_DELETE | WEB_PATCH | WEB_OPTIONS),
	    "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS");
	/* bits that name no method are ignored */
	assert_string_equal(route_allow_header(a, 0x80 | WEB_PATCH), "PATCH");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_segments),
		cmocka_unit_test(test_split_root_and_start),
		cmocka_unit_test(test_split_trailing_slash),
		cmocka_unit_test(test_split_empty_segment),
		cmocka_unit_test(test_split_escaped_slash),
		cmocka_unit_test(test_split_decodes),
		cmocka_unit_test(test_split_bad_escapes),
		cmocka_unit_test(test_split_nul_and_control),
		cmocka_unit_test(test_split_invalid_utf8),
		cmocka_unit_test(test_split_too_many_segments),
		cmocka_unit_test(test_split_too_long),
		cmocka_unit_test(test_split_keeps_first_error),
		cmocka_unit_test(test_decode_plus_space),
		cmocka_unit_test(test_decode_length),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_match_param_names),
		cmocka_unit_test(test_match_first_wins),
		cmocka_unit_test(test_match_star_suffix),
		cmocka_unit_test(test_match_wrong_method),
		cmocka_unit_test(test_match_none),
		cmocka_unit_test(test_match_empty_table),
		cmocka_unit_test(test_match_too_many_params),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_allow_header),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("route", tests, setup, teardown);
}
