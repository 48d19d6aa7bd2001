/*
 * test_scope.c -- scopes on a real store: rights, names, duplicates,
 * listings, owners.
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
#include "scope.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-scope";

static void
test_add(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	assert_int_equal(scope_add("root", "alice", "user.alice", &err), GR_OK);
	assert_int_equal(scope_add("root", "root", "data18", &err), GR_OK);
	assert_int_equal(scope_add("root", "alice", "user.alice", &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(scope_add("root", "alice", "a/b", &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(scope_add("root", "alice", "", &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(scope_add("root", "alice",
			     "abcdefghijklmnopqrstuvwxyz", &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(scope_add("root", "nobody", "s1", &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	/* a user is no admin */
	assert_int_equal(scope_add("alice", "alice", "user.alice2", &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
}

static void
test_lists(void **state)
{
	struct gr_err err = { 0 };
	json_t *out;

	(void)state;
	assert_int_equal(scope_list(NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"data18\",\"user.alice\"]");
	assert_int_equal(scope_list("alice", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"user.alice\"]");
	assert_int_equal(scope_list("bob", &out, &err), GR_SCOPE_NOT_FOUND);
	assert_null(out);
	gr_clear(&err);
	assert_int_equal(scope_list("nobody", &out, &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(scope_owners(&out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out),
	    "[{\"account\":\"root\",\"scope\":\"data18\"},"
	    "{\"account\":\"alice\",\"scope\":\"user.alice\"}]");
}

static void
test_set_owner(void **state)
{
	struct gr_err err = { 0 };
	json_t *out;

	(void)state;
	assert_int_equal(scope_set_owner("alice", "bob", "user.alice", &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(scope_set_owner("root", "bob", "user.alice", &err),
	    GR_OK);
	assert_int_equal(scope_list("bob", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"user.alice\"]");
	/* alice owns none now; the index followed the change */
	assert_int_equal(scope_list("alice", &out, &err), GR_SCOPE_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(scope_set_owner("root", "bob", "nosuch", &err),
	    GR_SCOPE_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(scope_set_owner("root", "nobody", "data18", &err),
	    GR_ACCOUNT_NOT_FOUND);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	if (testlib_store_accounts(home) != 0 ||
	    account_add("root", "bob", "USER", "b@example.org", &err) != GR_OK)
		return -1;
	return 0;
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
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_set_owner),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("scope", tests, setup, teardown);
}
