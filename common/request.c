/*
 * request.c -- transfer requests as Rucio's request routes show them
 * (core; request.h): one by DID and destination, and listings by source,
 * destination and states, read from TBL_REQUESTS. No HTTP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "jsonx.h"
#include "request.h"
#include "rse.h"
#include "rse_expr.h"
#include "store.h"
#include "util.h"

#define REQUEST_STATES_MAX 16

/* Rucio's request states; stored is the letter TBL_REQUESTS keeps. */
static const struct {
	char letter, stored;
	const char *name;
} states[] = {
	{ 'Q', 'Q', "QUEUED" },
	{ 'S', 'S', "SUBMITTED" },
	{ 'F', 'F', "FAILED" },
	{ 'D', 'D', "DONE" },
	{ 'N', 'O', "NO_SOURCES" },
	{ 'G', 'G', "SUBMITTING" },
	{ 'L', 'L', "LOST" },
	{ 'U', 'U', "SUBMISSION_FAILED" },
	{ 'W', 'W', "WAITING" },
	{ 'A', 'A', "SUSPEND" },
};

static const char *
state_name(const char *stored)
{
	size_t i;

	for (i = 0; stored != NULL && i < ARRAY_LEN(states); i++)
		if (states[i].stored == stored[0])
			return states[i].name;
	return stored;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *
copy_or_null(const json_t *rec, const char *k)
{
	json_t *v = json_object_get(rec, k);

	return v != NULL ? json_incref(v) : json_null();
}

/* The RSE a request reads from: the one it is bound to, else the last
   one the mover read from; malloc'ed, or NULL. */
static char *
source_of(struct st_txn *t, const json_t *rec)
{
	if (str(rec, "source_rse_id") != NULL)
		return rse_live_name(t, str(rec, "source_rse_id"));
	return str(rec, "last_source") != NULL
	    ? xstrdup(str(rec, "last_source"))
	    : NULL;
}

/* A stored request with Rucio's field names; new reference. */
static json_t *
render(struct st_txn *t, const json_t *rec)
{
	char *dest = rse_live_name(t, str(rec, "dest_rse_id")),
	     *src = source_of(t, rec);
	json_t *o;

	o = json_pack("{s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:s?, s:s?, s:I, "
		      "s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
		      "s:o, s:s}",
	    "id", copy_or_null(rec, "id"), "request_type", "TRANSFER", "scope",
	    copy_or_null(rec, "scope"), "name", copy_or_null(rec, "name"),
	    "did_type", "FILE", "dest_rse_id", copy_or_null(rec, "dest_rse_id"),
	    "source_rse_id", copy_or_null(rec, "source_rse_id"), "dest_rse",
	    dest, "source_rse", src, "retry_count",
	    json_integer_value(json_object_get(rec, "attempts")), "err_msg",
	    copy_or_null(rec, "last_error"), "rule_id",
	    copy_or_null(rec, "rule_id"), "activity",
	    copy_or_null(rec, "activity"), "bytes", copy_or_null(rec, "bytes"),
	    "md5", copy_or_null(rec, "md5"), "adler32",
	    copy_or_null(rec, "adler32"), "account",
	    copy_or_null(rec, "account"), "priority",
	    copy_or_null(rec, "priority"), "requested_at",
	    jsonx_date(rec, "created_at"), "submitted_at",
	    jsonx_date(rec, "submitted_at"), "created_at",
	    jsonx_date(rec, "created_at"), "updated_at",
	    jsonx_date(rec, "updated_at"), "transfertool", "gridrest");
	json_object_set_new(o, "transferred_at",
	    jsonx_date(rec, "transferred_at"));
	json_object_set_new(o, "state",
	    json_string(state_name(str(rec, "state"))));
	free(dest);
	free(src);
	return o;
}

struct get_args {
	const char *scope, *name, *rse;
	json_t *out;
	const char *issuer; /* the history's: admins only */
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *rec = NULL;
	DBT k;
	int rc, ret;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->scope, a->name, id, (char *)NULL));
	ret = st_get_json(t, TBL_REQUESTS, &k, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_REQUEST_NOT_FOUND,
		    "No request found for DID %s:%s at RSE %s", a->scope,
		    a->name, a->rse);
	if (ret != 0)
		return st_fail(err, ret);
	a->out = render(t, rec);
	json_decref(rec);
	return GR_OK;
}

/* One request by its DID and RSE, through fn (get_txn, history_get_txn);
   a key too long for the store names none. */
static int
get_with(st_txn_fn fn, struct get_args *a, json_t **out, struct gr_err *err)
{
	int rc;

	*out = NULL;
	if (strlen(a->scope) + strlen(a->name) + RSE_ID_LEN + 4 > KEY_MAX)
		return gr_fail(err, GR_REQUEST_NOT_FOUND,
		    "No request found for DID %.60s:%.60s at RSE %.60s",
		    a->scope, a->name, a->rse);
	if ((rc = st_view(fn, a, 0, err)) != GR_OK) {
		json_decref(a->out);
		return rc;
	}
	*out = a->out;
	return GR_OK;
}

int
request_get(const char *scope, const char *name, const char *rse, json_t **out,
    struct gr_err *err)
{
	struct get_args a = { scope, name, rse, NULL, NULL };

	return get_with(get_txn, &a, out, err);
}

struct list_args {
	const char *issuer;
	const struct request_filter *f;
	char stored[REQUEST_STATES_MAX];
	size_t n;
	bool history;       /* TBL_REQUESTS_HISTORY's, not TBL_REQUESTS's */
	long offset, limit; /* paging (limit 0: all) */
	json_t *srcs;       /* the source RSEs' names */
	json_t *dst_ids;    /* the destination RSEs' ids */
	struct st_txn *t;
	gr_emit_fn emit;
	void *ctx;
};

/* Is s one of the strings of list? */
static bool
among(const json_t *list, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(list); i++)
		if (strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			return true;
	return false;
}

/* The RSEs whose attribute "site" is site (names) into *out; NotFound
   when there is none, as upstream. */
static int
site_rses(struct st_txn *t, const char *site, json_t **out, struct gr_err *err)
{
	int rc;

	if ((rc = rse_attr_equals(t, "site", site, out, err)) != GR_OK)
		return rc;
	if (json_array_size(*out) == 0)
		return gr_fail(err, GR_NOT_FOUND,
		    "Could not resolve site name %s to RSE", site);
	return GR_OK;
}

/* a->srcs and a->dst_ids from the filter's RSEs or sites */
static int
list_ends(struct st_txn *t, struct list_args *a, struct gr_err *err)
{
	const struct request_filter *f = a->f;
	char id[RSE_ID_LEN + 1];
	json_t *dsts = NULL;
	size_t i;
	int rc;

	json_decref(a->srcs);
	json_decref(a->dst_ids);
	a->srcs = NULL;
	a->dst_ids = json_array();
	if (f->src_site != NULL) {
		if ((rc = site_rses(t, f->src_site, &a->srcs, err)) != GR_OK ||
		    (rc = site_rses(t, f->dst_site, &dsts, err)) != GR_OK)
			goto out;
	} else {
		if ((rc = rse_live_id(t, f->src_rse, id, err)) != GR_OK)
			goto out;
		a->srcs = json_pack("[s]", f->src_rse);
		dsts = json_pack("[s]", f->dst_rse);
	}
	for (i = 0; i < json_array_size(dsts); i++) {
		if ((rc = rse_live_id(t,
			 json_string_value(json_array_get(dsts, i)), id,
			 err)) != GR_OK)
			goto out;
		json_array_append_new(a->dst_ids, json_string(id));
	}
out:
	json_decref(dsts);
	return rc;
}

/* A request between the two RSEs (of the history: in one of the states,
   skipped while the offset lasts, emitted up to the limit). */
static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL), *o;
	const char *st;
	char *src = NULL;
	int rc = GR_OK;

	(void)key;
	(void)pkey;
	if (rec == NULL || str(rec, "dest_rse_id") == NULL ||
	    !among(a->dst_ids, str(rec, "dest_rse_id")) ||
	    (a->history &&
		((st = str(rec, "state")) == NULL ||
		    memchr(a->stored, st[0], a->n) == NULL)) ||
	    (src = source_of(a->t, rec)) == NULL || !among(a->srcs, src))
		goto out;
	if (a->offset > 0) {
		a->offset--;
		goto out;
	}
	o = render(a->t, rec);
	rc = a->emit(o, a->ctx);
	json_decref(o);
	if (rc == GR_OK && a->limit > 0 && --a->limit == 0)
		rc = ST_STOP;
out:
	free(src);
	json_decref(rec);
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	size_t i;
	int rc;

	a->t = t;
	if ((rc = account_require_admin(t, a->issuer,
		 a->history ? "list historical requests" : "list requests",
		 err)) != GR_OK ||
	    (rc = list_ends(t, a, err)) != GR_OK)
		return rc;
	if (a->history)
		return st_scan(t, TBL_REQUESTS_HISTORY, "", 0, NULL, list_one,
		    a, err);
	for (i = 0; i < a->n; i++)
		if ((rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, &a->stored[i],
			 1, list_one, a, err)) != GR_OK)
			return rc;
	return GR_OK;
}

/* The stored letters of a comma-separated list of states (letters or
   names) into a; Invalid for an unknown one. */
static int
parse_states(const char *sts, char *stored, size_t *n, struct gr_err *err)
{
	char *copy = xstrdup(sts), *s, *next;
	size_t i, j;

	*n = 0;
	for (s = copy; s != NULL; s = next) {
		if ((next = strchr(s, ',')) != NULL)
			*next++ = '\0';
		for (i = 0; i < ARRAY_LEN(states); i++)
			if ((s[0] == states[i].letter && s[1] == '\0') ||
			    strcmp(s, states[i].name) == 0)
				break;
		if (i == ARRAY_LEN(states)) {
			free(copy);
			return gr_fail(err, GR_INVALID_REQUEST_STATE,
			    "Request state value is invalid");
		}
		for (j = 0; j < *n; j++)
			if (stored[j] == states[i].stored)
				break;
		if (j == *n && *n < REQUEST_STATES_MAX)
			stored[(*n)++] = states[i].stored;
	}
	free(copy);
	return GR_OK;
}

/* Upstream's checks of a listing's parameters (neither RSEs nor sites
   named: an empty listing; sites named: they win), then the listing. */
static int
list_run(struct list_args *a, struct gr_err *err)
{
	const struct request_filter *f = a->f;
	int rc;

	if (f->states == NULL || *f->states == '\0')
		return gr_fail(err, GR_MISSING_PARAMETER,
		    "Request state is missing");
	if (f->src_rse != NULL && f->dst_rse == NULL)
		return gr_fail(err, GR_MISSING_PARAMETER,
		    "Destination RSE is missing");
	if (f->dst_rse != NULL && f->src_rse == NULL)
		return gr_fail(err, GR_MISSING_PARAMETER,
		    "Source RSE is missing");
	if (f->src_site != NULL && f->dst_site == NULL)
		return gr_fail(err, GR_MISSING_PARAMETER,
		    "Destination site is missing");
	if (f->dst_site != NULL && f->src_site == NULL)
		return gr_fail(err, GR_MISSING_PARAMETER,
		    "Source site is missing");
	if ((rc = parse_states(f->states, a->stored, &a->n, err)) != GR_OK ||
	    (f->src_rse == NULL && f->src_site == NULL))
		return rc;
	rc = st_view(list_txn, a, ST_ONCE, err);
	json_decref(a->srcs);
	json_decref(a->dst_ids);
	return rc;
}

int
request_list(const char *issuer, const struct request_filter *f,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct list_args a = { .issuer = issuer,
		.f = f,
		.emit = emit,
		.ctx = ctx };

	return list_run(&a, err);
}

/* --- the history: requests as they ended ---------------------------- */

int
request_archive(struct st_txn *t, const json_t *rec, const char *state,
    struct gr_err *err)
{
	char kbuf[KEY_MAX], when[17];
	int64_t now = time_now();
	json_t *h;
	size_t klen;
	DBT k;
	int ret;

	if (str(rec, "scope") == NULL || str(rec, "name") == NULL ||
	    str(rec, "dest_rse_id") == NULL)
		return GR_OK; /* not a request */
	(void)snprintf(when, sizeof(when), "%016llx", (unsigned long long)now);
	klen = key_join(kbuf, sizeof(kbuf), str(rec, "scope"), str(rec, "name"),
	    str(rec, "dest_rse_id"), when, (char *)NULL);
	if (str(rec, "id") != NULL &&
	    klen + strlen(str(rec, "id")) <= sizeof(kbuf)) {
		/* the id after the time, in the same part: ends of one
		   second stay apart */
		memcpy(kbuf + klen, str(rec, "id"), strlen(str(rec, "id")));
		klen += strlen(str(rec, "id"));
	}
	h = json_deep_copy(rec);
	json_object_set_new(h, "state", json_string(state));
	json_object_set_new(h, "updated_at", json_integer(now));
	json_object_del(h, "next_at");
	json_object_del(h, "mover");
	k = st_dbt(kbuf, klen);
	ret = st_put_json(t, TBL_REQUESTS_HISTORY, &k, h, 0);
	json_decref(h);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
keep_last(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t **out = arg;

	(void)key;
	(void)pkey;
	json_decref(*out);
	*out = json_loadb(val->data, val->size, 0, NULL);
	return GR_OK;
}

static int
history_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *rec = NULL;
	size_t klen;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = account_require_admin(t, a->issuer,
		 "retrieve the historical request", err)) != GR_OK ||
	    (rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	klen = key_join(kbuf, sizeof(kbuf), a->scope, a->name, id, "",
	    (char *)NULL);
	/* the latest: keys run by the time of the end */
	if ((rc = st_scan(t, TBL_REQUESTS_HISTORY, kbuf, klen, NULL, keep_last,
		 &rec, err)) != GR_OK) {
		json_decref(rec);
		return rc;
	}
	if (rec == NULL)
		return gr_fail(err, GR_REQUEST_NOT_FOUND,
		    "No request found for DID %s:%s at RSE %s", a->scope,
		    a->name, a->rse);
	a->out = render(t, rec);
	json_decref(rec);
	return GR_OK;
}

int
request_history_get(const char *issuer, const char *scope, const char *name,
    const char *rse, json_t **out, struct gr_err *err)
{
	struct get_args a = { scope, name, rse, NULL, issuer };

	return get_with(history_get_txn, &a, out, err);
}

int
request_history_list(const char *issuer, const struct request_filter *f,
    long offset, long limit, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct list_args a = { .issuer = issuer,
		.f = f,
		.emit = emit,
		.ctx = ctx,
		.history = true,
		.offset = offset,
		.limit = limit };

	return list_run(&a, err);
}
