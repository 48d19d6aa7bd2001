/*
 * test_task.c -- the pure parts of scripts and tasks (common/script.c,
 * common/task.c): a script description checked into a record, typed
 * values, the argv a submission gives (order, flags, bools, defaults,
 * private parameters, values verbatim), the names uploads are saved as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "script.h"
#include "store.h"
#include "task.h"
#include "testlib.h"
#include "util.h"

static const char *script_text =
    "{\"name\": \"s\", \"command\": \"run.sh\", \"param\": ["
    " {\"name\": \"n\", \"type\": \"int\", \"flag\": \"-n\", \"position\": 2,"
    "  \"required\": true},"
    " {\"name\": \"x\", \"type\": \"float\", \"flag\": \"--x=\","
    "  \"position\": 1, \"default\": \"0.5\"},"
    " {\"name\": \"s\", \"position\": 3},"
    " {\"name\": \"v\", \"type\": \"bool\", \"flag\": \"-v\", \"position\": 0},"
    " {\"name\": \"w\", \"type\": \"bool\", \"flag\": \"-w\", \"position\": 0,"
    "  \"default\": \"true\"},"
    " {\"name\": \"p\", \"flag\": \"--p\", \"position\": 9, \"private\": true,"
    "  \"default\": \"fixed\"},"
    " {\"name\": \"f\", \"type\": \"file\", \"position\": 3}]}";

static json_t *
load_script(void)
{
	struct gr_err err = { 0 };
	json_t *in = json_loads(script_text, 0, NULL), *out = NULL;

	assert_non_null(in);
	assert_int_equal(script_check(in, NULL, &out, &err), GR_OK);
	json_decref(in);
	return out;
}

/* The argv for vals (JSON text) as one string, args joined by '|', or
   the error's class. */
static char *
argv_of(const char *vals_text)
{
	struct gr_err err = { 0 };
	json_t *s = load_script(), *vals = json_loads(vals_text, 0, NULL);
	json_t *argv = NULL, *a;
	struct sbuf b = { 0 };
	size_t i;
	int rc;

	assert_non_null(vals);
	rc = task_argv(s, "/srv/scripts", vals, &argv, &err);
	if (rc != GR_OK) {
		sbuf_adds(&b, gr_err_class(err.code));
	} else {
		json_array_foreach(argv, i, a) {
			if (i > 0)
				sbuf_adds(&b, "|");
			sbuf_adds(&b, json_string_value(a));
		}
	}
	json_decref(argv);
	json_decref(vals);
	json_decref(s);
	return b.s;
}

static void
test_argv(void **state)
{
	char *s;

	(void)state;
	/* by position, ties by declaration; bools only when true; the
	   private default whatever was sent; defaults for absent ones;
	   a relative command under the scripts directory */
	s = argv_of("{\"n\": [\"3\"], \"v\": [\"false\"], \"s\": [\"a b\"],"
		    " \"p\": [\"mine\"], \"f\": [\"f.txt\"]}");
	assert_string_equal(s,
	    "/srv/scripts/run.sh|-w|--x=0.5|-n|3|a b|f.txt|--p|fixed");
	free(s);
	s = argv_of("{\"n\": [\"-7\"], \"v\": [\"TRUE\"], \"w\": [\"no\"],"
		    " \"x\": [\"1e3\"]}");
	assert_string_equal(s,
	    "/srv/scripts/run.sh|-v|--x=1e3|-n|-7|--p|fixed");
	free(s);
	/* shell metacharacters stay one argument, unchanged */
	s = argv_of(
	    "{\"n\": [\"1\"], \"s\": [\"$(id); `x` 'q' \\\"d\\\" | &\"]}");
	assert_string_equal(s,
	    "/srv/scripts/run.sh|-w|--x=0.5|-n|1|$(id); `x` 'q' \"d\" | &|--p|"
	    "fixed");
	free(s);
}

static void
test_argv_refused(void **state)
{
	char *s;

	(void)state;
	s = argv_of("{}");
	assert_string_equal(s, "ParameterNotAcceptable");
	free(s);
	s = argv_of("{\"n\": [\"3.5\"]}");
	assert_string_equal(s, "TypeError");
	free(s);
	s = argv_of("{\"n\": [\"1\"], \"x\": [\"nan\"]}");
	assert_string_equal(s, "TypeError");
	free(s);
	s = argv_of("{\"n\": [\"1\"], \"v\": [\"maybe\"]}");
	assert_string_equal(s, "TypeError");
	free(s);
	s = argv_of("{\"n\": [\"99999999999999999999\"]}");
	assert_string_equal(s, "TypeError");
	free(s);
}

static void
test_file_names(void **state)
{
	char out[64];

	(void)state;
	assert_true(task_file_name("in", "data.txt", 0, 1, out, sizeof(out)));
	assert_string_equal(out, "in.txt");
	assert_true(task_file_name("in", "x.tar.gz", 1, 3, out, sizeof(out)));
	assert_string_equal(out, "in_2.tar.gz");
	assert_true(
	    task_file_name("in", "../../evil.sh", 0, 1, out, sizeof(out)));
	assert_string_equal(out, "in.sh");
	assert_false(task_file_name("in", "noext", 0, 1, out, sizeof(out)));
	assert_false(task_file_name("in", ".bashrc", 0, 1, out, sizeof(out)));
	assert_false(task_file_name("in", "a.b/c", 0, 1, out, sizeof(out)));
	assert_false(task_file_name("in", "a.x..y", 0, 1, out, sizeof(out)));
	assert_false(task_file_name("in", "a.$(id)", 0, 1, out, sizeof(out)));
	assert_false(task_file_name("in", "a.", 0, 1, out, sizeof(out)));
}

/* The class script_check gives a description, or "ok". */
static const char *
check_class(const char *text)
{
	struct gr_err err = { 0 };
	json_t *in = json_loads(text, 0, NULL), *out = NULL;
	int rc;

	assert_non_null(in);
	rc = script_check(in, NULL, &out, &err);
	json_decref(in);
	json_decref(out);
	return rc == GR_OK ? "ok" : gr_err_class(err.code);
}

static void
test_script_check(void **state)
{
	json_t *s;
	char clock[32];

	(void)state;
	s = load_script();
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(s, "param"), 2),
				"type")),
	    "string");
	assert_int_equal(json_integer_value(
			     json_object_get(s, "max_clock_time")),
	    SCRIPT_CLOCK_DFLT);
	json_decref(s);
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"max_clock_time\": \"01:30\"}"),
	    "ok");
	assert_string_equal(check_class("{\"command\": \"x\"}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a/b\", \"command\": "
					"\"x\"}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": "
					"\"../x\"}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"max_clock_time\": \"1:75\"}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"param\": [{\"name\": \"b\", "
					"\"type\": \"bool\"}]}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"param\": [{\"name\": \"b\"}, "
					"{\"name\": \"b\"}]}"),
	    "Duplicate");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"param\": [{\"name\": \"b\", "
					"\"flag\": \"-a b\"}]}"),
	    "InvalidValueForKey");
	assert_string_equal(check_class("{\"name\": \"a\", \"command\": \"x\","
					" \"is_array\": true, \"begin_index\":"
					" 5, \"end_index\": 2}"),
	    "InvalidValueForKey");
	script_clock(7 * 86400, clock);
	assert_string_equal(clock, "168:00");
	script_clock(61, clock);
	assert_string_equal(clock, "00:02");
}

/* --- descendants: children lists, and the scan for older records ---- */

#define U(n) "00000000-0000-4000-8000-00000000000" #n

struct rec_args {
	const char *uuid, *owner, *parent, *root, *children; /* JSON */
};

static int
rec_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct rec_args *a = arg;
	static unsigned seq;
	DBT key = st_dbt(a->uuid, strlen(a->uuid));
	char age[32];
	json_t *rec;
	int ret;

	(void)snprintf(age, sizeof(age), "%016u", 99999 - seq++);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s*, s:s, s:b, s:[]}",
	    "uuid", a->uuid, "task_name", "t", "owner", a->owner, "age", age,
	    "root", a->root, "parent_task", a->parent, "status", TASK_DONE,
	    "deleted", false, "_drm");
	if (a->children != NULL)
		json_object_set_new(rec, "_children",
		    json_loads(a->children, 0, NULL));
	ret = st_put_json(t, TBL_TASKS, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
put_rec(const char *uuid, const char *owner, const char *parent,
    const char *root, const char *children)
{
	struct rec_args a = { uuid, owner, parent, root, children };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(rec_txn, &a, &err), GR_OK);
}

/* task_get(issuer, uuid)'s descendants as compact JSON (static) */
static const char *
descendants(const char *uuid)
{
	static char buf[512];
	struct gr_err err = { 0 };
	json_t *out = NULL;
	char *s;

	assert_int_equal(task_get("root", uuid, &out, &err), GR_OK);
	s = json_dumps(json_object_get(out, "descendants"), JSON_COMPACT);
	(void)snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	json_decref(out);
	return buf;
}

static void
test_descendants(void **state)
{
	char home[TEST_PATH_MAX] = "test_task_db";

	(void)state;
	assert_int_equal(testlib_store_accounts(home), 0);
	/* a tree of records older than the children lists: scanned */
	put_rec(U(1), "alice", NULL, U(1), NULL);
	put_rec(U(2), "alice", U(1), U(1), NULL);
	put_rec(U(3), "alice", U(2), U(1), "[]");
	put_rec(U(4), "alice", NULL, U(4), NULL);
	assert_string_equal(descendants(U(1)), "[\"" U(2) "\",\"" U(3) "\"]");
	assert_string_equal(descendants(U(2)), "[\"" U(3) "\"]");
	assert_string_equal(descendants(U(3)), "[]");
	assert_string_equal(descendants(U(4)), "[]");
	/* lists: followed, whoever owns the children (the owner's scan
	   would miss root's child of alice's task) */
	put_rec(U(5), "alice", NULL, U(5), "[\"" U(6) "\", \"" U(7) "\"]");
	put_rec(U(6), "root", U(5), U(5), "[\"" U(8) "\"]");
	put_rec(U(7), "alice", U(5), U(5), "[]");
	put_rec(U(8), "root", U(6), U(5), "[]");
	assert_string_equal(descendants(U(5)),
	    "[\"" U(6) "\",\"" U(7) "\",\"" U(8) "\"]");
	assert_string_equal(descendants(U(6)), "[\"" U(8) "\"]");
	assert_int_equal(testlib_store_remove(home), 0);
}

/* --- the anonymous buckets' sweep --------------------------------------- */

struct bucket_args {
	const char *name;
	double tokens, ago;
	bool exists;
};

static int
bucket_put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct bucket_args *a = arg;
	DBT key = st_dbt(a->name, strlen(a->name));
	json_t *rec = json_pack("{s:f, s:f}", "tokens", a->tokens, "at",
	    (double)time_now() - a->ago);
	int ret = st_put_json(t, TBL_META, &key, rec, 0);

	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
bucket_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct bucket_args *a = arg;
	DBT key = st_dbt(a->name, strlen(a->name));
	int ret = st_exists(t, TBL_META, &key);

	a->exists = ret == 0;
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

static void
test_throttle_sweep(void **state)
{
	/* 100 a day (the default): 1000 s give back 1.16 */
	struct bucket_args b[] = {
		{ "tasks.rate.@ip:192.0.2.1", 99.5, 1000, false },  /* full */
		{ "tasks.rate.@ip:192.0.2.2", 0, 0, false },        /* empty */
		{ "tasks.rate.@ip:2001:db8::1", 50, 86400, false }, /* full */
		{ "tasks.rate.@ip:192.0.2.3", 98, 10, false },      /* not */
		{ "tasks.rate.alice", 600, 100000, false }, /* an account's */
		/* reads: 20 a second (the default) */
		{ "tasks.rate.@ipr:192.0.2.1", 0, 2, false },   /* full */
		{ "tasks.rate.@ipr:192.0.2.2", 0, 0.5, false }, /* not */
	};
	static const bool kept[] = { false, true, false, true, true, false,
		true };
	char home[TEST_PATH_MAX] = "test_task_db";
	struct gr_err err = { 0 };
	size_t i, n;

	(void)state;
	unsetenv("GRIDREST_TASK_ANONYMOUS_RATE");
	unsetenv("GRIDREST_TASK_ANONYMOUS_RATE_PERIOD");
	unsetenv("GRIDREST_TASK_ANONYMOUS_READS");
	unsetenv("GRIDREST_TASK_ANONYMOUS_READS_PERIOD");
	assert_int_equal(testlib_store_accounts(home), 0);
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		assert_int_equal(st_txn_run(bucket_put_txn, &b[i], &err),
		    GR_OK);
	assert_int_equal(task_throttle_sweep(&n, &err), GR_OK);
	assert_int_equal(n, 3);
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		assert_int_equal(st_view(bucket_get_txn, &b[i], 0, &err),
		    GR_OK);
		if (b[i].exists != kept[i])
			fail_msg("%s: exists %d", b[i].name, b[i].exists);
	}
	assert_int_equal(task_throttle_sweep(&n, &err), GR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(testlib_store_remove(home), 0);
}

/* An address's reads: a burst of the rate, then 429 with the wait; the
   next address has its own bucket, refilled by the time gone. */
static void
test_read_throttle(void **state)
{
	struct bucket_args b = { "tasks.rate.@ipr:192.0.2.9", 0, 1, false };
	char home[TEST_PATH_MAX] = "test_task_db";
	struct gr_err err = { 0 };
	long retry = 0;
	int i;

	(void)state;
	assert_int_equal(testlib_store_accounts(home), 0);
	for (i = 0; i < 20; i++)
		assert_int_equal(task_read_throttle("192.0.2.8", &retry, &err),
		    GR_OK);
	assert_int_equal(task_read_throttle("192.0.2.8", &retry, &err),
	    GR_THROTTLED);
	assert_int_equal(gr_err_status(err.code), 429);
	assert_true(retry >= 1);
	assert_non_null(strstr(err.msg, "Request was throttled."));
	gr_clear(&err);
	assert_int_equal(task_read_throttle("192.0.2.7", &retry, &err), GR_OK);
	/* empty a second ago: 20 back, one taken */
	assert_int_equal(st_txn_run(bucket_put_txn, &b, &err), GR_OK);
	for (i = 0; i < 19; i++)
		assert_int_equal(task_read_throttle("192.0.2.9", &retry, &err),
		    GR_OK);
	assert_int_equal(testlib_store_remove(home), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_argv_refused),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_script_check),
		cmocka_unit_test(test_descendants),
		cmocka_unit_test(test_throttle_sweep),
		cmocka_unit_test(test_read_throttle),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
