/*
 * metaconv.c -- metadata conventions (core). See metaconv.h.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "metaconv.h"
#include "tables.h"
#include "util.h"

static const char *const key_types[] = { "ALL", "COLLECTION", "CONTAINER",
	"DATASET", "FILE", "DERIVED" };

static const char *const value_types[] = { "<class 'float'>", "<class 'int'>",
	"<class 'str'>" };

/* A key or value as Rucio's String(255) columns take it, and as our keys
   need it: UTF-8, no control characters (so no NUL). */
static bool
text_ok(const char *s)
{
	const unsigned char *p;

	if (s == NULL || *s == '\0' || strlen(s) > METACONV_TEXT_MAX ||
	    !utf8_valid(s, strlen(s)))
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int
bad_key(const char *key, struct gr_err *err)
{
	return gr_fail(err, GR_INVALID_OBJECT,
	    "Problem validating key: '%.100s' is not 1 to %d printable "
	    "characters",
	    key != NULL ? key : "", METACONV_TEXT_MAX);
}

/* --- regular expressions ------------------------------------------------ */

/* Python's class escapes as POSIX bracket contents (inside: no [ ]). */
static const char *
class_of(char c)
{
	switch (c) {
	case 'd':
		return "0-9";
	case 'w':
		return "[:alnum:]_";
	case 's':
		return "[:space:]";
	default:
		return NULL;
	}
}

/* Python regexp re into the POSIX ERE "^(...)" in out; false if re uses
   what ERE cannot say. */
static bool
to_ere(const char *re, struct sbuf *out)
{
	bool bracket = false, dash_last = false;
	const char *cls;
	size_t i;

	sbuf_adds(out, "^(");
	for (i = 0; re[i] != '\0'; i++) {
		char c = re[i];

		if (!bracket && c == '[') {
			bracket = true;
			dash_last = false;
			sbuf_add(out, "[", 1);
			/* a leading ^ and ] belong to the bracket */
			if (re[i + 1] == '^')
				sbuf_add(out, &re[++i], 1);
			if (re[i + 1] == ']')
				sbuf_add(out, &re[++i], 1);
			continue;
		}
		if (bracket && c == ']') {
			if (dash_last)
				sbuf_add(out, "-", 1);
			sbuf_add(out, "]", 1);
			bracket = false;
			continue;
		}
		if (c == '(' && re[i + 1] == '?')
			return false; /* Python's extensions */
		if (c != '\\') {
			sbuf_add(out, &c, 1);
			continue;
		}
		c = re[++i];
		if (c == '\0')
			return false;
		cls = class_of((char)(c | 0x20));
		if (bracket) {
			if (cls != NULL && c >= 'a') {
				sbuf_adds(out, cls);
			} else if (c == '-') {
				dash_last = true; /* only literal at the end */
			} else if (c == ']' || c == '[' ||
			    (c >= 'A' && c <= 'z' &&
				strchr("ntr", c) == NULL)) {
				return false;
			} else {
				c = c == 'n'   ? '\n'
				    : c == 't' ? '\t'
				    : c == 'r' ? '\r'
					       : c;
				sbuf_add(out, &c, 1);
			}
			continue;
		}
		if (cls != NULL) {
			sbuf_adds(out, c >= 'a' ? "[" : "[^");
			sbuf_adds(out, cls);
			sbuf_adds(out, "]");
		} else if (c == 'n' || c == 't' || c == 'r') {
			c = c == 'n' ? '\n' : c == 't' ? '\t' : '\r';
			sbuf_add(out, &c, 1);
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')) {
			return false; /* \b \A \Z, back references */
		} else {
			sbuf_add(out, "\\", 1);
			sbuf_add(out, &c, 1);
		}
	}
	if (bracket)
		return false;
	sbuf_adds(out, ")");
	return true;
}

static int
compile(const char *re, regex_t *rx)
{
	struct sbuf ere = { 0 };
	int rc = -1;

	if (to_ere(re, &ere) &&
	    regcomp(rx, ere.s, REG_EXTENDED | REG_NOSUB) == 0)
		rc = 0;
	sbuf_free(&ere);
	return rc;
}

int
metaconv_regexp_match(const char *re, const char *s)
{
	regex_t rx;
	int m;

	if (compile(re, &rx) != 0)
		return -1;
	m = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* --- keys ------------------------------------------------------------- */

struct mc_args {
	const char *issuer, *key, *value;
	json_t *rec; /* the key to add */
	const json_t *jvalue;
	json_t *out; /* listings */
};

static size_t
value_key(char *buf, const char *key, const char *value)
{
	return key_join(buf, KEY_MAX, key, value, (char *)NULL);
}

static int
add_key_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;
	DBT k = st_dbt(a->key, strlen(a->key));
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add key", err)) != GR_OK)
		return rc;
	ret = st_put_json(t, TBL_META_KEYS, &k, a->rec, DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "key '%.200s' already exists!", a->key);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
metaconv_add_key(const char *issuer, const char *key, const json_t *body,
    const char *dflt_type, struct gr_err *err)
{
	struct mc_args a = { .issuer = issuer, .key = key };
	const char *kt, *vt, *re;
	const json_t *v;
	regex_t rx;
	size_t i;
	int rc;

	if (!text_ok(key))
		return bad_key(key, err);
	if (body != NULL && !json_is_object(body))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating the body: a JSON object");
	v = json_object_get(body, "key_type");
	kt = json_string_value(v);
	if (v == NULL || json_is_null(v))
		kt = dflt_type;
	if (kt != NULL && strcmp(kt, "F") == 0)
		kt = "FILE";
	else if (kt != NULL && strcmp(kt, "D") == 0)
		kt = "DATASET";
	else if (kt != NULL && strcmp(kt, "C") == 0)
		kt = "CONTAINER";
	for (i = 0; kt != NULL && i < ARRAY_LEN(key_types); i++)
		if (strcmp(kt, key_types[i]) == 0)
			break;
	if (kt == NULL || i == ARRAY_LEN(key_types))
		return gr_fail(err, GR_UNSUPPORTED_KEY_TYPE,
		    "The type '%.40s' is not supported for keys!",
		    kt != NULL ? kt : "None");
	v = json_object_get(body, "value_type");
	vt = json_string_value(v);
	if (v != NULL && !json_is_null(v)) {
		for (i = 0; vt != NULL && i < ARRAY_LEN(value_types); i++)
			if (strcmp(vt, value_types[i]) == 0)
				break;
		if (vt == NULL || i == ARRAY_LEN(value_types))
			return gr_fail(err, GR_UNSUPPORTED_VALUE_TYPE,
			    "The type '%.40s' is not supported for values!",
			    vt != NULL ? vt : "(not a string)");
	}
	v = json_object_get(body, "value_regexp");
	re = json_string_value(v);
	if (v != NULL && !json_is_null(v)) {
		if (re == NULL || strlen(re) > METACONV_TEXT_MAX ||
		    compile(re, &rx) != 0)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating value_regexp: not a regular "
			    "expression gridrest can read (POSIX extended, "
			    "with \\d \\w \\s), at most %d characters",
			    METACONV_TEXT_MAX);
		regfree(&rx);
	}
	a.rec = json_pack("{s:s, s:I}", "key_type", kt, "created_at",
	    (json_int_t)time_now());
	json_object_set_new(a.rec, "value_type",
	    vt != NULL ? json_string(vt) : json_null());
	json_object_set_new(a.rec, "value_regexp",
	    re != NULL ? json_string(re) : json_null());
	rc = st_txn_run(add_key_txn, &a, err);
	json_decref(a.rec);
	return rc;
}

struct del_scan {
	struct st_txn *t;
	struct gr_err *err;
};

static int
del_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct del_scan *d = arg;
	int ret;

	(void)pkey;
	(void)val;
	ret = st_del(d->t, TBL_META_VALUES, key);
	return ret == 0 || ret == DB_NOTFOUND ? GR_OK : st_fail(d->err, ret);
}

static int
del_key_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;
	DBT k = st_dbt(a->key, strlen(a->key));
	struct del_scan d = { t, err };
	char kbuf[KEY_MAX];
	size_t klen;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "delete key", err)) !=
	    GR_OK)
		return rc;
	ret = st_del(t, TBL_META_KEYS, &k);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key '%.200s' does not exist!", a->key);
	if (ret != 0)
		return st_fail(err, ret);
	klen = key_join(kbuf, sizeof(kbuf), a->key, "", (char *)NULL);
	return st_scan(t, TBL_META_VALUES, kbuf, klen, NULL, del_one, &d, err);
}

int
metaconv_del_key(const char *issuer, const char *key, struct gr_err *err)
{
	struct mc_args a = { .issuer = issuer, .key = key };

	if (!text_ok(key))
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key '%.100s' does not exist!", key != NULL ? key : "");
	return st_txn_run(del_key_txn, &a, err);
}

static int
list_key(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct mc_args *a = arg;

	(void)pkey;
	(void)val;
	json_array_append_new(a->out,
	    json_stringn((const char *)key->data, key->size));
	return GR_OK;
}

static int
list_keys_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;

	json_array_clear(a->out);
	return st_scan(t, TBL_META_KEYS, NULL, 0, NULL, list_key, a, err);
}

static int
run_list(st_txn_fn fn, struct mc_args *a, json_t **out, struct gr_err *err)
{
	int rc;

	a->out = json_array();
	if ((rc = st_view(fn, a, 0, err)) != GR_OK) {
		json_decref(a->out);
		a->out = NULL;
	}
	*out = a->out;
	return rc;
}

int
metaconv_list_keys(json_t **out, struct gr_err *err)
{
	struct mc_args a = { 0 };

	return run_list(list_keys_txn, &a, out, err);
}

/* --- values ----------------------------------------------------------- */

/* The key's record: KeyNotFound if there is none. */
static int
load_key(struct st_txn *t, const char *key, json_t **rec, struct gr_err *err)
{
	DBT k = st_dbt(key, strlen(key));
	int ret = st_get_json(t, TBL_META_KEYS, &k, rec, 0);

	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key '%.200s' does not exist!", key);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
add_value_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;
	const char *vt, *re;
	char kbuf[KEY_MAX];
	json_t *rec = NULL, *row;
	size_t klen;
	DBT k;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "add value", err)) !=
	    GR_OK)
		return rc;
	if ((rc = load_key(t, a->key, &rec, err)) != GR_OK)
		return rc;
	re = json_string_value(json_object_get(rec, "value_regexp"));
	vt = json_string_value(json_object_get(rec, "value_type"));
	if (re != NULL && metaconv_regexp_match(re, a->value) != 1) {
		rc = gr_fail(err, GR_INVALID_VALUE,
		    "The value %.100s for the key %.100s does not match the "
		    "regular expression %.100s",
		    a->value, a->key, re);
	} else if (vt != NULL &&
	    ((strcmp(vt, "<class 'int'>") == 0 &&
		 !json_is_integer(a->jvalue)) ||
		(strcmp(vt, "<class 'float'>") == 0 &&
		    !json_is_real(a->jvalue)) ||
		(strcmp(vt, "<class 'str'>") == 0 &&
		    !json_is_string(a->jvalue)))) {
		rc = gr_fail(err, GR_INVALID_VALUE,
		    "The value %.100s for the key %.100s does not match the "
		    "required type %s",
		    a->value, a->key, vt);
	}
	json_decref(rec);
	if (rc != GR_OK)
		return rc;
	if ((klen = value_key(kbuf, a->key, a->value)) == 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: too long");
	k = st_dbt(kbuf, klen);
	row = json_pack("{s:I}", "created_at", (json_int_t)time_now());
	ret = st_put_json(t, TBL_META_VALUES, &k, row, DB_NOOVERWRITE);
	json_decref(row);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "key-value '%.100s-%.100s' already exists!", a->key,
		    a->value);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
metaconv_add_value(const char *issuer, const char *key, const json_t *value,
    struct gr_err *err)
{
	struct mc_args a = { .issuer = issuer, .key = key, .jvalue = value };
	char text[64];
	int rc;

	if (!text_ok(key))
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key '%.100s' does not exist!", key != NULL ? key : "");
	if (json_is_string(value)) {
		a.value = json_string_value(value);
	} else if (json_is_integer(value)) {
		(void)snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(value));
		a.value = text;
	} else if (json_is_real(value)) {
		(void)snprintf(text, sizeof(text), "%.17g",
		    json_real_value(value));
		a.value = text;
	} else {
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: a string or a number");
	}
	if (!text_ok(a.value))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating value: 1 to %d printable characters",
		    METACONV_TEXT_MAX);
	rc = st_txn_run(add_value_txn, &a, err);
	return rc;
}

static int
del_value_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	DBT k;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "delete value", err)) !=
	    GR_OK)
		return rc;
	klen = value_key(kbuf, a->key, a->value);
	k = st_dbt(kbuf, klen);
	ret = klen == 0 ? DB_NOTFOUND : st_del(t, TBL_META_VALUES, &k);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key-value '%.100s-%.100s' does not exist!", a->key,
		    a->value);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
metaconv_del_value(const char *issuer, const char *key, const char *value,
    struct gr_err *err)
{
	struct mc_args a = { .issuer = issuer, .key = key, .value = value };

	if (!text_ok(key) || !text_ok(value))
		return gr_fail(err, GR_KEY_NOT_FOUND,
		    "key-value '%.100s-%.100s' does not exist!",
		    key != NULL ? key : "", value != NULL ? value : "");
	return st_txn_run(del_value_txn, &a, err);
}

static int
list_value(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct mc_args *a = arg;
	const char *v;
	size_t len;

	(void)pkey;
	(void)val;
	if ((v = key_part(key->data, key->size, 1, &len)) != NULL)
		json_array_append_new(a->out, json_stringn(v, len));
	return GR_OK;
}

static int
list_values_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct mc_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;

	json_array_clear(a->out);
	klen = key_join(kbuf, sizeof(kbuf), a->key, "", (char *)NULL);
	return st_scan(t, TBL_META_VALUES, kbuf, klen, NULL, list_value, a,
	    err);
}

int
metaconv_list_values(const char *key, json_t **out, struct gr_err *err)
{
	struct mc_args a = { .key = key };

	if (!text_ok(key)) {
		*out = json_array();
		return GR_OK;
	}
	return run_list(list_values_txn, &a, out, err);
}

int
metaconv_check_meta(struct st_txn *t, const char *type, const json_t *meta,
    struct gr_err *err)
{
	const json_t *v = json_object_get(meta, "datatype");
	char kbuf[KEY_MAX];
	size_t klen = 0;
	DBT k;
	int ret;

	if (v == NULL || type == NULL || strcmp(type, "DATASET") != 0)
		return GR_OK;
	if (json_is_string(v) && text_ok(json_string_value(v)))
		klen = value_key(kbuf, "datatype", json_string_value(v));
	if (klen == 0)
		ret = DB_NOTFOUND;
	else {
		k = st_dbt(kbuf, klen);
		ret = st_exists(t, TBL_META_VALUES, &k);
	}
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "The value '%.100s' for the key datatype is not valid",
		    json_is_string(v) ? json_string_value(v)
				      : "(not a string)");
	return ret == 0 ? GR_OK : st_fail(err, ret);
}
