/*
 * replica_gone.c -- what follows the deletion of a file's replicas (core;
 * replica.h, replica_gone): once a file has no replica left, it leaves
 * its datasets and its DID goes, and a collection left empty leaves its
 * parents and goes when closed, as upstream's delete_replicas cleans up
 * after itself (core/replica.py). Inside the deleting transaction. No HTTP.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collection.h"
#include "did.h"
#include "jsonx.h"
#include "replica.h"
#include "rule.h"
#include "store.h"
#include "tables.h"
#include "util.h"

/* The DIDs still to look at (a worklist: collections emptied on the way
   are looked at in turn, whatever the depth). */
struct todo {
	char **scope, **name;
	size_t n, cap;
};

static void
todo_push(struct todo *w, const char *scope, const char *name)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->scope = xrealloc(w->scope, w->cap * sizeof(*w->scope));
		w->name = xrealloc(w->name, w->cap * sizeof(*w->name));
	}
	w->scope[w->n] = xstrdup(scope);
	w->name[w->n++] = xstrdup(name);
}

static void
todo_free(struct todo *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->scope[i]);
		free(w->name[i]);
	}
	free(w->scope);
	free(w->name);
}

/* The keys of the records filed under one key of a secondary index. */
struct keys {
	struct sbuf buf;
	size_t *off, n;
};

static int
keys_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct keys *k = arg;

	(void)key;
	(void)val;
	k->off = xrealloc(k->off, (k->n + 2) * sizeof(*k->off));
	if (k->n == 0)
		k->off[0] = 0;
	sbuf_add(&k->buf, pkey->data, pkey->size);
	k->off[++k->n] = k->buf.len;
	return GR_OK;
}

static void
keys_free(struct keys *k)
{
	sbuf_free(&k->buf);
	free(k->off);
}

/* Is there a record with key prefix scope \0 name \0 in tbl? */
static int
any_under(struct st_txn *t, enum tbl_id tbl, const char *scope,
    const char *name, bool *yes, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
	    (char *)NULL);

	*yes = false;
	return st_scan(t, tbl, kbuf, klen, NULL, st_scan_found, yes, err);
}

/*
 * Take scope:name out of every collection holding it: the contents go to
 * the history, each parent is no longer complete (and its figures, when
 * set, follow), and for a collection the rules above lose what is no
 * longer below them (a file without replicas has no lock to lose); each
 * parent is pushed on w, to be looked at once emptied.
 */
static int
leave_parents(struct st_txn *t, const char *scope, const char *name, bool file,
    int64_t now, struct todo *w, struct gr_err *err)
{
	struct keys k = { 0 };
	char kbuf[KEY_MAX];
	size_t i;
	int rc;

	rc = st_scan_key(t, TBL_CONTENTS_BY_CHILD, kbuf,
	    did_key(kbuf, scope, name), keys_one, &k, err);
	for (i = 0; i < k.n && rc == GR_OK; i++) {
		char *ps = NULL, *pn = NULL;
		json_t *parent = NULL;
		bool changed = false;

		if (!key_did(k.buf.s + k.off[i], k.off[i + 1] - k.off[i], 0,
			&ps, &pn))
			continue;
		if ((rc = did_load(t, ps, pn, DB_RMW, &parent, err)) == GR_OK &&
		    (rc = coll_unlink(t, parent, ps, pn, scope, name, now,
			 &changed, err)) == GR_OK &&
		    (file ||
			(rc = rule_on_detach(t, ps, pn, scope, name, err)) ==
			    GR_OK)) {
			/* stored when it changed: a dataset losing many files
			   in one transaction is written once */
			if (!json_is_false(json_object_get(parent, "complete")))
				changed = true;
			json_object_set_new(parent, "complete", json_false());
			json_object_set_new(parent, "updated_at",
			    json_integer(now));
			if (changed)
				rc = did_store(t, ps, pn, parent, 0, err);
		}
		if (rc == GR_OK)
			todo_push(w, ps, pn);
		json_decref(parent);
		free(ps);
		free(pn);
	}
	keys_free(&k);
	return rc;
}

/*
 * Delete the DID scope:name (rec, read for update), held by nothing and
 * holding nothing: its rules waiting for approval or suspended go with
 * it, as upstream removes them; another rule keeps it (upstream's
 * foreign key would refuse its deletion). *gone when it went.
 */
static int
erase(struct st_txn *t, const char *scope, const char *name, int64_t now,
    bool *gone, struct gr_err *err)
{
	struct keys k = { 0 };
	char kbuf[KEY_MAX];
	DBT dk = st_dbt(kbuf, did_key(kbuf, scope, name));
	json_t *rule = NULL;
	bool locked = false, held;
	size_t i;
	int ret, rc;

	*gone = false;
	rc = st_scan_key(t, TBL_RULES_BY_DID, dk.data, dk.size, keys_one, &k,
	    err);
	for (i = 0; i < k.n && rc == GR_OK; i++) {
		DBT rk = st_dbt(k.buf.s + k.off[i], k.off[i + 1] - k.off[i]);
		const char *st;

		if ((ret = st_get_json(t, TBL_RULES, &rk, &rule, 0)) != 0) {
			rc = st_fail(err, ret);
			break;
		}
		st = json_string_value(json_object_get(rule, "state"));
		held = st == NULL || (*st != 'U' && *st != 'W');
		json_decref(rule);
		rule = NULL;
		if (held)
			goto out; /* a rule that holds the DID */
	}
	if (rc != GR_OK)
		goto out;
	if (k.n > 0 &&
	    ((rc = rule_remove_of_did(t, scope, name, false, now, &locked,
		  err)) != GR_OK ||
		locked))
		goto out;
	if ((ret = st_del(t, TBL_DIDS, &dk)) != 0 && ret != DB_NOTFOUND) {
		rc = st_fail(err, ret);
		goto out;
	}
	if ((rc = did_top_update(t, scope, name, DID_TOP_OUT, err)) == GR_OK)
		*gone = true;
out:
	keys_free(&k);
	return rc;
}

/* A collection of w: when empty it leaves its parents, and goes when
   closed. */
static int
collection_emptied(struct st_txn *t, const char *scope, const char *name,
    int64_t now, struct todo *w, size_t *gone, struct gr_err *err)
{
	json_t *rec = NULL;
	bool yes, erased;
	int rc;

	if ((rc = any_under(t, TBL_CONTENTS, scope, name, &yes, err)) !=
		GR_OK ||
	    yes)
		return rc;
	rc = did_load(t, scope, name, DB_RMW, &rec, err);
	if (rc == GR_DID_NOT_FOUND) { /* erased through another path */
		gr_clear(err);
		return GR_OK;
	}
	if (rc != GR_OK)
		return rc;
	if ((rc = leave_parents(t, scope, name, false, now, w, err)) == GR_OK &&
	    !json_is_true(json_object_get(rec, "open")) &&
	    (rc = erase(t, scope, name, now, &erased, err)) == GR_OK && erased)
		(*gone)++;
	json_decref(rec);
	return rc;
}

int
replica_gone(struct st_txn *t, const char *scope, const char *name, int64_t now,
    size_t *gone, struct gr_err *err)
{
	struct todo w = { 0 };
	json_t *rec = NULL;
	const char *type, *avail;
	bool yes, erased;
	size_t i;
	int rc;

	/* another replica, in any state, keeps the file */
	if ((rc = any_under(t, TBL_REPLICAS, scope, name, &yes, err)) !=
		GR_OK ||
	    yes)
		return rc;
	rc = did_load(t, scope, name, DB_RMW, &rec, err);
	if (rc == GR_DID_NOT_FOUND) {
		gr_clear(err);
		return GR_OK;
	}
	if (rc != GR_OK)
		return rc;
	/* a LOST file was not meant to go: its DID stays, as upstream's;
	   so does a constituent of an archive */
	type = json_string_value(json_object_get(rec, "type"));
	avail = json_string_value(json_object_get(rec, "availability"));
	if (type == NULL || strcmp(type, "FILE") != 0 ||
	    (avail != NULL && strcmp(avail, "LOST") == 0) ||
	    json_is_true(json_object_get(rec, "constituent")))
		goto out;
	if ((rc = leave_parents(t, scope, name, true, now, &w, err)) != GR_OK ||
	    (rc = erase(t, scope, name, now, &erased, err)) != GR_OK)
		goto out;
	if (erased)
		(*gone)++;
	for (i = 0; i < w.n && rc == GR_OK; i++)
		rc = collection_emptied(t, w.scope[i], w.name[i], now, &w, gone,
		    err);
out:
	json_decref(rec);
	todo_free(&w);
	return rc;
}
