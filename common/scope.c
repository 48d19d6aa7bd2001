/*
 * scope.c -- scopes (core). TBL_SCOPES: scope -> {"scope","account",
 * "status": "OPEN","created_at","updated_at"}; TBL_SCOPES_BY_ACCOUNT
 * indexes the owner. Scopes are never deleted here (Rucio has no route
 * for it).
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "scope.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

static DBT
scope_key(const char *scope)
{
	return st_dbt(scope, strlen(scope));
}

int
scope_owner(struct st_txn *t, const char *scope, char *owner,
    struct gr_err *err)
{
	DBT key = scope_key(scope);
	json_t *rec = NULL;
	const char *acc;
	int ret;

	ret = st_get_json(t, TBL_SCOPES, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_SCOPE_NOT_FOUND,
		    "Scope '%s' does not exist", scope);
	if (ret != 0)
		return st_fail(err, ret);
	acc = json_string_value(json_object_get(rec, "account"));
	if (owner != NULL)
		(void)snprintf(owner, ACCOUNT_NAME_MAX + 1, "%s",
		    acc != NULL ? acc : "");
	json_decref(rec);
	return GR_OK;
}

struct add_args {
	const char *issuer, *account, *scope;
	bool set_owner; /* change the owner instead of creating */
};

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct add_args *a = arg;
	DBT key = scope_key(a->scope);
	json_t *rec = NULL;
	int64_t now = time_now();
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer,
		 a->set_owner ? "update scope" : "add scope", err)) != GR_OK)
		return rc;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	if (a->set_owner) {
		ret = st_get_json(t, TBL_SCOPES, &key, &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			return gr_fail(err, GR_SCOPE_NOT_FOUND,
			    "Scope '%s' does not exist", a->scope);
		if (ret != 0)
			return st_fail(err, ret);
		json_object_set_new(rec, "account", json_string(a->account));
		json_object_set_new(rec, "updated_at", json_integer(now));
		ret = st_put_json(t, TBL_SCOPES, &key, rec, 0);
	} else {
		rec = json_pack("{s:s, s:s, s:s, s:I, s:I}", "scope", a->scope,
		    "account", a->account, "status", "OPEN", "created_at",
		    (json_int_t)now, "updated_at", (json_int_t)now);
		ret = st_put_json(t, TBL_SCOPES, &key, rec, DB_NOOVERWRITE);
	}
	json_decref(rec);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE, "Scope '%s' already exists!",
		    a->scope);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
check_names(const char *account, const char *scope, struct gr_err *err)
{
	if (!valid_scope(scope))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating scope: '%s' does not match "
		    "^[a-zA-Z0-9_.-]{1,25}$",
		    scope);
	if (!valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	return GR_OK;
}

int
scope_add(const char *issuer, const char *account, const char *scope,
    struct gr_err *err)
{
	struct add_args a = { issuer, account, scope, false };
	int rc;

	if ((rc = check_names(account, scope, err)) != GR_OK)
		return rc;
	return st_txn_run(add_txn, &a, err);
}

int
scope_set_owner(const char *issuer, const char *account, const char *scope,
    struct gr_err *err)
{
	struct add_args a = { issuer, account, scope, true };
	int rc;

	if (!valid_scope(scope))
		return gr_fail(err, GR_SCOPE_NOT_FOUND,
		    "Scope '%s' does not exist", scope);
	if ((rc = check_names(account, scope, err)) != GR_OK)
		return rc;
	return st_txn_run(add_txn, &a, err);
}

/* Listings: small JSON lists (the client reads them whole). */
struct list_args {
	const char *account; /* NULL: all */
	bool owners;         /* [{"scope","account"}] instead of names */
	json_t *out;
};

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *rec;
	const char *scope, *owner;

	if (a->account != NULL && key->size != strlen(a->account))
		return GR_OK; /* a longer name with this prefix */
	(void)pkey;
	rec = json_loadb(val->data, val->size, 0, NULL);
	scope = json_string_value(json_object_get(rec, "scope"));
	owner = json_string_value(json_object_get(rec, "account"));
	if (scope != NULL && owner != NULL) {
		if (a->owners)
			json_array_append_new(a->out,
			    json_pack("{s:s, s:s}", "scope", scope, "account",
				owner));
		else
			json_array_append_new(a->out, json_string(scope));
	}
	json_decref(rec);
	return GR_OK;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	DBT key;
	int ret;

	json_array_clear(a->out);
	if (a->account == NULL)
		return st_scan(t, TBL_SCOPES, NULL, 0, NULL, list_one, a, err);
	key = st_dbt(a->account, strlen(a->account));
	ret = st_exists(t, TBL_ACCOUNTS, &key);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->account);
	if (ret != 0)
		return st_fail(err, ret);
	return st_scan(t, TBL_SCOPES_BY_ACCOUNT, a->account, strlen(a->account),
	    NULL, list_one, a, err);
}

static int
run_list(struct list_args *a, json_t **out, struct gr_err *err)
{
	int rc;

	a->out = json_array();
	rc = st_view(list_txn, a, 0, err);
	if (rc != GR_OK) {
		json_decref(a->out);
		*out = NULL;
		return rc;
	}
	*out = a->out;
	return GR_OK;
}

int
scope_list(const char *account, json_t **out, struct gr_err *err)
{
	struct list_args a = { .account = account };
	int rc;

	*out = NULL;
	if (account != NULL && !valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	if ((rc = run_list(&a, out, err)) != GR_OK)
		return rc;
	if (account != NULL && json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		return gr_fail(err, GR_SCOPE_NOT_FOUND,
		    "No scopes for account '%s'", account);
	}
	return GR_OK;
}

int
scope_owners(json_t **out, struct gr_err *err)
{
	struct list_args a = { .owners = true };

	return run_list(&a, out, err);
}
