/*
 * test_template.c -- page templates (common/template.c): {{name}} filled
 * in escaped, {{#name}} sections, every malformed template refused, the
 * data directory (GRIDREST_DATADIR) and the one read per process, and the
 * consent page of share/ rendered with the values the auth family gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "template.h"
#include "tmpdir.h"
#include "util.h"

static struct arena arena;
static char dir[TEST_PATH_MAX] = "gr-tmpl";

static int
setup(void **state)
{
	(void)state;
	arena_init(&arena, 4096);
	return test_tmpdir(dir);
}

static int
teardown(void **state)
{
	char path[TEST_PATH_MAX + 64];

	(void)state;
	arena_free(&arena);
	(void)snprintf(path, sizeof(path), "%s/a.html", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/big.html", dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/nul.html", dir);
	(void)unlink(path);
	return rmdir(dir);
}

/* text rendered with vars; fails the test on an error */
static const char *
render(const char *text, const struct tmpl_var *vars, size_t n)
{
	struct gr_err err = { 0 };
	char *out = NULL;

	if (tmpl_render(&arena, text, vars, n, &out, &err) != GR_OK)
		fail_msg("\"%s\": %s", text, err.msg);
	return out;
}

static void
test_fill(void **state)
{
	const struct tmpl_var v[] = {
		{ "who", "<b>\"Tom\" & 'Jerry'</b>" },
		{ "none", NULL },
		{ "empty", "" },
	};

	(void)state;
	assert_string_equal(render("", v, 3), "");
	assert_string_equal(render("no names", v, 3), "no names");
	assert_string_equal(render("hi {{who}}!", v, 3),
	    "hi &lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;!");
	/* a name without a value reads as empty */
	assert_string_equal(render("[{{none}}][{{empty}}]", v, 3), "[][]");
	/* a single brace is text */
	assert_string_equal(render("{ x } {who} }}", v, 3), "{ x } {who} }}");
}

static void
test_sections(void **state)
{
	const struct tmpl_var v[] = {
		{ "error", "bad <input>" },
		{ "none", NULL },
		{ "empty", "" },
	};

	(void)state;
	assert_string_equal(render("a{{#error}}<p>{{error}}</p>{{/error}}b", v,
				3),
	    "a<p>bad &lt;input&gt;</p>b");
	/* no value: the section and the names inside it are left out */
	assert_string_equal(
	    render("a{{#none}}<p>{{error}}{{none}}</p>{{/none}}b", v, 3), "ab");
	/* an empty value is a value */
	assert_string_equal(render("a{{#empty}}[{{empty}}]{{/empty}}b", v, 3),
	    "a[]b");
	/* one section after another */
	assert_string_equal(render("{{#none}}x{{/none}}{{#error}}y{{/error}}"
				   "{{#none}}z{{/none}}",
				v, 3),
	    "y");
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"{{unknown}}",
		"{{#unknown}}x{{/unknown}}",
		"{{who",
		"x {{#who}} never closed",
		"{{/who}}",
		"{{#who}}{{#other}}{{/other}}{{/who}}",
		"{{#who}}x{{/other}}",
		"{{}}",
		"{{#}}{{/}}",
		"{{ who }}",
	};
	const struct tmpl_var v[] = { { "who", "w" }, { "other", "o" } };
	struct gr_err err = { 0 };
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		gr_clear(&err);
		out = NULL;
		if (tmpl_render(&arena, bad[i], v, 2, &out, &err) !=
			GR_INTERNAL ||
		    err.msg[0] == '\0')
			fail_msg("\"%s\" was rendered: \"%s\"", bad[i],
			    out != NULL ? out : "");
	}
}

static void
write_file(const char *name, const char *text, size_t n)
{
	char path[TEST_PATH_MAX + 64];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	struct gr_err err = { 0 };
	const char *t1 = NULL, *t2 = NULL;
	char *big;

	(void)state;
	setenv("GRIDREST_DATADIR", dir, 1);
	assert_int_equal(tmpl_load("missing.html", &t1, &err), GR_INTERNAL);
	assert_non_null(strstr(err.msg, "missing.html"));
	gr_clear(&err);
	write_file("a.html", "<p>{{x}}</p>\n", 13);
	assert_int_equal(tmpl_load("a.html", &t1, &err), GR_OK);
	assert_string_equal(t1, "<p>{{x}}</p>\n");
	/* read once: a change on disk is seen by the next process */
	write_file("a.html", "changed", 7);
	assert_int_equal(tmpl_load("a.html", &t2, &err), GR_OK);
	assert_ptr_equal(t1, t2);
	/* over TMPL_FILE_MAX, or with a NUL: refused */
	big = xmalloc(TMPL_FILE_MAX + 1);
	memset(big, 'x', TMPL_FILE_MAX + 1);
	write_file("big.html", big, TMPL_FILE_MAX + 1);
	free(big);
	assert_int_equal(tmpl_load("big.html", &t1, &err), GR_INTERNAL);
	gr_clear(&err);
	write_file("nul.html", "a\0b", 3);
	assert_int_equal(tmpl_load("nul.html", &t1, &err), GR_INTERNAL);
	unsetenv("GRIDREST_DATADIR");
}

/* The consent page as shipped (share/, the test runs from the top of the
   tree) renders with the names the auth family gives, nothing left. */
static void
test_consent_page(void **state)
{
	const struct tmpl_var v[] = {
		{ "client_name", "portal <1>" },
		{ "error", NULL },
		{ "client_id", "cid" },
		{ "redirect_uri", "https://portal.example.org/cb?a=1&b=2" },
		{ "state", "st &1" },
		{ "scope", NULL },
		{ "code_challenge", "ch" },
		{ "code_challenge_method", "S256" },
		{ "group", "dirac_user" },
		{ "lifetime", "24" },
	};
	struct gr_err err = { 0 };
	const char *text;
	const char *page;

	(void)state;
	setenv("GRIDREST_DATADIR", "share", 1);
	assert_int_equal(tmpl_load("oauth2-consent.html", &text, &err), GR_OK);
	unsetenv("GRIDREST_DATADIR");
	page = render(text, v, ARRAY_LEN(v));
	assert_null(strstr(page, "{{"));
	assert_null(strstr(page, "role=\"alert\""));
	assert_non_null(strstr(page, "<h1>Authorise portal &lt;1&gt;</h1>"));
	assert_non_null(strstr(page,
	    "name=\"redirect_uri\" value=\"https://portal.example.org/cb?a=1"
	    "&amp;b=2\""));
	assert_non_null(strstr(page, "name=\"state\" value=\"st &amp;1\""));
	assert_non_null(strstr(page, "value=\"grant\""));
	assert_non_null(strstr(page, "value=\"deny\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_consent_page),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("template", tests, setup, teardown);
}
