/*
 * jobs.c -- the jobs family (/jobs): DIRAC's job management (RESTDIRAC's
 * routes), with output peeking. Routes and handlers only; the rules are in
 * common/job.c, the running in the DRM.
 */
#include <limits.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "identity.h"
#include "job.h"
#include "log.h"
#include "multipart.h"
#include "store.h"
#include "task.h"
#include "util.h"
#include "web.h"
#include "web_file.h"

#define CT_BZIP2 "application/x-bzip2"

/* Query parameters that are not attribute filters. */
static const char *const not_filters[] = { "allOwners", "startJob", "maxJobs",
	"access_token", NULL };

static int
jid_param(struct web_req *r, long *jid)
{
	const char *s = web_param(r, "jid");

	if (s == NULL || parse_long(s, 1, 9999999999L, jid) != 0)
		return gr_fail(&r->err, GR_INVALID_JOB_IDS,
		    "'%.32s' is not a job id (a positive integer)",
		    s != NULL ? s : "");
	return GR_OK;
}

static int
long_query(struct web_req *r, const char *key, long dflt, long max, long *out)
{
	const char *s = web_query(r, key);

	*out = dflt;
	if (s != NULL && parse_long(s, 0, max, out) != 0)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "%s must be an integer between 0 and %ld", key, max);
	return GR_OK;
}

/* The token's group, the one a job is submitted in ("user": none) */
static const char *
owner_group(const struct web_req *r)
{
	return r->group != NULL && *r->group != '\0' ? r->group : "user";
}

/* The DN of the token's identity when it is one of the account's X509
   identities (DIRAC's OwnerDN), else NULL */
static const char *
x509_dn(struct web_req *r)
{
	struct gr_err ignore = { 0 };
	json_t *accounts = NULL, *a;
	bool mine = false;
	size_t i;

	if (r->identity == NULL || r->identity[0] != '/' ||
	    strchr(r->identity, '=') == NULL ||
	    identity_accounts("X509", r->identity, &accounts, &ignore) != GR_OK)
		return NULL;
	json_array_foreach(accounts, i, a)
		mine |= strcmp(json_string_value(a), r->issuer) == 0;
	json_decref(accounts);
	return mine ? r->identity : NULL;
}

static bool
all_owners(const struct web_req *r)
{
	const char *v = web_query(r, "allOwners");

	/* RESTDIRAC: present means yes; accept an explicit false too */
	return v != NULL && strcasecmp(v, "false") != 0 && strcmp(v, "0") != 0;
}

/* GET /jobs[?allOwners][&startJob=][&maxJobs=][&<attr>=v...] */
static int
jobs_list(struct web_req *r)
{
	const char *member, *const *skip;
	json_t *filters, *out, *vals;
	long start, max;
	size_t i;
	int rc;

	if ((rc = long_query(r, "startJob", 0, LONG_MAX, &start)) != GR_OK ||
	    (rc = long_query(r, "maxJobs", JOB_LIST_DEFAULT, LONG_MAX, &max)) !=
		GR_OK)
		return rc;
	filters = json_object();
	for (i = 0; i < r->nquery; i++) {
		for (skip = not_filters;
		     *skip != NULL && strcmp(*skip, r->query[i].key) != 0;
		     skip++)
			;
		if (*skip != NULL)
			continue;
		if ((member = job_attr(r->query[i].key)) == NULL) {
			json_decref(filters);
			return gr_fail(&r->err, GR_INVALID_VALUE,
			    "'%.64s' is not a job attribute to filter on",
			    r->query[i].key);
		}
		if ((vals = json_object_get(filters, member)) == NULL) {
			vals = json_array();
			json_object_set_new(filters, member, vals);
		}
		json_array_append_new(vals, json_string(r->query[i].value));
	}
	rc = job_list(r->issuer, owner_group(r), all_owners(r), filters, start,
	    max, &out, &r->err);
	json_decref(filters);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /jobs/summary[?allOwners][&group=Status&group=Site] */
static int
jobs_summary(struct web_req *r)
{
	const char *groups[JOB_GROUPS_MAX];
	size_t i, n = 0;
	json_t *out;
	int rc;

	for (i = 0; i < r->nquery; i++) {
		if (strcmp(r->query[i].key, "group") != 0)
			continue;
		if (n == JOB_GROUPS_MAX)
			return gr_fail(&r->err, GR_VALUE_ERROR,
			    "at most %d groupings", JOB_GROUPS_MAX);
		if ((groups[n++] = job_attr(r->query[i].value)) == NULL)
			return gr_fail(&r->err, GR_INVALID_VALUE,
			    "'%.64s' is not a job attribute to group by",
			    r->query[i].value);
	}
	rc = job_summary(r->issuer, owner_group(r), all_owners(r), groups, n,
	    &out, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /jobs/history[?allOwners][&timeSpan=86400] */
static int
jobs_history(struct web_req *r)
{
	json_t *out;
	long span;
	int rc;

	if ((rc = long_query(r, "timeSpan", 86400, JOB_HISTORY_MAX, &span)) !=
		GR_OK ||
	    (rc = job_history(r->issuer, owner_group(r), all_owners(r), span,
		 &out, &r->err)) != GR_OK)
		return rc;
	return web_reply_json_new(r, 200, out);
}

/* GET /jobs/{jid} and /jobs/{jid}/manifest: a JSON object of the job */
static int
reply_job(struct web_req *r,
    int (*get)(const char *, const char *, long, json_t **, struct gr_err *))
{
	json_t *out;
	long jid;
	int rc;

	if ((rc = jid_param(r, &jid)) != GR_OK ||
	    (rc = get(r->issuer, owner_group(r), jid, &out, &r->err)) != GR_OK)
		return rc;
	return web_reply_json_new(r, 200, out);
}

static int
jobs_get(struct web_req *r)
{
	return reply_job(r, job_get);
}

static int
jobs_manifest(struct web_req *r)
{
	return reply_job(r, job_manifest);
}

static int
sandbox_write(const void *buf, size_t n, void *ctx)
{
	return web_stream_text(ctx, CT_BZIP2, buf, n);
}

static int
sandbox(struct web_req *r, bool output)
{
	char disp[96];
	long jid;
	int rc;

	if ((rc = jid_param(r, &jid)) != GR_OK)
		return rc;
	(void)snprintf(disp, sizeof(disp),
	    "attachment; filename=\"%ld-%s.tar.bz2\"", jid,
	    output ? "outputsandbox" : "inputsandbox");
	web_add_header(r, "Content-Disposition", disp);
	web_add_header(r, "Cache-Control", "max-age=86400");
	rc = job_sandbox(r->issuer, owner_group(r), jid, output, sandbox_write,
	    r, &r->err);
	if (rc == GR_OK && r->status == 0)
		rc = web_stream_text(r, CT_BZIP2, "", 0);
	return rc;
}

/* GET /jobs/{jid}/inputsandbox, /outputsandbox: tar.bz2 */
static int
jobs_isb(struct web_req *r)
{
	return sandbox(r, false);
}

static int
jobs_osb(struct web_req *r)
{
	return sandbox(r, true);
}

/* GET /jobs/{jid}/peek?offset=N: up to JOB_PEEK_MAX bytes of stdout from
   byte N */
static int
jobs_peek(struct web_req *r)
{
	struct job_peek p;
	long long to;
	char buf[32];
	long jid, offset;
	int rc;

	if ((rc = jid_param(r, &jid)) != GR_OK ||
	    (rc = long_query(r, "offset", 0, LONG_MAX, &offset)) != GR_OK ||
	    (rc = job_peek(r->issuer, owner_group(r), jid, &p, &r->err)) !=
		GR_OK)
		return rc;
	to = offset < p.size ? p.size - 1 : offset - 1; /* none past it */
	if (to - offset + 1 > JOB_PEEK_MAX)
		to = offset + JOB_PEEK_MAX - 1;
	(void)snprintf(buf, sizeof(buf), "%ld", offset);
	web_add_header(r, "X-Peek-Offset", buf);
	(void)snprintf(buf, sizeof(buf), "%lld", to + 1);
	web_add_header(r, "X-Peek-Next-Offset", buf);
	(void)snprintf(buf, sizeof(buf), "%lld", p.size);
	web_add_header(r, "X-Peek-Size", buf);
	web_add_header(r, "X-Peek-Complete",
	    p.final && to + 1 >= p.size ? "true" : "false");
	web_add_header(r, "X-Job-Status", p.status);
	rc = web_file_send(r, p.fd, p.size, offset, to, 200,
	    "application/octet-stream");
	if (p.fd >= 0)
		close(p.fd);
	return rc;
}

/* DELETE /jobs/{jid}[?killonly=1] */
static int
jobs_delete(struct web_req *r)
{
	const char *k = web_query(r, "killonly");
	long jid;
	int rc;

	if ((rc = jid_param(r, &jid)) != GR_OK ||
	    (rc = job_delete(r->issuer, owner_group(r), jid,
		 k != NULL && *k != '\0', &r->err)) != GR_OK)
		return rc;
	return web_reply_json_new(r, 200,
	    json_pack("{s:I}", "jid", (json_int_t)jid));
}

/* A manifest field's text as a JSON object, appended to manifests. */
static int
add_manifest(struct web_req *r, const char *text, size_t len, json_t *manifests)
{
	json_t *m = json_loadb(text, len, 0, NULL);

	if (m == NULL)
		return gr_fail(&r->err, GR_INVALID_MANIFEST,
		    "Manifest is not JSON");
	if (!json_is_object(m)) {
		json_decref(m);
		return gr_fail(&r->err, GR_INVALID_MANIFEST,
		    "Manifest is not a JSON object");
	}
	json_array_append_new(manifests, m);
	return GR_OK;
}

/* POST /jobs: a JSON manifest or list of them, or a form (urlencoded or
   multipart) with manifest fields and files for the input sandbox */
static int
jobs_submit(struct web_req *r)
{
	const char *ctype = web_env(r, "CONTENT_TYPE"), *body;
	struct mp_part *parts = NULL;
	struct wl_file *files = NULL;
	json_t *manifests = json_array(), *jids, *j;
	size_t len, i, n = 0, nfiles = 0;
	int rc = GR_OK;

	if (mp_is_any_form(ctype)) {
		if ((rc = mp_form(r, &parts, &n)) != GR_OK)
			goto out;
		files = arena_alloc(&r->arena, (n + 1) * sizeof(*files));
		for (i = 0; i < n && rc == GR_OK; i++) {
			if (parts[i].filename != NULL) {
				files[nfiles].name = parts[i].filename;
				files[nfiles].data = parts[i].data;
				files[nfiles].len = parts[i].len;
				files[nfiles].mode = 0;
				nfiles++;
			} else if (strcmp(parts[i].name, "manifest") == 0) {
				rc = add_manifest(r, parts[i].data,
				    parts[i].len, manifests);
			}
		}
	} else {
		/* JSON: one manifest, or a list of them (bulk) */
		if ((rc = web_body(r, &body, &len)) != GR_OK)
			goto out;
		j = json_loadb(body, len, 0, NULL);
		if (j == NULL) {
			rc = gr_fail(&r->err, GR_INVALID_MANIFEST,
			    "Manifest is not JSON");
			goto out;
		}
		if (json_is_array(j)) {
			json_decref(manifests);
			manifests = j;
		} else {
			json_array_append_new(manifests, j);
		}
	}
	if (rc != GR_OK)
		goto out;
	if (json_array_size(manifests) == 0) {
		rc = gr_fail(&r->err, GR_INVALID_MANIFEST, "No manifest");
		goto out;
	}
	rc = job_submit(r->issuer, owner_group(r), x509_dn(r), manifests, files,
	    nfiles, &jids, &r->err);
	if (rc == GR_OK)
		rc = web_reply_json_new(r, 200,
		    json_pack("{s:o}", "jids", jids));
out:
	json_decref(manifests);
	return rc;
}

/* clang-format off */
static const struct web_route jobs_routes[] = {
	{ WEB_GET,	"/jobs",			jobs_list,	0 },
	{ WEB_POST,	"/jobs",			jobs_submit,	0 },
	{ WEB_GET,	"/jobs/summary",		jobs_summary,	0 },
	{ WEB_GET,	"/jobs/history",		jobs_history,	0 },
	{ WEB_GET,	"/jobs/{jid}",			jobs_get,	0 },
	{ WEB_DELETE,	"/jobs/{jid}",			jobs_delete,	0 },
	{ WEB_GET,	"/jobs/{jid}/manifest",		jobs_manifest,	0 },
	{ WEB_GET,	"/jobs/{jid}/inputsandbox",	jobs_isb,	WEB_ANY },
	{ WEB_GET,	"/jobs/{jid}/outputsandbox",	jobs_osb,	WEB_ANY },
	{ WEB_GET,	"/jobs/{jid}/peek",		jobs_peek,	WEB_ANY },
	{ 0, NULL, NULL, 0 }
};
/* clang-format on */

int
main(void)
{
	struct gr_err err = { 0 };

	/* the jobs a restart left behind are reconciled (the DRM's hooks
	   are its own table: any supervisor tells jobs and tasks) */
	if (cfg_load(&err) != GR_OK || st_open(cfg.home, 0, &err) != GR_OK ||
	    job_init(&err) != GR_OK)
		log_msg(LOG_ERR, "jobs: %s", err.msg);
	return web_main("jobs", jobs_routes);
}
