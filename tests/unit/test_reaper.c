/*
 * test_reaper.c -- the reaper's passes (common/reaper.c) on a real store
 * and real posix RSEs: a greedy RSE deletes what its rules left, other
 * RSEs only what was purged, or, below their MinFreeSpace, the oldest
 * tombstones until the space is there; a file already missing is no
 * error; a replica a killed reaper left BEING_DELETED is taken again; a
 * path that leaves the RSE's prefix through a symbolic link is never
 * followed; the RSE's usage follows each deletion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "collection.h"
#include "did.h"
#include "jsonx.h"
#include "log.h"
#include "reaper.h"
#include "replica.h"
#include "rse.h"
#include "rule.h"
#include "scope.h"
#include "tables.h"
#include "testlib.h"
#include "testlib_rse.h"
#include "usage.h"
#include "util.h"
#include "xfer.h"

static char home[TEST_PATH_MAX] = "gr-reaper";
static struct xfer *X;

static bool
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The local path of data:name on rse (malloc'ed). */
static char *
where(const char *rse, const char *name)
{
	return testlib_rse_path(rse, name, "delete");
}

/* data:name registered on rse with 100 bytes, stored there unless
   missing. */
static void
put(const char *rse, const char *name, bool missing)
{
	struct gr_err err = { 0 };
	char *p = where(rse, name), data[100];
	json_t *files;
	FILE *f;

	memset(data, 'x', sizeof(data));
	if (!missing) {
		testlib_mkdirs(p);
		assert_non_null(f = fopen(p, "w"));
		assert_int_equal(fwrite(data, 1, sizeof(data), f),
		    sizeof(data));
		assert_int_equal(fclose(f), 0);
	}
	files = json_pack("[{s:s, s:s, s:I}]", "scope", "data", "name", name,
	    "bytes", (json_int_t)sizeof(data));
	assert_int_equal(replica_add("root", rse, files, false, &err), GR_OK);
	json_decref(files);
	free(p);
}

/* A rule for data:name on rse, then deleted (purge: with
   purge_replicas): the replica is left with a tombstone. */
static void
unwanted(const char *name, const char *rse, bool purge)
{
	struct gr_err err = { 0 };
	char body[512];
	json_t *spec, *ids = json_array();

	(void)snprintf(body, sizeof(body),
	    "{\"dids\": [{\"scope\": \"data\", \"name\": \"%s\"}], "
	    "\"copies\": 1, \"rse_expression\": \"%s\"}",
	    name, rse);
	assert_non_null(spec = json_loads(body, 0, NULL));
	assert_int_equal(rule_add("root", spec, ids, &err), GR_OK);
	assert_int_equal(rule_delete("root",
			     json_string_value(json_array_get(ids, 0)),
			     purge ? 1 : 0, &err),
	    GR_OK);
	json_decref(spec);
	json_decref(ids);
}

/* The replica record of data:name on rse, or NULL (new reference). */
struct rep_args {
	const char *name, *rse;
	json_t *rec;
	const json_t *set; /* members to set, or NULL */
};

static int
rep_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rep_args *a = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	const char *k;
	json_t *v;
	DBT key;
	int ret, rc;

	json_decref(a->rec);
	a->rec = NULL;
	if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), "data", a->name, id, (char *)NULL));
	ret = st_get_json(t, TBL_REPLICAS, &key, &a->rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	if (a->set == NULL)
		return GR_OK;
	json_object_foreach(jsonx_unconst(a->set), k, v) {
		json_object_set(a->rec, k, v);
	}
	ret = st_put_json(t, TBL_REPLICAS, &key, a->rec, 0);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static json_t *
replica(const char *name, const char *rse)
{
	struct gr_err err = { 0 };
	struct rep_args a = { name, rse, NULL, NULL };

	assert_int_equal(st_txn_run(rep_txn, &a, &err), GR_OK);
	return a.rec;
}

/* Set members of data:name's replica on rse (what time or a killed
   reaper would have left). */
static void
replica_set(const char *name, const char *rse, json_t *set)
{
	struct gr_err err = { 0 };
	struct rep_args a = { name, rse, NULL, set };

	assert_int_equal(st_txn_run(rep_txn, &a, &err), GR_OK);
	json_decref(a.rec);
	json_decref(set);
}

static int
keep(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

/* rse's usage figure field of source (-1 when there is none). */
static json_int_t
usage(const char *rse, const char *source, const char *field)
{
	struct gr_err err = { 0 };
	json_t *l = json_array();
	json_int_t v = -1;

	assert_int_equal(usage_rse_get(rse, source, false, keep, l, &err),
	    GR_OK);
	if (json_array_size(l) == 1)
		v = json_integer_value(
		    json_object_get(json_array_get(l, 0), field));
	json_decref(l);
	return v;
}

static void
pass(struct reaper_pass *r)
{
	struct gr_err err = { 0 };

	assert_int_equal(reaper_run(X, r, &err), GR_OK);
}

static void
test_greedy(void **state)
{
	struct reaper_pass r;
	json_int_t files, bytes;
	json_t *rec;
	char *p = where("G", "g1");

	(void)state;
	put("G", "g1", false);
	put("G", "g2", false);
	unwanted("g1", "G", false);
	files = usage("G", USAGE_SOURCE, "files");
	bytes = usage("G", USAGE_SOURCE, "used");
	assert_int_equal(files, 2);
	rec = replica("g1", "G");
	assert_true(json_is_integer(json_object_get(rec, "tombstone")));
	json_decref(rec);
	pass(&r);
	assert_int_equal(r.deleted, 1);
	assert_int_equal(r.failed, 0);
	assert_false(exists(p));
	assert_null(replica("g1", "G"));
	/* g2 has no tombstone: registered, wanted by nobody, kept */
	assert_non_null(rec = replica("g2", "G"));
	json_decref(rec);
	assert_int_equal(usage("G", USAGE_SOURCE, "files"), files - 1);
	assert_int_equal(usage("G", USAGE_SOURCE, "used"), bytes - 100);
	pass(&r);
	assert_int_equal(r.deleted, 0);
	assert_false(r.pending);
	free(p);
}

static void
test_purge_only(void **state)
{
	struct reaper_pass r;
	char *p1 = where("S", "p1"), *p2 = where("S", "p2");
	json_t *rec;

	(void)state;
	put("S", "p1", false);
	put("S", "p2", false);
	unwanted("p1", "S", true);  /* purge_replicas: at once */
	unwanted("p2", "S", false); /* waits for the space to be needed */
	pass(&r);
	assert_int_equal(r.deleted, 1);
	assert_false(exists(p1));
	assert_null(replica("p1", "S"));
	assert_true(exists(p2));
	rec = replica("p2", "S");
	assert_string_equal(json_string_value(json_object_get(rec, "state")),
	    "A");
	json_decref(rec);
	/* no MinFreeSpace on S: nothing will fall due by itself */
	assert_false(r.pending);
	free(p1);
	free(p2);
}

static void
test_space(void **state)
{
	struct gr_err err = { 0 };
	struct reaper_pass r;
	json_t *v, *u;
	char *p2 = where("S", "p2"), *s1 = where("S", "s1"),
	     *s2 = where("S", "s2");

	(void)state;
	/* tombstones: s1 oldest, then p2 (test_purge_only), then s2 */
	put("S", "s1", false);
	put("S", "s2", false);
	unwanted("s1", "S", false);
	unwanted("s2", "S", false);
	replica_set("s1", "S", json_pack("{s:i}", "tombstone", 1000));
	replica_set("p2", "S", json_pack("{s:i}", "tombstone", 2000));
	replica_set("s2", "S", json_pack("{s:i}", "tombstone", 3000));
	/* the storage says 850 bytes free; 1000 are wanted */
	u = json_pack("{s:s, s:i, s:i}", "source", "storage", "used", 5000,
	    "free", 850);
	assert_int_equal(usage_rse_set("root", "S", u, &err), GR_OK);
	json_decref(u);
	pass(&r);
	assert_int_equal(r.deleted, 0); /* no limit yet */
	v = json_integer(1000);
	assert_int_equal(rse_limit_set("root", "S", "MinFreeSpace", v, &err),
	    GR_OK);
	json_decref(v);
	pass(&r);
	/* 150 bytes lacking: the two oldest (100 bytes each) go */
	assert_int_equal(r.deleted, 2);
	assert_false(exists(s1));
	assert_false(exists(p2));
	assert_true(exists(s2));
	assert_true(r.pending); /* s2 waits for the space to shrink */
	/* the storage's figures follow */
	assert_int_equal(usage("S", "storage", "used"), 4800);
	assert_int_equal(usage("S", "storage", "free"), 1050);
	pass(&r);
	assert_int_equal(r.deleted, 0);
	/* less free space again: s2 goes */
	u = json_pack("{s:s, s:i, s:i}", "source", "storage", "used", 5000,
	    "free", 950);
	assert_int_equal(usage_rse_set("root", "S", u, &err), GR_OK);
	json_decref(u);
	pass(&r);
	assert_int_equal(r.deleted, 1);
	assert_false(exists(s2));
	assert_int_equal(rse_limit_del("root", "S", "MinFreeSpace", &err),
	    GR_OK);
	free(p2);
	free(s1);
	free(s2);
}

static void
test_missing_and_retaken(void **state)
{
	struct reaper_pass r;
	char *p = where("G", "m2");

	(void)state;
	put("G", "m1", true); /* never stored */
	put("G", "m2", false);
	unwanted("m1", "G", false);
	unwanted("m2", "G", false);
	/* as a reaper killed after marking it */
	replica_set("m2", "G", json_pack("{s:s}", "state", "B"));
	pass(&r);
	assert_int_equal(r.deleted, 2);
	assert_int_equal(r.failed, 0);
	assert_null(replica("m1", "G"));
	assert_null(replica("m2", "G"));
	assert_false(exists(p));
	free(p);
}

static void
test_symlink_refused(void **state)
{
	struct reaper_pass r;
	char *p = where("G", "h1"), outside[TEST_PATH_MAX + 32],
	     victim[TEST_PATH_MAX + 64], *dir;
	json_t *rec;
	FILE *f;

	(void)state;
	put("G", "h1", false);
	unwanted("h1", "G", false);
	/* the file's directory becomes a link to a directory outside the
	   prefix holding a file of the same name */
	(void)snprintf(outside, sizeof(outside), "%s/outside", home);
	assert_int_equal(mkdir(outside, 0755), 0);
	dir = xstrdup(p);
	*strrchr(dir, '/') = '\0';
	(void)snprintf(victim, sizeof(victim), "%s/%s", outside,
	    strrchr(p, '/') + 1);
	assert_non_null(f = fopen(victim, "w"));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(symlink(outside, dir), 0);
	pass(&r);
	assert_int_equal(r.deleted, 0);
	assert_int_equal(r.failed, 1);
	assert_true(exists(victim));
	rec = replica("h1", "G");
	assert_non_null(rec);
	assert_string_equal(json_string_value(json_object_get(rec, "state")),
	    "B");
	assert_non_null(
	    strstr(json_string_value(json_object_get(rec, "error_message")),
		"symbolic link"));
	/* never tried again */
	assert_null(json_object_get(rec, "tombstone"));
	json_decref(rec);
	pass(&r);
	assert_int_equal(r.failed, 0);
	assert_true(exists(victim));
	free(dir);
	free(p);
}

/* --- what goes with a file's last replica ---------------------------- */

/* A DID's record as GET /dids shows it, or NULL when there is none. */
static json_t *
did(const char *name)
{
	struct gr_err err = { 0 };
	json_t *out = NULL;
	int rc = coll_get("data", name, NULL, &out, &err);

	if (rc == GR_DID_NOT_FOUND)
		return NULL;
	assert_int_equal(rc, GR_OK);
	return out;
}

static bool
did_exists(const char *name)
{
	json_t *d = did(name);

	json_decref(d);
	return d != NULL;
}

static void
collection(const char *name, const char *type, const char *files)
{
	struct gr_err err = { 0 };
	json_t *body = json_pack("{s:s}", "type", type), *dids;

	assert_int_equal(coll_add("root", "data", name, body, &err), GR_OK);
	json_decref(body);
	if (files == NULL)
		return;
	assert_non_null(dids = json_loads(files, 0, NULL));
	assert_int_equal(coll_attach("root", "data", name, dids, false, &err),
	    GR_OK);
	json_decref(dids);
}

static void
close_collection(const char *name)
{
	struct gr_err err = { 0 };
	json_t *body = json_pack("{s:b}", "open", 0);

	assert_int_equal(coll_set_status("root", "data", name, body, &err),
	    GR_OK);
	json_decref(body);
}

/* The names of what collection name holds (in key order), as one
   string: "a,b". */
static const char *
contents(const char *name)
{
	static char buf[256];
	struct gr_err err = { 0 };
	json_t *l = json_array(), *v;
	size_t i, n = 0;

	buf[0] = '\0';
	assert_int_equal(coll_contents("data", name, keep, l, &err), GR_OK);
	json_array_foreach(l, i, v) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
		    i > 0 ? "," : "",
		    json_string_value(json_object_get(v, "name")));
		assert_true(n < sizeof(buf));
	}
	json_decref(l);
	return buf;
}

struct lost_args {
	const char *name;
};

/* data:name declared LOST (its availability), as a declaration of lost
   files would leave it. */
static int
lost_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct lost_args *a = arg;
	json_t *rec = NULL;
	int rc;

	if ((rc = did_load(t, "data", a->name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	json_object_set_new(rec, "availability", json_string("LOST"));
	rc = did_store(t, "data", a->name, rec, 0, err);
	json_decref(rec);
	return rc;
}

/*
 * The reaper deletes the last replica of files: each leaves its
 * collections (kept in their history, which become incomplete) and its
 * DID goes; a closed collection left empty goes too, with its rule
 * waiting for approval, after leaving its container, which stays (open);
 * an open one stays, empty; a file with a replica elsewhere, or LOST,
 * keeps its DID; a closed dataset that keeps a file keeps its place and
 * its figures follow. The rules' books stay right.
 */
static void
test_last_replica(void **state)
{
	struct gr_err err = { 0 };
	struct reaper_pass r;
	struct lost_args lost = { "c4" };
	json_t *spec, *ids = json_array(), *d, *h = json_array();
	char rid[RULE_ID_LEN + 1];
	const char *all[] = { "c1", "c2", "c3", "c4", "c5" };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		put("G", all[i], false);
	put("G", "c6", false);
	put("S", "c3", false);
	collection("dsA", "DATASET",
	    "[{\"scope\": \"data\", \"name\": \"c1\"}, "
	    "{\"scope\": \"data\", \"name\": \"c2\"}]");
	collection("dsB", "DATASET",
	    "[{\"scope\": \"data\", \"name\": \"c1\"}, "
	    "{\"scope\": \"data\", \"name\": \"c3\"}, "
	    "{\"scope\": \"data\", \"name\": \"c4\"}]");
	collection("dsC", "DATASET",
	    "[{\"scope\": \"data\", \"name\": \"c5\"}, "
	    "{\"scope\": \"data\", \"name\": \"c6\"}]");
	collection("cont", "CONTAINER",
	    "[{\"scope\": \"data\", \"name\": \"dsA\"}]");
	close_collection("dsA");
	close_collection("dsC");
	/* a rule on dsA that waits for approval: it locks nothing */
	spec = json_pack("{s:[{s:s, s:s}], s:i, s:s, s:b}", "dids", "scope",
	    "data", "name", "dsA", "copies", 1, "rse_expression", "S",
	    "ask_approval", 1);
	assert_int_equal(rule_add("root", spec, ids, &err), GR_OK);
	(void)snprintf(rid, sizeof(rid), "%s",
	    json_string_value(json_array_get(ids, 0)));
	json_decref(spec);
	assert_int_equal(st_txn_run(lost_txn, &lost, &err), GR_OK);
	for (i = 0; i < 5; i++)
		unwanted(all[i], "G", true);
	pass(&r);
	assert_int_equal(r.deleted, 5);

	/* the files whose last replica went: gone */
	assert_false(did_exists("c1"));
	assert_false(did_exists("c2"));
	assert_false(did_exists("c5"));
	/* c3 has its replica on S, c4 is LOST: kept, in dsB */
	assert_true(did_exists("c3"));
	assert_true(did_exists("c4"));
	assert_string_equal(contents("dsB"), "c3,c4");
	/* dsA, closed and emptied: gone, out of cont, with its rule */
	assert_false(did_exists("dsA"));
	assert_int_equal(rule_get(rid, &d, &err), GR_RULE_NOT_FOUND);
	gr_clear(&err);
	assert_non_null(d = did("cont"));
	assert_string_equal(contents("cont"), "");
	assert_true(json_is_true(json_object_get(d, "open")));
	json_decref(d);
	/* dsC keeps c6: smaller, incomplete */
	assert_string_equal(contents("dsC"), "c6");
	assert_non_null(d = did("dsC"));
	assert_int_equal(json_integer_value(json_object_get(d, "length")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "bytes")), 100);
	json_decref(d);
	/* dsB's history has c1 */
	assert_int_equal(coll_history("data", "dsB", keep, h, &err), GR_OK);
	assert_int_equal(json_array_size(h), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(h, 0), "name")),
	    "c1");
	json_decref(h);
	json_decref(ids);
	/* a name gone is free again */
	put("G", "c1", false);
	assert_true(did_exists("c1"));
	assert_int_equal(testlib_rule_bad(), 0);
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };
	const char *const rses[] = { "G", "S" };
	json_t *t = json_true();

	(void)state;
	log_set_level(LOG_ERR); /* each refused deletion is a warning */
	setenv("GRIDREST_REAPER_START", "0", 1);
	if (testlib_store_rses(home, rses, 2) != 0)
		return -1;
	if (rse_attr_set("root", "G", "greedyDeletion", t, &err) != GR_OK)
		return -1;
	json_decref(t);
	X = xfer_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	xfer_free(X);
	return testlib_store_remove(home);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greedy),
		cmocka_unit_test(test_purge_only),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_missing_and_retaken),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_last_replica),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("reaper", tests, setup, teardown);
}
