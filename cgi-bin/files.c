/*
 * files.c -- the files family (/filecatalogue): the DIRAC file catalogue's
 * routes and handlers. Directories and files are named in URLs by their
 * LFN in url-safe base64 (an absent segment is "/"); query arguments
 * "key=op|value" are metadata conditions. The catalogue itself is core
 * (catalog.h).
 */
#include <string.h>

#include "catalog.h"
#include "util.h"
#include "web.h"

#define CT_JSON "application/json"

/* The LFN of path parameter name (absent: "/") into out. */
static int
lfn(struct web_req *r, const char *name, char out[FC_PATH_MAX + 1])
{
	return fc_path_decode(web_param(r, name), out, &r->err);
}

/* The metadata condition of the query: *cond, new (NULL if none). */
static int
condition(struct web_req *r, json_t **cond)
{
	bool used;
	size_t i;
	int rc;

	*cond = json_object();
	for (i = 0; i < r->nquery; i++) {
		rc = fc_cond_add(*cond, r->query[i].key, r->query[i].value,
		    &used, &r->err);
		if (rc != GR_OK) {
			json_decref(*cond);
			*cond = NULL;
			return rc;
		}
	}
	if (json_object_size(*cond) == 0) {
		json_decref(*cond);
		*cond = NULL;
	}
	return GR_OK;
}

/* {"<lfn>": true}, DIRAC's answer to a successful change. */
static int
reply_done(struct web_req *r, int status, const char *path)
{
	return web_reply_json_new(r, status, json_pack("{s:b}", path, 1));
}

/* A body that is any JSON value: *out new. */
static int
body_any(struct web_req *r, json_t **out)
{
	const char *text;
	size_t len;
	int rc;

	if ((rc = web_body(r, &text, &len)) != GR_OK)
		return rc;
	if ((*out = json_loadb(text, len, JSON_DECODE_ANY, NULL)) == NULL)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "cannot decode the body as JSON");
	return GR_OK;
}

/* GET /filecatalogue/metadata[?cond] */
static int
fields_list(struct web_req *r)
{
	json_t *cond, *out;
	int rc;

	if ((rc = condition(r, &cond)) != GR_OK)
		return rc;
	rc = fc_fields(cond, &out, &r->err);
	json_decref(cond);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* POST /filecatalogue/metadata {"name", "type", "kind": directory|file} */
static int
fields_add(struct web_req *r)
{
	const char *name, *type, *kind;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "name", true, &name)) == GR_OK &&
	    (rc = web_json_string(r, body, "type", true, &type)) == GR_OK &&
	    (rc = web_json_string(r, body, "kind", false, &kind)) == GR_OK) {
		if (kind != NULL && strcmp(kind, "directory") != 0 &&
		    strcmp(kind, "file") != 0)
			rc = gr_fail(&r->err, GR_INVALID_VALUE,
			    "'kind' is directory or file");
		else
			rc = fc_field_add(r->issuer, name, type,
			    kind != NULL && strcmp(kind, "file") == 0 ? 'f'
								      : 'd',
			    &r->err);
	}
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

static int
emit_json(const char *s, size_t n, void *ctx)
{
	return web_stream_text(ctx, CT_JSON, s, n);
}

/* GET /filecatalogue/directory[/{dir}][?verbose=true|extra=...] */
static int
dirs_get(struct web_req *r)
{
	char path[FC_PATH_MAX + 1];
	const char *extra = web_query(r, "extra");
	bool verbose;
	int rc;

	if ((rc = lfn(r, "dir", path)) != GR_OK ||
	    (rc = web_query_bool(r, "verbose", false, &verbose)) != GR_OK)
		return rc;
	if (extra != NULL && *extra != '\0')
		verbose = true;
	return fc_dir_list(path, verbose, emit_json, r, &r->err);
}

/* POST /filecatalogue/directory/{dir} [{"mode", "owner"}] */
static int
dirs_add(struct web_req *r)
{
	char path[FC_PATH_MAX + 1];
	json_t *body;
	int rc;

	if ((rc = lfn(r, "dir", path)) != GR_OK ||
	    (rc = web_body_object(r, true, &body)) != GR_OK)
		return rc;
	rc = fc_dir_add(r->issuer, r->group, path, body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/*
 * PUT|POST .../{dir|file}/metadata {field: value}: set;
 * DELETE .../metadata [field] (or {"keys": [field]}): unset.
 */
static int
meta_change(struct web_req *r, const char *param, bool dir)
{
	char path[FC_PATH_MAX + 1];
	json_t *body, *keys;
	int rc;

	if ((rc = lfn(r, param, path)) != GR_OK ||
	    (rc = body_any(r, &body)) != GR_OK)
		return rc;
	if (r->method == WEB_DELETE) {
		keys = json_is_object(body) ? json_object_get(body, "keys")
					    : body;
		rc = fc_meta_unset(r->issuer, path, dir, keys, &r->err);
	} else {
		rc = fc_meta_set(r->issuer, path, dir, body, &r->err);
	}
	json_decref(body);
	return rc != GR_OK ? rc : reply_done(r, 200, path);
}

static int
dirs_meta_change(struct web_req *r)
{
	return meta_change(r, "dir", true);
}

static int
files_meta_change(struct web_req *r)
{
	return meta_change(r, "file", false);
}

/* POST /filecatalogue/file/{file} {"size", "checksum", "guid", ...} */
static int
files_add(struct web_req *r)
{
	char path[FC_PATH_MAX + 1];
	json_t *body, *list;
	int rc;

	if ((rc = lfn(r, "file", path)) != GR_OK ||
	    (rc = web_body_object(r, true, &body)) != GR_OK)
		return rc;
	json_object_set_new(body, "lfn", json_string(path));
	list = json_pack("[o]", body);
	rc = fc_files_add(r->issuer, r->group, list, &r->err);
	json_decref(list);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* The handlers of a kind: one per shape, the core function as data. */
typedef int (*path_cond_fn)(const char *path, const json_t *cond, json_t **out,
    struct gr_err *err);
typedef int (*bulk_fn)(const char *issuer, const char *group,
    const json_t *items, struct gr_err *err);
typedef int (
    *remove_fn)(const char *issuer, const char *path, struct gr_err *err);
typedef int (*file_get_fn)(const char *path, json_t **out, struct gr_err *err);

/* GET .../directory/{dir}/metadata|search[?cond] */
static int
dir_cond_get(struct web_req *r, path_cond_fn fn)
{
	char path[FC_PATH_MAX + 1];
	json_t *cond, *out;
	int rc;

	if ((rc = lfn(r, "dir", path)) != GR_OK ||
	    (rc = condition(r, &cond)) != GR_OK)
		return rc;
	rc = fn(path, cond, &out, &r->err);
	json_decref(cond);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

static int
dirs_meta_get(struct web_req *r)
{
	return dir_cond_get(r, fc_dir_compatible);
}

static int
dirs_search(struct web_req *r)
{
	return dir_cond_get(r, fc_dir_search);
}

/* POST a list, or {member: list} */
static int
bulk_post(struct web_req *r, const char *member, bulk_fn fn)
{
	json_t *body;
	int rc;

	if ((rc = body_any(r, &body)) != GR_OK)
		return rc;
	rc = fn(r->issuer, r->group,
	    json_is_object(body) ? json_object_get(body, member) : body,
	    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* POST /filecatalogue/directories [lfn | {"path", ...}] */
static int
dirs_add_bulk(struct web_req *r)
{
	return bulk_post(r, "directories", fc_dirs_add);
}

/* POST /filecatalogue/files [{"lfn", ...}] */
static int
files_add_bulk(struct web_req *r)
{
	return bulk_post(r, "files", fc_files_add);
}

/* DELETE .../directory/{dir} or .../file/{file}: {"<lfn>": true} */
static int
removal(struct web_req *r, const char *param, remove_fn fn)
{
	char path[FC_PATH_MAX + 1];
	int rc;

	if ((rc = lfn(r, param, path)) != GR_OK ||
	    (rc = fn(r->issuer, path, &r->err)) != GR_OK)
		return rc;
	return reply_done(r, 200, path);
}

static int
dirs_delete(struct web_req *r)
{
	return removal(r, "dir", fc_dir_del);
}

static int
files_delete(struct web_req *r)
{
	return removal(r, "file", fc_file_del);
}

/* GET .../file/{file}/attributes|metadata */
static int
file_get(struct web_req *r, file_get_fn fn)
{
	char path[FC_PATH_MAX + 1];
	json_t *out;
	int rc;

	if ((rc = lfn(r, "file", path)) != GR_OK ||
	    (rc = fn(path, &out, &r->err)) != GR_OK)
		return rc;
	return web_reply_json_new(r, 200, out);
}

static int
files_get(struct web_req *r)
{
	return file_get(r, fc_file_attrs);
}

static int
files_meta_get(struct web_req *r)
{
	return file_get(r, fc_file_meta);
}

/* clang-format off */
static const struct web_route files_routes[] = {
	{ WEB_GET,	"/filecatalogue/metadata",	fields_list,	0 },
	{ WEB_POST,	"/filecatalogue/metadata",	fields_add,	WEB_ANY },
	{ WEB_POST,	"/filecatalogue/directories",	dirs_add_bulk,	WEB_ANY },
	{ WEB_POST,	"/filecatalogue/files",		files_add_bulk,	WEB_ANY },
	{ WEB_GET,	"/filecatalogue/directory",	dirs_get,	0 },
	{ WEB_GET,	"/filecatalogue/directory/metadata", dirs_meta_get, 0 },
	{ WEB_PUT,	"/filecatalogue/directory/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_POST,	"/filecatalogue/directory/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_DELETE,	"/filecatalogue/directory/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_GET,	"/filecatalogue/directory/search", dirs_search,	0 },
	{ WEB_GET,	"/filecatalogue/directory/{dir}/metadata", dirs_meta_get, 0 },
	{ WEB_PUT,	"/filecatalogue/directory/{dir}/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_POST,	"/filecatalogue/directory/{dir}/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_DELETE,	"/filecatalogue/directory/{dir}/metadata", dirs_meta_change, WEB_ANY },
	{ WEB_GET,	"/filecatalogue/directory/{dir}/search", dirs_search, 0 },
	{ WEB_GET,	"/filecatalogue/directory/{dir}", dirs_get,	0 },
	{ WEB_POST,	"/filecatalogue/directory/{dir}", dirs_add,	WEB_ANY },
	{ WEB_DELETE,	"/filecatalogue/directory/{dir}", dirs_delete,	WEB_ANY },
	{ WEB_GET,	"/filecatalogue/file/{file}/attributes", files_get, 0 },
	{ WEB_GET,	"/filecatalogue/file/{file}/metadata", files_meta_get, 0 },
	{ WEB_PUT,	"/filecatalogue/file/{file}/metadata", files_meta_change, WEB_ANY },
	{ WEB_POST,	"/filecatalogue/file/{file}/metadata", files_meta_change, WEB_ANY },
	{ WEB_DELETE,	"/filecatalogue/file/{file}/metadata", files_meta_change, WEB_ANY },
	{ WEB_GET,	"/filecatalogue/file/{file}",	files_get,	0 },
	{ WEB_POST,	"/filecatalogue/file/{file}",	files_add,	WEB_ANY },
	{ WEB_DELETE,	"/filecatalogue/file/{file}",	files_delete,	WEB_ANY },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	return web_main("files", files_routes);
}
