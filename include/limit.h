/*
 * limit.h -- account limits (core): bytes an account may use on one RSE
 * (local) or on the RSEs of an RSE expression (global). Replication rules
 * check them when they choose RSEs (limit_quota_left).
 */
#ifndef LIMIT_H
#define LIMIT_H

#include <jansson.h>

#include "err.h"

#define LIMIT_UNLIMITED (-1) /* stored bytes of "no limit" */

/*
 * Set (insert or replace) the local limit of account on rse: bytes (a JSON
 * integer >= 0, or -1 for unlimited). Admins only.
 */
int limit_local_set(const char *issuer, const char *account, const char *rse,
    const json_t *bytes, struct gr_err *err);

/* Remove it (AccountNotFound/RSENotFound if either is unknown). */
int limit_local_del(const char *issuer, const char *account, const char *rse,
    struct gr_err *err);

/*
 * *out: new reference to {rse: bytes} for every local limit of account, or,
 * when rse is not NULL, {rse: bytes or null}. No limit (-1) is
 * jsonx_infinity() (jsonx.h), as Rucio renders it.
 */
int limit_local_get(const char *account, const char *rse, json_t **out,
    struct gr_err *err);

/* The same for global limits on an RSE expression (which must select at
   least one RSE when set). */
int limit_global_set(const char *issuer, const char *account, const char *expr,
    const json_t *bytes, struct gr_err *err);
int limit_global_del(const char *issuer, const char *account, const char *expr,
    struct gr_err *err);

/*
 * *out: new reference to {expr: {"resolved_rses", "resolved_rse_ids",
 * "limit"}} for every global limit, or, when expr is not NULL,
 * {expr: bytes or null}.
 */
int limit_global_get(const char *account, const char *expr, json_t **out,
    struct gr_err *err);

/*
 * The hooks of the replication rules (inside their transaction), counted
 * as Rucio's RSE selector counts them. The quota account has left on the
 * RSE with id rse_id: *local_left, the local limit less the usage there
 * (no local limit: 0, not eligible); *global_left, the least left over
 * the global limits whose expression selects the RSE now (each limit less
 * the usage summed over its RSEs). LIMIT_UNLIMITED in either: no bound
 * (a limit of -1, no global limit, or an admin account).
 */
int limit_quota_left(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t *local_left, json_int_t *global_left, struct gr_err *err);

/*
 * May account place bytes more on the RSE with id rse_id? GR_OK when the
 * local quota left exceeds bytes and every global one covers them (as the
 * selector: quota_left > size, global_quota_left >= size), else 409
 * InsufficientAccountLimit naming what is short.
 */
int limit_check(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t bytes, struct gr_err *err);

#endif /* LIMIT_H */
