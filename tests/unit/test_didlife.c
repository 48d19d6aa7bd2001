/*
 * test_didlife.c -- new DIDs, expiry and resurrection (common/didlife.c)
 * on a real store: the new-DID listing follows is_new and the type, the
 * expired ones come oldest first and only up to now, resurrection takes
 * the expiry of expired DIDs only, all or nothing, for admins.
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
#include "did.h"
#include "didlife.h"
#include "scope.h"
#include "tables.h"
#include "testlib.h"
#include "util.h"

static char home[] = "/tmp/gr-didlife.XXXXXX";

/* Put a record for d:name (type, expired_at or 0 for none). */
struct put {
	const char *name, *type;
	int64_t expired_at;
};

static int
put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct put *p = arg;
	json_t *rec = json_pack("{s:s, s:s, s:I}", "type", p->type, "account",
	    "root", "created_at", (json_int_t)time_now());
	int rc;

	if (p->expired_at != 0)
		json_object_set_new(rec, "expired_at",
		    json_integer(p->expired_at));
	rc = did_store(t, "d", p->name, rec, 0, err);
	json_decref(rec);
	return rc;
}

static void
put(const char *name, const char *type, int64_t expired_at)
{
	struct put p = { name, type, expired_at };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(put_txn, &p, &err), GR_OK);
}

static int
collect(json_t *item, void *ctx)
{
	json_t *names = ctx;

	json_array_append_new(names,
	    json_pack("s+++", json_string_value(json_object_get(item, "name")),
		":", json_string_value(json_object_get(item, "did_type")), ""));
	return GR_OK;
}

static const char *
list_new(const char *type)
{
	struct gr_err err = { 0 };
	json_t *names = json_array();

	assert_int_equal(did_list_new(type, collect, names, &err), GR_OK);
	return testlib_dumps(names);
}

struct mark {
	const char *name;
	bool is_new;
};

static int
mark_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct mark *m = arg;

	return did_set_new(t, "d", m->name, m->is_new, err);
}

static void
test_new(void **state)
{
	struct gr_err err = { 0 };
	struct mark m = { "a", false };

	(void)state;
	/* a scope's collections (through the index), then its files */
	assert_string_equal(list_new(NULL),
	    "[\"a:DATASET\",\"c:CONTAINER\",\"e1:DATASET\","
	    "\"e2:DATASET\",\"e3:DATASET\",\"b:FILE\"]");
	assert_string_equal(list_new("file"), "[\"b:FILE\"]");
	assert_string_equal(list_new("CONTAINER"), "[\"c:CONTAINER\"]");
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_OK);
	assert_string_equal(list_new("DATASET"),
	    "[\"e1:DATASET\",\"e2:DATASET\",\"e3:DATASET\"]");
	m.is_new = true;
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_OK);
	assert_string_equal(list_new("dataset"),
	    "[\"a:DATASET\",\"e1:DATASET\",\"e2:DATASET\",\"e3:DATASET\"]");
	assert_int_equal(did_list_new("bag", collect, NULL, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	m.name = "nope";
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_DID_NOT_FOUND);
	gr_clear(&err);
}

static int
expired_one(const char *scope, const char *name, int64_t when, void *arg)
{
	json_t *out = arg;

	assert_string_equal(scope, "d");
	json_array_append_new(out, json_pack("[s,I]", name, (json_int_t)when));
	return GR_OK;
}

struct expired {
	int64_t now;
	json_t *out;
};

static int
expired_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct expired *e = arg;

	return did_expired_each(t, e->now, expired_one, e->out, err);
}

static const char *
expired(int64_t now)
{
	struct expired e = { now, json_array() };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(expired_txn, &e, 0, &err), GR_OK);
	return testlib_dumps(e.out);
}

static void
test_expiry_and_resurrect(void **state)
{
	struct gr_err err = { 0 };
	json_t *dids;
	int64_t now = time_now();
	char want[200];

	(void)state;
	/* oldest first, up to and with now */
	assert_string_equal(expired(1000), "[[\"e2\",1000]]");
	assert_string_equal(expired(999), "[]");
	snprintf(want, sizeof(want), "[[\"e2\",1000],[\"e1\",%lld]]",
	    (long long)(now - 5));
	assert_string_equal(expired(now), want);
	/* e3 expires in an hour: not expired, not resurrected */
	dids = json_pack("[{s:s, s:s}, {s:s, s:s}]", "scope", "d", "name", "e1",
	    "scope", "d", "name", "e3");
	assert_int_equal(did_resurrect("root", dids, &err), GR_DID_NOT_FOUND);
	assert_non_null(strstr(err.msg, "Deleted Data identifier 'd:e3'"));
	gr_clear(&err);
	json_decref(dids);
	assert_string_equal(expired(now), want); /* all or nothing */
	dids = json_pack("[{s:s, s:s}]", "scope", "d", "name", "e1");
	assert_int_equal(did_resurrect("alice", dids, &err), GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(did_resurrect("root", dids, &err), GR_OK);
	assert_string_equal(expired(now), "[[\"e2\",1000]]");
	assert_int_equal(did_resurrect("root", dids, &err), GR_DID_NOT_FOUND);
	gr_clear(&err);
	json_decref(dids);
	dids = json_pack("[{s:s, s:s}]", "scope", "d", "name", "a b");
	assert_int_equal(did_resurrect("root", dids, &err), GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(dids);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	if (testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "d", &err) != GR_OK) {
		fprintf(stderr, "# setup: %s\n", err.msg);
		return -1;
	}
	put("a", "DATASET", 0);
	put("b", "FILE", 0);
	put("c", "CONTAINER", 0);
	put("e1", "DATASET", time_now() - 5);
	put("e2", "DATASET", 1000);
	put("e3", "DATASET", time_now() + 3600);
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
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_expiry_and_resurrect),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("didlife", tests, setup, teardown);
}
