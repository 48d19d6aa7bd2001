/*
 * test_catalog.c -- the file catalogue's core: base64 LFNs (padding, the
 * url-safe alphabet, bad input), conditions from query arguments, and on
 * a real store the search's inheritance (nearest value wins, a directory
 * that sets the field again is walked on its own), the subtree sums and
 * the compatible values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"
#include "catalog.h"
#include "cfg.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-fc";

static const char *
decode(const char *b64)
{
	static char out[FC_PATH_MAX + 1];
	struct gr_err err = { 0 };

	if (fc_path_decode(b64, out, &err) != GR_OK)
		return err.code == GR_INVALID_PATH ? "(400)" : "(?)";
	return out;
}

static void
test_paths(void **state)
{
	(void)state;
	assert_string_equal(decode(NULL), "/");
	assert_string_equal(decode(""), "/");
	assert_string_equal(decode("Lw=="), "/");
	assert_string_equal(decode("Lw"), "/");
	assert_string_equal(decode("L2EvYg"), "/a/b");
	assert_string_equal(decode("L2EvYi8="), "(400)"); /* "/a/b/" */
	assert_string_equal(decode("L2EvYi8"), "(400)");
	assert_string_equal(decode("Ly8"), "(400)");      /* "//" */
	assert_string_equal(decode("L35-fg=="), "/~~~");  /* '-' is 62 */
	assert_string_equal(decode("Lz8_Pw"), "/???");    /* '_' is 63 */
	assert_string_equal(decode("L35+fg=="), "(400)"); /* not url-safe */
	assert_string_equal(decode("L@w"), "(400)");
	assert_string_equal(decode("Lw="), "(400)"); /* bad padding */
	assert_string_equal(decode("Lw==="), "(400)");
	assert_string_equal(decode("L"), "(400)");        /* 6 bits */
	assert_string_equal(decode("TQ"), "(400)");       /* "M": relative */
	assert_string_equal(decode("LwA="), "(400)");     /* "/\0" */
	assert_string_equal(decode("L2EvL2I="), "(400)"); /* "/a//b" */
	assert_string_equal(decode("L2EvLi4="), "(400)"); /* "/a/.." */
	assert_string_equal(decode("L2EvLi9i"), "(400)"); /* "/a/./b" */
	assert_string_equal(decode("L_8"), "(400)");      /* not UTF-8 */
}

static void
test_conditions(void **state)
{
	struct gr_err err = { 0 };
	json_t *cond = json_object();
	bool used;

	(void)state;
	assert_int_equal(fc_cond_add(cond, "run", ">=|5", &used, &err), GR_OK);
	assert_true(used);
	assert_int_equal(fc_cond_add(cond, "run", "<|9", &used, &err), GR_OK);
	assert_int_equal(fc_cond_add(cond, "site", "in| a, b,,c |", &used,
			     &err),
	    GR_OK);
	assert_int_equal(fc_cond_add(cond, "verbose", "true", &used, &err),
	    GR_OK);
	assert_false(used);
	assert_string_equal(testlib_dumps(json_incref(cond)),
	    "{\"run\":{\"<\":\"9\",\">=\":\"5\"},"
	    "\"site\":{\"in\":[\"a\",\"b\",\"c |\"]}}");
	assert_int_equal(fc_cond_add(cond, "x", "~|1", &used, &err),
	    GR_INVALID_VALUE);
	gr_clear(&err);
	assert_int_equal(fc_cond_add(cond, "x", "nin|, ,", &used, &err),
	    GR_INVALID_VALUE);
	json_decref(cond);
}

static void
mkdir_meta(const char *path, const char *meta)
{
	struct gr_err err = { 0 };
	json_t *m = json_loads(meta, 0, NULL);

	assert_int_equal(fc_dir_add("root", "", path, NULL, &err), GR_OK);
	if (json_object_size(m) > 0)
		assert_int_equal(fc_meta_set("root", path, true, m, &err),
		    GR_OK);
	json_decref(m);
}

static const char *
search(const char *base, const char *key, const char *value)
{
	static struct gr_err err;
	json_t *cond = json_object(), *out;
	bool used;

	gr_clear(&err);
	assert_int_equal(fc_cond_add(cond, key, value, &used, &err), GR_OK);
	if (fc_dir_search(base, cond, &out, &err) != GR_OK) {
		json_decref(cond);
		return err.msg;
	}
	json_decref(cond);
	return testlib_dumps(out);
}

static void
test_search(void **state)
{
	struct gr_err err = { 0 };
	json_t *files, *out;

	(void)state;
	assert_int_equal(fc_field_add("root", "run", "int", 'd', &err), GR_OK);
	assert_int_equal(fc_field_add("root", "tag", "string", 'd', &err),
	    GR_OK);
	mkdir_meta("/a", "{\"run\": 1, \"tag\": \"x\"}");
	mkdir_meta("/a/b", "{\"run\": 2}");
	mkdir_meta("/a/b/c", "{\"run\": 1}");
	mkdir_meta("/a/b/c/d", "{}");
	mkdir_meta("/a/e", "{}");
	files = json_pack("[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}, {s:s, s:i}]",
	    "lfn", "/a/f1", "size", 1, "lfn", "/a/b/c/f2", "size", 10, "lfn",
	    "/a/b/c/d/f3", "size", 100, "lfn", "/a/e/f4", "size", 1000);
	assert_int_equal(fc_files_add("root", "", files, &err), GR_OK);
	json_decref(files);

	/* /a/b overrides run; /a/b/c sets 1 again and is walked on its own */
	assert_string_equal(search("/", "run", "=|1"),
	    "{\"d\":{\"a\":{\"d\":{\"b\":{\"d\":{\"c\":{\"d\":{\"d\":{\"d\":{},"
	    "\"f\":1,\"s\":100}},\"f\":2,\"s\":110}}},\"e\":{\"d\":{},\"f\":1,"
	    "\"s\":1000}},\"f\":4,\"s\":1111}},\"f\":0,\"s\":0}");
	/* inherited from above the base */
	assert_string_equal(search("/a/e", "run", "=|1"),
	    "{\"d\":{},\"f\":1,\"s\":1000}");
	assert_string_equal(search("/a/b", "run", "<|2"),
	    "{\"d\":{\"c\":{\"d\":{\"d\":{\"d\":{},\"f\":1,\"s\":100}},"
	    "\"f\":2,\"s\":110}},\"f\":0,\"s\":0}");
	assert_string_equal(search("/a/b", "run", "=|2"),
	    "{\"d\":{},\"f\":2,\"s\":110}");
	/* the tag is inherited everywhere below /a */
	assert_string_equal(search("/a/b/c", "tag", "nin|x"),
	    "{\"d\":{},\"f\":0,\"s\":0}");

	/* compatible values under a condition */
	{
		json_t *cond = json_pack("{s:{s:s}}", "run", ">", "1");

		assert_int_equal(fc_dir_compatible("/", cond, &out, &err),
		    GR_OK);
		assert_string_equal(testlib_dumps(out),
		    "{\"run\":[2],\"tag\":[\"x\"]}");
		json_decref(cond);
	}

	/* removing a file moves the sums of every ancestor */
	assert_int_equal(fc_file_del("root", "/a/b/c/d/f3", &err), GR_OK);
	assert_string_equal(search("/", "tag", "in|x"),
	    "{\"d\":{\"a\":{\"d\":{\"b\":{\"d\":{\"c\":{\"d\":{\"d\":{\"d\":{},"
	    "\"f\":0,\"s\":0}},\"f\":1,\"s\":10}},\"f\":1,\"s\":10},\"e\":{"
	    "\"d\":{},\"f\":1,\"s\":1000}},\"f\":3,\"s\":1011}},\"f\":0,"
	    "\"s\":0}");
	assert_int_equal(fc_file_attrs("/a/b/c/d/f3", &out, &err),
	    GR_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(fc_dir_del("root", "/a/b/c/d", &err), GR_OK);
	assert_int_equal(fc_dir_del("root", "/a/b/c", &err),
	    GR_UNSUPPORTED_OPERATION);
}

/* Records are written as text: strings come back as they were given. */
static void
test_record_text(void **state)
{
	struct gr_err err = { 0 };
	json_t *files, *out;

	(void)state;
	assert_int_equal(fc_dir_add("root", "", "/t", NULL, &err), GR_OK);
	files = json_pack("[{s:s, s:i, s:s, s:s, s:{s:s}, s:i}]", "lfn",
	    "/t/q\"uote", "size", 3, "guid", "g\"1\\", "checksum", "ab",
	    "replicas", "SE\"1", "pfn\n", "mode", 0600);
	assert_int_equal(fc_files_add("root", "grp", files, &err), GR_OK);
	json_decref(files);
	assert_int_equal(fc_file_attrs("/t/q\"uote", &out, &err), GR_OK);
	json_object_del(out, "CreationDate");
	json_object_del(out, "ModificationDate");
	json_object_del(out, "FileID");
	assert_string_equal(testlib_dumps(out),
	    "{\"Checksum\":\"ab\",\"ChecksumType\":\"Adler32\",\"GID\":0,"
	    "\"GUID\":\"g\\\"1\\\\\",\"Mode\":384,\"Owner\":\"root\","
	    "\"OwnerGroup\":\"grp\",\"Size\":3,\"Status\":\"AprioriGood\","
	    "\"UID\":0}");
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	bool created;

	(void)state;
	cfg.durability = CFG_DURABLE_NONE;
	if (testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK) {
		fprintf(stderr, "# setup: %s\n", err.msg);
		return -1;
	}
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
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_record_text),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("catalog", tests, setup, teardown);
}
