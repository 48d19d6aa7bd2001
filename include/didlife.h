/*
 * didlife.h -- the life of DIDs after creation (core): the new ones (for
 * subscriptions), expiry, and resurrection. Knows nothing of HTTP.
 *
 * A DID is new from its creation until something sets its "is_new" to
 * false (the subscriptions work will); TBL_DIDS_BY_META files the new
 * collections under "is_new". New files are found in their scope's records
 * (a shared index key for every file made concurrent registrations queue
 * on one page: 46k instead of 61k replicas/s), which costs little while
 * files are new as a rule: the listing stops at DID_NEW_MAX. A lifetime gives a
 * DID "expired_at"; TBL_DIDS_BY_EXPIRY orders them by it, so that the
 * undertaker to come takes the expired ones in time order without a scan. Until
 * it exists an expired DID stays as it is, readable, and POST /dids/resurrect
 * takes its expiry away.
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
int did_list_new(const char *type, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

/* Inside a transaction: mark scope:name as no longer new (or new). */
int did_set_new(struct st_txn *t, const char *scope, const char *name,
    bool is_new, struct gr_err *err);

/*
 * Inside a transaction: fn(scope, name, expired_at, arg) for every DID
 * whose expired_at is at or before now, oldest first; fn returns GR_OK to
 * go on, ST_STOP to end.
 */
typedef int (*did_expired_fn)(const char *scope, const char *name,
    int64_t expired_at, void *arg);
int did_expired_each(struct st_txn *t, int64_t now, did_expired_fn fn,
    void *arg, struct gr_err *err);

/*
 * POST /dids/resurrect: dids [{scope, name}]; each must be an expired DID
 * (its expired_at is removed), else DataIdentifierNotFound ("Deleted Data
 * identifier ... not found": deleted DIDs are not kept yet). Admins only;
 * all or nothing.
 */
int did_resurrect(const char *issuer, const json_t *dids, struct gr_err *err);

#endif /* DIDLIFE_H */
