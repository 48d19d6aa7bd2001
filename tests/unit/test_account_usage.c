/*
 * test_account_usage.c -- account usage on a real store: the counter the
 * replication rules move inside their own transactions (committed with
 * them, gone when they abort), its rendering next to local and global
 * limits (Infinity for unlimited ones), the history, the per-RSE view,
 * rights, the rules' quota hooks, and the JSON text writer that knows
 * Infinity.
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
#include "jsonx.h"
#include "limit.h"
#include "rse.h"
#include "tables.h"
#include "testlib.h"
#include "usage.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-acctusage";

/* What a rule's transaction does: look the RSE up, move the counter. */
struct move {
	const char *account, *rse;
	json_int_t files, bytes;
	int then; /* what the body returns after moving: GR_OK commits */
};

static int
move_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct move *m = arg;
	char id[RSE_ID_LEN + 1];
	int rc;

	if ((rc = rse_live_id(t, m->rse, id, err)) != GR_OK ||
	    (rc = account_usage_add(t, m->account, id, m->files, m->bytes,
		 err)) != GR_OK)
		return rc;
	return m->then == GR_OK ? GR_OK : gr_fail(err, m->then, "rolled back");
}

static int
move(const char *account, const char *rse, json_int_t files, json_int_t bytes,
    int then)
{
	struct move m = { account, rse, files, bytes, then };
	struct gr_err err = { 0 };

	return st_txn_run(move_txn, &m, &err);
}

static int
collect(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

/* The local usage rows of account as seen by root. */
static json_t *
local(const char *account, const char *rse)
{
	struct gr_err err = { 0 };
	json_t *rows = json_array();

	assert_int_equal(account_usage_local("root", account, rse, collect,
			     rows, &err),
	    GR_OK);
	return rows;
}

static void
set_limit(const char *account, const char *rse, json_int_t bytes)
{
	struct gr_err err = { 0 };
	json_t *b = json_integer(bytes);

	assert_int_equal(limit_local_set("root", account, rse, b, &err), GR_OK);
	json_decref(b);
}

static void
test_add_in_callers_txn(void **state)
{
	json_t *rows;

	(void)state;
	assert_int_equal(move("alice", "RSE_A", 2, 20, GR_OK), GR_OK);
	assert_int_equal(move("alice", "RSE_A", 1, 5, GR_OK), GR_OK);
	/* the caller's transaction aborts: its move is gone with it */
	assert_int_equal(move("alice", "RSE_A", 7, 700, GR_INTERNAL),
	    GR_INTERNAL);
	/* below zero is refused, and nothing moves */
	assert_int_equal(move("alice", "RSE_A", -4, 0, GR_OK),
	    GR_INVALID_OBJECT);
	assert_int_equal(move("alice", "RSE_A", 0, -26, GR_OK),
	    GR_INVALID_OBJECT);
	rows = local("alice", "RSE_A");
	assert_int_equal(json_array_size(rows), 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(rows, 0), "files")),
	    3);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(rows, 0), "bytes")),
	    25);
	json_decref(rows);
	/* back to zero: no row (no limit either), and no record left */
	assert_int_equal(move("alice", "RSE_A", -3, -25, GR_OK), GR_OK);
	rows = local("alice", NULL);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
}

static void
test_local_with_limits(void **state)
{
	json_t *rows, *r;

	(void)state;
	assert_int_equal(move("bob", "RSE_A", 3, 600, GR_OK), GR_OK);
	assert_int_equal(move("bob", "RSE_C", 1, 50, GR_OK), GR_OK);
	set_limit("bob", "RSE_A", 1000);
	set_limit("bob", "RSE_B", LIMIT_UNLIMITED);
	rows = local("bob", NULL);
	assert_int_equal(json_array_size(rows), 3); /* by RSE name */
	r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r, "rse")),
	    "RSE_A");
	assert_int_equal(json_integer_value(json_object_get(r, "bytes_limit")),
	    1000);
	assert_int_equal(json_integer_value(
			     json_object_get(r, "bytes_remaining")),
	    400);
	r = json_array_get(rows, 1); /* unlimited, nothing used */
	assert_string_equal(json_string_value(json_object_get(r, "rse")),
	    "RSE_B");
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 0);
	assert_ptr_equal(json_object_get(r, "bytes_limit"), jsonx_infinity());
	assert_ptr_equal(json_object_get(r, "bytes_remaining"),
	    jsonx_infinity());
	r = json_array_get(rows, 2); /* usage without a limit: limit 0 */
	assert_string_equal(json_string_value(json_object_get(r, "rse")),
	    "RSE_C");
	assert_int_equal(json_integer_value(json_object_get(r, "bytes_limit")),
	    0);
	assert_int_equal(json_integer_value(
			     json_object_get(r, "bytes_remaining")),
	    -50);
	assert_int_equal(strlen(
			     json_string_value(json_object_get(r, "rse_id"))),
	    RSE_ID_LEN);
	json_decref(rows);
	rows = local("bob", "RSE_D");
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
}

static void
test_global(void **state)
{
	struct gr_err err = { 0 };
	json_t *rows = json_array(), *b = json_integer(5000), *r;

	(void)state;
	assert_int_equal(move("carol", "RSE_A", 1, 100, GR_OK), GR_OK);
	assert_int_equal(move("carol", "RSE_B", 2, 20, GR_OK), GR_OK);
	assert_int_equal(move("carol", "RSE_C", 4, 4, GR_OK), GR_OK);
	assert_int_equal(limit_global_set("root", "carol", "RSE_A|RSE_B", b,
			     &err),
	    GR_OK);
	assert_int_equal(account_usage_global("carol", "carol", NULL, collect,
			     rows, &err),
	    GR_OK);
	assert_int_equal(json_array_size(rows), 1);
	r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(
				json_object_get(r, "rse_expression")),
	    "RSE_A|RSE_B");
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 120);
	assert_int_equal(json_integer_value(json_object_get(r, "files")), 3);
	assert_int_equal(json_integer_value(
			     json_object_get(r, "bytes_remaining")),
	    4880);
	json_array_clear(rows);
	/* one expression without a limit: summed, limit 0 */
	assert_int_equal(account_usage_global("root", "carol", "RSE_C|RSE_A",
			     collect, rows, &err),
	    GR_OK);
	r = json_array_get(rows, 0);
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 104);
	assert_int_equal(json_integer_value(json_object_get(r, "bytes_limit")),
	    0);
	json_array_clear(rows);
	assert_int_equal(account_usage_global("root", "carol", "RSE_C|",
			     collect, rows, &err),
	    GR_INVALID_RSE_EXPR);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	json_decref(b);
}

static void
test_history(void **state)
{
	struct gr_err err = { 0 };
	json_t *out;

	(void)state;
	assert_int_equal(move("dave", "RSE_A", 1, 10, GR_OK), GR_OK);
	assert_int_equal(move("dave", "RSE_A", 1, 10, GR_OK), GR_OK);
	assert_int_equal(account_usage_history("dave", "dave", "RSE_A", &out,
			     &err),
	    GR_OK);
	/* one point per hour: the last figures */
	assert_int_equal(json_array_size(out), 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(out, 0), "bytes")),
	    20);
	assert_int_equal(strlen(json_string_value(
			     json_object_get(json_array_get(out, 0),
				 "updated_at"))),
	    19);
	json_decref(out);
	assert_int_equal(account_usage_history("dave", "dave", "RSE_B", &out,
			     &err),
	    GR_OK);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	assert_int_equal(account_usage_history("dave", "dave", "NOPE", &out,
			     &err),
	    GR_RSE_NOT_FOUND);
	assert_null(out);
}

static void
test_rights(void **state)
{
	struct gr_err err = { 0 };
	json_t *rows = json_array(), *out, *adm = json_string("admin");

	(void)state;
	assert_int_equal(account_usage_local("alice", "bob", NULL, collect,
			     rows, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(account_usage_global("alice", "bob", NULL, collect,
			     rows, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(account_usage_history("alice", "bob", "RSE_A", &out,
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(json_array_size(rows), 0);
	/* a country admin may */
	assert_int_equal(account_attr_add("root", "alice", "country-ch", adm,
			     &err),
	    GR_OK);
	assert_int_equal(account_usage_local("alice", "bob", NULL, collect,
			     rows, &err),
	    GR_OK);
	assert_int_equal(json_array_size(rows), 3);
	assert_int_equal(account_attr_del("root", "alice", "country-ch", &err),
	    GR_OK);
	assert_int_equal(account_usage_local("root", "nobody", NULL, collect,
			     rows, &err),
	    GR_ACCOUNT_NOT_FOUND);
	json_decref(rows);
	json_decref(adm);
}

static void
test_rse_accounts(void **state)
{
	struct gr_err err = { 0 };
	json_t *rows = json_array(), *r;

	(void)state;
	/* bob: usage and a limit on RSE_A; carol: usage only */
	assert_int_equal(account_usage_on_rse("RSE_A", collect, rows, &err),
	    GR_OK);
	assert_int_equal(json_array_size(rows), 3); /* bob, carol, dave */
	r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r, "account")),
	    "bob");
	assert_int_equal(json_integer_value(json_object_get(r, "used_bytes")),
	    600);
	assert_int_equal(json_integer_value(json_object_get(r, "quota_bytes")),
	    1000);
	r = json_array_get(rows, 1);
	assert_string_equal(json_string_value(json_object_get(r, "account")),
	    "carol");
	assert_true(json_is_null(json_object_get(r, "quota_bytes")));
	json_array_clear(rows);
	assert_int_equal(account_usage_on_rse("RSE_B", collect, rows, &err),
	    GR_OK);
	r = json_array_get(rows, 0); /* bob's stored -1 */
	assert_int_equal(json_integer_value(json_object_get(r, "quota_bytes")),
	    -1);
	json_array_clear(rows);
	assert_int_equal(account_usage_on_rse("NOPE", collect, rows, &err),
	    GR_RSE_NOT_FOUND);
	json_decref(rows);
}

/* What a rule asks before it places bytes on an RSE. */
struct quota {
	const char *account, *rse;
	json_int_t bytes, local, global;
};

static int
quota_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct quota *q = arg;
	char id[RSE_ID_LEN + 1];
	int rc;

	if ((rc = rse_live_id(t, q->rse, id, err)) != GR_OK ||
	    (rc = limit_quota_left(t, q->account, id, &q->local, &q->global,
		 err)) != GR_OK)
		return rc;
	return limit_check(t, q->account, id, q->bytes, err);
}

static int
quota(struct quota *q)
{
	struct gr_err err = { 0 };

	return st_view(quota_txn, q, 0, &err);
}

static void
test_quota(void **state)
{
	struct gr_err err = { 0 };
	struct quota q = { "erin", "RSE_A", 1, 0, 0 };
	json_t *b;

	(void)state;
	/* no local limit: nothing may go there */
	assert_int_equal(quota(&q), GR_INSUFFICIENT_ACCOUNT_LIMIT);
	assert_int_equal(q.local, 0);
	assert_int_equal(q.global, LIMIT_UNLIMITED);
	set_limit("erin", "RSE_A", 1000);
	assert_int_equal(move("erin", "RSE_A", 6, 600, GR_OK), GR_OK);
	q.bytes = 399;
	assert_int_equal(quota(&q), GR_OK);
	assert_int_equal(q.local, 400);
	q.bytes = 400; /* Rucio's selector wants quota_left > size */
	assert_int_equal(quota(&q), GR_INSUFFICIENT_ACCOUNT_LIMIT);
	/* unlimited locally */
	set_limit("erin", "RSE_B", LIMIT_UNLIMITED);
	assert_int_equal(move("erin", "RSE_B", 1, 50, GR_OK), GR_OK);
	q = (struct quota){ "erin", "RSE_B", 1000000000000LL, 0, 0 };
	assert_int_equal(quota(&q), GR_OK);
	assert_int_equal(q.local, LIMIT_UNLIMITED);
	/* a global limit over A and B: 700 - (600 + 50) left on either */
	b = json_integer(700);
	assert_int_equal(limit_global_set("root", "erin", "RSE_A|RSE_B", b,
			     &err),
	    GR_OK);
	json_decref(b);
	b = json_integer(LIMIT_UNLIMITED); /* bounds nothing */
	assert_int_equal(limit_global_set("root", "erin", "RSE_B", b, &err),
	    GR_OK);
	json_decref(b);
	q.bytes = 50;
	assert_int_equal(quota(&q), GR_OK);
	assert_int_equal(q.global, 50);
	q.bytes = 51;
	assert_int_equal(quota(&q), GR_INSUFFICIENT_ACCOUNT_LIMIT);
	assert_int_equal(gr_err_status(GR_INSUFFICIENT_ACCOUNT_LIMIT), 409);
	/* RSE_C is under no global limit of erin's */
	set_limit("erin", "RSE_C", 10);
	q = (struct quota){ "erin", "RSE_C", 5, 0, 0 };
	assert_int_equal(quota(&q), GR_OK);
	assert_int_equal(q.global, LIMIT_UNLIMITED);
	/* admins are not bounded */
	q = (struct quota){ "root", "RSE_D", 1LL << 50, 0, 0 };
	assert_int_equal(quota(&q), GR_OK);
	assert_int_equal(q.local, LIMIT_UNLIMITED);
}

static void
test_jsonx(void **state)
{
	struct sbuf b = { 0 };
	json_t *v = json_pack("{s:o, s:[i, f, b, n, s], s:{}}", "lim",
	    json_incref(jsonx_infinity()), "l", 1, 2.5, 0, "a\"b\n", "o");

	(void)state;
	jsonx_text(&b, v);
	sbuf_add(&b, "", 1);
	assert_string_equal(b.s,
	    "{\"lim\":Infinity,\"l\":[1,2.5,false,null,\"a\\\"b\\u000a\"],"
	    "\"o\":{}}");
	sbuf_free(&b);
	json_decref(v);
	/* a writer that does not know it sees the largest double */
	v = json_pack("[O]", jsonx_infinity());
	assert_string_equal(testlib_dumps(v), "[1.7976931348623157e308]");
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object();
	bool created;
	int rc;

	(void)state;
	cfg.durability = CFG_DURABLE_NONE;
	rc = testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK;
	rc = rc || account_add("root", "alice", "USER", "a@x.org", &err) ||
	    account_add("root", "bob", "USER", "b@x.org", &err) ||
	    account_add("root", "carol", "USER", "c@x.org", &err) ||
	    account_add("root", "dave", "USER", "d@x.org", &err) ||
	    account_add("root", "erin", "USER", "e@x.org", &err) ||
	    rse_add("root", "RSE_A", none, &err) ||
	    rse_add("root", "RSE_B", none, &err) ||
	    rse_add("root", "RSE_C", none, &err) ||
	    rse_add("root", "RSE_D", none, &err);
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
		cmocka_unit_test(test_add_in_callers_txn),
		cmocka_unit_test(test_local_with_limits),
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_rights),
		cmocka_unit_test(test_rse_accounts),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_jsonx),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("account_usage", tests, setup,
	    teardown);
}
