/*
 * rses.c -- the rses family: /rses (and later /replicas, /rules,
 * /subscriptions). Routes and handlers only: parse, call core, answer.
 */
#include <string.h>

#include "rse.h"
#include "rse_expr.h"
#include "web.h"

#define CT_HTML "text/html; charset=utf-8" /* Flask's, for empty 200s */

/* GET /rses: a stream of every RSE that is not deleted, or with
   ?expression= of {"rse": name} for the RSEs it selects */
static int
rses_list(struct web_req *r)
{
	int rc;

	if (web_query(r, "expression") != NULL)
		rc = rse_expr_list(web_query(r, "expression"), web_emit, r,
		    &r->err);
	else
		rc = rse_list(web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* POST /rses/{rse}: settings in the body, which may be empty */
static int
rses_add(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, true, &body)) != GR_OK)
		return rc;
	rc = rse_add(r->issuer, web_param(r, "rse"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /rses/{rse} */
static int
rses_get(struct web_req *r)
{
	json_t *info;
	int rc;

	rc = rse_get(web_param(r, "rse"), &info, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, info);
}

/* PUT /rses/{rse}: 201, as the client expects */
static int
rses_update(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = rse_update(r->issuer, web_param(r, "rse"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /rses/{rse} */
static int
rses_delete(struct web_req *r)
{
	int rc;

	rc = rse_delete(r->issuer, web_param(r, "rse"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /rses/{rse}/attr: {key: value} */
static int
rses_attrs(struct web_req *r)
{
	json_t *attrs;
	int rc;

	rc = rse_attr_list(web_param(r, "rse"), &attrs, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, attrs);
}

/* POST /rses/{rse}/attr/{key} {"value": ...} */
static int
rses_attr_set(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if (json_object_get(body, "value") == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR, "'value' not defined");
	else
		rc = rse_attr_set(r->issuer, web_param(r, "rse"),
		    web_param(r, "key"), json_object_get(body, "value"),
		    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* DELETE /rses/{rse}/attr/{key} */
static int
rses_attr_del(struct web_req *r)
{
	int rc;

	rc = rse_attr_del(r->issuer, web_param(r, "rse"), web_param(r, "key"),
	    &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /rses/{rse}/protocols: the list (404 when there is none) */
static int
rses_protocols(struct web_req *r)
{
	json_t *list;
	int rc;

	rc = rse_proto_list(web_param(r, "rse"), &list, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, list);
}

/* POST /rses/{rse}/protocols/{scheme} */
static int
rses_proto_add(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = rse_proto_add(r->issuer, web_param(r, "rse"),
	    web_param(r, "scheme"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* PUT /rses/{rse}/protocols/{scheme}[/{hostname}[/{port}]] */
static int
rses_proto_update(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = rse_proto_update(r->issuer, web_param(r, "rse"),
	    web_param(r, "scheme"), web_param(r, "hostname"),
	    web_param(r, "port"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* DELETE /rses/{rse}/protocols/{scheme}[/{hostname}[/{port}]] */
static int
rses_proto_del(struct web_req *r)
{
	int rc;

	rc = rse_proto_del(r->issuer, web_param(r, "rse"),
	    web_param(r, "scheme"), web_param(r, "hostname"),
	    web_param(r, "port"), &r->err);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /rses/{rse}/lfns2pfns?lfn=scope:name&...[&scheme=][&domain=wan]
   [&operation=write]: {"scope:name": pfn} */
static int
rses_lfns2pfns(struct web_req *r)
{
	json_t *lfns = json_array(), *out;
	size_t i;
	int rc;

	for (i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].key, "lfn") == 0)
			json_array_append_new(lfns,
			    json_string(r->query[i].value));
	rc = rse_lfns2pfns(web_param(r, "rse"), lfns, web_query(r, "scheme"),
	    web_query(r, "domain"), web_query(r, "operation"), &out, &r->err);
	json_decref(lfns);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /rses/{rse}/limits: {name: value} */
static int
rses_limits(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = rse_limits_get(web_param(r, "rse"), &out, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* PUT /rses/{rse}/limits {"name", "value"}; DELETE {"name"} */
static int
rses_limit_change(struct web_req *r)
{
	const char *name;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "name", true, &name)) == GR_OK) {
		if (r->method == WEB_DELETE)
			rc = rse_limit_del(r->issuer, web_param(r, "rse"), name,
			    &r->err);
		else if (json_object_get(body, "value") == NULL)
			rc = gr_fail(&r->err, GR_KEY_ERROR,
			    "'value' not defined");
		else
			rc = rse_limit_set(r->issuer, web_param(r, "rse"), name,
			    json_object_get(body, "value"), &r->err);
	}
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* clang-format off */
static const struct web_route rses_routes[] = {
	{ WEB_GET,	"/rses",			rses_list,	WEB_STREAM },
	{ WEB_GET,	"/rses/{rse}/attr",		rses_attrs,	0 },
	{ WEB_POST,	"/rses/{rse}/attr/{key}",	rses_attr_set,	WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/attr/{key}",	rses_attr_del,	WEB_ANY },
	{ WEB_GET,	"/rses/{rse}/protocols",	rses_protocols,	0 },
	{ WEB_GET,	"/rses/{rse}/lfns2pfns",	rses_lfns2pfns,	0 },
	{ WEB_GET,	"/rses/{rse}/limits",		rses_limits,	0 },
	{ WEB_PUT,	"/rses/{rse}/limits",		rses_limit_change, WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/limits",		rses_limit_change, WEB_ANY },
	{ WEB_GET,	"/rses/{rse}/protocols/{scheme}", rses_get,	0 },
	{ WEB_POST,	"/rses/{rse}/protocols/{scheme}", rses_proto_add, WEB_ANY },
	{ WEB_PUT,	"/rses/{rse}/protocols/{scheme}", rses_proto_update, WEB_ANY },
	{ WEB_PUT,	"/rses/{rse}/protocols/{scheme}/{hostname}", rses_proto_update, WEB_ANY },
	{ WEB_PUT,	"/rses/{rse}/protocols/{scheme}/{hostname}/{port}", rses_proto_update, WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/protocols/{scheme}", rses_proto_del, WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/protocols/{scheme}/{hostname}", rses_proto_del, WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/protocols/{scheme}/{hostname}/{port}", rses_proto_del, WEB_ANY },
	{ WEB_GET,	"/rses/{rse}",			rses_get,	0 },
	{ WEB_POST,	"/rses/{rse}",			rses_add,	WEB_ANY },
	{ WEB_PUT,	"/rses/{rse}",			rses_update,	WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}",			rses_delete,	WEB_ANY },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	return web_main("rses", rses_routes);
}
