/*
 * test_rse_expr.c -- RSE expressions on a real store: every operator,
 * left-to-right evaluation, parentheses, settings and attribute terms,
 * numeric comparisons, deleted RSEs, empty results, every kind of syntax
 * error, and that results are always current.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"
#include "cfg.h"
#include "rse.h"
#include "rse_expr.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-rsex";

struct eval_args {
	const char *expr;
	char names[256];
	int rc;
	struct gr_err err;
};

static int
eval_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct eval_args *a = arg;
	json_t *out = NULL, *n;
	size_t i;

	(void)err;
	a->names[0] = '\0';
	gr_clear(&a->err);
	a->rc = rse_expr_eval(t, a->expr, &out, &a->err);
	json_array_foreach(out, i, n) {
		size_t len = strlen(a->names);

		(void)snprintf(a->names + len, sizeof(a->names) - len, "%s%s",
		    len > 0 ? " " : "", json_string_value(n));
	}
	json_decref(out);
	return GR_OK;
}

/* The names expr selects, space-separated, or "!" + the error message. */
static const char *
eval(const char *expr)
{
	static struct eval_args a;
	static char out[300];
	struct gr_err err = { 0 };

	memset(&a, 0, sizeof(a));
	a.expr = expr;
	assert_int_equal(st_view(eval_txn, &a, 0, &err), GR_OK);
	if (a.rc != GR_OK) {
		assert_int_equal(a.rc, GR_INVALID_RSE_EXPR);
		(void)snprintf(out, sizeof(out), "!%s", a.err.msg);
		return out;
	}
	return a.names;
}

static void
test_terms(void **state)
{
	(void)state;
	assert_string_equal(eval("*"), "A1 B2 C3");
	assert_string_equal(eval("A1"), "A1");
	assert_string_equal(eval("tier1"), "A1");
	assert_string_equal(eval("tier=1"), "A1 C3");
	assert_string_equal(eval("country=US"), "B2 C3");
	assert_string_equal(eval("rse_type=TAPE"), "B2");
	assert_string_equal(eval("deterministic=false"), "C3");
	assert_string_equal(eval("deterministic=True"), "A1 B2");
	assert_string_equal(eval("city=Geneva"), "A1");
	/* numeric comparisons on attributes; non-numeric ones are skipped */
	assert_string_equal(eval("freespace>100"), "A1");
	assert_string_equal(eval("freespace<100"), "B2");
	assert_string_equal(eval("freespace>1e9"),
	    "!RSE Expression resulted in an empty set.");
}

static void
test_operators(void **state)
{
	(void)state;
	assert_string_equal(eval("A1|B2"), "A1 B2");
	assert_string_equal(eval("tier=1&country=US"), "C3");
	assert_string_equal(eval("*\\rse_type=TAPE"), "A1 C3");
	/* strictly left to right, equal precedence */
	assert_string_equal(eval("A1|B2&country=US"), "B2");
	assert_string_equal(eval("A1|(B2&country=US)"), "A1 B2");
	assert_string_equal(eval("A1\\A1|B2"), "B2");
	assert_string_equal(eval("((A1))|((C3)&tier=1)"), "A1 C3");
	assert_string_equal(eval("country=CH|country=US"), "A1 B2 C3");
	assert_string_equal(eval("(A1|B2)\\country=US"), "A1");
}

static void
test_deleted_and_empty(void **state)
{
	(void)state;
	assert_string_equal(eval("D4"),
	    "!RSE Expression resulted in an empty set.");
	assert_string_equal(eval("tier=9"),
	    "!RSE Expression resulted in an empty set.");
	assert_string_equal(eval("A1&B2"),
	    "!RSE Expression resulted in an empty set.");
	assert_string_equal(eval("nosuchtag"),
	    "!RSE Expression resulted in an empty set.");
}

static void
test_syntax(void **state)
{
	static const char *const bad[] = { "", "A1|", "|A1", "A1||B2", "A1 B2",
		"()", "A1|*x", "=1", "tier=", "tier=1.5", "a.b", "_A", "A_",
		"A__B", "A1&", "A1(B2)", "(A1)B2", "tier==1", "x=y=z", "A1;B2",
		"A1\\\\B2", "A1&|B2" };
	static const char *const parens[] = { "(A1", "A1)", "A1&(B2", "(A1))",
		")A1(" };
	char deep[200], *long_expr;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (strcmp(eval(bad[i]),
			"!Expression does not comply to RSE Expression "
			"syntax") != 0)
			fail_msg("'%s': %s", bad[i], eval(bad[i]));
	for (i = 0; i < ARRAY_LEN(parens); i++)
		assert_string_equal(eval(parens[i]),
		    "!Problem with parentheses.");
	memset(deep, '(', 70);
	memcpy(deep + 70, "A1", 2);
	memset(deep + 72, ')', 70);
	deep[142] = '\0';
	assert_string_equal(eval(deep), "!RSE expression nested too deeply");
	memset(deep, 'A', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_string_equal(eval(deep),
	    "!RSE Expression resulted in an empty set.");
	/* the longest expression is evaluated; one more byte is refused as
	   too long, not as bad syntax */
	long_expr = malloc(RSE_EXPR_MAX + 2);
	assert_non_null(long_expr);
	memset(long_expr, 'A', RSE_EXPR_MAX);
	long_expr[RSE_EXPR_MAX] = '\0';
	assert_string_equal(eval(long_expr),
	    "!RSE Expression resulted in an empty set.");
	memcpy(long_expr + RSE_EXPR_MAX, "A", 2);
	assert_string_equal(eval(long_expr),
	    "!An RSE expression has at most 1024 characters: this one has "
	    "1025");
	free(long_expr);
}

static void
test_always_current(void **state)
{
	struct gr_err err = { 0 };
	json_t *v = json_true();

	(void)state;
	assert_string_equal(eval("fresh"),
	    "!RSE Expression resulted in an empty set.");
	assert_int_equal(rse_attr_set("root", "C3", "fresh", v, &err), GR_OK);
	json_decref(v);
	assert_string_equal(eval("fresh"), "C3");
}

static void
add(const char *name, const char *settings)
{
	struct gr_err err = { 0 };
	json_t *s = json_loads(settings, 0, NULL);

	assert_int_equal(rse_add("root", name, s, &err), GR_OK);
	json_decref(s);
}

static void
attr(const char *rse, const char *key, json_t *value)
{
	struct gr_err err = { 0 };

	assert_int_equal(rse_attr_set("root", rse, key, value, &err), GR_OK);
	json_decref(value);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	bool created;

	(void)state;
	cfg.durability = CFG_DURABLE_NONE;
	if (testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK)
		return -1;
	add("A1", "{\"city\": \"Geneva\"}");
	add("B2", "{\"rse_type\": \"TAPE\"}");
	add("C3", "{\"deterministic\": false}");
	add("D4", "{}");
	attr("A1", "tier", json_integer(1));
	attr("A1", "tier1", json_true());
	attr("A1", "country", json_string("CH"));
	attr("A1", "freespace", json_string("500"));
	attr("B2", "tier", json_integer(2));
	attr("B2", "country", json_string("US"));
	attr("B2", "freespace", json_integer(50));
	attr("C3", "tier", json_string("1"));
	attr("C3", "country", json_string("US"));
	attr("C3", "freespace", json_string("abc"));
	attr("D4", "tier", json_integer(1));
	return rse_delete("root", "D4", &err) == GR_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return testlib_store_remove(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_deleted_and_empty),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_always_current),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("rse_expr", tests, setup, teardown);
}
