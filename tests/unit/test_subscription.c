/*
 * test_subscription.c -- subscriptions on a real store: creation and its
 * checks, listings, updates, lifetimes, and the filter matching the
 * transmogrifier applies to new DIDs.
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
#include "rse.h"
#include "rule.h"
#include "scope.h"
#include "subscription.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-sub";

/* options of a subscription with filter f (a JSON text) and one rule */
static json_t *
options(const char *f, json_t *lifetime, bool retro)
{
	json_t *o = json_pack("{s:o, s:[{s:i, s:s, s:s}], s:s, s:o, s:b}",
	    "filter", json_loads(f, 0, NULL), "replication_rules", "copies", 1,
	    "rse_expression", "MOCK", "activity", "Data Brokering", "comments",
	    "c", "lifetime", lifetime, "retroactive", retro);

	assert_non_null(o);
	return o;
}

static int
collect(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

static void
test_add_and_list(void **state)
{
	struct gr_err err = { 0 };
	char id[SUB_ID_LEN + 1], id2[SUB_ID_LEN + 1];
	json_t *o = options("{\"scope\": [\"data.*\"]}", json_null(), false);
	json_t *list = json_array(), *one;

	(void)state;
	assert_int_equal(sub_add("alice", "root", "s1", o, id, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(sub_add("root", "root", "s1", o, id, &err), GR_OK);
	assert_int_equal(strlen(id), SUB_ID_LEN);
	assert_int_equal(sub_add("root", "root", "s1", o, id2, &err),
	    GR_SUBSCRIPTION_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(sub_add("root", "alice", "s1", o, id2, &err), GR_OK);
	assert_string_not_equal(id, id2);
	assert_int_equal(sub_add("root", "nobody", "s1", o, id2, &err),
	    GR_ACCOUNT_NOT_FOUND);
	gr_clear(&err);
	json_decref(o);

	assert_int_equal(sub_list(NULL, NULL, collect, list, &err), GR_OK);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 0),
				    "account")),
	    "alice");
	json_array_clear(list);
	assert_int_equal(sub_list(NULL, "s1", collect, list, &err), GR_OK);
	assert_int_equal(json_array_size(list), 2);
	json_array_clear(list);
	assert_int_equal(sub_list("r*", NULL, collect, list, &err), GR_OK);
	assert_int_equal(json_array_size(list), 1);
	one = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(one, "filter")),
	    "{\"scope\": [\"data.*\"]}");
	assert_string_equal(json_string_value(json_object_get(one, "state")),
	    "ACTIVE");
	json_array_clear(list);
	assert_int_equal(sub_list("root", "nope", collect, list, &err),
	    GR_SUBSCRIPTION_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);

	assert_int_equal(sub_get_id(id, &one, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(one, "name")),
	    "s1");
	json_decref(one);
	assert_int_equal(sub_get_id("00000000000000000000000000000000", &one,
			     &err),
	    GR_SUBSCRIPTION_NOT_FOUND);
	gr_clear(&err);
}

/* The checks Rucio makes of options, and the ones a rule needs. */
static void
test_refused(void **state)
{
	static const char *const bad_filters[] = { "[]",
		"{\"scope\": \"data\"}", "{\"pattern\": 1}",
		"{\"pattern\": \"(\"}", "{\"account\": [\"Not An Account\"]}",
		"{\"split_rule\": 1}", "{\"project\": \"x\"}" };
	struct gr_err err = { 0 };
	char id[SUB_ID_LEN + 1];
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad_filters); i++) {
		o = options(bad_filters[i], json_null(), false);
		assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
		    GR_INVALID_OBJECT);
		gr_clear(&err);
		json_decref(o);
	}
	o = options("{}", json_null(), false);
	json_object_set_new(o, "replication_rules", json_array());
	assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
	    GR_INVALID_OBJECT);
	assert_string_equal(err.msg, "You must specify a rule");
	gr_clear(&err);
	json_object_set_new(o, "replication_rules",
	    json_pack("[{s:i, s:s}]", "copies", 1, "rse_expression", "X"));
	assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
	    GR_INVALID_OBJECT); /* activity "default" is not one */
	gr_clear(&err);
	json_object_set_new(o, "replication_rules",
	    json_pack("[{s:i, s:s}]", "copies", 0, "activity", "Express"));
	assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_object_del(o, "comments");
	assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
	    GR_KEY_ERROR);
	gr_clear(&err);
	json_decref(o);
	o = options("{}", json_string("long"), false);
	assert_int_equal(sub_add("root", "root", "bad", o, id, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(o);
}

static const char *
state_of(const char *account, const char *name)
{
	static char buf[32];
	struct gr_err err = { 0 };
	json_t *list = json_array();

	assert_int_equal(sub_list(account, name, collect, list, &err), GR_OK);
	snprintf(buf, sizeof(buf), "%s",
	    json_string_value(
		json_object_get(json_array_get(list, 0), "state")));
	json_decref(list);
	return buf;
}

static void
test_update_and_lifetime(void **state)
{
	struct gr_err err = { 0 };
	char id[SUB_ID_LEN + 1];
	json_t *o = options("{}", json_integer(1), true), *u, *rec, *shown;

	(void)state;
	assert_int_equal(sub_add("root", "root", "s2", o, id, &err), GR_OK);
	json_decref(o);
	/* retroactive: NEW until the rule evaluator's pass over the
	   existing DIDs (sub_retro_step) is done */
	assert_string_equal(state_of("root", "s2"), "NEW");
	assert_true(sub_retro_due());
	assert_int_equal(sub_retro(&err), GR_OK);
	assert_false(sub_retro_due());
	assert_string_equal(state_of("root", "s2"), "ACTIVE");
	u = json_pack("{s:s}", "comments", "new words");
	assert_int_equal(sub_update("alice", "root", "s2", u, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(sub_update("root", "root", "s2", u, &err), GR_OK);
	assert_string_equal(state_of("root", "s2"), "UPDATED");
	assert_int_equal(sub_update("root", "root", "nope", u, &err),
	    GR_SUBSCRIPTION_NOT_FOUND);
	gr_clear(&err);
	json_decref(u);
	u = json_pack("{s:s}", "state", "BOGUS");
	assert_int_equal(sub_update("root", "root", "s2", u, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(u);
	u = json_pack("{s:s}", "state", "I");
	assert_int_equal(sub_update("root", "root", "s2", u, &err), GR_OK);
	assert_string_equal(state_of("root", "s2"), "INACTIVE");
	json_decref(u);

	/* a lifetime that passed: INACTIVE, expired at its end */
	rec = json_pack("{s:s, s:s, s:s, s:{}, s:[], s:i, s:s, s:b, s:s, "
			"s:I, s:I, s:I, s:I}",
	    "id", "x", "name", "n", "account", "root", "filter",
	    "replication_rules", "policyid", 3, "state", "A", "retroactive", 0,
	    "comments", "", "lifetime", (json_int_t)1000, "created_at",
	    (json_int_t)0, "updated_at", (json_int_t)0, "last_processed",
	    (json_int_t)0);
	shown = sub_render(rec, 999);
	assert_string_equal(json_string_value(json_object_get(shown, "state")),
	    "ACTIVE");
	assert_true(json_is_null(json_object_get(shown, "expired_at")));
	json_decref(shown);
	shown = sub_render(rec, 1000);
	assert_string_equal(json_string_value(json_object_get(shown, "state")),
	    "INACTIVE");
	assert_string_equal(json_string_value(
				json_object_get(shown, "expired_at")),
	    "Thu, 01 Jan 1970 00:16:40 UTC");
	json_decref(shown);
	json_decref(rec);
}

/* sub_match(filter f, scope:name, DID record did)? */
static bool
matches(const char *f, const char *scope, const char *name, const char *did)
{
	json_t *sub = json_pack("{s:o}", "filter", json_loads(f, 0, NULL));
	json_t *rec = json_loads(did, 0, NULL);
	bool yes;

	assert_non_null(json_object_get(sub, "filter"));
	assert_non_null(rec);
	yes = sub_match(sub, scope, name, rec);
	json_decref(sub);
	json_decref(rec);
	return yes;
}

static void
test_match(void **state)
{
	static const char ds[] =
	    "{\"type\": \"DATASET\", \"account\": \"jdoe\","
	    " \"project\": \"data18_13TeV\", \"datatype\":"
	    " \"AOD\", \"run_number\": 358031, \"meta\":"
	    " {\"campaign\": \"MC16\"}}";

	(void)state;
	assert_true(matches("{}", "data18", "x", ds));
	assert_true(matches("{\"scope\": [\"mc.*\", \"data1[0-9]\"]}", "data18",
	    "x", ds));
	assert_false(matches("{\"scope\": [\"mc.*\"]}", "data18", "x", ds));
	/* re.match: from the start, not necessarily to the end */
	assert_true(matches("{\"pattern\": \"data18\\\\..*AOD\"}", "s",
	    "data18.1234.AOD.x", ds));
	assert_false(matches("{\"pattern\": \"AOD\"}", "s", "data18.AOD", ds));
	assert_false(matches("{\"excluded_pattern\": \".*AOD\"}", "s",
	    "data18.AOD", ds));
	assert_true(
	    matches("{\"excluded_pattern\": \"user\"}", "s", "data18.AOD", ds));
	assert_true(matches("{\"did_type\": [\"DATASET\", \"CONTAINER\"]}", "s",
	    "n", ds));
	assert_false(matches("{\"did_type\": [\"CONTAINER\"]}", "s", "n", ds));
	assert_true(
	    matches("{\"account\": [\"root\", \"jdoe\"]}", "s", "n", ds));
	assert_false(matches("{\"account\": [\"root\"]}", "s", "n", ds));
	assert_true(matches("{\"project\": [\"mc16\", \"data18_.*\"], "
			    "\"datatype\": [\"AOD\"]}",
	    "s", "n", ds));
	assert_false(matches("{\"project\": [\"mc16\"]}", "s", "n", ds));
	assert_false(matches("{\"stream_name\": [\".*\"]}", "s", "n", ds));
	assert_true(matches("{\"run_number\": [\"3580\"]}", "s", "n", ds));
	assert_true(matches("{\"campaign\": \"MC1\"}", "s", "n", ds));
	assert_true(matches("{\"split_rule\": true, \"grouping\": \"NONE\"}",
	    "s", "n", ds));
	assert_false(matches("{}", "s", "n",
	    "{\"type\": \"DATASET\", \"hidden\": true}"));
}

/* The rules of d:name, as [subscription_id...]. */
static json_t *rules_of(const char *name);

/* d:name has exactly the rules of the subscriptions ids (or none). */
static void
rules_are(const char *name, const char *id1)
{
	json_t *got = rules_of(name);

	if (id1 == NULL)
		assert_int_equal(json_array_size(got), 0);
	else {
		assert_int_equal(json_array_size(got), 1);
		assert_string_equal(json_string_value(json_array_get(got, 0)),
		    id1);
	}
	json_decref(got);
}

static json_t *
rules_of(const char *name)
{
	struct gr_err err = { 0 };
	json_t *list = json_array(), *ids = json_array(), *r;
	size_t i;

	assert_int_equal(rule_list_did("d", name, collect, list, &err), GR_OK);
	json_array_foreach(list, i, r) {
		json_array_append(ids, json_object_get(r, "subscription_id"));
	}
	json_decref(list);
	return ids;
}

/* The transmogrifier: new collections that match get the rules, one
   template failing does not stop the other nor the DID; retroactive
   subscriptions take the collections there are. */
static void
test_transmogrify(void **state)
{
	struct gr_err err = { 0 };
	char id[SUB_ID_LEN + 1], rid[SUB_ID_LEN + 1];
	json_t *none = json_object(), *o,
	       *ds = json_pack("{s:s}", "type", "DATASET"),
	       *one = json_integer(1);

	(void)state;
	assert_int_equal(rse_add("root", "DISK", none, &err), GR_OK);
	assert_int_equal(rse_attr_set("root", "DISK", "tier", one, &err),
	    GR_OK);
	assert_int_equal(scope_add("root", "root", "d", &err), GR_OK);
	assert_int_equal(coll_add("root", "d", "A0", ds, &err), GR_OK);
	o = options("{\"pattern\": \"A\", \"did_type\": [\"DATASET\"]}",
	    json_null(), false);
	json_object_set_new(o, "replication_rules",
	    json_pack("[{s:i, s:s, s:s}, {s:i, s:s, s:s}]", "copies", 1,
		"rse_expression", "NOWHERE", "activity", "Express", "copies", 1,
		"rse_expression", "tier=1", "activity", "Express"));
	assert_int_equal(sub_add("root", "root", "t", o, id, &err), GR_OK);
	json_decref(o);

	assert_int_equal(coll_add("root", "d", "A1", ds, &err), GR_OK);
	rules_are("A1", id);
	assert_int_equal(coll_add("root", "d", "B1", ds, &err), GR_OK);
	rules_are("B1", NULL);
	/* made before the subscription: not matched */
	rules_are("A0", NULL);
	/* a second pass over the same DID (it is no longer new) adds none */
	o = json_pack("[{s:s, s:s}]", "scope", "d", "name", "A1");
	assert_int_equal(sub_new_dids(o, &err), GR_OK);
	json_decref(o);
	rules_are("A1", id);

	o = options("{\"pattern\": \"A0\"}", json_null(), true);
	json_object_set_new(o, "replication_rules",
	    json_pack("[{s:i, s:s, s:s}]", "copies", 1, "rse_expression",
		"DISK", "activity", "Express"));
	assert_int_equal(sub_add("root", "root", "r", o, rid, &err), GR_OK);
	json_decref(o);
	rules_are("A0", NULL); /* not in the request: the evaluator's */
	{
		bool worked;
		int steps = 0;

		do
			assert_int_equal(sub_retro_step(&worked, &err), GR_OK);
		while (worked && ++steps < 10);
		assert_int_equal(steps, 1); /* one batch held them all */
	}
	rules_are("A0", rid);
	assert_string_equal(state_of("root", "r"), "ACTIVE");
	json_decref(none);
	json_decref(ds);
	json_decref(one);
}

static int
setup(void **state)
{
	(void)state;
	return testlib_store_accounts(home) != 0 ? -1 : 0;
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
		cmocka_unit_test(test_add_and_list),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_update_and_lifetime),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_transmogrify),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("subscription", tests, setup,
	    teardown);
}
