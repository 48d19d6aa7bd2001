/*
 * script.c -- DRMAA scripts: the admin's description checked into a
 * record, visibility by group, the user's view, paged listings.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "drm.h"
#include "jsonx.h"
#include "script.h"
#include "util.h"

static const char *const types[] = { "int", "float", "string", "bool", "file",
	NULL };

/* The names a form field of POST /task has for itself. */
static const char *const reserved[] = { "task_name", "task_description",
	"parent_task", "dependencies", "dependency_type", "access_token",
	NULL };

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static bool
name_ok(const char *s, bool ident)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SCRIPT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' ||
			(!ident && (c == '-' || c == '.'))))
			return false;
	}
	return ident ? !(s[0] >= '0' && s[0] <= '9') : s[0] != '.';
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

void
script_clock(long seconds, char out[32])
{
	long m = (seconds + 59) / 60;

	(void)snprintf(out, 32, "%02ld:%02ld", m / 60, m % 60);
}

int
script_value_ok(const json_t *param, const char *value, size_t len, bool *truth,
    struct gr_err *err)
{
	const char *type = str(param, "type"), *name = str(param, "name");
	char *end;
	double d;
	long l;

	if (truth != NULL)
		*truth = false;
	if (!utf8_valid(value, len))
		return gr_fail(err, GR_TYPE_ERROR,
		    "The value for the %s parameter is not UTF-8 text", name);
	if (strcmp(type, "int") == 0) {
		if (strlen(value) != len ||
		    parse_long(value, LONG_MIN, LONG_MAX, &l) != 0)
			goto bad;
	} else if (strcmp(type, "float") == 0) {
		errno = 0;
		d = strtod(value, &end);
		if (len == 0 || end != value + len || errno != 0 ||
		    !isfinite(d) || value[0] == ' ')
			goto bad;
	} else if (strcmp(type, "bool") == 0) {
		if (strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
		    strcasecmp(value, "yes") == 0) {
			if (truth != NULL)
				*truth = true;
		} else if (strcasecmp(value, "false") != 0 &&
		    strcmp(value, "0") != 0 && strcasecmp(value, "no") != 0) {
			goto bad;
		}
	} else if (strcmp(type, "file") == 0) {
		return gr_fail(err, GR_TYPE_ERROR,
		    "The value for the %s parameter has to be an uploaded file",
		    name);
	}
	return GR_OK;
bad:
	return gr_fail(err, GR_TYPE_ERROR,
	    "The value for the %s parameter has to be of type %s", name, type);
}

/* An optional string member: at most max bytes, "" when missing. */
static int
opt_str(const json_t *in, const char *key, size_t max, const char *what,
    const char **out, struct gr_err *err)
{
	const json_t *v = json_object_get(in, key);

	*out = "";
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_string(v))
		return gr_fail(err, GR_TYPE_ERROR, "%s%s must be a string",
		    what, key);
	if (json_string_length(v) > max)
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s%s is longer than %zu bytes", what, key, max);
	*out = json_string_value(v);
	return GR_OK;
}

static int
opt_bool(const json_t *in, const char *key, bool dflt, bool *out,
    const char *what, struct gr_err *err)
{
	const json_t *v = json_object_get(in, key);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_boolean(v))
		return gr_fail(err, GR_TYPE_ERROR, "%s%s must be a boolean",
		    what, key);
	*out = json_is_true(v);
	return GR_OK;
}

static int
opt_int(const json_t *in, const char *key, long dflt, long min, long max,
    long *out, const char *what, struct gr_err *err)
{
	const json_t *v = json_object_get(in, key);

	*out = dflt;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s%s must be an integer between %ld and %ld", what, key,
		    min, max);
	*out = (long)json_integer_value(v);
	return GR_OK;
}

/* "HH:MM", "HH:MM:SS" or a number of seconds, at least a minute. */
static int
clock_of(const json_t *v, long *out, struct gr_err *err)
{
	unsigned h, m, s = 0;
	char tail;
	int n;

	*out = SCRIPT_CLOCK_DFLT;
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (json_is_integer(v))
		*out = (long)json_integer_value(v);
	else if (json_is_string(v) &&
	    ((n = sscanf(json_string_value(v), "%u:%u:%u%c", &h, &m, &s,
		  &tail)) == 2 ||
		n == 3) &&
	    m < 60 && s < 60 && h <= 100000)
		*out = (long)h * 3600 + (long)m * 60 + (long)s;
	else
		return gr_fail(err, GR_INVALID_VALUE,
		    "max_clock_time must be \"HH:MM\" or seconds");
	if (*out < 60 || *out > 100000L * 3600)
		return gr_fail(err, GR_INVALID_VALUE,
		    "max_clock_time must be at least a minute");
	return GR_OK;
}

static int
check_param(const json_t *p, size_t i, json_t *params, json_t **out,
    struct gr_err *err)
{
	const char *name, *type, *flag, *dflt, *desc;
	bool private, required, truth;
	char what[96];
	long pos;
	size_t j;
	int rc;

	if (!json_is_object(p))
		return gr_fail(err, GR_TYPE_ERROR,
		    "param[%zu] must be an object", i);
	(void)snprintf(what, sizeof(what), "param[%zu].", i);
	name = json_string_value(json_object_get(p, "name"));
	if (name == NULL || !name_ok(name, true))
		return gr_fail(err, GR_INVALID_VALUE,
		    "%sname must be a name of letters, digits and '_' (at "
		    "most %d bytes, not starting with a digit)",
		    what, SCRIPT_NAME_MAX);
	if (in_list(reserved, name))
		return gr_fail(err, GR_INVALID_VALUE,
		    "the parameter name %s is reserved", name);
	for (j = 0; j < json_array_size(params); j++)
		if (strcmp(str(json_array_get(params, j), "name"), name) == 0)
			return gr_fail(err, GR_DUPLICATE,
			    "parameter %s is defined twice", name);
	if ((rc = opt_str(p, "type", 16, what, &type, err)) != GR_OK ||
	    (rc = opt_str(p, "flag", SCRIPT_NAME_MAX, what, &flag, err)) !=
		GR_OK ||
	    (rc = opt_str(p, "default", SCRIPT_DEFAULT_MAX, what, &dflt,
		 err)) != GR_OK ||
	    (rc = opt_str(p, "description", SCRIPT_DESC_MAX, what, &desc,
		 err)) != GR_OK ||
	    (rc = opt_bool(p, "private", false, &private, what, err)) !=
		GR_OK ||
	    (rc = opt_bool(p, "required", false, &required, what, err)) !=
		GR_OK ||
	    (rc = opt_int(p, "position", (long)i, 0, 10000, &pos, what, err)) !=
		GR_OK)
		return rc;
	if (*type == '\0')
		type = "string";
	if (!in_list(types, type))
		return gr_fail(err, GR_INVALID_VALUE,
		    "%stype must be int, float, string, bool or file", what);
	for (j = 0; flag[j] != '\0'; j++)
		if ((unsigned char)flag[j] <= ' ' || flag[j] == 0x7f)
			return gr_fail(err, GR_INVALID_VALUE,
			    "%sflag may not hold blanks or control characters",
			    what);
	if (strcmp(type, "bool") == 0 && *flag == '\0')
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s: a bool parameter needs a flag", name);
	if (private && required)
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s: a parameter cannot be both private and required",
		    name);
	if (strcmp(type, "file") == 0 && (private || *dflt != '\0'))
		return gr_fail(err, GR_INVALID_VALUE,
		    "%s: a file parameter has no default and is not private",
		    name);
	*out = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:b, s:b}", "name",
	    name, "type", type, "flag", flag, "position", (json_int_t)pos,
	    "default", dflt, "description", desc, "private", private,
	    "required", required);
	if (*dflt != '\0' &&
	    (rc = script_value_ok(*out, dflt, strlen(dflt), &truth, err)) !=
		GR_OK) {
		json_decref(*out);
		return rc;
	}
	return GR_OK;
}

static int
check_job(const json_t *in, json_t **out, struct gr_err *err)
{
	const json_t *j = json_object_get(in, "job");
	const char *queue;
	long cpus, mem;
	int rc;

	if (j != NULL && !json_is_null(j) && !json_is_object(j))
		return gr_fail(err, GR_TYPE_ERROR, "job must be an object");
	if ((rc = opt_int(j, "cpus", 1, 1, 64, &cpus, "job.", err)) != GR_OK ||
	    (rc = opt_int(j, "mem_mb", 0, 0, 1L << 24, &mem, "job.", err)) !=
		GR_OK ||
	    (rc = opt_str(j, "queue", SCRIPT_NAME_MAX, "job.", &queue, err)) !=
		GR_OK)
		return rc;
	if (*queue != '\0' && !drm_queue_ok(queue))
		return gr_fail(err, GR_INVALID_VALUE,
		    "job.queue: 1 to 64 letters, digits, '.', '_' or '-'");
	*out = json_pack("{s:I, s:I, s:s}", "cpus", (json_int_t)cpus, "mem_mb",
	    (json_int_t)mem, "queue", *queue ? queue : "local");
	return GR_OK;
}

static int
check_groups(const json_t *in, json_t **out, struct gr_err *err)
{
	const json_t *g = json_object_get(in, "groups"), *v;
	size_t i;

	*out = json_array();
	if (g == NULL || json_is_null(g))
		return GR_OK;
	if (!json_is_array(g) || json_array_size(g) > SCRIPT_GROUPS_MAX)
		goto bad;
	json_array_foreach(g, i, v) {
		/* a group is a name, or DRMAAtic's {"name": ...} */
		if (json_is_object(v))
			v = json_object_get(v, "name");
		if (!json_is_string(v) || !name_ok(json_string_value(v), false))
			goto bad;
		json_array_append(*out, jsonx_unconst(v));
	}
	return GR_OK;
bad:
	json_decref(*out);
	return gr_fail(err, GR_INVALID_VALUE,
	    "groups must be a list of at most %d group names",
	    SCRIPT_GROUPS_MAX);
}

int
script_check(const json_t *in, const char *name, json_t **out,
    struct gr_err *err)
{
	const json_t *params, *p;
	const char *command, *bname;
	json_t *s, *list = NULL, *job = NULL, *groups = NULL, *one = NULL;
	bool is_array, visible, hidden;
	long clock, begin, end, step;
	size_t i;
	int rc;

	if (!json_is_object(in))
		return gr_fail(err, GR_TYPE_ERROR, "a script is a JSON object");
	bname = json_string_value(json_object_get(in, "name"));
	if (name == NULL)
		name = bname;
	else if (bname != NULL && strcmp(bname, name) != 0)
		return gr_fail(err, GR_INVALID_VALUE,
		    "the name in the body is not the name in the path");
	if (name == NULL || !name_ok(name, false))
		return gr_fail(err, GR_INVALID_VALUE,
		    "name must be letters, digits, '_', '-' and '.' (at most "
		    "%d bytes)",
		    SCRIPT_NAME_MAX);
	command = json_string_value(json_object_get(in, "command"));
	if (command == NULL || *command == '\0' || strlen(command) > 1024 ||
	    strstr(command, "..") != NULL ||
	    !utf8_valid(command, strlen(command)))
		return gr_fail(err, GR_INVALID_VALUE,
		    "command must be a program: an absolute path, or one "
		    "relative to the scripts directory, without '..'");
	if ((rc = clock_of(json_object_get(in, "max_clock_time"), &clock,
		 err)) != GR_OK ||
	    (rc = opt_bool(in, "is_array", false, &is_array, "", err)) !=
		GR_OK ||
	    (rc = opt_bool(in, "is_output_visible", false, &visible, "",
		 err)) != GR_OK ||
	    (rc = opt_bool(in, "hidden", false, &hidden, "", err)) != GR_OK ||
	    (rc = opt_int(in, "begin_index", 1, 1, 1000000, &begin, "", err)) !=
		GR_OK ||
	    (rc = opt_int(in, "end_index", 1, 1, 1000000, &end, "", err)) !=
		GR_OK ||
	    (rc = opt_int(in, "step_index", 1, 1, 1000000, &step, "", err)) !=
		GR_OK)
		return rc;
	if (is_array && (end < begin || (end - begin) / step + 1 > 1000))
		return gr_fail(err, GR_INVALID_VALUE,
		    "an array runs begin_index..end_index by step_index: at "
		    "most 1000 tasks, end not before begin");
	params = json_object_get(in, "param");
	if (params != NULL && !json_is_null(params) &&
	    (!json_is_array(params) ||
		json_array_size(params) > SCRIPT_PARAMS_MAX))
		return gr_fail(err, GR_INVALID_VALUE,
		    "param must be a list of at most %d parameters",
		    SCRIPT_PARAMS_MAX);
	list = json_array();
	json_array_foreach(params, i, p) {
		if ((rc = check_param(p, i, list, &one, err)) != GR_OK)
			goto fail;
		json_array_append_new(list, one);
	}
	if ((rc = check_job(in, &job, err)) != GR_OK ||
	    (rc = check_groups(in, &groups, err)) != GR_OK)
		goto fail;
	s = json_pack("{s:s, s:s, s:o, s:I, s:b, s:b, s:b, s:o, s:o}", "name",
	    name, "command", command, "job", job, "max_clock_time",
	    (json_int_t)clock, "is_array", is_array, "is_output_visible",
	    visible, "hidden", hidden, "groups", groups, "param", list);
	if (is_array) {
		json_object_set_new(s, "begin_index", json_integer(begin));
		json_object_set_new(s, "end_index", json_integer(end));
		json_object_set_new(s, "step_index", json_integer(step));
	}
	*out = s;
	return GR_OK;
fail:
	json_decref(list);
	json_decref(job);
	return rc;
}

/* --- store ------------------------------------------------------------- */

static int
get_script(struct st_txn *t, const char *name, json_t **out, u_int32_t flags,
    struct gr_err *err)
{
	DBT key = st_dbt(name, strlen(name));
	int ret = st_get_json(t, TBL_SCRIPTS, &key, out, flags);

	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_SCRIPT_NOT_FOUND,
		    "Script %.64s not found", name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

/* May the caller see s? (admin: yes; hidden: no; no groups: yes; else a
   member of one of them) */
static int
visible(struct st_txn *t, const char *issuer, const char *group,
    const json_t *s, bool admin, bool *out, struct gr_err *err)
{
	const json_t *groups = json_object_get(s, "groups"), *g;
	char kbuf[KEY_MAX], attr[SCRIPT_NAME_MAX + 8];
	DBT key;
	size_t i;
	int ret;

	*out = admin || json_array_size(groups) == 0;
	if (admin || json_is_true(json_object_get(s, "hidden"))) {
		*out = admin;
		return GR_OK;
	}
	json_array_foreach(groups, i, g) {
		if (*out)
			break;
		if (group != NULL && strcmp(group, json_string_value(g)) == 0) {
			*out = true;
			break;
		}
		(void)snprintf(attr, sizeof(attr), "group.%s",
		    json_string_value(g));
		key = st_dbt(kbuf,
		    key_join(kbuf, sizeof(kbuf), issuer, attr, (char *)NULL));
		ret = st_exists(t, TBL_ACCOUNT_ATTRS, &key);
		if (ret == 0)
			*out = true;
		else if (ret != DB_NOTFOUND)
			return st_fail(err, ret);
	}
	return GR_OK;
}

int
script_load_txn(struct st_txn *t, const char *issuer, const char *group,
    const char *name, json_t **out, bool *admin, struct gr_err *err)
{
	json_t *s;
	bool ok;
	int rc;

	*out = NULL;
	if ((rc = account_is_admin(t, issuer, admin, err)) != GR_OK ||
	    (rc = get_script(t, name, &s, 0, err)) != GR_OK)
		return rc;
	if ((rc = visible(t, issuer, group, s, *admin, &ok, err)) != GR_OK ||
	    !ok) {
		json_decref(s);
		return rc != GR_OK ? rc
				   : gr_fail(err, GR_SCRIPT_NOT_FOUND,
					 "Script %.64s not found", name);
	}
	*out = s;
	return GR_OK;
}

json_t *
script_view(const json_t *s, bool admin)
{
	static const char *const user_keys[] = { "name", "is_array",
		"is_output_visible", "begin_index", "end_index", "step_index",
		NULL };
	static const char *const param_keys[] = { "name", "type", "flag",
		"default", "description", "required", NULL };
	const char *const *k;
	json_t *out, *params, *p, *v;
	char clock[32];
	size_t i;

	script_clock((long)json_integer_value(
			 json_object_get(s, "max_clock_time")),
	    clock);
	if (admin) {
		out = json_deep_copy(s);
		json_object_set_new(out, "max_clock_time", json_string(clock));
		return out;
	}
	out = json_object();
	for (k = user_keys; *k != NULL; k++)
		if ((v = json_object_get(s, *k)) != NULL)
			json_object_set(out, *k, v);
	json_object_set_new(out, "max_clock_time", json_string(clock));
	params = json_array();
	json_array_foreach(json_object_get(s, "param"), i, p) {
		json_t *one;

		if (json_is_true(json_object_get(p, "private")))
			continue;
		one = json_object();
		for (k = param_keys; *k != NULL; k++)
			json_object_set(one, *k, json_object_get(p, *k));
		json_array_append_new(params, one);
	}
	json_object_set_new(out, "param", params);
	return out;
}

struct put_args {
	const char *issuer;
	json_t *rec;
	bool create;
};

static int
put_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct put_args *a = arg;
	const char *name = str(a->rec, "name");
	DBT key = st_dbt(name, strlen(name));
	int rc, ret;

	if ((rc = account_require_admin(t, a->issuer, "manage scripts", err)) !=
	    GR_OK)
		return rc;
	ret = st_exists(t, TBL_SCRIPTS, &key);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if (a->create && ret == 0)
		return gr_fail(err, GR_DUPLICATE, "Script %s already exists",
		    name);
	if (!a->create && ret == DB_NOTFOUND)
		return gr_fail(err, GR_SCRIPT_NOT_FOUND,
		    "Script %.64s not found", name);
	ret = st_put_json(t, TBL_SCRIPTS, &key, a->rec, 0);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
script_put(const char *issuer, const char *name, const json_t *body,
    bool create, json_t **out, struct gr_err *err)
{
	struct put_args a = { issuer, NULL, create };
	int rc;

	if ((rc = script_check(body, name, &a.rec, err)) != GR_OK)
		return rc;
	if ((rc = st_txn_run(put_txn, &a, err)) == GR_OK)
		*out = script_view(a.rec, true);
	json_decref(a.rec);
	return rc;
}

struct del_args {
	const char *issuer, *name;
};

static int
del_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct del_args *a = arg;
	DBT key = st_dbt(a->name, strlen(a->name));
	int rc, ret;

	if ((rc = account_require_admin(t, a->issuer, "manage scripts", err)) !=
	    GR_OK)
		return rc;
	ret = st_del(t, TBL_SCRIPTS, &key);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_SCRIPT_NOT_FOUND,
		    "Script %.64s not found", a->name);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
script_del(const char *issuer, const char *name, struct gr_err *err)
{
	struct del_args a = { issuer, name };

	return st_txn_run(del_txn, &a, err);
}

struct get_args {
	const char *issuer, *group, *name;
	json_t *out;
};

static int
get_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct get_args *a = arg;
	json_t *s;
	bool admin;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if ((rc = script_load_txn(t, a->issuer, a->group, a->name, &s, &admin,
		 err)) != GR_OK)
		return rc;
	a->out = script_view(s, admin);
	json_decref(s);
	return GR_OK;
}

int
script_get(const char *issuer, const char *group, const char *name,
    json_t **out, struct gr_err *err)
{
	struct get_args a = { issuer, group, name, NULL };
	int rc = st_view(get_txn, &a, 0, err);

	if (rc == GR_OK)
		*out = a.out;
	else
		json_decref(a.out);
	return rc;
}

struct list_args {
	struct st_txn *t;
	const char *issuer, *group;
	bool admin;
	size_t first, last, count;
	json_t *results;
	struct gr_err *err;
};

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *s = json_loadb(val->data, val->size, 0, NULL);
	bool ok = false;
	int rc;

	(void)key;
	(void)pkey;
	if (s == NULL)
		return GR_OK;
	rc = visible(a->t, a->issuer, a->group, s, a->admin, &ok, a->err);
	if (rc == GR_OK && ok) {
		if (a->count >= a->first && a->count < a->last)
			json_array_append_new(a->results,
			    script_view(s, a->admin));
		a->count++;
	}
	json_decref(s);
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	int rc;

	a->t = t;
	a->err = err;
	a->count = 0;
	json_array_clear(a->results);
	if ((rc = account_is_admin(t, a->issuer, &a->admin, err)) != GR_OK)
		return rc;
	return st_scan(t, TBL_SCRIPTS, NULL, 0, NULL, list_one, a, err);
}

int
script_list(const char *issuer, const char *group, long page, long page_size,
    json_t **results, size_t *count, struct gr_err *err)
{
	struct list_args a = { 0 };
	int rc;

	a.issuer = issuer;
	a.group = group;
	a.first = (size_t)(page - 1) * (size_t)page_size;
	a.last = a.first + (size_t)page_size;
	a.results = json_array();
	rc = st_view(list_txn, &a, 0, err);
	if (rc == GR_OK && page > 1 && a.first >= a.count)
		rc = gr_fail(err, GR_NOT_FOUND, "Invalid page.");
	if (rc != GR_OK) {
		json_decref(a.results);
		return rc;
	}
	*results = a.results;
	*count = a.count;
	return GR_OK;
}
