/*
 * test_limit.c -- account limits on a real store: local (by RSE id, so
 * renames keep them) and global (resolved when read), rights and checks.
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
#include "limit.h"
#include "rse.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-limit";

static void
test_local(void **state)
{
	struct gr_err err = { 0 };
	json_t *b = json_integer(100), *out, *ren;

	(void)state;
	assert_int_equal(limit_local_set("root", "alice", "RSE_A", b, &err),
	    GR_OK);
	assert_int_equal(limit_local_set("alice", "alice", "RSE_A", b, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(limit_local_set("root", "alice", "NOPE", b, &err),
	    GR_RSE_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(limit_local_set("root", "nobody", "RSE_A", b, &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	json_decref(b);
	b = json_integer(-2);
	assert_int_equal(limit_local_set("root", "alice", "RSE_A", b, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(b);
	assert_int_equal(limit_local_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"RSE_A\":100}");
	assert_int_equal(limit_local_get("alice", "RSE_B", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"RSE_B\":null}");
	ren = json_pack("{s:s}", "name", "RSE_Z");
	assert_int_equal(rse_update("root", "RSE_A", ren, &err), GR_OK);
	json_decref(ren);
	assert_int_equal(limit_local_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"RSE_Z\":100}");
	assert_int_equal(limit_local_del("root", "alice", "RSE_Z", &err),
	    GR_OK);
	assert_int_equal(limit_local_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{}");
	/* a deleted RSE's limit is not shown */
	b = json_integer(7);
	assert_int_equal(limit_local_set("root", "alice", "RSE_Z", b, &err),
	    GR_OK);
	json_decref(b);
	assert_int_equal(limit_local_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"RSE_Z\":7}");
	assert_int_equal(rse_delete("root", "RSE_Z", &err), GR_OK);
	assert_int_equal(limit_local_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{}");
}

static void
test_global(void **state)
{
	struct gr_err err = { 0 };
	json_t *b = json_integer(5), *out;

	(void)state;
	assert_int_equal(limit_global_set("root", "alice", "RSE_B|RSE_A2", b,
			     &err),
	    GR_OK);
	assert_int_equal(limit_global_set("root", "alice", "RSE_Q", b, &err),
	    GR_INVALID_RSE_EXPR);
	gr_clear(&err);
	assert_int_equal(limit_global_set("alice", "alice", "RSE_B", b, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_decref(b);
	assert_int_equal(limit_global_get("alice", "RSE_B|RSE_A2", &out, &err),
	    GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"RSE_B|RSE_A2\":5}");
	assert_int_equal(limit_global_get("alice", NULL, &out, &err), GR_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out,
								"RSE_B|RSE_A2"),
			     "limit")),
	    5);
	assert_int_equal(json_array_size(json_object_get(json_object_get(out,
							     "RSE_B|RSE_A2"),
			     "resolved_rses")),
	    2);
	json_decref(out);
	assert_int_equal(limit_global_del("root", "alice", "RSE_B|RSE_A2",
			     &err),
	    GR_OK);
	assert_int_equal(limit_global_get("alice", NULL, &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{}");
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object();
	int rc;

	(void)state;
	rc = testlib_store_accounts(home) != 0 ||
	    rse_add("root", "RSE_A", none, &err) != GR_OK ||
	    rse_add("root", "RSE_B", none, &err) != GR_OK ||
	    rse_add("root", "RSE_A2", none, &err) != GR_OK;
	json_decref(none);
	return rc ? -1 : 0;
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
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_global),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("limit", tests, setup, teardown);
}
