/*
 * test_family_routes.c -- every family's real route table, walked: each
 * table is well formed, no route is shadowed by one before it, every route
 * is reached by a path built from its own pattern (and HEAD by its GET),
 * a path some route knows answers 405 with the Allow mask of exactly the
 * routes that match it, a path none knows answers 404, and lighttpd.conf
 * sends every route's prefix to the family that has it.
 *
 * The tables are the ones the executables serve: each family's source is
 * compiled into this test (its main renamed), as the req_* fuzz targets do,
 * so that no copy of a table can drift from the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int auth_family_main(void);
int dids_family_main(void);
int files_family_main(void);
int jobs_family_main(void);
int rses_family_main(void);
int tasks_family_main(void);

#define main auth_family_main
#include "../../cgi-bin/auth.c"
#undef main
#define main dids_family_main
#include "../../cgi-bin/dids.c"
#undef main
#define main files_family_main
#include "../../cgi-bin/files.c"
#undef main
#define main jobs_family_main
#include "../../cgi-bin/jobs.c"
#undef main
#define main rses_family_main
#include "../../cgi-bin/rses.c"
#undef main
#define main tasks_family_main
#include "../../cgi-bin/tasks.c"
#undef main

#include "route.h"
#include "util.h"

struct family {
	const char *name; /* the executable, and its block in lighttpd.conf */
	const struct web_route *routes;
	char prefixes[256]; /* "|dids|meta|", read from lighttpd.conf */
};

static struct family families[] = {
	{ "auth", auth_routes, "" },
	{ "dids", dids_routes, "" },
	{ "files", files_routes, "" },
	{ "jobs", jobs_routes, "" },
	{ "rses", rses_routes, "" },
	{ "tasks", tasks_routes, "" },
};

/* the methods a route may have; HEAD and OPTIONS are the dispatcher's */
static const unsigned route_methods[] = { WEB_GET, WEB_POST, WEB_PUT,
	WEB_DELETE, WEB_PATCH };
/* the methods a client may send */
static const unsigned client_methods[] = { WEB_GET, WEB_HEAD, WEB_POST, WEB_PUT,
	WEB_DELETE, WEB_PATCH };

static struct arena arena;

static const char *
method_name(unsigned m)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
		"DELETE", "PATCH", "OPTIONS" };
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++)
		if (m == 1u << i)
			return names[i];
	return "?";
}

/*
 * lighttpd.conf's family blocks: `$HTTP["url"] =~ "^/(a|b)(/|$)" {` and,
 * on the next line, `( "name" => (`. Fills families[].prefixes; auth,
 * which takes what no block claims, gets none.
 */
static int
read_url_map(void)
{
	FILE *f = fopen("lighttpd.conf", "r");
	char line[512], alt[256];
	size_t i, n;
	int blocks = 0;

	if (f == NULL) {
		perror("# lighttpd.conf (run from the top of the tree)");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *re = strstr(line, "$HTTP[\"url\"] =~ \"^/");
		const char *end;

		if (re == NULL)
			continue;
		re += strlen("$HTTP[\"url\"] =~ \"^/");
		if (*re == '(')
			re++;
		end = strstr(re, "(/|$)");
		if (end == NULL)
			continue;
		n = (size_t)(end - re);
		if (n > 0 && re[n - 1] == ')')
			n--;
		if (n + 3 > sizeof(alt))
			break;
		(void)snprintf(alt, sizeof(alt), "|%.*s|", (int)n, re);
		if (fgets(line, sizeof(line), f) == NULL)
			break;
		for (i = 0; i < ARRAY_LEN(families); i++) {
			char key[64];

			(void)snprintf(key, sizeof(key), "( \"%s\" => (",
			    families[i].name);
			if (strstr(line, key) == NULL)
				continue;
			(void)snprintf(families[i].prefixes,
			    sizeof(families[i].prefixes), "%s", alt);
			blocks++;
		}
	}
	fclose(f);
	return blocks == (int)ARRAY_LEN(families) - 1 ? 0 : -1;
}

static int
setup(void **state)
{
	(void)state;
	arena_init(&arena, 1 << 16);
	return read_url_map();
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

/* Does segment seg of pattern read "{...}" (a parameter)? */
static bool
is_param(const char *seg, size_t n)
{
	return n >= 2 && seg[0] == '{' && seg[n - 1] == '}';
}

/* Is lit a literal segment of some pattern of the table? */
static bool
literal_in(const struct web_route *t, const char *lit)
{
	size_t n = strlen(lit);

	for (; t->pattern != NULL; t++) {
		const char *s = t->pattern;

		while (*s == '/') {
			const char *e = strchr(s + 1, '/');
			size_t len = e != NULL ? (size_t)(e - s - 1)
					       : strlen(s + 1);

			if (len == n && memcmp(s + 1, lit, n) == 0)
				return true;
			s += 1 + len;
		}
	}
	return false;
}

/*
 * The path a client would send for route r: each "{x}" a value no literal
 * of the table has ("v<i>"), each "{x*}" that many segments (star_segs).
 */
static void
sample_path(const struct web_route *t, const struct web_route *r,
    size_t star_segs, char *out, size_t cap)
{
	const char *s = r->pattern;
	size_t len = 0, k = 0, j;

	out[0] = '\0';
	while (*s == '/') {
		const char *e = strchr(s + 1, '/');
		size_t n = e != NULL ? (size_t)(e - s - 1) : strlen(s + 1);

		if (is_param(s + 1, n)) {
			bool star = s[n - 1] == '*';

			for (j = 0; j < (star ? star_segs : 1); j++) {
				char v[16];

				(void)snprintf(v, sizeof(v), "v%zu%c", k,
				    star ? (char)('a' + j) : 'x');
				assert_false(literal_in(t, v));
				len += (size_t)snprintf(out + len, cap - len,
				    "/%s", v);
			}
			k++;
		} else {
			len += (size_t)snprintf(out + len, cap - len, "/%.*s",
			    (int)n, s + 1);
		}
		assert_true(len < cap);
		s += 1 + n;
	}
}

static enum route_result
match(const struct web_route *t, unsigned method, const char *path,
    const struct web_route **out, unsigned *allowed)
{
	struct route_param params[ROUTE_PARAMS_MAX];
	struct route_path p;
	struct gr_err err = { 0 };
	size_t nparams;

	*out = NULL;
	if (route_split(&arena, path, &p, &err) != GR_OK)
		fail_msg("%s: %s", path, err.msg);
	return route_match(t, method, &p, &arena, out, params, &nparams,
	    allowed);
}

/* Does route r alone match path (whatever the method)? */
static bool
route_takes(const struct web_route *r, const char *path)
{
	struct web_route one[2];
	const struct web_route *out;
	unsigned allowed;

	memset(one, 0, sizeof(one));
	one[0] = *r;
	return match(one, r->method, path, &out, &allowed) == ROUTE_FOUND;
}

/*
 * What the table must answer for path, worked out route by route: the
 * mask of the methods of every route that takes it (with HEAD for GET
 * and OPTIONS, as the dispatcher adds them; 0: none takes it).
 */
static unsigned
allow_mask(const struct web_route *t, const char *path)
{
	unsigned mask = 0;

	for (; t->pattern != NULL; t++)
		if (route_takes(t, path))
			mask |= t->method;
	if (mask & WEB_GET)
		mask |= WEB_HEAD;
	return mask != 0 ? mask | WEB_OPTIONS : 0;
}

/* The first route of the table that takes path with method, or NULL. */
static const struct web_route *
first_taker(const struct web_route *t, unsigned method, const char *path)
{
	unsigned want = method == WEB_HEAD ? WEB_GET : method;

	for (; t->pattern != NULL; t++)
		if (t->method == want && route_takes(t, path))
			return t;
	return NULL;
}

/*
 * Every method a client may send to path gets what the table's routes,
 * one by one, say: the first that takes it, 405 with their mask, or 404.
 * Returns the mask.
 */
static unsigned
check_path(const struct family *fam, const char *path)
{
	unsigned mask = allow_mask(fam->routes, path);
	size_t i;

	for (i = 0; i < ARRAY_LEN(client_methods); i++) {
		unsigned m = client_methods[i], allowed;
		const struct web_route *out, *want;
		enum route_result res;

		res = match(fam->routes, m, path, &out, &allowed);
		want = first_taker(fam->routes, m, path);
		if (want != NULL) {
			if (res != ROUTE_FOUND || out != want)
				fail_msg("%s: %s %s: not the route %s %s",
				    fam->name, method_name(m), path,
				    method_name(want->method), want->pattern);
		} else if (mask != 0) {
			if (res != ROUTE_WRONG_METHOD || allowed != mask)
				fail_msg("%s: %s %s: result %d allow %#x, "
					 "want 405 allow %#x",
				    fam->name, method_name(m), path, (int)res,
				    allowed, mask);
		} else if (res != ROUTE_NONE || allowed != 0) {
			fail_msg("%s: %s %s: result %d, want 404", fam->name,
			    method_name(m), path, (int)res);
		}
	}
	return mask;
}

/* The table's patterns: a method routes may have, a handler, "/"-separated
   segments none empty, at most one {x*}, at most ROUTE_PARAMS_MAX
   parameters; no (method, pattern) twice. */
static void
test_tables_well_formed(void **state)
{
	size_t f, i;

	(void)state;
	for (f = 0; f < ARRAY_LEN(families); f++) {
		const struct web_route *t = families[f].routes, *r, *q;

		assert_non_null(t[0].pattern);
		for (r = t; r->pattern != NULL; r++) {
			const char *s = r->pattern;
			size_t params = 0, stars = 0;
			bool known = false;

			for (i = 0; i < ARRAY_LEN(route_methods); i++)
				known |= r->method == route_methods[i];
			if (!known || r->fn == NULL || s[0] != '/')
				fail_msg("%s: %s: method %#x, handler %p",
				    families[f].name, r->pattern, r->method,
				    (void *)(uintptr_t)r->fn);
			while (*s == '/') {
				const char *e = strchr(s + 1, '/');
				size_t n = e != NULL ? (size_t)(e - s - 1)
						     : strlen(s + 1);

				if (n == 0)
					fail_msg("%s: %s: an empty segment",
					    families[f].name, r->pattern);
				if (is_param(s + 1, n)) {
					params++;
					stars += s[n - 1] == '*';
				} else if (memchr(s + 1, '{', n) != NULL ||
				    memchr(s + 1, '}', n) != NULL) {
					fail_msg("%s: %s: a brace inside a "
						 "literal",
					    families[f].name, r->pattern);
				}
				s += 1 + n;
			}
			if (*s != '\0' || stars > 1 ||
			    params > ROUTE_PARAMS_MAX)
				fail_msg("%s: %s: %zu parameters, %zu {x*}",
				    families[f].name, r->pattern, params,
				    stars);
			for (q = t; q < r; q++)
				if (q->method == r->method &&
				    strcmp(q->pattern, r->pattern) == 0)
					fail_msg("%s: %s %s twice",
					    families[f].name,
					    method_name(r->method), r->pattern);
		}
	}
}

/*
 * Every route is reached by a path built from its own pattern (a {x*}
 * with one segment and with two), with its method and, for GET, HEAD:
 * a route an earlier one takes that path from is shadowed. The same path
 * with every other method gets 405 and the Allow of exactly the routes
 * that take it.
 */
static void
test_every_route_reached(void **state)
{
	char path[1024];
	size_t f, segs, n = 0;

	(void)state;
	for (f = 0; f < ARRAY_LEN(families); f++) {
		const struct web_route *t = families[f].routes, *r, *out;
		unsigned allowed;

		for (r = t; r->pattern != NULL; r++) {
			for (segs = 1; segs <= 2; segs++) {
				sample_path(t, r, segs, path, sizeof(path));
				if (match(t, r->method, path, &out, &allowed) !=
					ROUTE_FOUND ||
				    out != r)
					fail_msg("%s: %s %s (path %s) is "
						 "shadowed by %s %s",
					    families[f].name,
					    method_name(r->method), r->pattern,
					    path,
					    out != NULL
						? method_name(out->method)
						: "nothing",
					    out != NULL ? out->pattern : "");
				if (r->method == WEB_GET &&
				    (match(t, WEB_HEAD, path, &out, &allowed) !=
					    ROUTE_FOUND ||
					out != r))
					fail_msg("%s: HEAD %s: not its GET",
					    families[f].name, path);
				assert_true(
				    check_path(&families[f], path) & r->method);
				n++;
				if (strchr(r->pattern, '*') == NULL)
					break;
			}
		}
	}
	print_message("# %zu route paths of %zu families\n", n,
	    ARRAY_LEN(families));
}

/*
 * 404: a path no route of a family takes. Each route's path with one more
 * segment, or with its last one changed, either is another route's (then
 * check_path wants that route or 405) or gets 404; the other families'
 * prefixes and an unknown one get 404 everywhere.
 */
static void
test_unknown_paths(void **state)
{
	char path[1100];
	size_t f, g, none = 0, len;

	(void)state;
	for (f = 0; f < ARRAY_LEN(families); f++) {
		const struct web_route *t = families[f].routes, *r;

		for (r = t; r->pattern != NULL; r++) {
			sample_path(t, r, 1, path, 1024);
			len = strlen(path);
			(void)snprintf(path + len, sizeof(path) - len,
			    "/zz-unknown");
			none += check_path(&families[f], path) == 0;
			(void)snprintf(strrchr(path, '/'), 16, "-unknown");
			none += check_path(&families[f], path) == 0;
		}
		for (g = 0; g < ARRAY_LEN(families); g++) {
			const char *p = families[g].prefixes;

			while (g != f && *p == '|' && p[1] != '\0') {
				const char *e = strchr(p + 1, '|');

				(void)snprintf(path, sizeof(path), "/%.*s/x",
				    (int)(e - p - 1), p + 1);
				if (check_path(&families[f], path) != 0)
					fail_msg("%s answers %s, which "
						 "lighttpd sends to %s",
					    families[f].name, path,
					    families[g].name);
				none++;
				p = e;
			}
		}
		if (check_path(&families[f], "/zz-unknown") != 0 ||
		    check_path(&families[f], "/") != 0)
			fail_msg("%s: a route for an unknown prefix",
			    families[f].name);
		none += 2;
	}
	print_message("# %zu paths answered 404\n", none);
	assert_true(none > 100);
}

/*
 * lighttpd.conf sends every route's first segment to the family whose
 * table has it: one of its prefixes, or, for auth (which gets what no
 * block claims), no other family's.
 */
static void
test_url_map(void **state)
{
	size_t f, g;

	(void)state;
	for (f = 0; f < ARRAY_LEN(families); f++) {
		const struct web_route *r;

		for (r = families[f].routes; r->pattern != NULL; r++) {
			const char *s = r->pattern + 1, *e = strchr(s, '/');
			size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
			char key[80];

			(void)snprintf(key, sizeof(key), "|%.*s|", (int)n, s);
			for (g = 0; g < ARRAY_LEN(families); g++) {
				bool has = strstr(families[g].prefixes, key) !=
				    NULL;
				bool own = g == f;

				if (own && f != 0 && !has)
					fail_msg("%s: %s: lighttpd.conf does "
						 "not send %s to it",
					    families[f].name, r->pattern, key);
				if (!own && has)
					fail_msg("%s: %s: lighttpd.conf sends "
						 "%s to %s",
					    families[f].name, r->pattern, key,
					    families[g].name);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_well_formed),
		cmocka_unit_test(test_every_route_reached),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_url_map),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
