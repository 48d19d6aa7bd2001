/*
 * web_fwd.c -- a replica passes a write on to the master (web_fwd.h).
 *
 * One libcurl handle per process, kept between requests so that its
 * connection to the master stays open. The request body is read from
 * lighttpd as libcurl sends it (never held whole); the master's head is
 * gathered line by line and, once it is complete, written back after the
 * replica has applied the write it names; the body follows as it comes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <db.h>

#include "cfg.h"
#include "log.h"
#include "store_repl.h"
#include "util.h"
#include "web_fwd.h"

#define FWD_URL_MAX  2048
#define FWD_LINE_MAX 8192
#define FWD_CONNECT  5L  /* seconds to reach the master */
#define FWD_RETRY    "1" /* Retry-After when there is no master now */

struct fwd {
	struct web_req *r;
	char *head; /* the master's head so far, CGI style */
	size_t len, cap;
	int status; /* of the head being read; 0 before its status line */
	char commit[ST_REPL_TOKEN_HEX];
	bool sent;      /* the head went to the client */
	bool head_only; /* a HEAD request: no body goes out */
	bool bad_head;  /* a line too long, or no status line */
};

bool
fwd_wanted(const struct web_req *r)
{
	const char *m = web_env(r, "REQUEST_METHOD");

	if (m == NULL || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "OPTIONS") == 0)
		return false;
	return st_repl_role(true) != ST_ROLE_MASTER;
}

/* Headers that concern one connection only, or that libcurl writes. */
static bool
hop_by_hop(const char *name, size_t n)
{
	static const char *const names[] = { "connection", "keep-alive", "te",
		"trailer", "transfer-encoding", "upgrade", "expect",
		"proxy-connection", "proxy-authorization", "proxy-authenticate",
		"host", "content-length" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n &&
		    strncasecmp(name, names[i], n) == 0)
			return true;
	return false;
}

bool
fwd_request_header(const char *var, const char *value, char *out, size_t n)
{
	char name[256];
	size_t i, len;
	bool up = true;

	if (strcmp(var, "CONTENT_TYPE") == 0)
		var = "HTTP_CONTENT_TYPE";
	else if (strncmp(var, "HTTP_", 5) != 0)
		return false;
	var += 5;
	len = strlen(var);
	if (len == 0 || len >= sizeof(name) || strpbrk(value, "\r\n") != NULL)
		return false;
	/* HTTP_X_RUCIO_AUTH_TOKEN -> X-Rucio-Auth-Token */
	for (i = 0; i < len; i++) {
		char c = var[i];

		if (c == '_') {
			name[i] = '-';
			up = true;
		} else {
			name[i] = (char)(up ? toupper((unsigned char)c)
					    : tolower((unsigned char)c));
			up = false;
		}
	}
	name[len] = '\0';
	if (hop_by_hop(name, len) || strcasecmp(name, "X-Forwarded-For") == 0 ||
	    strcasecmp(name, FWD_HEADER) == 0)
		return false;
	return (size_t)snprintf(out, n, "%s: %s", name, value) < n;
}

enum fwd_line
fwd_response_line(const char *line, size_t n, int *status)
{
	const char *colon;
	size_t name;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n == 0)
		return FWD_END;
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', n);

		if (sp == NULL || line + n - sp < 4 ||
		    !isdigit((unsigned char)sp[1]) ||
		    !isdigit((unsigned char)sp[2]) ||
		    !isdigit((unsigned char)sp[3]))
			return FWD_DROP;
		*status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
		    (sp[3] - '0');
		return FWD_STATUS;
	}
	colon = memchr(line, ':', n);
	if (colon == NULL || colon == line)
		return FWD_DROP;
	name = (size_t)(colon - line);
	if (name == strlen(FWD_COMMIT_HEADER) &&
	    strncasecmp(line, FWD_COMMIT_HEADER, name) == 0)
		return FWD_COMMIT;
	/* the body goes back byte for byte: its length holds */
	if (name == 14 && strncasecmp(line, "content-length", 14) == 0)
		return FWD_KEEP;
	if (hop_by_hop(line, name) ||
	    (name == 4 && strncasecmp(line, "date", 4) == 0) ||
	    (name == 6 && strncasecmp(line, "server", 6) == 0) ||
	    (name == 6 && strncasecmp(line, "status", 6) == 0))
		return FWD_DROP;
	return FWD_KEEP;
}

static void
head_add(struct fwd *f, const char *s, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		f->cap = (f->len + n + 1) * 2;
		f->head = xrealloc(f->head, f->cap);
	}
	memcpy(f->head + f->len, s, n);
	f->len += n;
	f->head[f->len] = '\0';
}

static void
put(struct fwd *f, const char *s, size_t n)
{
	struct web_req *r = f->r;

	if (r->client_gone || n == 0)
		return;
	if (FCGX_PutStr(s, (int)n, r->fcgx.out) != (int)n)
		r->client_gone = true;
}

/* The head is complete: wait for the write it names, then send it. */
static void
head_send(struct fwd *f)
{
	int ret;

	if (f->commit[0] != '\0' && cfg.repl_apply_timeout_ms > 0) {
		ret = st_repl_applied(f->commit, cfg.repl_apply_timeout_ms);
		if (ret != 0) {
			log_msg(LOG_WARN,
			    "forwarded write %s not applied here: %s",
			    f->commit,
			    ret == DB_TIMEOUT ? "timed out" : db_strerror(ret));
			head_add(f, "X-Gridrest-Applied: no\r\n", 24);
		}
	}
	head_add(f, "\r\n", 2);
	f->r->status = f->status;
	put(f, f->head, f->len);
	f->sent = true;
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *arg)
{
	struct fwd *f = arg;
	size_t n = size * nitems;
	const char *v;
	int status = 0;

	if (f->sent || f->bad_head || n > FWD_LINE_MAX)
		return f->sent ? n : (f->bad_head = true, 0);
	switch (fwd_response_line(line, n, &status)) {
	case FWD_STATUS: {
		const char *sp = memchr(line, ' ', n), *end = line + n;
		char buf[64];
		int len;

		/* a new head (after a 100 Continue, say) */
		f->len = 0;
		f->commit[0] = '\0';
		f->status = status;
		sp += 4;
		while (sp < end && *sp == ' ')
			sp++;
		while (end > sp && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		len = snprintf(buf, sizeof(buf), "Status: %d ", status);
		head_add(f, buf, (size_t)len);
		head_add(f, sp, (size_t)(end - sp));
		head_add(f, "\r\n", 2);
		break;
	}
	case FWD_END:
		if (f->status == 0)
			return (f->bad_head = true, 0);
		if (f->status >= 200)
			head_send(f);
		else
			f->status = 0;
		break;
	case FWD_COMMIT:
		v = (const char *)memchr(line, ':', n) + 1;
		while (*v == ' ')
			v++;
		(void)snprintf(f->commit, sizeof(f->commit), "%.*s",
		    (int)strcspn(v, "\r\n"), v);
		head_add(f, line, n);
		break;
	case FWD_KEEP:
		head_add(f, line, n);
		break;
	case FWD_DROP:
		break;
	}
	return n;
}

static size_t
on_body(char *data, size_t size, size_t nitems, void *arg)
{
	struct fwd *f = arg;

	if (!f->sent)
		return 0;
	if (!f->head_only)
		put(f, data, size * nitems);
	return f->r->client_gone ? 0 : size * nitems;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct fwd *f = arg;
	int n = FCGX_GetStr(buf, (int)(size * nitems), f->r->fcgx.in);

	return n > 0 ? (size_t)n : 0;
}

/* 503 with Retry-After: the client may try again soon. */
static int
unavailable(struct web_req *r, const char *msg)
{
	web_add_header(r, "Retry-After", FWD_RETRY);
	return gr_fail(&r->err, GR_UNAVAILABLE, "%s", msg);
}

int
fwd_after(struct web_req *r)
{
	const char *t = web_env(r, "HTTP_X_GRIDREST_COMMIT");
	int ret;

	if (t == NULL || cfg.repl_apply_timeout_ms == 0 ||
	    st_repl_role(false) != ST_ROLE_REPLICA)
		return GR_OK;
	ret = st_repl_applied(t, cfg.repl_apply_timeout_ms);
	if (ret == EINVAL)
		return gr_fail(&r->err, GR_VALUE_ERROR,
		    FWD_COMMIT_HEADER " is not a commit token");
	if (ret == DB_TIMEOUT)
		return unavailable(r,
		    "the write named by " FWD_COMMIT_HEADER " has not reached "
		    "this node yet; try again");
	/* DB_NOTFOUND: that write was rolled back at an election, and
	   will never be here: the request sees the store as it is */
	return GR_OK;
}

/* The request's headers for the master. NULL if one cannot be added. */
static struct curl_slist *
request_headers(struct web_req *r)
{
	struct curl_slist *h = NULL, *t;
	const char *xff = web_env(r, "HTTP_X_FORWARDED_FOR");
	const char *addr = web_env(r, "REMOTE_ADDR");
	char line[FWD_LINE_MAX];
	char **e;

	for (e = r->fcgx.envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		char var[128];

		if (eq == NULL || (size_t)(eq - *e) >= sizeof(var))
			continue;
		memcpy(var, *e, (size_t)(eq - *e));
		var[eq - *e] = '\0';
		if (!fwd_request_header(var, eq + 1, line, sizeof(line)))
			continue;
		if ((t = curl_slist_append(h, line)) == NULL)
			goto fail;
		h = t;
	}
	(void)snprintf(line, sizeof(line), "X-Forwarded-For: %s%s%s",
	    xff != NULL && *xff != '\0' ? xff : "",
	    xff != NULL && *xff != '\0' ? ", " : "",
	    addr != NULL ? addr : "unknown");
	if ((t = curl_slist_append(h, line)) == NULL)
		goto fail;
	h = t;
	(void)snprintf(line, sizeof(line), "X-Forwarded-By: %s",
	    st_repl_self());
	if ((t = curl_slist_append(h, line)) == NULL)
		goto fail;
	h = t;
	(void)snprintf(line, sizeof(line), FWD_HEADER ": %s", st_repl_self());
	if ((t = curl_slist_append(h, line)) == NULL)
		goto fail;
	h = t;
	/* no "Expect: 100-continue" wait before a large body */
	if ((t = curl_slist_append(h, "Expect:")) == NULL)
		goto fail;
	return t;
fail:
	curl_slist_free_all(h);
	return NULL;
}

int
fwd_request(struct web_req *r)
{
	static CURL *c;
	const char *method = web_env(r, "REQUEST_METHOD");
	const char *uri = web_env(r, "REQUEST_URI");
	const char *by = web_env(r, "HTTP_X_GRIDREST_FORWARDED");
	char base[FWD_URL_MAX], url[2 * FWD_URL_MAX], addr[300], msg[512];
	const char *cl = web_env(r, "CONTENT_LENGTH");
	struct curl_slist *hdrs = NULL;
	struct fwd f;
	CURLcode cc;
	long long len = 0;
	char *end;
	int rc = GR_OK;

	if (by != NULL) {
		(void)snprintf(msg, sizeof(msg),
		    "this node is not the master and the request was "
		    "forwarded to it already (by %.200s): it is not "
		    "forwarded twice; try again",
		    by);
		return unavailable(r, msg);
	}
	if (!st_repl_master_url(base, sizeof(base), addr, sizeof(addr))) {
		if (addr[0] == '\0')
			return unavailable(r,
			    "this node is a replica and the group has no "
			    "master now (an election is under way?); try "
			    "again");
		(void)snprintf(msg, sizeof(msg),
		    "this node is a replica and the master %s has no URL in "
		    "GRIDREST_REPL_PEERS: writes go there",
		    addr);
		return unavailable(r, msg);
	}
	if (method == NULL)
		return gr_fail(&r->err, GR_METHOD_NOT_ALLOWED, "no method");
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		len = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || len < 0)
			return gr_fail(&r->err, GR_VALUE_ERROR,
			    "bad Content-Length");
	}
	if (uri == NULL || *uri != '/' ||
	    (size_t)snprintf(url, sizeof(url), "%s%s", base, uri) >=
		sizeof(url))
		return gr_fail(&r->err, GR_URI_TOO_LONG, "URI too long");
	if (c == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    (c = curl_easy_init()) == NULL)
			return unavailable(r, "libcurl cannot start");
	}
	if ((hdrs = request_headers(r)) == NULL)
		return gr_fail(&r->err, GR_INTERNAL, "out of memory");
	memset(&f, 0, sizeof(f));
	f.r = r;
	f.head_only = strcmp(method, "HEAD") == 0;
	curl_easy_reset(c);
	(void)curl_easy_setopt(c, CURLOPT_URL, url);
	(void)curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, FWD_CONNECT);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	(void)curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(c, CURLOPT_HEADERDATA, &f);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	if (f.head_only) {
		(void)curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		/* the body as lighttpd hands it over, with its length */
		(void)curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		(void)curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)len);
		(void)curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		(void)curl_easy_setopt(c, CURLOPT_READDATA, &f);
	}
	(void)curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK && !f.sent)
		cc = CURLE_WEIRD_SERVER_REPLY;
	if (cc != CURLE_OK && !f.sent) {
		r->status = 0;
		(void)snprintf(msg, sizeof(msg),
		    "the master at %.300s did not answer: %s", base,
		    curl_easy_strerror(cc));
		rc = unavailable(r, msg);
	} else if (cc != CURLE_OK && !r->client_gone) {
		log_msg(LOG_ERR, "forwarding to %s broke off: %s", base,
		    curl_easy_strerror(cc));
	}
	log_msg(LOG_DEBUG, "forwarded %s %s to %s: %d", method, uri, base,
	    f.status);
	curl_slist_free_all(hdrs);
	free(f.head);
	return rc;
}
