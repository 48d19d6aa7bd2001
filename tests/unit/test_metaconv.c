/*
 * test_metaconv.c -- metadata conventions (common/metaconv.c): Python
 * regexps read as POSIX ones and matched as re.match does, keys and
 * values on a real store with their checks and rights, and the datatype
 * check of datasets inside a transaction.
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
#include "metaconv.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-metaconv";

static void
test_regexp(void **state)
{
	(void)state;
	assert_int_equal(metaconv_regexp_match("\\d+", "12"), 1);
	assert_int_equal(metaconv_regexp_match("\\d+", "a1"), 0);
	/* anchored at the start only, as re.match */
	assert_int_equal(metaconv_regexp_match("ab", "abc"), 1);
	assert_int_equal(metaconv_regexp_match("bc", "abc"), 0);
	assert_int_equal(metaconv_regexp_match("ab$", "abc"), 0);
	/* the whole alternation is anchored, not its first branch */
	assert_int_equal(metaconv_regexp_match("x|b", "bz"), 1);
	assert_int_equal(metaconv_regexp_match("x|b", "zb"), 0);
	assert_int_equal(metaconv_regexp_match("[\\w.-]+$", "a_b.c-d"), 1);
	assert_int_equal(metaconv_regexp_match("[\\w.-]+$", "a b"), 0);
	assert_int_equal(metaconv_regexp_match("[a\\-z]+$", "a-z"), 1);
	assert_int_equal(metaconv_regexp_match("[a\\-z]+$", "b"), 0);
	assert_int_equal(metaconv_regexp_match("\\D\\W\\S", "a1x"), 0);
	assert_int_equal(metaconv_regexp_match("\\D\\W\\s", "a. "), 1);
	assert_int_equal(metaconv_regexp_match("a\\.b", "a.b"), 1);
	assert_int_equal(metaconv_regexp_match("a\\.b", "axb"), 0);
	assert_int_equal(metaconv_regexp_match("[^0-9]{2,3}$", "ab"), 1);
	assert_int_equal(metaconv_regexp_match("a*?b", "aab"), 1);
	/* what POSIX cannot say */
	assert_int_equal(metaconv_regexp_match("(?i)a", "a"), -1);
	assert_int_equal(metaconv_regexp_match("\\bword", "word"), -1);
	assert_int_equal(metaconv_regexp_match("(a)\\1", "aa"), -1);
	assert_int_equal(metaconv_regexp_match("[ab", "a"), -1);
	assert_int_equal(metaconv_regexp_match("(a", "a"), -1);
	assert_int_equal(metaconv_regexp_match("a\\", "a"), -1);
}

static void
test_keys_and_values(void **state)
{
	struct gr_err err = { 0 };
	json_t *b, *v, *out;

	(void)state;
	b = json_pack("{s:s, s:s}", "key_type", "D", "value_type",
	    "<class 'str'>");
	assert_int_equal(metaconv_add_key("root", "datatype", b, NULL, &err),
	    GR_OK);
	assert_int_equal(metaconv_add_key("root", "datatype", b, NULL, &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(metaconv_add_key("alice", "k", b, NULL, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(metaconv_add_key("root", "", b, NULL, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(metaconv_add_key("root", "a\tb", b, NULL, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(b);
	/* no key type: the default, or UnsupportedKeyType */
	b = json_object();
	assert_int_equal(metaconv_add_key("root", "k1", b, NULL, &err),
	    GR_UNSUPPORTED_KEY_TYPE);
	gr_clear(&err);
	assert_int_equal(metaconv_add_key("root", "k1", b, "ALL", &err), GR_OK);
	json_decref(b);
	assert_int_equal(metaconv_list_keys(&out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"datatype\",\"k1\"]");

	v = json_string("AOD");
	assert_int_equal(metaconv_add_value("root", "datatype", v, &err),
	    GR_OK);
	assert_int_equal(metaconv_add_value("root", "datatype", v, &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(metaconv_add_value("root", "nokey", v, &err),
	    GR_KEY_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(metaconv_add_value("alice", "datatype", v, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_decref(v);
	v = json_integer(5);
	assert_int_equal(metaconv_add_value("root", "datatype", v, &err),
	    GR_INVALID_VALUE);
	gr_clear(&err);
	assert_int_equal(metaconv_add_value("root", "k1", v, &err), GR_OK);
	json_decref(v);
	assert_int_equal(metaconv_list_values("k1", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"5\"]");
	assert_int_equal(metaconv_list_values("datatype", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[\"AOD\"]");
	assert_int_equal(metaconv_del_value("root", "k1", "6", &err),
	    GR_KEY_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(metaconv_del_key("root", "k1", &err), GR_OK);
	assert_int_equal(metaconv_list_values("k1", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "[]");
	assert_int_equal(metaconv_del_key("root", "k1", &err),
	    GR_KEY_NOT_FOUND);
	gr_clear(&err);
}

struct check {
	const char *type;
	json_t *meta;
};

static int
check_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct check *c = arg;

	return metaconv_check_meta(t, c->type, c->meta, err);
}

static int
check(const char *type, const char *meta)
{
	struct check c = { type, json_loads(meta, 0, NULL) };
	struct gr_err err = { 0 };
	int rc;

	assert_non_null(c.meta);
	rc = st_view(check_txn, &c, 0, &err);
	json_decref(c.meta);
	return rc;
}

static void
test_datatype(void **state)
{
	(void)state;
	assert_int_equal(check("DATASET", "{\"datatype\": \"AOD\"}"), GR_OK);
	assert_int_equal(check("DATASET", "{\"datatype\": \"ESD\"}"),
	    GR_INVALID_OBJECT);
	assert_int_equal(check("DATASET", "{\"datatype\": 5}"),
	    GR_INVALID_OBJECT);
	assert_int_equal(check("DATASET", "{\"project\": \"x\"}"), GR_OK);
	assert_int_equal(check("CONTAINER", "{\"datatype\": \"ESD\"}"), GR_OK);
	assert_int_equal(check("FILE", "{\"datatype\": \"ESD\"}"), GR_OK);
}

static int
setup(void **state)
{
	(void)state;
	return testlib_store_accounts(home);
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
		cmocka_unit_test(test_regexp),
		cmocka_unit_test(test_keys_and_values),
		cmocka_unit_test(test_datatype),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("metaconv", tests, setup, teardown);
}
