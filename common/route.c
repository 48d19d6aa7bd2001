/*
 * route.c -- path splitting, percent-decoding and route matching. Pure
 * functions over the request arena, tested without FastCGI.
 */
#include <stdio.h>
#include <string.h>

#include "route.h"
#include "util.h"

int
route_decode(struct arena *a, const char *s, size_t n, bool plus_space,
    char **out)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi << 4 | lo) < 0x20 ||
			    (hi << 4 | lo) == 0x7f)
				return -1;
			d[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			d[j++] = ' ';
		} else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return -1;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	if (!utf8_valid(d, j))
		return -1;
	*out = d;
	return 0;
}

int
route_split(struct arena *a, const char *raw, struct route_path *p,
    struct gr_err *err)
{
	const char *s = raw, *slash;
	size_t n = strlen(raw);

	p->nseg = 0;
	if (n > ROUTE_URI_MAX)
		return gr_fail(err, GR_URI_TOO_LONG,
		    "path longer than %d bytes", ROUTE_URI_MAX);
	if (*s != '/')
		return gr_fail(err, GR_INVALID_PATH, "path must start with /");
	s++;
	while (*s != '\0') {
		size_t len;

		slash = strchr(s, '/');
		len = slash != NULL ? (size_t)(slash - s) : strlen(s);
		/* a trailing "/" ends the loop before this: len 0 is "//" */
		if (len == 0)
			return gr_fail(err, GR_INVALID_PATH,
			    "empty segment in path");
		if (p->nseg == ROUTE_SEGS_MAX)
			return gr_fail(err, GR_URI_TOO_LONG,
			    "more than %d segments in path", ROUTE_SEGS_MAX);
		if (route_decode(a, s, len, false, &p->segs[p->nseg]) != 0)
			return gr_fail(err, GR_INVALID_PATH,
			    "bad percent-escape, NUL byte or invalid UTF-8 in "
			    "path");
		p->nseg++;
		if (slash == NULL)
			break;
		s = slash + 1;
	}
	return GR_OK;
}

/* One pattern segment: literal, {name} or {name*}. */
struct pseg {
	const char *s;
	size_t len;
	bool param, star;
};

static size_t
parse_pattern(const char *pattern, struct pseg *out, size_t max)
{
	const char *s = pattern;
	size_t n = 0;

	if (*s == '/')
		s++;
	while (*s != '\0' && n < max) {
		const char *slash = strchr(s, '/');
		size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);

		if (len == 0)
			break;
		out[n].s = s;
		out[n].len = len;
		out[n].param = s[0] == '{' && s[len - 1] == '}';
		out[n].star = out[n].param && len >= 3 && s[len - 2] == '*';
		if (out[n].param) {
			out[n].s = s + 1;
			out[n].len = len - (out[n].star ? 3 : 2);
		}
		n++;
		if (slash == NULL)
			break;
		s = slash + 1;
	}
	return n;
}

/* Segments [from, to) joined with "/" in the arena. */
static char *
join_segs(struct arena *a, char *const *segs, size_t from, size_t to)
{
	size_t len = 0, i;
	char *out, *p;

	if (to - from == 1)
		return segs[from];
	for (i = from; i < to; i++)
		len += strlen(segs[i]) + 1;
	out = p = arena_alloc(a, len);
	for (i = from; i < to; i++) {
		size_t n = strlen(segs[i]);

		memcpy(p, segs[i], n);
		p += n;
		*p++ = i + 1 < to ? '/' : '\0';
	}
	return out;
}

/*
 * A pattern split once per process: route tables are static, so a
 * pattern's address names it. The first ROUTE_CACHE patterns seen are
 * kept (every family has fewer); others are split on each use.
 */
#define ROUTE_CACHE 256

struct compiled {
	const char *pattern;
	size_t np;
	bool star;
	struct pseg ps[];
};

static struct compiled *cache[ROUTE_CACHE];

static const struct compiled *
compiled(const char *pattern)
{
	struct pseg ps[ROUTE_SEGS_MAX];
	struct compiled *c;
	size_t h = ((uintptr_t)pattern >> 3) % ROUTE_CACHE, i, n;

	for (i = 0; i < ROUTE_CACHE; i++, h = (h + 1) % ROUTE_CACHE) {
		if (cache[h] != NULL && cache[h]->pattern == pattern)
			return cache[h];
		if (cache[h] == NULL)
			break;
	}
	if (i == ROUTE_CACHE)
		return NULL;
	n = parse_pattern(pattern, ps, ROUTE_SEGS_MAX);
	c = xmalloc(sizeof(*c) + n * sizeof(c->ps[0]));
	c->pattern = pattern;
	c->np = n;
	c->star = false;
	for (i = 0; i < n; i++) {
		c->ps[i] = ps[i];
		c->star = c->star || ps[i].star;
	}
	cache[h] = c;
	return c;
}

/* Does the path match pattern? Fills params on success. */
static bool
match_one(const char *pattern, const struct route_path *p, struct arena *a,
    struct route_param *params, size_t *nparams)
{
	struct pseg own[ROUTE_SEGS_MAX];
	const struct compiled *c = compiled(pattern);
	const struct pseg *ps = c != NULL ? c->ps : own;
	size_t np = c != NULL ? c->np
			      : parse_pattern(pattern, own, ROUTE_SEGS_MAX);
	size_t i, j = 0, k = 0;

	/* without a {name*} the segment counts must agree */
	if (c != NULL && !c->star && np != p->nseg)
		return false;

	/* a pattern with more parameters than a request holds never
	   matches (a route-table mistake, caught by the family's tests) */
	for (i = 0; i < np; i++)
		k += ps[i].param;
	if (k > ROUTE_PARAMS_MAX)
		return false;
	k = 0;
	for (i = 0; i < np; i++) {
		if (ps[i].star) {
			size_t after = np - i - 1, take;

			if (p->nseg < j + 1 + after)
				return false;
			take = p->nseg - j - after;
			params[k].name = ps[i].s;
			params[k].name_len = ps[i].len;
			params[k].value = NULL;
			k++;
			/* value joined later, only if the rest matches */
			j += take;
			continue;
		}
		if (j >= p->nseg)
			return false;
		if (ps[i].param) {
			params[k].name = ps[i].s;
			params[k].name_len = ps[i].len;
			params[k].value = p->segs[j];
			k++;
		} else if (strlen(p->segs[j]) != ps[i].len ||
		    memcmp(p->segs[j], ps[i].s, ps[i].len) != 0) {
			return false;
		}
		j++;
	}
	if (j != p->nseg)
		return false;
	/* now fill the star parameter, if any */
	for (i = 0, j = 0, k = 0; i < np; i++) {
		if (ps[i].star) {
			size_t take = p->nseg - j - (np - i - 1);

			params[k++].value = join_segs(a, p->segs, j, j + take);
			j += take;
		} else {
			if (ps[i].param)
				k++;
			j++;
		}
	}
	*nparams = k;
	return true;
}

enum route_result
route_match(const struct web_route *routes, unsigned method,
    const struct route_path *p, struct arena *a, const struct web_route **out,
    struct route_param params[ROUTE_PARAMS_MAX], size_t *nparams,
    unsigned *allowed)
{
	const struct web_route *r;
	unsigned want = method == WEB_HEAD ? WEB_GET : method;

	*allowed = 0;
	*nparams = 0;
	for (r = routes; r->pattern != NULL; r++) {
		if (!match_one(r->pattern, p, a, params, nparams))
			continue;
		if (r->method == want) {
			*out = r;
			return ROUTE_FOUND;
		}
		*allowed |= r->method;
	}
	if (*allowed == 0)
		return ROUTE_NONE;
	if (*allowed & WEB_GET)
		*allowed |= WEB_HEAD;
	*allowed |= WEB_OPTIONS;
	return ROUTE_WRONG_METHOD;
}

static const struct {
	const char *name;
	unsigned method;
} methods[] = {
	{ "GET", WEB_GET },
	{ "HEAD", WEB_HEAD },
	{ "POST", WEB_POST },
	{ "PUT", WEB_PUT },
	{ "DELETE", WEB_DELETE },
	{ "PATCH", WEB_PATCH },
	{ "OPTIONS", WEB_OPTIONS },
};

unsigned
route_method(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ARRAY_LEN(methods); i++)
		if (strcmp(name, methods[i].name) == 0)
			return methods[i].method;
	return 0;
}

char *
route_allow_header(struct arena *a, unsigned mask)
{
	char buf[64];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_LEN(methods); i++) {
		if (!(mask & methods[i].method))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    len > 0 ? ", " : "", methods[i].name);
	}
	return arena_strdup(a, buf);
}
