/*
 * test_drm.c -- the DRM layer with the local backend: real supervisors,
 * real processes, a real store in a temporary home. test_drm_slurm.c runs
 * the same tests against the one-node Slurm of scripts/slurm-local.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "drm.h"
#include "testlib.h"
#include "util.h"

#ifdef DRM_TEST_SLURM
#define DRM_TEST_BACKEND "slurm"
#define SLURM            true
#else
#define DRM_TEST_BACKEND "local"
#define SLURM            false
#endif

static char home[TEST_PATH_MAX] = "gr-drm";

/*
 * test_lost_supervisor kills a supervisor as a power cut would: the next
 * process to open the store recovers it, and this process's handles of
 * the recovered environment can then never be freed (store.c abandons
 * them; BDB frees nothing of a panicked environment). LeakSanitizer is
 * told so, for BDB's own allocations in this program only.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:__os_malloc\nleak:__os_realloc\n";
}
static char work[4096];
/* The hook runs in whichever process changes the state (a supervisor):
   it leaves the states it saw in the store, "hook.<id>" in TBL_META. */
static int
trace_hook(struct st_txn *t, const json_t *rec, struct gr_err *err)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	char kbuf[64];
	json_t *seen = NULL;
	DBT key;
	int ret;

	key = st_dbt(kbuf, (size_t)snprintf(kbuf, sizeof(kbuf), "hook.%s", id));
	ret = st_get_json(t, TBL_META, &key, &seen, DB_RMW);
	if (ret == DB_NOTFOUND)
		seen = json_pack("{s:[]}", "states");
	else if (ret != 0)
		return st_fail(err, ret);
	json_array_append(json_object_get(seen, "states"),
	    json_object_get(rec, "state"));
	ret = st_put_json(t, TBL_META, &key, seen, 0);
	json_decref(seen);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
hook_seen_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const char **a = arg;
	char kbuf[64];
	json_t *seen = NULL;
	DBT key;
	int ret;

	key = st_dbt(kbuf,
	    (size_t)snprintf(kbuf, sizeof(kbuf), "hook.%s", a[0]));
	if ((ret = st_get_json(t, TBL_META, &key, &seen, 0)) != 0)
		return st_fail(err, ret);
	a[1] = testlib_dumps(json_incref(json_object_get(seen, "states")));
	json_decref(seen);
	return GR_OK;
}

static const char *
hook_seen(const char *id)
{
	const char *a[2] = { id, NULL };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(hook_seen_txn, a, 0, &err), GR_OK);
	return a[1];
}

static uid_t job_uid; /* the test account's job user */
static gid_t job_gid;

static int
setup(void **state)
{
	struct gr_err err = { 0 };

	(void)state;
	setenv("GRIDREST_DRM_BACKEND", DRM_TEST_BACKEND, 1);
	setenv("GRIDREST_DRM_SLOTS", "2", 1);
	setenv("GRIDREST_DRM_GRACE", "1", 1);
	/* ten job uids (those scripts/slurm-local gives passwd entries) */
	setenv("GRIDREST_JOB_UID_MIN", "3000000", 1);
	setenv("GRIDREST_JOB_UID_MAX", "3000009", 1);
	/* the trace hook is this process's: supervisors forked from it
	   carry it, exec'd ones (gridrest-drm-supervisor, which the smoke
	   tests run) would not */
	setenv("GRIDREST_DRM_SUPERVISOR", "fork", 1);
	if (SLURM && system("scripts/slurm-local status") != 0) {
		fprintf(stderr,
		    "# Slurm is not running: make check starts "
		    "it (scripts/slurm-local start)\n");
		return -1;
	}
	if (testlib_store_open(home) != 0)
		return -1;
	cfg.home = home;
	/* Slurm enters the working directory as the job user */
	if (chmod(home, 0711) != 0)
		return -1;
	(void)snprintf(work, sizeof(work), "%s/work", home);
	if (mkdir(work, 0700) != 0 ||
	    drm_account_user("drmtest", &job_uid, &job_gid, &err) != GR_OK ||
	    chown(work, job_uid, job_gid) != 0)
		return -1;
	drm_register("test", trace_hook);
	return 0;
}

static int
teardown(void **state)
{
	int rc, i;

	(void)state;
	/* a supervisor started last may still be closing its store */
	rc = testlib_store_remove(home);
	for (i = 0; rc != 0 && i < 50; i++) {
		usleep(100000);
		rc = nftw(home, testlib_rm, 16, FTW_DEPTH | FTW_PHYS);
	}
	if (rc != 0)
		perror("# remove");
	return rc;
}

static struct drm_spec
spec_of(const char *const *argv, const char *out)
{
	struct drm_spec s;

	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.cwd = work;
	s.out = out;
	s.err = "err.txt";
	s.client = "test";
	s.ref = "r";
	s.uid = job_uid;
	s.gid = job_gid;
	return s;
}

#ifdef DRM_TEST_SLURM
/* The record of id as if Slurm had run it under an id it never gave. */
static int
forge_native_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	json_t *rec = NULL;
	DBT key = st_dbt(arg, DRM_ID_LEN);
	int ret;

	if ((ret = drm_get_txn(t, arg, &rec, DB_RMW)) != 0)
		return st_fail(err, ret);
	json_object_set_new(rec, "native_id", json_string("99999999"));
	json_object_set_new(rec, "state", json_string("RUNNING"));
	ret = st_put_json(t, TBL_DRM, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}
#endif

struct submit_args {
	const struct drm_spec *spec;
	json_t *ids;
};

static int
submit_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct submit_args *a = arg;

	json_array_clear(a->ids);
	return drm_submit_txn(t, a->spec, a->ids, err);
}

/* Submit and start; the new ids (new reference). */
static json_t *
submit(const struct drm_spec *s)
{
	struct submit_args a = { s, json_array() };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_OK);
	assert_int_equal(drm_start(a.ids, &err), GR_OK);
	return a.ids;
}

static const char *
id_at(const json_t *ids, size_t i)
{
	return json_string_value(json_array_get(ids, i));
}

/* The record once its state is not `unless' (or final), within secs. */
static json_t *
wait_state(const char *id, bool final, const char *want, int secs)
{
	struct timespec ts = { 0, 50000000L };
	struct gr_err err = { 0 };
	json_t *rec = NULL;
	const char *st;
	int i;

	if (SLURM)
		secs *= 4; /* a busy Slurm schedules every second or so */
	for (i = 0; i < secs * 20; i++) {
		json_decref(rec);
		assert_int_equal(drm_status(id, &rec, &err), GR_OK);
		st = json_string_value(json_object_get(rec, "state"));
		if ((final && drm_final(st)) ||
		    (want != NULL && strcmp(st, want) == 0))
			return rec;
		nanosleep(&ts, NULL);
	}
	return rec;
}

static const char *
state(const json_t *rec)
{
	return json_string_value(json_object_get(rec, "state"));
}

static json_int_t
num(const json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

static char *
slurp(const char *name)
{
	static char buf[8192];
	char path[8192];
	FILE *f;
	size_t n;

	(void)snprintf(path, sizeof(path), "%s/%s", work, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_echo_done(void **state_)
{
	/* a shell would expand these; execve passes them as they are */
	const char *argv[] = { "/bin/echo", "$HOME; rm -rf /", "`id`", NULL };
	struct drm_spec s = spec_of(argv, "echo.out");
	json_t *ids, *rec;

	(void)state_;
	ids = submit(&s);
	assert_int_equal(json_array_size(ids), 1);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	assert_int_equal(num(rec, "exit_code"), 0);
	assert_true(num(rec, "started_at") > 0);
	assert_true(num(rec, "ended_at") >= num(rec, "started_at"));
	assert_string_equal(slurp("echo.out"), "$HOME; rm -rf / `id`\n");
	/* Slurm's states are seen when asked: RUNNING may pass unseen */
	if (SLURM)
		assert_non_null(strstr(hook_seen(id_at(ids, 0)), "\"DONE\"]"));
	else
		assert_string_equal(hook_seen(id_at(ids, 0)),
		    "[\"RUNNING\",\"DONE\"]");
	json_decref(rec);
	json_decref(ids);
}

/* What a shell command prints in this process ("" if it fails). */
static void
own_output(const char *cmd, char *buf, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = p != NULL ? fread(buf, 1, cap - 1, p) : 0;

	buf[n] = '\0';
	if (p != NULL)
		(void)pclose(p);
}

/*
 * A job runs as its account's job user, whoever runs the test: as root,
 * the uid the store gave the account (from GRIDREST_JOB_UID_MIN..MAX), its
 * group and no other; otherwise the service cannot change users, and the
 * job runs with exactly the test's own identity. Never as root: a spec
 * that names uid 0 (an account without a job user) does not run as root
 * either.
 */
static void
test_runs_unprivileged(void **state_)
{
	const char *argv[] = { "/bin/sh", "-c", "id -u; id -g; id -G", NULL };
	struct drm_spec s = spec_of(argv, "id.out");
	char want[512], groups[256];
	json_t *ids, *rec;
	const char *out;

	(void)state_;
	if (geteuid() == 0) {
		assert_in_range(job_uid, 3000000, 3000009);
		assert_int_equal(job_gid, job_uid);
		(void)snprintf(groups, sizeof(groups), "%u\n",
		    (unsigned)job_gid);
	} else {
		assert_int_equal(job_uid, geteuid());
		assert_int_equal(job_gid, getegid());
		own_output("id -G", groups, sizeof(groups));
	}
	(void)snprintf(want, sizeof(want), "%u\n%u\n%s", (unsigned)job_uid,
	    (unsigned)job_gid, groups);
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	out = slurp("id.out");
	assert_non_null(out);
	assert_string_equal(out, want);
	json_decref(rec);
	json_decref(ids);

	/* uid 0 asked for: the job fails or runs as the test (not root) */
	s = spec_of(argv, "id0.out");
	s.uid = 0;
	s.gid = 0;
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	out = slurp("id0.out");
	if (geteuid() == 0) {
		assert_string_equal(state(rec), "FAILED");
		assert_true(out == NULL || *out == '\0');
	} else {
		assert_string_equal(state(rec), "DONE");
		assert_string_equal(out, want);
	}
	json_decref(rec);
	json_decref(ids);
}

/* Submit s and wait for its end: is its final state want? */
static void
ends_as(const struct drm_spec *s, const char *want)
{
	json_t *ids = submit(s);
	json_t *rec = wait_state(id_at(ids, 0), true, NULL, 20);

	assert_string_equal(state(rec), want);
	json_decref(rec);
	json_decref(ids);
}

/* make_cwd: the working directory (and its parent) come with the job */
static void
test_make_cwd(void **state_)
{
	const char *argv[] = { "/bin/echo", "here", NULL };
	struct drm_spec s = spec_of(argv, "out.txt");
	char parent[8192], cwd[8192 + 8];
	struct stat sb;

	(void)state_;
	(void)snprintf(parent, sizeof(parent), "%s/lazy", work);
	(void)snprintf(cwd, sizeof(cwd), "%s/run", parent);
	s.cwd = cwd;
	/* without make_cwd a missing directory fails the job */
	ends_as(&s, "FAILED");
	assert_int_equal(stat(parent, &sb), -1);
	s.make_cwd = true;
	ends_as(&s, "DONE");
	assert_int_equal(stat(parent, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0711);
	assert_int_equal(stat(cwd, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_string_equal(slurp("lazy/run/out.txt"), "here\n");
}

static void
test_failure_and_missing_program(void **state_)
{
	const char *fail[] = { "/bin/false", NULL };
	const char *missing[] = { "/no/such/program", NULL };
	struct drm_spec s = spec_of(fail, NULL);
	json_t *ids, *ids2, *rec;

	(void)state_;
	ids = submit(&s);
	s.argv = missing;
	s.err = "missing.err";
	ids2 = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "FAILED");
	assert_int_equal(num(rec, "exit_code"), 1);
	json_decref(rec);
	rec = wait_state(id_at(ids2, 0), true, NULL, 10);
	assert_string_equal(state(rec), "FAILED");
	assert_int_equal(num(rec, "exit_code"), 127);
	assert_non_null(strstr(slurp("missing.err"), "/no/such/program"));
	json_decref(rec);
	json_decref(ids);
	json_decref(ids2);
}

static void
test_time_limit(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	json_t *ids, *rec;
	int64_t t0 = time_now();

	(void)state_;
	s.time_limit = 1;
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 15);
	assert_string_equal(state(rec), "TIMEOUT");
	assert_int_equal(num(rec, "signal"), SIGTERM);
	assert_true(time_now() - t0 < 10);
	json_decref(rec);
	json_decref(ids);
}

static void
test_cancel_running_and_queued(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	struct gr_err err = { 0 };
	json_t *ids, *rec;

	(void)state_;
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), false, "RUNNING", 10);
	assert_string_equal(state(rec), "RUNNING");
	json_decref(rec);
	assert_int_equal(drm_cancel(id_at(ids, 0), &err), GR_OK);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "CANCELLED");
	json_decref(rec);
	/* cancelling a final job changes nothing */
	assert_int_equal(drm_cancel(id_at(ids, 0), &err), GR_OK);
	assert_int_equal(drm_status(id_at(ids, 0), &rec, &err), GR_OK);
	assert_string_equal(state(rec), "CANCELLED");
	json_decref(rec);
	json_decref(ids);
	assert_int_equal(drm_cancel("0000000000099999", &err), GR_NOT_FOUND);
}

#ifndef DRM_TEST_SLURM
static void
test_slots_queue(void **state_)
{
	const char *argv[] = { "sleep", "1", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	json_t *ids[3], *rec[3];
	int i;

	(void)state_;
	/* two slots: the third job waits for one of the first two */
	for (i = 0; i < 3; i++)
		ids[i] = submit(&s);
	for (i = 0; i < 3; i++) {
		rec[i] = wait_state(id_at(ids[i], 0), true, NULL, 15);
		assert_string_equal(state(rec[i]), "DONE");
	}
	assert_true(num(rec[2], "started_at") >=
	    (num(rec[0], "ended_at") < num(rec[1], "ended_at")
		    ? num(rec[0], "ended_at")
		    : num(rec[1], "ended_at")));
	for (i = 0; i < 3; i++) {
		json_decref(rec[i]);
		json_decref(ids[i]);
	}
}

#endif

static void
test_dependencies(void **state_)
{
	const char *fail[] = { "/bin/false", NULL };
	const char *ok[] = { "/bin/true", NULL };
	struct drm_spec s = spec_of(fail, NULL);
	json_t *first, *a, *b, *c, *ra, *rb, *rc;

	(void)state_;
	first = submit(&s);
	s.argv = ok;
	s.ndeps = 1;
	s.deps[0].id = id_at(first, 0);
	s.deps[0].type = DRM_AFTEROK;
	a = submit(&s);
	s.deps[0].type = DRM_AFTERNOTOK;
	b = submit(&s);
	s.deps[0].type = DRM_AFTERANY;
	c = submit(&s);
	ra = wait_state(id_at(a, 0), true, NULL, 10);
	rb = wait_state(id_at(b, 0), true, NULL, 10);
	rc = wait_state(id_at(c, 0), true, NULL, 10);
	assert_string_equal(state(ra), "FAILED");
	assert_non_null(strstr(json_string_value(json_object_get(ra, "reason")),
	    "dependency"));
	assert_null(json_object_get(ra, "started_at"));
	assert_string_equal(state(rb), "DONE");
	assert_string_equal(state(rc), "DONE");
	json_decref(ra);
	json_decref(rb);
	json_decref(rc);
	json_decref(first);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void
test_array(void **state_)
{
	const char *argv[] = { "/usr/bin/env", NULL };
	struct drm_spec s = spec_of(argv, "arr_%a.out");
	char name[32], want[64], *out;
	json_t *ids, *rec;
	size_t i;

	(void)state_;
	s.array = true;
	s.array_start = 1;
	s.array_end = 5;
	s.array_step = 2;
	ids = submit(&s);
	assert_int_equal(json_array_size(ids), 3);
	for (i = 0; i < 3; i++) {
		rec = wait_state(id_at(ids, i), true, NULL, 10);
		assert_string_equal(state(rec), "DONE");
		assert_int_equal(num(rec, "array_index"), 1 + 2 * (long)i);
		/* each task its own stdout: %a is its index */
		(void)snprintf(name, sizeof(name), "arr_%ld.out",
		    1 + 2 * (long)i);
		(void)snprintf(want, sizeof(want), "\n%s=%ld\n",
		    "GRIDREST_ARRAY_TASK_ID", 1 + 2 * (long)i);
		out = slurp(name);
		assert_non_null(out);
		assert_non_null(strstr(out, want));
		json_decref(rec);
	}
	json_decref(ids);
}

static void
test_env_and_output_names(void **state_)
{
	const char *argv[] = { "/usr/bin/env", NULL };
	const char *env[] = { "GREETING=hello world", NULL };
	struct drm_spec s = spec_of(argv, "env.out");
	json_t *ids, *rec;
	char *out;

	(void)state_;
	s.env = env;
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	out = slurp("env.out");
	assert_non_null(strstr(out, "GREETING=hello world\n"));
	assert_non_null(strstr(out, "GRIDREST_DRM_ID="));
	assert_null(strstr(out, "GRIDREST_HOME=")); /* a clean environment */
	json_decref(rec);
	json_decref(ids);
}

static void
test_bad_specs(void **state_)
{
	const char *argv[] = { "/bin/true", NULL };
	const char *none[] = { NULL };
	struct drm_spec s = spec_of(argv, "../escape");
	struct submit_args a = { &s, json_array() };
	struct gr_err err = { 0 };

	(void)state_;
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.out = "/etc/passwd";
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.out = NULL;
	s.cwd = "relative";
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.cwd = work;
	s.argv = none;
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.argv = argv;
	s.ndeps = 1;
	s.deps[0].id = "0000000000077777";
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.ndeps = 0;
	s.array = true;
	s.array_start = 5;
	s.array_end = 1;
	s.array_step = 1;
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	s.array = false;
	s.queue = "two words";
	gr_clear(&err);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_INVALID_VALUE);
	assert_non_null(strstr(err.msg, "queue"));
	assert_int_equal(json_array_size(a.ids), 0); /* nothing was stored */
	json_decref(a.ids);
}

/* A queue is Slurm's partition; the local backend, with its one queue,
   records the name only. "local" names the default. */
static void
test_queue(void **state_)
{
	const char *argv[] = { "/bin/true", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	json_t *ids, *rec;

	(void)state_;
	s.queue = SLURM ? "debug" : "gpu";
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 30);
	assert_string_equal(state(rec), "DONE");
	assert_string_equal(json_string_value(json_object_get(rec, "queue")),
	    s.queue);
	json_decref(rec);
	json_decref(ids);
	s.queue = "local";
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 30);
	assert_string_equal(state(rec), "DONE");
	assert_null(json_object_get(rec, "queue"));
	json_decref(rec);
	json_decref(ids);
	if (!SLURM)
		return;
	/* a partition Slurm does not have: FAILED, with sbatch's word */
	s.queue = "nosuchpartition";
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 30);
	assert_string_equal(state(rec), "FAILED");
	assert_non_null(
	    strstr(json_string_value(json_object_get(rec, "reason")),
		"sbatch refused the job: "));
	assert_non_null(
	    strstr(json_string_value(json_object_get(rec, "reason")),
		"artition"));
	json_decref(rec);
	json_decref(ids);
}

#ifndef DRM_TEST_SLURM
/*
 * A running job's process (its group's leader), as its slot's file names
 * it: that file, its id and a live pid, or the test fails.
 */
static pid_t
slot_job(const json_t *rec)
{
	char path[sizeof(home) + 32], line[256], id[32];
	unsigned long long start;
	long pid = 0;
	FILE *f;
	int i;

	assert_true(json_is_integer(json_object_get(rec, "slot")));
	(void)snprintf(path, sizeof(path), "%s/drm/slots/%lld", home,
	    (long long)num(rec, "slot"));
	/* written just after the job started, which may be a moment after
	   the record said RUNNING */
	for (i = 0; i < 100; i++) {
		assert_non_null(f = fopen(path, "r"));
		if (fgets(line, sizeof(line), f) != NULL &&
		    sscanf(line, "%31s %ld %llu", id, &pid, &start) == 3 &&
		    strcmp(id, json_string_value(json_object_get(rec, "id"))) ==
			0) {
			fclose(f);
			break;
		}
		fclose(f);
		pid = 0;
		usleep(20000);
	}
	assert_true(pid > 1);
	assert_int_equal(drm_proc_start((pid_t)pid), start);
	return (pid_t)pid;
}

/* The supervisor of a running job killed: the job's pid and the record. */
static pid_t
orphan(json_t *ids, json_t **rec)
{
	pid_t sup, job;
	int i;

	*rec = wait_state(id_at(ids, 0), false, "RUNNING", 10);
	assert_string_equal(state(*rec), "RUNNING");
	sup = (pid_t)num(*rec, "pid");
	job = slot_job(*rec);
	/* the supervisor dies without a word, as at a power cut */
	assert_int_equal(kill(sup, SIGKILL), 0);
	for (i = 0; i < 100 && drm_proc_start(sup) != 0; i++)
		usleep(20000);
	assert_int_equal(drm_proc_start(sup), 0);
	return job;
}

static void
test_lost_supervisor(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	struct gr_err err = { 0 };
	json_t *ids, *rec;
	unsigned changed;
	pid_t job;
	int i;

	(void)state_;
	ids = submit(&s);
	job = orphan(ids, &rec);
	json_decref(rec);
	assert_true(drm_proc_start(job) != 0); /* still running */
	assert_int_equal(drm_reconcile(&changed, &err), GR_OK);
	assert_true(changed >= 1);
	assert_int_equal(drm_status(id_at(ids, 0), &rec, &err), GR_OK);
	assert_string_equal(state(rec), "LOST");
	assert_non_null(json_object_get(rec, "reason"));
	/* and the orphaned job was ended */
	for (i = 0; i < 100 && drm_proc_start(job) != 0; i++)
		usleep(20000);
	assert_int_equal(drm_proc_start(job), 0);
	json_decref(rec);
	json_decref(ids);
}

/* Wait until no supervisor of this home holds a slot (lingering ones
   give theirs back within two seconds). */
static void
slots_idle(void)
{
	char path[sizeof(home) + 32];
	int i, n, fd, busy = 1;

	for (i = 0; i < 250 && busy; i++) {
		busy = 0;
		for (n = 0; n < DRM_SLOTS_MAX; n++) {
			(void)snprintf(path, sizeof(path), "%s/drm/slots/%d",
			    home, n);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			if (flock(fd, LOCK_EX | LOCK_NB) != 0)
				busy = 1;
			close(fd);
		}
		if (busy)
			usleep(20000);
	}
	assert_int_equal(busy, 0);
}

/*
 * Every supervisor killed while a job waits in the queue: the queued job
 * starts at the next look, with no submission to start a supervisor.
 */
static void
test_dead_supervisors_queue(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	const char *quick[] = { "true", NULL };
	struct drm_spec s = spec_of(argv, NULL), q = spec_of(quick, NULL);
	json_t *ids[2], *queued, *rec;
	pid_t sup;
	int i, k;

	(void)state_;
	slots_idle();
	for (k = 0; k < 2; k++) /* both slots busy */
		ids[k] = submit(&s);
	for (k = 0; k < 2; k++) {
		rec = wait_state(id_at(ids[k], 0), false, "RUNNING", 10);
		assert_string_equal(state(rec), "RUNNING");
		json_decref(rec);
	}
	queued = submit(&q);
	rec = wait_state(id_at(queued, 0), true, NULL, 1);
	assert_string_equal(state(rec), "QUEUED");
	json_decref(rec);
	for (k = 0; k < 2; k++) { /* a power cut of both supervisors */
		rec = wait_state(id_at(ids[k], 0), false, "RUNNING", 1);
		sup = (pid_t)num(rec, "pid");
		json_decref(rec);
		assert_int_equal(kill(sup, SIGKILL), 0);
		for (i = 0; i < 100 && drm_proc_start(sup) != 0; i++)
			usleep(20000);
	}
	/* a look finds a supervisor dead: the queued job runs, with no
	   submission to start a supervisor */
	rec = wait_state(id_at(ids[0], 0), true, NULL, 10);
	assert_string_equal(state(rec), "LOST");
	json_decref(rec);
	rec = wait_state(id_at(queued, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	json_decref(rec);
	for (k = 0; k < 2; k++) {
		rec = wait_state(id_at(ids[k], 0), true, NULL, 10);
		assert_string_equal(state(rec), "LOST");
		json_decref(rec);
		json_decref(ids[k]);
	}
	json_decref(queued);
}

/* Nobody looked at the lost job: the next holder of its slot ends it. */
static void
test_lost_supervisor_slot(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	const char *quick[] = { "true", NULL };
	struct drm_spec s = spec_of(argv, NULL), q = spec_of(quick, NULL);
	json_t *ids, *ids2, *rec;
	pid_t job;
	int i;

	(void)state_;
	/* every slot free: the job's supervisor takes the first, 0 */
	slots_idle();
	ids = submit(&s);
	job = orphan(ids, &rec);
	assert_int_equal(num(rec, "slot"), 0);
	json_decref(rec);
	assert_true(drm_proc_start(job) != 0);
	/* no supervisor left to wake: the submission takes a free slot,
	   the lowest, 0 */
	ids2 = submit(&q);
	rec = wait_state(id_at(ids2, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	json_decref(rec);
	for (i = 0; i < 100 && drm_proc_start(job) != 0; i++)
		usleep(20000);
	assert_int_equal(drm_proc_start(job), 0);
	json_decref(ids2);
	json_decref(ids);
}
#endif

#ifndef DRM_TEST_SLURM
/* Wait until a supervisor of this home listens on the wake FIFO: a
   writer's non-blocking open succeeds only while a reader holds it. */
static bool
wake_listened(void)
{
	char path[sizeof(home) + 32];
	int i, fd = -1;

	(void)snprintf(path, sizeof(path), "%s/drm/wake", home);
	for (i = 0; i < 500 && fd < 0; i++) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			usleep(20000);
	}
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * A job submitted while a supervisor idles is taken by that supervisor,
 * through the wake FIFO: no new process. The supervisor listens only
 * once it has recorded its job's end and opened the FIFO; a submission
 * between the two finds no listener and rightly starts a supervisor of
 * its own, so the test submits again only once the first one listens
 * (it once failed under load by submitting in that gap). And the first
 * job must start a supervisor of its own, with the long linger set here:
 * one of an earlier test, lingering 2 s, may have left before the second
 * submission on a loaded machine.
 */
static void
test_idle_supervisor_takes_next(void **state_)
{
	const char *argv[] = { "/bin/true", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	char path[sizeof(home) + 32];
	json_t *ids, *rec;
	struct stat sb;
	pid_t first;

	(void)state_;
	slots_idle(); /* no supervisor of an earlier test is left */
	setenv("GRIDREST_DRM_LINGER_MS", "30000", 1);
	ids = submit(&s);
	unsetenv("GRIDREST_DRM_LINGER_MS");
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	first = (pid_t)num(rec, "pid");
	json_decref(rec);
	json_decref(ids);
	(void)snprintf(path, sizeof(path), "%s/drm/wake", home);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	assert_true(wake_listened()); /* it lingers, listening */

	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	assert_int_equal(num(rec, "pid"), first);
	json_decref(rec);
	json_decref(ids);
}

#endif

#ifdef DRM_TEST_SLURM
/* A job Slurm has no trace of, and no exit status: LOST, not Running
   for ever. */
static void
test_slurm_forgotten(void **state_)
{
	const char *argv[] = { "/bin/true", NULL };
	struct drm_spec s = spec_of(argv, NULL);
	struct submit_args a = { &s, json_array() };
	struct gr_err err = { 0 };
	json_t *rec;

	(void)state_;
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_OK);
	assert_int_equal(st_txn_run(forge_native_txn,
			     (void *)(uintptr_t)id_at(a.ids, 0), &err),
	    GR_OK);
	assert_int_equal(drm_status(id_at(a.ids, 0), &rec, &err), GR_OK);
	assert_string_equal(state(rec), "LOST");
	json_decref(rec);
	json_decref(a.ids);
}

/*
 * A job cancelled in Slurm by someone else (an operator's scancel, or
 * Slurm itself) failed; "stopped by the user" (CANCELLED) is only for a
 * stop asked through the service (test_cancel_running_and_queued), as
 * DRMAAtic, whose slurm-drmaa calls any other cancellation FAILED.
 */
static void
test_slurm_cancelled_outside(void **state_)
{
	const char *argv[] = { "sleep", "30", NULL };
	const char *conf = getenv("GRIDREST_DRM_SLURM_CONF"), *reason;
	struct drm_spec s = spec_of(argv, NULL);
	char cmd[64];
	json_t *ids, *rec;

	(void)state_;
	ids = submit(&s);
	rec = wait_state(id_at(ids, 0), false, "RUNNING", 10);
	assert_string_equal(state(rec), "RUNNING");
	(void)snprintf(cmd, sizeof(cmd), "scancel %lld",
	    (long long)strtoll(json_string_value(
				   json_object_get(rec, "native_id")),
		NULL, 10));
	json_decref(rec);
	if (conf != NULL)
		setenv("SLURM_CONF", conf, 1);
	assert_int_equal(system(cmd), 0);
	rec = wait_state(id_at(ids, 0), true, NULL, 10);
	assert_string_equal(state(rec), "FAILED");
	/* as Slurm says it ("cancelled in Slurm"), or as the job's exit
	   file does: its command died of scancel's SIGTERM before the
	   runner's own handler ran */
	reason = json_string_value(json_object_get(rec, "reason"));
	assert_true(
	    (reason != NULL && strcmp(reason, "cancelled in Slurm") == 0) ||
	    num(rec, "signal") == SIGTERM);
	json_decref(rec);
	json_decref(ids);
}
#endif

static void
test_capabilities(void **state_)
{
	json_t *caps = drm_capabilities(DRM_TEST_BACKEND);
	size_t i;
	json_t *c;
	bool arr = false, dep = false, queue = false;

	(void)state_;
	json_array_foreach(caps, i, c) {
		arr |= strcmp(json_string_value(c), "array") == 0;
		dep |= strcmp(json_string_value(c), "afternotok") == 0;
		queue |= strcmp(json_string_value(c), "queue") == 0;
	}
	assert_true(arr && dep);
	assert_true(queue == SLURM); /* partitions are Slurm's */
	json_decref(caps);
}

/* --- job uids --------------------------------------------------------- */

/*
 * n processes, each with its own store handle, ask at once for the uid
 * of account (NULL: each its own, "acct<i>"); their answers in uids.
 */
static void
alloc_at_once(const char *account, int n, uid_t *uids)
{
	int go[2], back[2], i, status;
	pid_t pids[8];
	char c;

	assert_true(n <= 8);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(back), 0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct gr_err err = { 0 };
			char name[16];
			uint32_t u[2] = { (uint32_t)i, 0 };

			close(go[1]);
			st_after_fork();
			if (st_open(home, 0, &err) != GR_OK)
				_exit(2);
			(void)snprintf(name, sizeof(name), "acct%d", i);
			/* all wait for the word, then ask together */
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			if (drm_uid_alloc(account != NULL ? account : name,
				&u[1], &err) != GR_OK)
				_exit(4);
			if (write(back[1], u, sizeof(u)) != (ssize_t)sizeof(u))
				_exit(5);
			st_close();
			_exit(0);
		}
	}
	close(go[0]);
	close(back[1]);
	close(go[1]); /* the word: EOF for all at once */
	for (i = 0; i < n; i++) {
		uint32_t u[2];

		assert_int_equal(read(back[0], u, sizeof(u)), sizeof(u));
		assert_true(u[0] < (uint32_t)n);
		uids[u[0]] = (uid_t)u[1];
	}
	close(back[0]);
	for (i = 0; i < n; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* Two first submissions of one account at once get one uid; accounts
   asking at once get one each, never another's */
static void
test_uid_once_per_account(void **state_)
{
	struct gr_err err = { 0 };
	uid_t same[4], own[4], again;
	int i, j;

	(void)state_;
	alloc_at_once("racer", 4, same);
	for (i = 1; i < 4; i++)
		assert_int_equal(same[i], same[0]);
	assert_int_equal(drm_uid_alloc("racer", &again, &err), GR_OK);
	assert_int_equal(again, same[0]); /* recorded: the same one later */
	assert_true(same[0] >= 3000000 && same[0] <= 3000009);
	assert_true(same[0] != job_uid);
	alloc_at_once(NULL, 4, own);
	for (i = 0; i < 4; i++) {
		assert_true(own[i] >= 3000000 && own[i] <= 3000009);
		assert_true(own[i] != same[0] && own[i] != job_uid);
		for (j = 0; j < i; j++)
			assert_true(own[i] != own[j]);
	}
}

/* A used-up range is a clear error for a new account, none for others */
static void
test_uid_range_exhausted(void **state_)
{
	struct gr_err err = { 0 };
	char name[16];
	uid_t u, seen[10];
	int i, n = 0, rc = GR_OK;

	(void)state_;
	for (i = 0; i < 12 && rc == GR_OK; i++) {
		(void)snprintf(name, sizeof(name), "full%d", i);
		gr_clear(&err);
		rc = drm_uid_alloc(name, &u, &err);
		if (rc == GR_OK) {
			assert_true(n < 10);
			seen[n++] = u;
		}
	}
	assert_int_equal(rc, GR_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "no job uid is left"));
	assert_non_null(strstr(err.msg, "GRIDREST_JOB_UID_MAX"));
	assert_true(n < 10);
	for (i = 0; i < n; i++)
		assert_true(seen[i] >= 3000000 && seen[i] <= 3000009);
	/* 10 in all: drmtest, racer, acct0-3 and the n above */
	assert_int_equal(n, 10 - 6);
	assert_int_equal(seen[n - 1], 3000009);
	/* the one that failed is not recorded; known accounts still work */
	gr_clear(&err);
	assert_int_equal(drm_uid_alloc("drmtest", &u, &err), GR_OK);
	assert_int_equal(u, job_uid);
	assert_int_equal(drm_uid_alloc(name, &u, &err), GR_UNAVAILABLE);
	gr_clear(&err);
	assert_int_equal(drm_uid_alloc("", &u, &err), GR_INVALID_VALUE);
}

/*
 * A held job (a child task's, whose uploads move after the commit) is
 * not started, nor claimed by a supervisor that ends another job, until
 * drm_release(); then drm_start() runs it.
 */
static void
test_held_until_released(void **state_)
{
	const char *ok[] = { "/bin/true", NULL };
	struct drm_spec s = spec_of(ok, NULL);
	struct gr_err err = { 0 };
	json_t *held, *other, *rec;

	(void)state_;
	s.held = true;
	held = submit(&s);
	s.held = false;
	other = submit(&s);
	rec = wait_state(id_at(other, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	json_decref(rec);
	rec = wait_state(id_at(held, 0), true, NULL, 1);
	assert_string_equal(state(rec), "QUEUED");
	assert_null(json_object_get(rec, "started_at"));
	assert_null(json_object_get(rec, "native_id"));
	assert_true(num(rec, "held_until") > num(rec, "submitted_at"));
	json_decref(rec);
	assert_int_equal(drm_release(held, &err), GR_OK);
	assert_int_equal(drm_start(held, &err), GR_OK);
	rec = wait_state(id_at(held, 0), true, NULL, 10);
	assert_string_equal(state(rec), "DONE");
	assert_null(json_object_get(rec, "held_until"));
	json_decref(rec);
	json_decref(held);
	json_decref(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_done),
		cmocka_unit_test(test_runs_unprivileged),
		cmocka_unit_test(test_failure_and_missing_program),
		cmocka_unit_test(test_make_cwd),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_cancel_running_and_queued),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_held_until_released),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_env_and_output_names),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_uid_once_per_account),
		cmocka_unit_test(test_uid_range_exhausted),
	/* what only one backend has */
#ifdef DRM_TEST_SLURM
		cmocka_unit_test(test_slurm_forgotten),
		cmocka_unit_test(test_slurm_cancelled_outside),
#else
		cmocka_unit_test(test_slots_queue),
		cmocka_unit_test(test_lost_supervisor),
		cmocka_unit_test(test_lost_supervisor_slot),
		cmocka_unit_test(test_dead_supervisors_queue),
		cmocka_unit_test(test_idle_supervisor_takes_next),
#endif
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("drm " DRM_TEST_BACKEND, tests,
	    setup, teardown);
}
