/*
 * rse_expr.c -- RSE expressions. The universe is every live RSE, sorted by
 * name; a set is a bitmap over it, so union, intersection and difference
 * are word operations. Attribute terms go through the attribute-key index
 * (TBL_RSE_ATTRS_BY_KEY); settings terms test the loaded records. The
 * parser is recursive descent with one level per parenthesis, folding
 * operators left to right as upstream does.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rse_expr.h"
#include "tables.h"
#include "util.h"

#define SYNTAX         "Expression does not comply to RSE Expression syntax"
#define EXPR_DEPTH_MAX 64

struct universe {
	size_t n, cap;
	char **names; /* sorted */
	char **raw;   /* the RSE records as stored */
	size_t *rawlen;
	json_t **recs; /* parsed when a settings term needs them */
	size_t words;  /* uint64_t words per set */
};

struct parser {
	const char *s; /* the whole expression */
	size_t pos;
	int depth;
	struct universe *u;
	struct st_txn *t;
	struct gr_err *err;
};

static uint64_t *
set_new(const struct universe *u)
{
	return xcalloc(u->words != 0 ? u->words : 1, sizeof(uint64_t));
}

/* Records are compact JSON, so a live RSE's lacks "deleted":true; the
   universe is built without parsing one (a term on settings parses them). */
static int
load_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	static const char deleted[] = "\"deleted\":true";
	struct universe *u = arg;

	(void)pkey;
	if (memmem(val->data, val->size, deleted, sizeof(deleted) - 1) != NULL)
		return GR_OK;
	if (u->n == u->cap) {
		u->cap = u->cap != 0 ? 2 * u->cap : 64;
		u->names = xrealloc(u->names, u->cap * sizeof(*u->names));
		u->raw = xrealloc(u->raw, u->cap * sizeof(*u->raw));
		u->rawlen = xrealloc(u->rawlen, u->cap * sizeof(*u->rawlen));
		u->recs = xrealloc(u->recs, u->cap * sizeof(*u->recs));
	}
	u->names[u->n] = xstrndup(key->data, key->size);
	u->raw[u->n] = xmalloc(val->size + 1);
	memcpy(u->raw[u->n], val->data, val->size);
	u->rawlen[u->n] = val->size;
	u->recs[u->n] = NULL;
	u->n++;
	return GR_OK;
}

/* The parsed record of universe member i. */
static const json_t *
record(struct universe *u, size_t i)
{
	if (u->recs[i] == NULL)
		u->recs[i] = json_loadb(u->raw[i], u->rawlen[i], 0, NULL);
	return u->recs[i];
}

static void
universe_free(struct universe *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->names[i]);
		free(u->raw[i]);
		json_decref(u->recs[i]);
	}
	free(u->names);
	free(u->raw);
	free(u->rawlen);
	free(u->recs);
}

static int
cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* The universe index of an RSE name, or -1. */
static long
find(const struct universe *u, const char *name)
{
	char *const *p = bsearch(name, u->names, u->n, sizeof(*u->names),
	    cmp_name);

	return p != NULL ? (long)(p - u->names) : -1;
}

/* Does a stored value equal the text of an expression term? */
static bool
value_equals(const json_t *v, const char *text)
{
	char *end;
	double d;

	if (json_is_string(v))
		return strcmp(json_string_value(v), text) == 0;
	if (json_is_boolean(v))
		return strcasecmp(text, json_is_true(v) ? "true" : "false") ==
		    0 ||
		    strcmp(text, json_is_true(v) ? "1" : "0") == 0;
	if (json_is_number(v)) {
		d = strtod(text, &end);
		return *end == '\0' && end != text && d == json_number_value(v);
	}
	return false;
}

/* The settings that key=value compares directly (a column upstream). */
static bool
is_setting(const char *key)
{
	static const char *const cols[] = { "rse", "id", "vo", "rse_type",
		"deterministic", "volatile", "staging_area", "city",
		"region_code", "country_name", "continent", "time_zone", "ISP",
		"ASN", "latitude", "longitude", "qos_class",
		"availability_read", "availability_write",
		"availability_delete" };
	size_t i;

	for (i = 0; i < ARRAY_LEN(cols); i++)
		if (strcmp(key, cols[i]) == 0)
			return true;
	return false;
}

struct attr_match {
	struct parser *p;
	uint64_t *set;
	const char *key, *value;
	char op; /* 0: bare (== true), '=', '<', '>' */
};

/*
 * The value of an attribute record {"value":V}. The common values (strings
 * without escapes, true, false) are read in place, which keeps an
 * attribute term over a thousand RSEs cheap; others are parsed. Returns
 * what the caller releases (maybe NULL) and sets *v.
 */
static json_t *
attr_value(const DBT *val, json_t **v)
{
	static const char head[] = "{\"value\":";
	static json_t *t, *f;
	const char *s = val->data, *end = s + val->size;
	size_t h = sizeof(head) - 1;
	json_t *rec;

	if (t == NULL) {
		t = json_true();
		f = json_false();
	}
	if (val->size > h + 1 && memcmp(s, head, h) == 0 && end[-1] == '}') {
		const char *b = s + h, *e = end - 1; /* the value's text */

		if (e - b == 4 && memcmp(b, "true", 4) == 0) {
			*v = t;
			return NULL;
		}
		if (e - b == 5 && memcmp(b, "false", 5) == 0) {
			*v = f;
			return NULL;
		}
		if (e - b >= 1 && e - b <= 15 &&
		    strspn(b, "0123456789") == (size_t)(e - b)) {
			*v = json_integer(strtoll(b, NULL, 10));
			return *v;
		}
		if (e - b >= 2 && b[0] == '"' && e[-1] == '"' &&
		    memchr(b, '\\', (size_t)(e - b)) == NULL) {
			*v = json_stringn_nocheck(b + 1, (size_t)(e - b - 2));
			return *v;
		}
	}
	rec = json_loadb(val->data, val->size, 0, NULL);
	*v = json_object_get(rec, "value");
	return rec;
}

static int
attr_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct attr_match *m = arg;
	const char *rse;
	size_t len;
	json_t *rec, *v;
	char name[300];
	bool hit = false;
	long i;

	if (key->size != strlen(m->key))
		return GR_OK;
	rse = key_part(pkey->data, pkey->size, 0, &len);
	if (rse == NULL || len >= sizeof(name))
		return GR_OK;
	memcpy(name, rse, len);
	name[len] = '\0';
	if ((i = find(m->p->u, name)) < 0)
		return GR_OK; /* a deleted RSE's */
	rec = attr_value(val, &v);
	if (m->op == 0) {
		hit = json_is_true(v);
	} else if (m->op == '=') {
		hit = value_equals(v, m->value);
	} else if (json_is_string(v) || json_is_number(v)) {
		char *end;
		double a = json_is_number(v)
		    ? json_number_value(v)
		    : strtod(json_string_value(v), &end);
		double b = strtod(m->value, NULL);

		if (json_is_number(v) ||
		    (*end == '\0' && end != json_string_value(v)))
			hit = m->op == '<' ? a < b : a > b;
	}
	if (hit)
		m->set[i / 64] |= (uint64_t)1 << (i % 64);
	json_decref(rec);
	return GR_OK;
}

/* One term: *, a bare attribute, or key OP value. */
static int
term(struct parser *p, const char *text, uint64_t **out)
{
	struct attr_match m = { .p = p };
	const char *opp = strpbrk(text, "=<>");
	char key[RSE_EXPR_MAX + 1];
	size_t i;

	*out = set_new(p->u);
	if (strcmp(text, "*") == 0) {
		for (i = 0; i < p->u->n; i++)
			(*out)[i / 64] |= (uint64_t)1 << (i % 64);
		return GR_OK;
	}
	m.set = *out;
	if (opp == NULL) {
		m.key = text;
	} else {
		memcpy(key, text, (size_t)(opp - text));
		key[opp - text] = '\0';
		m.key = key;
		m.op = *opp;
		m.value = opp + 1;
		if (m.op == '=' && is_setting(key)) {
			for (i = 0; i < p->u->n; i++)
				if (value_equals(json_object_get(record(p->u,
								     i),
						     key),
					m.value))
					(*out)[i / 64] |= (uint64_t)1
					    << (i % 64);
			return GR_OK;
		}
	}
	return st_scan(p->t, TBL_RSE_ATTRS_BY_KEY, m.key, strlen(m.key), NULL,
	    attr_one, &m, p->err);
}

/* The characters a term may hold (Rucio's lexical rules, section 6). */
static bool
term_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == '=' || c == '<' || c == '>' || c == '*';
}

/* Does a term's text follow the grammar: *, a bare name, key OP value? */
static bool
term_ok(const char *t)
{
	const char *op = strpbrk(t, "=<>"), *v;
	size_t i;

	if (strcmp(t, "*") == 0)
		return true;
	if (strchr(t, '*') != NULL)
		return false;
	if (op == NULL) {
		/* [A-Za-z0-9]+([_-][A-Za-z0-9]+)* */
		for (i = 0; t[i] != '\0'; i++)
			if (t[i] == '.' ||
			    ((t[i] == '_' || t[i] == '-') &&
				(i == 0 || t[i + 1] == '\0' ||
				    t[i + 1] == '_' || t[i + 1] == '-')))
				return false;
		return i > 0;
	}
	/* [A-Za-z0-9._-]+ OP [A-Za-z0-9_-]+ */
	v = op + 1;
	if (op == t || *v == '\0' || strpbrk(v, "=<>.") != NULL)
		return false;
	return true;
}

static int expr(struct parser *p, uint64_t **out);

static int
operand(struct parser *p, uint64_t **out)
{
	char text[RSE_EXPR_MAX + 1];
	size_t start = p->pos, n;
	int rc;

	*out = NULL;
	if (p->s[p->pos] == '(') {
		if (++p->depth > EXPR_DEPTH_MAX)
			return gr_fail(p->err, GR_INVALID_RSE_EXPR,
			    "RSE expression nested too deeply");
		p->pos++;
		if ((rc = expr(p, out)) != GR_OK)
			return rc;
		if (p->s[p->pos] != ')')
			return gr_fail(p->err, GR_INVALID_RSE_EXPR,
			    "Problem with parentheses.");
		p->pos++;
		p->depth--;
		return GR_OK;
	}
	while (term_char(p->s[p->pos]))
		p->pos++;
	n = p->pos - start;
	if (n == 0)
		return gr_fail(p->err, GR_INVALID_RSE_EXPR, "%s", SYNTAX);
	memcpy(text, p->s + start, n);
	text[n] = '\0';
	if (!term_ok(text))
		return gr_fail(p->err, GR_INVALID_RSE_EXPR, "%s", SYNTAX);
	return term(p, text, out);
}

static int
expr(struct parser *p, uint64_t **out)
{
	uint64_t *right = NULL;
	size_t i;
	char op;
	int rc;

	if ((rc = operand(p, out)) != GR_OK)
		return rc;
	while ((op = p->s[p->pos]) == '|' || op == '&' || op == '\\') {
		p->pos++;
		if ((rc = operand(p, &right)) != GR_OK) {
			free(right);
			return rc;
		}
		for (i = 0; i < p->u->words; i++)
			(*out)[i] = op == '|' ? (*out)[i] | right[i]
			    : op == '&'       ? (*out)[i] & right[i]
					      : (*out)[i] & ~right[i];
		free(right);
		right = NULL;
	}
	return GR_OK;
}

int
rse_expr_check_len(const char *s, struct gr_err *err)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0) /* as Rucio */
		return gr_fail(err, GR_INVALID_RSE_EXPR, "%s", SYNTAX);
	if (n > RSE_EXPR_MAX)
		return gr_fail(err, GR_INVALID_RSE_EXPR,
		    "An RSE expression has at most %d characters: this one "
		    "has %zu",
		    RSE_EXPR_MAX, n);
	return GR_OK;
}

int
rse_expr_eval(struct st_txn *t, const char *s, json_t **out, struct gr_err *err)
{
	struct universe u = { 0 };
	struct parser p = { .s = s, .u = &u, .t = t, .err = err };
	uint64_t *set = NULL;
	size_t i, n;
	long open = 0;
	int rc;

	*out = NULL;
	if ((rc = rse_expr_check_len(s, err)) != GR_OK)
		return rc;
	n = strlen(s);
	for (i = 0; i < n && open >= 0; i++)
		open += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
	if (open != 0)
		return gr_fail(err, GR_INVALID_RSE_EXPR,
		    "Problem with parentheses.");
	rc = st_scan(t, TBL_RSES, NULL, 0, NULL, load_one, &u, err);
	if (rc != GR_OK)
		goto out;
	u.words = (u.n + 63) / 64;
	if ((rc = expr(&p, &set)) != GR_OK)
		goto out;
	if (s[p.pos] != '\0') {
		rc = gr_fail(err, GR_INVALID_RSE_EXPR, "%s", SYNTAX);
		goto out;
	}
	*out = json_array();
	for (i = 0; i < u.n; i++)
		if (set[i / 64] & ((uint64_t)1 << (i % 64)))
			json_array_append_new(*out, json_string(u.names[i]));
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		rc = gr_fail(err, GR_INVALID_RSE_EXPR,
		    "RSE Expression resulted in an empty set.");
	}
out:
	free(set);
	universe_free(&u);
	return rc;
}

int
rse_attr_equals(struct st_txn *t, const char *key, const char *value,
    json_t **out, struct gr_err *err)
{
	struct universe u = { 0 };
	struct parser p = { .s = "", .u = &u, .t = t, .err = err };
	struct attr_match m = { .p = &p,
		.key = key,
		.value = value,
		.op = '=' };
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = st_scan(t, TBL_RSES, NULL, 0, NULL, load_one, &u, err)) !=
	    GR_OK)
		goto out;
	u.words = (u.n + 63) / 64;
	m.set = set_new(&u);
	rc = st_scan(t, TBL_RSE_ATTRS_BY_KEY, key, strlen(key), NULL, attr_one,
	    &m, err);
	if (rc != GR_OK)
		goto out;
	*out = json_array();
	for (i = 0; i < u.n; i++)
		if (m.set[i / 64] & ((uint64_t)1 << (i % 64)))
			json_array_append_new(*out, json_string(u.names[i]));
out:
	free(m.set);
	universe_free(&u);
	return rc;
}

struct list_args {
	const char *expr;
	json_t *names;
};

static int
list_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct list_args *a = arg;

	json_decref(a->names);
	return rse_expr_eval(t, a->expr, &a->names, err);
}

int
rse_expr_list(const char *s, gr_emit_fn emit, void *ctx, struct gr_err *err)
{
	struct list_args a = { s, NULL };
	json_t *name, *item;
	size_t i;
	int rc;

	/* evaluated whole before the first item, so an error is an answer */
	if ((rc = st_view(list_txn, &a, 0, err)) != GR_OK) {
		json_decref(a.names);
		return rc;
	}
	json_array_foreach(a.names, i, name) {
		item = json_pack("{s:O}", "rse", name);
		rc = emit(item, ctx);
		json_decref(item);
		if (rc != GR_OK)
			break;
	}
	json_decref(a.names);
	return rc;
}
