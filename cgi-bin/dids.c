/*
 * dids.c -- the dids family (/dids /meta /meta_conventions): DIDs, their
 * contents, parents, files, status, metadata, rules, search and sampling,
 * and the metadata conventions. Routes and handlers only: parse, call
 * core (collection.c, didmeta.c, didsearch.c, didlife.c, metaconv.c),
 * answer. Its backends also run the undertaker and the subscriptions'
 * pass after their requests.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "collection.h"
#include "didlife.h"
#include "didmeta.h"
#include "didsearch.h"
#include "metaconv.h"
#include "rule.h"
#include "subscription.h"
#include "util.h"
#include "web.h"

#define CT_HTML "text/html; charset=utf-8" /* Flask's, for empty 200s */

/* POST /dids/{scope}/{name}: create a dataset or container */
static int
dids_add(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = coll_add(r->issuer, web_param(r, "scope"), web_param(r, "name"),
	    body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /dids: a list of collections */
static int
dids_add_bulk(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_json(r, &body)) != GR_OK)
		return rc;
	rc = coll_add_bulk(r->issuer, body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /dids/{scope}/{name}[/status][?dynamic_depth=FILE|DATASET|dynamic] */
static int
dids_get(struct web_req *r)
{
	const char *dyn = web_query(r, "dynamic_depth");
	json_t *out;
	int rc;

	if (dyn == NULL && web_query(r, "dynamic") != NULL)
		dyn = "FILE";
	rc = coll_get(web_param(r, "scope"), web_param(r, "name"), dyn, &out,
	    &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* PUT /dids/{scope}/{name}/status {"open": bool} */
static int
dids_status(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = coll_set_status(r->issuer, web_param(r, "scope"),
	    web_param(r, "name"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* An attachment's "rse": absent, null or a name; *rse NULL or the name. */
static int
attachment_rse(struct web_req *r, const json_t *attachment, const char **rse)
{
	const json_t *v = json_object_get(attachment, "rse");

	*rse = json_string_value(v);
	if (v != NULL && !json_is_null(v) && *rse == NULL)
		return gr_fail(&r->err, GR_INVALID_OBJECT,
		    "Problem validating rse: an RSE name");
	return GR_OK;
}

/* POST /dids/{scope}/{name}/dids {"dids": [...]} */
static int
dids_attach(struct web_req *r)
{
	const json_t *dids;
	const char *rse;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "dids", &body, &dids)) != GR_OK)
		return rc;
	if ((rc = attachment_rse(r, body, &rse)) == GR_OK)
		rc = coll_attach_rse(r->issuer, web_param(r, "scope"),
		    web_param(r, "name"), dids, rse, false, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /dids/attachments: [attachment] or {"attachments", "ignore_duplicate"}
 */
static int
dids_attachments(struct web_req *r)
{
	json_t *body, *list, *att;
	bool ignore = false;
	const char *rse;
	size_t i;
	int rc;

	if ((rc = web_body_json(r, &body)) != GR_OK)
		return rc;
	if (json_is_array(body)) {
		list = body;
	} else if (json_is_object(body)) {
		list = json_object_get(body, "attachments");
		if ((rc = web_json_bool(r, body, "ignore_duplicate", false,
			 &ignore)) != GR_OK) {
			json_decref(body);
			return rc;
		}
	} else {
		json_decref(body);
		return gr_fail(&r->err, GR_TYPE_ERROR,
		    "a list of attachments or {\"attachments\", "
		    "\"ignore_duplicate\"}");
	}
	if (!json_is_array(list) || json_array_size(list) == 0) {
		json_decref(body);
		return gr_fail(&r->err, GR_INVALID_OBJECT,
		    "Problem validating attachments: a non-empty list");
	}
	/* each attachment in its own transaction, as upstream's loop */
	json_array_foreach(list, i, att) {
		if (!json_is_object(att) ||
		    json_object_get(att, "dids") == NULL)
			rc = gr_fail(&r->err, GR_INVALID_OBJECT,
			    "Problem validating attachments: item %zu needs "
			    "scope, name and dids",
			    i);
		else if ((rc = attachment_rse(r, att, &rse)) == GR_OK)
			rc = coll_attach_rse(r->issuer,
			    json_string_value(json_object_get(att, "scope")),
			    json_string_value(json_object_get(att, "name")),
			    json_object_get(att, "dids"), rse, ignore, &r->err);
		if (rc != GR_OK)
			break;
	}
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /dids/{scope}/{name}/dids: the direct children */
static int
dids_contents(struct web_req *r)
{
	int rc;

	rc = coll_contents(web_param(r, "scope"), web_param(r, "name"),
	    web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* DELETE /dids/{scope}/{name}/dids {"dids": [...]} */
static int
dids_detach(struct web_req *r)
{
	const json_t *dids;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "dids", &body, &dids)) != GR_OK)
		return rc;
	rc = coll_detach(r->issuer, web_param(r, "scope"), web_param(r, "name"),
	    dids, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /dids/{scope}/{name}/dids/history */
static int
dids_history(struct web_req *r)
{
	int rc = coll_history(web_param(r, "scope"), web_param(r, "name"),
	    web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/{name}/parents */
static int
dids_parents(struct web_req *r)
{
	int rc = coll_parents(web_param(r, "scope"), web_param(r, "name"),
	    web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/{name}/files[?long] */
static int
dids_files(struct web_req *r)
{
	int rc = coll_files(web_param(r, "scope"), web_param(r, "name"),
	    web_query(r, "long") != NULL, web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/[?name=&recursive=] */
static int
dids_scope(struct web_req *r)
{
	const char *rec = web_query(r, "recursive");
	bool recursive = rec != NULL &&
	    (strcasecmp(rec, "true") == 0 || strcmp(rec, "1") == 0);
	int rc;

	rc = coll_list_scope(web_param(r, "scope"), web_query(r, "name"),
	    recursive, web_emit_text, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/*
 * GET /dids/{scope}/dids/search (and search_extended; and GET /dids/ for
 * every scope): ?type, limit, long, recursive, and the filters literal, or
 * else every other parameter as one AND group
 */
static int
dids_search(struct web_req *r)
{
	static const char *const own[] = { "type", "limit", "long",
		"recursive" };
	struct didsearch_out out = { .emit = web_emit_text, .ctx = r };
	struct didsearch *q = NULL;
	const char *lit = web_query(r, "filters"), *lim;
	json_t *filters = NULL, *group;
	size_t i, j;
	int rc;

	if ((rc = web_query_bool(r, "long", false, &out.long_form)) != GR_OK ||
	    (rc = web_query_bool(r, "recursive", false, &out.recursive)) !=
		GR_OK)
		return rc;
	if ((lim = web_query(r, "limit")) != NULL &&
	    (parse_long(lim, 0, LONG_MAX, &out.limit) != 0))
		return gr_fail(&r->err, GR_INVALID_OBJECT,
		    "limit must be a whole number");
	if (lit != NULL) {
		if ((rc = didsearch_literal(lit, &filters, &r->err)) != GR_OK)
			return rc;
	} else {
		group = json_object();
		for (i = 0; i < r->nquery; i++) {
			for (j = 0; j < ARRAY_LEN(own); j++)
				if (strcmp(r->query[i].key, own[j]) == 0)
					break;
			if (j == ARRAY_LEN(own) &&
			    json_object_get(group, r->query[i].key) == NULL)
				json_object_set_new(group, r->query[i].key,
				    json_string(r->query[i].value));
		}
		filters = json_pack("[o]", group);
	}
	rc = didsearch_parse(filters, web_query(r, "type"), &q, &r->err);
	json_decref(filters);
	/* GET /dids/ (seed 002): every scope, each DID with its scope */
	out.with_scope = web_param(r, "scope") == NULL;
	if (rc == GR_OK)
		rc = didsearch_run(web_param(r, "scope"), q, &out, &r->err);
	didsearch_free(q);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{guid}/guid: the datasets holding the file */
static int
dids_guid(struct web_req *r)
{
	int rc = coll_guid(web_param(r, "guid"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/{name}/rules: the rules on the DID (404 for an
   unknown DID) */
static int
dids_rules(struct web_req *r)
{
	int rc = rule_list_did(web_param(r, "scope"), web_param(r, "name"),
	    web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/{name}/associated_rules: the rules holding locks on
   the file (or dataset locks on the collection) */
static int
dids_assoc_rules(struct web_req *r)
{
	int rc = rule_list_associated(web_param(r, "scope"),
	    web_param(r, "name"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/{scope}/{name}/meta[?plugin=DID_COLUMN|JSON|ALL] */
static int
dids_meta_get(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = didmeta_get(web_param(r, "scope"), web_param(r, "name"),
	    web_query(r, "plugin"), &out, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* POST /dids/{scope}/{name}/meta {"meta", "recursive"} or
   .../meta/{key} {"value", "recursive"} */
static int
dids_meta_set(struct web_req *r)
{
	const char *key = web_param(r, "key");
	json_t *body, *meta;
	bool recursive;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_bool(r, body, "recursive", false, &recursive)) !=
	    GR_OK) {
		json_decref(body);
		return rc;
	}
	if (key != NULL) {
		if (json_object_get(body, "value") == NULL) {
			json_decref(body);
			return gr_fail(&r->err, GR_KEY_ERROR,
			    "'value' not defined");
		}
		meta = json_pack("{s:O}", key, json_object_get(body, "value"));
	} else {
		meta = json_incref(json_object_get(body, "meta"));
	}
	rc = didmeta_set(r->issuer, web_param(r, "scope"), web_param(r, "name"),
	    meta, recursive, &r->err);
	json_decref(meta);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /dids/{scope}/{name}/meta?key= */
static int
dids_meta_del(struct web_req *r)
{
	int rc;

	rc = didmeta_del(r->issuer, web_param(r, "scope"), web_param(r, "name"),
	    web_query(r, "key"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* POST /dids/bulkdidsmeta {"dids": [{scope, name, meta}], "recursive"} */
static int
dids_bulkdidsmeta(struct web_req *r)
{
	json_t *body;
	bool recursive;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_bool(r, body, "recursive", false, &recursive)) ==
	    GR_OK)
		rc = didmeta_set_bulk(r->issuer, json_object_get(body, "dids"),
		    recursive, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /dids/bulkmeta {"dids", "inherit", "plugin"} */
static int
dids_bulkmeta(struct web_req *r)
{
	const char *plugin = NULL;
	json_t *body;
	bool inherit;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_bool(r, body, "inherit", false, &inherit)) ==
		GR_OK &&
	    (rc = web_json_string(r, body, "plugin", false, &plugin)) == GR_OK)
		rc = didmeta_get_bulk(json_object_get(body, "dids"), inherit,
		    plugin, web_emit, r, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /dids/new[?type=]: DIDs not yet seen by subscriptions */
static int
dids_new(struct web_req *r)
{
	int rc = didlife_list_new(web_query(r, "type"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* POST /dids/resurrect [{scope, name}] */
static int
dids_resurrect(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_json(r, &body)) != GR_OK)
		return rc;
	rc = didlife_resurrect(r->issuer, body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /dids/sample {input_scope, input_name, output_scope, output_name,
   nbfiles}, or the seed's POST /dids/{is}/{in}/{os}/{on}/{nb}/sample */
static int
dids_sample(struct web_req *r)
{
	json_t *body;
	int rc;

	if (web_param(r, "nbfiles") != NULL)
		body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "input_scope",
		    web_param(r, "input_scope"), "input_name",
		    web_param(r, "input_name"), "output_scope",
		    web_param(r, "output_scope"), "output_name",
		    web_param(r, "output_name"), "nbfiles",
		    web_param(r, "nbfiles"));
	else if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = coll_sample(r->issuer, body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /dids/bulkfiles {"dids": [...]} */
static int
dids_bulkfiles(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = coll_bulk_files(json_object_get(body, "dids"), web_emit, r,
	    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /meta_conventions/ (and /meta/): the registered keys */
static int
meta_keys(struct web_req *r)
{
	json_t *out;
	int rc = metaconv_list_keys(&out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /meta_conventions/{key}/: the key's allowed values */
static int
meta_values(struct web_req *r)
{
	json_t *out;
	int rc = metaconv_list_values(web_param(r, "key"), &out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/*
 * POST /meta_conventions/{key} {"key_type", "value_type", "value_regexp"}
 * registers a key; POST /meta_conventions/{key}/ {"value"} allows a value
 * (Rucio tells them apart by the slash). Seed 002's /meta/{key} takes an
 * empty body and then registers a key of type ALL.
 */
static int
meta_add(struct web_req *r)
{
	bool old = strncmp(r->path.segs[0], "meta", 5) == 0;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, old, &body)) != GR_OK)
		return rc;
	if (web_trailing_slash(r))
		rc = json_object_get(body, "value") == NULL
		    ? gr_fail(&r->err, GR_KEY_ERROR, "'value' not defined")
		    : metaconv_add_value(r->issuer, web_param(r, "key"),
			  json_object_get(body, "value"), &r->err);
	else
		rc = metaconv_add_key(r->issuer, web_param(r, "key"), body,
		    old ? "ALL" : NULL, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /meta_conventions/{key}[/{value}] (and /meta/...) */
static int
meta_del(struct web_req *r)
{
	const char *value = web_param(r, "value");
	int rc;

	rc = value != NULL
	    ? metaconv_del_value(r->issuer, web_param(r, "key"), value, &r->err)
	    : metaconv_del_key(r->issuer, web_param(r, "key"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* clang-format off */
static const struct web_route dids_routes[] = {
	{ WEB_POST,	"/dids",			dids_add_bulk,	WEB_ANY },
	{ WEB_POST,	"/dids/attachments",		dids_attachments, WEB_ANY },
	{ WEB_POST,	"/dids/bulkdidsmeta",		dids_bulkdidsmeta, WEB_ANY },
	{ WEB_POST,	"/dids/bulkfiles",		dids_bulkfiles,	WEB_STREAM },
	{ WEB_POST,	"/dids/bulkmeta",		dids_bulkmeta,	WEB_STREAM },
	{ WEB_GET,	"/dids/new",			dids_new,	WEB_STREAM },
	{ WEB_POST,	"/dids/resurrect",		dids_resurrect,	WEB_ANY },
	{ WEB_POST,	"/dids/sample",			dids_sample,	WEB_ANY },
	{ WEB_POST,	"/dids/{input_scope}/{input_name}/{output_scope}/{output_name}/{nbfiles}/sample", dids_sample, WEB_ANY },
	{ WEB_GET,	"/dids",			dids_search,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/dids/search",	dids_search,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/dids/search_extended", dids_search, WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}/meta",	dids_meta_get,	0 },
	{ WEB_POST,	"/dids/{scope}/{name}/meta",	dids_meta_set,	WEB_ANY },
	{ WEB_DELETE,	"/dids/{scope}/{name}/meta",	dids_meta_del,	WEB_ANY },
	{ WEB_POST,	"/dids/{scope}/{name}/meta/{key}", dids_meta_set, WEB_ANY },
	{ WEB_GET,	"/dids/{scope}/{name}/dids/history", dids_history, WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}/dids",	dids_contents,	WEB_STREAM },
	{ WEB_DELETE,	"/dids/{scope}/{name}/dids",	dids_detach,	WEB_ANY },
	{ WEB_GET,	"/dids/{scope}/{name}/parents",	dids_parents,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}/files",	dids_files,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}/rules",	dids_rules,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}/associated_rules", dids_assoc_rules, WEB_STREAM },
	{ WEB_POST,	"/dids/{scope}/{name}/dids",	dids_attach,	WEB_ANY },
	{ WEB_GET,	"/dids/{scope}/{name}/status",	dids_get,	0 },
	{ WEB_PUT,	"/dids/{scope}/{name}/status",	dids_status,	WEB_ANY },
	{ WEB_GET,	"/dids/{guid}/guid",		dids_guid,	WEB_STREAM },
	{ WEB_GET,	"/dids/{scope}/{name}",		dids_get,	0 },
	{ WEB_GET,	"/dids/{scope}",		dids_scope,	WEB_STREAM },
	{ WEB_POST,	"/dids/{scope}/{name}",		dids_add,	WEB_ANY },
	{ WEB_GET,	"/meta_conventions",		meta_keys,	0 },
	{ WEB_GET,	"/meta_conventions/{key}",	meta_values,	0 },
	{ WEB_POST,	"/meta_conventions/{key}",	meta_add,	WEB_ANY },
	{ WEB_DELETE,	"/meta_conventions/{key}",	meta_del,	WEB_ANY },
	{ WEB_DELETE,	"/meta_conventions/{key}/{value}", meta_del,	WEB_ANY },
	{ WEB_GET,	"/meta",			meta_keys,	0 },
	{ WEB_GET,	"/meta/{key}",			meta_values,	0 },
	{ WEB_POST,	"/meta/{key}",			meta_add,	WEB_ANY },
	{ WEB_DELETE,	"/meta/{key}",			meta_del,	WEB_ANY },
	{ WEB_DELETE,	"/meta/{key}/{value}",		meta_del,	WEB_ANY },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

/* Expired DIDs, and new ones a subscription's pass left behind, are
   dealt with by the dids backends themselves. */
static void
undertaker(void)
{
	didlife_undertaker_tick(cfg.undertaker_interval);
	sub_tick(cfg.undertaker_interval);
}

int
main(void)
{
	web_after_requests(undertaker);
	return web_main("dids", dids_routes);
}
