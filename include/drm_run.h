/*
 * drm_run.h -- the one runner of a started job, shared by the local
 * supervisor (drm_local.c) and gridrest-drm-exec (tools/drm-exec.c, on
 * Slurm's nodes): wait for the job's process group, end it at its time
 * limit or when asked (SIGTERM, then SIGKILL after the grace), and say
 * how it ended and the CPU it used. No store, no jansson: drm-exec links
 * it alone.
 */
#ifndef DRM_RUN_H
#define DRM_RUN_H

#include <sys/types.h>

#define DRM_RUN_POLL_MS 50 /* the wait step */

struct drm_run {
	pid_t pid;  /* the job, leader of its own process group */
	long limit; /* seconds of wall time; 0: none */
	long grace; /* seconds from SIGTERM to SIGKILL */
	/* asked every step until it answers: a reason to end the job
	   ("cancelled"), or NULL to let it run (NULL fn: never) */
	const char *(*stop)(void *ctx);
	void *ctx;
	/* results */
	int status;      /* as wait(2) gives it; -1 if it could not wait */
	const char *how; /* NULL: it ended by itself; "timeout"; stop's */
	double cpu;      /* user + system seconds it used; -1 unknown */
};

/* Run r->pid to its end (and kill what its group left behind). */
void drm_run_wait(struct drm_run *r);

/*
 * What bounds every job (GRIDREST_JOB_NPROC, _FSIZE_MB, _MEM_MB; the
 * memory the job asked for, if any): 0 is no limit.
 */
struct drm_limits {
	long nproc;    /* RLIMIT_NPROC: processes of the job's real uid */
	long fsize_mb; /* RLIMIT_FSIZE: a larger write gets SIGXFSZ/EFBIG */
	long mem_mb;   /* RLIMIT_AS: address space of each process */
};

/*
 * In the job's process before its exec (and before it leaves root, which
 * may raise the limits too): no_new_privs, then the limits. System calls
 * only (a vfork child calls it). 0, or -1 with errno.
 */
int drm_run_apply_limits(const struct drm_limits *l);

#endif /* DRM_RUN_H */
