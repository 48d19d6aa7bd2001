/*
 * proc.c -- starting gridrest's own helper processes: detach_run() for
 * the daemons a process starts on demand (the store's keeper, DRM
 * supervisors, the mover, the reaper, the rule evaluator), tool_path()
 * for the executables it execs, proc_start_tool() for both at once; and
 * the daemons' lock files (one daemon of a kind per store). Leaf module:
 * calls only libc.
 */
#define _GNU_SOURCE /* close_range */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* In the fresh grandchild: a session of its own, no inherited state. */
static void
detach(const char *name, void (*on_term)(int))
{
	struct sigaction sa;
	sigset_t none;
	int fd;

	(void)setsid();
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGALRM, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(0);
	/* one call, not one per possible descriptor (20,000 here) */
	if (close_range(3, ~0U, 0) != 0)
		for (fd = (int)sysconf(_SC_OPEN_MAX); fd > 2; fd--)
			if (fd < 65536)
				(void)close(fd);
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > 2)
			close(fd);
	}
}

int
detach_run(const char *name, void (*on_term)(int), void (*in_child)(void),
    void (*fn)(void *), void *arg)
{
	pid_t pid, w;
	int status;

	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		if (in_child != NULL)
			in_child();
		if (fork() == 0) {
			detach(name, on_term);
			fn(arg);
			exit(0); /* fn should not return */
		}
		_exit(0);
	}
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	return 0;
}

bool
tool_path(const char *name, char *buf, size_t size)
{
	static const char *const up[] = { "/", "/../", "/../../" };
	char self[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return false;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++)
		if (snprintf(buf, size, "%s%s%s", self, up[i], name) <
			(int)size &&
		    access(buf, X_OK) == 0)
			return true;
	return false;
}

/* What proc_start_tool's grandchild runs: arg[0] the program, arg[1]
   its name. */
static void
exec_tool(void *arg)
{
	char **argv = arg, *args[] = { argv[1], NULL };

	if (strchr(argv[0], '/') != NULL)
		(void)execv(argv[0], args);
	else
		(void)execvp(argv[0], args);
	_exit(127);
}

/* SIGTERM until the exec: caught, so that exec resets it to default. */
static void
ignore_term(int sig)
{
	(void)sig;
}

int
proc_start_tool(const char *tool, const char *exec_env, void (*in_child)(void))
{
	const char *prog = getenv(exec_env);
	char path[PATH_MAX], name[64];
	char *argv[2] = { path, name };

	if (prog != NULL && *prog != '\0')
		(void)snprintf(path, sizeof(path), "%s", prog);
	else if (!tool_path(tool, path, sizeof(path)))
		(void)snprintf(path, sizeof(path), "%s", tool);
	(void)snprintf(name, sizeof(name), "%s", tool);
	return detach_run(tool, ignore_term, in_child, exec_tool, argv);
}

int
proc_lock_open(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (dir == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		(int)sizeof(path))
		return -1;
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

bool
proc_lock_held(const char *dir, const char *name)
{
	int fd = proc_lock_open(dir, name);
	bool yes;

	if (fd < 0)
		return false;
	/* a shared lock is refused only while the daemon holds its own */
	yes = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	(void)close(fd);
	return yes;
}

int
proc_lock_take(const char *dir, const char *name)
{
	char pid[24];
	int fd, n;

	if ((fd = proc_lock_open(dir, name)) < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		(void)close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	return fd;
}

volatile sig_atomic_t proc_stop;

static void
on_stop(int sig)
{
	(void)sig;
	proc_stop = 1;
}

void
proc_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
}

void
proc_nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}
