/*
 * fcsearch.c -- the file catalogue's metadata conditions and searches
 * (core). See catalog.h.
 *
 * A search of the directories at or below B matching a condition (fields
 * with operators, all to hold) goes through the per-field index of the
 * values directories set themselves (TBL_FC_DIRS_BY_META):
 *   1. for each field, count the directories that set a matching value
 *      (up to a cap that grows until one field stays under it) and pick
 *      the rarest field f;
 *   2. walk the subtree of each directory that sets a matching f (and of
 *      B, when B inherits a matching f), stopping at the directories
 *      below that set f again (they are walked on their own if they
 *      match); every directory is reached once, with the metadata it
 *      sees (inherited, merged on the way down);
 *   3. keep those whose metadata matches every field.
 * The cost follows the directories the answer touches, not the size of
 * the catalogue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fc_int.h"
#include "jsonx.h"
#include "tables.h"
#include "util.h"

enum fc_op { OP_LT, OP_GT, OP_EQ, OP_LE, OP_GE, OP_NE, OP_IN, OP_NIN };

static const char *const op_names[] = { "<", ">", "=", "<=", ">=", "!=", "in",
	"nin" };

int
fc_cond_add(json_t *cond, const char *key, const char *value, bool *used,
    struct gr_err *err)
{
	const char *bar = strchr(value, '|'), *p, *q, *e;
	json_t *ops, *list;
	char op[8];
	size_t i, n;

	*used = bar != NULL;
	if (bar == NULL)
		return GR_OK;
	n = (size_t)(bar - value);
	for (i = 0; i < ARRAY_LEN(op_names); i++)
		if (strlen(op_names[i]) == n &&
		    memcmp(value, op_names[i], n) == 0)
			break;
	if (i == ARRAY_LEN(op_names))
		return gr_fail(err, GR_INVALID_VALUE,
		    "'%.64s': unknown operator '%.*s' (< > = <= >= != in nin)",
		    key, (int)(n < 16 ? n : 16), value);
	memcpy(op, value, n);
	op[n] = '\0';
	if ((ops = json_object_get(cond, key)) == NULL) {
		if (json_object_size(cond) >= FC_COND_MAX)
			return gr_fail(err, GR_INVALID_VALUE,
			    "a condition has at most %d fields", FC_COND_MAX);
		ops = json_object();
		json_object_set_new(cond, key, ops);
	}
	if (i != OP_IN && i != OP_NIN) {
		json_object_set_new(ops, op, json_string(bar + 1));
		return GR_OK;
	}
	list = json_array();
	for (p = bar + 1; *p != '\0'; p = *q ? q + 1 : q) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		for (e = q; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (e > p)
			json_array_append_new(list,
			    json_stringn(p, (size_t)(e - p)));
	}
	if (json_array_size(list) == 0 || json_array_size(list) > FC_LIST_MAX) {
		json_decref(list);
		return gr_fail(err, GR_INVALID_VALUE,
		    "'%.64s': '%s' takes a list of 1 to %d values", key, op,
		    FC_LIST_MAX);
	}
	json_object_set_new(ops, op, list);
	return GR_OK;
}

/* A compiled condition: typed values, per field. */
struct term {
	const char *field;
	enum fc_type type;
	size_t nops;
	struct {
		enum fc_op op;
		json_t *vals; /* array of typed values */
	} ops[FC_OPS_MAX];
};

struct query {
	struct term terms[FC_COND_MAX];
	size_t n;
};

static void
query_free(struct query *q)
{
	size_t i, j;

	for (i = 0; i < q->n; i++)
		for (j = 0; j < q->terms[i].nops; j++)
			json_decref(q->terms[i].ops[j].vals);
	q->n = 0;
}

static int
query_compile(struct st_txn *t, const json_t *cond, struct query *q,
    struct gr_err *err)
{
	const char *field, *opname;
	json_t *ops, *v, *x, *typed;
	struct term *tm;
	size_t i, k;
	int rc;

	q->n = 0;
	json_object_foreach(jsonx_unconst(cond), field, ops) {
		tm = &q->terms[q->n++];
		tm->field = field;
		tm->nops = 0;
		if ((rc = fc_field_type(t, 'd', field, &tm->type, err)) !=
		    GR_OK)
			return rc;
		json_object_foreach(ops, opname, v) {
			for (i = 0; i < ARRAY_LEN(op_names); i++)
				if (strcmp(opname, op_names[i]) == 0)
					break;
			if (i == ARRAY_LEN(op_names) || tm->nops >= FC_OPS_MAX)
				return gr_fail(err, GR_INVALID_VALUE,
				    "'%s': bad operator", field);
			if (tm->type == FC_T_STR && i != OP_EQ && i != OP_NE &&
			    i != OP_IN && i != OP_NIN)
				return gr_fail(err, GR_INVALID_VALUE,
				    "'%s' is a string field: its operators "
				    "are in, nin, = and !=",
				    field);
			tm->ops[tm->nops].op = (enum fc_op)i;
			tm->ops[tm->nops].vals = json_array();
			tm->nops++;
			if (!json_is_array(v)) {
				if ((rc = fc_value(tm->type, field, v, &typed,
					 err)) != GR_OK)
					return rc;
				json_array_append_new(tm->ops[tm->nops - 1]
							  .vals,
				    typed);
				continue;
			}
			json_array_foreach(v, k, x) {
				if ((rc = fc_value(tm->type, field, x, &typed,
					 err)) != GR_OK)
					return rc;
				json_array_append_new(tm->ops[tm->nops - 1]
							  .vals,
				    typed);
			}
		}
	}
	return GR_OK;
}

static bool
term_match(const struct term *tm, const json_t *v)
{
	size_t i, k;
	json_t *x;
	bool any;
	int c;

	if (v == NULL)
		return false;
	/* a value of another type (a field redefined) never matches */
	if ((tm->type == FC_T_STR || tm->type == FC_T_DATE)
		? !json_is_string(v)
		: !json_is_number(v))
		return false;
	for (i = 0; i < tm->nops; i++) {
		x = json_array_get(tm->ops[i].vals, 0);
		c = fc_cmp(tm->type, v, x);
		switch (tm->ops[i].op) {
		case OP_LT:
			if (!(c < 0))
				return false;
			break;
		case OP_GT:
			if (!(c > 0))
				return false;
			break;
		case OP_EQ:
			if (c != 0)
				return false;
			break;
		case OP_LE:
			if (c > 0)
				return false;
			break;
		case OP_GE:
			if (c < 0)
				return false;
			break;
		case OP_NE:
			if (c == 0)
				return false;
			break;
		case OP_IN:
		case OP_NIN:
			any = false;
			json_array_foreach(tm->ops[i].vals, k, x) {
				if (fc_cmp(tm->type, v, x) == 0)
					any = true;
			}
			if (any != (tm->ops[i].op == OP_IN))
				return false;
			break;
		}
	}
	return true;
}

static bool
query_match(const struct query *q, const json_t *eff)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (!term_match(&q->terms[i],
			json_object_get(eff, q->terms[i].field)))
			return false;
	return true;
}

/* The index form of a typed value: tag and bytes (into num). */
static char
enc(const struct term *tm, const json_t *v, unsigned char num[8],
    const void **p, size_t *n)
{
	if (tm->type == FC_T_STR || tm->type == FC_T_DATE) {
		*p = json_string_value(v);
		*n = json_string_length(v);
		return DIDX_STR;
	}
	didx_num(json_number_value(v), num);
	*p = num;
	*n = 8;
	return DIDX_NUM;
}

static size_t
ikey(char *buf, const char *field, char tag, const void *v, size_t n)
{
	size_t fl = strlen(field);

	if (fl + 2 + n > KEY_MAX)
		return 0;
	memcpy(buf, field, fl);
	buf[fl] = '\0';
	buf[fl + 1] = tag;
	memcpy(buf + fl + 2, v, n);
	return fl + 2 + n;
}

/* What one index scan does with the directories it finds. */
struct hits {
	const struct term *tm;
	size_t plen;      /* the key's field \0 tag */
	char hi[KEY_MAX]; /* last key to visit (inclusive); hilen 0: none */
	size_t hilen;
	size_t count, cap; /* counting: stop past cap */
	json_t *paths;     /* collecting: the paths, or NULL */
	struct gr_err *err;
};

static int
hit(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct hits *h = arg;
	json_t *rec;
	size_t n;
	bool ok;

	if (h->hilen > 0) {
		n = key->size < h->hilen ? key->size : h->hilen;
		if (memcmp(key->data, h->hi, n) > 0 ||
		    (memcmp(key->data, h->hi, n) == 0 && key->size > h->hilen))
			return ST_STOP;
	}
	if ((rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	ok = term_match(h->tm,
	    json_object_get(json_object_get(rec, "meta"), h->tm->field));
	json_decref(rec);
	if (!ok)
		return GR_OK;
	if (++h->count > h->cap)
		return ST_STOP;
	if (h->paths != NULL) {
		if (json_array_size(h->paths) >= FC_SEARCH_MAX)
			return gr_fail(h->err, GR_INPUT_VALIDATION,
			    "the search reaches more than %d directories: "
			    "narrow the condition",
			    FC_SEARCH_MAX);
		json_array_append_new(h->paths,
		    json_stringn(pkey->data, pkey->size));
	}
	return GR_OK;
}

/* Visit the directories that set a value of tm's field matching tm
   (counting up to cap, or collecting into paths). */
static int
term_scan(struct st_txn *t, const struct term *tm, size_t cap, json_t *paths,
    size_t *count, struct gr_err *err)
{
	struct hits h = { .tm = tm, .cap = cap, .paths = paths, .err = err };
	unsigned char num[8];
	char lo[KEY_MAX], tag;
	const json_t *points = NULL, *low = NULL, *high = NULL, *x;
	const void *p;
	size_t i, k, n, lolen, plen;
	DBT from;
	int rc = GR_OK;

	tag = (tm->type == FC_T_STR || tm->type == FC_T_DATE) ? DIDX_STR
							      : DIDX_NUM;
	for (i = 0; i < tm->nops; i++) {
		x = json_array_get(tm->ops[i].vals, 0);
		switch (tm->ops[i].op) {
		case OP_EQ:
		case OP_IN:
			points = tm->ops[i].vals;
			break;
		case OP_GT:
		case OP_GE:
			if (low == NULL || fc_cmp(tm->type, x, low) > 0)
				low = x;
			break;
		case OP_LT:
		case OP_LE:
			if (high == NULL || fc_cmp(tm->type, x, high) < 0)
				high = x;
			break;
		default:
			break;
		}
	}
	plen = ikey(lo, tm->field, tag, "", 0);
	h.plen = plen;
	if (points != NULL) {
		json_array_foreach(points, k, x) {
			tag = enc(tm, x, num, &p, &n);
			if ((lolen = ikey(lo, tm->field, tag, p, n)) == 0)
				continue;
			rc = st_scan_key(t, TBL_FC_DIRS_BY_META, lo, lolen, hit,
			    &h, err);
			if (rc != GR_OK || h.count > cap)
				break;
		}
	} else {
		if (high != NULL) {
			tag = enc(tm, high, num, &p, &n);
			h.hilen = ikey(h.hi, tm->field, tag, p, n);
		}
		lolen = plen;
		if (low != NULL) {
			tag = enc(tm, low, num, &p, &n);
			lolen = ikey(lo, tm->field, tag, p, n);
		}
		from = st_dbt(lo, lolen);
		rc = st_scan(t, TBL_FC_DIRS_BY_META, lo, plen, &from, hit, &h,
		    err);
	}
	*count = h.count;
	return rc;
}

/* A search under way. */
struct walk {
	struct st_txn *t;
	const struct query *q;
	const char *stop; /* the field whose definers are walked apart */
	json_t *res;      /* path -> [rf, rs, eff] */
	size_t visited;
	struct gr_err *err;
};

static int walk_dir(struct walk *w, const char *path, size_t n, json_t *eff,
    const json_t *rec, int depth);

struct child_args {
	struct walk *w;
	const json_t *eff;
	int depth;
};

static int
walk_child(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct child_args *c = arg;
	json_t *rec, *own, *eff;
	int rc;

	(void)key;
	if ((rec = json_loadb(val->data, val->size, 0, NULL)) == NULL)
		return GR_OK;
	own = json_object_get(rec, "meta");
	if (c->w->stop != NULL && json_object_get(own, c->w->stop) != NULL) {
		json_decref(rec);
		return GR_OK; /* walked from its own index entry */
	}
	if (json_object_size(own) == 0) {
		eff = json_incref(jsonx_unconst(c->eff));
	} else {
		eff = json_copy(jsonx_unconst(c->eff));
		json_object_update(eff, own);
	}
	rc = walk_dir(c->w, pkey->data, pkey->size, eff, rec, c->depth + 1);
	json_decref(eff);
	json_decref(rec);
	return rc;
}

static int
walk_dir(struct walk *w, const char *path, size_t n, json_t *eff,
    const json_t *rec, int depth)
{
	struct child_args c = { w, eff, depth };
	char p[FC_PATH_MAX + 1];

	if (++w->visited > FC_SEARCH_MAX)
		return gr_fail(w->err, GR_INPUT_VALIDATION,
		    "the search reaches more than %d directories: narrow the "
		    "condition",
		    FC_SEARCH_MAX);
	if (n > FC_PATH_MAX || depth > FC_PATH_MAX / 2)
		return GR_OK;
	memcpy(p, path, n);
	p[n] = '\0';
	if (query_match(w->q, eff))
		json_object_set_new(w->res, p,
		    json_pack("[O, O, O]", json_object_get(rec, "rf"),
			json_object_get(rec, "rs"), eff));
	return st_scan_key(w->t, TBL_FC_DIRS_BY_PARENT, p, n, walk_child, &c,
	    w->err);
}

/* Start a walk at path (its metadata computed from its ancestors). */
static int
walk_from(struct walk *w, const char *path)
{
	json_t *eff, *rec;
	int rc;

	if ((rc = fc_dir_eff(w->t, path, &eff, &rec, w->err)) != GR_OK)
		return rc;
	rc = walk_dir(w, path, strlen(path), eff, rec, 0);
	json_decref(eff);
	json_decref(rec);
	return rc;
}

/* The matching directories at or below base: w->res. */
static int
search(struct st_txn *t, const char *base, const json_t *cond, json_t **res,
    struct gr_err *err)
{
	struct query q = { .n = 0 };
	struct walk w = { .t = t, .q = &q, .err = err };
	json_t *eff = NULL, *paths = NULL, *x;
	size_t i, best = (size_t)-1, count, pick = 0, cap;
	int rc;

	*res = w.res = json_object();
	if ((rc = fc_dir_eff(t, base, &eff, NULL, err)) != GR_OK)
		goto out;
	if (cond != NULL && (rc = query_compile(t, cond, &q, err)) != GR_OK)
		goto out;
	if (q.n == 0) {
		rc = walk_from(&w, base);
		goto out;
	}
	/* the rarest field, counting every field up to a cap that grows
	   16-fold until one of them stays under it: the counts cost at
	   most 16 times the fields times the rarest one's matches */
	for (cap = 64; best == (size_t)-1; cap *= 16) {
		for (i = 0; i < q.n; i++) {
			rc = term_scan(t, &q.terms[i], cap, NULL, &count, err);
			if (rc != GR_OK)
				goto out;
			if (count <= cap && count < best) {
				best = count;
				pick = i;
			}
		}
		if (cap > FC_SEARCH_MAX)
			break;
	}
	w.stop = q.terms[pick].field;
	if (term_match(&q.terms[pick], json_object_get(eff, w.stop)) &&
	    (rc = walk_from(&w, base)) != GR_OK)
		goto out;
	paths = json_array();
	rc = term_scan(t, &q.terms[pick], (size_t)-1, paths, &count, err);
	json_array_foreach(paths, i, x) {
		if (rc != GR_OK)
			break;
		if (fc_below(base, json_string_value(x)))
			rc = walk_from(&w, json_string_value(x));
	}
out:
	json_decref(eff);
	json_decref(paths);
	query_free(&q);
	return rc;
}

struct search_args {
	const char *path;
	const json_t *cond;
	bool fields; /* GET /metadata: {field: {type, values}} */
	json_t *out;
};

/* The tree of the matches under base (spec A.9). */
static json_t *
tree(const char *base, json_t *res)
{
	json_t *root = json_pack("{s:i, s:i, s:{}}", "f", 0, "s", 0, "d"),
	       *node, *m, *next;
	size_t bl = strcmp(base, "/") == 0 ? 0 : strlen(base);
	char part[FC_NAME_MAX + 1];
	const char *path, *p, *q;

	json_object_foreach(res, path, m) {
		node = root;
		for (p = path + bl; *p == '/'; p = q) {
			p++;
			q = strchr(p, '/');
			if (q == NULL)
				q = p + strlen(p);
			memcpy(part, p, (size_t)(q - p));
			part[q - p] = '\0';
			next = json_object_get(json_object_get(node, "d"),
			    part);
			if (next == NULL) {
				next = json_pack("{s:{}}", "d");
				json_object_set_new(json_object_get(node, "d"),
				    part, next);
			}
			node = next;
		}
		json_object_set(node, "f", json_array_get(m, 0));
		json_object_set(node, "s", json_array_get(m, 1));
	}
	return root;
}

/* Distinct values of every field among the matches: {field: [values]}. */
static json_t *
values(json_t *res)
{
	json_t *out = json_object(), *seen = json_object(), *m, *v, *list;
	const char *path, *field;
	char *text, *k;

	json_object_foreach(res, path, m) {
		json_object_foreach(json_array_get(m, 2), field, v) {
			text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			k = text != NULL
			    ? xmalloc(strlen(field) + strlen(text) + 2)
			    : NULL;
			if (k == NULL)
				continue;
			memcpy(k, field, strlen(field));
			k[strlen(field)] = '=';
			memcpy(k + strlen(field) + 1, text, strlen(text) + 1);
			if (json_object_get(seen, k) == NULL) {
				json_object_set_new(seen, k, json_true());
				if ((list = json_object_get(out, field)) ==
				    NULL) {
					list = json_array();
					json_object_set_new(out, field, list);
				}
				json_array_append(list, v);
			}
			free(k);
			free(text);
		}
	}
	json_decref(seen);
	return out;
}

struct field_scan {
	struct st_txn *t;
	json_t *out, *vals;
	const char *field;
	char last[KEY_MAX];
	size_t lastlen;
	bool found;
	struct gr_err *err;
};

/* The first index entry from a key: its value, and where the next
   distinct one starts. */
static int
first_value(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct field_scan *f = arg;
	json_t *rec, *v;

	(void)pkey;
	if (key->size + 1 > sizeof(f->last))
		return ST_STOP;
	memcpy(f->last, key->data, key->size);
	f->last[key->size] = '\0'; /* the next key after every duplicate */
	f->lastlen = key->size + 1;
	f->found = true;
	if ((rec = json_loadb(val->data, val->size, 0, NULL)) != NULL) {
		v = json_object_get(json_object_get(rec, "meta"), f->field);
		if (v != NULL)
			json_array_append(f->vals, v);
		json_decref(rec);
	}
	return ST_STOP;
}

/* Every field of kind 'd' with its type, and (all) its values from the
   index, skipping from one distinct value to the next. */
static int
one_field(const DBT *key, const DBT *pkey, const DBT *val, void *arg)
{
	struct field_scan *f = arg;
	char name[FC_FIELD_MAX + 1], tag, prefix[KEY_MAX];
	json_t *rec;
	const char *type;
	size_t n, plen;
	DBT from;
	int rc = GR_OK;

	(void)pkey;
	if (key->size < 3 || key->size - 2 > FC_FIELD_MAX)
		return GR_OK;
	n = key->size - 2;
	memcpy(name, (const char *)key->data + 2, n);
	name[n] = '\0';
	rec = json_loadb(val->data, val->size, 0, NULL);
	type = json_string_value(json_object_get(rec, "type"));
	tag = (type != NULL &&
		  (strcmp(type, "int") == 0 || strcmp(type, "float") == 0))
	    ? DIDX_NUM
	    : DIDX_STR;
	f->vals = json_array();
	json_object_set_new(f->out, name,
	    json_pack("{s:s, s:o}", "type", type ? type : "?", "values",
		f->vals));
	json_decref(rec);
	f->field = name;
	plen = ikey(prefix, name, tag, "", 0);
	from = st_dbt(prefix, plen);
	for (;;) {
		f->found = false;
		rc = st_scan(f->t, TBL_FC_DIRS_BY_META, prefix, plen, &from,
		    first_value, f, f->err);
		if (rc != GR_OK || !f->found)
			break;
		if (json_array_size(f->vals) >= FC_SEARCH_MAX)
			break;
		from = st_dbt(f->last, f->lastlen);
	}
	return rc;
}

static int
search_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct search_args *a = arg;
	struct field_scan f = { .t = t, .err = err };
	json_t *res = NULL, *vals, *v;
	enum fc_type type;
	const char *field;
	int rc;

	json_decref(a->out);
	a->out = NULL;
	if (a->fields && json_object_size(a->cond) == 0 &&
	    strcmp(a->path, "/") == 0) {
		/* every field and value, from the index alone */
		f.out = a->out = json_object();
		return st_scan(t, TBL_FC_FIELDS, "d", 2, NULL, one_field, &f,
		    err);
	}
	if ((rc = search(t, a->path, a->cond, &res, err)) != GR_OK)
		goto out;
	if (a->fields) {
		vals = values(res);
		a->out = json_object();
		json_object_foreach(vals, field, v) {
			if ((rc = fc_field_type(t, 'd', field, &type, err)) !=
			    GR_OK)
				break;
			json_object_set_new(a->out, field,
			    json_pack("{s:s, s:O}", "type", fc_type_name(type),
				"values", v));
		}
		json_decref(vals);
	} else {
		a->out = tree(a->path, res);
	}
out:
	json_decref(res);
	return rc;
}

static int
run_search(struct search_args *a, json_t **out, struct gr_err *err)
{
	int rc = st_view(search_txn, a, 0, err);

	if (rc != GR_OK) {
		json_decref(a->out);
		a->out = NULL;
	}
	*out = a->out;
	return rc;
}

int
fc_fields(const json_t *cond, json_t **out, struct gr_err *err)
{
	struct search_args a = { "/", cond, true, NULL };

	return run_search(&a, out, err);
}

int
fc_dir_compatible(const char *path, const json_t *cond, json_t **out,
    struct gr_err *err)
{
	struct search_args a = { path, cond, true, NULL };
	json_t *o, *v;
	const char *field;
	int rc;

	/* the same values as /metadata, under path, as {field: [values]} */
	if ((rc = run_search(&a, &o, err)) != GR_OK)
		return rc;
	*out = json_object();
	json_object_foreach(o, field, v) {
		if (json_array_size(json_object_get(v, "values")) > 0)
			json_object_set(*out, field,
			    json_object_get(v, "values"));
	}
	json_decref(o);
	return GR_OK;
}

int
fc_dir_search(const char *path, const json_t *cond, json_t **out,
    struct gr_err *err)
{
	struct search_args a = { path, cond, false, NULL };
	json_t *empty = NULL;
	int rc;

	/* tree() for an empty condition too (every directory) */
	if (cond == NULL)
		a.cond = empty = json_object();
	rc = run_search(&a, out, err);
	json_decref(empty);
	return rc;
}
