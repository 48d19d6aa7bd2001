/*
 * test_didlife.c -- new DIDs, expiry and resurrection (common/didlife.c)
 * on a real store: the new-DID listing follows is_new and the type, the
 * expired ones come oldest first and only up to now, resurrection takes
 * the expiry of expired DIDs only, all or nothing, for admins.
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
#include "did.h"
#include "didlife.h"
#include "scope.h"
#include "tables.h"
#include "testlib.h"
#include "util.h"

static char home[TEST_PATH_MAX] = "gr-didlife";

/* Put a record for d:name (type, expired_at or 0 for none). */
struct put {
	const char *name, *type;
	int64_t expired_at;
};

static int
put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct put *p = arg;
	json_t *rec = json_pack("{s:s, s:s, s:I}", "type", p->type, "account",
	    "root", "created_at", (json_int_t)time_now());
	int rc;

	if (p->expired_at != 0)
		json_object_set_new(rec, "expired_at",
		    json_integer(p->expired_at));
	rc = did_store(t, "d", p->name, rec, 0, err);
	json_decref(rec);
	return rc;
}

static void
put(const char *name, const char *type, int64_t expired_at)
{
	struct put p = { name, type, expired_at };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(put_txn, &p, &err), GR_OK);
}

static int
collect(json_t *item, void *ctx)
{
	json_t *names = ctx;

	json_array_append_new(names,
	    json_pack("s+++", json_string_value(json_object_get(item, "name")),
		":", json_string_value(json_object_get(item, "did_type")), ""));
	return GR_OK;
}

static const char *
list_new(const char *type)
{
	struct gr_err err = { 0 };
	json_t *names = json_array();

	assert_int_equal(didlife_list_new(type, collect, names, &err), GR_OK);
	return testlib_dumps(names);
}

struct mark {
	const char *name;
	bool is_new;
};

static int
mark_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct mark *m = arg;

	return didlife_set_new(t, "d", m->name, m->is_new, err);
}

static void
test_new(void **state)
{
	struct gr_err err = { 0 };
	struct mark m = { "a", false };

	(void)state;
	/* a scope's datasets and containers (through the index, oldest
	   first), then its files */
	assert_string_equal(list_new(NULL),
	    "[\"a:DATASET\",\"e1:DATASET\",\"e2:DATASET\","
	    "\"e3:DATASET\",\"c:CONTAINER\",\"b:FILE\"]");
	assert_string_equal(list_new("file"), "[\"b:FILE\"]");
	assert_string_equal(list_new("CONTAINER"), "[\"c:CONTAINER\"]");
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_OK);
	assert_string_equal(list_new("DATASET"),
	    "[\"e1:DATASET\",\"e2:DATASET\",\"e3:DATASET\"]");
	m.is_new = true;
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_OK);
	assert_string_equal(list_new("dataset"),
	    "[\"a:DATASET\",\"e1:DATASET\",\"e2:DATASET\",\"e3:DATASET\"]");
	assert_int_equal(didlife_list_new("bag", collect, NULL, &err),
	    GR_UNSUPPORTED_OPERATION);
	gr_clear(&err);
	m.name = "nope";
	assert_int_equal(st_txn_run(mark_txn, &m, &err), GR_DID_NOT_FOUND);
	gr_clear(&err);
}

static int
expired_one(const char *scope, const char *name, int64_t when, void *arg)
{
	json_t *out = arg;

	assert_string_equal(scope, "d");
	json_array_append_new(out, json_pack("[s,I]", name, (json_int_t)when));
	return GR_OK;
}

struct expired {
	int64_t now;
	json_t *out;
};

static int
expired_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct expired *e = arg;

	return didlife_expired_each(t, e->now, expired_one, e->out, err);
}

static const char *
expired(int64_t now)
{
	struct expired e = { now, json_array() };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(expired_txn, &e, 0, &err), GR_OK);
	return testlib_dumps(e.out);
}

static void
test_expiry_and_resurrect(void **state)
{
	struct gr_err err = { 0 };
	json_t *dids;
	int64_t now = time_now();
	char want[200];

	(void)state;
	/* oldest first, up to and with now */
	assert_string_equal(expired(1000), "[[\"e2\",1000]]");
	assert_string_equal(expired(999), "[]");
	snprintf(want, sizeof(want), "[[\"e2\",1000],[\"e1\",%lld]]",
	    (long long)(now - 5));
	assert_string_equal(expired(now), want);
	/* e3 expires in an hour: not expired, not resurrected */
	dids = json_pack("[{s:s, s:s}, {s:s, s:s}]", "scope", "d", "name", "e1",
	    "scope", "d", "name", "e3");
	assert_int_equal(didlife_resurrect("root", dids, &err),
	    GR_DID_NOT_FOUND);
	assert_non_null(strstr(err.msg, "Deleted Data identifier 'd:e3'"));
	gr_clear(&err);
	json_decref(dids);
	assert_string_equal(expired(now), want); /* all or nothing */
	dids = json_pack("[{s:s, s:s}]", "scope", "d", "name", "e1");
	assert_int_equal(didlife_resurrect("alice", dids, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(didlife_resurrect("root", dids, &err), GR_OK);
	assert_string_equal(expired(now), "[[\"e2\",1000]]");
	assert_int_equal(didlife_resurrect("root", dids, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
	json_decref(dids);
	dids = json_pack("[{s:s, s:s}]", "scope", "d", "name", "a b");
	assert_int_equal(didlife_resurrect("root", dids, &err),
	    GR_INVALID_OBJECT);
	gr_clear(&err);
	json_decref(dids);
}

/* n files d:<prefix><i> in one transaction */
struct files {
	const char *prefix;
	int n;
};

static int
files_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct files *f = arg;
	char name[64];
	int i, rc = GR_OK;

	for (i = 0; i < f->n && rc == GR_OK; i++) {
		json_t *rec = did_new_file("root", 1, NULL, NULL, time_now());

		snprintf(name, sizeof(name), "%s%d", f->prefix, i);
		rc = did_store(t, "d", name, rec, 0, err);
		json_decref(rec);
	}
	return rc;
}

static json_t *
did_list(const char *prefix, int n)
{
	json_t *l = json_array();
	char name[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		json_array_append_new(l,
		    json_pack("{s:s, s:s}", "scope", "d", "name", name));
	}
	return l;
}

static void
coll(const char *name, const char *type, int lifetime, json_t *dids)
{
	struct gr_err err = { 0 };
	json_t *body = json_pack("{s:s}", "type", type);

	if (lifetime > 0)
		json_object_set_new(body, "lifetime", json_integer(lifetime));
	if (dids != NULL)
		json_object_set_new(body, "dids", dids);
	assert_int_equal(coll_add("root", "d", name, body, &err), GR_OK);
	json_decref(body);
}

static int
count(json_t *item, void *ctx)
{
	(void)item;
	(*(int *)ctx)++;
	return GR_OK;
}

/* How many entries a listing of d:name (coll_contents, coll_parents) has. */
static int
entries(int (*list)(const char *, const char *, gr_emit_fn, void *,
	    struct gr_err *),
    const char *name)
{
	struct gr_err err = { 0 };
	int n = 0;

	assert_int_equal(list("d", name, count, &n, &err), GR_OK);
	return n;
}

#define children(name) entries(coll_contents, name)
#define parents(name)  entries(coll_parents, name)

static void
test_undertaker(void **state)
{
	struct files fs = { "f", 2500 };
	struct gr_err err = { 0 };
	struct didlife_sweep s;
	int64_t later = time_now() + 10;
	json_t *rec, *dids;

	(void)state;
	/* "big": 2500 files (more than a transaction's batch), in two
	   containers; "hold" keeps a file that expires */
	assert_int_equal(st_txn_run(files_txn, &fs, &err), GR_OK);
	coll("big", "DATASET", 5, did_list("f", 2500));
	coll("p1", "CONTAINER", 0,
	    json_pack("[{s:s, s:s}]", "scope", "d", "name", "big"));
	coll("p2", "CONTAINER", 0,
	    json_pack("[{s:s, s:s}]", "scope", "d", "name", "big"));
	coll("hold", "DATASET", 0,
	    json_pack("[{s:s, s:s}]", "scope", "d", "name", "f0"));
	put("lone", "FILE", later - 5);
	dids = json_pack("{s:[{s:s, s:s}]}", "dids", "scope", "d", "name",
	    "lone");
	assert_int_equal(coll_attach("root", "d", "hold",
			     json_object_get(dids, "dids"), false, &err),
	    GR_OK);
	json_decref(dids);
	assert_int_equal(children("big"), 2500);
	assert_int_equal(parents("big"), 2);

	/* at "later": big and e2 (expired at 1000) go, lone loses its
	   expiry; e3 has an hour left */
	assert_int_equal(didlife_undertake(later, (size_t)-1, &s, &err), GR_OK);
	assert_int_equal(s.buried, 2);
	assert_int_equal(s.files, 1);
	assert_false(s.more);
	assert_int_equal(coll_get("d", "big", NULL, &rec, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(coll_get("d", "e2", NULL, &rec, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(children("p1"), 0);
	assert_int_equal(children("p2"), 0);
	assert_int_equal(parents("f1"), 0); /* the files stay, unlinked */
	assert_int_equal(parents("f0"), 1); /* ... but for other parents */
	assert_int_equal(children("hold"), 1);
	assert_int_equal(coll_get("d", "lone", NULL, &rec, &err), GR_OK);
	json_decref(rec);
	assert_string_equal(expired(later), "[]"); /* lone's expiry too */
	assert_int_equal(coll_get("d", "e3", NULL, &rec, &err), GR_OK);
	json_decref(rec);

	/* the name of a deleted DID is not reused, by any kind of DID */
	dids = json_pack("{s:s}", "type", "CONTAINER");
	assert_int_equal(coll_add("root", "d", "big", dids, &err),
	    GR_DID_REUSED);
	gr_clear(&err);
	json_decref(dids);

	/* resurrection brings it back, empty, with its name */
	dids = json_pack("[{s:s, s:s}]", "scope", "d", "name", "big");
	assert_int_equal(didlife_resurrect("root", dids, &err), GR_OK);
	assert_int_equal(coll_get("d", "big", NULL, &rec, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(rec, "type")),
	    "DATASET");
	assert_true(json_is_true(json_object_get(rec, "open")));
	assert_true(json_is_null(json_object_get(rec, "expired_at")));
	json_decref(rec);
	assert_int_equal(children("big"), 0);
	assert_int_equal(didlife_resurrect("root", dids, &err),
	    GR_DID_NOT_FOUND);
	gr_clear(&err);
	json_decref(dids);
}

/* Two processes sweep the same 300 expired datasets at once: each is
   deleted exactly once. */
static void
test_undertakers_at_once(void **state)
{
	struct gr_err err = { 0 };
	struct didlife_sweep s;
	int64_t later = time_now() + 10;
	char name[32];
	int fds[2], status, i;
	size_t theirs = 0;
	pid_t pid;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		coll(name, "DATASET", 5, NULL);
	}
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		st_after_fork();
		if (st_open(home, 0, &err) != GR_OK ||
		    didlife_undertake(later, (size_t)-1, &s, &err) != GR_OK ||
		    write(fds[1], &s.buried, sizeof(s.buried)) !=
			sizeof(s.buried))
			_exit(1);
		st_close();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(didlife_undertake(later, (size_t)-1, &s, &err), GR_OK);
	assert_int_equal(read(fds[0], &theirs, sizeof(theirs)), sizeof(theirs));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(s.buried + theirs, 300);
	assert_string_equal(expired(later), "[]");
}

static int
setup(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	if (testlib_store_accounts(home) != 0 ||
	    scope_add("root", "root", "d", &err) != GR_OK) {
		fprintf(stderr, "# setup: %s\n", err.msg);
		return -1;
	}
	put("a", "DATASET", 0);
	put("b", "FILE", 0);
	put("c", "CONTAINER", 0);
	put("e1", "DATASET", time_now() - 5);
	put("e2", "DATASET", 1000);
	put("e3", "DATASET", time_now() + 3600);
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
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_expiry_and_resurrect),
		cmocka_unit_test(test_undertaker),
		cmocka_unit_test(test_undertakers_at_once),
	};

	json_set_alloc_funcs(xmalloc, free);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("didlife", tests, setup, teardown);
}
