/*
 * test_didsearch.c -- the DID filter grammar (common/didsearch.c): the
 * filters literal, every operator, typing of values, wildcards, types,
 * Rucio's sanity checks, the plan each group gets; then searches on a real
 * store, where the index's answer must equal a check of every record.
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
#include "didlife.h"
#include "didmeta.h"
#include "didsearch.h"
#include "replica.h"
#include "rse.h"
#include "scope.h"
#include "store.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-search";

/* Parse a filters literal with type; the code, q set on GR_OK. */
static int
parse(const char *lit, const char *type, struct didsearch **q)
{
	struct gr_err err = { 0 };
	json_t *f;
	int rc;

	*q = NULL;
	if ((rc = didsearch_literal(lit, &f, &err)) != GR_OK)
		return rc;
	rc = didsearch_parse(f, type, q, &err);
	json_decref(f);
	if (rc != GR_OK)
		assert_true(err.msg[0] != '\0');
	return rc;
}

/* Does the record (JSON text) of d:name match the literal's filters? */
static bool
match(const char *lit, const char *type, const char *name, const char *rec)
{
	struct didsearch *q;
	json_t *r = json_loads(rec, 0, NULL);
	bool m;

	assert_non_null(r);
	assert_int_equal(parse(lit, type, &q), GR_OK);
	m = didsearch_match(q, "d", name, r);
	didsearch_free(q);
	json_decref(r);
	return m;
}

static const char *
plan(const char *lit, const char *type)
{
	static char out[16];
	struct didsearch *q;

	assert_int_equal(parse(lit, type, &q), GR_OK);
	snprintf(out, sizeof(out), "%s", didsearch_plan(q, 0));
	didsearch_free(q);
	return out;
}

#define DS "{\"type\":\"DATASET\",\"created_at\":1600000000"
#define REC                                                                    \
	DS ",\"project\":\"p1\",\"length\":3,\"meta\":{\"e\":13,\"s\":\"13\"," \
	   "\"t\":\"alpha_1\",\"b\":true,\"d\":\"2021-05-01T10:00:00\"}}"

static void
test_operators(void **state)
{
	(void)state;
	assert_true(match("[{'project': 'p1'}]", NULL, "x", REC));
	assert_false(match("[{'project': 'p2'}]", NULL, "x", REC));
	assert_true(match("[{'project.ne': 'p2'}]", NULL, "x", REC));
	assert_false(match("[{'project.ne': 'p1'}]", NULL, "x", REC));
	assert_true(match("[{'length.gt': 2}]", NULL, "x", REC));
	assert_false(match("[{'length.gt': 3}]", NULL, "x", REC));
	assert_true(match("[{'length.gte': 3}]", NULL, "x", REC));
	assert_true(match("[{'length.lt': 4}]", NULL, "x", REC));
	assert_false(match("[{'length.lt': 3}]", NULL, "x", REC));
	assert_true(match("[{'length.lte': 3}]", NULL, "x", REC));
	assert_true(match("[{'length': '3'}]", NULL, "x", REC));
	assert_true(match("[{'length.gt': '-1'}]", NULL, "x", REC));
	/* custom keys: numbers compare with numbers and numeric strings */
	assert_true(match("[{'e': 13}]", NULL, "x", REC));
	assert_true(match("[{'e': 13.0}]", NULL, "x", REC));
	assert_true(match("[{'s': 13}]", NULL, "x", REC));
	assert_true(match("[{'s.gt': 12.5}]", NULL, "x", REC));
	assert_true(match("[{'e': '13'}]", NULL, "x", REC));
	assert_false(match("[{'e.gt': 13}]", NULL, "x", REC));
	assert_true(match("[{'b': True}]", NULL, "x", REC));
	assert_true(match("[{'b': 'TRUE'}]", NULL, "x", REC));
	assert_false(match("[{'b': False}]", NULL, "x", REC));
	assert_true(match("[{'t': 'alpha_1'}]", NULL, "x", REC));
	assert_true(match("[{'t.gt': 'alpha'}]", NULL, "x", REC));
	assert_false(match("[{'t.lt': 'alpha'}]", NULL, "x", REC));
	/* a missing key: only .ne holds */
	assert_false(match("[{'zz': 1}]", NULL, "x", REC));
	assert_false(match("[{'zz.gt': 1}]", NULL, "x", REC));
	assert_true(match("[{'zz.ne': 1}]", NULL, "x", REC));
	assert_true(match("[{'datatype.ne': 'AOD'}]", NULL, "x", REC));
	/* a column's default is its value */
	assert_true(match("[{'hidden': False}]", NULL, "x", REC));
	assert_true(match("[{'availability': 'AVAILABLE'}]", NULL, "x", REC));
	/* None equals nothing */
	assert_false(match("[{'project': None}]", NULL, "x", REC));
	assert_true(match("[{'scope': 'd'}]", NULL, "x", REC));
	assert_true(match("[{'name': 'x'}]", NULL, "x", REC));
	assert_true(match("[{'name.ne': 'y'}]", NULL, "x", REC));
}

static void
test_wildcards_and_dates(void **state)
{
	(void)state;
	assert_true(match("[{'name': 'ds.*'}]", NULL, "ds.1", REC));
	assert_true(match("[{'name': 'ds%'}]", NULL, "ds.1", REC));
	assert_true(match("[{'name': '*.1'}]", NULL, "ds.1", REC));
	assert_false(match("[{'name': 'DS.*'}]", NULL, "ds.1", REC));
	assert_true(match("[{'name.ne': 'x*'}]", NULL, "ds.1", REC));
	/* '_' is no wildcard: it is escaped as in Rucio */
	assert_false(match("[{'name': 'ds_1'}]", NULL, "ds.1", REC));
	assert_true(match("[{'t': 'alpha_*'}]", NULL, "x", REC));
	assert_true(match("[{'t': '*'}]", NULL, "x", REC));
	assert_true(match("[{'zz': '*'}]", NULL, "x", REC));
	/* a name that reads as a number is a name */
	assert_true(match("[{'name': 123}]", NULL, "123", REC));
	assert_true(match("[{'name': '123'}]", NULL, "123", REC));
	/* created_at 1600000000 = 2020-09-13T12:26:40 */
	assert_true(match("[{'created_after': '2020-09-13 12:26:40'}]", NULL,
	    "x", REC));
	assert_false(match("[{'created_after': '2020-09-13T12:26:41'}]", NULL,
	    "x", REC));
	assert_true(match("[{'created_before': 'Sun, 13 Sep 2020 12:26:40 "
			  "UTC'}]",
	    NULL, "x", REC));
	assert_true(match("[{'created_at.lt': '2020-09-13T12:26:40.5Z'}]", NULL,
	    "x", REC));
	assert_false(match("[{'created_at.lt': '2020-09-13 12:26:40.000Z'}]",
	    NULL, "x", REC));
	/* a custom date string compared as a date */
	assert_true(match("[{'d.gt': '2021-01-01 00:00:00'}]", NULL, "x", REC));
	assert_false(
	    match("[{'d.gt': '2021-06-01 00:00:00'}]", NULL, "x", REC));
}

static void
test_types(void **state)
{
	(void)state;
	assert_true(match("[{}]", NULL, "x", REC));
	assert_true(match("[{}]", "dataset", "x", REC));
	assert_true(match("[{}]", "ALL", "x", REC));
	assert_false(match("[{}]", "container", "x", REC));
	assert_false(match("[{}]", "file", "x", REC));
	assert_false(match("[{'type': 'file'}]", "all", "x", REC));
	assert_true(
	    match("[{'type': 'file'}, {'type': 'Dataset'}]", NULL, "x", REC));
	assert_false(match("[{}]", NULL, "x", "{\"type\":\"FILE\"}"));
	assert_true(match("[{}]", "file", "x", "{\"type\":\"FILE\"}"));
	/* suppressed DIDs are never found */
	assert_false(match("[{}]", NULL, "x", DS ",\"suppressed\":true}"));
	/* an empty list is no condition */
	assert_true(match("[]", NULL, "x", REC));
}

static void
test_errors(void **state)
{
	struct gr_err err = { 0 };
	struct didsearch *q;
	json_t *f;

	(void)state;
	assert_int_equal(parse("[{}]", "bag", &q), GR_UNSUPPORTED_OPERATION);
	assert_int_equal(parse("[{'type': 'bag'}]", NULL, &q),
	    GR_UNSUPPORTED_OPERATION);
	assert_int_equal(parse("[{'type': 1}]", NULL, &q),
	    GR_UNSUPPORTED_OPERATION);
	assert_int_equal(parse("[{'type.ne': 'file'}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a.b.c': 1}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a.eq': 1}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'.gt': 1}]", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'name.lt': 'x'}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'length': 'x'}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'t.gte': 'a*'}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'created_at.gt': 5}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'created_after': '2020-01-01'}]", NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'created_after': '2020-02-30 00:00:00'}]",
			     NULL, &q),
	    GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a': [1]}]", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a': {}}]", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[1]", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("'x'", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a': 1}", NULL, &q), GR_DID_FILTER_SYNTAX);
	assert_int_equal(parse("[{'a': 1, 'a.': 2}]", NULL, &q),
	    GR_DUPLICATE_CRITERIA);
	assert_int_equal(parse("[{'created_after': '2020-01-01 00:00:00', "
			       "'created_at.gte': '2021-01-01 00:00:00'}]",
			     NULL, &q),
	    GR_DUPLICATE_CRITERIA);
	/* the same key with two operators is a range, not a duplicate */
	assert_int_equal(parse("[{'a.gt': 1, 'a.lt': 3}]", NULL, &q), GR_OK);
	didsearch_free(q);
	f = json_pack("[s]", "x");
	assert_int_equal(didsearch_parse(f, NULL, &q, &err),
	    GR_DID_FILTER_SYNTAX);
	json_decref(f);
}

static void
test_plans(void **state)
{
	(void)state;
	assert_string_equal(plan("[{'name': 'ds.1', 'project': 'p'}]", NULL),
	    "name");
	assert_string_equal(plan("[{'project': 'p', 'name': 'ds.*'}]", NULL),
	    "index");
	assert_string_equal(plan("[{'e': 13}]", NULL), "index");
	assert_string_equal(plan("[{'name': 'ds.*', 'length.gt': 1}]", NULL),
	    "prefix");
	assert_string_equal(plan("[{'length.gt': 1}]", NULL), "range");
	assert_string_equal(plan("[{'created_after': '2020-01-01 00:00:00'}]",
				"dataset"),
	    "range");
	/* dates are not filed for files: a search that takes files scans */
	assert_string_equal(plan("[{'created_after': '2020-01-01 00:00:00'}]",
				"all"),
	    "scan");
	assert_string_equal(plan("[{'name': '*x'}]", NULL), "type");
	assert_string_equal(plan("[{'project.ne': 'p'}]", NULL), "type");
	assert_string_equal(plan("[{}]", "all"), "scan");
	assert_string_equal(plan("[{'t': 'ab*'}]", "file"), "scan");
	assert_string_equal(plan("[{'hidden': True}]", "file"), "scan");
}

/* --- on a store --------------------------------------------------------- */

struct collect {
	json_t *names;
};

static int
collect_line(const char *line, size_t n, void *ctx)
{
	struct collect *c = ctx;
	json_t *v = json_loadb(line, n, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	json_array_append_new(c->names, v);
	return GR_OK;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* names (steals) sorted and comma-separated, into out[4096]. */
static const char *
joined(json_t *names, char *out)
{
	const char **v;
	size_t i, n, len = 0;

	n = json_array_size(names);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_string_value(json_array_get(names, i));
	qsort(v, n, sizeof(*v), strp_cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, 4096 - len, "%s%s",
		    i ? "," : "", v[i]);
	free(v);
	json_decref(names);
	return out;
}

/* The search's names, sorted, comma-separated. */
static const char *
run(const char *lit, const char *type, bool recursive, long limit)
{
	static char out[4096];
	struct didsearch_out o = { .limit = limit,
		.recursive = recursive,
		.emit = collect_line };
	struct collect c = { json_array() };
	struct gr_err err = { 0 };
	struct didsearch *q;

	o.ctx = &c;
	assert_int_equal(parse(lit, type, &q), GR_OK);
	assert_int_equal(didsearch_run("d", q, &o, &err), GR_OK);
	didsearch_free(q);
	return joined(c.names, out);
}

struct brute {
	struct didsearch *q;
	json_t *names;
};

static int
brute_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct brute *b = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	char *s, *n;

	(void)pkey;
	assert_true(key_did(key->data, key->size, 0, &s, &n));
	if (didsearch_match(b->q, s, n, rec))
		json_array_append_new(b->names, json_string(n));
	json_decref(rec);
	free(s);
	free(n);
	return GR_OK;
}

static int
brute_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan(t, TBL_DIDS, "d", 2, NULL, brute_one, arg, err);
}

/* What checking every record of scope d says, in run()'s form. */
static const char *
brute(const char *lit, const char *type)
{
	static char out[4096];
	struct brute b = { .names = json_array() };
	struct gr_err err = { 0 };

	assert_int_equal(parse(lit, type, &b.q), GR_OK);
	assert_int_equal(st_view(brute_txn, &b, 0, &err), GR_OK);
	didsearch_free(b.q);
	return joined(b.names, out);
}

static void
test_run(void **state)
{
	static const char *const lits[] = { "[{}]", "[{'project': 'p1'}]",
		"[{'project': 'p1', 'e.gt': 2}]", "[{'e': 3}]", "[{'e': '3'}]",
		"[{'e.gte': 2, 'e.lt': 5}]", "[{'e.lte': 4.5}]",
		"[{'e.gt': 1}, {'project': 'p0'}]", "[{'name': 'ds.1*'}]",
		"[{'name': 'ds.1'}]", "[{'name': '*5'}]", "[{'t': 'x*'}]",
		"[{'t.gt': 'x3', 't.lte': 'x7'}]", "[{'t.ne': 'x1'}]",
		"[{'length.gte': 1}]", "[{'length': 2}]",
		"[{'created_after': '2020-01-01 00:00:00'}]",
		"[{'created_before': '2020-01-01 00:00:00'}]",
		"[{'created_after': '2020-09-13 12:26:40'}]",
		"[{'created_after': '2020-09-13 12:26:41'}]",
		"[{'created_at.gt': '2020-09-13 12:26:40', "
		"'created_before': '2020-09-13 12:30:00'}]",
		"[{'created_at': '2020-09-13 12:26:40'}]",
		"[{'created_at': '2020-09-13 12:28:20'}]",
		"[{'created_before': '2020-09-13 12:28:20', 'e': 1}]",
		"[{'type': 'container'}]", "[{'b': True}]", "[{'b': 'true'}]",
		"[{'run_number.lt': 3}]", "[{'project': 3}]",
		"[{'is_new': False}]", "[{'is_new': True}]" };
	static const char *const types[] = { NULL, "all", "file", "dataset" };
	char want[4096];
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(lits); i++)
		for (j = 0; j < ARRAY_LEN(types); j++) {
			snprintf(want, sizeof(want), "%s",
			    brute(lits[i], types[j]));
			if (strcmp(run(lits[i], types[j], false, 0), want) != 0)
				fail_msg("%s type %s: the search found %s, "
					 "the records say %s",
				    lits[i], types[j] ? types[j] : "-",
				    run(lits[i], types[j], false, 0), want);
		}
	/* a sanity check that brute() is not vacuous */
	assert_string_equal(run("[{'project': 'p1'}]", NULL, false, 0),
	    "ds.1,ds.4,ds.7");
	assert_string_equal(run("[{'e': 3}]", NULL, false, 0), "ds.3,ds.8");
	assert_string_equal(run("[{}]", "all", false, 3), "cn.a,ds.0,ds.1");
	/* collections new or not, of both types, by creation */
	assert_string_equal(run("[{}]", NULL, false, 0),
	    "cn.a,ds.0,ds.1,ds.2,ds.3,ds.4,ds.5,ds.6,ds.7,ds.8,ds.9,old.1,"
	    "old.2");
	assert_string_equal(run("[{'created_before': '2020-09-13 12:28:20'}]",
				NULL, false, 0),
	    "old.1,old.2");
	assert_string_equal(run("[{'created_at.gt': '2020-09-13 12:26:40', "
				"'created_before': '2021-01-01 00:00:00'}]",
				NULL, false, 0),
	    "old.2");
	assert_string_equal(run("[{'created_at': '2020-09-13 12:26:40'}]",
				"dataset", false, 0),
	    "old.1");
	assert_string_equal(run("[{'created_before': '2020-09-13 12:28:20'}]",
				"dataset", false, 1),
	    "old.1");
}

static void
test_recursive(void **state)
{
	(void)state;
	assert_string_equal(run("[{'name': 'cn.a'}]", "all", true, 0),
	    "cn.a,ds.1,ds.2,f1,f2,f3");
	assert_string_equal(run("[{'name': 'cn.a'}]", NULL, true, 0),
	    "cn.a,ds.1,ds.2");
	/* inside, the other criteria still hold */
	assert_string_equal(run("[{'name': 'cn.a', 'e.gt': 0}]", NULL, true, 0),
	    "");
	assert_string_equal(run("[{'name': 'ds.*', 'e.gte': 1}]", "all", true,
				0),
	    "ds.1,ds.2,ds.3,ds.4,ds.6,ds.7,ds.8,ds.9");
	/* reached twice, written once */
	assert_string_equal(run("[{'name': 'cn.a'}, {'name': 'ds.1'}]", "all",
				true, 0),
	    "cn.a,ds.1,ds.2,f1,f2,f3");
}

static int
old_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	json_t *r1 = json_pack("{s:s, s:s, s:b, s:I, s:{s:i}}", "type",
	    "DATASET", "account", "root", "open", 1, "created_at",
	    (json_int_t)1600000000, "meta", "e", 1);
	json_t *r2 = json_pack("{s:s, s:s, s:b, s:b, s:I}", "type", "CONTAINER",
	    "account", "root", "open", 1, "is_new", 0, "created_at",
	    (json_int_t)1600000100);
	int rc;

	(void)arg;
	rc = did_store(t, "d", "old.1", r1, DB_NOOVERWRITE, err);
	if (rc == GR_OK)
		rc = did_store(t, "d", "old.2", r2, DB_NOOVERWRITE, err);
	if (rc == GR_OK)
		rc = didlife_set_new(t, "d", "ds.3", false, err);
	if (rc == GR_OK)
		rc = didlife_set_new(t, "d", "cn.a", false, err);
	json_decref(r1);
	json_decref(r2);
	return rc;
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	json_t *none = json_object(), *files, *b;
	bool created;
	char name[16];
	int rc, i;

	(void)state;
	cfg.durability = CFG_DURABLE_NONE;
	files = json_pack("[{s:s, s:s, s:i}, {s:s, s:s, s:i}, "
			  "{s:s, s:s, s:i}]",
	    "scope", "d", "name", "f1", "bytes", 10, "scope", "d", "name", "f2",
	    "bytes", 20, "scope", "d", "name", "f3", "bytes", 30);
	rc = testlib_store_open(home) != 0 ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK ||
	    scope_add("root", "root", "d", &err) != GR_OK ||
	    rse_add("root", "DISK", none, &err) != GR_OK ||
	    replica_add("root", "DISK", files, false, &err) != GR_OK;
	json_decref(files);
	json_decref(none);
	/* ds.0..ds.9: project p<i%3>, custom e = i%5 (a string when i is
	   odd), t = "x<i>", b on even ones, run_number i */
	for (i = 0; rc == 0 && i < 10; i++) {
		json_t *meta = json_object();
		char v[16];

		snprintf(v, sizeof(v), "p%d", i % 3);
		json_object_set_new(meta, "project", json_string(v));
		json_object_set_new(meta, "run_number", json_integer(i));
		snprintf(v, sizeof(v), "%d", i % 5);
		json_object_set_new(meta, "e",
		    i % 2 ? json_string(v) : json_integer(i % 5));
		snprintf(v, sizeof(v), "x%d", i);
		json_object_set_new(meta, "t", json_string(v));
		if (i % 2 == 0)
			json_object_set_new(meta, "b", json_true());
		b = json_pack("{s:s, s:o}", "type", "DATASET", "meta", meta);
		snprintf(name, sizeof(name), "ds.%d", i);
		rc = coll_add("root", "d", name, b, &err) != GR_OK;
		json_decref(b);
	}
	b = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "type", "CONTAINER",
	    "dids", "scope", "d", "name", "ds.1", "scope", "d", "name", "ds.2");
	rc = rc || coll_add("root", "d", "cn.a", b, &err) != GR_OK;
	json_decref(b);
	files = json_pack("[{s:s, s:s}, {s:s, s:s}]", "scope", "d", "name",
	    "f1", "scope", "d", "name", "f2");
	rc = rc ||
	    coll_attach("root", "d", "ds.1", files, false, &err) != GR_OK;
	json_decref(files);
	files = json_pack("[{s:s, s:s}]", "scope", "d", "name", "f3");
	rc = rc ||
	    coll_attach("root", "d", "ds.2", files, false, &err) != GR_OK;
	json_decref(files);
	b = json_pack("{s:b}", "open", 0);
	rc = rc || coll_set_status("root", "d", "ds.1", b, &err) != GR_OK;
	json_decref(b);
	/* older collections (2020-09-13 12:26:40 and 12:28:20), the
	   container no longer new, and ds.3 and cn.a no longer new */
	rc = rc || st_txn_run(old_txn, NULL, &err) != GR_OK;
	if (rc)
		fprintf(stderr, "# setup: %s\n", err.msg);
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
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_wildcards_and_dates),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_recursive),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("didsearch", tests, setup, teardown);
}
