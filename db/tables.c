/*
 * tables.c -- the table list and secondary-key extractors. Extractors run
 * inside Berkeley DB on every write to a primary; they never call BDB,
 * return DB_DONOTINDEX when the field is absent, and either point into the
 * primary record or hand BDB a malloc'ed key (DB_DBT_APPMALLOC).
 */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "date.h"
#include "jsonx.h"
#include "tables.h"
#include "util.h"

size_t
key_join(char *buf, size_t size, ...)
{
	va_list ap;
	const char *s;
	size_t len = 0, n;
	int first = 1;

	va_start(ap, size);
	while ((s = va_arg(ap, const char *)) != NULL) {
		n = strlen(s);
		if (!first) {
			if (len + 1 > size) {
				len = 0;
				break;
			}
			buf[len++] = '\0';
		}
		if (n > size - len) {
			len = 0;
			break;
		}
		memcpy(buf + len, s, n);
		len += n;
		first = 0;
	}
	va_end(ap);
	return len;
}

const char *
key_part(const void *key, size_t n, int i, size_t *len)
{
	const char *p = key, *end = p + n, *q;

	for (; i > 0; i--) {
		q = memchr(p, '\0', (size_t)(end - p));
		if (q == NULL)
			return NULL;
		p = q + 1;
	}
	q = memchr(p, '\0', (size_t)(end - p));
	*len = (size_t)((q != NULL ? q : end) - p);
	return p;
}

bool
key_did(const void *key, size_t n, int i, char **scope, char **name)
{
	const char *s, *m;
	size_t sl, ml;

	s = key_part(key, n, i, &sl);
	m = key_part(key, n, i + 1, &ml);
	if (s == NULL || m == NULL)
		return false;
	*scope = xstrndup(s, sl);
	*name = xstrndup(m, ml);
	return true;
}

/* The string field name of a JSON record, as a malloc'ed secondary key. */
static int
extract_field(const DBT *pdata, const char *name, DBT *skey)
{
	json_t *rec, *v;
	const char *s;
	char quoted[64];
	int qn;

	/* records are compact JSON: a record without "name": has no such
	   field, and most writes of a big table are decided here without a
	   parse (a value that happens to contain the text is parsed) */
	qn = snprintf(quoted, sizeof(quoted), "\"%s\":", name);
	if (qn > 0 && (size_t)qn < sizeof(quoted) &&
	    memmem(pdata->data, pdata->size, quoted, (size_t)qn) == NULL)
		return DB_DONOTINDEX;
	rec = json_loadb(pdata->data, pdata->size, 0, NULL);
	v = json_object_get(rec, name);
	if ((s = json_string_value(v)) == NULL || *s == '\0') {
		json_decref(rec);
		return DB_DONOTINDEX;
	}
	memset(skey, 0, sizeof(*skey));
	skey->size = (u_int32_t)json_string_length(v);
	skey->data = xstrndup(s, skey->size);
	skey->flags = DB_DBT_APPMALLOC;
	json_decref(rec);
	return 0;
}

/* The key is the second part of RSE \0 key. */
/* A secondary key that is a string field of the record. */
#define FIELD_INDEX(fn, field)                                                 \
	static int fn(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)   \
	{                                                                      \
		(void)sec;                                                     \
		(void)pkey;                                                    \
		return extract_field(pdata, field, skey);                      \
	}

FIELD_INDEX(tokens_by_code, "code")
FIELD_INDEX(rses_by_id, "id")
FIELD_INDEX(scopes_by_account, "account")
FIELD_INDEX(accounts_by_type, "account_type")
FIELD_INDEX(accounts_by_email, "email")
FIELD_INDEX(tokens_by_account, "account")
FIELD_INDEX(dids_by_guid, "guid")
FIELD_INDEX(subscriptions_by_id, "id")

/* A secondary key that is part i of the NUL-separated primary key. */
static int
extract_part(const DBT *pkey, int i, DBT *skey)
{
	const char *p;
	size_t len;

	p = key_part(pkey->data, pkey->size, i, &len);
	if (p == NULL || len == 0)
		return DB_DONOTINDEX;
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)(uintptr_t)p;
	skey->size = (u_int32_t)len;
	return 0;
}

/* A subscription's name: the second part of account \0 name. */
static int
subscriptions_by_name(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 1, skey);
}

static int
rse_attrs_by_key(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 1, skey);
}

/* scope \0 name \0 RSE id -> RSE id \0 scope \0 name, malloc'ed. */
static int
replicas_by_rse(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *k = pkey->data, *id;
	size_t idlen, head;
	char *out;

	(void)sec;
	(void)pdata;
	id = key_part(pkey->data, pkey->size, 2, &idlen);
	if (id == NULL || idlen == 0)
		return DB_DONOTINDEX;
	head = (size_t)(id - k); /* "scope \0 name \0" */
	out = xmalloc(idlen + 1 + head - 1);
	memcpy(out, id, idlen);
	out[idlen] = '\0';
	memcpy(out + idlen + 1, k, head - 1);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = (u_int32_t)(idlen + head);
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

/* The RSE id of an "account \0 RSE id" key: usage and local limits. */
static int
account_usage_by_rse(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 1, skey);
}

/* RSE id \0 path, for the replicas of non-deterministic RSEs. */
static int
replicas_by_path(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *id;
	size_t idlen;
	DBT path;
	char *out;
	int ret;

	(void)sec;
	id = key_part(pkey->data, pkey->size, 2, &idlen);
	if (id == NULL || idlen == 0)
		return DB_DONOTINDEX;
	if ((ret = extract_field(pdata, "path", &path)) != 0)
		return ret;
	out = xmalloc(idlen + 1 + path.size);
	memcpy(out, id, idlen);
	out[idlen] = '\0';
	memcpy(out + idlen + 1, path.data, path.size);
	free(path.data);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = (u_int32_t)(idlen + 1 + path.size);
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

/*
 * RSE id \0 tombstone (8 bytes, big-endian, so that keys sort by time),
 * for the replicas the reaper may delete: those with a tombstone that no
 * lock holds (lock_cnt absent or 0).
 */
static int
replicas_by_tombstone(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *id, *v;
	size_t idlen, vlen;
	long long when, cnt = 0;
	unsigned char *out;
	uint64_t u;
	int i;

	(void)sec;
	id = key_part(pkey->data, pkey->size, 2, &idlen);
	if (id == NULL || idlen == 0 ||
	    !jsonx_member(pdata->data, pdata->size, "tombstone", &v, &vlen) ||
	    !jsonx_member_int(v, vlen, &when))
		return DB_DONOTINDEX;
	if (jsonx_member(pdata->data, pdata->size, "lock_cnt", &v, &vlen) &&
	    jsonx_member_int(v, vlen, &cnt) && cnt > 0)
		return DB_DONOTINDEX;
	out = xmalloc(idlen + 1 + 8);
	memcpy(out, id, idlen);
	out[idlen] = '\0';
	u = when > 0 ? (uint64_t)when : 0;
	for (i = 7; i >= 0; i--, u >>= 8)
		out[idlen + 1 + i] = (unsigned char)(u & 0xff);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = (u_int32_t)(idlen + 1 + 8);
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

/* The child, parts 2 and 3 of parent scope \0 name \0 child scope \0
   name: a contiguous tail of the key. */
static int
contents_by_child(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *p;
	size_t len;

	(void)sec;
	(void)pdata;
	p = key_part(pkey->data, pkey->size, 2, &len);
	if (p == NULL || len == 0)
		return DB_DONOTINDEX;
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)(uintptr_t)p;
	skey->size = (u_int32_t)((const char *)pkey->data + pkey->size - p);
	return 0;
}

/* The account is the third part of TYPE \0 identity \0 account. */
static int
idmap_by_account(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 2, skey);
}

/* --- workload ------------------------------------------------------ */

FIELD_INDEX(jobs_by_owner, "owner")

/* backend \0 state of a DRM job that is still queued or running: the
   index holds the active jobs only, so finding work never scans the past */
static int
drm_by_state(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	DBT backend, state;
	char *out;
	int ret;

	(void)sec;
	(void)pkey;
	if ((ret = extract_field(pdata, "state", &state)) != 0)
		return ret;
	if (strcmp(state.data, "QUEUED") != 0 &&
	    strcmp(state.data, "RUNNING") != 0) {
		free(state.data);
		return DB_DONOTINDEX;
	}
	if ((ret = extract_field(pdata, "backend", &backend)) != 0) {
		free(state.data);
		return ret;
	}
	out = xmalloc(backend.size + 1 + state.size);
	memcpy(out, backend.data, backend.size);
	out[backend.size] = '\0';
	memcpy(out + backend.size + 1, state.data, state.size);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = backend.size + 1 + state.size;
	skey->flags = DB_DBT_APPMALLOC;
	free(backend.data);
	free(state.data);
	return 0;
}

/* --- the DID search index ------------------------------------------- */

const char *const didx_fields[] = { "length", "events", "lumiblocknr",
	"run_number", "task_id", "panda_id", "project", "datatype",
	"stream_name", "prod_step", "version", "campaign", "provenance",
	"phys_group", NULL };

/* created_at is filed in the collection entry (didx_coll_key) */
static const char *const didx_dates[] = { "closed_at", "eol_at", NULL };

void
didx_num(double d, unsigned char out[8])
{
	uint64_t u;
	int i;

	if (d == 0)
		d = 0; /* -0 files as 0 */
	memcpy(&u, &d, sizeof(u));
	/* IEEE 754 bits compare as integers once negatives are inverted
	   and the sign bit of positives is set */
	u = (u & UINT64_C(0x8000000000000000))
	    ? ~u
	    : u | UINT64_C(0x8000000000000000);
	for (i = 7; i >= 0; i--) {
		out[i] = (unsigned char)(u & 0xff);
		u >>= 8;
	}
}

bool
didx_str_num(const char *s, double *out)
{
	char *end;
	double d;

	/* what a float() cast accepts, less spaces, hex, inf and nan */
	if (*s == '\0' || strchr("+-.0123456789", *s) == NULL ||
	    strpbrk(s, "xXnN") != NULL)
		return false;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		return false;
	*out = d;
	return true;
}

void
didx_num_text(double d, bool integer, long long i, char out[32])
{
	int prec;

	if (integer) {
		snprintf(out, 32, "%lld", i);
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* JSON's 2.0 is a float: it reads "2.0" where %g writes "2" */
	if (strpbrk(out, ".eEn") == NULL && strlen(out) < 30)
		memcpy(out + strlen(out), ".0", 3);
}

size_t
didx_key(char *buf, const char *scope, const char *key, char tag,
    const void *val, size_t vlen)
{
	char t[2] = { tag, '\0' };
	size_t n;

	if (tag == DIDX_STR && vlen > DIDX_STR_MAX)
		vlen = DIDX_STR_MAX;
	n = key_join(buf, KEY_MAX, scope, key, t, (char *)NULL);
	if (n == 0 || n + vlen > KEY_MAX)
		return 0;
	memcpy(buf + n, val, vlen);
	return n + vlen;
}

size_t
didx_coll_key(char *buf, const char *scope, bool is_new, char type,
    const unsigned char created[8])
{
	unsigned char v[10];

	v[0] = is_new ? '1' : '0';
	v[1] = (unsigned char)type;
	if (created != NULL)
		memcpy(v + 2, created, 8);
	return didx_key(buf, scope, "did_type", DIDX_COLL, v,
	    created != NULL ? 10 : 2);
}

/* The entries being built for one record: a growing DBT array. */
struct didx_build {
	const char *scope;
	DBT *keys;
	size_t n, cap;
};

static void
didx_add_key(struct didx_build *b, const char *buf, size_t n)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->keys = xrealloc(b->keys, b->cap * sizeof(*b->keys));
	}
	memset(&b->keys[b->n], 0, sizeof(DBT));
	b->keys[b->n].data = xmalloc(n);
	memcpy(b->keys[b->n].data, buf, n);
	b->keys[b->n].size = (u_int32_t)n;
	b->keys[b->n].flags = DB_DBT_APPMALLOC;
	b->n++;
}

static void
didx_add(struct didx_build *b, const char *key, char tag, const void *val,
    size_t vlen)
{
	char buf[KEY_MAX];
	size_t n = didx_key(buf, b->scope, key, tag, val, vlen);

	if (n != 0)
		didx_add_key(b, buf, n);
}

static void
didx_free(struct didx_build *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->keys[i].data);
	free(b->keys);
}

/* Every form a scalar value is searched as (tables.h). */
static void
didx_value(struct didx_build *b, const char *key, const json_t *v)
{
	unsigned char num[8];
	char text[32];
	const char *s;
	int64_t when;
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		didx_add(b, key, DIDX_STR, s, json_string_length(v));
		if (didx_str_num(s, &d)) {
			didx_num(d, num);
			didx_add(b, key, DIDX_NUM, num, 8);
		}
		if (date_parse(s, &when) == 0) {
			didx_num((double)when, num);
			didx_add(b, key, DIDX_DATE, num, 8);
		}
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		d = json_number_value(v);
		if (!isfinite(d))
			break;
		didx_num(d, num);
		didx_add(b, key, DIDX_NUM, num, 8);
		didx_num_text(d, json_is_integer(v),
		    (long long)json_integer_value(v), text);
		didx_add(b, key, DIDX_STR, text, strlen(text));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		num[0] = json_is_true(v);
		didx_add(b, key, DIDX_BOOL, num, 1);
		s = json_is_true(v) ? "true" : "false";
		didx_add(b, key, DIDX_STR, s, strlen(s));
		break;
	default: /* null, lists and objects are not searched by value */
		break;
	}
}

static bool
in_list(const char *const *list, const char *k, size_t klen)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == klen && memcmp(list[i], k, klen) == 0)
			return true;
	return false;
}

struct didx_scan {
	struct didx_build *b;
	bool not_new;
	bool file; /* dates are not filed for files */
	char type; /* DIDX_DATASET, DIDX_CONTAINER, or 0 */
	double created;
};

/* One member of the record's text: only the searchable ones are parsed
   (a record without custom keys is indexed without a JSON parse). */
static bool
didx_member(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct didx_scan *d = arg;
	unsigned char num[8];
	long long when;
	const char *key;
	char name[32];
	json_t *j, *vj;

	if (klen == 4 && memcmp(k, "type", 4) == 0) {
		/* FILE, DATASET or CONTAINER: no escapes in the text */
		if (vlen == 9 && memcmp(v, "\"DATASET\"", 9) == 0)
			d->type = DIDX_DATASET;
		else if (vlen == 11 && memcmp(v, "\"CONTAINER\"", 11) == 0)
			d->type = DIDX_CONTAINER;
	} else if (klen == 6 && memcmp(k, "is_new", 6) == 0) {
		d->not_new = vlen == 5 && memcmp(v, "false", 5) == 0;
	} else if (klen == 10 && memcmp(k, "created_at", 10) == 0) {
		if (jsonx_member_int(v, vlen, &when))
			d->created = (double)when;
	} else if (in_list(didx_dates, k, klen)) {
		if (!d->file && jsonx_member_int(v, vlen, &when)) {
			memcpy(name, k, klen);
			name[klen] = '\0';
			didx_num((double)when, num);
			didx_add(d->b, name, DIDX_DATE, num, 8);
		}
	} else if (in_list(didx_fields, k, klen) ||
	    (klen == 4 && memcmp(k, "meta", 4) == 0)) {
		if ((j = json_loadb(v, vlen, JSON_DECODE_ANY, NULL)) == NULL)
			return false;
		if (klen == 4 && memcmp(k, "meta", 4) == 0) {
			json_object_foreach(j, key, vj) {
				didx_value(d->b, key, vj);
			}
		} else {
			memcpy(name, k, klen);
			name[klen] = '\0';
			didx_value(d->b, name, j);
		}
		json_decref(j);
	}
	return false;
}

static int
dids_by_meta(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	struct didx_build b = { 0 };
	struct didx_scan d = { &b, false, false, 0, 0 };
	unsigned char created[8];
	char kbuf[KEY_MAX];
	size_t klen;
	const char *key, *type;
	char scope[64];
	size_t len;

	(void)sec;
	key = key_part(pkey->data, pkey->size, 0, &len);
	if (key == NULL || len == 0 || len >= sizeof(scope))
		return DB_DONOTINDEX;
	memcpy(scope, key, len);
	scope[len] = '\0';
	b.scope = scope;
	d.file = jsonx_member(pdata->data, pdata->size, "type", &type, &len) &&
	    len == 6 && memcmp(type, "\"FILE\"", 6) == 0;
	if (!jsonx_members(pdata->data, pdata->size, didx_member, &d)) {
		didx_free(&b);
		return DB_DONOTINDEX;
	}
	/* a collection's one entry: new until something (a subscription's
	   transmogrifier) says not, its type, its creation */
	if (d.type != 0) {
		didx_num(d.created, created);
		klen = didx_coll_key(kbuf, scope, !d.not_new, d.type, created);
		if (klen != 0)
			didx_add_key(&b, kbuf, klen);
	}
	if (b.n == 0) {
		didx_free(&b);
		return DB_DONOTINDEX;
	}
	memset(skey, 0, sizeof(*skey));
	skey->data = b.keys;
	skey->size = (u_int32_t)b.n;
	skey->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	return 0;
}

/* DIDs with an expiry: the 8 order-preserving bytes of expired_at. */
/* An integer member (a time) as didx_num()'s 8 bytes, malloc'ed. */
static int
time_key(const DBT *pdata, const char *field, DBT *skey)
{
	const char *val;
	long long when;
	size_t vlen;
	unsigned char *k;

	if (!jsonx_member(pdata->data, pdata->size, field, &val, &vlen) ||
	    !jsonx_member_int(val, vlen, &when))
		return DB_DONOTINDEX;
	k = xmalloc(8);
	didx_num((double)when, k);
	memset(skey, 0, sizeof(*skey));
	skey->data = k;
	skey->size = 8;
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
dids_by_expiry(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pkey;
	return time_key(pdata, "expired_at", skey);
}

/* --- tasks --------------------------------------------------------- */

/* "age" is the task's inverted sequence number (16 digits): ascending keys
   list the newest task first */
FIELD_INDEX(tasks_by_age, "age")

/* owner \0 age: a user's tasks, newest first */
static int
tasks_by_owner(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	DBT owner, age;
	char *out;
	int ret;

	(void)sec;
	(void)pkey;
	if ((ret = extract_field(pdata, "owner", &owner)) != 0)
		return ret;
	if ((ret = extract_field(pdata, "age", &age)) != 0) {
		free(owner.data);
		return ret;
	}
	out = xmalloc(owner.size + 1 + age.size);
	memcpy(out, owner.data, owner.size);
	out[owner.size] = '\0';
	memcpy(out + owner.size + 1, age.data, age.size);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = owner.size + 1 + age.size;
	skey->flags = DB_DBT_APPMALLOC;
	free(owner.data);
	free(age.data);
	return 0;
}

/* --- replication rules --------------------------------------------- */

FIELD_INDEX(rules_by_account, "account")
FIELD_INDEX(rules_by_state, "state")
FIELD_INDEX(rules_by_subscription, "subscription_id")
FIELD_INDEX(requests_by_state, "state")

/* "scope" \0 "name" of a record that names its DID (rules, history) */
static int
by_did_fields(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const char *s, *n;
	size_t sl, nl;
	char *out;

	(void)sec;
	(void)pkey;
	if (!jsonx_member(pdata->data, pdata->size, "scope", &s, &sl) ||
	    !jsonx_member(pdata->data, pdata->size, "name", &n, &nl) ||
	    sl < 2 || nl < 2 || *s != '"' || *n != '"')
		return DB_DONOTINDEX;
	/* the members' text, quotes and all: DID names need no escapes */
	sl -= 2;
	nl -= 2;
	out = xmalloc(sl + 1 + nl);
	memcpy(out, s + 1, sl);
	out[sl] = '\0';
	memcpy(out + sl + 1, n + 1, nl);
	memset(skey, 0, sizeof(*skey));
	skey->data = out;
	skey->size = (u_int32_t)(sl + 1 + nl);
	skey->flags = DB_DBT_APPMALLOC;
	return 0;
}

static int
rules_by_expiry(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pkey;
	return time_key(pdata, "expires_at", skey);
}

/* Parts from..to of a key, contiguous in it: a pointer into the key. */
static int
extract_parts(const DBT *pkey, int from, int to, DBT *skey)
{
	const char *p, *q;
	size_t len, qlen;

	p = key_part(pkey->data, pkey->size, from, &len);
	q = key_part(pkey->data, pkey->size, to, &qlen);
	if (p == NULL || q == NULL || qlen == 0)
		return DB_DONOTINDEX;
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)(uintptr_t)p;
	skey->size = (u_int32_t)(q + qlen - p);
	return 0;
}

/* rule id \0 scope \0 name \0 RSE id: the replica, parts 1-3 */
static int
locks_by_replica(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_parts(pkey, 1, 3, skey);
}

/* ... the RSE id, part 3 (replica and dataset locks) */
static int
locks_by_rse(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 3, skey);
}

/* ... the dataset, parts 1-2 */
static int
dataset_locks_by_did(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_parts(pkey, 1, 2, skey);
}

/* clang-format off */
const struct tbl_def tbl_defs[TBL_COUNT] = {
	[TBL_META]		= { "meta.db",			-1,		NULL },
	[TBL_ACCOUNTS]		= { "accounts.db",		-1,		NULL },
	[TBL_ACCOUNTS_BY_TYPE]	= { "accounts.type.idx",	TBL_ACCOUNTS,	accounts_by_type },
	[TBL_ACCOUNTS_BY_EMAIL]	= { "accounts.email.idx",	TBL_ACCOUNTS,	accounts_by_email },
	[TBL_ACCOUNT_ATTRS]	= { "account_attrs.db",		-1,		NULL },
	[TBL_IDENTITIES]	= { "identities.db",		-1,		NULL },
	[TBL_IDMAP]		= { "idmap.db",			-1,		NULL },
	[TBL_IDMAP_BY_ACCOUNT]	= { "idmap.account.idx",	TBL_IDMAP,	idmap_by_account },
	[TBL_TOKENS]		= { "tokens.db",		-1,		NULL },
	[TBL_TOKENS_BY_ACCOUNT]	= { "tokens.account.idx",	TBL_TOKENS,	tokens_by_account },
	[TBL_TOKENS_BY_CODE]	= { "tokens.code.idx",		TBL_TOKENS,	tokens_by_code },
	[TBL_OAUTH_CLIENTS]	= { "oauth_clients.db",		-1,		NULL },
	[TBL_OAUTH_CODES]	= { "oauth_codes.db",		-1,		NULL },
	[TBL_SCOPES]		= { "scopes.db",		-1,		NULL },
	[TBL_SCOPES_BY_ACCOUNT]	= { "scopes.account.idx",	TBL_SCOPES,	scopes_by_account },
	[TBL_RSES]		= { "rses.db",			-1,		NULL },
	[TBL_RSES_BY_ID]	= { "rses.id.idx",		TBL_RSES,	rses_by_id },
	[TBL_RSE_ATTRS]		= { "rse_attrs.db",		-1,		NULL },
	[TBL_RSE_ATTRS_BY_KEY]	= { "rse_attrs.key.idx",	TBL_RSE_ATTRS,	rse_attrs_by_key },
	[TBL_RSE_PROTOCOLS]	= { "rse_protocols.db",		-1,		NULL },
	[TBL_RSE_DISTANCES]	= { "rse_distances.db",		-1,		NULL },
	[TBL_RSE_LIMITS]	= { "rse_limits.db",		-1,		NULL },
	[TBL_ACCOUNT_LIMITS]	= { "account_limits.db",	-1,		NULL },
	[TBL_ACCOUNT_GLIMITS]	= { "account_glimits.db",	-1,		NULL },
	[TBL_DIDS]		= { "dids.db",			-1,		NULL },
	[TBL_DIDS_BY_GUID]	= { "dids.guid.idx",		TBL_DIDS,	dids_by_guid },
	[TBL_DIDS_BY_META]	= { "dids.meta.idx",		TBL_DIDS,	dids_by_meta },
	[TBL_DIDS_BY_EXPIRY]	= { "dids.expiry.idx",		TBL_DIDS,	dids_by_expiry },
	[TBL_CONTENTS]		= { "contents.db",		-1,		NULL },
	[TBL_CONTENTS_BY_CHILD]	= { "contents.child.idx",	TBL_CONTENTS,	contents_by_child },
	[TBL_CONTENTS_HIST]	= { "contents_history.db",	-1,		NULL },
	[TBL_META_KEYS]		= { "meta_keys.db",		-1,		NULL },
	[TBL_META_VALUES]	= { "meta_values.db",		-1,		NULL },
	[TBL_REPLICAS]		= { "replicas.db",		-1,		NULL },
	[TBL_REPLICAS_BY_RSE]	= { "replicas.rse.idx",		TBL_REPLICAS,	replicas_by_rse },
	[TBL_REPLICAS_BY_PATH]	= { "replicas.path.idx",	TBL_REPLICAS,	replicas_by_path },
	[TBL_RSE_USAGE]		= { "rse_usage.db",		-1,		NULL },
	[TBL_RSE_USAGE_HIST]	= { "rse_usage_history.db",	-1,		NULL },
	[TBL_ACCOUNT_USAGE]	= { "account_usage.db",		-1,		NULL },
	[TBL_ACCOUNT_USAGE_BY_RSE] = { "account_usage.rse.idx",	TBL_ACCOUNT_USAGE, account_usage_by_rse },
	/* account usage (acct branch) */
	[TBL_ACCOUNT_USAGE_HIST] = { "account_usage_history.db", -1,		NULL },
	[TBL_ACCOUNT_LIMITS_BY_RSE] = { "account_limits.rse.idx", TBL_ACCOUNT_LIMITS, account_usage_by_rse },
	/* the file catalogue */
	[TBL_FC_DIRS]		= { "fc_dirs.db",		-1,		NULL },
	[TBL_FC_DIRS_BY_PARENT]	= { "fc_dirs.parent.idx",	TBL_FC_DIRS,	fcx_dirs_by_parent },
	[TBL_FC_DIRS_BY_META]	= { "fc_dirs.meta.idx",		TBL_FC_DIRS,	fcx_dirs_by_meta },
	[TBL_FC_FILES]		= { "fc_files.db",		-1,		NULL },
	[TBL_FC_FIELDS]		= { "fc_fields.db",		-1,		NULL },
	/* workload */
	[TBL_DRM]		= { "drm.db",			-1,		NULL },
	[TBL_DRM_BY_STATE]	= { "drm.state.idx",		TBL_DRM,	drm_by_state },
	[TBL_JOBS]		= { "jobs.db",			-1,		NULL },
	[TBL_JOBS_BY_OWNER]	= { "jobs.owner.idx",		TBL_JOBS,	jobs_by_owner },
	/* tasks */
	[TBL_SCRIPTS]		= { "scripts.db",		-1,		NULL },
	[TBL_TASKS]		= { "tasks.db",			-1,		NULL },
	[TBL_TASKS_BY_OWNER]	= { "tasks.owner.idx",		TBL_TASKS,	tasks_by_owner },
	[TBL_TASKS_BY_AGE]	= { "tasks.age.idx",		TBL_TASKS,	tasks_by_age },
	/* the undertaker's archive */
	[TBL_DELETED_DIDS]	= { "deleted_dids.db",		-1,		NULL },
	/* counters, each in a transaction of its own */
	[TBL_SEQS]		= { "sequences.db",		-1,		NULL },
	/* the top-level DIDs of each scope (did.h) */
	[TBL_DIDS_TOP]		= { "dids.top.db",		-1,		NULL },
	/* subscriptions (subscription.h) */
	[TBL_SUBSCRIPTIONS]	= { "subscriptions.db",		-1,		NULL },
	[TBL_SUBSCRIPTIONS_BY_ID] = { "subscriptions.id.idx",	TBL_SUBSCRIPTIONS, subscriptions_by_id },
	[TBL_SUBSCRIPTIONS_BY_NAME] = { "subscriptions.name.idx", TBL_SUBSCRIPTIONS, subscriptions_by_name },
	/* replication rules */
	[TBL_RULES]		= { "rules.db",			-1,		NULL },
	[TBL_RULES_BY_DID]	= { "rules.did.idx",		TBL_RULES,	by_did_fields },
	[TBL_RULES_BY_ACCOUNT]	= { "rules.account.idx",	TBL_RULES,	rules_by_account },
	[TBL_RULES_BY_STATE]	= { "rules.state.idx",		TBL_RULES,	rules_by_state },
	[TBL_RULES_BY_EXPIRY]	= { "rules.expiry.idx",		TBL_RULES,	rules_by_expiry },
	[TBL_RULES_BY_SUBSCRIPTION] = { "rules.subscription.idx", TBL_RULES,	rules_by_subscription },
	[TBL_LOCKS]		= { "locks.db",			-1,		NULL },
	[TBL_LOCKS_BY_REPLICA]	= { "locks.replica.idx",	TBL_LOCKS,	locks_by_replica },
	[TBL_LOCKS_BY_RSE]	= { "locks.rse.idx",		TBL_LOCKS,	locks_by_rse },
	[TBL_DATASET_LOCKS]	= { "dataset_locks.db",		-1,		NULL },
	[TBL_DATASET_LOCKS_BY_DID] = { "dataset_locks.did.idx",	TBL_DATASET_LOCKS, dataset_locks_by_did },
	[TBL_DATASET_LOCKS_BY_RSE] = { "dataset_locks.rse.idx",	TBL_DATASET_LOCKS, locks_by_rse },
	[TBL_RULE_HISTORY]	= { "rules_history.db",		-1,		NULL },
	[TBL_RULE_HISTORY_BY_DID] = { "rules_history.did.idx",	TBL_RULE_HISTORY, by_did_fields },
	[TBL_REQUESTS]		= { "requests.db",		-1,		NULL },
	[TBL_REQUESTS_BY_STATE]	= { "requests.state.idx",	TBL_REQUESTS,	requests_by_state },
	[TBL_REQUESTS_HISTORY]	= { "requests_history.db",	-1,		NULL },
	[TBL_REPLICAS_BY_TOMBSTONE] = { "replicas.tombstone.idx", TBL_REPLICAS,	replicas_by_tombstone },
	[TBL_MESSAGES]		= { "messages.db",		-1,		NULL },
};
/* clang-format on */
