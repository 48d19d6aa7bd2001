/*
 * mover.h -- transfers (core): the mover performs the transfer requests of
 * the replication rules (TBL_REQUESTS, rule.h). It takes a queued request,
 * chooses a source (an AVAILABLE replica on another RSE with a read
 * protocol it speaks, within the request's source RSE or
 * source_replica_expression, nearest by distance first), builds both PFNs
 * from the RSEs' protocols (rse_lfns2pfns), copies and checks with xfer.c,
 * and ends the request through the replica's state change, the core path
 * of PUT /replicas: AVAILABLE (the locks go OK, the request away), or
 * after the last attempt UNAVAILABLE with the reason (the request FAILED,
 * the locks STUCK, the reason in the rule's error). Knows nothing of HTTP.
 *
 * One mover per store: the executable gridrest-mover (tools/mover.c),
 * exec'd by mover_kick() when requests wait and none runs, visible in ps,
 * leaving when nothing is queued. It holds an exclusive flock on
 * db/mover.lock and supervises its workers: forks of it (mover-worker in
 * ps) that each claim a batch -- due requests to one destination, up to
 * GRIDREST_MOVER_BATCH files and GRIDREST_MOVER_BATCH_MB MiB (a larger
 * file alone) -- copy it in one process (posix copies synced together,
 * xfer_commit) and end it in one replica change, batch after batch, and
 * leave after 2 s without one. It starts a worker while the due requests
 * want more than the workers without claims take: at most
 * GRIDREST_MOVER_WORKERS in all, and a batch is claimed only for a
 * destination with fewer than GRIDREST_MOVER_PER_RSE workers copying to
 * it (counted from the claimed requests, each naming its worker). A
 * worker dies with the supervisor and keeps the lock held while it
 * lives; what a dead worker claimed is queued again when it is reaped,
 * what a dead supervisor's workers claimed when the next mover starts
 * (state S), and the next attempt takes over the half-written temporary.
 *
 * Settings (environment): GRIDREST_MOVER_START (1; 0: none is started,
 * the requests wait), GRIDREST_MOVER_ATTEMPTS (3) attempts in all,
 * GRIDREST_MOVER_RETRY (1) seconds before the second attempt, doubling
 * after each, GRIDREST_MOVER_IDLE (10) seconds without a queued request
 * before it leaves, GRIDREST_MOVER_WORKERS (4), GRIDREST_MOVER_PER_RSE
 * (2), GRIDREST_MOVER_BATCH (100), GRIDREST_MOVER_BATCH_MB (64).
 */
#ifndef MOVER_H
#define MOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct xfer;

/* After a commit that queued requests: start a mover unless one runs
   (or GRIDREST_MOVER_START is 0). Never fails its caller (a failure is
   logged). */
void mover_kick(void);

/*
 * From inside a transaction body that queued a request (rule.c): this
 * process starts a mover once its work is committed -- every process that
 * can queue one calls mover_kick_noted then: the backends after each
 * request and after their pass between requests (web.c), the rule
 * evaluator after each batch (tools/rules.c), gridrest-db after its
 * command. A body that runs again or aborts at worst starts a mover that
 * finds nothing and leaves.
 */
void mover_note(void);
void mover_kick_noted(void);

/* Is a mover running on this store? */
bool mover_running(void);

/* The mover's life (gridrest-mover), on the store already open: returns
   when idle, or when it is not the only mover (0), or on a store failure
   (1). */
int mover_main(void);

/*
 * One batch, for the workers and the tests: claim due queued requests to
 * one destination (as above) and perform them. *worked: some were
 * claimed; *wait: seconds until the next queued one is due (0: due ones
 * wait for their destination's workers; -1: none queued).
 */
int mover_step(struct xfer *x, bool *worked, int64_t *wait, struct gr_err *err);

/* Requeue the requests a mover claimed (state S); *n how many. Only while
   no other mover runs (mover_main does it first). */
int mover_requeue(long *n, struct gr_err *err);

#endif /* MOVER_H */
