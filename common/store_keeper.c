/*
 * store_keeper.c -- the keeper (store_keeper.h) and the checkpoints of
 * the processes that run none. The keeper is a detached process of its
 * own (detach_run), one per store through an exclusive flock; it only
 * trickles, flushes and checkpoints, so killing it at any moment loses
 * nothing. The rest of this file runs in the process that writes: it
 * counts commits and starts a keeper, never inside a transaction body.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "proc.h"
#include "store.h"
#include "store_guard.h"
#include "store_int.h"
#include "store_keeper.h"

/*
 * Checkpoint when this much log was written since the last one (and at
 * close), never by the clock: a checkpoint fsyncs every file written
 * since the last, half a second here. Once a minute, it fell into every
 * burst of submissions that came after a pause (1 s stalls, a third of
 * the jobs benchmark's rate). Recovery replays at most this much log.
 * The keeper takes them, off every request's path.
 */
#define ST_CKP_KBYTES 65536

/* The keeper's lock file beside the tables (its pid inside), and its
   settings: how often it looks, and how much of the cache it keeps
   clean. */
#define ST_KEEPER_LOCK    "keeper.lock"
#define ST_KEEPER_TICK_MS 100
#define ST_KEEPER_CLEAN   20

static bool keeper_auto;   /* this process starts keepers */
static bool keeper_due;    /* it committed writes since it last looked */
static int keeper_fd = -1; /* the lock file, open for the probe */
static volatile sig_atomic_t keeper_stop;

static int
keeper_open(void)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/" ST_KEEPER_LOCK,
		st_self()->dir) >= (int)sizeof(path))
		return -1;
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

bool
st_keeper_running(void)
{
	if (keeper_fd < 0 && (keeper_fd = keeper_open()) < 0)
		return false;
	/* a shared lock is refused only while the keeper holds its own */
	if (flock(keeper_fd, LOCK_SH | LOCK_NB) == 0) {
		(void)flock(keeper_fd, LOCK_UN);
		return false;
	}
	return errno == EWOULDBLOCK;
}

static void
keeper_term(int sig)
{
	(void)sig;
	keeper_stop = 1;
}

/* The end of the log: it stays put while nothing is written. */
static bool
st_log_end(DB_ENV *env, DB_LSN *out)
{
	DB_LOG_STAT *ls = NULL;

	if (env->log_stat(env, &ls, 0) != 0 || ls == NULL)
		return false;
	out->file = ls->st_cur_file;
	out->offset = ls->st_cur_offset;
	free(ls);
	return true;
}

static void
keeper_sleep(void)
{
	struct timespec ts = { 0, ST_KEEPER_TICK_MS * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* The keeper's life, in its detached process. */
static void
keeper_main(void *arg)
{
	struct gr_err err = { 0 };
	unsigned idle_ticks = 0;
	DB_LSN seen = { 0, 0 }, now;
	DB_ENV *env;
	const char *log;
	char pid[24];
	int fd, n, ret = 0;

	(void)arg;
	if ((log = getenv("GRIDREST_LOG")) != NULL && *log != '\0')
		(void)log_open(log);
	log_set_name("keeper");
	/* one keeper: whoever started another first has the lock */
	if ((fd = keeper_open()) < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
		exit(0);
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	if (st_open(st_self()->home, ST_KEEPER, &err) != GR_OK) {
		log_msg(LOG_ERR, "keeper: %s", err.msg);
		exit(1);
	}
	env = st_self()->env;
	st_guard();
	while (!keeper_stop && !st_stale()) {
		keeper_sleep();
		/* pages written now are pages no request writes to make room,
		   and no checkpoint waits for */
		st_guard_arm(true);
		ret = env->memp_trickle(env, ST_KEEPER_CLEAN, &n);
		/* the commits made durable "soon" (st_txn_soon) */
		if (ret == 0 && cfg.durability == CFG_DURABLE_SYNC)
			ret = env->log_flush(env, NULL);
		if (ret == 0)
			ret = env->txn_checkpoint(env, ST_CKP_KBYTES, 0, 0);
		if (ret == 0 && !st_log_end(env, &now))
			ret = EIO;
		st_guard_arm(false);
		if (ret != 0) {
			/* the next write starts another keeper */
			if (ret != DB_RUNRECOVERY)
				log_msg(LOG_ERR, "keeper: %s",
				    db_strerror(ret));
			break;
		}
		if (now.file != seen.file || now.offset != seen.offset)
			idle_ticks = 0;
		else if (++idle_ticks * ST_KEEPER_TICK_MS >=
		    cfg.keeper_idle * 1000U)
			break;
		seen = now;
	}
	/* st_close checkpoints, unless another process recovered the
	   environment (then its handles are dropped, as everywhere) */
	if (st_stale() || ret == DB_RUNRECOVERY)
		st_drop_panicked();
	st_close();
	exit(0);
}

void
st_keeper_auto(bool on)
{
	keeper_auto = on;
}

/*
 * Every 32 commits of writes: a checkpoint when due, by this process
 * unless a keeper runs; a process that starts keepers only notes that one
 * is due, and st_housekeep() starts it once its request is answered.
 */
void
st_maybe_checkpoint(void)
{
	DB_ENV *env = st_self()->env;

	if (++st_self()->commits % 32 != 0)
		return;
	if (keeper_auto)
		keeper_due = true;
	else if (!st_keeper_running())
		/* BDB decides cheaply whether the threshold was crossed */
		(void)env->txn_checkpoint(env, ST_CKP_KBYTES, 0, 0);
}

void
st_housekeep(void)
{
	int e;

	DB_ENV *env = st_self()->env;

	if (!keeper_due || env == NULL)
		return;
	keeper_due = false;
	if (st_keeper_running())
		return;
	if ((e = detach_run("gridrest-keeper", keeper_term, st_after_fork,
		 keeper_main, NULL)) != 0) {
		log_msg(LOG_ERR, "store: cannot start a keeper: %s",
		    strerror(e));
		(void)env->txn_checkpoint(env, ST_CKP_KBYTES, 0, 0);
	}
}

void
st_keeper_forget(void)
{
	if (keeper_fd >= 0)
		(void)close(keeper_fd); /* its own open, for its own locks */
	keeper_fd = -1;
	keeper_auto = keeper_due = false;
}
