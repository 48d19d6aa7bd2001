/*
 * account_usage.c -- what each account uses on each RSE (core), next to its
 * limits. TBL_ACCOUNT_USAGE: account \0 RSE id -> {"bytes","files",
 * "updated_at"} (absent: nothing used), indexed by RSE; TBL_ACCOUNT_USAGE_HIST:
 * account \0 RSE id \0 <hour> -> the same, one point per hour (its last
 * figures), oldest first. The replication rules' locks keep the counters
 * with account_usage_add() in their own transactions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "jsonx.h"
#include "limit.h"
#include "rse.h"
#include "rse_expr.h"
#include "tables.h"
#include "usage.h"
#include "util.h"
#include "valid.h"

#define HOUR 3600

static json_int_t
int_of(const json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

int
account_usage_add(struct st_txn *t, const char *account, const char *rse_id,
    json_int_t files, json_int_t bytes, struct gr_err *err)
{
	char kbuf[KEY_MAX], stamp[24];
	size_t klen = key_join(kbuf, sizeof(kbuf), account, rse_id,
	    (char *)NULL);
	DBT k = st_dbt(kbuf, klen);
	json_t *rec = NULL;
	json_int_t nb, nf;
	int64_t now = time_now();
	int ret, rc = GR_OK;

	if (klen == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating account usage: names too long");
	ret = st_get_json(t, TBL_ACCOUNT_USAGE, &k, &rec, DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	nb = int_of(rec, "bytes") + bytes;
	nf = int_of(rec, "files") + files;
	json_decref(rec);
	if (nb < 0 || nf < 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "The usage of account %s on RSE %s would fall below zero "
		    "(%lld files, %lld bytes)",
		    account, rse_id, (long long)nf, (long long)nb);
	rec = json_pack("{s:I, s:I, s:I}", "bytes", nb, "files", nf,
	    "updated_at", (json_int_t)now);
	/* nothing used is no record, as for an account that never used it */
	ret = nb == 0 && nf == 0
	    ? st_del(t, TBL_ACCOUNT_USAGE, &k)
	    : st_put_json(t, TBL_ACCOUNT_USAGE, &k, rec, 0);
	if (ret != 0 && ret != DB_NOTFOUND) {
		rc = st_fail(err, ret);
		goto out;
	}
	(void)snprintf(stamp, sizeof(stamp), "%012lld",
	    (long long)(now - now % HOUR));
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), account, rse_id, stamp, (char *)NULL));
	ret = st_put_json(t, TBL_ACCOUNT_USAGE_HIST, &k, rec, 0);
	if (ret != 0)
		rc = st_fail(err, ret);
out:
	json_decref(rec);
	return rc;
}

struct au_args {
	const char *issuer, *account, *rse, *expr;
	json_int_t files, bytes;
	gr_emit_fn emit;
	void *ctx;
	json_t *rows; /* collected before they are emitted */
	json_t *out;
	struct st_txn *t;
	struct gr_err *err;
};

static int
adjust_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct au_args *a = arg;
	char id[RSE_ID_LEN + 1];
	int rc;

	if ((rc = account_check_active(t, a->account, err)) != GR_OK ||
	    (rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	return account_usage_add(t, a->account, id, a->files, a->bytes, err);
}

static int
names_ok(const char *account, const char *rse, struct gr_err *err)
{
	if (account == NULL || !valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account %s does not exist", account ? account : "");
	if (rse != NULL && !rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	return GR_OK;
}

int
account_usage_adjust(const char *account, const char *rse, json_int_t files,
    json_int_t bytes, struct gr_err *err)
{
	struct au_args a = { .account = account,
		.rse = rse,
		.files = files,
		.bytes = bytes };
	int rc;

	if (rse == NULL)
		return gr_fail(err, GR_RSE_NOT_FOUND, "RSE '' cannot be found");
	if ((rc = names_ok(account, rse, err)) != GR_OK)
		return rc;
	return st_txn_run(adjust_txn, &a, err);
}

static int
country_admin(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *v = json_string_value(json_object_get(rec, "value"));
	bool yes = v != NULL && strcmp(v, "admin") == 0;

	(void)key;
	(void)pkey;
	json_decref(rec);
	*(bool *)arg = yes;
	return yes ? ST_STOP : GR_OK;
}

/*
 * Inside a transaction: may issuer read account's usage? Rucio's generic
 * policy: admins, the account itself, and country admins (an attribute
 * "country-<cc>: admin").
 */
static int
may_read(struct st_txn *t, const char *issuer, const char *account,
    const char *what, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen;
	bool admin;
	int rc;

	if (strcmp(issuer, account) == 0)
		return GR_OK;
	if ((rc = account_is_admin(t, issuer, &admin, err)) != GR_OK)
		return rc;
	if (admin)
		return GR_OK;
	klen = key_join(kbuf, sizeof(kbuf), issuer, "country-", (char *)NULL);
	rc = st_scan(t, TBL_ACCOUNT_ATTRS, kbuf, klen, NULL, country_admin,
	    &admin, err);
	if (rc != GR_OK || admin)
		return rc;
	return gr_fail(err, GR_ACCESS_DENIED, "Account %s can not list %s.",
	    issuer, what);
}

int
account_usage_used(struct st_txn *t, const char *account, const char *id,
    json_int_t *bytes, json_int_t *files, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), account, id, (char *)NULL));
	json_t *rec = NULL;
	int ret = st_get_json(t, TBL_ACCOUNT_USAGE, &k, &rec, 0);

	*bytes = *files = 0;
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	*bytes = int_of(rec, "bytes");
	*files = int_of(rec, "files");
	json_decref(rec);
	return GR_OK;
}

/*
 * Add bytes_limit and bytes_remaining to row, as Rucio computes them: no
 * limit counts as 0, an unlimited one (-1) is Infinity in both.
 */
static void
with_limit(json_t *row, const json_t *limit)
{
	json_int_t lim = json_integer_value(limit); /* none: 0 */

	if (json_is_integer(limit) && lim == LIMIT_UNLIMITED) {
		json_object_set(row, "bytes_limit", jsonx_infinity());
		json_object_set(row, "bytes_remaining", jsonx_infinity());
		return;
	}
	json_object_set_new(row, "bytes_limit", json_integer(lim));
	json_object_set_new(row, "bytes_remaining",
	    json_integer(lim - int_of(row, "bytes")));
}

/* Local usage: the rows gathered by RSE id in a->rows, {id: {...}}. */
static json_t *
row_of(struct au_args *a, const char *id, size_t len)
{
	char *key = xstrndup(id, len);
	json_t *row = json_object_get(a->rows, key);

	if (row == NULL) {
		row = json_pack("{s:I, s:I}", "bytes", (json_int_t)0, "files",
		    (json_int_t)0);
		json_object_set_new(a->rows, key, row);
	}
	free(key);
	return row;
}

static int
gather_limit(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct au_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *id;
	size_t len;

	(void)pkey;
	if (rec != NULL &&
	    (id = key_part(key->data, key->size, 1, &len)) != NULL)
		json_object_set(row_of(a, id, len), "limit",
		    json_object_get(rec, "bytes"));
	json_decref(rec);
	return GR_OK;
}

static int
gather_usage(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct au_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL), *row;
	const char *id;
	size_t len;

	(void)pkey;
	if (rec != NULL &&
	    (id = key_part(key->data, key->size, 1, &len)) != NULL) {
		row = row_of(a, id, len);
		json_object_set(row, "bytes", json_object_get(rec, "bytes"));
		json_object_set(row, "files", json_object_get(rec, "files"));
	}
	json_decref(rec);
	return GR_OK;
}

static int
cmp_member(const void *x, const void *y, const char *key)
{
	return strcmp(json_string_value(
			  json_object_get(*(json_t *const *)x, key)),
	    json_string_value(json_object_get(*(json_t *const *)y, key)));
}

static int
cmp_rse(const void *x, const void *y)
{
	return cmp_member(x, y, "rse");
}

static int
cmp_account(const void *x, const void *y)
{
	return cmp_member(x, y, "account");
}

/* Sort the n rows of list (owned), emit them, free them and list. */
static int
emit_sorted(struct au_args *a, json_t **list, size_t n,
    int (*cmp)(const void *, const void *))
{
	size_t i;
	int rc = GR_OK;

	qsort(list, n, sizeof(*list), cmp);
	for (i = 0; i < n; i++) {
		if (rc == GR_OK)
			rc = a->emit(list[i], a->ctx);
		json_decref(list[i]);
	}
	free(list);
	return rc;
}

/* Emit the gathered rows of live RSEs that have a limit or some usage,
   by RSE name. */
static int
emit_local(struct au_args *a)
{
	const char *id;
	json_t *row, **list;
	size_t n = 0;

	list = xcalloc(json_object_size(a->rows) + 1, sizeof(*list));
	json_object_foreach(a->rows, id, row) {
		char *name;
		json_t *out;

		if (int_of(row, "bytes") == 0 && int_of(row, "files") == 0 &&
		    json_object_get(row, "limit") == NULL)
			continue;
		if ((name = rse_live_name(a->t, id)) == NULL)
			continue; /* a deleted RSE's */
		out = json_pack("{s:s, s:s, s:O, s:O}", "rse_id", id, "rse",
		    name, "bytes", json_object_get(row, "bytes"), "files",
		    json_object_get(row, "files"));
		with_limit(out, json_object_get(row, "limit"));
		list[n++] = out;
		free(name);
	}
	return emit_sorted(a, list, n, cmp_rse);
}

static int
local_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct au_args *a = arg;
	char kbuf[KEY_MAX], id[RSE_ID_LEN + 1];
	size_t klen;
	int rc;

	a->t = t;
	json_object_clear(a->rows);
	if ((rc = may_read(t, a->issuer, a->account, "account usage", err)) !=
		GR_OK ||
	    (rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	if (a->rse != NULL) {
		if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
			return rc;
		/* the exact keys: one limit, one counter */
		klen = key_join(kbuf, sizeof(kbuf), a->account, id,
		    (char *)NULL);
		rc = st_scan_key(t, TBL_ACCOUNT_LIMITS, kbuf, klen,
		    gather_limit, a, err);
		if (rc == GR_OK)
			rc = st_scan_key(t, TBL_ACCOUNT_USAGE, kbuf, klen,
			    gather_usage, a, err);
	} else {
		klen = key_join(kbuf, sizeof(kbuf), a->account, "",
		    (char *)NULL);
		rc = st_scan(t, TBL_ACCOUNT_LIMITS, kbuf, klen, NULL,
		    gather_limit, a, err);
		if (rc == GR_OK)
			rc = st_scan(t, TBL_ACCOUNT_USAGE, kbuf, klen, NULL,
			    gather_usage, a, err);
	}
	return rc != GR_OK ? rc : emit_local(a);
}

int
account_usage_local(const char *issuer, const char *account, const char *rse,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct au_args a = { .issuer = issuer,
		.account = account,
		.rse = rse,
		.emit = emit,
		.ctx = ctx };
	int rc;

	if ((rc = names_ok(account, rse, err)) != GR_OK)
		return rc;
	a.rows = json_object();
	rc = st_view(local_txn, &a, ST_ONCE, err);
	json_decref(a.rows);
	return rc;
}

int
account_usage_expr(struct st_txn *t, const char *account, const char *expr,
    const char *rse_id, json_int_t *bytes, json_int_t *files, bool *selects,
    struct gr_err *err)
{
	struct gr_err ignored = { 0 };
	json_t *rses = NULL, *n;
	json_int_t b, f;
	size_t i;
	int rc = GR_OK;

	*bytes = *files = 0;
	*selects = false;
	/* an expression that selects nothing any more sums to zeros */
	if (rse_expr_eval(t, expr, &rses, &ignored) != GR_OK)
		rses = json_array();
	json_array_foreach(rses, i, n) {
		char id[RSE_ID_LEN + 1];

		if ((rc = rse_live_id(t, json_string_value(n), id, err)) !=
			GR_OK ||
		    (rc = account_usage_used(t, account, id, &b, &f, err)) !=
			GR_OK)
			break;
		*selects = *selects ||
		    (rse_id != NULL && strcmp(id, rse_id) == 0);
		*bytes += b;
		*files += f;
	}
	json_decref(rses);
	return rc;
}

/* A global usage row {"rse_expression","bytes","files"}. */
static int
global_row(struct au_args *a, const char *expr, json_t **row)
{
	json_int_t bytes, files;
	bool selects;
	int rc;

	*row = NULL;
	rc = account_usage_expr(a->t, a->account, expr, NULL, &bytes, &files,
	    &selects, a->err);
	if (rc == GR_OK)
		*row = json_pack("{s:s, s:I, s:I}", "rse_expression", expr,
		    "bytes", bytes, "files", files);
	return rc;
}

static int
global_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct au_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL), *row;
	const char *e;
	size_t len;
	char *expr;
	int rc;

	(void)pkey;
	if (rec == NULL ||
	    (e = key_part(key->data, key->size, 1, &len)) == NULL) {
		json_decref(rec);
		return GR_OK;
	}
	expr = xstrndup(e, len);
	if ((rc = global_row(a, expr, &row)) == GR_OK) {
		with_limit(row, json_object_get(rec, "bytes"));
		json_array_append_new(a->rows, row);
	}
	free(expr);
	json_decref(rec);
	return rc;
}

static int
global_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct au_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *rec = NULL, *rses = NULL, *row, *r;
	size_t klen, i;
	DBT k;
	int ret, rc;

	a->t = t;
	a->err = err;
	json_array_clear(a->rows);
	if ((rc = may_read(t, a->issuer, a->account, "global account usage",
		 err)) != GR_OK ||
	    (rc = account_check_active(t, a->account, err)) != GR_OK)
		return rc;
	if (a->expr == NULL) {
		klen = key_join(kbuf, sizeof(kbuf), a->account, "",
		    (char *)NULL);
		rc = st_scan(t, TBL_ACCOUNT_GLIMITS, kbuf, klen, NULL,
		    global_one, a, err);
	} else {
		/* one expression: it must parse; its figures with or
		   without a limit */
		if ((rc = rse_expr_eval(t, a->expr, &rses, err)) != GR_OK)
			return rc;
		json_decref(rses);
		k = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), a->account, a->expr,
			(char *)NULL));
		ret = st_get_json(t, TBL_ACCOUNT_GLIMITS, &k, &rec, 0);
		if (ret != 0 && ret != DB_NOTFOUND)
			return st_fail(err, ret);
		if ((rc = global_row(a, a->expr, &row)) == GR_OK) {
			with_limit(row, json_object_get(rec, "bytes"));
			json_array_append_new(a->rows, row);
		}
		json_decref(rec);
	}
	json_array_foreach(a->rows, i, r) {
		if (rc == GR_OK)
			rc = a->emit(r, a->ctx);
	}
	return rc;
}

int
account_usage_global(const char *issuer, const char *account, const char *expr,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct au_args a = { .issuer = issuer,
		.account = account,
		.expr = expr,
		.emit = emit,
		.ctx = ctx };
	int rc;

	if ((rc = names_ok(account, NULL, err)) != GR_OK)
		return rc;
	if (expr != NULL && (rc = rse_expr_check_len(expr, err)) != GR_OK)
		return rc;
	a.rows = json_array();
	rc = st_view(global_txn, &a, ST_ONCE, err);
	json_decref(a.rows);
	return rc;
}

static int
history_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct au_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	char date[DATE_ISO_LEN];

	(void)key;
	(void)pkey;
	if (rec != NULL)
		json_array_append_new(a->out,
		    json_pack("{s:I, s:I, s:s}", "bytes", int_of(rec, "bytes"),
			"files", int_of(rec, "files"), "updated_at",
			date_iso(int_of(rec, "updated_at"), date)));
	json_decref(rec);
	return GR_OK;
}

static int
history_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct au_args *a = arg;
	char kbuf[KEY_MAX], id[RSE_ID_LEN + 1];
	size_t klen;
	int rc;

	json_array_clear(a->out);
	if ((rc = may_read(t, a->issuer, a->account, "account usage", err)) !=
		GR_OK ||
	    (rc = account_check_active(t, a->account, err)) != GR_OK ||
	    (rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	klen = key_join(kbuf, sizeof(kbuf), a->account, id, "", (char *)NULL);
	return st_scan(t, TBL_ACCOUNT_USAGE_HIST, kbuf, klen, NULL, history_one,
	    a, err);
}

int
account_usage_history(const char *issuer, const char *account, const char *rse,
    json_t **out, struct gr_err *err)
{
	struct au_args a = { .issuer = issuer, .account = account, .rse = rse };
	int rc;

	*out = NULL;
	if ((rc = names_ok(account, rse, err)) != GR_OK)
		return rc;
	if (rse == NULL)
		return gr_fail(err, GR_RSE_NOT_FOUND, "RSE '' cannot be found");
	a.out = json_array();
	if ((rc = st_view(history_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

/* Per RSE: the accounts with a limit or usage there, {account: {...}}. */
static json_t *
account_row(struct au_args *a, const DBT *pkey)
{
	const char *acc;
	size_t len;
	char *name;
	json_t *row;

	if ((acc = key_part(pkey->data, pkey->size, 0, &len)) == NULL)
		return NULL;
	name = xstrndup(acc, len);
	if ((row = json_object_get(a->rows, name)) == NULL) {
		row = json_pack("{s:I, s:I, s:n}", "used_files", (json_int_t)0,
		    "used_bytes", (json_int_t)0, "quota_bytes");
		json_object_set_new(a->rows, name, row);
	}
	free(name);
	return row;
}

static int
account_usage_rse_limit_one(const DBT *key, const DBT *pkey, const DBT *val,
    void *arg)
{
	json_t *rec = json_loadb(val->data, val->size, 0, NULL), *row;

	(void)key;
	if (rec != NULL && (row = account_row(arg, pkey)) != NULL)
		json_object_set(row, "quota_bytes",
		    json_object_get(rec, "bytes"));
	json_decref(rec);
	return GR_OK;
}

static int
account_usage_rse_used_one(const DBT *key, const DBT *pkey, const DBT *val,
    void *arg)
{
	json_t *rec = json_loadb(val->data, val->size, 0, NULL), *row;

	(void)key;
	if (rec != NULL && (row = account_row(arg, pkey)) != NULL) {
		json_object_set(row, "used_files",
		    json_object_get(rec, "files"));
		json_object_set(row, "used_bytes",
		    json_object_get(rec, "bytes"));
	}
	json_decref(rec);
	return GR_OK;
}

static int
account_usage_rse_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct au_args *a = arg;
	char id[RSE_ID_LEN + 1];
	const char *name;
	json_t *row, **list;
	size_t n = 0;
	int rc;

	json_object_clear(a->rows);
	if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK ||
	    (rc = st_scan_key(t, TBL_ACCOUNT_LIMITS_BY_RSE, id, strlen(id),
		 account_usage_rse_limit_one, a, err)) != GR_OK ||
	    (rc = st_scan_key(t, TBL_ACCOUNT_USAGE_BY_RSE, id, strlen(id),
		 account_usage_rse_used_one, a, err)) != GR_OK)
		return rc;
	/* by account name (the object's keys are in insertion order) */
	list = xcalloc(json_object_size(a->rows) + 1, sizeof(*list));
	json_object_foreach(a->rows, name, row) {
		list[n] = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "rse_id",
		    id, "rse", a->rse, "account", name, "used_files",
		    json_object_get(row, "used_files"), "used_bytes",
		    json_object_get(row, "used_bytes"), "quota_bytes",
		    json_object_get(row, "quota_bytes"));
		n++;
	}
	return emit_sorted(a, list, n, cmp_account);
}

int
account_usage_on_rse(const char *rse, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct au_args a = { .rse = rse, .emit = emit, .ctx = ctx };
	int rc;

	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	a.rows = json_object();
	rc = st_view(account_usage_rse_txn, &a, ST_ONCE, err);
	json_decref(a.rows);
	return rc;
}
