/*
 * metaconv.h -- metadata conventions (core): the registry of metadata keys
 * (/meta_conventions, and seed 002's /meta) with their key type, value
 * type and value regexp, and the allowed values of each key. As in Rucio
 * the registry constrains one thing: a dataset's "datatype", which must be
 * a registered value of the key "datatype". Knows nothing of HTTP.
 *
 * TBL_META_KEYS: key -> {"key_type", "value_type", "value_regexp",
 * "created_at"}; TBL_META_VALUES: key \0 value -> {"created_at"}.
 */
#ifndef METACONV_H
#define METACONV_H

#include <jansson.h>

#include "err.h"
#include "store.h"

#define METACONV_TEXT_MAX 255 /* keys, values and regexps (Rucio's columns) */

/*
 * Register key from body {"key_type": ALL|COLLECTION|CONTAINER|DATASET|
 * FILE|DERIVED (or F, D, C), "value_type": null or "<class 'int'>",
 * "<class 'float'>", "<class 'str'>", "value_regexp": null or a regular
 * expression}. dflt_type: the key type when the body has none (NULL:
 * UnsupportedKeyType). Admins only; Duplicate if it exists.
 */
int metaconv_add_key(const char *issuer, const char *key, const json_t *body,
    const char *dflt_type, struct gr_err *err);

/* Remove key and its values (KeyNotFound if there is none). Admins. */
int metaconv_del_key(const char *issuer, const char *key, struct gr_err *err);

/* *out: new JSON array of the keys, in key order. */
int metaconv_list_keys(json_t **out, struct gr_err *err);

/*
 * Allow value (a JSON string, or a number when the key's value type is
 * int or float; borrowed) for key: KeyNotFound, Duplicate, or
 * InvalidValueForKey when it does not match the key's regexp (anchored at
 * the start, as Python's re.match) or value type. Admins only.
 */
int metaconv_add_value(const char *issuer, const char *key, const json_t *value,
    struct gr_err *err);

/* Remove one allowed value (KeyNotFound if absent). Admins only. */
int metaconv_del_value(const char *issuer, const char *key, const char *value,
    struct gr_err *err);

/* *out: new JSON array of key's allowed values (strings; empty for an
   unknown key, as Rucio). */
int metaconv_list_values(const char *key, json_t **out, struct gr_err *err);

/*
 * Inside a transaction: for a DATASET whose meta has "datatype", that
 * value must be an allowed value of the key "datatype" (InvalidObject).
 */
int metaconv_check_meta(struct st_txn *t, const char *type, const json_t *meta,
    struct gr_err *err);

/*
 * Whether the regular expression re (Python syntax, the common subset:
 * POSIX extended plus \d \w \s and their negations) matches the start of
 * s. -1 if re is not one we can read.
 */
int metaconv_regexp_match(const char *re, const char *s);

#endif /* METACONV_H */
