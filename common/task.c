/*
 * task.c -- DRMAA tasks: submission (typed values, saved uploads, a
 * deterministic argv, parents, dependencies, arrays) in one transaction,
 * the DRM's states as DRMAAtic's status strings, stop and delete, and the
 * working directory's files (listed, read, zipped) without ever leaving
 * it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "cfg.h"
#include "date.h"
#include "drm.h"
#include "jsonx.h"
#include "log.h"
#include "script.h"
#include "store.h"
#include "store_counter.h"
#include "task.h"
#include "util.h"
#include "workload.h"

#define AGE_MAX          9999999999999999ULL
#define TASK_REFRESH_MAX 64 /* active DRM jobs one listing refreshes */
#define RATE_ANON_PREFIX "tasks.rate.@"     /* every address's bucket */
#define RATE_IP_PREFIX   "tasks.rate.@ip:"  /* its submissions */
#define RATE_READ_PREFIX "tasks.rate.@ipr:" /* the rest it asks */
#define SWEEP_MAX        256                /* buckets one sweep removes */
#define SWEEP_EVERY      60 /* seconds between a backend's sweeps */

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* --- settings ---------------------------------------------------------- */

static unsigned long
env_num(const char *name, unsigned long dflt, unsigned long max)
{
	const char *s = getenv(name);
	long v;

	if (s == NULL)
		return dflt;
	if (parse_long(s, 0, (long)max, &v) != 0) {
		log_msg(LOG_ERR, "tasks: %s must be 0..%lu; %lu is used", name,
		    max, dflt);
		return dflt;
	}
	return (unsigned long)v;
}

const struct task_cfg *
task_config(void)
{
	static struct task_cfg c;
	static bool loaded;
	const char *s;

	if (!loaded) {
		c.rate = (unsigned)env_num("GRIDREST_TASK_RATE", 600, 1000000);
		c.rate_period = (unsigned)env_num("GRIDREST_TASK_RATE_PERIOD",
		    60, 86400 * 30);
		if (c.rate_period == 0)
			c.rate_period = 1;
		c.upload_max = env_num("GRIDREST_TASK_UPLOAD_MAX", 16UL << 20,
		    1UL << 40);
		s = getenv("GRIDREST_TASK_REMOVE_FILES");
		c.remove_files = s == NULL || strcmp(s, "0") != 0;
		s = getenv("GRIDREST_TASK_ANONYMOUS");
		c.anonymous = s != NULL && strcmp(s, "1") == 0;
		/* DRMAAtic's anon group: 100 a day (sustained) */
		c.anon_rate = (unsigned)env_num("GRIDREST_TASK_ANONYMOUS_RATE",
		    100, 1000000);
		c.anon_rate_period = (unsigned)
		    env_num("GRIDREST_TASK_ANONYMOUS_RATE_PERIOD", 86400,
			86400 * 30);
		if (c.anon_rate_period == 0)
			c.anon_rate_period = 1;
		/* DRMAAtic's anon group's burst: 20 a second */
		c.anon_reads = (unsigned)
		    env_num("GRIDREST_TASK_ANONYMOUS_READS", 20, 1000000);
		c.anon_reads_period = (unsigned)
		    env_num("GRIDREST_TASK_ANONYMOUS_READS_PERIOD", 1, 86400);
		if (c.anon_reads_period == 0)
			c.anon_reads_period = 1;
		loaded = true;
	}
	return &c;
}

/* --- values and argv --------------------------------------------------- */

bool
task_file_name(const char *param, const char *client, size_t i, size_t n,
    char *out, size_t size)
{
	const char *base = strrchr(client, '/'), *ext;
	size_t k;
	int len;

	base = base != NULL ? base + 1 : client;
	/* after the first dot when the name has several ("x.tar.gz") */
	if ((ext = strchr(base, '.')) == NULL || ext == base)
		return false;
	ext++;
	if (*ext == '\0' || strlen(ext) > 32)
		return false;
	for (k = 0; ext[k] != '\0'; k++) {
		unsigned char c = (unsigned char)ext[k];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-' ||
			c == '.') ||
		    (c == '.' && (ext[k + 1] == '.' || ext[k + 1] == '\0')))
			return false;
	}
	len = n > 1 ? snprintf(out, size, "%s_%zu.%s", param, i + 1, ext)
		    : snprintf(out, size, "%s.%s", param, ext);
	return len > 0 && (size_t)len < size;
}

/* The parameters in argv order: by position, ties by declaration. */
static void
param_order(const json_t *params, size_t *order, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = 1; i < n; i++) {
		k = order[i];
		for (j = i; j > 0 &&
		     json_integer_value(
			 json_object_get(json_array_get(params, order[j - 1]),
			     "position")) >
			 json_integer_value(
			     json_object_get(json_array_get(params, k),
				 "position"));
		     j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
}

static void
push_arg(json_t *argv, const char *flag, const char *value)
{
	size_t fl = strlen(flag);
	char *joined;

	if (fl > 0 && flag[fl - 1] == '=') {
		size_t vl = strlen(value);

		joined = xmalloc(fl + vl + 1);
		memcpy(joined, flag, fl);
		memcpy(joined + fl, value, vl + 1);
		json_array_append_new(argv, json_string(joined));
		free(joined);
		return;
	}
	if (fl > 0)
		json_array_append_new(argv, json_string(flag));
	json_array_append_new(argv, json_string(value));
}

int
task_argv(const json_t *script, const char *scripts_dir, const json_t *vals,
    json_t **argv, struct gr_err *err)
{
	const json_t *params = json_object_get(script, "param"), *p, *given;
	const char *cmd = str(script, "command"), *dflt, *flag, *type;
	size_t order[SCRIPT_PARAMS_MAX], n = json_array_size(params), i, j;
	char prog[PATH_MAX];
	json_t *out;
	bool truth;
	int rc;

	if (n > SCRIPT_PARAMS_MAX)
		return gr_fail(err, GR_INTERNAL, "script with too many params");
	if (cmd[0] == '/')
		(void)snprintf(prog, sizeof(prog), "%s", cmd);
	else
		(void)snprintf(prog, sizeof(prog), "%s/%s", scripts_dir, cmd);
	out = json_array();
	json_array_append_new(out, json_string(prog));
	param_order(params, order, n);
	for (i = 0; i < n; i++) {
		p = json_array_get(params, order[i]);
		dflt = str(p, "default");
		flag = str(p, "flag");
		type = str(p, "type");
		given = json_is_true(json_object_get(p, "private"))
		    ? NULL
		    : json_object_get(vals, str(p, "name"));
		if (given == NULL || json_array_size(given) == 0) {
			if (json_is_true(json_object_get(p, "required"))) {
				json_decref(out);
				return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
				    "The parameter %s must be specified for "
				    "the %s task",
				    str(p, "name"), str(script, "name"));
			}
			if (*dflt == '\0')
				continue;
			if (strcmp(type, "bool") == 0) {
				(void)script_value_ok(p, dflt, strlen(dflt),
				    &truth, NULL);
				if (truth)
					json_array_append_new(out,
					    json_string(flag));
			} else {
				push_arg(out, flag, dflt);
			}
			continue;
		}
		for (j = 0; j < json_array_size(given); j++) {
			const char *v = json_string_value(
			    json_array_get(given, j));

			if (strcmp(type, "file") != 0 &&
			    (rc = script_value_ok(p, v, strlen(v), &truth,
				 err)) != GR_OK) {
				json_decref(out);
				return rc;
			}
			if (strcmp(type, "bool") == 0) {
				if (truth)
					json_array_append_new(out,
					    json_string(flag));
			} else {
				push_arg(out, flag, v);
			}
		}
	}
	if (json_array_size(out) > DRM_ARGV_MAX - 1) {
		json_decref(out);
		return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
		    "more than %d arguments", DRM_ARGV_MAX - 1);
	}
	*argv = out;
	return GR_OK;
}

/* --- records ----------------------------------------------------------- */

static int
get_task(struct st_txn *t, const char *uuid, json_t **out, u_int32_t flags,
    struct gr_err *err)
{
	DBT key = st_dbt(uuid, strlen(uuid));
	int ret;

	*out = NULL;
	if (strlen(uuid) != TASK_UUID_LEN)
		return gr_fail(err, GR_TASK_NOT_FOUND, "Task %.40s not found",
		    uuid);
	ret = st_get_json(t, TBL_TASKS, &key, out, flags);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_TASK_NOT_FOUND, "Task %.40s not found",
		    uuid);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
put_task(struct st_txn *t, const json_t *task, struct gr_err *err)
{
	const char *uuid = str(task, "uuid");
	DBT key = st_dbt(uuid, strlen(uuid));
	int ret = st_put_json(t, TBL_TASKS, &key, task, 0);

	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static bool
final_status(const char *s)
{
	return strcmp(s, TASK_DONE) == 0 || strcmp(s, TASK_FAILED) == 0 ||
	    strcmp(s, TASK_STOPPED) == 0 || strcmp(s, TASK_REJECTED) == 0;
}

/* The task's status from the states of its DRM jobs (an array: all). */
static const char *
status_of(const char *const *states, size_t n)
{
	size_t i, done = 0, stopped = 0, running = 0, queued = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(states[i], "RUNNING") == 0)
			running++;
		else if (strcmp(states[i], "QUEUED") == 0)
			queued++;
		else if (strcmp(states[i], "DONE") == 0)
			done++;
		else if (strcmp(states[i], "CANCELLED") == 0)
			stopped++;
	}
	if (running > 0)
		return TASK_RUNNING;
	if (queued > 0)
		return TASK_QUEUED;
	if (n > 0 && done == n)
		return TASK_DONE;
	if (stopped > 0)
		return TASK_STOPPED;
	return n > 0 ? TASK_FAILED : TASK_UNDETERMINED;
}

/*
 * The DRM hook: a job of a task changed state (in t). The task's status
 * follows at once, so listings filtered by status see it; GET refreshes
 * it anyway, for the jobs whose supervisor runs without this hook.
 */
int
task_drm_hook(struct st_txn *t, const json_t *drec, struct gr_err *err)
{
	const char *states[DRM_ARRAY_MAX], *status;
	json_t *task, *recs[DRM_ARRAY_MAX], *ids;
	char now[DATE_RFC1123_LEN];
	size_t i, n = 0;
	int rc = GR_OK, ret;

	if ((rc = get_task(t, str(drec, "ref"), &task, DB_RMW, err)) != GR_OK)
		return rc == GR_TASK_NOT_FOUND ? (gr_clear(err), GR_OK) : rc;
	ids = json_object_get(task, "_drm");
	if (final_status(str(task, "status")) ||
	    json_array_size(ids) > DRM_ARRAY_MAX)
		goto out;
	for (i = 0; i < json_array_size(ids); i++) {
		const char *id = json_string_value(json_array_get(ids, i));

		recs[i] = NULL;
		if (strcmp(id, str(drec, "id")) == 0) {
			states[n++] = str(drec, "state");
			continue;
		}
		if ((ret = drm_get_txn(t, id, &recs[i], 0)) != 0) {
			rc = st_fail(err, ret);
			break;
		}
		states[n++] = str(recs[i], "state");
	}
	if (rc == GR_OK && n == json_array_size(ids) &&
	    strcmp((status = status_of(states, n)), str(task, "status")) != 0) {
		json_object_set_new(task, "status", json_string(status));
		json_object_set_new(task, "update_date",
		    json_string(date_rfc1123(time_now(), now)));
		rc = put_task(t, task, err);
	}
	for (i = 0; i < n && i < json_array_size(ids); i++)
		json_decref(recs[i]);
out:
	json_decref(task);
	return rc;
}

/* The view of a task: private parameters and members hidden from users;
   members without a value dropped. New reference. */
static json_t *
render(const json_t *task, bool admin)
{
	static const char *const keys[] = { "uuid", "task_name", "depends_on",
		"dependency_type", "task_description", "parent_task",
		"creation_date", "update_date", "status", "deleted",
		"drm_job_id", "files_name", NULL };
	static const char *const admin_keys[] = { "sender_ip_addr", "owner",
		"root", NULL };
	const char *const *k;
	json_t *out = json_object(), *params = json_array(), *p, *v;
	size_t i;

	for (k = keys; *k != NULL; k++)
		if ((v = json_object_get(task, *k)) != NULL &&
		    !json_is_null(v) &&
		    !(json_is_string(v) && json_string_length(v) == 0))
			json_object_set(out, *k, v);
	for (k = admin_keys; admin && *k != NULL; k++)
		if ((v = json_object_get(task, *k)) != NULL)
			json_object_set(out, *k, v);
	json_array_foreach(json_object_get(task, "params"), i, p) {
		if (!admin && json_is_true(json_object_get(p, "private")))
			continue;
		json_array_append_new(params,
		    json_pack("{s:O, s:O}", "name", json_object_get(p, "name"),
			"value", json_object_get(p, "value")));
	}
	json_object_set_new(out, "params", params);
	return out;
}

/* May issuer read (or, with write, change) task? Deleted: admins only. */
static int
check_right(struct st_txn *t, const char *issuer, const json_t *task,
    bool write, bool files, bool *admin, struct gr_err *err)
{
	struct wl_right q = { issuer, NULL, str(task, "owner"), NULL, write };
	json_t *s;
	DBT key;
	bool may;
	int rc, ret;

	if ((rc = wl_may(t, &q, &may, admin, err)) != GR_OK)
		return rc;
	if (*admin)
		return GR_OK;
	if (json_is_true(json_object_get(task, "deleted")))
		return gr_fail(err, GR_TASK_NOT_FOUND, "Task %s not found",
		    str(task, "uuid"));
	if (may)
		return GR_OK;
	if (files && !write) {
		/* the output of some scripts is everybody's */
		key = st_dbt(str(task, "task_name"),
		    strlen(str(task, "task_name")));
		ret = st_get_json(t, TBL_SCRIPTS, &key, &s, 0);
		if (ret != 0 && ret != DB_NOTFOUND)
			return st_fail(err, ret);
		if (ret == 0) {
			bool open = json_is_true(
			    json_object_get(s, "is_output_visible"));

			json_decref(s);
			if (open)
				return GR_OK;
		}
	}
	return gr_fail(err, GR_FORBIDDEN,
	    "You do not have permission to perform this action");
}

static int
task_dir(char *buf, size_t size, const char *root)
{
	return wl_path(buf, size, "tasks", root, NULL);
}

/* --- submission -------------------------------------------------------- */

struct submit_args {
	const char *issuer, *group, *ip;
	const struct task_field *fields;
	size_t nfields;
	char uuid[TASK_UUID_LEN + 1]; /* chosen before the transaction */
	bool staged;                  /* the uploads are written */
	bool in_place; /* ... in the (root) task's own directory */
	uid_t uid;     /* the tree's job user (tree_runner) */
	gid_t gid;
	char run_root[TASK_UUID_LEN + 1]; /* the root tree_runner read */
	/* results, rebuilt by every run of the body */
	char root[TASK_UUID_LEN + 1];
	json_t *task, *ids, *files; /* files: [[saved, field index]] */
	long retry_after;
	bool admin;
};

static void
new_uuid(char out[TASK_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), hex);
	(void)snprintf(out, TASK_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20);
}

/*
 * A token bucket in TBL_META, named name: rate per period, a burst of rate.
 * One per account for submissions ("tasks.rate.<account>"); anonymous
 * callers one per client address for submissions ("tasks.rate.@ip:<addr>",
 * the anonymous rate) and one for everything else they ask
 * ("tasks.rate.@ipr:<addr>", the anonymous read rate). GR_THROTTLED with
 * *retry_after (s) when it is empty.
 */
static int
bucket_take(struct st_txn *t, const char *name, unsigned rate, unsigned period,
    long *retry_after, struct gr_err *err)
{
	double tokens, now = (double)time_now(), per_s = (double)rate / period;
	DBT key = st_dbt(name, strlen(name));
	json_t *rec;
	int ret;

	ret = st_get_json(t, TBL_META, &key, &rec, DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	tokens = rate;
	if (ret == 0) {
		tokens = json_number_value(json_object_get(rec, "tokens")) +
		    (now - json_number_value(json_object_get(rec, "at"))) *
			per_s;
		json_decref(rec);
		if (tokens > rate)
			tokens = rate;
	}
	if (tokens < 1) {
		*retry_after = (long)((1 - tokens) / per_s) + 1;
		return gr_fail(err, GR_THROTTLED,
		    "Request was throttled. Expected available in %ld seconds.",
		    *retry_after);
	}
	rec = json_pack("{s:f, s:f}", "tokens", tokens - 1, "at", now);
	ret = st_put_json(t, TBL_META, &key, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

static int
throttle(struct st_txn *t, struct submit_args *a, struct gr_err *err)
{
	const struct task_cfg *c = task_config();
	bool anon = strcmp(a->issuer, ACCOUNT_ANONYMOUS) == 0;
	char name[KEY_MAX];
	int n;

	n = anon ? snprintf(name, sizeof(name), RATE_IP_PREFIX "%s",
		       a->ip != NULL ? a->ip : "")
		 : snprintf(name, sizeof(name), "tasks.rate.%s", a->issuer);
	if (n <= 0 || (size_t)n >= sizeof(name))
		return gr_fail(err, GR_INTERNAL, "throttle key too long");
	return bucket_take(t, name, anon ? c->anon_rate : c->rate,
	    anon ? c->anon_rate_period : c->rate_period, &a->retry_after, err);
}

struct read_args {
	char name[KEY_MAX];
	long retry_after;
};

static int
read_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct read_args *a = arg;
	const struct task_cfg *c = task_config();

	/* a bucket lost at a crash is a full one: no sync */
	st_txn_lazy(t);
	return bucket_take(t, a->name, c->anon_reads, c->anon_reads_period,
	    &a->retry_after, err);
}

int
task_read_throttle(const char *ip, long *retry_after, struct gr_err *err)
{
	struct read_args a = { .retry_after = 0 };
	int n, rc;

	n = snprintf(a.name, sizeof(a.name), RATE_READ_PREFIX "%s",
	    ip != NULL ? ip : "");
	if (n <= 0 || (size_t)n >= sizeof(a.name))
		return gr_fail(err, GR_INTERNAL, "throttle key too long");
	rc = st_txn_run(read_txn, &a, err);
	*retry_after = a.retry_after;
	return rc;
}

/* --- the anonymous buckets' sweep ------------------------------------- */

struct sweep_args {
	double now;
	json_t *keys; /* the full buckets' keys */
};

static int
sweep_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct sweep_args *a = arg;
	const struct task_cfg *c = task_config();
	json_t *rec;
	double tokens;
	unsigned rate;
	bool read;

	(void)pkey;
	if (json_array_size(a->keys) >= SWEEP_MAX)
		return ST_STOP;
	if ((rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	read = key->size > strlen(RATE_READ_PREFIX) &&
	    memcmp(key->data, RATE_READ_PREFIX, strlen(RATE_READ_PREFIX)) == 0;
	rate = read ? c->anon_reads : c->anon_rate;
	tokens = json_number_value(json_object_get(rec, "tokens")) +
	    (a->now - json_number_value(json_object_get(rec, "at"))) * rate /
		(read ? c->anon_reads_period : c->anon_rate_period);
	json_decref(rec);
	if (tokens >= rate)
		json_array_append_new(a->keys,
		    json_stringn(key->data, key->size));
	return GR_OK;
}

static int
sweep_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct sweep_args *a = arg;
	const json_t *k;
	size_t i;
	DBT key;
	int rc, ret;

	json_array_clear(a->keys);
	rc = st_scan(t, TBL_META, RATE_ANON_PREFIX, strlen(RATE_ANON_PREFIX),
	    NULL, sweep_one, a, err);
	if (rc != GR_OK && rc != ST_STOP)
		return rc;
	json_array_foreach(a->keys, i, k) {
		key = st_dbt(json_string_value(k), json_string_length(k));
		if ((ret = st_del(t, TBL_META, &key)) != 0 &&
		    ret != DB_NOTFOUND)
			return st_fail(err, ret);
	}
	return GR_OK;
}

int
task_throttle_sweep(size_t *removed, struct gr_err *err)
{
	struct sweep_args a = { (double)time_now(), json_array() };
	int rc = st_txn_run(sweep_txn, &a, err);

	*removed = rc == GR_OK ? json_array_size(a.keys) : 0;
	json_decref(a.keys);
	return rc;
}

void
task_throttle_tick(void)
{
	static int64_t next;
	struct gr_err err = { 0 };
	int64_t now = time_now();
	size_t n;

	if (now < next)
		return;
	next = now + SWEEP_EVERY;
	if (task_throttle_sweep(&n, &err) != GR_OK)
		log_msg(LOG_WARN, "tasks: throttle sweep: %s", err.msg);
	else if (n > 0)
		log_msg(LOG_DEBUG, "tasks: %zu full anonymous buckets removed",
		    n);
}

static const struct task_field *
field(const struct submit_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nfields; i++)
		if (a->fields[i].filename == NULL &&
		    strcmp(a->fields[i].name, name) == 0)
			return &a->fields[i];
	return NULL;
}

static const char *
field_value(const struct submit_args *a, const char *name)
{
	const struct task_field *f = field(a, name);

	return f != NULL ? f->value : NULL;
}

/* The values given for the script's parameters: {name: [value...]};
   file parameters get their saved names, recorded in a->files. */
static int
collect_values(struct submit_args *a, const json_t *script, json_t *vals,
    json_t *files_name, json_t *params, struct gr_err *err)
{
	const json_t *ps = json_object_get(script, "param"), *p;
	char saved[128];
	size_t i, j, n, k;

	json_array_foreach(ps, i, p) {
		const char *pname = str(p, "name");
		bool file = strcmp(str(p, "type"), "file") == 0;
		bool priv = json_is_true(json_object_get(p, "private"));
		json_t *list = json_array();

		for (n = 0, j = 0; j < a->nfields; j++)
			if (strcmp(a->fields[j].name, pname) == 0)
				n++;
		for (k = 0, j = 0; j < a->nfields && !priv; j++) {
			const struct task_field *f = &a->fields[j];

			if (strcmp(f->name, pname) != 0)
				continue;
			if (file != (f->filename != NULL)) {
				json_decref(list);
				return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
				    file ? "The parameter %s must be an "
					   "uploaded file"
					 : "The parameter %s is not a file",
				    pname);
			}
			if (file) {
				if (f->len == 0 ||
				    !task_file_name(pname, f->filename, k, n,
					saved, sizeof(saved))) {
					json_decref(list);
					return gr_fail(err,
					    GR_PARAM_NOT_ACCEPTABLE,
					    "The file for the %s parameter "
					    "must be non-empty and have an "
					    "extension",
					    pname);
				}
				json_object_set_new(files_name, saved,
				    json_string(f->filename));
				json_array_append_new(a->files,
				    json_pack("[s, I]", saved, (json_int_t)j));
				json_array_append_new(list, json_string(saved));
			} else {
				if (f->len > TASK_VALUE_MAX)
					return json_decref(list),
					       gr_fail(err,
						   GR_PARAM_NOT_ACCEPTABLE,
						   "The value for the %s "
						   "parameter is longer than "
						   "%d bytes",
						   pname, TASK_VALUE_MAX);
				if (strlen(f->value) != f->len ||
				    !utf8_valid(f->value, f->len))
					return json_decref(list),
					       gr_fail(err, GR_TYPE_ERROR,
						   "The value for the %s "
						   "parameter is not text",
						   pname);
				json_array_append_new(list,
				    json_string(f->value));
			}
			k++;
		}
		if (priv && *str(p, "default") != '\0')
			json_array_append_new(list,
			    json_string(str(p, "default")));
		for (j = 0; j < json_array_size(list); j++)
			json_array_append_new(params,
			    json_pack("{s:s, s:O, s:b}", "name", pname, "value",
				json_array_get(list, j), "private", priv));
		if (priv)
			json_array_clear(list);
		json_object_set_new(vals, pname, list);
	}
	return GR_OK;
}

/* Every field names a parameter of the script or a field of the form. */
static int
check_fields(const struct submit_args *a, const json_t *script,
    struct gr_err *err)
{
	static const char *const own[] = { "task_name", "task_description",
		"parent_task", "dependencies", "dependency_type",
		"access_token", NULL };
	const char *const *o;
	const json_t *p;
	size_t i, j;
	bool known;

	if (a->nfields > SCRIPT_PARAMS_MAX + TASK_FILES_MAX + 8)
		return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE, "too many fields");
	for (i = 0; i < a->nfields; i++) {
		for (known = false, o = own; *o != NULL && !known; o++)
			known = strcmp(*o, a->fields[i].name) == 0 &&
			    a->fields[i].filename == NULL;
		json_array_foreach(json_object_get(script, "param"), j, p)
			if (!known)
				known = strcmp(str(p, "name"),
					    a->fields[i].name) == 0;
		if (!known)
			return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
			    "%.64s is not a parameter of the %s task",
			    a->fields[i].name, str(script, "name"));
	}
	return GR_OK;
}

/* dependencies: comma-separated uuids of tasks the caller may change */
static int
add_deps(struct st_txn *t, struct submit_args *a, struct drm_spec *s,
    json_t *depends_on, struct gr_err *err)
{
	const char *list = field_value(a, "dependencies"), *type, *p, *e;
	static const char *const names[] = { "afterok", "afterany",
		"afternotok" };
	static const enum drm_dep_type types[] = { DRM_AFTEROK, DRM_AFTERANY,
		DRM_AFTERNOTOK };
	char uuid[TASK_UUID_LEN + 1];
	enum drm_dep_type dt = DRM_AFTERANY;
	json_t *dep, *ids;
	size_t i;
	bool admin;
	int rc;

	type = field_value(a, "dependency_type");
	if (type != NULL && *type != '\0') {
		for (i = 0; i < 3 && strcmp(type, names[i]) != 0; i++)
			;
		if (i == 3)
			return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
			    "dependency_type must be afterany, afterok or "
			    "afternotok");
		dt = types[i];
	}
	json_object_set_new(a->task, "dependency_type",
	    json_string(type != NULL && *type ? type : "afterany"));
	for (p = list; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		while (*p == ' ')
			p++;
		if (e - p != TASK_UUID_LEN)
			return gr_fail(err, GR_INVALID_VALUE,
			    "dependencies must be task uuids, comma-separated");
		memcpy(uuid, p, TASK_UUID_LEN);
		uuid[TASK_UUID_LEN] = '\0';
		if ((rc = get_task(t, uuid, &dep, 0, err)) != GR_OK ||
		    (rc = check_right(t, a->issuer, dep, true, false, &admin,
			 err)) != GR_OK) {
			json_decref(dep);
			return rc == GR_TASK_NOT_FOUND || rc == GR_FORBIDDEN
			    ? (gr_clear(err),
				  gr_fail(err, GR_INVALID_VALUE,
				      "dependency %s is not a task of yours",
				      uuid))
			    : rc;
		}
		ids = json_object_get(dep, "_drm");
		for (i = 0; i < json_array_size(ids); i++) {
			if (s->ndeps == DRM_DEPS_MAX) {
				json_decref(dep);
				return gr_fail(err, GR_INVALID_VALUE,
				    "at most %d DRM jobs to depend on",
				    DRM_DEPS_MAX);
			}
			s->deps[s->ndeps].type = dt;
			s->deps[s->ndeps].id = json_string_value(
			    json_array_get(ids, i));
			s->ndeps++;
		}
		json_array_append_new(depends_on, json_string(uuid));
		/* the ids are borrowed from dep: keep it until the end */
		json_array_append_new(a->ids, json_pack("{s:o}", "_dep", dep));
	}
	return GR_OK;
}

static int
submit_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct submit_args *a = arg;
	const char *name = field_value(a, "task_name");
	const char *desc = field_value(a, "task_description");
	const char *parent = field_value(a, "parent_task");
	json_t *script = NULL, *vals = json_object(),
	       *files_name = json_object();
	json_t *params = json_array(), *argv = NULL, *ptask = NULL;
	json_t *depends_on = json_array(), *ids = json_array(), *rec;
	const char *cargv[DRM_ARGV_MAX + 1];
	char dir[PATH_MAX], sdir[PATH_MAX], age[32], out[64], errf[64];
	char now[DATE_RFC1123_LEN];
	struct drm_spec s;
	uint64_t seq;
	size_t i;
	bool padmin;
	int rc;

	json_decref(a->task);
	json_decref(a->ids);
	json_array_clear(a->files);
	a->task = json_object();
	a->ids = json_array();
	memset(&s, 0, sizeof(s));
	if ((rc = throttle(t, a, err)) != GR_OK)
		goto out;
	if (name == NULL || *name == '\0') {
		rc = gr_fail(err, GR_KEY_ERROR,
		    "task_name: This field is "
		    "required.");
		goto out;
	}
	if (desc != NULL && strlen(desc) > TASK_DESC_MAX) {
		rc = gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
		    "task_description is longer than %d bytes", TASK_DESC_MAX);
		goto out;
	}
	if ((rc = script_load_txn(t, a->issuer, a->group, name, &script,
		 &a->admin, err)) != GR_OK ||
	    (rc = check_fields(a, script, err)) != GR_OK)
		goto out;
	memcpy(a->root, a->uuid, sizeof(a->root));
	if (parent != NULL && *parent != '\0') {
		if ((rc = get_task(t, parent, &ptask, DB_RMW, err)) != GR_OK ||
		    (rc = check_right(t, a->issuer, ptask, true, false, &padmin,
			 err)) != GR_OK) {
			if (rc == GR_TASK_NOT_FOUND || rc == GR_FORBIDDEN) {
				gr_clear(err);
				rc = gr_fail(err, GR_INVALID_VALUE,
				    "parent_task %.40s is not a task of yours",
				    parent);
			}
			goto out;
		}
		if (json_array_size(json_object_get(ptask, "_children")) >=
		    TASK_CHILDREN_MAX) {
			rc = gr_fail(err, GR_INVALID_VALUE,
			    "parent_task %s has %d children already", parent,
			    TASK_CHILDREN_MAX);
			goto out;
		}
		(void)snprintf(a->root, sizeof(a->root), "%s",
		    str(ptask, "root"));
		if (strcmp(a->root, a->run_root) != 0) {
			/* tree_runner saw another tree, or none */
			rc = gr_fail(err, GR_UNAVAILABLE,
			    "the tree of parent_task %s could not be read; "
			    "try again",
			    parent);
			goto out;
		}
	}
	json_object_set_new(a->task, "uuid", json_string(a->uuid));
	if ((rc = add_deps(t, a, &s, depends_on, err)) != GR_OK ||
	    (rc = collect_values(a, script, vals, files_name, params, err)) !=
		GR_OK)
		goto out;
	(void)snprintf(sdir, sizeof(sdir), "%s/scripts", cfg.home);
	if ((rc = task_argv(script, sdir, vals, &argv, err)) != GR_OK)
		goto out;
	if ((rc = st_seq_take("tasks.seq", 1, &seq, err)) != GR_OK)
		goto out;
	for (i = 0; i < json_array_size(argv); i++)
		cargv[i] = json_string_value(json_array_get(argv, i));
	cargv[i] = NULL;
	(void)task_dir(dir, sizeof(dir), a->root);
	/* an array's tasks each write their own (%a: the index) */
	if (json_is_true(json_object_get(script, "is_array"))) {
		(void)snprintf(out, sizeof(out), "%.8s_out_%%a.txt", a->uuid);
		(void)snprintf(errf, sizeof(errf), "%.8s_err_%%a.txt", a->uuid);
	} else {
		(void)snprintf(out, sizeof(out), "%.8s_out.txt", a->uuid);
		(void)snprintf(errf, sizeof(errf), "%.8s_err.txt", a->uuid);
	}
	s.argv = cargv;
	s.cwd = dir;
	s.out = out;
	s.err = errf;
	s.time_limit = (long)json_integer_value(
	    json_object_get(script, "max_clock_time"));
	s.cpus = (int)json_integer_value(
	    json_object_get(json_object_get(script, "job"), "cpus"));
	s.mem_mb = (long)json_integer_value(
	    json_object_get(json_object_get(script, "job"), "mem_mb"));
	if (json_is_true(json_object_get(script, "is_array"))) {
		s.array = true;
		s.array_start = (long)json_integer_value(
		    json_object_get(script, "begin_index"));
		s.array_end = (long)json_integer_value(
		    json_object_get(script, "end_index"));
		s.array_step = (long)json_integer_value(
		    json_object_get(script, "step_index"));
	}
	s.queue = json_string_value(
	    json_object_get(json_object_get(script, "job"), "queue"));
	s.client = "tasks";
	s.ref = a->uuid;
	/* a task without uploads touches no file: the DRM makes its
	   directory as it starts (a child's, if its root has none yet) */
	s.make_cwd = true;
	s.uid = a->uid;
	s.gid = a->gid;
	/* a child's uploads move into its root's directory after the
	   commit (place_files): till then no supervisor may claim it */
	s.held = a->staged && !a->in_place;
	if ((rc = drm_submit_txn(t, &s, ids, err)) != GR_OK)
		goto out;
	(void)snprintf(age, sizeof(age), "%016llu",
	    (unsigned long long)(AGE_MAX - seq));
	date_rfc1123(time_now(), now);
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s*,"
			" s:s, s:O, s:O, s:O, s:O, s:O, s:[]}",
	    "task_name", name, "task_description", desc ? desc : "", "owner",
	    a->issuer, "sender_ip_addr", a->ip ? a->ip : "", "age", age,
	    "creation_date", now, "update_date", now, "status", TASK_CREATED,
	    "deleted", false, "parent_task", ptask != NULL ? parent : NULL,
	    "root", a->root, "depends_on", depends_on, "drm_job_id",
	    json_array_get(ids, 0), "files_name", files_name, "params", params,
	    "_drm", ids, "_children");
	json_object_update(a->task, rec);
	json_decref(rec);
	rc = put_task(t, a->task, err);
	/* the parent lists it (a parent older than the lists does not:
	   add_descendants scans its tree) */
	if (rc == GR_OK && json_is_array(json_object_get(ptask, "_children"))) {
		json_array_append_new(json_object_get(ptask, "_children"),
		    json_string(a->uuid));
		rc = put_task(t, ptask, err);
	}
	json_array_clear(a->ids);
	json_array_extend(a->ids, ids);
out:
	json_decref(script);
	json_decref(vals);
	json_decref(files_name);
	json_decref(params);
	json_decref(argv);
	json_decref(ptask);
	json_decref(depends_on);
	json_decref(ids);
	return rc;
}

/* tasks/.new-<uuid>: where the uploads wait for the commit */
static int
staging_dir(char *buf, size_t size, const char *uuid)
{
	char name[TASK_UUID_LEN + 8];

	(void)snprintf(name, sizeof(name), ".new-%s", uuid);
	return task_dir(buf, size, name);
}

/*
 * Before the transaction: the uploads written, fsynced and the job
 * user's, under the names collect_values() gives them: a root task's in
 * its own new directory (tasks/<uuid>, the uuid chosen already), a
 * child's in the staging directory (its root is known in the
 * transaction). The fsyncs run here, outside the transaction's locks. A
 * file whose name collect_values would refuse is left for it to refuse
 * (with its message, in its order).
 */
static int
task_stage_files(struct submit_args *a, struct gr_err *err)
{
	struct wl_file *wf;
	char path[PATH_MAX], base[PATH_MAX], (*saved)[128];
	const char *parent;
	size_t i, j, k, n, nw = 0;
	int dfd = -1, rc;

	if (task_dir(path, sizeof(path), NULL) != 0)
		return gr_fail(err, GR_INTERNAL, "home path too long");
	(void)mkdir(path, 0711); /* the base, once */
	wf = xcalloc(a->nfields, sizeof(*wf));
	saved = xcalloc(a->nfields, sizeof(*saved));
	for (i = 0; i < a->nfields; i++) {
		const struct task_field *f = &a->fields[i];

		if (f->filename == NULL || f->len == 0)
			continue;
		for (n = 0, k = 0, j = 0; j < a->nfields; j++)
			if (strcmp(a->fields[j].name, f->name) == 0) {
				k += j < i;
				n++;
			}
		if (!task_file_name(f->name, f->filename, k, n, saved[nw],
			sizeof(saved[nw])))
			continue;
		wf[nw].name = saved[nw];
		wf[nw].data = f->value;
		wf[nw].len = f->len;
		nw++;
	}
	parent = field_value(a, "parent_task");
	a->in_place = parent == NULL || *parent == '\0';
	if (a->in_place)
		(void)task_dir(path, sizeof(path), a->uuid);
	else
		(void)staging_dir(path, sizeof(path), a->uuid);
	if ((rc = wl_mkdir(path, 0700, true, true, a->uid, a->gid, &dfd,
		 err)) == GR_OK)
		rc = wl_write_files(dfd, wf, nw, true, a->uid, a->gid, err);
	if (dfd >= 0)
		close(dfd);
	/* the new directory's own entry */
	if (rc == GR_OK && task_dir(base, sizeof(base), NULL) == 0 &&
	    wl_sync_dir(base) != 0)
		rc = gr_fail(err, GR_INTERNAL, "cannot sync %s: %s", base,
		    strerror(errno));
	if (rc != GR_OK)
		wl_rm_tree(path);
	else
		a->staged = true;
	free(wf);
	free(saved);
	return rc;
}

/*
 * After the commit, before its held DRM jobs are released: a child's
 * staged uploads move into its root's directory (a root task's are in
 * place already). Not in the transaction: a body may run again, or
 * abort after it ran, and a move done then would stay, replacing the
 * root's files of the same name for a task that does not exist.
 */
static int
place_files(struct submit_args *a, struct gr_err *err)
{
	char stage[PATH_MAX], dir[PATH_MAX];
	const json_t *f;
	struct stat st;
	size_t i;
	int sfd = -1, dfd = -1, rc;

	if (a->in_place)
		return GR_OK;
	(void)staging_dir(stage, sizeof(stage), a->uuid);
	(void)task_dir(dir, sizeof(dir), a->root);
	if ((rc = wl_mkdir(dir, 0700, false, true, a->uid, a->gid, &dfd,
		 err)) != GR_OK)
		return rc;
	if ((sfd = open(stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0) {
		rc = gr_fail(err, GR_INTERNAL, "cannot open %s: %s", stage,
		    strerror(errno));
		goto out;
	}
	json_array_foreach(a->files, i, f) {
		const char *saved = json_string_value(json_array_get(f, 0));

		/* the name is the parent's too: the child's replaces it, as
		   in DRMAAtic's shared directory */
		if (renameat(sfd, saved, dfd, saved) != 0 &&
		    !(errno == ENOENT &&
			fstatat(dfd, saved, &st, AT_SYMLINK_NOFOLLOW) == 0)) {
			rc = gr_fail(err, GR_INTERNAL, "cannot move %s: %s",
			    saved, strerror(errno));
			goto out;
		}
	}
	if (wl_durable() && fsync(dfd) != 0)
		rc = gr_fail(err, GR_INTERNAL, "cannot sync %s: %s", dir,
		    strerror(errno));
out:
	if (sfd >= 0)
		close(sfd);
	close(dfd);
	return rc;
}

/*
 * Whose job user runs a task: its tree's, the owner of its root task.
 * A child shares its root's directory (DRMAAtic runs every task of a
 * tree in OUT/<root-uuid>), and that directory is the root owner's job
 * user's, mode 0700. So an admin's child of another account's task runs
 * as that account's job user, acting for it in its directory, and no
 * directory is opened to a second uid (neither by group nor by ACL: the
 * files the child leaves stay the tree's, for its next tasks). Only a
 * caller who may write the parent gets the tree's user (an owner, or an
 * admin); anybody else keeps their own, and the submission refuses them.
 */
struct runner_args {
	const char *issuer, *parent;
	char owner[64];               /* the root's owner, or "" */
	char root[TASK_UUID_LEN + 1]; /* the root's uuid, or "" */
};

static int
tree_runner_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct runner_args *a = arg;
	json_t *ptask = NULL, *rtask = NULL;
	bool admin;

	a->owner[0] = a->root[0] = '\0';
	if (get_task(t, a->parent, &ptask, 0, err) != GR_OK ||
	    check_right(t, a->issuer, ptask, true, false, &admin, err) !=
		GR_OK ||
	    get_task(t, str(ptask, "root"), &rtask, 0, err) != GR_OK)
		goto out;
	(void)snprintf(a->owner, sizeof(a->owner), "%s", str(rtask, "owner"));
	(void)snprintf(a->root, sizeof(a->root), "%s", str(rtask, "uuid"));
out:
	/* not known: the submission's own checks say why */
	gr_clear(err);
	json_decref(ptask);
	json_decref(rtask);
	return GR_OK;
}

static int end_task(const char *uuid, bool mark, struct gr_err *err);

int
task_submit(const char *issuer, const char *group, const char *ip,
    const struct task_field *fields, size_t nfields, json_t **out,
    long *retry_after, struct gr_err *err)
{
	struct submit_args a = { 0 };
	struct runner_args r = { 0 };
	struct gr_err ignore = { 0 };
	const struct task_cfg *c = task_config();
	char path[PATH_MAX];
	size_t i, nfiles = 0;
	int rc;

	/* anonymous callers only while the portal admits them */
	if (strcmp(issuer, ACCOUNT_ANONYMOUS) == 0 && !c->anonymous)
		return gr_fail(err, GR_CANNOT_AUTHENTICATE,
		    "No auth token given: anonymous tasks are off");
	for (i = 0; i < nfields; i++) {
		if (fields[i].filename == NULL)
			continue;
		if (++nfiles > TASK_FILES_MAX)
			return gr_fail(err, GR_PARAM_NOT_ACCEPTABLE,
			    "at most %d files", TASK_FILES_MAX);
		if (fields[i].len > c->upload_max)
			return gr_fail(err, GR_BODY_TOO_LARGE,
			    "the file for %.64s is larger than %zu bytes",
			    fields[i].name, c->upload_max);
	}
	a.issuer = issuer;
	a.group = group;
	a.ip = ip;
	a.fields = fields;
	a.nfields = nfields;
	a.files = json_array();
	new_uuid(a.uuid);
	r.issuer = issuer;
	r.parent = field_value(&a, "parent_task");
	if (r.parent != NULL && *r.parent != '\0' &&
	    (rc = st_view(tree_runner_txn, &r, 0, err)) != GR_OK)
		goto out;
	memcpy(a.run_root, r.root, sizeof(a.run_root));
	if ((rc = drm_account_user(r.owner[0] != '\0' ? r.owner : issuer,
		 &a.uid, &a.gid, err)) != GR_OK)
		goto out;
	/* the files first: the task may start the moment the commit is
	   done (a supervisor that ends a job claims the next one) */
	if (nfiles > 0 && (rc = task_stage_files(&a, err)) != GR_OK)
		goto out;
	rc = st_txn_run(submit_txn, &a, err);
	*retry_after = a.retry_after;
	if (rc == GR_OK && a.staged && !a.in_place &&
	    ((rc = place_files(&a, err)) != GR_OK ||
		(rc = drm_release(a.ids, err)) != GR_OK)) {
		/* its jobs never start (cancelled while still held): the
		   task ends, and the client learns why */
		log_msg(LOG_ERR, "tasks: %s: %s", a.uuid, err->msg);
		if (end_task(a.uuid, false, &ignore) != GR_OK)
			log_msg(LOG_ERR, "tasks: %s: %s", a.uuid, ignore.msg);
		gr_clear(&ignore);
	}
	if (a.staged && !a.in_place) {
		(void)staging_dir(path, sizeof(path), a.uuid);
		wl_rm_tree(path); /* emptied, or a refused child's */
	} else if (a.staged && rc != GR_OK &&
	    task_dir(path, sizeof(path), a.uuid) == 0) {
		wl_rm_tree(path); /* a refused root's: nobody's */
	}
	if (rc == GR_OK) {
		if (drm_start(a.ids, &ignore) != GR_OK)
			log_msg(LOG_ERR, "tasks: %s", ignore.msg);
		*out = render(a.task, a.admin);
	}
out:
	json_decref(a.task);
	json_decref(a.ids);
	json_decref(a.files);
	return rc;
}

/* --- reading and refreshing -------------------------------------------- */

struct load_args {
	const char *issuer, *uuid;
	bool write, files, admin;
	json_t *task;
};

static int
load_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct load_args *a = arg;
	int rc;

	json_decref(a->task);
	a->task = NULL;
	if ((rc = get_task(t, a->uuid, &a->task, 0, err)) != GR_OK)
		return rc;
	return check_right(t, a->issuer, a->task, a->write, a->files, &a->admin,
	    err);
}

struct status_args {
	const char *uuid, *status;
};

static int
status_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct status_args *a = arg;
	char now[DATE_RFC1123_LEN];
	json_t *task;
	int rc;

	if ((rc = get_task(t, a->uuid, &task, DB_RMW, err)) != GR_OK)
		return rc;
	json_object_set_new(task, "status", json_string(a->status));
	json_object_set_new(task, "update_date",
	    json_string(date_rfc1123(time_now(), now)));
	rc = put_task(t, task, err);
	json_decref(task);
	return rc;
}

/* Bring task's status up to date from the DRM (task is updated). */
static int
refresh(json_t *task, struct gr_err *err)
{
	const json_t *ids = json_object_get(task, "_drm");
	const char *states[DRM_ARRAY_MAX];
	json_t *recs[DRM_ARRAY_MAX];
	struct status_args s;
	size_t i, n = 0;
	int rc = GR_OK;

	if (final_status(str(task, "status")) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > DRM_ARRAY_MAX)
		return GR_OK;
	for (i = 0; i < json_array_size(ids) && rc == GR_OK; i++) {
		rc = drm_status(json_string_value(json_array_get(ids, i)),
		    &recs[n], err);
		if (rc == GR_OK) {
			states[n] = str(recs[n], "state");
			n++;
		}
	}
	if (rc == GR_OK) {
		s.uuid = str(task, "uuid");
		s.status = status_of(states, n);
		if (strcmp(s.status, str(task, "status")) != 0 &&
		    (rc = st_txn_run(status_txn, &s, err)) == GR_OK)
			json_object_set_new(task, "status",
			    json_string(s.status));
	}
	for (i = 0; i < n; i++)
		json_decref(recs[i]);
	return rc;
}

static int
load(struct load_args *a, struct gr_err *err)
{
	int rc = st_view(load_txn, a, 0, err);

	if (rc == GR_OK)
		rc = refresh(a->task, err);
	if (rc != GR_OK) {
		json_decref(a->task);
		a->task = NULL;
	}
	return rc;
}

/* The tasks of the owner in the same tree: {uuid: parent_task} (records
   older than the children lists). */
struct tree_args {
	const char *owner;
	char root[TASK_UUID_LEN + 3]; /* as JSON text: quoted */
	json_t *parents;
};

static int
tree_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct tree_args *a = arg;
	const char *v;
	size_t vlen;
	json_t *task;

	(void)key;
	(void)pkey;
	/* most of a user's tasks are of other trees: decided on the text */
	if (!jsonx_member(val->data, val->size, "root", &v, &vlen) ||
	    vlen != strlen(a->root) || memcmp(v, a->root, vlen) != 0)
		return GR_OK;
	if ((task = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	if (json_is_string(json_object_get(task, "parent_task")))
		json_object_set(a->parents, str(task, "uuid"),
		    json_object_get(task, "parent_task"));
	json_decref(task);
	return GR_OK;
}

static int
tree_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct tree_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), a->owner, "", (char *)NULL);

	json_object_clear(a->parents);
	return st_scan(t, TBL_TASKS_BY_OWNER, kbuf, klen, NULL, tree_one, a,
	    err);
}

/* Every task below task, breadth first, from a scan of the owner's
   tasks of its tree (out: an empty array). */
static int
scan_descendants(const json_t *task, json_t *out, struct gr_err *err)
{
	struct tree_args a;
	const json_t *p;
	const char *u;
	size_t i;
	int rc;

	a.owner = str(task, "owner");
	(void)snprintf(a.root, sizeof(a.root), "\"%s\"", str(task, "root"));
	a.parents = json_object();
	rc = st_view(tree_txn, &a, 0, err);
	/* out grows as it is walked: each entry's children are added */
	for (i = 0; rc == GR_OK && i <= json_array_size(out); i++) {
		const char *of = i == 0
		    ? str(task, "uuid")
		    : json_string_value(json_array_get(out, i - 1));

		json_object_foreach(a.parents, u, p)
			if (strcmp(json_string_value(p), of) == 0)
				json_array_append_new(out, json_string(u));
	}
	json_decref(a.parents);
	return rc;
}

/* The children lists ("_children") of a tree, read breadth first. */
struct desc_args {
	const char *uuid;
	json_t *out;
	bool old; /* a record without a list: the tree is scanned */
};

static int
desc_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct desc_args *a = arg;
	const char *of = a->uuid;
	const json_t *kids, *k;
	json_t *rec;
	size_t i = 0, j;
	int rc;

	json_array_clear(a->out);
	a->old = false;
	for (;;) {
		rc = get_task(t, of, &rec, 0, err);
		if (rc == GR_TASK_NOT_FOUND)
			gr_clear(err);
		else if (rc != GR_OK)
			return rc;
		if (rec != NULL) {
			kids = json_object_get(rec, "_children");
			a->old = !json_is_array(kids);
			json_array_foreach(kids, j, k)
				json_array_append(a->out, jsonx_unconst(k));
			json_decref(rec);
			if (a->old)
				return GR_OK;
		}
		if (i >= json_array_size(a->out))
			return GR_OK;
		of = json_string_value(json_array_get(a->out, i++));
	}
}

/*
 * task's "descendants": every task below it, breadth first. The children
 * lists of the records are followed (the cost is the tree's, not the
 * owner's: every anonymous task has one owner); a tree with a record
 * older than those lists is found by a scan of the owner's tasks.
 */
static int
add_descendants(json_t *task, json_t *view, struct gr_err *err)
{
	struct desc_args d = { str(task, "uuid"), json_array(), false };
	int rc = st_view(desc_txn, &d, 0, err);

	if (rc == GR_OK && d.old) {
		json_array_clear(d.out);
		rc = scan_descendants(task, d.out, err);
	}
	if (rc == GR_OK)
		json_object_set(view, "descendants", d.out);
	json_decref(d.out);
	return rc;
}

int
task_get(const char *issuer, const char *uuid, json_t **out, struct gr_err *err)
{
	struct load_args a = { issuer, uuid, false, false, false, NULL };
	int rc = load(&a, err);

	if (rc == GR_OK) {
		*out = render(a.task, a.admin);
		if ((rc = add_descendants(a.task, *out, err)) != GR_OK) {
			json_decref(*out);
			*out = NULL;
		}
		json_decref(a.task);
	}
	return rc;
}

struct list_args {
	const char *issuer;
	const struct task_filter *f;
	bool admin;
	struct wl_page page;
	json_t *tasks;
};

static bool
icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static bool
listed(const char *ids, const char *uuid)
{
	const char *p, *e;

	for (p = ids; *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		if ((size_t)(e - p) == strlen(uuid) &&
		    strncmp(p, uuid, (size_t)(e - p)) == 0)
			return true;
	}
	return false;
}

/* Is task one of the listing's? (not deleted, and the filters) */
static bool
list_match(const struct task_filter *f, const json_t *task)
{
	return !json_is_true(json_object_get(task, "deleted")) &&
	    (f->task_name == NULL ||
		icontains(str(task, "task_name"), f->task_name)) &&
	    (f->description == NULL ||
		icontains(str(task, "task_description"), f->description)) &&
	    (f->status == NULL ||
		strcmp(str(task, "status"), f->status) == 0) &&
	    (f->ids == NULL || listed(f->ids, str(task, "uuid")));
}

static int
list_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct list_args *a = arg;
	json_t *task = json_loadb(val->data, val->size, 0, NULL);

	(void)key;
	(void)pkey;
	if (task == NULL)
		return GR_OK;
	if (list_match(a->f, task) && wl_page_take(&a->page))
		json_array_append(a->tasks, task);
	json_decref(task);
	return GR_OK;
}

/* newest first: "age" grows as tasks get older */
static int
by_age(const void *x, const void *y)
{
	return strcmp(str(*(json_t *const *)x, "age"),
	    str(*(json_t *const *)y, "age"));
}

/*
 * An anonymous caller's listing: the anonymous tasks among the uuids
 * named in ids (each uuid is its task's capability; DRMAAtic lists an
 * anonymous caller's ids), never a scan. At most TASK_IDS_MAX uuids.
 */
static int
list_named(struct st_txn *t, struct list_args *a, struct gr_err *err)
{
	json_t *found[TASK_IDS_MAX], *task;
	char uuid[TASK_UUID_LEN + 1];
	const char *p, *e;
	size_t i, n = 0, seen = 0;
	int rc = GR_OK;

	for (p = a->f->ids; *p != '\0' && seen < TASK_IDS_MAX;
	     p = *e != '\0' ? e + 1 : e, seen++) {
		e = p + strcspn(p, ",");
		if (e - p != TASK_UUID_LEN)
			continue;
		memcpy(uuid, p, TASK_UUID_LEN);
		uuid[TASK_UUID_LEN] = '\0';
		for (i = 0; i < n && strcmp(str(found[i], "uuid"), uuid) != 0;
		     i++)
			;
		if (i < n)
			continue; /* named twice */
		if ((rc = get_task(t, uuid, &task, 0, err)) ==
		    GR_TASK_NOT_FOUND) {
			gr_clear(err);
			rc = GR_OK;
			continue;
		}
		if (rc != GR_OK)
			break;
		if (strcmp(str(task, "owner"), ACCOUNT_ANONYMOUS) == 0 &&
		    list_match(a->f, task))
			found[n++] = task;
		else
			json_decref(task);
	}
	qsort(found, n, sizeof(*found), by_age);
	for (i = 0; i < n; i++) {
		if (rc == GR_OK && wl_page_take(&a->page))
			json_array_append(a->tasks, found[i]);
		json_decref(found[i]);
	}
	return rc;
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	char kbuf[KEY_MAX];
	size_t klen;
	int rc;

	a->page.count = 0;
	json_array_clear(a->tasks);
	/* nobody lists anonymous tasks but admins: an anonymous caller
	   names them (nothing without ids) */
	if (strcmp(a->issuer, ACCOUNT_ANONYMOUS) == 0) {
		a->admin = false;
		return a->f->ids != NULL ? list_named(t, a, err) : GR_OK;
	}
	if ((rc = account_is_admin(t, a->issuer, &a->admin, err)) != GR_OK)
		return rc;
	if (a->admin)
		return st_scan(t, TBL_TASKS_BY_AGE, NULL, 0, NULL, list_one, a,
		    err);
	klen = key_join(kbuf, sizeof(kbuf), a->issuer, "", (char *)NULL);
	return st_scan(t, TBL_TASKS_BY_OWNER, kbuf, klen, NULL, list_one, a,
	    err);
}

int
task_list(const char *issuer, const struct task_filter *f, long page,
    long page_size, json_t **results, size_t *count, struct gr_err *err)
{
	struct list_args a = { 0 };
	json_t *task;
	size_t i;
	int rc;

	/* the status filter reads stored states: Slurm's first */
	drm_freshen(TASK_REFRESH_MAX);
	a.issuer = issuer;
	a.f = f;
	a.page.first = (size_t)(page - 1) * (size_t)page_size;
	a.page.last = a.page.first + (size_t)page_size;
	a.tasks = json_array();
	rc = st_view(list_txn, &a, 0, err);
	if (rc == GR_OK && page > 1 && a.page.first >= a.page.count)
		rc = gr_fail(err, GR_NOT_FOUND, "Invalid page.");
	if (rc != GR_OK) {
		json_decref(a.tasks);
		return rc;
	}
	*results = json_array();
	json_array_foreach(a.tasks, i, task) {
		if (refresh(task, err) != GR_OK)
			gr_clear(err); /* the last known status, then */
		json_array_append_new(*results, render(task, a.admin));
	}
	json_decref(a.tasks);
	*count = a.page.count;
	return GR_OK;
}

/* --- stop and delete --------------------------------------------------- */

/* Stop and delete, once the rights are checked (load): in one
   transaction the task marked deleted (delete) and its DRM jobs asked
   to end if it has not (wl_kill_txn; their hook updates the task in the
   same transaction, after the mark). */
struct end_args {
	const char *uuid;
	bool mark;
	struct wl_kill kill;
};

static int
end_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct end_args *a = arg;
	char now[DATE_RFC1123_LEN];
	json_t *task;
	int rc = GR_OK;

	if (a->kill.ids != NULL)
		json_array_clear(a->kill.ids);
	if ((rc = get_task(t, a->uuid, &task, DB_RMW, err)) != GR_OK)
		return rc;
	if (a->mark) {
		json_object_set_new(task, "deleted", json_true());
		json_object_set_new(task, "update_date",
		    json_string(date_rfc1123(time_now(), now)));
		rc = put_task(t, task, err);
	}
	if (rc == GR_OK && !final_status(str(task, "status")))
		rc = wl_kill_txn(t, json_object_get(task, "_drm"), &a->kill,
		    err);
	json_decref(task);
	return rc;
}

static int
end_task(const char *uuid, bool mark, struct gr_err *err)
{
	struct end_args e = { uuid, mark, { NULL } };
	int rc = st_txn_run(end_txn, &e, err);

	wl_kill_end(&e.kill, rc == GR_OK);
	return rc;
}

int
task_stop(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err)
{
	struct load_args a = { issuer, uuid, true, false, false, NULL };
	int rc;

	if ((rc = load(&a, err)) != GR_OK)
		return rc;
	if (final_status(str(a.task, "status")))
		rc = gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Task %s is not running: %s", uuid, str(a.task, "status"));
	else if ((rc = end_task(uuid, false, err)) == GR_OK)
		rc = refresh(a.task, err);
	if (rc == GR_OK)
		*out = render(a.task, a.admin);
	json_decref(a.task);
	return rc;
}

int
task_delete(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err)
{
	struct load_args a = { issuer, uuid, true, false, false, NULL };
	char path[PATH_MAX];
	int i, rc;

	if ((rc = load(&a, err)) != GR_OK)
		return rc;
	if ((rc = end_task(uuid, true, err)) != GR_OK)
		goto out;
	json_object_set_new(a.task, "deleted", json_true());
	/* a running job ends within the DRM's grace: wait for it, so that
	   its files can go */
	for (i = 0; i < 100 && !final_status(str(a.task, "status")); i++) {
		if ((rc = refresh(a.task, err)) != GR_OK)
			goto out;
		if (!final_status(str(a.task, "status")))
			(void)usleep(50000);
	}
	/* a root's directory holds its children's files too: only a root
	   removes it, and only once its jobs have ended */
	if (task_config()->remove_files &&
	    strcmp(str(a.task, "root"), uuid) == 0 &&
	    final_status(str(a.task, "status")) &&
	    task_dir(path, sizeof(path), uuid) == 0)
		wl_rm_tree(path);
	*out = render(a.task, a.admin);
out:
	json_decref(a.task);
	return rc;
}

/* --- files ------------------------------------------------------------- */

/* Open the task's working directory (rights for reading files). */
static int
open_root(const char *issuer, const char *uuid, struct load_args *a, int *dfd,
    struct gr_err *err)
{
	char path[PATH_MAX];
	int rc;

	a->issuer = issuer;
	a->uuid = uuid;
	a->write = false;
	a->files = true;
	a->task = NULL;
	if ((rc = load(a, err)) != GR_OK)
		return rc;
	if (task_dir(path, sizeof(path), str(a->task, "root")) != 0 ||
	    (*dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0) {
		json_decref(a->task);
		a->task = NULL;
		return gr_fail(err, GR_NOT_FOUND,
		    "Output files not available, check task status");
	}
	return GR_OK;
}

static int
list_file(int dfd, const char *name, const char *rel, const struct stat *st,
    void *ctx)
{
	(void)dfd;
	(void)name;
	(void)st;
	if (json_array_size(ctx) >= TASK_LIST_FILES)
		return ST_STOP;
	/* a name the zip skips (blank, control characters, a backslash)
	   is left out here too: the zip lists it in its skipped file */
	if (!wl_member_ok(rel))
		return GR_OK;
	json_array_append_new(ctx, json_string(rel));
	return GR_OK;
}

int
task_files(const char *issuer, const char *uuid, json_t **out,
    struct gr_err *err)
{
	struct load_args a;
	int dfd, rc;

	if ((rc = open_root(issuer, uuid, &a, &dfd, err)) != GR_OK)
		return rc;
	*out = json_array();
	(void)wl_walk(dfd, DRM_FILE_PREFIX, list_file, *out);
	json_decref(a.task);
	return GR_OK;
}

int
task_open_file(const char *issuer, const char *uuid, const char *path, int *fd,
    long long *size, struct gr_err *err)
{
	struct load_args a;
	struct stat st;
	int dfd, rc;

	if ((rc = open_root(issuer, uuid, &a, &dfd, err)) != GR_OK)
		return rc;
	json_decref(a.task);
	/* the DRM's own files are not the task's */
	rc = strncmp(path, DRM_FILE_PREFIX, sizeof(DRM_FILE_PREFIX) - 1) != 0
	    ? wl_open_at(dfd, path, fd, &st)
	    : -1;
	close(dfd);
	if (rc != 0)
		return gr_fail(err, GR_NOT_FOUND, "No file %.128s in task %s",
		    path, uuid);
	*size = (long long)st.st_size;
	return GR_OK;
}

static int
zip_file(int dfd, const char *name, const char *rel, const struct stat *st,
    void *ctx)
{
	struct wl_archive *a = ctx;
	struct gr_err ignore = { 0 };
	struct stat now;
	int fd, rc;

	(void)st;
	/* a FIFO, socket or device is skipped, never waited on */
	if (wl_open_file(dfd, name, &fd, &now) != 0)
		return GR_OK;
	rc = wl_archive_add(a, fd, rel, &now, &ignore);
	close(fd);
	return rc;
}

int
task_zip(const char *issuer, const char *uuid, task_write_fn fn, void *ctx,
    struct gr_err *err)
{
	struct wl_archive *a;
	struct load_args l;
	int dfd, rc;

	if ((rc = open_root(issuer, uuid, &l, &dfd, err)) != GR_OK)
		return rc;
	if (!final_status(str(l.task, "status"))) {
		close(dfd);
		json_decref(l.task);
		return gr_fail(err, GR_NOT_FOUND,
		    "Output files not available, check task status");
	}
	json_decref(l.task);
	if ((a = wl_archive_new(WL_ZIP, fn, ctx, err)) == NULL) {
		close(dfd);
		return err->code;
	}
	rc = wl_walk(dfd, DRM_FILE_PREFIX, zip_file, a);
	if (rc != GR_OK) {
		struct gr_err ignore = { 0 };

		(void)wl_archive_close(a, &ignore);
		return gr_fail(err, (enum gr_code)rc, "zip: %s",
		    "client went away or a file could not be read");
	}
	return wl_archive_close(a, err);
}
