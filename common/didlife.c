/*
 * didlife.c -- new DIDs, expiry, resurrection (core). See didlife.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "did.h"
#include "didlife.h"
#include "tables.h"
#include "util.h"

/* --- new DIDs ----------------------------------------------------------- */

struct new_args {
	const char *type; /* NULL: all */
	bool files_only;  /* scanning records: only files are listed */
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	long count;
};

/* One entry of the index under scope \0 is_new \0 b1: pkey scope \0 name. */
static int
new_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct new_args *a = arg;
	const char *type;
	size_t tlen;
	char *scope, *name, t[16];
	json_t *item;
	int rc;

	(void)key;
	if (a->count >= DID_NEW_MAX)
		return ST_STOP;
	if (!json_member(val->data, val->size, "type", &type, &tlen) ||
	    tlen < 2 || tlen - 2 >= sizeof(t))
		return GR_OK;
	memcpy(t, type + 1, tlen - 2); /* the text of a JSON string */
	t[tlen - 2] = '\0';
	if ((a->type != NULL && strcmp(a->type, t) != 0) ||
	    (a->files_only && strcmp(t, "FILE") != 0))
		return GR_OK;
	if (!key_did(pkey->data, pkey->size, 0, &scope, &name))
		return GR_OK;
	item = json_pack("{s:s, s:s, s:s}", "scope", scope, "name", name,
	    "did_type", t);
	rc = a->emit(item, a->ctx);
	json_decref(item);
	free(scope);
	free(name);
	a->count++;
	return rc;
}

/* A record of the scope's range of TBL_DIDS: a new file is listed. */
static int
new_file(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	const char *v;
	size_t vlen;

	(void)pkey;
	if (json_member(val->data, val->size, "is_new", &v, &vlen) &&
	    vlen == 5 && memcmp(v, "false", 5) == 0)
		return GR_OK;
	return new_one(NULL, key, val, arg);
}

static int
new_scope(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct new_args *a = arg;
	char scope[64], kbuf[KEY_MAX];
	size_t klen;
	int rc = GR_OK;

	(void)pkey;
	(void)val;
	if (a->count >= DID_NEW_MAX)
		return ST_STOP;
	if (key->size == 0 || key->size >= sizeof(scope))
		return GR_OK;
	memcpy(scope, key->data, key->size);
	scope[key->size] = '\0';
	/* collections through the index; files (never filed there: their
	   one shared key was where concurrent registrations queued) from
	   the scope's records, until the listing is full */
	if (a->type == NULL || strcmp(a->type, "FILE") != 0) {
		klen = didx_key(kbuf, scope, "is_new", DIDX_BOOL, "\1", 1);
		if (klen != 0)
			rc = st_scan_key(a->t, TBL_DIDS_BY_META, kbuf, klen,
			    new_one, a, a->err);
	}
	if (rc == GR_OK && a->count < DID_NEW_MAX &&
	    (a->type == NULL || strcmp(a->type, "FILE") == 0)) {
		a->files_only = true;
		klen = key_join(kbuf, sizeof(kbuf), scope, "", (char *)NULL);
		rc = st_scan(a->t, TBL_DIDS, kbuf, klen, NULL, new_file, a,
		    a->err);
		a->files_only = false;
	}
	return rc;
}

static int
new_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct new_args *a = arg;
	int rc;

	a->t = t;
	a->err = err;
	rc = st_scan(t, TBL_SCOPES, NULL, 0, NULL, new_scope, a, err);
	return rc == ST_STOP ? GR_OK : rc;
}

int
did_list_new(const char *type, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	static const char *const types[] = { "FILE", "DATASET", "CONTAINER" };
	struct new_args a = { .emit = emit, .ctx = ctx };
	size_t i;

	if (type != NULL && *type != '\0') {
		for (i = 0; i < ARRAY_LEN(types); i++)
			if (strcasecmp(type, types[i]) == 0)
				a.type = types[i];
		if (a.type == NULL)
			return gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "%.40s is not a valid DID type: FILE, DATASET or "
			    "CONTAINER",
			    type);
	}
	return st_view(new_txn, &a, ST_ONCE, err);
}

int
did_set_new(struct st_txn *t, const char *scope, const char *name, bool is_new,
    struct gr_err *err)
{
	json_t *rec;
	int rc;

	if ((rc = did_load(t, scope, name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	json_object_set_new(rec, "is_new", json_boolean(is_new));
	rc = did_store(t, scope, name, rec, 0, err);
	json_decref(rec);
	return rc;
}

/* --- expiry ------------------------------------------------------------- */

struct expired_args {
	unsigned char until[8];
	did_expired_fn fn;
	void *arg;
	struct st_txn *t;
};

static int
expired_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct expired_args *a = arg;
	const char *v;
	long long when;
	char *scope, *name;
	size_t vlen;
	int rc;

	if (key->size != 8 || memcmp(key->data, a->until, 8) > 0)
		return ST_STOP;
	if (!json_member(val->data, val->size, "expired_at", &v, &vlen) ||
	    !json_member_int(v, vlen, &when) ||
	    !key_did(pkey->data, pkey->size, 0, &scope, &name))
		return GR_OK;
	rc = a->fn(scope, name, (int64_t)when, a->arg);
	free(scope);
	free(name);
	return rc;
}

int
did_expired_each(struct st_txn *t, int64_t now, did_expired_fn fn, void *arg,
    struct gr_err *err)
{
	struct expired_args a = { .fn = fn, .arg = arg, .t = t };
	int rc;

	didx_num((double)now, a.until);
	rc = st_scan(t, TBL_DIDS_BY_EXPIRY, NULL, 0, NULL, expired_one, &a,
	    err);
	return rc == ST_STOP ? GR_OK : rc;
}

/* --- resurrection ------------------------------------------------------- */

struct resurrect_args {
	const char *issuer;
	const json_t *dids;
};

static int
not_deleted(const char *scope, const char *name, struct gr_err *err)
{
	gr_clear(err);
	return gr_fail(err, GR_DID_NOT_FOUND,
	    "Deleted Data identifier '%s:%s' not found", scope, name);
}

static int
resurrect_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct resurrect_args *a = arg;
	const char *scope, *name;
	int64_t now = time_now();
	const json_t *d, *exp;
	json_t *rec;
	size_t i;
	int rc;

	if ((rc = account_require_admin(t, a->issuer, "resurrect DIDs", err)) !=
	    GR_OK)
		return rc;
	json_array_foreach(a->dids, i, d)
	{
		scope = json_string_value(json_object_get(d, "scope"));
		name = json_string_value(json_object_get(d, "name"));
		rc = did_load(t, scope, name, DB_RMW, &rec, err);
		if (rc == GR_DID_NOT_FOUND)
			return not_deleted(scope, name, err);
		if (rc != GR_OK)
			return rc;
		exp = json_object_get(rec, "expired_at");
		if (!json_is_integer(exp) || json_integer_value(exp) >= now) {
			json_decref(rec);
			return not_deleted(scope, name, err);
		}
		json_object_del(rec, "expired_at");
		json_object_set_new(rec, "updated_at", json_integer(now));
		rc = did_store(t, scope, name, rec, 0, err);
		json_decref(rec);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
did_resurrect(const char *issuer, const json_t *dids, struct gr_err *err)
{
	struct resurrect_args a = { issuer, dids };
	int rc;

	if ((rc = did_check_list(dids, 1000, err)) != GR_OK)
		return rc;
	return st_txn_run(resurrect_txn, &a, err);
}
