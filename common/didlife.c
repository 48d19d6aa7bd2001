/*
 * didlife.c -- new DIDs, expiry, resurrection (core). See didlife.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "collection.h"
#include "did.h"
#include "rule.h"
#include "log.h"
#include "didlife.h"
#include "jsonx.h"
#include "store_counter.h"
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

/* A new collection's entry (didx_coll_key), or a record: pkey scope \0 name. */
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
	if (!jsonx_member(val->data, val->size, "type", &type, &tlen) ||
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
	if (jsonx_member(val->data, val->size, "is_new", &v, &vlen) &&
	    vlen == 5 && memcmp(v, "false", 5) == 0)
		return GR_OK;
	return new_one(NULL, key, val, arg);
}

static int
new_scope(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	static const struct {
		const char *type;
		char tag;
	} colls[] = { { "DATASET", DIDX_DATASET },
		{ "CONTAINER", DIDX_CONTAINER } };
	struct new_args *a = arg;
	char scope[64], kbuf[KEY_MAX];
	size_t klen, i;
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
	for (i = 0; i < ARRAY_LEN(colls) && rc == GR_OK; i++) {
		if ((a->type != NULL && strcmp(a->type, colls[i].type) != 0) ||
		    a->count >= DID_NEW_MAX)
			continue;
		klen = didx_coll_key(kbuf, scope, true, colls[i].tag, NULL);
		if (klen != 0)
			rc = st_scan(a->t, TBL_DIDS_BY_META, kbuf, klen, NULL,
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
didlife_list_new(const char *type, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
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
didlife_set_new(struct st_txn *t, const char *scope, const char *name,
    bool is_new, struct gr_err *err)
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
	didlife_expired_fn fn;
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
	if (!jsonx_member(val->data, val->size, "expired_at", &v, &vlen) ||
	    !jsonx_member_int(v, vlen, &when) ||
	    !key_did(pkey->data, pkey->size, 0, &scope, &name))
		return GR_OK;
	rc = a->fn(scope, name, (int64_t)when, a->arg);
	free(scope);
	free(name);
	return rc;
}

int
didlife_expired_each(struct st_txn *t, int64_t now, didlife_expired_fn fn,
    void *arg, struct gr_err *err)
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

/* An archived collection back into TBL_DIDS; GR_DID_NOT_FOUND if none. */
static int
unbury(struct st_txn *t, const char *scope, const char *name, int64_t now,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	json_t *rec;
	int ret, rc;

	ret = st_get_json(t, TBL_DELETED_DIDS, &k, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_DID_NOT_FOUND, "not archived");
	if (ret != 0)
		return st_fail(err, ret);
	json_object_del(rec, "deleted_at");
	json_object_del(rec, "expired_at");
	json_object_set_new(rec, "updated_at", json_integer(now));
	/* its name stayed reserved, so nothing took it meanwhile */
	ret = st_del(t, TBL_DELETED_DIDS, &k);
	rc = ret == 0 ? did_store(t, scope, name, rec, DB_NOOVERWRITE, err)
		      : st_fail(err, ret);
	json_decref(rec);
	return rc;
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
	json_array_foreach(a->dids, i, d) {
		scope = json_string_value(json_object_get(d, "scope"));
		name = json_string_value(json_object_get(d, "name"));
		if ((rc = unbury(t, scope, name, now, err)) !=
		    GR_DID_NOT_FOUND) {
			if (rc != GR_OK)
				return rc;
			continue;
		}
		gr_clear(err);
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
didlife_resurrect(const char *issuer, const json_t *dids, struct gr_err *err)
{
	struct resurrect_args a = { issuer, dids };
	int rc;

	if ((rc = did_check_list(dids, 1000, err)) != GR_OK)
		return rc;
	return st_txn_run(resurrect_txn, &a, err);
}

/* --- the undertaker ----------------------------------------------------- */

/* A collection a locked rule keeps is looked at again this much later. */
#define BURY_RETRY 86400

/* Keys gathered before they are deleted (a cursor's own records must not
   move under it), at most BURY_BATCH a transaction. */
#define BURY_BATCH 2000

struct keylist {
	struct sbuf buf; /* the keys, one after another */
	size_t off[BURY_BATCH + 1];
	size_t n;
	size_t part; /* the key parts kept: 0 whole key (contents) */
};

static int
didlife_key_gather(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct keylist *l = arg;
	const DBT *k = pkey != NULL && pkey->size > 0 ? pkey : key;

	(void)val;
	if (l->n == BURY_BATCH)
		return ST_STOP;
	if (l->n == 0)
		l->off[0] = l->buf.len = 0;
	sbuf_add(&l->buf, k->data, k->size);
	l->off[++l->n] = l->buf.len;
	return GR_OK;
}

static DBT
didlife_key_at(const struct keylist *l, size_t i)
{
	return st_dbt(l->buf.s + l->off[i], l->off[i + 1] - l->off[i]);
}

struct bury_args {
	const char *scope, *name;
	int64_t now;
	bool done; /* out: nothing is left to do for this DID */
	enum { B_NOTHING, B_FILE, B_BURIED, B_KEPT } what; /* out, once done */
	struct keylist keys;
};

/* Take the DID out of every parent (they may be many: a batch at a time). */
static int
unlink_parents(struct st_txn *t, struct bury_args *a, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = did_key(kbuf, a->scope, a->name), i;
	int rc;

	a->keys.n = 0;
	rc = st_scan_key(t, TBL_CONTENTS_BY_CHILD, kbuf, klen,
	    didlife_key_gather, &a->keys, err);
	if (rc != GR_OK && rc != ST_STOP)
		return rc;
	for (i = 0; i < a->keys.n; i++) {
		DBT k = didlife_key_at(&a->keys, i);
		char *ps, *pn;
		json_t *parent;
		bool changed = false;

		if (!key_did(k.data, k.size, 0, &ps, &pn))
			continue;
		rc = did_load(t, ps, pn, DB_RMW, &parent, err);
		if (rc == GR_OK)
			rc = coll_unlink(t, parent, ps, pn, a->scope, a->name,
			    a->now, &changed, err);
		if (rc == GR_OK)
			rc = rule_on_detach(t, ps, pn, a->scope, a->name, err);
		if (rc == GR_OK && changed) {
			json_object_set_new(parent, "updated_at",
			    json_integer(a->now));
			rc = did_store(t, ps, pn, parent, 0, err);
		}
		json_decref(parent);
		free(ps);
		free(pn);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

/* Remove a batch of the collection's contents; *all when none is left. */
static int
drop_contents(struct st_txn *t, struct bury_args *a, bool *all,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), a->scope, a->name, "",
		   (char *)NULL),
	       i;
	int rc, ret;

	a->keys.n = 0;
	rc = st_scan(t, TBL_CONTENTS, kbuf, klen, NULL, didlife_key_gather,
	    &a->keys, err);
	if (rc != GR_OK && rc != ST_STOP)
		return rc;
	for (i = 0; i < a->keys.n; i++) {
		DBT k = didlife_key_at(&a->keys, i);
		char *cs, *cn;

		if ((ret = st_del(t, TBL_CONTENTS, &k)) != 0 &&
		    ret != DB_NOTFOUND)
			return st_fail(err, ret);
		/* a child of the same scope may be at the top again */
		if (!key_did(k.data, k.size, 2, &cs, &cn))
			continue;
		rc = strcmp(cs, a->scope) == 0
		    ? did_top_update(t, cs, cn, DID_TOP_CHECK, err)
		    : GR_OK;
		free(cs);
		free(cn);
		if (rc != GR_OK)
			return rc;
	}
	*all = a->keys.n < BURY_BATCH;
	return GR_OK;
}

static int
bury_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct bury_args *a = arg;
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, a->scope, a->name));
	const json_t *exp;
	json_t *rec;
	bool all = false;
	int rc, ret;

	a->done = false;
	a->what = B_NOTHING;
	rc = did_load(t, a->scope, a->name, DB_RMW, &rec, err);
	if (rc == GR_DID_NOT_FOUND) { /* another sweep was first */
		gr_clear(err);
		a->done = true;
		return GR_OK;
	}
	if (rc != GR_OK)
		return rc;
	exp = json_object_get(rec, "expired_at");
	if (!json_is_integer(exp) || json_integer_value(exp) > a->now) {
		a->done = true; /* resurrected, or a new lifetime, meanwhile */
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(rec, "type")), "FILE") !=
	    0) {
		/* the collection's rules go first, with their locks and usage
		   (replicas purged unless the DID says otherwise, as upstream
		   propagates purge_replicas); a locked rule keeps the DID, and
		   the sweep looks at it again a day later instead of meeting
		   it in every batch */
		bool locked;

		rc = rule_remove_of_did(t, a->scope, a->name,
		    !json_is_false(json_object_get(rec, "purge_replicas")),
		    a->now, &locked, err);
		if (rc != GR_OK)
			goto out;
		if (locked) {
			json_object_set_new(rec, "expired_at",
			    json_integer(a->now + BURY_RETRY));
			json_object_set_new(rec, "updated_at",
			    json_integer(a->now));
			rc = did_store(t, a->scope, a->name, rec, 0, err);
			a->done = rc == GR_OK;
			a->what = B_KEPT;
			goto out;
		}
	}
	if ((rc = unlink_parents(t, a, err)) != GR_OK)
		goto out;
	if (a->keys.n == BURY_BATCH)
		goto out; /* more parents: the next transaction */
	if (strcmp(json_string_value(json_object_get(rec, "type")), "FILE") ==
	    0) {
		/* a file stays with its replicas (the reaper's, upstream):
		   only its expiry goes */
		json_object_del(rec, "expired_at");
		json_object_set_new(rec, "updated_at", json_integer(a->now));
		rc = did_store(t, a->scope, a->name, rec, 0, err);
		a->done = rc == GR_OK;
		a->what = B_FILE;
		goto out;
	}
	if ((rc = drop_contents(t, a, &all, err)) != GR_OK || !all)
		goto out;
	json_object_set_new(rec, "deleted_at", json_integer(a->now));
	/* before the write: a creation that reads the counter after its own
	   put (did_check_reuse) then looks the name up */
	st_changed(ST_CHANGE_ARCHIVE);
	ret = st_put_json(t, TBL_DELETED_DIDS, &k, rec, 0);
	if (ret == 0)
		ret = st_del(t, TBL_DIDS, &k);
	if (ret != 0) {
		rc = st_fail(err, ret);
		goto out;
	}
	if ((rc = did_top_update(t, a->scope, a->name, DID_TOP_OUT, err)) !=
	    GR_OK)
		goto out;
	a->done = true;
	a->what = B_BURIED;
out:
	json_decref(rec);
	return rc;
}

/* The expired DIDs of one sweep's batch, gathered in a view. */
#define SWEEP_BATCH 100

struct sweep_batch {
	char *scope[SWEEP_BATCH], *name[SWEEP_BATCH];
	size_t n;
};

static int
sweep_one(const char *scope, const char *name, int64_t when, void *arg)
{
	struct sweep_batch *b = arg;

	(void)when;
	if (b->n == SWEEP_BATCH)
		return ST_STOP;
	b->scope[b->n] = xstrdup(scope);
	b->name[b->n] = xstrdup(name);
	b->n++;
	return GR_OK;
}

struct sweep_view {
	struct sweep_batch *b;
	int64_t now;
};

static void
batch_clear(struct sweep_batch *b)
{
	while (b->n > 0) {
		b->n--;
		free(b->scope[b->n]);
		free(b->name[b->n]);
	}
}

static int
sweep_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sweep_view *v = arg;

	batch_clear(v->b); /* the body may run again */
	return didlife_expired_each(t, v->now, sweep_one, v->b, err);
}

int
didlife_undertake(int64_t now, size_t max, struct didlife_sweep *out,
    struct gr_err *err)
{
	struct sweep_batch b = { .n = 0 };
	struct sweep_view v = { &b, now };
	struct bury_args a = { .now = now };
	size_t i;
	int rc = GR_OK;

	memset(out, 0, sizeof(*out));
	while (rc == GR_OK && out->buried + out->files + out->kept < max) {
		if ((rc = st_view(sweep_txn, &v, 0, err)) != GR_OK || b.n == 0)
			break;
		for (i = 0; i < b.n && rc == GR_OK; i++) {
			a.scope = b.scope[i];
			a.name = b.name[i];
			do
				rc = st_txn_run(bury_txn, &a, err);
			while (rc == GR_OK && !a.done);
			if (rc == GR_OK && a.what == B_BURIED)
				out->buried++;
			else if (rc == GR_OK && a.what == B_FILE)
				out->files++;
			else if (rc == GR_OK && a.what == B_KEPT)
				out->kept++;
		}
		out->more = b.n == SWEEP_BATCH;
		batch_clear(&b);
		if (!out->more)
			break;
	}
	batch_clear(&b);
	sbuf_free(&a.keys.buf);
	return rc;
}

/* --- the periodic sweep ------------------------------------------------- */

/* TBL_META "undertaker": {"next_at"}, when the next sweep is due, so that
   one backend of all sweeps per interval. */
struct claim_args {
	int64_t now, next; /* in: now, the next_at to set */
	bool write;        /* in: claim it (else only look) */
	bool due;          /* out */
};

static int
claim_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct claim_args *c = arg;
	DBT k = st_dbt("undertaker", 10);
	json_t *rec = NULL;
	int ret;

	c->due = false;
	ret = st_get_json(t, TBL_META, &k, &rec, c->write ? DB_RMW : 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	c->due = json_integer_value(json_object_get(rec, "next_at")) <= c->now;
	json_decref(rec);
	if (!c->due || !c->write)
		return GR_OK;
	rec = json_pack("{s:I}", "next_at", (json_int_t)c->next);
	ret = st_put_json(t, TBL_META, &k, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

void
didlife_undertaker_tick(unsigned interval)
{
	static int64_t next_look;
	struct gr_err err = { 0 };
	struct claim_args c = { .now = time_now() };
	struct didlife_sweep s;

	if (interval == 0 || c.now < next_look)
		return;
	next_look = c.now + 1;
	c.next = c.now + interval;
	/* a read first: most looks find the sweep not due */
	if (st_view(claim_txn, &c, ST_ONEREAD, &err) == GR_OK && c.due) {
		c.write = true;
		(void)st_txn_run(claim_txn, &c, &err);
	}
	if (err.code != GR_OK || !c.due) {
		if (err.code != GR_OK)
			log_msg(LOG_WARN, "undertaker: %s", err.msg);
		return;
	}
	if (didlife_undertake(c.now, UNDERTAKER_TICK_MAX, &s, &err) != GR_OK)
		log_msg(LOG_WARN, "undertaker: %s", err.msg);
	if (s.buried + s.files > 0)
		log_msg(LOG_INFO,
		    "undertaker: %zu expired collections deleted, the expiry "
		    "of %zu files lifted%s",
		    s.buried, s.files, s.more ? "; more are due" : "");
	if (s.kept > 0)
		log_msg(LOG_WARN,
		    "undertaker: %zu expired collections have a locked rule: "
		    "kept, looked at again in a day",
		    s.kept);
	if (s.more) { /* the rest at the next look, a second on */
		gr_clear(&err);
		c.now = c.next;
		c.next = time_now() + 1;
		if (st_txn_run(claim_txn, &c, &err) != GR_OK)
			log_msg(LOG_WARN, "undertaker: %s", err.msg);
	}
}
