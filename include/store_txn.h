/*
 * store_txn.h -- the transaction runner (store_txn.c): the one place a
 * transaction of the store begins, commits, aborts and runs its body
 * again. A body is handed a struct st_txn and reads and writes through
 * store.h's record and cursor calls; the runner decides from what those
 * calls noted in it (a lost deadlock, a recovered environment, a table
 * not yet open) whether to commit, give up or run the body once more.
 *
 * The contract every body keeps: it may run several times, so its only
 * effects are on the store (no output, no files, no signals, no processes,
 * no process-global state a rerun would double), it keeps no DBT pointer
 * past the call that lent it, and it returns GR_OK to commit. Effects
 * outside the store come after the runner returned GR_OK.
 */
#ifndef STORE_TXN_H
#define STORE_TXN_H

#include <stdbool.h>

#include <db.h>

#include "err.h"

/* How often a write transaction is retried after a deadlock. */
#define ST_RETRY_MAX 12

/* st_view flags */
/* ST_ONCE: the body has effects outside the store (it streams): never run
   it twice. ST_ONEREAD: the body reads one record, so no transaction is
   begun around it (t->tid is NULL). */
#define ST_ONCE    0x1
#define ST_ONEREAD 0x2

/* A running transaction as a body sees it. */
struct st_txn {
	DB_TXN *tid;
	bool deadlock; /* set by any store call that lost a deadlock */
	bool panic;    /* set by any store call that saw DB_RUNRECOVERY */
	bool started;  /* the body ran (for ST_ONCE) */
	bool lazy;     /* commit without waiting for the disk (st_txn_lazy) */
	bool soon;     /* durable within the keeper's tick (st_txn_soon) */
	bool view;     /* a snapshot view (st_view): nothing is written */
	int missing;   /* 1 + a table the body could not open at once */
	bool dead_handles; /* a replica's handles died in a rollback */
};

/*
 * A transaction body. It may run several times (deadlock, recovery, a table
 * opened late): the contract above. Returns GR_OK to commit, anything else
 * to abort.
 */
typedef int (*st_txn_fn)(struct st_txn *t, void *arg, struct gr_err *err);

/*
 * Run fn in a write transaction: commit on GR_OK, abort otherwise. A body
 * that lost a deadlock is aborted and run again (back-off, ST_RETRY_MAX); if
 * another process crashed and the environment was recovered, the handles are
 * reopened and the body run again; a body that met a table this process
 * had not opened, whose open could not get its locks at once, is aborted
 * and run again once the table is open. Returns fn's code or a store
 * failure.
 */
int st_txn_run(st_txn_fn fn, void *arg, struct gr_err *err);

/*
 * From inside a body: commit this transaction without waiting for the disk
 * (DB_TXN_WRITE_NOSYNC). It survives the crash of any process, but a crash
 * of the machine may lose it, with the lazy commits after it; the next
 * durable commit of any process makes it durable too (the log is one
 * sequence). For bookkeeping that a restart reconciles anyway.
 */
void st_txn_lazy(struct st_txn *t);

/*
 * From inside a body: commit without waiting for the disk, and durable
 * within a tenth of a second: the keeper flushes the log on each tick
 * (when no keeper runs, the commit flushes itself). For records whose
 * writer waits for nobody (a job's end, written by its supervisor): many
 * of them then share one flush, instead of each taking the disk in turn
 * with the requests that do wait.
 */
void st_txn_soon(struct st_txn *t);

/*
 * Run fn in a read-only snapshot (MVCC) transaction: no read locks, never a
 * deadlock. flags: ST_ONCE, ST_ONEREAD.
 */
int st_view(st_txn_fn fn, void *arg, unsigned flags, struct gr_err *err);

#endif /* STORE_TXN_H */
