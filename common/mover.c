/*
 * mover.c -- transfers (core; mover.h): the mover that performs the
 * rules' transfer requests with the copy layer (xfer.c) and ends them
 * through the replicas' state change (replica_update, PUT /replicas' core
 * path), which moves the locks and the rules; and mover_kick, which
 * starts it. No HTTP.
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
#include "mover.h"
#include "pfn.h"
#include "replica.h"
#include "rse.h"
#include "rse_expr.h"
#include "store.h"
#include "util.h"
#include "xfer.h"

#define MOVER_LOCK     "mover.lock"
#define MOVER_TICK_MS  200
#define MOVER_FAR      ((json_int_t)1 << 40) /* no distance known */
#define MOVER_ISSUER   "root" /* the replicas' state changes: an admin's */
#define MOVER_ERR_SHOW 200

static volatile sig_atomic_t mover_stop;
static bool noted; /* a transaction of this process queued a request */

/* --- settings ------------------------------------------------------- */

static long
env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	long out;

	if (v == NULL || *v == '\0' || parse_long(v, min, max, &out) != 0)
		return def;
	return out;
}

/* --- claiming ------------------------------------------------------- */

struct claim {
	int64_t now;
	int64_t next; /* the earliest due time of the others; -1 none */
	char *key;    /* the claimed request's key, malloc'ed */
	size_t klen;
	json_t *req; /* and the request, as claimed */
};

static int64_t
next_at(const DBT *val)
{
	const char *v;
	size_t vl;
	long long at = 0;

	if (jsonx_member(val->data, val->size, "next_at", &v, &vl))
		(void)jsonx_member_int(v, vl, &at);
	return at;
}

static int
claim_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct claim *c = arg;
	int64_t at = next_at(val);

	(void)key;
	if (at > c->now) {
		if (c->next < 0 || at < c->next)
			c->next = at;
		return GR_OK;
	}
	c->key = xmalloc(pkey->size);
	memcpy(c->key, pkey->data, pkey->size);
	c->klen = pkey->size;
	return ST_STOP;
}

static void
claim_reset(struct claim *c)
{
	free(c->key);
	c->key = NULL;
	json_decref(c->req);
	c->req = NULL;
	c->next = -1;
}

/* The first due queued request becomes S (submitted), with this pid. */
static int
claim_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct claim *c = arg;
	DBT k;
	int rc, ret;

	claim_reset(c);
	if ((rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, "Q", 1, claim_one, c,
		 err)) != GR_OK ||
	    c->key == NULL)
		return rc;
	k = st_dbt(c->key, c->klen);
	if ((ret = st_get_json(t, TBL_REQUESTS, &k, &c->req, DB_RMW)) != 0)
		return st_fail(err, ret);
	json_object_set_new(c->req, "state", json_string("S"));
	json_object_set_new(c->req, "submitted_at", json_integer(c->now));
	json_object_set_new(c->req, "updated_at", json_integer(c->now));
	json_object_set_new(c->req, "mover", json_integer(getpid()));
	if ((ret = st_put_json(t, TBL_REQUESTS, &k, c->req, 0)) != 0)
		return st_fail(err, ret);
	return GR_OK;
}

/* --- choosing a source ---------------------------------------------- */

struct cand {
	char *rse;  /* its name */
	char *path; /* the replica's stored path (non-deterministic), or NULL */
	json_int_t distance;
};

struct plan {
	const json_t *req;
	struct st_txn *t;
	char *dest;      /* the destination RSE's name */
	json_t *allowed; /* source_replica_expression's RSE names, or NULL */
	struct cand *c;
	size_t n;
};

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->c[i].rse);
		free(p->c[i].path);
	}
	free(p->c);
	free(p->dest);
	json_decref(p->allowed);
	p->c = NULL;
	p->dest = NULL;
	p->allowed = NULL;
	p->n = 0;
}

static bool
allowed(const json_t *names, const char *rse)
{
	const json_t *v;
	size_t i;

	json_array_foreach(names, i, v) {
		if (strcmp(json_string_value(v), rse) == 0)
			return true;
	}
	return false;
}

/* A replica of the request's file: a source when AVAILABLE elsewhere. */
static int
cand_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct plan *p = arg;
	const char *idp, *dest = str(p->req, "dest_rse_id"),
			 *only = str(p->req, "source_rse_id");
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *rec = NULL, *d = NULL;
	struct cand c = { NULL, NULL, MOVER_FAR };
	size_t il;
	DBT dk;

	(void)pkey;
	idp = key_part(key->data, key->size, 2, &il);
	if (idp == NULL || il != RSE_ID_LEN)
		return GR_OK;
	memcpy(id, idp, il);
	id[il] = '\0';
	if ((dest != NULL && strcmp(id, dest) == 0) ||
	    (only != NULL && strcmp(id, only) != 0))
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	if (rec == NULL || str(rec, "state") == NULL ||
	    strcmp(str(rec, "state"), "A") != 0 ||
	    (c.rse = rse_live_name(p->t, id)) == NULL ||
	    (p->allowed != NULL && !allowed(p->allowed, c.rse))) {
		free(c.rse);
		json_decref(rec);
		return GR_OK;
	}
	if (str(rec, "path") != NULL)
		c.path = xstrdup(str(rec, "path"));
	dk = st_dbt(kbuf,
	    key_join(kbuf, sizeof(kbuf), id, dest != NULL ? dest : "",
		(char *)NULL));
	if (st_get_json(p->t, TBL_RSE_DISTANCES, &dk, &d, 0) == 0 &&
	    json_is_integer(json_object_get(d, "distance")))
		c.distance = json_integer_value(json_object_get(d, "distance"));
	json_decref(d);
	json_decref(rec);
	p->c = xrealloc(p->c, (p->n + 1) * sizeof(*p->c));
	p->c[p->n++] = c;
	return GR_OK;
}

static int
plan_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct plan *p = arg;
	const char *scope = str(p->req, "scope"), *name = str(p->req, "name"),
		   *expr = str(p->req, "source_replica_expression");
	char kbuf[KEY_MAX];
	size_t klen;

	plan_free(p);
	p->t = t;
	if ((p->dest = rse_live_name(t, str(p->req, "dest_rse_id"))) == NULL)
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "the destination RSE is gone");
	if (expr != NULL && *expr != '\0' &&
	    rse_expr_eval(t, expr, &p->allowed, err) != GR_OK) {
		/* an expression that selects nothing allows no source */
		gr_clear(err);
		p->allowed = json_array();
	}
	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	return st_scan(t, TBL_REPLICAS, kbuf, klen, NULL, cand_one, p, err);
}

static int
cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	return strcmp(a->rse, b->rse);
}

/* --- one transfer --------------------------------------------------- */

struct job {
	json_t *req; /* borrowed */
	char *dest;  /* the destination RSE's name */
	char *dst_pfn;
	char *source; /* the source RSE's name, once chosen */
	json_t *dproto;
};

static void
job_free(struct job *j)
{
	free(j->dest);
	free(j->dst_pfn);
	free(j->source);
	json_decref(j->dproto);
}

/* Copy the request's file to its destination, from the source its
   attempt's turn names among the nearest ones. */
static int
perform(struct xfer *x, struct job *j, struct gr_err *err)
{
	struct plan p = { .req = j->req };
	const char *scope = str(j->req, "scope"), *name = str(j->req, "name");
	struct xfer_sum want = { .bytes = -1 };
	struct xfer_rse srs, drs;
	json_t *sproto = NULL;
	char *src_pfn = NULL;
	size_t i, first;
	int rc;

	if ((rc = st_view(plan_txn, &p, 0, err)) != GR_OK)
		goto out;
	j->dest = xstrdup(p.dest);
	if (p.n == 0) {
		rc = gr_fail(err, GR_SOURCE_NOT_FOUND,
		    "no source: no AVAILABLE replica of %s:%s elsewhere%s",
		    scope, name,
		    str(j->req, "source_replica_expression") != NULL
			? " within the source_replica_expression"
			: "");
		goto out;
	}
	qsort(p.c, p.n, sizeof(*p.c), cmp_cand);
	if ((rc = pfn_proto(j->dest, "write", &j->dproto, err)) != GR_OK ||
	    (rc = pfn_make(j->dest, j->dproto, "write", scope, name, NULL,
		 &j->dst_pfn, err)) != GR_OK)
		goto out;
	/* the nearest first; a retry turns to the next one */
	first = (size_t)json_integer_value(
		    json_object_get(j->req, "attempts")) %
	    p.n;
	for (i = 0; i < p.n; i++) {
		struct cand *c = &p.c[(first + i) % p.n];

		json_decref(sproto);
		sproto = NULL;
		free(src_pfn);
		src_pfn = NULL;
		gr_clear(err);
		if ((rc = pfn_proto(c->rse, "read", &sproto, err)) == GR_OK &&
		    (rc = pfn_make(c->rse, sproto, "read", scope, name, c->path,
			 &src_pfn, err)) == GR_OK) {
			j->source = xstrdup(c->rse);
			break;
		}
	}
	if (rc != GR_OK)
		goto out;
	if (json_is_integer(json_object_get(j->req, "bytes")))
		want.bytes = json_integer_value(
		    json_object_get(j->req, "bytes"));
	if (str(j->req, "adler32") != NULL)
		(void)snprintf(want.adler32, sizeof(want.adler32), "%s",
		    str(j->req, "adler32"));
	if (str(j->req, "md5") != NULL)
		(void)snprintf(want.md5, sizeof(want.md5), "%s",
		    str(j->req, "md5"));
	pfn_settings(sproto, &srs);
	pfn_settings(j->dproto, &drs);
	rc = xfer_copy(x, src_pfn, &srs, j->dst_pfn, &drs, &want, 0, NULL, err);
out:
	json_decref(sproto);
	free(src_pfn);
	plan_free(&p);
	return rc;
}

/* --- ending a request ----------------------------------------------- */

static int
set_replica(const char *rse, const char *scope, const char *name,
    const char *state, const char *error, struct gr_err *err)
{
	json_t *files = json_pack("[{s:s, s:s, s:s, s:s?}]", "scope", scope,
	    "name", name, "state", state, "error_message", error);
	int rc = replica_update(MOVER_ISSUER, rse, files, err);

	json_decref(files);
	return rc;
}

struct fail_args {
	const char *key;
	size_t klen;
	const char *error, *source;
	long attempts, retry;
	int64_t now;
	bool last, gone;
};

/* A failed attempt: counted, with its reason; queued again after the
   back-off unless it was the last. */
static int
fail_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct fail_args *a = arg;
	DBT k = st_dbt(a->key, a->klen);
	json_t *req = NULL;
	json_int_t n;
	int ret;

	a->last = a->gone = false;
	ret = st_get_json(t, TBL_REQUESTS, &k, &req, DB_RMW);
	if (ret == DB_NOTFOUND) {
		a->gone = true; /* its rule went meanwhile */
		return GR_OK;
	}
	if (ret != 0)
		return st_fail(err, ret);
	n = json_integer_value(json_object_get(req, "attempts")) + 1;
	json_object_set_new(req, "attempts", json_integer(n));
	json_object_set_new(req, "last_error", json_string(a->error));
	json_object_set_new(req, "last_time", json_integer(a->now));
	json_object_set_new(req, "updated_at", json_integer(a->now));
	if (a->source != NULL)
		json_object_set_new(req, "last_source", json_string(a->source));
	if (n >= a->attempts)
		a->last = true; /* FAILED by the replica's change below */
	else {
		json_object_set_new(req, "state", json_string("Q"));
		json_object_set_new(req, "next_at",
		    json_integer(a->now + ((json_int_t)a->retry << (n - 1))));
	}
	ret = st_put_json(t, TBL_REQUESTS, &k, req, 0);
	json_decref(req);
	return ret == 0 ? GR_OK : st_fail(err, ret);
}

int
mover_step(struct xfer *x, bool *worked, int64_t *wait, struct gr_err *err)
{
	struct claim c = { .next = -1 };
	struct job j = { 0 };
	struct gr_err why = { 0 };
	struct fail_args f = { 0 };
	int rc;

	*worked = false;
	*wait = -1;
	c.now = time_now();
	if ((rc = st_txn_run(claim_txn, &c, err)) != GR_OK)
		goto out;
	if (c.key == NULL) {
		if (c.next >= 0)
			*wait = c.next > c.now ? c.next - c.now : 0;
		goto out;
	}
	*worked = true;
	j.req = c.req;
	if (perform(x, &j, &why) == GR_OK) {
		rc = set_replica(j.dest, str(c.req, "scope"),
		    str(c.req, "name"), "A", NULL, err);
		if (rc == GR_OK)
			goto out;
		gr_clear(&why);
		if (rc == GR_REPLICA_NOT_FOUND || rc == GR_RSE_NOT_FOUND) {
			/* no replica to make AVAILABLE (its rule went
			   meanwhile): the copy is nobody's */
			struct xfer_rse drs;

			log_msg(LOG_INFO, "mover: %s:%s on %s: %s; removed",
			    str(c.req, "scope"), str(c.req, "name"), j.dest,
			    err->msg);
			pfn_settings(j.dproto, &drs);
			(void)xfer_delete(x, j.dst_pfn, &drs, &why);
			gr_clear(err);
			rc = GR_OK;
			goto out;
		}
		/* the copy is there, its record not: an attempt to repeat */
		(void)gr_fail(&why, (enum gr_code)rc, "%s", err->msg);
		gr_clear(err);
		rc = GR_OK;
	}
	f.key = c.key;
	f.klen = c.klen;
	f.error = why.msg;
	f.source = j.source;
	f.attempts = env_long("GRIDREST_MOVER_ATTEMPTS", 3, 1, 100);
	f.retry = env_long("GRIDREST_MOVER_RETRY", 1, 0, 3600);
	f.now = time_now();
	log_msg(LOG_INFO, "mover: %s:%s to %s: %s", str(c.req, "scope"),
	    str(c.req, "name"), j.dest != NULL ? j.dest : "?", why.msg);
	if ((rc = st_txn_run(fail_txn, &f, err)) != GR_OK || !f.last ||
	    j.dest == NULL)
		goto out;
	/* the last attempt: the replica UNAVAILABLE, its locks STUCK, the
	   reason in their rules' error */
	if (set_replica(j.dest, str(c.req, "scope"), str(c.req, "name"), "U",
		why.msg, err) != GR_OK) {
		log_msg(LOG_WARN, "mover: %s:%s on %s: %s", str(c.req, "scope"),
		    str(c.req, "name"), j.dest, err->msg);
		gr_clear(err);
	}
out:
	job_free(&j);
	claim_reset(&c);
	return rc;
}

/* --- requeueing, the mover's life ----------------------------------- */

struct requeue {
	struct sbuf keys; /* the claimed requests' keys, each NUL-ended */
	long n;
};

static int
requeue_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct requeue *q = arg;
	unsigned char len[2] = { (unsigned char)(pkey->size >> 8),
		(unsigned char)pkey->size };

	(void)key;
	(void)val;
	sbuf_add(&q->keys, (const char *)len, 2);
	sbuf_add(&q->keys, pkey->data, pkey->size);
	q->n++;
	return GR_OK;
}

static int
requeue_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct requeue *q = arg;
	int64_t now = time_now();
	size_t off = 0, len;
	json_t *req;
	int rc, ret;
	DBT k;

	q->keys.len = 0;
	q->n = 0;
	if ((rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, "S", 1, requeue_one, q,
		 err)) != GR_OK)
		return rc;
	while (off + 2 <= q->keys.len) {
		len = (size_t)(unsigned char)q->keys.s[off] << 8 |
		    (unsigned char)q->keys.s[off + 1];
		k = st_dbt(q->keys.s + off + 2, len);
		off += 2 + len;
		if ((ret = st_get_json(t, TBL_REQUESTS, &k, &req, DB_RMW)) != 0)
			return st_fail(err, ret);
		json_object_set_new(req, "state", json_string("Q"));
		json_object_set_new(req, "updated_at", json_integer(now));
		ret = st_put_json(t, TBL_REQUESTS, &k, req, 0);
		json_decref(req);
		if (ret != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

int
mover_requeue(long *n, struct gr_err *err)
{
	struct requeue q = { { 0 }, 0 };
	int rc = st_txn_run(requeue_txn, &q, err);

	*n = q.n;
	sbuf_free(&q.keys);
	return rc;
}

static int
lock_open(void)
{
	char path[PATH_MAX];

	if (st_dir() == NULL ||
	    snprintf(path, sizeof(path), "%s/" MOVER_LOCK, st_dir()) >=
		(int)sizeof(path))
		return -1;
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

bool
mover_running(void)
{
	int fd = lock_open();
	bool yes;

	if (fd < 0)
		return false;
	/* a shared lock is refused only while a mover holds its own */
	yes = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	(void)close(fd);
	return yes;
}

static int
queued_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	*(bool *)arg = false;
	return st_scan_key(t, TBL_REQUESTS_BY_STATE, "Q", 1, st_scan_found, arg,
	    err);
}

static void
on_term(int sig)
{
	(void)sig;
	mover_stop = 1;
}

static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

int
mover_main(void)
{
	struct sigaction sa;
	struct gr_err err = { 0 };
	struct xfer *x = NULL;
	int64_t wait, idle_since;
	long idle = env_long("GRIDREST_MOVER_IDLE", 10, 0, 86400), n;
	bool worked, queued;
	char pid[24];
	int fd, rc = 0, len;

	/* one mover: whoever started another first has the lock */
	if ((fd = lock_open()) < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (fd >= 0)
			(void)close(fd);
		return 0;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)len, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	/* what a killed mover had claimed is taken again */
	if (mover_requeue(&n, &err) != GR_OK) {
		log_msg(LOG_ERR, "mover: %s", err.msg);
		rc = 1;
		goto out;
	}
	if (n > 0)
		log_msg(LOG_INFO,
		    "mover: %ld requests of a previous mover "
		    "queued again",
		    n);
	x = xfer_new();
	idle_since = time_now();
	while (!mover_stop && !st_stale()) {
		gr_clear(&err);
		if (mover_step(x, &worked, &wait, &err) != GR_OK) {
			log_msg(LOG_ERR, "mover: %s", err.msg);
			if (st_must_exit()) {
				rc = 1;
				break;
			}
			nap(1000);
			continue;
		}
		if (worked || wait >= 0)
			idle_since = time_now();
		if (worked)
			continue;
		if (wait >= 0) {
			nap(wait > 0 ? 1000 : MOVER_TICK_MS);
			continue;
		}
		if (time_now() - idle_since < idle) {
			nap(MOVER_TICK_MS);
			continue;
		}
		/*
		 * Leave: the lock first, then one more look, so that a request
		 * queued by someone who saw the lock still held is not left
		 * behind (who queues after this look finds no mover and
		 * starts one).
		 */
		(void)flock(fd, LOCK_UN);
		gr_clear(&err);
		if (st_view(queued_txn, &queued, 0, &err) == GR_OK && queued &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0) {
			idle_since = time_now();
			continue;
		}
		break;
	}
out:
	xfer_free(x);
	(void)close(fd);
	return rc;
}

/* --- starting it ---------------------------------------------------- */

void
mover_note(void)
{
	noted = true;
}

void
mover_kick_noted(void)
{
	if (!noted)
		return;
	noted = false;
	mover_kick();
}

static void
mover_exec(void *arg)
{
	const char *path = arg;
	char *argv[] = { (char *)(uintptr_t) "gridrest-mover", NULL };

	if (strchr(path, '/') != NULL)
		execv(path, argv);
	else
		execvp(path, argv);
	_exit(127);
}

static void
ignore_term(int sig)
{
	(void)sig;
}

void
mover_kick(void)
{
	const char *on = getenv("GRIDREST_MOVER_START"), *path;
	char buf[PATH_MAX];
	int e;

	if ((on != NULL && strcmp(on, "0") == 0) || st_dir() == NULL ||
	    mover_running())
		return;
	/* GRIDREST_MOVER_EXEC, else beside this program (tool_path) */
	path = getenv("GRIDREST_MOVER_EXEC");
	if (path == NULL || *path == '\0')
		path = tool_path("gridrest-mover", buf, sizeof(buf))
		    ? buf
		    : "gridrest-mover";
	/* a process of its own, exec'd: nothing of this one's but the
	   environment */
	if ((e = detach_run("gridrest-mover", ignore_term, st_after_fork,
		 mover_exec, (void *)(uintptr_t)path)) != 0)
		log_msg(LOG_ERR, "mover: cannot start %s: %s", path,
		    strerror(e));
}
