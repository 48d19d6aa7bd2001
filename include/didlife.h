/*
 * didlife.h -- the life of DIDs after creation (core): the new ones (for
 * subscriptions), expiry, and resurrection. Knows nothing of HTTP.
 *
 * A DID is new from its creation until something sets its "is_new" to
 * false (the subscriptions work will); TBL_DIDS_BY_META files the new
 * collections under "is_new". New files are found in their scope's records
 * (a shared index key for every file made concurrent registrations queue
 * on one page: 46k instead of 61k replicas/s), which costs little while
 * files are new as a rule: the listing stops at DID_NEW_MAX.
 *
 * A lifetime gives a DID "expired_at"; TBL_DIDS_BY_EXPIRY orders them by
 * it, so that the undertaker takes the expired ones in time order without
 * a scan. As upstream's, it takes an expired DID out of its parents; a
 * collection then loses its contents and moves to TBL_DELETED_DIDS (with
 * "deleted_at"), whose names new DIDs may not take (406); a file keeps its
 * replicas, which are a reaper's to remove, and only loses its expiry.
 * POST /dids/resurrect brings an archived collection back (empty, without
 * expiry), or takes the expiry from a DID the undertaker has not reached.
 * The dids backends sweep every GRIDREST_UNDERTAKER_INTERVAL seconds (one
 * of them per interval, after a request's answer went out); "gridrest-db
 * undertaker" sweeps at once.
 */
#ifndef DIDLIFE_H
#define DIDLIFE_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define DID_NEW_MAX 1000 /* entries of one GET /dids/new */

/*
 * emit {"scope","name","did_type"} of the new DIDs, scope by scope (its
 * collections, then its files), at most DID_NEW_MAX; type NULL for all, else
 * FILE, DATASET or CONTAINER (any case; others UnsupportedOperation).
 */
int didlife_list_new(const char *type, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* Inside a transaction: mark scope:name as no longer new (or new). */
int didlife_set_new(struct st_txn *t, const char *scope, const char *name,
    bool is_new, struct gr_err *err);

/*
 * Inside a transaction: fn(scope, name, expired_at, arg) for every DID
 * whose expired_at is at or before now, oldest first; fn returns GR_OK to
 * go on, ST_STOP to end.
 */
typedef int (*didlife_expired_fn)(const char *scope, const char *name,
    int64_t expired_at, void *arg);
int didlife_expired_each(struct st_txn *t, int64_t now, didlife_expired_fn fn,
    void *arg, struct gr_err *err);

/* What a sweep did. */
struct didlife_sweep {
	size_t buried; /* expired collections deleted (archived) */
	size_t files;  /* expired files detached, their expiry lifted */
	size_t kept;   /* collections a locked rule keeps (a day more) */
	bool more;     /* it stopped at max with expired DIDs left */
};

#define UNDERTAKER_TICK_MAX 1000 /* DIDs of one periodic sweep */

/*
 * Deal with the DIDs expired at now, oldest first, about max of them (in
 * batches of 100): one transaction per DID (several for a DID with
 * thousands of parents or contents). A collection's rules are removed
 * with it (rule_remove_of_did); one with a locked rule is kept, its
 * expiry a day later. Stops at the first error.
 */
int didlife_undertake(int64_t now, size_t max, struct didlife_sweep *out,
    struct gr_err *err);

/*
 * The periodic sweep, for a backend between requests: at most one look a
 * second per process; sweeps (UNDERTAKER_TICK_MAX) when no process of the
 * store did in the last interval seconds. 0 turns it off. Logs what it did.
 */
void didlife_undertaker_tick(unsigned interval);

/*
 * POST /dids/resurrect: dids [{scope, name}]; each must be a collection
 * the undertaker archived (it comes back, empty and without expiry) or an
 * expired DID it has not reached yet (its expired_at is removed), else
 * DataIdentifierNotFound ("Deleted Data identifier ... not found"). Admins
 * only; all or nothing.
 */
int didlife_resurrect(const char *issuer, const json_t *dids,
    struct gr_err *err);

#endif /* DIDLIFE_H */
