/*
 * job.c -- DIRAC jobs over the DRM: manifests, submission with sandboxes,
 * the state machine, listings, sandboxes as tar.bz2, peeking at output.
 */
#define _GNU_SOURCE /* O_NOFOLLOW, O_DIRECTORY with openat */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cfg.h"
#include "date.h"
#include "drm.h"
#include "job.h"
#include "jobdata.h"
#include "jsonx.h"
#include "log.h"
#include "stage.h"
#include "store.h"
#include "store_counter.h"
#include "util.h"
#include "workload.h"

#define JID_LEN         10
#define JID_MAX         9999999999L
#define DIR_LEN         17 /* "w" + 16 hex */
#define ARGS_MAX        DRM_ARGV_MAX
#define CPU_MIN         100
#define CPU_MAX         500000
#define CPU_DFLT        86400
#define TIME_LEN        20 /* "YYYY-MM-DD HH:MM:SS" */
#define JOB_REFRESH_MAX 64 /* active DRM jobs one listing refreshes */

/* --- the state machine (DIRAC's JobsStateMachine) -------------------- */

static const struct {
	const char *from;
	const char *to[8];
} machine[] = {
	{ "Submitting", { "Received", "Checking", "Deleted", "Killed" } },
	{ "Received",
	    { "Scouting", "Checking", "Waiting", "Failed", "Deleted",
		"Killed" } },
	{ "Checking",
	    { "Scouting", "Staging", "Waiting", "Rescheduled", "Failed",
		"Deleted", "Killed" } },
	{ "Scouting", { "Checking", "Failed", "Stalled", "Killed" } },
	{ "Staging", { "Checking", "Waiting", "Failed", "Killed" } },
	{ "Waiting", { "Matched", "Rescheduled", "Deleted", "Killed" } },
	{ "Matched", { "Running", "Failed", "Rescheduled", "Killed" } },
	{ "Rescheduled",
	    { "Waiting", "Received", "Deleted", "Failed", "Killed" } },
	{ "Running",
	    { "Stalled", "Done", "Failed", "Rescheduled", "Completing",
		"Killed", "Received" } },
	{ "Stalled", { "Running", "Failed", "Killed" } },
	{ "Completing",
	    { "Done", "Failed", "Completed", "Stalled", "Killed" } },
	{ "Completed", { "Done", "Failed" } },
	{ "Done", { "Deleted" } },
	{ "Failed", { "Rescheduled", "Deleted" } },
	{ "Killed", { "Deleted" } },
	{ "Deleted", { NULL } },
};

bool
job_can_move(const char *from, const char *to)
{
	size_t i, j;

	for (i = 0; i < ARRAY_LEN(machine); i++) {
		if (strcmp(machine[i].from, from) != 0)
			continue;
		for (j = 0; j < ARRAY_LEN(machine[i].to) && machine[i].to[j];
		     j++)
			if (strcmp(machine[i].to[j], to) == 0)
				return true;
		return false;
	}
	return false;
}

/* The static name of a state (for callers that outlive the record). */
static const char *
state_name(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < ARRAY_LEN(machine); i++)
		if (strcmp(machine[i].from, s) == 0)
			return machine[i].from;
	return "Unknown";
}

static bool
is_final(const char *s)
{
	return s != NULL &&
	    (strcmp(s, "Done") == 0 || strcmp(s, "Completed") == 0 ||
		strcmp(s, "Failed") == 0 || strcmp(s, "Killed") == 0 ||
		strcmp(s, "Deleted") == 0);
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
dirac_time(int64_t t, char out[TIME_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	(void)strftime(out, TIME_LEN, "%Y-%m-%d %H:%M:%S", &tm);
}

static void
set_time(json_t *job, const char *which)
{
	char buf[TIME_LEN];

	dirac_time(time_now(), buf);
	json_object_set_new(json_object_get(job, "times"), which,
	    json_string(buf));
}

/* times.<which> from the DRM record's epoch seconds member, if any. */
static void
job_drm_time(json_t *job, const char *which, const json_t *drec,
    const char *key)
{
	const json_t *v = json_object_get(drec, key);
	char buf[TIME_LEN];

	if (!json_is_integer(v))
		return;
	dirac_time(json_integer_value(v), buf);
	json_object_set_new(json_object_get(job, "times"), which,
	    json_string(buf));
}

/* One step of the machine; false (nothing changed) if illegal. */
static bool
move(json_t *job, const char *to, const char *minor)
{
	if (!job_can_move(str(job, "status"), to))
		return false;
	json_object_set_new(job, "status", json_string(to));
	json_object_set_new(job, "minorStatus", json_string(minor));
	set_time(job, "lastUpdate");
	return true;
}

/* Steps along a path of states from where the job stands (a DRM state
   seen late skips the states in between: a Slurm job may end before it
   was ever seen running), stopping at the first illegal one. */
static bool
move_path(json_t *job, const char *const *path, const char *minor)
{
	const char *const *p;
	bool moved = false;

	for (p = path; *p != NULL; p++)
		if (strcmp(str(job, "status"), *p) == 0) {
			path = p + 1;
			break;
		}
	for (; *path != NULL; path++) {
		if (!move(job, *path, path[1] == NULL ? minor : "Application"))
			return moved;
		moved = true;
	}
	return moved;
}

/* --- keys and records ------------------------------------------------ */

static size_t
jid_key(char buf[JID_LEN + 1], long jid)
{
	char tmp[32];

	(void)snprintf(tmp, sizeof(tmp), "%010ld", jid % (JID_MAX + 1));
	memcpy(buf, tmp, JID_LEN + 1);
	return JID_LEN;
}

static int
get_job(struct st_txn *t, long jid, json_t **out, u_int32_t flags,
    struct gr_err *err)
{
	char kbuf[JID_LEN + 1];
	DBT key = st_dbt(kbuf, jid_key(kbuf, jid));
	int ret;

	*out = NULL;
	ret = st_get_json(t, TBL_JOBS, &key, out, flags);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_JOB_NOT_FOUND, "Unknown jid %ld", jid);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
put_job(struct st_txn *t, const json_t *job, struct gr_err *err)
{
	char kbuf[JID_LEN + 1];
	DBT key = st_dbt(kbuf,
	    jid_key(kbuf,
		(long)json_integer_value(json_object_get(job, "jid"))));
	int ret = st_put_json(t, TBL_JOBS, &key, job, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* The group a token's group shares jobs as (job_group_shares), or NULL. */
static const char *
share_of(const char *group)
{
	return job_group_shares(group) ? group : NULL;
}

/* May issuer see (write: change) job? Its owner, an admin, or a member
   of the group it was submitted in when that group shares its jobs (the
   listing's allOwners rule; share: share_of the token's group). */
static int
check_right(struct st_txn *t, const char *issuer, const char *share,
    const json_t *job, bool write, struct gr_err *err)
{
	struct wl_right q = { issuer, share, str(job, "owner"),
		str(job, "ownerGroup"), write };
	bool may;
	int rc;

	if ((rc = wl_may(t, &q, &may, NULL, err)) != GR_OK)
		return rc;
	if (!may)
		return gr_fail(err, GR_NONAUTHORIZED_JOB_IDS,
		    "job %lld belongs to another owner",
		    (long long)json_integer_value(json_object_get(job, "jid")));
	return GR_OK;
}

/* The REST JOB shape: the record without its private members. */
static json_t *
render(const json_t *job)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	json_object_foreach(jsonx_unconst(job), k, v)
		if (k[0] != '_')
			json_object_set(out, k, v);
	return out;
}

/* --- the DRM hook: DRM states become DIRAC states ------------------- */

int
job_drm_hook(struct st_txn *t, const json_t *drec, struct gr_err *err)
{
	static const char *const to_running[] = { "Matched", "Running", NULL };
	static const char *const to_done[] = { "Matched", "Running",
		"Completing", "Done", NULL };
	static const char *const to_failed[] = { "Matched", "Running", "Failed",
		NULL };
	static const char *const to_stalled[] = { "Matched", "Running",
		"Stalled", "Failed", NULL };
	static const char *const to_killed[] = { "Killed", NULL };
	const char *state = str(drec, "state"), *reason = str(drec, "reason");
	const json_t *code = json_object_get(drec, "exit_code");
	const char *phase, *minor;
	char app[64];
	json_t *job;
	long jid;
	bool moved = false;
	int rc;

	if (parse_long(str(drec, "ref"), 1, JID_MAX, &jid) != 0)
		return GR_OK;
	if ((rc = get_job(t, jid, &job, DB_RMW, err)) != GR_OK)
		return rc == GR_JOB_NOT_FOUND ? (gr_clear(err), GR_OK) : rc;
	if (json_is_integer(code))
		(void)snprintf(app, sizeof(app), "Exit code %lld",
		    (long long)json_integer_value(code));
	else
		(void)snprintf(app, sizeof(app), "%s",
		    reason != NULL ? reason : "Unknown");
	if (strcmp(state, "RUNNING") == 0) {
		phase = str(drec, "stage_phase");
		if (phase == NULL)
			phase = json_array_size(
				    json_object_get(json_object_get(drec,
							"stage"),
					"in")) > 0
			    ? "in"
			    : "run";
		if (strcmp(phase, "out") == 0) {
			(void)move_path(job, to_running, "Application");
			moved = move(job, "Completing",
			    "Uploading Output Data");
		} else {
			minor = strcmp(phase, "in") == 0
			    ? "Input Data Resolution"
			    : "Application";
			moved = move_path(job, to_running, minor);
			if (!moved &&
			    strcmp(str(job, "status"), "Running") == 0)
				json_object_set_new(job, "minorStatus",
				    json_string(minor));
			if (strcmp(phase, "run") == 0)
				json_object_set_new(job, "appStatus",
				    json_string("Executing"));
		}
	} else if (strcmp(state, "FAILED") == 0 &&
	    json_is_true(json_object_get(drec, "data_failed"))) {
		/* "Input data not available: ...", "Failed to upload output
		   data: ..." (from Completing straight to Failed) */
		moved = strcmp(str(job, "status"), "Completing") == 0
		    ? move(job, "Failed", reason)
		    : move_path(job, to_failed, reason);
		if (json_is_integer(code))
			json_object_set_new(job, "appStatus", json_string(app));
	} else if (strcmp(state, "DONE") == 0) {
		moved = move_path(job, to_done, "Execution Complete");
		json_object_set_new(job, "appStatus",
		    json_string("Application Finished Successfully"));
	} else if (strcmp(state, "FAILED") == 0) {
		moved = move_path(job, to_failed,
		    json_is_integer(code) ? "Application Finished With Errors"
			: reason != NULL  ? reason
					  : "Job could not start");
		json_object_set_new(job, "appStatus", json_string(app));
	} else if (strcmp(state, "TIMEOUT") == 0) {
		moved = move_path(job, to_failed,
		    "Job has reached the CPU limit of the queue");
		json_object_set_new(job, "appStatus", json_string(app));
	} else if (strcmp(state, "CANCELLED") == 0) {
		moved = move_path(job, to_killed, "Received Kill signal");
	} else if (strcmp(state, "LOST") == 0) {
		moved = move_path(job, to_stalled,
		    "Watchdog identified this job as stalled");
		json_object_set_new(job, "appStatus", json_string(app));
	}
	/* the DRM's own times (an end seen late keeps its start) */
	job_drm_time(job, "startExecution", drec, "started_at");
	job_drm_time(job, "endExecution", drec, "ended_at");
	/* the CPU it used (s): the backend measured it at its end */
	if (json_is_number(json_object_get(drec, "cpu_time")))
		json_object_set_new(job, "cpuTime",
		    json_real(
			json_number_value(json_object_get(drec, "cpu_time"))));
	if (drm_final(state))
		json_object_set_new(json_object_get(job, "flags"),
		    "outputSandboxReady", json_true());
	(void)moved;
	rc = put_job(t, job, err);
	json_decref(job);
	return rc;
}

int
job_drm_finish(const json_t *rec, const json_t *got, char *why, size_t n)
{
	return jd_register(json_object_get(json_object_get(rec, "stage"),
			       "out"),
	    got, why, n);
}

int
job_init(struct gr_err *err)
{
	unsigned changed;

	return drm_reconcile(&changed, err);
}

/* --- manifests ------------------------------------------------------- */

bool
job_name_ok(const char *name, size_t len)
{
	return wl_name_ok(name, len);
}

/* A pattern of OutputSandbox: a name that may hold * and ?. */
static bool
pattern_ok(const char *p)
{
	return job_name_ok(p, strlen(p));
}

/* One planned job, from a manifest after parametric expansion. */
struct plan {
	json_t *manifest; /* validated, normalised */
	json_t *lfns;     /* InputData and LFN: sandbox entries, to resolve */
	json_t *stage;    /* their plans: {"in", "out"} (jobdata.h), or NULL */
	size_t nsb;       /* lfns from the sandbox: always copied */
	bool protocol;    /* InputData read where it lies (InputDataPolicy) */
	char *argv[ARGS_MAX + 1];
	char dir[DIR_LEN + 1];
	long time_limit;
	int cpus;
};

static void
plan_free(struct plan *p)
{
	size_t i;

	json_decref(p->manifest);
	json_decref(p->lfns);
	json_decref(p->stage);
	for (i = 0; p->argv[i] != NULL; i++)
		free(p->argv[i]);
	memset(p, 0, sizeof(*p));
}

/* Split Arguments as a shell would split words, without any expansion:
   blanks separate, '...' is literal, "..." knows \" and \\, a backslash
   outside quotes escapes the next byte. */
static int
split_args(const char *s, char **argv, size_t *argc, struct gr_err *err)
{
	struct sbuf w = { 0 };
	bool in_word = false;
	char q = 0;

	for (;; s++) {
		if (q == 0 &&
		    (*s == '\0' || *s == ' ' || *s == '\t' || *s == '\n')) {
			if (in_word) {
				if (*argc >= ARGS_MAX) {
					sbuf_free(&w);
					return gr_fail(err, GR_INVALID_MANIFEST,
					    "Arguments: more than %d words",
					    ARGS_MAX - 1);
				}
				sbuf_add(&w, "", 1);
				argv[(*argc)++] = xstrdup(w.s);
				w.len = 0;
				in_word = false;
			}
			if (*s == '\0')
				break;
			continue;
		}
		if (*s == '\0') {
			sbuf_free(&w);
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "Arguments: unterminated %c quote", q);
		}
		in_word = true;
		if (q == 0 && (*s == '\'' || *s == '"')) {
			q = *s;
		} else if (q != 0 && *s == q) {
			q = 0;
		} else if (q != '\'' && *s == '\\' && s[1] != '\0' &&
		    (q == 0 || s[1] == '"' || s[1] == '\\')) {
			s++;
			sbuf_add(&w, s, 1);
		} else {
			sbuf_add(&w, s, 1);
		}
	}
	sbuf_free(&w);
	return GR_OK;
}

/* A list field: a string or an array of strings -> a new array. */
static int
list_field(const json_t *m, const char *key, json_t **out, struct gr_err *err)
{
	const json_t *v = json_object_get(m, key), *e;
	size_t i;

	*out = json_array();
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (json_is_string(v)) {
		json_array_append(*out, jsonx_unconst(v));
		return GR_OK;
	}
	if (!json_is_array(v))
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "%s must be a string or a list of strings", key);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    json_string_length(e) > JOB_STRING_MAX)
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "%s must be a list of strings", key);
		json_array_append(*out, jsonx_unconst(e));
	}
	return GR_OK;
}

/* A number field (a JSON number or a numeric string) in [min, max]. */
static int
num_field(const json_t *m, const char *key, double dflt, double min, double max,
    bool clamp, double *out, struct gr_err *err)
{
	const json_t *v = json_object_get(m, key);
	char *end;

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (json_is_number(v)) {
		*out = json_number_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0) {
		errno = 0;
		*out = strtod(json_string_value(v), &end);
		if (*end != '\0' || errno != 0)
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "%s must be a number", key);
	} else {
		return gr_fail(err, GR_INVALID_MANIFEST, "%s must be a number",
		    key);
	}
	if (!isfinite(*out))
		return gr_fail(err, GR_INVALID_MANIFEST, "%s must be a number",
		    key);
	if (clamp)
		*out = *out < min ? min : *out > max ? max : *out;
	else if (*out < min || *out > max)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "%s must be between %g and %g", key, min, max);
	return GR_OK;
}

static int
str_field(const json_t *m, const char *key, const char *dflt, const char **out,
    struct gr_err *err)
{
	const json_t *v = json_object_get(m, key);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_string(v))
		return gr_fail(err, GR_INVALID_MANIFEST, "%s must be a string",
		    key);
	if (json_string_length(v) > JOB_STRING_MAX)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "%s is longer than %d bytes", key, JOB_STRING_MAX);
	*out = json_string_value(v);
	return GR_OK;
}

static const char *const job_types[] = { "User", "Test", "Hospital",
	"MCSimulation", "MCReconstruction", "MCStripping", "MCReprocessing",
	"DataReconstruction", "DataStripping", "Merge", "Reprocessing", NULL };

/* Members the server sets: a client's values are dropped. */
static const char *const server_keys[] = { "Owner", "OwnerGroup", "OwnerDN",
	"VirtualOrganization", "JobID", "Status", "MinorStatus", NULL };

static bool
uploaded(const struct wl_file *files, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return true;
	return false;
}

static char *
concat(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = xmalloc(na + nb + 1);

	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

/*
 * The data fields (spec A.8): InputData's LFNs ("/x" is "LFN:/x") joined
 * to the sandbox's into lfns, each a valid LFN whose file name clashes
 * with no other file of the working directory; OutputData, OutputSE and
 * OutputPath of the right types (jd_plan_out checks them further).
 */
static int
data_fields(const json_t *m, const struct wl_file *files, size_t nfiles,
    const char *out, const char *errf, struct plan *p, struct gr_err *err)
{
	json_t *lfns = p->lfns;
	char lfn[FC_PATH_MAX + 1], name[WL_NAME_MAX + 1];
	json_t *in = NULL, *odata = NULL, *names = json_object();
	const char *se, *path;
	const json_t *v;
	size_t i;
	bool rucio;
	int rc;

	if ((rc = list_field(m, "InputData", &in, err)) != GR_OK ||
	    (rc = list_field(m, "OutputData", &odata, err)) != GR_OK ||
	    (rc = str_field(m, "OutputSE", NULL, &se, err)) != GR_OK ||
	    (rc = str_field(m, "OutputPath", NULL, &path, err)) != GR_OK ||
	    (rc = jd_policy(json_object_get(m, "InputDataPolicy"),
		 json_object_get(m, "InputDataModule"), &p->protocol, err)) !=
		GR_OK)
		goto out;
	p->nsb = json_array_size(lfns);
	json_array_extend(lfns, in);
	if (json_array_size(lfns) > STAGE_IN_MAX) {
		rc = gr_fail(err, GR_INVALID_MANIFEST,
		    "more than %d input data files", STAGE_IN_MAX);
		goto out;
	}
	json_array_foreach(lfns, i, v) {
		if ((rc = jd_lfn_parse(json_string_value(v), lfn, name, &rucio,
			 err)) != GR_OK)
			goto out;
		if (json_object_get(names, name) != NULL ||
		    uploaded(files, nfiles, name) || strcmp(name, out) == 0 ||
		    strcmp(name, errf) == 0) {
			rc = gr_fail(err, GR_INVALID_MANIFEST,
			    "input data '%s' would land on '%s', which another "
			    "file of the job takes",
			    json_string_value(v), name);
			goto out;
		}
		json_object_set_new(names, name, json_true());
	}
	if (json_array_size(odata) > 0 && (se == NULL || *se == '\0'))
		rc = gr_fail(err, GR_INVALID_MANIFEST,
		    "OutputData needs an OutputSE");
out:
	json_decref(in);
	json_decref(odata);
	json_decref(names);
	return rc;
}

/* InputData as DIRAC keeps it: a list, "/x" as "LFN:/x" (spec A.8). */
static void
lfn_prefix(json_t *manifest)
{
	struct gr_err ignore = { 0 };
	json_t *in = NULL, *v;
	size_t i;

	if (json_object_get(manifest, "InputData") == NULL ||
	    list_field(manifest, "InputData", &in, &ignore) != GR_OK) {
		json_decref(in);
		return;
	}
	json_array_foreach(in, i, v) {
		if (strncasecmp(json_string_value(v), "LFN:", 4) != 0)
			json_array_set_new(in, i,
			    json_sprintf("LFN:%s", json_string_value(v)));
	}
	json_object_set_new(manifest, "InputData", in);
}

/* Validate one (expanded) manifest m into a plan with a normalised copy. */
static int
plan_of(const json_t *m, const struct wl_file *files, size_t nfiles,
    struct plan *p, struct gr_err *err)
{
	const char *exe, *args, *out, *errf, *name, *group, *type, *e;
	json_t *isb = NULL, *osb = NULL, *site = NULL, *v;
	double prio, cpu, wall, nproc;
	const char *const *t;
	size_t argc = 0, i;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = str_field(m, "Executable", NULL, &exe, err)) != GR_OK)
		return rc;
	if (exe == NULL || *exe == '\0')
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "the manifest has no Executable");
	if ((rc = str_field(m, "Arguments", "", &args, err)) != GR_OK ||
	    (rc = str_field(m, "StdOutput", "std.out", &out, err)) != GR_OK ||
	    (rc = str_field(m, "StdError", "std.err", &errf, err)) != GR_OK ||
	    (rc = str_field(m, "JobName", "Name", &name, err)) != GR_OK ||
	    (rc = str_field(m, "JobGroup", "00000000", &group, err)) != GR_OK ||
	    (rc = str_field(m, "JobType", "User", &type, err)) != GR_OK)
		return rc;
	if (!job_name_ok(out, strlen(out)) || !job_name_ok(errf, strlen(errf)))
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "StdOutput and StdError must be plain file names");
	for (t = job_types; *t != NULL && strcmp(*t, type) != 0; t++)
		;
	if (*t == NULL)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "JobType '%s' is not one of User, Test, Hospital or a "
		    "production type",
		    type);
	if ((rc = num_field(m, "Priority", 1, 0, 10, false, &prio, err)) ||
	    (rc = num_field(m, "CPUTime", CPU_DFLT, CPU_MIN, CPU_MAX, true,
		 &cpu, err)) ||
	    (rc = num_field(m, "WallTime", cpu, 1, cpu, false, &wall, err)) ||
	    (rc = num_field(m, "NumberOfProcessors", 1, 1, 1024, false, &nproc,
		 err)))
		return rc;
	if ((rc = list_field(m, "InputSandbox", &isb, err)) != GR_OK ||
	    (rc = list_field(m, "OutputSandbox", &osb, err)) != GR_OK ||
	    (rc = list_field(m,
		 json_object_get(m, "Site") != NULL ? "Site" : "Sites", &site,
		 err)) != GR_OK)
		goto out;
	p->lfns = json_array();
	json_array_foreach(isb, i, v) {
		e = json_string_value(v);
		if (strncasecmp(e, "LFN:", 4) == 0) {
			json_array_append(p->lfns, v); /* the catalogues' */
			continue;
		}
		if (strncmp(e, "SB:", 3) == 0) {
			rc = gr_fail(err, GR_INVALID_MANIFEST,
			    "InputSandbox '%s': a sandbox is the files "
			    "uploaded "
			    "with the submission",
			    e);
			goto out;
		}
		if (!uploaded(files, nfiles, e)) {
			rc = gr_fail(err, GR_INVALID_MANIFEST,
			    "InputSandbox names '%s', which was not uploaded",
			    e);
			goto out;
		}
	}
	if ((rc = data_fields(m, files, nfiles, out, errf, p, err)) != GR_OK)
		goto out;
	json_array_foreach(osb, i, v)
		if (!pattern_ok(json_string_value(v))) {
			rc = gr_fail(err, GR_INVALID_MANIFEST,
			    "OutputSandbox '%s' is not a file name in the "
			    "working directory",
			    json_string_value(v));
			goto out;
		}
	/* the program: one of the sandbox's files, or a path */
	if (strchr(exe, '/') == NULL && uploaded(files, nfiles, exe)) {
		p->argv[argc++] = concat("./", exe);
	} else if (exe[0] == '/' || strchr(exe, '/') == NULL) {
		p->argv[argc++] = xstrdup(exe);
	} else {
		rc = gr_fail(err, GR_INVALID_MANIFEST,
		    "Executable '%s' must be an absolute path, a program on "
		    "the PATH or a file of the input sandbox",
		    exe);
		goto out;
	}
	if ((rc = split_args(args, p->argv, &argc, err)) != GR_OK)
		goto out;
	p->time_limit = (long)wall;
	p->cpus = (int)nproc;
	/* every uploaded file is in the input sandbox (DIRAC appends) */
	for (i = 0; i < nfiles; i++) {
		bool listed = false;
		size_t j;

		json_array_foreach(isb, j, v)
			if (strcmp(json_string_value(v), files[i].name) == 0)
				listed = true;
		if (!listed)
			json_array_append_new(isb, json_string(files[i].name));
	}
	/* empty names are none (the seed's own example: "Sites": ["", ""]);
	   no name at all is ANY */
	for (i = json_array_size(site); i > 0; i--)
		if (json_string_length(json_array_get(site, i - 1)) == 0)
			json_array_remove(site, i - 1);
	if (json_array_size(site) == 0)
		json_array_append_new(site, json_string("ANY"));
	p->manifest = json_deep_copy(m);
	for (t = server_keys; *t != NULL; t++)
		json_object_del(p->manifest, *t);
	json_object_del(p->manifest, "Sites");
	lfn_prefix(p->manifest);
	json_object_set_new(p->manifest, "Executable", json_string(exe));
	json_object_set_new(p->manifest, "Arguments", json_string(args));
	json_object_set_new(p->manifest, "StdOutput", json_string(out));
	json_object_set_new(p->manifest, "StdError", json_string(errf));
	json_object_set_new(p->manifest, "JobName", json_string(name));
	json_object_set_new(p->manifest, "JobGroup", json_string(group));
	json_object_set_new(p->manifest, "JobType", json_string(type));
	json_object_set_new(p->manifest, "Priority", json_integer((int)prio));
	json_object_set_new(p->manifest, "CPUTime",
	    json_integer((json_int_t)cpu));
	json_object_set_new(p->manifest, "InputSandbox", isb);
	json_object_set_new(p->manifest, "OutputSandbox", osb);
	json_object_set_new(p->manifest, "Site", site);
	return GR_OK;
out:
	json_decref(isb);
	json_decref(osb);
	json_decref(site);
	plan_free(p); /* the words split so far */
	return rc;
}

/* --- parametric expansion -------------------------------------------- */

/* s with every %s replaced by value and %n by the index (new string). */
static json_t *
subst(const char *s, const char *value, size_t index)
{
	struct sbuf b = { 0 };
	json_t *out;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 's') {
			sbuf_adds(&b, value);
			s++;
		} else if (s[0] == '%' && s[1] == 'n') {
			sbuf_addi(&b, (long long)index);
			s++;
		} else {
			sbuf_add(&b, s, 1);
		}
	}
	out = json_stringn(b.s != NULL ? b.s : "", b.len);
	sbuf_free(&b);
	return out;
}

static json_t *
subst_all(const json_t *v, const char *value, size_t index)
{
	json_t *out, *e;
	const char *k;
	size_t i;

	if (json_is_string(v))
		return subst(json_string_value(v), value, index);
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(jsonx_unconst(v), i, e)
			json_array_append_new(out, subst_all(e, value, index));
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(jsonx_unconst(v), k, e)
			json_object_set_new(out, k, subst_all(e, value, index));
		return out;
	}
	return json_incref(jsonx_unconst(v));
}

/* The parameter values of a parametric manifest (a new array of
   strings), or NULL for an ordinary one. */
static int
parameters(const json_t *m, json_t **out, struct gr_err *err)
{
	const json_t *p = json_object_get(m, "Parameters"), *e;
	double n, start, step, factor, v;
	char buf[64];
	size_t i;
	int rc;

	*out = NULL;
	if (p == NULL || json_is_null(p))
		return GR_OK;
	if (json_is_array(p)) {
		if (json_array_size(p) == 0 ||
		    json_array_size(p) > JOB_PARAMETRIC_MAX)
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "Parameters must list 1 to %d values",
			    JOB_PARAMETRIC_MAX);
		*out = json_array();
		json_array_foreach(p, i, e) {
			if (json_is_string(e))
				json_array_append(*out, jsonx_unconst(e));
			else if (json_is_integer(e))
				json_array_append_new(*out,
				    json_sprintf("%lld",
					(long long)json_integer_value(e)));
			else if (json_is_real(e))
				json_array_append_new(*out,
				    json_sprintf("%g", json_real_value(e)));
			else {
				json_decref(*out);
				*out = NULL;
				return gr_fail(err, GR_INVALID_MANIFEST,
				    "Parameters values must be strings or "
				    "numbers");
			}
		}
		return GR_OK;
	}
	if ((rc = num_field(m, "Parameters", 1, 1, JOB_PARAMETRIC_MAX, false,
		 &n, err)) ||
	    (rc = num_field(m, "ParameterStart", 0, -1e15, 1e15, false, &start,
		 err)) ||
	    (rc = num_field(m, "ParameterStep", 0, -1e15, 1e15, false, &step,
		 err)) ||
	    (rc = num_field(m, "ParameterFactor", 1, -1e6, 1e6, false, &factor,
		 err)))
		return rc;
	if (n != floor(n))
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "Parameters must be a whole number or a list");
	*out = json_array();
	for (v = start, i = 0; i < (size_t)n; i++) {
		(void)snprintf(buf, sizeof(buf), "%.15g", v);
		json_array_append_new(*out, json_string(buf));
		v = v * factor + step;
	}
	return GR_OK;
}

/* --- files ----------------------------------------------------------- */

static int
jobs_dir(char *buf, size_t size, const char *dir, const char *sub)
{
	return wl_path(buf, size, "jobs", dir, sub);
}

static void
rm_dir(const char *dir)
{
	char path[PATH_MAX];

	if (dir[0] != '\0' && jobs_dir(path, sizeof(path), dir, NULL) == 0)
		wl_rm_tree(path);
}

/* <home>/jobs/<dir>/{isb,run} with the files, fsynced; run/ is the job
   user's */
static int
make_dir(struct plan *p, const struct wl_file *files, size_t nfiles, uid_t uid,
    gid_t gid, struct gr_err *err)
{
	unsigned char rnd[8];
	char path[PATH_MAX];
	const char *exe = str(p->manifest, "Executable");
	struct wl_file *run_files;
	int isb = -1, run = -1, rc;
	size_t i;

	random_bytes(rnd, sizeof(rnd));
	p->dir[0] = 'w';
	hex_encode(rnd, sizeof(rnd), p->dir + 1);
	/* a job without files gets its directories when it starts (the
	   DRM's make_cwd): its submission touches no file at all */
	if (jobs_dir(path, sizeof(path), NULL, NULL) != 0)
		return gr_fail(err, GR_INTERNAL, "home path too long");
	(void)mkdir(path, 0711); /* the base, once (EEXIST costs nothing) */
	if (nfiles == 0)
		return GR_OK;
	if (jobs_dir(path, sizeof(path), p->dir, NULL) != 0 ||
	    mkdir(path, 0711) != 0)
		return gr_fail(err, GR_INTERNAL, "cannot create %s: %s", path,
		    strerror(errno));
	run_files = xcalloc(nfiles, sizeof(*run_files));
	for (i = 0; i < nfiles; i++) {
		run_files[i] = files[i];
		run_files[i].mode = strcmp(files[i].name, exe) == 0 ? 0755
								    : 0644;
	}
	(void)jobs_dir(path, sizeof(path), p->dir, "isb");
	if ((rc = wl_mkdir(path, 0700, true, false, uid, gid, &isb, err)) !=
		GR_OK ||
	    (rc = wl_write_files(isb, files, nfiles, false, uid, gid, err)) !=
		GR_OK)
		goto out;
	(void)jobs_dir(path, sizeof(path), p->dir, "run");
	if ((rc = wl_mkdir(path, 0700, true, true, uid, gid, &run, err)) !=
		GR_OK ||
	    (rc = wl_write_files(run, run_files, nfiles, true, uid, gid,
		 err)) != GR_OK)
		goto out;
	(void)jobs_dir(path, sizeof(path), p->dir, NULL);
	if (wl_sync_dir(path) != 0)
		rc = gr_fail(err, GR_INTERNAL, "cannot sync %s: %s", path,
		    strerror(errno));
out:
	free(run_files);
	if (isb >= 0)
		close(isb);
	if (run >= 0)
		close(run);
	return rc;
}

/* --- submission ------------------------------------------------------ */

struct submit_args {
	const char *owner, *group, *owner_dn;
	struct plan *plans;
	size_t nplans, nfiles;
	json_t *jids, *drm_ids;
	uid_t uid; /* the owner's job user (drm_account_user) */
	gid_t gid;
};

static json_t *
new_job(const struct submit_args *a, const struct plan *p, long jid,
    const char *drm_id)
{
	const json_t *m = p->manifest;
	const char *site = json_string_value(
	    json_array_get(json_object_get(m, "Site"), 0));
	char now[TIME_LEN];
	json_t *job;

	dirac_time(time_now(), now);
	job = json_pack("{s:I, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s,"
			" s:O, s:s, s:s, s:s, s:s, s:s,"
			" s:{s:b, s:b, s:b, s:b, s:b},"
			" s:{s:s, s:s},"
			" s:s, s:s, s:O, s:s, s:s, s:O}",
	    "jid", (json_int_t)jid, "status", "Received", "minorStatus",
	    "Job accepted", "appStatus", "Unknown", "reschedules", 0, "cpuTime",
	    (json_int_t)0, "jobGroup", str(m, "JobGroup"), "name",
	    str(m, "JobName"), "site", site != NULL ? site : "ANY", "setup",
	    "gridrest", "priority", json_object_get(m, "Priority"), "owner",
	    a->owner, "ownerDN", a->owner_dn != NULL ? a->owner_dn : "",
	    "ownerGroup", a->group, "vo", "gridrest", "jobType",
	    str(m, "JobType"), "flags", "verified", 1, "retrieved", 0,
	    "accounted", 0, "outputSandboxReady", 0, "inputSandboxReady", 1,
	    "times", "submission", now, "lastUpdate", now, "_drm", drm_id,
	    "_dir", p->dir, "_manifest", m, "_stdout", str(m, "StdOutput"),
	    "_stderr", str(m, "StdError"), "_osb",
	    json_object_get(m, "OutputSandbox"));
	return job;
}

static int
submit_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct submit_args *a = arg;
	char ref[32], run[PATH_MAX];
	struct drm_spec s;
	json_t *job, *ids;
	uint64_t seq, first;
	size_t i;
	long jid = 0;
	int rc;

	json_array_clear(a->jids);
	json_array_clear(a->drm_ids);
	if ((rc = st_seq_take("jobs.seq", a->nplans, &first, err)) != GR_OK)
		return rc;
	for (i = 0; i < a->nplans && rc == GR_OK; i++) {
		struct plan *p = &a->plans[i];

		seq = first + i;
		if (seq > JID_MAX) {
			rc = gr_fail(err, GR_UNAVAILABLE, "no job ids left");
			break;
		}
		jid = (long)seq;
		(void)snprintf(ref, sizeof(ref), "%ld", jid);
		(void)jobs_dir(run, sizeof(run), p->dir, "run");
		memset(&s, 0, sizeof(s));
		s.argv = (const char *const *)p->argv;
		s.cwd = run;
		s.out = str(p->manifest, "StdOutput");
		s.err = str(p->manifest, "StdError");
		s.time_limit = p->time_limit;
		s.cpus = p->cpus;
		s.client = "jobs";
		s.ref = ref;
		s.make_cwd = a->nfiles == 0;
		s.uid = a->uid;
		s.gid = a->gid;
		s.stage = p->stage;
		ids = json_array();
		rc = drm_submit_txn(t, &s, ids, err);
		if (rc == GR_OK) {
			job = new_job(a, p, jid,
			    json_string_value(json_array_get(ids, 0)));
			/* Received -> Waiting: the job is queued */
			(void)move(job, "Waiting", "Pilot Agent Submission");
			rc = put_job(t, job, err);
			json_decref(job);
			json_array_extend(a->drm_ids, ids);
			json_array_append_new(a->jids, json_integer(jid));
		}
		json_decref(ids);
	}
	return rc;
}

static int
check_files(const struct wl_file *files, size_t nfiles, struct gr_err *err)
{
	size_t i, j;

	if (nfiles > JOB_FILES_MAX)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "more than %d files in the input sandbox", JOB_FILES_MAX);
	for (i = 0; i < nfiles; i++) {
		if (!job_name_ok(files[i].name, strlen(files[i].name)))
			return gr_fail(err, GR_INVALID_PATH,
			    "file name '%.64s' is not allowed: a sandbox file "
			    "is a plain name (no '/', no leading '.', no "
			    "control characters, at most %d bytes)",
			    files[i].name, JOB_NAME_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(files[i].name, files[j].name) == 0)
				return gr_fail(err, GR_INVALID_PATH,
				    "file '%s' uploaded twice", files[i].name);
	}
	return GR_OK;
}

/* Expand and validate every manifest; plans are xmalloc'ed. */
static int
make_plans(const json_t *manifests, const struct wl_file *files, size_t nfiles,
    struct plan **out, size_t *nout, struct gr_err *err)
{
	struct plan *plans = NULL;
	json_t *m, *params, *one;
	size_t i, j, n = 0, cap = 0;
	int rc = GR_OK;

	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return gr_fail(err, GR_INVALID_MANIFEST, "No manifest");
	if (json_array_size(manifests) > JOB_BULK_MAX)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "more than %d manifests in one submission", JOB_BULK_MAX);
	json_array_foreach(manifests, i, m) {
		if (!json_is_object(m)) {
			rc = gr_fail(err, GR_INVALID_MANIFEST,
			    "Manifest %zu is not a JSON object", i);
			break;
		}
		if ((rc = parameters(m, &params, err)) != GR_OK)
			break;
		for (j = 0; j < (params != NULL ? json_array_size(params) : 1);
		     j++) {
			if (n == JOB_SUBMIT_MAX) {
				rc = gr_fail(err, GR_INVALID_MANIFEST,
				    "one submission may create at most %d "
				    "jobs",
				    JOB_SUBMIT_MAX);
				break;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				plans = xrealloc(plans, cap * sizeof(*plans));
			}
			one = params == NULL
			    ? json_incref(m)
			    : subst_all(m,
				  json_string_value(json_array_get(params, j)),
				  j);
			if (params != NULL) {
				json_object_set(one, "Parameter",
				    json_array_get(params, j));
				json_object_del(one, "Parameters");
			}
			rc = plan_of(one, files, nfiles, &plans[n], err);
			json_decref(one);
			if (rc != GR_OK)
				break;
			n++;
		}
		json_decref(params);
		if (rc != GR_OK)
			break;
	}
	if (rc != GR_OK) {
		for (i = 0; i < n; i++)
			plan_free(&plans[i]);
		free(plans);
		return rc;
	}
	*out = plans;
	*nout = n;
	return GR_OK;
}

/* The plan's data: its LFNs resolved, its OutputData planned. */
static int
plan_data(struct plan *p, const char *owner, const char *group,
    struct gr_err *err)
{
	json_t *in = NULL, *out = NULL, *odata = NULL, *e;
	int rc = GR_OK;
	size_t i;

	if (json_array_size(p->lfns) > 0)
		rc = jd_resolve(owner, group, p->lfns, &in, err);
	/* InputData by protocol: the job gets where each file lies; its
	   sandbox's LFN: entries are copied whatever the policy (DIRAC's
	   job wrapper downloads the sandbox) */
	json_array_foreach(in, i, e)
		if (p->protocol && i >= p->nsb)
			json_object_set_new(e, "access",
			    json_string("protocol"));
	if (rc == GR_OK)
		rc = list_field(p->manifest, "OutputData", &odata, err);
	if (rc == GR_OK)
		rc = jd_plan_out(owner, group, odata,
		    str(p->manifest, "OutputSE"),
		    str(p->manifest, "OutputPath"), &out, err);
	if (rc == GR_OK && (in != NULL || out != NULL))
		p->stage = json_pack("{s:o, s:o}", "in",
		    in != NULL ? json_incref(in) : json_array(), "out",
		    out != NULL ? json_incref(out) : json_array());
	json_decref(in);
	json_decref(out);
	json_decref(odata);
	return rc;
}

int
job_submit(const char *owner, const char *group, const char *owner_dn,
    const json_t *manifests, const struct wl_file *files, size_t nfiles,
    json_t **jids, struct gr_err *err)
{
	struct submit_args a = { owner, group, owner_dn, NULL, 0, nfiles, NULL,
		NULL, 0, 0 };
	struct gr_err ignore = { 0 };
	size_t i;
	uid_t uid;
	gid_t gid;
	int rc;

	if ((rc = check_files(files, nfiles, err)) != GR_OK ||
	    (rc = make_plans(manifests, files, nfiles, &a.plans, &a.nplans,
		 err)) != GR_OK)
		return rc;
	if ((rc = drm_account_user(owner, &uid, &gid, err)) != GR_OK)
		goto out;
	a.uid = uid;
	a.gid = gid;
	/* the catalogues read before the transaction (the copies are the
	   runner's, when the job starts) */
	for (i = 0; i < a.nplans && rc == GR_OK; i++)
		rc = plan_data(&a.plans[i], owner, group, err);
	/* the files first: a job may start the moment the commit is done */
	for (i = 0; i < a.nplans && rc == GR_OK; i++)
		rc = make_dir(&a.plans[i], files, nfiles, uid, gid, err);
	a.jids = json_array();
	a.drm_ids = json_array();
	if (rc == GR_OK)
		rc = st_txn_run(submit_txn, &a, err);
	if (rc != GR_OK) {
		for (i = 0; i < a.nplans; i++)
			rm_dir(a.plans[i].dir);
		json_decref(a.jids);
	} else {
		if (drm_start(a.drm_ids, &ignore) != GR_OK)
			log_msg(LOG_ERR, "jobs: %s", ignore.msg);
		*jids = a.jids;
	}
	json_decref(a.drm_ids);
out:
	for (i = 0; i < a.nplans; i++)
		plan_free(&a.plans[i]);
	free(a.plans);
	return rc;
}

/* --- reading --------------------------------------------------------- */

static const struct {
	const char *rest, *dirac, *member;
} attrs[] = {
	{ "status", "Status", "status" },
	{ "minorStatus", "MinorStatus", "minorStatus" },
	{ "appStatus", "ApplicationStatus", "appStatus" },
	{ "jid", "JobID", "jid" },
	{ "reschedules", "RescheduleCounter", "reschedules" },
	{ "cpuTime", "CPUTime", "cpuTime" },
	{ "jobGroup", "JobGroup", "jobGroup" },
	{ "name", "JobName", "name" },
	{ "site", "Site", "site" },
	{ "setup", "DIRACSetup", "setup" },
	{ "priority", "UserPriority", "priority" },
	{ "ownerDN", "OwnerDN", "ownerDN" },
	{ "ownerGroup", "OwnerGroup", "ownerGroup" },
	{ "owner", "Owner", "owner" },
	{ "vo", "VO", "vo" },
	{ "jobType", "JobType", "jobType" },
};

const char *
job_attr(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(attrs); i++)
		if (strcmp(attrs[i].rest, name) == 0 ||
		    strcmp(attrs[i].dirac, name) == 0)
			return attrs[i].member;
	if (strcmp(name, "VirtualOrganization") == 0)
		return "vo";
	return NULL;
}

/*
 * A top-level member of a stored record (its JSON text) as filter text:
 * a string's value, a number's digits, "" when absent. Only the member's
 * own text is parsed, never the record: listings read many records.
 * *tmp is a value to json_decref after use.
 */
static const char *
member_text(const DBT *val, const char *member, char buf[32], json_t **tmp)
{
	const char *raw, *s;
	size_t n;

	*tmp = NULL;
	if (!jsonx_member(val->data, val->size, member, &raw, &n) || n == 0)
		return "";
	if (raw[0] == '"') {
		*tmp = json_loadb(raw, n, JSON_DECODE_ANY, NULL);
		s = json_string_value(*tmp);
		return s != NULL ? s : "";
	}
	if (n >= 32)
		return "";
	memcpy(buf, raw, n);
	buf[n] = '\0';
	return buf;
}

static bool
matches(const DBT *rec, const json_t *filters)
{
	const char *member, *text;
	const json_t *vals, *v;
	json_t *tmp;
	char buf[32];
	size_t i;
	bool any;

	json_object_foreach(jsonx_unconst(filters), member, vals) {
		text = member_text(rec, member, buf, &tmp);
		any = false;
		json_array_foreach(vals, i, v)
			any |= strcmp(json_string_value(v), text) == 0;
		json_decref(tmp);
		if (!any)
			return false;
	}
	return true;
}

struct list_args {
	const char *issuer;
	const char *group;  /* the token's: its jobs too, if it shares them */
	const char *shared; /* while scanning: that group, else NULL */
	bool all;
	const json_t *filters;
	long *jids;
	size_t n, cap;
	/* summary */
	const char *const *groups;
	size_t ngroups;
	json_t *counts;
	/* history: the jobs last updated since from, by status and bucket */
	json_t *hist;
	int64_t from, granularity;
};

/* The job's times.lastUpdate ("YYYY-MM-DD HH:MM:SS", UTC) from its raw
   record; -1 if none. */
static int64_t
last_update(const DBT *val)
{
	const char *raw, *s;
	char iso[TIME_LEN];
	json_t *times;
	int64_t t = -1;
	size_t n;

	if (!jsonx_member(val->data, val->size, "times", &raw, &n) ||
	    (times = json_loadb(raw, n, 0, NULL)) == NULL)
		return -1;
	s = json_string_value(json_object_get(times, "lastUpdate"));
	if (s != NULL && strlen(s) == TIME_LEN - 1) {
		memcpy(iso, s, TIME_LEN);
		iso[10] = 'T';
		if (date_parse(iso, &t) != 0)
			t = -1;
	}
	json_decref(times);
	return t;
}

static void
add_history(struct list_args *a, const DBT *val)
{
	int64_t t = last_update(val);
	char buf[32], at[32];
	const char *status;
	json_t *tmp, *by;

	if (t < a->from)
		return;
	status = member_text(val, "status", buf, &tmp);
	(void)snprintf(at, sizeof(at), "%lld",
	    (long long)(t - t % a->granularity));
	if ((by = json_object_get(a->hist, status)) == NULL) {
		by = json_object();
		json_object_set_new(a->hist, status, by);
	}
	json_object_set_new(by, at,
	    json_integer(json_integer_value(json_object_get(by, at)) + 1));
	json_decref(tmp);
}

static int
collect(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	struct sbuf g = { 0 };
	const char *t;
	char buf[32], kbuf[JID_LEN + 1];
	json_t *tmp;
	long jid;
	size_t i;

	(void)key;
	if (!matches(val, a->filters))
		return GR_OK;
	if (a->shared != NULL) {
		bool mine;

		t = member_text(val, "owner", buf, &tmp);
		mine = strcmp(t, a->issuer) == 0;
		json_decref(tmp);
		t = member_text(val, "ownerGroup", buf, &tmp);
		mine |= strcmp(t, a->shared) == 0;
		json_decref(tmp);
		if (!mine)
			return GR_OK;
	}
	if (a->hist != NULL) {
		add_history(a, val);
		return GR_OK;
	}
	if (a->counts != NULL) {
		for (i = 0; i < a->ngroups; i++) {
			if (i > 0)
				sbuf_add(&g, "|", 1);
			t = member_text(val, a->groups[i], buf, &tmp);
			sbuf_adds(&g, t);
			json_decref(tmp);
		}
		sbuf_add(&g, "", 1);
		json_object_set_new(a->counts, g.s,
		    json_integer(
			json_integer_value(json_object_get(a->counts, g.s)) +
			1));
		sbuf_free(&g);
		return GR_OK;
	}
	/* the jid is the primary key's digits */
	if (pkey->size != JID_LEN)
		return GR_OK;
	memcpy(kbuf, pkey->data, JID_LEN);
	kbuf[JID_LEN] = '\0';
	if (parse_long(kbuf, 0, JID_MAX, &jid) != 0)
		return GR_OK;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->jids = xrealloc(a->jids, a->cap * sizeof(*a->jids));
	}
	a->jids[a->n++] = jid;
	return GR_OK;
}

static int
scan_jobs(struct st_txn *t, struct list_args *a, struct gr_err *err)
{
	bool admin = false;
	int rc;

	a->n = 0;
	a->shared = NULL;
	if (a->counts != NULL)
		json_object_clear(a->counts);
	if (a->hist != NULL)
		json_object_clear(a->hist);
	/* allOwners: what the issuer may see. Admins every job; a member
	   of a group that shares its jobs (GRIDREST_JOB_SHARING, DIRAC's
	   JobSharing property) its own and the group's; anybody else its
	   own */
	if (a->all) {
		if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
			return rc;
		if (!admin && job_group_shares(a->group))
			a->shared = a->group;
		if (admin || a->shared != NULL)
			return st_scan(t, TBL_JOBS, NULL, 0, NULL, collect, a,
			    err);
	}
	return st_scan_key(t, TBL_JOBS_BY_OWNER, a->issuer, strlen(a->issuer),
	    collect, a, err);
}

struct page_args {
	struct list_args l;
	long start, max;
	json_t *out;
};

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct page_args *a = arg;
	struct wl_page page;
	json_t *jobs, *job;
	size_t i;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = scan_jobs(t, &a->l, err)) != GR_OK)
		return rc;
	page.first = (size_t)a->start;
	page.last = page.first + (size_t)a->max;
	page.count = 0;
	jobs = json_array();
	/* newest first: the scan gave them in jid order */
	for (i = a->l.n; i-- > 0 && page.count < page.last;) {
		if (!wl_page_take(&page))
			continue;
		rc = get_job(t, a->l.jids[i], &job, 0, err);
		if (rc != GR_OK) {
			json_decref(jobs);
			return rc;
		}
		json_array_append_new(jobs, render(job));
		json_decref(job);
	}
	a->out = json_pack("{s:I, s:o}", "entries", (json_int_t)a->l.n, "jobs",
	    jobs);
	return GR_OK;
}

bool
job_group_shares(const char *group)
{
	const char *list = getenv("GRIDREST_JOB_SHARING"), *p, *e;

	if (group == NULL || *group == '\0' || list == NULL)
		return false;
	for (p = list; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) == strlen(group) &&
		    strncmp(p, group, (size_t)(e - p)) == 0)
			return true;
	}
	return false;
}

int
job_list(const char *issuer, const char *group, bool all_owners,
    const json_t *filters, long start, long max, json_t **out,
    struct gr_err *err)
{
	struct page_args a;
	json_t *none = json_object();
	int rc;

	drm_freshen(JOB_REFRESH_MAX);
	memset(&a, 0, sizeof(a));
	a.l.issuer = issuer;
	a.l.group = group;
	a.l.all = all_owners;
	a.l.filters = filters != NULL ? filters : none;
	a.start = start < 0 ? 0 : start;
	a.max = max < 0          ? JOB_LIST_DEFAULT
	    : max > JOB_LIST_MAX ? JOB_LIST_MAX
				 : max;
	rc = st_view(list_txn, &a, 0, err);
	free(a.l.jids);
	json_decref(none);
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

static int
summary_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return scan_jobs(t, arg, err);
}

/* A scan of the jobs the issuer may see, stored states brought up to
   date first (Slurm's are only learnt by asking) */
static void
scan_start(struct list_args *a, const char *issuer, const char *group,
    bool all_owners, const json_t *filters)
{
	drm_freshen(JOB_REFRESH_MAX);
	memset(a, 0, sizeof(*a));
	a->issuer = issuer;
	a->group = group;
	a->all = all_owners;
	a->filters = filters;
}

int
job_summary(const char *issuer, const char *group, bool all_owners,
    const char *const *groups, size_t ngroups, json_t **out, struct gr_err *err)
{
	static const char *const dflt[] = { "status" };
	struct list_args a;
	json_t *none = json_object();
	int rc;

	scan_start(&a, issuer, group, all_owners, none);
	a.groups = ngroups > 0 ? groups : dflt;
	a.ngroups = ngroups > 0 ? ngroups : 1;
	a.counts = json_object();
	rc = st_view(summary_txn, &a, 0, err);
	json_decref(none);
	if (rc != GR_OK) {
		json_decref(a.counts);
		return rc;
	}
	*out = a.counts;
	return GR_OK;
}

int
job_history(const char *issuer, const char *group, bool all_owners, long span,
    json_t **out, struct gr_err *err)
{
	struct list_args a;
	json_t *none, *totals, *by, *n;
	const char *st, *at;
	json_int_t sum;
	int rc;

	if (span < 1 || span > JOB_HISTORY_MAX)
		return gr_fail(err, GR_VALUE_ERROR,
		    "timeSpan must be 1 to %ld seconds", (long)JOB_HISTORY_MAX);
	none = json_object();
	scan_start(&a, issuer, group, all_owners, none);
	a.hist = json_object();
	/* DIRAC's accounting steps: 15 min up to 2 days, hours up to 2
	   weeks, days beyond */
	a.granularity = span <= 2 * 86400 ? 900
	    : span <= 14 * 86400          ? 3600
					  : 86400;
	a.from = time_now() - span;
	rc = st_view(summary_txn, &a, 0, err);
	json_decref(none);
	if (rc != GR_OK) {
		json_decref(a.hist);
		return rc;
	}
	totals = json_object();
	json_object_foreach(a.hist, st, by) {
		sum = 0;
		json_object_foreach(by, at, n)
			sum += json_integer_value(n);
		json_object_set_new(totals, st, json_integer(sum));
	}
	*out = json_pack("{s:I, s:I, s:o, s:o}", "timeSpan", (json_int_t)span,
	    "granularity", (json_int_t)a.granularity, "data", a.hist, "totals",
	    totals);
	return GR_OK;
}

struct get_args {
	const char *issuer, *share;
	long jid;
	json_t *job;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	int rc;

	json_decref(a->job);
	a->job = NULL;
	if ((rc = get_job(t, a->jid, &a->job, 0, err)) != GR_OK)
		return rc;
	return check_right(t, a->issuer, a->share, a->job, false, err);
}

/* The job's record, brought up to date with its DRM job first. */
static int
fetch(const char *issuer, const char *group, long jid, json_t **out,
    struct gr_err *err)
{
	struct get_args a = { issuer, share_of(group), jid, NULL };
	json_t *drec;
	int rc;

	if ((rc = st_view(get_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.job);
		return rc;
	}
	/* a killed job's run may still be ending (Slurm's is only learnt
	   by asking): until its end is known */
	if ((!is_final(str(a.job, "status")) ||
		(strcmp(str(a.job, "status"), "Killed") == 0 &&
		    json_object_get(json_object_get(a.job, "times"),
			"endExecution") == NULL &&
		    json_object_get(json_object_get(a.job, "times"),
			"startExecution") != NULL)) &&
	    str(a.job, "_drm") != NULL &&
	    drm_status(str(a.job, "_drm"), &drec, err) == GR_OK) {
		json_decref(drec);
		json_decref(a.job);
		a.job = NULL;
		if ((rc = st_view(get_txn, &a, 0, err)) != GR_OK) {
			json_decref(a.job);
			return rc;
		}
	}
	gr_clear(err);
	*out = a.job;
	return GR_OK;
}

int
job_get(const char *issuer, const char *group, long jid, json_t **out,
    struct gr_err *err)
{
	json_t *job;
	int rc;

	if ((rc = fetch(issuer, group, jid, &job, err)) != GR_OK)
		return rc;
	*out = render(job);
	json_decref(job);
	return GR_OK;
}

/* DIRAC's JDL -> JSON: every value a string, one-element lists scalars. */
static json_t *
stringify(const json_t *v)
{
	json_t *out, *e;
	const char *k;
	size_t i;

	if (json_is_string(v))
		return json_incref(jsonx_unconst(v));
	if (json_is_integer(v))
		return json_sprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return json_sprintf("%.15g", json_real_value(v));
	if (json_is_boolean(v))
		return json_string(json_is_true(v) ? "true" : "false");
	if (json_is_array(v)) {
		if (json_array_size(v) == 1)
			return stringify(json_array_get(v, 0));
		out = json_array();
		json_array_foreach(jsonx_unconst(v), i, e)
			json_array_append_new(out, stringify(e));
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(jsonx_unconst(v), k, e)
			json_object_set_new(out, k, stringify(e));
		return out;
	}
	return json_string("");
}

int
job_manifest(const char *issuer, const char *group, long jid, json_t **out,
    struct gr_err *err)
{
	json_t *job, *m;
	int rc;

	if ((rc = fetch(issuer, group, jid, &job, err)) != GR_OK)
		return rc;
	m = stringify(json_object_get(job, "_manifest"));
	json_object_set_new(m, "JobID", json_sprintf("%ld", jid));
	json_object_set(m, "Owner", json_object_get(job, "owner"));
	json_object_set(m, "OwnerGroup", json_object_get(job, "ownerGroup"));
	json_object_set(m, "VirtualOrganization", json_object_get(job, "vo"));
	json_object_set(m, "Status", json_object_get(job, "status"));
	json_decref(job);
	*out = m;
	return GR_OK;
}

/* --- sandboxes ------------------------------------------------------- */

#define SANDBOX_FILES_MAX 1000

struct sb_file {
	char *name;
	int fd;
	struct stat st;
};

struct sb_list {
	struct sb_file f[SANDBOX_FILES_MAX];
	size_t n;
};

static bool
listed(const struct sb_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->f[i].name, name) == 0)
			return true;
	return false;
}

/* Add dir's entry name if it is a regular file (never through a link). */
static void
sb_add(struct sb_list *l, int dfd, const char *name)
{
	struct stat st;
	int fd;

	/* a name unsafe in an archive is added: the archive skips it and
	   lists it as skipped; the DRM's own files are not the job's */
	if (l->n == SANDBOX_FILES_MAX || listed(l, name) ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strncmp(name, DRM_FILE_PREFIX, sizeof(DRM_FILE_PREFIX) - 1) == 0)
		return;
	if (wl_open_file(dfd, name, &fd, &st) != 0)
		return;
	l->f[l->n].name = xstrdup(name);
	l->f[l->n].fd = fd;
	l->f[l->n].st = st;
	l->n++;
}

static void
sb_free(struct sb_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->f[i].name);
		close(l->f[i].fd);
	}
	free(l);
}

/* The files of a sandbox: every file of isb/, or the output sandbox's
   names and patterns matched in run/. */
static struct sb_list *
sb_collect(const json_t *job, bool output)
{
	struct sb_list *l = xcalloc(1, sizeof(*l));
	const json_t *osb = json_object_get(job, "_osb"), *p;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t i;
	int dfd;

	if (jobs_dir(path, sizeof(path), str(job, "_dir"),
		output ? "run" : "isb") != 0 ||
	    (dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0)
		return l;
	if (output) {
		sb_add(l, dfd, str(job, "_stdout"));
		sb_add(l, dfd, str(job, "_stderr"));
	}
	if ((d = fdopendir(dup(dfd))) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!output) {
				sb_add(l, dfd, de->d_name);
				continue;
			}
			json_array_foreach(osb, i, p)
				if (glob_match(json_string_value(p),
					de->d_name))
					sb_add(l, dfd, de->d_name);
		}
		closedir(d);
	}
	close(dfd);
	return l;
}

static int
write_tar(const struct sb_list *l, job_write_fn fn, void *ctx,
    struct gr_err *err)
{
	struct wl_archive *a = wl_archive_new(WL_TAR_BZ2, fn, ctx, err);
	struct gr_err ignore = { 0 };
	size_t i;
	int rc = GR_OK;

	if (a == NULL)
		return err->code;
	for (i = 0; i < l->n && rc == GR_OK; i++)
		rc = wl_archive_add(a, l->f[i].fd, l->f[i].name, &l->f[i].st,
		    err);
	if (rc != GR_OK) {
		(void)wl_archive_close(a, &ignore);
		return rc;
	}
	return wl_archive_close(a, err);
}

int
job_sandbox(const char *issuer, const char *group, long jid, bool output,
    job_write_fn fn, void *ctx, struct gr_err *err)
{
	struct sb_list *l;
	json_t *job;
	int rc;

	if ((rc = fetch(issuer, group, jid, &job, err)) != GR_OK)
		return rc;
	if (output && !is_final(str(job, "status"))) {
		rc = gr_fail(err, GR_NOT_FOUND,
		    "No Output sandbox for job %ld: it is %s", jid,
		    str(job, "status"));
		json_decref(job);
		return rc;
	}
	l = sb_collect(job, output);
	json_decref(job);
	if (l->n == 0)
		rc = gr_fail(err, GR_NOT_FOUND, "No %s sandbox for job %ld",
		    output ? "Output" : "Input", jid);
	else
		rc = write_tar(l, fn, ctx, err);
	sb_free(l);
	return rc;
}

/* --- peek ------------------------------------------------------------ */

int
job_peek(const char *issuer, const char *group, long jid, struct job_peek *out,
    struct gr_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	json_t *job;
	int dfd = -1, rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if ((rc = fetch(issuer, group, jid, &job, err)) != GR_OK)
		return rc;
	out->status = state_name(str(job, "status"));
	out->final = is_final(out->status);
	if (jobs_dir(path, sizeof(path), str(job, "_dir"), "run") == 0 &&
	    (dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) >= 0 &&
	    wl_open_file(dfd, str(job, "_stdout"), &out->fd, &st) == 0)
		out->size = (long long)st.st_size;
	json_decref(job);
	if (dfd >= 0)
		close(dfd);
	return GR_OK;
}

/* --- kill and delete ------------------------------------------------- */

struct delete_args {
	const char *issuer, *share;
	long jid;
	bool killonly;
	struct wl_kill kill; /* the DRM job, if it has not ended */
};

static int
delete_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct delete_args *a = arg;
	const char *from;
	json_t *job, *ids;
	bool ended;
	int rc;

	if (a->kill.ids != NULL)
		json_array_clear(a->kill.ids);
	if ((rc = get_job(t, a->jid, &job, DB_RMW, err)) != GR_OK)
		return rc;
	if ((rc = check_right(t, a->issuer, a->share, job, true, err)) != GR_OK)
		goto out;
	from = state_name(str(job, "status"));
	ended = is_final(from);
	if (a->killonly && ended) {
		rc = gr_fail(err, GR_INVALID_JOB_IDS,
		    "job %ld is %s: a job that has ended cannot be killed",
		    a->jid, from);
		goto out;
	}
	if (!ended && !move(job, "Killed", "Marked for termination")) {
		rc = gr_fail(err, GR_INVALID_JOB_IDS,
		    "job %ld is %s: it cannot be killed", a->jid, from);
		goto out;
	}
	if (!a->killonly && !move(job, "Deleted", "Deleted by the owner")) {
		rc = gr_fail(err, GR_INVALID_JOB_IDS,
		    "job %ld is %s: it cannot be deleted", a->jid, from);
		goto out;
	}
	json_object_set_new(json_object_get(job, "flags"),
	    a->killonly ? "killed" : "deleted", json_true());
	if ((rc = put_job(t, job, err)) != GR_OK)
		goto out;
	if (!ended && str(job, "_drm") != NULL) {
		ids = json_pack("[s]", str(job, "_drm"));
		rc = wl_kill_txn(t, ids, &a->kill, err);
		json_decref(ids);
	}
out:
	json_decref(job);
	return rc;
}

int
job_delete(const char *issuer, const char *group, long jid, bool killonly,
    struct gr_err *err)
{
	struct delete_args a = { issuer, share_of(group), jid, killonly,
		{ NULL } };
	int rc = st_txn_run(delete_txn, &a, err);

	wl_kill_end(&a.kill, rc == GR_OK);
	return rc;
}
