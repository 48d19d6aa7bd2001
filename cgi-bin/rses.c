/*
 * rses.c -- the rses family: /rses (with attributes, protocols, distances,
 * limits and usage), /replicas, /rules, /locks, /requests and
 * /subscriptions. Routes and handlers only: parse, call core, answer.
 * After their requests its backends delete expired rules and start the
 * rule evaluator when a rule waits for it (rule_tick).
 */
#include <string.h>

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>

#include "date.h"
#include "request.h"
#include "replica.h"
#include "rse.h"
#include "rse_expr.h"
#include "rule.h"
#include "subscription.h"
#include "usage.h"
#include "util.h"
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
	const json_t *value;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "value", &body, &value)) != GR_OK)
		return rc;
	rc = rse_attr_set(r->issuer, web_param(r, "rse"), web_param(r, "key"),
	    value, &r->err);
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

/* GET /rses/{rse}/usage[?source=&per_account=] */
static int
rses_usage(struct web_req *r)
{
	const char *pa = web_query(r, "per_account");
	bool per_account = pa != NULL &&
	    (strcasecmp(pa, "true") == 0 || strcmp(pa, "1") == 0);
	int rc;

	rc = usage_rse_get(web_param(r, "rse"), web_query(r, "source"),
	    per_account, web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* A line of JSON under application/json: Rucio's /accounts/usage answer
   (its content type says one document; its body is JSON lines). */
static int
emit_json_line(json_t *item, void *ctx)
{
	char *s = json_dumps(item, JSON_COMPACT);
	int rc;

	rc = web_stream_text(ctx, "application/json", s, strlen(s));
	if (rc == GR_OK)
		rc = web_stream_text(ctx, "application/json", "\n", 1);
	free(s);
	return rc;
}

/* GET /rses/{rse}/accounts/usage: every account's usage and quota there */
static int
rses_accounts_usage(struct web_req *r)
{
	int rc;

	rc = account_usage_on_rse(web_param(r, "rse"), emit_json_line, r,
	    &r->err);
	return rc != GR_OK ? rc : web_stream_text(r, "application/json", "", 0);
}

/* PUT /rses/{rse}/usage {"source","used","free","files"} */
static int
rses_usage_set(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = usage_rse_set(r->issuer, web_param(r, "rse"), body, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* GET /rses/{rse}/usage/history[?source=] */
static int
rses_usage_history(struct web_req *r)
{
	int rc;

	rc = usage_rse_history(web_param(r, "rse"), web_query(r, "source"),
	    web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /replicas/rse/{rse}: the dataset replicas on the RSE */
static int
replicas_rse(struct web_req *r)
{
	int rc;

	rc = replica_datasets_rse(web_param(r, "rse"), web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* POST /replicas registers replicas (and new files), PUT changes their
   states, DELETE removes them: {"rse", "files", "ignore_availability"} */
static int
replicas_change(struct web_req *r)
{
	const char *rse;
	json_t *body, *files;
	bool ignore;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "rse", true, &rse)) != GR_OK ||
	    (rc = web_json_bool(r, body, "ignore_availability", false,
		 &ignore)) != GR_OK)
		goto out;
	if ((files = json_object_get(body, "files")) == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR, "'files' not defined");
	else if (r->method == WEB_POST)
		rc = replica_add(r->issuer, rse, files, ignore, &r->err);
	else if (r->method == WEB_PUT)
		rc = replica_update(r->issuer, rse, files, &r->err);
	else
		rc = replica_delete(r->issuer, rse, files, ignore, &r->err);
out:
	json_decref(body);
	if (rc != GR_OK)
		return rc;
	return r->method == WEB_POST ? web_reply_created(r)
				     : web_reply_text(r, 200, CT_HTML, "", 0);
}

#define CT_METALINK "application/metalink4+xml"
#define CT_JSTREAM  "application/x-json-stream"

/* A listing answered as a JSON stream or, when asked, as Metalink 4. */
struct metalink {
	struct web_req *r;
	bool started;
};

/* Append s to the buffer, XML-escaped. */
static void
xml_add(char **buf, size_t *len, size_t *cap, const char *s, bool esc)
{
	for (; *s != '\0'; s++) {
		const char *rep = NULL;
		char one[2] = { *s, '\0' };
		size_t n;

		if (esc)
			rep = *s == '&'  ? "&amp;"
			    : *s == '<'  ? "&lt;"
			    : *s == '>'  ? "&gt;"
			    : *s == '"'  ? "&quot;"
			    : *s == '\'' ? "&apos;"
					 : NULL;
		if (rep == NULL)
			rep = one;
		n = strlen(rep);
		if (*len + n + 1 > *cap) {
			*cap = (*cap + n + 1) * 2;
			*buf = xrealloc(*buf, *cap);
		}
		memcpy(*buf + *len, rep, n);
		*len += n;
		(*buf)[*len] = '\0';
	}
}

static int
metalink_emit(json_t *item, void *ctx)
{
	struct metalink *m = ctx;
	const char *scope = json_string_value(json_object_get(item, "scope"));
	const char *name = json_string_value(json_object_get(item, "name"));
	const char *ck, *pfn;
	char *buf = NULL, num[32];
	size_t len = 0, cap = 0, i;
	json_t *v, *parents = json_object_get(item, "parents");
	int rc;

	if (!m->started) {
		xml_add(&buf, &len, &cap,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n",
		    false);
		m->started = true;
	}
	xml_add(&buf, &len, &cap, " <file name=\"", false);
	xml_add(&buf, &len, &cap, name, true);
	xml_add(&buf, &len, &cap, "\">\n", false);
	if (json_array_size(parents) > 0) {
		xml_add(&buf, &len, &cap, "  <parents>\n", false);
		json_array_foreach(parents, i, v) {
			xml_add(&buf, &len, &cap, "   <did>", false);
			xml_add(&buf, &len, &cap, json_string_value(v), true);
			xml_add(&buf, &len, &cap, "</did>\n", false);
		}
		xml_add(&buf, &len, &cap, "  </parents>\n", false);
	}
	xml_add(&buf, &len, &cap, "  <identity>", false);
	xml_add(&buf, &len, &cap, scope, true);
	xml_add(&buf, &len, &cap, ":", false);
	xml_add(&buf, &len, &cap, name, true);
	xml_add(&buf, &len, &cap, "</identity>\n", false);
	if ((ck = json_string_value(json_object_get(item, "adler32"))) !=
	    NULL) {
		xml_add(&buf, &len, &cap, "  <hash type=\"adler32\">", false);
		xml_add(&buf, &len, &cap, ck, true);
		xml_add(&buf, &len, &cap, "</hash>\n", false);
	}
	if ((ck = json_string_value(json_object_get(item, "md5"))) != NULL) {
		xml_add(&buf, &len, &cap, "  <hash type=\"md5\">", false);
		xml_add(&buf, &len, &cap, ck, true);
		xml_add(&buf, &len, &cap, "</hash>\n", false);
	}
	(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(item, "bytes")));
	xml_add(&buf, &len, &cap, "  <size>", false);
	xml_add(&buf, &len, &cap, num, false);
	xml_add(&buf, &len, &cap, "</size>\n  <glfn name=\"/gridrest/", false);
	xml_add(&buf, &len, &cap, scope, true);
	xml_add(&buf, &len, &cap, ":", false);
	xml_add(&buf, &len, &cap, name, true);
	xml_add(&buf, &len, &cap, "\"></glfn>\n", false);
	json_object_foreach(json_object_get(item, "pfns"), pfn, v) {
		xml_add(&buf, &len, &cap, "  <url location=\"", false);
		xml_add(&buf, &len, &cap,
		    json_string_value(json_object_get(v, "rse")), true);
		xml_add(&buf, &len, &cap, "\" domain=\"", false);
		xml_add(&buf, &len, &cap,
		    json_string_value(json_object_get(v, "domain")), true);
		(void)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(v, "priority")));
		xml_add(&buf, &len, &cap, "\" priority=\"", false);
		xml_add(&buf, &len, &cap, num, false);
		xml_add(&buf, &len, &cap, "\" client_extract=\"false\">",
		    false);
		xml_add(&buf, &len, &cap, pfn, true);
		xml_add(&buf, &len, &cap, "</url>\n", false);
	}
	xml_add(&buf, &len, &cap, " </file>\n", false);
	rc = web_stream_text(m->r, CT_METALINK, buf, len);
	free(buf);
	return rc;
}

static int
metalink_text(const char *line, size_t n, void *ctx)
{
	json_t *item = json_loadb(line, n, 0, NULL);
	int rc;

	if (item == NULL)
		return gr_fail(&((struct metalink *)ctx)->r->err, GR_INTERNAL,
		    "a listing entry is not JSON");
	rc = metalink_emit(item, ctx);
	json_decref(item);
	return rc;
}

/* Run a listing in the representation the client asked for. */
static int
replicas_answer(struct web_req *r, const struct replica_query *q)
{
	struct metalink m = { .r = r };
	int rc;

	if (web_accepts(r, CT_JSTREAM)) {
		rc = replica_list(q, web_emit_text, r, &r->err);
		return rc != GR_OK ? rc : web_stream_end(r);
	}
	if (!web_accepts(r, CT_METALINK))
		return gr_fail(&r->err, GR_NOT_ACCEPTABLE,
		    "this resource answers %s or %s only", CT_JSTREAM,
		    CT_METALINK);
	rc = replica_list(q, metalink_text, &m, &r->err);
	if (rc != GR_OK)
		return rc;
	if (!m.started)
		return web_stream_text(r, CT_METALINK,
		    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<metalink xmlns=\"urn:ietf:params:xml:ns:metalink\">\n"
		    "</metalink>\n",
		    strlen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<metalink xmlns=\"urn:ietf:params:xml:ns:"
			   "metalink\">\n</metalink>\n"));
	return web_stream_text(r, CT_METALINK, "</metalink>\n", 12);
}

/* "limit" of the query: PFNs per file */
static int
query_limit(struct web_req *r, long *out)
{
	const char *v = web_query(r, "limit");

	*out = 0;
	if (v != NULL && *v != '\0' && parse_long(v, 1, 1000000, out) != 0)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "'limit' must be a positive integer");
	return GR_OK;
}

/*
 * The sort of the body's "sort", which the query's "select" and then
 * "sort" override (upstream reads all three), and "nrandom": a number, a
 * string of one (Rucio casts with int()), or null.
 */
static int
list_options(struct web_req *r, const json_t *body, struct replica_query *q)
{
	const json_t *v = json_object_get(body, "sort");
	const char *s;

	if (v != NULL && !json_is_null(v) && !json_is_string(v))
		return gr_fail(&r->err, GR_INVALID_OBJECT,
		    "Problem validating sort: a string");
	q->sort = json_string_value(v);
	if ((s = web_query(r, "select")) != NULL)
		q->sort = s;
	if ((s = web_query(r, "sort")) != NULL)
		q->sort = s;
	if (q->sort != NULL && *q->sort == '\0')
		q->sort = NULL;
	v = json_object_get(body, "nrandom");
	if (v == NULL || json_is_null(v))
		return GR_OK;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= REPLICA_NRANDOM_MAX) {
		q->nrandom = (long)json_integer_value(v);
		return GR_OK;
	}
	if (json_is_string(v) &&
	    parse_long(json_string_value(v), 0, REPLICA_NRANDOM_MAX,
		&q->nrandom) == 0)
		return GR_OK;
	return gr_fail(&r->err, GR_INVALID_OBJECT,
	    "Problem validating nrandom: 1 to %d files", REPLICA_NRANDOM_MAX);
}

/* POST /replicas/list */
static int
replicas_list(struct web_req *r)
{
	struct replica_query q = { 0 };
	json_t *body, *v;
	const char *s;
	bool unavail;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	q.dids = json_object_get(body, "dids"); /* absent: none */
	v = json_object_get(body, "schemes");
	q.schemes = json_is_null(v) ? NULL : v;
	if ((rc = web_json_bool(r, body, "unavailable", false, &unavail)) !=
		GR_OK ||
	    (rc = web_json_bool(r, body, "ignore_availability",
		 json_object_get(body, "unavailable") != NULL,
		 &q.ignore_availability)) != GR_OK ||
	    (rc = web_json_bool(r, body, "all_states", false, &q.all_states)) !=
		GR_OK ||
	    (rc = web_json_bool(r, body, "resolve_parents", false,
		 &q.resolve_parents)) != GR_OK ||
	    (rc = web_json_string(r, body, "rse_expression", false,
		 &q.rse_expression)) != GR_OK ||
	    (rc = web_json_string(r, body, "domain", false, &q.domain)) !=
		GR_OK ||
	    (rc = query_limit(r, &q.limit)) != GR_OK ||
	    (rc = list_options(r, body, &q)) != GR_OK)
		goto out;
	q.unavailable = unavail;
	v = json_object_get(body, "updated_after");
	if (json_is_number(v)) {
		q.updated_after = (int64_t)json_number_value(v);
	} else if ((s = json_string_value(v)) != NULL) {
		if (date_parse(s, &q.updated_after) != 0) {
			rc = gr_fail(&r->err, GR_INVALID_OBJECT,
			    "'updated_after' must be epoch seconds or "
			    "%%Y-%%m-%%dT%%H:%%M:%%S");
			goto out;
		}
	}
	if (q.dids == NULL) {
		json_t *none = json_array();

		q.dids = none;
		rc = replicas_answer(r, &q);
		json_decref(none);
		goto out;
	}
	rc = replicas_answer(r, &q);
out:
	json_decref(body);
	return rc;
}

/* GET /replicas/{scope}/{name}[?schemes=a,b&limit=&select=] */
static int
replicas_get(struct web_req *r)
{
	struct replica_query q = { .ignore_availability = true };
	const char *sch = web_query(r, "schemes");
	json_t *dids, *schemes = NULL;
	int rc;

	if ((rc = query_limit(r, &q.limit)) != GR_OK)
		return rc;
	q.sort = web_query(r, "select");
	if (q.sort != NULL && *q.sort == '\0')
		q.sort = NULL;
	dids = json_pack("[{s:s, s:s}]", "scope", web_param(r, "scope"), "name",
	    web_param(r, "name"));
	if (dids == NULL)
		return gr_fail(&r->err, GR_INVALID_PATH,
		    "the scope and name are not UTF-8");
	if (sch != NULL && *sch != '\0') {
		char *copy = xstrdup(sch), *save = NULL, *tok;

		schemes = json_array();
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(schemes, json_string(tok));
		free(copy);
	}
	q.dids = dids;
	q.schemes = schemes;
	rc = replicas_answer(r, &q);
	json_decref(dids);
	json_decref(schemes);
	return rc;
}

/* POST /replicas/dids {"pfns", "rse"} */
static int
replicas_dids(struct web_req *r)
{
	const char *rse;
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_string(r, body, "rse", true, &rse)) == GR_OK)
		rc = replica_dids(rse, json_object_get(body, "pfns"), web_emit,
		    r, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /replicas/{scope}/{name}/datasets[?deep=true] */
static int
replicas_datasets(struct web_req *r)
{
	const char *deep = web_query(r, "deep");
	json_t *dids;
	int rc;

	dids = json_pack("[{s:s, s:s}]", "scope", web_param(r, "scope"), "name",
	    web_param(r, "name"));
	if (dids == NULL)
		return gr_fail(&r->err, GR_INVALID_PATH,
		    "the scope and name are not UTF-8");
	rc = replica_datasets(dids,
	    deep != NULL &&
		(strcasecmp(deep, "true") == 0 || strcmp(deep, "1") == 0),
	    web_emit, r, &r->err);
	json_decref(dids);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* POST /replicas/datasets_bulk {"dids"} */
static int
replicas_datasets_bulk(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = replica_datasets(json_object_get(body, "dids"), false, web_emit, r,
	    &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /rses/{src}/distances/{dst}: [] or [distance] */
static int
rses_distance_get(struct web_req *r)
{
	json_t *out;
	int rc;

	rc = rse_distance_get(web_param(r, "rse"), web_param(r, "dst"), &out,
	    &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* POST, PUT, DELETE /rses/{src}/distances/{dst} {"distance" or "ranking",
   "bidirectional"} */
static int
rses_distance_change(struct web_req *r)
{
	const char *src = web_param(r, "rse"), *dst = web_param(r, "dst");
	json_t *body, *d;
	bool both;
	int rc;

	/* a body is required but on DELETE (whose options come in the
	   query) */
	if ((rc = web_body_object(r, r->method == WEB_DELETE, &body)) != GR_OK)
		return rc;
	if ((rc = web_json_bool(r, body, "bidirectional", false, &both)) !=
	    GR_OK) {
		json_decref(body);
		return rc;
	}
	/* the client sends it as a query parameter on DELETE */
	if (web_query(r, "bidirectional") != NULL)
		both = strcasecmp(web_query(r, "bidirectional"), "true") == 0 ||
		    strcmp(web_query(r, "bidirectional"), "1") == 0;
	d = json_object_get(body, "distance");
	if (d == NULL || json_is_null(d))
		d = json_object_get(body, "ranking");
	if (r->method == WEB_POST)
		rc = rse_distance_add(r->issuer, src, dst, d, both, &r->err);
	else if (r->method == WEB_PUT)
		rc = rse_distance_update(r->issuer, src, dst, d, both, &r->err);
	else
		rc = rse_distance_del(r->issuer, src, dst, both, &r->err);
	json_decref(body);
	if (rc != GR_OK)
		return rc;
	return r->method == WEB_POST ? web_reply_created(r)
				     : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* --- subscriptions ---------------------------------------------------- */

/* POST /subscriptions/{account}/{name} {"options"}: 201, the id as text */
static int
subs_add(struct web_req *r)
{
	char id[SUB_ID_LEN + 1];
	const json_t *options;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "options", &body, &options)) != GR_OK)
		return rc;
	rc = sub_add(r->issuer, web_param(r, "account"), web_param(r, "name"),
	    options, id, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc
			   : web_reply_text(r, 201, CT_HTML, id, SUB_ID_LEN);
}

/* PUT /subscriptions/{account}/{name} {"options"}: 201 "Created" */
static int
subs_update(struct web_req *r)
{
	const json_t *options;
	json_t *body;
	int rc;

	if ((rc = web_body_member(r, "options", &body, &options)) != GR_OK)
		return rc;
	rc = sub_update(r->issuer, web_param(r, "account"),
	    web_param(r, "name"), options, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_created(r);
}

/* GET /subscriptions/[{account}[/{name}]] and /subscriptions/name/{name}:
   a stream; none is 404 SubscriptionNotFound */
static int
subs_list(struct web_req *r)
{
	int rc = sub_list(web_param(r, "account"), web_param(r, "name"),
	    web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /subscriptions/id/{id} */
static int
subs_get_id(struct web_req *r)
{
	json_t *out;
	int rc = sub_get_id(web_param(r, "id"), &out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /subscriptions/{account}/{name}/rules[?state=] */
static int
subs_rules(struct web_req *r)
{
	int rc = sub_rules(web_param(r, "account"), web_param(r, "name"),
	    web_query(r, "state"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /subscriptions/{account}[/{name}]/rules/states[?include_details=] */
static int
subs_rule_states(struct web_req *r)
{
	bool details;
	int rc;

	if ((rc = web_query_bool(r, "include_details", false, &details)) !=
	    GR_OK)
		return rc;
	rc = sub_rule_states(web_param(r, "account"), web_param(r, "name"),
	    details, web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* --- /rules and /locks ------------------------------------------------ */

/* The options Rucio reads with param_get_bool: "true"/"1"... allowed. */
static const char *const rule_bools[] = { "locked", "purge_replicas",
	"ignore_availability", "ask_approval", "asynchronous",
	"split_container" };

/* The new rule ids (POST /rules/, reduce, move), as JSON text. */
static int
reply_ids(struct web_req *r, int status, json_t *ids)
{
	char *text = json_dumps(ids, JSON_COMPACT);
	int rc = web_reply_text(r, status, CT_HTML, text, strlen(text));

	free(text);
	return rc;
}

/* POST /rules/: 201 with the JSON list of the new ids */
static int
rules_add(struct web_req *r)
{
	static const char *const required[] = { "dids", "account", "copies",
		"rse_expression" };
	json_t *body, *ids = NULL;
	size_t i;
	bool b;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	for (i = 0; i < ARRAY_LEN(required); i++)
		if (json_object_get(body, required[i]) == NULL) {
			rc = gr_fail(&r->err, GR_KEY_ERROR, "'%s' not defined",
			    required[i]);
			goto out;
		}
	for (i = 0; i < ARRAY_LEN(rule_bools); i++) {
		if (json_object_get(body, rule_bools[i]) == NULL ||
		    json_is_null(json_object_get(body, rule_bools[i])))
			continue;
		if ((rc = web_json_bool(r, body, rule_bools[i], false, &b)) !=
		    GR_OK)
			goto out;
		json_object_set_new(body, rule_bools[i], json_boolean(b));
	}
	/* ignore_account_limit is not in Rucio's rule schema */
	if (json_object_get(body, "ignore_account_limit") != NULL) {
		rc = gr_fail(&r->err, GR_RULE_INVALID_OBJECT,
		    "Problem validating rule: Additional properties are not "
		    "allowed ('ignore_account_limit' was unexpected)");
		goto out;
	}
	ids = json_array();
	if ((rc = rule_add(r->issuer, body, ids, &r->err)) == GR_OK)
		rc = reply_ids(r, 201, ids);
out:
	json_decref(ids);
	json_decref(body);
	return rc;
}

/* GET /rules/?<column>=<value>...: a stream of rules */
static int
rules_list(struct web_req *r)
{
	json_t *f = json_object();
	size_t i;
	int rc;

	for (i = 0; i < r->nquery; i++)
		json_object_set_new(f, r->query[i].key,
		    json_string(r->query[i].value));
	rc = rule_list(f, web_emit, r, &r->err);
	json_decref(f);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* Python's truth of a JSON value (what "if value:" says upstream). */
static bool
py_true(const json_t *v)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

/* GET /rules/{id}, with an optional JSON body: a true "estimate_ttc" is
   refused before the rule is looked up, as upstream (501) */
static int
rules_get(struct web_req *r)
{
	struct sbuf text = { 0 };
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, true, &body)) != GR_OK)
		return rc;
	if (py_true(json_object_get(body, "estimate_ttc")))
		rc = gr_fail(&r->err, GR_NOT_IMPLEMENTED,
		    "estimate_ttc is not implemented!");
	json_decref(body);
	if (rc != GR_OK)
		return rc;
	rc = rule_get_text(web_param(r, "id"), &text, &r->err);
	if (rc == GR_OK)
		rc = web_reply_text(r, 200, "application/json", text.s,
		    text.len);
	sbuf_free(&text);
	return rc;
}

/* DELETE /rules/{id} {"purge_replicas": null|bool} */
static int
rules_delete(struct web_req *r)
{
	json_t *body, *p;
	bool purge = false;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	p = json_object_get(body, "purge_replicas");
	if (p != NULL && !json_is_null(p))
		rc = web_json_bool(r, body, "purge_replicas", false, &purge);
	if (rc == GR_OK)
		rc = rule_delete(r->issuer, web_param(r, "id"),
		    p == NULL || json_is_null(p) ? -1 : purge, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* PUT /rules/{id} {"options": {...}} (approve/deny among them) */
static int
rules_update(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if (json_object_get(body, "options") == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR, "'options' not defined");
	else
		rc = rule_update(r->issuer, web_param(r, "id"),
		    json_object_get(body, "options"), &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_reply_text(r, 200, CT_HTML, "", 0);
}

/* POST /rules/{id}/reduce {"copies", "exclude_expression"}: 200 with the
   new ids (Rucio's view says 201, its client wants 200: the client wins) */
static int
rules_reduce(struct web_req *r)
{
	json_t *body, *ids = json_array(), *c;
	const char *ex = NULL;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK) {
		json_decref(ids);
		return rc;
	}
	c = json_object_get(body, "copies");
	if (c == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR, "'copies' not defined");
	else if (!json_is_integer(c))
		rc = gr_fail(&r->err, GR_TYPE_ERROR,
		    "'copies' must be an integer");
	else if ((rc = web_json_string(r, body, "exclude_expression", false,
		      &ex)) == GR_OK)
		rc = rule_reduce(r->issuer, web_param(r, "id"),
		    json_integer_value(c), ex, ids, &r->err);
	if (rc == GR_OK)
		rc = reply_ids(r, 200, ids);
	json_decref(body);
	json_decref(ids);
	return rc;
}

/* POST /rules/{id}/move {"rse_expression", "override"} → 201 [id] */
static int
rules_move(struct web_req *r)
{
	json_t *body, *ids = json_array();
	const char *expr;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK) {
		json_decref(ids);
		return rc;
	}
	if ((rc = web_json_string(r, body, "rse_expression", true, &expr)) ==
	    GR_OK)
		rc = rule_move(r->issuer, web_param(r, "id"), expr,
		    json_object_get(body, "override"), ids, &r->err);
	if (rc == GR_OK)
		rc = reply_ids(r, 201, ids);
	json_decref(body);
	json_decref(ids);
	return rc;
}

/* GET /rules/{id}/locks */
static int
rules_locks(struct web_req *r)
{
	int rc = rule_locks(web_param(r, "id"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /rules/{id}/history */
static int
rules_history(struct web_req *r)
{
	int rc = rule_history(web_param(r, "id"), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /rules/{scope}/{name}/history */
static int
rules_did_history(struct web_req *r)
{
	int rc = rule_did_history(web_param(r, "scope"), web_param(r, "name"),
	    web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /rules/{id}/analysis */
static int
rules_analysis(struct web_req *r)
{
	json_t *out;
	int rc = rule_analysis(web_param(r, "id"), &out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /requests/{scope}/{name}/{rse}: the transfer request of a file to
   an RSE */
static int
requests_get(struct web_req *r)
{
	json_t *out;
	int rc = request_get(web_param(r, "scope"), web_param(r, "name"),
	    web_param(r, "rse"), &out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* A listing's filter from the query: src_rse, dst_rse, src_site,
   dst_site, request_states */
static struct request_filter
requests_filter(struct web_req *r)
{
	struct request_filter f = { .src_rse = web_query(r, "src_rse"),
		.dst_rse = web_query(r, "dst_rse"),
		.src_site = web_query(r, "src_site"),
		.dst_site = web_query(r, "dst_site"),
		.states = web_query(r, "request_states") };

	return f;
}

/* GET /requests/list?src_rse=&dst_rse=&request_states= (or src_site=
   &dst_site=): a stream */
static int
requests_list(struct web_req *r)
{
	struct request_filter f = requests_filter(r);
	int rc = request_list(r->issuer, &f, web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /requests/history/{scope}/{name}/{rse}: the latest ended request
   of a file to an RSE (admins) */
static int
requests_history_get(struct web_req *r)
{
	json_t *out;
	int rc = request_history_get(r->issuer, web_param(r, "scope"),
	    web_param(r, "name"), web_param(r, "rse"), &out, &r->err);

	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* A paging parameter as upstream reads it: not an integer, the default */
static long
query_long(struct web_req *r, const char *name, long def)
{
	const char *v = web_query(r, name);
	long out;

	return v != NULL && parse_long(v, 0, LONG_MAX, &out) == 0 ? out : def;
}

/* GET /requests/history/list?src_rse=&dst_rse=&request_states=&offset=
   &limit= (or src_site=&dst_site=): a stream (admins) */
static int
requests_history_list(struct web_req *r)
{
	struct request_filter f = requests_filter(r);
	int rc = request_history_list(r->issuer, &f, query_long(r, "offset", 0),
	    query_long(r, "limit", 100), web_emit, r, &r->err);

	return rc != GR_OK ? rc : web_stream_end(r);
}

/* GET /locks/{rse}?did_type=dataset and /locks/{scope}/{name}?did_type=
   dataset: dataset locks (Rucio knows no other kind here) */
static int
locks_list(struct web_req *r)
{
	const char *t = web_query(r, "did_type");
	int rc;

	if (t == NULL || strcmp(t, "dataset") != 0)
		return gr_fail(&r->err, GR_INVALID_VALUE,
		    "Wrong did_type specified");
	if (web_param(r, "rse") != NULL)
		rc = rule_dataset_locks(web_param(r, "rse"), NULL, NULL,
		    web_emit, r, &r->err);
	else
		rc = rule_dataset_locks(NULL, web_param(r, "scope"),
		    web_param(r, "name"), web_emit, r, &r->err);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* POST /locks/bulk_locks_for_dids {"dids": [{scope, name, type?}]}:
   the dataset locks of those datasets and of the datasets below those
   containers (Rucio's LockClient.get_locks_for_dids) */
static int
locks_bulk(struct web_req *r)
{
	json_t *body;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	if (json_object_get(body, "dids") == NULL)
		rc = gr_fail(&r->err, GR_KEY_ERROR,
		    "Can not find the list of DIDs in the data. Use \"dids\" "
		    "keyword.");
	else
		rc = rule_dataset_locks_bulk(json_object_get(body, "dids"),
		    web_emit, r, &r->err);
	json_decref(body);
	return rc != GR_OK ? rc : web_stream_end(r);
}

/* clang-format off */
static const struct web_route rses_routes[] = {
	{ WEB_POST,	"/rules",			rules_add,	WEB_ANY },
	{ WEB_GET,	"/rules",			rules_list,	WEB_STREAM },
	{ WEB_GET,	"/rules/{id}/locks",		rules_locks,	WEB_STREAM },
	{ WEB_GET,	"/rules/{id}/history",		rules_history,	WEB_STREAM },
	{ WEB_GET,	"/rules/{id}/analysis",		rules_analysis,	0 },
	{ WEB_GET,	"/rules/{scope}/{name*}/history", rules_did_history, WEB_STREAM },
	{ WEB_GET,	"/rules/{id}",			rules_get,	0 },
	{ WEB_DELETE,	"/rules/{id}",			rules_delete,	WEB_ANY },
	{ WEB_PUT,	"/rules/{id}",			rules_update,	WEB_ANY },
	{ WEB_POST,	"/rules/{id}/reduce",		rules_reduce,	WEB_ANY },
	{ WEB_POST,	"/rules/{id}/move",		rules_move,	WEB_ANY },
	{ WEB_GET,	"/requests/list",		requests_list,	WEB_STREAM },
	{ WEB_GET,	"/requests/history/list",	requests_history_list, WEB_STREAM },
	{ WEB_GET,	"/requests/history/{scope}/{name*}/{rse}", requests_history_get, 0 },
	{ WEB_GET,	"/requests/{scope}/{name*}/{rse}", requests_get, 0 },
	{ WEB_POST,	"/locks/bulk_locks_for_dids",	locks_bulk,	WEB_STREAM },
	{ WEB_GET,	"/locks/{rse}",			locks_list,	WEB_STREAM },
	{ WEB_GET,	"/locks/{scope}/{name*}",	locks_list,	WEB_STREAM },
	{ WEB_GET,	"/rses/{rse}/distances/{dst}",	rses_distance_get, 0 },
	{ WEB_POST,	"/rses/{rse}/distances/{dst}",	rses_distance_change, WEB_ANY },
	{ WEB_PUT,	"/rses/{rse}/distances/{dst}",	rses_distance_change, WEB_ANY },
	{ WEB_DELETE,	"/rses/{rse}/distances/{dst}",	rses_distance_change, WEB_ANY },
	{ WEB_POST,	"/replicas/datasets_bulk",	replicas_datasets_bulk, WEB_STREAM },
	{ WEB_GET,	"/replicas/rse/{rse}",		replicas_rse,	WEB_STREAM },
	{ WEB_GET,	"/replicas/{scope}/{name}/datasets", replicas_datasets, WEB_STREAM },
	{ WEB_POST,	"/replicas",			replicas_change, WEB_ANY },
	{ WEB_PUT,	"/replicas",			replicas_change, WEB_ANY },
	{ WEB_DELETE,	"/replicas",			replicas_change, WEB_ANY },
	{ WEB_POST,	"/replicas/list",		replicas_list,	WEB_ANY },
	{ WEB_POST,	"/replicas/dids",		replicas_dids,	WEB_STREAM },
	{ WEB_GET,	"/replicas/{scope}/{name}",	replicas_get,	WEB_ANY },
	{ WEB_GET,	"/rses/{rse}/usage",		rses_usage,	WEB_STREAM },
	{ WEB_PUT,	"/rses/{rse}/usage",		rses_usage_set,	WEB_ANY },
	{ WEB_GET,	"/rses/{rse}/usage/history",	rses_usage_history, WEB_STREAM },
	{ WEB_GET,	"/rses/{rse}/accounts/usage",	rses_accounts_usage, 0 },
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
	{ WEB_GET,	"/subscriptions/id/{id}",	subs_get_id,	0 },
	{ WEB_GET,	"/subscriptions/name/{name}",	subs_list,	WEB_STREAM },
	{ WEB_GET,	"/subscriptions/{account}/{name}/rules/states", subs_rule_states, WEB_STREAM },
	{ WEB_GET,	"/subscriptions/{account}/rules/states", subs_rule_states, WEB_STREAM },
	{ WEB_GET,	"/subscriptions/{account}/{name}/rules", subs_rules, WEB_STREAM },
	{ WEB_GET,	"/subscriptions/{account}/{name}", subs_list,	WEB_STREAM },
	{ WEB_POST,	"/subscriptions/{account}/{name}", subs_add,	WEB_ANY },
	{ WEB_PUT,	"/subscriptions/{account}/{name}", subs_update,	WEB_ANY },
	{ WEB_GET,	"/subscriptions/{account}",	subs_list,	WEB_STREAM },
	{ WEB_GET,	"/subscriptions",		subs_list,	WEB_STREAM },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	web_after_requests(rule_tick);
	return web_main("rses", rses_routes);
}
