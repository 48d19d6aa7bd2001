/*
 * test_job.c -- DIRAC jobs' core: the state machine, how Arguments become
 * words, sandbox names, parametric expansion, and how DRM states become
 * DIRAC states (the hook, run in a real store). The module's statics are
 * reached by including it (as lighttpd's src/t does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "job.c"
#include "testlib.h"

static char home[TEST_PATH_MAX] = "gr-job";

static int
setup(void **state)
{
	(void)state;
	if (testlib_store_open(home) != 0)
		return -1;
	cfg.home = home;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return testlib_store_remove(home);
}

static void
test_state_machine(void **state)
{
	(void)state;
	assert_true(job_can_move("Received", "Waiting"));
	assert_true(job_can_move("Waiting", "Matched"));
	assert_true(job_can_move("Matched", "Running"));
	assert_true(job_can_move("Running", "Completing"));
	assert_true(job_can_move("Completing", "Done"));
	assert_true(job_can_move("Running", "Killed"));
	assert_true(job_can_move("Done", "Deleted"));
	assert_true(job_can_move("Killed", "Deleted"));
	assert_false(job_can_move("Done", "Killed"));
	assert_false(job_can_move("Waiting", "Running")); /* via Matched */
	assert_false(job_can_move("Waiting", "Failed"));
	assert_false(job_can_move("Deleted", "Deleted"));
	assert_false(job_can_move("Killed", "Running"));
	assert_false(job_can_move("Nonsense", "Done"));
}

/* argv of Arguments as one string "w1|w2|..." */
static const char *
words(const char *args, int *rc)
{
	static char out[512];
	struct gr_err err = { 0 };
	char *argv[ARGS_MAX + 1] = { 0 };
	struct sbuf b = { 0 };
	size_t n = 0, i;

	*rc = split_args(args, argv, &n, &err);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_add(&b, "|", 1);
		sbuf_adds(&b, argv[i]);
		free(argv[i]);
	}
	(void)snprintf(out, sizeof(out), "%.*s", (int)b.len,
	    b.s != NULL ? b.s : "");
	sbuf_free(&b);
	return out;
}

static void
test_split_args(void **state)
{
	int rc;

	(void)state;
	assert_string_equal(words("Hello World", &rc), "Hello|World");
	assert_string_equal(words("  a\tb  ", &rc), "a|b");
	assert_string_equal(words("'a b' \"c d\"", &rc), "a b|c d");
	assert_string_equal(words("$HOME;`id`", &rc), "$HOME;`id`");
	assert_string_equal(words("a\\ b \"q\\\"x\" 'it\\s'", &rc),
	    "a b|q\"x|it\\s");
	assert_string_equal(words("x''y \"\"", &rc), "xy|");
	assert_int_equal(rc, GR_OK);
	(void)words("\"open", &rc);
	assert_int_equal(rc, GR_INVALID_MANIFEST);
	(void)words("'open", &rc);
	assert_int_equal(rc, GR_INVALID_MANIFEST);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(job_name_ok("run.sh", 6));
	assert_true(job_name_ok("données.txt", strlen("données.txt")));
	assert_false(job_name_ok("../x", 4));
	assert_false(job_name_ok("a/b", 3));
	assert_false(job_name_ok("/etc/passwd", 11));
	assert_false(job_name_ok(".hidden", 7));
	assert_false(job_name_ok("..", 2));
	assert_false(job_name_ok("", 0));
	assert_false(job_name_ok("a\\b", 3));
	assert_false(job_name_ok("a\nb", 3));
	assert_false(job_name_ok("\xff\xfe", 2));
}

static void
test_parametric(void **state)
{
	json_t *ms = json_pack("[{s:s, s:s, s:i, s:i, s:i}]", "Executable",
	    "/bin/echo", "Arguments", "v=%s i=%n", "Parameters", 3,
	    "ParameterStart", 2, "ParameterFactor", 2);
	struct gr_err err = { 0 };
	struct plan *plans;
	size_t n, i;

	(void)state;
	assert_int_equal(make_plans(ms, NULL, 0, &plans, &n, &err), GR_OK);
	assert_int_equal(n, 3);
	/* 2, 2*2, 4*2 */
	assert_string_equal(plans[0].argv[1], "v=2");
	assert_string_equal(plans[1].argv[1], "v=4");
	assert_string_equal(plans[2].argv[1], "v=8");
	assert_string_equal(plans[2].argv[2], "i=2");
	assert_string_equal(str(plans[1].manifest, "Parameter"), "4");
	for (i = 0; i < n; i++)
		plan_free(&plans[i]);
	free(plans);
	json_decref(ms);
	ms = json_pack("[{s:s, s:i}]", "Executable", "/bin/true", "Parameters",
	    JOB_PARAMETRIC_MAX + 1);
	assert_int_equal(make_plans(ms, NULL, 0, &plans, &n, &err),
	    GR_INVALID_MANIFEST);
	json_decref(ms);
}

struct hook_args {
	long jid;
	const char *drm_state;
	int exit_code;
	json_t *job;
};

static int
hook_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct hook_args *a = arg;
	char ref[32];
	json_t *drec;
	int rc;

	(void)snprintf(ref, sizeof(ref), "%ld", a->jid);
	drec = json_pack("{s:s, s:s, s:I}", "state", a->drm_state, "ref", ref,
	    "started_at", (json_int_t)1700000000);
	if (drm_final(a->drm_state))
		json_object_set_new(drec, "ended_at", json_integer(1700000060));
	if (a->exit_code >= 0)
		json_object_set_new(drec, "exit_code",
		    json_integer(a->exit_code));
	rc = job_drm_hook(t, drec, err);
	json_decref(drec);
	json_decref(a->job);
	a->job = NULL;
	return rc != GR_OK ? rc : get_job(t, a->jid, &a->job, 0, err);
}

/* Tell the job the DRM state; its record afterwards (a new reference). */
static json_t *
drm_says(long jid, const char *state, int exit_code)
{
	struct hook_args a = { jid, state, exit_code, NULL };
	struct gr_err err = { 0 };

	assert_int_equal(st_txn_run(hook_txn, &a, &err), GR_OK);
	return a.job;
}

/* A job recorded as submitted, with its DRM job QUEUED but never
   started: the hook is driven by hand here, with no supervisor racing. */
static long
submit_as(const char *owner, const char *group, const char *manifest)
{
	json_t *ms = json_loads(manifest, 0, NULL);
	struct submit_args a = { owner, group, NULL, NULL, 0, 0, json_array(),
		json_array(), 0, 0 };
	struct gr_err err = { 0 };
	long jid;

	assert_int_equal(make_plans(ms, NULL, 0, &a.plans, &a.nplans, &err),
	    GR_OK);
	assert_int_equal(st_txn_run(submit_txn, &a, &err), GR_OK);
	jid = (long)json_integer_value(json_array_get(a.jids, 0));
	plan_free(&a.plans[0]);
	free(a.plans);
	json_decref(a.jids);
	json_decref(a.drm_ids);
	json_decref(ms);
	return jid;
}

static long
submit_one(const char *manifest)
{
	return submit_as("root", "user", manifest);
}

/* entries of job_list(issuer, group, allOwners) */
static long
entries(const char *issuer, const char *group)
{
	struct gr_err err = { 0 };
	json_t *out = NULL;
	long n;

	assert_int_equal(job_list(issuer, group, true, NULL, 0, 100, &out,
			     &err),
	    GR_OK);
	n = (long)json_integer_value(json_object_get(out, "entries"));
	json_decref(out);
	return n;
}

static void
test_all_owners(void **state)
{
	static const char *m = "[{\"Executable\": \"/bin/true\"}]";
	struct gr_err err = { 0 };
	long before = entries("root", "user");
	json_t *sum = NULL;

	(void)state;
	(void)submit_as("alice", "lab", m);
	(void)submit_as("alice", "other", m);
	(void)submit_as("bob", "lab", m);
	(void)submit_as("carol", "other", m);
	/* no group shares jobs: a user's allOwners is its own jobs (not
	   401) */
	unsetenv("GRIDREST_JOB_SHARING");
	assert_int_equal(entries("alice", "lab"), 2);
	assert_int_equal(entries("dave", "lab"), 0);
	/* lab shares them: its members see the group's too */
	setenv("GRIDREST_JOB_SHARING", "x,lab", 1);
	assert_int_equal(entries("alice", "lab"), 3);
	assert_int_equal(entries("dave", "lab"), 2);
	assert_int_equal(entries("carol", "other"), 1);
	assert_int_equal(entries("root", "user"), before + 4);
	assert_int_equal(job_summary("dave", "lab", true, NULL, 0, &sum, &err),
	    GR_OK);
	assert_int_equal(json_integer_value(json_object_get(sum, "Waiting")),
	    2);
	json_decref(sum);
	unsetenv("GRIDREST_JOB_SHARING");
}

/* job_get's rights: the record, or the failure code */
static int
read_as(const char *issuer, const char *group, long jid)
{
	struct get_args a = { issuer, share_of(group), jid, NULL };
	struct gr_err err = { 0 };
	int rc = st_view(get_txn, &a, 0, &err);

	json_decref(a.job);
	return rc;
}

/* job_delete's rights and move, killonly (the kill's transaction: no
   signal, no backend kicked) */
static int
kill_as(const char *issuer, const char *group, long jid)
{
	struct delete_args a = { issuer, share_of(group), jid, true, { NULL } };
	struct gr_err err = { 0 };
	int rc = st_txn_run(delete_txn, &a, &err);

	if (rc == GR_OK)
		assert_int_equal(json_array_size(a.kill.ids), 1);
	wl_kill_end(&a.kill, false);
	return rc;
}

/* The job's record and its DRM job's state (static). */
struct states_args {
	long jid;
	char job[32], drm[32];
};

static int
states_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct states_args *a = arg;
	json_t *job, *drec;
	int rc;

	if ((rc = get_job(t, a->jid, &job, 0, err)) != GR_OK)
		return rc;
	(void)snprintf(a->job, sizeof(a->job), "%s", str(job, "status"));
	if (drm_get_txn(t, str(job, "_drm"), &drec, 0) == 0) {
		(void)snprintf(a->drm, sizeof(a->drm), "%s",
		    str(drec, "state"));
		json_decref(drec);
	}
	json_decref(job);
	return GR_OK;
}

static const char *
states(long jid)
{
	static char buf[80];
	struct states_args a = { jid, "", "" };
	struct gr_err err = { 0 };

	assert_int_equal(st_view(states_txn, &a, 0, &err), GR_OK);
	(void)snprintf(buf, sizeof(buf), "%s/%s", a.job, a.drm);
	return buf;
}

static void
test_single_job_rights(void **state)
{
	static const char *m = "[{\"Executable\": \"/bin/true\"}]";
	long bob_lab, alice_other;

	(void)state;
	bob_lab = submit_as("bob", "lab", m);
	alice_other = submit_as("alice", "other", m);
	unsetenv("GRIDREST_JOB_SHARING");
	assert_int_equal(read_as("bob", "user", bob_lab), GR_OK);
	assert_int_equal(read_as("dave", "lab", bob_lab),
	    GR_NONAUTHORIZED_JOB_IDS);
	assert_int_equal(read_as("root", "user", alice_other), GR_OK);
	/* what allOwners lists, a member reads (and, as DIRAC's
	   JobSharing, kills); nothing of another group */
	setenv("GRIDREST_JOB_SHARING", "x,lab", 1);
	assert_int_equal(read_as("dave", "lab", bob_lab), GR_OK);
	assert_int_equal(read_as("dave", "other", bob_lab),
	    GR_NONAUTHORIZED_JOB_IDS);
	assert_int_equal(read_as("dave", "lab", alice_other),
	    GR_NONAUTHORIZED_JOB_IDS);
	assert_int_equal(read_as("carol", "other", alice_other),
	    GR_NONAUTHORIZED_JOB_IDS);
	assert_int_equal(kill_as("dave", "other", bob_lab),
	    GR_NONAUTHORIZED_JOB_IDS);
	assert_string_equal(states(bob_lab), "Waiting/QUEUED");
	assert_int_equal(kill_as("dave", "lab", bob_lab), GR_OK);
	/* the one kill path: the queued DRM job ends in the same
	   transaction as the job's move */
	assert_string_equal(states(bob_lab), "Killed/CANCELLED");
	assert_int_equal(kill_as("bob", "user", bob_lab), GR_INVALID_JOB_IDS);
	unsetenv("GRIDREST_JOB_SHARING");
	assert_int_equal(kill_as("dave", "lab", alice_other),
	    GR_NONAUTHORIZED_JOB_IDS);
}

static void
test_drm_states_become_dirac_states(void **state)
{
	json_t *job;
	long jid;

	(void)state;
	jid = submit_one("[{\"Executable\": \"/bin/true\"}]");
	assert_true(jid > 0);
	job = drm_says(jid, "RUNNING", -1);
	assert_string_equal(str(job, "status"), "Running");
	assert_string_equal(str(job, "minorStatus"), "Application");
	assert_string_equal(str(json_object_get(job, "times"),
				"startExecution"),
	    "2023-11-14 22:13:20");
	json_decref(job);
	job = drm_says(jid, "DONE", 0);
	assert_string_equal(str(job, "status"), "Done");
	assert_string_equal(str(job, "appStatus"),
	    "Application Finished Successfully");
	assert_string_equal(str(json_object_get(job, "times"), "endExecution"),
	    "2023-11-14 22:14:20");
	json_decref(job);
	/* a late report cannot move a Done job */
	job = drm_says(jid, "CANCELLED", -1);
	assert_string_equal(str(job, "status"), "Done");
	json_decref(job);

	jid = submit_one("[{\"Executable\": \"/bin/true\"}]");
	job = drm_says(jid, "RUNNING", -1);
	json_decref(job);
	job = drm_says(jid, "FAILED", 7);
	assert_string_equal(str(job, "status"), "Failed");
	assert_string_equal(str(job, "appStatus"), "Exit code 7");
	json_decref(job);

	/* an end seen before the start (Slurm is asked late) */
	jid = submit_one("[{\"Executable\": \"/bin/true\"}]");
	job = drm_says(jid, "DONE", 0);
	assert_string_equal(str(job, "status"), "Done");
	json_decref(job);
	jid = submit_one("[{\"Executable\": \"/bin/true\"}]");
	job = drm_says(jid, "TIMEOUT", -1);
	assert_string_equal(str(job, "status"), "Failed");
	assert_string_equal(str(job, "minorStatus"),
	    "Job has reached the CPU limit of the queue");
	json_decref(job);

	jid = submit_one("[{\"Executable\": \"/bin/true\"}]");
	json_decref(drm_says(jid, "RUNNING", -1));
	job = drm_says(jid, "LOST", -1);
	assert_string_equal(str(job, "status"), "Failed");
	assert_string_equal(str(job, "minorStatus"),
	    "Watchdog identified this job as stalled");
	json_decref(job);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_machine),
		cmocka_unit_test(test_split_args),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parametric),
		cmocka_unit_test(test_drm_states_become_dirac_states),
		cmocka_unit_test(test_all_owners),
		cmocka_unit_test(test_single_job_rights),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("job", tests, setup, teardown);
}
