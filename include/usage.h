/*
 * usage.h -- what is stored where (core): per-RSE usage by source (the
 * "rucio" source counts the registered replicas, exactly, in the same
 * transaction that adds or removes them; other sources are set by
 * administrators or storage probes), its hourly history, and per-account
 * usage on RSEs (kept by the replication rules' locks).
 */
#ifndef USAGE_H
#define USAGE_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define USAGE_SOURCE     "rucio" /* the replica counter's source */
#define USAGE_SOURCE_MAX 100

/*
 * Inside a transaction: add files and bytes (either may be negative) to
 * the "rucio" usage of the RSE with id rse_id, and record the hour's
 * history point.
 */
int usage_rse_add(struct st_txn *t, const char *rse_id, json_int_t files,
    json_int_t bytes, struct gr_err *err);

/*
 * Inside a transaction: take the write lock of rse_id's counter now, so
 * that bulk writers to one RSE queue up front instead of deadlocking in
 * the middle of their batches.
 */
int usage_rse_lock(struct st_txn *t, const char *rse_id, struct gr_err *err);

/* Inside a transaction: the files the "rucio" usage counts on rse_id. */
int usage_rse_files(struct st_txn *t, const char *rse_id, json_int_t *files,
    struct gr_err *err);

/*
 * emit {"rse_id","rse","source","used","free","total","files",
 * "updated_at"} for every source of rse (only source, when not NULL);
 * per_account adds "account_usages" [{"account","used","percentage"}] to
 * the "rucio" entry, largest first.
 */
int usage_rse_get(const char *rse, const char *source, bool per_account,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/* Set a source's usage from {"source","used","free","files"} (admins). */
int usage_rse_set(const char *issuer, const char *rse, const json_t *body,
    struct gr_err *err);

/* emit the hourly history, newest first, as {"rse_id","rse","source",
   "used","free","total","files","updated_at"}. */
int usage_rse_history(const char *rse, const char *source, gr_emit_fn emit,
    void *ctx, struct gr_err *err);

#endif /* USAGE_H */
