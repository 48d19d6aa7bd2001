/*
 * drm.h -- the distributed resource manager layer that jobs (DIRAC) and
 * tasks (DRMAA) share: submit a command, follow its state, cancel it.
 * Two backends, chosen by GRIDREST_DRM_BACKEND:
 *
 *   local  (default) every job runs under a detached supervisor process
 *          (its own session; it outlives the backend that started it)
 *          which enforces the time limit and records start, end and exit
 *          status here. GRIDREST_DRM_SLOTS bounds how many run at once:
 *          a supervisor that finishes its job takes the next queued one,
 *          so queued jobs start as others finish without a daemon.
 *   slurm  sbatch/squeue/scancel/sacct against a real controller.
 *
 * Every DRM job is one record of TBL_DRM, keyed by its id (16 digits):
 *   {id, backend, client, ref, argv, cwd, env, stdout, stderr, time_limit,
 *    cpus, mem_mb, deps: [{type, id}], array_index, state, submitted_at,
 *    started_at, ended_at, exit_code, signal, reason, native_id, cancel,
 *    pid, boot, pstart, held_until}
 * state: QUEUED -> RUNNING -> DONE | FAILED | TIMEOUT | CANCELLED | LOST;
 * QUEUED -> CANCELLED | FAILED (a dependency that can never be met).
 * LOST: the supervisor vanished (the machine restarted) or Slurm forgot
 * the job without an exit status.
 *
 * Commands are argv vectors, executed with execve: never through a shell.
 * Jobs never run as root: a root service runs each account's jobs under a
 * uid of the account's own (drm_account_user), taken once from
 * GRIDREST_JOB_UID_MIN..GRIDREST_JOB_UID_MAX and kept in the store, with
 * no passwd entry needed; a service that is not root runs them as itself.
 */
#ifndef DRM_H
#define DRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define DRM_ID_LEN    16       /* digits of an id */
#define DRM_ARGV_MAX  256      /* arguments of a command */
#define DRM_ENV_MAX   64       /* environment entries a spec may add */
#define DRM_DEPS_MAX  16       /* dependencies of a job */
#define DRM_ARRAY_MAX 1000     /* tasks of one array */
#define DRM_SLOTS_MAX 1024     /* GRIDREST_DRM_SLOTS upper bound */
#define DRM_UID_MIN   3000000L /* GRIDREST_JOB_UID_MIN's default */
#define DRM_UID_MAX   3999999L /* GRIDREST_JOB_UID_MAX's default */

enum drm_dep_type { DRM_AFTEROK, DRM_AFTERANY, DRM_AFTERNOTOK };

struct drm_dep {
	enum drm_dep_type type;
	const char *id; /* a DRM id */
};

/* What to run. Strings are borrowed for the call. */
struct drm_spec {
	const char *const *argv; /* NULL-terminated, argv[0] the program */
	const char *cwd;         /* absolute; must exist, unless make_cwd */
	const char *const *env;  /* "K=V" entries, NULL-terminated, or NULL */
	/* files relative to cwd; NULL: /dev/null. "%a" stands for an array
	   task's index (as in Slurm's patterns): each task its own file */
	const char *out, *err;
	long time_limit; /* seconds of wall time, 0: none */
	int cpus;        /* 0: 1 */
	long mem_mb;     /* 0: no limit */
	struct drm_dep deps[DRM_DEPS_MAX];
	size_t ndeps;
	bool array; /* run the tasks array_start..array_end by array_step */
	long array_start, array_end, array_step;
	const char *client, *ref; /* who is told of state changes (hooks) */
	/* slurm: the partition; NULL, "" or "local": the default one. The
	   local backend has one queue and records the name only. */
	const char *queue;
	/* the backend makes cwd (mode 0700, the job user's) and a missing
	   parent (0711) as the job starts: a submission writes nothing */
	bool make_cwd;
	/* who the job runs as (drm_account_user); 0: the service itself */
	uid_t uid;
	gid_t gid;
	/* data its runner copies (stage.h): {"in": [...], "out": [...]}, or
	   NULL. The input before the job starts (the record's "stage_phase"
	   "in", then "run"), the output after it ended with 0 ("out"); a
	   failure ends it FAILED with "data_failed" and the reason */
	const json_t *stage;
	/* not claimable until drm_release() (or DRM_HOLD_MAX seconds after
	   the submission, should its submitter die first): for a submitter
	   with work left after the commit before the job may start (a child
	   task's uploads, which move into its root's directory then) */
	bool held;
};

/* The longest a held job waits for its drm_release(), in seconds. */
#define DRM_HOLD_MAX 300

/*
 * The DRM's own files in a job's working directory start with this (the
 * slurm backend's batch script and exit status): listings and downloads
 * of a working directory leave them out.
 */
#define DRM_FILE_PREFIX ".gridrest-"

/* A queue (partition) name: 1..64 of [A-Za-z0-9._-]. */
bool drm_queue_ok(const char *q);

/*
 * Called inside every transaction that changes a job's state, with the
 * new record (borrowed), for the jobs whose client is the one registered.
 * It may write to the store in t; a failure aborts the change.
 */
typedef int (
    *drm_hook_fn)(struct st_txn *t, const json_t *rec, struct gr_err *err);

/*
 * The DRM's clients are a table it owns (drm.c): "jobs" (job_drm_hook)
 * and "tasks" (task_drm_hook), so that any process that changes a job's
 * state (a supervisor forked by either family, a tool) tells its client.
 * drm_register adds or replaces one for this process (tests).
 */
void drm_register(const char *client, drm_hook_fn fn);

/*
 * After a job's runner stored its output data (stage_out's list got), and
 * before its end is recorded: the client registers it, outside any
 * transaction (jobs: job_drm_finish). 0, or -1 with why (size n) the
 * job's reason to fail. A client without one: 0.
 */
int drm_client_finish(const json_t *rec, const json_t *got, char *why,
    size_t n);
int job_drm_finish(const json_t *rec, const json_t *got, char *why, size_t n);

/* The hooks of the table's clients (job.c, task.c). */
int job_drm_hook(struct st_txn *t, const json_t *rec, struct gr_err *err);
int task_drm_hook(struct st_txn *t, const json_t *rec, struct gr_err *err);

/* The settings in force (GRIDREST_DRM_*), read on first use. */
struct drm_cfg {
	const char *backend;   /* "local" or "slurm" */
	unsigned slots;        /* local: jobs that run at once (online CPUs) */
	unsigned grace;        /* seconds between SIGTERM and SIGKILL (3) */
	int nice;              /* local: the jobs' nice value (10) */
	long uid_min, uid_max; /* the accounts' job uids (3000000..3999999) */
	long gid;      /* the jobs' gid; -1: the same number as the uid */
	long nproc;    /* RLIMIT_NPROC of a job's uid (512); 0: none */
	long fsize_mb; /* RLIMIT_FSIZE, MiB (16384); 0: none */
	long mem_mb;   /* RLIMIT_AS unless the job asks its own, MiB (8192) */
	long hidepid;  /* local, as root: a /proc of the job's own (1) */
};
int drm_config(const struct drm_cfg **out, struct gr_err *err);

/*
 * The job uid of account: the one recorded, or the next free one of the
 * range, recorded in a transaction of its own (two first submissions of
 * one account get one uid; two accounts never share one). A uid is never
 * given twice. GR_UNAVAILABLE when the range is used up.
 */
int drm_uid_alloc(const char *account, uid_t *uid, struct gr_err *err);

/*
 * Who account's jobs run as: its uid (drm_uid_alloc) and GRIDREST_JOB_GID
 * or the same number, when the service is root; else the service's own
 * uid and gid (an unprivileged process cannot change users). Submitters
 * give their files to it and put it in the spec.
 */
int drm_account_user(const char *account, uid_t *uid, gid_t *gid,
    struct gr_err *err);

/*
 * For a backend: the uid/gid of record rec (as submitted); the service's
 * own when it is not root. Fails when root and the record has none: jobs
 * never run as root.
 */
int drm_rec_user(const json_t *rec, uid_t *uid, gid_t *gid, struct gr_err *err);

/*
 * For a backend starting the job of record rec: when it was submitted with
 * make_cwd, make its working directory for uid:gid. 0, or -1 with errno.
 */
int drm_make_cwd(const json_t *rec, uid_t uid, gid_t gid);

/*
 * Inside the caller's transaction: validate spec and write its records
 * (one, or one per array task) as QUEUED; their ids are appended to ids
 * (a JSON array of strings). Nothing runs until drm_start() after commit.
 */
int drm_submit_txn(struct st_txn *t, const struct drm_spec *spec, json_t *ids,
    struct gr_err *err);

/*
 * After the commit of drm_submit_txn: hand the jobs to the backend (local:
 * start a supervisor if a slot is free; slurm: sbatch). A job the backend
 * refuses becomes FAILED with the reason. ids borrowed.
 */
int drm_start(const json_t *ids, struct gr_err *err);

/*
 * After the commit of drm_submit_txn, before drm_start(): the held jobs
 * of ids (spec.held) become claimable. ids borrowed.
 */
int drm_release(const json_t *ids, struct gr_err *err);

/*
 * *out: new reference to the job's record, brought up to date first (a
 * vanished supervisor becomes LOST; slurm: polled). GR_NOT_FOUND if none.
 */
int drm_status(const char *id, json_t **out, struct gr_err *err);

/* Is the state final (DONE FAILED TIMEOUT CANCELLED LOST)? */
bool drm_final(const char *state);

/*
 * Inside the caller's transaction: ask for the job's end. A queued job is
 * CANCELLED at once; a running one is marked, and drm_cancel_signal()
 * after the commit ends it (the supervisor records CANCELLED). A final
 * job is left alone. *running tells whether a signal is needed.
 */
int drm_cancel_txn(struct st_txn *t, const char *id, bool *running,
    struct gr_err *err);
int drm_cancel_signal(const char *id, struct gr_err *err);

/* Both, for callers with nothing else to write. */
int drm_cancel(const char *id, struct gr_err *err);

/*
 * Bring every active job of this backend up to date (start-up, and after a
 * machine restart: nothing stays RUNNING without a supervisor) and start
 * queued ones if slots are free. *changed counts jobs that changed.
 */
int drm_reconcile(unsigned *changed, struct gr_err *err);

/* Bring at most max active jobs up to date (before a listing). */
int drm_refresh(size_t max, struct gr_err *err);

/*
 * Before a listing that reads stored states: drm_refresh(max), at most
 * once a second per process (Slurm's states are only learnt by asking);
 * a failure is logged, the listing goes on.
 */
void drm_freshen(size_t max);

/* New reference: the capability list of a backend ("local", "slurm"). */
json_t *drm_capabilities(const char *backend);

/* --- for the backends (drm_local.c, drm_slurm.c) --------------------- */

/* Write the new state of rec (borrowed) and tell its client's hook. */
int drm_put_state(struct st_txn *t, json_t *rec, struct gr_err *err);

/* The record of id under t; 0, DB_NOTFOUND or a BDB error. */
int drm_get_txn(struct st_txn *t, const char *id, json_t **out,
    u_int32_t flags);

/*
 * The record's "stdout" or "stderr" (key) with "%a" replaced by its array
 * index, in buf; NULL when it has none (or it does not fit).
 */
const char *drm_out_name(const json_t *rec, const char *key, char *buf,
    size_t size);

/* The limits a job of record rec runs under (the settings; its mem_mb). */
struct drm_limits;
void drm_limits_of(const json_t *rec, struct drm_limits *l);

/* This machine's boot id (for telling a supervisor from its namesake). */
const char *drm_boot_id(void);

/* The start time of process pid (clock ticks since boot), 0 if none. */
unsigned long long drm_proc_start(pid_t pid);

#endif /* DRM_H */
