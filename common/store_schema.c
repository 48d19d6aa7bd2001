/*
 * store_schema.c -- the store's schema version and its migrations
 * (store_int.h: st_schema_check). The version lives in TBL_META under
 * "schema" and must equal TBL_SCHEMA_VERSION (db/tables.h) for any process
 * but the admin tool to open the store. Only "gridrest-db init"
 * (ST_INIT) writes: it records the version in a new store and brings an
 * older one up to date -- indexes whose extractor changed built again
 * from their primary, new tables made empty, derived tables filled --
 * each step in transactions of its own through the runner, before any
 * other process may use the store. Every other open reads the version in
 * a snapshot and never waits.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

/* The schema record: read in a snapshot, so a process that opens the
   store never waits behind another's write locks. */
static int
schema_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct st_store *s = st_self();
	json_t **rec = arg;
	DBT key = st_dbt("schema", 6);
	int ret;

	json_decref(*rec);
	*rec = NULL;
	ret = st_get_json(t, TBL_META, &key, rec,
	    (s->flags & ST_INIT) ? DB_RMW : 0);
	if (ret == DB_NOTFOUND && (s->flags & ST_INIT)) {
		*rec = json_pack("{s:i}", "version", TBL_SCHEMA_VERSION);
		ret = st_put_json(t, TBL_META, &key, *rec, 0);
	}
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_DATABASE,
		    "store in %s is not initialised (run gridrest-db init)",
		    s->dir);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/*
 * Counters of stores made before TBL_SEQS were "<name>.seq" records of
 * TBL_META: init moves them over (seq_txn never reads TBL_META, whose page
 * the caller's own transaction may hold).
 */
struct old_seqs {
	struct sbuf keys;
	size_t off[64 + 1];
	size_t n;
};

static int
old_seq_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct old_seqs *o = arg;

	(void)pkey;
	(void)val;
	if (key->size > 4 &&
	    memcmp((const char *)key->data + key->size - 4, ".seq", 4) == 0 &&
	    o->n < 64) {
		sbuf_add(&o->keys, key->data, key->size);
		o->off[++o->n] = o->keys.len;
	}
	return GR_OK;
}

static int
move_seqs_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct old_seqs o = { .n = 0 };
	json_t *rec = NULL;
	size_t i;
	int ret, rc;

	(void)arg;
	o.off[0] = 0;
	rc = st_scan(t, TBL_META, NULL, 0, NULL, old_seq_one, &o, err);
	for (i = 0; i < o.n && rc == GR_OK; i++) {
		DBT k = st_dbt(o.keys.s + o.off[i], o.off[i + 1] - o.off[i]);

		ret = st_get_json(t, TBL_META, &k, &rec, DB_RMW);
		if (ret == 0)
			ret = st_put_json(t, TBL_SEQS, &k, rec, DB_NOOVERWRITE);
		if (ret == 0 || ret == DB_KEYEXIST)
			ret = st_del(t, TBL_META, &k);
		json_decref(rec);
		rec = NULL;
		if (ret != 0)
			rc = st_fail(err, ret);
	}
	sbuf_free(&o.keys);
	return rc;
}

/*
 * TBL_DIDS_TOP for a store made before it: scope \0 name of every DID no
 * DID of its scope holds (a parent in TBL_CONTENTS_BY_CHILD whose key
 * starts with the child's scope), TOP_BATCH DIDs a transaction.
 */
#define TOP_BATCH 1000

struct top_fill {
	struct st_txn *t;
	struct gr_err *err;
	struct sbuf keys, from, last; /* from: where this batch starts */
	size_t off[TOP_BATCH + 1], n, seen;
	bool held;
};

static int
top_did(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct top_fill *f = arg;
	int rc;

	(void)pkey;
	(void)val;
	f->last.len = 0;
	sbuf_add(&f->last, key->data, key->size);
	rc = st_first_part_shared(f->t, TBL_CONTENTS_BY_CHILD, f->last.s,
	    f->last.len, &f->held, f->err);
	if (rc != GR_OK)
		return rc;
	if (!f->held) {
		sbuf_add(&f->keys, key->data, key->size);
		f->off[++f->n] = f->keys.len;
	}
	return ++f->seen == TOP_BATCH ? ST_STOP : GR_OK;
}

static int
top_fill_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct top_fill *f = arg;
	DBT from = st_dbt(f->from.s, f->from.len);
	size_t i;
	int ret, rc;

	f->t = t;
	f->err = err;
	f->n = f->seen = f->keys.len = f->off[0] = 0;
	rc = st_scan(t, TBL_DIDS, NULL, 0, f->from.len > 0 ? &from : NULL,
	    top_did, f, err);
	if (rc != GR_OK && rc != ST_STOP)
		return rc;
	for (i = 0; i < f->n; i++) {
		DBT k = st_dbt(f->keys.s + f->off[i],
		    f->off[i + 1] - f->off[i]);

		if ((ret = st_put_text(t, TBL_DIDS_TOP, &k, "{}", 2, 0)) != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

static int
fill_dids_top(struct gr_err *err)
{
	struct top_fill f = { .n = 0 };
	int rc;

	do {
		rc = st_txn_run(top_fill_txn, &f, err);
		if (rc != GR_OK || f.seen < TOP_BATCH)
			break;
		/* the next batch starts just after the last DID seen */
		f.from.len = 0;
		sbuf_add(&f.from, f.last.s, f.last.len);
		sbuf_add(&f.from, "", 1);
	} while (true);
	sbuf_free(&f.keys);
	sbuf_free(&f.from);
	sbuf_free(&f.last);
	return rc;
}

/*
 * What a store of an older schema needs from init: the indexes whose
 * extractor changed since, built again from their primary, and tables
 * derived from others, filled by their function.
 */
static const struct {
	int before; /* stores of a version below this one */
	enum tbl_id rebuild;
	int (*fill)(struct gr_err *err); /* NULL: a secondary, associated */
} migrations[] = {
	{ 2, TBL_DIDS_BY_META, NULL },      /* collections filed once */
	{ 3, TBL_DIDS_TOP, fill_dids_top }, /* the top-level DIDs */
	{ 4, TBL_RULES, NULL }, /* replication rules: new tables, made empty */
	{ 5, TBL_REQUESTS_HISTORY, NULL },      /* ended requests: new, empty */
	{ 6, TBL_REPLICAS_BY_TOMBSTONE, NULL }, /* the reaper's candidates */
	{ 7, TBL_MESSAGES, NULL }, /* rule notifications: new, empty */
};

static int
version_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	DBT key = st_dbt("schema", 6);
	json_t *rec = json_pack("{s:i}", "version", TBL_SCHEMA_VERSION);
	int ret = st_put_json(t, TBL_META, &key, rec, 0);

	(void)arg;
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* Bring a store of schema version v up to this build's (init only). */
static int
migrate(json_int_t v, struct gr_err *err)
{
	struct st_store *s = st_self();
	bool again[TBL_COUNT] = { false };
	size_t i;
	int ret, rc;

	for (i = 0; i < ARRAY_LEN(migrations); i++)
		if (v < migrations[i].before)
			again[migrations[i].rebuild] = true;
	st_close_tables();
	for (i = 0; i < TBL_COUNT; i++) {
		if (!again[i])
			continue;
		log_msg(LOG_INFO, "store: schema %lld: building %s again",
		    (long long)v, tbl_defs[i].file);
		ret = s->env->dbremove(s->env, NULL, tbl_defs[i].file, NULL,
		    DB_AUTO_COMMIT);
		if (ret != 0 && ret != ENOENT)
			return st_fail(err, ret);
	}
	/* the missing index is made, and filled from its primary */
	if ((rc = st_open_tables(ST_INIT, err)) != GR_OK)
		return rc;
	for (i = 0; i < ARRAY_LEN(migrations); i++)
		if (v < migrations[i].before && migrations[i].fill != NULL &&
		    (rc = migrations[i].fill(err)) != GR_OK)
			return rc;
	return st_txn_run(version_txn, NULL, err);
}

/* The schema version must match what this binary was built for. */
int
st_schema_check(unsigned flags, struct gr_err *err)
{
	json_t *rec = NULL;
	json_int_t v;
	int rc;

	if (flags & ST_INIT) {
		rc = st_txn_run(schema_txn, &rec, err);
		if (rc == GR_OK)
			rc = st_txn_run(move_seqs_txn, NULL, err);
	} else
		rc = st_view(schema_txn, &rec, 0, err);
	if (rc != GR_OK) {
		json_decref(rec);
		return rc;
	}
	v = json_integer_value(json_object_get(rec, "version"));
	json_decref(rec);
	if ((flags & ST_INIT) && v > 0 && v < TBL_SCHEMA_VERSION) {
		if ((rc = migrate(v, err)) != GR_OK)
			return rc;
		v = TBL_SCHEMA_VERSION;
	}
	if (v != TBL_SCHEMA_VERSION)
		return gr_fail(err, GR_DATABASE,
		    "store schema version %lld, this build needs %d",
		    (long long)v, TBL_SCHEMA_VERSION);
	return GR_OK;
}
