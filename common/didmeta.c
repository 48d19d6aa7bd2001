/*
 * didmeta.c -- DID metadata (core): the DID_COLUMN view (the whole row as
 * Rucio renders it), the JSON plugin (custom keys, rec["meta"]), setting
 * keys (one, many, on many DIDs; recursive to direct children for column
 * keys), and deleting custom keys. The checks are did_meta_apply's.
 */
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "did.h"
#include "didmeta.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

/* The row's columns in Rucio's order, with what an absent value is. */
enum dflt { D_NULL, D_FALSE, D_TRUE, D_AVAILABLE, D_DATE };

static const struct {
	const char *col, *field; /* column, and the record's field */
	enum dflt dflt;
} row[] = {
	{ "account", "account", D_NULL },
	{ "did_type", "type", D_NULL },
	{ "is_open", "open", D_NULL },
	{ "monotonic", "monotonic", D_FALSE },
	{ "hidden", "hidden", D_FALSE },
	{ "obsolete", "obsolete", D_FALSE },
	{ "complete", "complete", D_NULL },
	{ "is_new", "is_new", D_TRUE },
	{ "availability", "availability", D_AVAILABLE },
	{ "suppressed", "suppressed", D_FALSE },
	{ "bytes", "bytes", D_NULL },
	{ "length", "length", D_NULL },
	{ "md5", "md5", D_NULL },
	{ "adler32", "adler32", D_NULL },
	{ "expired_at", "expired_at", D_DATE },
	{ "purge_replicas", "purge_replicas", D_TRUE },
	{ "deleted_at", "deleted_at", D_DATE },
	{ "events", "events", D_NULL },
	{ "guid", "guid", D_NULL },
	{ "project", "project", D_NULL },
	{ "datatype", "datatype", D_NULL },
	{ "run_number", "run_number", D_NULL },
	{ "stream_name", "stream_name", D_NULL },
	{ "prod_step", "prod_step", D_NULL },
	{ "version", "version", D_NULL },
	{ "campaign", "campaign", D_NULL },
	{ "task_id", "task_id", D_NULL },
	{ "panda_id", "panda_id", D_NULL },
	{ "lumiblocknr", "lumiblocknr", D_NULL },
	{ "provenance", "provenance", D_NULL },
	{ "phys_group", "phys_group", D_NULL },
	{ "transient", "transient", D_FALSE },
	{ "accessed_at", "accessed_at", D_DATE },
	{ "closed_at", "closed_at", D_DATE },
	{ "eol_at", "eol_at", D_DATE },
	{ "is_archive", "is_archive", D_NULL },
	{ "constituent", "constituent", D_NULL },
	{ "access_cnt", "access_cnt", D_NULL },
	{ "created_at", "created_at", D_DATE },
	{ "updated_at", "updated_at", D_DATE },
};

static json_t *
column_view(const char *scope, const char *name, const json_t *rec)
{
	json_t *out = json_pack("{s:s, s:s}", "scope", scope, "name", name);
	char date[DATE_RFC1123_LEN];
	size_t i;

	for (i = 0; i < ARRAY_LEN(row); i++) {
		json_t *v = json_object_get(rec, row[i].field);

		if (row[i].dflt == D_DATE)
			v = json_is_integer(v)
			    ? json_string(
				  date_rfc1123(json_integer_value(v), date))
			    : json_null();
		else if (v != NULL)
			json_incref(v);
		else
			v = row[i].dflt == D_FALSE  ? json_false()
			    : row[i].dflt == D_TRUE ? json_true()
			    : row[i].dflt == D_AVAILABLE
			    ? json_string("AVAILABLE")
			    : json_null();
		json_object_set_new(out, row[i].col, v);
	}
	return out;
}

int
didmeta_column(const char *col)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(row); i++)
		if (strcmp(row[i].col, col) == 0)
			return (int)i;
	return -1;
}

bool
didmeta_column_is_date(int c)
{
	return row[c].dflt == D_DATE;
}

const json_t *
didmeta_column_value(int c, const json_t *rec)
{
	static json_t *available;
	const json_t *v = json_object_get(rec, row[c].field);

	if (v != NULL && !json_is_null(v))
		return v;
	switch (row[c].dflt) {
	case D_FALSE:
		return json_false();
	case D_TRUE:
		return json_true();
	case D_AVAILABLE:
		/* one per process, never freed: a constant */
		if (available == NULL)
			available = json_string("AVAILABLE");
		return available;
	default:
		return NULL;
	}
}

/* rec as plugin (DID_COLUMN, JSON or ALL) shows it: a new object. */
static json_t *
plugin_view(const char *scope, const char *name, const json_t *rec,
    const char *plugin)
{
	json_t *custom = json_object_get(rec, "meta"), *out;

	if (strcmp(plugin, "JSON") == 0)
		return custom != NULL ? json_deep_copy(custom) : json_object();
	out = column_view(scope, name, rec);
	if (strcmp(plugin, "ALL") == 0 && custom != NULL)
		json_object_update(out, custom);
	return out;
}

struct meta_args {
	const char *issuer, *scope, *name, *plugin, *key;
	const json_t *meta, *dids;
	bool recursive;
	json_t *out;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct meta_args *a = arg;
	json_t *rec;
	int rc;

	/* the body may run again (after a recovery): start afresh */
	json_decref(a->out);
	a->out = NULL;
	if ((rc = did_load(t, a->scope, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	a->out = plugin_view(a->scope, a->name, rec, a->plugin);
	json_decref(rec);
	return GR_OK;
}

static int
check_plugin(const char *plugin, struct gr_err *err)
{
	if (strcmp(plugin, "DID_COLUMN") != 0 && strcmp(plugin, "JSON") != 0 &&
	    strcmp(plugin, "ALL") != 0)
		return gr_fail(err, GR_UNSUPPORTED_METADATA_PLUGIN,
		    "The requested metadata plugin %.40s is not supported",
		    plugin);
	return GR_OK;
}

int
didmeta_get(const char *scope, const char *name, const char *plugin,
    json_t **out, struct gr_err *err)
{
	struct meta_args a = { .scope = scope, .name = name };
	int rc;

	*out = NULL;
	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	a.plugin = plugin != NULL ? plugin : "DID_COLUMN";
	if ((rc = check_plugin(a.plugin, err)) != GR_OK)
		return rc;
	if ((rc = st_view(get_txn, &a, 0, err)) != GR_OK)
		return rc;
	*out = a.out;
	return GR_OK;
}

/* The column keys of meta only (what recursive applies to children). */
static json_t *
columns_only(const json_t *meta)
{
	static const char *const cols[] = { "guid", "events", "lumiblocknr",
		"run_number", "task_id", "panda_id", "access_cnt", "project",
		"datatype", "stream_name", "prod_step", "version", "campaign",
		"provenance", "phys_group", "hidden", "is_new",
		"purge_replicas", "transient", "is_archive", "constituent",
		"accessed_at", "closed_at", "eol_at", "lifetime" };
	json_t *out = json_object(), *v;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cols); i++)
		if ((v = json_object_get(meta, cols[i])) != NULL)
			json_object_set(out, cols[i], v);
	return out;
}

/* Inside a transaction: set meta on one DID (and, recursive, its column
   keys on the direct children). */
static int set_one(struct st_txn *t, const char *issuer, const char *scope,
    const char *name, const json_t *meta, bool recursive, struct gr_err *err);

struct child_set {
	struct st_txn *t;
	const char *issuer;
	const json_t *meta;
	struct gr_err *err;
};

static int
child_set(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct child_set *c = arg;
	char *s, *n;
	int rc;

	(void)pkey;
	(void)val;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	rc = set_one(c->t, c->issuer, s, n, c->meta, false, c->err);
	free(s);
	free(n);
	return rc;
}

static int
set_one(struct st_txn *t, const char *issuer, const char *scope,
    const char *name, const json_t *meta, bool recursive, struct gr_err *err)
{
	json_t *rec;
	int rc;

	if ((rc = did_load(t, scope, name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if ((rc = did_may_add(t, issuer, scope, err)) == GR_OK &&
	    (rc = did_meta_apply(rec, meta, issuer, time_now(), err)) == GR_OK)
		rc = did_store(t, scope, name, rec, 0, err);
	json_decref(rec);
	if (rc == GR_OK && recursive) {
		json_t *cols = columns_only(meta);
		struct child_set c = { t, issuer, cols, err };
		char kbuf[KEY_MAX];
		size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
		    (char *)NULL);

		if (json_object_size(cols) > 0)
			rc = st_scan(t, TBL_CONTENTS, kbuf, klen, NULL,
			    child_set, &c, err);
		json_decref(cols);
	}
	return rc;
}

static int
set_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct meta_args *a = arg;
	const json_t *d;
	size_t i;
	int rc;

	if (a->dids == NULL)
		return set_one(t, a->issuer, a->scope, a->name, a->meta,
		    a->recursive, err);
	json_array_foreach(a->dids, i, d) {
		rc = set_one(t, a->issuer,
		    json_string_value(json_object_get(d, "scope")),
		    json_string_value(json_object_get(d, "name")),
		    json_object_get(d, "meta"), a->recursive, err);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
didmeta_set(const char *issuer, const char *scope, const char *name,
    const json_t *meta, bool recursive, struct gr_err *err)
{
	struct meta_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.meta = meta,
		.recursive = recursive };
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	if (!json_is_object(meta) || json_object_size(meta) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating meta: a non-empty object");
	return st_txn_run(set_txn, &a, err);
}

int
didmeta_set_bulk(const char *issuer, const json_t *dids, bool recursive,
    struct gr_err *err)
{
	struct meta_args a = { .issuer = issuer,
		.dids = dids,
		.recursive = recursive };
	const json_t *d;
	size_t i;
	int rc;

	if (!json_is_array(dids) || json_array_size(dids) == 0 ||
	    json_array_size(dids) > 1000)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: a list of 1 to 1000 DIDs");
	json_array_foreach(dids, i, d) {
		const json_t *m = json_object_get(d, "meta");

		if ((rc = did_check(json_string_value(
					json_object_get(d, "scope")),
			 json_string_value(json_object_get(d, "name")), err)) !=
		    GR_OK)
			return rc;
		if (!json_is_object(m))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating dids: item %zu needs a meta "
			    "object",
			    i);
	}
	return st_txn_run(set_txn, &a, err);
}

static int
del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct meta_args *a = arg;
	json_t *rec, *custom;
	int rc;

	if ((rc = did_load(t, a->scope, a->name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if ((rc = did_may_add(t, a->issuer, a->scope, err)) != GR_OK)
		goto out;
	custom = json_object_get(rec, "meta");
	if (json_object_get(custom, a->key) == NULL) {
		size_t i;

		for (i = 0; i < ARRAY_LEN(row); i++)
			if (strcmp(row[i].col, a->key) == 0)
				break;
		rc = i < ARRAY_LEN(row) || strcmp(a->key, "scope") == 0 ||
			strcmp(a->key, "name") == 0
		    ? gr_fail(err, GR_UNSUPPORTED_OPERATION,
			  "The key '%s' is a column of the DID: it is set, "
			  "not deleted",
			  a->key)
		    : gr_fail(err, GR_KEY_NOT_FOUND,
			  "No key '%.100s' for data identifier %s:%s", a->key,
			  a->scope, a->name);
		goto out;
	}
	json_object_del(custom, a->key);
	if (json_object_size(custom) == 0)
		json_object_del(rec, "meta");
	json_object_set_new(rec, "updated_at", json_integer(time_now()));
	rc = did_store(t, a->scope, a->name, rec, 0, err);
out:
	json_decref(rec);
	return rc;
}

int
didmeta_del(const char *issuer, const char *scope, const char *name,
    const char *key, struct gr_err *err)
{
	struct meta_args a = { .issuer = issuer,
		.scope = scope,
		.name = name,
		.key = key };
	int rc;

	if ((rc = did_check(scope, name, err)) != GR_OK)
		return rc;
	if (key == NULL || *key == '\0')
		return gr_fail(err, GR_KEY_NOT_FOUND, "No key provided");
	return st_txn_run(del_txn, &a, err);
}

/* --- POST /dids/bulkmeta ------------------------------------------------ */

#define INHERIT_DEPTH_MAX 20 /* as Rucio */

struct bulk_args {
	const json_t *dids;
	const char *plugin;
	bool inherit;
	gr_emit_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	json_t *next; /* inherit: the next level's [scope, name] pairs */
	json_t *seen; /* inherit: "scope\nname" of what was merged */
};

/* Queue a parent of the level being walked (pkey: parent \0 child). */
static int
queue_parent(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct bulk_args *b = arg;
	struct sbuf id = { 0 };
	char *s, *n;

	(void)key;
	(void)val;
	if (!key_did(pkey->data, pkey->size, 0, &s, &n))
		return GR_OK;
	sbuf_adds(&id, s);
	sbuf_add(&id, "\n", 1);
	sbuf_adds(&id, n);
	if (json_object_get(b->seen, id.s) == NULL) {
		json_object_set_new(b->seen, id.s, json_true());
		json_array_append_new(b->next, json_pack("[s,s]", s, n));
	}
	sbuf_free(&id);
	free(s);
	free(n);
	return GR_OK;
}

/* from's set values into out where out has none (absent or null). */
static void
merge_unset(json_t *out, json_t *from)
{
	const char *k;
	json_t *v, *cur;

	json_object_foreach(from, k, v) {
		cur = json_object_get(out, k);
		if (!json_is_null(v) && (cur == NULL || json_is_null(cur)))
			json_object_set(out, k, v);
	}
}

/*
 * out (the DID's own view) merged with its ancestors' level by level,
 * nearest first, each once: a value already there wins, as the child's
 * value wins in Rucio; unlike Rucio a null column (project: null) is no
 * value, so a file inherits its dataset's project.
 */
static int
inherit(struct bulk_args *b, const char *scope, const char *name, json_t *out)
{
	char kbuf[KEY_MAX];
	json_t *level, *pair, *rec, *view;
	const char *ks, *kn;
	size_t i, klen;
	int depth, rc = GR_OK;

	json_object_clear(b->seen);
	level = json_pack("[[s,s]]", scope, name);
	for (depth = 0; rc == GR_OK && depth < INHERIT_DEPTH_MAX &&
	     json_array_size(level) > 0;
	     depth++) {
		b->next = json_array();
		json_array_foreach(level, i, pair) {
			ks = json_string_value(json_array_get(pair, 0));
			kn = json_string_value(json_array_get(pair, 1));
			klen = key_join(kbuf, sizeof(kbuf), ks, kn,
			    (char *)NULL);
			rc = st_scan_key(b->t, TBL_CONTENTS_BY_CHILD, kbuf,
			    klen, queue_parent, b, b->err);
			if (rc != GR_OK)
				break;
		}
		json_decref(level);
		level = b->next;
		json_array_foreach(level, i, pair) {
			ks = json_string_value(json_array_get(pair, 0));
			kn = json_string_value(json_array_get(pair, 1));
			if (did_load(b->t, ks, kn, 0, &rec, b->err) != GR_OK) {
				gr_clear(b->err);
				continue;
			}
			view = plugin_view(ks, kn, rec, b->plugin);
			merge_unset(out, view);
			json_decref(view);
			json_decref(rec);
		}
	}
	json_decref(level);
	b->next = NULL;
	return rc;
}

static int
bulk_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct bulk_args *b = arg;
	const char *scope, *name;
	const json_t *d;
	json_t *rec, *out;
	size_t i;
	int rc = GR_OK;

	b->t = t;
	b->err = err;
	json_array_foreach(b->dids, i, d) {
		scope = json_string_value(json_object_get(d, "scope"));
		name = json_string_value(json_object_get(d, "name"));
		rc = did_load(t, scope, name, 0, &rec, err);
		if (rc == GR_DID_NOT_FOUND) {
			gr_clear(err);
			rc = GR_OK;
			if (!b->inherit)
				continue; /* Rucio lists the DIDs it finds */
			out = json_object();
		} else if (rc != GR_OK) {
			return rc;
		} else {
			out = plugin_view(scope, name, rec, b->plugin);
			json_decref(rec);
		}
		if (b->inherit) {
			json_object_set_new(out, "scope", json_string(scope));
			json_object_set_new(out, "name", json_string(name));
			rc = inherit(b, scope, name, out);
		}
		if (rc == GR_OK)
			rc = b->emit(out, b->ctx);
		json_decref(out);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
didmeta_get_bulk(const json_t *dids, bool inherit_, const char *plugin,
    gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct bulk_args b = { .dids = dids,
		.plugin = plugin != NULL ? plugin : "DID_COLUMN",
		.inherit = inherit_,
		.emit = emit,
		.ctx = ctx };
	int rc;

	if ((rc = check_plugin(b.plugin, err)) != GR_OK)
		return rc;
	if ((rc = did_check_list(dids, 1000, err)) != GR_OK)
		return rc;
	b.seen = json_object();
	rc = st_view(bulk_get_txn, &b, ST_ONCE, err);
	json_decref(b.seen);
	return rc;
}
