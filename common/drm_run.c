/*
 * drm_run.c -- a started job waited for to its end: its time limit, a
 * stop asked for, the grace between SIGTERM and SIGKILL, its status and
 * the CPU it used (wait4). A pidfd cuts each wait step short at the end.
 */
#define _GNU_SOURCE /* SYS_pidfd_open */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "drm_run.h"

static void
nap(int pidfd)
{
	struct timespec ts = { 0, DRM_RUN_POLL_MS * 1000000L };
	struct pollfd p = { pidfd, POLLIN, 0 };

	if (pidfd >= 0)
		(void)poll(&p, 1, DRM_RUN_POLL_MS);
	else
		(void)nanosleep(&ts, NULL);
}

void
drm_run_wait(struct drm_run *r)
{
	time_t start = time(NULL), killed_at = 0;
	struct rusage ru;
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	pid_t w;

	r->status = -1;
	r->how = NULL;
	r->cpu = -1;
	for (;;) {
		w = wait4(r->pid, &r->status, WNOHANG, &ru);
		if (w == r->pid) {
			/* what the job used (and the children it waited
			   for): user + system time */
			r->cpu = (double)ru.ru_utime.tv_sec +
			    (double)ru.ru_utime.tv_usec / 1e6 +
			    (double)ru.ru_stime.tv_sec +
			    (double)ru.ru_stime.tv_usec / 1e6;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r->status = -1;
			break;
		}
		if (r->how == NULL && r->limit > 0 &&
		    time(NULL) - start >= r->limit)
			r->how = "timeout";
		if (r->how == NULL && r->stop != NULL)
			r->how = r->stop(r->ctx);
		if (r->how != NULL && killed_at == 0) {
			(void)kill(-r->pid, SIGTERM);
			killed_at = time(NULL);
		} else if (r->how != NULL &&
		    time(NULL) - killed_at >= r->grace) {
			(void)kill(-r->pid, SIGKILL);
		}
		nap(pidfd);
	}
	if (pidfd >= 0)
		close(pidfd);
	(void)kill(-r->pid, SIGKILL); /* whatever the job left behind */
}

static int
limit(int what, long n, int shift)
{
	struct rlimit rl;

	if (n <= 0)
		return 0;
	rl.rlim_cur = rl.rlim_max = (rlim_t)n << shift;
	return setrlimit(what, &rl);
}

int
drm_run_apply_limits(const struct drm_limits *l)
{
	/* no set-uid program, file capability or SELinux transition gives
	   the job or its children more rights than it started with */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    limit(RLIMIT_NPROC, l->nproc, 0) != 0 ||
	    limit(RLIMIT_FSIZE, l->fsize_mb, 20) != 0 ||
	    limit(RLIMIT_AS, l->mem_mb, 20) != 0)
		return -1;
	return 0;
}
