/*
 * template.c -- HTML templates: the data directory, the file read once per
 * process, {{name}} and {{#name}} ... {{/name}} filled in (template.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "template.h"
#include "util.h"

#ifndef GR_DATADIR
#define GR_DATADIR "/usr/local/share/gridrest"
#endif

/* the templates this process has read: few, kept to its end */
static struct {
	char *name, *text;
} loaded[8];

/* path: the data directory's file name; false when none has it */
static bool
data_path(const char *name, char *path, size_t size)
{
	const char *env = getenv("GRIDREST_DATADIR");
	char dir[PATH_MAX];

	if (env != NULL && *env != '\0')
		return snprintf(path, size, "%s/%s", env, name) < (int)size;
	if (tool_path("share/gridrest", dir, sizeof(dir)) &&
	    snprintf(path, size, "%s/%s", dir, name) < (int)size &&
	    access(path, R_OK) == 0)
		return true;
	return snprintf(path, size, "%s/%s", GR_DATADIR, name) < (int)size;
}

int
tmpl_load(const char *name, const char **text, struct gr_err *err)
{
	char path[PATH_MAX], *buf = NULL;
	FILE *f = NULL;
	size_t i, n;
	int rc = GR_OK;

	for (i = 0; i < ARRAY_LEN(loaded) && loaded[i].name != NULL; i++)
		if (strcmp(loaded[i].name, name) == 0) {
			*text = loaded[i].text;
			return GR_OK;
		}
	if (i == ARRAY_LEN(loaded) || !data_path(name, path, sizeof(path)) ||
	    (f = fopen(path, "r")) == NULL) {
		rc = gr_fail(err, GR_INTERNAL,
		    "the page template %s cannot be read (GRIDREST_DATADIR)",
		    name);
		goto out;
	}
	buf = xmalloc(TMPL_FILE_MAX + 1);
	n = fread(buf, 1, TMPL_FILE_MAX + 1, f);
	if (ferror(f) || n > TMPL_FILE_MAX || memchr(buf, '\0', n) != NULL) {
		rc = gr_fail(err, GR_INTERNAL,
		    "the page template %s is unreadable, over %d bytes or "
		    "not text",
		    path, TMPL_FILE_MAX);
		goto out;
	}
	buf[n] = '\0';
	loaded[i].name = xstrdup(name);
	loaded[i].text = buf;
	buf = NULL;
	*text = loaded[i].text;
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

const char *
tmpl_html(struct arena *a, const char *s)
{
	size_t n = 0, i;
	char *out, *p;

	if (s == NULL)
		return "";
	for (i = 0; s[i] != '\0'; i++)
		n += strchr("&<>\"'", s[i]) != NULL ? 6 : 1;
	out = p = arena_alloc(a, n + 1);
	for (i = 0; s[i] != '\0'; i++) {
		const char *e = s[i] == '&' ? "&amp;"
		    : s[i] == '<'           ? "&lt;"
		    : s[i] == '>'           ? "&gt;"
		    : s[i] == '"'           ? "&quot;"
		    : s[i] == '\''          ? "&#39;"
					    : NULL;

		if (e != NULL) {
			memcpy(p, e, strlen(e));
			p += strlen(e);
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return out;
}

/* the variable named s[0..n), or NULL */
static const struct tmpl_var *
var_of(const struct tmpl_var *vars, size_t nvars, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == n &&
		    memcmp(vars[i].name, s, n) == 0)
			return &vars[i];
	return NULL;
}

/* s[0..n) appended to the page being built */
struct page {
	struct arena *a;
	char *buf;
	size_t len, cap;
};

static void
append(struct page *pg, const char *s, size_t n)
{
	char *grown;

	if (pg->len + n + 1 > pg->cap) {
		pg->cap = (pg->len + n + 1) * 2;
		grown = arena_alloc(pg->a, pg->cap);
		if (pg->len > 0) /* the first call has no buffer yet */
			memcpy(grown, pg->buf, pg->len);
		pg->buf = grown;
	}
	memcpy(pg->buf + pg->len, s, n);
	pg->len += n;
	pg->buf[pg->len] = '\0';
}

int
tmpl_render(struct arena *a, const char *text, const struct tmpl_var *vars,
    size_t nvars, char **out, struct gr_err *err)
{
	struct page pg = { a, NULL, 0, 0 };
	const struct tmpl_var *v, *section = NULL;
	const char *p = text, *open, *close, *name, *val;
	bool skip = false;
	char kind;

	append(&pg, "", 0);
	while ((open = strstr(p, "{{")) != NULL) {
		if (!skip)
			append(&pg, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL)
			return gr_fail(err, GR_INTERNAL,
			    "a page template has an unclosed {{");
		kind = open[2] == '#' || open[2] == '/' ? open[2] : '\0';
		name = open + 2 + (kind != '\0');
		v = var_of(vars, nvars, name, (size_t)(close - name));
		if (v == NULL || (kind == '#' && section != NULL) ||
		    (kind == '/' && section != v))
			return gr_fail(err, GR_INTERNAL,
			    "a page template names %.*s, which is not given "
			    "or not open there",
			    (int)(close - open - 2), open + 2);
		if (kind == '#') {
			section = v;
			skip = v->value == NULL;
		} else if (kind == '/') {
			section = NULL;
			skip = false;
		} else if (!skip) {
			val = tmpl_html(a, v->value);
			append(&pg, val, strlen(val));
		}
		p = close + 2;
	}
	if (section != NULL)
		return gr_fail(err, GR_INTERNAL,
		    "a page template leaves {{#%s}} open", section->name);
	append(&pg, p, strlen(p));
	*out = pg.buf;
	return GR_OK;
}
