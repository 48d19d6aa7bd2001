/*
 * usage.c -- storage usage (core). TBL_RSE_USAGE: RSE id \0 source ->
 * {"used","free","files","updated_at"}; TBL_RSE_USAGE_HIST: RSE id \0
 * source \0 <999999999999 - hour> -> the same, one point per source and
 * hour (the last value of the hour), so a prefix scan reads newest first.
 * TBL_ACCOUNT_USAGE: account \0 RSE id -> {"bytes","files"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "rse.h"
#include "tables.h"
#include "reaper.h"
#include "usage.h"
#include "util.h"

#define HOUR 3600

static json_int_t
int_of(const json_t *rec, const char *key)
{
	return json_integer_value(json_object_get(rec, key));
}

/* Inside a transaction: write the hour's history point of rec. */
static int
history_put(struct st_txn *t, const char *rse_id, const char *source,
    const json_t *rec, int64_t now, struct gr_err *err)
{
	char kbuf[KEY_MAX], stamp[24];
	DBT k;
	int ret;

	(void)snprintf(stamp, sizeof(stamp), "%012lld",
	    (long long)(999999999999LL - (now - now % HOUR)));
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse_id, source, stamp, (char *)NULL));
	ret = st_put_json(t, TBL_RSE_USAGE_HIST, &k, rec, 0);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
usage_rse_add(struct st_txn *t, const char *rse_id, json_int_t files,
    json_int_t bytes, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse_id, USAGE_SOURCE, (char *)NULL));
	json_t *rec = NULL;
	int64_t now = time_now();
	int ret, rc;

	ret = st_get_json(t, TBL_RSE_USAGE, &k, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		rec = json_pack("{s:I, s:n, s:I}", "used", (json_int_t)0,
		    "free", "files", (json_int_t)0);
	else if (ret != 0)
		return st_fail(err, ret);
	json_object_set_new(rec, "used",
	    json_integer(int_of(rec, "used") + bytes));
	json_object_set_new(rec, "files",
	    json_integer(int_of(rec, "files") + files));
	json_object_set_new(rec, "updated_at", json_integer(now));
	ret = st_put_json(t, TBL_RSE_USAGE, &k, rec, 0);
	rc = ret == 0 ? history_put(t, rse_id, USAGE_SOURCE, rec, now, err)
		      : st_fail(err, ret);
	json_decref(rec);
	return rc;
}

int
usage_rse_lock(struct st_txn *t, const char *rse_id, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse_id, USAGE_SOURCE, (char *)NULL));
	json_t *rec = NULL;
	int ret;

	ret = st_get_json(t, TBL_RSE_USAGE, &k, &rec, DB_RMW);
	json_decref(rec);
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

int
usage_rse_load(struct st_txn *t, const char *rse_id, const char *source,
    u_int32_t flags, json_t **out, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse_id, source, (char *)NULL));
	int ret;

	*out = NULL;
	ret = st_get_json(t, TBL_RSE_USAGE, &k, out, flags);
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

int
usage_rse_files(struct st_txn *t, const char *rse_id, json_int_t *files,
    struct gr_err *err)
{
	json_t *rec;
	int rc = usage_rse_load(t, rse_id, USAGE_SOURCE, 0, &rec, err);

	*files = int_of(rec, "files");
	json_decref(rec);
	return rc;
}

struct usage_args {
	const char *issuer, *rse, *source;
	const json_t *body;
	bool per_account;
	char id[RSE_ID_LEN + 1];
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	json_t *accounts; /* per_account: [{"account","used"}] */
	bool seen_rucio;
};

/* One usage record as the client reads it. */
static json_t *
render(const struct usage_args *a, const char *source, const json_t *rec)
{
	char date[DATE_RFC1123_LEN];
	const json_t *free_ = json_object_get(rec, "free");
	const json_t *when = json_object_get(rec, "updated_at");

	return json_pack("{s:s, s:s, s:s, s:I, s:O, s:I, s:I, s:s?}", "rse_id",
	    a->id, "rse", a->rse, "source", source, "used", int_of(rec, "used"),
	    "free", free_ != NULL ? free_ : json_null(), "total",
	    int_of(rec, "used") + json_integer_value(free_), "files",
	    int_of(rec, "files"), "updated_at",
	    json_is_integer(when) ? date_rfc1123(json_integer_value(when), date)
				  : NULL);
}

static int
collect_account(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct usage_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *acc;
	size_t len;

	(void)key;
	acc = key_part(pkey->data, pkey->size, 0, &len);
	if (rec != NULL && acc != NULL && int_of(rec, "bytes") != 0) {
		char *name = xstrndup(acc, len);

		json_array_append_new(a->accounts,
		    json_pack("{s:s, s:I}", "account", name, "used",
			int_of(rec, "bytes")));
		free(name);
	}
	json_decref(rec);
	return GR_OK;
}

static int
cmp_used(const void *x, const void *y)
{
	json_int_t p = int_of(*(json_t *const *)x, "used");
	json_int_t q = int_of(*(json_t *const *)y, "used");

	return p < q ? 1 : p > q ? -1 : 0;
}

/* The "account_usages" list of the rucio entry. */
static int
usage_account_list(struct usage_args *a, json_t *entry)
{
	json_int_t total = int_of(entry, "total");
	json_t **items, *list, *it;
	size_t i, n;
	int rc;

	a->accounts = json_array();
	rc = st_scan(a->t, TBL_ACCOUNT_USAGE_BY_RSE, a->id, strlen(a->id), NULL,
	    collect_account, a, a->err);
	if (rc != GR_OK) {
		json_decref(a->accounts);
		return rc;
	}
	n = json_array_size(a->accounts);
	items = xcalloc(n + 1, sizeof(*items));
	json_array_foreach(a->accounts, i, it)
		items[i] = it;
	qsort(items, n, sizeof(*items), cmp_used);
	list = json_array();
	for (i = 0; i < n; i++) {
		json_int_t used = int_of(items[i], "used");
		double pct = total > 0 ? (double)(long long)((double)used *
						 10000.0 / (double)total +
					     0.5) /
			100.0
				       : 0.0;

		json_object_set_new(items[i], "percentage", json_real(pct));
		json_array_append(list, items[i]);
	}
	free(items);
	json_decref(a->accounts);
	json_object_set_new(entry, "account_usages", list);
	return GR_OK;
}

static int
emit_entry(struct usage_args *a, const char *source, const json_t *rec)
{
	json_t *entry = render(a, source, rec);
	int rc = GR_OK;

	if (a->per_account && strcmp(source, USAGE_SOURCE) == 0)
		rc = usage_account_list(a, entry);
	if (rc == GR_OK)
		rc = a->emit(entry, a->ctx);
	json_decref(entry);
	return rc;
}

static int
get_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct usage_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *src;
	char *source;
	size_t len;
	int rc;

	(void)pkey;
	src = key_part(key->data, key->size, 1, &len);
	if (rec == NULL || src == NULL) {
		json_decref(rec);
		return GR_OK;
	}
	source = xstrndup(src, len);
	if (strcmp(source, USAGE_SOURCE) == 0)
		a->seen_rucio = true;
	rc = emit_entry(a, source, rec);
	free(source);
	json_decref(rec);
	return rc;
}

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct usage_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *zero;
	int rc;

	a->t = t;
	a->err = err;
	if ((rc = rse_live_id(t, a->rse, a->id, err)) != GR_OK)
		return rc;
	if (a->source == NULL) {
		klen = key_join(kbuf, sizeof(kbuf), a->id, "", (char *)NULL);
		rc = st_scan(t, TBL_RSE_USAGE, kbuf, klen, NULL, get_one, a,
		    err);
	} else {
		DBT k = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), a->id, a->source,
			(char *)NULL));
		json_t *rec = NULL;
		int ret = st_get_json(t, TBL_RSE_USAGE, &k, &rec, 0);

		if (ret == 0) {
			a->seen_rucio = strcmp(a->source, USAGE_SOURCE) == 0;
			rc = emit_entry(a, a->source, rec);
			json_decref(rec);
		} else if (ret != DB_NOTFOUND) {
			return st_fail(err, ret);
		}
	}
	if (rc != GR_OK || a->seen_rucio)
		return rc;
	if (a->source != NULL && strcmp(a->source, USAGE_SOURCE) != 0)
		return GR_OK;
	/* the replica counter exists for every RSE, if only as zeros */
	zero = json_pack("{s:I, s:n, s:I}", "used", (json_int_t)0, "free",
	    "files", (json_int_t)0);
	rc = emit_entry(a, USAGE_SOURCE, zero);
	json_decref(zero);
	return rc;
}

static int
check_rse(const char *rse, const char *source, struct gr_err *err)
{
	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	if (source != NULL &&
	    (*source == '\0' || strlen(source) > USAGE_SOURCE_MAX ||
		!utf8_valid(source, strlen(source))))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating source: 1 to %d characters",
		    USAGE_SOURCE_MAX);
	return GR_OK;
}

int
usage_rse_get(const char *rse, const char *source, bool per_account,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct usage_args a = { .rse = rse,
		.source = source,
		.per_account = per_account,
		.emit = emit,
		.ctx = ctx };
	int rc;

	if ((rc = check_rse(rse, source, err)) != GR_OK)
		return rc;
	return st_view(get_txn, &a, ST_ONCE, err);
}

static int
opt_int(const json_t *body, const char *key, bool nullable, json_t **out,
    struct gr_err *err)
{
	const json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || (nullable && json_is_null(v)))
		return GR_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating %s: an integer >= 0%s", key,
		    nullable ? " or null" : "");
	*out = json_integer(json_integer_value(v));
	return GR_OK;
}

static int
set_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct usage_args *a = arg;
	json_t *rec, *used, *free_, *files;
	char kbuf[KEY_MAX];
	int64_t now = time_now();
	DBT k;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "set RSE usage", err)) !=
		GR_OK ||
	    (rc = rse_live_id(t, a->rse, a->id, err)) != GR_OK)
		return rc;
	(void)opt_int(a->body, "used", false, &used, err);
	(void)opt_int(a->body, "free", true, &free_, err);
	(void)opt_int(a->body, "files", true, &files, err);
	rec = json_pack("{s:o, s:o, s:o, s:I}", "used",
	    used != NULL ? used : json_integer(0), "free",
	    free_ != NULL ? free_ : json_null(), "files",
	    files != NULL ? files : json_integer(0), "updated_at",
	    (json_int_t)now);
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->id, a->source, (char *)NULL));
	ret = st_put_json(t, TBL_RSE_USAGE, &k, rec, 0);
	rc = ret == 0 ? history_put(t, a->id, a->source, rec, now, err)
		      : st_fail(err, ret);
	json_decref(rec);
	return rc;
}

int
usage_rse_set(const char *issuer, const char *rse, const json_t *body,
    struct gr_err *err)
{
	struct usage_args a = { .issuer = issuer, .rse = rse, .body = body };
	const json_t *src = json_object_get(body, "source");
	json_t *v;
	int rc;

	if (!json_is_string(src))
		return gr_fail(err, GR_KEY_ERROR, "'source' not defined");
	a.source = json_string_value(src);
	if ((rc = check_rse(rse, a.source, err)) != GR_OK)
		return rc;
	if (strcmp(a.source, USAGE_SOURCE) == 0)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not set the usage of source '%s': it "
		    "counts the registered replicas",
		    issuer, USAGE_SOURCE);
	/* check every field before the transaction */
	if (json_object_get(body, "used") == NULL)
		return gr_fail(err, GR_KEY_ERROR, "'used' not defined");
	if ((rc = opt_int(body, "used", false, &v, err)) != GR_OK)
		return rc;
	json_decref(v);
	if ((rc = opt_int(body, "free", true, &v, err)) != GR_OK)
		return rc;
	json_decref(v);
	if ((rc = opt_int(body, "files", true, &v, err)) != GR_OK)
		return rc;
	json_decref(v);
	if ((rc = st_txn_run(set_txn, &a, err)) == GR_OK)
		reaper_note(); /* the free space the reaper goes by */
	return rc;
}

static int
history_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct usage_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	int rc;

	if ((rc = rse_live_id(t, a->rse, a->id, err)) != GR_OK)
		return rc;
	/* id \0 source \0 (the separator closes the source) */
	klen = key_join(kbuf, sizeof(kbuf), a->id,
	    a->source != NULL ? a->source : "", "", (char *)NULL);
	if (a->source == NULL)
		klen -= 1; /* every source: just id \0 */
	/* a history point renders as a usage record */
	return st_scan(t, TBL_RSE_USAGE_HIST, kbuf, klen, NULL, get_one, a,
	    err);
}

int
usage_rse_history(const char *rse, const char *source, gr_emit_fn emit,
    void *ctx, struct gr_err *err)
{
	struct usage_args a = { .rse = rse,
		.source = source,
		.emit = emit,
		.ctx = ctx };
	int rc;

	if ((rc = check_rse(rse, source, err)) != GR_OK)
		return rc;
	return st_view(history_txn, &a, ST_ONCE, err);
}
