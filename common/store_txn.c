/*
 * store_txn.c -- the transaction runner (store_txn.h: st_txn_run, st_view):
 * the one place a transaction begins, commits, aborts, and runs its body
 * again -- after a lost deadlock (randomised back-off, ST_RETRY_MAX
 * times), after another process's crash was recovered (handles reopened,
 * once), or after the body met a table it could not open without waiting
 * (store.c: handle()). Runs nest (st_seq_take inside a body): an inner
 * run that must start over makes the enclosing body fail, and the
 * enclosing run decides. Its state is per store (struct st_store), held
 * by one thread of one process; nothing here is shared between processes
 * but what Berkeley DB shares.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "store.h"
#include "store_int.h"
#include "store_keeper.h"
#include "store_repl.h"
#include "store_txn.h"
#include "util.h"

void
st_txn_lazy(struct st_txn *t)
{
	t->lazy = true;
}

void
st_txn_soon(struct st_txn *t)
{
	t->soon = true;
}

static void
backoff(int attempt)
{
	struct timespec ts;
	unsigned r;
	long us;

	/* randomised exponential back-off, 0.1 ms .. ~50 ms */
	random_bytes(&r, sizeof(r));
	us = 100L << (attempt < 9 ? attempt : 9);
	us = us / 2 + (long)(r % (unsigned long)us);
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	(void)nanosleep(&ts, NULL);
}

/* A nested run that met a recovered region: the enclosing body fails as
   panicked, and its own run reopens and runs it again. */
static int
nested_panic(struct st_txn *up, struct gr_err *err)
{
	up->panic = true;
	return st_fail(err, DB_RUNRECOVERY);
}

/*
 * How a transaction begins. A view is a snapshot, except on a replication
 * site: Berkeley DB refuses DB_TXN_SNAPSHOT on a replica, and the tables,
 * open in repmgr's own thread there, have no MVCC (store.c, open_one); a
 * view reads committed data then, each record as of its read, on every
 * role (a site changes roles under its open handles).
 */
static u_int32_t
begin_flags(bool snapshot)
{
	if (!snapshot)
		return 0;
	return st_repl_on() ? DB_READ_COMMITTED : DB_TXN_SNAPSHOT;
}

/* After a commit on a replication master: was it acknowledged as the
   ack policy asks? If not, it is in this site's log only, and may be
   lost at the next election: the client must not be told it is done. */
static int
check_acks(struct gr_err *err)
{
	if (!st_repl_on() || !st_repl_perm_failed())
		return GR_OK;
	return gr_fail(err, GR_UNAVAILABLE,
	    "the write was not acknowledged by the replication group (%s "
	    "policy); it may or may not be kept",
	    cfg.repl_acks);
}

/*
 * The one runner, on the store s. Write transactions pass snapshot =
 * false and retry on deadlock; views pass snapshot = true (no locks, so
 * no deadlocks).
 */
static int
run_body(struct st_store *s, st_txn_fn fn, void *arg, bool snapshot,
    unsigned flags, struct gr_err *err)
{
	struct st_txn t, *up = s->running;
	int attempt, ret, rc;
	bool reopened = false;

	for (attempt = 0; attempt < ST_RETRY_MAX; attempt++) {
		memset(&t, 0, sizeof(t));
		t.view = snapshot;
		if (s->env == NULL && (rc = st_reopen(err)) != GR_OK)
			return rc;
		/* a replica takes no write: said at once, with the master */
		if (!snapshot && up == NULL && st_repl_on() &&
		    st_repl_role(true) != ST_ROLE_MASTER)
			return st_repl_refuse(err);
		/* one read needs no transaction: the get is atomic by itself,
		   and the begin and commit cost as much as the read */
		ret = (flags & ST_ONEREAD) ? 0
					   : s->env->txn_begin(s->env, NULL,
						 &t.tid, begin_flags(snapshot));
		if (ret == DB_RUNRECOVERY && up != NULL)
			return nested_panic(up, err);
		if (ret == DB_RUNRECOVERY && !reopened) {
			reopened = true;
			if ((rc = st_reopen(err)) != GR_OK)
				return rc;
			continue;
		}
		if (ret != 0)
			return st_fail(err, ret);
		s->stats.begun++;
		t.started = true;
		s->running = &t;
		s->writing += !snapshot;
		rc = fn(&t, arg, err);
		s->writing -= !snapshot;
		s->running = up;
		if (t.missing != 0) {
			/* the body met a table it could not open without
			   waiting (handle()): open it with no transaction of
			   this process running, and run the body again */
			if (t.tid != NULL)
				(void)t.tid->abort(t.tid);
			if (s->writing > 0) { /* an enclosing write must end */
				if (up != NULL)
					up->missing = t.missing;
				return st_fail(err, DB_LOCK_NOTGRANTED);
			}
			gr_clear(err);
			rc = st_open_table((enum tbl_id)(t.missing - 1), err);
			if (rc != GR_OK)
				return rc;
			attempt--; /* each pass opens a group: bounded */
			continue;
		}
		if (rc == GR_OK && !t.deadlock && !t.panic &&
		    (flags & ST_ONEREAD))
			return GR_OK;
		if (rc == GR_OK && !t.deadlock && !t.panic) {
			/* a durable commit releases its locks first and then
			   waits for the disk (early lock release): writers of
			   the same pages (an index's last leaf, say) queued
			   behind each other's fsync, each running the
			   deadlock detector while it waited */
			bool flush = !snapshot && !t.lazy &&
			    cfg.durability == CFG_DURABLE_SYNC &&
			    !(t.soon && st_keeper_running());

			if (!snapshot && st_repl_on()) {
				st_repl_perm_clear();
				if (up == NULL)
					st_repl_token_take(t.tid);
			}
			ret = t.tid->commit(t.tid,
			    t.lazy || t.soon || flush ? DB_TXN_WRITE_NOSYNC
						      : 0);
			t.tid = NULL;
			if (ret == 0 && flush &&
			    (ret = s->env->log_flush(s->env, NULL)) != 0)
				return st_fail(err, ret);
			if (ret == 0) {
				if (snapshot)
					return GR_OK;
				st_maybe_checkpoint();
				return check_acks(err);
			}
			(void)st_note(&t, ret);
			if (!t.deadlock && !t.panic)
				return st_fail(err, ret);
		}
		if (t.tid != NULL)
			(void)t.tid->abort(t.tid);
		if (t.dead_handles && up != NULL) {
			up->dead_handles = true;
			return st_fail(err, DB_REP_HANDLE_DEAD);
		}
		if (t.dead_handles) {
			/* a replica rolled back to a new master: its table
			   handles are dead, the environment is not */
			st_close_tables();
			if (!(flags & ST_ONCE)) {
				gr_clear(err);
				continue;
			}
		}
		if (t.panic && up != NULL)
			return nested_panic(up, err);
		if (t.panic && !reopened && !(flags & ST_ONCE)) {
			reopened = true;
			gr_clear(err);
			if ((rc = st_reopen(err)) != GR_OK)
				return rc;
			continue;
		}
		if (!t.deadlock || (flags & ST_ONCE))
			return t.panic ? st_fail(err, DB_RUNRECOVERY) : rc;
		/* lost a deadlock: forget what the body recorded, run again */
		gr_clear(err);
		s->stats.retried++;
		backoff(attempt);
	}
	return st_fail(err, DB_LOCK_DEADLOCK);
}

static int
run(st_txn_fn fn, void *arg, bool snapshot, unsigned flags, struct gr_err *err)
{
	int rc;

	st_guard_arm(true);
	rc = run_body(st_self(), fn, arg, snapshot, flags, err);
	st_guard_arm(false);
	return rc;
}

int
st_txn_run(st_txn_fn fn, void *arg, struct gr_err *err)
{
	return run(fn, arg, false, 0, err);
}

int
st_view(st_txn_fn fn, void *arg, unsigned flags, struct gr_err *err)
{
	return run(fn, arg, true, flags, err);
}
