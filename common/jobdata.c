/*
 * jobdata.c -- a DIRAC job's input and output data (core; jobdata.h):
 * LFNs resolved through the file catalogue and Rucio's replicas into
 * stage-in plans, OutputData planned and registered. The copies are
 * stage.c's; this side only reads and writes the catalogues.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "catalog.h"
#include "jobdata.h"
#include "pfn.h"
#include "replica.h"
#include "rse.h"
#include "scope.h"
#include "stage.h"
#include "store.h"
#include "util.h"
#include "xfer.h"

#define SCOPE_MAX 25 /* Rucio's scope length */
#define DID_MAX   250

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* --- LFNs ------------------------------------------------------------ */

/* An absolute catalogue path: components neither empty nor "." or "..";
   its last one a plain name into name. */
static bool
jd_lfn_ok(const char *p, char *name)
{
	const char *c = p, *slash;
	size_t n;

	if (p[0] != '/' || strlen(p) > FC_PATH_MAX)
		return false;
	while (*c == '/') {
		c++;
		slash = strchr(c, '/');
		n = slash != NULL ? (size_t)(slash - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (slash == NULL) {
			if (!wl_name_ok(c, n))
				return false;
			memcpy(name, c, n + 1);
			return true;
		}
		c = slash;
	}
	return false;
}

static bool
jd_scope_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SCOPE_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("_-.", s[i]) == NULL)
			return false;
	return true;
}

int
jd_lfn_parse(const char *entry, char *lfn, char *name, bool *rucio,
    struct gr_err *err)
{
	const char *e = entry, *colon, *leaf;

	if (strncasecmp(e, "LFN:", 4) == 0)
		e += 4;
	if (e[0] == '/') {
		*rucio = false;
		if (!jd_lfn_ok(e, name))
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "LFN '%.200s' is not a catalogue path (absolute, "
			    "no '//', '.' or '..', a plain file name last)",
			    entry);
		memcpy(lfn, e, strlen(e) + 1);
		return GR_OK;
	}
	*rucio = true;
	colon = strchr(e, ':');
	if (colon == NULL || !jd_scope_ok(e, (size_t)(colon - e)) ||
	    colon[1] == '\0' || strlen(colon + 1) > DID_MAX)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "LFN '%.200s' is neither a catalogue path (/vo/...) nor a "
		    "Rucio DID (scope:name)",
		    entry);
	leaf = strrchr(colon + 1, '/');
	leaf = leaf != NULL ? leaf + 1 : colon + 1;
	if (!wl_name_ok(leaf, strlen(leaf)))
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "LFN '%.200s': '%.64s' is no plain file name", entry, leaf);
	memcpy(lfn, e, strlen(e) + 1);
	memcpy(name, leaf, strlen(leaf) + 1);
	return GR_OK;
}

/* --- sources --------------------------------------------------------- */

static bool
scheme_family(const char *a, const char *b)
{
	bool dav_a = strcmp(a, "https") == 0 || strcmp(a, "davs") == 0;
	bool dav_b = strcmp(b, "https") == 0 || strcmp(b, "davs") == 0;

	return strcmp(a, b) == 0 || (dav_a && dav_b);
}

/*
 * The protocol of protos that pfn lies beneath (borrowed), or NULL. With
 * lfn (a catalogue file's), only at the LFN's own path beneath the prefix
 * (DIRAC's SEs make a PFN so): a PFN anywhere else, registered by anyone
 * for an LFN of their own, would read another's file.
 */
static const json_t *
proto_for(const json_t *protos, const char *pfn, const char *lfn)
{
	const char *sep = strstr(pfn, "://"), *path, *pre;
	char scheme[16];
	const json_t *p;
	size_t i, n;

	if (sep == NULL || (size_t)(sep - pfn) >= sizeof(scheme))
		return NULL;
	memcpy(scheme, pfn, (size_t)(sep - pfn));
	scheme[sep - pfn] = '\0';
	if ((path = strchr(sep + 3, '/')) == NULL)
		return NULL;
	json_array_foreach(protos, i, p) {
		if (str(p, "scheme") == NULL ||
		    !scheme_family(str(p, "scheme"), scheme))
			continue;
		pre = str(p, "prefix") != NULL ? str(p, "prefix") : "";
		while (pre[0] == '/' && pre[1] == '/')
			pre++;
		if (pre[0] != '/')
			continue; /* xfer takes absolute prefixes only */
		n = strlen(pre);
		while (n > 1 && pre[n - 1] == '/')
			n--;
		if (strncmp(path, pre, n) != 0 || (path[n] != '/' && n != 1))
			continue;
		if (lfn == NULL || strcmp(n == 1 ? path : path + n, lfn) == 0)
			return p;
	}
	return NULL;
}

/* A source entry for pfn on rse, through its protocols (a cache of
   {rse: [protocols]}); NULL when rse has no protocol for it (lfn: as
   proto_for). */
static json_t *
source_of(json_t *cache, const char *rse, const char *pfn, const char *lfn)
{
	struct gr_err err = { 0 };
	struct xfer_rse r;
	const json_t *proto;
	json_t *protos = json_object_get(cache, rse), *src;

	if (protos == NULL) {
		if (rse_proto_list(rse, &protos, &err) != GR_OK)
			protos = json_array();
		json_object_set_new(cache, rse, protos);
	}
	if ((proto = proto_for(protos, pfn, lfn)) == NULL)
		return NULL;
	pfn_settings(proto, &r);
	src = json_pack("{s:s, s:s, s:s}", "pfn", pfn, "rse", rse, "prefix",
	    r.prefix);
	if (r.cafile != NULL)
		json_object_set_new(src, "cafile", json_string(r.cafile));
	if (r.cert != NULL)
		json_object_set_new(src, "cert", json_string(r.cert));
	if (r.key != NULL)
		json_object_set_new(src, "key", json_string(r.key));
	return src;
}

/* --- the file catalogue ---------------------------------------------- */

struct admin_args {
	const char *who;
	bool admin;
};

static int
admin_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct admin_args *a = arg;

	return account_is_admin(t, a->who, &a->admin, err);
}

/* May owner (in group) read the catalogue file rec? */
static bool
jd_may_read(const json_t *rec, const char *owner, const char *group, int *admin)
{
	json_int_t mode = json_is_integer(json_object_get(rec, "mode"))
	    ? json_integer_value(json_object_get(rec, "mode"))
	    : 0775;
	struct admin_args a = { owner, false };
	struct gr_err err = { 0 };

	if ((str(rec, "owner") != NULL &&
		strcmp(str(rec, "owner"), owner) == 0) ||
	    (mode & 04) != 0 ||
	    ((mode & 040) != 0 && group != NULL && str(rec, "group") != NULL &&
		strcmp(str(rec, "group"), group) == 0))
		return true;
	if (*admin < 0)
		*admin = st_view(admin_txn, &a, 0, &err) == GR_OK && a.admin;
	return *admin > 0;
}

static void
jd_sums(const json_t *rec, json_t *e)
{
	const char *sum = str(rec, "checksum"),
		   *type = str(rec, "checksumtype");
	char low[XFER_MD5_LEN + 1];
	size_t i, n;

	if (json_is_integer(json_object_get(rec, "size")))
		json_object_set(e, "bytes", json_object_get(rec, "size"));
	if (sum == NULL || *sum == '\0' || (n = strlen(sum)) > XFER_MD5_LEN)
		return;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)sum[i]);
	if (type == NULL || strcasecmp(type, "Adler32") == 0 ||
	    strcasecmp(type, "AD") == 0) {
		if (n <= XFER_ADLER32_LEN)
			json_object_set_new(e, "adler32",
			    json_sprintf("%08lx", strtoul(low, NULL, 16)));
	} else if (strcasecmp(type, "MD5") == 0 && n == XFER_MD5_LEN) {
		json_object_set_new(e, "md5", json_string(low));
	}
}

static void
jd_resolve_lfn(const char *lfn, const char *owner, const char *group,
    int *admin, json_t *cache, json_t *e)
{
	struct gr_err err = { 0 };
	json_t *rec = NULL, *srcs = json_object_get(e, "sources"), *src;
	const char *se;
	const json_t *pfn;

	if (fc_file_record(lfn, &rec, &err) != GR_OK) {
		json_object_set_new(e, "why",
		    json_string(err.code == GR_NOT_FOUND
			    ? "no such file in the file catalogue"
			    : err.msg));
		return;
	}
	if (!jd_may_read(rec, owner, group, admin)) {
		json_object_set_new(e, "why",
		    json_string("the job's owner may not read it"));
		goto out;
	}
	jd_sums(rec, e);
	if (str(rec, "guid") != NULL && *str(rec, "guid") != '\0')
		json_object_set(e, "guid", json_object_get(rec, "guid"));
	json_object_foreach(json_object_get(rec, "replicas"), se, pfn) {
		if (!json_is_string(pfn))
			continue;
		if ((src = source_of(cache, se, json_string_value(pfn), lfn)) !=
		    NULL)
			json_array_append_new(srcs, src);
	}
	if (json_array_size(srcs) == 0)
		json_object_set_new(e, "why",
		    json_string(
			json_object_size(json_object_get(rec, "replicas")) == 0
			    ? "the file has no replica"
			    : "no replica at its path on a storage element "
			      "this service reaches (file, https or davs)"));
out:
	json_decref(rec);
}

/* --- Rucio ----------------------------------------------------------- */

static int
collect_line(const char *line, size_t n, void *ctx)
{
	json_t *o = json_loadb(line, n, 0, NULL);

	if (o != NULL)
		json_array_append_new(ctx, o);
	return GR_OK;
}

static void
jd_resolve_did(const char *did, json_t *cache, json_t *e)
{
	const char *colon = strchr(did, ':'), *pfn, *rse;
	char scope[SCOPE_MAX + 1];
	struct replica_query q = { 0 };
	struct gr_err err = { 0 };
	json_t *dids, *schemes, *found = json_array(), *f, *one = NULL, *src;
	const json_t *info;
	size_t i;

	memcpy(scope, did, (size_t)(colon - did));
	scope[colon - did] = '\0';
	dids = json_pack("[{s:s, s:s}]", "scope", scope, "name", colon + 1);
	schemes = json_pack("[s, s, s]", "file", "https", "davs");
	q.dids = dids;
	q.schemes = schemes;
	q.domain = "wan";
	if (replica_list(&q, collect_line, found, &err) != GR_OK) {
		json_object_set_new(e, "why", json_string(err.msg));
		goto out;
	}
	json_array_foreach(found, i, f) {
		if (str(f, "scope") != NULL && str(f, "name") != NULL &&
		    strcmp(str(f, "scope"), scope) == 0 &&
		    strcmp(str(f, "name"), colon + 1) == 0)
			one = f;
	}
	if (one == NULL) {
		json_object_set_new(e, "why",
		    json_string(json_array_size(found) > 0
			    ? "not a file DID (name the files of a dataset)"
			    : "no such file DID"));
		goto out;
	}
	if (json_is_integer(json_object_get(one, "bytes")))
		json_object_set(e, "bytes", json_object_get(one, "bytes"));
	if (str(one, "adler32") != NULL)
		json_object_set(e, "adler32", json_object_get(one, "adler32"));
	if (str(one, "md5") != NULL)
		json_object_set(e, "md5", json_object_get(one, "md5"));
	/* in the listing's order: lan, then wan, by protocol priority */
	json_object_foreach(json_object_get(one, "pfns"), pfn, info) {
		rse = str(info, "rse");
		if (rse != NULL &&
		    (src = source_of(cache, rse, pfn, NULL)) != NULL)
			json_array_append_new(json_object_get(e, "sources"),
			    src);
	}
	if (json_array_size(json_object_get(e, "sources")) == 0)
		json_object_set_new(e, "why",
		    json_string("no AVAILABLE replica on an RSE this service "
				"reaches (file, https or davs)"));
out:
	json_decref(found);
	json_decref(dids);
	json_decref(schemes);
}

int
jd_resolve(const char *owner, const char *group, const json_t *lfns,
    json_t **in, struct gr_err *err)
{
	char lfn[FC_PATH_MAX + 1], name[WL_NAME_MAX + 1];
	json_t *cache = json_object(), *e;
	const json_t *v;
	int admin = -1, rc = GR_OK;
	bool rucio;
	size_t i;

	*in = json_array();
	json_array_foreach(lfns, i, v) {
		if ((rc = jd_lfn_parse(json_string_value(v), lfn, name, &rucio,
			 err)) != GR_OK)
			break;
		e = json_pack("{s:s, s:s, s:[]}", "name", name, "lfn", lfn,
		    "sources");
		if (rucio)
			jd_resolve_did(lfn, cache, e);
		else
			jd_resolve_lfn(lfn, owner, group, &admin, cache, e);
		json_array_append_new(*in, e);
	}
	json_decref(cache);
	if (rc != GR_OK) {
		json_decref(*in);
		*in = NULL;
	}
	return rc;
}

/* --- policy ---------------------------------------------------------- */

/* One InputDataPolicy entry: 1 protocol, 0 download, -1 unknown. */
static int
jd_policy_of(const char *v)
{
	if (strcmp(v, JD_BY_PROTOCOL) == 0 || strcasecmp(v, "Protocol") == 0)
		return 1;
	if (strcmp(v, JD_DOWNLOAD) == 0 || strcasecmp(v, "Download") == 0)
		return 0;
	return -1;
}

int
jd_policy(const json_t *policy, const json_t *module, bool *protocol,
    struct gr_err *err)
{
	const json_t *v;
	size_t i;
	int first = -1, one;

	*protocol = false;
	if (module != NULL && !json_is_null(module) &&
	    (!json_is_string(module) ||
		strcmp(json_string_value(module), JD_RESOLUTION) != 0))
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "InputDataModule must be " JD_RESOLUTION
		    " (this service resolves input data itself)");
	if (policy == NULL || json_is_null(policy))
		return GR_OK;
	if (json_is_string(policy)) {
		first = jd_policy_of(json_string_value(policy));
	} else if (json_is_array(policy) && json_array_size(policy) > 0) {
		json_array_foreach(policy, i, v) {
			one = json_is_string(v)
			    ? jd_policy_of(json_string_value(v))
			    : -1;
			if (one < 0) {
				first = -1;
				break;
			}
			if (i == 0)
				first = one;
		}
	}
	if (first < 0)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "InputDataPolicy must be " JD_DOWNLOAD " or " JD_BY_PROTOCOL
		    " (Download or Protocol), or a list of them");
	*protocol = first == 1;
	return GR_OK;
}

/* --- output ---------------------------------------------------------- */

struct jd_scope_args {
	const char *scope;
};

static int
jd_scope_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct jd_scope_args *a = arg;

	return scope_owner(t, a->scope, NULL, err);
}

/* Where path sends the outputs: an FC directory (*dir) or a Rucio scope
   and name prefix. */
static int
out_target(const char *owner, const char *path, char *dir, char *scope,
    char *prefix, struct gr_err *err)
{
	struct jd_scope_args a = { scope };
	char leaf[WL_NAME_MAX + 1];
	const char *colon;
	size_t n;

	dir[0] = scope[0] = prefix[0] = '\0';
	if (path != NULL && path[0] == '/') {
		n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			n--;
		if (n > FC_PATH_MAX - WL_NAME_MAX - 1)
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "OutputPath is too long");
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (n > 1 && !jd_lfn_ok(dir, leaf))
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "OutputPath '%.200s' is not a catalogue directory "
			    "(no '//', '.' or '..')",
			    path);
		return GR_OK;
	}
	if (path == NULL || *path == '\0') {
		if (snprintf(scope, SCOPE_MAX + 1, "user.%s", owner) >
		    SCOPE_MAX)
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "no OutputPath, and user.%s is no scope name",
			    owner);
	} else {
		colon = strchr(path, ':');
		n = colon != NULL ? (size_t)(colon - path) : strlen(path);
		if (!jd_scope_ok(path, n) ||
		    (colon != NULL && strlen(colon + 1) > DID_MAX / 2))
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "OutputPath '%.200s' is neither a catalogue "
			    "directory (/vo/...) nor a Rucio scope[:prefix]",
			    path);
		memcpy(scope, path, n);
		scope[n] = '\0';
		if (colon != NULL && colon[1] != '\0')
			(void)snprintf(prefix, DID_MAX, "%s%s", colon + 1,
			    colon[strlen(colon) - 1] == '/' ? "" : "/");
	}
	if (st_view(jd_scope_txn, &a, 0, err) != GR_OK) {
		struct gr_err why = *err;

		gr_clear(err);
		return gr_fail(err, GR_INVALID_MANIFEST, "OutputPath: %s",
		    why.msg);
	}
	return GR_OK;
}

int
jd_plan_out(const char *owner, const char *group, const json_t *names,
    const char *se, const char *path, json_t **out, struct gr_err *err)
{
	char dir[FC_PATH_MAX + 1], scope[SCOPE_MAX + 1], prefix[DID_MAX + 1];
	struct gr_err why = { 0 };
	struct xfer_rse r;
	json_t *proto = NULL, *e;
	const json_t *v;
	char *pfn, *base, *did = NULL;
	const char *name;
	size_t i, j;
	int rc;

	*out = NULL;
	if (json_array_size(names) == 0)
		return GR_OK;
	if (json_array_size(names) > STAGE_OUT_MAX)
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "more than %d files in OutputData", STAGE_OUT_MAX);
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		if (name == NULL || !wl_name_ok(name, strlen(name)))
			return gr_fail(err, GR_INVALID_MANIFEST,
			    "OutputData '%.64s' is not a file name in the "
			    "working directory",
			    name != NULL ? name : "");
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(names, j)),
				name) == 0)
				return gr_fail(err, GR_INVALID_MANIFEST,
				    "OutputData names '%s' twice", name);
	}
	if (se == NULL || *se == '\0')
		return gr_fail(err, GR_INVALID_MANIFEST,
		    "OutputData needs an OutputSE");
	if ((rc = out_target(owner, path, dir, scope, prefix, err)) != GR_OK)
		return rc;
	if (pfn_proto(se, "write", &proto, &why) != GR_OK)
		return gr_fail(err, GR_INVALID_MANIFEST, "OutputSE %.64s: %s",
		    se, why.msg);
	pfn_settings(proto, &r);
	*out = json_array();
	rc = GR_OK;
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		pfn = NULL;
		if (dir[0] != '\0') {
			struct sbuf b = { 0 };

			e = json_sprintf("%s/%s", dir[1] != '\0' ? dir : "",
			    name);
			base = rse_proto_base(proto);
			sbuf_adds(&b, base);
			sbuf_adds(&b, json_string_value(e) + 1);
			free(base);
			pfn = b.s;
			e = json_pack("{s:o}", "lfn", e);
		} else {
			free(did);
			did = xmalloc(strlen(prefix) + strlen(name) + 1);
			memcpy(did, prefix, strlen(prefix));
			memcpy(did + strlen(prefix), name, strlen(name) + 1);
			if (pfn_make(se, proto, "write", scope, did, NULL, &pfn,
				&why) != GR_OK) {
				rc = gr_fail(err, GR_INVALID_MANIFEST,
				    "OutputSE %.64s: %s", se, why.msg);
				break;
			}
			e = json_pack("{s:s, s:s}", "scope", scope, "did", did);
		}
		json_object_set_new(e, "name", json_string(name));
		json_object_set_new(e, "pfn", json_string(pfn));
		json_object_set_new(e, "rse", json_string(se));
		json_object_set_new(e, "prefix", json_string(r.prefix));
		if (r.cafile != NULL)
			json_object_set_new(e, "cafile", json_string(r.cafile));
		if (r.cert != NULL)
			json_object_set_new(e, "cert", json_string(r.cert));
		if (r.key != NULL)
			json_object_set_new(e, "key", json_string(r.key));
		json_object_set_new(e, "owner", json_string(owner));
		if (group != NULL)
			json_object_set_new(e, "group", json_string(group));
		json_array_append_new(*out, e);
		free(pfn);
	}
	free(did);
	json_decref(proto);
	if (rc != GR_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The figures got for name (borrowed), or NULL. */
static const json_t *
got_of(const json_t *got, const char *name)
{
	const json_t *g;
	size_t i;

	json_array_foreach(got, i, g) {
		if (str(g, "name") != NULL && strcmp(str(g, "name"), name) == 0)
			return g;
	}
	return NULL;
}

/* Is the catalogue file lfn there already with these figures and a
   replica on se (a registration made before)? */
static bool
jd_registered(const char *lfn, const char *se, const json_t *g)
{
	struct gr_err err = { 0 };
	json_t *rec = NULL;
	bool done;

	if (fc_file_record(lfn, &rec, &err) != GR_OK)
		return false;
	done = str(rec, "checksum") != NULL && str(g, "adler32") != NULL &&
	    strcasecmp(str(rec, "checksum"), str(g, "adler32")) == 0 &&
	    json_object_get(json_object_get(rec, "replicas"), se) != NULL;
	json_decref(rec);
	return done;
}

/* Delete the stored copies of out (a failed registration). */
static void
drop_copies(const json_t *out, const json_t *got)
{
	struct gr_err err = { 0 };
	struct xfer *x = xfer_new();
	struct xfer_rse r;
	const json_t *e;
	size_t i;

	json_array_foreach(out, i, e) {
		if (str(e, "name") == NULL ||
		    got_of(got, str(e, "name")) == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		r.prefix = str(e, "prefix");
		r.cafile = str(e, "cafile");
		r.cert = str(e, "cert");
		r.key = str(e, "key");
		gr_clear(&err);
		(void)xfer_delete(x, str(e, "pfn"), &r, &err);
	}
	xfer_free(x);
}

int
jd_register(const json_t *out, const json_t *got, char *why, size_t n)
{
	json_t *fc = json_array(), *ru = json_array();
	const char *owner = NULL, *group = NULL, *se = NULL, *name;
	struct gr_err err = { 0 };
	const json_t *e, *g;
	size_t i;
	int rc = GR_OK;

	json_array_foreach(out, i, e) {
		name = str(e, "name");
		owner = str(e, "owner");
		group = str(e, "group");
		se = str(e, "rse");
		if (name == NULL || (g = got_of(got, name)) == NULL) {
			rc = gr_fail(&err, GR_INTERNAL, "%s was not stored",
			    name != NULL ? name : "?");
			break;
		}
		if (str(e, "lfn") != NULL) {
			if (!jd_registered(str(e, "lfn"), se, g))
				json_array_append_new(fc,
				    json_pack("{s:s, s:O, s:O, s:s, s:{s:s}}",
					"lfn", str(e, "lfn"), "size",
					json_object_get(g, "bytes"), "checksum",
					json_object_get(g, "adler32"),
					"checksumtype", "Adler32", "replicas",
					se, str(e, "pfn")));
		} else {
			json_array_append_new(ru,
			    json_pack("{s:s, s:s, s:O, s:O, s:O}", "scope",
				str(e, "scope"), "name", str(e, "did"), "bytes",
				json_object_get(g, "bytes"), "adler32",
				json_object_get(g, "adler32"), "md5",
				json_object_get(g, "md5")));
		}
	}
	if (rc == GR_OK && owner != NULL && json_array_size(fc) > 0)
		rc = fc_files_add(owner, group, fc, &err);
	if (rc == GR_OK && owner != NULL && json_array_size(ru) > 0)
		rc = replica_add(owner, se, ru, false, &err);
	json_decref(fc);
	json_decref(ru);
	if (rc == GR_OK)
		return 0;
	(void)snprintf(why, n, "Failed to upload output data: %s", err.msg);
	drop_copies(out, got);
	return -1;
}
