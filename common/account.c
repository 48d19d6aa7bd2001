/*
 * account.c -- Rucio accounts (core). Records in TBL_ACCOUNTS:
 * {"account","account_type","status","email","created_at","updated_at",
 *  "suspended_at","deleted_at"}, dates as epoch seconds (rendered on the way
 * out). Deletion is a status, as upstream: the name stays taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "date.h"
#include "identity.h"
#include "jsonx.h"
#include "tables.h"
#include "token.h"
#include "util.h"
#include "valid.h"

static const char *const account_types[] = { "USER", "GROUP", "SERVICE", NULL };

/* The canonical name of an account type, or NULL. */
static const char *
canon_type(const char *type)
{
	size_t i;

	if (type == NULL)
		return NULL;
	for (i = 0; account_types[i] != NULL; i++)
		if (strcasecmp(type, account_types[i]) == 0)
			return account_types[i];
	return NULL;
}

static DBT
account_key(const char *name)
{
	return st_dbt(name, strlen(name));
}

int
account_check_active(struct st_txn *t, const char *account, struct gr_err *err)
{
	DBT key = account_key(account);
	json_t *rec = NULL;
	const char *status;
	int ret, rc = GR_OK;

	ret = st_get_json(t, TBL_ACCOUNTS, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	if (ret != 0)
		return st_fail(err, ret);
	status = json_string_value(json_object_get(rec, "status"));
	if (status == NULL || strcmp(status, "ACTIVE") != 0)
		rc = gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	json_decref(rec);
	return rc;
}

int
account_is_admin(struct st_txn *t, const char *account, bool *admin,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT key;
	int ret;

	*admin = false;
	if (strcmp(account, ACCOUNT_ROOT) == 0) {
		*admin = true;
		return GR_OK;
	}
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), account, "admin", (char *)NULL));
	ret = st_exists(t, TBL_ACCOUNT_ATTRS, &key);
	if (ret == 0)
		*admin = true;
	else if (ret != DB_NOTFOUND)
		return st_fail(err, ret);
	return GR_OK;
}

int
account_may_act_for(struct st_txn *t, const char *issuer, const char *owner,
    int *admin, const char *action, struct gr_err *err)
{
	bool yes;
	int rc;

	if (owner == NULL || strcmp(owner, issuer) == 0)
		return GR_OK;
	if (*admin < 0) {
		if ((rc = account_is_admin(t, issuer, &yes, err)) != GR_OK)
			return rc;
		*admin = yes;
	}
	if (!*admin)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not %s %s", issuer, action, owner);
	return account_check_active(t, owner, err);
}

int
account_require_admin(struct st_txn *t, const char *issuer, const char *action,
    struct gr_err *err)
{
	bool admin;
	int rc;

	if ((rc = account_is_admin(t, issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin)
		return gr_fail(err, GR_ACCESS_DENIED, "Account %s can not %s",
		    issuer, action);
	return GR_OK;
}

struct add_args {
	const char *issuer; /* NULL: the admin tool */
	const char *name, *type, *email;
	bool exists_ok, created;
};

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct add_args *a = arg;
	DBT key = account_key(a->name);
	json_t *rec;
	int64_t now = time_now();
	int ret;

	a->created = false;
	if (a->issuer != NULL && strcmp(a->issuer, ACCOUNT_ROOT) != 0)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not add account", a->issuer);
	rec = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:I, s:n, s:n}", "account",
	    a->name, "account_type", a->type, "status", "ACTIVE", "email",
	    a->email, "created_at", (json_int_t)now, "updated_at",
	    (json_int_t)now, "suspended_at", "deleted_at");
	ret = st_put_json(t, TBL_ACCOUNTS, &key, rec, DB_NOOVERWRITE);
	json_decref(rec);
	if (ret == DB_KEYEXIST) {
		if (a->exists_ok)
			return GR_OK;
		return gr_fail(err, GR_DUPLICATE,
		    "Account ID '%s' already exists!", a->name);
	}
	if (ret != 0)
		return st_fail(err, ret);
	a->created = true;
	return GR_OK;
}

static int
check_new(const char *name, const char *type, const char *email,
    const char **canon, struct gr_err *err)
{
	if (!valid_account(name))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating account: '%s' does not match "
		    "^[a-z0-9-_]{1,25}$",
		    name);
	if ((*canon = canon_type(type)) == NULL)
		return gr_fail(err, GR_INVALID_ACCOUNT_TYPE,
		    "Account type '%s' is not one of USER, GROUP, SERVICE",
		    type != NULL ? type : "");
	if (email != NULL && !valid_email(email))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating email: '%s' is not an address", email);
	return GR_OK;
}

int
account_add(const char *issuer, const char *name, const char *type,
    const char *email, struct gr_err *err)
{
	struct add_args a = { .issuer = issuer, .name = name, .email = email };
	int rc;

	if ((rc = check_new(name, type, email, &a.type, err)) != GR_OK)
		return rc;
	return st_txn_run(add_txn, &a, err);
}

int
account_ensure(const char *name, const char *type, const char *email,
    bool *created, struct gr_err *err)
{
	struct add_args a = { .name = name, .email = email, .exists_ok = true };
	int rc;

	if ((rc = check_new(name, type, email, &a.type, err)) != GR_OK)
		return rc;
	rc = st_txn_run(add_txn, &a, err);
	*created = a.created;
	return rc;
}

/* The detail view of a stored record: dates in ISO 8601 or null. */
static json_t *
render_detail(const json_t *rec)
{
	static const char *const dates[] = { "created_at", "updated_at",
		"suspended_at", "deleted_at" };
	json_t *out = json_deep_copy(rec);
	char buf[DATE_ISO_LEN];
	size_t i;

	for (i = 0; i < ARRAY_LEN(dates); i++) {
		json_t *v = json_object_get(out, dates[i]);

		if (json_is_integer(v))
			json_object_set_new(out, dates[i],
			    json_string(date_iso(json_integer_value(v), buf)));
		else
			json_object_set_new(out, dates[i], json_null());
	}
	if (json_object_get(out, "email") == NULL)
		json_object_set_new(out, "email", json_null());
	return out;
}

struct get_args {
	const char *name;
	json_t *out;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	DBT key = account_key(a->name);
	json_t *rec = NULL;
	int ret;

	ret = st_get_json(t, TBL_ACCOUNTS, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->name);
	if (ret != 0)
		return st_fail(err, ret);
	json_decref(a->out);
	a->out = render_detail(rec);
	json_decref(rec);
	return GR_OK;
}

int
account_get(const char *name, json_t **out, struct gr_err *err)
{
	struct get_args a = { .name = name, .out = NULL };
	int rc;

	*out = NULL;
	if (!valid_account(name))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", name);
	rc = st_view(get_txn, &a, ST_ONEREAD, err);
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

struct update_args {
	const char *issuer, *name;
	const json_t *changes;
};

/* Check one change and apply it to rec. */
static int
apply_change(json_t *rec, const char *key, const json_t *value, int64_t now,
    struct gr_err *err)
{
	const char *s = json_string_value(value);

	if (strcmp(key, "status") == 0) {
		if (s == NULL ||
		    (strcasecmp(s, "ACTIVE") != 0 &&
			strcasecmp(s, "SUSPENDED") != 0))
			return gr_fail(err, GR_VALUE_ERROR,
			    "Unknown value for status: use ACTIVE or "
			    "SUSPENDED");
		if (strcasecmp(s, "SUSPENDED") == 0) {
			json_object_set_new(rec, "status",
			    json_string("SUSPENDED"));
			json_object_set_new(rec, "suspended_at",
			    json_integer(now));
		} else {
			json_object_set_new(rec, "status",
			    json_string("ACTIVE"));
			json_object_set_new(rec, "suspended_at", json_null());
		}
	} else if (strcmp(key, "email") == 0) {
		if (!valid_email(s))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating email: not an address");
		json_object_set_new(rec, "email", json_string(s));
	} else if (strcmp(key, "account_type") == 0) {
		const char *type = canon_type(s);

		if (type == NULL)
			return gr_fail(err, GR_INVALID_ACCOUNT_TYPE,
			    "Account type is not one of USER, GROUP, SERVICE");
		json_object_set_new(rec, "account_type", json_string(type));
	} else {
		return gr_fail(err, GR_VALUE_ERROR,
		    "Unknown value: '%s' cannot be changed (status, email, "
		    "account_type can)",
		    key);
	}
	return GR_OK;
}

static int
update_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct update_args *a = arg;
	DBT key = account_key(a->name);
	json_t *rec = NULL, *value;
	const char *k, *status;
	int64_t now = time_now();
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "update account", err)) !=
	    GR_OK)
		return rc;
	ret = st_get_json(t, TBL_ACCOUNTS, &key, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->name);
	if (ret != 0)
		return st_fail(err, ret);
	status = json_string_value(json_object_get(rec, "status"));
	if (status != NULL && strcmp(status, "DELETED") == 0) {
		rc = gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->name);
		goto out;
	}
	json_object_foreach(jsonx_unconst(a->changes), k, value) {
		if ((rc = apply_change(rec, k, value, now, err)) != GR_OK)
			goto out;
	}
	json_object_set_new(rec, "updated_at", json_integer(now));
	if ((ret = st_put_json(t, TBL_ACCOUNTS, &key, rec, 0)) != 0) {
		rc = st_fail(err, ret);
		goto out;
	}
	/* any status but ACTIVE ends every session of the account at once,
	   on every backend, as deletion does; a re-activation gives none
	   back (a login's check of the status and its token are one
	   transaction, so no token is issued past this) */
	status = json_string_value(json_object_get(rec, "status"));
	if (status == NULL || strcmp(status, "ACTIVE") != 0)
		rc = token_revoke_account(t, a->name, err);
out:
	json_decref(rec);
	return rc;
}

int
account_update(const char *issuer, const char *name, const json_t *changes,
    struct gr_err *err)
{
	struct update_args a = { issuer, name, changes };

	if (!json_is_object(changes))
		return gr_fail(err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	if (!valid_account(name))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", name);
	return st_txn_run(update_txn, &a, err);
}

struct delete_args {
	const char *issuer, *name;
};

static int
delete_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const struct delete_args *a = arg;
	DBT key = account_key(a->name);
	json_t *rec = NULL;
	const char *status;
	int64_t now = time_now();
	int ret, rc = GR_OK;

	if (strcmp(a->issuer, ACCOUNT_ROOT) != 0)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not delete account", a->issuer);
	if (strcmp(a->name, ACCOUNT_ROOT) == 0)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not delete account root", a->issuer);
	ret = st_get_json(t, TBL_ACCOUNTS, &key, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->name);
	if (ret != 0)
		return st_fail(err, ret);
	status = json_string_value(json_object_get(rec, "status"));
	if (status == NULL || strcmp(status, "DELETED") == 0) {
		rc = gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->name);
		goto out;
	}
	json_object_set_new(rec, "status", json_string("DELETED"));
	json_object_set_new(rec, "deleted_at", json_integer(now));
	json_object_set_new(rec, "updated_at", json_integer(now));
	if ((ret = st_put_json(t, TBL_ACCOUNTS, &key, rec, 0)) != 0) {
		rc = st_fail(err, ret);
		goto out;
	}
	rc = token_revoke_account(t, a->name, err);
out:
	json_decref(rec);
	return rc;
}

int
account_delete(const char *issuer, const char *name, struct gr_err *err)
{
	struct delete_args a = { issuer, name };

	if (!valid_account(name))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", name);
	return st_txn_run(delete_txn, &a, err);
}

/*
 * Listing. The scan runs in a snapshot; each match is rendered and handed
 * to emit at once, so memory stays flat however many accounts there are.
 */
struct list_args {
	const struct account_filter *f;
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	const char *type; /* canonical */
};

/* Attribute equalities of the filter: all must hold. */
static int
attrs_match(struct list_args *a, const char *account, bool *match)
{
	char kbuf[KEY_MAX];
	json_t *rec = NULL;
	size_t i;
	DBT key;
	int ret;

	*match = true;
	for (i = 0; i < a->f->nattrs && *match; i++) {
		const json_t *v;
		const char *want = a->f->attr_values[i];

		key = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), account, a->f->attr_keys[i],
			(char *)NULL));
		ret = st_get_json(a->t, TBL_ACCOUNT_ATTRS, &key, &rec, 0);
		if (ret == DB_NOTFOUND) {
			*match = false;
			continue;
		}
		if (ret != 0)
			return st_fail(a->err, ret);
		v = json_object_get(rec, "value");
		if (json_is_boolean(v))
			*match = strcasecmp(want,
				     json_is_true(v) ? "true" : "false") == 0;
		else
			*match = json_is_string(v) &&
			    strcmp(want, json_string_value(v)) == 0;
		json_decref(rec);
		rec = NULL;
	}
	return GR_OK;
}

/* Emit rec (borrowed) if it passes the filter. */
static int
list_rec(struct list_args *a, const json_t *rec)
{
	json_t *item, *email;
	const char *name, *status, *type;
	bool match = true;
	int rc;

	name = json_string_value(json_object_get(rec, "account"));
	status = json_string_value(json_object_get(rec, "status"));
	type = json_string_value(json_object_get(rec, "account_type"));
	if (name == NULL || status == NULL || strcmp(status, "ACTIVE") != 0 ||
	    (a->f->account != NULL && !glob_match(a->f->account, name)) ||
	    (a->type != NULL && (type == NULL || strcmp(type, a->type) != 0)))
		return GR_OK;
	if ((rc = attrs_match(a, name, &match)) != GR_OK || !match)
		return rc;
	email = json_object_get(rec, "email");
	item = json_pack("{s:s, s:s?, s:O}", "account", name, "type", type,
	    "email", email != NULL ? email : json_null());
	rc = a->emit(item, a->ctx);
	json_decref(item);
	return rc;
}

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t *rec;
	int rc;

	(void)key;
	(void)pkey;
	rec = json_loadb(val->data, val->size, 0, NULL);
	rc = list_rec(arg, rec);
	json_decref(rec);
	return rc;
}

/* Accounts mapped to an identity of any type, in name order. */
struct id_accounts {
	char **names;
	size_t n, cap;
};

static int
collect_account(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct id_accounts *ids = arg;
	const char *p;
	size_t len;

	(void)pkey;
	(void)val;
	p = key_part(key->data, key->size, 2, &len);
	if (p == NULL)
		return GR_OK;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap != 0 ? 2 * ids->cap : 8;
		ids->names = xrealloc(ids->names, ids->cap * sizeof(char *));
	}
	ids->names[ids->n++] = xstrndup(p, len);
	return GR_OK;
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
list_by_identity(struct list_args *a)
{
	struct id_accounts ids = { 0 };
	char kbuf[KEY_MAX];
	size_t i, klen;
	int rc = GR_OK;

	for (i = 0; identity_types[i] != NULL && rc == GR_OK; i++) {
		klen = key_join(kbuf, sizeof(kbuf), identity_types[i],
		    a->f->identity, "", (char *)NULL);
		if (klen == 0)
			continue;
		rc = st_scan(a->t, TBL_IDMAP, kbuf, klen, NULL, collect_account,
		    &ids, a->err);
	}
	if (ids.n > 0)
		qsort(ids.names, ids.n, sizeof(char *), cmp_names);
	for (i = 0; i < ids.n && rc == GR_OK; i++) {
		json_t *rec = NULL;
		DBT key = account_key(ids.names[i]);
		int ret;

		/* the same account may be mapped under two types */
		if (i > 0 && strcmp(ids.names[i], ids.names[i - 1]) == 0)
			continue;
		ret = st_get_json(a->t, TBL_ACCOUNTS, &key, &rec, 0);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0) {
			rc = st_fail(a->err, ret);
			break;
		}
		rc = list_rec(a, rec);
		json_decref(rec);
	}
	for (i = 0; i < ids.n; i++)
		free(ids.names[i]);
	free(ids.names);
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;

	a->t = t;
	a->err = err;
	if (a->f->identity != NULL)
		return list_by_identity(a);
	if (a->type != NULL)
		return st_scan(t, TBL_ACCOUNTS_BY_TYPE, a->type,
		    strlen(a->type), NULL, list_one, a, err);
	return st_scan(t, TBL_ACCOUNTS, NULL, 0, NULL, list_one, a, err);
}

int
account_list(const struct account_filter *f, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct list_args a = { .f = f, .emit = emit, .ctx = ctx };

	if (f->type != NULL && (a.type = canon_type(f->type)) == NULL)
		return gr_fail(err, GR_INVALID_ACCOUNT_TYPE,
		    "Account type '%s' is not one of USER, GROUP, SERVICE",
		    f->type);
	return st_view(list_txn, &a, ST_ONCE, err);
}

/*
 * Attributes: TBL_ACCOUNT_ATTRS, account \0 key -> {"value": v}. The "admin"
 * attribute (any value) makes an account an admin.
 */
struct attr_args {
	const char *issuer, *account, *key;
	json_t *value; /* add: the canonical value */
	json_t *out;   /* list */
};

static int
attr_collect(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct attr_args *a = arg;
	const char *k;
	size_t len;
	json_t *rec;

	(void)pkey;
	k = key_part(key->data, key->size, 1, &len);
	if (k == NULL)
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	json_array_append_new(a->out,
	    json_pack("{s:s%, s:O}", "key", k, len, "value",
		json_object_get(rec, "value") != NULL
		    ? json_object_get(rec, "value")
		    : json_null()));
	json_decref(rec);
	return GR_OK;
}

static int
attr_list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct attr_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	int rc;

	json_array_clear(a->out);
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	klen = key_join(kbuf, sizeof(kbuf), a->account, "", (char *)NULL);
	return st_scan(t, TBL_ACCOUNT_ATTRS, kbuf, klen, NULL, attr_collect, a,
	    err);
}

int
account_attr_list(const char *account, json_t **out, struct gr_err *err)
{
	struct attr_args a = { .account = account };
	int rc;

	*out = NULL;
	if (!valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	a.out = json_array();
	rc = st_view(attr_list_txn, &a, 0, err);
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

static int
attr_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct attr_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *rec;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add account attribute",
		 err)) != GR_OK)
		return rc;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->account, a->key, (char *)NULL));
	rec = json_pack("{s:O}", "value", a->value);
	ret = st_put_json(t, TBL_ACCOUNT_ATTRS, &key, rec, DB_NOOVERWRITE);
	json_decref(rec);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "Attribute '%s' of account '%s' already exists!", a->key,
		    a->account);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* Rucio's BooleanString: the canonical stored form of an input value. */
static json_t *
attr_value(const json_t *v)
{
	const char *s = json_string_value(v);
	char num[32];

	if (json_is_boolean(v))
		return json_incref(jsonx_unconst(v));
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0))
		return json_true();
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "False") == 0))
		return json_false();
	if (s != NULL)
		return valid_attr(s, ACCOUNT_ATTR_MAX) ? json_string(s) : NULL;
	if (json_is_integer(v)) {
		(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return json_string(num);
	}
	return NULL;
}

int
account_attr_add(const char *issuer, const char *account, const char *key,
    const json_t *value, struct gr_err *err)
{
	struct attr_args a = { .issuer = issuer,
		.account = account,
		.key = key };
	int rc;

	if (!valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", account);
	if (!valid_attr(key, ACCOUNT_ATTR_MAX))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating key: '%s' does not match "
		    "^[a-zA-Z0-9_./-]{1,30}$",
		    key);
	if ((a.value = attr_value(value)) == NULL)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: a boolean, an integer or a "
		    "string matching ^[a-zA-Z0-9_./-]{1,30}$");
	rc = st_txn_run(attr_add_txn, &a, err);
	json_decref(a.value);
	return rc;
}

static int
attr_del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct attr_args *a = arg;
	char kbuf[KEY_MAX];
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer,
		 "delete account attribute", err)) != GR_OK)
		return rc;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->account, a->key, (char *)NULL));
	ret = st_del(t, TBL_ACCOUNT_ATTRS, &key);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Attribute '%s' of account '%s' cannot be found", a->key,
		    a->account);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
account_attr_del(const char *issuer, const char *account, const char *key,
    struct gr_err *err)
{
	struct attr_args a = { .issuer = issuer,
		.account = account,
		.key = key };

	if (!valid_account(account) || !valid_attr(key, ACCOUNT_ATTR_MAX))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Attribute '%s' of account '%s' cannot be found", key,
		    account);
	return st_txn_run(attr_del_txn, &a, err);
}
