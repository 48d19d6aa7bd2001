/*
 * drm_slurm.c -- the slurm backend: sbatch, scontrol, scancel, run with
 * fork/execvp (never a shell), their output read through a pipe.
 *
 * A job's batch script is a JSON description whose interpreter is
 * gridrest-drm-exec (tools/drm-exec.c), so the command itself never meets
 * a shell either. Dependencies become --dependency on the Slurm ids of the
 * jobs they name, arrays one --array job, the time limit --time (in
 * minutes, the unit Slurm knows; the exact limit in seconds is kept by
 * gridrest-drm-exec). The exit status comes from the file the interpreter
 * writes into the working directory, so it survives Slurm forgetting the
 * job; scontrol is asked only while no such file exists. A job Slurm has
 * forgotten without leaving a status becomes LOST.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "drm.h"
#include "drm_backend.h"
#include "drm_run.h"
#include "jsonx.h"
#include "log.h"
#include "proc.h"
#include "stage.h"
#include "util.h"

#define CMD_OUT_MAX 65536 /* bytes of a command's output kept */
#define CMD_TIMEOUT 20    /* seconds a Slurm command may take */
#define SCRIPT_NAME DRM_FILE_PREFIX "batch-"
#define EXIT_NAME   DRM_FILE_PREFIX "exit-"

static const char *
rec_str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* --- running commands ------------------------------------------------ */

/*
 * Run argv (PATH search) with SLURM_CONF set from GRIDREST_DRM_SLURM_CONF;
 * its stdout and stderr into out. Returns the exit status, or -1.
 */
static int
run_cmd(const char *const *argv, struct sbuf *out)
{
	const char *conf = getenv("GRIDREST_DRM_SLURM_CONF");
	struct pollfd pfd;
	char buf[4096];
	int pipefd[2], status = -1;
	int64_t deadline = time_now() + CMD_TIMEOUT;
	ssize_t n;
	pid_t pid;

	out->len = 0;
	if (pipe(pipefd) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			(void)dup2(fd, STDIN_FILENO);
		(void)dup2(pipefd[1], STDOUT_FILENO);
		(void)dup2(pipefd[1], STDERR_FILENO);
		for (fd = 3; fd < 1024; fd++)
			(void)close(fd);
		if (conf != NULL && *conf != '\0')
			(void)setenv("SLURM_CONF", conf, 1);
		(void)alarm(0);
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	while (time_now() < deadline) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out->len + (size_t)n <= CMD_OUT_MAX)
			sbuf_add(out, buf, (size_t)n);
	}
	close(pipefd[0]);
	if (time_now() >= deadline)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sbuf_add(out, "", 1);
	out->len--;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* --- submission ------------------------------------------------------ */

/* gridrest-drm-exec: GRIDREST_DRM_EXEC, else found as tool_path
   finds it, else on the PATH. */
static const char *
exec_path(void)
{
	static char path[PATH_MAX];
	const char *v = getenv("GRIDREST_DRM_EXEC");

	if (v != NULL && *v != '\0')
		return v;
	if (path[0] == '\0' &&
	    !tool_path("gridrest-drm-exec", path, sizeof(path)))
		return "gridrest-drm-exec";
	return path;
}

/* Write the batch script into the working directory; its path in out. */
static int
write_script(const json_t *rec, char *out, size_t size)
{
	const struct drm_cfg *c;
	struct gr_err err = { 0 };
	struct drm_limits lim;
	json_t *payload;
	char *text;
	FILE *f;
	int fd, rc = -1;

	(void)drm_config(&c, &err);
	drm_limits_of(rec, &lim);
	if (snprintf(out, size, "%s/%s%s", rec_str(rec, "cwd"), SCRIPT_NAME,
		rec_str(rec, "id")) >= (int)size)
		return -1;
	payload = json_pack("{s:O, s:O, s:I, s:i}", "argv",
	    json_object_get(rec, "argv"), "env", json_object_get(rec, "env"),
	    "time_limit",
	    json_integer_value(json_object_get(rec, "time_limit")), "grace",
	    (int)c->grace);
	/* the interpreter applies them as the local supervisor does */
	/* its data, copied on the node (stage.h) */
	if (json_object_get(rec, "stage") != NULL)
		json_object_set(payload, "stage",
		    json_object_get(rec, "stage"));
	json_object_set_new(payload, "limits",
	    json_pack("{s:I, s:I, s:I}", "nproc", (json_int_t)lim.nproc,
		"fsize_mb", (json_int_t)lim.fsize_mb, "mem_mb",
		(json_int_t)lim.mem_mb));
	json_array_append_new(json_object_get(payload, "env"),
	    json_sprintf("GRIDREST_DRM_ID=%s", rec_str(rec, "id")));
	json_array_append_new(json_object_get(payload, "env"),
	    json_sprintf("HOME=%s", rec_str(rec, "cwd")));
	json_array_append_new(json_object_get(payload, "env"),
	    json_string("PATH=/usr/local/bin:/usr/bin:/bin"));
	json_array_append_new(json_object_get(payload, "env"),
	    json_string("LANG=C.UTF-8"));
	text = json_dumps(payload, JSON_COMPACT);
	json_decref(payload);
	(void)unlink(out);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
		if (fprintf(f, "#!%s\n%s\n", exec_path(), text) > 0)
			rc = 0;
		if (fclose(f) != 0)
			rc = -1;
	} else if (fd >= 0) {
		close(fd);
	}
	free(text);
	return rc;
}

struct native_args {
	const char *id;
	json_t *rec;  /* view: the record */
	json_t *deps; /* view: the records of its dependencies */
	json_t *ids;  /* write: the ids that get native */
	const char *native;
	const char *state, *reason; /* write: a failure instead */
};

static int
view_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct native_args *a = arg;
	const json_t *d;
	json_t *drec;
	size_t i;
	int ret;

	json_decref(a->rec);
	json_decref(a->deps);
	a->rec = NULL;
	a->deps = json_array();
	if ((ret = drm_get_txn(t, a->id, &a->rec, 0)) != 0)
		return st_fail(err, ret);
	json_array_foreach(json_object_get(a->rec, "deps"), i, d) {
		drec = NULL;
		ret = drm_get_txn(t, rec_str(d, "id"), &drec, 0);
		if (ret != 0)
			return st_fail(err, ret);
		json_array_append_new(a->deps, drec);
	}
	return GR_OK;
}

static int
set_native_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct native_args *a = arg;
	const json_t *idj;
	json_t *rec;
	size_t i;
	int ret, rc = GR_OK;

	json_array_foreach(a->ids, i, idj) {
		rec = NULL;
		ret = drm_get_txn(t, json_string_value(idj), &rec, DB_RMW);
		if (ret != 0)
			return st_fail(err, ret);
		if (a->state != NULL) {
			json_object_set_new(rec, "state",
			    json_string(a->state));
			json_object_set_new(rec, "reason",
			    json_string(a->reason));
			json_object_set_new(rec, "ended_at",
			    json_integer(time_now()));
		} else if (json_is_integer(
			       json_object_get(rec, "array_index"))) {
			json_object_set_new(rec, "native_id",
			    json_sprintf("%s_%lld", a->native,
				(long long)json_integer_value(
				    json_object_get(rec, "array_index"))));
		} else {
			json_object_set_new(rec, "native_id",
			    json_string(a->native));
		}
		rc = drm_put_state(t, rec, err);
		json_decref(rec);
		if (rc != GR_OK)
			break;
	}
	return rc;
}

static const char *
dep_spec(const json_t *rec, const json_t *deps, struct sbuf *b,
    const char **never)
{
	const json_t *d, *drec;
	const char *type, *state, *native;
	size_t i;

	*never = NULL;
	b->len = 0;
	json_array_foreach(json_object_get(rec, "deps"), i, d) {
		drec = json_array_get(deps, i);
		type = rec_str(d, "type");
		state = rec_str(drec, "state");
		native = rec_str(drec, "native_id");
		if (native == NULL) {
			/* a dependency Slurm never saw: judge it here */
			if (!drm_final(state))
				return *never = "a dependency was never "
						"submitted to Slurm",
				       NULL;
			if ((strcmp(type, "afterok") == 0 &&
				strcmp(state, "DONE") != 0) ||
			    (strcmp(type, "afternotok") == 0 &&
				strcmp(state, "DONE") == 0))
				return *never = "a dependency can never be "
						"satisfied",
				       NULL;
			continue;
		}
		sbuf_adds(b, b->len == 0 ? "--dependency=" : ",");
		sbuf_adds(b, type);
		sbuf_add(b, ":", 1);
		sbuf_adds(b, native);
	}
	if (b->len == 0)
		return NULL;
	sbuf_add(b, "", 1);
	return b->s;
}

/* The ids of rec's array (every task shares its first task's spec). */
static void
array_ids(const json_t *rec, const json_t *ids, json_t *out)
{
	const char *first = rec_str(rec, "array_first");
	const json_t *idj;
	json_t *other;
	struct gr_err err = { 0 };
	size_t i;

	json_array_foreach(ids, i, idj) {
		other = NULL;
		if (drm_status(json_string_value(idj), &other, &err) == GR_OK &&
		    first != NULL &&
		    strcmp(rec_str(other, "array_first") != NULL
			    ? rec_str(other, "array_first")
			    : "",
			first) == 0)
			json_array_append(out, jsonx_unconst(idj));
		json_decref(other);
	}
}

static void
sbatch_one(const char *id, const json_t *all_ids)
{
	struct native_args a = { 0 };
	struct gr_err err = { 0 };
	struct sbuf out = { 0 }, deps = { 0 };
	const char *argv[32], *never, *dspec;
	char script[PATH_MAX], name[64], tlim[32], cpus[32], mem[48];
	char outp[PATH_MAX], errp[PATH_MAX], cdir[PATH_MAX], arr[64];
	char uid[32], gid[32], part[80], why[256];
	long limit, lo = LONG_MAX, hi = -1, step = 1, idx;
	const json_t *idj;
	json_t *task;
	size_t n = 0, i;
	uid_t u;
	gid_t g;
	int st;

	a.id = id;
	if (st_view(view_txn, &a, 0, &err) != GR_OK)
		goto out;
	/* held: its submitter releases it, then starts it again */
	if (json_integer_value(json_object_get(a.rec, "held_until")) >
	    time_now())
		goto out;
	a.ids = json_array();
	if (json_is_integer(json_object_get(a.rec, "array_index"))) {
		if (strcmp(rec_str(a.rec, "array_first"), id) != 0)
			goto out; /* started with its first task */
		array_ids(a.rec, all_ids, a.ids);
	} else {
		json_array_append_new(a.ids, json_string(id));
	}
	dspec = dep_spec(a.rec, a.deps, &deps, &never);
	if (never != NULL) {
		a.state = "FAILED";
		a.reason = never;
		(void)st_txn_run(set_native_txn, &a, &err);
		goto out;
	}
	if (drm_rec_user(a.rec, &u, &g, &err) == GR_OK && geteuid() == 0 &&
	    getpwuid(u) == NULL)
		(void)gr_fail(&err, GR_UNAVAILABLE,
		    "the job's uid %ld has no passwd entry here: Slurm runs "
		    "jobs only as users its hosts know",
		    (long)u);
	if (err.msg[0] != '\0' || drm_make_cwd(a.rec, u, g) != 0 ||
	    write_script(a.rec, script, sizeof(script)) != 0) {
		a.state = "FAILED";
		a.reason = err.msg[0] != '\0' ? err.msg
					      : "cannot write the batch script";
		(void)st_txn_run(set_native_txn, &a, &err);
		goto out;
	}
	limit = (long)json_integer_value(json_object_get(a.rec, "time_limit"));
	(void)snprintf(name, sizeof(name), "--job-name=gr-%s", id);
	(void)snprintf(cpus, sizeof(cpus), "--cpus-per-task=%lld",
	    (long long)json_integer_value(json_object_get(a.rec, "cpus")));
	argv[n++] = "sbatch";
	argv[n++] = "--parsable";
	argv[n++] = "--export=NONE";
	argv[n++] = name;
	argv[n++] = cpus;
	if (geteuid() == 0) {
		(void)snprintf(uid, sizeof(uid), "--uid=%ld", (long)u);
		(void)snprintf(gid, sizeof(gid), "--gid=%ld", (long)g);
		argv[n++] = uid;
		argv[n++] = gid;
	}
	(void)snprintf(cdir, sizeof(cdir), "--chdir=%s", rec_str(a.rec, "cwd"));
	argv[n++] = cdir;
	(void)snprintf(outp, sizeof(outp), "--output=%s/%s",
	    rec_str(a.rec, "cwd"),
	    rec_str(a.rec, "stdout") != NULL ? rec_str(a.rec, "stdout")
					     : "/dev/null");
	if (rec_str(a.rec, "stdout") == NULL)
		(void)snprintf(outp, sizeof(outp), "--output=/dev/null");
	(void)snprintf(errp, sizeof(errp), "--error=%s/%s",
	    rec_str(a.rec, "cwd"),
	    rec_str(a.rec, "stderr") != NULL ? rec_str(a.rec, "stderr") : "");
	if (rec_str(a.rec, "stderr") == NULL)
		(void)snprintf(errp, sizeof(errp), "--error=/dev/null");
	argv[n++] = outp;
	argv[n++] = errp;
	if (limit > 0) {
		/* a minute more than the interpreter's own, exact limit */
		(void)snprintf(tlim, sizeof(tlim), "--time=%ld",
		    (limit + 59) / 60 + 1);
		argv[n++] = tlim;
	}
	if (json_integer_value(json_object_get(a.rec, "mem_mb")) > 0) {
		(void)snprintf(mem, sizeof(mem), "--mem=%lld",
		    (long long)json_integer_value(
			json_object_get(a.rec, "mem_mb")));
		argv[n++] = mem;
	}
	if (rec_str(a.rec, "queue") != NULL) {
		(void)snprintf(part, sizeof(part), "--partition=%s",
		    rec_str(a.rec, "queue"));
		argv[n++] = part;
	}
	if (dspec != NULL) {
		argv[n++] = dspec;
		argv[n++] = "--kill-on-invalid-dep=yes";
	}
	if (json_array_size(a.ids) > 0 &&
	    json_is_integer(json_object_get(a.rec, "array_index"))) {
		struct gr_err e2 = { 0 };

		json_array_foreach(a.ids, i, idj) {
			task = NULL;
			if (drm_status(json_string_value(idj), &task, &e2) ==
			    GR_OK) {
				idx = (long)json_integer_value(
				    json_object_get(task, "array_index"));
				lo = idx < lo ? idx : lo;
				hi = idx > hi ? idx : hi;
			}
			json_decref(task);
		}
		step = (long)json_integer_value(
		    json_object_get(a.rec, "array_step"));
		(void)snprintf(arr, sizeof(arr), "--array=%ld-%ld:%ld", lo, hi,
		    step > 0 ? step : 1);
		argv[n++] = arr;
	}
	argv[n++] = script;
	argv[n] = NULL;
	st = run_cmd(argv, &out);
	if (st != 0 || out.len == 0) {
		log_msg(LOG_ERR, "drm %s: sbatch: %s", id, out.s);
		/* its first line says why (an unknown partition...) */
		(void)snprintf(why, sizeof(why), "sbatch refused the job: %.*s",
		    (int)strcspn(out.s != NULL ? out.s : "", "\n"),
		    out.s != NULL ? out.s : "");
		a.state = "FAILED";
		a.reason = why;
	} else {
		out.s[strcspn(out.s, ";\n")] = '\0'; /* "id[;cluster]" */
		a.native = out.s;
	}
	(void)st_txn_run(set_native_txn, &a, &err);
out:
	sbuf_free(&out);
	sbuf_free(&deps);
	json_decref(a.rec);
	json_decref(a.deps);
	json_decref(a.ids);
}

static int
drm_slurm_start(const json_t *ids, struct gr_err *err)
{
	const json_t *idj;
	size_t i;

	(void)err;
	/* in order: a dependency submitted earlier has its Slurm id */
	json_array_foreach(ids, i, idj)
		sbatch_one(json_string_value(idj), ids);
	return GR_OK;
}

/* --- status ---------------------------------------------------------- */

/* "exit N" ... from the interpreter's file; false if there is none. */
static bool
read_exit(const json_t *rec, char *how, size_t hsize, int *n, double *cpu)
{
	const char *c;

	char path[PATH_MAX], buf[64];
	struct stat st;
	ssize_t len;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s%s", rec_str(rec, "cwd"),
		EXIT_NAME, rec_str(rec, "native_id")) >= (int)sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (len = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		close(fd);
		return false;
	}
	close(fd);
	buf[len] = '\0';
	if (sscanf(buf, "%15s %d", how, n) != 2)
		return false;
	*cpu = -1;
	if ((c = strstr(buf, " cpu=")) != NULL &&
	    sscanf(c + 5, "%lf", cpu) != 1)
		*cpu = -1;
	(void)hsize;
	return true;
}

/* A member "Key=value" of scontrol's one-line output into val. */
static bool
sc_field(const char *s, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = s;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == s || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, " \n");
			if (n >= size)
				n = size - 1;
			memcpy(val, p, n);
			val[n] = '\0';
			return true;
		}
		p += klen;
	}
	return false;
}

static void
set_end(json_t *rec, const char *state, const char *reason)
{
	json_object_set_new(rec, "state", json_string(state));
	json_object_set_new(rec, "ended_at", json_integer(time_now()));
	if (reason != NULL)
		json_object_set_new(rec, "reason", json_string(reason));
}

/* The job's exit file, if it wrote one, as its end in up. */
static bool
from_exit(const json_t *rec, json_t *up, bool cancel)
{
	const char *phase;
	char how[16];
	double cpu;
	bool copying;
	int n;

	if (!read_exit(rec, how, sizeof(how), &n, &cpu))
		return false;
	/* ended while the node copied its input: the phase it left */
	phase = stage_phase_read(rec_str(rec, "cwd"),
	    rec_str(rec, "native_id"));
	copying = phase != NULL && strcmp(phase, "in") == 0;
	if (cpu >= 0)
		json_object_set_new(up, "cpu_time", json_real(cpu));
	if (strcmp(how, "exit") == 0) {
		set_end(up, n == 0 ? "DONE" : "FAILED", NULL);
		json_object_set_new(up, "exit_code", json_integer(n));
	} else {
		set_end(up,
		    strcmp(how, "timeout") == 0                   ? "TIMEOUT"
			: strcmp(how, "cancelled") == 0 || cancel ? "CANCELLED"
								  : "FAILED",
		    strcmp(how, "timeout") == 0
			? (copying ? STAGE_TIMEOUT_WHY
				   : "the job reached its time limit")
			: copying ? STAGE_CANCEL_WHY
				  : NULL);
		if (n > 0)
			json_object_set_new(up, "signal", json_integer(n));
	}
	if (json_object_get(up, "started_at") == NULL)
		json_object_set(up, "started_at",
		    json_object_get(up, "ended_at"));
	return true;
}

/*
 * An end read from the exit file, and the job's data: a failure the node
 * wrote (staging in or out), or the output it stored, registered here by
 * the client (again, harmlessly, by every look until the end is recorded).
 */
static void
data_end(const json_t *rec, json_t *up)
{
	const json_t *stage = json_object_get(rec, "stage");
	const json_t *out = json_object_get(stage, "out");
	char why[GR_ERR_MSG_MAX];
	json_t *res;

	if (stage == NULL)
		return;
	res = stage_result_read(rec_str(rec, "cwd"), rec_str(rec, "native_id"));
	if (json_string_value(json_object_get(res, "why")) != NULL) {
		set_end(up, "FAILED",
		    json_string_value(json_object_get(res, "why")));
		json_object_set_new(up, "data_failed", json_true());
	} else if (json_array_size(out) > 0 &&
	    strcmp(rec_str(up, "state"), "DONE") == 0) {
		if (!json_is_array(json_object_get(res, "got")))
			(void)snprintf(why, sizeof(why),
			    "Failed to upload output data: the job's node "
			    "left no account of it");
		if (!json_is_array(json_object_get(res, "got")) ||
		    drm_client_finish(rec, json_object_get(res, "got"), why,
			sizeof(why)) != 0) {
			set_end(up, "FAILED", why);
			json_object_set_new(up, "data_failed", json_true());
		}
	}
	json_decref(res);
}

/*
 * A cancellation nobody here asked for (the refresh makes it FAILED) is
 * worth a line in the log: who cancelled it, and how Slurm or the job's
 * exit file said so. The cancel flag is the one read before the look.
 */
static json_t *
noted(const json_t *rec, json_t *up, bool cancel, const char *slurm)
{
	if (!cancel &&
	    strcmp(rec_str(up, "state") != NULL ? rec_str(up, "state") : "",
		"CANCELLED") == 0)
		log_msg(LOG_WARN,
		    "drm %s: Slurm job %s was cancelled with no stop asked "
		    "here (%s%s)",
		    rec_str(rec, "id"), rec_str(rec, "native_id"),
		    slurm != NULL ? "Reason=" : "",
		    slurm != NULL ? slurm : "its exit file");
	return up;
}

static json_t *
drm_slurm_poll(const json_t *rec)
{
	const char *native = rec_str(rec, "native_id");
	const char *argv[] = { "scontrol", "-o", "show", "job", native, NULL };
	bool cancel = json_is_true(json_object_get(rec, "cancel"));
	char state[64], reason[128] = "";
	const char *phase;
	struct sbuf out = { 0 };
	json_t *up;
	int st;

	if (native == NULL)
		return NULL;
	up = json_deep_copy(rec);
	if (from_exit(rec, up, cancel)) {
		data_end(rec, up);
		return noted(rec, up, cancel, NULL);
	}
	st = run_cmd(argv, &out);
	/* the job may have ended (its exit file written) while scontrol
	   ran: the file is the truth, Slurm's view of an end only a guess */
	if (from_exit(rec, up, cancel)) {
		sbuf_free(&out);
		data_end(rec, up);
		return noted(rec, up, cancel, NULL);
	}
	if (st == 0 && sc_field(out.s, "JobState", state, sizeof(state))) {
		(void)sc_field(out.s, "Reason", reason, sizeof(reason));
		if (strcmp(state, "PENDING") == 0 &&
		    strcmp(reason, "DependencyNeverSatisfied") == 0) {
			set_end(up, "FAILED",
			    "a dependency can never be satisfied");
		} else if (strcmp(state, "RUNNING") == 0 ||
		    strcmp(state, "COMPLETING") == 0 ||
		    strcmp(state, "CONFIGURING") == 0) {
			json_object_set_new(up, "state",
			    json_string("RUNNING"));
			phase = stage_phase_read(rec_str(rec, "cwd"), native);
			if (phase != NULL)
				json_object_set_new(up, "stage_phase",
				    json_string(phase));
			if (json_object_get(up, "started_at") == NULL)
				json_object_set_new(up, "started_at",
				    json_integer(time_now()));
		} else if (strcmp(state, "CANCELLED") == 0 &&
		    strcmp(reason, "DependencyNeverSatisfied") == 0) {
			set_end(up, "FAILED",
			    "a dependency can never be satisfied");
		} else if (strcmp(state, "CANCELLED") == 0) {
			set_end(up, "CANCELLED", "cancelled in Slurm");
		} else if (strcmp(state, "TIMEOUT") == 0 ||
		    strcmp(state, "DEADLINE") == 0) {
			set_end(up, "TIMEOUT", "Slurm's time limit");
		} else if (strcmp(state, "COMPLETED") == 0 ||
		    strcmp(state, "PENDING") == 0 ||
		    strcmp(state, "SUSPENDED") == 0 ||
		    strcmp(state, "REQUEUED") == 0) {
			/* still to come, or the exit file is being written */
		} else {
			set_end(up, "FAILED", state);
		}
	} else if (st >= 0 &&
	    strstr(out.s != NULL ? out.s : "", "Invalid job id") != NULL) {
		/* Slurm forgot the job and it left no status behind */
		set_end(up, cancel ? "CANCELLED" : "LOST",
		    cancel ? "cancelled"
			   : "Slurm forgot the job without an exit status");
	}
	sbuf_free(&out);
	return noted(rec, up, cancel, reason[0] != '\0' ? reason : NULL);
}

static int
drm_slurm_apply(struct st_txn *t, json_t *rec, const json_t *polled,
    bool *changed, struct gr_err *err)
{
	(void)t;
	(void)err;
	const char *keys[] = { "state", "started_at", "ended_at", "exit_code",
		"signal", "reason", "cpu_time", "stage_phase", "data_failed" };
	const char *state;
	bool cancel;
	size_t i;

	*changed = false;
	if (polled == NULL || drm_final(rec_str(rec, "state")))
		return GR_OK;
	*changed = !json_equal(json_object_get(rec, "state"),
		       json_object_get(polled, "state")) ||
	    (json_object_get(polled, "stage_phase") != NULL &&
		!json_equal(json_object_get(rec, "stage_phase"),
		    json_object_get(polled, "stage_phase")));
	for (i = 0; *changed && i < ARRAY_LEN(keys); i++)
		if (json_object_get(polled, keys[i]) != NULL)
			json_object_set(rec, keys[i],
			    json_object_get(polled, keys[i]));
	if (!*changed)
		return GR_OK;
	/*
	 * Stopped by the user only when the user asked: the cancel flag of
	 * the record as it is now, not as the look began (a stop may have
	 * come while scontrol ran). A job Slurm cancelled of itself, or an
	 * operator's scancel, failed (slurm-drmaa: DRMAA FAILED); one Slurm
	 * forgot after a stop was stopped.
	 */
	cancel = json_is_true(json_object_get(rec, "cancel"));
	state = rec_str(rec, "state");
	if (state != NULL && strcmp(state, "CANCELLED") == 0 && !cancel) {
		json_object_set_new(rec, "state", json_string("FAILED"));
		if (rec_str(rec, "reason") == NULL)
			json_object_set_new(rec, "reason",
			    json_string("cancelled in Slurm"));
	} else if (state != NULL && strcmp(state, "LOST") == 0 && cancel) {
		json_object_set_new(rec, "state", json_string("CANCELLED"));
	}
	return GR_OK;
}

static int
drm_slurm_signal(const json_t *rec, struct gr_err *err)
{
	const char *native = rec_str(rec, "native_id");
	const char *argv[] = { "scancel", native, NULL };
	struct sbuf out = { 0 };
	int st;

	if (native == NULL)
		return GR_OK;
	st = run_cmd(argv, &out);
	if (st != 0)
		log_msg(LOG_WARN, "drm %s: scancel %s: %s", rec_str(rec, "id"),
		    native, out.s != NULL ? out.s : "");
	sbuf_free(&out);
	(void)err;
	return GR_OK;
}

static void
drm_slurm_capabilities(json_t *caps)
{
	json_array_append_new(caps, json_string("cpus"));
	json_array_append_new(caps, json_string("memory"));
	json_array_append_new(caps, json_string("queue"));
}

/* Slurm starts its queue itself: no kick, no poke, no reap (scancel
   ends what a job left) */
const struct drm_backend drm_slurm_backend = {
	.name = "slurm",
	.start = drm_slurm_start,
	.poll = drm_slurm_poll,
	.refresh = drm_slurm_apply,
	.signal = drm_slurm_signal,
	.reap = NULL,
	.kick = NULL,
	.poke = NULL,
	.capabilities = drm_slurm_capabilities,
};
