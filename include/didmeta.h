/*
 * didmeta.h -- DID metadata (core): read with a plugin (DID_COLUMN: the
 * whole row as Rucio renders it, RFC 1123 dates; JSON: the custom keys;
 * ALL: both merged), set (one DID or many; recursive applies the column
 * keys to the direct children), delete custom keys. Writes: admins or the
 * scope's owner; the key rules are did_meta_apply's.
 */
#ifndef DIDMETA_H
#define DIDMETA_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

/* *out: new reference; plugin NULL is DID_COLUMN; others are
   UnsupportedMetadataPlugin. */
int didmeta_get(const char *scope, const char *name, const char *plugin,
    json_t **out, struct gr_err *err);

int didmeta_set(const char *issuer, const char *scope, const char *name,
    const json_t *meta, bool recursive, struct gr_err *err);

/*
 * POST /dids/bulkmeta: emit the view (plugin as didmeta_get) of each of
 * dids ([{scope, name}], at most 1000), skipping unknown ones; inherit:
 * each as {"scope","name",...} merged with its ancestors' views, nearest
 * first, up to 20 levels: a value the DID has wins, a key it lacks or has
 * as null takes the nearest ancestor's (an unknown DID gives its scope
 * and name and what it inherits: nothing).
 */
int didmeta_get_bulk(const json_t *dids, bool inherit, const char *plugin,
    gr_emit_fn emit, void *ctx, struct gr_err *err);

/* dids: [{scope, name, meta}], all or nothing. */
int didmeta_set_bulk(const char *issuer, const json_t *dids, bool recursive,
    struct gr_err *err);

/* A custom key (KeyNotFound if absent; a column: UnsupportedOperation). */
int didmeta_del(const char *issuer, const char *scope, const char *name,
    const char *key, struct gr_err *err);

/*
 * The columns of the DID_COLUMN view, for search: the index of column col
 * ("did_type", "project"...; not scope and name), or -1 for a custom key.
 */
int didmeta_column(const char *col);

/* Whether column c holds a date (epoch seconds in the record). */
bool didmeta_column_is_date(int c);

/*
 * Column c's value in rec as the view has it (borrowed, a static true,
 * false or "AVAILABLE" for defaults), NULL for SQL's NULL. Dates stay epoch
 * integers.
 */
const json_t *didmeta_column_value(int c, const json_t *rec);

#endif /* DIDMETA_H */
