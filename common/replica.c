/*
 * replica.c -- file replicas (core): registration (which creates the FILE
 * DIDs), state changes, removal, listing with PFNs built from the RSEs'
 * protocols, and PFN -> DID. See replica.h for the record.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "account.h"
#include "cfg.h"
#include "collection.h"
#include "date.h"
#include "did.h"
#include "jsonx.h"
#include "reaper.h"
#include "replica.h"
#include "rse.h"
#include "rse_expr.h"
#include "rule.h"
#include "tables.h"
#include "usage.h"
#include "util.h"
#include "valid.h"

static const struct {
	const char *letter, *name;
} states[] = {
	{ "A", "AVAILABLE" },
	{ "U", "UNAVAILABLE" },
	{ "C", "COPYING" },
	{ "B", "BEING_DELETED" },
	{ "D", "BAD" },
	{ "S", "SOURCE" },
	{ "T", "TEMPORARY_UNAVAILABLE" },
};

const char *
replica_state_name(const char *letter)
{
	size_t i;

	for (i = 0; letter != NULL && i < ARRAY_LEN(states); i++)
		if (strcmp(letter, states[i].letter) == 0)
			return states[i].name;
	return NULL;
}

const char *
replica_state_letter(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < ARRAY_LEN(states); i++)
		if (strcmp(s, states[i].letter) == 0 ||
		    strcmp(s, states[i].name) == 0)
			return states[i].letter;
	return NULL;
}

/* One file of a request, checked. */
struct rfile {
	const char *scope, *name, *md5, *adler32, *pfn, *state;
	const char *error_message, *path_in;
	const json_t *meta;
	json_int_t bytes;
	bool has_bytes;
	char *path; /* add: the stored path (non-deterministic RSEs) */
};

enum req_kind { REQ_ADD, REQ_UPDATE, REQ_DELETE };

static int
bad(struct gr_err *err, size_t i, const char *what)
{
	return gr_fail(err, GR_INVALID_OBJECT,
	    "Problem validating dids: item %zu: %s", i, what);
}

static const char *
opt_str(const json_t *f, const char *key)
{
	return json_string_value(json_object_get(f, key));
}

/* Check one file of a request into *rf. */
static int
parse_file(const json_t *f, size_t i, enum req_kind kind, struct rfile *rf,
    struct gr_err *err)
{
	static const char *const add_keys[] = { "scope", "name", "type", "meta",
		"rules", "bytes", "adler32", "md5", "state", "pfn" };
	const json_t *v;
	const char *key;
	size_t k;

	if (!json_is_object(f))
		return bad(err, i, "not a JSON object");
	if (kind == REQ_ADD)
		json_object_foreach(jsonx_unconst(f), key, v) {
			for (k = 0; k < ARRAY_LEN(add_keys); k++)
				if (strcmp(key, add_keys[k]) == 0)
					break;
			if (k == ARRAY_LEN(add_keys))
				return gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating dids: item %zu: "
				    "Additional properties are not allowed "
				    "('%.60s' was unexpected)",
				    i, key);
		}
	memset(rf, 0, sizeof(*rf));
	rf->scope = opt_str(f, "scope");
	rf->name = opt_str(f, "name");
	if (rf->scope == NULL || !valid_scope(rf->scope))
		return bad(err, i, "'scope' must match ^[a-zA-Z_\\-.0-9]+$");
	if (rf->name == NULL || !did_valid_name(rf->name))
		return bad(err, i,
		    "'name' must match ^[/A-Za-z0-9][/A-Za-z0-9\\.\\-_]*$ "
		    "(at most 250 characters)");
	if (kind == REQ_DELETE)
		return GR_OK;
	if ((v = json_object_get(f, "state")) != NULL) {
		rf->state = replica_state_letter(json_string_value(v));
		if (rf->state == NULL)
			return bad(err, i, "'state' is not a replica state");
	} else if (kind == REQ_UPDATE) {
		return gr_fail(err, GR_KEY_ERROR, "'state' not defined");
	}
	if (kind == REQ_UPDATE) {
		v = json_object_get(f, "path");
		if (v != NULL && !json_is_null(v) &&
		    (!json_is_string(v) || json_string_length(v) > 1024))
			return bad(err, i, "'path' must be a string");
		rf->path_in = json_string_value(v);
		v = json_object_get(f, "error_message");
		rf->error_message = json_string_value(v);
		return GR_OK;
	}
	if ((v = json_object_get(f, "bytes")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(err, i, "'bytes' must be an integer >= 0");
		rf->bytes = json_integer_value(v);
		rf->has_bytes = true;
	}
	if ((v = json_object_get(f, "adler32")) != NULL &&
	    !did_valid_adler32(json_string_value(v)))
		return bad(err, i, "'adler32' must match ^[a-fA-F\\d]{8}$");
	rf->adler32 = json_string_value(v);
	if ((v = json_object_get(f, "md5")) != NULL &&
	    !did_valid_md5(json_string_value(v)))
		return bad(err, i, "'md5' must match ^[a-fA-F\\d]{32}$");
	rf->md5 = json_string_value(v);
	if ((v = json_object_get(f, "pfn")) != NULL &&
	    (!json_is_string(v) || json_string_length(v) == 0 ||
		json_string_length(v) > 2048 ||
		strstr(json_string_value(v), "://") == NULL))
		return bad(err, i, "'pfn' must be a URL");
	rf->pfn = json_string_value(v);
	if ((v = json_object_get(f, "meta")) != NULL && !json_is_object(v))
		return bad(err, i, "'meta' must be an object");
	rf->meta = v;
	return GR_OK;
}

static int
cmp_rfile(const void *x, const void *y)
{
	const struct rfile *p = x, *q = y;
	int c = strcmp(p->scope, q->scope);

	return c != 0 ? c : strcmp(p->name, q->name);
}

/* The files of a request, checked and sorted by (scope, name); one file
   twice is Duplicate. */
static int
parse_files(const json_t *files, enum req_kind kind, struct rfile **out,
    size_t *n, struct gr_err *err)
{
	struct rfile *rf;
	size_t i, len = json_array_size(files);
	int rc;

	*out = NULL;
	*n = 0;
	if (!json_is_array(files) || len == 0 || len > REPLICA_BATCH_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: 'files' must be a list of 1 "
		    "to %d files",
		    REPLICA_BATCH_MAX);
	rf = xcalloc(len, sizeof(*rf));
	for (i = 0; i < len; i++)
		if ((rc = parse_file(json_array_get(files, i), i, kind, &rf[i],
			 err)) != GR_OK) {
			free(rf);
			return rc;
		}
	qsort(rf, len, sizeof(*rf), cmp_rfile);
	for (i = 1; i < len; i++)
		if (cmp_rfile(&rf[i - 1], &rf[i]) == 0) {
			if (kind == REQ_ADD)
				rc = gr_fail(err, GR_DUPLICATE,
				    "File replica already exists!");
			else
				rc = gr_fail(err, GR_INVALID_OBJECT,
				    "Problem validating dids: %s:%s is listed "
				    "twice",
				    rf[i].scope, rf[i].name);
			free(rf);
			return rc;
		}
	*out = rf;
	*n = len;
	return GR_OK;
}

static void
free_files(struct rfile *rf, size_t n)
{
	size_t i;

	for (i = 0; rf != NULL && i < n; i++)
		free(rf[i].path);
	free(rf);
}

static size_t
replica_key(char *buf, const char *scope, const char *name, const char *id)
{
	return key_join(buf, KEY_MAX, scope, name, id, (char *)NULL);
}

/* Rucio's generic policy: who may add replicas on rse. */
static bool
open_rse(const char *rse)
{
	static const char *const suffixes[] = { "SCRATCHDISK", "USERDISK",
		"MOCK", "LOCALGROUPDISK" };
	size_t i, n = strlen(rse);

	for (i = 0; i < ARRAY_LEN(suffixes); i++) {
		size_t s = strlen(suffixes[i]);

		if (n >= s && strcmp(rse + n - s, suffixes[i]) == 0)
			return true;
	}
	return false;
}

struct add_args {
	const char *issuer, *rse;
	struct rfile *files;
	size_t n;
	bool ignore_availability;
	enum gr_code mismatch; /* a figure disagreeing with the file's */
	struct sbuf text;      /* the record being written */
};

/* The RSE's tombstone_delay attribute: -1 none, else seconds. */
static int
tombstone_delay(struct st_txn *t, const char *rse, long long *out,
    struct gr_err *err)
{
	json_t *v;
	long n;
	int rc;

	*out = -1;
	if ((rc = rse_attr_get(t, rse, "tombstone_delay", &v, err)) != GR_OK)
		return rc;
	if (json_is_integer(v))
		*out = (long long)json_integer_value(v);
	else if (json_is_string(v) &&
	    parse_long(json_string_value(v), -(1L << 40), 1L << 40, &n) == 0)
		*out = n;
	json_decref(v);
	if (*out == 0)
		*out = -1; /* 0: no tombstone, as upstream */
	return GR_OK;
}

/* Does protocol p serve op (read, write) in either domain? */
static bool
proto_serves(const json_t *p, const char *domain, const char *op)
{
	const json_t *d = json_object_get(json_object_get(p, "domains"),
	    domain);

	return json_integer_value(json_object_get(d, op)) > 0;
}

static bool
same_scheme(const json_t *p, const char *pfn)
{
	const char *s = json_string_value(json_object_get(p, "scheme"));
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && strncmp(pfn, s, n) == 0 &&
	    strncmp(pfn + n, "://", 3) == 0;
}

/*
 * Check a file's PFN against the RSE: on a deterministic RSE it must be
 * the PFN a write protocol of its scheme builds; on the others it must
 * start with a protocol's scheme://host:port/prefix/, and the rest is the
 * stored path.
 */
static int
check_pfn(struct rfile *f, const json_t *protos, bool det, const char *rse,
    struct gr_err *err)
{
	char *path = det ? rse_hash_path(f->scope, f->name) : NULL;
	const json_t *p;
	size_t i;
	bool ok = false;

	json_array_foreach(protos, i, p) {
		char *base;
		size_t blen;

		if (!same_scheme(p, f->pfn))
			continue;
		base = rse_proto_base(p);
		blen = strlen(base);
		if (det) {
			ok = (proto_serves(p, "wan", "write") ||
				 proto_serves(p, "lan", "write")) &&
			    strncmp(f->pfn, base, blen) == 0 &&
			    strcmp(f->pfn + blen, path) == 0;
		} else if (strncmp(f->pfn, base, blen) == 0 &&
		    f->pfn[blen] != '\0') {
			free(f->path);
			f->path = xstrdup(f->pfn + blen);
			ok = true;
		}
		free(base);
		if (ok)
			break;
	}
	free(path);
	if (!ok)
		return gr_fail(err, GR_INVALID_PATH,
		    "The PFN '%.300s' of %s:%s does not match %s of RSE %s",
		    f->pfn, f->scope, f->name,
		    det ? "the PFN a write protocol builds for it"
			: "a protocol",
		    rse);
	return GR_OK;
}

/* The RSE checks of a registration; *rse_rec stays the caller's. */
static int
add_checks(struct st_txn *t, struct add_args *a, const json_t *rse_rec,
    json_t **protos, struct gr_err *err)
{
	bool admin, det, any_pfn = false;
	size_t i;
	int rc;

	*protos = NULL;
	if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin && !open_rse(a->rse))
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not add file replicas on %s.", a->issuer,
		    a->rse);
	if (json_is_true(json_object_get(rse_rec, "volatile")))
		return gr_fail(err, GR_UNSUPPORTED_OPERATION,
		    "Cannot add replicas on volatile RSE %s", a->rse);
	if (!json_is_true(json_object_get(rse_rec, "availability_write")) &&
	    !(a->ignore_availability && admin))
		return gr_fail(err, GR_UNAVAILABLE,
		    "%s is temporary unavailable for writing", a->rse);
	det = json_is_true(json_object_get(rse_rec, "deterministic"));
	for (i = 0; i < a->n; i++) {
		if (a->files[i].pfn != NULL)
			any_pfn = true;
		else if (!det)
			return gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "PFN needed for this (non deterministic) RSE %s",
			    a->rse);
	}
	if (!any_pfn)
		return GR_OK;
	if ((rc = rse_protocols(t, a->rse, protos, err)) != GR_OK)
		return rc;
	for (i = 0; i < a->n; i++)
		if (a->files[i].pfn != NULL &&
		    (rc = check_pfn(&a->files[i], *protos, det, a->rse, err)) !=
			GR_OK)
			return rc;
	return GR_OK;
}

/* A replica's figures: always its file's. */
struct figures {
	json_int_t bytes;
	char md5[33], adler32[9]; /* "": none */
};

/* Take the existing file's figures (rec) into *fig; a figure f gives
   that disagrees is FileConsistencyMismatch. */
static int
file_figures(const struct rfile *f, const json_t *rec, enum gr_code mismatch,
    struct figures *fig, struct gr_err *err)
{
	const char *md5 = json_string_value(json_object_get(rec, "md5"));
	const char *adler = json_string_value(json_object_get(rec, "adler32"));

	fig->bytes = json_integer_value(json_object_get(rec, "bytes"));
	if (f->has_bytes && f->bytes != fig->bytes)
		return gr_fail(err, mismatch,
		    "bytes mismatch for '%s:%s': %lld!=%lld", f->scope, f->name,
		    (long long)fig->bytes, (long long)f->bytes);
	if (f->adler32 != NULL && adler != NULL &&
	    strcasecmp(f->adler32, adler) != 0)
		return gr_fail(err, mismatch,
		    "adler32 mismatch for '%s:%s': %s!=%s", f->scope, f->name,
		    adler, f->adler32);
	if (f->md5 != NULL && md5 != NULL && strcasecmp(f->md5, md5) != 0)
		return gr_fail(err, mismatch,
		    "md5 mismatch for '%s:%s': %s!=%s", f->scope, f->name, md5,
		    f->md5);
	(void)snprintf(fig->md5, sizeof(fig->md5), "%s",
	    did_valid_md5(md5) ? md5 : "");
	(void)snprintf(fig->adler32, sizeof(fig->adler32), "%s",
	    did_valid_adler32(adler) ? adler : "");
	return GR_OK;
}

/* The FILE DID of f: reuse it, or create it; *fig: the replica's figures,
   the file's. The issuer must be allowed to add DIDs in its scope, as
   Rucio's generic policy asks of a replica's registration. */
static int
file_did(struct st_txn *t, struct add_args *a, struct rfile *f, int64_t now,
    const char **allowed_scope, struct figures *fig, struct gr_err *err)
{
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, f->scope, f->name));
	json_t *rec = NULL;
	int ret, rc;

	if (*allowed_scope == NULL || strcmp(*allowed_scope, f->scope) != 0) {
		if ((rc = did_may_add(t, a->issuer, f->scope, err)) != GR_OK)
			return rc;
		*allowed_scope = f->scope;
	}
	ret = st_get_json(t, TBL_DIDS, &k, &rec, 0);
	if (ret == 0) {
		const char *type = json_string_value(
		    json_object_get(rec, "type"));

		if (type == NULL || strcmp(type, "FILE") != 0)
			rc = gr_fail(err, GR_DID_EXISTS,
			    "Data Identifier already exists!");
		else
			rc = file_figures(f, rec, a->mismatch, fig, err);
		json_decref(rec);
		return rc;
	}
	if (ret != DB_NOTFOUND)
		return st_fail(err, ret);
	if (!f->has_bytes)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: %s:%s is a new file, its "
		    "'bytes' are needed",
		    f->scope, f->name);
	if (f->meta == NULL) { /* the common case: no tree to build */
		did_new_file_text(&a->text, a->issuer, f->bytes, f->md5,
		    f->adler32, now);
		ret = st_put_text(t, TBL_DIDS, &k, a->text.s, a->text.len,
		    DB_NOOVERWRITE);
	} else {
		rec = did_new_file(a->issuer, f->bytes, f->md5, f->adler32,
		    now);
		if ((rc = did_meta_apply(rec, f->meta, a->issuer, now, err)) !=
		    GR_OK) {
			json_decref(rec);
			return rc;
		}
		ret = st_put_json(t, TBL_DIDS, &k, rec, DB_NOOVERWRITE);
		json_decref(rec);
	}
	if (ret != 0)
		return st_fail(err, ret);
	if ((rc = did_created(t, f->scope, f->name, err)) != GR_OK)
		return rc;
	fig->bytes = f->bytes;
	(void)snprintf(fig->md5, sizeof(fig->md5), "%s",
	    f->md5 != NULL ? f->md5 : "");
	(void)snprintf(fig->adler32, sizeof(fig->adler32), "%s",
	    f->adler32 != NULL ? f->adler32 : "");
	return GR_OK;
}

/* A new replica's record as compact JSON text (replica.h), into out. */
static void
replica_text(struct sbuf *out, const struct rfile *f, const struct figures *fig,
    int64_t now, long long delay)
{
	out->len = 0;
	sbuf_adds(out, "{\"state\":");
	sbuf_json(out, f->state != NULL ? f->state : "A");
	sbuf_adds(out, ",\"bytes\":");
	sbuf_addi(out, (long long)fig->bytes);
	sbuf_adds(out, ",\"created_at\":");
	sbuf_addi(out, (long long)now);
	sbuf_adds(out, ",\"updated_at\":");
	sbuf_addi(out, (long long)now);
	if (fig->md5[0] != '\0') {
		sbuf_adds(out, ",\"md5\":");
		sbuf_json(out, fig->md5);
	}
	if (fig->adler32[0] != '\0') {
		sbuf_adds(out, ",\"adler32\":");
		sbuf_json(out, fig->adler32);
	}
	if (f->path != NULL) {
		sbuf_adds(out, ",\"path\":");
		sbuf_json(out, f->path);
	}
	if (delay != -1) {
		sbuf_adds(out, ",\"tombstone\":");
		sbuf_addi(out, delay < 0 ? 0 : (long long)now + delay);
	}
	sbuf_add(out, "}", 1);
}

/*
 * f became AVAILABLE on the RSE id: the requests waiting for a source of
 * it may take this one (rule.h). *wanted: -1 not known yet, 0 no request
 * waits for a source (looked up once per transaction), 1 some do.
 */
static int
source_appeared(struct st_txn *t, int *wanted, const struct rfile *f,
    const char *id, struct gr_err *err)
{
	bool yes;
	int rc;

	if (*wanted < 0) {
		if ((rc = rule_sources_wanted(t, &yes, err)) != GR_OK)
			return rc;
		*wanted = yes;
	}
	return *wanted ? rule_source_appeared(t, f->scope, f->name, id, err)
		       : GR_OK;
}

static int
add_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct add_args *a = arg;
	json_t *rse_rec = NULL, *protos = NULL;
	const char *allowed_scope = NULL;
	json_int_t nfiles = 0, nbytes = 0;
	int64_t now = time_now();
	long long delay;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	size_t i;
	int rc, ret, wanted = -1;

	if ((rc = rse_load(t, a->rse, 0, &rse_rec, err)) != GR_OK)
		return rc;
	(void)snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(rse_rec, "id")));
	rc = add_checks(t, a, rse_rec, &protos, err);
	json_decref(rse_rec);
	if (rc == GR_OK)
		rc = usage_rse_lock(t, id, err);
	json_decref(protos);
	if (rc != GR_OK ||
	    (rc = tombstone_delay(t, a->rse, &delay, err)) != GR_OK)
		return rc;
	for (i = 0; i < a->n; i++) {
		struct rfile *f = &a->files[i];
		struct figures fig;
		DBT k;

		if ((rc = file_did(t, a, f, now, &allowed_scope, &fig, err)) !=
		    GR_OK)
			return rc;
		replica_text(&a->text, f, &fig, now, delay);
		k = st_dbt(kbuf, replica_key(kbuf, f->scope, f->name, id));
		ret = st_put_text(t, TBL_REPLICAS, &k, a->text.s, a->text.len,
		    DB_NOOVERWRITE);
		if (ret == DB_KEYEXIST)
			continue; /* registered before: left as it is */
		if (ret != 0)
			return st_fail(err, ret);
		nfiles++;
		nbytes += fig.bytes;
		if ((f->state == NULL || strcmp(f->state, "A") == 0) &&
		    (rc = source_appeared(t, &wanted, f, id, err)) != GR_OK)
			return rc;
	}
	if (delay != -1 && nfiles > 0)
		reaper_note(); /* a tombstone_delay: the reaper's, once due */
	/* the counter's lock was taken up front (usage_rse_lock) */
	return nfiles == 0 ? GR_OK : usage_rse_add(t, id, nfiles, nbytes, err);
}

static int
check_rse_name(const char *rse, struct gr_err *err)
{
	if (rse == NULL || !rse_valid_name(rse))
		return gr_fail(err, GR_RSE_NOT_FOUND,
		    "RSE '%s' cannot be found", rse != NULL ? rse : "");
	return GR_OK;
}

int
replica_add(const char *issuer, const char *rse, const json_t *files,
    bool ignore_availability, struct gr_err *err)
{
	struct add_args a = { .issuer = issuer,
		.rse = rse,
		.ignore_availability = ignore_availability,
		.mismatch = GR_REPLICA_MISMATCH };
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK ||
	    (rc = parse_files(files, REQ_ADD, &a.files, &a.n, err)) != GR_OK)
		return rc;
	rc = st_txn_run(add_txn, &a, err);
	free_files(a.files, a.n);
	sbuf_free(&a.text);
	return rc;
}

int
replica_add_in(struct st_txn *t, const char *issuer, const char *rse,
    const json_t *files, struct gr_err *err)
{
	/* an attachment's mismatch is 412, as its own check says */
	struct add_args a = { .issuer = issuer,
		.rse = rse,
		.mismatch = GR_FILE_CONSISTENCY };
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK ||
	    (rc = parse_files(files, REQ_ADD, &a.files, &a.n, err)) != GR_OK)
		return rc;
	rc = add_txn(t, &a, err);
	free_files(a.files, a.n);
	sbuf_free(&a.text);
	return rc;
}

struct change_args {
	const char *issuer, *rse;
	struct rfile *files;
	size_t n;
	bool ignore_availability;
};

static int
update_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct change_args *a = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	int64_t now = time_now();
	size_t i;
	int rc, ret, wanted = -1;

	if ((rc = account_require_admin(t, a->issuer, "update replicas states",
		 err)) != GR_OK ||
	    (rc = rse_live_id(t, a->rse, id, err)) != GR_OK)
		return rc;
	for (i = 0; i < a->n; i++) {
		struct rfile *f = &a->files[i];
		DBT k = st_dbt(kbuf, replica_key(kbuf, f->scope, f->name, id));
		json_t *rec = NULL;
		const char *old;
		bool ok = true;

		ret = st_get_json(t, TBL_REPLICAS, &k, &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			return gr_fail(err, GR_REPLICA_NOT_FOUND,
			    "No row found for scope: %s name: %s rse: %s",
			    f->scope, f->name, a->rse);
		if (ret != 0)
			return st_fail(err, ret);
		old = json_string_value(json_object_get(rec, "state"));
		if (strcmp(f->state, "B") == 0)
			/* only replicas no rule holds */
			ok = json_integer_value(
				 json_object_get(rec, "lock_cnt")) == 0;
		else if (strcmp(f->state, "T") == 0)
			ok = old != NULL &&
			    (strcmp(old, "A") == 0 || strcmp(old, "T") == 0);
		if (!ok) {
			json_decref(rec);
			return gr_fail(err, GR_UNSUPPORTED_OPERATION,
			    "State %s for replica %s:%s on %s cannot be "
			    "updated",
			    replica_state_name(f->state), f->scope, f->name,
			    a->rse);
		}
		json_object_set_new(rec, "state", json_string(f->state));
		if (strcmp(f->state, "B") == 0) {
			json_object_set_new(rec, "tombstone", json_integer(0));
			reaper_note(); /* deleted at once */
		}
		if (f->path_in != NULL && *f->path_in != '\0')
			json_object_set_new(rec, "path",
			    json_string(f->path_in));
		if (f->error_message != NULL)
			json_object_set_new(rec, "error_message",
			    json_string(f->error_message));
		json_object_set_new(rec, "updated_at", json_integer(now));
		ret = st_put_json(t, TBL_REPLICAS, &k, rec, 0);
		json_decref(rec);
		if (ret != 0)
			return st_fail(err, ret);
		/* the locks on it follow (A: OK, U: STUCK), as upstream */
		if ((rc = rule_replica_state(t, f->scope, f->name, id, f->state,
			 f->error_message, err)) != GR_OK)
			return rc;
		/* and a new source for the copies that waited for one */
		if (strcmp(f->state, "A") == 0 &&
		    (rc = source_appeared(t, &wanted, f, id, err)) != GR_OK)
			return rc;
	}
	return GR_OK;
}

int
replica_update(const char *issuer, const char *rse, const json_t *files,
    struct gr_err *err)
{
	struct change_args a = { .issuer = issuer, .rse = rse };
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK ||
	    (rc = parse_files(files, REQ_UPDATE, &a.files, &a.n, err)) != GR_OK)
		return rc;
	rc = st_txn_run(update_txn, &a, err);
	free_files(a.files, a.n);
	return rc;
}

static int
delete_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct change_args *a = arg;
	char id[RSE_ID_LEN + 1], kbuf[KEY_MAX];
	json_t *rse_rec = NULL;
	json_int_t nbytes = 0;
	int64_t now = time_now();
	bool admin;
	size_t i, gone = 0;
	int rc, ret;

	if ((rc = account_is_admin(t, a->issuer, &admin, err)) != GR_OK)
		return rc;
	if (!admin || !cfg.admin_delete_replicas)
		return gr_fail(err, GR_ACCESS_DENIED,
		    "Account %s can not delete file replicas on %s.", a->issuer,
		    a->rse);
	if ((rc = rse_load(t, a->rse, 0, &rse_rec, err)) != GR_OK)
		return rc;
	(void)snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(rse_rec, "id")));
	ret = json_is_true(json_object_get(rse_rec, "availability_delete"));
	json_decref(rse_rec);
	if (!ret && !a->ignore_availability)
		return gr_fail(err, GR_UNAVAILABLE,
		    "%s is temporary unavailable for deleting", a->rse);
	for (i = 0; i < a->n; i++) {
		struct rfile *f = &a->files[i];
		DBT k = st_dbt(kbuf, replica_key(kbuf, f->scope, f->name, id));
		json_t *rec = NULL;

		ret = st_get_json(t, TBL_REPLICAS, &k, &rec, DB_RMW);
		if (ret == DB_NOTFOUND)
			return gr_fail(err, GR_REPLICA_NOT_FOUND,
			    "Replica %s:%s on %s not found", f->scope, f->name,
			    a->rse);
		if (ret != 0)
			return st_fail(err, ret);
		nbytes += json_integer_value(json_object_get(rec, "bytes"));
		json_decref(rec);
		if ((ret = st_del(t, TBL_REPLICAS, &k)) != 0)
			return st_fail(err, ret);
		/* the last replica: the file's DID and what holds it */
		if ((rc = replica_gone(t, f->scope, f->name, now, &gone,
			 err)) != GR_OK)
			return rc;
	}
	return usage_rse_add(t, id, -(json_int_t)a->n, -nbytes, err);
}

int
replica_delete(const char *issuer, const char *rse, const json_t *files,
    bool ignore_availability, struct gr_err *err)
{
	struct change_args a = { .issuer = issuer,
		.rse = rse,
		.ignore_availability = ignore_availability };
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK ||
	    (rc = parse_files(files, REQ_DELETE, &a.files, &a.n, err)) != GR_OK)
		return rc;
	rc = st_txn_run(delete_txn, &a, err);
	free_files(a.files, a.n);
	return rc;
}

/* Listing. */

/* A way to read from an RSE: a protocol in a domain. */
struct door {
	const char *domain; /* "lan" or "wan" (static) */
	char *base;         /* scheme://host:port/prefix/ */
	json_int_t prio;
};

/* What a listing knows of one RSE, looked up once per request. */
struct replica_rse {
	char id[RSE_ID_LEN + 1];
	char *name;
	bool usable; /* live, selected, readable (or availability ignored) */
	bool det, vol;
	const char *type; /* DISK or TAPE (static) */
	struct door *doors;
	size_t ndoors;
};

struct list_args {
	const struct replica_query *q;
	gr_emit_text_fn emit;
	void *ctx;
	struct st_txn *t;
	struct gr_err *err;
	json_t *selected; /* names the RSE expression selects, or NULL */
	struct replica_rse *rses;
	size_t nrses, cap;
};

static bool
wanted_scheme(const struct replica_query *q, const json_t *p)
{
	const char *s = json_string_value(json_object_get(p, "scheme"));
	const json_t *v;
	size_t i;

	if (q->schemes == NULL || json_array_size(q->schemes) == 0)
		return true;
	json_array_foreach(q->schemes, i, v) {
		if (s != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static bool
in_list(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Fill e from the store; e->usable false when it is not to be listed. */
static int
replica_rse_load(struct list_args *a, struct replica_rse *e)
{
	static const char *const both[] = { "lan", "wan" };
	const struct replica_query *q = a->q;
	json_t *rec = NULL, *protos = NULL, *p;
	const char *domains[2];
	size_t nd, i, d;
	int ret, rc;

	ret = rse_load_by_id(a->t, e->id, &rec);
	if (ret == DB_NOTFOUND)
		return GR_OK;
	if (ret != 0)
		return st_fail(a->err, ret);
	e->name = xstrdup(json_string_value(json_object_get(rec, "rse")));
	e->det = json_is_true(json_object_get(rec, "deterministic"));
	e->vol = json_is_true(json_object_get(rec, "volatile"));
	e->type = strcmp(json_string_value(json_object_get(rec, "rse_type")),
		      "TAPE") == 0
	    ? "TAPE"
	    : "DISK";
	e->usable = (a->selected == NULL || in_list(a->selected, e->name)) &&
	    (q->ignore_availability ||
		json_is_true(json_object_get(rec, "availability_read")));
	json_decref(rec);
	if (!e->usable)
		return GR_OK;
	if (q->domain != NULL && strcmp(q->domain, "all") == 0) {
		domains[0] = both[0];
		domains[1] = both[1];
		nd = 2;
	} else {
		domains[0] = q->domain != NULL && strcmp(q->domain, "lan") == 0
		    ? both[0]
		    : both[1];
		nd = 1;
	}
	if ((rc = rse_protocols(a->t, e->name, &protos, a->err)) != GR_OK)
		return rc;
	e->doors = xcalloc(json_array_size(protos) * 2 + 1, sizeof(*e->doors));
	for (d = 0; d < nd; d++)
		json_array_foreach(protos, i, p) {
			json_int_t prio = json_integer_value(
			    json_object_get(json_object_get(json_object_get(p,
								"domains"),
						domains[d]),
				"read"));

			if (prio <= 0 || !wanted_scheme(q, p))
				continue;
			e->doors[e->ndoors].domain = domains[d];
			e->doors[e->ndoors].base = rse_proto_base(p);
			e->doors[e->ndoors].prio = prio;
			e->ndoors++;
		}
	json_decref(protos);
	return GR_OK;
}

/* The entry of the RSE with id (k bytes), loaded on first use. */
static int
replica_rse_get(struct list_args *a, const char *id, size_t k,
    struct replica_rse **out)
{
	struct replica_rse *e;
	size_t i;
	int rc;

	*out = NULL;
	if (k > RSE_ID_LEN)
		return GR_OK;
	for (i = 0; i < a->nrses; i++)
		if (strncmp(a->rses[i].id, id, k) == 0 &&
		    a->rses[i].id[k] == '\0') {
			*out = &a->rses[i];
			return GR_OK;
		}
	if (a->nrses == a->cap) {
		a->cap = a->cap == 0 ? 8 : a->cap * 2;
		a->rses = xrealloc(a->rses, a->cap * sizeof(*a->rses));
	}
	e = &a->rses[a->nrses++];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, k);
	e->id[k] = '\0';
	if ((rc = replica_rse_load(a, e)) != GR_OK)
		return rc;
	*out = e;
	return GR_OK;
}

static void
replica_rses_free(struct list_args *a)
{
	size_t i, j;

	for (i = 0; i < a->nrses; i++) {
		for (j = 0; j < a->rses[i].ndoors; j++)
			free(a->rses[i].doors[j].base);
		free(a->rses[i].doors);
		free(a->rses[i].name);
	}
	free(a->rses);
}

/* One PFN of a file while its entry is built. */
struct pfn_ent {
	char *pfn;
	const struct replica_rse *rse;
	const char *domain;
	json_int_t prio;
};

static int
cmp_pfn_order(const void *x, const void *y)
{
	const struct pfn_ent *p = x, *q = y;
	int c = strcmp(p->domain, q->domain); /* lan before wan */

	if (c == 0)
		c = p->prio < q->prio ? -1 : p->prio > q->prio ? 1 : 0;
	return c != 0 ? c : strcmp(p->pfn, q->pfn);
}

static int
cmp_pfn_rse(const void *x, const void *y)
{
	const struct pfn_ent *p = x, *q = y;
	int c = strcmp(p->rse->id, q->rse->id);

	if (c == 0)
		c = p->prio < q->prio ? -1 : p->prio > q->prio ? 1 : 0;
	return c != 0 ? c : strcmp(p->pfn, q->pfn);
}

/* Shuffle the wan PFNs of the sorted p[0..n) (they follow the lan ones). */
static void
shuffle_wan(struct pfn_ent *p, size_t n)
{
	size_t w = 0, i;

	while (w < n && strcmp(p[w].domain, "wan") != 0)
		w++;
	for (i = n; i > w + 1; i--) { /* Fisher-Yates over p[w..i) */
		uint32_t r;
		size_t j;
		struct pfn_ent tmp;

		random_bytes(&r, sizeof(r));
		j = w + r % (i - w);
		tmp = p[i - 1];
		p[i - 1] = p[j];
		p[j] = tmp;
	}
}

struct file_acc {
	struct list_args *a;
	const char *scope, *name;
	char *hash;         /* the deterministic path, made on first use */
	struct sbuf states; /* "RSE":"STATE",... */
	struct pfn_ent *pfns;
	size_t npfns, cap;
};

static bool
state_wanted(const struct replica_query *q, const char *s)
{
	if (q->all_states)
		return true;
	if (strcmp(s, "A") == 0)
		return true;
	return q->unavailable && (strcmp(s, "U") == 0 || strcmp(s, "C") == 0);
}

static int
file_replica(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct file_acc *fa = arg;
	struct list_args *a = fa->a;
	const char *id, *path = NULL, *v;
	char state[2];
	struct replica_rse *e;
	json_t *rec = NULL;
	size_t k, i, vlen;
	long long when;
	int rc;

	(void)pkey;
	id = key_part(key->data, key->size, 2, &k);
	if (id == NULL || (rc = replica_rse_get(a, id, k, &e)) != GR_OK)
		return id == NULL ? GR_OK : rc;
	if (e == NULL || !e->usable)
		return GR_OK;
	/* read in place: the listing's hot path parses no record */
	if (!jsonx_member(val->data, val->size, "state", &v, &vlen) ||
	    vlen != 3)
		return GR_OK;
	state[0] = v[1];
	state[1] = '\0';
	if (!state_wanted(a->q, state))
		return GR_OK;
	if (a->q->updated_after > 0 &&
	    (!jsonx_member(val->data, val->size, "updated_at", &v, &vlen) ||
		!jsonx_member_int(v, vlen, &when) ||
		when < a->q->updated_after))
		return GR_OK;
	if (fa->states.len > 0)
		sbuf_add(&fa->states, ",", 1);
	sbuf_json(&fa->states, e->name);
	sbuf_add(&fa->states, ":", 1);
	sbuf_json(&fa->states, replica_state_name(state));
	if (!e->det && jsonx_member(val->data, val->size, "path", &v, &vlen)) {
		rec = json_loadb(v, vlen, JSON_DECODE_ANY, NULL);
		path = json_string_value(rec);
	}
	if (e->det && fa->hash == NULL)
		fa->hash = rse_hash_path(fa->scope, fa->name);
	for (i = 0; i < e->ndoors; i++) {
		const char *rel = e->det ? fa->hash : path;
		size_t n;
		char *pfn;

		if (rel == NULL)
			continue;
		n = strlen(e->doors[i].base) + strlen(rel) + 1;
		pfn = xmalloc(n);
		(void)snprintf(pfn, n, "%s%s", e->doors[i].base, rel);
		if (fa->npfns == fa->cap) {
			fa->cap = fa->cap == 0 ? 4 : fa->cap * 2;
			fa->pfns = xrealloc(fa->pfns,
			    fa->cap * sizeof(*fa->pfns));
		}
		fa->pfns[fa->npfns++] = (struct pfn_ent){ pfn, e,
			e->doors[i].domain, e->doors[i].prio };
	}
	json_decref(rec);
	return GR_OK;
}

/* Build and emit the entry of one file; named: listed even when it has
   no replica to show. */
/* Every ancestor of a DID, as "scope:name" JSON strings, each once. */
struct parents {
	struct st_txn *t;
	struct gr_err *err;
	struct sbuf list; /* "s:n","s:n",... */
	int depth;
};

static int parents_of(struct parents *p, const char *scope, const char *name);

/* The parent of a contents key (parent scope \0 name \0 child...) as
   malloc'ed *s, *n and "s:n" (returned), or NULL. */
static char *
parent_lfn(const DBT *pkey, char **s, char **n)
{
	size_t len;
	char *lfn;

	if (!key_did(pkey->data, pkey->size, 0, s, n))
		return NULL;
	len = strlen(*s) + strlen(*n) + 2;
	lfn = xmalloc(len);
	(void)snprintf(lfn, len, "%s:%s", *s, *n);
	return lfn;
}

static int
parent_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct parents *p = arg;
	struct sbuf one = { 0 };
	char *s, *n, *lfn;
	int rc = GR_OK;

	(void)key;
	(void)val;
	if ((lfn = parent_lfn(pkey, &s, &n)) == NULL)
		return GR_OK;
	sbuf_json(&one, lfn);
	free(lfn);
	/* a DID reached along two paths is listed once */
	if (p->list.len == 0 ||
	    memmem(p->list.s, p->list.len, one.s, one.len) == NULL) {
		if (p->list.len > 0)
			sbuf_add(&p->list, ",", 1);
		sbuf_add(&p->list, one.s, one.len);
		rc = parents_of(p, s, n);
	}
	sbuf_free(&one);
	free(s);
	free(n);
	return rc;
}

static int
parents_of(struct parents *p, const char *scope, const char *name)
{
	char kbuf[KEY_MAX];
	size_t klen = key_join(kbuf, sizeof(kbuf), scope, name, (char *)NULL);
	int rc;

	if (p->depth >= 32)
		return GR_OK; /* containers are never nested this deep */
	p->depth++;
	rc = st_scan_key(p->t, TBL_CONTENTS_BY_CHILD, kbuf, klen, parent_one, p,
	    p->err);
	p->depth--;
	return rc;
}

/* Copy the text of member key of the record did (or null) to out. */
static void
copy_member(struct sbuf *out, const struct sbuf *did, const char *key)
{
	const char *v;
	size_t vlen;

	if (jsonx_member(did->s, did->len, key, &v, &vlen))
		sbuf_add(out, v, vlen);
	else
		sbuf_add(out, "null", 4);
}

static int
emit_file(struct list_args *a, const char *scope, const char *name,
    const struct sbuf *did, bool named)
{
	struct file_acc fa = { .a = a, .scope = scope, .name = name };
	struct sbuf out = { 0 };
	char kbuf[KEY_MAX];
	size_t klen, i, j, n;
	int rc;

	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	rc = st_scan(a->t, TBL_REPLICAS, kbuf, klen, NULL, file_replica, &fa,
	    a->err);
	if (rc != GR_OK || (fa.states.len == 0 && !named))
		goto done;
	/* written as text: this is the hot path of the listing */
	sbuf_adds(&out, "{\"scope\":");
	sbuf_json(&out, scope);
	sbuf_adds(&out, ",\"name\":");
	sbuf_json(&out, name);
	sbuf_adds(&out, ",\"bytes\":");
	copy_member(&out, did, "bytes");
	sbuf_adds(&out, ",\"md5\":");
	copy_member(&out, did, "md5");
	sbuf_adds(&out, ",\"adler32\":");
	copy_member(&out, did, "adler32");
	/* one PFN once (a protocol readable on lan and wan: lan) */
	if (fa.npfns > 1)
		qsort(fa.pfns, fa.npfns, sizeof(*fa.pfns), cmp_pfn_order);
	for (i = 0, n = 0; i < fa.npfns; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(fa.pfns[j].pfn, fa.pfns[i].pfn) == 0)
				break;
		if (j < n)
			free(fa.pfns[i].pfn);
		else
			fa.pfns[n++] = fa.pfns[i];
	}
	if (a->q->sort != NULL && strcmp(a->q->sort, "random") == 0)
		shuffle_wan(fa.pfns, n);
	for (; a->q->limit > 0 && (long)n > a->q->limit; n--)
		free(fa.pfns[n - 1].pfn);
	for (i = 0; i < n; i++)
		fa.pfns[i].prio = (json_int_t)i + 1;
	fa.npfns = n;
	sbuf_adds(&out, ",\"pfns\":{");
	for (i = 0; i < n; i++) {
		const struct pfn_ent *pe = &fa.pfns[i];

		if (i > 0)
			sbuf_add(&out, ",", 1);
		sbuf_json(&out, pe->pfn);
		sbuf_adds(&out, ":{\"rse_id\":");
		sbuf_json(&out, pe->rse->id);
		sbuf_adds(&out, ",\"rse\":");
		sbuf_json(&out, pe->rse->name);
		sbuf_adds(&out, ",\"type\":\"");
		sbuf_adds(&out, pe->rse->type);
		sbuf_adds(&out,
		    pe->rse->vol ? "\",\"volatile\":true"
				 : "\",\"volatile\":false");
		sbuf_adds(&out, ",\"domain\":\"");
		sbuf_adds(&out, pe->domain);
		sbuf_adds(&out, "\",\"priority\":");
		sbuf_addi(&out, pe->prio);
		sbuf_adds(&out, ",\"client_extract\":false}");
	}
	sbuf_adds(&out, "},\"rses\":{");
	if (n > 1)
		qsort(fa.pfns, n, sizeof(*fa.pfns), cmp_pfn_rse);
	for (i = 0; i < n; i++) {
		bool first = i == 0 || fa.pfns[i].rse != fa.pfns[i - 1].rse;

		if (first) {
			if (i > 0)
				sbuf_add(&out, "],", 2);
			sbuf_json(&out, fa.pfns[i].rse->name);
			sbuf_add(&out, ":[", 2);
		} else {
			sbuf_add(&out, ",", 1);
		}
		sbuf_json(&out, fa.pfns[i].pfn);
	}
	sbuf_adds(&out, n > 0 ? "]}" : "}");
	if (fa.states.len > 0) {
		sbuf_adds(&out, ",\"states\":{");
		sbuf_add(&out, fa.states.s, fa.states.len);
		sbuf_add(&out, "}", 1);
	}
	if (a->q->resolve_parents) {
		struct parents p = { .t = a->t, .err = a->err };

		if ((rc = parents_of(&p, scope, name)) != GR_OK)
			goto done;
		sbuf_adds(&out, ",\"parents\":[");
		sbuf_add(&out, p.list.s != NULL ? p.list.s : "", p.list.len);
		sbuf_add(&out, "]", 1);
		sbuf_free(&p.list);
	}
	sbuf_add(&out, "}", 1);
	rc = a->emit(out.s, out.len, a->ctx);
done:
	for (i = 0; i < fa.npfns; i++)
		free(fa.pfns[i].pfn);
	free(fa.pfns);
	free(fa.hash);
	sbuf_free(&fa.states);
	sbuf_free(&out);
	return rc;
}

static int
file_below(const char *scope, const char *name, const char *rec, size_t reclen,
    void *arg)
{
	/* the content record holds the file's bytes and checksums */
	const struct sbuf view = { (char *)(uintptr_t)rec, reclen, reclen };

	return emit_file(arg, scope, name, &view, false);
}

struct did_ref {
	const char *scope, *name;
};

static int
cmp_ref(const void *x, const void *y)
{
	const struct did_ref *p = x, *q = y;
	int c = strcmp(p->scope, q->scope);

	return c != 0 ? c : strcmp(p->name, q->name);
}

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;
	size_t n = json_array_size(a->q->dids), i;
	struct sbuf did = { 0 };
	struct did_ref *refs;
	int rc = GR_OK;

	a->t = t;
	a->err = err;
	if (a->q->rse_expression != NULL &&
	    (rc = rse_expr_eval(t, a->q->rse_expression, &a->selected, err)) !=
		GR_OK)
		return rc;
	refs = xcalloc(n + 1, sizeof(*refs));
	for (i = 0; i < n; i++) {
		const json_t *d = json_array_get(a->q->dids, i);

		refs[i].scope = opt_str(d, "scope");
		refs[i].name = opt_str(d, "name");
	}
	qsort(refs, n, sizeof(*refs), cmp_ref);
	for (i = 0; i < n && rc == GR_OK; i++) {
		char kbuf[KEY_MAX];
		const char *type;
		size_t tlen;
		DBT k;
		int ret;

		if (i > 0 && cmp_ref(&refs[i - 1], &refs[i]) == 0)
			continue;
		k = st_dbt(kbuf, did_key(kbuf, refs[i].scope, refs[i].name));
		ret = st_get_text(t, TBL_DIDS, &k, &did);
		if (ret == DB_NOTFOUND)
			continue; /* unknown DIDs give nothing */
		if (ret != 0) {
			rc = st_fail(err, ret);
			break;
		}
		if (jsonx_member(did.s, did.len, "type", &type, &tlen) &&
		    tlen == 6 && memcmp(type, "\"FILE\"", 6) == 0)
			rc = emit_file(a, refs[i].scope, refs[i].name, &did,
			    true);
		else /* a collection: the files below with replicas */
			rc = coll_files_below(t, refs[i].scope, refs[i].name,
			    file_below, a, err);
	}
	sbuf_free(&did);
	free(refs);
	return rc;
}

/* nrandom: a uniform sample of the entries, kept as text (reservoir). */
struct kept {
	unsigned long long seq; /* its position in the listing */
	struct sbuf text;
};

struct reservoir {
	struct kept *kept;
	size_t k, n; /* wanted, kept */
	unsigned long long seen;
};

static int
reservoir_add(const char *line, size_t len, void *ctx)
{
	struct reservoir *res = ctx;
	uint64_t r;
	size_t slot;

	res->seen++;
	if (res->n < res->k) {
		slot = res->n++;
	} else {
		random_bytes(&r, sizeof(r));
		if ((slot = (size_t)(r % res->seen)) >= res->k)
			return GR_OK;
	}
	res->kept[slot].text.len = 0;
	sbuf_add(&res->kept[slot].text, line, len);
	res->kept[slot].seq = res->seen;
	return GR_OK;
}

static int
cmp_kept(const void *x, const void *y)
{
	const struct kept *p = x, *q = y;

	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Emit what the reservoir kept, in listing order, and free it. */
static int
reservoir_emit(struct reservoir *res, gr_emit_text_fn emit, void *ctx, int rc)
{
	size_t i;

	qsort(res->kept, res->n, sizeof(*res->kept), cmp_kept);
	for (i = 0; i < res->n; i++) {
		if (rc == GR_OK)
			rc = emit(res->kept[i].text.s, res->kept[i].text.len,
			    ctx);
		sbuf_free(&res->kept[i].text);
	}
	free(res->kept);
	return rc;
}

static int
check_list_options(const struct replica_query *q, struct gr_err *err)
{
	if (q->sort != NULL && strcmp(q->sort, "geoip") != 0 &&
	    strcmp(q->sort, "custom_table") != 0 &&
	    strcmp(q->sort, "random") != 0)
		return gr_fail(err, GR_SORTING_NOT_SUPPORTED,
		    "Sorting algorithm '%.64s' is not supported: geoip, "
		    "custom_table or random",
		    q->sort);
	if (q->nrandom < 0 || q->nrandom > REPLICA_NRANDOM_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating nrandom: 1 to %d files",
		    REPLICA_NRANDOM_MAX);
	return GR_OK;
}

int
replica_list(const struct replica_query *q, gr_emit_text_fn emit, void *ctx,
    struct gr_err *err)
{
	struct list_args a = { .q = q, .emit = emit, .ctx = ctx };
	struct reservoir res = { 0 };
	const json_t *d;
	size_t i;
	int rc;

	if (!json_is_array(q->dids))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating r_dids: 'dids' must be a list");
	json_array_foreach(q->dids, i, d) {
		const char *s = opt_str(d, "scope"), *n = opt_str(d, "name");

		if (s == NULL || n == NULL || *s == '\0' || *n == '\0' ||
		    strlen(s) > 255 || strlen(n) > 500)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating r_dids: item %zu needs a "
			    "'scope' and a 'name'",
			    i);
	}
	if (q->schemes != NULL && !json_is_array(q->schemes))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating schemes: a list of schemes");
	if (q->domain != NULL && strcmp(q->domain, "wan") != 0 &&
	    strcmp(q->domain, "lan") != 0 && strcmp(q->domain, "all") != 0)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating domain: wan, lan or all");
	if ((rc = check_list_options(q, err)) != GR_OK)
		return rc;
	if (q->nrandom > 0) {
		res.k = (size_t)q->nrandom;
		res.kept = xcalloc(res.k, sizeof(*res.kept));
		a.emit = reservoir_add;
		a.ctx = &res;
	}
	rc = st_view(list_txn, &a, ST_ONCE, err);
	json_decref(a.selected);
	replica_rses_free(&a);
	if (q->nrandom > 0)
		rc = reservoir_emit(&res, emit, ctx, rc);
	return rc;
}

/* PFN -> DID. */

struct dids_args {
	const char *rse;
	const json_t *pfns;
	gr_emit_fn emit;
	void *ctx;
};

/* seg[from..to) joined with sep, into a new string of size len. */
static char *
join_segs(char *const *seg, size_t from, size_t to, char sep, size_t len)
{
	char *out = xcalloc(1, len), *p = out;
	size_t j, n;

	for (j = from; j < to; j++) {
		if (j > from)
			*p++ = sep;
		n = strlen(seg[j]);
		memcpy(p, seg[j], n);
		p += n;
	}
	*p = '\0';
	return out;
}

/* The path of a deterministic RSE back to scope:name: segments
   <scope>/<h1>/<h2>/<name> (user and group scopes with '.' as '/'),
   checked against the md5 it was built from. */
static bool
unhash(const char *rel, char **scope, char **name)
{
	char *copy = xstrdup(rel), *seg[256], *p, *sc, *nm;
	size_t nseg = 0, i, j, len;

	for (p = copy; nseg < ARRAY_LEN(seg);) {
		seg[nseg++] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
	}
	for (i = 1; i + 2 < nseg; i++) {
		char *hash, want[5];

		if (strlen(seg[i]) != 2 || strlen(seg[i + 1]) != 2)
			continue;
		if (i > 1 && strncmp(seg[0], "user", 4) != 0 &&
		    strncmp(seg[0], "group", 5) != 0)
			break;
		len = 0;
		for (j = 0; j < nseg; j++)
			len += strlen(seg[j]) + 1;
		sc = join_segs(seg, 0, i, '.', len);
		nm = join_segs(seg, i + 2, nseg, '/', len);
		(void)snprintf(want, sizeof(want), "%s%s", seg[i], seg[i + 1]);
		hash = rse_hash_path(sc, nm);
		/* the hash path of (sc, nm) is sc'/h1/h2/nm: compare h1 h2 */
		p = hash + strlen(hash) - strlen(nm) - 6;
		if (valid_scope(sc) && did_valid_name(nm) &&
		    strncmp(p, want, 2) == 0 &&
		    strncmp(p + 3, want + 2, 2) == 0) {
			free(hash);
			free(copy);
			*scope = sc;
			*name = nm;
			return true;
		}
		free(hash);
		free(sc);
		free(nm);
	}
	free(copy);
	return false;
}

static int
dids_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct dids_args *a = arg;
	json_t *rse_rec = NULL, *protos = NULL, *v;
	char id[RSE_ID_LEN + 1];
	size_t i;
	bool det;
	int rc;

	if ((rc = rse_load(t, a->rse, 0, &rse_rec, err)) != GR_OK)
		return rc;
	(void)snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(rse_rec, "id")));
	det = json_is_true(json_object_get(rse_rec, "deterministic"));
	json_decref(rse_rec);
	if ((rc = rse_protocols(t, a->rse, &protos, err)) != GR_OK)
		return rc;
	json_array_foreach(a->pfns, i, v) {
		const char *pfn = json_string_value(v), *rel = NULL;
		char *scope = NULL, *name = NULL, *base;
		const json_t *p;
		size_t j, blen;
		json_t *entry;

		json_array_foreach(protos, j, p) {
			base = rse_proto_base(p);
			blen = strlen(base);
			if (strncmp(pfn, base, blen) == 0 && pfn[blen] != '\0')
				rel = pfn + blen;
			free(base);
			if (rel != NULL)
				break;
		}
		if (rel != NULL && det) {
			if (!unhash(rel, &scope, &name))
				rel = NULL;
		} else if (rel != NULL) {
			char kbuf[KEY_MAX], *pk = NULL;
			DBT k = st_dbt(kbuf,
			    key_join(kbuf, sizeof(kbuf), id, rel,
				(char *)NULL));
			size_t pklen;
			int ret;

			ret = st_primary_key(t, TBL_REPLICAS_BY_PATH, &k, &pk,
			    &pklen);
			if (ret != 0 && ret != DB_NOTFOUND) {
				json_decref(protos);
				return st_fail(err, ret);
			}
			if (ret != 0 || !key_did(pk, pklen, 0, &scope, &name))
				rel = NULL;
			free(pk);
		}
		if (rel == NULL) {
			json_decref(protos);
			return gr_fail(err, GR_REPLICA_NOT_FOUND,
			    "No replica of RSE %s has the PFN '%.300s'", a->rse,
			    pfn);
		}
		entry = json_pack("{s:{s:s, s:s}}", pfn, "scope", scope, "name",
		    name);
		free(scope);
		free(name);
		rc = a->emit(entry, a->ctx);
		json_decref(entry);
		if (rc != GR_OK)
			break;
	}
	json_decref(protos);
	return rc;
}

int
replica_dids(const char *rse, const json_t *pfns, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct dids_args a = { .rse = rse,
		.pfns = pfns,
		.emit = emit,
		.ctx = ctx };
	const json_t *v;
	size_t i;
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK)
		return rc;
	if (!json_is_array(pfns) || json_array_size(pfns) == 0 ||
	    json_array_size(pfns) > REPLICA_BATCH_MAX * 10)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating pfns: a list of 1 to %d PFNs",
		    REPLICA_BATCH_MAX * 10);
	json_array_foreach(pfns, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 2048)
			return gr_fail(err, GR_INVALID_OBJECT,
			    "Problem validating pfns: item %zu", i);
	}
	return st_view(dids_txn, &a, ST_ONCE, err);
}

/* Dataset replicas, computed from the file replicas. */

struct ds_rse {
	char id[RSE_ID_LEN + 1];
	long long avail_len, avail_bytes;
	long long first, last; /* created_at, updated_at of its replicas */
};

struct ds_acc {
	struct st_txn *t;
	struct gr_err *err;
	gr_emit_fn emit;
	void *ctx;
	bool deep;
	const char *only;        /* an RSE id: emit only its replica */
	long long length, bytes; /* of the dataset */
	long long fbytes;        /* of the file being scanned */
	struct ds_rse *rses;
	size_t n, cap;
};

static int
ds_replica(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct ds_acc *d = arg;
	const char *id, *v;
	size_t k, vlen, i;
	long long when;

	(void)pkey;
	id = key_part(key->data, key->size, 2, &k);
	if (id == NULL || k > RSE_ID_LEN)
		return GR_OK;
	for (i = 0; i < d->n; i++)
		if (strncmp(d->rses[i].id, id, k) == 0 &&
		    d->rses[i].id[k] == '\0')
			break;
	if (i == d->n) {
		if (d->n == d->cap) {
			d->cap = d->cap == 0 ? 4 : d->cap * 2;
			d->rses = xrealloc(d->rses, d->cap * sizeof(*d->rses));
		}
		memset(&d->rses[i], 0, sizeof(d->rses[i]));
		memcpy(d->rses[i].id, id, k);
		d->n++;
	}
	if (jsonx_member(val->data, val->size, "state", &v, &vlen) &&
	    vlen == 3 && v[1] == 'A') {
		d->rses[i].avail_len++;
		d->rses[i].avail_bytes += d->fbytes;
	}
	if (jsonx_member(val->data, val->size, "created_at", &v, &vlen) &&
	    jsonx_member_int(v, vlen, &when) &&
	    (d->rses[i].first == 0 || when < d->rses[i].first))
		d->rses[i].first = when;
	if (jsonx_member(val->data, val->size, "updated_at", &v, &vlen) &&
	    jsonx_member_int(v, vlen, &when) && when > d->rses[i].last)
		d->rses[i].last = when;
	return GR_OK;
}

static int
ds_file(const char *scope, const char *name, const char *rec, size_t n,
    void *arg)
{
	struct ds_acc *d = arg;
	char kbuf[KEY_MAX];
	const char *v;
	size_t vlen;
	size_t klen;

	d->fbytes = 0;
	if (jsonx_member(rec, n, "bytes", &v, &vlen))
		(void)jsonx_member_int(v, vlen, &d->fbytes);
	d->length++;
	d->bytes += d->fbytes;
	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	return st_scan(d->t, TBL_REPLICAS, kbuf, klen, NULL, ds_replica, d,
	    d->err);
}

/* Emit the replicas of one dataset. */
static int
ds_emit(struct ds_acc *d, const char *scope, const char *name)
{
	char date[DATE_RFC1123_LEN], date2[DATE_RFC1123_LEN];
	size_t i;
	int rc = GR_OK;

	d->n = 0;
	d->length = d->bytes = 0;
	if ((rc = coll_files_below(d->t, scope, name, ds_file, d, d->err)) !=
	    GR_OK)
		return rc;
	for (i = 0; i < d->n && rc == GR_OK; i++) {
		json_t *rse = NULL, *item;

		if ((d->only != NULL && strcmp(d->rses[i].id, d->only) != 0) ||
		    rse_load_by_id(d->t, d->rses[i].id, &rse) != 0)
			continue; /* another RSE's, or a deleted RSE's */
		item = json_pack("{s:s, s:s, s:O, s:s, s:I, s:I, s:I, s:I, "
				 "s:s, s:s, s:s, s:n}",
		    "scope", scope, "name", name, "rse",
		    json_object_get(rse, "rse"), "rse_id", d->rses[i].id,
		    "bytes", (json_int_t)d->bytes, "length",
		    (json_int_t)d->length, "available_bytes",
		    (json_int_t)d->rses[i].avail_bytes, "available_length",
		    (json_int_t)d->rses[i].avail_len, "state",
		    d->rses[i].avail_len == d->length ? "AVAILABLE"
						      : "UNAVAILABLE",
		    "created_at", date_rfc1123(d->rses[i].first, date),
		    "updated_at", date_rfc1123(d->rses[i].last, date2),
		    "accessed_at");
		json_decref(rse);
		rc = d->emit(item, d->ctx);
		json_decref(item);
	}
	return rc;
}

static int ds_did(struct ds_acc *d, const char *scope, const char *name,
    int depth);

static int
ds_child(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct ds_acc *d = arg;
	char *s, *n;
	int rc;

	(void)pkey;
	(void)val;
	if (!key_did(key->data, key->size, 2, &s, &n))
		return GR_OK;
	rc = ds_did(d, s, n, 1);
	free(s);
	free(n);
	return rc;
}

/* A dataset's replicas; a container's datasets' when deep. */
static int
ds_did(struct ds_acc *d, const char *scope, const char *name, int depth)
{
	struct sbuf rec = { 0 };
	char kbuf[KEY_MAX];
	DBT k = st_dbt(kbuf, did_key(kbuf, scope, name));
	const char *type;
	size_t tlen, klen;
	int ret, rc = GR_OK;

	ret = st_get_text(d->t, TBL_DIDS, &k, &rec);
	if (ret == DB_NOTFOUND) {
		sbuf_free(&rec);
		return depth == 0
		    ? gr_fail(d->err, GR_DID_NOT_FOUND,
			  "Data identifier '%s:%s' not found", scope, name)
		    : GR_OK;
	}
	if (ret != 0) {
		sbuf_free(&rec);
		return st_fail(d->err, ret);
	}
	if (!jsonx_member(rec.s, rec.len, "type", &type, &tlen))
		tlen = 0;
	if (tlen == 9 && memcmp(type, "\"DATASET\"", 9) == 0) {
		rc = ds_emit(d, scope, name);
	} else if (tlen == 11 && memcmp(type, "\"CONTAINER\"", 11) == 0 &&
	    d->deep && depth < 32) {
		klen = key_join(kbuf, sizeof(kbuf), scope, name, "",
		    (char *)NULL);
		rc = st_scan(d->t, TBL_CONTENTS, kbuf, klen, NULL, ds_child, d,
		    d->err);
	}
	sbuf_free(&rec);
	return rc;
}

struct ds_args {
	struct ds_acc acc;
	const json_t *dids;
};

static int
datasets_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct ds_args *a = arg;
	const json_t *d;
	size_t i;
	int rc = GR_OK;

	a->acc.t = t;
	a->acc.err = err;
	json_array_foreach(a->dids, i, d) {
		rc = ds_did(&a->acc,
		    json_string_value(json_object_get(d, "scope")),
		    json_string_value(json_object_get(d, "name")),
		    json_array_size(a->dids) > 1 ? 1 : 0);
		if (rc != GR_OK)
			break;
	}
	return rc;
}

int
replica_datasets(const json_t *dids, bool deep, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct ds_args a = { .dids = dids };
	const json_t *d;
	size_t i;
	int rc;

	if (!json_is_array(dids) || json_array_size(dids) == 0 ||
	    json_array_size(dids) > REPLICA_BATCH_MAX)
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating dids: a list of 1 to %d DIDs",
		    REPLICA_BATCH_MAX);
	json_array_foreach(dids, i, d) {
		rc = did_check(opt_str(d, "scope"), opt_str(d, "name"), err);
		if (rc != GR_OK)
			return rc;
	}
	a.acc.emit = emit;
	a.acc.ctx = ctx;
	a.acc.deep = deep;
	rc = st_view(datasets_txn, &a, ST_ONCE, err);
	free(a.acc.rses);
	return rc;
}

/* The datasets with a file on one RSE. */

struct replica_rse_ds_args {
	struct ds_acc acc;
	const char *rse;
	char id[RSE_ID_LEN + 1];
	json_t *seen; /* {"scope:name": true}: each dataset once */
};

static int
replica_rse_ds_parent(const DBT *key, const DBT *pkey, const DBT *val,
    void *arg)
{
	struct replica_rse_ds_args *a = arg;
	char *s, *n, *lfn;

	(void)key;
	(void)val;
	/* a scope holds no ':', so "scope:name" names a DID once */
	if ((lfn = parent_lfn(pkey, &s, &n)) == NULL)
		return GR_OK;
	json_object_set_new(a->seen, lfn, json_true());
	free(lfn);
	free(s);
	free(n);
	return GR_OK;
}

static int
replica_rse_ds_file(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct replica_rse_ds_args *a = arg;
	char kbuf[KEY_MAX];
	const char *s, *n;
	size_t slen, nlen, klen;

	(void)key;
	(void)val;
	s = key_part(pkey->data, pkey->size, 0, &slen);
	n = key_part(pkey->data, pkey->size, 1, &nlen);
	if (s == NULL || n == NULL || slen + nlen + 1 > sizeof(kbuf))
		return GR_OK;
	/* the file's parents are datasets (files are only in datasets) */
	memcpy(kbuf, s, slen + 1 + nlen);
	klen = slen + 1 + nlen;
	return st_scan_key(a->acc.t, TBL_CONTENTS_BY_CHILD, kbuf, klen,
	    replica_rse_ds_parent, a, a->acc.err);
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int
replica_rse_ds_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct replica_rse_ds_args *a = arg;
	char kbuf[KEY_MAX];
	const char **names, *lfn;
	json_t *v;
	size_t klen, n = 0, i;
	int rc;

	a->acc.t = t;
	a->acc.err = err;
	json_object_clear(a->seen);
	if ((rc = rse_live_id(t, a->rse, a->id, err)) != GR_OK)
		return rc;
	a->acc.only = a->id;
	klen = key_join(kbuf, sizeof(kbuf), a->id, "", (char *)NULL);
	if ((rc = st_scan(t, TBL_REPLICAS_BY_RSE, kbuf, klen, NULL,
		 replica_rse_ds_file, a, err)) != GR_OK)
		return rc;
	names = xcalloc(json_object_size(a->seen) + 1, sizeof(*names));
	json_object_foreach(a->seen, lfn, v)
		names[n++] = lfn;
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && rc == GR_OK; i++) {
		const char *colon = strchr(names[i], ':');
		char *scope = xstrndup(names[i], (size_t)(colon - names[i]));

		rc = ds_emit(&a->acc, scope, colon + 1);
		free(scope);
	}
	free(names);
	return rc;
}

int
replica_datasets_rse(const char *rse, gr_emit_fn emit, void *ctx,
    struct gr_err *err)
{
	struct replica_rse_ds_args a = { .rse = rse };
	int rc;

	if ((rc = check_rse_name(rse, err)) != GR_OK)
		return rc;
	a.acc.emit = emit;
	a.acc.ctx = ctx;
	a.seen = json_object();
	rc = st_view(replica_rse_ds_txn, &a, ST_ONCE, err);
	json_decref(a.seen);
	free(a.acc.rses);
	return rc;
}
