/*
 * drm.c -- the DRM interface: settings, records, hooks, and the dispatch to
 * the local (drm_local.c) and slurm (drm_slurm.c) backends.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drm.h"
#include "drm_backend.h"
#include "drm_run.h"
#include "jsonx.h"
#include "log.h"
#include "store_counter.h"
#include "store_repl.h"
#include "util.h"
#include "valid.h"

#define DRM_HOOKS_MAX 8

/* The clients: whose jobs' state changes reach whom, in the transaction
   of the change. Later registrations (tests) come after them. */
static struct {
	const char *client;
	drm_hook_fn fn;
} hooks[DRM_HOOKS_MAX] = {
	{ "jobs", job_drm_hook },
	{ "tasks", task_drm_hook },
};
static size_t nhooks = 2;

/* The clients that register what their jobs stored (drm_client_finish). */
static const struct {
	const char *client;
	int (*fn)(const json_t *rec, const json_t *got, char *why, size_t n);
} finishers[] = {
	{ "jobs", job_drm_finish },
};

int
drm_client_finish(const json_t *rec, const json_t *got, char *why, size_t n)
{
	const char *client = json_string_value(json_object_get(rec, "client"));
	size_t i;

	for (i = 0; client != NULL && i < ARRAY_LEN(finishers); i++)
		if (strcmp(finishers[i].client, client) == 0)
			return finishers[i].fn(rec, got, why, n);
	return 0;
}

static const struct drm_backend *const backends[] = { &drm_local_backend,
	&drm_slurm_backend };

/* The backend called name; NULL for none. */
static const struct drm_backend *
backend_named(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ARRAY_LEN(backends); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* The backend of a record (the one named in it; local for an old one). */
static const struct drm_backend *
backend_of(const json_t *rec)
{
	const struct drm_backend *b = backend_named(
	    json_string_value(json_object_get(rec, "backend")));

	return b != NULL ? b : &drm_local_backend;
}

/* The backend in force (GRIDREST_DRM_BACKEND), chosen once. */
static const struct drm_backend *
backend_in_force(void)
{
	const struct drm_cfg *c;
	struct gr_err ignore = { 0 };

	if (drm_config(&c, &ignore) != GR_OK)
		return &drm_local_backend;
	return backend_named(c->backend) != NULL ? backend_named(c->backend)
						 : &drm_local_backend;
}

static struct drm_cfg dcfg = {
	.backend = "local",
	.slots = 0, /* unset: one per online CPU (drm_config) */
	.grace = 3,
	.nice = 10,
	.uid_min = DRM_UID_MIN,
	.uid_max = DRM_UID_MAX,
	.gid = -1,
	.nproc = 512,
	.fsize_mb = 16384,
	.mem_mb = 8192,
	.hidepid = 1,
};
static bool dcfg_loaded;

void
drm_register(const char *client, drm_hook_fn fn)
{
	size_t i;

	for (i = 0; i < nhooks; i++)
		if (strcmp(hooks[i].client, client) == 0) {
			hooks[i].fn = fn;
			return;
		}
	if (nhooks < DRM_HOOKS_MAX) {
		hooks[nhooks].client = client;
		hooks[nhooks].fn = fn;
		nhooks++;
	}
}

/* A number setting in [lo, hi] into *out, when the variable is set. */
static int
drm_cfg_num(const char *name, long lo, long hi, long *out, struct gr_err *err)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return GR_OK;
	if (parse_long(v, lo, hi, out) != 0)
		return gr_fail(err, GR_INPUT_VALIDATION,
		    "%s='%s' is not a number in [%ld, %ld]", name, v, lo, hi);
	return GR_OK;
}

int
drm_config(const struct drm_cfg **out, struct gr_err *err)
{
	const char *v;
	long n;
	int rc;

	*out = &dcfg;
	if (dcfg_loaded)
		return GR_OK;
	if ((v = getenv("GRIDREST_DRM_BACKEND")) != NULL && *v != '\0') {
		if (backend_named(v) == NULL)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DRM_BACKEND='%s': use local or slurm", v);
		dcfg.backend = v;
	}
	if ((v = getenv("GRIDREST_DRM_SLOTS")) != NULL && *v != '\0') {
		if (parse_long(v, 1, DRM_SLOTS_MAX, &n) != 0)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DRM_SLOTS='%s' is not a number in "
			    "[1, %d]",
			    v, DRM_SLOTS_MAX);
		dcfg.slots = (unsigned)n;
	} else {
		/* one job per CPU, as Slurm allocates by default: each job
		   is a process to start and reap, and more slots than cores
		   only share them (2 cores, bench/jobs.sh: 1055-1106
		   submissions accepted/s while the jobs ran in 1 slot,
		   705-771/s with 2, 465-553/s with 4) */
		n = sysconf(_SC_NPROCESSORS_ONLN);
		dcfg.slots = n < 1      ? 1
		    : n > DRM_SLOTS_MAX ? DRM_SLOTS_MAX
					: (unsigned)n;
	}
	if ((v = getenv("GRIDREST_DRM_GRACE")) != NULL && *v != '\0') {
		if (parse_long(v, 0, 600, &n) != 0)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DRM_GRACE='%s' is not a number in "
			    "[0, 600]",
			    v);
		dcfg.grace = (unsigned)n;
	}
	if ((v = getenv("GRIDREST_DRM_NICE")) != NULL && *v != '\0') {
		if (parse_long(v, 0, 19, &n) != 0)
			return gr_fail(err, GR_INPUT_VALIDATION,
			    "GRIDREST_DRM_NICE='%s' is not a number in [0, 19]",
			    v);
		dcfg.nice = (int)n;
	}
	if ((rc = drm_cfg_num("GRIDREST_JOB_UID_MIN", 1, UINT32_MAX - 1,
		 &dcfg.uid_min, err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_UID_MAX", 1, UINT32_MAX - 1,
		 &dcfg.uid_max, err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_GID", 1, UINT32_MAX - 1, &dcfg.gid,
		 err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_NPROC", 0, 1 << 22, &dcfg.nproc,
		 err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_FSIZE_MB", 0, 1L << 30,
		 &dcfg.fsize_mb, err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_MEM_MB", 0, 1L << 30, &dcfg.mem_mb,
		 err)) != GR_OK ||
	    (rc = drm_cfg_num("GRIDREST_JOB_HIDEPID", 0, 1, &dcfg.hidepid,
		 err)) != GR_OK)
		return rc;
	if (dcfg.uid_min > dcfg.uid_max)
		return gr_fail(err, GR_INPUT_VALIDATION,
		    "GRIDREST_JOB_UID_MIN (%ld) is above GRIDREST_JOB_UID_MAX "
		    "(%ld)",
		    dcfg.uid_min, dcfg.uid_max);
	dcfg_loaded = true;
	return GR_OK;
}

/*
 * TBL_META holds the job uids: "job_uid" \0 account -> {"uid"}, and the
 * next one to give, "job_uid.next" -> {"next"}. Both are read for update
 * in one transaction, so two first submissions of one account meet on
 * the account's key (the second finds the first's uid) and two accounts
 * on the counter. A uid is never given again, not even after its
 * account's deletion: its files may outlive the account.
 */
struct uid_args {
	const char *account;
	uid_t uid;
};

static int
uid_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct uid_args *a = arg;
	const struct drm_cfg *c;
	char kbuf[16 + ACCOUNT_NAME_MAX];
	int n = snprintf(kbuf, sizeof(kbuf), "job_uid%c%s", 0, a->account);
	DBT key = st_dbt(kbuf, (size_t)n), nkey = st_dbt("job_uid.next", 12);
	json_t *rec = NULL, *next = NULL;
	json_int_t u;
	int ret, rc;

	if ((rc = drm_config(&c, err)) != GR_OK)
		return rc;
	ret = st_get_json(t, TBL_META, &key, &rec, t->view ? 0 : DB_RMW);
	if (ret == 0) {
		a->uid = (uid_t)json_integer_value(json_object_get(rec, "uid"));
		json_decref(rec);
		return GR_OK;
	}
	if (ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if (t->view)
		return GR_OK; /* none yet: the transaction gives one */
	ret = st_get_json(t, TBL_META, &nkey, &next, DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_fail(err, ret);
	u = json_integer_value(json_object_get(next, "next"));
	json_decref(next);
	if (u < c->uid_min)
		u = c->uid_min; /* the first, or the range moved up */
	if (u > c->uid_max)
		return gr_fail(err, GR_UNAVAILABLE,
		    "no job uid is left for account '%s': the %ld uids of "
		    "GRIDREST_JOB_UID_MIN..GRIDREST_JOB_UID_MAX (%ld..%ld) are "
		    "all given",
		    a->account, c->uid_max - c->uid_min + 1, c->uid_min,
		    c->uid_max);
	rec = json_pack("{s:I}", "uid", u);
	next = json_pack("{s:I}", "next", u + 1);
	ret = st_put_json(t, TBL_META, &key, rec, 0);
	if (ret == 0)
		ret = st_put_json(t, TBL_META, &nkey, next, 0);
	json_decref(rec);
	json_decref(next);
	if (ret != 0)
		return st_fail(err, ret);
	a->uid = (uid_t)u;
	return GR_OK;
}

int
drm_uid_alloc(const char *account, uid_t *uid, struct gr_err *err)
{
	struct uid_args a = { account, 0 };
	int rc;

	if (account == NULL || *account == '\0' ||
	    strlen(account) >= ACCOUNT_NAME_MAX)
		return gr_fail(err, GR_INVALID_VALUE,
		    "a job needs the account it runs for");
	/* a view first: every submission after an account's first reads
	   its uid and writes nothing */
	if ((rc = st_view(uid_txn, &a, ST_ONEREAD, err)) != GR_OK ||
	    a.uid == 0) {
		gr_clear(err);
		a.uid = 0;
		if ((rc = st_txn_run(uid_txn, &a, err)) != GR_OK)
			return rc;
	}
	*uid = a.uid;
	return GR_OK;
}

int
drm_account_user(const char *account, uid_t *uid, gid_t *gid,
    struct gr_err *err)
{
	const struct drm_cfg *c;
	int rc;

	if ((rc = drm_config(&c, err)) != GR_OK)
		return rc;
	if (geteuid() != 0) {
		/* no right to change users: jobs run as the service */
		*uid = geteuid();
		*gid = getegid();
		return GR_OK;
	}
	if ((rc = drm_uid_alloc(account, uid, err)) != GR_OK)
		return rc;
	*gid = c->gid > 0 ? (gid_t)c->gid : (gid_t)*uid;
	return GR_OK;
}

int
drm_rec_user(const json_t *rec, uid_t *uid, gid_t *gid, struct gr_err *err)
{
	json_int_t u = json_integer_value(json_object_get(rec, "uid"));
	json_int_t g = json_integer_value(json_object_get(rec, "gid"));

	if (geteuid() != 0) {
		*uid = geteuid();
		*gid = getegid();
		return GR_OK;
	}
	if (u <= 0 || g <= 0 || u >= UINT32_MAX || g >= UINT32_MAX)
		return gr_fail(err, GR_UNAVAILABLE,
		    "the job has no user of its own to run as (submitted "
		    "before per-account users); jobs never run as root");
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return GR_OK;
}

void
drm_limits_of(const json_t *rec, struct drm_limits *l)
{
	const struct drm_cfg *c;
	struct gr_err ignore = { 0 };
	long mem = (long)json_integer_value(json_object_get(rec, "mem_mb"));

	(void)drm_config(&c, &ignore);
	l->nproc = c->nproc;
	l->fsize_mb = c->fsize_mb;
	/* what the job asked for (and Slurm allocates), else the default */
	l->mem_mb = mem > 0 ? mem : c->mem_mb;
}

int
drm_make_cwd(const json_t *rec, uid_t uid, gid_t gid)
{
	const char *cwd = json_string_value(json_object_get(rec, "cwd"));
	char parent[PATH_MAX];
	char *slash;

	if (!json_is_true(json_object_get(rec, "make_cwd")))
		return 0;
	if (cwd == NULL || cwd[0] != '/' ||
	    snprintf(parent, sizeof(parent), "%s", cwd) >=
		(int)sizeof(parent)) {
		errno = EINVAL;
		return -1;
	}
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0711) != 0 && errno != EEXIST)
			return -1;
	}
	if (mkdir(cwd, 0700) != 0)
		return errno == EEXIST ? 0 : -1; /* made before: kept as is */
	if (geteuid() == 0 && lchown(cwd, uid, gid) != 0)
		return -1;
	return 0;
}

const char *
drm_out_name(const json_t *rec, const char *key, char *buf, size_t size)
{
	const char *s = json_string_value(json_object_get(rec, key)), *p;
	const json_t *idx = json_object_get(rec, "array_index");
	size_t n = 0;
	int w;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0' && n < size; p++) {
		if (p[0] == '%' && p[1] == 'a' && json_is_integer(idx)) {
			w = snprintf(buf + n, size - n, "%lld",
			    (long long)json_integer_value(idx));
			if (w < 0 || (size_t)w >= size - n)
				return NULL;
			n += (size_t)w;
			p++;
			continue;
		}
		buf[n++] = *p;
	}
	if (n >= size)
		return NULL;
	buf[n] = '\0';
	return buf;
}

bool
drm_final(const char *state)
{
	return state != NULL && strcmp(state, "QUEUED") != 0 &&
	    strcmp(state, "RUNNING") != 0;
}

static void
id_key(char buf[DRM_ID_LEN + 1], uint64_t n)
{
	char tmp[32];

	(void)snprintf(tmp, sizeof(tmp), "%016" PRIu64, n % 10000000000000000u);
	memcpy(buf, tmp, DRM_ID_LEN + 1);
}

int
drm_get_txn(struct st_txn *t, const char *id, json_t **out, u_int32_t flags)
{
	DBT key;

	if (id == NULL || strlen(id) != DRM_ID_LEN)
		return DB_NOTFOUND;
	key = st_dbt(id, DRM_ID_LEN);
	return st_get_json(t, TBL_DRM, &key, out, flags);
}

int
drm_put_state(struct st_txn *t, json_t *rec, struct gr_err *err)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *client = json_string_value(json_object_get(rec, "client"));
	DBT key;
	size_t i;
	int ret, rc;

	if (id == NULL)
		return gr_fail(err, GR_INTERNAL, "DRM record without an id");
	key = st_dbt(id, strlen(id));
	if ((ret = st_put_json(t, TBL_DRM, &key, rec, 0)) != 0)
		return st_fail(err, ret);
	for (i = 0; client != NULL && i < nhooks; i++)
		if (strcmp(hooks[i].client, client) == 0 &&
		    (rc = hooks[i].fn(t, rec, err)) != GR_OK)
			return rc;
	return GR_OK;
}

static json_t *
strv_json(const char *const *v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static const char *const dep_names[] = { [DRM_AFTEROK] = "afterok",
	[DRM_AFTERANY] = "afterany",
	[DRM_AFTERNOTOK] = "afternotok" };

/* A file name relative to the working directory, inside it. */
static bool
rel_name_ok(const char *s)
{
	return s == NULL ||
	    (*s != '\0' && *s != '/' && strncmp(s, "../", 3) != 0 &&
		strstr(s, "/../") == NULL && strcmp(s, "..") != 0 &&
		strlen(s) < 256 && utf8_valid(s, strlen(s)));
}

bool
drm_queue_ok(const char *q)
{
	size_t n = strspn(q,
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n > 0 && n <= 64 && q[n] == '\0';
}

static int
check_spec(const struct drm_spec *s, struct gr_err *err)
{
	size_t n = 0, i;

	for (; s->argv != NULL && s->argv[n] != NULL; n++)
		if (!utf8_valid(s->argv[n], strlen(s->argv[n])))
			return gr_fail(err, GR_INVALID_VALUE,
			    "argument %zu is not UTF-8 text", n);
	if (n == 0 || *s->argv[0] == '\0')
		return gr_fail(err, GR_INVALID_VALUE, "no command to run");
	if (n > DRM_ARGV_MAX)
		return gr_fail(err, GR_INVALID_VALUE, "more than %d arguments",
		    DRM_ARGV_MAX);
	if (s->cwd == NULL || s->cwd[0] != '/')
		return gr_fail(err, GR_INVALID_VALUE,
		    "the working directory must be an absolute path");
	if (!rel_name_ok(s->out) || !rel_name_ok(s->err))
		return gr_fail(err, GR_INVALID_VALUE,
		    "output files must be names inside the working "
		    "directory");
	for (n = 0; s->env != NULL && s->env[n] != NULL; n++)
		if (strchr(s->env[n], '=') == NULL || s->env[n][0] == '=')
			return gr_fail(err, GR_INVALID_VALUE,
			    "environment entry %zu is not NAME=value", n);
	if (n > DRM_ENV_MAX)
		return gr_fail(err, GR_INVALID_VALUE,
		    "more than %d environment entries", DRM_ENV_MAX);
	if (s->time_limit < 0 || s->cpus < 0 || s->mem_mb < 0)
		return gr_fail(err, GR_INVALID_VALUE,
		    "negative time limit, cpus or memory");
	if (s->ndeps > DRM_DEPS_MAX)
		return gr_fail(err, GR_INVALID_VALUE,
		    "more than %d dependencies", DRM_DEPS_MAX);
	if (s->queue != NULL && *s->queue != '\0' && !drm_queue_ok(s->queue))
		return gr_fail(err, GR_INVALID_VALUE,
		    "a queue name is 1 to 64 letters, digits, '.', '_' or "
		    "'-'");
	for (i = 0; i < s->ndeps; i++)
		if ((unsigned)s->deps[i].type > DRM_AFTERNOTOK)
			return gr_fail(err, GR_INVALID_VALUE,
			    "unknown dependency type");
	if (s->array &&
	    (s->array_step < 1 || s->array_start < 0 ||
		s->array_end < s->array_start ||
		(s->array_end - s->array_start) / s->array_step >=
		    DRM_ARRAY_MAX))
		return gr_fail(err, GR_INVALID_VALUE,
		    "array range must be start-end:step with 0 <= start <= "
		    "end, step >= 1 and at most %d tasks",
		    DRM_ARRAY_MAX);
	return GR_OK;
}

int
drm_submit_txn(struct st_txn *t, const struct drm_spec *s, json_t *ids,
    struct gr_err *err)
{
	const struct drm_cfg *c;
	char id[DRM_ID_LEN + 1];
	json_t *rec, *deps, *dep = NULL;
	long idx, last;
	char first_id[DRM_ID_LEN + 1] = "";
	size_t first = json_array_size(ids);
	uint64_t n = 0;
	size_t i;
	DBT key;
	int ret, rc;

	if ((rc = drm_config(&c, err)) != GR_OK ||
	    (rc = check_spec(s, err)) != GR_OK)
		return rc;
	deps = json_array();
	for (i = 0; i < s->ndeps; i++) {
		ret = drm_get_txn(t, s->deps[i].id, &dep, 0);
		json_decref(dep);
		dep = NULL;
		if (ret == DB_NOTFOUND) {
			json_decref(deps);
			return gr_fail(err, GR_INVALID_VALUE,
			    "dependency '%s': no such job", s->deps[i].id);
		}
		if (ret != 0) {
			json_decref(deps);
			return st_fail(err, ret);
		}
		json_array_append_new(deps,
		    json_pack("{s:s, s:s}", "type", dep_names[s->deps[i].type],
			"id", s->deps[i].id));
	}
	idx = s->array ? s->array_start : 0;
	last = s->array ? s->array_end : 0;
	rc = st_seq_take("drm.seq",
	    (uint64_t)((last - idx) / (s->array ? s->array_step : 1) + 1), &n,
	    err);
	for (; rc == GR_OK && idx <= last;
	     idx += s->array ? s->array_step : 1, n++) {
		id_key(id, n);
		rec =
		    json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s?, s:s?,"
			      " s:I, s:i, s:I, s:O, s:s, s:I, s:b}",
			"id", id, "backend", c->backend, "client",
			s->client != NULL ? s->client : "", "ref",
			s->ref != NULL ? s->ref : "", "argv",
			strv_json(s->argv), "cwd", s->cwd, "env",
			strv_json(s->env), "stdout", s->out, "stderr", s->err,
			"time_limit", (json_int_t)s->time_limit, "cpus",
			s->cpus > 0 ? s->cpus : 1, "mem_mb",
			(json_int_t)s->mem_mb, "deps", deps, "state", "QUEUED",
			"submitted_at", (json_int_t)time_now(), "cancel", 0);
		if (s->make_cwd)
			json_object_set_new(rec, "make_cwd", json_true());
		if (s->held)
			json_object_set_new(rec, "held_until",
			    json_integer(time_now() + DRM_HOLD_MAX));
		if (s->stage != NULL)
			json_object_set_new(rec, "stage",
			    json_deep_copy(s->stage));
		if (s->uid > 0) {
			json_object_set_new(rec, "uid", json_integer(s->uid));
			json_object_set_new(rec, "gid", json_integer(s->gid));
		}
		if (s->queue != NULL && *s->queue != '\0' &&
		    strcmp(s->queue, "local") != 0)
			json_object_set_new(rec, "queue",
			    json_string(s->queue));
		if (s->array) {
			json_object_set_new(rec, "array_index",
			    json_integer(idx));
			json_object_set_new(rec, "array_step",
			    json_integer(s->array_step));
			if (json_array_size(ids) == first)
				(void)snprintf(first_id, sizeof(first_id), "%s",
				    id);
			json_object_set_new(rec, "array_first",
			    json_string(first_id));
		}
		key = st_dbt(id, DRM_ID_LEN);
		/* the record's page write-locked first, as every writer of a
		   record does (DB_RMW), and then the state index: a put with
		   DB_NOOVERWRITE read the page, took the index and then
		   upgraded its read lock, and two submissions deadlocked
		   (bench/jobs.sh: one retry in ten submissions) */
		ret = drm_get_txn(t, id, &dep, DB_RMW);
		json_decref(dep);
		dep = NULL;
		if (ret == 0)
			rc = gr_fail(err, GR_INTERNAL, "DRM id %s is taken",
			    id);
		else if (ret != DB_NOTFOUND)
			rc = st_fail(err, ret);
		else if ((ret = st_put_json(t, TBL_DRM, &key, rec, 0)) != 0)
			rc = st_fail(err, ret);
		else
			json_array_append_new(ids, json_string(id));
		json_decref(rec);
	}
	json_decref(deps);
	return rc;
}

int
drm_start(const json_t *ids, struct gr_err *err)
{
	const struct drm_cfg *c;
	int rc;

	if ((rc = drm_config(&c, err)) != GR_OK)
		return rc;
	return backend_in_force()->start(ids, err);
}

static int
release_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	const json_t *ids = arg, *idj;
	json_t *rec;
	size_t i;
	int ret, rc = GR_OK;

	json_array_foreach(ids, i, idj) {
		rec = NULL;
		ret = drm_get_txn(t, json_string_value(idj), &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0)
			return st_fail(err, ret);
		if (json_object_del(rec, "held_until") == 0)
			rc = drm_put_state(t, rec, err);
		json_decref(rec);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
drm_release(const json_t *ids, struct gr_err *err)
{
	return st_txn_run(release_txn, jsonx_unconst(ids), err);
}

/* Bring one record up to date under t (a write transaction); polled is
   what Slurm said before the transaction began. */
static int
refresh(struct st_txn *t, json_t *rec, const json_t *polled, bool *changed,
    struct gr_err *err)
{
	*changed = false;
	if (drm_final(json_string_value(json_object_get(rec, "state"))))
		return GR_OK;
	return backend_of(rec)->refresh(t, rec, polled, changed, err);
}

static bool
lost(const json_t *rec)
{
	const char *state = json_string_value(json_object_get(rec, "state"));

	return state != NULL && strcmp(state, "LOST") == 0;
}

struct status_args {
	const char *id;
	json_t *out;
	json_t *polled; /* slurm: what it said, before the transaction */
};

static int
status_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct status_args *a = arg;
	bool changed;
	int ret, rc;

	json_decref(a->out);
	a->out = NULL;
	ret = drm_get_txn(t, a->id, &a->out, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_NOT_FOUND, "no DRM job '%s'", a->id);
	if (ret != 0)
		return st_fail(err, ret);
	if ((rc = refresh(t, a->out, a->polled, &changed, err)) != GR_OK)
		return rc;
	return changed ? drm_put_state(t, a->out, err) : GR_OK;
}

static int
view_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct status_args *a = arg;
	int ret;

	json_decref(a->out);
	a->out = NULL;
	ret = drm_get_txn(t, a->id, &a->out, 0);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_NOT_FOUND, "no DRM job '%s'", a->id);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
drm_status(const char *id, json_t **out, struct gr_err *err)
{
	struct status_args a = { id, NULL, NULL };
	const struct drm_backend *b = NULL;
	json_t *copy;
	bool need = false;
	int rc;

	/* a final record never changes: read it without locks */
	rc = st_view(view_txn, &a, ST_ONEREAD, err);
	if (rc == GR_OK)
		b = backend_of(a.out);
	if (rc == GR_OK &&
	    !drm_final(json_string_value(json_object_get(a.out, "state")))) {
		/* a write only when something changed: most looks see none */
		a.polled = b->poll != NULL ? b->poll(a.out) : NULL;
		copy = json_deep_copy(a.out);
		rc = b->refresh(NULL, copy, a.polled, &need, err);
		json_decref(copy);
		if (rc == GR_OK && need)
			rc = st_txn_run(status_txn, &a, err);
		json_decref(a.polled);
	}
	if (rc == GR_OK && lost(a.out) && b->reap != NULL)
		b->reap(a.out);
	/* a job's runner found dead (this look made it LOST): the queue
	   must not wait for the next submission while there is room */
	if (rc == GR_OK && need && lost(a.out) && b->poke != NULL)
		b->poke();
	if (rc != GR_OK) {
		json_decref(a.out);
		return rc;
	}
	*out = a.out;
	return GR_OK;
}

int
drm_cancel_txn(struct st_txn *t, const char *id, bool *running,
    struct gr_err *err)
{
	json_t *rec = NULL;
	const char *state;
	int ret, rc = GR_OK;

	*running = false;
	ret = drm_get_txn(t, id, &rec, DB_RMW);
	if (ret == DB_NOTFOUND)
		return gr_fail(err, GR_NOT_FOUND, "no DRM job '%s'", id);
	if (ret != 0)
		return st_fail(err, ret);
	state = json_string_value(json_object_get(rec, "state"));
	if (state != NULL && strcmp(state, "QUEUED") == 0 &&
	    json_object_get(rec, "native_id") == NULL) {
		json_object_set_new(rec, "state", json_string("CANCELLED"));
		json_object_set_new(rec, "ended_at", json_integer(time_now()));
		json_object_set_new(rec, "reason",
		    json_string("cancelled before it started"));
		rc = drm_put_state(t, rec, err);
	} else if (!drm_final(state)) {
		json_object_set_new(rec, "cancel", json_true());
		rc = drm_put_state(t, rec, err);
		*running = true;
	}
	json_decref(rec);
	return rc;
}

int
drm_cancel_signal(const char *id, struct gr_err *err)
{
	const struct drm_backend *b;
	json_t *rec;
	int rc;

	if ((rc = drm_status(id, &rec, err)) != GR_OK)
		return rc;
	b = backend_of(rec);
	if (drm_final(json_string_value(json_object_get(rec, "state"))))
		rc = GR_OK;
	else
		rc = b->signal(rec, err);
	json_decref(rec);
	/* the dependents of a cancelled queued job may be able to start
	   (a backend with a scheduler of its own has no kick) */
	if (b->kick != NULL)
		b->kick();
	return rc;
}

struct cancel_args {
	const char *id;
	bool running;
};

static int
cancel_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct cancel_args *a = arg;

	return drm_cancel_txn(t, a->id, &a->running, err);
}

int
drm_cancel(const char *id, struct gr_err *err)
{
	struct cancel_args a = { id, false };
	int rc;

	if ((rc = st_txn_run(cancel_txn, &a, err)) != GR_OK)
		return rc;
	return drm_cancel_signal(id, err);
}

/* --- reconcile ------------------------------------------------------- */

#define RECONCILE_BATCH 256

struct active {
	char (*ids)[DRM_ID_LEN + 1];
	size_t n, cap;
};

static int
collect_active(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct active *a = arg;

	(void)key;
	(void)val;
	if (pkey->size != DRM_ID_LEN)
		return GR_OK;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->ids = xrealloc(a->ids, a->cap * sizeof(*a->ids));
	}
	memcpy(a->ids[a->n], pkey->data, DRM_ID_LEN);
	a->ids[a->n][DRM_ID_LEN] = '\0';
	a->n++;
	return GR_OK;
}

struct scan_args {
	const char *backend;
	struct active act;
};

static int
scan_active_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct scan_args *a = arg;
	static const char *const states[] = { "QUEUED", "RUNNING" };
	char kbuf[64];
	size_t i, n;
	int rc;

	a->act.n = 0;
	for (i = 0; i < ARRAY_LEN(states); i++) {
		n = key_join(kbuf, sizeof(kbuf), a->backend, states[i],
		    (char *)NULL);
		rc = st_scan_key(t, TBL_DRM_BY_STATE, kbuf, n, collect_active,
		    &a->act, err);
		if (rc != GR_OK)
			return rc;
	}
	return GR_OK;
}

/* Refresh at most max active jobs of this backend; *changed counts the
   ones that ended. */
static int
refresh_active(size_t max, unsigned *changed, struct gr_err *err)
{
	const struct drm_cfg *c;
	struct scan_args a = { 0 };
	json_t *s;
	size_t i;
	int rc;

	*changed = 0;
	if ((rc = drm_config(&c, err)) != GR_OK)
		return rc;
	a.backend = c->backend;
	if ((rc = st_view(scan_active_txn, &a, 0, err)) != GR_OK) {
		free(a.act.ids);
		return rc;
	}
	for (i = 0; i < a.act.n && i < max && rc == GR_OK; i++) {
		s = NULL;
		rc = drm_status(a.act.ids[i], &s, err);
		if (rc == GR_OK &&
		    drm_final(json_string_value(json_object_get(s, "state"))))
			(*changed)++;
		json_decref(s);
	}
	free(a.act.ids);
	return rc;
}

int
drm_refresh(size_t max, struct gr_err *err)
{
	unsigned changed;

	return refresh_active(max, &changed, err);
}

void
drm_freshen(size_t max)
{
	static int64_t last;
	struct gr_err err = { 0 };
	int64_t now = time_now();

	if (now == last)
		return;
	last = now;
	if (drm_refresh(max, &err) != GR_OK)
		log_msg(LOG_WARN, "drm: refresh: %s", err.msg);
}

int
drm_reconcile(unsigned *changed, struct gr_err *err)
{
	const struct drm_cfg *c;
	int rc;

	*changed = 0;
	/* on a replica: the master's backends reconcile (store_repl.h) */
	if (!st_repl_writer())
		return GR_OK;
	if ((rc = refresh_active((size_t)-1, changed, err)) != GR_OK ||
	    (rc = drm_config(&c, err)) != GR_OK)
		return rc;
	if (backend_in_force()->kick != NULL)
		backend_in_force()->kick();
	return GR_OK;
}

json_t *
drm_capabilities(const char *backend)
{
	const struct drm_backend *b = backend_named(backend);
	json_t *caps = json_pack("[s,s,s,s,s,s,s,s,s,s,s,s]", "argv", "cwd",
	    "env", "stdout", "stderr", "time_limit", "afterok", "afterany",
	    "afternotok", "array", "cancel", "exit_status");

	(b != NULL ? b : &drm_local_backend)->capabilities(caps);
	return caps;
}

/* --- process identity -------------------------------------------------- */

const char *
drm_boot_id(void)
{
	static char boot[64];
	FILE *f;
	size_t n;

	if (boot[0] != '\0')
		return boot;
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "r")) != NULL) {
		n = fread(boot, 1, sizeof(boot) - 1, f);
		boot[n] = '\0';
		boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	if (boot[0] == '\0')
		(void)snprintf(boot, sizeof(boot), "unknown");
	return boot;
}

unsigned long long
drm_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	size_t n;
	int field;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: skip to the
	   last ')', after which field 3 (state) starts */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	if (p[1] == ' ' && p[2] == 'Z')
		return 0; /* a zombie runs nothing */
	p++;              /* the space before field 3; starttime is field 22 */
	for (field = 3; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	start = strtoull(p + 1, NULL, 10);
	return start;
}
