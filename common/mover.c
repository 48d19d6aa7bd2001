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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "jsonx.h"
#include "log.h"
#include "mover.h"
#include "pfn.h"
#include "proc.h"
#include "replica.h"
#include "rse.h"
#include "rse_expr.h"
#include "store.h"
#include "store_guard.h"
#include "util.h"
#include "xfer.h"

#define MOVER_LOCK        "mover.lock"
#define MOVER_TICK_MS     200
#define MOVER_LINGER_MS   2000 /* a worker without work leaves */
#define MOVER_WORKERS_MAX 64
#define MOVER_FAR         ((json_int_t)1 << 40) /* no distance known */
#define MOVER_ISSUER      "root" /* the replicas' state changes: an admin's */
#define MOVER_SCAN        4096   /* queued requests a batch looks through */

static bool noted; /* a transaction of this process queued a request */

/* --- claiming ------------------------------------------------------ */

/* A worker copying to a destination: one (destination, pid) of the
   claimed requests. */
struct busy {
	char dest[RSE_ID_LEN + 1];
	long pid;
};

struct cand {
	char *rse;  /* its name */
	char *path; /* the replica's stored path (non-deterministic), or NULL */
	json_int_t distance;
};

/* One claimed request and what becomes of it. */
struct item {
	char *key; /* TBL_REQUESTS's key, malloc'ed */
	size_t klen;
	json_t *req;     /* as claimed */
	json_t *allowed; /* source_replica_expression's RSE names, or NULL */
	struct cand *c;  /* the sources, nearest first */
	size_t nc;
	char *source; /* the chosen source's name */
	char *src_pfn, *dst_pfn;
	long stage; /* its index among the staged copies, or -1 */
	int rc;     /* GR_OK: copied */
	struct gr_err why;
};

/* A source RSE's protocol and the PFNs of the batch's files on it. */
struct srcrse {
	char *rse;
	json_t *proto; /* NULL: rc, err say why */
	json_t *pfns;  /* {"scope:name": pfn}, made when first needed */
	int rc;
	struct gr_err err;
};

/* The requests one worker claims at once: all to one destination. */
struct batch {
	int64_t now;
	int64_t next; /* the earliest due time of the others; -1 none */
	long self;    /* the claiming process */
	long per_rse; /* workers one destination may have */
	size_t max_n;
	int64_t max_bytes, bytes;
	char dest_id[RSE_ID_LEN + 1];
	struct item *it;
	size_t n;
	struct busy *busy;
	size_t nbusy;
	size_t scanned;
	bool blocked; /* due requests left for a destination at its limit */
	/* the plan */
	struct st_txn *t;
	char *dest; /* the destination's name */
	json_t *dproto;
	struct srcrse *src;
	size_t nsrc;
};

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A member of a stored record that is a string without escapes (an RSE
   id), into out (size n); false if it is not one. */
static bool
member_str(const DBT *val, const char *key, char *out, size_t n)
{
	const char *v;
	size_t vl;

	if (!jsonx_member(val->data, val->size, key, &v, &vl) || vl < 2 ||
	    v[0] != '"' || v[vl - 1] != '"' || vl - 2 >= n ||
	    memchr(v + 1, '\\', vl - 2) != NULL)
		return false;
	memcpy(out, v + 1, vl - 2);
	out[vl - 2] = '\0';
	return true;
}

static long long
member_int(const DBT *val, const char *key, long long def)
{
	const char *v;
	size_t vl;
	long long out;

	if (jsonx_member(val->data, val->size, key, &v, &vl) &&
	    jsonx_member_int(v, vl, &out))
		return out;
	return def;
}

static void
cands_free(struct item *it)
{
	size_t i;

	for (i = 0; i < it->nc; i++) {
		free(it->c[i].rse);
		free(it->c[i].path);
	}
	free(it->c);
	it->c = NULL;
	it->nc = 0;
	json_decref(it->allowed);
	it->allowed = NULL;
}

static void
batch_plan_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		cands_free(&b->it[i]);
	for (i = 0; i < b->nsrc; i++) {
		free(b->src[i].rse);
		json_decref(b->src[i].proto);
		json_decref(b->src[i].pfns);
	}
	free(b->src);
	b->src = NULL;
	b->nsrc = 0;
	free(b->dest);
	b->dest = NULL;
	json_decref(b->dproto);
	b->dproto = NULL;
}

static void
batch_reset(struct batch *b)
{
	size_t i;

	batch_plan_free(b);
	for (i = 0; i < b->n; i++) {
		free(b->it[i].key);
		json_decref(b->it[i].req);
		free(b->it[i].source);
		free(b->it[i].src_pfn);
		free(b->it[i].dst_pfn);
	}
	free(b->it);
	b->it = NULL;
	b->n = 0;
	free(b->busy);
	b->busy = NULL;
	b->nbusy = 0;
	b->next = -1;
	b->bytes = 0;
	b->scanned = 0;
	b->blocked = false;
	b->dest_id[0] = '\0';
}

/* Each claimed request names its destination and its mover. */
static int
busy_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct batch *b = arg;
	struct busy w;
	size_t i;

	(void)key;
	(void)pkey;
	if (!member_str(val, "dest_rse_id", w.dest, sizeof(w.dest)))
		return GR_OK;
	w.pid = (long)member_int(val, "mover", 0);
	for (i = 0; i < b->nbusy; i++)
		if (b->busy[i].pid == w.pid &&
		    strcmp(b->busy[i].dest, w.dest) == 0)
			return GR_OK;
	b->busy = xrealloc(b->busy, (b->nbusy + 1) * sizeof(*b->busy));
	b->busy[b->nbusy++] = w;
	return GR_OK;
}

/* How many other workers copy to dest. */
static long
busy_count(const struct batch *b, const char *dest)
{
	long n = 0;
	size_t i;

	for (i = 0; i < b->nbusy; i++)
		if (b->busy[i].pid != b->self &&
		    strcmp(b->busy[i].dest, dest) == 0)
			n++;
	return n;
}

/*
 * The queue in key order: the first due request whose destination has
 * fewer than per_rse workers opens the batch; the due ones to the same
 * destination after it join it, up to max_n requests and max_bytes (a
 * larger file goes alone).
 */
static int
claim_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct batch *b = arg;
	int64_t at = member_int(val, "next_at", 0), size;
	char dest[RSE_ID_LEN + 1];
	struct item *it;

	(void)key;
	b->scanned++;
	if (at > b->now) {
		if (b->next < 0 || at < b->next)
			b->next = at;
		goto next;
	}
	if (!member_str(val, "dest_rse_id", dest, sizeof(dest)))
		goto next;
	if (b->n == 0) {
		if (busy_count(b, dest) >= b->per_rse) {
			b->blocked = true;
			goto next;
		}
		memcpy(b->dest_id, dest, sizeof(dest));
	} else if (strcmp(dest, b->dest_id) != 0)
		goto next;
	size = member_int(val, "bytes", 0);
	if (b->n > 0 && b->bytes + size > b->max_bytes)
		return ST_STOP;
	b->it = xrealloc(b->it, (b->n + 1) * sizeof(*b->it));
	it = &b->it[b->n++];
	memset(it, 0, sizeof(*it));
	it->key = xmalloc(pkey->size);
	memcpy(it->key, pkey->data, pkey->size);
	it->klen = pkey->size;
	it->stage = -1;
	b->bytes += size;
	if (b->n >= b->max_n || b->bytes >= b->max_bytes)
		return ST_STOP;
next:
	/* a batch begun stops looking far for more of its kind */
	return b->n > 0 && b->scanned > MOVER_SCAN ? ST_STOP : GR_OK;
}

/* The batch's requests become S (submitted), with this pid. */
static int
claim_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct batch *b = arg;
	size_t i;
	int rc, ret;
	DBT k;

	batch_reset(b);
	if ((rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, "S", 1, busy_one, b,
		 err)) != GR_OK ||
	    (rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, "Q", 1, claim_one, b,
		 err)) != GR_OK)
		return rc;
	for (i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];

		k = st_dbt(it->key, it->klen);
		if ((ret = st_get_json(t, TBL_REQUESTS, &k, &it->req,
			 DB_RMW)) != 0)
			return st_fail(err, ret);
		json_object_set_new(it->req, "state", json_string("S"));
		json_object_set_new(it->req, "submitted_at",
		    json_integer(b->now));
		json_object_set_new(it->req, "updated_at",
		    json_integer(b->now));
		json_object_set_new(it->req, "mover", json_integer(b->self));
		if ((ret = st_put_json(t, TBL_REQUESTS, &k, it->req, 0)) != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

/* --- choosing a source ---------------------------------------------- */

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

struct cand_args {
	struct batch *b;
	struct item *it;
};

/* A replica of the request's file: a source when AVAILABLE elsewhere. */
static int
cand_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct cand_args *a = arg;
	struct item *it = a->it;
	const char *idp, *dest = a->b->dest_id,
			 *only = str(it->req, "source_rse_id");
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
	if (strcmp(id, dest) == 0 || (only != NULL && strcmp(id, only) != 0))
		return GR_OK;
	rec = json_loadb(val->data, val->size, 0, NULL);
	if (rec == NULL || str(rec, "state") == NULL ||
	    strcmp(str(rec, "state"), "A") != 0 ||
	    (c.rse = rse_live_name(a->b->t, id)) == NULL ||
	    (it->allowed != NULL && !allowed(it->allowed, c.rse))) {
		free(c.rse);
		json_decref(rec);
		return GR_OK;
	}
	if (str(rec, "path") != NULL)
		c.path = xstrdup(str(rec, "path"));
	dk = st_dbt(kbuf, key_join(kbuf, sizeof(kbuf), id, dest, (char *)NULL));
	if (st_get_json(a->b->t, TBL_RSE_DISTANCES, &dk, &d, 0) == 0 &&
	    json_is_integer(json_object_get(d, "distance")))
		c.distance = json_integer_value(json_object_get(d, "distance"));
	json_decref(d);
	json_decref(rec);
	it->c = xrealloc(it->c, (it->nc + 1) * sizeof(*it->c));
	it->c[it->nc++] = c;
	return GR_OK;
}

/* The destination's name and every request's sources, in one view. */
static int
plan_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct batch *b = arg;
	struct cand_args a = { b, NULL };
	char kbuf[KEY_MAX];
	size_t klen, i;
	int rc;

	batch_plan_free(b);
	b->t = t;
	if ((b->dest = rse_live_name(t, b->dest_id)) == NULL)
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "the destination RSE is gone");
	for (i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];
		const char *expr = str(it->req, "source_replica_expression");

		a.it = it;
		if (expr != NULL && *expr != '\0' &&
		    rse_expr_eval(t, expr, &it->allowed, err) != GR_OK) {
			/* an expression that selects nothing allows no
			   source */
			gr_clear(err);
			it->allowed = json_array();
		}
		klen = key_join(kbuf, sizeof(kbuf), str(it->req, "scope"),
		    str(it->req, "name"), "", (char *)NULL);
		if ((rc = st_scan(t, TBL_REPLICAS, kbuf, klen, NULL, cand_one,
			 &a, err)) != GR_OK)
			return rc;
	}
	return GR_OK;
}

static int
cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->distance != b->distance)
		return a->distance < b->distance ? -1 : 1;
	return strcmp(a->rse, b->rse);
}

/* --- protocols and PFNs --------------------------------------------- */

static char *
lfn_of(const json_t *req)
{
	struct sbuf b = { 0 };

	sbuf_adds(&b, str(req, "scope"));
	sbuf_adds(&b, ":");
	sbuf_adds(&b, str(req, "name"));
	return b.s;
}

/* The same as a new JSON string, for an lfns2pfns list. */
static json_t *
lfn_json(const json_t *req)
{
	char *lfn = lfn_of(req);
	json_t *s = json_string_nocheck(lfn);

	free(lfn);
	return s;
}

/* --- one batch ----------------------------------------------------- */

/* The PFNs of every file of the batch on rse through proto (one
   lfns2pfns for them all): those whose candidates name rse without a
   stored path. */
static int
batch_pfns(struct batch *b, const char *rse, const json_t *proto,
    const char *op, json_t **out, struct gr_err *err)
{
	json_t *lfns = json_array();
	size_t i, j;
	int rc = GR_OK;

	*out = NULL;
	for (i = 0; i < b->n; i++)
		for (j = 0; j < b->it[i].nc; j++)
			if (b->it[i].c[j].path == NULL &&
			    strcmp(b->it[i].c[j].rse, rse) == 0) {
				json_array_append_new(lfns,
				    lfn_json(b->it[i].req));
				break;
			}
	if (json_array_size(lfns) > 0)
		rc = rse_lfns2pfns(rse, lfns, str(proto, "scheme"), "wan", op,
		    out, err);
	else
		*out = json_object();
	json_decref(lfns);
	return rc;
}

/* The source RSE rse's protocol and PFNs, found once a batch. */
static struct srcrse *
source_of(struct batch *b, const char *rse)
{
	struct srcrse *s;
	size_t i;

	for (i = 0; i < b->nsrc; i++)
		if (strcmp(b->src[i].rse, rse) == 0)
			return &b->src[i];
	b->src = xrealloc(b->src, (b->nsrc + 1) * sizeof(*b->src));
	s = &b->src[b->nsrc++];
	memset(s, 0, sizeof(*s));
	s->rse = xstrdup(rse);
	if ((s->rc = pfn_proto(rse, "read", &s->proto, &s->err)) == GR_OK &&
	    (s->rc = batch_pfns(b, rse, s->proto, "read", &s->pfns, &s->err)) !=
		GR_OK) {
		json_decref(s->proto);
		s->proto = NULL;
	}
	return s;
}

/* Choose the item's source, the nearest first (a retry turns to the next
   one), and its PFN; *proto borrowed from the batch. */
static int
choose(struct batch *b, struct item *it, const json_t **proto,
    struct gr_err *err)
{
	size_t i, first;
	char *lfn;
	int rc = GR_OK;

	if (it->nc == 0)
		return gr_fail(err, GR_SOURCE_NOT_FOUND,
		    "no source: no AVAILABLE replica of %s:%s elsewhere%s",
		    str(it->req, "scope"), str(it->req, "name"),
		    str(it->req, "source_replica_expression") != NULL
			? " within the source_replica_expression"
			: "");
	qsort(it->c, it->nc, sizeof(*it->c), cmp_cand);
	first = (size_t)json_integer_value(
		    json_object_get(it->req, "attempts")) %
	    it->nc;
	lfn = lfn_of(it->req);
	for (i = 0; i < it->nc; i++) {
		struct cand *c = &it->c[(first + i) % it->nc];
		struct srcrse *s = source_of(b, c->rse);
		const char *pfn;

		gr_clear(err);
		if (s->proto == NULL) {
			rc = gr_fail(err, (enum gr_code)s->rc, "%s",
			    s->err.msg);
			continue;
		}
		if (c->path != NULL) {
			if ((rc = pfn_make(c->rse, s->proto, "read",
				 str(it->req, "scope"), str(it->req, "name"),
				 c->path, &it->src_pfn, err)) != GR_OK)
				continue;
		} else if ((pfn = str(s->pfns, lfn)) != NULL)
			it->src_pfn = xstrdup(pfn);
		else {
			rc = gr_fail(err, GR_INVALID_PATH,
			    "no PFN for %s on %s", lfn, c->rse);
			continue;
		}
		it->source = xstrdup(c->rse);
		*proto = s->proto;
		rc = GR_OK;
		break;
	}
	free(lfn);
	return rc;
}

/* Copy one item, a posix destination staged (XFER_STAGE). */
static void
copy_item(struct xfer *x, struct batch *b, struct item *it, const json_t *dpfns)
{
	struct xfer_sum want = { .bytes = -1 };
	struct xfer_rse srs, drs;
	const json_t *sproto = NULL;
	size_t before = xfer_staged(x);
	char *lfn = lfn_of(it->req);

	it->rc = GR_OK;
	if (str(dpfns, lfn) == NULL) {
		it->rc = gr_fail(&it->why, GR_INVALID_PATH,
		    "no PFN for %s on %s", lfn, b->dest);
		goto out;
	}
	it->dst_pfn = xstrdup(str(dpfns, lfn));
	if ((it->rc = choose(b, it, &sproto, &it->why)) != GR_OK)
		goto out;
	if (json_is_integer(json_object_get(it->req, "bytes")))
		want.bytes = json_integer_value(
		    json_object_get(it->req, "bytes"));
	if (str(it->req, "adler32") != NULL)
		(void)snprintf(want.adler32, sizeof(want.adler32), "%s",
		    str(it->req, "adler32"));
	if (str(it->req, "md5") != NULL)
		(void)snprintf(want.md5, sizeof(want.md5), "%s",
		    str(it->req, "md5"));
	pfn_settings(sproto, &srs);
	pfn_settings(b->dproto, &drs);
	it->rc = xfer_copy(x, it->src_pfn, &srs, it->dst_pfn, &drs, &want,
	    XFER_STAGE, NULL, &it->why);
	if (it->rc == GR_OK && xfer_staged(x) > before)
		it->stage = (long)before;
out:
	free(lfn);
}

/* Copy the batch: the destination's protocol and PFNs once, then each
   file; the staged ones committed together. */
static int
perform(struct xfer *x, struct batch *b, struct gr_err *err)
{
	json_t *dpfns = NULL, *lfns;
	struct gr_err *errs;
	size_t i, ns;
	int rc;

	if ((rc = st_view(plan_txn, b, 0, err)) != GR_OK)
		return rc;
	lfns = json_array();
	for (i = 0; i < b->n; i++)
		json_array_append_new(lfns, lfn_json(b->it[i].req));
	if ((rc = pfn_proto(b->dest, "write", &b->dproto, err)) == GR_OK)
		rc = rse_lfns2pfns(b->dest, lfns, str(b->dproto, "scheme"),
		    "wan", "write", &dpfns, err);
	json_decref(lfns);
	if (rc != GR_OK)
		return rc; /* every item fails with err */
	for (i = 0; i < b->n; i++)
		copy_item(x, b, &b->it[i], dpfns);
	json_decref(dpfns);
	if ((ns = xfer_staged(x)) == 0)
		return GR_OK;
	errs = xcalloc(ns, sizeof(*errs));
	(void)xfer_commit(x, errs);
	for (i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];

		if (it->stage >= 0 && errs[it->stage].code != GR_OK) {
			it->rc = errs[it->stage].code;
			it->why = errs[it->stage];
		}
	}
	free(errs);
	return GR_OK;
}

/* --- ending the requests -------------------------------------------- */

static int
set_replicas(const char *rse, json_t *files, struct gr_err *err)
{
	int rc = replica_update(MOVER_ISSUER, rse, files, err);

	json_decref(files);
	return rc;
}

static int
set_replica(const char *rse, const char *scope, const char *name,
    const char *state, const char *error, struct gr_err *err)
{
	return set_replicas(rse,
	    json_pack("[{s:s, s:s, s:s, s:s?}]", "scope", scope, "name", name,
		"state", state, "error_message", error),
	    err);
}

/* Change the stored request of each item that failed (or of each that
   did not): change(it, req, arg) on it, read for update; an item whose
   request went (its rule went meanwhile) is left out. */
static int
each_request(struct st_txn *t, struct batch *b, bool failed,
    void (*change)(struct item *, json_t *, void *), void *arg,
    struct gr_err *err)
{
	json_t *req = NULL;
	size_t i;
	int ret;

	for (i = 0; i < b->n; i++) {
		struct item *it = &b->it[i];
		DBT k = st_dbt(it->key, it->klen);

		if ((it->rc != GR_OK) != failed)
			continue;
		ret = st_get_json(t, TBL_REQUESTS, &k, &req, DB_RMW);
		if (ret == DB_NOTFOUND)
			continue;
		if (ret != 0)
			return st_fail(err, ret);
		change(it, req, arg);
		ret = st_put_json(t, TBL_REQUESTS, &k, req, 0);
		json_decref(req);
		req = NULL;
		if (ret != 0)
			return st_fail(err, ret);
	}
	return GR_OK;
}

struct fail_args {
	struct batch *b;
	long attempts, retry;
	int64_t now;
};

/* A failed attempt: counted, with its reason; queued again after the
   back-off unless it was the last (it->stage then -2). */
static void
fail_one(struct item *it, json_t *req, void *arg)
{
	struct fail_args *a = arg;
	json_int_t n = json_integer_value(json_object_get(req, "attempts")) + 1;

	json_object_set_new(req, "attempts", json_integer(n));
	json_object_set_new(req, "last_error", json_string(it->why.msg));
	json_object_set_new(req, "last_time", json_integer(a->now));
	json_object_set_new(req, "updated_at", json_integer(a->now));
	if (it->source != NULL)
		json_object_set_new(req, "last_source",
		    json_string(it->source));
	if (n >= a->attempts)
		it->stage = -2; /* FAILED by the replica's change */
	else {
		json_object_set_new(req, "state", json_string("Q"));
		json_object_set_new(req, "next_at",
		    json_integer(a->now + ((json_int_t)a->retry << (n - 1))));
	}
}

static int
fail_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct fail_args *a = arg;
	size_t i;

	for (i = 0; i < a->b->n; i++)
		a->b->it[i].stage = -1;
	return each_request(t, a->b, true, fail_one, a, err);
}

/* A copied file whose replica cannot become AVAILABLE: removed when its
   replica or RSE went (its rule went meanwhile), else an attempt to
   repeat (it->rc set). */
static void
done_one(struct xfer *x, struct batch *b, struct item *it)
{
	struct gr_err err = { 0 };
	struct xfer_rse drs;
	int rc = set_replica(b->dest, str(it->req, "scope"),
	    str(it->req, "name"), "A", NULL, &err);

	if (rc == GR_OK)
		return;
	if (rc == GR_REPLICA_NOT_FOUND || rc == GR_RSE_NOT_FOUND) {
		log_msg(LOG_INFO, "mover: %s:%s on %s: %s; removed",
		    str(it->req, "scope"), str(it->req, "name"), b->dest,
		    err.msg);
		pfn_settings(b->dproto, &drs);
		(void)xfer_delete(x, it->dst_pfn, &drs, &err);
		return;
	}
	it->rc = rc;
	it->why = err;
}

/* A copied file's request names its source and the copy's end, for the
   history the replica's change writes it to. */
static void
source_one(struct item *it, json_t *req, void *arg)
{
	json_object_set_new(req, "last_source", json_string(it->source));
	json_object_set_new(req, "transferred_at",
	    json_integer(*(int64_t *)arg));
}

static int
source_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	int64_t now = time_now();

	return each_request(t, arg, false, source_one, &now, err);
}

/* The copied files' replicas AVAILABLE in one change (their locks OK,
   their requests away); one by one when the change as a whole fails. */
static void
finish_done(struct xfer *x, struct batch *b)
{
	struct gr_err err = { 0 };
	json_t *files = json_array();
	size_t i, n = 0;

	for (i = 0; i < b->n; i++)
		if (b->it[i].rc == GR_OK) {
			json_array_append_new(files,
			    json_pack("{s:s, s:s, s:s}", "scope",
				str(b->it[i].req, "scope"), "name",
				str(b->it[i].req, "name"), "state", "A"));
			n++;
		}
	if (n == 0) {
		json_decref(files);
		return;
	}
	if (st_txn_run(source_txn, b, &err) != GR_OK) {
		log_msg(LOG_WARN, "mover: %s", err.msg);
		gr_clear(&err);
	}
	if (set_replicas(b->dest, files, &err) == GR_OK)
		return;
	for (i = 0; i < b->n; i++)
		if (b->it[i].rc == GR_OK)
			done_one(x, b, &b->it[i]);
}

int
mover_step(struct xfer *x, bool *worked, int64_t *wait, struct gr_err *err)
{
	struct batch b = { .next = -1 };
	struct fail_args f = { .b = &b };
	struct gr_err why = { 0 };
	size_t i;
	int rc;

	*worked = false;
	*wait = -1;
	b.now = time_now();
	b.self = (long)getpid();
	b.per_rse = cfg_env_long("GRIDREST_MOVER_PER_RSE", 2, 1, 1000);
	b.max_n = (size_t)cfg_env_long("GRIDREST_MOVER_BATCH", 100, 1, 10000);
	b.max_bytes = (int64_t)cfg_env_long("GRIDREST_MOVER_BATCH_MB", 64, 1,
			  1 << 20)
	    << 20;
	if ((rc = st_txn_run(claim_txn, &b, err)) != GR_OK)
		goto out;
	if (b.n == 0) {
		if (b.blocked)
			*wait = 0;
		else if (b.next >= 0)
			*wait = b.next > b.now ? b.next - b.now : 0;
		goto out;
	}
	*worked = true;
	if (perform(x, &b, &why) != GR_OK) {
		xfer_discard(x);
		for (i = 0; i < b.n; i++) {
			b.it[i].rc = why.code;
			b.it[i].why = why;
		}
	}
	finish_done(x, &b);
	f.attempts = cfg_env_long("GRIDREST_MOVER_ATTEMPTS", 3, 1, 100);
	f.retry = cfg_env_long("GRIDREST_MOVER_RETRY", 1, 0, 3600);
	f.now = time_now();
	for (i = 0; i < b.n; i++)
		if (b.it[i].rc != GR_OK)
			log_msg(LOG_INFO, "mover: %s:%s to %s: %s",
			    str(b.it[i].req, "scope"), str(b.it[i].req, "name"),
			    b.dest != NULL ? b.dest : "?", b.it[i].why.msg);
	if ((rc = st_txn_run(fail_txn, &f, err)) != GR_OK || b.dest == NULL)
		goto out;
	/* the last attempts: the replicas UNAVAILABLE, their locks STUCK,
	   the reasons in their rules' error */
	for (i = 0; i < b.n; i++) {
		struct item *it = &b.it[i];

		if (it->rc == GR_OK || it->stage != -2)
			continue;
		if (set_replica(b.dest, str(it->req, "scope"),
			str(it->req, "name"), "U", it->why.msg, err) != GR_OK) {
			log_msg(LOG_WARN, "mover: %s:%s on %s: %s",
			    str(it->req, "scope"), str(it->req, "name"), b.dest,
			    err->msg);
			gr_clear(err);
		}
	}
out:
	batch_reset(&b);
	return rc;
}

/* --- requeueing, the mover's life ----------------------------------- */

struct requeue {
	struct sbuf keys; /* the claimed requests' keys, length-prefixed */
	long n;
	long pid; /* only the claims of this mover (0: all) */
};

static int
requeue_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct requeue *q = arg;
	unsigned char len[2] = { (unsigned char)(pkey->size >> 8),
		(unsigned char)pkey->size };

	(void)key;
	if (q->pid != 0 && member_int(val, "mover", 0) != q->pid)
		return GR_OK;
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

static int
requeue_pid(long pid, long *n, struct gr_err *err)
{
	struct requeue q = { { 0 }, 0, pid };
	int rc = st_txn_run(requeue_txn, &q, err);

	*n = q.n;
	sbuf_free(&q.keys);
	return rc;
}

int
mover_requeue(long *n, struct gr_err *err)
{
	return requeue_pid(0, n, err);
}

bool
mover_running(void)
{
	return proc_lock_held(st_dir(), MOVER_LOCK);
}

static int
queued_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	*(bool *)arg = false;
	return st_scan_key(t, TBL_REQUESTS_BY_STATE, "Q", 1, st_scan_found, arg,
	    err);
}

/* What the queue asks of the workers (the supervisor's look). */
struct dest_due {
	char dest[RSE_ID_LEN + 1];
	long due;
};

struct demand {
	struct batch b;    /* its busy list: who copies where */
	int64_t now, next; /* next: the earliest due time; -1 none */
	struct dest_due *d;
	size_t nd;
	size_t scanned;
	bool queued;
};

static int
demand_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct demand *m = arg;
	int64_t at = member_int(val, "next_at", 0);
	char dest[RSE_ID_LEN + 1];
	size_t i;

	(void)key;
	(void)pkey;
	m->queued = true;
	if (at > m->now) {
		if (m->next < 0 || at < m->next)
			m->next = at;
	} else if (member_str(val, "dest_rse_id", dest, sizeof(dest))) {
		m->next = m->now;
		for (i = 0; i < m->nd && strcmp(m->d[i].dest, dest) != 0; i++)
			;
		if (i == m->nd) {
			m->d = xrealloc(m->d, (m->nd + 1) * sizeof(*m->d));
			memcpy(m->d[i].dest, dest, sizeof(dest));
			m->d[i].due = 0;
			m->nd++;
		}
		m->d[i].due++;
	}
	return ++m->scanned >= MOVER_SCAN ? ST_STOP : GR_OK;
}

static int
demand_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct demand *m = arg;
	int rc;

	free(m->b.busy);
	m->b.busy = NULL;
	m->b.nbusy = 0;
	free(m->d);
	m->d = NULL;
	m->nd = m->scanned = 0;
	m->next = -1;
	m->queued = false;
	if ((rc = st_scan_key(t, TBL_REQUESTS_BY_STATE, "S", 1, busy_one, &m->b,
		 err)) != GR_OK)
		return rc;
	return st_scan_key(t, TBL_REQUESTS_BY_STATE, "Q", 1, demand_one, m,
	    err);
}

/* How many more workers the due requests could keep busy: per
   destination, a worker a batch, up to the destination's limit. */
static long
demand_wanted(const struct demand *m, long per_rse, long batch)
{
	long want = 0, free_slots, need;
	size_t i;

	for (i = 0; i < m->nd; i++) {
		free_slots = per_rse - busy_count(&m->b, m->d[i].dest);
		need = (m->d[i].due + batch - 1) / batch;
		if (free_slots > 0)
			want += need < free_slots ? need : free_slots;
	}
	return want;
}

/*
 * A worker (a fork of the supervisor, its store opened anew): batch after
 * batch while there are any it may claim, then it leaves after
 * MOVER_LINGER_MS. It dies with the supervisor (PR_SET_PDEATHSIG) and
 * holds the supervisor's lock with it (the same open file), so no new
 * mover starts while a worker of the old one still copies.
 */
static void
worker(pid_t parent)
{
	struct gr_err err = { 0 };
	struct xfer *x;
	int64_t wait;
	long quiet = 0;
	bool worked;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	(void)prctl(PR_SET_NAME, "mover-worker");
	st_after_fork();
	if (st_open(cfg.home, 0, &err) != GR_OK) {
		log_msg(LOG_ERR, "mover: worker: %s", err.msg);
		_exit(1);
	}
	st_guard();
	x = xfer_new();
	while (!proc_stop && !st_stale() && quiet < MOVER_LINGER_MS) {
		gr_clear(&err);
		if (mover_step(x, &worked, &wait, &err) != GR_OK) {
			log_msg(LOG_ERR, "mover: %s", err.msg);
			if (st_must_exit())
				break;
			worked = false;
		}
		if (worked) {
			quiet = 0;
			continue;
		}
		proc_nap(MOVER_TICK_MS);
		quiet += MOVER_TICK_MS;
	}
	xfer_free(x);
	st_close();
	_exit(0);
}

struct workers {
	pid_t pid[MOVER_WORKERS_MAX];
	long n;
};

static void
spawn(struct workers *w)
{
	pid_t parent = getpid(), pid;

	if ((pid = fork()) < 0) {
		log_msg(LOG_ERR, "mover: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		worker(parent);
	w->pid[w->n++] = pid;
}

/* Reap the workers that ended; what a killed one had claimed is queued
   again at once. hang: wait for them all. */
static void
reap(struct workers *w, bool hang)
{
	struct gr_err err = { 0 };
	long i, n;
	pid_t pid;
	int status;

	while (
	    w->n > 0 && (pid = waitpid(-1, &status, hang ? 0 : WNOHANG)) > 0) {
		for (i = 0; i < w->n && w->pid[i] != pid; i++)
			;
		if (i == w->n)
			continue;
		w->pid[i] = w->pid[--w->n];
		gr_clear(&err);
		if (requeue_pid((long)pid, &n, &err) != GR_OK)
			log_msg(LOG_ERR, "mover: %s", err.msg);
		else if (n > 0)
			log_msg(LOG_WARN,
			    "mover: worker %ld ended (status %d): %ld "
			    "requests queued again",
			    (long)pid, status, n);
	}
}

/* How many of the workers have claims. */
static long
claiming(const struct demand *m, const struct workers *w)
{
	long n = 0, i;
	size_t j;

	for (i = 0; i < w->n; i++)
		for (j = 0; j < m->b.nbusy; j++)
			if (m->b.busy[j].pid == (long)w->pid[i]) {
				n++;
				break;
			}
	return n;
}

int
mover_main(void)
{
	struct gr_err err = { 0 };
	struct demand m = { .b = { .next = -1 } };
	struct workers w = { .n = 0 };
	int64_t idle_since;
	long idle = cfg_env_long("GRIDREST_MOVER_IDLE", 10, 0, 86400), n,
	     max = cfg_env_long("GRIDREST_MOVER_WORKERS", 4, 1,
		 MOVER_WORKERS_MAX),
	     per_rse = cfg_env_long("GRIDREST_MOVER_PER_RSE", 2, 1, 1000),
	     batch = cfg_env_long("GRIDREST_MOVER_BATCH", 100, 1, 10000), i;
	bool queued;
	int fd, rc = 0;

	/* one mover: whoever started another first has the lock */
	if ((fd = proc_lock_take(st_dir(), MOVER_LOCK)) < 0)
		return 0;
	proc_catch_stop();
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
	idle_since = time_now();
	/* a store recovered under it (a killed worker's successor opened
	   it) is reopened by the next call, not left: its workers copy on */
	while (!proc_stop && !st_must_exit() && !st_removed()) {
		reap(&w, false);
		gr_clear(&err);
		m.now = time_now();
		if (w.n >= max) { /* no look at the queue: no worker to add */
			idle_since = m.now;
			proc_nap(MOVER_TICK_MS);
			continue;
		}
		if (st_view(demand_txn, &m, 0, &err) != GR_OK) {
			log_msg(LOG_ERR, "mover: %s", err.msg);
			if (st_must_exit()) {
				rc = 1;
				break;
			}
			proc_nap(1000);
			continue;
		}
		/* one more worker a tick while the queue wants more than
		   the workers without claims can take */
		if (demand_wanted(&m, per_rse, batch) > w.n - claiming(&m, &w))
			spawn(&w);
		if (w.n > 0 || m.queued)
			idle_since = m.now;
		if (w.n > 0 || time_now() - idle_since < idle) {
			proc_nap(MOVER_TICK_MS);
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
	/* stopped: the workers end their batches */
	for (i = 0; i < w.n; i++)
		(void)kill(w.pid[i], SIGTERM);
	reap(&w, true);
out:
	free(m.b.busy);
	free(m.d);
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

void
mover_kick(void)
{
	const char *on = getenv("GRIDREST_MOVER_START");
	int e;

	if ((on != NULL && strcmp(on, "0") == 0) || st_dir() == NULL ||
	    mover_running())
		return;
	/* a process of its own, exec'd: nothing of this one's but the
	   environment */
	if ((e = proc_start_tool("gridrest-mover", "GRIDREST_MOVER_EXEC",
		 st_after_fork)) != 0)
		log_msg(LOG_ERR, "mover: cannot start gridrest-mover: %s",
		    strerror(e));
}
