/*
 * test_rule.c -- replication rules on a real store: creation and RSE
 * selection (groupings, preference for RSEs holding the data, weights,
 * quotas), the lock state machine driven by replica states, deletion,
 * rules added inside a caller's transaction, and rule_verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "account.h"
#include "cfg.h"
#include "collection.h"
#include "limit.h"
#include "message.h"
#include "replica.h"
#include "rse.h"
#include "rule.h"
#include "rule_int.h"
#include "scope.h"
#include "testlib.h"
#include "usage.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-rule";

/* The rule id at index i of the last rule_add. */
static char last_id[RULE_ID_LEN + 1];

static int
add(const char *issuer, const char *json, struct gr_err *err)
{
	json_t *spec = json_loads(json, 0, NULL), *ids = json_array();
	int rc;

	assert_non_null(spec);
	rc = rule_add(issuer, spec, ids, err);
	if (rc == GR_OK) {
		assert_int_equal(json_array_size(ids), 1);
		(void)snprintf(last_id, sizeof(last_id), "%s",
		    json_string_value(json_array_get(ids, 0)));
	}
	json_decref(spec);
	json_decref(ids);
	return rc;
}

static json_t *
get(const char *id)
{
	struct gr_err err = { 0 };
	json_t *r = NULL;

	assert_int_equal(rule_get(id, &r, &err), GR_OK);
	return r;
}

static const char *
state_of(const char *id)
{
	static char buf[32];
	json_t *r = get(id);

	(void)snprintf(buf, sizeof(buf), "%s",
	    json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return buf;
}

static json_int_t
count_of(const char *id, const char *what)
{
	json_t *r = get(id);
	json_int_t n = json_integer_value(json_object_get(r, what));

	json_decref(r);
	return n;
}

/* rule_verify finds nothing wrong. */
static void
verified(void)
{
	assert_int_equal(testlib_rule_bad(), 0);
}

static int
collect(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

static void
files(const char *rse, const char *json)
{
	struct gr_err err = { 0 };
	json_t *f = json_loads(json, 0, NULL);

	assert_int_equal(replica_add("root", rse, f, false, &err), GR_OK);
	json_decref(f);
}

static void
dataset(const char *name, const char *dids)
{
	struct gr_err err = { 0 };
	char body[512];
	json_t *b;

	(void)snprintf(body, sizeof(body), "{\"type\": \"DATASET\"%s%s}",
	    dids != NULL ? ", \"dids\": " : "", dids != NULL ? dids : "");
	b = json_loads(body, 0, NULL);
	assert_non_null(b);
	assert_int_equal(coll_add("root", "data", name, b, &err), GR_OK);
	json_decref(b);
}

static void
set_state(const char *rse, const char *name, const char *state)
{
	struct gr_err err = { 0 };
	json_t *f = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name",
	    name, "state", state);

	assert_int_equal(replica_update("root", rse, f, &err), GR_OK);
	json_decref(f);
}

static void
test_available_data(void **state)
{
	struct gr_err err = { 0 };
	json_t *locks = json_array();

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"a1\", \"bytes\": 10},"
	    " {\"scope\": \"data\", \"name\": \"a2\", \"bytes\": 20}]");
	dataset("dsa",
	    "[{\"scope\": \"data\", \"name\": \"a1\"},"
	    " {\"scope\": \"data\", \"name\": \"a2\"}]");
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"dsa\"}], \"copies\": 1, \"rse_expression\": "
			     "\"RSE_A|RSE_B|RSE_C\"}",
			     &err),
	    GR_OK);
	/* the RSE holding the data is preferred over the others */
	assert_string_equal(state_of(last_id), "OK");
	assert_int_equal(count_of(last_id, "locks_ok_cnt"), 2);
	assert_int_equal(rule_locks(last_id, collect, locks, &err), GR_OK);
	assert_int_equal(json_array_size(locks), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(locks, 0),
				    "rse")),
	    "RSE_A");
	json_decref(locks);
	{
		/* the route's text is the tree, member for member */
		struct sbuf text = { 0 };
		json_t *tree = get(last_id), *parsed;

		assert_int_equal(rule_get_text(last_id, &text, &err), GR_OK);
		parsed = json_loadb(text.s, text.len, 0, NULL);
		assert_non_null(parsed);
		assert_true(json_equal(parsed, tree));
		assert_int_equal(json_object_size(parsed), 32);
		assert_int_equal(rule_get_text("0123456789abcdef0123456789abcde"
					       "f",
				     &text, &err),
		    GR_RULE_NOT_FOUND);
		gr_clear(&err);
		json_decref(parsed);
		json_decref(tree);
		sbuf_free(&text);
	}
	verified();
}

static void
test_state_machine(void **state)
{
	struct gr_err err = { 0 };
	char id[RULE_ID_LEN + 1];

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"b1\", \"bytes\": 5},"
	    " {\"scope\": \"data\", \"name\": \"b2\", \"bytes\": 6}]");
	dataset("dsb",
	    "[{\"scope\": \"data\", \"name\": \"b1\"},"
	    " {\"scope\": \"data\", \"name\": \"b2\"}]");
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"dsb\"}], \"copies\": 1, \"rse_expression\": "
			     "\"RSE_B\"}",
			     &err),
	    GR_OK);
	memcpy(id, last_id, sizeof(id));
	assert_string_equal(state_of(id), "REPLICATING");
	assert_int_equal(count_of(id, "locks_replicating_cnt"), 2);
	set_state("RSE_B", "b1", "A");
	assert_string_equal(state_of(id), "REPLICATING");
	assert_int_equal(count_of(id, "locks_ok_cnt"), 1);
	set_state("RSE_B", "b2", "U");
	assert_string_equal(state_of(id), "STUCK");
	assert_int_equal(count_of(id, "locks_stuck_cnt"), 1);
	set_state("RSE_B", "b2", "A");
	assert_string_equal(state_of(id), "OK");
	assert_int_equal(count_of(id, "locks_ok_cnt"), 2);
	assert_int_equal(count_of(id, "locks_stuck_cnt"), 0);
	/* an OK lock whose replica is lost is stuck */
	set_state("RSE_B", "b1", "U");
	assert_string_equal(state_of(id), "STUCK");
	verified();
	assert_int_equal(rule_delete("root", id, 1, &err), GR_OK);
	verified();
}

static void
test_groupings(void **state)
{
	struct gr_err err = { 0 };
	json_t *locks = json_array(), *b;
	const char *rse0;
	size_t i;

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"c1\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"c2\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"c3\", \"bytes\": 1}]");
	dataset("dsc1",
	    "[{\"scope\": \"data\", \"name\": \"c1\"},"
	    " {\"scope\": \"data\", \"name\": \"c2\"}]");
	dataset("dsc2", "[{\"scope\": \"data\", \"name\": \"c3\"}]");
	b = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "type", "CONTAINER",
	    "dids", "scope", "data", "name", "dsc1", "scope", "data", "name",
	    "dsc2");
	assert_int_equal(coll_add("root", "data", "cont", b, &err), GR_OK);
	json_decref(b);
	/* ALL: every file on the same RSEs */
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"cont\"}], \"copies\": 1, \"rse_expression\": "
			     "\"RSE_B|RSE_C\", \"grouping\": \"ALL\"}",
			     &err),
	    GR_OK);
	assert_int_equal(rule_locks(last_id, collect, locks, &err), GR_OK);
	assert_int_equal(json_array_size(locks), 3);
	rse0 = json_string_value(
	    json_object_get(json_array_get(locks, 0), "rse"));
	for (i = 1; i < 3; i++)
		assert_string_equal(json_string_value(
					json_object_get(json_array_get(locks,
							    i),
					    "rse")),
		    rse0);
	json_decref(locks);
	/* a second rule, 2 copies by weight: only RSEs with it count */
	b = json_string("3");
	assert_int_equal(rse_attr_set("root", "RSE_C", "wgt", b, &err), GR_OK);
	json_decref(b);
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"cont\"}], \"copies\": 2, \"rse_expression\": "
			     "\"RSE_B|RSE_C\", \"weight\": \"wgt\"}",
			     &err),
	    GR_INSUFFICIENT_TARGET_RSES);
	gr_clear(&err);
	verified();
}

/* alice's limit on RSE_B, and what her rule on q1 there gives */
static int
quota_try(json_int_t limit)
{
	struct gr_err err = { 0 };
	json_t *b = json_integer(limit);
	int rc;

	if (limit >= 0)
		assert_int_equal(limit_local_set("root", "alice", "RSE_B", b,
				     &err),
		    GR_OK);
	json_decref(b);
	rc = add("alice",
	    "{\"dids\": [{\"scope\": \"data\", \"name\": \"q1\"}], "
	    "\"copies\": 1, \"rse_expression\": \"RSE_B\"}",
	    &err);
	return rc;
}

static void
test_quota(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"q1\", \"bytes\": 40}]");
	/* no limit at all, then quota left not above the size (Rucio's
	   selector: quota_left > size) */
	assert_int_equal(quota_try(-1), GR_INSUFFICIENT_ACCOUNT_LIMIT);
	assert_int_equal(quota_try(40), GR_INSUFFICIENT_ACCOUNT_LIMIT);
	assert_int_equal(add("alice",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"q1\"}], \"copies\": 1, \"rse_expression\": "
			     "\"RSE_B\", \"locked\": true}",
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(quota_try(41), GR_OK);
	verified();
	assert_int_equal(rule_delete("alice", last_id, -1, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(rule_delete("root", last_id, -1, &err), GR_OK);
	verified();
}

static void
test_reeval_inject(void **state)
{
	struct gr_err err = { 0 };
	json_t *one = json_pack("[{s:s, s:s}]", "scope", "data", "name", "r2");
	char id[RULE_ID_LEN + 1];
	bool worked = true;
	int n = 0;

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"r1\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"r2\", \"bytes\": 2}]");
	dataset("dsr", "[{\"scope\": \"data\", \"name\": \"r1\"}]");
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"dsr\"}], \"copies\": 1, \"rse_expression\": "
			     "\"RSE_C\", \"asynchronous\": true}",
			     &err),
	    GR_OK);
	memcpy(id, last_id, sizeof(id));
	assert_string_equal(state_of(id), "INJECT");
	assert_true(rule_inject_due());
	while (worked && n++ < 10)
		assert_int_equal(rule_inject_step(&worked, &err), GR_OK);
	assert_false(rule_inject_due());
	assert_string_equal(state_of(id), "REPLICATING");
	assert_int_equal(count_of(id, "locks_replicating_cnt"), 1);
	/* attached: locked in the same transaction; detached: released */
	assert_int_equal(coll_attach("root", "data", "dsr", one, false, &err),
	    GR_OK);
	assert_int_equal(count_of(id, "locks_replicating_cnt"), 2);
	verified();
	assert_int_equal(coll_detach("root", "data", "dsr", one, &err), GR_OK);
	assert_int_equal(count_of(id, "locks_replicating_cnt"), 1);
	verified();
	json_decref(one);
}

/* What a subscription does: rules inside its own transaction. */
struct in_args {
	json_t *spec, *ids;
};

static int
in_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct in_args *a = arg;

	json_array_clear(a->ids);
	return rule_add_in(t, "root", a->spec, a->ids, err);
}

static void
test_add_in(void **state)
{
	struct gr_err err = { 0 };
	struct in_args a;
	json_t *f = json_pack("{s:s}", "subscription_id",
		   "0123456789abcdef0123456789abcdef"),
	       *out = json_array();

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"s1\", \"bytes\": 3}]");
	a.spec = json_pack("{s:[{s:s, s:s}], s:i, s:s, s:s, s:s}", "dids",
	    "scope", "data", "name", "s1", "copies", 1, "rse_expression",
	    "RSE_A", "subscription_id", "0123456789abcdef0123456789abcdef",
	    "activity", "Data Consolidation");
	a.ids = json_array();
	assert_int_equal(st_txn_run(in_txn, &a, &err), GR_OK);
	assert_int_equal(json_array_size(a.ids), 1);
	assert_int_equal(rule_list(f, collect, out, &err), GR_OK);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0), "id")),
	    json_string_value(json_array_get(a.ids, 0)));
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0),
				    "state")),
	    "OK");
	json_decref(a.spec);
	json_decref(a.ids);
	json_decref(f);
	json_decref(out);
	verified();
}

static void
add_ok(const char *json)
{
	struct gr_err err = { 0 };

	assert_int_equal(add("root", json, &err), GR_OK);
}

/* grouping DATASET injected in batches: the RSE is chosen for the whole
   dataset, not for its first batch */
static void
test_inject_batches(void **state)
{
	struct gr_err err = { 0 };
	json_t *locks = json_array(), *dsl = json_array();
	unsigned batch = cfg.rules_batch;
	bool worked = true;
	size_t i;
	int n = 0;

	(void)state;
	/* the first two files (a batch) are on RSE_A, most bytes on RSE_B */
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"i1\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"i2\", \"bytes\": 1}]");
	files("RSE_B",
	    "[{\"scope\": \"data\", \"name\": \"i3\", \"bytes\": 100},"
	    " {\"scope\": \"data\", \"name\": \"i4\", \"bytes\": 100},"
	    " {\"scope\": \"data\", \"name\": \"i5\", \"bytes\": 100}]");
	dataset("dsi",
	    "[{\"scope\": \"data\", \"name\": \"i1\"},"
	    " {\"scope\": \"data\", \"name\": \"i2\"},"
	    " {\"scope\": \"data\", \"name\": \"i3\"},"
	    " {\"scope\": \"data\", \"name\": \"i4\"},"
	    " {\"scope\": \"data\", \"name\": \"i5\"}]");
	cfg.rules_batch = 2;
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"dsi\"}], "
	       "\"copies\": 1, \"rse_expression\": \"RSE_A|RSE_B\", "
	       "\"asynchronous\": true}");
	while (worked && n++ < 10)
		assert_int_equal(rule_inject_step(&worked, &err), GR_OK);
	cfg.rules_batch = batch;
	assert_true(n > 3); /* three batches and the last look */
	assert_string_equal(state_of(last_id), "REPLICATING");
	assert_int_equal(rule_locks(last_id, collect, locks, &err), GR_OK);
	assert_int_equal(json_array_size(locks), 5);
	for (i = 0; i < json_array_size(locks); i++)
		assert_string_equal(json_string_value(
					json_object_get(json_array_get(locks,
							    i),
					    "rse")),
		    "RSE_B");
	assert_int_equal(count_of(last_id, "locks_ok_cnt"), 3);
	assert_int_equal(count_of(last_id, "locks_replicating_cnt"), 2);
	/* the dataset lock: the whole dataset's length and bytes */
	assert_int_equal(rule_dataset_locks(NULL, "data", "dsi", collect, dsl,
			     &err),
	    GR_OK);
	assert_int_equal(json_array_size(dsl), 1);
	assert_string_equal(testlib_dumps(json_pack("[O, O, O]",
				json_object_get(json_array_get(dsl, 0), "rse"),
				json_object_get(json_array_get(dsl, 0),
				    "length"),
				json_object_get(json_array_get(dsl, 0),
				    "bytes"))),
	    "[\"RSE_B\",5,302]");
	json_decref(locks);
	json_decref(dsl);
	verified();
}

/* an RSE where a replica of the block is being deleted is never chosen,
   the one holding most of its bytes though it be */
static void
test_being_deleted(void **state)
{
	struct gr_err err = { 0 };
	json_t *locks = json_array();

	(void)state;
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"z1\", \"bytes\": 5},"
	    " {\"scope\": \"data\", \"name\": \"z2\", \"bytes\": 5}]");
	files("RSE_B",
	    "[{\"scope\": \"data\", \"name\": \"z1\", \"bytes\": 5},"
	    " {\"scope\": \"data\", \"name\": \"z2\", \"bytes\": 5}]");
	set_state("RSE_B", "z1", "B");
	dataset("dsz",
	    "[{\"scope\": \"data\", \"name\": \"z1\"},"
	    " {\"scope\": \"data\", \"name\": \"z2\"}]");
	/* RSE_B holds z2 (preferred), but z1 is being deleted there */
	assert_int_equal(add("root",
			     "{\"dids\": [{\"scope\": \"data\", \"name\": "
			     "\"dsz\"}], \"copies\": 2, \"rse_expression\": "
			     "\"RSE_B|RSE_C\"}",
			     &err),
	    GR_INSUFFICIENT_TARGET_RSES);
	gr_clear(&err);
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"dsz\"}], "
	       "\"copies\": 1, \"rse_expression\": \"RSE_B|RSE_C\"}");
	assert_int_equal(rule_locks(last_id, collect, locks, &err), GR_OK);
	assert_int_equal(json_array_size(locks), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(locks, 0),
				    "rse")),
	    "RSE_C");
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(locks, 1),
				    "rse")),
	    "RSE_C");
	json_decref(locks);
	verified();
}

/* The stored messages, drained, as "TYPE payload" lines (keys sorted;
   the last rule's id shown as R, an email's subject and body checked and
   left out). */
static const char *
drained(void)
{
	static char out[4096];
	struct gr_err err = { 0 };
	json_t *all = json_array();
	size_t n, i, len = 0;

	assert_int_equal(msg_list(NULL, 0, true, collect, all, &n, &err),
	    GR_OK);
	assert_int_equal(n, json_array_size(all));
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		json_t *m = json_array_get(all, i),
		       *p = json_object_get(m, "payload");
		const char *type = json_string_value(
			       json_object_get(m, "event_type")),
			   *rid = json_string_value(
			       json_object_get(p, "rule_id"));

		assert_string_equal(json_string_value(
					json_object_get(m, "services")),
		    strcmp(type, "email") == 0 ? "email" : "activemq");
		assert_int_equal(strlen(json_string_value(
				     json_object_get(m, "id"))),
		    32);
		if (strcmp(type, "email") == 0) {
			char subject[128];

			(void)snprintf(subject, sizeof(subject),
			    "[RUCIO] Replication rule %s has been "
			    "successfully transferred",
			    last_id);
			assert_string_equal(json_string_value(
						json_object_get(p, "subject")),
			    subject);
			assert_non_null(strstr(json_string_value(
						   json_object_get(p, "body")),
			    last_id));
			json_object_del(p, "subject");
			json_object_del(p, "body");
		}
		if (rid != NULL && strcmp(rid, last_id) == 0)
			json_object_set_new(p, "rule_id", json_string("R"));
		assert_true(json_object_get(p, "rse") == NULL ||
		    strlen(json_string_value(json_object_get(p, "rse_id"))) ==
			32);
		json_object_del(p, "rse_id");
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s %s\n",
		    type, testlib_dumps(json_incref(p)));
		assert_true(len < sizeof(out));
	}
	json_decref(all);
	all = json_array();
	assert_int_equal(msg_list(NULL, 0, false, collect, all, &n, &err),
	    GR_OK);
	assert_int_equal(n, 0); /* drained */
	json_decref(all);
	return out;
}

static void
close_ds(const char *name)
{
	struct gr_err err = { 0 };
	json_t *b = json_pack("{s:b}", "open", 0);

	assert_int_equal(coll_set_status("root", "data", name, b, &err), GR_OK);
	json_decref(b);
}

/* notify N, Y, C and P: the messages upstream's rule core writes, and
   how they are read and drained */
static void
test_notifications(void **state)
{
	struct gr_err err = { 0 };
	json_t *all;
	size_t n;

	(void)state;
	/* every earlier test made rules with notify N: no message */
	assert_string_equal(drained(), "");
	files("RSE_A",
	    "[{\"scope\": \"data\", \"name\": \"n1\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"n2\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"n3\", \"bytes\": 1},"
	    " {\"scope\": \"data\", \"name\": \"n4\", \"bytes\": 1}]");
	dataset("dsy",
	    "[{\"scope\": \"data\", \"name\": \"n1\"},"
	    " {\"scope\": \"data\", \"name\": \"n2\"}]");
	/* Y: OK at once, the open dataset notwithstanding; alice has an
	   address, so the email is there too */
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"dsy\"}], "
	       "\"account\": \"alice\", \"ignore_account_limit\": true, "
	       "\"copies\": 1, \"rse_expression\": \"RSE_A\", \"notify\": "
	       "\"Y\"}");
	assert_string_equal(drained(),
	    "RULE_OK {\"name\":\"dsy\",\"rule_id\":\"R\",\"scope\":\"data\"}\n"
	    "DATASETLOCK_OK {\"name\":\"dsy\",\"rse\":\"RSE_A\",\"rule_id\":"
	    "\"R\",\"scope\":\"data\"}\n"
	    "email {\"to\":[\"a@example.org\"]}\n");
	/* closing the dataset: a Y rule is told again, without an email */
	close_ds("dsy");
	assert_string_equal(drained(),
	    "RULE_OK {\"name\":\"dsy\",\"rule_id\":\"R\",\"scope\":\"data\"}\n"
	    "DATASETLOCK_OK {\"name\":\"dsy\",\"rse\":\"RSE_A\",\"rule_id\":"
	    "\"R\",\"scope\":\"data\"}\n");

	/* C: nothing while the dataset is open, OK or not */
	dataset("dsc",
	    "[{\"scope\": \"data\", \"name\": \"n1\"},"
	    " {\"scope\": \"data\", \"name\": \"n2\"}]");
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"dsc\"}], "
	       "\"copies\": 1, \"rse_expression\": \"RSE_B\", \"notify\": "
	       "\"C\"}");
	assert_string_equal(state_of(last_id), "REPLICATING");
	set_state("RSE_B", "n1", "A");
	set_state("RSE_B", "n2", "A");
	assert_string_equal(state_of(last_id), "OK");
	assert_string_equal(drained(), "");
	/* ... and both once it is closed, complete on RSE_B */
	close_ds("dsc");
	assert_string_equal(drained(),
	    "RULE_OK {\"name\":\"dsc\",\"rule_id\":\"R\",\"scope\":\"data\"}\n"
	    "DATASETLOCK_OK {\"name\":\"dsc\",\"rse\":\"RSE_B\",\"rule_id\":"
	    "\"R\",\"scope\":\"data\"}\n");

	/* P on a closed dataset of four files: each tenth passed, then
	   RULE_OK with 100; no dataset lock message */
	dataset("dsp",
	    "[{\"scope\": \"data\", \"name\": \"n1\"},"
	    " {\"scope\": \"data\", \"name\": \"n2\"},"
	    " {\"scope\": \"data\", \"name\": \"n3\"},"
	    " {\"scope\": \"data\", \"name\": \"n4\"}]");
	close_ds("dsp");
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"dsp\"}], "
	       "\"copies\": 1, \"rse_expression\": \"RSE_C\", \"notify\": "
	       "\"P\"}");
	assert_string_equal(drained(), "");
	set_state("RSE_C", "n1", "A");
	set_state("RSE_C", "n2", "U"); /* a failure: no progress */
	assert_string_equal(drained(),
	    "RULE_PROGRESS {\"name\":\"dsp\",\"progress\":20,\"rule_id\":"
	    "\"R\",\"scope\":\"data\"}\n");
	set_state("RSE_C", "n3", "A");
	set_state("RSE_C", "n4", "A");
	assert_string_equal(state_of(last_id), "STUCK");
	assert_string_equal(drained(), "");
	set_state("RSE_C", "n2", "A");
	assert_string_equal(state_of(last_id), "OK");
	assert_string_equal(drained(),
	    "RULE_OK {\"name\":\"dsp\",\"rule_id\":\"R\",\"scope\":\"data\"}\n"
	    "RULE_PROGRESS {\"name\":\"dsp\",\"progress\":100,\"rule_id\":"
	    "\"R\",\"scope\":\"data\"}\n");

	/* reading without draining keeps them; a type filter; max */
	add_ok("{\"dids\": [{\"scope\": \"data\", \"name\": \"n1\"}], "
	       "\"copies\": 1, \"rse_expression\": \"RSE_A\", \"notify\": "
	       "\"Y\", \"grouping\": \"NONE\"}");
	all = json_array();
	assert_int_equal(msg_list("RULE_OK", 0, false, collect, all, &n, &err),
	    GR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(all, 0),
				    "event_type")),
	    "RULE_OK");
	json_array_clear(all);
	assert_int_equal(msg_list(NULL, 1, true, collect, all, &n, &err),
	    GR_OK);
	assert_int_equal(n, 1);
	json_decref(all);
	assert_string_equal(drained(), ""); /* root has no address */
	verified();
}

static int
history_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return rule_history_add(t, arg, err);
}

/*
 * Two processes that write a rule's history in the same second keep
 * both entries: each forked child starts from its parent's count of the
 * entries it wrote, so a key made of the time and that count alone was
 * the same in both, and the second entry replaced the first.
 */
static void
test_history_two_writers(void **state)
{
	const char *id = "00000000000000000000000000000abc";
	struct gr_err err = { 0 };
	json_t *rec, *out = json_array();
	pid_t pid[2];
	int i, status;

	(void)state;
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i,"
			" s:i}",
	    "id", id, "scope", "data", "name", "h1", "account", "root",
	    "rse_expression", "RSE_A", "state", "O", "locks_ok_cnt", 1,
	    "locks_replicating_cnt", 0, "locks_stuck_cnt", 0, "created_at",
	    1000, "updated_at", 1000);
	assert_non_null(rec);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			st_after_fork();
			if (st_open(home, 0, &err) != GR_OK)
				_exit(1);
			status = st_txn_run(history_txn, rec, &err);
			st_close(); /* a process that dies open costs a recovery
				     */
			_exit(status == GR_OK ? 0 : 2);
		}
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(rule_history(id, collect, out, &err), GR_OK);
	assert_int_equal(json_array_size(out), 2);
	json_decref(out);
	json_decref(rec);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	const char *rses[] = { "RSE_A", "RSE_B", "RSE_C" };
	json_t *s = json_object();
	size_t i;

	(void)state;
	if (testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "data", &err) != GR_OK)
		return -1;
	for (i = 0; i < 3; i++)
		if (rse_add("root", rses[i], s, &err) != GR_OK)
			return -1;
	json_decref(s);
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
		cmocka_unit_test(test_available_data),
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_groupings),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_add_in),
		cmocka_unit_test(test_reeval_inject),
		cmocka_unit_test(test_inject_batches),
		cmocka_unit_test(test_being_deleted),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_history_two_writers),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("rule", tests, setup, teardown);
}
