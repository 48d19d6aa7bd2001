/*
 * test_rse.c -- storage elements on a real store: names, settings and
 * their checks, renames carrying attributes, soft deletion, attributes.
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
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-rse";

static int
collect(json_t *item, void *ctx)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	(void)snprintf(buf + n, 256 - n, "%s ",
	    json_string_value(json_object_get(item, "rse")));
	return GR_OK;
}

static void
test_names(void **state)
{
	static const char *const good[] = { "A", "RSE_A", "CERN-PROD_DATADISK",
		"X1-2_3" };
	static const char *const bad[] = { "", "a", "RSE_", "_RSE", "R__S",
		"R-_S", "RSE A", "RSE.A", "RSE/A" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++)
		assert_true(rse_valid_name(good[i]));
	for (i = 0; i < ARRAY_LEN(bad); i++)
		if (rse_valid_name(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void
test_add_settings(void **state)
{
	struct gr_err err = { 0 };
	json_t *s, *info;

	(void)state;
	s = json_pack("{s:s, s:s, s:b, s:i, s:f}", "rse_type", "tape", "city",
	    "Geneva", "volatile", 1, "availability", 6, "latitude", 46.2);
	assert_int_equal(rse_add("root", "RSE_T", s, &err), GR_OK);
	json_decref(s);
	assert_int_equal(rse_get("RSE_T", &info, &err), GR_OK);
	assert_string_equal(testlib_dumps(json_pack("[O, O, O, O]",
				json_object_get(info, "rse_type"),
				json_object_get(info, "volatile"),
				json_object_get(info, "availability"),
				json_object_get(info, "availability_delete"))),
	    "[\"TAPE\",true,6,false]");
	json_decref(info);

	s = json_pack("{s:i, s:b}", "availability", 7, "availability_read", 1);
	assert_int_equal(rse_add("root", "RSE_X", s, &err), GR_INPUT_CONFLICT);
	gr_clear(&err);
	json_decref(s);
	s = json_pack("{s:s}", "latitude", "north");
	assert_int_equal(rse_add("root", "RSE_X", s, &err), GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(s);
	s = json_pack("{s:i}", "availability", 8);
	assert_int_equal(rse_add("root", "RSE_X", s, &err), GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(s);
	s = json_object();
	assert_int_equal(rse_add("alice", "RSE_X", s, &err), GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(rse_add("root", "RSE_T", s, &err), GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(rse_add("root", "rse_x", s, &err), GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(rse_get("RSE_X", &info, &err), GR_RSE_NOT_FOUND);
	json_decref(s);
}

static void
test_rename_and_delete(void **state)
{
	struct gr_err err = { 0 };
	char names[256] = "";
	json_t *s = json_pack("{s:s}", "continent", "EU"), *attrs;

	(void)state;
	assert_int_equal(rse_add("root", "RSE_A", s, &err), GR_OK);
	json_decref(s);
	s = json_true();
	assert_int_equal(rse_attr_set("root", "RSE_A", "tier", s, &err), GR_OK);
	json_decref(s);
	s = json_pack("{s:s}", "name", "RSE_B");
	assert_int_equal(rse_update("root", "RSE_A", s, &err), GR_OK);
	json_decref(s);
	assert_int_equal(rse_attr_list("RSE_B", &attrs, &err), GR_OK);
	assert_string_equal(testlib_dumps(attrs),
	    "{\"RSE_B\":true,\"continent\":\"EU\",\"tier\":true}");
	assert_int_equal(rse_attr_list("RSE_A", &attrs, &err),
	    GR_RSE_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(rse_list(collect, names, &err), GR_OK);
	assert_string_equal(names, "RSE_B RSE_T ");
	assert_int_equal(rse_delete("alice", "RSE_B", &err), GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(rse_delete("root", "RSE_B", &err), GR_OK);
	assert_int_equal(rse_delete("root", "RSE_B", &err), GR_RSE_NOT_FOUND);
	gr_clear(&err);
	names[0] = '\0';
	assert_int_equal(rse_list(collect, names, &err), GR_OK);
	assert_string_equal(names, "RSE_T ");
}

static void
test_attributes(void **state)
{
	struct gr_err err = { 0 };
	json_t *v, *attrs;

	(void)state;
	v = json_integer(3);
	assert_int_equal(rse_attr_set("root", "RSE_T", "n", v, &err), GR_OK);
	json_decref(v);
	v = json_string("False");
	assert_int_equal(rse_attr_set("root", "RSE_T", "f", v, &err), GR_OK);
	assert_int_equal(rse_attr_set("root", "RSE_T", "bad key", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	assert_int_equal(rse_attr_set("alice", "RSE_T", "k", v, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_decref(v);
	v = json_array();
	assert_int_equal(rse_attr_set("root", "RSE_T", "k", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(v);
	assert_int_equal(rse_attr_list("RSE_T", &attrs, &err), GR_OK);
	assert_string_equal(testlib_dumps(attrs),
	    "{\"RSE_T\":true,\"city\":\"Geneva\",\"f\":false,\"n\":\"3\"}");
	assert_int_equal(rse_attr_del("root", "RSE_T", "n", &err), GR_OK);
	assert_int_equal(rse_attr_del("root", "RSE_T", "n", &err),
	    GR_RSE_ATTR_NOT_FOUND);
}

static void
test_protocols(void **state)
{
	struct gr_err err = { 0 };
	json_t *p, *list, *info;

	(void)state;
	assert_int_equal(rse_proto_list("RSE_T", &list, &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
	gr_clear(&err);
	p = json_pack("{s:s, s:i, s:s, s:{s:{s:i}}}", "hostname", "h2", "port",
	    8443, "impl", "x.Default", "domains", "wan", "read", 1);
	assert_int_equal(rse_proto_add("root", "RSE_T", "davs", p, &err),
	    GR_OK);
	assert_int_equal(rse_proto_add("root", "RSE_T", "davs", p, &err),
	    GR_DUPLICATE);
	gr_clear(&err);
	assert_int_equal(rse_proto_add("alice", "RSE_T", "root", p, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_object_set_new(p, "hostname", json_string("h1"));
	assert_int_equal(rse_proto_add("root", "RSE_T", "root", p, &err),
	    GR_OK);
	json_decref(p);
	assert_int_equal(rse_proto_list("RSE_T", &list, &err), GR_OK);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(list, 0),
				    "hostname")),
	    "h1");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(json_array_get(list, 1),
				    "domains"),
		    "lan"),
		"write")),
	    0);
	json_decref(list);
	assert_int_equal(rse_get("RSE_T", &info, &err), GR_OK);
	assert_int_equal(json_array_size(json_object_get(info, "protocols")),
	    2);
	json_decref(info);
	p = json_pack("{s:{s:{s:i}}}", "domains", "wan", "write", 2);
	assert_int_equal(rse_proto_update("root", "RSE_T", "davs", "h2", "8443",
			     p, &err),
	    GR_OK);
	assert_int_equal(rse_proto_update("root", "RSE_T", "davs", "h9", NULL,
			     p, &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
	gr_clear(&err);
	json_decref(p);
	assert_int_equal(rse_proto_del("root", "RSE_T", "davs", NULL, NULL,
			     &err),
	    GR_OK);
	assert_int_equal(rse_proto_del("root", "RSE_T", "davs", NULL, NULL,
			     &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
	gr_clear(&err);
	assert_int_equal(rse_proto_list("RSE_T", &list, &err), GR_OK);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
}

static void
test_lfns2pfns(void **state)
{
	struct gr_err err = { 0 };
	json_t *p, *lfns, *out, *none = json_object();

	(void)state;
	assert_int_equal(rse_add("root", "RSE_P", none, &err), GR_OK);
	json_decref(none);
	lfns = json_pack("[s, s]", "user.jdoe:file1", "data18:f.root");
	assert_int_equal(rse_lfns2pfns("RSE_P", lfns, NULL, NULL, NULL, &out,
			     &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
	gr_clear(&err);
	p = json_pack("{s:s, s:i, s:s, s:s, s:{s:{s:i, s:i}}}", "hostname",
	    "se.example.org", "port", 443, "prefix", "pnfs/x", "impl", "x",
	    "domains", "wan", "read", 1, "write", 1);
	assert_int_equal(rse_proto_add("root", "RSE_P", "davs", p, &err),
	    GR_OK);
	json_decref(p);
	assert_int_equal(rse_lfns2pfns("RSE_P", lfns, NULL, NULL, NULL, &out,
			     &err),
	    GR_OK);
	/* md5("user.jdoe:file1") = a2cb9a0d..., md5("data18:f.root") =
	   3130d0c0...; the prefix gains its slashes */
	assert_string_equal(testlib_dumps(out),
	    "{\"data18:f.root\":\"davs://se.example.org:443/pnfs/x/data18/31/"
	    "30/f.root\",\"user.jdoe:file1\":\"davs://se.example.org:443/pnfs/"
	    "x/user/jdoe/a2/cb/file1\"}");
	assert_int_equal(rse_lfns2pfns("RSE_P", lfns, NULL, "lan", NULL, &out,
			     &err),
	    GR_RSE_PROTO_NOT_SUPPORTED);
	gr_clear(&err);
	assert_int_equal(rse_lfns2pfns("RSE_P", lfns, NULL, "lan",
			     "third_party_copy_read", &out, &err),
	    GR_RSE_OP_NOT_SUPPORTED);
	gr_clear(&err);
	json_decref(lfns);
	lfns = json_pack("[s]", "noscope");
	assert_int_equal(rse_lfns2pfns("RSE_P", lfns, NULL, NULL, NULL, &out,
			     &err),
	    GR_INVALID_PATH);
	json_decref(lfns);
}

static void
test_limits(void **state)
{
	struct gr_err err = { 0 };
	json_t *v = json_integer(5), *out;

	(void)state;
	assert_int_equal(rse_limit_set("root", "RSE_T", "MinFreeSpace", v,
			     &err),
	    GR_OK);
	assert_int_equal(rse_limit_set("alice", "RSE_T", "MinFreeSpace", v,
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(rse_limit_set("root", "RSE_T", "bad name", v, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(v);
	assert_int_equal(rse_limits_get("RSE_T", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{\"MinFreeSpace\":5}");
	assert_int_equal(rse_limit_del("root", "RSE_T", "MinFreeSpace", &err),
	    GR_OK);
	assert_int_equal(rse_limit_del("root", "RSE_T", "MinFreeSpace", &err),
	    GR_OK); /* none: no error, as upstream */
	assert_int_equal(rse_limits_get("RSE_T", &out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out), "{}");
	assert_int_equal(rse_limits_get("NOPE", &out, &err), GR_RSE_NOT_FOUND);
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
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_add_settings),
		cmocka_unit_test(test_rename_and_delete),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_lfns2pfns),
		cmocka_unit_test(test_limits),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("rse", tests, setup, teardown);
}
