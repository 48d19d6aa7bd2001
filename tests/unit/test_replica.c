/*
 * test_replica.c -- DID records and file replicas on a real store: names,
 * guids, metadata columns and their checks; registration (all or nothing,
 * the usage counter exact, existing replicas left alone), PFNs built for
 * deterministic and non-deterministic RSEs and read back to DIDs, state
 * rules, and the RSE that holds replicas refusing deletion.
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
#include "jsonx.h"
#include "replica.h"
#include "rse.h"
#include "scope.h"
#include "testlib.h"
#include "usage.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-replica";

static void
test_names(void **state)
{
	char g[GUID_LEN + 1];

	(void)state;
	assert_true(did_valid_name("a"));
	assert_true(did_valid_name("/x/y.z-1_2"));
	assert_false(did_valid_name(""));
	assert_false(did_valid_name(".hidden"));
	assert_false(did_valid_name("-x"));
	assert_false(did_valid_name("a b"));
	assert_false(did_valid_name("a:b"));
	char big[DID_NAME_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(did_valid_name(big));
	big[DID_NAME_MAX] = '\0';
	assert_true(did_valid_name(big));
	assert_true(did_valid_adler32("0cc737eB"));
	assert_false(did_valid_adler32("0cc737e"));
	assert_false(did_valid_adler32("0cc737eg"));
	assert_true(did_valid_md5("d41d8cd98f00b204e9800998ecf8427e"));
	assert_false(did_valid_md5("d41d8cd98f00b204e9800998ecf8427"));

	assert_true(did_guid_canon("2E3A0B0E8E9A4D1B9C6A1A2B3C4D5E6F", g));
	assert_string_equal(g, "2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f");
	assert_true(
	    did_guid_canon("{2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f}", g));
	assert_string_equal(g, "2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f");
	assert_false(did_guid_canon("{2e3a0b0e8e9a4d1b9c6a1a2b3c4d5e6f", g));
	assert_false(did_guid_canon("2e3a0b0e-8e9a4d1b-9c6a-1a2b3c4d5e6f", g));
	assert_false(did_guid_canon("2e3a0b0e8e9a4d1b9c6a1a2b3c4d5e6", g));
	assert_false(did_guid_canon("2e3a0b0e8e9a4d1b9c6a1a2b3c4d5e6f0", g));
	assert_false(did_guid_canon("", g));
	assert_false(did_guid_canon(NULL, g));

	assert_string_equal(replica_state_letter("AVAILABLE"), "A");
	assert_string_equal(replica_state_letter("T"), "T");
	assert_null(replica_state_letter("OK"));
	assert_string_equal(replica_state_name("D"), "BAD");
	assert_null(replica_state_name("Q"));
}

static void
test_meta(void **state)
{
	struct gr_err err = { 0 };
	json_t *file = did_new_file("root", 5, NULL, NULL, 1000);
	json_t *ds = json_pack("{s:s, s:s}", "type", "DATASET", "account",
	    "root");
	json_t *m;

	(void)state;
	m = json_pack("{s:s, s:i, s:s, s:b, s:s, s:i, s:s}", "guid",
	    "2E3A0B0E8E9A4D1B9C6A1A2B3C4D5E6F", "events", 3, "project", "p1",
	    "hidden", 1, "eol_at", "2030-01-02", "lifetime", 60, "color",
	    "blue");
	assert_int_equal(did_meta_apply(file, m, "root", 2000, &err), GR_OK);
	json_decref(m);
	assert_string_equal(testlib_dumps(json_incref(file)),
	    "{\"account\":\"root\",\"bytes\":5,\"created_at\":1000,"
	    "\"eol_at\":1893542400,\"events\":3,\"expired_at\":2060,"
	    "\"guid\":\"2e3a0b0e-8e9a-4d1b-9c6a-1a2b3c4d5e6f\","
	    "\"hidden\":true,\"meta\":{\"color\":\"blue\"},"
	    "\"project\":\"p1\",\"type\":\"FILE\",\"updated_at\":2000}");
	/* null clears a column; lifetime null clears expired_at */
	m = json_pack("{s:n, s:n}", "project", "lifetime");
	assert_int_equal(did_meta_apply(file, m, "root", 2001, &err), GR_OK);
	json_decref(m);
	assert_null(json_object_get(file, "project"));
	assert_null(json_object_get(file, "expired_at"));

	m = json_pack("{s:i}", "bytes", 1);
	assert_int_equal(did_meta_apply(file, m, "bob", 1, &err),
	    GR_ACCESS_DENIED);
	assert_non_null(strstr(err.msg, "bob"));
	gr_clear(&err);
	json_decref(m);
	m = json_pack("{s:i}", "a.b", 1);
	assert_int_equal(did_meta_apply(file, m, "root", 1, &err),
	    GR_INVALID_METADATA);
	gr_clear(&err);
	json_decref(m);
	m = json_pack("{s:s}", "events", "many");
	assert_int_equal(did_meta_apply(file, m, "root", 1, &err),
	    GR_INVALID_VALUE);
	gr_clear(&err);
	json_decref(m);
	m = json_pack("{s:s}", "guid", "xyz");
	assert_int_equal(did_meta_apply(file, m, "root", 1, &err),
	    GR_INVALID_VALUE);
	gr_clear(&err);
	json_decref(m);
	m = json_pack("{s:s}", "closed_at", "yesterday");
	assert_int_equal(did_meta_apply(file, m, "root", 1, &err),
	    GR_INVALID_VALUE);
	gr_clear(&err);
	json_decref(m);
	/* file-only columns on a collection */
	m = json_pack("{s:i}", "events", 1);
	assert_int_equal(did_meta_apply(ds, m, "root", 1, &err),
	    GR_INVALID_METADATA);
	gr_clear(&err);
	json_decref(m);
	m = json_pack("[]");
	assert_int_equal(did_meta_apply(ds, m, "root", 1, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(m);
	json_decref(file);
	json_decref(ds);
}

static int
collect(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

static int
collect_text(const char *line, size_t n, void *ctx)
{
	json_t *item = json_loadb(line, n, 0, NULL);

	assert_non_null(item);
	json_array_append_new(ctx, item);
	return GR_OK;
}

/* The listing of scope:name as compact JSON (borrowed, one at a time). */
static const char *
list_one(const char *scope, const char *name, bool all_states)
{
	struct gr_err err = { 0 };
	struct replica_query q = { .all_states = all_states,
		.ignore_availability = true };
	json_t *out = json_array();

	q.dids = json_pack("[{s:s, s:s}]", "scope", scope, "name", name);
	assert_int_equal(replica_list(&q, collect_text, out, &err), GR_OK);
	json_decref(jsonx_unconst(q.dids));
	return testlib_dumps(out);
}

static const char *
usage_of(const char *rse)
{
	struct gr_err err = { 0 };
	json_t *out = json_array(), *u;

	assert_int_equal(usage_rse_get(rse, "rucio", false, collect, out, &err),
	    GR_OK);
	u = json_array_get(out, 0);
	json_object_del(u, "rse_id");
	json_object_del(u, "updated_at");
	return testlib_dumps(out);
}

static void
test_add_list(void **state)
{
	struct gr_err err = { 0 };
	json_t *files;
	const char *s;

	(void)state;
	files = json_pack("[{s:s, s:s, s:i, s:s}, {s:s, s:s, s:i}]", "scope",
	    "data", "name", "b", "bytes", 10, "adler32", "0cc737eb", "scope",
	    "data", "name", "a", "bytes", 5);
	assert_int_equal(replica_add("root", "DISK", files, false, &err),
	    GR_OK);
	assert_int_equal(replica_add("root", "DISK", files, false, &err),
	    GR_OK); /* again: nothing changes */
	json_decref(files);
	assert_string_equal(usage_of("DISK"),
	    "[{\"files\":2,\"free\":null,\"rse\":\"DISK\",\"source\":"
	    "\"rucio\",\"total\":15,\"used\":15}]");
	s = list_one("data", "b", false);
	/* md5("data:b") = 0f... the hash path from the protocol's prefix */
	assert_non_null(strstr(s,
	    "\"rses\":{\"DISK\":[\"root://h:1094/p/"
	    "data/"));
	assert_non_null(strstr(s, "\"states\":{\"DISK\":\"AVAILABLE\"}"));
	assert_non_null(strstr(s, "\"adler32\":\"0cc737eb\""));

	/* a batch that fails half-way leaves nothing */
	files = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i, s:{s:i}}]",
	    "scope", "data", "name", "c", "bytes", 1, "scope", "data", "name",
	    "d", "bytes", 1, "meta", "length", 3);
	assert_int_equal(replica_add("root", "DISK", files, false, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_decref(files);
	assert_string_equal(list_one("data", "c", false), "[]");
	assert_non_null(strstr(usage_of("DISK"), "\"files\":2"));

	/* alice owns no scope "data", and DISK is not open to users */
	files = json_pack("[{s:s, s:s, s:i}]", "scope", "data", "name", "e",
	    "bytes", 1);
	assert_int_equal(replica_add("alice", "DISK", files, false, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(replica_add("alice", "USERMOCK", files, false, &err),
	    GR_ACCESS_DENIED);
	assert_non_null(strstr(err.msg, "scope data"));
	gr_clear(&err);
	json_decref(files);
	files = json_pack("[{s:s, s:s, s:i}]", "scope", "alice", "name", "e",
	    "bytes", 1);
	assert_int_equal(replica_add("alice", "USERMOCK", files, false, &err),
	    GR_OK);
	json_decref(files);
}

/* nrandom and sort, over the files a and b of test_add_list */
static void
test_list_options(void **state)
{
	struct gr_err err = { 0 };
	struct replica_query q = { .ignore_availability = true };
	json_t *out = json_array();
	bool saw[2] = { false, false };
	int i;

	(void)state;
	q.dids = json_pack("[{s:s, s:s}, {s:s, s:s}]", "scope", "data", "name",
	    "b", "scope", "data", "name", "a");
	q.nrandom = 5; /* more than there are: all, in listing order */
	assert_int_equal(replica_list(&q, collect_text, out, &err), GR_OK);
	assert_int_equal(json_array_size(out), 2);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(out, 0),
				    "name")),
	    "a");
	for (i = 0; i < 40; i++) { /* one of two, each of them sometimes */
		json_array_clear(out);
		q.nrandom = 1;
		assert_int_equal(replica_list(&q, collect_text, out, &err),
		    GR_OK);
		assert_int_equal(json_array_size(out), 1);
		saw[*json_string_value(json_object_get(json_array_get(out, 0),
			"name")) == 'b'] = true;
	}
	assert_true(saw[0] && saw[1]);
	json_array_clear(out);
	q.nrandom = 0;
	q.sort = "random";
	assert_int_equal(replica_list(&q, collect_text, out, &err), GR_OK);
	assert_int_equal(json_array_size(out), 2);
	q.sort = "closest";
	assert_int_equal(replica_list(&q, collect_text, out, &err),
	    GR_SORTING_NOT_SUPPORTED);
	assert_int_equal(gr_err_status(err.code), 400);
	gr_clear(&err);
	q.sort = NULL;
	q.nrandom = REPLICA_NRANDOM_MAX + 1;
	assert_int_equal(replica_list(&q, collect_text, out, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(jsonx_unconst(q.dids));
	/* no datasets hold them: no dataset replicas on DISK */
	json_array_clear(out);
	assert_int_equal(replica_datasets_rse("DISK", collect, out, &err),
	    GR_OK);
	assert_int_equal(json_array_size(out), 0);
	assert_int_equal(replica_datasets_rse("NOPE", collect, out, &err),
	    GR_RSE_NOT_FOUND);
	json_decref(out);
}

static void
test_nondet(void **state)
{
	struct gr_err err = { 0 };
	json_t *files, *out, *pfns;

	(void)state;
	files = json_pack("[{s:s, s:s, s:i}]", "scope", "data", "name", "n1",
	    "bytes", 1);
	assert_int_equal(replica_add("root", "TAPE", files, false, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	json_decref(files);
	files = json_pack("[{s:s, s:s, s:i, s:s}]", "scope", "data", "name",
	    "n1", "bytes", 1, "pfn", "root://h:1094/p/raw/2026/n1.dat");
	assert_int_equal(replica_add("root", "TAPE", files, false, &err),
	    GR_OK);
	json_decref(files);
	assert_non_null(strstr(list_one("data", "n1", false),
	    "\"rses\":{\"TAPE\":[\"root://h:1094/p/raw/2026/n1.dat\"]}"));
	out = json_array();
	pfns = json_pack("[s]", "root://h:1094/p/raw/2026/n1.dat");
	assert_int_equal(replica_dids("TAPE", pfns, collect, out, &err), GR_OK);
	assert_string_equal(testlib_dumps(out),
	    "[{\"root://h:1094/p/raw/2026/n1.dat\":{\"name\":\"n1\","
	    "\"scope\":\"data\"}}]");
	json_decref(pfns);
	/* deterministic: the hash path back to scope and name, checked */
	out = json_array();
	pfns = json_pack("[s]", "root://h:1094/p/data/aa/bb/b");
	assert_int_equal(replica_dids("DISK", pfns, collect, out, &err),
	    GR_REPLICA_NOT_FOUND);
	gr_clear(&err);
	json_decref(pfns);
	json_decref(out);
}

static void
test_states(void **state)
{
	struct gr_err err = { 0 };
	json_t *f;

	(void)state;
	f = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "a",
	    "state", "UNAVAILABLE");
	assert_int_equal(replica_update("alice", "DISK", f, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(replica_update("root", "DISK", f, &err), GR_OK);
	json_decref(f);
	assert_string_equal(list_one("data", "a", false),
	    "[{\"adler32\":null,\"bytes\":5,\"md5\":null,\"name\":\"a\","
	    "\"pfns\":{},\"rses\":{},\"scope\":\"data\"}]");
	assert_non_null(strstr(list_one("data", "a", true),
	    "\"states\":{\"DISK\":\"UNAVAILABLE\"}"));
	f = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "a",
	    "state", "T");
	assert_int_equal(replica_update("root", "DISK", f, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	json_decref(f);
	f = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "zz",
	    "state", "A");
	assert_int_equal(replica_update("root", "DISK", f, &err),
	    GR_REPLICA_NOT_FOUND);
	gr_clear(&err);
	json_decref(f);
}

static void
test_delete(void **state)
{
	struct gr_err err = { 0 };
	json_t *f = json_pack("[{s:s, s:s}]", "scope", "data", "name", "a");

	(void)state;
	assert_int_equal(rse_delete("root", "DISK", &err),
	    GR_RSE_OP_NOT_SUPPORTED);
	gr_clear(&err);
	assert_int_equal(replica_delete("root", "DISK", f, false, &err),
	    GR_ACCESS_DENIED); /* Rucio's policy: nobody */
	gr_clear(&err);
	cfg.admin_delete_replicas = true;
	assert_int_equal(replica_delete("alice", "DISK", f, false, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(replica_delete("root", "DISK", f, false, &err), GR_OK);
	assert_int_equal(replica_delete("root", "DISK", f, false, &err),
	    GR_REPLICA_NOT_FOUND);
	gr_clear(&err);
	json_decref(f);
	assert_non_null(strstr(usage_of("DISK"), "\"files\":1,"));
	assert_non_null(strstr(usage_of("DISK"), "\"used\":10}"));
	f = json_pack("[{s:s, s:s}]", "scope", "data", "name", "b");
	assert_int_equal(replica_delete("root", "DISK", f, false, &err), GR_OK);
	json_decref(f);
	assert_int_equal(rse_delete("root", "DISK", &err), GR_OK);
	cfg.admin_delete_replicas = false;
}

/* A replica of an existing file takes the file's figures; a given one
   that disagrees is FileConsistencyMismatch (409) and nothing is written;
   users may register replicas only of files in scopes they may write. */
static void
test_existing_file_figures(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object(), *files;

	(void)state;
	assert_int_equal(rse_add("root", "FIG1", none, &err), GR_OK);
	assert_int_equal(rse_add("root", "FIG2", none, &err), GR_OK);
	json_decref(none);
	files = json_pack("[{s:s, s:s, s:i, s:s, s:s}]", "scope", "data",
	    "name", "f10", "bytes", 10, "adler32", "0badcafe", "md5",
	    "0123456789abcdef0123456789abcdef");
	assert_int_equal(replica_add("root", "FIG1", files, false, &err),
	    GR_OK);
	json_decref(files);

	/* the case: 999999999 bytes and deadbeef for a 10-byte file,
	   in a batch with a good new file: refused, nothing written */
	files = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i, s:s}]", "scope",
	    "data", "name", "f11", "bytes", 1, "scope", "data", "name", "f10",
	    "bytes", 999999999, "adler32", "deadbeef");
	assert_int_equal(replica_add("root", "FIG2", files, false, &err),
	    GR_REPLICA_MISMATCH);
	assert_int_equal(gr_err_status(err.code), 409);
	assert_string_equal(gr_err_class(err.code), "FileConsistencyMismatch");
	assert_string_equal(err.msg,
	    "bytes mismatch for 'data:f10': 10!=999999999");
	gr_clear(&err);
	json_decref(files);
	assert_string_equal(list_one("data", "f11", false), "[]");
	assert_null(strstr(list_one("data", "f10", false), "FIG2"));
	assert_null(strstr(usage_of("FIG2"),
	    "\"used\":"
	    "999999999"));
	/* one checksum wrong, the bytes right */
	files = json_pack("[{s:s, s:s, s:i, s:s}]", "scope", "data", "name",
	    "f10", "bytes", 10, "adler32", "deadbeef");
	assert_int_equal(replica_add("root", "FIG2", files, false, &err),
	    GR_REPLICA_MISMATCH);
	assert_string_equal(err.msg,
	    "adler32 mismatch for 'data:f10': 0badcafe!=deadbeef");
	gr_clear(&err);
	json_decref(files);
	files = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "f10",
	    "md5", "ffffffffffffffffffffffffffffffff");
	assert_int_equal(replica_add("root", "FIG2", files, false, &err),
	    GR_REPLICA_MISMATCH);
	gr_clear(&err);
	json_decref(files);

	/* agreeing figures (any case), or none: the file's are stored, and
	   the RSE's usage counts the file's bytes */
	files = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "f10",
	    "adler32", "0BADCAFE");
	assert_int_equal(replica_add("root", "FIG2", files, false, &err),
	    GR_OK);
	json_decref(files);
	assert_string_equal(usage_of("FIG2"),
	    "[{\"files\":1,\"free\":null,\"rse\":\"FIG2\",\"source\":"
	    "\"rucio\",\"total\":10,\"used\":10}]");
	assert_non_null(strstr(list_one("data", "f10", false), "FIG2"));

	/* alice may not write scope data: no replica of its files, even on
	   an RSE open to users */
	files = json_pack("[{s:s, s:s}]", "scope", "data", "name", "f10");
	assert_int_equal(replica_add("alice", "USERMOCK", files, false, &err),
	    GR_ACCESS_DENIED);
	assert_non_null(strstr(err.msg, "scope data"));
	gr_clear(&err);
	json_decref(files);
	assert_null(strstr(list_one("data", "f10", false), "USERMOCK"));
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object();
	json_t *nd = json_pack("{s:b}", "deterministic", 0);
	json_t *proto = json_pack("{s:s, s:i, s:s, s:s, s:{s:{s:i, s:i}}}",
	    "hostname", "h", "port", 1094, "prefix", "p", "impl", "x",
	    "domains", "wan", "read", 1, "write", 1);
	int rc;

	(void)state;
	rc = testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "data", &err) != GR_OK ||
	    scope_add("root", "alice", "alice", &err) != GR_OK ||
	    rse_add("root", "DISK", none, &err) != GR_OK ||
	    rse_add("root", "USERMOCK", none, &err) != GR_OK ||
	    rse_add("root", "TAPE", nd, &err) != GR_OK ||
	    rse_proto_add("root", "DISK", "root", proto, &err) != GR_OK ||
	    rse_proto_add("root", "TAPE", "root", proto, &err) != GR_OK;
	if (rc)
		fprintf(stderr, "# setup: %s\n", err.msg);
	json_decref(none);
	json_decref(nd);
	json_decref(proto);
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
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_add_list),
		cmocka_unit_test(test_list_options),
		cmocka_unit_test(test_nondet),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_existing_file_figures),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("replica", tests, setup, teardown);
}
