/*
 * did.c -- data identifier records (core): names, checksums, guids, the
 * record itself and its metadata columns. The DID routes build on this;
 * replica registration creates FILE records through it.
 */
#include <ctype.h>
#include <string.h>

#include "account.h"
#include "date.h"
#include "did.h"
#include "jsonx.h"
#include "scope.h"
#include "store_counter.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

bool
did_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || !(isalnum((unsigned char)s[0]) || s[0] == '/'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= DID_NAME_MAX ||
		    !(isalnum(c) || c == '/' || c == '.' || c == '-' ||
			c == '_'))
			return false;
	}
	return true;
}

static bool
all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

bool
did_valid_adler32(const char *s)
{
	return s != NULL && strlen(s) == 8 && all_hex(s, 8);
}

bool
did_valid_md5(const char *s)
{
	return s != NULL && strlen(s) == 32 && all_hex(s, 32);
}

bool
did_guid_canon(const char *s, char out[GUID_LEN + 1])
{
	static const int dash[] = { 8, 12, 16, 20 };
	char hex[33];
	size_t n = 0, len;
	int braces, d = 0;
	const char *p;

	if (s == NULL)
		return false;
	len = strlen(s);
	braces = len > 0 && s[0] == '{';
	if (braces && (len < 2 || s[len - 1] != '}'))
		return false;
	if (!braces && len > 0 && s[len - 1] == '}')
		return false;
	p = s + braces;
	len -= 2 * (size_t)braces;
	/* 32 hex digits with dashes either at all four places or nowhere */
	for (; len > 0; p++, len--) {
		if (*p == '-') {
			if (d >= 4 || (int)n != dash[d])
				return false;
			d++;
			continue;
		}
		if (!isxdigit((unsigned char)*p) || n >= 32)
			return false;
		hex[n++] = (char)tolower((unsigned char)*p);
	}
	if (n != 32 || (d != 0 && d != 4))
		return false;
	hex[32] = '\0';
	(void)snprintf(out, GUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20);
	return true;
}

size_t
did_key(char *buf, const char *scope, const char *name)
{
	return key_join(buf, KEY_MAX, scope, name, (char *)NULL);
}

int
did_load(struct st_txn *t, const char *scope, const char *name, u_int32_t flags,
    json_t **rec, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	int ret;

	*rec = NULL;
	ret = st_get_json(t, TBL_DIDS, &k, rec, flags);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_DID_NOT_FOUND,
		    "Data identifier '%s:%s' not found", scope, name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/*
 * Is the archive of deleted DIDs empty? Most stores never archive a DID,
 * and a bulk creation then spares a lookup per DID: the answer is kept
 * while ST_CHANGE_ARCHIVE, which the undertaker moves before it archives,
 * stays what it was when the archive was looked at.
 */
static bool
archive_empty(struct st_txn *t)
{
	static bool known, empty;
	static uint64_t seen;
	uint64_t now = st_changes(ST_CHANGE_ARCHIVE);
	struct gr_err err = { 0 };
	bool found = false;

	if (known && now == seen)
		return empty;
	if (st_scan(t, TBL_DELETED_DIDS, NULL, 0, NULL, st_scan_found, &found,
		&err) != GR_OK)
		return false; /* the lookup then fails the same way */
	known = true;
	empty = !found;
	seen = now;
	return empty;
}

int
did_check_reuse(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	int ret;

	if (archive_empty(t))
		return GR_OK;
	ret = st_exists(t, TBL_DELETED_DIDS, &k);

	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(err, ret);
	return gr_fail(err, GR_DID_REUSED,
	    "A deleted DID %s with scope %s is reused", name, scope);
}

int
did_top_update(struct st_txn *t, const char *scope, const char *name,
    enum did_top how, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	bool held = false;
	int ret, rc;

	if (how == DID_TOP_CHECK) {
		ret = st_exists(t, TBL_DIDS, &k);
		if (ret != 0 && ret != DB_NOTFOUND)
			return st_fail(err, ret);
		if (ret == 0 &&
		    (rc = st_first_part_shared(t, TBL_CONTENTS_BY_CHILD, k.data,
			 k.size, &held, err)) != GR_OK)
			return rc;
		how = ret == 0 && !held ? DID_TOP_IN : DID_TOP_OUT;
	}
	if (how == DID_TOP_IN)
		ret = st_put_text(t, TBL_DIDS_TOP, &k, "{}", 2, 0);
	else if ((ret = st_del(t, TBL_DIDS_TOP, &k)) == DB_NOTFOUND)
		ret = 0;
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

struct top_check {
	struct st_txn *t;
	struct gr_err *err;
	gr_emit_text_fn print;
	void *ctx;
	long bad;
};

/* A problem of scope \0 name key: counted, the first 20 printed. */
static void
top_problem(struct top_check *c, const DBT *key, const char *what)
{
	char line[KEY_MAX + 64];
	const char *sc, *nm;
	size_t sl, nl;
	int n;

	if (++c->bad > 20)
		return;
	sc = key_part(key->data, key->size, 0, &sl);
	nm = key_part(key->data, key->size, 1, &nl);
	n = snprintf(line, sizeof(line), "dids.top.db: %.*s:%.*s %s",
	    sc != NULL ? (int)sl : 0, sc != NULL ? sc : "",
	    nm != NULL ? (int)nl : 0, nm != NULL ? nm : "", what);
	if (n > 0)
		(void)c->print(line, (size_t)n, c->ctx);
}

/* A DID: filed in TBL_DIDS_TOP exactly when no DID of its scope holds
   it. */
static int
top_check_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct top_check *c = arg;
	bool held;
	int ret, rc;

	(void)pkey;
	(void)val;
	if ((rc = st_first_part_shared(c->t, TBL_CONTENTS_BY_CHILD, key->data,
		 key->size, &held, c->err)) != GR_OK)
		return rc;
	ret = st_exists(c->t, TBL_DIDS_TOP, key);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(c->err, ret);
	if (held == (ret == 0))
		top_problem(c, key,
		    held ? "is held in its scope but filed at the top"
			 : "is at the top of its scope but not filed");
	return GR_OK;
}

/* An entry of TBL_DIDS_TOP: its DID exists (whether it belongs there
   is top_check_one's). */
static int
top_entry_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct top_check *c = arg;
	int ret;

	(void)pkey;
	(void)val;
	ret = st_exists(c->t, TBL_DIDS, key);
	if (ret == DB_NOTFOUND)
		top_problem(c, key, "is filed but no DID");
	else if (ret != 0)
		return st_fail(c->err, ret);
	return GR_OK;
}

static int
top_check_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct top_check *c = arg;
	int rc;

	c->t = t;
	c->err = err;
	c->bad = 0;
	rc = st_scan(t, TBL_DIDS, NULL, 0, NULL, top_check_one, c, err);
	if (rc == GR_OK)
		rc = st_scan(t, TBL_DIDS_TOP, NULL, 0, NULL, top_entry_one, c,
		    err);
	return rc;
}

int
did_top_verify(gr_emit_text_fn print, void *ctx, long *bad, struct gr_err *err)
{
	struct top_check c = { .print = print, .ctx = ctx };
	int rc = st_view(top_check_txn, &c, ST_ONCE, err);

	*bad = c.bad;
	return rc;
}

int
did_created(struct st_txn *t, const char *scope, const char *name,
    struct gr_err *err)
{
	int rc = did_check_reuse(t, scope, name, err);

	return rc != GR_OK ? rc
			   : did_top_update(t, scope, name, DID_TOP_IN, err);
}

/* After a put: a new name must not be one the undertaker archived (the
   put's lock on the name comes first, so a burial in between is seen) */
static int
stored(struct st_txn *t, const char *scope, const char *name, int ret,
    u_int32_t flags, struct gr_err *err)
{
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DID_EXISTS,
		    "Data Identifier already exists!");
	if (ret != 0)
		return st_fail(err, ret);
	return (flags & DB_NOOVERWRITE) ? did_created(t, scope, name, err)
					: GR_OK;
}

int
did_store(struct st_txn *t, const char *scope, const char *name,
    const json_t *rec, u_int32_t flags, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));

	return stored(t, scope, name, st_put_json(t, TBL_DIDS, &k, rec, flags),
	    flags, err);
}

int
did_store_text(struct st_txn *t, const char *scope, const char *name,
    const struct sbuf *text, u_int32_t flags, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));

	return stored(t, scope, name,
	    st_put_text(t, TBL_DIDS, &k, text->s, text->len, flags), flags,
	    err);
}

json_t *
did_new_file(const char *account, json_int_t bytes, const char *md5,
    const char *adler32, int64_t now)
{
	json_t *rec = json_pack("{s:s, s:s, s:I, s:I, s:I}", "type", "FILE",
	    "account", account, "bytes", bytes, "created_at", (json_int_t)now,
	    "updated_at", (json_int_t)now);

	if (md5 != NULL)
		json_object_set_new(rec, "md5", json_string(md5));
	if (adler32 != NULL)
		json_object_set_new(rec, "adler32", json_string(adler32));
	return rec;
}

void
did_new_file_text(struct sbuf *out, const char *account, json_int_t bytes,
    const char *md5, const char *adler32, int64_t now)
{
	out->len = 0;
	sbuf_adds(out, "{\"type\":\"FILE\",\"account\":");
	sbuf_json(out, account);
	sbuf_adds(out, ",\"bytes\":");
	sbuf_addi(out, (long long)bytes);
	sbuf_adds(out, ",\"created_at\":");
	sbuf_addi(out, (long long)now);
	sbuf_adds(out, ",\"updated_at\":");
	sbuf_addi(out, (long long)now);
	if (md5 != NULL) {
		sbuf_adds(out, ",\"md5\":");
		sbuf_json(out, md5);
	}
	if (adler32 != NULL) {
		sbuf_adds(out, ",\"adler32\":");
		sbuf_json(out, adler32);
	}
	sbuf_add(out, "}", 1);
}

/* The metadata columns a client may set (spec/rucio.md 4.3), with the
   sizes of Rucio's columns (models.py: String(n), Integer = 32 bits,
   BigInteger = 64). */
enum col_kind { C_BOOL, C_INT, C_STR, C_DATE, C_GUID, C_LIFETIME };

#define C_INT32 1 /* max: an Integer column, not a BigInteger */

static const struct {
	const char *key;
	enum col_kind kind;
	bool file_only;
	int max; /* C_STR: characters; C_INT: C_INT32 or 0 */
} columns[] = {
	{ "guid", C_GUID, true, 0 },
	{ "events", C_INT, true, 0 },
	{ "lumiblocknr", C_INT, false, C_INT32 },
	{ "run_number", C_INT, false, C_INT32 },
	{ "task_id", C_INT, false, C_INT32 },
	{ "panda_id", C_INT, false, C_INT32 },
	{ "access_cnt", C_INT, false, C_INT32 },
	{ "project", C_STR, false, 50 },
	{ "datatype", C_STR, false, 50 },
	{ "stream_name", C_STR, false, 70 },
	{ "prod_step", C_STR, false, 50 },
	{ "version", C_STR, false, 50 },
	{ "campaign", C_STR, false, 50 },
	{ "provenance", C_STR, false, 2 },
	{ "phys_group", C_STR, false, 25 },
	{ "hidden", C_BOOL, false, 0 },
	{ "is_new", C_BOOL, false, 0 },
	{ "purge_replicas", C_BOOL, false, 0 },
	{ "transient", C_BOOL, false, 0 },
	{ "is_archive", C_BOOL, false, 0 },
	{ "constituent", C_BOOL, false, 0 },
	{ "accessed_at", C_DATE, false, 0 },
	{ "closed_at", C_DATE, false, 0 },
	{ "eol_at", C_DATE, false, 0 },
	{ "lifetime", C_LIFETIME, false, 0 },
};

/* Keys nobody sets through metadata (spec/rucio.md 1.5). */
static const char *const reserved[] = { "scope", "name", "account", "did_type",
	"is_open", "monotonic", "obsolete", "complete", "availability",
	"suppressed", "bytes", "length", "md5", "adler32",
	"rule_evaluation_action", "rule_evaluation_required", "expired_at",
	"deleted_at", "created_at", "updated_at" };

#define META_KEY_MAX   100  /* characters of a custom key */
#define META_VALUE_MAX 4000 /* bytes of a custom value, as JSON */
#define META_KEYS_MAX  256  /* custom keys of one DID */

/* Rucio's JSON plugin bounds a custom value only by its database's JSON
   column; ours is the bound of Rucio's other free-text fields on Oracle
   (a rule's "meta": 3999 characters; VARCHAR2(4000)). */
static int
check_custom(const char *key, const json_t *v, struct gr_err *err)
{
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);

	if (n == 0 || n > META_VALUE_MAX)
		return gr_fail(err, GR_INVALID_VALUE,
		    "The value of the metadata key '%s' has at most %d bytes "
		    "as JSON",
		    key, META_VALUE_MAX);
	return GR_OK;
}

static int
bad_value(struct gr_err *err, const char *key, const char *what)
{
	return gr_fail(err, GR_INVALID_VALUE,
	    "The value of the metadata key '%s' must be %s", key, what);
}

/* Characters of the UTF-8 text s (n bytes). */
static size_t
chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* One column key: check v and set (or, for null, clear) it in rec. */
static int
set_column(json_t *rec, size_t c, json_t *v, int64_t now, struct gr_err *err)
{
	const char *key = columns[c].key;
	char guid[GUID_LEN + 1];
	int64_t when;

	if (json_is_null(v)) {
		json_object_del(rec,
		    columns[c].kind == C_LIFETIME ? "expired_at" : key);
		return GR_OK;
	}
	switch (columns[c].kind) {
	case C_BOOL:
		if (!json_is_boolean(v))
			return bad_value(err, key, "true or false");
		json_object_set(rec, key, v);
		break;
	case C_INT:
		if (!json_is_integer(v) ||
		    (columns[c].max == C_INT32 &&
			(json_integer_value(v) > INT32_MAX ||
			    json_integer_value(v) < INT32_MIN)))
			return bad_value(err, key,
			    columns[c].max == C_INT32 ? "a 32-bit integer"
						      : "an integer");
		json_object_set(rec, key, v);
		break;
	case C_STR:
		if (!json_is_string(v) ||
		    chars(json_string_value(v), json_string_length(v)) >
			(size_t)columns[c].max)
			return gr_fail(err, GR_INVALID_VALUE,
			    "The value of the metadata key '%s' must be a "
			    "string of at most %d characters",
			    key, columns[c].max);
		json_object_set(rec, key, v);
		break;
	case C_GUID:
		if (!did_guid_canon(json_string_value(v), guid))
			return bad_value(err, key, "a UUID");
		json_object_set_new(rec, key, json_string(guid));
		break;
	case C_DATE:
		if (json_is_integer(v))
			when = json_integer_value(v);
		else if (date_parse(json_string_value(v), &when) != 0)
			return bad_value(err, key,
			    "a date (YYYY-MM-DD, ISO 8601 or RFC 1123)");
		json_object_set_new(rec, key, json_integer(when));
		break;
	case C_LIFETIME:
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1e11)
			return bad_value(err, key, "a number of seconds");
		json_object_set_new(rec, "expired_at",
		    json_integer(now + (json_int_t)json_number_value(v)));
		break;
	}
	return GR_OK;
}

int
did_meta_apply(json_t *rec, const json_t *meta, const char *issuer, int64_t now,
    struct gr_err *err)
{
	const char *key;
	json_t *v, *custom;
	size_t i;
	bool file;
	int rc;

	if (!json_is_object(meta))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating meta: not a JSON object");
	file = strcmp(json_string_value(json_object_get(rec, "type")),
		   "FILE") == 0;
	json_object_foreach(jsonx_unconst(meta), key, v) {
		if (*key == '\0' || strlen(key) > META_KEY_MAX ||
		    strchr(key, '.') != NULL || !utf8_valid(key, strlen(key)))
			return gr_fail(err, GR_INVALID_METADATA,
			    "The metadata key '%.100s' is not valid: at most "
			    "%d characters, none of them '.'",
			    key, META_KEY_MAX);
		for (i = 0; i < ARRAY_LEN(reserved); i++)
			if (strcmp(key, reserved[i]) == 0)
				return gr_fail(err, GR_ACCESS_DENIED,
				    "Account %s can not change the reserved "
				    "metadata key '%s'",
				    issuer, key);
		for (i = 0; i < ARRAY_LEN(columns); i++)
			if (strcmp(key, columns[i].key) == 0)
				break;
		if (i < ARRAY_LEN(columns)) {
			if (columns[i].file_only && !file)
				return gr_fail(err, GR_INVALID_METADATA,
				    "The metadata key '%s' is for files only",
				    key);
			if ((rc = set_column(rec, i, v, now, err)) != GR_OK)
				return rc;
			continue;
		}
		if ((rc = check_custom(key, v, err)) != GR_OK)
			return rc;
		custom = json_object_get(rec, "meta");
		if (custom == NULL) {
			custom = json_object();
			json_object_set_new(rec, "meta", custom);
		}
		json_object_set(custom, key, v);
		if (json_object_size(custom) > META_KEYS_MAX)
			return gr_fail(err, GR_INVALID_METADATA,
			    "A DID has at most %d custom metadata keys",
			    META_KEYS_MAX);
	}
	json_object_set_new(rec, "updated_at", json_integer(now));
	return GR_OK;
}

int
did_may_add(struct st_txn *t, const char *issuer, const char *scope,
    struct gr_err *err)
{
	char owner[ACCOUNT_NAME_MAX + 1];
	bool admin;
	int rc;

	if ((rc = scope_owner(t, scope, owner, err)) != GR_OK)
		return rc;
	if (strcmp(owner, issuer) == 0 || strcmp(scope, "mock") == 0)
		return GR_OK;
	if ((rc = account_is_admin(t, issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not add data identifiers to scope %s",
		    issuer, scope);
	return GR_OK;
}

int
did_check(const char *scope, const char *name, struct gr_err *err)
{
	if (scope == NULL || !valid_scope(scope))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating scope: it must match "
		    "^[a-zA-Z_\\-.0-9]+$ (at most 25 characters)");
	if (name == NULL || !did_valid_name(name))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating name: it must match "
		    "^[/A-Za-z0-9][/A-Za-z0-9\\.\\-_]*$ (at most 250 "
		    "characters)");
	return GR_OK;
}

int
did_check_list(const json_t *dids, size_t max, struct gr_err *err)
{
	const json_t *d;
	size_t i;
	int rc;

	if (!json_is_array(dids) || json_array_size(dids) > max)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: a list of at most %zu DIDs", max);
	json_array_foreach(dids, i, d) {
		if ((rc = did_check(json_string_value(
					json_object_get(d, "scope")),
			 json_string_value(json_object_get(d, "name")), err)) !=
		    GR_OK)
			return rc;
	}
	return GR_OK;
}
