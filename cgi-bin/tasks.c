/*
 * tasks.c -- the tasks family (/script /task): DRMAAtic's task portal.
 * Administrators publish scripts; users submit them as tasks, follow,
 * stop and delete them and fetch their files. Routes and handlers only;
 * the rules are in common/script.c and common/task.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistd.h>

#include "cfg.h"
#include "job.h"
#include "log.h"
#include "multipart.h"
#include "script.h"
#include "store.h"
#include "task.h"
#include "util.h"
#include "web.h"
#include "web_file.h"

static const char *
tok_group(const struct web_req *r)
{
	return r->group != NULL && *r->group != '\0' ? r->group : NULL;
}

/* ?page=&page_size= (page_size capped by max, not refused) */
static int
paging(struct web_req *r, long max, long *page, long *size)
{
	const char *p = web_query(r, "page"), *s = web_query(r, "page_size");

	*page = 1;
	*size = SCRIPT_PAGE_SIZE;
	if (p != NULL && parse_long(p, 1, LONG_MAX / 2000, page) != 0)
		return gr_fail(&r->err, GR_NOT_FOUND, "Invalid page.");
	if (s != NULL && parse_long(s, 1, LONG_MAX, size) != 0)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    "page_size must be a positive integer");
	if (*size > max)
		*size = max;
	return GR_OK;
}

/* The absolute URL of page of this listing, or JSON null. */
static json_t *
page_url(struct web_req *r, long page, long size)
{
	const char *host = web_env(r, "HTTP_HOST"),
		   *https = web_env(r, "HTTPS");
	const char *uri = web_env(r, "REQUEST_URI");
	size_t plen = uri != NULL ? strcspn(uri, "?") : 0;
	char buf[2048];

	(void)snprintf(buf, sizeof(buf), "%s://%s%.*s?page=%ld&page_size=%ld",
	    https != NULL && strcasecmp(https, "on") == 0 ? "https" : "http",
	    host != NULL ? host : "localhost", (int)(plen < 1024 ? plen : 0),
	    uri != NULL ? uri : "", page, size);
	return json_string(buf);
}

/* {"count","next","previous","results"} (steals results) */
static int
reply_page(struct web_req *r, long page, long size, size_t count,
    json_t *results)
{
	json_t *out;

	out = json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)count,
	    "next",
	    (size_t)page * (size_t)size < count ? page_url(r, page + 1, size)
						: json_null(),
	    "previous", page > 1 ? page_url(r, page - 1, size) : json_null(),
	    "results", results);
	return web_reply_json_new(r, 200, out);
}

/* --- scripts ----------------------------------------------------------- */

/* A 429's Retry-After: the seconds a throttled caller waits. */
static void
retry_after(struct web_req *r, int rc, long retry)
{
	char buf[32];

	if (rc != GR_THROTTLED)
		return;
	(void)snprintf(buf, sizeof(buf), "%ld", retry);
	web_add_header(r, "Retry-After", buf);
}

/*
 * Every anonymous request but a submission (which has its own bucket) is
 * throttled per client address, as DRMAAtic's burst rate does.
 */
static int
anon_gate(struct web_req *r)
{
	long retry = 0;
	int rc;

	if (!r->anonymous)
		return GR_OK;
	rc = task_read_throttle(web_env(r, "REMOTE_ADDR"), &retry, &r->err);
	retry_after(r, rc, retry);
	return rc;
}

/* GET /script?page=&page_size= */
static int
scripts_list(struct web_req *r)
{
	json_t *results;
	long page, size;
	size_t count;
	int rc;

	if ((rc = anon_gate(r)) != GR_OK ||
	    (rc = paging(r, SCRIPT_PAGE_MAX, &page, &size)) != GR_OK ||
	    (rc = script_list(r->issuer, tok_group(r), page, size, &results,
		 &count, &r->err)) != GR_OK)
		return rc;
	return reply_page(r, page, size, count, results);
}

/* GET /script/{name} */
static int
scripts_get(struct web_req *r)
{
	json_t *out;
	int rc;

	if ((rc = anon_gate(r)) != GR_OK)
		return rc;
	rc = script_get(r->issuer, tok_group(r), web_param(r, "name"), &out,
	    &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* POST /script (create), PUT /script/{name} (replace): admins */
static int
put_script(struct web_req *r, const char *name, bool create)
{
	json_t *body, *out;
	int rc;

	if ((rc = web_body_object(r, false, &body)) != GR_OK)
		return rc;
	rc = script_put(r->issuer, name, body, create, &out, &r->err);
	json_decref(body);
	if (rc != GR_OK)
		return rc;
	return web_reply_json_new(r, create ? 201 : 200, out);
}

static int
scripts_add(struct web_req *r)
{
	return put_script(r, NULL, true);
}

static int
scripts_update(struct web_req *r)
{
	return put_script(r, web_param(r, "name"), false);
}

/* DELETE /script/{name}: admins */
static int
scripts_delete(struct web_req *r)
{
	int rc = script_del(r->issuer, web_param(r, "name"), &r->err);

	return rc != GR_OK ? rc : web_reply_text(r, 204, "text/plain", "", 0);
}

/* --- tasks ------------------------------------------------------------- */

/* POST /task: a form, urlencoded or multipart (files) */
static int
tasks_submit(struct web_req *r)
{
	struct task_field *fields;
	struct mp_part *parts;
	size_t i, n;
	long retry = 0;
	json_t *out;
	int rc;

	if ((rc = mp_form(r, &parts, &n)) != GR_OK) {
		if (rc == GR_UNSUPPORTED_MEDIA) {
			gr_clear(&r->err);
			rc = gr_fail(&r->err, GR_UNSUPPORTED_MEDIA,
			    "a task is submitted as a form: "
			    "multipart/form-data or "
			    "application/x-www-form-urlencoded");
		}
		return rc;
	}
	fields = arena_alloc(&r->arena, (n + 1) * sizeof(*fields));
	for (i = 0; i < n; i++) {
		fields[i].name = parts[i].name;
		fields[i].value = parts[i].data;
		fields[i].len = parts[i].len;
		fields[i].filename = parts[i].filename;
	}
	rc = task_submit(r->issuer, tok_group(r), web_env(r, "REMOTE_ADDR"),
	    fields, n, &out, &retry, &r->err);
	retry_after(r, rc, retry);
	return rc != GR_OK ? rc : web_reply_json_new(r, 201, out);
}

/* GET /task?task_name=&description=&status=&ids=&page=&page_size= */
static int
tasks_list(struct web_req *r)
{
	struct task_filter f;
	json_t *results;
	long page, size;
	size_t count;
	int rc;

	f.task_name = web_query(r, "task_name");
	f.description = web_query(r, "description");
	f.status = web_query(r, "status");
	f.ids = web_query(r, "ids");
	if ((rc = anon_gate(r)) != GR_OK)
		return rc;
	/* DRMAAtic: an anonymous caller that names no task has none */
	if (r->anonymous && f.ids == NULL)
		return web_reply_text(r, 204, "application/json", "", 0);
	if ((rc = paging(r, SCRIPT_PAGE_MAX, &page, &size)) != GR_OK ||
	    (rc = task_list(r->issuer, &f, page, size, &results, &count,
		 &r->err)) != GR_OK)
		return rc;
	return reply_page(r, page, size, count, results);
}

static int
reply_task(struct web_req *r,
    int (*fn)(const char *, const char *, json_t **, struct gr_err *))
{
	json_t *out;
	int rc;

	if ((rc = anon_gate(r)) != GR_OK)
		return rc;
	rc = fn(r->issuer, web_param(r, "uuid"), &out, &r->err);
	return rc != GR_OK ? rc : web_reply_json_new(r, 200, out);
}

/* GET /task/{uuid} */
static int
tasks_get(struct web_req *r)
{
	return reply_task(r, task_get);
}

/* PUT /task/{uuid}/stop */
static int
tasks_stop(struct web_req *r)
{
	return reply_task(r, task_stop);
}

/* DELETE /task/{uuid} */
static int
tasks_delete(struct web_req *r)
{
	return reply_task(r, task_delete);
}

/* GET /task/{uuid}/file (and /files): the working directory's paths */
static int
tasks_files(struct web_req *r)
{
	return reply_task(r, task_files);
}

/* GET /task/{uuid}/file/{path}: the file, whole or a Range */
static int
tasks_file_get(struct web_req *r)
{
	long long size;
	int fd, rc;

	if ((rc = anon_gate(r)) != GR_OK ||
	    (rc = task_open_file(r->issuer, web_param(r, "uuid"),
		 web_param(r, "path"), &fd, &size, &r->err)) != GR_OK)
		return rc;
	web_add_header(r, "Content-Disposition", "inline");
	rc = web_file_reply(r, fd, size, "application/octet-stream");
	close(fd);
	return rc;
}

static int
zip_write(const void *buf, size_t n, void *ctx)
{
	return web_stream_text(ctx, "application/zip", buf, n);
}

/* GET /task/{uuid}/download: the working directory as a zip */
static int
tasks_download(struct web_req *r)
{
	const char *uuid = web_param(r, "uuid");
	char disp[96];
	int rc;

	if ((rc = anon_gate(r)) != GR_OK)
		return rc;
	(void)snprintf(disp, sizeof(disp), "attachment; filename=\"%.36s.zip\"",
	    uuid);
	web_add_header(r, "Content-Disposition", disp);
	rc = task_zip(r->issuer, uuid, zip_write, r, &r->err);
	if (rc == GR_OK && r->status == 0)
		rc = web_stream_text(r, "application/zip", "", 0);
	return r->status != 0 ? GR_OK : rc;
}

/* clang-format off */
/* T: without a token, an anonymous caller when GRIDREST_TASK_ANONYMOUS
   is on (DRMAAtic's portal: public scripts, tasks by their uuid) */
#define T WEB_TOKEN_OPTIONAL
static const struct web_route tasks_routes[] = {
	{ WEB_GET,	"/script",			scripts_list,	T },
	{ WEB_POST,	"/script",			scripts_add,	0 },
	{ WEB_GET,	"/script/{name}",		scripts_get,	T },
	{ WEB_PUT,	"/script/{name}",		scripts_update,	0 },
	{ WEB_DELETE,	"/script/{name}",		scripts_delete,	0 },
	{ WEB_GET,	"/task",			tasks_list,	T },
	{ WEB_POST,	"/task",			tasks_submit,	T },
	{ WEB_GET,	"/task/{uuid}",			tasks_get,	T },
	{ WEB_DELETE,	"/task/{uuid}",			tasks_delete,	T },
	{ WEB_PUT,	"/task/{uuid}/stop",		tasks_stop,	T },
	{ WEB_GET,	"/task/{uuid}/file",		tasks_files,	T },
	{ WEB_GET,	"/task/{uuid}/files",		tasks_files,	T },
	{ WEB_GET,	"/task/{uuid}/file/{path*}",	tasks_file_get,	WEB_ANY | T },
	{ WEB_GET,	"/task/{uuid}/files/{path*}",	tasks_file_get,	WEB_ANY | T },
	{ WEB_GET,	"/task/{uuid}/download",	tasks_download,	WEB_ANY | T },
	{ 0, NULL, NULL, 0 }
};
#undef T
/* clang-format on */

int
main(void)
{
	struct gr_err err = { 0 };

	/* the jobs a restart left behind are reconciled (the DRM's hooks
	   are its own table: any supervisor tells jobs and tasks) */
	if (cfg_load(&err) != GR_OK || st_open(cfg.home, 0, &err) != GR_OK ||
	    job_init(&err) != GR_OK)
		log_msg(LOG_ERR, "tasks: %s", err.msg);
	web_allow_anonymous(task_config()->anonymous);
	web_after_requests(task_throttle_tick);
	return web_main("tasks", tasks_routes);
}
