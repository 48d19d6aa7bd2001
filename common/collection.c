/*
 * collection.c -- datasets and containers (core). See collection.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "collection.h"
#include "date.h"
#include "did.h"
#include "jsonx.h"
#include "log.h"
#include "metaconv.h"
#include "replica.h"
#include "rule.h"
#include "scope.h"
#include "subscription.h"
#include "tables.h"
#include "valid.h"

#define DEPTH_MAX 32 /* containers inside containers */

static const char *
type_of(const json_t *rec)
{
	const char *t = json_string_value(json_object_get(rec, "type"));

	return t != NULL ? t : "";
}

static size_t
content_key(char *buf, const char *ps, const char *pn, const char *cs,
    const char *cn)
{
	return key_join(buf, KEY_MAX, ps, pn, cs, cn, (char *)NULL);
}

/* Is anc (as/an) scope:name itself or one of its ancestors? */
struct above_args {
	struct st_txn *t;
	coll_did_fn fn;
	void *arg;
	json_t *seen; /* {"scope\nname": true} */
	int depth;
	bool stopped; /* fn said ST_STOP: every scan under way ends */
	struct gr_err *err;
};

static int above(struct above_args *a, const char *scope, const char *name);

static int
above_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct above_args *a = arg;
	char *s, *n;
	int rc;

	(void)key;
	(void)val;
	if (!key_did(pkey->data, pkey->size, 0, &s, &n))
		return GR_OK;
	rc = above(a, s, n);
	free(s);
	free(n);
	/* st_scan_key takes ST_STOP for the end of its own scan only */
	return a->stopped ? ST_STOP : rc;
}

static int
above(struct above_args *a, const char *scope, const char *name)
{
	char kbuf[KEY_MAX];
	json_t *k = json_sprintf("%s\n%s", scope, name);
	int rc;

	if (k == NULL || json_object_get(a->seen, json_string_value(k))) {
		json_decref(k);
		return GR_OK;
	}
	json_object_set_new(a->seen, json_string_value(k), json_true());
	json_decref(k);
	if ((rc = a->fn(scope, name, a->arg)) != GR_OK) {
		a->stopped = rc == ST_STOP;
		return rc;
	}
	if (a->depth > DEPTH_MAX)
		return gr_fail(a->err, GR_UNSUPPORTED_OPERATION,
		    "Containers are nested more than %d deep", DEPTH_MAX);
	a->depth++;
	/* the parents: child key exactly scope \0 name */
	rc = st_scan_key(a->t, TBL_CONTENTS_BY_CHILD, kbuf,
	    key_join(kbuf, sizeof(kbuf), scope, name, (char *)NULL), above_one,
	    a, a->err);
	a->depth--;
	return a->stopped ? ST_STOP : rc;
}

int
coll_above(struct st_txn *t, const char *scope, const char *name,
    coll_did_fn fn, void *arg, struct gr_err *err)
{
	struct above_args a = { t, fn, arg, json_object(), 0, false, err };
	int rc = above(&a, scope, name);

	json_decref(a.seen);
	return rc == ST_STOP ? GR_OK : rc;
}

struct within_args {
	const char *scope, *name;
	bool *yes;
};

static int
within_one(const char *scope, const char *name, void *arg)
{
	struct within_args *w = arg;

	if (strcmp(w->scope, scope) != 0 || strcmp(w->name, name) != 0)
		return GR_OK;
	*w->yes = true;
	return ST_STOP;
}

int
coll_within(struct st_txn *t, const char *scope, const char *name,
    const char *ts, const char *tn, bool *yes, struct gr_err *err)
{
	struct within_args w = { ts, tn, yes };

	*yes = false;
	return coll_above(t, scope, name, within_one, &w, err);
}

/* Do provided values match the stored file's? */
static int
consistent(const json_t *given, const json_t *file, const char *scope,
    const char *name, struct gr_err *err)
{
	static const char *const keys[] = { "bytes", "adler32", "md5" };
	size_t i;

	for (i = 0; i < 3; i++) {
		const json_t *g = json_object_get(given, keys[i]);
		const json_t *f = json_object_get(file, keys[i]);
		char *gs, *fs;
		int rc;

		if (g == NULL || json_is_null(g) || f == NULL ||
		    json_equal(jsonx_unconst(g), jsonx_unconst(f)))
			continue;
		gs = json_dumps(g, JSON_ENCODE_ANY);
		fs = json_dumps(f, JSON_ENCODE_ANY);
		rc = gr_fail(err, GR_FILE_CONSISTENCY,
		    "%s mismatch for '%s:%s': %s!=%s", keys[i], scope, name,
		    fs != NULL ? fs : "?", gs != NULL ? gs : "?");
		free(gs);
		free(fs);
		return rc;
	}
	return GR_OK;
}

/* Inside a transaction: attach dids to the collection ps:pn (record
   parent). */
static int
attach_txn(struct st_txn *t, const char *ps, const char *pn,
    const json_t *parent, const json_t *dids, bool ignore_dup,
    struct gr_err *err)
{
	bool dataset = strcmp(type_of(parent), "DATASET") == 0;
	const char *first_type = NULL;
	int64_t now = time_now();
	const json_t *d;
	size_t i;
	int rc, ret;

	if (strcmp(type_of(parent), "FILE") == 0)
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Data identifier '%s:%s' is a file", ps, pn);
	if (!json_is_true(json_object_get(parent, "open")))
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Data identifier '%s:%s' is closed", ps, pn);
	json_array_foreach(dids, i, d) {
		const char *cs = json_string_value(json_object_get(d, "scope"));
		const char *cn = json_string_value(json_object_get(d, "name"));
		char kbuf[KEY_MAX];
		json_t *child = NULL, *rec;
		const char *ct;
		DBT k;

		if (strcmp(cs, ps) == 0 && strcmp(cn, pn) == 0)
			return gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "Self-append is not valid!");
		if ((rc = did_load(t, cs, cn, 0, &child, err)) != GR_OK)
			return rc;
		ct = type_of(child);
		if (dataset) {
			if (strcmp(ct, "FILE") != 0)
				rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
				    "The data identifier '%s:%s' of type %s "
				    "cannot be added to a dataset",
				    cs, cn, ct);
			else if (json_object_get(child, "availability") != NULL)
				rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
				    "The file '%s:%s' is %s", cs, cn,
				    json_string_value(json_object_get(child,
					"availability")));
			else
				rc = consistent(d, child, cs, cn, err);
		} else if (strcmp(ct, "FILE") == 0) {
			rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "Adding a file (%s:%s) to a container (%s:%s) is "
			    "forbidden",
			    cs, cn, ps, pn);
		} else if (first_type != NULL && strcmp(first_type, ct) != 0) {
			rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "Mixed collection is not allowed");
		} else {
			bool cycle = false;

			first_type = strcmp(ct, "DATASET") == 0 ? "DATASET"
								: "CONTAINER";
			rc = coll_within(t, ps, pn, cs, cn, &cycle, err);
			if (rc == GR_OK && cycle)
				rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
				    "Circular attachment detected");
		}
		if (rc != GR_OK) {
			json_decref(child);
			return rc;
		}
		rec = json_pack("{s:s, s:I}", "type", ct, "created_at",
		    (json_int_t)now);
		if (dataset) {
			static const char *const copy[] = { "bytes", "adler32",
				"md5", "guid", "events" };
			size_t j;

			for (j = 0; j < ARRAY_LEN(copy); j++) {
				json_t *v = json_object_get(child, copy[j]);

				if (v != NULL)
					json_object_set(rec, copy[j], v);
			}
		}
		json_decref(child);
		k = st_dbt(kbuf, content_key(kbuf, ps, pn, cs, cn));
		ret = st_put_json(t, TBL_CONTENTS, &k, rec, DB_NOOVERWRITE);
		json_decref(rec);
		if (ret == DB_KEYEXIST) {
			if (ignore_dup)
				continue;
			if (dataset)
				return gr_fail(err, GR_FILE_EXISTS,
				    "The file %s:%s already exists in "
				    "%s:%s",
				    cs, cn, ps, pn);
			return gr_fail(err, GR_DUPLICATE_CONTENT,
			    "The data identifier %s:%s is already attached "
			    "to %s:%s",
			    cs, cn, ps, pn);
		}
		if (ret != 0)
			return st_fail(err, ret);
		if (strcmp(cs, ps) == 0 &&
		    (rc = did_top_update(t, cs, cn, DID_TOP_OUT, err)) != GR_OK)
			return rc;
	}
	/* the rules above the parent take the new content at once */
	return rule_on_attach(t, ps, pn, type_of(parent), dids, err);
}

static int
check_dids(const json_t *dids, struct gr_err *err)
{
	const json_t *d;
	size_t i;
	int rc;

	if (!json_is_array(dids) || json_array_size(dids) > 10000)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: a list of at most 10000 DIDs");
	json_array_foreach(dids, i, d) {
		const json_t *b = json_object_get(d, "bytes");
		const json_t *ad = json_object_get(d, "adler32");
		const json_t *md = json_object_get(d, "md5");

		if (!json_is_object(d))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating dids: item %zu is not an "
			    "object",
			    i);
		if ((rc = did_check(json_string_value(
					json_object_get(d, "scope")),
			 json_string_value(json_object_get(d, "name")), err)) !=
		    GR_OK)
			return rc;
		if ((b != NULL && !json_is_null(b) && !json_is_integer(b)) ||
		    (ad != NULL && !json_is_null(ad) &&
			!did_valid_adler32(json_string_value(ad))) ||
		    (md != NULL && !json_is_null(md) &&
			!did_valid_md5(json_string_value(md))))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating dids: item %zu: bytes, "
			    "adler32 or md5",
			    i);
	}
	return GR_OK;
}

struct coll_args {
	const char *issuer, *scope, *name, *dynamic;
	const char *owner; /* the new DID's account: the issuer if NULL */
	const char *rse;   /* register the files there on the way */
	bool may_add;      /* the issuer's right to add in scope is known */
	const json_t *body, *dids;
	bool ignore_dup, lng;
	const char *parent_scope, *parent_name; /* bulkfiles */
	json_t *out;
	gr_emit_fn emit;
	void *ctx;
	json_int_t length, bytes, events;
	bool any_events;
};

/* With "rse", a dataset's new content is registered there first (as
   Rucio, only for datasets: a container ignores it). */
static int
register_on(struct st_txn *t, const struct coll_args *a, const json_t *parent,
    struct gr_err *err)
{
	if (a->rse == NULL || strcmp(type_of(parent), "DATASET") != 0)
		return GR_OK;
	return replica_add_in(t, a->issuer, a->rse, a->dids, err);
}

/* A collection with nothing but type, statuses and lifetime (what bulk
   creation mostly makes): its record is written as text, no tree built. */
static bool
plain_coll(const struct coll_args *a)
{
	const json_t *v;

	if (a->dids != NULL)
		return false;
	v = json_object_get(a->body, "meta");
	if (v != NULL && !json_is_null(v) && json_object_size(v) > 0)
		return false;
	v = json_object_get(a->body, "rules");
	return v == NULL || !json_is_array(v) || json_array_size(v) == 0;
}

static int
plain_add(struct st_txn *t, const struct coll_args *a, int64_t now,
    struct gr_err *err)
{
	const json_t *b = a->body, *v;
	struct sbuf text = { 0 };
	int rc;

	/* the fields and order of the tree add_txn builds */
	sbuf_adds(&text, "{\"type\":");
	sbuf_json(&text, json_string_value(json_object_get(b, "type")));
	sbuf_adds(&text, ",\"account\":");
	sbuf_json(&text, a->owner != NULL ? a->owner : a->issuer);
	sbuf_adds(&text,
	    json_is_true(
		json_object_get(json_object_get(b, "statuses"), "monotonic"))
		? ",\"open\":true,\"monotonic\":true"
		: ",\"open\":true,\"monotonic\":false");
	sbuf_adds(&text, ",\"created_at\":");
	sbuf_addi(&text, (long long)now);
	sbuf_adds(&text, ",\"updated_at\":");
	sbuf_addi(&text, (long long)now);
	if ((v = json_object_get(b, "lifetime")) != NULL && !json_is_null(v)) {
		sbuf_adds(&text, ",\"expired_at\":");
		sbuf_addi(&text,
		    (long long)now + (long long)json_number_value(v));
	}
	sbuf_add(&text, "}", 1);
	rc = did_store_text(t, a->scope, a->name, &text, DB_NOOVERWRITE, err);
	sbuf_free(&text);
	return rc;
}

/*
 * The rules given with a new collection ([{copies, rse_expression,
 * account?, grouping?, lifetime?, ...}], POST /rules/'s options without
 * dids): each made on it, in the same transaction, as Rucio's add_did.
 */
static int
add_rules(struct st_txn *t, const struct coll_args *a, const json_t *rules,
    struct gr_err *err)
{
	json_t *ids = json_array(), *spec;
	const json_t *r;
	size_t i;
	int rc = GR_OK;

	if (!json_is_array(rules) && !json_is_null(rules))
		rc = gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: 'rules' is not an array");
	json_array_foreach(rules, i, r) {
		if (rc != GR_OK)
			break;
		if (!json_is_object(r)) {
			rc = gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating dids: a rule is not a "
			    "dictionary");
			break;
		}
		spec = json_deep_copy(r);
		json_object_set_new(spec, "dids",
		    json_pack("[{s:s, s:s}]", "scope", a->scope, "name",
			a->name));
		rc = rule_add_in(t, a->issuer, spec, ids, err);
		json_decref(spec);
	}
	json_decref(ids);
	return rc;
}

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	const json_t *b = a->body, *v;
	int64_t now = time_now();
	json_t *rec;
	int rc;

	if (!a->may_add &&
	    (rc = did_may_add(t, a->issuer, a->scope, err)) != GR_OK)
		return rc;
	if (plain_coll(a))
		return plain_add(t, a, now, err);
	rec = json_pack("{s:s, s:s, s:b, s:b, s:I, s:I}", "type",
	    json_string_value(json_object_get(b, "type")), "account",
	    a->owner != NULL ? a->owner : a->issuer, "open", 1, "monotonic",
	    json_is_true(
		json_object_get(json_object_get(b, "statuses"), "monotonic")),
	    "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	if ((v = json_object_get(b, "meta")) != NULL && !json_is_null(v) &&
	    ((rc = metaconv_check_meta(t, type_of(rec), v, err)) != GR_OK ||
		(rc = did_meta_apply(rec, v, a->issuer, now, err)) != GR_OK))
		goto out;
	if ((v = json_object_get(b, "lifetime")) != NULL && !json_is_null(v))
		json_object_set_new(rec, "expired_at",
		    json_integer(now + (json_int_t)json_number_value(v)));
	if ((rc = did_store(t, a->scope, a->name, rec, DB_NOOVERWRITE, err)) !=
	    GR_OK)
		goto out;
	if (a->dids != NULL && (rc = register_on(t, a, rec, err)) == GR_OK)
		rc = attach_txn(t, a->scope, a->name, rec, a->dids, false, err);
	if (rc == GR_OK && (v = json_object_get(b, "rules")) != NULL)
		rc = add_rules(t, a, v, err);
out:
	json_decref(rec);
	return rc;
}

/* The checks of one collection to create, before any transaction. */
static int
check_coll(const char *scope, const char *name, const json_t *body,
    struct gr_err *err)
{
	const char *type = json_string_value(json_object_get(body, "type"));
	const json_t *v;
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	if (type == NULL)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating type: DATASET or CONTAINER");
	if (strcmp(type, "FILE") == 0 || strcmp(type, "F") == 0)
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Only collection (dataset/container) can be registered.");
	if (strcmp(type, "DATASET") != 0 && strcmp(type, "CONTAINER") != 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating type: DATASET or CONTAINER");
	if ((v = json_object_get(body, "lifetime")) != NULL &&
	    !json_is_null(v) &&
	    (!json_is_number(v) || json_number_value(v) < 0 ||
		json_number_value(v) > 1e11))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating lifetime: seconds >= 0");
	if ((v = json_object_get(body, "statuses")) != NULL &&
	    !json_is_null(v) && !json_is_object(v))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating statuses: an object");
	if ((v = json_object_get(body, "rse")) != NULL && !json_is_null(v) &&
	    !json_is_string(v))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating rse: an RSE name");
	if ((v = json_object_get(body, "dids")) != NULL && !json_is_null(v))
		return check_dids(v, err);
	return GR_OK;
}

/*
 * After new collections committed: the subscriptions they match give them
 * their rules (subscription.h). What fails there is logged: the DIDs
 * exist, and a sweep of the backends takes new DIDs left behind.
 */
static void
transmogrify(json_t *dids)
{
	struct gr_err err = { 0 };

	if (sub_new_dids(dids, &err) != GR_OK)
		log_msg(LOG_WARN, "subscriptions: %s", err.msg);
	json_decref(dids);
}

int
coll_add(const char *issuer, const char *scope, const char *name,
    const json_t *body, struct gr_err *err)
{
	struct coll_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.body = body };
	const json_t *v;
	int rc;

	if ((rc = check_coll(scope, name, body, err)) != GR_OK)
		return rc;
	if ((v = json_object_get(body, "dids")) != NULL && !json_is_null(v))
		a.dids = v;
	a.rse = json_string_value(json_object_get(body, "rse"));
	if ((rc = st_txn_run(add_txn, &a, err)) == GR_OK)
		transmogrify(
		    json_pack("[{s:s, s:s}]", "scope", scope, "name", name));
	return rc;
}

static int
bulk_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	const char *granted = NULL; /* the last scope the issuer may add to */
	const char *owned = NULL;   /* the last other owner checked */
	const json_t *item, *v;
	int admin = -1;
	size_t i;
	int rc;

	json_array_foreach(a->dids, i, item) {
		struct coll_args one = { .issuer = a->issuer,
			.scope = json_string_value(
			    json_object_get(item, "scope")),
			.name = json_string_value(
			    json_object_get(item, "name")),
			.body = item,
			.rse = json_string_value(
			    json_object_get(item, "rse")) };

		if ((v = json_object_get(item, "dids")) != NULL &&
		    !json_is_null(v))
			one.dids = v;
		one.owner = json_string_value(json_object_get(item, "account"));
		if (one.owner != NULL &&
		    (owned == NULL || strcmp(owned, one.owner) != 0)) {
			if ((rc = account_may_act_for(t, a->issuer, one.owner,
				 &admin, "add data identifiers for account",
				 err)) != GR_OK)
				return rc;
			owned = one.owner;
		}
		/* the right is checked once per run of the same scope */
		one.may_add = granted != NULL &&
		    strcmp(granted, one.scope) == 0;
		if ((rc = add_txn(t, &one, err)) != GR_OK)
			return rc;
		granted = one.scope;
	}
	return GR_OK;
}

int
coll_add_bulk(const char *issuer, const json_t *list, struct gr_err *err)
{
	struct coll_args a = { .issuer = issuer, .dids = list };
	const json_t *item;
	size_t i;
	int rc;

	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > 1000)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: a list of 1 to 1000 "
		    "collections");
	json_array_foreach(list, i, item) {
		const json_t *acc = json_object_get(item, "account");

		if (!json_is_object(item))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating dids: item %zu is not an "
			    "object",
			    i);
		if (acc != NULL && !json_is_null(acc) &&
		    (!json_is_string(acc) ||
			!valid_account(json_string_value(acc))))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating account: item %zu needs an "
			    "account name",
			    i);
		if ((rc = check_coll(json_string_value(
					 json_object_get(item, "scope")),
			 json_string_value(json_object_get(item, "name")), item,
			 err)) != GR_OK)
			return rc;
	}
	if ((rc = st_txn_run(bulk_txn, &a, err)) == GR_OK)
		transmogrify(json_incref(jsonx_unconst(list)));
	return rc;
}

/* Sum the files below (for closing and dynamic_depth=FILE). */
static int
sum_file(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	struct coll_args *a = arg;
	const char *v;
	size_t vlen;
	long long x;

	(void)scope;
	(void)name;
	a->length++;
	if (jsonx_member(rec, n, "bytes", &v, &vlen) &&
	    jsonx_member_int(v, vlen, &x))
		a->bytes += x;
	if (jsonx_member(rec, n, "events", &v, &vlen) &&
	    jsonx_member_int(v, vlen, &x)) {
		a->events += x;
		a->any_events = true;
	}
	return GR_OK;
}

static json_t *
render(const char *scope, const char *name, const json_t *rec)
{
	const char *type = type_of(rec);
	const json_t *v;
	char date[DATE_RFC1123_LEN];
	json_t *out;

	if (strcmp(type, "FILE") == 0) {
		out = json_pack("{s:s, s:s, s:s, s:O, s:O, s:i}", "scope",
		    scope, "name", name, "type", type, "account",
		    json_object_get(rec, "account"), "bytes",
		    json_object_get(rec, "bytes"), "length", 1);
		v = json_object_get(rec, "md5");
		json_object_set_new(out, "md5",
		    v != NULL ? json_incref(jsonx_unconst(v)) : json_null());
		v = json_object_get(rec, "adler32");
		json_object_set_new(out, "adler32",
		    v != NULL ? json_incref(jsonx_unconst(v)) : json_null());
		return out;
	}
	out = json_pack("{s:s, s:s, s:s, s:O, s:b, s:b}", "scope", scope,
	    "name", name, "type", type, "account",
	    json_object_get(rec, "account"), "open",
	    json_is_true(json_object_get(rec, "open")), "monotonic",
	    json_is_true(json_object_get(rec, "monotonic")));
	v = json_object_get(rec, "expired_at");
	json_object_set_new(out, "expired_at",
	    json_is_integer(v)
		? json_string(date_rfc1123(json_integer_value(v), date))
		: json_null());
	v = json_object_get(rec, "length");
	json_object_set_new(out, "length",
	    v != NULL ? json_incref(jsonx_unconst(v)) : json_null());
	v = json_object_get(rec, "bytes");
	json_object_set_new(out, "bytes",
	    v != NULL ? json_incref(jsonx_unconst(v)) : json_null());
	return out;
}

struct child_sum {
	struct st_txn *t;
	struct coll_args *a;
	struct gr_err *err;
};

/* dynamic_depth=DATASET on a container: the stored figures of the
   datasets below, and files below each dataset counted when open. */
static int
sum_child(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct child_sum *c = arg;
	char *s, *n;
	json_t *rec = NULL;
	int rc = GR_OK;

	(void)key;
	(void)val;
	if (!key_did(pkey->data, pkey->size, 2, &s, &n))
		return GR_OK;
	if (did_load(c->t, s, n, 0, &rec, c->err) == GR_OK) {
		if (strcmp(type_of(rec), "CONTAINER") == 0) {
			char kbuf[KEY_MAX];
			size_t klen = key_join(kbuf, sizeof(kbuf), s, n, "",
			    (char *)NULL);

			rc = st_scan(c->t, TBL_CONTENTS, kbuf, klen, NULL,
			    sum_child, c, c->err);
		} else {
			c->a->length += json_integer_value(
			    json_object_get(rec, "length"));
			c->a->bytes += json_integer_value(
			    json_object_get(rec, "bytes"));
		}
	} else {
		gr_clear(c->err);
	}
	json_decref(rec);
	free(s);
	free(n);
	return rc;
}

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	json_t *rec;
	int rc;

	/* the body may run again (after a recovery): start afresh */
	json_decref(a->out);
	a->out = NULL;
	if ((rc = did_load(t, a->scope, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	a->out = render(a->scope, a->name, rec);
	if (a->dynamic != NULL && strcmp(type_of(rec), "FILE") != 0) {
		a->length = a->bytes = 0;
		if (strcmp(a->dynamic, "DATASET") == 0 &&
		    strcmp(type_of(rec), "CONTAINER") == 0) {
			struct child_sum c = { t, a, err };
			char kbuf[KEY_MAX];
			size_t klen = key_join(kbuf, sizeof(kbuf), a->scope,
			    a->name, "", (char *)NULL);

			rc = st_scan(t, TBL_CONTENTS, kbuf, klen, NULL,
			    sum_child, &c, err);
		} else {
			rc = coll_files_below(t, a->scope, a->name, sum_file, a,
			    err);
		}
		json_object_set_new(a->out, "length", json_integer(a->length));
		json_object_set_new(a->out, "bytes", json_integer(a->bytes));
	}
	json_decref(rec);
	return rc;
}

int
coll_get(const char *scope, const char *name, const char *dynamic, json_t **out,
    struct gr_err *err)
{
	struct coll_args a = { .scope = scope, .name = name };
	int rc;

	*out = NULL;
	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	if (dynamic != NULL) {
		if (strcmp(dynamic, "FILE") != 0 &&
		    strcmp(dynamic, "DATASET") != 0)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "dynamic_depth must be FILE or DATASET");
		a.dynamic = dynamic;
	}
	/* without dynamic figures the view is one record: no transaction */
	rc = st_view(get_txn, &a, dynamic == NULL ? ST_ONEREAD : 0, err);
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

static int
attach_outer_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	json_t *parent;
	int rc;

	if ((rc = did_load(t, a->scope, a->name, DB_RMW, &parent, err)) !=
	    GR_OK)
		return rc;
	rc = did_may_add(t, a->issuer, a->scope, err);
	if (rc == GR_OK)
		rc = register_on(t, a, parent, err);
	if (rc == GR_OK)
		rc = attach_txn(t, a->scope, a->name, parent, a->dids,
		    a->ignore_dup, err);
	json_decref(parent);
	return rc;
}

int
coll_attach(const char *issuer, const char *scope, const char *name,
    const json_t *dids, bool ignore_duplicate, struct gr_err *err)
{
	return coll_attach_rse(issuer, scope, name, dids, NULL,
	    ignore_duplicate, err);
}

int
coll_attach_rse(const char *issuer, const char *scope, const char *name,
    const json_t *dids, const char *rse, bool ignore_duplicate,
    struct gr_err *err)
{
	struct coll_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.dids = dids,
		.rse = rse,
		.ignore_dup = ignore_duplicate };
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK ||
	    (rc = check_dids(dids, err)) != GR_OK)
		return rc;
	return st_txn_run(attach_outer_txn, &a, err);
}

/* A child as the content listings show it, from its contents (or
   history) record; NULL if the key is not one of a child. */
static json_t *
child_item(const DBT *key, const json_t *rec)
{
	static const char *const keys[] = { "bytes", "adler32", "md5" };
	json_t *item;
	char *s, *n;
	size_t i;

	if (rec == NULL || !key_did(key->data, key->size, 2, &s, &n))
		return NULL;
	item = json_pack("{s:s, s:s, s:O}", "scope", s, "name", n, "type",
	    json_object_get(rec, "type"));
	for (i = 0; i < ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);

		json_object_set_new(item, keys[i],
		    v != NULL ? json_incref(v) : json_null());
	}
	free(s);
	free(n);
	return item;
}

static int
content_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct coll_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	json_t *item = child_item(key, rec);
	int rc = item != NULL ? a->emit(item, a->ctx) : GR_OK;

	(void)pkey;
	json_decref(item);
	json_decref(rec);
	return rc;
}

/* Inside a view: the DID a names must exist; then fn over its children
   in tbl (contents or their history). */
static int
scan_children(struct st_txn *t, struct coll_args *a, enum tbl_id tbl,
    st_scan_fn fn, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *rec;
	int rc;

	if ((rc = did_load(t, a->scope, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	klen = key_join(kbuf, sizeof(kbuf), a->scope, a->name, "",
	    (char *)NULL);
	return st_scan(t, tbl, kbuf, klen, NULL, fn, a, err);
}

/* The DID scope:name checked, then txn in a view over the coll_args of
   a listing (contents, history, parents, files) that ends with emit. */
static int
listing(st_txn_fn txn, const char *scope, const char *name, bool lng,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct coll_args a = { .scope = scope,
		.name = name,
		.emit = emit,
		.ctx = ctx,
		.lng = lng };
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	return st_view(txn, &a, ST_ONCE, err);
}

static int
contents_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return scan_children(t, arg, TBL_CONTENTS, content_one, err);
}

int
coll_contents(const char *scope, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	return listing(contents_txn, scope, name, false, emit, ctx, err);
}

static int
status_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	bool open = json_is_true(json_object_get(a->body, "open"));
	int64_t now = time_now();
	json_t *rec;
	int rc;

	if ((rc = did_load(t, a->scope, a->name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if ((rc = did_may_add(t, a->issuer, a->scope, err)) != GR_OK)
		goto out;
	if (strcmp(type_of(rec), "FILE") == 0 ||
	    json_is_true(json_object_get(rec, "open")) == open) {
		rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "The status of the data identifier '%s:%s' cannot be "
		    "changed",
		    a->scope, a->name);
		goto out;
	}
	json_object_set_new(rec, "open", json_boolean(open));
	json_object_set_new(rec, "updated_at", json_integer(now));
	if (!open) {
		a->length = a->bytes = a->events = 0;
		if ((rc = coll_files_below(t, a->scope, a->name, sum_file, a,
			 err)) != GR_OK)
			goto out;
		json_object_set_new(rec, "length", json_integer(a->length));
		json_object_set_new(rec, "bytes", json_integer(a->bytes));
		if (a->any_events)
			json_object_set_new(rec, "events",
			    json_integer(a->events));
		json_object_set_new(rec, "closed_at", json_integer(now));
	}
	if ((rc = did_store(t, a->scope, a->name, rec, 0, err)) == GR_OK &&
	    !open)
		rc = rule_on_close(t, a->scope, a->name, err);
out:
	json_decref(rec);
	return rc;
}

int
coll_set_status(const char *issuer, const char *scope, const char *name,
    const json_t *body, struct gr_err *err)
{
	struct coll_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.body = body };
	const char *key;
	json_t *v;
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	json_object_foreach(jsonx_unconst(body), key, v) {
		if (strcmp(key, "open") != 0)
			return gr_fail(err, GR_UNSUPPORTED_STATUS,
			    "The status '%.40s' is not supported", key);
		if (!json_is_boolean(v))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "'open' must be true or false");
	}
	if (json_object_get(body, "open") == NULL)
		return gr_fail(err, GR_KEY_ERROR, "'open' not defined");
	return st_txn_run(status_txn, &a, err);
}

struct below_args {
	struct st_txn *t;
	const char *type; /* of the DIDs fn is for */
	coll_file_fn fn;
	void *arg;
	int depth;
	struct gr_err *err;
};

/* Is the JSON text raw[0..n) the string type? */
static bool
raw_is(const char *raw, size_t n, const char *type)
{
	size_t len = strlen(type);

	return n == len + 2 && raw[0] == '"' &&
	    memcmp(raw + 1, type, len) == 0 && raw[len + 1] == '"';
}

static int below(struct below_args *b, const char *scope, const char *name);

static int
below_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct below_args *b = arg;
	const char *type = NULL;
	size_t tlen;
	char *s, *n;
	int rc = GR_OK;

	(void)pkey;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	if (!jsonx_member(val->data, val->size, "type", &type, &tlen))
		tlen = 0;
	if (raw_is(type, tlen, b->type))
		rc = b->fn(s, n, val->data, val->size, b->arg);
	else if (raw_is(type, tlen, "DATASET") ||
	    raw_is(type, tlen, "CONTAINER"))
		rc = below(b, s, n);
	free(s);
	free(n);
	return rc;
}

static int
below(struct below_args *b, const char *scope, const char *name)
{
	char kbuf[KEY_MAX];
	size_t klen;
	int rc;

	if (b->depth >= DEPTH_MAX)
		return gr_fail(b->err, GR_UNSUPPORTED_OPERATION,
		    "Containers are nested more than %d deep", DEPTH_MAX);
	b->depth++;
	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	rc = st_scan(b->t, TBL_CONTENTS, kbuf, klen, NULL, below_one, b,
	    b->err);
	b->depth--;
	return rc;
}

int
coll_below(struct st_txn *t, const char *scope, const char *name,
    const char *type, coll_file_fn fn, void *arg, struct gr_err *err)
{
	struct below_args b = { t, type, fn, arg, 0, err };

	return below(&b, scope, name);
}

int
coll_files_below(struct st_txn *t, const char *scope, const char *name,
    coll_file_fn fn, void *arg, struct gr_err *err)
{
	struct sbuf rec = { 0 };
	char kbuf[KEY_MAX];
	const char *type;
	size_t tlen;
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	int ret, rc;

	ret = st_get_text(t, TBL_DIDS, &k, &rec);
	if (ret != 0) {
		sbuf_free(&rec);
		return ret == DB_NOTFOUND
		    ? gr_fail(err, GR_DID_NOT_FOUND,
			  "Data identifier '%s:%s' not found", scope, name)
		    : st_fail(err, ret);
	}
	if (jsonx_member(rec.s, rec.len, "type", &type, &tlen) && tlen == 6 &&
	    memcmp(type, "\"FILE\"", 6) == 0)
		rc = fn(scope, name, rec.s, rec.len, arg);
	else
		rc = coll_below(t, scope, name, "FILE", fn, arg, err);
	sbuf_free(&rec);
	return rc;
}

int
coll_unlink(struct st_txn *t, json_t *parent, const char *ps, const char *pn,
    const char *cs, const char *cn, int64_t now, bool *changed,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	json_t *child = NULL;
	DBT k = st_dbt(kbuf, content_key(kbuf, ps, pn, cs, cn));
	int ret;

	ret = st_get_json(t, TBL_CONTENTS, &k, &child, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_DID_NOT_FOUND,
		    "Data identifier '%s:%s' not found under '%s:%s'", cs, cn,
		    ps, pn);
	if (ret == 0)
		ret = st_del(t, TBL_CONTENTS, &k);
	if (ret != 0) {
		json_decref(child);
		return st_fail(err, ret);
	}
	/* a figure of the parent that is set follows */
	if (json_object_get(parent, "length") != NULL) {
		const char *fig[] = { "length", "bytes", "events" };
		json_int_t by[] = { 1,
			json_integer_value(json_object_get(child, "bytes")),
			json_integer_value(json_object_get(child, "events")) };
		size_t j;

		for (j = 0; j < 3; j++)
			if (json_object_get(parent, fig[j]) != NULL)
				json_object_set_new(parent, fig[j],
				    json_integer(
					json_integer_value(
					    json_object_get(parent, fig[j])) -
					by[j]));
		*changed = true;
	}
	json_object_set_new(child, "deleted_at", json_integer(now));
	ret = st_put_json(t, TBL_CONTENTS_HIST, &k, child, 0);
	json_decref(child);
	if (ret != 0)
		return st_fail(err, ret);
	/* back at the top of its scope, unless another parent there holds it */
	return strcmp(cs, ps) == 0
	    ? did_top_update(t, cs, cn, DID_TOP_CHECK, err)
	    : GR_OK;
}

static int
detach_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	json_t *parent;
	int64_t now = time_now();
	const json_t *d;
	size_t i;
	int rc = GR_OK;
	bool changed = false;

	if ((rc = did_load(t, a->scope, a->name, DB_RMW, &parent, err)) !=
	    GR_OK)
		return rc;
	if ((rc = did_may_add(t, a->issuer, a->scope, err)) != GR_OK)
		goto out;
	if (strcmp(type_of(parent), "FILE") == 0) {
		rc = gr_fail(err, GR_DID_NOT_FOUND,
		    "Data identifier '%s:%s' has no child data identifiers.",
		    a->scope, a->name);
		goto out;
	}
	json_array_foreach(a->dids, i, d) {
		const char *cs = json_string_value(json_object_get(d, "scope"));
		const char *cn = json_string_value(json_object_get(d, "name"));

		if (strcmp(cs, a->scope) == 0 && strcmp(cn, a->name) == 0) {
			rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "Self-detach is not valid.");
			goto out;
		}
		rc = coll_unlink(t, parent, a->scope, a->name, cs, cn, now,
		    &changed, err);
		if (rc == GR_OK)
			rc = rule_on_detach(t, a->scope, a->name, cs, cn, err);
		if (rc != GR_OK)
			goto out;
	}
	if (changed) {
		json_object_set_new(parent, "updated_at", json_integer(now));
		rc = did_store(t, a->scope, a->name, parent, 0, err);
	}
out:
	json_decref(parent);
	return rc;
}

int
coll_detach(const char *issuer, const char *scope, const char *name,
    const json_t *dids, struct gr_err *err)
{
	struct coll_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.dids = dids };
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK ||
	    (rc = check_dids(dids, err)) != GR_OK)
		return rc;
	if (json_array_size(dids) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: nothing to detach");
	return st_txn_run(detach_txn, &a, err);
}

static int
history_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct coll_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	json_t *item = child_item(key, rec);
	char d1[DATE_RFC1123_LEN], d2[DATE_RFC1123_LEN];
	int rc;

	(void)pkey;
	if (item == NULL) {
		json_decref(rec);
		return GR_OK;
	}
	date_rfc1123(json_integer_value(json_object_get(rec, "deleted_at")),
	    d1);
	date_rfc1123(json_integer_value(json_object_get(rec, "created_at")),
	    d2);
	/* a detached child's row was last changed when it was detached */
	json_object_set_new(item, "deleted_at", json_string(d1));
	json_object_set_new(item, "created_at", json_string(d2));
	json_object_set_new(item, "updated_at", json_string(d1));
	rc = a->emit(item, a->ctx);
	json_decref(item);
	json_decref(rec);
	return rc;
}

static int
history_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return scan_children(t, arg, TBL_CONTENTS_HIST, history_one, err);
}

int
coll_history(const char *scope, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	return listing(history_txn, scope, name, false, emit, ctx, err);
}

struct parent_args {
	struct coll_args *a;
	struct st_txn *t;
	struct gr_err *err;
};

static int
parent_emit(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct parent_args *p = arg;
	json_t *rec = NULL, *item;
	char *s, *n;
	int rc = GR_OK;

	(void)key;
	(void)val;
	if (!key_did(pkey->data, pkey->size, 0, &s, &n))
		return GR_OK;
	if (did_load(p->t, s, n, 0, &rec, p->err) == GR_OK) {
		item = json_pack("{s:s, s:s, s:s}", "scope", s, "name", n,
		    "type", type_of(rec));
		rc = p->a->emit(item, p->a->ctx);
		json_decref(item);
	} else {
		gr_clear(p->err);
	}
	json_decref(rec);
	free(s);
	free(n);
	return rc;
}

static int
parents_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	struct parent_args p = { a, t, err };
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *rec;
	int rc;

	if ((rc = did_load(t, a->scope, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	klen = key_join(kbuf, sizeof(kbuf), a->scope, a->name, (char *)NULL);
	return st_scan_key(t, TBL_CONTENTS_BY_CHILD, kbuf, klen, parent_emit,
	    &p, err);
}

int
coll_parents(const char *scope, const char *name, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	return listing(parents_txn, scope, name, false, emit, ctx, err);
}

static int
file_emit(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	struct coll_args *a = arg;
	json_t *r = json_loadb(rec, n, 0, NULL), *item, *v;
	char *up = NULL, *p;
	int rc;

	item = json_pack("{s:s, s:s}", "scope", scope, "name", name);
	json_object_set_new(item, "bytes",
	    (v = json_object_get(r, "bytes")) ? json_incref(v) : json_null());
	json_object_set_new(item, "adler32",
	    (v = json_object_get(r, "adler32")) ? json_incref(v) : json_null());
	if ((v = json_object_get(r, "guid")) != NULL && json_is_string(v)) {
		up = xstrdup(json_string_value(v));
		for (p = up; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	}
	json_object_set_new(item, "guid", up ? json_string(up) : json_null());
	free(up);
	json_object_set_new(item, "events",
	    (v = json_object_get(r, "events")) ? json_incref(v) : json_null());
	if (a->lng)
		json_object_set_new(item, "lumiblocknr",
		    (v = json_object_get(r, "lumiblocknr")) ? json_incref(v)
							    : json_null());
	if (a->parent_scope != NULL) {
		json_object_set_new(item, "parent_scope",
		    json_string(a->parent_scope));
		json_object_set_new(item, "parent_name",
		    json_string(a->parent_name));
	}
	rc = a->emit(item, a->ctx);
	json_decref(item);
	json_decref(r);
	return rc;
}

static int
bulk_files_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;
	const json_t *d;
	size_t i;
	int rc;

	json_array_foreach(a->dids, i, d) {
		a->parent_scope = json_string_value(
		    json_object_get(d, "scope"));
		a->parent_name = json_string_value(json_object_get(d, "name"));
		rc = coll_files_below(t, a->parent_scope, a->parent_name,
		    file_emit, a, err);
		if (rc == GR_DID_NOT_FOUND) {
			gr_clear(err); /* unknown DIDs are skipped */
			continue;
		}
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
coll_bulk_files(const json_t *dids, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct coll_args a = { .dids = dids, .emit = emit, .ctx = ctx };
	int rc;

	if ((rc = check_dids(dids, err)) != GR_OK)
		return rc;
	return st_view(bulk_files_txn, &a, ST_ONCE, err);
}

static int
files_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_args *a = arg;

	return coll_files_below(t, a->scope, a->name, file_emit, a, err);
}

int
coll_files(const char *scope, const char *name, bool lng, gr_emit_fn emit,
    void *ctx, struct gr_err *err)
{
	return listing(files_txn, scope, name, lng, emit, ctx, err);
}

struct coll_scope_list {
	struct st_txn *t;
	struct gr_err *err;
	const char *scope;
	bool recursive;
	gr_emit_text_fn emit;
	void *ctx;
	struct sbuf line;
	struct sbuf rec; /* top_one: the DID's record */
	int depth;
};

static void
raw_member(struct sbuf *out, const void *rec, size_t n, const char *key)
{
	const char *v;
	size_t vlen;

	if (jsonx_member(rec, n, key, &v, &vlen))
		sbuf_add(out, v, vlen);
	else
		sbuf_add(out, "null", 4);
}

struct type_bytes {
	const char *type, *bytes; /* the members' text, or NULL */
	size_t tlen, blen;
};

static bool
type_bytes(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct type_bytes *tb = arg;

	if (klen == 4 && memcmp(k, "type", 4) == 0) {
		tb->type = v;
		tb->tlen = vlen;
	} else if (klen == 5 && memcmp(k, "bytes", 5) == 0) {
		tb->bytes = v;
		tb->blen = vlen;
	}
	return tb->type != NULL && tb->bytes != NULL;
}

/* A top-level DID of the scope (a key of TBL_DIDS_TOP) and its line. */
static int
top_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct coll_scope_list *l = arg;
	struct type_bytes tb;
	const char *nm;
	char *name;
	size_t nl;
	int ret;

	(void)pkey;
	(void)val;
	nm = key_part(key->data, key->size, 1, &nl);
	if (nm == NULL)
		return GR_OK;
	ret = st_get_text(l->t, TBL_DIDS, key, &l->rec);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(l->err, ret);
	/* both members in one pass over the record */
	memset(&tb, 0, sizeof(tb));
	(void)jsonx_members(l->rec.s, l->rec.len, type_bytes, &tb);
	l->line.len = 0;
	sbuf_adds(&l->line, "{\"scope\":");
	sbuf_json(&l->line, l->scope);
	sbuf_adds(&l->line, ",\"name\":");
	name = xstrndup(nm, nl);
	sbuf_json(&l->line, name);
	free(name);
	sbuf_adds(&l->line, ",\"type\":");
	if (tb.type != NULL)
		sbuf_add(&l->line, tb.type, tb.tlen);
	else
		sbuf_add(&l->line, "null", 4);
	sbuf_adds(&l->line, ",\"parent\":null,\"level\":0,\"bytes\":");
	if (tb.bytes != NULL)
		sbuf_add(&l->line, tb.bytes, tb.blen);
	else
		sbuf_add(&l->line, "null", 4);
	sbuf_add(&l->line, "}", 1);
	return l->emit(l->line.s, l->line.len, l->ctx);
}

static int children_of(struct coll_scope_list *l, const char *scope,
    const char *name, int level);

struct child_ctx {
	struct coll_scope_list *l;
	const char *ps, *pn;
	int level;
};

static int
child_line(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct child_ctx *c = arg;
	struct coll_scope_list *l = c->l;
	const char *type;
	size_t tlen;
	char *s, *n;
	int rc;

	(void)pkey;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	l->line.len = 0;
	sbuf_adds(&l->line, "{\"scope\":");
	sbuf_json(&l->line, s);
	sbuf_adds(&l->line, ",\"name\":");
	sbuf_json(&l->line, n);
	sbuf_adds(&l->line, ",\"type\":");
	raw_member(&l->line, val->data, val->size, "type");
	sbuf_adds(&l->line, ",\"parent\":{\"scope\":");
	sbuf_json(&l->line, c->ps);
	sbuf_adds(&l->line, ",\"name\":");
	sbuf_json(&l->line, c->pn);
	sbuf_adds(&l->line, "},\"level\":");
	sbuf_addi(&l->line, c->level);
	sbuf_add(&l->line, "}", 1);
	rc = l->emit(l->line.s, l->line.len, l->ctx);
	if (rc == GR_OK && l->recursive &&
	    !(jsonx_member(val->data, val->size, "type", &type, &tlen) &&
		tlen == 6 && memcmp(type, "\"FILE\"", 6) == 0))
		rc = children_of(l, s, n, c->level + 1);
	free(s);
	free(n);
	return rc;
}

static int
children_of(struct coll_scope_list *l, const char *scope, const char *name,
    int level)
{
	struct child_ctx c = { l, scope, name, level };
	char kbuf[KEY_MAX];
	size_t klen;

	if (level > DEPTH_MAX)
		return GR_OK;
	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	return st_scan(l->t, TBL_CONTENTS, kbuf, klen, NULL, child_line, &c,
	    l->err);
}

struct coll_scope_list_args {
	struct coll_scope_list l;
	const char *name;
};

static int
coll_scope_list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct coll_scope_list_args *a = arg;
	char kbuf[KEY_MAX], owner[ACCOUNT_NAME_MAX + 1];
	json_t *rec;
	size_t klen;
	int rc;

	a->l.t = t;
	a->l.err = err;
	if ((rc = scope_owner(t, a->l.scope, owner, err)) != GR_OK)
		return rc;
	if (a->name != NULL) {
		if ((rc = did_load(t, a->l.scope, a->name, 0, &rec, err)) !=
		    GR_OK)
			return rc;
		json_decref(rec);
		return children_of(&a->l, a->l.scope, a->name, 1);
	}
	/* the scope's top level, kept apart: no walk through what it holds */
	klen = key_join(kbuf, sizeof(kbuf), a->l.scope, "", (char *)NULL);
	return st_scan(t, TBL_DIDS_TOP, kbuf, klen, NULL, top_one, &a->l, err);
}

int
coll_list_scope(const char *scope, const char *name, bool recursive,
    gr_emit_text_fn emit, void *ctx, struct gr_err *err)
{
	struct coll_scope_list_args a = { .name = name };
	int rc;

	if (scope == NULL || !valid_scope(scope))
		return gr_fail(err, GR_SCOPE_NOT_FOUND, "Scope not found!");
	if (name != NULL && !did_valid_name(name))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating name");
	a.l.scope = scope;
	a.l.recursive = recursive;
	a.l.emit = emit;
	a.l.ctx = ctx;
	rc = st_view(coll_scope_list_txn, &a, ST_ONCE, err);
	sbuf_free(&a.l.line);
	sbuf_free(&a.l.rec);
	return rc;
}

struct guid_args {
	char guid[GUID_LEN + 1];
	const char *given;
	gr_emit_fn emit;
	void *ctx;
};

static int
guid_parent(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct guid_args *g = arg;
	json_t *item;
	char *s, *n;
	int rc;

	(void)key;
	(void)val;
	if (!key_did(pkey->data, pkey->size, 0, &s, &n))
		return GR_OK;
	item = json_pack("{s:s, s:s}", "scope", s, "name", n);
	rc = g->emit(item, g->ctx);
	json_decref(item);
	free(s);
	free(n);
	return rc;
}

static int
guid_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct guid_args *g = arg;
	DBT k = st_dbt(g->guid, strlen(g->guid));
	char *pk = NULL;
	size_t pklen;
	int ret, rc;

	ret = st_primary_key(t, TBL_DIDS_BY_GUID, &k, &pk, &pklen);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_DID_NOT_FOUND,
		    "No file associated to GUID : %s", g->given);
	if (ret != 0)
		return st_fail(err, ret);
	/* the file's parents are datasets: files live only in datasets */
	rc = st_scan_key(t, TBL_CONTENTS_BY_CHILD, pk, pklen, guid_parent, g,
	    err);
	free(pk);
	return rc;
}

int
coll_guid(const char *guid, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct guid_args g = { .given = guid, .emit = emit, .ctx = ctx };

	if (!did_guid_canon(guid, g.guid))
		return gr_fail(err, GR_DID_NOT_FOUND,
		    "No file associated to GUID : %.60s", guid);
	return st_view(guid_txn, &g, ST_ONCE, err);
}

/* --- samples ------------------------------------------------------------ */

struct sample_args {
	const char *issuer, *in_scope, *in_name, *out_scope, *out_name;
	long nbfiles;
	json_t *files; /* [{scope, name}] below the input, each once */
	json_t *seen;  /* "scope\nname" */
};

static int
sample_file(const char *scope, const char *name, const char *rec, size_t reclen,
    void *arg)
{
	struct sample_args *s = arg;
	struct sbuf id = { 0 };

	(void)rec;
	(void)reclen;
	sbuf_adds(&id, scope);
	sbuf_add(&id, "\n", 1);
	sbuf_adds(&id, name);
	if (json_object_get(s->seen, id.s) == NULL) {
		json_object_set_new(s->seen, id.s, json_true());
		json_array_append_new(s->files,
		    json_pack("{s:s, s:s}", "scope", scope, "name", name));
	}
	sbuf_free(&id);
	return GR_OK;
}

static int
sample_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sample_args *s = arg;
	struct coll_args add = { .issuer = s->issuer,
		.scope = s->out_scope,
		.name = s->out_name };
	json_t *body, *tmp;
	size_t i, j, n;
	uint32_t r;
	int rc;

	/* the body may run again (a deadlock): start afresh */
	json_array_clear(s->files);
	json_object_clear(s->seen);
	if ((rc = coll_files_below(t, s->in_scope, s->in_name, sample_file, s,
		 err)) != GR_OK)
		return rc;
	/* a Fisher-Yates shuffle of the first nbfiles places */
	n = json_array_size(s->files);
	for (i = 0; i < n && i < (size_t)s->nbfiles; i++) {
		random_bytes(&r, sizeof(r));
		j = i + r % (n - i);
		tmp = json_incref(json_array_get(s->files, i));
		json_array_set(s->files, i, json_array_get(s->files, j));
		json_array_set_new(s->files, j, tmp);
	}
	while (json_array_size(s->files) > (size_t)s->nbfiles)
		json_array_remove(s->files, json_array_size(s->files) - 1);
	body = json_pack("{s:s}", "type", "DATASET");
	add.body = body;
	add.dids = s->files;
	rc = add_txn(t, &add, err);
	json_decref(body);
	return rc;
}

int
coll_sample(const char *issuer, const json_t *body, struct gr_err *err)
{
	struct sample_args s = { .issuer = issuer };
	const json_t *nb = json_object_get(body, "nbfiles");
	int rc;

	s.in_scope = json_string_value(json_object_get(body, "input_scope"));
	s.in_name = json_string_value(json_object_get(body, "input_name"));
	s.out_scope = json_string_value(json_object_get(body, "output_scope"));
	s.out_name = json_string_value(json_object_get(body, "output_name"));
	if ((rc = did_check(s.in_scope, s.in_name, err)) != GR_OK ||
	    (rc = did_check(s.out_scope, s.out_name, err)) != GR_OK)
		return rc;
	if (json_is_integer(nb))
		s.nbfiles = (long)json_integer_value(nb);
	else if (!json_is_string(nb) ||
	    parse_long(json_string_value(nb), 0, 1000000, &s.nbfiles) != 0)
		s.nbfiles = -1;
	if (s.nbfiles < 0 || s.nbfiles > 1000000)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating nbfiles: a whole number from 0 to "
		    "1000000");
	s.files = json_array();
	s.seen = json_object();
	rc = st_txn_run(sample_txn, &s, err);
	json_decref(s.files);
	json_decref(s.seen);
	if (rc == GR_OK)
		transmogrify(json_pack("[{s:s, s:s}]", "scope", s.out_scope,
		    "name", s.out_name));
	return rc;
}
