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
 * db/mover.lock; at start it requeues the requests a killed mover had
 * claimed (state S), and the next attempt takes over the half-written
 * temporary of the copy it killed.
 *
 * Settings (environment): GRIDREST_MOVER_START (1; 0: none is started,
 * the requests wait), GRIDREST_MOVER_ATTEMPTS (3) attempts in all,
 * GRIDREST_MOVER_RETRY (1) seconds before the second attempt, doubling
 * after each, GRIDREST_MOVER_IDLE (10) seconds without a queued request
 * before it leaves.
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
 * process starts a mover once its request is answered (web.c calls
 * mover_kick_noted). A body that runs again or aborts at worst starts a
 * mover that finds nothing and leaves.
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
 * One request, for the mover and the tests: claim the first due queued
 * request and perform it. *worked: one was there; *wait: seconds until the
 * next queued one is due (-1: none queued).
 */
int mover_step(struct xfer *x, bool *worked, int64_t *wait, struct gr_err *err);

/* Requeue the requests a mover claimed (state S); *n how many. Only while
   no other mover runs (mover_main does it first). */
int mover_requeue(long *n, struct gr_err *err);

#endif /* MOVER_H */
