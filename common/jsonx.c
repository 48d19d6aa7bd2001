/*
 * jsonx.c -- compact JSON text with Infinity, stored times as dates, and
 * the members of a JSON object's text found without parsing it (see
 * jsonx.h). Leaf module: jansson, util and date only.
 */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "jsonx.h"

json_t *
jsonx_infinity(void)
{
	static json_t *inf;

	if (inf == NULL)
		inf = json_real(DBL_MAX);
	return inf;
}

json_t *
jsonx_date(const json_t *rec, const char *key)
{
	char buf[DATE_RFC1123_LEN];
	const json_t *v = json_object_get(rec, key);

	if (!json_is_integer(v))
		return json_null();
	return json_string(date_rfc1123(json_integer_value(v), buf));
}

void
jsonx_text(struct sbuf *b, const json_t *v)
{
	const char *key;
	const json_t *m;
	size_t i;
	char *s;

	if (v == NULL) {
		sbuf_adds(b, "null");
		return;
	}
	if (v == jsonx_infinity()) {
		sbuf_adds(b, "Infinity");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		sbuf_add(b, "{", 1);
		i = 0;
		json_object_foreach(jsonx_unconst(v), key, m) {
			if (i++ > 0)
				sbuf_add(b, ",", 1);
			sbuf_json(b, key);
			sbuf_add(b, ":", 1);
			jsonx_text(b, m);
		}
		sbuf_add(b, "}", 1);
		break;
	case JSON_ARRAY:
		sbuf_add(b, "[", 1);
		json_array_foreach(v, i, m) {
			if (i > 0)
				sbuf_add(b, ",", 1);
			jsonx_text(b, m);
		}
		sbuf_add(b, "]", 1);
		break;
	case JSON_INTEGER:
		sbuf_addi(b, json_integer_value(v));
		break;
	case JSON_STRING: /* no NUL inside: names never hold one */
		sbuf_json(b, json_string_value(v));
		break;
	case JSON_REAL: /* as jansson writes it */
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		sbuf_adds(b, s != NULL ? s : "null");
		free(s);
		break;
	case JSON_TRUE:
		sbuf_adds(b, "true");
		break;
	case JSON_FALSE:
		sbuf_adds(b, "false");
		break;
	default:
		sbuf_adds(b, "null");
		break;
	}
}

/* The end of the JSON string starting at p (its opening quote), just past
   the closing quote, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the JSON value starting at p, or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (
		    p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

bool
jsonx_members(const char *s, size_t n, jsonx_member_fn fn, void *arg)
{
	const char *p = s, *end = s + n, *k, *kend, *v;

	while (p < end && *p == ' ')
		p++;
	if (p >= end || *p++ != '{')
		return false;
	for (;;) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p < end && *p == '}')
			return true;
		if (p >= end || *p != '"')
			return false;
		k = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return false;
		kend = p - 1; /* the closing quote */
		while (p < end && (*p == ' ' || *p == ':'))
			p++;
		v = p;
		if ((p = skip_value(p, end)) == NULL)
			return false;
		if (fn(k, (size_t)(kend - k), v, (size_t)(p - v), arg))
			return true;
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p == '}')
			return p < end;
	}
}

struct member_find {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

static bool
member_is(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct member_find *f = arg;

	if (klen != f->klen || memcmp(k, f->key, klen) != 0)
		return false;
	f->val = v;
	f->vlen = vlen;
	return true;
}

bool
jsonx_member(const char *s, size_t n, const char *key, const char **val,
    size_t *vlen)
{
	struct member_find f = { key, strlen(key), NULL, 0 };

	if (!jsonx_members(s, n, member_is, &f) || f.val == NULL)
		return false;
	*val = f.val;
	*vlen = f.vlen;
	return true;
}

bool
jsonx_member_int(const char *val, size_t vlen, long long *out)
{
	char buf[24], *e;

	if (vlen == 0 || vlen >= sizeof(buf))
		return false;
	memcpy(buf, val, vlen);
	buf[vlen] = '\0';
	errno = 0;
	*out = strtoll(buf, &e, 10);
	return *e == '\0' && errno == 0;
}

struct edit_args {
	struct sbuf *out;
	const struct jsonx_edit *e;
	size_t ne;
	unsigned long seen; /* bit i: edit i met */
};

/* One member into the new text: after a comma unless it is the first. */
static void
edit_put(struct sbuf *out, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	sbuf_add(out, out->len > 1 ? ",\"" : "\"", out->len > 1 ? 2 : 1);
	sbuf_add(out, k, klen);
	sbuf_add(out, "\":", 2);
	sbuf_add(out, v, vlen);
}

static bool
edit_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct edit_args *a = arg;
	size_t i;

	for (i = 0; i < a->ne; i++)
		if (strlen(a->e[i].key) == klen &&
		    memcmp(a->e[i].key, k, klen) == 0)
			break;
	if (i < a->ne) {
		a->seen |= 1UL << i;
		if (a->e[i].val == NULL)
			return false;
		v = a->e[i].val;
		vlen = strlen(v);
	}
	edit_put(a->out, k, klen, v, vlen);
	return false;
}

bool
jsonx_edit(struct sbuf *out, const char *s, size_t n,
    const struct jsonx_edit *e, size_t ne)
{
	struct edit_args a = { out, e, ne, 0 };
	size_t i;

	out->len = 0;
	if (ne > sizeof(a.seen) * 8)
		return false;
	sbuf_add(out, "{", 1);
	if (!jsonx_members(s, n, edit_one, &a))
		return false;
	for (i = 0; i < ne; i++)
		if (!(a.seen & (1UL << i)) && e[i].val != NULL)
			edit_put(out, e[i].key, strlen(e[i].key), e[i].val,
			    strlen(e[i].val));
	sbuf_add(out, "}", 1);
	return true;
}
