/*
 * limit.c -- account limits. TBL_ACCOUNT_LIMITS is keyed by account and
 * RSE id, so a renamed RSE keeps its limits; TBL_ACCOUNT_GLIMITS by account
 * and expression text, resolved afresh whenever it is read.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "jsonx.h"
#include "limit.h"
#include "rse.h"
#include "rse_expr.h"
#include "tables.h"
#include "usage.h"
#include "util.h"
#include "valid.h"

struct limit_args {
	const char *issuer, *account, *rse, *expr;
	json_int_t bytes;
	bool global; /* a limit on an expression, not an RSE */
	bool del;
	json_t *out;
	struct st_txn *t;
	struct gr_err *err;
};

/* A stored limit as Rucio renders it: -1 (no limit) is Infinity. */
static json_t *
shown(const json_t *rec)
{
	json_t *bytes = json_object_get(rec, "bytes");

	return json_integer_value(bytes) == LIMIT_UNLIMITED ? jsonx_infinity()
							    : bytes;
}

static int
check_bytes(const json_t *bytes, json_int_t *out, struct gr_err *err)
{
	if (!json_is_integer(bytes) ||
	    json_integer_value(bytes) < LIMIT_UNLIMITED)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating bytes: an integer >= 0, or -1 for no "
		    "limit");
	*out = json_integer_value(bytes);
	return GR_OK;
}

/*
 * A limit is an account's on one RSE (a->rse, TBL_ACCOUNT_LIMITS, keyed by
 * the RSE's id) or on an expression (a->global, a->expr,
 * TBL_ACCOUNT_GLIMITS, keyed by its text); the functions below serve both.
 */
static enum tbl_id
table_of(const struct limit_args *a)
{
	return a->global ? TBL_ACCOUNT_GLIMITS : TBL_ACCOUNT_LIMITS;
}

/* The key of a's limit in kbuf; RSENotFound for an RSE that is not. */
static int
key_of(struct st_txn *t, const struct limit_args *a, char *kbuf, DBT *key,
    struct gr_err *err)
{
	char id[33];
	int rc;

	if (a->global) {
		*key = st_dbt(kbuf,
		    key_join(kbuf, KEY_MAX, a->account, a->expr, (char *)NULL));
		return GR_OK;
	}
	if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	*key = st_dbt(kbuf,
	    key_join(kbuf, KEY_MAX, a->account, id, (char *)NULL));
	return GR_OK;
}

static int
set_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct limit_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *rec, *rses = NULL;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "set account limits",
		 err)) != GR_OK ||
	    (rc = account_check_active(t, a->account, err)) != GR_OK ||
	    (rc = key_of(t, a, kbuf, &key, err)) != GR_OK)
		return rc;
	if (a->del) {
		ret = st_del(t, table_of(a), &key);
		return ret == 0 || ret == DB_NOTFOUND ? GR_OK
						      : st_fail(err, ret);
	}
	if (a->global) { /* only an expression that parses */
		if ((rc = rse_expr_eval(t, a->expr, &rses, err)) != GR_OK)
			return rc;
		json_decref(rses);
	}
	rec = json_pack("{s:I}", "bytes", a->bytes);
	ret = st_put_json(t, table_of(a), &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* The names of a's limit, before any transaction. */
static int
names_ok(const struct limit_args *a, struct gr_err *err)
{
	if (!valid_account(a->account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", a->account);
	if (a->rse != NULL && !rse_valid_name(a->rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", a->rse);
	return a->expr != NULL ? rse_expr_check_len(a->expr, err) : GR_OK;
}

/* Set a's limit to bytes, or delete it (bytes NULL). */
static int
change(const char *issuer, const char *account, const char *rse,
    const char *expr, const json_t *bytes, struct gr_err *err)
{
	struct limit_args a = { .issuer = issuer,
		.account = account,
		.rse = rse,
		.expr = expr,
		.global = expr != NULL,
		.del = bytes == NULL };
	int rc;

	if ((rc = names_ok(&a, err)) != GR_OK ||
	    (bytes != NULL &&
		(rc = check_bytes(bytes, &a.bytes, err)) != GR_OK))
		return rc;
	return st_txn_run(set_txn, &a, err);
}

int
limit_local_set(const char *issuer, const char *account, const char *rse,
    const json_t *bytes, struct gr_err *err)
{
	return change(issuer, account, rse, NULL, bytes, err);
}

int
limit_local_del(const char *issuer, const char *account, const char *rse,
    struct gr_err *err)
{
	return change(issuer, account, rse, NULL, NULL, err);
}

int
limit_global_set(const char *issuer, const char *account, const char *expr,
    const json_t *bytes, struct gr_err *err)
{
	return change(issuer, account, NULL, expr, bytes, err);
}

int
limit_global_del(const char *issuer, const char *account, const char *expr,
    struct gr_err *err)
{
	return change(issuer, account, NULL, expr, NULL, err);
}

static int
local_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct limit_args *a = arg;
	const char *id;
	size_t len;
	char idbuf[33], *name;
	json_t *rec;

	(void)pkey;
	id = key_part(key->data, key->size, 1, &len);
	if (id == NULL || len >= sizeof(idbuf))
		return GR_OK;
	memcpy(idbuf, id, len);
	idbuf[len] = '\0';
	if ((name = rse_live_name(a->t, idbuf)) == NULL)
		return GR_OK; /* a deleted RSE's limits are not shown */
	rec = json_loadb(val->data, val->size, 0, NULL);
	json_object_set(a->out, name, shown(rec));
	json_decref(rec);
	free(name);
	return GR_OK;
}

static int
global_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct limit_args *a = arg;
	const char *e;
	size_t len, i;
	json_t *rec, *rses = NULL, *ids, *n;
	struct gr_err ignored = { 0 };
	char *expr;

	(void)pkey;
	if ((e = key_part(key->data, key->size, 1, &len)) == NULL)
		return GR_OK;
	expr = xstrndup(e, len);
	rec = json_loadb(val->data, val->size, 0, NULL);
	/* resolved now: an expression that selects nothing any more still
	   shows its limit, with no RSEs */
	if (rse_expr_eval(a->t, expr, &rses, &ignored) != GR_OK)
		rses = json_array();
	ids = json_array();
	json_array_foreach(rses, i, n) {
		DBT k = st_dbt(json_string_value(n), json_string_length(n));
		json_t *r = NULL;

		if (st_get_json(a->t, TBL_RSES, &k, &r, 0) == 0)
			json_array_append(ids, json_object_get(r, "id"));
		json_decref(r);
	}
	json_object_set_new(a->out, expr,
	    json_pack("{s:o, s:o, s:O}", "resolved_rses", rses,
		"resolved_rse_ids", ids, "limit", shown(rec)));
	json_decref(rec);
	free(expr);
	return GR_OK;
}

/* a->out: the account's limits ({name: limit}), or the one a names (null
   when it has none). */
static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct limit_args *a = arg;
	const char *name = a->expr != NULL ? a->expr : a->rse;
	char kbuf[KEY_MAX];
	json_t *rec = NULL;
	size_t klen;
	DBT key;
	int ret, rc;

	json_object_clear(a->out);
	a->t = t;
	if ((rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	if (name == NULL) {
		klen = key_join(kbuf, sizeof(kbuf), a->account, "",
		    (char *)NULL);
		return st_scan(t, table_of(a), kbuf, klen, NULL,
		    a->global ? global_one : local_one, a, err);
	}
	if ((rc = key_of(t, a, kbuf, &key, err)) != GR_OK)
		return rc;
	ret = st_get_json(t, table_of(a), &key, &rec, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	json_object_set(a->out, name, ret == 0 ? shown(rec) : json_null());
	json_decref(rec);
	return GR_OK;
}

static int
get(struct limit_args *a, json_t **out, struct gr_err *err)
{
	int rc;

	*out = NULL;
	if ((rc = names_ok(a, err)) != GR_OK)
		return rc;
	a->out = json_object();
	if ((rc = st_view(get_txn, a, 0, err)) != GR_OK) {
		json_decref(a->out);
		return rc;
	}
	*out = a->out;
	return GR_OK;
}

int
limit_local_get(const char *account, const char *rse, json_t **out,
    struct gr_err *err)
{
	struct limit_args a = { .account = account, .rse = rse };

	return get(&a, out, err);
}

int
limit_global_get(const char *account, const char *expr, json_t **out,
    struct gr_err *err)
{
	struct limit_args a = { .account = account,
		.expr = expr,
		.global = true };

	return get(&a, out, err);
}

/* The rules' hooks. */

struct quota_args {
	struct st_txn *t;
	struct gr_err *err;
	const char *account, *rse_id;
	json_int_t left; /* least left over the global limits; -1: none */
};

/* One global limit: if its expression selects the RSE, what is left. */
static int
quota_global(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct quota_args *q = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	json_int_t lim = json_integer_value(json_object_get(rec, "bytes"));
	json_int_t used, files;
	bool selects;
	const char *e;
	size_t len;
	char *expr;
	int rc;

	(void)pkey;
	json_decref(rec);
	if ((e = key_part(key->data, key->size, 1, &len)) == NULL)
		return GR_OK;
	expr = xstrndup(e, len);
	rc = account_usage_expr(q->t, q->account, expr, q->rse_id, &used,
	    &files, &selects, q->err);
	free(expr);
	if (rc == GR_OK && selects && lim != LIMIT_UNLIMITED &&
	    (q->left == LIMIT_UNLIMITED || lim - used < q->left))
		q->left = lim - used;
	return rc;
}

int
limit_quota_left(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t *local_left, json_int_t *global_left, struct gr_err *err)
{
	struct quota_args q = { .t = t,
		.err = err,
		.account = account,
		.rse_id = rse_id,
		.left = LIMIT_UNLIMITED };
	char kbuf[KEY_MAX];
	json_t *rec = NULL;
	json_int_t b, f;
	bool admin;
	size_t klen;
	DBT key;
	int ret, rc;

	*local_left = *global_left = LIMIT_UNLIMITED;
	if ((rc = account_is_admin(t, account, &admin, err)) != GR_OK || admin)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), account, rse_id, (char *)NULL));
	ret = st_get_json(t, TBL_ACCOUNT_LIMITS, &key, &rec, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if (ret == DB_NOTFOUND) {
		*local_left = 0;
	} else if (json_integer_value(json_object_get(rec, "bytes")) !=
	    LIMIT_UNLIMITED) {
		if ((rc = account_usage_used(t, account, rse_id, &b, &f,
			 err)) != GR_OK) {
			json_decref(rec);
			return rc;
		}
		*local_left = json_integer_value(
				  json_object_get(rec, "bytes")) -
		    b;
	}
	json_decref(rec);
	klen = key_join(kbuf, sizeof(kbuf), account, "", (char *)NULL);
	rc = st_scan(t, TBL_ACCOUNT_GLIMITS, kbuf, klen, NULL, quota_global, &q,
	    err);
	*global_left = q.left;
	return rc;
}

int
limit_check(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t bytes, struct gr_err *err)
{
	json_int_t local, global;
	int rc;

	if ((rc = limit_quota_left(t, account, rse_id, &local, &global, err)) !=
	    GR_OK)
		return rc;
	if (local != LIMIT_UNLIMITED && local <= bytes)
		return gr_fail(err, GR_INSUFFICIENT_ACCOUNT_LIMIT,
		    "There is insufficient quota for account %s on RSE %s: "
		    "%lld bytes asked, %lld left under its local limit",
		    account, rse_id, (long long)bytes, (long long)local);
	if (global != LIMIT_UNLIMITED && (global <= 0 || global < bytes))
		return gr_fail(err, GR_INSUFFICIENT_ACCOUNT_LIMIT,
		    "There is insufficient quota for account %s on RSE %s: "
		    "%lld bytes asked, %lld left under a global limit",
		    account, rse_id, (long long)bytes, (long long)global);
	return GR_OK;
}
