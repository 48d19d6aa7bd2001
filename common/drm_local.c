/*
 * drm_local.c -- the local backend: a detached supervisor per running job.
 *
 * drm_local_kick() double-forks a supervisor into its own session (so it
 * outlives the backend and lighttpd that started it). The supervisor takes
 * a free slot -- an exclusive flock on <home>/drm/slots/<n>; the kernel
 * frees it when the process dies, so a crash never leaks a slot -- then
 * claims the oldest queued job whose dependencies are met, runs it, records
 * the result, and claims the next one, until none is left; then it gives
 * the slot back and looks once more, so a job queued while every slot was
 * busy is always seen by the supervisor that frees one. No daemon.
 *
 * A supervisor with nothing left to do lingers (GRIDREST_DRM_LINGER_MS,
 * 2 s), keeping its slot and reading the FIFO <home>/drm/wake. A
 * submitter first writes a
 * byte there: an idle supervisor takes the job, and the submission costs
 * no fork. Only when no supervisor listens (the open fails with ENXIO, the
 * write with EPIPE) and a slot is free does the submitter start one. A
 * lingering supervisor closes the FIFO before it looks at the queue a last
 * time, so a wake-up written while it listened is never lost: the job was
 * committed before the byte.
 *
 * A running job's record holds the supervisor's pid, the boot id and the
 * process start time: a job whose supervisor is gone (killed, or the
 * machine restarted) is found out by drm_local_refresh() and becomes LOST.
 * It also holds the supervisor's slot; the slot's file names the job's
 * process group while it runs (a write to a descriptor the supervisor
 * holds, not a transaction), so that the job of a lost supervisor is
 * ended -- by drm_local_reap(), or by the next holder of the slot.
 *
 * A job's end and the claim of the next one are one transaction.
 */
#define _GNU_SOURCE /* execvpe */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "drm.h"
#include "drm_backend.h"
#include "drm_run.h"
#include "log.h"
#include "proc.h"
#include "stage.h"
#include "store_guard.h"
#include "store_repl.h"
#include "util.h"

#define CANCEL_POLL_MS 1000 /* how often it looks for a cancel in the store */
#define CLAIM_SCAN_MAX 64   /* queued jobs one claim looks at */
#define KICK_ROUNDS    64   /* slot rounds of one supervisor */
#define LINGER_MS      2000 /* how long an idle supervisor waits for work */
#define LINGER_MS_MAX  600000
#define LINGER_STEP_MS 100 /* and how often it checks its FIFO is there */
#define JOB_PATH       "/usr/local/bin:/usr/bin:/bin"
#define SLOT_LINE      128 /* "<id> <pgid> <start> <boot>", space-padded */

static volatile sig_atomic_t got_term;
static int slot_fd = -1; /* the supervisor's slot, while it holds one */
static unsigned slot_no;

static void spread(void);

static void
on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* --- slots ----------------------------------------------------------- */

static bool
slot_path(char *buf, size_t n, unsigned i)
{
	return snprintf(buf, n, "%s/drm/slots/%u", cfg.home, i) < (int)n;
}

/*
 * End the job a slot's file names, if it still runs (a process of this
 * boot with the start time written): want is its id, or NULL for any.
 */
static void
slot_reap(int fd, const char *want)
{
	char line[SLOT_LINE + 1], id[DRM_ID_LEN + 1], boot[64];
	unsigned long long start;
	long pid;
	ssize_t n;

	if ((n = pread(fd, line, SLOT_LINE, 0)) <= 0)
		return;
	line[n] = '\0';
	if (sscanf(line, "%16s %ld %llu %63s", id, &pid, &start, boot) != 4 ||
	    strlen(id) != DRM_ID_LEN || pid <= 1 ||
	    (want != NULL && strcmp(id, want) != 0) ||
	    strcmp(boot, drm_boot_id()) != 0 ||
	    drm_proc_start((pid_t)pid) != start)
		return;
	(void)kill(-(pid_t)pid, SIGKILL);
}

/* Name the job running in this supervisor's slot (pid 0: none). */
static void
slot_note(const char *id, pid_t pid)
{
	char line[SLOT_LINE];
	int n = 0;

	if (slot_fd < 0)
		return;
	if (pid > 0)
		n = snprintf(line, sizeof(line), "%s %ld %llu %s", id,
		    (long)pid, (unsigned long long)drm_proc_start(pid),
		    drm_boot_id());
	if (n < 0 || n >= (int)sizeof(line))
		n = 0;
	memset(line + n, ' ', sizeof(line) - (size_t)n - 1);
	line[sizeof(line) - 1] = '\n';
	if (pwrite(slot_fd, line, sizeof(line), 0) != (ssize_t)sizeof(line))
		log_msg(LOG_WARN, "drm: cannot write slot %u: %s", slot_no,
		    strerror(errno));
}

/*
 * Take a free slot: its descriptor (-1: none free), and its number in
 * *no. Its previous holder is dead (the lock was free): a job it left
 * running is ended first.
 */
static int
slot_grab(unsigned *no)
{
	const struct drm_cfg *c;
	struct gr_err err = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 32];
	unsigned i;
	int fd;

	if (drm_config(&c, &err) != GR_OK)
		return -1;
	if (snprintf(dir, sizeof(dir), "%s/drm", cfg.home) >= (int)sizeof(dir))
		return -1;
	(void)mkdir(dir, 0700);
	(void)snprintf(path, sizeof(path), "%s/slots", dir);
	(void)mkdir(path, 0700);
	for (i = 0; i < c->slots; i++) {
		if (!slot_path(path, sizeof(path), i))
			return -1;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			slot_reap(fd, NULL);
			*no = i;
			return fd;
		}
		close(fd);
	}
	return -1;
}

/*
 * Is a slot free now? (taken and given back at once). A submitter that
 * finds every slot busy need not start a supervisor: each holder looks at
 * the queue after giving its slot back, and the job was committed before
 * this look, so before that holder's.
 */
static bool
slot_free(void)
{
	unsigned no;
	int fd = slot_grab(&no);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* --- waking an idle supervisor ------------------------------------- */

static bool
wake_path(char *buf, size_t n)
{
	return snprintf(buf, n, "%s/drm/wake", cfg.home) < (int)n;
}

/*
 * Write up to n wake-ups to the idle supervisors; false when none listens.
 * SIGPIPE is held back around the write, for callers that do not ignore it.
 */
static bool
wake_idle(size_t n)
{
	static const char bytes[8] = "jjjjjjjj";
	char path[PATH_MAX];
	sigset_t pipe_only, old;
	struct timespec zero = { 0, 0 };
	struct stat sb;
	ssize_t w;
	int fd, e;

	if (!wake_path(path, sizeof(path)) ||
	    (fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) <
		0)
		return false;
	if (fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
		close(fd); /* not ours: start a supervisor instead */
		return false;
	}
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &pipe_only, &old);
	w = write(fd, bytes, n < sizeof(bytes) ? n : sizeof(bytes));
	e = errno;
	if (w < 0 && e == EPIPE)
		(void)sigtimedwait(&pipe_only, NULL, &zero);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	/* a full FIFO holds wake-ups nobody read yet: as good as read */
	return w > 0 || (w < 0 && e == EAGAIN);
}

/* --- claiming work --------------------------------------------------- */

static const char *rec_str(const json_t *rec, const char *key);

enum dep_verdict { DEP_WAIT, DEP_OK, DEP_NEVER };

static enum dep_verdict
deps_verdict(struct st_txn *t, const json_t *rec, struct gr_err *err, int *rc)
{
	const json_t *deps = json_object_get(rec, "deps"), *d;
	enum dep_verdict v = DEP_OK;
	json_t *drec;
	const char *type, *state;
	size_t i;
	int ret;

	*rc = GR_OK;
	/* its submitter has work left before it may start (drm_release) */
	if (json_integer_value(json_object_get(rec, "held_until")) > time_now())
		return DEP_WAIT;
	json_array_foreach(deps, i, d) {
		drec = NULL;
		ret = drm_get_txn(t,
		    json_string_value(json_object_get(d, "id")), &drec, 0);
		if (ret == DB_NOTFOUND)
			return DEP_NEVER;
		if (ret != 0) {
			*rc = st_fail(err, ret);
			return DEP_WAIT;
		}
		type = json_string_value(json_object_get(d, "type"));
		state = json_string_value(json_object_get(drec, "state"));
		if (!drm_final(state))
			v = DEP_WAIT;
		else if (type != NULL && strcmp(type, "afterok") == 0 &&
		    strcmp(state, "DONE") != 0) {
			json_decref(drec);
			return DEP_NEVER;
		} else if (type != NULL && strcmp(type, "afternotok") == 0 &&
		    strcmp(state, "DONE") == 0) {
			json_decref(drec);
			return DEP_NEVER;
		}
		json_decref(drec);
	}
	return v;
}

struct finish_args;
static int finish_txn(struct st_txn *t, void *arg, struct gr_err *err);

struct claim_args {
	char ids[CLAIM_SCAN_MAX][DRM_ID_LEN + 1];
	size_t n;
	struct finish_args
	    *end;        /* the last job's end, recorded with the claim */
	json_t *claimed; /* the record now RUNNING under this supervisor */
	bool look;       /* only tell whether something is claimable */
	bool found;
	bool taken; /* a candidate was no longer queued: look again */
};

static int
collect_queued(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct claim_args *a = arg;

	(void)key;
	(void)val;
	if (pkey->size != DRM_ID_LEN)
		return GR_OK;
	memcpy(a->ids[a->n], pkey->data, DRM_ID_LEN);
	a->ids[a->n][DRM_ID_LEN] = '\0';
	return ++a->n == CLAIM_SCAN_MAX ? ST_STOP : GR_OK;
}

/*
 * The queued jobs, read in a snapshot: no lock on the queue's index page.
 * A claim that scanned the queue under its own locks deadlocked with every
 * other claim (each held the index page read, and waited for the record
 * the other had locked to change it), so claims take their candidates
 * from here and check each one again under its lock.
 */
static int
queued_view(struct st_txn *t, void *arg, struct gr_err *err)
{
	static const char qkey[] = "local\0QUEUED";
	struct claim_args *a = arg;

	a->n = 0;
	return st_scan_key(t, TBL_DRM_BY_STATE, qkey, sizeof(qkey) - 1,
	    collect_queued, a, err);
}

/* In a view (look) or a transaction: the first claimable candidate. */
static int
claim_one(struct st_txn *t, struct claim_args *a, struct gr_err *err)
{
	enum dep_verdict v;
	json_t *rec;
	size_t i;
	int ret, rc;

	json_decref(a->claimed);
	a->claimed = NULL;
	a->found = a->taken = false;
	if (a->look && (rc = queued_view(t, a, err)) != GR_OK)
		return rc;
	/* in queue order: jobs start in the order they were submitted */
	for (i = 0; i < a->n; i++) {
		rec = NULL;
		ret = drm_get_txn(t, a->ids[i], &rec, a->look ? 0 : DB_RMW);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0)
			return st_fail(err, ret);
		if (rec_str(rec, "state") == NULL ||
		    strcmp(rec_str(rec, "state"), "QUEUED") != 0) {
			json_decref(rec); /* another supervisor's now */
			a->taken = true;
			continue;
		}
		v = deps_verdict(t, rec, err, &rc);
		if (rc != GR_OK) {
			json_decref(rec);
			return rc;
		}
		if (v == DEP_WAIT) {
			json_decref(rec);
			continue;
		}
		a->found = true;
		if (a->look) {
			json_decref(rec);
			return GR_OK;
		}
		if (v == DEP_NEVER) {
			json_object_set_new(rec, "state",
			    json_string("FAILED"));
			json_object_set_new(rec, "reason",
			    json_string("a dependency can never be "
					"satisfied"));
			json_object_set_new(rec, "ended_at",
			    json_integer(time_now()));
			rc = drm_put_state(t, rec, err);
			json_decref(rec);
			if (rc != GR_OK)
				return rc;
			continue;
		}
		json_object_set_new(rec, "state", json_string("RUNNING"));
		json_object_set_new(rec, "started_at",
		    json_integer(time_now()));
		json_object_set_new(rec, "pid", json_integer(getpid()));
		json_object_set_new(rec, "boot", json_string(drm_boot_id()));
		json_object_set_new(rec, "pstart",
		    json_integer((json_int_t)drm_proc_start(getpid())));
		json_object_set_new(rec, "slot", json_integer(slot_no));
		/* its input data first (the job shows "Input Data
		   Resolution" until run_job has copied it) */
		if (json_array_size(
			json_object_get(json_object_get(rec, "stage"), "in")) >
		    0)
			json_object_set_new(rec, "stage_phase",
			    json_string("in"));
		if ((rc = drm_put_state(t, rec, err)) != GR_OK) {
			json_decref(rec);
			return rc;
		}
		a->claimed = rec;
		return GR_OK;
	}
	return GR_OK;
}

/*
 * A claim, and the end of the job this supervisor ran last. The end
 * comes second: every supervisor then takes the pages of the state
 * indexes in the same order (queued, running, done), where an end first
 * deadlocked with the claim of another supervisor.
 */
static int
claim_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct claim_args *a = arg;
	int rc;

	/* a claim alone lost at a power cut leaves the job queued, to run
	   after the restart; with an end, the commit is durable (soon) */
	if (!a->look && a->end == NULL)
		st_txn_lazy(t);
	if ((rc = claim_one(t, a, err)) != GR_OK || a->look || a->end == NULL)
		return rc;
	return finish_txn(t, a->end, err);
}

/* --- running one job ------------------------------------------------- */

static const char *
rec_str(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

/* NULL-terminated vector of a JSON array of strings (xmalloc'ed). */
static char **
strv(const json_t *a, size_t extra)
{
	char **v = xcalloc(json_array_size(a) + extra + 1, sizeof(*v));
	const json_t *s;
	size_t i, n = 0;

	json_array_foreach(a, i, s)
		if (json_is_string(s))
			v[n++] = xstrdup(json_string_value(s));
	return v;
}

/* "NAME=" and a value: an environment entry, allocated */
static char *
env_entry(const char *name_eq, const char *value)
{
	size_t n = strlen(name_eq) + strlen(value) + 1;
	char *s = xmalloc(n);

	(void)snprintf(s, n, "%s%s", name_eq, value);
	return s;
}

/* The environment of a job: a clean base, then the spec's entries. */
static char **
drm_local_job_env(const json_t *rec, const char *user)
{
	const json_t *env = json_object_get(rec, "env");
	char **v = xcalloc(json_array_size(env) + 9, sizeof(*v));
	char num[32];
	const json_t *e;
	size_t i, n = 0;

	v[n++] = xstrdup("PATH=" JOB_PATH);
	v[n++] = env_entry("HOME=", rec_str(rec, "cwd"));
	v[n++] = env_entry("USER=", user);
	v[n++] = env_entry("LOGNAME=", user);
	v[n++] = xstrdup("LANG=C.UTF-8");
	v[n++] = env_entry("GRIDREST_DRM_ID=", rec_str(rec, "id"));
	if (json_is_integer(json_object_get(rec, "array_index"))) {
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(
			json_object_get(rec, "array_index")));
		v[n++] = env_entry("GRIDREST_ARRAY_TASK_ID=", num);
	}
	json_array_foreach(env, i, e)
		if (json_is_string(e))
			v[n++] = xstrdup(json_string_value(e));
	return v;
}

/* Open a job's output file as the job user, inside the working dir. */
static int
open_out(const char *name)
{
	if (name == NULL)
		return open("/dev/null", O_WRONLY);
	return open(name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_APPEND,
	    0644);
}

/* The job user's name, for its environment (looked up once per uid). */
static const char *
user_name(uid_t uid)
{
	static char name[64];
	static uid_t known = (uid_t)-1;
	struct passwd *pw;

	if (uid != known || name[0] == '\0') {
		pw = getpwuid(uid);
		(void)snprintf(name, sizeof(name), "%s",
		    pw != NULL ? pw->pw_name : "job");
		known = uid;
	}
	return name;
}

/* Everything the job's process needs, made before it exists. */
struct job_exec {
	char **argv, **envp;
	const char *cwd, *out, *err;
	struct drm_limits lim;
	int nice;
	bool own_proc; /* a mount namespace with a /proc of its own */
	uid_t uid;
	gid_t gid;
};

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * The job's own view of the processes: a mount namespace of its own
 * whose /proc is a new instance with hidepid=2 ("invisible"), so that a
 * job sees only the processes of its uid, its account's -- not another
 * account's command lines, nor the service's. Mounts of the host still
 * reach the job (a slave of /), none of the job's leave it. Linux 5.8
 * and later give each proc mount its own options; before, the option
 * would have changed the host's /proc. A PID namespace would hide as
 * much but make the job PID 1: it ignores SIGTERM it has no handler for,
 * inherits every orphan to reap, and cannot end by a signal, so its wait
 * status could no longer say how the job died. In the vfork() child, as
 * root; 0, or -1 with errno.
 */
static int
own_proc(void)
{
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		"hidepid=2") != 0)
		return -1;
	return 0;
}

/*
 * In the job's process, a vfork() child sharing the supervisor's memory
 * until the exec: system calls only, nothing allocated, nothing of the
 * parent's written. Never returns.
 */
static void
exec_job(const struct job_exec *x)
{
	const char *why;
	sigset_t none;
	int fd;

	(void)setpgid(0, 0);
	/* jobs come after the requests that submit and watch them, on a
	   machine that runs both. The job, not its supervisor: that holds
	   store locks the requests wait for, and lowered it kept them
	   waiting (bench/jobs.sh, 4 slots: 363-389 submissions/s with
	   the supervisors at nice 10, 412-437/s with only the jobs) */
	if (x->nice > 0)
		(void)setpriority(PRIO_PROCESS, 0, x->nice);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGPIPE, SIG_DFL);
	if (x->own_proc && geteuid() == 0 && own_proc() != 0)
		_exit(126); /* never with the host's view */
	if (chdir(x->cwd) != 0)
		_exit(126);
	/* before the uid changes: the limits of the job's uid, which root
	   may set at any height (RLIMIT_NPROC counts that uid's processes,
	   every job of the account's together) */
	if (drm_run_apply_limits(&x->lim) != 0)
		_exit(126);
	if (geteuid() == 0) {
		if (setgroups(0, NULL) != 0 || setgid(x->gid) != 0 ||
		    setuid(x->uid) != 0)
			_exit(126);
	}
	if (getuid() == 0 || geteuid() == 0)
		_exit(126); /* never as root */
	if ((fd = open_out(x->out)) < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(126);
	if (fd != STDOUT_FILENO)
		close(fd);
	if ((fd = open_out(x->err)) < 0 || dup2(fd, STDERR_FILENO) < 0)
		_exit(126);
	if (fd != STDERR_FILENO)
		close(fd);
	execvpe(x->argv[0], x->argv, x->envp);
	/* strerrordesc_np: the text, neither translated nor allocated */
	why = strerrordesc_np(errno);
	(void)!write(STDERR_FILENO, "gridrest: cannot run '", 22);
	(void)!write(STDERR_FILENO, x->argv[0], strlen(x->argv[0]));
	(void)!write(STDERR_FILENO, "': ", 3);
	(void)!write(STDERR_FILENO, why != NULL ? why : "?",
	    why != NULL ? strlen(why) : 1);
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(127);
}

/*
 * Start the job. vfork(): the supervisor's page tables are not copied
 * (nor its pages copied on write, nor unmapped at the exec), which was
 * most of what a short job cost it.
 */
static pid_t
spawn_job(const json_t *rec, uid_t uid, gid_t gid, const char *user, int nice)
{
	char out[PATH_MAX], errf[PATH_MAX];
	struct job_exec x = {
		.argv = strv(json_object_get(rec, "argv"), 0),
		.envp = drm_local_job_env(rec, user),
		.cwd = rec_str(rec, "cwd"),
		.out = drm_out_name(rec, "stdout", out, sizeof(out)),
		.err = drm_out_name(rec, "stderr", errf, sizeof(errf)),
		.nice = nice,
		.uid = uid,
		.gid = gid,
	};
	const struct drm_cfg *c;
	struct gr_err ignore = { 0 };
	pid_t pid;

	drm_limits_of(rec, &x.lim);
	x.own_proc = drm_config(&c, &ignore) == GR_OK && c->hidepid != 0;
	if (x.argv[0] == NULL || x.cwd == NULL) {
		strv_free(x.argv);
		strv_free(x.envp);
		errno = EINVAL;
		return -1;
	}
	pid = vfork();
	if (pid == 0)
		exec_job(&x);
	strv_free(x.argv);
	strv_free(x.envp);
	return pid;
}

struct cancel_look {
	const char *id;
	bool cancel;
	long since; /* ms since the last look */
};

static int
cancel_look_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct cancel_look *a = arg;
	json_t *rec = NULL;
	int ret;

	ret = drm_get_txn(t, a->id, &rec, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	a->cancel = json_is_true(json_object_get(rec, "cancel"));
	json_decref(rec);
	return GR_OK;
}

/* The runner's question, every step: has the job been cancelled? A
   SIGTERM (drm_cancel_signal) makes it look at once, else once a
   CANCEL_POLL_MS. */
static const char *
local_stop(void *ctx)
{
	struct cancel_look *look = ctx;
	struct gr_err err = { 0 };

	if (got_term) {
		got_term = 0; /* a cancel: make sure it is this job's */
		look->since = CANCEL_POLL_MS;
	}
	if ((look->since += DRM_RUN_POLL_MS) < CANCEL_POLL_MS)
		return NULL;
	look->since = 0;
	if (st_view(cancel_look_txn, look, ST_ONEREAD, &err) == GR_OK &&
	    look->cancel)
		return "cancelled";
	return NULL;
}

/* A job's end, to record. */
struct finish_args {
	json_t *rec; /* the job's record when claimed (a reference) */
	const char *state, *reason;
	int status;
	double cpu;               /* CPU the job used (s), -1 if unknown */
	bool data_failed;         /* its data could not be staged */
	char why[GR_ERR_MSG_MAX]; /* a reason of its own */
};

static int
finish_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct finish_args *a = arg;
	json_t *rec = NULL;
	int ret, rc;

	/* durable within the keeper's tick; nobody waits for it */
	st_txn_soon(t);
	ret = drm_get_txn(t, rec_str(a->rec, "id"), &rec, DB_RMW);
	if (ret != 0)
		return st_fail(err, ret);
	json_object_set_new(rec, "state", json_string(a->state));
	json_object_set_new(rec, "ended_at", json_integer(time_now()));
	if (a->reason != NULL)
		json_object_set_new(rec, "reason", json_string(a->reason));
	if (a->status >= 0 && WIFEXITED(a->status))
		json_object_set_new(rec, "exit_code",
		    json_integer(WEXITSTATUS(a->status)));
	else if (a->status >= 0 && WIFSIGNALED(a->status))
		json_object_set_new(rec, "signal",
		    json_integer(WTERMSIG(a->status)));
	if (a->cpu >= 0)
		json_object_set_new(rec, "cpu_time", json_real(a->cpu));
	if (a->data_failed)
		json_object_set_new(rec, "data_failed", json_true());
	rc = drm_put_state(t, rec, err);
	json_decref(rec);
	return rc;
}

/* Record an end on its own (the claim it was to go with failed). */
static void
record_end(struct finish_args *end)
{
	struct gr_err err = { 0 };

	if (st_txn_run(finish_txn, end, &err) != GR_OK)
		log_msg(LOG_ERR, "drm %s: cannot record its end: %s",
		    rec_str(end->rec, "id"), err.msg);
}

struct phase_args {
	const char *id, *phase;
};

static int
phase_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct phase_args *a = arg;
	json_t *rec = NULL;
	int ret, rc;

	st_txn_lazy(t); /* a phase lost at a power cut: the job is LOST */
	ret = drm_get_txn(t, a->id, &rec, DB_RMW);
	if (ret != 0)
		return st_fail(err, ret);
	if (rec_str(rec, "state") == NULL ||
	    strcmp(rec_str(rec, "state"), "RUNNING") != 0) {
		json_decref(rec);
		return GR_OK;
	}
	json_object_set_new(rec, "stage_phase", json_string(a->phase));
	rc = drm_put_state(t, rec, err);
	json_decref(rec);
	return rc;
}

/* The running job's data phase ("run", "out"), for its client's eyes. */
static void
set_phase(const json_t *rec, const char *phase)
{
	struct phase_args a = { rec_str(rec, "id"), phase };
	struct gr_err err = { 0 };

	if (st_txn_run(phase_txn, &a, &err) != GR_OK)
		log_msg(LOG_WARN, "drm %s: phase %s: %s", a.id, phase, err.msg);
}

/*
 * Copy the job's input data in (as root: then give it to uid:gid), inside
 * its life as DIRAC's job wrapper does: the time limit runs from here, and
 * a cancel ends the copies at once (slot_note names their process, which
 * a LOST job's reap ends). *limit: the time the job has left.
 */
static bool
data_in(const json_t *rec, uid_t uid, gid_t gid, long *limit,
    struct cancel_look *look, struct finish_args *end)
{
	const json_t *in = json_object_get(json_object_get(rec, "stage"), "in");
	const struct drm_cfg *c;
	struct gr_err err = { 0 };
	struct drm_run run = { .limit = *limit,
		.stop = local_stop,
		.ctx = look };
	int fd, rc;

	if (json_array_size(in) == 0)
		return true;
	(void)drm_config(&c, &err);
	run.grace = c != NULL ? (long)c->grace : 3;
	rc = stage_in_start(in, rec_str(rec, "cwd"), geteuid() == 0, uid, gid,
	    &run, &fd, end->why, sizeof(end->why));
	if (rc == 0) {
		slot_note(rec_str(rec, "id"), run.pid);
		rc = stage_in_wait(in, rec_str(rec, "cwd"), &run, fd, end->why,
		    sizeof(end->why));
		slot_note(NULL, 0);
	}
	if (rc != 0) {
		end->reason = end->why;
		if (run.how != NULL && strcmp(run.how, "timeout") == 0) {
			end->state = "TIMEOUT";
			end->reason = STAGE_TIMEOUT_WHY;
		} else if (run.how != NULL) {
			end->state = "CANCELLED";
			end->reason = STAGE_CANCEL_WHY;
		} else {
			end->data_failed = true;
		}
		return false;
	}
	*limit = run.limit;
	set_phase(rec, "run");
	return true;
}

/* After a job ended well: its output data out, and registered. */
static void
data_out(const json_t *rec, struct finish_args *end)
{
	const json_t *out = json_object_get(json_object_get(rec, "stage"),
	    "out");
	json_t *got = NULL;

	if (json_array_size(out) == 0 || strcmp(end->state, "DONE") != 0)
		return;
	set_phase(rec, "out");
	if (stage_out(out, rec_str(rec, "cwd"), &got, end->why,
		sizeof(end->why)) != 0 ||
	    drm_client_finish(rec, got, end->why, sizeof(end->why)) != 0) {
		end->state = "FAILED";
		end->reason = end->why;
		end->data_failed = true;
	}
	json_decref(got);
}

/* Run a claimed job to its end, which *end describes on return. */
static void
run_job(json_t *rec, struct finish_args *end)
{
	const struct drm_cfg *c;
	struct gr_err err = { 0 };
	struct cancel_look look = { rec_str(rec, "id"), false, 0 };
	long limit = (long)json_integer_value(
	    json_object_get(rec, "time_limit"));
	const char *state = NULL, *reason = NULL;
	struct drm_run run;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int status = -1;

	*end = (struct finish_args){ .rec = rec,
		.state = "FAILED",
		.status = -1,
		.cpu = -1 };
	(void)drm_config(&c, &err);
	if (drm_rec_user(rec, &uid, &gid, &err) != GR_OK) {
		(void)snprintf(end->why, sizeof(end->why), "%s", err.msg);
		end->reason = end->why;
		return;
	}
	if (drm_make_cwd(rec, uid, gid) != 0) {
		end->reason = "cannot make the working directory";
		return;
	}
	if (!data_in(rec, uid, gid, &limit, &look, end))
		return;
	pid = spawn_job(rec, uid, gid, user_name(uid), c->nice);
	if (pid < 0) {
		end->reason = "cannot start the job";
		return;
	}
	(void)setpgid(pid, pid); /* also here: no race with the child's */
	slot_note(rec_str(rec, "id"), pid);
	run.pid = pid;
	run.limit = limit;
	run.grace = (long)c->grace;
	run.stop = local_stop;
	run.ctx = &look;
	drm_run_wait(&run);
	slot_note(NULL, 0);
	status = run.status;
	end->cpu = run.cpu;
	if (run.how != NULL && strcmp(run.how, "timeout") == 0) {
		state = "TIMEOUT";
		reason = "the job reached its time limit";
	} else if (run.how != NULL) {
		state = "CANCELLED";
		reason = "cancelled while running";
	} else {
		if (status >= 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			state = "DONE";
		else
			state = "FAILED";
		if (status >= 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 126)
			reason = "the job could not be set up";
	}
	end->state = state;
	end->reason = reason;
	end->status = status;
	data_out(rec, end);
}

/* --- the supervisor -------------------------------------------------- */

/* Claim and run jobs while some are claimable; true if any ran. */
static void
work(void)
{
	struct claim_args *a = xcalloc(1, sizeof(*a));
	struct finish_args *end = xcalloc(1, sizeof(*end));
	struct gr_err err = { 0 };

	for (;;) {
		gr_clear(&err);
		a->look = false;
		a->end = end->rec != NULL ? end : NULL;
		if (st_view(queued_view, a, 0, &err) != GR_OK ||
		    st_txn_run(claim_txn, a, &err) != GR_OK) {
			log_msg(LOG_ERR, "drm: claim: %s", err.msg);
			break;
		}
		json_decref(end->rec); /* recorded, if there was one */
		end->rec = NULL;
		if (a->claimed == NULL) {
			/* marked hopeless ones, others were first, or the
			   end just recorded let a job waiting on it go */
			if (a->found || a->taken || a->end != NULL)
				continue;
			break;
		}
		got_term = 0;
		spread();
		run_job(a->claimed, end); /* end takes the reference */
		a->claimed = NULL;
	}
	if (end->rec != NULL) {
		record_end(end);
		json_decref(end->rec);
	}
	free(end);
	free(a);
}

static bool
claimable(void)
{
	struct claim_args *a = xcalloc(1, sizeof(*a));
	struct gr_err err = { 0 };
	bool found;

	a->look = true;
	found = st_view(claim_txn, a, 0, &err) == GR_OK && a->found;
	json_decref(a->claimed);
	free(a);
	return found;
}

/*
 * Idle: listen on the wake FIFO for up to linger_ms(). True when there may
 * be work: a wake-up came, or the last look after closing the FIFO found
 * some. False at the end of the wait, on SIGTERM, or when the FIFO went
 * away (the home was removed).
 */
/* How long an idle supervisor waits for work: GRIDREST_DRM_LINGER_MS
   (0 to 600000), else LINGER_MS. */
static int
linger_ms(void)
{
	const char *v = getenv("GRIDREST_DRM_LINGER_MS");
	long ms;

	if (v == NULL || *v == '\0' ||
	    parse_long(v, 0, LINGER_MS_MAX, &ms) != 0)
		return LINGER_MS;
	return (int)ms;
}

static bool
linger(void)
{
	char path[PATH_MAX];
	struct stat sb, now;
	struct pollfd pfd;
	int rd, wr, waited, wait_ms = linger_ms();
	bool woken = false;
	char c;

	if (got_term || !wake_path(path, sizeof(path)))
		return false;
	if (mkfifo(path, 0600) != 0 && errno != EEXIST)
		return false;
	if ((rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)) <
	    0)
		return false;
	/* a writer of its own, or the FIFO reports a hang-up once a
	   submitter closes it, and poll() spins */
	wr = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (wr < 0 || fstat(rd, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
		if (wr >= 0)
			close(wr);
		close(rd);
		return false;
	}
	pfd.fd = rd;
	pfd.events = POLLIN;
	for (waited = 0; waited < wait_ms && !got_term;
	     waited += LINGER_STEP_MS) {
		pfd.revents = 0;
		if (poll(&pfd, 1, LINGER_STEP_MS) > 0 &&
		    (pfd.revents & POLLIN) && read(rd, &c, 1) == 1) {
			woken = true;
			break;
		}
		if (stat(path, &now) != 0 || now.st_ino != sb.st_ino ||
		    now.st_dev != sb.st_dev)
			break;
	}
	close(rd);
	close(wr);
	return woken || (!got_term && claimable());
}

/*
 * After a claim, while more jobs wait and a slot is free, get another
 * supervisor onto them, so that one wake-up read for several jobs does
 * not run them one after the other.
 */
static void drm_local_kick(void);

static void
spread(void)
{
	if (slot_free() && claimable() && !wake_idle(1))
		drm_local_kick();
}

static void
supervise(void)
{
	struct gr_err err = { 0 };
	int round;

	/* the slot first: while this one opens the store (tens of ms, one
	   process at a time on the environment's registry), submitters see
	   the slot taken and start no more supervisors for the same jobs */
	if ((slot_fd = slot_grab(&slot_no)) < 0)
		return; /* every slot busy: their holders look after */
	if (st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "drm supervisor: cannot open the store: %s",
		    err.msg);
		close(slot_fd);
		slot_fd = -1;
		return;
	}
	for (round = 0; round < KICK_ROUNDS; round++) {
		if (slot_fd < 0) {
			if (!claimable())
				break;
			if ((slot_fd = slot_grab(&slot_no)) < 0)
				break;
		}
		/* idle, it keeps its slot: submitters then wake it rather than
		   start another supervisor, which would find no slot */
		do
			work();
		while (linger());
		close(slot_fd);
		slot_fd = -1;
	}
	st_close();
}

void
drm_local_supervise(void)
{
	struct sigaction sa;
	const char *log;

	/* "drm-supervisor" in ps and top, as a forked one is named */
	(void)prctl(PR_SET_NAME, "drm-supervisor", 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	if ((log = getenv("GRIDREST_LOG")) != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name("drm");
	st_guard();
	supervise();
}

/* The supervisor, in its detached process (the program not found: run
   here, forked). */
static void
supervisor_main(void *arg)
{
	(void)arg;
	drm_local_supervise();
	exit(0);
}

/* gridrest-drm-supervisor: GRIDREST_DRM_SUPERVISOR, else found as
   tool_path finds it; NULL when there is none, or when it is "fork"
   (a process with hooks of its own, a test's, forks its supervisors). */
static const char *
supervisor_path(void)
{
	static char path[PATH_MAX];
	static bool looked;
	const char *v = getenv("GRIDREST_DRM_SUPERVISOR");

	if (v != NULL && *v != '\0')
		return strcmp(v, "fork") != 0 ? v : NULL;
	if (!looked &&
	    !tool_path("gridrest-drm-supervisor", path, sizeof(path)))
		path[0] = '\0';
	looked = true;
	return path[0] != '\0' ? path : NULL;
}

/* In the detached child: become gridrest-drm-supervisor. */
static void
exec_supervisor(void *arg)
{
	char dur[4];
	char *const argv[] = { "drm-supervisor", (char *)(uintptr_t)cfg.home,
		dur, NULL };
	const char *path = arg;

	(void)snprintf(dur, sizeof(dur), "%d", (int)cfg.durability);
	execv(path, argv);
	log_msg(LOG_ERR, "drm: cannot run %s: %s; supervising here", path,
	    strerror(errno));
	supervisor_main(NULL);
}

static void
drm_local_kick(void)
{
	const char *path;
	int e;

	/* a replica's supervisors could claim nothing: they run where
	   writes are taken (store_repl.h) */
	if (!st_repl_writer())
		return;
	path = supervisor_path();
	/* "drm-supervisor" in ps and top, not the backend it came from */
	e = path != NULL ? detach_run("drm-supervisor", on_term, st_after_fork,
			       exec_supervisor, (void *)(uintptr_t)path)
			 : detach_run("drm-supervisor", on_term, st_after_fork,
			       supervisor_main, NULL);
	if (e != 0)
		log_msg(LOG_ERR, "drm: cannot fork a supervisor: %s",
		    strerror(e));
}

static void
drm_local_poke(void)
{
	static int64_t last;
	int64_t now = time_now();

	/* at most once a second a process: a look at queued jobs is
	   common, a free slot with a queued job rare */
	if (now == last)
		return;
	last = now;
	if (!wake_idle(1) && slot_free())
		drm_local_kick();
}

static int
drm_local_start(const json_t *ids, struct gr_err *err)
{
	(void)err;
	if (json_array_size(ids) > 0 && !wake_idle(json_array_size(ids)) &&
	    slot_free())
		drm_local_kick();
	return GR_OK;
}

static int
drm_local_refresh(struct st_txn *t, json_t *rec, const json_t *polled,
    bool *changed, struct gr_err *err)
{
	const char *state = rec_str(rec, "state"), *boot;
	json_int_t pid, pstart;

	(void)t;
	(void)polled;
	(void)err;
	*changed = false;
	if (state == NULL || strcmp(state, "RUNNING") != 0)
		return GR_OK;
	pid = json_integer_value(json_object_get(rec, "pid"));
	pstart = json_integer_value(json_object_get(rec, "pstart"));
	boot = rec_str(rec, "boot");
	if (pid > 0 && boot != NULL && strcmp(boot, drm_boot_id()) == 0 &&
	    (json_int_t)drm_proc_start((pid_t)pid) == pstart)
		return GR_OK;
	json_object_set_new(rec, "state", json_string("LOST"));
	json_object_set_new(rec, "ended_at", json_integer(time_now()));
	json_object_set_new(rec, "reason",
	    json_string(boot != NULL && strcmp(boot, drm_boot_id()) != 0
		    ? "the machine restarted while the job ran"
		    : "the job's supervisor is gone"));
	*changed = true;
	return GR_OK;
}

static void
drm_local_reap(const json_t *rec)
{
	const json_t *slot = json_object_get(rec, "slot");
	char path[PATH_MAX];
	int fd;

	/* the slot's file names the job while it runs, and no other: a
	   later holder of the slot wrote its own job's id there */
	if (!json_is_integer(slot) || json_integer_value(slot) < 0 ||
	    json_integer_value(slot) >= DRM_SLOTS_MAX ||
	    !slot_path(path, sizeof(path),
		(unsigned)json_integer_value(slot)) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	slot_reap(fd, rec_str(rec, "id"));
	close(fd);
}

static int
drm_local_signal(const json_t *rec, struct gr_err *err)
{
	json_int_t pid = json_integer_value(json_object_get(rec, "pid"));
	json_int_t pstart = json_integer_value(json_object_get(rec, "pstart"));
	const char *boot = rec_str(rec, "boot");

	(void)err;
	/* only the supervisor recorded, never a later namesake */
	if (pid > 0 && boot != NULL && strcmp(boot, drm_boot_id()) == 0 &&
	    (json_int_t)drm_proc_start((pid_t)pid) == pstart)
		(void)kill((pid_t)pid, SIGTERM);
	return GR_OK;
}

static void
drm_local_capabilities(json_t *caps)
{
	/* memory as an address-space limit; cpus are recorded only */
	json_array_append_new(caps, json_string("memory"));
	json_array_append_new(caps, json_string("slots"));
}

const struct drm_backend drm_local_backend = {
	.name = "local",
	.start = drm_local_start,
	.poll = NULL,
	.refresh = drm_local_refresh,
	.signal = drm_local_signal,
	.reap = drm_local_reap,
	.kick = drm_local_kick,
	.poke = drm_local_poke,
	.capabilities = drm_local_capabilities,
};
