/*
 * catalog.c -- the file catalogue's tree (core): LFNs, fields and their
 * typed values, directories, files, and their metadata. See catalog.h;
 * searches are in fcsearch.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <math.h>
#include <time.h>

#include "account.h"
#include "catalog.h"
#include "fc_int.h"
#include "jsonx.h"
#include "tables.h"
#include "util.h"

#define FC_MODE_DIR  0775
#define FC_MODE_FILE 0664
#define FC_CKSUM_MAX 128 /* bytes of a checksum, its type, a GUID */
#define FC_SES_MAX   64  /* replicas of one file */
#define FC_PFN_MAX   2048
#define FC_FLUSH     16384 /* bytes a listing gathers before writing */

/* --- LFNs ---------------------------------------------------------- */

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Check an absolute LFN: no empty, "." or ".." parts, no trailing "/"
   (but "/" itself), no control bytes, valid UTF-8. A trailing "/" is
   refused, not cut: "/a/b/" and "/a/b" would be one entry under two
   names. */
static int
path_norm(const char *in, size_t n, char out[FC_PATH_MAX + 1],
    struct gr_err *err)
{
	size_t i, start, len;

	if (n == 0 || in[0] != '/')
		return gr_fail(err, GR_INVALID_PATH,
		    "an LFN must be an absolute path");
	if (n > 1 && in[n - 1] == '/')
		return gr_fail(err, GR_INVALID_PATH,
		    "an LFN has no trailing '/'");
	if (n > FC_PATH_MAX)
		return gr_fail(err, GR_INVALID_PATH,
		    "an LFN has at most %d bytes", FC_PATH_MAX);
	if (!utf8_valid(in, n))
		return gr_fail(err, GR_INVALID_PATH,
		    "an LFN must be UTF-8 text");
	for (i = 0; i < n; i++)
		if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
			return gr_fail(err, GR_INVALID_PATH,
			    "an LFN holds no control characters");
	for (start = 1; n > 1 && start <= n; start = i + 1) {
		for (i = start; i < n && in[i] != '/'; i++)
			;
		len = i - start;
		if (len == 0 || (len == 1 && in[start] == '.') ||
		    (len == 2 && in[start] == '.' && in[start + 1] == '.'))
			return gr_fail(err, GR_INVALID_PATH,
			    "an LFN has no empty, '.' or '..' components");
		if (len > FC_NAME_MAX)
			return gr_fail(err, GR_INVALID_PATH,
			    "a path component has at most %d bytes",
			    FC_NAME_MAX);
	}
	memcpy(out, in, n);
	out[n] = '\0';
	return GR_OK;
}

int
fc_path_decode(const char *b64, char out[FC_PATH_MAX + 1], struct gr_err *err)
{
	unsigned char buf[FC_PATH_MAX + 8];
	size_t n, pad = 0, i, o = 0;
	unsigned acc = 0;
	int bits = 0, v;

	if (b64 == NULL || *b64 == '\0') {
		memcpy(out, "/", 2);
		return GR_OK;
	}
	n = strlen(b64);
	while (pad < n && b64[n - pad - 1] == '=')
		pad++;
	if (pad > 2 || (pad > 0 && n % 4 != 0) || (n - pad) % 4 == 1)
		return gr_fail(err, GR_INVALID_PATH,
		    "'%.64s' is not url-safe base64 (bad length or padding)",
		    b64);
	if ((n - pad) / 4 * 3 + 3 > sizeof(buf))
		return gr_fail(err, GR_INVALID_PATH,
		    "an LFN has at most %d bytes", FC_PATH_MAX);
	for (i = 0; i < n - pad; i++) {
		if ((v = b64_val((unsigned char)b64[i])) < 0)
			return gr_fail(err, GR_INVALID_PATH,
			    "'%.64s' is not url-safe base64 (character %zu)",
			    b64, i + 1);
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (memchr(buf, '\0', o) != NULL)
		return gr_fail(err, GR_INVALID_PATH, "an LFN holds no NUL");
	if (o == 0) {
		memcpy(out, "/", 2);
		return GR_OK;
	}
	return path_norm((const char *)buf, o, out, err);
}

bool
fc_parent(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (strcmp(path, "/") == 0 || slash == NULL)
		return false;
	n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(out, path, n);
	out[n] = '\0';
	return true;
}

bool
fc_below(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return strcmp(path, "/") != 0;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* --- fields and values ---------------------------------------------- */

static const struct {
	const char *name; /* DIRAC's, as clients see it */
	const char *alias;
	enum fc_type type;
} types[] = {
	{ "int", "int", FC_T_INT },
	{ "float", "float", FC_T_FLOAT },
	{ "varchar(128)", "string", FC_T_STR },
	{ "datetime", "date", FC_T_DATE },
};

const char *
fc_type_name(enum fc_type type)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(types); i++)
		if (types[i].type == type)
			return types[i].name;
	return "?";
}

static bool
type_parse(const char *s, enum fc_type *out)
{
	size_t i;

	for (i = 0; s != NULL && i < ARRAY_LEN(types); i++)
		if (strcasecmp(s, types[i].name) == 0 ||
		    strcasecmp(s, types[i].alias) == 0) {
			*out = types[i].type;
			return true;
		}
	return false;
}

static bool
field_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > FC_FIELD_MAX ||
	    !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static size_t
field_key(char *buf, char kind, const char *name)
{
	char k[2] = { kind, '\0' };

	return key_join(buf, KEY_MAX, k, name, (char *)NULL);
}

int
fc_field_type(struct st_txn *t, char kind, const char *name, enum fc_type *type,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	json_t *rec = NULL;
	DBT key;
	int ret;

	if (!field_name_ok(name))
		return gr_fail(err, GR_INVALID_METADATA,
		    "'%.64s' is not a metadata field name", name);
	key = st_dbt(kbuf, field_key(kbuf, kind, name));
	ret = st_get_json(t, TBL_FC_FIELDS, &key, &rec, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_INVALID_METADATA,
		    "'%s' is not a %s metadata field", name,
		    kind == 'd' ? "directory" : "file");
	if (ret != 0)
		return st_fail(err, ret);
	if (!type_parse(json_string_value(json_object_get(rec, "type")),
		type)) {
		json_decref(rec);
		return gr_fail(err, GR_DATABASE, "field '%s' has no type",
		    name);
	}
	json_decref(rec);
	return GR_OK;
}

struct field_args {
	const char *issuer, *name;
	char kind;
	enum fc_type type;
};

static int
field_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct field_args *a = arg;
	char kbuf[KEY_MAX];
	json_t *rec;
	DBT key;
	int ret, rc;

	if ((rc = account_require_admin(t, a->issuer, "define metadata fields",
		 err)) != GR_OK)
		return rc;
	key = st_dbt(kbuf, field_key(kbuf, a->kind, a->name));
	rec = json_pack("{s:s}", "type", fc_type_name(a->type));
	ret = st_put_json(t, TBL_FC_FIELDS, &key, rec, DB_NOOVERWRITE);
	json_decref(rec);
	if (ret == DB_KEYEXIST)
		return gr_fail(err, GR_DUPLICATE,
		    "the %s metadata field '%s' already exists",
		    a->kind == 'd' ? "directory" : "file", a->name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
fc_field_add(const char *issuer, const char *name, const char *type, char kind,
    struct gr_err *err)
{
	struct field_args a = { issuer, name, kind, FC_T_INT };

	if (name == NULL || !field_name_ok(name))
		return gr_fail(err, GR_INVALID_METADATA,
		    "a field name is a letter and up to %d letters, digits "
		    "or '_'",
		    FC_FIELD_MAX - 1);
	if (!type_parse(type, &a.type))
		return gr_fail(err, GR_INVALID_VALUE,
		    "a field's type is int, float, string or date");
	if (kind != 'd' && kind != 'f')
		return gr_fail(err, GR_INVALID_VALUE,
		    "a field is for directories or files");
	return st_txn_run(field_add_txn, &a, err);
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS]]" -> "YYYY-MM-DD HH:MM:SS", checked. */
static bool
norm_date(const char *s, char out[FC_DATE_LEN])
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, c;
	struct tm tm = { 0 }, chk;
	time_t when;

	c = sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n);
	if (c != 3 || n != 10)
		return false;
	if (s[n] == ' ' || s[n] == 'T') {
		int m = 0;

		if (sscanf(s + n + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
			return false;
		n += 1 + m;
		if (s[n] == ':') {
			if (sscanf(s + n + 1, "%2d%n", &sec, &m) != 1 || m != 2)
				return false;
			n += 1 + m;
		}
	}
	if (s[n] != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	when = timegm(&tm);
	if (gmtime_r(&when, &chk) == NULL || chk.tm_mday != d)
		return false; /* 2021-02-30 */
	snprintf(out, FC_DATE_LEN, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h,
	    mi, sec);
	return true;
}

int
fc_value(enum fc_type type, const char *field, const json_t *in, json_t **out,
    struct gr_err *err)
{
	const char *s = json_string_value(in);
	char date[FC_DATE_LEN], *end;
	long long i;
	double d;

	*out = NULL;
	switch (type) {
	case FC_T_INT:
		if (json_is_integer(in)) {
			*out = json_integer(json_integer_value(in));
		} else if (s != NULL && *s != '\0') {
			i = strtoll(s, &end, 10);
			if (*end == '\0' && i != LLONG_MAX && i != LLONG_MIN)
				*out = json_integer(i);
		}
		break;
	case FC_T_FLOAT:
		if (json_is_number(in)) {
			d = json_number_value(in);
			if (isfinite(d))
				*out = json_real(d);
		} else if (s != NULL && *s != '\0' &&
		    strpbrk(s, "xXnN") == NULL) {
			d = strtod(s, &end);
			if (*end == '\0' && isfinite(d))
				*out = json_real(d);
		}
		break;
	case FC_T_STR:
		if (s != NULL && json_string_length(in) <= FC_STR_MAX &&
		    strlen(s) == json_string_length(in))
			*out = json_string(s);
		break;
	case FC_T_DATE:
		if (s != NULL && norm_date(s, date))
			*out = json_string(date);
		break;
	}
	if (*out != NULL)
		return GR_OK;
	if (s != NULL)
		return gr_fail(err, GR_INVALID_VALUE,
		    "'%s' is a field of type %s: '%.64s' is not one", field,
		    fc_type_name(type), s);
	return gr_fail(err, GR_INVALID_VALUE,
	    "'%s' is a field of type %s: the value is not one", field,
	    fc_type_name(type));
}

int
fc_cmp(enum fc_type type, const json_t *a, const json_t *b)
{
	double x, y;

	if (type == FC_T_STR || type == FC_T_DATE)
		return strcmp(json_string_value(a) ? json_string_value(a) : "",
		    json_string_value(b) ? json_string_value(b) : "");
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b) ? -1
		    : json_integer_value(a) > json_integer_value(b)  ? 1
								     : 0;
	x = json_number_value(a);
	y = json_number_value(b);
	return x < y ? -1 : x > y ? 1 : 0;
}

/* --- records -------------------------------------------------------- */

static json_t *
root_record(void)
{
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
	    "id", 1, "owner", "root", "group", "", "mode", FC_MODE_DIR, "ct", 0,
	    "mt", 0, "f", 0, "s", 0, "rf", 0, "rs", 0);
}

int
fc_dir_load(struct st_txn *t, const char *path, u_int32_t flags, json_t **rec,
    struct gr_err *err)
{
	DBT key = st_dbt(path, strlen(path));
	int ret;

	*rec = NULL;
	ret = st_get_json(t, TBL_FC_DIRS, &key, rec, flags);
	if (ret == DB_NOTFOUND && strcmp(path, "/") == 0) {
		*rec = root_record();
		return GR_OK;
	}
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_NOT_FOUND,
		    "No such file or directory: %s", path);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
fc_dir_eff(struct st_txn *t, const char *path, json_t **eff, json_t **rec,
    struct gr_err *err)
{
	char prefix[FC_PATH_MAX + 1];
	json_t *r = NULL;
	size_t i, n = strlen(path);
	int rc = GR_OK;

	*eff = json_object();
	/* the root, every ancestor, then path: the deeper overriding */
	for (i = 1; i <= n && rc == GR_OK; i++) {
		if (i == 1 && n > 1) {
			memcpy(prefix, "/", 2);
		} else if (i == n || path[i] == '/') {
			memcpy(prefix, path, i);
			prefix[i] = '\0';
		} else {
			continue;
		}
		json_decref(r);
		r = NULL;
		if ((rc = fc_dir_load(t, prefix, 0, &r, err)) == GR_OK)
			json_object_update(*eff, json_object_get(r, "meta"));
	}
	if (rc != GR_OK) {
		json_decref(*eff);
		*eff = NULL;
		json_decref(r);
		r = NULL;
	}
	if (rec != NULL)
		*rec = r;
	else
		json_decref(r);
	return rc;
}

static int
dir_store(struct st_txn *t, const char *path, const json_t *rec,
    u_int32_t flags, struct gr_err *err)
{
	DBT key = st_dbt(path, strlen(path));
	int ret = st_put_json(t, TBL_FC_DIRS, &key, rec, flags);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static size_t
file_key(char *buf, const char *path, char *dir)
{
	const char *base;

	if (!fc_parent(path, dir))
		return 0;
	base = strrchr(path, '/') + 1;
	return key_join(buf, KEY_MAX, dir, base, (char *)NULL);
}

static int
file_load(struct st_txn *t, const char *path, u_int32_t flags, json_t **rec,
    struct gr_err *err)
{
	char kbuf[KEY_MAX], dir[FC_PATH_MAX + 1];
	DBT key;
	int ret;

	*rec = NULL;
	key = st_dbt(kbuf, file_key(kbuf, path, dir));
	ret = key.size == 0 ? DB_NOTFOUND
			    : st_get_json(t, TBL_FC_FILES, &key, rec, flags);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_NOT_FOUND,
		    "No such file or directory: %s", path);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* Writes: the owner or an admin. */
static int
may_write(struct st_txn *t, const char *issuer, const json_t *rec,
    const char *path, struct gr_err *err)
{
	const char *owner = json_string_value(json_object_get(rec, "owner"));
	bool admin = false;
	int rc;

	if (owner != NULL && strcmp(owner, issuer) == 0)
		return GR_OK;
	if ((rc = account_is_admin(t, issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not write to %s", issuer, path);
	return GR_OK;
}

/* The next n ids of kind ("dir", "file"): *first .. *first + n - 1. */
static int
next_ids(struct st_txn *t, const char *kind, json_int_t n, json_int_t *first,
    struct gr_err *err)
{
	DBT key = st_dbt("fc.seq", 6);
	json_t *rec = NULL;
	int ret;

	ret = st_get_json(t, TBL_META, &key, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		rec = json_object();
	else if (ret != 0)
		return st_fail(err, ret);
	/* the root is directory 1 */
	*first = json_integer_value(json_object_get(rec, kind)) + 1;
	if (*first == 1 && strcmp(kind, "dir") == 0)
		*first = 2;
	json_object_set_new(rec, kind, json_integer(*first + n - 1));
	ret = st_put_json(t, TBL_META, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static void
add_int(json_t *rec, const char *key, json_int_t d)
{
	json_object_set_new(rec, key,
	    json_integer(json_integer_value(json_object_get(rec, key)) + d));
}

/*
 * Counters: files df and bytes ds more (or fewer) in dir, its subtree
 * sums and its ancestors'. recs caches the records to write (path ->
 * record), loaded once per transaction.
 */
static int
counters_add(struct st_txn *t, json_t *recs, const char *dir, json_int_t df,
    json_int_t ds, struct gr_err *err)
{
	char p[FC_PATH_MAX + 1], up[FC_PATH_MAX + 1];
	json_t *rec;
	bool first = true;
	int rc;

	memcpy(p, dir, strlen(dir) + 1);
	for (;;) {
		if ((rec = json_object_get(recs, p)) == NULL) {
			if ((rc = fc_dir_load(t, p, DB_RMW, &rec, err)) !=
			    GR_OK)
				return rc;
			json_object_set_new(recs, p, rec);
		}
		if (first) {
			add_int(rec, "f", df);
			add_int(rec, "s", ds);
			first = false;
		}
		add_int(rec, "rf", df);
		add_int(rec, "rs", ds);
		if (!fc_parent(p, up))
			break;
		memcpy(p, up, strlen(up) + 1);
	}
	return GR_OK;
}

static int
recs_store(struct st_txn *t, json_t *recs, struct gr_err *err)
{
	const char *path;
	json_t *rec;
	int rc;

	json_object_foreach(recs, path, rec) {
		if ((rc = dir_store(t, path, rec, 0, err)) != GR_OK)
			return rc;
	}
	return GR_OK;
}

/* --- directories ---------------------------------------------------- */

/* GR_OK unless a file has the LFN path (a directory may not). */
static int
no_file(struct st_txn *t, const char *path, struct gr_err *err)
{
	char kbuf[KEY_MAX], dir[FC_PATH_MAX + 1];
	DBT key = st_dbt(kbuf, file_key(kbuf, path, dir));
	int ret = key.size == 0 ? DB_NOTFOUND
				: st_exists(t, TBL_FC_FILES, &key);

	if (ret == 0)
		return gr_fail(err, GR_FILE_EXISTS, "File already exists: %s",
		    path);
	return ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

struct dir_args {
	const char *issuer, *group, *path, *owner;
	json_int_t mode;
};

static int
dir_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dir_args *a = arg;
	char missing[FC_PATH_MAX + 1], up[FC_PATH_MAX + 1];
	json_t *anc = NULL, *rec;
	json_int_t id;
	int64_t now = time_now();
	size_t n = 0, depth[FC_PATH_MAX / 2 + 1], i;
	bool admin = false;
	int rc;

	/* the missing directories, deepest first, by their lengths */
	memcpy(missing, a->path, strlen(a->path) + 1);
	for (;;) {
		DBT key = st_dbt(missing, strlen(missing));
		int ret = st_exists(t, TBL_FC_DIRS, &key);

		if (ret == 0 || strcmp(missing, "/") == 0)
			break;
		if (ret != DB_NOTFOUND)
			return st_fail(err, ret);
		depth[n++] = strlen(missing);
		(void)fc_parent(missing, up);
		memcpy(missing, up, strlen(up) + 1);
	}
	if (n == 0)
		return gr_fail(err, GR_DUPLICATE,
		    "Directory already exists: %s", a->path);
	for (i = 0; i < n; i++) {
		memcpy(up, a->path, depth[i]);
		up[depth[i]] = '\0';
		if ((rc = no_file(t, up, err)) != GR_OK)
			return rc;
	}
	if ((rc = fc_dir_load(t, missing, 0, &anc, err)) != GR_OK)
		return rc;
	rc = may_write(t, a->issuer, anc, missing, err);
	json_decref(anc);
	if (rc != GR_OK)
		return rc;
	if (a->owner != NULL && strcmp(a->owner, a->issuer) != 0) {
		if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
			return rc;
		if (!admin)
			return gr_fail(err, GR_ACCESS_DENIED,
			    "Account %s can not give directories to %s",
			    a->issuer, a->owner);
		if ((rc = account_check_active(t, a->owner, err)) != GR_OK)
			return rc;
	}
	if ((rc = next_ids(t, "dir", (json_int_t)n, &id, err)) != GR_OK)
		return rc;
	for (i = n; i > 0; i--) {
		memcpy(missing, a->path, depth[i - 1]);
		missing[depth[i - 1]] = '\0';
		rec = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:i, s:i, s:i, "
				"s:i}",
		    "id", id++, "owner", a->owner ? a->owner : a->issuer,
		    "group", a->group ? a->group : "", "mode", a->mode, "ct",
		    (json_int_t)now, "mt", (json_int_t)now, "f", 0, "s", 0,
		    "rf", 0, "rs", 0);
		rc = dir_store(t, missing, rec, DB_NOOVERWRITE, err);
		json_decref(rec);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

static int
opt_mode(const json_t *opts, json_int_t dflt, json_int_t *mode,
    struct gr_err *err)
{
	const json_t *m = json_object_get(opts, "mode");

	*mode = dflt;
	if (m == NULL || json_is_null(m))
		return GR_OK;
	if (!json_is_integer(m) || json_integer_value(m) < 0 ||
	    json_integer_value(m) > 07777)
		return gr_fail(err, GR_INVALID_VALUE,
		    "'mode' is an integer from 0 to 4095 (07777)");
	*mode = json_integer_value(m);
	return GR_OK;
}

int
fc_dir_add(const char *issuer, const char *group, const char *path,
    const json_t *opts, struct gr_err *err)
{
	struct dir_args a = { issuer, group, path, NULL, 0 };
	const json_t *o = json_object_get(opts, "owner");
	int rc;

	if ((rc = opt_mode(opts, FC_MODE_DIR, &a.mode, err)) != GR_OK)
		return rc;
	if (o != NULL && !json_is_null(o) &&
	    (a.owner = json_string_value(o)) == NULL)
		return gr_fail(err, GR_TYPE_ERROR,
		    "'owner' is an account name");
	if (strcmp(path, "/") == 0)
		return gr_fail(err, GR_DUPLICATE,
		    "Directory already exists: /");
	return st_txn_run(dir_add_txn, &a, err);
}

/* One item of a bulk creation, checked. */
struct dir_item {
	char path[FC_PATH_MAX + 1];
	const char *owner;
	json_int_t mode;
	const json_t *meta;
};

struct dirs_args {
	const char *issuer, *group;
	struct dir_item *items;
	size_t n;
};

static int meta_txn(struct st_txn *t, void *arg, struct gr_err *err);
struct meta_args {
	const char *issuer, *path;
	bool dir;
	const json_t *meta, *keys;
};

static int
dirs_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dirs_args *a = arg;
	struct dir_args d;
	struct meta_args m;
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		d = (struct dir_args){ a->issuer, a->group, a->items[i].path,
			a->items[i].owner, a->items[i].mode };
		if ((rc = dir_add_txn(t, &d, err)) != GR_OK)
			return rc;
		if (a->items[i].meta == NULL)
			continue;
		m = (struct meta_args){ a->issuer, a->items[i].path, true,
			a->items[i].meta, NULL };
		if ((rc = meta_txn(t, &m, err)) != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
fc_dirs_add(const char *issuer, const char *group, const json_t *dirs,
    struct gr_err *err)
{
	struct dirs_args a = { issuer, group, NULL, 0 };
	const json_t *it, *o, *m;
	const char *p;
	size_t i;
	int rc = GR_OK;

	if (!json_is_array(dirs) || json_array_size(dirs) == 0 ||
	    json_array_size(dirs) > FC_BULK_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "a list of 1 to %d directories", FC_BULK_MAX);
	a.n = json_array_size(dirs);
	a.items = xcalloc(a.n, sizeof(*a.items));
	for (i = 0; i < a.n && rc == GR_OK; i++) {
		it = json_array_get(dirs, i);
		p = json_is_string(it)
		    ? json_string_value(it)
		    : json_string_value(json_object_get(it, "path"));
		o = json_object_get(it, "owner");
		m = json_object_get(it, "meta");
		if (p == NULL)
			rc = gr_fail(err, GR_INVALID_OBJECT,
			    "directory %zu: an LFN or {\"path\", \"mode\", "
			    "\"owner\", \"meta\"}",
			    i);
		else if ((rc = path_norm(p, strlen(p), a.items[i].path, err)) !=
		    GR_OK)
			break;
		else if (strcmp(a.items[i].path, "/") == 0)
			rc = gr_fail(err, GR_DUPLICATE,
			    "Directory already exists: /");
		else if ((rc = opt_mode(it, FC_MODE_DIR, &a.items[i].mode,
			      err)) != GR_OK)
			break;
		else if (o != NULL && !json_is_null(o) &&
		    (a.items[i].owner = json_string_value(o)) == NULL)
			rc = gr_fail(err, GR_TYPE_ERROR,
			    "'owner' is an account name");
		else if (m != NULL &&
		    (!json_is_object(m) ||
			json_object_size(m) > FC_COND_MAX * 4))
			rc = gr_fail(err, GR_INVALID_OBJECT,
			    "'meta' is an object of up to %d fields",
			    FC_COND_MAX * 4);
		else if (json_object_size(m) > 0)
			a.items[i].meta = m;
	}
	if (rc == GR_OK)
		rc = st_txn_run(dirs_add_txn, &a, err);
	free(a.items);
	return rc;
}

static int
dir_del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dir_args *a = arg;
	char kbuf[KEY_MAX];
	bool any = false;
	json_t *rec;
	DBT key;
	size_t n = strlen(a->path);
	int rc, ret;

	if ((rc = fc_dir_load(t, a->path, DB_RMW, &rec, err)) != GR_OK)
		return rc;
	rc = may_write(t, a->issuer, rec, a->path, err);
	json_decref(rec);
	if (rc != GR_OK)
		return rc;
	rc = st_scan_key(t, TBL_FC_DIRS_BY_PARENT, a->path, n, st_scan_found,
	    &any, err);
	if (rc == GR_OK && !any) {
		memcpy(kbuf, a->path, n + 1); /* "dir \0": its files */
		rc = st_scan(t, TBL_FC_FILES, kbuf, n + 1, NULL, st_scan_found,
		    &any, err);
	}
	if (rc != GR_OK)
		return rc;
	if (any)
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Directory not empty: %s", a->path);
	key = st_dbt(a->path, n);
	ret = st_del(t, TBL_FC_DIRS, &key);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
fc_dir_del(const char *issuer, const char *path, struct gr_err *err)
{
	struct dir_args a = { issuer, NULL, path, NULL, 0 };

	if (strcmp(path, "/") == 0)
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "the root directory cannot be removed");
	return st_txn_run(dir_del_txn, &a, err);
}

/* --- listing -------------------------------------------------------- */

static void
dirac_date(json_t *obj, const char *key, const json_t *epoch)
{
	char buf[FC_DATE_LEN];
	time_t when = (time_t)json_integer_value(epoch);
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	json_object_set_new(obj, key, json_string(buf));
}

static const char *
str_or(const json_t *rec, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s != NULL ? s : dflt;
}

/* DIRAC's view of a file record (getFileMetadata's keys). */
static json_t *
file_view(const json_t *rec)
{
	const json_t *mode = json_object_get(rec, "mode");
	const json_t *mt = json_object_get(rec, "mt");
	json_t *o = json_pack("{s:O, s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:s, "
			      "s:I, s:O}",
	    "Size", json_object_get(rec, "size"), "Checksum",
	    str_or(rec, "checksum", ""), "ChecksumType",
	    str_or(rec, "checksumtype", ""), "GUID", str_or(rec, "guid", ""),
	    "UID", 0, "GID", 0, "Owner", str_or(rec, "owner", ""), "OwnerGroup",
	    str_or(rec, "group", ""), "Status",
	    str_or(rec, "status", "AprioriGood"), "Mode",
	    mode != NULL ? json_integer_value(mode) : FC_MODE_FILE, "FileID",
	    json_object_get(rec, "id"));

	dirac_date(o, "CreationDate", json_object_get(rec, "ct"));
	dirac_date(o, "ModificationDate",
	    mt != NULL ? mt : json_object_get(rec, "ct"));
	return o;
}

static json_t *
dir_view(const json_t *rec)
{
	json_t *o = json_pack("{s:O, s:i, s:s, s:i, s:s, s:s, s:O}", "DirID",
	    json_object_get(rec, "id"), "UID", 0, "Owner",
	    str_or(rec, "owner", ""), "GID", 0, "OwnerGroup",
	    str_or(rec, "group", ""), "Status", "0", "Mode",
	    json_object_get(rec, "mode"));

	dirac_date(o, "CreationDate", json_object_get(rec, "ct"));
	dirac_date(o, "ModificationDate", json_object_get(rec, "mt"));
	return o;
}

struct list_args {
	const char *path;
	bool verbose, first;
	gr_emit_text_fn emit;
	void *ctx;
	struct sbuf out;
	struct gr_err *err;
};

static int
list_flush(struct list_args *a, bool force)
{
	int rc = GR_OK;

	if (a->out.len > 0 && (force || a->out.len >= FC_FLUSH)) {
		rc = a->emit(a->out.s, a->out.len, a->ctx);
		a->out.len = 0;
	}
	return rc;
}

/* One member "name": value of the object being written. */
static int
list_member(struct list_args *a, const char *name, size_t n, json_t *val)
{
	char *text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
	char *nm = xstrndup(name, n);

	if (!a->first)
		sbuf_add(&a->out, ",", 1);
	a->first = false;
	sbuf_json(&a->out, nm);
	sbuf_add(&a->out, ":", 1);
	sbuf_adds(&a->out, text != NULL ? text : "null");
	free(text);
	free(nm);
	json_decref(val);
	return list_flush(a, false);
}

static int
list_file(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *rec, *md, *item, *reps;
	const char *base;
	size_t n;

	(void)pkey;
	base = key_part(key->data, key->size, 1, &n);
	if (base == NULL ||
	    (rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	md = file_view(rec);
	json_object_set_new(md, "Type", json_string("File"));
	item = json_pack("{s:o}", "MetaData", md);
	if (a->verbose) {
		reps = json_object_get(rec, "replicas");
		json_object_set_new(item, "Replicas",
		    reps != NULL ? json_incref(reps) : json_object());
	}
	json_decref(rec);
	return list_member(a, base, n, item);
}

static int
list_dir(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	const char *p = pkey->data, *base;
	json_t *rec, *item;
	size_t i;

	(void)key;
	base = p;
	for (i = 0; i < pkey->size; i++)
		if (p[i] == '/')
			base = p + i + 1;
	if (!a->verbose) {
		item = json_true();
	} else {
		if ((rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
			return GR_OK;
		item = dir_view(rec);
		json_decref(rec);
	}
	return list_member(a, base, (size_t)(p + pkey->size - base), item);
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	char kbuf[KEY_MAX];
	size_t n = strlen(a->path);
	json_t *rec;
	int rc;

	if ((rc = fc_dir_load(t, a->path, 0, &rec, err)) != GR_OK)
		return rc;
	json_decref(rec);
	sbuf_adds(&a->out, "{\"Files\":{");
	a->first = true;
	memcpy(kbuf, a->path, n + 1);
	rc = st_scan(t, TBL_FC_FILES, kbuf, n + 1, NULL, list_file, a, err);
	if (rc != GR_OK)
		return rc;
	sbuf_adds(&a->out, "},\"SubDirs\":{");
	a->first = true;
	rc = st_scan_key(t, TBL_FC_DIRS_BY_PARENT, a->path, n, list_dir, a,
	    err);
	if (rc != GR_OK)
		return rc;
	sbuf_adds(&a->out, "},\"Links\":{},\"Datasets\":{}}");
	return list_flush(a, true);
}

int
fc_dir_list(const char *path, bool verbose, gr_emit_text_fn emit, void *ctx,
    struct gr_err *err)
{
	struct list_args a = { .path = path,
		.verbose = verbose,
		.emit = emit,
		.ctx = ctx,
		.err = err };
	int rc;

	rc = st_view(list_txn, &a, ST_ONCE, err);
	sbuf_free(&a.out);
	return rc;
}

/* --- files ---------------------------------------------------------- */

/* One registration, checked: its record's text but for the members the
   transaction adds (id, owner, group, ct), and what the sums need. */
struct file_item {
	char lfn[FC_PATH_MAX + 1];
	struct sbuf head; /* "{...," up to and with the last comma */
	json_int_t size;
	const char *owner; /* asked for, or NULL */
};

static void
head_string(struct sbuf *b, const char *key, const char *val)
{
	sbuf_json(b, key);
	sbuf_add(b, ":", 1);
	sbuf_json(b, val);
	sbuf_add(b, ",", 1);
}

/* The record is written as text, not built with jansson: at a million
   files, building and dumping objects was most of a registration's
   time. Defaults (mode 0664, status AprioriGood, no group, mt = ct) are
   left out. */
static int
file_prepare(const json_t *in, size_t i, const unsigned char rnd_in[16],
    struct file_item *it, struct gr_err *err)
{
	const char *keys[] = { "checksum", "checksumtype", "guid" };
	const char *s = json_string_value(json_object_get(in, "lfn"));
	const char *vals[3] = { NULL, NULL, NULL };
	const json_t *v, *reps, *o;
	char guid[40], small[1024], *text;
	const unsigned char *rnd = rnd_in;
	json_int_t mode;
	const char *se;
	size_t k, n;
	int rc;

	if (!json_is_object(in) || s == NULL)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "file %zu: an object with \"lfn\"", i);
	if ((rc = path_norm(s, strlen(s), it->lfn, err)) != GR_OK)
		return rc;
	if (strcmp(it->lfn, "/") == 0)
		return gr_fail(err, GR_INVALID_PATH, "'/' is no file name");
	if ((rc = opt_mode(in, FC_MODE_FILE, &mode, err)) != GR_OK)
		return rc;
	v = json_object_get(in, "size");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s: 'size' is a number of bytes", it->lfn);
	it->size = v != NULL ? json_integer_value(v) : 0;
	o = json_object_get(in, "owner");
	if (o != NULL && !json_is_null(o) &&
	    (it->owner = json_string_value(o)) == NULL)
		return gr_fail(err, GR_TYPE_ERROR,
		    "'owner' is an account name");
	for (k = 0; k < ARRAY_LEN(keys); k++) {
		v = json_object_get(in, keys[k]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_string(v) ||
		    json_string_length(v) > FC_CKSUM_MAX ||
		    !utf8_valid(json_string_value(v), json_string_length(v)))
			return gr_fail(err, GR_INVALID_VALUE,
			    "%s: '%s' is a string of up to %d bytes", it->lfn,
			    keys[k], FC_CKSUM_MAX);
		vals[k] = json_string_value(v);
	}
	if (vals[0] != NULL && vals[1] == NULL)
		vals[1] = "Adler32";
	if (vals[2] == NULL) {
		snprintf(guid, sizeof(guid),
		    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		    "%02X%02X%02X%02X%02X%02X",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		    (rnd[6] & 0x0f) | 0x40, rnd[7], (rnd[8] & 0x3f) | 0x80,
		    rnd[9], rnd[10], rnd[11], rnd[12], rnd[13], rnd[14],
		    rnd[15]);
		vals[2] = guid;
	}
	reps = json_object_get(in, "replicas");
	if (reps != NULL && !json_is_null(reps)) {
		if (!json_is_object(reps) ||
		    json_object_size(reps) > FC_SES_MAX)
			return gr_fail(err, GR_INVALID_VALUE,
			    "%s: 'replicas' is {SE: PFN} with up to %d SEs",
			    it->lfn, FC_SES_MAX);
		json_object_foreach(jsonx_unconst(reps), se, v) {
			if (!json_is_string(v) || *se == '\0' ||
			    strlen(se) > FC_NAME_MAX ||
			    json_string_length(v) > FC_PFN_MAX)
				return gr_fail(err, GR_INVALID_VALUE,
				    "%s: the replica at '%.64s' is not a PFN "
				    "string",
				    it->lfn, se);
		}
	}
	sbuf_adds(&it->head, "{\"size\":");
	sbuf_addi(&it->head, it->size);
	sbuf_add(&it->head, ",", 1);
	if (mode != FC_MODE_FILE) {
		sbuf_adds(&it->head, "\"mode\":");
		sbuf_addi(&it->head, mode);
		sbuf_add(&it->head, ",", 1);
	}
	for (k = 0; k < ARRAY_LEN(keys); k++)
		if (vals[k] != NULL)
			head_string(&it->head, keys[k], vals[k]);
	if (reps != NULL && json_object_size(reps) > 0) {
		n = json_dumpb(reps, small, sizeof(small), JSON_COMPACT);
		text = n > sizeof(small) ? json_dumps(reps, JSON_COMPACT)
					 : small;
		sbuf_adds(&it->head, "\"replicas\":");
		sbuf_add(&it->head, text != NULL ? text : "{}",
		    text != NULL ? (text == small ? n : strlen(text)) : 2);
		sbuf_add(&it->head, ",", 1);
		if (text != small)
			free(text);
	}
	return GR_OK;
}

struct files_args {
	const char *issuer, *group;
	struct file_item *items;
	size_t n;
	const char *path; /* single-file operations */
};

/* Inside a transaction: GR_OK unless a directory has the LFN path. */
static int
no_dir(struct st_txn *t, const char *path, struct gr_err *err)
{
	DBT key = st_dbt(path, strlen(path));
	int ret = st_exists(t, TBL_FC_DIRS, &key);

	if (ret == 0)
		return gr_fail(err, GR_DUPLICATE,
		    "Directory already exists: %s", path);
	return ret == DB_NOTFOUND ? GR_OK : st_fail(err, ret);
}

static int
files_add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct files_args *a = arg;
	char kbuf[KEY_MAX], dir[FC_PATH_MAX + 1];
	json_t *dirs = json_object(), *counts = json_object(), *d;
	struct sbuf rec = { 0 };
	struct file_item *it;
	int64_t now = time_now();
	json_int_t id;
	int admin = -1;
	const char *path;
	size_t i;
	DBT key;
	int rc, ret;

	if ((rc = next_ids(t, "file", (json_int_t)a->n, &id, err)) != GR_OK)
		goto out;
	for (i = 0; i < a->n; i++) {
		it = &a->items[i];
		key = st_dbt(kbuf, file_key(kbuf, it->lfn, dir));
		if ((d = json_object_get(counts, dir)) == NULL) {
			if ((rc = fc_dir_load(t, dir, DB_RMW, &d, err)) !=
			    GR_OK)
				goto out;
			rc = may_write(t, a->issuer, d, dir, err);
			json_decref(d);
			if (rc != GR_OK)
				goto out;
			d = json_pack("[i, i]", 0, 0);
			json_object_set_new(counts, dir, d);
		}
		if ((rc = account_may_act_for(t, a->issuer, it->owner, &admin,
			 "give files to", err)) != GR_OK ||
		    (rc = no_dir(t, it->lfn, err)) != GR_OK)
			goto out;
		rec.len = 0;
		sbuf_add(&rec, it->head.s, it->head.len);
		sbuf_adds(&rec, "\"id\":");
		sbuf_addi(&rec, id++);
		sbuf_adds(&rec, ",");
		head_string(&rec, "owner",
		    it->owner != NULL ? it->owner : a->issuer);
		if (a->group != NULL && *a->group != '\0')
			head_string(&rec, "group", a->group);
		sbuf_adds(&rec, "\"ct\":");
		sbuf_addi(&rec, now);
		sbuf_adds(&rec, "}");
		ret = st_put_text(t, TBL_FC_FILES, &key, rec.s, rec.len,
		    DB_NOOVERWRITE);
		if (ret == DB_KEYEXIST) {
			rc = gr_fail(err, GR_FILE_EXISTS,
			    "File already exists: %s", it->lfn);
			goto out;
		}
		if (ret != 0) {
			rc = st_fail(err, ret);
			goto out;
		}
		/* the sums, in place: no allocation per file */
		json_integer_set(json_array_get(d, 0),
		    json_integer_value(json_array_get(d, 0)) + 1);
		json_integer_set(json_array_get(d, 1),
		    json_integer_value(json_array_get(d, 1)) + it->size);
	}
	json_object_foreach(counts, path, d) {
		if ((rc = counters_add(t, dirs, path,
			 json_integer_value(json_array_get(d, 0)),
			 json_integer_value(json_array_get(d, 1)), err)) !=
		    GR_OK)
			goto out;
	}
	rc = recs_store(t, dirs, err);
out:
	sbuf_free(&rec);
	json_decref(dirs);
	json_decref(counts);
	return rc;
}

int
fc_files_add(const char *issuer, const char *group, const json_t *files,
    struct gr_err *err)
{
	struct files_args a = { .issuer = issuer, .group = group };
	unsigned char *rnd;
	size_t i;
	int rc = GR_OK;

	if (!json_is_array(files) || json_array_size(files) == 0 ||
	    json_array_size(files) > FC_BULK_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "a list of 1 to %d files", FC_BULK_MAX);
	a.n = json_array_size(files);
	rnd = xmalloc(a.n * 16);
	random_bytes(rnd, a.n * 16); /* GUIDs for the files without one */
	a.items = xcalloc(a.n, sizeof(*a.items));
	for (i = 0; i < a.n && rc == GR_OK; i++)
		rc = file_prepare(json_array_get(files, i), i, rnd + i * 16,
		    &a.items[i], err);
	if (rc == GR_OK)
		rc = st_txn_run(files_add_txn, &a, err);
	for (i = 0; i < a.n; i++)
		sbuf_free(&a.items[i].head);
	free(a.items);
	free(rnd);
	return rc;
}

static int
file_del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct files_args *a = arg;
	char kbuf[KEY_MAX], dir[FC_PATH_MAX + 1];
	json_t *rec = NULL, *d = NULL, *recs = json_object();
	const char *owner;
	DBT key;
	int rc, ret;

	if ((rc = file_load(t, a->path, DB_RMW, &rec, err)) != GR_OK)
		goto out;
	key = st_dbt(kbuf, file_key(kbuf, a->path, dir));
	owner = json_string_value(json_object_get(rec, "owner"));
	if (owner == NULL || strcmp(owner, a->issuer) != 0) {
		if ((rc = fc_dir_load(t, dir, 0, &d, err)) != GR_OK ||
		    (rc = may_write(t, a->issuer, d, a->path, err)) != GR_OK)
			goto out;
	}
	if ((ret = st_del(t, TBL_FC_FILES, &key)) != 0) {
		rc = st_fail(err, ret);
		goto out;
	}
	rc = counters_add(t, recs, dir, -1,
	    -json_integer_value(json_object_get(rec, "size")), err);
	if (rc == GR_OK)
		rc = recs_store(t, recs, err);
out:
	json_decref(rec);
	json_decref(d);
	json_decref(recs);
	return rc;
}

int
fc_file_del(const char *issuer, const char *path, struct gr_err *err)
{
	struct files_args a = { .issuer = issuer, .path = path };

	return st_txn_run(file_del_txn, &a, err);
}

struct get_args {
	const char *path;
	bool meta;
	json_t *out;
};

static int
file_get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	char dir[FC_PATH_MAX + 1];
	json_t *rec;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = file_load(t, a->path, 0, &rec, err)) != GR_OK)
		return rc;
	if (!a->meta) {
		a->out = file_view(rec);
	} else {
		(void)fc_parent(a->path, dir);
		if ((rc = fc_dir_eff(t, dir, &a->out, NULL, err)) == GR_OK)
			json_object_update(a->out,
			    json_object_get(rec, "meta"));
	}
	json_decref(rec);
	return rc;
}

static int
file_get(const char *path, bool meta, json_t **out, struct gr_err *err)
{
	struct get_args a = { path, meta, NULL };
	int rc = st_view(file_get_txn, &a, 0, err);

	*out = rc == GR_OK ? a.out : NULL;
	if (rc != GR_OK)
		json_decref(a.out);
	return rc;
}

int
fc_file_attrs(const char *path, json_t **out, struct gr_err *err)
{
	return file_get(path, false, out, err);
}

static int
record_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;

	json_decref(a->out);
	return file_load(t, a->path, 0, &a->out, err);
}

int
fc_file_record(const char *path, json_t **out, struct gr_err *err)
{
	struct get_args a = { path, false, NULL };
	int rc = st_view(record_txn, &a, 0, err);

	*out = rc == GR_OK ? a.out : NULL;
	if (rc != GR_OK)
		json_decref(a.out);
	return rc;
}

int
fc_file_meta(const char *path, json_t **out, struct gr_err *err)
{
	return file_get(path, true, out, err);
}

/* --- metadata ------------------------------------------------------- */

static int
meta_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct meta_args *a = arg;
	char kbuf[KEY_MAX], dir[FC_PATH_MAX + 1];
	json_t *rec = NULL, *meta, *v, *typed;
	enum fc_type type;
	const char *field;
	size_t i;
	DBT key;
	int rc, ret;

	rc = a->dir ? fc_dir_load(t, a->path, DB_RMW, &rec, err)
		    : file_load(t, a->path, DB_RMW, &rec, err);
	if (rc != GR_OK)
		return rc;
	if ((rc = may_write(t, a->issuer, rec, a->path, err)) != GR_OK)
		goto out;
	if ((meta = json_object_get(rec, "meta")) == NULL) {
		meta = json_object();
		json_object_set_new(rec, "meta", meta);
	}
	json_object_foreach(jsonx_unconst(a->meta), field, v) {
		if ((rc = fc_field_type(t, a->dir ? 'd' : 'f', field, &type,
			 err)) != GR_OK ||
		    (rc = fc_value(type, field, v, &typed, err)) != GR_OK)
			goto out;
		json_object_set_new(meta, field, typed);
	}
	json_array_foreach(a->keys, i, v) {
		if (json_object_del(meta, json_string_value(v)) != 0) {
			rc = gr_fail(err, GR_KEY_NOT_FOUND,
			    "'%.64s' is not set on %s", json_string_value(v),
			    a->path);
			goto out;
		}
	}
	if (json_object_size(meta) == 0)
		json_object_del(rec, "meta");
	json_object_set_new(rec, "mt", json_integer(time_now()));
	if (a->dir) {
		rc = dir_store(t, a->path, rec, 0, err);
	} else {
		key = st_dbt(kbuf, file_key(kbuf, a->path, dir));
		ret = st_put_json(t, TBL_FC_FILES, &key, rec, 0);
		rc = ret == 0 ? GR_OK : st_fail(err, ret);
	}
out:
	json_decref(rec);
	return rc;
}

int
fc_meta_set(const char *issuer, const char *path, bool dir, const json_t *meta,
    struct gr_err *err)
{
	struct meta_args a = { issuer, path, dir, meta, NULL };

	if (!json_is_object(meta) || json_object_size(meta) == 0 ||
	    json_object_size(meta) > FC_COND_MAX * 4)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "metadata is an object of 1 to %d fields", FC_COND_MAX * 4);
	return st_txn_run(meta_txn, &a, err);
}

int
fc_meta_unset(const char *issuer, const char *path, bool dir,
    const json_t *keys, struct gr_err *err)
{
	struct meta_args a = { issuer, path, dir, NULL, keys };
	const json_t *k;
	size_t i;

	if (!json_is_array(keys) || json_array_size(keys) == 0 ||
	    json_array_size(keys) > FC_COND_MAX * 4)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "a list of 1 to %d field names", FC_COND_MAX * 4);
	json_array_foreach(keys, i, k) {
		if (!json_is_string(k))
			return gr_fail(err, GR_INVALID_OBJECT,
			    "a list of field names");
	}
	return st_txn_run(meta_txn, &a, err);
}
