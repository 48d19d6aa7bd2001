/*
 * rse.c -- storage elements (core). TBL_RSES: name -> {"id", "rse", "vo",
 * "rse_type", "deterministic", "volatile", "staging_area", location fields,
 * "latitude", "longitude", "availability_read/_write/_delete", "qos_class",
 * "deleted", "deleted_at", "created_at", "updated_at"}; dates as epoch
 * seconds. TBL_RSE_ATTRS: name \0 key -> {"value"}. Deletion is soft, as
 * upstream; a deleted name may be used again (with a new id).
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "account.h"
#include "date.h"
#include "identity.h"
#include "jsonx.h"
#include "reaper.h"
#include "rse.h"
#include "secret.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

enum setting_kind { S_BOOL, S_STR, S_FLOAT, S_TYPE };

/* The settings an RSE has; attr: mirrored as an attribute when set;
   update: PUT may change it. */
static const struct {
	const char *key;
	enum setting_kind kind;
	bool attr, update;
} settings[] = {
	{ "deterministic", S_BOOL, false, true },
	{ "volatile", S_BOOL, false, true },
	{ "staging_area", S_BOOL, false, true },
	{ "rse_type", S_TYPE, false, true },
	{ "city", S_STR, true, true },
	{ "region_code", S_STR, true, true },
	{ "country_name", S_STR, true, true },
	{ "continent", S_STR, true, true },
	{ "time_zone", S_STR, true, true },
	{ "ISP", S_STR, true, false },
	{ "ASN", S_STR, true, false },
	{ "latitude", S_FLOAT, false, true },
	{ "longitude", S_FLOAT, false, true },
	{ "qos_class", S_STR, false, true },
	{ "availability_read", S_BOOL, false, true },
	{ "availability_write", S_BOOL, false, true },
	{ "availability_delete", S_BOOL, false, true },
};

bool
rse_valid_name(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > RSE_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		/* a separator between two runs of [A-Z0-9] */
		if ((c == '_' || c == '-') && i > 0 && i + 1 < n &&
		    s[i - 1] != '_' && s[i - 1] != '-')
			continue;
		return false;
	}
	return s[n - 1] != '_' && s[n - 1] != '-';
}

static DBT
rse_key(const char *name)
{
	return st_dbt(name, strlen(name));
}

/* Rucio's boolean inputs: true/false, 0/1, "true"/"false" in any case. */
static int
as_bool(const json_t *v, bool *out)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_integer(v) &&
	    (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		*out = json_integer_value(v) == 1;
	else if (s != NULL && strcasecmp(s, "true") == 0)
		*out = true;
	else if (s != NULL && strcasecmp(s, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* Check changes and apply them to rec. update: only PUT's keys. */
static int
apply(json_t *rec, const json_t *changes, bool update, struct gr_err *err)
{
	const char *k;
	json_t *v;
	size_t i;
	bool b, three = false;

	json_object_foreach(jsonx_unconst(changes), k, v) {
		if (strcmp(k, "availability") == 0 ||
		    (update && strcmp(k, "name") == 0))
			continue;
		for (i = 0; i < ARRAY_LEN(settings); i++)
			if (strcmp(k, settings[i].key) == 0)
				break;
		if (i == ARRAY_LEN(settings) || (update && !settings[i].update))
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "'%s' is not a setting of an RSE%s", k,
			    update ? " that can be changed" : "");
		if (strncmp(k, "availability_", 13) == 0)
			three = true;
		switch (settings[i].kind) {
		case S_BOOL:
			if (as_bool(v, &b) != 0)
				return gr_fail(err, GR_TYPE_ERROR,
				    "'%s' must be a boolean type.", k);
			json_object_set_new(rec, k, json_boolean(b));
			break;
		case S_STR:
			if (json_is_null(v)) {
				json_object_set_new(rec, k, json_null());
				break;
			}
			if (!json_is_string(v) || json_string_length(v) > 255 ||
			    !identity_valid(json_string_value(v)))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating %s: a string of at "
				    "most 255 characters",
				    k);
			json_object_set(rec, k, v);
			break;
		case S_FLOAT:
			if (!json_is_number(v) ||
			    !isfinite(json_number_value(v)))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating %s: a number", k);
			json_object_set_new(rec, k,
			    json_real(json_number_value(v)));
			break;
		case S_TYPE: {
			const char *t = json_string_value(v);

			if (t == NULL ||
			    (strcasecmp(t, "DISK") != 0 &&
				strcasecmp(t, "TAPE") != 0))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating rse_type: DISK or "
				    "TAPE");
			json_object_set_new(rec, k,
			    json_string(
				strcasecmp(t, "DISK") == 0 ? "DISK" : "TAPE"));
			break;
		}
		}
	}
	if ((v = json_object_get(changes, "availability")) != NULL) {
		json_int_t a = json_integer_value(v);

		if (three)
			return gr_fail(err, GR_INPUT_CONFLICT,
			    "give availability or availability_read/_write/"
			    "_delete, not both");
		if (!json_is_integer(v) || a < 0 || a > 7)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating availability: 0 to 7 "
			    "(read 4, write 2, delete 1)");
		json_object_set_new(rec, "availability_read",
		    json_boolean(a & 4));
		json_object_set_new(rec, "availability_write",
		    json_boolean(a & 2));
		json_object_set_new(rec, "availability_delete",
		    json_boolean(a & 1));
	}
	return GR_OK;
}

static int
availability(const json_t *rec)
{
	return (json_is_true(json_object_get(rec, "availability_read")) ? 4
									: 0) |
	    (json_is_true(json_object_get(rec, "availability_write")) ? 2 : 0) |
	    (json_is_true(json_object_get(rec, "availability_delete")) ? 1 : 0);
}

/* The row form (listings): the record with RFC 1123 dates. */
static json_t *
render_row(const json_t *rec)
{
	static const char *const dates[] = { "created_at", "updated_at",
		"deleted_at" };
	json_t *out = json_deep_copy(rec);
	char buf[DATE_RFC1123_LEN];
	size_t i;

	for (i = 0; i < ARRAY_LEN(dates); i++) {
		json_t *v = json_object_get(out, dates[i]);

		json_object_set_new(out, dates[i],
		    json_is_integer(v)
			? json_string(date_rfc1123(json_integer_value(v), buf))
			: json_null());
	}
	json_object_set_new(out, "availability",
	    json_integer(availability(rec)));
	return out;
}

/* The info form (GET /rses/<rse>). */
static json_t *
render_info(const json_t *rec)
{
	static const char *const keys[] = { "id", "rse", "rse_type",
		"deterministic", "volatile", "staging_area", "qos_class",
		"availability_read", "availability_write",
		"availability_delete" };
	json_t *out = json_pack("{s:n, s:[ss], s:s, s:[], s:n, s:b, s:I}",
	    "credentials", "domain", "lan", "wan", "lfn2pfn_algorithm", "hash",
	    "protocols", "sign_url", "verify_checksum", 1, "availability",
	    (json_int_t)availability(rec));
	size_t i;

	for (i = 0; i < ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(rec, keys[i]);

		json_object_set(out, keys[i], v != NULL ? v : json_null());
	}
	return out;
}

/* Attributes. */
int
rse_attr_get(struct st_txn *t, const char *name, const char *key, json_t **out,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), name, key, (char *)NULL));
	json_t *rec = NULL;
	int ret = st_get_json(t, TBL_RSE_ATTRS, &k, &rec, 0);

	*out = NULL;
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	*out = json_incref(json_object_get(rec, "value"));
	json_decref(rec);
	return GR_OK;
}

static int
attr_put(struct st_txn *t, const char *rse, const char *key, json_t *value,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse, key, (char *)NULL));
	json_t *rec = json_pack("{s:o}", "value", value);
	int ret = st_put_json(t, TBL_RSE_ATTRS, &k, rec, 0);

	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
attr_del_one(struct st_txn *t, const char *rse, const char *key,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), rse, key, (char *)NULL));
	int ret = st_del(t, TBL_RSE_ATTRS, &k);

	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

/* The mirrored settings of rec as attributes (set ones only). */
static int
mirror(struct st_txn *t, const char *rse, const json_t *rec, struct gr_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_LEN(settings); i++) {
		const char *v = json_string_value(
		    json_object_get(rec, settings[i].key));

		if (!settings[i].attr)
			continue;
		if (v != NULL && *v != '\0')
			rc = attr_put(t, rse, settings[i].key, json_string(v),
			    err);
		else
			rc = attr_del_one(t, rse, settings[i].key, err);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
rse_load(struct st_txn *t, const char *name, u_int32_t flags, json_t **rec,
    struct gr_err *err)
{
	DBT key = rse_key(name);
	int ret;

	*rec = NULL;
	ret = st_get_json(t, TBL_RSES, &key, rec, flags);
	if (ret == 0 && json_is_true(json_object_get(*rec, "deleted"))) {
		json_decref(*rec);
		*rec = NULL;
		ret = DB_NOTFOUND;
	}
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

struct rse_args {
	const char *issuer, *name, *key;
	const json_t *in; /* settings, changes or an attribute value */
	json_t *rec;      /* add: the new record */
	json_t *out;
};

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	DBT key = rse_key(a->name);
	json_t *old = NULL;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add RSE", err)) != GR_OK)
		return rc;
	ret = st_get_json(t, TBL_RSES, &key, &old, DB_RMW);
	if (ret == 0 && !json_is_true(json_object_get(old, "deleted"))) {
		json_decref(old);
		return gr_fail(err, GR_DUPLICATE, "RSE '%s' already exists!",
		    a->name);
	}
	json_decref(old);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if ((ret = st_put_json(t, TBL_RSES, &key, a->rec, 0)) != 0)
		return st_fail(err, ret);
	/* the implicit attribute "<RSE>: true" and the mirrored settings */
	if ((rc = attr_put(t, a->name, a->name, json_true(), err)) != GR_OK)
		return rc;
	return mirror(t, a->name, a->rec, err);
}

int
rse_add(const char *issuer, const char *name, const json_t *in,
    struct gr_err *err)
{
	struct rse_args a = { .issuer = issuer, .name = name };
	unsigned char rnd[16];
	char id[33];
	int64_t now = time_now();
	int rc;

	if (!rse_valid_name(name))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating rse: '%s' does not match "
		    "^([A-Z0-9]+([_-][A-Z0-9]+)*)$",
		    name);
	if (!json_is_object(in))
		return gr_fail(err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	random_bytes(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), id);
	a.rec = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:n, s:n, s:n, "
			  "s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:b, s:b, s:b, "
			  "s:b, s:n, s:I, s:I}",
	    "id", id, "rse", name, "vo", "def", "rse_type", "DISK",
	    "deterministic", 1, "volatile", 0, "staging_area", 0, "city",
	    "region_code", "country_name", "continent", "time_zone", "ISP",
	    "ASN", "latitude", "longitude", "qos_class", "availability_read", 1,
	    "availability_write", 1, "availability_delete", 1, "deleted", 0,
	    "deleted_at", "created_at", (json_int_t)now, "updated_at",
	    (json_int_t)now);
	if ((rc = apply(a.rec, in, false, err)) == GR_OK)
		rc = st_txn_run(add_txn, &a, err);
	json_decref(a.rec);
	return rc;
}

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	json_t *rec, *protos;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = rse_load(t, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	a->out = render_info(rec);
	json_decref(rec);
	if ((rc = rse_protocols(t, a->name, &protos, err)) != GR_OK)
		return rc;
	json_object_set_new(a->out, "protocols", protos);
	return GR_OK;
}

int
rse_get(const char *name, json_t **out, struct gr_err *err)
{
	struct rse_args a = { .name = name };
	int rc;

	*out = NULL;
	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	if ((rc = st_view(get_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

struct list_args {
	gr_emit_fn emit;
	void *ctx;
};

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *rec, *row;
	int rc = GR_OK;

	(void)key;
	(void)pkey;
	rec = json_loadb(val->data, val->size, 0, NULL);
	if (rec != NULL && !json_is_true(json_object_get(rec, "deleted"))) {
		row = render_row(rec);
		rc = a->emit(row, a->ctx);
		json_decref(row);
	}
	json_decref(rec);
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	return st_scan(t, TBL_RSES, NULL, 0, NULL, list_one, arg, err);
}

int
rse_list(gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct list_args a = { emit, ctx };

	return st_view(list_txn, &a, ST_ONCE, err);
}

/* Move every attribute of from to to (a rename). */
struct move_args {
	const char *from;
	size_t n, cap;
	char **keys;
	json_t **values;
};

static int
collect_attr(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct move_args *m = arg;
	const char *k;
	size_t len;

	(void)pkey;
	if ((k = key_part(key->data, key->size, 1, &len)) == NULL)
		return GR_OK;
	if (m->n == m->cap) {
		m->cap = m->cap != 0 ? 2 * m->cap : 8;
		m->keys = xrealloc(m->keys, m->cap * sizeof(*m->keys));
		m->values = xrealloc(m->values, m->cap * sizeof(*m->values));
	}
	m->keys[m->n] = xstrndup(k, len);
	m->values[m->n] = json_loadb(val->data, val->size, 0, NULL);
	m->n++;
	return GR_OK;
}

static int
move_attrs(struct st_txn *t, const char *from, const char *to,
    struct gr_err *err)
{
	struct move_args m = { .from = from };
	char kbuf[KEY_MAX];
	size_t i, klen = key_join(kbuf, sizeof(kbuf), from, "", (char *)NULL);
	int rc;

	rc = st_scan(t, TBL_RSE_ATTRS, kbuf, klen, NULL, collect_attr, &m, err);
	for (i = 0; i < m.n; i++) {
		const char *k = m.keys[i];
		json_t *v = json_incref(json_object_get(m.values[i], "value"));

		if (rc == GR_OK)
			rc = attr_del_one(t, from, k, err);
		/* the implicit attribute follows the name */
		if (rc == GR_OK)
			rc = attr_put(t, to, strcmp(k, from) == 0 ? to : k,
			    v != NULL ? v : json_null(), err);
		else
			json_decref(v);
		free(m.keys[i]);
		json_decref(m.values[i]);
	}
	free(m.keys);
	free(m.values);
	return rc;
}

static int
update_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	const char *to = json_string_value(json_object_get(a->in, "name"));
	json_t *rec = NULL, *old = NULL;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "update RSE", err)) !=
	    GR_OK)
		return rc;
	if ((rc = rse_load(t, a->name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if ((rc = apply(rec, a->in, true, err)) != GR_OK)
		goto out;
	json_object_set_new(rec, "updated_at", json_integer(time_now()));
	if (to != NULL && strcmp(to, a->name) != 0) {
		key = rse_key(to);
		ret = st_get_json(t, TBL_RSES, &key, &old, DB_RMW);
		if (ret == 0 &&
		    !json_is_true(json_object_get(old, "deleted"))) {
			rc = gr_fail(err, GR_DUPLICATE,
			    "RSE '%s' already exists!", to);
			goto out;
		}
		if (ret != 0 && ret != DB_NOTFOUND) {
			rc = st_fail(err, ret);
			goto out;
		}
		json_object_set_new(rec, "rse", json_string(to));
		key = rse_key(a->name);
		if ((ret = st_del(t, TBL_RSES, &key)) != 0) {
			rc = st_fail(err, ret);
			goto out;
		}
		if ((rc = move_attrs(t, a->name, to, err)) != GR_OK)
			goto out;
	} else {
		to = a->name;
	}
	key = rse_key(to);
	if ((ret = st_put_json(t, TBL_RSES, &key, rec, 0)) != 0)
		rc = st_fail(err, ret);
	else
		rc = mirror(t, to, rec, err);
out:
	json_decref(old);
	json_decref(rec);
	return rc;
}

int
rse_update(const char *issuer, const char *name, const json_t *changes,
    struct gr_err *err)
{
	struct rse_args a = { .issuer = issuer, .name = name, .in = changes };
	const json_t *to;
	int rc;

	if (!json_is_object(changes))
		return gr_fail(err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	to = json_object_get(changes, "name");
	if (to != NULL && !rse_valid_name(json_string_value(to)))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating name: not an RSE name");
	if ((rc = st_txn_run(update_txn, &a, err)) == GR_OK)
		reaper_note(); /* availability_delete may have come back */
	return rc;
}

/* An RSE that holds replicas is not deleted (upstream's wording). */
static int
require_empty(struct st_txn *t, const char *name, const json_t *rec,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf),
	    json_string_value(json_object_get(rec, "id")), "", (char *)NULL);
	bool any = false;
	int rc;

	rc = st_scan(t, TBL_REPLICAS_BY_RSE, kbuf, klen, NULL, st_scan_found,
	    &any, err);
	if (rc != GR_OK)
		return rc;
	if (any)
		return gr_fail(err, GR_RSE_OP_NOT_SUPPORTED,
		    "RSE '%s' is not empty", name);
	return GR_OK;
}

static int
delete_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	DBT key = rse_key(a->name);
	json_t *rec;
	int64_t now = time_now();
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "delete RSE", err)) !=
	    GR_OK)
		return rc;
	if ((rc = rse_load(t, a->name, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	if ((rc = require_empty(t, a->name, rec, err)) != GR_OK) {
		json_decref(rec);
		return rc;
	}
	json_object_set_new(rec, "deleted", json_true());
	json_object_set_new(rec, "deleted_at", json_integer(now));
	json_object_set_new(rec, "updated_at", json_integer(now));
	ret = st_put_json(t, TBL_RSES, &key, rec, 0);
	json_decref(rec);
	if (ret != 0)
		return st_fail(err, ret);
	return attr_del_one(t, a->name, a->name, err);
}

int
rse_delete(const char *issuer, const char *name, struct gr_err *err)
{
	struct rse_args a = { .issuer = issuer, .name = name };

	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	return st_txn_run(delete_txn, &a, err);
}

static int
attr_collect(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct rse_args *a = arg;
	const char *k;
	size_t len;
	json_t *rec;
	char *name;

	(void)pkey;
	if ((k = key_part(key->data, key->size, 1, &len)) == NULL)
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	name = xstrndup(k, len);
	json_object_set(a->out, name,
	    json_object_get(rec, "value") != NULL
		? json_object_get(rec, "value")
		: json_null());
	free(name);
	json_decref(rec);
	return GR_OK;
}

static int
attr_list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	json_t *rec;
	int rc;

	json_object_clear(a->out);
	if ((rc = rse_load(t, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	klen = key_join(kbuf, sizeof(kbuf), a->name, "", (char *)NULL);
	return st_scan(t, TBL_RSE_ATTRS, kbuf, klen, NULL, attr_collect, a,
	    err);
}

int
rse_attr_list(const char *name, json_t **out, struct gr_err *err)
{
	struct rse_args a = { .name = name };
	int rc;

	*out = NULL;
	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	a.out = json_object();
	if ((rc = st_view(attr_list_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

static int
attr_set_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	json_t *rec;
	int rc;

	if ((rc = account_require_admin(t, a->issuer, "add RSE attribute",
		 err)) != GR_OK)
		return rc;
	if ((rc = rse_load(t, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	return attr_put(t, a->name, a->key, json_incref(a->rec), err);
}

int
rse_attr_set(const char *issuer, const char *name, const char *key,
    const json_t *value, struct gr_err *err)
{
	struct rse_args a = { .issuer = issuer, .name = name, .key = key };
	const char *s = json_string_value(value);
	int rc;

	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	if (!valid_attr(key, 255))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating key: '%s' does not match "
		    "^[a-zA-Z0-9_./-]{1,255}$",
		    key);
	/* Rucio's BooleanString: true/"true"/"True" and false alike are
	   booleans, numbers and strings are kept as strings */
	if (json_is_boolean(value))
		a.rec = json_incref(jsonx_unconst(value));
	else if (s != NULL && strcasecmp(s, "true") == 0)
		a.rec = json_true();
	else if (s != NULL && strcasecmp(s, "false") == 0)
		a.rec = json_false();
	else if (s != NULL && json_string_length(value) <= 255 &&
	    identity_valid(s))
		a.rec = json_string(s);
	else if (json_is_number(value)) {
		char num[64];

		if (json_is_integer(value))
			(void)snprintf(num, sizeof(num),
			    "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		else
			(void)snprintf(num, sizeof(num), "%g",
			    json_real_value(value));
		a.rec = json_string(num);
	} else
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: a boolean, a number or a string "
		    "of at most 255 characters");
	rc = st_txn_run(attr_set_txn, &a, err);
	json_decref(a.rec);
	/* greedyDeletion and the usage sources decide what the reaper
	   deletes */
	if (rc == GR_OK)
		reaper_note();
	return rc;
}

static int
attr_del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *rec;
	DBT k;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "delete RSE attribute",
		 err)) != GR_OK)
		return rc;
	if ((rc = rse_load(t, a->name, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), a->name, a->key, (char *)NULL));
	ret = st_del(t, TBL_RSE_ATTRS, &k);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_RSE_ATTR_NOT_FOUND,
		    "RSE attribute '%s' of '%s' cannot be found", a->key,
		    a->name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
rse_attr_del(const char *issuer, const char *name, const char *key,
    struct gr_err *err)
{
	struct rse_args a = { .issuer = issuer, .name = name, .key = key };

	if (!rse_valid_name(name))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", name);
	if (!valid_attr(key, 255))
		return gr_fail(err, GR_RSE_ATTR_NOT_FOUND,
		    "RSE attribute '%s' of '%s' cannot be found", key, name);
	return st_txn_run(attr_del_txn, &a, err);
}

/*
 * Protocols: TBL_RSE_PROTOCOLS, RSE id \0 scheme \0 hostname \0 port ->
 * {"scheme","hostname","port","prefix","impl","domains","extended_attributes"}
 * with every priority present (0 when not given). Keyed by the RSE's id, so
 * a rename keeps them.
 */
static const char *const lan_ops[] = { "read", "write", "delete", NULL };
static const char *const wan_ops[] = { "read", "write", "delete",
	"third_party_copy_read", "third_party_copy_write", NULL };

static bool
rse_scheme_ok(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 255 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
			s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* Merge a domains object into rec's (which has every priority). */
static int
merge_domains(json_t *rec, const json_t *domains, struct gr_err *err)
{
	json_t *mine = json_object_get(rec, "domains"), *ops, *p;
	const char *d, *op;
	size_t i;

	if (!json_is_object(domains))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating domains: an object");
	json_object_foreach(jsonx_unconst(domains), d, ops) {
		const char *const *allowed = strcmp(d, "lan") == 0 ? lan_ops
		    : strcmp(d, "wan") == 0                        ? wan_ops
								   : NULL;

		if (allowed == NULL)
			return gr_fail(err, GR_RSE_PROTO_DOMAIN,
			    "The protocol domain '%.40s' is not defined in "
			    "the schema.",
			    d);
		if (!json_is_object(ops))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating domains.%s: an object", d);
		json_object_foreach(ops, op, p) {
			for (i = 0; allowed[i] != NULL; i++)
				if (strcmp(op, allowed[i]) == 0)
					break;
			if (allowed[i] == NULL)
				return gr_fail(err, GR_RSE_OP_NOT_SUPPORTED,
				    "Operation '%.40s' not defined in schema.",
				    op);
			if (!json_is_null(p) &&
			    (!json_is_integer(p) || json_integer_value(p) < 0))
				return gr_fail(err, GR_RSE_PROTO_PRIORITY,
				    "The provided priority for operation "
				    "'%s' in domain '%s' is not supported.",
				    op, d);
			json_object_set_new(json_object_get(mine, d), op,
			    json_integer(
				json_is_null(p) ? 0 : json_integer_value(p)));
		}
	}
	return GR_OK;
}

/* Apply a protocol's fields (all for a new one) to rec. */
static int
proto_apply(json_t *rec, const json_t *in, struct gr_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(in))
		return gr_fail(err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	json_object_foreach(jsonx_unconst(in), k, v) {
		if (strcmp(k, "scheme") == 0)
			continue; /* the path's */
		if (strcmp(k, "hostname") == 0 || strcmp(k, "impl") == 0 ||
		    strcmp(k, "prefix") == 0) {
			if (!(json_is_string(v) ||
				(json_is_null(v) &&
				    strcmp(k, "prefix") == 0)) ||
			    json_string_length(v) > 1024 ||
			    (json_is_string(v) && json_string_length(v) > 0 &&
				!identity_valid(json_string_value(v))))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating %s: a string", k);
			json_object_set(rec, k, v);
		} else if (strcmp(k, "port") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535)
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating port: 0 to 65535");
			json_object_set(rec, k, v);
		} else if (strcmp(k, "domains") == 0) {
			int rc = merge_domains(rec, v, err);

			if (rc != GR_OK)
				return rc;
		} else if (strcmp(k, "extended_attributes") == 0) {
			json_object_set(rec, k, v);
		} else {
			return gr_fail(err, GR_INVALID_OBJECT,
			    "'%.40s' is not a field of a protocol", k);
		}
	}
	if (!json_is_string(json_object_get(rec, "impl")) ||
	    json_string_length(json_object_get(rec, "impl")) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Missing values! A protocol needs impl");
	return GR_OK;
}

static size_t
proto_key(char *buf, size_t size, const char *id, const json_t *rec)
{
	char port[16];

	(void)snprintf(port, sizeof(port), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(rec, "port")));
	return key_join(buf, size, id,
	    json_string_value(json_object_get(rec, "scheme")),
	    json_string_value(json_object_get(rec, "hostname")), port,
	    (char *)NULL);
}

struct proto_args {
	const char *issuer, *rse, *scheme, *hostname, *port;
	const json_t *in;
	json_t *rec;  /* add */
	json_t *list; /* list, or the matches of update/delete */
	char id[33];
	struct st_txn *t;
};

static int
proto_collect(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct proto_args *a = arg;
	json_t *rec = json_loadb(val->data, val->size, 0, NULL);
	const char *h = json_string_value(json_object_get(rec, "hostname"));
	char port[16];

	(void)key;
	(void)pkey;
	(void)snprintf(port, sizeof(port), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(rec, "port")));
	if (rec != NULL &&
	    (a->scheme == NULL ||
		strcmp(json_string_value(json_object_get(rec, "scheme")),
		    a->scheme) == 0) &&
	    (a->hostname == NULL ||
		(h != NULL && strcmp(h, a->hostname) == 0)) &&
	    (a->port == NULL || strcmp(port, a->port) == 0))
		json_array_append(a->list, rec);
	json_decref(rec);
	return GR_OK;
}

static int
cmp_proto(const void *x, const void *y)
{
	const json_t *p = *(json_t *const *)x, *q = *(json_t *const *)y;
	int c = strcmp(json_string_value(json_object_get(p, "hostname")),
	    json_string_value(json_object_get(q, "hostname")));

	if (c == 0)
		c = strcmp(json_string_value(json_object_get(p, "scheme")),
		    json_string_value(json_object_get(q, "scheme")));
	if (c == 0)
		c = (int)(json_integer_value(json_object_get(p, "port")) -
		    json_integer_value(json_object_get(q, "port")));
	return c;
}

/* Inside a transaction: the protocols of the live RSE a->rse matching
   a->scheme/hostname/port (NULL: any), sorted, into a->list. */
static int
proto_find(struct st_txn *t, struct proto_args *a, struct gr_err *err)
{
	json_t *rec, *items[1024], *sorted;
	char kbuf[KEY_MAX];
	size_t klen, i, n;
	int rc;

	if ((rc = rse_load(t, a->rse, 0, &rec, err)) != GR_OK)
		return rc;
	(void)snprintf(a->id, sizeof(a->id), "%s",
	    json_string_value(json_object_get(rec, "id")));
	json_decref(rec);
	json_array_clear(a->list);
	klen = key_join(kbuf, sizeof(kbuf), a->id, "", (char *)NULL);
	rc = st_scan(t, TBL_RSE_PROTOCOLS, kbuf, klen, NULL, proto_collect, a,
	    err);
	if (rc != GR_OK)
		return rc;
	n = json_array_size(a->list);
	if (n > ARRAY_LEN(items))
		n = ARRAY_LEN(items);
	for (i = 0; i < n; i++)
		items[i] = json_array_get(a->list, i);
	qsort(items, n, sizeof(*items), cmp_proto);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	json_array_clear(a->list);
	json_array_extend(a->list, sorted);
	json_decref(sorted);
	return GR_OK;
}

int
rse_protocols(struct st_txn *t, const char *rse, json_t **out,
    struct gr_err *err)
{
	struct proto_args a = { .rse = rse };
	int rc;

	a.list = json_array();
	if ((rc = proto_find(t, &a, err)) != GR_OK) {
		json_decref(a.list);
		*out = NULL;
		return rc;
	}
	*out = a.list;
	return GR_OK;
}

static int
proto_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct proto_args *a = arg;
	json_t *rec;
	char kbuf[KEY_MAX];
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add RSE protocols",
		 err)) != GR_OK ||
	    (rc = rse_load(t, a->rse, 0, &rec, err)) != GR_OK)
		return rc;
	(void)snprintf(a->id, sizeof(a->id), "%s",
	    json_string_value(json_object_get(rec, "id")));
	json_decref(rec);
	key = st_dbt(kbuf, proto_key(kbuf, sizeof(kbuf), a->id, a->rec));
	ret = st_put_json(t, TBL_RSE_PROTOCOLS, &key, a->rec, DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "Protocol '%s' on port %lld already registered for '%s' "
		    "with hostname '%s'.",
		    a->scheme,
		    (long long)json_integer_value(
			json_object_get(a->rec, "port")),
		    a->rse,
		    json_string_value(json_object_get(a->rec, "hostname")));
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static json_t *
proto_new(const char *scheme)
{
	return json_pack("{s:s, s:s, s:i, s:n, s:n, s:{s:{s:i, s:i, s:i}, "
			 "s:{s:i, s:i, s:i, s:i, s:i}}, s:n}",
	    "scheme", scheme, "hostname", "", "port", 0, "prefix", "impl",
	    "domains", "lan", "read", 0, "write", 0, "delete", 0, "wan", "read",
	    0, "write", 0, "delete", 0, "third_party_copy_read", 0,
	    "third_party_copy_write", 0, "extended_attributes");
}

int
rse_proto_add(const char *issuer, const char *rse, const char *scheme,
    const json_t *body, struct gr_err *err)
{
	struct proto_args a = { .issuer = issuer,
		.rse = rse,
		.scheme = scheme };
	int rc;

	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	if (!rse_scheme_ok(scheme))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating scheme: a URI scheme");
	a.rec = proto_new(scheme);
	if ((rc = proto_apply(a.rec, body, err)) == GR_OK)
		rc = st_txn_run(proto_add_txn, &a, err);
	json_decref(a.rec);
	if (rc == GR_OK)
		reaper_note(); /* deletions may wait for a protocol */
	return rc;
}

static int
proto_list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct proto_args *a = arg;
	int rc;

	if ((rc = proto_find(t, a, err)) != GR_OK)
		return rc;
	if (json_array_size(a->list) == 0)
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "No protocols found for this RSE");
	return GR_OK;
}

int
rse_proto_list(const char *rse, json_t **out, struct gr_err *err)
{
	struct proto_args a = { .rse = rse };
	int rc;

	*out = NULL;
	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	a.list = json_array();
	if ((rc = st_view(proto_list_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.list);
		return rc;
	}
	*out = a.list;
	return GR_OK;
}

/* update (a->in != NULL) or delete the matching protocols */
static int
proto_change_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct proto_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *p, *q;
	size_t i;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "change RSE protocols",
		 err)) != GR_OK ||
	    (rc = proto_find(t, a, err)) != GR_OK)
		return rc;
	if (json_array_size(a->list) == 0)
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "RSE '%s' has no protocol %s%s%s%s%s", a->rse, a->scheme,
		    a->hostname != NULL ? " on " : "",
		    a->hostname != NULL ? a->hostname : "",
		    a->port != NULL ? ":" : "", a->port != NULL ? a->port : "");
	json_array_foreach(a->list, i, p) {
		key = st_dbt(kbuf, proto_key(kbuf, sizeof(kbuf), a->id, p));
		if ((ret = st_del(t, TBL_RSE_PROTOCOLS, &key)) != 0)
			return st_fail(err, ret);
		if (a->in == NULL)
			continue;
		q = json_deep_copy(p);
		if ((rc = proto_apply(q, a->in, err)) == GR_OK) {
			key = st_dbt(kbuf,
			    proto_key(kbuf, sizeof(kbuf), a->id, q));
			ret = st_put_json(t, TBL_RSE_PROTOCOLS, &key, q,
			    DB_NOOVERWRITE);
			if (ret == DB_KEYEXIST)
				rc = gr_fail(err, GR_DUPLICATE,
				    "a protocol with this scheme, hostname "
				    "and port exists already");
			else if (ret != 0)
				rc = st_fail(err, ret);
		}
		json_decref(q);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

static int
proto_change(struct proto_args *a, struct gr_err *err)
{
	long port;
	int rc;

	if (!rse_valid_name(a->rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", a->rse);
	if (!rse_scheme_ok(a->scheme) ||
	    (a->port != NULL && parse_long(a->port, 0, 65535, &port) != 0))
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "RSE '%s' has no such protocol", a->rse);
	a->list = json_array();
	rc = st_txn_run(proto_change_txn, a, err);
	json_decref(a->list);
	return rc;
}

int
rse_proto_update(const char *issuer, const char *rse, const char *scheme,
    const char *hostname, const char *port, const json_t *changes,
    struct gr_err *err)
{
	struct proto_args a = { .issuer = issuer,
		.rse = rse,
		.scheme = scheme,
		.hostname = hostname,
		.port = port,
		.in = changes };
	int rc;

	if (!json_is_object(changes))
		return gr_fail(err, GR_TYPE_ERROR,
		    "body must be a json dictionary");
	if ((rc = proto_change(&a, err)) == GR_OK)
		reaper_note(); /* deletions may wait for a protocol */
	return rc;
}

int
rse_proto_del(const char *issuer, const char *rse, const char *scheme,
    const char *hostname, const char *port, struct gr_err *err)
{
	struct proto_args a = { .issuer = issuer,
		.rse = rse,
		.scheme = scheme,
		.hostname = hostname,
		.port = port };

	return proto_change(&a, err);
}

char *
rse_hash_path(const char *scope, const char *name)
{
	unsigned char d[16];
	char hex[33], *lfn, *sc, *out, *p;
	size_t len = strlen(scope) + strlen(name) + 2;

	lfn = xmalloc(len);
	(void)snprintf(lfn, len, "%s:%s", scope, name);
	(void)gnutls_hash_fast(GNUTLS_DIG_MD5, lfn, strlen(lfn), d);
	free(lfn);
	hex_encode(d, sizeof(d), hex);
	sc = xstrdup(scope);
	if (strncmp(sc, "user", 4) == 0 || strncmp(sc, "group", 5) == 0)
		for (p = sc; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
	len = strlen(sc) + strlen(name) + 16;
	out = xmalloc(len);
	(void)snprintf(out, len, "%s/%.2s/%.2s/%s", sc, hex, hex + 2, name);
	free(sc);
	return out;
}

/* A copy of prefix that starts and ends with '/'. */
static char *
slash_prefix(const char *prefix)
{
	size_t n = strlen(prefix);
	char *out = xmalloc(n + 3), *p = out;

	if (prefix[0] != '/')
		*p++ = '/';
	memcpy(p, prefix, n);
	p += n;
	if (n == 0 || prefix[n - 1] != '/')
		*p++ = '/';
	*p = '\0';
	/* an empty prefix gives "/", not "//" */
	if (strcmp(out, "//") == 0)
		out[1] = '\0';
	return out;
}

char *
rse_proto_base(const json_t *proto)
{
	const char *prefix = json_string_value(
	    json_object_get(proto, "prefix"));
	char *pre = slash_prefix(prefix != NULL ? prefix : ""), *out;
	const char *scheme = json_string_value(
	    json_object_get(proto, "scheme"));
	const char *host = json_string_value(
	    json_object_get(proto, "hostname"));
	size_t len;

	if (scheme == NULL)
		scheme = "";
	if (host == NULL)
		host = "";
	len = strlen(scheme) + strlen(host) + strlen(pre) + 32;
	out = xmalloc(len);
	(void)snprintf(out, len, "%s://%s:%" JSON_INTEGER_FORMAT "%s", scheme,
	    host, json_integer_value(json_object_get(proto, "port")), pre);
	free(pre);
	return out;
}

int
rse_load_by_id(struct st_txn *t, const char *id, json_t **rec)
{
	DBT k = st_dbt(id, strlen(id));
	char *name = NULL;
	size_t len;
	int ret;

	*rec = NULL;
	if ((ret = st_primary_key(t, TBL_RSES_BY_ID, &k, &name, &len)) != 0)
		return ret;
	k = st_dbt(name, len);
	ret = st_get_json(t, TBL_RSES, &k, rec, 0);
	free(name);
	if (ret == 0 && json_is_true(json_object_get(*rec, "deleted"))) {
		json_decref(*rec);
		*rec = NULL;
		ret = DB_NOTFOUND;
	}
	return ret;
}

char *
rse_live_name(struct st_txn *t, const char *id)
{
	json_t *rec = NULL;
	char *name = NULL;

	if (rse_load_by_id(t, id, &rec) == 0)
		name = xstrdup(json_string_value(json_object_get(rec, "rse")));
	json_decref(rec);
	return name;
}

struct rse_pfn_args {
	const char *rse, *scheme, *domain, *operation;
	const json_t *lfns;
	json_t *out;
};

static int
rse_pfn_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rse_pfn_args *a = arg;
	struct proto_args pa = { .rse = a->rse, .scheme = a->scheme };
	json_t *rec, *p, *best = NULL, *lfn;
	json_int_t bestprio = 0;
	const char *prefix;
	char *pre, *path;
	size_t i;
	bool det;
	int rc;

	json_object_clear(a->out);
	if ((rc = rse_load(t, a->rse, 0, &rec, err)) != GR_OK)
		return rc;
	det = json_is_true(json_object_get(rec, "deterministic"));
	json_decref(rec);
	pa.list = json_array();
	if ((rc = proto_find(t, &pa, err)) != GR_OK) {
		json_decref(pa.list);
		return rc;
	}
	json_array_foreach(pa.list, i, p) {
		json_int_t prio = json_integer_value(
		    json_object_get(json_object_get(json_object_get(p,
							"domains"),
					a->domain),
			a->operation));

		if (prio > 0 && (best == NULL || prio < bestprio)) {
			best = p;
			bestprio = prio;
		}
	}
	if (best == NULL) {
		json_decref(pa.list);
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "RSE '%s' has no protocol for %s %s%s%s", a->rse, a->domain,
		    a->operation, a->scheme != NULL ? " with " : "",
		    a->scheme != NULL ? a->scheme : "");
	}
	if (!det) {
		json_decref(pa.list);
		return gr_fail(err, GR_REPLICA_NOT_FOUND, "No replicas found");
	}
	prefix = json_string_value(json_object_get(best, "prefix"));
	/* the prefix starts and ends with '/', as upstream forces it */
	pre = slash_prefix(prefix != NULL ? prefix : "");
	json_array_foreach(a->lfns, i, lfn) {
		const char *s = json_string_value(lfn), *colon;
		char *scope, *pfn;
		size_t len;

		colon = s != NULL ? strchr(s, ':') : NULL;
		scope = xstrndup(s, (size_t)(colon - s));
		path = rse_hash_path(scope, colon + 1);
		len = strlen(pre) + strlen(path) + 600;
		pfn = xmalloc(len);
		(void)snprintf(pfn, len, "%s://%s:%" JSON_INTEGER_FORMAT "%s%s",
		    json_string_value(json_object_get(best, "scheme")),
		    json_string_value(json_object_get(best, "hostname")),
		    json_integer_value(json_object_get(best, "port")), pre,
		    path);
		json_object_set_new(a->out, s, json_string(pfn));
		free(pfn);
		free(path);
		free(scope);
	}
	free(pre);
	json_decref(pa.list);
	return GR_OK;
}

int
rse_lfns2pfns(const char *rse, const json_t *lfns, const char *scheme,
    const char *domain, const char *operation, json_t **out, struct gr_err *err)
{
	struct rse_pfn_args a = { .rse = rse, .scheme = scheme, .lfns = lfns };
	const char *const *ops;
	json_t *lfn;
	size_t i;
	int rc;

	*out = NULL;
	a.domain = domain != NULL ? domain : "wan";
	a.operation = operation != NULL ? operation : "write";
	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	ops = strcmp(a.domain, "lan") == 0 ? lan_ops
	    : strcmp(a.domain, "wan") == 0 ? wan_ops
					   : NULL;
	if (ops == NULL)
		return gr_fail(err, GR_RSE_PROTO_DOMAIN,
		    "The protocol domain '%.40s' is not defined in the schema.",
		    a.domain);
	for (i = 0; ops[i] != NULL; i++)
		if (strcmp(ops[i], a.operation) == 0)
			break;
	if (ops[i] == NULL)
		return gr_fail(err, GR_RSE_OP_NOT_SUPPORTED,
		    "Operation '%.40s' not defined in schema.", a.operation);
	if (json_array_size(lfns) == 0)
		return gr_fail(err, GR_INVALID_PATH, "no lfn given");
	json_array_foreach(lfns, i, lfn) {
		const char *s = json_string_value(lfn), *colon;

		colon = s != NULL ? strchr(s, ':') : NULL;
		if (colon == NULL || colon == s || colon[1] == '\0' ||
		    strlen(s) > 600)
			return gr_fail(err, GR_INVALID_PATH,
			    "LFN(s) in invalid format: %.100s",
			    s != NULL ? s : "");
	}
	a.out = json_object();
	if ((rc = st_view(rse_pfn_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

/* RSE limits: TBL_RSE_LIMITS, RSE id \0 name -> {"value"}. */
struct rlimit_args {
	const char *issuer, *rse, *name;
	json_int_t value;
	bool del;
	json_t *out;
};

static int
rlimit_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct rlimit_args *a = arg;
	const char *n;
	size_t len;
	json_t *rec;
	char *name;

	(void)pkey;
	if ((n = key_part(key->data, key->size, 1, &len)) == NULL)
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	name = xstrndup(n, len);
	json_object_set(a->out, name, json_object_get(rec, "value"));
	free(name);
	json_decref(rec);
	return GR_OK;
}

int
rse_live_id(struct st_txn *t, const char *rse, char id[RSE_ID_LEN + 1],
    struct gr_err *err)
{
	json_t *rec;
	int rc;

	if ((rc = rse_load(t, rse, 0, &rec, err)) != GR_OK)
		return rc;
	(void)snprintf(id, RSE_ID_LEN + 1, "%s",
	    json_string_value(json_object_get(rec, "id")));
	json_decref(rec);
	return GR_OK;
}

static int
rlimits_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rlimit_args *a = arg;
	char id[33], kbuf[KEY_MAX];
	size_t klen;
	int rc;

	json_object_clear(a->out);
	if ((rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	klen = key_join(kbuf, sizeof(kbuf), id, "", (char *)NULL);
	return st_scan(t, TBL_RSE_LIMITS, kbuf, klen, NULL, rlimit_one, a, err);
}

int
rse_limits_get(const char *rse, json_t **out, struct gr_err *err)
{
	struct rlimit_args a = { .rse = rse };
	int rc;

	*out = NULL;
	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	a.out = json_object();
	if ((rc = st_view(rlimits_get_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

static int
rlimit_set_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct rlimit_args *a = arg;
	char id[33], kbuf[KEY_MAX];
	json_t *rec;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "set RSE limits", err)) !=
		GR_OK ||
	    (rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), id, a->name, (char *)NULL));
	if (a->del) {
		ret = st_del(t, TBL_RSE_LIMITS, &key);
		return ret == 0 || ret == DB_NOTFOUND ? GR_OK
						      : st_fail(err, ret);
	}
	rec = json_pack("{s:I}", "value", a->value);
	ret = st_put_json(t, TBL_RSE_LIMITS, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
rlimit_check(const char *rse, const char *name, struct gr_err *err)
{
	if (!rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse);
	if (name == NULL || !valid_attr(name, 255))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating name: ^[a-zA-Z0-9_./-]{1,255}$");
	return GR_OK;
}

int
rse_limit_set(const char *issuer, const char *rse, const char *name,
    const json_t *value, struct gr_err *err)
{
	struct rlimit_args a = { .issuer = issuer, .rse = rse, .name = name };
	int rc;

	if ((rc = rlimit_check(rse, name, err)) != GR_OK)
		return rc;
	if (!json_is_integer(value))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: an integer");
	a.value = json_integer_value(value);
	if ((rc = st_txn_run(rlimit_set_txn, &a, err)) == GR_OK)
		reaper_note(); /* MinFreeSpace: the reaper looks again */
	return rc;
}

int
rse_limit_del(const char *issuer, const char *rse, const char *name,
    struct gr_err *err)
{
	struct rlimit_args a = { .issuer = issuer,
		.rse = rse,
		.name = name,
		.del = true };
	int rc;

	if ((rc = rlimit_check(rse, name, err)) != GR_OK)
		return rc;
	return st_txn_run(rlimit_set_txn, &a, err);
}

/* Distances: TBL_RSE_DISTANCES, source id \0 destination id ->
   {"distance" (integer or null), "created_at", "updated_at"}. */
struct dist_args {
	const char *issuer, *src, *dst;
	const json_t *distance;
	bool bidirectional;
	enum { D_ADD, D_UPDATE, D_DEL, D_GET } op;
	json_t *out;
};

static int
dist_one(struct st_txn *t, struct dist_args *a, const char *from,
    const char *to, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), from, to, (char *)NULL));
	int64_t now = time_now();
	json_t *rec = NULL;
	int ret;

	if (a->op == D_DEL) {
		ret = st_del(t, TBL_RSE_DISTANCES, &k);
		return ret == 0 || ret == DB_NOTFOUND ? GR_OK
						      : st_fail(err, ret);
	}
	ret = st_get_json(t, TBL_RSE_DISTANCES, &k, &rec, DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if (a->op == D_ADD && ret == 0) {
		json_decref(rec);
		return gr_fail(err, GR_DUPLICATE,
		    "A distance from %s to %s exists already", a->src, a->dst);
	}
	if (a->op == D_UPDATE && ret == DB_NOTFOUND)
		return GR_OK; /* upstream updates nothing, silently */
	if (rec == NULL)
		rec = json_pack("{s:I}", "created_at", (json_int_t)now);
	json_object_set(rec, "distance",
	    jsonx_unconst(a->distance != NULL ? a->distance : json_null()));
	json_object_set_new(rec, "updated_at", json_integer(now));
	ret = st_put_json(t, TBL_RSE_DISTANCES, &k, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
dist_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dist_args *a = arg;
	char sid[RSE_ID_LEN + 1], did[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	char created[DATE_RFC1123_LEN], updated[DATE_RFC1123_LEN];
	json_t *rec = NULL, *v;
	DBT k;
	int rc, ret;

	if (a->op != D_GET &&
	    (rc = account_require_admin(t, a->issuer, "update RSE distances",
		 err)) != GR_OK)
		return rc;
	if ((rc = rse_live_id(t, a->src, sid, err)) != GR_OK ||
	    (rc = rse_live_id(t, a->dst, did, err)) != GR_OK)
		return rc;
	if (a->op != D_GET) {
		rc = dist_one(t, a, sid, did, err);
		if (rc == GR_OK && a->bidirectional)
			rc = dist_one(t, a, did, sid, err);
		return rc;
	}
	json_array_clear(a->out);
	k = st_dbt(kbuf, key_join(kbuf, sizeof(kbuf), sid, did, (char *)NULL));
	ret = st_get_json(t, TBL_RSE_DISTANCES, &k, &rec, 0);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	v = json_object_get(rec, "distance");
	json_array_append_new(a->out,
	    json_pack("{s:s, s:s, s:O, s:O, s:s, s:s}", "src_rse_id", sid,
		"dest_rse_id", did, "distance", v != NULL ? v : json_null(),
		"ranking", v != NULL ? v : json_null(), "created_at",
		date_rfc1123(json_integer_value(
				 json_object_get(rec, "created_at")),
		    created),
		"updated_at",
		date_rfc1123(json_integer_value(
				 json_object_get(rec, "updated_at")),
		    updated)));
	json_decref(rec);
	return GR_OK;
}

static int
dist_run(struct dist_args *a, struct gr_err *err)
{
	if (!rse_valid_name(a->src) || !rse_valid_name(a->dst))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found",
		    rse_valid_name(a->src) ? a->dst : a->src);
	/* adding or changing one needs the figure (Rucio would store a
	   null distance, which no transfer can rank) */
	if ((a->op == D_ADD || a->op == D_UPDATE) &&
	    (!json_is_integer(a->distance) ||
		json_integer_value(a->distance) < 0 ||
		json_integer_value(a->distance) > INT32_MAX))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating distance: 'distance' (or "
		    "'ranking') must be an integer from 0 to %d",
		    INT32_MAX);
	return a->op == D_GET ? st_view(dist_txn, a, 0, err)
			      : st_txn_run(dist_txn, a, err);
}

int
rse_distance_add(const char *issuer, const char *src, const char *dst,
    const json_t *distance, bool bidirectional, struct gr_err *err)
{
	struct dist_args a = { issuer, src, dst, distance, bidirectional, D_ADD,
		NULL };

	return dist_run(&a, err);
}

int
rse_distance_update(const char *issuer, const char *src, const char *dst,
    const json_t *distance, bool bidirectional, struct gr_err *err)
{
	struct dist_args a = { issuer, src, dst, distance, bidirectional,
		D_UPDATE, NULL };

	return dist_run(&a, err);
}

int
rse_distance_del(const char *issuer, const char *src, const char *dst,
    bool bidirectional, struct gr_err *err)
{
	struct dist_args a = { issuer, src, dst, NULL, bidirectional, D_DEL,
		NULL };

	return dist_run(&a, err);
}

int
rse_distance_get(const char *src, const char *dst, json_t **out,
    struct gr_err *err)
{
	struct dist_args a = { NULL, src, dst, NULL, false, D_GET, NULL };
	int rc;

	a.out = json_array();
	if ((rc = dist_run(&a, err)) != GR_OK) {
		json_decref(a.out);
		*out = NULL;
		return rc;
	}
	*out = a.out;
	return GR_OK;
}
