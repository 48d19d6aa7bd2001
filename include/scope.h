/*
 * scope.h -- Rucio scopes (core): namespaces of data identifiers, each
 * owned by an account. Names follow ^[a-zA-Z0-9_.-]{1,25}$.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <jansson.h>

#include "err.h"
#include "store.h"

/* Create scope, owned by account (ACTIVE). Admins only. */
int scope_add(const char *issuer, const char *account, const char *scope,
    struct gr_err *err);

/* Give scope to another (ACTIVE) account. Admins only. */
int scope_set_owner(const char *issuer, const char *account, const char *scope,
    struct gr_err *err);

/*
 * *out: new reference to the JSON list of scope names: all of them
 * (account NULL), or the account's (AccountNotFound if there is no such
 * account, ScopeNotFound if it owns none, as upstream).
 */
int scope_list(const char *account, json_t **out, struct gr_err *err);

/* *out: new reference to [{"scope", "account"}] for every scope. */
int scope_owners(json_t **out, struct gr_err *err);

/*
 * Inside a transaction: GR_OK and, if owner is not NULL, the owner's name
 * copied into owner (ACCOUNT_NAME_MAX + 1 bytes); GR_SCOPE_NOT_FOUND when
 * there is no such scope.
 */
int scope_owner(struct st_txn *t, const char *scope, char *owner,
    struct gr_err *err);

#endif /* SCOPE_H */
