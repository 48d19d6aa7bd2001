/*
 * didsearch.c -- DID search (core): the filter grammar parsed into typed
 * criteria, a plan per OR group (one record, an index key, a name prefix,
 * an index range, the collections of a type, or the scope), and a run in
 * one snapshot that checks every candidate against its record.
 *
 * A DID found by several groups is written once: group g's candidates
 * that an earlier group also matches are skipped, so nothing is
 * remembered but for recursive searches, where a child can be reached
 * twice and a set of what was written is kept.
 */
#define _GNU_SOURCE /* timegm */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "date.h"
#include "did.h"
#include "didmeta.h"
#include "didsearch.h"
#include "jsonx.h"
#include "pylit.h"
#include "store.h"
#include "tables.h"
#include "util.h"
#include "valid.h"

#define DS_FILE      0x1u
#define DS_DATASET   0x2u
#define DS_CONTAINER 0x4u

#define COL_CUSTOM (-1)
#define COL_NAME   (-2)
#define COL_SCOPE  (-3)

enum op { OP_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE };
enum vt { V_NULL, V_BOOL, V_NUM, V_STR, V_DATE };

struct crit {
	char *key; /* the column or custom key */
	int col;   /* didmeta_column(), or COL_ */
	enum op op;
	enum vt vt;
	bool like; /* a string with wildcards */
	bool b;
	double num; /* V_NUM, V_DATE (epoch seconds) */
	char *str;  /* V_STR */
	size_t slen;
};

enum plan { P_NAME, P_INDEX, P_PREFIX, P_RANGE, P_TYPE, P_SCAN };

struct group {
	unsigned types;
	struct crit *c;
	size_t n;
	/* the plan: for P_INDEX/P_RANGE the index key's head (scope left
	   out) and value bounds; for P_NAME/P_PREFIX the name (prefix) */
	enum plan plan;
	const char *key;
	char tag;
	unsigned char lo[DIDX_STR_MAX], hi[DIDX_STR_MAX];
	size_t lolen, hilen;
	bool has_lo, has_hi;
};

struct didsearch {
	struct group *g;
	size_t n;
};

static const char *const plan_names[] = { "name", "index", "prefix", "range",
	"type", "scan" };

/* --- values ----------------------------------------------------------- */

/* 1 or 2 digits within [lo, hi] (as strptime's %m %d %H %M %S). */
static bool
two_digits(const char **p, int lo, int hi, int *out)
{
	const char *s = *p;
	int v;

	if (*s < '0' || *s > '9')
		return false;
	v = *s++ - '0';
	if (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	if (v < lo || v > hi)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* The epoch of tm, false for a day that does not exist (30 Feb). */
static bool
tm_epoch(struct tm *tm, double frac, double *out)
{
	struct tm check;
	time_t t;

	tm->tm_isdst = 0;
	check = *tm;
	t = timegm(tm);
	if (tm->tm_mday != check.tm_mday || tm->tm_mon != check.tm_mon)
		return false;
	*out = (double)t + frac;
	return true;
}

/*
 * The five date forms a filter value may take (Rucio's VALID_DATE_FORMATS):
 * "YYYY-MM-DD HH:MM:SS", the same with 'T', both with ".ffffffZ", and
 * "Www, DD Mon YYYY HH:MM:SS UTC". Naive dates are UTC.
 */
static bool
filter_date(const char *s, double *out)
{
	static const char *const mon[] = { "jan", "feb", "mar", "apr", "may",
		"jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	static const char *const wday[] = { "mon", "tue", "wed", "thu", "fri",
		"sat", "sun" };
	struct tm tm = { 0 };
	const char *p = s;
	double frac = 0, scale = 0.1;
	int i, v, digits;

	if (strlen(s) > 40)
		return false;
	if (s[0] >= '0' && s[0] <= '9') {
		for (i = 0, v = 0; i < 4; i++, p++) {
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (*p - '0');
		}
		tm.tm_year = v - 1900;
		if (*p++ != '-' || !two_digits(&p, 1, 12, &tm.tm_mon) ||
		    *p++ != '-' || !two_digits(&p, 1, 31, &tm.tm_mday) ||
		    (*p != ' ' && *p != 'T'))
			return false;
		tm.tm_mon--;
		p++;
	} else {
		for (i = 0; i < 7; i++)
			if (strncasecmp(p, wday[i], 3) == 0)
				break;
		if (i == 7 || p[3] != ',' || p[4] != ' ')
			return false;
		p += 5;
		if (!two_digits(&p, 1, 31, &tm.tm_mday) || *p++ != ' ')
			return false;
		for (i = 0; i < 12; i++)
			if (strncasecmp(p, mon[i], 3) == 0)
				break;
		if (i == 12 || p[3] != ' ')
			return false;
		tm.tm_mon = i;
		p += 4;
		for (i = 0, v = 0; i < 4; i++, p++) {
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (*p - '0');
		}
		tm.tm_year = v - 1900;
		if (*p++ != ' ')
			return false;
	}
	if (!two_digits(&p, 0, 23, &tm.tm_hour) || *p++ != ':' ||
	    !two_digits(&p, 0, 59, &tm.tm_min) || *p++ != ':' ||
	    !two_digits(&p, 0, 61, &tm.tm_sec))
		return false;
	if (tm.tm_sec > 59)
		tm.tm_sec = 59;
	if (s[0] >= '0' && s[0] <= '9') {
		if (*p == '.') {
			for (p++, digits = 0; *p >= '0' && *p <= '9';
			     p++, digits++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
			if (digits == 0 || digits > 6 || *p++ != 'Z')
				return false;
		}
	} else if (strcmp(p, " UTC") == 0) {
		p += 4;
	}
	return *p == '\0' && tm_epoch(&tm, frac, out);
}

/* A number, boolean or null v as c's value; false for others. */
static bool
typed_scalar(struct crit *c, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		c->vt = V_NUM;
		c->num = json_number_value(v);
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
		c->vt = V_BOOL;
		c->b = json_is_true(v);
		return true;
	case JSON_NULL:
		c->vt = V_NULL;
		return true;
	default:
		return false;
	}
}

/* A string value typed as Rucio's _try_typecast_string does. */
static void
typecast(struct crit *c, const char *s, size_t len)
{
	char why[80];
	json_t *v = NULL;

	c->vt = V_STR;
	if (strlen(s) == len && filter_date(s, &c->num)) {
		c->vt = V_DATE;
		return;
	}
	/* no sign or arithmetic: "1-2" stays a string, as "-1" does */
	if (strlen(s) == len && strpbrk(s, "+-*/") == NULL) {
		if (strcmp(s, "true") == 0 || strcmp(s, "TRUE") == 0)
			v = json_true();
		else if (strcmp(s, "false") == 0 || strcmp(s, "FALSE") == 0)
			v = json_false();
		else if (pylit_parse(s, &v, why, sizeof(why)) != 0)
			v = NULL;
	}
	if (json_is_string(v)) { /* "'x'" is the string x */
		c->str = xstrndup(json_string_value(v), json_string_length(v));
		c->slen = json_string_length(v);
	} else if (v != NULL) {
		(void)typed_scalar(c, v);
	}
	if (c->vt == V_STR && c->str == NULL) {
		c->str = xstrndup(s, len);
		c->slen = len;
	}
	json_decref(v);
}

/* SQL LIKE with '*' and '%' for any run of bytes, all else literal. */
static bool
like_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;

	while (si < sn) {
		if (pi < pn && (p[pi] == '*' || p[pi] == '%')) {
			star = pi++;
			mark = si;
		} else if (pi < pn && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && (p[pi] == '*' || p[pi] == '%'))
		pi++;
	return pi == pn;
}

static int
cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r != 0 ? r : (an > bn) - (an < bn);
}

static int
cmp_num(double a, double b)
{
	return (a > b) - (a < b);
}

#define INCOMPARABLE 2

/*
 * Compare a stored value with c's value, the stored one cast to c's type
 * as Rucio's query casts it (-1, 0, 1), or INCOMPARABLE (NULL, or no
 * such cast). date: the value is a date column (epoch seconds).
 */
static int
compare(const json_t *v, bool date, const struct crit *c)
{
	char text[32];
	const char *s;
	int64_t when;
	double d;

	if (v == NULL || json_is_null(v))
		return INCOMPARABLE;
	switch (c->vt) {
	case V_NUM:
		if (json_is_number(v) && !date)
			return cmp_num(json_number_value(v), c->num);
		if (json_is_string(v) && didx_str_num(json_string_value(v), &d))
			return cmp_num(d, c->num);
		return INCOMPARABLE;
	case V_DATE:
		if (date && json_is_integer(v))
			return cmp_num((double)json_integer_value(v), c->num);
		if (json_is_string(v) &&
		    date_parse(json_string_value(v), &when) == 0)
			return cmp_num((double)when, c->num);
		return INCOMPARABLE;
	case V_BOOL:
		if (!json_is_boolean(v))
			return INCOMPARABLE;
		return (json_is_true(v) > c->b) - (json_is_true(v) < c->b);
	case V_STR:
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_boolean(v))
			s = json_is_true(v) ? "true" : "false";
		else if (json_is_number(v) && !date) {
			didx_num_text(json_number_value(v), json_is_integer(v),
			    (long long)json_integer_value(v), text);
			s = text;
		} else
			return INCOMPARABLE;
		if (c->like)
			return like_match(c->str, c->slen, s,
				   json_is_string(v) ? json_string_length(v)
						     : strlen(s))
			    ? 0
			    : 1;
		return cmp_bytes(s,
		    json_is_string(v) ? json_string_length(v) : strlen(s),
		    c->str, c->slen);
	case V_NULL:
		return INCOMPARABLE;
	}
	return INCOMPARABLE;
}

static bool
crit_holds(const struct crit *c, const json_t *v, bool date)
{
	int r = compare(v, date, c);

	switch (c->op) {
	case OP_EQ:
		return r == 0;
	case OP_NE: /* SQL's "col != v OR col IS NULL" */
		return r != 0;
	case OP_GT:
		return r == 1;
	case OP_LT:
		return r == -1;
	case OP_GE:
		return r == 0 || r == 1;
	case OP_LE:
		return r == 0 || r == -1;
	}
	return false;
}

/* A request's or group's type (any case) as the DID types it covers. */
static unsigned
type_mask(const char *t)
{
	static const struct {
		const char *name;
		unsigned mask;
	} kinds[] = { { "all", DS_FILE | DS_DATASET | DS_CONTAINER },
		{ "collection", DS_DATASET | DS_CONTAINER },
		{ "container", DS_CONTAINER }, { "dataset", DS_DATASET },
		{ "file", DS_FILE } };
	size_t i;

	for (i = 0; t != NULL && i < ARRAY_LEN(kinds); i++)
		if (strcasecmp(t, kinds[i].name) == 0)
			return kinds[i].mask;
	return 0;
}

/* child: set the name equalities aside (a recursive search's children) */
static bool
group_matches(const struct group *g, const char *scope, const char *name,
    const json_t *rec, bool child)
{
	json_t *sv = NULL, *nv = NULL;
	const json_t *v;
	bool ok = true;
	size_t i;

	if (!(type_mask(json_string_value(json_object_get(rec, "type"))) &
		g->types))
		return false;
	if (json_is_true(json_object_get(rec, "suppressed")))
		return false;
	for (i = 0; ok && i < g->n; i++) {
		const struct crit *c = &g->c[i];

		if (c->col == COL_NAME && c->op == OP_EQ && child)
			continue;
		if (c->col == COL_NAME) {
			if (nv == NULL)
				nv = json_string(name);
			v = nv;
		} else if (c->col == COL_SCOPE) {
			if (sv == NULL)
				sv = json_string(scope);
			v = sv;
		} else if (c->col == COL_CUSTOM) {
			v = json_object_get(json_object_get(rec, "meta"),
			    c->key);
		} else {
			v = didmeta_column_value(c->col, rec);
		}
		ok = crit_holds(c, v,
		    c->col >= 0 && didmeta_column_is_date(c->col));
	}
	json_decref(sv);
	json_decref(nv);
	return ok;
}

bool
didsearch_match(const struct didsearch *q, const char *scope, const char *name,
    const json_t *rec)
{
	size_t g;

	for (g = 0; g < q->n; g++)
		if (group_matches(&q->g[g], scope, name, rec, false))
			return true;
	return false;
}

/* --- parsing ---------------------------------------------------------- */

static int syntax(struct gr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
syntax(struct gr_err *err, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gr_vfail(err, GR_DID_FILTER_SYNTAX, fmt, ap);
	va_end(ap);
	return rc;
}

static int
bad_type(struct gr_err *err, const char *t)
{
	return gr_fail(err, GR_UNSUPPORTED_OPERATION,
	    "%.40s is not a valid type. Valid types are all, collection, "
	    "container, dataset, file",
	    t);
}

/* "key[.op]" into c->key and c->op. */
static int
parse_key(struct crit *c, const char *key, struct gr_err *err)
{
	static const struct {
		const char *s;
		enum op op;
	} ops[] = { { "", OP_EQ }, { "ne", OP_NE }, { "gt", OP_GT },
		{ "lt", OP_LT }, { "gte", OP_GE }, { "lte", OP_LE } };
	const char *dot = strchr(key, '.');
	size_t i;

	if (strcmp(key, "created_after") == 0)
		key = "created_at.gte";
	else if (strcmp(key, "created_before") == 0)
		key = "created_at.lte";
	dot = strchr(key, '.');
	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		return syntax(err,
		    "The filter key '%.100s' has more than one operator", key);
	c->op = OP_EQ;
	if (dot != NULL) {
		for (i = 0; i < ARRAY_LEN(ops); i++)
			if (strcmp(dot + 1, ops[i].s) == 0)
				break;
		if (i == ARRAY_LEN(ops))
			return syntax(err,
			    "The filter key '%.100s' has an unknown operator: "
			    "use .ne .gt .lt .gte or .lte",
			    key);
		c->op = ops[i].op;
	}
	c->key = dot != NULL ? xstrndup(key, (size_t)(dot - key))
			     : xstrdup(key);
	if (*c->key == '\0')
		return syntax(err, "A filter key is empty");
	if (strcmp(c->key, "name") == 0)
		c->col = COL_NAME;
	else if (strcmp(c->key, "scope") == 0)
		c->col = COL_SCOPE;
	else
		c->col = didmeta_column(c->key);
	return GR_OK;
}

static int
parse_value(struct crit *c, const json_t *v, struct gr_err *err)
{
	char text[32];

	if (c->col == COL_NAME || c->col == COL_SCOPE) {
		/* a name is a name, even one that reads as a number */
		if (json_is_number(v)) {
			didx_num_text(json_number_value(v), json_is_integer(v),
			    (long long)json_integer_value(v), text);
			c->str = xstrdup(text);
		} else if (json_is_string(v)) {
			c->str = xstrndup(json_string_value(v),
			    json_string_length(v));
		} else {
			return syntax(err,
			    "The value of the filter key '%.100s' must be a "
			    "string",
			    c->key);
		}
		c->vt = V_STR;
		c->slen = json_is_string(v) ? json_string_length(v)
					    : strlen(c->str);
		c->like = memchr(c->str, '*', c->slen) != NULL ||
		    memchr(c->str, '%', c->slen) != NULL;
		return GR_OK;
	}
	if (json_is_string(v))
		typecast(c, json_string_value(v), json_string_length(v));
	else if (!typed_scalar(c, v))
		return syntax(err,
		    "The value of the filter key '%.100s' must be a string, "
		    "a number, a boolean or None",
		    c->key);
	if (c->vt == V_STR)
		c->like = memchr(c->str, '*', c->slen) != NULL ||
		    memchr(c->str, '%', c->slen) != NULL;
	return GR_OK;
}

/* Rucio's sanity checks of one criterion (filter_engine.py). */
static int
check_crit(struct crit *c, struct gr_err *err)
{
	double d;

	if (c->col == COL_NAME && c->op != OP_EQ && c->op != OP_NE)
		return syntax(err,
		    "Name operator must be an equality operator");
	if (strcmp(c->key, "length") == 0) {
		if (c->vt == V_STR && didx_str_num(c->str, &d) &&
		    d == floor(d)) {
			free(c->str);
			c->str = NULL;
			c->vt = V_NUM;
			c->num = d;
		}
		if (c->vt != V_NUM && c->vt != V_BOOL)
			return syntax(err, "Length has to be an integer value");
	}
	if (c->like && c->op != OP_EQ && c->op != OP_NE)
		return syntax(err,
		    "Wildcards can only be used with equality operators");
	if (strcmp(c->key, "created_at") == 0 && c->vt != V_DATE)
		return syntax(err,
		    "Couldn't parse the date of '%.100s'. Valid formats are "
		    "YYYY-MM-DD HH:MM:SS, YYYY-MM-DDTHH:MM:SS, both with "
		    ".ffffffZ, and Www, DD Mon YYYY HH:MM:SS UTC",
		    c->key);
	return GR_OK;
}

static void
crit_free(struct crit *c)
{
	free(c->key);
	free(c->str);
}

static void
group_free(struct group *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		crit_free(&g->c[i]);
	free(g->c);
}

void
didsearch_free(struct didsearch *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++)
		group_free(&q->g[i]);
	free(q->g);
	free(q);
}

static void plan_group(struct group *g);

static int
parse_group(struct group *g, const json_t *obj, unsigned dflt,
    struct gr_err *err)
{
	const char *key, *t;
	json_t *v;
	size_t i;
	int rc;

	if (!json_is_object(obj))
		return syntax(err, "Each filter group must be a dictionary");
	g->types = dflt;
	g->c = xcalloc(json_object_size(obj) + 1, sizeof(*g->c));
	json_object_foreach(jsonx_unconst(obj), key, v) {
		struct crit *c = &g->c[g->n];

		if (strcmp(key, "type") == 0) {
			t = json_string_value(v);
			if (t == NULL || (g->types = type_mask(t)) == 0)
				return bad_type(err,
				    t != NULL ? t : "a non-string");
			continue;
		}
		if (strcmp(key, "did_type") == 0)
			continue; /* Rucio sets it from type */
		if (strncmp(key, "type.", 5) == 0)
			return syntax(err, "Type operator must be equals");
		memset(c, 0, sizeof(*c));
		g->n++;
		if ((rc = parse_key(c, key, err)) != GR_OK ||
		    (rc = parse_value(c, v, err)) != GR_OK ||
		    (rc = check_crit(c, err)) != GR_OK)
			return rc;
		for (i = 0; i + 1 < g->n; i++)
			if (g->c[i].op == c->op &&
			    strcmp(g->c[i].key, c->key) == 0)
				return gr_fail(err, GR_DUPLICATE_CRITERIA,
				    "Duplicate criteria for the key '%.100s' "
				    "in one filter group",
				    c->key);
		/* '*' alone: no condition at all */
		if (c->vt == V_STR && c->like && c->slen == 1) {
			crit_free(c);
			g->n--;
		}
	}
	plan_group(g);
	return GR_OK;
}

int
didsearch_parse(const json_t *filters, const char *type, struct didsearch **out,
    struct gr_err *err)
{
	struct didsearch *q;
	json_t *list;
	unsigned dflt;
	size_t i;
	int rc = GR_OK;

	*out = NULL;
	dflt = type_mask(type != NULL ? type : "collection");
	if (dflt == 0)
		return bad_type(err, type);
	if (json_is_object(filters)) {
		list = json_pack("[O]", filters);
	} else if (json_is_array(filters)) {
		list = json_incref(jsonx_unconst(filters));
	} else if (filters == NULL) {
		list = json_pack("[{}]");
	} else {
		return syntax(err,
		    "The filters must be a list of dictionaries");
	}
	/* an empty list: no group, no condition (Rucio lists everything) */
	if (json_array_size(list) == 0) {
		json_decref(list);
		list = json_pack("[{}]");
	}
	q = xcalloc(1, sizeof(*q));
	q->g = xcalloc(json_array_size(list), sizeof(*q->g));
	for (i = 0; i < json_array_size(list) && rc == GR_OK; i++, q->n++)
		rc = parse_group(&q->g[i], json_array_get(list, i), dflt, err);
	json_decref(list);
	if (rc != GR_OK) {
		didsearch_free(q);
		return rc;
	}
	*out = q;
	return GR_OK;
}

int
didsearch_literal(const char *text, json_t **filters, struct gr_err *err)
{
	char why[120];
	json_t *v;

	*filters = NULL;
	if (pylit_parse(text, &v, why, sizeof(why)) != 0)
		return syntax(err, "The filters are not a Python literal: %s",
		    why);
	if (json_is_object(v)) {
		*filters = json_pack("[o]", v);
		return GR_OK;
	}
	if (!json_is_array(v)) {
		json_decref(v);
		return syntax(err,
		    "The filters must be a list of dictionaries");
	}
	*filters = v;
	return GR_OK;
}

/* --- planning --------------------------------------------------------- */

static bool
indexed_key(const struct crit *c, unsigned types)
{
	size_t i;

	if (c->col == COL_CUSTOM)
		return strlen(c->key) <= 100;
	if (c->col < 0)
		return false;
	/* dates are filed for collections only (tables.h) */
	if (strcmp(c->key, "created_at") == 0 ||
	    strcmp(c->key, "closed_at") == 0 || strcmp(c->key, "eol_at") == 0)
		return c->vt == V_DATE && !(types & DS_FILE);
	for (i = 0; didx_fields[i] != NULL; i++)
		if (strcmp(c->key, didx_fields[i]) == 0)
			return true;
	return false;
}

/* The index tag and value bytes of c's value; false if none. */
static bool
crit_bytes(const struct crit *c, char *tag, unsigned char *buf, size_t *len)
{
	switch (c->vt) {
	case V_NUM:
	case V_DATE:
		if (!isfinite(c->num))
			return false;
		*tag = c->vt == V_NUM ? DIDX_NUM : DIDX_DATE;
		didx_num(c->num, buf);
		*len = 8;
		return true;
	case V_BOOL:
		*tag = DIDX_BOOL;
		buf[0] = c->b;
		*len = 1;
		return true;
	case V_STR:
		*tag = DIDX_STR;
		*len = c->slen < DIDX_STR_MAX ? c->slen : DIDX_STR_MAX;
		memcpy(buf, c->str, *len);
		return true;
	case V_NULL:
		break;
	}
	return false;
}

/* The literal head of a LIKE pattern. */
static size_t
like_prefix(const struct crit *c)
{
	size_t i;

	for (i = 0; i < c->slen; i++)
		if (c->str[i] == '*' || c->str[i] == '%')
			break;
	return i;
}

/*
 * Choose how group g's candidates are found, best first: a name, an equal
 * indexed value, a name prefix, a value range closed on both sides, one
 * open on a side, the collections of the group's types, the scope.
 */
static void
plan_group(struct group *g)
{
	unsigned char buf[DIDX_STR_MAX];
	const struct crit *c;
	size_t i, j, len, best = 0;
	int rank = 7, r;
	char tag;

	g->plan = (g->types & DS_FILE) ? P_SCAN : P_TYPE;
	for (i = 0; i < g->n; i++) {
		c = &g->c[i];
		r = 7;
		if (c->col == COL_NAME && c->op == OP_EQ && !c->like)
			r = 0;
		else if (c->op == OP_EQ && !c->like &&
		    indexed_key(c, g->types) && crit_bytes(c, &tag, buf, &len))
			r = 1;
		else if (c->col == COL_NAME && c->op == OP_EQ &&
		    like_prefix(c) > 0)
			r = 2;
		else if (c->op != OP_EQ && c->op != OP_NE &&
		    indexed_key(c, g->types) && crit_bytes(c, &tag, buf, &len))
			r = 4;
		if (r < rank) {
			rank = r;
			best = i;
		}
	}
	if (rank == 7)
		return;
	c = &g->c[best];
	g->key = c->key;
	switch (rank) {
	case 0:
		g->plan = P_NAME;
		return;
	case 2:
		g->plan = P_PREFIX;
		return;
	case 1:
		g->plan = P_INDEX;
		crit_bytes(c, &g->tag, g->lo, &g->lolen);
		return;
	default:
		break;
	}
	/* a range: every bound on this key in this form */
	g->plan = P_RANGE;
	crit_bytes(c, &g->tag, buf, &len);
	for (j = 0; j < g->n; j++) {
		const struct crit *b = &g->c[j];
		bool lower = b->op == OP_GT || b->op == OP_GE;

		if (strcmp(b->key, c->key) != 0 ||
		    (b->op == OP_EQ || b->op == OP_NE) ||
		    !crit_bytes(b, &tag, buf, &len) || tag != g->tag)
			continue;
		/* strings cut at DIDX_STR_MAX: bounds are inclusive and the
		   records decide */
		if (lower &&
		    (!g->has_lo ||
			cmp_bytes((char *)buf, len, (char *)g->lo, g->lolen) >
			    0)) {
			memcpy(g->lo, buf, len);
			g->lolen = len;
			g->has_lo = true;
		} else if (!lower &&
		    (!g->has_hi ||
			cmp_bytes((char *)buf, len, (char *)g->hi, g->hilen) <
			    0)) {
			memcpy(g->hi, buf, len);
			g->hilen = len;
			g->has_hi = true;
		}
	}
}

const char *
didsearch_plan(const struct didsearch *q, size_t g)
{
	return g < q->n ? plan_names[q->g[g].plan] : NULL;
}

/* --- running ---------------------------------------------------------- */

struct run {
	const struct didsearch *q;
	const struct didsearch_out *out;
	const char *scope;
	struct st_txn *t;
	struct gr_err *err;
	size_t g;     /* the group whose candidates are scanned */
	size_t head;  /* P_RANGE: where the value starts in an index key */
	long count;   /* written so far */
	json_t *seen; /* recursive: "scope:name" written */
	struct sbuf line;
};

static int search_children(struct run *run, const char *scope, const char *name,
    int depth);

static int
write_did(struct run *run, const char *scope, const char *name,
    const json_t *rec)
{
	const json_t *v;

	run->line.len = 0;
	if (!run->out->long_form && !run->out->with_scope) {
		sbuf_json(&run->line, name);
	} else if (!run->out->long_form) {
		sbuf_adds(&run->line, "{\"scope\":");
		sbuf_json(&run->line, scope);
		sbuf_adds(&run->line, ",\"name\":");
		sbuf_json(&run->line, name);
		sbuf_add(&run->line, "}", 1);
	} else {
		sbuf_adds(&run->line, "{\"scope\":");
		sbuf_json(&run->line, scope);
		sbuf_adds(&run->line, ",\"name\":");
		sbuf_json(&run->line, name);
		sbuf_adds(&run->line, ",\"did_type\":");
		sbuf_json(&run->line,
		    json_string_value(json_object_get(rec, "type")));
		sbuf_adds(&run->line, ",\"bytes\":");
		v = json_object_get(rec, "bytes");
		if (json_is_integer(v))
			sbuf_addi(&run->line, (long long)json_integer_value(v));
		else
			sbuf_adds(&run->line, "null");
		sbuf_adds(&run->line, ",\"length\":");
		v = json_object_get(rec, "length");
		if (json_is_integer(v))
			sbuf_addi(&run->line, (long long)json_integer_value(v));
		else
			sbuf_adds(&run->line, "null");
		sbuf_add(&run->line, "}", 1);
	}
	run->count++;
	return run->out->emit(run->line.s, run->line.len, run->out->ctx);
}

/*
 * A matching DID: write it (once) and, for a recursive search of a
 * collection, search its children.
 */
static int
found(struct run *run, const char *scope, const char *name, const json_t *rec,
    int depth)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	struct sbuf id = { 0 };
	int rc;

	if (run->out->limit > 0 && run->count >= run->out->limit)
		return ST_STOP;
	if (run->seen != NULL) {
		sbuf_adds(&id, scope);
		sbuf_add(&id, ":", 1);
		sbuf_adds(&id, name);
		if (json_object_get(run->seen, id.s) != NULL) {
			sbuf_free(&id);
			return GR_OK;
		}
		json_object_set_new(run->seen, id.s, json_true());
		sbuf_free(&id);
	}
	if ((rc = write_did(run, scope, name, rec)) != GR_OK)
		return rc;
	if (run->out->recursive && type != NULL && strcmp(type, "FILE") != 0)
		return search_children(run, scope, name, depth + 1);
	return GR_OK;
}

/* A candidate of group run->g at the top level: pkey is scope \0 name. */
static int
candidate(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct run *run = arg;
	const struct group *g = &run->q->g[run->g];
	const char *nm;
	size_t nl, j;
	json_t *rec;
	char *name;
	int rc = GR_OK;

	if (g->plan == P_RANGE && g->has_hi &&
	    cmp_bytes((const char *)key->data + run->head,
		key->size - run->head, (const char *)g->hi, g->hilen) > 0)
		return ST_STOP;
	nm = key_part(pkey->data, pkey->size, 1, &nl);
	if (nm == NULL)
		return GR_OK;
	if ((rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	name = xstrndup(nm, nl);
	if (group_matches(g, run->scope, name, rec, false)) {
		/* written by an earlier group already */
		for (j = 0; j < run->g; j++)
			if (group_matches(&run->q->g[j], run->scope, name, rec,
				false))
				break;
		if (j == run->g)
			rc = found(run, run->scope, name, rec, 0);
	}
	free(name);
	json_decref(rec);
	return rc;
}

struct child_scan {
	struct run *run;
	int depth;
};

#define SEARCH_DEPTH_MAX 64

/* A child (key: parent scope \0 name \0 child scope \0 name). */
static int
child(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct child_scan *cs = arg;
	struct run *run = cs->run;
	char *scope, *name, dk[KEY_MAX];
	json_t *rec;
	size_t g;
	int ret, rc = GR_OK;
	DBT k;

	(void)pkey;
	(void)val;
	if (!key_did(key->data, key->size, 2, &scope, &name))
		return GR_OK;
	k = st_dbt(dk, did_key(dk, scope, name));
	ret = st_get_json(run->t, TBL_DIDS, &k, &rec, 0);
	if (ret == 0) {
		for (g = 0; g < run->q->n; g++)
			if (group_matches(&run->q->g[g], scope, name, rec,
				true))
				break;
		if (g < run->q->n)
			rc = found(run, scope, name, rec, cs->depth);
		json_decref(rec);
	} else if (ret != DB_NOTFOUND) {
		rc = st_fail(run->err, ret);
	}
	free(scope);
	free(name);
	return rc;
}

static int
search_children(struct run *run, const char *scope, const char *name, int depth)
{
	struct child_scan cs = { run, depth };
	char kbuf[KEY_MAX];
	size_t klen;

	if (depth > SEARCH_DEPTH_MAX)
		return GR_OK;
	klen = key_join(kbuf, sizeof(kbuf), scope, name, "", (char *)NULL);
	if (klen == 0)
		return GR_OK;
	return st_scan(run->t, TBL_CONTENTS, kbuf, klen, NULL, child, &cs,
	    run->err);
}

/*
 * The candidates of a group whose plan reads the collection entries
 * (didx_coll_key): P_TYPE every collection of its types, P_INDEX and
 * P_RANGE on created_at those created then. A collection is filed once,
 * new or not, so each type has two runs of entries.
 */
static int
scan_colls(struct run *run, const struct group *g)
{
	static const char type[] = { DIDX_DATASET, DIDX_CONTAINER };
	static const unsigned bits[] = { DS_DATASET, DS_CONTAINER };
	static const unsigned char zero[8];
	char kbuf[KEY_MAX], from[KEY_MAX];
	size_t i, n, klen, plen;
	DBT f;
	int rc = GR_OK;

	for (i = 0; i < 2 && rc == GR_OK; i++) {
		if (!(g->types & bits[i]))
			continue;
		for (n = 0; n < 2 && rc == GR_OK; n++) {
			/* a scan ends early (GR_OK) at the limit */
			if (run->out->limit > 0 &&
			    run->count >= run->out->limit)
				return GR_OK;
			klen = didx_coll_key(kbuf, run->scope, n == 1, type[i],
			    g->plan == P_INDEX ? g->lo : zero);
			if (klen == 0)
				return GR_OK;
			plen = klen - 8; /* up to the type */
			run->head = plen;
			if (g->plan == P_INDEX)
				rc = st_scan_key(run->t, TBL_DIDS_BY_META, kbuf,
				    klen, candidate, run, run->err);
			else if (g->plan == P_RANGE && g->has_lo) {
				memcpy(from, kbuf, plen);
				memcpy(from + plen, g->lo, 8);
				f = st_dbt(from, klen);
				rc = st_scan(run->t, TBL_DIDS_BY_META, kbuf,
				    plen, &f, candidate, run, run->err);
			} else
				rc = st_scan(run->t, TBL_DIDS_BY_META, kbuf,
				    plen, NULL, candidate, run, run->err);
		}
	}
	return rc;
}

/* Group run->g's candidates through its plan. */
static int
scan_group(struct run *run)
{
	const struct group *g = &run->q->g[run->g];
	char kbuf[KEY_MAX];
	size_t klen, i, plen;
	DBT from;

	/* created_at is filed in the collection entries (as a date only:
	   indexed_key), its 8 bytes last */
	if (g->plan == P_TYPE ||
	    ((g->plan == P_INDEX || g->plan == P_RANGE) &&
		strcmp(g->key, "created_at") == 0))
		return scan_colls(run, g);
	switch (g->plan) {
	case P_NAME:
	case P_PREFIX:
		for (i = 0; i < g->n; i++)
			if (g->c[i].col == COL_NAME && g->c[i].op == OP_EQ)
				break;
		plen = g->plan == P_NAME ? g->c[i].slen : like_prefix(&g->c[i]);
		klen = key_join(kbuf, sizeof(kbuf), run->scope, "",
		    (char *)NULL);
		if (klen == 0 || klen + plen > sizeof(kbuf))
			return GR_OK;
		memcpy(kbuf + klen, g->c[i].str, plen);
		klen += plen;
		if (g->plan == P_NAME)
			return st_scan_key(run->t, TBL_DIDS, kbuf, klen,
			    candidate, run, run->err);
		return st_scan(run->t, TBL_DIDS, kbuf, klen, NULL, candidate,
		    run, run->err);
	case P_INDEX:
		klen = didx_key(kbuf, run->scope, g->key, g->tag, g->lo,
		    g->lolen);
		if (klen == 0)
			return GR_OK;
		/* a string cut at DIDX_STR_MAX: every longer one shares the
		   key, so an exact scan still finds them */
		return st_scan_key(run->t, TBL_DIDS_BY_META, kbuf, klen,
		    candidate, run, run->err);
	case P_RANGE:
		klen = didx_key(kbuf, run->scope, g->key, g->tag, "", 0);
		if (klen == 0)
			return GR_OK;
		run->head = klen;
		if (!g->has_lo)
			return st_scan(run->t, TBL_DIDS_BY_META, kbuf, klen,
			    NULL, candidate, run, run->err);
		{
			char lo[KEY_MAX];
			size_t lolen = didx_key(lo, run->scope, g->key, g->tag,
			    g->lo, g->lolen);

			from = st_dbt(lo, lolen);
			return st_scan(run->t, TBL_DIDS_BY_META, kbuf, klen,
			    &from, candidate, run, run->err);
		}
	case P_TYPE: /* above */
		break;
	case P_SCAN:
		klen = key_join(kbuf, sizeof(kbuf), run->scope, "",
		    (char *)NULL);
		return st_scan(run->t, TBL_DIDS, kbuf, klen, NULL, candidate,
		    run, run->err);
	}
	return GR_OK;
}

/* Every group in run->scope; ST_STOP once the limit is reached. */
static int
run_groups(struct run *run)
{
	int rc = GR_OK;

	for (run->g = 0; run->g < run->q->n && rc == GR_OK; run->g++) {
		if (run->out->limit > 0 && run->count >= run->out->limit)
			return ST_STOP;
		rc = scan_group(run);
	}
	return rc;
}

/* A scope of TBL_SCOPES (key: its name), for a search of them all. */
static int
didsearch_scope_one(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct run *run = arg;
	char scope[64];
	int rc;

	(void)pkey;
	(void)val;
	if (key->size == 0 || key->size >= sizeof(scope))
		return GR_OK;
	memcpy(scope, key->data, key->size);
	scope[key->size] = '\0';
	run->scope = scope;
	rc = run_groups(run);
	run->scope = NULL;
	return rc;
}

static int
run_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct run *run = arg;
	int rc;

	run->t = t;
	run->err = err;
	if (run->scope != NULL)
		rc = run_groups(run);
	else
		rc = st_scan(t, TBL_SCOPES, NULL, 0, NULL, didsearch_scope_one,
		    run, err);
	return rc == ST_STOP ? GR_OK : rc;
}

int
didsearch_run(const char *scope, const struct didsearch *q,
    const struct didsearch_out *out, struct gr_err *err)
{
	struct run run = { .q = q, .out = out, .scope = scope };
	int rc;

	if (scope != NULL && !valid_scope(scope))
		return gr_fail(err, GR_INVALID_OBJECT,
		    "Problem validating scope: it must match "
		    "^[a-zA-Z_\\-.0-9]+$ (at most 25 characters)");
	if (out->recursive)
		run.seen = json_object();
	rc = st_view(run_txn, &run, ST_ONCE, err);
	json_decref(run.seen);
	sbuf_free(&run.line);
	return rc;
}
