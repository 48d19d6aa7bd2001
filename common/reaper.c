/*
 * reaper.c -- deletion (core; reaper.h): the reaper that deletes the
 * replicas no rule wants any more, from storage with the copy layer
 * (xfer.c) and then from the catalogue with their RSE's usage; and
 * reaper_kick, which wakes or starts it. No HTTP.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "jsonx.h"
#include "log.h"
#include "pfn.h"
#include "proc.h"
#include "reaper.h"
#include "replica.h"
#include "rse.h"
#include "store.h"
#include "store_counter.h"
#include "usage.h"
#include "util.h"
#include "xfer.h"

#define REAPER_LOCK      "reaper.lock"
#define REAPER_TICK_MS   200
#define REAPER_NEED_ALL  INT64_MAX /* greedy: every candidate */
#define REAPER_TS_LEN    8         /* the index's tombstone bytes */
#define REAPER_SOURCE    "storage" /* Rucio's default usage source */
#define REAPER_CHUNK_MAX 100000
#define REAPER_FAILS_MAX 30 /* failed passes in a row (one a second) */

static bool noted; /* a transaction of this process set a tombstone */

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t
int_of(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* --- which RSEs have candidates ------------------------------------- */

struct ids {
	char (*id)[RSE_ID_LEN + 1];
	size_t n;
	bool found;
};

static int
first_id(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct ids *s = arg;
	const char *k = key->data;
	size_t len = strnlen(k, key->size);

	(void)pkey;
	(void)val;
	s->found = true;
	s->id = xrealloc(s->id, (s->n + 1) * sizeof(*s->id));
	(void)snprintf(s->id[s->n], sizeof(s->id[s->n]), "%.*s",
	    (int)(len < RSE_ID_LEN ? len : RSE_ID_LEN), k);
	s->n++;
	return ST_STOP;
}

/* The RSE ids of the index, one seek each: after an id's keys ("id \0
   ...") comes the first key at or above "id \1". */
static int
ids_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct ids *s = arg;
	char from[RSE_ID_LEN + 2];
	DBT f;
	int rc;

	s->n = 0;
	rc = st_scan(t, TBL_REPLICAS_BY_TOMBSTONE, NULL, 0, NULL, first_id, s,
	    err);
	while (rc == GR_OK && s->n > 0) {
		(void)snprintf(from, sizeof(from), "%s\001", s->id[s->n - 1]);
		f = st_dbt(from, strlen(from));
		s->found = false;
		rc = st_scan(t, TBL_REPLICAS_BY_TOMBSTONE, NULL, 0, &f,
		    first_id, s, err);
		if (!s->found)
			break;
	}
	return rc;
}

/* --- one RSE's plan ------------------------------------------------- */

struct victim {
	char *key; /* scope \0 name \0 RSE id, malloc'ed */
	size_t klen;
	json_int_t bytes;
	char *path; /* a non-deterministic RSE's stored path, or NULL */
	char *pfn;
	bool done; /* deleted from storage */
	enum gr_code code;
	char *error; /* why not, when not */
};

struct plan {
	char id[RSE_ID_LEN + 1];
	char *name;
	bool usable; /* live and available for deletion */
	bool greedy;
	bool spaced;     /* a MinFreeSpace limit and both sources known */
	json_int_t need; /* bytes to free (REAPER_NEED_ALL: greedy) */
	char *used_src;  /* the used space's source, when not "rucio" */
	int64_t now, retry, next; /* next: earliest later due time, -1 */
	bool pending;
	long max;
	json_int_t taken;
	struct victim *v;
	size_t n;
};

static void
victims_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free(p->v[i].path);
		free(p->v[i].pfn);
		free(p->v[i].error);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
	p->taken = 0;
}

static void
plan_free(struct plan *p)
{
	victims_free(p);
	free(p->name);
	free(p->used_src);
	p->name = NULL;
	p->used_src = NULL;
}

static bool
truthy(const json_t *v)
{
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	return s != NULL &&
	    (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
		strcasecmp(s, "yes") == 0);
}

/* How much p's RSE must free (reaper.h): need, greedy, spaced. */
static int
plan_space(struct st_txn *t, struct plan *p, struct gr_err *err)
{
	json_t *v = NULL, *lim = NULL, *tot = NULL, *used = NULL;
	const char *ts, *us;
	char kbuf[KEY_MAX];
	json_int_t min_free, total, free_;
	DBT k;
	int ret, rc;

	if ((rc = rse_attr_get(t, p->name, "greedyDeletion", &v, err)) != GR_OK)
		goto out;
	p->greedy = truthy(v);
	if (p->greedy) {
		p->need = REAPER_NEED_ALL;
		goto out;
	}
	k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), p->id, "MinFreeSpace", (char *)0));
	ret = st_get_json(t, TBL_RSE_LIMITS, &k, &lim, 0);
	if (ret != 0 && ret != DB_NOTFOUND) {
		rc = st_fail(err, ret);
		goto out;
	}
	min_free = int_of(lim, "value");
	if (min_free <= 0)
		goto out;
	json_decref(v);
	if ((rc = rse_attr_get(t, p->name, "source_for_total_space", &v,
		 err)) != GR_OK ||
	    (rc = usage_rse_load(t, p->id,
		 (ts = json_string_value(v)) != NULL ? ts : REAPER_SOURCE, 0,
		 &tot, err)) != GR_OK)
		goto out;
	json_decref(v);
	if ((rc = rse_attr_get(t, p->name, "source_for_used_space", &v, err)) !=
		GR_OK ||
	    (rc = usage_rse_load(t, p->id,
		 (us = json_string_value(v)) != NULL ? us : REAPER_SOURCE, 0,
		 &used, err)) != GR_OK)
		goto out;
	if (tot == NULL || used == NULL)
		goto out; /* as upstream: only the obsolete ones */
	p->spaced = true;
	if (strcmp(us != NULL ? us : REAPER_SOURCE, USAGE_SOURCE) != 0)
		p->used_src = xstrdup(us != NULL ? us : REAPER_SOURCE);
	total = int_of(tot, "used") + int_of(tot, "free");
	free_ = total - int_of(used, "used");
	p->need = min_free - free_ > 0 ? min_free - free_ : 0;
out:
	json_decref(v);
	json_decref(lim);
	json_decref(tot);
	json_decref(used);
	return rc;
}

static int64_t
ts_of(const DBT *key)
{
	const unsigned char *b;
	uint64_t u = 0;
	int i;

	if (key->size < RSE_ID_LEN + 1 + REAPER_TS_LEN)
		return 0;
	b = (const unsigned char *)key->data + key->size - REAPER_TS_LEN;
	for (i = 0; i < REAPER_TS_LEN; i++)
		u = u << 8 | b[i];
	return u > INT64_MAX ? INT64_MAX : (int64_t)u;
}

static void
due_at(struct plan *p, int64_t when)
{
	p->pending = true;
	if (p->next < 0 || when < p->next)
		p->next = when;
}

/* One candidate, in tombstone order: taken, skipped, or the end. */
static int
cand_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct plan *p = arg;
	int64_t ts = ts_of(key);
	const char *v;
	size_t vl;
	long long bytes = 0, upd = 0;
	bool failed;
	struct victim *w;
	json_t *rec;

	if (ts > p->now) {
		/* the rest is later still: due then on a greedy RSE */
		if (p->greedy)
			due_at(p, ts);
		else if (p->spaced)
			p->pending = true;
		return ST_STOP;
	}
	if (ts > 0 && p->taken >= p->need) {
		/* enough space freed: the rest waits for the space to shrink */
		if (p->spaced)
			p->pending = true;
		return ST_STOP;
	}
	/* a failed deletion waits its retry */
	failed = jsonx_member(val->data, val->size, "error_message", &v, &vl) &&
	    jsonx_member(val->data, val->size, "state", &v, &vl) && vl == 3 &&
	    v[1] == 'B';
	if (jsonx_member(val->data, val->size, "updated_at", &v, &vl))
		(void)jsonx_member_int(v, vl, &upd);
	if (failed && upd + p->retry > p->now) {
		due_at(p, upd + p->retry);
		return GR_OK;
	}
	/* a copy under way (a rule deleted while a mover copies its file:
	   rule_request_in_flight): the mover's end decides, as upstream
	   never deletes a COPYING replica; looked at again in a second */
	if (jsonx_member(val->data, val->size, "state", &v, &vl) && vl == 3 &&
	    v[1] == 'C') {
		due_at(p, p->now + 1);
		return GR_OK;
	}
	if (jsonx_member(val->data, val->size, "bytes", &v, &vl))
		(void)jsonx_member_int(v, vl, &bytes);
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	w = &p->v[p->n++];
	memset(w, 0, sizeof(*w));
	w->key = xmalloc(pkey->size);
	memcpy(w->key, pkey->data, pkey->size);
	w->klen = pkey->size;
	w->bytes = bytes;
	if (jsonx_member(val->data, val->size, "path", &v, &vl) &&
	    (rec = json_loadb(val->data, val->size, 0, NULL)) != NULL) {
		if (str(rec, "path") != NULL)
			w->path = xstrdup(str(rec, "path"));
		json_decref(rec);
	}
	p->taken += bytes;
	return (long)p->n >= p->max ? ST_STOP : GR_OK;
}

/* The RSE's state and the candidates to delete now (a view). */
static int
plan_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct plan *p = arg;
	json_t *rec = NULL;
	int ret, rc;

	victims_free(p);
	free(p->name);
	free(p->used_src);
	p->name = p->used_src = NULL;
	p->usable = p->greedy = p->spaced = p->pending = false;
	p->need = 0;
	p->next = -1;
	ret = rse_load_by_id(t, p->id, &rec);
	if (ret == DB_NOTFOUND)
		return GR_OK; /* a deleted RSE's: nobody's storage any more */
	if (ret != 0)
		return st_fail(err, ret);
	p->name = xstrdup(str(rec, "rse"));
	p->usable = json_is_true(json_object_get(rec, "availability_delete"));
	json_decref(rec);
	if (!p->usable)
		return GR_OK;
	if ((rc = plan_space(t, p, err)) != GR_OK)
		return rc;
	/* the RSE's keys: its id and the NUL after it */
	return st_scan(t, TBL_REPLICAS_BY_TOMBSTONE, p->id, strlen(p->id) + 1,
	    NULL, cand_one, p, err);
}

/* --- marking and removing ------------------------------------------- */

/* The candidates become BEING_DELETED, those still candidates (a rule
   may have locked one since the plan). */
static int
mark_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct plan *p = arg;
	json_t *rec;
	size_t i;
	int ret;

	for (i = 0; i < p->n; i++) {
		struct victim *w = &p->v[i];
		DBT k = st_dbt(w->key, w->klen);

		w->code = GR_OK;
		rec = NULL;
		ret = st_get_json(t, TBL_REPLICAS, &k, &rec, DB_RMW);
		if (ret == DB_NOTFOUND) {
			w->code = GR_REPLICA_NOT_FOUND;
			continue;
		}
		if (ret != 0)
			return st_fail(err, ret);
		if (int_of(rec, "lock_cnt") > 0 ||
		    !json_is_integer(json_object_get(rec, "tombstone")) ||
		    (str(rec, "state") != NULL && *str(rec, "state") == 'C')) {
			/* wanted again, or being copied in since the plan */
			w->code = GR_UNSUPPORTED_OPERATION;
			json_decref(rec);
			continue;
		}
		w->bytes = int_of(rec, "bytes");
		json_object_set_new(rec, "state", json_string("B"));
		json_object_set_new(rec, "updated_at", json_integer(p->now));
		(void)json_object_del(rec, "error_message");
		ret = st_put_json(t, TBL_REPLICAS, &k, rec, 0);
		json_decref(rec);
		if (ret != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

/* The used space's source follows a deletion of bytes (reaper.h). */
static int
used_follows(struct st_txn *t, const struct plan *p, json_int_t bytes,
    struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), p->id, p->used_src, (char *)0));
	json_t *rec = NULL, *f;
	json_int_t used;
	int ret, rc;

	if ((rc = usage_rse_load(t, p->id, p->used_src, DB_RMW, &rec, err)) !=
		GR_OK ||
	    rec == NULL)
		return rc;
	used = int_of(rec, "used");
	if (bytes > used)
		bytes = used;
	json_object_set_new(rec, "used", json_integer(used - bytes));
	if (json_is_integer(f = json_object_get(rec, "free")))
		json_object_set_new(rec, "free",
		    json_integer(json_integer_value(f) + bytes));
	json_object_set_new(rec, "updated_at", json_integer(p->now));
	ret = st_put_json(t, TBL_RSE_USAGE, &k, rec, 0);
	json_decref(rec);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

struct removal {
	struct plan *p;
	long deleted, failed, kept;
	size_t erased; /* DIDs gone with their last replica */
};

/*
 * The deleted ones' rows go, with the RSE's usage; the failed ones stay
 * BEING_DELETED with the reason (a PFN outside the prefix loses its
 * tombstone: never tried again).
 */
static int
remove_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct removal *r = arg;
	struct plan *p = r->p;
	json_int_t files = 0, bytes = 0;
	json_t *rec;
	size_t i;
	int ret, rc;

	r->deleted = r->failed = r->kept = 0;
	r->erased = 0;
	for (i = 0; i < p->n; i++) {
		struct victim *w = &p->v[i];
		DBT k = st_dbt(w->key, w->klen);

		if (w->code != GR_OK && !w->done && w->error == NULL)
			continue; /* not marked */
		rec = NULL;
		ret = st_get_json(t, TBL_REPLICAS, &k, &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0)
			return st_fail(err, ret);
		if (int_of(rec, "lock_cnt") > 0) {
			/* locked again meanwhile: its rule copies it anew */
			r->kept++;
			json_decref(rec);
			continue;
		}
		if (w->done) {
			size_t sl, nl;
			const char *s = key_part(w->key, w->klen, 0, &sl),
				   *n = key_part(w->key, w->klen, 1, &nl);
			char *sc, *nm;

			json_decref(rec);
			if ((ret = st_del(t, TBL_REPLICAS, &k)) != 0)
				return st_fail(err, ret);
			files++;
			bytes += w->bytes;
			r->deleted++;
			if (s == NULL || n == NULL)
				continue;
			/* the file's last replica: its DID and what holds
			   it follow */
			sc = xstrndup(s, sl);
			nm = xstrndup(n, nl);
			rc = replica_gone(t, sc, nm, p->now, &r->erased, err);
			free(sc);
			free(nm);
			if (rc != GR_OK)
				return rc;
			continue;
		}
		json_object_set_new(rec, "error_message",
		    json_string(w->error));
		json_object_set_new(rec, "updated_at", json_integer(p->now));
		if (w->code == GR_INVALID_PATH)
			(void)json_object_del(rec, "tombstone");
		ret = st_put_json(t, TBL_REPLICAS, &k, rec, 0);
		json_decref(rec);
		if (ret != 0)
			return st_fail(err, ret);
		r->failed++;
	}
	if (files == 0)
		return GR_OK;
	if ((rc = usage_rse_add(t, p->id, -files, -bytes, err)) != GR_OK)
		return rc;
	return p->used_src != NULL ? used_follows(t, p, bytes, err) : GR_OK;
}

/* --- storage -------------------------------------------------------- */

/* Every marked victim's PFN through proto: the stored path's, else
   lfns2pfns's for all of them at once. */
static int
make_pfns(struct plan *p, const json_t *proto, struct gr_err *err)
{
	json_t *lfns = json_array(), *out = NULL;
	struct sbuf b = { 0 };
	size_t i, sl, nl;
	int rc = GR_OK;

	for (i = 0; i < p->n && rc == GR_OK; i++) {
		struct victim *w = &p->v[i];
		const char *s = key_part(w->key, w->klen, 0, &sl),
			   *n = key_part(w->key, w->klen, 1, &nl);

		if (w->code != GR_OK || s == NULL || n == NULL)
			continue;
		if (w->path != NULL) {
			rc = pfn_make(p->name, proto, "delete", NULL, NULL,
			    w->path, &w->pfn, err);
			continue;
		}
		b.len = 0;
		sbuf_add(&b, s, sl);
		sbuf_add(&b, ":", 1);
		sbuf_add(&b, n, nl);
		json_array_append_new(lfns, json_stringn(b.s, b.len));
	}
	if (rc == GR_OK && json_array_size(lfns) > 0)
		rc = rse_lfns2pfns(p->name, lfns, str(proto, "scheme"), "wan",
		    "delete", &out, err);
	for (i = 0; i < p->n && rc == GR_OK && out != NULL; i++) {
		struct victim *w = &p->v[i];
		const char *s = key_part(w->key, w->klen, 0, &sl),
			   *n = key_part(w->key, w->klen, 1, &nl);

		if (w->code != GR_OK || w->path != NULL || s == NULL ||
		    n == NULL)
			continue;
		b.len = 0;
		sbuf_add(&b, s, sl);
		sbuf_add(&b, ":", 1);
		sbuf_add(&b, n, nl);
		sbuf_add(&b, "", 1);
		if (str(out, b.s) != NULL)
			w->pfn = xstrdup(str(out, b.s));
	}
	json_decref(out);
	json_decref(lfns);
	sbuf_free(&b);
	return rc;
}

static void
victim_failed(struct victim *w, enum gr_code code, const char *msg)
{
	w->done = false;
	w->code = code;
	free(w->error);
	w->error = xstrdup(msg);
}

/* Delete the marked victims' files. */
static void
delete_files(struct xfer *x, struct plan *p, const json_t *proto)
{
	struct gr_err e = { 0 };
	struct xfer_rse r;
	size_t i;

	pfn_settings(proto, &r);
	for (i = 0; i < p->n && !proc_stop; i++) {
		struct victim *w = &p->v[i];

		if (w->code != GR_OK)
			continue;
		gr_clear(&e);
		if (w->pfn == NULL)
			victim_failed(w, GR_INVALID_PATH,
			    "no PFN for the file");
		else if (xfer_delete(x, w->pfn, &r, &e) == GR_OK)
			w->done = true;
		else {
			log_msg(LOG_WARN, "reaper: %s: %s", p->name, e.msg);
			victim_failed(w, e.code, e.msg);
		}
	}
	/* stopped: the rest stays BEING_DELETED for the next reaper */
	for (; i < p->n; i++)
		if (p->v[i].code == GR_OK && !p->v[i].done)
			p->v[i].code = GR_UNAVAILABLE;
}

/* One RSE: rounds of at most a chunk until nothing is due. */
static int
reap_rse(struct xfer *x, struct plan *p, struct reaper_pass *out,
    struct gr_err *err)
{
	struct removal r = { p, 0, 0, 0, 0 };
	json_t *proto = NULL;
	int rc = GR_OK;

	for (;;) {
		p->now = time_now();
		if ((rc = st_view(plan_txn, p, 0, err)) != GR_OK)
			break;
		if (p->pending) {
			out->pending = true;
			if (p->next >= 0 &&
			    (out->wait < 0 || p->next - p->now < out->wait))
				out->wait = p->next > p->now ? p->next - p->now
							     : 0;
		}
		if (p->n == 0 || proc_stop)
			break;
		if (proto == NULL &&
		    (rc = pfn_proto(p->name, "delete", &proto, err)) != GR_OK) {
			/* no storage to delete from: the rows wait for a
			   protocol (a kick, or the next reaper) */
			log_msg(LOG_WARN, "reaper: %s: %s", p->name, err->msg);
			gr_clear(err);
			rc = GR_OK;
			break;
		}
		if ((rc = st_txn_run(mark_txn, p, err)) != GR_OK ||
		    (rc = make_pfns(p, proto, err)) != GR_OK)
			break;
		delete_files(x, p, proto);
		if ((rc = st_txn_run(remove_txn, &r, err)) != GR_OK)
			break;
		out->deleted += r.deleted;
		out->failed += r.failed;
		if (r.deleted > 0)
			log_msg(LOG_INFO,
			    "reaper: %s: %ld replicas deleted, %zu DIDs with "
			    "them",
			    p->name, r.deleted, r.erased);
		/* a round that deleted nothing would find the same again */
		if ((long)p->n < p->max || r.deleted == 0 || proc_stop)
			break;
	}
	json_decref(proto);
	return rc;
}

int
reaper_run(struct xfer *x, struct reaper_pass *out, struct gr_err *err)
{
	struct ids s = { NULL, 0, false };
	struct plan p;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->wait = -1;
	memset(&p, 0, sizeof(p));
	p.max = cfg_env_long("GRIDREST_REAPER_CHUNK", 1000, 1,
	    REAPER_CHUNK_MAX);
	p.retry = cfg_env_long("GRIDREST_REAPER_RETRY", 60, 1, 86400);
	if ((rc = st_view(ids_txn, &s, 0, err)) != GR_OK)
		goto out;
	for (i = 0; i < s.n && rc == GR_OK && !proc_stop; i++) {
		memcpy(p.id, s.id[i], sizeof(p.id));
		rc = reap_rse(x, &p, out, err);
	}
out:
	plan_free(&p);
	free(s.id);
	return rc;
}

/* --- the reaper's life ---------------------------------------------- */

bool
reaper_running(void)
{
	return proc_lock_held(st_dir(), REAPER_LOCK);
}

int
reaper_main(void)
{
	struct gr_err err = { 0 };
	struct reaper_pass r;
	struct xfer *x = NULL;
	long idle = cfg_env_long("GRIDREST_REAPER_IDLE", 10, 0, 86400),
	     every = cfg_env_long("GRIDREST_REAPER_INTERVAL", 10, 1, 86400);
	int64_t idle_since, next, now;
	uint64_t seen;
	int fd, rc = 0, fails = 0;

	if ((fd = proc_lock_take(st_dir(), REAPER_LOCK)) < 0)
		return 0;
	proc_catch_stop();
	x = xfer_new();
	idle_since = time_now();
	while (!proc_stop && !st_stale()) {
		seen = st_changes(ST_CHANGE_TOMBSTONES);
		gr_clear(&err);
		if (reaper_run(x, &r, &err) != GR_OK) {
			log_msg(LOG_ERR, "reaper: %s", err.msg);
			/* a store that fails every pass (its home removed
			   and made again under it): leave; a kick starts
			   another on whatever store is there then */
			if (st_must_exit() || ++fails >= REAPER_FAILS_MAX) {
				rc = 1;
				break;
			}
			proc_nap(1000);
			continue;
		}
		fails = 0;
		now = time_now();
		if (r.deleted > 0 || r.failed > 0) {
			idle_since = now;
			continue; /* what fell due meanwhile, at once */
		}
		if (r.pending)
			idle_since = now;
		else if (now - idle_since >= idle) {
			/* leave: the lock first, then one more look for a
			   tombstone set meanwhile (whoever sets one after it
			   finds no reaper and starts one) */
			(void)flock(fd, LOCK_UN);
			if (st_changes(ST_CHANGE_TOMBSTONES) == seen ||
			    flock(fd, LOCK_EX | LOCK_NB) != 0)
				break;
			idle_since = now;
			continue;
		}
		/* until the next due time, the interval, or a kick */
		next = now + (r.wait >= 0 && r.wait < every ? r.wait : every);
		if (!r.pending)
			next = now + 1;
		while (!proc_stop && !st_stale() &&
		    st_changes(ST_CHANGE_TOMBSTONES) == seen &&
		    time_now() < next)
			proc_nap(REAPER_TICK_MS);
	}
	xfer_free(x);
	(void)close(fd);
	return rc;
}

/* --- starting it ---------------------------------------------------- */

void
reaper_note(void)
{
	noted = true;
}

void
reaper_kick_noted(void)
{
	if (!noted)
		return;
	noted = false;
	reaper_kick();
}

void
reaper_kick(void)
{
	const char *on = getenv("GRIDREST_REAPER_START");
	int e;

	if (st_dir() == NULL)
		return;
	/* a running reaper looks again at once */
	st_changed(ST_CHANGE_TOMBSTONES);
	if ((on != NULL && strcmp(on, "0") == 0) || reaper_running())
		return;
	if ((e = proc_start_tool("gridrest-reaper", "GRIDREST_REAPER_EXEC",
		 st_after_fork)) != 0)
		log_msg(LOG_ERR, "reaper: cannot start gridrest-reaper: %s",
		    strerror(e));
}
