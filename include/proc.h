/*
 * proc.h -- starting gridrest's own helper processes. Unlike util.h, these
 * fork, exec-search and touch descriptors and signals: call them from
 * a process's own code, never from a transaction body (which may run
 * twice) nor from a signal handler.
 */
#ifndef PROC_H
#define PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Run fn(arg) in a detached grandchild and return once the child between
 * them is reaped: the grandchild has a session of its own (it outlives
 * the caller, and init reaps it), the name name in ps, SIGTERM handled by
 * on_term, SIGINT, SIGHUP and SIGPIPE ignored, the other signals as by
 * default and none blocked, no alarm, and no descriptors but /dev/null on
 * 0-2. in_child runs in the child before its fork (NULL: nothing), to
 * drop what the caller holds (st_after_fork). fn must not return: it
 * ends with exit(). Returns 0, or an errno when the first fork failed.
 */
int detach_run(const char *name, void (*on_term)(int), void (*in_child)(void),
    void (*fn)(void *), void *arg);

/*
 * The path of one of gridrest's executables (gridrest-drm-exec,
 * gridrest-drm-supervisor, gridrest-mover, gridrest-rules) next to this
 * program or up to two directories above it (build/cgi-bin,
 * build/tests/unit) into buf; false if none.
 */
bool tool_path(const char *name, char *buf, size_t size);

/*
 * Start gridrest's executable tool (gridrest-mover...) detached
 * (detach_run; in_child as there): the program getenv(exec_env) names when
 * set and not empty, else tool_path's, else tool found on PATH, exec'd
 * with no argument but its name and this process's environment. Until
 * the exec, SIGTERM is caught and ignored; after it, default. Returns 0,
 * or an errno when it could not fork (a failed exec is the grandchild's
 * exit 127, unseen).
 */
int proc_start_tool(const char *tool, const char *exec_env,
    void (*in_child)(void));

/*
 * A daemon's lock file, dir/name (created 0600, never through a symbolic
 * link): the daemon holds it with an exclusive flock while it runs, one
 * per store. proc_lock_open returns its descriptor (close-on-exec) or -1;
 * proc_lock_held is true while some process holds it exclusively.
 */
int proc_lock_open(const char *dir, const char *name);
bool proc_lock_held(const char *dir, const char *name);

/*
 * The daemon's start: open dir/name, hold it with an exclusive flock and
 * write this process's pid in it (for operators and tests). Returns the
 * descriptor, which holds the lock until it is closed or unlocked; -1
 * when another process holds it, or it cannot be opened.
 */
int proc_lock_take(const char *dir, const char *name);

/*
 * A daemon's stop: proc_catch_stop() makes SIGTERM and SIGINT set
 * proc_stop (per process, 0 until then; a forked child inherits both),
 * which the daemon's loop tests between two steps. proc_nap() sleeps ms
 * milliseconds, less when a signal comes.
 */
extern volatile sig_atomic_t proc_stop;
void proc_catch_stop(void);
void proc_nap(long ms);

#endif /* PROC_H */
