/*
 * rule_list.c -- replication rules (core), the read side: a rule as
 * Rucio renders it, the listings (by filters, DID, account, locks,
 * history, analysis, dataset locks) streamed from snapshot views, and
 * the verification of the lock counters for gridrest-db.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "date.h"
#include "did.h"
#include "jsonx.h"
#include "rse.h"
#include "rule.h"
#include "rule_int.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

static const char *
grouping_name(const char *l)
{
	if (l == NULL)
		return "DATASET";
	return *l == 'A' ? "ALL" : *l == 'N' ? "NONE" : "DATASET";
}

static const char *
notification_name(const char *l)
{
	if (l == NULL)
		return "NO";
	switch (*l) {
	case 'Y':
		return "YES";
	case 'C':
		return "CLOSE";
	case 'P':
		return "PROGRESS";
	default:
		return "NO";
	}
}

static const char *
rule_did_type_name(const char *l)
{
	if (l == NULL)
		return "FILE";
	return *l == 'D' ? "DATASET" : *l == 'C' ? "CONTAINER" : "FILE";
}

static json_t *
copy_or_null(const json_t *rec, const char *k)
{
	json_t *v = json_object_get(rec, k);

	return v != NULL ? json_incref(v) : json_null();
}

json_t *
rule_render(struct st_txn *t, const json_t *rec, bool with_bytes)
{
	const char *st = rule_state_name(str_of(rec, "state"));
	json_t *o = json_object();

	json_object_set_new(o, "id", copy_or_null(rec, "id"));
	json_object_set_new(o, "subscription_id",
	    copy_or_null(rec, "subscription_id"));
	json_object_set_new(o, "account", copy_or_null(rec, "account"));
	json_object_set_new(o, "scope", copy_or_null(rec, "scope"));
	json_object_set_new(o, "name", copy_or_null(rec, "name"));
	json_object_set_new(o, "did_type",
	    json_string(rule_did_type_name(str_of(rec, "did_type"))));
	json_object_set_new(o, "state",
	    json_string(st != NULL ? st : "REPLICATING"));
	json_object_set_new(o, "error", copy_or_null(rec, "error"));
	json_object_set_new(o, "rse_expression",
	    copy_or_null(rec, "rse_expression"));
	json_object_set_new(o, "copies", copy_or_null(rec, "copies"));
	json_object_set_new(o, "expires_at", jsonx_date(rec, "expires_at"));
	json_object_set_new(o, "weight", copy_or_null(rec, "weight"));
	json_object_set_new(o, "locked", copy_or_null(rec, "locked"));
	json_object_set_new(o, "locks_ok_cnt",
	    copy_or_null(rec, "locks_ok_cnt"));
	json_object_set_new(o, "locks_replicating_cnt",
	    copy_or_null(rec, "locks_replicating_cnt"));
	json_object_set_new(o, "locks_stuck_cnt",
	    copy_or_null(rec, "locks_stuck_cnt"));
	json_object_set_new(o, "source_replica_expression",
	    copy_or_null(rec, "source_replica_expression"));
	json_object_set_new(o, "activity", copy_or_null(rec, "activity"));
	json_object_set_new(o, "grouping",
	    json_string(grouping_name(str_of(rec, "grouping"))));
	json_object_set_new(o, "notification",
	    json_string(notification_name(str_of(rec, "notification"))));
	json_object_set_new(o, "stuck_at", jsonx_date(rec, "stuck_at"));
	json_object_set_new(o, "purge_replicas",
	    copy_or_null(rec, "purge_replicas"));
	json_object_set_new(o, "ignore_availability",
	    copy_or_null(rec, "ignore_availability"));
	json_object_set_new(o, "ignore_account_limit",
	    copy_or_null(rec, "ignore_account_limit"));
	json_object_set_new(o, "priority", copy_or_null(rec, "priority"));
	json_object_set_new(o, "comments", copy_or_null(rec, "comments"));
	json_object_set_new(o, "child_rule_id",
	    copy_or_null(rec, "child_rule_id"));
	json_object_set_new(o, "eol_at", jsonx_date(rec, "eol_at"));
	json_object_set_new(o, "split_container",
	    copy_or_null(rec, "split_container"));
	json_object_set_new(o, "meta", copy_or_null(rec, "meta"));
	json_object_set_new(o, "created_at", jsonx_date(rec, "created_at"));
	json_object_set_new(o, "updated_at", jsonx_date(rec, "updated_at"));
	if (with_bytes) {
		json_t *did = NULL;
		struct gr_err e = { 0 };

		if (t != NULL &&
		    did_load(t, str_of(rec, "scope"), str_of(rec, "name"), 0,
			&did, &e) == GR_OK)
			json_object_set_new(o, "bytes",
			    copy_or_null(did, "bytes"));
		else
			json_object_set_new(o, "bytes", json_null());
		json_decref(did);
	}
	return o;
}

const char *
rule_rse_name(struct st_txn *t, struct rule_rse_names *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].id, id) == 0)
			return c->v[i].name;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
	}
	(void)snprintf(c->v[c->n].id, sizeof(c->v[0].id), "%s", id);
	c->v[c->n].name = rse_live_name(t, id);
	if (c->v[c->n].name == NULL)
		c->v[c->n].name = xstrdup(id); /* deleted since */
	return c->v[c->n++].name;
}

void
rule_rse_names_free(struct rule_rse_names *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* --- GET /rules/<id> ----------------------------------------------------- */

struct get_args {
	const char *id;
	json_t *out;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	json_t *rec = NULL;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = rule_load(t, a->id, 0, &rec, err)) != GR_OK)
		return rc;
	a->out = rule_render(t, rec, false);
	json_decref(rec);
	return GR_OK;
}

int
rule_get(const char *id, json_t **out, struct gr_err *err)
{
	struct get_args a = { id, NULL };
	int rc = st_view(get_txn, &a, ST_ONEREAD, err);

	*out = rc == GR_OK ? a.out : NULL;
	if (rc != GR_OK)
		json_decref(a.out);
	return rc;
}

/* --- listings ----------------------------------------------------------- */

struct list_args {
	const json_t *filters;
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	int64_t cb, ca, ub, ua; /* date bounds; 0: none */
	json_t *seen;           /* rule ids emitted (associated) */
};

/* The filter columns that are not plain equality. */
static const char *const date_keys[] = { "created_before", "created_after",
	"updated_before", "updated_after" };

static bool
value_matches(const json_t *stored, const char *want)
{
	char buf[64];

	if (json_is_string(stored))
		return strcmp(json_string_value(stored), want) == 0;
	if (json_is_integer(stored)) {
		(void)snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(stored));
		return strcmp(buf, want) == 0;
	}
	if (json_is_boolean(stored))
		return strcasecmp(want,
			   json_is_true(stored) ? "true" : "false") == 0 ||
		    strcmp(want, json_is_true(stored) ? "1" : "0") == 0;
	if (json_is_null(stored))
		return strcasecmp(want, "none") == 0 ||
		    strcasecmp(want, "null") == 0;
	return false;
}

static bool
rule_matches(const struct list_args *a, const json_t *rec)
{
	const char *key;
	const json_t *v;
	int64_t c = int_of(rec, "created_at"), u = int_of(rec, "updated_at");

	if ((a->cb && c >= a->cb) || (a->ca && c <= a->ca) ||
	    (a->ub && u >= a->ub) || (a->ua && u <= a->ua))
		return false;
	json_object_foreach(jsonx_unconst(a->filters), key, v) {
		const char *want = json_string_value(v);
		const json_t *have = json_object_get(rec, key);
		size_t i;

		for (i = 0; i < ARRAY_LEN(date_keys); i++)
			if (strcmp(key, date_keys[i]) == 0)
				break;
		if (i < ARRAY_LEN(date_keys) || want == NULL)
			continue;
		if ((strcmp(key, "account") == 0 ||
			strcmp(key, "scope") == 0) &&
		    strchr(want, '*') != NULL) {
			if (!json_is_string(have) ||
			    !glob_match(want, json_string_value(have)))
				return false;
		} else if (strcmp(key, "comments") == 0 ||
		    strcmp(key, "comment") == 0) {
			if (!value_matches(json_object_get(rec, "comments"),
				want))
				return false;
		} else if (!value_matches(have != NULL ? have : json_null(),
			       want))
			return false;
	}
	return true;
}

/* emit rec (borrowed) as listings render it. */
static int
emit_rec(struct list_args *a, const json_t *rec)
{
	json_t *out = rule_render(a->t, rec, true);
	int rc = a->emit(out, a->ctx);

	json_decref(out);
	return rc;
}

static int
emit_rule(struct list_args *a, const void *data, size_t size)
{
	json_t *rec = json_loadb(data, size, 0, NULL);
	int rc = GR_OK;

	if (rec != NULL && (a->filters == NULL || rule_matches(a, rec)))
		rc = emit_rec(a, rec);
	json_decref(rec);
	return rc;
}

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	(void)key;
	(void)pkey;
	return emit_rule(arg, val->data, val->size);
}

/* The columns a filter may name. */
static const char *const columns[] = { "id", "subscription_id", "account",
	"scope", "name", "did_type", "state", "error", "rse_expression",
	"copies", "weight", "locked", "source_replica_expression", "activity",
	"grouping", "notification", "purge_replicas", "ignore_availability",
	"ignore_account_limit", "priority", "comments", "comment",
	"child_rule_id", "split_container", "meta", "locks_ok_cnt",
	"locks_replicating_cnt", "locks_stuck_cnt" };

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	const char *acc = str_of(a->filters, "account"),
		   *scope = str_of(a->filters, "scope"),
		   *name = str_of(a->filters, "name"),
		   *state = str_of(a->filters, "state"),
		   *sub = str_of(a->filters, "subscription_id");
	char kbuf[KEY_MAX];

	a->t = t;
	a->err = err;
	if (scope != NULL && name != NULL && strchr(scope, '*') == NULL)
		return st_scan_key(t, TBL_RULES_BY_DID, kbuf,
		    did_key(kbuf, scope, name), list_one, a, err);
	if (acc != NULL && strchr(acc, '*') == NULL)
		return st_scan_key(t, TBL_RULES_BY_ACCOUNT, acc, strlen(acc),
		    list_one, a, err);
	if (sub != NULL)
		return st_scan_key(t, TBL_RULES_BY_SUBSCRIPTION, sub,
		    strlen(sub), list_one, a, err);
	if (state != NULL)
		return st_scan_key(t, TBL_RULES_BY_STATE, state, strlen(state),
		    list_one, a, err);
	return st_scan(t, TBL_RULES, NULL, 0, NULL, list_one, a, err);
}

int
rule_list(const json_t *filters, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct list_args a = { .filters = filters, .emit = emit, .ctx = ctx };
	json_t *f = NULL;
	const char *key;
	const json_t *v;
	int64_t *bound[] = { &a.cb, &a.ca, &a.ub, &a.ua };
	size_t i;
	int rc;

	if (filters != NULL) {
		f = json_deep_copy(filters);
		json_object_foreach(jsonx_unconst(filters), key, v) {
			const char *s = json_string_value(v);

			for (i = 0; i < ARRAY_LEN(date_keys); i++)
				if (strcmp(key, date_keys[i]) == 0)
					break;
			if (i < ARRAY_LEN(date_keys)) {
				if (s == NULL || date_parse(s, bound[i]) != 0) {
					json_decref(f);
					return gr_fail(err, GR_INVALID_VALUE,
					    "'%s' is not a date: %.64s", key,
					    s != NULL ? s : "");
				}
				continue;
			}
			for (i = 0; i < ARRAY_LEN(columns); i++)
				if (strcmp(key, columns[i]) == 0)
					break;
			if (i == ARRAY_LEN(columns)) {
				json_decref(f);
				return gr_fail(err, GR_INVALID_VALUE,
				    "'%.64s' is not a rule attribute", key);
			}
			/* state by letter (Rucio) or by name */
			if (strcmp(key, "state") == 0 && s != NULL &&
			    rule_state_letter(s) != NULL)
				json_object_set_new(f, key,
				    json_string(rule_state_letter(s)));
		}
		a.filters = f;
	}
	rc = st_view(list_txn, &a, ST_ONCE, err);
	json_decref(f);
	return rc;
}

static int rule_did_txn(struct st_txn *t, void *arg, struct gr_err *err);

/* Run fn in a view for the DID scope:name (checked first). */
static int
rule_did_view(const char *scope, const char *name, st_txn_fn fn,
    struct list_args *a, struct gr_err *err)
{
	json_t *f = json_pack("{s:s, s:s}", "scope", scope, "name", name);
	int rc;

	if (f == NULL)
		return gr_fail(err, GR_INVALID_PATH, "not UTF-8");
	a->filters = f;
	if ((rc = did_check(scope, name, err)) == GR_OK)
		rc = st_view(fn, a, ST_ONCE, err);
	json_decref(f);
	return rc;
}

int
rule_list_did(const char *scope, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct list_args a = { .emit = emit, .ctx = ctx };

	return rule_did_view(scope, name, rule_did_txn, &a, err);
}

/* A rule named by the first part of a lock's key, once. */
static int
assoc_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	const char *id;
	size_t len;
	char rid[RULE_ID_LEN + 1];
	json_t *rec = NULL;
	int rc;

	(void)key;
	(void)val;
	id = key_part(pkey->data, pkey->size, 0, &len);
	if (id == NULL || len != RULE_ID_LEN)
		return GR_OK;
	memcpy(rid, id, len);
	rid[len] = '\0';
	if (json_object_get(a->seen, rid) != NULL)
		return GR_OK;
	json_object_set_new(a->seen, rid, json_true());
	if (rule_load(a->t, rid, 0, &rec, a->err) != GR_OK) {
		gr_clear(a->err);
		return GR_OK;
	}
	rc = emit_rec(a, rec);
	json_decref(rec);
	return rc;
}

/* The rules on a DID (a->seen NULL) or associated with it. */
static int
rule_did_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	const char *scope = str_of(a->filters, "scope"),
		   *name = str_of(a->filters, "name"), *type;
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *did = NULL;
	bool file;
	int rc;

	a->t = t;
	a->err = err;
	if ((rc = did_load(t, scope, name, 0, &did, err)) != GR_OK)
		return rc;
	type = str_of(did, "type");
	file = type != NULL && strcmp(type, "FILE") == 0;
	json_decref(did);
	klen = did_key(kbuf, scope, name);
	if (a->seen == NULL)
		return st_scan_key(t, TBL_RULES_BY_DID, kbuf, klen, list_one, a,
		    err);
	if (file) {
		klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
		    (char *)NULL);
		return st_scan(t, TBL_LOCKS_BY_REPLICA, kbuf, klen, NULL,
		    assoc_one, a, err);
	}
	if ((rc = st_scan_key(t, TBL_DATASET_LOCKS_BY_DID, kbuf, klen,
		 assoc_one, a, err)) != GR_OK)
		return rc;
	return st_scan_key(t, TBL_RULES_BY_DID, kbuf, klen, list_one, a, err);
}

int
rule_list_associated(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err)
{
	struct list_args a = { .emit = emit,
		.ctx = ctx,
		.seen = json_object() };
	int rc = rule_did_view(scope, name, rule_did_txn, &a, err);

	json_decref(a.seen);
	return rc;
}

static int
rule_account_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	const char *acc = str_of(a->filters, "account");
	int rc;

	DBT k = st_dbt(acc, strlen(acc));

	a->t = t;
	rc = st_exists(t, TBL_ACCOUNTS, &k);
	if (rc == DB_NOTFOUND)
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found", acc);
	if (rc != 0)
		return st_fail(err, rc);
	return st_scan_key(t, TBL_RULES_BY_ACCOUNT, acc, strlen(acc), list_one,
	    a, err);
}

int
rule_list_account(const char *account, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	json_t *f;
	struct list_args a = { .emit = emit, .ctx = ctx };
	int rc;

	if (account == NULL || !valid_account(account))
		return gr_fail(err, GR_ACCOUNT_NOT_FOUND,
		    "Account with ID '%s' cannot be found",
		    account != NULL ? account : "");
	f = json_pack("{s:s}", "account", account);
	a.filters = f;
	rc = st_view(rule_account_txn, &a, ST_ONCE, err);
	json_decref(f);
	return rc;
}

/* --- locks ------------------------------------------------------------- */

struct locks_args {
	const char *id;
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct rule_rse_names names;
	json_t *rule; /* dataset locks: the rules' accounts */
	bool dataset;
	struct gr_err *err;
};

static int
lock_emit(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct locks_args *a = arg;
	const char *k = pkey->data, *p[4], *sv;
	size_t len[4], svl;
	char buf[4][KEY_MAX > 300 ? 300 : KEY_MAX], st[2] = { 'R', 0 };
	json_t *out;
	int i, rc;

	(void)key;
	for (i = 0; i < 4; i++) {
		p[i] = key_part(k, pkey->size, i, &len[i]);
		if (p[i] == NULL || len[i] >= sizeof(buf[i]))
			return GR_OK;
		memcpy(buf[i], p[i], len[i]);
		buf[i][len[i]] = '\0';
	}
	if (jsonx_member(val->data, val->size, "state", &sv, &svl) && svl == 3)
		st[0] = sv[1];
	out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "scope", buf[1],
	    "name", buf[2], "rse_id", buf[3], "rse",
	    rule_rse_name(a->t, &a->names, buf[3]), "state",
	    rule_lock_state_name(st), "rule_id", buf[0]);
	if (a->dataset) {
		json_t *rec = json_loadb(val->data, val->size, 0, NULL), *r;
		const char *acc = NULL;

		r = json_object_get(a->rule, buf[0]);
		if (r == NULL) {
			json_t *rr = NULL;

			if (rule_load(a->t, buf[0], 0, &rr, a->err) != GR_OK)
				gr_clear(a->err);
			json_object_set_new(a->rule, buf[0],
			    rr != NULL
				? json_incref(json_object_get(rr, "account"))
				: json_null());
			json_decref(rr);
			r = json_object_get(a->rule, buf[0]);
		}
		acc = json_string_value(r);
		json_object_set_new(out, "account",
		    acc != NULL ? json_string(acc) : json_null());
		json_object_set_new(out, "length", copy_or_null(rec, "length"));
		json_object_set_new(out, "bytes", copy_or_null(rec, "bytes"));
		json_object_set_new(out, "accessed_at", json_null());
		json_object_set_new(out, "updated_at",
		    jsonx_date(rec, "updated_at"));
		json_decref(rec);
	}
	rc = a->emit(out, a->ctx);
	json_decref(out);
	return rc;
}

int
rule_scan_locks(struct st_txn *t, const char *id, st_scan_fn fn, void *arg,
    json_t **rec, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	json_t *r = NULL;
	size_t klen;
	int rc;

	if ((rc = rule_load(t, id, 0, &r, err)) != GR_OK)
		return rc;
	klen = key_join(kbuf, sizeof(kbuf), str_of(r, "id"), "", (char *)NULL);
	if (rec != NULL)
		*rec = json_incref(r);
	json_decref(r);
	return st_scan(t, TBL_LOCKS, kbuf, klen, NULL, fn, arg, err);
}

static int
locks_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct locks_args *a = arg;

	a->t = t;
	return rule_scan_locks(t, a->id, lock_emit, a, NULL, err);
}

int
rule_locks(const char *id, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct locks_args a = { .id = id, .emit = emit, .ctx = ctx };
	int rc = st_view(locks_txn, &a, ST_ONCE, err);

	rule_rse_names_free(&a.names);
	return rc;
}

struct dslocks_q {
	const char *rse, *scope, *name;
};

static int
dslocks_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct locks_args *a = arg;
	const struct dslocks_q *q = (const void *)a->id;
	char kbuf[KEY_MAX], id[RSE_ID_LEN + 1];
	json_t *did = NULL;
	int rc;

	a->t = t;
	a->err = err;
	if (q->rse != NULL) {
		if ((rc = rse_live_id(t, q->rse, id, err)) != GR_OK)
			return rc;
		return st_scan_key(t, TBL_DATASET_LOCKS_BY_RSE, id, strlen(id),
		    lock_emit, a, err);
	}
	if ((rc = did_load(t, q->scope, q->name, 0, &did, err)) != GR_OK)
		return rc;
	json_decref(did);
	return st_scan_key(t, TBL_DATASET_LOCKS_BY_DID, kbuf,
	    did_key(kbuf, q->scope, q->name), lock_emit, a, err);
}

int
rule_dataset_locks(const char *rse, const char *scope, const char *name,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct dslocks_q q = { rse, scope, name };
	struct locks_args a = { .id = (const char *)&q,
		.emit = emit,
		.ctx = ctx,
		.dataset = true,
		.rule = json_object() };
	int rc = st_view(dslocks_txn, &a, ST_ONCE, err);

	rule_rse_names_free(&a.names);
	json_decref(a.rule);
	return rc;
}

/* POST /locks/bulk_locks_for_dids: the datasets asked for, then their
   locks. */
struct bulk_q {
	const json_t *dids; /* checked: [{scope, name, type?}] */
	json_t *sets;       /* [scope, name] of each dataset, once */
};

static int
bulk_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct locks_args *a = arg;
	struct bulk_q *q = (void *)(uintptr_t)a->id;
	const json_t *d, *set;
	json_t *did = NULL, *seen = json_object();
	char kbuf[KEY_MAX];
	size_t i;
	int rc = GR_OK;

	a->t = t;
	a->err = err;
	json_array_clear(q->sets);
	json_array_foreach(q->dids, i, d) {
		const char *scope = str_of(d, "scope"),
			   *name = str_of(d, "name"), *type = str_of(d, "type");

		if (type == NULL) { /* found out, as upstream does */
			rc = did_load(t, scope, name, 0, &did, err);
			if (rc == GR_DID_NOT_FOUND) {
				gr_clear(err);
				rc = GR_OK;
				continue;
			}
			if (rc != GR_OK)
				break;
			type = strcmp(str_of(did, "type"), "DATASET") == 0
			    ? "dataset"
			    : strcmp(str_of(did, "type"), "CONTAINER") == 0
			    ? "container"
			    : NULL;
			json_decref(did);
			did = NULL;
			if (type == NULL) {
				rc = gr_fail(err, GR_VALUE_ERROR,
				    "Can only get locks for datasets and "
				    "containers.");
				break;
			}
		}
		if (*type == 'd')
			json_array_append_new(q->sets,
			    json_pack("[s, s]", scope, name));
		else if ((rc = rule_child_datasets(t, scope, name, q->sets,
			      err)) != GR_OK)
			break;
	}
	/* every lock once (upstream filters the duplicates) */
	json_array_foreach(q->sets, i, set) {
		const char *s = json_string_value(json_array_get(set, 0)),
			   *n = json_string_value(json_array_get(set, 1));
		size_t kl;
		char *k;

		if (rc != GR_OK)
			break;
		kl = strlen(s) + strlen(n) + 2;
		k = xmalloc(kl);
		(void)snprintf(k, kl, "%s\n%s", s, n);
		if (json_object_get(seen, k) == NULL) {
			json_object_set_new(seen, k, json_true());
			rc = st_scan_key(t, TBL_DATASET_LOCKS_BY_DID, kbuf,
			    did_key(kbuf, s, n), lock_emit, a, err);
		}
		free(k);
	}
	json_decref(seen);
	return rc;
}

int
rule_dataset_locks_bulk(const json_t *dids, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct bulk_q q = { dids, json_array() };
	struct locks_args a = { .id = (const char *)&q,
		.emit = emit,
		.ctx = ctx,
		.dataset = true,
		.rule = json_object() };
	const json_t *d, *type;
	size_t i;
	int rc = GR_OK;

	if (!json_is_array(dids))
		rc = gr_fail(err, GR_TYPE_ERROR, "'dids' must be a list");
	json_array_foreach(dids, i, d) {
		if (rc != GR_OK)
			break;
		type = json_object_get(d, "type");
		if (!json_is_object(d) ||
		    !json_is_string(json_object_get(d, "scope")) ||
		    !json_is_string(json_object_get(d, "name")))
			rc = gr_fail(err, GR_TYPE_ERROR,
			    "each DID must have a scope and a name");
		else if (type != NULL && !json_is_null(type) &&
		    (!json_is_string(type) ||
			(strcmp(json_string_value(type), "dataset") != 0 &&
			    strcmp(json_string_value(type), "container") != 0)))
			rc = gr_fail(err, GR_VALUE_ERROR,
			    "Unknown DID type %.64s",
			    json_is_string(type) ? json_string_value(type)
						 : "?");
	}
	if (rc == GR_OK)
		rc = st_view(bulk_txn, &a, ST_ONCE, err);
	rule_rse_names_free(&a.names);
	json_decref(a.rule);
	json_decref(q.sets);
	return rc;
}

/* --- history ----------------------------------------------------------- */

struct hist_args {
	const char *id, *scope, *name;
	gr_emit_fn emit;
	void *ctx;
};

static int
hist_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct hist_args *a = arg;
	json_t *h = json_loadb(val->data, val->size, 0, NULL), *out;
	const char *st;
	int rc;

	(void)key;
	(void)pkey;
	if (h == NULL)
		return GR_OK;
	st = rule_state_name(str_of(h, "state"));
	out = json_pack("{s:o, s:s, s:O, s:O, s:O}", "updated_at",
	    jsonx_date(h, "updated_at"), "state",
	    st != NULL ? st : "REPLICATING", "locks_ok_cnt",
	    json_object_get(h, "locks_ok_cnt"), "locks_stuck_cnt",
	    json_object_get(h, "locks_stuck_cnt"), "locks_replicating_cnt",
	    json_object_get(h, "locks_replicating_cnt"));
	if (out != NULL && a->id == NULL) {
		json_object_set_new(out, "rule_id", copy_or_null(h, "rule_id"));
		json_object_set_new(out, "created_at",
		    jsonx_date(h, "created_at"));
		json_object_set_new(out, "rse_expression",
		    copy_or_null(h, "rse_expression"));
		json_object_set_new(out, "account", copy_or_null(h, "account"));
	}
	rc = out != NULL ? a->emit(out, a->ctx) : GR_OK;
	json_decref(out);
	json_decref(h);
	return rc;
}

static int
hist_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct hist_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *did = NULL;
	int rc;

	if (a->id != NULL) {
		char low[RULE_ID_LEN + 1];
		size_t i;

		if (strlen(a->id) != RULE_ID_LEN)
			return gr_fail(err, GR_RULE_NOT_FOUND,
			    "No rule with the id %.64s found", a->id);
		for (i = 0; i <= RULE_ID_LEN; i++)
			low[i] = (char)((a->id[i] >= 'A' && a->id[i] <= 'F')
				? a->id[i] + 32
				: a->id[i]);
		klen = key_join(kbuf, sizeof(kbuf), low, "", (char *)NULL);
		return st_scan(t, TBL_RULE_HISTORY, kbuf, klen, NULL, hist_one,
		    a, err);
	}
	if ((rc = did_load(t, a->scope, a->name, 0, &did, err)) != GR_OK)
		return rc;
	json_decref(did);
	return st_scan_key(t, TBL_RULE_HISTORY_BY_DID, kbuf,
	    did_key(kbuf, a->scope, a->name), hist_one, a, err);
}

int
rule_history(const char *id, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct hist_args a = { id, NULL, NULL, emit, ctx };

	return st_view(hist_txn, &a, ST_ONCE, err);
}

int
rule_did_history(const char *scope, const char *name, gr_emit_fn emit,
    void *ctx, struct gr_err *err)
{
	struct hist_args a = { NULL, scope, name, emit, ctx };

	return st_view(hist_txn, &a, ST_ONCE, err);
}

/* --- analysis ---------------------------------------------------------- */

struct an_args {
	const char *id;
	json_t *out;
	struct st_txn *t;
	struct rule_rse_names names;
};

static int
src_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	json_t *srcs = ((void **)arg)[0];
	struct an_args *a = ((void **)arg)[1];
	const char *id, *s;
	size_t len, sl;
	char rid[RSE_ID_LEN + 1];

	(void)pkey;
	id = key_part(key->data, key->size, 2, &len);
	if (id == NULL || len != RSE_ID_LEN ||
	    !jsonx_member(val->data, val->size, "state", &s, &sl) || sl != 3 ||
	    s[1] != 'A')
		return GR_OK;
	memcpy(rid, id, len);
	rid[len] = '\0';
	json_array_append_new(srcs,
	    json_string(rule_rse_name(a->t, &a->names, rid)));
	return GR_OK;
}

static int
an_lock(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct an_args *a = arg;
	const char *k = pkey->data, *sv;
	const char *sc, *nm, *rs;
	size_t sl, nl, rl, svl;
	char scope[300], name[300], rse[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *srcs, *req = NULL, *e;
	void *both[2];
	DBT rk;
	struct gr_err err = { 0 };

	(void)key;
	if (!jsonx_member(val->data, val->size, "state", &sv, &svl) ||
	    svl != 3 || sv[1] != 'S')
		return GR_OK;
	sc = key_part(k, pkey->size, 1, &sl);
	nm = key_part(k, pkey->size, 2, &nl);
	rs = key_part(k, pkey->size, 3, &rl);
	if (sc == NULL || nm == NULL || rs == NULL || sl >= sizeof(scope) ||
	    nl >= sizeof(name) || rl != RSE_ID_LEN)
		return GR_OK;
	memcpy(scope, sc, sl);
	scope[sl] = '\0';
	memcpy(name, nm, nl);
	name[nl] = '\0';
	memcpy(rse, rs, rl);
	rse[rl] = '\0';
	srcs = json_array();
	both[0] = srcs;
	both[1] = a;
	(void)st_scan(a->t, TBL_REPLICAS, kbuf,
	    key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL), NULL,
	    src_one, both, &err);
	rk = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), scope, name, rse, (char *)NULL));
	(void)st_get_json(a->t, TBL_REQUESTS, &rk, &req, 0);
	/* the mover's last failed attempt: its source and time */
	e = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "scope",
	    scope, "name", name, "rse_id", rse, "rse",
	    rule_rse_name(a->t, &a->names, rse), "attempts",
	    int_of(req, "attempts"), "last_error",
	    json_array_size(srcs) == 0 ? json_string("No source replica")
				       : copy_or_null(req, "last_error"),
	    "last_source", copy_or_null(req, "last_source"), "sources", srcs,
	    "last_time", jsonx_date(req, "last_time"));
	json_array_append_new(json_object_get(a->out, "transfers"), e);
	json_decref(req);
	return GR_OK;
}

static int
an_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct an_args *a = arg;
	json_t *rec = NULL;
	int rc;

	a->t = t;
	json_decref(a->out);
	a->out = json_pack("{s:n, s:[]}", "rule_error", "transfers");
	rc = rule_scan_locks(t, a->id, an_lock, a, &rec, err);
	if (rec != NULL && json_object_get(rec, "error") != NULL)
		json_object_set(a->out, "rule_error",
		    json_object_get(rec, "error"));
	json_decref(rec);
	return rc;
}

int
rule_analysis(const char *id, json_t **out, struct gr_err *err)
{
	struct an_args a = { .id = id };
	int rc = st_view(an_txn, &a, 0, err);

	rule_rse_names_free(&a.names);
	*out = rc == GR_OK ? a.out : NULL;
	if (rc != GR_OK)
		json_decref(a.out);
	return rc;
}

/* --- verify ------------------------------------------------------------ */

struct vf_args {
	json_t *rules;  /* id -> {"account","o","r","s"} counted */
	json_t *usage;  /* account \t RSE id -> [files, bytes] from locks */
	json_t *report; /* lines */
	struct st_txn *t;
	struct gr_err *err;
};

static int
vf_rule(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct vf_args *a = arg;
	json_t *r = json_loadb(val->data, val->size, 0, NULL);

	(void)pkey;
	(void)key;
	if (r == NULL)
		return GR_OK;
	json_object_set_new(a->rules, str_of(r, "id"),
	    json_pack("{s:O, s:I, s:I, s:I, s:i, s:i, s:i}", "account",
		json_object_get(r, "account"), "ok", int_of(r, "locks_ok_cnt"),
		"rep", int_of(r, "locks_replicating_cnt"), "stuck",
		int_of(r, "locks_stuck_cnt"), "o", 0, "r", 0, "s", 0));
	json_decref(r);
	return GR_OK;
}

static void
bump(json_t *o, const char *k, json_int_t by)
{
	json_object_set_new(o, k, json_integer(int_of(o, k) + by));
}

static int
vf_lock(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct vf_args *a = arg;
	const char *id, *rse, *sv, *bv;
	size_t il, rl, svl, bvl;
	char rid[RULE_ID_LEN + 1], st[2] = { '?', 0 }, uk[256];
	long long b = 0;
	json_t *r, *u;

	(void)pkey;
	id = key_part(key->data, key->size, 0, &il);
	rse = key_part(key->data, key->size, 3, &rl);
	if (id == NULL || il != RULE_ID_LEN || rse == NULL)
		return GR_OK;
	memcpy(rid, id, il);
	rid[il] = '\0';
	if (jsonx_member(val->data, val->size, "state", &sv, &svl) && svl == 3)
		st[0] = sv[1];
	if (jsonx_member(val->data, val->size, "bytes", &bv, &bvl))
		(void)jsonx_member_int(bv, bvl, &b);
	r = json_object_get(a->rules, rid);
	if (r == NULL) {
		json_array_append_new(a->report,
		    json_sprintf("lock of rule %s, which does not exist", rid));
		return GR_OK;
	}
	bump(r, st[0] == 'O' ? "o" : st[0] == 'S' ? "s" : "r", 1);
	(void)snprintf(uk, sizeof(uk), "%s\t%.*s", str_of(r, "account"),
	    (int)rl, rse);
	if ((u = json_object_get(a->usage, uk)) == NULL) {
		u = json_pack("{s:i, s:i}", "files", 0, "bytes", 0);
		json_object_set_new(a->usage, uk, u);
	}
	bump(u, "files", 1);
	bump(u, "bytes", b);
	return GR_OK;
}

static int
count_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	(void)key;
	(void)pkey;
	(void)val;
	(*(size_t *)arg)++;
	return GR_OK;
}

/* A replica's lock_cnt against the locks filed under it. */
static int
vf_replica(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct vf_args *a = arg;
	const char *v;
	size_t vl;
	long long cnt = 0;
	size_t n = 0;

	(void)pkey;
	if (jsonx_member(val->data, val->size, "lock_cnt", &v, &vl))
		(void)jsonx_member_int(v, vl, &cnt);
	if (st_scan_key(a->t, TBL_LOCKS_BY_REPLICA, key->data, key->size,
		count_one, &n, a->err) != GR_OK)
		return GR_OK;
	if ((long long)n != cnt) {
		const char *s, *nm, *id;
		size_t sl, nl, il;

		s = key_part(key->data, key->size, 0, &sl);
		nm = key_part(key->data, key->size, 1, &nl);
		id = key_part(key->data, key->size, 2, &il);
		json_array_append_new(a->report,
		    json_sprintf("replica %.*s:%.*s on %.*s: lock_cnt %lld, "
				 "%zu locks",
			(int)sl, s, (int)nl, nm, (int)il, id, cnt, n));
	}
	return GR_OK;
}

static int
vf_usage(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct vf_args *a = arg;
	const char *acc, *rse, *v;
	size_t al, rl, vl;
	long long files = 0, bytes = 0;
	char uk[256];
	json_t *u;

	(void)pkey;
	acc = key_part(key->data, key->size, 0, &al);
	rse = key_part(key->data, key->size, 1, &rl);
	if (acc == NULL || rse == NULL)
		return GR_OK;
	if (jsonx_member(val->data, val->size, "files", &v, &vl))
		(void)jsonx_member_int(v, vl, &files);
	if (jsonx_member(val->data, val->size, "bytes", &v, &vl))
		(void)jsonx_member_int(v, vl, &bytes);
	(void)snprintf(uk, sizeof(uk), "%.*s\t%.*s", (int)al, acc, (int)rl,
	    rse);
	u = json_object_get(a->usage, uk);
	if (int_of(u, "files") != files || int_of(u, "bytes") != bytes)
		json_array_append_new(a->report,
		    json_sprintf("usage of %.*s on %.*s: %lld files %lld "
				 "bytes, locks hold %lld files %lld bytes",
			(int)al, acc, (int)rl, rse, files, bytes,
			(long long)int_of(u, "files"),
			(long long)int_of(u, "bytes")));
	if (u != NULL)
		json_object_set_new(u, "seen", json_true());
	return GR_OK;
}

static int
vf_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct vf_args *a = arg;
	const char *key;
	json_t *v;
	int rc;

	a->t = t;
	a->err = err;
	json_object_clear(a->rules);
	json_object_clear(a->usage);
	json_array_clear(a->report);
	if ((rc = st_scan(t, TBL_RULES, NULL, 0, NULL, vf_rule, a, err)) !=
		GR_OK ||
	    (rc = st_scan(t, TBL_LOCKS, NULL, 0, NULL, vf_lock, a, err)) !=
		GR_OK ||
	    (rc = st_scan(t, TBL_REPLICAS, NULL, 0, NULL, vf_replica, a,
		 err)) != GR_OK ||
	    (rc = st_scan(t, TBL_ACCOUNT_USAGE, NULL, 0, NULL, vf_usage, a,
		 err)) != GR_OK)
		return rc;
	json_object_foreach(a->rules, key, v)
		if (int_of(v, "ok") != int_of(v, "o") ||
		    int_of(v, "rep") != int_of(v, "r") ||
		    int_of(v, "stuck") != int_of(v, "s"))
			json_array_append_new(a->report,
			    json_sprintf("rule %s: counters ok %lld "
					 "replicating %lld stuck %lld, locks "
					 "%lld %lld %lld",
				key, (long long)int_of(v, "ok"),
				(long long)int_of(v, "rep"),
				(long long)int_of(v, "stuck"),
				(long long)int_of(v, "o"),
				(long long)int_of(v, "r"),
				(long long)int_of(v, "s")));
	json_object_foreach(a->usage, key, v)
		if (!json_is_true(json_object_get(v, "seen")) &&
		    int_of(v, "files") != 0)
			json_array_append_new(a->report,
			    json_sprintf("usage of %s: none stored, locks "
					 "hold %lld files %lld bytes",
				key, (long long)int_of(v, "files"),
				(long long)int_of(v, "bytes")));
	return GR_OK;
}

int
rule_verify(gr_emit_text_fn emit, void *ctx, long *bad, struct gr_err *err)
{
	struct vf_args a = { json_object(), json_object(), json_array(), NULL,
		NULL };
	size_t i;
	int rc = st_view(vf_txn, &a, 0, err);

	*bad = 0;
	for (i = 0; rc == GR_OK && i < json_array_size(a.report); i++) {
		const char *s = json_string_value(json_array_get(a.report, i));

		(*bad)++;
		rc = emit(s, strlen(s), ctx);
	}
	json_decref(a.rules);
	json_decref(a.usage);
	json_decref(a.report);
	return rc;
}

/* --- GET /rules/<id> as text -----------------------------------------------
 */

/* A record's top-level members, found in one pass. */
struct members {
	struct {
		const char *k, *v;
		size_t kl, vl;
	} e[64];
	size_t n;
};

static bool
member_one(const char *key, size_t klen, const char *val, size_t vlen,
    void *arg)
{
	struct members *m = arg;

	if (m->n < ARRAY_LEN(m->e)) {
		m->e[m->n].k = key;
		m->e[m->n].kl = klen;
		m->e[m->n].v = val;
		m->e[m->n].vl = vlen;
		m->n++;
	}
	return false;
}

static bool
member_get(const struct members *m, const char *key, const char **v, size_t *vl)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < m->n; i++)
		if (m->e[i].kl == kl && memcmp(m->e[i].k, key, kl) == 0) {
			*v = m->e[i].v;
			*vl = m->e[i].vl;
			return true;
		}
	return false;
}

/* How each member of spec 4.5 is written from the stored one. */
enum how { COPY, DATE, STATE, DTYPE, GROUPING, NOTIFY };

static const struct {
	const char *key, *from;
	enum how how;
} shape[] = {
	{ "id", "id", COPY },
	{ "subscription_id", "subscription_id", COPY },
	{ "account", "account", COPY },
	{ "scope", "scope", COPY },
	{ "name", "name", COPY },
	{ "did_type", "did_type", DTYPE },
	{ "state", "state", STATE },
	{ "error", "error", COPY },
	{ "rse_expression", "rse_expression", COPY },
	{ "copies", "copies", COPY },
	{ "expires_at", "expires_at", DATE },
	{ "weight", "weight", COPY },
	{ "locked", "locked", COPY },
	{ "locks_ok_cnt", "locks_ok_cnt", COPY },
	{ "locks_replicating_cnt", "locks_replicating_cnt", COPY },
	{ "locks_stuck_cnt", "locks_stuck_cnt", COPY },
	{ "source_replica_expression", "source_replica_expression", COPY },
	{ "activity", "activity", COPY },
	{ "grouping", "grouping", GROUPING },
	{ "notification", "notification", NOTIFY },
	{ "stuck_at", "stuck_at", DATE },
	{ "purge_replicas", "purge_replicas", COPY },
	{ "ignore_availability", "ignore_availability", COPY },
	{ "ignore_account_limit", "ignore_account_limit", COPY },
	{ "priority", "priority", COPY },
	{ "comments", "comments", COPY },
	{ "child_rule_id", "child_rule_id", COPY },
	{ "eol_at", "eol_at", DATE },
	{ "split_container", "split_container", COPY },
	{ "meta", "meta", COPY },
	{ "created_at", "created_at", DATE },
	{ "updated_at", "updated_at", DATE },
};

/* The rule record's text rendered as rule_render() renders the tree. */
static void
render_text(const char *rec, size_t n, struct sbuf *out)
{
	struct members m = { .n = 0 };
	char date[DATE_RFC1123_LEN], l[2] = { 0, 0 };
	const char *v, *name;
	long long when;
	size_t i, vl;

	(void)jsonx_members(rec, n, member_one, &m);
	out->len = 0;
	sbuf_add(out, "{", 1);
	for (i = 0; i < ARRAY_LEN(shape); i++) {
		bool have = member_get(&m, shape[i].from, &v, &vl);

		if (i > 0)
			sbuf_add(out, ",", 1);
		sbuf_json(out, shape[i].key);
		sbuf_add(out, ":", 1);
		l[0] = have && vl == 3 && *v == '"' ? v[1] : 0;
		switch (shape[i].how) {
		case COPY:
			if (have)
				sbuf_add(out, v, vl);
			else
				sbuf_adds(out, "null");
			continue;
		case DATE:
			if (have && jsonx_member_int(v, vl, &when))
				sbuf_json(out, date_rfc1123(when, date));
			else
				sbuf_adds(out, "null");
			continue;
		case STATE:
			name = rule_state_name(l);
			name = name != NULL ? name : "REPLICATING";
			break;
		case DTYPE:
			name = rule_did_type_name(l[0] ? l : NULL);
			break;
		case GROUPING:
			name = grouping_name(l[0] ? l : NULL);
			break;
		default:
			name = notification_name(l[0] ? l : NULL);
			break;
		}
		sbuf_json(out, name);
	}
	sbuf_add(out, "}", 1);
}

struct text_args {
	const char *id;
	struct sbuf rec, *out;
};

static int
text_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct text_args *a = arg;
	char low[RULE_ID_LEN + 1];
	size_t i;
	DBT k;
	int ret;

	if (a->id == NULL || strlen(a->id) != RULE_ID_LEN)
		return gr_fail(err, GR_RULE_NOT_FOUND,
		    "No rule with the id %.64s found",
		    a->id != NULL ? a->id : "");
	for (i = 0; i <= RULE_ID_LEN; i++)
		low[i] = (char)((a->id[i] >= 'A' && a->id[i] <= 'F')
			? a->id[i] + 32
			: a->id[i]);
	k = st_dbt(low, RULE_ID_LEN);
	ret = st_get_text(t, TBL_RULES, &k, &a->rec);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_RULE_NOT_FOUND,
		    "No rule with the id %s found", low);
	if (ret != 0)
		return st_fail(err, ret);
	render_text(a->rec.s, a->rec.len, a->out);
	return GR_OK;
}

int
rule_get_text(const char *id, struct sbuf *out, struct gr_err *err)
{
	struct text_args a = { .id = id, .out = out };
	int rc = st_view(text_txn, &a, ST_ONEREAD, err);

	sbuf_free(&a.rec);
	return rc;
}
