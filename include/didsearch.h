/*
 * didsearch.h -- DID search (core): Rucio's list_dids filters
 * (spec/rucio.md 3.5.1 and 7) parsed into OR groups of typed criteria, and
 * answered from the search index TBL_DIDS_BY_META or a name range of the
 * scope, every candidate checked against its record. Knows nothing of
 * HTTP.
 *
 * A group is an AND of criteria "key[.op]": value, op one of ne gt lt gte
 * lte (none: equal). Keys are the DID_COLUMN view's columns, name and
 * scope, created_after/created_before (created_at.gte/.lte), type (the
 * group's DID types), or else custom metadata keys. String values are
 * typed as Rucio types them: a date in one of five formats, else a Python
 * number/bool/None, else a string; '*' and '%' in a string are wildcards
 * (equality operators only; a lone '*' matches everything). Values
 * compare as the filter's type: numbers numerically (numeric strings
 * too), dates as dates, strings by bytes. ".ne" also matches a missing
 * value. Unlike Rucio, column and custom keys may be mixed in one search.
 */
#ifndef DIDSEARCH_H
#define DIDSEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct didsearch;

/*
 * The client's filters literal (a Python list of dicts, or one dict) into
 * *filters, a new JSON array of objects. DIDFilterSyntaxError if it is not
 * one.
 */
int didsearch_literal(const char *text, json_t **filters, struct gr_err *err);

/*
 * Parse filters (an array of objects, or one object; borrowed) for DIDs of
 * type (all, collection, container, dataset or file, any case; NULL is
 * collection) into *q. DIDFilterSyntaxError, DuplicateCriteriaInDIDFilter,
 * or UnsupportedOperation for a bad type.
 */
int didsearch_parse(const json_t *filters, const char *type,
    struct didsearch **q, struct gr_err *err);

void didsearch_free(struct didsearch *q);

/* Whether the record rec of scope:name matches q. */
bool didsearch_match(const struct didsearch *q, const char *scope,
    const char *name, const json_t *rec);

/*
 * How group g is answered: "name" (one record), "index" (equal values),
 * "prefix" (a name range), "range" (a value range), "type" (the
 * collections of a type) or "scan" (the whole scope).
 */
const char *didsearch_plan(const struct didsearch *q, size_t g);

struct didsearch_out {
	long limit;      /* at most this many DIDs; 0: all */
	bool long_form;  /* {"scope","name","did_type","bytes","length"} */
	bool recursive;  /* also search inside matched collections */
	bool with_scope; /* the short form as {"scope","name"} */
	gr_emit_text_fn emit;
	void *ctx;
};

/*
 * Stream the DIDs of scope (NULL: of every scope, one after the other)
 * matching q, each once: its name as a JSON string (or {"scope","name"}
 * with with_scope), or the long form. recursive: the children of matched
 * collections are searched too (name criteria set aside), at any depth.
 */
int didsearch_run(const char *scope, const struct didsearch *q,
    const struct didsearch_out *out, struct gr_err *err);

#endif /* DIDSEARCH_H */
