/*
 * test_mover.c -- the mover's steps (common/mover.c) on a real store and
 * real posix RSEs: a rule's request copied and its rule OK, a damaged
 * source retried with back-off and then STUCK with the reason, claimed
 * requests of a killed mover queued again, the nearest source first and
 * source_replica_expression honoured; a rule deleted while its file is
 * copied (the reaper run in between) leaves no file without a replica;
 * the request routes' core on what is left (request.c).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "log.h"
#include "mover.h"
#include "reaper.h"
#include "replica.h"
#include "request.h"
#include "rse.h"
#include "rule.h"
#include "scope.h"
#include "testlib.h"
#include "testlib_rse.h"
#include "util.h"
#include "xfer.h"

static char home[TEST_PATH_MAX] = "gr-mover";
static struct xfer *X;
static char rule_id[RULE_ID_LEN + 1];

/* The local path of data:name on rse (malloc'ed). */
static char *
where(const char *rse, const char *name)
{
	return testlib_rse_path(rse, name, "write");
}

/* data:name stored on rse with content data, registered with the
   adler32 of good (data when NULL). */
static void
put(const char *rse, const char *name, const char *data, const char *good)
{
	struct gr_err err = { 0 };
	char *p = where(rse, name), ad[9];
	FILE *f;
	json_t *files;

	testlib_mkdirs(p);
	assert_non_null(f = fopen(p, "w"));
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	assert_int_equal(fclose(f), 0);
	good = good != NULL ? good : data;
	(void)snprintf(ad, sizeof(ad), "%08lx",
	    adler32(adler32(0L, Z_NULL, 0), (const Bytef *)good,
		(uInt)strlen(good)));
	files = json_pack("[{s:s, s:s, s:I, s:s}]", "scope", "data", "name",
	    name, "bytes", (json_int_t)strlen(good), "adler32", ad);
	assert_int_equal(replica_add("root", rse, files, false, &err), GR_OK);
	json_decref(files);
	free(p);
}

static void
rule(const char *name, const char *rse, const char *more)
{
	struct gr_err err = { 0 };
	char body[512];
	json_t *spec, *ids = json_array();

	(void)snprintf(body, sizeof(body),
	    "{\"dids\": [{\"scope\": \"data\", \"name\": \"%s\"}], "
	    "\"copies\": 1, \"rse_expression\": \"%s\"%s}",
	    name, rse, more != NULL ? more : "");
	assert_non_null(spec = json_loads(body, 0, NULL));
	assert_int_equal(rule_add("root", spec, ids, &err), GR_OK);
	(void)snprintf(rule_id, sizeof(rule_id), "%s",
	    json_string_value(json_array_get(ids, 0)));
	json_decref(spec);
	json_decref(ids);
}

/* A member of the rule's record, as text; borrowed until the next call. */
static const char *
rule_field(const char *field)
{
	static char buf[512];
	struct gr_err err = { 0 };
	json_t *r = NULL;

	assert_int_equal(rule_get(rule_id, &r, &err), GR_OK);
	(void)snprintf(buf, sizeof(buf), "%s",
	    json_string_value(json_object_get(r, field)) != NULL
		? json_string_value(json_object_get(r, field))
		: "");
	json_decref(r);
	return buf;
}

static bool
same_file(const char *path, const char *data)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);
	return n == strlen(data) && memcmp(buf, data, n) == 0;
}

static int
collect_rule(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

static void
step(bool want_work)
{
	struct gr_err err = { 0 };
	int64_t wait;
	bool worked;

	assert_int_equal(mover_step(X, &worked, &wait, &err), GR_OK);
	assert_int_equal(worked, want_work);
}

static void
test_copy(void **state)
{
	char *dst;

	(void)state;
	put("A", "x1", "some bytes", NULL);
	rule("x1", "B", NULL);
	assert_string_equal(rule_field("state"), "REPLICATING");
	step(true);
	assert_string_equal(rule_field("state"), "OK");
	dst = where("B", "x1");
	assert_true(same_file(dst, "some bytes"));
	free(dst);
	step(false); /* nothing left */
}

static void
test_retry_then_stuck(void **state)
{
	struct gr_err err = { 0 };
	json_t *an = NULL, *tr;
	int64_t wait;
	bool worked;
	char *dst;

	(void)state;
	setenv("GRIDREST_MOVER_RETRY", "1", 1);
	setenv("GRIDREST_MOVER_ATTEMPTS", "3", 1);
	put("A", "x2", "damaged!", "original");
	rule("x2", "B", NULL);
	step(true);
	assert_string_equal(rule_field("state"), "REPLICATING");
	/* the second attempt waits its back-off */
	assert_int_equal(mover_step(X, &worked, &wait, &err), GR_OK);
	assert_false(worked);
	assert_true(wait >= 0 && wait <= 1);
	(void)sleep(1);
	setenv("GRIDREST_MOVER_RETRY", "0", 1);
	step(true);
	assert_string_equal(rule_field("state"), "REPLICATING");
	step(true);
	assert_string_equal(rule_field("state"), "STUCK");
	assert_non_null(strstr(rule_field("error"), "checksum mismatch"));
	assert_int_equal(rule_analysis(rule_id, &an, &err), GR_OK);
	tr = json_array_get(json_object_get(an, "transfers"), 0);
	assert_int_equal(json_integer_value(json_object_get(tr, "attempts")),
	    3);
	assert_non_null(
	    strstr(json_string_value(json_object_get(tr, "last_error")),
		"checksum mismatch"));
	json_decref(an);
	dst = where("B", "x2");
	assert_int_equal(access(dst, F_OK), -1);
	free(dst);
	step(false);
}

/* The request of data:name to rse put in state S, as a mover that was
   killed leaves it. */
struct claimed {
	const char *name, *rse_id;
	long pid; /* the mover that claimed it (0: none named) */
};

static int
claim_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct claimed *c = arg;
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), "data", c->name, c->rse_id,
		(char *)NULL));
	json_t *req = NULL;
	int ret;

	if ((ret = st_get_json(t, TBL_REQUESTS, &k, &req, DB_RMW)) != 0)
		return st_fail(err, ret);
	json_object_set_new(req, "state", json_string("S"));
	if (c->pid != 0)
		json_object_set_new(req, "mover", json_integer(c->pid));
	ret = st_put_json(t, TBL_REQUESTS, &k, req, 0);
	json_decref(req);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
test_requeue(void **state)
{
	struct gr_err err = { 0 };
	struct claimed c = { "x3", NULL, 0 };
	json_t *b = NULL;
	long n = -1;

	(void)state;
	put("A", "x3", "third", NULL);
	rule("x3", "C", NULL);
	assert_int_equal(rse_get("C", &b, &err), GR_OK);
	c.rse_id = json_string_value(json_object_get(b, "id"));
	assert_int_equal(st_txn_run(claim_txn, &c, &err), GR_OK);
	json_decref(b);
	step(false); /* claimed: not queued */
	assert_int_equal(mover_requeue(&n, &err), GR_OK);
	assert_int_equal(n, 1);
	step(true);
	assert_string_equal(rule_field("state"), "OK");
}

static void
test_sources(void **state)
{
	struct gr_err err = { 0 };
	json_t *d = json_integer(1), *far = json_integer(5);
	char *dst;

	(void)state;
	setenv("GRIDREST_MOVER_RETRY", "0", 1);
	/* x4: good on A, damaged on C; A is nearer to B */
	put("A", "x4", "fourth", NULL);
	put("C", "x4", "fourtH", "fourth");
	assert_int_equal(rse_distance_add("root", "A", "B", d, false, &err),
	    GR_OK);
	assert_int_equal(rse_distance_add("root", "C", "B", far, false, &err),
	    GR_OK);
	rule("x4", "B", NULL);
	step(true);
	assert_string_equal(rule_field("state"), "OK"); /* the first attempt */
	dst = where("B", "x4");
	assert_true(same_file(dst, "fourth"));
	free(dst);
	/* x5, the same, but only C's copy may be read */
	put("A", "x5", "fifth", NULL);
	put("C", "x5", "fiftH", "fifth");
	assert_int_equal(rse_distance_update("root", "A", "B", far, false,
			     &err),
	    GR_OK);
	rule("x5", "B", ", \"source_replica_expression\": \"C\"");
	step(true);
	step(true);
	step(true);
	assert_string_equal(rule_field("state"), "STUCK");
	assert_non_null(strstr(rule_field("error"), "checksum mismatch"));
	json_decref(d);
	json_decref(far);
}

/* The rules' counters, the replicas' lock counts and the usage agree. */
static void
verified(void)
{
	assert_int_equal(testlib_rule_bad(), 0);
}

/* data:name registered on rse as UNAVAILABLE (its bytes lost), with the
   figures of data. */
static void
put_lost(const char *rse, const char *name, const char *data)
{
	struct gr_err err = { 0 };
	char ad[9];
	json_t *files;

	(void)snprintf(ad, sizeof(ad), "%08lx",
	    adler32(adler32(0L, Z_NULL, 0), (const Bytef *)data,
		(uInt)strlen(data)));
	files = json_pack("[{s:s, s:s, s:I, s:s, s:s}]", "scope", "data",
	    "name", name, "bytes", (json_int_t)strlen(data), "adler32", ad,
	    "state", "U");
	assert_int_equal(replica_add("root", rse, files, false, &err), GR_OK);
	json_decref(files);
}

/* The state of the request of data:name to rse, by name. */
static const char *
request_state(const char *name, const char *rse)
{
	static char buf[32];
	struct gr_err err = { 0 };
	json_t *r = NULL;

	assert_int_equal(request_get("data", name, rse, &r, &err), GR_OK);
	(void)snprintf(buf, sizeof(buf), "%s",
	    json_string_value(json_object_get(r, "state")));
	json_decref(r);
	return buf;
}

static json_int_t
rule_count(const char *field)
{
	struct gr_err err = { 0 };
	json_t *r = NULL;
	json_int_t n;

	assert_int_equal(rule_get(rule_id, &r, &err), GR_OK);
	n = json_integer_value(json_object_get(r, field));
	json_decref(r);
	return n;
}

/*
 * A request with no source anywhere (NO_SOURCES, its lock STUCK) is
 * queued again when a replica of its file becomes AVAILABLE: registered
 * on another RSE, or set AVAILABLE where it was lost; the lock goes back
 * to REPLICATING and the mover completes it. A source the request's
 * source_replica_expression excludes does not count; a SUSPENDED rule's
 * request stays.
 */
static void
test_no_sources(void **state)
{
	struct gr_err err = { 0 };
	json_t *files;
	char *p;
	FILE *f;

	(void)state;
	put_lost("A", "x9", "ninth");
	rule("x9", "B", NULL);
	assert_string_equal(rule_field("state"), "STUCK");
	assert_string_equal(rule_field("error"), "MissingSourceReplica");
	assert_int_equal(rule_count("locks_stuck_cnt"), 1);
	assert_string_equal(request_state("x9", "B"), "NO_SOURCES");
	step(false); /* nothing to copy from */
	verified();
	/* a copy appears on C */
	put("C", "x9", "ninth", NULL);
	assert_string_equal(rule_field("state"), "REPLICATING");
	assert_string_equal(rule_field("error"), "");
	assert_int_equal(rule_count("locks_stuck_cnt"), 0);
	assert_int_equal(rule_count("locks_replicating_cnt"), 1);
	assert_string_equal(request_state("x9", "B"), "QUEUED");
	verified();
	step(true);
	assert_string_equal(rule_field("state"), "OK");
	p = where("B", "x9");
	assert_true(same_file(p, "ninth"));
	free(p);
	verified();

	/* x10 may be read from A only: a copy on C changes nothing */
	put_lost("A", "x10", "tenth");
	rule("x10", "B", ", \"source_replica_expression\": \"A\"");
	assert_string_equal(rule_field("state"), "STUCK");
	put("C", "x10", "tenth", NULL);
	assert_string_equal(rule_field("state"), "STUCK");
	assert_string_equal(request_state("x10", "B"), "NO_SOURCES");
	step(false);
	/* the file found again on A and declared AVAILABLE there */
	p = where("A", "x10");
	testlib_mkdirs(p);
	assert_non_null(f = fopen(p, "w"));
	assert_true(fputs("tenth", f) >= 0);
	assert_int_equal(fclose(f), 0);
	free(p);
	files = json_pack("[{s:s, s:s, s:s}]", "scope", "data", "name", "x10",
	    "state", "A");
	assert_int_equal(replica_update("root", "A", files, &err), GR_OK);
	json_decref(files);
	assert_string_equal(rule_field("state"), "REPLICATING");
	assert_string_equal(request_state("x10", "B"), "QUEUED");
	step(true);
	assert_string_equal(rule_field("state"), "OK");
	p = where("B", "x10");
	assert_true(same_file(p, "tenth"));
	free(p);
	verified();

	/* a suspended rule is left alone, as upstream's repairer leaves it */
	put_lost("A", "x11", "eleventh");
	rule("x11", "B", NULL);
	files = json_pack("{s:s}", "state", "SUSPENDED");
	assert_int_equal(rule_update("root", rule_id, files, &err), GR_OK);
	json_decref(files);
	put("C", "x11", "eleventh", NULL);
	assert_string_equal(rule_field("state"), "SUSPENDED");
	assert_int_equal(rule_count("locks_stuck_cnt"), 1);
	assert_string_equal(request_state("x11", "B"), "NO_SOURCES");
	step(false);
	verified();
}

/* The state of the rule of data:name (the last one made on it). */
static const char *
state_of(const char *name)
{
	static char buf[32];
	struct gr_err err = { 0 };
	json_t *l = json_array();
	int rc = rule_list_did("data", name, collect_rule, l, &err);

	assert_int_equal(rc, GR_OK);
	assert_true(json_array_size(l) > 0);
	(void)snprintf(buf, sizeof(buf), "%s",
	    json_string_value(
		json_object_get(json_array_get(l, json_array_size(l) - 1),
		    "state")));
	json_decref(l);
	return buf;
}

/*
 * Batches: the due requests to one destination are claimed and copied
 * together (GRIDREST_MOVER_BATCH of them at most); a destination with
 * GRIDREST_MOVER_PER_RSE workers copying to it is left alone while
 * another destination's requests are taken.
 */
static void
test_batches(void **state)
{
	struct gr_err err = { 0 };
	struct claimed c = { "z1", NULL, 999999 };
	char name[16], data[24]; /* room for any int */
	json_t *b = NULL;
	int64_t wait;
	bool worked;
	long n;
	int i;

	(void)state;
	setenv("GRIDREST_MOVER_RETRY", "0", 1);
	for (i = 1; i <= 5; i++) {
		(void)snprintf(name, sizeof(name), "y%d", i);
		(void)snprintf(data, sizeof(data), "batch %d", i);
		put("A", name, data, NULL);
		rule(name, "B", NULL);
	}
	/* one step copies them all */
	step(true);
	for (i = 1; i <= 5; i++) {
		char *dst;

		(void)snprintf(name, sizeof(name), "y%d", i);
		(void)snprintf(data, sizeof(data), "batch %d", i);
		assert_string_equal(state_of(name), "OK");
		dst = where("B", name);
		assert_true(same_file(dst, data));
		free(dst);
	}
	step(false);
	/* at most GRIDREST_MOVER_BATCH a step */
	setenv("GRIDREST_MOVER_BATCH", "2", 1);
	for (i = 6; i <= 8; i++) {
		(void)snprintf(name, sizeof(name), "y%d", i);
		put("A", name, "small", NULL);
		rule(name, "B", NULL);
	}
	step(true);
	assert_string_equal(state_of("y6"), "OK");
	assert_string_equal(state_of("y7"), "OK");
	assert_string_equal(state_of("y8"), "REPLICATING");
	step(true);
	assert_string_equal(state_of("y8"), "OK");
	unsetenv("GRIDREST_MOVER_BATCH");

	/* another worker (pid 999999) copies to B: with one worker a
	   destination, z2 to B waits, z3 to C is taken */
	setenv("GRIDREST_MOVER_PER_RSE", "1", 1);
	put("A", "z1", "zed one", NULL);
	rule("z1", "B", NULL);
	assert_int_equal(rse_get("B", &b, &err), GR_OK);
	c.rse_id = json_string_value(json_object_get(b, "id"));
	assert_int_equal(st_txn_run(claim_txn, &c, &err), GR_OK);
	json_decref(b);
	put("A", "z2", "zed two", NULL);
	rule("z2", "B", NULL);
	put("A", "z3", "zed three", NULL);
	rule("z3", "C", NULL);
	step(true);
	assert_string_equal(state_of("z3"), "OK");
	assert_string_equal(state_of("z2"), "REPLICATING");
	/* due but held back: nothing claimed, look again at once */
	assert_int_equal(mover_step(X, &worked, &wait, &err), GR_OK);
	assert_false(worked);
	assert_int_equal(wait, 0);
	/* two workers a destination: z2 goes */
	setenv("GRIDREST_MOVER_PER_RSE", "2", 1);
	step(true);
	assert_string_equal(state_of("z2"), "OK");
	/* the other worker's claim, queued again, done */
	assert_int_equal(mover_requeue(&n, &err), GR_OK);
	assert_int_equal(n, 1);
	step(true);
	assert_string_equal(state_of("z1"), "OK");
	unsetenv("GRIDREST_MOVER_PER_RSE");
}

static int
collect(json_t *item, void *ctx)
{
	json_array_append(ctx, item);
	return GR_OK;
}

/* The state letter of data:name's replica on rse, 0 when it has none. */
struct rep_state {
	const char *name, *rse;
	char state;
};

static int
rep_state_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rep_state *r = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *rec = NULL;
	DBT k;
	int ret, rc;

	r->state = 0;
	if ((rc = rse_live_id(t, r->rse, id, err)) != GR_OK)
		return rc;
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), "data", r->name, id, (char *)NULL));
	ret = st_get_json(t, TBL_REPLICAS, &k, &rec, 0);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	r->state = json_string_value(json_object_get(rec, "state")) != NULL
	    ? json_string_value(json_object_get(rec, "state"))[0]
	    : '?';
	json_decref(rec);
	return GR_OK;
}

static char
rep_state(const char *name, const char *rse)
{
	struct gr_err err = { 0 };
	struct rep_state r = { name, rse, 0 };

	assert_int_equal(st_view(rep_state_txn, &r, 0, &err), GR_OK);
	return r.state;
}

static pid_t copier; /* test_rule_deleted_mid_copy's mover, until reaped */

/* A failed check leaves no stopped mover behind (it would hold the
   test's output open). */
static int
copier_kill(void **state)
{
	(void)state;
	if (copier > 0) {
		(void)kill(copier, SIGKILL);
		(void)waitpid(copier, NULL, 0);
	}
	copier = 0;
	return 0;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* The mover copies data:big to B, stopped mid-copy (SIGSTOP) while its
   rule is deleted with purge_replicas and the reaper runs, then goes on:
   the reaper leaves a replica being copied in to the copy's end (else
   its deletion could remove the row and miss the file renamed after its
   unlink), then deletes file and row together. */
static void
test_rule_deleted_mid_copy(void **state)
{
	struct gr_err err = { 0 };
	struct reaper_pass pass;
	char *src = where("A", "big"), *dst = where("B", "big"), ad[9];
	char part[PATH_MAX], *slash;
	static unsigned char zero[1 << 20];
	const long mib = 256;
	uLong a = adler32(0L, Z_NULL, 0);
	json_t *files;
	struct stat st;
	FILE *f;
	pid_t pid;
	long i;
	int status;

	(void)state;
	/* a sparse source: long to copy, nothing to store */
	testlib_mkdirs(src);
	assert_non_null(f = fopen(src, "w"));
	assert_int_equal(ftruncate(fileno(f), mib << 20), 0);
	assert_int_equal(fclose(f), 0);
	for (i = 0; i < mib; i++)
		a = adler32(a, zero, sizeof(zero));
	(void)snprintf(ad, sizeof(ad), "%08lx", a);
	files = json_pack("[{s:s, s:s, s:I, s:s}]", "scope", "data", "name",
	    "big", "bytes", (json_int_t)(mib << 20), "adler32", ad);
	assert_int_equal(replica_add("root", "A", files, false, &err), GR_OK);
	json_decref(files);
	rule("big", "B", NULL);
	testlib_mkdirs(dst);
	slash = strrchr(dst, '/');
	(void)snprintf(part, sizeof(part), "%.*s/.big.gridrest-part",
	    (int)(slash - dst), dst);

	copier = pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct xfer *x;
		int64_t wait;
		bool worked;

		/* slow, so the test stops it mid-copy even when the
		   machine is busy; its priority comes back after that */
		(void)setpriority(PRIO_PROCESS, 0, 19);
		st_after_fork();
		if (st_open(home, 0, &err) != GR_OK)
			_exit(2);
		x = xfer_new();
		if (mover_step(x, &worked, &wait, &err) != GR_OK || !worked)
			_exit(3);
		xfer_free(x);
		st_close();
		_exit(0);
	}
	/* stopped as soon as its temporary holds bytes */
	for (i = 0; i < 20000; i++) {
		if (stat(part, &st) == 0 && st.st_size > 0)
			break;
		nap_ms(1);
	}
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(stat(part, &st), 0);
	assert_true(st.st_size < (mib << 20)); /* still copying */
	assert_int_equal(access(dst, F_OK), -1);

	/* the rule goes, the reaper runs while the copy waits: it leaves
	   the replica (COPYING, its row, no unlink) to the copy's end */
	assert_int_equal(rule_delete("root", rule_id, 1, &err), GR_OK);
	assert_int_equal(rep_state("big", "B"), 'C');
	assert_int_equal(reaper_run(X, &pass, &err), GR_OK);
	assert_int_equal(pass.deleted, 0);
	assert_true(pass.pending); /* it looks again */
	assert_int_equal(rep_state("big", "B"), 'C');
	/* the copy ends: its file under the final name, its replica
	   AVAILABLE (with the tombstone: nobody wants it) */
	assert_int_equal(kill(pid, SIGCONT), 0);
	(void)setpriority(PRIO_PROCESS, (id_t)pid, 0); /* root may */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	copier = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access(dst, F_OK), 0);
	assert_int_equal(rep_state("big", "B"), 'A');
	/* and the reaper takes both, file and row */
	assert_int_equal(reaper_run(X, &pass, &err), GR_OK);
	assert_int_equal(pass.deleted, 1);
	assert_int_equal(access(dst, F_OK), -1);
	assert_int_equal(access(part, F_OK), -1);
	assert_int_equal(rep_state("big", "B"), 0);
	assert_int_equal(unlink(src), 0);
	free(src);
	free(dst);
}

/* request_list of the requests from src to dst (RSEs; sites when site)
   in sts into l */
static int
lst_by(const char *issuer, bool site, const char *src, const char *dst,
    const char *sts, json_t *l, struct gr_err *err)
{
	struct request_filter f = { .states = sts };

	*(site ? &f.src_site : &f.src_rse) = src;
	*(site ? &f.dst_site : &f.dst_rse) = dst;
	return request_list(issuer, &f, collect, l, err);
}

static int
lst(const char *issuer, const char *src, const char *dst, const char *sts,
    json_t *l, struct gr_err *err)
{
	return lst_by(issuer, false, src, dst, sts, l, err);
}

/* request_history_list from src to dst (RSEs) */
static int
hist(const char *issuer, const char *src, const char *dst, const char *sts,
    long offset, long limit, json_t *l, struct gr_err *err)
{
	struct request_filter f = { .src_rse = src,
		.dst_rse = dst,
		.states = sts };

	return request_history_list(issuer, &f, offset, limit, collect, l, err);
}

/* the request routes' core (request.c) on the requests left above */
static void
test_requests(void **state)
{
	struct gr_err err = { 0 };
	struct request_filter f = { .src_site = "CERN",
		.dst_site = "DESY",
		.states = "F" };
	json_t *r = NULL, *l = json_array(), *site;

	(void)state;
	/* x2 failed its 3 attempts from A to B (test_retry_then_stuck) */
	assert_int_equal(request_get("data", "x2", "B", &r, &err), GR_OK);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "FAILED");
	assert_int_equal(json_integer_value(json_object_get(r, "retry_count")),
	    3);
	assert_string_equal(json_string_value(json_object_get(r, "source_rse")),
	    "A");
	assert_string_equal(json_string_value(json_object_get(r, "dest_rse")),
	    "B");
	assert_non_null(strstr(json_string_value(json_object_get(r, "err_msg")),
	    "checksum mismatch"));
	json_decref(r);
	/* x1 was done: its request is gone */
	assert_int_equal(request_get("data", "x1", "B", &r, &err),
	    GR_REQUEST_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(request_get("data", "x2", "NONE", &r, &err),
	    GR_RSE_NOT_FOUND);
	gr_clear(&err);
	assert_int_equal(lst("root", "A", "B", "F", l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(l, 0), "name")),
	    "x2");
	json_array_clear(l);
	assert_int_equal(lst("root", "C", "B", "FAILED,Q", l, &err), GR_OK);
	/* x5 read from C (source_replica_expression) and failed */
	assert_int_equal(json_array_size(l), 1);
	json_array_clear(l);
	assert_int_equal(lst("root", "A", "B", "Q", l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 0);
	assert_int_equal(lst("alice", "A", "B", "F", l, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(lst("root", "A", "B", NULL, l, &err),
	    GR_MISSING_PARAMETER);
	gr_clear(&err);
	assert_int_equal(lst("root", "A", NULL, "F", l, &err),
	    GR_MISSING_PARAMETER);
	gr_clear(&err);
	assert_int_equal(lst("root", "A", "B", "F,Z", l, &err),
	    GR_INVALID_REQUEST_STATE);
	gr_clear(&err);

	/* the history: x1 done from A, x2 failed from A */
	assert_int_equal(request_history_get("root", "data", "x1", "B", &r,
			     &err),
	    GR_OK);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "DONE");
	assert_string_equal(json_string_value(json_object_get(r, "source_rse")),
	    "A");
	assert_true(json_is_string(json_object_get(r, "transferred_at")));
	json_decref(r);
	assert_int_equal(request_history_get("root", "data", "x2", "B", &r,
			     &err),
	    GR_OK);
	assert_string_equal(json_string_value(json_object_get(r, "state")),
	    "FAILED");
	assert_int_equal(json_integer_value(json_object_get(r, "retry_count")),
	    3);
	json_decref(r);
	assert_int_equal(request_history_get("alice", "data", "x1", "B", &r,
			     &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(request_history_get("root", "data", "x3", "A", &r,
			     &err),
	    GR_REQUEST_NOT_FOUND);
	gr_clear(&err);
	json_array_clear(l);
	assert_int_equal(hist("root", "A", "B", "F", 0, 0, l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(l, 0), "name")),
	    "x2");
	json_array_clear(l);
	/* done A -> B: x1, x4, y1..y8, z1, z2 */
	assert_int_equal(hist("root", "A", "B", "DONE", 0, 0, l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 12);
	json_array_clear(l);
	assert_int_equal(hist("root", "A", "B", "DONE", 9, 5, l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 3);
	json_array_clear(l);
	assert_int_equal(hist("root", "A", "B", "D", 0, 3, l, &err), GR_OK);
	assert_int_equal(json_array_size(l), 3);
	assert_int_equal(hist("alice", "A", "B", "D", 0, 0, l, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	assert_int_equal(hist("root", "A", "B", "", 0, 0, l, &err),
	    GR_MISSING_PARAMETER);
	gr_clear(&err);

	/* by site (the RSE attribute "site"): A and C at one, B at another */
	site = json_string("CERN");
	assert_int_equal(rse_attr_set("root", "A", "site", site, &err), GR_OK);
	assert_int_equal(rse_attr_set("root", "C", "site", site, &err), GR_OK);
	json_decref(site);
	site = json_string("DESY");
	assert_int_equal(rse_attr_set("root", "B", "site", site, &err), GR_OK);
	json_decref(site);
	json_array_clear(l);
	/* x2 failed from A, x5 from C, both to B */
	assert_int_equal(lst_by("root", true, "CERN", "DESY", "F", l, &err),
	    GR_OK);
	assert_int_equal(json_array_size(l), 2);
	json_array_clear(l);
	assert_int_equal(lst_by("root", true, "DESY", "CERN", "F", l, &err),
	    GR_OK);
	assert_int_equal(json_array_size(l), 0);
	assert_int_equal(lst_by("root", true, "CERN", "NOWHERE", "F", l, &err),
	    GR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "NOWHERE"));
	gr_clear(&err);
	assert_int_equal(lst_by("root", true, "CERN", NULL, "F", l, &err),
	    GR_MISSING_PARAMETER);
	gr_clear(&err);
	assert_int_equal(lst_by("alice", true, "CERN", "DESY", "F", l, &err),
	    GR_ACCESS_DENIED);
	gr_clear(&err);
	json_array_clear(l);
	assert_int_equal(request_history_list("root", &f, 0, 0, collect, l,
			     &err),
	    GR_OK);
	/* the history's failures A -> B (x2) and C -> B (x5) */
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
}

static int
setup(void **state)
{
	const char *const rses[] = { "A", "B", "C" };

	(void)state;
	log_set_level(LOG_WARN); /* each failed attempt is an info line */
	if (testlib_store_rses(home, rses, 3) != 0)
		return -1;
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
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_retry_then_stuck),
		cmocka_unit_test(test_requeue),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_no_sources),
		cmocka_unit_test_teardown(test_rule_deleted_mid_copy,
		    copier_kill),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("mover", tests, setup, teardown);
}
