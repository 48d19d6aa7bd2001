/*
 * test_collection.c -- datasets and containers on a real store: creation
 * checks, every containment rule, cycles, closing (figures computed),
 * dynamic figures, walking the files below a container, and the
 * walkers up and down (coll_above, coll_below, coll_within).
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
#include "collection.h"
#include "did.h"
#include "didmeta.h"
#include "tables.h"
#include "replica.h"
#include "rse.h"
#include "scope.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-coll";

static json_t *
type(const char *t)
{
	return json_pack("{s:s}", "type", t);
}

static json_t *
dids1(const char *name)
{
	return json_pack("[{s:s, s:s}]", "scope", "d", "name", name);
}

/* the result of coll_attach(root, d:parent, [d:child]) */
static int
attach(const char *parent, const char *child)
{
	struct gr_err err = { 0 };
	json_t *d = dids1(child);
	int rc = coll_attach("root", "d", parent, d, false, &err);

	json_decref(d);
	return rc;
}

static void
test_create(void **state)
{
	struct gr_err err = { 0 };
	json_t *b, *out;

	(void)state;
	b = type("DATASET");
	assert_int_equal(coll_add("root", "d", "ds1", b, &err), GR_OK);
	assert_int_equal(coll_add("root", "d", "ds1", b, &err), GR_DID_EXISTS);
	gr_clear(&err);
	assert_int_equal(coll_add("root", "d", "f1", b, &err), GR_DID_EXISTS);
	gr_clear(&err);
	assert_int_equal(coll_add("alice", "d", "x", b, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(coll_add("root", "nope", "x", b, &err),
	    GR_SCOPE_NOT_FOUND);
	gr_clear(&err);
	json_decref(b);
	b = type("FILE");
	assert_int_equal(coll_add("root", "d", "x", b, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	json_decref(b);
	b = json_pack("{s:s, s:{s:b}}", "type", "CONTAINER", "statuses",
	    "monotonic", 1);
	assert_int_equal(coll_add("root", "d", "c1", b, &err), GR_OK);
	json_decref(b);
	assert_int_equal(coll_get("d", "c1", NULL, &out, &err), GR_OK);
	json_object_del(out, "expired_at");
	assert_string_equal(testlib_dumps(out),
	    "{\"account\":\"root\",\"bytes\":null,\"length\":null,"
	    "\"monotonic\":true,\"name\":\"c1\",\"open\":true,\"scope\":\"d\","
	    "\"type\":\"CONTAINER\"}");
	assert_int_equal(coll_get("d", "nope", NULL, &out, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
}

static void
test_rules(void **state)
{
	struct gr_err err = { 0 };
	json_t *b = type("DATASET"), *c = type("CONTAINER");

	(void)state;
	assert_int_equal(attach("ds1", "f1"), GR_OK);
	assert_int_equal(attach("ds1", "f1"), GR_FILE_EXISTS);
	assert_int_equal(attach("ds1", "ds1"), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(attach("ds1", "c1"), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(attach("f1", "f2"), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(attach("ds1", "nope"), GR_DID_NOT_FOUND);
	assert_int_equal(attach("c1", "f2"), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(attach("c1", "ds1"), GR_OK);
	assert_int_equal(attach("c1", "ds1"), GR_DUPLICATE_CONTENT);
	assert_int_equal(coll_add("root", "d", "c2", c, &err), GR_OK);
	assert_int_equal(coll_add("root", "d", "c3", c, &err), GR_OK);
	assert_int_equal(attach("c2", "c1"), GR_OK);
	assert_int_equal(attach("c3", "c2"), GR_OK);
	/* c1 > c3 would close the loop c3 > c2 > c1 > c3 */
	{
		json_t *d = dids1("c3");

		assert_int_equal(coll_attach("root", "d", "c1", d, false, &err),
		    GR_UNSUPPORTED_OPERATION);
		assert_non_null(strstr(err.msg, "Circular"));
		gr_clear(&err);
		json_decref(d);
	}
	/* consistency of given values */
	{
		json_t *d = json_pack("[{s:s, s:s, s:i}]", "scope", "d", "name",
		    "f2", "bytes", 3);

		assert_int_equal(coll_attach("root", "d", "ds1", d, false,
				     &err),
		    GR_FILE_CONSISTENCY);
		assert_non_null(strstr(err.msg, "bytes mismatch"));
		gr_clear(&err);
		json_decref(d);
	}
	/* ignore_duplicate */
	{
		json_t *d = json_pack("[{s:s, s:s}, {s:s, s:s}]", "scope", "d",
		    "name", "f1", "scope", "d", "name", "f2");

		assert_int_equal(coll_attach("root", "d", "ds1", d, true, &err),
		    GR_OK);
		json_decref(d);
	}
	json_decref(b);
	json_decref(c);
}

static int
count_file(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	(void)scope;
	(void)rec;
	(void)n;
	json_array_append_new(arg, json_string(name));
	return GR_OK;
}

static int
walk_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return coll_files_below(t, "d", "c3", count_file, arg, err);
}

static void
test_close_and_walk(void **state)
{
	struct gr_err err = { 0 };
	json_t *out, *names = json_array();
	json_t *close = json_pack("{s:b}", "open", 0);
	json_t *open = json_pack("{s:b}", "open", 1);
	json_t *bad = json_pack("{s:b}", "frozen", 1);

	(void)state;
	assert_int_equal(coll_get("d", "c3", "FILE", &out, &err), GR_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "length")), 2);
	assert_int_equal(json_integer_value(json_object_get(out, "bytes")), 30);
	json_decref(out);
	assert_int_equal(st_view(walk_txn, names, 0, &err), GR_OK);
	assert_string_equal(testlib_dumps(names), "[\"f1\",\"f2\"]");

	assert_int_equal(coll_set_status("alice", "d", "ds1", close, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(coll_set_status("root", "d", "ds1", bad, &err),
	    GR_UNSUPPORTED_STATUS);
	gr_clear(&err);
	assert_int_equal(coll_set_status("root", "d", "ds1", close, &err),
	    GR_OK);
	assert_int_equal(coll_set_status("root", "d", "ds1", close, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	assert_int_equal(coll_get("d", "ds1", NULL, &out, &err), GR_OK);
	assert_false(json_is_true(json_object_get(out, "open")));
	assert_int_equal(json_integer_value(json_object_get(out, "length")), 2);
	json_decref(out);
	assert_int_equal(attach("ds1", "f3"), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(coll_get("d", "c3", "DATASET", &out, &err), GR_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "bytes")), 30);
	json_decref(out);
	assert_int_equal(coll_set_status("root", "d", "ds1", open, &err),
	    GR_OK);
	assert_int_equal(coll_set_status("root", "d", "f1", close, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	json_decref(close);
	json_decref(open);
	json_decref(bad);
}

struct within_q {
	const char *scope, *name, *ts, *tn;
	bool yes;
};

static int
within_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct within_q *q = arg;

	return coll_within(t, q->scope, q->name, q->ts, q->tn, &q->yes, err);
}

/* coll_within(d:name, d:target), asserting no failure */
static bool
within(const char *name, const char *target)
{
	struct gr_err err = { 0 };
	struct within_q q = { "d", name, "d", target, false };

	assert_int_equal(st_view(within_txn, &q, 0, &err), GR_OK);
	return q.yes;
}

static int
list_did(const char *scope, const char *name, void *arg)
{
	(void)scope;
	json_array_append_new(arg, json_string(name));
	return GR_OK;
}

static int
above_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return coll_above(t, "d", "f3", list_did, arg, err);
}

static int
dataset_below(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	(void)rec;
	(void)n;
	return list_did(scope, name, arg);
}

static int
below_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return coll_below(t, "d", "c3", "DATASET", dataset_below, arg, err);
}

/*
 * The walkers on c3 > c2 > c1 > {ds1 > {f1, f2}, dsa > f3} and dsz > f3
 * (in no container): f3's parents are scanned dsa first, so the walk up
 * goes on after it met c3; what it met stays met.
 */
static void
test_walkers(void **state)
{
	struct gr_err err = { 0 };
	json_t *b = type("DATASET"), *names = json_array();

	(void)state;
	assert_int_equal(coll_add("root", "d", "dsa", b, &err), GR_OK);
	assert_int_equal(coll_add("root", "d", "dsz", b, &err), GR_OK);
	assert_int_equal(attach("dsa", "f3"), GR_OK);
	assert_int_equal(attach("dsz", "f3"), GR_OK);
	assert_int_equal(attach("c1", "dsa"), GR_OK);
	assert_true(within("f3", "c3"));
	assert_true(within("f3", "dsz"));
	assert_true(within("f3", "f3"));
	assert_true(within("ds1", "c2"));
	assert_false(within("f3", "ds1"));
	assert_false(within("dsz", "c3"));
	assert_false(within("c3", "f3"));
	assert_int_equal(st_view(above_txn, names, 0, &err), GR_OK);
	assert_string_equal(testlib_dumps(names),
	    "[\"f3\",\"dsa\",\"c1\",\"c2\",\"c3\",\"dsz\"]");
	names = json_array();
	assert_int_equal(st_view(below_txn, names, 0, &err), GR_OK);
	assert_string_equal(testlib_dumps(names), "[\"ds1\",\"dsa\"]");
	json_decref(b);
}

static void
test_meta(void **state)
{
	struct gr_err err = { 0 };
	json_t *m, *out, *bulk;

	(void)state;
	m = json_pack("{s:i, s:s}", "run_number", 5, "color", "red");
	assert_int_equal(didmeta_set("alice", "d", "ds1", m, false, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(didmeta_set("root", "d", "ds1", m, true, &err), GR_OK);
	json_decref(m);
	assert_int_equal(didmeta_get("d", "ds1", "JSON", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"color\":\"red\"}");
	assert_int_equal(didmeta_get("d", "f1", NULL, &out, &err), GR_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "run_number")),
	    5); /* recursive: the column key reached the children */
	assert_string_equal(json_string_value(json_object_get(out, "did_type")),
	    "FILE");
	json_decref(out);
	assert_int_equal(didmeta_get("d", "ds1", "ALL", &out, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(out, "color")),
	    "red");
	json_decref(out);
	assert_int_equal(didmeta_get("d", "ds1", "XML", &out, &err),
	    GR_UNSUPPORTED_METADATA_PLUGIN);
	gr_clear(&err);
	assert_int_equal(didmeta_del("root", "d", "ds1", "color", &err), GR_OK);
	assert_int_equal(didmeta_del("root", "d", "ds1", "color", &err),
	    GR_KEY_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(didmeta_del("root", "d", "ds1", "run_number", &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	bulk = json_pack("[{s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:i}}]", "scope",
	    "d", "name", "f2", "meta", "project", "p", "scope", "d", "name",
	    "nope", "meta", "x", 1);
	assert_int_equal(didmeta_set_bulk("root", bulk, false, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
	json_decref(bulk);
	assert_int_equal(didmeta_get("d", "f2", NULL, &out, &err), GR_OK);
	assert_true(json_is_null(json_object_get(out, "project")));
	json_decref(out);
}

static int
top_line(const char *line, size_t n, void *ctx)
{
	json_t *rec = json_loadb(line, n, 0, NULL);

	assert_non_null(rec);
	assert_true(json_is_null(json_object_get(rec, "parent")));
	assert_int_equal(json_integer_value(json_object_get(rec, "level")), 0);
	json_array_append(ctx, json_object_get(rec, "name"));
	json_decref(rec);
	return GR_OK;
}

/* The names GET /dids/e/ lists, as JSON text. */
static const char *
top_of_e(void)
{
	static char buf[2048];
	struct gr_err err = { 0 };
	json_t *names = json_array();

	assert_int_equal(coll_list_scope("e", NULL, false, top_line, names,
			     &err),
	    GR_OK);
	snprintf(buf, sizeof(buf), "%s", testlib_dumps(names));
	return buf;
}

/* e:(name) attached to, or detached from, s:parent */
static int
move(const char *s, const char *parent, const char *name, bool in)
{
	struct gr_err err = { 0 };
	json_t *d = json_pack("[{s:s, s:s}]", "scope", "e", "name", name);
	int rc = in ? coll_attach("root", s, parent, d, false, &err)
		    : coll_detach("root", s, parent, d, &err);

	json_decref(d);
	return rc;
}

/* The top level of a scope follows attach and detach: a DID leaves it
   with its first parent of the same scope and comes back with its last
   one gone; parents of other scopes do not count. */
static void
test_top_level(void **state)
{
	struct gr_err err = { 0 };
	json_t *ds = type("DATASET"), *c = type("CONTAINER");
	json_t *files = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}]", "scope",
	    "e", "name", "g1", "bytes", 1, "scope", "e", "name", "g2", "bytes",
	    2);

	(void)state;
	assert_int_equal(scope_add("root", "root", "e", &err), GR_OK);
	assert_int_equal(replica_add("root", "DISK", files, false, &err),
	    GR_OK);
	assert_int_equal(coll_add("root", "e", "da", ds, &err), GR_OK);
	assert_int_equal(coll_add("root", "e", "db", ds, &err), GR_OK);
	assert_int_equal(coll_add("root", "e", "c", c, &err), GR_OK);
	assert_int_equal(coll_add("root", "d", "x", ds, &err), GR_OK);
	assert_string_equal(top_of_e(), "[\"c\",\"da\",\"db\",\"g1\",\"g2\"]");
	assert_int_equal(move("e", "da", "g1", true), GR_OK);
	assert_int_equal(move("e", "db", "g1", true), GR_OK);
	assert_int_equal(move("d", "x", "g2", true), GR_OK);
	assert_int_equal(move("e", "c", "da", true), GR_OK);
	assert_string_equal(top_of_e(), "[\"c\",\"db\",\"g2\"]");
	assert_int_equal(move("e", "da", "g1", false), GR_OK);
	assert_string_equal(top_of_e(), "[\"c\",\"db\",\"g2\"]");
	assert_int_equal(move("e", "db", "g1", false), GR_OK);
	assert_int_equal(move("e", "c", "da", false), GR_OK);
	assert_string_equal(top_of_e(), "[\"c\",\"da\",\"db\",\"g1\",\"g2\"]");
	json_decref(ds);
	json_decref(c);
	json_decref(files);
}

static int
no_print(const char *line, size_t n, void *ctx)
{
	(void)line;
	(void)n;
	++*(int *)ctx;
	return GR_OK;
}

/* Take e:g1 out of TBL_DIDS_TOP (arg NULL), or file e:nope there. */
static int
break_top_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT k = arg == NULL ? st_dbt("e\0g1", 4) : st_dbt("e\0nope", 6);
	int ret = arg == NULL ? st_del(t, TBL_DIDS_TOP, &k)
			      : st_put_text(t, TBL_DIDS_TOP, &k, "{}", 2, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* gridrest-db verify's check of the top level finds what is off. */
static void
test_top_verify(void **state)
{
	struct gr_err err = { 0 };
	int lines = 0;
	long bad;

	(void)state;
	assert_int_equal(did_top_verify(no_print, &lines, &bad, &err), GR_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(st_txn_run(break_top_txn, NULL, &err), GR_OK);
	assert_int_equal(did_top_verify(no_print, &lines, &bad, &err), GR_OK);
	assert_true(bad >= 1);
	assert_true(lines >= 1);
	assert_int_equal(st_txn_run(break_top_txn, "", &err), GR_OK);
	lines = 0;
	assert_int_equal(did_top_verify(no_print, &lines, &bad, &err), GR_OK);
	assert_int_equal(bad, 2); /* g1 missing; one entry too many */
	assert_int_equal(lines, 2);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object();
	json_t *files = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}, "
				  "{s:s, s:s, s:i}]",
	    "scope", "d", "name", "f1", "bytes", 10, "scope", "d", "name", "f2",
	    "bytes", 20, "scope", "d", "name", "f3", "bytes", 30);
	int rc;

	(void)state;
	rc = testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "d", &err) != GR_OK ||
	    rse_add("root", "DISK", none, &err) != GR_OK ||
	    replica_add("root", "DISK", files, false, &err) != GR_OK;
	if (rc)
		fprintf(stderr, "# setup: %s\n", err.msg);
	json_decref(none);
	json_decref(files);
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
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_close_and_walk),
		cmocka_unit_test(test_walkers),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_top_verify),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("collection", tests, setup,
	    teardown);
}
