/*
 * store_int.h -- what the store's own files (store*.c) share and nobody
 * else may use. Each declaration names the file that implements it.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <limits.h>
#include <stdbool.h>

#include <db.h>

#include "err.h"
#include "store.h"
#include "tables.h"

/*
 * The process's handles on its one environment (store.c owns it; one per
 * process, single-threaded; a child after fork() abandons the parent's,
 * st_after_fork). The other store files reach it through st_self().
 */
struct st_store {
	DB_ENV *env;         /* NULL while closed or dropped after a panic */
	DB *dbs[TBL_COUNT];  /* a table's handle once its group was opened */
	char dir[PATH_MAX];  /* <home>/db */
	char home[PATH_MAX]; /* as st_open() was given it, for reopening */
	unsigned flags;      /* st_open()'s */
	bool threaded;       /* DB_THREAD (a replication site) */
	struct st_stats stats;
	unsigned commits; /* write commits, for st_maybe_checkpoint() */
	/* the runner's (store_txn.c) */
	struct st_txn *running; /* whose body runs now; a run inside it
				   (st_seq_take) must not reopen its handles */
	int writing;            /* write bodies running now (nested runs) */
};

/* store.c: this process's store. */
struct st_store *st_self(void);

/*
 * store.c: forget handles whose environment another process recovered,
 * without the full close that could write into the new one (see
 * abandon() there); the next runner reopens.
 */
void st_drop_panicked(void);

/* store.c: after another process's crash was recovered, drop the handles
   and open again (no body of this process may be running). */
int st_reopen(struct gr_err *err);

/* store.c: close every table (secondaries first), keeping the
   environment. */
void st_close_tables(void);

/* store.c: open every table, creating the missing ones and their
   indexes when flags has ST_INIT. GR_OK or a store failure. */
int st_open_tables(unsigned flags, struct gr_err *err);

/* store.c: open tbl's group, waiting for its locks (no transaction of
   this process may be running). GR_OK or a store failure. */
int st_open_table(enum tbl_id tbl, struct gr_err *err);

/*
 * store_schema.c: at open, with every table open when flags has ST_INIT:
 * the store's schema version must be this build's (GR_DATABASE if not, or
 * if the store was never initialised); ST_INIT writes it in a new store
 * and migrates an older one first. Runs transactions of its own: never
 * from a body.
 */
int st_schema_check(unsigned flags, struct gr_err *err);

/* Note in t the conditions the runner reacts to. Returns ret. */
static inline int
st_note(struct st_txn *t, int ret)
{
	if (ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED)
		t->deadlock = true;
	else if (ret == DB_RUNRECOVERY)
		t->panic = true;
	else if (ret == DB_REP_LOCKOUT) /* a replica syncing: wait, retry */
		t->deadlock = true;
	else if (ret == DB_REP_HANDLE_DEAD)
		t->dead_handles = true;
	return ret;
}

/*
 * store_guard.c: a one-second tick while this process is inside the
 * store, once st_guard() was called (otherwise nothing). Nested calls:
 * the outermost arms and disarms it. Every runner and the keeper bracket
 * their work with it.
 */
void st_guard_arm(bool on);

/*
 * store_counter.c: map the change counters' page of the store in dir,
 * creating the file; once per process (later calls keep the first map,
 * which outlives reopens). GR_OK or GR_DATABASE.
 */
int st_changes_map(const char *dir, struct gr_err *err);

/*
 * store_keeper.c: after each committed write transaction (not a view):
 * every 32nd checkpoints when due, by this process unless a keeper runs,
 * or (st_keeper_auto) notes that st_housekeep() should start one. Outside
 * any body: the runner calls it after the commit.
 */
void st_maybe_checkpoint(void);

/* store_keeper.c: in a child after fork(), forget the parent's keeper
   probe and settings (st_after_fork). */
void st_keeper_forget(void);

#endif /* STORE_INT_H */
