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

/* Inside a transaction: *out, a new reference to the usage record of
   source on rse_id ({"used","free","files","updated_at"}), or NULL when
   there is none; flags as st_get_json's (DB_RMW). */
int usage_rse_load(struct st_txn *t, const char *rse_id, const char *source,
    u_int32_t flags, json_t **out, struct gr_err *err);

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

/*
 * Account usage (common/account_usage.c, hence account_usage_): what each
 * account uses on each RSE, next to its limits (limit.h).
 *
 * Inside the caller's transaction (the replication rules' locks): add
 * files and bytes (either may be negative) to account's usage on the RSE
 * with id rse_id and record the hour's history point. A counter that
 * would fall below zero is refused (InvalidObject: the caller aborts).
 * Names are not checked: the caller has.
 */
int account_usage_add(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t files, json_int_t bytes, struct gr_err *err);

/* Inside a transaction: the bytes and files account uses on the RSE with
   id rse_id (zeros: nothing). */
int account_usage_used(struct st_txn *t, const char *account,
    const char *rse_id, json_int_t *bytes, json_int_t *files,
    struct gr_err *err);

/* Inside a transaction: the usage of account summed over the RSEs expr
   selects now (zeros if it selects nothing), and whether one is rse_id. */
int account_usage_expr(struct st_txn *t, const char *account, const char *expr,
    const char *rse_id, json_int_t *bytes, json_int_t *files, bool *selects,
    struct gr_err *err);

/* The same in a transaction of its own, by names (gridrest-db usage-add):
   AccountNotFound, RSENotFound. */
int account_usage_adjust(const char *account, const char *rse, json_int_t files,
    json_int_t bytes, struct gr_err *err);

/*
 * emit {"rse_id","rse","bytes","files","bytes_limit","bytes_remaining"},
 * by RSE name, for every live RSE where account has a local limit or uses
 * something (only rse, when not NULL). As Rucio: no limit is a limit of
 * 0; an unlimited one (-1) gives jsonx_infinity() as limit and remaining.
 * Readable by admins, the account itself and country admins.
 */
int account_usage_local(const char *issuer, const char *account,
    const char *rse, gr_emit_fn emit, void *ctx, struct gr_err *err);

/*
 * emit {"rse_expression","bytes","files","bytes_limit","bytes_remaining"}
 * for every global limit of account, the usage summed over the RSEs the
 * expression selects now; with expr, that expression's (which must parse
 * and select something), with or without a limit.
 */
int account_usage_global(const char *issuer, const char *account,
    const char *expr, gr_emit_fn emit, void *ctx, struct gr_err *err);

/* *out: new reference to [{"bytes","files","updated_at" (ISO 8601)}], the
   hourly points of account's usage on rse, oldest first. */
int account_usage_history(const char *issuer, const char *account,
    const char *rse, json_t **out, struct gr_err *err);

/*
 * emit {"rse_id","rse","account","used_files","used_bytes","quota_bytes"
 * (the stored local limit, -1 for none, or null)}, by account, for every
 * account with a limit or usage on rse (through the by-RSE indexes).
 */
int account_usage_on_rse(const char *rse, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

#endif /* USAGE_H */
