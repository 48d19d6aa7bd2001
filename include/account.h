/*
 * account.h -- Rucio accounts (core): who may create, change and remove
 * them, their records and listings. Knows nothing of HTTP. Every function
 * that acts for a client takes the issuer (the token's account) and checks
 * its rights itself (spec/rucio.md section 8).
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define ACCOUNT_ROOT "root"

/*
 * The issuer of a caller without a token on a route that admits one
 * (DRMAAtic's anonymous user, GRIDREST_TASK_ANONYMOUS), and the owner of
 * what such a caller makes. '@' is in no account name (valid_account), so
 * it never matches a real account, nor an attribute, nor an admin.
 */
#define ACCOUNT_ANONYMOUS "@anonymous"

/* Create an ACTIVE account. type: USER, GROUP or SERVICE (any case). */
int account_add(const char *issuer, const char *name, const char *type,
    const char *email, struct gr_err *err);

/*
 * Create an account unless it exists (admin tool bootstrap; no issuer).
 * *created tells which.
 */
int account_ensure(const char *name, const char *type, const char *email,
    bool *created, struct gr_err *err);

/*
 * *out: new reference to {account, account_type, status, email,
 * suspended_at, deleted_at, created_at, updated_at}, dates ISO 8601 (what
 * GET /accounts/<a> renders). DELETED accounts are found too.
 */
int account_get(const char *name, json_t **out, struct gr_err *err);

/*
 * Apply changes {key: value}: status (ACTIVE|SUSPENDED), email,
 * account_type. Admins only.
 */
int account_update(const char *issuer, const char *name, const json_t *changes,
    struct gr_err *err);

/* Status DELETED, deleted_at now, every token revoked. root only. */
int account_delete(const char *issuer, const char *name, struct gr_err *err);

struct account_filter {
	const char *account;  /* glob with '*', or NULL */
	const char *type;     /* USER|GROUP|SERVICE (any case), or NULL */
	const char *identity; /* accounts mapped to this identity, or NULL */
	size_t nattrs;        /* attribute equalities */
	const char *const *attr_keys;
	const char *const *attr_values;
};

/*
 * emit {account, type, email} for every ACTIVE account matching f, ordered
 * by name. Precondition errors are returned before the first item.
 */
int account_list(const struct account_filter *f, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

#define ACCOUNT_ATTR_MAX 30

/*
 * *out: new reference to [{"key", "value"}] of an ACTIVE account's
 * attributes; value true/false or a string.
 */
int account_attr_list(const char *account, json_t **out, struct gr_err *err);

/*
 * Set attribute key (^[a-zA-Z0-9_./-]{1,30}$) of an ACTIVE account. value
 * (borrowed): true/"true"/"True" are stored as true, false alike, numbers
 * and other strings as strings. Duplicate if the key is set. Admins only.
 */
int account_attr_add(const char *issuer, const char *account, const char *key,
    const json_t *value, struct gr_err *err);

/* Remove attribute key (AccountNotFound if it is not set). Admins only. */
int account_attr_del(const char *issuer, const char *account, const char *key,
    struct gr_err *err);

/*
 * Inside a transaction: GR_OK if account exists and is ACTIVE, else
 * GR_ACCOUNT_NOT_FOUND (or a store failure).
 */
int account_check_active(struct st_txn *t, const char *account,
    struct gr_err *err);

/*
 * Inside a transaction: GR_OK if issuer is an admin, else AccessDenied
 * "Account <issuer> can not <action>" (Rucio's wording).
 */
int account_require_admin(struct st_txn *t, const char *issuer,
    const char *action, struct gr_err *err);

/* Inside a transaction: *admin = root, or holds the attribute "admin". */
int account_is_admin(struct st_txn *t, const char *account, bool *admin,
    struct gr_err *err);

/*
 * Inside a transaction: may issuer make something owner owns? Its own
 * (owner NULL or issuer), always; an ACTIVE account's (AccountNotFound
 * otherwise) only when issuer is an admin, else AccessDenied "Account
 * <issuer> can not <action> <owner>". *admin: -1 before the first call of
 * a batch; the answer is kept there.
 */
int account_may_act_for(struct st_txn *t, const char *issuer, const char *owner,
    int *admin, const char *action, struct gr_err *err);

#endif /* ACCOUNT_H */
